/* bsd-manager-live.c — live punches on the Manager: PunchReceived, and
 * the Device's LiveState and LastPunch
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The sessions themselves are BsdLive's (bsd-live.c); they follow the
 * device table each time the objects are refreshed from it. A push
 * terminal's LiveState comes from its polls: listening while they come on
 * time, reconnecting when one is overdue, off when it is disabled.
 */
#include "config.h"

#include "bsd-manager-private.h"

/* silence before a probe; tests make it short */
#define PROBE_MS_DEFAULT 30000
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
/* a push terminal polls every 5 s (Delay), 30 s after an error
 * (ErrorDelay): no poll for a minute is overdue */
#define PUSH_OVERDUE_US (60 * G_USEC_PER_SEC)
#define PUSH_CHECK_S 10

static BsDBusDevice *
device_iface (BsdManager *self, guint device_id)
{
  BsDBusObjectSkeleton *object = g_hash_table_lookup (self->devices, GUINT_TO_POINTER (device_id));

  return object ? bs_dbus_object_get_device (BS_DBUS_OBJECT (object)) : NULL;
}

static void
punch_stored_cb (BsdLive *live, guint device_id, const BsdStoredPunch *stored, BsdManager *self)
{
  bsd_manager_emit_punch (self, device_id, stored);
}

static void
device_changed_cb (BsdLive *live, guint device_id, BsdManager *self)
{
  bsd_manager_refresh_device (self, device_id);
}

static void
state_changed_cb (BsdLive *live, guint device_id, const char *state, BsdManager *self)
{
  g_autoptr (BsDBusDevice) iface = device_iface (self, device_id);

  if (iface != NULL)
    bs_dbus_device_set_live_state (iface, state);
}

void
bsd_manager_emit_punch (BsdManager *self, guint device_id, const BsdStoredPunch *stored)
{
  const ZkAttendance *punch = &stored->punch;
  g_autoptr (BsdPerson) person = bsd_store_get_person (self->store, punch->user_id, NULL);
  g_autofree char *local_time
      = g_strdup_printf ("%04u-%02u-%02u %02u:%02u:%02u", punch->time.year, punch->time.month,
                         punch->time.day, punch->time.hour, punch->time.minute, punch->time.second);

  bs_dbus_manager_emit_punch_received (BS_DBUS_MANAGER (self), device_id, punch->user_id,
                                       (guint64)MAX (stored->utc_usec, 0), local_time,
                                       punch->verify, punch->state, person ? person->name : "");
}

static guint
probe_ms (void)
{
  const char *env = g_getenv ("BIOSYNC_LIVE_PROBE_MS");
  guint64 ms = env ? g_ascii_strtoull (env, NULL, 10) : 0;

  return ms >= 100 && ms <= 3600000 ? (guint)ms : PROBE_MS_DEFAULT;
}

/* a push terminal listens while it polls on time */
static const char *
push_live_state (BsDBusDevice *iface, gint64 now)
{
  gint64 last = (gint64)bs_dbus_device_get_last_poll (iface);

  if (!bs_dbus_device_get_enabled (iface))
    return "off";
  return last > 0 && now - last < PUSH_OVERDUE_US ? "listening" : "reconnecting";
}

static gboolean
is_push (BsDBusDevice *iface)
{
  return g_strcmp0 (bs_dbus_device_get_protocol (iface), "push") == 0;
}

/* every device's LiveState: its live session's, or its polls' */
static void
update_states (BsdManager *self, gboolean push_only)
{
  GHashTableIter iter;
  gpointer key, value;
  gint64 now = g_get_real_time ();

  g_hash_table_iter_init (&iter, self->devices);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autoptr (BsDBusDevice) iface = bs_dbus_object_get_device (BS_DBUS_OBJECT (value));

      if (is_push (iface))
        bs_dbus_device_set_live_state (iface, push_live_state (iface, now));
      else if (!push_only)
        bs_dbus_device_set_live_state (iface,
                                       bsd_live_get_state (self->live, GPOINTER_TO_UINT (key)));
    }
}

/* overdue is the absence of a poll: nothing else would notice it */
static gboolean
push_check_cb (gpointer data)
{
  update_states (data, TRUE);
  return G_SOURCE_CONTINUE;
}

/* a poll moved LastPoll (bsd-manager-push.c refreshed the object first) */
static void
push_polled_cb (BsdPushServer *push, guint device_id, BsdManager *self)
{
  g_autoptr (BsDBusDevice) iface = device_iface (self, device_id);

  if (iface != NULL && is_push (iface))
    bs_dbus_device_set_live_state (iface, push_live_state (iface, g_get_real_time ()));
}

void
bsd_manager_live_reload (BsdManager *self)
{
  if (self->live == NULL)
    return;
  bsd_live_reload (self->live);
  /* new objects start "off": show where every session stands */
  update_states (self, FALSE);
}

void
bsd_manager_live_stop (BsdManager *self)
{
  g_clear_handle_id (&self->push_check, g_source_remove);
  if (self->live != NULL)
    bsd_live_stop (self->live);
}

void
bsd_manager_live_start (BsdManager *self)
{
  BsdLiveTiming timing = { probe_ms (), BACKOFF_MIN_MS, BACKOFF_MAX_MS };

  self->live = bsd_live_new (self->store, self->gate, &timing);
  g_signal_connect_object (self->live, "punch-stored", G_CALLBACK (punch_stored_cb), self, 0);
  g_signal_connect_object (self->live, "device-changed", G_CALLBACK (device_changed_cb), self, 0);
  g_signal_connect_object (self->live, "state-changed", G_CALLBACK (state_changed_cb), self, 0);
  g_signal_connect_object (self->push, "device-changed", G_CALLBACK (push_polled_cb), self,
                           G_CONNECT_AFTER);
  self->push_check = g_timeout_add_seconds (PUSH_CHECK_S, push_check_cb, self);
  bsd_manager_live_reload (self);
}
