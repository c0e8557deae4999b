/* bsd-manager-people.c — DeleteUser, AllowUser, UpdateUser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-manager-private.h"

#include <string.h>

/* ----------------------------------------------------------------- people */

/* the active deletion of @pin, or NULL (errors read as "not deleted":
 * the caller's next store call reports them) */
static BsdTombstone *
active_tombstone (BsdManager *self, const char *pin)
{
  g_autoptr (BsdTombstone) tombstone = bsd_store_get_tombstone (self->store, pin, NULL);

  if (tombstone == NULL || tombstone->allowed_at != 0)
    return NULL;
  return g_steal_pointer (&tombstone);
}

/* UpdateUser: the PIN is in the roster and not deleted */
static gboolean
check_pin (BsdManager *self, GDBusMethodInvocation *invocation, const char *pin)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdPerson) person = NULL;
  g_autoptr (BsdTombstone) tombstone = NULL;

  if (!bsd_manager_check_text (invocation, pin, "pin", 1, MAX_PIN))
    return FALSE;
  tombstone = active_tombstone (self, pin);
  if (tombstone != NULL)
    {
      g_autofree char *deletion = bsd_tombstone_describe (tombstone);

      bsd_error_return_invalid (invocation,
                                "pin: %s: a deleted PIN cannot be changed. Allow it again first "
                                "(AllowUser, “biosyncctl allow %s”, or People → Deleted People → "
                                "Allow Again), then change it",
                                deletion, pin);
      return FALSE;
    }
  person = bsd_store_get_person (self->store, pin, &error);
  if (person == NULL)
    {
      bsd_error_return (invocation, error);
      return FALSE;
    }
  return TRUE;
}

/* DeleteUser: a PIN the roster or a terminal holds, or one deleted
 * already (its removal job runs again) */
static gboolean
check_deletable (BsdManager *self, GDBusMethodInvocation *invocation, const char *pin)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdPerson) person = NULL;
  g_autoptr (BsdTombstone) tombstone = NULL;
  g_autoptr (GArray) holders = NULL;

  if (!bsd_manager_check_text (invocation, pin, "pin", 1, MAX_PIN))
    return FALSE;
  tombstone = active_tombstone (self, pin);
  if (tombstone != NULL)
    return TRUE;
  person = bsd_store_get_person (self->store, pin, NULL);
  if (person != NULL)
    return TRUE;
  holders = bsd_store_list_pin_devices (self->store, pin, &error);
  if (holders == NULL)
    {
      bsd_error_return (invocation, error);
      return FALSE;
    }
  if (holders->len > 0)
    return TRUE;
  g_dbus_method_invocation_return_error (invocation, BS_ERROR, BS_ERROR_NOT_FOUND,
                                         "pin: no person with PIN “%s” is known", pin);
  return FALSE;
}

static gboolean
handle_delete_user (BsDBusManager *iface, GDBusMethodInvocation *invocation, const char *pin)
{
  BsdManager *self = BSD_MANAGER (iface);
  BsdOperation *op;

  if (!check_deletable (self, invocation, pin))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  op = bsd_operation_new (BSD_OP_DELETE_USER);
  op->pin = g_strdup (pin);
  bsd_manager_ask_for_job (self, invocation, op);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Busy while a delete-user job for @pin waits or runs: it would remove
 * the PIN again after it was allowed */
static gboolean
check_no_deletion_pending (BsdManager *self, GDBusMethodInvocation *invocation, const char *pin)
{
  g_autoptr (BsdOperation) op = bsd_operation_new (BSD_OP_DELETE_USER);
  BsdJob *job;

  op->pin = g_strdup (pin);
  job = bsd_manager_find_pending (self, op);
  if (job == NULL)
    return TRUE;
  g_dbus_method_invocation_return_error (
      invocation, BS_ERROR, BS_ERROR_BUSY,
      "the deletion of PIN “%s” is still in job %" G_GINT64_FORMAT "; wait for it or cancel it",
      pin, bsd_job_get_id (job));
  return FALSE;
}

static void
allow_user_authorized (BsdManager *self,
                       GDBusMethodInvocation *invocation,
                       const char *trigger,
                       gint64 uid,
                       gpointer data)
{
  const char *pin = data;
  g_autoptr (GError) error = NULL;

  if (!check_no_deletion_pending (self, invocation, pin))
    return;
  if (!bsd_store_allow_tombstone (self->store, pin, trigger, &error))
    {
      bsd_error_return (invocation, error);
      return;
    }
  g_message ("PIN %s allowed again by %s", pin, trigger);
  bs_dbus_manager_complete_allow_user (BS_DBUS_MANAGER (self), invocation);
}

static gboolean
handle_allow_user (BsDBusManager *iface, GDBusMethodInvocation *invocation, const char *pin)
{
  BsdManager *self = BSD_MANAGER (iface);
  g_autoptr (BsdTombstone) tombstone = NULL;

  if (!bsd_manager_check_text (invocation, pin, "pin", 1, MAX_PIN))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  tombstone = active_tombstone (self, pin);
  if (tombstone == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, BS_ERROR, BS_ERROR_NOT_FOUND,
                                             "pin: PIN “%s” is not deleted", pin);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (!check_no_deletion_pending (self, invocation, pin))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  bsd_manager_authorize (self, invocation, allow_user_authorized, g_strdup (pin), g_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_update_user (BsDBusManager *iface,
                    GDBusMethodInvocation *invocation,
                    const char *pin,
                    GVariant *changes)
{
  BsdManager *self = BSD_MANAGER (iface);
  g_autoptr (BsdOperation) op = NULL;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  if (!check_pin (self, invocation, pin))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  if (!bsd_manager_check_changes (invocation, changes))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  op = bsd_operation_new (BSD_OP_UPDATE_USER);
  op->pin = g_strdup (pin);
  g_variant_iter_init (&iter, changes);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    {
      gboolean ok = TRUE;

      if (g_str_equal (key, "name") && g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        {
          const char *name = g_variant_get_string (value, NULL);

          ok = bsd_manager_check_text (invocation, name, "changes “name”", 0, 23);
          op->name = g_strdup (name);
        }
      else if (g_str_equal (key, "card") && g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
        {
          op->has_card = TRUE;
          op->card = g_variant_get_uint32 (value);
        }
      else if (g_str_equal (key, "privilege")
               && g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
        {
          guint32 p = g_variant_get_uint32 (value);

          op->has_privilege = TRUE;
          op->privilege = (guint8)p;
          if (p != 0 && p != 2 && p != 6 && p != 14)
            {
              bsd_error_return_invalid (invocation, "changes “privilege” is 0, 2, 6 or 14");
              ok = FALSE;
            }
        }
      else if (g_str_equal (key, "password") && g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        {
          const char *pw = g_variant_get_string (value, NULL);
          const char *c;

          for (c = pw; *c && ok; c++)
            ok = g_ascii_isdigit (*c);
          if (!ok || strlen (pw) > 8)
            {
              bsd_error_return_invalid (invocation, "changes “password” is 0 to 8 digits");
              ok = FALSE;
            }
          op->password = g_strdup (pw);
        }
      else
        {
          bsd_error_return_invalid (invocation, "changes: unknown key “%s” or wrong type", key);
          ok = FALSE;
        }
      if (!ok)
        {
          g_variant_unref (value);
          return G_DBUS_METHOD_INVOCATION_HANDLED;
        }
    }
  bsd_manager_ask_for_job (self, invocation, g_steal_pointer (&op));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
bsd_manager_people_init (BsdManager *self)
{
  g_signal_connect (self, "handle-delete-user", G_CALLBACK (handle_delete_user), NULL);
  g_signal_connect (self, "handle-update-user", G_CALLBACK (handle_update_user), NULL);
  g_signal_connect (self, "handle-allow-user", G_CALLBACK (handle_allow_user), NULL);
}
