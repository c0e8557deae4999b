/* bsd-list-reader.h — the costly reads (roster, deletion and attendance pages) off the main thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The roster's and the deletions' pages are chosen out of everything and
 * built into a reply, which for 65,000 people or thousands of deletions on
 * hundreds of terminals takes longer than the main loop may stall. A
 * BsdListReader answers them in one thread of its own, one at a time,
 * with its own connection to the store (opened on first use); disposing
 * it runs the reads already asked for and joins the thread.
 */
#pragma once

#include "bsd-store.h"

G_BEGIN_DECLS

/* what a read returns: a page of the roster ("(aa{sv})", ListUsers) or of
 * the active deletions ("(aa{sv})", ListTombstones[Page]) */
typedef enum
{
  BSD_LIST_READ_USERS,
  BSD_LIST_READ_TOMBSTONES,
  BSD_LIST_READ_ATTENDANCE, /* "(aa{sv}b)": ListAttendance's records and whether there are more */
} BsdListRead;

#define BSD_TYPE_LIST_READER (bsd_list_reader_get_type ())
G_DECLARE_FINAL_TYPE (BsdListReader, bsd_list_reader, BSD, LIST_READER, GObject)

/* a reader of the database at @store_path */
BsdListReader *bsd_list_reader_new (const char *store_path);

/* reads @limit entries from @offset on (a @filter only for users, NULL
 * for all) in the reader's thread; @callback runs in the thread-default
 * main context of the caller. Pages are as the store gives them: the
 * caller bounds @limit. After dispose, fails with G_IO_ERROR_CLOSED. */
void bsd_list_reader_read_async (BsdListReader *self,
                                 BsdListRead what,
                                 const char *filter,
                                 guint offset,
                                 guint limit,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data);
/* reads at most @limit punches @filter matches (copied), newest first,
 * as ListAttendance answers: "(aa{sv}b)"; finished with
 * bsd_list_reader_read_finish () */
void bsd_list_reader_read_attendance_async (BsdListReader *self,
                                            const BsdAttendanceFilter *filter,
                                            guint limit,
                                            GCancellable *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer user_data);
/* the reply, a "(aa{sv})" tuple, "(aa{sv}b)" for attendance (not floating) */
GVariant *bsd_list_reader_read_finish (BsdListReader *self, GAsyncResult *result, GError **error);

G_END_DECLS
