/* fuzz-plan.c — the planner and the report/JSON paths on arbitrary areas
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input describes an area: a few devices (record width, algorithm
 * versions, face support, capacities) holding users, fingerprints and
 * faces; a roster with central edits; tombstones. PINs, names and
 * template bytes come from the input, so odd ones (empty, not UTF-8,
 * duplicated slots and PINs, huge indexes) reach the planner. Every plan
 * must serialize to JSON, capped and whole, and so must the gap report.
 */
#include "bsd-plan.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

typedef struct
{
  const guint8 *p;
  gsize left;
} Reader;

static guint8
next (Reader *r)
{
  guint8 b;

  if (r->left == 0)
    return 0;
  b = *r->p++;
  r->left--;
  return b;
}

/* a short string of input bytes (may be empty, may be invalid UTF-8) */
static void
next_text (Reader *r, char *out, gsize max)
{
  gsize n = MIN ((gsize)(next (r) % 8), max - 1);
  gsize i;

  for (i = 0; i < n; i++)
    out[i] = (char)next (r);
  out[n] = '\0';
}

static ZkUser *
next_user (Reader *r)
{
  ZkUser *u = zk_user_new ();
  char name[8];

  u->uid = (guint16)(next (r) % 12);
  u->privilege = next (r) & 0x0f;
  u->card = next (r);
  u->group = next (r) % 3;
  /* PINs from a small alphabet so that devices share people */
  if (next (r) & 1)
    g_snprintf (u->user_id, sizeof u->user_id, "%u", 1000 + next (r) % 10);
  else
    next_text (r, u->user_id, sizeof u->user_id);
  next_text (r, name, sizeof name);
  g_free (u->name);
  u->name = g_utf8_make_valid (name, -1);
  if (next (r) & 1)
    next_text (r, u->password, sizeof u->password);
  return u;
}

static GBytes *
next_bytes (Reader *r)
{
  guint8 buf[16];
  gsize n = 1 + next (r) % sizeof buf;
  gsize i;

  for (i = 0; i < n; i++)
    buf[i] = next (r) % 4; /* few distinct templates: equal and different ones meet */
  return g_bytes_new (buf, n);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static const char *const versions[] = { "9", "10", "", NULL };
  g_autoptr (BsdPlanInput) input = bsd_plan_input_new ();
  g_autoptr (BsdPlan) plan = NULL;
  g_autoptr (JsonNode) full = NULL;
  g_autoptr (JsonNode) capped = NULL;
  g_autoptr (JsonNode) gaps = NULL;
  Reader r = { data, size };
  guint n_devices = 1 + next (&r) % 4;
  guint d, i;

  input->area_id = 1;
  input->area_name = g_strdup ("fuzz");
  for (d = 0; d < n_devices; d++)
    {
      BsdSnapshot *snap = bsd_snapshot_new (d + 1, NULL);
      guint n_users = next (&r) % 6;
      guint n_fingers = next (&r) % 6;
      guint n_faces = next (&r) % 3;

      if (next (&r) % 5 == 0)
        {
          /* an unreachable device of the area */
          bsd_snapshot_free (snap);
          bsd_plan_input_add_unreachable (input, d + 1);
          continue;
        }
      snap->user_width = (next (&r) & 1) ? ZK_USER_SIZE_72 : ZK_USER_SIZE_28;
      snap->pin_width = next (&r) % 12;
      snap->fp_version = g_strdup (versions[next (&r) % G_N_ELEMENTS (versions)]);
      snap->face_capable = next (&r) & 1;
      snap->face_version = snap->face_capable ? g_strdup ("7") : NULL;
      snap->user_capacity = next (&r) % 10;
      snap->finger_capacity = next (&r) % 10;
      snap->face_capacity = next (&r) % 4;
      for (i = 0; i < n_users; i++)
        g_ptr_array_add (snap->users, next_user (&r));
      for (i = 0; i < n_fingers; i++)
        {
          g_autoptr (GBytes) bytes = next_bytes (&r);
          guint16 uid = next (&r) % 12;
          guint8 fid = next (&r) % 12;

          g_ptr_array_add (snap->templates, zk_template_new (uid, fid, next (&r) % 4, bytes));
        }
      for (i = 0; i < n_faces; i++)
        {
          g_autoptr (GBytes) bytes = next_bytes (&r);
          guint16 uid = next (&r) % 12;
          guint8 fid = next (&r) % 16;

          g_ptr_array_add (snap->faces, zk_face_new (uid, fid, 1, bytes));
        }
      bsd_plan_input_add_snapshot (input, snap);
    }
  for (i = next (&r) % 4; i > 0; i--)
    {
      g_autofree char *pin = g_strdup_printf ("%u", 1000 + next (&r) % 10);
      BsdPerson *person = bsd_person_new (pin);

      g_free (person->name);
      person->name = g_strdup_printf ("Roster %u", next (&r));
      person->privilege = next (&r) & 0x0e;
      person->central_edit = next (&r) & 1;
      bsd_plan_input_add_person (input, person);
    }
  for (i = next (&r) % 3; i > 0; i--)
    {
      g_autofree char *pin = g_strdup_printf ("%u", 1000 + next (&r) % 10);

      bsd_plan_input_add_tombstone (input, pin);
    }

  /* inconsistent input (a device listed twice …) may fail, never crash */
  plan = bsd_plan_compute (input, NULL);
  if (plan)
    {
      g_autofree char *a = NULL;
      g_autofree char *b = NULL;

      full = bsd_plan_to_json (plan);
      capped = bsd_plan_to_json_full (plan, 1 + (guint)(size % 3));
      a = json_to_string (full, FALSE);
      b = json_to_string (capped, FALSE);
      g_assert (g_utf8_validate (a, -1, NULL) && g_utf8_validate (b, -1, NULL));
    }
  gaps = bsd_plan_gaps (input, NULL);
  if (gaps)
    {
      g_autofree char *c = json_to_string (gaps, FALSE);

      g_assert (g_utf8_validate (c, -1, NULL));
    }
  return 0;
}
