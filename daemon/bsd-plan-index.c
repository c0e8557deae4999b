/* bsd-plan-index.c — the planner: one index per device, the union of PINs
 * and the text and bytes helpers every phase uses
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-plan-private.h"

#include <string.h>

gboolean
bsd_plan_version_known (const char *version)
{
  return version != NULL && version[0] != '\0';
}

gboolean
bsd_plan_versions_match (const char *a, const char *b)
{
  return bsd_plan_version_known (a) && bsd_plan_version_known (b) && strcmp (a, b) == 0;
}

const char *
bsd_plan_version_text (const char *version)
{
  return bsd_plan_version_known (version) ? version : "unknown";
}

gsize
bsd_plan_snapshot_name_width (const BsdSnapshot *snapshot)
{
  return snapshot->user_width == ZK_USER_SIZE_28 ? NAME_WIDTH_28 : NAME_WIDTH_72;
}

gsize
bsd_plan_snapshot_password_width (const BsdSnapshot *snapshot)
{
  return snapshot->user_width == ZK_USER_SIZE_28 ? PASSWORD_WIDTH_28 : PASSWORD_WIDTH_72;
}

/* length in bytes of the longest prefix of @name, on a character
 * boundary, that fits @width bytes */
gsize
bsd_plan_name_fit_len (const char *name, gsize width)
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

char *
bsd_plan_name_fit (const char *name, gsize width)
{
  return g_strndup (name, bsd_plan_name_fit_len (name, width));
}

/* two names are the same person's name when they agree on what the
 * narrower of the two record formats can hold */
gboolean
bsd_plan_names_equivalent (const char *a, gsize a_width, const char *b, gsize b_width)
{
  gsize width = MIN (a_width, b_width);
  gsize la = bsd_plan_name_fit_len (a, width);
  gsize lb = bsd_plan_name_fit_len (b, width);

  return la == lb && memcmp (a, b, la) == 0;
}

char *
bsd_plan_sanitize_text (const char *text)
{
  if (text == NULL)
    return g_strdup ("");
  if (g_utf8_validate (text, -1, NULL))
    return g_strdup (text);
  return g_utf8_make_valid (text, -1);
}

/* json-glib writes strings as they are, and what came from a device (a
 * PIN, a name) need not be UTF-8: every string of the JSON goes through here */
void
bsd_plan_add_text (JsonBuilder *builder, const char *text)
{
  g_autofree char *valid = bsd_plan_sanitize_text (text);

  json_builder_add_string_value (builder, valid);
}

void
bsd_plan_json_text (JsonBuilder *builder, const char *member, const char *text)
{
  json_builder_set_member_name (builder, member);
  bsd_plan_add_text (builder, text);
}

/* a name that may be unknown: JSON null then */
void
bsd_plan_json_text_or_null (JsonBuilder *builder, const char *member, const char *text)
{
  if (text != NULL)
    bsd_plan_json_text (builder, member, text);
  else
    bsd_json_str (builder, member, NULL);
}

gboolean
bsd_plan_bytes_equal (GBytes *a, GBytes *b)
{
  gsize la = 0, lb = 0;
  const guint8 *da = a ? g_bytes_get_data (a, &la) : NULL;
  const guint8 *db = b ? g_bytes_get_data (b, &lb) : NULL;

  return la == lb && (la == 0 || memcmp (da, db, la) == 0);
}

char *
bsd_plan_bytes_sha256 (GBytes *bytes)
{
  gsize len = 0;
  const guint8 *data = bytes ? g_bytes_get_data (bytes, &len) : NULL;

  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data ? data : (const guint8 *)"", len);
}

gsize
bsd_plan_bytes_size (GBytes *bytes)
{
  return bytes ? g_bytes_get_size (bytes) : 0;
}

void
bsd_plan_add_skip (BsdDevicePlan *plan,
                   BsdPlanItemKind kind,
                   const char *pin,
                   guint16 uid,
                   gint index,
                   BsdSkipReason reason,
                   char *text /* owned */)
{
  BsdPlanSkip *skip = g_new0 (BsdPlanSkip, 1);

  skip->kind = kind;
  skip->pin = bsd_plan_sanitize_text (pin);
  skip->uid = uid;
  skip->index = index;
  skip->reason = reason;
  skip->text = text;
  g_ptr_array_add (plan->skips, skip);
}

/* --------------------------------------------------------- device indexes */

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

void
bsd_plan_occupy (Dev *dev, guint uid)
{
  dev->occupied[(uid & 0xffff) >> 3] |= (guint8)(1u << (uid & 7));
}

gboolean
bsd_plan_is_occupied (Dev *dev, guint uid)
{
  return (dev->occupied[(uid & 0xffff) >> 3] & (1u << (uid & 7))) != 0;
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
      bsd_plan_add_skip (
          dev->plan, kind, "", uid, index, BSD_SKIP_ORPHAN,
          g_strdup_printf ("%s %u in slot %u, which holds no user", what, index, uid));
      return NULL;
    }
  if (!bsd_pin_is_set (user->user_id) || !g_utf8_validate (user->user_id, -1, NULL))
    {
      bsd_plan_add_skip (
          dev->plan, kind, "", uid, index, BSD_SKIP_ORPHAN,
          g_strdup_printf ("%s %u in slot %u, whose user has no usable user id", what, index, uid));
      return NULL;
    }
  dp = g_hash_table_lookup (dev->pins, user->user_id);
  if (dp == NULL || dp->uid != uid)
    {
      bsd_plan_add_skip (
          dev->plan, kind, user->user_id, uid, index, BSD_SKIP_DUPLICATE_PIN,
          g_strdup_printf ("%s %u in slot %u ignored: user id also in slot %u, which is kept", what,
                           index, uid, dp ? dp->uid : 0));
      return NULL;
    }
  return dp;
}

/* the users of @dev's snapshot, sorted: one DevPin per usable PIN */
static void
dev_index_users (Dev *dev, GPtrArray *users)
{
  BsdDevicePlan *plan = dev->plan;

  for (guint i = 0; i < users->len; i++)
    {
      const ZkUser *user = g_ptr_array_index (users, i);
      const ZkUser *kept;
      DevPin *dp;

      if (user->uid == 0 || user->uid > BSD_PLAN_MAX_UID)
        {
          bsd_plan_add_skip (plan, BSD_PLAN_ITEM_USER, user->user_id, user->uid, -1,
                             BSD_SKIP_INVALID_UID,
                             g_strdup_printf ("user record in invalid slot %u ignored", user->uid));
          continue;
        }
      bsd_plan_occupy (dev, user->uid);
      kept = g_hash_table_lookup (dev->uid_users, GUINT_TO_POINTER (user->uid));
      if (kept != NULL)
        {
          bsd_plan_add_skip (
              plan, BSD_PLAN_ITEM_USER, user->user_id, user->uid, -1, BSD_SKIP_DUPLICATE_UID,
              g_strdup_printf ("slot %u is listed twice; the record with user id “%s” is kept",
                               user->uid, kept->user_id));
          continue;
        }
      g_hash_table_insert (dev->uid_users, GUINT_TO_POINTER (user->uid), (gpointer)user);
      dev->listed_users++;
      if (!bsd_pin_is_set (user->user_id))
        {
          bsd_plan_add_skip (
              plan, BSD_PLAN_ITEM_USER, "", user->uid, -1, BSD_SKIP_NO_PIN,
              g_strdup_printf ("user in slot %u has no user id; ignored", user->uid));
          continue;
        }
      if (!g_utf8_validate (user->user_id, -1, NULL))
        {
          bsd_plan_add_skip (
              plan, BSD_PLAN_ITEM_USER, "", user->uid, -1, BSD_SKIP_INVALID_PIN,
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
          bsd_plan_add_skip (
              plan, BSD_PLAN_ITEM_USER, user->user_id, user->uid, -1, BSD_SKIP_DUPLICATE_PIN,
              g_strdup_printf ("user id also in slot %u; slot %u is kept, slot %u ignored", dp->uid,
                               dp->uid, user->uid));
          continue;
        }
      dp = g_new0 (DevPin, 1);
      dp->pin = g_strdup (user->user_id);
      dp->name = bsd_plan_sanitize_text (user->name);
      dp->user = user;
      dp->uid = user->uid;
      g_hash_table_insert (dev->pins, dp->pin, dp);
      dev->score++;
    }
}

/* what the device counts of a finger or face in slot @uid: fingers per
 * template (a repeat is the same one), faces per user */
static void
dev_count_item (Dev *dev, BsdPlanItemKind kind, guint16 uid, gboolean repeat)
{
  gpointer count;

  if (kind == BSD_PLAN_ITEM_FACE)
    {
      g_hash_table_add (dev->face_uids, GUINT_TO_POINTER (uid));
      return;
    }
  if (repeat)
    return;
  count = g_hash_table_lookup (dev->uid_fingers, GUINT_TO_POINTER (uid));
  g_hash_table_insert (dev->uid_fingers, GUINT_TO_POINTER (uid),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (count) + 1));
  dev->listed_fingers++;
}

/* the fingers (ZkTemplate*) or faces (ZkFace*) of @dev's snapshot,
 * sorted: each given to the DevPin of its slot */
static void
dev_index_items (Dev *dev, GPtrArray *items, BsdPlanItemKind kind)
{
  gboolean face = kind == BSD_PLAN_ITEM_FACE;
  const char *what = face ? "face" : "finger";
  guint n_index = face ? BSD_PLAN_N_FACES : BSD_PLAN_N_FINGERS;
  guint prev_uid = G_MAXUINT, prev_fid = G_MAXUINT;

  for (guint i = 0; i < items->len; i++)
    {
      gconstpointer item = g_ptr_array_index (items, i);
      guint16 uid = face ? ((const ZkFace *)item)->uid : ((const ZkTemplate *)item)->uid;
      guint8 fid = face ? ((const ZkFace *)item)->fid : ((const ZkTemplate *)item)->fid;
      gboolean repeat = prev_uid == uid && prev_fid == fid;
      DevPin *dp;

      prev_uid = uid;
      prev_fid = fid;
      if (uid <= BSD_PLAN_MAX_UID)
        bsd_plan_occupy (dev, uid);
      dev_count_item (dev, kind, uid, repeat);
      if (fid >= n_index)
        {
          bsd_plan_add_skip (
              dev->plan, kind, bsd_snapshot_lookup_pin (dev->snapshot, uid), uid, fid,
              BSD_SKIP_INVALID_INDEX,
              g_strdup_printf ("%s index %u in slot %u is out of range", what, fid, uid));
          continue;
        }
      dp = owner_of_slot (dev, kind, uid, fid, what);
      if (dp == NULL)
        continue;
      if (repeat || bsd_plan_dev_pin_item (dp, kind, fid) != NULL)
        {
          bsd_plan_add_skip (dev->plan, kind, dp->pin, uid, fid, BSD_SKIP_DUPLICATE_INDEX,
                             g_strdup_printf ("%s %u of slot %u is listed twice; the first is kept",
                                              what, fid, uid));
          continue;
        }
      if (face)
        dp->faces[fid] = item;
      else
        dp->fingers[fid] = item;
      dev->score++;
    }
}

static Dev *
dev_index (const BsdSnapshot *snapshot, BsdDevicePlan *plan)
{
  g_autoptr (Dev) dev = g_new0 (Dev, 1);
  g_autoptr (GPtrArray) users = sorted_copy (snapshot->users, bsd_user_compare);
  g_autoptr (GPtrArray) templates = sorted_copy (snapshot->templates, bsd_template_compare);
  g_autoptr (GPtrArray) faces = sorted_copy (snapshot->faces, bsd_face_compare);

  dev->snapshot = snapshot;
  dev->plan = plan;
  dev->pins = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)dev_pin_free);
  dev->uid_users = g_hash_table_new (g_direct_hash, g_direct_equal);
  dev->uid_fingers = g_hash_table_new (g_direct_hash, g_direct_equal);
  dev->face_uids = g_hash_table_new (g_direct_hash, g_direct_equal);
  dev->occupied = g_malloc0 (65536 / 8);
  dev->next_uid = 1;

  dev_index_users (dev, users);
  dev_index_items (dev, templates, BSD_PLAN_ITEM_FINGER);
  dev_index_items (dev, faces, BSD_PLAN_ITEM_FACE);
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

gboolean
bsd_plan_validate_input (const BsdPlanInput *input, GError **error)
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

gboolean
bsd_plan_is_tombstoned (const BsdPlanInput *input, const char *pin)
{
  return input->tombstones != NULL && g_hash_table_contains (input->tombstones, pin);
}

/* every device indexed, sorted by id; device plans owned by @plans */
GPtrArray *
bsd_plan_index_devices (const BsdPlanInput *input, GPtrArray *plans)
{
  GPtrArray *devs = g_ptr_array_new_with_free_func ((GDestroyNotify)dev_free);

  for (guint i = 0; input->snapshots && i < input->snapshots->len; i++)
    {
      const BsdSnapshot *snapshot = g_ptr_array_index (input->snapshots, i);
      BsdDevicePlan *plan = bsd_plan_device_plan_new (snapshot);

      g_ptr_array_add (plans, plan);
      g_ptr_array_add (devs, dev_index (snapshot, plan));
    }
  g_ptr_array_sort (devs, dev_compare);
  return devs;
}

/* the non-tombstoned PINs any device holds, sorted */
GPtrArray *
bsd_plan_build_union (const BsdPlanInput *input, GPtrArray *devs)
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
        if (!bsd_plan_is_tombstoned (input, key))
          g_hash_table_add (set, key);
    }
  g_hash_table_iter_init (&iter, set);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (pins, key);
  g_ptr_array_sort (pins, bsd_pin_compare_ptr);
  return pins;
}

DevPin *
bsd_plan_dev_lookup (Dev *dev, const char *pin)
{
  return g_hash_table_lookup (dev->pins, pin);
}

/* held as read (not planned) */
DevPin *
bsd_plan_dev_holds (Dev *dev, const char *pin)
{
  DevPin *dp = g_hash_table_lookup (dev->pins, pin);

  return dp != NULL && !dp->planned ? dp : NULL;
}
