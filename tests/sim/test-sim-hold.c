/* test-sim-hold.c — the "hold" fault and "release" (docs/SIMULATOR.md):
 * a terminal busy with a long command answers nothing, keeps the
 * connection, and answers normally once released
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "test-sim.h"
#include "zk-client.h"
#include "zk-error.h"

/* one GET_FREE_SIZES on its own thread: the test goes on while it waits */
typedef struct
{
  ZkClient *client;
  ZkSizes sizes;
  GError *error;
  gint done;
  GThread *thread;
} Request;

static gpointer
request_thread (gpointer data)
{
  Request *r = data;

  zk_client_get_sizes (r->client, &r->sizes, NULL, &r->error);
  g_atomic_int_set (&r->done, 1);
  return NULL;
}

/* sends the request and returns once the terminal has received it */
static void
request_start (Request *r, TestSim *sim, ZkClient *client)
{
  gint64 before = test_sim_stat (sim, 0, "bytes_in");
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  memset (r, 0, sizeof *r);
  r->client = client;
  r->thread = g_thread_new ("request", request_thread, r);
  while (test_sim_stat (sim, 0, "bytes_in") <= before)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10 * 1000);
    }
}

static void
request_join (Request *r)
{
  g_thread_join (g_steal_pointer (&r->thread));
}

/* held, a received request stays unanswered: a reply would be back in
 * well under this on loopback, so seeing none proves nothing went out */
static void
assert_unanswered (Request *r)
{
  g_usleep (300 * 1000);
  g_assert_cmpint (g_atomic_int_get (&r->done), ==, 0);
}

/* the terminal answers @client normally */
static void
assert_answers (ZkClient *client)
{
  g_autoptr (GError) error = NULL;
  ZkSizes sizes;

  g_assert_true (zk_client_get_sizes (client, &sizes, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sizes.users, ==, 5);
}

static void
assert_hold_shown (TestSim *sim, gboolean held)
{
  g_autofree char *shown = test_sim_control (sim, "fault H");

  g_assert_nonnull (strstr (shown, held ? "\"hold\":true" : "\"hold\":false"));
}

static void
test_hold_release (void)
{
  g_autoptr (TestSim) sim = test_sim_new_simple ("H", 5, 1, 10);
  g_autoptr (ZkClient) client = test_sim_client_connect (sim, 0, FALSE, 30000, 0);
  gint64 requests = test_sim_stat (sim, 0, "requests");
  Request r;

  test_sim_do (sim, "fault H hold");
  assert_hold_shown (sim, TRUE);
  request_start (&r, sim, client);
  assert_unanswered (&r);
  /* not even taken: the firmware has not seen it; the session stays */
  g_assert_cmpint (test_sim_stat (sim, 0, "requests"), ==, requests);
  g_assert_cmpint (test_sim_stat (sim, 0, "sessions"), ==, 1);

  test_sim_do (sim, "release H");
  request_join (&r);
  g_assert_no_error (r.error);
  g_assert_cmpint (r.sizes.users, ==, 5);
  assert_hold_shown (sim, FALSE);
  /* and it answers normally from now */
  assert_answers (client);
}

/* armed on a command, the hold takes that very request: it is executed,
 * its reply waits for the release */
static void
test_after_command (void)
{
  g_autoptr (TestSim) sim = test_sim_new_simple ("H", 5, 1, 10);
  g_autoptr (ZkClient) client = test_sim_client_connect (sim, 0, FALSE, 30000, 0);
  gint64 requests;
  Request r;

  test_sim_do (sim, "fault H after-command 50 hold");
  requests = test_sim_stat (sim, 0, "requests");
  request_start (&r, sim, client);
  assert_unanswered (&r);
  g_assert_cmpint (test_sim_stat (sim, 0, "requests"), ==, requests + 1);
  assert_hold_shown (sim, TRUE);
  test_sim_do (sim, "release H");
  request_join (&r);
  g_assert_no_error (r.error);
  g_assert_cmpint (r.sizes.users, ==, 5);
}

/* a client that gives up ends its held connection; "clear" ends a hold */
static void
test_client_gives_up (void)
{
  g_autoptr (TestSim) sim = test_sim_new_simple ("H", 5, 1, 10);
  g_autoptr (ZkClient) client = test_sim_client_connect (sim, 0, FALSE, 300, 0);
  g_autoptr (GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  ZkSizes sizes;

  test_sim_do (sim, "fault H hold");
  g_assert_false (zk_client_get_sizes (client, &sizes, NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_TIMED_OUT);
  g_clear_error (&error);
  g_clear_object (&client);
  while (test_sim_stat (sim, 0, "sessions") > 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10 * 1000);
    }
  test_sim_do (sim, "fault H clear");
  client = test_sim_client_connect (sim, 0, FALSE, 30000, 0);
  assert_answers (client);
}

/* a held request ends with the simulator: closed, not timed out */
static void
test_sim_stops (void)
{
  TestSim *sim = test_sim_new_simple ("H", 5, 1, 10);
  g_autoptr (ZkClient) client = test_sim_client_connect (sim, 0, FALSE, 60000, 0);
  Request r;

  test_sim_do (sim, "fault H hold");
  request_start (&r, sim, client);
  test_sim_free (sim);
  request_join (&r);
  g_assert_error (r.error, ZK_ERROR, ZK_ERROR_CLOSED);
  g_clear_error (&r.error);
}

/* UDP: a datagram that comes while held is lost; the retry after the
 * release is answered on the same session */
static void
test_udp (void)
{
  g_autoptr (TestSim) sim = test_sim_new_simple ("H", 5, 1, 10);
  g_autoptr (ZkClient) client = test_sim_client_connect (sim, 0, TRUE, 300, 0);
  g_autoptr (GError) error = NULL;
  gint64 requests = test_sim_stat (sim, 0, "requests");
  ZkSizes sizes;

  test_sim_do (sim, "fault H hold");
  g_assert_false (zk_client_get_sizes (client, &sizes, NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_TIMED_OUT);
  g_clear_error (&error);
  g_assert_cmpint (test_sim_stat (sim, 0, "requests"), ==, requests);
  test_sim_do (sim, "release H");
  assert_answers (client);
}

static void
test_errors (void)
{
  g_autoptr (TestSim) sim = test_sim_new_simple ("H", 1, 0, 0);
  g_autoptr (GError) error = NULL;
  g_autofree char *reply = test_sim_control_full (sim, &error, "release H");

  /* strict: a release without a hold is a mistake in the test */
  g_assert_null (reply);
  g_assert_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "H is not held"));
  /* a reboot ends a hold with the connections */
  test_sim_do (sim, "fault H hold");
  test_sim_do (sim, "reboot H");
  assert_hold_shown (sim, FALSE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/hold/hold-release", test_hold_release);
  g_test_add_func ("/sim/hold/after-command", test_after_command);
  g_test_add_func ("/sim/hold/client-gives-up", test_client_gives_up);
  g_test_add_func ("/sim/hold/sim-stops", test_sim_stops);
  g_test_add_func ("/sim/hold/udp", test_udp);
  g_test_add_func ("/sim/hold/errors", test_errors);
  return g_test_run ();
}
