/* bs-window.c — BsWindow: the window that holds the pages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-report-window.h"
#include "bs-ui.h"
#include "bs-window-private.h"

G_DEFINE_FINAL_TYPE (BsWindow, bs_window, ADW_TYPE_APPLICATION_WINDOW)

/* ------------------------------------------------------------ toasts */

void
bs_window_add_toast (BsWindow *self, const char *text)
{
  AdwToast *toast;

  g_return_if_fail (BS_IS_WINDOW (self));
  toast = adw_toast_new (text);
  adw_toast_set_timeout (toast, 5);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
bs_window_show_error (BsWindow *self, const GError *error)
{
  g_autofree char *text = NULL;

  g_return_if_fail (self == NULL || BS_IS_WINDOW (self));
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  text = bs_client_error_to_string (error);
  bs_window_add_toast (self, text);
}

/* ------------------------------------------------------------ reports */

static void
get_job_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (BsWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) job = NULL;

  if (!bs_dbus_manager_call_get_job_finish (BS_DBUS_MANAGER (object), &job, result, &error))
    bs_window_show_error (self, error);
  else
    gtk_window_present (GTK_WINDOW (bs_report_window_new (GTK_WINDOW (self), job)));
}

/* opens the report of the job @job_id in a window of its own */
static void
show_report (BsWindow *self, guint64 job_id)
{
  BsDBusManager *manager = bs_window_get_manager (self);

  if (manager == NULL || job_id == 0)
    return;
  bs_dbus_manager_call_get_job (manager, job_id, G_DBUS_CALL_FLAGS_NONE, -1, self->cancellable,
                                get_job_cb, g_object_ref (self));
}

void
bs_window_show_job (BsWindow *self, guint64 job_id)
{
  g_return_if_fail (BS_IS_WINDOW (self));
  bs_window_show_page (self, "jobs");
  show_report (self, job_id);
}

/* ------------------------------------------------------------ calls */

typedef struct
{
  BsWindow *self;
  char *done_text;
  BsFollow follow;
  guint64 job_id;
} Call;

static void
call_free (Call *call)
{
  g_object_unref (call->self);
  g_free (call->done_text);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

static void
job_ended_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Call) call = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *summary = NULL;

  if (!bs_client_wait_job_finish (BS_CLIENT (object), result, NULL, &summary, &error))
    bs_window_show_error (call->self, error);
  else if (call->follow == BS_FOLLOW_REPORT)
    show_report (call->self, call->job_id);
  else
    {
      if (summary != NULL && *summary != '\0')
        bs_window_add_toast (call->self, summary);
      bs_people_page_reload (call->self->people_page);
    }
}

static void
call_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Call) call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (object), result, &error);
  BsWindow *self = call->self;
  const char *path = NULL;

  if (reply == NULL)
    {
      bs_window_show_error (self, error);
      return;
    }
  if (g_variant_is_of_type (reply, G_VARIANT_TYPE ("(o)")))
    g_variant_get (reply, "(&o)", &path);
  if (call->done_text != NULL)
    bs_window_add_toast (self, call->done_text);
  if (path != NULL && call->follow != BS_FOLLOW_NONE && self->client != NULL)
    {
      call->job_id = bs_client_job_id_from_path (path);
      bs_client_wait_job_async (self->client, path, self->cancellable, job_ended_cb,
                                g_steal_pointer (&call));
    }
  else if (call->follow == BS_FOLLOW_PEOPLE)
    bs_people_page_reload (self->people_page);
}

void
bs_window_call (BsWindow *self,
                gpointer proxy,
                const char *method,
                GVariant *parameters,
                const char *done_text,
                BsFollow follow)
{
  g_autoptr (GVariant) owned = parameters ? g_variant_ref_sink (parameters) : NULL;
  Call *call;

  g_return_if_fail (self == NULL || BS_IS_WINDOW (self));
  g_return_if_fail (proxy == NULL || G_IS_DBUS_PROXY (proxy));
  if (self == NULL)
    return;
  if (proxy == NULL)
    {
      bs_window_add_toast (self, _ ("The biosync service is not running."));
      return;
    }
  call = g_new0 (Call, 1);
  call->self = g_object_ref (self);
  call->done_text = g_strdup (done_text);
  call->follow = follow;
  g_dbus_proxy_call (G_DBUS_PROXY (proxy), method, owned, BS_CLIENT_CALL_FLAGS, -1,
                     self->cancellable, call_cb, call);
}

/* ------------------------------------------------------------ the pages */

static BsPage *
page_named (BsWindow *self, const char *name)
{
  GtkWidget *page = name ? adw_view_stack_get_child_by_name (self->view_stack, name) : NULL;

  return BS_IS_PAGE (page) ? BS_PAGE (page) : NULL;
}

void
bs_window_show_page (BsWindow *self, const char *name)
{
  g_return_if_fail (BS_IS_WINDOW (self));
  if (page_named (self, name) != NULL)
    adw_view_stack_set_visible_child_name (self->view_stack, name);
}

static void
visible_page_cb (BsWindow *self)
{
  BsPage *page = page_named (self, adw_view_stack_get_visible_child_name (self->view_stack));

  if (page != NULL && self->client != NULL)
    bs_page_shown (page);
}

static void
search_changed_cb (BsWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  bs_page_set_search (BS_PAGE (self->devices_page), text);
  bs_page_set_search (BS_PAGE (self->people_page), text);
}

/* ------------------------------------------------------------ the client */

static void
update_service_state (BsWindow *self)
{
  gboolean running = self->client != NULL && bs_client_get_service_running (self->client);

  if (self->client == NULL)
    gtk_stack_set_visible_child_name (self->main_stack, "connecting");
  else
    gtk_stack_set_visible_child_name (self->main_stack, running ? "main" : "not-running");
  gtk_widget_set_sensitive (GTK_WIDGET (self->switcher_title), running);
  bs_window_enable_actions (self, running);
}

static void
service_running_cb (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  update_service_state (user_data);
}

static void
set_client (BsWindow *self, BsClient *client)
{
  BsPage *pages[] = { BS_PAGE (self->devices_page),  BS_PAGE (self->areas_page),
                      BS_PAGE (self->people_page),   BS_PAGE (self->jobs_page),
                      BS_PAGE (self->settings_page), BS_PAGE (self->attendance_page) };

  if (client == NULL || self->client != NULL)
    return;
  self->client = g_object_ref (client);
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    bs_page_set_client (pages[i], client);
  g_signal_connect_object (client, "notify::service-running", G_CALLBACK (service_running_cb), self,
                           0);
  update_service_state (self);
}

static void
app_client_cb (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  set_client (user_data, bs_application_get_client (BS_APPLICATION (object)));
}

BsClient *
bs_window_get_client (BsWindow *self)
{
  g_return_val_if_fail (BS_IS_WINDOW (self), NULL);
  return self->client;
}

BsDBusManager *
bs_window_get_manager (BsWindow *self)
{
  g_return_val_if_fail (self == NULL || BS_IS_WINDOW (self), NULL);
  return self != NULL && self->client != NULL ? bs_client_get_manager (self->client) : NULL;
}

void
bs_window_call_manager (BsWindow *self,
                        const char *method,
                        GVariant *parameters,
                        const char *done_text,
                        BsFollow follow)
{
  bs_window_call (self, bs_window_get_manager (self), method, parameters, done_text, follow);
}

BsWindow *
bs_window_for (GtkWidget *widget)
{
  GtkRoot *root = widget != NULL ? gtk_widget_get_root (widget) : NULL;

  /* a dialog's window is the one it is transient for */
  if (GTK_IS_WINDOW (root) && !BS_IS_WINDOW (root))
    root = GTK_ROOT (gtk_window_get_transient_for (GTK_WINDOW (root)));
  return BS_IS_WINDOW (root) ? BS_WINDOW (root) : NULL;
}

/* ------------------------------------------------------------ the window */

static gboolean
bs_window_close_request (GtkWindow *window)
{
  BsWindow *self = BS_WINDOW (window);
  int width = 0, height = 0;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  return GTK_WINDOW_CLASS (bs_window_parent_class)->close_request (window);
}

/* "application" is set after constructed(): bs_window_new() calls this */
static void
bs_window_setup (BsWindow *self, BsApplication *application)
{
  self->application = application;
  self->settings = g_object_ref (bs_application_get_settings (self->application));
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  bs_settings_page_bind (self->settings_page, self->settings);
  g_signal_connect_object (self->application, "notify::client", G_CALLBACK (app_client_cb), self,
                           0);
  set_client (self, bs_application_get_client (self->application));
  update_service_state (self);
}

static void
bs_window_dispose (GObject *object)
{
  BsWindow *self = BS_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), BS_TYPE_WINDOW);
  G_OBJECT_CLASS (bs_window_parent_class)->dispose (object);
}

static void
bs_window_finalize (GObject *object)
{
  BsWindow *self = BS_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (bs_window_parent_class)->finalize (object);
}

static void
bs_window_class_init (BsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = bs_window_dispose;
  object_class->finalize = bs_window_finalize;
  window_class->close_request = bs_window_close_request;

  g_type_ensure (BS_TYPE_DEVICES_PAGE);
  g_type_ensure (BS_TYPE_AREAS_PAGE);
  g_type_ensure (BS_TYPE_PEOPLE_PAGE);
  g_type_ensure (BS_TYPE_JOBS_PAGE);
  g_type_ensure (BS_TYPE_SETTINGS_PAGE);
  g_type_ensure (BS_TYPE_ATTENDANCE_PAGE);
  bs_ui_class_set_template (
      widget_class, "bs-window.ui", BS_UI_CHILD (BsWindow, toast_overlay),
      BS_UI_CHILD (BsWindow, switcher_title), BS_UI_CHILD (BsWindow, search_bar),
      BS_UI_CHILD (BsWindow, search_entry), BS_UI_CHILD (BsWindow, main_stack),
      BS_UI_CHILD (BsWindow, view_stack), BS_UI_CHILD (BsWindow, devices_page),
      BS_UI_CHILD (BsWindow, areas_page), BS_UI_CHILD (BsWindow, people_page),
      BS_UI_CHILD (BsWindow, attendance_page), BS_UI_CHILD (BsWindow, jobs_page),
      BS_UI_CHILD (BsWindow, settings_page), NULL);
  bs_ui_class_bind_callbacks (widget_class, BS_UI_CALLBACK (search_changed_cb),
                              BS_UI_CALLBACK (visible_page_cb), NULL);
  bs_window_class_add_actions (widget_class);
}

static void
bs_window_init (BsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));
  gtk_stack_set_visible_child_name (self->main_stack, "connecting");
}

BsWindow *
bs_window_new (BsApplication *application)
{
  BsWindow *self;

  g_return_val_if_fail (BS_IS_APPLICATION (application), NULL);
  self = g_object_new (BS_TYPE_WINDOW, "application", application, NULL);
  bs_window_setup (self, application);
  return self;
}
