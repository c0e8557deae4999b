/* bsd-device-object.c — one terminal as a D-Bus object (org.biosync.BioSync1.Device)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-device-object.h"

#include "bsd-manager.h"
#include "bsd-operation.h"

struct _BsdDeviceObject
{
  BsDBusDeviceSkeleton parent_instance;
};

enum
{
  START_JOB,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void bsd_device_object_iface_init (BsDBusDeviceIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BsdDeviceObject,
                               bsd_device_object,
                               BS_DBUS_TYPE_DEVICE_SKELETON,
                               G_IMPLEMENT_INTERFACE (BS_DBUS_TYPE_DEVICE,
                                                      bsd_device_object_iface_init))

char *
bsd_device_object_path (guint id)
{
  return g_strdup_printf (BSD_MANAGER_PATH "/devices/%u", id);
}

static gboolean
start_job (BsDBusDevice *iface, GDBusMethodInvocation *invocation, BsdOpKind kind)
{
  g_signal_emit (iface, signals[START_JOB], 0, invocation, (guint)kind);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_sync (BsDBusDevice *iface, GDBusMethodInvocation *invocation)
{
  return start_job (iface, invocation, BSD_OP_SYNC_DEVICE);
}

static gboolean
handle_refresh_logs (BsDBusDevice *iface, GDBusMethodInvocation *invocation)
{
  return start_job (iface, invocation, BSD_OP_REFRESH_LOGS);
}

static gboolean
handle_set_time (BsDBusDevice *iface, GDBusMethodInvocation *invocation)
{
  return start_job (iface, invocation, BSD_OP_SET_TIME);
}

static void
bsd_device_object_iface_init (BsDBusDeviceIface *iface)
{
  iface->handle_sync = handle_sync;
  iface->handle_refresh_logs = handle_refresh_logs;
  iface->handle_set_time = handle_set_time;
}

static void
bsd_device_object_class_init (BsdDeviceObjectClass *klass)
{
  signals[START_JOB] = bsd_manager_start_job_signal_new (G_TYPE_FROM_CLASS (klass));
}

static void
bsd_device_object_init (BsdDeviceObject *self)
{
}

BsdDeviceObject *
bsd_device_object_new (const BsdDevice *device)
{
  BsdDeviceObject *self = g_object_new (BSD_TYPE_DEVICE_OBJECT, NULL);

  bsd_device_object_update (self, device);
  /* the live session, if any, says otherwise once it is known */
  bs_dbus_device_set_live_state (BS_DBUS_DEVICE (self), "off");
  return self;
}

void
bsd_device_object_update (BsdDeviceObject *self, const BsdDevice *d)
{
  BsDBusDevice *iface = BS_DBUS_DEVICE (self);
  const BsdDeviceHealth *h = &d->health;

  bs_dbus_device_set_id (iface, d->id);
  bs_dbus_device_set_name (iface, d->name);
  bs_dbus_device_set_address (iface, d->address);
  bs_dbus_device_set_port (iface, d->port);
  bs_dbus_device_set_protocol (iface, d->protocol);
  bs_dbus_device_set_timeout_ms (iface, d->timeout_ms);
  bs_dbus_device_set_area_id (iface, d->area_id);
  bs_dbus_device_set_enabled (iface, d->enabled);
  bs_dbus_device_set_time_zone (iface, d->time_zone ? d->time_zone : "");
  bs_dbus_device_set_has_comm_key (iface, d->has_comm_key);
  bs_dbus_device_set_state (iface, h->state ? h->state : "unknown");
  bs_dbus_device_set_last_seen (iface, (guint64)MAX (h->last_seen, 0));
  bs_dbus_device_set_last_sync (iface, (guint64)MAX (h->last_sync, 0));
  bs_dbus_device_set_last_error (iface, h->last_error ? h->last_error : "");
  bs_dbus_device_set_serial_number (iface, h->serial ? h->serial : "");
  bs_dbus_device_set_platform (iface, h->platform ? h->platform : "");
  bs_dbus_device_set_firmware (iface, h->firmware ? h->firmware : "");
  bs_dbus_device_set_face_supported (iface, h->face_supported);
  bs_dbus_device_set_fingerprint_version (iface, h->fp_version ? h->fp_version : "");
  bs_dbus_device_set_face_version (iface, h->face_version ? h->face_version : "");
  bs_dbus_device_set_users (iface, h->users);
  bs_dbus_device_set_fingerprints (iface, h->fingerprints);
  bs_dbus_device_set_faces (iface, h->faces);
  bs_dbus_device_set_records (iface, h->records);
  bs_dbus_device_set_user_capacity (iface, h->user_capacity);
  bs_dbus_device_set_fingerprint_capacity (iface, h->fingerprint_capacity);
  bs_dbus_device_set_face_capacity (iface, h->face_capacity);
  bs_dbus_device_set_record_capacity (iface, h->record_capacity);
  bs_dbus_device_set_clock_offset (iface, h->clock_offset);
  bs_dbus_device_set_push_dialect (iface, d->push_dialect ? d->push_dialect : "");
  bs_dbus_device_set_push_version (iface, d->push_version ? d->push_version : "");
  bs_dbus_device_set_last_poll (iface, (guint64)MAX (d->last_poll, 0));
  bs_dbus_device_set_pending_commands (iface, d->pending_commands);
  /* a push terminal sends its punches as they happen, whatever the option says */
  bs_dbus_device_set_live_punches (iface, d->live_punches || g_strcmp0 (d->protocol, "push") == 0);
  bs_dbus_device_set_last_punch (iface, (guint64)MAX (d->last_punch, 0));
}
