/* bsd-device-io-logs.c — a terminal's attendance log: what is new in it, and clearing it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-device-io.h"

#include <string.h>

#include "bsd-error.h"

void
bsd_log_read_clear (BsdLogRead *read)
{
  g_clear_pointer (&read->records, g_ptr_array_unref);
  g_clear_pointer (&read->ranged_note, g_free);
}

const ZkAttendance *
bsd_log_read_get_newest (const BsdLogRead *read)
{
  if (read->records == NULL || read->records->len == 0 || !(read->tail || read->complete))
    return NULL;
  return g_ptr_array_index (read->records, read->records->len - 1);
}

static void bsd_log_read_judge (BsdLogRead *read, BsdRangedReads verdict, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

static void
bsd_log_read_judge (BsdLogRead *read, BsdRangedReads verdict, const char *format, ...)
{
  va_list args;

  read->ranged = verdict;
  read->ranged_changed = TRUE;
  g_free (read->ranged_note);
  va_start (args, format);
  read->ranged_note = g_strdup_vprintf (format, args);
  va_end (args);
}

static gboolean
same_punch (const ZkAttendance *a, const ZkAttendance *b)
{
  return strcmp (a->user_id, b->user_id) == 0 && a->uid == b->uid
         && zk_time_encode (&a->time) == zk_time_encode (&b->time) && a->state == b->state
         && a->verify == b->verify && a->workcode == b->workcode;
}

/* whether @part is what @full holds from position @from (1-based) on */
static gboolean
matches_full (GPtrArray *part, GPtrArray *full, guint from)
{
  if (from == 0 || from - 1 + part->len > full->len)
    return FALSE;
  for (guint i = 0; i < part->len; i++)
    if (!same_punch (part->pdata[i], full->pdata[from - 1 + i]))
      return FALSE;
  return TRUE;
}

static gboolean
is_cancel (const GError *error, GCancellable *cancellable)
{
  return bsd_error_is_cancelled (error) || g_cancellable_is_cancelled (cancellable);
}

typedef enum
{
  TAIL_DONE,   /* unchanged, or the new end was read */
  TAIL_FULL,   /* read the whole log */
  TAIL_FAILED, /* cancelled */
} TailResult;

/* the old newest record (at position mark->count) and what follows it;
 * *@check keeps a well-formed ranged read that did not start with the old
 * newest record, to be judged against the full read */
static TailResult
read_tail (ZkClient *client,
           const BsdLogWatermark *mark,
           guint records,
           BsdLogRead *read,
           GPtrArray **check,
           const char **why,
           GCancellable *cancellable,
           GError **error)
{
  guint want = records - mark->count + 1;
  g_autoptr (GError) local = NULL;
  g_autoptr (GPtrArray) tail
      = zk_client_read_attendance_range (client, mark->count, want, NULL, cancellable, &local);

  if (tail == NULL)
    {
      if (is_cancel (local, cancellable))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return TAIL_FAILED;
        }
      bsd_log_read_judge (read, BSD_RANGED_READS_UNTRUSTED, "a ranged read failed: %s",
                          local->message);
      *why = "a ranged read failed";
      return TAIL_FULL;
    }
  if (tail->len != want)
    {
      bsd_log_read_judge (read, BSD_RANGED_READS_UNTRUSTED,
                          "a ranged read of %u records brought %u", want, tail->len);
      *why = "a ranged read brought another number of records";
      return TAIL_FULL;
    }
  if (!bsd_log_watermark_is_newest (mark, tail->pdata[0]))
    {
      /* cleared and refilled, or the device reads ranges its own way */
      *check = g_steal_pointer (&tail);
      *why = "the newest record changed";
      return TAIL_FULL;
    }
  if (want == 1)
    {
      read->unchanged = TRUE;
      read->complete = TRUE;
      return TAIL_DONE;
    }
  g_ptr_array_remove_index (tail, 0);
  read->records = g_steal_pointer (&tail);
  read->tail = TRUE;
  read->complete = TRUE;
  return TAIL_DONE;
}

/* ranged reads not proven yet: the last records once more, with a ranged
 * read, compared with the full read just made */
static void
probe_ranged (ZkClient *client, BsdLogRead *read, GCancellable *cancellable)
{
  guint n = read->records->len;
  guint count = MIN (n, 2);
  guint from = n - count + 1;
  g_autoptr (GError) local = NULL;
  g_autoptr (GPtrArray) part
      = zk_client_read_attendance_range (client, from, count, NULL, cancellable, &local);

  if (part == NULL)
    {
      if (!is_cancel (local, cancellable))
        bsd_log_read_judge (read, BSD_RANGED_READS_UNTRUSTED, "a ranged read failed: %s",
                            local->message);
    }
  else if (part->len == count && matches_full (part, read->records, from))
    bsd_log_read_judge (read, BSD_RANGED_READS_TRUSTED, "a ranged read matched the full read");
  else
    bsd_log_read_judge (read, BSD_RANGED_READS_UNTRUSTED,
                        "a ranged read of records %u to %u did not match the full read", from, n);
}

gboolean
bsd_device_io_read_logs (ZkClient *client,
                         const BsdLogWatermark *mark,
                         BsdRangedReads ranged,
                         gint records,
                         BsdLogRead *read,
                         GPtrArray *warnings,
                         GCancellable *cancellable,
                         GError **error)
{
  g_autoptr (GPtrArray) check = NULL;
  const char *why;

  g_return_val_if_fail (read != NULL && read->records == NULL, FALSE);

  read->ranged = ranged;
  read->log_count = (guint)MAX (records, 0);
  if (records == 0)
    {
      read->records = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_attendance_free);
      read->complete = TRUE;
      read->why_full = "the log is empty";
      return TRUE;
    }
  if (records < 0)
    why = "the device does not say how many records it holds";
  else if (mark == NULL)
    why = "first collection";
  else if ((guint)records < mark->count)
    why = "the log shrank";
  else if (mark->count == 0 || mark->newest_pin == NULL)
    why = "its newest record is not known";
  else if (ranged == BSD_RANGED_READS_UNKNOWN)
    why = "ranged reads are not proven yet";
  else if (ranged == BSD_RANGED_READS_UNTRUSTED)
    why = "ranged reads are not trusted";
  else
    switch (read_tail (client, mark, (guint)records, read, &check, &why, cancellable, error))
      {
      case TAIL_DONE:
        return TRUE;
      case TAIL_FAILED:
        return FALSE;
      case TAIL_FULL:
      default:
        break;
      }

  read->why_full = why;
  read->records = zk_client_read_attendance (client, warnings, cancellable, error);
  if (read->records == NULL)
    return FALSE;
  if (records < 0)
    read->log_count = read->records->len;
  /* a skipped record leaves positions and the newest record unknown */
  read->complete = records >= 0 && read->records->len == (guint)records;
  if (!read->complete)
    return TRUE;
  if (check != NULL)
    {
      /* the log changed under an honoured range, or the range was misread */
      if (!matches_full (check, read->records, mark->count))
        bsd_log_read_judge (read, BSD_RANGED_READS_UNTRUSTED,
                            "a ranged read from record %u did not match the full read",
                            mark->count);
    }
  else if (read->ranged == BSD_RANGED_READS_UNKNOWN && read->records->len > 0)
    probe_ranged (client, read, cancellable);
  return TRUE;
}

/* the terminal of this session is the one whose records were committed:
 * a terminal swapped behind the address since the collection holds a log
 * nobody collected */
static gboolean
same_terminal (ZkClient *client, const char *serial, GCancellable *cancellable, GError **error)
{
  g_autofree char *now = NULL;

  if (serial == NULL)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_FAILED,
                   "the log was not cleared: the serial of the collected terminal is not known");
      return FALSE;
    }
  now = zk_client_get_option (client, "~SerialNumber", cancellable, error);
  if (now == NULL)
    return FALSE;
  if (strcmp (now, serial) != 0)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_FAILED,
                   "the log was not cleared: another terminal (serial %s) answered the clear, "
                   "not %s whose records were collected",
                   now, serial);
      return FALSE;
    }
  return TRUE;
}

gboolean
bsd_device_io_clear_logs (ZkClient *client,
                          const BsdEndpoint *endpoint,
                          const char *serial,
                          guint log_count,
                          BsdHold *hold,
                          gboolean *cleared,
                          GCancellable *cancellable,
                          GError **error)
{
  g_autoptr (GError) local = NULL;
  ZkSizes sizes;

  *cleared = FALSE;
  /* a session is one terminal: checked once, before it is disabled */
  if (!same_terminal (client, serial, cancellable, error))
    return FALSE;
  /* disabled, no punch can land between the count and the clear; every
   * record the device holds is committed, and none came since */
  if (bsd_device_io_hold (client, hold, cancellable, &local)
      && zk_client_get_sizes (client, &sizes, cancellable, &local) && sizes.records >= 0
      && (guint)sizes.records == log_count
      && zk_client_clear_attendance (client, cancellable, &local))
    *cleared = TRUE;
  bsd_device_io_release (client, endpoint, hold, local ? NULL : &local);
  if (local)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return TRUE;
}
