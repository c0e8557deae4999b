/* bs-client-lists.c — BsClient: the whole of a list the service pages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ListUsers and ListTombstonesPage answer at most 1000 entries a call.
 * The whole list is the pages asked with the offset advanced by what came
 * until a page is shorter than asked: both say so for their last page, so
 * no call is spent on an empty page after it. biosyncctl reads
 * synchronously, the window asynchronously; both ask the same calls.
 */
#include "config.h"

#include "bs-client.h"

/* the service's largest page, asked by its size: an answer shorter than
 * that is the last */
#define PAGE_SIZE 1000

/* one page of @list's method from @offset on */
static const char *
page_call (BsClientList list, const char *filter, guint offset, GVariant **parameters)
{
  if (list == BS_CLIENT_LIST_USERS)
    {
      *parameters = g_variant_new ("(suu)", filter != NULL ? filter : "", offset, PAGE_SIZE);
      return "ListUsers";
    }
  *parameters = g_variant_new ("(uu)", offset, PAGE_SIZE);
  return "ListTombstonesPage";
}

/* appends the entries of @reply ((aa{sv})) to @all; returns whether that
 * was the last page */
static gboolean
page_collect (GVariant *reply, GPtrArray *all)
{
  g_autoptr (GVariant) page = g_variant_get_child_value (reply, 0);
  gsize n = g_variant_n_children (page);

  for (gsize i = 0; i < n; i++)
    g_ptr_array_add (all, g_variant_get_child_value (page, i));
  return n < PAGE_SIZE;
}

static GVariant *
entries_end (GPtrArray *all)
{
  return g_variant_ref_sink (
      g_variant_new_array (G_VARIANT_TYPE_VARDICT, (GVariant *const *)all->pdata, all->len));
}

static GPtrArray *
entries_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)g_variant_unref);
}

GVariant *
bs_client_list_all_sync (BsDBusManager *manager,
                         BsClientList list,
                         const char *filter,
                         GCancellable *cancellable,
                         GError **error)
{
  g_autoptr (GPtrArray) all = entries_new ();

  g_return_val_if_fail (BS_DBUS_IS_MANAGER (manager), NULL);
  for (;;)
    {
      GVariant *parameters;
      const char *method = page_call (list, filter, all->len, &parameters);
      g_autoptr (GVariant) reply
          = g_dbus_proxy_call_sync (G_DBUS_PROXY (manager), method, parameters,
                                    G_DBUS_CALL_FLAGS_NONE, -1, cancellable, error);

      if (reply == NULL)
        return NULL;
      if (page_collect (reply, all))
        return entries_end (all);
    }
}

/* ------------------------------------------------------------------ asynchronously */

typedef struct
{
  BsClientList list;
  char *filter;
  GPtrArray *all; /* GVariant a{sv}, the pages so far */
} ListAll;

static void
list_all_free (ListAll *data)
{
  g_free (data->filter);
  g_ptr_array_unref (data->all);
  g_free (data);
}

static void list_all_page_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
list_all_next (GTask *task)
{
  ListAll *data = g_task_get_task_data (task);
  GVariant *parameters;
  const char *method = page_call (data->list, data->filter, data->all->len, &parameters);

  g_dbus_proxy_call (G_DBUS_PROXY (g_task_get_source_object (task)), method, parameters,
                     G_DBUS_CALL_FLAGS_NONE, -1, g_task_get_cancellable (task), list_all_page_cb,
                     task);
}

static void
list_all_page_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  ListAll *data = g_task_get_task_data (task);
  g_autoptr (GVariant) reply = NULL;
  GError *error = NULL;

  reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);
  if (reply == NULL)
    g_task_return_error (task, error);
  else if (page_collect (reply, data->all))
    g_task_return_pointer (task, entries_end (data->all), (GDestroyNotify)g_variant_unref);
  else
    list_all_next (g_steal_pointer (&task));
}

void
bs_client_list_all_async (BsDBusManager *manager,
                          BsClientList list,
                          const char *filter,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  GTask *task;
  ListAll *data;

  g_return_if_fail (BS_DBUS_IS_MANAGER (manager));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  task = g_task_new (manager, cancellable, callback, user_data);
  g_task_set_source_tag (task, bs_client_list_all_async);
  data = g_new0 (ListAll, 1);
  data->list = list;
  data->filter = g_strdup (filter);
  data->all = entries_new ();
  g_task_set_task_data (task, data, (GDestroyNotify)list_all_free);
  list_all_next (task);
}

GVariant *
bs_client_list_all_finish (BsDBusManager *manager, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, manager), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, bs_client_list_all_async), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
