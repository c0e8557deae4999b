/* bsd-push-server.c — the receiver of push terminals
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Connections come through a GSocketService of our own and are handed to
 * SoupServer (soup_server_accept_iostream): that is where the limits
 * SoupServer 3.2 lacks are kept — a cap on connections, an idle timeout
 * (GSocket's) and a deadline per connection. A request whose
 * Content-Length is beyond PUSH_BODY_MAX, or that is chunked, is answered
 * from its headers, before its body is read.
 */
#define G_LOG_DOMAIN "biosyncd"

#include "config.h"

#include "bsd-push-server.h"

#include <libsoup/soup.h>

#include "bsd-store.h"
#include "push-format.h"
#include "push-limits.h"

struct _BsdPushServer
{
  GObject parent_instance;

  char *store_path;
  SoupServer *soup;
  GSocketService *service;
  char *state;
  char *address; /* what it listens on, NULL when off */
  guint16 port;
  GHashTable *connections; /* GSocketConnection* (not a ref) → Connection* */
  GThreadPool *writer;     /* one thread: every request's store work */
  GMainContext *context;

  /* the writer thread's own */
  BsdStore *store;
  GHashTable *bad_keys; /* serials whose last handshake had a wrong comm key */
  GHashTable *trimmed;  /* device id → when its finished commands were trimmed */
};

G_DEFINE_FINAL_TYPE (BsdPushServer, bsd_push_server, G_TYPE_OBJECT)

enum
{
  SIGNAL_STATE_CHANGED,
  SIGNAL_DEVICE_CHANGED,
  SIGNAL_PENDING_CHANGED,
  SIGNAL_PUNCH_STORED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---------------------------------------------------------- connections */

typedef struct
{
  BsdPushServer *self;
  GSocketConnection *connection; /* weak */
  GSocket *socket;
  guint deadline;
} Connection;

static void
connection_free (Connection *c)
{
  g_clear_handle_id (&c->deadline, g_source_remove);
  g_clear_object (&c->socket);
  g_free (c);
}

static void
connection_gone (gpointer data, GObject *where_the_object_was)
{
  Connection *c = data;

  g_hash_table_remove (c->self->connections, where_the_object_was);
}

/* a client still connected after PUSH_CONNECTION_DEADLINE_S is cut */
static gboolean
connection_deadline (gpointer data)
{
  Connection *c = data;

  c->deadline = 0;
  g_socket_shutdown (c->socket, TRUE, TRUE, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
incoming_cb (GSocketService *service,
             GSocketConnection *connection,
             GObject *source,
             BsdPushServer *self)
{
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GSocketAddress) remote = NULL;
  g_autoptr (GError) error = NULL;
  GSocket *socket = g_socket_connection_get_socket (connection);
  Connection *c;

  /* over the cap: the service drops (and so closes) the connection */
  if (g_hash_table_size (self->connections) >= PUSH_CONNECTIONS_MAX)
    return TRUE;
  local = g_socket_connection_get_local_address (connection, NULL);
  remote = g_socket_connection_get_remote_address (connection, NULL);
  if (local == NULL || remote == NULL)
    return TRUE;
  g_socket_set_timeout (socket, PUSH_IDLE_TIMEOUT_S);
  c = g_new0 (Connection, 1);
  c->self = self;
  c->connection = connection;
  c->socket = g_object_ref (socket);
  c->deadline = g_timeout_add_seconds (PUSH_CONNECTION_DEADLINE_S, connection_deadline, c);
  g_hash_table_insert (self->connections, connection, c);
  g_object_weak_ref (G_OBJECT (connection), connection_gone, c);
  if (!soup_server_accept_iostream (self->soup, G_IO_STREAM (connection), local, remote, &error))
    g_debug ("push: a connection was not taken: %s", error->message);
  return TRUE;
}

/* ------------------------------------------------------------ requests */

typedef struct
{
  BsdPushServer *self; /* a ref */
  SoupServerMessage *msg;
  gboolean gone; /* the client went away while the writer worked */
  gulong finished_id;
  PushRequest *request;
  GBytes *body;
  char *address;
  /* the writer's answer */
  guint status;
  char *reply;
  guint device_id; /* a push device whose row changed */
  gboolean pending_changed;
  GArray *punches; /* BsdStoredPunch: punches an upload stored, for PunchReceived */
} Work;

static void
work_free (Work *work)
{
  if (work->finished_id != 0)
    g_signal_handler_disconnect (work->msg, work->finished_id);
  g_object_unref (work->msg);
  g_object_unref (work->self);
  push_request_free (work->request);
  g_bytes_unref (work->body);
  g_free (work->address);
  g_free (work->reply);
  g_clear_pointer (&work->punches, g_array_unref);
  g_free (work);
}

static void
reply (SoupServerMessage *msg, guint status, const char *text)
{
  /* text/plain: old firmware keeps results and clock only then (§2) */
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, text, strlen (text));
}

static void
message_finished_cb (SoupServerMessage *msg, Work *work)
{
  work->gone = TRUE;
}

/* back on the main thread: the answer goes out */
static gboolean
work_done (gpointer data)
{
  Work *work = data;

  if (!work->gone)
    {
      reply (work->msg, work->status, work->reply);
      soup_server_message_unpause (work->msg);
    }
  for (guint i = 0; work->punches != NULL && i < work->punches->len; i++)
    g_signal_emit (work->self, signals[SIGNAL_PUNCH_STORED], 0, work->device_id,
                   &g_array_index (work->punches, BsdStoredPunch, i));
  if (work->device_id != 0)
    g_signal_emit (work->self, signals[SIGNAL_DEVICE_CHANGED], 0, work->device_id);
  if (work->pending_changed)
    g_signal_emit (work->self, signals[SIGNAL_PENDING_CHANGED], 0);
  work_free (work);
  return G_SOURCE_REMOVE;
}

static void
handle_cb (SoupServer *server,
           SoupServerMessage *msg,
           const char *path,
           GHashTable *query,
           gpointer user_data)
{
  BsdPushServer *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (PushRequest) request = NULL;
  g_autoptr (GBytes) body = NULL;
  GUri *uri = soup_server_message_get_uri (msg);
  Work *work;

  request = push_request_classify (soup_server_message_get_method (msg), path,
                                   g_uri_get_query (uri), &error);
  if (request == NULL)
    {
      reply (msg,
             g_error_matches (error, PUSH_ERROR, PUSH_ERROR_UNKNOWN) ? SOUP_STATUS_NOT_FOUND
                                                                     : SOUP_STATUS_BAD_REQUEST,
             "ERROR: bad request\n");
      return;
    }
  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  work = g_new0 (Work, 1);
  work->self = g_object_ref (self);
  work->msg = g_object_ref (msg);
  work->request = g_steal_pointer (&request);
  work->body = g_steal_pointer (&body);
  work->address = g_strdup (soup_server_message_get_remote_host (msg));
  work->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (message_finished_cb), work);
  soup_server_message_pause (msg);
  g_thread_pool_push (self->writer, work, NULL);
}

static void
refusal_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GIOStream) stream = user_data;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  g_io_stream_close (stream, NULL, NULL);
}

/* A body too big, or of unknown length, is refused before it is read:
 * SoupServer 3.2 would read (and keep) it whatever status a got-headers
 * handler sets, so the connection is taken from it and answered here */
static void
got_headers_cb (SoupServerMessage *msg, gpointer user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);
  const char *answer = NULL;
  GIOStream *stream;

  if (encoding == SOUP_ENCODING_CHUNKED || encoding == SOUP_ENCODING_EOF)
    answer = "HTTP/1.1 411 Length Required\r\nContent-Type: text/plain\r\n"
             "Content-Length: 31\r\nConnection: close\r\n\r\n"
             "ERROR: Content-Length required\n";
  else if (encoding == SOUP_ENCODING_CONTENT_LENGTH
           && soup_message_headers_get_content_length (headers) > PUSH_BODY_MAX)
    answer = "HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: text/plain\r\n"
             "Content-Length: 22\r\nConnection: close\r\n\r\nERROR: body too large\n";
  if (answer == NULL)
    return;
  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    return;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (stream), answer, strlen (answer),
                                   G_PRIORITY_DEFAULT, NULL, refusal_written, stream);
}

static void
request_started_cb (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  g_signal_connect (msg, "got-headers", G_CALLBACK (got_headers_cb), NULL);
}

/* ------------------------------------------------------- writer thread */

/* the device's zone: its configured one, else the system's */
static GTimeZone *
device_time_zone (const BsdDevice *device)
{
  if (device != NULL && device->time_zone != NULL && *device->time_zone != '\0')
    return g_time_zone_new_identifier (device->time_zone);
  return g_time_zone_new_local ();
}

static gint
time_zone_minutes (GTimeZone *tz)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  int interval = g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, now);

  return g_time_zone_get_offset (tz, interval) / 60;
}

static void
replace_text (char **slot, const char *value)
{
  g_free (*slot);
  *slot = g_strdup (value);
}

/* what a contact tells of an accepted device: online now, and INFO */
static gboolean
update_health (BsdStore *store, guint device_id, const PushInfo *info, GError **error)
{
  g_autoptr (BsdDevice) device = bsd_store_get_device (store, device_id, error);
  BsdDeviceHealth *h;

  if (device == NULL)
    return FALSE;
  h = &device->health;
  g_free (h->state);
  h->state = g_strdup ("online");
  g_clear_pointer (&h->last_error, g_free);
  h->last_seen = g_get_real_time ();
  if (info != NULL)
    {
      if (*info->firmware != '\0')
        replace_text (&h->firmware, info->firmware);
      if (*info->fp_version != '\0')
        replace_text (&h->fp_version, info->fp_version);
      if (*info->face_version != '\0')
        replace_text (&h->face_version, info->face_version);
      h->users = info->users >= 0 ? (guint)info->users : h->users;
      h->fingerprints = info->fingerprints >= 0 ? (guint)info->fingerprints : h->fingerprints;
      h->records = info->records >= 0 ? (guint)info->records : h->records;
      h->faces = info->faces >= 0 ? (guint)info->faces : h->faces;
    }
  return bsd_store_update_device_health (store, device_id, h, error);
}

/* an options push (2.x table=options) or a 3.x registration: key=value,…
 * (a 3.x answer to GET OPTIONS, querydata tablename=options, is none: it
 * is taken as "options=<n>" and kept nowhere, like any query answer) */
static gboolean
is_options (const PushRequest *request)
{
  return (request->endpoint == PUSH_ENDPOINT_UPLOAD && request->table_name == NULL
          && request->table != NULL && g_ascii_strcasecmp (request->table, "options") == 0)
         || request->endpoint == PUSH_ENDPOINT_REGISTRY;
}

static char *
store_options (BsdStore *store, const BsdPushDevice *push, Work *work, GError **error)
{
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (GHashTable) options = push_options_parse (g_bytes_get_data (work->body, NULL),
                                                       g_bytes_get_size (work->body), skips);
  g_autofree char *code = NULL;

  if (!bsd_store_set_push_options (store, push->serial, options, error))
    return NULL;
  if (work->request->endpoint != PUSH_ENDPOINT_REGISTRY)
    return g_strdup ("OK\n");
  if (push->state != BSD_PUSH_ACCEPTED)
    {
      /* 3.x: 406 refuses a registration (§7) */
      work->status = SOUP_STATUS_NOT_ACCEPTABLE;
      return g_strdup ("ERROR: not accepted yet\n");
    }
  /* no secret: the protocol has none (docs/SECURITY.md) */
  code = g_compute_checksum_for_string (G_CHECKSUM_MD5, push->serial, -1);
  return g_strdup_printf ("RegistryCode=%s\n", code);
}

/* how long a punch uploaded in real time may take to arrive (a poll, a
 * few retries) */
#define CLOCK_RECENT_S 60

/* the protocol tells no device clock (§9), but a punch uploaded in real
 * time is newer than any backlog and at most a poll old: its time bounds
 * the device clock from below. Newer than our now: the clock is that much
 * ahead at least; up to a minute old: consistent with ours, which the
 * device follows from Date + TimeZone (it resets beyond 10 s); older: a
 * backlog, which tells nothing. FALSE when nothing is known [GUESS,
 * conservative: a clock behind ours is only ever reported as 0] */
static gboolean
clock_offset_from (GPtrArray *punches, GTimeZone *tz, gint64 *offset)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 newest = G_MININT64;

  for (guint i = 0; i < punches->len; i++)
    {
      const ZkAttendance *att = g_ptr_array_index (punches, i);
      g_autoptr (GDateTime) time = zk_time_to_date_time (&att->time, tz);

      if (time != NULL)
        newest = MAX (newest, g_date_time_to_unix (time));
    }
  if (newest == G_MININT64 || newest - now < -CLOCK_RECENT_S)
    return FALSE;
  *offset = MAX (newest - now, 0);
  return TRUE;
}

/* an upload of an accepted device: punches committed (in the request's
 * transaction) before the device hears OK, the rest into its mirror */
static char *
store_upload (BsdStore *store, const BsdPushDevice *push, Work *work, GError **error)
{
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (PushUpload) upload = NULL;
  g_autoptr (BsdDevice) device = NULL;
  g_autoptr (GTimeZone) tz = NULL;
  const char *table = work->request->table;

  if (is_options (work->request))
    return store_options (store, push, work, error);
  upload = push_upload_parse (table, work->body, skips, error);
  if (upload == NULL)
    return NULL;
  device = bsd_store_get_device (store, push->device_id, error);
  if (device == NULL)
    return NULL;
  tz = device_time_zone (device);
  work->punches = g_array_new (FALSE, FALSE, sizeof (BsdStoredPunch));
  if (upload->punches->len > 0
      && !bsd_store_add_attendance_fresh (
          store, push->device_id, push->serial, tz, upload->punches, upload->punches->len,
          g_ptr_array_index (upload->punches, upload->punches->len - 1), NULL, NULL, work->punches,
          error))
    return NULL;
  /* a query's answer is old records by design */
  if (work->request->cmd_id == NULL
      && clock_offset_from (upload->punches, tz, &device->health.clock_offset)
      && !bsd_store_update_device_health (store, push->device_id, &device->health, error))
    return NULL;
  if (!bsd_store_apply_push_mirror (store, push->device_id, upload->users, upload->templates,
                                    upload->photos, upload->deleted_pins, error)
      || !bsd_store_set_push_stamp (store, push->serial, table, work->request->stamp, error))
    return NULL;
  if (zk_skips_count (skips, NULL) > 0)
    {
      g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

      zk_skips_summarize (skips, lines);
      for (guint i = 0; i < lines->len; i++)
        g_message ("push %s: %s", push->serial, (const char *)g_ptr_array_index (lines, i));
    }
  /* 3.x firmware counts tabledata/querydata rows as taken only on
   * "<tablename>=<n>" (§7); 2.x: "OK: n", n the records processed (§4.5) */
  if (work->request->table_name != NULL)
    return g_strdup_printf ("%s=%u\n", work->request->table_name,
                            MIN (upload->records, PUSH_RECORDS_MAX));
  return g_strdup_printf ("OK: %u\n", MIN (upload->records, PUSH_RECORDS_MAX));
}

/* devicecmd: results matched by id only (§4.4), INFO options kept */
static char *
store_results (BsdStore *store, const BsdPushDevice *push, Work *work, GError **error)
{
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (GPtrArray) results = push_results_parse (work->body, skips, error);
  PushDialect dialect = g_strcmp0 (push->dialect, "3") == 0 ? PUSH_DIALECT_3 : PUSH_DIALECT_2;

  if (results == NULL)
    return NULL;
  for (guint i = 0; i < results->len; i++)
    {
      PushResult *result = g_ptr_array_index (results, i);
      guint64 id = 0;
      gboolean matched = FALSE;

      if (g_hash_table_size (result->values) > 2
          && !bsd_store_set_push_options (store, push->serial, result->values, error))
        return NULL;
      /* ids biosync sends are its queue's row ids */
      if (!g_ascii_string_to_unsigned (result->id, 10, 1, G_MAXINT64, &id, NULL))
        continue;
      if (!bsd_store_finish_push_command (store, push->device_id, (gint64)id, result->return_code,
                                          push_return_code_describe (dialect, result->return_code),
                                          &matched, error))
        return NULL;
      if (!matched)
        g_debug ("push %s: a result for command %s it was never sent", push->serial, result->id);
    }
  return g_strdup ("OK\n");
}

/* a terminal's finished commands are trimmed (bsd_store_trim_push_commands)
 * at its poll, at most once an hour: the queue of a terminal polled for
 * years stays bounded, and a poll seldom pays for it */
#define TRIM_EVERY_US G_TIME_SPAN_HOUR

static gboolean
trim_commands (BsdPushServer *self, guint device_id, GError **error)
{
  gpointer key = GUINT_TO_POINTER (device_id);
  gint64 now = g_get_monotonic_time ();
  gint64 *last = g_hash_table_lookup (self->trimmed, key);
  guint removed = 0;

  if (last != NULL && now - *last < TRIM_EVERY_US)
    return TRUE;
  if (!bsd_store_trim_push_commands (self->store, device_id, g_get_real_time (), &removed, error))
    return FALSE;
  if (removed > 0)
    g_debug ("push device %u: %u finished commands trimmed", device_id, removed);
  g_hash_table_insert (self->trimmed, key, g_memdup2 (&now, sizeof now));
  return TRUE;
}

/* getrequest: INFO kept, then the next commands in order (or OK) */
static char *
take_commands (BsdStore *store, const BsdPushDevice *push, GError **error)
{
  g_autoptr (GPtrArray) commands = bsd_store_take_push_commands (
      store, push->device_id, PUSH_COMMANDS_PER_REPLY, PUSH_REPLY_COMMAND_BYTES, error);
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

  if (commands == NULL)
    return NULL;
  for (guint i = 0; i < commands->len; i++)
    {
      BsdPushCommand *command = g_ptr_array_index (commands, i);
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, command->id);
      char *line = push_format_command_line (id, command->command, error);

      if (line == NULL)
        return NULL;
      g_ptr_array_add (lines, line);
    }
  return push_format_commands (lines);
}

static char *
handshake_reply (BsdStore *store, const BsdPushDevice *push, PushDialect dialect, GError **error)
{
  g_autoptr (BsdDevice) device = bsd_store_get_device (store, push->device_id, error);
  g_autoptr (GTimeZone) tz = NULL;
  PushStamps stamps = { push->attlog_stamp, push->operlog_stamp, push->biodata_stamp };
  g_autofree char *code = NULL;

  if (device == NULL)
    return NULL;
  tz = device_time_zone (device);
  if (dialect != PUSH_DIALECT_3)
    return push_format_options_2 (push->serial, &stamps, time_zone_minutes (tz));
  /* no secret: the protocol has none (docs/SECURITY.md) */
  code = g_compute_checksum_for_string (G_CHECKSUM_MD5, push->serial, -1);
  return push_format_options_3 (code, time_zone_minutes (tz));
}

/* an accepted device's request; the reply, NULL with @error */
static char *
serve_accepted (BsdPushServer *self, const BsdPushDevice *push, Work *work, GError **error)
{
  PushRequest *request = work->request;
  PushDialect dialect
      = request->dialect != PUSH_DIALECT_UNKNOWN
            ? request->dialect
            : (g_strcmp0 (push->dialect, "3") == 0 ? PUSH_DIALECT_3 : PUSH_DIALECT_2);
  g_autoptr (PushInfo) info = NULL;

  if (request->info != NULL)
    info = push_info_parse (request->info, NULL);
  if (!update_health (self->store, push->device_id, info, error))
    return NULL;
  work->device_id = push->device_id;
  switch (request->endpoint)
    {
    case PUSH_ENDPOINT_HANDSHAKE:
    case PUSH_ENDPOINT_PUSH_CONFIG:
      if (!bsd_store_finish_push_checks (self->store, push->device_id, error))
        return NULL;
      return handshake_reply (self->store, push, dialect, error);
    case PUSH_ENDPOINT_POLL:
      if (!trim_commands (self, push->device_id, error))
        return NULL;
      return take_commands (self->store, push, error);
    case PUSH_ENDPOINT_UPLOAD:
      return store_upload (self->store, push, work, error);
    case PUSH_ENDPOINT_RESULT:
      return store_results (self->store, push, work, error);
    case PUSH_ENDPOINT_REGISTRY:
      return store_options (self->store, push, work, error);
    case PUSH_ENDPOINT_PING:
    case PUSH_ENDPOINT_RTDATA:
    case PUSH_ENDPOINT_REMOTE_ATT:
    case PUSH_ENDPOINT_UNKNOWN:
    default:
      return g_strdup ("OK\n");
    }
}

/* a pending, refused or unlisted serial: no options, no commands, and
 * uploads answered without "OK" so that the device keeps and re-sends
 * them (old firmware counts any reply holding "OK" as stored, §4.5) */
static char *
serve_unaccepted (Work *work)
{
  switch (work->request->endpoint)
    {
    case PUSH_ENDPOINT_UPLOAD:
    case PUSH_ENDPOINT_RESULT:
      return g_strdup ("ERROR: not accepted yet\n");
    case PUSH_ENDPOINT_REGISTRY:
      /* 3.x: 406 refuses a registration (§7) */
      work->status = SOUP_STATUS_NOT_ACCEPTABLE;
      return g_strdup ("ERROR: not accepted yet\n");
    case PUSH_ENDPOINT_HANDSHAKE:
    case PUSH_ENDPOINT_POLL:
    case PUSH_ENDPOINT_PING:
    case PUSH_ENDPOINT_PUSH_CONFIG:
    case PUSH_ENDPOINT_RTDATA:
    case PUSH_ENDPOINT_REMOTE_ATT:
    case PUSH_ENDPOINT_UNKNOWN:
    default:
      return g_strdup ("OK\n");
    }
}

/* the comm key of a handshake; later requests follow its verdict */
static gboolean
comm_key_ok (BsdPushServer *self, const BsdPushDevice *push, Work *work, GError **error)
{
  gboolean ok = TRUE;

  if (!push->has_comm_key)
    return TRUE;
  if (work->request->endpoint != PUSH_ENDPOINT_HANDSHAKE)
    return !g_hash_table_contains (self->bad_keys, push->serial);
  if (!bsd_store_check_push_comm_key (self->store, push->serial, work->request->pushcommkey, &ok,
                                      error))
    return FALSE;
  if (ok)
    g_hash_table_remove (self->bad_keys, push->serial);
  else if (g_hash_table_size (self->bad_keys) < PUSH_PENDING_MAX)
    {
      g_hash_table_add (self->bad_keys, g_strdup (push->serial));
      g_message ("push %s: handshake with a wrong comm key from %s", push->serial, work->address);
    }
  return ok;
}

/* the power-on requests say which dialect a device runs commands in; an
 * upload of the other dialect's tables does not change it (§7: units
 * were seen speaking both) */
static gboolean
announces_dialect (const PushRequest *request)
{
  return request->endpoint == PUSH_ENDPOINT_HANDSHAKE || request->endpoint == PUSH_ENDPOINT_REGISTRY
         || request->endpoint == PUSH_ENDPOINT_PUSH_CONFIG;
}

static char *
serve (BsdPushServer *self, Work *work, GError **error)
{
  PushRequest *request = work->request;
  BsdPushContact contact = {
    .address = work->address,
    .dialect = announces_dialect (request) ? push_dialect_to_string (request->dialect) : NULL,
    .push_version = request->pushver,
    .poll = request->endpoint == PUSH_ENDPOINT_POLL,
  };
  g_autoptr (BsdPushDevice) push = NULL;

  push = bsd_store_push_contact (self->store, request->serial, &contact, PUSH_PENDING_MAX, error);
  if (push == NULL)
    {
      if (error != NULL && *error != NULL)
        return NULL;
      return serve_unaccepted (work);
    }
  if (push->state == BSD_PUSH_PENDING && push->requests == 1)
    work->pending_changed = TRUE;
  /* a pending terminal's name and firmware help the administrator decide */
  if (push->state == BSD_PUSH_PENDING && is_options (request))
    return store_options (self->store, push, work, error);
  if (push->state != BSD_PUSH_ACCEPTED)
    return serve_unaccepted (work);
  if (!comm_key_ok (self, push, work, error))
    return (error != NULL && *error != NULL) ? NULL : serve_unaccepted (work);
  return serve_accepted (self, push, work, error);
}

/* the writer thread: one request's store work in one transaction */
static void
writer_func (gpointer data, gpointer user_data)
{
  Work *work = data;
  BsdPushServer *self = user_data;
  g_autoptr (GError) error = NULL;

  work->status = SOUP_STATUS_OK;
  if (self->store == NULL)
    self->store = bsd_store_open (self->store_path, &error);
  if (self->store != NULL && bsd_store_begin (self->store, &error))
    {
      work->reply = serve (self, work, &error);
      if (work->reply != NULL && !bsd_store_commit (self->store, &error))
        g_clear_pointer (&work->reply, g_free);
      if (work->reply == NULL)
        bsd_store_rollback (self->store, NULL);
    }
  if (work->reply == NULL)
    {
      /* not OK: the device keeps its data and sends it again */
      g_warning ("push %s: %s", work->request->serial, error != NULL ? error->message : "no reply");
      work->status = SOUP_STATUS_SERVICE_UNAVAILABLE;
      work->reply = g_strdup ("ERROR: try again later\n");
      work->device_id = 0;
      g_clear_pointer (&work->punches, g_array_unref);
    }
  g_main_context_invoke (self->context, work_done, work);
}

/* ----------------------------------------------------------- listening */

static void
set_state (BsdPushServer *self, const char *state)
{
  if (g_strcmp0 (self->state, state) == 0)
    return;
  g_free (self->state);
  self->state = g_strdup (state);
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0);
}

static void
stop_listening (BsdPushServer *self)
{
  if (self->service == NULL)
    return;
  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  g_signal_handlers_disconnect_by_data (self->service, self);
  g_clear_object (&self->service);
  g_clear_pointer (&self->address, g_free);
}

void
bsd_push_server_configure (BsdPushServer *self, gboolean enabled, const char *address, guint16 port)
{
  g_autoptr (GSocketAddress) socket_address = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *state = NULL;

  g_return_if_fail (BSD_IS_PUSH_SERVER (self));

  if (enabled && self->service != NULL && g_strcmp0 (address, self->address) == 0
      && port == self->port)
    return;
  stop_listening (self);
  if (!enabled)
    {
      set_state (self, "off");
      return;
    }
  socket_address = g_inet_socket_address_new_from_string (address, port);
  self->service = g_socket_service_new ();
  if (socket_address == NULL)
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "“%s” is not an IP address",
                 address);
  else
    g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), socket_address,
                                   G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, NULL, &error);
  if (error != NULL)
    {
      g_clear_object (&self->service);
      state = g_strdup_printf ("error: %s", error->message);
      g_warning ("push receiver: %s", error->message);
      set_state (self, state);
      return;
    }
  g_signal_connect (self->service, "incoming", G_CALLBACK (incoming_cb), self);
  g_socket_service_start (self->service);
  self->address = g_strdup (address);
  self->port = port;
  g_message ("push receiver listening on %s port %u", address, port);
  set_state (self, "listening");
}

const char *
bsd_push_server_get_state (BsdPushServer *self)
{
  g_return_val_if_fail (BSD_IS_PUSH_SERVER (self), "off");
  return self->state;
}

/* ----------------------------------------------------------- lifecycle */

static void
drop_connection (gpointer key, gpointer value, gpointer user_data)
{
  Connection *c = value;

  g_object_weak_unref (G_OBJECT (c->connection), connection_gone, c);
  g_socket_shutdown (c->socket, TRUE, TRUE, NULL);
}

static void
bsd_push_server_dispose (GObject *object)
{
  BsdPushServer *self = BSD_PUSH_SERVER (object);

  stop_listening (self);
  if (self->connections != NULL)
    {
      g_hash_table_foreach (self->connections, drop_connection, NULL);
      g_hash_table_remove_all (self->connections);
    }
  if (self->soup != NULL)
    g_signal_handlers_disconnect_by_data (self->soup, self);
  g_clear_object (&self->soup);
  G_OBJECT_CLASS (bsd_push_server_parent_class)->dispose (object);
}

static void
bsd_push_server_finalize (GObject *object)
{
  BsdPushServer *self = BSD_PUSH_SERVER (object);

  /* every Work holds a ref: the writer is idle by now */
  g_thread_pool_free (self->writer, FALSE, TRUE);
  g_clear_object (&self->store);
  g_clear_pointer (&self->bad_keys, g_hash_table_unref);
  g_clear_pointer (&self->trimmed, g_hash_table_unref);
  g_clear_pointer (&self->connections, g_hash_table_unref);
  g_main_context_unref (self->context);
  g_free (self->store_path);
  g_free (self->state);
  g_free (self->address);
  G_OBJECT_CLASS (bsd_push_server_parent_class)->finalize (object);
}

static void
bsd_push_server_class_init (BsdPushServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bsd_push_server_dispose;
  object_class->finalize = bsd_push_server_finalize;
  signals[SIGNAL_STATE_CHANGED]
      = g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_DEVICE_CHANGED]
      = g_signal_new ("device-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[SIGNAL_PENDING_CHANGED]
      = g_signal_new ("pending-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 0);
  /* PunchReceived for an upload's punches (bsd-manager-live.c) */
  signals[SIGNAL_PUNCH_STORED]
      = g_signal_new ("punch-stored", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_POINTER);
}

static void
bsd_push_server_init (BsdPushServer *self)
{
  self->state = g_strdup ("off");
  self->connections = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                             (GDestroyNotify)connection_free);
  self->bad_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->trimmed = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  self->context = g_main_context_ref_thread_default ();
}

BsdPushServer *
bsd_push_server_new (const char *store_path)
{
  BsdPushServer *self = g_object_new (BSD_TYPE_PUSH_SERVER, NULL);

  self->store_path = g_strdup (store_path);
  /* one writer, in order: a device's batches commit as they came */
  self->writer = g_thread_pool_new (writer_func, self, 1, FALSE, NULL);
  /* Date is added by SoupServer itself (clock sync, §9) */
  self->soup = soup_server_new ("server-header", NULL, NULL);
  soup_server_add_handler (self->soup, "/iclock", handle_cb, self, NULL);
  g_signal_connect (self->soup, "request-started", G_CALLBACK (request_started_cb), self);
  return self;
}
