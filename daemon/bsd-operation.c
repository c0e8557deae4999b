/* bsd-operation.c — what a job does: its kind, its target, its edit
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-operation.h"

#include <string.h>

static const char *const op_names[] = {
  [BSD_OP_AUTO_SYNC] = "auto-sync",
  [BSD_OP_SYNC_ALL] = "sync-all",
  [BSD_OP_SYNC_AREA] = "sync-area",
  [BSD_OP_SYNC_DEVICE] = "sync-device",
  [BSD_OP_SYNC_TEMPLATES] = "sync-templates",
  [BSD_OP_REFRESH_LOGS] = "refresh-logs",
  [BSD_OP_BALANCE] = "balance",
  [BSD_OP_PREVIEW] = "preview",
  [BSD_OP_DELETE_USER] = "delete-user",
  [BSD_OP_UPDATE_USER] = "update-user",
  [BSD_OP_SET_TIME] = "set-time",
  [BSD_OP_IMPORT_USERS] = "import-users",
};
G_STATIC_ASSERT (G_N_ELEMENTS (op_names) == BSD_OP_N_KINDS);

const char *
bsd_op_kind_to_string (BsdOpKind kind)
{
  if ((guint)kind < G_N_ELEMENTS (op_names))
    return op_names[kind];
  return "unknown";
}

gboolean
bsd_op_kind_from_string (const char *text, BsdOpKind *kind)
{
  guint i;

  for (i = 0; text && i < G_N_ELEMENTS (op_names); i++)
    if (g_strcmp0 (op_names[i], text) == 0)
      {
        *kind = (BsdOpKind)i;
        return TRUE;
      }
  return FALSE;
}

BsdOperation *
bsd_operation_new (BsdOpKind kind)
{
  BsdOperation *op = g_new0 (BsdOperation, 1);

  op->kind = kind;
  op->requested_by_uid = -1;
  return op;
}

BsdOperation *
bsd_operation_copy (const BsdOperation *op)
{
  BsdOperation *copy = g_memdup2 (op, sizeof *op);

  copy->pin = g_strdup (op->pin);
  copy->name = g_strdup (op->name);
  copy->password = g_strdup (op->password);
  copy->trigger = g_strdup (op->trigger);
  return copy;
}

void
bsd_operation_free (BsdOperation *op)
{
  if (op == NULL)
    return;
  g_free (op->pin);
  g_free (op->name);
  g_free (op->password);
  g_free (op->trigger);
  g_free (op);
}

char *
bsd_operation_target (const BsdOperation *op)
{
  switch (op->kind)
    {
    case BSD_OP_SYNC_AREA:
    case BSD_OP_PREVIEW:
      return g_strdup_printf ("area:%u", op->area_id);
    case BSD_OP_SYNC_DEVICE:
      return g_strdup_printf ("device:%u", op->device_id);
    case BSD_OP_REFRESH_LOGS:
    case BSD_OP_SET_TIME:
      return op->device_id ? g_strdup_printf ("device:%u", op->device_id) : g_strdup ("all");
    case BSD_OP_DELETE_USER:
    case BSD_OP_UPDATE_USER:
      return g_strdup_printf ("pin:%s", op->pin ? op->pin : "");
    case BSD_OP_AUTO_SYNC:
    case BSD_OP_SYNC_ALL:
    case BSD_OP_SYNC_TEMPLATES:
    case BSD_OP_BALANCE:
    case BSD_OP_IMPORT_USERS:
    default:
      return g_strdup ("all");
    }
}

gboolean
bsd_operation_equal (const BsdOperation *a, const BsdOperation *b)
{
  g_autofree char *ta = bsd_operation_target (a);
  g_autofree char *tb = bsd_operation_target (b);

  if (a->kind != b->kind || strcmp (ta, tb) != 0)
    return FALSE;
  if (a->kind == BSD_OP_UPDATE_USER)
    return g_strcmp0 (a->name, b->name) == 0 && g_strcmp0 (a->password, b->password) == 0
           && a->has_privilege == b->has_privilege && a->privilege == b->privilege
           && a->has_card == b->has_card && a->card == b->card;
  return TRUE;
}
