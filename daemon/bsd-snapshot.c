/* bsd-snapshot.c — the snapshot of one device as the planner reads it, and the
 * orders its records are kept in
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-plan-private.h"

#include <string.h>

/* ------------------------------------------------------------ boxed types */

G_DEFINE_BOXED_TYPE (BsdSnapshot, bsd_snapshot, bsd_snapshot_copy, bsd_snapshot_free)

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

GHashTable *
bsd_snapshot_photos_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
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
  copy->photo_capable = snapshot->photo_capable;
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
  if (snapshot->photos)
    {
      GHashTableIter iter;
      gpointer pin, photo;

      copy->photos = bsd_snapshot_photos_new ();
      g_hash_table_iter_init (&iter, snapshot->photos);
      while (g_hash_table_iter_next (&iter, &pin, &photo))
        g_hash_table_insert (copy->photos, g_strdup (pin), g_bytes_ref (photo));
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
  g_clear_pointer (&snapshot->photos, g_hash_table_unref);
  g_free (snapshot);
}

gboolean
bsd_pin_is_set (const char *pin)
{
  /* devices reject an empty user id and "0"; 28-byte records decode 0 as "" */
  return pin != NULL && pin[0] != '\0' && strcmp (pin, "0") != 0;
}

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
      if (old == NULL || bsd_user_compare (&user, &old) < 0)
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

      if (user != NULL && user->uid == uid && (kept == NULL || bsd_user_compare (&user, &kept) < 0))
        kept = user;
    }
  return kept != NULL && bsd_pin_is_set (kept->user_id) ? kept->user_id : NULL;
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

      if (bsd_pin_is_set (user->user_id))
        g_hash_table_insert (map, key, (gpointer)user->user_id);
    }
  return map;
}
/* ---------------------------------------------------------------- helpers */

gboolean
bsd_str_is_digits (const char *s)
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
  a_num = bsd_str_is_digits (a);
  b_num = bsd_str_is_digits (b);
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

int
bsd_pin_compare_ptr (gconstpointer a, gconstpointer b)
{
  return bsd_pin_compare (*(const char *const *)a, *(const char *const *)b);
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

int
bsd_user_compare (gconstpointer pa, gconstpointer pb)
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

/* a finger and a face are ordered alike: by slot, index, validity, bytes */
static int
item_compare (guint16 a_uid,
              guint8 a_fid,
              guint8 a_valid,
              GBytes *a_data,
              guint16 b_uid,
              guint8 b_fid,
              guint8 b_valid,
              GBytes *b_data)
{
  if (a_uid != b_uid)
    return a_uid < b_uid ? -1 : 1;
  if (a_fid != b_fid)
    return a_fid < b_fid ? -1 : 1;
  if (a_valid != b_valid)
    return a_valid < b_valid ? -1 : 1;
  return bytes_compare (a_data, b_data);
}

int
bsd_template_compare (gconstpointer pa, gconstpointer pb)
{
  const ZkTemplate *a = *(const ZkTemplate *const *)pa;
  const ZkTemplate *b = *(const ZkTemplate *const *)pb;

  return item_compare (a->uid, a->fid, a->valid, a->data, b->uid, b->fid, b->valid, b->data);
}

int
bsd_face_compare (gconstpointer pa, gconstpointer pb)
{
  const ZkFace *a = *(const ZkFace *const *)pa;
  const ZkFace *b = *(const ZkFace *const *)pb;

  return item_compare (a->uid, a->fid, a->valid, a->data, b->uid, b->fid, b->valid, b->data);
}
