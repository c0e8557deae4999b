/* bs-report-window.h — BsReportWindow: a job's report
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define BS_TYPE_REPORT_WINDOW (bs_report_window_get_type ())
G_DECLARE_FINAL_TYPE (BsReportWindow, bs_report_window, BS, REPORT_WINDOW, AdwWindow)

/* @job: what GetJob answers (a{sv}) */
BsReportWindow *bs_report_window_new (GtkWindow *parent, GVariant *job);

G_END_DECLS
