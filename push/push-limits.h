/* push-limits.h — what a push terminal may send, in one place
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every limit the receiver and the parsers enforce, with the reason it
 * has this value (docs/PUSH-PROTOCOL.md §2, §10, §12). Input beyond a
 * limit is refused (a request) or skipped and counted (a record), never
 * truncated silently.
 */
#pragma once

/* a request body: above every package size devices announce (servers
 * advertise MaxPostSize=1048576, 3.x MaxPackageSize=2048000) and below
 * the 10 MiB §12 allows; times PUSH_CONNECTIONS_MAX it bounds memory */
#define PUSH_BODY_MAX (4 * 1024 * 1024)
/* one line: a comparison photo line is ~95 KB (§2), so 256 KiB */
#define PUSH_LINE_MAX (256 * 1024)
/* key=value fields on one line: USER has 11, rtlog 13, BIODATA 10 */
#define PUSH_FIELDS_MAX 32
/* one field that is not a template or photo (names, PINs, versions) */
#define PUSH_FIELD_MAX 256
/* records in one request: old firmware batches ≤ 200 (§10), query
 * answers come in packages of a few thousand; the body caps them too */
#define PUSH_RECORDS_MAX 20000
/* option keys in one options push or INFO result (Biopro INFO: 70) */
#define PUSH_OPTIONS_MAX 256
/* the query string of a request (INFO= is the longest, ~100 bytes) */
#define PUSH_QUERY_MAX 4096
/* a serial: ^[A-Za-z0-9_-]{1,64}$ (§12) */
#define PUSH_SERIAL_MAX 64
/* a command id: letters and digits, ≤ 16 (§4.3) */
#define PUSH_CMD_ID_MAX 16
/* results in one devicecmd post (eSSL acks every outstanding command) */
#define PUSH_RESULTS_MAX 1024
/* commands sent in one getrequest reply (servers send up to 60, §6.1) */
#define PUSH_COMMANDS_PER_REPLY 16
/* bytes of commands in one getrequest reply: old firmware reads posts
 * into a 64 KiB buffer (§10) and nothing says its reply buffer is larger;
 * a longer command (a comparison photo, ~130 KB) still goes, alone */
#define PUSH_REPLY_COMMAND_BYTES (64 * 1024)
/* concurrent connections the receiver serves; more are closed at once */
#define PUSH_CONNECTIONS_MAX 64
/* seconds a connection may stay idle before the receiver drops it */
#define PUSH_IDLE_TIMEOUT_S 30
/* serials remembered while pending; more are answered but not listed */
#define PUSH_PENDING_MAX 256
/* seconds a connection may live at all (a trickling client is cut) */
#define PUSH_CONNECTION_DEADLINE_S 60
