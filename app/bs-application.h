/* bs-application.h — BsApplication: the biosync desktop app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "bs-client.h"

G_BEGIN_DECLS

#define BS_TYPE_APPLICATION (bs_application_get_type ())
G_DECLARE_FINAL_TYPE (BsApplication, bs_application, BS, APPLICATION, AdwApplication)

#define BS_APPLICATION_ID "org.biosync.BioSync"

BsApplication *bs_application_new (void);
/* NULL until connected to the bus; notify::client */
BsClient *bs_application_get_client (BsApplication *self);
/* D-Bus address of the daemon's bus; NULL = system bus */
const char *bs_application_get_address (BsApplication *self);
void bs_application_set_address (BsApplication *self, const char *address);
GSettings *bs_application_get_settings (BsApplication *self);
/* starts connecting (done in startup; tests may call it directly) */
void bs_application_connect (BsApplication *self);

G_END_DECLS
