/* test-client-quirks.c — ZkClient against a scripted device
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A small device in a thread, independent of the simulator, that answers
 * in every shape the protocol notes have seen: TCP packets split at every
 * byte or coalesced, event packets between request and reply, options
 * without NUL, 80-byte free sizes, empty tables as ACK_ERROR, 65536-byte
 * stream packets, inline CMD 88 replies, corrupt checksums, lost replies,
 * silence. It follows the firmware reply-id rules (cached reply on a
 * repeated id, silence on a lower one).
 */
#include "config.h"

#include <string.h>

#include "test-zk.h"
#include "zk-client-fuzz.h"
#include "zk-client.h"
#include "zk-packet.h"

#define TEST_TIMEOUT_MS 400

typedef struct
{
  GSocket *listener; /* TCP */
  GSocket *udp;
  GThread *thread;
  gboolean use_udp;
  guint16 port;
  gint stop;
  GMutex lock;

  /* behaviour */
  guint psize;          /* stream packet payload size */
  gboolean split;       /* TCP: write one byte at a time */
  gboolean coalesce;    /* TCP: all packets of a reply in one write */
  gboolean events;      /* an event packet before every reply */
  gboolean odd_options; /* "Name==Value" without NUL */
  guint sizes_ints;     /* 20 or 23 */
  gboolean empty_error; /* 1503 on an empty table → ACK_ERROR */
  gboolean inline_88;   /* 88 answered with ACK_OK + data */
  guint size_88;        /* bytes of the 88 answer, valid byte included (0 = 1301) */
  gboolean stream_1503; /* 1503 answered with a stream, not ACK_OK+size */
  gint corrupt_replies; /* corrupt the checksum of the next N replies */
  gint drop_replies;    /* execute but do not answer the next N requests */
  gboolean hang;        /* answer nothing at all */
  guint32 comm_key;

  /* data */
  GByteArray *users; /* records */
  GByteArray *templates;
  GByteArray *attendance;
  gint n_users;
  gint n_fingers;
  gint n_records;
  guint user_width;

  /* session */
  guint16 session;
  gboolean authed;
  gboolean have_last;
  guint16 last_id;
  GByteArray *cached; /* the packets of the last reply, unframed, each prefixed by u32 len */
  GByteArray *buffer; /* the 1503 buffer */
  GByteArray *upload;

  /* counters */
  gint user_writes;
  gint requests;
  gint connects;
} FakeDevice;

static void
reply_add (GByteArray *reply,
           guint16 command,
           guint16 session,
           guint16 reply_id,
           const guint8 *payload,
           gsize len)
{
  g_autoptr (GByteArray) packet = g_byte_array_new ();

  zk_packet_append (packet, command, session, reply_id, payload, len);
  zk_append_u32 (reply, packet->len);
  g_byte_array_append (reply, packet->data, packet->len);
}

static void
reply_stream (FakeDevice *dev, GByteArray *reply, guint16 reply_id, const guint8 *data, gsize len)
{
  guint8 prep[8];
  gsize off;
  guint16 index = 0;

  zk_write_u32 (prep, (guint32)len);
  zk_write_u32 (prep + 4, dev->psize);
  reply_add (reply, ZK_CMD_PREPARE_DATA, dev->session, reply_id, prep, 8);
  for (off = 0; off < len; off += dev->psize)
    reply_add (reply, ZK_CMD_DATA, index++, reply_id, data + off, MIN (dev->psize, len - off));
  reply_add (reply, ZK_ACK_OK, dev->session, reply_id, NULL, 0);
}

static void
reply_data (FakeDevice *dev, GByteArray *reply, guint16 reply_id, const guint8 *data, gsize len)
{
  if (len <= ZK_MAX_INLINE)
    reply_add (reply, ZK_CMD_DATA, dev->session, reply_id, data, len);
  else
    reply_stream (dev, reply, reply_id, data, len);
}

static void
fake_sizes (FakeDevice *dev, GByteArray *out)
{
  ZkSizes sizes = { 0 };

  sizes.users = dev->n_users;
  sizes.fingers = dev->n_fingers;
  sizes.records = dev->n_records;
  sizes.user_capacity = 3000;
  sizes.finger_capacity = 5000;
  sizes.record_capacity = 100000;
  sizes.face_capacity = dev->sizes_ints >= 23 ? 500 : 0;
  zk_sizes_encode (&sizes, dev->sizes_ints, out);
}

static void
fake_option (FakeDevice *dev, GByteArray *reply, guint16 id, const char *name)
{
  static const char *const options[][2] = {
    { "~SerialNumber", "FAKE0001" }, { "~DeviceName", "F18/ID" }, { "~Platform", "ZMM210_TFT" },
    { "~ZKFPVersion", "10" },        { "FaceFunOn", "1" },        { "ZKFaceVersion", "7" },
    { "~PIN2Width", "14" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (options); i++)
    if (strcmp (name, options[i][0]) == 0)
      {
        g_autofree char *text = NULL;

        if (dev->odd_options)
          text = g_strdup_printf ("%s==%s", name, options[i][1]);
        else
          text = g_strdup_printf ("%s=%s", name, options[i][1]);
        reply_add (reply, ZK_ACK_OK, dev->session, id, (const guint8 *)text,
                   strlen (text) + (dev->odd_options ? 0 : 1));
        return;
      }
  reply_add (reply, ZK_ACK_ERROR, 0, id, NULL, 0);
}

static void
table_blob (GByteArray *records, GByteArray *out)
{
  zk_append_u32 (out, records->len);
  g_byte_array_append (out, records->data, records->len);
}

/* one request's reply; @id the reply id, @p and @len the payload */
typedef void (*FakeHandler) (
    FakeDevice *dev, guint16 id, const guint8 *p, gsize len, GByteArray *reply);

static void
fake_ack (FakeDevice *dev, guint16 id, const guint8 *p, gsize len, GByteArray *reply)
{
  reply_add (reply, ZK_ACK_OK, dev->session, id, NULL, 0);
}

static void
fake_refuse (FakeDevice *dev, guint16 id, const guint8 *p, gsize len, GByteArray *reply)
{
  reply_add (reply, ZK_ACK_ERROR, 2, id, NULL, 0);
}

static void
fake_auth (FakeDevice *dev, guint16 id, const guint8 *p, gsize len, GByteArray *reply)
{
  dev->authed = zk_commkey_check (dev->comm_key, dev->session, p, len);
  reply_add (reply, dev->authed ? ZK_ACK_OK : ZK_ACK_UNAUTH, dev->session, id, NULL, 0);
}

static void
fake_free_sizes (FakeDevice *dev, guint16 id, const guint8 *p, gsize len, GByteArray *reply)
{
  g_autoptr (GByteArray) sizes = g_byte_array_new ();

  fake_sizes (dev, sizes);
  reply_add (reply, ZK_ACK_OK, dev->session, id, sizes->data, sizes->len);
}

static void
fake_options (FakeDevice *dev, guint16 id, const guint8 *p, gsize len, GByteArray *reply)
{
  g_autofree char *name = g_strndup ((const char *)p, len);

  fake_option (dev, reply, id, name);
}

static void
fake_version (FakeDevice *dev, guint16 id, const guint8 *p, gsize len, GByteArray *reply)
{
  reply_add (reply, ZK_ACK_OK, dev->session, id, (const guint8 *)"Ver 6.60 Apr 26 2016", 20);
}

static void
fake_time (FakeDevice *dev, guint16 id, const guint8 *p, gsize len, GByteArray *reply)
{
  ZkTime t = { 2024, 5, 6, 7, 8, 9 };
  guint8 b[4];

  zk_write_u32 (b, zk_time_encode (&t));
  reply_add (reply, ZK_ACK_OK, dev->session, id, b, 4);
}

/* the table a CMD 1503 asks for, NULL when the fake has none */
static GByteArray *
fake_query_table (FakeDevice *dev, const guint8 *p)
{
  if (p[1] == ZK_CMD_USERTEMP_RRQ && p[3] == ZK_FCT_USER)
    return dev->users;
  if (p[1] == ZK_CMD_DB_RRQ && p[3] == ZK_FCT_FINGERTMP)
    return dev->templates;
  if (p[1] == ZK_CMD_ATTLOG_RRQ)
    return dev->attendance;
  return NULL;
}

static void
fake_query (FakeDevice *dev, guint16 id, const guint8 *p, gsize len, GByteArray *reply)
{
  GByteArray *records = len == 11 ? fake_query_table (dev, p) : NULL;
  guint8 size[13] = { 0 };

  if (records == NULL || (records->len == 0 && dev->empty_error))
    {
      reply_add (reply, ZK_ACK_ERROR, 0, id, NULL, 0);
      return;
    }
  g_byte_array_set_size (dev->buffer, 0);
  table_blob (records, dev->buffer);
  if (dev->stream_1503)
    reply_stream (dev, reply, id, dev->buffer->data, dev->buffer->len);
  else if (dev->buffer->len <= ZK_MAX_INLINE)
    reply_add (reply, ZK_CMD_DATA, dev->session, id, dev->buffer->data, dev->buffer->len);
  else
    {
      zk_write_u32 (size + 1, dev->buffer->len);
      zk_write_u32 (size + 5, dev->buffer->len);
      reply_add (reply, ZK_ACK_OK, dev->session, id, size, sizeof size);
    }
}

static void
fake_read_data (FakeDevice *dev, guint16 id, const guint8 *p, gsize len, GByteArray *reply)
{
  guint32 off = len == 8 ? zk_read_u32 (p) : G_MAXUINT32;
  guint32 want = len == 8 ? zk_read_u32 (p + 4) : 0;

  if (off > dev->buffer->len || want > dev->buffer->len - off)
    reply_add (reply, ZK_ACK_ERROR, 0, id, NULL, 0);
  else
    reply_data (dev, reply, id, dev->buffer->data + off, want);
}

static void
fake_template (FakeDevice *dev, guint16 id, const guint8 *p, gsize len, GByteArray *reply)
{
  guint8 tmpl[1301];
  gsize size = dev->size_88 ? MIN (dev->size_88, sizeof tmpl) : sizeof tmpl;

  if (len < 3 || zk_read_u16 (p) != 1)
    {
      fake_refuse (dev, id, p, len, reply);
      return;
    }
  memset (tmpl, 0x5a, sizeof tmpl);
  tmpl[size - 1] = 1; /* valid */
  if (dev->inline_88)
    reply_add (reply, ZK_ACK_OK, (guint16)size, id, tmpl, size);
  else
    reply_stream (dev, reply, id, tmpl, size);
}

static void
fake_user_write (FakeDevice *dev, guint16 id, const guint8 *p, gsize len, GByteArray *reply)
{
  if (len != dev->user_width)
    {
      reply_add (reply, ZK_ACK_ERROR, 1, id, NULL, 0);
      return;
    }
  dev->user_writes++;
  fake_ack (dev, id, p, len, reply);
}

static const struct
{
  guint16 command;
  FakeHandler handler;
} fake_handlers[] = {
  { ZK_CMD_AUTH, fake_auth },           { ZK_CMD_EXIT, fake_ack },
  { ZK_CMD_ENABLEDEVICE, fake_ack },    { ZK_CMD_DISABLEDEVICE, fake_ack },
  { ZK_CMD_REFRESHDATA, fake_ack },     { ZK_CMD_REFRESHOPTION, fake_ack },
  { ZK_CMD_FREE_DATA, fake_ack },       { ZK_CMD_GET_FREE_SIZES, fake_free_sizes },
  { ZK_CMD_OPTIONS_RRQ, fake_options }, { ZK_CMD_GET_VERSION, fake_version },
  { ZK_CMD_GET_TIME, fake_time },       { ZK_CMD_QUERY_DATA, fake_query },
  { ZK_CMD_READ_DATA, fake_read_data }, { ZK_CMD_USERTEMP_EX_RRQ, fake_template },
  { ZK_CMD_USERFACE_RRQ, fake_refuse }, { ZK_CMD_USER_WRQ, fake_user_write },
};

/* builds the reply packets for one request */
static void
fake_execute (FakeDevice *dev, const ZkHeader *h, const guint8 *p, gsize len, GByteArray *reply)
{
  guint16 id = h->reply_id;

  if (dev->comm_key && !dev->authed && h->command != ZK_CMD_AUTH && h->command != ZK_CMD_EXIT)
    {
      reply_add (reply, ZK_ACK_UNAUTH, dev->session, id, NULL, 0);
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (fake_handlers); i++)
    if (fake_handlers[i].command == h->command)
      {
        fake_handlers[i].handler (dev, id, p, len, reply);
        return;
      }
  reply_add (reply, ZK_ACK_UNKNOWN, dev->session, id, NULL, 0);
}

static gboolean
fake_send (FakeDevice *dev, GSocket *sock, GSocketAddress *peer, GByteArray *reply, guint16 id)
{
  g_autoptr (GByteArray) wire = g_byte_array_new ();
  gsize off = 0;
  gint corrupt;

  g_mutex_lock (&dev->lock);
  corrupt = dev->corrupt_replies;
  if (corrupt > 0)
    dev->corrupt_replies--;
  g_mutex_unlock (&dev->lock);

  if (dev->events)
    {
      guint8 event[32] = "17";

      if (dev->use_udp)
        {
          g_autoptr (GByteArray) packet = g_byte_array_new ();

          zk_packet_append (packet, ZK_CMD_REG_EVENT, ZK_EF_ATTLOG, 0, event, sizeof event);
          g_socket_send_to (sock, peer, (const char *)packet->data, packet->len, NULL, NULL);
        }
      else
        zk_packet_append_tcp (wire, ZK_CMD_REG_EVENT, ZK_EF_ATTLOG, 0, event, sizeof event);
    }

  while (off < reply->len)
    {
      guint32 plen = zk_read_u32 (reply->data + off);
      guint8 *packet = reply->data + off + 4;

      if (corrupt > 0)
        packet[2] ^= 0x55;
      if (dev->use_udp)
        g_socket_send_to (sock, peer, (const char *)packet, plen, NULL, NULL);
      else
        {
          guint8 wrapper[8];

          zk_tcp_wrapper_write (wrapper, plen);
          g_byte_array_append (wire, wrapper, 8);
          g_byte_array_append (wire, packet, plen);
          if (!dev->coalesce && !dev->split)
            {
              if (g_socket_send (sock, (const char *)wire->data, wire->len, NULL, NULL) < 0)
                return FALSE;
              g_byte_array_set_size (wire, 0);
            }
        }
      if (corrupt > 0)
        packet[2] ^= 0x55; /* the cache keeps the good one */
      off += 4 + plen;
    }
  if (!dev->use_udp && wire->len > 0)
    {
      gsize i;

      if (dev->split)
        for (i = 0; i < wire->len; i++)
          {
            if (g_socket_send (sock, (const char *)wire->data + i, 1, NULL, NULL) < 0)
              return FALSE;
          }
      else if (g_socket_send (sock, (const char *)wire->data, wire->len, NULL, NULL) < 0)
        return FALSE;
    }
  return TRUE;
}

/* one request: the firmware's reply-id rules, then execute */
static gboolean
fake_handle (FakeDevice *dev, GSocket *sock, GSocketAddress *peer, const guint8 *data, gsize len)
{
  ZkHeader h;
  const guint8 *p;
  gsize plen;
  g_autoptr (GByteArray) reply = g_byte_array_new ();
  gboolean drop = FALSE;

  if (!zk_packet_parse (data, len, TRUE, &h, &p, &plen))
    return TRUE;
  g_atomic_int_inc (&dev->requests);
  if (g_atomic_int_get (&dev->hang))
    return TRUE;
  if (h.command == ZK_ACK_OK)
    return TRUE; /* an event ack */

  if (h.command == ZK_CMD_CONNECT)
    {
      dev->connects++;
      dev->session = 0x4000 + dev->connects;
      dev->authed = FALSE;
      dev->have_last = FALSE;
      g_byte_array_set_size (dev->cached, 0);
      reply_add (reply, dev->comm_key ? ZK_ACK_UNAUTH : ZK_ACK_OK, dev->session, h.reply_id, NULL,
                 0);
    }
  else if (h.session_id != dev->session)
    return TRUE;
  else if (dev->have_last && h.reply_id == dev->last_id)
    {
      g_byte_array_append (reply, dev->cached->data, dev->cached->len);
      return fake_send (dev, sock, peer, reply, h.reply_id);
    }
  else if (dev->have_last && h.reply_id < dev->last_id && dev->last_id != 65535)
    return TRUE;
  else
    fake_execute (dev, &h, p, plen, reply);

  dev->have_last = TRUE;
  dev->last_id = h.reply_id;
  g_byte_array_set_size (dev->cached, 0);
  g_byte_array_append (dev->cached, reply->data, reply->len);

  g_mutex_lock (&dev->lock);
  if (dev->drop_replies > 0)
    {
      dev->drop_replies--;
      drop = TRUE;
    }
  g_mutex_unlock (&dev->lock);
  if (drop)
    return TRUE;
  return fake_send (dev, sock, peer, reply, h.reply_id);
}

static void
fake_serve_tcp (FakeDevice *dev, GSocket *conn)
{
  g_autoptr (GByteArray) rx = g_byte_array_new ();
  guint8 buf[65536];

  g_socket_set_timeout (conn, 0);
  while (!g_atomic_int_get (&dev->stop))
    {
      gssize n;
      guint32 plen;

      if (!g_socket_condition_timed_wait (conn, G_IO_IN, 50 * 1000, NULL, NULL))
        continue;
      n = g_socket_receive (conn, (char *)buf, sizeof buf, NULL, NULL);
      if (n <= 0)
        return;
      g_byte_array_append (rx, buf, (guint)n);
      while (rx->len >= 8 && zk_tcp_wrapper_parse (rx->data, &plen) && rx->len >= 8 + plen)
        {
          if (!fake_handle (dev, conn, NULL, rx->data + 8, plen))
            return;
          g_byte_array_remove_range (rx, 0, 8 + plen);
        }
    }
}

static gpointer
fake_thread (gpointer data)
{
  FakeDevice *dev = data;

  while (!g_atomic_int_get (&dev->stop))
    {
      if (dev->use_udp)
        {
          guint8 buf[2048];
          GSocketAddress *peer = NULL;
          gssize n;

          if (!g_socket_condition_timed_wait (dev->udp, G_IO_IN, 50 * 1000, NULL, NULL))
            continue;
          n = g_socket_receive_from (dev->udp, &peer, (char *)buf, sizeof buf, NULL, NULL);
          if (n > 0)
            fake_handle (dev, dev->udp, peer, buf, (gsize)n);
          g_clear_object (&peer);
        }
      else
        {
          g_autoptr (GSocket) conn = NULL;

          if (!g_socket_condition_timed_wait (dev->listener, G_IO_IN, 50 * 1000, NULL, NULL))
            continue;
          conn = g_socket_accept (dev->listener, NULL, NULL);
          if (conn)
            fake_serve_tcp (dev, conn);
        }
    }
  return NULL;
}

/* the tables: @users users, @templates templates (two per user),
 * @records punches of the first 7 users */
static void
fake_fill (FakeDevice *dev, guint users, guint templates, guint records)
{
  for (guint i = 1; i <= users; i++)
    {
      g_autofree char *user_id = g_strdup_printf ("%u", 1000 + i);
      g_autofree char *name = g_strdup_printf ("User %u", i);
      g_autoptr (ZkUser) user = test_zk_user_new ((guint16)i, user_id, name);
      guint8 rec[72];

      g_assert_true (zk_user_encode (user, 72, NULL, rec, NULL));
      g_byte_array_append (dev->users, rec, 72);
    }
  for (guint i = 0; i < templates; i++)
    {
      g_autoptr (GBytes) bytes = test_zk_template_bytes (500 + (i * 37) % 200, (guint8)i);
      g_autoptr (ZkTemplate) tmpl
          = zk_template_new ((guint16)(1 + i / 2), (guint8)(i % 2), 1, bytes);

      zk_template_append_entry (dev->templates, tmpl);
    }
  for (guint i = 0; i < records; i++)
    {
      ZkAttendance att = { .uid = (guint16)(1 + i % 7), .verify = 1 };
      guint8 rec[40];

      g_snprintf (att.user_id, sizeof att.user_id, "%u", 1000 + att.uid);
      att.time = (ZkTime){ 2024, 1 + i % 12, 1 + i % 28, i % 24, i % 60, 0 };
      g_assert_true (zk_attendance_encode (&att, 40, rec, NULL));
      g_byte_array_append (dev->attendance, rec, 40);
    }
  dev->n_users = (gint)users;
  dev->n_fingers = (gint)templates;
  dev->n_records = (gint)records;
}

/* a socket on 127.0.0.1, a free port */
static GSocket *
fake_bind (gboolean use_udp, guint16 *port)
{
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  GSocket *sock
      = g_socket_new (G_SOCKET_FAMILY_IPV4, use_udp ? G_SOCKET_TYPE_DATAGRAM : G_SOCKET_TYPE_STREAM,
                      use_udp ? G_SOCKET_PROTOCOL_UDP : G_SOCKET_PROTOCOL_TCP, NULL);

  g_assert_nonnull (sock);
  g_assert_true (g_socket_bind (sock, addr, TRUE, NULL));
  if (!use_udp)
    g_assert_true (g_socket_listen (sock, NULL));
  bound = g_socket_get_local_address (sock, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return sock;
}

static FakeDevice *
fake_new (gboolean use_udp, guint users, guint templates, guint records)
{
  FakeDevice *dev = g_new0 (FakeDevice, 1);
  GSocket *sock;

  g_mutex_init (&dev->lock);
  dev->use_udp = use_udp;
  dev->psize = use_udp ? 1024 : 1008;
  dev->sizes_ints = 23;
  dev->user_width = 72;
  dev->users = g_byte_array_new ();
  dev->templates = g_byte_array_new ();
  dev->attendance = g_byte_array_new ();
  dev->cached = g_byte_array_new ();
  dev->buffer = g_byte_array_new ();
  dev->upload = g_byte_array_new ();
  fake_fill (dev, users, templates, records);

  sock = fake_bind (use_udp, &dev->port);
  if (use_udp)
    dev->udp = sock;
  else
    dev->listener = sock;
  return dev;
}

static void
fake_start (FakeDevice *dev)
{
  dev->thread = g_thread_new ("fake-device", fake_thread, dev);
}

static void
fake_free (FakeDevice *dev)
{
  g_atomic_int_set (&dev->stop, 1);
  if (dev->thread)
    g_thread_join (dev->thread);
  g_clear_object (&dev->listener);
  g_clear_object (&dev->udp);
  g_byte_array_unref (dev->users);
  g_byte_array_unref (dev->templates);
  g_byte_array_unref (dev->attendance);
  g_byte_array_unref (dev->cached);
  g_byte_array_unref (dev->buffer);
  g_byte_array_unref (dev->upload);
  g_mutex_clear (&dev->lock);
  g_free (dev);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeDevice, fake_free)

static ZkClient *
client_new (FakeDevice *dev, ZkTransport transport, guint32 comm_key)
{
  ZkClient *client = test_zk_client_new (dev->port, transport, TEST_TIMEOUT_MS);

  zk_client_set_comm_key (client, comm_key);
  return client;
}

/* starts @dev and connects to it */
static ZkClient *
connect_to (FakeDevice *dev)
{
  g_autoptr (GError) error = NULL;
  ZkClient *client
      = client_new (dev, dev->use_udp ? ZK_TRANSPORT_UDP : ZK_TRANSPORT_TCP, dev->comm_key);

  if (dev->thread == NULL)
    fake_start (dev);
  g_assert_true (zk_client_connect (client, NULL, &error));
  g_assert_no_error (error);
  return client;
}

/* reads everything and checks it against the device's tables */
static void
read_all_and_check (FakeDevice *dev, ZkClient *client)
{
  g_autoptr (GPtrArray) users = test_zk_read (client, ZK_TABLE_USERS);
  g_autoptr (GPtrArray) templates = test_zk_read (client, ZK_TABLE_TEMPLATES);
  g_autoptr (GPtrArray) records = test_zk_read (client, ZK_TABLE_ATTENDANCE);
  g_autoptr (GByteArray) again = g_byte_array_new ();

  g_assert_cmpuint (users->len, ==, (guint)dev->n_users);
  for (guint i = 0; i < users->len; i++)
    g_assert_cmpuint (((ZkUser *)users->pdata[i])->uid, ==, i + 1);

  g_assert_cmpuint (templates->len, ==, (guint)dev->n_fingers);
  for (guint i = 0; i < templates->len; i++)
    zk_template_append_entry (again, g_ptr_array_index (templates, i));
  g_assert_cmpmem (again->data, again->len, dev->templates->data, dev->templates->len);

  g_assert_cmpuint (records->len, ==, (guint)dev->n_records);
}

/* whole tables read from a device that sends them in one of its shapes */
typedef struct
{
  const char *path;
  gboolean udp;
  guint users, templates, records;
  gboolean split, coalesce, stream_1503, events;
  guint psize;
} ReadCase;

static const ReadCase read_cases[] = {
  { "/client/quirks/tcp-split-every-byte", FALSE, 30, 10, 40, .split = TRUE },
  { "/client/quirks/tcp-coalesced", FALSE, 300, 200, 2000, .coalesce = TRUE },
  { "/client/quirks/tcp-psize-65536", FALSE, 2000, 300, 3000, .psize = 65536 },
  { "/client/quirks/1503-streamed", FALSE, 100, 20, 50, .stream_1503 = TRUE },
  { "/client/quirks/events/tcp", FALSE, 50, 30, 100, .events = TRUE },
  { "/client/quirks/events/udp", TRUE, 50, 30, 100, .events = TRUE },
};

static void
test_read_shapes (gconstpointer data)
{
  const ReadCase *c = data;
  g_autoptr (FakeDevice) dev = fake_new (c->udp, c->users, c->templates, c->records);
  g_autoptr (ZkClient) client = NULL;
  g_autoptr (GError) error = NULL;
  ZkDeviceInfo info;

  dev->split = c->split;
  dev->coalesce = c->coalesce;
  dev->stream_1503 = c->stream_1503;
  dev->events = c->events;
  if (c->psize)
    dev->psize = c->psize;
  client = connect_to (dev);
  read_all_and_check (dev, client);
  test_zk_assert_stats (client, 0, 0);

  g_assert_true (zk_client_get_info (client, &info, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (info.serial, ==, "FAKE0001");
  zk_device_info_clear (&info);
}

static void
test_odd_replies (void)
{
  g_autoptr (FakeDevice) dev = fake_new (FALSE, 0, 0, 0);
  g_autoptr (ZkClient) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (GPtrArray) faces = NULL;
  g_autoptr (ZkTemplate) tmpl = NULL;
  ZkDeviceInfo info;
  ZkTime t;

  dev->odd_options = TRUE;
  dev->sizes_ints = 20;
  dev->empty_error = TRUE;
  dev->inline_88 = TRUE;
  client = connect_to (dev);

  g_assert_true (zk_client_get_info (client, &info, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (info.serial, ==, "FAKE0001");
  g_assert_cmpstr (info.device_name, ==, "F18/ID");
  g_assert_cmpstr (info.platform, ==, "ZMM210_TFT");
  g_assert_cmpstr (info.firmware, ==, "Ver 6.60 Apr 26 2016");
  g_assert_cmpstr (info.fp_version, ==, "10");
  g_assert_cmpstr (info.face_version, ==, "7");
  g_assert_true (info.face_on);
  g_assert_cmpuint (info.pin_width, ==, 14);
  g_assert_cmpuint (info.sizes.n_ints, ==, 20);
  g_assert_cmpint (info.sizes.user_capacity, ==, 3000);
  g_assert_true (zk_device_info_face_capable (&info));
  zk_device_info_clear (&info);

  g_assert_null (zk_client_get_option (client, "NoSuchOption", NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (zk_client_get_time (client, &t, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (t.year, ==, 2024);
  g_assert_cmpuint (t.second, ==, 9);

  /* counts of 0 skip the read; an ACK_ERROR to 1503 is an empty table */
  users = test_zk_read (client, ZK_TABLE_USERS);
  g_assert_cmpuint (users->len, ==, 0);

  tmpl = zk_client_read_template (client, 1, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (tmpl->data), ==, 1300);
  g_assert_cmpuint (tmpl->valid, ==, 1);
  g_clear_pointer (&tmpl, zk_template_free);
  tmpl = zk_client_read_template (client, 2, 0, NULL, &error);
  g_assert_error (error, ZK_ERROR, ZK_ERROR_NOT_FOUND);
  g_assert_null (tmpl);
  g_clear_error (&error);

  /* face7 (FaceFunOn=1): ACK_ERROR = no faces for this user */
  faces = zk_client_read_faces (client, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (faces->len, ==, 0);

  g_assert_true (zk_client_disconnect (client, NULL, &error));
  g_assert_no_error (error);
}

static void
test_streamed_88 (void)
{
  g_autoptr (FakeDevice) dev = fake_new (FALSE, 1, 0, 0);
  g_autoptr (ZkClient) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ZkTemplate) tmpl = NULL;

  client = connect_to (dev);
  tmpl = zk_client_read_template (client, 1, 3, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (tmpl->data), ==, 1300);
  g_assert_cmpuint (tmpl->fid, ==, 3);
}

/* the captured stream of ZK-PROTOCOL.md §3.8: uid 14 finger 1 as
 * PREPARE_DATA [1244, 1008], DATA 1008 (index 0), DATA 236 (index 1),
 * ACK_OK: 1243 template bytes and the valid byte */
static void
test_streamed_88_capture (void)
{
  g_autoptr (FakeDevice) dev = fake_new (FALSE, 1, 0, 0);
  g_autoptr (ZkClient) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ZkTemplate) tmpl = NULL;

  dev->size_88 = 1244;
  client = connect_to (dev);
  tmpl = zk_client_read_template (client, 1, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (tmpl->data), ==, 1243);
  g_assert_cmpuint (tmpl->valid, ==, 1);
}

static void
test_corrupt_and_dropped (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  g_autoptr (FakeDevice) dev = fake_new (udp, 20, 0, 0);
  g_autoptr (ZkClient) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ZkUser) user = zk_user_new ();
  g_autoptr (GPtrArray) users = NULL;

  client = connect_to (dev);
  users = test_zk_read (client, ZK_TABLE_USERS); /* learns the width */

  /* a corrupt reply is dropped; the re-send gets the cached good one */
  g_mutex_lock (&dev->lock);
  dev->corrupt_replies = 1;
  g_mutex_unlock (&dev->lock);
  user->uid = 5;
  g_strlcpy (user->user_id, "1005", sizeof user->user_id);
  g_assert_true (zk_client_set_user (client, user, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (dev->user_writes, ==, 1);

  /* a lost reply of a write: the re-send does not execute it again */
  g_mutex_lock (&dev->lock);
  dev->drop_replies = 1;
  g_mutex_unlock (&dev->lock);
  g_assert_true (zk_client_set_user (client, user, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (dev->user_writes, ==, 2);
  test_zk_assert_stats (client, 2, 0);
}

static void
test_comm_key (void)
{
  g_autoptr (FakeDevice) dev = fake_new (FALSE, 3, 0, 0);
  g_autoptr (ZkClient) client = NULL;
  g_autoptr (ZkClient) wrong = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = NULL;
  gint64 start;

  dev->comm_key = 123456;
  client = connect_to (dev);
  users = test_zk_read (client, ZK_TABLE_USERS);
  g_assert_cmpuint (users->len, ==, 3);
  g_assert_true (zk_client_disconnect (client, NULL, &error));

  wrong = client_new (dev, ZK_TRANSPORT_TCP, 654321);
  start = g_get_monotonic_time ();
  g_assert_false (zk_client_connect (wrong, NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_AUTH_FAILED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, TEST_TIMEOUT_MS * 1000);
}

static void
test_hang (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  g_autoptr (FakeDevice) dev = fake_new (udp, 20, 0, 0);
  g_autoptr (ZkClient) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = NULL;
  gint64 start;

  client = connect_to (dev);
  g_atomic_int_set (&dev->hang, 1);
  start = g_get_monotonic_time ();
  users = zk_client_read_users (client, NULL, NULL, &error);
  g_assert_error (error, ZK_ERROR, ZK_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, "reading users"));
  g_assert_null (users);
  /* the request and one reconnect attempt, each bounded by the timeout */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * TEST_TIMEOUT_MS * 1000 + 300000);
  g_clear_error (&error);

  /* the device is back: the next call reconnects by itself */
  g_atomic_int_set (&dev->hang, 0);
  users = test_zk_read (client, ZK_TABLE_USERS);
  g_assert_cmpuint (users->len, ==, 20);
}

static void
test_cancel (void)
{
  g_autoptr (FakeDevice) dev = fake_new (FALSE, 20, 0, 0);
  g_autoptr (ZkClient) client = connect_to (dev);
  g_autoptr (TestZkCall) call = test_zk_call_new (client, TEST_ZK_CALL_USERS);

  zk_client_set_timeout (client, 5000);
  g_atomic_int_set (&dev->hang, 1);
  test_zk_call_run (call, 100, 10);
  g_assert_error (call->error, ZK_ERROR, ZK_ERROR_CANCELLED);
  g_assert_cmpint (call->took_us, <, 1000 * 1000);
}

static void
test_refused (void)
{
  g_autoptr (FakeDevice) dev = fake_new (FALSE, 0, 0, 0);
  g_autoptr (ZkClient) client = NULL;
  g_autoptr (GError) error = NULL;

  /* nothing listens there any more */
  g_clear_object (&dev->listener);
  client = client_new (dev, ZK_TRANSPORT_TCP, 0);
  g_assert_false (zk_client_connect (client, NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_CLOSED);
  g_assert_false (zk_client_is_connected (client));
}

static void
test_auto_falls_back_to_udp (void)
{
  g_autoptr (FakeDevice) dev = fake_new (TRUE, 5, 0, 0);
  g_autoptr (ZkClient) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = NULL;

  /* the UDP port has no TCP listener: refused, then UDP */
  fake_start (dev);
  client = client_new (dev, ZK_TRANSPORT_AUTO, 0);
  g_assert_true (zk_client_connect (client, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (zk_client_get_transport (client), ==, ZK_TRANSPORT_UDP);
  users = test_zk_read (client, ZK_TABLE_USERS);
  g_assert_cmpuint (users->len, ==, 5);
}

static void
test_not_connected (void)
{
  g_autoptr (ZkClient) client = zk_client_new ("127.0.0.1", 1, ZK_TRANSPORT_TCP);
  g_autoptr (GError) error = NULL;
  ZkSizes sizes;

  g_assert_false (zk_client_get_sizes (client, &sizes, NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_true (zk_client_disconnect (client, NULL, &error));
  g_assert_no_error (error);
}

static void
test_transport_strings (void)
{
  ZkTransport t = ZK_TRANSPORT_TCP;

  g_assert_true (zk_transport_from_string ("UDP", &t));
  g_assert_cmpint (t, ==, ZK_TRANSPORT_UDP);
  g_assert_true (zk_transport_from_string ("auto", &t));
  g_assert_cmpint (t, ==, ZK_TRANSPORT_AUTO);
  g_assert_false (zk_transport_from_string ("sctp", &t));
  g_assert_cmpstr (zk_transport_to_string (ZK_TRANSPORT_TCP), ==, "tcp");
}

/* the fuzz entry must survive garbage and well-formed streams alike */
static void
test_fuzz_entry (void)
{
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  guint8 sizes[13] = { 0 };
  guint8 prep[8];
  guint8 junk[3000] = { 0 };
  guint i, j;

  zk_client_feed_reply_for_fuzzing (NULL, 0);

  /* CONNECT ok, then replies with hostile sizes and short streams */
  zk_packet_append_tcp (stream, ZK_ACK_OK, 1, 0, NULL, 0);
  zk_packet_append_tcp (stream, ZK_ACK_OK, 1, 0, (const guint8 *)"~SerialNumber", 13);
  zk_write_u32 (sizes + 1, 0xfffffff0);
  zk_packet_append_tcp (stream, ZK_ACK_OK, 1, 0, sizes, sizeof sizes);
  zk_write_u32 (prep, 5000);
  zk_write_u32 (prep + 4, 1008);
  zk_packet_append_tcp (stream, ZK_CMD_PREPARE_DATA, 1, 0, prep, 8);
  zk_packet_append_tcp (stream, ZK_CMD_DATA, 0, 0, junk, 1008);
  zk_packet_append_tcp (stream, ZK_ACK_OK, 1, 0, NULL, 0);
  zk_packet_append_tcp (stream, ZK_CMD_DATA, 1, 0,
                        (const guint8 *)"\x10\x00\x00\x00"
                                        "abc",
                        7);
  zk_packet_append_tcp (stream, ZK_CMD_REG_EVENT, 1, 0, junk, 12);
  zk_packet_append_tcp (stream, ZK_ACK_ERROR, 2, 0, NULL, 0);
  zk_packet_append_tcp (stream, ZK_ACK_UNKNOWN, 0, 0, NULL, 0);
  zk_client_feed_reply_for_fuzzing (stream->data, stream->len);

  for (i = 0; i < 200; i++)
    {
      gsize len = (gsize)g_rand_int_range (rand, 0, sizeof junk);

      for (j = 0; j < len; j++)
        junk[j] = (guint8)g_rand_int_range (rand, 0, 256);
      /* mostly valid wrappers so that the packet layer is passed */
      for (j = 0; j + 16 < len; j += 8 + (junk[j + 4] & 0x3f))
        {
          junk[j] = 0x50;
          junk[j + 1] = 0x50;
          junk[j + 2] = 0x82;
          junk[j + 3] = 0x7d;
          junk[j + 5] = junk[j + 6] = junk[j + 7] = 0;
          junk[j + 4] = (guint8)(8 + (junk[j + 4] & 0x3f));
          if (j + 8 + 8 < len)
            junk[j + 14] = junk[j + 15] = 0;
        }
      zk_client_feed_reply_for_fuzzing (junk, len);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client/quirks/transport-strings", test_transport_strings);
  g_test_add_func ("/client/quirks/not-connected", test_not_connected);
  g_test_add_func ("/client/quirks/fuzz-entry", test_fuzz_entry);
  for (guint i = 0; i < G_N_ELEMENTS (read_cases); i++)
    g_test_add_data_func (read_cases[i].path, &read_cases[i], test_read_shapes);
  g_test_add_func ("/client/quirks/odd-replies", test_odd_replies);
  g_test_add_func ("/client/quirks/88-streamed", test_streamed_88);
  g_test_add_func ("/client/quirks/88-streamed-capture", test_streamed_88_capture);
  g_test_add_data_func ("/client/quirks/corrupt-and-dropped/tcp", GINT_TO_POINTER (FALSE),
                        test_corrupt_and_dropped);
  g_test_add_data_func ("/client/quirks/corrupt-and-dropped/udp", GINT_TO_POINTER (TRUE),
                        test_corrupt_and_dropped);
  g_test_add_func ("/client/quirks/comm-key", test_comm_key);
  g_test_add_data_func ("/client/quirks/hang/tcp", GINT_TO_POINTER (FALSE), test_hang);
  g_test_add_data_func ("/client/quirks/hang/udp", GINT_TO_POINTER (TRUE), test_hang);
  g_test_add_func ("/client/quirks/cancel", test_cancel);
  g_test_add_func ("/client/quirks/refused", test_refused);
  g_test_add_func ("/client/quirks/auto-falls-back-to-udp", test_auto_falls_back_to_udp);

  return g_test_run ();
}
