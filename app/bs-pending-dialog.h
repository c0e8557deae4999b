/* bs-pending-dialog.h — BsPendingDialog: push terminals that want to connect
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bs-window.h"

G_BEGIN_DECLS

#define BS_TYPE_PENDING_DIALOG (bs_pending_dialog_get_type ())
G_DECLARE_FINAL_TYPE (BsPendingDialog, bs_pending_dialog, BS, PENDING_DIALOG, AdwWindow)

BsPendingDialog *bs_pending_dialog_new (BsWindow *window);

G_END_DECLS
