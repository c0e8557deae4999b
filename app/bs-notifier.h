/* bs-notifier.h — BsNotifier: notifications about jobs and terminals
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "bs-client.h"

G_BEGIN_DECLS

#define BS_TYPE_NOTIFIER (bs_notifier_get_type ())
G_DECLARE_FINAL_TYPE (BsNotifier, bs_notifier, BS, NOTIFIER, GObject)

BsNotifier *bs_notifier_new (GApplication *application, BsClient *client, GSettings *settings);
/* whether @device holds at least @percent of a capacity; @what names
 * which (users, fingerprints, faces, attendance records; translated) */
gboolean bs_device_nearly_full (BsDBusDevice *device, guint percent, const char **what);
/* looks at every device now (also done every minute and after each job) */
void bs_notifier_check_devices (BsNotifier *self);

G_END_DECLS
