/* biosyncctl-people.c — import-people: a CSV of people as one job of
 * central edits
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The file is read whole (bounded), parsed as RFC 4180 (quoted fields
 * with commas, quotes and line breaks, CRLF or LF, a UTF-8 BOM), and
 * every row is checked before anything is sent: every bad field is
 * reported with its line, and then nothing is sent. The daemon checks
 * again (and knows the roster); its "users[I]" becomes a line here too.
 */
#include "config.h"

#include <gio/gunixinputstream.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "biosyncctl.h"

/* more than the daemon takes in rows, and far more than 10000 rows need */
#define MAX_FILE_BYTES (16 * 1024 * 1024)
#define MAX_ROWS 10000

static const char *const columns[] = { "pin", "name", "card", "privilege", "group" };

/* a record of the file: its fields and the line it starts on */
typedef struct
{
  GPtrArray *fields;
  guint line;
} Record;

static void
record_free (Record *record)
{
  g_ptr_array_unref (record->fields);
  g_free (record);
}

/* the records of @text (NUL-terminated); NULL with *problem when a
 * quoted field never ends */
static GPtrArray *
csv_parse (const char *text, guint *bad_line)
{
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify)record_free);
  g_autoptr (GString) field = g_string_new (NULL);
  Record *record = NULL;
  guint line = 1;
  const char *p = text;

  if (g_str_has_prefix (p, "\xef\xbb\xbf"))
    p += 3;
  while (*p != '\0')
    {
      gboolean quoted = FALSE;

      if (record == NULL)
        {
          record = g_new0 (Record, 1);
          record->fields = g_ptr_array_new_with_free_func (g_free);
          record->line = line;
          g_ptr_array_add (records, record);
        }
      g_string_truncate (field, 0);
      if (*p == '"')
        {
          quoted = TRUE;
          for (p++;; p++)
            {
              if (*p == '\0')
                {
                  *bad_line = record->line;
                  return NULL;
                }
              if (*p == '"' && p[1] == '"')
                p++;
              else if (*p == '"')
                {
                  p++;
                  break;
                }
              line += *p == '\n';
              g_string_append_c (field, *p);
            }
        }
      /* the rest up to the separator (after a closing quote too, as
       * spreadsheets write it) */
      for (; *p != '\0' && *p != ',' && *p != '\n' && !(*p == '\r' && p[1] == '\n'); p++)
        g_string_append_c (field, *p);
      g_ptr_array_add (record->fields,
                       quoted ? g_strdup (field->str) : g_strstrip (g_strdup (field->str)));
      if (*p == ',')
        p++;
      else if (*p != '\0')
        {
          p += *p == '\r' ? 2 : 1;
          line++;
          record = NULL;
        }
    }
  return g_steal_pointer (&records);
}

/* the whole of FILE or stdin ("-"), at most MAX_FILE_BYTES */
static char *
read_input (const char *path, GError **error)
{
  g_autoptr (GInputStream) stream = NULL;
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  guint8 buffer[65536];

  if (g_str_equal (path, "-"))
    stream = g_unix_input_stream_new (0, FALSE);
  else
    {
      g_autoptr (GFile) file = g_file_new_for_commandline_arg (path);

      stream = G_INPUT_STREAM (g_file_read (file, NULL, error));
      if (stream == NULL)
        return NULL;
    }
  for (;;)
    {
      gssize n = g_input_stream_read (stream, buffer, sizeof buffer, NULL, error);

      if (n < 0)
        return NULL;
      if (n == 0)
        break;
      g_byte_array_append (bytes, buffer, (guint)n);
      if (bytes->len > MAX_FILE_BYTES)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       _ ("%s is larger than %u MiB"), path, MAX_FILE_BYTES / (1024 * 1024));
          return NULL;
        }
    }
  if (memchr (bytes->data, '\0', bytes->len) != NULL
      || !g_utf8_validate ((const char *)bytes->data, bytes->len, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _ ("%s is not UTF-8 text"), path);
      return NULL;
    }
  g_byte_array_append (bytes, (const guint8 *)"", 1);
  return (char *)g_byte_array_free (g_steal_pointer (&bytes), FALSE);
}

/* what the import sends, and the line of each row (one command a run) */
static GVariantBuilder rows;
static GArray *row_lines;

static char *
field_problem (guint column, const char *value, GVariantBuilder *row)
{
  guint64 number = 0;

  switch (column)
    {
    case 0:
      if (*value == '\0' || strlen (value) > 24)
        return g_strdup (_ ("a PIN is 1 to 24 bytes"));
      g_variant_builder_add (row, "{sv}", "pin", g_variant_new_string (value));
      return NULL;
    case 1:
      if (strlen (value) > 23)
        return g_strdup_printf (_ ("the name is %zu bytes, terminals take 23"), strlen (value));
      g_variant_builder_add (row, "{sv}", "name", g_variant_new_string (value));
      return NULL;
    case 2:
      if (!ctl_parse_uint (value, G_MAXUINT32, &number))
        return g_strdup_printf (_ ("“%s” is no card number (0 to 4294967295)"), value);
      g_variant_builder_add (row, "{sv}", "card", g_variant_new_uint32 ((guint32)number));
      return NULL;
    case 3:
      if (!ctl_parse_privilege (value, &number)
          || (number != 0 && number != 2 && number != 6 && number != 14))
        return g_strdup_printf (_ ("“%s” is no privilege (user, enroller, admin, superadmin or "
                                   "0, 2, 6, 14)"),
                                value);
      g_variant_builder_add (row, "{sv}", "privilege", g_variant_new_uint32 ((guint32)number));
      return NULL;
    default:
      if (!ctl_parse_uint (value, G_MAXUINT8, &number))
        return g_strdup_printf (_ ("“%s” is no group (0 to 255)"), value);
      g_variant_builder_add (row, "{sv}", "group", g_variant_new_uint32 ((guint32)number));
      return NULL;
    }
}

/* the header's columns: index in columns[] per field; FALSE with problems */
static gboolean
header_columns (Record *header, guint *map, GString *problems)
{
  guint seen = 0;

  for (guint i = 0; i < header->fields->len; i++)
    {
      const char *name = header->fields->pdata[i];
      guint c = 0;

      while (c < G_N_ELEMENTS (columns) && g_ascii_strcasecmp (name, columns[c]) != 0)
        c++;
      if (c == G_N_ELEMENTS (columns) || (seen & (1u << c)))
        {
          g_string_append_printf (problems,
                                  _ ("line %u: column “%s” is unknown or twice (the "
                                     "header is pin,name,card,privilege,group)\n"),
                                  header->line, name);
          return FALSE;
        }
      seen |= 1u << c;
      map[i] = c;
    }
  if (!(seen & 1u))
    g_string_append_printf (problems, _ ("line %u: there is no “pin” column\n"), header->line);
  return (seen & 1u) != 0;
}

/* every problem of one row, appended to @problems; the row into rows */
static void
check_row (Record *record, const guint *map, guint n_columns, GHashTable *pins, GString *problems)
{
  GVariantBuilder row;
  gsize before = problems->len;

  g_variant_builder_init (&row, G_VARIANT_TYPE ("a{sv}"));
  if (record->fields->len != n_columns)
    {
      g_string_append_printf (problems, _ ("line %u: %u fields, the header has %u\n"), record->line,
                              record->fields->len, n_columns);
      g_variant_builder_clear (&row);
      return;
    }
  for (guint i = 0; i < n_columns; i++)
    {
      const char *value = record->fields->pdata[i];
      g_autofree char *problem = NULL;

      /* an empty cell leaves the field as it is (the PIN is required) */
      if (*value == '\0' && map[i] != 0)
        continue;
      problem = field_problem (map[i], value, &row);
      if (problem != NULL)
        g_string_append_printf (problems, _ ("line %u: %s: %s\n"), record->line, columns[map[i]],
                                problem);
      else if (map[i] == 0 && g_hash_table_contains (pins, value))
        g_string_append_printf (problems, _ ("line %u: pin: %s is on line %u already\n"),
                                record->line, value,
                                GPOINTER_TO_UINT (g_hash_table_lookup (pins, value)));
      else if (map[i] == 0)
        g_hash_table_insert (pins, (gpointer)value, GUINT_TO_POINTER (record->line));
    }
  if (problems->len > before)
    {
      g_variant_builder_clear (&row);
      return;
    }
  g_variant_builder_add_value (&rows, g_variant_builder_end (&row));
  g_array_append_val (row_lines, record->line);
}

/* the rows to send, or every problem (exit 1) */
gboolean
ctl_check_import_people (int argc, char **argv, int *ret)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = read_input (argv[1], &error);
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GString) problems = g_string_new (NULL);
  g_autoptr (GHashTable) pins = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree guint *map = NULL;
  guint bad_line = 0;
  guint n_columns;

  if (text == NULL)
    {
      *ret = ctl_fail (error->message);
      return FALSE;
    }
  records = csv_parse (text, &bad_line);
  if (records == NULL)
    g_string_append_printf (problems, _ ("line %u: a quoted field never ends\n"), bad_line);
  else if (records->len < 2)
    g_string_append (problems, _ ("no people: a header and at least one row are needed\n"));
  else if (records->len - 1 > MAX_ROWS)
    g_string_append_printf (problems, _ ("%u rows: at most %u in one import\n"), records->len - 1,
                            MAX_ROWS);
  else
    {
      Record *header = records->pdata[0];

      n_columns = header->fields->len;
      map = g_new0 (guint, n_columns);
      g_variant_builder_init (&rows, G_VARIANT_TYPE ("aa{sv}"));
      row_lines = g_array_new (FALSE, FALSE, sizeof (guint));
      if (header_columns (header, map, problems))
        for (guint i = 1; i < records->len; i++)
          {
            Record *record = records->pdata[i];

            /* a blank line is no row */
            if (record->fields->len == 1 && *(char *)record->fields->pdata[0] == '\0')
              continue;
            check_row (record, map, n_columns, pins, problems);
          }
    }
  if (problems->len == 0)
    return TRUE;
  g_printerr (_ ("biosyncctl: %s: nothing was imported:\n%s"), argv[1], problems->str);
  *ret = EXIT_FAILURE;
  return FALSE;
}

/* the daemon's "users[I]" as the line of row I */
static char *
with_lines (const char *message)
{
  g_autoptr (GString) text = g_string_new (NULL);
  const char *p = message;
  const char *at;

  while ((at = strstr (p, "users[")) != NULL)
    {
      guint64 index = 0;
      char *end = NULL;

      g_string_append_len (text, p, at - p);
      index = g_ascii_strtoull (at + 6, &end, 10);
      if (end != at + 6 && *end == ']' && index < row_lines->len)
        {
          g_string_append_printf (text, _ ("line %u"), g_array_index (row_lines, guint, index));
          p = end + 1;
        }
      else
        {
          g_string_append (text, "users[");
          p = at + 6;
        }
    }
  g_string_append (text, p);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

int
ctl_run_import_people (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *job = NULL;
  g_autofree char *text = NULL;
  g_autofree char *located = NULL;

  if (bs_dbus_manager_call_import_users_sync (ctl->manager, g_variant_builder_end (&rows),
                                              BS_CLIENT_CALL_FLAGS,
                                              BS_CLIENT_INTERACTIVE_TIMEOUT_MS, &job, NULL, &error))
    return ctl_job_started (ctl, job, ctl_wait_requested (), NULL);
  text = bs_client_error_to_string (error);
  located = with_lines (text);
  return ctl_fail (located);
}
