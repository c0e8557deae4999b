/* bs-jobs-page.h — BsJobsPage: running jobs and the history
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Properties: "busy" (a job is queued or running) and "progress" (their
 * mean progress), for the window's progress bar.
 */
#pragma once

#include "bs-page.h"

G_BEGIN_DECLS

#define BS_TYPE_JOBS_PAGE (bs_jobs_page_get_type ())
G_DECLARE_FINAL_TYPE (BsJobsPage, bs_jobs_page, BS, JOBS_PAGE, BsPage)

G_END_DECLS
