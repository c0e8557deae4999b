/* bsd-device-object.h — one terminal as a D-Bus object (org.biosync.BioSync1.Device)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A skeleton subclass filling the generated interface's method vfuncs
 * (fprintd's model). Its properties show a BsdDevice row of the store;
 * its methods only start jobs, which is not its business: each emits
 * "start-job" (GDBusMethodInvocation *invocation, guint BsdOpKind) for
 * whoever owns the job queue, with no pointer back to it.
 */
#pragma once

#include "bs-dbus.h"
#include "bsd-store.h"

G_BEGIN_DECLS

#define BSD_TYPE_DEVICE_OBJECT (bsd_device_object_get_type ())
G_DECLARE_FINAL_TYPE (BsdDeviceObject, bsd_device_object, BSD, DEVICE_OBJECT, BsDBusDeviceSkeleton)

/* "/org/biosync/BioSync1/devices/<id>" */
char *bsd_device_object_path (guint id);

BsdDeviceObject *bsd_device_object_new (const BsdDevice *device);
/* shows @device (the setters notify, and so emit PropertiesChanged, only
 * for what changed) */
void bsd_device_object_update (BsdDeviceObject *self, const BsdDevice *device);

G_END_DECLS
