/* bsd-time-zone.c — which time zones a device may name
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-time-zone.h"

#include <string.h>

/* the longest name in tzdata is 32 bytes ("America/Argentina/ComodRivadavia") */
#define MAX_ZONE_NAME 64

/* what the zone database's own list may hold; a line that does not fit
 * is ignored rather than trusted */
static gboolean
zone_name_plausible (const char *name)
{
  const char *c;

  if (name[0] == '\0' || name[0] == '/' || strlen (name) > MAX_ZONE_NAME
      || strstr (name, "..") != NULL)
    return FALSE;
  for (c = name; *c; c++)
    if (!g_ascii_isalnum (*c) && strchr ("/_+-", *c) == NULL)
      return FALSE;
  return TRUE;
}

static GHashTable *
load_zone_names (void)
{
  const char *dir = g_getenv ("TZDIR");
  g_autofree char *path
      = g_build_filename (dir && *dir ? dir : "/usr/share/zoneinfo", "tzdata.zi", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint i;

  if (!g_file_get_contents (path, &text, NULL, &error))
    {
      g_warning ("no time zone database (%s): devices can only use UTC or fixed offsets",
                 error->message);
      return names;
    }
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i]; i++)
    {
      g_auto (GStrv) fields = NULL;
      const char *name = NULL;

      /* "Z Europe/Berlin …" is a zone, "L Europe/Berlin Arctic/Longyearbyen" a link */
      if (lines[i][0] != 'Z' && lines[i][0] != 'L')
        continue;
      fields = g_strsplit_set (lines[i], " \t", 4);
      if (lines[i][0] == 'Z' && g_strv_length (fields) >= 2)
        name = fields[1];
      else if (lines[i][0] == 'L' && g_strv_length (fields) >= 3)
        name = fields[2];
      if (name && zone_name_plausible (name))
        g_hash_table_add (names, g_strdup (name));
    }
  g_debug ("%u time zone names in %s", g_hash_table_size (names), path);
  return names;
}

static GHashTable *
zone_names (void)
{
  static GHashTable *names;

  if (g_once_init_enter (&names))
    g_once_init_leave (&names, load_zone_names ());
  return names;
}

void
bsd_time_zone_init (void)
{
  zone_names ();
}

/* "+05:30", "-03:00": GLib takes these as a constant offset, without a file */
static gboolean
is_fixed_offset (const char *text)
{
  return strlen (text) == 6 && (text[0] == '+' || text[0] == '-') && g_ascii_isdigit (text[1])
         && g_ascii_isdigit (text[2]) && text[3] == ':' && g_ascii_isdigit (text[4])
         && g_ascii_isdigit (text[5]) && (text[1] - '0') * 10 + (text[2] - '0') <= 14
         && text[4] <= '5';
}

gboolean
bsd_time_zone_is_valid (const char *identifier)
{
  if (identifier == NULL || identifier[0] == '\0' || g_str_equal (identifier, "UTC"))
    return TRUE;
  if (is_fixed_offset (identifier))
    return TRUE;
  return zone_name_plausible (identifier) && g_hash_table_contains (zone_names (), identifier);
}
