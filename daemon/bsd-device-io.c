/* bsd-device-io.c — what a worker thread does with one terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-device-io.h"

#include <string.h>

#include "bsd-error.h"

/* after a cancel or an error, re-enabling gets its own short deadline */
#define CLEANUP_TIMEOUT_MS 3000

BsdEndpoint *
bsd_endpoint_new (guint device_id,
                  const char *name,
                  const char *address,
                  guint16 port,
                  const char *protocol,
                  guint32 comm_key,
                  guint timeout_ms,
                  const char *time_zone)
{
  BsdEndpoint *endpoint = g_new0 (BsdEndpoint, 1);

  endpoint->device_id = device_id;
  endpoint->name = g_strdup (name ? name : "");
  endpoint->address = g_strdup (address);
  endpoint->port = port;
  if (protocol == NULL || !zk_transport_from_string (protocol, &endpoint->transport))
    endpoint->transport = ZK_TRANSPORT_AUTO;
  endpoint->comm_key = comm_key;
  endpoint->timeout_ms = timeout_ms ? timeout_ms : 5000;
  endpoint->time_zone = (time_zone && *time_zone) ? g_strdup (time_zone) : NULL;
  return endpoint;
}

void
bsd_endpoint_free (BsdEndpoint *endpoint)
{
  if (endpoint == NULL)
    return;
  g_free (endpoint->name);
  g_free (endpoint->address);
  g_free (endpoint->time_zone);
  g_free (endpoint);
}

GTimeZone *
bsd_endpoint_get_time_zone (const BsdEndpoint *endpoint)
{
  if (endpoint->time_zone)
    {
      GTimeZone *tz = g_time_zone_new_identifier (endpoint->time_zone);

      if (tz)
        return tz;
    }
  return g_time_zone_new_local ();
}

/* ---------------------------------------------------------------- session */

/* sleeps @ms unless @cancellable fires first */
static gboolean
sleep_cancellable (guint ms, GCancellable *cancellable)
{
  gint64 end = g_get_monotonic_time () + (gint64)ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      if (g_cancellable_is_cancelled (cancellable))
        return FALSE;
      g_usleep (MIN (20000, MAX (end - g_get_monotonic_time (), 0)));
    }
  return !g_cancellable_is_cancelled (cancellable);
}

/* the whole retry loop: every attempt its timeout (twice for "auto",
 * which tries TCP, then UDP) and every backoff, no more */
static gint64
open_deadline (const BsdEndpoint *endpoint, guint attempts, guint backoff)
{
  gint64 per_attempt
      = (gint64)endpoint->timeout_ms * (endpoint->transport == ZK_TRANSPORT_AUTO ? 2 : 1);
  gint64 total_ms = per_attempt * attempts + (gint64)backoff * ((1 << MIN (attempts, 16)) - 1);

  return g_get_monotonic_time () + total_ms * G_TIME_SPAN_MILLISECOND;
}

ZkClient *
bsd_device_io_open (const BsdEndpoint *endpoint,
                    const BsdRetryPolicy *retry,
                    gboolean read_only,
                    GCancellable *cancellable,
                    GError **error)
{
  guint attempts = retry ? MAX (retry->attempts, 1) : 3;
  guint backoff = retry ? retry->backoff_ms : 500;
  gint64 deadline = open_deadline (endpoint, attempts, backoff);
  guint attempt;

  for (attempt = 1;; attempt++)
    {
      g_autoptr (ZkClient) client
          = zk_client_new (endpoint->address, endpoint->port, endpoint->transport);
      g_autoptr (GError) local = NULL;

      zk_client_set_comm_key (client, endpoint->comm_key);
      zk_client_set_timeout (client, endpoint->timeout_ms);
      zk_client_set_read_only (client, read_only);
      zk_client_set_deadline (client, deadline);
      if (zk_client_connect (client, cancellable, &local))
        {
          /* the session's own calls have their own deadlines */
          zk_client_set_deadline (client, 0);
          return g_steal_pointer (&client);
        }
      if (attempt >= attempts || !bsd_error_is_unreachable (local)
          || g_get_monotonic_time () >= deadline)
        {
          /* a wrong or missing comm key must read as what it is in job
           * reports, whatever wording the firmware path produced */
          if (g_error_matches (local, ZK_ERROR, ZK_ERROR_AUTH_FAILED))
            g_prefix_error (&local, "authentication failed: ");
          g_propagate_error (error, g_steal_pointer (&local));
          if (attempt > 1)
            g_prefix_error (error, "after %u attempts: ", attempt);
          return NULL;
        }
      g_debug ("%s: %s; trying again in %u ms", endpoint->name, local->message, backoff);
      if (!sleep_cancellable (backoff, cancellable))
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_CANCELLED, "cancelled");
          return NULL;
        }
      backoff *= 2;
    }
}

void
bsd_device_io_close (ZkClient *client, GCancellable *cancellable)
{
  if (client)
    zk_client_disconnect (client, cancellable, NULL);
}

/* ------------------------------------------------------ disabled, recorded */

gboolean
bsd_device_io_hold (ZkClient *client, BsdHold *hold, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (hold->record != NULL, FALSE);

  if (!hold->record (hold->data, error))
    {
      g_prefix_error (error, "recording the device as disabled: ");
      return FALSE;
    }
  hold->recorded = TRUE;
  if (!zk_client_disable (client, hold->timeout_s, cancellable, error))
    return FALSE;
  hold->disabled = TRUE;
  return TRUE;
}

gboolean
bsd_device_io_release (ZkClient *client, const BsdEndpoint *endpoint, BsdHold *hold, GError **error)
{
  /* also when DISABLEDEVICE failed: its reply may be what was lost */
  if (!hold->recorded)
    return TRUE;
  /* within a short deadline whatever the device does (retries included) */
  zk_client_set_timeout (client, MIN (endpoint->timeout_ms, CLEANUP_TIMEOUT_MS));
  zk_client_set_deadline (client,
                          g_get_monotonic_time () + CLEANUP_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND);
  zk_client_refresh_data (client, NULL, NULL);
  hold->enabled_again = zk_client_enable (client, NULL, error);
  zk_client_set_deadline (client, 0);
  zk_client_set_timeout (client, endpoint->timeout_ms);
  if (!hold->enabled_again)
    return FALSE;
  if (hold->forget)
    hold->forget (hold->data);
  hold->recorded = FALSE;
  return TRUE;
}

gboolean
bsd_hold_left_disabled (const BsdHold *hold)
{
  return hold->disabled && !hold->enabled_again;
}

void
bsd_contact_clear (BsdContact *contact)
{
  zk_device_info_clear (&contact->info);
  memset (contact, 0, sizeof *contact);
}

gboolean
bsd_device_io_probe (ZkClient *client,
                     const BsdEndpoint *endpoint,
                     BsdContact *contact,
                     GCancellable *cancellable,
                     GError **error)
{
  g_autoptr (GTimeZone) tz = bsd_endpoint_get_time_zone (endpoint);
  g_autoptr (GDateTime) device_now = NULL;
  g_autoptr (GError) local = NULL;

  if (!zk_client_get_info (client, &contact->info, cancellable, error))
    return FALSE;
  /* a clock that cannot be read is worth a report, not a failed contact */
  if (!zk_client_get_time (client, &contact->device_time, cancellable, &local))
    {
      if (g_error_matches (local, ZK_ERROR, ZK_ERROR_CANCELLED)
          || !g_error_matches (local, ZK_ERROR, ZK_ERROR_DEVICE))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      return TRUE;
    }
  device_now = zk_time_to_date_time (&contact->device_time, tz);
  if (device_now)
    {
      contact->have_clock = TRUE;
      contact->clock_offset
          = g_date_time_to_unix (device_now) - g_get_real_time () / G_USEC_PER_SEC;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ reads */

typedef struct
{
  const char *what;
  gint32 count;
  gint32 capacity;
} Reported;

/* what the device said about its tables, for reasons */
static char *
describe_sizes (const ZkSizes *sizes)
{
  return g_strdup_printf ("it reports %d users with room for %d, %d fingerprints with room for "
                          "%d, %d punches with room for %d",
                          sizes->users, sizes->user_capacity, sizes->fingers,
                          sizes->finger_capacity, sizes->records, sizes->record_capacity);
}

gboolean
bsd_device_io_trust_sizes (ZkClient *client,
                           const BsdEndpoint *endpoint,
                           const ZkSizes *sizes,
                           GError **error)
{
  const Reported reported[] = {
    { "users", sizes->users, sizes->user_capacity },
    { "fingerprints", sizes->fingers, sizes->finger_capacity },
    { "punches", sizes->records, sizes->record_capacity },
    { "users with faces", sizes->faces, sizes->face_capacity },
  };

  for (guint i = 0; i < G_N_ELEMENTS (reported); i++)
    {
      const Reported *r = &reported[i];

      if (r->capacity > 0 && r->count > 0
          && (guint64)r->count > zk_read_allowance ((guint64)r->capacity))
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                       "%s contradicts itself: it reports %d %s but has room for %d; nothing it "
                       "holds is used",
                       endpoint->name, r->count, r->what, r->capacity);
          return FALSE;
        }
    }
  if (sizes->users > BSD_PLAN_MAX_UID)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                   "%s contradicts itself: it reports %d users, but a terminal has %d slots; "
                   "nothing it holds is used",
                   endpoint->name, sizes->users, BSD_PLAN_MAX_UID);
      return FALSE;
    }
  /* and no table may be larger than these numbers allow */
  zk_client_limit_reads_to (client, sizes);
  return TRUE;
}

/* a table the device sent wrong (too large for what it reports, a broken
 * stream, a flood): the reason names the device and its numbers */
static void
name_bad_table (const BsdEndpoint *endpoint, const ZkSizes *sizes, GError **error)
{
  g_autofree char *numbers = NULL;

  if (error == NULL || !g_error_matches (*error, ZK_ERROR, ZK_ERROR_PROTOCOL))
    return;
  numbers = describe_sizes (sizes);
  g_prefix_error (error, "%s (%s): ", endpoint->name, numbers);
}

gboolean
bsd_device_io_read_sizes (ZkClient *client,
                          const BsdEndpoint *endpoint,
                          ZkSizes *sizes,
                          GCancellable *cancellable,
                          GError **error)
{
  return zk_client_get_sizes (client, sizes, cancellable, error)
         && bsd_device_io_trust_sizes (client, endpoint, sizes, error);
}

GPtrArray *
bsd_device_io_read_users (ZkClient *client,
                          const BsdEndpoint *endpoint,
                          GCancellable *cancellable,
                          GError **error)
{
  ZkSizes sizes;
  GPtrArray *users;

  if (!bsd_device_io_read_sizes (client, endpoint, &sizes, cancellable, error))
    return NULL;
  users = zk_client_read_users (client, NULL, cancellable, error);
  if (users == NULL)
    name_bad_table (endpoint, &sizes, error);
  return users;
}

static void
take_array (GPtrArray **dest, GPtrArray *src)
{
  g_clear_pointer (dest, g_ptr_array_unref);
  *dest = src;
}

BsdSnapshot *
bsd_device_io_read_snapshot (ZkClient *client,
                             const BsdEndpoint *endpoint,
                             const BsdContact *contact,
                             BsdReadFlags flags,
                             GPtrArray *warnings,
                             GCancellable *cancellable,
                             GError **error)
{
  g_autoptr (BsdSnapshot) snapshot = bsd_snapshot_new (endpoint->device_id, endpoint->name);
  const ZkDeviceInfo *info = &contact->info;

  snapshot->fp_version = g_strdup (info->fp_version);
  snapshot->face_capable = zk_device_info_face_capable (info);
  snapshot->face_version = snapshot->face_capable ? g_strdup (info->face_version) : NULL;
  snapshot->pin_width = info->pin_width;
  snapshot->user_capacity = (guint)MAX (info->sizes.user_capacity, 0);
  snapshot->finger_capacity = (guint)MAX (info->sizes.finger_capacity, 0);
  snapshot->face_capacity = (guint)MAX (info->sizes.face_capacity, 0);
  snapshot->user_count = (guint)MAX (info->sizes.users, 0);
  snapshot->finger_count = (guint)MAX (info->sizes.fingers, 0);
  snapshot->face_count = (guint)MAX (info->sizes.faces, 0);

  if (!bsd_device_io_trust_sizes (client, endpoint, &info->sizes, error))
    return NULL;
  if (flags & BSD_READ_USERS)
    {
      GPtrArray *users = zk_client_read_users (client, warnings, cancellable, error);

      if (users == NULL)
        {
          name_bad_table (endpoint, &info->sizes, error);
          return NULL;
        }
      take_array (&snapshot->users, users);
    }
  snapshot->user_width = zk_client_get_user_width (client);
  if (snapshot->user_width == 0)
    snapshot->user_width = info->user_width ? info->user_width : ZK_USER_SIZE_72;

  if (flags & BSD_READ_FINGERS)
    {
      GPtrArray *templates = zk_client_read_templates (client, warnings, cancellable, error);

      if (templates == NULL)
        {
          name_bad_table (endpoint, &info->sizes, error);
          return NULL;
        }
      take_array (&snapshot->templates, templates);
    }

  /* faces come one user at a time (CMD 150): only where the device says
   * some user has a face, and only until all of them are found */
  if ((flags & BSD_READ_FACES) && snapshot->face_capable && info->sizes.faces > 0)
    {
      guint found = 0;
      guint i;

      for (i = 0; i < snapshot->users->len && found < (guint)info->sizes.faces; i++)
        {
          ZkUser *user = snapshot->users->pdata[i];
          g_autoptr (GPtrArray) faces = NULL;
          guint j;

          /* a slot without a (clean) PIN is no one's: its faces would be orphans */
          if (user->user_id[0] == '\0')
            continue;
          faces = zk_client_read_faces (client, user->uid, cancellable, error);
          if (faces == NULL)
            {
              name_bad_table (endpoint, &info->sizes, error);
              return NULL;
            }
          if (faces->len > 0)
            found++;
          for (j = 0; j < faces->len; j++)
            {
              ZkFace *face = faces->pdata[j];

              face->uid = user->uid; /* the record's uid field is not trusted */
              g_ptr_array_add (snapshot->faces, zk_face_copy (face));
            }
        }
    }
  return g_steal_pointer (&snapshot);
}

gboolean
bsd_device_io_set_time (ZkClient *client,
                        const BsdEndpoint *endpoint,
                        GCancellable *cancellable,
                        GError **error)
{
  g_autoptr (GTimeZone) tz = bsd_endpoint_get_time_zone (endpoint);
  g_autoptr (GDateTime) now = g_date_time_new_now (tz);
  ZkTime time;

  zk_time_from_date_time (now, &time);
  if (!zk_client_set_time (client, &time, cancellable, error))
    return FALSE;
  /* ZKAccess refreshes after setting the time */
  zk_client_refresh_data (client, cancellable, NULL);
  return TRUE;
}

/* ------------------------------------------------------------ one PIN */

void
bsd_pin_change_clear (BsdPinChange *change)
{
  g_clear_pointer (&change->users, g_ptr_array_unref);
  change->was_present = FALSE;
}

static ZkUser *
find_user (GPtrArray *users, const char *pin)
{
  for (guint i = 0; users && i < users->len; i++)
    {
      ZkUser *u = users->pdata[i];

      if (strcmp (u->user_id, pin) == 0)
        return u;
    }
  return NULL;
}

/* reads the user table into @change (the table read before goes); the
 * PIN's record in it, NULL when the terminal does not hold the PIN or
 * (change->users NULL, @error set) when the read failed */
static ZkUser *
read_pin (ZkClient *client,
          const BsdEndpoint *endpoint,
          const char *pin,
          BsdPinChange *change,
          GCancellable *cancellable,
          GError **error)
{
  g_clear_pointer (&change->users, g_ptr_array_unref);
  change->users = bsd_device_io_read_users (client, endpoint, cancellable, error);
  return change->users != NULL ? find_user (change->users, pin) : NULL;
}

gboolean
bsd_device_io_delete_pin (ZkClient *client,
                          const BsdEndpoint *endpoint,
                          const char *pin,
                          BsdHold *hold,
                          BsdPinChange *change,
                          GCancellable *cancellable,
                          GError **error)
{
  g_autoptr (GError) local = NULL;
  ZkUser *user = read_pin (client, endpoint, pin, change, cancellable, error);

  if (user == NULL)
    return change->users != NULL;
  change->was_present = TRUE;
  if (bsd_device_io_hold (client, hold, cancellable, &local)
      && !zk_client_delete_user (client, user->uid, cancellable, &local)
      && zk_error_get_subcode (local) == 2)
    g_clear_error (&local); /* gone already */
  bsd_device_io_release (client, endpoint, hold, NULL);
  if (local)
    {
      /* the table read before no longer stands for the terminal */
      g_clear_pointer (&change->users, g_ptr_array_unref);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (read_pin (client, endpoint, pin, change, cancellable, error) != NULL)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_FAILED,
                   "the device acknowledged the deletion but still holds PIN %s", pin);
      return FALSE;
    }
  return change->users != NULL;
}

gboolean
bsd_device_io_update_pin (ZkClient *client,
                          const BsdEndpoint *endpoint,
                          const ZkUser *want,
                          BsdPinChange *change,
                          GCancellable *cancellable,
                          GError **error)
{
  g_autoptr (ZkUser) record = NULL;
  ZkUser *user = read_pin (client, endpoint, want->user_id, change, cancellable, error);
  ZkUser *got;

  if (user == NULL)
    return change->users != NULL;
  change->was_present = TRUE;
  /* the terminal's slot and access time zones stay as they are */
  record = zk_user_copy (want);
  record->uid = user->uid;
  memcpy (record->timezones, user->timezones, sizeof record->timezones);
  if (!zk_client_set_user (client, record, cancellable, error))
    return FALSE;
  zk_client_refresh_data (client, NULL, NULL);
  got = read_pin (client, endpoint, want->user_id, change, cancellable, error);
  if (change->users == NULL)
    return FALSE;
  if (got == NULL || !zk_user_same_record (got, record))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_FAILED,
                   "the device acknowledged the update but holds another record for PIN %s",
                   want->user_id);
      return FALSE;
    }
  return TRUE;
}

void
bsd_traffic_mark (ZkClient *client, BsdTraffic *mark)
{
  ZkClientStats stats;

  zk_client_get_stats (client, &stats);
  mark->requests = stats.requests;
  mark->bytes_out = stats.bytes_out;
  mark->bytes_in = stats.bytes_in;
  mark->started_us = g_get_monotonic_time ();
  mark->ended_us = mark->started_us;
}

void
bsd_traffic_since (ZkClient *client, const BsdTraffic *mark, BsdTraffic *sum)
{
  BsdTraffic now;

  bsd_traffic_mark (client, &now);
  /* a reconnect may start the counters again */
  sum->requests += now.requests - MIN (mark->requests, now.requests);
  sum->bytes_out += now.bytes_out - MIN (mark->bytes_out, now.bytes_out);
  sum->bytes_in += now.bytes_in - MIN (mark->bytes_in, now.bytes_in);
  if (sum->started_us == 0)
    sum->started_us = mark->started_us;
  sum->ended_us = now.ended_us;
}
