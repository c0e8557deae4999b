/* zk-sim-push-device.c — ZkSimPushDevice: data, power-on, polls, uploads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One thread per device runs the loop of PUSH-PROTOCOL.md §11: handshake
 * until a 200 arrives, options push, then re-post unposted results,
 * upload what is new, poll; wait Delay (1 s after commands, ErrorDelay
 * after a failure). The lock is never held over network I/O, so the
 * control socket is answered while a request hangs. Command execution
 * lives in zk-sim-push-commands.c.
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "zk-error.h"
#include "zk-records.h"
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

G_DEFINE_FINAL_TYPE (ZkSimPushDevice, zk_sim_push_device, G_TYPE_OBJECT)

/* ------------------------------------------------------------ records */

void
zk_sim_push_config_clear (ZkSimPushConfig *config)
{
  g_clear_pointer (&config->name, g_free);
  g_clear_pointer (&config->serial, g_free);
  g_clear_pointer (&config->server, g_free);
  g_clear_pointer (&config->pushver, g_free);
  g_clear_pointer (&config->firmware, g_free);
}

ZkSimPushUser *
zk_sim_push_user_copy (const ZkSimPushUser *user)
{
  ZkSimPushUser *copy = g_memdup2 (user, sizeof *user);

  copy->pin = g_strdup (user->pin);
  copy->name = g_strdup (user->name ? user->name : "");
  copy->password = g_strdup (user->password ? user->password : "");
  copy->card = g_strdup (user->card ? user->card : "");
  return copy;
}

void
zk_sim_push_user_free (ZkSimPushUser *user)
{
  g_free (user->pin);
  g_free (user->name);
  g_free (user->password);
  g_free (user->card);
  g_free (user);
}

ZkSimPushBio *
zk_sim_push_bio_copy (const ZkSimPushBio *bio)
{
  ZkSimPushBio *copy = g_memdup2 (bio, sizeof *bio);

  copy->pin = g_strdup (bio->pin);
  copy->data = g_bytes_ref (bio->data);
  return copy;
}

void
zk_sim_push_bio_free (ZkSimPushBio *bio)
{
  g_free (bio->pin);
  g_bytes_unref (bio->data);
  g_free (bio);
}

ZkSimPushPunch *
zk_sim_push_punch_copy (const ZkSimPushPunch *punch)
{
  ZkSimPushPunch *copy = g_memdup2 (punch, sizeof *punch);

  copy->pin = g_strdup (punch->pin);
  return copy;
}

void
zk_sim_push_punch_free (ZkSimPushPunch *punch)
{
  g_free (punch->pin);
  g_free (punch);
}

/* ------------------------------------------------------------ object */

static void
zk_sim_push_device_finalize (GObject *object)
{
  ZkSimPushDevice *self = ZK_SIM_PUSH_DEVICE (object);

  zk_sim_push_device_stop (self);
  zk_sim_push_config_clear (&self->config);
  g_clear_object (&self->http);
  g_clear_object (&self->cancellable);
  g_strfreev (self->push_options);
  g_ptr_array_unref (self->users);
  g_ptr_array_unref (self->bios);
  g_ptr_array_unref (self->punches);
  g_ptr_array_unref (self->oplog_queue);
  g_ptr_array_unref (self->biodata_queue);
  g_string_free (self->results, TRUE);
  g_free (self->last_query);
  g_clear_pointer (&self->last_batch, g_bytes_unref);
  g_hash_table_unref (self->stats.returns);
  g_cond_clear (&self->cond);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (zk_sim_push_device_parent_class)->finalize (object);
}

static void
zk_sim_push_device_class_init (ZkSimPushDeviceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = zk_sim_push_device_finalize;
}

static void
zk_sim_push_device_init (ZkSimPushDevice *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->http = zk_sim_push_http_new ();
  self->cancellable = g_cancellable_new ();
  self->users = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_sim_push_user_free);
  self->bios = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_sim_push_bio_free);
  self->punches = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_sim_push_punch_free);
  self->oplog_queue = g_ptr_array_new_with_free_func (g_free);
  self->biodata_queue = g_ptr_array_new_with_free_func (g_free);
  self->results = g_string_new (NULL);
  self->stats.returns = g_hash_table_new (g_direct_hash, g_direct_equal);
  /* firmware defaults until a server answers */
  self->realtime = TRUE;
  self->trans = TRANS_ALL;
  self->info_due++;
}

static gboolean
valid_serial (const char *serial)
{
  gsize len = serial ? strlen (serial) : 0;

  if (len == 0 || len > 64)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (serial[i]) && serial[i] != '-' && serial[i] != '_')
      return FALSE;
  return TRUE;
}

ZkSimPushDevice *
zk_sim_push_device_new (const ZkSimPushConfig *config, GError **error)
{
  g_autoptr (ZkSimPushDevice) self = g_object_new (ZK_TYPE_SIM_PUSH_DEVICE, NULL);

  if (!valid_serial (config->serial))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "serial: 1 to 64 letters, digits, '-' or '_'");
      return NULL;
    }
  self->config = *config;
  self->config.name = g_strdup (config->name ? config->name : config->serial);
  self->config.serial = g_strdup (config->serial);
  self->config.server = NULL;
  self->config.pushver = g_strdup (config->pushver ? config->pushver : "2.4.1");
  self->config.firmware = g_strdup (config->firmware ? config->firmware : "ZAM180-NF50VA-Ver3.4.9");
  self->delay_s = MAX (config->delay_s, 1);
  self->error_delay_s = MAX (config->error_delay_s, 1);
  zk_sim_push_http_set_http10 (self->http, config->old_firmware);
  zk_sim_push_http_set_timeout (self->http, config->timeout_s);
  if (!zk_sim_push_device_set_server (self, config->server, error))
    return NULL;
  return g_steal_pointer (&self);
}

const char *
zk_sim_push_device_get_name (ZkSimPushDevice *self)
{
  return self->config.name;
}

const char *
zk_sim_push_device_get_serial (ZkSimPushDevice *self)
{
  return self->config.serial;
}

void
zk_sim_push_device_get_config (ZkSimPushDevice *self, ZkSimPushConfig *config)
{
  g_mutex_lock (&self->lock);
  *config = self->config;
  config->name = g_strdup (self->config.name);
  config->serial = g_strdup (self->config.serial);
  config->pushver = g_strdup (self->config.pushver);
  config->firmware = g_strdup (self->config.firmware);
  g_mutex_unlock (&self->lock);
  config->server = zk_sim_push_http_dup_server (self->http);
}

/* wakes the device's thread; with lock held */
static void
wake (ZkSimPushDevice *self)
{
  self->wake = TRUE;
  g_cond_broadcast (&self->cond);
}

gboolean
zk_sim_push_device_set_server (ZkSimPushDevice *self, const char *url, GError **error)
{
  if (!zk_sim_push_http_set_server (self->http, url, error))
    return FALSE;
  g_mutex_lock (&self->lock);
  /* a new server means a new power-on sequence */
  self->handshaken = FALSE;
  self->info_due++;
  wake (self);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

void
zk_sim_push_device_poll_now (ZkSimPushDevice *self)
{
  g_mutex_lock (&self->lock);
  self->upload_now = TRUE;
  wake (self);
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------ clock */

static gint64
utc_now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

void
zk_sim_push_device_now (ZkSimPushDevice *self, char out[20])
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (
      utc_now_s () + (gint64)self->tz_minutes * 60 + self->clock_offset_s);
  g_autofree char *text = g_date_time_format (dt, "%Y-%m-%d %H:%M:%S");

  g_strlcpy (out, text, 20);
}

/* "YYYY-MM-DD HH:MM:SS" as ZK encodes it (the stamp old firmware sends) */
static guint32
encode_time (const char *text)
{
  ZkTime t = { 0 };

  if (sscanf (text, "%hu-%hhu-%hhu %hhu:%hhu:%hhu", &t.year, &t.month, &t.day, &t.hour, &t.minute,
              &t.second)
      != 6)
    return 0;
  return zk_time_encode (&t);
}

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
  skew = utc_now_s () + self->clock_offset_s - reply->date;
  if (ABS (skew) <= CLOCK_SKEW_MAX_S)
    return;
  self->clock_offset_s = reply->date - utc_now_s ();
  self->stats.clock_sets++;
}

/* ------------------------------------------------------------ formatting */

char *
zk_sim_push_format_user (const ZkSimPushUser *user)
{
  return g_strdup_printf ("USER PIN=%s\tName=%s\tPri=%u\tPasswd=%s\tCard=%s\tGrp=%u\t"
                          "TZ=0000000100000000\tVerify=-1\tViceCard=",
                          user->pin, user->name, user->privilege, user->password, user->card,
                          user->group);
}

char *
zk_sim_push_format_bio (const ZkSimPushBio *bio)
{
  g_autofree char *b64
      = g_base64_encode (g_bytes_get_data (bio->data, NULL), g_bytes_get_size (bio->data));

  return g_strdup_printf ("BIODATA Pin=%s\tNo=%u\tIndex=%u\tValid=%u\tDuress=%u\tType=%u\t"
                          "MajorVer=%u\tMinorVer=%u\tFormat=%u\tTmp=%s",
                          bio->pin, bio->no, bio->index, bio->valid, bio->duress, bio->type,
                          bio->major, bio->minor, bio->format, b64);
}

char *
zk_sim_push_format_fp (const ZkSimPushBio *bio)
{
  g_autofree char *b64
      = g_base64_encode (g_bytes_get_data (bio->data, NULL), g_bytes_get_size (bio->data));

  return g_strdup_printf ("FP PIN=%s\tFID=%u\tSize=%zu\tValid=%u\tTMP=%s", bio->pin, bio->no,
                          strlen (b64), bio->duress ? 3 : bio->valid, b64);
}

char *
zk_sim_push_format_punch (ZkSimPushDevice *self, const ZkSimPushPunch *punch)
{
  const char *tail = self->faults.trailing_tab ? "\t" : "";

  /* face units send ten fields */
  if (self->config.model == ZK_SIM_PUSH_MODEL_VL)
    return g_strdup_printf ("%s\t%s\t%u\t%u\t%u\t0\t0\t0\t0\t0%s", punch->pin, punch->time,
                            punch->status, punch->verify, punch->workcode, tail);
  return g_strdup_printf ("%s\t%s\t%u\t%u\t%u\t0\t0%s", punch->pin, punch->time, punch->status,
                          punch->verify, punch->workcode, tail);
}

/* ------------------------------------------------------------ capabilities */

gboolean
zk_sim_push_device_supports_type (ZkSimPushDevice *self, guint type)
{
  return type == 1 || (type == 9 && self->config.model == ZK_SIM_PUSH_MODEL_VL);
}

guint
zk_sim_push_device_major_for (ZkSimPushDevice *self, guint type)
{
  return type == 9 ? self->config.face_major : 10;
}

static const char *
multi_bio (ZkSimPushDevice *self)
{
  return self->config.model == ZK_SIM_PUSH_MODEL_VL ? "0:1:0:0:0:0:0:0:0:1" : "0:1:0:0:0:0:0:0:0:0";
}

guint
zk_sim_push_device_count_bios (ZkSimPushDevice *self, int type)
{
  guint n = 0;

  for (guint i = 0; i < self->bios->len; i++)
    if (type < 0 || ((ZkSimPushBio *)g_ptr_array_index (self->bios, i))->type == (guint)type)
      n++;
  return n;
}

static void add_pair (GPtrArray *pairs, const char *key, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

static void
add_pair (GPtrArray *pairs, const char *key, const char *format, ...)
{
  va_list args;
  g_autofree char *value = NULL;

  va_start (args, format);
  value = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (pairs, g_strdup_printf ("%s=%s", key, value));
}

GPtrArray *
zk_sim_push_device_option_pairs (ZkSimPushDevice *self)
{
  GPtrArray *pairs = g_ptr_array_new_with_free_func (g_free);
  gboolean vl = self->config.model == ZK_SIM_PUSH_MODEL_VL;

  add_pair (pairs, "~SerialNumber", "%s", self->config.serial);
  add_pair (pairs, "~DeviceName", "%s", vl ? "SpeedFace-V5L" : "MB360");
  add_pair (pairs, "MAC", "00:17:61:11:cd:3b");
  add_pair (pairs, "FWVersion", "%s", self->config.firmware);
  add_pair (pairs, "PushVersion", "Ver 2.0.33S-%s", self->config.pushver);
  add_pair (pairs, "~Platform", "%s", vl ? "ZAM180_TFT" : "ZMM220_TFT");
  /* a comma inside a value, as real units send it */
  add_pair (pairs, "~OEMVendor", "ZKTECO CO., LTD.");
  add_pair (pairs, "Language", "69");
  add_pair (pairs, "IPAddress", "127.0.0.1");
  add_pair (pairs, "UserCount", "%u", self->users->len);
  add_pair (pairs, "~MaxUserCount", "%u", self->config.user_capacity / 100);
  add_pair (pairs, "TransactionCount", "%u", self->punches->len);
  add_pair (pairs, "~MaxAttLogCount", "%u", self->config.record_capacity / 10000);
  add_pair (pairs, "FingerFunOn", "1");
  add_pair (pairs, "FPVersion", "10");
  add_pair (pairs, "FPCount", "%u", zk_sim_push_device_count_bios (self, 1));
  add_pair (pairs, "~MaxFingerCount", "%u", self->config.template_capacity / 100);
  add_pair (pairs, "FaceFunOn", "%d", vl);
  add_pair (pairs, "FaceVersion", "%u", vl ? self->config.face_major : 0);
  add_pair (pairs, "FaceCount", "%u", zk_sim_push_device_count_bios (self, 9));
  add_pair (pairs, "VisilightFun", "%d", vl);
  add_pair (pairs, "BioDataFun", "%d", vl);
  add_pair (pairs, "BioPhotoFun", "0");
  add_pair (pairs, "PhotoFunOn", "0");
  add_pair (pairs, "MultiBioDataSupport", "%s", multi_bio (self));
  add_pair (pairs, "MultiBioPhotoSupport", "0:0:0:0:0:0:0:0:0:0");
  add_pair (pairs, "MultiBioVersion", "0:10.0:0:0:0:0:0:0:0:%s",
            vl ? (self->config.face_major == 39 ? "39.1" : "40.1") : "0");
  return pairs;
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

/* ------------------------------------------------------------ data */

ZkSimPushUser *
zk_sim_push_device_find_user (ZkSimPushDevice *self, const char *pin)
{
  for (guint i = 0; i < self->users->len; i++)
    {
      ZkSimPushUser *user = g_ptr_array_index (self->users, i);

      if (g_str_equal (user->pin, pin))
        return user;
    }
  return NULL;
}

void
zk_sim_push_device_remove_bios (ZkSimPushDevice *self, const char *pin, int type, int no)
{
  for (guint i = self->bios->len; i-- > 0;)
    {
      ZkSimPushBio *bio = g_ptr_array_index (self->bios, i);

      if (g_str_equal (bio->pin, pin) && (type < 0 || bio->type == (guint)type)
          && (no < 0 || bio->no == (guint)no))
        g_ptr_array_remove_index (self->bios, i);
    }
}

gboolean
zk_sim_push_pin_is_valid (const char *pin)
{
  gsize len = pin ? strlen (pin) : 0;

  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (pin[i]))
      return FALSE;
  return len > 0 && len <= 24;
}

static gboolean
valid_pin (const char *pin, GError **error)
{
  if (!zk_sim_push_pin_is_valid (pin))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "PIN: 1 to 24 letters or digits, got “%s”", pin ? pin : "");
      return FALSE;
    }
  return TRUE;
}

static gboolean
full (GError **error, const char *what, guint capacity)
{
  g_set_error (error, ZK_ERROR, ZK_ERROR_FULL, "%s: capacity %u reached", what, capacity);
  return FALSE;
}

/* with lock held */
static gboolean
store_user (ZkSimPushDevice *self, const ZkSimPushUser *user, GError **error)
{
  ZkSimPushUser *old = zk_sim_push_device_find_user (self, user->pin);

  if (!valid_pin (user->pin, error))
    return FALSE;
  if (old != NULL)
    g_ptr_array_remove (self->users, old);
  else if (self->users->len >= self->config.user_capacity)
    return full (error, "users", self->config.user_capacity);
  g_ptr_array_add (self->users, zk_sim_push_user_copy (user));
  return TRUE;
}

/* with lock held */
static gboolean
store_bio (ZkSimPushDevice *self, const ZkSimPushBio *bio, GError **error)
{
  if (!valid_pin (bio->pin, error))
    return FALSE;
  if (!zk_sim_push_device_supports_type (self, bio->type))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_UNSUPPORTED, "type %u not supported", bio->type);
      return FALSE;
    }
  zk_sim_push_device_remove_bios (self, bio->pin, (int)bio->type, (int)bio->no);
  if (self->bios->len >= self->config.template_capacity)
    return full (error, "templates", self->config.template_capacity);
  g_ptr_array_add (self->bios, zk_sim_push_bio_copy (bio));
  return TRUE;
}

gboolean
zk_sim_push_device_load_user (ZkSimPushDevice *self, const ZkSimPushUser *user, GError **error)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = store_user (self, user, error);
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
zk_sim_push_device_load_bio (ZkSimPushDevice *self, const ZkSimPushBio *bio, GError **error)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = store_bio (self, bio, error);
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
zk_sim_push_device_load_punch (ZkSimPushDevice *self,
                               const ZkSimPushPunch *punch,
                               gboolean sent,
                               GError **error)
{
  gboolean ok = TRUE;

  if (!valid_pin (punch->pin, error))
    return FALSE;
  g_mutex_lock (&self->lock);
  if (self->punches->len >= self->config.record_capacity)
    ok = full (error, "attendance", self->config.record_capacity);
  /* records the server has come first: they are counted from the start */
  else if (sent && self->punches_sent == self->punches->len)
    {
      g_ptr_array_add (self->punches, zk_sim_push_punch_copy (punch));
      self->punches_sent++;
    }
  else
    g_ptr_array_add (self->punches, zk_sim_push_punch_copy (punch));
  g_mutex_unlock (&self->lock);
  return ok;
}

/* an OPLOG line and what it refers to, queued for the next OPERLOG post
 * when TransFlag asks for it; with lock held */
static void
queue_oplog (ZkSimPushDevice *self, guint op, const char *pin, guint v2, guint v3, char *detail)
{
  char now[20];
  g_autofree char *owned = detail;

  if (!(self->trans & TRANS_OPLOG))
    return;
  zk_sim_push_device_now (self, now);
  if (owned != NULL)
    g_ptr_array_add (self->oplog_queue, g_strdup_printf ("OPLOG %u\t0\t%s\t%s\t%u\t%u\t0\n%s", op,
                                                         now, pin, v2, v3, owned));
  else
    g_ptr_array_add (self->oplog_queue,
                     g_strdup_printf ("OPLOG %u\t0\t%s\t%s\t%u\t%u\t0", op, now, pin, v2, v3));
  self->info_due++;
  wake (self);
}

/* a new template goes up as BIODATA when the server takes its type, as
 * a legacy FP line otherwise (faces then stay on the device) */
static void
queue_bio (ZkSimPushDevice *self, const ZkSimPushBio *bio)
{
  gboolean wanted = bio->type == 9 ? (self->trans & TRANS_FACE) != 0
                                   : (self->trans & (TRANS_ENROLL_FP | TRANS_CHG_FP)) != 0;

  if (!wanted)
    return;
  if (self->server_bio_types & (1u << bio->type))
    {
      g_ptr_array_add (self->biodata_queue, zk_sim_push_format_bio (bio));
      self->info_due++;
      wake (self);
    }
  else if (bio->type == 1)
    queue_oplog (self, 6, bio->pin, bio->no, (guint)g_bytes_get_size (bio->data),
                 zk_sim_push_format_fp (bio));
}

gboolean
zk_sim_push_device_punch (ZkSimPushDevice *self,
                          const char *pin,
                          const char *time,
                          int status,
                          int verify,
                          GError **error)
{
  ZkSimPushPunch punch = { (char *)pin, "", 0, 1, 0 };
  gboolean ok;

  if (time != NULL && encode_time (time) == 0)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "time: expected “YYYY-MM-DD HH:MM:SS”, got “%s”", time);
      return FALSE;
    }
  g_mutex_lock (&self->lock);
  if (time != NULL)
    g_strlcpy (punch.time, time, sizeof punch.time);
  else
    zk_sim_push_device_now (self, punch.time);
  /* face units without state keys send 255; they verify by face */
  punch.status
      = status >= 0 ? (guint)status : (self->config.model == ZK_SIM_PUSH_MODEL_VL ? 255 : 0);
  punch.verify
      = verify >= 0 ? (guint)verify : (self->config.model == ZK_SIM_PUSH_MODEL_VL ? 15 : 1);
  g_mutex_unlock (&self->lock);
  ok = zk_sim_push_device_load_punch (self, &punch, FALSE, error);
  g_mutex_lock (&self->lock);
  self->info_due++;
  wake (self);
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
zk_sim_push_device_enroll_user (ZkSimPushDevice *self,
                                const char *pin,
                                const char *name,
                                GError **error)
{
  ZkSimPushUser user = { (char *)pin, (char *)(name ? name : ""), 0, (char *)"", (char *)"", 1 };
  gboolean known, ok;

  g_mutex_lock (&self->lock);
  known = zk_sim_push_device_find_user (self, pin) != NULL;
  ok = store_user (self, &user, error);
  if (ok && (self->trans & (known ? TRANS_CHG_USER : TRANS_ENROLL_USER)))
    queue_oplog (self, 30, pin, 0, 0, zk_sim_push_format_user (&user));
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
zk_sim_push_device_delete_user (ZkSimPushDevice *self, const char *pin, GError **error)
{
  ZkSimPushUser *user;

  g_mutex_lock (&self->lock);
  user = zk_sim_push_device_find_user (self, pin);
  if (user == NULL)
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, ZK_ERROR, ZK_ERROR_NOT_FOUND, "no user “%s”", pin);
      return FALSE;
    }
  zk_sim_push_device_remove_bios (self, pin, -1, -1);
  g_ptr_array_remove (self->users, user);
  queue_oplog (self, 9, pin, 0, 0, NULL);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

GBytes *
zk_sim_push_make_bio_data (const char *pin, guint type, guint no)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (g_str_hash (pin) ^ (type << 8 | no));
  guint size = type == 9 ? 1024 : (guint)g_rand_int_range (rand, 500, 1601);
  guint8 *data = g_malloc (size);

  for (guint i = 0; i < size; i++)
    data[i] = (guint8)g_rand_int_range (rand, 0, 256);
  /* a ZKFinger 10 template: two bytes, then "SS21" */
  if (type == 1)
    memcpy (data + 2, "SS21", 4);
  return g_bytes_new_take (data, size);
}

gboolean
zk_sim_push_device_enroll_bio (
    ZkSimPushDevice *self, const char *pin, guint type, guint no, GError **error)
{
  g_autoptr (GBytes) data = zk_sim_push_make_bio_data (pin, type, no);
  ZkSimPushBio bio = { (char *)pin, no, 0, 1, 0, type, 0, 0, 0, data };
  gboolean ok;

  g_mutex_lock (&self->lock);
  bio.major = zk_sim_push_device_major_for (self, type);
  if (zk_sim_push_device_find_user (self, pin) == NULL)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_NOT_FOUND, "no user “%s”", pin);
      ok = FALSE;
    }
  else
    ok = store_bio (self, &bio, error);
  if (ok)
    queue_bio (self, &bio);
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
zk_sim_push_device_delete_bio (
    ZkSimPushDevice *self, const char *pin, guint type, guint no, GError **error)
{
  guint before;

  g_mutex_lock (&self->lock);
  before = self->bios->len;
  zk_sim_push_device_remove_bios (self, pin, (int)type, (int)no);
  if (self->bios->len == before)
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, ZK_ERROR, ZK_ERROR_NOT_FOUND, "no template %u/%u of “%s”", type, no, pin);
      return FALSE;
    }
  queue_oplog (self, 10, pin, no, 0, NULL);
  g_mutex_unlock (&self->lock);
  return TRUE;
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
  g_autofree char *full_query = g_strdup_printf ("SN=%s%s", self->config.serial, query);
  const char *name = endpoint == EP_GETREQUEST  ? "getrequest"
                     : endpoint == EP_DEVICECMD ? "devicecmd"
                                                : "cdata";
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
  };
  /* format I: AttLog OpLog AttPhoto EnrollFP EnrollUser FPImag ChgUser ChgFP FACE */
  static const TransFlags mask[]
      = { TRANS_ATTLOG,   TRANS_OPLOG,  0,         TRANS_ENROLL_FP, TRANS_ENROLL_USER, 0,
          TRANS_CHG_USER, TRANS_CHG_FP, TRANS_FACE };
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

/* one key=value of the handshake reply; unknown keys are ignored */
static void
apply_option (ZkSimPushDevice *self, const char *key, const char *value)
{
  if (g_str_equal (key, "Delay"))
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
  else if (g_str_equal (key, "PushOptionsFlag"))
    self->options_flag = parse_int (value, 0) == 1;
  else if (g_str_equal (key, "PushOptions"))
    {
      g_strfreev (self->push_options);
      self->push_options = g_strsplit (value, ",", 64);
    }
  else if (g_str_equal (key, "MultiBioDataSupport"))
    self->server_bio_types = parse_bio_types (value);
  /* "0" means upload everything again; "None" too on old firmware */
  else if ((g_str_equal (key, "ATTLOGStamp") || g_str_equal (key, "Stamp"))
           && (g_str_equal (value, "0")
               || (self->config.old_firmware && parse_int (value, 0) == 0)))
    self->punches_sent = 0;
}

/* step 1: GET cdata?options=all until a 200 without UN…/RETRY arrives */
static gboolean
handshake (ZkSimPushDevice *self)
{
  g_autofree char *query = NULL;
  g_autoptr (ZkSimPushReply) reply = NULL;
  g_autoptr (GPtrArray) lines = NULL;
  gint64 started = g_get_monotonic_time ();

  query = g_strdup_printf ("&options=all&pushver=%s&language=69%s", self->config.pushver,
                           self->config.old_firmware ? "" : "&DeviceType=att&PushOptionsFlag=1");
  reply = request (self, EP_CDATA_GET, query, NULL);
  if (reply == NULL)
    return FALSE;
  g_mutex_lock (&self->lock);
  if (reply->status != 200)
    {
      self->stats.failures++;
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  lines = reply_lines (self, reply->body);
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
  for (guint i = 0; i < lines->len; i++)
    {
      g_auto (GStrv) kv = g_strsplit (g_ptr_array_index (lines, i), "=", 2);

      if (kv[0] != NULL && kv[1] != NULL)
        apply_option (self, g_strstrip (kv[0]), kv[1]);
    }
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

/* one post, remembered for the reboot fault when accepted */
static gboolean
post_once (ZkSimPushDevice *self, const char *query, GBytes *body)
{
  g_autoptr (ZkSimPushReply) reply = request (self, EP_CDATA_POST, query, body);
  gboolean ok = reply != NULL && zk_sim_push_reply_is_ok (reply);

  g_mutex_lock (&self->lock);
  if (ok)
    {
      g_free (self->last_query);
      self->last_query = g_strdup (query);
      g_clear_pointer (&self->last_batch, g_bytes_unref);
      self->last_batch = g_bytes_ref (body);
    }
  else if (reply != NULL)
    self->stats.failures++;
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
zk_sim_push_device_upload (ZkSimPushDevice *self,
                           const char *table,
                           const char *stamp,
                           const char *extra,
                           GPtrArray *lines)
{
  g_autofree char *query = NULL;
  g_autoptr (GBytes) body = NULL;

  g_mutex_lock (&self->lock);
  if (self->faults.stamp_9999)
    stamp = "9999";
  /* old firmware without ServerVer marks OPERLOG posts with OpStamp */
  query = g_strdup_printf (
      "&table=%s&%s=%s%s", table,
      self->config.old_firmware && !self->server_ver && g_str_equal (table, "OPERLOG") ? "OpStamp"
                                                                                       : "Stamp",
      stamp, extra);
  body = join_lines (self, lines);
  g_mutex_unlock (&self->lock);
  for (guint attempt = 0;; attempt++)
    {
      if (post_once (self, query, body))
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

/* the next batch of one queue (≤ 200 lines); with lock held */
static GPtrArray *
take_lines (GPtrArray *queue, guint *taken)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  guint n = 0;

  for (*taken = 0; *taken < queue->len; (*taken)++)
    {
      const char *group = g_ptr_array_index (queue, *taken);
      guint in_group = 1;

      for (const char *p = group; (p = strchr (p, '\n')) != NULL; p++)
        in_group++;
      if (n > 0 && n + in_group > ZK_SIM_PUSH_BATCH_MAX)
        break;
      g_ptr_array_add (lines, g_strdup (group));
      n += in_group;
    }
  return lines;
}

static gboolean
upload_queue (ZkSimPushDevice *self, const char *table, GPtrArray *queue)
{
  for (;;)
    {
      g_autoptr (GPtrArray) lines = NULL;
      char stamp[16];
      char now[20];
      guint taken;

      g_mutex_lock (&self->lock);
      lines = take_lines (queue, &taken);
      zk_sim_push_device_now (self, now);
      g_mutex_unlock (&self->lock);
      if (taken == 0)
        return TRUE;
      g_snprintf (stamp, sizeof stamp, "%u", encode_time (now));
      if (!zk_sim_push_device_upload (self, table, stamp, "", lines))
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

      g_mutex_lock (&self->lock);
      first = self->punches_sent;
      n = (self->trans & TRANS_ATTLOG) ? MIN (self->punches->len - first, ZK_SIM_PUSH_BATCH_MAX)
                                       : 0;
      for (guint i = first; i < first + n; i++)
        g_ptr_array_add (lines,
                         zk_sim_push_format_punch (self, g_ptr_array_index (self->punches, i)));
      if (n > 0)
        {
          ZkSimPushPunch *last = g_ptr_array_index (self->punches, first + n - 1);

          /* old firmware marks a batch with its last record's time */
          g_snprintf (stamp, sizeof stamp, "%u", encode_time (last->time));
        }
      g_mutex_unlock (&self->lock);
      if (n == 0)
        return TRUE;
      if (!zk_sim_push_device_upload (self, "ATTLOG", stamp, "", lines))
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

static gboolean
upload_all (ZkSimPushDevice *self)
{
  gboolean due;

  g_mutex_lock (&self->lock);
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
  g_autoptr (GBytes) body = NULL;

  g_mutex_lock (&self->lock);
  self->resend_last = FALSE;
  query = g_strdup (self->last_query);
  body = self->last_batch ? g_bytes_ref (self->last_batch) : NULL;
  g_mutex_unlock (&self->lock);
  return query == NULL || post_once (self, query, body);
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
  if (info_due > 0)
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

/* ------------------------------------------------------------ faults */

static gboolean
parse_on_off (const char *const *args, gboolean *out, GError **error)
{
  if (args[0] == NULL || g_str_equal (args[0], "on"))
    *out = TRUE;
  else if (g_str_equal (args[0], "off"))
    *out = FALSE;
  else
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "expected on or off");
      return FALSE;
    }
  return TRUE;
}

gboolean
zk_sim_push_device_apply_fault (ZkSimPushDevice *self,
                                const char *name,
                                const char *const *args,
                                GError **error)
{
  static const char *const switches[]
      = { "offline", "duplicate-results", "crlf", "trailing-tab", "aspx", "stamp-9999", NULL };
  PushFaults *f = &self->faults;
  gboolean on = TRUE;
  guint64 ms = 0;

  if (g_strv_contains (switches, name) && !parse_on_off (args, &on, error))
    return FALSE;
  if (g_str_equal (name, "slow-polls")
      && (args[0] == NULL || !g_ascii_string_to_unsigned (args[0], 10, 0, 600000, &ms, NULL)))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "slow-polls takes MS (0–600000)");
      return FALSE;
    }
  g_mutex_lock (&self->lock);
  if (g_str_equal (name, "offline"))
    f->offline = on;
  else if (g_str_equal (name, "duplicate-results"))
    f->duplicate_results = on;
  else if (g_str_equal (name, "crlf"))
    f->crlf = on;
  else if (g_str_equal (name, "trailing-tab"))
    f->trailing_tab = on;
  else if (g_str_equal (name, "aspx"))
    f->aspx = on;
  else if (g_str_equal (name, "stamp-9999"))
    f->stamp_9999 = on;
  else if (g_str_equal (name, "slow-polls"))
    f->slow_ms = (guint)ms;
  else if (g_str_equal (name, "lost-results"))
    f->lost_results = TRUE;
  else if (g_str_equal (name, "reboot"))
    {
      self->handshaken = FALSE;
      self->info_due++;
      self->resend_last = TRUE;
      self->boot++;
      self->stats.reboots++;
    }
  else if (g_str_equal (name, "clear"))
    memset (f, 0, sizeof *f);
  else
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "unknown push fault “%s” (offline, slow-polls, reboot, lost-results, "
                   "duplicate-results, crlf, trailing-tab, aspx, stamp-9999, clear)",
                   name);
      return FALSE;
    }
  zk_sim_push_http_set_aspx (self->http, f->aspx);
  wake (self);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* ------------------------------------------------------------ reports */

guint
zk_sim_push_device_count (ZkSimPushDevice *self, const char *what)
{
  guint n = 0;

  g_mutex_lock (&self->lock);
  if (g_str_equal (what, "users"))
    n = self->users->len;
  else if (g_str_equal (what, "templates"))
    n = zk_sim_push_device_count_bios (self, 1);
  else if (g_str_equal (what, "faces"))
    n = zk_sim_push_device_count_bios (self, 9);
  else if (g_str_equal (what, "attendance"))
    n = self->punches->len;
  else if (g_str_equal (what, "unsent"))
    n = self->punches->len - self->punches_sent + self->oplog_queue->len + self->biodata_queue->len;
  g_mutex_unlock (&self->lock);
  return n;
}

static gint
compare_codes (gconstpointer a, gconstpointer b)
{
  return GPOINTER_TO_INT (a) - GPOINTER_TO_INT (b);
}

char *
zk_sim_push_device_stats_json (ZkSimPushDevice *self)
{
  static const char *const endpoints[EP_COUNT]
      = { "cdata_get", "cdata_post", "getrequest", "devicecmd" };
  g_autoptr (JsonBuilder) b = json_builder_new_immutable ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GList) codes = NULL;
  guint64 sent, received;
  PushStats *s = &self->stats;

  zk_sim_push_http_get_bytes (self->http, &sent, &received);
#define INT(name, value)                                                                           \
  G_STMT_START                                                                                     \
  {                                                                                                \
    json_builder_set_member_name (b, name);                                                        \
    json_builder_add_int_value (b, (gint64)(value));                                               \
  }                                                                                                \
  G_STMT_END
  g_mutex_lock (&self->lock);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, self->config.name);
  json_builder_set_member_name (b, "protocol");
  json_builder_add_string_value (b, "push");
  json_builder_set_member_name (b, "requests");
  json_builder_begin_object (b);
  for (guint i = 0; i < EP_COUNT; i++)
    INT (endpoints[i], s->requests[i]);
  json_builder_end_object (b);
  INT ("failures", s->failures);
  INT ("handshakes", s->handshakes);
  INT ("polls", s->polls);
  INT ("uploads", s->uploads);
  INT ("upload_lines", s->upload_lines);
  INT ("upload_retries", s->upload_retries);
  INT ("commands", s->commands);
  INT ("result_posts", s->result_posts);
  INT ("result_reposts", s->result_reposts);
  INT ("clock_sets", s->clock_sets);
  INT ("reboots", s->reboots);
  INT ("no_date", s->no_date);
  INT ("dropped_lines", s->dropped_lines);
  INT ("bytes_out", sent);
  INT ("bytes_in", received);
  INT ("unsent",
       self->punches->len - self->punches_sent + self->oplog_queue->len + self->biodata_queue->len);
  INT ("clock_offset_s", self->clock_offset_s);
  INT ("delay_s", self->delay_s);
  INT ("error_delay_s", self->error_delay_s);
  INT ("time_zone_min", self->tz_minutes);
  json_builder_set_member_name (b, "handshaken");
  json_builder_add_boolean_value (b, self->handshaken);
  /* commands run, per Return code */
  json_builder_set_member_name (b, "returns");
  json_builder_begin_object (b);
  codes = g_list_sort (g_hash_table_get_keys (s->returns), compare_codes);
  for (GList *l = codes; l != NULL; l = l->next)
    {
      g_autofree char *name = g_strdup_printf ("%d", GPOINTER_TO_INT (l->data));

      INT (name, GPOINTER_TO_UINT (g_hash_table_lookup (s->returns, l->data)));
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  g_mutex_unlock (&self->lock);
#undef INT
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static GPtrArray *
dup_array (ZkSimPushDevice *self,
           GPtrArray *array,
           gpointer (*copy) (gconstpointer),
           GDestroyNotify free_func)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (free_func);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < array->len; i++)
    g_ptr_array_add (out, copy (g_ptr_array_index (array, i)));
  g_mutex_unlock (&self->lock);
  return out;
}

GPtrArray *
zk_sim_push_device_dup_users (ZkSimPushDevice *self)
{
  return dup_array (self, self->users, (gpointer (*) (gconstpointer))zk_sim_push_user_copy,
                    (GDestroyNotify)zk_sim_push_user_free);
}

GPtrArray *
zk_sim_push_device_dup_bios (ZkSimPushDevice *self)
{
  return dup_array (self, self->bios, (gpointer (*) (gconstpointer))zk_sim_push_bio_copy,
                    (GDestroyNotify)zk_sim_push_bio_free);
}

GPtrArray *
zk_sim_push_device_dup_punches (ZkSimPushDevice *self, guint *sent_out)
{
  g_mutex_lock (&self->lock);
  *sent_out = self->punches_sent;
  g_mutex_unlock (&self->lock);
  return dup_array (self, self->punches, (gpointer (*) (gconstpointer))zk_sim_push_punch_copy,
                    (GDestroyNotify)zk_sim_push_punch_free);
}
