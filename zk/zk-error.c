/* zk-error.c — the ZkError domain
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "zk-error.h"
#include "zk-packet.h"

/* the device's ACK_ERROR sub-code travels with the error */
typedef struct
{
  int subcode;
} ZkErrorPrivate;

static void
zk_error_private_init (ZkErrorPrivate *priv)
{
  priv->subcode = -1;
}

static void
zk_error_private_copy (const ZkErrorPrivate *src, ZkErrorPrivate *dest)
{
  dest->subcode = src->subcode;
}

static void
zk_error_private_clear (ZkErrorPrivate *priv)
{
}

G_DEFINE_EXTENDED_ERROR (ZkError, zk_error)

static const char *
subcode_meaning (int subcode)
{
  switch (subcode)
    {
    case ZK_SUBCODE_IO:
      return "write failed or conflict";
    case ZK_SUBCODE_NOT_FOUND:
      return "not found";
    case ZK_SUBCODE_OVERFLOW:
      return "buffer overflow";
    case ZK_SUBCODE_EXISTS:
      return "already exists";
    case ZK_SUBCODE_UNKNOWN_SUB:
      return "unknown sub-command";
    default:
      return "unspecified";
    }
}

void
zk_set_device_error (GError **error, guint16 command, int subcode)
{
  GError *local;
  ZkErrorPrivate *priv;

  if (error == NULL)
    return;
  if (subcode < 0)
    local = g_error_new (ZK_ERROR, ZK_ERROR_DEVICE, "device refused %s (no error code)",
                         zk_command_name (command));
  else
    local = g_error_new (ZK_ERROR, ZK_ERROR_DEVICE, "device refused %s (error %d: %s)",
                         zk_command_name (command), subcode, subcode_meaning (subcode));
  priv = zk_error_get_private (local);
  if (priv)
    priv->subcode = MAX (subcode, -1);
  g_propagate_error (error, local);
}

int
zk_error_get_subcode (const GError *error)
{
  ZkErrorPrivate *priv;

  if (error == NULL || error->domain != ZK_ERROR)
    return -1;
  priv = zk_error_get_private (error);
  return priv ? priv->subcode : -1;
}
