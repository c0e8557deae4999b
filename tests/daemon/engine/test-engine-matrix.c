/* test-engine-matrix.c — every simulator fault × every sync phase × TCP/UDP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Issue 6 §1. Two simulated terminals, A (healthy) and B (faulted), in one
 * area; each cell injects one fault into B at the start of one phase of a
 * job and checks:
 *
 *  - the job's report for B names the cause (a non-"ok" status with a
 *    reason naming it; faults a retry absorbs may end "ok");
 *  - B ends enabled (simulator stat "disabled" false);
 *  - nothing already on A, on B or in the database is lost (PINs,
 *    templates and faces of both terminals, the roster, attendance rows);
 *  - after clearing the fault, the next fault-free run converges: the job
 *    succeeds and both terminals hold the union.
 *
 * The fault hits its phase through the simulator's "after-command" fault
 * (docs/SIMULATOR.md): it is armed for the first request carrying the
 * phase's command (e.g. 1503/9 = the user table read), and takes effect
 * with that very request. Verify (the read-back after writes) re-uses the
 * user read command, so it is armed from the engine's progress callback
 * once both terminals have been read: the next user read of B is then the
 * read-back. Busy and wrong comm key can only act when a session is set up,
 * clock offsets and a full device only where they mean something; other
 * combinations are listed as n/a.
 *
 * Without arguments a reduced matrix runs (CI). With --full (or
 * BIOSYNC_MATRIX=full) every cell runs, bounded by --time-bound SECONDS
 * (default 1200); --out FILE writes a Markdown table of the results.
 */
#include "engine-fixture.h"

#include <string.h>

#include "zk-sim-faults.h"

#define B_TIMEOUT_MS 600
#define DISABLE_TIMEOUT_S 2
#define DELETED_PIN "1001"

typedef enum
{
  PH_CONNECT,
  PH_READ_USERS,
  PH_READ_TEMPLATES,
  PH_READ_FACES,
  PH_READ_LOGS,
  PH_WRITE_USERS,
  PH_WRITE_TEMPLATES,
  PH_WRITE_FACES,
  PH_DELETE,
  PH_VERIFY,
  PH_SET_TIME,
  N_PHASES
} Phase;

#define P(x) (1u << (x))
#define ALL_PHASES ((1u << N_PHASES) - 1)
/* phases whose requests get multi-packet (streamed) answers */
#define STREAM_PHASES                                                                              \
  (P (PH_READ_USERS) | P (PH_READ_TEMPLATES) | P (PH_READ_FACES) | P (PH_READ_LOGS) | P (PH_VERIFY))
#define WRITE_PHASES (P (PH_WRITE_USERS) | P (PH_WRITE_TEMPLATES) | P (PH_WRITE_FACES))

typedef struct
{
  const char *name;
  const char *trigger; /* after-command CMD[/INNER]; NULL = see the phase */
  BsdOpKind kind;
} PhaseInfo;

static const PhaseInfo phases[N_PHASES] = {
  [PH_CONNECT] = { "connect", "1000", BSD_OP_SYNC_AREA },
  [PH_READ_USERS] = { "read users", "1503/9", BSD_OP_SYNC_AREA },
  [PH_READ_TEMPLATES] = { "read templates", "1503/7", BSD_OP_SYNC_AREA },
  [PH_READ_FACES] = { "read faces", "150", BSD_OP_SYNC_AREA },
  [PH_READ_LOGS] = { "read logs", "1503/13", BSD_OP_REFRESH_LOGS },
  [PH_WRITE_USERS] = { "write users", "8", BSD_OP_SYNC_AREA },
  /* the template goes up through the upload buffer first (1500, 1501, 87) */
  [PH_WRITE_TEMPLATES] = { "write templates", "1500", BSD_OP_SYNC_AREA },
  [PH_WRITE_FACES] = { "write faces", "151", BSD_OP_SYNC_AREA },
  [PH_DELETE] = { "delete", "18", BSD_OP_DELETE_USER },
  /* armed from progress once both terminals are read */
  [PH_VERIFY] = { "verify", "1503/9", BSD_OP_SYNC_AREA },
  [PH_SET_TIME] = { "set time", "202", BSD_OP_SET_TIME },
};

typedef enum
{
  ARM_AFTER_COMMAND, /* fault B after-command TRIGGER FAULT */
  ARM_BEFORE_RUN,    /* fault B FAULT before the job (session set-up faults) */
  ARM_BUSY,          /* another client holds B's session, B is "busy" */
} ArmKind;

typedef struct
{
  const char *label;
  const char *fault; /* control text; "delay" gets a delay beyond B's timeout */
  guint phases;
  ArmKind arm;
  /* the fault persists for the whole job: B must not end "ok" */
  gboolean persistent;
  /* the fault is no failure at all: B must end "ok" */
  gboolean benign;
  /* B may stay disabled until its own disable timeout: it stopped
   * answering, nobody can enable it */
  gboolean unanswering;
  /* words of which the reason must name one (lower case, '|'-separated) */
  const char *causes;
} FaultInfo;

#define TIMEOUT_CAUSES "timed out|timeout|no answer|not answer|did not answer|unreachable"
#define LINK_CAUSES                                                                                \
  "closed|connection|reset|broken|eof|timed out|timeout|no answer|not answer|did not answer"

static const FaultInfo faults[] = {
  { "drop request", "drop-request 1", ALL_PHASES, ARM_AFTER_COMMAND, FALSE, FALSE, FALSE,
    TIMEOUT_CAUSES },
  { "drop reply", "drop-reply 1", ALL_PHASES, ARM_AFTER_COMMAND, FALSE, FALSE, FALSE,
    TIMEOUT_CAUSES },
  { "delay beyond timeout", "delay", ALL_PHASES, ARM_AFTER_COMMAND, TRUE, FALSE, FALSE,
    TIMEOUT_CAUSES },
  { "close mid-stream", "close-mid-stream", STREAM_PHASES, ARM_AFTER_COMMAND, FALSE, FALSE, FALSE,
    LINK_CAUSES },
  { "close after request", "close-after 1", ALL_PHASES, ARM_AFTER_COMMAND, FALSE, FALSE, FALSE,
    LINK_CAUSES },
  /* the simulator re-sends a cached reply intact: a retransmission
   * recovers, so this is a burst of two corrupt replies, not a dead line */
  { "corrupt checksum", "corrupt-checksum 2", ALL_PHASES, ARM_AFTER_COMMAND, FALSE, FALSE, FALSE,
    "checksum|" TIMEOUT_CAUSES },
  { "hang", "hang", ALL_PHASES, ARM_AFTER_COMMAND, TRUE, FALSE, TRUE, TIMEOUT_CAUSES },
  { "hang mid-transfer", "hang-mid-transfer", STREAM_PHASES, ARM_AFTER_COMMAND, FALSE, FALSE, TRUE,
    TIMEOUT_CAUSES },
  { "ack but drop writes", "ack-drop-writes", WRITE_PHASES | P (PH_DELETE), ARM_AFTER_COMMAND, TRUE,
    FALSE, FALSE, "acknowledged|read back|still|not on the device" },
  { "busy", "busy", P (PH_CONNECT), ARM_BUSY, TRUE, FALSE, FALSE, "busy|" LINK_CAUSES },
  { "wrong comm key", "wrong-key", P (PH_CONNECT), ARM_BEFORE_RUN, TRUE, FALSE, FALSE,
    "comm key|authenticat" },
  /* the simulator's "full" refuses writes without making GET_FREE_SIZES
   * report a full table: the client can only say the record was refused */
  { "full", "full", WRITE_PHASES, ARM_AFTER_COMMAND, TRUE, FALSE, FALSE, "full|capacity|refused" },
  { "reboot", "reboot", ALL_PHASES, ARM_AFTER_COMMAND, FALSE, FALSE, FALSE, LINK_CAUSES },
  { "clock offset", "clock 3600", P (PH_CONNECT) | P (PH_READ_LOGS) | P (PH_SET_TIME),
    ARM_AFTER_COMMAND, FALSE, TRUE, FALSE, "" },
};

typedef struct
{
  guint fault;
  Phase phase;
  gboolean udp;
  /* results */
  gboolean ran;
  gboolean passed;
  char *status;  /* B's status in the faulted job */
  char *state;   /* the faulted job's state */
  char *reason;  /* B's reason */
  char *problem; /* why the cell failed */
  gboolean converged;
  gboolean self_enabled; /* B re-enabled itself after its disable timeout */
  double seconds;
} Cell;

static void
cell_free (Cell *cell)
{
  g_free (cell->status);
  g_free (cell->state);
  g_free (cell->reason);
  g_free (cell->problem);
  g_free (cell);
}

static GPtrArray *cells;
static gint64 deadline_us;

/* ------------------------------------------------------------ helpers */

static void
set_transport (EngineFixture *fx, guint index, gboolean udp, guint timeout_ms)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdDevice) device
      = bsd_store_get_device (fx->store, engine_fixture_device_id (fx, index), &error);
  g_autoptr (BsdDeviceConfig) config = bsd_device_config_new ();

  g_assert_no_error (error);
  g_free (config->name);
  config->name = g_strdup (device->name);
  g_free (config->address);
  config->address = g_strdup (device->address);
  config->port = udp ? test_sim_udp_port (fx->sim, index) : test_sim_tcp_port (fx->sim, index);
  g_free (config->protocol);
  config->protocol = g_strdup (udp ? "udp" : "tcp");
  config->timeout_ms = timeout_ms;
  config->enabled = device->enabled;
  config->area_id = device->area_id;
  g_free (config->time_zone);
  config->time_zone = g_strdup (device->time_zone);
  bsd_store_update_device (fx->store, engine_fixture_device_id (fx, index), config, &error);
  g_assert_no_error (error);
}

/* a "PIN" or "PIN:…" key of the deleted PIN */
static gboolean
of_deleted_pin (const char *key)
{
  return g_str_equal (key, DELETED_PIN)
         || (g_str_has_prefix (key, DELETED_PIN) && key[strlen (DELETED_PIN)] == ':');
}

/* every entry of @before (but the deleted PIN's) is in @after */
static gboolean
kept (GHashTable *before, GHashTable *after, gboolean deleted, char **missing)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, before);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      const char *k = key;

      if (deleted && of_deleted_pin (k))
        continue;
      if (!g_hash_table_contains (after, k))
        {
          *missing = g_strndup (k, 24);
          return FALSE;
        }
    }
  return TRUE;
}

static GHashTable *
union_without (GHashTable *a, GHashTable *b, gboolean deleted)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTable *both[] = { a, b };

  for (guint i = 0; i < 2; i++)
    {
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, both[i]);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          const char *k = key;

          if (deleted && of_deleted_pin (k))
            continue;
          g_hash_table_add (set, g_strdup (k));
        }
    }
  return set;
}

static GHashTable *
roster_pins (EngineFixture *fx)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) people = bsd_store_list_people (fx->store, &error);
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < people->len; i++)
    g_hash_table_add (set, g_strdup (((BsdPerson *)people->pdata[i])->pin));
  return set;
}

typedef struct
{
  GHashTable *pins[2];
  GHashTable *fingers[2];
  GHashTable *faces[2];
  GHashTable *roster;
  guint64 rows;
} Holdings;

static void
holdings_take (EngineFixture *fx, Holdings *h)
{
  for (guint i = 0; i < 2; i++)
    {
      h->pins[i] = engine_fixture_pins (fx, i);
      h->fingers[i] = engine_fixture_fingers (fx, i);
      h->faces[i] = engine_fixture_faces (fx, i);
    }
  h->roster = roster_pins (fx);
  h->rows = engine_fixture_n_attendance (fx);
}

static void
holdings_clear (Holdings *h)
{
  for (guint i = 0; i < 2; i++)
    {
      g_clear_pointer (&h->pins[i], g_hash_table_unref);
      g_clear_pointer (&h->fingers[i], g_hash_table_unref);
      g_clear_pointer (&h->faces[i], g_hash_table_unref);
    }
  g_clear_pointer (&h->roster, g_hash_table_unref);
}

/* NULL when everything of @before is still held in @after */
static char *
compare_kept (const Holdings *before, const Holdings *after, gboolean deleted)
{
  static const char *names[] = { "A", "B" };
  g_autofree char *missing = NULL;

  for (guint i = 0; i < 2; i++)
    {
      if (!kept (before->pins[i], after->pins[i], deleted, &missing))
        return g_strdup_printf ("%s lost user %s", names[i], missing);
      if (!kept (before->fingers[i], after->fingers[i], deleted, &missing))
        return g_strdup_printf ("%s lost template %s…", names[i], missing);
      if (!kept (before->faces[i], after->faces[i], deleted, &missing))
        return g_strdup_printf ("%s lost face %s…", names[i], missing);
    }
  if (!kept (before->roster, after->roster, deleted, &missing))
    return g_strdup_printf ("the database lost person %s", missing);
  if (after->rows < before->rows)
    return g_strdup_printf ("attendance rows went from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT,
                            before->rows, after->rows);
  return NULL;
}

static gboolean
reason_names (const char *reason, const char *causes)
{
  g_autofree char *lower = g_ascii_strdown (reason, -1);
  g_auto (GStrv) words = g_strsplit (causes, "|", -1);

  for (guint i = 0; words[i]; i++)
    if (words[i][0] != '\0' && strstr (lower, words[i]) != NULL)
      return TRUE;
  return FALSE;
}

static BsdJobOutcome *
run_phase_op (EngineFixture *fx, Phase phase, EngineFixtureHook *hook)
{
  g_autoptr (BsdOperation) op = bsd_operation_new (phases[phase].kind);

  op->trigger = g_strdup ("uid:0");
  op->requested_by_uid = 0;
  if (phases[phase].kind == BSD_OP_SYNC_AREA)
    op->area_id = fx->area_id;
  else if (phases[phase].kind == BSD_OP_DELETE_USER)
    op->pin = g_strdup (DELETED_PIN);
  else
    op->device_id = engine_fixture_device_id (fx, 1);
  return engine_fixture_run_op (fx, op, NULL, hook ? engine_fixture_hook_cb : NULL, hook);
}

static const char *
member_or (JsonObject *o, const char *name, const char *fallback)
{
  if (o == NULL || !json_object_has_member (o, name))
    return fallback;
  return json_object_get_string_member (o, name);
}

/* |device clock − host clock| in seconds */
static gint64
clock_skew (EngineFixture *fx)
{
  g_autofree char *text = test_sim_control (fx->sim, "time B");
  g_autoptr (GTimeZone) local = g_time_zone_new_local ();
  g_autoptr (GDateTime) device = g_date_time_new_from_iso8601 (text, local);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();

  g_assert_nonnull (device);
  return ABS (g_date_time_difference (device, now) / G_TIME_SPAN_SECOND);
}

static char *
fixture_json (void)
{
  /* few enough users and templates that B gets them record by record
   * (BATCH_MIN_ITEMS), so user and template writes are separate phases */
  const TestSimDeviceSpec specs[] = {
    { .name = "A",
      .users = 3,
      .fingers_per_user = 1,
      .faces_per_user = 1,
      .records = 20,
      .psize = 256 },
    { .name = "B",
      .psize = 256,
      .extra = "\"generate\":{\"users\":2,\"fingers_per_user\":1,"
               "\"faces_per_user\":1,\"records\":30,\"seed\":7,\"user_id_base\":1000}" },
  };

  return test_sim_fixture (specs, G_N_ELEMENTS (specs));
}

#define PROBLEM(...) return g_strdup_printf (__VA_ARGS__)

/* arms the cell's fault on B; the verify phase's is armed by @hook once the
 * job runs (the command is returned, to free after the job) */
static char *
arm_fault (EngineFixture *fx, const Cell *cell, EngineFixtureHook *hook, ZkClient **holder)
{
  const FaultInfo *f = &faults[cell->fault];
  /* the only parameter: a delay beyond B's timeout */
  g_autofree char *fault_text = g_str_equal (f->fault, "delay")
                                    ? g_strdup_printf ("delay %u", B_TIMEOUT_MS * 2)
                                    : g_strdup (f->fault);
  g_autoptr (GError) error = NULL;
  char *command = NULL;

  switch (f->arm)
    {
    case ARM_BUSY:
      *holder = zk_client_new (
          "127.0.0.1", cell->udp ? test_sim_udp_port (fx->sim, 1) : test_sim_tcp_port (fx->sim, 1),
          cell->udp ? ZK_TRANSPORT_UDP : ZK_TRANSPORT_TCP);
      zk_client_set_timeout (*holder, 1000);
      g_assert_true (zk_client_connect (*holder, NULL, &error));
      g_assert_no_error (error);
      test_sim_do (fx->sim, "fault B busy");
      break;
    case ARM_BEFORE_RUN:
      test_sim_do (fx->sim, "fault B %s", fault_text);
      break;
    case ARM_AFTER_COMMAND:
      command = g_strdup_printf ("fault B after-command %s %s", phases[cell->phase].trigger,
                                 fault_text);
      if (cell->phase == PH_VERIFY)
        hook->commands[0] = command;
      else
        test_sim_do (fx->sim, "%s", command);
      break;
    }
  return command;
}

/* B's state, status and reason in @cell; every reason, the per-item
 * failures' too (the device's answers are part of the result: the first
 * is shown, any may name the cause) */
static GString *
record_result (Cell *cell, BsdJobOutcome *faulted, JsonObject *report)
{
  GString *all_reasons;

  cell->state = g_strdup (faulted->state);
  cell->status = g_strdup (member_or (report, "status", "?"));
  cell->reason = g_strdup (member_or (report, "reason", ""));
  all_reasons = g_string_new (cell->reason);
  if (json_object_has_member (report, "failures"))
    {
      JsonArray *failures = json_object_get_array_member (report, "failures");

      for (guint i = 0; i < json_array_get_length (failures); i++)
        g_string_append_printf (
            all_reasons, "; %s",
            member_or (json_array_get_object_element (failures, i), "reason", ""));
      if (json_array_get_length (failures) > 0)
        {
          char *both = g_strdup_printf (
              "%s; first failure: %s", cell->reason,
              member_or (json_array_get_object_element (failures, 0), "reason", ""));

          g_free (cell->reason);
          cell->reason = both;
        }
    }
  return all_reasons;
}

/* the report names the cause */
static char *
check_report (const Cell *cell, BsdJobOutcome *faulted, const char *all_reasons)
{
  const FaultInfo *f = &faults[cell->fault];

  if (g_str_equal (cell->status, "ok"))
    {
      if (f->persistent)
        PROBLEM ("B reported ok under a persistent fault");
      if (!g_str_equal (faulted->state, "succeeded"))
        PROBLEM ("B ok but the job %s", faulted->state);
      return NULL;
    }
  if (f->benign)
    PROBLEM ("B %s under a benign fault: %s", cell->status, cell->reason);
  if (g_str_equal (faulted->state, "succeeded"))
    PROBLEM ("B %s but the job succeeded", cell->status);
  if (cell->reason[0] == '\0')
    PROBLEM ("B %s without a reason", cell->status);
  if (!reason_names (all_reasons, f->causes))
    PROBLEM ("the reason does not name the cause (%s)", f->causes);
  return NULL;
}

/* B ends enabled: by the engine, or — when B stopped answering — by its
 * own disable timeout, which the engine set */
static char *
check_enabled (EngineFixture *fx, Cell *cell)
{
  if (test_sim_stat (fx->sim, 1, "disabled") != 0)
    {
      gint64 until = g_get_monotonic_time () + (DISABLE_TIMEOUT_S + 2) * G_USEC_PER_SEC;

      if (!faults[cell->fault].unanswering)
        PROBLEM ("B was left disabled");
      while (test_sim_stat (fx->sim, 1, "disabled") != 0 && g_get_monotonic_time () < until)
        g_usleep (100 * 1000);
      if (test_sim_stat (fx->sim, 1, "disabled") != 0)
        PROBLEM ("B stayed disabled past its disable timeout");
      cell->self_enabled = TRUE;
    }
  if (test_sim_stat (fx->sim, 0, "disabled") != 0)
    PROBLEM ("A was left disabled");
  return NULL;
}

/* nothing already there is lost */
static char *
check_kept (EngineFixture *fx, const Holdings *before, gboolean deleted)
{
  Holdings after = { 0 };
  char *lost;

  test_sim_do (fx->sim, "fault B clear");
  test_sim_do (fx->sim, "reboot B");
  holdings_take (fx, &after);
  lost = compare_kept (before, &after, deleted);
  holdings_clear (&after);
  return lost;
}

/* after a fault-free sync, both terminals hold the union of what they held */
static char *
check_union (EngineFixture *fx, const Holdings *before, gboolean deleted)
{
  g_autoptr (GHashTable) all_pins = union_without (before->pins[0], before->pins[1], deleted);
  g_autoptr (GHashTable) all_fingers
      = union_without (before->fingers[0], before->fingers[1], deleted);
  g_autoptr (GHashTable) all_faces = union_without (before->faces[0], before->faces[1], deleted);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GHashTable) pins = engine_fixture_pins (fx, i);
      g_autoptr (GHashTable) fingers = engine_fixture_fingers (fx, i);
      g_autoptr (GHashTable) faces = engine_fixture_faces (fx, i);

      if (!engine_fixture_sets_equal (pins, all_pins))
        PROBLEM ("%s holds %u users, the union is %u", i ? "B" : "A", g_hash_table_size (pins),
                 g_hash_table_size (all_pins));
      if (!engine_fixture_sets_equal (fingers, all_fingers))
        PROBLEM ("%s holds %u templates, the union is %u", i ? "B" : "A",
                 g_hash_table_size (fingers), g_hash_table_size (all_fingers));
      if (!engine_fixture_sets_equal (faces, all_faces))
        PROBLEM ("%s holds %u faces, the union is %u", i ? "B" : "A", g_hash_table_size (faces),
                 g_hash_table_size (all_faces));
      if (test_sim_stat (fx->sim, i, "disabled") != 0)
        PROBLEM ("%s disabled after the fault-free run", i ? "B" : "A");
    }
  return NULL;
}

/* the next fault-free run converges */
static char *
check_converges (EngineFixture *fx, Phase phase, const Holdings *before)
{
  g_autoptr (BsdJobOutcome) again = NULL;
  g_autoptr (BsdJobOutcome) converge = NULL;
  g_autoptr (GArray) disabled = NULL;
  char *problem;

  if (phase == PH_DELETE || phase == PH_SET_TIME || phase == PH_READ_LOGS)
    {
      again = run_phase_op (fx, phase, NULL);
      if (!g_str_equal (again->state, "succeeded"))
        PROBLEM ("the fault-free %s job %s", phases[phase].name, again->state);
    }
  if (phase == PH_SET_TIME && clock_skew (fx) > 5)
    PROBLEM ("B's clock is %" G_GINT64_FORMAT " s off after setting the time", clock_skew (fx));
  if (phase == PH_READ_LOGS && engine_fixture_n_attendance (fx) != 30)
    PROBLEM ("%" G_GUINT64_FORMAT " attendance rows, B holds 30", engine_fixture_n_attendance (fx));
  converge = engine_fixture_run (fx, BSD_OP_SYNC_AREA, fx->area_id);
  if (!g_str_equal (converge->state, "succeeded"))
    PROBLEM ("the fault-free sync %s: %s", converge->state, converge->summary);
  problem = check_union (fx, before, phase == PH_DELETE);
  if (problem)
    return problem;
  disabled = bsd_store_list_disabled_devices (fx->store, NULL);
  if (disabled == NULL || disabled->len != 0)
    PROBLEM ("devices still recorded as disabled after the fault-free run");
  if (bsd_session_gate_get_open (fx->gate) != 0)
    PROBLEM ("sessions left open");
  return NULL;
}

/* the checks of one cell after its faulted job, in order; the first
 * problem found */
static char *
check_cell (EngineFixture *fx,
            Cell *cell,
            BsdJobOutcome *faulted,
            const char *all_reasons,
            const EngineFixtureHook *hook,
            ZkClient *holder,
            const Holdings *before)
{
  ZkSimDevice *b = zk_sim_server_get_device (test_sim_get_server (fx->sim), 1);
  g_autofree char *armed = NULL;
  char *problem;

  /* the fault hit its phase */
  if (cell->phase == PH_VERIFY && hook->calls < 3)
    PROBLEM ("the job reported progress %u times, the verify fault was never armed", hook->calls);
  armed = zk_sim_device_dup_armed (b);
  if (armed != NULL)
    PROBLEM ("the fault never fired (still armed: %s)", armed);
  if ((problem = check_report (cell, faulted, all_reasons)) != NULL
      || (problem = check_enabled (fx, cell)) != NULL
      || (problem = check_kept (fx, before, cell->phase == PH_DELETE)) != NULL)
    return problem;
  if (holder != NULL)
    zk_client_disconnect (holder, NULL, NULL);
  return check_converges (fx, cell->phase, before);
}

#undef PROBLEM

static void
run_cell (Cell *cell)
{
  g_autofree char *json = fixture_json ();
  g_autoptr (EngineFixture) fx = engine_fixture_new (json, "Matrix", 2);
  g_autofree char *command = NULL;
  g_autoptr (BsdJobOutcome) faulted = NULL;
  g_autoptr (ZkClient) holder = NULL;
  g_autoptr (GString) all_reasons = NULL;
  Holdings before = { 0 };
  /* progress: "starting", then one call per terminal read; once both are
   * in, the next user read of B is the read-back after the writes */
  EngineFixtureHook hook = { fx, 3, { NULL } };
  gint64 start = g_get_monotonic_time ();

  cell->ran = TRUE;
  bsd_engine_set_disable_timeout (fx->engine, DISABLE_TIMEOUT_S);
  set_transport (fx, 0, cell->udp, 1500);
  set_transport (fx, 1, cell->udp, B_TIMEOUT_MS);

  /* deleting needs the PIN everywhere: converge first */
  if (cell->phase == PH_DELETE)
    {
      g_autoptr (BsdJobOutcome) setup = engine_fixture_run (fx, BSD_OP_SYNC_AREA, fx->area_id);

      g_assert_cmpstr (setup->state, ==, "succeeded");
    }
  holdings_take (fx, &before);
  command = arm_fault (fx, cell, &hook, &holder);

  faulted = run_phase_op (fx, cell->phase, cell->phase == PH_VERIFY ? &hook : NULL);
  all_reasons = record_result (cell, faulted, engine_fixture_report_device (fx, faulted, 1));
  if (g_getenv ("MATRIX_DEBUG"))
    {
      g_autofree char *r = json_to_string (faulted->report, TRUE);
      g_autofree char *st = json_to_string (test_sim_stats (fx->sim, 1), FALSE);
      g_printerr ("%s\n%s\n", r, st);
    }
  cell->problem = check_cell (fx, cell, faulted, all_reasons->str, &hook, holder, &before);
  cell->converged = cell->passed = cell->problem == NULL;

  holdings_clear (&before);
  cell->seconds = (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC;
}

/* the engine warns when a terminal it could not reach is left to its own
 * disable timeout or keeps its clock: expected here; any other warning
 * fails the cell that was running */
static gint unexpected_warnings;

static void
warning_cb (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  gboolean expected = strstr (message, "it re-enables itself after") != NULL
                      || strstr (message, "could not re-enable it yet") != NULL
                      || strstr (message, "setting the clock failed") != NULL;

  if (!expected)
    g_atomic_int_inc (&unexpected_warnings);
  g_printerr ("# %s warning: %s%s\n", expected ? "expected" : "UNEXPECTED", message,
              expected ? "" : " (fails the cell)");
}

static void
test_cell (gconstpointer data)
{
  Cell *cell = (Cell *)data;

  if (g_get_monotonic_time () > deadline_us)
    {
      g_test_skip ("time bound reached");
      return;
    }
  g_atomic_int_set (&unexpected_warnings, 0);
  run_cell (cell);
  if (cell->passed && g_atomic_int_get (&unexpected_warnings) > 0)
    {
      cell->passed = FALSE;
      cell->problem = g_strdup ("the engine logged an unexpected warning");
    }
  g_test_message ("%s x %s x %s: B %s (%s), job %s, %.1f s", faults[cell->fault].label,
                  phases[cell->phase].name, cell->udp ? "udp" : "tcp", cell->status, cell->reason,
                  cell->state, cell->seconds);
  if (!cell->passed)
    g_test_fail_printf ("%s x %s x %s: %s", faults[cell->fault].label, phases[cell->phase].name,
                        cell->udp ? "udp" : "tcp", cell->problem);
}

/* ------------------------------------------------------------ the matrix */

static void
add_cell (guint fault, Phase phase, gboolean udp)
{
  Cell *cell = g_new0 (Cell, 1);
  g_autofree char *path = NULL;
  g_autofree char *fault_slug = g_strdelimit (g_strdup (faults[fault].label), " ", '-');
  g_autofree char *phase_slug = g_strdelimit (g_strdup (phases[phase].name), " ", '-');

  cell->fault = fault;
  cell->phase = phase;
  cell->udp = udp;
  g_ptr_array_add (cells, cell);
  if (!(faults[fault].phases & P (phase)))
    return; /* n/a: listed in the table, not run */
  path = g_strdup_printf ("/engine/matrix/%s/%s/%s", udp ? "udp" : "tcp", fault_slug, phase_slug);
  g_test_add_data_func (path, cell, test_cell);
}

static guint
fault_index (const char *label)
{
  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    if (g_str_equal (faults[i].label, label))
      return i;
  g_assert_not_reached ();
  return 0;
}

/* every fault once, every phase at least once, TCP and a few UDP cells */
static void
add_reduced (void)
{
  static const struct
  {
    const char *fault;
    Phase phase;
    gboolean udp;
  } subset[] = {
    { "drop request", PH_CONNECT, FALSE },
    { "drop reply", PH_WRITE_USERS, FALSE },
    { "delay beyond timeout", PH_READ_TEMPLATES, FALSE },
    { "close mid-stream", PH_READ_USERS, FALSE },
    { "close after request", PH_WRITE_TEMPLATES, FALSE },
    { "corrupt checksum", PH_READ_LOGS, FALSE },
    { "hang", PH_WRITE_FACES, FALSE },
    { "hang mid-transfer", PH_VERIFY, FALSE },
    { "ack but drop writes", PH_DELETE, FALSE },
    { "busy", PH_CONNECT, FALSE },
    { "wrong comm key", PH_CONNECT, FALSE },
    { "full", PH_WRITE_USERS, FALSE },
    { "reboot", PH_READ_FACES, FALSE },
    { "clock offset", PH_SET_TIME, FALSE },
    { "drop reply", PH_SET_TIME, FALSE },
    { "hang", PH_READ_USERS, TRUE },
    { "close after request", PH_WRITE_USERS, TRUE },
    { "corrupt checksum", PH_CONNECT, TRUE },
    { "reboot", PH_READ_LOGS, TRUE },
    /* a lost ENABLE_DEVICE over UDP: the next session enables it */
    { "delay beyond timeout", PH_DELETE, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (subset); i++)
    add_cell (fault_index (subset[i].fault), subset[i].phase, subset[i].udp);
}

static void
add_full (void)
{
  for (guint t = 0; t < 2; t++)
    for (guint f = 0; f < G_N_ELEMENTS (faults); f++)
      for (guint p = 0; p < N_PHASES; p++)
        add_cell (f, p, t == 1);
}

static char *
md_escape (const char *text)
{
  GString *s = g_string_new (NULL);

  for (const char *c = text ? text : ""; *c; c++)
    {
      if (*c == '|')
        g_string_append (s, "\\|");
      else if (*c == '\n')
        g_string_append_c (s, ' ');
      else
        g_string_append_c (s, *c);
    }
  return g_string_free (s, FALSE);
}

static void
write_table (const char *path, gboolean full, double seconds)
{
  GString *md = g_string_new (NULL);
  guint passed = 0, failed = 0, na = 0, skipped = 0, recovered = 0, self_enabled = 0;
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < cells->len; i++)
    {
      Cell *c = cells->pdata[i];

      if (!(faults[c->fault].phases & P (c->phase)))
        na++;
      else if (!c->ran)
        skipped++;
      else if (c->passed)
        {
          passed++;
          if (g_str_equal (c->status, "ok"))
            recovered++;
          if (c->self_enabled)
            self_enabled++;
        }
      else
        failed++;
    }
  g_string_append_printf (md,
                          "<!-- written by test-engine-matrix%s; do not edit by hand -->\n\n"
                          "%u cells run in %.0f s: **%u passed, %u failed**, %u not run "
                          "(time bound); %u combinations n/a. Of the passed cells, %u "
                          "ended \"ok\" (a retry absorbed the fault) and %u had B re-enable "
                          "itself after its disable timeout (it had stopped answering).\n\n",
                          full ? " --full" : "", passed + failed, seconds, passed, failed, skipped,
                          na, recovered, self_enabled);
  g_string_append (md, "| fault | phase | transport | B status | job | cause (B's reason) | "
                       "converged | cell |\n|---|---|---|---|---|---|---|---|\n");
  for (guint i = 0; i < cells->len; i++)
    {
      Cell *c = cells->pdata[i];
      g_autofree char *reason = NULL;
      const char *verdict;

      if (!(faults[c->fault].phases & P (c->phase)))
        continue;
      reason = md_escape (c->problem ? c->problem : c->reason);
      verdict = !c->ran ? "not run" : c->passed ? "pass" : "**FAIL**";
      g_string_append_printf (md, "| %s | %s | %s | %s | %s | %s%s | %s | %s |\n",
                              faults[c->fault].label, phases[c->phase].name, c->udp ? "UDP" : "TCP",
                              c->ran ? c->status : "–", c->ran ? c->state : "–",
                              c->problem ? "**problem:** " : "", reason,
                              c->converged ? "yes"
                              : c->ran     ? "no"
                                           : "–",
                              verdict);
    }
  g_string_append (md, "\nn/a combinations (not run): ");
  for (guint f = 0; f < G_N_ELEMENTS (faults); f++)
    {
      gboolean first = TRUE;

      if (faults[f].phases == ALL_PHASES)
        continue;
      g_string_append_printf (md, "%s%s only at ", f ? "; " : "", faults[f].label);
      for (guint p = 0; p < N_PHASES; p++)
        if (faults[f].phases & P (p))
          {
            g_string_append_printf (md, "%s%s", first ? "" : ", ", phases[p].name);
            first = FALSE;
          }
    }
  g_string_append (md, ".\n");
  if (!g_file_set_contents (path, md->str, -1, &error))
    g_printerr ("test-engine-matrix: %s\n", error->message);
  g_string_free (md, TRUE);
}

int
main (int argc, char **argv)
{
  gboolean full = g_strcmp0 (g_getenv ("BIOSYNC_MATRIX"), "full") == 0;
  const char *out = NULL;
  guint bound_s = 1200;
  gint64 start = g_get_monotonic_time ();
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  char **test_argv;
  int status;

  /* our options first; the rest is GTest's */
  g_ptr_array_add (args, argv[0]);
  /* every cell runs, also after a failed one */
  g_ptr_array_add (args, (char *)"--keep-going");
  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--full"))
        full = TRUE;
      else if (g_str_equal (argv[i], "--out") && i + 1 < argc)
        out = argv[++i];
      else if (g_str_equal (argv[i], "--time-bound") && i + 1 < argc)
        bound_s = (guint)g_ascii_strtoull (argv[++i], NULL, 10);
      else
        g_ptr_array_add (args, argv[i]);
    }
  argc = (int)args->len;
  g_ptr_array_add (args, NULL);
  test_argv = (char **)args->pdata;
  g_test_init (&argc, &test_argv, NULL);
  /* warnings are checked per cell (warning_cb), criticals stay fatal */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_log_set_handler ("biosyncd", G_LOG_LEVEL_WARNING, warning_cb, NULL);
  deadline_us = start + (gint64)bound_s * G_USEC_PER_SEC;
  cells = g_ptr_array_new_with_free_func ((GDestroyNotify)cell_free);
  if (full)
    add_full ();
  else
    add_reduced ();
  status = g_test_run ();
  if (out != NULL)
    write_table (out, full, (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC);
  g_ptr_array_unref (cells);
  return status;
}
