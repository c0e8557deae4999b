/* bs-area-row.h — BsAreaRow: an area of the Areas page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bs-row.h"

G_BEGIN_DECLS

#define BS_TYPE_AREA_ROW (bs_area_row_get_type ())
G_DECLARE_FINAL_TYPE (BsAreaRow, bs_area_row, BS, AREA_ROW, BsRow)

G_END_DECLS
