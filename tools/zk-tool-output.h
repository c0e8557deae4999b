/* zk-tool-output.h — what biosync-zk prints: tables, key: value lines, JSON
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Nothing from a terminal reaches a terminal raw: text cells and values
 * are escaped here (invalid UTF-8 and control characters as \xNN, a
 * backslash doubled), JSON strings are display strings. JSON is written
 * as it is made, with no tree of it; big arrays leave in 64 KiB pieces.
 */
#pragma once

#include <glib.h>

#include "zk-records.h"

G_BEGIN_DECLS

/* @text with nothing but printable UTF-8: invalid bytes and control
 * characters become \xNN, backslashes double */
char *tool_escape (const char *text);

/* aligned columns, the first row the headers */
typedef struct _ToolTable ToolTable;

/* @right: bit i aligns column i right; the headers end with NULL */
ToolTable *tool_table_new (guint32 right, const char *first_header, ...) G_GNUC_NULL_TERMINATED;
void tool_table_free (ToolTable *table);
/* a cell of device or user text (escaped here; NULL shows as "-") */
void tool_table_add (ToolTable *table, const char *text);
/* a cell the tool made itself (numbers, fixed words) */
void tool_table_addf (ToolTable *table, const char *format, ...) G_GNUC_PRINTF (2, 3);
void tool_table_print (const ToolTable *table, GString *out);

/* "key: value" lines with the values aligned */
typedef struct _ToolKeyValues ToolKeyValues;

ToolKeyValues *tool_key_values_new (void);
void tool_key_values_free (ToolKeyValues *kv);
/* @value is device or user text: escaped here; NULL shows as "-" */
void tool_key_values_add (ToolKeyValues *kv, const char *key, const char *value);
void tool_key_values_addf (ToolKeyValues *kv, const char *key, const char *format, ...)
    G_GNUC_PRINTF (3, 4);
void tool_key_values_print (const ToolKeyValues *kv, GString *out);

/* JSON written as it is made, in json-glib's pretty layout: no tree */
typedef struct _ToolJson ToolJson;

/* a writer appending to @out */
ToolJson *tool_json_new (GString *out);
void tool_json_free (ToolJson *json);
/* an object: the member @key of the open object, or (NULL) a value of its own */
void tool_json_begin_object (ToolJson *json, const char *key);
void tool_json_end_object (ToolJson *json);

/* members of the open object; a string is made a display string, NULL is null */
void tool_json_add_string (ToolJson *json, const char *key, const char *value);
void tool_json_add_int (ToolJson *json, const char *key, gint64 value);
void tool_json_add_bool (ToolJson *json, const char *key, gboolean value);
void tool_json_add_null (ToolJson *json, const char *key);
void tool_json_add_base64 (ToolJson *json, const char *key, GBytes *bytes);

/* a member @key (NULL: a value of its own): the object of @element's members */
void tool_json_add_object (ToolJson *json,
                           const char *key,
                           ZkForeachMemberFunc foreach_member,
                           gconstpointer element);

/* the object of @element's members, to @out */
void
tool_json_print_object (GString *out, ZkForeachMemberFunc foreach_member, gconstpointer element);
/* @elements as a JSON array of objects of their members; what is done of
 * it goes to stdout while the rest is made */
void tool_json_print_array (GString *out, GPtrArray *elements, ZkForeachMemberFunc foreach_member);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ToolTable, tool_table_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ToolKeyValues, tool_key_values_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ToolJson, tool_json_free)

G_END_DECLS
