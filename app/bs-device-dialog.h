/* bs-device-dialog.h — BsDeviceDialog: Add Device and Edit Device
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bs-window.h"

G_BEGIN_DECLS

#define BS_TYPE_DEVICE_DIALOG (bs_device_dialog_get_type ())
G_DECLARE_FINAL_TYPE (BsDeviceDialog, bs_device_dialog, BS, DEVICE_DIALOG, AdwWindow)

/* for a new terminal when @device is NULL */
BsDeviceDialog *bs_device_dialog_new (BsWindow *window, BsDBusDevice *device);

G_END_DECLS
