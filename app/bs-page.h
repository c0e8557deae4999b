/* bs-page.h — BsPage: a page of the window (Devices, Areas, People, Jobs,
 * Settings)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A page owns its models and widgets. The window hands it the client once
 * there is one, the search text, and tells it when it is shown; the page
 * hears about the service coming and going (the Manager proxy) itself.
 * The subclasses are widget templates (bs-*-page.ui).
 */
#pragma once

#include <adwaita.h>

#include "bs-client.h"

G_BEGIN_DECLS

#define BS_TYPE_PAGE (bs_page_get_type ())
G_DECLARE_DERIVABLE_TYPE (BsPage, bs_page, BS, PAGE, AdwBin)

struct _BsPageClass
{
  AdwBinClass parent_class;

  /* the client is there (once; the page fills its models from it) */
  void (*client_set) (BsPage *self);
  /* the service came (bs_page_get_manager () is set) or went (NULL) */
  void (*manager_changed) (BsPage *self);
  /* the window's search text changed */
  void (*search_changed) (BsPage *self);
  /* the page was made the visible one */
  void (*shown) (BsPage *self);
};

BsClient *bs_page_get_client (BsPage *self);
void bs_page_set_client (BsPage *self, BsClient *client);
/* NULL while the service is not running */
BsDBusManager *bs_page_get_manager (BsPage *self);
const char *bs_page_get_search (BsPage *self);
void bs_page_set_search (BsPage *self, const char *search);
void bs_page_shown (BsPage *self);
/* a cancellable for a read that replaces the previous read called @what
 * (it is cancelled now); every read is cancelled when the page goes */
GCancellable *bs_page_start_read (BsPage *self, const char *what);

G_END_DECLS
