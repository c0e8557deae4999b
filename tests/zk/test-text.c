/* test-text.c — the one rule for strings from a terminal (zk-text.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "zk-packet.h"
#include "zk-records.h"

#define FFFD "\xef\xbf\xbd"

static void
test_identity (void)
{
  static const struct
  {
    const char *in;
    gboolean clean;
    const char *escaped;
  } cases[] = {
    { "1001", TRUE, "1001" },
    { "Zoë", TRUE, "Zoë" },
    { "", TRUE, "" },
    { "9\x1f"
      "1",
      FALSE, "9\\x1f1" },
    { "\x01", FALSE, "\\x01" },
    { "9\x7f", FALSE, "9\\x7f" },
    { "7\\8", FALSE, "7\\x5c8" },
    { "9\xff\xfe"
      "2",
      FALSE, "9\\xff\\xfe2" },
    /* a cut multi-byte character is invalid too */
    { "a\xc3", FALSE, "a\\xc3" },
    /* C1 controls are valid UTF-8 but no more printable than C0 (found by fuzz-records) */
    { "1\xc2\x80", FALSE, "1\\xc2\\x80" },
    { "1\xc2\xa0", TRUE, "1\xc2\xa0" },
    /* an escaped PIN is not clean itself: it never equals a clean one */
    { "9\\x1f1", FALSE, "9\\x5cx1f1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *escaped = zk_text_identity_escape (cases[i].in, -1);

      g_assert_cmpint (zk_text_identity_is_clean (cases[i].in, -1), ==, cases[i].clean);
      g_assert_cmpstr (escaped, ==, cases[i].escaped);
      /* the escaped form is always printable text */
      g_assert_true (zk_text_display_is_clean (escaped, -1));
    }
  /* an explicit length may hold a NUL: not clean */
  g_assert_false (zk_text_identity_is_clean ("1\0"
                                             "2",
                                             3));
}

static void
test_identity_fits (void)
{
  char out[ZK_PIN_ESCAPED_MAX + 1];
  char small[8];
  char worst[25];

  memset (worst, 0x1f, 24);
  worst[24] = '\0';
  g_assert_true (zk_text_identity_escape_to (worst, -1, out, sizeof out));
  g_assert_cmpuint (strlen (out), ==, ZK_PIN_ESCAPED_MAX);
  g_assert_false (zk_text_identity_escape_to (worst, -1, small, sizeof small));
  g_assert_cmpstr (small, ==, "");
}

static void
test_display (void)
{
  static const struct
  {
    const char *in;
    const char *out;
  } cases[] = {
    { "Ana Admin", "Ana Admin" },
    { "Zoë Ünal", "Zoë Ünal" },
    { "Evil\x1b[2J", "Evil" FFFD "[2J" },
    { "tab\there", "tab" FFFD "here" },
    { "del\x7f", "del" FFFD },
    /* C1 controls are control characters too */
    { "c1\xc2\x85", "c1" FFFD },
    { "bad\xff\xfe", "bad" FFFD FFFD },
    { "back\\slash", "back\\slash" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = zk_text_display (cases[i].in, -1);

      g_assert_cmpstr (out, ==, cases[i].out);
      g_assert_true (zk_text_display_is_clean (out, -1));
    }
  g_assert_false (zk_text_display_is_clean ("a\x1f", -1));
  g_assert_true (zk_text_display_is_clean (NULL, 0));
}

/* the rule where records are decoded: users are kept without PIN, punches escaped */
static void
test_decoders (void)
{
  guint8 users[3 * 72] = { 0 };
  guint8 logs[2 * 40] = { 0 };
  /* octal: "\x1f" "1" would be one string to clang's eyes, and a warning */
  const char *pins[] = { "1001", "9\0371", "9\xff" };
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (GPtrArray) decoded = NULL;
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  ZkTime t = { 2024, 5, 6, 7, 8, 9 };

  for (guint i = 0; i < 3; i++)
    {
      zk_write_u16 (users + 72 * i, (guint16)(i + 1));
      memcpy (users + 72 * i + 11, "Na\x1bme", 5);
      memcpy (users + 72 * i + 48, pins[i], strlen (pins[i]));
    }
  decoded = zk_users_decode (users, sizeof users, 3, 72, NULL, NULL, skips, NULL);
  g_assert_cmpuint (decoded->len, ==, 3);
  g_assert_cmpstr (((ZkUser *)decoded->pdata[0])->user_id, ==, "1001");
  g_assert_cmpstr (((ZkUser *)decoded->pdata[1])->user_id, ==, "");
  g_assert_cmpstr (((ZkUser *)decoded->pdata[2])->user_id, ==, "");
  g_assert_cmpstr (((ZkUser *)decoded->pdata[0])->name, ==, "Na" FFFD "me");
  g_assert_cmpuint (zk_skips_count (skips, NULL), ==, 2);
  zk_skips_summarize (skips, lines);
  g_assert_cmpuint (lines->len, ==, 1);
  g_assert_nonnull (strstr (lines->pdata[0], "slot 2 PIN 9\\x1f1; slot 3 PIN 9\\xff"));

  g_clear_pointer (&decoded, g_ptr_array_unref);
  for (guint i = 0; i < 2; i++)
    {
      zk_write_u16 (logs + 40 * i, (guint16)(i + 1));
      memcpy (logs + 40 * i + 2, pins[i + 1], strlen (pins[i + 1]));
      zk_write_u32 (logs + 40 * i + 27, zk_time_encode (&t));
    }
  decoded = zk_attendance_decode (logs, sizeof logs, 2, 40, NULL, skips, NULL);
  g_assert_cmpuint (decoded->len, ==, 2);
  g_assert_cmpstr (((ZkAttendance *)decoded->pdata[0])->user_id, ==, "9\\x1f1");
  g_assert_cmpstr (((ZkAttendance *)decoded->pdata[1])->user_id, ==, "9\\xff");
}

/* skipped records cost a count, not a string each */
static void
test_skips_summary (void)
{
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  guint8 *many = g_malloc0 (72 * 100000);
  g_autoptr (GPtrArray) users
      = zk_users_decode (many, 72 * 100000, 100000, 72, NULL, NULL, skips, NULL);

  g_free (many);
  g_assert_cmpuint (users->len, ==, 0);
  g_assert_cmpuint (zk_skips_count (skips, NULL), ==, 100000);
  g_assert_cmpuint (zk_skips_count (skips, "no such reason"), ==, 0);
  zk_skips_add (skips, "other things", "thing %d", 1);
  zk_skips_summarize (skips, lines);
  g_assert_cmpuint (lines->len, ==, 2);
  g_assert_cmpstr (lines->pdata[0], ==,
                   "100000 user records in slot 0 (not a valid slot) skipped (e.g. record 0; "
                   "record 1; record 2; …)");
  g_assert_cmpstr (lines->pdata[1], ==, "1 other things skipped (e.g. thing 1)");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/codec/text/identity", test_identity);
  g_test_add_func ("/codec/text/identity-fits", test_identity_fits);
  g_test_add_func ("/codec/text/display", test_display);
  g_test_add_func ("/codec/text/decoders", test_decoders);
  g_test_add_func ("/codec/text/skips-summary", test_skips_summary);

  return g_test_run ();
}
