/* bs-settings-page.h — BsSettingsPage: the operations on every device,
 * the service's settings and this user's notification settings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bs-page.h"

G_BEGIN_DECLS

#define BS_TYPE_SETTINGS_PAGE (bs_settings_page_get_type ())
G_DECLARE_FINAL_TYPE (BsSettingsPage, bs_settings_page, BS, SETTINGS_PAGE, BsPage)

/* the notification settings follow @settings (the application's) */
void bs_settings_page_bind (BsSettingsPage *self, GSettings *settings);

G_END_DECLS
