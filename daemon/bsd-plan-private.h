/* bsd-plan-private.h — what the planner's files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Only daemon/bsd-snapshot.c and daemon/bsd-plan*.c include this: the
 * per-device index (Dev, DevPin), the winning record (Record) and the
 * helpers more than one of those files calls.
 */
#pragma once

#include <gio/gio.h>

#include "bsd-json.h"
#include "bsd-plan.h"

G_BEGIN_DECLS

/* 72-byte records keep 23 name bytes (NUL-terminated), 28-byte ones 8 */
#define NAME_WIDTH_72 23
#define NAME_WIDTH_28 8
#define NAME_WIDTH_ROSTER G_MAXSIZE
#define PASSWORD_WIDTH_72 8
#define PASSWORD_WIDTH_28 5
#define PIN_WIDTH_72 24
#define PIN_WIDTH_28 10

typedef struct
{
  char *pin;
  char *name;         /* sanitized copy of the record's name */
  const ZkUser *user; /* as read; NULL when planned */
  guint16 uid;        /* the kept slot, or the planned one */
  gboolean planned;
  GArray *extra_uids; /* guint16: more slots holding this PIN, or NULL */
  const ZkTemplate *fingers[BSD_PLAN_N_FINGERS];
  const ZkFace *faces[BSD_PLAN_N_FACES];
} DevPin;

typedef struct
{
  const BsdSnapshot *snapshot;
  BsdDevicePlan *plan;
  GHashTable *pins;        /* pin → DevPin*, owned */
  GHashTable *uid_users;   /* uid → const ZkUser*, the record kept for that slot */
  GHashTable *uid_fingers; /* uid → template count */
  GHashTable *face_uids;   /* set of uids with faces */
  guint8 *occupied;        /* bitmap over uids 0…65535 */
  guint next_uid;
  guint64 listed_users;
  guint64 listed_fingers;
  guint64 score;
} Dev;
typedef struct
{
  const char *pin;
  char *name;
  gsize name_width; /* of the record the name came from */
  guint8 privilege;
  char *password;
  guint32 card;
  guint8 group;
  const ZkUser *source_user; /* NULL for the roster */
  guint source_width;        /* user width of the source device, 0 for the roster */
  guint winner_device;       /* 0 = roster */
  BsdWinnerReason reason;
  gboolean central_edit;
} Record;
typedef enum
{
  FIELD_NAME,
  FIELD_PRIVILEGE,
  FIELD_PASSWORD,
  FIELD_CARD,
  FIELD_GROUP,
  N_FIELDS
} Field;

extern const char *const bsd_plan_field_names[N_FIELDS];
extern const BsdUserFields bsd_plan_field_flags[N_FIELDS];

/* bsd-snapshot.c */
gboolean bsd_pin_is_set (const char *pin);
gboolean bsd_str_is_digits (const char *s);
int bsd_pin_compare_ptr (gconstpointer a, gconstpointer b);
int bsd_user_compare (gconstpointer pa, gconstpointer pb);
int bsd_template_compare (gconstpointer pa, gconstpointer pb);
int bsd_face_compare (gconstpointer pa, gconstpointer pb);

/* bsd-plan-index.c */
gboolean bsd_plan_version_known (const char *version);
gboolean bsd_plan_versions_match (const char *a, const char *b);
const char *bsd_plan_version_text (const char *version);
gsize bsd_plan_snapshot_name_width (const BsdSnapshot *snapshot);
gsize bsd_plan_snapshot_password_width (const BsdSnapshot *snapshot);
gsize bsd_plan_name_fit_len (const char *name, gsize width);
char *bsd_plan_name_fit (const char *name, gsize width);
gboolean bsd_plan_names_equivalent (const char *a, gsize a_width, const char *b, gsize b_width);
char *bsd_plan_sanitize_text (const char *text);
void bsd_plan_add_text (JsonBuilder *builder, const char *text);
/* "member": value, every string through bsd_plan_add_text() */
void bsd_plan_json_text (JsonBuilder *builder, const char *member, const char *text);
void bsd_plan_json_text_or_null (JsonBuilder *builder, const char *member, const char *text);
gboolean bsd_plan_bytes_equal (GBytes *a, GBytes *b);
char *bsd_plan_bytes_sha256 (GBytes *bytes);
gsize bsd_plan_bytes_size (GBytes *bytes);
void bsd_plan_add_skip (BsdDevicePlan *plan,
                        BsdPlanItemKind kind,
                        const char *pin,
                        guint16 uid,
                        gint index,
                        BsdSkipReason reason,
                        char *text /* owned */);
void bsd_plan_occupy (Dev *dev, guint uid);
gboolean bsd_plan_is_occupied (Dev *dev, guint uid);
gboolean bsd_plan_validate_input (const BsdPlanInput *input, GError **error);
gboolean bsd_plan_is_tombstoned (const BsdPlanInput *input, const char *pin);
GPtrArray *bsd_plan_index_devices (const BsdPlanInput *input, GPtrArray *plans);
GPtrArray *bsd_plan_build_union (const BsdPlanInput *input, GPtrArray *devs);
DevPin *bsd_plan_dev_lookup (Dev *dev, const char *pin);
DevPin *bsd_plan_dev_holds (Dev *dev, const char *pin);

/* bsd-plan-record.c */
void bsd_plan_record_clear (Record *record);
gboolean
bsd_plan_dev_field_matches (const Dev *dev, const DevPin *dp, const Record *record, Field field);
void bsd_plan_resolve_record (Record *record,
                              const BsdPlanInput *input,
                              GPtrArray *devs,
                              Dev *primary,
                              const char *pin,
                              GPtrArray *conflicts);

/* bsd-plan.c */
void bsd_plan_conflict_value_free (BsdConflictValue *value);
BsdDevicePlan *bsd_plan_device_plan_new (const BsdSnapshot *snapshot);
void bsd_plan_device_plan_free (BsdDevicePlan *plan);
gconstpointer bsd_plan_dev_pin_item (const DevPin *dp, BsdPlanItemKind kind, guint index);
GArray *bsd_plan_sorted_unreachable (const BsdPlanInput *input);

G_END_DECLS
