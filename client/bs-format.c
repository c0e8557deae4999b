/* bs-format.c — how biosync clients show times, states and counts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <stdio.h>
#include <string.h>

#include "bs-format.h"

char *
bs_format_time (guint64 usec)
{
  g_autoptr (GDateTime) utc = NULL;
  g_autoptr (GDateTime) local = NULL;

  if (usec == 0)
    return g_strdup (_ ("never"));
  utc = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  if (utc == NULL)
    return g_strdup ("?");
  local = g_date_time_to_local (utc);
  return g_date_time_format (local, "%Y-%m-%d %H:%M:%S");
}

char *
bs_format_time_iso (guint64 usec)
{
  g_autoptr (GDateTime) utc = NULL;

  if (usec == 0)
    return g_strdup ("");
  utc = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  if (utc == NULL)
    return g_strdup ("");
  return g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
}

char *
bs_format_time_relative (guint64 usec, guint64 now_usec)
{
  gint64 delta;
  guint64 magnitude;
  gboolean future;

  if (usec == 0)
    return g_strdup (_ ("never"));
  if (now_usec == 0)
    now_usec = (guint64)g_get_real_time ();
  delta = (gint64)(now_usec - usec);
  future = delta < 0;
  magnitude = (guint64)ABS (delta) / G_USEC_PER_SEC;
  if (magnitude < 60)
    return g_strdup (future ? _ ("in a moment") : _ ("just now"));
  if (magnitude < 3600)
    {
      guint n = magnitude / 60;
      return g_strdup_printf (
          future ? g_dngettext (GETTEXT_PACKAGE, "in %u minute", "in %u minutes", n)
                 : g_dngettext (GETTEXT_PACKAGE, "%u minute ago", "%u minutes ago", n),
          n);
    }
  if (magnitude < 86400)
    {
      guint n = magnitude / 3600;
      return g_strdup_printf (future
                                  ? g_dngettext (GETTEXT_PACKAGE, "in %u hour", "in %u hours", n)
                                  : g_dngettext (GETTEXT_PACKAGE, "%u hour ago", "%u hours ago", n),
                              n);
    }
  {
    guint n = magnitude / 86400;
    return g_strdup_printf (future ? g_dngettext (GETTEXT_PACKAGE, "in %u day", "in %u days", n)
                                   : g_dngettext (GETTEXT_PACKAGE, "%u day ago", "%u days ago", n),
                            n);
  }
}

/* ------------------------------------------------------------------ reading times */

/* "2024-05-01" (local midnight; with @end_of_day the midnight after it),
 * "2024-05-01T08:30" or "2024-05-01 08:30:00" (local unless it has an
 * offset or Z), "@SECONDS" since the epoch; µs since the epoch */
gboolean
bs_format_parse_time (const char *text, gboolean end_of_day, guint64 *usec)
{
  g_autoptr (GTimeZone) local = g_time_zone_new_local ();
  g_autoptr (GDateTime) time = NULL;
  guint64 seconds;
  int year, month, day;
  char tail;

  if (text[0] == '@')
    {
      if (!g_ascii_string_to_unsigned (text + 1, 10, 0, G_MAXUINT32, &seconds, NULL))
        return FALSE;
      *usec = seconds * G_USEC_PER_SEC;
      return TRUE;
    }
  if (sscanf (text, "%4d-%2d-%2d%c", &year, &month, &day, &tail) == 3)
    {
      time = g_date_time_new (local, year, month, day, 0, 0, 0);
      if (time != NULL && end_of_day)
        {
          GDateTime *next = g_date_time_add_days (time, 1);

          g_date_time_unref (time);
          time = next;
        }
    }
  else
    {
      g_autofree char *iso = g_strdup (text);
      char *space = strchr (iso, ' ');

      if (space != NULL)
        *space = 'T';
      time = g_date_time_new_from_iso8601 (iso, local);
    }
  if (time == NULL || g_date_time_to_unix (time) < 0)
    return FALSE;
  *usec = (guint64)g_date_time_to_unix (time) * G_USEC_PER_SEC
          + (guint64)g_date_time_get_microsecond (time);
  return TRUE;
}

char *
bs_format_duration (guint64 usec)
{
  guint64 seconds = usec / G_USEC_PER_SEC;

  if (usec < G_USEC_PER_SEC)
    /* TRANSLATORS: milliseconds */
    return g_strdup_printf (_ ("%u ms"), (guint)(usec / 1000));
  if (seconds < 60)
    /* TRANSLATORS: seconds */
    return g_strdup_printf (_ ("%u s"), (guint)seconds);
  if (seconds < 3600)
    /* TRANSLATORS: minutes and seconds */
    return g_strdup_printf (_ ("%u min %u s"), (guint)(seconds / 60), (guint)(seconds % 60));
  /* TRANSLATORS: hours and minutes */
  return g_strdup_printf (_ ("%u h %u min"), (guint)(seconds / 3600), (guint)(seconds % 3600 / 60));
}

char *
bs_format_clock_offset (gint64 seconds)
{
  guint64 magnitude = (guint64)ABS (seconds);
  g_autofree char *amount = NULL;

  if (seconds == 0)
    return g_strdup (_ ("in sync"));
  amount = bs_format_duration (magnitude * G_USEC_PER_SEC);
  /* TRANSLATORS: a terminal's clock, e.g. "12 s ahead" */
  return g_strdup_printf (seconds > 0 ? _ ("%s ahead") : _ ("%s behind"), amount);
}

char *
bs_format_usage (guint used, guint capacity)
{
  if (capacity == 0)
    return g_strdup_printf ("%u", used);
  /* TRANSLATORS: users (or templates, records) on a terminal against its capacity */
  return g_strdup_printf (_ ("%u of %u"), used, capacity);
}

double
bs_format_usage_fraction (guint used, guint capacity)
{
  if (capacity == 0)
    return 0.0;
  return CLAMP ((double)used / (double)capacity, 0.0, 1.0);
}

/* a code of the daemon and its label (translated with @context) */
typedef struct
{
  const char *code;
  const char *label;
} Label;

static const char *
label_of (const Label *labels, gsize n, const char *context, const char *code)
{
  for (gsize i = 0; i < n; i++)
    if (g_strcmp0 (code, labels[i].code) == 0)
      return g_dpgettext2 (GETTEXT_PACKAGE, context, labels[i].label);
  return NULL;
}

const char *
bs_format_device_state (const char *state)
{
  static const Label states[] = {
    { "online", NC_ ("device state", "Online") },
    { "offline", NC_ ("device state", "Offline") },
    { "busy", NC_ ("device state", "Busy") },
    { "error", NC_ ("device state", "Error") },
  };
  const char *label = label_of (states, G_N_ELEMENTS (states), "device state", state);

  return label != NULL ? label : C_ ("device state", "Unknown");
}

const char *
bs_format_device_status (const char *state, gboolean enabled)
{
  if (!enabled)
    return C_ ("device state", "Disabled");
  return bs_format_device_state (state);
}

const char *
bs_format_job_state (const char *state)
{
  static const Label states[] = {
    { "queued", NC_ ("job state", "Queued") },
    { "running", NC_ ("job state", "Running") },
    { "succeeded", NC_ ("job state", "Succeeded") },
    { "partial", NC_ ("job state", "Partly done") },
    { "failed", NC_ ("job state", "Failed") },
    { "cancelled", NC_ ("job state", "Cancelled") },
    { "interrupted", NC_ ("job state", "Interrupted") },
  };
  const char *label = label_of (states, G_N_ELEMENTS (states), "job state", state);

  return label != NULL ? label : C_ ("job state", "Unknown");
}

const char *
bs_format_device_result (const char *status)
{
  static const Label results[] = {
    { "ok", NC_ ("device result", "OK") },
    { "partial", NC_ ("device result", "Partly done") },
    { "failed", NC_ ("device result", "Failed") },
    { "unreachable", NC_ ("device result", "Unreachable") },
    /* a push terminal that did not poll in time: its commands wait for it */
    { "pending", NC_ ("device result", "Pending") },
    { "cancelled", NC_ ("device result", "Cancelled") },
    { "skipped", NC_ ("device result", "Skipped") },
  };
  const char *label = label_of (results, G_N_ELEMENTS (results), "device result", status);

  return label != NULL ? label : C_ ("device result", "Unknown");
}

const char *
bs_format_job_kind (const char *kind)
{
  static const Label kinds[] = {
    { "auto-sync", NC_ ("job kind", "Automatic sync") },
    { "sync-all", NC_ ("job kind", "Sync all devices") },
    { "sync-area", NC_ ("job kind", "Sync area") },
    { "sync-device", NC_ ("job kind", "Sync device") },
    { "sync-templates", NC_ ("job kind", "Sync user templates") },
    { "refresh-logs", NC_ ("job kind", "Collect attendance") },
    { "balance", NC_ ("job kind", "Balance devices") },
    { "preview", NC_ ("job kind", "Preview sync") },
    { "delete-user", NC_ ("job kind", "Delete person") },
    { "update-user", NC_ ("job kind", "Update person") },
    { "set-time", NC_ ("job kind", "Set clocks") },
    { "import-users", NC_ ("job kind", "Import people") },
  };
  const char *label = label_of (kinds, G_N_ELEMENTS (kinds), "job kind", kind);

  if (label != NULL)
    return label;
  return kind != NULL ? kind : "";
}

char *
bs_format_job_outcome (const char *kind, const char *state)
{
  const char *what = bs_format_job_kind (kind);

  /* Translators: %s is a job, e.g. "Sync all devices" */
  if (g_strcmp0 (state, "failed") == 0)
    return g_strdup_printf (_ ("%s failed"), what);
  if (g_strcmp0 (state, "partial") == 0)
    return g_strdup_printf (_ ("%s partly failed"), what);
  return g_strdup_printf (_ ("%s finished"), what);
}

const char *
bs_format_privilege (guint privilege)
{
  switch (privilege)
    {
    case 0:
      return C_ ("privilege", "User");
    case 2:
      return C_ ("privilege", "Enroller");
    case 6:
      return C_ ("privilege", "Administrator");
    case 14:
      return C_ ("privilege", "Super administrator");
    default:
      return C_ ("privilege", "Other");
    }
}

/* the first word for a code without one: kept, so the returned string
 * stays static; terminal codes are bytes, so at most 256 are kept */
static const char *
other_word (GHashTable **others, guint code, char *word)
{
  static GMutex lock;
  const char *kept;

  g_mutex_lock (&lock);
  if (*others == NULL)
    *others = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  kept = g_hash_table_lookup (*others, GUINT_TO_POINTER (code));
  if (kept == NULL && g_hash_table_size (*others) < 256)
    {
      kept = g_steal_pointer (&word);
      g_hash_table_insert (*others, GUINT_TO_POINTER (code), (gpointer)kept);
    }
  g_mutex_unlock (&lock);
  g_free (word);
  return kept != NULL ? kept : "?";
}

const char *
bs_format_verify (guint verify)
{
  static const char *const words[] = {
    [0] = NC_ ("verify method", "password"),
    [1] = NC_ ("verify method", "fingerprint"),
    [2] = NC_ ("verify method", "card"),
    [15] = NC_ ("verify method", "face"),
  };
  static GHashTable *others;

  if (verify < G_N_ELEMENTS (words) && words[verify] != NULL)
    return g_dpgettext2 (GETTEXT_PACKAGE, "verify method", words[verify]);
  /* Translators: a verify method without a name, %u is its number */
  return other_word (&others, verify, g_strdup_printf (_ ("method %u"), verify));
}

const char *
bs_format_punch_state (guint state)
{
  static const char *const words[] = {
    NC_ ("punch state", "check-in"),    NC_ ("punch state", "check-out"),
    NC_ ("punch state", "break-out"),   NC_ ("punch state", "break-in"),
    NC_ ("punch state", "overtime-in"), NC_ ("punch state", "overtime-out"),
  };
  static GHashTable *others;

  if (state < G_N_ELEMENTS (words))
    return g_dpgettext2 (GETTEXT_PACKAGE, "punch state", words[state]);
  /* Translators: a punch state without a name, %u is its number */
  return other_word (&others, state, g_strdup_printf (_ ("state %u"), state));
}

char *
bs_format_live_line (const char *state, guint64 last_punch, guint64 now_usec)
{
  g_autofree char *when = NULL;

  if (state == NULL || state[0] == '\0')
    return NULL;
  if (last_punch == 0)
    /* TRANSLATORS: a terminal's live punches, e.g. "Live: Listening" */
    return g_strdup_printf (_ ("Live: %s"), bs_format_live_state (state));
  when = bs_format_time_relative (last_punch, now_usec);
  /* TRANSLATORS: "Live: Listening · last punch 2 minutes ago" */
  return g_strdup_printf (_ ("Live: %s · last punch %s"), bs_format_live_state (state), when);
}

char *
bs_format_central_state (const char *state)
{
  if (g_strcmp0 (state, "connecting") == 0)
    return g_strdup (_ ("Connecting"));
  if (g_strcmp0 (state, "shipping") == 0)
    return g_strdup (_ ("Shipping"));
  if (g_strcmp0 (state, "idle") == 0)
    return g_strdup (_ ("Up to date"));
  if (state != NULL && g_str_has_prefix (state, "error: "))
    /* TRANSLATORS: %s is the central database's error, e.g. "connection refused" */
    return g_strdup_printf (_ ("Error: %s"), state + strlen ("error: "));
  return g_strdup (_ ("Off"));
}

char *
bs_format_central_backlog (guint64 lag, guint64 oldest)
{
  g_autofree char *since = NULL;
  g_autofree char *behind = NULL;

  if (lag == 0 && oldest == 0)
    return g_strdup (_ ("Nothing waiting"));
  since = bs_format_time (oldest);
  behind = bs_format_duration (lag);
  /* TRANSLATORS: the oldest punch not shipped yet, and how long it waits:
   * "Since 2024-05-01 14:03:00 (12 min behind)" */
  return g_strdup_printf (_ ("Since %s (%s behind)"), since, behind);
}

char *
bs_format_planned_photos (gint64 n)
{
  guint count = (guint)CLAMP (n, 0, G_MAXUINT);

  if (count == 0)
    return NULL;
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%u comparison photo to send, the terminal makes its own "
                                       "face from it",
                                       "%u comparison photos to send, the terminal makes its own "
                                       "faces from them",
                                       count),
                          count);
}

char *
bs_format_push_state (const char *state)
{
  if (g_strcmp0 (state, "listening") == 0)
    return g_strdup (_ ("Listening"));
  if (state != NULL && g_str_has_prefix (state, "error: "))
    /* Translators: %s says why, e.g. "Address already in use" */
    return g_strdup_printf (_ ("Not listening: %s"), state + strlen ("error: "));
  return g_strdup (_ ("Off"));
}

const char *
bs_format_live_state (const char *state)
{
  static const Label states[] = {
    { "off", NC_ ("live state", "Off") },
    { "listening", NC_ ("live state", "Listening") },
    { "reconnecting", NC_ ("live state", "Reconnecting") },
  };
  const char *label = label_of (states, G_N_ELEMENTS (states), "live state", state);

  return label != NULL ? label : C_ ("live state", "Unknown");
}
