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

/* the seed area's fixture (tests/seed-fixture.py) as JSON */
char *engine_fixture_seed_json (void);

/* starts the simulator from @fixture_json, opens a store in a temporary
 * directory and registers every simulated device (TCP, timeout 1500 ms);
 * with @area_name they all join one new area. Short retry backoff. */
EngineFixture *
engine_fixture_new (const char *fixture_json, const char *area_name, guint max_sessions);
void engine_fixture_free (EngineFixture *fx);

/* runs one operation to the end and checks it produced a job row */
BsdJobOutcome *engine_fixture_run (EngineFixture *fx, BsdOpKind kind, guint id);

/* PIN set / "PIN:finger" set of simulated device @index, from a dump */
GHashTable *engine_fixture_pins (EngineFixture *fx, guint index);
GHashTable *engine_fixture_fingers (EngineFixture *fx, guint index);
gboolean engine_fixture_sets_equal (GHashTable *a, GHashTable *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EngineFixture, engine_fixture_free)

G_END_DECLS
