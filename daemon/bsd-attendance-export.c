/* bsd-attendance-export.c — the attendance, or the people, as CSV into a caller's descriptor
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-attendance-export.h"

#include <string.h>
#include <unistd.h>

#include "bs-error.h"
#include "bsd-fd.h"
#include "bsd-store.h"

typedef struct Export Export;

/* writes the rows after the header into @export->buffer, flushing it */
typedef gboolean (*ExportRowsFunc) (BsdStore *store, Export *export, GError **error);

struct Export
{
  char *db_path;
  int fd;
  const char *header; /* with its CRLF */
  ExportRowsFunc rows;
  gint64 from_usec;
  gint64 to_usec;
  GString *buffer;
};

static void
export_free (Export *export)
{
  if (export->fd >= 0)
    close (export->fd);
  g_free (export->db_path);
  if (export->buffer)
    g_string_free (export->buffer, TRUE);
  g_free (export);
}

static void
csv_field (GString *s, const char *value)
{
  const char *c;

  if (value == NULL)
    value = "";
  if (strpbrk (value, ",\"\r\n") == NULL)
    {
      g_string_append (s, value);
      return;
    }
  g_string_append_c (s, '"');
  for (c = value; *c; c++)
    {
      if (*c == '"')
        g_string_append_c (s, '"');
      g_string_append_c (s, *c);
    }
  g_string_append_c (s, '"');
}

/* ends a row: the buffer goes out once it holds 64 KiB */
static gboolean
export_end_row (Export *export, GError **error)
{
  GString *s = export->buffer;

  g_string_append (s, "\r\n");
  if (s->len < 64 * 1024)
    return TRUE;
  if (!bsd_fd_write_all (export->fd, s->str, s->len, "writing the export", error))
    return FALSE;
  g_string_truncate (s, 0);
  return TRUE;
}

static gboolean
export_attendance_row (const BsdAttendanceRow *row, gpointer user_data, GError **error)
{
  Export *export = user_data;
  GString *s = export->buffer;
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (row->utc_usec / G_USEC_PER_SEC);
  g_autofree char *utc_text = utc ? g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ") : NULL;

  csv_field (s, utc_text);
  g_string_append_c (s, ',');
  csv_field (s, row->local_time);
  g_string_append_c (s, ',');
  csv_field (s, row->device_name);
  g_string_append_c (s, ',');
  csv_field (s, row->serial);
  g_string_append_c (s, ',');
  csv_field (s, row->pin);
  g_string_append_c (s, ',');
  csv_field (s, row->name);
  g_string_append_printf (s, ",%u,%u", row->verify, row->state);
  return export_end_row (export, error);
}

static gboolean
export_attendance_rows (BsdStore *store, Export *export, GError **error)
{
  return bsd_store_foreach_attendance (store, export->from_usec,
                                       export->to_usec ? export->to_usec : G_MAXINT64,
                                       export_attendance_row, export, error);
}

/* the columns import-people reads: no templates, no password */
static gboolean
export_person_row (const BsdPerson *person, gpointer user_data, GError **error)
{
  Export *export = user_data;
  GString *s = export->buffer;

  csv_field (s, person->pin);
  g_string_append_c (s, ',');
  csv_field (s, person->name);
  g_string_append_printf (s, ",%" G_GUINT32_FORMAT ",%u,%u", person->card, person->privilege,
                          person->group);
  return export_end_row (export, error);
}

static gboolean
export_people_rows (BsdStore *store, Export *export, GError **error)
{
  return bsd_store_foreach_person (store, export_person_row, export, error);
}

/* in a worker thread with a connection of its own: a big export never
 * stalls the main loop */
static void
export_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Export *export = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = bsd_store_open (export->db_path, &error);

  if (store == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  export->buffer = g_string_new (export->header);
  if (!export->rows (store, export, &error)
      || !bsd_fd_write_all (export->fd, export->buffer->str, export->buffer->len,
                            "writing the export", &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/* @export (taken) written in a worker thread */
static void
export_start (Export *export,
              GCancellable *cancellable,
              GAsyncReadyCallback callback,
              gpointer user_data,
              gpointer tag)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, tag);
  g_task_set_task_data (task, export, (GDestroyNotify)export_free);
  g_task_run_in_thread (task, export_thread);
}

static Export *
export_new (const char *db_path, int fd, const char *header, ExportRowsFunc rows)
{
  Export *export = g_new0 (Export, 1);

  export->db_path = g_strdup (db_path);
  export->fd = fd;
  export->header = header;
  export->rows = rows;
  return export;
}

void
bsd_attendance_export_async (const char *db_path,
                             int fd,
                             gint64 from_usec,
                             gint64 to_usec,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  Export *export
      = export_new (db_path, fd, "utc_time,local_time,device,serial,pin,name,verify,state\r\n",
                    export_attendance_rows);

  export->from_usec = from_usec;
  export->to_usec = to_usec;
  export_start (export, cancellable, callback, user_data, bsd_attendance_export_async);
}

void
bsd_people_export_async (const char *db_path,
                         int fd,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data)
{
  Export *export
      = export_new (db_path, fd, "pin,name,card,privilege,group\r\n", export_people_rows);

  export_start (export, cancellable, callback, user_data, bsd_people_export_async);
}

/* the end of either export */
gboolean
bsd_attendance_export_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
