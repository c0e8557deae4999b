/* bsd-authority.h — may this caller do that? (polkit, async, fail closed)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* the actions (data/org.biosync.BioSync1.policy) are bsd-policy.h's */

#define BSD_TYPE_AUTHORITY (bsd_authority_get_type ())
G_DECLARE_FINAL_TYPE (BsdAuthority, bsd_authority, BSD, AUTHORITY, GObject)

BsdAuthority *bsd_authority_new (void);

/* asks polkit whether the sender of @invocation may do @action_id; the
 * subject is the caller's unique bus name. Interaction is allowed when the
 * caller set ALLOW_INTERACTIVE_AUTHORIZATION. Anything but a clear "yes"
 * (no polkitd, a timeout, a challenge) is a denial. */
void bsd_authority_check_async (BsdAuthority *self,
                                GDBusMethodInvocation *invocation,
                                const char *action_id,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
/* FALSE with G_IO_ERROR_PERMISSION_DENIED (message names the action) */
gboolean bsd_authority_check_finish (BsdAuthority *self, GAsyncResult *result, GError **error);

G_END_DECLS
