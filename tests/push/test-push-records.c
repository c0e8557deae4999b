/* test-push-records.c — uploads, options, INFO and results (push-records.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The captured lines of docs/PUSH-PROTOCOL.md §4, §5, §13 and §15 verbatim.
 */
#include "config.h"

#include <string.h>

#include "push-limits.h"
#include "push-records.h"

#define FFFD "\xef\xbf\xbd"

static PushUpload *
parse (const char *table, const char *body, ZkSkips *skips)
{
  g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr (GError) error = NULL;
  PushUpload *upload = push_upload_parse (table, bytes, skips, &error);

  g_assert_no_error (error);
  g_assert_nonnull (upload);
  return upload;
}

static ZkAttendance *
punch (PushUpload *upload, guint i)
{
  return g_ptr_array_index (upload->punches, i);
}

/* X903 (trailing TAB), a face terminal (10 fields, Status 255), old
 * firmware (4 fields), CRLF; §5.1, §13.7, §15 */
static void
test_attlog_shapes (void)
{
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (PushUpload) upload = parse ("ATTLOG",
                                         "7\t2024-07-07 01:29:01\t0\t1\t0\t0\t0\t0\t0\t0\t\n"
                                         "1\t2026-05-28 12:14:10\t255\t15\t0\t0\t0\t0\t0\t0\t\r\n"
                                         "016\t2026-01-02 03:04:05\t1\t4\n"
                                         "abc123\t2026-01-02 03:04:06\t0\t1\t7\t0\t0\r\n",
                                         skips);

  g_assert_cmpuint (zk_skips_count (skips, NULL), ==, 0);
  g_assert_cmpuint (upload->punches->len, ==, 4);
  g_assert_cmpstr (punch (upload, 0)->user_id, ==, "7");
  g_assert_cmpuint (punch (upload, 0)->time.year, ==, 2024);
  g_assert_cmpuint (punch (upload, 0)->time.second, ==, 1);
  g_assert_cmpuint (punch (upload, 0)->verify, ==, 1);
  g_assert_cmpuint (punch (upload, 1)->state, ==, 255);
  g_assert_cmpuint (punch (upload, 1)->verify, ==, 15);
  /* zero padding is kept (§13.12) */
  g_assert_cmpstr (punch (upload, 2)->user_id, ==, "016");
  g_assert_cmpuint (punch (upload, 2)->verify, ==, 4);
  g_assert_cmpstr (punch (upload, 3)->user_id, ==, "abc123");
  g_assert_cmpuint (punch (upload, 3)->workcode, ==, 7);
}

/* a bad punch is skipped and counted, the others kept; an unclean PIN is
 * kept escaped, never dropped */
static void
test_attlog_malformed (void)
{
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (PushUpload) upload = parse ("ATTLOG",
                                         "1\t2026-02-30 10:00:00\t0\t1\n"
                                         "2\t2026-01-01 25:00:00\t0\t1\n"
                                         "\t2026-01-01 10:00:00\t0\t1\n"
                                         "3\t2026-01-01 10:00:00\tx\t1\n"
                                         "4\n"
                                         "5\t2026-01-01 10:00:00\t256\t1\n"
                                         "9\xff\t2026-01-01 10:00:00\t0\t1\n"
                                         "6\t2026-01-01 10:00:00\t0\t1\n",
                                         skips);

  g_assert_cmpuint (upload->punches->len, ==, 2);
  g_assert_cmpstr (punch (upload, 0)->user_id, ==, "9\\xff");
  g_assert_cmpstr (punch (upload, 1)->user_id, ==, "6");
  g_assert_cmpuint (zk_skips_count (skips, NULL), ==, 6);
}

/* OPERLOG: OPLOG then the USER it caused (X903, §15), FP with a ZKFinger
 * 10 template, a delete-user OPLOG */
static void
test_operlog (void)
{
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autofree char *body = NULL;
  g_autoptr (PushUpload) upload = NULL;
  /* "\x01\x02SS21" and some bytes, base64 */
  const char *tmp = "AQJTUzIxAAAAAAAA";
  PushUser *user;
  PushTemplate *fp;

  body = g_strdup_printf ("OPLOG 4\t0\t2024-07-07 01:44:19\t1\t0\t0\t0\n"
                          "USER PIN=6\tName=Wmjt\tPri=0\tPasswd=12345\tCard=\tGrp=1\t"
                          "TZ=0000000100000000\tVerify=0\tViceCard=\tStartDatetime=0\t"
                          "EndDatetime=0\n"
                          "FP PIN=6\tFID=3\tSize=%zu\tValid=3\tTMP=%s\n"
                          "OPLOG 9\t0\t2024-07-07 01:45:00\t12\t0\t0\t0\n",
                          strlen (tmp), tmp);
  upload = parse ("OPERLOG", body, skips);

  g_assert_cmpuint (zk_skips_count (skips, NULL), ==, 0);
  g_assert_cmpuint (upload->users->len, ==, 1);
  user = g_ptr_array_index (upload->users, 0);
  g_assert_cmpstr (user->pin, ==, "6");
  g_assert_cmpstr (user->name, ==, "Wmjt");
  g_assert_cmpstr (user->password, ==, "12345");
  g_assert_cmpuint (user->group, ==, 1);
  g_assert_cmpstr (user->time_zones, ==, "0000000100000000");
  g_assert_cmpint (user->verify, ==, 0);
  g_assert_cmpuint (upload->templates->len, ==, 1);
  fp = g_ptr_array_index (upload->templates, 0);
  g_assert_cmpuint (fp->type, ==, PUSH_BIO_FINGER);
  g_assert_cmpuint (fp->no, ==, 3);
  g_assert_true (fp->duress);
  g_assert_cmpuint (g_bytes_get_size (fp->data), ==, 12);
  g_assert_cmpmem ((const char *)g_bytes_get_data (fp->data, NULL) + 2, 4, "SS21", 4);
  g_assert_cmpuint (upload->deleted_pins->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (upload->deleted_pins, 0), ==, "12");
  g_assert_cmpuint (upload->ignored, ==, 2);
}

/* BIODATA (mixed-case keys, §5.6): a VL face, an NIR face part; a bad
 * base64, a Size mismatch and an unclean PIN are skipped */
static void
test_biodata (void)
{
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (PushUpload) upload
      = parse ("BIODATA",
               "BIODATA Pin=1\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=40\t"
               "MinorVer=1\tFormat=0\tTmp=AAEC\n"
               "BIODATA Pin=2\tNo=0\tIndex=14\tValid=1\tDuress=0\tType=2\tMajorVer=12\t"
               "MinorVer=0\tFormat=0\tTmp=AAECAw==\n"
               "BIODATA Pin=3\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tTmp=AA!C\n"
               "FP PIN=4\tFID=1\tSize=99\tValid=1\tTMP=AAEC\n"
               "BIODATA Pin=5\x01\tNo=0\tType=9\tTmp=AAEC\n"
               "FACE PIN=7\tFID=5\tSIZE=4\tVALID=1\tTMP=AAEC\n"
               "FVEIN Pin=8\tFID=2\tIndex=1\tSize=4\tValid=1\tTmp=AAEC\n",
               skips);
  PushTemplate *vl, *nir, *face, *vein;

  g_assert_cmpuint (upload->templates->len, ==, 4);
  g_assert_cmpuint (zk_skips_count (skips, NULL), ==, 3);
  vl = g_ptr_array_index (upload->templates, 0);
  g_assert_cmpuint (vl->type, ==, PUSH_BIO_FACE_VL);
  g_assert_cmpuint (vl->major_version, ==, 40);
  g_assert_cmpuint (vl->minor_version, ==, 1);
  g_assert_cmpuint (g_bytes_get_size (vl->data), ==, 3);
  nir = g_ptr_array_index (upload->templates, 1);
  g_assert_cmpuint (nir->index, ==, 14);
  g_assert_cmpuint (nir->major_version, ==, 12);
  face = g_ptr_array_index (upload->templates, 2);
  g_assert_cmpuint (face->type, ==, PUSH_BIO_FACE_NIR);
  g_assert_cmpuint (face->index, ==, 5);
  vein = g_ptr_array_index (upload->templates, 3);
  g_assert_cmpuint (vein->type, ==, PUSH_BIO_FINGER_VEIN);
  g_assert_cmpuint (vein->no, ==, 2);
  g_assert_cmpuint (vein->index, ==, 1);
}

/* names are display strings: bad UTF-8 replaced, never dropped */
static void
test_user_names (void)
{
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (PushUpload) upload = parse ("OPERLOG", "USER PIN=1\tName=Zo\xc3\tPri=14\n", skips);
  PushUser *user = g_ptr_array_index (upload->users, 0);

  g_assert_cmpstr (user->name, ==, "Zo" FFFD);
  g_assert_cmpuint (user->privilege, ==, 14);
  g_assert_cmpint (user->verify, ==, -1);
}

/* 3.x: rtlog (pin 0 is a door event) and tabledata user/biodata (§7) */
static void
test_3x (void)
{
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (PushUpload) upload
      = parse ("rtlog",
               "time=2024-01-02 08:00:01\tpin=42\tcardno=0\tsitecode=0\tlinkid=0\teventaddr=1\t"
               "event=0\tinoutstatus=1\tverifytype=15\tindex=7\tmaskflag=\ttemperature=\t"
               "convtemperature=\n"
               "time=2024-01-02 08:00:02\tpin=0\tcardno=0\tevent=8\tinoutstatus=0\n"
               "user uid=3\tcardno=\tpin=43\tpassword=\tgroup=0\tstarttime=0\tendtime=0\t"
               "name=Ana\tprivilege=0\tdisable=0\tverify=0\n"
               "biodata pin=43\tno=0\tindex=0\tvalid=1\tduress=0\ttype=9\tmajorver=39\t"
               "minorver=0\tformat=0\ttmp=AAEC\n",
               skips);

  g_assert_cmpuint (zk_skips_count (skips, NULL), ==, 0);
  g_assert_cmpuint (upload->punches->len, ==, 1);
  g_assert_cmpstr (punch (upload, 0)->user_id, ==, "42");
  g_assert_cmpuint (punch (upload, 0)->state, ==, 1);
  g_assert_cmpuint (punch (upload, 0)->verify, ==, 15);
  g_assert_cmpuint (upload->ignored, ==, 1);
  g_assert_cmpuint (upload->users->len, ==, 1);
  g_assert_cmpstr (((PushUser *)g_ptr_array_index (upload->users, 0))->name, ==, "Ana");
  g_assert_cmpuint (upload->templates->len, ==, 1);
  g_assert_cmpuint (((PushTemplate *)g_ptr_array_index (upload->templates, 0))->major_version, ==,
                    39);
}

/* USERPIC and BIOPHOTO by key, not position (§5.5) */
static void
test_photos (void)
{
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (PushUpload) upload
      = parse ("OPERLOG",
               "USERPIC PIN=1\tFileName=1.jpg\tSize=4\tContent=/9j/\n"
               "BIOPHOTO PIN=2\tNo=0\tIndex=0\tFileName=2.jpg\tType=9\tSize=4\tContent=/9j/\n",
               skips);
  PushPhoto *bio;

  g_assert_cmpuint (zk_skips_count (skips, NULL), ==, 0);
  g_assert_cmpuint (upload->photos->len, ==, 2);
  bio = g_ptr_array_index (upload->photos, 1);
  g_assert_true (bio->biophoto);
  g_assert_cmpuint (bio->type, ==, 9);
  g_assert_cmpmem (g_bytes_get_data (bio->data, NULL), 3, "\xff\xd8\xff", 3);
}

/* limits: a line over PUSH_LINE_MAX, a NUL, too many fields, 1 MB of TABs */
static void
test_limits (void)
{
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (GString) body = g_string_new (NULL);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (PushUpload) upload = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *huge = NULL;

  g_string_append (body, "USER PIN=1\tName=");
  for (guint i = 0; i < PUSH_LINE_MAX; i++)
    g_string_append_c (body, 'a');
  g_string_append (body, "\n");
  g_string_append_len (body, "1\t2026-01-01 10:00:00\t\0\n", 24);
  /* 1 MB of TABs in one line; trailing TABs alone make an empty line */
  g_string_append (body, "3\t");
  for (guint i = 0; i < 1024 * 1024; i++)
    g_string_append_c (body, '\t');
  g_string_append (body, "x\n");
  for (guint i = 0; i < 1024 * 1024; i++)
    g_string_append_c (body, '\t');
  g_string_append (body, "\nUSER PIN=1");
  for (guint i = 0; i < PUSH_FIELDS_MAX; i++)
    g_string_append (body, "\tX=1");
  g_string_append (body, "\n2\t2026-01-01 10:00:00\t0\t1\n");
  bytes = g_bytes_new (body->str, body->len);
  upload = push_upload_parse ("ATTLOG", bytes, skips, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (upload->punches->len, ==, 1);
  g_assert_cmpuint (upload->users->len, ==, 0);
  g_assert_cmpuint (zk_skips_count (skips, "lines longer than 256 KiB"), ==, 2);
  g_assert_cmpuint (zk_skips_count (skips, "lines with a NUL byte"), ==, 1);
  g_assert_cmpuint (zk_skips_count (skips, NULL), ==, 4);

  huge = g_malloc0 (PUSH_BODY_MAX + 1);
  g_clear_pointer (&bytes, g_bytes_unref);
  g_clear_pointer (&upload, push_upload_free);
  bytes = g_bytes_new_static (huge, PUSH_BODY_MAX + 1);
  upload = push_upload_parse ("ATTLOG", bytes, skips, &error);
  g_assert_null (upload);
  g_assert_error (error, PUSH_ERROR, PUSH_ERROR_TOO_BIG);
}

/* more than PUSH_RECORDS_MAX lines: the rest is counted, not parsed */
static void
test_records_max (void)
{
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (GString) body = g_string_new (NULL);
  g_autoptr (PushUpload) upload = NULL;

  for (guint i = 0; i < PUSH_RECORDS_MAX + 5; i++)
    g_string_append_printf (body, "%u\t2026-01-01 10:00:00\t0\t1\n", i + 1);
  upload = parse ("ATTLOG", body->str, skips);
  g_assert_cmpuint (upload->punches->len, ==, PUSH_RECORDS_MAX);
  g_assert_cmpuint (zk_skips_count (skips, NULL), ==, 5);
}

/* SpeedFace-V5L/SenseFace options with a comma inside a value (§13.8),
 * wrapped with LF */
static void
test_options (void)
{
  static const char body[]
      = "~DeviceName=SpeedFace-V5L,MAC=00:17:61:12:34:56,TransactionCount=12,"
        "~OEMVendor=ZKTECO CO., LTD.,FWVersion=ZAM180-NF50VA-Ver3.4.9,\n"
        "PushVersion=Ver 2.0.33S-20220101,BioDataFun=,MultiBioDataSupport=0:1:1:0:0:0:0:0:0:1,"
        "Language=101,junk,=x\ngarbage";
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (GHashTable) options = push_options_parse (body, strlen (body), skips);

  g_assert_cmpstr (g_hash_table_lookup (options, "~OEMVendor"), ==, "ZKTECO CO., LTD.");
  g_assert_cmpstr (g_hash_table_lookup (options, "FWVersion"), ==, "ZAM180-NF50VA-Ver3.4.9");
  g_assert_cmpstr (g_hash_table_lookup (options, "PushVersion"), ==, "Ver 2.0.33S-20220101");
  g_assert_cmpstr (g_hash_table_lookup (options, "BioDataFun"), ==, "");
  g_assert_cmpstr (g_hash_table_lookup (options, "MultiBioDataSupport"), ==, "0:1:1:0:0:0:0:0:0:1");
  /* "junk" and "=x" (no key) continue Language's value after a comma;
   * after a line break nothing continues */
  g_assert_cmpstr (g_hash_table_lookup (options, "Language"), ==, "101,junk,=x");
  g_assert_cmpuint (zk_skips_count (skips, NULL), ==, 1);
  g_assert_cmpuint (g_hash_table_size (options), ==, 9);
}

/* INFO= of §4.3: 10, 6 and 13 fields */
static void
test_info (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PushInfo) mb360
      = push_info_parse ("Ver 8.0.4.2-I113-02,143,1,109,172.16.12.182,10,7,12,141,111", &error);
  g_autoptr (PushInfo) old = NULL;
  g_autoptr (PushInfo) sense = NULL;
  g_autoptr (PushInfo) short_info = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (mb360->firmware, ==, "Ver 8.0.4.2-I113-02");
  g_assert_cmpint (mb360->users, ==, 143);
  g_assert_cmpint (mb360->fingerprints, ==, 1);
  g_assert_cmpint (mb360->records, ==, 109);
  g_assert_cmpstr (mb360->fp_version, ==, "10");
  g_assert_cmpint (mb360->faces, ==, 141);
  g_assert_cmpstr (mb360->flags, ==, "111");
  old = push_info_parse ("Ver 6.60 Oct 12 2011,5,3,71,192.168.1.201,10", &error);
  g_assert_no_error (error);
  g_assert_cmpint (old->faces, ==, -1);
  g_assert_cmpstr (old->flags, ==, "");
  sense = push_info_parse ("ZAM70-NF24HA-Ver3.3.12,1,1,0,10.81.20.170,10,40,12,1,11010,0,0,0",
                           &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sense->face_version, ==, "40");
  g_assert_cmpstr (sense->flags, ==, "11010");
  short_info = push_info_parse ("a,1,2", &error);
  g_assert_null (short_info);
  g_assert_error (error, PUSH_ERROR, PUSH_ERROR_INVALID);
}

static PushResult *
result (GPtrArray *results, guint i)
{
  return g_ptr_array_index (results, i);
}

/* devicecmd bodies of §4.4 and §15: several results, INFO lines after
 * the result, one field a line with Content=, no ID, a bad Return */
static void
test_results (void)
{
  static const char body[]
      = "ID=67e2974dbfb743fc&Return=0&CMD=DATA\n"
        "ID=3038fa81021b48c9&Return=-12&CMD=DATA\n"
        "ID=26&Return=0&CMD=INFO\n~DeviceName=Biopro SA40\nMAC=00:17:61:11:cd:3b\n"
        "TransactionCount=1\n"
        "ID=27\nSN=CQZ7231360296\nReturn=0\nCMD=Shell\nFILENAME=shellout.txt\nContent=1|Ali|0\n"
        "ID=info8487&Return=x&CMD=DATA\n"
        "Return=0&CMD=DATA\n"
        "ID=28&Return=12&CMD=VERIFY SUM ATTLOG&StartTime=2026-01-01 00:00:00&AttlogCount=12\n"
        "ID=29&CMD=DATA&Return=-1002\r\n";
  g_autoptr (GBytes) bytes = g_bytes_new_static (body, sizeof body - 1);
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) results = push_results_parse (bytes, skips, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, 6);
  g_assert_cmpstr (result (results, 0)->id, ==, "67e2974dbfb743fc");
  g_assert_cmpint (result (results, 0)->return_code, ==, 0);
  g_assert_cmpint (result (results, 1)->return_code, ==, -12);
  g_assert_cmpstr (result (results, 2)->cmd, ==, "INFO");
  g_assert_cmpstr (g_hash_table_lookup (result (results, 2)->values, "~DeviceName"), ==,
                   "Biopro SA40");
  g_assert_cmpstr (g_hash_table_lookup (result (results, 2)->values, "MAC"), ==,
                   "00:17:61:11:cd:3b");
  g_assert_cmpstr (result (results, 3)->id, ==, "27");
  g_assert_cmpstr (result (results, 3)->cmd, ==, "Shell");
  g_assert_cmpmem (g_bytes_get_data (result (results, 3)->content, NULL),
                   g_bytes_get_size (result (results, 3)->content), "1|Ali|0\n", 8);
  g_assert_cmpstr (result (results, 4)->cmd, ==, "VERIFY SUM ATTLOG");
  g_assert_cmpstr (g_hash_table_lookup (result (results, 4)->values, "AttlogCount"), ==, "12");
  /* CRLF: the Return is still a number */
  g_assert_cmpint (result (results, 5)->return_code, ==, -1002);
  /* a bad Return and a record without ID (it joins the one before and
   * is not a record of its own): one skip */
  g_assert_cmpuint (zk_skips_count (skips, NULL), ==, 1);
}

static void
test_return_codes (void)
{
  g_assert_cmpstr (push_return_code_describe (PUSH_DIALECT_2, -12), ==, "bad template");
  g_assert_cmpstr (push_return_code_describe (PUSH_DIALECT_2, -1002), ==, "command not supported");
  g_assert_cmpstr (push_return_code_describe (PUSH_DIALECT_3, 5), ==, "done");
  g_assert_cmpstr (push_return_code_describe (PUSH_DIALECT_3, -14), ==,
                   "wrong communication password");
  g_assert_cmpstr (push_return_code_describe (PUSH_DIALECT_2, -30), ==,
                   "failed with an undocumented code");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/push/records/attlog-shapes", test_attlog_shapes);
  g_test_add_func ("/push/records/attlog-malformed", test_attlog_malformed);
  g_test_add_func ("/push/records/operlog", test_operlog);
  g_test_add_func ("/push/records/biodata", test_biodata);
  g_test_add_func ("/push/records/user-names", test_user_names);
  g_test_add_func ("/push/records/3x", test_3x);
  g_test_add_func ("/push/records/photos", test_photos);
  g_test_add_func ("/push/records/limits", test_limits);
  g_test_add_func ("/push/records/records-max", test_records_max);
  g_test_add_func ("/push/records/options", test_options);
  g_test_add_func ("/push/records/info", test_info);
  g_test_add_func ("/push/records/results", test_results);
  g_test_add_func ("/push/records/return-codes", test_return_codes);
  return g_test_run ();
}
