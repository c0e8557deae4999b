/* bs-window.h — BsWindow: the main window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "bs-application.h"

G_BEGIN_DECLS

#define BS_TYPE_WINDOW (bs_window_get_type ())
G_DECLARE_FINAL_TYPE (BsWindow, bs_window, BS, WINDOW, AdwApplicationWindow)

BsWindow *bs_window_new (BsApplication *application);
/* "devices", "areas", "people", "jobs" or "settings" */
void bs_window_show_page (BsWindow *self, const char *name);
/* the jobs page and the details of a job of the history */
void bs_window_show_job (BsWindow *self, guint64 job_id);
void bs_window_add_toast (BsWindow *self, const char *text);

G_END_DECLS
