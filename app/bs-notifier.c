/* bs-notifier.c — BsNotifier: GNotifications with stable ids
 *
 * Ids: "job-KIND" (the last finished job of a kind replaces the previous
 * one), "device-offline-ID", "device-full-ID", "pending-devices" (push
 * terminals waiting to be accepted: said again when more come, withdrawn
 * when none waits). Default actions open the page the notification is
 * about.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-format.h"
#include "bs-notifier.h"

struct _BsNotifier
{
  GObject parent_instance;

  GApplication *application; /* weak: the application owns us */
  BsClient *client;
  GSettings *settings;
  /* device id → first time (µs, monotonic-free wall clock) we saw it offline */
  GHashTable *offline_since;
  GHashTable *offline_notified;
  GHashTable *full_notified;
  guint pending_notified; /* how many waiting terminals we told of */
  guint timeout_id;
};

G_DEFINE_FINAL_TYPE (BsNotifier, bs_notifier, G_TYPE_OBJECT)

static void
job_finished_cb (BsClient *client, BsJobOutcome *outcome, gpointer user_data)
{
  BsNotifier *self = user_data;
  g_autoptr (GNotification) notification = NULL;
  g_autofree char *id = g_strdup_printf ("job-%s", outcome->kind);
  g_autofree char *title = NULL;
  gboolean succeeded = g_strcmp0 (outcome->state, "succeeded") == 0;
  gboolean bad
      = g_strcmp0 (outcome->state, "failed") == 0 || g_strcmp0 (outcome->state, "partial") == 0;

  bs_notifier_check_devices (self);

  /* previews are looked at in the window; nobody waits for a notification */
  if (g_strcmp0 (outcome->kind, "preview") == 0)
    return;
  if (!bad && !(succeeded && g_settings_get_boolean (self->settings, "notify-success")))
    return;

  title = bs_format_job_outcome (outcome->kind, outcome->state);
  notification = g_notification_new (title);
  if (outcome->summary != NULL && *outcome->summary != '\0')
    g_notification_set_body (notification, outcome->summary);
  g_notification_set_priority (notification, succeeded ? G_NOTIFICATION_PRIORITY_LOW
                                                       : G_NOTIFICATION_PRIORITY_HIGH);
  if (outcome->id != 0)
    g_notification_set_default_action_and_target (notification, "app.show-job", "t", outcome->id);
  else
    g_notification_set_default_action_and_target (notification, "app.show-page", "s", "jobs");
  g_notification_add_button_with_target (notification, _ ("Show Jobs"), "app.show-page", "s",
                                         "jobs");
  g_application_send_notification (self->application, id, notification);
}

gboolean
bs_device_nearly_full (BsDBusDevice *device, guint percent, const char **what)
{
  struct
  {
    guint count;
    guint capacity;
    const char *what;
  } checks[] = {
    { bs_dbus_device_get_users (device), bs_dbus_device_get_user_capacity (device), N_ ("users") },
    { bs_dbus_device_get_fingerprints (device), bs_dbus_device_get_fingerprint_capacity (device),
      N_ ("fingerprints") },
    { bs_dbus_device_get_faces (device), bs_dbus_device_get_face_capacity (device), N_ ("faces") },
    { bs_dbus_device_get_records (device), bs_dbus_device_get_record_capacity (device),
      N_ ("attendance records") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (checks); i++)
    if (checks[i].capacity > 0
        && (guint64)checks[i].count * 100 >= (guint64)checks[i].capacity * percent)
      {
        *what = _ (checks[i].what);
        return TRUE;
      }
  return FALSE;
}

/* a notification about a terminal; it opens the Devices page */
static void
notify_device (BsNotifier *self, const char *id, const char *title, const char *body)
{
  g_autoptr (GNotification) notification = g_notification_new (title);

  g_notification_set_body (notification, body);
  g_notification_set_default_action_and_target (notification, "app.show-page", "s", "devices");
  g_application_send_notification (self->application, id, notification);
}

static void
check_device (BsNotifier *self, BsDBusDevice *device, gint64 now)
{
  guint id = bs_dbus_device_get_id (device);
  const char *name = bs_dbus_device_get_name (device);
  g_autofree char *offline_id = g_strdup_printf ("device-offline-%u", id);
  g_autofree char *full_id = g_strdup_printf ("device-full-%u", id);
  gint64 threshold = (gint64)g_settings_get_uint (self->settings, "offline-threshold-minutes")
                     * G_USEC_PER_SEC * 60;
  const char *what = NULL;

  if (g_strcmp0 (bs_dbus_device_get_state (device), "offline") == 0
      && bs_dbus_device_get_enabled (device))
    {
      gint64 since = (gint64)bs_dbus_device_get_last_seen (device);

      if (since == 0)
        {
          gpointer first = g_hash_table_lookup (self->offline_since, GUINT_TO_POINTER (id));

          if (first == NULL)
            g_hash_table_insert (self->offline_since, GUINT_TO_POINTER (id),
                                 g_memdup2 (&now, sizeof now));
          since = first ? *(gint64 *)first : now;
        }
      if (now - since >= threshold
          && !g_hash_table_contains (self->offline_notified, GUINT_TO_POINTER (id)))
        {
          /* Translators: %s is a terminal's name */
          g_autofree char *title = g_strdup_printf (_ ("%s is offline"), name);
          g_autofree char *body = g_strdup_printf (
              _ ("The terminal at %s has not answered for more than %u minutes."),
              bs_dbus_device_get_address (device),
              g_settings_get_uint (self->settings, "offline-threshold-minutes"));

          notify_device (self, offline_id, title, body);
          g_hash_table_add (self->offline_notified, GUINT_TO_POINTER (id));
        }
    }
  else
    {
      g_hash_table_remove (self->offline_since, GUINT_TO_POINTER (id));
      if (g_hash_table_remove (self->offline_notified, GUINT_TO_POINTER (id)))
        g_application_withdraw_notification (self->application, offline_id);
    }

  if (bs_device_nearly_full (device, g_settings_get_uint (self->settings, "nearly-full-percent"),
                             &what))
    {
      if (!g_hash_table_contains (self->full_notified, GUINT_TO_POINTER (id)))
        {
          g_autofree char *title = g_strdup_printf (_ ("%s is nearly full"), name);
          /* Translators: %s is e.g. "fingerprints" */
          g_autofree char *body
              = g_strdup_printf (_ ("The terminal has almost no room left for %s."), what);

          notify_device (self, full_id, title, body);
          g_hash_table_add (self->full_notified, GUINT_TO_POINTER (id));
        }
    }
  else if (g_hash_table_remove (self->full_notified, GUINT_TO_POINTER (id)))
    g_application_withdraw_notification (self->application, full_id);
}

void
bs_notifier_check_devices (BsNotifier *self)
{
  GListModel *devices;
  gint64 now = g_get_real_time ();

  g_return_if_fail (BS_IS_NOTIFIER (self));
  if (!bs_client_get_service_running (self->client))
    return;
  devices = bs_client_get_devices (self->client);
  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (devices, i);

      check_device (self, device, now);
    }
}

static void
check_pending (BsNotifier *self)
{
  BsDBusManager *manager = bs_client_get_manager (self->client);
  guint pending = manager != NULL ? bs_dbus_manager_get_pending_devices (manager) : 0;

  if (pending > self->pending_notified)
    {
      g_autofree char *title
          = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u new terminal wants to connect",
                                          "%u new terminals want to connect", pending),
                             pending);

      notify_device (self, "pending-devices", title,
                     _ ("Accept or refuse them on the Devices page. Nothing a terminal "
                        "sends is stored before it is accepted."));
    }
  else if (pending == 0 && self->pending_notified > 0)
    g_application_withdraw_notification (self->application, "pending-devices");
  self->pending_notified = pending;
}

static void
manager_changed_cb (BsNotifier *self)
{
  BsDBusManager *manager = bs_client_get_manager (self->client);

  if (manager != NULL)
    g_signal_connect_object (manager, "notify::pending-devices", G_CALLBACK (check_pending), self,
                             G_CONNECT_SWAPPED);
  check_pending (self);
}

static gboolean
check_timeout_cb (gpointer user_data)
{
  bs_notifier_check_devices (user_data);
  return G_SOURCE_CONTINUE;
}

static void
devices_changed_cb (
    GListModel *model, guint position, guint removed, guint added, gpointer user_data)
{
  bs_notifier_check_devices (user_data);
}

static void
bs_notifier_dispose (GObject *object)
{
  BsNotifier *self = BS_NOTIFIER (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (bs_notifier_parent_class)->dispose (object);
}

static void
bs_notifier_finalize (GObject *object)
{
  BsNotifier *self = BS_NOTIFIER (object);

  g_hash_table_unref (self->offline_since);
  g_hash_table_unref (self->offline_notified);
  g_hash_table_unref (self->full_notified);
  G_OBJECT_CLASS (bs_notifier_parent_class)->finalize (object);
}

static void
bs_notifier_class_init (BsNotifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bs_notifier_dispose;
  object_class->finalize = bs_notifier_finalize;
}

static void
bs_notifier_init (BsNotifier *self)
{
  self->offline_since = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  self->offline_notified = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->full_notified = g_hash_table_new (g_direct_hash, g_direct_equal);
}

BsNotifier *
bs_notifier_new (GApplication *application, BsClient *client, GSettings *settings)
{
  BsNotifier *self;

  g_return_val_if_fail (G_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (BS_IS_CLIENT (client), NULL);

  self = g_object_new (BS_TYPE_NOTIFIER, NULL);
  self->application = application;
  self->client = g_object_ref (client);
  self->settings = g_object_ref (settings);
  g_signal_connect_object (client, "job-finished", G_CALLBACK (job_finished_cb), self, 0);
  g_signal_connect_object (bs_client_get_devices (client), "items-changed",
                           G_CALLBACK (devices_changed_cb), self, 0);
  g_signal_connect_object (client, "notify::manager", G_CALLBACK (manager_changed_cb), self,
                           G_CONNECT_SWAPPED);
  manager_changed_cb (self);
  self->timeout_id = g_timeout_add_seconds (60, check_timeout_cb, self);
  bs_notifier_check_devices (self);
  return self;
}
