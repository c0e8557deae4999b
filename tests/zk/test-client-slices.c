/* test-client-slices.c — how large a CMD_READ_DATA slice ZkClient asks for
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A device that streams large packets is asked for several packets per
 * 1504 once its psize is known; a device of any other kind never for
 * more than the documented slice (the simulator refuses more, as a
 * firmware of that kind might). Any sign that a device dislikes large
 * slices (refused, cut, silent) makes the client fall back to classic
 * slices, and it remembers that. Every read is compared with one made
 * in classic slices.
 */
#include "config.h"

#include "test-sim.h"
#include "test-zk.h"

#define TIMEOUT_MS 500
#define USERS 1500
#define RECORDS 5000

typedef struct
{
  const char *name;
  guint psize;
  gboolean udp;
  const char *extra; /* fixture members */
} Kind;

static const Kind kinds[] = {
  { "psize-65528", 65528, FALSE, NULL },
  { "psize-65536", 65536, FALSE, NULL },
  { "psize-1008", 1008, FALSE, NULL },
  { "udp", 65528, TRUE, NULL },
};

static TestSim *
sim_new (guint psize, const char *extra)
{
  TestSimDeviceSpec spec = { 0 };

  spec.name = "X";
  spec.users = USERS;
  spec.fingers_per_user = 2;
  spec.records = RECORDS;
  spec.face = "none";
  spec.psize = psize;
  spec.extra = extra;
  return test_sim_new_specs (&spec, 1);
}

/* the three tables read in classic slices, the way pyzk reads them */
static GPtrArray **
read_classic (TestSim *sim)
{
  g_autoptr (ZkClient) client = test_sim_client_connect (sim, 0, FALSE, TIMEOUT_MS, 0);
  GPtrArray **tables = g_new0 (GPtrArray *, ZK_N_TABLES);

  zk_client_set_chunk_size (client, 65472);
  for (guint t = 0; t < ZK_N_TABLES; t++)
    tables[t] = test_zk_read (client, t);
  return tables;
}

static void
tables_free (GPtrArray **tables)
{
  for (guint t = 0; t < ZK_N_TABLES; t++)
    g_clear_pointer (&tables[t], g_ptr_array_unref);
  g_free (tables);
}

static void
assert_same (ZkTable table, GPtrArray *got, GPtrArray *want)
{
  g_assert_cmpuint (got->len, ==, want->len);
  for (guint i = 0; i < got->len; i++)
    {
      gpointer a = g_ptr_array_index (got, i), b = g_ptr_array_index (want, i);

      switch (table)
        {
        case ZK_TABLE_USERS:
          g_assert_cmpuint (((ZkUser *)a)->uid, ==, ((ZkUser *)b)->uid);
          g_assert_cmpstr (((ZkUser *)a)->user_id, ==, ((ZkUser *)b)->user_id);
          g_assert_cmpstr (((ZkUser *)a)->name, ==, ((ZkUser *)b)->name);
          break;
        case ZK_TABLE_TEMPLATES:
          g_assert_cmpuint (((ZkTemplate *)a)->uid, ==, ((ZkTemplate *)b)->uid);
          g_assert_cmpuint (((ZkTemplate *)a)->fid, ==, ((ZkTemplate *)b)->fid);
          g_assert_true (g_bytes_equal (((ZkTemplate *)a)->data, ((ZkTemplate *)b)->data));
          break;
        case ZK_TABLE_ATTENDANCE:
        case ZK_N_TABLES:
        default:
          g_assert_cmpuint (((ZkAttendance *)a)->uid, ==, ((ZkAttendance *)b)->uid);
          g_assert_cmpstr (((ZkAttendance *)a)->user_id, ==, ((ZkAttendance *)b)->user_id);
          /* fields, not bytes: ZkTime has a padding byte */
          g_assert_cmpuint (zk_time_encode (&((ZkAttendance *)a)->time), ==,
                            zk_time_encode (&((ZkAttendance *)b)->time));
          break;
        }
    }
}

/* the size of the template table blob: [u32 N] + entries of 6 + body */
static guint64
template_blob_size (GPtrArray *templates)
{
  guint64 size = 4;

  for (guint i = 0; i < templates->len; i++)
    size += 6 + g_bytes_get_size (((ZkTemplate *)g_ptr_array_index (templates, i))->data);
  return size;
}

static guint64
requests (ZkClient *client)
{
  ZkClientStats stats;

  zk_client_get_stats (client, &stats);
  return stats.requests;
}

/* every kind of device: the same data, nothing refused; a large-packet
 * device in few slices of several packets each */
static void
test_slices (gconstpointer data)
{
  const Kind *kind = data;
  g_autoptr (TestSim) sim = sim_new (kind->psize, kind->extra);
  GPtrArray **want = read_classic (sim);
  g_autoptr (ZkClient) client = test_sim_client_connect (sim, 0, kind->udp, TIMEOUT_MS, 0);
  gboolean large = !kind->udp && kind->psize > 65472 / 2;

  for (guint t = 0; t < ZK_N_TABLES; t++)
    {
      guint64 before = requests (client);
      g_autoptr (GPtrArray) got = test_zk_read (client, t);

      assert_same (t, got, want[t]);
      /* after the users the psize is known: the templates come in slices
       * of 16 packets, plus at most free sizes, two 1502 and the 1503 */
      if (large && t == ZK_TABLE_TEMPLATES)
        g_assert_cmpuint (requests (client) - before, <=,
                          (template_blob_size (got) + 16 * kind->psize - 1) / (16 * kind->psize)
                              + 4);
    }
  g_assert_cmpint (test_sim_stat (sim, 0, "reads_refused"), ==, 0);
  g_assert_cmpint (zk_client_get_slices (client), ==, large ? ZK_SLICES_MULTI : ZK_SLICES_UNKNOWN);
  tables_free (want);
}

/* a large-packet firmware that refuses large slices: one refusal, then
 * classic slices for the rest of the client's life */
static void
test_fallback_refused (void)
{
  g_autoptr (TestSim) sim = sim_new (65528, "\"read_max\":65472");
  GPtrArray **want = read_classic (sim);
  g_autoptr (ZkClient) client = test_sim_client_connect (sim, 0, FALSE, TIMEOUT_MS, 0);

  for (guint t = 0; t < ZK_N_TABLES; t++)
    {
      g_autoptr (GPtrArray) got = test_zk_read (client, t);

      assert_same (t, got, want[t]);
    }
  g_assert_cmpint (test_sim_stat (sim, 0, "reads_refused"), ==, 1);
  g_assert_cmpint (zk_client_get_slices (client), ==, ZK_SLICES_SINGLE);
  /* one reconnect does not forget it */
  zk_client_disconnect (client, NULL, NULL);
  g_assert_true (zk_client_connect (client, NULL, NULL));
  g_clear_pointer (&want[ZK_TABLE_TEMPLATES], g_ptr_array_unref);
  want[ZK_TABLE_TEMPLATES] = test_zk_read (client, ZK_TABLE_TEMPLATES);
  g_assert_cmpint (test_sim_stat (sim, 0, "reads_refused"), ==, 1);
  tables_free (want);
}

/* a large slice cut off or left unfinished: the read still succeeds
 * (its retry in classic slices) and the client remembers */
static void
test_fallback_broken (gconstpointer data)
{
  const char *fault = data;
  g_autoptr (TestSim) sim = sim_new (65528, NULL);
  GPtrArray **want = read_classic (sim);
  g_autoptr (ZkClient) client = test_sim_client_connect (sim, 0, FALSE, TIMEOUT_MS, 0);
  g_autoptr (GPtrArray) users = test_zk_read (client, ZK_TABLE_USERS);
  g_autoptr (GPtrArray) templates = NULL;

  assert_same (ZK_TABLE_USERS, users, want[ZK_TABLE_USERS]);
  g_assert_cmpint (zk_client_get_slices (client), ==, ZK_SLICES_UNKNOWN);
  /* the first large slice is the templates' first 1504 */
  test_sim_do (sim, "fault X after-command 1504 %s", fault);
  templates = test_zk_read (client, ZK_TABLE_TEMPLATES);
  assert_same (ZK_TABLE_TEMPLATES, templates, want[ZK_TABLE_TEMPLATES]);
  g_assert_cmpint (zk_client_get_slices (client), ==, ZK_SLICES_SINGLE);
  tables_free (want);
}

/* what a caller kept of a device is what a new client asks */
static void
test_slices_kept (void)
{
  g_autoptr (TestSim) sim = sim_new (65528, "\"read_max\":65472");
  g_autoptr (ZkClient) client = test_sim_client_connect (sim, 0, FALSE, TIMEOUT_MS, 0);
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (GPtrArray) templates = NULL;

  zk_client_set_slices (client, ZK_SLICES_SINGLE);
  users = test_zk_read (client, ZK_TABLE_USERS);
  templates = test_zk_read (client, ZK_TABLE_TEMPLATES);
  g_assert_cmpuint (templates->len, ==, USERS * 2);
  g_assert_cmpint (test_sim_stat (sim, 0, "reads_refused"), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autofree char *path = g_strdup_printf ("/client/slices/%s", kinds[i].name);

      g_test_add_data_func (path, &kinds[i], test_slices);
    }
  g_test_add_func ("/client/slices/fallback/refused", test_fallback_refused);
  test_sim_add_modes ("/client/slices/fallback", test_fallback_broken, "close-mid-stream",
                      "hang-mid-transfer", NULL);
  g_test_add_func ("/client/slices/kept", test_slices_kept);
  return g_test_run ();
}
