/* bsd-live-session.c — one pull terminal's live session, in a thread of its own
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The thread: acquire the terminal from the gate as a live holder →
 * connect (read-only) → register for EF_ATTLOG → backfill → wait for
 * events, probing when silent → on an error wait (backoff) and start
 * over; on a job's claim close and start over at once. What goes to the
 * main thread waits in a queue drained by one idle source; a thread with
 * too many punches not stored yet stops reading (the terminal keeps the
 * rest), so memory stays bounded whatever a terminal sends.
 */
#include "config.h"

#include "bsd-live-session.h"

#include "zk-packet.h"

/* punches handed over and not stored yet before the thread waits */
#define INFLIGHT_MAX 256
/* unknown events logged one by one before only every 1000th is */
#define UNKNOWN_LOGGED 3

typedef enum
{
  POST_PUNCH,
  POST_BACKFILL,
  POST_STATE,
  POST_MARK,
} PostKind;

/* one message to the main thread; the queue holds a reference, and a
 * thread that waits for the answer (POST_MARK) another */
typedef struct
{
  PostKind kind;
  char *serial;
  ZkAttendance punch;
  BsdLogRead read;
  BsdLiveState state;
  char *why;
  BsdLogWatermark *mark; /* POST_MARK's answer */
  gboolean done;
} Post;

struct _BsdLiveSession
{
  GObject parent_instance;

  BsdEndpoint *endpoint;
  BsdSessionGate *gate;
  BsdLiveTiming timing;
  const BsdLiveHooks *hooks;
  GMainContext *main_context;
  GThread *thread;
  GCancellable *stop;

  GMutex lock;
  GCond changed;
  GCancellable *hold; /* the live hold of the gate while the terminal is ours */
  GQueue posts;       /* Post*, to the main thread */
  GSource *drain;     /* the idle source that delivers them, while attached */
  guint inflight;     /* punches in @posts */
  guint64 unknown;    /* events that did not decode */
};

G_DEFINE_FINAL_TYPE (BsdLiveSession, bsd_live_session, G_TYPE_OBJECT)

const char *
bsd_live_state_to_string (BsdLiveState state)
{
  switch (state)
    {
    case BSD_LIVE_LISTENING:
      return "listening";
    case BSD_LIVE_RECONNECTING:
      return "reconnecting";
    case BSD_LIVE_OFF:
    default:
      return "off";
    }
}

/* ------------------------------------------------------------ posts */

static void
post_clear (Post *post)
{
  g_free (post->serial);
  bsd_log_read_clear (&post->read);
  g_free (post->why);
  g_clear_pointer (&post->mark, bsd_log_watermark_free);
}

static Post *
post_new (PostKind kind, const char *serial)
{
  Post *post = g_atomic_rc_box_new0 (Post);

  post->kind = kind;
  post->serial = g_strdup (serial);
  return post;
}

static void
post_unref (Post *post)
{
  g_atomic_rc_box_release_full (post, (GDestroyNotify)post_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Post, post_unref)

static void
deliver (BsdLiveSession *self, Post *post)
{
  const BsdLiveHooks *hooks = self->hooks;
  guint id = self->endpoint->device_id;

  switch (post->kind)
    {
    case POST_PUNCH:
      hooks->punch (hooks->data, id, post->serial, &post->punch);
      break;
    case POST_BACKFILL:
      hooks->backfill (hooks->data, id, post->serial, &post->read);
      break;
    case POST_STATE:
      hooks->state (hooks->data, id, post->state, post->why);
      break;
    case POST_MARK:
      post->mark = hooks->get_mark (hooks->data, post->serial);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* main thread: everything the thread queued, in order */
static gboolean
drain_cb (gpointer data)
{
  BsdLiveSession *self = data;

  for (;;)
    {
      Post *post;

      g_mutex_lock (&self->lock);
      post = g_queue_pop_head (&self->posts);
      if (post == NULL)
        {
          g_clear_pointer (&self->drain, g_source_unref);
          g_mutex_unlock (&self->lock);
          return G_SOURCE_REMOVE;
        }
      g_mutex_unlock (&self->lock);

      deliver (self, post);

      g_mutex_lock (&self->lock);
      if (post->kind == POST_PUNCH)
        self->inflight--;
      post->done = TRUE;
      g_cond_broadcast (&self->changed);
      g_mutex_unlock (&self->lock);
      post_unref (post);
    }
}

/* thread: queues @post (taking it) for the main thread */
static void
post_send (BsdLiveSession *self, Post *post)
{
  g_mutex_lock (&self->lock);
  if (post->kind == POST_PUNCH)
    self->inflight++;
  g_queue_push_tail (&self->posts, post);
  if (self->drain == NULL)
    {
      self->drain = g_idle_source_new ();
      g_source_set_priority (self->drain, G_PRIORITY_DEFAULT);
      g_source_set_callback (self->drain, drain_cb, self, NULL);
      g_source_attach (self->drain, self->main_context);
    }
  g_mutex_unlock (&self->lock);
}

static gboolean
stopping (BsdLiveSession *self)
{
  return g_cancellable_is_cancelled (self->stop);
}

/* thread: the watermark of @serial, asked of the main thread (NULL when
 * never collected, or when the session stops meanwhile) */
static BsdLogWatermark *
ask_mark (BsdLiveSession *self, const char *serial)
{
  g_autoptr (Post) post = post_new (POST_MARK, serial);
  BsdLogWatermark *mark = NULL;

  post_send (self, g_atomic_rc_box_acquire (post));
  g_mutex_lock (&self->lock);
  while (!post->done && !stopping (self))
    g_cond_wait (&self->changed, &self->lock);
  if (post->done)
    mark = g_steal_pointer (&post->mark);
  g_mutex_unlock (&self->lock);
  return mark;
}

static void
send_state (BsdLiveSession *self, BsdLiveState state, const char *why)
{
  Post *post = post_new (POST_STATE, NULL);

  post->state = state;
  post->why = g_strdup (why);
  post_send (self, post);
}

/* thread: hands a punch over, first waiting while too many are in flight
 * (the terminal keeps what is not read meanwhile) */
static void
send_punch (BsdLiveSession *self, const char *serial, const ZkAttendance *punch)
{
  Post *post = post_new (POST_PUNCH, serial);

  post->punch = *punch;
  g_mutex_lock (&self->lock);
  while (self->inflight >= INFLIGHT_MAX && !stopping (self))
    g_cond_wait (&self->changed, &self->lock);
  g_mutex_unlock (&self->lock);
  post_send (self, post);
}

/* ------------------------------------------------------------ the thread */

/* reads what is new in the log and hands it to the main thread */
static gboolean
backfill (
    BsdLiveSession *self, ZkClient *client, const char *serial, GCancellable *hold, GError **error)
{
  g_autoptr (BsdLogWatermark) mark = ask_mark (self, serial);
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  Post *post = post_new (POST_BACKFILL, serial);
  ZkSizes sizes;

  if (!bsd_device_io_read_sizes (client, self->endpoint, &sizes, hold, error)
      || !bsd_device_io_read_logs (client, mark,
                                   mark != NULL ? mark->ranged : BSD_RANGED_READS_UNKNOWN,
                                   sizes.records, &post->read, warnings, hold, error))
    {
      post_unref (post);
      g_prefix_error (error, "reading the log after connecting: ");
      return FALSE;
    }
  for (guint i = 0; i < warnings->len; i++)
    g_message ("%s: %s", self->endpoint->name, (const char *)warnings->pdata[i]);
  post_send (self, post);
  return TRUE;
}

/* an event that did not decode: logged, the session goes on */
static void
log_unknown (BsdLiveSession *self, const ZkEvent *event)
{
  self->unknown++;
  if (self->unknown <= UNKNOWN_LOGGED || self->unknown % 1000 == 0)
    g_warning ("%s: attendance event skipped (%" G_GUINT64_FORMAT " so far): %s",
               self->endpoint->name, self->unknown, event->why);
}

/* one event, or a probe after a silence; FALSE when the session broke */
static gboolean
wait_one (
    BsdLiveSession *self, ZkClient *client, const char *serial, GCancellable *hold, GError **error)
{
  g_auto (ZkEvent) event = { 0 };
  g_autoptr (GError) local = NULL;

  if (!zk_client_wait_event (client, self->timing.probe_ms, &event, hold, &local))
    {
      if (!g_error_matches (local, ZK_ERROR, ZK_ERROR_TIMED_OUT))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      /* silent for a while: a rebooted or vanished terminal says nothing */
      if (!zk_client_ping (client, hold, error))
        {
          g_prefix_error (error,
                          "no answer to a probe after %u ms of silence: ", self->timing.probe_ms);
          return FALSE;
        }
      return TRUE;
    }
  if (event.kind == ZK_EVENT_PUNCH)
    send_punch (self, serial, &event.punch);
  else if (event.kind == ZK_EVENT_UNKNOWN)
    log_unknown (self, &event);
  return TRUE;
}

/* one session from connect to its end: FALSE always, with the error
 * (a cancelled hold: the terminal is wanted, or the session stops);
 * *@connected once it listened */
static gboolean
listen (BsdLiveSession *self, GCancellable *hold, gboolean *connected, GError **error)
{
  const BsdRetryPolicy once = { 1, 0 };
  g_autoptr (ZkClient) client = bsd_device_io_open (self->endpoint, &once, TRUE, hold, error);
  g_autofree char *serial = NULL;
  guint64 missed;
  gboolean ok;

  if (client == NULL)
    return FALSE;
  serial = zk_client_get_option (client, "~SerialNumber", hold, error);
  /* registered before the backfill: a punch during it comes as an event */
  ok = serial != NULL && zk_client_listen_events (client, ZK_EF_ATTLOG, hold, error)
       && backfill (self, client, serial, hold, error);
  if (ok)
    {
      *connected = TRUE;
      send_state (self, BSD_LIVE_LISTENING, NULL);
    }
  missed = zk_client_get_events_missed (client);
  while (ok)
    {
      ok = wait_one (self, client, serial, hold, error);
      /* events lost to a full queue or a reconnect: their punches are in the log */
      if (ok && zk_client_get_events_missed (client) != missed)
        {
          ok = backfill (self, client, serial, hold, error);
          missed = zk_client_get_events_missed (client);
        }
    }
  bsd_device_io_close (client, hold);
  return FALSE;
}

/* thread: waits @ms unless the session stops first; FALSE when it stops */
static gboolean
wait_backoff (BsdLiveSession *self, guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)ms * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&self->lock);
  while (!stopping (self) && g_cond_wait_until (&self->changed, &self->lock, end))
    ;
  g_mutex_unlock (&self->lock);
  return !stopping (self);
}

/* the live hold in force (NULL: none); a stop that came first cancels it */
static void
set_hold (BsdLiveSession *self, GCancellable *hold)
{
  g_mutex_lock (&self->lock);
  g_set_object (&self->hold, hold);
  g_mutex_unlock (&self->lock);
  if (hold != NULL && stopping (self))
    g_cancellable_cancel (hold);
}

static gpointer
session_thread (gpointer data)
{
  BsdLiveSession *self = data;
  guint id = self->endpoint->device_id;
  guint backoff_ms = self->timing.backoff_min_ms;

  while (!stopping (self))
    {
      g_autoptr (GCancellable) hold = g_cancellable_new ();
      g_autoptr (GError) error = NULL;
      gboolean connected = FALSE;

      if (!bsd_session_gate_acquire_live (self->gate, id, hold, self->stop, NULL))
        break;
      set_hold (self, hold);
      listen (self, hold, &connected, &error);
      set_hold (self, NULL);
      bsd_session_gate_release_live (self->gate, id);
      if (stopping (self))
        break;
      if (connected)
        backoff_ms = self->timing.backoff_min_ms;
      /* a job claimed the terminal: back once it is done, with a backfill */
      if (g_cancellable_is_cancelled (hold))
        continue;
      g_debug ("%s: live session: %s; again in %u ms", self->endpoint->name, error->message,
               backoff_ms);
      send_state (self, BSD_LIVE_RECONNECTING, error->message);
      if (!wait_backoff (self, backoff_ms))
        break;
      backoff_ms = MIN (backoff_ms * 2, self->timing.backoff_max_ms);
    }
  return NULL;
}

/* ------------------------------------------------------------ object */

static void
bsd_live_session_finalize (GObject *object)
{
  BsdLiveSession *self = BSD_LIVE_SESSION (object);

  /* stopped first: the thread and the drain hold no pointer to us */
  g_assert (self->thread == NULL && self->drain == NULL);
  g_queue_clear_full (&self->posts, (GDestroyNotify)post_unref);
  g_clear_object (&self->hold);
  g_clear_object (&self->stop);
  g_clear_object (&self->gate);
  g_clear_pointer (&self->main_context, g_main_context_unref);
  g_clear_pointer (&self->endpoint, bsd_endpoint_free);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->changed);
  G_OBJECT_CLASS (bsd_live_session_parent_class)->finalize (object);
}

static void
bsd_live_session_class_init (BsdLiveSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bsd_live_session_finalize;
}

static void
bsd_live_session_init (BsdLiveSession *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->changed);
  self->stop = g_cancellable_new ();
}

BsdLiveSession *
bsd_live_session_new (BsdEndpoint *endpoint,
                      BsdSessionGate *gate,
                      const BsdLiveTiming *timing,
                      const BsdLiveHooks *hooks)
{
  BsdLiveSession *self = g_object_new (BSD_TYPE_LIVE_SESSION, NULL);
  g_autofree char *name = g_strdup_printf ("live-%u", endpoint->device_id);

  self->endpoint = endpoint;
  self->gate = g_object_ref (gate);
  self->timing = *timing;
  self->hooks = hooks;
  self->main_context = g_main_context_ref_thread_default ();
  self->thread = g_thread_new (name, session_thread, self);
  return self;
}

guint
bsd_live_session_get_device_id (BsdLiveSession *self)
{
  g_return_val_if_fail (BSD_IS_LIVE_SESSION (self), 0);
  return self->endpoint->device_id;
}

void
bsd_live_session_cancel (BsdLiveSession *self)
{
  g_autoptr (GCancellable) hold = NULL;

  g_return_if_fail (BSD_IS_LIVE_SESSION (self));

  g_cancellable_cancel (self->stop);
  g_mutex_lock (&self->lock);
  hold = self->hold ? g_object_ref (self->hold) : NULL;
  g_cond_broadcast (&self->changed);
  g_mutex_unlock (&self->lock);
  if (hold != NULL)
    g_cancellable_cancel (hold);
}

void
bsd_live_session_stop (BsdLiveSession *self)
{
  g_return_if_fail (BSD_IS_LIVE_SESSION (self));

  bsd_live_session_cancel (self);
  if (self->thread != NULL)
    g_thread_join (g_steal_pointer (&self->thread));
  /* what was not delivered stays undelivered: the log still has it */
  g_mutex_lock (&self->lock);
  if (self->drain != NULL)
    {
      g_source_destroy (self->drain);
      g_clear_pointer (&self->drain, g_source_unref);
    }
  g_mutex_unlock (&self->lock);
}
