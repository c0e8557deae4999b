/* test-scheduler.c — auto_device_sync and log collection timers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One scheduler "minute" is 20 ms here. The tests wait for events, never
 * for durations.
 */
#include "bsd-scheduler.h"

typedef struct
{
  guint due[2];
  guint changed[2];
  gboolean stay_busy;
  BsdScheduler *scheduler;
} Counts;

static void
due_cb (BsdScheduler *scheduler, int kind, Counts *c)
{
  c->due[kind]++;
  if (c->stay_busy)
    bsd_scheduler_set_busy (scheduler, kind, TRUE);
}

static void
changed_cb (BsdScheduler *scheduler, int kind, Counts *c)
{
  c->changed[kind]++;
}

static void
iterate_until (guint *counter, guint target)
{
  /* generous: the test fails by hanging in meson's timeout otherwise */
  while (*counter < target)
    g_main_context_iteration (NULL, TRUE);
}

static BsdScheduler *
new_scheduler (Counts *c)
{
  BsdScheduler *s = bsd_scheduler_new (20);

  g_signal_connect (s, "due", G_CALLBACK (due_cb), c);
  g_signal_connect (s, "changed", G_CALLBACK (changed_cb), c);
  c->scheduler = s;
  return s;
}

static void
test_fires_and_publishes (void)
{
  Counts c = { 0 };
  g_autoptr (BsdScheduler) s = new_scheduler (&c);
  guint64 next, now = (guint64)g_get_real_time ();

  g_assert_cmpuint (bsd_scheduler_get_next (s, BSD_SCHEDULE_AUTO_SYNC), ==, 0);
  bsd_scheduler_set_auto_sync (s, TRUE, 3);
  next = bsd_scheduler_get_next (s, BSD_SCHEDULE_AUTO_SYNC);
  g_assert_cmpuint (next, >, 0);
  g_assert_cmpuint (next, >=, now - G_USEC_PER_SEC);
  g_assert_cmpuint (c.changed[BSD_SCHEDULE_AUTO_SYNC], >=, 1);
  g_assert_cmpuint (bsd_scheduler_get_last (s, BSD_SCHEDULE_AUTO_SYNC), ==, 0);

  iterate_until (&c.due[BSD_SCHEDULE_AUTO_SYNC], 2);
  g_assert_cmpuint (bsd_scheduler_get_last (s, BSD_SCHEDULE_AUTO_SYNC), >=, now);
  /* re-armed after each run */
  g_assert_cmpuint (bsd_scheduler_get_next (s, BSD_SCHEDULE_AUTO_SYNC), >, 0);
  g_assert_cmpuint (c.due[BSD_SCHEDULE_LOGS], ==, 0);
}

static void
test_disable_stops (void)
{
  Counts c = { 0 };
  g_autoptr (BsdScheduler) s = new_scheduler (&c);
  guint logs_before;

  bsd_scheduler_set_auto_sync (s, TRUE, 1);
  bsd_scheduler_set_log_interval (s, 1);
  iterate_until (&c.due[BSD_SCHEDULE_AUTO_SYNC], 1);
  bsd_scheduler_set_auto_sync (s, FALSE, 1);
  g_assert_cmpuint (bsd_scheduler_get_next (s, BSD_SCHEDULE_AUTO_SYNC), ==, 0);
  /* log collection keeps running on its own timer meanwhile */
  logs_before = c.due[BSD_SCHEDULE_LOGS];
  iterate_until (&c.due[BSD_SCHEDULE_LOGS], logs_before + 3);
  g_assert_cmpuint (c.due[BSD_SCHEDULE_AUTO_SYNC], ==, 1);
  bsd_scheduler_set_log_interval (s, 0);
  g_assert_cmpuint (bsd_scheduler_get_next (s, BSD_SCHEDULE_LOGS), ==, 0);
}

static void
test_busy_never_stacks (void)
{
  Counts c = { 0 };
  g_autoptr (BsdScheduler) s = new_scheduler (&c);

  c.stay_busy = TRUE;
  bsd_scheduler_set_auto_sync (s, TRUE, 1);
  iterate_until (&c.due[BSD_SCHEDULE_AUTO_SYNC], 1);
  g_assert_true (bsd_scheduler_get_busy (s, BSD_SCHEDULE_AUTO_SYNC));
  /* further firings while busy are skipped, not queued */
  while (bsd_scheduler_get_skipped (s, BSD_SCHEDULE_AUTO_SYNC) < 3)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (c.due[BSD_SCHEDULE_AUTO_SYNC], ==, 1);
  c.stay_busy = FALSE;
  bsd_scheduler_set_busy (s, BSD_SCHEDULE_AUTO_SYNC, FALSE);
  iterate_until (&c.due[BSD_SCHEDULE_AUTO_SYNC], 2);
}

static void
test_interval_change_rearms (void)
{
  Counts c = { 0 };
  g_autoptr (BsdScheduler) s = new_scheduler (&c);
  guint64 far, near;

  bsd_scheduler_set_auto_sync (s, TRUE, 10080); /* a week of test minutes */
  far = bsd_scheduler_get_next (s, BSD_SCHEDULE_AUTO_SYNC);
  bsd_scheduler_set_auto_sync (s, TRUE, 1);
  near = bsd_scheduler_get_next (s, BSD_SCHEDULE_AUTO_SYNC);
  g_assert_cmpuint (near, <, far);
  /* the short interval is what fires, not the old one */
  iterate_until (&c.due[BSD_SCHEDULE_AUTO_SYNC], 1);
}

/* ---------------------------------------------- across restarts */

#define MINUTE_US (G_GINT64_CONSTANT (60) * G_USEC_PER_SEC)

/* a scheduler as the daemon makes one at start, with real minutes: its
 * last runs come from the store before the timers are armed */
static BsdScheduler *
restarted (Counts *c, guint64 last_sync, guint64 last_logs, guint64 since)
{
  BsdScheduler *s = bsd_scheduler_new (60000);

  g_signal_connect (s, "due", G_CALLBACK (due_cb), c);
  bsd_scheduler_set_last (s, BSD_SCHEDULE_AUTO_SYNC, last_sync);
  bsd_scheduler_set_last (s, BSD_SCHEDULE_LOGS, last_logs);
  bsd_scheduler_set_since (s, since);
  bsd_scheduler_set_auto_sync (s, TRUE, 60);
  bsd_scheduler_set_log_interval (s, 15);
  return s;
}

static gint64
next_in (BsdScheduler *s, BsdScheduleKind kind)
{
  return (gint64)bsd_scheduler_get_next (s, kind) - g_get_real_time ();
}

static void
test_restart_keeps_the_schedule (void)
{
  Counts c = { 0 };
  gint64 now = g_get_real_time ();
  g_autoptr (BsdScheduler) s = restarted (&c, now - 20 * MINUTE_US, now - 5 * MINUTE_US, 0);

  /* due an interval after the last run, not an interval after the start */
  g_assert_cmpint (next_in (s, BSD_SCHEDULE_AUTO_SYNC), >, 39 * MINUTE_US);
  g_assert_cmpint (next_in (s, BSD_SCHEDULE_AUTO_SYNC), <, 41 * MINUTE_US);
  g_assert_cmpint (next_in (s, BSD_SCHEDULE_LOGS), >, 9 * MINUTE_US);
  g_assert_cmpint (next_in (s, BSD_SCHEDULE_LOGS), <, 11 * MINUTE_US);
  /* another setting re-arms: the due times stay */
  bsd_scheduler_set_auto_sync (s, TRUE, 60);
  g_assert_cmpint (next_in (s, BSD_SCHEDULE_AUTO_SYNC), <, 41 * MINUTE_US);
  /* a shorter interval counts from the last run as well */
  bsd_scheduler_set_auto_sync (s, TRUE, 30);
  g_assert_cmpint (next_in (s, BSD_SCHEDULE_AUTO_SYNC), <, 11 * MINUTE_US);
}

static void
test_restart_overdue_runs_soon (void)
{
  Counts c = { 0 };
  gint64 now = g_get_real_time ();
  g_autoptr (BsdScheduler) s = restarted (&c, now - 3 * 60 * MINUTE_US, now - 60 * MINUTE_US, 0);

  /* a sixth of a minute, not a whole interval */
  g_assert_cmpint (next_in (s, BSD_SCHEDULE_AUTO_SYNC), <=, 11 * G_USEC_PER_SEC);
  g_assert_cmpint (next_in (s, BSD_SCHEDULE_LOGS), <=, 11 * G_USEC_PER_SEC);
}

static void
test_never_ran_counts_from_since (void)
{
  Counts c = { 0 };
  gint64 now = g_get_real_time ();
  g_autoptr (BsdScheduler) first = restarted (&c, 0, 0, now);
  g_autoptr (BsdScheduler) later = restarted (&c, 0, 0, now - 59 * MINUTE_US);
  g_autoptr (BsdScheduler) clock_back = restarted (&c, now + 600 * MINUTE_US, 0, now);

  /* a first start waits an interval; restarts before the first run do
   * not push it further */
  g_assert_cmpint (next_in (first, BSD_SCHEDULE_AUTO_SYNC), >, 59 * MINUTE_US);
  g_assert_cmpint (next_in (later, BSD_SCHEDULE_AUTO_SYNC), <, 2 * MINUTE_US);
  /* a last run in the future (the wall clock went back) is never waited for */
  g_assert_cmpint (next_in (clock_back, BSD_SCHEDULE_AUTO_SYNC), <=, 61 * MINUTE_US);
}

/* with test minutes: an overdue schedule fires soon after start */
static void
test_overdue_fires (void)
{
  Counts c = { 0 };
  g_autoptr (BsdScheduler) s = bsd_scheduler_new (20);

  g_signal_connect (s, "due", G_CALLBACK (due_cb), &c);
  bsd_scheduler_set_last (s, BSD_SCHEDULE_LOGS, (guint64)g_get_real_time () - 10 * MINUTE_US);
  /* a week of test minutes: only the catch-up can fire it */
  bsd_scheduler_set_log_interval (s, 10080);
  iterate_until (&c.due[BSD_SCHEDULE_LOGS], 1);
  g_assert_cmpuint (bsd_scheduler_get_last (s, BSD_SCHEDULE_LOGS), >=,
                    (guint64)g_get_real_time () - G_USEC_PER_SEC);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/scheduler/fires-and-publishes", test_fires_and_publishes);
  g_test_add_func ("/scheduler/disable-stops", test_disable_stops);
  g_test_add_func ("/scheduler/busy-never-stacks", test_busy_never_stacks);
  g_test_add_func ("/scheduler/interval-change-rearms", test_interval_change_rearms);
  g_test_add_func ("/scheduler/restart-keeps-the-schedule", test_restart_keeps_the_schedule);
  g_test_add_func ("/scheduler/restart-overdue-runs-soon", test_restart_overdue_runs_soon);
  g_test_add_func ("/scheduler/never-ran-counts-from-since", test_never_ran_counts_from_since);
  g_test_add_func ("/scheduler/overdue-fires", test_overdue_fires);
  return g_test_run ();
}
