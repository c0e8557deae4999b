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

/* bsd_central_query () of @sql without parameters, the result dropped */
gboolean bsd_central_exec (
    PGconn *conn, GCancellable *cancellable, const char *sql, const char *op, GError **error);

/* bsd-central-outbox.c: roster, device and job rows, deletions and
 * edits out; other sites' deletions and edits in */
#include "bsd-store-outbox.h"

/* what every shipping and pulling step works with */
typedef struct
{
  PGconn *conn;
  BsdStore *store;
  const char *site;
  GCancellable *cancellable;
} BsdCentralLink;

/* @value as a text parameter */
char *bsd_central_number (gint64 value);

/* outbox entries per central transaction */
#define BSD_CENTRAL_OUTBOX_BATCH 200

/* one batch of the outbox in one central transaction, the entries
 * removed after its COMMIT; *@shipped = how many (0 = empty) */
gboolean bsd_central_ship_outbox (const BsdCentralLink *link, guint *shipped, GError **error);
/* other sites' deletions and edits after the local cursor, applied in
 * central commit order; *@pulled = how many */
gboolean bsd_central_pull_edits (const BsdCentralLink *link, guint *pulled, GError **error);

G_END_DECLS
