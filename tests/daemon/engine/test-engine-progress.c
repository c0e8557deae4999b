/* test-engine-progress.c — a device's progress within its phase (issue 12 §3)
 *
 * A sync that writes hundreds of users and fingerprints to a slow terminal
 * reports how many items of the phase are through, more than once and
 * growing, and never more often than four times a second.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "engine-fixture.h"

typedef struct
{
  GPtrArray *messages; /* char*: every progress message */
  GArray *fractions;   /* double, in order */
  GArray *times;       /* gint64 monotonic µs of the item reports */
  guint item_reports;  /* messages of the form "NAME: DONE of TOTAL WHAT" */
  guint growing;       /* item reports whose count grew within the same WHAT */
  guint last_done;
  char last_what[32];
} ProgressWatch;

static void
progress_cb (gint64 job_id, double fraction, const char *message, gpointer user_data)
{
  ProgressWatch *watch = user_data;
  guint done = 0;
  guint total = 0;
  char what[32] = "";

  g_ptr_array_add (watch->messages, g_strdup (message));
  g_array_append_val (watch->fractions, fraction);
  if (message != NULL && g_str_has_prefix (message, "empty: ")
      && sscanf (message + strlen ("empty: "), "%u of %u %31s", &done, &total, what) == 3)
    {
      gint64 now = g_get_monotonic_time ();

      g_assert_cmpuint (done, <=, total);
      g_array_append_val (watch->times, now);
      if (strcmp (what, watch->last_what) == 0 && done > watch->last_done)
        watch->growing++;
      watch->last_done = done;
      g_strlcpy (watch->last_what, what, sizeof watch->last_what);
      watch->item_reports++;
    }
}

static void
test_items_within_phase (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "full", .users = 700, .fingers_per_user = 1 },
    /* every reply 40 ms late: the uploads take seconds */
    { .name = "empty", .seed = 2, .extra = "\"latency_ms\":40" },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Slow", 2);
  g_autoptr (BsdOperation) op = bsd_operation_new (BSD_OP_SYNC_AREA);
  g_autoptr (BsdJobOutcome) outcome = NULL;
  g_autoptr (GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) fractions = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  ProgressWatch watch = { messages, fractions, times, 0, 0, 0, "" };

  op->area_id = fx->area_id;
  op->trigger = g_strdup ("uid:0");
  outcome = engine_fixture_run_op (fx, op, NULL, progress_cb, &watch);
  for (guint i = 0; i < messages->len; i++)
    g_test_message ("progress %.3f %s", g_array_index (fractions, double, i),
                    (char *)messages->pdata[i]);
  g_assert_cmpstr (outcome->state, ==, "succeeded");
  /* the upload reported its items more than once, and they grew */
  g_assert_cmpuint (watch.item_reports, >=, 2);
  g_assert_cmpuint (watch.growing, >=, 1);
  /* the job's fraction never goes back */
  for (guint i = 1; i < fractions->len; i++)
    g_assert_cmpfloat (g_array_index (fractions, double, i), >=,
                       g_array_index (fractions, double, i - 1));
  /* no flood: item reports at least a quarter of a second apart (the
   * rate the bus sees, a lower bound, not a timing goal) */
  for (guint i = 1; i < times->len; i++)
    g_assert_cmpint (g_array_index (times, gint64, i) - g_array_index (times, gint64, i - 1), >=,
                     G_USEC_PER_SEC / 4 - 20000);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/progress/items-within-phase", test_items_within_phase);
  return g_test_run ();
}
