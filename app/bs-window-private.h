/* bs-window-private.h — what bs-window.c and bs-window-actions.c share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bs-areas-page.h"
#include "bs-attendance-page.h"
#include "bs-devices-page.h"
#include "bs-jobs-page.h"
#include "bs-people-page.h"
#include "bs-settings-page.h"
#include "bs-window.h"

G_BEGIN_DECLS

struct _BsWindow
{
  AdwApplicationWindow parent_instance;

  AdwToastOverlay *toast_overlay;
  AdwViewSwitcherTitle *switcher_title;
  GtkSearchBar *search_bar;
  GtkSearchEntry *search_entry;
  GtkStack *main_stack;
  AdwViewStack *view_stack;
  BsDevicesPage *devices_page;
  BsAreasPage *areas_page;
  BsPeoplePage *people_page;
  BsAttendancePage *attendance_page;
  BsJobsPage *jobs_page;
  BsSettingsPage *settings_page;

  BsApplication *application;
  BsClient *client;
  GSettings *settings;
  GCancellable *cancellable;
  /* the days Export Attendance… asked for, while its file chooser shows */
  guint64 export_from_usec;
  guint64 export_to_usec; /* the midnight after the last day */
};

/* bs-window-actions.c: installs the win.* actions on @widget_class */
void bs_window_class_add_actions (GtkWidgetClass *widget_class);
/* ... and turns those that need the service on or off */
void bs_window_enable_actions (BsWindow *self, gboolean running);

G_END_DECLS
