/* bs-row.c — BsRow: a row of one of the window's lists
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-page.h"
#include "bs-row.h"

typedef struct
{
  GObject *item;
  gulong notify_id;
  BsClient *client; /* while rooted: its names-changed refreshes the row */
  gulong names_id;
  GVariant *menu_target; /* what the menu is for */
} BsRowPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (BsRow, bs_row, GTK_TYPE_BOX)

enum
{
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
item_notify_cb (GObject *item, GParamSpec *pspec, BsRow *self)
{
  BS_ROW_GET_CLASS (self)->update (self);
}

GObject *
bs_row_get_item (BsRow *self)
{
  BsRowPrivate *priv = bs_row_get_instance_private (self);

  g_return_val_if_fail (BS_IS_ROW (self), NULL);
  return priv->item;
}

void
bs_row_set_item (BsRow *self, GObject *item)
{
  BsRowPrivate *priv = bs_row_get_instance_private (self);

  g_return_if_fail (BS_IS_ROW (self));
  if (priv->item == item)
    return;
  if (priv->item != NULL)
    g_clear_signal_handler (&priv->notify_id, priv->item);
  g_set_object (&priv->item, item);
  if (item != NULL)
    {
      priv->notify_id = g_signal_connect (item, "notify", G_CALLBACK (item_notify_cb), self);
      BS_ROW_GET_CLASS (self)->update (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}

/* a row names other objects (an area's devices, a device's area) that
 * may arrive after it was bound, or be renamed */
static void
names_changed_cb (BsClient *client, BsRow *self)
{
  BsRowPrivate *priv = bs_row_get_instance_private (self);

  if (priv->item != NULL)
    BS_ROW_GET_CLASS (self)->update (self);
}

static void
bs_row_root (GtkWidget *widget)
{
  BsRow *self = BS_ROW (widget);
  BsRowPrivate *priv = bs_row_get_instance_private (self);
  BsClient *client;

  GTK_WIDGET_CLASS (bs_row_parent_class)->root (widget);
  client = bs_row_get_client (self);
  if (client == NULL)
    return;
  priv->client = g_object_ref (client);
  priv->names_id = g_signal_connect (client, "names-changed", G_CALLBACK (names_changed_cb), self);
  /* what it was bound to before it had a client */
  names_changed_cb (client, self);
}

static void
bs_row_unroot (GtkWidget *widget)
{
  BsRowPrivate *priv = bs_row_get_instance_private (BS_ROW (widget));

  if (priv->client != NULL)
    g_clear_signal_handler (&priv->names_id, priv->client);
  g_clear_object (&priv->client);
  GTK_WIDGET_CLASS (bs_row_parent_class)->unroot (widget);
}

BsClient *
bs_row_get_client (BsRow *self)
{
  GtkWidget *page;

  g_return_val_if_fail (BS_IS_ROW (self), NULL);
  page = gtk_widget_get_ancestor (GTK_WIDGET (self), BS_TYPE_PAGE);
  return page != NULL ? bs_page_get_client (BS_PAGE (page)) : NULL;
}

static void
bs_row_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  if (prop_id == PROP_ITEM)
    g_value_set_object (value, bs_row_get_item (BS_ROW (object)));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
bs_row_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  if (prop_id == PROP_ITEM)
    bs_row_set_item (BS_ROW (object), g_value_get_object (value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
bs_row_dispose (GObject *object)
{
  BsRow *self = BS_ROW (object);
  BsRowPrivate *priv = bs_row_get_instance_private (self);

  bs_row_set_item (self, NULL);
  g_clear_pointer (&priv->menu_target, g_variant_unref);
  /* every subclass has a template, the base class none */
  if (G_OBJECT_TYPE (self) != BS_TYPE_ROW)
    gtk_widget_dispose_template (GTK_WIDGET (self), G_OBJECT_TYPE (self));
  G_OBJECT_CLASS (bs_row_parent_class)->dispose (object);
}

static void
bs_row_class_init (BsRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->root = bs_row_root;
  widget_class->unroot = bs_row_unroot;
  object_class->get_property = bs_row_get_property;
  object_class->set_property = bs_row_set_property;
  object_class->dispose = bs_row_dispose;

  properties[PROP_ITEM]
      = g_param_spec_object ("item", NULL, NULL, G_TYPE_OBJECT,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bs_row_init (BsRow *self)
{
  /* narrow: a row fits a 360 px window */
  gtk_box_set_spacing (GTK_BOX (self), 8);
  gtk_widget_add_css_class (GTK_WIDGET (self), "card");
  gtk_widget_add_css_class (GTK_WIDGET (self), "bs-row");
}

void
bs_row_set_menu (
    BsRow *self, GtkMenuButton *button, const BsRowMenuItem *items, guint n_items, GVariant *target)
{
  BsRowPrivate *priv = bs_row_get_instance_private (self);
  g_autoptr (GMenu) menu = NULL;
  g_autoptr (GMenu) section = NULL;
  g_autoptr (GVariant) owned = g_variant_ref_sink (target);

  g_return_if_fail (BS_IS_ROW (self));
  if (priv->menu_target != NULL && g_variant_equal (priv->menu_target, owned))
    return;
  g_clear_pointer (&priv->menu_target, g_variant_unref);
  priv->menu_target = g_variant_ref (owned);
  menu = g_menu_new ();
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr (GMenuItem) item = g_menu_item_new (_ (items[i].label), NULL);

      g_menu_item_set_action_and_target_value (item, items[i].action, owned);
      if (items[i].section && section == NULL)
        section = g_menu_new ();
      g_menu_append_item (section != NULL ? section : menu, item);
    }
  if (section != NULL)
    g_menu_append_section (menu, NULL, G_MENU_MODEL (section));
  gtk_menu_button_set_menu_model (button, G_MENU_MODEL (menu));
}

/* ------------------------------------------------------------ the factory */

static void
setup_cb (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer row_type)
{
  BsRow *row = g_object_new (GPOINTER_TO_SIZE (row_type), NULL);

  gtk_list_item_set_child (list_item, GTK_WIDGET (row));
  gtk_list_item_set_activatable (list_item, BS_ROW_GET_CLASS (row)->activatable);
}

static void
bind_cb (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  bs_row_set_item (BS_ROW (gtk_list_item_get_child (list_item)),
                   gtk_list_item_get_item (list_item));
}

static void
unbind_cb (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  bs_row_set_item (BS_ROW (gtk_list_item_get_child (list_item)), NULL);
}

GtkListItemFactory *
bs_row_factory_new (GType row_type)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_return_val_if_fail (g_type_is_a (row_type, BS_TYPE_ROW), NULL);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), GSIZE_TO_POINTER (row_type));
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cb), NULL);
  return factory;
}
