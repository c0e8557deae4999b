/* bsd-store-jobs.c — job rows (job_executions, job_device_results) and
 * their reports: whatever a job's summary and report hold, the row takes
 * them as clean text and valid JSON
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "biosyncd"

#include "config.h"

#include "bsd-store-private.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#define BSD_JOB_COLUMNS                                                                            \
  "id, kind, target, \"trigger\", requested_by_uid, state, queued_at, started_at,"                 \
  " finished_at, summary, report"
/* the same without the report: a list of hundreds of jobs would otherwise
 * copy every (large) report only to drop it */
#define BSD_JOB_LIST_COLUMNS                                                                       \
  "id, kind, target, \"trigger\", requested_by_uid, state, queued_at, started_at,"                 \
  " finished_at, summary, NULL"

void
bsd_job_record_free (BsdJobRecord *job)
{
  if (job == NULL)
    return;
  g_free (job->kind);
  g_free (job->target);
  g_free (job->trigger);
  g_free (job->state);
  g_free (job->summary);
  g_free (job->report);
  g_free (job);
}

void
bsd_job_device_result_free (BsdJobDeviceResult *result)
{
  if (result == NULL)
    return;
  g_free (result->device_name);
  g_free (result->status);
  g_free (result->reason);
  g_free (result->details);
  g_free (result);
}

static gpointer
bsd_job_record_from_row (BsdStmt *stmt)
{
  BsdJobRecord *job = g_new0 (BsdJobRecord, 1);

  job->id = sqlite3_column_int64 (stmt, 0);
  job->kind = bsd_column_dup (stmt, 1);
  job->target = bsd_column_dup (stmt, 2);
  job->trigger = bsd_column_dup (stmt, 3);
  job->requested_by_uid
      = sqlite3_column_type (stmt, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64 (stmt, 4);
  job->state = bsd_column_dup (stmt, 5);
  job->queued_at = sqlite3_column_int64 (stmt, 6);
  job->started_at = sqlite3_column_int64 (stmt, 7);
  job->finished_at = sqlite3_column_int64 (stmt, 8);
  job->summary = bsd_column_dup (stmt, 9);
  job->report = bsd_column_dup (stmt, 10);
  return job;
}

static gpointer
bsd_job_device_result_from_row (BsdStmt *stmt)
{
  BsdJobDeviceResult *result = g_new0 (BsdJobDeviceResult, 1);

  result->device_id = (guint)sqlite3_column_int64 (stmt, 0);
  result->device_name = bsd_column_dup (stmt, 1);
  result->status = bsd_column_dup (stmt, 2);
  result->added = (guint)sqlite3_column_int64 (stmt, 3);
  result->updated = (guint)sqlite3_column_int64 (stmt, 4);
  result->deleted = (guint)sqlite3_column_int64 (stmt, 5);
  result->skipped = (guint)sqlite3_column_int64 (stmt, 6);
  result->failed = (guint)sqlite3_column_int64 (stmt, 7);
  result->reason = bsd_column_dup (stmt, 8);
  result->details = bsd_column_dup (stmt, 9);
  return result;
}

/* ----------------------------------------------------------------- rows */

/* NULL or UTF-8 */
static gboolean
bsd_check_optional_text (const char *text, const char *what, const char *op, GError **error)
{
  if (text != NULL && !g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: %s is not valid UTF-8", op, what);
      return FALSE;
    }
  return TRUE;
}

gint64
bsd_store_create_job (BsdStore *self,
                      const char *kind,
                      const char *target,
                      const char *trigger,
                      gint64 requested_by_uid,
                      GError **error)
{
  const char *op = "recording a job";

  g_return_val_if_fail (BSD_IS_STORE (self), 0);

  if (!bsd_check_text (kind, "the job kind", 64, op, error)
      || !bsd_check_text (trigger, "the trigger", 64, op, error)
      || !bsd_check_optional_text (target, "the target", op, error)
      || !bsd_store_run (self,
                         "INSERT INTO job_executions (kind, target, \"trigger\","
                         " requested_by_uid, state, queued_at)"
                         " VALUES (?1, ?2, ?3, ?4, 'queued', ?5)",
                         BSD_ARGS (BSD_TEXT (kind), BSD_TEXT (target != NULL ? target : ""),
                                   BSD_TEXT (trigger),
                                   BSD_INT_OR_NULL (requested_by_uid >= 0, requested_by_uid),
                                   BSD_INT (bsd_store_now ())),
                         op, error))
    return 0;
  return sqlite3_last_insert_rowid (self->db);
}

gboolean
bsd_store_set_job_running (BsdStore *self, gint64 job_id, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  return bsd_store_run_changed (
      self, "UPDATE job_executions SET state = 'running', started_at = ?2 WHERE id = ?1",
      BSD_ARGS (BSD_INT (job_id), BSD_INT (bsd_store_now ())), "starting a job", error,
      "no job with id %" G_GINT64_FORMAT, job_id);
}

gboolean
bsd_store_finish_job (BsdStore *self,
                      gint64 job_id,
                      const char *state,
                      const char *summary,
                      const char *report,
                      GError **error)
{
  const char *op = "finishing a job";

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (!bsd_job_state_is_final (state))
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: “%s” is not a final job state", op, state != NULL ? state : "");
      return FALSE;
    }
  return bsd_check_optional_text (summary, "the summary", op, error)
         && bsd_store_check_json (self, report, "the report", op, error)
         && bsd_store_run_changed (self,
                                   "UPDATE job_executions SET state = ?2, summary = ?3,"
                                   " report = ?4, finished_at = ?5 WHERE id = ?1",
                                   BSD_ARGS (BSD_INT (job_id), BSD_TEXT (state), BSD_TEXT (summary),
                                             BSD_TEXT (report), BSD_INT (bsd_store_now ())),
                                   op, error, "no job with id %" G_GINT64_FORMAT, job_id);
}

gboolean
bsd_store_set_job_report (BsdStore *self, gint64 job_id, const char *report, GError **error)
{
  const char *op = "adding to a job's report";

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (report != NULL && strlen (report) > BSD_STORE_REPORT_MAX)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: it would be more than %d bytes", op, BSD_STORE_REPORT_MAX);
      return FALSE;
    }
  return bsd_store_check_json (self, report, "the report", op, error)
         && bsd_store_run_changed (self, "UPDATE job_executions SET report = ?2 WHERE id = ?1",
                                   BSD_ARGS (BSD_INT (job_id), BSD_TEXT (report)), op, error,
                                   "no job with id %" G_GINT64_FORMAT, job_id);
}

gboolean
bsd_store_add_job_device_result (BsdStore *self,
                                 gint64 job_id,
                                 const BsdJobDeviceResult *result,
                                 GError **error)
{
  const char *op = "recording a device result";

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (result != NULL, FALSE);

  if (!bsd_check_text (result->status, "the status", 64, op, error)
      || !bsd_check_optional_text (result->reason, "text", op, error)
      || !bsd_check_optional_text (result->device_name, "text", op, error)
      || !bsd_store_check_json (self, result->details, "the details", op, error)
      || !bsd_store_check_job (self, job_id, op, error))
    return FALSE;
  return bsd_store_run (
      self,
      "INSERT INTO job_device_results (job_id, device_id, device_name, status, added,"
      " updated, deleted, skipped, failed, reason, details)"
      " VALUES (?1, (SELECT id FROM devices WHERE id = ?2), ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
      BSD_ARGS (BSD_INT (job_id), BSD_INT (result->device_id), BSD_TEXT (result->device_name),
                BSD_TEXT (result->status), BSD_INT (result->added), BSD_INT (result->updated),
                BSD_INT (result->deleted), BSD_INT (result->skipped), BSD_INT (result->failed),
                BSD_TEXT (result->reason), BSD_TEXT (result->details)),
      op, error);
}

GPtrArray *
bsd_store_list_jobs (BsdStore *self, guint limit, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  return bsd_store_get_rows (self,
                             "SELECT " BSD_JOB_LIST_COLUMNS " FROM job_executions"
                             " ORDER BY id DESC LIMIT ?1",
                             BSD_ARGS (BSD_INT (limit == 0 ? -1 : (gint64)limit)),
                             bsd_job_record_from_row, (GDestroyNotify)bsd_job_record_free,
                             "listing jobs", error);
}

BsdJobRecord *
bsd_store_get_job (BsdStore *self, gint64 job_id, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  return bsd_store_get_row (self, "SELECT " BSD_JOB_COLUMNS " FROM job_executions WHERE id = ?1",
                            BSD_ARGS (BSD_INT (job_id)), bsd_job_record_from_row, "reading a job",
                            error, "no job with id %" G_GINT64_FORMAT, job_id);
}

GPtrArray *
bsd_store_list_job_device_results (BsdStore *self, gint64 job_id, GError **error)
{
  const char *op = "listing device results";

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_store_check_job (self, job_id, op, error))
    return NULL;
  return bsd_store_get_rows (self,
                             "SELECT device_id, device_name, status, added, updated, deleted,"
                             " skipped, failed, reason, details FROM job_device_results"
                             " WHERE job_id = ?1 ORDER BY id",
                             BSD_ARGS (BSD_INT (job_id)), bsd_job_device_result_from_row,
                             (GDestroyNotify)bsd_job_device_result_free, op, error);
}

gboolean
bsd_store_mark_interrupted_jobs (BsdStore *self, guint *count, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  return bsd_store_run_count (self,
                              "UPDATE job_executions SET state = 'interrupted', finished_at = ?1"
                              " WHERE state IN ('queued', 'running')",
                              BSD_ARGS (BSD_INT (bsd_store_now ())), count,
                              "marking interrupted jobs", error);
}

/* -------------------------------------------------------------- reports */

gboolean
bsd_job_state_is_final (const char *state)
{
  static const char *const states[]
      = { "succeeded", "partial", "failed", "cancelled", "interrupted", NULL };

  return state != NULL && g_strv_contains (states, state);
}

/* a job's text is shown on consoles, in the window and over D-Bus: no
 * control characters there but tab and line breaks */
static gboolean
bsd_job_char_allowed (gunichar c)
{
  return !g_unichar_iscntrl (c) || c == '\t' || c == '\n' || c == '\r';
}

static gboolean
bsd_job_text_is_clean (const char *text)
{
  const char *p;

  if (!g_utf8_validate (text, -1, NULL))
    return FALSE;
  for (p = text; *p; p = g_utf8_next_char (p))
    if (!bsd_job_char_allowed (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

char *
bsd_job_text_sanitize (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text != NULL ? text : "", -1);
  GString *clean;
  const char *p;

  if (bsd_job_text_is_clean (valid))
    return g_steal_pointer (&valid);
  clean = g_string_sized_new (strlen (valid));
  for (p = valid; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (bsd_job_char_allowed (c))
        g_string_append_len (clean, p, g_utf8_next_char (p) - p);
      else
        g_string_append_unichar (clean, 0xFFFD);
    }
  return g_string_free (clean, FALSE);
}

/* json-glib writes strings as they are (invalid UTF-8 too) and lets
 * U+001F through unescaped, and a double that is not finite as "nan" */
static void
bsd_job_report_sanitize (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr (GList) names = json_object_get_members (object);
        GList *l;

        for (l = names; l != NULL; l = l->next)
          {
            const char *name = l->data;
            JsonNode *member = json_object_get_member (object, name);
            g_autofree char *clean = NULL;

            bsd_job_report_sanitize (member);
            if (bsd_job_text_is_clean (name))
              continue;
            clean = bsd_job_text_sanitize (name);
            json_object_set_member (object, clean, json_node_ref (member));
            json_object_remove_member (object, name);
          }
        break;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint i;

        for (i = 0; i < json_array_get_length (array); i++)
          bsd_job_report_sanitize (json_array_get_element (array, i));
        break;
      }
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_STRING
          && !bsd_job_text_is_clean (json_node_get_string (node)))
        {
          g_autofree char *clean = bsd_job_text_sanitize (json_node_get_string (node));

          json_node_set_string (node, clean);
        }
      else if (json_node_get_value_type (node) == G_TYPE_DOUBLE
               && !isfinite (json_node_get_double (node)))
        json_node_init_null (node);
      break;
    case JSON_NODE_NULL:
    default:
      break;
    }
}

char *
bsd_job_report_to_text (JsonNode *report)
{
  g_return_val_if_fail (report != NULL, NULL);

  bsd_job_report_sanitize (report);
  return json_to_string (report, FALSE);
}

#define MINIMAL_NOTES_MAX 16
#define MINIMAL_STRING_MAX 1024

static gboolean
is_short_value (JsonNode *node)
{
  return json_node_get_value_type (node) != G_TYPE_STRING
         || strlen (json_node_get_string (node)) <= MINIMAL_STRING_MAX;
}

/* the notes say what happened around the run (the prepare step's): the
 * short ones stay in a minimal report */
static void
add_short_notes (JsonBuilder *builder, JsonArray *notes)
{
  guint i, kept = 0;

  json_builder_set_member_name (builder, "notes");
  json_builder_begin_array (builder);
  for (i = 0; i < json_array_get_length (notes) && kept < MINIMAL_NOTES_MAX; i++)
    {
      JsonNode *note = json_array_get_element (notes, i);

      if (JSON_NODE_HOLDS_VALUE (note) && json_node_get_value_type (note) == G_TYPE_STRING
          && is_short_value (note))
        {
          json_builder_add_value (builder, json_node_copy (note));
          kept++;
        }
    }
  json_builder_end_array (builder);
}

/* what stays of a report that could not be stored: its top-level values
 * (kind, target, summary …, short strings only), its short notes and why */
static JsonNode *
bsd_job_minimal_report (JsonNode *report, const char *state, const char *why)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (report) ? json_node_get_object (report) : NULL;
  g_autoptr (GList) names = object != NULL ? json_object_get_members (object) : NULL;
  GList *l;

  json_builder_begin_object (builder);
  for (l = names; l != NULL; l = l->next)
    {
      JsonNode *member = json_object_get_member (object, l->data);

      if (g_str_equal (l->data, "notes") && JSON_NODE_HOLDS_ARRAY (member))
        {
          add_short_notes (builder, json_node_get_array (member));
          continue;
        }
      /* a huge string may be why the report did not fit */
      if (!JSON_NODE_HOLDS_VALUE (member) || g_str_equal (l->data, "state")
          || !is_short_value (member))
        continue;
      json_builder_set_member_name (builder, l->data);
      json_builder_add_value (builder, json_node_copy (member));
    }
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, state);
  json_builder_set_member_name (builder, "report_error");
  json_builder_add_string_value (builder, why);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

char *
bsd_store_finish_job_report (BsdStore *self,
                             gint64 job_id,
                             const char *state,
                             const char *summary,
                             JsonNode **report,
                             GError **error)
{
  g_autofree char *clean_summary = NULL;
  g_autofree char *text = NULL;
  g_autofree char *why = NULL;
  g_autoptr (GError) refused = NULL;
  JsonNode *minimal;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);
  g_return_val_if_fail (report != NULL && *report != NULL, NULL);

  clean_summary = summary != NULL ? bsd_job_text_sanitize (summary) : NULL;
  text = bsd_job_report_to_text (*report);
  if (strlen (text) > BSD_STORE_REPORT_MAX)
    g_set_error (&refused, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                 "the report is %" G_GSIZE_FORMAT " bytes, more than %d", strlen (text),
                 BSD_STORE_REPORT_MAX);
  else if (bsd_store_finish_job (self, job_id, state, clean_summary, text, &refused))
    return g_steal_pointer (&text);

  /* the row is never left "running" because of its report */
  why = g_strdup_printf ("the report could not be stored: %s", refused->message);
  minimal = bsd_job_minimal_report (*report, state, why);
  g_clear_pointer (&text, g_free);
  text = bsd_job_report_to_text (minimal);
  if (!bsd_store_finish_job (self, job_id, state, clean_summary, text, error))
    {
      json_node_unref (minimal);
      return NULL;
    }
  g_warning ("job %" G_GINT64_FORMAT ": %s; a minimal report was stored instead", job_id, why);
  json_node_unref (*report);
  *report = minimal;
  return g_steal_pointer (&text);
}
