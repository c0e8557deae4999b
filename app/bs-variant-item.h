/* bs-variant-item.h — BsVariantItem: one a{sv} entry (a person, a job of
 * the history) as a list model item
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define BS_TYPE_VARIANT_ITEM (bs_variant_item_get_type ())
G_DECLARE_FINAL_TYPE (BsVariantItem, bs_variant_item, BS, VARIANT_ITEM, GObject)

BsVariantItem *bs_variant_item_new (GVariant *dict);
GVariant *bs_variant_item_get_dict (BsVariantItem *self);
const char *bs_variant_item_get_string (BsVariantItem *self, const char *key);
guint bs_variant_item_get_uint (BsVariantItem *self, const char *key);
guint64 bs_variant_item_get_uint64 (BsVariantItem *self, const char *key);
gboolean bs_variant_item_get_boolean (BsVariantItem *self, const char *key);
/* a new reference or NULL */
GVariant *bs_variant_item_lookup (BsVariantItem *self, const char *key, const GVariantType *type);

/* one item per dictionary of @list (aa{sv}), appended to @items */
void bs_variant_item_collect (GVariant *list, GPtrArray *items);
/* @store's items replaced by one per dictionary of @list, in one splice;
 * returns how many */
guint bs_variant_item_replace_all (GListStore *store, GVariant *list);

G_END_DECLS
