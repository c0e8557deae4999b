/* zk-records.h — record codecs: users, templates, faces, attendance,
 * time, free sizes (ZK-PROTOCOL.md §4, §6, §7)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Decoders never trust their input: a malformed blob gives a
 * ZK_ERROR_PROTOCOL error, a malformed record inside a good blob is
 * skipped and counted in @skips (when given) — a count per reason and a
 * few examples, never one allocation per bad record. Strings from the
 * device pass the rule of zk-text.h here, once.
 */
#pragma once

#include <glib.h>

#include "zk-error.h"
#include "zk-text.h"

G_BEGIN_DECLS

#define ZK_USER_SIZE_72 72
#define ZK_USER_SIZE_28 28
#define ZK_FACE_RECORD_SIZE 2576
#define ZK_FACE_DATA_MAX 2560
#define ZK_FACE_ALL_INDEX 50
#define ZK_TEMPLATE_MAX (64 * 1024)
/* fid 13 for CMD_SSRDELETE_USERTEMP means "all fingers" */
#define ZK_FID_ALL 13

/* --------------------------------------------------------- skipped records */

typedef struct _ZkSkips ZkSkips;

ZkSkips *zk_skips_new (void);
void zk_skips_free (ZkSkips *skips);
/* counts one record skipped for @reason (a static phrase, e.g. "user
 * records in slot 0"); @example_format is only formatted for the first few */
void zk_skips_add (ZkSkips *skips, const char *reason, const char *example_format, ...)
    G_GNUC_PRINTF (3, 4);
/* records skipped for @reason, or for any reason when NULL */
guint64 zk_skips_count (const ZkSkips *skips, const char *reason);
/* appends one line per reason to @lines (char*), e.g. "40000 user records
 * in slot 0 skipped (e.g. record 0; record 1; record 2)" */
void zk_skips_summarize (const ZkSkips *skips, GPtrArray *lines);

/* ------------------------------------------------------------------ time */

/* a broken-down device-local time, no time zone */
typedef struct
{
  guint16 year; /* 2000… */
  guint8 month; /* 1–12 */
  guint8 day;   /* 1–31 */
  guint8 hour;
  guint8 minute;
  guint8 second;
} ZkTime;

/* the 31-day-month encoding of §4.6; the encoder accepts any calendar
 * date from 2000 to 2099 */
guint32 zk_time_encode (const ZkTime *time);
void zk_time_decode (guint32 value, ZkTime *time);
/* is it a real calendar date (no Feb 30, month 1–12, hour < 24)? */
gboolean zk_time_is_valid (const ZkTime *time);
/* 6-byte realtime-event form [Y-2000][M][D][h][m][s] */
void zk_time_decode6 (const guint8 in[6], ZkTime *time);
/* "YYYY-MM-DDThh:mm:ss" */
char *zk_time_to_iso8601 (const ZkTime *time);
gboolean zk_time_from_iso8601 (const char *text, ZkTime *time, GError **error);
/* NULL when the time is not a valid calendar date */
GDateTime *zk_time_to_date_time (const ZkTime *time, GTimeZone *tz);
void zk_time_from_date_time (GDateTime *dt, ZkTime *time);

/* ----------------------------------------------------------------- users */

typedef struct
{
  guint16 uid;      /* device slot 1…65534 */
  guint8 privilege; /* bit0 disabled, bits1–3 role (0, 2, 6, 14) */
  char password[9]; /* NUL-terminated; 8 bytes max on 72, 5 on 28 */
  char *name;       /* UTF-8, owned */
  guint32 card;     /* 0 = none */
  guint8 group;
  guint16 timezones[4];
  char user_id[25]; /* the PIN: cross-device identity; decoded users hold a
                     * clean one or "" (the PIN was not clean: the slot is
                     * taken, the record is no one's) */
} ZkUser;

ZkUser *zk_user_new (void);
ZkUser *zk_user_copy (const ZkUser *user);
void zk_user_free (ZkUser *user);
/* compares name, privilege, password, card, group (not uid/timezones) */
gboolean zk_user_same_record (const ZkUser *a, const ZkUser *b);

/* @encoding: the device's text encoding, NULL = UTF-8. Names are display
 * strings (made valid, never rejected); a user id that is not clean after
 * the encoding is applied is decoded as "" (see ZkUser). @width: 72 or 28.
 * Returns FALSE with a
 * ZK_ERROR_INVALID_ARGUMENT when the record cannot be represented (28-byte
 * user_id not numeric, name not convertible …). Names are truncated on a
 * character boundary. */
gboolean
zk_user_encode (const ZkUser *user, guint width, const char *encoding, guint8 *out, GError **error);
ZkUser *zk_user_decode (const guint8 *record, guint width, const char *encoding);

/* infers the record width: from @count_hint when the division is exact
 * and gives 72 or 28, else from @width_hint (0 = unknown), else from the
 * length alone. Returns 0 when no width fits. */
guint zk_users_infer_width (gsize records_len, guint count_hint, guint width_hint);

/* @data: the records after the blob's u32 length. Returns an array of
 * ZkUser*, or NULL with ZK_ERROR_PROTOCOL when no width fits. Users whose
 * PIN is not clean are returned with an empty user_id and counted in @skips. */
GPtrArray *zk_users_decode (const guint8 *data,
                            gsize len,
                            guint count_hint,
                            guint width_hint,
                            const char *encoding,
                            guint *width_out,
                            ZkSkips *skips,
                            GError **error);

/* ------------------------------------------------- templates and faces */

/* one biometric template: a fingerprint (fid 0–9, valid 1, 3 duress or 0
 * invalid) or a face (fid 0–14, at most ZK_FACE_DATA_MAX bytes). The two
 * are the same record, so they are one type */
typedef struct
{
  guint16 uid;
  guint8 fid;
  guint8 valid;
  GBytes *data;
} ZkTemplate;

typedef ZkTemplate ZkFace;

ZkTemplate *zk_template_new (guint16 uid, guint8 fid, guint8 valid, GBytes *data);
ZkTemplate *zk_template_copy (const ZkTemplate *tmpl);
void zk_template_free (ZkTemplate *tmpl);
/* by uid, fid, valid, then the bytes */
int zk_template_compare (const ZkTemplate *a, const ZkTemplate *b);
/* the same for g_ptr_array_sort() on an array of ZkTemplate* (or ZkFace*) */
gint zk_template_sort_func (gconstpointer a, gconstpointer b);

static inline ZkFace *
zk_face_new (guint16 uid, guint8 fid, guint8 valid, GBytes *data)
{
  return zk_template_new (uid, fid, valid, data);
}

static inline ZkFace *
zk_face_copy (const ZkFace *face)
{
  return zk_template_copy (face);
}

static inline void
zk_face_free (ZkFace *face)
{
  zk_template_free (face);
}

/* table entry: [u16 size = len + 6][u16 uid][u8 fid][u8 valid][bytes] */
void zk_template_append_entry (GByteArray *out, const ZkTemplate *tmpl);
/* @max_templates: more entries than this is a ZK_ERROR_PROTOCOL (0 = no limit) */
GPtrArray *zk_templates_decode (
    const guint8 *data, gsize len, guint max_templates, ZkSkips *skips, GError **error);

/* appends one complete 2576-byte face record */
void zk_face_append_record (GByteArray *out, const ZkFace *face);
GPtrArray *zk_faces_decode (const guint8 *data, gsize len, ZkSkips *skips, GError **error);

/* ------------------------------------------------------------ attendance */

typedef struct
{
  guint16 uid;
  /* the PIN: a decoded punch is never dropped for its PIN, so one that is
   * not clean is kept escaped ("\xNN" per offending byte, zk-text.h) */
  char user_id[ZK_PIN_ESCAPED_MAX + 1];
  guint8 verify; /* verify method: 0 password, 1 finger, 2 card, 15 face … */
  guint8 state;  /* 0 in, 1 out, 2 break-out, 3 break-in, 4 OT-in, 5 OT-out, 255 none */
  ZkTime time;   /* device local */
  guint32 workcode;
} ZkAttendance;

ZkAttendance *zk_attendance_copy (const ZkAttendance *att);
void zk_attendance_free (ZkAttendance *att);

/* widths 40 (and any ≥ 40: the first 40 bytes), 16, 8 */
guint zk_attendance_infer_width (gsize records_len, guint count_hint, guint width_hint);
gboolean zk_attendance_encode (const ZkAttendance *att, guint width, guint8 *out, GError **error);
/* records with an impossible time or no user id are skipped (@skips);
 * a PIN that is not clean is escaped, its punch kept */
GPtrArray *zk_attendance_decode (const guint8 *data,
                                 gsize len,
                                 guint count_hint,
                                 guint width_hint,
                                 guint *width_out,
                                 ZkSkips *skips,
                                 GError **error);

/* an EF_ATTLOG event payload (ZK-PROTOCOL.md §8.2), told apart by its
 * length: 10 (old BW: u16 uid), 12 (u32 PIN number), 14 (the 10-byte form
 * and 4 bytes), 32 (char[24] PIN), 36 (32 + u32 work code; the state's
 * bit 7 is a validity flag and is dropped, so the punch has the natural
 * key of its log record), 37 and ≥ 52 (the 32-byte form and extra bytes).
 * FALSE with ZK_ERROR_PROTOCOL for a length no terminal is known to send,
 * an impossible time or no PIN; a PIN that is not clean is escaped */
gboolean
zk_attendance_decode_event (const guint8 *data, gsize len, ZkAttendance *att, GError **error);

/* -------------------------------------------------------------- free sizes */

typedef struct
{
  guint n_ints; /* 20 or 23 (or more) */
  gint32 users;
  gint32 fingers;
  gint32 records;
  gint32 oplogs;
  gint32 admins;
  gint32 passwords;
  gint32 finger_capacity;
  gint32 user_capacity;
  gint32 record_capacity;
  gint32 fingers_available;
  gint32 users_available;
  gint32 records_available;
  gint32 faces;         /* users with faces; 0 when n_ints < 23 */
  gint32 face_capacity; /* 0 when n_ints < 23 */
} ZkSizes;

gboolean zk_sizes_decode (const guint8 *data, gsize len, ZkSizes *sizes, GError **error);
/* writes 20 or 23 ints */
void zk_sizes_encode (const ZkSizes *sizes, guint n_ints, GByteArray *out);

/* ------------------------------------------------------------- members */

/* a record as named values, in one order, for whoever writes it out
 * (biosync-sim's fixtures, biosync-zk --json): one list of members, so
 * the writers never disagree on a name */
typedef enum
{
  ZK_MEMBER_INT,
  ZK_MEMBER_BOOL,
  ZK_MEMBER_TEXT,   /* text from a terminal: not always UTF-8 */
  ZK_MEMBER_STRING, /* a password, a time */
  ZK_MEMBER_BYTES,
} ZkMemberKind;

typedef struct
{
  const char *name;
  ZkMemberKind kind;
  gint64 number;    /* ZK_MEMBER_INT, ZK_MEMBER_BOOL */
  const char *text; /* ZK_MEMBER_TEXT, ZK_MEMBER_STRING; never NULL from zk's records */
  GBytes *bytes;    /* ZK_MEMBER_BYTES */
} ZkMember;

typedef void (*ZkMemberFunc) (const ZkMember *member, gpointer user_data);
/* calls @func for each member of @record, in order; the record functions
 * below all fit, so one writer serves every kind of record */
typedef void (*ZkForeachMemberFunc) (gconstpointer record, ZkMemberFunc func, gpointer user_data);

/* a record's table of members, given to @func in order */
void zk_members_foreach (const ZkMember *members,
                         gsize n_members,
                         ZkMemberFunc func,
                         gpointer user_data);

/* a ZkUser: uid, user_id, name, privilege, password, card, group */
void zk_user_foreach_member (gconstpointer user, ZkMemberFunc func, gpointer user_data);
/* a ZkTemplate, finger or face: uid, fid, valid, template */
void zk_template_foreach_member (gconstpointer tmpl, ZkMemberFunc func, gpointer user_data);
/* a ZkAttendance: uid, user_id, time (ISO 8601, device local), verify,
 * state, workcode */
void zk_attendance_foreach_member (gconstpointer att, ZkMemberFunc func, gpointer user_data);
/* a ZkSizes: each count with its capacity and what is available */
void zk_sizes_foreach_member (gconstpointer sizes, ZkMemberFunc func, gpointer user_data);

/* ------------------------------------------------------------- options */

/* parses "Name=Value\0" (NUL optional, stray '=' tolerated); returns the
 * value as a display string (zk-text.h) or NULL with ZK_ERROR_PROTOCOL */
char *zk_option_parse_reply (const guint8 *data, gsize len, const char *name, GError **error);
/* the raw value bytes of such a reply (for identity options like
 * ~SerialNumber, which take the other rule); NULL with ZK_ERROR_PROTOCOL */
GBytes *
zk_option_parse_reply_bytes (const guint8 *data, gsize len, const char *name, GError **error);

/* ------------------------------------------------------------- helpers */

/* copies a fixed-width NUL-padded field into a C string (always terminated) */
void zk_copy_field (char *dest, gsize dest_size, const guint8 *src, gsize src_len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZkSkips, zk_skips_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZkUser, zk_user_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZkTemplate, zk_template_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZkFace, zk_face_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZkAttendance, zk_attendance_free)

G_END_DECLS
