/* push-records.h — the records a push terminal uploads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Pure parsers of docs/PUSH-PROTOCOL.md §4–§5 and §7: bodies as bytes
 * with the limits of push-limits.h. A malformed record is skipped and
 * counted per reason (ZkSkips), never fatal; strings pass zk-text.h once
 * here: PINs are identities (a user or template with an unclean PIN is
 * skipped, a punch keeps its PIN escaped), names and other text are
 * display strings (invalid bytes become U+FFFD, never dropped).
 */
#pragma once

#include <glib.h>

#include "push-request.h"
#include "zk-records.h"

G_BEGIN_DECLS

/* BIODATA Type (§5.6) */
#define PUSH_BIO_FINGER 1
#define PUSH_BIO_FACE_NIR 2
#define PUSH_BIO_FINGER_VEIN 7
#define PUSH_BIO_FACE_VL 9

typedef struct
{
  char *pin;
  char *name;
  guint privilege;
  char *password;
  char *card; /* as sent: "[15CD5B07]" or decimal; "" = none */
  guint group;
  char *time_zones; /* TZ=, 16 digits or "" */
  gint verify;      /* -1 = group mode */
} PushUser;

typedef struct
{
  char *pin;
  guint type;  /* §5.6: 1 finger, 2 NIR face, 7 vein, 9 VL face … */
  guint no;    /* finger 0–9, face 0 */
  guint index; /* template number within @no */
  gboolean valid;
  gboolean duress;
  guint major_version; /* 0 = not said (FP/FACE lines) */
  guint minor_version;
  guint format; /* 0 ZK, 1 ISO, 2 ANSI */
  GBytes *data; /* decoded */
} PushTemplate;

typedef struct
{
  char *pin;
  gboolean biophoto; /* BIOPHOTO (comparison photo) or USERPIC */
  guint type;
  GBytes *data; /* decoded JPEG */
} PushPhoto;

/* what one upload holds, whatever its table */
typedef struct
{
  GPtrArray *punches;      /* ZkAttendance* (ATTLOG, 3.x rtlog) */
  GPtrArray *users;        /* PushUser* (OPERLOG USER, 3.x user) */
  GPtrArray *templates;    /* PushTemplate* (FP, FACE, FVEIN, BIODATA, 3.x biodata) */
  GPtrArray *photos;       /* PushPhoto* (USERPIC, BIOPHOTO) */
  GPtrArray *deleted_pins; /* char*: OPLOG 9 (user deleted on the device) */
  guint records;           /* lines that were records, kept or skipped */
  guint ignored;           /* records of no interest (OPLOG, door events …) */
} PushUpload;

void push_user_free (PushUser *user);
void push_template_free (PushTemplate *tmpl);
void push_photo_free (PushPhoto *photo);
void push_upload_free (PushUpload *upload);

/* The records of an upload body. @table (table= of the request, NULL
 * allowed) only decides what a line without a tag is: an ATTLOG punch
 * unless it is a 3.x rtlog line (time=…). Tagged lines (USER, FP, FACE,
 * FVEIN, BIODATA, USERPIC, BIOPHOTO, OPLOG and 3.x user/biodata) are
 * recognized in any table. Fails only for a body over PUSH_BODY_MAX.
 * Device-local times stay as sent. */
PushUpload *push_upload_parse (const char *table, GBytes *body, ZkSkips *skips, GError **error);

/* "k=v,k=v" (commas and LF; a segment without "k=" continues the value
 * before it: "~OEMVendor=ZKTECO CO., LTD."), at most PUSH_OPTIONS_MAX
 * keys; values are display strings. Key → value, case kept. */
GHashTable *push_options_parse (const char *data, gsize len, ZkSkips *skips);

/* the INFO= of a poll (§4.3), by position, 6–13 fields */
typedef struct
{
  char *firmware;
  gint users; /* -1 = not sent or not a number */
  gint fingerprints;
  gint records;
  char *address;
  char *fp_version;
  char *face_version;
  gint faces_per_enroll;
  gint faces;
  char *flags;
} PushInfo;

void push_info_free (PushInfo *info);
/* NULL (PUSH_ERROR_INVALID) with fewer than 6 fields */
PushInfo *push_info_parse (const char *info, GError **error);

/* one command result of a devicecmd body (§4.4) */
typedef struct
{
  char *id;
  gint return_code;
  char *cmd;          /* as sent; never trusted to match */
  GHashTable *values; /* the other key=value of the record (INFO options …) */
  GBytes *content;    /* Content=, to the end of the record; NULL = none */
} PushResult;

void push_result_free (PushResult *result);
/* PushResult*: a record starts at a line "ID=…"; its first line splits
 * on '&', the following lines are one key=value each, Content= takes the
 * rest of the record. Records without an ID or a numeric Return are
 * skipped. */
GPtrArray *push_results_parse (GBytes *body, ZkSkips *skips, GError **error);

/* a device's Return code as a short cause ("PIN not on the device") */
const char *push_return_code_describe (PushDialect dialect, gint code);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PushUser, push_user_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PushTemplate, push_template_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PushPhoto, push_photo_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PushUpload, push_upload_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PushInfo, push_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PushResult, push_result_free)

G_END_DECLS
