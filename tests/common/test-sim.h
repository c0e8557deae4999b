/* test-sim.h — helpers for tests that run simulated terminals
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two ways to run terminals:
 *
 *  - in-process: TestSim wraps a ZkSimServer started on its own thread
 *    (own GMainContext), so the test thread can make blocking client
 *    calls against it. Everything binds 127.0.0.1 with ephemeral ports.
 *
 *      g_autofree char *json = test_sim_fixture_simple ("A", 10, 2, 50);
 *      g_autoptr (TestSim) sim = test_sim_new (json);
 *      guint16 port = test_sim_tcp_port (sim, 0);
 *      … zk_client_new ("127.0.0.1", port, ZK_TRANSPORT_TCP) …
 *      g_assert_cmpuint (test_sim_count (sim, 0, "users"), ==, 10);
 *
 *  - as a process: TestSimProcess spawns the real biosync-sim binary
 *    (path in $BIOSYNC_SIM) with --fixture, --ready-file and --control in
 *    a private temporary directory and waits for the ready file.
 *
 * Helpers whose name does not end in _full abort the test (g_assert) on
 * failure; the _full variants return a GError instead.
 *
 * The fixture format, control commands and fault names are documented
 * in docs/SIMULATOR.md.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "zk-client.h"
#include "zk-sim-server.h"

G_BEGIN_DECLS

/* ------------------------------------------------------ fixture builders */

/* one device of a fixture; zero/NULL fields mean "simulator default" */
typedef struct
{
  const char *name;       /* default "dev<N>" */
  guint users;            /* generated users, uids 1..users, user_id = uid */
  guint fingers_per_user; /* generated templates per user (fids 0..n-1) */
  guint faces_per_user;   /* generated face records per user (face7 only) */
  guint records;          /* generated attendance records */
  guint seed;             /* generator seed (default 1) */
  guint user_format;      /* 72 (default) or 28 */
  guint attlog_format;    /* 40 (default), 16, 8 or 49 */
  guint fp_version;       /* 10 (default) or 9 */
  const char *face;       /* "face7" (default), "vl" or "none" */
  guint comm_key;         /* 0 = none */
  guint psize;            /* TCP stream packet size (default 1008) */
  guint pacing_ms;        /* between streamed packets; the builder writes 0
                           * unless @pacing_set, to keep tests fast */
  gboolean pacing_set;
  gboolean no_tcp;   /* tcp_port -1 */
  gboolean no_udp;   /* udp_port -1 */
  const char *extra; /* raw JSON members appended to the device object,
                      * e.g. "\"faults\":{\"busy\":true}" (no leading comma);
                      * the serial is BSIM<position + 1> unless one is set here */
} TestSimDeviceSpec;

/* the JSON object of one device (no surrounding {"devices":…}) */
char *test_sim_fixture_device (const TestSimDeviceSpec *spec);
/* a whole fixture: {"devices":[…]} */
char *test_sim_fixture (const TestSimDeviceSpec *specs, guint n_specs);
/* one face7/v10/72/40 device with generated data, pacing 0 */
char *
test_sim_fixture_simple (const char *name, guint users, guint fingers_per_user, guint records);

/* registers @func twice, as "@prefix/@name/tcp" with data FALSE and
 * "@prefix/@name/udp" with data TRUE (GINT_TO_POINTER: "over UDP?") */
void test_sim_add_tcp_udp (const char *prefix, const char *name, GTestDataFunc func);
/* registers @func once for each mode of the NULL-terminated list, as
 * "@prefix/<mode>" with the mode string itself as data */
void test_sim_add_modes (const char *prefix, GTestDataFunc func, const char *mode, ...)
    G_GNUC_NULL_TERMINATED;

/* ------------------------------------------------------------ in-process */

typedef struct _TestSim TestSim;

/* loads @fixture_json, starts the server thread; asserts on failure */
TestSim *test_sim_new (const char *fixture_json);
TestSim *test_sim_new_full (const char *fixture_json, GError **error);
/* test_sim_new () of test_sim_fixture (@specs, @n_specs) */
TestSim *test_sim_new_specs (const TestSimDeviceSpec *specs, guint n_specs);
/* test_sim_new () of test_sim_fixture_simple () */
TestSim *test_sim_new_simple (const char *name, guint users, guint fingers_per_user, guint records);
/* stops (joins the server thread) and frees */
void test_sim_free (TestSim *sim);

ZkSimServer *test_sim_get_server (TestSim *sim);
guint test_sim_n_devices (TestSim *sim);
/* bound ports (0 when that transport is off); @device is the index */
guint16 test_sim_tcp_port (TestSim *sim, guint device);
guint16 test_sim_udp_port (TestSim *sim, guint device);
/* index of the device called @name; asserts it exists */
guint test_sim_device_index (TestSim *sim, const char *name);

/* runs one control-socket command line (see docs/SIMULATOR.md), e.g.
 * test_sim_control (sim, "punch %u %s", 0, "17"); returns the reply text,
 * asserts the command succeeded */
char *test_sim_control (TestSim *sim, const char *format, ...) G_GNUC_PRINTF (2, 3);
/* same, returning NULL with the error text on failure */
char *test_sim_control_full (TestSim *sim, GError **error, const char *format, ...)
    G_GNUC_PRINTF (3, 4);
/* a control command whose reply does not matter (asserts it succeeded),
 * e.g. test_sim_do (sim, "fault X hang") */
void test_sim_do (TestSim *sim, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* a client for device @device over TCP or UDP, not connected yet; the
 * per-call timeout @timeout_ms, the comm key @key (0 = none) */
ZkClient *
test_sim_client_new (TestSim *sim, guint device, gboolean udp, guint timeout_ms, guint32 key);
/* the same, connected (asserts it worked) */
ZkClient *
test_sim_client_connect (TestSim *sim, guint device, gboolean udp, guint timeout_ms, guint32 key);

/* the full state in the fixture format, parsed; free with json_node_unref */
JsonNode *test_sim_dump (TestSim *sim);
/* the statistics of one device (see "stats" in docs/SIMULATOR.md), parsed */
JsonNode *test_sim_stats (TestSim *sim, guint device);
/* one integer field of test_sim_stats(), e.g. "requests", "max_sessions" */
gint64 test_sim_stat (TestSim *sim, guint device, const char *field);

/* the per-kind write counters of "stats" (docs/SIMULATOR.md, "Write counters") */
#define TEST_SIM_N_WRITE_KINDS 15
extern const char *const test_sim_write_kinds[TEST_SIM_N_WRITE_KINDS];
typedef struct
{
  gint64 v[TEST_SIM_N_WRITE_KINDS];
} TestSimWrites;

void test_sim_writes_read (TestSim *sim, guint device, TestSimWrites *writes);
/* asserts that the write counters of @device moved from @before (from zero
 * when NULL) exactly as @expect says — "kind=n,kind=n", "kind=*" for any
 * number, "" for nothing — and every other kind not at all; @before then
 * holds the new values */
void test_sim_assert_writes (TestSim *sim, guint device, TestSimWrites *before, const char *expect);

/* number of entries a device holds right now; @what is one of "users",
 * "fingers", "faces", "attendance" (the fixture's array names) */
guint test_sim_count (TestSim *sim, guint device, const char *what);

/* helpers on a dump (or any fixture node): the device object at @device,
 * and the user object with @user_id (NULL when absent). The returned
 * objects belong to @dump. */
JsonObject *test_sim_dump_device (JsonNode *dump, guint device);
JsonObject *test_sim_dump_find_user (JsonNode *dump, guint device, const char *user_id);
/* counts entries of @what in a dump's device */
guint test_sim_dump_count (JsonNode *dump, guint device, const char *what);

/* ------------------------------------------------------------- process */

typedef struct _TestSimProcess TestSimProcess;

/* writes @fixture_json to a temporary directory and runs
 * "$BIOSYNC_SIM --fixture F --ready-file R --control C [extra_args…]",
 * then waits (up to 10 s) for the ready file. Asserts on failure. */
TestSimProcess *test_sim_process_spawn (const char *fixture_json, const char *const *extra_args);
TestSimProcess *test_sim_process_spawn_full (const char *fixture_json,
                                             const char *const *extra_args,
                                             GError **error);
GPid test_sim_process_get_pid (TestSimProcess *proc);
/* the temporary directory (removed by _free) and the control socket path */
const char *test_sim_process_get_dir (TestSimProcess *proc);
const char *test_sim_process_get_control_path (TestSimProcess *proc);
guint test_sim_process_n_devices (TestSimProcess *proc);
guint16 test_sim_process_tcp_port (TestSimProcess *proc, guint device);
guint16 test_sim_process_udp_port (TestSimProcess *proc, guint device);
/* one command over the control socket; returns the reply line without
 * its newline (an "ERR …" reply is returned as text, not as a GError) */
char *test_sim_process_control (TestSimProcess *proc, const char *line, GError **error);
/* one integer field of "stats @device" over the control socket, -1 when
 * the reply lacks it; asserts the command worked */
gint64 test_sim_process_stat (TestSimProcess *proc, guint device, const char *field);
/* SIGTERM and wait (up to 10 s); returns the exit status as given by
 * g_spawn_check_wait_status semantics: the exit code, or -1 if killed */
int test_sim_process_stop (TestSimProcess *proc);
/* kills it if still running, removes the temporary directory */
void test_sim_process_free (TestSimProcess *proc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestSim, test_sim_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestSimProcess, test_sim_process_free)

G_END_DECLS
