/* zk-text.h — the one rule for strings that come from a terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every string a terminal sends is made safe once, where it is decoded
 * (zk-records, the client), by one of two rules (docs/SECURITY.md):
 *
 *  - identity strings (PIN/user_id, serial number) are compared and
 *    stored: one is "clean" when it is valid UTF-8 without bytes below
 *    0x20, without 0x7F, without C1 control characters (U+0080–U+009F)
 *    and without a backslash. A value that is not
 *    clean is either refused (users, templates, faces: their record is
 *    skipped) or escaped reversibly (punches, serials): each offending
 *    byte becomes "\xNN". Clean values never hold a backslash, so an
 *    escaped value can never equal a clean one;
 *  - display strings (names, firmware, platform, option values) are only
 *    shown: invalid UTF-8 and control characters (C0, DEL, C1) become
 *    U+FFFD.
 *
 * After this, every JSON, report, log line and database row made from
 * device data is valid text.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* the longest escaped form of a 24-byte PIN: "\xNN" for every byte */
#define ZK_PIN_ESCAPED_MAX (24 * 4)

/* @len bytes of @text (-1: up to the NUL) form a clean identity */
gboolean zk_text_identity_is_clean (const char *text, gssize len);
/* @text with every byte that keeps it from being clean as "\xNN" (lower
 * case hex); clean text comes back unchanged. Never NULL. */
char *zk_text_identity_escape (const char *text, gssize len);
/* into a caller's buffer of @size bytes; FALSE (and @out empty) when the
 * escaped form does not fit */
gboolean zk_text_identity_escape_to (const char *text, gssize len, char *out, gsize size);
/* @text as valid UTF-8 without control characters (each invalid byte or
 * control character becomes U+FFFD). Never NULL. */
char *zk_text_display (const char *text, gssize len);
/* is @text valid UTF-8 without control characters? */
gboolean zk_text_display_is_clean (const char *text, gssize len);

G_END_DECLS
