/* bsd-error.c — the daemon's errors at the D-Bus boundary, in one place
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-error.h"

#include "bsd-store.h"
#include "zk-error.h"

BsError
bsd_error_code (const GError *error)
{
  if (error->domain != BSD_STORE_ERROR)
    return bs_error_code_for (error, BS_ERROR_FAILED);
  switch (error->code)
    {
    case BSD_STORE_ERROR_NOT_FOUND:
      return BS_ERROR_NOT_FOUND;
    case BSD_STORE_ERROR_EXISTS:
    case BSD_STORE_ERROR_INVALID_ARGUMENT:
      return BS_ERROR_INVALID_ARGS;
    case BSD_STORE_ERROR_BUSY:
      return BS_ERROR_BUSY;
    default:
      return BS_ERROR_FAILED;
    }
}

void
bsd_error_return (GDBusMethodInvocation *invocation, const GError *error)
{
  g_dbus_method_invocation_return_error_literal (invocation, BS_ERROR, bsd_error_code (error),
                                                 error->message);
}

void
bsd_error_return_invalid (GDBusMethodInvocation *invocation, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_dbus_method_invocation_return_error_literal (invocation, BS_ERROR, BS_ERROR_INVALID_ARGS,
                                                 message);
}

gboolean
bsd_error_is_unreachable (const GError *error)
{
  return g_error_matches (error, ZK_ERROR, ZK_ERROR_TIMED_OUT)
         || g_error_matches (error, ZK_ERROR, ZK_ERROR_UNREACHABLE)
         || g_error_matches (error, ZK_ERROR, ZK_ERROR_CLOSED);
}

gboolean
bsd_error_is_cancelled (const GError *error)
{
  return g_error_matches (error, ZK_ERROR, ZK_ERROR_CANCELLED)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}
