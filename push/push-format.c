/* push-format.c — replies and command lines for push terminals
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "push-format.h"
#include "push-limits.h"

#include <string.h>

char *
push_format_time_zone (gint offset_minutes)
{
  if (offset_minutes % 60 == 0 && ABS (offset_minutes) <= 12 * 60)
    return g_strdup_printf ("%d", offset_minutes / 60);
  return g_strdup_printf ("%d", offset_minutes);
}

/* what biosync asks a 2.x device to push: users, templates and punches
 * (§4.1); TABs between the tokens (§13.19) */
#define TRANS_FLAG                                                                                 \
  "TransData AttLog\tOpLog\tEnrollUser\tChgUser\tEnrollFP\tChgFP\tFACE\tFVEIN\tBioPhoto"
#define PUSH_OPTIONS                                                                               \
  "UserCount,TransactionCount,FingerFunOn,FPVersion,FPCount,FaceFunOn,FaceVersion,FaceCount,"      \
  "FvFunOn,FvVersion,FvCount,PvFunOn,PvVersion,PvCount,BioPhotoFun,BioDataFun,PhotoFunOn,"         \
  "~LockFunOn,CardProtFormat,~Platform,MultiBioPhotoSupport,MultiBioDataSupport,MultiBioVersion,"  \
  "~DeviceName,FWVersion,PushVersion,MAC,~SerialNumber"

/* the template types biosync stores: fingerprint, NIR face, finger vein,
 * VL face; comparison photos of VL faces (a unit of another face version
 * makes its own template from one, docs/PUSH.md) */
#define MULTI_BIO_DATA "0:1:1:0:0:0:0:1:0:1"
#define MULTI_BIO_PHOTO "0:0:0:0:0:0:0:0:0:1"

gboolean
push_format_server_takes_photo (guint type)
{
  /* the list is indexed by type, one digit and a colon each */
  return type < (sizeof MULTI_BIO_PHOTO) / 2 && MULTI_BIO_PHOTO[2 * type] == '1';
}

char *
push_format_options_2 (const char *serial, const PushStamps *stamps, gint offset_minutes)
{
  g_autofree char *tz = push_format_time_zone (offset_minutes);

  /* both spellings of the marks: old firmware reads Stamp/OpStamp (§8) */
  return g_strdup_printf (
      "GET OPTION FROM: %s\n"
      "ATTLOGStamp=%" G_GINT64_FORMAT "\n"
      "OPERLOGStamp=%" G_GINT64_FORMAT "\n"
      "ATTPHOTOStamp=0\n"
      "BIODATAStamp=%" G_GINT64_FORMAT "\n"
      "Stamp=%" G_GINT64_FORMAT "\n"
      "OpStamp=%" G_GINT64_FORMAT "\n"
      "PhotoStamp=0\n"
      "ErrorDelay=" G_STRINGIFY (
          PUSH_ERROR_DELAY_S) "\n"
                              "Delay=" G_STRINGIFY (
                                  PUSH_DELAY_S) "\n"
                                                "TransTimes=00:00;14:05\n"
                                                "TransInterval=1\n"
                                                "TransFlag=" TRANS_FLAG "\n"
                                                "TimeZone=%s\n"
                                                "Realtime=1\n"
                                                "Encrypt=0\n"
                                                "ServerVer=2.4.1\n"
                                                "PushProtVer=2.4.1\n"
                                                "PushOptionsFlag=1\n"
                                                "PushOptions=" PUSH_OPTIONS "\n"
                                                "MultiBioDataSupport=" MULTI_BIO_DATA "\n"
                                                "MultiBioPhotoSupport=" MULTI_BIO_PHOTO "\n"
                                                "SupportPing=1\n",
      serial, stamps->attlog, stamps->operlog, stamps->biodata, stamps->attlog, stamps->operlog,
      tz);
}

char *
push_format_options_3 (const char *registry_code, gint offset_minutes)
{
  g_autofree char *tz = push_format_time_zone (offset_minutes);

  return g_strdup_printf (
      "registry=ok\n"
      "RegistryCode=%s\n"
      "ServerVersion=2.4.1\n"
      "ServerName=biosync\n"
      "PushProtVer=3.1.2\n"
      "ErrorDelay=" G_STRINGIFY (
          PUSH_ERROR_DELAY_S) "\n"
                              "RequestDelay=" G_STRINGIFY (
                                  PUSH_DELAY_S) "\n"
                                                "TransTimes=00:00;14:05\n"
                                                "TransInterval=1\n"
                                                "TransTables=User Transaction\n"
                                                "Realtime=1\n"
                                                "TimeoutSec=10\n"
                                                "TimeZone=%s\n"
                                                /* without these a 3.x unit uploads no templates
                                                   (§7, §4.1) */
                                                "BioPhotoFun=1\n"
                                                "BioDataFun=1\n"
                                                "MultiBioDataSupport=" MULTI_BIO_DATA "\n"
                                                "MultiBioPhotoSupport=" MULTI_BIO_PHOTO "\n",
      registry_code, tz);
}

static gboolean
field_is_safe (const char *text)
{
  return strpbrk (text, "\t\r\n") == NULL;
}

static gboolean
cmd_id_is_valid (const char *id)
{
  gsize len = id != NULL ? strlen (id) : 0;

  if (len == 0 || len > PUSH_CMD_ID_MAX)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (id[i]))
      return FALSE;
  return TRUE;
}

char *
push_format_command (const char *verb, const char *const *pairs, GError **error)
{
  g_autoptr (GString) command = NULL;

  g_return_val_if_fail (verb != NULL, NULL);

  if (!field_is_safe (verb))
    {
      g_set_error_literal (error, PUSH_ERROR, PUSH_ERROR_UNSAFE,
                           "the command holds a TAB or a line break");
      return NULL;
    }
  command = g_string_new (verb);
  for (guint i = 0; pairs != NULL && pairs[i] != NULL; i += 2)
    {
      const char *value = pairs[i + 1] != NULL ? pairs[i + 1] : "";

      if (!field_is_safe (pairs[i]) || !field_is_safe (value))
        {
          g_set_error (error, PUSH_ERROR, PUSH_ERROR_UNSAFE, "field %s holds a TAB or a line break",
                       pairs[i]);
          return NULL;
        }
      g_string_append_c (command, i == 0 ? ' ' : '\t');
      g_string_append_printf (command, "%s=%s", pairs[i], value);
    }
  return g_string_free (g_steal_pointer (&command), FALSE);
}

char *
push_format_command_line (const char *id, const char *command, GError **error)
{
  if (!cmd_id_is_valid (id))
    {
      g_set_error (error, PUSH_ERROR, PUSH_ERROR_INVALID,
                   "command id “%s” is not 1–16 letters and digits", id != NULL ? id : "");
      return NULL;
    }
  if (strpbrk (command, "\r\n") != NULL)
    {
      g_set_error_literal (error, PUSH_ERROR, PUSH_ERROR_UNSAFE, "the command holds a line break");
      return NULL;
    }
  return g_strdup_printf ("C:%s:%s", id, command);
}

char *
push_format_user_update (PushDialect dialect, const PushUser *user, GError **error)
{
  g_autofree char *pri = g_strdup_printf ("%u", user->privilege);
  g_autofree char *grp = g_strdup_printf ("%u", user->group);
  g_autofree char *verify = g_strdup_printf ("%d", user->verify);
  const char *name = user->name != NULL ? user->name : "";
  const char *password = user->password != NULL ? user->password : "";
  const char *card = user->card != NULL ? user->card : "";

  if (dialect == PUSH_DIALECT_3)
    {
      const char *const pairs[] = { "CardNo", card, "Pin",       user->pin, "Password", password,
                                    "Group",  grp,  "StartTime", "0",       "EndTime",  "0",
                                    "Name",   name, "Privilege", pri,       NULL };
      return push_format_command ("DATA UPDATE user", pairs, error);
    }
  else
    {
      const char *tz = user->time_zones != NULL ? user->time_zones : "";
      const char *const pairs[]
          = { "PIN", user->pin, "Name", name, "Pri",    pri,    "Passwd",   password, "Card", card,
              "Grp", grp,       "TZ",   tz,   "Verify", verify, "ViceCard", "",       NULL };
      return push_format_command ("DATA UPDATE USERINFO", pairs, error);
    }
}

char *
push_format_user_delete (PushDialect dialect, const char *pin, GError **error)
{
  const char *const pairs[] = { dialect == PUSH_DIALECT_3 ? "Pin" : "PIN", pin, NULL };

  return push_format_command (
      dialect == PUSH_DIALECT_3 ? "DATA DELETE user" : "DATA DELETE USERINFO", pairs, error);
}

char *
push_format_biodata_update (PushDialect dialect, const PushTemplate *tmpl, GError **error)
{
  g_autofree char *no = g_strdup_printf ("%u", tmpl->no);
  g_autofree char *index = g_strdup_printf ("%u", tmpl->index);
  g_autofree char *type = g_strdup_printf ("%u", tmpl->type);
  g_autofree char *major = g_strdup_printf ("%u", tmpl->major_version);
  g_autofree char *minor = g_strdup_printf ("%u", tmpl->minor_version);
  /* numeric Format: "ZK" got −12 (§13.20) */
  g_autofree char *format = g_strdup_printf ("%u", tmpl->format);
  g_autofree char *data
      = g_base64_encode (g_bytes_get_data (tmpl->data, NULL), g_bytes_get_size (tmpl->data));
  const char *const pairs[] = { "Pin",      tmpl->pin,
                                "No",       no,
                                "Index",    index,
                                "Valid",    tmpl->valid ? "1" : "0",
                                "Duress",   tmpl->duress ? "1" : "0",
                                "Type",     type,
                                "MajorVer", major,
                                "MinorVer", minor,
                                "Format",   format,
                                "Tmp",      data,
                                NULL };

  return push_format_command (
      dialect == PUSH_DIALECT_3 ? "DATA UPDATE biodata" : "DATA UPDATE BIODATA", pairs, error);
}

char *
push_format_biophoto_update (
    PushDialect dialect, const char *pin, guint type, GBytes *photo, GError **error)
{
  gsize len = photo != NULL ? g_bytes_get_size (photo) : 0;
  g_autofree char *type_text = g_strdup_printf ("%u", type);
  g_autofree char *content = len > 0 && len <= PUSH_PHOTO_MAX
                                 ? g_base64_encode (g_bytes_get_data (photo, NULL), len)
                                 : NULL;
  /* Size is the base64 length (−9 otherwise); Format 0: the content, not a
   * URL; PostBackTmpFlag 1: the device uploads the template it made */
  g_autofree char *size = content ? g_strdup_printf ("%" G_GSIZE_FORMAT, strlen (content)) : NULL;
  const char *const pairs[] = { dialect == PUSH_DIALECT_3 ? "Pin" : "PIN",
                                pin,
                                "Type",
                                type_text,
                                "Size",
                                size,
                                "Content",
                                content,
                                "Format",
                                "0",
                                "PostBackTmpFlag",
                                "1",
                                NULL };

  if (content == NULL)
    {
      g_set_error (error, PUSH_ERROR, PUSH_ERROR_INVALID,
                   "a comparison photo of %" G_GSIZE_FORMAT " bytes (1…%u are sent)", len,
                   PUSH_PHOTO_MAX);
      return NULL;
    }
  return push_format_command (
      dialect == PUSH_DIALECT_3 ? "DATA UPDATE biophoto" : "DATA UPDATE BIOPHOTO", pairs, error);
}

char *
push_format_fingertmp_update (const PushTemplate *tmpl, GError **error)
{
  g_autofree char *fid = g_strdup_printf ("%u", tmpl->no);
  g_autofree char *data
      = g_base64_encode (g_bytes_get_data (tmpl->data, NULL), g_bytes_get_size (tmpl->data));
  /* Size is the base64 length (−9 otherwise, §6.2); Valid 3 = duress */
  g_autofree char *size = g_strdup_printf ("%" G_GSIZE_FORMAT, strlen (data));
  const char *valid = tmpl->duress ? "3" : tmpl->valid ? "1" : "0";
  const char *const pairs[]
      = { "PIN", tmpl->pin, "FID", fid, "Size", size, "Valid", valid, "TMP", data, NULL };

  return push_format_command ("DATA UPDATE FINGERTMP", pairs, error);
}

char *
push_format_query_users (const char *pin, GError **error)
{
  const char *const pairs[] = { "PIN", pin, NULL };

  return push_format_command ("DATA QUERY USERINFO", pin != NULL ? pairs : NULL, error);
}

char *
push_format_query_biodata (guint type, const char *pin, GError **error)
{
  g_autofree char *type_text = g_strdup_printf ("%u", type);
  const char *const pairs[] = { "Type", type_text, pin != NULL ? "PIN" : NULL, pin, NULL };

  return push_format_command ("DATA QUERY BIODATA", pairs, error);
}

char *
push_format_query_attlog (const char *start, const char *end, GError **error)
{
  const char *const pairs[] = { "StartTime", start, "EndTime", end, NULL };

  return push_format_command ("DATA QUERY ATTLOG", pairs, error);
}

char *
push_format_query_table_3 (const char *table, GError **error)
{
  g_autofree char *verb = NULL;

  /* the table is one word of the query's comma list */
  if (table == NULL || *table == '\0' || strpbrk (table, ",= \t\r\n") != NULL)
    {
      g_set_error (error, PUSH_ERROR, PUSH_ERROR_INVALID, "“%s” is not a 3.x table name",
                   table != NULL ? table : "");
      return NULL;
    }
  verb = g_strdup_printf ("DATA QUERY tablename=%s,fielddesc=*,filter=*", table);
  return push_format_command (verb, NULL, error);
}

char *
push_format_commands (GPtrArray *lines)
{
  g_autoptr (GString) reply = g_string_new (NULL);

  if (lines == NULL || lines->len == 0)
    return g_strdup ("OK\n");
  for (guint i = 0; i < lines->len; i++)
    {
      g_string_append (reply, g_ptr_array_index (lines, i));
      g_string_append_c (reply, '\n');
    }
  return g_string_free (g_steal_pointer (&reply), FALSE);
}
