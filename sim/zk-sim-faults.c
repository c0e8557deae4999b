/* zk-sim-faults.c — faults injected into a simulated terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Set by name from the control socket, a fixture or --fault; they act
 * where zk-sim-session.c answers a request.
 */
#include "config.h"

#include <string.h>

#include "zk-sim-device-private.h"

static gboolean
apply_fault_locked (ZkSimDevice *self, const char *name, const char *const *args, GError **error);

static void
get_faults_locked (ZkSimDevice *self, ZkSimFaults *faults)
{
  *faults = self->faults;
  faults->drop_request
      = self->drop_request_at ? (guint)(self->drop_request_at - self->fault_counter) : 0;
  faults->drop_reply = self->drop_reply_at ? (guint)(self->drop_reply_at - self->fault_counter) : 0;
  faults->close_after = self->close_at ? (guint)(self->close_at - self->fault_counter) : 0;
}

void
zk_sim_device_get_faults (ZkSimDevice *self, ZkSimFaults *faults)
{
  g_mutex_lock (&self->lock);
  get_faults_locked (self, faults);
  g_mutex_unlock (&self->lock);
}

static void
faults_set_locked (ZkSimDevice *self, const ZkSimFaults *faults)
{
  self->faults = *faults;
  self->drop_request_at = faults->drop_request ? self->fault_counter + faults->drop_request : 0;
  self->drop_reply_at = faults->drop_reply ? self->fault_counter + faults->drop_reply : 0;
  self->close_at = faults->close_after ? self->fault_counter + faults->close_after : 0;
  g_rand_set_seed (self->fault_rand, faults->fault_seed ? faults->fault_seed : 1);
}

void
zk_sim_device_set_faults (ZkSimDevice *self, const ZkSimFaults *faults)
{
  g_mutex_lock (&self->lock);
  faults_set_locked (self, faults);
  g_mutex_unlock (&self->lock);
}

static gboolean
parse_uint_arg (const char *const *args, guint i, guint *out, gboolean required, GError **error)
{
  guint64 v;

  if (args == NULL || g_strv_length ((char **)args) <= i)
    {
      if (required)
        g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "missing number");
      return !required;
    }
  if (!g_ascii_string_to_unsigned (args[i], 10, 0, G_MAXUINT32, &v, error))
    return FALSE;
  *out = (guint)v;
  return TRUE;
}

static void
disarm_locked (ZkSimDevice *self)
{
  self->armed_command = 0;
  self->armed_inner = -1;
  g_clear_pointer (&self->armed_fault, g_free);
  g_clear_pointer (&self->armed_args, g_strfreev);
}

static gboolean
armed_matches (ZkSimDevice *self, const ZkSimRequest *req)
{
  if (req->header.command != self->armed_command)
    return FALSE;
  return self->armed_inner < 0
         || (req->len >= 3 && zk_read_u16 (req->payload + 1) == (guint)self->armed_inner);
}

static void
fire_armed_locked (ZkSimDevice *self)
{
  g_autofree char *name = g_steal_pointer (&self->armed_fault);
  g_auto (GStrv) args = g_steal_pointer (&self->armed_args);
  g_autoptr (GError) error = NULL;

  disarm_locked (self);
  /* validated when armed: cannot fail */
  if (!apply_fault_locked (self, name, (const char *const *)args, &error))
    g_warning ("armed fault %s: %s", name, error->message);
}

/* "after-command CMD[/INNER] FAULT [ARGS…]" */
static gboolean
arm_locked (ZkSimDevice *self, const char *const *args, GError **error)
{
  g_auto (GStrv) parts = NULL;
  guint64 command = 0;
  guint64 inner = 0;
  gboolean has_inner = FALSE;
  g_autoptr (ZkSimDevice) probe = NULL;

  if (args == NULL || args[0] == NULL || args[1] == NULL)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "usage: after-command CMD[/INNER] FAULT [ARGS…]");
      return FALSE;
    }
  parts = g_strsplit (args[0], "/", 2);
  if (!g_ascii_string_to_unsigned (parts[0], 10, 1, G_MAXUINT16, &command, error))
    return FALSE;
  if (parts[1] != NULL)
    {
      if (!g_ascii_string_to_unsigned (parts[1], 10, 0, G_MAXUINT16, &inner, error))
        return FALSE;
      has_inner = TRUE;
    }
  if (g_str_equal (args[1], "after-command") || g_str_equal (args[1], "clear")
      || g_str_equal (args[1], "dirty-strings"))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "“%s” cannot be armed", args[1]);
      return FALSE;
    }
  /* validate the fault and its arguments on a scratch device */
  probe = g_object_new (ZK_TYPE_SIM_DEVICE, NULL);
  if (!zk_sim_device_apply_fault (probe, args[1], args + 2, error))
    return FALSE;
  disarm_locked (self);
  self->armed_command = (guint)command;
  self->armed_inner = has_inner ? (gint)inner : -1;
  self->armed_fault = g_strdup (args[1]);
  self->armed_args = g_strdupv ((char **)(args + 2));
  return TRUE;
}

char *
zk_sim_device_dup_armed (ZkSimDevice *self)
{
  GString *text;

  g_mutex_lock (&self->lock);
  if (self->armed_fault == NULL)
    {
      g_mutex_unlock (&self->lock);
      return NULL;
    }
  text = g_string_new (NULL);
  g_string_append_printf (text, "%u", self->armed_command);
  if (self->armed_inner >= 0)
    g_string_append_printf (text, "/%d", self->armed_inner);
  g_string_append_printf (text, " %s", self->armed_fault);
  for (guint i = 0; self->armed_args && self->armed_args[i]; i++)
    g_string_append_printf (text, " %s", self->armed_args[i]);
  g_mutex_unlock (&self->lock);
  return g_string_free (text, FALSE);
}

gboolean
zk_sim_device_is_held (ZkSimDevice *self)
{
  gboolean held;

  g_mutex_lock (&self->lock);
  held = self->faults.hold;
  g_mutex_unlock (&self->lock);
  return held;
}

gboolean
zk_sim_device_release (ZkSimDevice *self, GError **error)
{
  gboolean held;

  g_mutex_lock (&self->lock);
  held = self->faults.hold;
  self->faults.hold = FALSE;
  g_mutex_unlock (&self->lock);
  /* strict: a release without a hold is a mistake in the test */
  if (!held)
    g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "%s is not held",
                 zk_sim_device_get_name (self));
  return held;
}

gboolean
zk_sim_device_apply_fault (ZkSimDevice *self,
                           const char *name,
                           const char *const *args,
                           GError **error)
{
  gboolean ok;

  /* data, not a behaviour: added through the locking state edits */
  if (g_strcmp0 (name, "dirty-strings") == 0)
    return zk_sim_device_add_dirty_records (self, error);
  g_mutex_lock (&self->lock);
  ok = apply_fault_locked (self, name, args, error);
  g_mutex_unlock (&self->lock);
  return ok;
}

/* ------------------------------------------------------------ by name */

/* sets the fault @field of @f from @args */
typedef gboolean (*FaultFunc) (
    ZkSimDevice *self, ZkSimFaults *f, glong field, const char *const *args, GError **error);

static gboolean
fault_clear (
    ZkSimDevice *self, ZkSimFaults *f, glong field, const char *const *args, GError **error)
{
  memset (f, 0, sizeof *f);
  disarm_locked (self);
  zk_sim_hostile_clear (&self->hostile);
  return TRUE;
}

static gboolean
fault_flag (ZkSimDevice *self, ZkSimFaults *f, glong field, const char *const *args, GError **error)
{
  G_STRUCT_MEMBER (gboolean, f, field) = TRUE;
  return TRUE;
}

/* the Nth request from now (default 1) */
static gboolean
fault_nth (ZkSimDevice *self, ZkSimFaults *f, glong field, const char *const *args, GError **error)
{
  guint v = 1;

  if (!parse_uint_arg (args, 0, &v, FALSE, error))
    return FALSE;
  G_STRUCT_MEMBER (guint, f, field) = v ? v : 1;
  return TRUE;
}

static gboolean
fault_drop_fraction (
    ZkSimDevice *self, ZkSimFaults *f, glong field, const char *const *args, GError **error)
{
  double d;
  char *end = NULL;

  if (args == NULL || args[0] == NULL)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "missing fraction");
      return FALSE;
    }
  d = g_ascii_strtod (args[0], &end);
  if (end == args[0] || *end != '\0' || !(d >= 0.0 && d <= 1.0))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "fraction must be between 0 and 1");
      return FALSE;
    }
  f->drop_fraction = d;
  return parse_uint_arg (args, 1, &f->fault_seed, FALSE, error);
}

static gboolean
fault_delay (
    ZkSimDevice *self, ZkSimFaults *f, glong field, const char *const *args, GError **error)
{
  guint v = 0;

  if (!parse_uint_arg (args, 0, &v, TRUE, error))
    return FALSE;
  f->delay_ms = MIN (v, 600000);
  return TRUE;
}

/* the next N replies, or all of them */
static gboolean
fault_corrupt (
    ZkSimDevice *self, ZkSimFaults *f, glong field, const char *const *args, GError **error)
{
  guint v = G_MAXUINT;

  if (!parse_uint_arg (args, 0, &v, FALSE, error))
    return FALSE;
  f->corrupt_checksum = v ? v : G_MAXUINT;
  return TRUE;
}

static gboolean
fault_wrong_key (
    ZkSimDevice *self, ZkSimFaults *f, glong field, const char *const *args, GError **error)
{
  f->wrong_key = TRUE;
  return parse_uint_arg (args, 0, &f->wrong_key_value, FALSE, error);
}

#define FIELD(name) G_STRUCT_OFFSET (ZkSimFaults, name)

static const struct
{
  const char *name;
  FaultFunc apply;
  glong field;
} fault_kinds[] = {
  { "clear", fault_clear, 0 },
  { "drop-request", fault_nth, FIELD (drop_request) },
  { "drop-reply", fault_nth, FIELD (drop_reply) },
  { "close-after", fault_nth, FIELD (close_after) },
  { "drop-fraction", fault_drop_fraction, 0 },
  { "delay", fault_delay, 0 },
  { "close-mid-stream", fault_flag, FIELD (close_mid_stream) },
  { "corrupt-checksum", fault_corrupt, 0 },
  { "hang", fault_flag, FIELD (hang) },
  { "hang-mid-transfer", fault_flag, FIELD (hang_mid_transfer) },
  { "ack-drop-writes", fault_flag, FIELD (ack_drop_writes) },
  { "busy", fault_flag, FIELD (busy) },
  { "wrong-key", fault_wrong_key, 0 },
  { "full", fault_flag, FIELD (full) },
  { "keep-disabled", fault_flag, FIELD (keep_disabled) },
  { "hold", fault_flag, FIELD (hold) },
};

/* "clock OFFSET_S": the device clock moves, no fault is kept */
static gboolean
set_clock (ZkSimDevice *self, const char *const *args, GError **error)
{
  gint64 offset;

  if (args == NULL || args[0] == NULL)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "missing offset");
      return FALSE;
    }
  if (!g_ascii_string_to_signed (args[0], 10, -3153600000LL, 3153600000LL, &offset, error))
    return FALSE;
  self->profile.clock_offset_s = offset;
  return TRUE;
}

static gboolean
apply_fault_locked (ZkSimDevice *self, const char *name, const char *const *args, GError **error)
{
  ZkSimFaults f;

  if (zk_sim_hostile_is_mode (name))
    return zk_sim_hostile_apply (&self->hostile, name, args, error);
  if (g_str_equal (name, "after-command"))
    return arm_locked (self, args, error);
  if (g_str_equal (name, "reboot"))
    {
      zk_sim_device_reboot_locked (self);
      return TRUE;
    }
  if (g_str_equal (name, "clock"))
    return set_clock (self, args, error);
  for (gsize i = 0; i < G_N_ELEMENTS (fault_kinds); i++)
    {
      if (!g_str_equal (name, fault_kinds[i].name))
        continue;
      get_faults_locked (self, &f);
      if (!fault_kinds[i].apply (self, &f, fault_kinds[i].field, args, error))
        return FALSE;
      faults_set_locked (self, &f);
      return TRUE;
    }
  g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "unknown fault “%s”", name);
  return FALSE;
}

GStrv
zk_sim_device_dup_hostile (ZkSimDevice *self)
{
  GStrv lines;

  g_mutex_lock (&self->lock);
  lines = zk_sim_hostile_to_lines (&self->hostile);
  g_mutex_unlock (&self->lock);
  return lines;
}

static GBytes *
corrupt (GBytes *packet)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (packet, &size);
  guint8 *copy = g_memdup2 (data, size);

  if (size >= 4)
    copy[2] ^= 0x5a;
  return g_bytes_new_take (copy, size);
}

/* ------------------------------------------------------------ where they act */

/* an armed fault takes effect with this very request: counters count it
 * as request 1, a hang or reboot leaves it unanswered */
static gboolean
fire_armed (ZkSimRequest *req, ZkSimDisposition *disp)
{
  ZkSimDevice *self = req->self;
  ZkSimSession *session = req->session;

  if (self->armed_fault == NULL || !armed_matches (self, req))
    return TRUE;
  fire_armed_locked (self);
  disp->delay_ms = self->profile.latency_ms + self->faults.delay_ms;
  if (session->alive && !self->faults.hang)
    return TRUE;
  if (session->alive)
    {
      session->hung = TRUE;
      disp->hang = TRUE;
    }
  else
    disp->close_after = 0;
  self->stats.dropped++;
  return FALSE;
}

gboolean
zk_sim_faults_before (ZkSimRequest *req, ZkSimDisposition *disp, gboolean *drop_reply)
{
  ZkSimDevice *self = req->self;
  guint64 n;

  *drop_reply = FALSE;
  if (!fire_armed (req, disp))
    return FALSE;
  n = ++self->fault_counter;
  if ((self->drop_request_at != 0 && n == self->drop_request_at)
      || (self->faults.drop_fraction > 0
          && g_rand_double (self->fault_rand) < self->faults.drop_fraction))
    {
      if (n == self->drop_request_at)
        self->drop_request_at = 0;
      self->stats.dropped++;
      return FALSE;
    }
  if (self->close_at != 0 && n >= self->close_at)
    {
      self->close_at = 0;
      disp->close_after = 0;
      self->stats.dropped++;
      return FALSE;
    }
  if (self->drop_reply_at != 0 && n == self->drop_reply_at)
    {
      self->drop_reply_at = 0;
      *drop_reply = TRUE;
    }
  return TRUE;
}

void
zk_sim_faults_after (ZkSimRequest *req, gboolean drop_reply, ZkSimDisposition *disp)
{
  ZkSimDevice *self = req->self;
  GPtrArray *out = req->out;

  if (drop_reply)
    g_ptr_array_set_size (out, 0);
  /* stream faults act on the first multi-packet answer */
  if (out->len > 2 && (self->faults.close_mid_stream || self->faults.hang_mid_transfer))
    {
      g_ptr_array_set_size (out, 2);
      if (self->faults.close_mid_stream)
        {
          self->faults.close_mid_stream = FALSE;
          disp->close_after = 2;
        }
      else
        {
          self->faults.hang_mid_transfer = FALSE;
          req->session->hung = TRUE;
          disp->hang = TRUE;
        }
    }
  if (self->faults.corrupt_checksum > 0 && out->len > 0)
    {
      for (guint i = 0; i < out->len; i++)
        {
          GBytes *bad = corrupt (g_ptr_array_index (out, i));

          g_bytes_unref (g_ptr_array_index (out, i));
          g_ptr_array_index (out, i) = bad;
        }
      if (self->faults.corrupt_checksum != G_MAXUINT)
        self->faults.corrupt_checksum--;
    }
}
