/* zk-tool-output.c — what biosync-zk prints: tables, key: value lines, JSON
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "zk-text.h"
#include "zk-tool-output.h"

/* output beyond this goes to stdout at once (big tables) */
#define OUT_FLUSH_BYTES (64 * 1024)

/* appends @text so that nothing but printable UTF-8 reaches a terminal:
 * invalid bytes and control characters become \xNN, backslashes double */
static void
append_escaped (GString *out, const char *text)
{
  const char *p = text;
  const char *end;

  if (text == NULL)
    return;
  end = text + strlen (text);
  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar)-1 || c == (gunichar)-2)
        {
          g_string_append_printf (out, "\\x%02x", (guint)(guchar)*p);
          p++;
          continue;
        }
      if (c == '\\')
        g_string_append (out, "\\\\");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", (guint)c);
      else if (c >= 0x80 && c < 0xa0)
        g_string_append_printf (out, "\\u%04x", (guint)c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
}

char *
tool_escape (const char *text)
{
  GString *out = g_string_new (NULL);

  append_escaped (out, text);
  return g_string_free (out, FALSE);
}

/* columns a (valid UTF-8) string takes on a terminal */
static gsize
display_width (const char *text)
{
  gsize width = 0;
  const char *p;

  for (p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iszerowidth (c))
        continue;
      width += g_unichar_iswide (c) ? 2 : 1;
    }
  return width;
}

static void
append_padded (GString *out, const char *text, gsize width, gboolean right)
{
  gsize have = display_width (text);
  gsize pad = have < width ? width - have : 0;

  if (right)
    g_string_append_printf (out, "%*s", (int)pad, "");
  g_string_append (out, text);
  if (!right)
    g_string_append_printf (out, "%*s", (int)pad, "");
}

/* ------------------------------------------------------------- tables */

struct _ToolTable
{
  guint n_columns;
  guint32 right;    /* bit i: column i aligned right */
  GPtrArray *cells; /* escaped strings, row by row; the first row = headers */
};

ToolTable *
tool_table_new (guint32 right, const char *first_header, ...)
{
  ToolTable *table = g_new0 (ToolTable, 1);
  const char *header;
  va_list args;

  table->right = right;
  table->cells = g_ptr_array_new_with_free_func (g_free);
  va_start (args, first_header);
  for (header = first_header; header != NULL; header = va_arg (args, const char *))
    {
      g_ptr_array_add (table->cells, g_strdup (header));
      table->n_columns++;
    }
  va_end (args);
  return table;
}

void
tool_table_free (ToolTable *table)
{
  g_ptr_array_unref (table->cells);
  g_free (table);
}

/* adds a cell from device or user text (escaped here) */
void
tool_table_add (ToolTable *table, const char *text)
{
  g_ptr_array_add (table->cells, tool_escape (text != NULL ? text : "-"));
}

/* adds a cell built by the tool itself (numbers, fixed words) */
void
tool_table_addf (ToolTable *table, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (table->cells, g_strdup_vprintf (format, args));
  va_end (args);
}

void
tool_table_print (const ToolTable *table, GString *out)
{
  g_autofree gsize *widths = g_new0 (gsize, table->n_columns);
  guint i;

  g_assert (table->cells->len % table->n_columns == 0);
  for (i = 0; i < table->cells->len; i++)
    {
      guint column = i % table->n_columns;

      widths[column] = MAX (widths[column], display_width (table->cells->pdata[i]));
    }
  for (i = 0; i < table->cells->len; i++)
    {
      guint column = i % table->n_columns;
      gboolean last = column == table->n_columns - 1;
      gboolean right = (table->right & (1u << column)) != 0;

      append_padded (out, table->cells->pdata[i], last && !right ? 0 : widths[column], right);
      g_string_append (out, last ? "\n" : "  ");
    }
}

/* ------------------------------------------------------------- key: value */

struct _ToolKeyValues
{
  GPtrArray *keys;
  GPtrArray *values;
};

ToolKeyValues *
tool_key_values_new (void)
{
  ToolKeyValues *kv = g_new0 (ToolKeyValues, 1);

  kv->keys = g_ptr_array_new_with_free_func (g_free);
  kv->values = g_ptr_array_new_with_free_func (g_free);
  return kv;
}

void
tool_key_values_free (ToolKeyValues *kv)
{
  g_ptr_array_unref (kv->keys);
  g_ptr_array_unref (kv->values);
  g_free (kv);
}

/* @value is device or user text: escaped here; NULL shows as "-" */
void
tool_key_values_add (ToolKeyValues *kv, const char *key, const char *value)
{
  g_ptr_array_add (kv->keys, g_strdup_printf ("%s:", key));
  g_ptr_array_add (kv->values, tool_escape (value != NULL ? value : "-"));
}

void
tool_key_values_addf (ToolKeyValues *kv, const char *key, const char *format, ...)
{
  va_list args;

  g_ptr_array_add (kv->keys, g_strdup_printf ("%s:", key));
  va_start (args, format);
  g_ptr_array_add (kv->values, g_strdup_vprintf (format, args));
  va_end (args);
}

void
tool_key_values_print (const ToolKeyValues *kv, GString *out)
{
  gsize width = 0;
  guint i;

  for (i = 0; i < kv->keys->len; i++)
    width = MAX (width, display_width (kv->keys->pdata[i]));
  for (i = 0; i < kv->keys->len; i++)
    {
      append_padded (out, kv->keys->pdata[i], width + 1, FALSE);
      g_string_append_printf (out, "%s\n", (const char *)kv->values->pdata[i]);
    }
}

/* --------------------------------------------------------------- json */

/* a JSON writer straight into the output, in json-glib's pretty layout
 * (two spaces, "key" : value): no tree per record, nothing kept */
struct _ToolJson
{
  GString *out;
  guint depth;
  gboolean empty; /* the open object has no member yet */
};

ToolJson *
tool_json_new (GString *out)
{
  ToolJson *json = g_new0 (ToolJson, 1);

  json->out = out;
  return json;
}

void
tool_json_free (ToolJson *json)
{
  g_free (json);
}

static void
append_indent (ToolJson *json)
{
  for (guint i = 0; i < json->depth; i++)
    g_string_append (json->out, "  ");
}

/* @text (valid UTF-8) as a JSON string */
static void
append_json_string (GString *out, const char *text)
{
  const char *run = text;
  const char *p;

  g_string_append_c (out, '"');
  for (p = text; *p != '\0'; p++)
    {
      guchar c = (guchar)*p;

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;
      g_string_append_len (out, run, p - run);
      run = p + 1;
      /* a control character never comes from a display string; still valid JSON */
      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char)c);
        }
      else
        g_string_append_printf (out, "\\u%04x", c);
    }
  g_string_append_len (out, run, p - run);
  g_string_append_c (out, '"');
}

/* the name of the next member of the open object */
static void
append_member (ToolJson *json, const char *key)
{
  g_string_append (json->out, json->empty ? "\n" : ",\n");
  json->empty = FALSE;
  append_indent (json);
  append_json_string (json->out, key);
  g_string_append (json->out, " : ");
}

void
tool_json_begin_object (ToolJson *json, const char *key)
{
  if (key != NULL)
    append_member (json, key);
  g_string_append_c (json->out, '{');
  json->depth++;
  json->empty = TRUE;
}

void
tool_json_end_object (ToolJson *json)
{
  g_assert (json->depth > 0);
  json->depth--;
  if (!json->empty)
    {
      g_string_append_c (json->out, '\n');
      append_indent (json);
    }
  g_string_append_c (json->out, '}');
  json->empty = FALSE;
}

/* JSON strings must be text: the client hands out device strings made safe
 * (zk-text.h); what is not (the user's own arguments) is made safe here */
void
tool_json_add_string (ToolJson *json, const char *key, const char *value)
{
  g_autofree char *valid = NULL;

  append_member (json, key);
  if (value == NULL)
    {
      g_string_append (json->out, "null");
      return;
    }
  valid = zk_text_display (value, -1);
  append_json_string (json->out, valid);
}

void
tool_json_add_int (ToolJson *json, const char *key, gint64 value)
{
  append_member (json, key);
  g_string_append_printf (json->out, "%" G_GINT64_FORMAT, value);
}

void
tool_json_add_bool (ToolJson *json, const char *key, gboolean value)
{
  append_member (json, key);
  g_string_append (json->out, value ? "true" : "false");
}

void
tool_json_add_null (ToolJson *json, const char *key)
{
  append_member (json, key);
  g_string_append (json->out, "null");
}

void
tool_json_add_base64 (ToolJson *json, const char *key, GBytes *bytes)
{
  gsize len = 0;
  const guint8 *data = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;
  g_autofree char *text = g_base64_encode (data, len);

  /* base64 needs no escaping and is no device text */
  append_member (json, key);
  g_string_append_c (json->out, '"');
  g_string_append (json->out, text);
  g_string_append_c (json->out, '"');
}

/* text and strings alike: the JSON string is made safe either way */
static void
add_member (const ZkMember *member, gpointer user_data)
{
  ToolJson *json = user_data;

  switch (member->kind)
    {
    case ZK_MEMBER_INT:
      tool_json_add_int (json, member->name, member->number);
      break;
    case ZK_MEMBER_BOOL:
      tool_json_add_bool (json, member->name, member->number != 0);
      break;
    case ZK_MEMBER_TEXT:
    case ZK_MEMBER_STRING:
      tool_json_add_string (json, member->name, member->text);
      break;
    case ZK_MEMBER_BYTES:
      tool_json_add_base64 (json, member->name, member->bytes);
      break;
    default:
      g_assert_not_reached ();
    }
}

void
tool_json_add_object (ToolJson *json,
                      const char *key,
                      ZkForeachMemberFunc foreach_member,
                      gconstpointer element)
{
  tool_json_begin_object (json, key);
  foreach_member (element, add_member, json);
  tool_json_end_object (json);
}

/* big output goes out while it is made; only a command that read
 * everything prints, so nothing half is printed for a failed one */
static void
flush_out (GString *out)
{
  if (out->len < OUT_FLUSH_BYTES)
    return;
  fwrite (out->str, 1, out->len, stdout);
  g_string_truncate (out, 0);
}

/* a JSON array written one element at a time, the text leaving as it grows */
void
tool_json_print_array (GString *out, GPtrArray *elements, ZkForeachMemberFunc foreach_member)
{
  g_autoptr (ToolJson) json = tool_json_new (out);

  g_string_append_c (out, '[');
  for (guint i = 0; i < elements->len; i++)
    {
      g_string_append (out, i > 0 ? ",\n  " : "\n  ");
      json->depth = 1;
      tool_json_add_object (json, NULL, foreach_member, elements->pdata[i]);
      flush_out (out);
    }
  g_string_append (out, elements->len > 0 ? "\n]\n" : "]\n");
}

void
tool_json_print_object (GString *out, ZkForeachMemberFunc foreach_member, gconstpointer element)
{
  g_autoptr (ToolJson) json = tool_json_new (out);

  tool_json_add_object (json, NULL, foreach_member, element);
  g_string_append_c (out, '\n');
}
