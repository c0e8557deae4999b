/* bsd-policy.h — which polkit action each call needs: one table, deny by default
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every method of the API, every writable property and the cancel of
 * every kind of job has one row in bsd-policy.c; a call the table does
 * not name is refused before anything else looks at it. Reads name no
 * action: anyone may make them (they are still counted per user).
 */
#pragma once

#include <gio/gio.h>

#include "bsd-operation.h"

G_BEGIN_DECLS

/* the actions of data/org.biosync.BioSync1.policy */
#define BSD_ACTION_SYNC "org.biosync.sync"
#define BSD_ACTION_MANAGE "org.biosync.manage"
#define BSD_ACTION_CONFIGURE "org.biosync.configure"
#define BSD_ACTION_DESTRUCTIVE "org.biosync.destructive"

#define BSD_POLICY_INTERFACE_PREFIX "org.biosync.BioSync1."

typedef enum
{
  BSD_POLICY_METHOD,   /* a method call */
  BSD_POLICY_PROPERTY, /* Properties.Set of a writable property */
  BSD_POLICY_CANCEL,   /* Job.Cancel of a job of one kind */
} BsdPolicyKind;

typedef struct
{
  BsdPolicyKind kind;
  const char *interface; /* without BSD_POLICY_INTERFACE_PREFIX: "Manager", "Device" … */
  const char *member;    /* method or property; for BSD_POLICY_CANCEL the job kind */
  const char *action;    /* NULL: a read, no authorization */
  const char *enabling;  /* a boolean property set to true needs this action instead */
} BsdPolicyRule;

/* the rule for calling @method of @interface (a full D-Bus name), or NULL:
 * the call is denied */
const BsdPolicyRule *bsd_policy_for_method (const char *interface, const char *method);
/* the rule for setting @property of @interface, or NULL: not writable */
const BsdPolicyRule *bsd_policy_for_property (const char *interface, const char *property);
/* the rule for Job.Cancel of a job of @kind: what starting it needed */
const BsdPolicyRule *bsd_policy_for_cancel (BsdOpKind kind);

/* the action @invocation needs by the table: a method of the API, or
 * Properties.Set of a writable property (the value it sets decides an
 * "enabling" rule); *@action NULL for a read. FALSE when the table names
 * no such call: it is denied. Job.Cancel is not decided here (the job's
 * kind decides: bsd_policy_for_cancel ()). */
gboolean bsd_policy_for_call (GDBusMethodInvocation *invocation, const char **action);

/* the action a rule asks for (@value: what a property is set to, else
 * NULL); NULL for a read */
const char *bsd_policy_rule_action (const BsdPolicyRule *rule, GVariant *value);

/* the whole table, for tests and documentation */
const BsdPolicyRule *bsd_policy_get_rules (guint *n_rules);

G_END_DECLS
