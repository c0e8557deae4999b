/* bsd-manager-objects.c — the exported Device and Area objects, and editing areas and devices
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-manager-private.h"

#include <string.h>

#include "bsd-area-object.h"
#include "bsd-device-object.h"
#include "bsd-time-zone.h"

/* ------------------------------------------------------ exported objects */

void
bsd_manager_forget_device_list (BsdManager *self)
{
  g_clear_pointer (&self->device_list, g_variant_unref);
}

/* unexports the objects of @objects (id → object) a refresh did not see;
 * how many */
static guint
unexport_unseen (BsdManager *self, GHashTable *objects, GHashTable *seen)
{
  GHashTableIter iter;
  gpointer key, value;
  guint removed = 0;

  g_hash_table_iter_init (&iter, objects);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (seen, key))
      {
        g_dbus_object_manager_server_unexport (
            self->object_manager, g_dbus_object_get_object_path (G_DBUS_OBJECT (value)));
        g_hash_table_iter_remove (&iter);
        removed++;
      }
  return removed;
}

/* one kind of exported object: how to list the rows, make an object of
 * a new row and bring an existing one up to date */
typedef struct
{
  const char *what;
  GPtrArray *(*list) (BsdStore *store, GError **error);
  goffset id_offset;
  BsDBusObjectSkeleton *(*create) (BsdManager *self, gconstpointer row);
  void (*update) (BsdManager *self, BsDBusObjectSkeleton *object, gconstpointer row);
} ObjectKind;

/* exports an object per row of @kind in @objects (id → object), updates the
 * ones already there and unexports the rest; how many came or went */
static guint
refresh_kind (BsdManager *self, const ObjectKind *kind, GHashTable *objects)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = kind->list (self->store, &error);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  guint changed = 0;
  guint i;

  if (rows == NULL)
    {
      g_warning ("listing %s: %s", kind->what, error->message);
      return 0;
    }
  for (i = 0; i < rows->len; i++)
    {
      gconstpointer row = rows->pdata[i];
      gpointer id = GUINT_TO_POINTER (G_STRUCT_MEMBER (guint, row, kind->id_offset));
      BsDBusObjectSkeleton *object = g_hash_table_lookup (objects, id);

      g_hash_table_add (seen, id);
      if (object == NULL)
        {
          object = kind->create (self, row);
          g_hash_table_insert (objects, id, object);
          changed++;
        }
      else
        kind->update (self, object, row);
      /* export once: exporting a path again replaces the object, which
       * clients see as InterfacesRemoved + InterfacesAdded */
      if (!g_dbus_object_manager_server_is_exported (self->object_manager,
                                                     G_DBUS_OBJECT_SKELETON (object)))
        g_dbus_object_manager_server_export (self->object_manager, G_DBUS_OBJECT_SKELETON (object));
    }
  return changed + unexport_unseen (self, objects, seen);
}

static BsDBusObjectSkeleton *
create_device (BsdManager *self, gconstpointer row)
{
  const BsdDevice *d = row;
  g_autofree char *path = bsd_device_object_path (d->id);
  g_autoptr (BsdDeviceObject) device = bsd_device_object_new (d);
  BsDBusObjectSkeleton *object = bs_dbus_object_skeleton_new (path);

  g_signal_connect_swapped (device, "notify", G_CALLBACK (bsd_manager_forget_device_list), self);
  bsd_manager_connect_object_jobs (self, device);
  bs_dbus_object_skeleton_set_device (object, BS_DBUS_DEVICE (device));
  return object;
}

static void
update_device (BsdManager *self, BsDBusObjectSkeleton *object, gconstpointer row)
{
  g_autoptr (BsDBusDevice) device = bs_dbus_object_get_device (BS_DBUS_OBJECT (object));

  bsd_device_object_update (BSD_DEVICE_OBJECT (device), row);
}

static void
update_area (BsdManager *self, BsDBusObjectSkeleton *object, gconstpointer row)
{
  const BsdArea *a = row;
  g_autoptr (GPtrArray) members = bsd_store_list_area_devices (self->store, a->id, NULL);
  g_autoptr (BsDBusArea) area = bs_dbus_object_get_area (BS_DBUS_OBJECT (object));

  bsd_area_object_update (BSD_AREA_OBJECT (area), a, members);
}

static BsDBusObjectSkeleton *
create_area (BsdManager *self, gconstpointer row)
{
  const BsdArea *a = row;
  g_autofree char *path = bsd_area_object_path (a->id);
  g_autoptr (BsDBusArea) area = BS_DBUS_AREA (bsd_area_object_new ());
  BsDBusObjectSkeleton *object = bs_dbus_object_skeleton_new (path);

  bsd_manager_connect_object_jobs (self, area);
  bs_dbus_object_skeleton_set_area (object, area);
  update_area (self, object, row);
  return object;
}

static const ObjectKind device_kind = {
  "devices", bsd_store_list_devices, G_STRUCT_OFFSET (BsdDevice, id), create_device, update_device,
};

static const ObjectKind area_kind = {
  "areas", bsd_store_list_areas, G_STRUCT_OFFSET (BsdArea, id), create_area, update_area,
};

static void
refresh_devices (BsdManager *self)
{
  /* the cached list goes stale when a device comes or goes */
  if (refresh_kind (self, &device_kind, self->devices) > 0)
    bsd_manager_forget_device_list (self);
}

static void
refresh_areas (BsdManager *self)
{
  refresh_kind (self, &area_kind, self->areas);
}

void
bsd_manager_refresh_objects (BsdManager *self)
{
  refresh_devices (self);
  refresh_areas (self);
  bsd_manager_update_pending (self);
  /* live sessions follow the device table */
  bsd_manager_live_reload (self);
}

void
bsd_manager_refresh_device (BsdManager *self, guint device_id)
{
  BsDBusObjectSkeleton *object = g_hash_table_lookup (self->devices, GUINT_TO_POINTER (device_id));
  g_autoptr (BsdDevice) device = NULL;
  g_autoptr (BsDBusDevice) iface = NULL;

  if (object == NULL)
    return; /* removed meanwhile */
  device = bsd_store_get_device (self->store, device_id, NULL);
  if (device == NULL)
    return;
  iface = bs_dbus_object_get_device (BS_DBUS_OBJECT (object));
  bsd_device_object_update (BSD_DEVICE_OBJECT (iface), device);
}

/* the engine wrote one device's health or counts: that object only */
static void
device_changed_cb (BsdEngine *engine, guint device_id, BsdManager *self)
{
  bsd_manager_refresh_device (self, device_id);
}

/* a job works with the device: "busy" until its step is done (then
 * device_changed_cb () shows the state the session left) */
static void
device_busy_cb (BsdEngine *engine, guint device_id, BsdManager *self)
{
  BsDBusObjectSkeleton *object = g_hash_table_lookup (self->devices, GUINT_TO_POINTER (device_id));
  g_autoptr (BsDBusDevice) iface = NULL;

  if (object == NULL)
    return;
  iface = bs_dbus_object_get_device (BS_DBUS_OBJECT (object));
  bs_dbus_device_set_state (iface, "busy");
}

static void
area_changed_cb (BsdEngine *engine, guint area_id, BsdManager *self)
{
  refresh_areas (self);
}

/* --------------------------------------------------- areas and devices */

/* the end of an edit of areas or devices: the objects follow it when @ok,
 * else @error goes back to the caller; whether the caller gets a reply yet */
static gboolean
edit_done (BsdManager *self, GDBusMethodInvocation *invocation, gboolean ok, const GError *error)
{
  if (!ok)
    {
      bsd_error_return (invocation, error);
      return FALSE;
    }
  bsd_manager_refresh_objects (self);
  return TRUE;
}

typedef struct
{
  guint id;
  char *name;
} AreaEdit;

static void
area_edit_free (AreaEdit *edit)
{
  g_free (edit->name);
  g_free (edit);
}

static void
add_area_authorized (BsdManager *self,
                     GDBusMethodInvocation *invocation,
                     const char *trigger,
                     gint64 uid,
                     gpointer data)
{
  AreaEdit *edit = data;
  g_autoptr (GError) error = NULL;
  guint id = bsd_store_add_area (self->store, edit->name, &error);

  if (edit_done (self, invocation, id != 0, error))
    bs_dbus_manager_complete_add_area (BS_DBUS_MANAGER (self), invocation, id);
}

static gboolean
handle_add_area (BsDBusManager *iface, GDBusMethodInvocation *invocation, const char *name)
{
  AreaEdit *edit;

  if (!bsd_manager_check_text (invocation, name, "name", 1, MAX_NAME))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  edit = g_new0 (AreaEdit, 1);
  edit->name = g_strdup (name);
  bsd_manager_authorize (BSD_MANAGER (iface), invocation, add_area_authorized, edit,
                         (GDestroyNotify)area_edit_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
rename_area_authorized (BsdManager *self,
                        GDBusMethodInvocation *invocation,
                        const char *trigger,
                        gint64 uid,
                        gpointer data)
{
  AreaEdit *edit = data;
  g_autoptr (GError) error = NULL;
  gboolean ok = bsd_store_rename_area (self->store, edit->id, edit->name, &error);

  if (edit_done (self, invocation, ok, error))
    bs_dbus_manager_complete_rename_area (BS_DBUS_MANAGER (self), invocation);
}

static gboolean
handle_rename_area (BsDBusManager *iface,
                    GDBusMethodInvocation *invocation,
                    guint area_id,
                    const char *name)
{
  BsdManager *self = BSD_MANAGER (iface);
  AreaEdit *edit;

  if (!bsd_manager_check_text (invocation, name, "name", 1, MAX_NAME)
      || !bsd_manager_check_area (self, invocation, area_id))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  edit = g_new0 (AreaEdit, 1);
  edit->id = area_id;
  edit->name = g_strdup (name);
  bsd_manager_authorize (self, invocation, rename_area_authorized, edit,
                         (GDestroyNotify)area_edit_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
remove_area_authorized (BsdManager *self,
                        GDBusMethodInvocation *invocation,
                        const char *trigger,
                        gint64 uid,
                        gpointer data)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = bsd_store_remove_area (self->store, GPOINTER_TO_UINT (data), &error);

  if (edit_done (self, invocation, ok, error))
    bs_dbus_manager_complete_remove_area (BS_DBUS_MANAGER (self), invocation);
}

/* RemoveArea and RemoveDevice: @check that @id exists, then ask polkit */
static gboolean
authorize_removal (BsDBusManager *iface,
                   GDBusMethodInvocation *invocation,
                   guint id,
                   gboolean (*check) (BsdManager *, GDBusMethodInvocation *, guint),
                   BsdManagerAuthorizedFunc removal)
{
  BsdManager *self = BSD_MANAGER (iface);

  if (check (self, invocation, id))
    bsd_manager_authorize (self, invocation, removal, GUINT_TO_POINTER (id), NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_remove_area (BsDBusManager *iface, GDBusMethodInvocation *invocation, guint area_id)
{
  return authorize_removal (iface, invocation, area_id, bsd_manager_check_area,
                            remove_area_authorized);
}

typedef struct
{
  guint device_id;
  BsdDeviceConfig *config;
  gboolean set_key;
  guint32 comm_key;
} DeviceEdit;

static void
device_edit_free (DeviceEdit *edit)
{
  bsd_device_config_free (edit->config);
  g_free (edit);
}

/* one option of AddDevice/UpdateDevice, its value of the right type: FALSE
 * once the call was answered with why it is invalid */
typedef gboolean (*DeviceOptionFunc) (GDBusMethodInvocation *invocation,
                                      GVariant *value,
                                      DeviceEdit *edit);

/* @value is @min to @max; FALSE once the call was answered that it is not */
static gboolean
option_in_range (
    GDBusMethodInvocation *invocation, const char *key, guint32 value, guint32 min, guint32 max)
{
  if (value >= min && value <= max)
    return TRUE;
  bsd_error_return_invalid (invocation, "option “%s” is %u to %u", key, min, max);
  return FALSE;
}

static gboolean
option_protocol (GDBusMethodInvocation *invocation, GVariant *value, DeviceEdit *edit)
{
  const char *p = g_variant_get_string (value, NULL);

  if (!g_str_equal (p, "tcp") && !g_str_equal (p, "udp") && !g_str_equal (p, "auto"))
    {
      bsd_error_return_invalid (invocation, "option “protocol” is tcp, udp or auto");
      return FALSE;
    }
  g_free (edit->config->protocol);
  edit->config->protocol = g_strdup (p);
  return TRUE;
}

static gboolean
option_comm_key (GDBusMethodInvocation *invocation, GVariant *value, DeviceEdit *edit)
{
  edit->comm_key = g_variant_get_uint32 (value);
  edit->set_key = TRUE;
  return option_in_range (invocation, "comm-key", edit->comm_key, 0, 999999);
}

static gboolean
option_timeout (GDBusMethodInvocation *invocation, GVariant *value, DeviceEdit *edit)
{
  edit->config->timeout_ms = g_variant_get_uint32 (value);
  return option_in_range (invocation, "timeout-ms", edit->config->timeout_ms, 100, 600000);
}

static gboolean
option_enabled (GDBusMethodInvocation *invocation, GVariant *value, DeviceEdit *edit)
{
  edit->config->enabled = g_variant_get_boolean (value);
  return TRUE;
}

static gboolean
option_live_punches (GDBusMethodInvocation *invocation, GVariant *value, DeviceEdit *edit)
{
  edit->config->live_punches = g_variant_get_boolean (value);
  return TRUE;
}

static gboolean
option_time_zone (GDBusMethodInvocation *invocation, GVariant *value, DeviceEdit *edit)
{
  const char *tz = g_variant_get_string (value, NULL);

  /* by name only: loading a zone opens a file (any path it is given) */
  if (strlen (tz) > 64 || !g_utf8_validate (tz, -1, NULL) || !bsd_time_zone_is_valid (tz))
    {
      bsd_error_return_invalid (
          invocation, "option “time-zone”: not a time zone of the system's zone database "
                      "(such as “Europe/Berlin” or “UTC”) nor an offset such as “+05:30”");
      return FALSE;
    }
  g_free (edit->config->time_zone);
  edit->config->time_zone = *tz ? g_strdup (tz) : NULL;
  return TRUE;
}

static gboolean
option_text (GDBusMethodInvocation *invocation, GVariant *value, const char *what, char **field)
{
  if (!bsd_manager_check_text (invocation, g_variant_get_string (value, NULL), what, 1, MAX_NAME))
    return FALSE;
  g_free (*field);
  *field = g_variant_dup_string (value, NULL);
  return TRUE;
}

static gboolean
option_name (GDBusMethodInvocation *invocation, GVariant *value, DeviceEdit *edit)
{
  return option_text (invocation, value, "option “name”", &edit->config->name);
}

static gboolean
option_address (GDBusMethodInvocation *invocation, GVariant *value, DeviceEdit *edit)
{
  return option_text (invocation, value, "option “address”", &edit->config->address);
}

static gboolean
option_port (GDBusMethodInvocation *invocation, GVariant *value, DeviceEdit *edit)
{
  edit->config->port = g_variant_get_uint16 (value);
  return option_in_range (invocation, "port", edit->config->port, 1, G_MAXUINT16);
}

static gboolean
option_area (GDBusMethodInvocation *invocation, GVariant *value, DeviceEdit *edit)
{
  edit->config->area_id = g_variant_get_uint32 (value);
  return TRUE;
}

static const struct
{
  const char *key;
  const char *type;
  gboolean update_only; /* UpdateDevice's extra keys */
  DeviceOptionFunc apply;
} device_options[] = {
  { "protocol", "s", FALSE, option_protocol },
  { "comm-key", "u", FALSE, option_comm_key },
  { "timeout-ms", "u", FALSE, option_timeout },
  { "enabled", "b", FALSE, option_enabled },
  { "time-zone", "s", FALSE, option_time_zone },
  { "name", "s", TRUE, option_name },
  { "address", "s", TRUE, option_address },
  { "port", "q", TRUE, option_port },
  { "area-id", "u", TRUE, option_area },
  { "live-punches", "b", FALSE, option_live_punches },
};

/* applies the a{sv} options of AddDevice/UpdateDevice to @edit;
 * @full: UpdateDevice's extra keys are allowed */
static gboolean
parse_device_options (GDBusMethodInvocation *invocation,
                      GVariant *options,
                      gboolean full,
                      DeviceEdit *edit)
{
  GVariantIter iter;
  const char *key;
  GVariant *v;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &v))
    {
      g_autoptr (GVariant) value = v;
      guint i;

      for (i = 0; i < G_N_ELEMENTS (device_options); i++)
        if ((full || !device_options[i].update_only) && g_str_equal (key, device_options[i].key))
          break;
      if (i == G_N_ELEMENTS (device_options))
        {
          bsd_error_return_invalid (invocation, "unknown option “%s”", key);
          return FALSE;
        }
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE (device_options[i].type)))
        {
          bsd_error_return_invalid (invocation, "option “%s” must be of type %s", key,
                                    device_options[i].type);
          return FALSE;
        }
      if (!device_options[i].apply (invocation, value, edit))
        return FALSE;
    }
  return TRUE;
}

/* RFC 1123 host name: dot-separated labels of letters, digits and inner
 * hyphens, 1 to 63 bytes each, 253 in all (a final dot allowed) */
static gboolean
is_host_name (const char *address)
{
  g_auto (GStrv) labels = NULL;
  gsize length = strlen (address);

  if (length > 0 && address[length - 1] == '.')
    length--;
  if (length == 0 || length > 253)
    return FALSE;
  labels = g_strsplit (address, ".", -1);
  for (guint i = 0; labels[i] != NULL; i++)
    {
      gsize n = strlen (labels[i]);

      /* the empty label after a final dot */
      if (n == 0 && labels[i + 1] == NULL && i > 0)
        break;
      if (n == 0 || n > 63 || labels[i][0] == '-' || labels[i][n - 1] == '-')
        return FALSE;
      for (gsize j = 0; j < n; j++)
        if (!g_ascii_isalnum (labels[i][j]) && labels[i][j] != '-')
          return FALSE;
    }
  return TRUE;
}

/* the address is a host name or an IP literal and no other device has
 * the same address and port; FALSE once the call was answered */
static gboolean
check_endpoint (BsdManager *self,
                GDBusMethodInvocation *invocation,
                guint device_id,
                const char *address,
                guint16 port)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = NULL;

  if (!g_hostname_is_ip_address (address) && !is_host_name (address))
    {
      bsd_error_return_invalid (invocation,
                                "address: “%s” is neither a host name nor an IP address", address);
      return FALSE;
    }
  devices = bsd_store_list_devices (self->store, &error);
  if (devices == NULL)
    {
      bsd_error_return (invocation, error);
      return FALSE;
    }
  for (guint i = 0; i < devices->len; i++)
    {
      BsdDevice *other = devices->pdata[i];

      if (other->id != device_id && other->port == port
          && g_ascii_strcasecmp (other->address, address) == 0)
        {
          bsd_error_return_invalid (invocation, "address: %s port %u is already device %u (%s)",
                                    address, port, other->id, other->name);
          return FALSE;
        }
    }
  return TRUE;
}

static void
add_device_authorized (BsdManager *self,
                       GDBusMethodInvocation *invocation,
                       const char *trigger,
                       gint64 uid,
                       gpointer data)
{
  DeviceEdit *edit = data;
  g_autoptr (GError) error = NULL;
  guint id;

  /* again: another call may have taken the endpoint while this one waited */
  if (!check_endpoint (self, invocation, 0, edit->config->address, edit->config->port))
    return;
  edit->config->comm_key = edit->comm_key;
  id = bsd_store_add_device (self->store, edit->config, &error);
  if (edit_done (self, invocation, id != 0, error))
    bs_dbus_manager_complete_add_device (BS_DBUS_MANAGER (self), invocation, id);
}

static gboolean
handle_add_device (BsDBusManager *iface,
                   GDBusMethodInvocation *invocation,
                   const char *name,
                   const char *address,
                   guint16 port,
                   guint area_id,
                   GVariant *options)
{
  BsdManager *self = BSD_MANAGER (iface);
  DeviceEdit *edit;

  if (!bsd_manager_check_text (invocation, name, "name", 1, MAX_NAME)
      || !bsd_manager_check_text (invocation, address, "address", 1, MAX_NAME)
      || !bsd_manager_check_dict (invocation, options, "options"))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  if (port == 0)
    {
      bsd_error_return_invalid (invocation, "port: 0 is not a port (1 to 65535)");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (area_id != 0 && !bsd_manager_check_area (self, invocation, area_id))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  edit = g_new0 (DeviceEdit, 1);
  edit->config = bsd_device_config_new ();
  edit->config->name = g_strdup (name);
  edit->config->address = g_strdup (address);
  edit->config->port = port;
  edit->config->area_id = area_id;
  if (!parse_device_options (invocation, options, FALSE, edit)
      || !check_endpoint (self, invocation, 0, address, port))
    {
      device_edit_free (edit);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  bsd_manager_authorize (self, invocation, add_device_authorized, edit,
                         (GDestroyNotify)device_edit_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
update_device_authorized (BsdManager *self,
                          GDBusMethodInvocation *invocation,
                          const char *trigger,
                          gint64 uid,
                          gpointer data)
{
  DeviceEdit *edit = data;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  if (!check_endpoint (self, invocation, edit->device_id, edit->config->address,
                       edit->config->port))
    return;
  ok = bsd_store_begin (self->store, &error)
       && bsd_store_update_device (self->store, edit->device_id, edit->config, &error)
       && (!edit->set_key
           || bsd_store_set_comm_key (self->store, edit->device_id, edit->comm_key, &error))
       && bsd_store_commit (self->store, &error);

  if (!ok)
    bsd_store_rollback (self->store, NULL);
  if (edit_done (self, invocation, ok, error))
    bs_dbus_manager_complete_update_device (BS_DBUS_MANAGER (self), invocation);
}

static gboolean
handle_update_device (BsDBusManager *iface,
                      GDBusMethodInvocation *invocation,
                      guint device_id,
                      GVariant *changes)
{
  BsdManager *self = BSD_MANAGER (iface);
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdDevice) device = NULL;
  DeviceEdit *edit;

  if (!bsd_manager_check_device (self, invocation, device_id))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  if (!bsd_manager_check_changes (invocation, changes))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  device = bsd_store_get_device (self->store, device_id, &error);
  edit = g_new0 (DeviceEdit, 1);
  edit->device_id = device_id;
  edit->config = bsd_device_config_new ();
  edit->config->name = g_strdup (device->name);
  edit->config->address = g_strdup (device->address);
  edit->config->port = device->port;
  g_free (edit->config->protocol);
  edit->config->protocol = g_strdup (device->protocol);
  edit->config->timeout_ms = device->timeout_ms;
  edit->config->enabled = device->enabled;
  edit->config->area_id = device->area_id;
  edit->config->time_zone = g_strdup (device->time_zone);
  edit->config->live_punches = device->live_punches;
  if (!parse_device_options (invocation, changes, TRUE, edit)
      || !check_endpoint (self, invocation, device_id, edit->config->address, edit->config->port))
    {
      device_edit_free (edit);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (edit->config->area_id != 0 && edit->config->area_id != device->area_id
      && !bsd_manager_check_area (self, invocation, edit->config->area_id))
    {
      device_edit_free (edit);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  bsd_manager_authorize (self, invocation, update_device_authorized, edit,
                         (GDestroyNotify)device_edit_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
device_in_use (BsdManager *self, guint device_id)
{
  /* a running job may hold a session with it; its result would point
   * nowhere. Simple and safe: no removal while anything runs. */
  return bsd_job_queue_is_running (self->jobs) && device_id != 0;
}

static void
remove_device_authorized (BsdManager *self,
                          GDBusMethodInvocation *invocation,
                          const char *trigger,
                          gint64 uid,
                          gpointer data)
{
  guint id = GPOINTER_TO_UINT (data);
  g_autoptr (GError) error = NULL;
  gboolean ok;

  if (device_in_use (self, id))
    {
      g_dbus_method_invocation_return_error (invocation, BS_ERROR, BS_ERROR_BUSY,
                                             "device %u: a job is running; try again when it "
                                             "has finished",
                                             id);
      return;
    }
  ok = bsd_store_remove_device (self->store, id, &error);
  if (edit_done (self, invocation, ok, error))
    bs_dbus_manager_complete_remove_device (BS_DBUS_MANAGER (self), invocation);
}

static gboolean
handle_remove_device (BsDBusManager *iface, GDBusMethodInvocation *invocation, guint device_id)
{
  return authorize_removal (iface, invocation, device_id, bsd_manager_check_device,
                            remove_device_authorized);
}

/* the engine says what it changed: no polling */
void
bsd_manager_objects_start (BsdManager *self)
{
  g_signal_connect_object (self->engine, "device-changed", G_CALLBACK (device_changed_cb), self, 0);
  g_signal_connect_object (self->engine, "device-busy", G_CALLBACK (device_busy_cb), self, 0);
  g_signal_connect_object (self->engine, "area-changed", G_CALLBACK (area_changed_cb), self, 0);
}

void
bsd_manager_objects_init (BsdManager *self)
{
  g_signal_connect (self, "handle-add-area", G_CALLBACK (handle_add_area), NULL);
  g_signal_connect (self, "handle-rename-area", G_CALLBACK (handle_rename_area), NULL);
  g_signal_connect (self, "handle-remove-area", G_CALLBACK (handle_remove_area), NULL);
  g_signal_connect (self, "handle-add-device", G_CALLBACK (handle_add_device), NULL);
  g_signal_connect (self, "handle-update-device", G_CALLBACK (handle_update_device), NULL);
  g_signal_connect (self, "handle-remove-device", G_CALLBACK (handle_remove_device), NULL);
}
