/* bsd-authority.c — may this caller do that? (polkit, async, fail closed)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-authority.h"

#include <polkit/polkit.h>

struct _BsdAuthority
{
  GObject parent_instance;

  PolkitAuthority *authority; /* NULL until the first check */
};

G_DEFINE_FINAL_TYPE (BsdAuthority, bsd_authority, G_TYPE_OBJECT)

typedef struct
{
  char *action_id;
  PolkitSubject *subject;
  PolkitCheckAuthorizationFlags flags;
} Check;

static void
check_free (Check *check)
{
  g_free (check->action_id);
  g_clear_object (&check->subject);
  g_free (check);
}

static void
denied (GTask *task, const char *action_id, const char *why)
{
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                           "not authorized for %s%s%s", action_id, why ? ": " : "", why ? why : "");
}

static void
checked_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Check *check = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (PolkitAuthorizationResult) result
      = polkit_authority_check_authorization_finish (POLKIT_AUTHORITY (source), res, &error);

  if (result == NULL)
    {
      /* polkitd gone or broken: fail closed */
      g_warning ("polkit check for %s failed: %s", check->action_id, error->message);
      denied (task, check->action_id, "the authorization service is not available");
      return;
    }
  if (polkit_authorization_result_get_is_authorized (result))
    g_task_return_boolean (task, TRUE);
  else if (polkit_authorization_result_get_is_challenge (result))
    denied (task, check->action_id, "authentication is required");
  else
    denied (task, check->action_id, NULL);
}

static void
run_check (BsdAuthority *self, GTask *task)
{
  Check *check = g_task_get_task_data (task);

  polkit_authority_check_authorization (self->authority, check->subject, check->action_id, NULL,
                                        check->flags, g_task_get_cancellable (task), checked_cb,
                                        task);
}

static void
authority_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  BsdAuthority *self = g_task_get_source_object (task);
  Check *check = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  PolkitAuthority *authority = polkit_authority_get_finish (res, &error);

  if (authority == NULL)
    {
      g_warning ("no polkit authority: %s", error->message);
      denied (task, check->action_id, "the authorization service is not available");
      g_object_unref (task);
      return;
    }
  if (self->authority == NULL)
    self->authority = authority;
  else
    g_object_unref (authority);
  run_check (self, task);
}

void
bsd_authority_check_async (BsdAuthority *self,
                           GDBusMethodInvocation *invocation,
                           const char *action_id,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  GTask *task;
  Check *check;
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  GDBusMessage *message = g_dbus_method_invocation_get_message (invocation);

  g_return_if_fail (BSD_IS_AUTHORITY (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bsd_authority_check_async);
  check = g_new0 (Check, 1);
  check->action_id = g_strdup (action_id);
  g_task_set_task_data (task, check, (GDestroyNotify)check_free);
  if (sender == NULL)
    {
      /* a peer-to-peer connection has no bus name to ask about */
      denied (task, action_id, "the caller has no bus name");
      g_object_unref (task);
      return;
    }
  check->subject = polkit_system_bus_name_new (sender);
  if (g_dbus_message_get_flags (message) & G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION)
    check->flags = POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION;

  if (self->authority == NULL)
    polkit_authority_get_async (cancellable, authority_cb, task);
  else
    run_check (self, task);
}

gboolean
bsd_authority_check_finish (BsdAuthority *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
bsd_authority_dispose (GObject *object)
{
  BsdAuthority *self = BSD_AUTHORITY (object);

  g_clear_object (&self->authority);
  G_OBJECT_CLASS (bsd_authority_parent_class)->dispose (object);
}

static void
bsd_authority_class_init (BsdAuthorityClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = bsd_authority_dispose;
}

static void
bsd_authority_init (BsdAuthority *self)
{
}

BsdAuthority *
bsd_authority_new (void)
{
  return g_object_new (BSD_TYPE_AUTHORITY, NULL);
}
