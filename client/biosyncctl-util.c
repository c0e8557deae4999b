/* biosyncctl-util.c — parsing, connecting, printing and waiting for jobs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "biosyncctl.h"
#include "bs-format.h"

gboolean ctl_json = FALSE;
static char *opt_address = NULL;

static const GOptionEntry global_entries[]
    = { { "address", 0, 0, G_OPTION_ARG_STRING, &opt_address,
          N_ ("The D-Bus address of the bus (default: $BIOSYNC_BUS_ADDRESS, else the system bus)"),
          N_ ("ADDRESS") },
        { "json", 0, 0, G_OPTION_ARG_NONE, &ctl_json,
          N_ ("Print JSON instead of a table (status, devices, areas, people, jobs, job, preview, "
              "deleted)"),
          NULL },
        { NULL } };

const GOptionEntry *
ctl_global_entries (void)
{
  return global_entries;
}

/* ------------------------------------------------------------------ errors */

int
ctl_usage_error (const char *command, const char *message)
{
  g_printerr ("biosyncctl: %s\n", message);
  if (command != NULL)
    g_printerr (_ ("Try “biosyncctl %s --help”.\n"), command);
  else
    g_printerr (_ ("Try “biosyncctl --help”.\n"));
  return EXIT_USAGE;
}

int
ctl_report_error (const GError *error)
{
  g_autofree char *text = bs_client_error_to_string (error);

  return ctl_fail (text);
}

int
ctl_fail (const char *message)
{
  g_printerr ("biosyncctl: %s\n", message);
  return EXIT_FAILURE;
}

/* ------------------------------------------------------------------ parsing */

gboolean
ctl_parse_uint (const char *text, guint64 max, guint64 *value)
{
  return g_ascii_string_to_unsigned (text, 10, 0, max, value, NULL);
}

gboolean
ctl_parse_bool (const char *text, gboolean *value)
{
  const char *yes[] = { "true", "yes", "on", "1" };
  const char *no[] = { "false", "no", "off", "0" };

  for (guint i = 0; i < G_N_ELEMENTS (yes); i++)
    {
      if (g_ascii_strcasecmp (text, yes[i]) == 0 || g_ascii_strcasecmp (text, no[i]) == 0)
        {
          *value = g_ascii_strcasecmp (text, yes[i]) == 0;
          return TRUE;
        }
    }
  return FALSE;
}

/* "user", "enroller", "admin", "superadmin" or a number */
gboolean
ctl_parse_privilege (const char *text, guint64 *value)
{
  static const struct
  {
    const char *name;
    guint value;
  } privileges[] = {
    { "user", 0 }, { "enroller", 2 }, { "admin", 6 }, { "administrator", 6 }, { "superadmin", 14 }
  };

  for (guint i = 0; i < G_N_ELEMENTS (privileges); i++)
    if (g_ascii_strcasecmp (text, privileges[i].name) == 0)
      {
        *value = privileges[i].value;
        return TRUE;
      }
  return ctl_parse_uint (text, G_MAXUINT32, value);
}

/* one line of stdin (its newline and a CR before it dropped), at most
 * @max bytes; NULL at the end of input or when the line is longer */
static char *
read_stdin_line (gsize max)
{
  g_autofree char *line = g_malloc0 (max + 2);
  gsize length;

  if (fgets (line, (int)max + 2, stdin) == NULL)
    return NULL;
  length = strlen (line);
  if (length > 0 && line[length - 1] == '\n')
    line[--length] = '\0';
  else if (length > max)
    return NULL;
  if (length > 0 && line[length - 1] == '\r')
    line[--length] = '\0';
  return g_steal_pointer (&line);
}

gboolean ctl_opt_comm_key = FALSE;

gboolean
ctl_comm_key_option_cb (const char *name, const char *value, gpointer data, GError **error)
{
  /* "--comm-key=N" would put the key where everyone sees it */
  if (value != NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("%s takes no value: it reads the key from a prompt or standard input."),
                   name);
      return FALSE;
    }
  ctl_opt_comm_key = TRUE;
  return TRUE;
}

gboolean
ctl_read_comm_key (guint64 *key, const char **problem)
{
  g_autofree char *line = NULL;
  struct termios saved, quiet;
  gboolean terminal = isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved) == 0;

  /* a secret never on the command line, never echoed */
  if (terminal)
    {
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t)ECHO;
      /* quiet before the prompt: what is typed after it is never echoed */
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
      g_printerr ("%s", _ ("Comm key: "));
    }
  line = read_stdin_line (16);
  if (terminal)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
      g_printerr ("\n");
    }
  if (line == NULL)
    *problem = _ ("No comm key on standard input (one line, 0 to 999999).");
  else if (!ctl_parse_uint (g_strstrip (line), 999999, key))
    *problem = _ ("The comm key is a number from 0 to 999999.");
  else
    return TRUE;
  return FALSE;
}

/* the ID argument: an id from 1 (a job's may also be its path) */
static gboolean
parse_id_arg (const char *command, CtlArg arg, const char *text, guint64 *id, int *ret)
{
  static const char *const what[] = { NULL, N_ ("area"), N_ ("device"), N_ ("job") };
  guint64 max = arg == CTL_ARG_JOB ? G_MAXUINT64 : G_MAXUINT32;
  g_autofree char *message = NULL;

  *id = arg == CTL_ARG_JOB ? bs_client_job_id_from_path (text) : 0;
  if (*id != 0 || g_ascii_string_to_unsigned (text, 10, 1, max, id, NULL))
    return TRUE;
  message = g_strdup_printf (_ ("Not a valid %s id: “%s”."), _ (what[arg]), text);
  *ret = ctl_usage_error (command, message);
  return FALSE;
}

/* how many arguments @params (untranslated) names: all, and the required
 * ones (those not in brackets) */
static void
count_params (const char *params, int *min_args, int *max_args)
{
  g_auto (GStrv) words = g_strsplit (params != NULL ? params : "", " ", -1);

  *min_args = *max_args = 0;
  for (guint i = 0; words[i] != NULL; i++)
    if (*words[i] != '\0')
      {
        ++*max_args;
        if (*words[i] != '[')
          ++*min_args;
      }
}

/* the global options a command does not have itself (update-device's
 * --address is the terminal's: the bus address then goes before the command) */
static GArray *
global_entries_for (const GOptionEntry *entries)
{
  GArray *kept = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));

  for (const GOptionEntry *g = global_entries; g->long_name != NULL; g++)
    {
      gboolean own = FALSE;

      for (const GOptionEntry *e = entries; e != NULL && e->long_name != NULL; e++)
        own = own || g_str_equal (e->long_name, g->long_name);
      if (!own)
        g_array_append_val (kept, *g);
    }
  return kept;
}

/* the command's options and arguments; *ret is the exit status on failure */
static gboolean
parse_command (const Command *command, int *argc, char ***argv, guint64 *id, int *ret)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *parameter_string = NULL;
  g_autoptr (GArray) globals = global_entries_for (command->entries);
  const char *name = (*argv)[0];
  const char *params = command->params != NULL ? _ (command->params) : NULL;
  int min_args, max_args;

  parameter_string = g_strdup_printf ("%s%s%s", name, params ? " " : "", params ? params : "");
  context = g_option_context_new (parameter_string);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _ (command->help));
  if (command->entries != NULL)
    g_option_context_add_main_entries (context, command->entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, (const GOptionEntry *)(void *)globals->data,
                                     GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *ret = ctl_usage_error (name, error->message);
      return FALSE;
    }
  /* (*argv)[0] is the command */
  count_params (command->params, &min_args, &max_args);
  if (*argc - 1 < min_args)
    *ret = ctl_usage_error (name, _ ("Missing arguments."));
  else if (*argc - 1 > max_args)
    *ret = ctl_usage_error (name, _ ("Too many arguments."));
  else if (command->arg == CTL_ARG_NONE)
    return TRUE;
  else
    return parse_id_arg (name, command->arg, (*argv)[1], id, ret);
  return FALSE;
}

/* ------------------------------------------------------------------ running */

static gboolean
ctl_connect (Ctl *ctl, int *ret)
{
  g_autoptr (GError) error = NULL;
  const char *address = opt_address;

  if (address == NULL)
    address = g_getenv ("BIOSYNC_BUS_ADDRESS");
  if (address != NULL && *address == '\0')
    address = NULL;
  ctl->client = bs_client_new_sync (address, NULL, &error);
  if (ctl->client == NULL)
    {
      *ret = ctl_report_error (error);
      return FALSE;
    }
  if (!bs_client_get_service_running (ctl->client) || bs_client_get_manager (ctl->client) == NULL)
    {
      *ret = ctl_fail (_ ("biosyncd is not running"));
      return FALSE;
    }
  ctl->manager = bs_client_get_manager (ctl->client);
  return TRUE;
}

static void
ctl_clear (Ctl *ctl)
{
  g_clear_object (&ctl->client);
  ctl->manager = NULL;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Ctl, ctl_clear)

int
ctl_run (const Command *command, int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  int ret = EXIT_SUCCESS;

  /* bad usage never needs the daemon */
  if (!parse_command (command, &argc, &argv, &ctl.id, &ret))
    return ret;
  if (ctl_json && !command->json)
    {
      g_autofree char *message
          = g_strdup_printf (_ ("“%s” has no JSON output; --json does nothing there."), argv[0]);

      return ctl_usage_error (argv[0], message);
    }
  if (command->check != NULL && !command->check (argc, argv, &ret))
    return ret;
  if (!ctl_connect (&ctl, &ret))
    return ret;
  return command->run (&ctl, argc, argv);
}

/* ------------------------------------------------------------------ printing */

void
ctl_print_json (JsonNode *node)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

void
ctl_print_variant_json (GVariant *value)
{
  g_autoptr (JsonNode) node = json_gvariant_serialize (value);

  ctl_print_json (node);
}

JsonNode *
ctl_proxy_to_json (GDBusProxy *proxy)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_auto (GStrv) names = g_dbus_proxy_get_cached_property_names (proxy);
  JsonNode *node;

  json_object_set_string_member (object, "Path", g_dbus_proxy_get_object_path (proxy));
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      g_autoptr (GVariant) value = g_dbus_proxy_get_cached_property (proxy, names[i]);

      if (value != NULL)
        json_object_set_member (object, names[i], json_gvariant_serialize (value));
    }
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, object);
  return node;
}

void
ctl_print_report (const char *report)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (report == NULL || *report == '\0')
    g_print ("%s\n", _ ("(no report yet)"));
  else if (!json_parser_load_from_data (parser, report, -1, NULL))
    g_print ("%s\n", report);
  else
    ctl_print_json (json_parser_get_root (parser));
}

const char *
ctl_lookup_string (GVariant *dict, const char *key)
{
  const char *value = NULL;

  if (!g_variant_lookup (dict, key, "&s", &value))
    return "";
  return value;
}

guint64
ctl_lookup_uint64 (GVariant *dict, const char *key)
{
  guint64 value = 0;

  g_variant_lookup (dict, key, "t", &value);
  return value;
}

gint64
ctl_lookup_int64 (GVariant *dict, const char *key)
{
  gint64 value = 0;

  g_variant_lookup (dict, key, "x", &value);
  return value;
}

guint
ctl_lookup_uint (GVariant *dict, const char *key)
{
  guint32 value = 0;

  g_variant_lookup (dict, key, "u", &value);
  return value;
}

gboolean
ctl_lookup_bool (GVariant *dict, const char *key)
{
  gboolean value = FALSE;

  g_variant_lookup (dict, key, "b", &value);
  return value;
}

/* ------------------------------------------------------------------ waiting for jobs */

/* a job's progress and end: with --json on stderr, so that stdout holds
 * only the JSON */
static void G_GNUC_PRINTF (1, 2) status_print (const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  fputs (text, ctl_json ? stderr : stdout);
  fflush (ctl_json ? stderr : stdout);
}

typedef struct
{
  GMainLoop *loop;
  const char *path;
  gboolean terminal;
  gboolean bar_shown;
  char *state;
  char *summary;
  GError *error;
} Wait;

/* one updating line on a terminal; nothing when stdout is a pipe or a
 * file (scripts read the result, not the way there) */
static void
wait_show (Wait *wait, double fraction, const char *message)
{
  int percent = (int)CLAMP (fraction * 100.0 + 0.5, 0, 100);
  char bar[31];
  int filled = percent * 30 / 100;

  if (!wait->terminal)
    return;
  memset (bar, '#', filled);
  memset (bar + filled, '-', 30 - filled);
  bar[30] = '\0';
  status_print ("\r\033[K[%s] %3d%% %s", bar, percent, message ? message : "");
  wait->bar_shown = TRUE;
}

static void
wait_progress_cb (
    BsClient *client, BsDBusJob *job, double fraction, const char *message, Wait *wait)
{
  if (g_strcmp0 (g_dbus_proxy_get_object_path (G_DBUS_PROXY (job)), wait->path) == 0)
    wait_show (wait, fraction, message);
}

static void
wait_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *wait = user_data;

  bs_client_wait_job_finish (BS_CLIENT (source), result, &wait->state, &wait->summary,
                             &wait->error);
  g_main_loop_quit (wait->loop);
}

/* follows the job (a progress bar on a terminal) until it ends */
static void
wait_for_job (Ctl *ctl, Wait *wait)
{
  BsDBusJob *job = bs_client_lookup_job (ctl->client, wait->path);
  gulong handler;

  wait->loop = g_main_loop_new (NULL, FALSE);
  wait->terminal = isatty (ctl_json ? STDERR_FILENO : STDOUT_FILENO);
  if (job != NULL && !bs_client_job_state_is_final (bs_dbus_job_get_state (job)))
    wait_show (wait, bs_dbus_job_get_progress (job), bs_dbus_job_get_message (job));
  handler = g_signal_connect (ctl->client, "job-progress", G_CALLBACK (wait_progress_cb), wait);
  bs_client_wait_job_async (ctl->client, wait->path, NULL, wait_done_cb, wait);
  g_main_loop_run (wait->loop);
  g_signal_handler_disconnect (ctl->client, handler);
  if (wait->bar_shown)
    status_print ("\n");
  g_clear_pointer (&wait->loop, g_main_loop_unref);
}

static int
exit_status_for_state (const char *state)
{
  if (g_strcmp0 (state, "succeeded") == 0)
    return EXIT_SUCCESS;
  if (g_strcmp0 (state, "partial") == 0)
    return EXIT_PARTIAL;
  return EXIT_FAILURE;
}

int
ctl_job_started (Ctl *ctl, const char *job_path, gboolean wait_for_it, char **report)
{
  Wait wait = { .path = job_path };
  guint64 id = bs_client_job_id_from_path (job_path);
  int ret;

  status_print (_ ("Job %" PRIu64 " queued: %s\n"), id, job_path);
  if (!wait_for_it)
    return EXIT_SUCCESS;
  wait_for_job (ctl, &wait);
  if (wait.error != NULL)
    {
      ret = ctl_report_error (wait.error);
      g_clear_error (&wait.error);
      return ret;
    }
  status_print (_ ("Job %" PRIu64 " %s: %s\n"), id, bs_format_job_state (wait.state),
                wait.summary ? wait.summary : "");
  ret = exit_status_for_state (wait.state);
  if (report != NULL)
    {
      g_autoptr (GVariant) dict = NULL;

      if (bs_dbus_manager_call_get_job_sync (ctl->manager, id, G_DBUS_CALL_FLAGS_NONE, -1, &dict,
                                             NULL, NULL))
        *report = g_strdup (ctl_lookup_string (dict, "Report"));
    }
  g_free (wait.state);
  g_free (wait.summary);
  return ret;
}
