/* zk-sim-device.h — ZkSimDevice: one simulated terminal (the device side)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * State of one terminal (profile, options, users, templates, faces,
 * attendance, faults, statistics) and the firmware's request handler.
 * No I/O: the server feeds it one unwrapped packet at a time together
 * with the transport-level session it came on, and writes the returned
 * packets out one by one. All functions lock the device, so any thread
 * may call them.
 */
#pragma once

#include <glib-object.h>

#include "zk-records.h"
#include "zk-sim-hostile.h"

G_BEGIN_DECLS

typedef enum
{
  ZK_SIM_FACE_NONE,  /* FaceFunOn=0: face commands → ACK_ERROR */
  ZK_SIM_FACE_FACE7, /* classic ZKFace 7: 150–153 work */
  ZK_SIM_FACE_VL,    /* visible light: 150–153 → ACK_UNKNOWN */
} ZkSimFace;

const char *zk_sim_face_to_string (ZkSimFace face);
gboolean zk_sim_face_from_string (const char *text, ZkSimFace *face);

/* what the firmware does with CMD_QUERY_DATA 1503 for the attendance log
 * with a start (param 1 ≠ 0) — not confirmed on devices, so each way */
typedef enum
{
  ZK_SIM_RANGE_HONOUR, /* records start … start + count − 1 (1-based; count 0 = to the end) */
  ZK_SIM_RANGE_IGNORE, /* the parameters are ignored: the whole log */
  ZK_SIM_RANGE_REFUSE, /* ACK_ERROR */
} ZkSimRange;

const char *zk_sim_range_to_string (ZkSimRange range);
gboolean zk_sim_range_from_string (const char *text, ZkSimRange *range);

typedef enum
{
  ZK_SIM_TRANSPORT_TCP,
  ZK_SIM_TRANSPORT_UDP,
} ZkSimTransport;

/* the fixed personality of a terminal (fixture fields) */
typedef struct
{
  char *name;     /* our handle, e.g. "A" */
  char *serial;   /* ~SerialNumber */
  char *model;    /* ~DeviceName */
  char *platform; /* ~Platform */
  char *firmware; /* GET_VERSION / BuildVersion */
  int tcp_port;   /* 0 ephemeral, -1 off */
  int udp_port;
  guint user_width;   /* 72 or 28 */
  guint attlog_width; /* 40, 16, 8 or 49 */
  guint fp_version;   /* 9 or 10 */
  ZkSimFace face;
  guint32 comm_key; /* 0 = none */
  guint pin_width;  /* ~PIN2Width */
  guint psize;      /* TCP stream packet size; UDP always uses 1024 */
  guint sizes_ints; /* 20 or 23 ints in GET_FREE_SIZES */
  guint cap_users;
  guint cap_fingers;
  guint cap_faces; /* users with faces */
  guint cap_records;
  gint64 clock_offset_s;   /* device clock = host local clock + offset */
  guint pacing_ms;         /* between streamed packets */
  guint latency_ms;        /* before each reply */
  guint bandwidth;         /* bytes/s applied to replies, 0 = unlimited */
  gboolean empty_blob;     /* 1503 on an empty table: blob 00000000 instead of ACK_ERROR */
  ZkSimRange attlog_range; /* 1503 on the attendance log with a start */
  gboolean verify_checksum;
} ZkSimProfile;

void zk_sim_profile_init (ZkSimProfile *profile);
void zk_sim_profile_clear (ZkSimProfile *profile);
void zk_sim_profile_copy (const ZkSimProfile *src, ZkSimProfile *dest);

/* injected faults; all off when zeroed */
typedef struct
{
  guint drop_request;   /* drop the Nth request from now (1-based), once */
  guint drop_reply;     /* execute the Nth request but drop its reply, once */
  double drop_fraction; /* drop this fraction of requests (seeded) */
  guint32 fault_seed;
  guint delay_ms;             /* extra delay before every reply */
  guint close_after;          /* close the connection instead of answering request N */
  gboolean close_mid_stream;  /* close after the first DATA of the next stream */
  guint corrupt_checksum;     /* corrupt the next N replies (G_MAXUINT = all) */
  gboolean hang;              /* stop answering from now */
  gboolean hang_mid_transfer; /* stop answering after the first DATA of the next stream */
  gboolean ack_drop_writes;   /* acknowledge writes/deletes but keep nothing */
  gboolean busy;              /* refuse a second session */
  gboolean wrong_key;         /* the device's comm key differs from the profile's */
  guint32 wrong_key_value;
  gboolean full; /* every capacity is reached */
  /* disabled stays disabled: no re-enable when the last session ends or
   * the disable timeout passes, only by ENABLEDEVICE, the control socket's
   * "enable" or a reboot. Makes crash tests see what recovery does */
  gboolean keep_disabled;
} ZkSimFaults;

/* per-device counters */
typedef struct
{
  guint64 packets_in;
  guint64 packets_out;
  guint64 bytes_in; /* on the wire, TCP wrappers included */
  guint64 bytes_out;
  guint64 requests;    /* requests executed (round trips) */
  guint64 dropped;     /* requests dropped silently (checksum, session, reply id, faults) */
  guint64 retransmits; /* cached replies re-sent */
  guint connections;   /* TCP connections accepted */
  guint sessions;      /* live sessions now */
  guint max_sessions;  /* most simultaneous sessions seen */
  guint connects;      /* CONNECTs executed */
  gboolean disabled;
  guint re_enables; /* enable commands, timeouts and last-session exits */
  guint events_sent;
  guint reboots;
  guint writes; /* write commands executed and acknowledged */
  /* every request that changes the terminal, by kind, counted when it is
   * executed whatever the answer (docs/SIMULATOR.md) */
  guint disables;         /* 1003 */
  guint enables;          /* 1002 */
  guint clock_sets;       /* 202 */
  guint user_writes;      /* 8, and each user record of a 110 batch */
  guint user_deletes;     /* 18, 133, and each delete record of a 110 batch */
  guint template_writes;  /* 10, 87, 132, and each template record of a 110 batch */
  guint template_deletes; /* 19, 134, and each template delete of a 110 batch */
  guint face_writes;      /* 151, 153: one upload per user */
  guint face_deletes;     /* 152 */
  guint batch_writes;     /* 110 */
  guint uploads;          /* 1500, 1501, 119: the upload buffer of the writes above */
  guint log_clears;       /* 15, and 14 for the attendance table */
  guint option_writes;    /* 12 */
  guint refreshes;        /* 1013, 1014 */
  guint other_writes;     /* anything else that is not a read (14, 20, 31, 1004 …) */
  guint users;
  guint fingers;
  guint faces;
  guint records;
} ZkSimStats;

/* what the transport should do with the replies of one request */
typedef struct
{
  guint delay_ms;   /* before the first packet (latency + fault delay) */
  guint pacing_ms;  /* between packets of one reply */
  guint bandwidth;  /* bytes/s, 0 = unlimited */
  int close_after;  /* -1 keep the connection; n: close after writing n packets */
  gboolean hang;    /* ignore everything from this session from now on */
  ZkSimShape shape; /* hostile modes: trickle, floods, endless tails (owned by the caller) */
} ZkSimDisposition;

/* one transport-level session: a TCP connection or a UDP peer */
typedef struct _ZkSimSession ZkSimSession;

#define ZK_TYPE_SIM_DEVICE (zk_sim_device_get_type ())
G_DECLARE_FINAL_TYPE (ZkSimDevice, zk_sim_device, ZK, SIM_DEVICE, GObject)

ZkSimDevice *zk_sim_device_new (const ZkSimProfile *profile);
/* a copy of the profile (free with zk_sim_profile_clear) */
void zk_sim_device_get_profile (ZkSimDevice *self, ZkSimProfile *profile);
const char *zk_sim_device_get_name (ZkSimDevice *self);
int zk_sim_device_get_tcp_port_setting (ZkSimDevice *self);
int zk_sim_device_get_udp_port_setting (ZkSimDevice *self);
void zk_sim_device_set_pacing_ms (ZkSimDevice *self, guint pacing_ms);
void zk_sim_device_set_attlog_range (ZkSimDevice *self, ZkSimRange range);
void zk_sim_device_set_timing (ZkSimDevice *self, guint latency_ms, guint bandwidth);

/* --- sessions (the transport calls these) */
ZkSimSession *zk_sim_device_session_new (ZkSimDevice *self, ZkSimTransport transport);
/* unregisters the session (like EXIT: the last one re-enables the device) */
void zk_sim_device_session_free (ZkSimDevice *self, ZkSimSession *session);
/* FALSE when the session was dropped by a reboot or hangs: close it */
gboolean zk_sim_session_is_alive (ZkSimSession *session);
gboolean zk_sim_session_is_hung (ZkSimSession *session);
/* whether the session ran CONNECT */
gboolean zk_sim_session_is_connected (ZkSimSession *session);
/* pending event packets (GBytes, raw) for this session, or NULL */
GPtrArray *zk_sim_device_session_take_events (ZkSimDevice *self, ZkSimSession *session);
/* the busy fault: may a new connection be accepted? */
gboolean zk_sim_device_accepts_connection (ZkSimDevice *self);

/* --- the firmware: one received packet (without TCP wrapper) in, the
 * reply packets (GBytes, each a complete packet without wrapper) out.
 * Never fails; malformed input yields an empty array. @disposition may
 * be NULL. */
GPtrArray *zk_sim_device_handle_packet (ZkSimDevice *self,
                                        ZkSimSession *session,
                                        const guint8 *data,
                                        gsize len,
                                        ZkSimDisposition *disposition);

/* --- transport accounting */
void zk_sim_device_count_in (ZkSimDevice *self, guint64 bytes);
void zk_sim_device_count_out (ZkSimDevice *self, guint64 bytes);
void zk_sim_device_count_connection (ZkSimDevice *self);
void zk_sim_device_get_stats (ZkSimDevice *self, ZkSimStats *stats);

/* sessions open at once across the devices sharing it (a server's
 * devices): the terminals' side of a global session cap */
typedef struct
{
  gint now;
  gint max;
} ZkSimSessionMeter;

/* @meter: an atomic rc box (g_atomic_rc_box_new0), the device keeps a
 * reference; NULL to stop counting */
void zk_sim_device_set_session_meter (ZkSimDevice *self, ZkSimSessionMeter *meter);

/* --- state edits (fixtures and the control socket); they follow the
 * firmware rules of the matching command and return a ZkError */
gboolean zk_sim_device_set_user (ZkSimDevice *self, const ZkUser *user, GError **error);
gboolean zk_sim_device_delete_user (ZkSimDevice *self, const char *user_id, GError **error);
/* template data is copied; @valid as stored */
gboolean zk_sim_device_set_template (ZkSimDevice *self, const ZkTemplate *tmpl, GError **error);
gboolean zk_sim_device_delete_template (ZkSimDevice *self, guint16 uid, guint8 fid, GError **error);
gboolean zk_sim_device_set_face (ZkSimDevice *self, const ZkFace *face, GError **error);
void zk_sim_device_add_attendance (ZkSimDevice *self, const ZkAttendance *att);
/* a punch at the device clock (or @time when given) that is also sent as
 * an EF_ATTLOG event to registered sessions */
gboolean zk_sim_device_punch (ZkSimDevice *self,
                              const char *user_id,
                              guint8 verify,
                              guint8 state,
                              const ZkTime *time,
                              GError **error);
void zk_sim_device_set_clock_offset (ZkSimDevice *self, gint64 offset_s);
gint64 zk_sim_device_get_clock_offset (ZkSimDevice *self);
/* the device clock now */
void zk_sim_device_get_time (ZkSimDevice *self, ZkTime *time);
gboolean zk_sim_device_set_option (ZkSimDevice *self, const char *name, const char *value);
/* NULL when unknown */
char *zk_sim_device_get_option (ZkSimDevice *self, const char *name);
/* drop all sessions and buffers (they close on the next transport check) */
void zk_sim_device_reboot (ZkSimDevice *self);
/* what ENABLEDEVICE does, from the outside (releases keep-disabled) */
void zk_sim_device_enable (ZkSimDevice *self);

/* generated data (deterministic for a seed) */
GBytes *zk_sim_make_template (GRand *rand, guint fp_version, guint size);
GBytes *zk_sim_make_face_data (GRand *rand, guint size);

/* --- faults */
void zk_sim_device_get_faults (ZkSimDevice *self, ZkSimFaults *faults);
void zk_sim_device_set_faults (ZkSimDevice *self, const ZkSimFaults *faults);
/* "drop-request 3", "busy", "clear" … (names in docs/SIMULATOR.md) */
gboolean zk_sim_device_apply_fault (ZkSimDevice *self,
                                    const char *name,
                                    const char *const *args,
                                    GError **error);
/* the fault armed with "after-command" as "CMD[/INNER] FAULT [ARGS…]",
 * NULL when nothing is armed (or it has fired) */
char *zk_sim_device_dup_armed (ZkSimDevice *self);

/* --- hostile modes (zk-sim-hostile.h); zk_sim_device_apply_fault() sets them
 * by name as well. "dirty-strings" adds users with control bytes, a
 * backslash and invalid UTF-8 in PINs and names (uids 60001…60005), with a
 * template, a face and a punch each */
gboolean zk_sim_device_add_dirty_records (ZkSimDevice *self, GError **error);
/* the modes in force as "NAME ARGS" lines */
GStrv zk_sim_device_dup_hostile (ZkSimDevice *self);

/* --- snapshots for dumps: sorted deep copies */
GPtrArray *zk_sim_device_dup_users (ZkSimDevice *self);      /* ZkUser*, by uid */
GPtrArray *zk_sim_device_dup_templates (ZkSimDevice *self);  /* ZkTemplate*, by uid, fid */
GPtrArray *zk_sim_device_dup_faces (ZkSimDevice *self);      /* ZkFace*, by uid, fid */
GPtrArray *zk_sim_device_dup_attendance (ZkSimDevice *self); /* ZkAttendance*, in order */
/* options changed by clients (name → value), for dumps */
GHashTable *zk_sim_device_dup_option_overrides (ZkSimDevice *self);
guint zk_sim_device_count (ZkSimDevice *self, const char *what);

G_END_DECLS
