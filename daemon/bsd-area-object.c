/* bsd-area-object.c — one area as a D-Bus object (org.biosync.BioSync1.Area)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-area-object.h"

#include "bsd-device-object.h"
#include "bsd-manager.h"
#include "bsd-operation.h"

struct _BsdAreaObject
{
  BsDBusAreaSkeleton parent_instance;
};

enum
{
  START_JOB,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void bsd_area_object_iface_init (BsDBusAreaIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BsdAreaObject,
                               bsd_area_object,
                               BS_DBUS_TYPE_AREA_SKELETON,
                               G_IMPLEMENT_INTERFACE (BS_DBUS_TYPE_AREA,
                                                      bsd_area_object_iface_init))

char *
bsd_area_object_path (guint id)
{
  return g_strdup_printf (BSD_MANAGER_PATH "/areas/%u", id);
}

static gboolean
handle_sync (BsDBusArea *iface, GDBusMethodInvocation *invocation)
{
  g_signal_emit (iface, signals[START_JOB], 0, invocation, (guint)BSD_OP_SYNC_AREA);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
bsd_area_object_iface_init (BsDBusAreaIface *iface)
{
  iface->handle_sync = handle_sync;
}

static void
bsd_area_object_class_init (BsdAreaObjectClass *klass)
{
  signals[START_JOB] = bsd_manager_start_job_signal_new (G_TYPE_FROM_CLASS (klass));
}

static void
bsd_area_object_init (BsdAreaObject *self)
{
}

BsdAreaObject *
bsd_area_object_new (void)
{
  return g_object_new (BSD_TYPE_AREA_OBJECT, NULL);
}

void
bsd_area_object_update (BsdAreaObject *self, const BsdArea *a, GPtrArray *members)
{
  BsDBusArea *iface = BS_DBUS_AREA (self);
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *primary
      = a->primary_device_id ? bsd_device_object_path (a->primary_device_id) : g_strdup ("/");

  for (guint i = 0; members && i < members->len; i++)
    g_ptr_array_add (paths, bsd_device_object_path (((BsdDevice *)members->pdata[i])->id));
  g_ptr_array_add (paths, NULL);
  bs_dbus_area_set_id (iface, a->id);
  bs_dbus_area_set_name (iface, a->name);
  bs_dbus_area_set_devices (iface, (const char *const *)paths->pdata);
  bs_dbus_area_set_primary_device (iface, primary);
  bs_dbus_area_set_last_sync (iface, (guint64)MAX (a->last_sync, 0));
}
