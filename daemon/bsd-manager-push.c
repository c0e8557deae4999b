/* bsd-manager-push.c — push terminals on the Manager: the receiver's
 * state, pending terminals, AcceptDevice and RefuseDevice
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "biosyncd"

#include "config.h"

#include "bsd-manager-private.h"

#include "bsd-device-object.h"
#include "bsd-error.h"
#include "bsd-time-zone.h"
#include "push-request.h"

/* PendingDevices follows the store */
void
bsd_manager_update_pending (BsdManager *self)
{
  guint count = 0;

  if (bsd_store_count_pending_push_devices (self->store, &count, NULL))
    bs_dbus_manager_set_pending_devices (BS_DBUS_MANAGER (self), count);
}

static void
state_changed_cb (BsdPushServer *push, BsdManager *self)
{
  bs_dbus_manager_set_push_state (BS_DBUS_MANAGER (self), bsd_push_server_get_state (push));
}

static void
pending_changed_cb (BsdPushServer *push, BsdManager *self)
{
  bsd_manager_update_pending (self);
}

static void
device_changed_cb (BsdPushServer *push, guint device_id, BsdManager *self)
{
  bsd_manager_refresh_device (self, device_id);
  /* a job waiting for this terminal's results looks again */
  bsd_engine_push_notify (self->engine, device_id);
}

static void
punch_stored_cb (BsdPushServer *push,
                 guint device_id,
                 const BsdStoredPunch *stored,
                 BsdManager *self)
{
  bsd_manager_emit_punch (self, device_id, stored);
}

/* ------------------------------------------------------------ the list */

static GVariant *
pending_entry (const BsdPushDevice *d)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "serial", "s", d->serial);
  g_variant_dict_insert (&dict, "address", "s", d->address ? d->address : "");
  g_variant_dict_insert (&dict, "first-seen", "t", (guint64)MAX (d->first_seen, 0));
  g_variant_dict_insert (&dict, "last-seen", "t", (guint64)MAX (d->last_seen, 0));
  g_variant_dict_insert (&dict, "dialect", "s", d->dialect ? d->dialect : "");
  g_variant_dict_insert (&dict, "push-version", "s", d->push_version ? d->push_version : "");
  g_variant_dict_insert (&dict, "firmware", "s", d->firmware ? d->firmware : "");
  g_variant_dict_insert (&dict, "device-name", "s", d->device_name ? d->device_name : "");
  g_variant_dict_insert (&dict, "requests", "u", d->requests);
  g_variant_dict_insert (&dict, "refused", "b", d->state == BSD_PUSH_REFUSED);
  return g_variant_dict_end (&dict);
}

static gboolean
handle_list_pending_devices (BsDBusManager *iface, GDBusMethodInvocation *invocation)
{
  BsdManager *self = BSD_MANAGER (iface);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = NULL;
  GVariantBuilder builder;

  /* bounded: at most PUSH_PENDING_MAX pending, refused ones by hand */
  devices = bsd_store_list_unaccepted_push_devices (self->store, &error);
  if (devices == NULL)
    {
      bsd_error_return (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < devices->len; i++)
    g_variant_builder_add_value (&builder, pending_entry (g_ptr_array_index (devices, i)));
  bs_dbus_manager_complete_list_pending_devices (iface, invocation,
                                                 g_variant_builder_end (&builder));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ------------------------------------------------------ accept, refuse */

typedef struct
{
  char *serial;
  char *name; /* NULL: the device's name, else the serial */
  guint area_id;
  char *time_zone;
  gboolean enabled;
  char *comm_key;
} Accept;

static void
accept_free (Accept *accept)
{
  g_free (accept->serial);
  g_free (accept->name);
  g_free (accept->time_zone);
  g_free (accept->comm_key);
  g_free (accept);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Accept, accept_free)

static gboolean
check_serial (GDBusMethodInvocation *invocation, const char *serial)
{
  if (push_serial_is_valid (serial))
    return TRUE;
  bsd_error_return_invalid (invocation, "serial: letters, digits, _ and -, at most 64");
  return FALSE;
}

/* 32 hexadecimal digits (§3) */
static gboolean
comm_key_is_valid (const char *key)
{
  if (strlen (key) != 32)
    return FALSE;
  for (guint i = 0; i < 32; i++)
    if (!g_ascii_isxdigit (key[i]))
      return FALSE;
  return TRUE;
}

/* the config of AcceptDevice; FALSE has replied */
static gboolean
parse_accept (BsdManager *self, GDBusMethodInvocation *invocation, GVariant *config, Accept *accept)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  if (!bsd_manager_check_dict (invocation, config, "config"))
    return FALSE;
  g_variant_iter_init (&iter, config);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    {
      gboolean ok = TRUE;

      if (g_str_equal (key, "name") && g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        {
          ok = bsd_manager_check_text (invocation, g_variant_get_string (value, NULL), "name", 1,
                                       MAX_NAME);
          accept->name = g_variant_dup_string (value, NULL);
        }
      else if (g_str_equal (key, "area") && g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
        {
          accept->area_id = g_variant_get_uint32 (value);
          ok = accept->area_id == 0 || bsd_manager_check_area (self, invocation, accept->area_id);
        }
      else if (g_str_equal (key, "time-zone")
               && g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        {
          const char *tz = g_variant_get_string (value, NULL);

          if (*tz != '\0' && (strlen (tz) > 64 || !bsd_time_zone_is_valid (tz)))
            {
              bsd_error_return_invalid (invocation, "config “time-zone”: not a time zone");
              return FALSE;
            }
          accept->time_zone = *tz != '\0' ? g_strdup (tz) : NULL;
        }
      else if (g_str_equal (key, "enabled") && g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
        accept->enabled = g_variant_get_boolean (value);
      else if (g_str_equal (key, "comm-key") && g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        {
          accept->comm_key = g_variant_dup_string (value, NULL);
          if (!comm_key_is_valid (accept->comm_key))
            {
              bsd_error_return_invalid (invocation, "config “comm-key”: 32 hexadecimal digits");
              return FALSE;
            }
        }
      else
        {
          bsd_error_return_invalid (invocation, "config: unknown key “%s” or wrong type", key);
          return FALSE;
        }
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

static void
accept_authorized (BsdManager *self,
                   GDBusMethodInvocation *invocation,
                   const char *trigger,
                   gint64 uid,
                   gpointer data)
{
  Accept *accept = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdPushDevice) push = NULL;
  g_autoptr (BsdDeviceConfig) config = bsd_device_config_new ();
  g_autofree char *path = NULL;
  guint device_id = 0;

  push = bsd_store_get_push_device (self->store, accept->serial, &error);
  if (push != NULL)
    {
      config->name
          = g_strdup (accept->name != NULL                                      ? accept->name
                      : push->device_name != NULL && *push->device_name != '\0' ? push->device_name
                                                                                : accept->serial);
      config->area_id = accept->area_id;
      config->time_zone = g_strdup (accept->time_zone);
      config->enabled = accept->enabled;
      /* both in one transaction: a key is never missing from an accepted terminal */
      if (bsd_store_begin (self->store, &error))
        {
          device_id = bsd_store_accept_push_device (self->store, accept->serial, config, &error);
          if (device_id != 0 && accept->comm_key != NULL
              && !bsd_store_set_push_comm_key (self->store, accept->serial, accept->comm_key,
                                               &error))
            device_id = 0;
          if (device_id != 0 && !bsd_store_commit (self->store, &error))
            device_id = 0;
          if (device_id == 0)
            bsd_store_rollback (self->store, NULL);
        }
    }
  if (device_id == 0)
    {
      bsd_error_return (invocation, error);
      return;
    }
  g_message ("push terminal %s accepted as device %u by %s", accept->serial, device_id, trigger);
  bsd_manager_refresh_objects (self);
  bsd_manager_update_pending (self);
  path = bsd_device_object_path (device_id);
  bs_dbus_manager_complete_accept_device (BS_DBUS_MANAGER (self), invocation, path);
}

static gboolean
handle_accept_device (BsDBusManager *iface,
                      GDBusMethodInvocation *invocation,
                      const char *serial,
                      GVariant *config)
{
  BsdManager *self = BSD_MANAGER (iface);
  g_autoptr (Accept) accept = g_new0 (Accept, 1);

  accept->enabled = TRUE;
  if (!check_serial (invocation, serial) || !parse_accept (self, invocation, config, accept))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  accept->serial = g_strdup (serial);
  bsd_manager_authorize (self, invocation, accept_authorized, g_steal_pointer (&accept),
                         (GDestroyNotify)accept_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
refuse_authorized (BsdManager *self,
                   GDBusMethodInvocation *invocation,
                   const char *trigger,
                   gint64 uid,
                   gpointer data)
{
  const char *serial = data;
  g_autoptr (GError) error = NULL;

  if (!bsd_store_refuse_push_device (self->store, serial, &error))
    {
      bsd_error_return (invocation, error);
      return;
    }
  g_message ("push terminal %s refused by %s", serial, trigger);
  bsd_manager_refresh_objects (self);
  bsd_manager_update_pending (self);
  bs_dbus_manager_complete_refuse_device (BS_DBUS_MANAGER (self), invocation);
}

static gboolean
handle_refuse_device (BsDBusManager *iface, GDBusMethodInvocation *invocation, const char *serial)
{
  BsdManager *self = BSD_MANAGER (iface);

  if (!check_serial (invocation, serial))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  bsd_manager_authorize (self, invocation, refuse_authorized, g_strdup (serial), g_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ----------------------------------------------------------- lifecycle */

void
bsd_manager_push_init (BsdManager *self)
{
  g_signal_connect (self, "handle-list-pending-devices", G_CALLBACK (handle_list_pending_devices),
                    NULL);
  g_signal_connect (self, "handle-accept-device", G_CALLBACK (handle_accept_device), NULL);
  g_signal_connect (self, "handle-refuse-device", G_CALLBACK (handle_refuse_device), NULL);
}

void
bsd_manager_push_start (BsdManager *self)
{
  self->push = bsd_push_server_new (bsd_store_get_path (self->store));
  g_signal_connect_object (self->push, "state-changed", G_CALLBACK (state_changed_cb), self, 0);
  g_signal_connect_object (self->push, "pending-changed", G_CALLBACK (pending_changed_cb), self, 0);
  g_signal_connect_object (self->push, "device-changed", G_CALLBACK (device_changed_cb), self, 0);
  g_signal_connect_object (self->push, "punch-stored", G_CALLBACK (punch_stored_cb), self, 0);
  bs_dbus_manager_set_push_state (BS_DBUS_MANAGER (self), "off");
  bsd_manager_update_pending (self);
}
