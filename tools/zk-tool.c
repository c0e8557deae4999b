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
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "zk-tool.h"

#define DEFAULT_PORT 4370
#define DEFAULT_TIMEOUT_MS 5000
#define MAX_TIMEOUT_MS (10 * 60 * 1000)
#define MAX_WARNINGS_SHOWN 10

#define EXIT_DEVICE 1
#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 130

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

/* remembers what is being done, so that an error names it */
void
tool_step (Tool *tool, const char *format, ...)
{
  va_list args;

  g_free (tool->step);
  va_start (args, format);
  tool->step = g_strdup_vprintf (format, args);
  va_end (args);
}

void
usage_error (GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, message);
}

const char *
plural (guint n, const char *one, const char *many)
{
  return n == 1 ? one : many;
}

void
tool_note_warnings (Tool *tool)
{
  /* decoders skip malformed records with a reason: say so on stderr,
   * the output itself stays clean for scripts */
  guint i;

  for (i = 0; i < tool->warnings->len && i < MAX_WARNINGS_SHOWN; i++)
    {
      g_autofree char *text = tool_escape (tool->warnings->pdata[i]);

      g_printerr ("%s: %s: warning: %s\n", PROGRAM, tool->label, text);
    }
  if (tool->warnings->len > MAX_WARNINGS_SHOWN)
    g_printerr ("%s: %s: warning: and %u more reasons\n", PROGRAM, tool->label,
                tool->warnings->len - MAX_WARNINGS_SHOWN);
  g_ptr_array_set_size (tool->warnings, 0);
}

gboolean
parse_number (
    const char *text, const char *what, guint64 min, guint64 max, guint64 *value, GError **error)
{
  if (!g_ascii_string_to_unsigned (text, 10, min, max, value, NULL))
    {
      g_autofree char *shown = tool_escape (text);

      usage_error (error,
                   "invalid %s '%s' (a number from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT ")",
                   what, shown, min, max);
      return FALSE;
    }
  return TRUE;
}

gboolean
parse_uid (const char *text, guint16 *uid, GError **error)
{
  guint64 value = 0;

  if (!parse_number (text, "UID", 1, 65534, &value, error))
    return FALSE;
  *uid = (guint16)value;
  return TRUE;
}

gboolean
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
      g_autofree char *shown = tool_escape (text);

      usage_error (error, "invalid host in '%s'", shown);
      return FALSE;
    }
  if (port_text != NULL && !g_ascii_string_to_unsigned (port_text, 10, 1, 65535, &port, NULL))
    {
      g_autofree char *shown = tool_escape (text);

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

gboolean
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
      g_autofree char *shown = tool_escape (text);

      usage_error (error, "%s '%s' is too long (at most %" G_GSIZE_FORMAT " bytes)", what, shown,
                   max_bytes);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------ commands */

static const Command commands[] = {
  { "info", "", "device identity, time, counts and capacities", 0, 0, 0, NULL, run_info },
  { "sizes", "", "counts and capacities only", 0, 0, 0, NULL, run_sizes },
  { "users", "", "list users", 0, 0, 0, NULL, run_users },
  { "fingers", "", "list fingerprint templates", 0, 0, 0, NULL, run_fingers },
  { "template", "UID FID", "one fingerprint template (CMD 88)", 2, 2, 0, parse_uid_fid,
    run_template },
  { "faces", "[UID]", "face templates of one user, or of all users", 0, 1, 0, parse_optional_uid,
    run_faces },
  { "logs", "", "list attendance records (device-local times)", 0, 0, 0, NULL, run_logs },
  { "time", "", "the device's clock and its difference to this host", 0, 0, 0, NULL, run_time },
  { "set-time", "[ISO8601|now]", "set the device's clock (default: now, local time)", 0, 1, 0,
    parse_set_time, run_set_time },
  { "set-user", "UID USER_ID NAME",
    "create or update a user (--card --privilege --password --group)", 3, 3, TOOL_TAKES_USER_FIELDS,
    parse_set_user, run_set_user },
  { "delete-user", "UID", "delete a user and its templates", 1, 1, 0, parse_uid_only,
    run_delete_user },
  { "delete-template", "UID FID", "delete one fingerprint template", 2, 2, 0, parse_uid_fid,
    run_delete_template },
  { "clear-logs", "", "delete ALL attendance records (needs --yes)", 0, 0, TOOL_TAKES_YES,
    parse_clear_logs, run_clear_logs },
  { "options", "NAME...", "read raw device options", 1, G_MAXUINT, 0, parse_options, run_options },
  { "enable", "", "enable the device (e.g. one left \"Working...\")", 0, 0, 0, NULL, run_enable },
  { "disable", "[SECONDS]", "disable the device for SECONDS (default 30), then enable it", 0, 1, 0,
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

  return tool_escape (copy);
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

/* the comm key, from --key or the environment (which keeps it out of `ps`) */
static gboolean
validate_key (Tool *tool, GError **error)
{
  const char *key_text = tool->key_text;
  const char *key_origin = "--key";
  guint64 value = 0;

  if (key_text == NULL)
    {
      key_text = g_getenv (KEY_ENV);
      key_origin = KEY_ENV;
      if (key_text != NULL && key_text[0] == '\0')
        key_text = NULL;
    }
  if (key_text == NULL)
    return TRUE;
  /* never echo the key itself */
  if (!g_ascii_string_to_unsigned (key_text, 10, 0, G_MAXUINT32, &value, NULL))
    {
      usage_error (error, "invalid %s (the comm key is a number from 0 to 4294967295)", key_origin);
      return FALSE;
    }
  tool->have_key = TRUE;
  tool->key = (guint32)value;
  return TRUE;
}

/* the options that go with every command */
static gboolean
validate_options (Tool *tool, GError **error)
{
  guint64 value = 0;

  if (!!tool->use_tcp + !!tool->use_udp + !!tool->use_auto > 1)
    {
      usage_error (error, "--tcp, --udp and --auto exclude each other");
      return FALSE;
    }
  tool->transport = tool->use_tcp   ? ZK_TRANSPORT_TCP
                    : tool->use_udp ? ZK_TRANSPORT_UDP
                                    : ZK_TRANSPORT_AUTO;
  if (!validate_key (tool, error))
    return FALSE;
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
          g_autofree char *shown = tool_escape (tool->encoding);

          usage_error (error, "unknown --encoding '%s'", shown);
          return FALSE;
        }
      g_iconv_close (conv);
    }
  return TRUE;
}

/* the command, its number of arguments and the options only it takes */
static gboolean
validate_command (Tool *tool, const char *name, guint n_args, GError **error)
{
  const Command *c = find_command (name);

  if (c == NULL)
    {
      g_autofree char *shown = tool_escape (name);

      usage_error (error, "unknown command '%s'", shown);
      return FALSE;
    }
  tool->command = c;
  tool->n_args = n_args;
  if (c->min_args == 0 && c->max_args == 0 && n_args > 0)
    usage_error (error, "'%s' takes no arguments", c->name);
  else if (n_args < c->min_args)
    usage_error (error, "missing arguments: usage: %s HOST %s %s", PROGRAM, c->name, c->synopsis);
  else if (n_args > c->max_args)
    usage_error (error, "too many arguments: usage: %s HOST %s %s", PROGRAM, c->name, c->synopsis);
  else if (!(c->takes & TOOL_TAKES_USER_FIELDS)
           && (tool->card_text != NULL || tool->privilege_text != NULL || tool->password != NULL
               || tool->group_text != NULL))
    usage_error (error, "--card, --privilege, --password and --group go with set-user only");
  else if (tool->yes && !(c->takes & TOOL_TAKES_YES))
    usage_error (error, "--yes goes with clear-logs only");
  else
    return TRUE;
  return FALSE;
}

static gboolean
tool_validate (Tool *tool, GError **error)
{
  guint n_positional = tool->positional != NULL ? g_strv_length (tool->positional) : 0;

  if (!validate_options (tool, error))
    return FALSE;
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
  tool->args = tool->positional + 2;
  if (!validate_command (tool, tool->positional[1], n_positional - 2, error))
    return FALSE;
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
