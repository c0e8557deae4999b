/* test-store-attendance.c — BsdStore: punches without loss or
 * duplicates, UTC conversion with device time zones, watermarks,
 * export, two connections on one file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "store-test-util.h"

/* @n punches of PINs 1…7 on consecutive minutes from 2024-03-04 08:00 */
static GPtrArray *
make_punches (guint first, guint n)
{
  GPtrArray *punches = g_ptr_array_new_with_free_func (g_free);

  for (guint i = first; i < first + n; i++)
    {
      g_autofree char *pin = g_strdup_printf ("%u", i % 7 + 1);
      ZkAttendance *att
          = store_make_punch (pin, 2024, 3, 4 + i / 600, 8 + (i / 60) % 10, i % 60, 0, i % 2);

      att->uid = (guint16)(i % 7 + 1);
      att->workcode = i;
      g_ptr_array_add (punches, att);
    }
  return punches;
}

static guint64
count_all (BsdStore *store)
{
  g_autoptr (GError) error = NULL;
  guint64 count = 0;

  g_assert_true (bsd_store_count_attendance (store, G_MININT64, G_MAXINT64, &count, &error));
  g_assert_no_error (error);
  return count;
}

static void
test_dedupe (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GPtrArray) batch = make_punches (0, 100);
  g_autoptr (GPtrArray) overlap = make_punches (50, 100);
  g_autoptr (GPtrArray) variants = g_ptr_array_new_with_free_func (g_free);
  guint device_id = store_add_device (store, "A", 0);
  guint inserted = 0;
  guint duplicates = 0;

  g_assert_true (bsd_store_add_attendance (store, device_id, "SER-A", utc, batch, &inserted,
                                           &duplicates, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (inserted, ==, 100);
  g_assert_cmpuint (duplicates, ==, 0);

  /* re-collection of the same log: nothing new */
  g_assert_true (bsd_store_add_attendance (store, device_id, "SER-A", utc, batch, &inserted,
                                           &duplicates, &error));
  g_assert_cmpuint (inserted, ==, 0);
  g_assert_cmpuint (duplicates, ==, 100);

  /* half old, half new */
  g_assert_true (bsd_store_add_attendance (store, device_id, "SER-A", utc, overlap, &inserted,
                                           &duplicates, &error));
  g_assert_cmpuint (inserted, ==, 50);
  g_assert_cmpuint (duplicates, ==, 50);
  g_assert_cmpuint (count_all (store), ==, 150);

  /* the natural key: another state, another device, another PIN are new;
   * verify and workcode are not part of it */
  g_ptr_array_add (variants, store_make_punch ("1", 2024, 3, 4, 8, 0, 0, 1));
  g_ptr_array_add (variants, store_make_punch ("2", 2024, 3, 4, 8, 0, 0, 0));
  g_ptr_array_add (variants, store_make_punch ("1", 2024, 3, 4, 8, 0, 0, 0));
  ((ZkAttendance *)variants->pdata[2])->verify = 15;
  ((ZkAttendance *)variants->pdata[2])->workcode = 99;
  g_assert_true (bsd_store_add_attendance (store, device_id, "SER-A", utc, variants, &inserted,
                                           &duplicates, &error));
  g_assert_cmpuint (inserted, ==, 2);
  g_assert_cmpuint (duplicates, ==, 1);
  g_assert_true (bsd_store_add_attendance (store, 0, "SER-OTHER", utc, variants, &inserted,
                                           &duplicates, &error));
  g_assert_cmpuint (inserted, ==, 3);
  g_assert_cmpuint (duplicates, ==, 0);
  g_assert_cmpuint (count_all (store), ==, 155);

  /* duplicates inside one batch count once */
  g_ptr_array_add (variants, store_make_punch ("3", 2025, 1, 1, 0, 0, 0, 0));
  g_ptr_array_add (variants, store_make_punch ("3", 2025, 1, 1, 0, 0, 0, 0));
  g_assert_true (bsd_store_add_attendance (store, 0, "SER-OTHER", utc, variants, &inserted,
                                           &duplicates, &error));
  g_assert_cmpuint (inserted, ==, 1);
  g_assert_cmpuint (duplicates, ==, 4);
  g_assert_no_error (error);
}

typedef struct
{
  const char *serial;
  char *local_time;
  gint64 utc;
  guint hits;
} FindPunch;

static gboolean
find_punch_cb (const BsdAttendanceRow *row, gpointer user_data, GError **error)
{
  FindPunch *find = user_data;

  if (g_str_equal (row->serial, find->serial) && g_str_equal (row->local_time, find->local_time))
    {
      find->utc = row->utc_usec;
      find->hits++;
    }
  return TRUE;
}

/* the UTC µs stored for one punch at @local in @tz */
static gint64
stored_utc (BsdStore *store, GTimeZone *tz, const char *serial, const ZkTime *local)
{
  g_autoptr (GPtrArray) punches = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autofree char *local_time = zk_time_to_iso8601 (local);
  FindPunch find = { serial, local_time, 0, 0 };

  g_ptr_array_add (punches, store_make_punch ("1", local->year, local->month, local->day,
                                              local->hour, local->minute, local->second, 0));
  g_assert_true (bsd_store_add_attendance (store, 0, serial, tz, punches, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (
      bsd_store_foreach_attendance (store, G_MININT64, G_MAXINT64, find_punch_cb, &find, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (find.hits, ==, 1);
  return find.utc;
}

static gint64
utc_usec (int year, int month, int day, int hour, int minute)
{
  g_autoptr (GDateTime) dt = g_date_time_new_utc (year, month, day, hour, minute, 0);

  return g_date_time_to_unix (dt) * G_USEC_PER_SEC;
}

typedef struct
{
  GPtrArray *rows; /* "serial|pin|name|local|utc|verify|state|workcode|device" */
  guint stop_after;
} Collect;

static gboolean
collect_cb (const BsdAttendanceRow *row, gpointer user_data, GError **error)
{
  Collect *collect = user_data;

  if (collect->stop_after > 0 && collect->rows->len == collect->stop_after)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "reader went away");
      return FALSE;
    }
  g_assert_cmpint (row->id, >, 0);
  g_assert_cmpint (row->collected_at, >, 0);
  g_ptr_array_add (collect->rows,
                   g_strdup_printf ("%s|%s|%s|%s|%" G_GINT64_FORMAT "|%u|%u|%u|%u|%s", row->serial,
                                    row->pin, row->name ? row->name : "-", row->local_time,
                                    row->utc_usec, row->verify, row->state, row->workcode,
                                    row->device_id, row->device_name ? row->device_name : "-"));
  return TRUE;
}

static void
test_time_zones (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GTimeZone) india = g_time_zone_new_identifier ("+05:30");
  g_autoptr (GTimeZone) berlin = g_time_zone_new_identifier ("Europe/Berlin");
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
  Collect collect = { rows, 0 };
  const ZkTime morning = { 2024, 1, 15, 9, 0, 0 };
  const ZkTime before_spring = { 2024, 3, 31, 1, 30, 0 };
  const ZkTime after_spring = { 2024, 3, 31, 3, 30, 0 };
  const ZkTime before_autumn = { 2024, 10, 27, 1, 30, 0 };
  const ZkTime after_autumn = { 2024, 10, 27, 3, 30, 0 };
  const ZkTime midsummer = { 2024, 7, 1, 12, 0, 0 };

  g_assert_nonnull (india);
  g_assert_nonnull (berlin);

  /* 09:00 at +05:30 is 03:30 UTC */
  g_assert_cmpint (stored_utc (store, india, "SER-IN", &morning), ==,
                   utc_usec (2024, 1, 15, 3, 30));
  g_assert_cmpint (stored_utc (store, utc, "SER-UTC", &morning), ==, utc_usec (2024, 1, 15, 9, 0));

  /* Berlin across the spring change: two local hours apart, one real hour */
  g_assert_cmpint (stored_utc (store, berlin, "SER-DE", &before_spring), ==,
                   utc_usec (2024, 3, 31, 0, 30));
  g_assert_cmpint (stored_utc (store, berlin, "SER-DE", &after_spring), ==,
                   utc_usec (2024, 3, 31, 1, 30));
  /* and the autumn change: two local hours apart, three real hours */
  g_assert_cmpint (stored_utc (store, berlin, "SER-DE", &before_autumn), ==,
                   utc_usec (2024, 10, 26, 23, 30));
  g_assert_cmpint (stored_utc (store, berlin, "SER-DE", &after_autumn), ==,
                   utc_usec (2024, 10, 27, 2, 30));
  g_assert_cmpint (stored_utc (store, berlin, "SER-DE", &midsummer), ==,
                   utc_usec (2024, 7, 1, 10, 0));

  /* the local time is kept as the device showed it */
  g_assert_true (bsd_store_foreach_attendance (store, utc_usec (2024, 3, 1, 0, 0),
                                               utc_usec (2024, 12, 1, 0, 0), collect_cb, &collect,
                                               &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 5);
  g_assert_true (g_str_has_prefix (rows->pdata[0], "SER-DE|1|-|2024-03-31T01:30:00|"));
  g_assert_true (g_str_has_prefix (rows->pdata[1], "SER-DE|1|-|2024-03-31T03:30:00|"));
  g_assert_true (g_str_has_prefix (rows->pdata[2], "SER-DE|1|-|2024-07-01T12:00:00|"));

  /* no zone: the system's */
  {
    g_autoptr (GTimeZone) local = g_time_zone_new_local ();
    g_autoptr (GDateTime) dt = g_date_time_new (local, 2024, 5, 5, 12, 0, 0);
    const ZkTime noon = { 2024, 5, 5, 12, 0, 0 };

    g_assert_cmpint (stored_utc (store, NULL, "SER-LOCAL", &noon), ==,
                     g_date_time_to_unix (dt) * G_USEC_PER_SEC);
  }
}

static void
test_watermark (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GPtrArray) batch = make_punches (0, 30);
  g_autoptr (GPtrArray) older = make_punches (0, 5);
  g_autoptr (GPtrArray) empty = g_ptr_array_new ();
  g_autoptr (BsdLogWatermark) watermark = NULL;
  guint device_id = store_add_device (store, "A", 0);
  gint64 updated;

  g_assert_null (bsd_store_get_log_watermark (store, "SER-A", &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);

  g_assert_true (
      bsd_store_add_attendance (store, device_id, "SER-A", utc, batch, NULL, NULL, &error));
  watermark = bsd_store_get_log_watermark (store, "SER-A", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (watermark->serial, ==, "SER-A");
  g_assert_cmpuint (watermark->device_id, ==, device_id);
  g_assert_cmpuint (watermark->count, ==, 30);
  g_assert_cmpstr (watermark->last_local_time, ==, "2024-03-04T08:29:00");
  g_assert_cmpint (watermark->updated_at, >, 0);
  updated = watermark->updated_at;
  g_clear_pointer (&watermark, bsd_log_watermark_free);

  /* a log cleared on the device: count drops, the latest time stays */
  g_assert_true (
      bsd_store_add_attendance (store, device_id, "SER-A", utc, older, NULL, NULL, &error));
  watermark = bsd_store_get_log_watermark (store, "SER-A", &error);
  g_assert_cmpuint (watermark->count, ==, 5);
  g_assert_cmpstr (watermark->last_local_time, ==, "2024-03-04T08:29:00");
  g_assert_cmpint (watermark->updated_at, >=, updated);
  g_clear_pointer (&watermark, bsd_log_watermark_free);

  /* an empty log */
  g_assert_true (bsd_store_add_attendance (store, 0, "SER-NEW", utc, empty, NULL, NULL, &error));
  watermark = bsd_store_get_log_watermark (store, "SER-NEW", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (watermark->count, ==, 0);
  g_assert_cmpuint (watermark->device_id, ==, 0);
  g_assert_null (watermark->last_local_time);
  g_clear_pointer (&watermark, bsd_log_watermark_free);

  /* the device leaves, its punches and watermark stay */
  g_assert_true (bsd_store_remove_device (store, device_id, &error));
  watermark = bsd_store_get_log_watermark (store, "SER-A", &error);
  g_assert_cmpuint (watermark->device_id, ==, 0);
  g_assert_cmpuint (count_all (store), ==, 30);
}

/* the newest record (last in log order) and the verdict on ranged reads:
 * what "nothing new" is decided from */
static void
test_newest (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GPtrArray) batch = make_punches (0, 30);
  g_autoptr (GPtrArray) tail = make_punches (30, 4);
  g_autoptr (GPtrArray) empty = g_ptr_array_new ();
  g_autoptr (BsdLogWatermark) mark = NULL;
  ZkAttendance *last = batch->pdata[29];
  ZkAttendance other = *last;
  guint inserted = 0;

  /* log order, not time order: the newest is the last record */
  ((ZkAttendance *)batch->pdata[29])->time.day = 1;
  g_assert_true (bsd_store_add_attendance (store, 0, "SER-A", utc, batch, NULL, NULL, &error));
  mark = bsd_store_get_log_watermark (store, "SER-A", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mark->count, ==, 30);
  g_assert_cmpstr (mark->newest_pin, ==, last->user_id);
  g_assert_cmpstr (mark->newest_local_time, ==, "2024-03-01T08:29:00");
  g_assert_cmpuint (mark->newest_state, ==, last->state);
  g_assert_cmpstr (mark->last_local_time, ==, "2024-03-04T08:28:00");
  g_assert_cmpint (mark->ranged, ==, BSD_RANGED_READS_UNKNOWN);
  g_assert_true (bsd_log_watermark_is_newest (mark, last));
  /* the natural key: PIN, local time, state */
  other.state ^= 1;
  g_assert_false (bsd_log_watermark_is_newest (mark, &other));
  other = *last;
  other.time.second = 1;
  g_assert_false (bsd_log_watermark_is_newest (mark, &other));
  other = *last;
  g_strlcpy (other.user_id, "99", sizeof other.user_id);
  g_assert_false (bsd_log_watermark_is_newest (mark, &other));
  g_clear_pointer (&mark, bsd_log_watermark_free);

  /* a verdict on ranged reads, for one firmware; new rows keep it */
  g_assert_false (
      bsd_store_set_ranged_reads (store, "SER-X", BSD_RANGED_READS_TRUSTED, "Ver 1", &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_true (
      bsd_store_set_ranged_reads (store, "SER-A", BSD_RANGED_READS_TRUSTED, "Ver 1", &error));
  g_assert_no_error (error);

  /* the end of a log of 34: count from the device, newest the tail's last */
  g_assert_true (bsd_store_add_attendance_fresh (store, 0, "SER-A", utc, tail, 34, tail->pdata[3],
                                                 &inserted, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (inserted, ==, 4);
  mark = bsd_store_get_log_watermark (store, "SER-A", &error);
  g_assert_cmpuint (mark->count, ==, 34);
  g_assert_true (bsd_log_watermark_is_newest (mark, tail->pdata[3]));
  g_assert_cmpint (mark->ranged, ==, BSD_RANGED_READS_TRUSTED);
  g_assert_cmpstr (mark->ranged_firmware, ==, "Ver 1");
  g_clear_pointer (&mark, bsd_log_watermark_free);

  /* a read that skipped a record: the count, but no newest record */
  g_assert_true (bsd_store_add_attendance_fresh (store, 0, "SER-A", utc, tail, 35, NULL, NULL, NULL,
                                                 NULL, &error));
  mark = bsd_store_get_log_watermark (store, "SER-A", &error);
  g_assert_cmpuint (mark->count, ==, 35);
  g_assert_null (mark->newest_pin);
  g_assert_null (mark->newest_local_time);
  g_assert_false (bsd_log_watermark_is_newest (mark, tail->pdata[3]));
  g_clear_pointer (&mark, bsd_log_watermark_free);

  /* cleared: empty, the verdict stays */
  g_assert_true (bsd_store_add_attendance (store, 0, "SER-A", utc, empty, NULL, NULL, &error));
  mark = bsd_store_get_log_watermark (store, "SER-A", &error);
  g_assert_cmpuint (mark->count, ==, 0);
  g_assert_null (mark->newest_pin);
  g_assert_cmpint (mark->ranged, ==, BSD_RANGED_READS_TRUSTED);
  g_assert_cmpuint (count_all (store), ==, 34);
  g_assert_cmpstr (bsd_ranged_reads_to_string (BSD_RANGED_READS_UNTRUSTED), ==, "untrusted");
}

static void
test_batch_atomic (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GPtrArray) batch = make_punches (0, 20);
  guint inserted = 77;
  guint device_id = store_add_device (store, "A", 0);

  /* one impossible record: nothing of the batch, no watermark */
  ((ZkAttendance *)batch->pdata[19])->time.month = 13;
  g_assert_false (
      bsd_store_add_attendance (store, device_id, "SER-A", utc, batch, &inserted, NULL, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "storing attendance"));
  g_clear_error (&error);
  g_assert_cmpuint (inserted, ==, 77);
  g_assert_cmpuint (count_all (store), ==, 0);
  g_assert_null (bsd_store_get_log_watermark (store, "SER-A", &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_cmpuint (bsd_store_get_transaction_depth (store), ==, 0);

  ((ZkAttendance *)batch->pdata[19])->time.month = 3;
  ((ZkAttendance *)batch->pdata[10])->user_id[0] = '\0';
  g_assert_false (
      bsd_store_add_attendance (store, device_id, "SER-A", utc, batch, NULL, NULL, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (count_all (store), ==, 0);

  /* bad arguments */
  ((ZkAttendance *)batch->pdata[10])->user_id[0] = '5';
  g_assert_false (bsd_store_add_attendance (store, device_id, "", utc, batch, NULL, NULL, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_false (bsd_store_add_attendance (store, 999, "SER-A", utc, batch, NULL, NULL, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_cmpuint (count_all (store), ==, 0);

  g_assert_true (
      bsd_store_add_attendance (store, device_id, "SER-A", utc, batch, &inserted, NULL, &error));
  g_assert_cmpuint (inserted, ==, 20);
}

static void
test_export (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GPtrArray) punches = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) users = store_users_new ();
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (ZkUser) ann = store_make_user ("1", 1, "Ann");
  Collect collect = { rows, 0 };
  guint64 count = 0;
  guint device_id = store_add_device (store, "Front door", 0);

  /* 1 is in the roster, 2 only on a device, 3 unknown */
  g_assert_true (bsd_store_upsert_person_from_device (store, ann, NULL, &error));
  g_ptr_array_add (users, store_make_user ("2", 2, "Ben (device)"));
  g_assert_true (bsd_store_replace_device_snapshot (store, device_id, users, NULL, &error));
  g_ptr_array_add (punches, store_make_punch ("3", 2024, 6, 1, 10, 0, 0, 0));
  g_ptr_array_add (punches, store_make_punch ("1", 2024, 6, 1, 8, 0, 0, 0));
  g_ptr_array_add (punches, store_make_punch ("2", 2024, 6, 1, 9, 0, 0, 1));
  g_ptr_array_add (punches, store_make_punch ("1", 2024, 6, 2, 8, 0, 0, 0));
  ((ZkAttendance *)punches->pdata[2])->verify = 15;
  ((ZkAttendance *)punches->pdata[2])->workcode = 42;
  g_assert_true (
      bsd_store_add_attendance (store, device_id, "SER-A", utc, punches, NULL, NULL, &error));
  g_assert_no_error (error);

  /* [from, to): June 1st only, oldest first */
  g_assert_true (bsd_store_foreach_attendance (store, utc_usec (2024, 6, 1, 0, 0),
                                               utc_usec (2024, 6, 2, 8, 0), collect_cb, &collect,
                                               &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 3);
  g_assert_cmpstr (rows->pdata[0], ==,
                   "SER-A|1|Ann|2024-06-01T08:00:00|1717228800000000|1|0|0|1|Front door");
  g_assert_cmpstr (
      rows->pdata[1], ==,
      "SER-A|2|Ben (device)|2024-06-01T09:00:00|1717232400000000|15|1|42|1|Front door");
  g_assert_cmpstr (rows->pdata[2], ==,
                   "SER-A|3|-|2024-06-01T10:00:00|1717236000000000|1|0|0|1|Front door");
  g_assert_true (bsd_store_count_attendance (store, utc_usec (2024, 6, 1, 0, 0),
                                             utc_usec (2024, 6, 2, 8, 0), &count, &error));
  g_assert_cmpuint (count, ==, 3);
  g_assert_true (bsd_store_count_attendance (store, utc_usec (2024, 6, 1, 0, 0),
                                             utc_usec (2024, 6, 2, 8, 0) + 1, &count, &error));
  g_assert_cmpuint (count, ==, 4);

  /* the callback's error stops the walk and comes back */
  g_ptr_array_set_size (rows, 0);
  collect.stop_after = 2;
  g_assert_false (
      bsd_store_foreach_attendance (store, G_MININT64, G_MAXINT64, collect_cb, &collect, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_clear_error (&error);
  g_assert_cmpuint (rows->len, ==, 2);

  /* the store is usable afterwards (the statement was reset) */
  g_ptr_array_set_size (rows, 0);
  collect.stop_after = 0;
  g_assert_true (
      bsd_store_foreach_attendance (store, G_MININT64, G_MAXINT64, collect_cb, &collect, &error));
  g_assert_cmpuint (rows->len, ==, 4);

  /* a removed device: its name is gone, the rows are not */
  g_assert_true (bsd_store_remove_device (store, device_id, &error));
  g_ptr_array_set_size (rows, 0);
  g_assert_true (
      bsd_store_foreach_attendance (store, G_MININT64, G_MAXINT64, collect_cb, &collect, &error));
  g_assert_cmpuint (rows->len, ==, 4);
  g_assert_true (g_str_has_suffix (rows->pdata[0], "|0|-"));
}

/* the ids of a page */
static gboolean
page_id_cb (const BsdAttendanceRow *row, gpointer user_data, GError **error)
{
  g_array_append_val ((GArray *)user_data, row->id);
  return TRUE;
}

static GArray *
list_ids (BsdStore *store, const BsdAttendanceFilter *filter, guint limit)
{
  g_autoptr (GError) error = NULL;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  g_assert_true (bsd_store_list_attendance (store, filter, limit, page_id_cb, ids, &error));
  g_assert_no_error (error);
  return ids;
}

/* ListAttendance's pages: newest first, each filter, paging by id */
static void
test_list (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GPtrArray) on_a = make_punches (0, 70);
  g_autoptr (GPtrArray) on_b = make_punches (100, 30);
  g_autoptr (GArray) all = NULL;
  g_autoptr (GArray) ids = NULL;
  g_autoptr (GArray) page = NULL;
  g_autoptr (ZkUser) ann = store_make_user ("3", 3, "Ann Smith");
  guint area = bsd_store_add_area (store, "Hall", &error);
  guint a = store_add_device (store, "A", area);
  guint b = store_add_device (store, "B", 0);
  BsdAttendanceFilter filter;

  g_assert_true (bsd_store_upsert_person_from_device (store, ann, NULL, &error));
  g_assert_true (bsd_store_add_attendance (store, a, "SER-A", utc, on_a, NULL, NULL, &error));
  g_assert_true (bsd_store_add_attendance (store, b, "SER-B", utc, on_b, NULL, NULL, &error));
  g_assert_no_error (error);

  bsd_attendance_filter_init (&filter);
  all = list_ids (store, &filter, 1000);
  g_assert_cmpuint (all->len, ==, 100);
  for (guint i = 1; i < all->len; i++)
    g_assert_cmpint (g_array_index (all, gint64, i), <, g_array_index (all, gint64, i - 1));

  /* keyset paging: every id once */
  ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  do
    {
      g_clear_pointer (&page, g_array_unref);
      page = list_ids (store, &filter, 9);
      g_array_append_vals (ids, page->data, page->len);
      if (page->len > 0)
        filter.before_id = g_array_index (page, gint64, page->len - 1);
    }
  while (page->len == 9);
  g_assert_cmpmem (ids->data, ids->len * sizeof (gint64), all->data, all->len * sizeof (gint64));

  /* each filter */
  bsd_attendance_filter_init (&filter);
  filter.device_id = b;
  g_clear_pointer (&ids, g_array_unref);
  ids = list_ids (store, &filter, 1000);
  g_assert_cmpuint (ids->len, ==, 30);
  filter.device_id = 0;
  filter.area_id = area;
  g_clear_pointer (&ids, g_array_unref);
  ids = list_ids (store, &filter, 1000);
  g_assert_cmpuint (ids->len, ==, 70);
  filter.area_id = 0;
  filter.pin = "3";
  g_clear_pointer (&ids, g_array_unref);
  ids = list_ids (store, &filter, 1000);
  g_assert_cmpuint (ids->len, ==, 15); /* i % 7 == 2: 10 of 0…69, 5 of 100…129 */
  filter.pin = NULL;
  filter.text = "SMITH";
  g_clear_pointer (&ids, g_array_unref);
  ids = list_ids (store, &filter, 1000);
  g_assert_cmpuint (ids->len, ==, 15);
  filter.text = "%";
  g_clear_pointer (&ids, g_array_unref);
  ids = list_ids (store, &filter, 1000);
  g_assert_cmpuint (ids->len, ==, 0);
  filter.text = NULL;
  /* 2024-03-04 08:00 … 08:10 on A (10 punches, to excluded) */
  filter.from_usec = utc_usec (2024, 3, 4, 8, 0);
  filter.to_usec = utc_usec (2024, 3, 4, 8, 10);
  g_clear_pointer (&ids, g_array_unref);
  ids = list_ids (store, &filter, 1000);
  g_assert_cmpuint (ids->len, ==, 10);

  /* a removed device's punches stay, without a device */
  g_assert_true (bsd_store_remove_device (store, b, &error));
  bsd_attendance_filter_init (&filter);
  g_clear_pointer (&ids, g_array_unref);
  ids = list_ids (store, &filter, 1000);
  g_assert_cmpuint (ids->len, ==, 100);
}

/* each common filter finds its page by index: no scan of the whole
 * table for a PIN, a device or a time range, and no sort of it for the
 * newest first */
static void
test_list_plans (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  static const struct
  {
    const char *what;
    const char *pin;
    guint device;
    gboolean range;
    const char *expect;
  } cases[] = {
    { "newest first", NULL, 0, FALSE, "\n0|SEARCH a USING INTEGER PRIMARY KEY (rowid<?)\n" },
    { "by PIN", "7", 0, FALSE, "\n0|SEARCH a USING INDEX attendance_pin (pin=? AND rowid<?)\n" },
    { "by device", NULL, 1, FALSE,
      "\n0|SEARCH a USING INDEX attendance_device (device_id=? AND rowid<?)\n" },
    { "by time", NULL, 0, TRUE,
      "\n0|SEARCH a USING INDEX attendance_utc (utc_usec>? AND utc_usec<?)\n" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *text = NULL;
      g_autofree char *plan = NULL;
      BsdAttendanceFilter filter;

      bsd_attendance_filter_init (&filter);
      filter.pin = cases[i].pin;
      filter.device_id = cases[i].device;
      if (cases[i].range)
        {
          filter.from_usec = 1;
          filter.to_usec = 2;
        }
      text = bsd_store_explain_attendance (store, &filter, &error);
      g_assert_no_error (error);
      plan = g_strconcat ("\n", text, NULL);
      g_test_message ("%s:%s", cases[i].what, plan);
      g_assert_nonnull (strstr (plan, cases[i].expect));
      /* the table is never scanned whole */
      g_assert_null (strstr (plan, "|SCAN a"));
      /* newest first by id needs no sort of the punches (a range of
       * times does: its rows come by time) */
      if (!cases[i].range)
        g_assert_null (strstr (plan, "\n0|USE TEMP B-TREE FOR ORDER BY"));
    }
}

static void
test_two_connections (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (BsdStore) first = NULL;
  g_autoptr (BsdStore) second = NULL;
  g_autoptr (GPtrArray) batch = make_punches (0, 200);
  guint inserted = 0;
  guint duplicates = 0;

  first = bsd_store_open (path, &error);
  g_assert_no_error (error);
  second = bsd_store_open (path, &error);
  g_assert_no_error (error);

  g_assert_true (
      bsd_store_add_attendance (first, 0, "SER-A", utc, batch, &inserted, &duplicates, &error));
  g_assert_cmpuint (inserted, ==, 200);
  g_assert_true (
      bsd_store_add_attendance (second, 0, "SER-A", utc, batch, &inserted, &duplicates, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (inserted, ==, 0);
  g_assert_cmpuint (duplicates, ==, 200);
  g_assert_cmpuint (count_all (first), ==, 200);
  g_assert_cmpuint (count_all (second), ==, 200);
}

typedef struct
{
  const char *path;
  GPtrArray *batch;
  guint inserted;
  guint duplicates;
  GError *error;
} Collector;

/* one collector with its own connection, in batches like the engine */
static gpointer
collector_thread (gpointer user_data)
{
  Collector *collector = user_data;
  g_autoptr (BsdStore) store = bsd_store_open (collector->path, &collector->error);
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();

  if (store == NULL)
    return NULL;
  for (guint start = 0; start < collector->batch->len; start += 25)
    {
      g_autoptr (GPtrArray) part = g_ptr_array_new ();
      guint inserted = 0;
      guint duplicates = 0;

      for (guint i = start; i < MIN (start + 25, collector->batch->len); i++)
        g_ptr_array_add (part, collector->batch->pdata[i]);
      if (!bsd_store_add_attendance (store, 0, "SER-A", utc, part, &inserted, &duplicates,
                                     &collector->error))
        return NULL;
      collector->inserted += inserted;
      collector->duplicates += duplicates;
    }
  return NULL;
}

static void
test_concurrent_collectors (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  g_autoptr (GPtrArray) batch = make_punches (0, 500);
  Collector collectors[3] = { { 0 } };
  GThread *threads[3];

  store = bsd_store_open (path, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (collectors); i++)
    {
      collectors[i].path = path;
      collectors[i].batch = batch;
      threads[i] = g_thread_new ("collector", collector_thread, &collectors[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (collectors); i++)
    {
      g_thread_join (threads[i]);
      g_assert_no_error (collectors[i].error);
    }

  /* every punch exactly once, whoever stored it */
  g_assert_cmpuint (collectors[0].inserted + collectors[1].inserted + collectors[2].inserted, ==,
                    500);
  g_assert_cmpuint (collectors[0].duplicates + collectors[1].duplicates + collectors[2].duplicates,
                    ==, 1000);
  g_assert_cmpuint (count_all (store), ==, 500);
  g_assert_true (bsd_store_check_integrity (store, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/store/attendance/dedupe", test_dedupe);
  g_test_add_func ("/store/attendance/time-zones", test_time_zones);
  g_test_add_func ("/store/attendance/watermark", test_watermark);
  g_test_add_func ("/store/attendance/newest", test_newest);
  g_test_add_func ("/store/attendance/batch-atomic", test_batch_atomic);
  g_test_add_func ("/store/attendance/export", test_export);
  g_test_add_func ("/store/attendance/list", test_list);
  g_test_add_func ("/store/attendance/list-plans", test_list_plans);
  g_test_add_func ("/store/attendance/two-connections", test_two_connections);
  g_test_add_func ("/store/attendance/concurrent-collectors", test_concurrent_collectors);

  return g_test_run ();
}
