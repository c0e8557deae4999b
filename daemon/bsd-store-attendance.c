/* bsd-store-attendance.c — punches (exactly once, by their natural key),
 * the log watermark of each terminal and the export queries
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "biosyncd"

#include "config.h"

#include "bsd-store-private.h"

#include <string.h>

#define BSD_SERIAL_MAX 128

/* ----------------------------------------------------------- watermarks */

static const char *const ranged_names[] = {
  [BSD_RANGED_READS_UNKNOWN] = "unknown",
  [BSD_RANGED_READS_TRUSTED] = "trusted",
  [BSD_RANGED_READS_UNTRUSTED] = "untrusted",
};

const char *
bsd_ranged_reads_to_string (BsdRangedReads ranged)
{
  if ((guint)ranged < G_N_ELEMENTS (ranged_names))
    return ranged_names[ranged];
  return "unknown";
}

static BsdRangedReads
bsd_ranged_reads_from_string (const char *text)
{
  for (guint i = 0; i < G_N_ELEMENTS (ranged_names); i++)
    if (g_strcmp0 (ranged_names[i], text) == 0)
      return (BsdRangedReads)i;
  return BSD_RANGED_READS_UNKNOWN;
}

void
bsd_log_watermark_free (BsdLogWatermark *watermark)
{
  if (watermark == NULL)
    return;
  g_free (watermark->serial);
  g_free (watermark->last_local_time);
  g_free (watermark->newest_pin);
  g_free (watermark->newest_local_time);
  g_free (watermark->ranged_firmware);
  g_free (watermark);
}

gboolean
bsd_log_watermark_is_newest (const BsdLogWatermark *watermark, const ZkAttendance *att)
{
  g_autofree char *local_time = NULL;

  if (watermark->newest_pin == NULL || watermark->newest_local_time == NULL)
    return FALSE;
  local_time = zk_time_to_iso8601 (&att->time);
  return g_strcmp0 (watermark->newest_pin, att->user_id) == 0
         && g_strcmp0 (watermark->newest_local_time, local_time) == 0
         && watermark->newest_state == att->state;
}

static gpointer
bsd_log_watermark_from_row (BsdStmt *stmt)
{
  BsdLogWatermark *watermark = g_new0 (BsdLogWatermark, 1);

  watermark->serial = bsd_column_dup (stmt, 0);
  watermark->device_id = (guint)sqlite3_column_int64 (stmt, 1);
  watermark->count = (guint)sqlite3_column_int64 (stmt, 2);
  watermark->last_local_time = bsd_column_dup (stmt, 3);
  watermark->updated_at = sqlite3_column_int64 (stmt, 4);
  watermark->newest_pin = bsd_column_dup (stmt, 5);
  watermark->newest_local_time = bsd_column_dup (stmt, 6);
  watermark->newest_state = (guint8)sqlite3_column_int (stmt, 7);
  watermark->ranged = bsd_ranged_reads_from_string ((const char *)sqlite3_column_text (stmt, 8));
  watermark->ranged_firmware = bsd_column_dup (stmt, 9);
  return watermark;
}

BsdLogWatermark *
bsd_store_get_log_watermark (BsdStore *self, const char *serial, GError **error)
{
  const char *op = "reading a log watermark";

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_check_text (serial, "the device serial", BSD_SERIAL_MAX, op, error))
    return NULL;
  return bsd_store_get_row (self,
                            "SELECT device_serial, device_id, count, last_local_time, updated_at,"
                            " newest_pin, newest_local_time, newest_state, ranged_reads,"
                            " ranged_firmware FROM log_watermarks WHERE device_serial = ?1",
                            BSD_ARGS (BSD_TEXT (serial)), bsd_log_watermark_from_row, op, error,
                            "nothing was collected from serial “%s”", serial);
}

gboolean
bsd_store_set_ranged_reads (
    BsdStore *self, const char *serial, BsdRangedReads ranged, const char *firmware, GError **error)
{
  const char *op = "recording whether ranged reads work";

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  return bsd_check_text (serial, "the device serial", BSD_SERIAL_MAX, op, error)
         && bsd_store_run_changed (self,
                                   "UPDATE log_watermarks SET ranged_reads = ?2,"
                                   " ranged_firmware = ?3 WHERE device_serial = ?1",
                                   BSD_ARGS (BSD_TEXT (serial),
                                             BSD_TEXT (bsd_ranged_reads_to_string (ranged)),
                                             BSD_TEXT_OR_NULL (firmware)),
                                   op, error, "nothing was collected from serial “%s”", serial);
}

/* the watermark after a collection: the log holds @log_count records,
 * @newest the last one (NULL = not known), @latest the latest local time
 * seen (NULL = none; an earlier, later one stays) */
static gboolean
bsd_store_set_watermark (BsdStore *self,
                         guint device_id,
                         const char *serial,
                         guint log_count,
                         const ZkAttendance *newest,
                         const char *latest,
                         gint64 now,
                         const char *op,
                         GError **error)
{
  g_autofree char *newest_time = newest != NULL ? zk_time_to_iso8601 (&newest->time) : NULL;

  return bsd_store_run (
      self,
      "INSERT INTO log_watermarks (device_serial, device_id, count, last_local_time,"
      " updated_at, newest_pin, newest_local_time, newest_state)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
      " ON CONFLICT (device_serial) DO UPDATE SET device_id = excluded.device_id,"
      " count = excluded.count, updated_at = excluded.updated_at,"
      " newest_pin = excluded.newest_pin, newest_local_time = excluded.newest_local_time,"
      " newest_state = excluded.newest_state,"
      " last_local_time = CASE"
      "   WHEN excluded.last_local_time IS NULL THEN log_watermarks.last_local_time"
      "   WHEN log_watermarks.last_local_time IS NULL"
      "        OR excluded.last_local_time > log_watermarks.last_local_time"
      "   THEN excluded.last_local_time"
      "   ELSE log_watermarks.last_local_time END",
      BSD_ARGS (BSD_TEXT (serial), BSD_ID (device_id), BSD_INT (log_count), BSD_TEXT (latest),
                BSD_INT (now), BSD_TEXT (newest ? newest->user_id : NULL), BSD_TEXT (newest_time),
                BSD_INT (newest ? newest->state : 0)),
      op, error);
}

/* ----------------------------------------------------------- attendance */

static gboolean
bsd_store_insert_attendance (BsdStore *self,
                             guint device_id,
                             const char *serial,
                             GTimeZone *tz,
                             const ZkAttendance *att,
                             gint64 now,
                             gboolean *inserted,
                             char **local_time_out,
                             gint64 *utc_out,
                             const char *op,
                             GError **error)
{
  g_autoptr (GDateTime) dt = NULL;
  g_autofree char *local_time = NULL;
  guint changes = 0;

  /* a punch keeps a PIN that was not clean in its escaped form, which may be longer */
  if (!bsd_check_text (att->user_id, "the PIN", ZK_PIN_ESCAPED_MAX, op, error))
    return FALSE;
  dt = zk_time_to_date_time (&att->time, tz);
  if (dt == NULL)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: punch of PIN “%s” has an impossible time %04u-%02u-%02u %02u:%02u:%02u", op,
                   att->user_id, att->time.year, att->time.month, att->time.day, att->time.hour,
                   att->time.minute, att->time.second);
      return FALSE;
    }
  local_time = zk_time_to_iso8601 (&att->time);
  if (!bsd_store_run_count (
          self,
          "INSERT INTO attendance (device_serial, pin, uid, utc_usec, local_time, verify, state,"
          " workcode, device_id, collected_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
          " ON CONFLICT (device_serial, pin, local_time, state) DO NOTHING",
          BSD_ARGS (BSD_TEXT (serial), BSD_TEXT (att->user_id), BSD_INT (att->uid),
                    BSD_INT (g_date_time_to_unix (dt) * G_USEC_PER_SEC), BSD_TEXT (local_time),
                    BSD_INT (att->verify), BSD_INT (att->state), BSD_INT (att->workcode),
                    BSD_ID (device_id), BSD_INT (now)),
          &changes, op, error))
    return FALSE;
  *inserted = changes > 0;
  *local_time_out = g_steal_pointer (&local_time);
  *utc_out = g_date_time_to_unix (dt) * G_USEC_PER_SEC;
  return TRUE;
}

/* the records of one collection: counted, and the latest local time */
typedef struct
{
  guint inserted;
  guint duplicates;
  char *latest;
  GArray *fresh; /* BsdStoredPunch: the records inserted, when asked for */
} BsdCollected;

static gboolean
bsd_store_insert_records (BsdStore *self,
                          guint device_id,
                          const char *serial,
                          GTimeZone *tz,
                          GPtrArray *records,
                          gint64 now,
                          BsdCollected *collected,
                          const char *op,
                          GError **error)
{
  for (guint i = 0; i < records->len; i++)
    {
      const ZkAttendance *att = g_ptr_array_index (records, i);
      g_autofree char *local_time = NULL;
      gboolean row_inserted = FALSE;
      BsdStoredPunch stored = { *att, 0 };

      if (!bsd_store_insert_attendance (self, device_id, serial, tz, att, now, &row_inserted,
                                        &local_time, &stored.utc_usec, op, error))
        return FALSE;
      if (row_inserted && collected->fresh != NULL)
        g_array_append_val (collected->fresh, stored);
      if (row_inserted)
        collected->inserted++;
      else
        collected->duplicates++;
      /* ISO 8601 of fixed width sorts as text */
      if (collected->latest == NULL || strcmp (local_time, collected->latest) > 0)
        {
          g_free (collected->latest);
          collected->latest = g_steal_pointer (&local_time);
        }
    }
  return TRUE;
}

gboolean
bsd_store_add_attendance_fresh (BsdStore *self,
                                guint device_id,
                                const char *serial,
                                GTimeZone *device_tz,
                                GPtrArray *records,
                                guint log_count,
                                const ZkAttendance *newest,
                                guint *inserted,
                                guint *duplicates,
                                GArray *fresh,
                                GError **error)
{
  const char *op = "storing attendance";
  g_autoptr (BsdStoreTx) tx = NULL;
  g_autoptr (GTimeZone) local_tz = NULL;
  BsdCollected collected = { .fresh = fresh };
  guint fresh_before = fresh != NULL ? fresh->len : 0;
  gint64 now = bsd_store_now ();
  gboolean ok;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (records != NULL, FALSE);

  if (!bsd_check_text (serial, "the device serial", BSD_SERIAL_MAX, op, error))
    return FALSE;
  if (device_tz == NULL)
    device_tz = local_tz = g_time_zone_new_local ();
  tx = bsd_store_tx_begin (self, op, error);
  if (tx == NULL)
    return FALSE;
  ok = (device_id == 0 || bsd_store_check_device (self, device_id, op, error))
       && bsd_store_insert_records (self, device_id, serial, device_tz, records, now, &collected,
                                    op, error)
       && bsd_store_set_watermark (self, device_id, serial, log_count, newest, collected.latest,
                                   now, op, error)
       && bsd_store_tx_commit (tx, op, error);
  g_free (collected.latest);
  if (!ok)
    {
      /* rolled back: nothing of it was inserted after all */
      if (fresh != NULL)
        g_array_set_size (fresh, fresh_before);
      return FALSE;
    }
  if (inserted != NULL)
    *inserted = collected.inserted;
  if (duplicates != NULL)
    *duplicates = collected.duplicates;
  return TRUE;
}

gboolean
bsd_store_add_punch (BsdStore *self,
                     guint device_id,
                     const char *serial,
                     GTimeZone *device_tz,
                     const ZkAttendance *punch,
                     gboolean *inserted,
                     gint64 *utc_usec,
                     GError **error)
{
  const char *op = "storing a live punch";
  g_autoptr (GTimeZone) local_tz = NULL;
  g_autofree char *local_time = NULL;
  gint64 utc = 0;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (punch != NULL, FALSE);

  if (!bsd_check_text (serial, "the device serial", BSD_SERIAL_MAX, op, error))
    return FALSE;
  if (device_tz == NULL)
    device_tz = local_tz = g_time_zone_new_local ();
  if (!(device_id == 0 || bsd_store_check_device (self, device_id, op, error))
      || !bsd_store_insert_attendance (self, device_id, serial, device_tz, punch, bsd_store_now (),
                                       inserted, &local_time, &utc, op, error))
    return FALSE;
  if (utc_usec != NULL)
    *utc_usec = utc;
  return TRUE;
}

gboolean
bsd_store_add_attendance (BsdStore *self,
                          guint device_id,
                          const char *serial,
                          GTimeZone *device_tz,
                          GPtrArray *records,
                          guint *inserted,
                          guint *duplicates,
                          GError **error)
{
  g_return_val_if_fail (records != NULL, FALSE);

  return bsd_store_add_attendance_fresh (
      self, device_id, serial, device_tz, records, records->len,
      records->len > 0 ? g_ptr_array_index (records, records->len - 1) : NULL, inserted, duplicates,
      NULL, error);
}

/* --------------------------------------------------------------- export */

typedef struct
{
  BsdAttendanceFunc func;
  gpointer user_data;
} BsdAttendanceWalk;

static gboolean
bsd_attendance_row_call (BsdStmt *stmt, gpointer user_data, GError **error)
{
  BsdAttendanceWalk *walk = user_data;
  BsdAttendanceRow row = {
    .id = sqlite3_column_int64 (stmt, 0),
    .serial = (const char *)sqlite3_column_text (stmt, 1),
    .pin = (const char *)sqlite3_column_text (stmt, 2),
    .name = (const char *)sqlite3_column_text (stmt, 3),
    .utc_usec = sqlite3_column_int64 (stmt, 4),
    .local_time = (const char *)sqlite3_column_text (stmt, 5),
    .verify = (guint8)sqlite3_column_int (stmt, 6),
    .state = (guint8)sqlite3_column_int (stmt, 7),
    .workcode = (guint32)sqlite3_column_int64 (stmt, 8),
    .device_id = (guint)sqlite3_column_int64 (stmt, 9),
    .device_name = (const char *)sqlite3_column_text (stmt, 10),
    .collected_at = sqlite3_column_int64 (stmt, 11),
  };

  return walk->func (&row, walk->user_data, error);
}

/* a punch with the names it is shown with: the roster's name, else the
 * name a terminal had for the PIN */
#define BSD_ATTENDANCE_NAME                                                                        \
  "coalesce (p.name, (SELECT du.name FROM device_users du WHERE du.pin = a.pin"                    \
  "                   ORDER BY du.device_id LIMIT 1))"
#define BSD_ATTENDANCE_SELECT                                                                      \
  "SELECT a.id, a.device_serial, a.pin, " BSD_ATTENDANCE_NAME ","                                  \
  " a.utc_usec, a.local_time, a.verify, a.state, a.workcode, a.device_id, d.name,"                 \
  " a.collected_at"                                                                                \
  " FROM attendance a LEFT JOIN people p ON p.pin = a.pin"                                         \
  " LEFT JOIN devices d ON d.id = a.device_id"

gboolean
bsd_store_foreach_attendance (BsdStore *self,
                              gint64 from_usec,
                              gint64 to_usec,
                              BsdAttendanceFunc func,
                              gpointer user_data,
                              GError **error)
{
  BsdAttendanceWalk walk = { func, user_data };

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  return bsd_store_each_row (
      self,
      BSD_ATTENDANCE_SELECT " WHERE a.utc_usec >= ?1 AND a.utc_usec < ?2 ORDER BY a.utc_usec, a.id",
      BSD_ARGS (BSD_INT (from_usec), BSD_INT (to_usec)), bsd_attendance_row_call, &walk,
      "reading attendance", error);
}

/* ----------------------------------------------------------------- pages */

/* a page, newest first; each filter the caller leaves out binds NULL.
 * the condition the page is found by (an index) is written plainly, the
 * others as optional terms sqlite checks row by row: a term like
 * "?N IS NULL OR column = ?N" never uses an index. without a PIN, a
 * device or a time range, "+" keeps the time index out and the newest
 * rows are read backwards by id until the page is full */
#define BSD_ATTENDANCE_PAGE(utc, device, pin)                                                      \
  BSD_ATTENDANCE_SELECT                                                                            \
  " WHERE a.id < ?1 AND " utc " >= ?2 AND " utc " < ?3 AND " device " AND " pin                    \
  " AND (?5 IS NULL OR d.area_id = ?5)"                                                            \
  " AND (?7 IS NULL OR instr (bsd_casefold (a.pin), ?7) > 0"                                       \
  "      OR instr (bsd_casefold (" BSD_ATTENDANCE_NAME "), ?7) > 0)"                               \
  " ORDER BY a.id DESC LIMIT ?8"
#define BSD_ANY_DEVICE "(?4 IS NULL OR a.device_id = ?4)"
#define BSD_ANY_PIN "(?6 IS NULL OR a.pin = ?6)"

typedef enum
{
  BSD_PAGE_BY_ID,
  BSD_PAGE_BY_TIME,
  BSD_PAGE_BY_DEVICE,
  BSD_PAGE_BY_PIN,
} BsdPageKind;

/* each page query, and the same explained */
static const BsdExplainedSql bsd_attendance_pages[] = {
  [BSD_PAGE_BY_ID]
  = BSD_EXPLAINED (BSD_ATTENDANCE_PAGE ("+a.utc_usec", BSD_ANY_DEVICE, BSD_ANY_PIN)),
  [BSD_PAGE_BY_TIME]
  = BSD_EXPLAINED (BSD_ATTENDANCE_PAGE ("a.utc_usec", BSD_ANY_DEVICE, BSD_ANY_PIN)),
  [BSD_PAGE_BY_DEVICE]
  = BSD_EXPLAINED (BSD_ATTENDANCE_PAGE ("+a.utc_usec", "a.device_id = ?4", BSD_ANY_PIN)),
  [BSD_PAGE_BY_PIN]
  = BSD_EXPLAINED (BSD_ATTENDANCE_PAGE ("+a.utc_usec", BSD_ANY_DEVICE, "a.pin = ?6")),
};

/* the most selective condition @filter has: a PIN, then a device, then a
 * time range */
static BsdPageKind
bsd_attendance_page_kind (const BsdAttendanceFilter *filter)
{
  if (filter->pin != NULL)
    return BSD_PAGE_BY_PIN;
  if (filter->device_id != 0)
    return BSD_PAGE_BY_DEVICE;
  if (filter->from_usec != G_MININT64 || filter->to_usec != G_MAXINT64)
    return BSD_PAGE_BY_TIME;
  return BSD_PAGE_BY_ID;
}

static gboolean
bsd_attendance_page_run (BsdStore *self,
                         const char *sql,
                         const BsdAttendanceFilter *filter,
                         guint limit,
                         BsdEachRowFunc func,
                         gpointer user_data,
                         const char *op,
                         GError **error)
{
  g_autofree char *folded = NULL;

  if (filter->text != NULL && filter->text[0] != '\0')
    {
      if (!bsd_check_text (filter->text, "the search text", BSD_ATTENDANCE_TEXT_MAX, op, error))
        return FALSE;
      folded = g_utf8_casefold (filter->text, -1);
    }
  if (filter->pin != NULL
      && !bsd_check_text (filter->pin, "the PIN", ZK_PIN_ESCAPED_MAX, op, error))
    return FALSE;
  return bsd_store_each_row (self, sql,
                             BSD_ARGS (BSD_INT (filter->before_id), BSD_INT (filter->from_usec),
                                       BSD_INT (filter->to_usec), BSD_ID (filter->device_id),
                                       BSD_ID (filter->area_id), BSD_TEXT (filter->pin),
                                       BSD_TEXT (folded), BSD_INT (limit)),
                             func, user_data, op, error);
}

void
bsd_attendance_filter_init (BsdAttendanceFilter *filter)
{
  *filter = (BsdAttendanceFilter){
    .from_usec = G_MININT64,
    .to_usec = G_MAXINT64,
    .before_id = G_MAXINT64,
  };
}

void
bsd_attendance_filter_copy (BsdAttendanceFilter *dest, const BsdAttendanceFilter *src)
{
  *dest = *src;
  dest->pin = g_strdup (src->pin);
  dest->text = g_strdup (src->text);
}

void
bsd_attendance_filter_clear (BsdAttendanceFilter *filter)
{
  g_clear_pointer ((char **)&filter->pin, g_free);
  g_clear_pointer ((char **)&filter->text, g_free);
}

gboolean
bsd_store_list_attendance (BsdStore *self,
                           const BsdAttendanceFilter *filter,
                           guint limit,
                           BsdAttendanceFunc func,
                           gpointer user_data,
                           GError **error)
{
  BsdAttendanceWalk walk = { func, user_data };

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (filter != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  return bsd_attendance_page_run (self, bsd_attendance_pages[bsd_attendance_page_kind (filter)].sql,
                                  filter, limit, bsd_attendance_row_call, &walk,
                                  "listing attendance", error);
}

char *
bsd_store_explain_attendance (BsdStore *self, const BsdAttendanceFilter *filter, GError **error)
{
  g_autoptr (GString) plan = g_string_new (NULL);

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);
  g_return_val_if_fail (filter != NULL, NULL);

  if (!bsd_attendance_page_run (
          self, bsd_attendance_pages[bsd_attendance_page_kind (filter)].explain, filter, 1,
          bsd_store_plan_line_append, plan, "explaining the attendance query", error))
    return NULL;
  return g_string_free (g_steal_pointer (&plan), FALSE);
}

gboolean
bsd_store_count_attendance (
    BsdStore *self, gint64 from_usec, gint64 to_usec, guint64 *count, GError **error)
{
  gint64 n = 0;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (count != NULL, FALSE);

  if (!bsd_store_query_int64 (
          self, "SELECT count (*) FROM attendance WHERE utc_usec >= ?1 AND utc_usec < ?2",
          BSD_ARGS (BSD_INT (from_usec), BSD_INT (to_usec)), &n, "counting attendance", error))
    return FALSE;
  *count = (guint64)n;
  return TRUE;
}
