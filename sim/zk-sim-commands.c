/* zk-sim-commands.c — the firmware's commands: replies and one dispatch table
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every request that reaches a command is counted by the kind of change
 * it asks for (whatever the answer) and run by the handler its command
 * has in the table; a command without one is answered ACK_UNKNOWN [FW].
 * The handlers of bulk reads and of writes are in zk-sim-commands-read.c
 * and zk-sim-commands-write.c.
 */
#include "config.h"

#include <string.h>

#include "zk-sim-device-private.h"

/* ------------------------------------------------------------ replies */

void
zk_sim_request_emit (
    ZkSimRequest *req, guint16 command, guint16 session_field, const guint8 *payload, gsize len)
{
  GByteArray *packet = g_byte_array_sized_new ((guint)(ZK_HEADER_SIZE + len));

  zk_packet_append (packet, command, session_field, req->header.reply_id, payload, len);
  g_ptr_array_add (req->out, g_byte_array_free_to_bytes (packet));
}

void
zk_sim_request_ok (ZkSimRequest *req, const guint8 *payload, gsize len)
{
  zk_sim_request_emit (req, ZK_ACK_OK, req->session->id, payload, len);
}

void
zk_sim_request_error (ZkSimRequest *req, guint16 subcode)
{
  zk_sim_request_emit (req, ZK_ACK_ERROR, subcode ? subcode : req->session->id, NULL, 0);
}

/* §3.4: PREPARE_DATA, DATA × n (index in the session field), ACK_OK */
void
zk_sim_request_stream (ZkSimRequest *req, const guint8 *data, gsize len, guint16 final_session)
{
  guint8 prep[8];
  gsize psize = req->session->transport == ZK_SIM_TRANSPORT_UDP ? 1024 : req->self->profile.psize;
  guint16 index = 0;

  zk_write_u32 (prep, zk_sim_hostile_stream_announce (&req->self->hostile, len));
  zk_write_u32 (prep + 4, (guint32)psize);
  zk_sim_request_emit (req, ZK_CMD_PREPARE_DATA, req->session->id, prep, sizeof prep);
  for (gsize off = 0; off < len; off += psize)
    zk_sim_request_emit (req, ZK_CMD_DATA, index++, data + off, MIN (psize, len - off));
  zk_sim_request_emit (req, ZK_ACK_OK, final_session, NULL, 0);
}

/* ------------------------------------------------------------ small commands */

static void
cmd_options_rrq (ZkSimRequest *req)
{
  char name[128];
  g_autofree char *value = NULL;
  g_autofree char *text = NULL;

  /* the device terminates the name itself: a trailing NUL is optional */
  zk_copy_field (name, sizeof name, req->payload, req->len);
  switch (zk_sim_hostile_option_answer (&req->self->hostile, name))
    {
    case ZK_SIM_ANSWER_ERROR:
      zk_sim_request_error (req, 0);
      return;
    case ZK_SIM_ANSWER_UNKNOWN:
      zk_sim_request_emit (req, ZK_ACK_UNKNOWN, req->session->id, NULL, 0);
      return;
    case ZK_SIM_ANSWER_SILENT:
      return;
    case ZK_SIM_ANSWER_NORMAL:
    default:
      break;
    }
  if (name[0] == '\0' || (value = zk_sim_device_option_value (req->self, name)) == NULL)
    {
      zk_sim_request_error (req, 0);
      return;
    }
  text = g_strdup_printf ("%s=%s", name, value);
  zk_sim_request_ok (req, (const guint8 *)text, strlen (text) + 1);
}

static void
cmd_options_wrq (ZkSimRequest *req)
{
  char text[512];
  char *eq;

  zk_copy_field (text, sizeof text, req->payload, req->len);
  eq = strchr (text, '=');
  if (eq == NULL)
    {
      zk_sim_request_error (req, ZK_SUBCODE_IO);
      return;
    }
  *eq = '\0';
  if (!zk_sim_device_option_store (req->self, text, eq + 1))
    {
      zk_sim_request_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  zk_sim_request_ok (req, NULL, 0);
}

static void
cmd_free_sizes (ZkSimRequest *req)
{
  ZkSimDevice *self = req->self;
  const ZkSimProfile *p = &self->profile;
  gint32 ints[23] = { 0 };
  guint n = p->sizes_ints >= 23 ? 23 : 20;
  /* a hostile table of generated users is what the device counts, too */
  guint users = self->hostile.announced_users ? self->hostile.announced_users
                                              : g_hash_table_size (self->users_by_uid);
  guint fingers = g_hash_table_size (self->templates);
  guint records = self->attendance->len;
  guint admins = 0, passwords = 0;
  guint8 out[23 * 4];
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->users_by_uid);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ZkUser *user = value;

      admins += (user->privilege & 0x0e) != 0;
      passwords += user->password[0] != '\0';
    }
  ints[4] = (gint32)users;
  ints[6] = (gint32)fingers;
  ints[8] = (gint32)records;
  ints[12] = (gint32)admins;
  ints[13] = (gint32)passwords;
  ints[14] = (gint32)p->cap_fingers;
  ints[15] = (gint32)p->cap_users;
  ints[16] = (gint32)p->cap_records;
  ints[17] = (gint32)p->cap_fingers - (gint32)MIN (fingers, p->cap_fingers);
  ints[18] = (gint32)p->cap_users - (gint32)MIN (users, p->cap_users);
  ints[19] = (gint32)p->cap_records - (gint32)MIN (records, p->cap_records);
  if (zk_sim_device_face_enabled (self))
    {
      ints[20] = (gint32)zk_sim_device_count_face_users (self);
      ints[22] = (gint32)p->cap_faces;
    }
  for (guint i = 0; i < n; i++)
    zk_write_u32 (out + 4 * i, (guint32)ints[i]);
  if (req->len >= 1)
    {
      /* [u8 index] asks for one int */
      if (req->payload[0] >= n)
        {
          zk_sim_request_error (req, 0);
          return;
        }
      zk_sim_request_ok (req, out + 4 * req->payload[0], 4);
      return;
    }
  zk_sim_request_ok (req, out, 4 * n);
}

static void
cmd_get_time (ZkSimRequest *req)
{
  ZkTime now;
  guint8 out[4];

  zk_sim_device_now (req->self, &now);
  zk_write_u32 (out, zk_time_encode (&now));
  zk_sim_request_ok (req, out, sizeof out);
}

static void
cmd_set_time (ZkSimRequest *req)
{
  ZkTime t;
  g_autoptr (GDateTime) wanted = NULL;
  g_autoptr (GDateTime) now = NULL;

  if (req->len < 4)
    {
      zk_sim_request_error (req, 0);
      return;
    }
  zk_time_decode (zk_read_u32 (req->payload), &t);
  wanted = zk_time_to_date_time (&t, NULL);
  if (wanted == NULL)
    {
      zk_sim_request_error (req, 0);
      return;
    }
  now = g_date_time_new_now_local ();
  req->self->profile.clock_offset_s = g_date_time_difference (wanted, now) / G_USEC_PER_SEC;
  zk_sim_request_ok (req, NULL, 0);
}

static void
cmd_freeid (ZkSimRequest *req)
{
  guint uid = 1;

  while (uid < G_MAXUINT16
         && g_hash_table_contains (req->self->users_by_uid, GUINT_TO_POINTER (uid)))
    uid++;
  zk_sim_request_emit (req, ZK_ACK_OK, (guint16)uid, NULL, 0);
}

static void
cmd_exit (ZkSimRequest *req)
{
  zk_sim_request_ok (req, NULL, 0);
  zk_sim_session_disconnect (req->session);
}

static void
cmd_auth (ZkSimRequest *req)
{
  ZkSimSession *s = req->session;

  if (zk_commkey_check (zk_sim_device_key (req->self), s->id, req->payload, req->len))
    {
      s->authed = TRUE;
      zk_sim_request_ok (req, NULL, 0);
    }
  else
    zk_sim_request_emit (req, ZK_ACK_UNAUTH, s->id, NULL, 0);
}

static void
cmd_enable (ZkSimRequest *req)
{
  zk_sim_device_enable_locked (req->self);
  zk_sim_request_ok (req, NULL, 0);
}

/* an optional u32: seconds until the device re-enables itself */
static void
cmd_disable (ZkSimRequest *req)
{
  ZkSimDevice *self = req->self;
  guint32 seconds = req->len >= 4 ? zk_read_u32 (req->payload) : 0;

  self->disabled = TRUE;
  self->reenable_at = seconds ? g_get_monotonic_time () + (gint64)seconds * G_USEC_PER_SEC : 0;
  zk_sim_request_ok (req, NULL, 0);
}

/* commands a terminal acknowledges without a visible effect here */
static void
cmd_acknowledge (ZkSimRequest *req)
{
  zk_sim_request_ok (req, NULL, 0);
}

static void
cmd_unknown (ZkSimRequest *req)
{
  zk_sim_request_emit (req, ZK_ACK_UNKNOWN, req->session->id, NULL, 0);
}

/* the machine state travels in the session field */
static void
cmd_state (ZkSimRequest *req)
{
  zk_sim_request_emit (req, ZK_ACK_OK, 0, NULL, 0);
}

static void
cmd_pin_width (ZkSimRequest *req)
{
  guint8 width = (guint8)req->self->profile.pin_width;

  zk_sim_request_ok (req, &width, 1);
}

static void
cmd_io_status (ZkSimRequest *req)
{
  guint8 zero = 0;

  zk_sim_request_ok (req, &zero, 1);
}

static void
cmd_version (ZkSimRequest *req)
{
  const char *firmware = req->self->profile.firmware;

  zk_sim_request_ok (req, (const guint8 *)firmware, strlen (firmware) + 1);
}

static void
cmd_reg_event (ZkSimRequest *req)
{
  guint8 mask[4] = { 0 };

  memcpy (mask, req->payload, MIN (req->len, 4));
  req->session->event_mask = zk_read_u32 (mask);
  zk_sim_request_ok (req, NULL, 0);
}

static void
cmd_free_data (ZkSimRequest *req)
{
  zk_sim_session_clear_buffers (req->session);
  zk_sim_request_ok (req, NULL, 0);
}

/* ------------------------------------------------------------ the table */

/* which counter of ZkSimStats a request adds to */
#define COUNT(field) G_STRUCT_OFFSET (ZkSimStats, field)
/* a write without a counter of its own: other_writes; a read: none */
#define COUNT_DEFAULT (-1)
/* the handler counts (by what the payload asks) */
#define COUNT_BY_HANDLER (-2)

#define CMD_WRITE_LCD 66
#define CMD_CLEAR_LCD 67
#define CMD_GET_IOSTATUS 75

typedef struct
{
  guint16 command;
  void (*run) (ZkSimRequest *req);
  glong counter;     /* COUNT (field), COUNT_DEFAULT or COUNT_BY_HANDLER */
  gboolean face_cmd; /* binary faces: a VL terminal does not know it */
} Command;

static const Command commands[] = {
  { ZK_CMD_EXIT, cmd_exit, COUNT_DEFAULT, FALSE },
  { ZK_CMD_AUTH, cmd_auth, COUNT_DEFAULT, FALSE },
  { ZK_CMD_ENABLEDEVICE, cmd_enable, COUNT (enables), FALSE },
  { ZK_CMD_DISABLEDEVICE, cmd_disable, COUNT (disables), FALSE },
  { ZK_CMD_REFRESHDATA, cmd_acknowledge, COUNT (refreshes), FALSE },
  { ZK_CMD_REFRESHOPTION, cmd_acknowledge, COUNT (refreshes), FALSE },
  { ZK_CMD_STARTVERIFY, cmd_acknowledge, COUNT_DEFAULT, FALSE },
  { ZK_CMD_STARTENROLL, cmd_acknowledge, COUNT_DEFAULT, FALSE },
  { ZK_CMD_CANCELCAPTURE, cmd_acknowledge, COUNT_DEFAULT, FALSE },
  { ZK_CMD_ENABLE_CLOCK, cmd_acknowledge, COUNT_DEFAULT, FALSE },
  { ZK_CMD_UNLOCK, cmd_acknowledge, COUNT_DEFAULT, FALSE },
  { ZK_CMD_TESTVOICE, cmd_acknowledge, COUNT_DEFAULT, FALSE },
  { ZK_CMD_POWEROFF, cmd_acknowledge, COUNT_DEFAULT, FALSE },
  { ZK_CMD_RESTART, cmd_acknowledge, COUNT_DEFAULT, FALSE },
  { CMD_WRITE_LCD, cmd_acknowledge, COUNT_DEFAULT, FALSE },
  { CMD_CLEAR_LCD, cmd_acknowledge, COUNT_DEFAULT, FALSE },
  { ZK_CMD_CLEAR_OPLOG, cmd_acknowledge, COUNT_DEFAULT, FALSE },
  { ZK_CMD_STATE_RRQ, cmd_state, COUNT_DEFAULT, FALSE },
  { ZK_CMD_GET_PINWIDTH, cmd_pin_width, COUNT_DEFAULT, FALSE },
  { CMD_GET_IOSTATUS, cmd_io_status, COUNT_DEFAULT, FALSE },
  { ZK_CMD_GET_VERSION, cmd_version, COUNT_DEFAULT, FALSE },
  { ZK_CMD_OPTIONS_RRQ, cmd_options_rrq, COUNT_DEFAULT, FALSE },
  { ZK_CMD_OPTIONS_WRQ, cmd_options_wrq, COUNT (option_writes), FALSE },
  { ZK_CMD_GET_FREE_SIZES, cmd_free_sizes, COUNT_DEFAULT, FALSE },
  { ZK_CMD_GET_TIME, cmd_get_time, COUNT_DEFAULT, FALSE },
  { ZK_CMD_SET_TIME, cmd_set_time, COUNT (clock_sets), FALSE },
  { ZK_CMD_REG_EVENT, cmd_reg_event, COUNT_DEFAULT, FALSE },
  { ZK_CMD_QUERY_DATA, zk_sim_cmd_query_data, COUNT_DEFAULT, FALSE },
  { ZK_CMD_READ_DATA, zk_sim_cmd_read_data, COUNT_DEFAULT, FALSE },
  { ZK_CMD_FREE_DATA, cmd_free_data, COUNT_DEFAULT, FALSE },
  { ZK_CMD_PREPARE_DATA, zk_sim_cmd_prepare_data, COUNT (uploads), FALSE },
  { ZK_CMD_DATA, zk_sim_cmd_data, COUNT (uploads), FALSE },
  { ZK_CMD_HASH_DATA, zk_sim_cmd_hash_data, COUNT (uploads), FALSE },
  { ZK_CMD_ATTLOG_RRQ, zk_sim_cmd_attlog_rrq, COUNT_DEFAULT, FALSE },
  { ZK_CMD_DB_RRQ, zk_sim_cmd_db_rrq, COUNT_DEFAULT, FALSE },
  { ZK_CMD_OPLOG_RRQ, zk_sim_cmd_oplog_rrq, COUNT_DEFAULT, FALSE },
  { ZK_CMD_USERTEMP_RRQ, zk_sim_cmd_usertemp_rrq, COUNT_DEFAULT, FALSE },
  { ZK_CMD_USERTEMP_EX_RRQ, zk_sim_cmd_usertemp_ex_rrq, COUNT_DEFAULT, FALSE },
  { ZK_CMD_USER_WRQ, zk_sim_cmd_user_wrq, COUNT (user_writes), FALSE },
  { ZK_CMD_USER_RRQ, zk_sim_cmd_user_rrq, COUNT_DEFAULT, FALSE },
  { ZK_CMD_FREEID_RRQ, cmd_freeid, COUNT_DEFAULT, FALSE },
  { ZK_CMD_DELETE_USER, zk_sim_cmd_delete_user, COUNT (user_deletes), FALSE },
  { ZK_CMD_SSRDELETE_USER, zk_sim_cmd_ssr_delete_user, COUNT (user_deletes), FALSE },
  { ZK_CMD_DELETE_USERTEMP, zk_sim_cmd_delete_usertemp, COUNT (template_deletes), FALSE },
  { ZK_CMD_SSRDELETE_USERTEMP, zk_sim_cmd_ssr_delete_usertemp, COUNT (template_deletes), FALSE },
  { ZK_CMD_USERTEMP_WRQ, zk_sim_cmd_usertemp_wrq, COUNT (template_writes), FALSE },
  { ZK_CMD_USERTEMP_EX_WRQ, zk_sim_cmd_usertemp_ex_wrq, COUNT (template_writes), FALSE },
  { ZK_CMD_SSRUSERTEMP_WRQ, zk_sim_cmd_ssr_usertemp_wrq, COUNT (template_writes), FALSE },
  /* its records are counted by the handler, the batch here */
  { ZK_CMD_UPDATE_FIRMWARE, zk_sim_cmd_batch, COUNT (batch_writes), FALSE },
  { ZK_CMD_CLEAR_DATA, zk_sim_cmd_clear_data, COUNT_BY_HANDLER, FALSE },
  { ZK_CMD_CLEAR_ATTLOG, zk_sim_cmd_clear_attlog, COUNT (log_clears), FALSE },
  { ZK_CMD_CLEAR_ADMIN, zk_sim_cmd_clear_admin, COUNT_DEFAULT, FALSE },
  { ZK_CMD_USERFACE_RRQ, zk_sim_cmd_userface_rrq, COUNT_DEFAULT, TRUE },
  { ZK_CMD_USERFACE_WRQ, zk_sim_cmd_userface_wrq, COUNT (face_writes), TRUE },
  { ZK_CMD_APPEND_USERFACE, zk_sim_cmd_userface_wrq, COUNT (face_writes), TRUE },
  { ZK_CMD_DELETE_USERFACE, zk_sim_cmd_delete_userface, COUNT (face_deletes), TRUE },
};

static const Command unknown = { 0, cmd_unknown, COUNT_DEFAULT, FALSE };

static const Command *
find_command (guint16 command)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (commands[i].command == command)
      return &commands[i];
  return &unknown;
}

/* the per-kind write counters: every request that changes the terminal,
 * counted once it is executed, whatever the answer */
static void
count_request (ZkSimRequest *req, const Command *c)
{
  ZkSimStats *st = &req->self->stats;

  if (c->counter >= 0)
    G_STRUCT_MEMBER (guint, st, c->counter)++;
  else if (c->counter == COUNT_DEFAULT && !zk_command_is_read (req->header.command))
    st->other_writes++;
}

void
zk_sim_commands_execute (ZkSimRequest *req)
{
  const Command *c = find_command (req->header.command);

  count_request (req, c);
  /* VL devices do not know the binary face commands */
  if (c->face_cmd && req->self->profile.face == ZK_SIM_FACE_VL)
    cmd_unknown (req);
  else
    c->run (req);
}
