/* push-request.h — what a push terminal's HTTP request asks for
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Classifies one request (method, path, query) of either dialect
 * (docs/PUSH-PROTOCOL.md §4, §7) into an endpoint: pure, no I/O.
 * Paths are matched with and without ".aspx"; query parameter names in
 * any case; values are URL-decoded.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PUSH_ERROR (push_error_quark ())
GQuark push_error_quark (void);

typedef enum
{
  PUSH_ERROR_INVALID, /* malformed request or record */
  PUSH_ERROR_TOO_BIG, /* beyond a limit of push-limits.h */
  PUSH_ERROR_UNSAFE,  /* a command field holds TAB, CR, LF or NUL */
  PUSH_ERROR_UNKNOWN, /* an endpoint or table the receiver does not serve */
} PushError;

typedef enum
{
  PUSH_ENDPOINT_UNKNOWN,
  PUSH_ENDPOINT_HANDSHAKE,   /* GET cdata?options=all */
  PUSH_ENDPOINT_UPLOAD,      /* POST cdata?table=… (also 3.x querydata) */
  PUSH_ENDPOINT_POLL,        /* GET getrequest */
  PUSH_ENDPOINT_RESULT,      /* POST devicecmd */
  PUSH_ENDPOINT_PING,        /* GET ping */
  PUSH_ENDPOINT_REGISTRY,    /* POST registry (3.x) */
  PUSH_ENDPOINT_PUSH_CONFIG, /* POST push (3.x) */
  PUSH_ENDPOINT_RTDATA,      /* GET rtdata?type=time (3.x) */
  PUSH_ENDPOINT_REMOTE_ATT,  /* GET cdata?table=RemoteAtt or cdata?PIN= */
} PushEndpoint;

typedef enum
{
  PUSH_DIALECT_UNKNOWN,
  PUSH_DIALECT_2, /* 2.x "att" */
  PUSH_DIALECT_3, /* 3.x "acc/security" */
} PushDialect;

typedef struct
{
  PushEndpoint endpoint;
  PushDialect dialect; /* UNKNOWN when nothing in this request tells */
  char *serial;        /* ^[A-Za-z0-9_-]{1,64}$ */
  char *table;         /* table= or tablename= as sent (NULL: none) */
  char *table_name;    /* 3.x tabledata/querydata tablename=: 1–32 letters, digits, _ */
  char *pushver;       /* NULL: not sent */
  char *language;
  char *pushcommkey;
  char *device_type;
  char *info;            /* the INFO= of a poll, decoded */
  char *cmd_id;          /* CmdId= / cmdid= of a query answer */
  char *type;            /* 3.x querydata/rtdata type= */
  gint64 stamp;          /* Stamp/OpStamp/PhotoStamp, -1 = none or not numeric */
  gboolean options_flag; /* PushOptionsFlag=1 */
} PushRequest;

void push_request_free (PushRequest *request);
const char *push_endpoint_to_string (PushEndpoint endpoint);
const char *push_dialect_to_string (PushDialect dialect);

/* @path is the URI path ("/iclock/cdata.aspx"), @query the raw query
 * (NULL = none). PUSH_ERROR_INVALID for a missing or bad SN, bad
 * encoding; PUSH_ERROR_UNKNOWN for an endpoint no terminal uses;
 * PUSH_ERROR_TOO_BIG for a query over PUSH_QUERY_MAX. */
PushRequest *
push_request_classify (const char *method, const char *path, const char *query, GError **error);

/* "2" or "3" from a pushver (3.x when it starts with "3"; absent: 2) */
PushDialect push_dialect_from_pushver (const char *pushver);
/* ^[A-Za-z0-9_-]{1,64}$ */
gboolean push_serial_is_valid (const char *serial);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PushRequest, push_request_free)

G_END_DECLS
