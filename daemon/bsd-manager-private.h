/* bsd-manager-private.h — what the manager's files share (nothing outside them)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bsd-manager.c: the object, authorization, settings, scheduler, life;
 * bsd-manager-jobs.c: the methods that start jobs, Job objects from the
 * queue (bsd-job-queue.c); bsd-manager-objects.c: the Device
 * and Area objects and their edits; bsd-manager-people.c: the roster's
 * methods; bsd-manager-lists.c: the lists and the export (costly pages
 * by the list reader, bsd-list-reader.c).
 */
#pragma once

#include "bsd-manager.h"

#include <gio/gunixfdlist.h>

#include "bsd-authority.h"
#include "bsd-central.h"
#include "bsd-engine.h"
#include "bsd-error.h"
#include "bsd-job-queue.h"
#include "bsd-job.h"
#include "bsd-list-reader.h"
#include "bsd-live.h"
#include "bsd-policy.h"
#include "bsd-push-server.h"
#include "bsd-scheduler.h"

G_BEGIN_DECLS

/* GetJob answers kept for finished jobs: so many, and so many bytes (a
 * report may be MBs, and any local user may ask for any job) */
#define JOB_REPLIES_MAX 64
#define JOB_REPLIES_BYTES (16 * 1024 * 1024)
#define MAX_NAME 256
#define MAX_PIN 24
#define MAX_FILTER 256
/* the most entries one ListUsers or ListJobs answer holds: a reply stays
 * far below the bus' message size limit and is built in milliseconds */
#define LIST_PAGE_MAX 1000
/* per-user limits: one user, however many connections it opens, cannot
 * flood polkit or the daemon's memory, nor hand us huge dictionaries (the
 * queue limits its jobs) */
#define MAX_REQUESTS_PER_UID 32
#define MAX_DICT_ENTRIES 32

struct _BsdManager
{
  BsDBusManagerSkeleton parent_instance;

  GDBusConnection *connection;
  BsdStore *store;
  BsdSessionGate *gate;
  BsdEngine *engine;
  BsdAuthority *authority;
  BsdScheduler *scheduler;
  BsdJob *scheduled[2]; /* by BsdScheduleKind: the job a due run started or joined */
  GDBusObjectManagerServer *object_manager;

  GHashTable *devices;     /* id → BsDBusObjectSkeleton* */
  GVariant *device_list;   /* ListDevices' answer until a device changes */
  GHashTable *job_replies; /* job id → GetJob's answer, for finished jobs */
  gsize job_replies_size;  /* their bytes */
  GHashTable *areas;       /* id → BsDBusObjectSkeleton* */
  BsdJobQueue *jobs;       /* every Job object it keeps is exported */
  GHashTable *requests;    /* uid → calls of that user waiting for polkit or the reader */
  BsdListReader *reader;   /* ListUsers' and ListTombstones' pages, off the main thread */
  BsdPushServer *push;     /* the receiver of push terminals */

  GSourceFunc shutdown_done;
  gpointer shutdown_data;
  GCancellable *recovering; /* the start-up recovery, while it runs */
  gboolean restoring;       /* a Restore replaces the database: no changes meanwhile */
  BsdCentral *central;      /* ships to the central database (bsd-manager-central.c) */
  guint central_lag_tick;   /* keeps CentralLag growing while the shipper is held up */
  BsdLive *live;            /* live punches (bsd-manager-live.c) */
  guint push_check;         /* the timer that notices overdue push terminals */
  GHashTable *watchers;     /* unique bus name → its watch: who receives PunchReceived */
};

/* bsd-manager.c: validation and authorization */
typedef void (*BsdManagerAuthorizedFunc) (BsdManager *self,
                                          GDBusMethodInvocation *invocation,
                                          const char *trigger,
                                          gint64 uid,
                                          gpointer data);

gboolean bsd_manager_check_text (
    GDBusMethodInvocation *invocation, const char *value, const char *what, gsize min, gsize max);
gboolean
bsd_manager_check_dict (GDBusMethodInvocation *invocation, GVariant *dict, const char *what);
gboolean bsd_manager_check_changes (GDBusMethodInvocation *invocation, GVariant *changes);
int bsd_manager_take_fd (GDBusMethodInvocation *invocation,
                         GUnixFDList *fd_list,
                         GVariant *handle,
                         int mode);
/* asks polkit for the action bsd-policy.c names for @invocation (denied
 * when it names none), then runs @func; a read (no action) runs @func at
 * once, which must call bsd_manager_caller_release () once it answered */
void bsd_manager_authorize (BsdManager *self,
                            GDBusMethodInvocation *invocation,
                            BsdManagerAuthorizedFunc func,
                            gpointer data,
                            GDestroyNotify free_data);
/* Job.Cancel of a job of @kind: what starting it needed */
void bsd_manager_authorize_cancel (BsdManager *self,
                                   GDBusMethodInvocation *invocation,
                                   BsdOpKind kind,
                                   BsdManagerAuthorizedFunc func,
                                   gpointer data,
                                   GDestroyNotify free_data);
/* counts a call of @uid in flight; Busy (answered) when it has too many */
gboolean
bsd_manager_caller_admit (BsdManager *self, GDBusMethodInvocation *invocation, guint32 uid);
void bsd_manager_caller_release (BsdManager *self, guint32 uid);
void bsd_manager_maybe_shutdown_done (BsdManager *self);

/* bsd-manager-jobs.c: the methods that start jobs, the queue's Job objects */
void bsd_manager_jobs_init (BsdManager *self);
void bsd_manager_jobs_start (BsdManager *self);
void bsd_manager_connect_object_jobs (BsdManager *self, gpointer object);
BsdJob *bsd_manager_find_pending (BsdManager *self, const BsdOperation *op);
BsdJob *bsd_manager_request_job (BsdManager *self, BsdOperation *op, GError **error);
void
bsd_manager_ask_for_job (BsdManager *self, GDBusMethodInvocation *invocation, BsdOperation *op);
void bsd_manager_keep_job_reply (BsdManager *self, gint64 id, GVariant *reply);
gboolean
bsd_manager_check_area (BsdManager *self, GDBusMethodInvocation *invocation, guint area_id);
gboolean
bsd_manager_check_device (BsdManager *self, GDBusMethodInvocation *invocation, guint device_id);

/* bsd-manager-objects.c: Device and Area objects */
void bsd_manager_objects_init (BsdManager *self);
void bsd_manager_objects_start (BsdManager *self);
void bsd_manager_refresh_objects (BsdManager *self);
/* one Device object from its store row (a push terminal's contact) */
void bsd_manager_refresh_device (BsdManager *self, guint device_id);
void bsd_manager_forget_device_list (BsdManager *self);

/* bsd-manager-people.c */
void bsd_manager_people_init (BsdManager *self);

/* bsd-manager-lists.c: lists, the export */
void bsd_manager_lists_init (BsdManager *self);

/* bsd-manager-push.c: the push receiver, pending terminals */
void bsd_manager_push_init (BsdManager *self);
void bsd_manager_push_start (BsdManager *self);
/* PendingDevices from the store (a removed push device is pending again) */
void bsd_manager_update_pending (BsdManager *self);

/* bsd-manager-backup.c: Backup and Restore */
void bsd_manager_backup_init (BsdManager *self);
/* a method that takes one descriptor: open for @mode, and @authorized
 * gets it as its data (bsd_manager_fd_call_steal () takes it) */
typedef struct
{
  int mode;
  BsdManagerAuthorizedFunc authorized;
} BsdFdMethod;

/* handles @signal ("handle-backup" …) by checking the descriptor, then
 * asking polkit */
void
bsd_manager_connect_fd_method (BsdManager *self, const char *signal, const BsdFdMethod *method);
int bsd_manager_fd_call_steal (gpointer data);

/* bsd-manager-live.c: live punches, WatchPunches and UnwatchPunches */
void bsd_manager_live_init (BsdManager *self);
void bsd_manager_live_start (BsdManager *self);
void bsd_manager_live_reload (BsdManager *self);
void bsd_manager_live_stop (BsdManager *self);
/* PunchReceived: one punch stored live (an event, a push upload), after
 * its row is committed; sent to each watcher alone, never broadcast */
void bsd_manager_emit_punch (BsdManager *self, guint device_id, const BsdStoredPunch *stored);

/* bsd-manager-central.c: the central database's settings and state */
void bsd_manager_central_init (BsdManager *self);
void bsd_manager_central_start (BsdManager *self);
void bsd_manager_central_reload (BsdManager *self);
void bsd_manager_central_stop (BsdManager *self);
/* Properties.Set of SiteName or CentralTemplates: FALSE for another property */
gboolean bsd_manager_central_set_property (BsdManager *self,
                                           GDBusMethodInvocation *invocation,
                                           const char *property,
                                           GVariant *value);
/* bsd-manager.c: settings, schedule and objects read again from the store */
void bsd_manager_reload (BsdManager *self);

G_END_DECLS
