/* test-store-data.h — the tests of the store-data binary, one file per
 * family of the store's API
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "store-test-util.h"

#include "../../common/test-sqlite.h"

/* test-store-devices.c */
void test_areas (void);
void test_devices (void);
void test_device_time_zones (void);
void test_comm_key_confined (void);
void test_disabled_devices (void);
void test_device_lies (void);

/* test-store-people.c */
void test_people (void);
void test_roster (void);
void test_roster_plan (void);
void test_tombstones (void);
void test_snapshot (void);
void test_tombstone_pages (void);
void test_snapshot_forget (void);
void test_templates (void);

/* test-store-jobs.c */
void test_jobs (void);
void test_job_report_hostile (void);
void test_job_report_too_large (void);
