/* plan-helpers.c — building snapshots and applying plans in tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "plan-helpers.h"

#include <string.h>

BsdSnapshot *
th_snapshot (guint device_id, const char *name)
{
  BsdSnapshot *snapshot = bsd_snapshot_new (device_id, name);

  snapshot->user_width = ZK_USER_SIZE_72;
  snapshot->fp_version = g_strdup ("10");
  return snapshot;
}

ZkUser *
th_add_user (BsdSnapshot *snapshot, guint16 uid, const char *pin, const char *name)
{
  ZkUser *user = zk_user_new ();

  user->uid = uid;
  g_strlcpy (user->user_id, pin ? pin : "", sizeof user->user_id);
  g_free (user->name);
  user->name = g_strdup (name ? name : "");
  user->group = 1;
  g_ptr_array_add (snapshot->users, user);
  return user;
}

GBytes *
th_bytes (const char *kind, const char *pin, guint index, guint variant)
{
  g_autofree char *text = g_strdup_printf ("TPL-%s-%s-%u-%u", kind, pin, index, variant);
  gsize len = strlen (text);
  guint8 *data = g_malloc (len + 32);

  /* a little more than the text, so sizes look like templates */
  memcpy (data, text, len);
  for (guint i = 0; i < 32; i++)
    data[len + i] = (guint8)(i * 7 + variant);
  return g_bytes_new_take (data, len + 32);
}

void
th_add_finger (BsdSnapshot *snapshot, guint16 uid, guint8 fid, const char *pin, guint variant)
{
  g_autoptr (GBytes) bytes = th_bytes ("finger", pin, fid, variant);

  g_ptr_array_add (snapshot->templates, zk_template_new (uid, fid, 1, bytes));
}

void
th_add_face (BsdSnapshot *snapshot, guint16 uid, guint8 fid, const char *pin, guint variant)
{
  g_autoptr (GBytes) bytes = th_bytes ("face", pin, fid, variant);

  g_ptr_array_add (snapshot->faces, zk_face_new (uid, fid, 1, bytes));
}

BsdPlanInput *
th_input (GPtrArray *snapshots)
{
  BsdPlanInput *input = bsd_plan_input_new ();

  for (guint i = 0; i < snapshots->len; i++)
    bsd_plan_input_add_snapshot (input, bsd_snapshot_copy (g_ptr_array_index (snapshots, i)));
  return input;
}

BsdSnapshot *
th_find (GPtrArray *snapshots, guint device_id)
{
  for (guint i = 0; i < snapshots->len; i++)
    {
      BsdSnapshot *snapshot = g_ptr_array_index (snapshots, i);

      if (snapshot->device_id == device_id)
        return snapshot;
    }
  return NULL;
}

static ZkUser *
user_at (BsdSnapshot *snapshot, guint16 uid)
{
  for (guint i = 0; i < snapshot->users->len; i++)
    {
      ZkUser *user = g_ptr_array_index (snapshot->users, i);

      if (user->uid == uid)
        return user;
    }
  return NULL;
}

static gboolean
has_user_id (BsdSnapshot *snapshot, const char *pin)
{
  for (guint i = 0; i < snapshot->users->len; i++)
    {
      ZkUser *user = g_ptr_array_index (snapshot->users, i);

      if (strcmp (user->user_id, pin) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
remove_uid (GPtrArray *array, guint16 uid, gsize uid_offset)
{
  for (guint i = 0; i < array->len;)
    {
      const guint8 *item = g_ptr_array_index (array, i);
      guint16 item_uid;

      memcpy (&item_uid, item + uid_offset, sizeof item_uid);
      if (item_uid == uid)
        g_ptr_array_remove_index (array, i);
      else
        i++;
    }
}

static guint
uids_with_faces (BsdSnapshot *snapshot)
{
  g_autoptr (GHashTable) set = g_hash_table_new (g_direct_hash, g_direct_equal);

  for (guint i = 0; i < snapshot->faces->len; i++)
    {
      ZkFace *face = g_ptr_array_index (snapshot->faces, i);

      g_hash_table_add (set, GUINT_TO_POINTER ((guint)face->uid));
    }
  return g_hash_table_size (set);
}

/* each apply_* does to @snapshot what the terminal would do with one
 * list of @device's plan, and asserts the terminal's rules on it */
static void
apply_deletes (BsdSnapshot *snapshot, BsdDevicePlan *device)
{
  for (guint i = 0; i < device->users_delete->len; i++)
    {
      BsdPlanUser *entry = g_ptr_array_index (device->users_delete, i);
      ZkUser *user = user_at (snapshot, entry->uid);

      g_assert_nonnull (user);
      g_assert_cmpstr (user->user_id, ==, entry->pin);
      for (guint j = 0; j < snapshot->users->len;)
        {
          ZkUser *u = g_ptr_array_index (snapshot->users, j);

          if (u->uid == entry->uid)
            g_ptr_array_remove_index (snapshot->users, j);
          else
            j++;
        }
      remove_uid (snapshot->templates, entry->uid, G_STRUCT_OFFSET (ZkTemplate, uid));
      remove_uid (snapshot->faces, entry->uid, G_STRUCT_OFFSET (ZkFace, uid));
    }
}

static void
apply_updates (BsdSnapshot *snapshot, BsdDevicePlan *device)
{
  for (guint i = 0; i < device->users_update->len; i++)
    {
      BsdPlanUser *entry = g_ptr_array_index (device->users_update, i);
      ZkUser *user = NULL;

      g_assert_cmpuint (entry->changed, !=, 0);
      for (guint j = 0; j < snapshot->users->len && user == NULL; j++)
        {
          ZkUser *u = g_ptr_array_index (snapshot->users, j);

          if (u->uid == entry->uid && strcmp (u->user_id, entry->pin) == 0)
            user = u;
        }
      g_assert_nonnull (user);
      g_assert_cmpuint (entry->record->uid, ==, entry->uid);
      g_assert_cmpstr (entry->record->user_id, ==, entry->pin);
      g_free (user->name);
      user->name = g_strdup (entry->record->name);
      user->privilege = entry->record->privilege;
      memcpy (user->password, entry->record->password, sizeof user->password);
      user->card = entry->record->card;
      user->group = entry->record->group;
    }
}

static void
apply_adds (BsdSnapshot *snapshot, BsdDevicePlan *device)
{
  for (guint i = 0; i < device->users_add->len; i++)
    {
      BsdPlanUser *entry = g_ptr_array_index (device->users_add, i);
      guint8 record[ZK_USER_SIZE_72];
      g_autoptr (GError) error = NULL;

      g_assert_cmpuint (entry->uid, >=, 1);
      g_assert_cmpuint (entry->uid, <=, BSD_PLAN_MAX_UID);
      /* device rules: the slot is unused and the user id new */
      g_assert_null (user_at (snapshot, entry->uid));
      g_assert_false (has_user_id (snapshot, entry->pin));
      g_assert_cmpuint (entry->record->uid, ==, entry->uid);
      g_assert_cmpstr (entry->record->user_id, ==, entry->pin);
      /* and the record encodes for this device */
      g_assert_true (zk_user_encode (entry->record, snapshot->user_width, NULL, record, &error));
      g_assert_no_error (error);
      g_ptr_array_add (snapshot->users, zk_user_copy (entry->record));
    }
}

static void
apply_fingers (GPtrArray *snapshots, BsdSnapshot *snapshot, BsdDevicePlan *device)
{
  for (guint i = 0; i < device->templates_add->len; i++)
    {
      BsdPlanTemplate *entry = g_ptr_array_index (device->templates_add, i);
      ZkUser *user = user_at (snapshot, entry->uid);
      BsdSnapshot *source = th_find (snapshots, entry->source_device);

      g_assert_nonnull (user);
      g_assert_cmpstr (user->user_id, ==, entry->pin);
      g_assert_nonnull (source);
      g_assert_cmpstr (source->fp_version, ==, snapshot->fp_version);
      g_assert_cmpuint (entry->index, <, BSD_PLAN_N_FINGERS);
      for (guint j = 0; j < snapshot->templates->len; j++)
        {
          ZkTemplate *t = g_ptr_array_index (snapshot->templates, j);

          g_assert_false (t->uid == entry->uid && t->fid == entry->index);
        }
      g_ptr_array_add (snapshot->templates,
                       zk_template_new (entry->uid, entry->index, entry->valid, entry->data));
    }
}

static void
apply_faces (GPtrArray *snapshots, BsdSnapshot *snapshot, BsdDevicePlan *device)
{
  for (guint i = 0; i < device->faces_add->len; i++)
    {
      BsdPlanTemplate *entry = g_ptr_array_index (device->faces_add, i);
      ZkUser *user = user_at (snapshot, entry->uid);
      BsdSnapshot *source = th_find (snapshots, entry->source_device);

      g_assert_true (snapshot->face_capable);
      g_assert_nonnull (user);
      g_assert_cmpstr (user->user_id, ==, entry->pin);
      g_assert_nonnull (source);
      g_assert_cmpstr (source->face_version, ==, snapshot->face_version);
      g_assert_cmpuint (entry->index, <, BSD_PLAN_N_FACES);
      for (guint j = 0; j < snapshot->faces->len; j++)
        {
          ZkFace *f = g_ptr_array_index (snapshot->faces, j);

          g_assert_false (f->uid == entry->uid && f->fid == entry->index);
        }
      g_ptr_array_add (snapshot->faces,
                       zk_face_new (entry->uid, entry->index, entry->valid, entry->data));
    }
}

void
th_apply (GPtrArray *snapshots, BsdPlan *plan)
{
  for (guint d = 0; d < plan->devices->len; d++)
    {
      BsdDevicePlan *device = g_ptr_array_index (plan->devices, d);
      BsdSnapshot *snapshot = th_find (snapshots, device->device_id);
      guint face_users;

      g_assert_nonnull (snapshot);
      /* a device failed by the preflight gets its deletions, nothing else */
      if (device->failed)
        g_assert_cmpuint (device->users_add->len + device->users_update->len
                              + device->templates_add->len + device->faces_add->len,
                          ==, 0);

      apply_deletes (snapshot, device);
      apply_updates (snapshot, device);
      apply_adds (snapshot, device);
      apply_fingers (snapshots, snapshot, device);
      face_users = uids_with_faces (snapshot);
      apply_faces (snapshots, snapshot, device);

      /* the device would have refused what goes beyond its capacity */
      if (snapshot->user_capacity > 0 && device->users_add->len > 0)
        g_assert_cmpuint (snapshot->users->len, <=, snapshot->user_capacity);
      if (snapshot->finger_capacity > 0 && device->templates_add->len > 0)
        g_assert_cmpuint (snapshot->templates->len, <=, snapshot->finger_capacity);
      /* faces for a user who has some already need no new face slot */
      if (snapshot->face_capacity > 0 && uids_with_faces (snapshot) > face_users)
        g_assert_cmpuint (uids_with_faces (snapshot), <=, snapshot->face_capacity);

      /* counts as the device would report them now */
      snapshot->user_count = 0;
      snapshot->finger_count = 0;
      snapshot->face_count = 0;
    }
}

GHashTable *
th_pins (const BsdSnapshot *snapshot)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) map = bsd_snapshot_dup_uid_map (snapshot);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, map);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_hash_table_add (set, g_strdup (value));
  return set;
}

const ZkUser *
th_user (const BsdSnapshot *snapshot, const char *pin)
{
  const ZkUser *best = NULL;

  for (guint i = 0; i < snapshot->users->len; i++)
    {
      const ZkUser *user = g_ptr_array_index (snapshot->users, i);

      if (strcmp (user->user_id, pin) == 0 && (best == NULL || user->uid < best->uid))
        best = user;
    }
  return best;
}

/* the bytes of (@pin, @fid) in @list of @snapshot (fingers or faces: one
 * record type), or NULL */
static GBytes *
template_of (const BsdSnapshot *snapshot, GPtrArray *list, const char *pin, guint8 fid)
{
  const ZkUser *user = th_user (snapshot, pin);

  for (guint i = 0; user && i < list->len; i++)
    {
      const ZkTemplate *t = g_ptr_array_index (list, i);

      if (t->uid == user->uid && t->fid == fid)
        return t->data;
    }
  return NULL;
}

GBytes *
th_finger (const BsdSnapshot *snapshot, const char *pin, guint8 fid)
{
  return template_of (snapshot, snapshot->templates, pin, fid);
}

GBytes *
th_face (const BsdSnapshot *snapshot, const char *pin, guint8 fid)
{
  return template_of (snapshot, snapshot->faces, pin, fid);
}

char *
th_node_json (JsonNode *node)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}

char *
th_plan_json (BsdPlan *plan)
{
  g_autoptr (JsonNode) node = bsd_plan_to_json (plan);

  return th_node_json (node);
}

const BsdPlanSkip *
th_find_skip (BsdPlan *plan,
              guint device_id,
              BsdPlanItemKind kind,
              const char *pin,
              gint index,
              BsdSkipReason reason)
{
  BsdDevicePlan *device = bsd_plan_get_device (plan, device_id);

  for (guint i = 0; device && i < device->skips->len; i++)
    {
      const BsdPlanSkip *skip = g_ptr_array_index (device->skips, i);

      if (skip->kind == kind && g_strcmp0 (skip->pin, pin) == 0 && skip->index == index
          && skip->reason == reason)
        return skip;
    }
  return NULL;
}

const BsdPlanUser *
th_find_user (GPtrArray *users, const char *pin)
{
  for (guint i = 0; i < users->len; i++)
    {
      const BsdPlanUser *entry = g_ptr_array_index (users, i);

      if (strcmp (entry->pin, pin) == 0)
        return entry;
    }
  return NULL;
}
