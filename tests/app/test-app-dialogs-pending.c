/* test-app-dialogs-pending.c — mode "pending": push terminals that knocked
 *
 * test-app-dialogs.py has two unknown push terminals (PUSH0001, PUSH0002)
 * knock on biosyncd's push port before the window opens. The Devices page
 * says so; Review… lists both; PUSH0001 is accepted as "Gate Push" into
 * the seed area, PUSH0002 refused (it stays listed, refused).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-pending-dialog.h"
#include "dialog-test-util.h"

static gboolean
pending_count_is_cb (gpointer data)
{
  GtkRevealer *revealer = GTK_REVEALER (child ("pending_revealer"));
  guint expected = GPOINTER_TO_UINT (data);
  BsDBusManager *m = manager ();

  if (m == NULL || bs_dbus_manager_get_pending_devices (m) != expected)
    return FALSE;
  return gtk_revealer_get_reveal_child (revealer) == (expected > 0);
}

static GtkWidget *
group_of (GtkWidget *dialog, const char *serial)
{
  g_autofree char *name = g_strdup_printf ("pending-%s", serial);

  return find_named (dialog, name);
}

typedef struct
{
  GtkWidget *dialog;
  const char *serial;
  gboolean refused;
} GroupQuery;

/* the terminal's group is gone from the dialog */
static gboolean
group_gone_cb (gpointer data)
{
  GroupQuery *query = data;

  return group_of (query->dialog, query->serial) == NULL;
}

/* the terminal's group is shown, refused (no Refuse button) or not */
static gboolean
group_shows_cb (gpointer data)
{
  GroupQuery *query = data;
  GtkWidget *group = group_of (query->dialog, query->serial);

  return group != NULL && gtk_widget_get_mapped (group)
         && (find_named (group, "refuse-button") == NULL) == query->refused;
}

static void
accept_first (GtkWidget *dialog, guint area_id)
{
  GroupQuery shown = { dialog, "PUSH0001", FALSE };
  g_autoptr (GVariant) accepted = NULL;
  GtkWidget *group, *name, *area;

  REQUIRE (wait_until (group_shows_cb, &shown, 10, "PUSH0001's group"),
           "the dialog lists PUSH0001, waiting");
  group = group_of (dialog, "PUSH0001");
  name = find_named (group, "name-row");
  area = find_named (group, "area-row");
  REQUIRE (name != NULL && area != NULL, "its group has a name row and an area row");
  CHECK (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (name)), "PUSH0001") == 0,
         "the name it gets is its serial until one is typed");
  type_text (name, "Gate Push");
  /* "No area" first, then the seed area */
  adw_combo_row_set_selected (ADW_COMBO_ROW (area), 1);
  screenshot_of (dialog, "app-dialog-pending");
  REQUIRE (click (find_named (group, "accept-button")), "Accept can be clicked");
  REQUIRE (wait_until (device_listed_cb, (gpointer) "Gate Push", 20, "the accepted terminal"),
           "the accepted terminal appears in the client's model");
  accepted = device_named ("Gate Push");
  REQUIRE (accepted != NULL, "ListDevices has “Gate Push”");
  CHECK (g_strcmp0 (dict_str (accepted, "Protocol"), "push") == 0, "its protocol is push");
  CHECK (g_strcmp0 (dict_str (accepted, "SerialNumber"), "PUSH0001") == 0,
         "it is bound to serial PUSH0001");
  CHECK (dict_uint (accepted, "AreaId") == area_id, "it is in the seed area chosen");
  CHECK (wait_until (pending_count_is_cb, GUINT_TO_POINTER (1), 10, "one waiting"),
         "one terminal still waits");
  CHECK (wait_until (group_gone_cb, &shown, 10, "PUSH0001 to leave"),
         "the accepted terminal leaves the dialog");
}

static void
refuse_second (GtkWidget *dialog)
{
  GroupQuery waiting = { dialog, "PUSH0002", FALSE };
  GroupQuery refused = { dialog, "PUSH0002", TRUE };

  REQUIRE (wait_until (group_shows_cb, &waiting, 10, "PUSH0002's group"),
           "the dialog lists PUSH0002, waiting");
  REQUIRE (click (find_named (group_of (dialog, "PUSH0002"), "refuse-button")),
           "Refuse can be clicked");
  CHECK (wait_until (pending_count_is_cb, GUINT_TO_POINTER (0), 10, "none waiting"),
         "no terminal waits any more, and the bar is gone");
  CHECK (wait_until (group_shows_cb, &refused, 10, "PUSH0002 refused"),
         "PUSH0002 stays listed as refused, with Accept only");
  CHECK (find_named (group_of (dialog, "PUSH0002"), "accept-button") != NULL,
         "a refused terminal can still be accepted");
  screenshot_of (dialog, "app-dialog-pending-refused");
  CHECK (!device_listed_cb ((gpointer) "PUSH0002"), "the refused terminal is no device");
}

void
test_pending (void)
{
  g_autoptr (GVariant) area = NULL;
  GtkLabel *label;
  GtkWidget *dialog;

  REQUIRE (open_window_listing (3), "the window lists the seed area's three terminals");
  show_page ("devices");
  area = area_named ("Seed area");
  REQUIRE (area != NULL, "the seed area exists");
  REQUIRE (wait_until (pending_count_is_cb, GUINT_TO_POINTER (2), 20, "two waiting"),
           "the Devices page shows that two terminals wait");
  label = GTK_LABEL (child ("pending_label"));
  CHECK (g_str_has_prefix (gtk_label_get_text (label), "2 "), "the bar counts two terminals");
  screenshot ("app-devices-pending");
  REQUIRE (
      click (find_actionable (GTK_WIDGET (child ("view_stack")), "devices.review-pending", NULL)),
      "the bar has a Review button");
  dialog = wait_dialog (BS_TYPE_PENDING_DIALOG, NULL, 10);
  REQUIRE (dialog != NULL, "Review opens the New Terminals dialog");
  accept_first (dialog, dict_uint (area, "Id"));
  refuse_second (dialog);
  gtk_window_destroy (GTK_WINDOW (dialog));
}
