/* bs-client-error.c — BsClient: the error of any call as one translated sentence
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "bs-client.h"

static char *
remote_message (const GError *error)
{
  g_autoptr (GError) copy = g_error_copy (error);

  g_dbus_error_strip_remote_error (copy);
  return g_strdup (copy->message);
}

static char *
permission_denied_string (const GError *error)
{
  const char *message = error->message;

  /* the daemon names the polkit action it asked for */
  if (strstr (message, "org.biosync.configure") != NULL)
    return g_strdup (_ ("You are not allowed to change the settings."));
  if (strstr (message, "org.biosync.destructive") != NULL)
    return g_strdup (
        _ ("You are not allowed to delete people, allow deleted people again or clear terminal "
           "logs."));
  if (strstr (message, "org.biosync.manage") != NULL)
    return g_strdup (_ ("You are not allowed to manage devices, areas, people or attendance."));
  if (strstr (message, "org.biosync.sync") != NULL)
    return g_strdup (_ ("You are not allowed to start a sync."));
  return g_strdup (_ ("You are not allowed to do this."));
}

static char *
bs_error_string (const GError *error)
{
  g_autofree char *detail = remote_message (error);

  switch ((BsError)error->code)
    {
    case BS_ERROR_NOT_FOUND:
      /* TRANSLATORS: %s is the service's technical detail, e.g. "device_id: no device 7" */
      return g_strdup_printf (_ ("It does not exist (%s)."), detail);
    case BS_ERROR_INVALID_ARGS:
      /* TRANSLATORS: %s names the value, e.g. "name: must not be empty" */
      return g_strdup_printf (_ ("This value is not acceptable (%s)."), detail);
    case BS_ERROR_BUSY:
      return g_strdup (_ ("This cannot be done now because a job is working on it."));
    case BS_ERROR_UNREACHABLE:
      return g_strdup (_ ("The terminal cannot be reached."));
    case BS_ERROR_TIMED_OUT:
      return g_strdup (_ ("There was no answer in time."));
    case BS_ERROR_CANCELLED:
      return g_strdup (_ ("The operation was cancelled."));
    case BS_ERROR_PERMISSION_DENIED:
      return permission_denied_string (error);
    case BS_ERROR_PROTOCOL:
      return g_strdup (_ ("The terminal answered something unexpected."));
    case BS_ERROR_AUTH_FAILED:
      return g_strdup (_ ("The terminal refused the communication key."));
    case BS_ERROR_DEVICE_FULL:
      return g_strdup (_ ("The terminal is full."));
    case BS_ERROR_INCOMPATIBLE:
      return g_strdup (_ ("The terminal does not support this."));
    case BS_ERROR_FAILED:
    default:
      return g_strdup_printf (_ ("The biosync service failed (%s)."), detail);
    }
}

static char *
dbus_error_string (const GError *error)
{
  switch (error->code)
    {
    case G_DBUS_ERROR_ACCESS_DENIED:
    case G_DBUS_ERROR_AUTH_FAILED:
      return g_strdup (_ ("You are not allowed to do this."));
    case G_DBUS_ERROR_SERVICE_UNKNOWN:
    case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
    case G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND:
    case G_DBUS_ERROR_SPAWN_EXEC_FAILED:
    case G_DBUS_ERROR_SPAWN_CHILD_EXITED:
    case G_DBUS_ERROR_SPAWN_FAILED:
    case G_DBUS_ERROR_SPAWN_SERVICE_INVALID:
      return g_strdup (_ ("The biosync service is not running."));
    case G_DBUS_ERROR_NO_REPLY:
    case G_DBUS_ERROR_TIMEOUT:
    case G_DBUS_ERROR_TIMED_OUT:
      return g_strdup (_ ("The biosync service did not answer in time."));
    case G_DBUS_ERROR_DISCONNECTED:
    case G_DBUS_ERROR_NO_SERVER:
    case G_DBUS_ERROR_NO_NETWORK:
      return g_strdup (_ ("The connection to the system bus was lost."));
    case G_DBUS_ERROR_UNKNOWN_METHOD:
    case G_DBUS_ERROR_UNKNOWN_OBJECT:
    case G_DBUS_ERROR_UNKNOWN_INTERFACE:
    case G_DBUS_ERROR_UNKNOWN_PROPERTY:
    case G_DBUS_ERROR_PROPERTY_READ_ONLY:
      return g_strdup (_ ("The biosync service does not support this request."));
    case G_DBUS_ERROR_INVALID_ARGS:
    case G_DBUS_ERROR_INVALID_SIGNATURE:
      {
        g_autofree char *detail = remote_message (error);

        return g_strdup_printf (_ ("This value is not acceptable (%s)."), detail);
      }
    default:
      {
        g_autofree char *detail = remote_message (error);

        return g_strdup_printf (_ ("Talking to the biosync service failed (%s)."), detail);
      }
    }
}

char *
bs_client_error_to_string (const GError *error)
{
  if (error == NULL)
    return g_strdup (_ ("An unknown error occurred."));

  if (error->domain == BS_ERROR)
    return bs_error_string (error);
  if (error->domain == G_DBUS_ERROR)
    return dbus_error_string (error);
  /* ours (bs-client-export.c): a translated sentence naming the file */
  if (error->domain == G_FILE_ERROR)
    return g_strdup (error->message);
  if (error->domain == G_IO_ERROR)
    {
      switch (error->code)
        {
        case G_IO_ERROR_CANCELLED:
          return g_strdup (_ ("The operation was cancelled."));
        case G_IO_ERROR_TIMED_OUT:
          return g_strdup (_ ("The biosync service did not answer in time."));
        case G_IO_ERROR_PERMISSION_DENIED:
          return g_strdup (_ ("You are not allowed to do this."));
        case G_IO_ERROR_CLOSED:
        case G_IO_ERROR_BROKEN_PIPE:
          return g_strdup (_ ("The connection to the system bus was lost."));
        case G_IO_ERROR_DBUS_ERROR:
          {
            g_autofree char *detail = remote_message (error);

            return g_strdup_printf (_ ("Talking to the biosync service failed (%s)."), detail);
          }
        default:
          break;
        }
    }
  return g_strdup_printf (_ ("Something went wrong (%s)."), error->message);
}
