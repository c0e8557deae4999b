/* zk-error.c — the ZkError domain
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "zk-error.h"
#include "zk-packet.h"

/* the device's ACK_ERROR sub-code travels with the error, and so does
 * the message as it was before an operation's name went in front of it */
typedef struct
{
  int subcode;
  char *cause;
} ZkErrorPrivate;

static void
zk_error_private_init (ZkErrorPrivate *priv)
{
  priv->subcode = -1;
  priv->cause = NULL;
}

static void
zk_error_private_copy (const ZkErrorPrivate *src, ZkErrorPrivate *dest)
{
  dest->subcode = src->subcode;
  dest->cause = g_strdup (src->cause);
}

static void
zk_error_private_clear (ZkErrorPrivate *priv)
{
  g_clear_pointer (&priv->cause, g_free);
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

void
zk_error_prefix_operation (GError **error, const char *format, ...)
{
  ZkErrorPrivate *priv;
  g_autofree char *operation = NULL;
  va_list args;

  if (error == NULL || *error == NULL)
    return;
  /* the innermost operation names the call; what it wrapped is the cause */
  priv = (*error)->domain == ZK_ERROR ? zk_error_get_private (*error) : NULL;
  if (priv != NULL && priv->cause == NULL)
    priv->cause = g_strdup ((*error)->message);
  va_start (args, format);
  operation = g_strdup_vprintf (format, args);
  va_end (args);
  g_prefix_error (error, "%s: ", operation);
}

const char *
zk_error_get_cause (const GError *error)
{
  ZkErrorPrivate *priv;

  g_return_val_if_fail (error != NULL, NULL);
  priv = error->domain == ZK_ERROR ? zk_error_get_private (error) : NULL;
  return priv != NULL && priv->cause != NULL ? priv->cause : error->message;
}
