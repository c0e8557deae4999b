/* bsd-plan.c — the pure area-sync planner
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Phases: index every snapshot (drop odd records as skips) → primary →
 * union of PINs → winning record per PIN (+ conflicts) → per device:
 * user updates, adds (slot allocation), deletes → fingers → faces →
 * capacity preflight → roster updates. Every loop runs over sorted
 * devices and sorted PINs, so the plan never depends on input order.
 *
 * The phases live in: bsd-plan-index.c (device indexes, union),
 * bsd-plan-record.c (winning records), this file (the rest);
 * bsd-plan-json.c and bsd-plan-gaps.c read the results.
 */
#include "config.h"

#include "bsd-plan-private.h"

#include <string.h>

G_DEFINE_BOXED_TYPE (BsdPlan, bsd_plan, bsd_plan_ref, bsd_plan_unref)

/* ------------------------------------------------------------------ input */

BsdPlanInput *
bsd_plan_input_new (void)
{
  BsdPlanInput *input = g_new0 (BsdPlanInput, 1);

  input->snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_snapshot_free);
  input->roster
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)bsd_person_free);
  input->tombstones = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  input->unreachable = g_array_new (FALSE, FALSE, sizeof (guint));
  return input;
}

void
bsd_plan_input_free (BsdPlanInput *input)
{
  if (input == NULL)
    return;
  g_free (input->area_name);
  g_clear_pointer (&input->snapshots, g_ptr_array_unref);
  g_clear_pointer (&input->roster, g_hash_table_unref);
  g_clear_pointer (&input->tombstones, g_hash_table_unref);
  g_clear_pointer (&input->unreachable, g_array_unref);
  g_free (input);
}

void
bsd_plan_input_add_snapshot (BsdPlanInput *input, BsdSnapshot *snapshot)
{
  g_return_if_fail (input != NULL && snapshot != NULL);
  g_ptr_array_add (input->snapshots, snapshot);
}

void
bsd_plan_input_add_person (BsdPlanInput *input, BsdPerson *person)
{
  g_return_if_fail (input != NULL && person != NULL && person->pin != NULL);
  /* the key is the person's own pin string */
  g_hash_table_replace (input->roster, person->pin, person);
}

void
bsd_plan_input_add_tombstone (BsdPlanInput *input, const char *pin)
{
  g_return_if_fail (input != NULL && pin != NULL);
  g_hash_table_add (input->tombstones, g_strdup (pin));
}

void
bsd_plan_input_add_unreachable (BsdPlanInput *input, guint device_id)
{
  g_return_if_fail (input != NULL);
  g_array_append_val (input->unreachable, device_id);
}

/* ------------------------------------------------------------ plan types */

static void
plan_user_free (BsdPlanUser *entry)
{
  g_free (entry->pin);
  g_clear_pointer (&entry->record, zk_user_free);
  g_free (entry);
}

static void
plan_template_free (BsdPlanTemplate *entry)
{
  g_free (entry->pin);
  g_clear_pointer (&entry->data, g_bytes_unref);
  g_free (entry);
}

static void
plan_photo_free (BsdPlanPhoto *entry)
{
  g_free (entry->pin);
  g_clear_pointer (&entry->data, g_bytes_unref);
  g_free (entry);
}

static void
plan_skip_free (BsdPlanSkip *skip)
{
  g_free (skip->pin);
  g_free (skip->text);
  g_free (skip);
}

void
bsd_plan_conflict_value_free (BsdConflictValue *value)
{
  g_free (value->value);
  g_free (value);
}

static void
plan_conflict_free (BsdPlanConflict *conflict)
{
  g_free (conflict->pin);
  g_free (conflict->field);
  g_clear_pointer (&conflict->values, g_ptr_array_unref);
  g_free (conflict->winner_value);
  g_free (conflict);
}

BsdDevicePlan *
bsd_plan_device_plan_new (const BsdSnapshot *snapshot)
{
  BsdDevicePlan *plan = g_new0 (BsdDevicePlan, 1);

  plan->device_id = snapshot->device_id;
  plan->name = g_strdup (snapshot->name);
  plan->users_add = g_ptr_array_new_with_free_func ((GDestroyNotify)plan_user_free);
  plan->users_update = g_ptr_array_new_with_free_func ((GDestroyNotify)plan_user_free);
  plan->users_delete = g_ptr_array_new_with_free_func ((GDestroyNotify)plan_user_free);
  plan->templates_add = g_ptr_array_new_with_free_func ((GDestroyNotify)plan_template_free);
  plan->faces_add = g_ptr_array_new_with_free_func ((GDestroyNotify)plan_template_free);
  plan->photos_add = g_ptr_array_new_with_free_func ((GDestroyNotify)plan_photo_free);
  plan->skips = g_ptr_array_new_with_free_func ((GDestroyNotify)plan_skip_free);
  return plan;
}

void
bsd_plan_device_plan_free (BsdDevicePlan *plan)
{
  g_free (plan->name);
  g_clear_pointer (&plan->users_add, g_ptr_array_unref);
  g_clear_pointer (&plan->users_update, g_ptr_array_unref);
  g_clear_pointer (&plan->users_delete, g_ptr_array_unref);
  g_clear_pointer (&plan->templates_add, g_ptr_array_unref);
  g_clear_pointer (&plan->faces_add, g_ptr_array_unref);
  g_clear_pointer (&plan->photos_add, g_ptr_array_unref);
  g_clear_pointer (&plan->skips, g_ptr_array_unref);
  g_free (plan->failure);
  g_free (plan);
}

static BsdPlan *
plan_new (void)
{
  BsdPlan *plan = g_new0 (BsdPlan, 1);

  plan->ref_count = 1;
  plan->devices = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_plan_device_plan_free);
  plan->unreachable = g_array_new (FALSE, FALSE, sizeof (guint));
  plan->conflicts = g_ptr_array_new_with_free_func ((GDestroyNotify)plan_conflict_free);
  plan->roster_updates = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_person_free);
  plan->deleted_pins = g_ptr_array_new_with_free_func (g_free);
  return plan;
}

BsdPlan *
bsd_plan_ref (BsdPlan *plan)
{
  g_return_val_if_fail (plan != NULL, NULL);
  g_atomic_int_inc (&plan->ref_count);
  return plan;
}

void
bsd_plan_unref (BsdPlan *plan)
{
  g_return_if_fail (plan != NULL);
  if (!g_atomic_int_dec_and_test (&plan->ref_count))
    return;
  g_free (plan->area_name);
  g_clear_pointer (&plan->devices, g_ptr_array_unref);
  g_clear_pointer (&plan->unreachable, g_array_unref);
  g_clear_pointer (&plan->conflicts, g_ptr_array_unref);
  g_clear_pointer (&plan->roster_updates, g_ptr_array_unref);
  g_clear_pointer (&plan->deleted_pins, g_ptr_array_unref);
  g_free (plan);
}

BsdDevicePlan *
bsd_plan_get_device (BsdPlan *plan, guint device_id)
{
  g_return_val_if_fail (plan != NULL, NULL);

  for (guint i = 0; i < plan->devices->len; i++)
    {
      BsdDevicePlan *device = g_ptr_array_index (plan->devices, i);

      if (device->device_id == device_id)
        return device;
    }
  return NULL;
}

gboolean
bsd_plan_is_empty (BsdPlan *plan)
{
  g_return_val_if_fail (plan != NULL, TRUE);

  for (guint i = 0; i < plan->devices->len; i++)
    {
      BsdDevicePlan *device = g_ptr_array_index (plan->devices, i);

      if (device->users_add->len > 0 || device->users_update->len > 0
          || device->users_delete->len > 0 || device->templates_add->len > 0
          || device->faces_add->len > 0 || device->photos_add->len > 0)
        return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------- strings */

const char *
bsd_skip_reason_to_string (BsdSkipReason reason)
{
  switch (reason)
    {
    case BSD_SKIP_NO_PIN:
      return "no-user-id";
    case BSD_SKIP_INVALID_PIN:
      return "invalid-user-id";
    case BSD_SKIP_INVALID_UID:
      return "invalid-slot";
    case BSD_SKIP_DUPLICATE_UID:
      return "duplicate-slot";
    case BSD_SKIP_DUPLICATE_PIN:
      return "duplicate-user-id";
    case BSD_SKIP_ORPHAN:
      return "orphan";
    case BSD_SKIP_DUPLICATE_INDEX:
      return "duplicate-index";
    case BSD_SKIP_INVALID_INDEX:
      return "invalid-index";
    case BSD_SKIP_PIN_NOT_REPRESENTABLE:
      return "user-id-not-representable";
    case BSD_SKIP_PIN_TOO_LONG:
      return "user-id-too-long";
    case BSD_SKIP_PASSWORD_TOO_LONG:
      return "password-too-long";
    case BSD_SKIP_NO_FREE_SLOT:
      return "no-free-slot";
    case BSD_SKIP_USER_NOT_ON_DEVICE:
      return "user-not-on-device";
    case BSD_SKIP_ALGORITHM_VERSION:
      return "algorithm-version";
    case BSD_SKIP_NO_FACE_SUPPORT:
      return "no-face-support";
    case BSD_SKIP_FACE_VERSION:
      return "face-version";
    case BSD_SKIP_SLOT_DIFFERENT:
      return "slot-holds-different-template";
    default:
      return "unknown";
    }
}

const char *
bsd_winner_reason_to_string (BsdWinnerReason reason)
{
  switch (reason)
    {
    case BSD_WINNER_CENTRAL_EDIT:
      return "central-edit";
    case BSD_WINNER_PRIMARY:
      return "primary";
    case BSD_WINNER_LOWEST_DEVICE_ID:
      return "lowest-device-id";
    default:
      return "unknown";
    }
}

const char *
bsd_plan_item_kind_to_string (BsdPlanItemKind kind)
{
  switch (kind)
    {
    case BSD_PLAN_ITEM_USER:
      return "user";
    case BSD_PLAN_ITEM_FINGER:
      return "finger";
    case BSD_PLAN_ITEM_FACE:
      return "face";
    default:
      return "unknown";
    }
}

/* -------------------------------------------------------- users per device */

/* can @pin live on this device? NULL when yes, else the reason */
static char *
pin_problem (const Dev *dev, const char *pin, BsdSkipReason *reason)
{
  const BsdSnapshot *snapshot = dev->snapshot;
  gsize len = strlen (pin);
  guint width = snapshot->pin_width;

  if (snapshot->user_width == ZK_USER_SIZE_28)
    {
      /* stored as a u32: only a plain number survives the round trip */
      if (!bsd_str_is_digits (pin) || (pin[0] == '0' && pin[1] != '\0') || len > 10
          || g_ascii_strtoull (pin, NULL, 10) > G_MAXUINT32)
        {
          *reason = BSD_SKIP_PIN_NOT_REPRESENTABLE;
          return g_strdup_printf ("user id “%s” not representable on 28-byte device (numbers "
                                  "1…4294967295 without leading zeros only)",
                                  pin);
        }
      if (width == 0)
        width = PIN_WIDTH_28;
    }
  else if (width == 0 || width > PIN_WIDTH_72)
    width = PIN_WIDTH_72;
  if (len > width)
    {
      *reason = BSD_SKIP_PIN_TOO_LONG;
      return g_strdup_printf ("user id “%s” is longer than the device's user id width %u", pin,
                              width);
    }
  return NULL;
}

static gboolean
password_fits (const Dev *dev, const Record *record)
{
  return strlen (record->password) <= bsd_plan_snapshot_password_width (dev->snapshot);
}

static char *
password_problem_text (const Dev *dev, const char *what)
{
  return g_strdup_printf ("%s: password longer than %zu characters is not representable on a "
                          "%u-byte device",
                          what, bsd_plan_snapshot_password_width (dev->snapshot),
                          dev->snapshot->user_width);
}

static ZkUser *
record_to_user (const Dev *dev, const Record *record, guint16 uid)
{
  ZkUser *user = zk_user_new ();

  user->uid = uid;
  g_free (user->name);
  user->name = bsd_plan_name_fit (record->name, bsd_plan_snapshot_name_width (dev->snapshot));
  user->privilege = record->privilege;
  g_strlcpy (user->password, record->password, sizeof user->password);
  user->card = record->card;
  user->group = record->group;
  /* time-zone fields mean different things in 28- and 72-byte records */
  if (record->source_user != NULL && record->source_width == dev->snapshot->user_width)
    memcpy (user->timezones, record->source_user->timezones, sizeof user->timezones);
  g_strlcpy (user->user_id, record->pin, sizeof user->user_id);
  return user;
}

static gboolean
allocate_uid (Dev *dev, guint16 *uid)
{
  while (dev->next_uid <= BSD_PLAN_MAX_UID && bsd_plan_is_occupied (dev, dev->next_uid))
    dev->next_uid++;
  if (dev->next_uid > BSD_PLAN_MAX_UID)
    return FALSE;
  *uid = (guint16)dev->next_uid;
  bsd_plan_occupy (dev, dev->next_uid);
  return TRUE;
}

static void
plan_user_for_device (Dev *dev, const Record *record)
{
  DevPin *dp = bsd_plan_dev_lookup (dev, record->pin);

  if (dp != NULL)
    {
      BsdUserFields changed = BSD_USER_FIELD_NONE;
      BsdPlanUser *entry;
      ZkUser *user;

      for (guint f = 0; f < N_FIELDS; f++)
        if (!bsd_plan_dev_field_matches (dev, dp, record, f))
          changed |= bsd_plan_field_flags[f];
      if (changed == BSD_USER_FIELD_NONE)
        return;
      if (!password_fits (dev, record))
        {
          bsd_plan_add_skip (dev->plan, BSD_PLAN_ITEM_USER, record->pin, dp->uid, -1,
                             BSD_SKIP_PASSWORD_TOO_LONG,
                             password_problem_text (dev, "not updated"));
          return;
        }
      /* write what the device holds for fields that agree, so a wider
       * name is never cut to a narrower source's */
      user = zk_user_copy (dp->user);
      if (changed & BSD_USER_FIELD_NAME)
        {
          g_free (user->name);
          user->name
              = bsd_plan_name_fit (record->name, bsd_plan_snapshot_name_width (dev->snapshot));
        }
      else
        {
          g_free (user->name);
          user->name = g_strdup (dp->name);
        }
      user->privilege = record->privilege;
      g_strlcpy (user->password, record->password, sizeof user->password);
      user->card = record->card;
      user->group = record->group;
      entry = g_new0 (BsdPlanUser, 1);
      entry->pin = g_strdup (record->pin);
      entry->uid = dp->uid;
      entry->record = user;
      entry->changed = changed;
      g_ptr_array_add (dev->plan->users_update, entry);
    }
  else
    {
      BsdSkipReason reason = BSD_SKIP_PIN_NOT_REPRESENTABLE;
      char *problem = pin_problem (dev, record->pin, &reason);
      BsdPlanUser *entry;
      guint16 uid = 0;

      if (problem != NULL)
        {
          bsd_plan_add_skip (dev->plan, BSD_PLAN_ITEM_USER, record->pin, 0, -1, reason, problem);
          return;
        }
      if (!password_fits (dev, record))
        {
          bsd_plan_add_skip (dev->plan, BSD_PLAN_ITEM_USER, record->pin, 0, -1,
                             BSD_SKIP_PASSWORD_TOO_LONG, password_problem_text (dev, "not added"));
          return;
        }
      if (!allocate_uid (dev, &uid))
        {
          bsd_plan_add_skip (
              dev->plan, BSD_PLAN_ITEM_USER, record->pin, 0, -1, BSD_SKIP_NO_FREE_SLOT,
              g_strdup_printf ("no free slot: all slots 1…%u are taken", BSD_PLAN_MAX_UID));
          return;
        }
      entry = g_new0 (BsdPlanUser, 1);
      entry->pin = g_strdup (record->pin);
      entry->uid = uid;
      entry->record = record_to_user (dev, record, uid);
      g_ptr_array_add (dev->plan->users_add, entry);

      dp = g_new0 (DevPin, 1);
      dp->pin = g_strdup (record->pin);
      dp->uid = uid;
      dp->planned = TRUE;
      g_hash_table_insert (dev->pins, dp->pin, dp);
    }
}

static void
add_delete (Dev *dev, DevPin *dp, guint16 uid)
{
  BsdPlanUser *entry = g_new0 (BsdPlanUser, 1);
  const ZkUser *user = g_hash_table_lookup (dev->uid_users, GUINT_TO_POINTER (uid));

  entry->pin = g_strdup (dp->pin);
  entry->uid = uid;
  entry->record = user ? zk_user_copy (user) : NULL;
  g_ptr_array_add (dev->plan->users_delete, entry);
}

static void
plan_deletes_for_device (const BsdPlanInput *input, Dev *dev, GHashTable *deleted)
{
  g_autoptr (GPtrArray) pins = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, dev->pins);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (bsd_plan_is_tombstoned (input, key))
      g_ptr_array_add (pins, key);
  g_ptr_array_sort (pins, bsd_pin_compare_ptr);
  for (guint i = 0; i < pins->len; i++)
    {
      DevPin *dp = bsd_plan_dev_lookup (dev, g_ptr_array_index (pins, i));
      g_autoptr (GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint16));

      g_array_append_val (uids, dp->uid);
      if (dp->extra_uids != NULL)
        g_array_append_vals (uids, dp->extra_uids->data, dp->extra_uids->len);
      /* extra slots come sorted from the index, after the kept lowest one */
      for (guint j = 0; j < uids->len; j++)
        add_delete (dev, dp, g_array_index (uids, guint16, j));
      g_hash_table_add (deleted, dp->pin);
    }
}

/* ------------------------------------------------------ fingers and faces */

typedef struct
{
  Dev *dev;
  GBytes *data;
  guint8 valid;
  const char *version;
  gint winner; /* index into the holders array of its version's winner, -1 = none */
} Holder;

static GBytes *
item_data (gconstpointer item, BsdPlanItemKind kind)
{
  return kind == BSD_PLAN_ITEM_FACE ? ((const ZkFace *)item)->data
                                    : ((const ZkTemplate *)item)->data;
}

static guint8
item_valid (gconstpointer item, BsdPlanItemKind kind)
{
  return kind == BSD_PLAN_ITEM_FACE ? ((const ZkFace *)item)->valid
                                    : ((const ZkTemplate *)item)->valid;
}

gconstpointer
bsd_plan_dev_pin_item (const DevPin *dp, BsdPlanItemKind kind, guint index)
{
  return kind == BSD_PLAN_ITEM_FACE ? (gconstpointer)dp->faces[index]
                                    : (gconstpointer)dp->fingers[index];
}

static const char *
dev_version (const Dev *dev, BsdPlanItemKind kind)
{
  return kind == BSD_PLAN_ITEM_FACE ? dev->snapshot->face_version : dev->snapshot->fp_version;
}

static char *
template_display (GBytes *data)
{
  g_autofree char *hash = bsd_plan_bytes_sha256 (data);

  return g_strdup_printf ("%zu bytes, sha256 %.16s", bsd_plan_bytes_size (data), hash);
}

/* per version: winner = the primary if it holds one, else the lowest id;
 * several different templates within one version are a conflict */
static void
pick_winners (GArray *holders,
              Dev *primary,
              const char *pin,
              BsdPlanItemKind kind,
              guint index,
              GPtrArray *conflicts)
{
  for (guint i = 0; i < holders->len; i++)
    {
      Holder *h = &g_array_index (holders, Holder, i);
      gint winner = -1;
      gboolean differ = FALSE;
      BsdPlanConflict *conflict;
      Holder *w;

      if (h->winner >= 0 || !bsd_plan_version_known (h->version))
        continue;
      for (guint j = i; j < holders->len; j++)
        {
          Holder *o = &g_array_index (holders, Holder, j);

          if (!bsd_plan_versions_match (o->version, h->version))
            continue;
          if (winner < 0 || o->dev == primary)
            winner = (gint)j;
        }
      w = &g_array_index (holders, Holder, winner);
      for (guint j = i; j < holders->len; j++)
        {
          Holder *o = &g_array_index (holders, Holder, j);

          if (!bsd_plan_versions_match (o->version, h->version))
            continue;
          o->winner = winner;
          if (!bsd_plan_bytes_equal (o->data, w->data))
            differ = TRUE;
        }
      if (!differ)
        continue;

      conflict = g_new0 (BsdPlanConflict, 1);
      conflict->pin = g_strdup (pin);
      conflict->kind = kind;
      conflict->index = (gint)index;
      conflict->field = g_strdup (bsd_plan_item_kind_to_string (kind));
      conflict->values
          = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_plan_conflict_value_free);
      for (guint j = i; j < holders->len; j++)
        {
          Holder *o = &g_array_index (holders, Holder, j);
          BsdConflictValue *value;

          if (!bsd_plan_versions_match (o->version, h->version))
            continue;
          value = g_new0 (BsdConflictValue, 1);
          value->device_id = o->dev->snapshot->device_id;
          value->value = template_display (o->data);
          g_ptr_array_add (conflict->values, value);
        }
      conflict->winner_value = template_display (w->data);
      conflict->winner_device = w->dev->snapshot->device_id;
      conflict->reason = w->dev == primary ? BSD_WINNER_PRIMARY : BSD_WINNER_LOWEST_DEVICE_ID;
      g_ptr_array_add (conflicts, conflict);
    }
}

/* the devices that hold (@dps' PIN, @index) as read; holder_of[d] is
 * device d's entry in @holders, or -1 */
static void
collect_holders (GPtrArray *devs,
                 DevPin **dps,
                 BsdPlanItemKind kind,
                 guint index,
                 GArray *holders,
                 gint *holder_of)
{
  g_array_set_size (holders, 0);
  for (guint d = 0; d < devs->len; d++)
    {
      Dev *dev = g_ptr_array_index (devs, d);
      DevPin *dp = dps[d] != NULL && !dps[d]->planned ? dps[d] : NULL;
      gconstpointer item = dp ? bsd_plan_dev_pin_item (dp, kind, index) : NULL;
      Holder h = { 0 };

      holder_of[d] = -1;
      if (item == NULL)
        continue;
      holder_of[d] = (gint)holders->len;
      h.dev = dev;
      h.data = item_data (item, kind);
      h.valid = item_valid (item, kind);
      h.version = dev_version (dev, kind);
      h.winner = -1;
      g_array_append_val (holders, h);
    }
}

static gboolean
dev_pin_has_faces (const DevPin *dp)
{
  for (guint i = 0; i < BSD_PLAN_N_FACES; i++)
    if (dp->faces[i] != NULL)
      return TRUE;
  return FALSE;
}

/* A face no device of @dev's version holds: @dev makes its own from a
 * comparison photo when it can, holds no face of its version for the
 * person yet (so a photo goes once) and another device keeps a photo of
 * the person (the lowest id). One photo per person; TRUE when planned. */
static gboolean
plan_photo (GPtrArray *devs, Dev *dev, DevPin *dp, const char *pin)
{
  GPtrArray *photos = dev->plan->photos_add;
  const BsdPlanPhoto *last = photos->len > 0 ? g_ptr_array_index (photos, photos->len - 1) : NULL;

  if (!dev->snapshot->photo_capable || dev_pin_has_faces (dp))
    return FALSE;
  if (last != NULL && strcmp (last->pin, pin) == 0)
    return TRUE;
  for (guint d = 0; d < devs->len; d++)
    {
      const BsdSnapshot *other = ((Dev *)g_ptr_array_index (devs, d))->snapshot;
      GBytes *photo = other != dev->snapshot && other->photos != NULL
                          ? g_hash_table_lookup (other->photos, pin)
                          : NULL;
      BsdPlanPhoto *entry;

      if (photo == NULL)
        continue;
      entry = g_new0 (BsdPlanPhoto, 1);
      entry->pin = g_strdup (pin);
      entry->uid = dp->uid;
      entry->data = g_bytes_ref (photo);
      entry->source_device = other->device_id;
      g_ptr_array_add (photos, entry);
      return TRUE;
    }
  return FALSE;
}

static void
plan_items (GPtrArray *devs,
            Dev *primary,
            GPtrArray *union_pins,
            BsdPlanItemKind kind,
            GPtrArray *conflicts)
{
  guint n_index = kind == BSD_PLAN_ITEM_FACE ? BSD_PLAN_N_FACES : BSD_PLAN_N_FINGERS;
  const char *what = bsd_plan_item_kind_to_string (kind);
  g_autoptr (GArray) holders = g_array_new (FALSE, FALSE, sizeof (Holder));
  /* per device its index in holders (or -1), and the winner of each
   * version: targets find their source without scanning all holders */
  g_autofree gint *holder_of = g_new (gint, MAX (devs->len, 1));
  g_autoptr (GArray) winners = g_array_new (FALSE, FALSE, sizeof (guint));
  /* the PIN's entry on each device, looked up once per PIN */
  g_autofree DevPin **dps = g_new0 (DevPin *, MAX (devs->len, 1));

  for (guint p = 0; p < union_pins->len; p++)
    {
      const char *pin = g_ptr_array_index (union_pins, p);

      for (guint d = 0; d < devs->len; d++)
        dps[d] = bsd_plan_dev_lookup (g_ptr_array_index (devs, d), pin);

      for (guint index = 0; index < n_index; index++)
        {
          g_array_set_size (winners, 0);
          collect_holders (devs, dps, kind, index, holders, holder_of);
          if (holders->len == 0)
            continue;
          pick_winners (holders, primary, pin, kind, index, conflicts);
          for (guint h = 0; h < holders->len; h++)
            if (g_array_index (holders, Holder, h).winner == (gint)h)
              g_array_append_val (winners, h);

          for (guint d = 0; d < devs->len; d++)
            {
              Dev *dev = g_ptr_array_index (devs, d);
              DevPin *dp = dps[d];
              const char *version = dev_version (dev, kind);
              const Holder *source = NULL;
              BsdPlanTemplate *entry;

              if (dp == NULL)
                {
                  bsd_plan_add_skip (
                      dev->plan, kind, pin, 0, (gint)index, BSD_SKIP_USER_NOT_ON_DEVICE,
                      g_strdup_printf ("%s %u not sent: the user is not added to this "
                                       "device",
                                       what, index));
                  continue;
                }
              if (!dp->planned && bsd_plan_dev_pin_item (dp, kind, index) != NULL)
                {
                  GBytes *mine = item_data (bsd_plan_dev_pin_item (dp, kind, index), kind);
                  const Holder *o = &g_array_index (holders, Holder, holder_of[d]);

                  if (o->winner >= 0)
                    source = &g_array_index (holders, Holder, o->winner);
                  if (source != NULL && !bsd_plan_bytes_equal (mine, source->data))
                    bsd_plan_add_skip (
                        dev->plan, kind, pin, dp->uid, (gint)index, BSD_SKIP_SLOT_DIFFERENT,
                        g_strdup_printf ("%s slot holds a different template (%s %u; "
                                         "device %u has another); never overwritten",
                                         what, what, index, source->dev->snapshot->device_id));
                  continue;
                }
              if (kind == BSD_PLAN_ITEM_FACE && !dev->snapshot->face_capable)
                {
                  bsd_plan_add_skip (
                      dev->plan, kind, pin, dp->uid, (gint)index, BSD_SKIP_NO_FACE_SUPPORT,
                      g_strdup_printf ("face %u not sent: device has no face support", index));
                  continue;
                }
              for (guint w = 0; w < winners->len && source == NULL; w++)
                {
                  const Holder *o
                      = &g_array_index (holders, Holder, g_array_index (winners, guint, w));

                  if (bsd_plan_versions_match (o->version, version))
                    source = o;
                }
              if (source == NULL && kind == BSD_PLAN_ITEM_FACE && plan_photo (devs, dev, dp, pin))
                continue;
              if (source == NULL)
                {
                  const Holder *first = &g_array_index (holders, Holder, 0);
                  /* a device that could take a photo says why it got none */
                  gboolean no_photo = kind == BSD_PLAN_ITEM_FACE && dev->snapshot->photo_capable
                                      && !dev_pin_has_faces (dp);

                  bsd_plan_add_skip (
                      dev->plan, kind, pin, dp->uid, (gint)index,
                      kind == BSD_PLAN_ITEM_FACE ? BSD_SKIP_FACE_VERSION
                                                 : BSD_SKIP_ALGORITHM_VERSION,
                      g_strdup_printf (
                          "%s %u not sent: %s version %s ≠ %s%s", what, index,
                          kind == BSD_PLAN_ITEM_FACE ? "face" : "algorithm",
                          bsd_plan_version_text (first->version), bsd_plan_version_text (version),
                          no_photo ? "; no comparison photo of the person is known" : ""));
                  continue;
                }
              entry = g_new0 (BsdPlanTemplate, 1);
              entry->pin = g_strdup (pin);
              entry->uid = dp->uid;
              entry->index = (guint8)index;
              entry->valid = source->valid;
              entry->data = source->data ? g_bytes_ref (source->data) : g_bytes_new (NULL, 0);
              entry->source_device = source->dev->snapshot->device_id;
              g_ptr_array_add (kind == BSD_PLAN_ITEM_FACE ? dev->plan->faces_add
                                                          : dev->plan->templates_add,
                               entry);
            }
        }
    }
}

/* --------------------------------------------------------------- capacity */

static void
capacity_check (
    BsdCapacityCheck *check, guint64 current, guint64 added, guint64 removed, guint capacity)
{
  check->current = current;
  check->after = current + added - MIN (removed, current + added);
  check->capacity = capacity;
  /* a device already over its capacity is not failed for what it does
   * not get more of */
  check->exceeded = capacity > 0 && added > 0 && check->after > capacity;
}

static void
counts_of (const BsdDevicePlan *plan, BsdPlanCounts *counts)
{
  counts->users_add = plan->users_add->len;
  counts->users_update = plan->users_update->len;
  counts->users_delete = plan->users_delete->len;
  counts->templates_add = plan->templates_add->len;
  counts->faces_add = plan->faces_add->len;
  counts->photos_add = plan->photos_add->len;
  counts->skips = plan->skips->len;
}

static void
preflight (Dev *dev)
{
  BsdDevicePlan *plan = dev->plan;
  const BsdSnapshot *snapshot = dev->snapshot;
  g_autoptr (GHashTable) deleted_uids = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr (GString) failure = g_string_new (NULL);
  guint64 removed_fingers = 0, removed_faces = 0, gained_faces = 0;
  const char *last_pin = NULL;
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < plan->users_delete->len; i++)
    {
      BsdPlanUser *entry = g_ptr_array_index (plan->users_delete, i);

      g_hash_table_add (deleted_uids, GUINT_TO_POINTER ((guint)entry->uid));
    }
  g_hash_table_iter_init (&iter, deleted_uids);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      removed_fingers += GPOINTER_TO_UINT (g_hash_table_lookup (dev->uid_fingers, key));
      if (g_hash_table_contains (dev->face_uids, key))
        removed_faces++;
    }
  for (guint i = 0; i < plan->faces_add->len; i++)
    {
      BsdPlanTemplate *entry = g_ptr_array_index (plan->faces_add, i);
      DevPin *dp;

      if (last_pin != NULL && strcmp (last_pin, entry->pin) == 0)
        continue;
      last_pin = entry->pin;
      dp = bsd_plan_dev_lookup (dev, entry->pin);
      if (dp->planned || !dev_pin_has_faces (dp))
        gained_faces++;
    }
  /* a photo is planned only for a person without a face here */
  for (guint i = 0, f = 0; i < plan->photos_add->len; i++)
    {
      BsdPlanPhoto *entry = g_ptr_array_index (plan->photos_add, i);

      /* both lists are sorted by PIN: skip the faces before it */
      while (f < plan->faces_add->len
             && bsd_pin_compare (((BsdPlanTemplate *)plan->faces_add->pdata[f])->pin, entry->pin)
                    < 0)
        f++;
      if (f == plan->faces_add->len
          || strcmp (((BsdPlanTemplate *)plan->faces_add->pdata[f])->pin, entry->pin) != 0)
        gained_faces++;
    }

  capacity_check (&plan->users, MAX ((guint64)snapshot->user_count, dev->listed_users),
                  plan->users_add->len, g_hash_table_size (deleted_uids), snapshot->user_capacity);
  capacity_check (&plan->fingers, MAX ((guint64)snapshot->finger_count, dev->listed_fingers),
                  plan->templates_add->len, removed_fingers, snapshot->finger_capacity);
  capacity_check (&plan->faces,
                  MAX ((guint64)snapshot->face_count, g_hash_table_size (dev->face_uids)),
                  gained_faces, removed_faces, snapshot->face_capacity);

  counts_of (plan, &plan->wanted);
  if (plan->users.exceeded)
    g_string_append_printf (failure, "%sneeds %" G_GUINT64_FORMAT " users, capacity %u",
                            failure->len ? "; " : "", plan->users.after, snapshot->user_capacity);
  if (plan->fingers.exceeded)
    g_string_append_printf (failure, "%sneeds %" G_GUINT64_FORMAT " fingerprints, capacity %u",
                            failure->len ? "; " : "", plan->fingers.after,
                            snapshot->finger_capacity);
  if (plan->faces.exceeded)
    g_string_append_printf (failure, "%sneeds %" G_GUINT64_FORMAT " users with faces, capacity %u",
                            failure->len ? "; " : "", plan->faces.after, snapshot->face_capacity);
  if (failure->len > 0)
    {
      plan->failed = TRUE;
      plan->failure = g_strdup_printf ("device full: %s", failure->str);
      /* deletions only free room, and a deleted PIN leaves every device it
       * is found on: they stay, whatever adds is refused */
      g_ptr_array_set_size (plan->users_add, 0);
      g_ptr_array_set_size (plan->users_update, 0);
      g_ptr_array_set_size (plan->templates_add, 0);
      g_ptr_array_set_size (plan->faces_add, 0);
      g_ptr_array_set_size (plan->photos_add, 0);
    }
}

/* --------------------------------------------------------------- sorting */

static int
skip_compare (gconstpointer pa, gconstpointer pb)
{
  const BsdPlanSkip *a = *(const BsdPlanSkip *const *)pa;
  const BsdPlanSkip *b = *(const BsdPlanSkip *const *)pb;
  int c = bsd_pin_compare (a->pin, b->pin);

  if (c != 0)
    return c;
  if (a->kind != b->kind)
    return a->kind < b->kind ? -1 : 1;
  if (a->index != b->index)
    return a->index < b->index ? -1 : 1;
  if (a->uid != b->uid)
    return a->uid < b->uid ? -1 : 1;
  if (a->reason != b->reason)
    return a->reason < b->reason ? -1 : 1;
  return strcmp (a->text, b->text);
}

static guint
field_rank (const char *field)
{
  for (guint f = 0; f < N_FIELDS; f++)
    if (strcmp (field, bsd_plan_field_names[f]) == 0)
      return f;
  return N_FIELDS;
}

static int
conflict_compare (gconstpointer pa, gconstpointer pb)
{
  const BsdPlanConflict *a = *(const BsdPlanConflict *const *)pa;
  const BsdPlanConflict *b = *(const BsdPlanConflict *const *)pb;
  int c = bsd_pin_compare (a->pin, b->pin);
  guint ra, rb;

  if (c != 0)
    return c;
  if (a->kind != b->kind)
    return a->kind < b->kind ? -1 : 1;
  if (a->index != b->index)
    return a->index < b->index ? -1 : 1;
  ra = field_rank (a->field);
  rb = field_rank (b->field);
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

static int
uint_compare (gconstpointer pa, gconstpointer pb)
{
  guint a = *(const guint *)pa;
  guint b = *(const guint *)pb;

  return a < b ? -1 : a > b ? 1 : 0;
}

static int
device_plan_compare (gconstpointer pa, gconstpointer pb)
{
  const BsdDevicePlan *a = *(const BsdDevicePlan *const *)pa;
  const BsdDevicePlan *b = *(const BsdDevicePlan *const *)pb;

  return a->device_id < b->device_id ? -1 : a->device_id > b->device_id ? 1 : 0;
}

/* sorted, without duplicates */
GArray *
bsd_plan_sorted_unreachable (const BsdPlanInput *input)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint));

  if (input->unreachable != NULL)
    g_array_append_vals (ids, input->unreachable->data, input->unreachable->len);
  g_array_sort (ids, uint_compare);
  for (guint i = 1; i < ids->len;)
    {
      if (g_array_index (ids, guint, i) == g_array_index (ids, guint, i - 1))
        g_array_remove_index (ids, i);
      else
        i++;
    }
  return ids;
}

/* ----------------------------------------------------------------- compute */

static Dev *
choose_primary (GPtrArray *devs)
{
  Dev *primary = NULL;

  /* devices are sorted by id: a tie keeps the lower one */
  for (guint i = 0; i < devs->len; i++)
    {
      Dev *dev = g_ptr_array_index (devs, i);

      if (primary == NULL || dev->score > primary->score)
        primary = dev;
    }
  return primary;
}

static BsdPerson *
record_to_person (const Record *record)
{
  BsdPerson *person = bsd_person_new (record->pin);

  g_free (person->name);
  person->name = g_strdup (record->name);
  person->privilege = record->privilege;
  g_free (person->password);
  person->password = g_strdup (record->password);
  person->card = record->card;
  person->group = record->group;
  person->central_edit = record->central_edit;
  return person;
}

BsdPlan *
bsd_plan_compute (const BsdPlanInput *input, GError **error)
{
  g_autoptr (BsdPlan) plan = NULL;
  g_autoptr (GPtrArray) devs = NULL;
  g_autoptr (GPtrArray) union_pins = NULL;
  g_autoptr (GHashTable) deleted = NULL;
  g_autofree Record *records = NULL;
  Dev *primary;

  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!bsd_plan_validate_input (input, error))
    return NULL;

  plan = plan_new ();
  plan->area_id = input->area_id;
  plan->area_name = g_strdup (input->area_name);
  g_array_unref (plan->unreachable);
  plan->unreachable = bsd_plan_sorted_unreachable (input);

  devs = bsd_plan_index_devices (input, plan->devices);
  primary = choose_primary (devs);
  plan->primary_device_id = primary ? primary->snapshot->device_id : 0;
  union_pins = bsd_plan_build_union (input, devs);

  /* records first: they must see the devices as read */
  records = g_new0 (Record, union_pins->len ? union_pins->len : 1);
  for (guint p = 0; p < union_pins->len; p++)
    bsd_plan_resolve_record (&records[p], input, devs, primary, g_ptr_array_index (union_pins, p),
                             plan->conflicts);

  deleted = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint d = 0; d < devs->len; d++)
    {
      Dev *dev = g_ptr_array_index (devs, d);

      for (guint p = 0; p < union_pins->len; p++)
        plan_user_for_device (dev, &records[p]);
      plan_deletes_for_device (input, dev, deleted);
    }

  plan_items (devs, primary, union_pins, BSD_PLAN_ITEM_FINGER, plan->conflicts);
  plan_items (devs, primary, union_pins, BSD_PLAN_ITEM_FACE, plan->conflicts);

  for (guint d = 0; d < devs->len; d++)
    {
      Dev *dev = g_ptr_array_index (devs, d);

      preflight (dev);
      g_ptr_array_sort (dev->plan->skips, skip_compare);
      counts_of (dev->plan, &dev->plan->counts);
    }
  g_ptr_array_sort (plan->devices, device_plan_compare);
  g_ptr_array_sort (plan->conflicts, conflict_compare);

  for (guint p = 0; p < union_pins->len; p++)
    {
      const BsdPerson *person
          = input->roster ? g_hash_table_lookup (input->roster, records[p].pin) : NULL;

      if (person != NULL && person->central_edit)
        g_ptr_array_add (plan->roster_updates, bsd_person_copy (person));
      else
        g_ptr_array_add (plan->roster_updates, record_to_person (&records[p]));
      bsd_plan_record_clear (&records[p]);
    }

  {
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, deleted);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_ptr_array_add (plan->deleted_pins, g_strdup (key));
    g_ptr_array_sort (plan->deleted_pins, bsd_pin_compare_ptr);
  }

  return g_steal_pointer (&plan);
}
