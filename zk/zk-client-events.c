/* zk-client-events.c — a session registered for realtime events (ZK-PROTOCOL.md §8)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "zk-client-private.h"
#include "zk-packet.h"

#include <string.h>

void
zk_event_clear (ZkEvent *event)
{
  g_clear_pointer (&event->why, g_free);
}

gboolean
zk_client_register_events (ZkClient *self, GCancellable *cancellable, GError **error)
{
  guint8 payload[4];

  zk_write_u32 (payload, self->event_mask);
  return zk_client_request_ok (self, ZK_CMD_REG_EVENT, payload, sizeof payload, NULL, cancellable,
                               error);
}

gboolean
zk_client_listen_events (ZkClient *self, guint32 mask, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  self->event_mask = mask;
  zk_connection_set_keep_events (self->connection, mask != 0);
  if (!zk_client_is_connected (self))
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_CLOSED,
                           "registering for events: not connected");
      return FALSE;
    }
  if (!zk_client_register_events (self, cancellable, error))
    {
      zk_error_prefix_operation (error, "registering for events");
      return FALSE;
    }
  return TRUE;
}

/* what one event packet says */
static void
event_decode (const ZkRawEvent *raw, ZkEvent *event)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (raw->payload, &len);
  g_autoptr (GError) error = NULL;

  event->flag = raw->flag;
  event->length = len;
  if (raw->flag != ZK_EF_ATTLOG)
    event->kind = ZK_EVENT_OTHER;
  else if (zk_attendance_decode_event (data, len, &event->punch, &error))
    event->kind = ZK_EVENT_PUNCH;
  else
    {
      event->kind = ZK_EVENT_UNKNOWN;
      event->why = g_strdup (error->message);
    }
}

gboolean
zk_client_wait_event (
    ZkClient *self, guint timeout_ms, ZkEvent *event, GCancellable *cancellable, GError **error)
{
  g_autoptr (ZkRawEvent) raw = NULL;

  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (event != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  memset (event, 0, sizeof *event);
  raw = zk_connection_next_event (
      self->connection, g_get_monotonic_time () + (gint64)timeout_ms * G_TIME_SPAN_MILLISECOND,
      cancellable, error);
  if (raw == NULL)
    return FALSE;
  event_decode (raw, event);
  return TRUE;
}

gboolean
zk_client_ping (ZkClient *self, GCancellable *cancellable, GError **error)
{
  ZkTime time;

  return zk_client_get_time (self, &time, cancellable, error);
}

guint64
zk_client_get_events_missed (ZkClient *self)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), 0);
  return zk_connection_get_events_dropped (self->connection) + self->reconnects;
}
