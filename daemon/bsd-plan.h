/* bsd-plan.h — the pure area-sync planner
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Device snapshots + roster + tombstones in, a complete deterministic
 * plan out: per device what to add, update, delete and skip (and why),
 * plan-wide conflicts and the roster records to store. No I/O at all.
 *
 * Identity is the PIN (ZkUser.user_id); slot uids are per device. All
 * lists of a plan are sorted: devices by id, then PIN (bsd_pin_compare),
 * then index.
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "bsd-person.h"
#include "bsd-snapshot.h"
#include "zk-records.h"

G_BEGIN_DECLS

#define BSD_PLAN_MAX_UID 65534
#define BSD_PLAN_N_FINGERS 10
#define BSD_PLAN_N_FACES 15

/* --------------------------------------------------------------- input */

typedef struct
{
  guint area_id;        /* for reports, 0 = none */
  char *area_name;      /* for reports, may be NULL */
  GPtrArray *snapshots; /* BsdSnapshot*, owned: the reachable devices of the area */
  /* char *pin → BsdPerson*; the key is the person's own pin string
   * (bsd_plan_input_add_person() does this) */
  GHashTable *roster;
  GHashTable *tombstones; /* set of char *pin, keys owned (g_free) */
  GArray *unreachable;    /* guint device ids in the area that could not be read */
} BsdPlanInput;

BsdPlanInput *bsd_plan_input_new (void);
void bsd_plan_input_free (BsdPlanInput *input);
/* these take ownership */
void bsd_plan_input_add_snapshot (BsdPlanInput *input, BsdSnapshot *snapshot);
void bsd_plan_input_add_person (BsdPlanInput *input, BsdPerson *person);
void bsd_plan_input_add_tombstone (BsdPlanInput *input, const char *pin);
void bsd_plan_input_add_unreachable (BsdPlanInput *input, guint device_id);

/* ---------------------------------------------------------------- plan */

typedef enum
{
  BSD_PLAN_ITEM_USER,
  BSD_PLAN_ITEM_FINGER,
  BSD_PLAN_ITEM_FACE,
} BsdPlanItemKind;

typedef enum /*< flags >*/
{
  BSD_USER_FIELD_NONE = 0,
  BSD_USER_FIELD_NAME = 1 << 0,
  BSD_USER_FIELD_PRIVILEGE = 1 << 1,
  BSD_USER_FIELD_PASSWORD = 1 << 2,
  BSD_USER_FIELD_CARD = 1 << 3,
  BSD_USER_FIELD_GROUP = 1 << 4,
} BsdUserFields;

typedef enum
{
  BSD_SKIP_NO_PIN,                /* user record without user id: ignored */
  BSD_SKIP_INVALID_PIN,           /* user id that is not valid UTF-8 text */
  BSD_SKIP_INVALID_UID,           /* slot 0 or 65535 */
  BSD_SKIP_DUPLICATE_UID,         /* two records in one slot: the first sorted is kept */
  BSD_SKIP_DUPLICATE_PIN,         /* one PIN in two slots: the lowest slot is kept */
  BSD_SKIP_ORPHAN,                /* template/face in a slot without a usable user */
  BSD_SKIP_DUPLICATE_INDEX,       /* the same finger/face listed twice for one slot */
  BSD_SKIP_INVALID_INDEX,         /* finger > 9, face > 14 */
  BSD_SKIP_PIN_NOT_REPRESENTABLE, /* 28-byte device: not a plain number ≤ 4294967295 */
  BSD_SKIP_PIN_TOO_LONG,          /* longer than the device's PIN width */
  BSD_SKIP_PASSWORD_TOO_LONG,     /* longer than 8 (72-byte) or 5 (28-byte) */
  BSD_SKIP_NO_FREE_SLOT,          /* slots 1…65534 all taken */
  BSD_SKIP_USER_NOT_ON_DEVICE,    /* template/face of a user this device will not hold */
  BSD_SKIP_ALGORITHM_VERSION,     /* no source with this device's ~ZKFPVersion */
  BSD_SKIP_NO_FACE_SUPPORT,       /* face to a device without face support */
  BSD_SKIP_FACE_VERSION,          /* no source with this device's face version */
  BSD_SKIP_SLOT_DIFFERENT,        /* the slot holds a different template: never overwritten */
} BsdSkipReason;

typedef enum
{
  BSD_WINNER_CENTRAL_EDIT,
  BSD_WINNER_PRIMARY,
  BSD_WINNER_LOWEST_DEVICE_ID,
} BsdWinnerReason;

/* users_add / users_update / users_delete entry */
typedef struct
{
  char *pin;
  guint16 uid;           /* slot on this device (the chosen free one for adds) */
  ZkUser *record;        /* add/update: what to write (uid and user_id set);
                          * delete: the record as read */
  BsdUserFields changed; /* update: fields that differ */
} BsdPlanUser;

/* templates_add / faces_add entry */
typedef struct
{
  char *pin;
  guint16 uid;  /* slot of the user on this device (existing or planned) */
  guint8 index; /* finger 0–9 or face 0–14 */
  guint8 valid;
  GBytes *data;
  guint source_device;
} BsdPlanTemplate;

/* photos_add entry: a comparison photo the device makes a face of its
 * own version from, where no face of that version is in the area */
typedef struct
{
  char *pin;
  guint16 uid;  /* slot of the user on this device (existing or planned) */
  GBytes *data; /* the JPEG */
  guint source_device;
} BsdPlanPhoto;

typedef struct
{
  BsdPlanItemKind kind;
  char *pin;   /* may be "" when the record has none */
  guint16 uid; /* slot concerned on this device, 0 = none */
  gint index;  /* finger/face index, -1 for users */
  BsdSkipReason reason;
  char *text;
} BsdPlanSkip;

typedef struct
{
  guint device_id; /* 0 = the roster */
  char *value;     /* display form: passwords hidden, templates as hashes */
} BsdConflictValue;

typedef struct
{
  char *pin;
  BsdPlanItemKind kind;
  gint index;        /* finger/face index, -1 for user fields */
  char *field;       /* "name", "privilege", "password", "card", "group", "finger", "face" */
  GPtrArray *values; /* BsdConflictValue*, by device id */
  char *winner_value;
  guint winner_device; /* 0 = the roster (central edit) */
  BsdWinnerReason reason;
} BsdPlanConflict;

typedef struct
{
  guint64 current;
  guint64 after;
  guint64 capacity; /* 0 = unknown */
  gboolean exceeded;
} BsdCapacityCheck;

typedef struct
{
  guint users_add;
  guint users_update;
  guint users_delete;
  guint templates_add;
  guint faces_add;
  guint photos_add;
  guint skips;
} BsdPlanCounts;

typedef struct
{
  guint device_id;
  char *name;
  GPtrArray *users_add;     /* BsdPlanUser*, by PIN */
  GPtrArray *users_update;  /* BsdPlanUser*, by PIN */
  GPtrArray *users_delete;  /* BsdPlanUser*, by PIN then uid */
  GPtrArray *templates_add; /* BsdPlanTemplate*, by PIN then finger */
  GPtrArray *faces_add;     /* BsdPlanTemplate*, by PIN then face */
  GPtrArray *photos_add;    /* BsdPlanPhoto*, by PIN */
  GPtrArray *skips;         /* BsdPlanSkip*, by PIN, kind, index */
  BsdCapacityCheck users;
  BsdCapacityCheck fingers;
  BsdCapacityCheck faces;
  /* capacity preflight: nothing is added or updated; the deletions of
   * deleted PINs stay (they only free room, and "after" counts them) */
  gboolean failed;
  char *failure;        /* "device full: …" */
  BsdPlanCounts counts; /* of the lists as they are (deletions and skips only when failed) */
  BsdPlanCounts wanted; /* what the device needed before the preflight */
} BsdDevicePlan;

typedef struct
{
  guint primary_device_id; /* 0 when no device was reachable */
  guint area_id;
  char *area_name;
  GPtrArray *devices;        /* BsdDevicePlan*, by device id */
  GArray *unreachable;       /* guint, sorted */
  GPtrArray *conflicts;      /* BsdPlanConflict*, by PIN, kind, index, field */
  GPtrArray *roster_updates; /* BsdPerson*, by PIN: every PIN of the union */
  GPtrArray *deleted_pins;   /* char*, tombstoned PINs found on some device */

  /*< private >*/
  gint ref_count;
} BsdPlan;

#define BSD_TYPE_PLAN (bsd_plan_get_type ())
GType bsd_plan_get_type (void) G_GNUC_CONST;

BsdPlan *bsd_plan_ref (BsdPlan *plan);
void bsd_plan_unref (BsdPlan *plan);

/* G_IO_ERROR_INVALID_ARGUMENT for inconsistent input (device id 0 or
 * listed twice, unsupported user width); odd records never fail the
 * plan, they become skips */
BsdPlan *bsd_plan_compute (const BsdPlanInput *input, GError **error);

/* the device plan of @device_id, or NULL */
BsdDevicePlan *bsd_plan_get_device (BsdPlan *plan, guint device_id);
/* TRUE when no device gets any write (skips and conflicts may remain) */
gboolean bsd_plan_is_empty (BsdPlan *plan);
/* the whole plan for Preview and job reports; template bytes and
 * passwords never appear, only sizes and sha256 hashes */
JsonNode *bsd_plan_to_json (BsdPlan *plan);
/* the same with every list cut after @max_items entries (0 = all); a
 * member "<list>_omitted" counts what was left out, totals stay whole */
JsonNode *bsd_plan_to_json_full (BsdPlan *plan, guint max_items);

/* who lacks what in the area (Balance, before and after a sync): per
 * device the union PINs, fingers and faces it does not hold and the
 * tombstoned PINs it still holds. Nothing is written or planned. Fails
 * like bsd_plan_compute() on inconsistent input. */
JsonNode *bsd_plan_gaps (const BsdPlanInput *input, GError **error);
/* the same with every list cut after @max_items entries (0 = all), as
 * bsd_plan_to_json_full() does; "counts" stay whole */
JsonNode *bsd_plan_gaps_full (const BsdPlanInput *input, guint max_items, GError **error);

const char *bsd_skip_reason_to_string (BsdSkipReason reason);
const char *bsd_winner_reason_to_string (BsdWinnerReason reason);
const char *bsd_plan_item_kind_to_string (BsdPlanItemKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdPlanInput, bsd_plan_input_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdPlan, bsd_plan_unref)

G_END_DECLS
