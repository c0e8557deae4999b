/* engine-fixture.h — a store, an engine and simulated terminals for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bsd-engine.h"
#include "test-sim.h"

G_BEGIN_DECLS

typedef struct
{
  char *dir;
  BsdStore *store;
  BsdSessionGate *gate;
  BsdEngine *engine;
  TestSim *sim;
  guint area_id;
  GArray *device_ids; /* guint, by simulator device index */
} EngineFixture;

/* starts the simulator from @fixture_json, opens a store in a temporary
 * directory and registers every simulated device (TCP, timeout 1500 ms);
 * with @area_name they all join one new area. Short retry backoff. */
EngineFixture *
engine_fixture_new (const char *fixture_json, const char *area_name, guint max_sessions);
/* the same from simulated device specs (see test_sim_fixture()) */
EngineFixture *engine_fixture_new_specs (const TestSimDeviceSpec *specs,
                                         guint n_specs,
                                         const char *area_name,
                                         guint max_sessions);
void engine_fixture_free (EngineFixture *fx);
/* the seed area's fixture (tests/seed-fixture.py), its devices in area
 * "Seed", two sessions at once */
EngineFixture *engine_fixture_new_seed (void);

/* runs one operation as a job to the end and checks its row */
BsdJobOutcome *engine_fixture_run (EngineFixture *fx, BsdOpKind kind, guint id);

/* the same, asserting the job ended in @state ("succeeded", "partial", …) */
BsdJobOutcome *
engine_fixture_run_expect (EngineFixture *fx, BsdOpKind kind, guint id, const char *state);

/* runs a delete-user or update-user job for @pin (trigger "uid:0");
 * @name: the update's new name, or NULL */
BsdJobOutcome *
engine_fixture_run_pin (EngineFixture *fx, BsdOpKind kind, const char *pin, const char *name);

/* attendance rows in the store */
guint64 engine_fixture_n_attendance (EngineFixture *fx);

/* PIN set / "PIN:finger" set of simulated device @index, from a dump */
GHashTable *engine_fixture_pins (EngineFixture *fx, guint index);
GHashTable *engine_fixture_fingers (EngineFixture *fx, guint index);
gboolean engine_fixture_sets_equal (GHashTable *a, GHashTable *b);
/* adds a copy of every key of @keys to @set (which frees its keys) */
void engine_fixture_set_add_all (GHashTable *set, GHashTable *keys);

/* every simulated terminal enabled, none recorded as disabled, no
 * session left open */
void engine_fixture_assert_all_enabled (EngineFixture *fx);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EngineFixture, engine_fixture_free)

/* ------------------------------------------------- failure-mode helpers */

/* simulator commands run from a job's progress callback: progress
 * arrives on the main thread between phases, so the commands run after
 * the @after_calls-th report (1 = "starting"), before the next phase of
 * any device is dispatched */
typedef struct
{
  EngineFixture *fx;
  guint after_calls;
  const char *commands[4]; /* control lines, NULL after the last */
  guint calls;             /* reports so far */
} EngineFixtureHook;

/* a BsdProgressFunc for engine_fixture_run_op (): @user_data is the hook */
void
engine_fixture_hook_cb (gint64 job_id, double fraction, const char *message, gpointer user_data);

/* the store id of simulated device @index */
guint engine_fixture_device_id (EngineFixture *fx, guint index);

/* what the job queue does around a run: @op's row created (@op->job_id
 * set) and started, the engine run to the end iterating the
 * thread-default context, its outcome recorded in the row */
BsdJobOutcome *engine_fixture_run_job (BsdEngine *engine,
                                       BsdOperation *op,
                                       GCancellable *cancellable,
                                       BsdProgressFunc progress,
                                       gpointer progress_data,
                                       GError **error);

/* runs @op to the end with @cancellable and @progress (either may be
 * NULL), iterating the thread-default context; asserts a job row */
BsdJobOutcome *engine_fixture_run_op (EngineFixture *fx,
                                      const BsdOperation *op,
                                      GCancellable *cancellable,
                                      BsdProgressFunc progress,
                                      gpointer progress_data);

/* the report object of simulated device @index in @outcome (asserts it is there) */
JsonObject *engine_fixture_report_device (EngineFixture *fx, BsdJobOutcome *outcome, guint index);

/* the plan object of device @index in the first area of @outcome's report */
JsonObject *engine_fixture_report_plan (EngineFixture *fx, BsdJobOutcome *outcome, guint index);

/* changes the configuration of simulated device @index in the store */
void engine_fixture_set_area (EngineFixture *fx, guint index, guint area_id);
void engine_fixture_set_port (EngineFixture *fx, guint index, guint16 port);
void engine_fixture_set_time_zone (EngineFixture *fx, guint index, const char *time_zone);
void engine_fixture_set_timeout (EngineFixture *fx, guint index, guint timeout_ms);

/* a TCP port on 127.0.0.1 nobody listens on (connections are refused) */
guint16 engine_fixture_closed_port (void);

/* "PIN:face" set of simulated device @index (bytes included) */
GHashTable *engine_fixture_faces (EngineFixture *fx, guint index);
/* the user object of @pin on simulated device @index, from a fresh dump; NULL when absent */
JsonObject *
engine_fixture_find_user (EngineFixture *fx, JsonNode **dump, guint index, const char *pin);

/* the bytes device @index sends for a full read of its users and
 * templates (a client of the test's own) */
gint64 engine_fixture_full_read_bytes (EngineFixture *fx, guint index);

G_END_DECLS
