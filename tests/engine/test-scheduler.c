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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/scheduler/fires-and-publishes", test_fires_and_publishes);
  g_test_add_func ("/scheduler/disable-stops", test_disable_stops);
  g_test_add_func ("/scheduler/busy-never-stacks", test_busy_never_stacks);
  g_test_add_func ("/scheduler/interval-change-rearms", test_interval_change_rearms);
  return g_test_run ();
}
