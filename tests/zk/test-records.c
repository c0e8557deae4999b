/* test-records.c — record codecs against the captured vectors of
 * ZK-PROTOCOL.md §3, §4, §6 and against corrupt input
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "zk-packet.h"
#include "zk-records.h"

#include <string.h>

/* the 72-byte user captured from ZKAccess (uid 14, "Nuevo", card 6543) */
static const guint8 user72[72] = {
  0x0e, 0x00, 0x06, '1',  '2', '3', '4', '5', '6', 0x00, 0x7c, 'N', 'u', 'e', 'v', 'o', 0,   0,
  0,    0,    0,    0,    0,   0,   0,   0,   0,   0,    0,    0,   0,   0,   0,   0,   0,   0x8f,
  0x19, 0x00, 0x00, 0x01, 0,   0,   0,   0,   0,   0,    0,    0,   '1', '1', '2', '2', '4', '4',
  '8',  '8',  0,    0,    0,   0,   0,   0,   0,   0,    0,    0,   0,   0,   0,   0,   0,   0,
};

static void
test_user72_capture (void)
{
  g_autoptr (ZkUser) user = zk_user_decode (user72, 72, NULL);
  guint8 out[72];

  g_assert_cmpuint (user->uid, ==, 14);
  g_assert_cmpuint (user->privilege, ==, 6);
  g_assert_cmpstr (user->password, ==, "123456");
  g_assert_cmpstr (user->name, ==, "Nuevo");
  g_assert_cmpuint (user->card, ==, 6543);
  g_assert_cmpuint (user->group, ==, 1);
  g_assert_cmpstr (user->user_id, ==, "11224488");

  /* re-encoding gives the capture except the garbage byte after the password NUL */
  g_assert_true (zk_user_encode (user, 72, NULL, out, NULL));
  g_assert_cmpmem (out, 10, user72, 10);
  g_assert_cmpuint (out[10], ==, 0);
  g_assert_cmpmem (out + 11, 61, user72 + 11, 61);
}

static void
test_user28_round_trip (void)
{
  g_autoptr (ZkUser) user = zk_user_new ();
  g_autoptr (ZkUser) back = NULL;
  g_autoptr (GError) error = NULL;
  guint8 out[28];

  user->uid = 300;
  user->privilege = 14;
  g_strlcpy (user->password, "9876", sizeof user->password);
  g_free (user->name);
  user->name = g_strdup ("Ana María López"); /* longer than 8 bytes: cut */
  user->card = 4000000000u;
  user->group = 1;
  g_strlcpy (user->user_id, "4294967295", sizeof user->user_id);
  g_assert_true (zk_user_encode (user, 28, NULL, out, &error));
  g_assert_no_error (error);
  back = zk_user_decode (out, 28, NULL);
  g_assert_cmpuint (back->uid, ==, 300);
  g_assert_cmpuint (back->privilege, ==, 14);
  g_assert_cmpstr (back->password, ==, "9876");
  g_assert_cmpstr (back->name, ==, "Ana Mar"); /* í would be bytes 8–9: cut before it */
  g_assert_cmpuint (back->card, ==, 4000000000u);
  g_assert_cmpstr (back->user_id, ==, "4294967295");

  /* 28-byte devices store numbers only */
  g_strlcpy (user->user_id, "100001lp", sizeof user->user_id);
  g_assert_false (zk_user_encode (user, 28, NULL, out, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_strlcpy (user->user_id, "4294967296", sizeof user->user_id);
  g_assert_false (zk_user_encode (user, 28, NULL, out, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_strlcpy (user->user_id, "12", sizeof user->user_id);
  g_strlcpy (user->password, "123456", sizeof user->password);
  g_assert_false (zk_user_encode (user, 28, NULL, out, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT);
}

static void
test_user_names_and_encodings (void)
{
  g_autoptr (ZkUser) user = zk_user_new ();
  g_autoptr (ZkUser) back = NULL;
  guint8 out[72];
  guint8 raw[72];

  user->uid = 1;
  g_strlcpy (user->user_id, "1", sizeof user->user_id);
  g_free (user->name);
  /* 12 two-byte characters: only 11 fit in 23 bytes */
  user->name = g_strdup ("ääääääääääää");
  g_assert_true (zk_user_encode (user, 72, NULL, out, NULL));
  back = zk_user_decode (out, 72, NULL);
  g_assert_cmpstr (back->name, ==,
                   "ääääääääää"
                   "ä"); /* one character less */
  g_assert_cmpuint (g_utf8_strlen (back->name, -1), ==, 11);
  g_assert_true (g_utf8_validate (back->name, -1, NULL));
  g_clear_pointer (&back, zk_user_free);

  /* a GBK device */
  g_free (user->name);
  user->name = g_strdup ("张伟");
  g_assert_true (zk_user_encode (user, 72, "GBK", out, NULL));
  g_assert_cmpuint (out[11], ==, 0xd5); /* 张 = d5 c5 in GBK */
  back = zk_user_decode (out, 72, "GBK");
  g_assert_cmpstr (back->name, ==, "张伟");
  g_clear_pointer (&back, zk_user_free);

  /* invalid bytes in a "UTF-8" device name never leak out */
  memcpy (raw, user72, sizeof raw);
  raw[11] = 0xff;
  raw[12] = 0xfe;
  back = zk_user_decode (raw, 72, NULL);
  g_assert_true (g_utf8_validate (back->name, -1, NULL));

  /* a 24-byte name without NUL and a 24-byte user id stay bounded */
  memset (raw + 11, 'x', 24);
  memset (raw + 48, '7', 24);
  g_clear_pointer (&back, zk_user_free);
  back = zk_user_decode (raw, 72, NULL);
  g_assert_cmpuint (strlen (back->name), ==, 24);
  g_assert_cmpuint (strlen (back->user_id), ==, 24);
}

static void
test_users_width_inference (void)
{
  g_autoptr (GByteArray) blob = g_byte_array_new ();
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (GError) error = NULL;
  guint width = 0;
  guint i;

  /* 504 bytes = 7 × 72 = 18 × 28: the count decides */
  g_assert_cmpuint (zk_users_infer_width (504, 7, 0), ==, 72);
  g_assert_cmpuint (zk_users_infer_width (504, 18, 0), ==, 28);
  g_assert_cmpuint (zk_users_infer_width (504, 0, 28), ==, 28);
  g_assert_cmpuint (zk_users_infer_width (504, 0, 0), ==, 72);
  g_assert_cmpuint (zk_users_infer_width (56, 0, 0), ==, 28);
  g_assert_cmpuint (zk_users_infer_width (100, 0, 0), ==, 0);
  /* a wrong count hint does not win over an exact width hint */
  g_assert_cmpuint (zk_users_infer_width (504, 5, 28), ==, 28);

  for (i = 0; i < 7; i++)
    g_byte_array_append (blob, user72, 72);
  blob->data[72 * 3] = 0; /* record 3 gets uid 0: skipped, with a reason */
  blob->data[72 * 3 + 1] = 0;
  users = zk_users_decode (blob->data, blob->len, 7, 0, NULL, &width, skips, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (width, ==, 72);
  g_assert_cmpuint (users->len, ==, 6);
  g_assert_cmpuint (zk_skips_count (skips, NULL), ==, 1);

  g_clear_pointer (&users, g_ptr_array_unref);
  users = zk_users_decode (blob->data, blob->len - 5, 7, 0, NULL, &width, NULL, &error);
  g_assert_null (users);
  g_assert_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL);
}

/* field by field, never memcmp: ZkTime's padding byte is whatever its
 * memory held (a stack copy differed with the package build's flags) */
static void
assert_time_equal (const ZkTime *a, const ZkTime *b)
{
  g_assert_cmpuint (a->year, ==, b->year);
  g_assert_cmpuint (a->month, ==, b->month);
  g_assert_cmpuint (a->day, ==, b->day);
  g_assert_cmpuint (a->hour, ==, b->hour);
  g_assert_cmpuint (a->minute, ==, b->minute);
  g_assert_cmpuint (a->second, ==, b->second);
}

static void
test_time_vectors (void)
{
  ZkTime t = { 2024, 5, 6, 7, 8, 9 };
  ZkTime back;
  g_autofree char *iso = NULL;

  g_assert_cmphex (zk_time_encode (&t), ==, 0x2ea4c5d9);
  zk_time_decode (0x2ea4c5d9, &back);
  assert_time_equal (&back, &t);
  iso = zk_time_to_iso8601 (&back);
  g_assert_cmpstr (iso, ==, "2024-05-06T07:08:09");

  /* attendance example: 0x2368B36B = 2018-06-25 17:50:35 */
  zk_time_decode (0x2368b36b, &back);
  g_assert_cmpuint (back.year, ==, 2018);
  g_assert_cmpuint (back.month, ==, 6);
  g_assert_cmpuint (back.day, ==, 25);
  g_assert_cmpuint (back.hour, ==, 17);
  g_assert_cmpuint (back.minute, ==, 50);
  g_assert_cmpuint (back.second, ==, 35);
}

static void
test_time_invalid (void)
{
  ZkTime t;
  ZkTime feb30 = { 2021, 2, 30, 0, 0, 0 };
  ZkTime leap = { 2024, 2, 29, 23, 59, 59 };
  g_autoptr (GError) error = NULL;

  g_assert_false (zk_time_is_valid (&feb30));
  g_assert_null (zk_time_to_date_time (&feb30, NULL));
  g_assert_true (zk_time_is_valid (&leap));
  zk_time_decode (0xffffffff, &t); /* year 2000 + 0xffffffff / (12·31·86400) = 2133 */
  g_assert_false (zk_time_is_valid (&t));
  g_assert_false (zk_time_is_valid (NULL));

  g_assert_true (zk_time_from_iso8601 ("2026-11-25T08:09:10", &t, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (t.minute, ==, 9);
  g_assert_true (zk_time_from_iso8601 ("2026-11-25", &t, &error));
  g_assert_cmpuint (t.hour, ==, 0);
  g_assert_false (zk_time_from_iso8601 ("2026-02-30T00:00:00", &t, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (zk_time_from_iso8601 ("yesterday", &t, &error));
  g_clear_error (&error);
  g_assert_false (zk_time_from_iso8601 ("2026-11-25T08:09:10Z", &t, &error));
  g_clear_error (&error);
  g_assert_false (zk_time_from_iso8601 ("1999-12-31T23:59:59", &t, &error));
  g_clear_error (&error);
}

static void
test_time_date_time (void)
{
  g_autoptr (GTimeZone) tz = g_time_zone_new_identifier ("+02:00");
  ZkTime t = { 2026, 3, 29, 1, 30, 0 };
  ZkTime back;
  g_autoptr (GDateTime) dt = zk_time_to_date_time (&t, tz);
  g_autoptr (GDateTime) utc = NULL;

  g_assert_nonnull (dt);
  utc = g_date_time_to_utc (dt);
  g_assert_cmpint (g_date_time_get_hour (utc), ==, 23);
  g_assert_cmpint (g_date_time_get_day_of_month (utc), ==, 28);
  zk_time_from_date_time (dt, &back);
  assert_time_equal (&back, &t);
}

static const guint8 att40[40] = {
  0x0d, 0x00, '9', '9', '9', '1', '1',  '1',  '3',  '3',  '3',  0,    0, 0, 0, 0, 0,    0, 0, 0,
  0,    0,    0,   0,   0,   0,   0x01, 0x6b, 0xb3, 0x68, 0x23, 0x00, 0, 0, 0, 0, 0xff, 0, 0, 0,
};

static void
test_attendance40_capture (void)
{
  g_autoptr (GPtrArray) recs = NULL;
  g_autoptr (GError) error = NULL;
  ZkAttendance *a;
  guint width = 0;
  guint8 out[40];

  recs = zk_attendance_decode (att40, sizeof att40, 1, 0, &width, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (width, ==, 40);
  g_assert_cmpuint (recs->len, ==, 1);
  a = recs->pdata[0];
  g_assert_cmpuint (a->uid, ==, 13);
  g_assert_cmpstr (a->user_id, ==, "999111333");
  g_assert_cmpuint (a->verify, ==, 1);
  g_assert_cmpuint (a->state, ==, 0);
  g_assert_cmpuint (a->time.year, ==, 2018);
  g_assert_cmpuint (a->time.second, ==, 35);

  g_assert_true (zk_attendance_encode (a, 40, out, NULL));
  g_assert_cmpmem (out, 40, att40, 40);
}

static void
test_attendance_widths (void)
{
  ZkAttendance a = { 0 };
  guint widths[] = { 49, 40, 16, 8 };
  guint i;

  a.uid = 7;
  g_strlcpy (a.user_id, "7", sizeof a.user_id);
  a.verify = 1;
  a.state = 1;
  a.time = (ZkTime){ 2016, 1, 1, 19, 2, 0 };
  a.workcode = 5;
  for (i = 0; i < G_N_ELEMENTS (widths); i++)
    {
      g_autoptr (GByteArray) blob = g_byte_array_new ();
      g_autoptr (GPtrArray) recs = NULL;
      g_autoptr (GError) error = NULL;
      guint width = 0, n;
      ZkAttendance *got;

      g_byte_array_set_size (blob, widths[i] * 3);
      for (n = 0; n < 3; n++)
        g_assert_true (zk_attendance_encode (&a, widths[i], blob->data + n * widths[i], NULL));
      recs = zk_attendance_decode (blob->data, blob->len, 3, 0, &width, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (width, ==, widths[i]);
      g_assert_cmpuint (recs->len, ==, 3);
      got = recs->pdata[2];
      g_assert_cmpstr (got->user_id, ==, "7");
      g_assert_cmpuint (got->state, ==, 1);
      g_assert_cmpuint (got->verify, ==, 1);
      assert_time_equal (&got->time, &a.time);
    }
}

static void
test_attendance8_zem500_capture (void)
{
  /* raw 8-byte record from a ZEM500 owner: uid 7, 2016-01-01 19:02:00 */
  const guint8 rec[8] = { 0x07, 0x00, 0x28, 0x00, 0xa8, 0xeb, 0xa7, 0x1e };
  g_autoptr (GPtrArray) recs = zk_attendance_decode (rec, 8, 1, 0, NULL, NULL, NULL);
  ZkAttendance *a;

  g_assert_cmpuint (recs->len, ==, 1);
  a = recs->pdata[0];
  g_assert_cmpuint (a->uid, ==, 7);
  g_assert_cmpuint (a->time.year, ==, 2016);
  g_assert_cmpuint (a->time.hour, ==, 19);
  g_assert_cmpuint (a->time.minute, ==, 2);
}

static void
test_attendance_corrupt (void)
{
  guint8 blob[120];
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (GPtrArray) recs = NULL;
  g_autoptr (GError) error = NULL;
  ZkTime feb30 = { 2021, 2, 30, 8, 0, 0 };

  memcpy (blob, att40, 40);
  memcpy (blob + 40, att40, 40);
  memcpy (blob + 80, att40, 40);
  zk_write_u32 (blob + 40 + 27, zk_time_encode (&feb30)); /* impossible date */
  zk_write_u32 (blob + 80 + 27, 0);                       /* zero time */
  recs = zk_attendance_decode (blob, sizeof blob, 3, 0, NULL, skips, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (recs->len, ==, 1);
  g_assert_cmpuint (zk_skips_count (skips, NULL), ==, 2);
  /* both have the same reason: one line says it, with both examples */
  zk_skips_summarize (skips, warnings);
  g_assert_cmpuint (warnings->len, ==, 1);
  g_assert_nonnull (strstr (warnings->pdata[0], "2 punches with an impossible time skipped"));
  g_assert_nonnull (strstr (warnings->pdata[0], "record 1 "));
  g_assert_nonnull (strstr (warnings->pdata[0], "record 2 "));

  g_clear_pointer (&recs, g_ptr_array_unref);
  recs = zk_attendance_decode (blob, 39, 0, 40, NULL, NULL, &error);
  g_assert_null (recs);
  g_assert_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL);
}

static void
test_templates (void)
{
  g_autoptr (GByteArray) blob = g_byte_array_new ();
  g_autoptr (GBytes) t1 = g_bytes_new ("\x4d\x98SS21\x00\x00\x04\xdb", 10);
  g_autoptr (GBytes) t2 = g_bytes_new ("abc", 3);
  g_autoptr (ZkTemplate) a = zk_template_new (14, 1, 1, t1);
  g_autoptr (ZkTemplate) b = zk_template_new (15, 9, 3, t2);
  g_autoptr (GPtrArray) tmpls = NULL;
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (GError) error = NULL;
  ZkTemplate *got;

  zk_template_append_entry (blob, a);
  zk_template_append_entry (blob, b);
  g_assert_cmpuint (blob->len, ==, 16 + 9);
  g_assert_cmpuint (zk_read_u16 (blob->data), ==, 16);
  tmpls = zk_templates_decode (blob->data, blob->len, 0, skips, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tmpls->len, ==, 2);
  got = tmpls->pdata[1];
  g_assert_cmpuint (got->uid, ==, 15);
  g_assert_cmpuint (got->fid, ==, 9);
  g_assert_cmpuint (got->valid, ==, 3);
  g_assert_true (g_bytes_equal (got->data, t2));

  /* a size field pointing past the end is a protocol error, never a read past it */
  g_clear_pointer (&tmpls, g_ptr_array_unref);
  tmpls = zk_templates_decode (blob->data, blob->len - 1, 0, NULL, &error);
  g_assert_null (tmpls);
  g_assert_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL);
  g_clear_error (&error);
  zk_write_u16 (blob->data, 3);
  tmpls = zk_templates_decode (blob->data, blob->len, 0, NULL, &error);
  g_assert_null (tmpls);
  g_assert_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* finger 12 is not a finger: skipped with a reason */
  zk_write_u16 (blob->data, 16);
  blob->data[4] = 12;
  tmpls = zk_templates_decode (blob->data, blob->len, 0, skips, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tmpls->len, ==, 1);
  g_assert_cmpuint (zk_skips_count (skips, NULL), ==, 1);
}

/* one order for fingerprints and faces: uid, fid, valid, then the bytes */
static void
test_template_compare (void)
{
  g_autoptr (GBytes) ab = g_bytes_new_static ("ab", 2);
  g_autoptr (GBytes) ac = g_bytes_new_static ("ac", 2);
  g_autoptr (GPtrArray) sorted = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_template_free);
  ZkFace *face = zk_face_new (2, 0, 1, ab);
  ZkTemplate *tmpl;

  g_ptr_array_add (sorted, zk_template_new (2, 1, 1, ab));
  g_ptr_array_add (sorted, zk_template_new (1, 9, 1, ab));
  g_ptr_array_add (sorted, zk_template_new (2, 0, 1, ac));
  g_ptr_array_add (sorted, zk_template_new (2, 0, 3, ab));
  g_ptr_array_add (sorted, face);
  g_ptr_array_sort (sorted, zk_template_sort_func);
  tmpl = sorted->pdata[0];
  g_assert_cmpuint (tmpl->uid, ==, 1);
  g_assert_true (sorted->pdata[1] == face);
  tmpl = sorted->pdata[2];
  g_assert_true (g_bytes_equal (tmpl->data, ac));
  tmpl = sorted->pdata[3];
  g_assert_cmpuint (tmpl->valid, ==, 3);
  tmpl = sorted->pdata[4];
  g_assert_cmpuint (tmpl->fid, ==, 1);
  g_assert_cmpint (zk_template_compare (face, face), ==, 0);
}

static void
test_faces (void)
{
  g_autoptr (GByteArray) blob = g_byte_array_new ();
  guint8 data[1214];
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (ZkFace) face = NULL;
  g_autoptr (GPtrArray) faces = NULL;
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (GError) error = NULL;
  ZkFace *got;
  guint i;

  for (i = 0; i < sizeof data; i++)
    data[i] = (guint8)(i * 7);
  bytes = g_bytes_new (data, sizeof data);
  face = zk_face_new (3, 0, 1, bytes);
  zk_face_append_record (blob, face);
  face->fid = 14;
  zk_face_append_record (blob, face);
  g_assert_cmpuint (blob->len, ==, 2 * 2576);
  /* pyzk #259 reads bytes 4–5 as 256 + id: valid 1 behind face id */
  g_assert_cmpuint (zk_read_u16 (blob->data + 4), ==, 256);
  g_assert_cmpuint (zk_read_u16 (blob->data), ==, 1214);

  faces = zk_faces_decode (blob->data, blob->len, skips, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (faces->len, ==, 2);
  got = faces->pdata[1];
  g_assert_cmpuint (got->fid, ==, 14);
  g_assert_cmpuint (got->uid, ==, 3);
  g_assert_true (g_bytes_equal (got->data, bytes));

  g_clear_pointer (&faces, g_ptr_array_unref);
  faces = zk_faces_decode (blob->data, blob->len - 1, NULL, &error);
  g_assert_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL);
  g_clear_error (&error);

  zk_write_u16 (blob->data, 4000); /* size beyond the record */
  faces = zk_faces_decode (blob->data, blob->len, skips, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (faces->len, ==, 1);
  g_assert_cmpuint (zk_skips_count (skips, NULL), ==, 1);
}

static void
test_free_sizes_capture (void)
{
  /* F18/ID, ZMM210_TFT, 92 bytes */
  const guint32 ints[23] = { 0, 0, 0,    0,    3,      0,    3,    0,     58, 0, 90, 0,
                             2, 2, 3000, 5000, 100000, 2997, 4997, 99942, 0,  0, 0 };
  guint8 payload[92];
  ZkSizes sizes;
  g_autoptr (GByteArray) again = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  guint i;

  for (i = 0; i < 23; i++)
    zk_write_u32 (payload + 4 * i, ints[i]);
  g_assert_cmphex (payload[56], ==, 0xb8); /* b80b0000 as in the capture */
  g_assert_true (zk_sizes_decode (payload, 92, &sizes, &error));
  g_assert_cmpuint (sizes.n_ints, ==, 23);
  g_assert_cmpint (sizes.users, ==, 3);
  g_assert_cmpint (sizes.fingers, ==, 3);
  g_assert_cmpint (sizes.records, ==, 58);
  g_assert_cmpint (sizes.oplogs, ==, 90);
  g_assert_cmpint (sizes.admins, ==, 2);
  g_assert_cmpint (sizes.finger_capacity, ==, 3000);
  g_assert_cmpint (sizes.user_capacity, ==, 5000);
  g_assert_cmpint (sizes.record_capacity, ==, 100000);
  g_assert_cmpint (sizes.records_available, ==, 99942);
  g_assert_cmpint (sizes.face_capacity, ==, 0);

  zk_sizes_encode (&sizes, 23, again);
  g_assert_cmpmem (again->data, again->len, payload, 92);

  /* 80-byte reply of older firmware: no face fields */
  g_assert_true (zk_sizes_decode (payload, 80, &sizes, &error));
  g_assert_cmpuint (sizes.n_ints, ==, 20);
  g_assert_false (zk_sizes_decode (payload, 76, &sizes, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL);
}

static void
test_query_reply_capture (void)
{
  const guint8 reply[13]
      = { 0x00, 0xb4, 0x13, 0x00, 0x00, 0xb4, 0x13, 0x00, 0x00, 0xcd, 0xef, 0x23, 0x00 };
  const guint8 prepare[8] = { 0xdc, 0x04, 0x00, 0x00, 0xf0, 0x03, 0x00, 0x00 };
  guint32 size = 0, total = 0, psize = 0;
  g_autoptr (GByteArray) built = g_byte_array_new ();

  g_assert_true (zk_query_reply_parse (reply, sizeof reply, &size));
  g_assert_cmpuint (size, ==, 5044); /* 70 users × 72 + 4 */
  g_assert_false (zk_query_reply_parse (reply, 4, &size));
  zk_query_reply_build (built, 5044, 0x23efcd);
  g_assert_cmpmem (built->data, built->len, reply, sizeof reply);

  /* the 1244-byte template stream: PREPARE_DATA [1244, 1008] */
  g_assert_true (zk_prepare_data_parse (prepare, 8, &total, &psize));
  g_assert_cmpuint (total, ==, 1244);
  g_assert_cmpuint (psize, ==, 1008);
  g_assert_true (zk_prepare_data_parse (prepare, 4, &total, &psize));
  g_assert_cmpuint (psize, ==, 0);
}

static void
test_option_reply (void)
{
  const char reply[] = "~Platform=ZEM760_TFT";
  g_autoptr (GError) error = NULL;
  char *v;

  v = zk_option_parse_reply ((const guint8 *)reply, sizeof reply, "~Platform", &error);
  g_assert_cmpstr (v, ==, "ZEM760_TFT");
  g_free (v);
  /* no trailing NUL, stray '=' */
  v = zk_option_parse_reply ((const guint8 *)"A==5", 4, "A", &error);
  g_assert_cmpstr (v, ==, "5");
  g_free (v);
  v = zk_option_parse_reply ((const guint8 *)"A=", 2, "A", &error);
  g_assert_cmpstr (v, ==, "");
  g_free (v);
  v = zk_option_parse_reply ((const guint8 *)"garbage", 7, "A", &error);
  g_assert_null (v);
  g_assert_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL);
}

static void
test_device_error_subcode (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) copy = NULL;

  zk_set_device_error (&error, ZK_CMD_USER_WRQ, 1);
  g_assert_error (error, ZK_ERROR, ZK_ERROR_DEVICE);
  g_assert_cmpint (zk_error_get_subcode (error), ==, 1);
  g_assert_nonnull (strstr (error->message, "USER_WRQ"));
  copy = g_error_copy (error);
  g_assert_cmpint (zk_error_get_subcode (copy), ==, 1);
  g_assert_cmpint (zk_error_get_subcode (NULL), ==, -1);
  g_clear_error (&error);

  /* a refusal without a sub-code says so, and has none */
  zk_set_device_error (&error, ZK_CMD_USER_WRQ, -1);
  g_assert_error (error, ZK_ERROR, ZK_ERROR_DEVICE);
  g_assert_cmpint (zk_error_get_subcode (error), ==, -1);
  g_assert_cmpstr (error->message, ==, "device refused USER_WRQ (no error code)");
}

/* a caller that names the operation itself gets the message without
 * the library's name for it */
static void
test_error_cause (void)
{
  g_autoptr (GError) error
      = g_error_new_literal (ZK_ERROR, ZK_ERROR_TIMED_OUT, "device did not answer");
  g_autoptr (GError) copy = NULL;
  g_autoptr (GError) foreign = g_error_new_literal (G_FILE_ERROR, G_FILE_ERROR_NOSPC, "disk full");

  g_assert_cmpstr (zk_error_get_cause (error), ==, "device did not answer");
  zk_error_prefix_operation (&error, "reading %s", "users");
  g_assert_cmpstr (error->message, ==, "reading users: device did not answer");
  g_assert_cmpstr (zk_error_get_cause (error), ==, "device did not answer");
  copy = g_error_copy (error);
  g_assert_cmpstr (zk_error_get_cause (copy), ==, "device did not answer");
  zk_error_prefix_operation (&foreign, "writing");
  g_assert_cmpstr (zk_error_get_cause (foreign), ==, "writing: disk full");
}

/* "name=value" per member, "#" before a number, "~" before text that
 * may not be UTF-8, "&" before a byte count */
static void
collect_member (const ZkMember *member, gpointer user_data)
{
  GString *out = user_data;

  g_string_append_printf (out, "%s=", member->name);
  switch (member->kind)
    {
    case ZK_MEMBER_INT:
      g_string_append_printf (out, "#%" G_GINT64_FORMAT, member->number);
      break;
    case ZK_MEMBER_BOOL:
      g_string_append (out, member->number ? "true" : "false");
      break;
    case ZK_MEMBER_TEXT:
      g_string_append_printf (out, "~%s", member->text);
      break;
    case ZK_MEMBER_STRING:
      g_string_append (out, member->text);
      break;
    case ZK_MEMBER_BYTES:
      g_string_append_printf (out, "&%" G_GSIZE_FORMAT, g_bytes_get_size (member->bytes));
      break;
    }
  g_string_append_c (out, ';');
}

static char *
members_of (ZkForeachMemberFunc foreach_member, gconstpointer record)
{
  GString *out = g_string_new (NULL);

  foreach_member (record, collect_member, out);
  return g_string_free (out, FALSE);
}

/* the simulator's fixtures and biosync-zk --json both write these names in
 * this order: a fixture that biosync-zk wrote must load */
static void
test_members (void)
{
  g_autoptr (ZkUser) user = zk_user_decode (user72, 72, NULL);
  g_autoptr (GBytes) bytes = g_bytes_new_static ("abc", 3);
  g_autoptr (ZkTemplate) tmpl = zk_template_new (14, 6, 1, bytes);
  ZkAttendance att = { 14, "1001", 1, 255, { 2024, 2, 29, 23, 59, 58 }, 7 };
  ZkSizes sizes = { 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
  g_autofree char *user_text = members_of (zk_user_foreach_member, user);
  g_autofree char *nameless_text = NULL;
  g_autofree char *tmpl_text = members_of (zk_template_foreach_member, tmpl);
  g_autofree char *att_text = members_of (zk_attendance_foreach_member, &att);
  g_autofree char *sizes_text = members_of (zk_sizes_foreach_member, &sizes);

  g_assert_cmpstr (user_text, ==,
                   "uid=#14;user_id=~11224488;name=~Nuevo;privilege=#6;password=123456;"
                   "card=#6543;group=#1;");
  g_clear_pointer (&user->name, g_free);
  nameless_text = members_of (zk_user_foreach_member, user);
  g_assert_nonnull (strstr (nameless_text, ";name=~;"));
  g_assert_cmpstr (tmpl_text, ==, "uid=#14;fid=#6;valid=#1;template=&3;");
  g_assert_cmpstr (att_text, ==,
                   "uid=#14;user_id=~1001;time=2024-02-29T23:59:58;verify=#1;state=#255;"
                   "workcode=#7;");
  g_assert_cmpstr (sizes_text, ==,
                   "users=#1;user_capacity=#8;users_available=#11;fingers=#2;"
                   "finger_capacity=#7;fingers_available=#10;records=#3;record_capacity=#9;"
                   "records_available=#12;faces=#13;face_capacity=#14;admins=#5;passwords=#6;"
                   "oplogs=#4;");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/records/user72-capture", test_user72_capture);
  g_test_add_func ("/records/user28-round-trip", test_user28_round_trip);
  g_test_add_func ("/records/user-names", test_user_names_and_encodings);
  g_test_add_func ("/records/users-width", test_users_width_inference);
  g_test_add_func ("/records/time-vectors", test_time_vectors);
  g_test_add_func ("/records/time-invalid", test_time_invalid);
  g_test_add_func ("/records/time-date-time", test_time_date_time);
  g_test_add_func ("/records/attendance40-capture", test_attendance40_capture);
  g_test_add_func ("/records/attendance-widths", test_attendance_widths);
  g_test_add_func ("/records/attendance8-zem500", test_attendance8_zem500_capture);
  g_test_add_func ("/records/attendance-corrupt", test_attendance_corrupt);
  g_test_add_func ("/records/templates", test_templates);
  g_test_add_func ("/records/faces", test_faces);
  g_test_add_func ("/records/template-compare", test_template_compare);
  g_test_add_func ("/records/members", test_members);
  g_test_add_func ("/records/free-sizes-capture", test_free_sizes_capture);
  g_test_add_func ("/records/query-reply-capture", test_query_reply_capture);
  g_test_add_func ("/records/option-reply", test_option_reply);
  g_test_add_func ("/records/device-error-subcode", test_device_error_subcode);
  g_test_add_func ("/records/error-cause", test_error_cause);
  return g_test_run ();
}
