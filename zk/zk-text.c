/* zk-text.c — the one rule for strings that come from a terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "zk-text.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

static gsize
text_len (const char *text, gssize len)
{
  if (text == NULL)
    return 0;
  return len < 0 ? strlen (text) : (gsize)len;
}

static gboolean
byte_is_clean (guchar c)
{
  return c >= 0x20 && c != 0x7f && c != '\\';
}

/* C0, DEL and C1 */
static gboolean
unichar_is_control (gunichar c)
{
  return c < 0x20 || (c >= 0x7f && c < 0xa0);
}

/* calls @func for each run: clean bytes (valid UTF-8, allowed) or one
 * offending byte; the whole rule in one place */
typedef void (*RunFunc) (const char *run, gsize len, gboolean clean, gpointer data);

static void
identity_runs (const char *text, gsize len, RunFunc func, gpointer data)
{
  const char *p = text;
  const char *end;

  /* an empty value may come without storage: no arithmetic on it */
  if (len == 0)
    return;
  end = text + len;

  while (p < end)
    {
      const char *start = p;

      while (p < end)
        {
          gunichar c = g_utf8_get_char_validated (p, end - p);

          if (c == (gunichar)-1 || c == (gunichar)-2 || (c < 0x80 && !byte_is_clean ((guchar)c))
              || unichar_is_control (c))
            break;
          p = g_utf8_next_char (p);
        }
      if (p > start)
        func (start, (gsize)(p - start), TRUE, data);
      if (p < end)
        {
          func (p, 1, FALSE, data);
          p++;
        }
    }
}

static void
count_unclean (const char *run, gsize len, gboolean clean, gpointer data)
{
  if (!clean)
    (*(guint *)data)++;
}

gboolean
zk_text_identity_is_clean (const char *text, gssize len)
{
  guint bad = 0;

  identity_runs (text, text_len (text, len), count_unclean, &bad);
  return bad == 0;
}

static void
append_escaped (const char *run, gsize len, gboolean clean, gpointer data)
{
  GString *out = data;

  if (clean)
    g_string_append_len (out, run, (gssize)len);
  else
    g_string_append_printf (out, "\\x%02x", (guint)(guchar)*run);
}

char *
zk_text_identity_escape (const char *text, gssize len)
{
  GString *out = g_string_new (NULL);

  identity_runs (text, text_len (text, len), append_escaped, out);
  return g_string_free (out, FALSE);
}

gboolean
zk_text_identity_escape_to (const char *text, gssize len, char *out, gsize size)
{
  gsize n = text_len (text, len);
  g_autofree char *escaped = NULL;
  const char *result = text;

  g_return_val_if_fail (size > 0, FALSE);
  /* the common case, a clean PIN, costs no allocation */
  if (!zk_text_identity_is_clean (text, len))
    {
      escaped = zk_text_identity_escape (text, len);
      result = escaped;
      n = strlen (escaped);
    }
  if (n >= size)
    {
      out[0] = '\0';
      return FALSE;
    }
  if (n > 0)
    memcpy (out, result, n);
  out[n] = '\0';
  return TRUE;
}

char *
zk_text_display (const char *text, gssize len)
{
  gsize n = text_len (text, len);
  const char *p = text;
  const char *end;
  GString *out;

  /* an empty value may come without storage: no arithmetic on it */
  if (n == 0)
    return g_strdup ("");
  end = text + n;
  out = g_string_sized_new (n);

  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar)-1 || c == (gunichar)-2)
        {
          g_string_append (out, REPLACEMENT);
          p++;
          continue;
        }
      if (unichar_is_control (c))
        g_string_append (out, REPLACEMENT);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
  return g_string_free (out, FALSE);
}

gboolean
zk_text_display_is_clean (const char *text, gssize len)
{
  gsize n = text_len (text, len);
  const char *end;

  if (n == 0)
    return TRUE;
  if (!g_utf8_validate (text, (gssize)n, &end) || end != text + n)
    return FALSE;
  for (const char *p = text; p < text + n; p = g_utf8_next_char (p))
    if (unichar_is_control (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}
