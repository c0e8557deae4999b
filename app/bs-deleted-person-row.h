/* bs-deleted-person-row.h — BsDeletedPersonRow: a deleted PIN (People →
 * Deleted People)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bs-row.h"

G_BEGIN_DECLS

#define BS_TYPE_DELETED_PERSON_ROW (bs_deleted_person_row_get_type ())
G_DECLARE_FINAL_TYPE (BsDeletedPersonRow, bs_deleted_person_row, BS, DELETED_PERSON_ROW, BsRow)

G_END_DECLS
