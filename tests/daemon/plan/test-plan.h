/* test-plan.h — what the files of the plan-rules test binary share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "plan-helpers.h"

#include <gio/gio.h>
#include <string.h>

/* test-plan.c */
BsdPlan *plan_of (GPtrArray *snapshots);
GPtrArray *snapshots_new (void);
BsdSnapshot *snapshot_in (GPtrArray *snapshots, guint device_id, const char *name);
char *pin_of (guint n);
void add_people (BsdSnapshot *snapshot, guint first, guint last, const char *name, gboolean finger);
void assert_holds_range (const BsdSnapshot *snapshot, guint lo, guint hi);
void assert_input_settled (BsdPlanInput *input);
void assert_settled (GPtrArray *snapshots);

/* test-plan-records.c */
GPtrArray *seed_snapshots (void);
void test_seed_example (void);
void test_primary_choice (void);
const BsdPlanConflict *
find_conflict (BsdPlan *plan, const char *pin, const char *field, gint index);
GPtrArray *conflict_snapshots (void);
void test_primary_wins (void);
void test_central_edit_wins (void);
void test_lowest_id_wins (void);
void test_slot_allocation (void);
void test_slot_exhaustion (void);
void test_narrow_devices (void);
void test_narrow_primary_keeps_full_name (void);

/* test-plan-templates.c */
void test_algorithm_versions (void);
void test_faces (void);
void test_never_overwrite (void);
void test_template_lowest_id_source (void);
void test_tombstones (void);
void test_tombstone_duplicate_slots (void);
void test_capacity_preflight (void);
void test_capacity_faces_and_deletes (void);
void test_capacity_already_over (void);
void test_capacity_full_keeps_deletions (void);
void test_capacity_repeated_template (void);
