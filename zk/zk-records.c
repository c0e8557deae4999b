/* zk-records.c — record codecs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "zk-records.h"
#include "zk-packet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the widest attendance record we step by; wider blobs are not logs */
#define ZK_ATTENDANCE_MAX_WIDTH 256
/* examples kept per reason of skipped records */
#define SKIP_EXAMPLES 3

/* what the decoders say about the records they skip */
#define SKIP_USER_SLOT_0 "user records in slot 0 (not a valid slot)"
#define SKIP_USER_PIN                                                                              \
  "users without a clean PIN (control bytes, a backslash or invalid UTF-8; their slots stay "      \
  "taken)"
#define SKIP_TEMPLATE "templates that are empty, in slot 0 or for a finger above 9"
#define SKIP_FACE "face records without data or with more than 2560 bytes"
#define SKIP_PUNCH_TIME "punches with an impossible time"
#define SKIP_PUNCH_PIN "punches without a user id"

/* ------------------------------------------------------- skipped records */

typedef struct
{
  const char *reason;
  guint64 count;
  char *examples[SKIP_EXAMPLES];
} SkipReason;

struct _ZkSkips
{
  GArray *reasons; /* SkipReason, a handful at most */
};

static void
skip_reason_clear (SkipReason *r)
{
  for (guint i = 0; i < SKIP_EXAMPLES; i++)
    g_free (r->examples[i]);
}

ZkSkips *
zk_skips_new (void)
{
  ZkSkips *skips = g_new0 (ZkSkips, 1);

  skips->reasons = g_array_new (FALSE, TRUE, sizeof (SkipReason));
  g_array_set_clear_func (skips->reasons, (GDestroyNotify)skip_reason_clear);
  return skips;
}

void
zk_skips_free (ZkSkips *skips)
{
  if (skips == NULL)
    return;
  g_array_unref (skips->reasons);
  g_free (skips);
}

void
zk_skips_add (ZkSkips *skips, const char *reason, const char *example_format, ...)
{
  SkipReason *r = NULL;
  va_list args;

  if (skips == NULL)
    return;
  for (guint i = 0; i < skips->reasons->len && r == NULL; i++)
    if (g_str_equal (g_array_index (skips->reasons, SkipReason, i).reason, reason))
      r = &g_array_index (skips->reasons, SkipReason, i);
  if (r == NULL)
    {
      SkipReason fresh = { reason, 0, { NULL } };

      g_array_append_val (skips->reasons, fresh);
      r = &g_array_index (skips->reasons, SkipReason, skips->reasons->len - 1);
    }
  /* the first few are worth reading; the rest is a count */
  if (r->count < SKIP_EXAMPLES)
    {
      va_start (args, example_format);
      r->examples[r->count] = g_strdup_vprintf (example_format, args);
      va_end (args);
    }
  r->count++;
}

guint64
zk_skips_count (const ZkSkips *skips, const char *reason)
{
  guint64 n = 0;

  for (guint i = 0; skips != NULL && i < skips->reasons->len; i++)
    {
      const SkipReason *r = &g_array_index (skips->reasons, SkipReason, i);

      if (reason == NULL || g_str_equal (r->reason, reason))
        n += r->count;
    }
  return n;
}

void
zk_skips_summarize (const ZkSkips *skips, GPtrArray *lines)
{
  for (guint i = 0; skips != NULL && i < skips->reasons->len; i++)
    {
      const SkipReason *r = &g_array_index (skips->reasons, SkipReason, i);
      GString *line = g_string_new (NULL);

      g_string_append_printf (line, "%" G_GUINT64_FORMAT " %s skipped (e.g. ", r->count, r->reason);
      for (guint j = 0; j < SKIP_EXAMPLES && r->examples[j] != NULL; j++)
        g_string_append_printf (line, "%s%s", j ? "; " : "", r->examples[j]);
      g_string_append (line, r->count > SKIP_EXAMPLES ? "; …)" : ")");
      g_ptr_array_add (lines, g_string_free (line, FALSE));
    }
}

void
zk_copy_field (char *dest, gsize dest_size, const guint8 *src, gsize src_len)
{
  gsize n = 0;

  g_return_if_fail (dest_size > 0);
  while (n < src_len && n + 1 < dest_size && src[n] != '\0')
    {
      dest[n] = (char)src[n];
      n++;
    }
  dest[n] = '\0';
}

/* ------------------------------------------------------------------ time */

guint32
zk_time_encode (const ZkTime *time)
{
  guint32 days;

  g_return_val_if_fail (time != NULL, 0);
  days = (guint32)(time->year % 100) * 12 * 31 + (guint32)(MAX (time->month, 1) - 1) * 31
         + (guint32)(MAX (time->day, 1) - 1);
  return days * 86400u + ((guint32)time->hour * 60 + time->minute) * 60 + time->second;
}

void
zk_time_decode (guint32 value, ZkTime *time)
{
  g_return_if_fail (time != NULL);
  time->second = value % 60;
  value /= 60;
  time->minute = value % 60;
  value /= 60;
  time->hour = value % 24;
  value /= 24;
  time->day = value % 31 + 1;
  value /= 31;
  time->month = value % 12 + 1;
  value /= 12;
  time->year = (guint16)(2000 + value);
}

gboolean
zk_time_is_valid (const ZkTime *time)
{
  if (time == NULL)
    return FALSE;
  if (time->year < 2000 || time->year > 2099)
    return FALSE;
  if (time->month < 1 || time->month > 12 || time->day < 1)
    return FALSE;
  if (time->hour > 23 || time->minute > 59 || time->second > 59)
    return FALSE;
  return g_date_valid_dmy (time->day, time->month, time->year);
}

void
zk_time_decode6 (const guint8 in[6], ZkTime *time)
{
  time->year = (guint16)(2000 + in[0]);
  time->month = in[1];
  time->day = in[2];
  time->hour = in[3];
  time->minute = in[4];
  time->second = in[5];
}

char *
zk_time_to_iso8601 (const ZkTime *time)
{
  return g_strdup_printf ("%04u-%02u-%02uT%02u:%02u:%02u", time->year, time->month, time->day,
                          time->hour, time->minute, time->second);
}

gboolean
zk_time_from_iso8601 (const char *text, ZkTime *time, GError **error)
{
  unsigned y, mo, d, h = 0, mi = 0, s = 0;
  int consumed = 0;
  ZkTime t;

  if (text == NULL
      || (sscanf (text, "%4u-%2u-%2u%n", &y, &mo, &d, &consumed) != 3 || consumed != 10))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "“%s” is not a date (expected YYYY-MM-DDThh:mm:ss)", text ? text : "");
      return FALSE;
    }
  if (text[10] != '\0')
    {
      int more = 0;

      if ((text[10] != 'T' && text[10] != ' ')
          || sscanf (text + 11, "%2u:%2u:%2u%n", &h, &mi, &s, &more) != 3 || more != 8
          || text[19] != '\0')
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                       "“%s” is not a local time (expected YYYY-MM-DDThh:mm:ss)", text);
          return FALSE;
        }
    }
  t.year = (guint16)MIN (y, 65535u);
  t.month = (guint8)MIN (mo, 255u);
  t.day = (guint8)MIN (d, 255u);
  t.hour = (guint8)MIN (h, 255u);
  t.minute = (guint8)MIN (mi, 255u);
  t.second = (guint8)MIN (s, 255u);
  if (!zk_time_is_valid (&t))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "“%s” is not a time a terminal can hold (2000–2099)", text);
      return FALSE;
    }
  *time = t;
  return TRUE;
}

GDateTime *
zk_time_to_date_time (const ZkTime *time, GTimeZone *tz)
{
  g_autoptr (GTimeZone) local = NULL;

  if (!zk_time_is_valid (time))
    return NULL;
  if (tz == NULL)
    tz = local = g_time_zone_new_local ();
  return g_date_time_new (tz, time->year, time->month, time->day, time->hour, time->minute,
                          time->second);
}

void
zk_time_from_date_time (GDateTime *dt, ZkTime *time)
{
  time->year = (guint16)g_date_time_get_year (dt);
  time->month = (guint8)g_date_time_get_month (dt);
  time->day = (guint8)g_date_time_get_day_of_month (dt);
  time->hour = (guint8)g_date_time_get_hour (dt);
  time->minute = (guint8)g_date_time_get_minute (dt);
  time->second = (guint8)g_date_time_get_second (dt);
}

/* ----------------------------------------------------------------- names */

static gboolean
is_utf8_encoding (const char *encoding)
{
  return encoding == NULL || g_ascii_strcasecmp (encoding, "UTF-8") == 0
         || g_ascii_strcasecmp (encoding, "UTF8") == 0;
}

/* device bytes in the device's encoding → UTF-8 when they convert, else
 * NULL (the caller keeps the bytes as they are) */
static char *
convert_from_device (const char *src, gsize len, const char *encoding)
{
  g_autofree char *converted = NULL;

  if (is_utf8_encoding (encoding))
    return NULL;
  converted = g_convert (src, (gssize)len, "UTF-8", encoding, NULL, NULL, NULL);
  if (converted == NULL || !g_utf8_validate (converted, -1, NULL))
    return NULL;
  return g_steal_pointer (&converted);
}

/* device bytes → a display string (zk-text.h); never fails */
static char *
decode_text (const guint8 *src, gsize field_len, const char *encoding)
{
  gsize len = 0;
  g_autofree char *converted = NULL;

  while (len < field_len && src[len] != '\0')
    len++;
  converted = convert_from_device ((const char *)src, len, encoding);
  if (converted != NULL)
    return zk_text_display (converted, -1);
  return zk_text_display ((const char *)src, (gssize)len);
}

/* a user id as read, after the device's encoding, when it is a clean
 * identity that fits the field; else "" */
static void
clean_user_id (ZkUser *user, const char *encoding)
{
  g_autofree char *converted
      = convert_from_device (user->user_id, strlen (user->user_id), encoding);

  if (converted != NULL && strlen (converted) < sizeof user->user_id)
    g_strlcpy (user->user_id, converted, sizeof user->user_id);
  if (!zk_text_identity_is_clean (user->user_id, -1))
    user->user_id[0] = '\0';
}

/* UTF-8 → device bytes, at most @max bytes, cut on a character boundary.
 * Bytes that are not UTF-8 (a simulated terminal's hostile data) go out as
 * they are on a UTF-8 device and cannot be converted for any other. */
static gboolean
encode_text (const char *text,
             const char *encoding,
             guint8 *dest,
             gsize max,
             const char *what,
             GError **error)
{
  g_autofree char *work = g_strdup (text ? text : "");

  if (!g_utf8_validate (work, -1, NULL))
    {
      if (!is_utf8_encoding (encoding))
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "%s is not valid UTF-8", what);
          return FALSE;
        }
      memcpy (dest, work, MIN (strlen (work), max));
      return TRUE;
    }
  for (;;)
    {
      g_autofree char *converted = NULL;
      gsize out_len = 0;
      char *last;

      if (is_utf8_encoding (encoding))
        {
          out_len = strlen (work);
          if (out_len <= max)
            {
              memcpy (dest, work, out_len);
              return TRUE;
            }
        }
      else
        {
          g_autoptr (GError) local = NULL;

          converted
              = g_convert_with_fallback (work, -1, encoding, "UTF-8", "?", NULL, &out_len, &local);
          if (converted == NULL)
            {
              g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                           "%s cannot be written in %s: %s", what, encoding, local->message);
              return FALSE;
            }
          if (out_len <= max)
            {
              memcpy (dest, converted, out_len);
              return TRUE;
            }
        }
      /* too long: drop the last character and try again */
      last = g_utf8_find_prev_char (work, work + strlen (work));
      if (last == NULL)
        return TRUE;
      *last = '\0';
    }
}

/* a PIN in the device's encoding (the inverse of clean_user_id): refused,
 * never cut, when it does not fit the 24-byte field */
static gboolean
encode_user_id (const char *user_id, const char *encoding, guint8 *dest, GError **error)
{
  g_autofree char *converted = NULL;
  gsize len = strlen (user_id);

  if (!is_utf8_encoding (encoding) && !g_str_is_ascii (user_id))
    {
      converted = g_convert (user_id, -1, encoding, "UTF-8", NULL, &len, NULL);
      if (converted == NULL)
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                       "user id cannot be written in %s", encoding);
          return FALSE;
        }
    }
  if (len > 24)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "user id is longer than 24");
      return FALSE;
    }
  memcpy (dest, converted ? converted : user_id, len);
  return TRUE;
}

/* ----------------------------------------------------------------- users */

ZkUser *
zk_user_new (void)
{
  ZkUser *user = g_new0 (ZkUser, 1);

  user->name = g_strdup ("");
  return user;
}

ZkUser *
zk_user_copy (const ZkUser *user)
{
  ZkUser *copy;

  g_return_val_if_fail (user != NULL, NULL);
  copy = g_new (ZkUser, 1);
  *copy = *user;
  copy->name = g_strdup (user->name ? user->name : "");
  return copy;
}

void
zk_user_free (ZkUser *user)
{
  if (user == NULL)
    return;
  g_free (user->name);
  g_free (user);
}

gboolean
zk_user_same_record (const ZkUser *a, const ZkUser *b)
{
  return a->privilege == b->privilege && a->card == b->card && a->group == b->group
         && strcmp (a->password, b->password) == 0
         && g_strcmp0 (a->name ? a->name : "", b->name ? b->name : "") == 0;
}

gboolean
zk_user_encode (const ZkUser *user, guint width, const char *encoding, guint8 *out, GError **error)
{
  gsize pw_len;

  g_return_val_if_fail (user != NULL && out != NULL, FALSE);

  pw_len = strlen (user->password);
  if (width == ZK_USER_SIZE_72)
    {
      memset (out, 0, ZK_USER_SIZE_72);
      if (pw_len > 8)
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                       "password is longer than 8 characters");
          return FALSE;
        }
      zk_write_u16 (out, user->uid);
      out[2] = user->privilege;
      memcpy (out + 3, user->password, pw_len);
      /* 23 bytes so the name stays NUL-terminated on the device */
      if (!encode_text (user->name, encoding, out + 11, 23, "name", error))
        return FALSE;
      zk_write_u32 (out + 35, user->card);
      out[39] = user->group;
      zk_write_u16 (out + 40, user->timezones[0]);
      zk_write_u16 (out + 42, user->timezones[1]);
      zk_write_u16 (out + 44, user->timezones[2]);
      zk_write_u16 (out + 46, user->timezones[3]);
      return encode_user_id (user->user_id, encoding, out + 48, error);
    }
  else if (width == ZK_USER_SIZE_28)
    {
      guint64 number;
      char *end = NULL;

      memset (out, 0, ZK_USER_SIZE_28);
      if (user->user_id[0] == '\0' || !g_ascii_isdigit (user->user_id[0]))
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                       "user id “%s” is not a number (28-byte devices store numbers)",
                       user->user_id);
          return FALSE;
        }
      number = g_ascii_strtoull (user->user_id, &end, 10);
      if (end == NULL || *end != '\0' || number > G_MAXUINT32)
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                       "user id “%s” does not fit a 28-byte record", user->user_id);
          return FALSE;
        }
      if (pw_len > 5)
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                       "password is longer than 5 characters (28-byte device)");
          return FALSE;
        }
      zk_write_u16 (out, user->uid);
      out[2] = user->privilege;
      memcpy (out + 3, user->password, pw_len);
      if (!encode_text (user->name, encoding, out + 8, 8, "name", error))
        return FALSE;
      zk_write_u32 (out + 16, user->card);
      out[21] = user->group;
      zk_write_u16 (out + 22, user->timezones[0]);
      zk_write_u32 (out + 24, (guint32)number);
      return TRUE;
    }

  g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "unsupported user width %u", width);
  return FALSE;
}

ZkUser *
zk_user_decode (const guint8 *record, guint width, const char *encoding)
{
  ZkUser *user;

  g_return_val_if_fail (record != NULL, NULL);
  g_return_val_if_fail (width == ZK_USER_SIZE_72 || width == ZK_USER_SIZE_28, NULL);

  user = g_new0 (ZkUser, 1);
  user->uid = zk_read_u16 (record);
  user->privilege = record[2];
  if (width == ZK_USER_SIZE_72)
    {
      zk_copy_field (user->password, sizeof user->password, record + 3, 8);
      user->name = decode_text (record + 11, 24, encoding);
      user->card = zk_read_u32 (record + 35);
      user->group = record[39];
      user->timezones[0] = zk_read_u16 (record + 40);
      user->timezones[1] = zk_read_u16 (record + 42);
      user->timezones[2] = zk_read_u16 (record + 44);
      user->timezones[3] = zk_read_u16 (record + 46);
      zk_copy_field (user->user_id, sizeof user->user_id, record + 48, 24);
    }
  else
    {
      guint32 number;

      zk_copy_field (user->password, sizeof user->password, record + 3, 5);
      user->name = decode_text (record + 8, 8, encoding);
      /* byte 20 is the fifth card byte; no device is known to use it */
      user->card = zk_read_u32 (record + 16);
      user->group = record[21];
      user->timezones[0] = zk_read_u16 (record + 22);
      number = zk_read_u32 (record + 24);
      if (number != 0)
        g_snprintf (user->user_id, sizeof user->user_id, "%u", number);
    }
  return user;
}

guint
zk_users_infer_width (gsize records_len, guint count_hint, guint width_hint)
{
  if (records_len == 0)
    return width_hint ? width_hint : ZK_USER_SIZE_72;
  if (count_hint > 0 && records_len % count_hint == 0)
    {
      gsize w = records_len / count_hint;

      if (w == ZK_USER_SIZE_72 || w == ZK_USER_SIZE_28)
        return (guint)w;
    }
  if ((width_hint == ZK_USER_SIZE_72 || width_hint == ZK_USER_SIZE_28)
      && records_len % width_hint == 0)
    return width_hint;
  if (records_len % ZK_USER_SIZE_72 == 0)
    return ZK_USER_SIZE_72;
  if (records_len % ZK_USER_SIZE_28 == 0)
    return ZK_USER_SIZE_28;
  return 0;
}

GPtrArray *
zk_users_decode (const guint8 *data,
                 gsize len,
                 guint count_hint,
                 guint width_hint,
                 const char *encoding,
                 guint *width_out,
                 ZkSkips *skips,
                 GError **error)
{
  g_autoptr (GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_user_free);
  guint width = zk_users_infer_width (len, count_hint, width_hint);
  gsize off;

  if (width == 0)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                   "user table of %" G_GSIZE_FORMAT " bytes fits neither 72- nor 28-byte records"
                   " (%u users announced)",
                   len, count_hint);
      return NULL;
    }
  for (off = 0; off + width <= len; off += width)
    {
      ZkUser *user;

      /* slot 0 first, before anything is allocated for the record */
      if (zk_read_u16 (data + off) == 0)
        {
          zk_skips_add (skips, SKIP_USER_SLOT_0, "record %" G_GSIZE_FORMAT, off / width);
          continue;
        }
      user = zk_user_decode (data + off, width, encoding);
      if (user->user_id[0] != '\0' && !zk_text_identity_is_clean (user->user_id, -1))
        {
          g_autofree char *shown = zk_text_identity_escape (user->user_id, -1);

          clean_user_id (user, encoding);
          if (user->user_id[0] == '\0')
            zk_skips_add (skips, SKIP_USER_PIN, "slot %u PIN %s", user->uid, shown);
        }
      g_ptr_array_add (users, user);
    }
  if (width_out)
    *width_out = width;
  return g_steal_pointer (&users);
}

/* ------------------------------------------------------------- templates */

ZkTemplate *
zk_template_new (guint16 uid, guint8 fid, guint8 valid, GBytes *data)
{
  ZkTemplate *tmpl = g_new0 (ZkTemplate, 1);

  tmpl->uid = uid;
  tmpl->fid = fid;
  tmpl->valid = valid;
  tmpl->data = data ? g_bytes_ref (data) : g_bytes_new (NULL, 0);
  return tmpl;
}

ZkTemplate *
zk_template_copy (const ZkTemplate *tmpl)
{
  return zk_template_new (tmpl->uid, tmpl->fid, tmpl->valid, tmpl->data);
}

void
zk_template_free (ZkTemplate *tmpl)
{
  if (tmpl == NULL)
    return;
  g_clear_pointer (&tmpl->data, g_bytes_unref);
  g_free (tmpl);
}

int
zk_template_compare (const ZkTemplate *a, const ZkTemplate *b)
{
  if (a->uid != b->uid)
    return a->uid < b->uid ? -1 : 1;
  if (a->fid != b->fid)
    return a->fid < b->fid ? -1 : 1;
  if (a->valid != b->valid)
    return a->valid < b->valid ? -1 : 1;
  return g_bytes_compare (a->data, b->data);
}

gint
zk_template_sort_func (gconstpointer a, gconstpointer b)
{
  return zk_template_compare (*(const ZkTemplate *const *)a, *(const ZkTemplate *const *)b);
}

void
zk_template_append_entry (GByteArray *out, const ZkTemplate *tmpl)
{
  gsize size;
  const guint8 *bytes = g_bytes_get_data (tmpl->data, &size);
  guint8 head[6];

  g_return_if_fail (size + 6 <= G_MAXUINT16);
  zk_write_u16 (head, (guint16)(size + 6));
  zk_write_u16 (head + 2, tmpl->uid);
  head[4] = tmpl->fid;
  head[5] = tmpl->valid;
  g_byte_array_append (out, head, sizeof head);
  if (size > 0)
    g_byte_array_append (out, bytes, (guint)size);
}

GPtrArray *
zk_templates_decode (
    const guint8 *data, gsize len, guint max_templates, ZkSkips *skips, GError **error)
{
  g_autoptr (GPtrArray) templates
      = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_template_free);
  gsize off = 0;

  while (off < len)
    {
      guint16 size;
      guint16 uid;
      guint8 fid, valid;

      if (len - off < 6)
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                       "template table truncated: %" G_GSIZE_FORMAT
                       " stray bytes at offset %" G_GSIZE_FORMAT,
                       len - off, off);
          return NULL;
        }
      size = zk_read_u16 (data + off);
      if (size < 6 || size > len - off)
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                       "template table corrupt: entry of %u bytes at offset %" G_GSIZE_FORMAT
                       " (%" G_GSIZE_FORMAT " bytes left)",
                       size, off, len - off);
          return NULL;
        }
      uid = zk_read_u16 (data + off + 2);
      fid = data[off + 4];
      valid = data[off + 5];
      if (size == 6 || uid == 0 || fid > 9)
        zk_skips_add (skips, SKIP_TEMPLATE,
                      "offset %" G_GSIZE_FORMAT ": uid %u finger %u, %u bytes", off, uid, fid,
                      size - 6u);
      else if (max_templates > 0 && templates->len >= max_templates)
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                       "template table holds more than %u templates", max_templates);
          return NULL;
        }
      else
        {
          g_autoptr (GBytes) bytes = g_bytes_new (data + off + 6, size - 6u);

          g_ptr_array_add (templates, zk_template_new (uid, fid, valid, bytes));
        }
      off += size;
    }
  return g_steal_pointer (&templates);
}

/* ----------------------------------------------------------------- faces */

void
zk_face_append_record (GByteArray *out, const ZkFace *face)
{
  guint start = out->len;
  gsize size;
  const guint8 *bytes = g_bytes_get_data (face->data, &size);

  size = MIN (size, ZK_FACE_DATA_MAX);
  g_byte_array_set_size (out, start + ZK_FACE_RECORD_SIZE);
  memset (out->data + start, 0, ZK_FACE_RECORD_SIZE);
  zk_write_u16 (out->data + start, (guint16)size);
  zk_write_u16 (out->data + start + 2, face->uid);
  out->data[start + 4] = face->fid;
  out->data[start + 5] = face->valid;
  if (size > 0)
    memcpy (out->data + start + 16, bytes, size);
}

GPtrArray *
zk_faces_decode (const guint8 *data, gsize len, ZkSkips *skips, GError **error)
{
  g_autoptr (GPtrArray) faces = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_face_free);
  gsize off;

  if (len % ZK_FACE_RECORD_SIZE != 0)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                   "face data of %" G_GSIZE_FORMAT " bytes is not a whole number of %u-byte"
                   " records",
                   len, ZK_FACE_RECORD_SIZE);
      return NULL;
    }
  for (off = 0; off < len; off += ZK_FACE_RECORD_SIZE)
    {
      const guint8 *rec = data + off;
      guint16 size = zk_read_u16 (rec);
      g_autoptr (GBytes) bytes = NULL;

      if (size == 0 || size > ZK_FACE_DATA_MAX)
        {
          zk_skips_add (skips, SKIP_FACE, "record %" G_GSIZE_FORMAT ": %u data bytes",
                        off / ZK_FACE_RECORD_SIZE, size);
          continue;
        }
      bytes = g_bytes_new (rec + 16, size);
      g_ptr_array_add (faces, zk_face_new (zk_read_u16 (rec + 2), rec[4], rec[5], bytes));
    }
  return g_steal_pointer (&faces);
}

/* ------------------------------------------------------------ attendance */

ZkAttendance *
zk_attendance_copy (const ZkAttendance *att)
{
  return g_memdup2 (att, sizeof *att);
}

void
zk_attendance_free (ZkAttendance *att)
{
  g_free (att);
}

static gboolean
attendance_width_ok (gsize w)
{
  return w == 8 || w == 16 || (w >= 40 && w <= ZK_ATTENDANCE_MAX_WIDTH);
}

guint
zk_attendance_infer_width (gsize records_len, guint count_hint, guint width_hint)
{
  static const guint common[] = { 40, 16, 8 };
  guint i;

  if (records_len == 0)
    return width_hint ? width_hint : 40;
  if (count_hint > 0 && records_len % count_hint == 0
      && attendance_width_ok (records_len / count_hint))
    return (guint)(records_len / count_hint);
  if (width_hint > 0 && attendance_width_ok (width_hint) && records_len % width_hint == 0)
    return width_hint;
  for (i = 0; i < G_N_ELEMENTS (common); i++)
    if (records_len % common[i] == 0)
      return common[i];
  return 0;
}

gboolean
zk_attendance_encode (const ZkAttendance *att, guint width, guint8 *out, GError **error)
{
  if (width >= 40 && width <= ZK_ATTENDANCE_MAX_WIDTH)
    {
      memset (out, 0, width);
      zk_write_u16 (out, att->uid);
      memcpy (out + 2, att->user_id, strnlen (att->user_id, 24));
      out[26] = att->verify;
      zk_write_u32 (out + 27, zk_time_encode (&att->time));
      out[31] = att->state;
      zk_write_u32 (out + 32, att->workcode);
      out[36] = 0xff;
      return TRUE;
    }
  if (width == 16 || width == 8)
    {
      guint64 number = g_ascii_strtoull (att->user_id, NULL, 10);

      memset (out, 0, width);
      if (width == 16)
        {
          zk_write_u32 (out, (guint32)MIN (number, G_MAXUINT32));
          zk_write_u32 (out + 4, zk_time_encode (&att->time));
          out[8] = att->state;
          out[9] = att->verify;
          zk_write_u32 (out + 12, att->workcode);
        }
      else
        {
          /* the ZEM500 reading: [u16 uid][u8 verify<<4 | state][u8 0][u32 time] */
          zk_write_u16 (out, att->uid);
          out[2] = (guint8)(((att->verify & 0x0f) << 4) | (att->state & 0x0f));
          zk_write_u32 (out + 4, zk_time_encode (&att->time));
        }
      return TRUE;
    }
  g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "unsupported attendance width %u",
               width);
  return FALSE;
}

/* 8-byte logs come in two readings; pick the one whose times are dates */
static gboolean
compact_logs_are_zem500 (const guint8 *data, gsize len)
{
  guint good_zem = 0, good_pyzk = 0;
  gsize off;

  for (off = 0; off + 8 <= len; off += 8)
    {
      ZkTime t;

      zk_time_decode (zk_read_u32 (data + off + 4), &t);
      good_zem += zk_time_is_valid (&t);
      zk_time_decode (zk_read_u32 (data + off + 3), &t);
      good_pyzk += zk_time_is_valid (&t);
    }
  return good_zem >= good_pyzk;
}

GPtrArray *
zk_attendance_decode (const guint8 *data,
                      gsize len,
                      guint count_hint,
                      guint width_hint,
                      guint *width_out,
                      ZkSkips *skips,
                      GError **error)
{
  g_autoptr (GPtrArray) records
      = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_attendance_free);
  guint width = zk_attendance_infer_width (len, count_hint, width_hint);
  gboolean zem500 = FALSE;
  gsize off;

  if (width == 0)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                   "attendance table of %" G_GSIZE_FORMAT " bytes fits no known record width"
                   " (%u records announced)",
                   len, count_hint);
      return NULL;
    }
  if (width == 8)
    zem500 = compact_logs_are_zem500 (data, len);

  for (off = 0; off + width <= len; off += width)
    {
      const guint8 *rec = data + off;
      ZkAttendance att = { 0 };
      guint32 raw_time;

      if (width >= 40)
        {
          char pin[25];

          att.uid = zk_read_u16 (rec);
          /* no punch is lost for its PIN: one that is not clean is escaped */
          zk_copy_field (pin, sizeof pin, rec + 2, 24);
          zk_text_identity_escape_to (pin, -1, att.user_id, sizeof att.user_id);
          att.verify = rec[26];
          raw_time = zk_read_u32 (rec + 27);
          att.state = rec[31];
          att.workcode = zk_read_u32 (rec + 32);
        }
      else if (width == 16)
        {
          guint32 number = zk_read_u32 (rec);

          g_snprintf (att.user_id, sizeof att.user_id, "%u", number);
          raw_time = zk_read_u32 (rec + 4);
          att.state = rec[8];
          att.verify = rec[9];
          att.workcode = zk_read_u32 (rec + 12);
        }
      else if (zem500)
        {
          att.uid = zk_read_u16 (rec);
          g_snprintf (att.user_id, sizeof att.user_id, "%u", att.uid);
          att.verify = rec[2] >> 4;
          att.state = rec[2] & 0x0f;
          raw_time = zk_read_u32 (rec + 4);
        }
      else
        {
          att.uid = zk_read_u16 (rec);
          g_snprintf (att.user_id, sizeof att.user_id, "%u", att.uid);
          att.verify = rec[2];
          raw_time = zk_read_u32 (rec + 3);
          att.state = rec[7];
        }
      zk_time_decode (raw_time, &att.time);
      if (raw_time == 0 || !zk_time_is_valid (&att.time))
        {
          zk_skips_add (skips, SKIP_PUNCH_TIME,
                        "record %" G_GSIZE_FORMAT " of user “%s”: %04u-%02u-%02u %02u:%02u:%02u"
                        " (raw 0x%08x)",
                        off / width, att.user_id, att.time.year, att.time.month, att.time.day,
                        att.time.hour, att.time.minute, att.time.second, raw_time);
          continue;
        }
      if (att.user_id[0] == '\0')
        {
          zk_skips_add (skips, SKIP_PUNCH_PIN, "record %" G_GSIZE_FORMAT, off / width);
          continue;
        }
      g_ptr_array_add (records, zk_attendance_copy (&att));
    }
  if (width_out)
    *width_out = width;
  return g_steal_pointer (&records);
}

/* the 32-byte TFT form: [char24 PIN][u8 verify][u8 state][6-byte time] */
static void
event_decode_tft (const guint8 *data, ZkAttendance *att)
{
  char pin[25];

  zk_copy_field (pin, sizeof pin, data, 24);
  zk_text_identity_escape_to (pin, -1, att->user_id, sizeof att->user_id);
  att->verify = data[24];
  att->state = data[25];
  zk_time_decode6 (data + 26, &att->time);
}

/* the BW forms: [u16 uid or u32 PIN number][u8 verify][u8 state][6-byte time] */
static void
event_decode_bw (const guint8 *data, gsize id_len, ZkAttendance *att)
{
  guint32 number = id_len == 2 ? zk_read_u16 (data) : zk_read_u32 (data);

  if (id_len == 2)
    att->uid = (guint16)number;
  g_snprintf (att->user_id, sizeof att->user_id, "%u", number);
  att->verify = data[id_len];
  att->state = data[id_len + 1];
  zk_time_decode6 (data + id_len + 2, &att->time);
}

gboolean
zk_attendance_decode_event (const guint8 *data, gsize len, ZkAttendance *att, GError **error)
{
  memset (att, 0, sizeof *att);
  switch (len)
    {
    case 10:
    case 14:
      event_decode_bw (data, 2, att);
      break;
    case 12:
      event_decode_bw (data, 4, att);
      break;
    case 32:
    case 37:
      event_decode_tft (data, att);
      break;
    case 36:
      event_decode_tft (data, att);
      /* bit 7 flags an invalid punch; the log record holds the state alone */
      att->state &= 0x7f;
      att->workcode = zk_read_u32 (data + 32);
      break;
    default:
      if (len < 52)
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                       "attendance event of %" G_GSIZE_FORMAT " bytes, a length no terminal is "
                       "known to send",
                       len);
          return FALSE;
        }
      event_decode_tft (data, att);
      break;
    }
  if (!zk_time_is_valid (&att->time))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                   "attendance event of user “%s” with an impossible time "
                   "%04u-%02u-%02u %02u:%02u:%02u",
                   att->user_id, att->time.year, att->time.month, att->time.day, att->time.hour,
                   att->time.minute, att->time.second);
      return FALSE;
    }
  if (att->user_id[0] == '\0')
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_PROTOCOL, "attendance event without a PIN");
      return FALSE;
    }
  return TRUE;
}

/* -------------------------------------------------------------- free sizes */

gboolean
zk_sizes_decode (const guint8 *data, gsize len, ZkSizes *sizes, GError **error)
{
  guint n = (guint)MIN (len / 4, 64);

  if (n < 20)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                   "free-sizes reply of %" G_GSIZE_FORMAT " bytes is too short (80 expected)", len);
      return FALSE;
    }
  memset (sizes, 0, sizeof *sizes);
  sizes->n_ints = n;
#define INT_AT(i) ((gint32)zk_read_u32 (data + (i)*4))
  sizes->users = INT_AT (4);
  sizes->fingers = INT_AT (6);
  sizes->records = INT_AT (8);
  sizes->oplogs = INT_AT (10);
  sizes->admins = INT_AT (12);
  sizes->passwords = INT_AT (13);
  sizes->finger_capacity = INT_AT (14);
  sizes->user_capacity = INT_AT (15);
  sizes->record_capacity = INT_AT (16);
  sizes->fingers_available = INT_AT (17);
  sizes->users_available = INT_AT (18);
  sizes->records_available = INT_AT (19);
  if (n >= 23)
    {
      sizes->faces = INT_AT (20);
      sizes->face_capacity = INT_AT (22);
    }
#undef INT_AT
  return TRUE;
}

void
zk_sizes_encode (const ZkSizes *sizes, guint n_ints, GByteArray *out)
{
  gint32 ints[23] = { 0 };
  guint i;

  n_ints = n_ints >= 23 ? 23 : 20;
  ints[4] = sizes->users;
  ints[6] = sizes->fingers;
  ints[8] = sizes->records;
  ints[10] = sizes->oplogs;
  ints[12] = sizes->admins;
  ints[13] = sizes->passwords;
  ints[14] = sizes->finger_capacity;
  ints[15] = sizes->user_capacity;
  ints[16] = sizes->record_capacity;
  ints[17] = sizes->fingers_available;
  ints[18] = sizes->users_available;
  ints[19] = sizes->records_available;
  ints[20] = sizes->faces;
  ints[22] = sizes->face_capacity;
  for (i = 0; i < n_ints; i++)
    zk_append_u32 (out, (guint32)ints[i]);
}

/* ------------------------------------------------------------- options */

GBytes *
zk_option_parse_reply_bytes (const guint8 *data, gsize len, const char *name, GError **error)
{
  const guint8 *eq;
  const guint8 *value;
  gsize value_len = 0;

  eq = data ? memchr (data, '=', len) : NULL;
  if (eq == NULL)
    {
      g_autofree char *shown = zk_text_display (name ? name : "", -1);

      g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL, "option reply for “%s” has no “=”", shown);
      return NULL;
    }
  value = eq + 1;
  /* stray '=' after the name (seen by pyzk) */
  while (value < data + len && *value == '=')
    value++;
  while (value + value_len < data + len && value[value_len] != '\0')
    value_len++;
  return g_bytes_new (value, value_len);
}

char *
zk_option_parse_reply (const guint8 *data, gsize len, const char *name, GError **error)
{
  g_autoptr (GBytes) value = zk_option_parse_reply_bytes (data, len, name, error);
  gsize size = 0;
  const char *bytes;

  if (value == NULL)
    return NULL;
  bytes = g_bytes_get_data (value, &size);
  return zk_text_display (bytes, (gssize)size);
}
