/* bsd-store-private.h — what the store's files share: the connection,
 * the statement helpers, transactions and argument checks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Only daemon/bsd-store*.c include this. A store function is one SQL
 * statement (or a few in a transaction) run through the helpers below:
 * the statement is prepared once and cached, its ?1, ?2 … are bound from
 * BSD_ARGS (...), and a row becomes a value through a from_row function.
 * Every helper names @op (what the caller does) in its errors.
 */
#pragma once

#include <sqlite3.h>

#include "bsd-store.h"

G_BEGIN_DECLS

#define BSD_PIN_MAX 24
/* 'BSYD' */
#define BSD_STORE_APPLICATION_ID 0x42535944

struct _BsdStore
{
  GObject parent_instance;

  sqlite3 *db;
  char *path;
  GHashTable *statements; /* SQL text → sqlite3_stmt*, prepared once */
  guint tx_depth;
};

/* a cached statement in use: the cleanup resets it (and so ends its
 * read transaction) instead of finalizing it */
typedef sqlite3_stmt BsdStmt;

void bsd_stmt_release (BsdStmt *stmt);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdStmt, bsd_stmt_release)

/* ----------------------------------------------------------- arguments */

typedef enum
{
  BSD_ARG_END,
  BSD_ARG_NULL,
  BSD_ARG_INT,
  BSD_ARG_ID,           /* 0 binds NULL */
  BSD_ARG_TEXT,         /* NULL binds NULL */
  BSD_ARG_TEXT_OR_NULL, /* NULL and "" bind NULL */
  BSD_ARG_BYTES,
} BsdArgKind;

typedef struct
{
  BsdArgKind kind;
  gint64 number;
  const char *text;
  GBytes *bytes;
} BsdArg;

#define BSD_INT(value)                                                                             \
  {                                                                                                \
    .kind = BSD_ARG_INT, .number = (value)                                                         \
  }
/* NULL unless @set, so that coalesce (?N, column) keeps the column */
#define BSD_INT_OR_NULL(set, value)                                                                \
  {                                                                                                \
    .kind = (set) ? BSD_ARG_INT : BSD_ARG_NULL, .number = (value)                                  \
  }
#define BSD_ID(value)                                                                              \
  {                                                                                                \
    .kind = BSD_ARG_ID, .number = (value)                                                          \
  }
#define BSD_TEXT(value)                                                                            \
  {                                                                                                \
    .kind = BSD_ARG_TEXT, .text = (value)                                                          \
  }
#define BSD_TEXT_OR_NULL(value)                                                                    \
  {                                                                                                \
    .kind = BSD_ARG_TEXT_OR_NULL, .text = (value)                                                  \
  }
#define BSD_BYTES(value)                                                                           \
  {                                                                                                \
    .kind = BSD_ARG_BYTES, .bytes = (value)                                                        \
  }
/* the arguments of ?1, ?2 … in order; a statement without any takes NULL */
#define BSD_ARGS(...) ((const BsdArg[]){ __VA_ARGS__, { .kind = BSD_ARG_END } })

/* ---------------------------------------------------------- statements */

gint64 bsd_store_now (void);
/* sets @error from the connection's last error (or @rc) */
void bsd_store_set_sqlite_error (BsdStore *self, GError **error, int rc, const char *op);
/* SQL without arguments and results (PRAGMAs, transaction control) */
gboolean bsd_store_exec (BsdStore *self, const char *sql, const char *op, GError **error);

/* @sql prepared (once per connection) with @args bound: ready to step */
BsdStmt *bsd_store_query (
    BsdStore *self, const char *sql, const BsdArg *args, const char *op, GError **error);
/* 1 = a row, 0 = done, -1 = error */
int bsd_store_step (BsdStore *self, BsdStmt *stmt, const char *op, GError **error);

/* runs a statement that returns no rows */
gboolean
bsd_store_run (BsdStore *self, const char *sql, const BsdArg *args, const char *op, GError **error);
/* the same; *@changes (may be NULL): how many rows it changed */
gboolean bsd_store_run_count (BsdStore *self,
                              const char *sql,
                              const BsdArg *args,
                              guint *changes,
                              const char *op,
                              GError **error);
/* the same; NOT_FOUND “@op: @not_found” when it changed no row */
gboolean bsd_store_run_changed (BsdStore *self,
                                const char *sql,
                                const BsdArg *args,
                                const char *op,
                                GError **error,
                                const char *not_found,
                                ...) G_GNUC_PRINTF (6, 7);
/* the same; EXISTS “@op: @exists” when it would repeat a unique value */
gboolean bsd_store_run_unique (BsdStore *self,
                               const char *sql,
                               const BsdArg *args,
                               const char *op,
                               GError **error,
                               const char *exists,
                               ...) G_GNUC_PRINTF (6, 7);

/* builds a value (owned by the caller) from the current row */
typedef gpointer (*BsdRowFunc) (BsdStmt *stmt);
/* returns FALSE (with @error set) to stop */
typedef gboolean (*BsdEachRowFunc) (BsdStmt *stmt, gpointer user_data, GError **error);

/* the first row as @from_row builds it; NOT_FOUND “@op: @not_found”
 * when there is none */
gpointer bsd_store_get_row (BsdStore *self,
                            const char *sql,
                            const BsdArg *args,
                            BsdRowFunc from_row,
                            const char *op,
                            GError **error,
                            const char *not_found,
                            ...) G_GNUC_PRINTF (7, 8);
/* every row as @from_row builds it, freed with @free_func */
GPtrArray *bsd_store_get_rows (BsdStore *self,
                               const char *sql,
                               const BsdArg *args,
                               BsdRowFunc from_row,
                               GDestroyNotify free_func,
                               const char *op,
                               GError **error);
/* calls @func for every row; the first error (sqlite's or @func's) stops */
gboolean bsd_store_each_row (BsdStore *self,
                             const char *sql,
                             const BsdArg *args,
                             BsdEachRowFunc func,
                             gpointer user_data,
                             const char *op,
                             GError **error);
/* a query, and the same explained (for bsd_store_plan_line_append ()) */
typedef struct
{
  const char *sql;
  const char *explain;
} BsdExplainedSql;
#define BSD_EXPLAINED(sql)                                                                         \
  {                                                                                                \
    sql, "EXPLAIN QUERY PLAN " sql                                                                 \
  }

/* a BsdEachRowFunc for EXPLAIN QUERY PLAN: appends "PARENT|DETAIL\n" to
 * @user_data (a GString) */
gboolean bsd_store_plan_line_append (BsdStmt *stmt, gpointer user_data, GError **error);
/* *@found: whether @sql returns a row */
gboolean bsd_store_has_row (BsdStore *self,
                            const char *sql,
                            const BsdArg *args,
                            gboolean *found,
                            const char *op,
                            GError **error);
/* the first column of the first row, 0 when there is no row */
gboolean bsd_store_query_int64 (BsdStore *self,
                                const char *sql,
                                const BsdArg *args,
                                gint64 *value,
                                const char *op,
                                GError **error);

/* a text column, copied (NULL stays NULL) */
char *bsd_column_dup (BsdStmt *stmt, int col);
/* "3,5,12" (group_concat of ids) → guint array */
GArray *bsd_parse_id_list (const char *text);

/* -------------------------------------------------------- transactions */

/* a transaction of a store function: rolled back unless committed */
typedef struct
{
  BsdStore *store;
  gboolean open;
} BsdStoreTx;

void bsd_store_tx_free (BsdStoreTx *tx);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdStoreTx, bsd_store_tx_free)

BsdStoreTx *bsd_store_tx_begin (BsdStore *self, const char *op, GError **error);
gboolean bsd_store_tx_commit (BsdStoreTx *tx, const char *op, GError **error);

/* -------------------------------------------------------------- checks */

/* a text argument: non-NULL, non-empty, UTF-8, at most @max bytes */
gboolean
bsd_check_text (const char *value, const char *what, gsize max, const char *op, GError **error);
gboolean bsd_check_pin (const char *pin, const char *op, GError **error);
/* NOT_FOUND “@op: no @what with id @id” when @sql bound to @id finds no row */
gboolean bsd_store_check_id (
    BsdStore *self, const char *sql, gint64 id, const char *what, const char *op, GError **error);
gboolean bsd_store_check_device (BsdStore *self, guint device_id, const char *op, GError **error);
gboolean bsd_store_check_area (BsdStore *self, guint area_id, const char *op, GError **error);
gboolean bsd_store_check_job (BsdStore *self, gint64 job_id, const char *op, GError **error);
/* an UPDATE/DELETE by id that touched nothing means the id is unknown */
gboolean bsd_store_check_changed (
    BsdStore *self, gint64 id, const char *what, const char *op, GError **error);
/* sqlite's own JSON parser on @json (NULL is fine) */
gboolean bsd_store_check_json (
    BsdStore *self, const char *json, const char *what, const char *op, GError **error);

G_END_DECLS
