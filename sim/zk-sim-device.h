/* zk-sim-device.h — ZkSimDevice: one simulated terminal (the device side)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * State of one terminal (profile, options, users, templates, faces,
 * attendance, statistics) and the firmware's rules for changing it. No
 * I/O: a transport opens a ZkSimSession on the device (zk-sim-session.h)
 * and feeds it one unwrapped packet at a time; faults and hostile modes
 * are in zk-sim-faults.h. All functions lock the device, so any thread
 * may call them.
 */
#pragma once

#include <glib-object.h>

#include "zk-records.h"

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
  guint read_max;   /* the largest 1504 slice served, 0 = by psize (docs/SIMULATOR.md) */
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

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ZkSimProfile, zk_sim_profile_clear)

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

  /* 1504 slices larger than the firmware serves (read_max) */
  guint64 reads_refused;
} ZkSimStats;

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

/* the busy fault: may a new connection be accepted? */
gboolean zk_sim_device_accepts_connection (ZkSimDevice *self);

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

/* --- snapshots for dumps: sorted deep copies */
GPtrArray *zk_sim_device_dup_users (ZkSimDevice *self);      /* ZkUser*, by uid */
GPtrArray *zk_sim_device_dup_templates (ZkSimDevice *self);  /* ZkTemplate*, by uid, fid */
GPtrArray *zk_sim_device_dup_faces (ZkSimDevice *self);      /* ZkFace*, by uid, fid */
GPtrArray *zk_sim_device_dup_attendance (ZkSimDevice *self); /* ZkAttendance*, in order */
/* options changed by clients (name → value), for dumps */
GHashTable *zk_sim_device_dup_option_overrides (ZkSimDevice *self);
guint zk_sim_device_count (ZkSimDevice *self, const char *what);

G_END_DECLS
