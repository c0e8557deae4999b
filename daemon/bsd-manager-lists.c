/* bsd-manager-lists.c — the manager's lists: ListUsers/ListTombstones/ListAttendance by the list
 * reader, ListDevices/Areas/Jobs, GetJob, ExportAttendance, ExportUsers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-manager-private.h"

#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <string.h>
#include <unistd.h>

#include "bsd-attendance-export.h"

/* ---------------------------------------------------------------- reader */

/* a ListUsers or ListTombstones[Page] call, answered by the list reader */
typedef struct
{
  BsdManager *self; /* a reference */
  GDBusMethodInvocation *invocation;
  guint32 uid;
  BsdListRead what;
  char *filter;
  guint offset;
  guint limit;
  BsdAttendanceFilter punches; /* ListAttendance: a copy (bsd_attendance_filter_copy) */
} Read;

static void
read_free (Read *read)
{
  g_object_unref (read->invocation);
  g_free (read->filter);
  bsd_attendance_filter_clear (&read->punches);
  g_object_unref (read->self);
  g_free (read);
}

static Read *
read_new (BsdManager *self, GDBusMethodInvocation *invocation, BsdListRead what, guint limit)
{
  Read *read = g_new0 (Read, 1);

  read->self = g_object_ref (self);
  read->invocation = g_object_ref (invocation);
  read->what = what;
  read->limit = limit;
  return read;
}

static void
read_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Read *read = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = bsd_list_reader_read_finish (BSD_LIST_READER (source), res, &error);

  bsd_manager_caller_release (read->self, read->uid);
  if (reply)
    g_dbus_method_invocation_return_value (read->invocation, reply);
  else
    bsd_error_return (read->invocation, error);
  read_free (read);
}

static void
read_admitted (BsdManager *self,
               GDBusMethodInvocation *invocation,
               const char *trigger,
               gint64 uid,
               gpointer data)
{
  Read *read = data;

  /* a read takes @data: the reply frees it */
  read->uid = (guint32)uid;
  if (read->what == BSD_LIST_READ_ATTENDANCE)
    bsd_list_reader_read_attendance_async (self->reader, &read->punches, read->limit, NULL,
                                           read_done_cb, read);
  else
    bsd_list_reader_read_async (self->reader, read->what, read->filter, read->offset, read->limit,
                                NULL, read_done_cb, read);
}

/* a page of at most LIST_PAGE_MAX entries (@limit 0 too), read by the
 * reader; no authorization, but counted against the caller's user */
static void
read_page (BsdManager *self,
           GDBusMethodInvocation *invocation,
           BsdListRead what,
           const char *filter,
           guint offset,
           guint limit)
{
  Read *read
      = read_new (self, invocation, what, limit == 0 ? LIST_PAGE_MAX : MIN (limit, LIST_PAGE_MAX));

  read->filter = g_strdup (filter);
  read->offset = offset;
  bsd_manager_authorize (self, invocation, read_admitted, read, (GDestroyNotify)read_free);
}

static gboolean
handle_list_users (BsDBusManager *iface,
                   GDBusMethodInvocation *invocation,
                   const char *filter,
                   guint offset,
                   guint limit)
{
  if (bsd_manager_check_text (invocation, filter, "filter", 0, MAX_FILTER))
    read_page (BSD_MANAGER (iface), invocation, BSD_LIST_READ_USERS, filter, offset, limit);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_list_tombstones (BsDBusManager *iface, GDBusMethodInvocation *invocation)
{
  read_page (BSD_MANAGER (iface), invocation, BSD_LIST_READ_TOMBSTONES, NULL, 0, LIST_PAGE_MAX);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_list_tombstones_page (BsDBusManager *iface,
                             GDBusMethodInvocation *invocation,
                             guint offset,
                             guint limit)
{
  read_page (BSD_MANAGER (iface), invocation, BSD_LIST_READ_TOMBSTONES, NULL, offset, limit);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---------------------------------------------------------- attendance */

#define ATTENDANCE_LIMIT_DEFAULT 100

/* ListAttendance's filter keys and their types */
static const struct
{
  const char *key;
  const char *type;
} attendance_keys[] = {
  { "from", "x" }, { "to", "x" },   { "device", "u" }, { "area", "u" },
  { "pin", "s" },  { "text", "s" }, { "before", "x" },
};

/* every key known and of its type */
static gboolean
check_attendance_keys (GDBusMethodInvocation *invocation, GVariant *filter)
{
  GVariantIter iter;

  if (!bsd_manager_check_dict (invocation, filter, "filter"))
    return FALSE;
  g_variant_iter_init (&iter, filter);
  for (;;)
    {
      g_autoptr (GVariant) inner = NULL;
      const char *key = NULL;
      const char *type = NULL;

      if (!g_variant_iter_next (&iter, "{&sv}", &key, &inner))
        return TRUE;
      for (guint i = 0; i < G_N_ELEMENTS (attendance_keys) && type == NULL; i++)
        if (g_str_equal (attendance_keys[i].key, key))
          type = attendance_keys[i].type;
      /* a caller's key is echoed only when it is short */
      if (type == NULL && strlen (key) > 32)
        bsd_error_return_invalid (invocation, "filter: unknown key of %" G_GSIZE_FORMAT " bytes",
                                  strlen (key));
      else if (type == NULL)
        bsd_error_return_invalid (invocation, "filter: unknown key “%s”", key);
      else if (!g_str_equal (g_variant_get_type_string (inner), type))
        bsd_error_return_invalid (invocation, "filter: “%s” must be of type %s, not %s", key, type,
                                  g_variant_get_type_string (inner));
      else
        continue;
      return FALSE;
    }
}

/* @punches from @filter (strings borrowed from it), each value checked */
static gboolean
parse_attendance_filter (BsdManager *self,
                         GDBusMethodInvocation *invocation,
                         GVariant *filter,
                         BsdAttendanceFilter *punches)
{
  gboolean has_from, has_to;

  bsd_attendance_filter_init (punches);
  if (!check_attendance_keys (invocation, filter))
    return FALSE;
  has_from = g_variant_lookup (filter, "from", "x", &punches->from_usec);
  has_to = g_variant_lookup (filter, "to", "x", &punches->to_usec);
  if (has_from && has_to && punches->to_usec < punches->from_usec)
    {
      bsd_error_return_invalid (invocation, "filter: “to” is before “from”");
      return FALSE;
    }
  if (g_variant_lookup (filter, "before", "x", &punches->before_id) && punches->before_id < 1)
    {
      bsd_error_return_invalid (invocation, "filter: “before” must be a record id (1 or more)");
      return FALSE;
    }
  if (g_variant_lookup (filter, "device", "u", &punches->device_id)
      && !bsd_manager_check_device (self, invocation, punches->device_id))
    return FALSE;
  if (g_variant_lookup (filter, "area", "u", &punches->area_id)
      && !bsd_manager_check_area (self, invocation, punches->area_id))
    return FALSE;
  if (g_variant_lookup (filter, "pin", "&s", &punches->pin)
      && !bsd_manager_check_text (invocation, punches->pin, "filter: “pin”", 1, ZK_PIN_ESCAPED_MAX))
    return FALSE;
  if (g_variant_lookup (filter, "text", "&s", &punches->text)
      && !bsd_manager_check_text (invocation, punches->text, "filter: “text”", 0,
                                  BSD_ATTENDANCE_TEXT_MAX))
    return FALSE;
  return TRUE;
}

static void
attendance_authorized (BsdManager *self,
                       GDBusMethodInvocation *invocation,
                       const char *trigger,
                       gint64 uid,
                       gpointer data)
{
  Read *granted = data;
  Read *read;

  /* an authorized call is no longer counted and its @data is freed when
   * this returns: the read takes the filter, and counts against the
   * caller again until it is answered, like ListUsers */
  if (!bsd_manager_caller_admit (self, invocation, (guint32)uid))
    return;
  read = read_new (self, invocation, granted->what, granted->limit);
  read->punches = granted->punches;
  granted->punches.pin = granted->punches.text = NULL;
  read_admitted (self, invocation, trigger, uid, read);
}

static gboolean
handle_list_attendance (BsDBusManager *iface,
                        GDBusMethodInvocation *invocation,
                        GVariant *filter,
                        guint limit)
{
  BsdManager *self = BSD_MANAGER (iface);
  BsdAttendanceFilter punches;
  Read *read;

  if (limit > LIST_PAGE_MAX)
    {
      bsd_error_return_invalid (invocation, "limit: at most %d records in one answer",
                                LIST_PAGE_MAX);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (!parse_attendance_filter (self, invocation, filter, &punches))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  read = read_new (self, invocation, BSD_LIST_READ_ATTENDANCE,
                   limit == 0 ? ATTENDANCE_LIMIT_DEFAULT : limit);
  bsd_attendance_filter_copy (&read->punches, &punches);
  /* personal data: org.biosync.manage, like ExportAttendance */
  bsd_manager_authorize (self, invocation, attendance_authorized, read, (GDestroyNotify)read_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* -------------------------------------------------------------- export */

/* an ExportAttendance or ExportUsers call waiting for polkit */
typedef struct
{
  int fd;
  gboolean people; /* ExportUsers */
  gint64 from_usec;
  gint64 to_usec;
} Export;

static void
export_free (Export *export)
{
  if (export->fd >= 0)
    close (export->fd);
  g_free (export);
}

static void
export_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GDBusMethodInvocation *invocation = user_data;
  g_autoptr (GError) error = NULL;

  if (!bsd_attendance_export_finish (res, &error))
    bsd_error_return (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
  g_object_unref (invocation);
}

static void
export_authorized (BsdManager *self,
                   GDBusMethodInvocation *invocation,
                   const char *trigger,
                   gint64 uid,
                   gpointer data)
{
  Export *export = data;
  int fd = export->fd;

  /* the export owns (and closes) the descriptor from now on */
  export->fd = -1;
  if (export->people)
    bsd_people_export_async (bsd_store_get_path (self->store), fd, NULL, export_done_cb,
                             g_object_ref (invocation));
  else
    bsd_attendance_export_async (bsd_store_get_path (self->store), fd, export->from_usec,
                                 export->to_usec, NULL, export_done_cb, g_object_ref (invocation));
}

/* the descriptor checked, then polkit asked; a copy of @template holds the request */
static void
export_authorize (BsdManager *self,
                  GDBusMethodInvocation *invocation,
                  GUnixFDList *fd_list,
                  GVariant *fd_index,
                  Export *template)
{
  Export *export;
  int fd = bsd_manager_take_fd (invocation, fd_list, fd_index, O_WRONLY);

  if (fd < 0)
    return;
  export = g_memdup2 (template, sizeof *template);
  export->fd = fd;
  /* a denial frees the request and so closes the descriptor */
  bsd_manager_authorize (self, invocation, export_authorized, export, (GDestroyNotify)export_free);
}

static gboolean
handle_export_attendance (BsDBusManager *iface,
                          GDBusMethodInvocation *invocation,
                          GUnixFDList *fd_list,
                          guint64 from_usec,
                          guint64 to_usec,
                          GVariant *fd_index)
{
  Export export = { -1, FALSE, (gint64)from_usec, (gint64)to_usec };

  if (to_usec != 0 && to_usec < from_usec)
    {
      bsd_error_return_invalid (invocation, "to_usec is before from_usec");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (from_usec > G_MAXINT64 || to_usec > G_MAXINT64)
    {
      bsd_error_return_invalid (invocation, "from_usec/to_usec out of range");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  export_authorize (BSD_MANAGER (iface), invocation, fd_list, fd_index, &export);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_export_users (BsDBusManager *iface,
                     GDBusMethodInvocation *invocation,
                     GUnixFDList *fd_list,
                     GVariant *fd_index)
{
  Export export = { -1, TRUE, 0, 0 };

  export_authorize (BSD_MANAGER (iface), invocation, fd_list, fd_index, &export);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* --------------------------------------------------------------- lists */

static int
compare_ids (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *)a, y = *(const guint *)b;

  return x < y ? -1 : x > y;
}

/* every property of the interface, plus "Path" (and @extra's entries) */
static void
add_object_properties (GVariantBuilder *list,
                       GDBusObject *object,
                       GDBusInterfaceSkeleton *iface,
                       GVariantDict *extra)
{
  g_autoptr (GVariant) props = g_dbus_interface_skeleton_get_properties (iface);
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_builder_open (list, G_VARIANT_TYPE ("a{sv}"));
  g_variant_iter_init (&iter, props);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    g_variant_builder_add (list, "{sv}", key, value);
  g_variant_builder_add (list, "{sv}", "Path",
                         g_variant_new_object_path (g_dbus_object_get_object_path (object)));
  if (extra)
    {
      g_autoptr (GVariant) more = g_variant_dict_end (extra);

      g_variant_iter_init (&iter, more);
      while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
        g_variant_builder_add (list, "{sv}", key, value);
    }
  g_variant_builder_close (list);
}

/* the ids of @objects (id → object), in order */
static GArray *
sorted_ids (GHashTable *objects)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint));
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, objects);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      guint id = GPOINTER_TO_UINT (key);

      g_array_append_val (ids, id);
    }
  g_array_sort (ids, compare_ids);
  return ids;
}

static gboolean
handle_list_devices (BsDBusManager *iface, GDBusMethodInvocation *invocation)
{
  BsdManager *self = BSD_MANAGER (iface);
  g_autoptr (GArray) ids = NULL;
  GVariantBuilder list;
  guint i;

  /* the objects are kept current (after every contact and change): the
   * list is what they carry, without a trip to the database; and it is
   * built once per change, as clients ask far more often than devices
   * change (the answer for 100 devices is ~3000 values) */
  if (self->device_list)
    {
      bs_dbus_manager_complete_list_devices (iface, invocation, self->device_list);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  ids = sorted_ids (self->devices);
  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  for (i = 0; i < ids->len; i++)
    {
      BsDBusObject *object
          = g_hash_table_lookup (self->devices, GUINT_TO_POINTER (g_array_index (ids, guint, i)));
      g_autoptr (BsDBusDevice) device = bs_dbus_object_get_device (object);

      add_object_properties (&list, G_DBUS_OBJECT (object), G_DBUS_INTERFACE_SKELETON (device),
                             NULL);
    }
  self->device_list = g_variant_ref_sink (g_variant_builder_end (&list));
  bs_dbus_manager_complete_list_devices (iface, invocation, self->device_list);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_list_areas (BsDBusManager *iface, GDBusMethodInvocation *invocation)
{
  BsdManager *self = BSD_MANAGER (iface);
  g_autoptr (GArray) ids = sorted_ids (self->areas);
  GVariantBuilder list;
  guint i, j;

  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  for (i = 0; i < ids->len; i++)
    {
      BsDBusObject *object
          = g_hash_table_lookup (self->areas, GUINT_TO_POINTER (g_array_index (ids, guint, i)));
      g_autoptr (BsDBusArea) area = bs_dbus_object_get_area (object);
      const char *const *paths = bs_dbus_area_get_devices (area);
      g_auto (GVariantDict) extra = G_VARIANT_DICT_INIT (NULL);
      GVariantBuilder device_ids;

      /* busctl users want plain ids next to the paths */
      g_variant_builder_init (&device_ids, G_VARIANT_TYPE ("au"));
      for (j = 0; paths && paths[j]; j++)
        {
          const char *slash = strrchr (paths[j], '/');

          g_variant_builder_add (&device_ids, "u", (guint32)g_ascii_strtoull (slash + 1, NULL, 10));
        }
      g_variant_dict_insert_value (&extra, "DeviceIds", g_variant_builder_end (&device_ids));
      add_object_properties (&list, G_DBUS_OBJECT (object), G_DBUS_INTERFACE_SKELETON (area),
                             &extra);
    }
  bs_dbus_manager_complete_list_areas (iface, invocation, g_variant_builder_end (&list));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
add_job_entries (BsdManager *self, GVariantBuilder *b, const BsdJobRecord *job)
{
  BsdJob *exported = bsd_job_queue_lookup (self->jobs, job->id);

  g_variant_builder_add (b, "{sv}", "Id", g_variant_new_uint64 ((guint64)job->id));
  g_variant_builder_add (b, "{sv}", "Kind", g_variant_new_string (job->kind ? job->kind : ""));
  g_variant_builder_add (b, "{sv}", "Target",
                         g_variant_new_string (job->target ? job->target : ""));
  g_variant_builder_add (b, "{sv}", "Trigger",
                         g_variant_new_string (job->trigger ? job->trigger : ""));
  g_variant_builder_add (b, "{sv}", "State", g_variant_new_string (job->state ? job->state : ""));
  g_variant_builder_add (b, "{sv}", "QueuedAt",
                         g_variant_new_uint64 ((guint64)MAX (job->queued_at, 0)));
  g_variant_builder_add (b, "{sv}", "StartedAt",
                         g_variant_new_uint64 ((guint64)MAX (job->started_at, 0)));
  g_variant_builder_add (b, "{sv}", "FinishedAt",
                         g_variant_new_uint64 ((guint64)MAX (job->finished_at, 0)));
  g_variant_builder_add (b, "{sv}", "Summary",
                         g_variant_new_string (job->summary ? job->summary : ""));
  g_variant_builder_add (b, "{sv}", "Path",
                         g_variant_new_object_path (exported ? bsd_job_get_path (exported) : "/"));
}

static gboolean
handle_list_jobs (BsDBusManager *iface, GDBusMethodInvocation *invocation, guint limit)
{
  BsdManager *self = BSD_MANAGER (iface);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) jobs = bsd_store_list_jobs (
      self->store, limit == 0 ? LIST_PAGE_MAX : MIN (limit, LIST_PAGE_MAX), &error);
  GVariantBuilder list;
  guint i;

  if (jobs == NULL)
    {
      bsd_error_return (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  for (i = 0; i < jobs->len; i++)
    {
      g_variant_builder_open (&list, G_VARIANT_TYPE ("a{sv}"));
      add_job_entries (self, &list, jobs->pdata[i]);
      g_variant_builder_close (&list);
    }
  bs_dbus_manager_complete_list_jobs (iface, invocation, g_variant_builder_end (&list));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_get_job (BsDBusManager *iface, GDBusMethodInvocation *invocation, guint64 job_id)
{
  BsdManager *self = BSD_MANAGER (iface);
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdJobRecord) job = NULL;
  g_autoptr (GPtrArray) results = NULL;
  GVariantBuilder b, devices;
  GVariant *reply;
  guint i;

  if (job_id == 0 || job_id > G_MAXINT64)
    {
      g_dbus_method_invocation_return_error (invocation, BS_ERROR, BS_ERROR_NOT_FOUND,
                                             "job_id: no job %" G_GUINT64_FORMAT, job_id);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  /* a finished job no longer changes: clients polling its report are
   * answered without going to the database */
  reply = g_hash_table_lookup (self->job_replies, &(gint64){ (gint64)job_id });
  if (reply)
    {
      bs_dbus_manager_complete_get_job (iface, invocation, reply);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  job = bsd_store_get_job (self->store, (gint64)job_id, &error);
  if (job)
    results = bsd_store_list_job_device_results (self->store, job->id, &error);
  if (job == NULL || results == NULL)
    {
      bsd_error_return (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  add_job_entries (self, &b, job);
  g_variant_builder_add (&b, "{sv}", "Report",
                         g_variant_new_string (job->report ? job->report : ""));
  g_variant_builder_init (&devices, G_VARIANT_TYPE ("aa{sv}"));
  for (i = 0; i < results->len; i++)
    {
      BsdJobDeviceResult *r = results->pdata[i];

      g_variant_builder_open (&devices, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&devices, "{sv}", "DeviceId", g_variant_new_uint32 (r->device_id));
      g_variant_builder_add (&devices, "{sv}", "DeviceName",
                             g_variant_new_string (r->device_name ? r->device_name : ""));
      g_variant_builder_add (&devices, "{sv}", "Status",
                             g_variant_new_string (r->status ? r->status : ""));
      g_variant_builder_add (&devices, "{sv}", "Added", g_variant_new_uint32 (r->added));
      g_variant_builder_add (&devices, "{sv}", "Updated", g_variant_new_uint32 (r->updated));
      g_variant_builder_add (&devices, "{sv}", "Deleted", g_variant_new_uint32 (r->deleted));
      g_variant_builder_add (&devices, "{sv}", "Skipped", g_variant_new_uint32 (r->skipped));
      g_variant_builder_add (&devices, "{sv}", "Failed", g_variant_new_uint32 (r->failed));
      g_variant_builder_add (&devices, "{sv}", "Reason",
                             g_variant_new_string (r->reason ? r->reason : ""));
      g_variant_builder_close (&devices);
    }
  g_variant_builder_add (&b, "{sv}", "Devices", g_variant_builder_end (&devices));
  reply = g_variant_ref_sink (g_variant_builder_end (&b));
  if (bsd_job_state_is_final (job->state))
    bsd_manager_keep_job_reply (self, job->id, reply);
  bs_dbus_manager_complete_get_job (iface, invocation, reply);
  g_variant_unref (reply);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
bsd_manager_lists_init (BsdManager *self)
{
  g_signal_connect (self, "handle-list-users", G_CALLBACK (handle_list_users), NULL);
  g_signal_connect (self, "handle-list-tombstones", G_CALLBACK (handle_list_tombstones), NULL);
  g_signal_connect (self, "handle-list-tombstones-page", G_CALLBACK (handle_list_tombstones_page),
                    NULL);
  g_signal_connect (self, "handle-list-attendance", G_CALLBACK (handle_list_attendance), NULL);
  g_signal_connect (self, "handle-export-attendance", G_CALLBACK (handle_export_attendance), NULL);
  g_signal_connect (self, "handle-export-users", G_CALLBACK (handle_export_users), NULL);
  g_signal_connect (self, "handle-list-devices", G_CALLBACK (handle_list_devices), NULL);
  g_signal_connect (self, "handle-list-areas", G_CALLBACK (handle_list_areas), NULL);
  g_signal_connect (self, "handle-list-jobs", G_CALLBACK (handle_list_jobs), NULL);
  g_signal_connect (self, "handle-get-job", G_CALLBACK (handle_get_job), NULL);
}
