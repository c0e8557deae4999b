/* bsd-push-io.h — a push terminal as the sync engine sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A push terminal is never contacted: its "read" is its mirror (what it
 * uploaded), its "apply" is commands in its queue (docs/PUSH.md). These
 * pure functions turn the mirror into the snapshot a pull read gives, and
 * a device plan (or one PIN's change) into command texts; the engine
 * queues them and waits for their results (bsd-engine-push.c).
 */
#pragma once

#include "bsd-plan.h"
#include "push-format.h"

G_BEGIN_DECLS

/* what the terminal said it can do (its options and INFO) */
typedef struct
{
  PushDialect dialect;
  char *fp_version;         /* FPVersion, NULL = not said */
  gboolean biodata_fingers; /* MultiBioDataSupport has type 1: BIODATA, else FINGERTMP */
  gboolean vl_faces;        /* visible-light faces (type 9) */
  guint face_major;         /* their algorithm's major version (FaceVersion), 0 = not said */
  /* makes its own VL face from a comparison photo: BioPhotoFun=1 and type 9
   * in its MultiBioPhotoSupport and in the receiver's (§4.1) */
  gboolean bio_photo;
  guint user_capacity; /* 0 = not said */
  guint finger_capacity;
  guint poll_s; /* its poll interval when idle: Delay / RequestDelay, 0 = not said */
} BsdPushCaps;

/* @options: the stored options as JSON text (bsd_store_get_push_options) */
void bsd_push_caps_init (BsdPushCaps *caps, const char *dialect, const char *options);
void bsd_push_caps_clear (BsdPushCaps *caps);

/* the face version a snapshot of such a terminal carries: faces go only
 * between terminals of the same face algorithm and major version, so a
 * VL face never meets a pull terminal's near-infrared one */
char *bsd_push_caps_face_version (const BsdPushCaps *caps);

/* How long the engine waits for a terminal (seconds): three of its polls
 * and an ErrorDelay, so that one failed poll is no reason to give up. Its
 * poll interval is the Delay (3.x RequestDelay) its options say it uses,
 * else what the receiver tells it (PUSH_DELAY_S), within
 * BSD_PUSH_POLL_MIN_S…BSD_PUSH_POLL_MAX_S (the manual's 2–60 s); past it
 * the device's result is "pending". */
#define BSD_PUSH_POLL_MIN_S 2
#define BSD_PUSH_POLL_MAX_S 60
guint bsd_push_caps_wait_s (const BsdPushCaps *caps);

/* @users (PushUser*), @templates (PushTemplate*), @photos (PushPhoto*, may
 * be NULL) as the mirror holds them: users get slots 1… by PIN (a push
 * terminal has none to keep), a fingerprint is its finger's first
 * template of type 1, a face each template of type 9 of its version, a
 * photo each JPEG comparison photo (BIOPHOTO, not USERPIC) of type 9 of at
 * most PUSH_PHOTO_MAX bytes; the rest (other types, other versions) is
 * left out */
BsdSnapshot *bsd_push_io_snapshot (guint device_id,
                                   const char *name,
                                   const BsdPushCaps *caps,
                                   GPtrArray *users,
                                   GPtrArray *templates,
                                   GPtrArray *photos);

/* what a query of bsd_push_io_queries() asks for besides a template type */
#define BSD_PUSH_QUERY_USERS 0
#define BSD_PUSH_QUERY_INFO G_MAXUINT
/* 3.x: the biodata table, every template type at once */
#define BSD_PUSH_QUERY_BIODATA (G_MAXUINT - 1)

/* The full query of the terminal (char*) in its dialect: its users, then
 * each template type it holds (3.x: its biodata table); @types gets, per
 * command, BSD_PUSH_QUERY_* or the type.
 * @info_only: INFO alone (its result carries the terminal's options: one
 * accepted after its handshake never posted them, and what to query
 * depends on them). */
GPtrArray *
bsd_push_io_queries (const BsdPushCaps *caps, gboolean info_only, GArray *types, GError **error);
/* the terminal's options do not say its algorithm versions yet */
gboolean bsd_push_caps_unknown (const BsdPushCaps *caps);

/* one planned write as a command */
typedef struct
{
  char *command;
  BsdPlanItemKind kind;
  char *pin;
  gint index;         /* finger/face, -1 for users and photos */
  const char *action; /* "add", "update", "delete", "photo" (static) */
} BsdPushWrite;

void bsd_push_write_free (BsdPushWrite *write);

/* the writes of @plan in the order a pull apply makes them (deletions,
 * users, fingerprints, faces), then its photos, BsdPushWrite*; a user the terminal holds
 * (@held: its mirror's PushUser*, or NULL) keeps its access settings */
GPtrArray *bsd_push_io_plan_writes (const BsdPushCaps *caps,
                                    const BsdDevicePlan *plan,
                                    GPtrArray *held,
                                    GError **error);
/* the terminal's record of @record, keeping what it holds of it that a
 * ZK user has no field for (@held: its mirror record, or NULL) */
PushUser *bsd_push_io_user_from_record (const ZkUser *record, const PushUser *held);
/* DATA UPDATE USERINFO of @record, keeping what the terminal holds of it
 * that a ZK user has no field for (@held: its mirror record, or NULL) */
char *bsd_push_io_user_update (const BsdPushCaps *caps,
                               const ZkUser *record,
                               const PushUser *held,
                               GError **error);
/* a ZK user of a mirror record (slot @uid); NULL for a PIN a ZK user
 * cannot hold */
ZkUser *bsd_push_io_user_from_mirror (const PushUser *user, guint16 uid);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdPushWrite, bsd_push_write_free)

G_END_DECLS
