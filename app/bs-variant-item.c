/* bs-variant-item.c — BsVariantItem
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "bs-variant-item.h"

struct _BsVariantItem
{
  GObject parent_instance;
  GVariant *dict;
};

G_DEFINE_FINAL_TYPE (BsVariantItem, bs_variant_item, G_TYPE_OBJECT)

static void
bs_variant_item_finalize (GObject *object)
{
  BsVariantItem *self = BS_VARIANT_ITEM (object);

  g_clear_pointer (&self->dict, g_variant_unref);
  G_OBJECT_CLASS (bs_variant_item_parent_class)->finalize (object);
}

static void
bs_variant_item_class_init (BsVariantItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bs_variant_item_finalize;
}

static void
bs_variant_item_init (BsVariantItem *self)
{
}

BsVariantItem *
bs_variant_item_new (GVariant *dict)
{
  BsVariantItem *self;

  g_return_val_if_fail (dict != NULL, NULL);
  g_return_val_if_fail (g_variant_is_of_type (dict, G_VARIANT_TYPE_VARDICT), NULL);
  self = g_object_new (BS_TYPE_VARIANT_ITEM, NULL);
  self->dict = g_variant_ref_sink (dict);
  return self;
}

GVariant *
bs_variant_item_get_dict (BsVariantItem *self)
{
  g_return_val_if_fail (BS_IS_VARIANT_ITEM (self), NULL);
  return self->dict;
}

GVariant *
bs_variant_item_lookup (BsVariantItem *self, const char *key, const GVariantType *type)
{
  g_return_val_if_fail (BS_IS_VARIANT_ITEM (self), NULL);
  return g_variant_lookup_value (self->dict, key, type);
}

const char *
bs_variant_item_get_string (BsVariantItem *self, const char *key)
{
  const char *value = NULL;

  g_return_val_if_fail (BS_IS_VARIANT_ITEM (self), "");
  /* strings and object paths both come back borrowed from the dict */
  if (!g_variant_lookup (self->dict, key, "&s", &value)
      && !g_variant_lookup (self->dict, key, "&o", &value))
    return "";
  return value;
}

guint
bs_variant_item_get_uint (BsVariantItem *self, const char *key)
{
  guint value = 0;

  g_return_val_if_fail (BS_IS_VARIANT_ITEM (self), 0);
  g_variant_lookup (self->dict, key, "u", &value);
  return value;
}

guint64
bs_variant_item_get_uint64 (BsVariantItem *self, const char *key)
{
  guint64 value = 0;

  g_return_val_if_fail (BS_IS_VARIANT_ITEM (self), 0);
  g_variant_lookup (self->dict, key, "t", &value);
  return value;
}

gboolean
bs_variant_item_get_boolean (BsVariantItem *self, const char *key)
{
  gboolean value = FALSE;

  g_return_val_if_fail (BS_IS_VARIANT_ITEM (self), FALSE);
  g_variant_lookup (self->dict, key, "b", &value);
  return value;
}

void
bs_variant_item_collect (GVariant *list, GPtrArray *items)
{
  GVariantIter iter;
  GVariant *child;

  g_return_if_fail (g_variant_is_of_type (list, G_VARIANT_TYPE ("aa{sv}")));
  g_variant_iter_init (&iter, list);
  while ((child = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_ptr_array_add (items, bs_variant_item_new (child));
      g_variant_unref (child);
    }
}

guint
bs_variant_item_replace_all (GListStore *store, GVariant *list)
{
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  bs_variant_item_collect (list, items);
  g_list_store_splice (store, 0, g_list_model_get_n_items (G_LIST_MODEL (store)), items->pdata,
                       items->len);
  return items->len;
}
