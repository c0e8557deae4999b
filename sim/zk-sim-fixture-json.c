/* zk-sim-fixture-json.c — a fixture's members read with their paths in
 * the errors, and written back (json-glib)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "zk-error.h"
#include "zk-sim-fixture-private.h"

/* ------------------------------------------------------------ reading */

gboolean
zk_sim_json_fail (GError **error, const char *path, const char *member, const char *what)
{
  g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "%s%s%s: %s", path, member ? "." : "",
               member ? member : "", what);
  return FALSE;
}

JsonNode *
zk_sim_json_member (JsonObject *obj, const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

gboolean
zk_sim_json_get_int (JsonObject *obj,
                     const char *name,
                     gint64 def,
                     gint64 min,
                     gint64 max,
                     gint64 *out,
                     const char *path,
                     GError **error)
{
  JsonNode *node = zk_sim_json_member (obj, name);
  gint64 v;

  if (node == NULL)
    {
      *out = def;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_autofree char *what = g_strdup_printf (
          "expected an integer between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT, min, max);
      return zk_sim_json_fail (error, path, name, what);
    }
  v = json_node_get_int (node);
  if (v < min || v > max)
    {
      g_autofree char *what = g_strdup_printf (
          "%" G_GINT64_FORMAT " is out of range (%" G_GINT64_FORMAT "…%" G_GINT64_FORMAT ")", v,
          min, max);
      return zk_sim_json_fail (error, path, name, what);
    }
  *out = v;
  return TRUE;
}

gboolean
zk_sim_json_get_uint (JsonObject *obj,
                      const char *name,
                      guint def,
                      guint min,
                      guint max,
                      guint *out,
                      const char *path,
                      GError **error)
{
  gint64 v;

  if (!zk_sim_json_get_int (obj, name, def, min, max, &v, path, error))
    return FALSE;
  *out = (guint)v;
  return TRUE;
}

gboolean
zk_sim_json_get_string (JsonObject *obj,
                        const char *name,
                        const char *def,
                        gsize max_len,
                        const char **out,
                        const char *path,
                        GError **error)
{
  JsonNode *node = zk_sim_json_member (obj, name);

  if (node == NULL)
    {
      *out = def;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return zk_sim_json_fail (error, path, name, "expected a string");
  *out = json_node_get_string (node);
  if (strlen (*out) > max_len)
    {
      g_autofree char *what = g_strdup_printf ("longer than %" G_GSIZE_FORMAT " bytes", max_len);
      return zk_sim_json_fail (error, path, name, what);
    }
  return TRUE;
}

/* a string that may hold any bytes: "NAME" (JSON text) or "NAME_hex"
 * (hex digits, for control bytes and invalid UTF-8); a newly allocated
 * copy, or @def */
gboolean
zk_sim_json_get_text (JsonObject *obj,
                      const char *name,
                      const char *def,
                      gsize max_len,
                      char **out,
                      const char *path,
                      GError **error)
{
  g_autofree char *hex_name = g_strdup_printf ("%s_hex", name);
  const char *hex = NULL;
  const char *text = NULL;
  gsize len;
  char *bytes;

  if (!zk_sim_json_get_string (obj, hex_name, NULL, 2 * max_len, &hex, path, error))
    return FALSE;
  if (hex == NULL)
    {
      if (!zk_sim_json_get_string (obj, name, def, max_len, &text, path, error))
        return FALSE;
      *out = g_strdup (text);
      return TRUE;
    }
  len = strlen (hex);
  if (len % 2 != 0)
    return zk_sim_json_fail (error, path, hex_name, "expected pairs of hex digits");
  bytes = g_malloc0 (len / 2 + 1);
  for (gsize i = 0; i < len / 2; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);

      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
        {
          g_free (bytes);
          return zk_sim_json_fail (error, path, hex_name, "expected hex digits of non-zero bytes");
        }
      bytes[i] = (char)(hi << 4 | lo);
    }
  *out = bytes;
  return TRUE;
}

gboolean
zk_sim_json_get_bool (JsonObject *obj,
                      const char *name,
                      gboolean def,
                      gboolean *out,
                      const char *path,
                      GError **error)
{
  JsonNode *node = zk_sim_json_member (obj, name);

  if (node == NULL)
    {
      *out = def;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return zk_sim_json_fail (error, path, name, "expected true or false");
  *out = json_node_get_boolean (node);
  return TRUE;
}

gboolean
zk_sim_json_get_object (
    JsonObject *obj, const char *name, JsonObject **out, const char *path, GError **error)
{
  JsonNode *node = zk_sim_json_member (obj, name);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return zk_sim_json_fail (error, path, name, "expected an object");
  *out = json_node_get_object (node);
  return TRUE;
}

gboolean
zk_sim_json_get_array (
    JsonObject *obj, const char *name, JsonArray **out, const char *path, GError **error)
{
  JsonNode *node = zk_sim_json_member (obj, name);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return zk_sim_json_fail (error, path, name, "expected an array");
  *out = json_node_get_array (node);
  return TRUE;
}

JsonObject *
zk_sim_json_element_object (JsonArray *array, guint i, const char *path, GError **error)
{
  JsonNode *node = json_array_get_element (array, i);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      zk_sim_json_fail (error, path, NULL, "expected an object");
      return NULL;
    }
  return json_node_get_object (node);
}

/* g_base64_decode() accepts anything; a fixture must be real base64 */
GBytes *
zk_sim_json_decode_base64 (const char *text, const char *path, const char *name, GError **error)
{
  gsize len = strlen (text);
  gsize out_len = 0;
  guchar *data;

  if (len == 0 || len % 4 != 0)
    {
      zk_sim_json_fail (error, path, name, "not base64 (length is not a multiple of 4)");
      return NULL;
    }
  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (!(g_ascii_isalnum (c) || c == '+' || c == '/' || (c == '=' && i + 2 >= len)))
        {
          zk_sim_json_fail (error, path, name, "not base64");
          return NULL;
        }
    }
  data = g_base64_decode (text, &out_len);
  return g_bytes_new_take (data, out_len);
}

/* ------------------------------------------------------------ writing */

void
zk_sim_json_add_base64 (JsonBuilder *b, const char *name, GBytes *bytes)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  g_autofree char *text = g_base64_encode (data, size);

  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, text);
}

void
zk_sim_json_add_int (JsonBuilder *b, const char *name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

void
zk_sim_json_add_string (JsonBuilder *b, const char *name, const char *v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, v ? v : "");
}

void
zk_sim_fixture_add_text (JsonBuilder *b, const char *name, const char *v)
{
  g_autofree char *hex_name = NULL;
  GString *hex;

  if (v == NULL || (g_utf8_validate (v, -1, NULL) && strchr (v, 0x1f) == NULL))
    {
      zk_sim_json_add_string (b, name, v);
      return;
    }
  hex = g_string_new (NULL);
  for (const char *p = v; *p != '\0'; p++)
    g_string_append_printf (hex, "%02x", (guint)(guchar)*p);
  hex_name = g_strdup_printf ("%s_hex", name);
  zk_sim_json_add_string (b, hex_name, hex->str);
  g_string_free (hex, TRUE);
}

void
zk_sim_json_add_bool (JsonBuilder *b, const char *name, gboolean v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, v);
}

/* one writer for every record: the member's kind says how it is written */
static void
add_member (const ZkMember *member, gpointer user_data)
{
  JsonBuilder *b = user_data;

  switch (member->kind)
    {
    case ZK_MEMBER_INT:
      zk_sim_json_add_int (b, member->name, member->number);
      break;
    case ZK_MEMBER_BOOL:
      zk_sim_json_add_bool (b, member->name, member->number != 0);
      break;
    case ZK_MEMBER_TEXT:
      zk_sim_fixture_add_text (b, member->name, member->text);
      break;
    case ZK_MEMBER_STRING:
      zk_sim_json_add_string (b, member->name, member->text);
      break;
    case ZK_MEMBER_BYTES:
      zk_sim_json_add_base64 (b, member->name, member->bytes);
      break;
    default:
      g_assert_not_reached ();
    }
}

void
zk_sim_json_add_array (JsonBuilder *b,
                       const char *name,
                       GPtrArray *records,
                       ZkForeachMemberFunc foreach_member)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; i < records->len; i++)
    {
      json_builder_begin_object (b);
      foreach_member (g_ptr_array_index (records, i), add_member, b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}
