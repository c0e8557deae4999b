/* bsd-engine-store.c — what a run stores of what it read, off the main thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-engine-private.h"

#include <string.h>

#include "bsd-error.h"

static char *
sha256_of (GBytes *bytes)
{
  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
}

static const char *
state_for_error (const GError *error)
{
  if (bsd_error_is_unreachable (error))
    return "offline";
  return "error";
}

void
bsd_engine_store_health (BsdStore *store, DeviceCtx *dev)
{
  g_autoptr (BsdDevice) device = bsd_store_get_device (store, dev->endpoint->device_id, NULL);
  g_autoptr (GError) error = NULL;
  const ZkDeviceInfo *info = &dev->contact.info;
  BsdDeviceHealth *h;

  if (device == NULL)
    return; /* removed meanwhile */
  h = &device->health;
  /* a cancel says nothing about the terminal: what it was stays */
  if (dev->error && bsd_error_is_cancelled (dev->error) && !dev->contact.info.serial)
    return;
  if (dev->error && !dev->contact.info.serial)
    {
      bsd_store_set_device_state (store, device->id, state_for_error (dev->error),
                                  dev->error->message, NULL);
      return;
    }
  g_free (h->state);
  h->last_seen = g_get_real_time ();
  if (dev->error == NULL || !bsd_error_is_cancelled (dev->error))
    {
      h->state = g_strdup (dev->error ? "error" : "online");
      g_free (h->last_error);
      h->last_error = dev->error ? g_strdup (dev->error->message) : NULL;
    }
  else
    h->state = g_strdup ("online"); /* it answered before the cancel */
#define SET_STR(field, value)                                                                      \
  if (value)                                                                                       \
    {                                                                                              \
      g_free (h->field);                                                                           \
      h->field = g_strdup (value);                                                                 \
    }
  SET_STR (serial, info->serial);
  SET_STR (platform, info->platform);
  SET_STR (firmware, info->firmware);
  SET_STR (fp_version, info->fp_version);
#undef SET_STR
  /* capabilities only from a full probe (a log collection reads less) */
  if (info->fp_version)
    {
      g_free (h->face_version);
      h->face_version = zk_device_info_face_capable (info) ? g_strdup (info->face_version) : NULL;
      h->face_supported = zk_device_info_face_capable (info);
    }
  if (info->sizes.n_ints > 0)
    {
      h->users = (guint)MAX (info->sizes.users, 0);
      h->fingerprints = (guint)MAX (info->sizes.fingers, 0);
      h->faces = (guint)MAX (info->sizes.faces, 0);
      h->records = (guint)MAX (info->sizes.records, 0);
      h->user_capacity = (guint)MAX (info->sizes.user_capacity, 0);
      h->fingerprint_capacity = (guint)MAX (info->sizes.finger_capacity, 0);
      h->face_capacity = (guint)MAX (info->sizes.face_capacity, 0);
      h->record_capacity = (guint)MAX (info->sizes.record_capacity, 0);
    }
  if (dev->contact.have_clock)
    h->clock_offset = dev->clock_set ? 0 : dev->contact.clock_offset;
  /* another terminal: what was read from the old one, and its last good
   * sync, are not this one's */
  if (dev->serial_was)
    {
      g_autoptr (GError) local = NULL;

      h->last_sync = 0;
      if (!bsd_store_forget_device_snapshot (store, device->id, &local))
        g_warning ("%s: %s", device->name, local->message);
    }
  if (!bsd_store_update_device_health (store, device->id, h, &error))
    g_warning ("recording the health of %s: %s", device->name, error->message);
  if (info->serial && g_strcmp0 (dev->serial, info->serial) != 0)
    {
      g_free (dev->serial);
      dev->serial = g_strdup (info->serial);
    }
}

/* users, template hashes, template bytes and roster entries of a snapshot,
 * inside the caller's transaction */
static gboolean
store_snapshot_rows (BsdStore *store, DeviceCtx *dev, const BsdSnapshot *snap, GError **error)
{
  g_autoptr (GPtrArray) templates
      = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_device_template_free);
  g_autoptr (GHashTable) uid_pin = bsd_snapshot_dup_uid_map (snap);
  /* the store refuses a PIN or slot twice: give it the planner's view
   * (first record per PIN and per slot) */
  g_autoptr (GPtrArray) users = g_ptr_array_new ();
  g_autoptr (GHashTable) pins = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) slots = g_hash_table_new (g_direct_hash, g_direct_equal);
  /* what the last stored snapshot of this device held: unchanged users
   * and templates need no roster or template writes (the snapshot rows
   * themselves are replaced whole) */
  g_autoptr (GHashTable) known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) old_users
      = bsd_store_get_device_users (store, dev->endpoint->device_id, NULL);
  g_autoptr (GPtrArray) old_templates
      = dev->store_all_templates
            ? NULL
            : bsd_store_get_device_templates (store, dev->endpoint->device_id, NULL);
  g_autoptr (GHashTable) old_records = g_hash_table_new (g_str_hash, g_str_equal);
  guint i;

  for (i = 0; old_templates && i < old_templates->len; i++)
    {
      BsdDeviceTemplate *dt = old_templates->pdata[i];

      g_hash_table_add (known,
                        g_strdup_printf ("%s/%d/%u/%s", dt->pin, dt->kind, dt->idx, dt->hash));
    }
  for (i = 0; old_users && i < old_users->len; i++)
    {
      ZkUser *u = old_users->pdata[i];

      g_hash_table_insert (old_records, u->user_id, u);
    }

  for (i = 0; i < snap->templates->len + snap->faces->len; i++)
    {
      gboolean finger = i < snap->templates->len;
      ZkTemplate *t = finger ? snap->templates->pdata[i] : NULL;
      ZkFace *f = finger ? NULL : snap->faces->pdata[i - snap->templates->len];
      guint16 uid = finger ? t->uid : f->uid;
      guint idx = finger ? t->fid : f->fid;
      guint8 valid = finger ? t->valid : f->valid;
      GBytes *data = finger ? t->data : f->data;
      BsdTemplateKind kind = finger ? BSD_TEMPLATE_KIND_FINGER : BSD_TEMPLATE_KIND_FACE;
      const char *version = finger ? snap->fp_version : snap->face_version;
      const char *pin = g_hash_table_lookup (uid_pin, GUINT_TO_POINTER (uid));
      g_autofree char *hash = NULL;

      /* no PIN, or an algorithm the device would not name (~ZKFPVersion
       * refused): the planner leaves such a template where it is, with its
       * reason, and there is nothing to store it under */
      if (pin == NULL || version == NULL || version[0] == '\0')
        continue;
      hash = sha256_of (data);
      {
        g_autofree char *key = g_strdup_printf ("%s/%d/%u/%s", pin, kind, idx, hash);

        if (g_hash_table_contains (known, key))
          {
            g_ptr_array_add (templates, bsd_device_template_new (pin, kind, idx, hash));
            continue;
          }
      }
      if (!bsd_store_add_template (store, pin, kind, idx, version ? version : "", valid, data, NULL,
                                   NULL, error))
        return FALSE;
      g_ptr_array_add (templates, bsd_device_template_new (pin, kind, idx, hash));
    }
  for (i = 0; i < snap->users->len; i++)
    {
      ZkUser *u = snap->users->pdata[i];

      if (u->user_id[0] == '\0' || !g_utf8_validate (u->user_id, -1, NULL)
          || g_hash_table_contains (pins, u->user_id)
          || g_hash_table_contains (slots, GUINT_TO_POINTER (u->uid)))
        continue;
      g_hash_table_add (pins, u->user_id);
      g_hash_table_add (slots, GUINT_TO_POINTER (u->uid));
      g_ptr_array_add (users, u);
      {
        ZkUser *before = g_hash_table_lookup (old_records, u->user_id);

        if (before && zk_user_same_record (before, u))
          continue;
      }
      if (!bsd_store_upsert_person_from_device (store, u, NULL, error))
        return FALSE;
    }
  return bsd_store_replace_device_snapshot (store, dev->endpoint->device_id, users, templates,
                                            error);
}

gboolean
bsd_engine_store_snapshot (BsdStore *store, DeviceCtx *dev, const BsdSnapshot *snap, GError **error)
{

  if (!bsd_store_begin (store, error))
    return FALSE;
  if (!store_snapshot_rows (store, dev, snap, error))
    {
      bsd_store_rollback (store, NULL);
      return FALSE;
    }
  return bsd_store_commit (store, error);
}

/* when the counts did not change, the stored templates of the device
 * (resolved when the run was set up) stand in for a read of its tables */
static void
fill_templates_from_cache (DeviceCtx *dev)
{
  BsdSnapshot *snap = dev->snapshot;
  g_autoptr (GHashTable) pin_uid = g_hash_table_new (g_str_hash, g_str_equal);
  guint i;

  for (i = 0; i < snap->users->len; i++)
    {
      ZkUser *u = snap->users->pdata[i];

      g_hash_table_insert (pin_uid, u->user_id, GUINT_TO_POINTER (u->uid));
    }
  for (i = 0; dev->cached && i < dev->cached->len; i++)
    {
      BsdTemplate *t = dev->cached->pdata[i];
      gpointer uid;

      if (!g_hash_table_lookup_extended (pin_uid, t->pin, NULL, &uid))
        continue;
      if (t->kind == BSD_TEMPLATE_KIND_FINGER)
        g_ptr_array_add (snap->templates,
                         zk_template_new (GPOINTER_TO_UINT (uid), t->idx, t->valid, t->data));
      else
        g_ptr_array_add (snap->faces,
                         zk_face_new (GPOINTER_TO_UINT (uid), t->idx, t->valid, t->data));
    }
}

/* the bytes of every template the device's stored snapshot lists; NULL
 * when one of them is not in the store (then the cache cannot be used) */
static GPtrArray *
resolve_stored_templates (BsdStore *store, GPtrArray *held)
{
  g_autoptr (GPtrArray) resolved
      = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_template_free);
  g_autoptr (GHashTable) by_pin
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
  guint i, j;

  for (i = 0; i < held->len; i++)
    {
      BsdDeviceTemplate *dt = held->pdata[i];
      GPtrArray *all = g_hash_table_lookup (by_pin, dt->pin);
      gboolean found = FALSE;

      if (all == NULL)
        {
          all = bsd_store_list_templates (store, dt->pin, NULL);
          if (all == NULL)
            return NULL;
          g_hash_table_insert (by_pin, g_strdup (dt->pin), all);
        }
      for (j = 0; j < all->len && !found; j++)
        {
          BsdTemplate *t = all->pdata[j];

          if (t->kind == dt->kind && t->idx == dt->idx && g_strcmp0 (t->hash, dt->hash) == 0)
            {
              g_ptr_array_add (resolved, g_ptr_array_steal_index (all, j));
              found = TRUE;
            }
        }
      if (!found)
        return NULL;
    }
  return g_steal_pointer (&resolved);
}

/* what the store holds of a device's templates, so that an unchanged
 * device's templates need not be read again (dev->cache_allowed stays
 * TRUE only when all of it is there) */
void
bsd_engine_load_template_cache (BsdStore *store, DeviceCtx *dev)
{
  g_autoptr (GPtrArray) held
      = bsd_store_get_device_templates (store, dev->endpoint->device_id, NULL);
  g_autoptr (GHashTable) face_pins = g_hash_table_new (g_str_hash, g_str_equal);
  guint i;

  for (i = 0; held && i < held->len; i++)
    {
      BsdDeviceTemplate *t = held->pdata[i];

      if (t->kind == BSD_TEMPLATE_KIND_FINGER)
        dev->stored_fingers++;
      else
        g_hash_table_add (face_pins, t->pin);
    }
  dev->stored_face_users = g_hash_table_size (face_pins);
  if (held == NULL)
    {
      dev->cache_allowed = FALSE;
      return;
    }
  dev->cached = resolve_stored_templates (store, held);
  dev->store_all_templates = dev->cached == NULL;
  if (dev->cached == NULL)
    {
      dev->cache_allowed = FALSE;
      return;
    }
  dev->stored_uids = bsd_store_get_device_uid_map (store, dev->endpoint->device_id, NULL);
}

/* the read snapshot as the planner and the store want it */
void
bsd_engine_prepare_read (DeviceCtx *dev)
{
  if (dev->prepared || dev->snapshot == NULL)
    return;
  dev->prepared = TRUE;
  if (!dev->read_fingers)
    fill_templates_from_cache (dev);
  dev->have_read = TRUE;
  dev->n_read_users = dev->snapshot->users->len;
  dev->n_read_fingers = dev->snapshot->templates->len;
  dev->n_read_faces = dev->snapshot->faces->len;
}

/* the read-back holds the tables that were written; what was not read
 * back is as it was read */
void
bsd_engine_prepare_after (DeviceCtx *dev)
{
  BsdSnapshot *after = dev->apply.after;

  if (dev->after_prepared || after == NULL)
    return;
  dev->after_prepared = TRUE;
  if (dev->plan->templates_add->len == 0)
    g_ptr_array_extend (after->templates, dev->snapshot->templates, (GCopyFunc)zk_template_copy,
                        NULL);
  if (dev->plan->faces_add->len == 0)
    g_ptr_array_extend (after->faces, dev->snapshot->faces, (GCopyFunc)zk_face_copy, NULL);
}

/* only a database in a file can have a second connection */
gboolean
bsd_engine_store_is_file (BsdStore *store)
{
  const char *path = bsd_store_get_path (store);

  return path && *path && !g_str_equal (path, ":memory:");
}

/* Workers' own connection to the database (opened on first use), locked:
 * unlock with bsd_engine_writer_release (self). NULL when there is
 * none (an in-memory database has no second connection): the main thread
 * does the work then. */
void
bsd_engine_writer_release (BsdEngine *self)
{
  g_mutex_unlock (&self->writer_lock);
}

BsdStore *
bsd_engine_writer_acquire (BsdEngine *self)
{
  g_mutex_lock (&self->writer_lock);
  if (self->writer == NULL && !self->writer_failed)
    {
      g_autoptr (GError) error = NULL;

      if (bsd_engine_store_is_file (self->store))
        self->writer = bsd_store_open (bsd_store_get_path (self->store), &error);
      if (self->writer == NULL)
        {
          self->writer_failed = TRUE;
          if (error)
            g_warning ("a second database connection for workers: %s", error->message);
        }
    }
  return self->writer;
}

/* what a contact of @phase tells about the device's health */
gboolean
bsd_engine_wants_health (DeviceCtx *dev, Phase phase)
{
  /* the receiver keeps a push terminal's health from its requests */
  if (dev->push)
    return FALSE;
  return phase == PHASE_LOGS || phase == PHASE_SET_TIME
         || (phase == PHASE_READ && (dev->contact.info.serial || dev->error));
}

static guint
work_device_id (const Work *work)
{
  return work->dev ? work->dev->endpoint->device_id : work->item->endpoint->device_id;
}

/* the row that lets the next start re-enable a terminal a crash left
 * disabled. Written with the workers' connection inside the session, so
 * it never interleaves with another job's session to the same terminal */
gboolean
bsd_engine_hold_record (gpointer data, GError **error)
{
  Work *work = data;
  BsdEngine *self = work->engine;
  BsdStore *writer = bsd_engine_writer_acquire (self);
  gboolean ok = TRUE;

  if (writer)
    ok = bsd_store_add_disabled_device (writer, work_device_id (work),
                                        work->dev ? work->dev->run->job_id : 0, error);
  else if (bsd_engine_store_is_file (self->store))
    {
      ok = FALSE;
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "the workers have no database connection");
    }
  /* an in-memory database does not outlive a crash: nothing to record */
  bsd_engine_writer_release (self);
  return ok;
}

void
bsd_engine_hold_forget (gpointer data)
{
  Work *work = data;
  BsdEngine *self = work->engine;
  BsdStore *writer = bsd_engine_writer_acquire (self);
  g_autoptr (GError) error = NULL;

  if (writer && !bsd_store_remove_disabled_device (writer, work_device_id (work), &error))
    g_warning ("forgetting that device %u was disabled: %s", work_device_id (work), error->message);
  bsd_engine_writer_release (self);
}

/* whether the terminal is still recorded as disabled (a job's session may
 * have re-enabled it since the list was read) */
gboolean
bsd_engine_hold_still_recorded (Work *work)
{
  BsdEngine *self = work->engine;
  BsdStore *writer = bsd_engine_writer_acquire (self);
  g_autoptr (GArray) rows = writer ? bsd_store_list_disabled_devices (writer, NULL) : NULL;
  gboolean found = writer == NULL;
  guint i;

  bsd_engine_writer_release (self);
  for (i = 0; rows && i < rows->len && !found; i++)
    found = g_array_index (rows, BsdDisabledDevice, i).device_id == work_device_id (work);
  return found;
}

/* in the worker thread, with the engine's second connection: the main
 * thread's connection would wait for the lock that a big snapshot holds
 * here, and with it the main loop */
void
bsd_engine_store_results (DeviceCtx *dev, Phase phase)
{
  BsdEngine *self = dev->run->engine;
  const BsdSnapshot *snap = NULL;
  BsdStore *writer;

  if (phase == PHASE_READ && dev->error == NULL && dev->snapshot)
    {
      bsd_engine_prepare_read (dev);
      snap = dev->snapshot;
    }
  else if (phase == PHASE_APPLY && dev->applied && dev->apply.after)
    {
      bsd_engine_prepare_after (dev);
      snap = dev->apply.after;
    }
  if (snap == NULL && !bsd_engine_wants_health (dev, phase))
    return;

  writer = bsd_engine_writer_acquire (self);
  /* the health first: for a new terminal it forgets the old one's snapshot */
  if (writer && bsd_engine_wants_health (dev, phase))
    {
      dev->health_stored = TRUE;
      bsd_engine_store_health (writer, dev);
    }
  if (writer && snap)
    {
      dev->stored = TRUE;
      bsd_engine_store_snapshot (writer, dev, snap, &dev->store_error);
    }
  if (writer && phase == PHASE_APPLY && dev->applied)
    bsd_engine_store_lies (writer, dev);
  bsd_engine_writer_release (self);
}

/* a device caught keeping less than it acknowledged is remembered, so
 * that every later write to it is read back in full; once per apply */
void
bsd_engine_store_lies (BsdStore *store, DeviceCtx *dev)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *reason = NULL;
  BsdItemFailure *last;

  if (dev->lie_stored || dev->apply.lies == 0)
    return;
  dev->lie_stored = TRUE;
  /* the read-back adds its findings after the refusals */
  last = dev->apply.failures->pdata[dev->apply.failures->len - 1];
  reason = g_strdup_printf ("%u planned changes acknowledged but not kept, e.g. %s PIN %s: %s",
                            dev->apply.lies, last->action, last->pin, last->reason);
  if (!bsd_store_record_device_lie (
          store, dev->endpoint->device_id,
          dev->contact.info.firmware ? dev->contact.info.firmware : dev->firmware, reason, &error))
    g_warning ("%s: recording that it did not keep its writes: %s", dev->endpoint->name,
               error->message);
  else
    g_message ("%s: %s; its writes are read back in full from now on", dev->endpoint->name, reason);
}

/* the roster and the tombstones, for a group step in a worker: read with
 * the workers' connection, or on the main thread beforehand when the
 * store has no second connection (an in-memory database) */
static gboolean
load_roster (BsdStore *store, Group *group, GError **error)
{
  if (group->people == NULL)
    group->people = bsd_store_list_people (store, error);
  if (group->people != NULL && group->tombstones == NULL)
    group->tombstones = bsd_store_list_deletions (store, error);
  return group->people != NULL && group->tombstones != NULL;
}

void
bsd_engine_prefetch_roster (Group *group)
{
  BsdEngine *self = group->run->engine;
  gboolean second;

  g_mutex_lock (&self->writer_lock);
  second = bsd_engine_store_is_file (self->store) && !self->writer_failed;
  bsd_engine_writer_release (self);
  if (!second && !load_roster (self->store, group, &group->error))
    g_prefix_error (&group->error, "planning: ");
}

/* in the worker: FALSE (with @error, or group->error) when the roster
 * cannot be read */
gboolean
bsd_engine_load_roster (Group *group, GError **error)
{
  BsdEngine *self = group->run->engine;
  BsdStore *writer;
  gboolean ok;

  /* the prefetch failed (group->error says why) */
  if (group->error)
    return FALSE;
  writer = bsd_engine_writer_acquire (self);
  if (writer)
    ok = load_roster (writer, group, error);
  else
    {
      /* the second connection failed since the roster was not prefetched */
      ok = group->people != NULL && group->tombstones != NULL;
      if (!ok)
        g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_FAILED,
                     "planning: no database connection for the planner");
    }
  bsd_engine_writer_release (self);
  return ok;
}
