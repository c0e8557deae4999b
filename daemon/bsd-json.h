/* bsd-json.h — one-line JSON builder members the daemon's reports share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* "member": value, inside an object being built */
void bsd_json_int (JsonBuilder *builder, const char *member, gint64 value);
void bsd_json_uint (JsonBuilder *builder, const char *member, guint64 value);
void bsd_json_bool (JsonBuilder *builder, const char *member, gboolean value);
/* the text as it is, null when NULL: text from terminals and callers goes
 * in unchanged, the store makes every string of a report valid when it is
 * written (bsd_job_report_to_text ()) */
void bsd_json_str (JsonBuilder *builder, const char *member, const char *value);
/* "member": [ids…] from a guint array */
void bsd_json_ids (JsonBuilder *builder, const char *member, GArray *ids);

G_END_DECLS
