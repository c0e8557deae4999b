/* push-format.h — what the receiver sends a push terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Replies of docs/PUSH-PROTOCOL.md §4.1 (2.x handshake) and §7 (3.x),
 * the TimeZone value of §9, and command lines "C:<id>:<command>" (§6).
 * Every reply ends with LF (old firmware drops an unterminated last
 * line, §13.21). A command field holding TAB, CR, LF or NUL is refused
 * (PUSH_ERROR_UNSAFE, §12): it would open a new field or command.
 */
#pragma once

#include <glib.h>

#include "push-records.h"

G_BEGIN_DECLS

/* the upload marks echoed in the handshake (§8); 0 = everything again */
typedef struct
{
  gint64 attlog;
  gint64 operlog;
  gint64 biodata;
} PushStamps;

/* §9: whole hours as hours (−12…12), anything else in minutes (330,
 * 780 for UTC+13), never a value 13–60 in absolute terms */
char *push_format_time_zone (gint offset_minutes);

/* what the replies tell every device: poll every PUSH_DELAY_S seconds
 * when idle (2.x Delay, 3.x RequestDelay), retry PUSH_ERROR_DELAY_S after
 * a failure; the engine's wait for a terminal derives from them */
#define PUSH_DELAY_S 5
#define PUSH_ERROR_DELAY_S 30

/* the 2.x options block of §4.1 for an accepted device */
char *push_format_options_2 (const char *serial, const PushStamps *stamps, gint offset_minutes);
/* the 3.x handshake of §7 for a registered device */
char *push_format_options_3 (const char *registry_code, gint offset_minutes);

/* a command without its "C:<id>:": "<verb>[ k=v⇥k=v…]". @pairs is key,
 * value, key, value…, NULL. What the queue stores. */
char *push_format_command (const char *verb, const char *const *pairs, GError **error);
/* "C:<id>:<command>" (no LF); @id: letters and digits, ≤ 16; @command
 * must not hold CR, LF or NUL */
char *push_format_command_line (const char *id, const char *command, GError **error);

/* DATA UPDATE USERINFO (2.x) or DATA UPDATE user (3.x): the whole record
 * is replaced on the device (§13.13), so every field is sent */
char *push_format_user_update (PushDialect dialect, const PushUser *user, GError **error);
/* DATA DELETE USERINFO PIN= (2.x) or DATA DELETE user Pin= (3.x) */
char *push_format_user_delete (PushDialect dialect, const char *pin, GError **error);
/* DATA UPDATE BIODATA (2.x) or DATA UPDATE biodata (3.x) */
char *push_format_biodata_update (PushDialect dialect, const PushTemplate *tmpl, GError **error);
/* a comparison photo sent for extraction, decoded bytes: its base64 and
 * the rest of the command stay well inside a device's line buffer (a
 * photo line can be ~95 KB, PUSH-PROTOCOL.md §2) */
#define PUSH_PHOTO_MAX (96 * 1024)
/* DATA UPDATE BIOPHOTO PIN=⇥Type=⇥Size=⇥Content=⇥Format=0⇥PostBackTmpFlag=1
 * (2.x, §6.2) or DATA UPDATE biophoto Pin=⇥… (3.x, §7): the device makes
 * its own template of @type from the JPEG @photo and uploads it.
 * PUSH_ERROR_INVALID for an empty photo or one over PUSH_PHOTO_MAX. */
char *push_format_biophoto_update (
    PushDialect dialect, const char *pin, guint type, GBytes *photo, GError **error);
/* the handshakes' MultiBioPhotoSupport offers photos of @type: a device
 * takes photos only of the types both lists offer (§4.1) */
gboolean push_format_server_takes_photo (guint type);
/* DATA UPDATE FINGERTMP (legacy fingerprints, 2.x) */
char *push_format_fingertmp_update (const PushTemplate *tmpl, GError **error);
/* DATA QUERY USERINFO [PIN=] / BIODATA Type=[⇥PIN=] / ATTLOG StartTime=⇥EndTime= */
char *push_format_query_users (const char *pin, GError **error);
char *push_format_query_biodata (guint type, const char *pin, GError **error);
char *push_format_query_attlog (const char *start, const char *end, GError **error);
/* 3.x: DATA QUERY tablename=<table>,fielddesc=*,filter=* (all rows; the
 * answer comes through querydata, the Return is the row count, §7) */
char *push_format_query_table_3 (const char *table, GError **error);

/* @lines (char*, without LF) as a getrequest reply: each line ends with
 * LF; "OK\n" when empty */
char *push_format_commands (GPtrArray *lines);

G_END_DECLS
