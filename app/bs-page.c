/* bs-page.c — BsPage: a page of the window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bs-page.h"

typedef struct
{
  BsClient *client;
  char *search;
  GHashTable *reads; /* what → GCancellable */
} BsPagePrivate;

G_DEFINE_TYPE_WITH_PRIVATE (BsPage, bs_page, ADW_TYPE_BIN)

static void
manager_cb (BsClient *client, GParamSpec *pspec, BsPage *self)
{
  BsPageClass *klass = BS_PAGE_GET_CLASS (self);

  if (klass->manager_changed != NULL)
    klass->manager_changed (self);
}

BsClient *
bs_page_get_client (BsPage *self)
{
  BsPagePrivate *priv = bs_page_get_instance_private (self);

  g_return_val_if_fail (BS_IS_PAGE (self), NULL);
  return priv->client;
}

void
bs_page_set_client (BsPage *self, BsClient *client)
{
  BsPagePrivate *priv = bs_page_get_instance_private (self);
  BsPageClass *klass = BS_PAGE_GET_CLASS (self);

  g_return_if_fail (BS_IS_PAGE (self));
  g_return_if_fail (BS_IS_CLIENT (client));
  g_return_if_fail (priv->client == NULL);
  priv->client = g_object_ref (client);
  g_signal_connect_object (client, "notify::manager", G_CALLBACK (manager_cb), self, 0);
  if (klass->client_set != NULL)
    klass->client_set (self);
  manager_cb (client, NULL, self);
}

BsDBusManager *
bs_page_get_manager (BsPage *self)
{
  BsPagePrivate *priv = bs_page_get_instance_private (self);

  g_return_val_if_fail (BS_IS_PAGE (self), NULL);
  return priv->client != NULL ? bs_client_get_manager (priv->client) : NULL;
}

const char *
bs_page_get_search (BsPage *self)
{
  BsPagePrivate *priv = bs_page_get_instance_private (self);

  g_return_val_if_fail (BS_IS_PAGE (self), NULL);
  return priv->search != NULL ? priv->search : "";
}

void
bs_page_set_search (BsPage *self, const char *search)
{
  BsPagePrivate *priv = bs_page_get_instance_private (self);
  BsPageClass *klass = BS_PAGE_GET_CLASS (self);

  g_return_if_fail (BS_IS_PAGE (self));
  if (g_strcmp0 (priv->search, search) == 0)
    return;
  g_free (priv->search);
  priv->search = g_strdup (search);
  if (klass->search_changed != NULL)
    klass->search_changed (self);
}

void
bs_page_shown (BsPage *self)
{
  BsPageClass *klass = BS_PAGE_GET_CLASS (self);

  g_return_if_fail (BS_IS_PAGE (self));
  if (klass->shown != NULL)
    klass->shown (self);
}

GCancellable *
bs_page_start_read (BsPage *self, const char *what)
{
  BsPagePrivate *priv = bs_page_get_instance_private (self);
  GCancellable *cancellable = g_cancellable_new ();

  g_return_val_if_fail (BS_IS_PAGE (self), NULL);
  g_cancellable_cancel (g_hash_table_lookup (priv->reads, what));
  g_hash_table_insert (priv->reads, g_strdup (what), cancellable);
  return cancellable;
}

static void
cancel_read (const char *what, GCancellable *cancellable, gpointer user_data)
{
  g_cancellable_cancel (cancellable);
}

static void
bs_page_dispose (GObject *object)
{
  BsPage *self = BS_PAGE (object);
  BsPagePrivate *priv = bs_page_get_instance_private (self);

  /* every subclass has a template, the base class none */
  if (G_OBJECT_TYPE (self) != BS_TYPE_PAGE)
    gtk_widget_dispose_template (GTK_WIDGET (self), G_OBJECT_TYPE (self));
  g_hash_table_foreach (priv->reads, (GHFunc)cancel_read, NULL);
  g_clear_object (&priv->client);
  G_OBJECT_CLASS (bs_page_parent_class)->dispose (object);
}

static void
bs_page_finalize (GObject *object)
{
  BsPagePrivate *priv = bs_page_get_instance_private (BS_PAGE (object));

  g_free (priv->search);
  g_hash_table_unref (priv->reads);
  G_OBJECT_CLASS (bs_page_parent_class)->finalize (object);
}

static void
bs_page_class_init (BsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bs_page_dispose;
  object_class->finalize = bs_page_finalize;
}

static void
bs_page_init (BsPage *self)
{
  BsPagePrivate *priv = bs_page_get_instance_private (self);

  priv->reads = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}
