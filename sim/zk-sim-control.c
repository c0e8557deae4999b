/* zk-sim-control.c — the control socket's commands, one table
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One line in ("punch A 17", "stats", "fault B hang"), one line out.
 * Every command checks its number of arguments from the table; most
 * name a device first. The commands are documented in docs/SIMULATOR.md
 * ("Control socket").
 */
#include "config.h"

#include <string.h>

#include "zk-sim-fixture.h"
#include "zk-sim-server-private.h"

static const char help_text[]
    = "commands: punch DEVICE USER_ID [VERIFY STATE [TIME]]; enroll DEVICE UID USER_ID NAME; "
      "delete-user DEVICE USER_ID; add-template DEVICE UID FID [SIZE]; "
      "delete-template DEVICE UID FID; add-face DEVICE UID FID [SIZE]; "
      "fault DEVICE NAME [ARGS] | fault DEVICE clear | fault DEVICE (faults and hostile modes); "
      "clock DEVICE OFFSET_S; "
      "time DEVICE; option DEVICE NAME [VALUE]; timing DEVICE LATENCY_MS BANDWIDTH; "
      "pacing DEVICE MS; attlog-range DEVICE honour|ignore|refuse; "
      "count DEVICE users|fingers|faces|attendance; dump [FILE]; "
      "stats [DEVICE]; ports; reboot DEVICE; enable DEVICE; release DEVICE; help; "
      "push devices: server DEVICE URL; poll DEVICE; punch DEVICE PIN [TIME [STATUS [VERIFY]]]; "
      "enroll DEVICE PIN [NAME]; delete-user DEVICE PIN; add-template DEVICE PIN FID; "
      "add-face DEVICE PIN; delete-template DEVICE PIN FID [TYPE]; fault DEVICE NAME [ARGS]; "
      "reboot DEVICE; count DEVICE users|templates|faces|attendance|unsent; stats DEVICE";

/* what a command works on: argv[0] is its name, argv[1] the device's for
 * the commands that name one */
typedef struct
{
  ZkSimServer *server;
  ZkSimDevice *device;
  ZkSimPushDevice *push; /* for the push rows */
  guint index;
  char **argv;
} Call;

typedef enum
{
  NO_DEVICE,
  PULL,
  PUSH,
} Names;

typedef struct
{
  const char *name;
  guint min_args; /* with the command's own name */
  guint max_args;
  Names names; /* what kind of device argv[1] names */
  char *(*run) (Call *call, GError **error);
} ControlCommand;

static gboolean
parse_u (const char *text, guint64 max, guint64 *out, const char *what, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (!g_ascii_string_to_unsigned (text, 10, 0, max, out, &local))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "%s: %s", what, local->message);
      return FALSE;
    }
  return TRUE;
}

static char *
ok (void)
{
  return g_strdup ("OK");
}

/* ------------------------------------------------------------ server */

static char *
run_help (Call *call, GError **error)
{
  return g_strdup (help_text);
}

static char *
run_ports (Call *call, GError **error)
{
  return zk_sim_server_ready_json (call->server);
}

static char *
run_dump (Call *call, GError **error)
{
  if (call->argv[1] == NULL)
    return zk_sim_server_dump (call->server, FALSE);
  if (!zk_sim_server_dump_to_file (call->server, call->argv[1], error))
    return NULL;
  return g_strdup_printf ("OK %s", call->argv[1]);
}

static char *
run_stats (Call *call, GError **error)
{
  int index = -1;

  if (call->push != NULL)
    return zk_sim_push_device_stats_json (call->push);
  if (call->argv[1] != NULL)
    {
      index = zk_sim_server_lookup (call->server, call->argv[1]);
      if (index < 0)
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_NOT_FOUND, "no device “%s”", call->argv[1]);
          return NULL;
        }
    }
  return zk_sim_server_stats_json (call->server, index);
}

/* ------------------------------------------------------------ data */

static char *
run_punch (Call *call, GError **error)
{
  char **argv = call->argv;
  guint64 verify = 1, state = 0;
  ZkTime time;
  gboolean have_time = FALSE;

  if (g_strv_length (argv) == 4)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "punch takes VERIFY and STATE together");
      return NULL;
    }
  if (argv[3] != NULL
      && (!parse_u (argv[3], 255, &verify, "verify", error)
          || !parse_u (argv[4], 255, &state, "state", error)))
    return NULL;
  if (argv[3] != NULL && argv[5] != NULL)
    {
      if (!zk_time_from_iso8601 (argv[5], &time, error))
        return NULL;
      have_time = TRUE;
    }
  if (!zk_sim_device_punch (call->device, argv[2], (guint8)verify, (guint8)state,
                            have_time ? &time : NULL, error))
    return NULL;
  /* registered sessions get the event now */
  zk_sim_server_kick (call->server, call->index, FALSE);
  return ok ();
}

static char *
run_enroll (Call *call, GError **error)
{
  char **argv = call->argv;
  g_autoptr (ZkUser) user = zk_user_new ();
  guint64 uid;

  if (!parse_u (argv[2], 65534, &uid, "uid", error))
    return NULL;
  if (strlen (argv[3]) > 24)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "user id longer than 24");
      return NULL;
    }
  user->uid = (guint16)uid;
  g_strlcpy (user->user_id, argv[3], sizeof user->user_id);
  g_free (user->name);
  user->name = argv[4] ? g_strjoinv (" ", argv + 4) : g_strdup ("");
  user->group = 1;
  return zk_sim_device_set_user (call->device, user, error) ? ok () : NULL;
}

static char *
run_delete_user (Call *call, GError **error)
{
  return zk_sim_device_delete_user (call->device, call->argv[2], error) ? ok () : NULL;
}

/* add-template and add-face: generated bytes of the size asked for */
static char *
run_add_template (Call *call, GError **error)
{
  char **argv = call->argv;
  gboolean face = g_str_equal (argv[0], "add-face");
  guint64 uid, fid, size = 0;
  g_autoptr (GRand) rand = NULL;
  g_autoptr (GBytes) data = NULL;
  g_autoptr (ZkTemplate) tmpl = NULL;
  g_auto (ZkSimProfile) p = { 0 };

  if (!parse_u (argv[2], 65534, &uid, "uid", error)
      || !parse_u (argv[3], face ? 14 : 9, &fid, "fid", error)
      || (argv[4] && !parse_u (argv[4], face ? ZK_FACE_DATA_MAX : 1664, &size, "size", error)))
    return NULL;
  zk_sim_device_get_profile (call->device, &p);
  rand = g_rand_new_with_seed ((guint32)(uid << 8 | fid));
  data = face ? zk_sim_make_face_data (rand, (guint)size)
              : zk_sim_make_template (rand, p.fp_version, (guint)size);
  tmpl = zk_template_new ((guint16)uid, (guint8)fid, 1, data);
  if (face ? !zk_sim_device_set_face (call->device, tmpl, error)
           : !zk_sim_device_set_template (call->device, tmpl, error))
    return NULL;
  return ok ();
}

static char *
run_delete_template (Call *call, GError **error)
{
  guint64 uid, fid;

  if (!parse_u (call->argv[2], 65534, &uid, "uid", error)
      || !parse_u (call->argv[3], 15, &fid, "fid", error)
      || !zk_sim_device_delete_template (call->device, (guint16)uid, (guint8)fid, error))
    return NULL;
  return ok ();
}

static char *
run_count (Call *call, GError **error)
{
  static const char *const tables[] = { "users", "fingers", "faces", "attendance", NULL };
  const char *what = call->argv[2];

  if (!g_strv_contains (tables, what))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "count what? users, fingers, faces or attendance");
      return NULL;
    }
  return g_strdup_printf ("%u", zk_sim_device_count (call->device, what));
}

/* ------------------------------------------------------------ faults */

/* the faults in force (with the hostile modes and an armed fault) as JSON */
static char *
faults_json (ZkSimDevice *device)
{
  g_autoptr (JsonNode) node = zk_sim_fixture_device_to_json (device);
  JsonObject *obj = json_node_get_object (node);
  JsonNode *faults = json_object_get_member (obj, "faults");
  JsonNode *hostile = json_object_get_member (obj, "hostile");
  g_autofree char *armed = zk_sim_device_dup_armed (device);

  if (hostile != NULL)
    json_object_set_member (json_node_get_object (faults), "hostile", json_node_copy (hostile));
  /* an armed after-command fault is shown, not dumped to fixtures */
  if (armed != NULL)
    json_object_set_string_member (json_node_get_object (faults), "after_command", armed);
  return json_to_string (faults, FALSE);
}

static char *
run_fault (Call *call, GError **error)
{
  char **argv = call->argv;

  /* no fault named: show the current ones */
  if (argv[2] == NULL)
    return faults_json (call->device);
  if (!zk_sim_device_apply_fault (call->device, argv[2], (const char *const *)argv + 3, error))
    return NULL;
  /* a reboot closes the connections; "clear" may end a hold */
  zk_sim_server_kick (call->server, call->index, g_str_equal (argv[2], "reboot"));
  return ok ();
}

/* ends "fault DEVICE hold": what waited is answered */
static char *
run_release (Call *call, GError **error)
{
  if (!zk_sim_device_release (call->device, error))
    return NULL;
  zk_sim_server_kick (call->server, call->index, FALSE);
  return ok ();
}

static char *
run_enable (Call *call, GError **error)
{
  zk_sim_device_enable (call->device);
  return ok ();
}

static char *
run_reboot (Call *call, GError **error)
{
  zk_sim_device_reboot (call->device);
  zk_sim_server_kick (call->server, call->index, TRUE);
  return ok ();
}

/* ------------------------------------------------------------ settings */

static char *
run_clock (Call *call, GError **error)
{
  g_autoptr (GError) local = NULL;
  gint64 offset;

  if (!g_ascii_string_to_signed (call->argv[2], 10, -3153600000LL, 3153600000LL, &offset, &local))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "offset: %s", local->message);
      return NULL;
    }
  zk_sim_device_set_clock_offset (call->device, offset);
  return ok ();
}

static char *
run_time (Call *call, GError **error)
{
  ZkTime now;

  zk_sim_device_get_time (call->device, &now);
  return zk_time_to_iso8601 (&now);
}

static char *
run_option (Call *call, GError **error)
{
  char **argv = call->argv;
  char *value;

  if (argv[3] != NULL)
    {
      if (!zk_sim_device_set_option (call->device, argv[2], argv[3]))
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "option “%s” is read-only",
                       argv[2]);
          return NULL;
        }
      return ok ();
    }
  value = zk_sim_device_get_option (call->device, argv[2]);
  if (value == NULL)
    g_set_error (error, ZK_ERROR, ZK_ERROR_NOT_FOUND, "unknown option “%s”", argv[2]);
  return value;
}

static char *
run_timing (Call *call, GError **error)
{
  guint64 latency, bandwidth;

  if (!parse_u (call->argv[2], 600000, &latency, "latency", error)
      || !parse_u (call->argv[3], G_MAXINT32, &bandwidth, "bandwidth", error))
    return NULL;
  zk_sim_device_set_timing (call->device, (guint)latency, (guint)bandwidth);
  return ok ();
}

static char *
run_pacing (Call *call, GError **error)
{
  guint64 pacing;

  if (!parse_u (call->argv[2], 10000, &pacing, "pacing", error))
    return NULL;
  zk_sim_device_set_pacing_ms (call->device, (guint)pacing);
  return ok ();
}

static char *
run_attlog_range (Call *call, GError **error)
{
  ZkSimRange range;

  if (!zk_sim_range_from_string (call->argv[2], &range))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "attlog-range is honour, ignore or refuse");
      return NULL;
    }
  zk_sim_device_set_attlog_range (call->device, range);
  return ok ();
}

/* ------------------------------------------------------------ push devices */

static char *
run_push_server (Call *call, GError **error)
{
  return zk_sim_push_device_set_server (call->push, call->argv[2], error) ? ok () : NULL;
}

static char *
run_push_poll (Call *call, GError **error)
{
  zk_sim_push_device_poll_now (call->push);
  return ok ();
}

/* punch DEVICE PIN [TIME [STATUS [VERIFY]]]; TIME "YYYY-MM-DD HH:MM:SS" or with a T */
static char *
run_push_punch (Call *call, GError **error)
{
  char **argv = call->argv;
  g_autofree char *time = g_strdup (argv[3]);
  guint64 status = G_MAXUINT, verify = G_MAXUINT;

  if (time != NULL && strlen (time) > 10 && time[10] == 'T')
    time[10] = ' ';
  if ((argv[3] && argv[4] && !parse_u (argv[4], 255, &status, "status", error))
      || (argv[3] && argv[4] && argv[5] && !parse_u (argv[5], 255, &verify, "verify", error)))
    return NULL;
  if (!zk_sim_push_device_punch (call->push, argv[2], time, status == G_MAXUINT ? -1 : (int)status,
                                 verify == G_MAXUINT ? -1 : (int)verify, error))
    return NULL;
  return ok ();
}

static char *
run_push_enroll (Call *call, GError **error)
{
  g_autofree char *name = call->argv[3] ? g_strjoinv (" ", call->argv + 3) : g_strdup ("");

  return zk_sim_push_device_enroll_user (call->push, call->argv[2], name, error) ? ok () : NULL;
}

static char *
run_push_delete_user (Call *call, GError **error)
{
  return zk_sim_push_device_delete_user (call->push, call->argv[2], error) ? ok () : NULL;
}

/* add-template DEVICE PIN FID (a fingerprint), add-face DEVICE PIN (a VL face) */
static char *
run_push_add_template (Call *call, GError **error)
{
  gboolean face = g_str_equal (call->argv[0], "add-face");
  guint64 fid = 0;

  if (!face && !parse_u (call->argv[3], 9, &fid, "fid", error))
    return NULL;
  return zk_sim_push_device_enroll_bio (call->push, call->argv[2], face ? 9 : 1, (guint)fid, error)
             ? ok ()
             : NULL;
}

static char *
run_push_delete_template (Call *call, GError **error)
{
  guint64 fid, type = 1;

  if (!parse_u (call->argv[3], 9, &fid, "fid", error)
      || (call->argv[4] && !parse_u (call->argv[4], 15, &type, "type", error)))
    return NULL;
  return zk_sim_push_device_delete_bio (call->push, call->argv[2], (guint)type, (guint)fid, error)
             ? ok ()
             : NULL;
}

static char *
run_push_fault (Call *call, GError **error)
{
  return zk_sim_push_device_apply_fault (call->push, call->argv[2],
                                         (const char *const *)call->argv + 3, error)
             ? ok ()
             : NULL;
}

/* the device restarts: handshake again, and re-sends its last batch */
static char *
run_push_reboot (Call *call, GError **error)
{
  return zk_sim_push_device_apply_fault (call->push, "reboot", (const char *const *)call->argv + 2,
                                         error)
             ? ok ()
             : NULL;
}

static char *
run_push_count (Call *call, GError **error)
{
  static const char *const tables[]
      = { "users", "templates", "faces", "attendance", "unsent", NULL };

  if (!g_strv_contains (tables, call->argv[2]))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "count what? users, templates, faces, attendance or unsent");
      return NULL;
    }
  return g_strdup_printf ("%u", zk_sim_push_device_count (call->push, call->argv[2]));
}

/* ------------------------------------------------------------ the table */

#define ANY G_MAXUINT

static const ControlCommand commands[] = {
  { "help", 1, ANY, NO_DEVICE, run_help },
  { "ports", 1, ANY, NO_DEVICE, run_ports },
  { "dump", 1, 2, NO_DEVICE, run_dump },
  { "stats", 1, 2, NO_DEVICE, run_stats },
  { "punch", 3, 6, PULL, run_punch },
  { "enroll", 4, ANY, PULL, run_enroll },
  { "delete-user", 3, 3, PULL, run_delete_user },
  { "add-template", 4, 5, PULL, run_add_template },
  { "add-face", 4, 5, PULL, run_add_template },
  { "delete-template", 4, 4, PULL, run_delete_template },
  { "fault", 2, ANY, PULL, run_fault },
  { "enable", 2, 2, PULL, run_enable },
  { "release", 2, 2, PULL, run_release },
  { "reboot", 2, ANY, PULL, run_reboot },
  { "clock", 3, 3, PULL, run_clock },
  { "time", 2, ANY, PULL, run_time },
  { "option", 3, 4, PULL, run_option },
  { "timing", 4, 4, PULL, run_timing },
  { "pacing", 3, 3, PULL, run_pacing },
  { "attlog-range", 3, 3, PULL, run_attlog_range },
  { "count", 3, 3, PULL, run_count },
  /* push devices: the same names where the action is the same */
  { "server", 3, 3, PUSH, run_push_server },
  { "poll", 2, 2, PUSH, run_push_poll },
  { "punch", 3, 6, PUSH, run_push_punch },
  { "enroll", 3, ANY, PUSH, run_push_enroll },
  { "delete-user", 3, 3, PUSH, run_push_delete_user },
  { "add-template", 4, 4, PUSH, run_push_add_template },
  { "add-face", 3, 3, PUSH, run_push_add_template },
  { "delete-template", 4, 5, PUSH, run_push_delete_template },
  { "fault", 3, ANY, PUSH, run_push_fault },
  { "reboot", 2, 2, PUSH, run_push_reboot },
  { "count", 3, 3, PUSH, run_push_count },
};

static gboolean
check_args (const ControlCommand *c, char **argv, GError **error)
{
  guint n = g_strv_length (argv);

  if (n < c->min_args || n > c->max_args)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "wrong number of arguments for “%s” (try help)", argv[0]);
      return FALSE;
    }
  return TRUE;
}

/* the device a command names, the first argument */
static gboolean
find_device (Call *call, GError **error)
{
  int index;

  /* a device is named before the command's own arguments are counted */
  if (call->argv[1] == NULL)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "wrong number of arguments for “%s” (try help)", call->argv[0]);
      return FALSE;
    }
  index = zk_sim_server_lookup (call->server, call->argv[1]);
  if (index < 0)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_NOT_FOUND, "no device “%s”", call->argv[1]);
      return FALSE;
    }
  call->index = (guint)index;
  call->device = zk_sim_server_get_device (call->server, call->index);
  return TRUE;
}

char *
zk_sim_server_control (ZkSimServer *self, const char *line, GError **error)
{
  g_auto (GStrv) argv = NULL;
  g_autoptr (GError) local = NULL;
  Call call = { self, NULL, NULL, 0, NULL };

  g_return_val_if_fail (ZK_IS_SIM_SERVER (self), NULL);
  if (line == NULL || !g_utf8_validate (line, -1, NULL)
      || !g_shell_parse_argv (line, NULL, &argv, &local))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "cannot parse the command line%s%s",
                   local ? ": " : "", local ? local->message : "");
      return NULL;
    }
  call.argv = argv;
  /* a push device's name selects the push row of a command */
  call.push = zk_sim_server_lookup_push (self, argv[1]);
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      const ControlCommand *c = &commands[i];

      if (!g_str_equal (c->name, argv[0]) || (c->names == PUSH && call.push == NULL)
          || (c->names == PULL && call.push != NULL))
        continue;
      if ((c->names == PULL && !find_device (&call, error)) || !check_args (c, argv, error))
        return NULL;
      return c->run (&call, error);
    }
  if (call.push != NULL)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "“%s” does not apply to push device “%s” (try help)", argv[0], argv[1]);
      return NULL;
    }
  g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "unknown command “%s” (try help)",
               argv[0]);
  return NULL;
}
