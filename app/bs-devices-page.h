/* bs-devices-page.h — BsDevicesPage: the terminals
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bs-page.h"

G_BEGIN_DECLS

#define BS_TYPE_DEVICES_PAGE (bs_devices_page_get_type ())
G_DECLARE_FINAL_TYPE (BsDevicesPage, bs_devices_page, BS, DEVICES_PAGE, BsPage)

G_END_DECLS
