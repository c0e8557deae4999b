/* zk-sim-fixture.h — simulator fixtures: JSON in, devices out, and back
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The format is documented in docs/SIMULATOR.md. Loading never trusts
 * its input: a bad fixture gives a ZK_ERROR_INVALID_ARGUMENT whose
 * message names the device index and the field ("devices[2].users[0].uid:
 * expected an integer between 1 and 65534").
 */
#pragma once

#include <json-glib/json-glib.h>

#include "zk-sim-device.h"
#include "zk-sim-faults.h"
#include "zk-sim-hostile.h"
#include "zk-sim-push-device.h"

G_BEGIN_DECLS

/* limits that keep a hostile fixture from exhausting memory */
#define ZK_SIM_FIXTURE_MAX_DEVICES 4096
#define ZK_SIM_FIXTURE_MAX_RECORDS 1000000

/* returns an array of ZkSimDevice* and ZkSimPushDevice* (owned), in
 * fixture order */
GPtrArray *zk_sim_fixture_load_from_data (const char *data, gsize len, GError **error);
GPtrArray *zk_sim_fixture_load_from_file (const char *path, GError **error);

/* the name of a ZkSimDevice or ZkSimPushDevice */
const char *zk_sim_fixture_device_name (gpointer device);

/* template and face bytes, deterministic for @rand's seed; @size 0 = a
 * size real terminals use */
GBytes *zk_sim_make_template (GRand *rand, guint fp_version, guint size);
GBytes *zk_sim_make_face_data (GRand *rand, guint size);

/* a fixture of @n_devices default devices ("dev0"…) with a few generated
 * users, templates and records each */
char *zk_sim_fixture_default_json (guint n_devices);

/* a string member that may hold any bytes: as text when JSON can carry
 * it, else as "NAME_hex" (json-glib 1.6 writes U+001F unescaped) */
void zk_sim_fixture_add_text (JsonBuilder *builder, const char *name, const char *value);
/* "name": v, inside an object being built (dumps and stats share them) */
void zk_sim_json_add_int (JsonBuilder *b, const char *name, gint64 v);
void zk_sim_json_add_bool (JsonBuilder *b, const char *name, gboolean v);

/* the full state of a device as a fixture device object */
JsonNode *zk_sim_fixture_device_to_json (ZkSimDevice *device);
/* {"devices":[…]} for an array of ZkSimDevice* and ZkSimPushDevice* */
char *zk_sim_fixture_dump (GPtrArray *devices, gboolean pretty);

G_END_DECLS
