/* bsd-policy.c — which polkit action each call needs: one table, deny by default
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-policy.h"

#include <string.h>

#define METHOD(iface, name, action)                                                                \
  {                                                                                                \
    BSD_POLICY_METHOD, iface, name, action, NULL                                                   \
  }
#define SETTING(name)                                                                              \
  {                                                                                                \
    BSD_POLICY_PROPERTY, "Manager", name, BSD_ACTION_CONFIGURE, NULL                               \
  }
/* cancelling a job needs what starting it needed */
#define CANCEL(kind, action)                                                                       \
  {                                                                                                \
    BSD_POLICY_CANCEL, "Job", kind, action, NULL                                                   \
  }
#define READ NULL

static const BsdPolicyRule rules[] = {
  METHOD ("Manager", "SyncAll", BSD_ACTION_SYNC),
  METHOD ("Manager", "SyncArea", BSD_ACTION_SYNC),
  METHOD ("Manager", "SyncDevice", BSD_ACTION_SYNC),
  METHOD ("Manager", "SyncTemplates", BSD_ACTION_SYNC),
  METHOD ("Manager", "RefreshLogs", BSD_ACTION_SYNC),
  METHOD ("Manager", "BalanceDevices", BSD_ACTION_SYNC),
  METHOD ("Manager", "PreviewSync", BSD_ACTION_SYNC),
  METHOD ("Manager", "SetTime", BSD_ACTION_MANAGE),
  METHOD ("Manager", "AddArea", BSD_ACTION_MANAGE),
  METHOD ("Manager", "RenameArea", BSD_ACTION_MANAGE),
  METHOD ("Manager", "RemoveArea", BSD_ACTION_MANAGE),
  METHOD ("Manager", "AddDevice", BSD_ACTION_MANAGE),
  METHOD ("Manager", "UpdateDevice", BSD_ACTION_MANAGE),
  METHOD ("Manager", "RemoveDevice", BSD_ACTION_MANAGE),
  METHOD ("Manager", "DeleteUser", BSD_ACTION_DESTRUCTIVE),
  METHOD ("Manager", "UpdateUser", BSD_ACTION_MANAGE),
  METHOD ("Manager", "ImportUsers", BSD_ACTION_MANAGE),
  METHOD ("Manager", "AllowUser", BSD_ACTION_DESTRUCTIVE),
  /* attendance is personal data: not for every local user */
  METHOD ("Manager", "ExportAttendance", BSD_ACTION_MANAGE),
  METHOD ("Manager", "ListAttendance", BSD_ACTION_MANAGE),
  /* PunchReceived carries the same (docs/SECURITY.md) */
  METHOD ("Manager", "WatchPunches", BSD_ACTION_MANAGE),
  /* drops only the caller's own watch */
  METHOD ("Manager", "UnwatchPunches", READ),
  /* card numbers are personal data, too */
  METHOD ("Manager", "ExportUsers", BSD_ACTION_MANAGE),
  /* a copy of everything, people included */
  METHOD ("Manager", "Backup", BSD_ACTION_MANAGE),
  /* replaces everything since the copy was made */
  METHOD ("Manager", "Restore", BSD_ACTION_DESTRUCTIVE),
  METHOD ("Manager", "ListUsers", READ),
  METHOD ("Manager", "ListTombstones", READ),
  METHOD ("Manager", "ListTombstonesPage", READ),
  METHOD ("Manager", "ListDevices", READ),
  METHOD ("Manager", "ListAreas", READ),
  METHOD ("Manager", "ListJobs", READ),
  METHOD ("Manager", "GetJob", READ),
  /* where the punches go, and a secret (docs/CENTRAL.md) */
  METHOD ("Manager", "SetCentralDatabase", BSD_ACTION_CONFIGURE),
  /* push terminals (docs/PUSH.md) */
  METHOD ("Manager", "ListPendingDevices", READ),
  METHOD ("Manager", "AcceptDevice", BSD_ACTION_MANAGE),
  METHOD ("Manager", "RefuseDevice", BSD_ACTION_MANAGE),
  SETTING ("PushEnabled"),
  SETTING ("PushAddress"),
  SETTING ("PushPort"),
  SETTING ("AutoSync"),
  SETTING ("SyncInterval"),
  SETTING ("MaxParallelDevices"),
  SETTING ("LogInterval"),
  SETTING ("ClockThreshold"),
  SETTING ("SiteName"),
  SETTING ("CentralTemplates"),
  /* clearing terminal logs loses the only copy when something goes wrong */
  { BSD_POLICY_PROPERTY, "Manager", "ClearLogsAfterDownload", BSD_ACTION_CONFIGURE,
    BSD_ACTION_DESTRUCTIVE },
  METHOD ("Device", "Sync", BSD_ACTION_SYNC),
  METHOD ("Device", "RefreshLogs", BSD_ACTION_SYNC),
  METHOD ("Device", "SetTime", BSD_ACTION_MANAGE),
  METHOD ("Area", "Sync", BSD_ACTION_SYNC),
  CANCEL ("auto-sync", BSD_ACTION_SYNC),
  CANCEL ("sync-all", BSD_ACTION_SYNC),
  CANCEL ("sync-area", BSD_ACTION_SYNC),
  CANCEL ("sync-device", BSD_ACTION_SYNC),
  CANCEL ("sync-templates", BSD_ACTION_SYNC),
  CANCEL ("refresh-logs", BSD_ACTION_SYNC),
  CANCEL ("balance", BSD_ACTION_SYNC),
  CANCEL ("preview", BSD_ACTION_SYNC),
  CANCEL ("delete-user", BSD_ACTION_DESTRUCTIVE),
  CANCEL ("update-user", BSD_ACTION_MANAGE),
  CANCEL ("set-time", BSD_ACTION_MANAGE),
  CANCEL ("import-users", BSD_ACTION_MANAGE),
};

static const BsdPolicyRule *
find_rule (BsdPolicyKind kind, const char *interface, const char *member)
{
  gsize prefix = strlen (BSD_POLICY_INTERFACE_PREFIX);

  if (interface == NULL || member == NULL
      || strncmp (interface, BSD_POLICY_INTERFACE_PREFIX, prefix) != 0)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    if (rules[i].kind == kind && strcmp (rules[i].interface, interface + prefix) == 0
        && strcmp (rules[i].member, member) == 0)
      return &rules[i];
  return NULL;
}

const BsdPolicyRule *
bsd_policy_for_method (const char *interface, const char *method)
{
  return find_rule (BSD_POLICY_METHOD, interface, method);
}

const BsdPolicyRule *
bsd_policy_for_property (const char *interface, const char *property)
{
  return find_rule (BSD_POLICY_PROPERTY, interface, property);
}

const BsdPolicyRule *
bsd_policy_for_cancel (BsdOpKind kind)
{
  return find_rule (BSD_POLICY_CANCEL, BSD_POLICY_INTERFACE_PREFIX "Job",
                    bsd_op_kind_to_string (kind));
}

gboolean
bsd_policy_for_call (GDBusMethodInvocation *invocation, const char **action)
{
  const char *interface = g_dbus_method_invocation_get_interface_name (invocation);
  const char *method = g_dbus_method_invocation_get_method_name (invocation);
  GVariant *parameters = g_dbus_method_invocation_get_parameters (invocation);
  const BsdPolicyRule *rule;
  g_autoptr (GVariant) value = NULL;

  *action = NULL;
  if (g_strcmp0 (interface, "org.freedesktop.DBus.Properties") == 0
      && g_strcmp0 (method, "Set") == 0
      && g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ssv)")))
    {
      const char *target, *property;

      g_variant_get (parameters, "(&s&sv)", &target, &property, &value);
      rule = bsd_policy_for_property (target, property);
    }
  else if (g_strcmp0 (interface, BSD_POLICY_INTERFACE_PREFIX "Job") == 0)
    rule = NULL;
  else
    rule = bsd_policy_for_method (interface, method);
  if (rule == NULL)
    return FALSE;
  *action = bsd_policy_rule_action (rule, value);
  return TRUE;
}

const char *
bsd_policy_rule_action (const BsdPolicyRule *rule, GVariant *value)
{
  if (rule->enabling && value && g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN)
      && g_variant_get_boolean (value))
    return rule->enabling;
  return rule->action;
}

const BsdPolicyRule *
bsd_policy_get_rules (guint *n_rules)
{
  *n_rules = G_N_ELEMENTS (rules);
  return rules;
}
