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

/* how a BsdDevice field becomes its D-Bus property */
typedef enum
{
  FIELD_TEXT,   /* char *, NULL = "" */
  FIELD_UINT,   /* guint */
  FIELD_UINT16, /* guint16 */
  FIELD_FLAG,   /* gboolean */
  FIELD_TIME,   /* gint64 µs or s, below 0 = 0 */
  FIELD_INT64,  /* gint64 */
} FieldKind;

#define FIELD(member) G_STRUCT_OFFSET (BsdDevice, member)

static const struct
{
  const char *property;
  goffset offset;
  FieldKind kind;
} fields[] = {
  { "id", FIELD (id), FIELD_UINT },
  { "name", FIELD (name), FIELD_TEXT },
  { "address", FIELD (address), FIELD_TEXT },
  { "port", FIELD (port), FIELD_UINT16 },
  { "protocol", FIELD (protocol), FIELD_TEXT },
  { "timeout-ms", FIELD (timeout_ms), FIELD_UINT },
  { "area-id", FIELD (area_id), FIELD_UINT },
  { "enabled", FIELD (enabled), FIELD_FLAG },
  { "time-zone", FIELD (time_zone), FIELD_TEXT },
  { "has-comm-key", FIELD (has_comm_key), FIELD_FLAG },
  { "last-seen", FIELD (health.last_seen), FIELD_TIME },
  { "last-sync", FIELD (health.last_sync), FIELD_TIME },
  { "last-error", FIELD (health.last_error), FIELD_TEXT },
  { "serial-number", FIELD (health.serial), FIELD_TEXT },
  { "platform", FIELD (health.platform), FIELD_TEXT },
  { "firmware", FIELD (health.firmware), FIELD_TEXT },
  { "face-supported", FIELD (health.face_supported), FIELD_FLAG },
  { "fingerprint-version", FIELD (health.fp_version), FIELD_TEXT },
  { "face-version", FIELD (health.face_version), FIELD_TEXT },
  { "users", FIELD (health.users), FIELD_UINT },
  { "fingerprints", FIELD (health.fingerprints), FIELD_UINT },
  { "faces", FIELD (health.faces), FIELD_UINT },
  { "records", FIELD (health.records), FIELD_UINT },
  { "user-capacity", FIELD (health.user_capacity), FIELD_UINT },
  { "fingerprint-capacity", FIELD (health.fingerprint_capacity), FIELD_UINT },
  { "face-capacity", FIELD (health.face_capacity), FIELD_UINT },
  { "record-capacity", FIELD (health.record_capacity), FIELD_UINT },
  { "clock-offset", FIELD (health.clock_offset), FIELD_INT64 },
  { "push-dialect", FIELD (push_dialect), FIELD_TEXT },
  { "push-version", FIELD (push_version), FIELD_TEXT },
  { "last-poll", FIELD (last_poll), FIELD_TIME },
  { "pending-commands", FIELD (pending_commands), FIELD_UINT },
  { "last-punch", FIELD (last_punch), FIELD_TIME },
};

/* g_object_set () with the C type the property takes */
static void
set_field (GObject *object, const char *property, gconstpointer field, FieldKind kind)
{
  const char *text = kind == FIELD_TEXT ? *(char *const *)field : NULL;

  switch (kind)
    {
    case FIELD_TEXT:
      g_object_set (object, property, text != NULL ? text : "", NULL);
      break;
    case FIELD_UINT:
      g_object_set (object, property, *(const guint *)field, NULL);
      break;
    case FIELD_UINT16:
      g_object_set (object, property, (guint) * (const guint16 *)field, NULL);
      break;
    case FIELD_FLAG:
      g_object_set (object, property, *(const gboolean *)field, NULL);
      break;
    case FIELD_TIME:
      g_object_set (object, property, (guint64)MAX (*(const gint64 *)field, 0), NULL);
      break;
    case FIELD_INT64:
      g_object_set (object, property, *(const gint64 *)field, NULL);
      break;
    default:
      g_assert_not_reached ();
    }
}

void
bsd_device_object_update (BsdDeviceObject *self, const BsdDevice *d)
{
  BsDBusDevice *iface = BS_DBUS_DEVICE (self);

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    set_field (G_OBJECT (self), fields[i].property, G_STRUCT_MEMBER_P (d, fields[i].offset),
               fields[i].kind);
  bs_dbus_device_set_state (iface, d->health.state ? d->health.state : "unknown");
  /* a push terminal sends its punches as they happen, whatever the option says */
  bs_dbus_device_set_live_punches (iface, d->live_punches || g_strcmp0 (d->protocol, "push") == 0);
}
