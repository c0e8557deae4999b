/* bsd-central-schema.h — the central PostgreSQL schema and its migrations
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The schema is versioned like the sqlite one: biosync_schema holds one
 * row with the version, and every step runs in one transaction. Daemons
 * of many sites may start at once: each takes a transaction-scoped
 * advisory lock first, so exactly one migrates and the others see the
 * result. A database newer than this build refuses to be used.
 */
#pragma once

#include <gio/gio.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

#define BSD_CENTRAL_SCHEMA_VERSION 2
/* pg_advisory_xact_lock's key: 'BSYD' */
#define BSD_CENTRAL_LOCK_KEY 0x42535944

/* migrates the database of @conn to BSD_CENTRAL_SCHEMA_VERSION; BS_ERROR
 * FAILED (INCOMPATIBLE for a newer schema) naming the step otherwise.
 * @conn must be idle; on failure the caller drops it (a transaction may
 * be open). */
gboolean bsd_central_schema_migrate (PGconn *conn, GCancellable *cancellable, GError **error);

/* the SQL of one step (1-based), for tests; NULL past the last */
const char *bsd_central_schema_step (guint version);

G_END_DECLS
