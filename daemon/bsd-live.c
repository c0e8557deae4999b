/* bsd-live.c — live punches: the sessions of every listening terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One thread per listening terminal (bsd-live-session.c). Why threads and
 * not one loop over all sockets: the session code is the blocking ZkClient
 * every job uses (connect, auth, reconnect, log reads with their deadlines
 * and floods handled), and an idle thread costs a stack mapping and a
 * poll() — measured at 200 terminals in tests/bench/bench-live.py. The
 * count is bounded by the devices configured; memory per session by the
 * client's read limits and a cap on punches in flight.
 */
#include "config.h"

#include "bsd-live.h"

#include "bsd-time-zone.h"

typedef struct
{
  BsdLiveSession *session;
  char *fingerprint; /* what the session was started with */
  GTimeZone *tz;
  BsdLiveState state;
  gboolean listened; /* once: a later loss and return are news */
  gboolean told;     /* why the first connect failed was logged */
} Entry;

struct _BsdLive
{
  GObject parent_instance;

  BsdStore *store;
  BsdSessionGate *gate;
  BsdLiveTiming timing;
  BsdLiveHooks hooks;
  GHashTable *entries; /* device id → Entry* */
};

enum
{
  PUNCH_STORED,
  DEVICE_CHANGED,
  STATE_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (BsdLive, bsd_live, G_TYPE_OBJECT)

static void
entry_free (Entry *entry)
{
  bsd_live_session_stop (entry->session);
  g_object_unref (entry->session);
  g_free (entry->fingerprint);
  g_time_zone_unref (entry->tz);
  g_free (entry);
}

static Entry *
lookup (BsdLive *self, guint device_id)
{
  return g_hash_table_lookup (self->entries, GUINT_TO_POINTER (device_id));
}

static void
set_state (BsdLive *self, guint device_id, BsdLiveState state)
{
  Entry *entry = lookup (self, device_id);

  if (entry != NULL)
    {
      if (entry->state == state)
        return;
      entry->state = state;
    }
  g_signal_emit (self, signals[STATE_CHANGED], 0, device_id, bsd_live_state_to_string (state));
}

/* ------------------------------------------------------------ hooks */

static BsdLogWatermark *
hook_get_mark (gpointer data, const char *serial)
{
  BsdLive *self = data;

  return bsd_store_get_log_watermark (self->store, serial, NULL);
}

static void
hook_punch (gpointer data, guint device_id, const char *serial, const ZkAttendance *punch)
{
  BsdLive *self = data;
  Entry *entry = lookup (self, device_id);
  g_autoptr (GError) error = NULL;
  BsdStoredPunch stored = { *punch, 0 };
  gboolean inserted = FALSE;

  if (entry == NULL)
    return;
  if (!bsd_store_add_punch (self->store, device_id, serial, entry->tz, punch, &inserted,
                            &stored.utc_usec, &error))
    {
      /* the log keeps it: the next log read or backfill stores it */
      g_warning ("device %u: %s", device_id, error->message);
      return;
    }
  /* a log read stored it first: it is not new, and was not live */
  if (!inserted)
    return;
  g_signal_emit (self, signals[PUNCH_STORED], 0, device_id, &stored);
  g_signal_emit (self, signals[DEVICE_CHANGED], 0, device_id);
}

static void
hook_backfill (gpointer data, guint device_id, const char *serial, BsdLogRead *read)
{
  BsdLive *self = data;
  Entry *entry = lookup (self, device_id);
  g_autoptr (GError) error = NULL;
  guint inserted = 0;

  if (entry == NULL || read->records == NULL)
    return;
  /* the rows and the watermark in one transaction, like any log read */
  if (!bsd_store_add_attendance_fresh (self->store, device_id, serial, entry->tz, read->records,
                                       read->log_count, bsd_log_read_get_newest (read), &inserted,
                                       NULL, NULL, &error))
    {
      g_warning ("device %u: storing the log read after connecting: %s", device_id, error->message);
      return;
    }
  if (read->ranged_changed
      && !bsd_store_set_ranged_reads (self->store, serial, read->ranged, NULL, &error))
    g_warning ("device %u: %s", device_id, error->message);
  if (inserted > 0)
    {
      g_message ("device %u: %u punches made while its live session was down stored", device_id,
                 inserted);
      g_signal_emit (self, signals[DEVICE_CHANGED], 0, device_id);
    }
}

static void
hook_state (gpointer data, guint device_id, BsdLiveState state, const char *why)
{
  BsdLive *self = data;
  Entry *entry = lookup (self, device_id);

  if (entry == NULL)
    return;
  /* a session starts as reconnecting: its first failure is news too */
  if (state == BSD_LIVE_RECONNECTING && (entry->state != state || !entry->told))
    g_message ("device %u: live session %s: %s", device_id,
               entry->listened ? "lost" : "not established yet", why);
  if (state == BSD_LIVE_RECONNECTING)
    entry->told = TRUE;
  else if (state == BSD_LIVE_LISTENING && entry->state == BSD_LIVE_RECONNECTING && entry->listened)
    g_message ("device %u: live session back", device_id);
  if (state == BSD_LIVE_LISTENING)
    entry->listened = TRUE;
  set_state (self, device_id, state);
}

/* ------------------------------------------------------------ sessions */

/* a zone is loaded by name only (as the engine does) */
static BsdEndpoint *
endpoint_for (const BsdDevice *device, guint32 comm_key)
{
  const char *zone = bsd_time_zone_is_valid (device->time_zone) ? device->time_zone : NULL;

  return bsd_endpoint_new (device->id, device->name, device->address, device->port,
                           device->protocol, comm_key, device->timeout_ms, zone);
}

static gboolean
wants_session (const BsdDevice *device)
{
  return device->enabled && device->live_punches && g_strcmp0 (device->protocol, "push") != 0;
}

static char *
fingerprint (const BsdDevice *device, guint32 comm_key)
{
  return g_strdup_printf ("%s\n%s\n%u\n%s\n%u\n%u\n%s", device->name, device->address, device->port,
                          device->protocol, device->timeout_ms, comm_key,
                          device->time_zone ? device->time_zone : "");
}

static void
start_session (BsdLive *self, const BsdDevice *device, guint32 comm_key, char *print)
{
  BsdEndpoint *endpoint = endpoint_for (device, comm_key);
  Entry *entry = g_new0 (Entry, 1);

  entry->fingerprint = print;
  entry->tz = bsd_endpoint_get_time_zone (endpoint);
  entry->state = BSD_LIVE_RECONNECTING;
  entry->session = bsd_live_session_new (endpoint, self->gate, &self->timing, &self->hooks);
  g_hash_table_insert (self->entries, GUINT_TO_POINTER (device->id), entry);
  /* "reconnecting" until the first connect and backfill are through */
  g_signal_emit (self, signals[STATE_CHANGED], 0, device->id,
                 bsd_live_state_to_string (entry->state));
}

static void
stop_session (BsdLive *self, guint device_id)
{
  g_hash_table_remove (self->entries, GUINT_TO_POINTER (device_id));
  set_state (self, device_id, BSD_LIVE_OFF);
}

void
bsd_live_reload (BsdLive *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr (GList) ids = NULL;

  g_return_if_fail (BSD_IS_LIVE (self));

  devices = bsd_store_list_devices (self->store, &error);
  if (devices == NULL)
    {
      g_warning ("live punches: listing devices: %s", error->message);
      return;
    }
  for (guint i = 0; i < devices->len; i++)
    {
      const BsdDevice *device = devices->pdata[i];
      Entry *entry = lookup (self, device->id);
      g_autofree char *print = NULL;
      guint32 key = 0;

      if (!wants_session (device))
        continue;
      if (!bsd_store_get_comm_key (self->store, device->id, &key, &error))
        {
          g_warning ("live punches: %s: %s", device->name, error->message);
          g_clear_error (&error);
          continue;
        }
      g_hash_table_add (seen, GUINT_TO_POINTER (device->id));
      print = fingerprint (device, key);
      if (entry != NULL && g_str_equal (entry->fingerprint, print))
        continue;
      if (entry != NULL)
        g_hash_table_remove (self->entries, GUINT_TO_POINTER (device->id));
      start_session (self, device, key, g_steal_pointer (&print));
    }
  ids = g_hash_table_get_keys (self->entries);
  for (GList *l = ids; l != NULL; l = l->next)
    if (!g_hash_table_contains (seen, l->data))
      stop_session (self, GPOINTER_TO_UINT (l->data));
}

const char *
bsd_live_get_state (BsdLive *self, guint device_id)
{
  Entry *entry;

  g_return_val_if_fail (BSD_IS_LIVE (self), "off");
  entry = lookup (self, device_id);
  return bsd_live_state_to_string (entry ? entry->state : BSD_LIVE_OFF);
}

guint
bsd_live_get_n_sessions (BsdLive *self)
{
  g_return_val_if_fail (BSD_IS_LIVE (self), 0);
  return g_hash_table_size (self->entries);
}

void
bsd_live_stop (BsdLive *self)
{
  GHashTableIter iter;
  Entry *entry;

  g_return_if_fail (BSD_IS_LIVE (self));

  /* every thread wakes at once; then each is joined */
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&entry))
    bsd_live_session_cancel (entry->session);
  g_hash_table_remove_all (self->entries);
}

/* ------------------------------------------------------------ object */

static void
bsd_live_dispose (GObject *object)
{
  BsdLive *self = BSD_LIVE (object);

  if (self->entries != NULL)
    bsd_live_stop (self);
  g_clear_pointer (&self->entries, g_hash_table_unref);
  g_clear_object (&self->gate);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (bsd_live_parent_class)->dispose (object);
}

static void
bsd_live_class_init (BsdLiveClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = bsd_live_dispose;

  signals[PUNCH_STORED]
      = g_signal_new ("punch-stored", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_POINTER);
  signals[DEVICE_CHANGED]
      = g_signal_new ("device-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[STATE_CHANGED]
      = g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
}

static void
bsd_live_init (BsdLive *self)
{
  self->entries
      = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)entry_free);
  self->hooks.get_mark = hook_get_mark;
  self->hooks.punch = hook_punch;
  self->hooks.backfill = hook_backfill;
  self->hooks.state = hook_state;
  self->hooks.data = self;
}

BsdLive *
bsd_live_new (BsdStore *store, BsdSessionGate *gate, const BsdLiveTiming *timing)
{
  BsdLive *self = g_object_new (BSD_TYPE_LIVE, NULL);

  self->store = g_object_ref (store);
  self->gate = g_object_ref (gate);
  self->timing = *timing;
  return self;
}
