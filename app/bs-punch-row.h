/* bs-punch-row.h — BsPunchRow: one punch of the Attendance page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bs-row.h"

G_BEGIN_DECLS

#define BS_TYPE_PUNCH_ROW (bs_punch_row_get_type ())
G_DECLARE_FINAL_TYPE (BsPunchRow, bs_punch_row, BS, PUNCH_ROW, BsRow)

G_END_DECLS
