/* test-sim-after-command.c — the "after-command" fault arms another fault
 * for the next request with a given command (docs/SIMULATOR.md)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "test-sim.h"
#include "zk-client.h"
#include "zk-sim-faults.h"
#include "zk-error.h"

/* a reboot closes the device's connections from the server thread: a
 * connection made just after it may be closed too, so try again */
static ZkClient *
connected (TestSim *sim)
{
  for (guint attempt = 0;; attempt++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (ZkClient) client
          = zk_client_new ("127.0.0.1", test_sim_tcp_port (sim, 0), ZK_TRANSPORT_TCP);

      zk_client_set_timeout (client, 1000);
      if (zk_client_connect (client, NULL, &error))
        return g_steal_pointer (&client);
      g_assert_cmpuint (attempt, <, 5);
      g_usleep (100 * 1000);
    }
}

static void
test_arm_and_fire (void)
{
  g_autoptr (TestSim) sim = test_sim_new_simple ("F", 5, 1, 10);
  g_autoptr (ZkClient) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = NULL;
  g_autofree char *shown = NULL;
  ZkSizes sizes;
  gint64 dropped;

  /* armed on the user table read (1503, inner 9): other requests pass */
  test_sim_do (sim, "fault F after-command 1503/9 hang");
  shown = test_sim_control (sim, "fault F");
  g_assert_nonnull (strstr (shown, "\"after_command\":\"1503/9 hang\""));
  client = connected (sim);
  g_assert_true (zk_client_get_sizes (client, &sizes, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sizes.users, ==, 5);
  /* the attendance read is 1503 too, with another inner command */
  {
    g_autoptr (GPtrArray) records = zk_client_read_attendance (client, NULL, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (records->len, ==, 10);
  }
  /* now the user read: the fault fires with this very request */
  users = zk_client_read_users (client, NULL, NULL, &error);
  g_assert_null (users);
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_free (shown);
  shown = test_sim_control (sim, "fault F");
  g_assert_null (strstr (shown, "after_command"));
  g_assert_nonnull (strstr (shown, "\"hang\":true"));
  test_sim_do (sim, "reboot F");
  test_sim_do (sim, "fault F clear");
  g_clear_object (&client);

  /* counters count the matching request as request 1 */
  client = connected (sim);
  dropped = test_sim_stat (sim, 0, "dropped");
  test_sim_do (sim, "fault F after-command 50 drop-request 1");
  g_assert_true (zk_client_get_sizes (client, &sizes, NULL, &error)); /* the retry answers */
  g_assert_no_error (error);
  g_assert_cmpint (test_sim_stat (sim, 0, "dropped") - dropped, ==, 1);

  /* clear disarms */
  test_sim_do (sim, "fault F after-command 50 hang");
  test_sim_do (sim, "fault F clear");
  g_assert_true (zk_client_get_sizes (client, &sizes, NULL, &error));
  g_assert_no_error (error);
}

static void
test_arm_errors (void)
{
  g_autoptr (TestSim) sim = test_sim_new_simple ("F", 1, 0, 0);
  const char *bad[] = {
    "fault F after-command",
    "fault F after-command 1503",
    "fault F after-command x hang",
    "fault F after-command 0 hang",
    "fault F after-command 1503/x hang",
    "fault F after-command 8 nonsense",
    "fault F after-command 8 delay",
    "fault F after-command 8 after-command 9 hang",
    "fault F after-command 8 clear",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *reply = test_sim_control_full (sim, &error, "%s", bad[i]);

      g_assert_null (reply);
      g_assert_nonnull (error);
    }
  g_assert_null (zk_sim_device_dup_armed (zk_sim_server_get_device (test_sim_get_server (sim), 0)));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/after-command/arm-and-fire", test_arm_and_fire);
  g_test_add_func ("/sim/after-command/errors", test_arm_errors);
  return g_test_run ();
}
