/* zk-sim-push-commands.c — ZkSimPushDevice: the server's commands, run as
 * firmware runs them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * PUSH-PROTOCOL.md §6.2 with the Return codes real units give: −1002 for
 * syntax they do not know (USER ADD, DATA DEL …), −1004 for a table or
 * template type the model lacks, −9/−11/−12 for bad templates, −1 for
 * bad parameters and empty ATTLOG queries, −1001 when full. Results are
 * gathered per reply and posted once by the device's loop.
 *
 * A 3.x ("acc") device runs the §7 syntax instead: lower-case table names
 * (user, biodata, templatev10), DATA QUERY tablename=…,fielddesc=…,filter=…
 * answered through querydata with the row count as Return (DATA COUNT
 * and GET OPTIONS through querydata too), and the S31 codes: −629 bad
 * table name, −631 bad base64, −708 unsupported command, −801 bad command
 * format, −18 no space, −100 table/field error.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "zk-error.h"
#include "zk-sim-push-device-private.h"

/* codes of A24 appendix 1 */
enum
{
  RET_OK = 0,
  RET_BAD_PARAM = -1,
  RET_IO = -3,
  RET_SIZE = -9,
  RET_NO_PIN = -10,
  RET_BAD_FORMAT = -11,
  RET_BAD_TEMPLATE = -12,
  RET_FULL = -1001,
  RET_UNSUPPORTED = -1002,
  RET_MISMATCH = -1004,
};

/* codes of S31 appendix 1 (3.x) */
enum
{
  ACC_NO_SPACE = -18,
  ACC_FIELD = -100, /* [GUESS] S31 gives −100…−108 as table/field errors without detail */
  ACC_BAD_TABLE = -629,
  ACC_BAD_BASE64 = -631,
  ACC_UNSUPPORTED = -708,
  ACC_BAD_FORMAT = -801,
};

/* a decoded template must weigh this much (old firmware's FP bounds) */
#define TEMPLATE_MIN 100
#define TEMPLATE_MAX (20 * 1024)
/* a comparison photo: firmware takes JPEGs up to a few hundred KiB */
#define PHOTO_MAX (512 * 1024)

typedef struct
{
  ZkSimPushDevice *device;
  const char *id;
  GHashTable *params; /* lower-case key → value */
  GString *extra;     /* after the result record: INFO lines, VERIFY counts */
  gboolean reboot;
  gboolean check;
  gboolean acc; /* a 3.x device */
} Run;

/* ------------------------------------------------------------ parameters */

/* "Key=value<TAB>Key=value"; keys compared without case */
static GHashTable *
parse_params (const char *text)
{
  GHashTable *params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) fields = g_strsplit (text, "\t", 64);

  for (guint i = 0; fields[i] != NULL; i++)
    {
      char *eq = strchr (fields[i], '=');

      if (eq == NULL)
        continue;
      g_hash_table_replace (params, g_ascii_strdown (fields[i], eq - fields[i]), g_strdup (eq + 1));
    }
  return params;
}

static const char *
param (Run *run, const char *key)
{
  g_autofree char *lower = g_ascii_strdown (key, -1);

  return g_hash_table_lookup (run->params, lower);
}

/* FALSE when present but not a number up to @max */
static gboolean
param_uint (Run *run, const char *key, guint def, guint max, guint *out)
{
  const char *text = param (run, key);
  guint64 v;

  if (text == NULL || text[0] == '\0')
    {
      *out = def;
      return TRUE;
    }
  if (!g_ascii_string_to_unsigned (text, 10, 0, max, &v, NULL))
    return FALSE;
  *out = (guint)v;
  return TRUE;
}

/* strict base64: the alphabet, padding only at the end, whole quads */
static GBytes *
decode_base64 (const char *text)
{
  gsize len = text ? strlen (text) : 0;
  gsize out_len;
  guchar *data;

  if (len == 0 || len % 4 != 0)
    return NULL;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '+' && text[i] != '/'
        && !(text[i] == '=' && i >= len - 2 && (i == len - 1 || text[len - 1] == '=')))
      return NULL;
  data = g_base64_decode (text, &out_len);
  return g_bytes_new_take (data, out_len);
}

/* ------------------------------------------------------------ DATA UPDATE */

/* the user fields' names: 2.x USERINFO, 3.x user */
typedef struct
{
  const char *privilege, *password, *card, *group;
} UserKeys;

static int
update_user (Run *run)
{
  static const UserKeys keys_2 = { "Pri", "Passwd", "Card", "Grp" };
  static const UserKeys keys_acc = { "Privilege", "Password", "CardNo", "Group" };
  const UserKeys *keys = run->acc ? &keys_acc : &keys_2;
  ZkSimPushDevice *self = run->device;
  ZkSimPushUser user = { 0 };
  g_autoptr (GError) error = NULL;
  gboolean ok;

  user.pin = (char *)param (run, "PIN");
  if (!zk_sim_push_pin_is_valid (user.pin)
      || !param_uint (run, keys->privilege, 0, 14, &user.privilege)
      || !param_uint (run, keys->group, 1, 99, &user.group))
    return RET_BAD_PARAM;
  /* the whole record is replaced: what is not given is cleared */
  user.name = (char *)(param (run, "Name") ? param (run, "Name") : "");
  user.password = (char *)(param (run, keys->password) ? param (run, keys->password) : "");
  user.card = (char *)(param (run, keys->card) ? param (run, keys->card) : "");
  if (strlen (user.name) > 64 || strlen (user.password) > 8 || strlen (user.card) > 20)
    return RET_BAD_PARAM;
  ok = zk_sim_push_device_load_user (self, &user, &error);
  return ok ? RET_OK : RET_FULL;
}

/* the bytes of a template, checked as firmware checks them */
static int
check_template (ZkSimPushDevice *self, guint type, const char *b64, GBytes **out)
{
  g_autoptr (GBytes) data = decode_base64 (b64);
  gsize len;
  const guint8 *bytes;

  if (data == NULL)
    return RET_BAD_FORMAT;
  bytes = g_bytes_get_data (data, &len);
  if (type == 1 && (len < TEMPLATE_MIN || len > TEMPLATE_MAX))
    return RET_BAD_FORMAT;
  /* a ZKFinger 10 template starts with two bytes and "SS21" */
  if (type == 1 && memcmp (bytes + 2, "SS21", 4) != 0)
    return RET_BAD_TEMPLATE;
  if (type == 9 && (len < 16 || len > TEMPLATE_MAX))
    return RET_BAD_TEMPLATE;
  *out = g_steal_pointer (&data);
  return RET_OK;
}

static int
store_template (ZkSimPushDevice *self, ZkSimPushBio *bio)
{
  g_autoptr (GError) error = NULL;
  gboolean known;

  g_mutex_lock (&self->lock);
  known = zk_sim_push_device_find_user (self, bio->pin) != NULL;
  g_mutex_unlock (&self->lock);
  /* [GUESS] a template for a PIN the device lacks is refused */
  if (!known)
    return RET_NO_PIN;
  return zk_sim_push_device_load_bio (self, bio, &error) ? RET_OK : RET_FULL;
}

static int
update_biodata (Run *run)
{
  ZkSimPushDevice *self = run->device;
  g_autoptr (GBytes) data = NULL;
  ZkSimPushBio bio = { 0 };
  const char *format = param (run, "Format");
  int code;

  bio.pin = (char *)param (run, "Pin");
  if (!zk_sim_push_pin_is_valid (bio.pin) || param (run, "Type") == NULL
      || !param_uint (run, "Type", 0, 15, &bio.type) || !param_uint (run, "No", 0, 9, &bio.no)
      || !param_uint (run, "Index", 0, 99, &bio.index)
      || !param_uint (run, "Valid", 1, 1, &bio.valid)
      || !param_uint (run, "Duress", 0, 1, &bio.duress)
      || !param_uint (run, "MajorVer", 0, 999, &bio.major)
      || !param_uint (run, "MinorVer", 0, 999, &bio.minor))
    return RET_BAD_PARAM;
  /* the type must be in this model's MultiBioDataSupport */
  if (!zk_sim_push_device_supports_type (self, bio.type))
    return RET_MISMATCH;
  /* Format=ZK (text) got −12 on a real unit */
  if (format != NULL && !param_uint (run, "Format", 0, 2, &bio.format))
    return RET_BAD_TEMPLATE;
  if (bio.major != zk_sim_push_device_major_for (self, bio.type))
    return RET_MISMATCH;
  code = check_template (self, bio.type, param (run, "Tmp"), &data);
  if (code != RET_OK)
    return code;
  bio.data = data;
  return store_template (self, &bio);
}

static int
update_fingertmp (Run *run)
{
  ZkSimPushDevice *self = run->device;
  g_autoptr (GBytes) data = NULL;
  ZkSimPushBio bio = { 0 };
  const char *tmp = param (run, "TMP");
  guint size, valid;
  int code;

  bio.pin = (char *)param (run, "PIN");
  bio.type = 1;
  bio.major = 10;
  bio.valid = 1;
  if (!zk_sim_push_pin_is_valid (bio.pin) || !param_uint (run, "FID", 0, 9, &bio.no)
      || !param_uint (run, "Valid", 1, 3, &valid) || param (run, "Size") == NULL
      || !param_uint (run, "Size", 0, G_MAXINT, &size) || tmp == NULL)
    return RET_BAD_PARAM;
  if (size != strlen (tmp))
    return RET_SIZE;
  bio.duress = valid == 3;
  code = check_template (self, 1, tmp, &data);
  if (code != RET_OK)
    return code;
  bio.data = data;
  return store_template (self, &bio);
}

/* DATA UPDATE BIOPHOTO PIN=⇥Type=⇥Size=⇥Content=⇥Format=0|1⇥Url=⇥
 * PostBackTmpFlag=0|1 (§6.2): a unit whose options offer photos of the
 * type extracts a template of its own version from the JPEG; −1004 where
 * they do not. [GUESS] codes for a bad photo: −9 Size, −11 base64, −12 no
 * JPEG (firmware logs D01E0001/…06 and refuses); Format=1 (a URL to
 * fetch) −1, the simulator fetches nothing. */
static int
update_biophoto (Run *run)
{
  ZkSimPushDevice *self = run->device;
  const char *pin = param (run, "PIN");
  const char *content = param (run, "Content");
  g_autoptr (GBytes) photo = NULL;
  g_autoptr (GError) error = NULL;
  guint type, size, format = 0, post_back = 0;
  const guint8 *bytes;
  gsize len;

  if (!zk_sim_push_pin_is_valid (pin) || param (run, "Type") == NULL
      || !param_uint (run, "Type", 0, 15, &type) || param (run, "Size") == NULL
      || !param_uint (run, "Size", 0, G_MAXINT, &size) || content == NULL
      || !param_uint (run, "Format", 0, 1, &format)
      || !param_uint (run, "PostBackTmpFlag", 0, 1, &post_back))
    return RET_BAD_PARAM;
  if (!zk_sim_push_device_supports_photo (self, type))
    return RET_MISMATCH;
  if (format != 0)
    return RET_BAD_PARAM;
  if (size != strlen (content))
    return RET_SIZE;
  if ((photo = decode_base64 (content)) == NULL)
    return RET_BAD_FORMAT;
  bytes = g_bytes_get_data (photo, &len);
  /* a JPEG starts FF D8 FF; anything else has no face to find */
  if (len < 4 || len > PHOTO_MAX || bytes[0] != 0xff || bytes[1] != 0xd8 || bytes[2] != 0xff)
    return RET_BAD_TEMPLATE;
  if (zk_sim_push_device_extract_face (self, pin, post_back == 1, &error))
    return RET_OK;
  return g_error_matches (error, ZK_ERROR, ZK_ERROR_NOT_FOUND) ? RET_NO_PIN : RET_FULL;
}

/* ------------------------------------------------------------ DATA DELETE */

static int
delete_user (Run *run)
{
  ZkSimPushDevice *self = run->device;
  const char *pin = param (run, "PIN");
  ZkSimPushUser *user;

  if (!zk_sim_push_pin_is_valid (pin))
    return RET_BAD_PARAM;
  g_mutex_lock (&self->lock);
  /* its templates go with it, also for an unknown PIN */
  zk_sim_push_device_remove_bios (self, pin, -1, -1);
  user = zk_sim_push_device_find_user (self, pin);
  if (user != NULL)
    zk_sim_push_device_remove_user (self, user);
  g_mutex_unlock (&self->lock);
  return RET_OK;
}

static int
delete_templates (Run *run, gboolean unified)
{
  ZkSimPushDevice *self = run->device;
  const char *pin = param (run, unified ? "Pin" : "PIN");
  /* 3.x templatev10 names the finger FingerID */
  const char *no_key = unified ? "No" : run->acc ? "FingerID" : "FID";
  guint type = 1, no = G_MAXUINT;

  if (!zk_sim_push_pin_is_valid (pin)
      || (unified && !param_uint (run, "Type", G_MAXUINT, 15, &type))
      || !param_uint (run, no_key, G_MAXUINT, 9, &no))
    return RET_BAD_PARAM;
  g_mutex_lock (&self->lock);
  zk_sim_push_device_remove_bios (self, pin, type == G_MAXUINT ? -1 : (int)type,
                                  no == G_MAXUINT ? -1 : (int)no);
  g_mutex_unlock (&self->lock);
  return RET_OK;
}

/* ------------------------------------------------------------ DATA QUERY */

/* the answer goes up as ordinary uploads tagged with the command's id */
static int
upload_answer (Run *run, const char *table, GPtrArray *lines)
{
  guint packs = (lines->len + ZK_SIM_PUSH_BATCH_MAX - 1) / ZK_SIM_PUSH_BATCH_MAX;

  for (guint p = 0; p < packs; p++)
    {
      g_autoptr (GPtrArray) pack = g_ptr_array_new ();
      g_autofree char *extra = NULL;

      for (guint i = p * ZK_SIM_PUSH_BATCH_MAX;
           i < MIN (lines->len, (p + 1) * ZK_SIM_PUSH_BATCH_MAX); i++)
        g_ptr_array_add (pack, g_ptr_array_index (lines, i));
      extra = g_strdup_printf ("&Count=%u&PackCnt=%u&PackIdx=%u&CmdId=%s", pack->len, packs, p + 1,
                               run->id);
      /* 3.x: querydata rows of @table instead */
      if (!(run->acc
                ? zk_sim_push_device_upload_table (run->device, table, run->id, p + 1, packs, pack)
                : zk_sim_push_device_upload (run->device, table, "9999", extra, pack)))
        return RET_IO;
    }
  return RET_OK;
}

static gboolean
valid_time (const char *text)
{
  int y, mo, d, h, mi, s;

  return text != NULL && strlen (text) == 19
         && sscanf (text, "%4d-%2d-%2d %2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) == 6;
}

/* the punches between StartTime and EndTime (both given, inclusive) as
 * ATTLOG lines into @lines, or only counted when @lines is NULL; -1 when
 * the times are bad */
static int
punches_in_range (Run *run, GPtrArray *lines)
{
  ZkSimPushDevice *self = run->device;
  const char *start = param (run, "StartTime");
  const char *end = param (run, "EndTime");
  int n = 0;

  if (!valid_time (start) || !valid_time (end))
    return -1;
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->punches->len; i++)
    {
      ZkSimPushPunch *punch = g_ptr_array_index (self->punches, i);

      if (strcmp (punch->time, start) < 0 || strcmp (punch->time, end) > 0)
        continue;
      if (lines != NULL)
        g_ptr_array_add (lines, zk_sim_push_format_punch (self, punch));
      n++;
    }
  g_mutex_unlock (&self->lock);
  return n;
}

static int
query_attlog (Run *run, GPtrArray *lines)
{
  /* an empty answer is −1 on real units, like bad times */
  return punches_in_range (run, lines) <= 0 ? RET_BAD_PARAM : RET_OK;
}

static int
query_users (Run *run, GPtrArray *lines)
{
  ZkSimPushDevice *self = run->device;
  const char *pin = param (run, "PIN");

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->users->len; i++)
    {
      ZkSimPushUser *user = g_ptr_array_index (self->users, i);

      if (pin == NULL || pin[0] == '\0' || g_str_equal (pin, user->pin))
        g_ptr_array_add (lines, zk_sim_push_format_user (user));
    }
  g_mutex_unlock (&self->lock);
  return lines->len == 0 ? RET_BAD_PARAM : RET_OK;
}

static int
query_templates (Run *run, GPtrArray *lines, gboolean unified)
{
  ZkSimPushDevice *self = run->device;
  const char *pin = param (run, "PIN");
  guint type = 1, no = G_MAXUINT;

  if ((unified && (param (run, "Type") == NULL || !param_uint (run, "Type", 0, 15, &type)))
      || !param_uint (run, unified ? "No" : "FingerID", G_MAXUINT, 9, &no))
    return RET_BAD_PARAM;
  if (unified && !zk_sim_push_device_supports_type (self, type))
    return RET_MISMATCH;
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->bios->len; i++)
    {
      ZkSimPushBio *bio = g_ptr_array_index (self->bios, i);

      if (bio->type == type && (pin == NULL || pin[0] == '\0' || g_str_equal (pin, bio->pin))
          && (no == G_MAXUINT || bio->no == no))
        g_ptr_array_add (lines, unified ? zk_sim_push_format_bio (bio, FALSE)
                                        : zk_sim_push_format_fp (bio));
    }
  g_mutex_unlock (&self->lock);
  return lines->len == 0 ? RET_BAD_PARAM : RET_OK;
}

static int
query (Run *run, const char *table)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  const char *upload_table = "OPERLOG";
  int code;

  if (g_ascii_strcasecmp (table, "ATTLOG") == 0)
    {
      code = query_attlog (run, lines);
      upload_table = "ATTLOG";
    }
  else if (g_ascii_strcasecmp (table, "USERINFO") == 0)
    code = query_users (run, lines);
  else if (g_ascii_strcasecmp (table, "FINGERTMP") == 0)
    code = query_templates (run, lines, FALSE);
  else if (g_ascii_strcasecmp (table, "BIODATA") == 0)
    {
      code = query_templates (run, lines, TRUE);
      upload_table = "BIODATA";
    }
  else
    return RET_MISMATCH;
  if (code != RET_OK)
    return code;
  return upload_answer (run, upload_table, lines);
}

/* ------------------------------------------------------------ other commands */

static int
data_command (Run *run, const char *rest)
{
  g_auto (GStrv) words = g_strsplit (rest, " ", 3);
  const char *verb = words[0];
  const char *table = verb ? words[1] : NULL;

  if (verb == NULL || table == NULL)
    return RET_UNSUPPORTED;
  if (g_ascii_strcasecmp (verb, "UPDATE") != 0 && g_ascii_strcasecmp (verb, "DELETE") != 0
      && g_ascii_strcasecmp (verb, "QUERY") != 0)
    return RET_UNSUPPORTED;
  run->params = parse_params (words[2] ? words[2] : "");
  if (g_ascii_strcasecmp (verb, "QUERY") == 0)
    return query (run, table);
  if (g_ascii_strcasecmp (verb, "UPDATE") == 0)
    {
      if (g_ascii_strcasecmp (table, "USERINFO") == 0)
        return update_user (run);
      if (g_ascii_strcasecmp (table, "BIODATA") == 0)
        return update_biodata (run);
      if (g_ascii_strcasecmp (table, "FINGERTMP") == 0)
        return update_fingertmp (run);
      if (g_ascii_strcasecmp (table, "BIOPHOTO") == 0)
        return update_biophoto (run);
      return RET_MISMATCH;
    }
  if (g_ascii_strcasecmp (table, "USERINFO") == 0)
    return delete_user (run);
  if (g_ascii_strcasecmp (table, "BIODATA") == 0)
    return delete_templates (run, TRUE);
  if (g_ascii_strcasecmp (table, "FINGERTMP") == 0)
    return delete_templates (run, FALSE);
  return RET_MISMATCH;
}

static int
clear_command (Run *run, const char *what)
{
  ZkSimPushDevice *self = run->device;
  gboolean all = g_ascii_strcasecmp (what, "DATA") == 0;

  g_mutex_lock (&self->lock);
  if (all || g_ascii_strcasecmp (what, "LOG") == 0)
    {
      g_ptr_array_set_size (self->punches, 0);
      self->punches_sent = 0;
    }
  if (all || g_ascii_strcasecmp (what, "BIODATA") == 0)
    g_ptr_array_set_size (self->bios, 0);
  if (all)
    g_ptr_array_set_size (self->users, 0);
  g_mutex_unlock (&self->lock);
  if (!all && g_ascii_strcasecmp (what, "LOG") != 0 && g_ascii_strcasecmp (what, "BIODATA") != 0
      && g_ascii_strcasecmp (what, "PHOTO") != 0)
    return RET_UNSUPPORTED;
  return RET_OK;
}

static int
info_command (Run *run)
{
  ZkSimPushDevice *self = run->device;
  g_autoptr (GPtrArray) pairs = NULL;

  g_mutex_lock (&self->lock);
  pairs = zk_sim_push_device_option_pairs (self);
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < pairs->len; i++)
    g_string_append_printf (run->extra, "%s\n", (char *)g_ptr_array_index (pairs, i));
  return RET_OK;
}

static int
set_option (Run *run, const char *assignment)
{
  /* read-only keys and a missing '=' are refused */
  if (assignment[0] == '~' || strchr (assignment, '=') == NULL || assignment[0] == '=')
    return RET_BAD_PARAM;
  return RET_OK;
}

static int
verify_sum (Run *run, const char *rest)
{
  int n;

  run->params = parse_params (rest);
  n = punches_in_range (run, NULL);
  if (n < 0)
    return RET_BAD_PARAM;
  g_string_append_printf (run->extra, "&StartTime=%s&EndTime=%s&AttlogCount=%d",
                          param (run, "StartTime"), param (run, "EndTime"), n);
  return RET_OK;
}

/* ------------------------------------------------------------ 3.x */

static gboolean is_command (const char *text, const char *name, const char **rest);

/* a 2.x-style outcome in S31's codes */
static int
acc_code (int code)
{
  switch (code)
    {
    case RET_OK:
      return 0;
    case RET_BAD_PARAM:
      return ACC_BAD_FORMAT;
    case RET_SIZE:
    case RET_BAD_FORMAT:
      return ACC_BAD_BASE64;
    case RET_FULL:
      return ACC_NO_SPACE;
    case RET_UNSUPPORTED:
      return ACC_UNSUPPORTED;
    case RET_BAD_TEMPLATE:
    case RET_NO_PIN:
    case RET_MISMATCH:
      return ACC_FIELD;
    default:
      return code;
    }
}

/* "k=v,k=v" of a 3.x query; "filter=Pin=7" keeps its second '=' */
static GHashTable *
parse_comma_params (const char *text)
{
  g_autofree char *tabbed = g_strdelimit (g_strdup (text), ",", '\t');

  return parse_params (tabbed);
}

/* DATA QUERY tablename=user|biodata,fielddesc=*,filter=*|Pin=<pin>: the
 * rows go up through querydata, the Return is their count */
static int
query_acc (Run *run, const char *rest)
{
  ZkSimPushDevice *self = run->device;
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  const char *table, *filter, *pin = NULL;
  gboolean users;
  int code;

  run->params = parse_comma_params (rest);
  table = param (run, "tablename");
  filter = param (run, "filter");
  if (table == NULL)
    return ACC_BAD_FORMAT;
  if (g_ascii_strcasecmp (table, "user") != 0 && g_ascii_strcasecmp (table, "biodata") != 0)
    return ACC_BAD_TABLE;
  users = g_ascii_strcasecmp (table, "user") == 0;
  if (filter != NULL && !g_str_equal (filter, "*"))
    {
      if (g_ascii_strncasecmp (filter, "Pin=", 4) != 0)
        return ACC_BAD_FORMAT;
      pin = filter + 4;
    }
  g_mutex_lock (&self->lock);
  if (users)
    {
      for (guint i = 0; i < self->users->len; i++)
        {
          ZkSimPushUser *user = g_ptr_array_index (self->users, i);

          if (pin == NULL || g_str_equal (pin, user->pin))
            g_ptr_array_add (lines, zk_sim_push_format_user_acc (user, i + 1));
        }
    }
  else
    {
      for (guint i = 0; i < self->bios->len; i++)
        {
          ZkSimPushBio *bio = g_ptr_array_index (self->bios, i);

          if (pin == NULL || g_str_equal (pin, bio->pin))
            g_ptr_array_add (lines, zk_sim_push_format_bio (bio, TRUE));
        }
    }
  g_mutex_unlock (&self->lock);
  code = upload_answer (run, users ? "user" : "biodata", lines);
  return code == RET_OK ? (int)lines->len : code;
}

/* DATA COUNT user|biodata: the number goes up through querydata
 * type=count as one line "count=<n>" and is the Return, like a query's
 * row count [GUESS: §7 gives the query string and Return=<n>, no body] */
static int
count_acc (Run *run, const char *table)
{
  ZkSimPushDevice *self = run->device;
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  gboolean users = g_ascii_strcasecmp (table, "user") == 0;
  guint n;

  if (!users && g_ascii_strcasecmp (table, "biodata") != 0)
    return ACC_BAD_TABLE;
  g_mutex_lock (&self->lock);
  n = users ? self->users->len : self->bios->len;
  g_mutex_unlock (&self->lock);
  g_ptr_array_add (lines, g_strdup_printf ("count=%u", n));
  if (!zk_sim_push_device_answer (self, "count", users ? "user" : "biodata", run->id, 1, 1, lines))
    return RET_IO;
  return (int)n;
}

/* GET OPTIONS k1,k2: the values it has go up through querydata
 * type=options&tablename=options as one "k=v,k=v" line (none when it has
 * none of them), a key it does not have left out [GUESS: §7 gives the
 * command and the query string only]; an empty key is a bad format */
static int
get_options_acc (Run *run, const char *keys)
{
  ZkSimPushDevice *self = run->device;
  g_auto (GStrv) wanted = g_strsplit (keys, ",", 64);
  g_autoptr (GPtrArray) pairs = NULL;
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) line = g_string_new (NULL);

  if (wanted[0] == NULL)
    return ACC_BAD_FORMAT;
  for (guint i = 0; wanted[i] != NULL; i++)
    if (*g_strstrip (wanted[i]) == '\0')
      return ACC_BAD_FORMAT;
  g_mutex_lock (&self->lock);
  pairs = zk_sim_push_device_option_pairs (self);
  g_mutex_unlock (&self->lock);
  for (guint i = 0; wanted[i] != NULL; i++)
    {
      const char *value = zk_sim_push_line_value (pairs, wanted[i]);

      if (value != NULL)
        g_string_append_printf (line, "%s%s=%s", line->len > 0 ? "," : "", wanted[i], value);
    }
  /* none of them known: an answer of no line */
  if (line->len > 0)
    g_ptr_array_add (lines, g_string_free (g_steal_pointer (&line), FALSE));
  if (!zk_sim_push_device_answer (self, "options", "options", run->id, 1, 1, lines))
    return RET_IO;
  return 0;
}

/* DATA UPDATE|DELETE <table> k=v⇥…, DATA QUERY …, DATA COUNT <table>; 3.x
 * table names only */
static int
data_command_acc (Run *run, const char *rest)
{
  g_auto (GStrv) words = g_strsplit (rest, " ", 3);
  const char *verb = words[0];
  const char *table = verb ? words[1] : NULL;
  gboolean update;

  if (verb == NULL || table == NULL)
    return ACC_BAD_FORMAT;
  if (g_ascii_strcasecmp (verb, "QUERY") == 0)
    return query_acc (run, table);
  if (g_ascii_strcasecmp (verb, "COUNT") == 0)
    return count_acc (run, table);
  update = g_ascii_strcasecmp (verb, "UPDATE") == 0;
  if (!update && g_ascii_strcasecmp (verb, "DELETE") != 0)
    return ACC_UNSUPPORTED;
  run->params = parse_params (words[2] ? words[2] : "");
  if (g_str_equal (table, "user"))
    return acc_code (update ? update_user (run) : delete_user (run));
  if (g_str_equal (table, "biodata"))
    return acc_code (update ? update_biodata (run) : delete_templates (run, TRUE));
  if (g_str_equal (table, "biophoto") && update)
    return acc_code (update_biophoto (run));
  if (g_str_equal (table, "templatev10") && !update)
    return acc_code (delete_templates (run, FALSE));
  /* USERINFO, FINGERTMP, BIODATA are 2.x names */
  return ACC_BAD_TABLE;
}

/* SET OPTIONS k=v,k=v: read-only keys and a pair without '=' refused */
static int
set_options_acc (const char *pairs)
{
  g_auto (GStrv) parts = g_strsplit (pairs, ",", 64);

  if (parts[0] == NULL)
    return ACC_BAD_FORMAT;
  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] == '~' || parts[i][0] == '=' || strchr (parts[i], '=') == NULL)
      return ACC_BAD_FORMAT;
  return 0;
}

static int
run_one_acc (Run *run, const char *text)
{
  const char *rest;

  if (is_command (text, "DATA", &rest))
    return data_command_acc (run, rest);
  if (is_command (text, "SET OPTIONS", &rest))
    return set_options_acc (rest);
  if (is_command (text, "GET OPTIONS", &rest))
    return get_options_acc (run, rest);
  if (is_command (text, "CONTROL DEVICE", &rest))
    return 0;
  /* INFO, CHECK, LOG, CLEAR … are 2.x; access tables are not simulated */
  return ACC_UNSUPPORTED;
}

/* CMD= of a 3.x result: "DATA UPDATE", "SET OPTIONS" … (two words) */
static char *
result_name_acc (const char *command)
{
  g_auto (GStrv) words = g_strsplit (command, " ", 3);

  if (words[0] == NULL)
    return g_strdup ("");
  if (words[1] == NULL)
    return g_strdup (words[0]);
  return g_strdup_printf ("%s %s", words[0], words[1]);
}

/* firmware matches a command by prefix, without case, followed by a
 * space or the end; *rest points after it */
static gboolean
is_command (const char *text, const char *name, const char **rest)
{
  gsize len = strlen (name);

  if (g_ascii_strncasecmp (text, name, len) != 0 || (text[len] != '\0' && text[len] != ' '))
    return FALSE;
  *rest = text[len] == ' ' ? text + len + 1 : text + len;
  return TRUE;
}

/* one command; the Return code */
static int
run_one (Run *run, const char *text)
{
  ZkSimPushDevice *self = run->device;
  const char *rest;

  if (is_command (text, "DATA", &rest))
    return data_command (run, rest);
  if (is_command (text, "CLEAR", &rest))
    return clear_command (run, rest);
  if (is_command (text, "INFO", &rest))
    return info_command (run);
  if (is_command (text, "SET OPTION", &rest))
    return set_option (run, rest);
  if (is_command (text, "VERIFY SUM ATTLOG", &rest))
    return verify_sum (run, rest);
  if (is_command (text, "CHECK", &rest))
    {
      run->check = TRUE;
      return RET_OK;
    }
  if (is_command (text, "LOG", &rest))
    {
      zk_sim_push_device_poll_now (self);
      return RET_OK;
    }
  if (is_command (text, "REBOOT", &rest))
    {
      run->reboot = TRUE;
      return RET_OK;
    }
  if (is_command (text, "RELOAD OPTIONS", &rest) || is_command (text, "AC_UNLOCK", &rest)
      || is_command (text, "AC_UNALARM", &rest))
    return RET_OK;
  /* USER ADD, USER DEL, ENROLL_*, Shell, … are not run here */
  return RET_UNSUPPORTED;
}

/* "C:<id>:<command>"; the id is letters and digits, at most 16 */
static gboolean
split_line (const char *line, char **id, const char **command)
{
  const char *colon = strchr (line + 2, ':');
  gsize len = colon ? (gsize)(colon - (line + 2)) : 0;

  if (len == 0 || len > 16)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (line[2 + i]))
      return FALSE;
  *id = g_strndup (line + 2, len);
  *command = colon + 1;
  return TRUE;
}

/* CMD= of the result: the first word, "VERIFY SUM ATTLOG" whole */
static char *
result_name (const char *command)
{
  const char *space = strchr (command, ' ');
  const char *rest;

  if (is_command (command, "VERIFY SUM ATTLOG", &rest))
    return g_strdup ("VERIFY SUM ATTLOG");
  return space ? g_strndup (command, (gsize)(space - command)) : g_strdup (command);
}

/* the drop-writes fault: firmware that answers a write OK and keeps
 * nothing (a full or failing flash) — only a read-back finds it */
static gboolean
drops_write (ZkSimPushDevice *self, const char *command)
{
  const char *rest, *verb;
  gboolean drop;

  if (!is_command (command, "DATA", &rest))
    return FALSE;
  if (!is_command (rest, "UPDATE", &verb) && !is_command (rest, "DELETE", &verb))
    return FALSE;
  g_mutex_lock (&self->lock);
  drop = self->faults.drop_writes;
  if (drop)
    self->stats.dropped_writes++;
  g_mutex_unlock (&self->lock);
  return drop;
}

guint
zk_sim_push_device_run_commands (ZkSimPushDevice *self,
                                 GPtrArray *lines,
                                 gboolean *reboot,
                                 gboolean *check)
{
  guint ran = 0;

  for (guint i = 0; i < lines->len && !*reboot; i++)
    {
      g_autofree char *id = NULL;
      g_autofree char *name = NULL;
      g_autoptr (GString) extra = g_string_new (NULL);
      const char *command;
      Run run = { self, NULL, NULL, extra, FALSE, FALSE, zk_sim_push_device_is_acc (self) };
      int code;

      if (!split_line (g_ptr_array_index (lines, i), &id, &command))
        continue;
      run.id = id;
      if (drops_write (self, command))
        code = RET_OK;
      else
        code = run.acc ? run_one_acc (&run, command) : run_one (&run, command);
      g_clear_pointer (&run.params, g_hash_table_unref);
      name = run.acc ? result_name_acc (command) : result_name (command);
      g_mutex_lock (&self->lock);
      /* INFO's lines follow its record; VERIFY's counts extend it */
      if (extra->len > 0 && extra->str[0] == '&')
        g_string_append_printf (self->results, "ID=%s&Return=%d&CMD=%s%s\n", id, code, name,
                                extra->str);
      else
        g_string_append_printf (self->results, "ID=%s&Return=%d&CMD=%s\n%s", id, code, name,
                                extra->str);
      self->stats.commands++;
      g_hash_table_insert (self->stats.returns, GINT_TO_POINTER (code),
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (
                                                 self->stats.returns, GINT_TO_POINTER (code)))
                                             + 1));
      /* the device reloads after DATA commands and reports INFO next poll */
      if (code == RET_OK && g_ascii_strncasecmp (name, "DATA", 4) == 0)
        self->info_due++;
      g_mutex_unlock (&self->lock);
      *reboot = run.reboot;
      *check = *check || run.check;
      ran++;
    }
  return ran;
}
