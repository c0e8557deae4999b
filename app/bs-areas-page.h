/* bs-areas-page.h — BsAreasPage: the areas
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bs-page.h"

G_BEGIN_DECLS

#define BS_TYPE_AREAS_PAGE (bs_areas_page_get_type ())
G_DECLARE_FINAL_TYPE (BsAreasPage, bs_areas_page, BS, AREAS_PAGE, BsPage)

G_END_DECLS
