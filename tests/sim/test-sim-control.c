/* test-sim-control.c — the control socket's commands (docs/SIMULATOR.md)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every command of the table once with what it takes and once with what
 * it refuses: a reply that starts as expected, or the error it names.
 */
#include "config.h"

#include <string.h>

#include "test-sim.h"

typedef struct
{
  const char *line;
  const char *reply; /* the start of the reply, or NULL */
  const char *error; /* a part of the error message, or NULL */
} Case;

static const Case cases[] = {
  { "help", "commands: punch", NULL },
  { "ports", "{\"devices\":[{\"name\":\"C\"", NULL },
  { "stats", "{\"sessions\":0", NULL },
  { "stats C", "{\"name\":\"C\"", NULL },
  { "stats Z", NULL, "no device “Z”" },
  { "stats C D", NULL, "wrong number of arguments for “stats”" },
  { "count C users", "2", NULL },
  { "count C bogus", NULL, "count what?" },
  { "count C", NULL, "wrong number of arguments for “count” (try help)" },
  { "count", NULL, "wrong number of arguments for “count”" },
  { "count Z users", NULL, "no device “Z”" },
  { "punch C 1", "OK", NULL },
  { "punch C 1 1", NULL, "punch takes VERIFY and STATE together" },
  { "punch C 1 15 1 2024-02-29T08:00:00", "OK", NULL },
  { "punch C 1 15 1 2024-02-30T08:00:00", NULL, "not a time a terminal can hold" },
  { "punch C 1 300 1", NULL, "verify:" },
  { "punch C nobody", NULL, "no user" },
  { "enroll C 9 900 Nine Nine", "OK", NULL },
  { "enroll C 9 1234567890123456789012345 X", NULL, "longer than 24" },
  { "delete-user C 900", "OK", NULL },
  { "delete-user C 900", NULL, "no such user" },
  { "add-template C 1 3", "OK", NULL },
  { "add-template C 1 10", NULL, "fid:" },
  { "add-face C 1 2 1200", "OK", NULL },
  { "add-face C 1 15", NULL, "fid:" },
  { "delete-template C 1 3", "OK", NULL },
  { "delete-template C 1 3", NULL, "no such template" },
  { "fault C busy", "OK", NULL },
  { "fault C", "{\"drop_request\":0", NULL },
  { "fault C clear", "OK", NULL },
  { "fault C nonsense", NULL, "unknown fault" },
  { "fault C hold", "OK", NULL },
  { "release C", "OK", NULL },
  { "release C", NULL, "C is not held" },
  { "release C D", NULL, "wrong number of arguments for “release”" },
  { "clock C 3600", "OK", NULL },
  { "clock C soon", NULL, "offset:" },
  { "time C", "20", NULL },
  { "option C Foo Bar", "OK", NULL },
  { "option C Foo", "Bar", NULL },
  { "option C ~SerialNumber X", NULL, "read-only" },
  { "option C NoSuchOption", NULL, "unknown option" },
  { "timing C 0 0", "OK", NULL },
  { "timing C 0", NULL, "wrong number of arguments for “timing”" },
  { "pacing C 0", "OK", NULL },
  { "pacing C 20000", NULL, "pacing:" },
  { "attlog-range C ignore", "OK", NULL },
  { "attlog-range C maybe", NULL, "honour, ignore or refuse" },
  { "enable C", "OK", NULL },
  { "reboot C", "OK", NULL },
  { "frobnicate", NULL, "unknown command “frobnicate” (try help)" },
  { "'unclosed", NULL, "cannot parse the command line" },
};

static void
test_commands (void)
{
  TestSimDeviceSpec spec = { .name = "C", .users = 2, .records = 1 };
  g_autoptr (TestSim) sim = test_sim_new_specs (&spec, 1);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *c = &cases[i];
      g_autoptr (GError) error = NULL;
      g_autofree char *reply = test_sim_control_full (sim, &error, "%s", c->line);

      g_test_message ("%s", c->line);
      if (c->reply != NULL)
        {
          g_assert_no_error (error);
          g_assert_true (g_str_has_prefix (reply, c->reply));
        }
      else
        {
          g_assert_null (reply);
          g_assert_nonnull (error);
          g_assert_nonnull (strstr (error->message, c->error));
        }
    }
  g_assert_cmpuint (test_sim_count (sim, 0, "attendance"), ==, 3);
  g_assert_cmpuint (test_sim_count (sim, 0, "faces"), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/control/commands", test_commands);
  return g_test_run ();
}
