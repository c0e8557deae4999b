/* zk-error.h — the ZkError domain
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ZK_ERROR (zk_error_quark ())
GQuark zk_error_quark (void);

typedef enum
{
  ZK_ERROR_FAILED,      /* anything not covered below */
  ZK_ERROR_TIMED_OUT,   /* no (complete) answer within the timeout */
  ZK_ERROR_UNREACHABLE, /* no route, host down, name not resolved */
  ZK_ERROR_CLOSED,      /* connection refused or closed by the device */
  ZK_ERROR_AUTH_FAILED, /* comm key required or wrong */
  ZK_ERROR_PROTOCOL,    /* malformed or unexpected reply */
  ZK_ERROR_DEVICE,      /* ACK_ERROR; the sub-code is in the message and zk_error_get_subcode() */
  ZK_ERROR_UNSUPPORTED, /* the device does not do this (ACK_UNKNOWN, no faces …) */
  ZK_ERROR_FULL,        /* capacity reached */
  ZK_ERROR_NOT_FOUND,   /* no such user / template on the device */
  ZK_ERROR_CANCELLED,   /* the GCancellable fired */
  ZK_ERROR_INVALID_ARGUMENT, /* caller passed something the device cannot take */
} ZkErrorCode;

/* sets a ZK_ERROR_DEVICE error whose message names the command and the
 * sub-code (@subcode < 0: the device gave none) */
void zk_set_device_error (GError **error, guint16 command, int subcode);
/* the device sub-code of a ZK_ERROR_DEVICE error, or -1 */
int zk_error_get_subcode (const GError *error);

/* puts the name of the operation that failed ("reading users") in front
 * of the message, as g_prefix_error() does, and keeps the message as it
 * was for zk_error_get_cause() */
void zk_error_prefix_operation (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);
/* the message without the operation's name: for a caller that names the
 * operation itself (biosync-zk); the whole message when none was put */
const char *zk_error_get_cause (const GError *error);

G_END_DECLS
