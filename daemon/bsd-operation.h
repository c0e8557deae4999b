/* bsd-operation.h — what a job does: its kind, its target, its edit
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A plain value passed from the D-Bus handlers through the job queue to
 * the engine; two requests for equal operations share one job.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  BSD_OP_AUTO_SYNC,      /* what the scheduler runs: like SYNC_ALL */
  BSD_OP_SYNC_ALL,       /* areas → area sync; devices without area → individual sync */
  BSD_OP_SYNC_AREA,      /* area_id */
  BSD_OP_SYNC_DEVICE,    /* device_id: its area's sync, or its individual sync */
  BSD_OP_SYNC_TEMPLATES, /* area sync of every area */
  BSD_OP_REFRESH_LOGS,   /* device_id, 0 = every enabled device */
  BSD_OP_BALANCE,        /* area sync of every area with gap reports */
  BSD_OP_PREVIEW,        /* area_id: the plan only */
  BSD_OP_DELETE_USER,    /* pin */
  BSD_OP_UPDATE_USER,    /* pin + edit */
  BSD_OP_SET_TIME,       /* device_id, 0 = every enabled device */
  BSD_OP_IMPORT_USERS,   /* central edits stored before it runs: like SYNC_ALL */
} BsdOpKind;

#define BSD_OP_N_KINDS (BSD_OP_IMPORT_USERS + 1)

const char *bsd_op_kind_to_string (BsdOpKind kind);
gboolean bsd_op_kind_from_string (const char *text, BsdOpKind *kind);

typedef struct
{
  BsdOpKind kind;
  guint area_id;
  guint device_id;
  char *pin;
  /* update-user: NULL strings / FALSE has_* leave a field alone */
  char *name;
  char *password;
  gboolean has_privilege;
  guint8 privilege;
  gboolean has_card;
  guint32 card;
  /* the job_executions row of the job that runs it (0 = none: tests and
   * tools that run the engine without a job) */
  gint64 job_id;
  /* who asked: "scheduler" or "uid:N" */
  char *trigger;
  gint64 requested_by_uid; /* -1 = nobody (scheduler, tests) */
} BsdOperation;

BsdOperation *bsd_operation_new (BsdOpKind kind);
BsdOperation *bsd_operation_copy (const BsdOperation *op);
void bsd_operation_free (BsdOperation *op);
/* "area:3", "device:5", "pin:1001", "all" … */
char *bsd_operation_target (const BsdOperation *op);
/* same kind and target (and edit): a request that can share a job */
gboolean bsd_operation_equal (const BsdOperation *a, const BsdOperation *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdOperation, bsd_operation_free)

G_END_DECLS
