/* zk-sim-push-fixture.c — push (ADMS) terminals in a fixture: loaded
 * from JSON and dumped back
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "zk-error.h"
#include "zk-sim-fixture-private.h"
#include "zk-sim-push-device-private.h"

/* ------------------------------------------------------------ loading */

/* row @i of a fixture list at @rpath: its object and its user_id, which
 * every row of a push device's lists needs; NULL with @error */
static JsonObject *
fixture_row (JsonArray *array, guint i, const char *rpath, char **pin, GError **error)
{
  JsonObject *obj = zk_sim_json_element_object (array, i, rpath, error);

  if (obj == NULL || !zk_sim_json_get_text (obj, "user_id", NULL, 24, pin, rpath, error))
    return NULL;
  if (*pin == NULL)
    {
      zk_sim_json_fail (error, rpath, "user_id", "required");
      return NULL;
    }
  return obj;
}

static gboolean
load_push_users (ZkSimPushDevice *device, JsonArray *array, const char *path, GError **error)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      g_autofree char *upath = g_strdup_printf ("%s.users[%u]", path, i);
      g_autoptr (GError) local = NULL;
      g_autofree char *pin = NULL;
      g_autofree char *name = NULL;
      const char *password, *card;
      ZkSimPushUser user = { 0 };
      JsonObject *obj;

      if ((obj = fixture_row (array, i, upath, &pin, error)) == NULL
          || !zk_sim_json_get_text (obj, "name", "", 64, &name, upath, error)
          || !zk_sim_json_get_uint (obj, "privilege", 0, 0, 14, &user.privilege, upath, error)
          || !zk_sim_json_get_string (obj, "password", "", 8, &password, upath, error)
          || !zk_sim_json_get_string (obj, "card", "", 20, &card, upath, error)
          || !zk_sim_json_get_uint (obj, "group", 1, 0, 99, &user.group, upath, error))
        return FALSE;
      user.pin = pin;
      user.name = name;
      user.password = (char *)password;
      user.card = (char *)card;
      if (!zk_sim_push_device_load_user (device, &user, &local))
        return zk_sim_json_fail (error, upath, NULL, local->message);
    }
  return TRUE;
}

static gboolean
load_push_templates (ZkSimPushDevice *device,
                     const ZkSimPushConfig *config,
                     JsonArray *array,
                     const char *path,
                     GError **error)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      g_autofree char *tpath = g_strdup_printf ("%s.templates[%u]", path, i);
      g_autoptr (GError) local = NULL;
      g_autoptr (GBytes) data = NULL;
      g_autofree char *pin = NULL;
      const char *b64;
      ZkSimPushBio bio = { 0 };
      JsonObject *obj;

      if ((obj = fixture_row (array, i, tpath, &pin, error)) == NULL
          || !zk_sim_json_get_uint (obj, "type", 1, 0, 15, &bio.type, tpath, error)
          || !zk_sim_json_get_uint (obj, "no", 0, 0, 9, &bio.no, tpath, error)
          || !zk_sim_json_get_uint (obj, "index", 0, 0, 99, &bio.index, tpath, error)
          || !zk_sim_json_get_uint (obj, "valid", 1, 0, 1, &bio.valid, tpath, error)
          || !zk_sim_json_get_uint (obj, "duress", 0, 0, 1, &bio.duress, tpath, error)
          || !zk_sim_json_get_uint (obj, "major", bio.type == 9 ? config->face_major : 10, 0, 999,
                                    &bio.major, tpath, error)
          || !zk_sim_json_get_uint (obj, "minor", 0, 0, 999, &bio.minor, tpath, error)
          || !zk_sim_json_get_uint (obj, "format", 0, 0, 2, &bio.format, tpath, error)
          || !zk_sim_json_get_string (obj, "template", NULL, 4 * 20 * 1024, &b64, tpath, error))
        return FALSE;
      data = b64 ? zk_sim_json_decode_base64 (b64, tpath, "template", error)
                 : zk_sim_push_make_bio_data (pin, bio.type, bio.no);
      if (data == NULL)
        return FALSE;
      bio.pin = pin;
      bio.data = data;
      if (!zk_sim_push_device_load_bio (device, &bio, &local))
        return zk_sim_json_fail (error, tpath, NULL, local->message);
    }
  return TRUE;
}

static gboolean
load_push_photos (ZkSimPushDevice *device, JsonArray *array, const char *path, GError **error)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      g_autofree char *ppath = g_strdup_printf ("%s.photos[%u]", path, i);
      g_autoptr (GError) local = NULL;
      g_autoptr (GBytes) data = NULL;
      g_autofree char *pin = NULL;
      const char *b64;
      ZkSimPushPhoto photo = { 0 };
      JsonObject *obj;

      if ((obj = fixture_row (array, i, ppath, &pin, error)) == NULL
          || !zk_sim_json_get_uint (obj, "type", 9, 0, 15, &photo.type, ppath, error)
          || !zk_sim_json_get_string (obj, "photo", NULL, 4 * (ZK_SIM_PUSH_PHOTO_MAX / 3 + 1), &b64,
                                      ppath, error)
          || !zk_sim_json_get_bool (obj, "sent", FALSE, &photo.sent, ppath, error))
        return FALSE;
      data = b64 ? zk_sim_json_decode_base64 (b64, ppath, "photo", error)
                 : zk_sim_push_make_photo (pin);
      if (data == NULL)
        return FALSE;
      photo.pin = pin;
      photo.data = data;
      if (!zk_sim_push_device_load_photo (device, &photo, &local))
        return zk_sim_json_fail (error, ppath, NULL, local->message);
    }
  return TRUE;
}

static gboolean
load_push_attendance (ZkSimPushDevice *device, JsonArray *array, const char *path, GError **error)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      g_autofree char *apath = g_strdup_printf ("%s.attendance[%u]", path, i);
      g_autoptr (GError) local = NULL;
      g_autofree char *pin = NULL;
      const char *time;
      gboolean sent;
      ZkTime t;
      ZkSimPushPunch punch = { 0 };
      JsonObject *obj;

      if ((obj = fixture_row (array, i, apath, &pin, error)) == NULL
          || !zk_sim_json_get_string (obj, "time", NULL, 64, &time, apath, error)
          || !zk_sim_json_get_uint (obj, "state", 0, 0, 255, &punch.status, apath, error)
          || !zk_sim_json_get_uint (obj, "verify", 1, 0, 255, &punch.verify, apath, error)
          || !zk_sim_json_get_uint (obj, "workcode", 0, 0, G_MAXINT32, &punch.workcode, apath,
                                    error)
          || !zk_sim_json_get_bool (obj, "sent", FALSE, &sent, apath, error))
        return FALSE;
      if (time == NULL)
        return zk_sim_json_fail (error, apath, "time", "required");
      if (!zk_time_from_iso8601 (time, &t, &local))
        return zk_sim_json_fail (error, apath, "time", local->message);
      g_snprintf (punch.time, sizeof punch.time, "%04u-%02u-%02u %02u:%02u:%02u", t.year, t.month,
                  t.day, t.hour, t.minute, t.second);
      punch.pin = pin;
      if (!zk_sim_push_device_load_punch (device, &punch, sent, &local))
        return zk_sim_json_fail (error, apath, NULL, local->message);
    }
  return TRUE;
}

static gboolean
load_push_config (
    JsonObject *obj, guint index, const char *path, ZkSimPushConfig *c, GError **error)
{
  g_autofree char *default_name = g_strdup_printf ("push%u", index);
  g_autofree char *default_serial = g_strdup_printf ("SIMP%08u", index);
  const char *name, *serial, *server, *dialect, *model, *pushver, *firmware;

  if (!zk_sim_json_get_string (obj, "name", default_name, 64, &name, path, error)
      || !zk_sim_json_get_string (obj, "serial", default_serial, 64, &serial, path, error)
      || !zk_sim_json_get_string (obj, "server", NULL, 512, &server, path, error)
      || !zk_sim_json_get_string (obj, "dialect", "2", 1, &dialect, path, error)
      || !zk_sim_json_get_string (obj, "push_model", "fp", 2, &model, path, error)
      || !zk_sim_json_get_string (obj, "pushver", NULL, 16, &pushver, path, error)
      || !zk_sim_json_get_string (obj, "firmware", NULL, 64, &firmware, path, error)
      || !zk_sim_json_get_uint (obj, "face_major", 40, 39, 40, &c->face_major, path, error)
      || !zk_sim_json_get_uint (obj, "delay_s", 10, 1, 3600, &c->delay_s, path, error)
      || !zk_sim_json_get_uint (obj, "error_delay_s", 30, 1, 3600, &c->error_delay_s, path, error)
      || !zk_sim_json_get_uint (obj, "timeout_s", 20, 1, 600, &c->timeout_s, path, error)
      || !zk_sim_json_get_bool (obj, "old_firmware", FALSE, &c->old_firmware, path, error)
      || !zk_sim_json_get_bool (obj, "bio_photo", FALSE, &c->bio_photo, path, error)
      || !zk_sim_json_get_uint (obj, "user_capacity", 3000, 1, 1000000, &c->user_capacity, path,
                                error)
      || !zk_sim_json_get_uint (obj, "template_capacity", 6000, 1, 1000000, &c->template_capacity,
                                path, error)
      || !zk_sim_json_get_uint (obj, "record_capacity", 100000, 1, ZK_SIM_FIXTURE_MAX_RECORDS,
                                &c->record_capacity, path, error))
    return FALSE;
  if (!g_str_equal (dialect, "2") && !g_str_equal (dialect, "3"))
    return zk_sim_json_fail (error, path, "dialect", "expected \"2\" or \"3\"");
  c->dialect = dialect[0] == '3' ? 3 : 2;
  if (!g_str_equal (model, "fp") && !g_str_equal (model, "vl"))
    return zk_sim_json_fail (error, path, "push_model", "expected \"fp\" or \"vl\"");
  c->model = g_str_equal (model, "vl") ? ZK_SIM_PUSH_MODEL_VL : ZK_SIM_PUSH_MODEL_FP;
  /* photos are for the face algorithm: a fingerprint unit has none */
  if (c->bio_photo && c->model != ZK_SIM_PUSH_MODEL_VL)
    return zk_sim_json_fail (error, path, "bio_photo", "needs \"push_model\": \"vl\"");
  c->name = g_strdup (name);
  c->serial = g_strdup (serial);
  c->server = g_strdup (server);
  c->pushver = g_strdup (pushver);
  c->firmware = g_strdup (firmware);
  return TRUE;
}

GObject *
zk_sim_push_fixture_load (JsonObject *obj, guint index, const char *path, GError **error)
{
  g_auto (ZkSimPushConfig) config = { 0 };
  g_autoptr (ZkSimPushDevice) device = NULL;
  g_autoptr (GError) local = NULL;
  JsonArray *users = NULL, *templates = NULL, *attendance = NULL, *photos = NULL;

  if (!load_push_config (obj, index, path, &config, error)
      || !zk_sim_json_get_array (obj, "users", &users, path, error)
      || !zk_sim_json_get_array (obj, "templates", &templates, path, error)
      || !zk_sim_json_get_array (obj, "attendance", &attendance, path, error)
      || !zk_sim_json_get_array (obj, "photos", &photos, path, error))
    return NULL;
  device = zk_sim_push_device_new (&config, &local);
  if (device == NULL)
    {
      zk_sim_json_fail (error, path, NULL, local->message);
      return NULL;
    }
  if (!load_push_users (device, users, path, error)
      || !load_push_templates (device, &config, templates, path, error)
      || !load_push_photos (device, photos, path, error)
      || !load_push_attendance (device, attendance, path, error))
    return NULL;
  return G_OBJECT (g_steal_pointer (&device));
}

/* ------------------------------------------------------------ dumping */

static void
add_push_config (JsonBuilder *b, ZkSimPushDevice *device)
{
  g_auto (ZkSimPushConfig) c = { 0 };

  zk_sim_push_device_get_config (device, &c);
  zk_sim_json_add_string (b, "name", c.name);
  zk_sim_json_add_string (b, "protocol", "push");
  zk_sim_json_add_string (b, "serial", c.serial);
  if (c.server != NULL)
    zk_sim_json_add_string (b, "server", c.server);
  zk_sim_json_add_string (b, "dialect", c.dialect == 3 ? "3" : "2");
  zk_sim_json_add_string (b, "push_model", c.model == ZK_SIM_PUSH_MODEL_VL ? "vl" : "fp");
  zk_sim_json_add_int (b, "face_major", c.face_major);
  zk_sim_json_add_bool (b, "bio_photo", c.bio_photo);
  zk_sim_json_add_int (b, "delay_s", c.delay_s);
  zk_sim_json_add_int (b, "error_delay_s", c.error_delay_s);
  zk_sim_json_add_int (b, "timeout_s", c.timeout_s);
  zk_sim_json_add_string (b, "pushver", c.pushver);
  zk_sim_json_add_string (b, "firmware", c.firmware);
  zk_sim_json_add_bool (b, "old_firmware", c.old_firmware);
  zk_sim_json_add_int (b, "user_capacity", c.user_capacity);
  zk_sim_json_add_int (b, "template_capacity", c.template_capacity);
  zk_sim_json_add_int (b, "record_capacity", c.record_capacity);
}

static void
push_user_foreach_member (gconstpointer record, ZkMemberFunc func, gpointer user_data)
{
  const ZkSimPushUser *u = record;
  const ZkMember members[] = {
    { "user_id", ZK_MEMBER_TEXT, .text = u->pin },
    { "name", ZK_MEMBER_TEXT, .text = u->name },
    { "privilege", ZK_MEMBER_INT, .number = u->privilege },
    { "password", ZK_MEMBER_STRING, .text = u->password },
    { "card", ZK_MEMBER_STRING, .text = u->card },
    { "group", ZK_MEMBER_INT, .number = u->group },
  };

  zk_members_foreach (members, G_N_ELEMENTS (members), func, user_data);
}

static void
push_bio_foreach_member (gconstpointer record, ZkMemberFunc func, gpointer user_data)
{
  const ZkSimPushBio *t = record;
  const ZkMember members[] = {
    { "user_id", ZK_MEMBER_TEXT, .text = t->pin },
    { "type", ZK_MEMBER_INT, .number = t->type },
    { "no", ZK_MEMBER_INT, .number = t->no },
    { "index", ZK_MEMBER_INT, .number = t->index },
    { "valid", ZK_MEMBER_INT, .number = t->valid },
    { "duress", ZK_MEMBER_INT, .number = t->duress },
    { "major", ZK_MEMBER_INT, .number = t->major },
    { "minor", ZK_MEMBER_INT, .number = t->minor },
    { "format", ZK_MEMBER_INT, .number = t->format },
    { "template", ZK_MEMBER_BYTES, .bytes = t->data },
  };

  zk_members_foreach (members, G_N_ELEMENTS (members), func, user_data);
}

static void
push_photo_foreach_member (gconstpointer record, ZkMemberFunc func, gpointer user_data)
{
  const ZkSimPushPhoto *p = record;
  const ZkMember members[] = {
    { "user_id", ZK_MEMBER_TEXT, .text = p->pin },
    { "type", ZK_MEMBER_INT, .number = p->type },
    { "photo", ZK_MEMBER_BYTES, .bytes = p->data },
    { "sent", ZK_MEMBER_BOOL, .number = p->sent },
  };

  zk_members_foreach (members, G_N_ELEMENTS (members), func, user_data);
}

JsonNode *
zk_sim_push_fixture_to_json (ZkSimPushDevice *device)
{
  g_autoptr (JsonBuilder) b = json_builder_new_immutable ();
  g_autoptr (GPtrArray) users = zk_sim_push_device_dup_users (device);
  g_autoptr (GPtrArray) bios = zk_sim_push_device_dup_bios (device);
  g_autoptr (GPtrArray) photos = zk_sim_push_device_dup_photos (device);
  guint sent = 0;
  g_autoptr (GPtrArray) punches = zk_sim_push_device_dup_punches (device, &sent);

  json_builder_begin_object (b);
  add_push_config (b, device);
  zk_sim_json_add_array (b, "users", users, push_user_foreach_member);
  zk_sim_json_add_array (b, "templates", bios, push_bio_foreach_member);
  zk_sim_json_add_array (b, "photos", photos, push_photo_foreach_member);
  json_builder_set_member_name (b, "attendance");
  json_builder_begin_array (b);
  for (guint i = 0; i < punches->len; i++)
    {
      const ZkSimPushPunch *p = g_ptr_array_index (punches, i);
      g_autofree char *time = g_strdup (p->time);

      time[10] = 'T';
      json_builder_begin_object (b);
      zk_sim_fixture_add_text (b, "user_id", p->pin);
      zk_sim_json_add_string (b, "time", time);
      zk_sim_json_add_int (b, "state", p->status);
      zk_sim_json_add_int (b, "verify", p->verify);
      zk_sim_json_add_int (b, "workcode", p->workcode);
      zk_sim_json_add_bool (b, "sent", i < sent);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
