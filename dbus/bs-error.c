/* bs-error.c — the BsError domain and conversions at the D-Bus boundary
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bs-error.h"
#include "zk-error.h"

#define BS_ERROR_PREFIX "org.biosync.BioSync1.Error."

/* THE table: code ↔ D-Bus error name, in enum order */
static const GDBusErrorEntry bs_error_entries[] = {
  { BS_ERROR_FAILED, BS_ERROR_PREFIX "Failed" },
  { BS_ERROR_NOT_FOUND, BS_ERROR_PREFIX "NotFound" },
  { BS_ERROR_INVALID_ARGS, BS_ERROR_PREFIX "InvalidArgs" },
  { BS_ERROR_BUSY, BS_ERROR_PREFIX "Busy" },
  { BS_ERROR_UNREACHABLE, BS_ERROR_PREFIX "Unreachable" },
  { BS_ERROR_TIMED_OUT, BS_ERROR_PREFIX "TimedOut" },
  { BS_ERROR_CANCELLED, BS_ERROR_PREFIX "Cancelled" },
  { BS_ERROR_PERMISSION_DENIED, BS_ERROR_PREFIX "PermissionDenied" },
  { BS_ERROR_PROTOCOL, BS_ERROR_PREFIX "Protocol" },
  { BS_ERROR_AUTH_FAILED, BS_ERROR_PREFIX "AuthFailed" },
  { BS_ERROR_DEVICE_FULL, BS_ERROR_PREFIX "DeviceFull" },
  { BS_ERROR_INCOMPATIBLE, BS_ERROR_PREFIX "Incompatible" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (bs_error_entries) == BS_ERROR_N_CODES);

GQuark
bs_error_quark (void)
{
  static gsize quark = 0;

  /* registers once; cheap afterwards */
  g_dbus_error_register_error_domain ("bs-error-quark", &quark, bs_error_entries,
                                      G_N_ELEMENTS (bs_error_entries));
  return (GQuark)quark;
}

const char *
bs_error_to_dbus_name (BsError code)
{
  if ((guint)code >= G_N_ELEMENTS (bs_error_entries))
    return NULL;
  g_assert (bs_error_entries[code].error_code == (int)code);
  return bs_error_entries[code].dbus_error_name;
}

gboolean
bs_error_from_dbus_name (const char *name, BsError *code)
{
  guint i;

  g_return_val_if_fail (name != NULL, FALSE);

  for (i = 0; i < G_N_ELEMENTS (bs_error_entries); i++)
    {
      if (g_str_equal (name, bs_error_entries[i].dbus_error_name))
        {
          if (code != NULL)
            *code = (BsError)bs_error_entries[i].error_code;
          return TRUE;
        }
    }
  return FALSE;
}

BsError
bs_error_code_from_io (int io_error_code)
{
  /* a switch on int: GIOErrorEnum grows with GLib, and unlisted codes
   * are simply Failed */
  switch (io_error_code)
    {
    case G_IO_ERROR_NOT_FOUND:
      return BS_ERROR_NOT_FOUND;
    case G_IO_ERROR_INVALID_ARGUMENT:
    case G_IO_ERROR_INVALID_DATA:
    case G_IO_ERROR_INVALID_FILENAME:
    case G_IO_ERROR_FILENAME_TOO_LONG:
    case G_IO_ERROR_EXISTS:
    case G_IO_ERROR_IS_DIRECTORY:
    case G_IO_ERROR_NOT_DIRECTORY:
    case G_IO_ERROR_NOT_REGULAR_FILE:
    case G_IO_ERROR_READ_ONLY:
    case G_IO_ERROR_CLOSED:
      return BS_ERROR_INVALID_ARGS;
    case G_IO_ERROR_BUSY:
    case G_IO_ERROR_WOULD_BLOCK:
    case G_IO_ERROR_PENDING:
    case G_IO_ERROR_TOO_MANY_OPEN_FILES:
    case G_IO_ERROR_ADDRESS_IN_USE:
      return BS_ERROR_BUSY;
    case G_IO_ERROR_HOST_NOT_FOUND:
    case G_IO_ERROR_HOST_UNREACHABLE:
    case G_IO_ERROR_NETWORK_UNREACHABLE:
    case G_IO_ERROR_CONNECTION_REFUSED:
    case G_IO_ERROR_NOT_CONNECTED:
    case G_IO_ERROR_CONNECTION_CLOSED: /* also G_IO_ERROR_BROKEN_PIPE */
    case G_IO_ERROR_NO_SUCH_DEVICE:
      return BS_ERROR_UNREACHABLE;
    case G_IO_ERROR_TIMED_OUT:
      return BS_ERROR_TIMED_OUT;
    case G_IO_ERROR_CANCELLED:
      return BS_ERROR_CANCELLED;
    case G_IO_ERROR_PERMISSION_DENIED:
      return BS_ERROR_PERMISSION_DENIED;
    case G_IO_ERROR_NOT_SUPPORTED:
      return BS_ERROR_INCOMPATIBLE;
    case G_IO_ERROR_PARTIAL_INPUT:
    case G_IO_ERROR_MESSAGE_TOO_LARGE:
      return BS_ERROR_PROTOCOL;
    default:
      /* G_IO_ERROR_NO_SPACE is the server's disk, not a terminal: Failed */
      return BS_ERROR_FAILED;
    }
}

BsError
bs_error_code_from_dbus (int dbus_error_code)
{
  switch (dbus_error_code)
    {
    case G_DBUS_ERROR_ACCESS_DENIED:
    case G_DBUS_ERROR_AUTH_FAILED:
      return BS_ERROR_PERMISSION_DENIED;
    case G_DBUS_ERROR_INVALID_ARGS:
    case G_DBUS_ERROR_INVALID_SIGNATURE:
    case G_DBUS_ERROR_PROPERTY_READ_ONLY:
      return BS_ERROR_INVALID_ARGS;
    case G_DBUS_ERROR_SERVICE_UNKNOWN:
    case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
    case G_DBUS_ERROR_UNKNOWN_METHOD:
    case G_DBUS_ERROR_UNKNOWN_OBJECT:
    case G_DBUS_ERROR_UNKNOWN_INTERFACE:
    case G_DBUS_ERROR_UNKNOWN_PROPERTY:
      return BS_ERROR_NOT_FOUND;
    case G_DBUS_ERROR_NO_REPLY:
    case G_DBUS_ERROR_TIMEOUT:
    case G_DBUS_ERROR_TIMED_OUT:
      return BS_ERROR_TIMED_OUT;
    case G_DBUS_ERROR_LIMITS_EXCEEDED:
      return BS_ERROR_BUSY;
    case G_DBUS_ERROR_NO_SERVER:
    case G_DBUS_ERROR_NO_NETWORK:
    case G_DBUS_ERROR_DISCONNECTED:
      return BS_ERROR_UNREACHABLE;
    case G_DBUS_ERROR_NOT_SUPPORTED:
      return BS_ERROR_INCOMPATIBLE;
    default:
      return BS_ERROR_FAILED;
    }
}

BsError
bs_error_code_from_zk (int zk_error_code)
{
  /* a switch on the enum without default: -Wswitch-enum makes a new
   * ZkErrorCode fail the build until it is mapped here */
  switch ((ZkErrorCode)zk_error_code)
    {
    case ZK_ERROR_FAILED:
      return BS_ERROR_FAILED;
    case ZK_ERROR_TIMED_OUT:
      return BS_ERROR_TIMED_OUT;
    case ZK_ERROR_UNREACHABLE:
    case ZK_ERROR_CLOSED:
      return BS_ERROR_UNREACHABLE;
    case ZK_ERROR_AUTH_FAILED:
      return BS_ERROR_AUTH_FAILED;
    case ZK_ERROR_PROTOCOL:
      return BS_ERROR_PROTOCOL;
    case ZK_ERROR_DEVICE:
      /* the terminal refused a command (ACK_ERROR): the message says which */
      return BS_ERROR_FAILED;
    case ZK_ERROR_UNSUPPORTED:
      return BS_ERROR_INCOMPATIBLE;
    case ZK_ERROR_FULL:
      return BS_ERROR_DEVICE_FULL;
    case ZK_ERROR_NOT_FOUND:
      return BS_ERROR_NOT_FOUND;
    case ZK_ERROR_CANCELLED:
      return BS_ERROR_CANCELLED;
    case ZK_ERROR_INVALID_ARGUMENT:
      return BS_ERROR_INVALID_ARGS;
    }
  return BS_ERROR_FAILED;
}

BsError
bs_error_code_for (const GError *error, BsError fallback)
{
  g_return_val_if_fail (error != NULL, BS_ERROR_FAILED);

  if (error->domain == BS_ERROR)
    {
      if ((guint)error->code < BS_ERROR_N_CODES)
        return (BsError)error->code;
      return BS_ERROR_FAILED;
    }
  if (g_dbus_error_is_remote_error (error))
    {
      /* one of our names that was decoded before BS_ERROR was registered */
      g_autofree char *name = g_dbus_error_get_remote_error (error);
      BsError code;

      if (bs_error_from_dbus_name (name, &code))
        return code;
    }
  if (error->domain == G_IO_ERROR)
    return bs_error_code_from_io (error->code);
  if (error->domain == G_DBUS_ERROR)
    return bs_error_code_from_dbus (error->code);
  if (error->domain == ZK_ERROR)
    return bs_error_code_from_zk (error->code);
  if ((guint)fallback >= BS_ERROR_N_CODES)
    return BS_ERROR_FAILED;
  return fallback;
}

GError *
bs_error_convert (const GError *error, BsError fallback)
{
  g_autoptr (GError) copy = NULL;

  g_return_val_if_fail (error != NULL, NULL);

  copy = g_error_copy (error);
  /* a remote error's message starts with "GDBus.Error:name: " */
  if (g_dbus_error_is_remote_error (copy))
    g_dbus_error_strip_remote_error (copy);
  return g_error_new_literal (BS_ERROR, bs_error_code_for (error, fallback), copy->message);
}

void
bs_error_convert_in_place (GError **error, BsError fallback)
{
  GError *converted;

  if (error == NULL || *error == NULL || (*error)->domain == BS_ERROR)
    return;
  converted = bs_error_convert (*error, fallback);
  g_clear_error (error);
  *error = converted;
}
