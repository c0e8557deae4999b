/* bsd-attendance-export.h — the attendance, or the people, as CSV into a caller's descriptor
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ExportAttendance's and ExportUsers' work: in a worker thread with a database connection
 * of its own, so a big export never stalls the main loop, and never
 * waiting forever on a reader that stopped reading.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* writes the punches from @from_usec to @to_usec (0: no end) of the
 * database at @db_path to @fd, which it takes (and closes) */
void bsd_attendance_export_async (const char *db_path,
                                  int fd,
                                  gint64 from_usec,
                                  gint64 to_usec,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data);
/* writes the roster (pin,name,card,privilege,group: what import-people
 * reads; no templates, no passwords, no deleted PINs) ordered by PIN */
void bsd_people_export_async (const char *db_path,
                              int fd,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data);
/* the end of either export */
gboolean bsd_attendance_export_finish (GAsyncResult *result, GError **error);

G_END_DECLS
