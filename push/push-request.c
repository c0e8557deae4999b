/* push-request.c — classifying a push terminal's request
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "push-request.h"
#include "push-limits.h"

#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (push - error - quark, push_error)

void
push_request_free (PushRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->serial);
  g_free (request->table);
  g_free (request->table_name);
  g_free (request->pushver);
  g_free (request->language);
  g_free (request->pushcommkey);
  g_free (request->device_type);
  g_free (request->info);
  g_free (request->cmd_id);
  g_free (request->type);
  g_free (request);
}

const char *
push_endpoint_to_string (PushEndpoint endpoint)
{
  switch (endpoint)
    {
    case PUSH_ENDPOINT_HANDSHAKE:
      return "handshake";
    case PUSH_ENDPOINT_UPLOAD:
      return "upload";
    case PUSH_ENDPOINT_POLL:
      return "poll";
    case PUSH_ENDPOINT_RESULT:
      return "result";
    case PUSH_ENDPOINT_PING:
      return "ping";
    case PUSH_ENDPOINT_REGISTRY:
      return "registry";
    case PUSH_ENDPOINT_PUSH_CONFIG:
      return "push";
    case PUSH_ENDPOINT_RTDATA:
      return "rtdata";
    case PUSH_ENDPOINT_REMOTE_ATT:
      return "remote-att";
    case PUSH_ENDPOINT_UNKNOWN:
    default:
      return "unknown";
    }
}

const char *
push_dialect_to_string (PushDialect dialect)
{
  switch (dialect)
    {
    case PUSH_DIALECT_2:
      return "2";
    case PUSH_DIALECT_3:
      return "3";
    case PUSH_DIALECT_UNKNOWN:
    default:
      return "";
    }
}

PushDialect
push_dialect_from_pushver (const char *pushver)
{
  return pushver != NULL && pushver[0] == '3' ? PUSH_DIALECT_3 : PUSH_DIALECT_2;
}

gboolean
push_serial_is_valid (const char *serial)
{
  gsize len = serial != NULL ? strlen (serial) : 0;

  if (len == 0 || len > PUSH_SERIAL_MAX)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (serial[i]) && serial[i] != '_' && serial[i] != '-')
      return FALSE;
  return TRUE;
}

static gboolean
table_name_is_valid (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > 32)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (name[i]) && name[i] != '_')
      return FALSE;
  return TRUE;
}

/* the last path segment without ".aspx": "/iclock/cdata.aspx" → "cdata" */
static char *
endpoint_name (const char *path)
{
  const char *slash = strrchr (path, '/');
  const char *name = slash != NULL ? slash + 1 : path;
  gsize len = strlen (name);

  if (len > 5 && g_ascii_strcasecmp (name + len - 5, ".aspx") == 0)
    len -= 5;
  return g_ascii_strdown (name, len);
}

/* the first of @keys present (the table is case-insensitive) */
static char *
param (GHashTable *params, const char *key)
{
  const char *value = g_hash_table_lookup (params, key);

  return value != NULL ? g_strdup (value) : NULL;
}

static gint64
stamp_param (GHashTable *params)
{
  static const char *const keys[] = { "Stamp", "OpStamp", "PhotoStamp" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      const char *value = g_hash_table_lookup (params, keys[i]);
      guint64 number = 0;

      if (value != NULL && g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT64, &number, NULL))
        return (gint64)number;
    }
  return -1;
}

static gboolean
table_is_3x (const char *table)
{
  return table != NULL
         && (g_ascii_strcasecmp (table, "rtlog") == 0 || g_ascii_strcasecmp (table, "rtstate") == 0
             || g_ascii_strcasecmp (table, "tabledata") == 0);
}

/* the endpoint of a cdata request: handshake, upload or RemoteAtt */
static PushEndpoint
cdata_endpoint (gboolean is_get, PushRequest *request, GHashTable *params)
{
  const char *options = g_hash_table_lookup (params, "options");

  if (!is_get)
    return PUSH_ENDPOINT_UPLOAD;
  if (options != NULL)
    return PUSH_ENDPOINT_HANDSHAKE;
  if ((request->table != NULL && g_ascii_strcasecmp (request->table, "RemoteAtt") == 0)
      || g_hash_table_contains (params, "PIN"))
    return PUSH_ENDPOINT_REMOTE_ATT;
  /* a GET of cdata without options: old firmware's handshake spelling */
  return PUSH_ENDPOINT_HANDSHAKE;
}

static gboolean
classify_endpoint (
    PushRequest *request, const char *method, const char *name, GHashTable *params, GError **error)
{
  gboolean is_get = g_ascii_strcasecmp (method, "GET") == 0;
  gboolean is_post = g_ascii_strcasecmp (method, "POST") == 0;

  if (!is_get && !is_post)
    {
      g_set_error (error, PUSH_ERROR, PUSH_ERROR_UNKNOWN, "method %s is not served", method);
      return FALSE;
    }
  if (g_str_equal (name, "cdata"))
    request->endpoint = cdata_endpoint (is_get, request, params);
  else if (g_str_equal (name, "getrequest") && is_get)
    request->endpoint = PUSH_ENDPOINT_POLL;
  else if (g_str_equal (name, "devicecmd") && is_post)
    request->endpoint = PUSH_ENDPOINT_RESULT;
  else if (g_str_equal (name, "ping") && is_get)
    request->endpoint = PUSH_ENDPOINT_PING;
  else if (g_str_equal (name, "registry") && is_post)
    request->endpoint = PUSH_ENDPOINT_REGISTRY;
  else if (g_str_equal (name, "push") && is_post)
    request->endpoint = PUSH_ENDPOINT_PUSH_CONFIG;
  else if (g_str_equal (name, "querydata") && is_post)
    request->endpoint = PUSH_ENDPOINT_UPLOAD;
  else if (g_str_equal (name, "rtdata") && is_get)
    request->endpoint = PUSH_ENDPOINT_RTDATA;
  else
    {
      g_set_error (error, PUSH_ERROR, PUSH_ERROR_UNKNOWN, "%s %s is not served", method, name);
      return FALSE;
    }
  return TRUE;
}

/* the dialect as far as this request tells; decided per request (§7) */
static PushDialect
classify_dialect (const PushRequest *request, const char *name)
{
  switch (request->endpoint)
    {
    case PUSH_ENDPOINT_REGISTRY:
    case PUSH_ENDPOINT_PUSH_CONFIG:
    case PUSH_ENDPOINT_RTDATA:
      return PUSH_DIALECT_3;
    case PUSH_ENDPOINT_HANDSHAKE:
      if (request->device_type != NULL && g_ascii_strcasecmp (request->device_type, "acc") == 0)
        return PUSH_DIALECT_3;
      return push_dialect_from_pushver (request->pushver);
    case PUSH_ENDPOINT_UPLOAD:
      if (g_str_equal (name, "querydata") || table_is_3x (request->table))
        return PUSH_DIALECT_3;
      return PUSH_DIALECT_UNKNOWN;
    case PUSH_ENDPOINT_POLL:
    case PUSH_ENDPOINT_RESULT:
    case PUSH_ENDPOINT_PING:
    case PUSH_ENDPOINT_REMOTE_ATT:
    case PUSH_ENDPOINT_UNKNOWN:
    default:
      return PUSH_DIALECT_UNKNOWN;
    }
}

PushRequest *
push_request_classify (const char *method, const char *path, const char *query, GError **error)
{
  g_autoptr (PushRequest) request = g_new0 (PushRequest, 1);
  g_autoptr (GHashTable) params = NULL;
  g_autofree char *name = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *flag;

  g_return_val_if_fail (method != NULL && path != NULL, NULL);

  if (query != NULL && strlen (query) > PUSH_QUERY_MAX)
    {
      g_set_error (error, PUSH_ERROR, PUSH_ERROR_TOO_BIG, "query longer than %d bytes",
                   PUSH_QUERY_MAX);
      return NULL;
    }
  /* devices send names in any case (SN, sn); values percent-encoded,
   * old firmware sometimes with raw spaces */
  params = g_uri_parse_params (query != NULL ? query : "", -1, "&", G_URI_PARAMS_CASE_INSENSITIVE,
                               &local_error);
  if (params == NULL)
    {
      g_set_error (error, PUSH_ERROR, PUSH_ERROR_INVALID, "query: %s", local_error->message);
      return NULL;
    }

  request->serial = param (params, "SN");
  if (!push_serial_is_valid (request->serial))
    {
      g_set_error_literal (error, PUSH_ERROR, PUSH_ERROR_INVALID,
                           "no valid SN (letters, digits, _ and -, at most 64)");
      return NULL;
    }
  request->table = param (params, "table");
  request->table_name = param (params, "tablename");
  if (request->table == NULL)
    request->table = g_strdup (request->table_name);
  /* the reply echoes it ("user=3", §7) */
  if (request->table_name != NULL && !table_name_is_valid (request->table_name))
    {
      g_set_error_literal (error, PUSH_ERROR, PUSH_ERROR_INVALID,
                           "tablename is not 1–32 letters, digits or _");
      return NULL;
    }
  request->pushver = param (params, "pushver");
  request->language = param (params, "language");
  request->pushcommkey = param (params, "pushcommkey");
  request->device_type = param (params, "DeviceType");
  request->info = param (params, "INFO");
  request->cmd_id = param (params, "CmdId");
  request->type = param (params, "type");
  request->stamp = stamp_param (params);
  flag = g_hash_table_lookup (params, "PushOptionsFlag");
  request->options_flag = flag != NULL && g_str_equal (flag, "1");

  name = endpoint_name (path);
  if (!classify_endpoint (request, method, name, params, error))
    return NULL;
  request->dialect = classify_dialect (request, name);
  return g_steal_pointer (&request);
}
