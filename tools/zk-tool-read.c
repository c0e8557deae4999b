/* zk-tool-read.c — biosync-zk commands that read: info, sizes, users,
 * fingers, template, faces, logs, time, options
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "zk-tool.h"

/* ------------------------------------------------------ record output */

static const char *
role_name (guint8 privilege)
{
  switch (privilege & 0x0e)
    {
    case 0:
      return "user";
    case 2:
      return "enroller";
    case 6:
      return "admin";
    case 14:
      return "superadmin";
    default:
      return NULL;
    }
}

static char *
privilege_to_string (guint8 privilege)
{
  const char *role = role_name (privilege);
  const char *disabled = (privilege & 1) != 0 ? ",disabled" : "";

  if (role == NULL)
    return g_strdup_printf ("%u%s", (guint)(privilege & ~1u), disabled);
  return g_strdup_printf ("%s%s", role, disabled);
}

static const char *
verify_name (guint8 verify)
{
  switch (verify)
    {
    case 0:
      return "password";
    case 1:
      return "finger";
    case 2:
      return "card";
    case 15:
      return "face";
    default:
      return NULL;
    }
}

static const char *
state_name (guint8 state)
{
  static const char *const names[] = {
    "check-in", "check-out", "break-out", "break-in", "overtime-in", "overtime-out",
  };

  if (state < G_N_ELEMENTS (names))
    return names[state];
  if (state == 255)
    return "none";
  return NULL;
}

static gsize
bytes_size (GBytes *bytes)
{
  return bytes != NULL ? g_bytes_get_size (bytes) : 0;
}

/* -------------------------------------------------------- arguments */

gboolean
parse_uid_fid (Tool *tool, GError **error)
{
  if (!parse_uid (tool->args[0], &tool->uid, error))
    return FALSE;
  tool->have_uid = TRUE;
  return parse_fid (tool->args[1], &tool->fid, 9, error);
}

gboolean
parse_optional_uid (Tool *tool, GError **error)
{
  if (tool->n_args == 0)
    return TRUE;
  tool->have_uid = TRUE;
  return parse_uid (tool->args[0], &tool->uid, error);
}

gboolean
parse_options (Tool *tool, GError **error)
{
  guint i;

  for (i = 0; i < tool->n_args; i++)
    {
      const char *name = tool->args[i];
      const char *p;

      for (p = name; *p != '\0'; p++)
        {
          if (!g_ascii_isgraph (*p) || *p == '=')
            break;
        }
      if (name[0] == '\0' || *p != '\0' || strlen (name) > 64)
        {
          g_autofree char *shown = tool_escape (name);

          usage_error (error, "invalid option name '%s'", shown);
          return FALSE;
        }
    }
  return TRUE;
}

/* ------------------------------------------------------------- commands */

static void
add_sizes_rows (ToolTable *table, const ZkSizes *sizes)
{
  /* capacities of 0 mean "not reported" */
  tool_table_addf (table, "users");
  tool_table_addf (table, "%d", sizes->users);
  tool_table_addf (table, "%d", sizes->user_capacity);
  tool_table_addf (table, "%d", sizes->users_available);

  tool_table_addf (table, "fingerprints");
  tool_table_addf (table, "%d", sizes->fingers);
  tool_table_addf (table, "%d", sizes->finger_capacity);
  tool_table_addf (table, "%d", sizes->fingers_available);

  tool_table_addf (table, "records");
  tool_table_addf (table, "%d", sizes->records);
  tool_table_addf (table, "%d", sizes->record_capacity);
  tool_table_addf (table, "%d", sizes->records_available);

  if (sizes->n_ints >= 23)
    {
      tool_table_addf (table, "face users");
      tool_table_addf (table, "%d", sizes->faces);
      tool_table_addf (table, "%d", sizes->face_capacity);
      tool_table_addf (table, "%d", MAX (sizes->face_capacity - sizes->faces, 0));
    }

  tool_table_addf (table, "admins");
  tool_table_addf (table, "%d", sizes->admins);
  tool_table_addf (table, "-");
  tool_table_addf (table, "-");

  tool_table_addf (table, "passwords");
  tool_table_addf (table, "%d", sizes->passwords);
  tool_table_addf (table, "-");
  tool_table_addf (table, "-");

  tool_table_addf (table, "operation log");
  tool_table_addf (table, "%d", sizes->oplogs);
  tool_table_addf (table, "-");
  tool_table_addf (table, "-");
}

gboolean
run_info (Tool *tool, GError **error)
{
  ZkDeviceInfo info = { 0 };
  ZkTime device_time = { 0 };
  g_autofree char *time_text = NULL;
  const char *transport;
  gboolean face_capable;
  gboolean ok;

  tool_step (tool, "reading device information");
  ok = zk_client_get_info (tool->client, &info, tool->cancellable, error);
  if (ok)
    {
      tool_step (tool, "reading the time");
      ok = zk_client_get_time (tool->client, &device_time, tool->cancellable, error);
    }
  if (!ok)
    {
      zk_device_info_clear (&info);
      return FALSE;
    }

  time_text = zk_time_to_iso8601 (&device_time);
  transport = zk_transport_to_string (zk_client_get_transport (tool->client));
  face_capable = zk_device_info_face_capable (&info);

  if (tool->json)
    {
      g_autoptr (ToolJson) json = tool_json_new (tool->out);

      tool_json_begin_object (json, NULL);
      tool_json_add_string (json, "host", tool->host);
      tool_json_add_int (json, "port", tool->port);
      tool_json_add_string (json, "transport", transport);
      tool_json_add_string (json, "serial", info.serial);
      tool_json_add_string (json, "device_name", info.device_name);
      tool_json_add_string (json, "platform", info.platform);
      tool_json_add_string (json, "firmware", info.firmware);
      tool_json_add_string (json, "fp_version", info.fp_version);
      tool_json_add_string (json, "face_version", info.face_version);
      tool_json_add_bool (json, "face_on", info.face_on);
      tool_json_add_bool (json, "face_capable", face_capable);
      tool_json_add_int (json, "pin_width", info.pin_width);
      tool_json_add_int (json, "user_width", info.user_width);
      tool_json_add_string (json, "time", time_text);
      tool_json_add_object (json, "sizes", zk_sizes_foreach_member, &info.sizes);
      tool_json_end_object (json);
      g_string_append_c (tool->out, '\n');
    }
  else
    {
      g_autoptr (ToolKeyValues) kv = tool_key_values_new ();
      g_autoptr (ToolTable) table = tool_table_new (0xe, "", "USED", "CAPACITY", "FREE", NULL);

      tool_key_values_addf (kv, "device", "%s (%s)", tool->label, transport);
      tool_key_values_add (kv, "serial", info.serial);
      tool_key_values_add (kv, "model", info.device_name);
      tool_key_values_add (kv, "platform", info.platform);
      tool_key_values_add (kv, "firmware", info.firmware);
      tool_key_values_add (kv, "fingerprint algorithm", info.fp_version);
      if (face_capable)
        tool_key_values_add (kv, "face algorithm", info.face_version);
      else
        tool_key_values_addf (kv, "face algorithm", "none");
      tool_key_values_addf (kv, "face function", "%s", info.face_on ? "on" : "off");
      tool_key_values_addf (kv, "user_id width", "%u", info.pin_width);
      if (info.user_width != 0)
        tool_key_values_addf (kv, "user record", "%u bytes", info.user_width);
      else
        tool_key_values_addf (kv, "user record", "unknown");
      tool_key_values_add (kv, "time", time_text);
      tool_key_values_print (kv, tool->out);
      g_string_append_c (tool->out, '\n');
      add_sizes_rows (table, &info.sizes);
      tool_table_print (table, tool->out);
    }

  zk_device_info_clear (&info);
  return TRUE;
}

gboolean
run_sizes (Tool *tool, GError **error)
{
  ZkSizes sizes = { 0 };

  tool_step (tool, "reading free sizes");
  if (!zk_client_get_sizes (tool->client, &sizes, tool->cancellable, error))
    return FALSE;

  if (tool->json)
    tool_json_print_object (tool->out, zk_sizes_foreach_member, &sizes);
  else
    {
      g_autoptr (ToolTable) table = tool_table_new (0xe, "", "USED", "CAPACITY", "FREE", NULL);

      add_sizes_rows (table, &sizes);
      tool_table_print (table, tool->out);
    }
  return TRUE;
}

static void
print_users (Tool *tool, GPtrArray *users)
{
  guint i;

  if (tool->json)
    {
      tool_json_print_array (tool->out, users, zk_user_foreach_member);
    }
  else
    {
      g_autoptr (ToolTable) table = tool_table_new (0x61, "UID", "USER_ID", "NAME", "PRIVILEGE",
                                                    "PASSWORD", "CARD", "GROUP", NULL);

      for (i = 0; i < users->len; i++)
        {
          const ZkUser *user = users->pdata[i];
          g_autofree char *privilege = privilege_to_string (user->privilege);

          tool_table_addf (table, "%u", user->uid);
          /* no PIN: the device holds one that is not clean (see the warning) */
          tool_table_add (table, user->user_id[0] != '\0' ? user->user_id : NULL);
          tool_table_add (table, user->name != NULL ? user->name : "");
          tool_table_addf (table, "%s", privilege);
          /* a diagnostic listing shows that a password exists, not what it is */
          tool_table_addf (table, "%s", user->password[0] != '\0' ? "yes" : "-");
          if (user->card != 0)
            tool_table_addf (table, "%u", user->card);
          else
            tool_table_addf (table, "-");
          tool_table_addf (table, "%u", user->group);
        }
      if (users->len > 0)
        tool_table_print (table, tool->out);
      g_string_append_printf (tool->out, "%u %s\n", users->len,
                              plural (users->len, "user", "users"));
    }
}

/* tables are read only as far as the device's own counts and capacities
 * allow (and never beyond what the protocol allows) */
static gboolean
tool_limit_reads (Tool *tool, GError **error)
{
  g_autoptr (GError) local = NULL;
  ZkSizes sizes;

  tool_step (tool, "reading free sizes");
  if (zk_client_get_sizes (tool->client, &sizes, tool->cancellable, &local))
    zk_client_limit_reads_to (tool->client, &sizes);
  else if (!g_error_matches (local, ZK_ERROR, ZK_ERROR_DEVICE)
           && !g_error_matches (local, ZK_ERROR, ZK_ERROR_UNSUPPORTED)
           && !g_error_matches (local, ZK_ERROR, ZK_ERROR_PROTOCOL))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return TRUE;
}

GPtrArray *
tool_read_users (Tool *tool, GError **error)
{
  GPtrArray *users;

  if (!tool_limit_reads (tool, error))
    return NULL;
  tool_step (tool, "reading users");
  users = zk_client_read_users (tool->client, tool->warnings, tool->cancellable, error);
  if (users != NULL)
    tool_note_warnings (tool);
  return users;
}

gboolean
run_users (Tool *tool, GError **error)
{
  g_autoptr (GPtrArray) users = tool_read_users (tool, error);

  if (users == NULL)
    return FALSE;
  print_users (tool, users);
  return TRUE;
}

/* fingerprints or faces: a table of UID FID VALID SIZE, or JSON; the
 * count line is the caller's */
static void
print_templates (Tool *tool, GPtrArray *templates)
{
  g_autoptr (ToolTable) table = NULL;

  if (tool->json)
    {
      tool_json_print_array (tool->out, templates, zk_template_foreach_member);
      return;
    }
  table = tool_table_new (0xf, "UID", "FID", "VALID", "SIZE", NULL);
  for (guint i = 0; i < templates->len; i++)
    {
      const ZkTemplate *tmpl = templates->pdata[i];

      tool_table_addf (table, "%u", tmpl->uid);
      tool_table_addf (table, "%u", tmpl->fid);
      tool_table_addf (table, "%u", tmpl->valid);
      tool_table_addf (table, "%" G_GSIZE_FORMAT, bytes_size (tmpl->data));
    }
  if (templates->len > 0)
    tool_table_print (table, tool->out);
}

gboolean
run_fingers (Tool *tool, GError **error)
{
  g_autoptr (GPtrArray) templates = NULL;

  if (!tool_limit_reads (tool, error))
    return FALSE;
  tool_step (tool, "reading fingerprint templates");
  templates = zk_client_read_templates (tool->client, tool->warnings, tool->cancellable, error);
  if (templates == NULL)
    return FALSE;
  tool_note_warnings (tool);
  print_templates (tool, templates);
  if (!tool->json)
    g_string_append_printf (tool->out, "%u fingerprint %s\n", templates->len,
                            plural (templates->len, "template", "templates"));
  return TRUE;
}

gboolean
run_template (Tool *tool, GError **error)
{
  g_autoptr (ZkTemplate) tmpl = NULL;

  tool_step (tool, "reading the template of uid %u finger %u", tool->uid, tool->fid);
  tmpl = zk_client_read_template (tool->client, tool->uid, tool->fid, tool->cancellable, error);
  if (tmpl == NULL)
    return FALSE;

  if (tool->json)
    tool_json_print_object (tool->out, zk_template_foreach_member, tmpl);
  else
    {
      g_autoptr (ToolKeyValues) kv = tool_key_values_new ();
      gsize len = 0;
      const guint8 *data = tmpl->data != NULL ? g_bytes_get_data (tmpl->data, &len) : NULL;
      g_autofree char *base64 = g_base64_encode (data, len);

      tool_key_values_addf (kv, "uid", "%u", tmpl->uid);
      tool_key_values_addf (kv, "fid", "%u", tmpl->fid);
      tool_key_values_addf (kv, "valid", "%u", tmpl->valid);
      tool_key_values_addf (kv, "size", "%" G_GSIZE_FORMAT " bytes", len);
      tool_key_values_addf (kv, "template", "%s", base64);
      tool_key_values_print (kv, tool->out);
    }
  return TRUE;
}

/* faces of one user; a user without faces gives an empty array */
static GPtrArray *
read_faces_of (Tool *tool, guint16 uid, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  GPtrArray *faces;

  tool_step (tool, "reading the faces of uid %u", uid);
  faces = zk_client_read_faces (tool->client, uid, tool->cancellable, &local_error);
  if (faces == NULL && g_error_matches (local_error, ZK_ERROR, ZK_ERROR_NOT_FOUND))
    return g_ptr_array_new_with_free_func ((GDestroyNotify)zk_face_free);
  if (faces == NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return faces;
}

/* the faces of every user on a face-capable device; @users gets the users */
static GPtrArray *
read_all_faces (Tool *tool, GPtrArray **users, guint *n_users, GError **error)
{
  g_autoptr (GPtrArray) faces = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_face_free);
  ZkDeviceInfo info = { 0 };
  gboolean capable;

  tool_step (tool, "reading device information");
  if (!zk_client_get_info (tool->client, &info, tool->cancellable, error))
    return NULL;
  capable = zk_device_info_face_capable (&info);
  zk_device_info_clear (&info);
  if (!capable)
    {
      tool_step (tool, "reading faces");
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_UNSUPPORTED,
                           "the device has no face function (FaceFunOn/ZKFaceVersion)");
      return NULL;
    }
  *users = tool_read_users (tool, error);
  if (*users == NULL)
    return NULL;
  for (guint i = 0; i < (*users)->len; i++)
    {
      const ZkUser *user = (*users)->pdata[i];
      g_autoptr (GPtrArray) some = read_faces_of (tool, user->uid, error);

      if (some == NULL)
        return NULL;
      *n_users += some->len > 0;
      g_ptr_array_extend_and_steal (faces, g_steal_pointer (&some));
    }
  return g_steal_pointer (&faces);
}

gboolean
run_faces (Tool *tool, GError **error)
{
  g_autoptr (GPtrArray) faces = NULL;
  g_autoptr (GPtrArray) users = NULL;
  guint n_users = 0;

  if (tool->have_uid)
    faces = read_faces_of (tool, tool->uid, error);
  else
    faces = read_all_faces (tool, &users, &n_users, error);
  if (faces == NULL)
    return FALSE;
  print_templates (tool, faces);
  if (tool->json)
    return TRUE;
  g_string_append_printf (tool->out, "%u face %s", faces->len,
                          plural (faces->len, "template", "templates"));
  if (users != NULL)
    g_string_append_printf (tool->out, " (%u of %u %s)", n_users, users->len,
                            plural (users->len, "user", "users"));
  g_string_append_c (tool->out, '\n');
  return TRUE;
}

gboolean
run_logs (Tool *tool, GError **error)
{
  g_autoptr (GPtrArray) records = NULL;
  guint i;

  if (!tool_limit_reads (tool, error))
    return FALSE;
  tool_step (tool, "reading attendance records");
  records = zk_client_read_attendance (tool->client, tool->warnings, tool->cancellable, error);
  if (records == NULL)
    return FALSE;
  tool_note_warnings (tool);

  if (tool->json)
    {
      tool_json_print_array (tool->out, records, zk_attendance_foreach_member);
    }
  else
    {
      g_autoptr (ToolTable) table
          = tool_table_new (0x21, "UID", "USER_ID", "TIME", "VERIFY", "STATE", "WORKCODE", NULL);

      for (i = 0; i < records->len; i++)
        {
          const ZkAttendance *att = records->pdata[i];
          g_autofree char *when = zk_time_to_iso8601 (&att->time);
          const char *verify = verify_name (att->verify);
          const char *state = state_name (att->state);

          tool_table_addf (table, "%u", att->uid);
          tool_table_add (table, att->user_id);
          tool_table_addf (table, "%s", when);
          if (verify != NULL)
            tool_table_addf (table, "%s", verify);
          else
            tool_table_addf (table, "%u", att->verify);
          if (state != NULL)
            tool_table_addf (table, "%s", state);
          else
            tool_table_addf (table, "%u", att->state);
          tool_table_addf (table, "%u", att->workcode);
        }
      if (records->len > 0)
        tool_table_print (table, tool->out);
      g_string_append_printf (tool->out, "%u attendance %s\n", records->len,
                              plural (records->len, "record", "records"));
    }
  return TRUE;
}

gboolean
run_time (Tool *tool, GError **error)
{
  ZkTime device_time = { 0 };
  g_autoptr (GTimeZone) local = g_time_zone_new_local ();
  g_autoptr (GDateTime) now = NULL;
  g_autoptr (GDateTime) device_dt = NULL;
  g_autofree char *device_text = NULL;
  g_autofree char *host_text = NULL;

  tool_step (tool, "reading the time");
  if (!zk_client_get_time (tool->client, &device_time, tool->cancellable, error))
    return FALSE;

  now = g_date_time_new_now (local);
  host_text = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S");
  device_text = zk_time_to_iso8601 (&device_time);
  /* NULL when the device holds an impossible date */
  device_dt = zk_time_to_date_time (&device_time, local);

  if (tool->json)
    {
      g_autoptr (ToolJson) json = tool_json_new (tool->out);

      tool_json_begin_object (json, NULL);
      tool_json_add_string (json, "time", device_text);
      tool_json_add_string (json, "host_time", host_text);
      if (device_dt != NULL)
        tool_json_add_int (json, "offset_s",
                           g_date_time_difference (device_dt, now) / G_TIME_SPAN_SECOND);
      else
        tool_json_add_null (json, "offset_s");
      tool_json_end_object (json);
      g_string_append_c (tool->out, '\n');
    }
  else
    {
      g_autoptr (ToolKeyValues) kv = tool_key_values_new ();

      tool_key_values_add (kv, "device time", device_text);
      tool_key_values_add (kv, "host time", host_text);
      if (device_dt != NULL)
        tool_key_values_addf (kv, "difference", "%+" G_GINT64_FORMAT " s (device - host)",
                              g_date_time_difference (device_dt, now) / G_TIME_SPAN_SECOND);
      else
        tool_key_values_addf (kv, "difference", "unknown (the device's date is impossible)");
      tool_key_values_print (kv, tool->out);
    }
  return TRUE;
}

gboolean
run_options (Tool *tool, GError **error)
{
  /* both forms are made while the options come; one is printed */
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (ToolJson) json = tool_json_new (text);
  g_autoptr (ToolKeyValues) kv = tool_key_values_new ();
  guint i;

  tool_json_begin_object (json, NULL);
  for (i = 0; i < tool->n_args; i++)
    {
      const char *name = tool->args[i];
      g_autoptr (GError) local_error = NULL;
      g_autofree char *value = NULL;

      tool_step (tool, "reading option %s", name);
      value = zk_client_get_option (tool->client, name, tool->cancellable, &local_error);
      if (value == NULL && !g_error_matches (local_error, ZK_ERROR, ZK_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      tool_json_add_string (json, name, value);
      if (value != NULL)
        tool_key_values_add (kv, name, value);
      else
        tool_key_values_addf (kv, name, "(not known to the device)");
    }
  tool_json_end_object (json);

  if (tool->json)
    g_string_append_printf (tool->out, "%s\n", text->str);
  else
    tool_key_values_print (kv, tool->out);
  return TRUE;
}
