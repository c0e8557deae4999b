/* bsd-snapshot.h — one reachable device as read, the planner's input
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "zk-records.h"

G_BEGIN_DECLS

/* one reachable device as read. Versions are compared as strings; NULL
 * or "" means unknown, and an unknown version matches nothing: no
 * template is sent to or taken from such a device. */
typedef struct
{
  guint device_id;    /* > 0; lower = older */
  char *name;         /* for reports, may be NULL */
  guint user_width;   /* ZK_USER_SIZE_72 or ZK_USER_SIZE_28 */
  guint pin_width;    /* ~PIN2Width, 0 = unknown (24 on 72-byte, 10 on 28-byte) */
  char *fp_version;   /* ~ZKFPVersion, "9" / "10" */
  char *face_version; /* ZKFaceVersion, NULL on finger-only devices */
  gboolean face_capable;
  /* makes a face template of its own version from a comparison photo
   * (a push terminal with BioPhotoFun, docs/PUSH.md) */
  gboolean photo_capable;

  /* from GET_FREE_SIZES / options; 0 = unknown (no limit) */
  guint user_capacity;
  guint finger_capacity;
  guint face_capacity; /* users with faces */

  /* counts the device reports; the planner uses the larger of these and
   * what the lists hold */
  guint user_count;
  guint finger_count;
  guint face_count; /* users with faces */

  GPtrArray *users;     /* ZkUser*, owned */
  GPtrArray *templates; /* ZkTemplate*, uid-keyed as on the device, owned */
  GPtrArray *faces;     /* ZkFace*, uid-keyed, owned */
  /* char *pin → GBytes* comparison photo (JPEG) for the face algorithm,
   * both owned; NULL when the device keeps none (every pull terminal) */
  GHashTable *photos;
} BsdSnapshot;

#define BSD_TYPE_SNAPSHOT (bsd_snapshot_get_type ())
GType bsd_snapshot_get_type (void) G_GNUC_CONST;

BsdSnapshot *bsd_snapshot_new (guint device_id, const char *name);
BsdSnapshot *bsd_snapshot_copy (const BsdSnapshot *snapshot);
void bsd_snapshot_free (BsdSnapshot *snapshot);
/* an empty table for BsdSnapshot.photos */
GHashTable *bsd_snapshot_photos_new (void);
/* the PIN in slot @uid, or NULL (no user, or no PIN). When a slot is
 * listed twice, the record the planner keeps counts (lowest PIN). */
const char *bsd_snapshot_lookup_pin (const BsdSnapshot *snapshot, guint16 uid);
/* GUINT_TO_POINTER (uid) → const char *pin (borrowed from @snapshot), as
 * bsd_snapshot_lookup_pin() for every slot; slots without PIN left out */
GHashTable *bsd_snapshot_dup_uid_map (const BsdSnapshot *snapshot);

/* a total order on PINs: numeric ones first, by value (shorter first),
 * then the others bytewise */
int bsd_pin_compare (const char *a, const char *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdSnapshot, bsd_snapshot_free)

G_END_DECLS
