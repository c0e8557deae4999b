/* test-push-request.c — classifying requests (push-request.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "push-limits.h"
#include "push-request.h"

/* one case of a table: named in the log, then classified */
static PushRequest *
classify_logged (const char *method, const char *path, const char *query, GError **error)
{
  g_test_message ("%s %s?%s", method, path, query);
  return push_request_classify (method, path, query, error);
}

/* the Biopro SA40 handshake of PUSH-PROTOCOL.md §15, verbatim */
static void
test_handshake_captured (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PushRequest) request = push_request_classify (
      "GET", "/iclock/cdata",
      "SN=CQZ7231360296&options=all&language=69&pushver=2.4.1&DeviceType=middle%20east&"
      "PushOptionsFlag=1",
      &error);

  g_assert_no_error (error);
  g_assert_cmpint (request->endpoint, ==, PUSH_ENDPOINT_HANDSHAKE);
  g_assert_cmpint (request->dialect, ==, PUSH_DIALECT_2);
  g_assert_cmpstr (request->serial, ==, "CQZ7231360296");
  g_assert_cmpstr (request->pushver, ==, "2.4.1");
  g_assert_cmpstr (request->language, ==, "69");
  g_assert_cmpstr (request->device_type, ==, "middle east");
  g_assert_true (request->options_flag);
}

/* every endpoint, with and without .aspx (§2, §13.6), names in any case */
static void
test_endpoints (void)
{
  static const struct
  {
    const char *method;
    const char *path;
    const char *query;
    PushEndpoint endpoint;
    PushDialect dialect;
  } cases[] = {
    { "GET", "/iclock/cdata.aspx", "SN=A1&options=all", PUSH_ENDPOINT_HANDSHAKE, PUSH_DIALECT_2 },
    { "GET", "/iclock/cdata", "sn=A1&OPTIONS=all&PushVer=3.1.2", PUSH_ENDPOINT_HANDSHAKE,
      PUSH_DIALECT_3 },
    { "GET", "/iclock/cdata", "SN=A1&options=all&DeviceType=acc", PUSH_ENDPOINT_HANDSHAKE,
      PUSH_DIALECT_3 },
    { "POST", "/iclock/cdata", "SN=A1&table=ATTLOG&Stamp=9999", PUSH_ENDPOINT_UPLOAD,
      PUSH_DIALECT_UNKNOWN },
    { "POST", "/iclock/cdata.ASPX", "SN=A1&table=rtlog", PUSH_ENDPOINT_UPLOAD, PUSH_DIALECT_3 },
    { "GET", "/iclock/getrequest", "SN=SFAA245100112", PUSH_ENDPOINT_POLL, PUSH_DIALECT_UNKNOWN },
    { "GET", "/iclock/getrequest.aspx", "SN=A1", PUSH_ENDPOINT_POLL, PUSH_DIALECT_UNKNOWN },
    { "POST", "/iclock/devicecmd", "SN=A1", PUSH_ENDPOINT_RESULT, PUSH_DIALECT_UNKNOWN },
    { "POST", "/iclock/devicecmd.aspx", "SN=A1", PUSH_ENDPOINT_RESULT, PUSH_DIALECT_UNKNOWN },
    { "GET", "/iclock/ping", "SN=A1", PUSH_ENDPOINT_PING, PUSH_DIALECT_UNKNOWN },
    { "POST", "/iclock/registry.aspx", "SN=A1", PUSH_ENDPOINT_REGISTRY, PUSH_DIALECT_3 },
    { "POST", "/iclock/push", "SN=A1", PUSH_ENDPOINT_PUSH_CONFIG, PUSH_DIALECT_3 },
    { "POST", "/iclock/querydata", "SN=A1&type=tabledata&cmdid=7&tablename=user",
      PUSH_ENDPOINT_UPLOAD, PUSH_DIALECT_3 },
    { "GET", "/iclock/rtdata", "SN=A1&type=time", PUSH_ENDPOINT_RTDATA, PUSH_DIALECT_3 },
    { "GET", "/iclock/cdata", "SN=A1&table=RemoteAtt&PIN=7", PUSH_ENDPOINT_REMOTE_ATT,
      PUSH_DIALECT_UNKNOWN },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (PushRequest) request
          = classify_logged (cases[i].method, cases[i].path, cases[i].query, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (push_endpoint_to_string (request->endpoint), ==,
                       push_endpoint_to_string (cases[i].endpoint));
      g_assert_cmpint (request->dialect, ==, cases[i].dialect);
    }
}

/* a query answer of §4.5: CmdId ties it to the query, Stamp is kept */
static void
test_query_answer (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PushRequest) request
      = push_request_classify ("POST", "/iclock/cdata",
                               "SN=CQZ7231360296&table=ATTLOG&Stamp=9999&Count=1&PackCnt=1&"
                               "PackIdx=1&CmdId=239",
                               &error);

  g_assert_no_error (error);
  g_assert_cmpstr (request->table, ==, "ATTLOG");
  g_assert_cmpstr (request->cmd_id, ==, "239");
  g_assert_cmpint (request->stamp, ==, 9999);
  g_assert_null (request->table_name);
}

/* 3.x tabledata keeps its tablename apart: the reply names it (§7) */
static void
test_table_name (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PushRequest) upload = push_request_classify (
      "POST", "/iclock/cdata", "SN=A1&table=tabledata&tablename=biodata&count=2", &error);
  g_autoptr (PushRequest) answer = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (upload->table, ==, "tabledata");
  g_assert_cmpstr (upload->table_name, ==, "biodata");
  answer = push_request_classify ("POST", "/iclock/querydata",
                                  "SN=A1&type=tabledata&cmdid=7&tablename=user", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (answer->table, ==, "user");
  g_assert_cmpstr (answer->table_name, ==, "user");
}

/* INFO is URL-decoded (§4.3); old firmware's raw spaces pass too (§14) */
static void
test_info_decoded (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PushRequest) encoded = push_request_classify (
      "GET", "/iclock/getrequest",
      "SN=A1&INFO=Ver%208.0.4.2-I113-02,143,1,109,172.16.12.182,10,7,12,141,111", &error);
  g_autoptr (PushRequest) raw = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (encoded->info, ==,
                   "Ver 8.0.4.2-I113-02,143,1,109,172.16.12.182,10,7,12,141,111");
  raw = push_request_classify ("GET", "/iclock/getrequest",
                               "SN=A1&INFO=Ver 6.60 Oct 12 2011,5,3,71,192.168.1.201,10", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (raw->info, ==, "Ver 6.60 Oct 12 2011,5,3,71,192.168.1.201,10");
}

static void
test_refused (void)
{
  g_autofree char *long_query = NULL;
  static const struct
  {
    const char *method;
    const char *path;
    const char *query;
    gint code;
  } cases[] = {
    { "GET", "/iclock/cdata", "options=all", PUSH_ERROR_INVALID },
    { "GET", "/iclock/cdata", "SN=&options=all", PUSH_ERROR_INVALID },
    { "GET", "/iclock/cdata", "SN=A%0A1&options=all", PUSH_ERROR_INVALID },
    { "GET", "/iclock/cdata", "SN=A/../1", PUSH_ERROR_INVALID },
    { "GET", "/iclock/cdata", "SN=A1&x=%zz", PUSH_ERROR_INVALID },
    { "GET", "/iclock/cdata",
      "SN=0123456789012345678901234567890123456789012345678901234567890123456789",
      PUSH_ERROR_INVALID },
    { "DELETE", "/iclock/cdata", "SN=A1", PUSH_ERROR_UNKNOWN },
    { "GET", "/iclock/exchange", "SN=A1&type=publickey", PUSH_ERROR_UNKNOWN },
    { "GET", "/iclock/devicecmd", "SN=A1", PUSH_ERROR_UNKNOWN },
    /* the reply echoes tablename: no line breaks, no '=' */
    { "POST", "/iclock/querydata", "SN=A1&tablename=user%0AC:1:REBOOT", PUSH_ERROR_INVALID },
    { "POST", "/iclock/cdata", "SN=A1&table=tabledata&tablename=us=er", PUSH_ERROR_INVALID },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (PushRequest) request
          = classify_logged (cases[i].method, cases[i].path, cases[i].query, &error);

      g_assert_null (request);
      g_assert_error (error, PUSH_ERROR, cases[i].code);
    }

  long_query = g_strnfill (PUSH_QUERY_MAX + 1, 'a');
  memcpy (long_query, "SN=A1&x=", 8);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (PushRequest) request
        = push_request_classify ("GET", "/iclock/ping", long_query, &error);
    g_assert_null (request);
    g_assert_error (error, PUSH_ERROR, PUSH_ERROR_TOO_BIG);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/push/request/handshake-captured", test_handshake_captured);
  g_test_add_func ("/push/request/endpoints", test_endpoints);
  g_test_add_func ("/push/request/query-answer", test_query_answer);
  g_test_add_func ("/push/request/table-name", test_table_name);
  g_test_add_func ("/push/request/info-decoded", test_info_decoded);
  g_test_add_func ("/push/request/refused", test_refused);
  return g_test_run ();
}
