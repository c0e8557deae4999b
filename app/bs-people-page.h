/* bs-people-page.h — BsPeoplePage: the roster and the deleted people
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bs-page.h"

G_BEGIN_DECLS

#define BS_TYPE_PEOPLE_PAGE (bs_people_page_get_type ())
G_DECLARE_FINAL_TYPE (BsPeoplePage, bs_people_page, BS, PEOPLE_PAGE, BsPage)

/* reads the roster (as far as the search allows) and the deleted people again */
void bs_people_page_reload (BsPeoplePage *self);

G_END_DECLS
