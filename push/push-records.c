/* push-records.c — parsers of what a push terminal uploads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "push-records.h"
#include "push-limits.h"
#include "zk-text.h"

#include <string.h>

/* what the parsers say about the records they skip */
#define SKIP_LONG_LINE "lines longer than 256 KiB"
#define SKIP_NUL "lines with a NUL byte"
#define SKIP_TOO_MANY "records beyond 20000 in one request"
#define SKIP_FIELDS "records with more than 32 fields or a field over 256 bytes"
#define SKIP_PUNCH "punches without a PIN, with an impossible time or a non-numeric field"
#define SKIP_PIN "users and templates without a clean PIN of at most 24 bytes"
#define SKIP_NUMBER "users and templates with a non-numeric field"
#define SKIP_DATA "templates and photos with empty or bad base64, or a Size that does not match"
#define SKIP_UNKNOWN "lines of an unknown kind"
#define SKIP_OPTION "options without a key or beyond 256"
#define SKIP_RESULT "command results without an ID or a numeric Return"

/* the longest PIN a terminal keeps (ZK user_id is 24 bytes) */
#define PIN_MAX 24

void
push_user_free (PushUser *user)
{
  if (user == NULL)
    return;
  g_free (user->pin);
  g_free (user->name);
  g_free (user->password);
  g_free (user->card);
  g_free (user->time_zones);
  g_free (user);
}

void
push_template_free (PushTemplate *tmpl)
{
  if (tmpl == NULL)
    return;
  g_free (tmpl->pin);
  g_clear_pointer (&tmpl->data, g_bytes_unref);
  g_free (tmpl);
}

void
push_photo_free (PushPhoto *photo)
{
  if (photo == NULL)
    return;
  g_free (photo->pin);
  g_clear_pointer (&photo->data, g_bytes_unref);
  g_free (photo);
}

void
push_upload_free (PushUpload *upload)
{
  if (upload == NULL)
    return;
  g_ptr_array_unref (upload->punches);
  g_ptr_array_unref (upload->users);
  g_ptr_array_unref (upload->templates);
  g_ptr_array_unref (upload->photos);
  g_ptr_array_unref (upload->deleted_pins);
  g_free (upload);
}

void
push_info_free (PushInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->firmware);
  g_free (info->address);
  g_free (info->fp_version);
  g_free (info->face_version);
  g_free (info->flags);
  g_free (info);
}

void
push_result_free (PushResult *result)
{
  if (result == NULL)
    return;
  g_free (result->id);
  g_free (result->cmd);
  g_clear_pointer (&result->values, g_hash_table_unref);
  g_clear_pointer (&result->content, g_bytes_unref);
  g_free (result);
}

/* counts a skip with the start of @text (@len bytes, not necessarily
 * NUL-terminated) as its example, made clean text first */
static void
skip_text (ZkSkips *skips, const char *reason, const char *text, gsize len)
{
  g_autofree char *excerpt = NULL;

  if (skips == NULL)
    return;
  excerpt = zk_text_display (text, MIN (len, 40));
  zk_skips_add (skips, reason, "%s", excerpt);
}

/* ------------------------------------------------------------- lines */

/* one line of a body: not NUL-terminated */
typedef struct
{
  const char *text;
  gsize len;
} Line;

/* the next LF-terminated line of @data from *@offset, without its CR
 * and trailing TABs (X903 ends ATTLOG lines with one); FALSE at the end */
static gboolean
next_line (const char *data, gsize len, gsize *offset, Line *line)
{
  const char *start;
  const char *lf;
  gsize n;

  if (*offset >= len)
    return FALSE;
  start = data + *offset;
  lf = memchr (start, '\n', len - *offset);
  n = lf != NULL ? (gsize)(lf - start) : len - *offset;
  *offset += n + (lf != NULL ? 1 : 0);
  while (n > 0 && (start[n - 1] == '\r' || start[n - 1] == '\t'))
    n--;
  line->text = start;
  line->len = n;
  return TRUE;
}

/* ---------------------------------------------------------- key=value */

/* the key=value fields of a tagged line, keys case-insensitive; NULL
 * (counted) when the line breaks a field limit */
static GHashTable *
fields_parse (const char *text, gsize len, ZkSkips *skips)
{
  g_autoptr (GHashTable) fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gsize start = 0;
  guint n = 0;

  while (start <= len)
    {
      const char *tab = memchr (text + start, '\t', len - start);
      gsize end = tab != NULL ? (gsize)(tab - text) : len;
      const char *field = text + start;
      gsize flen = end - start;
      const char *eq = memchr (field, '=', flen);

      if (flen > 0)
        {
          g_autofree char *key = NULL;
          gsize vlen;

          if (eq == NULL || eq == field || ++n > PUSH_FIELDS_MAX)
            {
              skip_text (skips, SKIP_FIELDS, text, len);
              return NULL;
            }
          key = g_ascii_strdown (field, eq - field);
          vlen = flen - (eq - field) - 1;
          /* only templates and photos may be long */
          if (vlen > PUSH_FIELD_MAX && !g_str_equal (key, "tmp") && !g_str_equal (key, "content"))
            {
              skip_text (skips, SKIP_FIELDS, text, len);
              return NULL;
            }
          g_hash_table_replace (fields, g_steal_pointer (&key), g_strndup (eq + 1, vlen));
        }
      if (tab == NULL)
        break;
      start = end + 1;
    }
  return g_steal_pointer (&fields);
}

static const char *
field (GHashTable *fields, const char *key)
{
  const char *value = g_hash_table_lookup (fields, key);

  return value != NULL ? value : "";
}

/* @key as a number in [@min, @max]; empty or absent gives @fallback */
static gboolean
field_int (
    GHashTable *fields, const char *key, gint64 min, gint64 max, gint64 fallback, gint64 *out)
{
  const char *value = field (fields, key);

  if (*value == '\0')
    {
      *out = fallback;
      return TRUE;
    }
  return g_ascii_string_to_signed (value, 10, min, max, out, NULL);
}

static char *
clean_pin (const char *pin)
{
  gsize len = strlen (pin);

  if (len == 0 || len > PIN_MAX || !zk_text_identity_is_clean (pin, len))
    return NULL;
  return g_strdup (pin);
}

/* ------------------------------------------------------------- punches */

/* @n digits at @text */
static guint
digits (const char *text, guint n, gboolean *ok)
{
  guint value = 0;

  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit (text[i]))
        *ok = FALSE;
      value = value * 10 + (text[i] - '0');
    }
  return value;
}

/* "YYYY-MM-DD HH:MM:SS" exactly, a real calendar day */
static gboolean
parse_time (const char *text, ZkTime *out)
{
  gboolean ok = TRUE;
  guint y, mo, d, h, mi, s;

  if (strlen (text) != 19 || text[4] != '-' || text[7] != '-' || text[10] != ' ' || text[13] != ':'
      || text[16] != ':')
    return FALSE;
  y = digits (text, 4, &ok);
  mo = digits (text + 5, 2, &ok);
  d = digits (text + 8, 2, &ok);
  h = digits (text + 11, 2, &ok);
  mi = digits (text + 14, 2, &ok);
  s = digits (text + 17, 2, &ok);
  if (!ok || y < 2000 || y > 2099 || mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59 || d < 1
      || d > g_date_get_days_in_month (mo, y))
    return FALSE;
  *out = (ZkTime){ .year = y, .month = mo, .day = d, .hour = h, .minute = mi, .second = s };
  return TRUE;
}

static gboolean
parse_u8 (const char *text, guint8 *out)
{
  guint64 value = 0;

  if (*text == '\0')
    {
      *out = 0;
      return TRUE;
    }
  if (!g_ascii_string_to_unsigned (text, 10, 0, 255, &value, NULL))
    return FALSE;
  *out = value;
  return TRUE;
}

/* a punch with its PIN escaped when not clean (never dropped for it) */
static ZkAttendance *
punch_new (
    const char *pin, const char *time, const char *state, const char *verify, const char *workcode)
{
  g_autoptr (ZkAttendance) att = g_new0 (ZkAttendance, 1);
  guint64 code = 0;

  if (*pin == '\0' || strlen (pin) > PIN_MAX || !parse_time (time, &att->time)
      || !parse_u8 (state, &att->state) || !parse_u8 (verify, &att->verify)
      || (*workcode != '\0'
          && !g_ascii_string_to_unsigned (workcode, 10, 0, G_MAXUINT32, &code, NULL))
      || !zk_text_identity_escape_to (pin, -1, att->user_id, sizeof att->user_id))
    return NULL;
  att->workcode = code;
  return g_steal_pointer (&att);
}

/* ATTLOG: PIN⇥time⇥status⇥verify⇥workcode⇥reserved… (4, 7 or 10 fields) */
static void
parse_attlog (PushUpload *upload, const Line *line, ZkSkips *skips)
{
  g_autofree char *text = g_strndup (line->text, line->len);
  g_auto (GStrv) parts = g_strsplit (text, "\t", PUSH_FIELDS_MAX + 1);
  guint n = g_strv_length (parts);
  ZkAttendance *att = NULL;

  if (n > PUSH_FIELDS_MAX)
    {
      skip_text (skips, SKIP_FIELDS, text, strlen (text));
      return;
    }
  if (n >= 2)
    att = punch_new (parts[0], parts[1], n > 2 ? parts[2] : "", n > 3 ? parts[3] : "",
                     n > 4 ? parts[4] : "");
  if (att == NULL)
    {
      skip_text (skips, SKIP_PUNCH, text, strlen (text));
      return;
    }
  g_ptr_array_add (upload->punches, att);
}

/* 3.x rtlog: time=⇥pin=⇥…⇥inoutstatus=⇥verifytype=; pin 0 = door event */
static void
parse_rtlog (PushUpload *upload, const Line *line, ZkSkips *skips)
{
  g_autoptr (GHashTable) fields = fields_parse (line->text, line->len, skips);
  const char *pin;
  ZkAttendance *att;

  if (fields == NULL)
    return;
  pin = field (fields, "pin");
  if (*pin == '\0' || g_str_equal (pin, "0"))
    {
      upload->ignored++;
      return;
    }
  att = punch_new (pin, field (fields, "time"), field (fields, "inoutstatus"),
                   field (fields, "verifytype"), "");
  if (att == NULL)
    {
      skip_text (skips, SKIP_PUNCH, line->text, line->len);
      return;
    }
  g_ptr_array_add (upload->punches, att);
}

/* ------------------------------------------------------ users and bio */

/* USER PIN=⇥Name=⇥Pri=⇥Passwd=⇥Card=⇥Grp=⇥TZ=⇥Verify=… and 3.x
 * user uid=⇥cardno=⇥pin=⇥password=⇥group=⇥…⇥name=⇥privilege= */
static void
parse_user (PushUpload *upload, GHashTable *fields, ZkSkips *skips)
{
  g_autoptr (PushUser) user = g_new0 (PushUser, 1);
  gboolean v3
      = g_hash_table_contains (fields, "privilege") || g_hash_table_contains (fields, "cardno");
  gint64 pri = 0, group = 0, verify = -1;

  user->pin = clean_pin (field (fields, "pin"));
  if (user->pin == NULL)
    {
      skip_text (skips, SKIP_PIN, field (fields, "pin"), strlen (field (fields, "pin")));
      return;
    }
  if (!field_int (fields, v3 ? "privilege" : "pri", 0, 255, 0, &pri)
      || !field_int (fields, v3 ? "group" : "grp", 0, 255, 0, &group)
      || !field_int (fields, "verify", -1, 255, -1, &verify))
    {
      zk_skips_add (skips, SKIP_NUMBER, "USER PIN=%s", user->pin);
      return;
    }
  user->name = zk_text_display (field (fields, "name"), -1);
  user->password = zk_text_display (field (fields, v3 ? "password" : "passwd"), -1);
  user->card = zk_text_display (field (fields, v3 ? "cardno" : "card"), -1);
  user->time_zones = zk_text_display (field (fields, "tz"), -1);
  user->privilege = pri;
  user->group = group;
  user->verify = verify;
  g_ptr_array_add (upload->users, g_steal_pointer (&user));
}

/* strict base64 (no whitespace) of @text; @size_text, when given, must be
 * its length or the decoded length (§5.4 says the former; be tolerant) */
static GBytes *
decode_base64 (const char *text, const char *size_text)
{
  gsize len = strlen (text);
  gsize out_len = 0;
  guint64 size = 0;
  guchar *out;

  if (len == 0 || len % 4 != 0)
    return NULL;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '+' && text[i] != '/'
        && !(text[i] == '=' && i >= len - 2))
      return NULL;
  if (len >= 2 && text[len - 2] == '=' && text[len - 1] != '=')
    return NULL;
  out = g_base64_decode (text, &out_len);
  if (*size_text != '\0'
      && (!g_ascii_string_to_unsigned (size_text, 10, 0, G_MAXUINT32, &size, NULL)
          || (size != len && size != out_len)))
    {
      g_free (out);
      return NULL;
    }
  return g_bytes_new_take (out, out_len);
}

/* FP/FACE/FVEIN/BIODATA and 3.x biodata into one PushTemplate */
static void
parse_template (PushUpload *upload, const char *tag, GHashTable *fields, ZkSkips *skips)
{
  g_autoptr (PushTemplate) tmpl = g_new0 (PushTemplate, 1);
  gboolean biodata = g_ascii_strcasecmp (tag, "BIODATA") == 0;
  gint64 no = 0, index = 0, valid = 1, duress = 0, type = 0, major = 0, minor = 0, format = 0;
  gboolean ok;

  tmpl->pin = clean_pin (field (fields, "pin"));
  if (tmpl->pin == NULL)
    {
      skip_text (skips, SKIP_PIN, field (fields, "pin"), strlen (field (fields, "pin")));
      return;
    }
  if (biodata)
    ok = field_int (fields, "no", 0, 255, 0, &no) && field_int (fields, "index", 0, 255, 0, &index)
         && field_int (fields, "valid", 0, 3, 1, &valid)
         && field_int (fields, "duress", 0, 1, 0, &duress)
         && field_int (fields, "type", 0, 255, 0, &type)
         && field_int (fields, "majorver", 0, G_MAXUINT16, 0, &major)
         && field_int (fields, "minorver", 0, G_MAXUINT16, 0, &minor)
         && field_int (fields, "format", 0, 255, 0, &format);
  else
    {
      /* legacy lines: FID is the finger (FP, FVEIN) or the face part */
      gboolean face = g_ascii_strcasecmp (tag, "FACE") == 0;
      gint64 fid = 0;

      type = face                                     ? PUSH_BIO_FACE_NIR
             : g_ascii_strcasecmp (tag, "FVEIN") == 0 ? PUSH_BIO_FINGER_VEIN
                                                      : PUSH_BIO_FINGER;
      ok = field_int (fields, "fid", 0, 255, 0, &fid)
           && field_int (fields, "index", 0, 255, 0, &index)
           && field_int (fields, "valid", 0, 3, 1, &valid);
      no = face ? 0 : fid;
      index = face ? fid : index;
      /* FP Valid=3 means a duress finger (§5.4) */
      duress = valid == 3;
    }
  if (!ok)
    {
      zk_skips_add (skips, SKIP_NUMBER, "%s PIN=%s", tag, tmpl->pin);
      return;
    }
  tmpl->data = decode_base64 (field (fields, "tmp"), field (fields, "size"));
  if (tmpl->data == NULL)
    {
      zk_skips_add (skips, SKIP_DATA, "%s PIN=%s", tag, tmpl->pin);
      return;
    }
  tmpl->type = type;
  tmpl->no = no;
  tmpl->index = index;
  tmpl->valid = valid != 0;
  tmpl->duress = duress != 0;
  tmpl->major_version = major;
  tmpl->minor_version = minor;
  tmpl->format = format;
  g_ptr_array_add (upload->templates, g_steal_pointer (&tmpl));
}

/* USERPIC PIN=⇥FileName=⇥Size=⇥Content= and BIOPHOTO …⇥Type=⇥… */
static void
parse_photo (PushUpload *upload, const char *tag, GHashTable *fields, ZkSkips *skips)
{
  g_autoptr (PushPhoto) photo = g_new0 (PushPhoto, 1);
  gint64 type = 0;

  photo->pin = clean_pin (field (fields, "pin"));
  if (photo->pin == NULL)
    {
      skip_text (skips, SKIP_PIN, field (fields, "pin"), strlen (field (fields, "pin")));
      return;
    }
  photo->biophoto = g_ascii_strcasecmp (tag, "BIOPHOTO") == 0;
  if (!field_int (fields, "type", 0, 255, 0, &type))
    {
      zk_skips_add (skips, SKIP_NUMBER, "%s PIN=%s", tag, photo->pin);
      return;
    }
  photo->type = type;
  photo->data = decode_base64 (field (fields, "content"), field (fields, "size"));
  if (photo->data == NULL)
    {
      zk_skips_add (skips, SKIP_DATA, "%s PIN=%s", tag, photo->pin);
      return;
    }
  g_ptr_array_add (upload->photos, g_steal_pointer (&photo));
}

/* OPLOG <op>⇥<admin>⇥<time>⇥<v1>⇥<v2>⇥<v3>⇥<reserved>: only 9 (delete
 * user, v1 = PIN) changes what the device holds */
static void
parse_oplog (PushUpload *upload, const char *rest, gsize len)
{
  g_autofree char *text = g_strndup (rest, len);
  g_auto (GStrv) parts = g_strsplit (text, "\t", 8);
  g_autofree char *pin = NULL;

  upload->ignored++;
  if (g_strv_length (parts) < 4 || !g_str_equal (parts[0], "9"))
    return;
  pin = clean_pin (parts[3]);
  if (pin != NULL)
    g_ptr_array_add (upload->deleted_pins, g_steal_pointer (&pin));
}

/* a tagged line: "TAG k=v⇥k=v…"; FALSE when it has no known tag */
static gboolean
parse_tagged (PushUpload *upload, const Line *line, ZkSkips *skips)
{
  static const char *const tags[]
      = { "USER", "FP", "FACE", "FVEIN", "BIODATA", "USERPIC", "BIOPHOTO", "OPLOG" };
  const char *space = memchr (line->text, ' ', MIN (line->len, 16));
  g_autofree char *tag = NULL;
  g_autoptr (GHashTable) fields = NULL;
  const char *rest;
  gsize rest_len;
  guint i;

  if (space == NULL)
    return FALSE;
  tag = g_strndup (line->text, space - line->text);
  for (i = 0; i < G_N_ELEMENTS (tags); i++)
    if (g_ascii_strcasecmp (tag, tags[i]) == 0)
      break;
  if (i == G_N_ELEMENTS (tags))
    return FALSE;
  rest = space + 1;
  rest_len = line->len - (rest - line->text);
  if (g_str_equal (tags[i], "OPLOG"))
    {
      parse_oplog (upload, rest, rest_len);
      return TRUE;
    }
  fields = fields_parse (rest, rest_len, skips);
  if (fields == NULL)
    return TRUE;
  if (g_str_equal (tags[i], "USER"))
    parse_user (upload, fields, skips);
  else if (g_str_equal (tags[i], "USERPIC") || g_str_equal (tags[i], "BIOPHOTO"))
    parse_photo (upload, tags[i], fields, skips);
  else
    parse_template (upload, tags[i], fields, skips);
  return TRUE;
}

static void
parse_line (PushUpload *upload, const char *table, const Line *line, ZkSkips *skips)
{
  /* 3.x door, relay and alarm state (§7): its time= lines are no punches */
  if (table != NULL && g_ascii_strcasecmp (table, "rtstate") == 0)
    return;
  if (parse_tagged (upload, line, skips))
    return;
  if (line->len > 5 && g_ascii_strncasecmp (line->text, "time=", 5) == 0)
    parse_rtlog (upload, line, skips);
  else if (table == NULL || g_ascii_strcasecmp (table, "ATTLOG") == 0)
    parse_attlog (upload, line, skips);
  else
    skip_text (skips, SKIP_UNKNOWN, line->text, line->len);
}

PushUpload *
push_upload_parse (const char *table, GBytes *body, ZkSkips *skips, GError **error)
{
  g_autoptr (PushUpload) upload = g_new0 (PushUpload, 1);
  gsize len = 0;
  const char *data = g_bytes_get_data (body, &len);
  gsize offset = 0;
  Line line;

  upload->punches = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_attendance_free);
  upload->users = g_ptr_array_new_with_free_func ((GDestroyNotify)push_user_free);
  upload->templates = g_ptr_array_new_with_free_func ((GDestroyNotify)push_template_free);
  upload->photos = g_ptr_array_new_with_free_func ((GDestroyNotify)push_photo_free);
  upload->deleted_pins = g_ptr_array_new_with_free_func (g_free);
  if (len > PUSH_BODY_MAX)
    {
      g_set_error (error, PUSH_ERROR, PUSH_ERROR_TOO_BIG, "body of %" G_GSIZE_FORMAT " bytes", len);
      return NULL;
    }
  while (next_line (data, len, &offset, &line))
    {
      if (line.len == 0)
        continue;
      if (++upload->records > PUSH_RECORDS_MAX)
        {
          zk_skips_add (skips, SKIP_TOO_MANY, "line %u", upload->records);
          continue;
        }
      if (line.len > PUSH_LINE_MAX)
        skip_text (skips, SKIP_LONG_LINE, line.text, line.len);
      else if (memchr (line.text, '\0', line.len) != NULL)
        zk_skips_add (skips, SKIP_NUL, "line %u", upload->records);
      else
        parse_line (upload, table, &line, skips);
    }
  return g_steal_pointer (&upload);
}

/* ------------------------------------------------------------- options */

/* an option key: [~A-Za-z0-9_.] (a "key" with a space is a continuation) */
static gboolean
option_key_is_valid (const char *key, gsize len)
{
  if (len == 0 || len > 64)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (key[i]) && key[i] != '~' && key[i] != '_' && key[i] != '.')
      return FALSE;
  return TRUE;
}

GHashTable *
push_options_parse (const char *data, gsize len, ZkSkips *skips)
{
  g_autoptr (GHashTable) options = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *last_key = NULL;
  gsize start = 0;

  while (start < len)
    {
      gsize end = start;
      const char *segment = data + start;
      const char *eq;
      gsize slen;

      while (end < len && data[end] != ',' && data[end] != '\n')
        end++;
      slen = end - start;
      while (slen > 0 && (segment[slen - 1] == '\r' || segment[slen - 1] == '\t'))
        slen--;
      eq = memchr (segment, '=', slen);
      if (eq != NULL && option_key_is_valid (segment, eq - segment))
        {
          g_autofree char *key = g_strndup (segment, eq - segment);
          g_autofree char *raw = g_strndup (eq + 1, slen - (eq - segment) - 1);

          if (g_hash_table_size (options) >= PUSH_OPTIONS_MAX
              && !g_hash_table_contains (options, key))
            skip_text (skips, SKIP_OPTION, segment, slen);
          else
            {
              g_free (last_key);
              last_key = g_strdup (key);
              g_hash_table_replace (options, g_steal_pointer (&key), zk_text_display (raw, -1));
            }
        }
      else if (slen > 0 && last_key != NULL && start > 0 && data[start - 1] == ',')
        {
          /* "ZKTECO CO., LTD.": a comma inside the value before */
          const char *before = g_hash_table_lookup (options, last_key);
          g_autofree char *piece = zk_text_display (segment, slen);
          char *joined = g_strconcat (before, ",", piece, NULL);

          if (strlen (joined) > PUSH_FIELD_MAX)
            g_free (joined);
          else
            g_hash_table_replace (options, g_strdup (last_key), joined);
        }
      else if (slen > 0)
        skip_text (skips, SKIP_OPTION, segment, slen);
      start = end + 1;
    }
  return g_steal_pointer (&options);
}

/* ---------------------------------------------------------------- INFO */

static gint
info_int (char **parts, guint n, guint i)
{
  gint64 value = -1;

  if (i >= n || !g_ascii_string_to_signed (parts[i], 10, 0, G_MAXINT32, &value, NULL))
    return -1;
  return value;
}

static char *
info_text (char **parts, guint n, guint i)
{
  return i < n ? zk_text_display (parts[i], -1) : g_strdup ("");
}

PushInfo *
push_info_parse (const char *info, GError **error)
{
  g_auto (GStrv) parts = NULL;
  g_autoptr (PushInfo) result = g_new0 (PushInfo, 1);
  guint n;

  if (info == NULL || strlen (info) > PUSH_QUERY_MAX)
    {
      g_set_error_literal (error, PUSH_ERROR, PUSH_ERROR_INVALID, "no INFO");
      return NULL;
    }
  parts = g_strsplit (info, ",", 14);
  n = g_strv_length (parts);
  if (n < 6)
    {
      g_set_error (error, PUSH_ERROR, PUSH_ERROR_INVALID, "INFO with %u fields, not 6–13", n);
      return NULL;
    }
  result->firmware = info_text (parts, n, 0);
  result->users = info_int (parts, n, 1);
  result->fingerprints = info_int (parts, n, 2);
  result->records = info_int (parts, n, 3);
  result->address = info_text (parts, n, 4);
  result->fp_version = info_text (parts, n, 5);
  result->face_version = info_text (parts, n, 6);
  result->faces_per_enroll = info_int (parts, n, 7);
  result->faces = info_int (parts, n, 8);
  result->flags = info_text (parts, n, 9);
  return g_steal_pointer (&result);
}

/* ------------------------------------------------------------- results */

/* key=value into @result; FALSE when the record has too many */
static gboolean
result_set (PushResult *result, const char *text, gsize len)
{
  const char *eq = memchr (text, '=', len);
  g_autofree char *key = NULL;
  g_autofree char *value = NULL;

  if (eq == NULL || eq == text || len - (eq - text) - 1 > PUSH_FIELD_MAX)
    return TRUE;
  key = g_strndup (text, eq - text);
  value = zk_text_display (eq + 1, len - (eq - text) - 1);
  if (g_ascii_strcasecmp (key, "Return") == 0)
    memcpy (key, "Return", 6);
  if (g_ascii_strcasecmp (key, "ID") == 0 && result->id == NULL)
    result->id = g_steal_pointer (&value);
  else if (g_ascii_strcasecmp (key, "CMD") == 0 && result->cmd == NULL)
    result->cmd = g_steal_pointer (&value);
  else if (g_hash_table_size (result->values) >= PUSH_OPTIONS_MAX)
    return FALSE;
  else
    g_hash_table_replace (result->values, g_steal_pointer (&key), g_steal_pointer (&value));
  return TRUE;
}

/* one record: [@start, @end) of @data */
static PushResult *
result_parse (const char *data, gsize start, gsize end, ZkSkips *skips)
{
  g_autoptr (PushResult) result = g_new0 (PushResult, 1);
  gsize offset = start;
  gboolean first = TRUE;
  const char *ret;
  gint64 code = 0;
  Line line;

  result->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  while (next_line (data, end, &offset, &line))
    {
      if (line.len >= 8 && g_ascii_strncasecmp (line.text, "Content=", 8) == 0)
        {
          /* the rest of the record, as bytes (Shell output, GetFile) */
          gsize from = line.text + 8 - data;
          result->content = g_bytes_new (data + from, end - from);
          break;
        }
      if (first)
        {
          /* ID=..&Return=..&CMD=..: '&' only splits the first line */
          gsize s = 0;
          while (s <= line.len)
            {
              const char *amp = memchr (line.text + s, '&', line.len - s);
              gsize e = amp != NULL ? (gsize)(amp - line.text) : line.len;
              if (!result_set (result, line.text + s, e - s))
                break;
              if (amp == NULL)
                break;
              s = e + 1;
            }
          first = FALSE;
        }
      else if (!result_set (result, line.text, line.len))
        break;
    }
  ret = g_hash_table_lookup (result->values, "Return");
  if (result->id == NULL || *result->id == '\0' || strlen (result->id) > PUSH_CMD_ID_MAX
      || ret == NULL || !g_ascii_string_to_signed (ret, 10, G_MININT32, G_MAXINT32, &code, NULL))
    {
      skip_text (skips, SKIP_RESULT, data + start, end - start);
      return NULL;
    }
  result->return_code = code;
  return g_steal_pointer (&result);
}

static gboolean
starts_record (const char *data, gsize len, gsize at)
{
  return (at == 0 || data[at - 1] == '\n') && len - at >= 3
         && g_ascii_strncasecmp (data + at, "ID=", 3) == 0;
}

GPtrArray *
push_results_parse (GBytes *body, ZkSkips *skips, GError **error)
{
  g_autoptr (GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify)push_result_free);
  gsize len = 0;
  const char *data = g_bytes_get_data (body, &len);
  gsize start = 0;

  if (len > PUSH_BODY_MAX)
    {
      g_set_error (error, PUSH_ERROR, PUSH_ERROR_TOO_BIG, "body of %" G_GSIZE_FORMAT " bytes", len);
      return NULL;
    }
  while (start < len && !starts_record (data, len, start))
    start++;
  while (start < len && results->len < PUSH_RESULTS_MAX)
    {
      gsize end = start + 3;
      PushResult *result;

      while (end < len && !starts_record (data, len, end))
        {
          const char *lf = memchr (data + end, '\n', len - end);
          end = lf != NULL ? (gsize)(lf - data) + 1 : len;
        }
      result = result_parse (data, start, end, skips);
      if (result != NULL)
        g_ptr_array_add (results, result);
      start = end;
    }
  return g_steal_pointer (&results);
}

/* -------------------------------------------------------- return codes */

typedef struct
{
  gint code;
  const char *cause;
} ReturnCode;

/* docs/PUSH-PROTOCOL.md §6.3 */
static const ReturnCode return_codes_2[] = {
  { 0, "done" },
  { -1, "bad parameter, or no data" },
  { -2, "user photo size does not match" },
  { -3, "read or write error on the device" },
  { -9, "template size does not match" },
  { -10, "PIN not on the device" },
  { -11, "bad template format" },
  { -12, "bad template" },
  { -13, "no handler for the command" },
  { -21, "command refused (R line)" },
  { -22, "unknown command" },
  { -31, "empty data" },
  { -1001, "the device is full" },
  { -1002, "command not supported" },
  { -1003, "timeout on the device" },
  { -1004, "data does not match the device's configuration (table absent?)" },
  { -1005, "the device is busy" },
  { -1006, "data too long" },
  { -1007, "out of memory on the device" },
  { -1008, "the device could not fetch data from the server" },
};

static const ReturnCode return_codes_3[] = {
  { -13, "no such command" },
  { -14, "wrong communication password" },
  { -18, "no space left on the device" },
  { -629, "bad table name" },
  { -630, "shell command failed" },
  { -631, "base64 length does not match" },
  { -708, "command not supported" },
  { -801, "bad command format" },
  { -5000, "accepted, pending on a sub-controller" },
};

const char *
push_return_code_describe (PushDialect dialect, gint code)
{
  if (dialect == PUSH_DIALECT_3)
    {
      if (code >= 0)
        return "done";
      for (guint i = 0; i < G_N_ELEMENTS (return_codes_3); i++)
        if (return_codes_3[i].code == code)
          return return_codes_3[i].cause;
      if (code <= -100 && code >= -108)
        return "table or field error";
    }
  for (guint i = 0; i < G_N_ELEMENTS (return_codes_2); i++)
    if (return_codes_2[i].code == code)
      return return_codes_2[i].cause;
  return code > 0 ? "done" : "failed with an undocumented code";
}
