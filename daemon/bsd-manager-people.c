/* bsd-manager-people.c — DeleteUser, AllowUser, UpdateUser, ImportUsers
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

/* ----------------------------------------------------------------- import */

/* more rows would hold the main loop on one transaction too long */
#define MAX_IMPORT_ROWS 10000

typedef struct
{
  char *pin;
  char *name;
  BsdPersonEdit edit;
} ImportRow;

static void
import_row_free (ImportRow *row)
{
  g_free (row->pin);
  g_free (row->name);
  g_free (row);
}

/* one key of a row; FALSE once the call was answered */
static gboolean
import_key (GDBusMethodInvocation *invocation,
            guint index,
            const char *key,
            GVariant *value,
            ImportRow *row)
{
  g_autofree char *what = g_strdup_printf ("users[%u] “%s”", index, key);
  gboolean is_u = g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32);
  gboolean is_s = g_variant_is_of_type (value, G_VARIANT_TYPE_STRING);
  guint32 u = is_u ? g_variant_get_uint32 (value) : 0;

  if (g_str_equal (key, "pin") && is_s)
    {
      row->pin = g_variant_dup_string (value, NULL);
      return bsd_manager_check_text (invocation, row->pin, what, 1, MAX_PIN);
    }
  if (g_str_equal (key, "name") && is_s)
    {
      row->name = g_variant_dup_string (value, NULL);
      row->edit.name = row->name;
      return bsd_manager_check_text (invocation, row->name, what, 0, 23);
    }
  if (g_str_equal (key, "card") && is_u)
    {
      row->edit.has_card = TRUE;
      row->edit.card = u;
      return TRUE;
    }
  if (g_str_equal (key, "privilege") && is_u && (u == 0 || u == 2 || u == 6 || u == 14))
    {
      row->edit.has_privilege = TRUE;
      row->edit.privilege = (guint8)u;
      return TRUE;
    }
  if (g_str_equal (key, "group") && is_u && u <= G_MAXUINT8)
    {
      row->edit.has_group = TRUE;
      row->edit.group = (guint8)u;
      return TRUE;
    }
  bsd_error_return_invalid (invocation, "%s: unknown key, wrong type or out of range", what);
  return FALSE;
}

/* the rows, checked for shape (the roster is checked when they are
 * applied); NULL once the call was answered */
static GPtrArray *
import_rows (GDBusMethodInvocation *invocation, GVariant *users)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify)import_row_free);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  gsize n = g_variant_n_children (users);

  if (n == 0 || n > MAX_IMPORT_ROWS)
    {
      bsd_error_return_invalid (invocation, "users: 1 to %u rows, not %" G_GSIZE_FORMAT,
                                MAX_IMPORT_ROWS, n);
      return NULL;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GVariant) dict = g_variant_get_child_value (users, i);
      ImportRow *row = g_new0 (ImportRow, 1);
      GVariantIter iter;
      const char *key;
      GVariant *v;

      g_ptr_array_add (rows, row);
      if (!bsd_manager_check_dict (invocation, dict, "users[]"))
        return NULL;
      g_variant_iter_init (&iter, dict);
      while (g_variant_iter_next (&iter, "{&sv}", &key, &v))
        {
          g_autoptr (GVariant) value = v;

          if (!import_key (invocation, i, key, value, row))
            return NULL;
        }
      if (row->pin == NULL || !g_hash_table_add (seen, row->pin))
        {
          bsd_error_return_invalid (
              invocation, row->pin ? "users[%u]: PIN “%s” is given twice" : "users[%u]: no “pin”",
              i, row->pin);
          return NULL;
        }
    }
  return g_steal_pointer (&rows);
}

/* every row into the roster in one transaction, or none */
static gboolean
import_apply (BsdStore *store, GPtrArray *rows, GError **error)
{
  if (!bsd_store_begin (store, error))
    return FALSE;
  for (guint i = 0; i < rows->len; i++)
    {
      ImportRow *row = rows->pdata[i];

      if (!bsd_store_edit_person (store, row->pin, &row->edit, error))
        {
          g_prefix_error (error, "users[%u]: ", i);
          bsd_store_rollback (store, NULL);
          return FALSE;
        }
    }
  if (bsd_store_commit (store, error))
    return TRUE;
  bsd_store_rollback (store, NULL);
  return FALSE;
}

static void
import_users_authorized (BsdManager *self,
                         GDBusMethodInvocation *invocation,
                         const char *trigger,
                         gint64 uid,
                         gpointer data)
{
  g_autoptr (BsdOperation) op = bsd_operation_new (BSD_OP_IMPORT_USERS);
  g_autoptr (GError) error = NULL;
  BsdJob *job;

  op->trigger = g_strdup (trigger);
  op->requested_by_uid = uid;
  /* a full queue refuses before anything is written */
  if (!bsd_job_queue_may_queue (self->jobs, op, &error)
      || !import_apply (self->store, data, &error))
    {
      bsd_error_return (invocation, error);
      return;
    }
  g_message ("%u people imported by %s", ((GPtrArray *)data)->len, trigger);
  job = bsd_manager_request_job (self, op, &error);
  if (job == NULL)
    {
      bsd_error_return (invocation, error);
      return;
    }
  bs_dbus_manager_complete_import_users (BS_DBUS_MANAGER (self), invocation,
                                         bsd_job_get_path (job));
}

static gboolean
handle_import_users (BsDBusManager *iface, GDBusMethodInvocation *invocation, GVariant *users)
{
  BsdManager *self = BSD_MANAGER (iface);
  GPtrArray *rows = import_rows (invocation, users);

  if (rows != NULL)
    bsd_manager_authorize (self, invocation, import_users_authorized, rows,
                           (GDestroyNotify)g_ptr_array_unref);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
bsd_manager_people_init (BsdManager *self)
{
  g_signal_connect (self, "handle-delete-user", G_CALLBACK (handle_delete_user), NULL);
  g_signal_connect (self, "handle-update-user", G_CALLBACK (handle_update_user), NULL);
  g_signal_connect (self, "handle-allow-user", G_CALLBACK (handle_allow_user), NULL);
  g_signal_connect (self, "handle-import-users", G_CALLBACK (handle_import_users), NULL);
}
