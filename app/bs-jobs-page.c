/* bs-jobs-page.c — BsJobsPage: starting jobs, running jobs and the history
 *
 * The operations on every device (Sync All, Sync User Templates, Refresh
 * All Logs, Balance, Export: the win.* actions, also in the main menu),
 * The client's job model filtered to the queued and running ones (a
 * BsJobRow each, Cancel as jobs.cancel), and the newest jobs of ListJobs
 * (a BsHistoryRow each, activating one opens its report). The history is
 * read again when the page is shown and when a job starts or ends.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-history-row.h"
#include "bs-job-row.h"
#include "bs-jobs-page.h"
#include "bs-ui.h"
#include "bs-window.h"
#include "bs-variant-item.h"

/* how many jobs the history shows */
#define HISTORY_LIMIT 200

struct _BsJobsPage
{
  BsPage parent_instance;

  GtkStack *active_jobs_stack;
  GtkListView *active_jobs_view, *history_view;

  GtkCustomFilter *active_filter;
  GtkFilterListModel *active;
  GListStore *history;
  gboolean busy;
  double progress;
};

G_DEFINE_FINAL_TYPE (BsJobsPage, bs_jobs_page, BS_TYPE_PAGE)

enum
{
  PROP_0,
  PROP_BUSY,
  PROP_PROGRESS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------ running jobs */

static gboolean
active_filter_cb (gpointer item, gpointer user_data)
{
  return !bs_client_job_state_is_final (bs_dbus_job_get_state (item));
}

/* busy and progress from the running jobs */
static void
update_busy (BsJobsPage *self)
{
  GListModel *active = G_LIST_MODEL (self->active);
  guint n = g_list_model_get_n_items (active);
  double sum = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (BsDBusJob) job = g_list_model_get_item (active, i);

      sum += bs_dbus_job_get_progress (job);
    }
  gtk_stack_set_visible_child_name (self->active_jobs_stack, n > 0 ? "list" : "empty");
  if (self->busy != (n > 0))
    {
      self->busy = n > 0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
    }
  if (n > 0 && self->progress != sum / n)
    {
      self->progress = sum / n;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
    }
}

/* a job leaves the running ones when its state is final */
static void
job_state_cb (BsJobsPage *self)
{
  gtk_filter_changed (GTK_FILTER (self->active_filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_busy (self);
}

static void
jobs_changed_cb (GListModel *jobs, guint position, guint removed, guint added, BsJobsPage *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (BsDBusJob) job = g_list_model_get_item (jobs, i);

      g_signal_connect_object (job, "notify::state", G_CALLBACK (job_state_cb), self,
                               G_CONNECT_SWAPPED);
    }
}

static void
cancel_action (GtkWidget *widget, const char *action, GVariant *param)
{
  BsClient *client = bs_page_get_client (BS_PAGE (widget));
  BsDBusJob *job
      = client != NULL ? bs_client_lookup_job (client, g_variant_get_string (param, NULL)) : NULL;

  bs_window_call (bs_window_for (widget), job, "Cancel", NULL, _ ("Cancelling…"), BS_FOLLOW_NONE);
}

/* ------------------------------------------------------------ the history */

static void
list_jobs_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (BsJobsPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) jobs = NULL;

  if (!bs_dbus_manager_call_list_jobs_finish (BS_DBUS_MANAGER (object), &jobs, result, &error))
    bs_window_show_error (bs_window_for (GTK_WIDGET (self)), error);
  else
    bs_variant_item_replace_all (self->history, jobs);
}

static void
reload_history (BsJobsPage *self)
{
  BsDBusManager *manager = bs_page_get_manager (BS_PAGE (self));

  if (manager == NULL)
    return;
  bs_dbus_manager_call_list_jobs (manager, HISTORY_LIMIT, G_DBUS_CALL_FLAGS_NONE, -1,
                                  bs_page_start_read (BS_PAGE (self), "history"), list_jobs_cb,
                                  g_object_ref (self));
}

static void
history_activate_cb (BsJobsPage *self, guint position)
{
  g_autoptr (BsVariantItem) job = g_list_model_get_item (G_LIST_MODEL (self->history), position);
  BsWindow *window = bs_window_for (GTK_WIDGET (self));

  if (job != NULL && window != NULL)
    bs_window_show_job (window, bs_variant_item_get_uint64 (job, "Id"));
}

/* a job started or ended: the running ones and the history change */
static void
job_event_cb (BsJobsPage *self)
{
  job_state_cb (self);
  reload_history (self);
}

/* ------------------------------------------------------------ the page */

static void
bs_jobs_page_client_set (BsPage *page)
{
  BsJobsPage *self = BS_JOBS_PAGE (page);
  BsClient *client = bs_page_get_client (page);
  GListModel *jobs = bs_client_get_jobs (client);
  g_autoptr (GtkListItemFactory) active = bs_row_factory_new (BS_TYPE_JOB_ROW);
  g_autoptr (GtkListItemFactory) history = bs_row_factory_new (BS_TYPE_HISTORY_ROW);

  gtk_list_view_set_factory (self->active_jobs_view, active);
  gtk_list_view_set_factory (self->history_view, history);
  gtk_filter_list_model_set_model (self->active, jobs);
  g_signal_connect_object (jobs, "items-changed", G_CALLBACK (jobs_changed_cb), self, 0);
  jobs_changed_cb (jobs, 0, 0, g_list_model_get_n_items (jobs), self);
  g_signal_connect_object (client, "job-started", G_CALLBACK (job_event_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (client, "job-finished", G_CALLBACK (job_event_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (client, "job-progress", G_CALLBACK (update_busy), self,
                           G_CONNECT_SWAPPED);
}

static void
bs_jobs_page_refresh (BsPage *page)
{
  reload_history (BS_JOBS_PAGE (page));
}

static void
bs_jobs_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BsJobsPage *self = BS_JOBS_PAGE (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    case PROP_PROGRESS:
      g_value_set_double (value, self->progress);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_jobs_page_finalize (GObject *object)
{
  BsJobsPage *self = BS_JOBS_PAGE (object);

  g_clear_object (&self->active);
  g_clear_object (&self->history);
  G_OBJECT_CLASS (bs_jobs_page_parent_class)->finalize (object);
}

static void
bs_jobs_page_class_init (BsJobsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  BsPageClass *page_class = BS_PAGE_CLASS (klass);

  object_class->get_property = bs_jobs_page_get_property;
  object_class->finalize = bs_jobs_page_finalize;
  page_class->client_set = bs_jobs_page_client_set;
  page_class->manager_changed = bs_jobs_page_refresh;
  page_class->shown = bs_jobs_page_refresh;

  properties[PROP_BUSY]
      = g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROGRESS]
      = g_param_spec_double ("progress", NULL, NULL, 0, 1, 0,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  bs_ui_class_set_template (
      widget_class, "bs-jobs-page.ui", BS_UI_CHILD (BsJobsPage, active_jobs_stack),
      BS_UI_CHILD (BsJobsPage, active_jobs_view), BS_UI_CHILD (BsJobsPage, history_view), NULL);
  bs_ui_class_bind_callbacks (widget_class, BS_UI_CALLBACK (history_activate_cb), NULL);
  gtk_widget_class_install_action (widget_class, "jobs.cancel", "s", cancel_action);
}

static void
bs_jobs_page_init (BsJobsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->active_filter = gtk_custom_filter_new (active_filter_cb, NULL, NULL);
  self->active = gtk_filter_list_model_new (NULL, GTK_FILTER (self->active_filter));
  g_signal_connect_object (self->active, "items-changed", G_CALLBACK (update_busy), self,
                           G_CONNECT_SWAPPED);
  self->history = g_list_store_new (BS_TYPE_VARIANT_ITEM);
  bs_ui_list_view_show (self->active_jobs_view, G_LIST_MODEL (self->active));
  bs_ui_list_view_show (self->history_view, G_LIST_MODEL (self->history));
  update_busy (self);
}
