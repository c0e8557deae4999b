/* zk-tool.c — biosync-zk: talk to one ZK terminal directly
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The field engineer's diagnostic tool and what scripts use. The
 * command runs on a worker thread with blocking ZkClient calls; the
 * main thread only waits for it and turns SIGINT/SIGTERM into a
 * cancellation, so an interrupted transfer still ends with CMD_EXIT
 * (a device left disabled by a dead session shows "Working…").
 *
 * Exit status: 0 success, 1 device or I/O error, 2 bad usage,
 * 130 interrupted.
 */
#include "config.h"

#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "zk-client.h"

#define PROGRAM "biosync-zk"
#define DEFAULT_PORT 4370
#define DEFAULT_TIMEOUT_MS 5000
#define MAX_TIMEOUT_MS (10 * 60 * 1000)
#define DEFAULT_DISABLE_S 30
#define MAX_DISABLE_S 3600
#define MAX_WARNINGS_SHOWN 10
/* output beyond this goes to stdout at once (big tables) */
#define OUT_FLUSH_BYTES (64 * 1024)
#define KEY_ENV "BIOSYNC_ZK_KEY"

#define EXIT_DEVICE 1
#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 130

typedef struct _Tool Tool;

typedef struct
{
  const char *name;
  const char *synopsis; /* the arguments, for --help */
  const char *help;
  guint min_args;
  guint max_args; /* G_MAXUINT = any number */
  gboolean (*parse) (Tool *tool, GError **error);
  gboolean (*run) (Tool *tool, GError **error);
} Command;

struct _Tool
{
  /* options */
  gboolean use_tcp;
  gboolean use_udp;
  gboolean use_auto;
  char *key_text;
  char *timeout_text;
  gboolean json;
  gboolean yes;
  gboolean stats;
  gboolean version;
  char *encoding;
  char *card_text;
  char *privilege_text;
  char *password;
  char *group_text;
  char **positional;

  /* validated */
  char *host;
  guint16 port;
  char *label; /* "host:port" or "[v6]:port", for messages */
  ZkTransport transport;
  gboolean have_key;
  guint32 key;
  guint timeout_ms;
  const Command *command;
  char **args; /* the command's arguments (points into positional) */
  guint n_args;

  /* parsed command arguments */
  guint16 uid;
  gboolean have_uid;
  guint8 fid;
  guint seconds;
  ZkTime device_time;
  ZkUser *user; /* set-user: the fields given on the command line */
  gboolean have_card;
  gboolean have_privilege;
  gboolean have_group;

  /* runtime */
  ZkClient *client;
  GCancellable *cancellable;
  GMainLoop *loop;
  GString *out;
  char *step; /* what the tool was doing, for the error line */
  GPtrArray *warnings;
  int exit_status;
};

/* ----------------------------------------------------------- helpers */

static void
tool_free (Tool *tool)
{
  g_free (tool->key_text);
  g_free (tool->timeout_text);
  g_free (tool->encoding);
  g_free (tool->card_text);
  g_free (tool->privilege_text);
  g_free (tool->password);
  g_free (tool->group_text);
  g_strfreev (tool->positional);
  g_free (tool->host);
  g_free (tool->label);
  g_clear_pointer (&tool->user, zk_user_free);
  g_clear_object (&tool->client);
  g_clear_object (&tool->cancellable);
  g_clear_pointer (&tool->loop, g_main_loop_unref);
  if (tool->out != NULL)
    g_string_free (tool->out, TRUE);
  g_free (tool->step);
  g_clear_pointer (&tool->warnings, g_ptr_array_unref);
  g_free (tool);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Tool, tool_free)

static void tool_step (Tool *tool, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* remembers what is being done, so that an error names it */
static void
tool_step (Tool *tool, const char *format, ...)
{
  va_list args;

  g_free (tool->step);
  va_start (args, format);
  tool->step = g_strdup_vprintf (format, args);
  va_end (args);
}

static void usage_error (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
usage_error (GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, message);
}

/* appends @text so that nothing but printable UTF-8 reaches a terminal:
 * invalid bytes and control characters become \xNN, backslashes double */
static void
append_escaped (GString *out, const char *text)
{
  const char *p = text;
  const char *end;

  if (text == NULL)
    return;
  end = text + strlen (text);
  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar)-1 || c == (gunichar)-2)
        {
          g_string_append_printf (out, "\\x%02x", (guint)(guchar)*p);
          p++;
          continue;
        }
      if (c == '\\')
        g_string_append (out, "\\\\");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", (guint)c);
      else if (c >= 0x80 && c < 0xa0)
        g_string_append_printf (out, "\\u%04x", (guint)c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
}

static char *
escape (const char *text)
{
  GString *out = g_string_new (NULL);

  append_escaped (out, text);
  return g_string_free (out, FALSE);
}

/* columns a (valid UTF-8) string takes on a terminal */
static gsize
display_width (const char *text)
{
  gsize width = 0;
  const char *p;

  for (p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iszerowidth (c))
        continue;
      width += g_unichar_iswide (c) ? 2 : 1;
    }
  return width;
}

static void
append_padded (GString *out, const char *text, gsize width, gboolean right)
{
  gsize have = display_width (text);
  gsize pad = have < width ? width - have : 0;

  if (right)
    g_string_append_printf (out, "%*s", (int)pad, "");
  g_string_append (out, text);
  if (!right)
    g_string_append_printf (out, "%*s", (int)pad, "");
}

/* ------------------------------------------------------------- tables */

typedef struct
{
  guint n_columns;
  guint32 right;    /* bit i: column i aligned right */
  GPtrArray *cells; /* escaped strings, row by row; the first row = headers */
} Table;

static Table *
table_new (guint32 right, const char *first_header, ...)
{
  Table *table = g_new0 (Table, 1);
  const char *header;
  va_list args;

  table->right = right;
  table->cells = g_ptr_array_new_with_free_func (g_free);
  va_start (args, first_header);
  for (header = first_header; header != NULL; header = va_arg (args, const char *))
    {
      g_ptr_array_add (table->cells, g_strdup (header));
      table->n_columns++;
    }
  va_end (args);
  return table;
}

static void
table_free (Table *table)
{
  g_ptr_array_unref (table->cells);
  g_free (table);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Table, table_free)

/* adds a cell from device or user text (escaped here) */
static void
table_add (Table *table, const char *text)
{
  g_ptr_array_add (table->cells, escape (text != NULL ? text : "-"));
}

static void table_addf (Table *table, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* adds a cell built by the tool itself (numbers, fixed words) */
static void
table_addf (Table *table, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (table->cells, g_strdup_vprintf (format, args));
  va_end (args);
}

static void
table_print (const Table *table, GString *out)
{
  g_autofree gsize *widths = g_new0 (gsize, table->n_columns);
  guint i;

  g_assert (table->cells->len % table->n_columns == 0);
  for (i = 0; i < table->cells->len; i++)
    {
      guint column = i % table->n_columns;

      widths[column] = MAX (widths[column], display_width (table->cells->pdata[i]));
    }
  for (i = 0; i < table->cells->len; i++)
    {
      guint column = i % table->n_columns;
      gboolean last = column == table->n_columns - 1;
      gboolean right = (table->right & (1u << column)) != 0;

      append_padded (out, table->cells->pdata[i], last && !right ? 0 : widths[column], right);
      g_string_append (out, last ? "\n" : "  ");
    }
}

/* "key: value" lines with the values aligned */
typedef struct
{
  GPtrArray *keys;
  GPtrArray *values;
} KeyValues;

static KeyValues *
key_values_new (void)
{
  KeyValues *kv = g_new0 (KeyValues, 1);

  kv->keys = g_ptr_array_new_with_free_func (g_free);
  kv->values = g_ptr_array_new_with_free_func (g_free);
  return kv;
}

static void
key_values_free (KeyValues *kv)
{
  g_ptr_array_unref (kv->keys);
  g_ptr_array_unref (kv->values);
  g_free (kv);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KeyValues, key_values_free)

/* @value is device or user text: escaped here; NULL shows as "-" */
static void
key_values_add (KeyValues *kv, const char *key, const char *value)
{
  g_ptr_array_add (kv->keys, g_strdup_printf ("%s:", key));
  g_ptr_array_add (kv->values, escape (value != NULL ? value : "-"));
}

static void key_values_addf (KeyValues *kv, const char *key, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

static void
key_values_addf (KeyValues *kv, const char *key, const char *format, ...)
{
  va_list args;

  g_ptr_array_add (kv->keys, g_strdup_printf ("%s:", key));
  va_start (args, format);
  g_ptr_array_add (kv->values, g_strdup_vprintf (format, args));
  va_end (args);
}

static void
key_values_print (const KeyValues *kv, GString *out)
{
  gsize width = 0;
  guint i;

  for (i = 0; i < kv->keys->len; i++)
    width = MAX (width, display_width (kv->keys->pdata[i]));
  for (i = 0; i < kv->keys->len; i++)
    {
      append_padded (out, kv->keys->pdata[i], width + 1, FALSE);
      g_string_append_printf (out, "%s\n", (const char *)kv->values->pdata[i]);
    }
}

/* --------------------------------------------------------------- json */

/* JSON strings must be text: the client hands out device strings made safe
 * (zk-text.h); what is not (the user's own arguments) is made safe here, so
 * no control character reaches json-glib, which writes U+001F unescaped */
static void
json_add_string (JsonBuilder *builder, const char *key, const char *value)
{
  json_builder_set_member_name (builder, key);
  if (value == NULL)
    {
      json_builder_add_null_value (builder);
    }
  else
    {
      g_autofree char *valid = zk_text_display (value, -1);

      json_builder_add_string_value (builder, valid);
    }
}

static void
json_add_int (JsonBuilder *builder, const char *key, gint64 value)
{
  json_builder_set_member_name (builder, key);
  json_builder_add_int_value (builder, value);
}

static void
json_add_bool (JsonBuilder *builder, const char *key, gboolean value)
{
  json_builder_set_member_name (builder, key);
  json_builder_add_boolean_value (builder, value);
}

static void
json_add_base64 (JsonBuilder *builder, const char *key, GBytes *bytes)
{
  gsize len = 0;
  const guint8 *data = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;
  g_autofree char *text = g_base64_encode (data, len);

  json_add_string (builder, key, text);
}

/* big output goes out while it is made; only a command that read
 * everything prints, so nothing half is printed for a failed one */
static void
tool_flush_out (Tool *tool)
{
  if (tool->out->len < OUT_FLUSH_BYTES)
    return;
  fwrite (tool->out->str, 1, tool->out->len, stdout);
  g_string_truncate (tool->out, 0);
}

typedef void (*JsonElementFunc) (JsonBuilder *builder, gconstpointer element);

/* a JSON array as json-glib prints it, one element at a time: no tree of
 * every record, and the text leaves as it grows */
static void
tool_print_json_array (Tool *tool, GPtrArray *elements, JsonElementFunc add)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  guint i;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  g_string_append (tool->out, "[");
  for (i = 0; i < elements->len; i++)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;
      g_auto (GStrv) lines = NULL;

      add (builder, elements->pdata[i]);
      root = json_builder_get_root (builder);
      json_generator_set_root (generator, root);
      text = json_generator_to_data (generator, NULL);
      lines = g_strsplit (text, "\n", -1);
      for (guint j = 0; lines[j] != NULL; j++)
        g_string_append_printf (tool->out, "\n  %s", lines[j]);
      if (i + 1 < elements->len)
        g_string_append_c (tool->out, ',');
      tool_flush_out (tool);
    }
  g_string_append (tool->out, elements->len > 0 ? "\n]\n" : "]\n");
}

static void
tool_print_json (Tool *tool, JsonBuilder *builder)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_string_append (tool->out, text);
  g_string_append_c (tool->out, '\n');
}

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

static void
json_add_user (JsonBuilder *builder, gconstpointer element)
{
  const ZkUser *user = element;

  json_builder_begin_object (builder);
  json_add_int (builder, "uid", user->uid);
  json_add_int (builder, "privilege", user->privilege);
  json_add_string (builder, "password", user->password);
  json_add_string (builder, "name", user->name != NULL ? user->name : "");
  json_add_int (builder, "card", user->card);
  json_add_int (builder, "group", user->group);
  json_add_string (builder, "user_id", user->user_id);
  json_builder_end_object (builder);
}

/* fingerprints and faces alike */
static void
json_add_template (JsonBuilder *builder, gconstpointer element)
{
  const ZkTemplate *tmpl = element;

  json_builder_begin_object (builder);
  json_add_int (builder, "uid", tmpl->uid);
  json_add_int (builder, "fid", tmpl->fid);
  json_add_int (builder, "valid", tmpl->valid);
  json_add_base64 (builder, "template", tmpl->data);
  json_builder_end_object (builder);
}

static void
json_add_punch (JsonBuilder *builder, gconstpointer element)
{
  const ZkAttendance *att = element;
  g_autofree char *when = zk_time_to_iso8601 (&att->time);

  json_builder_begin_object (builder);
  json_add_int (builder, "uid", att->uid);
  json_add_string (builder, "user_id", att->user_id);
  json_add_int (builder, "verify", att->verify);
  json_add_string (builder, "time", when);
  json_add_int (builder, "state", att->state);
  json_add_int (builder, "workcode", att->workcode);
  json_builder_end_object (builder);
}

static gsize
bytes_size (GBytes *bytes)
{
  return bytes != NULL ? g_bytes_get_size (bytes) : 0;
}

static const char *
plural (guint n, const char *one, const char *many)
{
  return n == 1 ? one : many;
}

static void
tool_note_warnings (Tool *tool)
{
  /* decoders skip malformed records with a reason: say so on stderr,
   * the output itself stays clean for scripts */
  guint i;

  for (i = 0; i < tool->warnings->len && i < MAX_WARNINGS_SHOWN; i++)
    {
      g_autofree char *text = escape (tool->warnings->pdata[i]);

      g_printerr ("%s: %s: warning: %s\n", PROGRAM, tool->label, text);
    }
  if (tool->warnings->len > MAX_WARNINGS_SHOWN)
    g_printerr ("%s: %s: warning: and %u more reasons\n", PROGRAM, tool->label,
                tool->warnings->len - MAX_WARNINGS_SHOWN);
  g_ptr_array_set_size (tool->warnings, 0);
}

/* ------------------------------------------------------ argument parsing */

static gboolean
parse_number (
    const char *text, const char *what, guint64 min, guint64 max, guint64 *value, GError **error)
{
  if (!g_ascii_string_to_unsigned (text, 10, min, max, value, NULL))
    {
      g_autofree char *shown = escape (text);

      usage_error (error,
                   "invalid %s '%s' (a number from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT ")",
                   what, shown, min, max);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_uid (const char *text, guint16 *uid, GError **error)
{
  guint64 value = 0;

  if (!parse_number (text, "UID", 1, 65534, &value, error))
    return FALSE;
  *uid = (guint16)value;
  return TRUE;
}

static gboolean
parse_fid (const char *text, guint8 *fid, guint max, GError **error)
{
  guint64 value = 0;

  if (!parse_number (text, "FID", 0, max, &value, error))
    return FALSE;
  *fid = (guint8)value;
  return TRUE;
}

/* HOST, HOST:PORT, [V6], [V6]:PORT, or a bare IPv6 address */
static gboolean
parse_address (Tool *tool, const char *text, GError **error)
{
  g_autofree char *host = NULL;
  const char *port_text = NULL;
  guint64 port = DEFAULT_PORT;
  const char *p;

  if (text[0] == '[')
    {
      const char *close = strchr (text, ']');

      if (close == NULL || close == text + 1 || (close[1] != '\0' && close[1] != ':'))
        {
          usage_error (error, "invalid address '%s' (expected [IPV6] or [IPV6]:PORT)", text);
          return FALSE;
        }
      host = g_strndup (text + 1, close - text - 1);
      if (close[1] == ':')
        port_text = close + 2;
    }
  else
    {
      const char *colon = strchr (text, ':');

      if (colon != NULL && strchr (colon + 1, ':') != NULL)
        {
          host = g_strdup (text); /* a bare IPv6 address: the default port */
        }
      else if (colon != NULL)
        {
          host = g_strndup (text, colon - text);
          port_text = colon + 1;
        }
      else
        {
          host = g_strdup (text);
        }
    }

  for (p = host; *p != '\0'; p++)
    {
      if (g_ascii_isspace (*p) || g_ascii_iscntrl (*p) || *p == '/' || *p == '@')
        break;
    }
  if (host[0] == '\0' || *p != '\0' || !g_utf8_validate (host, -1, NULL))
    {
      g_autofree char *shown = escape (text);

      usage_error (error, "invalid host in '%s'", shown);
      return FALSE;
    }
  if (port_text != NULL && !g_ascii_string_to_unsigned (port_text, 10, 1, 65535, &port, NULL))
    {
      g_autofree char *shown = escape (text);

      usage_error (error, "invalid port in '%s' (a number from 1 to 65535)", shown);
      return FALSE;
    }

  tool->port = (guint16)port;
  if (strchr (host, ':') != NULL)
    tool->label = g_strdup_printf ("[%s]:%u", host, (guint)tool->port);
  else
    tool->label = g_strdup_printf ("%s:%u", host, (guint)tool->port);
  tool->host = g_steal_pointer (&host);
  return TRUE;
}

static gboolean
check_text_argument (const char *text, const char *what, gsize max_bytes, GError **error)
{
  const char *p;

  if (!g_utf8_validate (text, -1, NULL))
    {
      usage_error (error, "%s is not valid UTF-8", what);
      return FALSE;
    }
  for (p = text; *p != '\0'; p++)
    {
      if (g_ascii_iscntrl (*p))
        {
          usage_error (error, "%s contains a control character", what);
          return FALSE;
        }
    }
  if (max_bytes > 0 && strlen (text) > max_bytes)
    {
      g_autofree char *shown = escape (text);

      usage_error (error, "%s '%s' is too long (at most %" G_GSIZE_FORMAT " bytes)", what, shown,
                   max_bytes);
      return FALSE;
    }
  return TRUE;
}

/* -------------------------------------------------- command: parsing */

static gboolean
parse_uid_fid (Tool *tool, GError **error)
{
  if (!parse_uid (tool->args[0], &tool->uid, error))
    return FALSE;
  tool->have_uid = TRUE;
  return parse_fid (tool->args[1], &tool->fid, 9, error);
}

static gboolean
parse_optional_uid (Tool *tool, GError **error)
{
  if (tool->n_args == 0)
    return TRUE;
  tool->have_uid = TRUE;
  return parse_uid (tool->args[0], &tool->uid, error);
}

static gboolean
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
          g_autofree char *shown = escape (text);

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
      g_autofree char *shown = escape (text);

      usage_error (error, "invalid time '%s' (a real date from 2000 to 2099)", shown);
      return FALSE;
    }
  return TRUE;
}

static gboolean
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

static gboolean
parse_uid_only (Tool *tool, GError **error)
{
  tool->have_uid = TRUE;
  return parse_uid (tool->args[0], &tool->uid, error);
}

static gboolean
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
          g_autofree char *shown = escape (name);

          usage_error (error, "invalid option name '%s'", shown);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
parse_disable (Tool *tool, GError **error)
{
  guint64 value = DEFAULT_DISABLE_S;

  if (tool->n_args > 0 && !parse_number (tool->args[0], "SECONDS", 1, MAX_DISABLE_S, &value, error))
    return FALSE;
  tool->seconds = (guint)value;
  return TRUE;
}

static gboolean
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

/* -------------------------------------------------- command: running */

static void
add_sizes_rows (Table *table, const ZkSizes *sizes)
{
  /* capacities of 0 mean "not reported" */
  table_addf (table, "users");
  table_addf (table, "%d", sizes->users);
  table_addf (table, "%d", sizes->user_capacity);
  table_addf (table, "%d", sizes->users_available);

  table_addf (table, "fingerprints");
  table_addf (table, "%d", sizes->fingers);
  table_addf (table, "%d", sizes->finger_capacity);
  table_addf (table, "%d", sizes->fingers_available);

  table_addf (table, "records");
  table_addf (table, "%d", sizes->records);
  table_addf (table, "%d", sizes->record_capacity);
  table_addf (table, "%d", sizes->records_available);

  if (sizes->n_ints >= 23)
    {
      table_addf (table, "face users");
      table_addf (table, "%d", sizes->faces);
      table_addf (table, "%d", sizes->face_capacity);
      table_addf (table, "%d", MAX (sizes->face_capacity - sizes->faces, 0));
    }

  table_addf (table, "admins");
  table_addf (table, "%d", sizes->admins);
  table_addf (table, "-");
  table_addf (table, "-");

  table_addf (table, "passwords");
  table_addf (table, "%d", sizes->passwords);
  table_addf (table, "-");
  table_addf (table, "-");

  table_addf (table, "operation log");
  table_addf (table, "%d", sizes->oplogs);
  table_addf (table, "-");
  table_addf (table, "-");
}

static void
json_add_sizes (JsonBuilder *builder, const ZkSizes *sizes)
{
  json_builder_begin_object (builder);
  json_add_int (builder, "users", sizes->users);
  json_add_int (builder, "user_capacity", sizes->user_capacity);
  json_add_int (builder, "users_available", sizes->users_available);
  json_add_int (builder, "fingers", sizes->fingers);
  json_add_int (builder, "finger_capacity", sizes->finger_capacity);
  json_add_int (builder, "fingers_available", sizes->fingers_available);
  json_add_int (builder, "records", sizes->records);
  json_add_int (builder, "record_capacity", sizes->record_capacity);
  json_add_int (builder, "records_available", sizes->records_available);
  json_add_int (builder, "faces", sizes->faces);
  json_add_int (builder, "face_capacity", sizes->face_capacity);
  json_add_int (builder, "admins", sizes->admins);
  json_add_int (builder, "passwords", sizes->passwords);
  json_add_int (builder, "oplogs", sizes->oplogs);
  json_builder_end_object (builder);
}

static gboolean
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
      g_autoptr (JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_add_string (builder, "host", tool->host);
      json_add_int (builder, "port", tool->port);
      json_add_string (builder, "transport", transport);
      json_add_string (builder, "serial", info.serial);
      json_add_string (builder, "device_name", info.device_name);
      json_add_string (builder, "platform", info.platform);
      json_add_string (builder, "firmware", info.firmware);
      json_add_string (builder, "fp_version", info.fp_version);
      json_add_string (builder, "face_version", info.face_version);
      json_add_bool (builder, "face_on", info.face_on);
      json_add_bool (builder, "face_capable", face_capable);
      json_add_int (builder, "pin_width", info.pin_width);
      json_add_int (builder, "user_width", info.user_width);
      json_add_string (builder, "time", time_text);
      json_builder_set_member_name (builder, "sizes");
      json_add_sizes (builder, &info.sizes);
      json_builder_end_object (builder);
      tool_print_json (tool, builder);
    }
  else
    {
      g_autoptr (KeyValues) kv = key_values_new ();
      g_autoptr (Table) table = table_new (0xe, "", "USED", "CAPACITY", "FREE", NULL);

      key_values_addf (kv, "device", "%s (%s)", tool->label, transport);
      key_values_add (kv, "serial", info.serial);
      key_values_add (kv, "model", info.device_name);
      key_values_add (kv, "platform", info.platform);
      key_values_add (kv, "firmware", info.firmware);
      key_values_add (kv, "fingerprint algorithm", info.fp_version);
      if (face_capable)
        key_values_add (kv, "face algorithm", info.face_version);
      else
        key_values_addf (kv, "face algorithm", "none");
      key_values_addf (kv, "face function", "%s", info.face_on ? "on" : "off");
      key_values_addf (kv, "user_id width", "%u", info.pin_width);
      if (info.user_width != 0)
        key_values_addf (kv, "user record", "%u bytes", info.user_width);
      else
        key_values_addf (kv, "user record", "unknown");
      key_values_add (kv, "time", time_text);
      key_values_print (kv, tool->out);
      g_string_append_c (tool->out, '\n');
      add_sizes_rows (table, &info.sizes);
      table_print (table, tool->out);
    }

  zk_device_info_clear (&info);
  return TRUE;
}

static gboolean
run_sizes (Tool *tool, GError **error)
{
  ZkSizes sizes = { 0 };

  tool_step (tool, "reading free sizes");
  if (!zk_client_get_sizes (tool->client, &sizes, tool->cancellable, error))
    return FALSE;

  if (tool->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();

      json_add_sizes (builder, &sizes);
      tool_print_json (tool, builder);
    }
  else
    {
      g_autoptr (Table) table = table_new (0xe, "", "USED", "CAPACITY", "FREE", NULL);

      add_sizes_rows (table, &sizes);
      table_print (table, tool->out);
    }
  return TRUE;
}

static void
print_users (Tool *tool, GPtrArray *users)
{
  guint i;

  if (tool->json)
    {
      tool_print_json_array (tool, users, json_add_user);
    }
  else
    {
      g_autoptr (Table) table = table_new (0x61, "UID", "USER_ID", "NAME", "PRIVILEGE", "PASSWORD",
                                           "CARD", "GROUP", NULL);

      for (i = 0; i < users->len; i++)
        {
          const ZkUser *user = users->pdata[i];
          g_autofree char *privilege = privilege_to_string (user->privilege);

          table_addf (table, "%u", user->uid);
          /* no PIN: the device holds one that is not clean (see the warning) */
          table_add (table, user->user_id[0] != '\0' ? user->user_id : NULL);
          table_add (table, user->name != NULL ? user->name : "");
          table_addf (table, "%s", privilege);
          /* a diagnostic listing shows that a password exists, not what it is */
          table_addf (table, "%s", user->password[0] != '\0' ? "yes" : "-");
          if (user->card != 0)
            table_addf (table, "%u", user->card);
          else
            table_addf (table, "-");
          table_addf (table, "%u", user->group);
        }
      if (users->len > 0)
        table_print (table, tool->out);
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

static GPtrArray *
read_users (Tool *tool, GError **error)
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

static gboolean
run_users (Tool *tool, GError **error)
{
  g_autoptr (GPtrArray) users = read_users (tool, error);

  if (users == NULL)
    return FALSE;
  print_users (tool, users);
  return TRUE;
}

static gboolean
run_fingers (Tool *tool, GError **error)
{
  g_autoptr (GPtrArray) templates = NULL;
  guint i;

  if (!tool_limit_reads (tool, error))
    return FALSE;
  tool_step (tool, "reading fingerprint templates");
  templates = zk_client_read_templates (tool->client, tool->warnings, tool->cancellable, error);
  if (templates == NULL)
    return FALSE;
  tool_note_warnings (tool);

  if (tool->json)
    {
      tool_print_json_array (tool, templates, json_add_template);
    }
  else
    {
      g_autoptr (Table) table = table_new (0xf, "UID", "FID", "VALID", "SIZE", NULL);

      for (i = 0; i < templates->len; i++)
        {
          const ZkTemplate *tmpl = templates->pdata[i];

          table_addf (table, "%u", tmpl->uid);
          table_addf (table, "%u", tmpl->fid);
          table_addf (table, "%u", tmpl->valid);
          table_addf (table, "%" G_GSIZE_FORMAT, bytes_size (tmpl->data));
        }
      if (templates->len > 0)
        table_print (table, tool->out);
      g_string_append_printf (tool->out, "%u fingerprint %s\n", templates->len,
                              plural (templates->len, "template", "templates"));
    }
  return TRUE;
}

static gboolean
run_template (Tool *tool, GError **error)
{
  g_autoptr (ZkTemplate) tmpl = NULL;

  tool_step (tool, "reading the template of uid %u finger %u", tool->uid, tool->fid);
  tmpl = zk_client_read_template (tool->client, tool->uid, tool->fid, tool->cancellable, error);
  if (tmpl == NULL)
    return FALSE;

  if (tool->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();

      json_add_template (builder, tmpl);
      tool_print_json (tool, builder);
    }
  else
    {
      g_autoptr (KeyValues) kv = key_values_new ();
      gsize len = 0;
      const guint8 *data = tmpl->data != NULL ? g_bytes_get_data (tmpl->data, &len) : NULL;
      g_autofree char *base64 = g_base64_encode (data, len);

      key_values_addf (kv, "uid", "%u", tmpl->uid);
      key_values_addf (kv, "fid", "%u", tmpl->fid);
      key_values_addf (kv, "valid", "%u", tmpl->valid);
      key_values_addf (kv, "size", "%" G_GSIZE_FORMAT " bytes", len);
      key_values_addf (kv, "template", "%s", base64);
      key_values_print (kv, tool->out);
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

static gboolean
run_faces (Tool *tool, GError **error)
{
  g_autoptr (GPtrArray) faces = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_face_free);
  g_autoptr (GPtrArray) users = NULL;
  guint n_users = 0;
  guint i;

  if (tool->have_uid)
    {
      g_autoptr (GPtrArray) some = read_faces_of (tool, tool->uid, error);

      if (some == NULL)
        return FALSE;
      g_ptr_array_extend_and_steal (faces, g_steal_pointer (&some));
    }
  else
    {
      ZkDeviceInfo info = { 0 };
      gboolean capable;

      tool_step (tool, "reading device information");
      if (!zk_client_get_info (tool->client, &info, tool->cancellable, error))
        return FALSE;
      capable = zk_device_info_face_capable (&info);
      zk_device_info_clear (&info);
      if (!capable)
        {
          tool_step (tool, "reading faces");
          g_set_error_literal (error, ZK_ERROR, ZK_ERROR_UNSUPPORTED,
                               "the device has no face function (FaceFunOn/ZKFaceVersion)");
          return FALSE;
        }

      users = read_users (tool, error);
      if (users == NULL)
        return FALSE;
      for (i = 0; i < users->len; i++)
        {
          const ZkUser *user = users->pdata[i];
          g_autoptr (GPtrArray) some = read_faces_of (tool, user->uid, error);

          if (some == NULL)
            return FALSE;
          if (some->len > 0)
            n_users++;
          g_ptr_array_extend_and_steal (faces, g_steal_pointer (&some));
        }
    }

  if (tool->json)
    {
      tool_print_json_array (tool, faces, json_add_template);
    }
  else
    {
      g_autoptr (Table) table = table_new (0xf, "UID", "FID", "VALID", "SIZE", NULL);

      for (i = 0; i < faces->len; i++)
        {
          const ZkFace *face = faces->pdata[i];

          table_addf (table, "%u", face->uid);
          table_addf (table, "%u", face->fid);
          table_addf (table, "%u", face->valid);
          table_addf (table, "%" G_GSIZE_FORMAT, bytes_size (face->data));
        }
      if (faces->len > 0)
        table_print (table, tool->out);
      g_string_append_printf (tool->out, "%u face %s", faces->len,
                              plural (faces->len, "template", "templates"));
      if (users != NULL)
        g_string_append_printf (tool->out, " (%u of %u %s)", n_users, users->len,
                                plural (users->len, "user", "users"));
      g_string_append_c (tool->out, '\n');
    }
  return TRUE;
}

static gboolean
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
      tool_print_json_array (tool, records, json_add_punch);
    }
  else
    {
      g_autoptr (Table) table
          = table_new (0x21, "UID", "USER_ID", "TIME", "VERIFY", "STATE", "WORKCODE", NULL);

      for (i = 0; i < records->len; i++)
        {
          const ZkAttendance *att = records->pdata[i];
          g_autofree char *when = zk_time_to_iso8601 (&att->time);
          const char *verify = verify_name (att->verify);
          const char *state = state_name (att->state);

          table_addf (table, "%u", att->uid);
          table_add (table, att->user_id);
          table_addf (table, "%s", when);
          if (verify != NULL)
            table_addf (table, "%s", verify);
          else
            table_addf (table, "%u", att->verify);
          if (state != NULL)
            table_addf (table, "%s", state);
          else
            table_addf (table, "%u", att->state);
          table_addf (table, "%u", att->workcode);
        }
      if (records->len > 0)
        table_print (table, tool->out);
      g_string_append_printf (tool->out, "%u attendance %s\n", records->len,
                              plural (records->len, "record", "records"));
    }
  return TRUE;
}

static gboolean
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
      g_autoptr (JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_add_string (builder, "time", device_text);
      json_add_string (builder, "host_time", host_text);
      json_builder_set_member_name (builder, "offset_s");
      if (device_dt != NULL)
        json_builder_add_int_value (builder,
                                    g_date_time_difference (device_dt, now) / G_TIME_SPAN_SECOND);
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
      tool_print_json (tool, builder);
    }
  else
    {
      g_autoptr (KeyValues) kv = key_values_new ();

      key_values_add (kv, "device time", device_text);
      key_values_add (kv, "host time", host_text);
      if (device_dt != NULL)
        key_values_addf (kv, "difference", "%+" G_GINT64_FORMAT " s (device - host)",
                         g_date_time_difference (device_dt, now) / G_TIME_SPAN_SECOND);
      else
        key_values_addf (kv, "difference", "unknown (the device's date is impossible)");
      key_values_print (kv, tool->out);
    }
  return TRUE;
}

static gboolean
refresh (Tool *tool, GError **error)
{
  tool_step (tool, "refreshing the device's data");
  return zk_client_refresh_data (tool->client, tool->cancellable, error);
}

static void
print_done (Tool *tool, const char *action, const char *message)
{
  if (tool->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_add_string (builder, "result", action);
      json_builder_end_object (builder);
      tool_print_json (tool, builder);
    }
  else
    {
      g_string_append_printf (tool->out, "%s\n", message);
    }
}

static gboolean
run_set_time (Tool *tool, GError **error)
{
  g_autofree char *text = zk_time_to_iso8601 (&tool->device_time);

  tool_step (tool, "setting the time to %s", text);
  if (!zk_client_set_time (tool->client, &tool->device_time, tool->cancellable, error))
    return FALSE;

  if (tool->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_add_string (builder, "time", text);
      json_builder_end_object (builder);
      tool_print_json (tool, builder);
    }
  else
    {
      g_string_append_printf (tool->out, "time set to %s\n", text);
    }
  return TRUE;
}

static gboolean
run_set_user (Tool *tool, GError **error)
{
  g_autoptr (GPtrArray) users = read_users (tool, error);
  g_autoptr (ZkUser) user = NULL;
  g_autofree char *shown_id = NULL;
  const ZkUser *existing = NULL;
  guint i;

  if (users == NULL)
    return FALSE;

  shown_id = escape (tool->user->user_id);
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

  if (!zk_client_set_user (tool->client, user, tool->cancellable, error))
    return FALSE;
  if (!refresh (tool, error))
    return FALSE;

  if (tool->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_add_string (builder, "result", existing != NULL ? "updated" : "created");
      json_builder_set_member_name (builder, "user");
      json_add_user (builder, user);
      json_builder_end_object (builder);
      tool_print_json (tool, builder);
    }
  else
    {
      g_string_append_printf (tool->out, "user uid %u (user_id %s) %s\n", user->uid, shown_id,
                              existing != NULL ? "updated" : "created");
    }
  return TRUE;
}

static gboolean
run_delete_user (Tool *tool, GError **error)
{
  g_autofree char *message = NULL;

  tool_step (tool, "deleting user uid %u", tool->uid);
  if (!zk_client_delete_user (tool->client, tool->uid, tool->cancellable, error))
    return FALSE;
  if (!refresh (tool, error))
    return FALSE;
  message = g_strdup_printf ("user uid %u deleted", tool->uid);
  print_done (tool, "deleted", message);
  return TRUE;
}

static gboolean
run_delete_template (Tool *tool, GError **error)
{
  g_autofree char *message = NULL;

  tool_step (tool, "deleting the template of uid %u finger %u", tool->uid, tool->fid);
  if (!zk_client_delete_template (tool->client, tool->uid, tool->fid, tool->cancellable, error))
    return FALSE;
  if (!refresh (tool, error))
    return FALSE;
  message = g_strdup_printf ("template of uid %u finger %u deleted", tool->uid, tool->fid);
  print_done (tool, "deleted", message);
  return TRUE;
}

static gboolean
run_clear_logs (Tool *tool, GError **error)
{
  ZkSizes sizes = { 0 };

  tool_step (tool, "reading free sizes");
  if (!zk_client_get_sizes (tool->client, &sizes, tool->cancellable, error))
    return FALSE;
  tool_step (tool, "clearing attendance records");
  if (!zk_client_clear_attendance (tool->client, tool->cancellable, error))
    return FALSE;
  if (!refresh (tool, error))
    return FALSE;

  if (tool->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_add_string (builder, "result", "cleared");
      json_add_int (builder, "records", sizes.records);
      json_builder_end_object (builder);
      tool_print_json (tool, builder);
    }
  else
    {
      g_string_append_printf (tool->out, "%d attendance %s cleared\n", sizes.records,
                              plural ((guint)sizes.records, "record", "records"));
    }
  return TRUE;
}

static gboolean
run_options (Tool *tool, GError **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (KeyValues) kv = key_values_new ();
  guint i;

  json_builder_begin_object (builder);
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
      json_add_string (builder, name, value);
      if (value != NULL)
        key_values_add (kv, name, value);
      else
        key_values_addf (kv, name, "(not known to the device)");
    }
  json_builder_end_object (builder);

  if (tool->json)
    tool_print_json (tool, builder);
  else
    key_values_print (kv, tool->out);
  return TRUE;
}

static gboolean
run_enable (Tool *tool, GError **error)
{
  tool_step (tool, "enabling the device");
  if (!zk_client_enable (tool->client, tool->cancellable, error))
    return FALSE;
  print_done (tool, "enabled", "device enabled");
  return TRUE;
}

static void
flush_out (Tool *tool)
{
  fwrite (tool->out->str, 1, tool->out->len, stdout);
  fflush (stdout);
  g_string_truncate (tool->out, 0);
}

static gboolean
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
  print_done (tool, "enabled", "device enabled");
  return TRUE;
}

/* ------------------------------------------------------------ commands */

static const Command commands[] = {
  { "info", "", "device identity, time, counts and capacities", 0, 0, NULL, run_info },
  { "sizes", "", "counts and capacities only", 0, 0, NULL, run_sizes },
  { "users", "", "list users", 0, 0, NULL, run_users },
  { "fingers", "", "list fingerprint templates", 0, 0, NULL, run_fingers },
  { "template", "UID FID", "one fingerprint template (CMD 88)", 2, 2, parse_uid_fid, run_template },
  { "faces", "[UID]", "face templates of one user, or of all users", 0, 1, parse_optional_uid,
    run_faces },
  { "logs", "", "list attendance records (device-local times)", 0, 0, NULL, run_logs },
  { "time", "", "the device's clock and its difference to this host", 0, 0, NULL, run_time },
  { "set-time", "[ISO8601|now]", "set the device's clock (default: now, local time)", 0, 1,
    parse_set_time, run_set_time },
  { "set-user", "UID USER_ID NAME",
    "create or update a user (--card --privilege --password --group)", 3, 3, parse_set_user,
    run_set_user },
  { "delete-user", "UID", "delete a user and its templates", 1, 1, parse_uid_only,
    run_delete_user },
  { "delete-template", "UID FID", "delete one fingerprint template", 2, 2, parse_uid_fid,
    run_delete_template },
  { "clear-logs", "", "delete ALL attendance records (needs --yes)", 0, 0, parse_clear_logs,
    run_clear_logs },
  { "options", "NAME...", "read raw device options", 1, G_MAXUINT, parse_options, run_options },
  { "enable", "", "enable the device (e.g. one left \"Working...\")", 0, 0, NULL, run_enable },
  { "disable", "[SECONDS]", "disable the device for SECONDS (default 30), then enable it", 0, 1,
    parse_disable, run_disable },
};

static const Command *
find_command (const char *name)
{
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (strcmp (commands[i].name, name) == 0)
        return &commands[i];
    }
  /* aliases */
  if (strcmp (name, "templates") == 0)
    return find_command ("fingers");
  if (strcmp (name, "attendance") == 0)
    return find_command ("logs");
  return NULL;
}

static char *
commands_summary (void)
{
  GString *text = g_string_new ("Talk to one ZK terminal directly.\n\nCommands:\n");
  gsize width = 0;
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (commands); i++)
    width = MAX (width, strlen (commands[i].name) + 1 + strlen (commands[i].synopsis));
  for (i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *call = g_strdup_printf ("%s %s", commands[i].name, commands[i].synopsis);

      g_string_append_printf (text, "  %-*s  %s\n", (int)width, call, commands[i].help);
    }
  g_string_append (text,
                   "\nHOST is a name or address, HOST:PORT, or [IPV6]:PORT (default port 4370).");
  return g_string_free (text, FALSE);
}

/* ------------------------------------------------------- error reporting */

/* an error line must stay one line */
static char *
one_line (const char *text)
{
  g_autofree char *copy = g_strdelimit (g_strdup (text), "\r\n", ' ');

  return escape (copy);
}

static char *
describe_error (Tool *tool, const GError *error)
{
  if (g_error_matches (error, ZK_ERROR, ZK_ERROR_TIMED_OUT)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_strdup_printf ("device did not answer within %u ms", tool->timeout_ms);
  if (g_error_matches (error, ZK_ERROR, ZK_ERROR_AUTH_FAILED))
    {
      if (tool->have_key)
        return g_strdup ("authentication failed: the device refused the comm key");
      return g_strdup ("authentication failed: the device needs a comm key (--key N or " KEY_ENV
                       ")");
    }
  if (g_error_matches (error, ZK_ERROR, ZK_ERROR_CANCELLED)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_strdup ("interrupted");
  /* the step names what failed: the library's name for it would say it twice */
  return one_line (zk_error_get_cause (error));
}

static void
report_error (Tool *tool, const GError *error)
{
  g_autofree char *cause = describe_error (tool, error);

  if (tool->step != NULL)
    g_printerr ("%s: %s: %s: %s\n", PROGRAM, tool->label, tool->step, cause);
  else
    g_printerr ("%s: %s: %s\n", PROGRAM, tool->label, cause);
}

/* -------------------------------------------------------------- running */

static int
tool_run (Tool *tool)
{
  g_autoptr (GError) error = NULL;
  gint64 started = g_get_monotonic_time ();
  gboolean ok;

  tool->client = zk_client_new (tool->host, tool->port, tool->transport);
  zk_client_set_timeout (tool->client, tool->timeout_ms);
  if (tool->have_key)
    zk_client_set_comm_key (tool->client, tool->key);
  if (tool->encoding != NULL)
    zk_client_set_encoding (tool->client, tool->encoding);

  tool_step (tool, "connecting");
  ok = zk_client_connect (tool->client, tool->cancellable, &error);
  if (ok)
    ok = tool->command->run (tool, &error);

  if (zk_client_is_connected (tool->client))
    {
      /* always say goodbye, even when interrupted, but do not hang on it */
      zk_client_set_timeout (tool->client, MIN (tool->timeout_ms, 1000));
      zk_client_disconnect (tool->client, NULL, NULL);
    }

  if (tool->stats)
    {
      ZkClientStats stats = { 0 };

      zk_client_get_stats (tool->client, &stats);
      g_printerr ("%s: %s: %" G_GUINT64_FORMAT " requests, %" G_GUINT64_FORMAT
                  " retries, %" G_GUINT64_FORMAT " reconnects, %" G_GUINT64_FORMAT
                  " packets in, %" G_GUINT64_FORMAT " bytes out, %" G_GUINT64_FORMAT
                  " bytes in, %" G_GINT64_FORMAT " ms\n",
                  PROGRAM, tool->label, stats.requests, stats.retries, stats.reconnects,
                  stats.packets_in, stats.bytes_out, stats.bytes_in,
                  (g_get_monotonic_time () - started) / 1000);
    }

  if (!ok)
    {
      report_error (tool, error);
      if (g_cancellable_is_cancelled (tool->cancellable))
        return EXIT_INTERRUPTED;
      return EXIT_DEVICE;
    }

  fwrite (tool->out->str, 1, tool->out->len, stdout);
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      g_printerr ("%s: %s: writing the output: %s\n", PROGRAM, tool->label, g_strerror (errno));
      return EXIT_DEVICE;
    }
  return EXIT_SUCCESS;
}

static gboolean
quit_cb (gpointer data)
{
  Tool *tool = data;

  g_main_loop_quit (tool->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
worker_thread (gpointer data)
{
  Tool *tool = data;

  tool->exit_status = tool_run (tool);
  /* a queued source, not g_main_context_invoke(): that would run
   * quit_cb here when the main loop has not started yet, and the loop
   * would then never stop */
  g_idle_add (quit_cb, tool);
  return NULL;
}

static gboolean
signal_cb (gpointer data)
{
  Tool *tool = data;

  /* the first signal stops the command cleanly (CMD_EXIT included), a
   * second one does not wait any longer */
  if (g_cancellable_is_cancelled (tool->cancellable))
    {
      g_printerr ("%s: %s: interrupted\n", PROGRAM, tool->label);
      _exit (EXIT_INTERRUPTED);
    }
  g_cancellable_cancel (tool->cancellable);
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------ option handling */

static gboolean
tool_validate (Tool *tool, GError **error)
{
  guint n_transports = !!tool->use_tcp + !!tool->use_udp + !!tool->use_auto;
  const char *key_text = tool->key_text;
  const char *key_origin = "--key";
  guint n_positional = tool->positional != NULL ? g_strv_length (tool->positional) : 0;
  guint64 value = 0;

  if (n_transports > 1)
    {
      usage_error (error, "--tcp, --udp and --auto exclude each other");
      return FALSE;
    }
  tool->transport = tool->use_tcp   ? ZK_TRANSPORT_TCP
                    : tool->use_udp ? ZK_TRANSPORT_UDP
                                    : ZK_TRANSPORT_AUTO;

  /* the environment keeps the key out of `ps` */
  if (key_text == NULL)
    {
      key_text = g_getenv (KEY_ENV);
      key_origin = KEY_ENV;
      if (key_text != NULL && key_text[0] == '\0')
        key_text = NULL;
    }
  if (key_text != NULL)
    {
      /* never echo the key itself */
      if (!g_ascii_string_to_unsigned (key_text, 10, 0, G_MAXUINT32, &value, NULL))
        {
          usage_error (error, "invalid %s (the comm key is a number from 0 to 4294967295)",
                       key_origin);
          return FALSE;
        }
      tool->have_key = TRUE;
      tool->key = (guint32)value;
    }

  tool->timeout_ms = DEFAULT_TIMEOUT_MS;
  if (tool->timeout_text != NULL)
    {
      if (!parse_number (tool->timeout_text, "--timeout", 1, MAX_TIMEOUT_MS, &value, error))
        return FALSE;
      tool->timeout_ms = (guint)value;
    }

  if (tool->encoding != NULL)
    {
      GIConv conv = g_iconv_open ("UTF-8", tool->encoding);

      if (conv == (GIConv)-1)
        {
          g_autofree char *shown = escape (tool->encoding);

          usage_error (error, "unknown --encoding '%s'", shown);
          return FALSE;
        }
      g_iconv_close (conv);
    }

  if (n_positional == 0)
    {
      usage_error (error, "missing HOST and COMMAND");
      return FALSE;
    }
  if (!parse_address (tool, tool->positional[0], error))
    return FALSE;
  if (n_positional == 1)
    {
      usage_error (error, "missing COMMAND after %s", tool->label);
      return FALSE;
    }

  tool->command = find_command (tool->positional[1]);
  if (tool->command == NULL)
    {
      g_autofree char *shown = escape (tool->positional[1]);

      usage_error (error, "unknown command '%s'", shown);
      return FALSE;
    }
  tool->args = tool->positional + 2;
  tool->n_args = n_positional - 2;
  if (tool->n_args < tool->command->min_args || tool->n_args > tool->command->max_args)
    {
      if (tool->command->min_args == 0 && tool->command->max_args == 0)
        usage_error (error, "'%s' takes no arguments", tool->command->name);
      else if (tool->n_args < tool->command->min_args)
        usage_error (error, "missing arguments: usage: %s HOST %s %s", PROGRAM, tool->command->name,
                     tool->command->synopsis);
      else
        usage_error (error, "too many arguments: usage: %s HOST %s %s", PROGRAM,
                     tool->command->name, tool->command->synopsis);
      return FALSE;
    }

  if (tool->command->run != run_set_user
      && (tool->card_text != NULL || tool->privilege_text != NULL || tool->password != NULL
          || tool->group_text != NULL))
    {
      usage_error (error, "--card, --privilege, --password and --group go with set-user only");
      return FALSE;
    }
  if (tool->yes && tool->command->run != run_clear_logs)
    {
      usage_error (error, "--yes goes with clear-logs only");
      return FALSE;
    }

  return tool->command->parse == NULL || tool->command->parse (tool, error);
}

/* a key given with --key stays visible in /proc/PID/cmdline (ps) only
 * until here; BIOSYNC_ZK_KEY never shows */
static void
scrub_key (int argc, char **argv)
{
  int i;

  for (i = 1; i < argc; i++)
    {
      char *value = NULL;

      if (strcmp (argv[i], "--") == 0)
        break;
      if ((strcmp (argv[i], "--key") == 0 || strcmp (argv[i], "-k") == 0) && i + 1 < argc)
        value = argv[++i];
      else if (g_str_has_prefix (argv[i], "--key="))
        value = argv[i] + strlen ("--key=");
      if (value != NULL)
        memset (value, 'x', strlen (value));
    }
}

int
main (int argc, char **argv)
{
  g_autoptr (Tool) tool = g_new0 (Tool, 1);
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *summary = NULL;
  g_auto (GStrv) args = NULL;
  GThread *thread;
  const GOptionEntry entries[] = {
    { "tcp", 0, 0, G_OPTION_ARG_NONE, &tool->use_tcp, "Use TCP only", NULL },
    { "udp", 0, 0, G_OPTION_ARG_NONE, &tool->use_udp, "Use UDP only", NULL },
    { "auto", 0, 0, G_OPTION_ARG_NONE, &tool->use_auto, "Try TCP, fall back to UDP (the default)",
      NULL },
    { "key", 'k', 0, G_OPTION_ARG_STRING, &tool->key_text,
      "Comm key (better: set " KEY_ENV ", which ps does not show)", "N" },
    { "timeout", 't', 0, G_OPTION_ARG_STRING, &tool->timeout_text,
      "Per-request timeout in milliseconds (default 5000)", "MS" },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &tool->json, "Print JSON", NULL },
    { "encoding", 0, 0, G_OPTION_ARG_STRING, &tool->encoding,
      "Encoding of user names on the device (default UTF-8), e.g. GBK", "NAME" },
    { "stats", 0, 0, G_OPTION_ARG_NONE, &tool->stats, "Print traffic statistics to stderr", NULL },
    { "card", 0, 0, G_OPTION_ARG_STRING, &tool->card_text, "set-user: card number", "N" },
    { "privilege", 0, 0, G_OPTION_ARG_STRING, &tool->privilege_text,
      "set-user: 0-255 or user, enroller, admin, superadmin", "N" },
    { "password", 0, 0, G_OPTION_ARG_STRING, &tool->password, "set-user: password", "S" },
    { "group", 0, 0, G_OPTION_ARG_STRING, &tool->group_text, "set-user: group (default 1)", "N" },
    { "yes", 0, 0, G_OPTION_ARG_NONE, &tool->yes, "Confirm a destructive command", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &tool->version, "Print the version", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &tool->positional, NULL, NULL },
    { NULL },
  };

  setlocale (LC_ALL, "");

  summary = commands_summary ();
  context = g_option_context_new ("HOST[:PORT] COMMAND [ARGS...]");
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (
      context, "Environment:\n"
               "  " KEY_ENV "  the comm key when --key is not given (keeps it out of ps)\n"
               "\n"
               "Exit status: 0 success, 1 device or I/O error, 2 bad usage, 130 interrupted.\n"
               "Errors are one line on stderr: " PROGRAM ": HOST:PORT: what: cause.\n"
               "Use -- before arguments that start with '-'.\n");
  g_option_context_add_main_entries (context, entries, NULL);

  args = g_strdupv (argv);
  scrub_key (argc, argv);
  if (!g_option_context_parse_strv (context, &args, &error) || !tool_validate (tool, &error))
    {
      if (tool->version)
        g_clear_error (&error);
      else
        {
          g_printerr ("%s: %s (see --help)\n", PROGRAM, error->message);
          return EXIT_USAGE;
        }
    }
  if (tool->version)
    {
      g_print ("%s %s\n", PROGRAM, PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  tool->out = g_string_new (NULL);
  tool->warnings = g_ptr_array_new_with_free_func (g_free);
  tool->cancellable = g_cancellable_new ();
  tool->loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, signal_cb, tool);
  g_unix_signal_add (SIGTERM, signal_cb, tool);
  g_unix_signal_add (SIGHUP, signal_cb, tool);

  thread = g_thread_new ("biosync-zk", worker_thread, tool);
  g_main_loop_run (tool->loop);
  g_thread_join (thread);

  return tool->exit_status;
}
