/* zk-sim-session.c — ZkSimSession: sessions and the request rules of §1.5
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A session is created by its transport and registered with the device;
 * CONNECT gives it an id, and from then on the firmware's rules decide
 * what is executed, what is answered from the cache and what is dropped
 * without a word [FW RunCommand].
 */
#include "config.h"

#include <string.h>

#include "zk-sim-device-private.h"

void
zk_sim_session_clear_buffers (ZkSimSession *session)
{
  g_clear_pointer (&session->read_buffer, g_bytes_unref);
  session->virtual_table = -1;
  g_clear_pointer (&session->upload, g_byte_array_unref);
  session->upload_size = 0;
}

static void
meter_enter (ZkSimSessionMeter *meter)
{
  gint now, max;

  if (meter == NULL)
    return;
  now = g_atomic_int_add (&meter->now, 1) + 1;
  do
    max = g_atomic_int_get (&meter->max);
  while (now > max && !g_atomic_int_compare_and_exchange (&meter->max, max, now));
}

static void
meter_leave (ZkSimSessionMeter *meter)
{
  if (meter != NULL)
    g_atomic_int_add (&meter->now, -1);
}

void
zk_sim_session_disconnect (ZkSimSession *session)
{
  ZkSimDevice *self = session->device;

  if (session->connected)
    {
      session->connected = FALSE;
      meter_leave (self->meter);
      if (self->stats.sessions > 0)
        self->stats.sessions--;
      /* the last session leaving re-enables the device [FW FreeSession] */
      if (self->stats.sessions == 0 && !self->faults.keep_disabled)
        zk_sim_device_enable_locked (self);
    }
  session->authed = FALSE;
  session->has_last = FALSE;
  session->event_mask = 0;
  g_clear_pointer (&session->cached, g_ptr_array_unref);
  zk_sim_session_clear_buffers (session);
}

ZkSimSession *
zk_sim_session_new (ZkSimDevice *device, ZkSimTransport transport)
{
  ZkSimSession *session;

  g_return_val_if_fail (ZK_IS_SIM_DEVICE (device), NULL);
  session = g_new0 (ZkSimSession, 1);
  session->device = g_object_ref (device);
  session->transport = transport;
  session->alive = TRUE;
  session->virtual_table = -1;
  session->events = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  g_mutex_lock (&device->lock);
  g_ptr_array_add (device->sessions, session);
  g_mutex_unlock (&device->lock);
  return session;
}

void
zk_sim_session_free (ZkSimSession *session)
{
  ZkSimDevice *device;

  if (session == NULL)
    return;
  device = session->device;
  g_mutex_lock (&device->lock);
  zk_sim_session_disconnect (session);
  g_ptr_array_remove (device->sessions, session);
  g_mutex_unlock (&device->lock);
  g_ptr_array_unref (session->events);
  g_object_unref (device);
  g_free (session);
}

gboolean
zk_sim_session_is_alive (ZkSimSession *session)
{
  return session->alive;
}

gboolean
zk_sim_session_is_hung (ZkSimSession *session)
{
  return session->hung;
}

gboolean
zk_sim_session_is_connected (ZkSimSession *session)
{
  return session->connected;
}

GPtrArray *
zk_sim_session_take_events (ZkSimSession *session)
{
  ZkSimDevice *self = session->device;
  GPtrArray *events = NULL;

  g_mutex_lock (&self->lock);
  if (session->events->len > 0)
    {
      events = g_steal_pointer (&session->events);
      session->events = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
      self->stats.events_sent += events->len;
    }
  g_mutex_unlock (&self->lock);
  return events;
}

/* ------------------------------------------------------------ requests */

static guint16
new_session_id (ZkSimDevice *self)
{
  guint16 id = (guint16)(g_get_real_time () / G_USEC_PER_SEC);

  for (;;)
    {
      gboolean used = (id == 0);

      for (guint i = 0; i < self->sessions->len && !used; i++)
        {
          ZkSimSession *s = g_ptr_array_index (self->sessions, i);

          used = s->connected && s->id == id;
        }
      if (!used)
        return id;
      id++;
    }
}

typedef enum
{
  ANSWER_DROPPED,  /* silence */
  ANSWER_FINAL,    /* answered as it is: not cached, not shaped */
  ANSWER_EXECUTED, /* executed: cached, then faults and hostile modes act */
} Answer;

/* §2.1: a new session (or, from the same peer, the same one again) */
static Answer
answer_connect (ZkSimRequest *req)
{
  ZkSimDevice *self = req->self;
  ZkSimSession *s = req->session;

  /* busy: a second session gets no answer */
  if (self->faults.busy && !s->connected && self->stats.sessions > 0)
    {
      self->stats.dropped++;
      return ANSWER_DROPPED;
    }
  /* a CONNECT from the same peer re-uses the slot and its id [FW CreateSession] */
  if (!s->connected)
    {
      s->id = new_session_id (self);
      s->connected = TRUE;
      meter_enter (self->meter);
      self->stats.sessions++;
      self->stats.max_sessions = MAX (self->stats.max_sessions, self->stats.sessions);
    }
  zk_sim_session_clear_buffers (s);
  s->event_mask = 0;
  s->authed = zk_sim_device_key (self) == 0;
  s->has_last = TRUE;
  s->last_reply_id = req->header.reply_id;
  self->stats.connects++;
  zk_sim_request_emit (req, s->authed ? ZK_ACK_OK : ZK_ACK_UNAUTH, s->id, NULL, 0);
  return ANSWER_EXECUTED;
}

/* §1.5 rules 1–6 for a request on an established session */
static Answer
answer_request (ZkSimRequest *req)
{
  ZkSimDevice *self = req->self;
  ZkSimSession *s = req->session;
  guint16 rid = req->header.reply_id;

  /* rule 1: unknown session → silence */
  if (!s->connected || req->header.session_id != s->id)
    {
      self->stats.dropped++;
      return ANSWER_DROPPED;
    }
  /* rule 3: repeated reply id → the cached reply, not executed again */
  if (s->has_last && rid == s->last_reply_id)
    {
      for (guint i = 0; s->cached != NULL && i < s->cached->len; i++)
        g_ptr_array_add (req->out, g_bytes_ref (g_ptr_array_index (s->cached, i)));
      if (s->cached != NULL)
        self->stats.retransmits++;
      return ANSWER_FINAL;
    }
  if (s->has_last && rid < s->last_reply_id && s->last_reply_id != 65535)
    {
      self->stats.dropped++;
      return ANSWER_DROPPED;
    }
  /* rule 4: an upload slice only at exactly last + 1 */
  if (req->header.command == ZK_CMD_DATA && s->has_last
      && rid != zk_reply_id_next (s->last_reply_id))
    {
      zk_sim_request_error (req, 0);
      self->stats.requests++;
      return ANSWER_FINAL;
    }
  /* rule 5: nothing but AUTH and EXIT before the comm key */
  if (zk_sim_device_key (self) != 0 && !s->authed && req->header.command != ZK_CMD_AUTH
      && req->header.command != ZK_CMD_EXIT)
    zk_sim_request_emit (req, ZK_ACK_UNAUTH, s->id, NULL, 0);
  else
    zk_sim_commands_execute (req);
  s->has_last = TRUE;
  s->last_reply_id = rid;
  return ANSWER_EXECUTED;
}

static GPtrArray *
copy_packets (GPtrArray *packets)
{
  GPtrArray *copy = g_ptr_array_new_full (packets->len, (GDestroyNotify)g_bytes_unref);

  for (guint i = 0; i < packets->len; i++)
    g_ptr_array_add (copy, g_bytes_ref (g_ptr_array_index (packets, i)));
  return copy;
}

/* what the transport is told before anything is answered */
static void
disposition_init (ZkSimDevice *self, ZkSimDisposition *disp)
{
  memset (disp, 0, sizeof *disp);
  disp->close_after = -1;
  disp->pacing_ms = self->profile.pacing_ms;
  disp->bandwidth = self->profile.bandwidth;
  disp->delay_ms = self->profile.latency_ms + self->faults.delay_ms;
}

/* parses a packet on a session that is still there; FALSE (counted as
 * dropped) when it is not answered at all */
static gboolean
admit (ZkSimRequest *req, const guint8 *data, gsize len, ZkSimDisposition *disp)
{
  ZkSimDevice *self = req->self;
  ZkSimSession *session = req->session;

  if (!session->alive)
    {
      disp->close_after = 0;
      self->stats.dropped++;
      return FALSE;
    }
  if (session->hung || self->faults.hang)
    {
      session->hung = TRUE;
      disp->hang = TRUE;
      self->stats.dropped++;
      return FALSE;
    }
  if (!zk_packet_parse (data, len, self->profile.verify_checksum, &req->header, &req->payload,
                        &req->len))
    {
      self->stats.dropped++;
      return FALSE;
    }
  /* the host acknowledging an event: consumed, never answered */
  return !(req->header.command == ZK_ACK_OK && session->connected);
}

/* the request rules, the command, the faults and modes that shape the answer */
static void
answer (ZkSimRequest *req, ZkSimDisposition *disp)
{
  ZkSimDevice *self = req->self;
  gboolean drop_reply = FALSE;
  Answer answered;

  if (!zk_sim_faults_before (req, disp, &drop_reply))
    return;
  if (req->header.command == ZK_CMD_CONNECT)
    answered = answer_connect (req);
  else
    answered = answer_request (req);
  if (answered != ANSWER_EXECUTED)
    return;
  self->stats.requests++;
  g_clear_pointer (&req->session->cached, g_ptr_array_unref);
  req->session->cached = copy_packets (req->out);
  zk_sim_faults_after (req, drop_reply, disp);
  zk_sim_hostile_shape (&self->hostile, req->header.command, req->session->id, req->header.reply_id,
                        req->out, &disp->shape);
}

GPtrArray *
zk_sim_session_handle_packet (ZkSimSession *session,
                              const guint8 *data,
                              gsize len,
                              ZkSimDisposition *disposition)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  ZkSimDisposition dummy;
  ZkSimDisposition *disp = disposition ? disposition : &dummy;
  ZkSimDevice *self;
  ZkSimRequest req = { 0 };

  g_return_val_if_fail (session != NULL, out);
  g_return_val_if_fail (data != NULL || len == 0, out);

  self = session->device;
  req.self = self;
  req.session = session;
  req.out = out;
  g_mutex_lock (&self->lock);
  self->stats.packets_in++;
  zk_sim_device_check_reenable (self);
  disposition_init (self, disp);
  if (admit (&req, data, len, disp))
    answer (&req, disp);
  if (disposition == NULL)
    zk_sim_shape_clear (&dummy.shape);
  self->stats.packets_out += out->len;
  g_mutex_unlock (&self->lock);
  return out;
}
