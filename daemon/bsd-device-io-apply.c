/* bsd-device-io-apply.c — writing a device plan to one terminal, and checking it held
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-device-io.h"

#include <string.h>

#include "bsd-error.h"

/* a batch upload (CMD 110) carries many records in one buffer; below this
 * many writes the per-record commands cost no more and are simpler */
#define BATCH_MIN_ITEMS 8
/* keep one batch buffer well below what a terminal can allocate */
#define BATCH_MAX_BYTES (2 * 1024 * 1024)
/* …and this many records, so that a big upload reports how far it is */
#define BATCH_MAX_ITEMS 256

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

void
bsd_apply_result_add_failure (BsdApplyResult *result,
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
  return bsd_error_is_unreachable (error) || bsd_error_is_cancelled (error)
         || g_error_matches (error, ZK_ERROR, ZK_ERROR_AUTH_FAILED);
}

static ZkTemplate *
plan_template_to_zk (const BsdPlanTemplate *t)
{
  return zk_template_new (t->uid, t->index, t->valid ? t->valid : 1, t->data);
}

/* tells @items (may be NULL) that @done of @total items of @what are written */
static void
items_done (const BsdItems *items, const char *what, guint done, guint total)
{
  if (items != NULL && items->func != NULL)
    items->func (what, done, total, items->data);
}

/* what every write and read-back step of one apply works with */
typedef struct
{
  ZkClient *client;
  const BsdEndpoint *endpoint;
  const BsdContact *contact;
  const BsdDevicePlan *plan;
  const BsdVerifyBasis *basis;
  const BsdItems *items;
  BsdApplyResult *result;
  GCancellable *cancellable;
} Apply;

/* the @i-th user to write: the adds, then the updates */
static BsdPlanUser *
plan_user_at (const BsdDevicePlan *plan, guint i)
{
  return i < plan->users_add->len ? plan->users_add->pdata[i]
                                  : plan->users_update->pdata[i - plan->users_add->len];
}

/* whether the job was cancelled (the result then says so): stop writing */
static gboolean
apply_cancelled (const Apply *apply)
{
  if (!g_cancellable_is_cancelled (apply->cancellable))
    return FALSE;
  apply->result->cancelled = TRUE;
  return TRUE;
}

/* a broken session (@local) ends this device's writes in this job: TRUE
 * with @local passed on to @error. Writing on would mean a new session,
 * on a terminal the break re-enabled */
static gboolean
pass_on_broken (GError **local, GError **error)
{
  if (!session_broken (*local))
    return FALSE;
  g_propagate_error (error, g_steal_pointer (local));
  return TRUE;
}

/* a write the device refused (@local) is one item's failure, unless the
 * session broke: then FALSE with @local passed on */
static gboolean
apply_refused (const Apply *apply,
               GError **local,
               BsdPlanItemKind kind,
               const char *pin,
               gint index,
               const char *action,
               GError **error)
{
  if (pass_on_broken (local, error))
    return FALSE;
  bsd_apply_result_add_failure (apply->result, kind, pin, index, action, (*local)->message);
  return TRUE;
}

static void
write_deletions (const Apply *apply, GError **error)
{
  const BsdDevicePlan *plan = apply->plan;

  for (guint i = 0; i < plan->users_delete->len; i++)
    {
      BsdPlanUser *u = plan->users_delete->pdata[i];
      g_autoptr (GError) local = NULL;

      if (apply_cancelled (apply))
        return;
      if (!zk_client_delete_user (apply->client, u->uid, apply->cancellable, &local))
        {
          /* already gone is what we wanted; the read-back decides */
          if (g_error_matches (local, ZK_ERROR, ZK_ERROR_NOT_FOUND)
              || zk_error_get_subcode (local) == 2)
            continue;
          if (!apply_refused (apply, &local, BSD_PLAN_ITEM_USER, u->pin, -1, "delete", error))
            return;
        }
      items_done (apply->items, "deletions", i + 1, plan->users_delete->len);
    }
}

/* users (adds and updates) and their templates through CMD 110 batches;
 * FALSE when the device refused batches (the caller writes per record) */
static gboolean
write_batches (const Apply *apply, GError **error)
{
  const BsdDevicePlan *plan = apply->plan;
  const BsdItems *items = apply->items;
  guint n_users = plan->users_add->len + plan->users_update->len;
  g_autoptr (GPtrArray) users = g_ptr_array_new ();
  g_autoptr (GPtrArray) templates
      = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_template_free);
  gsize bytes = 0;
  guint i;

  for (i = 0; i < n_users; i++)
    {
      g_ptr_array_add (users, plan_user_at (plan, i)->record);
      bytes += 73;
      if (bytes >= BATCH_MAX_BYTES || users->len >= BATCH_MAX_ITEMS)
        {
          if (!zk_client_write_batch (apply->client, users, templates, apply->cancellable, error))
            return FALSE;
          g_ptr_array_set_size (users, 0);
          bytes = 0;
          items_done (items, "users", i + 1, n_users);
        }
    }
  for (i = 0; i < plan->templates_add->len; i++)
    {
      BsdPlanTemplate *t = plan->templates_add->pdata[i];

      g_ptr_array_add (templates, plan_template_to_zk (t));
      bytes += 8 + 2 + g_bytes_get_size (t->data);
      if (bytes >= BATCH_MAX_BYTES || users->len + templates->len >= BATCH_MAX_ITEMS)
        {
          if (!zk_client_write_batch (apply->client, users, templates, apply->cancellable, error))
            return FALSE;
          if (users->len > 0)
            items_done (items, "users", n_users, n_users);
          g_ptr_array_set_size (users, 0);
          g_ptr_array_set_size (templates, 0);
          bytes = 0;
          items_done (items, "fingerprints", i + 1, plan->templates_add->len);
        }
    }
  if (users->len + templates->len > 0
      && !zk_client_write_batch (apply->client, users, templates, apply->cancellable, error))
    return FALSE;
  if (users->len > 0)
    items_done (items, "users", n_users, n_users);
  if (templates->len > 0)
    items_done (items, "fingerprints", plan->templates_add->len, plan->templates_add->len);
  return TRUE;
}

static gboolean
write_per_record (const Apply *apply, GError **error)
{
  const BsdDevicePlan *plan = apply->plan;
  g_autoptr (GHashTable) failed_pins = g_hash_table_new (g_str_hash, g_str_equal);
  guint n_users = plan->users_add->len + plan->users_update->len;
  guint i;

  for (i = 0; i < n_users; i++)
    {
      BsdPlanUser *u = plan_user_at (plan, i);
      g_autoptr (GError) local = NULL;

      if (apply_cancelled (apply))
        return TRUE;
      if (!zk_client_set_user (apply->client, u->record, apply->cancellable, &local))
        {
          if (!apply_refused (apply, &local, BSD_PLAN_ITEM_USER, u->pin, -1,
                              i < plan->users_add->len ? "add" : "update", error))
            return FALSE;
          g_hash_table_add (failed_pins, u->pin);
        }
      items_done (apply->items, "users", i + 1, n_users);
    }
  for (i = 0; i < plan->templates_add->len; i++)
    {
      BsdPlanTemplate *t = plan->templates_add->pdata[i];
      g_autoptr (ZkTemplate) tmpl = NULL;
      g_autoptr (GError) local = NULL;

      if (apply_cancelled (apply))
        return TRUE;
      if (g_hash_table_contains (failed_pins, t->pin))
        {
          bsd_apply_result_add_failure (apply->result, BSD_PLAN_ITEM_FINGER, t->pin, t->index,
                                        "add", "the user could not be written");
          continue;
        }
      tmpl = plan_template_to_zk (t);
      if (!zk_client_write_template (apply->client, tmpl, apply->cancellable, &local)
          && !apply_refused (apply, &local, BSD_PLAN_ITEM_FINGER, t->pin, t->index, "add", error))
        return FALSE;
      items_done (apply->items, "fingerprints", i + 1, plan->templates_add->len);
    }
  return TRUE;
}

static gboolean
write_faces (const Apply *apply, GError **error)
{
  const BsdDevicePlan *plan = apply->plan;
  guint i = 0;

  /* faces_add is sorted by PIN: one upload per person */
  while (i < plan->faces_add->len)
    {
      BsdPlanTemplate *first = plan->faces_add->pdata[i];
      g_autoptr (GPtrArray) faces = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_face_free);
      g_autoptr (GError) local = NULL;
      guint j;

      if (apply_cancelled (apply))
        return TRUE;
      for (j = i; j < plan->faces_add->len; j++)
        {
          BsdPlanTemplate *t = plan->faces_add->pdata[j];

          if (strcmp (t->pin, first->pin) != 0)
            break;
          g_ptr_array_add (faces, zk_face_new (t->uid, t->index, t->valid ? t->valid : 1, t->data));
        }
      if (!zk_client_write_faces (apply->client, first->pin, faces, apply->cancellable, &local))
        {
          if (pass_on_broken (&local, error))
            return FALSE;
          for (guint k = i; k < j; k++)
            {
              BsdPlanTemplate *t = plan->faces_add->pdata[k];

              bsd_apply_result_add_failure (apply->result, BSD_PLAN_ITEM_FACE, t->pin, t->index,
                                            "add", local->message);
            }
        }
      i = j;
      items_done (apply->items, "faces", i, plan->faces_add->len);
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

/* a planned item the device acknowledged but does not hold as written */
static void
add_lie (BsdApplyResult *result,
         BsdPlanItemKind kind,
         const char *pin,
         gint index,
         const char *action,
         const char *reason)
{
  bsd_apply_result_add_failure (result, kind, pin, index, action, reason);
  result->lies++;
}

/* PIN → ZkUser* (borrowed) of @snapshot */
static GHashTable *
users_by_pin (const BsdSnapshot *snapshot)
{
  GHashTable *by_pin = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < snapshot->users->len; i++)
    {
      ZkUser *u = snapshot->users->pdata[i];

      g_hash_table_insert (by_pin, u->user_id, u);
    }
  return by_pin;
}

static void
verify_users (const BsdDevicePlan *plan, BsdApplyResult *result, GHashTable *by_pin, guint width)
{
  guint i;

  for (i = 0; i < plan->users_delete->len; i++)
    {
      BsdPlanUser *u = plan->users_delete->pdata[i];

      if (has_failure (result, BSD_PLAN_ITEM_USER, u->pin, -1))
        continue;
      if (g_hash_table_contains (by_pin, u->pin))
        add_lie (result, BSD_PLAN_ITEM_USER, u->pin, -1, "delete",
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
        add_lie (result, BSD_PLAN_ITEM_USER, u->pin, -1, add ? "add" : "update",
                 "acknowledged but not on the device when read back");
      else if (!zk_user_same_record (got, want))
        add_lie (result, BSD_PLAN_ITEM_USER, u->pin, -1, add ? "add" : "update",
                 "acknowledged but the device holds a different record");
      else if (add)
        result->users_added++;
      else
        result->users_updated++;
    }
}

static void
verify_templates (const BsdDevicePlan *plan,
                  BsdApplyResult *result,
                  GHashTable *by_pin,
                  const BsdSnapshot *after)
{
  g_autoptr (GHashTable) fingers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint i;

  for (i = 0; i < after->templates->len; i++)
    {
      ZkTemplate *t = after->templates->pdata[i];

      g_hash_table_insert (fingers, g_strdup_printf ("%u/%u", t->uid, t->fid), t);
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
        add_lie (result, BSD_PLAN_ITEM_FINGER, t->pin, t->index, "add",
                 got ? "the device holds a different template"
                     : "acknowledged but not on the device when read back");
      else
        result->templates_added++;
    }
}

static void
verify_faces (const BsdDevicePlan *plan,
              BsdApplyResult *result,
              GHashTable *by_pin,
              const BsdSnapshot *after)
{
  for (guint i = 0; i < plan->faces_add->len; i++)
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
        add_lie (result, BSD_PLAN_ITEM_FACE, t->pin, t->index, "add",
                 "acknowledged but not on the device when read back");
    }
}

void
bsd_device_io_verify (const BsdDevicePlan *plan, BsdApplyResult *result, const BsdSnapshot *after)
{
  g_autoptr (GHashTable) by_pin = users_by_pin (after);

  verify_users (plan, result, by_pin, after->user_width);
  verify_templates (plan, result, by_pin, after);
  verify_faces (plan, result, by_pin, after);
  result->verify = plan->templates_add->len > 0 ? BSD_VERIFY_FULL : BSD_VERIFY_NONE;
}

const char *
bsd_verify_mode_to_string (BsdVerifyMode mode)
{
  switch (mode)
    {
    case BSD_VERIFY_COUNTS:
      return "counts";
    case BSD_VERIFY_FULL:
      return "full";
    case BSD_VERIFY_NONE:
    default:
      return "none";
    }
}

/* the uids the plan deleted */
static GHashTable *
deleted_uids (const BsdDevicePlan *plan)
{
  GHashTable *uids = g_hash_table_new (g_direct_hash, g_direct_equal);

  for (guint i = 0; i < plan->users_delete->len; i++)
    g_hash_table_add (uids,
                      GUINT_TO_POINTER ((guint)((BsdPlanUser *)plan->users_delete->pdata[i])->uid));
  return uids;
}

/* NULL when the device's fingerprint count after the writes is exactly
 * what the templates read before, less those of deleted slots, plus the
 * planned ones make it, and every user and deletion held; else why the
 * template table must be read back. A count cannot tell a template
 * stored wrong from a right one: a device caught once is always read
 * back (@basis) */
static const char *
why_read_templates (const BsdDevicePlan *plan,
                    const BsdVerifyBasis *basis,
                    const BsdApplyResult *result,
                    GHashTable *by_pin,
                    const ZkSizes *sizes)
{
  const BsdSnapshot *before = basis ? basis->before : NULL;
  g_autoptr (GHashTable) gone = NULL;
  guint expected = 0;
  guint i;

  if (before == NULL)
    return "nothing was read before the writes";
  if (basis->lied_before)
    return "the device kept less than it acknowledged before";
  if (result->failures->len > 0)
    return "a write was refused or did not hold";
  if (sizes->fingers < 0 || before->finger_count != before->templates->len)
    return "the device's fingerprint count does not match its table";
  gone = deleted_uids (plan);
  for (i = 0; i < before->templates->len; i++)
    if (!g_hash_table_contains (
            gone, GUINT_TO_POINTER ((guint)((ZkTemplate *)before->templates->pdata[i])->uid)))
      expected++;
  for (i = 0; i < plan->templates_add->len; i++)
    if (!g_hash_table_contains (by_pin, ((BsdPlanTemplate *)plan->templates_add->pdata[i])->pin))
      return "a template's user is not on the device";
  expected += plan->templates_add->len;
  if ((guint)sizes->fingers != expected)
    return "the device's fingerprint count is not what the plan expects";
  return NULL;
}

/* the template table the counts vouch for: as read before, less the
 * deleted slots, plus what was written (under the slot its user has now) */
static void
infer_templates (const BsdDevicePlan *plan,
                 const BsdSnapshot *before,
                 GHashTable *by_pin,
                 BsdSnapshot *after)
{
  g_autoptr (GHashTable) gone = deleted_uids (plan);
  guint i;

  g_ptr_array_set_size (after->templates, 0);
  for (i = 0; i < before->templates->len; i++)
    {
      ZkTemplate *t = before->templates->pdata[i];

      if (!g_hash_table_contains (gone, GUINT_TO_POINTER ((guint)t->uid)))
        g_ptr_array_add (after->templates, zk_template_copy (t));
    }
  for (i = 0; i < plan->templates_add->len; i++)
    {
      BsdPlanTemplate *t = plan->templates_add->pdata[i];
      ZkUser *owner = g_hash_table_lookup (by_pin, t->pin);

      g_ptr_array_add (after->templates,
                       zk_template_new (owner->uid, t->index, t->valid ? t->valid : 1, t->data));
    }
}

/* GET_FREE_SIZES, then the users (and faces, where faces were written)
 * into a snapshot; the counts go with it */
static BsdSnapshot *
read_back_users (const Apply *apply, ZkSizes *sizes, GError **error)
{
  /* borrowed strings: not ours to free */
  BsdContact fresh = *apply->contact;
  BsdReadFlags flags = BSD_READ_USERS;

  if (apply->plan->faces_add->len > 0)
    flags |= BSD_READ_FACES;
  /* counts changed: fresh sizes guide the reads */
  if (!zk_client_get_sizes (apply->client, sizes, apply->cancellable, error))
    return NULL;
  fresh.info.sizes = *sizes;
  return bsd_device_io_read_snapshot (apply->client, apply->endpoint, &fresh, flags, NULL,
                                      apply->cancellable, error);
}

/* reads back and verifies every planned item into @result (after: what
 * the device holds now); FALSE when the device could not be read */
static gboolean
read_back (const Apply *apply, GError **error)
{
  const BsdDevicePlan *plan = apply->plan;
  const BsdVerifyBasis *basis = apply->basis;
  BsdApplyResult *result = apply->result;
  g_autoptr (BsdSnapshot) after = NULL;
  g_autoptr (GHashTable) by_pin = NULL;
  ZkSizes sizes;

  after = read_back_users (apply, &sizes, error);
  if (after == NULL)
    return FALSE;
  by_pin = users_by_pin (after);
  verify_users (plan, result, by_pin, after->user_width);
  if (plan->templates_add->len > 0)
    {
      result->verify_why = why_read_templates (plan, basis, result, by_pin, &sizes);
      if (result->verify_why == NULL)
        {
          result->verify = BSD_VERIFY_COUNTS;
          infer_templates (plan, basis->before, by_pin, after);
          result->templates_added = plan->templates_add->len;
        }
      else
        {
          BsdContact fresh = *apply->contact;
          g_autoptr (BsdSnapshot) fingers = NULL;

          result->verify = BSD_VERIFY_FULL;
          fresh.info.sizes = sizes;
          fingers = bsd_device_io_read_snapshot (apply->client, apply->endpoint, &fresh,
                                                 BSD_READ_FINGERS, NULL, apply->cancellable, error);
          if (fingers == NULL)
            return FALSE;
          g_ptr_array_unref (after->templates);
          after->templates = g_ptr_array_ref (fingers->templates);
          verify_templates (plan, result, by_pin, after);
        }
    }
  verify_faces (plan, result, by_pin, after);
  result->after = g_steal_pointer (&after);
  return TRUE;
}

gboolean
bsd_device_io_apply (ZkClient *client,
                     const BsdEndpoint *endpoint,
                     const BsdApplyRequest *request,
                     BsdApplyResult *result,
                     GCancellable *cancellable,
                     GError **error)
{
  const BsdDevicePlan *plan = request->plan;
  const BsdVerifyBasis *basis = &request->basis;
  BsdHold *hold = request->hold;
  const Apply apply
      = { client, endpoint, request->contact, plan, basis, &request->items, result, cancellable };
  g_autoptr (GError) broken = NULL;
  BsdTraffic mark;
  guint n_writes;
  gboolean ok;

  g_return_val_if_fail (result != NULL && result->failures != NULL, FALSE);

  n_writes = plan->users_add->len + plan->users_update->len + plan->users_delete->len
             + plan->templates_add->len + plan->faces_add->len;
  if (n_writes == 0)
    return TRUE;

  /* the read of this device learnt its user record width: a new session
   * need not read the user table again before the first write */
  if (basis->before && basis->before->users->len > 0)
    zk_client_set_user_width (client, basis->before->user_width);
  bsd_traffic_mark (client, &mark);
  if (!bsd_device_io_hold (client, hold, cancellable, error))
    {
      bsd_device_io_release (client, endpoint, hold, NULL);
      return FALSE;
    }

  /* deletions first: they free slots and capacity */
  write_deletions (&apply, &broken);
  if (broken == NULL && !result->cancelled)
    {
      guint n_users_templates
          = plan->users_add->len + plan->users_update->len + plan->templates_add->len;
      gboolean done = FALSE;

      if (n_users_templates >= BATCH_MIN_ITEMS)
        {
          g_autoptr (GError) local = NULL;

          done = write_batches (&apply, &local);
          if (!done && !pass_on_broken (&local, &broken))
            g_debug ("%s: batch upload refused (%s); writing record by record", endpoint->name,
                     local->message);
        }
      if (broken == NULL && !done)
        write_per_record (&apply, &broken);
    }
  if (broken == NULL && !result->cancelled)
    write_faces (&apply, &broken);

  /* always leave the device working, also after a cancel or an error */
  bsd_device_io_release (client, endpoint, hold, NULL);
  bsd_traffic_since (client, &mark, &result->write);

  if (broken != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&broken));
      return FALSE;
    }
  if (result->cancelled)
    return TRUE;

  bsd_traffic_mark (client, &mark);
  ok = read_back (&apply, error);
  bsd_traffic_since (client, &mark, &result->check);
  if (!ok)
    g_prefix_error (error, "reading back: ");
  return ok;
}
