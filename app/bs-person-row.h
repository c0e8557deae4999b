/* bs-person-row.h — BsPersonRow: a person of the roster (People page)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bs-row.h"

G_BEGIN_DECLS

#define BS_TYPE_PERSON_ROW (bs_person_row_get_type ())
G_DECLARE_FINAL_TYPE (BsPersonRow, bs_person_row, BS, PERSON_ROW, BsRow)

G_END_DECLS
