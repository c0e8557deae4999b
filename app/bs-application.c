/* bs-application.c — BsApplication: actions, shortcuts, --background
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-application.h"
#include "bs-notifier.h"
#include "bs-window.h"

struct _BsApplication
{
  AdwApplication parent_instance;

  char *address;
  gboolean background;
  gboolean skip_activate;
  gboolean held;
  BsClient *client;
  BsNotifier *notifier;
  GSettings *settings;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (BsApplication, bs_application, ADW_TYPE_APPLICATION)

enum
{
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

BsApplication *
bs_application_new (void)
{
  return g_object_new (BS_TYPE_APPLICATION, "application-id", BS_APPLICATION_ID, "flags",
                       G_APPLICATION_DEFAULT_FLAGS, "resource-base-path", "/org/biosync/BioSync",
                       NULL);
}

BsClient *
bs_application_get_client (BsApplication *self)
{
  g_return_val_if_fail (BS_IS_APPLICATION (self), NULL);
  return self->client;
}

const char *
bs_application_get_address (BsApplication *self)
{
  g_return_val_if_fail (BS_IS_APPLICATION (self), NULL);
  return self->address;
}

void
bs_application_set_address (BsApplication *self, const char *address)
{
  g_return_if_fail (BS_IS_APPLICATION (self));
  g_free (self->address);
  self->address = g_strdup (address);
}

GSettings *
bs_application_get_settings (BsApplication *self)
{
  g_return_val_if_fail (BS_IS_APPLICATION (self), NULL);
  return self->settings;
}

static BsWindow *
get_window (BsApplication *self, gboolean create)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  for (GList *l = windows; l != NULL; l = l->next)
    if (BS_IS_WINDOW (l->data))
      return l->data;
  if (!create)
    return NULL;
  return bs_window_new (self);
}

static void
client_ready_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (BsApplication) self = user_data;
  g_autoptr (GError) error = NULL;
  BsClient *client = bs_client_new_finish (result, &error);

  if (client == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("cannot connect to the bus: %s", error->message);
      return;
    }
  self->client = client;
  self->notifier = bs_notifier_new (G_APPLICATION (self), client, self->settings);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
}

void
bs_application_connect (BsApplication *self)
{
  g_return_if_fail (BS_IS_APPLICATION (self));
  if (self->client != NULL || self->cancellable != NULL)
    return;
  self->cancellable = g_cancellable_new ();
  bs_client_new_async (self->address, self->cancellable, client_ready_cb, g_object_ref (self));
}

static void
show_page_action_cb (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  BsApplication *self = user_data;
  BsWindow *window = get_window (self, TRUE);

  bs_window_show_page (window, g_variant_get_string (parameter, NULL));
  gtk_window_present (GTK_WINDOW (window));
}

static void
show_job_action_cb (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  BsApplication *self = user_data;
  BsWindow *window = get_window (self, TRUE);

  gtk_window_present (GTK_WINDOW (window));
  bs_window_show_job (window, g_variant_get_uint64 (parameter));
}

static void
quit_action_cb (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  BsApplication *self = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  /* close the windows so they save their size; in background mode the
   * hold is released too */
  while (windows != NULL)
    {
      gtk_window_destroy (windows->data);
      windows = gtk_application_get_windows (GTK_APPLICATION (self));
    }
  g_application_quit (G_APPLICATION (self));
}

static void
about_action_cb (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  BsApplication *self = user_data;
  static const char *developers[] = { "The biosync developers", NULL };
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW, "transient-for", parent, "modal", TRUE,
                        "application-name", _ ("BioSync"), "application-icon", BS_APPLICATION_ID,
                        "developer-name", _ ("The biosync developers"), "version", PACKAGE_VERSION,
                        "comments", _ ("Keeps biometric attendance terminals in sync."),
                        "license-type", GTK_LICENSE_GPL_3_0, "developers", developers,
                        /* Translators: your names, one per line */
                        "translator-credits", _ ("translator-credits"), NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static const GActionEntry app_actions[] = {
  { "show-page", show_page_action_cb, "s" },
  { "show-job", show_job_action_cb, "t" },
  { "quit", quit_action_cb },
  { "about", about_action_cb },
};

static void
bs_application_startup (GApplication *application)
{
  BsApplication *self = BS_APPLICATION (application);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *sync_accels[] = { "<Control>r", NULL };
  static const char *search_accels[] = { "<Control>f", NULL };

  G_APPLICATION_CLASS (bs_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.sync-all", sync_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.search", search_accels);

  if (self->address == NULL && g_getenv ("BIOSYNC_BUS_ADDRESS") != NULL
      && *g_getenv ("BIOSYNC_BUS_ADDRESS") != '\0')
    self->address = g_strdup (g_getenv ("BIOSYNC_BUS_ADDRESS"));
  bs_application_connect (self);
}

static void
bs_application_activate (GApplication *application)
{
  BsApplication *self = BS_APPLICATION (application);

  /* --background: the first activation only starts the watcher */
  if (self->skip_activate)
    {
      self->skip_activate = FALSE;
      return;
    }
  gtk_window_present (GTK_WINDOW (get_window (self, TRUE)));
}

static int
bs_application_handle_local_options (GApplication *application, GVariantDict *options)
{
  BsApplication *self = BS_APPLICATION (application);
  g_autoptr (GError) error = NULL;
  const char *address = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("biosync %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (g_variant_dict_lookup (options, "address", "&s", &address))
    bs_application_set_address (self, address);

  if (g_variant_dict_contains (options, "background"))
    {
      if (!g_application_register (application, NULL, &error))
        {
          g_printerr ("biosync: %s\n", error->message);
          return 1;
        }
      /* an instance already runs: it watches already */
      if (g_application_get_is_remote (application))
        return 0;
      self->background = TRUE;
      self->skip_activate = TRUE;
      if (!self->held)
        {
          g_application_hold (application);
          self->held = TRUE;
        }
    }
  return -1;
}

static void
bs_application_shutdown (GApplication *application)
{
  BsApplication *self = BS_APPLICATION (application);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->notifier);
  G_APPLICATION_CLASS (bs_application_parent_class)->shutdown (application);
}

static void
bs_application_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BsApplication *self = BS_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_application_finalize (GObject *object)
{
  BsApplication *self = BS_APPLICATION (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->notifier);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->address, g_free);
  G_OBJECT_CLASS (bs_application_parent_class)->finalize (object);
}

static void
bs_application_class_init (BsApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->get_property = bs_application_get_property;
  object_class->finalize = bs_application_finalize;
  app_class->startup = bs_application_startup;
  app_class->activate = bs_application_activate;
  app_class->handle_local_options = bs_application_handle_local_options;
  app_class->shutdown = bs_application_shutdown;

  properties[PROP_CLIENT]
      = g_param_spec_object ("client", NULL, NULL, BS_TYPE_CLIENT,
                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static const GOptionEntry option_entries[] = {
  { "background", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_ ("Run without a window: watch the terminals and notify"), NULL },
  { "address", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_ ("The D-Bus address of the bus biosyncd is on (default: the system bus)"), N_ ("ADDRESS") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_ ("Print the version and exit"), NULL },
  { NULL },
};

static void
bs_application_init (BsApplication *self)
{
  self->settings = g_settings_new (BS_APPLICATION_ID);
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
}
