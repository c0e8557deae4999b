/* zk-socket-connection.c — ZkSocketConnection: the wire is a GSocket
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TCP, or UDP connected to the terminal; non-blocking, and every wait is
 * g_socket_condition_timed_wait() up to the deadline ZkConnection gives,
 * so that a GCancellable interrupts it at once.
 */
#include "config.h"

#include "zk-packet.h"
#include "zk-socket-connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

struct _ZkSocketConnection
{
  ZkConnection parent_instance;

  GInetAddress *address;
  GSocket *socket;
};

G_DEFINE_FINAL_TYPE (ZkSocketConnection, zk_socket_connection, ZK_TYPE_CONNECTION)

/* converts a GIO error into the ZkError domain; takes @local */
static void
propagate_gio_error (GError **error, GError *local, ZkErrorCode fallback)
{
  ZkErrorCode code = fallback;

  if (local->domain == ZK_ERROR)
    {
      g_propagate_error (error, local);
      return;
    }
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    code = ZK_ERROR_CANCELLED;
  else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    code = ZK_ERROR_TIMED_OUT;
  else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)
           || g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)
           || g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED))
    code = ZK_ERROR_CLOSED;
  else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE)
           || g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE)
           || g_error_matches (local, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND)
           || local->domain == G_RESOLVER_ERROR)
    code = ZK_ERROR_UNREACHABLE;

  if (code == ZK_ERROR_CANCELLED)
    g_set_error_literal (error, ZK_ERROR, code, "cancelled");
  else
    g_set_error_literal (error, ZK_ERROR, code, local->message);
  g_error_free (local);
}

/* @deadline was capped by ZkConnection: nothing waits past the caller's */
static gboolean
wait_condition (ZkSocketConnection *self,
                GIOCondition condition,
                gint64 deadline,
                GCancellable *cancellable,
                GError **error)
{
  g_autoptr (GError) local = NULL;
  gint64 remaining = MAX (deadline - g_get_monotonic_time (), 0);

  if (self->socket == NULL)
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_CLOSED, "not connected");
      return FALSE;
    }
  if (!g_socket_condition_timed_wait (self->socket, condition, remaining, cancellable, &local))
    {
      propagate_gio_error (error, g_steal_pointer (&local), ZK_ERROR_CLOSED);
      return FALSE;
    }
  return TRUE;
}

static gboolean
resolve (ZkSocketConnection *self, GCancellable *cancellable, GError **error)
{
  const char *host = zk_connection_get_host (ZK_CONNECTION (self));
  g_autoptr (GInetAddress) address = NULL;
  g_autoptr (GResolver) resolver = NULL;
  g_autoptr (GError) local = NULL;
  GList *list;
  GList *l;

  if (self->address)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  if (address != NULL)
    {
      self->address = g_steal_pointer (&address);
      return TRUE;
    }
  resolver = g_resolver_get_default ();
  list = g_resolver_lookup_by_name (resolver, host, cancellable, &local);
  if (list == NULL)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        propagate_gio_error (error, g_steal_pointer (&local), ZK_ERROR_UNREACHABLE);
      else
        g_set_error (error, ZK_ERROR, ZK_ERROR_UNREACHABLE, "cannot resolve %s: %s", host,
                     local ? local->message : "no address");
      return FALSE;
    }
  /* devices live on IPv4 networks; prefer that */
  for (l = list; l; l = l->next)
    if (g_inet_address_get_family (l->data) == G_SOCKET_FAMILY_IPV4)
      break;
  self->address = g_object_ref (l ? l->data : list->data);
  g_resolver_free_addresses (list);
  return TRUE;
}

/* a TCP connect that is not done at once: by @deadline, or never */
static gboolean
finish_connect (ZkSocketConnection *self,
                GSocket *sock,
                gint64 deadline,
                GCancellable *cancellable,
                GError **error)
{
  g_autoptr (GError) local = NULL;

  if (!g_socket_condition_timed_wait (sock, G_IO_OUT, MAX (deadline - g_get_monotonic_time (), 0),
                                      cancellable, &local))
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_TIMED_OUT,
                       "TCP connection not established within %u ms",
                       zk_connection_get_timeout (ZK_CONNECTION (self)));
          return FALSE;
        }
      propagate_gio_error (error, g_steal_pointer (&local), ZK_ERROR_UNREACHABLE);
      return FALSE;
    }
  if (!g_socket_check_connect_result (sock, &local))
    {
      propagate_gio_error (error, g_steal_pointer (&local), ZK_ERROR_UNREACHABLE);
      return FALSE;
    }
  return TRUE;
}

static gboolean
socket_open (ZkConnection *connection,
             ZkTransport transport,
             gint64 deadline,
             GCancellable *cancellable,
             GError **error)
{
  ZkSocketConnection *self = ZK_SOCKET_CONNECTION (connection);
  g_autoptr (GError) local = NULL;
  g_autoptr (GSocket) sock = NULL;
  g_autoptr (GSocketAddress) sa = NULL;
  gboolean tcp = transport == ZK_TRANSPORT_TCP;

  if (!resolve (self, cancellable, error))
    return FALSE;
  sock = g_socket_new (g_inet_address_get_family (self->address),
                       tcp ? G_SOCKET_TYPE_STREAM : G_SOCKET_TYPE_DATAGRAM,
                       tcp ? G_SOCKET_PROTOCOL_TCP : G_SOCKET_PROTOCOL_UDP, &local);
  if (sock == NULL)
    {
      propagate_gio_error (error, g_steal_pointer (&local), ZK_ERROR_FAILED);
      return FALSE;
    }
  g_socket_set_blocking (sock, FALSE);
  if (tcp)
    g_socket_set_option (sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  else
    g_socket_set_option (sock, SOL_SOCKET, SO_RCVBUF, 1024 * 1024, NULL);

  sa = g_inet_socket_address_new (self->address, zk_connection_get_port (connection));
  if (!g_socket_connect (sock, sa, cancellable, &local))
    {
      if (!g_error_matches (local, G_IO_ERROR, G_IO_ERROR_PENDING))
        {
          propagate_gio_error (error, g_steal_pointer (&local), ZK_ERROR_UNREACHABLE);
          return FALSE;
        }
      if (!finish_connect (self, sock, deadline, cancellable, error))
        return FALSE;
    }
  self->socket = g_steal_pointer (&sock);
  return TRUE;
}

static void
socket_close (ZkConnection *connection)
{
  ZkSocketConnection *self = ZK_SOCKET_CONNECTION (connection);

  if (self->socket)
    {
      g_socket_close (self->socket, NULL);
      g_clear_object (&self->socket);
    }
}

static gboolean
socket_is_open (ZkConnection *connection)
{
  return ZK_SOCKET_CONNECTION (connection)->socket != NULL;
}

/* a device that does not read cannot hold us past @deadline */
static gboolean
socket_send (ZkConnection *connection,
             const guint8 *data,
             gsize len,
             gint64 deadline,
             GCancellable *cancellable,
             GError **error)
{
  ZkSocketConnection *self = ZK_SOCKET_CONNECTION (connection);
  gboolean udp = zk_connection_get_transport (connection) == ZK_TRANSPORT_UDP;
  gsize done = 0;

  if (self->socket == NULL)
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_CLOSED, "not connected");
      return FALSE;
    }
  while (done < len)
    {
      g_autoptr (GError) local = NULL;
      gssize n = g_socket_send (self->socket, (const char *)data + done, len - done, cancellable,
                                &local);

      if (n < 0)
        {
          if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              if (!wait_condition (self, G_IO_OUT, deadline, cancellable, error))
                return FALSE;
              continue;
            }
          propagate_gio_error (error, g_steal_pointer (&local), ZK_ERROR_CLOSED);
          return FALSE;
        }
      done += (gsize)n;
      /* a datagram goes out whole or not at all */
      if (udp)
        break;
    }
  return TRUE;
}

/* what a failed receive means, as a ZkError; takes @local */
static void
receive_error (gboolean udp, GError *local, GError **error)
{
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    propagate_gio_error (error, local, ZK_ERROR_CLOSED);
  else if (udp && g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_CLOSED,
                           "device refused the datagram (port unreachable)");
      g_error_free (local);
    }
  else if (udp)
    propagate_gio_error (error, local, ZK_ERROR_CLOSED);
  else
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_CLOSED, "connection lost: %s", local->message);
      g_error_free (local);
    }
}

static gssize
socket_receive (ZkConnection *connection,
                guint8 *buffer,
                gsize size,
                gint64 deadline,
                GCancellable *cancellable,
                GError **error)
{
  ZkSocketConnection *self = ZK_SOCKET_CONNECTION (connection);
  gboolean udp = zk_connection_get_transport (connection) == ZK_TRANSPORT_UDP;
  g_autoptr (GError) local = NULL;
  gssize n;

  if (!wait_condition (self, G_IO_IN, deadline, cancellable, error))
    return -1;
  n = g_socket_receive (self->socket, (char *)buffer, size, cancellable, &local);
  if (n < 0 && g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return 0;
  if (n < 0)
    {
      receive_error (udp, g_steal_pointer (&local), error);
      return -1;
    }
  /* a datagram may be empty; a stream ends */
  if (n == 0 && !udp)
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_CLOSED, "device closed the connection");
      return -1;
    }
#ifdef TCP_QUICKACK
  /* ack at once: a sender that writes each stream packet separately and
   * runs Nagle's algorithm would otherwise wait for our delayed ACK
   * before every packet (the kernel falls back to delayed ACKs by itself) */
  if (!udp)
    g_socket_set_option (self->socket, IPPROTO_TCP, TCP_QUICKACK, 1, NULL);
#endif
  return n;
}

static void
zk_socket_connection_finalize (GObject *object)
{
  ZkSocketConnection *self = ZK_SOCKET_CONNECTION (object);

  socket_close (ZK_CONNECTION (self));
  g_clear_object (&self->address);
  G_OBJECT_CLASS (zk_socket_connection_parent_class)->finalize (object);
}

static void
zk_socket_connection_class_init (ZkSocketConnectionClass *klass)
{
  ZkConnectionClass *connection_class = ZK_CONNECTION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = zk_socket_connection_finalize;
  connection_class->open = socket_open;
  connection_class->close = socket_close;
  connection_class->is_open = socket_is_open;
  connection_class->send = socket_send;
  connection_class->receive = socket_receive;
}

static void
zk_socket_connection_init (ZkSocketConnection *self)
{
}

ZkConnection *
zk_socket_connection_new (const char *host, guint16 port)
{
  g_return_val_if_fail (host != NULL, NULL);

  return g_object_new (ZK_TYPE_SOCKET_CONNECTION, "host", host, "port",
                       (guint)(port ? port : ZK_DEFAULT_PORT), NULL);
}
