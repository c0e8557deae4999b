/* test-policy.c — the policy table against the API: every call has a rule, nothing else does
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-policy.h"

#include <string.h>

static const char *const actions[]
    = { BSD_ACTION_SYNC, BSD_ACTION_MANAGE, BSD_ACTION_CONFIGURE, BSD_ACTION_DESTRUCTIVE };

static GDBusNodeInfo *
load_api (void)
{
  g_autofree char *xml = NULL;
  g_autoptr (GError) error = NULL;
  GDBusNodeInfo *node;

  g_file_get_contents (API_XML, &xml, NULL, &error);
  g_assert_no_error (error);
  node = g_dbus_node_info_new_for_xml (xml, &error);
  g_assert_no_error (error);
  return node;
}

static gboolean
is_action (const char *action)
{
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    if (g_strcmp0 (action, actions[i]) == 0)
      return TRUE;
  return FALSE;
}

/* reads of personal data: they need org.biosync.manage all the same */
static gboolean
is_personal_read (const char *method)
{
  return g_str_equal (method, "ListAttendance") || g_str_equal (method, "WatchPunches");
}

/* ends something of the caller's own: harmless, like a read */
static gboolean
is_own_undo (const char *method)
{
  return g_str_equal (method, "UnwatchPunches");
}

/* a method that only reads: its name says so */
static gboolean
is_read (const char *method)
{
  return (g_str_has_prefix (method, "List") || g_str_has_prefix (method, "Get")
          || is_own_undo (method))
         && !is_personal_read (method);
}

/* every method and writable property of the XML has a rule; reads, and
 * only reads, need no action; every kind of job has a cancel rule */
static void
test_api_covered (void)
{
  g_autoptr (GDBusNodeInfo) node = load_api ();
  guint n_interfaces = 0;

  for (guint i = 0; node->interfaces[i]; i++)
    {
      GDBusInterfaceInfo *iface = node->interfaces[i];
      gboolean job = g_str_equal (iface->name, BSD_POLICY_INTERFACE_PREFIX "Job");

      if (!g_str_has_prefix (iface->name, BSD_POLICY_INTERFACE_PREFIX))
        continue;
      n_interfaces++;
      for (guint m = 0; iface->methods && iface->methods[m]; m++)
        {
          const char *name = iface->methods[m]->name;
          const BsdPolicyRule *rule = bsd_policy_for_method (iface->name, name);

          if (job && g_str_equal (name, "Cancel"))
            continue;
          if (rule == NULL)
            g_error ("%s.%s has no rule", iface->name, name);
          if (is_personal_read (name))
            g_assert_cmpstr (rule->action, ==, BSD_ACTION_MANAGE);
          else if (is_read (name))
            g_assert_null (rule->action);
          else if (!is_action (rule->action))
            g_error ("%s.%s needs no known action", iface->name, name);
        }
      for (guint p = 0; iface->properties && iface->properties[p]; p++)
        {
          GDBusPropertyInfo *prop = iface->properties[p];
          const BsdPolicyRule *rule = bsd_policy_for_property (iface->name, prop->name);
          gboolean writable = (prop->flags & G_DBUS_PROPERTY_INFO_FLAGS_WRITABLE) != 0;

          if (writable != (rule != NULL))
            g_error ("%s.%s: %s, but %s rule", iface->name, prop->name,
                     writable ? "writable" : "read-only", rule ? "a" : "no");
          if (rule)
            g_assert_true (is_action (rule->action));
        }
    }
  g_assert_cmpuint (n_interfaces, ==, 4);
  for (guint k = 0; k < BSD_OP_N_KINDS; k++)
    {
      const BsdPolicyRule *rule = bsd_policy_for_cancel (k);

      g_assert_nonnull (rule);
      g_assert_true (is_action (rule->action));
    }
}

/* no rule names a member the API does not have (a renamed method would
 * otherwise lose its rule and be denied) */
static void
test_no_stale_rules (void)
{
  g_autoptr (GDBusNodeInfo) node = load_api ();
  const BsdPolicyRule *rules;
  guint n;

  rules = bsd_policy_get_rules (&n);
  g_assert_cmpuint (n, >, 0);
  for (guint i = 0; i < n; i++)
    {
      const BsdPolicyRule *r = &rules[i];
      g_autofree char *name = g_strconcat (BSD_POLICY_INTERFACE_PREFIX, r->interface, NULL);
      GDBusInterfaceInfo *iface = g_dbus_node_info_lookup_interface (node, name);
      BsdOpKind kind;

      g_assert_nonnull (iface);
      switch (r->kind)
        {
        case BSD_POLICY_METHOD:
          if (g_dbus_interface_info_lookup_method (iface, r->member) == NULL)
            g_error ("rule for %s.%s: no such method", name, r->member);
          break;
        case BSD_POLICY_PROPERTY:
          {
            GDBusPropertyInfo *prop = g_dbus_interface_info_lookup_property (iface, r->member);

            if (prop == NULL || !(prop->flags & G_DBUS_PROPERTY_INFO_FLAGS_WRITABLE))
              g_error ("rule for %s.%s: no such writable property", name, r->member);
          }
          break;
        case BSD_POLICY_CANCEL:
        default:
          g_assert_nonnull (g_dbus_interface_info_lookup_method (iface, "Cancel"));
          g_assert_true (bsd_op_kind_from_string (r->member, &kind));
          break;
        }
    }
}

/* what the table does not name is denied */
static void
test_unknown_denied (void)
{
  g_assert_null (bsd_policy_for_method (BSD_POLICY_INTERFACE_PREFIX "Manager", "Frobnicate"));
  g_assert_null (bsd_policy_for_method (BSD_POLICY_INTERFACE_PREFIX "Nothing", "SyncAll"));
  g_assert_null (bsd_policy_for_method ("org.freedesktop.DBus.Peer", "Ping"));
  g_assert_null (bsd_policy_for_method ("org.biosync.BioSync1Manager", "SyncAll"));
  g_assert_null (bsd_policy_for_method (NULL, "SyncAll"));
  g_assert_null (bsd_policy_for_method (BSD_POLICY_INTERFACE_PREFIX "Manager", NULL));
  /* Job.Cancel is decided by the job's kind, never as a plain method */
  g_assert_null (bsd_policy_for_method (BSD_POLICY_INTERFACE_PREFIX "Job", "Cancel"));
  g_assert_null (bsd_policy_for_property (BSD_POLICY_INTERFACE_PREFIX "Manager", "Version"));
  g_assert_null (bsd_policy_for_property (BSD_POLICY_INTERFACE_PREFIX "Device", "Name"));
  g_assert_null (bsd_policy_for_property (BSD_POLICY_INTERFACE_PREFIX "Manager", "Nothing"));
  /* a method is no property, nor the other way round */
  g_assert_null (bsd_policy_for_property (BSD_POLICY_INTERFACE_PREFIX "Manager", "SyncAll"));
  g_assert_null (bsd_policy_for_method (BSD_POLICY_INTERFACE_PREFIX "Manager", "AutoSync"));
  g_assert_null (bsd_policy_for_cancel (BSD_OP_N_KINDS));
}

/* the actions that matter most, spelled out */
static void
test_actions (void)
{
  const char *manager = BSD_POLICY_INTERFACE_PREFIX "Manager";
  const BsdPolicyRule *clear = bsd_policy_for_property (manager, "ClearLogsAfterDownload");
  g_autoptr (GVariant) on = g_variant_ref_sink (g_variant_new_boolean (TRUE));
  g_autoptr (GVariant) off = g_variant_ref_sink (g_variant_new_boolean (FALSE));

  g_assert_cmpstr (bsd_policy_for_method (manager, "DeleteUser")->action, ==,
                   BSD_ACTION_DESTRUCTIVE);
  g_assert_cmpstr (bsd_policy_for_method (manager, "AllowUser")->action, ==,
                   BSD_ACTION_DESTRUCTIVE);
  g_assert_cmpstr (bsd_policy_for_method (manager, "ExportAttendance")->action, ==,
                   BSD_ACTION_MANAGE);
  g_assert_cmpstr (bsd_policy_for_method (manager, "SyncArea")->action, ==, BSD_ACTION_SYNC);
  g_assert_cmpstr (bsd_policy_for_method (BSD_POLICY_INTERFACE_PREFIX "Device", "SetTime")->action,
                   ==, BSD_ACTION_MANAGE);
  g_assert_cmpstr (bsd_policy_for_cancel (BSD_OP_DELETE_USER)->action, ==, BSD_ACTION_DESTRUCTIVE);
  g_assert_cmpstr (bsd_policy_for_cancel (BSD_OP_AUTO_SYNC)->action, ==, BSD_ACTION_SYNC);
  /* clearing terminal logs loses the only copy when something goes wrong */
  g_assert_cmpstr (bsd_policy_rule_action (clear, on), ==, BSD_ACTION_DESTRUCTIVE);
  g_assert_cmpstr (bsd_policy_rule_action (clear, off), ==, BSD_ACTION_CONFIGURE);
}

/* the policy file declares every action the table asks for */
static void
test_policy_file (void)
{
  g_autofree char *policy = NULL;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (POLICY_IN, &policy, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    {
      g_autofree char *id = g_strdup_printf ("id=\"%s\"", actions[i]);

      if (strstr (policy, id) == NULL)
        g_error ("%s is not declared in %s", actions[i], POLICY_IN);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/daemon/policy/api-covered", test_api_covered);
  g_test_add_func ("/daemon/policy/no-stale-rules", test_no_stale_rules);
  g_test_add_func ("/daemon/policy/unknown-denied", test_unknown_denied);
  g_test_add_func ("/daemon/policy/actions", test_actions);
  g_test_add_func ("/daemon/policy/policy-file", test_policy_file);
  return g_test_run ();
}
