/* app-test-util.h — helpers shared by the app's GUI tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test-app-gui.c and test-app-dialogs.c drive one BsWindow each under
 * Xvfb: create_window () makes the application and the window (in the
 * globals app and window), CHECK () counts what fails in failures, and
 * finish () tears everything down and turns the count into the exit status.
 * Widgets are found by their .ui id (find_id (), child ()), their action
 * and target (find_actionable ()) or their type, never by translated text.
 */
#pragma once

#include <adwaita.h>

#include "bs-application.h"
#include "bs-window.h"

G_BEGIN_DECLS

/* the application and window under test (set by create_window ()) */
extern BsApplication *app;
extern BsWindow *window;
/* how many CHECKs failed */
extern int failures;

#define CHECK(cond, what)                                                                          \
  G_STMT_START                                                                                     \
  {                                                                                                \
    if (cond)                                                                                      \
      g_printerr ("# ok - %s\n", what);                                                            \
    else                                                                                           \
      {                                                                                            \
        g_printerr ("# FAILED - %s (%s:%d)\n", what, __FILE__, __LINE__);                          \
        failures++;                                                                                \
      }                                                                                            \
  }                                                                                                \
  G_STMT_END

/* a step that the rest of the mode depends on */
#define REQUIRE(cond, what)                                                                        \
  G_STMT_START                                                                                     \
  {                                                                                                \
    gboolean _ok = (cond);                                                                         \
    CHECK (_ok, what);                                                                             \
    if (!_ok)                                                                                      \
      return;                                                                                      \
  }                                                                                                \
  G_STMT_END

/* the same in a function that returns @ret */
#define REQUIRE_OR(cond, what, ret)                                                                \
  G_STMT_START                                                                                     \
  {                                                                                                \
    gboolean _ok = (cond);                                                                         \
    CHECK (_ok, what);                                                                             \
    if (!_ok)                                                                                      \
      return (ret);                                                                                \
  }                                                                                                \
  G_STMT_END

typedef gboolean (*Condition) (gpointer data);
/* whether @widget is the one a find_widget () looks for */
typedef gboolean (*WidgetMatch) (GtkWidget *widget, gconstpointer data);

gboolean wait_until (Condition cond, gpointer data, guint timeout_s, const char *what);
void spin (guint ms);
GObject *child (const char *name);
GtkWidget *find_id (GtkWidget *widget, const char *id);
GtkWidget *find_named (GtkWidget *widget, const char *name);
void screenshot_of (GtkWidget *toplevel, const char *name);
void screenshot (const char *name);
gboolean client_ready_cb (gpointer data);
gboolean stack_is_cb (gpointer data);
gboolean devices_listed_cb (gpointer data);
void create_window (void);
gboolean open_window_listing (guint expected_devices);
void show_page (const char *name);
GtkWidget *find_widget (GtkWidget *widget, WidgetMatch match, gconstpointer data);
GtkLabel *find_label (GtkWidget *widget, const char *needle);
GtkWidget *find_actionable (GtkWidget *widget, const char *action_name, GVariant *target);
gboolean toast_shows_cb (gpointer data);

/* what job_finished_cb () saw of the first finished job of @kind (any job
 * when @kind is NULL) */
typedef struct
{
  const char *kind;
  char *state;
  char *summary;
  gboolean done;
} FinishedJob;

void job_finished_cb (BsClient *c, BsJobOutcome *outcome, gpointer data);
gboolean job_done_cb (gpointer data);
void finished_job_clear (FinishedJob *finished);

int finish (const char *mode);

G_END_DECLS
