/* bs-history-row.h — BsHistoryRow: a job of the history (Jobs page)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bs-row.h"

G_BEGIN_DECLS

#define BS_TYPE_HISTORY_ROW (bs_history_row_get_type ())
G_DECLARE_FINAL_TYPE (BsHistoryRow, bs_history_row, BS, HISTORY_ROW, BsRow)

G_END_DECLS
