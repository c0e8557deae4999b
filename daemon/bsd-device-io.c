/* bsd-device-io.c — what a worker thread does with one terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-device-io.h"

#include <string.h>

/* a batch upload (CMD 110) carries many records in one buffer; below this
 * many writes the per-record commands cost no more and are simpler */
#define BATCH_MIN_ITEMS 8
/* keep one batch buffer well below what a terminal can allocate */
#define BATCH_MAX_BYTES (2 * 1024 * 1024)
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

static gboolean
retryable (const GError *error)
{
  return g_error_matches (error, ZK_ERROR, ZK_ERROR_TIMED_OUT)
         || g_error_matches (error, ZK_ERROR, ZK_ERROR_UNREACHABLE)
         || g_error_matches (error, ZK_ERROR, ZK_ERROR_CLOSED);
}

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
      if (attempt >= attempts || !retryable (local) || g_get_monotonic_time () >= deadline)
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

/* ------------------------------------------------------------------ apply */

void
bsd_item_failure_free (BsdItemFailure *failure)
{
  if (failure == NULL)
    return;
  g_free (failure->pin);
  g_free (failure->action);
  g_free (failure->reason);
  g_free (failure);
}

static void
add_failure (BsdApplyResult *result,
             BsdPlanItemKind kind,
             const char *pin,
             gint index,
             const char *action,
             const char *reason)
{
  BsdItemFailure *failure = g_new0 (BsdItemFailure, 1);

  failure->kind = kind;
  failure->pin = g_strdup (pin);
  failure->index = index;
  failure->action = g_strdup (action);
  failure->reason = g_strdup (reason);
  g_ptr_array_add (result->failures, failure);
}

void
bsd_apply_result_init (BsdApplyResult *result)
{
  memset (result, 0, sizeof *result);
  result->failures = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_item_failure_free);
  result->deleted_pins = g_ptr_array_new_with_free_func (g_free);
}

void
bsd_apply_result_clear (BsdApplyResult *result)
{
  g_clear_pointer (&result->failures, g_ptr_array_unref);
  g_clear_pointer (&result->deleted_pins, g_ptr_array_unref);
  g_clear_pointer (&result->after, bsd_snapshot_free);
}

/* errors after which the session is gone: stop writing to this device */
static gboolean
session_broken (const GError *error)
{
  return g_error_matches (error, ZK_ERROR, ZK_ERROR_TIMED_OUT)
         || g_error_matches (error, ZK_ERROR, ZK_ERROR_CLOSED)
         || g_error_matches (error, ZK_ERROR, ZK_ERROR_UNREACHABLE)
         || g_error_matches (error, ZK_ERROR, ZK_ERROR_CANCELLED)
         || g_error_matches (error, ZK_ERROR, ZK_ERROR_AUTH_FAILED);
}

static ZkTemplate *
plan_template_to_zk (const BsdPlanTemplate *t)
{
  return zk_template_new (t->uid, t->index, t->valid ? t->valid : 1, t->data);
}

/* users (adds and updates) and their templates through CMD 110 batches;
 * FALSE when the device refused batches (the caller writes per record) */
static gboolean
write_batches (ZkClient *client,
               const BsdDevicePlan *plan,
               GCancellable *cancellable,
               GError **error)
{
  g_autoptr (GPtrArray) users = g_ptr_array_new ();
  g_autoptr (GPtrArray) templates
      = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_template_free);
  gsize bytes = 0;
  guint i;

  for (i = 0; i < plan->users_add->len + plan->users_update->len; i++)
    {
      BsdPlanUser *u = i < plan->users_add->len
                           ? plan->users_add->pdata[i]
                           : plan->users_update->pdata[i - plan->users_add->len];

      g_ptr_array_add (users, u->record);
      bytes += 73;
      if (bytes >= BATCH_MAX_BYTES)
        {
          if (!zk_client_write_batch (client, users, templates, cancellable, error))
            return FALSE;
          g_ptr_array_set_size (users, 0);
          bytes = 0;
        }
    }
  for (i = 0; i < plan->templates_add->len; i++)
    {
      BsdPlanTemplate *t = plan->templates_add->pdata[i];

      g_ptr_array_add (templates, plan_template_to_zk (t));
      bytes += 8 + 2 + g_bytes_get_size (t->data);
      if (bytes >= BATCH_MAX_BYTES)
        {
          if (!zk_client_write_batch (client, users, templates, cancellable, error))
            return FALSE;
          g_ptr_array_set_size (users, 0);
          g_ptr_array_set_size (templates, 0);
          bytes = 0;
        }
    }
  if (users->len + templates->len > 0
      && !zk_client_write_batch (client, users, templates, cancellable, error))
    return FALSE;
  return TRUE;
}

static gboolean
write_per_record (ZkClient *client,
                  const BsdDevicePlan *plan,
                  BsdApplyResult *result,
                  GCancellable *cancellable,
                  GError **error)
{
  g_autoptr (GHashTable) failed_pins = g_hash_table_new (g_str_hash, g_str_equal);
  guint i;

  for (i = 0; i < plan->users_add->len + plan->users_update->len; i++)
    {
      gboolean add = i < plan->users_add->len;
      BsdPlanUser *u
          = add ? plan->users_add->pdata[i] : plan->users_update->pdata[i - plan->users_add->len];
      g_autoptr (GError) local = NULL;

      if (g_cancellable_is_cancelled (cancellable))
        {
          result->cancelled = TRUE;
          return TRUE;
        }
      if (!zk_client_set_user (client, u->record, cancellable, &local))
        {
          if (session_broken (local))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          add_failure (result, BSD_PLAN_ITEM_USER, u->pin, -1, add ? "add" : "update",
                       local->message);
          g_hash_table_add (failed_pins, u->pin);
        }
    }
  for (i = 0; i < plan->templates_add->len; i++)
    {
      BsdPlanTemplate *t = plan->templates_add->pdata[i];
      g_autoptr (ZkTemplate) tmpl = NULL;
      g_autoptr (GError) local = NULL;

      if (g_cancellable_is_cancelled (cancellable))
        {
          result->cancelled = TRUE;
          return TRUE;
        }
      if (g_hash_table_contains (failed_pins, t->pin))
        {
          add_failure (result, BSD_PLAN_ITEM_FINGER, t->pin, t->index, "add",
                       "the user could not be written");
          continue;
        }
      tmpl = plan_template_to_zk (t);
      if (!zk_client_write_template (client, tmpl, cancellable, &local))
        {
          if (session_broken (local))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          add_failure (result, BSD_PLAN_ITEM_FINGER, t->pin, t->index, "add", local->message);
        }
    }
  return TRUE;
}

static gboolean
write_faces (ZkClient *client,
             const BsdDevicePlan *plan,
             BsdApplyResult *result,
             GCancellable *cancellable,
             GError **error)
{
  guint i = 0;

  /* faces_add is sorted by PIN: one upload per person */
  while (i < plan->faces_add->len)
    {
      BsdPlanTemplate *first = plan->faces_add->pdata[i];
      g_autoptr (GPtrArray) faces = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_face_free);
      g_autoptr (GError) local = NULL;
      guint j;

      if (g_cancellable_is_cancelled (cancellable))
        {
          result->cancelled = TRUE;
          return TRUE;
        }
      for (j = i; j < plan->faces_add->len; j++)
        {
          BsdPlanTemplate *t = plan->faces_add->pdata[j];

          if (strcmp (t->pin, first->pin) != 0)
            break;
          g_ptr_array_add (faces, zk_face_new (t->uid, t->index, t->valid ? t->valid : 1, t->data));
        }
      if (!zk_client_write_faces (client, first->pin, faces, cancellable, &local))
        {
          guint k;

          if (session_broken (local))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          for (k = i; k < j; k++)
            {
              BsdPlanTemplate *t = plan->faces_add->pdata[k];

              add_failure (result, BSD_PLAN_ITEM_FACE, t->pin, t->index, "add", local->message);
            }
        }
      i = j;
    }
  return TRUE;
}

static gboolean
has_failure (BsdApplyResult *result, BsdPlanItemKind kind, const char *pin, gint index)
{
  guint i;

  for (i = 0; i < result->failures->len; i++)
    {
      BsdItemFailure *f = result->failures->pdata[i];

      if (f->kind == kind && f->index == index && strcmp (f->pin, pin) == 0)
        return TRUE;
    }
  return FALSE;
}

/* what the device should hold after writing @record: the record as its
 * width and encoding let it be stored (names cut, …) */
static ZkUser *
as_stored (const ZkUser *record, guint width)
{
  guint8 buf[ZK_USER_SIZE_72];

  if (!zk_user_encode (record, width, NULL, buf, NULL))
    return zk_user_copy (record);
  return zk_user_decode (buf, width, NULL);
}

static void
verify (const BsdDevicePlan *plan, BsdApplyResult *result, guint width)
{
  const BsdSnapshot *after = result->after;
  g_autoptr (GHashTable) by_pin = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) fingers = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  guint i;

  for (i = 0; i < after->users->len; i++)
    {
      ZkUser *u = after->users->pdata[i];

      g_hash_table_insert (by_pin, u->user_id, u);
    }
  for (i = 0; i < after->templates->len; i++)
    {
      ZkTemplate *t = after->templates->pdata[i];
      char *key = g_strdup_printf ("%u/%u", t->uid, t->fid);

      g_ptr_array_add (keys, key);
      g_hash_table_insert (fingers, key, t);
    }

  for (i = 0; i < plan->users_delete->len; i++)
    {
      BsdPlanUser *u = plan->users_delete->pdata[i];

      if (has_failure (result, BSD_PLAN_ITEM_USER, u->pin, -1))
        continue;
      if (g_hash_table_contains (by_pin, u->pin))
        add_failure (result, BSD_PLAN_ITEM_USER, u->pin, -1, "delete",
                     "still on the device after the delete was acknowledged");
      else
        {
          result->users_deleted++;
          g_ptr_array_add (result->deleted_pins, g_strdup (u->pin));
        }
    }
  for (i = 0; i < plan->users_add->len + plan->users_update->len; i++)
    {
      gboolean add = i < plan->users_add->len;
      BsdPlanUser *u
          = add ? plan->users_add->pdata[i] : plan->users_update->pdata[i - plan->users_add->len];
      ZkUser *got = g_hash_table_lookup (by_pin, u->pin);
      g_autoptr (ZkUser) want = NULL;

      if (has_failure (result, BSD_PLAN_ITEM_USER, u->pin, -1))
        continue;
      want = as_stored (u->record, width);
      if (got == NULL)
        add_failure (result, BSD_PLAN_ITEM_USER, u->pin, -1, add ? "add" : "update",
                     "acknowledged but not on the device when read back");
      else if (!zk_user_same_record (got, want))
        add_failure (result, BSD_PLAN_ITEM_USER, u->pin, -1, add ? "add" : "update",
                     "acknowledged but the device holds a different record");
      else if (add)
        result->users_added++;
      else
        result->users_updated++;
    }
  for (i = 0; i < plan->templates_add->len; i++)
    {
      BsdPlanTemplate *t = plan->templates_add->pdata[i];
      g_autofree char *key = NULL;
      ZkUser *owner = g_hash_table_lookup (by_pin, t->pin);
      ZkTemplate *got;

      if (has_failure (result, BSD_PLAN_ITEM_FINGER, t->pin, t->index))
        continue;
      /* the user may sit in another slot than planned (batch writes match
       * users by PIN): look the template up by the PIN's slot as read */
      key = g_strdup_printf ("%u/%u", owner ? owner->uid : t->uid, t->index);
      got = g_hash_table_lookup (fingers, key);
      if (got == NULL || !g_bytes_equal (got->data, t->data))
        add_failure (result, BSD_PLAN_ITEM_FINGER, t->pin, t->index, "add",
                     got ? "the device holds a different template"
                         : "acknowledged but not on the device when read back");
      else
        result->templates_added++;
    }
  for (i = 0; i < plan->faces_add->len; i++)
    {
      BsdPlanTemplate *t = plan->faces_add->pdata[i];
      ZkUser *owner = g_hash_table_lookup (by_pin, t->pin);
      gboolean found = FALSE;
      guint j;

      if (has_failure (result, BSD_PLAN_ITEM_FACE, t->pin, t->index))
        continue;
      for (j = 0; owner && j < after->faces->len && !found; j++)
        {
          ZkFace *f = after->faces->pdata[j];

          found = f->uid == owner->uid && f->fid == t->index && g_bytes_equal (f->data, t->data);
        }
      if (found)
        result->faces_added++;
      else
        add_failure (result, BSD_PLAN_ITEM_FACE, t->pin, t->index, "add",
                     "acknowledged but not on the device when read back");
    }
}

/* the read-back: users always, fingers and faces where something was written */
static BsdSnapshot *
read_back (ZkClient *client,
           const BsdEndpoint *endpoint,
           const BsdContact *contact,
           const BsdDevicePlan *plan,
           GCancellable *cancellable,
           GError **error)
{
  BsdContact fresh = { 0 };
  BsdSnapshot *after;
  BsdReadFlags flags = BSD_READ_USERS;

  if (plan->templates_add->len > 0)
    flags |= BSD_READ_FINGERS;
  if (plan->faces_add->len > 0)
    flags |= BSD_READ_FACES;
  /* counts changed: fresh sizes guide the reads */
  if (!zk_client_get_sizes (client, &fresh.info.sizes, cancellable, error))
    return NULL;
  fresh.info.fp_version = contact->info.fp_version;
  fresh.info.face_version = contact->info.face_version;
  fresh.info.face_on = contact->info.face_on;
  fresh.info.pin_width = contact->info.pin_width;
  fresh.info.user_width = contact->info.user_width;
  after = bsd_device_io_read_snapshot (client, endpoint, &fresh, flags, NULL, cancellable, error);
  /* borrowed strings: not ours to free */
  return after;
}

gboolean
bsd_device_io_apply (ZkClient *client,
                     const BsdEndpoint *endpoint,
                     const BsdContact *contact,
                     const BsdDevicePlan *plan,
                     BsdHold *hold,
                     BsdApplyResult *result,
                     GCancellable *cancellable,
                     GError **error)
{
  g_autoptr (GError) broken = NULL;
  guint n_writes;
  guint i;

  g_return_val_if_fail (result != NULL && result->failures != NULL, FALSE);

  n_writes = plan->users_add->len + plan->users_update->len + plan->users_delete->len
             + plan->templates_add->len + plan->faces_add->len;
  if (n_writes == 0)
    return TRUE;

  if (!bsd_device_io_hold (client, hold, cancellable, error))
    {
      bsd_device_io_release (client, endpoint, hold, NULL);
      return FALSE;
    }

  /* deletions first: they free slots and capacity */
  for (i = 0; i < plan->users_delete->len && broken == NULL; i++)
    {
      BsdPlanUser *u = plan->users_delete->pdata[i];
      g_autoptr (GError) local = NULL;

      if (g_cancellable_is_cancelled (cancellable))
        {
          result->cancelled = TRUE;
          break;
        }
      if (!zk_client_delete_user (client, u->uid, cancellable, &local))
        {
          /* already gone is what we wanted; the read-back decides */
          if (g_error_matches (local, ZK_ERROR, ZK_ERROR_NOT_FOUND)
              || zk_error_get_subcode (local) == 2)
            continue;
          if (session_broken (local))
            broken = g_steal_pointer (&local);
          else
            add_failure (result, BSD_PLAN_ITEM_USER, u->pin, -1, "delete", local->message);
        }
    }

  if (broken == NULL && !result->cancelled)
    {
      guint n_users_templates
          = plan->users_add->len + plan->users_update->len + plan->templates_add->len;
      gboolean done = FALSE;

      if (n_users_templates >= BATCH_MIN_ITEMS)
        {
          g_autoptr (GError) local = NULL;

          done = write_batches (client, plan, cancellable, &local);
          if (!done && session_broken (local))
            broken = g_steal_pointer (&local);
          else if (!done)
            g_debug ("%s: batch upload refused (%s); writing record by record", endpoint->name,
                     local->message);
        }
      if (broken == NULL && !done)
        write_per_record (client, plan, result, cancellable, &broken);
    }
  if (broken == NULL && !result->cancelled)
    write_faces (client, plan, result, cancellable, &broken);

  /* always leave the device working, also after a cancel or an error */
  bsd_device_io_release (client, endpoint, hold, NULL);

  if (broken != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&broken));
      return FALSE;
    }
  if (result->cancelled)
    return TRUE;

  result->after = read_back (client, endpoint, contact, plan, cancellable, error);
  if (result->after == NULL)
    {
      g_prefix_error (error, "reading back: ");
      return FALSE;
    }
  verify (plan, result, result->after->user_width);
  return TRUE;
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

/* ---------------------------------------------------------- attendance */

void
bsd_log_read_clear (BsdLogRead *read)
{
  g_clear_pointer (&read->records, g_ptr_array_unref);
  g_clear_pointer (&read->ranged_note, g_free);
}

const ZkAttendance *
bsd_log_read_get_newest (const BsdLogRead *read)
{
  if (read->records == NULL || read->records->len == 0 || !(read->tail || read->complete))
    return NULL;
  return g_ptr_array_index (read->records, read->records->len - 1);
}

static void bsd_log_read_judge (BsdLogRead *read, BsdRangedReads verdict, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

static void
bsd_log_read_judge (BsdLogRead *read, BsdRangedReads verdict, const char *format, ...)
{
  va_list args;

  read->ranged = verdict;
  read->ranged_changed = TRUE;
  g_free (read->ranged_note);
  va_start (args, format);
  read->ranged_note = g_strdup_vprintf (format, args);
  va_end (args);
}

static gboolean
same_punch (const ZkAttendance *a, const ZkAttendance *b)
{
  return strcmp (a->user_id, b->user_id) == 0 && a->uid == b->uid
         && zk_time_encode (&a->time) == zk_time_encode (&b->time) && a->state == b->state
         && a->verify == b->verify && a->workcode == b->workcode;
}

/* whether @part is what @full holds from position @from (1-based) on */
static gboolean
matches_full (GPtrArray *part, GPtrArray *full, guint from)
{
  if (from == 0 || from - 1 + part->len > full->len)
    return FALSE;
  for (guint i = 0; i < part->len; i++)
    if (!same_punch (part->pdata[i], full->pdata[from - 1 + i]))
      return FALSE;
  return TRUE;
}

static gboolean
is_cancel (const GError *error, GCancellable *cancellable)
{
  return g_error_matches (error, ZK_ERROR, ZK_ERROR_CANCELLED)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
         || g_cancellable_is_cancelled (cancellable);
}

typedef enum
{
  TAIL_DONE,   /* unchanged, or the new end was read */
  TAIL_FULL,   /* read the whole log */
  TAIL_FAILED, /* cancelled */
} TailResult;

/* the old newest record (at position mark->count) and what follows it;
 * *@check keeps a well-formed ranged read that did not start with the old
 * newest record, to be judged against the full read */
static TailResult
read_tail (ZkClient *client,
           const BsdLogWatermark *mark,
           guint records,
           BsdLogRead *read,
           GPtrArray **check,
           const char **why,
           GCancellable *cancellable,
           GError **error)
{
  guint want = records - mark->count + 1;
  g_autoptr (GError) local = NULL;
  g_autoptr (GPtrArray) tail
      = zk_client_read_attendance_range (client, mark->count, want, NULL, cancellable, &local);

  if (tail == NULL)
    {
      if (is_cancel (local, cancellable))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return TAIL_FAILED;
        }
      bsd_log_read_judge (read, BSD_RANGED_READS_UNTRUSTED, "a ranged read failed: %s",
                          local->message);
      *why = "a ranged read failed";
      return TAIL_FULL;
    }
  if (tail->len != want)
    {
      bsd_log_read_judge (read, BSD_RANGED_READS_UNTRUSTED,
                          "a ranged read of %u records brought %u", want, tail->len);
      *why = "a ranged read brought another number of records";
      return TAIL_FULL;
    }
  if (!bsd_log_watermark_is_newest (mark, tail->pdata[0]))
    {
      /* cleared and refilled, or the device reads ranges its own way */
      *check = g_steal_pointer (&tail);
      *why = "the newest record changed";
      return TAIL_FULL;
    }
  if (want == 1)
    {
      read->unchanged = TRUE;
      read->complete = TRUE;
      return TAIL_DONE;
    }
  g_ptr_array_remove_index (tail, 0);
  read->records = g_steal_pointer (&tail);
  read->tail = TRUE;
  read->complete = TRUE;
  return TAIL_DONE;
}

/* ranged reads not proven yet: the last records once more, with a ranged
 * read, compared with the full read just made */
static void
probe_ranged (ZkClient *client, BsdLogRead *read, GCancellable *cancellable)
{
  guint n = read->records->len;
  guint count = MIN (n, 2);
  guint from = n - count + 1;
  g_autoptr (GError) local = NULL;
  g_autoptr (GPtrArray) part
      = zk_client_read_attendance_range (client, from, count, NULL, cancellable, &local);

  if (part == NULL)
    {
      if (!is_cancel (local, cancellable))
        bsd_log_read_judge (read, BSD_RANGED_READS_UNTRUSTED, "a ranged read failed: %s",
                            local->message);
    }
  else if (part->len == count && matches_full (part, read->records, from))
    bsd_log_read_judge (read, BSD_RANGED_READS_TRUSTED, "a ranged read matched the full read");
  else
    bsd_log_read_judge (read, BSD_RANGED_READS_UNTRUSTED,
                        "a ranged read of records %u to %u did not match the full read", from, n);
}

gboolean
bsd_device_io_read_logs (ZkClient *client,
                         const BsdLogWatermark *mark,
                         BsdRangedReads ranged,
                         gint records,
                         BsdLogRead *read,
                         GPtrArray *warnings,
                         GCancellable *cancellable,
                         GError **error)
{
  g_autoptr (GPtrArray) check = NULL;
  const char *why;

  g_return_val_if_fail (read != NULL && read->records == NULL, FALSE);

  read->ranged = ranged;
  read->log_count = (guint)MAX (records, 0);
  if (records == 0)
    {
      read->records = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_attendance_free);
      read->complete = TRUE;
      read->why_full = "the log is empty";
      return TRUE;
    }
  if (records < 0)
    why = "the device does not say how many records it holds";
  else if (mark == NULL)
    why = "first collection";
  else if ((guint)records < mark->count)
    why = "the log shrank";
  else if (mark->count == 0 || mark->newest_pin == NULL)
    why = "its newest record is not known";
  else if (ranged == BSD_RANGED_READS_UNKNOWN)
    why = "ranged reads are not proven yet";
  else if (ranged == BSD_RANGED_READS_UNTRUSTED)
    why = "ranged reads are not trusted";
  else
    switch (read_tail (client, mark, (guint)records, read, &check, &why, cancellable, error))
      {
      case TAIL_DONE:
        return TRUE;
      case TAIL_FAILED:
        return FALSE;
      case TAIL_FULL:
      default:
        break;
      }

  read->why_full = why;
  read->records = zk_client_read_attendance (client, warnings, cancellable, error);
  if (read->records == NULL)
    return FALSE;
  if (records < 0)
    read->log_count = read->records->len;
  /* a skipped record leaves positions and the newest record unknown */
  read->complete = records >= 0 && read->records->len == (guint)records;
  if (!read->complete)
    return TRUE;
  if (check != NULL)
    {
      /* the log changed under an honoured range, or the range was misread */
      if (!matches_full (check, read->records, mark->count))
        bsd_log_read_judge (read, BSD_RANGED_READS_UNTRUSTED,
                            "a ranged read from record %u did not match the full read",
                            mark->count);
    }
  else if (read->ranged == BSD_RANGED_READS_UNKNOWN && read->records->len > 0)
    probe_ranged (client, read, cancellable);
  return TRUE;
}
