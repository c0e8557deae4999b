/* plan-helpers.h — building snapshots and applying plans in tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bsd-plan.h"

G_BEGIN_DECLS

/* a 72-byte, ~ZKFPVersion 10, finger-only device */
BsdSnapshot *th_snapshot (guint device_id, const char *name);
ZkUser *th_add_user (BsdSnapshot *snapshot, guint16 uid, const char *pin, const char *name);
/* template bytes derived from (pin, index, variant): equal variants give
 * equal bytes, on every device */
GBytes *th_bytes (const char *kind, const char *pin, guint index, guint variant);
void th_add_finger (BsdSnapshot *snapshot, guint16 uid, guint8 fid, const char *pin, guint variant);
void th_add_face (BsdSnapshot *snapshot, guint16 uid, guint8 fid, const char *pin, guint variant);

/* an input holding copies of @snapshots */
BsdPlanInput *th_input (GPtrArray *snapshots);
BsdSnapshot *th_find (GPtrArray *snapshots, guint device_id);

/* applies @plan to @snapshots the way a faithful device would, asserting
 * every device-side rule (free slot, unique user id, user exists, no
 * overwrite of a finger/face, face support, capacity) */
void th_apply (GPtrArray *snapshots, BsdPlan *plan);

/* set of PINs (with a usable user id) on a device, kept slots only */
GHashTable *th_pins (const BsdSnapshot *snapshot);
const ZkUser *th_user (const BsdSnapshot *snapshot, const char *pin);
/* the template of (pin, finger) on a device, or NULL */
GBytes *th_finger (const BsdSnapshot *snapshot, const char *pin, guint8 fid);
GBytes *th_face (const BsdSnapshot *snapshot, const char *pin, guint8 fid);

/* the plan as a JSON string */
char *th_plan_json (BsdPlan *plan);
char *th_node_json (JsonNode *node);

/* does @plan have a skip on @device_id for (@pin, @kind, @index) with @reason? */
const BsdPlanSkip *th_find_skip (BsdPlan *plan,
                                 guint device_id,
                                 BsdPlanItemKind kind,
                                 const char *pin,
                                 gint index,
                                 BsdSkipReason reason);
const BsdPlanUser *th_find_user (GPtrArray *users, const char *pin);

G_END_DECLS
