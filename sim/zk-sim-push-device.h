/* zk-sim-push-device.h — ZkSimPushDevice: a simulated push (ADMS/iclock) terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The device side of docs/PUSH-PROTOCOL.md §11: an HTTP client that
 * knocks at its server, polls for commands, runs them as firmware does
 * and uploads punches, user changes and templates in batches. Each
 * started device runs on a thread of its own (blocking HTTP, like the
 * firmware's push task). Every public function is thread-safe.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  ZK_SIM_PUSH_MODEL_FP, /* fingerprint unit: BIODATA type 1, FP 10.0 */
  ZK_SIM_PUSH_MODEL_VL, /* visible-light face unit: types 1 and 9 */
} ZkSimPushModel;

typedef struct
{
  char *name;
  char *serial;
  char *server; /* "http://127.0.0.1:PORT", or NULL until set */
  char *pushver;
  char *firmware;
  guint dialect; /* 2 ("att", the default) or 3 ("acc"/security) */
  ZkSimPushModel model;
  guint face_major;      /* VL face algorithm major version, 39 or 40 */
  gboolean bio_photo;    /* VL: extracts its own face template from a BIOPHOTO */
  guint delay_s;         /* poll interval until a server says otherwise */
  guint error_delay_s;   /* wait after a failure until a server says otherwise */
  guint timeout_s;       /* one request, connect to last byte */
  gboolean old_firmware; /* HTTP/1.0, drops an unterminated last line */
  guint user_capacity;
  guint template_capacity;
  guint record_capacity;
} ZkSimPushConfig;

void zk_sim_push_config_clear (ZkSimPushConfig *config);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ZkSimPushConfig, zk_sim_push_config_clear)

typedef struct
{
  char *pin;
  char *name;
  guint privilege;
  char *password;
  char *card;
  guint group;
} ZkSimPushUser;

typedef struct
{
  char *pin;
  guint no;
  guint index;
  guint valid;
  guint duress;
  guint type; /* 1 fingerprint, 9 visible-light face … */
  guint major;
  guint minor;
  guint format;
  GBytes *data;
} ZkSimPushBio;

/* a comparison photo (BIOPHOTO) the unit keeps of a user */
typedef struct
{
  char *pin;
  guint type;    /* 9: visible-light face */
  GBytes *data;  /* a JPEG */
  gboolean sent; /* the server has it */
} ZkSimPushPhoto;

typedef struct
{
  char *pin;
  char time[20]; /* device-local "YYYY-MM-DD HH:MM:SS" */
  guint status;
  guint verify;
  guint workcode;
} ZkSimPushPunch;

#define ZK_TYPE_SIM_PUSH_DEVICE (zk_sim_push_device_get_type ())
G_DECLARE_FINAL_TYPE (ZkSimPushDevice, zk_sim_push_device, ZK, SIM_PUSH_DEVICE, GObject)

ZkSimPushDevice *zk_sim_push_device_new (const ZkSimPushConfig *config, GError **error);

const char *zk_sim_push_device_get_name (ZkSimPushDevice *self);
const char *zk_sim_push_device_get_serial (ZkSimPushDevice *self);
/* a copy of the configuration (server URL as it is now) */
void zk_sim_push_device_get_config (ZkSimPushDevice *self, ZkSimPushConfig *config);

/* the device's thread: power-on sequence, then polls and uploads */
void zk_sim_push_device_start (ZkSimPushDevice *self);
/* ends the thread, cancelling a request in flight; idempotent */
void zk_sim_push_device_stop (ZkSimPushDevice *self);

gboolean zk_sim_push_device_set_server (ZkSimPushDevice *self, const char *url, GError **error);
/* poll (and upload) now instead of at the end of Delay */
void zk_sim_push_device_poll_now (ZkSimPushDevice *self);

/* fixture data, as the device already holds it (nothing is uploaded) */
gboolean
zk_sim_push_device_load_user (ZkSimPushDevice *self, const ZkSimPushUser *user, GError **error);
gboolean
zk_sim_push_device_load_bio (ZkSimPushDevice *self, const ZkSimPushBio *bio, GError **error);
/* a photo of a user it holds, type 9 on a VL unit, a JPEG of at most
 * ZK_SIM_PUSH_PHOTO_MAX bytes; one not sent goes up at first contact as an
 * OPERLOG BIOPHOTO line (one per post) when the server asks for BioPhoto
 * and takes type 9 photos (MultiBioPhotoSupport) */
#define ZK_SIM_PUSH_PHOTO_MAX (128 * 1024)
gboolean
zk_sim_push_device_load_photo (ZkSimPushDevice *self, const ZkSimPushPhoto *photo, GError **error);
/* a small JPEG standing for @pin's face */
GBytes *zk_sim_push_make_photo (const char *pin);
/* @sent: the server already has it */
gboolean zk_sim_push_device_load_punch (ZkSimPushDevice *self,
                                        const ZkSimPushPunch *punch,
                                        gboolean sent,
                                        GError **error);

/* done on the device itself: stored, then uploaded as firmware does
 * (ATTLOG; OPLOG + USER/FP lines; BIODATA) */
gboolean zk_sim_push_device_punch (ZkSimPushDevice *self,
                                   const char *pin,
                                   const char *time,
                                   int status,
                                   int verify,
                                   GError **error);
gboolean zk_sim_push_device_enroll_user (ZkSimPushDevice *self,
                                         const char *pin,
                                         const char *name,
                                         GError **error);
gboolean zk_sim_push_device_delete_user (ZkSimPushDevice *self, const char *pin, GError **error);
/* @type 1 (finger @no 0–9) or 9 (VL face, @no 0); generated bytes */
gboolean zk_sim_push_device_enroll_bio (
    ZkSimPushDevice *self, const char *pin, guint type, guint no, GError **error);
gboolean zk_sim_push_device_delete_bio (
    ZkSimPushDevice *self, const char *pin, guint type, guint no, GError **error);

/* "offline on|off", "slow-polls MS", "reboot [all]", "lost-results",
 * "duplicate-results", "crlf", "trailing-tab", "aspx", "stamp-9999",
 * "other-dialect on|off", "drop-writes on|off", "clear" (docs/SIMULATOR.md) */
gboolean zk_sim_push_device_apply_fault (ZkSimPushDevice *self,
                                         const char *name,
                                         const char *const *args,
                                         GError **error);

/* "users", "templates", "faces", "attendance", "unsent" */
guint zk_sim_push_device_count (ZkSimPushDevice *self, const char *what);
char *zk_sim_push_device_stats_json (ZkSimPushDevice *self);
/* copies of the data, for the fixture dump */
GPtrArray *zk_sim_push_device_dup_users (ZkSimPushDevice *self);
GPtrArray *zk_sim_push_device_dup_bios (ZkSimPushDevice *self);
GPtrArray *zk_sim_push_device_dup_photos (ZkSimPushDevice *self);
/* @sent_out: how many of the punches (from the first) the server has */
GPtrArray *zk_sim_push_device_dup_punches (ZkSimPushDevice *self, guint *sent_out);

ZkSimPushUser *zk_sim_push_user_copy (const ZkSimPushUser *user);
void zk_sim_push_user_free (ZkSimPushUser *user);
ZkSimPushBio *zk_sim_push_bio_copy (const ZkSimPushBio *bio);
void zk_sim_push_bio_free (ZkSimPushBio *bio);
ZkSimPushPhoto *zk_sim_push_photo_copy (const ZkSimPushPhoto *photo);
void zk_sim_push_photo_free (ZkSimPushPhoto *photo);
ZkSimPushPunch *zk_sim_push_punch_copy (const ZkSimPushPunch *punch);
void zk_sim_push_punch_free (ZkSimPushPunch *punch);

G_END_DECLS
