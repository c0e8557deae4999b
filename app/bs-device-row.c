/* bs-device-row.c — BsDeviceRow: a terminal of the Devices page
 *
 * Its state, address, area and firmware, when it was synced, how far its
 * clock is off, its live punches (LiveState, LastPunch), its last error, and what it holds against
 * its capacity; Sync and a menu (Edit, Refresh Logs, Remove) for the Devices page's actions. The
 * item is the device's BsDBusDevice proxy.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-device-row.h"
#include "bs-format.h"
#include "bs-ui.h"

enum
{
  USERS,
  FINGERPRINTS,
  FACES,
  RECORDS,
  N_COUNTS
};

struct _BsDeviceRow
{
  BsRow parent_instance;

  GtkImage *state_icon;
  GtkLabel *name_label, *badge, *subtitle, *detail, *live_label, *error_label;
  GtkLevelBar *bars[N_COUNTS];
  GtkLabel *counts[N_COUNTS];
  GtkLabel *compact_counts; /* the counts in one line, for a narrow window */
  AdwSqueezer *counts_squeezer;
  GtkWidget *counts_elsewhere;
  GtkWidget *sync_button;
  GtkMenuButton *menu_button;
};

G_DEFINE_FINAL_TYPE (BsDeviceRow, bs_device_row, BS_TYPE_ROW)

static const BsRowMenuItem menu_items[] = {
  { N_ ("_Edit…"), "devices.edit", FALSE },
  { N_ ("_Refresh Logs"), "devices.refresh-logs", FALSE },
  { N_ ("_Remove…"), "devices.remove", TRUE },
};

/* every state class a badge may have */
static const char *const states[] = { "online", "offline", "busy", "error", "unknown", NULL };

static const char *
state_icon_name (const char *state)
{
  static const struct
  {
    const char *state;
    const char *icon;
  } icons[] = {
    { "online", "network-wired-symbolic" },
    { "offline", "network-wired-disconnected-symbolic" },
    { "busy", "emblem-synchronizing-symbolic" },
    { "error", "dialog-warning-symbolic" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (icons); i++)
    if (g_strcmp0 (state, icons[i].state) == 0)
      return icons[i].icon;
  return "dialog-question-symbolic";
}

/* what each count is, in the one-line form */
static const char *const count_names[N_COUNTS]
    = { N_ ("Users"), N_ ("Fingerprints"), N_ ("Faces"), N_ ("Records") };

/* one count against its capacity, as a bar and a label, and in @compact */
static void
set_count (BsDeviceRow *self, guint i, guint count, guint capacity, GString *compact)
{
  g_autofree char *text = bs_format_usage (count, capacity);

  gtk_level_bar_set_value (self->bars[i], bs_format_usage_fraction (count, capacity));
  gtk_widget_set_opacity (GTK_WIDGET (self->bars[i]), capacity > 0 ? 1.0 : 0.4);
  gtk_label_set_text (self->counts[i], text);
  g_string_append_printf (compact, "%s%s %s", compact->len > 0 ? " · " : "", _ (count_names[i]),
                          text);
}

/* "192.168.1.201:4370 · Main building · ZMM220 · Ver 6.60 · SN ABC123" */
static char *
where_and_what (BsDeviceRow *self, BsDBusDevice *device)
{
  BsClient *client = bs_row_get_client (BS_ROW (self));
  guint area_id = bs_dbus_device_get_area_id (device);
  BsDBusArea *area = area_id != 0 ? bs_client_lookup_area (client, area_id) : NULL;
  GString *text = g_string_new (NULL);

  /* a push terminal calls us: where it called from, and that it pushes */
  if (g_strcmp0 (bs_dbus_device_get_protocol (device), "push") == 0)
    g_string_append_printf (text, "%s · %s", _ ("Push"), bs_dbus_device_get_address (device));
  else
    g_string_append_printf (text, "%s:%u", bs_dbus_device_get_address (device),
                            bs_dbus_device_get_port (device));
  g_string_append_printf (text, " · %s",
                          area != NULL ? bs_dbus_area_get_name (area) : _ ("No area"));
  if (*bs_dbus_device_get_platform (device) != '\0')
    g_string_append_printf (text, " · %s", bs_dbus_device_get_platform (device));
  if (*bs_dbus_device_get_firmware (device) != '\0')
    g_string_append_printf (text, " · %s", bs_dbus_device_get_firmware (device));
  if (*bs_dbus_device_get_serial_number (device) != '\0')
    g_string_append_printf (text, " · %s %s", _ ("SN"), bs_dbus_device_get_serial_number (device));
  return g_string_free (text, FALSE);
}

/* "Last sync: 5 minutes ago · Clock: 12 s ahead" */
static char *
sync_and_clock (BsDBusDevice *device)
{
  g_autofree char *last_sync = bs_format_time_relative (bs_dbus_device_get_last_sync (device), 0);
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, _ ("Last sync: %s"), last_sync);
  if (bs_dbus_device_get_last_poll (device) != 0)
    {
      g_autofree char *poll = bs_format_time_relative (bs_dbus_device_get_last_poll (device), 0);
      guint queued = bs_dbus_device_get_pending_commands (device);

      g_string_append (text, " · ");
      /* TRANSLATORS: when a push terminal last asked for commands */
      g_string_append_printf (text, _ ("Last poll: %s"), poll);
      if (queued > 0)
        g_string_append_printf (
            text,
            g_dngettext (GETTEXT_PACKAGE, " · %u command queued", " · %u commands queued", queued),
            queued);
    }
  if (bs_dbus_device_get_last_seen (device) != 0)
    {
      g_autofree char *offset = bs_format_clock_offset (bs_dbus_device_get_clock_offset (device));

      g_string_append (text, " · ");
      /* TRANSLATORS: a terminal's clock against this computer's, e.g. "12 s ahead" */
      g_string_append_printf (text, _ ("Clock: %s"), offset);
    }
  return g_string_free (text, FALSE);
}

static void
bs_device_row_update (BsRow *row)
{
  BsDeviceRow *self = BS_DEVICE_ROW (row);
  BsDBusDevice *device = BS_DBUS_DEVICE (bs_row_get_item (row));
  const char *state = bs_dbus_device_get_state (device);
  const char *last_error = bs_dbus_device_get_last_error (device);
  guint id = bs_dbus_device_get_id (device);
  g_autofree char *subtitle = where_and_what (self, device);
  g_autofree char *detail = sync_and_clock (device);
  /* no line where the administrator turned live punches off: a choice, not a state */
  g_autofree char *live = bs_dbus_device_get_live_punches (device)
                              ? bs_format_live_line (bs_dbus_device_get_live_state (device),
                                                     bs_dbus_device_get_last_punch (device), 0)
                              : NULL;
  g_autoptr (GString) compact = g_string_new (NULL);

  gtk_image_set_from_icon_name (self->state_icon, state_icon_name (state));
  gtk_label_set_text (self->name_label, bs_dbus_device_get_name (device));
  gtk_label_set_text (self->badge,
                      bs_format_device_status (state, bs_dbus_device_get_enabled (device)));
  bs_ui_set_class (GTK_WIDGET (self->badge), states,
                   state && g_strv_contains (states, state) ? state : NULL);
  gtk_label_set_text (self->subtitle, subtitle);
  gtk_label_set_text (self->detail, detail);
  gtk_label_set_text (self->live_label, live != NULL ? live : "");
  gtk_widget_set_visible (GTK_WIDGET (self->live_label), live != NULL);
  gtk_label_set_text (self->error_label, last_error);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), *last_error != '\0');
  set_count (self, USERS, bs_dbus_device_get_users (device),
             bs_dbus_device_get_user_capacity (device), compact);
  set_count (self, FINGERPRINTS, bs_dbus_device_get_fingerprints (device),
             bs_dbus_device_get_fingerprint_capacity (device), compact);
  set_count (self, FACES, bs_dbus_device_get_faces (device),
             bs_dbus_device_get_face_capacity (device), compact);
  set_count (self, RECORDS, bs_dbus_device_get_records (device),
             bs_dbus_device_get_record_capacity (device), compact);
  gtk_label_set_text (self->compact_counts, compact->str);
  gtk_widget_set_sensitive (self->sync_button, g_strcmp0 (state, "busy") != 0);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->sync_button), "u", id);
  bs_row_set_menu (row, self->menu_button, menu_items, G_N_ELEMENTS (menu_items),
                   g_variant_new_uint32 (id));
}

static void
bs_device_row_class_init (BsDeviceRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  BS_ROW_CLASS (klass)->update = bs_device_row_update;
  bs_ui_class_set_template (
      widget_class, "bs-device-row.ui", BS_UI_CHILD (BsDeviceRow, state_icon),
      BS_UI_CHILD (BsDeviceRow, name_label), BS_UI_CHILD (BsDeviceRow, badge),
      BS_UI_CHILD (BsDeviceRow, subtitle), BS_UI_CHILD (BsDeviceRow, detail),
      BS_UI_CHILD (BsDeviceRow, live_label), BS_UI_CHILD (BsDeviceRow, error_label),
      BS_UI_CHILD_AS ("users_bar", BsDeviceRow, bars[USERS]),
      BS_UI_CHILD_AS ("fingerprints_bar", BsDeviceRow, bars[FINGERPRINTS]),
      BS_UI_CHILD_AS ("faces_bar", BsDeviceRow, bars[FACES]),
      BS_UI_CHILD_AS ("records_bar", BsDeviceRow, bars[RECORDS]),
      BS_UI_CHILD_AS ("users_count", BsDeviceRow, counts[USERS]),
      BS_UI_CHILD_AS ("fingerprints_count", BsDeviceRow, counts[FINGERPRINTS]),
      BS_UI_CHILD_AS ("faces_count", BsDeviceRow, counts[FACES]),
      BS_UI_CHILD_AS ("records_count", BsDeviceRow, counts[RECORDS]),
      BS_UI_CHILD (BsDeviceRow, compact_counts), BS_UI_CHILD (BsDeviceRow, counts_squeezer),
      BS_UI_CHILD (BsDeviceRow, counts_elsewhere), BS_UI_CHILD (BsDeviceRow, sync_button),
      BS_UI_CHILD (BsDeviceRow, menu_button), NULL);
}

/* a capacity bar: accent up to 75 %, then warning, red when full */
static void
capacity_bar_init (GtkLevelBar *bar)
{
  gtk_level_bar_remove_offset_value (bar, GTK_LEVEL_BAR_OFFSET_LOW);
  gtk_level_bar_remove_offset_value (bar, GTK_LEVEL_BAR_OFFSET_HIGH);
  gtk_level_bar_remove_offset_value (bar, GTK_LEVEL_BAR_OFFSET_FULL);
  gtk_level_bar_add_offset_value (bar, "bs-normal", 0.75);
  gtk_level_bar_add_offset_value (bar, "bs-warn", 0.9);
  gtk_level_bar_add_offset_value (bar, "bs-full", 1.0);
  gtk_widget_add_css_class (GTK_WIDGET (bar), "bs-capacity");
  gtk_widget_set_size_request (GTK_WIDGET (bar), 110, -1);
  gtk_widget_set_valign (GTK_WIDGET (bar), GTK_ALIGN_CENTER);
}

/* no room for the bars: the counts as a line under the name */
static void
squeezed_cb (BsDeviceRow *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->compact_counts),
                          adw_squeezer_get_visible_child (self->counts_squeezer)
                              == self->counts_elsewhere);
}

static void
bs_device_row_init (BsDeviceRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_object (self->counts_squeezer, "notify::visible-child", G_CALLBACK (squeezed_cb),
                           self, G_CONNECT_SWAPPED);
  for (guint i = 0; i < N_COUNTS; i++)
    {
      capacity_bar_init (self->bars[i]);
      gtk_label_set_xalign (self->counts[i], 1);
      gtk_label_set_width_chars (self->counts[i], 13);
      gtk_widget_add_css_class (GTK_WIDGET (self->counts[i]), "caption");
      gtk_widget_add_css_class (GTK_WIDGET (self->counts[i]), "numeric");
    }
}
