/* zk-sim-push-loop.c — ZkSimPushDevice: the device's thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One thread per device runs the loop of PUSH-PROTOCOL.md §11: handshake
 * until a 200 arrives, options push, then re-post unposted results,
 * upload what is new, poll; wait Delay (1 s after commands, ErrorDelay
 * after a failure). The lock is never held over network I/O, so the
 * control socket is answered while a request hangs.
 */
#include "config.h"

#include <string.h>

#include "zk-error.h"
#include "zk-sim-push-device-private.h"

/* a failed upload is retried after 0.3, 0.6, 0.9 s, then held */
#define UPLOAD_RETRIES 3
#define RETRY_STEP_MS 300
/* after commands ran, the next poll comes this soon */
#define AFTER_COMMANDS_MS 1000
/* the clock is set from Date: only beyond this skew … */
#define CLOCK_SKEW_MAX_S 10
/* … and only from replies that came this fast */
#define CLOCK_REPLY_MAX_US (5 * G_USEC_PER_SEC)

/* ------------------------------------------------------------ clock and INFO */

/* device time = Date + TimeZone, when the skew is beyond 10 s */
static void
sync_clock (ZkSimPushDevice *self, const ZkSimPushReply *reply, gint64 started)
{
  gint64 skew;

  if (reply->date < 0)
    {
      self->stats.no_date++;
      return;
    }
  /* only text/plain replies that came quickly set the clock (old firmware) */
  if (reply->content_type == NULL
      || g_ascii_strncasecmp (reply->content_type, "text/plain", 10) != 0
      || g_get_monotonic_time () - started > CLOCK_REPLY_MAX_US)
    return;
  skew = zk_sim_push_utc_now () + self->clock_offset_s - reply->date;
  if (ABS (skew) <= CLOCK_SKEW_MAX_S)
    return;
  self->clock_offset_s = reply->date - zk_sim_push_utc_now ();
  self->stats.clock_sets++;
}

/* the INFO= of a poll: fw,users,fps,logs,ip,fpver,facever,faces/enrol,faces,flags */
static char *
info_param (ZkSimPushDevice *self)
{
  gboolean vl = self->config.model == ZK_SIM_PUSH_MODEL_VL;
  g_autofree char *info = g_strdup_printf (
      "%s,%u,%u,%u,127.0.0.1,10,%u,%u,%u,%s", self->config.firmware, self->users->len,
      zk_sim_push_device_count_bios (self, 1), self->punches->len, vl ? self->config.face_major : 0,
      vl ? 12 : 0, zk_sim_push_device_count_bios (self, 9), vl ? "11010" : "100");

  return g_uri_escape_string (info, ",", FALSE);
}

/* ------------------------------------------------------------ requests */

static void
count_request (ZkSimPushDevice *self, Endpoint endpoint)
{
  g_mutex_lock (&self->lock);
  self->stats.requests[endpoint]++;
  g_mutex_unlock (&self->lock);
}

/* one request without the lock held; NULL (counted) on a transport failure */
static ZkSimPushReply *
request (ZkSimPushDevice *self, Endpoint endpoint, const char *query, GBytes *body)
{
  g_autoptr (GError) error = NULL;
  static const char *const names[EP_COUNT] = {
    "cdata", "cdata", "getrequest", "devicecmd", "registry", "push", "querydata",
  };
  g_autofree char *full_query = g_strdup_printf ("SN=%s%s", self->config.serial, query);
  const char *name = names[endpoint];
  ZkSimPushReply *reply;
  gboolean rebooted;

  /* a device that rebooted mid-round sends nothing more of that round */
  g_mutex_lock (&self->lock);
  rebooted = self->boot != self->round_boot;
  g_mutex_unlock (&self->lock);
  if (rebooted)
    return NULL;
  count_request (self, endpoint);
  reply = zk_sim_push_http_request (self->http, name, full_query, body, self->cancellable, &error);
  if (reply == NULL)
    {
      g_debug ("%s: %s: %s", self->config.name, name, error->message);
      g_mutex_lock (&self->lock);
      self->stats.failures++;
      g_mutex_unlock (&self->lock);
    }
  return reply;
}

/* the lines of a reply body: split on CR/LF, blanks skipped; old firmware
 * drops a last line that has no line end; with lock held */
static GPtrArray *
reply_lines (ZkSimPushDevice *self, GBytes *body)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autofree char *text = g_strndup (data, len);
  g_auto (GStrv) parts = g_regex_split_simple ("\r\n|\r|\n", text, 0, 0);
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  guint n = g_strv_length (parts);

  if (self->config.old_firmware && n > 0 && parts[n - 1][0] != '\0')
    {
      self->stats.dropped_lines++;
      n--;
    }
  for (guint i = 0; i < n; i++)
    if (parts[i][0] != '\0')
      g_ptr_array_add (lines, g_strdup (parts[i]));
  return lines;
}

static GBytes *
join_lines (ZkSimPushDevice *self, GPtrArray *lines)
{
  GString *body = g_string_new (NULL);
  const char *eol = self->faults.crlf ? "\r\n" : "\n";

  for (guint i = 0; i < lines->len; i++)
    {
      g_autofree char *line = g_strdup (g_ptr_array_index (lines, i));
      g_auto (GStrv) parts = g_strsplit (line, "\n", -1);

      /* a queued group holds several lines */
      for (guint j = 0; parts[j] != NULL; j++)
        g_string_append_printf (body, "%s%s", parts[j], eol);
    }
  return g_string_free_to_bytes (body);
}

static int
parse_int (const char *text, int def)
{
  gint64 v;

  /* "None" and garbage read as 0, as atoi does on firmware */
  if (text == NULL)
    return def;
  if (!g_ascii_string_to_signed (text, 10, G_MININT, G_MAXINT, &v, NULL))
    return (int)g_ascii_strtoll (text, NULL, 10);
  return (int)v;
}

/* TransFlag: "TransData AttLog<TAB>OpLog…" or a digit mask */
static TransFlags
parse_trans (const char *value)
{
  static const struct
  {
    const char *token;
    TransFlags flag;
  } tokens[] = {
    { "AttLog", TRANS_ATTLOG },
    { "OpLog", TRANS_OPLOG },
    { "EnrollUser", TRANS_ENROLL_USER },
    { "ChgUser", TRANS_CHG_USER },
    { "EnrollFP", TRANS_ENROLL_FP },
    { "ChgFP", TRANS_CHG_FP },
    { "FACE", TRANS_FACE },
    { "BioPhoto", TRANS_BIOPHOTO },
  };
  /* format I: AttLog OpLog AttPhoto EnrollFP EnrollUser FPImag ChgUser ChgFP FACE
   * UserPic WorkCode BioPhoto */
  static const TransFlags mask[] = { TRANS_ATTLOG,
                                     TRANS_OPLOG,
                                     0,
                                     TRANS_ENROLL_FP,
                                     TRANS_ENROLL_USER,
                                     0,
                                     TRANS_CHG_USER,
                                     TRANS_CHG_FP,
                                     TRANS_FACE,
                                     0,
                                     0,
                                     TRANS_BIOPHOTO };
  TransFlags flags = 0;

  if (g_ascii_isdigit (value[0]))
    {
      for (guint i = 0; i < G_N_ELEMENTS (mask) && value[i] != '\0'; i++)
        if (value[i] == '1')
          flags |= mask[i];
      return flags;
    }
  /* old firmware finds the tokens with strstr */
  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    if (strstr (value, tokens[i].token) != NULL)
      flags |= tokens[i].flag;
  return flags;
}

static guint32
parse_bio_types (const char *value)
{
  g_auto (GStrv) parts = g_strsplit (value, ":", 16);
  guint32 types = 0;

  for (guint i = 0; parts[i] != NULL && i < 16; i++)
    if (g_str_equal (g_strstrip (parts[i]), "1"))
      types |= 1u << i;
  return types;
}

static int
parse_time_zone (const char *value)
{
  int n = parse_int (value, 0);

  /* |n| ≤ 12 hours (old firmware: < 25), beyond 60 minutes */
  if (ABS (n) < 25)
    return n * 60;
  return ABS (n) > 60 ? n : 0;
}

/* 3.x TransTables: "User Transaction" */
static TransFlags
parse_trans_tables (const char *value)
{
  g_auto (GStrv) tables = g_strsplit_set (value, " \t", 16);
  TransFlags flags = 0;

  for (guint i = 0; tables[i] != NULL; i++)
    if (g_ascii_strcasecmp (tables[i], "Transaction") == 0)
      flags |= TRANS_ATTLOG;
    else if (g_ascii_strcasecmp (tables[i], "User") == 0)
      flags |= TRANS_ALL & ~TRANS_ATTLOG;
  return flags;
}

/* the keys only a 3.x device reads; FALSE when @key is none of them */
static gboolean
apply_option_acc (ZkSimPushDevice *self, const char *key, const char *value)
{
  if (g_str_equal (key, "RequestDelay"))
    self->delay_s = (guint)CLAMP (parse_int (value, 30), 1, 3600);
  else if (g_str_equal (key, "TransTables"))
    self->trans = parse_trans_tables (value);
  else
    return FALSE;
  return TRUE;
}

/* one key=value of the handshake reply; unknown keys are ignored */
static void
apply_option (ZkSimPushDevice *self, const char *key, const char *value)
{
  if (zk_sim_push_device_is_acc (self) && apply_option_acc (self, key, value))
    return;
  if (g_str_equal (key, "Delay") && !zk_sim_push_device_is_acc (self))
    self->delay_s = (guint)CLAMP (parse_int (value, 10), 1, 3600);
  else if (g_str_equal (key, "ErrorDelay"))
    self->error_delay_s = (guint)CLAMP (parse_int (value, 30), 1, 3600);
  else if (g_str_equal (key, "TimeZone"))
    self->tz_minutes = parse_time_zone (value);
  else if (g_str_equal (key, "Realtime"))
    self->realtime = parse_int (value, 1) != 0;
  else if (g_str_equal (key, "TransInterval"))
    self->trans_interval_min = (guint)CLAMP (parse_int (value, 0), 0, 1440);
  else if (g_str_equal (key, "TransFlag"))
    self->trans = parse_trans (value);
  else if (g_str_equal (key, "ServerVer"))
    self->server_ver = TRUE;
  /* 3.x has no options push (the registry carried them) */
  else if (g_str_equal (key, "PushOptionsFlag") && !zk_sim_push_device_is_acc (self))
    self->options_flag = parse_int (value, 0) == 1;
  else if (g_str_equal (key, "PushOptions"))
    {
      g_strfreev (self->push_options);
      self->push_options = g_strsplit (value, ",", 64);
    }
  else if (g_str_equal (key, "MultiBioDataSupport"))
    self->server_bio_types = parse_bio_types (value);
  else if (g_str_equal (key, "MultiBioPhotoSupport"))
    self->server_photo_types = parse_bio_types (value);
  /* "0" means upload everything again; "None" too on old firmware */
  else if ((g_str_equal (key, "ATTLOGStamp") || g_str_equal (key, "Stamp"))
           && (g_str_equal (value, "0")
               || (self->config.old_firmware && parse_int (value, 0) == 0)))
    self->punches_sent = 0;
}

/* the lines of a 200 reply, with the lock taken; NULL (counted, unlocked)
 * for any other status */
static GPtrArray *
lock_reply_lines (ZkSimPushDevice *self, const ZkSimPushReply *reply)
{
  g_mutex_lock (&self->lock);
  if (reply->status != 200)
    {
      self->stats.failures++;
      g_mutex_unlock (&self->lock);
      return NULL;
    }
  return reply_lines (self, reply->body);
}

/* every key=value line of a reply; with lock held */
static void
apply_options (ZkSimPushDevice *self, GPtrArray *lines)
{
  for (guint i = 0; i < lines->len; i++)
    {
      g_auto (GStrv) kv = g_strsplit (g_ptr_array_index (lines, i), "=", 2);

      if (kv[0] != NULL && kv[1] != NULL)
        apply_option (self, g_strstrip (kv[0]), kv[1]);
    }
}

const char *
zk_sim_push_line_value (GPtrArray *lines, const char *key)
{
  gsize len = strlen (key);

  for (guint i = 0; i < lines->len; i++)
    {
      const char *line = g_ptr_array_index (lines, i);

      if (strncmp (line, key, len) == 0 && line[len] == '=')
        return line + len + 1;
    }
  return NULL;
}

/* 3.x step 1: GET cdata?options=all; 1 when the server answers
 * "registry=ok", 0 when it wants a registration, -1 on a failure */
static int
knock_acc (ZkSimPushDevice *self)
{
  g_autofree char *query = g_strdup_printf ("&options=all&pushver=%s&DeviceType=acc&language=69",
                                            self->config.pushver);
  g_autoptr (ZkSimPushReply) reply = request (self, EP_CDATA_GET, query, NULL);
  g_autoptr (GPtrArray) lines = NULL;
  gboolean registered;

  if (reply == NULL || (lines = lock_reply_lines (self, reply)) == NULL)
    return -1;
  registered = g_strcmp0 (zk_sim_push_line_value (lines, "registry"), "ok") == 0;
  g_mutex_unlock (&self->lock);
  return registered ? 1 : 0;
}

/* 3.x registration: POST registry with our options (comma list); the
 * server must give a RegistryCode of at most 32 bytes, 406 refuses */
static gboolean
register_acc (ZkSimPushDevice *self)
{
  g_autoptr (GString) body = g_string_new ("DeviceType=acc");
  g_autoptr (GPtrArray) pairs = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (ZkSimPushReply) reply = NULL;
  g_autoptr (GPtrArray) lines = NULL;
  const char *code;
  gboolean ok;

  g_mutex_lock (&self->lock);
  pairs = zk_sim_push_device_option_pairs (self);
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < pairs->len; i++)
    g_string_append_printf (body, ",%s", (char *)g_ptr_array_index (pairs, i));
  g_string_append_c (body, '\n');
  bytes = g_string_free_to_bytes (g_steal_pointer (&body));
  reply = request (self, EP_REGISTRY, "", bytes);
  if (reply == NULL || (lines = lock_reply_lines (self, reply)) == NULL)
    return FALSE;
  code = zk_sim_push_line_value (lines, "RegistryCode");
  /* the code would feed the cookie token, which is not simulated */
  ok = code != NULL && *code != '\0' && strlen (code) <= 32;
  if (!ok)
    self->stats.failures++;
  g_mutex_unlock (&self->lock);
  return ok;
}

/* 3.x configuration: POST push, whose reply carries the options */
static gboolean
configure_acc (ZkSimPushDevice *self)
{
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
  gint64 started = g_get_monotonic_time ();
  g_autoptr (ZkSimPushReply) reply = request (self, EP_PUSH, "", empty);
  g_autoptr (GPtrArray) lines = NULL;

  if (reply == NULL || (lines = lock_reply_lines (self, reply)) == NULL)
    return FALSE;
  apply_options (self, lines);
  sync_clock (self, reply, started);
  self->handshaken = TRUE;
  self->options_due = FALSE;
  self->rtstate_due = TRUE;
  self->stats.handshakes++;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* 3.x power-on (§7): knock; a server that does not answer "registry=ok"
 * gets a registration first; then the configuration. Without a registry
 * the device never uploads (§13.18). */
static gboolean
handshake_acc (ZkSimPushDevice *self)
{
  int known = knock_acc (self);

  if (known < 0)
    return FALSE;
  if (known == 0 && (!register_acc (self) || knock_acc (self) != 1))
    return FALSE;
  return configure_acc (self);
}

/* step 1: GET cdata?options=all until a 200 without UN…/RETRY arrives */
static gboolean
handshake (ZkSimPushDevice *self)
{
  g_autofree char *query = NULL;
  g_autoptr (ZkSimPushReply) reply = NULL;
  g_autoptr (GPtrArray) lines = NULL;
  gint64 started = g_get_monotonic_time ();

  if (zk_sim_push_device_is_acc (self))
    return handshake_acc (self);
  query = g_strdup_printf ("&options=all&pushver=%s&language=69%s", self->config.pushver,
                           self->config.old_firmware ? "" : "&DeviceType=att&PushOptionsFlag=1");
  reply = request (self, EP_CDATA_GET, query, NULL);
  if (reply == NULL || (lines = lock_reply_lines (self, reply)) == NULL)
    return FALSE;
  for (guint i = 0; i < lines->len; i++)
    {
      const char *line = g_ptr_array_index (lines, i);

      if (g_str_has_prefix (line, "UN") || g_str_has_prefix (line, "RETRY"))
        {
          self->stats.failures++;
          g_mutex_unlock (&self->lock);
          return FALSE;
        }
    }
  apply_options (self, lines);
  sync_clock (self, reply, started);
  self->handshaken = TRUE;
  self->options_due = self->options_flag;
  self->stats.handshakes++;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* step 2: POST cdata?table=options with the keys the server asked for */
static gboolean
push_options (ZkSimPushDevice *self)
{
  g_autoptr (GPtrArray) pairs = NULL;
  g_autoptr (GString) body = g_string_new (NULL);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (ZkSimPushReply) reply = NULL;
  gboolean ok;

  g_mutex_lock (&self->lock);
  pairs = zk_sim_push_device_option_pairs (self);
  for (guint i = 0; i < pairs->len; i++)
    {
      const char *pair = g_ptr_array_index (pairs, i);
      g_autofree char *key = g_strndup (pair, (gsize)(strchr (pair, '=') - pair));
      const char *bare = key[0] == '~' ? key + 1 : key;
      gboolean wanted = self->push_options == NULL;

      for (guint j = 0; !wanted && self->push_options[j] != NULL; j++)
        {
          const char *asked = g_strstrip (self->push_options[j]);

          wanted
              = g_str_equal (asked, key) || g_str_equal (asked[0] == '~' ? asked + 1 : asked, bare);
        }
      if (wanted)
        g_string_append_printf (body, "%s%s", body->len ? "," : "", pair);
    }
  g_string_append (body, self->faults.crlf ? "\r\n" : "\n");
  g_mutex_unlock (&self->lock);
  bytes = g_bytes_new (body->str, body->len);
  reply = request (self, EP_CDATA_POST, "&table=options", bytes);
  ok = reply != NULL && zk_sim_push_reply_is_ok (reply);
  g_mutex_lock (&self->lock);
  if (ok)
    self->options_due = FALSE;
  else if (reply != NULL)
    self->stats.failures++;
  g_mutex_unlock (&self->lock);
  return ok;
}

/* sleeps @ms unless stopping; FALSE when stopping */
static gboolean
nap (ZkSimPushDevice *self, guint ms)
{
  gint64 until = g_get_monotonic_time () + (gint64)ms * 1000;
  gboolean stopping;

  g_mutex_lock (&self->lock);
  while (!self->stopping && g_cond_wait_until (&self->cond, &self->lock, until))
    ;
  stopping = self->stopping;
  g_mutex_unlock (&self->lock);
  return !stopping;
}

/* 200 and the line @expect: how 3.x firmware knows its rows were taken
 * ("user=3" for three user rows) */
static gboolean
reply_has_line (ZkSimPushDevice *self, const ZkSimPushReply *reply, const char *expect)
{
  g_autoptr (GPtrArray) lines = NULL;

  if (reply->status != 200)
    return FALSE;
  g_mutex_lock (&self->lock);
  lines = reply_lines (self, reply->body);
  g_mutex_unlock (&self->lock);
  return g_ptr_array_find_with_equal_func (lines, expect, g_str_equal, NULL);
}

/* one post, remembered for the reboot fault when accepted */
static gboolean
post_once (
    ZkSimPushDevice *self, Endpoint endpoint, const char *query, GBytes *body, const char *expect)
{
  g_autoptr (ZkSimPushReply) reply = request (self, endpoint, query, body);
  gboolean ok = reply != NULL
                && (expect != NULL ? reply_has_line (self, reply, expect)
                                   : zk_sim_push_reply_is_ok (reply));

  g_mutex_lock (&self->lock);
  if (ok)
    {
      g_free (self->last_query);
      self->last_query = g_strdup (query);
      g_free (self->last_expect);
      self->last_expect = g_strdup (expect);
      self->last_endpoint = endpoint;
      g_clear_pointer (&self->last_batch, g_bytes_unref);
      self->last_batch = g_bytes_ref (body);
    }
  else if (reply != NULL)
    self->stats.failures++;
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
zk_sim_push_device_post (ZkSimPushDevice *self,
                         Endpoint endpoint,
                         const char *query,
                         GPtrArray *lines,
                         const char *expect)
{
  g_autoptr (GBytes) body = NULL;

  g_mutex_lock (&self->lock);
  body = join_lines (self, lines);
  g_mutex_unlock (&self->lock);
  for (guint attempt = 0;; attempt++)
    {
      if (post_once (self, endpoint, query, body, expect))
        {
          g_mutex_lock (&self->lock);
          self->stats.uploads++;
          self->stats.upload_lines += lines->len;
          self->last_upload = g_get_monotonic_time ();
          g_mutex_unlock (&self->lock);
          return TRUE;
        }
      if (attempt == UPLOAD_RETRIES || !nap (self, RETRY_STEP_MS * (attempt + 1)))
        return FALSE;
      g_mutex_lock (&self->lock);
      self->stats.upload_retries++;
      g_mutex_unlock (&self->lock);
    }
}

gboolean
zk_sim_push_device_upload (ZkSimPushDevice *self,
                           const char *table,
                           const char *stamp,
                           const char *extra,
                           GPtrArray *lines)
{
  g_autofree char *query = NULL;

  g_mutex_lock (&self->lock);
  if (self->faults.stamp_9999)
    stamp = "9999";
  /* old firmware without ServerVer marks OPERLOG posts with OpStamp */
  query = g_strdup_printf (
      "&table=%s&%s=%s%s", table,
      self->config.old_firmware && !self->server_ver && g_str_equal (table, "OPERLOG") ? "OpStamp"
                                                                                       : "Stamp",
      stamp, extra);
  g_mutex_unlock (&self->lock);
  return zk_sim_push_device_post (self, EP_CDATA_POST, query, lines, NULL);
}

gboolean
zk_sim_push_device_upload_table (ZkSimPushDevice *self,
                                 const char *name,
                                 const char *cmd_id,
                                 guint pack,
                                 guint packs,
                                 GPtrArray *lines)
{
  g_autofree char *expect = NULL;
  g_autofree char *query = NULL;

  /* the answer to a query goes to querydata, tied to its command (§7) */
  if (cmd_id != NULL)
    return zk_sim_push_device_answer (self, "tabledata", name, cmd_id, pack, packs, lines);
  expect = g_strdup_printf ("%s=%u", name, lines->len);
  query = g_strdup_printf ("&table=tabledata&tablename=%s&count=%u", name, lines->len);
  return zk_sim_push_device_post (self, EP_CDATA_POST, query, lines, expect);
}

gboolean
zk_sim_push_device_answer (ZkSimPushDevice *self,
                           const char *type,
                           const char *name,
                           const char *cmd_id,
                           guint pack,
                           guint packs,
                           GPtrArray *lines)
{
  g_autofree char *expect = g_strdup_printf ("%s=%u", name, lines->len);
  g_autofree char *query
      = g_strdup_printf ("&type=%s&cmdid=%s&tablename=%s&count=%u&packcnt=%u&packidx=%u", type,
                         cmd_id, name, lines->len, packs, pack);

  return zk_sim_push_device_post (self, EP_QUERYDATA, query, lines, expect);
}

/* the next batch of one queue (≤ 200 lines, of one table; a photo goes
 * alone: firmware posts one photo per request, §10); with lock held */
static GPtrArray *
take_lines (GPtrArray *queue, guint *taken, const char **table_acc)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  guint n = 0;

  *table_acc = NULL;
  for (*taken = 0; *taken < queue->len; (*taken)++)
    {
      const char *group = g_ptr_array_index (queue, *taken);
      const char *table = zk_sim_push_line_table_acc (group);
      gboolean photo = g_str_has_prefix (group, "BIOPHOTO ");
      guint in_group = 1;

      for (const char *p = group; (p = strchr (p, '\n')) != NULL; p++)
        in_group++;
      if (n > 0
          && (photo || n + in_group > ZK_SIM_PUSH_BATCH_MAX || g_strcmp0 (table, *table_acc) != 0))
        break;
      *table_acc = table;
      g_ptr_array_add (lines, g_strdup (group));
      n += in_group;
      if (photo)
        {
          (*taken)++;
          break;
        }
    }
  return lines;
}

static gboolean
upload_queue (ZkSimPushDevice *self, const char *table, GPtrArray *queue)
{
  for (;;)
    {
      g_autoptr (GPtrArray) lines = NULL;
      const char *table_acc;
      char stamp[16];
      char now[20];
      guint taken;
      gboolean ok;

      g_mutex_lock (&self->lock);
      lines = take_lines (queue, &taken, &table_acc);
      zk_sim_push_device_now (self, now);
      g_mutex_unlock (&self->lock);
      if (taken == 0)
        return TRUE;
      g_snprintf (stamp, sizeof stamp, "%u", zk_sim_push_encode_time (now));
      /* 3.x rows go up as tabledata of their table */
      ok = table_acc != NULL ? zk_sim_push_device_upload_table (self, table_acc, NULL, 0, 0, lines)
                             : zk_sim_push_device_upload (self, table, stamp, "", lines);
      if (!ok)
        return FALSE;
      /* only this thread takes from the queues */
      g_mutex_lock (&self->lock);
      g_ptr_array_remove_range (queue, 0, taken);
      g_mutex_unlock (&self->lock);
    }
}

static gboolean
upload_attlog (ZkSimPushDevice *self)
{
  for (;;)
    {
      g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
      char stamp[16] = "0";
      guint first, n;
      gboolean acc, ok;

      g_mutex_lock (&self->lock);
      first = self->punches_sent;
      acc = zk_sim_push_device_uploads_acc (self);
      n = (self->trans & TRANS_ATTLOG) ? MIN (self->punches->len - first, ZK_SIM_PUSH_BATCH_MAX)
                                       : 0;
      for (guint i = first; i < first + n; i++)
        {
          ZkSimPushPunch *punch = g_ptr_array_index (self->punches, i);

          g_ptr_array_add (lines, acc ? zk_sim_push_format_rtlog (self, punch, i + 1)
                                      : zk_sim_push_format_punch (self, punch));
        }
      if (n > 0)
        {
          ZkSimPushPunch *last = g_ptr_array_index (self->punches, first + n - 1);

          /* old firmware marks a batch with its last record's time */
          g_snprintf (stamp, sizeof stamp, "%u", zk_sim_push_encode_time (last->time));
        }
      g_mutex_unlock (&self->lock);
      if (n == 0)
        return TRUE;
      /* 3.x punches are real-time log rows, without marks */
      ok = acc ? zk_sim_push_device_post (self, EP_CDATA_POST, "&table=rtlog", lines, NULL)
               : zk_sim_push_device_upload (self, "ATTLOG", stamp, "", lines);
      if (!ok)
        return FALSE;
      g_mutex_lock (&self->lock);
      /* CLEAR LOG runs on this thread too, so the log did not shrink */
      self->punches_sent = first + n;
      g_mutex_unlock (&self->lock);
    }
}

/* with Realtime=1 as soon as there is data; else every TransInterval or on LOG */
static gboolean
uploads_due (ZkSimPushDevice *self)
{
  gint64 interval = (gint64)self->trans_interval_min * 60 * G_USEC_PER_SEC;

  return self->realtime || self->upload_now
         || (interval > 0 && g_get_monotonic_time () - self->last_upload >= interval);
}

/* 3.x door, relay and alarm state (§7 table=rtstate). The notes give no
 * cadence and no fields; doors and alarms are not simulated, so the one
 * state change is power-on: one line after each configuration [GUESS:
 * the fields daemon-push-jobs-rtstate posts, all closed and quiet] */
static gboolean
upload_rtstate (ZkSimPushDevice *self)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  char now[20];
  gboolean due;

  g_mutex_lock (&self->lock);
  due = self->rtstate_due && zk_sim_push_device_uploads_acc (self);
  zk_sim_push_device_now (self, now);
  g_mutex_unlock (&self->lock);
  if (!due)
    return TRUE;
  g_ptr_array_add (
      lines,
      g_strdup_printf ("time=%s\tsensor=00\trelay=00\talarm=0000000000000000\tdoor=00", now));
  if (!zk_sim_push_device_post (self, EP_CDATA_POST, "&table=rtstate", lines, NULL))
    return FALSE;
  g_mutex_lock (&self->lock);
  self->rtstate_due = FALSE;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
upload_all (ZkSimPushDevice *self)
{
  gboolean due;

  if (!upload_rtstate (self))
    return FALSE;
  g_mutex_lock (&self->lock);
  zk_sim_push_device_queue_photos (self);
  due = uploads_due (self);
  self->upload_now = FALSE;
  g_mutex_unlock (&self->lock);
  if (!due)
    return TRUE;
  return upload_attlog (self) && upload_queue (self, "OPERLOG", self->oplog_queue)
         && upload_queue (self, "BIODATA", self->biodata_queue);
}

/* the reboot fault: the last accepted batch goes up again */
static gboolean
resend_last (ZkSimPushDevice *self)
{
  g_autofree char *query = NULL;
  g_autofree char *expect = NULL;
  g_autoptr (GBytes) body = NULL;
  Endpoint endpoint;

  g_mutex_lock (&self->lock);
  self->resend_last = FALSE;
  query = g_strdup (self->last_query);
  expect = g_strdup (self->last_expect);
  endpoint = self->last_endpoint;
  body = self->last_batch ? g_bytes_ref (self->last_batch) : NULL;
  g_mutex_unlock (&self->lock);
  return query == NULL || post_once (self, endpoint, query, body, expect);
}

/* results are posted once per reply; a failed post is kept and re-posted */
static gboolean
post_results (ZkSimPushDevice *self, gboolean again)
{
  g_autoptr (GBytes) body = NULL;
  g_autoptr (ZkSimPushReply) reply = NULL;
  gboolean lost, twice, ok;

  g_mutex_lock (&self->lock);
  if (self->results->len == 0)
    {
      g_mutex_unlock (&self->lock);
      return TRUE;
    }
  body = g_bytes_new (self->results->str, self->results->len);
  lost = self->faults.lost_results;
  self->faults.lost_results = FALSE;
  twice = self->faults.duplicate_results;
  if (again)
    self->stats.result_reposts++;
  g_mutex_unlock (&self->lock);
  if (lost)
    return FALSE;
  reply = request (self, EP_DEVICECMD, "", body);
  /* old firmware keeps its result file unless the reply is text/plain OK */
  ok = reply != NULL && zk_sim_push_reply_is_ok (reply);
  /* the duplicate's answer does not matter: the first one was OK */
  if (ok && twice)
    zk_sim_push_reply_free (request (self, EP_DEVICECMD, "", body));
  g_mutex_lock (&self->lock);
  if (ok)
    {
      g_string_truncate (self->results, 0);
      self->stats.result_posts++;
    }
  g_mutex_unlock (&self->lock);
  return ok;
}

static void
reboot (ZkSimPushDevice *self)
{
  g_mutex_lock (&self->lock);
  self->handshaken = FALSE;
  self->info_due++;
  self->stats.reboots++;
  g_mutex_unlock (&self->lock);
}

/* getrequest; runs the commands of the reply. FALSE on a failed poll */
static gboolean
poll_commands (ZkSimPushDevice *self, guint *ran)
{
  g_autoptr (ZkSimPushReply) reply = NULL;
  g_autoptr (GPtrArray) lines = NULL;
  g_autoptr (GPtrArray) commands = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *query = NULL;
  gboolean do_reboot = FALSE, check = FALSE;
  gint64 started = g_get_monotonic_time ();
  guint info_due;

  g_mutex_lock (&self->lock);
  info_due = self->info_due;
  /* INFO= is a 2.x parameter */
  if (info_due > 0 && !zk_sim_push_device_is_acc (self))
    {
      g_autofree char *info = info_param (self);

      query = g_strdup_printf ("&INFO=%s", info);
    }
  g_mutex_unlock (&self->lock);
  reply = request (self, EP_GETREQUEST, query ? query : "", NULL);
  if (reply == NULL)
    return FALSE;
  g_mutex_lock (&self->lock);
  self->stats.polls++;
  if (reply->status != 200)
    {
      self->stats.failures++;
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  if (self->info_due == info_due)
    self->info_due = 0;
  sync_clock (self, reply, started);
  lines = reply_lines (self, reply->body);
  for (guint i = 0; i < lines->len; i++)
    {
      const char *line = g_ptr_array_index (lines, i);

      /* the server does not know us: back to the handshake */
      if (strstr (line, "UNKNOWN DEVICE") != NULL)
        {
          self->handshaken = FALSE;
          self->stats.failures++;
          g_mutex_unlock (&self->lock);
          return FALSE;
        }
      if (g_str_has_prefix (line, "C:"))
        g_ptr_array_add (commands, g_strdup (line));
    }
  g_mutex_unlock (&self->lock);
  *ran = zk_sim_push_device_run_commands (self, commands, &do_reboot, &check);
  post_results (self, FALSE);
  if (do_reboot)
    reboot (self);
  if (check)
    {
      g_mutex_lock (&self->lock);
      self->handshaken = FALSE;
      g_mutex_unlock (&self->lock);
    }
  return TRUE;
}

/* one round of the loop; returns how long to wait before the next */
static guint
step (ZkSimPushDevice *self)
{
  guint ran = 0, error_ms, delay_ms;
  gboolean handshaken, options_due, resend;

  g_mutex_lock (&self->lock);
  handshaken = self->handshaken;
  error_ms = self->error_delay_s * 1000;
  self->round_boot = self->boot;
  g_mutex_unlock (&self->lock);
  if (!handshaken && !handshake (self))
    return error_ms;
  g_mutex_lock (&self->lock);
  options_due = self->options_due;
  resend = self->resend_last;
  error_ms = self->error_delay_s * 1000;
  g_mutex_unlock (&self->lock);
  if ((options_due && !push_options (self)) || (resend && !resend_last (self))
      || !post_results (self, TRUE) || !upload_all (self) || !poll_commands (self, &ran))
    {
      gboolean rebooted;

      g_mutex_lock (&self->lock);
      rebooted = self->boot != self->round_boot;
      g_mutex_unlock (&self->lock);
      return rebooted ? 0 : error_ms;
    }
  g_mutex_lock (&self->lock);
  delay_ms = ran > 0 ? AFTER_COMMANDS_MS : self->delay_s * 1000 + self->faults.slow_ms;
  g_mutex_unlock (&self->lock);
  return delay_ms;
}

static gpointer
device_thread (gpointer user_data)
{
  ZkSimPushDevice *self = user_data;

  for (;;)
    {
      gboolean idle;
      guint wait_ms = 0;
      gint64 until;

      g_mutex_lock (&self->lock);
      if (self->stopping)
        break;
      idle = self->faults.offline || !zk_sim_push_http_has_server (self->http);
      self->wake = FALSE;
      g_mutex_unlock (&self->lock);
      if (!idle)
        wait_ms = step (self);
      g_mutex_lock (&self->lock);
      /* an offline device makes no requests until woken */
      until = idle ? G_MAXINT64 : g_get_monotonic_time () + (gint64)wait_ms * 1000;
      while (!self->stopping && !self->wake
             && (until == G_MAXINT64 ? (g_cond_wait (&self->cond, &self->lock), TRUE)
                                     : g_cond_wait_until (&self->cond, &self->lock, until)))
        ;
      g_mutex_unlock (&self->lock);
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

void
zk_sim_push_device_start (ZkSimPushDevice *self)
{
  g_return_if_fail (ZK_IS_SIM_PUSH_DEVICE (self));
  g_mutex_lock (&self->lock);
  if (self->thread == NULL)
    {
      self->stopping = FALSE;
      g_cancellable_reset (self->cancellable);
      self->thread = g_thread_new ("zk-sim-push", device_thread, self);
    }
  g_mutex_unlock (&self->lock);
}

void
zk_sim_push_device_stop (ZkSimPushDevice *self)
{
  GThread *thread;

  g_mutex_lock (&self->lock);
  thread = g_steal_pointer (&self->thread);
  self->stopping = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  if (thread == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  g_thread_join (thread);
}
