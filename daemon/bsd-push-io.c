/* bsd-push-io.c — a push terminal's mirror as a snapshot, a plan as commands
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-push-io.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* ------------------------------------------------------------ options */

static const char *
option (JsonObject *object, const char *key)
{
  JsonNode *node = object ? json_object_get_member (object, key) : NULL;

  return node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
             ? json_node_get_string (node)
             : NULL;
}

static guint
option_uint (JsonObject *object, const char *key)
{
  const char *text = option (object, key);
  guint64 value = 0;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT, &value, NULL))
    return 0;
  return (guint)value;
}

/* MultiBioDataSupport, MultiBioPhotoSupport: colon-separated, index =
 * type; "1" = supported */
static gboolean
supports_type (JsonObject *object, const char *key, guint type)
{
  const char *text = option (object, key);
  g_auto (GStrv) parts = NULL;

  if (text == NULL)
    return FALSE;
  parts = g_strsplit (text, ":", 16);
  return g_strv_length (parts) > type && g_str_equal (parts[type], "1");
}

void
bsd_push_caps_init (BsdPushCaps *caps, const char *dialect, const char *options)
{
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object = NULL;
  const char *fp;

  memset (caps, 0, sizeof *caps);
  caps->dialect = g_strcmp0 (dialect, "3") == 0 ? PUSH_DIALECT_3 : PUSH_DIALECT_2;
  root = options ? json_from_string (options, NULL) : NULL;
  if (root && JSON_NODE_HOLDS_OBJECT (root))
    object = json_node_get_object (root);
  fp = option (object, "FPVersion");
  caps->fp_version = fp && *fp ? g_strdup (fp) : NULL;
  caps->biodata_fingers = supports_type (object, "MultiBioDataSupport", PUSH_BIO_FINGER);
  /* BioDataFun may be empty on a unit that takes BIODATA (§5.7) */
  caps->vl_faces = g_strcmp0 (option (object, "VisilightFun"), "1") == 0
                   || supports_type (object, "MultiBioDataSupport", PUSH_BIO_FACE_VL);
  caps->bio_photo = caps->vl_faces && g_strcmp0 (option (object, "BioPhotoFun"), "1") == 0
                    && supports_type (object, "MultiBioPhotoSupport", PUSH_BIO_FACE_VL)
                    && push_format_server_takes_photo (PUSH_BIO_FACE_VL);
  caps->face_major = option_uint (object, "FaceVersion");
  /* ~MaxUserCount and ~MaxFingerCount count hundreds */
  caps->user_capacity = option_uint (object, "~MaxUserCount") * 100;
  caps->finger_capacity = option_uint (object, "~MaxFingerCount") * 100;
  caps->poll_s = option_uint (object, caps->dialect == PUSH_DIALECT_3 ? "RequestDelay" : "Delay");
}

guint
bsd_push_caps_wait_s (const BsdPushCaps *caps)
{
  guint poll = caps->poll_s != 0 ? caps->poll_s : PUSH_DELAY_S;

  return 3 * CLAMP (poll, BSD_PUSH_POLL_MIN_S, BSD_PUSH_POLL_MAX_S) + PUSH_ERROR_DELAY_S;
}

void
bsd_push_caps_clear (BsdPushCaps *caps)
{
  g_clear_pointer (&caps->fp_version, g_free);
}

char *
bsd_push_caps_face_version (const BsdPushCaps *caps)
{
  if (!caps->vl_faces || caps->face_major == 0)
    return NULL;
  return g_strdup_printf ("VL %u", caps->face_major);
}

/* ----------------------------------------------------------- snapshot */

/* "[15CD5B07]" (4 bytes hex, least significant first; old firmware
 * appends a fifth) or decimal; 0 = none or not a card number */
static guint32
card_from_text (const char *text)
{
  guint64 value = 0;

  if (text == NULL || *text == '\0')
    return 0;
  if (text[0] == '[')
    {
      guint32 card = 0;

      for (guint i = 0; i < 4; i++)
        {
          int hi = g_ascii_xdigit_value (text[1 + 2 * i]);
          int lo = hi < 0 ? -1 : g_ascii_xdigit_value (text[2 + 2 * i]);

          if (lo < 0)
            return 0;
          card |= (guint32)(hi * 16 + lo) << (8 * i);
        }
      return card;
    }
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32, &value, NULL))
    return 0;
  return (guint32)value;
}

ZkUser *
bsd_push_io_user_from_mirror (const PushUser *user, guint16 uid)
{
  ZkUser *u;

  if (user->pin == NULL || *user->pin == '\0' || strlen (user->pin) >= sizeof u->user_id)
    return NULL;
  u = zk_user_new ();
  u->uid = uid;
  g_strlcpy (u->user_id, user->pin, sizeof u->user_id);
  g_free (u->name);
  u->name = g_strdup (user->name ? user->name : "");
  u->privilege = (guint8)MIN (user->privilege, G_MAXUINT8);
  g_strlcpy (u->password, user->password ? user->password : "", sizeof u->password);
  u->card = card_from_text (user->card);
  u->group = (guint8)MIN (user->group, G_MAXUINT8);
  return u;
}

/* a comparison photo a terminal can make a VL face from: a JPEG (FF D8
 * FF) of a size a command carries */
static gboolean
photo_usable (const PushPhoto *photo)
{
  gsize len = photo->data ? g_bytes_get_size (photo->data) : 0;
  const guint8 *bytes = photo->data ? g_bytes_get_data (photo->data, NULL) : NULL;

  return photo->biophoto && photo->type == PUSH_BIO_FACE_VL && len >= 4 && len <= PUSH_PHOTO_MAX
         && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff;
}

BsdSnapshot *
bsd_push_io_snapshot (guint device_id,
                      const char *name,
                      const BsdPushCaps *caps,
                      GPtrArray *users,
                      GPtrArray *templates,
                      GPtrArray *photos)
{
  BsdSnapshot *snap = bsd_snapshot_new (device_id, name);
  g_autoptr (GHashTable) uids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) face_uids = g_hash_table_new (g_direct_hash, g_direct_equal);
  guint16 next = 1;

  snap->user_width = ZK_USER_SIZE_72;
  snap->fp_version = g_strdup (caps->fp_version);
  snap->face_version = bsd_push_caps_face_version (caps);
  snap->face_capable = snap->face_version != NULL;
  snap->photo_capable = snap->face_capable && caps->bio_photo;
  snap->user_capacity = caps->user_capacity;
  snap->finger_capacity = caps->finger_capacity;
  for (guint i = 0; i < users->len && next < BSD_PLAN_MAX_UID; i++)
    {
      PushUser *pu = g_ptr_array_index (users, i);
      ZkUser *u = bsd_push_io_user_from_mirror (pu, next);

      if (u == NULL)
        continue;
      g_hash_table_insert (uids, pu->pin, GUINT_TO_POINTER (next));
      g_ptr_array_add (snap->users, u);
      next++;
    }
  for (guint i = 0; i < templates->len; i++)
    {
      PushTemplate *t = g_ptr_array_index (templates, i);
      guint uid = GPOINTER_TO_UINT (g_hash_table_lookup (uids, t->pin));

      if (uid == 0 || t->data == NULL)
        continue;
      /* one template per finger, as a pull terminal holds it */
      if (t->type == PUSH_BIO_FINGER && t->index == 0 && t->no < BSD_PLAN_N_FINGERS)
        g_ptr_array_add (snap->templates,
                         zk_template_new (uid, t->no, t->duress ? 3 : t->valid, t->data));
      else if (t->type == PUSH_BIO_FACE_VL && snap->face_capable && t->index < BSD_PLAN_N_FACES
               && t->major_version == caps->face_major)
        {
          g_ptr_array_add (snap->faces, zk_template_new (uid, t->index, t->valid, t->data));
          g_hash_table_add (face_uids, GUINT_TO_POINTER (uid));
        }
    }
  for (guint i = 0; photos != NULL && i < photos->len; i++)
    {
      PushPhoto *photo = g_ptr_array_index (photos, i);

      if (photo->pin == NULL || !g_hash_table_contains (uids, photo->pin) || !photo_usable (photo))
        continue;
      if (snap->photos == NULL)
        snap->photos = bsd_snapshot_photos_new ();
      g_hash_table_replace (snap->photos, g_strdup (photo->pin), g_bytes_ref (photo->data));
    }
  snap->user_count = snap->users->len;
  snap->finger_count = snap->templates->len;
  snap->face_count = g_hash_table_size (face_uids);
  return snap;
}

/* -------------------------------------------------------------- queries */

gboolean
bsd_push_caps_unknown (const BsdPushCaps *caps)
{
  return caps->fp_version == NULL;
}

GPtrArray *
bsd_push_io_queries (const BsdPushCaps *caps, gboolean info_only, GArray *types, GError **error)
{
  g_autoptr (GPtrArray) queries = g_ptr_array_new_with_free_func (g_free);
  char *query;
  guint type = BSD_PUSH_QUERY_INFO;

  if (info_only)
    {
      if ((query = push_format_command ("INFO", NULL, error)) == NULL)
        return NULL;
      g_ptr_array_add (queries, query);
      g_array_append_val (types, type);
      return g_steal_pointer (&queries);
    }
  type = BSD_PUSH_QUERY_USERS;
  /* a 3.x unit refuses the 2.x names (−629, −708): its tables instead */
  query = caps->dialect == PUSH_DIALECT_3 ? push_format_query_table_3 ("user", error)
                                          : push_format_query_users (NULL, error);
  if (query == NULL)
    return NULL;
  g_ptr_array_add (queries, query);
  g_array_append_val (types, type);
  if (caps->dialect == PUSH_DIALECT_3)
    {
      type = BSD_PUSH_QUERY_BIODATA;
      if ((query = push_format_query_table_3 ("biodata", error)) == NULL)
        return NULL;
      g_ptr_array_add (queries, query);
      g_array_append_val (types, type);
      return g_steal_pointer (&queries);
    }
  type = PUSH_BIO_FINGER;
  if (caps->biodata_fingers)
    query = push_format_query_biodata (PUSH_BIO_FINGER, NULL, error);
  else
    {
      /* legacy units: every user's fingers (PIN= empty) as FP lines */
      const char *const pairs[] = { "PIN", "", NULL };

      query = push_format_command ("DATA QUERY FINGERTMP", pairs, error);
    }
  if (query == NULL)
    return NULL;
  g_ptr_array_add (queries, query);
  g_array_append_val (types, type);
  if (caps->vl_faces)
    {
      type = PUSH_BIO_FACE_VL;
      if ((query = push_format_query_biodata (PUSH_BIO_FACE_VL, NULL, error)) == NULL)
        return NULL;
      g_ptr_array_add (queries, query);
      g_array_append_val (types, type);
    }
  return g_steal_pointer (&queries);
}

/* --------------------------------------------------------------- writes */

void
bsd_push_write_free (BsdPushWrite *write)
{
  if (write == NULL)
    return;
  g_free (write->command);
  g_free (write->pin);
  g_free (write);
}

static gboolean
add_write (GPtrArray *writes,
           char *command,
           BsdPlanItemKind kind,
           const char *pin,
           gint index,
           const char *action)
{
  BsdPushWrite *write;

  if (command == NULL)
    return FALSE;
  write = g_new0 (BsdPushWrite, 1);
  write->command = command;
  write->kind = kind;
  write->pin = g_strdup (pin);
  write->index = index;
  write->action = action;
  g_ptr_array_add (writes, write);
  return TRUE;
}

PushUser *
bsd_push_io_user_from_record (const ZkUser *record, const PushUser *held)
{
  PushUser *user = g_new0 (PushUser, 1);

  user->pin = g_strdup (record->user_id);
  user->name = g_strdup (record->name ? record->name : "");
  user->privilege = record->privilege;
  user->password = g_strdup (record->password);
  user->card = record->card ? g_strdup_printf ("%u", record->card) : g_strdup ("");
  user->group = record->group;
  /* the whole record is replaced (§13.13): keep its access settings */
  user->time_zones = g_strdup (held ? held->time_zones : NULL);
  user->verify = held ? held->verify : -1;
  return user;
}

char *
bsd_push_io_user_update (const BsdPushCaps *caps,
                         const ZkUser *record,
                         const PushUser *held,
                         GError **error)
{
  g_autoptr (PushUser) user = bsd_push_io_user_from_record (record, held);

  return push_format_user_update (caps->dialect, user, error);
}

static char *
template_command (const BsdPushCaps *caps, const BsdPlanTemplate *t, guint type, GError **error)
{
  PushTemplate tmpl = {
    .pin = t->pin,
    .type = type,
    .no = type == PUSH_BIO_FINGER ? t->index : 0,
    .index = type == PUSH_BIO_FINGER ? 0 : t->index,
    .valid = t->valid != 0,
    .duress = type == PUSH_BIO_FINGER && t->valid == 3,
    /* the plan sends templates only between equal versions */
    .major_version = type == PUSH_BIO_FINGER ? 10 : caps->face_major,
    .format = 0, /* ZK */
    .data = t->data,
  };

  if (type == PUSH_BIO_FINGER && caps->fp_version)
    tmpl.major_version = (guint)g_ascii_strtoull (caps->fp_version, NULL, 10);
  if (type == PUSH_BIO_FINGER && !caps->biodata_fingers)
    return push_format_fingertmp_update (&tmpl, error);
  return push_format_biodata_update (caps->dialect, &tmpl, error);
}

GPtrArray *
bsd_push_io_plan_writes (const BsdPushCaps *caps,
                         const BsdDevicePlan *plan,
                         GPtrArray *held,
                         GError **error)
{
  g_autoptr (GPtrArray) writes
      = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_push_write_free);
  g_autoptr (GHashTable) held_by_pin = g_hash_table_new (g_str_hash, g_str_equal);
  guint i;

  for (i = 0; held && i < held->len; i++)
    {
      PushUser *user = held->pdata[i];

      if (user->pin)
        g_hash_table_insert (held_by_pin, user->pin, user);
    }
  for (i = 0; i < plan->users_delete->len; i++)
    {
      BsdPlanUser *u = plan->users_delete->pdata[i];

      if (!add_write (writes, push_format_user_delete (caps->dialect, u->pin, error),
                      BSD_PLAN_ITEM_USER, u->pin, -1, "delete"))
        return NULL;
    }
  for (i = 0; i < plan->users_add->len + plan->users_update->len; i++)
    {
      gboolean add = i < plan->users_add->len;
      BsdPlanUser *u
          = add ? plan->users_add->pdata[i] : plan->users_update->pdata[i - plan->users_add->len];

      /* the planner's record has no access settings: keep the terminal's */
      if (!add_write (writes,
                      bsd_push_io_user_update (caps, u->record,
                                               g_hash_table_lookup (held_by_pin, u->pin), error),
                      BSD_PLAN_ITEM_USER, u->pin, -1, add ? "add" : "update"))
        return NULL;
    }
  for (i = 0; i < plan->templates_add->len; i++)
    {
      BsdPlanTemplate *t = plan->templates_add->pdata[i];

      if (!add_write (writes, template_command (caps, t, PUSH_BIO_FINGER, error),
                      BSD_PLAN_ITEM_FINGER, t->pin, t->index, "add"))
        return NULL;
    }
  for (i = 0; i < plan->faces_add->len; i++)
    {
      BsdPlanTemplate *t = plan->faces_add->pdata[i];

      if (!add_write (writes, template_command (caps, t, PUSH_BIO_FACE_VL, error),
                      BSD_PLAN_ITEM_FACE, t->pin, t->index, "add"))
        return NULL;
    }
  /* last: the terminal extracts a face from each (its own user first) */
  for (i = 0; i < plan->photos_add->len; i++)
    {
      BsdPlanPhoto *p = plan->photos_add->pdata[i];

      if (!add_write (
              writes,
              push_format_biophoto_update (caps->dialect, p->pin, PUSH_BIO_FACE_VL, p->data, error),
              BSD_PLAN_ITEM_FACE, p->pin, -1, "photo"))
        return NULL;
    }
  return g_steal_pointer (&writes);
}
