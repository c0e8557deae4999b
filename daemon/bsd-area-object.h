/* bsd-area-object.h — one area as a D-Bus object (org.biosync.BioSync1.Area)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A skeleton subclass filling the generated interface's method vfunc;
 * Area.Sync emits "start-job" (GDBusMethodInvocation *invocation, guint
 * BsdOpKind) for whoever owns the job queue, like a device object.
 */
#pragma once

#include "bs-dbus.h"
#include "bsd-store.h"

G_BEGIN_DECLS

#define BSD_TYPE_AREA_OBJECT (bsd_area_object_get_type ())
G_DECLARE_FINAL_TYPE (BsdAreaObject, bsd_area_object, BSD, AREA_OBJECT, BsDBusAreaSkeleton)

/* "/org/biosync/BioSync1/areas/<id>" */
char *bsd_area_object_path (guint id);

BsdAreaObject *bsd_area_object_new (void);
/* shows @area and its @members (BsdDevice*, may be NULL) */
void bsd_area_object_update (BsdAreaObject *self, const BsdArea *area, GPtrArray *members);

G_END_DECLS
