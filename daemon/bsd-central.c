/* bsd-central.c — BsdCentral: the worker thread that ships to the central PostgreSQL
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Exactly once: a batch of punches is inserted in one central
 * transaction with ON CONFLICT DO NOTHING on the natural key, and the
 * local cursor moves after its COMMIT. A crash (here or there) before the
 * COMMIT loses the central transaction, and the batch goes again; a
 * crash between the COMMIT and the cursor sends it again, and the
 * natural key drops every row of it.
 */
#include "config.h"

#include "bsd-central.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "bs-error.h"
#include "bsd-central-private.h"
#include "bsd-central-schema.h"
#include "bsd-store-outbox.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS (5 * 60 * 1000)
/* an idle worker looks for new punches this often (and when kicked) */
#define IDLE_POLL_MS 10000
#define CONNECT_TIMEOUT_S 15

struct _BsdCentral
{
  GObject parent_instance;

  char *db_path;
  GMainContext *context; /* where "changed" is emitted */
  GThread *thread;

  /* the worker's wake-ups, under @lock */
  GMutex lock;
  GCond cond;
  gboolean stopping;
  gboolean reconfigure;
  gboolean kicked;
  GCancellable *cancellable; /* what the worker waits for now */
  guint64 pull_wanted;       /* the newest pull asked for, 0 = none */

  /* main thread only */
  char *state;
  guint64 lag;
  guint64 oldest;
  guint64 pull_serial;
  GPtrArray *pulls; /* Pull, waiting for the worker */

  /* the worker's own */
  gint64 age_published; /* monotonic µs */

  /* test knobs (environment), read once */
  guint backoff_max_ms;
  guint idle_poll_ms;
};

G_DEFINE_FINAL_TYPE (BsdCentral, bsd_central, G_TYPE_OBJECT)

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* ----------------------------------------------------- state to main */

typedef struct
{
  BsdCentral *self;
  char *state; /* NULL = unchanged */
  gboolean has_age;
  guint64 lag;
  guint64 oldest;
} Publish;

static gboolean
publish_cb (gpointer data)
{
  Publish *publish = data;
  BsdCentral *self = publish->self;

  if (publish->state != NULL && g_strcmp0 (self->state, publish->state) != 0)
    {
      g_free (self->state);
      self->state = g_steal_pointer (&publish->state);
      g_message ("central database: %s", self->state);
    }
  if (publish->has_age)
    {
      self->lag = publish->lag;
      self->oldest = publish->oldest;
    }
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return G_SOURCE_REMOVE;
}

static void
publish_free (gpointer data)
{
  Publish *publish = data;

  g_object_unref (publish->self);
  g_free (publish->state);
  g_free (publish);
}

static void
publish (BsdCentral *self, char *state, gboolean has_age, guint64 lag, guint64 oldest)
{
  Publish *publish = g_new0 (Publish, 1);

  publish->self = g_object_ref (self);
  publish->state = state;
  publish->has_age = has_age;
  publish->lag = lag;
  publish->oldest = oldest;
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, publish_cb, publish, publish_free);
}

static void
publish_state (BsdCentral *self, const char *state)
{
  publish (self, g_strdup (state), FALSE, 0, 0);
}

/* the waiting punches' age, read through the worker's store; while a
 * backlog ships, once a second at most (the oldest punch is a scan of
 * the backlog) */
static void
publish_age (BsdCentral *self, BsdStore *store, gboolean force)
{
  gint64 collected = 0, utc = 0;
  gint64 now = g_get_real_time ();
  g_autoptr (GError) error = NULL;

  if (!force && g_get_monotonic_time () - self->age_published < G_USEC_PER_SEC)
    return;
  self->age_published = g_get_monotonic_time ();

  if (!bsd_store_get_unshipped_age (store, &collected, &utc, &error))
    {
      g_warning ("central database: %s", error->message);
      return;
    }
  publish (self, NULL, TRUE, collected > 0 && now > collected ? (guint64)(now - collected) : 0,
           (guint64)MAX (utc, 0));
}

/* ------------------------------------------------------ pulls for jobs */

/* one job waiting for other sites' edits */
typedef struct
{
  BsdCentral *self;
  GTask *task;
  guint64 serial;
  GSource *timeout;
  GSource *cancelled;
} Pull;

static void
pull_free (Pull *pull)
{
  g_source_destroy (pull->timeout);
  g_source_unref (pull->timeout);
  if (pull->cancelled != NULL)
    {
      g_source_destroy (pull->cancelled);
      g_source_unref (pull->cancelled);
    }
  g_object_unref (pull->task);
  g_free (pull);
}

/* main thread: @pull answered (@note NULL = pulled) */
static void
pull_complete (Pull *pull, char *note)
{
  g_autoptr (GTask) task = g_object_ref (pull->task);

  /* out of the list first: the job starts from the callback */
  g_ptr_array_remove_fast (pull->self->pulls, pull);
  g_task_return_pointer (task, note, g_free);
}

static gboolean
pull_timeout_cb (gpointer data)
{
  Pull *pull = data;

  pull_complete (pull, g_strdup_printf ("other sites' deletions and edits were not pulled: the "
                                        "central database did not answer within %u s; this job "
                                        "went on with what this site knew",
                                        BSD_CENTRAL_PULL_DEADLINE_MS / 1000));
  return G_SOURCE_REMOVE;
}

static gboolean
pull_cancelled_cb (GCancellable *cancellable, gpointer data)
{
  pull_complete (data, g_strdup ("other sites' deletions and edits were not pulled: cancelled"));
  return G_SOURCE_REMOVE;
}

/* main thread: every pull asked for up to @serial is answered */
static void
pulls_answer (BsdCentral *self, guint64 serial, const char *why)
{
  for (guint i = self->pulls->len; i > 0; i--)
    {
      Pull *pull = g_ptr_array_index (self->pulls, i - 1);

      if (pull->serial <= serial)
        pull_complete (pull, why != NULL ? g_strdup_printf ("other sites' deletions and edits "
                                                            "were not pulled: %s; this job went "
                                                            "on with what this site knew",
                                                            why)
                                         : NULL);
    }
}

typedef struct
{
  BsdCentral *self;
  guint64 serial;
  char *why;
} PullAnswer;

static gboolean
pull_answer_cb (gpointer data)
{
  PullAnswer *answer = data;

  pulls_answer (answer->self, answer->serial, answer->why);
  return G_SOURCE_REMOVE;
}

static void
pull_answer_free (gpointer data)
{
  PullAnswer *answer = data;

  g_object_unref (answer->self);
  g_free (answer->why);
  g_free (answer);
}

/* worker: the pulls up to @serial are done (@why NULL) or failed */
static void
answer_pulls (BsdCentral *self, guint64 serial, const char *why)
{
  PullAnswer *answer;

  if (serial == 0)
    return;
  answer = g_new0 (PullAnswer, 1);
  answer->self = g_object_ref (self);
  answer->serial = serial;
  answer->why = g_strdup (why);
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, pull_answer_cb, answer,
                              pull_answer_free);
}

/* worker: the newest pull asked for, now the worker's to answer */
static guint64
take_pull (BsdCentral *self)
{
  guint64 serial;

  g_mutex_lock (&self->lock);
  serial = self->pull_wanted;
  self->pull_wanted = 0;
  g_mutex_unlock (&self->lock);
  return serial;
}

gboolean
bsd_central_pull_async (BsdCentral *self,
                        GCancellable *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer user_data)
{
  Pull *pull;

  g_return_val_if_fail (BSD_IS_CENTRAL (self), FALSE);
  if (g_strcmp0 (self->state, "off") == 0 || self->thread == NULL)
    return FALSE;

  pull = g_new0 (Pull, 1);
  pull->self = self;
  pull->task = g_task_new (NULL, NULL, callback, user_data);
  g_task_set_source_tag (pull->task, bsd_central_pull_async);
  pull->serial = ++self->pull_serial;
  /* bounded: a job never waits long for a slow or lost server */
  pull->timeout = g_timeout_source_new (BSD_CENTRAL_PULL_DEADLINE_MS);
  g_source_set_callback (pull->timeout, pull_timeout_cb, pull, NULL);
  g_source_attach (pull->timeout, self->context);
  if (cancellable != NULL)
    {
      pull->cancelled = g_cancellable_source_new (cancellable);
      g_source_set_callback (pull->cancelled, G_SOURCE_FUNC (pull_cancelled_cb), pull, NULL);
      g_source_attach (pull->cancelled, self->context);
    }
  g_ptr_array_add (self->pulls, pull);

  g_mutex_lock (&self->lock);
  self->pull_wanted = pull->serial;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* ------------------------------------------------------------- libpq */

/* the first line of libpq's message, without the password if it holds it */
static char *
describe_pg_error (const char *message, const char *password)
{
  g_autofree char *line = g_strndup (message, strcspn (message, "\n"));
  g_autofree char *text = g_strstrip (g_utf8_make_valid (line, -1));

  if (password != NULL && password[0] != '\0' && strstr (text, password) != NULL)
    {
      g_auto (GStrv) parts = g_strsplit (text, password, -1);

      return g_strjoinv ("***", parts);
    }
  return g_steal_pointer (&text);
}

/* waits until @conn's socket is ready for reading (or writing), until
 * @deadline (monotonic µs) or until @cancellable fires */
static gboolean
wait_socket (PGconn *conn,
             gboolean for_write,
             gint64 deadline,
             GCancellable *cancellable,
             const char *op,
             GError **error)
{
  GPollFD fds[2] = { { 0 } };
  g_autoptr (GError) local = NULL;
  guint n = 1;
  gboolean ready = FALSE;

  fds[0].fd = PQsocket (conn);
  fds[0].events = (for_write ? G_IO_OUT : G_IO_IN) | G_IO_ERR | G_IO_HUP;
  if (fds[0].fd < 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FAILED, "%s: the connection is closed", op);
      return FALSE;
    }
  if (g_cancellable_make_pollfd (cancellable, &fds[1]))
    n = 2;
  while (!ready && local == NULL)
    {
      gint64 left = deadline - g_get_monotonic_time ();
      int rc;

      if (g_cancellable_is_cancelled (cancellable))
        g_set_error (&local, BS_ERROR, BS_ERROR_CANCELLED, "%s: cancelled", op);
      else if (left <= 0)
        g_set_error (&local, BS_ERROR, BS_ERROR_TIMED_OUT,
                     "%s: the central database did not answer in time", op);
      else if ((rc = g_poll (fds, n, (int)MIN (left / 1000 + 1, 1000))) < 0 && errno != EINTR)
        g_set_error (&local, BS_ERROR, BS_ERROR_FAILED, "%s: %s", op, g_strerror (errno));
      else
        ready = rc > 0 && fds[0].revents != 0;
    }
  if (n == 2)
    g_cancellable_release_fd (cancellable);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return TRUE;
}

BsdPgResult *
bsd_central_query (PGconn *conn,
                   GCancellable *cancellable,
                   const char *sql,
                   int n_params,
                   const char *const *params,
                   const char *op,
                   GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (BSD_CENTRAL_STATEMENT_TIMEOUT_MS + 5000) * 1000LL;
  g_autoptr (BsdPgResult) last = NULL;
  g_autofree char *failure = NULL;
  gboolean sent;
  int flushed;

  /* several statements need the simple protocol, parameters the extended one */
  sent = n_params == 0 ? PQsendQuery (conn, sql)
                       : PQsendQueryParams (conn, sql, n_params, NULL, params, NULL, NULL, 0);
  if (!sent)
    {
      g_autofree char *text = describe_pg_error (PQerrorMessage (conn), NULL);

      g_set_error (error, BS_ERROR, BS_ERROR_FAILED, "%s: %s", op, text);
      return NULL;
    }
  while ((flushed = PQflush (conn)) == 1)
    if (!wait_socket (conn, TRUE, deadline, cancellable, op, error))
      return NULL;
  if (flushed < 0)
    {
      g_autofree char *text = describe_pg_error (PQerrorMessage (conn), NULL);

      g_set_error (error, BS_ERROR, BS_ERROR_FAILED, "%s: %s", op, text);
      return NULL;
    }
  for (;;)
    {
      PGresult *result;

      while (PQisBusy (conn))
        {
          if (!wait_socket (conn, FALSE, deadline, cancellable, op, error))
            return NULL;
          if (!PQconsumeInput (conn))
            {
              g_autofree char *text = describe_pg_error (PQerrorMessage (conn), NULL);

              /* PQgetResult would wait on a broken connection */
              g_set_error (error, BS_ERROR, BS_ERROR_FAILED, "%s: %s", op,
                           text[0] != '\0' ? text : "the connection was lost");
              return NULL;
            }
        }
      result = PQgetResult (conn);
      if (result == NULL)
        break;
      if (PQresultStatus (result) != PGRES_COMMAND_OK && PQresultStatus (result) != PGRES_TUPLES_OK
          && failure == NULL)
        failure = describe_pg_error (PQresultErrorMessage (result), NULL);
      g_clear_pointer (&last, PQclear);
      last = result;
      if (PQstatus (conn) == CONNECTION_BAD)
        break;
    }
  if (failure == NULL && (PQstatus (conn) == CONNECTION_BAD || last == NULL))
    failure = describe_pg_error (PQerrorMessage (conn), NULL);
  if (failure != NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FAILED, "%s: %s", op,
                   failure[0] != '\0' ? failure : "the connection was lost");
      return NULL;
    }
  return g_steal_pointer (&last);
}

gboolean
bsd_central_exec (
    PGconn *conn, GCancellable *cancellable, const char *sql, const char *op, GError **error)
{
  g_autoptr (BsdPgResult) result = bsd_central_query (conn, cancellable, sql, 0, NULL, op, error);

  return result != NULL;
}

/* the server's notices go to the debug log, not to stderr */
static void
log_notice (void *data, const char *message)
{
  g_autofree char *text = describe_pg_error (message, NULL);

  g_debug ("central database: %s", text);
}

/* the password of @conninfo (either form), to keep it out of messages */
static char *
conninfo_password (const char *conninfo)
{
  PQconninfoOption *options = PQconninfoParse (conninfo, NULL);
  char *password = NULL;

  if (options == NULL)
    return NULL;
  for (PQconninfoOption *o = options; o->keyword != NULL; o++)
    if (g_strcmp0 (o->keyword, "password") == 0 && o->val != NULL)
      password = g_strdup (o->val);
  PQconninfoFree (options);
  return password;
}

/* a connection, made without blocking past @cancellable: our defaults
 * first, then what the administrator's string says (it wins) */
static PGconn *
connect_central (const char *conninfo,
                 const char *password,
                 GCancellable *cancellable,
                 GError **error)
{
  const char *op = "connecting to the central database";
  g_autofree char *timeout = g_strdup_printf ("%d", CONNECT_TIMEOUT_S);
  const char *const keys[]
      = { "connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
          "keepalives_count", "application_name", "dbname",          NULL };
  const char *const values[] = { timeout, "1", "30", "10", "3", "biosyncd", conninfo, NULL };
  gint64 deadline = g_get_monotonic_time () + CONNECT_TIMEOUT_S * G_USEC_PER_SEC;
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  PGconn *conn = PQconnectStartParams (keys, values, 1);

  if (conn == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FAILED, "%s: out of memory", op);
      return NULL;
    }
  while (PQstatus (conn) != CONNECTION_BAD && status != PGRES_POLLING_OK
         && status != PGRES_POLLING_FAILED)
    {
      if (!wait_socket (conn, status == PGRES_POLLING_WRITING, deadline, cancellable, op, error))
        {
          PQfinish (conn);
          return NULL;
        }
      status = PQconnectPoll (conn);
    }
  if (PQstatus (conn) != CONNECTION_OK)
    {
      g_autofree char *text = describe_pg_error (PQerrorMessage (conn), password);

      g_set_error (error, BS_ERROR, BS_ERROR_UNREACHABLE, "%s: %s", op, text);
      PQfinish (conn);
      return NULL;
    }
  PQsetNoticeProcessor (conn, log_notice, NULL);
  if (PQsetnonblocking (conn, 1) != 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FAILED, "%s: cannot make it non-blocking", op);
      PQfinish (conn);
      return NULL;
    }
  return conn;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGconn, PQfinish)

/* ----------------------------------------------------------- shipping */

/* one batch of punches in one central transaction; *@shipped = how many
 * rows were sent (0 = nothing waits) */
static gboolean
ship_punches (const BsdCentralLink *link, guint *shipped, GError **error)
{
  const char *op = "shipping punches";
  g_autoptr (GPtrArray) punches = NULL;
  g_autoptr (GPtrArray) params = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) sql = g_string_new (
      "INSERT INTO punches (site, device_serial, pin, local_time, state, punch_time, verify,"
      " workcode, collected_at) VALUES ");
  g_autoptr (BsdPgResult) result = NULL;
  gint64 last_id = 0;

  *shipped = 0;
  punches = bsd_store_list_unshipped_punches (link->store, BSD_CENTRAL_BATCH, error);
  if (punches == NULL)
    return FALSE;
  if (punches->len == 0)
    return TRUE;
  g_ptr_array_add (params, g_strdup (link->site));
  for (guint i = 0; i < punches->len; i++)
    {
      BsdPunch *punch = g_ptr_array_index (punches, i);
      guint p = params->len + 1;

      g_string_append_printf (
          sql,
          "%s($1, $%u, $%u, $%u, $%u::integer,"
          " timestamptz 'epoch' + $%u::bigint * interval '1 microsecond', $%u::integer,"
          " $%u::integer, timestamptz 'epoch' + $%u::bigint * interval '1 microsecond')",
          i > 0 ? ", " : "", p, p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7);
      g_ptr_array_add (params, g_strdup (punch->device_serial));
      g_ptr_array_add (params, g_strdup (punch->pin));
      g_ptr_array_add (params, g_strdup (punch->local_time));
      g_ptr_array_add (params, bsd_central_number (punch->state));
      g_ptr_array_add (params, bsd_central_number (punch->utc_usec));
      g_ptr_array_add (params, bsd_central_number (punch->verify));
      g_ptr_array_add (params, bsd_central_number (punch->workcode));
      g_ptr_array_add (params, bsd_central_number (punch->collected_at));
      last_id = punch->id;
    }
  g_string_append (sql, " ON CONFLICT DO NOTHING");

  if (!bsd_central_exec (link->conn, link->cancellable, "BEGIN", op, error))
    return FALSE;
  result = bsd_central_query (link->conn, link->cancellable, sql->str, (int)params->len,
                              (const char *const *)params->pdata, op, error);
  if (result == NULL || !bsd_central_exec (link->conn, link->cancellable, "COMMIT", op, error))
    return FALSE;
  /* only now: the rows are the central database's */
  if (!bsd_store_set_punch_cursor (link->store, last_id, error))
    return FALSE;
  *shipped = punches->len;
  return TRUE;
}

/* the site's row, so that every other table may name it */
static gboolean
register_site (PGconn *conn, const char *site, GCancellable *cancellable, GError **error)
{
  const char *const params[] = { site };
  g_autoptr (BsdPgResult) result = bsd_central_query (
      conn, cancellable,
      "INSERT INTO sites (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET last_seen = now()", 1,
      params, "registering the site", error);

  return result != NULL;
}

/* --------------------------------------------------------- the worker */

/* sleeps up to @ms (forever when < 0) or until stopped, reconfigured,
 * asked for a pull or (with @kickable) kicked; whether the worker goes
 * on as it was */
static gboolean
worker_wait (BsdCentral *self, gint ms, gboolean kickable)
{
  gint64 end = g_get_monotonic_time () + (gint64)ms * 1000;
  gboolean go_on;

  g_mutex_lock (&self->lock);
  while (!self->stopping && !self->reconfigure && !(kickable && self->kicked)
         && self->pull_wanted == 0)
    {
      if (ms < 0)
        g_cond_wait (&self->cond, &self->lock);
      else if (!g_cond_wait_until (&self->cond, &self->lock, end))
        break;
    }
  if (kickable)
    self->kicked = FALSE;
  go_on = !self->stopping && !self->reconfigure;
  g_mutex_unlock (&self->lock);
  return go_on;
}

static const char *
site_name (const BsdCentralConfig *config)
{
  return config->site_name[0] != '\0' ? config->site_name : g_get_host_name ();
}

/* every edit other sites made since the cursor, for a job about to plan */
static gboolean
pull_all_edits (const BsdCentralLink *link, GError **error)
{
  guint pulled;

  do
    if (!bsd_central_pull_edits (link, &pulled, error))
      return FALSE;
  while (pulled > 0);
  return TRUE;
}

/* connected and shipping until stopped, reconfigured or an error */
static gboolean
run_session (BsdCentral *self,
             BsdStore *store,
             const BsdCentralConfig *config,
             GCancellable *cancellable,
             guint *backoff_ms,
             GError **error)
{
  g_autofree char *password = conninfo_password (config->conninfo);
  g_autoptr (PGconn) conn = NULL;
  g_autofree char *timeouts
      = g_strdup_printf ("SET statement_timeout = %d; SET lock_timeout = %d;"
                         " SET idle_in_transaction_session_timeout = %d",
                         BSD_CENTRAL_STATEMENT_TIMEOUT_MS, BSD_CENTRAL_STATEMENT_TIMEOUT_MS,
                         2 * BSD_CENTRAL_STATEMENT_TIMEOUT_MS);
  BsdCentralLink link = { NULL, store, site_name (config), cancellable };

  publish_state (self, "connecting");
  conn = connect_central (config->conninfo, password, cancellable, error);
  if (conn == NULL
      || !bsd_central_exec (conn, cancellable, timeouts, "configuring the session", error)
      || !bsd_central_schema_migrate (conn, cancellable, error)
      || !register_site (conn, link.site, cancellable, error))
    return FALSE;
  link.conn = conn;
  *backoff_ms = BACKOFF_MIN_MS;
  for (gboolean backlog = FALSE;;)
    {
      guint64 pull = take_pull (self);
      guint shipped = 0;

      /* a job waits for this: before any batch */
      if (pull != 0 && !pull_all_edits (&link, error))
        {
          answer_pulls (self, pull, (*error)->message);
          return FALSE;
        }
      answer_pulls (self, pull, NULL);

      /* before the batch too: a hanging server shows as a growing lag
       * (at once for the first batch after being idle) */
      publish_age (self, store, !backlog);
      if (!ship_punches (&link, &shipped, error))
        return FALSE;
      backlog = shipped > 0;
      if (shipped > 0)
        {
          publish_state (self, "shipping");
          if (!worker_wait (self, 0, FALSE))
            return TRUE;
          continue;
        }
      /* then the roster, devices, jobs and edits, and other sites' edits */
      if (!bsd_central_ship_outbox (&link, &shipped, error)
          || (shipped == 0 && !bsd_central_pull_edits (&link, &shipped, error)))
        return FALSE;
      if (shipped > 0)
        {
          if (!worker_wait (self, 0, FALSE))
            return TRUE;
          continue;
        }
      publish_age (self, store, TRUE);
      publish_state (self, "idle");
      if (!worker_wait (self, (gint)self->idle_poll_ms, TRUE))
        return TRUE;
    }
}

static gpointer
worker (gpointer data)
{
  BsdCentral *self = data;
  g_autoptr (GError) open_error = NULL;
  g_autoptr (BsdStore) store = bsd_store_open (self->db_path, &open_error);
  guint backoff_ms = BACKOFF_MIN_MS;

  if (store == NULL)
    {
      g_autofree char *state = g_strdup_printf ("error: %s", open_error->message);

      publish_state (self, state);
      return NULL;
    }
  for (;;)
    {
      g_autoptr (GCancellable) cancellable = g_cancellable_new ();
      g_autoptr (BsdCentralConfig) config = NULL;
      g_autoptr (GError) error = NULL;

      g_mutex_lock (&self->lock);
      if (self->stopping)
        {
          g_mutex_unlock (&self->lock);
          break;
        }
      if (self->reconfigure)
        backoff_ms = BACKOFF_MIN_MS;
      self->reconfigure = FALSE;
      g_set_object (&self->cancellable, cancellable);
      g_mutex_unlock (&self->lock);

      config = bsd_store_get_central (store, &error);
      if (config == NULL)
        {
          g_autofree char *state = g_strdup_printf ("error: %s", error->message);

          publish_state (self, state);
          worker_wait (self, (gint)backoff_ms, FALSE);
          continue;
        }
      if (config->conninfo[0] == '\0')
        {
          /* nothing to pull from */
          answer_pulls (self, take_pull (self), NULL);
          publish_state (self, "off");
          publish (self, NULL, TRUE, 0, 0);
          worker_wait (self, -1, FALSE);
          continue;
        }
      if (!run_session (self, store, config, cancellable, &backoff_ms, &error))
        {
          g_autofree char *state = NULL;

          if (g_cancellable_is_cancelled (cancellable))
            continue;
          answer_pulls (self, take_pull (self), error->message);
          state = g_strdup_printf ("error: %s", error->message);
          publish_state (self, state);
          publish_age (self, store, TRUE);
          worker_wait (self, (gint)backoff_ms, FALSE);
          backoff_ms = MIN (backoff_ms * 2, self->backoff_max_ms);
        }
    }
  g_mutex_lock (&self->lock);
  g_clear_object (&self->cancellable);
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* ------------------------------------------------------------- object */

static void
wake (BsdCentral *self, gboolean *flag, gboolean cancel)
{
  g_mutex_lock (&self->lock);
  *flag = TRUE;
  if (cancel && self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
}

void
bsd_central_reconfigure (BsdCentral *self)
{
  g_return_if_fail (BSD_IS_CENTRAL (self));
  wake (self, &self->reconfigure, TRUE);
}

void
bsd_central_kick (BsdCentral *self)
{
  g_return_if_fail (BSD_IS_CENTRAL (self));
  wake (self, &self->kicked, FALSE);
}

void
bsd_central_stop (BsdCentral *self)
{
  g_return_if_fail (BSD_IS_CENTRAL (self));
  if (self->thread == NULL)
    return;
  wake (self, &self->stopping, TRUE);
  /* every wait of the worker watches the cancellable: this is short */
  g_thread_join (g_steal_pointer (&self->thread));
  pulls_answer (self, G_MAXUINT64, "the service is stopping");
}

const char *
bsd_central_get_state (BsdCentral *self)
{
  g_return_val_if_fail (BSD_IS_CENTRAL (self), NULL);
  return self->state;
}

guint64
bsd_central_get_lag (BsdCentral *self)
{
  g_return_val_if_fail (BSD_IS_CENTRAL (self), 0);
  return self->lag;
}

guint64
bsd_central_get_oldest_unshipped (BsdCentral *self)
{
  g_return_val_if_fail (BSD_IS_CENTRAL (self), 0);
  return self->oldest;
}

static void
bsd_central_dispose (GObject *object)
{
  bsd_central_stop (BSD_CENTRAL (object));
  G_OBJECT_CLASS (bsd_central_parent_class)->dispose (object);
}

static void
bsd_central_finalize (GObject *object)
{
  BsdCentral *self = BSD_CENTRAL (object);

  g_clear_object (&self->cancellable);
  g_ptr_array_unref (self->pulls);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_main_context_unref (self->context);
  g_free (self->db_path);
  g_free (self->state);
  G_OBJECT_CLASS (bsd_central_parent_class)->finalize (object);
}

static void
bsd_central_class_init (BsdCentralClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bsd_central_dispose;
  object_class->finalize = bsd_central_finalize;
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
bsd_central_init (BsdCentral *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->state = g_strdup ("off");
  self->pulls = g_ptr_array_new_with_free_func ((GDestroyNotify)pull_free);
}

/* a test waits seconds, not minutes, for a retry or a poll */
static guint
knob (const char *name, guint def)
{
  const char *text = g_getenv (name);
  guint64 value = 0;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 10, G_MAXINT / 2, &value, NULL))
    return def;
  return (guint)value;
}

BsdCentral *
bsd_central_new (const char *db_path)
{
  BsdCentral *self = g_object_new (BSD_TYPE_CENTRAL, NULL);

  self->db_path = g_strdup (db_path);
  self->context = g_main_context_ref_thread_default ();
  self->backoff_max_ms = knob ("BIOSYNC_CENTRAL_BACKOFF_MAX_MS", BACKOFF_MAX_MS);
  self->idle_poll_ms = knob ("BIOSYNC_CENTRAL_POLL_MS", IDLE_POLL_MS);
  /* the worker holds no reference: stop () joins it before the end */
  self->thread = g_thread_new ("central", worker, self);
  return self;
}
