/* bsd-scheduler.h — the auto_device_sync and log collection timers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Deadlines are kept on the monotonic clock, so a wall-clock jump neither
 * fires a run early nor delays it; the wall-clock times it publishes
 * (NextAutoSync) are derived from the monotonic deadline and re-published
 * when the wall clock moves. A timer that fires while the previous run of
 * its kind is still busy is skipped, never stacked.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  BSD_SCHEDULE_AUTO_SYNC,
  BSD_SCHEDULE_LOGS,
} BsdScheduleKind;

#define BSD_TYPE_SCHEDULER (bsd_scheduler_get_type ())
G_DECLARE_FINAL_TYPE (BsdScheduler, bsd_scheduler, BSD, SCHEDULER, GObject)

/* @unit_ms: length of one "minute" (60000; tests use less) */
BsdScheduler *bsd_scheduler_new (guint unit_ms);

/* A run of a kind is due an interval after the last one started — across
 * restarts too (set_last() from the store first): a restart never
 * postpones a run, an overdue one starts a sixth of a minute (10 s) after
 * it is armed. A kind that never ran counts from set_since(). */

/* auto sync: on/off and interval in minutes (≥ 1); changing either
 * re-arms at once, counting from the last run */
void bsd_scheduler_set_auto_sync (BsdScheduler *self, gboolean enabled, guint interval_minutes);
/* log collection every @interval_minutes, 0 = off */
void bsd_scheduler_set_log_interval (BsdScheduler *self, guint interval_minutes);
/* wall-clock µs when counting started, for kinds that never ran (0 = now) */
void bsd_scheduler_set_since (BsdScheduler *self, guint64 wall_usec);

/* the run started by the "due" handler is busy until set FALSE */
void bsd_scheduler_set_busy (BsdScheduler *self, BsdScheduleKind kind, gboolean busy);
gboolean bsd_scheduler_get_busy (BsdScheduler *self, BsdScheduleKind kind);

/* wall-clock µs since the epoch, 0 = none scheduled */
guint64 bsd_scheduler_get_next (BsdScheduler *self, BsdScheduleKind kind);
/* when the last run of @kind was started, 0 = never (set from the store at start) */
guint64 bsd_scheduler_get_last (BsdScheduler *self, BsdScheduleKind kind);
void bsd_scheduler_set_last (BsdScheduler *self, BsdScheduleKind kind, guint64 wall_usec);

/* how many firings were skipped because the previous run was busy */
guint bsd_scheduler_get_skipped (BsdScheduler *self, BsdScheduleKind kind);

G_END_DECLS
