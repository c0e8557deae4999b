/* zk-tool.h — what the files of biosync-zk share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * zk-tool.c holds main(), the options, the commands table, the worker
 * thread and the error line; zk-tool-read.c and zk-tool-write.c the
 * commands; zk-tool-output.c what they print with.
 */
#pragma once

#include "zk-client.h"
#include "zk-tool-output.h"

G_BEGIN_DECLS

#define PROGRAM "biosync-zk"
#define KEY_ENV "BIOSYNC_ZK_KEY"

typedef struct _Tool Tool;

/* options a command takes besides its arguments */
typedef enum
{
  TOOL_TAKES_USER_FIELDS = 1 << 0, /* --card --privilege --password --group */
  TOOL_TAKES_YES = 1 << 1,         /* --yes */
} ToolTakes;

typedef struct
{
  const char *name;
  const char *synopsis; /* the arguments, for --help */
  const char *help;
  guint min_args;
  guint max_args; /* G_MAXUINT = any number */
  ToolTakes takes;
  gboolean (*parse) (Tool *tool, GError **error);
  gboolean (*run) (Tool *tool, GError **error);
} Command;

struct _Tool
{
  /* options */
  gboolean use_tcp;
  gboolean use_udp;
  gboolean use_auto;
  char *key_text;
  char *timeout_text;
  gboolean json;
  gboolean yes;
  gboolean stats;
  gboolean version;
  char *encoding;
  char *card_text;
  char *privilege_text;
  char *password;
  char *group_text;
  char **positional;

  /* validated */
  char *host;
  guint16 port;
  char *label; /* "host:port" or "[v6]:port", for messages */
  ZkTransport transport;
  gboolean have_key;
  guint32 key;
  guint timeout_ms;
  const Command *command;
  char **args; /* the command's arguments (points into positional) */
  guint n_args;

  /* parsed command arguments */
  guint16 uid;
  gboolean have_uid;
  guint8 fid;
  guint seconds;
  ZkTime device_time;
  ZkUser *user; /* set-user: the fields given on the command line */
  gboolean have_card;
  gboolean have_privilege;
  gboolean have_group;

  /* runtime */
  ZkClient *client;
  GCancellable *cancellable;
  GMainLoop *loop;
  GString *out;
  char *step; /* what the tool was doing, for the error line */
  GPtrArray *warnings;
  int exit_status;
};

/* ---- helpers (zk-tool.c) */

/* remembers what is being done, so that an error names it */
void tool_step (Tool *tool, const char *format, ...) G_GNUC_PRINTF (2, 3);
/* a G_OPTION_ERROR: bad usage, exit status 2 */
void usage_error (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);
gboolean parse_number (
    const char *text, const char *what, guint64 min, guint64 max, guint64 *value, GError **error);
gboolean parse_uid (const char *text, guint16 *uid, GError **error);
gboolean parse_fid (const char *text, guint8 *fid, guint max, GError **error);
/* UTF-8 without control characters, at most @max_bytes (0 = any) */
gboolean check_text_argument (const char *text, const char *what, gsize max_bytes, GError **error);
/* the records the decoders skipped, as warnings on stderr */
void tool_note_warnings (Tool *tool);
const char *plural (guint n, const char *one, const char *many);

/* ---- reading (zk-tool-read.c) */

gboolean parse_uid_fid (Tool *tool, GError **error);
gboolean parse_optional_uid (Tool *tool, GError **error);
gboolean parse_options (Tool *tool, GError **error);
gboolean run_info (Tool *tool, GError **error);
gboolean run_sizes (Tool *tool, GError **error);
gboolean run_users (Tool *tool, GError **error);
gboolean run_fingers (Tool *tool, GError **error);
gboolean run_template (Tool *tool, GError **error);
gboolean run_faces (Tool *tool, GError **error);
gboolean run_logs (Tool *tool, GError **error);
gboolean run_time (Tool *tool, GError **error);
gboolean run_options (Tool *tool, GError **error);
/* every user, read as far as the device's own counts allow */
GPtrArray *tool_read_users (Tool *tool, GError **error);

/* ---- writing (zk-tool-write.c) */

gboolean parse_set_time (Tool *tool, GError **error);
gboolean parse_set_user (Tool *tool, GError **error);
gboolean parse_uid_only (Tool *tool, GError **error);
gboolean parse_disable (Tool *tool, GError **error);
gboolean parse_clear_logs (Tool *tool, GError **error);
gboolean run_set_time (Tool *tool, GError **error);
gboolean run_set_user (Tool *tool, GError **error);
gboolean run_delete_user (Tool *tool, GError **error);
gboolean run_delete_template (Tool *tool, GError **error);
gboolean run_clear_logs (Tool *tool, GError **error);
gboolean run_enable (Tool *tool, GError **error);
gboolean run_disable (Tool *tool, GError **error);

G_END_DECLS
