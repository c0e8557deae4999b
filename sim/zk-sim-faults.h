/* zk-sim-faults.h — faults injected into a simulated terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What a test makes a terminal do wrong: drop or delay requests and
 * replies, close or hang mid-stream, corrupt checksums, refuse a second
 * session, hold another comm key, be full, keep itself disabled, hold
 * every reply until released, reboot;
 * and a fault armed for the next request with a given command. Names
 * and arguments are in docs/SIMULATOR.md ("Faults").
 */
#pragma once

#include "zk-sim-device.h"

G_BEGIN_DECLS

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
  /* busy with a long command: the server takes no request of this device
   * and sends nothing (connections stay open) until "release" */
  gboolean hold;
} ZkSimFaults;

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
/* whether "hold" is in force: the transport waits */
gboolean zk_sim_device_is_held (ZkSimDevice *self);
/* ends a "hold"; fails when none is in force. The transport is to resume
 * (zk_sim_server_kick) */
gboolean zk_sim_device_release (ZkSimDevice *self, GError **error);

/* hostile modes (zk-sim-hostile.h) are set by name with
 * zk_sim_device_apply_fault() as well. "dirty-strings" adds users with control bytes, a
 * backslash and invalid UTF-8 in PINs and names (uids 60001…60005), with a
 * template, a face and a punch each */
gboolean zk_sim_device_add_dirty_records (ZkSimDevice *self, GError **error);
/* the modes in force as "NAME ARGS" lines */
GStrv zk_sim_device_dup_hostile (ZkSimDevice *self);

G_END_DECLS
