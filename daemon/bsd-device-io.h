/* bsd-device-io.h — what a worker thread does with one terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Blocking functions for the engine's worker threads, every sequence of
 * requests a job sends to a terminal: open a session with retries, read a
 * snapshot, apply a device plan (always leaving the device enabled) and
 * verify it by reading back (bsd-device-io-apply.c), delete or update one
 * PIN, set the clock, collect and clear the attendance log
 * (bsd-device-io-logs.c). Nothing here touches the database or exported
 * objects; results go back to the main thread as plain data.
 */
#pragma once

#include <gio/gio.h>

#include "bsd-plan.h"
#include "bsd-store.h"
#include "zk-client.h"

G_BEGIN_DECLS

/* how to reach one device; owned strings */
typedef struct
{
  guint device_id;
  char *name;
  char *address;
  guint16 port;
  ZkTransport transport;
  guint32 comm_key;
  guint timeout_ms;
  char *time_zone; /* NULL = the system zone */
} BsdEndpoint;

BsdEndpoint *bsd_endpoint_new (guint device_id,
                               const char *name,
                               const char *address,
                               guint16 port,
                               const char *protocol,
                               guint32 comm_key,
                               guint timeout_ms,
                               const char *time_zone);
void bsd_endpoint_free (BsdEndpoint *endpoint);
/* the device's zone (never NULL; the local zone for NULL or an unknown id) */
GTimeZone *bsd_endpoint_get_time_zone (const BsdEndpoint *endpoint);

typedef struct
{
  guint attempts;   /* connection attempts, ≥ 1 */
  guint backoff_ms; /* wait before the second attempt, doubled after each */
} BsdRetryPolicy;

/* connects, retrying timeouts, refusals and closed connections with
 * backoff, all of it within the time the attempts and backoffs add up to;
 * a wrong comm key or a protocol error is final at once. A @read_only
 * session refuses every request that would change the terminal before it
 * is sent (zk_client_set_read_only()) */
ZkClient *bsd_device_io_open (const BsdEndpoint *endpoint,
                              const BsdRetryPolicy *retry,
                              gboolean read_only,
                              GCancellable *cancellable,
                              GError **error);
/* EXIT and close, waiting a second at most and not at all once
 * @cancellable fired; errors are ignored (the device frees the session itself) */
void bsd_device_io_close (ZkClient *client, GCancellable *cancellable);

/* what one contact learnt besides the tables */
/* A terminal disabled for writing, and the caller's record of it: the
 * record is committed before DISABLEDEVICE goes out, so that whatever
 * happens next (a crash, a kill, a broken session) the next start knows
 * to re-enable the terminal; it is forgotten once ENABLEDEVICE succeeded.
 * The only way this daemon disables a terminal. */
typedef struct
{
  gboolean (*record) (gpointer data, GError **error);
  void (*forget) (gpointer data);
  gpointer data;
  guint timeout_s; /* the terminal re-enables itself after this (0 = never) */
  /* where the terminal was left */
  gboolean recorded;
  gboolean disabled;      /* DISABLEDEVICE succeeded */
  gboolean enabled_again; /* ENABLEDEVICE succeeded after it */
} BsdHold;

/* record, then disable; FALSE (nothing sent) when the record failed */
gboolean
bsd_device_io_hold (ZkClient *client, BsdHold *hold, GCancellable *cancellable, GError **error);
/* refresh the data and enable, on every path (no cancellable, a short
 * deadline of its own), then forget the record; nothing when nothing was
 * recorded. FALSE when the terminal may still be disabled */
gboolean bsd_device_io_release (ZkClient *client,
                                const BsdEndpoint *endpoint,
                                BsdHold *hold,
                                GError **error);
/* the hold ended with the terminal possibly disabled */
gboolean bsd_hold_left_disabled (const BsdHold *hold);

typedef struct
{
  ZkDeviceInfo info;
  gboolean have_clock;
  ZkTime device_time;
  gint64 clock_offset; /* seconds, device minus us, in the device's zone */
} BsdContact;

void bsd_contact_clear (BsdContact *contact);

gboolean bsd_device_io_probe (ZkClient *client,
                              const BsdEndpoint *endpoint,
                              BsdContact *contact,
                              GCancellable *cancellable,
                              GError **error);

typedef enum
{
  BSD_READ_USERS = 1 << 0,
  BSD_READ_FINGERS = 1 << 1,
  BSD_READ_FACES = 1 << 2, /* only read on face-capable devices */
  BSD_READ_ALL = 0x7,
} BsdReadFlags;

/* what a device reports about its tables holds together (no count far
 * beyond its capacity, no more users than a terminal has slots); sets the
 * client's read limits from the same numbers, so that no table larger
 * than they allow is read. The error names the device and the numbers. */
gboolean bsd_device_io_trust_sizes (ZkClient *client,
                                    const BsdEndpoint *endpoint,
                                    const ZkSizes *sizes,
                                    GError **error);

/* GET_FREE_SIZES, then bsd_device_io_trust_sizes(): from now on no table
 * larger than what the terminal itself reports is read */
gboolean bsd_device_io_read_sizes (ZkClient *client,
                                   const BsdEndpoint *endpoint,
                                   ZkSizes *sizes,
                                   GCancellable *cancellable,
                                   GError **error);

/* the user table for a job about one PIN (delete, update): within the read
 * limits of the terminal's own sizes (bsd_device_io_read_sizes()), read
 * again each time so that they follow its counts */
GPtrArray *bsd_device_io_read_users (ZkClient *client,
                                     const BsdEndpoint *endpoint,
                                     GCancellable *cancellable,
                                     GError **error);

/* reads the tables of @flags into a snapshot (device id, capabilities and
 * counts from @contact), after bsd_device_io_trust_sizes() on the
 * contact's sizes; warnings get one line per reason records were skipped */
BsdSnapshot *bsd_device_io_read_snapshot (ZkClient *client,
                                          const BsdEndpoint *endpoint,
                                          const BsdContact *contact,
                                          BsdReadFlags flags,
                                          GPtrArray *warnings,
                                          GCancellable *cancellable,
                                          GError **error);

/* one planned item that did not make it */
typedef struct
{
  BsdPlanItemKind kind;
  char *pin;
  gint index;   /* finger/face, -1 for users */
  char *action; /* "add", "update", "delete" */
  char *reason;
} BsdItemFailure;

void bsd_item_failure_free (BsdItemFailure *failure);

/* requests and bytes of one stretch of a session (ZkClientStats apart) */
typedef struct
{
  guint64 requests; /* round trips, re-sends included */
  guint64 bytes_out;
  guint64 bytes_in;
  gint64 started_us; /* monotonic: when the first stretch began (0 = none yet) */
  gint64 ended_us;   /* … and the last one ended */
} BsdTraffic;

/* the counters now, to pass to bsd_traffic_since() later */
void bsd_traffic_mark (ZkClient *client, BsdTraffic *mark);
/* adds what @client moved since @mark to @sum */
void bsd_traffic_since (ZkClient *client, const BsdTraffic *mark, BsdTraffic *sum);

/* how the fingerprint templates a plan wrote were checked */
typedef enum
{
  BSD_VERIFY_NONE,   /* no template was written (users and faces are always read back) */
  BSD_VERIFY_COUNTS, /* the device's count is what the plan expects, every owner is there */
  BSD_VERIFY_FULL,   /* the template table was read back and compared item by item */
} BsdVerifyMode;

const char *bsd_verify_mode_to_string (BsdVerifyMode mode);

/* what the read-back may lean on */
typedef struct
{
  const BsdSnapshot *before; /* the tables as read before the writes; NULL = read back fully */
  gboolean lied_before;      /* the device kept less than it acknowledged once: read back fully */
} BsdVerifyBasis;

typedef struct
{
  guint users_added;
  guint users_updated;
  guint users_deleted;
  guint templates_added;
  guint faces_added;
  GPtrArray *failures;     /* BsdItemFailure* (write refused, or not found on read-back) */
  GPtrArray *deleted_pins; /* char*: deletions confirmed by read-back */
  BsdSnapshot *after;      /* the read-back, or NULL when it failed */
  gboolean cancelled;      /* stopped at a safe point */
  BsdVerifyMode verify;    /* how the templates were checked */
  const char *verify_why;  /* why they were read back in full (static), or NULL */
  guint lies;              /* items acknowledged but not (as written) on the device */
  BsdTraffic write;        /* the writes (hold … release) */
  BsdTraffic check;        /* the read-back */
} BsdApplyResult;

void bsd_apply_result_init (BsdApplyResult *result);
void bsd_apply_result_clear (BsdApplyResult *result);

/* how far a worker is within a phase: @done of @total items of @what
 * ("deletions", "users", "fingerprints", "faces") are
 * through; called in the worker after each item or batch */
typedef struct
{
  void (*func) (const char *what, guint done, guint total, gpointer data);
  gpointer data;
} BsdItems;

/* what bsd_device_io_apply () writes to one device, and what it leans on */
typedef struct
{
  const BsdContact *contact; /* what the session learnt of the device */
  const BsdDevicePlan *plan;
  BsdVerifyBasis basis;
  BsdItems items; /* progress; func NULL = not told */
  BsdHold *hold;  /* the session's hold, released on every path */
} BsdApplyRequest;

/* hold (record + disable) → deletes → users → templates → faces →
 * release (refresh + enable), then read back and verify every planned
 * item (a plan the preflight failed holds deletions only). The device is
 * re-enabled on every path. Returns FALSE only when the device could not
 * be worked on at all (the session broke, cancel before the first write);
 * item failures are in @result.
 *
 * The read-back is cheap where it can be: users (and faces) are always
 * read back and compared item by item; the template table, the bulk of a
 * device, only when the device's fingerprint count after the writes is
 * not exactly what @request->basis.before and the plan make it, a user
 * write or deletion did not hold, a write was refused, or the device lied
 * before (@request->basis). Otherwise the templates are taken as written
 * (BSD_VERIFY_COUNTS). */
gboolean bsd_device_io_apply (ZkClient *client,
                              const BsdEndpoint *endpoint,
                              const BsdApplyRequest *request,
                              BsdApplyResult *result,
                              GCancellable *cancellable,
                              GError **error);

/* one planned item that did not make it, into @result */
void bsd_apply_result_add_failure (BsdApplyResult *result,
                                   BsdPlanItemKind kind,
                                   const char *pin,
                                   gint index,
                                   const char *action,
                                   const char *reason);
/* compares every planned item with @after, a full read-back of the
 * device (users, templates and faces), as bsd_device_io_apply() does */
void
bsd_device_io_verify (const BsdDevicePlan *plan, BsdApplyResult *result, const BsdSnapshot *after);

/* sets the device clock to now in its zone */
gboolean bsd_device_io_set_time (ZkClient *client,
                                 const BsdEndpoint *endpoint,
                                 GCancellable *cancellable,
                                 GError **error);

/* what a job about one PIN found and left on a terminal */
typedef struct
{
  gboolean was_present; /* the PIN was on the terminal */
  GPtrArray *users;     /* ZkUser*: the user table as read last (after the change, or
                         * before when there was nothing to change); NULL when unread */
} BsdPinChange;

void bsd_pin_change_clear (BsdPinChange *change);

/* hold (record + disable) → delete the PIN's slot → release → read back;
 * TRUE when the PIN is not on the terminal (also when it never was) */
gboolean bsd_device_io_delete_pin (ZkClient *client,
                                   const BsdEndpoint *endpoint,
                                   const char *pin,
                                   BsdHold *hold,
                                   BsdPinChange *change,
                                   GCancellable *cancellable,
                                   GError **error);
/* writes @want (its user_id the PIN) into the slot that holds the PIN,
 * keeping the terminal's slot and access time zones, then reads back;
 * TRUE when the terminal holds the record (or does not hold the PIN) */
gboolean bsd_device_io_update_pin (ZkClient *client,
                                   const BsdEndpoint *endpoint,
                                   const ZkUser *want,
                                   BsdPinChange *change,
                                   GCancellable *cancellable,
                                   GError **error);

/* what one collection of a device's attendance log brought */
typedef struct
{
  GPtrArray *records; /* ZkAttendance*, in log order: the whole log, or (tail) the records
                       * after the newest one already collected; NULL when unchanged */
  gboolean tail;
  gboolean unchanged;    /* same count and the same newest record: nothing to read */
  guint log_count;       /* records in the device's log when it was read */
  gboolean complete;     /* with what was collected before, every record of the log is
                          * in @records (nothing skipped): the log may be cleared */
  const char *why_full;  /* why the whole log was read; NULL for tail and unchanged */
  BsdRangedReads ranged; /* the verdict on ranged reads after this collection */
  gboolean ranged_changed;
  char *ranged_note; /* what changed the verdict, or NULL */
} BsdLogRead;

void bsd_log_read_clear (BsdLogRead *read);
/* the log's newest record after @read (borrowed from @read->records), or
 * NULL when it is not known */
const ZkAttendance *bsd_log_read_get_newest (const BsdLogRead *read);

/* Collects what is new in the log of a device that reports @records
 * records (-1 = it cannot tell). "Nothing new" and "only the end is new"
 * are decided only from @records together with the natural key of the
 * newest record of the last collection (@mark, NULL = never collected),
 * read with a ranged read, and only while @ranged is
 * BSD_RANGED_READS_TRUSTED; in every other case (first collection, the log
 * shrank, its newest record changed, ranged reads not trusted) the whole
 * log is read. A ranged read that is refused, or disagrees with the full
 * read of the same device, makes ranged reads untrusted; while they are
 * unknown, one is tried after a full read and compared with it. FALSE
 * with @error only when the log could not be read at all. */
gboolean bsd_device_io_read_logs (ZkClient *client,
                                  const BsdLogWatermark *mark,
                                  BsdRangedReads ranged,
                                  gint records,
                                  BsdLogRead *read,
                                  GPtrArray *warnings,
                                  GCancellable *cancellable,
                                  GError **error);

/* Clears the log of the terminal whose @log_count records, read under
 * @serial, are committed: only when this session's terminal still says
 * ~SerialNumber @serial (else FALSE with an error naming both serials:
 * another terminal answers at the address), disabled (hold … release),
 * and only while it still holds exactly @log_count records — a punch
 * since keeps the log (*@cleared FALSE, no error). FALSE with @error when
 * the session failed. */
gboolean bsd_device_io_clear_logs (ZkClient *client,
                                   const BsdEndpoint *endpoint,
                                   const char *serial,
                                   guint log_count,
                                   BsdHold *hold,
                                   gboolean *cleared,
                                   GCancellable *cancellable,
                                   GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdEndpoint, bsd_endpoint_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdItemFailure, bsd_item_failure_free)

G_END_DECLS
