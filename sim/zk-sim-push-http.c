/* zk-sim-push-http.c — ZkSimPushHttp: a push terminal's HTTP client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GIO sockets rather than libsoup: firmware writes its requests by hand
 * (no Content-Type, Connection: close, HTTP/1.0 on old units), and a
 * hand-written client shows exactly those bytes to the server under test
 * and nothing a library adds.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "zk-error.h"
#include "zk-sim-push-http.h"

#define DEFAULT_TIMEOUT_S 20

struct _ZkSimPushHttp
{
  GObject parent_instance;

  GMutex lock; /* guards everything below */
  char *url;   /* as given */
  char *host;
  guint16 port;
  char *prefix; /* path before /iclock/, no trailing slash */
  gboolean http10;
  gboolean aspx;
  gboolean acc;
  guint timeout_s;
  guint64 sent;
  guint64 received;
};

G_DEFINE_FINAL_TYPE (ZkSimPushHttp, zk_sim_push_http, G_TYPE_OBJECT)

void
zk_sim_push_reply_free (ZkSimPushReply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->content_type);
  g_clear_pointer (&reply->body, g_bytes_unref);
  g_free (reply);
}

gboolean
zk_sim_push_reply_is_ok (const ZkSimPushReply *reply)
{
  gsize len;
  const char *data = g_bytes_get_data (reply->body, &len);

  /* old firmware only trusts text/plain replies */
  return reply->status == 200 && reply->content_type != NULL
         && g_ascii_strncasecmp (reply->content_type, "text/plain", 10) == 0
         && g_strstr_len (data, (gssize)len, "OK") != NULL;
}

static void
zk_sim_push_http_finalize (GObject *object)
{
  ZkSimPushHttp *self = ZK_SIM_PUSH_HTTP (object);

  g_free (self->url);
  g_free (self->host);
  g_free (self->prefix);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (zk_sim_push_http_parent_class)->finalize (object);
}

static void
zk_sim_push_http_class_init (ZkSimPushHttpClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = zk_sim_push_http_finalize;
}

static void
zk_sim_push_http_init (ZkSimPushHttp *self)
{
  g_mutex_init (&self->lock);
  self->timeout_s = DEFAULT_TIMEOUT_S;
}

ZkSimPushHttp *
zk_sim_push_http_new (void)
{
  return g_object_new (ZK_TYPE_SIM_PUSH_HTTP, NULL);
}

gboolean
zk_sim_push_http_set_server (ZkSimPushHttp *self, const char *url, GError **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *prefix = NULL;
  int port;

  g_return_val_if_fail (ZK_IS_SIM_PUSH_HTTP (self), FALSE);
  if (url == NULL || url[0] == '\0')
    {
      g_mutex_lock (&self->lock);
      g_clear_pointer (&self->url, g_free);
      g_clear_pointer (&self->host, g_free);
      g_mutex_unlock (&self->lock);
      return TRUE;
    }
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, &local);
  if (uri == NULL)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "server URL: %s", local->message);
      return FALSE;
    }
  /* the simulator speaks plain HTTP only, like the units that need a relay */
  if (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 || g_uri_get_host (uri) == NULL
      || g_uri_get_query (uri) != NULL)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "server URL: expected http://HOST:PORT, got “%s”", url);
      return FALSE;
    }
  port = g_uri_get_port (uri);
  prefix = g_strdup (g_uri_get_path (uri));
  while (prefix[0] != '\0' && prefix[strlen (prefix) - 1] == '/')
    prefix[strlen (prefix) - 1] = '\0';
  g_mutex_lock (&self->lock);
  g_free (self->url);
  self->url = g_strdup (url);
  g_free (self->host);
  self->host = g_strdup (g_uri_get_host (uri));
  self->port = port > 0 ? (guint16)port : 80;
  g_free (self->prefix);
  self->prefix = g_steal_pointer (&prefix);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

char *
zk_sim_push_http_dup_server (ZkSimPushHttp *self)
{
  char *url;

  g_mutex_lock (&self->lock);
  url = g_strdup (self->url);
  g_mutex_unlock (&self->lock);
  return url;
}

gboolean
zk_sim_push_http_has_server (ZkSimPushHttp *self)
{
  gboolean has;

  g_mutex_lock (&self->lock);
  has = self->host != NULL;
  g_mutex_unlock (&self->lock);
  return has;
}

void
zk_sim_push_http_set_http10 (ZkSimPushHttp *self, gboolean http10)
{
  g_mutex_lock (&self->lock);
  self->http10 = http10;
  g_mutex_unlock (&self->lock);
}

void
zk_sim_push_http_set_aspx (ZkSimPushHttp *self, gboolean aspx)
{
  g_mutex_lock (&self->lock);
  self->aspx = aspx;
  g_mutex_unlock (&self->lock);
}

void
zk_sim_push_http_set_acc (ZkSimPushHttp *self, gboolean acc)
{
  g_mutex_lock (&self->lock);
  self->acc = acc;
  g_mutex_unlock (&self->lock);
}

void
zk_sim_push_http_set_timeout (ZkSimPushHttp *self, guint seconds)
{
  g_mutex_lock (&self->lock);
  self->timeout_s = MAX (seconds, 1);
  g_mutex_unlock (&self->lock);
}

void
zk_sim_push_http_get_bytes (ZkSimPushHttp *self, guint64 *sent, guint64 *received)
{
  g_mutex_lock (&self->lock);
  *sent = self->sent;
  *received = self->received;
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------ reading */

typedef struct
{
  GSocket *socket;
  GInputStream *in;
  gint64 deadline; /* monotonic µs */
  GCancellable *cancellable;
  GByteArray *data;
  gboolean eof;
} Reader;

/* reads what comes (at least one byte, or end of stream) before the
 * deadline; never more than @limit bytes in all */
static gboolean
reader_fill (Reader *r, gsize limit, GError **error)
{
  guint8 chunk[8192];
  gint64 left = r->deadline - g_get_monotonic_time ();
  gssize n;

  if (left <= 0)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_TIMED_OUT, "no complete reply in time");
      return FALSE;
    }
  if (r->data->len >= limit)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                   "reply longer than %" G_GSIZE_FORMAT " bytes", limit);
      return FALSE;
    }
  /* a trickling server gets no more than the time left */
  g_socket_set_timeout (r->socket, (guint)MAX (1, (left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC));
  n = g_input_stream_read (r->in, chunk, MIN (sizeof chunk, limit - r->data->len), r->cancellable,
                           error);
  if (n < 0)
    return FALSE;
  if (n == 0)
    r->eof = TRUE;
  g_byte_array_append (r->data, chunk, (guint)n);
  return TRUE;
}

static gssize
find_header_end (const GByteArray *data, gsize *sep_len)
{
  for (gsize i = 0; i + 1 < data->len; i++)
    {
      if (data->data[i] == '\n' && data->data[i + 1] == '\n')
        {
          *sep_len = 2;
          return (gssize)i;
        }
      if (i + 3 < data->len && memcmp (data->data + i, "\r\n\r\n", 4) == 0)
        {
          *sep_len = 4;
          return (gssize)i;
        }
    }
  return -1;
}

static gint64
parse_date (const char *value)
{
  static const char *const months[]
      = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  char month[4] = "";
  int day, year, hour, minute, second;
  g_autoptr (GDateTime) dt = NULL;

  /* RFC 1123: "Sun, 06 Nov 1994 08:49:37 GMT" */
  if (sscanf (value, "%*3s, %d %3s %d %d:%d:%d GMT", &day, month, &year, &hour, &minute, &second)
      != 6)
    return -1;
  for (int m = 0; m < 12; m++)
    if (g_str_equal (month, months[m]))
      dt = g_date_time_new_utc (year, m + 1, day, hour, minute, second);
  return dt != NULL ? g_date_time_to_unix (dt) : -1;
}

typedef struct
{
  gint64 content_length; /* -1 = until the connection closes */
  gboolean chunked;
} Framing;

/* the status line and the headers we act on */
static gboolean
parse_head (const char *head, ZkSimPushReply *reply, Framing *framing, GError **error)
{
  g_auto (GStrv) lines = g_regex_split_simple ("\r?\n", head, 0, 0);
  guint status;
  char space;

  framing->content_length = -1;
  /* old firmware wants exactly "HTTP/1.x NNN " */
  if (lines[0] == NULL || !g_str_has_prefix (lines[0], "HTTP/1.")
      || sscanf (lines[0] + 7, "%*1[01] %3u%c", &status, &space) != 2 || space != ' ')
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL, "bad status line “%.40s”",
                   lines[0] ? lines[0] : "");
      return FALSE;
    }
  reply->status = status;
  for (guint i = 1; lines[i] != NULL; i++)
    {
      char *colon = strchr (lines[i], ':');
      g_autofree char *name = NULL;
      const char *value;

      if (colon == NULL)
        continue;
      name = g_strndup (lines[i], (gsize)(colon - lines[i]));
      value = colon + 1;
      while (*value == ' ' || *value == '\t')
        value++;
      if (g_ascii_strcasecmp (name, "Content-Type") == 0)
        {
          g_free (reply->content_type);
          reply->content_type = g_strdup (value);
        }
      else if (g_ascii_strcasecmp (name, "Date") == 0)
        reply->date = parse_date (value);
      else if (g_ascii_strcasecmp (name, "Transfer-Encoding") == 0)
        framing->chunked = g_ascii_strncasecmp (value, "chunked", 7) == 0;
      else if (g_ascii_strcasecmp (name, "Content-Length") == 0)
        {
          g_autofree char *digits = g_strstrip (g_strdup (value));
          guint64 length;

          if (!g_ascii_string_to_unsigned (digits, 10, 0, ZK_SIM_PUSH_REPLY_MAX, &length, NULL))
            {
              g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL, "bad or too large Content-Length");
              return FALSE;
            }
          framing->content_length = (gint64)length;
        }
    }
  return TRUE;
}

/* chunked bodies: hex size line, data, CRLF … until a 0 chunk */
static gboolean
dechunk (
    const guint8 *data, gsize len, gboolean eof, GByteArray *out, gboolean *done, GError **error)
{
  gsize pos = 0;

  *done = FALSE;
  g_byte_array_set_size (out, 0);
  while (pos < len)
    {
      const guint8 *nl = memchr (data + pos, '\n', len - pos);
      g_autofree char *line = NULL;
      guint64 size;

      if (nl == NULL)
        break;
      line = g_strndup ((const char *)data + pos, (gsize)(nl - (data + pos)));
      g_strstrip (line);
      if (strchr (line, ';') != NULL)
        *strchr (line, ';') = '\0';
      if (!g_ascii_string_to_unsigned (line, 16, 0, ZK_SIM_PUSH_REPLY_MAX, &size, NULL))
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL, "bad chunk size");
          return FALSE;
        }
      pos = (gsize)(nl - data) + 1;
      if (size == 0)
        {
          *done = TRUE;
          return TRUE;
        }
      if (len - pos < size + 1)
        break;
      g_byte_array_append (out, data + pos, (guint)size);
      pos += size;
      if (data[pos] == '\r')
        pos++;
      if (pos < len && data[pos] == '\n')
        pos++;
    }
  if (eof)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL, "chunked reply cut short");
      return FALSE;
    }
  return TRUE;
}

static ZkSimPushReply *
read_reply (Reader *r, GError **error)
{
  g_autoptr (ZkSimPushReply) reply = g_new0 (ZkSimPushReply, 1);
  g_autoptr (GByteArray) body = g_byte_array_new ();
  g_autofree char *head = NULL;
  Framing framing = { 0 };
  gsize sep = 0, start;
  gssize end;

  reply->date = -1;
  while ((end = find_header_end (r->data, &sep)) < 0)
    {
      if (r->eof)
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL, "connection closed before the headers");
          return NULL;
        }
      if (!reader_fill (r, ZK_SIM_PUSH_HEADERS_MAX, error))
        return NULL;
    }
  head = g_strndup ((const char *)r->data->data, (gsize)end);
  if (!parse_head (head, reply, &framing, error))
    return NULL;
  start = (gsize)end + sep;
  for (;;)
    {
      const guint8 *data = r->data->data + start;
      gsize have = r->data->len - start;
      gboolean done = FALSE;

      if (framing.chunked && !dechunk (data, have, r->eof, body, &done, error))
        return NULL;
      else if (!framing.chunked && framing.content_length >= 0
               && have >= (gsize)framing.content_length)
        {
          g_byte_array_append (body, data, (guint)framing.content_length);
          done = TRUE;
        }
      else if (!framing.chunked && r->eof)
        {
          if (framing.content_length >= 0)
            {
              g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL, "reply shorter than its length");
              return NULL;
            }
          g_byte_array_append (body, data, (guint)have);
          done = TRUE;
        }
      if (done)
        break;
      if (!reader_fill (r, start + ZK_SIM_PUSH_REPLY_MAX + 64, error))
        return NULL;
    }
  reply->body = g_byte_array_free_to_bytes (g_steal_pointer (&body));
  return g_steal_pointer (&reply);
}

/* ------------------------------------------------------------ requests */

static GBytes *
build_request (ZkSimPushHttp *self,
               const char *endpoint,
               const char *query,
               GBytes *body,
               char **host,
               guint16 *port)
{
  GString *req = g_string_new (NULL);

  g_mutex_lock (&self->lock);
  g_string_append_printf (req, "%s %s/iclock/%s%s?%s HTTP/1.%c\r\n", body ? "POST" : "GET",
                          self->prefix, endpoint, self->aspx ? ".aspx" : "", query,
                          self->http10 ? '0' : '1');
  g_string_append_printf (req, "Host: %s:%u\r\n", self->host, self->port);
  g_string_append_printf (req,
                          "User-Agent: iClock Proxy/1.09\r\nConnection: close\r\nAccept: %s\r\n",
                          self->acc ? "application/push" : "*/*");
  /* 2.x firmware sends no Content-Type; 3.x examples do (§2) */
  if (body != NULL && self->acc)
    g_string_append (req, "Content-Type: application/push;charset=UTF-8\r\n");
  if (body != NULL)
    g_string_append_printf (req, "Content-Length: %" G_GSIZE_FORMAT "\r\n",
                            g_bytes_get_size (body));
  g_string_append (req, "\r\n");
  if (body != NULL)
    g_string_append_len (req, g_bytes_get_data (body, NULL), (gssize)g_bytes_get_size (body));
  *host = g_strdup (self->host);
  *port = self->port;
  g_mutex_unlock (&self->lock);
  return g_string_free_to_bytes (req);
}

ZkSimPushReply *
zk_sim_push_http_request (ZkSimPushHttp *self,
                          const char *endpoint,
                          const char *query,
                          GBytes *body,
                          GCancellable *cancellable,
                          GError **error)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GBytes) request = NULL;
  g_autoptr (GByteArray) data = g_byte_array_new ();
  g_autofree char *host = NULL;
  ZkSimPushReply *reply;
  guint16 port;
  guint timeout;
  Reader r = { 0 };

  g_return_val_if_fail (ZK_IS_SIM_PUSH_HTTP (self), NULL);
  if (!zk_sim_push_http_has_server (self))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_UNREACHABLE, "no server set");
      return NULL;
    }
  request = build_request (self, endpoint, query, body, &host, &port);
  g_mutex_lock (&self->lock);
  timeout = self->timeout_s;
  g_mutex_unlock (&self->lock);
  r.deadline = g_get_monotonic_time () + (gint64)timeout * G_USEC_PER_SEC;
  g_socket_client_set_timeout (client, timeout);
  /* firmware connects straight to its server: no system proxy, no
   * http_proxy from the environment */
  g_socket_client_set_enable_proxy (client, FALSE);
  connection = g_socket_client_connect_to_host (client, host, port, cancellable, error);
  if (connection == NULL
      || !g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                     g_bytes_get_data (request, NULL), g_bytes_get_size (request),
                                     NULL, cancellable, error))
    return NULL;
  g_mutex_lock (&self->lock);
  self->sent += g_bytes_get_size (request);
  g_mutex_unlock (&self->lock);
  r.socket = g_socket_connection_get_socket (connection);
  r.in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  r.cancellable = cancellable;
  r.data = data;
  reply = read_reply (&r, error);
  g_mutex_lock (&self->lock);
  self->received += data->len;
  g_mutex_unlock (&self->lock);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return reply;
}
