/* bs-row.h — BsRow: a row of one of the window's lists
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A card that shows one item (a device, an area, a person, a job …): it
 * holds the item in its "item" property and calls its class's update()
 * when the item changes and whenever the item notifies a property. The
 * subclasses are widget templates (bs-*-row.ui) and only fill in update().
 */
#pragma once

#include <adwaita.h>

#include "bs-client.h"

G_BEGIN_DECLS

#define BS_TYPE_ROW (bs_row_get_type ())
G_DECLARE_DERIVABLE_TYPE (BsRow, bs_row, BS, ROW, GtkBox)

struct _BsRowClass
{
  GtkBoxClass parent_class;

  /* shows the item (never NULL when called) */
  void (*update) (BsRow *self);
  /* whether the list view's activate signal is for its rows */
  gboolean activatable;
};

GObject *bs_row_get_item (BsRow *self);
void bs_row_set_item (BsRow *self, GObject *item);
/* the client of the page the row is in (for names of devices and areas);
 * a row shows an item only in a page's list */
BsClient *bs_row_get_client (BsRow *self);

/* an item of a row's "more" menu */
typedef struct
{
  const char *label; /* N_() */
  const char *action;
  gboolean section; /* starts a section of its own (destructive items) */
} BsRowMenuItem;

/* gives @button the row's "more" menu, unless it has it: every item
 * activates its action with @target (floating references are taken) */
void bs_row_set_menu (BsRow *self,
                      GtkMenuButton *button,
                      const BsRowMenuItem *items,
                      guint n_items,
                      GVariant *target);

/* a list item factory of rows of @row_type (a BsRow subclass), each
 * bound to its list item's item */
GtkListItemFactory *bs_row_factory_new (GType row_type);

G_END_DECLS
