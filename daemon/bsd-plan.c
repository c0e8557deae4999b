/* bsd-plan.c — the pure area-sync planner
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Phases: index every snapshot (drop odd records as skips) → primary →
 * union of PINs → winning record per PIN (+ conflicts) → per device:
 * user updates, adds (slot allocation), deletes → fingers → faces →
 * capacity preflight → roster updates. Every loop runs over sorted
 * devices and sorted PINs, so the plan never depends on input order.
 */
#include "config.h"

#include "bsd-plan.h"

#include <gio/gio.h>
#include <string.h>

/* 72-byte records keep 23 name bytes (NUL-terminated), 28-byte ones 8 */
#define NAME_WIDTH_72 23
#define NAME_WIDTH_28 8
#define NAME_WIDTH_ROSTER G_MAXSIZE
#define PASSWORD_WIDTH_72 8
#define PASSWORD_WIDTH_28 5
#define PIN_WIDTH_72 24
#define PIN_WIDTH_28 10

/* ------------------------------------------------------------ boxed types */

G_DEFINE_BOXED_TYPE (BsdSnapshot, bsd_snapshot, bsd_snapshot_copy, bsd_snapshot_free)
G_DEFINE_BOXED_TYPE (BsdPlan, bsd_plan, bsd_plan_ref, bsd_plan_unref)

BsdSnapshot *
bsd_snapshot_new (guint device_id, const char *name)
{
  BsdSnapshot *snapshot = g_new0 (BsdSnapshot, 1);

  snapshot->device_id = device_id;
  snapshot->name = g_strdup (name);
  snapshot->user_width = ZK_USER_SIZE_72;
  snapshot->users = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_user_free);
  snapshot->templates = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_template_free);
  snapshot->faces = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_face_free);
  return snapshot;
}

BsdSnapshot *
bsd_snapshot_copy (const BsdSnapshot *snapshot)
{
  BsdSnapshot *copy;

  g_return_val_if_fail (snapshot != NULL, NULL);

  copy = bsd_snapshot_new (snapshot->device_id, snapshot->name);
  copy->user_width = snapshot->user_width;
  copy->pin_width = snapshot->pin_width;
  copy->fp_version = g_strdup (snapshot->fp_version);
  copy->face_version = g_strdup (snapshot->face_version);
  copy->face_capable = snapshot->face_capable;
  copy->user_capacity = snapshot->user_capacity;
  copy->finger_capacity = snapshot->finger_capacity;
  copy->face_capacity = snapshot->face_capacity;
  copy->user_count = snapshot->user_count;
  copy->finger_count = snapshot->finger_count;
  copy->face_count = snapshot->face_count;
  for (guint i = 0; snapshot->users && i < snapshot->users->len; i++)
    {
      const ZkUser *user = g_ptr_array_index (snapshot->users, i);

      if (user != NULL)
        g_ptr_array_add (copy->users, zk_user_copy (user));
    }
  for (guint i = 0; snapshot->templates && i < snapshot->templates->len; i++)
    {
      const ZkTemplate *tmpl = g_ptr_array_index (snapshot->templates, i);

      if (tmpl != NULL)
        g_ptr_array_add (copy->templates, zk_template_copy (tmpl));
    }
  for (guint i = 0; snapshot->faces && i < snapshot->faces->len; i++)
    {
      const ZkFace *face = g_ptr_array_index (snapshot->faces, i);

      if (face != NULL)
        g_ptr_array_add (copy->faces, zk_face_copy (face));
    }
  return copy;
}

void
bsd_snapshot_free (BsdSnapshot *snapshot)
{
  if (snapshot == NULL)
    return;
  g_free (snapshot->name);
  g_free (snapshot->fp_version);
  g_free (snapshot->face_version);
  g_clear_pointer (&snapshot->users, g_ptr_array_unref);
  g_clear_pointer (&snapshot->templates, g_ptr_array_unref);
  g_clear_pointer (&snapshot->faces, g_ptr_array_unref);
  g_free (snapshot);
}

static gboolean
pin_is_set (const char *pin)
{
  /* devices reject an empty user id and "0"; 28-byte records decode 0 as "" */
  return pin != NULL && pin[0] != '\0' && strcmp (pin, "0") != 0;
}

static int user_compare (gconstpointer pa, gconstpointer pb);

/* the record the planner keeps for each slot: the lowest-sorted one */
static GHashTable *
kept_users (const BsdSnapshot *snapshot)
{
  GHashTable *kept = g_hash_table_new (g_direct_hash, g_direct_equal);

  for (guint i = 0; snapshot->users && i < snapshot->users->len; i++)
    {
      const ZkUser *user = g_ptr_array_index (snapshot->users, i);
      const ZkUser *old;

      if (user == NULL)
        continue;
      old = g_hash_table_lookup (kept, GUINT_TO_POINTER ((guint)user->uid));
      if (old == NULL || user_compare (&user, &old) < 0)
        g_hash_table_insert (kept, GUINT_TO_POINTER ((guint)user->uid), (gpointer)user);
    }
  return kept;
}

const char *
bsd_snapshot_lookup_pin (const BsdSnapshot *snapshot, guint16 uid)
{
  const ZkUser *kept = NULL;

  g_return_val_if_fail (snapshot != NULL, NULL);

  for (guint i = 0; snapshot->users && i < snapshot->users->len; i++)
    {
      const ZkUser *user = g_ptr_array_index (snapshot->users, i);

      if (user != NULL && user->uid == uid && (kept == NULL || user_compare (&user, &kept) < 0))
        kept = user;
    }
  return kept != NULL && pin_is_set (kept->user_id) ? kept->user_id : NULL;
}

GHashTable *
bsd_snapshot_dup_uid_map (const BsdSnapshot *snapshot)
{
  g_autoptr (GHashTable) kept = NULL;
  GHashTable *map;
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (snapshot != NULL, NULL);

  kept = kept_users (snapshot);
  map = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_hash_table_iter_init (&iter, kept);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const ZkUser *user = value;

      if (pin_is_set (user->user_id))
        g_hash_table_insert (map, key, (gpointer)user->user_id);
    }
  return map;
}

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
plan_skip_free (BsdPlanSkip *skip)
{
  g_free (skip->pin);
  g_free (skip->text);
  g_free (skip);
}

static void
conflict_value_free (BsdConflictValue *value)
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

static BsdDevicePlan *
device_plan_new (const BsdSnapshot *snapshot)
{
  BsdDevicePlan *plan = g_new0 (BsdDevicePlan, 1);

  plan->device_id = snapshot->device_id;
  plan->name = g_strdup (snapshot->name);
  plan->users_add = g_ptr_array_new_with_free_func ((GDestroyNotify)plan_user_free);
  plan->users_update = g_ptr_array_new_with_free_func ((GDestroyNotify)plan_user_free);
  plan->users_delete = g_ptr_array_new_with_free_func ((GDestroyNotify)plan_user_free);
  plan->templates_add = g_ptr_array_new_with_free_func ((GDestroyNotify)plan_template_free);
  plan->faces_add = g_ptr_array_new_with_free_func ((GDestroyNotify)plan_template_free);
  plan->skips = g_ptr_array_new_with_free_func ((GDestroyNotify)plan_skip_free);
  return plan;
}

static void
device_plan_free (BsdDevicePlan *plan)
{
  g_free (plan->name);
  g_clear_pointer (&plan->users_add, g_ptr_array_unref);
  g_clear_pointer (&plan->users_update, g_ptr_array_unref);
  g_clear_pointer (&plan->users_delete, g_ptr_array_unref);
  g_clear_pointer (&plan->templates_add, g_ptr_array_unref);
  g_clear_pointer (&plan->faces_add, g_ptr_array_unref);
  g_clear_pointer (&plan->skips, g_ptr_array_unref);
  g_free (plan->failure);
  g_free (plan);
}

static BsdPlan *
plan_new (void)
{
  BsdPlan *plan = g_new0 (BsdPlan, 1);

  plan->ref_count = 1;
  plan->devices = g_ptr_array_new_with_free_func ((GDestroyNotify)device_plan_free);
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
          || device->faces_add->len > 0)
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

/* ---------------------------------------------------------------- helpers */

static gboolean
str_is_digits (const char *s)
{
  if (s == NULL || *s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    if (!g_ascii_isdigit (*s))
      return FALSE;
  return TRUE;
}

int
bsd_pin_compare (const char *a, const char *b)
{
  gboolean a_num, b_num;

  a = a ? a : "";
  b = b ? b : "";
  a_num = str_is_digits (a);
  b_num = str_is_digits (b);
  if (a_num && b_num)
    {
      const char *va = a, *vb = b;
      gsize la, lb;
      int c;

      while (va[0] == '0' && va[1] != '\0')
        va++;
      while (vb[0] == '0' && vb[1] != '\0')
        vb++;
      la = strlen (va);
      lb = strlen (vb);
      if (la != lb)
        return la < lb ? -1 : 1;
      c = strcmp (va, vb);
      if (c != 0)
        return c;
      /* same value: fewer leading zeros first */
      la = strlen (a);
      lb = strlen (b);
      if (la != lb)
        return la < lb ? -1 : 1;
      return strcmp (a, b);
    }
  if (a_num != b_num)
    return a_num ? -1 : 1;
  return strcmp (a, b);
}

static int
pin_compare_ptr (gconstpointer a, gconstpointer b)
{
  return bsd_pin_compare (*(const char *const *)a, *(const char *const *)b);
}

static gboolean
version_known (const char *version)
{
  return version != NULL && version[0] != '\0';
}

static gboolean
versions_match (const char *a, const char *b)
{
  return version_known (a) && version_known (b) && strcmp (a, b) == 0;
}

static const char *
version_text (const char *version)
{
  return version_known (version) ? version : "unknown";
}

static gsize
snapshot_name_width (const BsdSnapshot *snapshot)
{
  return snapshot->user_width == ZK_USER_SIZE_28 ? NAME_WIDTH_28 : NAME_WIDTH_72;
}

static gsize
snapshot_password_width (const BsdSnapshot *snapshot)
{
  return snapshot->user_width == ZK_USER_SIZE_28 ? PASSWORD_WIDTH_28 : PASSWORD_WIDTH_72;
}

/* length in bytes of the longest prefix of @name, on a character
 * boundary, that fits @width bytes */
static gsize
name_fit_len (const char *name, gsize width)
{
  const char *end = name;

  while (*end != '\0')
    {
      const char *next = g_utf8_next_char (end);

      if ((gsize)(next - name) > width)
        break;
      end = next;
    }
  return (gsize)(end - name);
}

static char *
name_fit (const char *name, gsize width)
{
  return g_strndup (name, name_fit_len (name, width));
}

/* two names are the same person's name when they agree on what the
 * narrower of the two record formats can hold */
static gboolean
names_equivalent (const char *a, gsize a_width, const char *b, gsize b_width)
{
  gsize width = MIN (a_width, b_width);
  gsize la = name_fit_len (a, width);
  gsize lb = name_fit_len (b, width);

  return la == lb && memcmp (a, b, la) == 0;
}

static char *
sanitize_text (const char *text)
{
  if (text == NULL)
    return g_strdup ("");
  if (g_utf8_validate (text, -1, NULL))
    return g_strdup (text);
  return g_utf8_make_valid (text, -1);
}

/* json-glib writes strings as they are, and what came from a device (a
 * PIN, a name) need not be UTF-8: every string of the JSON goes through here */
static void
add_text (JsonBuilder *builder, const char *text)
{
  g_autofree char *valid = sanitize_text (text);

  json_builder_add_string_value (builder, valid);
}

static gboolean
bytes_equal (GBytes *a, GBytes *b)
{
  gsize la = 0, lb = 0;
  const guint8 *da = a ? g_bytes_get_data (a, &la) : NULL;
  const guint8 *db = b ? g_bytes_get_data (b, &lb) : NULL;

  return la == lb && (la == 0 || memcmp (da, db, la) == 0);
}

static int
bytes_compare (GBytes *a, GBytes *b)
{
  gsize la = 0, lb = 0;
  const guint8 *da = a ? g_bytes_get_data (a, &la) : NULL;
  const guint8 *db = b ? g_bytes_get_data (b, &lb) : NULL;
  int c = (la && lb) ? memcmp (da, db, MIN (la, lb)) : 0;

  if (c != 0)
    return c;
  return la < lb ? -1 : la > lb ? 1 : 0;
}

static char *
bytes_sha256 (GBytes *bytes)
{
  gsize len = 0;
  const guint8 *data = bytes ? g_bytes_get_data (bytes, &len) : NULL;

  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data ? data : (const guint8 *)"", len);
}

static gsize
bytes_size (GBytes *bytes)
{
  return bytes ? g_bytes_get_size (bytes) : 0;
}

static void
add_skip (BsdDevicePlan *plan,
          BsdPlanItemKind kind,
          const char *pin,
          guint16 uid,
          gint index,
          BsdSkipReason reason,
          char *text /* owned */)
{
  BsdPlanSkip *skip = g_new0 (BsdPlanSkip, 1);

  skip->kind = kind;
  skip->pin = sanitize_text (pin);
  skip->uid = uid;
  skip->index = index;
  skip->reason = reason;
  skip->text = text;
  g_ptr_array_add (plan->skips, skip);
}

/* --------------------------------------------------------- device indexes */

typedef struct
{
  char *pin;
  char *name;         /* sanitized copy of the record's name */
  const ZkUser *user; /* as read; NULL when planned */
  guint16 uid;        /* the kept slot, or the planned one */
  gboolean planned;
  GArray *extra_uids; /* guint16: more slots holding this PIN, or NULL */
  const ZkTemplate *fingers[BSD_PLAN_N_FINGERS];
  const ZkFace *faces[BSD_PLAN_N_FACES];
} DevPin;

typedef struct
{
  const BsdSnapshot *snapshot;
  BsdDevicePlan *plan;
  GHashTable *pins;        /* pin → DevPin*, owned */
  GHashTable *uid_users;   /* uid → const ZkUser*, the record kept for that slot */
  GHashTable *uid_fingers; /* uid → template count */
  GHashTable *face_uids;   /* set of uids with faces */
  guint8 *occupied;        /* bitmap over uids 0…65535 */
  guint next_uid;
  guint64 listed_users;
  guint64 listed_fingers;
  guint64 score;
} Dev;

static void
dev_pin_free (DevPin *dp)
{
  g_free (dp->pin);
  g_free (dp->name);
  g_clear_pointer (&dp->extra_uids, g_array_unref);
  g_free (dp);
}

static void
dev_free (Dev *dev)
{
  g_clear_pointer (&dev->pins, g_hash_table_unref);
  g_clear_pointer (&dev->uid_users, g_hash_table_unref);
  g_clear_pointer (&dev->uid_fingers, g_hash_table_unref);
  g_clear_pointer (&dev->face_uids, g_hash_table_unref);
  g_free (dev->occupied);
  /* the device plan belongs to the BsdPlan (or to the caller) */
  g_free (dev);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Dev, dev_free)

static void
occupy (Dev *dev, guint uid)
{
  dev->occupied[(uid & 0xffff) >> 3] |= (guint8)(1u << (uid & 7));
}

static gboolean
is_occupied (Dev *dev, guint uid)
{
  return (dev->occupied[(uid & 0xffff) >> 3] & (1u << (uid & 7))) != 0;
}

static int
user_compare (gconstpointer pa, gconstpointer pb)
{
  const ZkUser *a = *(const ZkUser *const *)pa;
  const ZkUser *b = *(const ZkUser *const *)pb;
  int c;

  if (a->uid != b->uid)
    return a->uid < b->uid ? -1 : 1;
  c = bsd_pin_compare (a->user_id, b->user_id);
  if (c != 0)
    return c;
  c = g_strcmp0 (a->name, b->name);
  if (c != 0)
    return c;
  if (a->privilege != b->privilege)
    return a->privilege < b->privilege ? -1 : 1;
  if (a->card != b->card)
    return a->card < b->card ? -1 : 1;
  if (a->group != b->group)
    return a->group < b->group ? -1 : 1;
  return strcmp (a->password, b->password);
}

/* ZkTemplate and ZkFace share their first fields' meaning; compared
 * through these accessors to stay type-correct */
static int
template_compare (gconstpointer pa, gconstpointer pb)
{
  const ZkTemplate *a = *(const ZkTemplate *const *)pa;
  const ZkTemplate *b = *(const ZkTemplate *const *)pb;

  if (a->uid != b->uid)
    return a->uid < b->uid ? -1 : 1;
  if (a->fid != b->fid)
    return a->fid < b->fid ? -1 : 1;
  if (a->valid != b->valid)
    return a->valid < b->valid ? -1 : 1;
  return bytes_compare (a->data, b->data);
}

static int
face_compare (gconstpointer pa, gconstpointer pb)
{
  const ZkFace *a = *(const ZkFace *const *)pa;
  const ZkFace *b = *(const ZkFace *const *)pb;

  if (a->uid != b->uid)
    return a->uid < b->uid ? -1 : 1;
  if (a->fid != b->fid)
    return a->fid < b->fid ? -1 : 1;
  if (a->valid != b->valid)
    return a->valid < b->valid ? -1 : 1;
  return bytes_compare (a->data, b->data);
}

/* non-NULL entries of @array, sorted */
static GPtrArray *
sorted_copy (GPtrArray *array, GCompareFunc compare)
{
  GPtrArray *sorted = g_ptr_array_new ();

  for (guint i = 0; array != NULL && i < array->len; i++)
    if (g_ptr_array_index (array, i) != NULL)
      g_ptr_array_add (sorted, g_ptr_array_index (array, i));
  g_ptr_array_sort (sorted, compare);
  return sorted;
}

/* which DevPin owns the biometrics of slot @uid, or NULL with a skip */
static DevPin *
owner_of_slot (Dev *dev, BsdPlanItemKind kind, guint16 uid, guint8 index, const char *what)
{
  const ZkUser *user = g_hash_table_lookup (dev->uid_users, GUINT_TO_POINTER (uid));
  DevPin *dp;

  if (user == NULL)
    {
      add_skip (dev->plan, kind, "", uid, index, BSD_SKIP_ORPHAN,
                g_strdup_printf ("%s %u in slot %u, which holds no user", what, index, uid));
      return NULL;
    }
  if (!pin_is_set (user->user_id) || !g_utf8_validate (user->user_id, -1, NULL))
    {
      add_skip (
          dev->plan, kind, "", uid, index, BSD_SKIP_ORPHAN,
          g_strdup_printf ("%s %u in slot %u, whose user has no usable user id", what, index, uid));
      return NULL;
    }
  dp = g_hash_table_lookup (dev->pins, user->user_id);
  if (dp == NULL || dp->uid != uid)
    {
      add_skip (dev->plan, kind, user->user_id, uid, index, BSD_SKIP_DUPLICATE_PIN,
                g_strdup_printf ("%s %u in slot %u ignored: user id also in slot %u, which is kept",
                                 what, index, uid, dp ? dp->uid : 0));
      return NULL;
    }
  return dp;
}

static Dev *
dev_index (const BsdSnapshot *snapshot, BsdDevicePlan *plan)
{
  g_autoptr (Dev) dev = g_new0 (Dev, 1);
  g_autoptr (GPtrArray) users = sorted_copy (snapshot->users, user_compare);
  g_autoptr (GPtrArray) templates = sorted_copy (snapshot->templates, template_compare);
  g_autoptr (GPtrArray) faces = sorted_copy (snapshot->faces, face_compare);
  const ZkTemplate *prev_tmpl = NULL;
  const ZkFace *prev_face = NULL;

  dev->snapshot = snapshot;
  dev->plan = plan;
  dev->pins = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)dev_pin_free);
  dev->uid_users = g_hash_table_new (g_direct_hash, g_direct_equal);
  dev->uid_fingers = g_hash_table_new (g_direct_hash, g_direct_equal);
  dev->face_uids = g_hash_table_new (g_direct_hash, g_direct_equal);
  dev->occupied = g_malloc0 (65536 / 8);
  dev->next_uid = 1;

  for (guint i = 0; i < users->len; i++)
    {
      const ZkUser *user = g_ptr_array_index (users, i);
      const ZkUser *kept;
      DevPin *dp;

      if (user->uid == 0 || user->uid > BSD_PLAN_MAX_UID)
        {
          add_skip (plan, BSD_PLAN_ITEM_USER, user->user_id, user->uid, -1, BSD_SKIP_INVALID_UID,
                    g_strdup_printf ("user record in invalid slot %u ignored", user->uid));
          continue;
        }
      occupy (dev, user->uid);
      kept = g_hash_table_lookup (dev->uid_users, GUINT_TO_POINTER (user->uid));
      if (kept != NULL)
        {
          add_skip (
              plan, BSD_PLAN_ITEM_USER, user->user_id, user->uid, -1, BSD_SKIP_DUPLICATE_UID,
              g_strdup_printf ("slot %u is listed twice; the record with user id “%s” is kept",
                               user->uid, kept->user_id));
          continue;
        }
      g_hash_table_insert (dev->uid_users, GUINT_TO_POINTER (user->uid), (gpointer)user);
      dev->listed_users++;
      if (!pin_is_set (user->user_id))
        {
          add_skip (plan, BSD_PLAN_ITEM_USER, "", user->uid, -1, BSD_SKIP_NO_PIN,
                    g_strdup_printf ("user in slot %u has no user id; ignored", user->uid));
          continue;
        }
      if (!g_utf8_validate (user->user_id, -1, NULL))
        {
          add_skip (plan, BSD_PLAN_ITEM_USER, "", user->uid, -1, BSD_SKIP_INVALID_PIN,
                    g_strdup_printf ("user in slot %u has a user id that is not text; ignored",
                                     user->uid));
          continue;
        }
      dp = g_hash_table_lookup (dev->pins, user->user_id);
      if (dp != NULL)
        {
          guint16 uid = user->uid;

          /* users are sorted by uid: the kept one has the lowest slot */
          if (dp->extra_uids == NULL)
            dp->extra_uids = g_array_new (FALSE, FALSE, sizeof (guint16));
          g_array_append_val (dp->extra_uids, uid);
          add_skip (plan, BSD_PLAN_ITEM_USER, user->user_id, user->uid, -1, BSD_SKIP_DUPLICATE_PIN,
                    g_strdup_printf ("user id also in slot %u; slot %u is kept, slot %u ignored",
                                     dp->uid, dp->uid, user->uid));
          continue;
        }
      dp = g_new0 (DevPin, 1);
      dp->pin = g_strdup (user->user_id);
      dp->name = sanitize_text (user->name);
      dp->user = user;
      dp->uid = user->uid;
      g_hash_table_insert (dev->pins, dp->pin, dp);
      dev->score++;
    }

  for (guint i = 0; i < templates->len; i++)
    {
      const ZkTemplate *tmpl = g_ptr_array_index (templates, i);
      gboolean repeat
          = prev_tmpl != NULL && prev_tmpl->uid == tmpl->uid && prev_tmpl->fid == tmpl->fid;
      DevPin *dp;

      prev_tmpl = tmpl;
      if (tmpl->uid <= BSD_PLAN_MAX_UID)
        occupy (dev, tmpl->uid);
      if (!repeat)
        {
          gpointer count = g_hash_table_lookup (dev->uid_fingers, GUINT_TO_POINTER (tmpl->uid));

          g_hash_table_insert (dev->uid_fingers, GUINT_TO_POINTER (tmpl->uid),
                               GUINT_TO_POINTER (GPOINTER_TO_UINT (count) + 1));
          dev->listed_fingers++;
        }
      if (tmpl->fid >= BSD_PLAN_N_FINGERS)
        {
          add_skip (
              plan, BSD_PLAN_ITEM_FINGER, bsd_snapshot_lookup_pin (snapshot, tmpl->uid), tmpl->uid,
              tmpl->fid, BSD_SKIP_INVALID_INDEX,
              g_strdup_printf ("finger index %u in slot %u is out of range", tmpl->fid, tmpl->uid));
          continue;
        }
      dp = owner_of_slot (dev, BSD_PLAN_ITEM_FINGER, tmpl->uid, tmpl->fid, "finger");
      if (dp == NULL)
        continue;
      if (repeat || dp->fingers[tmpl->fid] != NULL)
        {
          add_skip (plan, BSD_PLAN_ITEM_FINGER, dp->pin, tmpl->uid, tmpl->fid,
                    BSD_SKIP_DUPLICATE_INDEX,
                    g_strdup_printf ("finger %u of slot %u is listed twice; the first is kept",
                                     tmpl->fid, tmpl->uid));
          continue;
        }
      dp->fingers[tmpl->fid] = tmpl;
      dev->score++;
    }

  for (guint i = 0; i < faces->len; i++)
    {
      const ZkFace *face = g_ptr_array_index (faces, i);
      gboolean repeat
          = prev_face != NULL && prev_face->uid == face->uid && prev_face->fid == face->fid;
      DevPin *dp;

      prev_face = face;
      if (face->uid <= BSD_PLAN_MAX_UID)
        occupy (dev, face->uid);
      g_hash_table_add (dev->face_uids, GUINT_TO_POINTER (face->uid));
      if (face->fid >= BSD_PLAN_N_FACES)
        {
          add_skip (
              plan, BSD_PLAN_ITEM_FACE, bsd_snapshot_lookup_pin (snapshot, face->uid), face->uid,
              face->fid, BSD_SKIP_INVALID_INDEX,
              g_strdup_printf ("face index %u in slot %u is out of range", face->fid, face->uid));
          continue;
        }
      dp = owner_of_slot (dev, BSD_PLAN_ITEM_FACE, face->uid, face->fid, "face");
      if (dp == NULL)
        continue;
      if (repeat || dp->faces[face->fid] != NULL)
        {
          add_skip (plan, BSD_PLAN_ITEM_FACE, dp->pin, face->uid, face->fid,
                    BSD_SKIP_DUPLICATE_INDEX,
                    g_strdup_printf ("face %u of slot %u is listed twice; the first is kept",
                                     face->fid, face->uid));
          continue;
        }
      dp->faces[face->fid] = face;
      dev->score++;
    }

  return g_steal_pointer (&dev);
}

static int
dev_compare (gconstpointer pa, gconstpointer pb)
{
  const Dev *a = *(const Dev *const *)pa;
  const Dev *b = *(const Dev *const *)pb;

  if (a->snapshot->device_id != b->snapshot->device_id)
    return a->snapshot->device_id < b->snapshot->device_id ? -1 : 1;
  return 0;
}

static gboolean
validate_input (const BsdPlanInput *input, GError **error)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);

  for (guint i = 0; input->snapshots && i < input->snapshots->len; i++)
    {
      const BsdSnapshot *snapshot = g_ptr_array_index (input->snapshots, i);

      if (snapshot == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "snapshot %u is missing", i);
          return FALSE;
        }
      if (snapshot->device_id == 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "a snapshot has device id 0");
          return FALSE;
        }
      if (snapshot->user_width != ZK_USER_SIZE_72 && snapshot->user_width != ZK_USER_SIZE_28)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "device %u: unsupported user record width %u", snapshot->device_id,
                       snapshot->user_width);
          return FALSE;
        }
      if (!g_hash_table_add (seen, GUINT_TO_POINTER (snapshot->device_id)))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "device %u has two snapshots", snapshot->device_id);
          return FALSE;
        }
    }
  for (guint i = 0; input->unreachable && i < input->unreachable->len; i++)
    {
      guint id = g_array_index (input->unreachable, guint, i);

      if (g_hash_table_contains (seen, GUINT_TO_POINTER (id)))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "device %u is both reachable and unreachable", id);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
is_tombstoned (const BsdPlanInput *input, const char *pin)
{
  return input->tombstones != NULL && g_hash_table_contains (input->tombstones, pin);
}

/* every device indexed, sorted by id; device plans owned by @plans */
static GPtrArray *
index_devices (const BsdPlanInput *input, GPtrArray *plans)
{
  GPtrArray *devs = g_ptr_array_new_with_free_func ((GDestroyNotify)dev_free);

  for (guint i = 0; input->snapshots && i < input->snapshots->len; i++)
    {
      const BsdSnapshot *snapshot = g_ptr_array_index (input->snapshots, i);
      BsdDevicePlan *plan = device_plan_new (snapshot);

      g_ptr_array_add (plans, plan);
      g_ptr_array_add (devs, dev_index (snapshot, plan));
    }
  g_ptr_array_sort (devs, dev_compare);
  return devs;
}

/* the non-tombstoned PINs any device holds, sorted */
static GPtrArray *
build_union (const BsdPlanInput *input, GPtrArray *devs)
{
  g_autoptr (GHashTable) set = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *pins = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < devs->len; i++)
    {
      Dev *dev = g_ptr_array_index (devs, i);

      g_hash_table_iter_init (&iter, dev->pins);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (!is_tombstoned (input, key))
          g_hash_table_add (set, key);
    }
  g_hash_table_iter_init (&iter, set);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (pins, key);
  g_ptr_array_sort (pins, pin_compare_ptr);
  return pins;
}

static DevPin *
dev_lookup (Dev *dev, const char *pin)
{
  return g_hash_table_lookup (dev->pins, pin);
}

/* held as read (not planned) */
static DevPin *
dev_holds (Dev *dev, const char *pin)
{
  DevPin *dp = g_hash_table_lookup (dev->pins, pin);

  return dp != NULL && !dp->planned ? dp : NULL;
}

/* ------------------------------------------------------- winning records */

typedef struct
{
  const char *pin;
  char *name;
  gsize name_width; /* of the record the name came from */
  guint8 privilege;
  char *password;
  guint32 card;
  guint8 group;
  const ZkUser *source_user; /* NULL for the roster */
  guint source_width;        /* user width of the source device, 0 for the roster */
  guint winner_device;       /* 0 = roster */
  BsdWinnerReason reason;
  gboolean central_edit;
} Record;

static void
record_clear (Record *record)
{
  g_free (record->name);
  g_free (record->password);
}

typedef enum
{
  FIELD_NAME,
  FIELD_PRIVILEGE,
  FIELD_PASSWORD,
  FIELD_CARD,
  FIELD_GROUP,
  N_FIELDS
} Field;

static const char *const field_names[N_FIELDS]
    = { "name", "privilege", "password", "card", "group" };
static const BsdUserFields field_flags[N_FIELDS] = {
  BSD_USER_FIELD_NAME, BSD_USER_FIELD_PRIVILEGE, BSD_USER_FIELD_PASSWORD,
  BSD_USER_FIELD_CARD, BSD_USER_FIELD_GROUP,
};

static char *
password_display (const char *password)
{
  return g_strdup (password == NULL || password[0] == '\0' ? "(none)" : "(hidden)");
}

static char *
dev_field_display (const DevPin *dp, Field field)
{
  switch (field)
    {
    case FIELD_NAME:
      return g_strdup (dp->name);
    case FIELD_PRIVILEGE:
      return g_strdup_printf ("%u", dp->user->privilege);
    case FIELD_PASSWORD:
      return password_display (dp->user->password);
    case FIELD_CARD:
      return g_strdup_printf ("%u", dp->user->card);
    case FIELD_GROUP:
      return g_strdup_printf ("%u", dp->user->group);
    case N_FIELDS:
    default:
      g_assert_not_reached ();
    }
}

static char *
record_field_display (const Record *record, Field field)
{
  switch (field)
    {
    case FIELD_NAME:
      return g_strdup (record->name);
    case FIELD_PRIVILEGE:
      return g_strdup_printf ("%u", record->privilege);
    case FIELD_PASSWORD:
      return password_display (record->password);
    case FIELD_CARD:
      return g_strdup_printf ("%u", record->card);
    case FIELD_GROUP:
      return g_strdup_printf ("%u", record->group);
    case N_FIELDS:
    default:
      g_assert_not_reached ();
    }
}

/* does the device's value agree with another device's? */
static gboolean
dev_fields_agree (const Dev *da, const DevPin *a, const Dev *db, const DevPin *b, Field field)
{
  switch (field)
    {
    case FIELD_NAME:
      return names_equivalent (a->name, snapshot_name_width (da->snapshot), b->name,
                               snapshot_name_width (db->snapshot));
    case FIELD_PRIVILEGE:
      return a->user->privilege == b->user->privilege;
    case FIELD_PASSWORD:
      return strcmp (a->user->password, b->user->password) == 0;
    case FIELD_CARD:
      return a->user->card == b->user->card;
    case FIELD_GROUP:
      return a->user->group == b->user->group;
    case N_FIELDS:
    default:
      g_assert_not_reached ();
    }
}

/* does the device hold the record's value? */
static gboolean
dev_field_matches (const Dev *dev, const DevPin *dp, const Record *record, Field field)
{
  switch (field)
    {
    case FIELD_NAME:
      return names_equivalent (dp->name, snapshot_name_width (dev->snapshot), record->name,
                               record->name_width);
    case FIELD_PRIVILEGE:
      return dp->user->privilege == record->privilege;
    case FIELD_PASSWORD:
      return strcmp (dp->user->password, record->password) == 0;
    case FIELD_CARD:
      return dp->user->card == record->card;
    case FIELD_GROUP:
      return dp->user->group == record->group;
    case N_FIELDS:
    default:
      g_assert_not_reached ();
    }
}

/* do two holders of @pin disagree on @field? Linear in devices: a pair
 * of names compares at the narrower width, so for each width in use
 * every holder at least that wide must agree at that width */
static gboolean
holders_disagree (GPtrArray *devs, const char *pin, Field field)
{
  static const gsize widths[] = { NAME_WIDTH_28, NAME_WIDTH_72 };
  const Dev *first_dev = NULL;
  const DevPin *first = NULL;

  if (field != FIELD_NAME)
    {
      for (guint i = 0; i < devs->len; i++)
        {
          Dev *dev = g_ptr_array_index (devs, i);
          DevPin *dp = dev_holds (dev, pin);

          if (dp == NULL)
            continue;
          if (first == NULL)
            {
              first = dp;
              first_dev = dev;
            }
          else if (!dev_fields_agree (first_dev, first, dev, dp, field))
            return TRUE;
        }
      return FALSE;
    }

  for (guint w = 0; w < G_N_ELEMENTS (widths); w++)
    {
      gboolean used = FALSE;
      const char *ref = NULL;
      gsize ref_len = 0;

      for (guint i = 0; i < devs->len && !used; i++)
        {
          Dev *dev = g_ptr_array_index (devs, i);

          used = dev_holds (dev, pin) != NULL && snapshot_name_width (dev->snapshot) == widths[w];
        }
      for (guint i = 0; used && i < devs->len; i++)
        {
          Dev *dev = g_ptr_array_index (devs, i);
          DevPin *dp = dev_holds (dev, pin);
          gsize len;

          if (dp == NULL || snapshot_name_width (dev->snapshot) < widths[w])
            continue;
          len = name_fit_len (dp->name, widths[w]);
          if (ref == NULL)
            {
              ref = dp->name;
              ref_len = len;
            }
          else if (len != ref_len || memcmp (ref, dp->name, len) != 0)
            return TRUE;
        }
    }
  return FALSE;
}

static void
record_from_dev (Record *record, const Dev *dev, const DevPin *dp, BsdWinnerReason reason)
{
  record->name = g_strdup (dp->name);
  record->name_width = snapshot_name_width (dev->snapshot);
  record->privilege = dp->user->privilege;
  record->password = g_strdup (dp->user->password);
  record->card = dp->user->card;
  record->group = dp->user->group;
  record->source_user = dp->user;
  record->source_width = dev->snapshot->user_width;
  record->winner_device = dev->snapshot->device_id;
  record->reason = reason;
}

static void
resolve_record (Record *record,
                const BsdPlanInput *input,
                GPtrArray *devs,
                Dev *primary,
                const char *pin,
                GPtrArray *conflicts)
{
  const BsdPerson *person = input->roster ? g_hash_table_lookup (input->roster, pin) : NULL;
  Dev *winner_dev = NULL;
  DevPin *winner_dp = NULL;

  record->pin = pin;
  if (person != NULL && person->central_edit)
    {
      record->name = sanitize_text (person->name);
      record->name_width = NAME_WIDTH_ROSTER;
      record->privilege = person->privilege;
      record->password = g_strdup (person->password ? person->password : "");
      record->card = person->card;
      record->group = person->group;
      record->winner_device = 0;
      record->reason = BSD_WINNER_CENTRAL_EDIT;
      record->central_edit = TRUE;
    }
  else
    {
      if (primary != NULL && dev_holds (primary, pin) != NULL)
        {
          winner_dev = primary;
          winner_dp = dev_holds (primary, pin);
          record_from_dev (record, winner_dev, winner_dp, BSD_WINNER_PRIMARY);
        }
      else
        {
          for (guint i = 0; i < devs->len && winner_dp == NULL; i++)
            {
              winner_dev = g_ptr_array_index (devs, i);
              winner_dp = dev_holds (winner_dev, pin);
            }
          g_assert (winner_dp != NULL);
          record_from_dev (record, winner_dev, winner_dp, BSD_WINNER_LOWEST_DEVICE_ID);
        }

      /* a narrow device keeps a cut name: when a wider device holds the
       * same name uncut, that is the name to spread and to store */
      for (guint i = 0; i < devs->len; i++)
        {
          Dev *dev = g_ptr_array_index (devs, i);
          DevPin *dp = dev_holds (dev, pin);

          if (dp == NULL || strlen (dp->name) <= strlen (record->name))
            continue;
          if (names_equivalent (dp->name, snapshot_name_width (dev->snapshot), record->name,
                                record->name_width))
            {
              g_free (record->name);
              record->name = g_strdup (dp->name);
              record->name_width = snapshot_name_width (dev->snapshot);
            }
        }
    }

  /* conflicts: devices that disagree among themselves on a field */
  for (guint f = 0; f < N_FIELDS; f++)
    {
      BsdPlanConflict *conflict;

      if (!holders_disagree (devs, pin, f))
        continue;

      conflict = g_new0 (BsdPlanConflict, 1);
      conflict->pin = g_strdup (pin);
      conflict->kind = BSD_PLAN_ITEM_USER;
      conflict->index = -1;
      conflict->field = g_strdup (field_names[f]);
      conflict->values = g_ptr_array_new_with_free_func ((GDestroyNotify)conflict_value_free);
      for (guint i = 0; i < devs->len; i++)
        {
          Dev *dev = g_ptr_array_index (devs, i);
          DevPin *dp = dev_holds (dev, pin);
          BsdConflictValue *value;

          if (dp == NULL)
            continue;
          value = g_new0 (BsdConflictValue, 1);
          value->device_id = dev->snapshot->device_id;
          value->value = dev_field_display (dp, f);
          g_ptr_array_add (conflict->values, value);
        }
      conflict->winner_value = record_field_display (record, f);
      conflict->winner_device = record->winner_device;
      conflict->reason = record->reason;
      g_ptr_array_add (conflicts, conflict);
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
      if (!str_is_digits (pin) || (pin[0] == '0' && pin[1] != '\0') || len > 10
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
  return strlen (record->password) <= snapshot_password_width (dev->snapshot);
}

static char *
password_problem_text (const Dev *dev, const char *what)
{
  return g_strdup_printf ("%s: password longer than %zu characters is not representable on a "
                          "%u-byte device",
                          what, snapshot_password_width (dev->snapshot), dev->snapshot->user_width);
}

static ZkUser *
record_to_user (const Dev *dev, const Record *record, guint16 uid)
{
  ZkUser *user = zk_user_new ();

  user->uid = uid;
  g_free (user->name);
  user->name = name_fit (record->name, snapshot_name_width (dev->snapshot));
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
  while (dev->next_uid <= BSD_PLAN_MAX_UID && is_occupied (dev, dev->next_uid))
    dev->next_uid++;
  if (dev->next_uid > BSD_PLAN_MAX_UID)
    return FALSE;
  *uid = (guint16)dev->next_uid;
  occupy (dev, dev->next_uid);
  return TRUE;
}

static void
plan_user_for_device (Dev *dev, const Record *record)
{
  DevPin *dp = dev_lookup (dev, record->pin);

  if (dp != NULL)
    {
      BsdUserFields changed = BSD_USER_FIELD_NONE;
      BsdPlanUser *entry;
      ZkUser *user;

      for (guint f = 0; f < N_FIELDS; f++)
        if (!dev_field_matches (dev, dp, record, f))
          changed |= field_flags[f];
      if (changed == BSD_USER_FIELD_NONE)
        return;
      if (!password_fits (dev, record))
        {
          add_skip (dev->plan, BSD_PLAN_ITEM_USER, record->pin, dp->uid, -1,
                    BSD_SKIP_PASSWORD_TOO_LONG, password_problem_text (dev, "not updated"));
          return;
        }
      /* write what the device holds for fields that agree, so a wider
       * name is never cut to a narrower source's */
      user = zk_user_copy (dp->user);
      if (changed & BSD_USER_FIELD_NAME)
        {
          g_free (user->name);
          user->name = name_fit (record->name, snapshot_name_width (dev->snapshot));
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
          add_skip (dev->plan, BSD_PLAN_ITEM_USER, record->pin, 0, -1, reason, problem);
          return;
        }
      if (!password_fits (dev, record))
        {
          add_skip (dev->plan, BSD_PLAN_ITEM_USER, record->pin, 0, -1, BSD_SKIP_PASSWORD_TOO_LONG,
                    password_problem_text (dev, "not added"));
          return;
        }
      if (!allocate_uid (dev, &uid))
        {
          add_skip (dev->plan, BSD_PLAN_ITEM_USER, record->pin, 0, -1, BSD_SKIP_NO_FREE_SLOT,
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
    if (is_tombstoned (input, key))
      g_ptr_array_add (pins, key);
  g_ptr_array_sort (pins, pin_compare_ptr);
  for (guint i = 0; i < pins->len; i++)
    {
      DevPin *dp = dev_lookup (dev, g_ptr_array_index (pins, i));
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

static gconstpointer
dev_pin_item (const DevPin *dp, BsdPlanItemKind kind, guint index)
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
  g_autofree char *hash = bytes_sha256 (data);

  return g_strdup_printf ("%zu bytes, sha256 %.16s", bytes_size (data), hash);
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

      if (h->winner >= 0 || !version_known (h->version))
        continue;
      for (guint j = i; j < holders->len; j++)
        {
          Holder *o = &g_array_index (holders, Holder, j);

          if (!versions_match (o->version, h->version))
            continue;
          if (winner < 0 || o->dev == primary)
            winner = (gint)j;
        }
      w = &g_array_index (holders, Holder, winner);
      for (guint j = i; j < holders->len; j++)
        {
          Holder *o = &g_array_index (holders, Holder, j);

          if (!versions_match (o->version, h->version))
            continue;
          o->winner = winner;
          if (!bytes_equal (o->data, w->data))
            differ = TRUE;
        }
      if (!differ)
        continue;

      conflict = g_new0 (BsdPlanConflict, 1);
      conflict->pin = g_strdup (pin);
      conflict->kind = kind;
      conflict->index = (gint)index;
      conflict->field = g_strdup (bsd_plan_item_kind_to_string (kind));
      conflict->values = g_ptr_array_new_with_free_func ((GDestroyNotify)conflict_value_free);
      for (guint j = i; j < holders->len; j++)
        {
          Holder *o = &g_array_index (holders, Holder, j);
          BsdConflictValue *value;

          if (!versions_match (o->version, h->version))
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
        dps[d] = dev_lookup (g_ptr_array_index (devs, d), pin);

      for (guint index = 0; index < n_index; index++)
        {
          g_array_set_size (holders, 0);
          g_array_set_size (winners, 0);
          for (guint d = 0; d < devs->len; d++)
            {
              Dev *dev = g_ptr_array_index (devs, d);
              DevPin *dp = dps[d] != NULL && !dps[d]->planned ? dps[d] : NULL;
              gconstpointer item = dp ? dev_pin_item (dp, kind, index) : NULL;
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
                  add_skip (dev->plan, kind, pin, 0, (gint)index, BSD_SKIP_USER_NOT_ON_DEVICE,
                            g_strdup_printf ("%s %u not sent: the user is not added to this "
                                             "device",
                                             what, index));
                  continue;
                }
              if (!dp->planned && dev_pin_item (dp, kind, index) != NULL)
                {
                  GBytes *mine = item_data (dev_pin_item (dp, kind, index), kind);
                  const Holder *o = &g_array_index (holders, Holder, holder_of[d]);

                  if (o->winner >= 0)
                    source = &g_array_index (holders, Holder, o->winner);
                  if (source != NULL && !bytes_equal (mine, source->data))
                    add_skip (dev->plan, kind, pin, dp->uid, (gint)index, BSD_SKIP_SLOT_DIFFERENT,
                              g_strdup_printf ("%s slot holds a different template (%s %u; "
                                               "device %u has another); never overwritten",
                                               what, what, index,
                                               source->dev->snapshot->device_id));
                  continue;
                }
              if (kind == BSD_PLAN_ITEM_FACE && !dev->snapshot->face_capable)
                {
                  add_skip (
                      dev->plan, kind, pin, dp->uid, (gint)index, BSD_SKIP_NO_FACE_SUPPORT,
                      g_strdup_printf ("face %u not sent: device has no face support", index));
                  continue;
                }
              for (guint w = 0; w < winners->len && source == NULL; w++)
                {
                  const Holder *o
                      = &g_array_index (holders, Holder, g_array_index (winners, guint, w));

                  if (versions_match (o->version, version))
                    source = o;
                }
              if (source == NULL)
                {
                  const Holder *first = &g_array_index (holders, Holder, 0);

                  add_skip (dev->plan, kind, pin, dp->uid, (gint)index,
                            kind == BSD_PLAN_ITEM_FACE ? BSD_SKIP_FACE_VERSION
                                                       : BSD_SKIP_ALGORITHM_VERSION,
                            g_strdup_printf ("%s %u not sent: %s version %s ≠ %s", what, index,
                                             kind == BSD_PLAN_ITEM_FACE ? "face" : "algorithm",
                                             version_text (first->version),
                                             version_text (version)));
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

static gboolean
dev_pin_has_faces (const DevPin *dp)
{
  for (guint i = 0; i < BSD_PLAN_N_FACES; i++)
    if (dp->faces[i] != NULL)
      return TRUE;
  return FALSE;
}

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
      dp = dev_lookup (dev, entry->pin);
      if (dp->planned || !dev_pin_has_faces (dp))
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
    if (strcmp (field, field_names[f]) == 0)
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
static GArray *
sorted_unreachable (const BsdPlanInput *input)
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

  if (!validate_input (input, error))
    return NULL;

  plan = plan_new ();
  plan->area_id = input->area_id;
  plan->area_name = g_strdup (input->area_name);
  g_array_unref (plan->unreachable);
  plan->unreachable = sorted_unreachable (input);

  devs = index_devices (input, plan->devices);
  primary = choose_primary (devs);
  plan->primary_device_id = primary ? primary->snapshot->device_id : 0;
  union_pins = build_union (input, devs);

  /* records first: they must see the devices as read */
  records = g_new0 (Record, union_pins->len ? union_pins->len : 1);
  for (guint p = 0; p < union_pins->len; p++)
    resolve_record (&records[p], input, devs, primary, g_ptr_array_index (union_pins, p),
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
      record_clear (&records[p]);
    }

  {
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, deleted);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_ptr_array_add (plan->deleted_pins, g_strdup (key));
    g_ptr_array_sort (plan->deleted_pins, pin_compare_ptr);
  }

  return g_steal_pointer (&plan);
}

/* ------------------------------------------------------------------- JSON */

static void
json_add_user_record (JsonBuilder *builder, const ZkUser *user)
{
  g_autofree char *name = sanitize_text (user ? user->name : "");

  if (user == NULL)
    return;
  json_builder_set_member_name (builder, "name");
  add_text (builder, name);
  json_builder_set_member_name (builder, "privilege");
  json_builder_add_int_value (builder, user->privilege);
  json_builder_set_member_name (builder, "card");
  json_builder_add_int_value (builder, user->card);
  json_builder_set_member_name (builder, "group");
  json_builder_add_int_value (builder, user->group);
  json_builder_set_member_name (builder, "has_password");
  json_builder_add_boolean_value (builder, user->password[0] != '\0');
}

/* lists longer than @max (0 = no limit) are cut; "<member>_omitted" says
 * how many entries were left out */
static guint
list_limit (JsonBuilder *builder, const char *member, guint len, guint max)
{
  if (max == 0 || len <= max)
    return len;
  {
    g_autofree char *name = g_strconcat (member, "_omitted", NULL);

    json_builder_set_member_name (builder, name);
    json_builder_add_int_value (builder, len - max);
  }
  return max;
}

static void
json_add_users (JsonBuilder *builder, const char *member, GPtrArray *users, guint max)
{
  guint n = list_limit (builder, member, users->len, max);

  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      BsdPlanUser *entry = g_ptr_array_index (users, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "pin");
      add_text (builder, entry->pin);
      json_builder_set_member_name (builder, "uid");
      json_builder_add_int_value (builder, entry->uid);
      json_add_user_record (builder, entry->record);
      if (entry->changed != BSD_USER_FIELD_NONE)
        {
          json_builder_set_member_name (builder, "changed");
          json_builder_begin_array (builder);
          for (guint f = 0; f < N_FIELDS; f++)
            if (entry->changed & field_flags[f])
              add_text (builder, field_names[f]);
          json_builder_end_array (builder);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

/* entries share their source's GBytes: hash each one once */
static const char *
cached_sha256 (GHashTable *hashes, GBytes *data)
{
  char *hash = g_hash_table_lookup (hashes, data);

  if (hash == NULL)
    {
      hash = bytes_sha256 (data);
      g_hash_table_insert (hashes, data, hash);
    }
  return hash;
}

static void
json_add_templates (JsonBuilder *builder,
                    const char *member,
                    const char *index_name,
                    GPtrArray *templates,
                    GHashTable *hashes,
                    guint max)
{
  guint n = list_limit (builder, member, templates->len, max);

  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      BsdPlanTemplate *entry = g_ptr_array_index (templates, i);
      const char *hash = cached_sha256 (hashes, entry->data);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "pin");
      add_text (builder, entry->pin);
      json_builder_set_member_name (builder, "uid");
      json_builder_add_int_value (builder, entry->uid);
      json_builder_set_member_name (builder, index_name);
      json_builder_add_int_value (builder, entry->index);
      json_builder_set_member_name (builder, "size");
      json_builder_add_int_value (builder, (gint64)bytes_size (entry->data));
      json_builder_set_member_name (builder, "sha256");
      add_text (builder, hash);
      json_builder_set_member_name (builder, "source");
      json_builder_add_int_value (builder, entry->source_device);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
json_add_counts (JsonBuilder *builder, const char *member, const BsdPlanCounts *counts)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "users_add");
  json_builder_add_int_value (builder, counts->users_add);
  json_builder_set_member_name (builder, "users_update");
  json_builder_add_int_value (builder, counts->users_update);
  json_builder_set_member_name (builder, "users_delete");
  json_builder_add_int_value (builder, counts->users_delete);
  json_builder_set_member_name (builder, "templates_add");
  json_builder_add_int_value (builder, counts->templates_add);
  json_builder_set_member_name (builder, "faces_add");
  json_builder_add_int_value (builder, counts->faces_add);
  json_builder_set_member_name (builder, "skips");
  json_builder_add_int_value (builder, counts->skips);
  json_builder_end_object (builder);
}

static void
json_add_capacity (JsonBuilder *builder, const char *member, const BsdCapacityCheck *check)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "current");
  json_builder_add_int_value (builder, (gint64)MIN (check->current, (guint64)G_MAXINT64));
  json_builder_set_member_name (builder, "after");
  json_builder_add_int_value (builder, (gint64)MIN (check->after, (guint64)G_MAXINT64));
  json_builder_set_member_name (builder, "capacity");
  json_builder_add_int_value (builder, (gint64)MIN (check->capacity, (guint64)G_MAXINT64));
  json_builder_set_member_name (builder, "exceeded");
  json_builder_add_boolean_value (builder, check->exceeded);
  json_builder_end_object (builder);
}

static void
json_add_device (
    JsonBuilder *builder, const BsdDevicePlan *device, guint primary, GHashTable *hashes, guint max)
{
  guint n_skips;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "device_id");
  json_builder_add_int_value (builder, device->device_id);
  json_builder_set_member_name (builder, "name");
  if (device->name != NULL)
    {
      g_autofree char *name = sanitize_text (device->name);

      add_text (builder, name);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "primary");
  json_builder_add_boolean_value (builder, device->device_id == primary);
  json_builder_set_member_name (builder, "status");
  add_text (builder, device->failed ? "failed" : "ok");
  if (device->failed)
    {
      json_builder_set_member_name (builder, "failure");
      add_text (builder, device->failure);
    }
  json_add_counts (builder, "counts", &device->counts);
  json_add_counts (builder, "wanted", &device->wanted);
  json_builder_set_member_name (builder, "capacity");
  json_builder_begin_object (builder);
  json_add_capacity (builder, "users", &device->users);
  json_add_capacity (builder, "fingers", &device->fingers);
  json_add_capacity (builder, "faces", &device->faces);
  json_builder_end_object (builder);
  json_add_users (builder, "users_add", device->users_add, max);
  json_add_users (builder, "users_update", device->users_update, max);
  json_add_users (builder, "users_delete", device->users_delete, max);
  json_add_templates (builder, "templates_add", "finger", device->templates_add, hashes, max);
  json_add_templates (builder, "faces_add", "face", device->faces_add, hashes, max);

  n_skips = list_limit (builder, "skips", device->skips->len, max);
  json_builder_set_member_name (builder, "skips");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n_skips; i++)
    {
      BsdPlanSkip *skip = g_ptr_array_index (device->skips, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "kind");
      add_text (builder, bsd_plan_item_kind_to_string (skip->kind));
      json_builder_set_member_name (builder, "pin");
      add_text (builder, skip->pin);
      json_builder_set_member_name (builder, "uid");
      json_builder_add_int_value (builder, skip->uid);
      json_builder_set_member_name (builder, "index");
      json_builder_add_int_value (builder, skip->index);
      json_builder_set_member_name (builder, "reason");
      add_text (builder, bsd_skip_reason_to_string (skip->reason));
      json_builder_set_member_name (builder, "text");
      add_text (builder, skip->text);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

JsonNode *
bsd_plan_to_json (BsdPlan *plan)
{
  return bsd_plan_to_json_full (plan, 0);
}

JsonNode *
bsd_plan_to_json_full (BsdPlan *plan, guint max_items)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (GHashTable) hashes
      = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  BsdPlanCounts total = { 0 };
  guint failed = 0;
  guint n;

  g_return_val_if_fail (plan != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "area_id");
  json_builder_add_int_value (builder, plan->area_id);
  json_builder_set_member_name (builder, "area_name");
  if (plan->area_name != NULL)
    {
      g_autofree char *name = sanitize_text (plan->area_name);

      add_text (builder, name);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "primary");
  json_builder_add_int_value (builder, plan->primary_device_id);

  json_builder_set_member_name (builder, "devices");
  json_builder_begin_array (builder);
  for (guint i = 0; i < plan->devices->len; i++)
    {
      BsdDevicePlan *device = g_ptr_array_index (plan->devices, i);

      json_add_device (builder, device, plan->primary_device_id, hashes, max_items);
      total.users_add += device->counts.users_add;
      total.users_update += device->counts.users_update;
      total.users_delete += device->counts.users_delete;
      total.templates_add += device->counts.templates_add;
      total.faces_add += device->counts.faces_add;
      total.skips += device->counts.skips;
      failed += device->failed ? 1 : 0;
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "unreachable");
  json_builder_begin_array (builder);
  for (guint i = 0; i < plan->unreachable->len; i++)
    json_builder_add_int_value (builder, g_array_index (plan->unreachable, guint, i));
  json_builder_end_array (builder);

  n = list_limit (builder, "conflicts", plan->conflicts->len, max_items);
  json_builder_set_member_name (builder, "conflicts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      BsdPlanConflict *conflict = g_ptr_array_index (plan->conflicts, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "pin");
      add_text (builder, conflict->pin);
      json_builder_set_member_name (builder, "kind");
      add_text (builder, bsd_plan_item_kind_to_string (conflict->kind));
      json_builder_set_member_name (builder, "field");
      add_text (builder, conflict->field);
      json_builder_set_member_name (builder, "index");
      json_builder_add_int_value (builder, conflict->index);
      json_builder_set_member_name (builder, "values");
      json_builder_begin_array (builder);
      for (guint j = 0; j < conflict->values->len; j++)
        {
          BsdConflictValue *value = g_ptr_array_index (conflict->values, j);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "device_id");
          json_builder_add_int_value (builder, value->device_id);
          json_builder_set_member_name (builder, "value");
          add_text (builder, value->value);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "winner_value");
      add_text (builder, conflict->winner_value);
      json_builder_set_member_name (builder, "winner_device");
      json_builder_add_int_value (builder, conflict->winner_device);
      json_builder_set_member_name (builder, "reason");
      add_text (builder, bsd_winner_reason_to_string (conflict->reason));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  n = list_limit (builder, "roster_updates", plan->roster_updates->len, max_items);
  json_builder_set_member_name (builder, "roster_updates");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      BsdPerson *person = g_ptr_array_index (plan->roster_updates, i);
      g_autofree char *name = sanitize_text (person->name);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "pin");
      add_text (builder, person->pin);
      json_builder_set_member_name (builder, "name");
      add_text (builder, name);
      json_builder_set_member_name (builder, "privilege");
      json_builder_add_int_value (builder, person->privilege);
      json_builder_set_member_name (builder, "card");
      json_builder_add_int_value (builder, person->card);
      json_builder_set_member_name (builder, "group");
      json_builder_add_int_value (builder, person->group);
      json_builder_set_member_name (builder, "has_password");
      json_builder_add_boolean_value (builder, person->password && person->password[0]);
      json_builder_set_member_name (builder, "central_edit");
      json_builder_add_boolean_value (builder, person->central_edit);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  n = list_limit (builder, "deleted_pins", plan->deleted_pins->len, max_items);
  json_builder_set_member_name (builder, "deleted_pins");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    add_text (builder, g_ptr_array_index (plan->deleted_pins, i));
  json_builder_end_array (builder);

  json_add_counts (builder, "totals", &total);
  json_builder_set_member_name (builder, "failed_devices");
  json_builder_add_int_value (builder, failed);
  json_builder_set_member_name (builder, "conflict_count");
  json_builder_add_int_value (builder, plan->conflicts->len);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* ------------------------------------------------------------------- gaps */

static void
json_add_pin_index (JsonBuilder *builder, const char *pin, const char *index_name, guint index)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "pin");
  add_text (builder, pin);
  json_builder_set_member_name (builder, index_name);
  json_builder_add_int_value (builder, index);
  json_builder_end_object (builder);
}

/* is (@pin, @index) held anywhere in the area? */
static gboolean
held_anywhere (GPtrArray *devs, const char *pin, BsdPlanItemKind kind, guint index)
{
  for (guint d = 0; d < devs->len; d++)
    {
      DevPin *dp = dev_holds (g_ptr_array_index (devs, d), pin);

      if (dp != NULL && dev_pin_item (dp, kind, index) != NULL)
        return TRUE;
    }
  return FALSE;
}

JsonNode *
bsd_plan_gaps (const BsdPlanInput *input, GError **error)
{
  g_autoptr (GPtrArray) plans = NULL;
  g_autoptr (GPtrArray) devs = NULL;
  g_autoptr (GPtrArray) union_pins = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  guint64 union_fingers = 0, union_faces = 0, total_missing = 0;

  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!validate_input (input, error))
    return NULL;

  plans = g_ptr_array_new_with_free_func ((GDestroyNotify)device_plan_free);
  devs = index_devices (input, plans);
  union_pins = build_union (input, devs);
  for (guint p = 0; p < union_pins->len; p++)
    {
      const char *pin = g_ptr_array_index (union_pins, p);

      for (guint i = 0; i < BSD_PLAN_N_FINGERS; i++)
        union_fingers += held_anywhere (devs, pin, BSD_PLAN_ITEM_FINGER, i) ? 1 : 0;
      for (guint i = 0; i < BSD_PLAN_N_FACES; i++)
        union_faces += held_anywhere (devs, pin, BSD_PLAN_ITEM_FACE, i) ? 1 : 0;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "area_id");
  json_builder_add_int_value (builder, input->area_id);
  json_builder_set_member_name (builder, "union");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "users");
  json_builder_add_int_value (builder, union_pins->len);
  json_builder_set_member_name (builder, "fingers");
  json_builder_add_int_value (builder, (gint64)union_fingers);
  json_builder_set_member_name (builder, "faces");
  json_builder_add_int_value (builder, (gint64)union_faces);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "devices");
  json_builder_begin_array (builder);
  for (guint d = 0; d < devs->len; d++)
    {
      Dev *dev = g_ptr_array_index (devs, d);
      g_autoptr (GPtrArray) tombstoned = g_ptr_array_new ();
      guint64 n_users = 0, n_fingers = 0, n_faces = 0;
      GHashTableIter iter;
      gpointer key;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "device_id");
      json_builder_add_int_value (builder, dev->snapshot->device_id);
      json_builder_set_member_name (builder, "name");
      if (dev->snapshot->name != NULL)
        {
          g_autofree char *name = sanitize_text (dev->snapshot->name);

          add_text (builder, name);
        }
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "face_capable");
      json_builder_add_boolean_value (builder, dev->snapshot->face_capable);

      json_builder_set_member_name (builder, "missing_users");
      json_builder_begin_array (builder);
      for (guint p = 0; p < union_pins->len; p++)
        {
          const char *pin = g_ptr_array_index (union_pins, p);

          if (dev_holds (dev, pin) == NULL)
            {
              add_text (builder, pin);
              n_users++;
            }
        }
      json_builder_end_array (builder);

      json_builder_set_member_name (builder, "missing_fingers");
      json_builder_begin_array (builder);
      for (guint p = 0; p < union_pins->len; p++)
        {
          const char *pin = g_ptr_array_index (union_pins, p);
          DevPin *dp = dev_holds (dev, pin);

          for (guint i = 0; i < BSD_PLAN_N_FINGERS; i++)
            if ((dp == NULL || dp->fingers[i] == NULL)
                && held_anywhere (devs, pin, BSD_PLAN_ITEM_FINGER, i))
              {
                json_add_pin_index (builder, pin, "finger", i);
                n_fingers++;
              }
        }
      json_builder_end_array (builder);

      /* a device without face support lacks nothing it could hold */
      json_builder_set_member_name (builder, "missing_faces");
      json_builder_begin_array (builder);
      for (guint p = 0; dev->snapshot->face_capable && p < union_pins->len; p++)
        {
          const char *pin = g_ptr_array_index (union_pins, p);
          DevPin *dp = dev_holds (dev, pin);

          for (guint i = 0; i < BSD_PLAN_N_FACES; i++)
            if ((dp == NULL || dp->faces[i] == NULL)
                && held_anywhere (devs, pin, BSD_PLAN_ITEM_FACE, i))
              {
                json_add_pin_index (builder, pin, "face", i);
                n_faces++;
              }
        }
      json_builder_end_array (builder);

      g_hash_table_iter_init (&iter, dev->pins);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (is_tombstoned (input, key))
          g_ptr_array_add (tombstoned, key);
      g_ptr_array_sort (tombstoned, pin_compare_ptr);
      json_builder_set_member_name (builder, "tombstoned_present");
      json_builder_begin_array (builder);
      for (guint i = 0; i < tombstoned->len; i++)
        add_text (builder, g_ptr_array_index (tombstoned, i));
      json_builder_end_array (builder);

      json_builder_set_member_name (builder, "counts");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "missing_users");
      json_builder_add_int_value (builder, (gint64)n_users);
      json_builder_set_member_name (builder, "missing_fingers");
      json_builder_add_int_value (builder, (gint64)n_fingers);
      json_builder_set_member_name (builder, "missing_faces");
      json_builder_add_int_value (builder, (gint64)n_faces);
      json_builder_set_member_name (builder, "tombstoned_present");
      json_builder_add_int_value (builder, tombstoned->len);
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "complete");
      json_builder_add_boolean_value (builder,
                                      n_users + n_fingers + n_faces + tombstoned->len == 0);
      json_builder_end_object (builder);
      total_missing += n_users + n_fingers + n_faces + tombstoned->len;
    }
  json_builder_end_array (builder);

  {
    g_autoptr (GArray) unreachable = sorted_unreachable (input);

    json_builder_set_member_name (builder, "unreachable");
    json_builder_begin_array (builder);
    for (guint i = 0; i < unreachable->len; i++)
      json_builder_add_int_value (builder, g_array_index (unreachable, guint, i));
    json_builder_end_array (builder);
  }
  json_builder_set_member_name (builder, "total_missing");
  json_builder_add_int_value (builder, (gint64)total_missing);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}
