/* bsd-list-reader.c — the costly reads (roster, deletion and attendance pages) off the main thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-list-reader.h"

#include <gio/gio.h>

struct _BsdListReader
{
  GObject parent_instance;

  char *store_path;
  GThreadPool *pool; /* one thread; NULL once disposed */
  BsdStore *store;   /* the thread's own connection, opened on first use */
};

G_DEFINE_FINAL_TYPE (BsdListReader, bsd_list_reader, G_TYPE_OBJECT)

/* a read's task data */
typedef struct
{
  BsdListRead what;
  char *filter;
  guint offset;
  guint limit;
  BsdAttendanceFilter punches; /* a copy (bsd_attendance_filter_copy) */
  GVariant *reply;
  GError *error;
} Read;

static void
read_free (Read *read)
{
  g_free (read->filter);
  bsd_attendance_filter_clear (&read->punches);
  g_clear_pointer (&read->reply, g_variant_unref);
  g_clear_error (&read->error);
  g_free (read);
}

static GVariant *
read_roster (BsdStore *store, const Read *read, GError **error)
{
  g_autoptr (GPtrArray) roster
      = bsd_store_list_roster (store, read->filter, read->offset, read->limit, error);
  GVariantBuilder users;
  guint i, j;

  if (roster == NULL)
    return NULL;
  g_variant_builder_init (&users, G_VARIANT_TYPE ("aa{sv}"));
  for (i = 0; i < roster->len; i++)
    {
      BsdRosterEntry *e = roster->pdata[i];
      GVariantBuilder devices;

      g_variant_builder_init (&devices, G_VARIANT_TYPE ("au"));
      for (j = 0; e->device_ids && j < e->device_ids->len; j++)
        g_variant_builder_add (&devices, "u", g_array_index (e->device_ids, guint, j));
      g_variant_builder_open (&users, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&users, "{sv}", "Pin", g_variant_new_string (e->pin));
      g_variant_builder_add (&users, "{sv}", "Name", g_variant_new_string (e->name ? e->name : ""));
      g_variant_builder_add (&users, "{sv}", "Privilege", g_variant_new_uint32 (e->privilege));
      g_variant_builder_add (&users, "{sv}", "HasCard", g_variant_new_boolean (e->has_card));
      g_variant_builder_add (&users, "{sv}", "HasPassword",
                             g_variant_new_boolean (e->has_password));
      g_variant_builder_add (&users, "{sv}", "CentralEdit",
                             g_variant_new_boolean (e->central_edit));
      g_variant_builder_add (&users, "{sv}", "UpdatedAt",
                             g_variant_new_uint64 ((guint64)MAX (e->updated_at, 0)));
      g_variant_builder_add (&users, "{sv}", "Fingerprints",
                             g_variant_new_uint32 (e->fingerprints));
      g_variant_builder_add (&users, "{sv}", "Faces", g_variant_new_uint32 (e->faces));
      g_variant_builder_add (&users, "{sv}", "Devices", g_variant_builder_end (&devices));
      g_variant_builder_close (&users);
    }
  return g_variant_new ("(aa{sv})", &users);
}

/* guint ids as "au" */
static GVariant *
id_list (GArray *ids)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, ids->data, ids->len, sizeof (guint32));
}

static GVariant *
read_tombstones (BsdStore *store, const Read *read, GError **error)
{
  g_autoptr (GPtrArray) tombstones
      = bsd_store_list_tombstones (store, read->offset, read->limit, error);
  GVariantBuilder list;
  guint i;

  if (tombstones == NULL)
    return NULL;
  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  for (i = 0; i < tombstones->len; i++)
    {
      BsdTombstone *t = tombstones->pdata[i];

      g_variant_builder_open (&list, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&list, "{sv}", "Pin", g_variant_new_string (t->pin));
      g_variant_builder_add (&list, "{sv}", "CreatedAt",
                             g_variant_new_uint64 ((guint64)MAX (t->created_at, 0)));
      g_variant_builder_add (&list, "{sv}", "CreatedBy",
                             g_variant_new_string (t->created_by ? t->created_by : ""));
      g_variant_builder_add (&list, "{sv}", "PendingDevices", id_list (t->pending));
      g_variant_builder_add (&list, "{sv}", "ConfirmedDevices", id_list (t->confirmed));
      g_variant_builder_add (&list, "{sv}", "NeverSeenDevices", id_list (t->never_seen));
      g_variant_builder_close (&list);
    }
  return g_variant_new ("(aa{sv})", &list);
}

/* a page of punches being built: one more than asked tells whether there is more */
typedef struct
{
  GVariantBuilder records;
  guint limit;
  guint count;
} Punches;

static gboolean
punch_add (const BsdAttendanceRow *row, gpointer user_data, GError **error)
{
  Punches *punches = user_data;
  GVariantBuilder *b = &punches->records;

  if (++punches->count > punches->limit)
    return TRUE;
  g_variant_builder_open (b, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (b, "{sv}", "id", g_variant_new_int64 (row->id));
  g_variant_builder_add (b, "{sv}", "device", g_variant_new_uint32 (row->device_id));
  g_variant_builder_add (b, "{sv}", "device-name",
                         g_variant_new_string (row->device_name ? row->device_name : ""));
  g_variant_builder_add (b, "{sv}", "serial", g_variant_new_string (row->serial));
  g_variant_builder_add (b, "{sv}", "pin", g_variant_new_string (row->pin));
  g_variant_builder_add (b, "{sv}", "name", g_variant_new_string (row->name ? row->name : ""));
  g_variant_builder_add (b, "{sv}", "utc", g_variant_new_int64 (row->utc_usec));
  g_variant_builder_add (b, "{sv}", "local", g_variant_new_string (row->local_time));
  g_variant_builder_add (b, "{sv}", "verify", g_variant_new_uint32 (row->verify));
  g_variant_builder_add (b, "{sv}", "state", g_variant_new_uint32 (row->state));
  g_variant_builder_close (b);
  return TRUE;
}

static GVariant *
read_attendance (BsdStore *store, const Read *read, GError **error)
{
  Punches punches = { .limit = read->limit };

  g_variant_builder_init (&punches.records, G_VARIANT_TYPE ("aa{sv}"));
  if (!bsd_store_list_attendance (store, &read->punches, read->limit + 1, punch_add, &punches,
                                  error))
    {
      g_variant_builder_clear (&punches.records);
      return NULL;
    }
  return g_variant_new ("(aa{sv}b)", &punches.records, punches.count > read->limit);
}

/* in the reader's thread, the only user of self->store */
static GVariant *
read_in_thread (BsdListReader *self, const Read *read, GCancellable *cancellable, GError **error)
{
  GVariant *reply;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (self->store == NULL)
    self->store = bsd_store_open (self->store_path, error);
  if (self->store == NULL)
    return NULL;
  if (read->what == BSD_LIST_READ_USERS)
    reply = read_roster (self->store, read, error);
  else if (read->what == BSD_LIST_READ_ATTENDANCE)
    reply = read_attendance (self->store, read, error);
  else
    reply = read_tombstones (self->store, read, error);
  return reply ? g_variant_ref_sink (reply) : NULL;
}

/* in the task's context: answers it */
static gboolean
read_return (gpointer data)
{
  GTask *task = data;
  Read *read = g_task_get_task_data (task);

  if (read->reply)
    g_task_return_pointer (task, g_steal_pointer (&read->reply), (GDestroyNotify)g_variant_unref);
  else
    g_task_return_error (task, g_steal_pointer (&read->error));
  return G_SOURCE_REMOVE;
}

static void
reader_func (gpointer data, gpointer user_data)
{
  GTask *task = data;
  Read *read = g_task_get_task_data (task);

  read->reply = read_in_thread (g_task_get_source_object (task), read,
                                g_task_get_cancellable (task), &read->error);
  /* the task (and with it the reader) is dropped in its context, never
   * here: the last reference would join this thread from itself */
  g_main_context_invoke_full (g_task_get_context (task), G_PRIORITY_DEFAULT, read_return, task,
                              g_object_unref);
}

/* queues @read (taken) for the reader's thread */
static void
read_push (BsdListReader *self,
           Read *read,
           GCancellable *cancellable,
           GAsyncReadyCallback callback,
           gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, bsd_list_reader_read_async);
  g_task_set_task_data (task, read, (GDestroyNotify)read_free);
  if (self->pool == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CLOSED, "the list reader is closed");
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  g_thread_pool_push (self->pool, g_steal_pointer (&task), NULL);
}

void
bsd_list_reader_read_async (BsdListReader *self,
                            BsdListRead what,
                            const char *filter,
                            guint offset,
                            guint limit,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
  Read *read;

  g_return_if_fail (BSD_IS_LIST_READER (self));
  g_return_if_fail (what == BSD_LIST_READ_USERS || what == BSD_LIST_READ_TOMBSTONES);

  read = g_new0 (Read, 1);
  read->what = what;
  read->filter = g_strdup (filter);
  read->offset = offset;
  read->limit = limit;
  read_push (self, read, cancellable, callback, user_data);
}

void
bsd_list_reader_read_attendance_async (BsdListReader *self,
                                       const BsdAttendanceFilter *filter,
                                       guint limit,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer user_data)
{
  Read *read;

  g_return_if_fail (BSD_IS_LIST_READER (self));
  g_return_if_fail (filter != NULL);
  g_return_if_fail (limit < G_MAXUINT);

  read = g_new0 (Read, 1);
  read->what = BSD_LIST_READ_ATTENDANCE;
  read->limit = limit;
  bsd_attendance_filter_copy (&read->punches, filter);
  read_push (self, read, cancellable, callback, user_data);
}

GVariant *
bsd_list_reader_read_finish (BsdListReader *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, bsd_list_reader_read_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
bsd_list_reader_dispose (GObject *object)
{
  BsdListReader *self = BSD_LIST_READER (object);

  /* runs the reads already pushed, then joins the thread */
  if (self->pool)
    g_thread_pool_free (g_steal_pointer (&self->pool), FALSE, TRUE);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (bsd_list_reader_parent_class)->dispose (object);
}

static void
bsd_list_reader_finalize (GObject *object)
{
  BsdListReader *self = BSD_LIST_READER (object);

  g_free (self->store_path);
  G_OBJECT_CLASS (bsd_list_reader_parent_class)->finalize (object);
}

static void
bsd_list_reader_class_init (BsdListReaderClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = bsd_list_reader_dispose;
  G_OBJECT_CLASS (klass)->finalize = bsd_list_reader_finalize;
}

static void
bsd_list_reader_init (BsdListReader *self)
{
  self->pool = g_thread_pool_new (reader_func, NULL, 1, FALSE, NULL);
}

BsdListReader *
bsd_list_reader_new (const char *store_path)
{
  BsdListReader *self;

  g_return_val_if_fail (store_path != NULL, NULL);

  self = g_object_new (BSD_TYPE_LIST_READER, NULL);
  self->store_path = g_strdup (store_path);
  return self;
}
