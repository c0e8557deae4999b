/* bsd-fd.h — reading and writing a caller's descriptor without trusting the caller
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A descriptor passed over the bus may be a pipe or a socket whose other
 * end stops reading or writing: these never wait longer than
 * BSD_FD_STALL_MS for it, so a worker thread is never held forever.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define BSD_FD_STALL_MS (60 * 1000)

/* all of @data, or a BS_ERROR naming @what ("writing the export: …") */
gboolean bsd_fd_write_all (int fd, const char *data, gsize len, const char *what, GError **error);
/* up to @len bytes; 0 at the end of the input */
gssize bsd_fd_read (int fd, char *buffer, gsize len, const char *what, GError **error);

G_END_DECLS
