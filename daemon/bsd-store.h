/* bsd-store.h — the daemon's sqlite database
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * BsdStore owns one sqlite connection. It is used from the main thread
 * only: the daemon's main thread owns the store, workers hand their
 * results back with g_main_context_invoke() before anything is stored.
 * (Two BsdStore objects on the same file, e.g. in two processes, are
 * fine: writes take the lock with BEGIN IMMEDIATE and wait up to the
 * busy timeout.)
 *
 * Every fallible function returns FALSE/NULL (or 0 for ids) and sets a
 * BSD_STORE_ERROR whose message names the operation. Times are µs since
 * the Unix epoch (UTC) unless the name says otherwise; 0 means "never".
 * Ids (areas, devices, jobs) are never reused; 0 is never a valid id and
 * means "none" where an id is optional.
 *
 * Device comm keys live in the devices table and nowhere else; no list
 * or get function returns them, only bsd_store_get_comm_key().
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "bsd-person.h"
#include "push-records.h"
#include "zk-records.h"

G_BEGIN_DECLS

#define BSD_STORE_SCHEMA_VERSION 10

#define BSD_STORE_ERROR (bsd_store_error_quark ())
GQuark bsd_store_error_quark (void);

typedef enum
{
  BSD_STORE_ERROR_FAILED,           /* sqlite or I/O failure not covered below */
  BSD_STORE_ERROR_NOT_FOUND,        /* unknown id, PIN, key or referenced row */
  BSD_STORE_ERROR_EXISTS,           /* a unique value (area name, natural key …) is taken */
  BSD_STORE_ERROR_INVALID_ARGUMENT, /* unknown setting, bad JSON, bad state name … */
  BSD_STORE_ERROR_NOT_DATABASE,     /* not an sqlite file, or not a biosync database */
  BSD_STORE_ERROR_VERSION,          /* schema newer than this build understands */
  BSD_STORE_ERROR_BUSY,             /* another connection held the lock past the timeout */
  BSD_STORE_ERROR_TRANSACTION,      /* commit/rollback without begin */
  BSD_STORE_ERROR_CORRUPT,          /* sqlite reports corruption (integrity check) */
} BsdStoreError;

#define BSD_TYPE_STORE (bsd_store_get_type ())
G_DECLARE_FINAL_TYPE (BsdStore, bsd_store, BSD, STORE, GObject)

/* ------------------------------------------------------------ the store */

/* Opens (creating if needed) the database at @path, or an in-memory one
 * for ":memory:". The file is created with mode 0600 and an existing one
 * is set to 0600 before sqlite writes anything. Sets WAL, a 5 s busy
 * timeout, foreign keys on and synchronous=FULL, then migrates the
 * schema forward, one transaction per version.
 *
 * Fails with BSD_STORE_ERROR_NOT_DATABASE for a file that is not sqlite,
 * or an sqlite file of another application, and BSD_STORE_ERROR_VERSION
 * for a newer schema; in both cases nothing in the file (nor its mode)
 * is changed. */
BsdStore *bsd_store_open (const char *path, GError **error);
const char *bsd_store_get_path (BsdStore *self);
/* PRAGMA user_version: BSD_STORE_SCHEMA_VERSION after a successful open */
guint bsd_store_get_schema_version (BsdStore *self);

/* PRAGMA integrity_check and foreign_key_check; BSD_STORE_ERROR_CORRUPT
 * listing the first problems when either finds any */
gboolean bsd_store_check_integrity (BsdStore *self, GError **error);

/* ------------------------------------------------- copies of the database */

/* the bytes of the sqlite header (the start of a database file) */
#define BSD_STORE_HEADER_SIZE 100

/* A consistent copy of the whole database into the new file @dest_path,
 * a few pages at a time from one snapshot: writers of other connections
 * go on meanwhile (WAL). Cancelled between steps. */
gboolean
bsd_store_backup (BsdStore *self, const char *dest_path, GCancellable *cancellable, GError **error);
/* Replaces every page of @self with @source's, in one transaction that
 * other connections see whole or not at all. @source must be checked
 * first (bsd_store_check_schema, bsd_store_check_integrity). */
gboolean bsd_store_restore (BsdStore *self, BsdStore *source, GError **error);
/* @header (@len bytes from the start of a file) is a biosync database:
 * BSD_STORE_ERROR_NOT_DATABASE otherwise; @version is its schema version */
gboolean
bsd_store_check_header_bytes (const guint8 *header, gsize len, guint *version, GError **error);
/* every table, index, view and trigger is what this build makes, and
 * nothing more: BSD_STORE_ERROR_NOT_DATABASE naming the first difference */
gboolean bsd_store_check_schema (BsdStore *self, GError **error);
/* job ids in @self continue after the ones @after handed out: a job id
 * never names two jobs, also across a restore */
gboolean bsd_store_continue_job_ids (BsdStore *self, BsdStore *after, GError **error);

/* Explicit transaction for a batch of calls. Nests: the outermost level
 * is BEGIN IMMEDIATE, inner levels are savepoints, so store functions
 * that use a transaction of their own work inside one. A failed commit
 * leaves the transaction open: call bsd_store_rollback(). Commit or
 * rollback without a begin fails with BSD_STORE_ERROR_TRANSACTION. */
gboolean bsd_store_begin (BsdStore *self, GError **error);
gboolean bsd_store_commit (BsdStore *self, GError **error);
gboolean bsd_store_rollback (BsdStore *self, GError **error);
/* the current nesting depth, 0 outside any transaction */
guint bsd_store_get_transaction_depth (BsdStore *self);

/* ---------------------------------------------------------------- areas */

typedef struct
{
  guint id;
  char *name;
  guint primary_device_id; /* 0 = none chosen yet */
  gint64 last_sync;
} BsdArea;

void bsd_area_free (BsdArea *area);

/* @name is unique (case-insensitive for ASCII): BSD_STORE_ERROR_EXISTS.
 * Returns the new id, or 0 on error. */
guint bsd_store_add_area (BsdStore *self, const char *name, GError **error);
gboolean bsd_store_rename_area (BsdStore *self, guint area_id, const char *name, GError **error);
/* the area's devices are left without an area */
gboolean bsd_store_remove_area (BsdStore *self, guint area_id, GError **error);
BsdArea *bsd_store_get_area (BsdStore *self, guint area_id, GError **error);
/* BsdArea*, by id */
GPtrArray *bsd_store_list_areas (BsdStore *self, GError **error);
/* @device_id 0 = none; the device must exist */
gboolean
bsd_store_set_area_primary (BsdStore *self, guint area_id, guint device_id, GError **error);
gboolean
bsd_store_set_area_last_sync (BsdStore *self, guint area_id, gint64 last_sync, GError **error);

/* -------------------------------------------------------------- devices */

/* what an administrator configures; owned strings */
typedef struct
{
  char *name;
  char *address;
  guint16 port;
  char *protocol;   /* "tcp", "udp" or "auto" */
  guint32 comm_key; /* 0 = none; only bsd_store_add_device() reads it */
  guint timeout_ms; /* > 0 */
  gboolean enabled;
  guint area_id;         /* 0 = no area */
  char *time_zone;       /* NULL or "" = the system zone; else a GTimeZone identifier */
  gboolean live_punches; /* keep a session registered for attendance events */
} BsdDeviceConfig;

/* defaults: port 4370, "auto", no key, 5000 ms, enabled, no area, system zone */
BsdDeviceConfig *bsd_device_config_new (void);
void bsd_device_config_free (BsdDeviceConfig *config);

/* what the daemon learnt at the last contact; owned strings, NULL = unknown */
typedef struct
{
  char *state; /* "unknown", "online", "offline", "busy" or "error" */
  gint64 last_seen;
  gint64 last_sync;
  char *last_error;
  char *serial;
  char *platform;
  char *firmware;
  char *fp_version;
  char *face_version;
  gboolean face_supported;
  guint users;
  guint fingerprints;
  guint faces;
  guint records;
  guint user_capacity;
  guint fingerprint_capacity;
  guint face_capacity;
  guint record_capacity;
  gint64 clock_offset; /* device clock minus ours, seconds */
} BsdDeviceHealth;

void bsd_device_health_clear (BsdDeviceHealth *health);

/* a device as listed: configuration without the comm key, and health */
typedef struct
{
  guint id;
  char *name;
  char *address;
  guint16 port;
  char *protocol;
  gboolean has_comm_key;
  guint timeout_ms;
  gboolean enabled;
  guint area_id;
  char *time_zone; /* NULL = system zone */
  BsdDeviceHealth health;
  /* a push terminal's (bsd-store-push.c); "" and 0 for pull devices */
  char *push_dialect;
  char *push_version;
  gint64 last_poll;
  guint pending_commands;
  gboolean live_punches;
  gint64 last_punch; /* UTC µs of the newest punch stored from it, 0 = none */
} BsdDevice;

void bsd_device_free (BsdDevice *device);

/* validates the config (name and address non-empty, port ≠ 0, protocol,
 * timeout, known area, parseable time zone). Returns the id, or 0. */
guint bsd_store_add_device (BsdStore *self, const BsdDeviceConfig *config, GError **error);
/* replaces the configuration except the comm key (see bsd_store_set_comm_key) */
gboolean bsd_store_update_device (BsdStore *self,
                                  guint device_id,
                                  const BsdDeviceConfig *config,
                                  GError **error);
/* also drops its snapshot, watermark link and disabled_devices row;
 * attendance and job results keep their rows (device_id becomes NULL) */
gboolean bsd_store_remove_device (BsdStore *self, guint device_id, GError **error);
BsdDevice *bsd_store_get_device (BsdStore *self, guint device_id, GError **error);
/* BsdDevice*, by id */
GPtrArray *bsd_store_list_devices (BsdStore *self, GError **error);
/* the devices of one area, or with @area_id 0 those without an area */
GPtrArray *bsd_store_list_area_devices (BsdStore *self, guint area_id, GError **error);
gboolean
bsd_store_get_comm_key (BsdStore *self, guint device_id, guint32 *comm_key, GError **error);
gboolean bsd_store_set_comm_key (BsdStore *self, guint device_id, guint32 comm_key, GError **error);
/* writes every field of @health (the caller merges with
 * bsd_store_get_device() when it learnt only part of it) */
gboolean bsd_store_update_device_health (BsdStore *self,
                                         guint device_id,
                                         const BsdDeviceHealth *health,
                                         GError **error);
/* a contact that failed: state and last error only (NULL clears it) */
gboolean bsd_store_set_device_state (
    BsdStore *self, guint device_id, const char *state, const char *last_error, GError **error);

/* --------------------------------------------------------------- people */

/* the roster, keyed by PIN (ZkUser.user_id): BsdPerson of bsd-person.h */

/* a roster row for ListUsers: never templates, never the password */
typedef struct
{
  char *pin;
  char *name;
  guint8 privilege;
  gboolean has_card;
  gboolean has_password;
  gboolean central_edit;
  gint64 updated_at;
  guint fingerprints; /* distinct finger indexes, stored or on any device */
  guint faces;        /* distinct face indexes, likewise */
  GArray *device_ids; /* guint, the devices whose last snapshot holds the PIN */
} BsdRosterEntry;

void bsd_roster_entry_free (BsdRosterEntry *entry);

/* Inserts or updates the person from a device's record. A person with a
 * central edit is left alone, and so is an actively tombstoned PIN (a
 * leaver never comes back through a device): then *@stored is FALSE. */
gboolean bsd_store_upsert_person_from_device (BsdStore *self,
                                              const ZkUser *user,
                                              gboolean *stored,
                                              GError **error);

/* a central edit: NULL strings and FALSE has_* leave a field as it is */
typedef struct
{
  const char *name;
  const char *password;
  gboolean has_privilege;
  guint8 privilege;
  gboolean has_card;
  guint32 card;
  gboolean has_group;
  guint8 group;
} BsdPersonEdit;

/* sets central_edit and updated_at; the PIN must be in the roster and
 * not deleted (INVALID_ARGUMENT) */
gboolean
bsd_store_edit_person (BsdStore *self, const char *pin, const BsdPersonEdit *edit, GError **error);
/* once every device has the edit, device records may win again */
gboolean bsd_store_clear_central_edit (BsdStore *self, const char *pin, GError **error);
BsdPerson *bsd_store_get_person (BsdStore *self, const char *pin, GError **error);
/* BsdPerson*, the whole roster by PIN, for the planner */
GPtrArray *bsd_store_list_people (BsdStore *self, GError **error);
/* return FALSE (with @error set) to stop; @person lives until it returns */
typedef gboolean (*BsdPersonFunc) (const BsdPerson *person, gpointer user_data, GError **error);
/* calls @func for every person of the roster but an actively deleted PIN,
 * ordered like bsd_store_list_roster (); the password is always "" (for
 * ExportUsers, which never gives passwords away) */
gboolean
bsd_store_foreach_person (BsdStore *self, BsdPersonFunc func, gpointer user_data, GError **error);
/* BsdRosterEntry*; @filter (NULL or "" = all) matches a substring of the
 * PIN or the name, case-insensitively; ordered by PIN (shorter first, so
 * numeric PINs sort numerically); @limit 0 = no limit */
GPtrArray *bsd_store_list_roster (
    BsdStore *self, const char *filter, guint offset, guint limit, GError **error);
/* sqlite's plan for a roster page of @filter, as bsd_store_explain_attendance () */
char *bsd_store_explain_roster (BsdStore *self, const char *filter, GError **error);

/* ------------------------------------------------------------ tombstones */

/* A deleted PIN stays deleted (its tombstone is active) until an
 * administrator allows it again; nothing retires a tombstone by itself.
 * While it is active no device brings the PIN back into the roster and
 * every sync removes it from every device it is found on. */
typedef struct
{
  char *pin;
  gint64 created_at;
  char *created_by;  /* "scheduler", "uid:N" … may be NULL */
  gint64 allowed_at; /* 0 = active */
  char *allowed_by;  /* "uid:N", "automatic retirement before version 3" … may be NULL */
  /* For an active tombstone every configured device is in exactly one of
   * these (guint ids, ascending); all empty once allowed; NULL from
   * bsd_store_list_deletions(): */
  GArray *pending;    /* held the PIN at its last read, or not read since the deletion */
  GArray *confirmed;  /* read since the deletion, without the PIN */
  GArray *never_seen; /* its users were never read */
} BsdTombstone;

void bsd_tombstone_free (BsdTombstone *tombstone);
/* "PIN 2, deleted on 2026-12-01 10:04 by uid:1000" (local time) */
char *bsd_tombstone_describe (const BsdTombstone *tombstone);

/* Deletes @pin: the person and their stored templates leave the roster.
 * A PIN allowed again is deleted anew (when and by whom replaced); an
 * active tombstone stays as it is. */
gboolean
bsd_store_add_tombstone (BsdStore *self, const char *pin, const char *created_by, GError **error);
/* an administrator allows a deleted PIN again: recorded with who and
 * when; from now on devices may bring it back like any other PIN.
 * NOT_FOUND when @pin has no active tombstone. */
gboolean
bsd_store_allow_tombstone (BsdStore *self, const char *pin, const char *allowed_by, GError **error);
/* TRUE when @pin has an active tombstone */
gboolean
bsd_store_is_tombstoned (BsdStore *self, const char *pin, gboolean *tombstoned, GError **error);
/* active or allowed; NOT_FOUND when @pin was never deleted */
BsdTombstone *bsd_store_get_tombstone (BsdStore *self, const char *pin, GError **error);
/* BsdTombstone*, the active ones, by PIN: @limit of them after the first
 * @offset (@limit 0 = all), each placed on every device. Two statements
 * whatever their number; the work beyond is one pass over the devices per
 * deletion */
GPtrArray *bsd_store_list_tombstones (BsdStore *self, guint offset, guint limit, GError **error);
/* the same, all of them, without the device lists: what a plan needs */
GPtrArray *bsd_store_list_deletions (BsdStore *self, GError **error);

/* --------------------------------------------------- device snapshots */

typedef enum
{
  BSD_TEMPLATE_KIND_FINGER,
  BSD_TEMPLATE_KIND_FACE,
} BsdTemplateKind;

const char *bsd_template_kind_to_string (BsdTemplateKind kind);

/* one template as a device holds it */
typedef struct
{
  char *pin;
  BsdTemplateKind kind;
  guint idx;  /* finger 0–9, face index */
  char *hash; /* lower-case hex sha256 of the template bytes */
} BsdDeviceTemplate;

BsdDeviceTemplate *
bsd_device_template_new (const char *pin, BsdTemplateKind kind, guint idx, const char *hash);
void bsd_device_template_free (BsdDeviceTemplate *tmpl);

/* Replaces the device's users (ZkUser*, as read) and, unless @templates
 * is NULL, its templates (BsdDeviceTemplate*) in one transaction. A PIN
 * or slot uid twice fails and changes nothing. The device's users count
 * as read now (see BsdTombstone). */
gboolean bsd_store_replace_device_snapshot (
    BsdStore *self, guint device_id, GPtrArray *users, GPtrArray *templates, GError **error);
/* Another terminal answers for the device (its serial changed): the
 * snapshot of the old one goes, users and templates, and its users count
 * as never read (see BsdTombstone), until the new one is read. */
gboolean bsd_store_forget_device_snapshot (BsdStore *self, guint device_id, GError **error);
/* PIN (char*) → slot uid (GUINT_TO_POINTER) of the last snapshot */
GHashTable *bsd_store_get_device_uid_map (BsdStore *self, guint device_id, GError **error);
/* guint ids of the devices whose last snapshot holds @pin, ascending */
GArray *bsd_store_list_pin_devices (BsdStore *self, const char *pin, GError **error);
/* ZkUser* of the last snapshot, by uid */
GPtrArray *bsd_store_get_device_users (BsdStore *self, guint device_id, GError **error);
/* BsdDeviceTemplate* of the last snapshot */
GPtrArray *bsd_store_get_device_templates (BsdStore *self, guint device_id, GError **error);

/* ------------------------------------------------------------ templates */

typedef struct
{
  char *pin;
  BsdTemplateKind kind;
  guint idx;
  char *version; /* algorithm: "10" (~ZKFPVersion), face version … */
  guint8 valid;
  GBytes *data;
  char *hash; /* lower-case hex sha256 of @data */
} BsdTemplate;

void bsd_template_free (BsdTemplate *tmpl);

/* Stores a template once per (pin, kind, idx, version, bytes); storing
 * the same bytes again does nothing. Returns the hash in @hash_out when
 * given. An actively tombstoned PIN stores nothing (*@stored FALSE). */
gboolean bsd_store_add_template (BsdStore *self,
                                 const char *pin,
                                 BsdTemplateKind kind,
                                 guint idx,
                                 const char *version,
                                 guint8 valid,
                                 GBytes *data,
                                 gboolean *stored,
                                 char **hash_out,
                                 GError **error);
/* the first template stored for that finger/face and version (an
 * existing template is never replaced by a different one) */
BsdTemplate *bsd_store_get_template (BsdStore *self,
                                     const char *pin,
                                     BsdTemplateKind kind,
                                     guint idx,
                                     const char *version,
                                     GError **error);
/* BsdTemplate* of @pin, or of everyone when @pin is NULL */
GPtrArray *bsd_store_list_templates (BsdStore *self, const char *pin, GError **error);

/* ----------------------------------------------------------- attendance */

/* Stores @records (ZkAttendance*) read from the device with serial
 * @serial in ONE transaction together with its log watermark. Each row
 * keeps the device-local time as ISO 8601 text and its UTC time computed
 * with @device_tz (NULL = the system zone; in a DST fold the earlier
 * interpretation GLib gives wins). The natural key (serial, PIN, local
 * time, state) makes a re-collection insert nothing: *@inserted new rows,
 * *@duplicates already present. @device_id 0 = not a configured device.
 * @records is the whole log in log order: the watermark becomes count =
 * @records->len, newest = the last record (none for an empty log), and
 * the latest local time seen. */
gboolean bsd_store_add_attendance (BsdStore *self,
                                   guint device_id,
                                   const char *serial,
                                   GTimeZone *device_tz,
                                   GPtrArray *records,
                                   guint *inserted,
                                   guint *duplicates,
                                   GError **error);
/* a record an attendance store inserted, and its UTC time */
typedef struct
{
  ZkAttendance punch;
  gint64 utc_usec;
} BsdStoredPunch;

/* the same with the watermark given: the device's log holds @log_count
 * records now, @newest is its last one (NULL = not known, e.g. a record
 * the decoder skipped); @records may be the whole log or its new end.
 * Every record it inserted (not those stored before) is appended to
 * @fresh (BsdStoredPunch) unless that is NULL. */
gboolean bsd_store_add_attendance_fresh (BsdStore *self,
                                         guint device_id,
                                         const char *serial,
                                         GTimeZone *device_tz,
                                         GPtrArray *records,
                                         guint log_count,
                                         const ZkAttendance *newest,
                                         guint *inserted,
                                         guint *duplicates,
                                         GArray *fresh,
                                         GError **error);

/* one punch that arrived live (an attendance event) from the device with
 * @serial: stored under the same natural key as log reads, so the log
 * read that finds it later inserts nothing; the watermark stays (it
 * counts the log). *@inserted FALSE when it was stored already; @utc_usec
 * gets its UTC time */
gboolean bsd_store_add_punch (BsdStore *self,
                              guint device_id,
                              const char *serial,
                              GTimeZone *device_tz,
                              const ZkAttendance *punch,
                              gboolean *inserted,
                              gint64 *utc_usec,
                              GError **error);

/* whether ranged attendance reads (1503 with a start) of a device can be
 * trusted: only after they matched a full read of the same device */
typedef enum
{
  BSD_RANGED_READS_UNKNOWN,   /* not proven yet: read in full, then try one */
  BSD_RANGED_READS_TRUSTED,   /* matched a full read */
  BSD_RANGED_READS_UNTRUSTED, /* refused, ignored or wrong once: full reads only */
} BsdRangedReads;

const char *bsd_ranged_reads_to_string (BsdRangedReads ranged);

typedef struct
{
  char *serial;
  guint device_id;       /* 0 = device removed or unknown */
  guint count;           /* records on the device at the last collection */
  char *last_local_time; /* the latest punch time seen; NULL = nothing collected */
  gint64 updated_at;
  /* the natural key of the newest record (the last in log order) at the
   * last collection; newest_pin NULL = not known (an empty log, or a
   * watermark from before schema version 3) */
  char *newest_pin;
  char *newest_local_time;
  guint8 newest_state;
  BsdRangedReads ranged;
  char *ranged_firmware; /* the firmware @ranged was decided on; NULL = unknown */
} BsdLogWatermark;

void bsd_log_watermark_free (BsdLogWatermark *watermark);
/* TRUE when @att has the natural key of @watermark's newest record */
gboolean bsd_log_watermark_is_newest (const BsdLogWatermark *watermark, const ZkAttendance *att);

/* NOT_FOUND when nothing was ever collected from @serial */
BsdLogWatermark *bsd_store_get_log_watermark (BsdStore *self, const char *serial, GError **error);
/* records the verdict on ranged reads of the device with @serial (taken
 * on @firmware); NOT_FOUND when nothing was collected from it yet */
gboolean bsd_store_set_ranged_reads (BsdStore *self,
                                     const char *serial,
                                     BsdRangedReads ranged,
                                     const char *firmware,
                                     GError **error);

/* one row for export; the strings live until the callback returns */
typedef struct
{
  gint64 id;
  const char *serial;
  const char *pin;
  const char *name; /* roster name, else a name a device had; may be NULL */
  gint64 utc_usec;
  const char *local_time; /* device-local "YYYY-MM-DDThh:mm:ss" */
  guint8 verify;
  guint8 state;
  guint32 workcode;
  guint device_id;         /* 0 = removed or unknown */
  const char *device_name; /* may be NULL */
  gint64 collected_at;
} BsdAttendanceRow;

/* return FALSE (with @error set) to stop */
typedef gboolean (*BsdAttendanceFunc) (const BsdAttendanceRow *row,
                                       gpointer user_data,
                                       GError **error);

/* calls @func for every row with @from_usec ≤ utc < @to_usec, oldest
 * first; the first error (from sqlite or @func) stops and is returned */
gboolean bsd_store_foreach_attendance (BsdStore *self,
                                       gint64 from_usec,
                                       gint64 to_usec,
                                       BsdAttendanceFunc func,
                                       gpointer user_data,
                                       GError **error);
/* what a page of attendance is chosen by (ListAttendance); set up by
 * bsd_attendance_filter_init (): every field then means "any" */
typedef struct
{
  gint64 from_usec; /* utc ≥ this (G_MININT64 = any) */
  gint64 to_usec;   /* utc < this (G_MAXINT64 = any) */
  gint64 before_id; /* record ids below this (G_MAXINT64 = any): keyset paging */
  guint device_id;  /* 0 = any */
  guint area_id;    /* 0 = any: the devices now in the area */
  const char *pin;  /* exact PIN, NULL = any */
  const char *text; /* case-insensitive substring of the PIN or name, NULL or "" = any */
} BsdAttendanceFilter;

#define BSD_ATTENDANCE_TEXT_MAX 256

void bsd_attendance_filter_init (BsdAttendanceFilter *filter);
/* @dest as @src with strings of its own, freed by bsd_attendance_filter_clear () */
void bsd_attendance_filter_copy (BsdAttendanceFilter *dest, const BsdAttendanceFilter *src);
void bsd_attendance_filter_clear (BsdAttendanceFilter *filter);
/* calls @func for at most @limit rows that @filter matches, newest (highest
 * id) first; the first error (from sqlite or @func) stops and is returned */
gboolean bsd_store_list_attendance (BsdStore *self,
                                    const BsdAttendanceFilter *filter,
                                    guint limit,
                                    BsdAttendanceFunc func,
                                    gpointer user_data,
                                    GError **error);
/* sqlite's plan for the page of @filter (EXPLAIN QUERY PLAN, one step a
 * line: "PARENT|DETAIL", parent 0 for the query's own steps): for tests,
 * and for a site wondering why a list is slow */
char *
bsd_store_explain_attendance (BsdStore *self, const BsdAttendanceFilter *filter, GError **error);
gboolean bsd_store_count_attendance (
    BsdStore *self, gint64 from_usec, gint64 to_usec, guint64 *count, GError **error);

/* ---------------------------------------------------------- job history */

typedef struct
{
  gint64 id;
  char *kind;
  char *target;
  char *trigger;           /* "scheduler" or "uid:N" */
  gint64 requested_by_uid; /* -1 = not a user */
  char *state;             /* queued|running|succeeded|partial|failed|cancelled|interrupted */
  gint64 queued_at;
  gint64 started_at;
  gint64 finished_at;
  char *summary;
  char *report; /* JSON text or NULL */
} BsdJobRecord;

void bsd_job_record_free (BsdJobRecord *job);

typedef struct
{
  guint device_id; /* 0 = device removed since */
  char *device_name;
  char *status; /* free text kept short: "ok", "failed", "skipped", "unreachable" … */
  guint added;
  guint updated;
  guint deleted;
  guint skipped;
  guint failed;
  char *reason;
  char *details; /* JSON text or NULL */
} BsdJobDeviceResult;

void bsd_job_device_result_free (BsdJobDeviceResult *result);

/* a new row in state "queued"; returns its id, 0 on error */
gint64 bsd_store_create_job (BsdStore *self,
                             const char *kind,
                             const char *target,
                             const char *trigger,
                             gint64 requested_by_uid,
                             GError **error);
gboolean bsd_store_set_job_running (BsdStore *self, gint64 job_id, GError **error);
/* TRUE for the states a job ends in: succeeded, partial, failed,
 * cancelled, interrupted */
gboolean bsd_job_state_is_final (const char *state);
/* @state: a final state; @report must be JSON (or NULL) */
gboolean bsd_store_finish_job (BsdStore *self,
                               gint64 job_id,
                               const char *state,
                               const char *summary,
                               const char *report,
                               GError **error);
/* a report larger than this is not stored (a minimal one says why) */
#define BSD_STORE_REPORT_MAX (4 * 1024 * 1024)
/* a finished job's report replaced (a note added after the engine) */
gboolean
bsd_store_set_job_report (BsdStore *self, gint64 job_id, const char *report, GError **error);
/* @text (NULL = "") as a job's history keeps it: valid UTF-8 (invalid
 * bytes become U+FFFD) without control characters other than tab and line
 * breaks (U+FFFD too) */
char *bsd_job_text_sanitize (const char *text);
/* @report as JSON text that every JSON parser (sqlite's json_valid too)
 * accepts, whatever it holds: its strings and member names go through
 * bsd_job_text_sanitize() (in place), doubles that are not finite become null */
char *bsd_job_report_to_text (JsonNode *report);
/* Ends the job's row in the final @state whatever @summary and *@report
 * hold: both are sanitized as above, and a report the row still cannot
 * take (larger than BSD_STORE_REPORT_MAX, or refused) is replaced, in
 * *@report too, by a minimal one that keeps its top-level values and says
 * why. Returns the report text the row now holds, for the Job object to
 * show the same; NULL only when the row cannot be written at all. */
char *bsd_store_finish_job_report (BsdStore *self,
                                   gint64 job_id,
                                   const char *state,
                                   const char *summary,
                                   JsonNode **report,
                                   GError **error);
/* @result->details must be JSON (or NULL); a @device_id that is not (or
 * no longer) configured is stored as 0 */
gboolean bsd_store_add_job_device_result (BsdStore *self,
                                          gint64 job_id,
                                          const BsdJobDeviceResult *result,
                                          GError **error);
/* BsdJobRecord*, newest first, without their reports (bsd_store_get_job ()
 * has it); @limit 0 = all */
GPtrArray *bsd_store_list_jobs (BsdStore *self, guint limit, GError **error);
BsdJobRecord *bsd_store_get_job (BsdStore *self, gint64 job_id, GError **error);
/* BsdJobDeviceResult*, in the order they were added */
GPtrArray *bsd_store_list_job_device_results (BsdStore *self, gint64 job_id, GError **error);
/* at start-up: queued and running rows left by a previous process become
 * "interrupted" (finished now); @count how many */
gboolean bsd_store_mark_interrupted_jobs (BsdStore *self, guint *count, GError **error);

/* ------------------------------------------------------------- settings */

/* Known keys and defaults: AutoSync (bool, TRUE), SyncInterval (uint,
 * 60), MaxParallelDevices (uint, 2), LogInterval (uint, 15),
 * ClockThreshold (uint, 120), ClearLogsAfterDownload (bool, FALSE),
 * LastAutoSync (uint64 µs, 0), PushEnabled (bool, FALSE), PushAddress
 * (text, "0.0.0.0"), PushPort (uint, 8081). An unknown key, or the wrong type for a
 * key, is BSD_STORE_ERROR_INVALID_ARGUMENT. Range checks are the
 * caller's. A stored value that does not parse reads as the default. */
gboolean
bsd_store_get_setting_bool (BsdStore *self, const char *key, gboolean *value, GError **error);
gboolean
bsd_store_set_setting_bool (BsdStore *self, const char *key, gboolean value, GError **error);
gboolean bsd_store_get_setting_uint (BsdStore *self, const char *key, guint *value, GError **error);
gboolean bsd_store_set_setting_uint (BsdStore *self, const char *key, guint value, GError **error);
gboolean
bsd_store_get_setting_uint64 (BsdStore *self, const char *key, guint64 *value, GError **error);
/* PushAddress (text, "0.0.0.0"); a key of another type is INVALID_ARGUMENT */
char *bsd_store_get_setting_text (BsdStore *self, const char *key, GError **error);
/* non-empty UTF-8 of at most 256 bytes */
gboolean
bsd_store_set_setting_text (BsdStore *self, const char *key, const char *value, GError **error);
gboolean
bsd_store_set_setting_uint64 (BsdStore *self, const char *key, guint64 value, GError **error);

/* ------------------------------------------------------ disabled devices */

typedef struct
{
  guint device_id;
  gint64 job_id; /* 0 = none */
  gint64 since;
} BsdDisabledDevice;

/* written before a device is disabled for writing (again: refreshes it) */
gboolean
bsd_store_add_disabled_device (BsdStore *self, guint device_id, gint64 job_id, GError **error);
/* after it was enabled again; removing an absent row is not an error */
gboolean bsd_store_remove_disabled_device (BsdStore *self, guint device_id, GError **error);
/* BsdDisabledDevice, by device id: what a crash left disabled */
GArray *bsd_store_list_disabled_devices (BsdStore *self, GError **error);

/* a terminal that acknowledged writes it did not keep (found by reading
 * back): remembered for good, so that its writes are always verified in
 * full; again: counts it and keeps the latest firmware and reason */
gboolean bsd_store_record_device_lie (
    BsdStore *self, guint device_id, const char *firmware, const char *reason, GError **error);
/* *@lied: whether @device_id ever did (an unknown device never did) */
gboolean
bsd_store_get_device_lied (BsdStore *self, guint device_id, gboolean *lied, GError **error);

/* ------------------------------------------------------- push terminals */

/* A push terminal (docs/PUSH.md) is known by its serial. An unknown
 * serial that knocks becomes pending; an administrator accepts it (a
 * device row of protocol "push" is bound to it) or refuses it (it stays
 * listed, nothing it sends is stored). Its push comm key, like comm keys,
 * is never returned by a list or get function. */
typedef enum
{
  BSD_PUSH_PENDING,
  BSD_PUSH_ACCEPTED,
  BSD_PUSH_REFUSED,
} BsdPushState;

const char *bsd_push_state_to_string (BsdPushState state);

typedef struct
{
  char *serial;
  BsdPushState state;
  guint device_id; /* accepted: its device row; 0 otherwise */
  char *address;   /* peer IP of the last request */
  gint64 first_seen;
  gint64 last_seen;
  gint64 last_poll; /* 0 = never polled */
  guint requests;
  char *dialect; /* "2", "3" or "" */
  char *push_version;
  char *firmware;
  char *device_name;
  gint64 attlog_stamp; /* the upload marks echoed in the handshake */
  gint64 operlog_stamp;
  gint64 biodata_stamp;
  gboolean has_comm_key;
} BsdPushDevice;

void bsd_push_device_free (BsdPushDevice *device);

/* what one request tells of its device; NULL or "" leaves a value */
typedef struct
{
  const char *address;
  const char *dialect;
  const char *push_version;
  const char *firmware;
  const char *device_name;
  gboolean poll; /* a getrequest: last_poll = now */
} BsdPushContact;

/* Records a request of @serial and returns its row as it is now. An
 * unknown serial becomes pending, unless @pending_max serials are
 * pending already: then nothing is stored and NULL comes back without an
 * error (the receiver answers it all the same). */
BsdPushDevice *bsd_store_push_contact (BsdStore *self,
                                       const char *serial,
                                       const BsdPushContact *contact,
                                       guint pending_max,
                                       GError **error);
/* NOT_FOUND when @serial never knocked */
BsdPushDevice *bsd_store_get_push_device (BsdStore *self, const char *serial, GError **error);
/* the push terminal bound to @device_id; NOT_FOUND for a pull device */
BsdPushDevice *bsd_store_get_push_device_by_id (BsdStore *self, guint device_id, GError **error);
/* BsdPushDevice*, by serial: the pending and refused ones */
GPtrArray *bsd_store_list_unaccepted_push_devices (BsdStore *self, GError **error);
gboolean bsd_store_count_pending_push_devices (BsdStore *self, guint *count, GError **error);
/* Binds @serial (pending or refused; NOT_FOUND when it never knocked,
 * EXISTS when accepted already) to a new device row made from @config
 * (its address becomes the serial, its port 0 is allowed). Returns the
 * device id, 0 on error; one transaction. */
guint bsd_store_accept_push_device (BsdStore *self,
                                    const char *serial,
                                    const BsdDeviceConfig *config,
                                    GError **error);
/* a pending or accepted serial becomes refused (an accepted one loses
 * its device row) */
gboolean bsd_store_refuse_push_device (BsdStore *self, const char *serial, GError **error);
/* @comm_key NULL or "" = none */
gboolean bsd_store_set_push_comm_key (BsdStore *self,
                                      const char *serial,
                                      const char *comm_key,
                                      GError **error);
/* *@ok: the serial has no key, or @comm_key is it */
gboolean bsd_store_check_push_comm_key (
    BsdStore *self, const char *serial, const char *comm_key, gboolean *ok, GError **error);
/* @table: "ATTLOG", "OPERLOG" or "BIODATA" (others are ignored) */
gboolean bsd_store_set_push_stamp (
    BsdStore *self, const char *serial, const char *table, gint64 stamp, GError **error);
/* the options and INFO values worth keeping (docs/PUSH-PROTOCOL.md §5.7)
 * as JSON, merged into what is stored; firmware and name follow */
gboolean bsd_store_set_push_options (BsdStore *self,
                                     const char *serial,
                                     GHashTable *options,
                                     GError **error);
/* the stored options as a JSON object text, "{}" when none */
char *bsd_store_get_push_options (BsdStore *self, const char *serial, GError **error);

typedef enum
{
  BSD_PUSH_COMMAND_QUEUED,
  BSD_PUSH_COMMAND_SENT,
  BSD_PUSH_COMMAND_DONE,
  BSD_PUSH_COMMAND_FAILED,
} BsdPushCommandState;

const char *bsd_push_command_state_to_string (BsdPushCommandState state);

typedef struct
{
  gint64 id; /* the <id> of C:<id>: */
  guint device_id;
  char *command; /* push_format_command (): without "C:<id>:" */
  BsdPushCommandState state;
  gint return_code; /* DONE/FAILED only */
  char *cause;      /* FAILED: push_return_code_describe () */
  gint64 queued_at;
  gint64 sent_at;
  gint64 done_at;
} BsdPushCommand;

void bsd_push_command_free (BsdPushCommand *command);

/* appends @command to the device's queue; its id, 0 on error */
gint64
bsd_store_queue_push_command (BsdStore *self, guint device_id, const char *command, GError **error);
/* a handshake just gave the device its options: a queued CHECK (re-read
 * them) is done by it */
gboolean bsd_store_finish_push_checks (BsdStore *self, guint device_id, GError **error);
/* the oldest queued commands of the device, in order, now SENT: at most
 * @limit of them and @max_bytes of command text, but always the first */
GPtrArray *bsd_store_take_push_commands (
    BsdStore *self, guint device_id, guint limit, gsize max_bytes, GError **error);
/* A device's result for command @id: DONE when @return_code ≥ 0, else
 * FAILED with @cause. Matched by id (and device) only; a result that
 * arrives again changes nothing (*@matched still TRUE); an id the
 * device was never sent gives *@matched FALSE. */
gboolean bsd_store_finish_push_command (BsdStore *self,
                                        guint device_id,
                                        gint64 id,
                                        gint return_code,
                                        const char *cause,
                                        gboolean *matched,
                                        GError **error);
BsdPushCommand *bsd_store_get_push_command (BsdStore *self, gint64 id, GError **error);
/* queued or sent, not answered yet */
gboolean
bsd_store_count_push_commands (BsdStore *self, guint device_id, guint *count, GError **error);

/* What the device says it holds, from its uploads and query answers:
 * users and templates replace the rows of the same key, @deleted_pins
 * (char*) lose their user, templates and photos; one transaction. Any
 * array may be NULL. */
gboolean bsd_store_apply_push_mirror (BsdStore *self,
                                      guint device_id,
                                      GPtrArray *users,
                                      GPtrArray *templates,
                                      GPtrArray *photos,
                                      GPtrArray *deleted_pins,
                                      GError **error);
/* PushUser* by PIN */
GPtrArray *bsd_store_get_push_mirror_users (BsdStore *self, guint device_id, GError **error);
/* PushTemplate* by PIN, type, no, index */
GPtrArray *bsd_store_get_push_mirror_templates (BsdStore *self, guint device_id, GError **error);
/* PushPhoto* by PIN */
GPtrArray *bsd_store_get_push_mirror_photos (BsdStore *self, guint device_id, GError **error);

/* the sync engine's commands (docs/PUSH.md): those of @device_id with
 * ids @first_id … @last_id, by id */
GPtrArray *bsd_store_list_push_commands (
    BsdStore *self, guint device_id, gint64 first_id, gint64 last_id, GError **error);
/* the oldest queued (not yet sent) @command of @device_id: its id, 0
 * when there is none, -1 on error */
gint64 bsd_store_find_queued_push_command (BsdStore *self,
                                           guint device_id,
                                           const char *command,
                                           GError **error);
/* A full query of the device was answered: what it did not upload again
 * since @before (µs, real time) is no longer on it. @template_type 0:
 * users (their templates and photos go along), else the templates of
 * that BIODATA type. */
gboolean bsd_store_prune_push_mirror (
    BsdStore *self, guint device_id, gint64 before, guint template_type, GError **error);

/* Retention of a device's finished (done or failed) commands: the newest
 * BSD_PUSH_COMMANDS_KEEP are kept, none finished before @now minus
 * BSD_PUSH_COMMANDS_MAX_AGE_US; queued and sent ones always stay. Nothing
 * is removed while the device has a result younger than
 * BSD_PUSH_COMMANDS_SETTLE_US: a sync job lists the results it waits for
 * by id (bsd-engine-push.c), and waits at most 3 × 60 s + 30 s for the
 * next one, reading them within a second of the last. *@removed: how
 * many went. */
#define BSD_PUSH_COMMANDS_KEEP 1000
#define BSD_PUSH_COMMANDS_MAX_AGE_US (30 * G_TIME_SPAN_DAY)
#define BSD_PUSH_COMMANDS_SETTLE_US (10 * G_TIME_SPAN_MINUTE)
gboolean bsd_store_trim_push_commands (
    BsdStore *self, guint device_id, gint64 now, guint *removed, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdArea, bsd_area_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdDeviceConfig, bsd_device_config_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdDevice, bsd_device_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdRosterEntry, bsd_roster_entry_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdTombstone, bsd_tombstone_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdDeviceTemplate, bsd_device_template_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdTemplate, bsd_template_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdLogWatermark, bsd_log_watermark_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdJobRecord, bsd_job_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdJobDeviceResult, bsd_job_device_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdPushDevice, bsd_push_device_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdPushCommand, bsd_push_command_free)

G_END_DECLS
