/* bs-area-row.c — BsAreaRow: an area of the Areas page
 *
 * How many terminals, which is the primary, when it was synced, the
 * terminals by name; Preview, Sync and a menu (Assign Devices, Rename,
 * Remove) for the Areas page's actions. The item is the BsDBusArea proxy.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-area-row.h"
#include "bs-ui.h"
#include "bs-format.h"

struct _BsAreaRow
{
  BsRow parent_instance;

  GtkLabel *name_label, *subtitle, *members;
  GtkWidget *preview_button, *sync_button;
  GtkMenuButton *menu_button;
};

G_DEFINE_FINAL_TYPE (BsAreaRow, bs_area_row, BS_TYPE_ROW)

static const BsRowMenuItem menu_items[] = {
  { N_ ("_Assign Devices…"), "areas.assign", FALSE },
  { N_ ("Re_name…"), "areas.rename", FALSE },
  { N_ ("_Remove…"), "areas.remove", TRUE },
};

/* a device of the area by name (by its path while the client does not know it) */
static const char *
device_name (BsClient *client, const char *path)
{
  BsDBusDevice *device = bs_client_lookup_device_path (client, path);

  return device != NULL ? bs_dbus_device_get_name (device) : path;
}

static void
bs_area_row_update (BsRow *row)
{
  BsAreaRow *self = BS_AREA_ROW (row);
  BsDBusArea *area = BS_DBUS_AREA (bs_row_get_item (row));
  BsClient *client = bs_row_get_client (row);
  const char *const *paths = bs_dbus_area_get_devices (area);
  const char *primary = bs_dbus_area_get_primary_device (area);
  guint n = paths ? g_strv_length ((char **)paths) : 0;
  guint id = bs_dbus_area_get_id (area);
  g_autofree char *last_sync = bs_format_time_relative (bs_dbus_area_get_last_sync (area), 0);
  g_autoptr (GString) subtitle = g_string_new (NULL);
  g_autoptr (GString) members = g_string_new (NULL);

  g_string_append_printf (subtitle, g_dngettext (GETTEXT_PACKAGE, "%u device", "%u devices", n), n);
  g_string_append (subtitle, " · ");
  g_string_append_printf (subtitle, _ ("Last sync: %s"), last_sync);
  for (guint i = 0; i < n; i++)
    {
      g_string_append_printf (members, "%s%s", i > 0 ? ", " : "", device_name (client, paths[i]));
      if (g_strcmp0 (primary, paths[i]) == 0)
        {
          g_string_append (subtitle, " · ");
          g_string_append_printf (subtitle, _ ("Primary: %s"), device_name (client, paths[i]));
        }
    }
  if (n == 0)
    g_string_append (members, _ ("No devices yet: assign some from the menu."));
  gtk_label_set_text (self->name_label, bs_dbus_area_get_name (area));
  gtk_label_set_text (self->subtitle, subtitle->str);
  gtk_label_set_text (self->members, members->str);
  gtk_widget_set_sensitive (self->preview_button, n > 0);
  gtk_widget_set_sensitive (self->sync_button, n > 0);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->preview_button), "u", id);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->sync_button), "u", id);
  bs_row_set_menu (row, self->menu_button, menu_items, G_N_ELEMENTS (menu_items),
                   g_variant_new_uint32 (id));
}

static void
bs_area_row_class_init (BsAreaRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  BS_ROW_CLASS (klass)->update = bs_area_row_update;
  bs_ui_class_set_template (widget_class, "bs-area-row.ui", BS_UI_CHILD (BsAreaRow, name_label),
                            BS_UI_CHILD (BsAreaRow, subtitle), BS_UI_CHILD (BsAreaRow, members),
                            BS_UI_CHILD (BsAreaRow, preview_button),
                            BS_UI_CHILD (BsAreaRow, sync_button),
                            BS_UI_CHILD (BsAreaRow, menu_button), NULL);
}

static void
bs_area_row_init (BsAreaRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
