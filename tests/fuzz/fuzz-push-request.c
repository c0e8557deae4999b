/* fuzz-push-request.c — a push terminal's request, parsed every way
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: "METHOD PATH[?QUERY]\n" then the body. The request is
 * classified, the body parsed as an upload, options and command results,
 * INFO= as INFO. What comes out obeys zk-text.h (PINs clean, names
 * display-clean), and a user sent back to a device is either one
 * command line or refused.
 */
#include <string.h>

#include "push-format.h"
#include "push-limits.h"
#include "push-records.h"
#include "push-request.h"
#include "zk-text.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check_upload (PushUpload *upload)
{
  for (guint i = 0; i < upload->users->len; i++)
    {
      PushUser *user = g_ptr_array_index (upload->users, i);
      g_autoptr (GError) error = NULL;
      g_autofree char *line = NULL;

      g_assert (zk_text_identity_is_clean (user->pin, -1));
      g_assert (zk_text_display_is_clean (user->name, -1));
      line = push_format_user_update (PUSH_DIALECT_2, user, &error);
      g_assert ((line == NULL) != (error == NULL));
      g_assert (line == NULL || strchr (line, '\n') == NULL);
    }
  for (guint i = 0; i < upload->templates->len; i++)
    {
      PushTemplate *tmpl = g_ptr_array_index (upload->templates, i);
      g_autoptr (GError) error = NULL;
      g_autofree char *line = push_format_biodata_update (PUSH_DIALECT_2, tmpl, &error);

      g_assert (zk_text_identity_is_clean (tmpl->pin, -1));
      g_assert (g_bytes_get_size (tmpl->data) > 0);
      g_assert_no_error (error);
      g_assert (line != NULL && strchr (line, '\n') == NULL);
    }
  for (guint i = 0; i < upload->punches->len; i++)
    {
      ZkAttendance *att = g_ptr_array_index (upload->punches, i);
      g_assert (att->user_id[0] != '\0' && g_utf8_validate (att->user_id, -1, NULL));
    }
  g_assert (upload->punches->len + upload->users->len + upload->templates->len <= PUSH_RECORDS_MAX);
}

static void
check_options (GHashTable *options)
{
  GHashTableIter iter;
  gpointer key, value;

  g_assert (g_hash_table_size (options) <= PUSH_OPTIONS_MAX);
  g_hash_table_iter_init (&iter, options);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_assert (zk_text_display_is_clean (value, -1));
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  const guint8 *lf = memchr (data, '\n', size);
  g_autofree char *head = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (ZkSkips) skips = zk_skips_new ();
  g_autoptr (PushRequest) request = NULL;
  g_autoptr (PushUpload) upload = NULL;
  g_autoptr (GHashTable) options = NULL;
  g_autoptr (GPtrArray) results = NULL;
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  char *space, *query;

  if (lf == NULL)
    return 0;
  head = g_strndup ((const char *)data, lf - data);
  body = g_bytes_new (lf + 1, size - (lf - data) - 1);
  space = strchr (head, ' ');
  if (space != NULL)
    {
      *space = '\0';
      query = strchr (space + 1, '?');
      if (query != NULL)
        *query++ = '\0';
      request = push_request_classify (head, space + 1, query, NULL);
    }
  if (request != NULL)
    {
      PushStamps stamps = { 0 };
      g_autofree char *reply = push_format_options_2 (request->serial, &stamps, 330);

      g_assert (push_serial_is_valid (request->serial));
      g_assert (g_str_has_suffix (reply, "\n"));
      if (request->info != NULL)
        {
          g_autoptr (PushInfo) info = push_info_parse (request->info, NULL);
          g_assert (info == NULL || zk_text_display_is_clean (info->firmware, -1));
        }
    }

  upload = push_upload_parse (request != NULL ? request->table : NULL, body, skips, NULL);
  if (upload != NULL)
    check_upload (upload);
  options = push_options_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body), skips);
  check_options (options);
  results = push_results_parse (body, skips, NULL);
  for (guint i = 0; results != NULL && i < results->len; i++)
    {
      PushResult *result = g_ptr_array_index (results, i);

      g_assert (result->id != NULL && strlen (result->id) <= PUSH_CMD_ID_MAX);
      check_options (result->values);
      g_ptr_array_add (lines,
                       g_strdup (push_return_code_describe (PUSH_DIALECT_2, result->return_code)));
    }
  zk_skips_summarize (skips, lines);
  for (guint i = 0; i < lines->len; i++)
    g_assert (g_utf8_validate (g_ptr_array_index (lines, i), -1, NULL));
  return 0;
}
