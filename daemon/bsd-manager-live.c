/* bsd-manager-live.c — live punches on the Manager: PunchReceived, and
 * the Device's LiveState and LastPunch
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The sessions themselves are BsdLive's (bsd-live.c); they follow the
 * device table each time the objects are refreshed from it. A push
 * terminal's LiveState comes from its polls: listening while they come on
 * time, reconnecting when one is overdue, off when it is disabled.
 *
 * Punches are personal data: PunchReceived goes only to the bus names that
 * called WatchPunches (org.biosync.manage), each on its own, until they
 * call UnwatchPunches or leave the bus.
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
/* watchers in all and per user: one user's connections cannot make every
 * punch cost the daemon unbounded messages */
#define WATCHERS_MAX 64
#define WATCHERS_PER_UID_MAX 8

typedef struct
{
  guint32 uid;
  guint watch_id; /* the bus name's watch: its vanishing drops the watcher */
} Watcher;

static void
watcher_free (Watcher *watcher)
{
  g_bus_unwatch_name (watcher->watch_id);
  g_free (watcher);
}

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

/* PunchReceived's arguments */
static GVariant *
punch_args (BsdManager *self, guint device_id, const BsdStoredPunch *stored)
{
  const ZkAttendance *punch = &stored->punch;
  g_autoptr (BsdPerson) person = bsd_store_get_person (self->store, punch->user_id, NULL);
  g_autofree char *local_time
      = g_strdup_printf ("%04u-%02u-%02u %02u:%02u:%02u", punch->time.year, punch->time.month,
                         punch->time.day, punch->time.hour, punch->time.minute, punch->time.second);

  return g_variant_ref_sink (
      g_variant_new ("(ustsuus)", device_id, punch->user_id, (guint64)MAX (stored->utc_usec, 0),
                     local_time, punch->verify, punch->state, person ? person->name : ""));
}

void
bsd_manager_emit_punch (BsdManager *self, guint device_id, const BsdStoredPunch *stored)
{
  GDBusInterfaceSkeleton *skeleton = G_DBUS_INTERFACE_SKELETON (self);
  const char *path = g_dbus_interface_skeleton_get_object_path (skeleton);
  g_autoptr (GVariant) args = NULL;
  GHashTableIter iter;
  gpointer name;

  if (path == NULL || g_hash_table_size (self->watchers) == 0)
    return;
  args = punch_args (self, device_id, stored);
  /* no PIN in the log: it is personal data */
  g_debug ("a live punch on device %u to %u watchers", device_id,
           g_hash_table_size (self->watchers));
  /* unicast: a local user who did not watch (or may not) never sees it */
  g_hash_table_iter_init (&iter, self->watchers);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    {
      g_autoptr (GError) error = NULL;

      if (!g_dbus_connection_emit_signal (self->connection, name, path,
                                          g_dbus_interface_skeleton_get_info (skeleton)->name,
                                          "PunchReceived", args, &error))
        g_warning ("PunchReceived to %s: %s", (const char *)name, error->message);
    }
}

/* ------------------------------------------------------------- watchers */

static void
watcher_vanished_cb (GDBusConnection *connection, const char *name, gpointer user_data)
{
  BsdManager *self = user_data;
  g_autofree char *gone = g_strdup (name);

  /* the watch is undone by the removal: keep the name meanwhile */
  if (g_hash_table_remove (self->watchers, gone))
    g_debug ("watcher %s left the bus; %u watchers", gone, g_hash_table_size (self->watchers));
}

static guint
watchers_of_uid (BsdManager *self, guint32 uid)
{
  GHashTableIter iter;
  gpointer value;
  guint count = 0;

  g_hash_table_iter_init (&iter, self->watchers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    count += ((Watcher *)value)->uid == uid;
  return count;
}

static void
watch_authorized (BsdManager *self,
                  GDBusMethodInvocation *invocation,
                  const char *trigger,
                  gint64 uid,
                  gpointer data)
{
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  Watcher *watcher;

  if (g_hash_table_contains (self->watchers, sender))
    {
      bs_dbus_manager_complete_watch_punches (BS_DBUS_MANAGER (self), invocation);
      return;
    }
  if (g_hash_table_size (self->watchers) >= WATCHERS_MAX
      || watchers_of_uid (self, (guint32)uid) >= WATCHERS_PER_UID_MAX)
    {
      g_dbus_method_invocation_return_error (
          invocation, BS_ERROR, BS_ERROR_BUSY,
          "too many watchers of live punches: at most %d per user and %d in all; call "
          "UnwatchPunches on one or close it",
          WATCHERS_PER_UID_MAX, WATCHERS_MAX);
      return;
    }
  watcher = g_new0 (Watcher, 1);
  watcher->uid = (guint32)uid;
  /* a name that already left is reported vanished at once, and dropped */
  watcher->watch_id = g_bus_watch_name_on_connection (
      g_dbus_method_invocation_get_connection (invocation), sender, G_BUS_NAME_WATCHER_FLAGS_NONE,
      NULL, watcher_vanished_cb, self, NULL);
  g_hash_table_insert (self->watchers, g_strdup (sender), watcher);
  g_debug ("watcher %s (uid %u) added; %u watchers", sender, watcher->uid,
           g_hash_table_size (self->watchers));
  bs_dbus_manager_complete_watch_punches (BS_DBUS_MANAGER (self), invocation);
}

static gboolean
handle_watch_punches (BsDBusManager *iface, GDBusMethodInvocation *invocation)
{
  /* personal data: org.biosync.manage, like ListAttendance; nothing is
   * kept before polkit said yes */
  bsd_manager_authorize (BSD_MANAGER (iface), invocation, watch_authorized, NULL, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
unwatch_admitted (BsdManager *self,
                  GDBusMethodInvocation *invocation,
                  const char *trigger,
                  gint64 uid,
                  gpointer data)
{
  /* only the caller's own watch: harmless, so a read */
  g_hash_table_remove (self->watchers, g_dbus_method_invocation_get_sender (invocation));
  bs_dbus_manager_complete_unwatch_punches (BS_DBUS_MANAGER (self), invocation);
  bsd_manager_caller_release (self, (guint32)uid);
}

static gboolean
handle_unwatch_punches (BsDBusManager *iface, GDBusMethodInvocation *invocation)
{
  bsd_manager_authorize (BSD_MANAGER (iface), invocation, unwatch_admitted, NULL, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
bsd_manager_live_init (BsdManager *self)
{
  self->watchers
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)watcher_free);
  g_signal_connect (self, "handle-watch-punches", G_CALLBACK (handle_watch_punches), NULL);
  g_signal_connect (self, "handle-unwatch-punches", G_CALLBACK (handle_unwatch_punches), NULL);
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
