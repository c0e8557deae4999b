/* bsd-session-gate.c — at most N device sessions at once, one per device
 *
 * First come, first served: a free slot goes to the longest waiter whose
 * device is free, so a session asked for early (a recovery queued before a
 * job, a terminal at the end of a long area) is never overtaken for ever by
 * later ones; a waiter whose device is busy does not hold up the others.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-session-gate.h"

struct _BsdSessionGate
{
  GObject parent_instance;

  GMutex lock;
  GCond changed;
  guint max_sessions;
  guint open;
  guint peak;
  GHashTable *busy; /* device id → TRUE while a session is open */
  GHashTable *live; /* device id → GCancellable* a live session yields on */
  GQueue waiting;   /* Waiter*, oldest first */
};

typedef struct
{
  guint device_id;
} Waiter;

G_DEFINE_FINAL_TYPE (BsdSessionGate, bsd_session_gate, G_TYPE_OBJECT)

static void
bsd_session_gate_finalize (GObject *object)
{
  BsdSessionGate *self = BSD_SESSION_GATE (object);

  g_hash_table_unref (self->busy);
  g_hash_table_unref (self->live);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->changed);
  G_OBJECT_CLASS (bsd_session_gate_parent_class)->finalize (object);
}

static void
bsd_session_gate_class_init (BsdSessionGateClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bsd_session_gate_finalize;
}

static void
bsd_session_gate_init (BsdSessionGate *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->changed);
  self->busy = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->live = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_object_unref);
  self->max_sessions = 1;
}

BsdSessionGate *
bsd_session_gate_new (guint max_sessions)
{
  BsdSessionGate *self = g_object_new (BSD_TYPE_SESSION_GATE, NULL);

  self->max_sessions = MAX (max_sessions, 1);
  return self;
}

void
bsd_session_gate_set_max (BsdSessionGate *self, guint max_sessions)
{
  g_return_if_fail (BSD_IS_SESSION_GATE (self));

  g_mutex_lock (&self->lock);
  self->max_sessions = MAX (max_sessions, 1);
  g_cond_broadcast (&self->changed);
  g_mutex_unlock (&self->lock);
}

guint
bsd_session_gate_get_max (BsdSessionGate *self)
{
  guint max;

  g_mutex_lock (&self->lock);
  max = self->max_sessions;
  g_mutex_unlock (&self->lock);
  return max;
}

/* with the lock held: may @waiter open its session now? */
static gboolean
may_open (BsdSessionGate *self, Waiter *waiter)
{
  if (self->open >= self->max_sessions
      || g_hash_table_contains (self->busy, GUINT_TO_POINTER (waiter->device_id))
      || g_hash_table_contains (self->live, GUINT_TO_POINTER (waiter->device_id)))
    return FALSE;
  /* an older waiter that could open goes first */
  for (GList *l = self->waiting.head; l != NULL && l->data != waiter; l = l->next)
    {
      Waiter *older = l->data;

      if (!g_hash_table_contains (self->busy, GUINT_TO_POINTER (older->device_id)))
        return FALSE;
    }
  return TRUE;
}

/* with the lock held: asks the live session of @device_id, if any, to
 * close and release the device (it cannot take the lock: its cancel
 * handler runs in its own thread) */
static void
yield_live (BsdSessionGate *self, guint device_id)
{
  GCancellable *yield = g_hash_table_lookup (self->live, GUINT_TO_POINTER (device_id));

  if (yield != NULL)
    g_cancellable_cancel (yield);
}

static void
wake_waiters (GCancellable *cancellable, gpointer user_data)
{
  BsdSessionGate *self = user_data;

  /* taking the lock orders this wake-up after the waiter's check */
  g_mutex_lock (&self->lock);
  g_cond_broadcast (&self->changed);
  g_mutex_unlock (&self->lock);
}

/* after a wait for @device_id: the wake-up handler gone, and FALSE with
 * the error when @cancellable ended it */
static gboolean
end_wait (
    GCancellable *cancellable, gulong handler, gboolean cancelled, guint device_id, GError **error)
{
  if (handler)
    g_cancellable_disconnect (cancellable, handler);
  if (cancelled)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled while waiting for device %u",
                   device_id);
      return FALSE;
    }
  return TRUE;
}

gboolean
bsd_session_gate_acquire (BsdSessionGate *self,
                          guint device_id,
                          GCancellable *cancellable,
                          GError **error)
{
  gulong handler = 0;
  gboolean cancelled = FALSE;
  Waiter waiter = { device_id };

  g_return_val_if_fail (BSD_IS_SESSION_GATE (self), FALSE);

  if (cancellable)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (wake_waiters), self, NULL);

  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->waiting, &waiter);
  /* a live session gives the device up to a job */
  yield_live (self, device_id);
  for (;;)
    {
      if (g_cancellable_is_cancelled (cancellable))
        {
          cancelled = TRUE;
          break;
        }
      if (may_open (self, &waiter))
        break;
      g_cond_wait (&self->changed, &self->lock);
    }
  g_queue_remove (&self->waiting, &waiter);
  /* the next in line may be able to go: a cancelled waiter held it up,
   * or a slot is still free for another device */
  g_cond_broadcast (&self->changed);
  if (!cancelled)
    {
      g_hash_table_add (self->busy, GUINT_TO_POINTER (device_id));
      self->open++;
      self->peak = MAX (self->peak, self->open);
    }
  g_mutex_unlock (&self->lock);

  return end_wait (cancellable, handler, cancelled, device_id, error);
}

void
bsd_session_gate_release (BsdSessionGate *self, guint device_id)
{
  g_return_if_fail (BSD_IS_SESSION_GATE (self));

  g_mutex_lock (&self->lock);
  if (g_hash_table_remove (self->busy, GUINT_TO_POINTER (device_id)))
    self->open--;
  else
    g_critical ("session gate: device %u released without a session", device_id);
  g_cond_broadcast (&self->changed);
  g_mutex_unlock (&self->lock);
}

/* with the lock held: does a job hold or wait for @device_id? */
static gboolean
wanted_by_job (BsdSessionGate *self, guint device_id)
{
  if (g_hash_table_contains (self->busy, GUINT_TO_POINTER (device_id)))
    return TRUE;
  for (GList *l = self->waiting.head; l != NULL; l = l->next)
    if (((Waiter *)l->data)->device_id == device_id)
      return TRUE;
  return FALSE;
}

gboolean
bsd_session_gate_acquire_live (BsdSessionGate *self,
                               guint device_id,
                               GCancellable *yield,
                               GCancellable *cancellable,
                               GError **error)
{
  gulong handler = 0;
  gboolean cancelled = FALSE;

  g_return_val_if_fail (BSD_IS_SESSION_GATE (self), FALSE);
  g_return_val_if_fail (G_IS_CANCELLABLE (yield), FALSE);

  if (cancellable)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (wake_waiters), self, NULL);
  g_mutex_lock (&self->lock);
  for (;;)
    {
      if (g_cancellable_is_cancelled (cancellable))
        {
          cancelled = TRUE;
          break;
        }
      if (!wanted_by_job (self, device_id)
          && !g_hash_table_contains (self->live, GUINT_TO_POINTER (device_id)))
        break;
      g_cond_wait (&self->changed, &self->lock);
    }
  if (!cancelled)
    g_hash_table_insert (self->live, GUINT_TO_POINTER (device_id), g_object_ref (yield));
  g_mutex_unlock (&self->lock);
  return end_wait (cancellable, handler, cancelled, device_id, error);
}

void
bsd_session_gate_release_live (BsdSessionGate *self, guint device_id)
{
  g_return_if_fail (BSD_IS_SESSION_GATE (self));

  g_mutex_lock (&self->lock);
  if (!g_hash_table_remove (self->live, GUINT_TO_POINTER (device_id)))
    g_critical ("session gate: device %u released without a live session", device_id);
  g_cond_broadcast (&self->changed);
  g_mutex_unlock (&self->lock);
}

guint
bsd_session_gate_get_open (BsdSessionGate *self)
{
  guint open;

  g_mutex_lock (&self->lock);
  open = self->open;
  g_mutex_unlock (&self->lock);
  return open;
}

guint
bsd_session_gate_get_peak (BsdSessionGate *self)
{
  guint peak;

  g_mutex_lock (&self->lock);
  peak = self->peak;
  g_mutex_unlock (&self->lock);
  return peak;
}

guint
bsd_session_gate_get_waiting (BsdSessionGate *self)
{
  guint waiting;

  g_mutex_lock (&self->lock);
  waiting = self->waiting.length;
  g_mutex_unlock (&self->lock);
  return waiting;
}
