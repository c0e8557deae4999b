/* zk-sim-server.c — ZkSimServer: TCP and UDP transports for ZkSimDevice
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One thread, one GMainContext, non-blocking sockets: a slow or hung
 * connection only ever waits on its own timers and watches, so hundreds
 * of devices share the loop. Replies are queued with a due time (latency,
 * pacing, bandwidth) and each packet is its own write.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "zk-error.h"
#include "zk-sim-fixture.h"
#include "zk-packet.h"
#include "zk-sim-server-private.h"

/* a client that floods us with requests while we stream is cut off */
#define INPUT_MAX (ZK_TCP_MAX_PACKET + 4 * ZK_TCP_WRAPPER_SIZE)
#define UDP_PEERS_MAX 256
/* datagrams handled per wake-up, so one busy device cannot starve others */
#define UDP_BATCH 64
/* a flooding connection yields to the others after this many packets */
#define FLOOD_BATCH 64

typedef struct _Slot Slot;

typedef struct
{
  GBytes *data;   /* what goes on the wire (TCP: wrapper included) */
  gint64 due;     /* monotonic µs */
  guint64 repeat; /* times still to send (hostile floods; ZK_SIM_FOREVER = endless) */
} OutItem;

typedef struct
{
  Slot *slot;
  gboolean udp;
  GSocket *socket;      /* TCP: the connection; UDP: the device socket (borrowed) */
  GSocketAddress *peer; /* UDP */
  char *key;            /* UDP peer key */
  ZkSimSession *session;
  GByteArray *in;
  GSource *in_source;
  GSource *out_source;
  GSource *timer;
  GQueue out;
  gsize out_offset;
  int close_after;  /* packets still to write before closing, -1 = never */
  guint trickle_ms; /* hostile: one byte (UDP: one datagram) at a time, this far apart */
  guint burst;      /* repeated packets sent since the loop last ran */
  gboolean hung;
  gboolean processing;
  gboolean closed;
  gint64 last_used;
} Conn;

struct _Slot
{
  ZkSimServer *server;
  guint index;
  ZkSimDevice *device;
  GSocket *tcp;
  GSource *tcp_source;
  guint16 tcp_port;
  GSocket *udp;
  GSource *udp_source;
  guint16 udp_port;
  GList *conns;      /* TCP Conn* */
  GHashTable *peers; /* key → UDP Conn* */
};

struct _ZkSimServer
{
  GObject parent_instance;

  GPtrArray *devices;      /* ZkSimDevice* and ZkSimPushDevice*, fixture order */
  GPtrArray *slots;        /* Slot* */
  GPtrArray *push_devices; /* ZkSimPushDevice*, each on its own thread */
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GMutex lock; /* guards running/thread */
  gboolean running;
  ZkSimSessionMeter *meter; /* sessions open at once over all devices */
};

G_DEFINE_FINAL_TYPE (ZkSimServer, zk_sim_server, G_TYPE_OBJECT)

static void conn_pump (Conn *conn);
static void conn_process_input (Conn *conn);

/* ------------------------------------------------------------ connections */

static void
out_item_free (OutItem *item)
{
  g_bytes_unref (item->data);
  g_free (item);
}

static void
destroy_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static gboolean
conn_free_cb (gpointer user_data)
{
  Conn *conn = user_data;

  g_clear_object (&conn->peer);
  g_clear_pointer (&conn->in, g_byte_array_unref);
  g_free (conn->key);
  g_free (conn);
  return G_SOURCE_REMOVE;
}

/* releases everything at once but frees @conn itself only from an idle
 * callback: callers up the stack may still look at conn->closed */
static void
conn_close (Conn *conn)
{
  Slot *slot = conn->slot;
  GSource *idle;

  if (conn->closed)
    return;
  conn->closed = TRUE;
  destroy_source (&conn->in_source);
  destroy_source (&conn->out_source);
  destroy_source (&conn->timer);
  g_queue_clear_full (&conn->out, (GDestroyNotify)out_item_free);
  if (conn->session != NULL)
    zk_sim_session_free (g_steal_pointer (&conn->session));
  if (conn->udp)
    g_hash_table_steal (slot->peers, conn->key);
  else
    {
      slot->conns = g_list_remove (slot->conns, conn);
      g_socket_close (conn->socket, NULL);
      g_clear_object (&conn->socket);
    }
  idle = g_idle_source_new ();
  g_source_set_callback (idle, conn_free_cb, conn, NULL);
  g_source_attach (idle, slot->server->context);
  g_source_unref (idle);
}

static gboolean
conn_timer_cb (gpointer user_data)
{
  Conn *conn = user_data;

  g_clear_pointer (&conn->timer, g_source_unref);
  conn_pump (conn);
  return G_SOURCE_REMOVE;
}

static gboolean
conn_writable_cb (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Conn *conn = user_data;

  g_clear_pointer (&conn->out_source, g_source_unref);
  conn_pump (conn);
  return G_SOURCE_REMOVE;
}

/* returns FALSE when the connection was closed */
static gboolean
conn_after_packet (Conn *conn)
{
  if (conn->close_after > 0 && --conn->close_after == 0)
    {
      conn_close (conn);
      return FALSE;
    }
  return TRUE;
}

/* @item (the head) went out whole: pops it unless it repeats; FALSE
 * when the connection was closed */
static gboolean
conn_item_sent (Conn *conn, OutItem *item)
{
  gint64 now = g_get_monotonic_time ();

  if (item->repeat > 1)
    {
      if (item->repeat != ZK_SIM_FOREVER)
        item->repeat--;
      /* a flood must not starve the other terminals of this loop */
      if (++conn->burst >= FLOOD_BATCH)
        {
          conn->burst = 0;
          item->due = now + 1000;
        }
    }
  else
    {
      out_item_free (g_queue_pop_head (&conn->out));
      item = g_queue_peek_head (&conn->out);
    }
  if (item != NULL && conn->trickle_ms > 0)
    item->due = MAX (item->due, now + (gint64)conn->trickle_ms * 1000);
  return conn_after_packet (conn);
}

static void
conn_pump (Conn *conn)
{
  Slot *slot = conn->slot;

  /* held: nothing goes out and nothing is taken in until the release
   * kicks the slot (slot_job_cb) */
  if (zk_sim_device_is_held (slot->device))
    return;
  while (!g_queue_is_empty (&conn->out))
    {
      OutItem *item = g_queue_peek_head (&conn->out);
      gint64 now = g_get_monotonic_time ();
      gsize size;
      const guint8 *data = g_bytes_get_data (item->data, &size);
      g_autoptr (GError) error = NULL;
      gssize sent;

      if (item->due > now)
        {
          if (conn->timer == NULL)
            {
              conn->timer = g_timeout_source_new ((guint)((item->due - now + 999) / 1000));
              g_source_set_callback (conn->timer, conn_timer_cb, conn, NULL);
              g_source_attach (conn->timer, slot->server->context);
            }
          return;
        }
      if (conn->udp)
        {
          /* a datagram that cannot be sent now is lost, as on a device */
          sent = g_socket_send_to (conn->socket, conn->peer, (const char *)data, size, NULL, NULL);
          zk_sim_device_count_out (slot->device, size);
          if (!conn_item_sent (conn, item))
            return;
          continue;
        }
      sent = g_socket_send (conn->socket, (const char *)data + conn->out_offset,
                            conn->trickle_ms > 0 ? 1 : size - conn->out_offset, NULL, &error);
      if (sent < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              if (conn->out_source == NULL)
                {
                  conn->out_source = g_socket_create_source (conn->socket, G_IO_OUT, NULL);
                  g_source_set_callback (conn->out_source, (GSourceFunc)conn_writable_cb, conn,
                                         NULL);
                  g_source_attach (conn->out_source, slot->server->context);
                }
              return;
            }
          conn_close (conn);
          return;
        }
      conn->out_offset += (gsize)sent;
      if (conn->out_offset < size)
        {
          if (conn->trickle_ms > 0)
            item->due = g_get_monotonic_time () + (gint64)conn->trickle_ms * 1000;
          continue;
        }
      conn->out_offset = 0;
      zk_sim_device_count_out (slot->device, size);
      if (!conn_item_sent (conn, item))
        return;
    }
  if (!zk_sim_session_is_alive (conn->session))
    {
      conn_close (conn);
      return;
    }
  /* the device answers requests one at a time: the next one now */
  if (!conn->udp && !conn->processing)
    conn_process_input (conn);
}

static OutItem *
out_item_new (Conn *conn, GBytes *packet, gint64 due, guint64 repeat)
{
  OutItem *item = g_new0 (OutItem, 1);
  gsize size = g_bytes_get_size (packet);

  if (conn->udp)
    item->data = g_bytes_ref (packet);
  else
    {
      guint8 *wire = g_malloc (ZK_TCP_WRAPPER_SIZE + size);

      zk_tcp_wrapper_write (wire, (guint32)size);
      memcpy (wire + ZK_TCP_WRAPPER_SIZE, g_bytes_get_data (packet, NULL), size);
      item->data = g_bytes_new_take (wire, ZK_TCP_WRAPPER_SIZE + size);
    }
  item->due = due;
  item->repeat = repeat;
  return item;
}

static void
conn_queue (Conn *conn, GPtrArray *packets, const ZkSimDisposition *disp)
{
  gint64 due = g_get_monotonic_time () + (gint64)(disp ? disp->delay_ms : 0) * 1000;
  guint64 bytes = 0;

  if (disp != NULL)
    conn->trickle_ms = disp->shape.trickle_ms;
  /* hostile: a flood before the answer, one packet repeated */
  if (disp != NULL && disp->shape.junk != NULL)
    g_queue_push_tail (&conn->out,
                       out_item_new (conn, disp->shape.junk, due, disp->shape.junk_count));
  for (guint i = 0; i < packets->len; i++)
    {
      GBytes *packet = g_ptr_array_index (packets, i);
      OutItem *item = out_item_new (conn, packet, 0, 1);

      if (disp != NULL && i > 0)
        due += (gint64)disp->pacing_ms * 1000;
      if (disp != NULL && disp->bandwidth > 0)
        {
          bytes += g_bytes_get_size (item->data);
          item->due = due + (gint64)(bytes * G_USEC_PER_SEC / disp->bandwidth);
        }
      else
        item->due = due;
      g_queue_push_tail (&conn->out, item);
    }
  /* hostile: a stream that goes on for ever */
  if (disp != NULL && disp->shape.tail != NULL)
    g_queue_push_tail (&conn->out,
                       out_item_new (conn, disp->shape.tail, due, disp->shape.tail_count));
}

/* on a kick: sends the device's events, and what waited while it was held */
static void
conn_resume (Conn *conn)
{
  g_autoptr (GPtrArray) events = NULL;

  if (conn->session == NULL || conn->hung || zk_sim_device_is_held (conn->slot->device))
    return;
  events = zk_sim_session_take_events (conn->session);
  if (events != NULL)
    conn_queue (conn, events, NULL);
  conn_pump (conn);
}

/* one packet (without wrapper) from the peer; FALSE when the connection closed */
static gboolean
conn_handle (Conn *conn, const guint8 *data, gsize len)
{
  ZkSimDisposition disp;
  g_autoptr (GPtrArray) replies = NULL;

  replies = zk_sim_session_handle_packet (conn->session, data, len, &disp);
  if (disp.hang)
    conn->hung = TRUE;
  if (disp.close_after == 0 || (replies->len == 0 && !zk_sim_session_is_alive (conn->session)))
    {
      zk_sim_shape_clear (&disp.shape);
      conn_close (conn);
      return FALSE;
    }
  if (disp.close_after > 0)
    conn->close_after = disp.close_after;
  conn_queue (conn, replies, &disp);
  zk_sim_shape_clear (&disp.shape);
  if (replies->len > 0)
    conn_pump (conn);
  return !conn->closed;
}

static void
conn_process_input (Conn *conn)
{
  conn->processing = TRUE;
  while (!conn->hung && g_queue_is_empty (&conn->out) && conn->in->len >= ZK_TCP_WRAPPER_SIZE
         && !zk_sim_device_is_held (conn->slot->device))
    {
      guint32 len;
      g_autofree guint8 *packet = NULL;

      /* an invalid wrapper closes the connection [FW tcpcomm.c] */
      if (!zk_tcp_wrapper_parse (conn->in->data, &len) || len > ZK_TCP_MAX_PACKET)
        {
          conn_close (conn);
          return;
        }
      if (conn->in->len < ZK_TCP_WRAPPER_SIZE + (gsize)len)
        break;
      packet = g_memdup2 (conn->in->data + ZK_TCP_WRAPPER_SIZE, len);
      g_byte_array_remove_range (conn->in, 0, ZK_TCP_WRAPPER_SIZE + len);
      if (!conn_handle (conn, packet, len))
        return;
    }
  conn->processing = FALSE;
}

static gboolean
conn_flooding (Conn *conn)
{
  for (GList *l = conn->out.head; l != NULL; l = l->next)
    if (((OutItem *)l->data)->repeat > 1)
      return TRUE;
  return FALSE;
}

static gboolean
conn_readable_cb (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Conn *conn = user_data;
  guint8 buf[65536];
  g_autoptr (GError) error = NULL;
  gssize n;

  n = g_socket_receive (socket, (char *)buf, sizeof buf, NULL, &error);
  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      /* EOF (e.g. a connect-then-close probe) or a reset */
      conn_close (conn);
      return G_SOURCE_REMOVE;
    }
  zk_sim_device_count_in (conn->slot->device, (guint64)n);
  /* hung, or flooding (a repeated packet is queued): the device does not listen */
  if (conn->hung || conn_flooding (conn))
    return G_SOURCE_CONTINUE;
  g_byte_array_append (conn->in, buf, (guint)n);
  if (conn->in->len > INPUT_MAX)
    {
      conn_close (conn);
      return G_SOURCE_REMOVE;
    }
  if (!conn->processing)
    conn_process_input (conn);
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------ listeners */

static gboolean
tcp_accept_cb (GSocket *listener, GIOCondition condition, gpointer user_data)
{
  Slot *slot = user_data;

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      GSocket *socket = g_socket_accept (listener, NULL, &error);
      Conn *conn;

      if (socket == NULL)
        break;
      zk_sim_device_count_connection (slot->device);
      /* busy: a second session is refused */
      if (!zk_sim_device_accepts_connection (slot->device))
        {
          g_socket_close (socket, NULL);
          g_object_unref (socket);
          continue;
        }
      g_socket_set_blocking (socket, FALSE);
      /* every reply is its own small write: Nagle + delayed ACK would
       * add 40 ms to the tail of each answer */
      g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
      conn = g_new0 (Conn, 1);
      conn->slot = slot;
      conn->socket = socket;
      conn->close_after = -1;
      conn->in = g_byte_array_new ();
      g_queue_init (&conn->out);
      conn->session = zk_sim_session_new (slot->device, ZK_SIM_TRANSPORT_TCP);
      conn->in_source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_callback (conn->in_source, (GSourceFunc)conn_readable_cb, conn, NULL);
      g_source_attach (conn->in_source, slot->server->context);
      slot->conns = g_list_prepend (slot->conns, conn);
    }
  return G_SOURCE_CONTINUE;
}

static Conn *
udp_peer (Slot *slot, GSocketAddress *address, const guint8 *data, gsize len)
{
  g_autofree char *ip = NULL;
  g_autofree char *key = NULL;
  Conn *conn;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return NULL;
  ip = g_inet_address_to_string (
      g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
  key = g_strdup_printf ("%s:%u", ip,
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
  conn = g_hash_table_lookup (slot->peers, key);
  if (conn != NULL)
    return conn;
  /* only a CONNECT creates a slot: anything else has no session */
  if (len < ZK_HEADER_SIZE || zk_read_u16 (data) != ZK_CMD_CONNECT)
    return NULL;
  if (g_hash_table_size (slot->peers) >= UDP_PEERS_MAX)
    {
      GHashTableIter iter;
      gpointer value;
      Conn *oldest = NULL;

      g_hash_table_iter_init (&iter, slot->peers);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        if (oldest == NULL || ((Conn *)value)->last_used < oldest->last_used)
          oldest = value;
      conn_close (oldest);
    }
  conn = g_new0 (Conn, 1);
  conn->slot = slot;
  conn->udp = TRUE;
  conn->socket = slot->udp;
  conn->peer = g_object_ref (address);
  conn->key = g_steal_pointer (&key);
  conn->close_after = -1;
  conn->in = g_byte_array_new ();
  g_queue_init (&conn->out);
  conn->session = zk_sim_session_new (slot->device, ZK_SIM_TRANSPORT_UDP);
  g_hash_table_insert (slot->peers, conn->key, conn);
  return conn;
}

static gboolean
udp_readable_cb (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Slot *slot = user_data;

  for (guint i = 0; i < UDP_BATCH; i++)
    {
      /* the firmware's receive buffer: longer datagrams are truncated */
      guint8 buf[ZK_UDP_MAX_PACKET];
      g_autoptr (GSocketAddress) address = NULL;
      g_autoptr (GError) error = NULL;
      gssize n;
      Conn *conn;

      n = g_socket_receive_from (socket, &address, (char *)buf, sizeof buf, NULL, &error);
      if (n < 0)
        break;
      zk_sim_device_count_in (slot->device, (guint64)n);
      /* held: a datagram is lost, as in a busy terminal's full buffer */
      if (zk_sim_device_is_held (slot->device))
        continue;
      conn = udp_peer (slot, address, buf, (gsize)n);
      if (conn == NULL || conn->hung)
        continue;
      conn->last_used = g_get_monotonic_time ();
      conn_handle (conn, buf, (gsize)n);
    }
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------ slots */

static void
slot_close_all (Slot *slot)
{
  g_autoptr (GPtrArray) peers = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  while (slot->conns != NULL)
    conn_close (slot->conns->data);
  g_hash_table_iter_init (&iter, slot->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (peers, value);
  for (guint i = 0; i < peers->len; i++)
    conn_close (g_ptr_array_index (peers, i));
}

static void
slot_unbind (Slot *slot)
{
  slot_close_all (slot);
  destroy_source (&slot->tcp_source);
  destroy_source (&slot->udp_source);
  if (slot->tcp != NULL)
    g_socket_close (slot->tcp, NULL);
  if (slot->udp != NULL)
    g_socket_close (slot->udp, NULL);
  g_clear_object (&slot->tcp);
  g_clear_object (&slot->udp);
}

static void
slot_free (Slot *slot)
{
  slot_unbind (slot);
  g_hash_table_unref (slot->peers);
  g_object_unref (slot->device);
  g_free (slot);
}

static GSocket *
bind_socket (GSocketType type, int port, guint16 *bound, GError **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GSocketAddress) local = NULL;

  socket = g_socket_new (
      G_SOCKET_FAMILY_IPV4, type,
      type == G_SOCKET_TYPE_STREAM ? G_SOCKET_PROTOCOL_TCP : G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  address = g_inet_socket_address_new (loopback, (guint16)port);
  /* reuse only for TCP (TIME_WAIT): a UDP socket with SO_REUSEADDR may be
   * given a port another simulator holds, which then gets its requests */
  if (!g_socket_bind (socket, address, type == G_SOCKET_TYPE_STREAM, error))
    return NULL;
  if (type == G_SOCKET_TYPE_STREAM)
    {
      g_socket_set_listen_backlog (socket, 64);
      if (!g_socket_listen (socket, error))
        return NULL;
    }
  local = g_socket_get_local_address (socket, error);
  if (local == NULL)
    return NULL;
  *bound = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  return g_steal_pointer (&socket);
}

/* one of a device's listeners, unless its port setting is -1 (off) */
static gboolean
slot_listen (Slot *slot,
             GSocketType type,
             int port,
             GSocket **socket,
             GSource **source,
             guint16 *bound,
             GSocketSourceFunc ready,
             GError **error)
{
  if (port < 0)
    return TRUE;
  *socket = bind_socket (type, port, bound, error);
  if (*socket == NULL)
    {
      g_prefix_error (error, "device %u (%s): %s port %d: ", slot->index,
                      zk_sim_device_get_name (slot->device),
                      type == G_SOCKET_TYPE_STREAM ? "TCP" : "UDP", port);
      return FALSE;
    }
  *source = g_socket_create_source (*socket, G_IO_IN, NULL);
  g_source_set_callback (*source, (GSourceFunc)ready, slot, NULL);
  g_source_attach (*source, slot->server->context);
  return TRUE;
}

static gboolean
slot_bind (Slot *slot, GError **error)
{
  return slot_listen (slot, G_SOCKET_TYPE_STREAM, zk_sim_device_get_tcp_port_setting (slot->device),
                      &slot->tcp, &slot->tcp_source, &slot->tcp_port, tcp_accept_cb, error)
         && slot_listen (slot, G_SOCKET_TYPE_DATAGRAM,
                         zk_sim_device_get_udp_port_setting (slot->device), &slot->udp,
                         &slot->udp_source, &slot->udp_port, udp_readable_cb, error);
}

/* ------------------------------------------------------------ gobject */

static void
zk_sim_server_finalize (GObject *object)
{
  ZkSimServer *self = ZK_SIM_SERVER (object);

  zk_sim_server_stop (self);
  g_ptr_array_unref (self->slots);
  g_ptr_array_unref (self->push_devices);
  g_ptr_array_unref (self->devices);
  g_atomic_rc_box_release (self->meter);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (zk_sim_server_parent_class)->finalize (object);
}

static void
zk_sim_server_class_init (ZkSimServerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = zk_sim_server_finalize;
}

static void
zk_sim_server_init (ZkSimServer *self)
{
  g_mutex_init (&self->lock);
  self->devices = g_ptr_array_new_with_free_func (g_object_unref);
  self->slots = g_ptr_array_new_with_free_func ((GDestroyNotify)slot_free);
  self->push_devices = g_ptr_array_new_with_free_func (g_object_unref);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->meter = g_atomic_rc_box_new0 (ZkSimSessionMeter);
}

ZkSimServer *
zk_sim_server_new (GPtrArray *devices)
{
  ZkSimServer *self = g_object_new (ZK_TYPE_SIM_SERVER, NULL);

  for (guint i = 0; devices != NULL && i < devices->len; i++)
    {
      gpointer device = g_ptr_array_index (devices, i);
      Slot *slot;

      if (ZK_IS_SIM_PUSH_DEVICE (device))
        {
          g_ptr_array_add (self->push_devices, g_object_ref (device));
          g_ptr_array_add (self->devices, g_object_ref (device));
          continue;
        }
      slot = g_new0 (Slot, 1);
      slot->server = self;
      slot->index = self->slots->len;
      slot->device = g_object_ref (device);
      slot->peers = g_hash_table_new (g_str_hash, g_str_equal);
      zk_sim_device_set_session_meter (slot->device, self->meter);
      g_ptr_array_add (self->devices, g_object_ref (slot->device));
      g_ptr_array_add (self->slots, slot);
    }
  return self;
}

ZkSimServer *
zk_sim_server_new_from_data (const char *data, gsize len, GError **error)
{
  g_autoptr (GPtrArray) devices = zk_sim_fixture_load_from_data (data, len, error);

  if (devices == NULL)
    return NULL;
  return zk_sim_server_new (devices);
}

ZkSimServer *
zk_sim_server_new_from_file (const char *path, GError **error)
{
  g_autoptr (GPtrArray) devices = zk_sim_fixture_load_from_file (path, error);

  if (devices == NULL)
    return NULL;
  return zk_sim_server_new (devices);
}

static gpointer
server_thread (gpointer user_data)
{
  ZkSimServer *self = user_data;

  g_main_context_push_thread_default (self->context);
  g_main_loop_run (self->loop);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

/* GLib 2.74 can deadlock when two threads initialise GSocket's type and
 * class for the first time at once (seen: the control socket's service
 * on the main thread against push devices connecting at power-on): the
 * socket classes are ready before any thread of ours starts */
static void
ensure_socket_types (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      const GType types[] = {
        G_TYPE_SOCKET,
        G_TYPE_SOCKET_CLIENT,
        G_TYPE_SOCKET_CONNECTION,
        G_TYPE_TCP_CONNECTION,
        G_TYPE_INET_ADDRESS,
        G_TYPE_INET_SOCKET_ADDRESS,
        G_TYPE_NETWORK_ADDRESS,
        G_TYPE_SOCKET_LISTENER,
        G_TYPE_SOCKET_SERVICE,
        G_TYPE_THREADED_SOCKET_SERVICE,
      };

      for (guint i = 0; i < G_N_ELEMENTS (types); i++)
        g_type_class_unref (g_type_class_ref (types[i]));
      g_once_init_leave (&done, 1);
    }
}

gboolean
zk_sim_server_start (ZkSimServer *self, GError **error)
{
  g_return_val_if_fail (ZK_IS_SIM_SERVER (self), FALSE);

  ensure_socket_types ();
  g_mutex_lock (&self->lock);
  if (self->running)
    {
      g_mutex_unlock (&self->lock);
      return TRUE;
    }
  for (guint i = 0; i < self->slots->len; i++)
    if (!slot_bind (g_ptr_array_index (self->slots, i), error))
      {
        for (guint j = 0; j <= i; j++)
          slot_unbind (g_ptr_array_index (self->slots, j));
        g_mutex_unlock (&self->lock);
        return FALSE;
      }
  self->running = TRUE;
  self->thread = g_thread_new ("zk-sim-server", server_thread, self);
  for (guint i = 0; i < self->push_devices->len; i++)
    zk_sim_push_device_start (g_ptr_array_index (self->push_devices, i));
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

void
zk_sim_server_stop (ZkSimServer *self)
{
  g_return_if_fail (ZK_IS_SIM_SERVER (self));

  g_mutex_lock (&self->lock);
  if (!self->running)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  for (guint i = 0; i < self->push_devices->len; i++)
    zk_sim_push_device_stop (g_ptr_array_index (self->push_devices, i));
  g_main_context_invoke (self->context, quit_cb, self->loop);
  g_thread_join (g_steal_pointer (&self->thread));
  /* the loop is gone: tear down from here */
  for (guint i = 0; i < self->slots->len; i++)
    slot_unbind (g_ptr_array_index (self->slots, i));
  /* drain sources that were destroyed while the loop was stopped */
  while (g_main_context_iteration (self->context, FALSE))
    ;
  self->running = FALSE;
  g_mutex_unlock (&self->lock);
}

gboolean
zk_sim_server_is_running (ZkSimServer *self)
{
  gboolean running;

  g_mutex_lock (&self->lock);
  running = self->running;
  g_mutex_unlock (&self->lock);
  return running;
}

guint
zk_sim_server_get_n_devices (ZkSimServer *self)
{
  return self->slots->len;
}

ZkSimDevice *
zk_sim_server_get_device (ZkSimServer *self, guint index)
{
  if (index >= self->slots->len)
    return NULL;
  return ((Slot *)g_ptr_array_index (self->slots, index))->device;
}

int
zk_sim_server_lookup (ZkSimServer *self, const char *name)
{
  guint64 index;

  if (name == NULL)
    return -1;
  for (guint i = 0; i < self->slots->len; i++)
    if (g_strcmp0 (zk_sim_device_get_name (zk_sim_server_get_device (self, i)), name) == 0)
      return (int)i;
  if (g_ascii_string_to_unsigned (name, 10, 0, G_MAXINT, &index, NULL) && index < self->slots->len)
    return (int)index;
  return -1;
}

ZkSimPushDevice *
zk_sim_server_lookup_push (ZkSimServer *self, const char *name)
{
  for (guint i = 0; name != NULL && i < self->push_devices->len; i++)
    {
      ZkSimPushDevice *device = g_ptr_array_index (self->push_devices, i);

      if (g_str_equal (zk_sim_push_device_get_name (device), name))
        return device;
    }
  return NULL;
}

guint16
zk_sim_server_get_tcp_port (ZkSimServer *self, guint index)
{
  if (index >= self->slots->len)
    return 0;
  return ((Slot *)g_ptr_array_index (self->slots, index))->tcp_port;
}

guint16
zk_sim_server_get_udp_port (ZkSimServer *self, guint index)
{
  if (index >= self->slots->len)
    return 0;
  return ((Slot *)g_ptr_array_index (self->slots, index))->udp_port;
}

void
zk_sim_server_set_pacing_ms (ZkSimServer *self, guint pacing_ms)
{
  for (guint i = 0; i < self->slots->len; i++)
    zk_sim_device_set_pacing_ms (zk_sim_server_get_device (self, i), pacing_ms);
}

/* ------------------------------------------------------------ cross-thread */

typedef struct
{
  ZkSimServer *server;
  guint index;
  gboolean reboot;
} SlotJob;

static gboolean
slot_job_cb (gpointer user_data)
{
  SlotJob *job = user_data;
  Slot *slot = g_ptr_array_index (job->server->slots, job->index);
  GList *conns;
  GHashTableIter iter;
  gpointer value;
  g_autoptr (GPtrArray) peers = g_ptr_array_new ();

  if (job->reboot)
    {
      slot_close_all (slot);
      return G_SOURCE_REMOVE;
    }
  /* conns may close while flushing: work on copies */
  conns = g_list_copy (slot->conns);
  for (GList *l = conns; l != NULL; l = l->next)
    if (g_list_find (slot->conns, l->data) != NULL)
      conn_resume (l->data);
  g_list_free (conns);
  g_hash_table_iter_init (&iter, slot->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (peers, ((Conn *)value)->key);
  for (guint i = 0; i < peers->len; i++)
    {
      Conn *conn = g_hash_table_lookup (slot->peers, g_ptr_array_index (peers, i));

      if (conn != NULL)
        conn_resume (conn);
    }
  return G_SOURCE_REMOVE;
}

void
zk_sim_server_kick (ZkSimServer *self, guint index, gboolean reboot)
{
  SlotJob *job;

  if (!zk_sim_server_is_running (self))
    return;
  job = g_new0 (SlotJob, 1);
  job->server = self;
  job->index = index;
  job->reboot = reboot;
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, slot_job_cb, job, g_free);
}

/* ------------------------------------------------------------ reports */

char *
zk_sim_server_dump (ZkSimServer *self, gboolean pretty)
{
  return zk_sim_fixture_dump (self->devices, pretty);
}

gboolean
zk_sim_server_dump_to_file (ZkSimServer *self, const char *path, GError **error)
{
  g_autofree char *text = zk_sim_server_dump (self, TRUE);

  /* g_file_set_contents writes a temporary file and renames it */
  return g_file_set_contents (path, text, -1, error);
}

char *
zk_sim_server_ready_json (ZkSimServer *self)
{
  g_autoptr (JsonBuilder) b = json_builder_new_immutable ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "devices");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->slots->len; i++)
    {
      Slot *slot = g_ptr_array_index (self->slots, i);
      g_autofree char *serial = zk_sim_device_get_option (slot->device, "~SerialNumber");

      json_builder_begin_object (b);
      zk_sim_fixture_add_text (b, "name", zk_sim_device_get_name (slot->device));
      zk_sim_fixture_add_text (b, "serial", serial);
      zk_sim_json_add_int (b, "tcp_port", slot->tcp_port);
      zk_sim_json_add_int (b, "udp_port", slot->udp_port);
      json_builder_end_object (b);
    }
  /* push devices listen on nothing: they knock at their server */
  for (guint i = 0; i < self->push_devices->len; i++)
    {
      ZkSimPushDevice *device = g_ptr_array_index (self->push_devices, i);

      json_builder_begin_object (b);
      zk_sim_fixture_add_text (b, "name", zk_sim_push_device_get_name (device));
      zk_sim_fixture_add_text (b, "serial", zk_sim_push_device_get_serial (device));
      zk_sim_fixture_add_text (b, "protocol", "push");
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static void
stats_object (JsonBuilder *b, ZkSimServer *self, guint index)
{
  ZkSimDevice *device = zk_sim_server_get_device (self, index);
  ZkSimStats s;

  zk_sim_device_get_stats (device, &s);
  json_builder_begin_object (b);
  zk_sim_fixture_add_text (b, "name", zk_sim_device_get_name (device));
  zk_sim_json_add_int (b, "index", index);
  zk_sim_json_add_int (b, "packets_in", s.packets_in);
  zk_sim_json_add_int (b, "packets_out", s.packets_out);
  zk_sim_json_add_int (b, "bytes_in", s.bytes_in);
  zk_sim_json_add_int (b, "bytes_out", s.bytes_out);
  zk_sim_json_add_int (b, "requests", s.requests);
  zk_sim_json_add_int (b, "dropped", s.dropped);
  zk_sim_json_add_int (b, "retransmits", s.retransmits);
  zk_sim_json_add_int (b, "reads_refused", s.reads_refused);
  zk_sim_json_add_int (b, "connections", s.connections);
  zk_sim_json_add_int (b, "sessions", s.sessions);
  zk_sim_json_add_int (b, "max_sessions", s.max_sessions);
  zk_sim_json_add_int (b, "connects", s.connects);
  zk_sim_json_add_bool (b, "disabled", s.disabled);
  zk_sim_json_add_int (b, "re_enables", s.re_enables);
  zk_sim_json_add_int (b, "events_sent", s.events_sent);
  zk_sim_json_add_int (b, "reboots", s.reboots);
  zk_sim_json_add_int (b, "writes", s.writes);
  zk_sim_json_add_int (b, "disables", s.disables);
  zk_sim_json_add_int (b, "enables", s.enables);
  zk_sim_json_add_int (b, "clock_sets", s.clock_sets);
  zk_sim_json_add_int (b, "user_writes", s.user_writes);
  zk_sim_json_add_int (b, "user_deletes", s.user_deletes);
  zk_sim_json_add_int (b, "template_writes", s.template_writes);
  zk_sim_json_add_int (b, "template_deletes", s.template_deletes);
  zk_sim_json_add_int (b, "face_writes", s.face_writes);
  zk_sim_json_add_int (b, "face_deletes", s.face_deletes);
  zk_sim_json_add_int (b, "batch_writes", s.batch_writes);
  zk_sim_json_add_int (b, "uploads", s.uploads);
  zk_sim_json_add_int (b, "log_clears", s.log_clears);
  zk_sim_json_add_int (b, "option_writes", s.option_writes);
  zk_sim_json_add_int (b, "refreshes", s.refreshes);
  zk_sim_json_add_int (b, "other_writes", s.other_writes);
  zk_sim_json_add_int (b, "users", s.users);
  zk_sim_json_add_int (b, "fingers", s.fingers);
  zk_sim_json_add_int (b, "faces", s.faces);
  zk_sim_json_add_int (b, "records", s.records);
  json_builder_end_object (b);
}

char *
zk_sim_server_stats_json (ZkSimServer *self, int index)
{
  g_autoptr (JsonBuilder) b = json_builder_new_immutable ();
  g_autoptr (JsonNode) root = NULL;

  if (index >= 0 && (guint)index < self->slots->len)
    stats_object (b, self, (guint)index);
  else
    {
      guint now, max;

      zk_sim_server_get_sessions (self, &now, &max);
      json_builder_begin_object (b);
      zk_sim_json_add_int (b, "sessions", now);
      zk_sim_json_add_int (b, "max_sessions", max);
      json_builder_set_member_name (b, "devices");
      json_builder_begin_array (b);
      for (guint i = 0; i < self->slots->len; i++)
        stats_object (b, self, i);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "push_devices");
      json_builder_begin_array (b);
      for (guint i = 0; i < self->push_devices->len; i++)
        {
          g_autofree char *text
              = zk_sim_push_device_stats_json (g_ptr_array_index (self->push_devices, i));

          json_builder_add_value (b, json_from_string (text, NULL));
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

void
zk_sim_server_get_sessions (ZkSimServer *self, guint *now, guint *max)
{
  g_return_if_fail (ZK_IS_SIM_SERVER (self));
  if (now)
    *now = (guint)MAX (g_atomic_int_get (&self->meter->now), 0);
  if (max)
    *max = (guint)MAX (g_atomic_int_get (&self->meter->max), 0);
}
