/* bsd-store-outbox.h — the sqlite side of the central database: its
 * settings, the punch cursor and the outbox of roster, device and job rows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Punches need no outbox: attendance ids grow in commit order (one
 * writer at a time, AUTOINCREMENT), so "every punch with an id above the
 * cursor" is exactly what is not shipped yet. The cursor moves only after
 * the central COMMIT; a crash in between ships a batch again, and the
 * central natural key (ON CONFLICT DO NOTHING) drops the repeat.
 *
 * Roster, device and job rows change in place: triggers queue their key
 * in central_outbox (whether shipping is on or not: what changes while
 * it is off leaves once it is on), the shipper
 * reads the row as it is then and removes the outbox entry by its id
 * after the central COMMIT. A change meanwhile replaces the entry with
 * a new id, so it is shipped again.
 *
 * The connection string is a secret like the comm keys: only
 * bsd_store_get_central () returns it, nothing lists or logs it.
 */
#pragma once

#include "bsd-store.h"

G_BEGIN_DECLS

/* the schema step that adds these tables (bsd-store.c's migrations) */
#define BSD_STORE_OUTBOX_MIGRATION                                                                 \
  "CREATE TABLE central ("                                                                         \
  "  id INTEGER PRIMARY KEY CHECK (id = 1),"                                                       \
  "  site_name TEXT NOT NULL DEFAULT '',"                                                          \
  "  conninfo TEXT NOT NULL DEFAULT '',"                                                           \
  "  templates INTEGER NOT NULL DEFAULT 0,"                                                        \
  "  punch_cursor INTEGER NOT NULL DEFAULT 0,"                                                     \
  "  edit_cursor INTEGER NOT NULL DEFAULT 0,"                                                      \
  "  pulling INTEGER NOT NULL DEFAULT 0);"                                                         \
  "INSERT INTO central (id) VALUES (1);"                                                           \
  "CREATE TABLE central_outbox ("                                                                  \
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"                                                        \
  "  kind TEXT NOT NULL CHECK (kind IN ('person', 'edit', 'device', 'job', 'tombstone')),"         \
  "  key TEXT NOT NULL,"                                                                           \
  "  UNIQUE (kind, key));" BSD_OUTBOX_TRIGGERS (BSD_OUTBOX_ON)

/* the triggers that queue roster, device, deletion and job rows, each
 * firing while @on (SQL) holds */
/* clang-format off */
#define BSD_OUTBOX_TRIGGERS(on)                                                                    \
  "CREATE TRIGGER central_person_added AFTER INSERT ON people"                                     \
  "  WHEN " on " BEGIN "                                                                           \
       BSD_OUTBOX_QUEUE ("person", "new.pin")                                                      \
  "  DELETE FROM central_outbox WHERE kind = 'edit' AND key = new.pin AND new.central_edit = 1;"   \
  "  INSERT INTO central_outbox (kind, key)"                                                       \
  "    SELECT 'edit', new.pin WHERE new.central_edit = 1; END;"                                    \
  "CREATE TRIGGER central_person_changed AFTER UPDATE OF name, privilege, card, group_id"          \
  "  ON people WHEN " on                                                                           \
  "  AND (old.name IS NOT new.name OR old.privilege IS NOT new.privilege"                          \
  "       OR old.card IS NOT new.card OR old.group_id IS NOT new.group_id) BEGIN "                 \
       BSD_OUTBOX_QUEUE ("person", "new.pin") " END;"                                              \
  "CREATE TRIGGER central_person_edited AFTER UPDATE OF updated_at ON people"                      \
  "  WHEN " on " AND new.central_edit = 1 BEGIN "                                                  \
       BSD_OUTBOX_QUEUE ("edit", "new.pin") " END;"                                                \
  "CREATE TRIGGER central_tombstone AFTER INSERT ON tombstones"                                    \
  "  WHEN " on " BEGIN "                                                                           \
       BSD_OUTBOX_QUEUE ("tombstone", "new.pin") " END;"                                           \
  "CREATE TRIGGER central_tombstone_again AFTER UPDATE OF created_at ON tombstones"                 \
  "  WHEN " on " BEGIN "                                                                           \
       BSD_OUTBOX_QUEUE ("tombstone", "new.pin") " END;"                                           \
  "CREATE TRIGGER central_device_added AFTER INSERT ON devices"                                    \
  "  WHEN " on " BEGIN "                                                                           \
       BSD_OUTBOX_QUEUE ("device", "new.id") " END;"                                               \
  "CREATE TRIGGER central_device_changed AFTER UPDATE OF name, address, port, enabled,"            \
  "  serial, platform, firmware ON devices WHEN " on " BEGIN "                                     \
       BSD_OUTBOX_QUEUE ("device", "new.id") " END;"                                               \
  "CREATE TRIGGER central_device_removed AFTER DELETE ON devices"                                  \
  "  WHEN " on " BEGIN "                                                                           \
       BSD_OUTBOX_QUEUE ("device", "old.id") " END;"                                               \
  "CREATE TRIGGER central_job_finished AFTER UPDATE OF finished_at ON job_executions"              \
  "  WHEN " on " AND new.finished_at > 0 BEGIN "                                                   \
       BSD_OUTBOX_QUEUE ("job", "new.id") " END;"
/* clang-format on */

/* one key queued again with a new id; not INSERT OR REPLACE: a trigger
 * takes the conflict policy of the statement that fired it, and an
 * upsert's is ABORT (a person queued and changed again failed there) */
#define BSD_OUTBOX_QUEUE(kind, key)                                                                \
  "DELETE FROM central_outbox WHERE kind = '" kind "' AND key = " key ";"                          \
  "INSERT INTO central_outbox (kind, key) VALUES ('" kind "', " key ");"

/* 7 → 8: the outbox records while shipping is off too, so that edits
 * made meanwhile (central edits, deletions, removed devices, finished
 * jobs) leave once it is turned on (docs/CENTRAL.md); a person's
 * templates changing queues the person (CentralTemplates) */
/* clang-format off */
#define BSD_STORE_OUTBOX_RECORD_MIGRATION                                                          \
  "DROP TRIGGER central_person_added; DROP TRIGGER central_person_changed;"                        \
  "DROP TRIGGER central_person_edited; DROP TRIGGER central_tombstone;"                            \
  "DROP TRIGGER central_tombstone_again; DROP TRIGGER central_device_added;"                       \
  "DROP TRIGGER central_device_changed; DROP TRIGGER central_device_removed;"                      \
  "DROP TRIGGER central_job_finished;"                                                             \
  BSD_OUTBOX_TRIGGERS (BSD_OUTBOX_RECORDING)                                                       \
  "CREATE TRIGGER central_template_added AFTER INSERT ON templates"                                \
  "  WHEN " BSD_OUTBOX_RECORDING " BEGIN "                                                         \
       BSD_OUTBOX_QUEUE ("person", "new.pin") " END;"                                              \
  "CREATE TRIGGER central_template_removed AFTER DELETE ON templates"                              \
  "  WHEN " BSD_OUTBOX_RECORDING " BEGIN "                                                         \
       BSD_OUTBOX_QUEUE ("person", "old.pin") " END;"
/* clang-format on */

/* a trigger queues only while shipping is on, and never what was just
 * pulled from the central database (it came from there) (schema 6 to 7) */
#define BSD_OUTBOX_ON "(SELECT conninfo <> '' AND pulling = 0 FROM central)"
/* from schema 8: whether shipping is on or not */
#define BSD_OUTBOX_RECORDING "(SELECT pulling = 0 FROM central)"

/* the longest site name (bytes) */
#define BSD_SITE_NAME_MAX 64
/* the longest libpq connection string (bytes) SetCentralDatabase takes */
#define BSD_CONNINFO_MAX 4096

typedef struct
{
  char *site_name; /* "" = not set: the host name is used */
  char *conninfo;  /* "" = central shipping is off; a secret */
  gboolean templates;
} BsdCentralConfig;

void bsd_central_config_free (BsdCentralConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdCentralConfig, bsd_central_config_free)

/* @name: 1 to 64 bytes of UTF-8 without control characters, or
 * INVALID_ARGUMENT */
gboolean bsd_check_site_name (const char *name, GError **error);

BsdCentralConfig *bsd_store_get_central (BsdStore *self, GError **error);
gboolean bsd_store_set_site_name (BsdStore *self, const char *name, GError **error);
gboolean bsd_store_set_central_templates (BsdStore *self, gboolean templates, GError **error);
/* "" turns shipping off; turning it on queues every person, device and
 * active deletion, so the central database gets the whole roster first */
gboolean bsd_store_set_central_conninfo (BsdStore *self, const char *conninfo, GError **error);

/* one attendance row as shipped */
typedef struct
{
  gint64 id;
  char *device_serial;
  char *pin;
  gint64 utc_usec;
  char *local_time; /* ISO 8601 as stored, the natural key's time */
  gint64 verify;
  gint64 state;
  gint64 workcode;
  gint64 collected_at;
} BsdPunch;

void bsd_punch_free (BsdPunch *punch);

/* the attendance rows after the cursor (BsdPunch*), oldest first, at
 * most @limit */
GPtrArray *bsd_store_list_unshipped_punches (BsdStore *self, guint limit, GError **error);
/* the cursor: every punch up to @id is committed centrally */
gboolean bsd_store_set_punch_cursor (BsdStore *self, gint64 id, GError **error);
gint64 bsd_store_get_punch_cursor (BsdStore *self, GError **error);
/* of the punches after the cursor: the first one's collection time (0
 * when nothing waits); one indexed row, cheap enough for the main loop */
gboolean bsd_store_get_unshipped_since (BsdStore *self, gint64 *oldest_collected, GError **error);
/* of the punches after the cursor: the oldest collection time and the
 * oldest UTC time (0 and 0 when nothing waits) */
gboolean bsd_store_get_unshipped_age (BsdStore *self,
                                      gint64 *oldest_collected,
                                      gint64 *oldest_utc,
                                      GError **error);

/* ---------------------------------------------------------- the outbox */

typedef struct
{
  gint64 id;
  char *kind; /* "person", "edit", "device", "job" or "tombstone" */
  char *key;  /* the PIN, or the device's or job's id */
} BsdOutboxEntry;

void bsd_outbox_entry_free (BsdOutboxEntry *entry);

/* the oldest @limit entries (BsdOutboxEntry*) */
GPtrArray *bsd_store_list_outbox (BsdStore *self, guint limit, GError **error);
/* after the central COMMIT: the entries of @entries whose id is still
 * theirs (a change meanwhile gave its entry a new id: it stays) */
gboolean bsd_store_remove_outbox (BsdStore *self, GPtrArray *entries, GError **error);

/* --------------------------------------------- edits from other sites */

typedef struct
{
  gint64 id; /* the central edits.id */
  char *site;
  char *pin;
  gboolean deletion; /* else an edit of name, privilege and card */
  char *name;
  guint8 privilege;
  guint32 card;
} BsdCentralEdit;

void bsd_central_edit_free (BsdCentralEdit *edit);

/* the last central edit applied here */
gint64 bsd_store_get_edit_cursor (BsdStore *self, GError **error);
/* applies @edits (BsdCentralEdit*, in central commit order) in one
 * transaction with the cursor moved to @last_id: a deletion tombstones
 * the PIN ("central:SITE"); an edit changes a person this site has
 * unless the PIN is deleted here. Nothing of it is queued to go back. */
gboolean
bsd_store_apply_central_edits (BsdStore *self, GPtrArray *edits, gint64 last_id, GError **error);

G_END_DECLS
