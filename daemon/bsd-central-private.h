/* bsd-central-private.h — what the central shipper's files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

typedef PGresult BsdPgResult;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdPgResult, PQclear)

/* the longest a statement may take, on the server (statement_timeout)
 * and here (a server that stopped answering at all) */
#define BSD_CENTRAL_STATEMENT_TIMEOUT_MS 30000

/* runs @sql with @n_params text parameters on the non-blocking @conn,
 * waiting for the answer without holding the thread past @cancellable
 * or the timeout; then the connection must be dropped (PQcancel is not
 * used: it blocks on a hanging server; the server's statement_timeout
 * ends what the dropped connection left running). The last result when it succeeded (a command or
 * rows), else NULL with @error (BS_ERROR FAILED, TIMED_OUT or CANCELLED) naming @op; the message
 * never holds the connection string. */
BsdPgResult *bsd_central_query (PGconn *conn,
                                GCancellable *cancellable,
                                const char *sql,
                                int n_params,
                                const char *const *params,
                                const char *op,
                                GError **error);

G_END_DECLS
