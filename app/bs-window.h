/* bs-window.h — BsWindow: the main window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A window that holds the pages (bs-*-page.c): it gives them the client,
 * the search text and their turn to show; pages, rows and dialogs ask it
 * to call the service (bs_window_call ()), which shows the outcome as a
 * toast and follows the job the call starts. bs-window-actions.c has the
 * window's own actions (win.*); bs-window-private.h what both share.
 */
#pragma once

#include <adwaita.h>

#include "bs-application.h"

G_BEGIN_DECLS

#define BS_TYPE_WINDOW (bs_window_get_type ())
G_DECLARE_FINAL_TYPE (BsWindow, bs_window, BS, WINDOW, AdwApplicationWindow)

/* what follows a call that starts a job */
typedef enum
{
  BS_FOLLOW_NONE,
  BS_FOLLOW_REPORT, /* its report window, once it ends */
  BS_FOLLOW_PEOPLE, /* its summary as a toast, and the People page reloaded */
} BsFollow;

BsWindow *bs_window_new (BsApplication *application);
/* the window @widget is in (for a dialog, the window it belongs to), or
 * NULL when it is in none (any more) */
BsWindow *bs_window_for (GtkWidget *widget);
/* NULL until connected to the bus */
BsClient *bs_window_get_client (BsWindow *self);
/* the Manager; NULL while the service does not run, or for no window */
BsDBusManager *bs_window_get_manager (BsWindow *self);
/* "devices", "areas", "people", "jobs" or "settings" */
void bs_window_show_page (BsWindow *self, const char *name);
/* the jobs page and the report of a job of the history */
void bs_window_show_job (BsWindow *self, guint64 job_id);
void bs_window_add_toast (BsWindow *self, const char *text);
/* the error of a call as a toast (nothing for a cancelled one, nothing
 * when @self is NULL) */
void bs_window_show_error (BsWindow *self, const GError *error);
/* calls @method on @proxy (any generated proxy; NULL says the service is
 * not running) with @parameters (floating references are taken); toasts
 * @done_text once the call is accepted, an error as a toast; a job it
 * starts is followed as @follow says. Nothing when @self is NULL (what
 * asked is in no window any more). */
void bs_window_call (BsWindow *self,
                     gpointer proxy,
                     const char *method,
                     GVariant *parameters,
                     const char *done_text,
                     BsFollow follow);
/* bs_window_call () of the Manager's @method */
void bs_window_call_manager (BsWindow *self,
                             const char *method,
                             GVariant *parameters,
                             const char *done_text,
                             BsFollow follow);

G_END_DECLS
