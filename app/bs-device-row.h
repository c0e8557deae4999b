/* bs-device-row.h — BsDeviceRow: a terminal of the Devices page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bs-row.h"

G_BEGIN_DECLS

#define BS_TYPE_DEVICE_ROW (bs_device_row_get_type ())
G_DECLARE_FINAL_TYPE (BsDeviceRow, bs_device_row, BS, DEVICE_ROW, BsRow)

G_END_DECLS
