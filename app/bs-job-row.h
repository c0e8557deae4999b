/* bs-job-row.h — BsJobRow: a queued or running job (Jobs page)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bs-row.h"

G_BEGIN_DECLS

#define BS_TYPE_JOB_ROW (bs_job_row_get_type ())
G_DECLARE_FINAL_TYPE (BsJobRow, bs_job_row, BS, JOB_ROW, BsRow)

G_END_DECLS
