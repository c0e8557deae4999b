/* bsd-json.c — one-line JSON builder members the daemon's reports share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include "bsd-json.h"

void
bsd_json_int (JsonBuilder *builder, const char *member, gint64 value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_int_value (builder, value);
}

/* values above G_MAXINT64 do not occur in counters; they wrap as before */
void
bsd_json_uint (JsonBuilder *builder, const char *member, guint64 value)
{
  bsd_json_int (builder, member, (gint64)value);
}

void
bsd_json_bool (JsonBuilder *builder, const char *member, gboolean value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_boolean_value (builder, value);
}

void
bsd_json_str (JsonBuilder *builder, const char *member, const char *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
bsd_json_ids (JsonBuilder *builder, const char *member, GArray *ids)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; i < ids->len; i++)
    json_builder_add_int_value (builder, g_array_index (ids, guint, i));
  json_builder_end_array (builder);
}
