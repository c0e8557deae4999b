/* fuzz-fixture.c — the simulator's fixture loader on arbitrary text
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "zk-sim-fixture.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = zk_sim_fixture_load_from_data ((const char *)data, size, &error);

  /* exactly one of the two, and a message that says where */
  g_assert ((devices == NULL) != (error == NULL));
  if (devices)
    {
      g_autofree char *dump = zk_sim_fixture_dump (devices, FALSE);
      g_autoptr (GPtrArray) again = zk_sim_fixture_load_from_data (dump, strlen (dump), &error);

      /* what we dump we can load again */
      g_assert (again != NULL && again->len == devices->len);
    }
  else
    g_assert (error->message[0] != '\0');
  return 0;
}
