/* bs-format.h — how biosync clients show times, states and counts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every label of a daemon's code (device and job states, job kinds,
 * privileges) and every way of showing a time, a duration or a count:
 * the window and biosyncctl show only these, so both say the same thing.
 * The strings are translated; the returned const strings are static.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* a bus time (µs since the epoch, UTC) in local time, "2024-05-01 14:03:00";
 * "never" for 0 */
char *bs_format_time (guint64 usec);
/* the same as an ISO 8601 UTC string ("2024-05-01T12:03:00Z"); "" for 0 */
char *bs_format_time_iso (guint64 usec);
/* "just now", "5 minutes ago", "in 3 hours", "never" … relative to @now_usec
 * (0: the current time) */
char *bs_format_time_relative (guint64 usec, guint64 now_usec);
/* what a person typed as a time: a day "2024-05-01" (local midnight; with
 * @end_of_day the midnight after it), a time "2024-05-01T08:30" or
 * "2024-05-01 08:30:00" (local unless it has an offset or Z), or
 * "@SECONDS" since the epoch; in µs since the epoch */
gboolean bs_format_parse_time (const char *text, gboolean end_of_day, guint64 *usec);
/* a length of time: "850 ms", "12 s", "3 min 20 s", "2 h 5 min" */
char *bs_format_duration (guint64 usec);
/* a terminal clock offset in seconds: "in sync", "12 s ahead", "3 min behind" */
char *bs_format_clock_offset (gint64 seconds);
/* "120 of 3000" or just "120" when the capacity is unknown (0) */
char *bs_format_usage (guint used, guint capacity);
/* used / capacity clamped to 0 … 1; 0 when the capacity is unknown */
double bs_format_usage_fraction (guint used, guint capacity);

/* Device State: "Online", "Offline", "Busy", "Error", "Unknown" */
const char *bs_format_device_state (const char *state);
/* the same, or "Disabled" for a device jobs leave alone */
const char *bs_format_device_status (const char *state, gboolean enabled);
/* Job State: "Queued", "Running", "Succeeded", "Partly done", "Failed" … */
const char *bs_format_job_state (const char *state);
/* a device's result in a job (GetJob "Devices" "Status", a report's
 * "status"): "OK", "Partly done", "Failed", "Unreachable", "Cancelled" */
const char *bs_format_device_result (const char *status);
/* Job Kind: "Sync all devices", "Collect attendance" … */
const char *bs_format_job_kind (const char *kind);
/* how a job ended, as a headline: "Sync all devices failed", "… partly
 * failed", "… finished" (any other state) */
char *bs_format_job_outcome (const char *kind, const char *state);
/* a terminal privilege: "User", "Enroller", "Administrator", "Super administrator" */
const char *bs_format_privilege (guint privilege);

/* a punch's verify method (ZK-PROTOCOL §5.3): "password", "fingerprint",
 * "card", "face"; "method 7" for a code without a known word */
const char *bs_format_verify (guint verify);
/* a punch's state: "check-in", "check-out", "break-out", "break-in",
 * "overtime-in", "overtime-out"; "state 9" for others */
const char *bs_format_punch_state (guint state);

/* a plan's comparison photos for a push terminal to make its own faces
 * from ("3 comparison photos to send, the terminal makes its own faces
 * from them"); NULL when @n is 0 */
char *bs_format_planned_photos (gint64 n);
/* a Device's LiveState ("off", "listening", "reconnecting") in words:
 * "Off", "Listening", "Reconnecting"; "Unknown" for any other */
const char *bs_format_live_state (const char *state);
/* a device's live punches as one quiet line: "Live: Listening · last
 * punch 2 minutes ago"; NULL when @state is "" (a service that does not
 * say) */
char *bs_format_live_line (const char *state, guint64 last_punch, guint64 now_usec);
/* the Manager's CentralState ("off", "connecting", "shipping", "idle",
 * "error: …") in words: "Off", "Connecting", "Shipping", "Up to date",
 * "Error: …" */
char *bs_format_central_state (const char *state);
/* what waits for the central database: "Nothing waiting" or "Since
 * 2024-05-01 14:03:00 (12 min behind)" from CentralLag and
 * CentralOldestUnshipped (µs) */
char *bs_format_central_backlog (guint64 lag, guint64 oldest);
/* the push receiver's PushState ("off", "listening", "error: …") in words */
char *bs_format_push_state (const char *state);

G_END_DECLS
