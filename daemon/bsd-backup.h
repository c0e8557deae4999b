/* bsd-backup.h — Backup and Restore's work, off the main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each runs in a worker thread with database connections of its own and
 * a private temporary file beside the database (the state directory is
 * the one place biosyncd writes to), removed whatever happens.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* the most a restored file may hold: a bigger one is refused before it
 * fills the state directory */
#define BSD_RESTORE_MAX_BYTES (G_GUINT64_CONSTANT (16) * 1024 * 1024 * 1024)

/* a consistent copy of the database at @db_path, written to @fd (taken,
 * and closed) */
void bsd_backup_async (const char *db_path,
                       int fd,
                       GCancellable *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer user_data);
gboolean bsd_backup_finish (GAsyncResult *result, GError **error);

/* reads a database from @fd (taken, and closed), checks it is a whole
 * biosync database of this or an older schema, migrates it, and replaces
 * the database at @db_path with it; @from_version is the schema it had */
void bsd_restore_async (const char *db_path,
                        int fd,
                        GCancellable *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer user_data);
gboolean bsd_restore_finish (GAsyncResult *result, guint *from_version, GError **error);

/* removes temporary files beside @db_path that a backup or restore cut
 * short (a crash, SIGKILL) left: at start-up, before anyone can call */
void bsd_backup_remove_leftovers (const char *db_path);

G_END_DECLS
