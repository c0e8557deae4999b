/* zk-tool-write.c — biosync-zk commands that change the terminal:
 * set-time, set-user, delete-user, delete-template, clear-logs, enable,
 * disable. Writes are followed by CMD_REFRESHDATA
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "zk-tool.h"

#define DEFAULT_DISABLE_S 30
#define MAX_DISABLE_S 3600

static gboolean
privilege_from_string (const char *text, guint8 *privilege, GError **error)
{
  static const struct
  {
    const char *name;
    guint8 value;
  } roles[] = { { "user", 0 }, { "enroller", 2 }, { "admin", 6 }, { "superadmin", 14 } };
  guint64 value = 0;
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (roles); i++)
    {
      if (g_ascii_strcasecmp (text, roles[i].name) == 0)
        {
          *privilege = roles[i].value;
          return TRUE;
        }
    }
  if (!g_ascii_string_to_unsigned (text, 10, 0, 255, &value, NULL))
    {
      usage_error (error, "invalid --privilege '%s' (0-255, or user, enroller, admin, superadmin)",
                   text);
      return FALSE;
    }
  *privilege = (guint8)value;
  return TRUE;
}

gboolean
parse_set_time (Tool *tool, GError **error)
{
  const char *text = tool->n_args > 0 ? tool->args[0] : "now";
  g_autoptr (GDateTime) now = NULL;
  g_autoptr (GTimeZone) local = g_time_zone_new_local ();
  g_autoptr (GDateTime) parsed = NULL;
  g_autoptr (GDateTime) converted = NULL;

  if (g_ascii_strcasecmp (text, "now") == 0)
    {
      now = g_date_time_new_now (local);
      zk_time_from_date_time (now, &tool->device_time);
    }
  else if (!zk_time_from_iso8601 (text, &tool->device_time, NULL))
    {
      /* with an explicit offset ("Z", "+02:00"): convert to local time */
      parsed = g_date_time_new_from_iso8601 (text, local);
      if (parsed == NULL)
        {
          g_autofree char *shown = tool_escape (text);

          usage_error (error,
                       "invalid time '%s' (expected YYYY-MM-DDThh:mm:ss, local time, or 'now')",
                       shown);
          return FALSE;
        }
      converted = g_date_time_to_timezone (parsed, local);
      zk_time_from_date_time (converted, &tool->device_time);
    }

  if (!zk_time_is_valid (&tool->device_time) || tool->device_time.year < 2000
      || tool->device_time.year > 2099)
    {
      g_autofree char *shown = tool_escape (text);

      usage_error (error, "invalid time '%s' (a real date from 2000 to 2099)", shown);
      return FALSE;
    }
  return TRUE;
}

gboolean
parse_set_user (Tool *tool, GError **error)
{
  g_autoptr (ZkUser) user = zk_user_new ();
  const char *user_id = tool->args[1];
  const char *name = tool->args[2];
  guint64 value = 0;

  if (!parse_uid (tool->args[0], &user->uid, error))
    return FALSE;
  tool->uid = user->uid;
  tool->have_uid = TRUE;

  if (!check_text_argument (user_id, "USER_ID", sizeof user->user_id - 1, error))
    return FALSE;
  if (user_id[0] == '\0' || strcmp (user_id, "0") == 0)
    {
      usage_error (error, "USER_ID must not be empty or '0'");
      return FALSE;
    }
  g_strlcpy (user->user_id, user_id, sizeof user->user_id);

  /* longer names are cut by the library on a character boundary to
   * what the device's record holds */
  if (!check_text_argument (name, "NAME", 0, error))
    return FALSE;
  g_free (user->name);
  user->name = g_strdup (name);

  user->group = 1;
  if (tool->card_text != NULL)
    {
      if (!parse_number (tool->card_text, "--card", 0, G_MAXUINT32, &value, error))
        return FALSE;
      user->card = (guint32)value;
      tool->have_card = TRUE;
    }
  if (tool->privilege_text != NULL)
    {
      if (!privilege_from_string (tool->privilege_text, &user->privilege, error))
        return FALSE;
      tool->have_privilege = TRUE;
    }
  if (tool->group_text != NULL)
    {
      if (!parse_number (tool->group_text, "--group", 0, 255, &value, error))
        return FALSE;
      user->group = (guint8)value;
      tool->have_group = TRUE;
    }
  if (tool->password != NULL)
    {
      if (!check_text_argument (tool->password, "--password", sizeof user->password - 1, error))
        return FALSE;
      g_strlcpy (user->password, tool->password, sizeof user->password);
    }

  tool->user = g_steal_pointer (&user);
  return TRUE;
}

gboolean
parse_uid_only (Tool *tool, GError **error)
{
  tool->have_uid = TRUE;
  return parse_uid (tool->args[0], &tool->uid, error);
}

gboolean
parse_disable (Tool *tool, GError **error)
{
  guint64 value = DEFAULT_DISABLE_S;

  if (tool->n_args > 0 && !parse_number (tool->args[0], "SECONDS", 1, MAX_DISABLE_S, &value, error))
    return FALSE;
  tool->seconds = (guint)value;
  return TRUE;
}

gboolean
parse_clear_logs (Tool *tool, GError **error)
{
  if (!tool->yes)
    {
      usage_error (error, "clear-logs deletes every attendance record on the device; add --yes to "
                          "confirm");
      return FALSE;
    }
  return TRUE;
}

static gboolean
refresh (Tool *tool, GError **error)
{
  tool_step (tool, "refreshing the device's data");
  return zk_client_refresh_data (tool->client, tool->cancellable, error);
}

static void print_result (Tool *tool, const char *key, const char *value, const char *format, ...)
    G_GNUC_PRINTF (4, 5);

/* what a change did: {"@key": "@value"} with --json, else the text line */
static void
print_result (Tool *tool, const char *key, const char *value, const char *format, ...)
{
  va_list args;

  if (tool->json)
    {
      g_autoptr (ToolJson) json = tool_json_new (tool->out);

      tool_json_begin_object (json, NULL);
      tool_json_add_string (json, key, value);
      tool_json_end_object (json);
      g_string_append_c (tool->out, '\n');
      return;
    }
  va_start (args, format);
  g_string_append_vprintf (tool->out, format, args);
  va_end (args);
  g_string_append_c (tool->out, '\n');
}

gboolean
run_set_time (Tool *tool, GError **error)
{
  g_autofree char *text = zk_time_to_iso8601 (&tool->device_time);

  tool_step (tool, "setting the time to %s", text);
  if (!zk_client_set_time (tool->client, &tool->device_time, tool->cancellable, error))
    return FALSE;
  print_result (tool, "time", text, "time set to %s", text);
  return TRUE;
}

gboolean
run_set_user (Tool *tool, GError **error)
{
  g_autoptr (GPtrArray) users = tool_read_users (tool, error);
  g_autoptr (ZkUser) user = NULL;
  g_autofree char *shown_id = NULL;
  const ZkUser *existing = NULL;
  guint i;

  if (users == NULL)
    return FALSE;

  shown_id = tool_escape (tool->user->user_id);
  tool_step (tool, "writing user uid %u (user_id %s)", tool->user->uid, shown_id);

  /* the device's rules (§5.2), checked first for a clear message */
  for (i = 0; i < users->len; i++)
    {
      const ZkUser *other = users->pdata[i];

      if (other->uid == tool->user->uid && strcmp (other->user_id, tool->user->user_id) != 0)
        {
          /* raw text: the error line is escaped as a whole */
          g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                       "uid %u belongs to user_id %s; delete that user first or choose a free uid",
                       other->uid, other->user_id);
          return FALSE;
        }
      if (other->uid != tool->user->uid && strcmp (other->user_id, tool->user->user_id) == 0)
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                       "user_id %s already has uid %u; a user_id cannot move to another uid",
                       tool->user->user_id, other->uid);
          return FALSE;
        }
      if (other->uid == tool->user->uid)
        existing = other;
    }

  /* an update keeps what the command line does not say */
  if (existing != NULL)
    {
      user = zk_user_copy (existing);
      g_free (user->name);
      user->name = g_strdup (tool->user->name);
      if (tool->have_card)
        user->card = tool->user->card;
      if (tool->have_privilege)
        user->privilege = tool->user->privilege;
      if (tool->have_group)
        user->group = tool->user->group;
      if (tool->password != NULL)
        g_strlcpy (user->password, tool->user->password, sizeof user->password);
    }
  else
    {
      user = zk_user_copy (tool->user);
    }

  if (!zk_client_set_user (tool->client, user, tool->cancellable, error) || !refresh (tool, error))
    return FALSE;

  if (tool->json)
    {
      g_autoptr (ToolJson) json = tool_json_new (tool->out);

      tool_json_begin_object (json, NULL);
      tool_json_add_string (json, "result", existing != NULL ? "updated" : "created");
      tool_json_add_object (json, "user", zk_user_foreach_member, user);
      tool_json_end_object (json);
      g_string_append_c (tool->out, '\n');
    }
  else
    {
      g_string_append_printf (tool->out, "user uid %u (user_id %s) %s\n", user->uid, shown_id,
                              existing != NULL ? "updated" : "created");
    }
  return TRUE;
}

gboolean
run_delete_user (Tool *tool, GError **error)
{
  tool_step (tool, "deleting user uid %u", tool->uid);
  if (!zk_client_delete_user (tool->client, tool->uid, tool->cancellable, error)
      || !refresh (tool, error))
    return FALSE;
  print_result (tool, "result", "deleted", "user uid %u deleted", tool->uid);
  return TRUE;
}

gboolean
run_delete_template (Tool *tool, GError **error)
{
  tool_step (tool, "deleting the template of uid %u finger %u", tool->uid, tool->fid);
  if (!zk_client_delete_template (tool->client, tool->uid, tool->fid, tool->cancellable, error)
      || !refresh (tool, error))
    return FALSE;
  print_result (tool, "result", "deleted", "template of uid %u finger %u deleted", tool->uid,
                tool->fid);
  return TRUE;
}

gboolean
run_clear_logs (Tool *tool, GError **error)
{
  ZkSizes sizes = { 0 };

  tool_step (tool, "reading free sizes");
  if (!zk_client_get_sizes (tool->client, &sizes, tool->cancellable, error))
    return FALSE;
  tool_step (tool, "clearing attendance records");
  if (!zk_client_clear_attendance (tool->client, tool->cancellable, error)
      || !refresh (tool, error))
    return FALSE;

  if (tool->json)
    {
      g_autoptr (ToolJson) json = tool_json_new (tool->out);

      tool_json_begin_object (json, NULL);
      tool_json_add_string (json, "result", "cleared");
      tool_json_add_int (json, "records", sizes.records);
      tool_json_end_object (json);
      g_string_append_c (tool->out, '\n');
    }
  else
    {
      g_string_append_printf (tool->out, "%d attendance %s cleared\n", sizes.records,
                              plural ((guint)sizes.records, "record", "records"));
    }
  return TRUE;
}

gboolean
run_enable (Tool *tool, GError **error)
{
  tool_step (tool, "enabling the device");
  if (!zk_client_enable (tool->client, tool->cancellable, error))
    return FALSE;
  print_result (tool, "result", "enabled", "device enabled");
  return TRUE;
}

static void
flush_out (Tool *tool)
{
  fwrite (tool->out->str, 1, tool->out->len, stdout);
  fflush (stdout);
  g_string_truncate (tool->out, 0);
}

gboolean
run_disable (Tool *tool, GError **error)
{
  gint64 deadline;

  tool_step (tool, "disabling the device");
  /* the device re-enables itself after @seconds even if we die */
  if (!zk_client_disable (tool->client, tool->seconds, tool->cancellable, error))
    return FALSE;
  if (!tool->json)
    {
      g_string_append_printf (tool->out, "device disabled for %u s (Ctrl-C enables it now)\n",
                              tool->seconds);
      flush_out (tool);
    }

  deadline = g_get_monotonic_time () + (gint64)tool->seconds * G_TIME_SPAN_SECOND;
  while (!g_cancellable_is_cancelled (tool->cancellable) && g_get_monotonic_time () < deadline)
    g_usleep (50 * 1000);

  tool_step (tool, "enabling the device");
  /* not cancellable: an interrupt means "enable now" */
  if (!zk_client_enable (tool->client, NULL, error))
    return FALSE;
  print_result (tool, "result", "enabled", "device enabled");
  return TRUE;
}
