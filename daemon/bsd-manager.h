/* bsd-manager.h — org.biosync.BioSync1.Manager and everything it exports
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The manager owns the job queue, the scheduler and the exported Device,
 * Area and Job objects under an ObjectManager at /org/biosync/BioSync1.
 * Every method validates its arguments, then asks polkit, then acts;
 * long work becomes a Job at once.
 */
#pragma once

#include "bs-dbus.h"
#include "bsd-store.h"

G_BEGIN_DECLS

#define BSD_MANAGER_PATH "/org/biosync/BioSync1"

#define BSD_TYPE_MANAGER (bsd_manager_get_type ())
G_DECLARE_FINAL_TYPE (BsdManager, bsd_manager, BSD, MANAGER, BsDBusManagerSkeleton)

/* @scheduler_unit_ms: one scheduler minute (60000 but in tests) */
BsdManager *bsd_manager_new (GDBusConnection *connection,
                             BsdStore *store,
                             guint scheduler_unit_ms,
                             GError **error);

/* re-enables devices a crash left disabled, in the engine's workers under
 * the global session cap; shutdown waits for it (cancelled) */
void bsd_manager_recover (BsdManager *self);

/* cancels every job and calls @done once none runs any more (devices
 * re-enabled, jobs recorded as cancelled) */
void bsd_manager_shutdown (BsdManager *self, GSourceFunc done, gpointer user_data);

/* the "start-job" signal (GDBusMethodInvocation, BsdOpKind as guint) of
 * @object_type, a Device or Area object: its methods that queue a job emit
 * it and the manager queues the job */
guint bsd_manager_start_job_signal_new (GType object_type);

G_END_DECLS
