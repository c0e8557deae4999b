/* test-push-format.c — replies and commands (push-format.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "push-format.h"

/* §9: hours when whole, minutes otherwise, never 13–60 */
static void
test_time_zone (void)
{
  static const struct
  {
    gint minutes;
    const char *text;
  } cases[] = {
    { 0, "0" },         { 60, "1" },        { 8 * 60, "8" },     { -5 * 60, "-5" },
    { 12 * 60, "12" },  { 330, "330" },     { -210, "-210" },    { 345, "345" },
    { 13 * 60, "780" }, { 14 * 60, "840" }, { -12 * 60, "-12" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = push_format_time_zone (cases[i].minutes);
      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

static gboolean
has_line (const char *reply, const char *line)
{
  g_auto (GStrv) lines = g_strsplit (reply, "\n", -1);

  return g_strv_contains ((const char *const *)lines, line);
}

/* §4.1: first line fixed, both stamp spellings, TABs in TransFlag,
 * TimeZone per §9, LF after the last line */
static void
test_options_2 (void)
{
  PushStamps stamps = { .attlog = 500, .operlog = 600, .biodata = 0 };
  g_autofree char *reply = push_format_options_2 ("CQZ7231360296", &stamps, 330);

  g_assert_true (g_str_has_prefix (reply, "GET OPTION FROM: CQZ7231360296\n"));
  g_assert_true (g_str_has_suffix (reply, "\n"));
  g_assert_true (has_line (reply, "ATTLOGStamp=500"));
  g_assert_true (has_line (reply, "Stamp=500"));
  g_assert_true (has_line (reply, "OPERLOGStamp=600"));
  g_assert_true (has_line (reply, "OpStamp=600"));
  g_assert_true (has_line (reply, "TimeZone=330"));
  g_assert_true (has_line (reply, "Encrypt=0"));
  g_assert_true (has_line (reply, "ServerVer=2.4.1"));
  g_assert_true (has_line (reply, "TransFlag=TransData AttLog\tOpLog\tEnrollUser\tChgUser\t"
                                  "EnrollFP\tChgFP\tFACE\tFVEIN\tBioPhoto"));
  /* nothing that makes old firmware fail the handshake (§4.1) */
  g_assert_null (strstr (reply, "\nUN"));
  g_assert_null (strstr (reply, "RETRY"));
}

static void
test_options_3 (void)
{
  g_autofree char *reply = push_format_options_3 ("abc123", -300);

  g_assert_true (g_str_has_prefix (reply, "registry=ok\n"));
  g_assert_true (has_line (reply, "RegistryCode=abc123"));
  g_assert_true (has_line (reply, "TimeZone=-5"));
  /* a 3.x unit uploads only the template types the server lists */
  g_assert_true (has_line (reply, "MultiBioDataSupport=0:1:1:0:0:0:0:1:0:1"));
  g_assert_true (g_str_has_suffix (reply, "\n"));
}

/* the command lines of §15 (SFAA245100112), byte for byte */
static void
test_commands_captured (void)
{
  g_autoptr (GError) error = NULL;
  PushUser user = { .pin = (char *)"2",
                    .name = (char *)"",
                    .privilege = 0,
                    .password = (char *)"",
                    .card = (char *)"",
                    .group = 1,
                    .time_zones = (char *)"0000000100000000",
                    .verify = -1 };
  g_autofree char *command = push_format_user_update (PUSH_DIALECT_2, &user, &error);
  g_autofree char *line = push_format_command_line ("67e2974dbfb743fc", command, &error);
  g_autoptr (GBytes) data = g_bytes_new_static ("\x01\x02SS21", 6);
  PushTemplate tmpl = { .pin = (char *)"2",
                        .type = 1,
                        .no = 6,
                        .index = 0,
                        .valid = TRUE,
                        .major_version = 10,
                        .format = 0,
                        .data = data };
  g_autofree char *bio = NULL;
  g_autofree char *bio_command = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (line, ==,
                   "C:67e2974dbfb743fc:DATA UPDATE USERINFO PIN=2\tName=\tPri=0\tPasswd=\tCard=\t"
                   "Grp=1\tTZ=0000000100000000\tVerify=-1\tViceCard=");
  bio_command = push_format_biodata_update (PUSH_DIALECT_2, &tmpl, &error);
  bio = push_format_command_line ("3038fa81021b48c9", bio_command, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (bio, ==,
                   "C:3038fa81021b48c9:DATA UPDATE BIODATA Pin=2\tNo=6\tIndex=0\tValid=1\t"
                   "Duress=0\tType=1\tMajorVer=10\tMinorVer=0\tFormat=0\tTmp=AQJTUzIx");
}

static void
test_commands (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) data = g_bytes_new_static ("\x01\x02SS21", 6);
  PushTemplate tmpl = { .pin = (char *)"7", .no = 3, .valid = TRUE, .duress = TRUE, .data = data };
  PushUser user = { .pin = (char *)"9", .name = (char *)"Ana", .privilege = 14, .group = 2 };
  g_autofree char *fp = push_format_fingertmp_update (&tmpl, &error);
  g_autofree char *del2 = push_format_user_delete (PUSH_DIALECT_2, "9", &error);
  g_autofree char *del3 = push_format_user_delete (PUSH_DIALECT_3, "9", &error);
  g_autofree char *user3 = push_format_user_update (PUSH_DIALECT_3, &user, &error);
  g_autofree char *qu = push_format_query_users (NULL, &error);
  g_autofree char *qb = push_format_query_biodata (9, "9", &error);
  g_autofree char *qa
      = push_format_query_attlog ("2026-01-01 00:00:00", "2026-01-31 23:59:59", &error);
  g_autofree char *q3 = push_format_query_table_3 ("biodata", &error);
  g_autofree char *info = push_format_command ("INFO", NULL, &error);
  g_autofree char *check = push_format_command ("CHECK", NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (fp, ==, "DATA UPDATE FINGERTMP PIN=7\tFID=3\tSize=8\tValid=3\tTMP=AQJTUzIx");
  g_assert_cmpstr (del2, ==, "DATA DELETE USERINFO PIN=9");
  g_assert_cmpstr (del3, ==, "DATA DELETE user Pin=9");
  /* the syntax biosync-sim's 3.x terminal runs (sim-push-acc-commands) */
  g_assert_cmpstr (q3, ==, "DATA QUERY tablename=biodata,fielddesc=*,filter=*");
  g_assert_null (push_format_query_table_3 ("user,filter=x", &error));
  g_assert_error (error, PUSH_ERROR, PUSH_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpstr (user3, ==,
                   "DATA UPDATE user CardNo=\tPin=9\tPassword=\tGroup=2\tStartTime=0\t"
                   "EndTime=0\tName=Ana\tPrivilege=14");
  g_assert_cmpstr (qu, ==, "DATA QUERY USERINFO");
  g_assert_cmpstr (qb, ==, "DATA QUERY BIODATA Type=9\tPIN=9");
  g_assert_cmpstr (qa, ==,
                   "DATA QUERY ATTLOG StartTime=2026-01-01 00:00:00\tEndTime=2026-01-31 "
                   "23:59:59");
  g_assert_cmpstr (info, ==, "INFO");
  g_assert_cmpstr (check, ==, "CHECK");
}

/* §12: a TAB opens a new field, an LF a new command: refused */
static void
test_commands_unsafe (void)
{
  static const char *const names[] = { "A\tPri=14", "A\nC:1:CLEAR DATA", "A\rB" };
  static const struct
  {
    const char *id;
    const char *command;
    int code;
  } lines[] = {
    { "12345678901234567", "INFO", PUSH_ERROR_INVALID },
    { "1:2", "INFO", PUSH_ERROR_INVALID },
    { "1", "INFO\nC:2:CLEAR DATA", PUSH_ERROR_UNSAFE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (GError) error = NULL;
      PushUser user = { .pin = (char *)"1", .name = (char *)names[i] };
      g_autofree char *line = push_format_user_update (PUSH_DIALECT_2, &user, &error);

      g_assert_null (line);
      g_assert_error (error, PUSH_ERROR, PUSH_ERROR_UNSAFE);
    }
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *line = push_format_user_delete (PUSH_DIALECT_2, "1\t2", &error);
    g_assert_null (line);
    g_assert_error (error, PUSH_ERROR, PUSH_ERROR_UNSAFE);
  }
  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *line = push_format_command_line (lines[i].id, lines[i].command, &error);

      g_assert_null (line);
      g_assert_error (error, PUSH_ERROR, lines[i].code);
    }
}

/* every line of a getrequest reply ends with LF (§13.21); idle is OK */
static void
test_command_reply (void)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new ();
  g_autofree char *idle = push_format_commands (lines);
  g_autofree char *reply = NULL;

  g_assert_cmpstr (idle, ==, "OK\n");
  g_ptr_array_add (lines, (char *)"C:1:INFO");
  g_ptr_array_add (lines, (char *)"C:2:CHECK");
  reply = push_format_commands (lines);
  g_assert_cmpstr (reply, ==, "C:1:INFO\nC:2:CHECK\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/push/format/time-zone", test_time_zone);
  g_test_add_func ("/push/format/options-2", test_options_2);
  g_test_add_func ("/push/format/options-3", test_options_3);
  g_test_add_func ("/push/format/commands-captured", test_commands_captured);
  g_test_add_func ("/push/format/commands", test_commands);
  g_test_add_func ("/push/format/commands-unsafe", test_commands_unsafe);
  g_test_add_func ("/push/format/command-reply", test_command_reply);
  return g_test_run ();
}
