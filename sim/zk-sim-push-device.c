/* zk-sim-push-device.c — ZkSimPushDevice: records, capabilities, faults
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The terminal's records, capabilities and the changes made on it (which
 * queue uploads). The device's thread (power-on, polls, uploads) lives in
 * zk-sim-push-loop.c, command execution in zk-sim-push-commands.c.
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "zk-error.h"
#include "zk-records.h"
#include "zk-sim-push-device-private.h"

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

ZkSimPushPhoto *
zk_sim_push_photo_copy (const ZkSimPushPhoto *photo)
{
  ZkSimPushPhoto *copy = g_memdup2 (photo, sizeof *photo);

  copy->pin = g_strdup (photo->pin);
  copy->data = g_bytes_ref (photo->data);
  return copy;
}

void
zk_sim_push_photo_free (ZkSimPushPhoto *photo)
{
  g_free (photo->pin);
  g_bytes_unref (photo->data);
  g_free (photo);
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
  g_ptr_array_unref (self->photos);
  g_ptr_array_unref (self->oplog_queue);
  g_ptr_array_unref (self->biodata_queue);
  g_string_free (self->results, TRUE);
  g_free (self->last_query);
  g_free (self->last_expect);
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
  self->photos = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_sim_push_photo_free);
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
  self->config.dialect = config->dialect == 3 ? 3 : 2;
  /* absent pushver means 2.2.14 or 3.0.1 (§3); ours name a current SDK */
  self->config.pushver = g_strdup (config->pushver             ? config->pushver
                                   : self->config.dialect == 3 ? "3.1.2"
                                                               : "2.4.1");
  self->config.firmware = g_strdup (config->firmware ? config->firmware : "ZAM180-NF50VA-Ver3.4.9");
  self->delay_s = MAX (config->delay_s, 1);
  self->error_delay_s = MAX (config->error_delay_s, 1);
  zk_sim_push_http_set_http10 (self->http, config->old_firmware);
  zk_sim_push_http_set_acc (self->http, self->config.dialect == 3);
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

gint64
zk_sim_push_utc_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

void
zk_sim_push_device_now (ZkSimPushDevice *self, char out[20])
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (
      zk_sim_push_utc_now () + (gint64)self->tz_minutes * 60 + self->clock_offset_s);
  g_autofree char *text = g_date_time_format (dt, "%Y-%m-%d %H:%M:%S");

  g_strlcpy (out, text, 20);
}

guint32
zk_sim_push_encode_time (const char *text)
{
  ZkTime t = { 0 };

  if (sscanf (text, "%hu-%hhu-%hhu %hhu:%hhu:%hhu", &t.year, &t.month, &t.day, &t.hour, &t.minute,
              &t.second)
      != 6)
    return 0;
  return zk_time_encode (&t);
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
zk_sim_push_format_bio (const ZkSimPushBio *bio, gboolean acc)
{
  g_autofree char *b64
      = g_base64_encode (g_bytes_get_data (bio->data, NULL), g_bytes_get_size (bio->data));

  /* the same fields: 2.x BIODATA in mixed case, 3.x biodata lower case */
  return g_strdup_printf (acc ? "biodata pin=%s\tno=%u\tindex=%u\tvalid=%u\tduress=%u\ttype=%u\t"
                                "majorver=%u\tminorver=%u\tformat=%u\ttmp=%s"
                              : "BIODATA Pin=%s\tNo=%u\tIndex=%u\tValid=%u\tDuress=%u\tType=%u\t"
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

/* 3.x tabledata: user
 * uid=⇥cardno=⇥pin=⇥password=⇥group=⇥starttime=⇥endtime=⇥name=⇥privilege=⇥disable=⇥verify= */
char *
zk_sim_push_format_user_acc (const ZkSimPushUser *user, guint uid)
{
  return g_strdup_printf ("user uid=%u\tcardno=%s\tpin=%s\tpassword=%s\tgroup=%u\tstarttime=0\t"
                          "endtime=0\tname=%s\tprivilege=%u\tdisable=0\tverify=0",
                          uid, user->card, user->pin, user->password, user->group, user->name,
                          user->privilege);
}

/* 3.x rtlog; event 0 = normal verification, eventaddr the door */
char *
zk_sim_push_format_rtlog (ZkSimPushDevice *self, const ZkSimPushPunch *punch, guint index)
{
  const char *tail = self->faults.trailing_tab ? "\t" : "";

  return g_strdup_printf ("time=%s\tpin=%s\tcardno=0\tsitecode=0\tlinkid=0\teventaddr=1\t"
                          "event=0\tinoutstatus=%u\tverifytype=%u\tindex=%u\tmaskflag=255\t"
                          "temperature=255\tconvtemperature=255%s",
                          punch->time, punch->pin, punch->status, punch->verify, index, tail);
}

const char *
zk_sim_push_line_table_acc (const char *line)
{
  if (g_str_has_prefix (line, "user "))
    return "user";
  if (g_str_has_prefix (line, "biodata "))
    return "biodata";
  return NULL;
}

gboolean
zk_sim_push_device_is_acc (ZkSimPushDevice *self)
{
  return self->config.dialect == 3;
}

gboolean
zk_sim_push_device_uploads_acc (ZkSimPushDevice *self)
{
  return zk_sim_push_device_is_acc (self) != self->faults.other_dialect;
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
  add_pair (pairs, "PushVersion", "Ver %s-%s", self->config.dialect == 3 ? "3.1.2S" : "2.0.33S",
            self->config.pushver);
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
  add_pair (pairs, "BioPhotoFun", "%d", self->config.bio_photo);
  add_pair (pairs, "PhotoFunOn", "0");
  add_pair (pairs, "MultiBioDataSupport", "%s", multi_bio (self));
  add_pair (pairs, "MultiBioPhotoSupport", "0:0:0:0:0:0:0:0:0:%d", self->config.bio_photo);
  add_pair (pairs, "MultiBioVersion", "0:10.0:0:0:0:0:0:0:0:%s",
            vl ? (self->config.face_major == 39 ? "39.1" : "40.1") : "0");
  return pairs;
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

/* a user's photos go with the user */
static void
remove_photos (ZkSimPushDevice *self, const char *pin)
{
  for (guint i = self->photos->len; i-- > 0;)
    if (g_str_equal (((ZkSimPushPhoto *)g_ptr_array_index (self->photos, i))->pin, pin))
      g_ptr_array_remove_index (self->photos, i);
}

void
zk_sim_push_device_remove_user (ZkSimPushDevice *self, ZkSimPushUser *user)
{
  zk_sim_push_device_remove_bios (self, user->pin, -1, -1);
  remove_photos (self, user->pin);
  g_ptr_array_remove (self->users, user);
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

GBytes *
zk_sim_push_make_photo (const char *pin)
{
  /* SOI, an APP0/JFIF header, the PIN as a comment, EOI */
  static const guint8 head[] = { 0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J',  'F',  'I',  'F',  0x00,
                                 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xfe };
  gsize len = strlen (pin);
  GByteArray *jpeg = g_byte_array_new ();
  guint8 size[2] = { (guint8)((len + 2) >> 8), (guint8)(len + 2) };
  static const guint8 tail[] = { 0xff, 0xd9 };

  g_byte_array_append (jpeg, head, sizeof head);
  g_byte_array_append (jpeg, size, sizeof size);
  g_byte_array_append (jpeg, (const guint8 *)pin, (guint)len);
  g_byte_array_append (jpeg, tail, sizeof tail);
  return g_byte_array_free_to_bytes (jpeg);
}

gboolean
zk_sim_push_device_load_photo (ZkSimPushDevice *self, const ZkSimPushPhoto *photo, GError **error)
{
  gsize len = g_bytes_get_size (photo->data);
  const guint8 *bytes = g_bytes_get_data (photo->data, NULL);
  gboolean ok = TRUE;

  if (!zk_sim_push_device_supports_photo_type (self, photo->type))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "a photo of type %u: this unit keeps VL face photos (type 9) only", photo->type);
      return FALSE;
    }
  if (len < 4 || len > ZK_SIM_PUSH_PHOTO_MAX || bytes[0] != 0xff || bytes[1] != 0xd8
      || bytes[2] != 0xff)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "a photo must be a JPEG of 4…%u bytes", ZK_SIM_PUSH_PHOTO_MAX);
      return FALSE;
    }
  g_mutex_lock (&self->lock);
  if (zk_sim_push_device_find_user (self, photo->pin) == NULL)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_NOT_FOUND, "no user “%s”", photo->pin);
      ok = FALSE;
    }
  else
    {
      remove_photos (self, photo->pin);
      g_ptr_array_add (self->photos, zk_sim_push_photo_copy (photo));
    }
  g_mutex_unlock (&self->lock);
  return ok;
}

void
zk_sim_push_device_queue_photos (ZkSimPushDevice *self)
{
  /* 2.x OPERLOG only: a 3.x unit's biophoto table is not simulated */
  if (zk_sim_push_device_uploads_acc (self) || !(self->trans & TRANS_OPLOG)
      || !(self->trans & TRANS_BIOPHOTO))
    return;
  for (guint i = 0; i < self->photos->len; i++)
    {
      ZkSimPushPhoto *photo = g_ptr_array_index (self->photos, i);
      g_autofree char *b64 = NULL;

      /* the server's MultiBioPhotoSupport and the unit's own, ANDed (§4.1) */
      if (photo->sent || !(self->server_photo_types & (1u << photo->type)))
        continue;
      b64 = g_base64_encode (g_bytes_get_data (photo->data, NULL), g_bytes_get_size (photo->data));
      g_ptr_array_add (self->oplog_queue,
                       g_strdup_printf ("BIOPHOTO PIN=%s\tFileName=%u_%s.jpg\tType=%u\tSize=%zu\t"
                                        "Content=%s",
                                        photo->pin, photo->type, photo->pin, photo->type,
                                        strlen (b64), b64));
      photo->sent = TRUE;
    }
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
  /* 3.x has no operation log: the changed rows go up alone [GUESS: and
   * nothing tells of a deletion] */
  if (zk_sim_push_device_uploads_acc (self))
    {
      if (owned != NULL)
        g_ptr_array_add (self->oplog_queue, g_steal_pointer (&owned));
      self->info_due++;
      wake (self);
      return;
    }
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
      g_ptr_array_add (self->biodata_queue,
                       zk_sim_push_format_bio (bio, zk_sim_push_device_uploads_acc (self)));
      self->info_due++;
      wake (self);
    }
  else if (bio->type == 1 && !zk_sim_push_device_uploads_acc (self))
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

  if (time != NULL && zk_sim_push_encode_time (time) == 0)
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
    queue_oplog (self, 30, pin, 0, 0,
                 zk_sim_push_device_uploads_acc (self)
                     ? zk_sim_push_format_user_acc (&user, self->users->len)
                     : zk_sim_push_format_user (&user));
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
  zk_sim_push_device_remove_user (self, user);
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

/* a template the unit makes itself (enrolment, a photo's extraction), of
 * its own version; @upload: sent up like an enrolment */
static gboolean
make_own_bio (
    ZkSimPushDevice *self, const char *pin, guint type, guint no, gboolean upload, GError **error)
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
  if (ok && upload)
    queue_bio (self, &bio);
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
zk_sim_push_device_enroll_bio (
    ZkSimPushDevice *self, const char *pin, guint type, guint no, GError **error)
{
  return make_own_bio (self, pin, type, no, TRUE, error);
}

gboolean
zk_sim_push_device_supports_photo_type (ZkSimPushDevice *self, guint type)
{
  return type == 9 && self->config.model == ZK_SIM_PUSH_MODEL_VL;
}

gboolean
zk_sim_push_device_supports_photo (ZkSimPushDevice *self, guint type)
{
  return zk_sim_push_device_supports_photo_type (self, type) && self->config.bio_photo;
}

/* PostBackTmpFlag=1: @post_back */
gboolean
zk_sim_push_device_extract_face (ZkSimPushDevice *self,
                                 const char *pin,
                                 gboolean post_back,
                                 GError **error)
{
  return make_own_bio (self, pin, 9, 0, post_back, error);
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
      = { "offline",       "duplicate-results", "crlf", "trailing-tab", "aspx", "stamp-9999",
          "other-dialect", "drop-writes",       NULL };
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
  else if (g_str_equal (name, "other-dialect"))
    f->other_dialect = on;
  else if (g_str_equal (name, "drop-writes"))
    f->drop_writes = on;
  else if (g_str_equal (name, "slow-polls"))
    f->slow_ms = (guint)ms;
  else if (g_str_equal (name, "lost-results"))
    f->lost_results = TRUE;
  else if (g_str_equal (name, "reboot"))
    {
      /* "reboot all": the whole log goes up again, as a K40 Pro does (§8) */
      if (args[0] != NULL && g_str_equal (args[0], "all"))
        self->punches_sent = 0;
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
                   "duplicate-results, crlf, trailing-tab, aspx, stamp-9999, other-dialect, "
                   "drop-writes, clear)",
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
      = { "cdata_get", "cdata_post", "getrequest", "devicecmd", "registry", "push", "querydata" };
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
  INT ("dropped_writes", s->dropped_writes);
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
zk_sim_push_device_dup_photos (ZkSimPushDevice *self)
{
  return dup_array (self, self->photos, (gpointer (*) (gconstpointer))zk_sim_push_photo_copy,
                    (GDestroyNotify)zk_sim_push_photo_free);
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
