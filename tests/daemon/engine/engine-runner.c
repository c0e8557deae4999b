/* engine-runner.c — run engine operations against a database, in a loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The crash tests SIGKILL this process at random moments:
 *
 *   engine-runner DB ROUNDS OP[:ID] [OP[:ID]…]
 *
 * OP is an operation name of bsd_op_kind_to_string() ("sync-area:1",
 * "refresh-logs", "sync-all" …). Each round runs every OP once, in order.
 * Prints one line per finished job to stdout. Each job has its row, as
 * the job queue writes it.
 */
#include "config.h"

#include <stdlib.h>

#include "engine-fixture.h"

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  g_autoptr (BsdSessionGate) gate = NULL;
  g_autoptr (BsdEngine) engine = NULL;
  BsdRetryPolicy retry = { 2, 50 };
  guint rounds, round, max_sessions = 2;
  int i;

  if (argc < 4)
    {
      g_printerr ("usage: engine-runner DB ROUNDS OP[:ID]…\n");
      return 2;
    }
  store = bsd_store_open (argv[1], &error);
  if (store == NULL)
    {
      g_printerr ("engine-runner: %s\n", error->message);
      return 1;
    }
  bsd_store_get_setting_uint (store, "MaxParallelDevices", &max_sessions, NULL);
  gate = bsd_session_gate_new (max_sessions);
  engine = bsd_engine_new (store, gate);
  bsd_engine_set_retry_policy (engine, &retry);
  bsd_engine_set_disable_timeout (engine, 60);
  rounds = (guint)atoi (argv[2]);

  for (round = 0; round < rounds; round++)
    for (i = 3; i < argc; i++)
      {
        g_auto (GStrv) parts = g_strsplit (argv[i], ":", 2);
        g_autoptr (BsdOperation) op = NULL;
        g_autoptr (BsdJobOutcome) outcome = NULL;
        BsdOpKind kind;

        if (!bsd_op_kind_from_string (parts[0], &kind))
          {
            g_printerr ("engine-runner: unknown operation “%s”\n", parts[0]);
            return 2;
          }
        op = bsd_operation_new (kind);
        if (parts[1])
          {
            op->area_id = (guint)atoi (parts[1]);
            op->device_id = op->area_id;
            op->pin = g_strdup (parts[1]);
          }
        op->trigger = g_strdup ("scheduler");
        outcome = engine_fixture_run_job (engine, op, NULL, NULL, NULL, &error);
        if (outcome == NULL)
          {
            g_printerr ("engine-runner: %s: %s\n", argv[i], error->message);
            return 1;
          }
        g_print ("%" G_GINT64_FORMAT " %s %s %s\n", outcome->job_id, argv[i], outcome->state,
                 outcome->summary);
      }
  return 0;
}
