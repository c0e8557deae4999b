/* bsd-engine-report.c — a run's outcome: its report, summary and per-device results
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-engine-private.h"
#include "bsd-json.h"

#include <string.h>

void
bsd_job_outcome_free (BsdJobOutcome *outcome)
{
  if (outcome == NULL)
    return;
  g_free (outcome->state);
  g_free (outcome->summary);
  g_clear_pointer (&outcome->report, json_node_unref);
  g_free (outcome->report_text);
  g_clear_pointer (&outcome->device_results, g_ptr_array_unref);
  g_free (outcome);
}

static void
removal_free (Removal *removal)
{
  g_free (removal->pin);
  g_free (removal->deleted_by);
  g_free (removal->outcome);
  g_free (removal->reason);
  g_free (removal->text);
  g_free (removal);
}

/* "PIN 2, deleted on 2026-12-01 10:04 by uid:1000, found again on Gate C — removed" */
void
bsd_engine_add_removal (DeviceCtx *dev,
                        const BsdTombstone *tombstone,
                        gboolean again,
                        gboolean verified,
                        const char *outcome,
                        const char *reason)
{
  Removal *removal = g_new0 (Removal, 1);
  g_autofree char *deletion = bsd_tombstone_describe (tombstone);

  removal->pin = g_strdup (tombstone->pin);
  removal->deleted_at = tombstone->created_at;
  removal->deleted_by = g_strdup (tombstone->created_by);
  removal->verified = verified;
  removal->outcome = g_strdup (outcome);
  removal->reason = g_strdup (reason);
  removal->text
      = g_strdup_printf ("%s, found %son %s — %s%s%s", deletion, again ? "again " : "",
                         dev->endpoint->name, outcome, reason ? ": " : "", reason ? reason : "");
  if (dev->removals == NULL)
    dev->removals = g_ptr_array_new_with_free_func ((GDestroyNotify)removal_free);
  g_ptr_array_add (dev->removals, removal);
  g_message ("%s", removal->text);
}

/* what a log collection read and why: "mode" full, tail (only what
 * followed the newest record collected before) or unchanged */
static void
add_attendance_report (JsonBuilder *b, DeviceCtx *dev)
{
  const BsdLogRead *logs = &dev->logs;

  json_builder_set_member_name (b, "attendance");
  json_builder_begin_object (b);
  bsd_json_str (b, "mode", logs->unchanged ? "unchanged" : logs->tail ? "tail" : "full");
  if (logs->why_full)
    bsd_json_str (b, "full_read_reason", logs->why_full);
  bsd_json_uint (b, "device_records", logs->log_count);
  bsd_json_uint (b, "read", dev->attendance_read);
  bsd_json_uint (b, "inserted", dev->logs_inserted);
  bsd_json_uint (b, "duplicates", dev->logs_duplicates);
  bsd_json_bool (b, "unchanged", logs->unchanged);
  bsd_json_bool (b, "cleared", dev->logs_cleared);
  bsd_json_str (b, "ranged_reads", bsd_ranged_reads_to_string (logs->ranged));
  if (logs->ranged_note)
    bsd_json_str (b, "ranged_reads_note", logs->ranged_note);
  json_builder_end_object (b);
}

/* "traffic": {"read"|"write"|"verify": {"requests", "bytes_out", "bytes_in"}} */
static void
add_traffic_report (JsonBuilder *b, DeviceCtx *dev)
{
  const BsdApplyResult *a = dev->applied ? &dev->apply : NULL;
  const struct
  {
    const char *name;
    const BsdTraffic *traffic;
  } parts[] = {
    { "read", &dev->read },
    { "write", a ? &a->write : NULL },
    { "verify", a ? &a->check : NULL },
  };

  json_builder_set_member_name (b, "traffic");
  json_builder_begin_object (b);
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      if (parts[i].traffic == NULL || parts[i].traffic->started_us == 0)
        continue;
      json_builder_set_member_name (b, parts[i].name);
      json_builder_begin_object (b);
      bsd_json_int (b, "requests", (gint64)parts[i].traffic->requests);
      bsd_json_int (b, "bytes_out", (gint64)parts[i].traffic->bytes_out);
      bsd_json_int (b, "bytes_in", (gint64)parts[i].traffic->bytes_in);
      /* the timeline: from and to, in ms since the job started */
      bsd_json_int (b, "from_ms", (parts[i].traffic->started_us - dev->run->started) / 1000);
      bsd_json_int (b, "to_ms", (parts[i].traffic->ended_us - dev->run->started) / 1000);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
}

static void
add_device_report (JsonBuilder *b, DeviceCtx *dev)
{
  BsdApplyResult *a = dev->applied ? &dev->apply : NULL;
  guint i;

  json_builder_begin_object (b);
  bsd_json_uint (b, "id", dev->endpoint->device_id);
  bsd_json_str (b, "name", dev->endpoint->name);
  bsd_json_str (b, "serial", dev->serial);
  if (dev->serial_was)
    {
      json_builder_set_member_name (b, "serial_changed");
      json_builder_begin_object (b);
      bsd_json_str (b, "from", dev->serial_was);
      bsd_json_str (b, "to", dev->serial);
      json_builder_end_object (b);
    }
  bsd_json_str (b, "status", dev->status);
  bsd_json_str (b, "reason", dev->reason);
  if (dev->contact.have_clock)
    {
      bsd_json_int (b, "clock_offset_s", dev->contact.clock_offset);
      bsd_json_bool (b, "clock_set", dev->clock_set);
      if (dev->run->read_only)
        bsd_json_bool (b, "would_set_clock",
                       bsd_engine_clock_needs_setting (dev->run, &dev->contact));
    }
  if (dev->have_read)
    {
      json_builder_set_member_name (b, "read");
      json_builder_begin_object (b);
      bsd_json_uint (b, "users", dev->n_read_users);
      bsd_json_uint (b, "fingerprints", dev->n_read_fingers);
      bsd_json_uint (b, "faces", dev->n_read_faces);
      bsd_json_bool (b, "fingerprints_from_cache", dev->group && !dev->read_fingers);
      json_builder_end_object (b);
    }
  if (a)
    {
      bsd_json_uint (b, "users_added", a->users_added);
      bsd_json_uint (b, "users_updated", a->users_updated);
      bsd_json_uint (b, "users_deleted", a->users_deleted);
      bsd_json_uint (b, "fingerprints_added", a->templates_added);
      bsd_json_uint (b, "faces_added", a->faces_added);
      /* how the written templates were checked, and why in full */
      bsd_json_str (b, "fingerprints_verified", bsd_verify_mode_to_string (a->verify));
      if (a->verify_why)
        bsd_json_str (b, "fingerprints_verified_why", a->verify_why);
      /* a device that refuses every write fails every item: list a few */
      bsd_json_uint (b, "failures_total", a->failures->len);
      json_builder_set_member_name (b, "failures");
      json_builder_begin_array (b);
      for (i = 0; i < MIN (a->failures->len, BSD_ENGINE_REPORT_MAX_ITEMS); i++)
        {
          BsdItemFailure *f = a->failures->pdata[i];

          json_builder_begin_object (b);
          bsd_json_str (b, "kind", bsd_plan_item_kind_to_string (f->kind));
          bsd_json_str (b, "pin", f->pin);
          if (f->index >= 0)
            bsd_json_uint (b, "index", (guint)f->index);
          bsd_json_str (b, "action", f->action);
          bsd_json_str (b, "reason", f->reason);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  if (dev->have_attendance)
    add_attendance_report (b, dev);
  if (dev->group)
    add_traffic_report (b, dev);
  if (dev->warnings && dev->warnings->len > 0)
    {
      json_builder_set_member_name (b, "warnings");
      json_builder_begin_array (b);
      for (i = 0; i < MIN (dev->warnings->len, 100); i++)
        json_builder_add_string_value (b, dev->warnings->pdata[i]);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
}

/* "removals": every deleted PIN found on a device, across the run */
static void
add_removals_report (JsonBuilder *b, Run *run)
{
  json_builder_set_member_name (b, "removals");
  json_builder_begin_array (b);
  for (guint i = 0; i < run->devices->len; i++)
    {
      DeviceCtx *dev = run->devices->pdata[i];

      for (guint j = 0; dev->removals && j < dev->removals->len; j++)
        {
          Removal *r = dev->removals->pdata[j];

          json_builder_begin_object (b);
          bsd_json_str (b, "pin", r->pin);
          bsd_json_int (b, "deleted_at", r->deleted_at);
          bsd_json_str (b, "deleted_by", r->deleted_by);
          bsd_json_uint (b, "device_id", dev->endpoint->device_id);
          bsd_json_str (b, "device", dev->endpoint->name);
          bsd_json_str (b, "outcome", r->outcome);
          bsd_json_bool (b, "verified", r->verified);
          bsd_json_str (b, "reason", r->reason);
          bsd_json_str (b, "text", r->text);
          json_builder_end_object (b);
        }
    }
  json_builder_end_array (b);
}

static guint
count_status (Run *run, const char *status)
{
  guint n = 0, i;

  for (i = 0; i < run->devices->len; i++)
    {
      DeviceCtx *dev = run->devices->pdata[i];

      n += g_strcmp0 (dev->status, status) == 0;
    }
  return n;
}

/* each device's result row, for the job's owner to record */
static GPtrArray *
run_device_results (Run *run)
{
  GPtrArray *results
      = g_ptr_array_new_full (run->devices->len, (GDestroyNotify)bsd_job_device_result_free);
  guint i;

  for (i = 0; i < run->devices->len; i++)
    {
      DeviceCtx *dev = run->devices->pdata[i];
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) node = NULL;
      BsdJobDeviceResult *r = g_new0 (BsdJobDeviceResult, 1);

      add_device_report (b, dev);
      node = json_builder_get_root (b);
      r->details = bsd_job_report_to_text (node);
      r->reason = dev->reason ? bsd_job_text_sanitize (dev->reason) : NULL;
      r->device_id = dev->endpoint->device_id;
      r->device_name = g_strdup (dev->endpoint->name);
      r->status = g_strdup (dev->status ? dev->status : "skipped");
      if (dev->applied)
        {
          r->added = dev->apply.users_added + dev->apply.templates_added + dev->apply.faces_added;
          r->updated = dev->apply.users_updated;
          r->deleted = dev->apply.users_deleted;
          r->failed = dev->apply.failures->len;
        }
      else if (dev->have_attendance)
        r->added = dev->logs_inserted;
      r->skipped = dev->skips;
      g_ptr_array_add (results, r);
    }
  return results;
}

/* what a job that only read left undone that a sync would do besides its
 * plan: set clocks ("set the clock of A, +3600 s") */
static GPtrArray *
run_would_also (Run *run)
{
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);
  guint i;

  for (i = 0; run->read_only && i < run->devices->len; i++)
    {
      DeviceCtx *dev = run->devices->pdata[i];

      if (bsd_engine_clock_needs_setting (run, &dev->contact))
        g_ptr_array_add (texts, g_strdup_printf ("set the clock of %s, %+" G_GINT64_FORMAT " s",
                                                 dev->endpoint->name, dev->contact.clock_offset));
    }
  return texts;
}

static char *
run_state (Run *run)
{
  guint ok = count_status (run, "ok"), partial = count_status (run, "partial");
  guint failed = count_status (run, "failed"), unreachable = count_status (run, "unreachable");
  guint pending = count_status (run, "pending");

  if (g_cancellable_is_cancelled (run->cancellable) || count_status (run, "cancelled") > 0)
    return g_strdup ("cancelled");
  if (run->devices->len > 0 && ok + partial + pending == 0 && failed + unreachable > 0)
    return g_strdup ("failed");
  if (partial + failed + unreachable + pending > 0)
    return g_strdup ("partial");
  return g_strdup ("succeeded");
}

/* "2 of 3 devices ok, 1 unreachable; a sync would also …" */
static char *
run_summary (Run *run, GPtrArray *would_also)
{
  static const char *const others[]
      = { "partial", "pending", "failed", "unreachable", "cancelled" };
  GString *s;

  if (run->devices->len == 0)
    return g_strdup ("no devices to work on");
  s = g_string_new (NULL);
  g_string_append_printf (s, "%u of %u devices ok", count_status (run, "ok"), run->devices->len);
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    {
      guint n = count_status (run, others[i]);

      if (n)
        g_string_append_printf (s, ", %u %s", n, others[i]);
    }
  if (would_also->len > 0)
    {
      g_autofree char *joined = NULL;

      g_ptr_array_add (would_also, NULL);
      joined = g_strjoinv ("; ", (char **)would_also->pdata);
      g_ptr_array_set_size (would_also, would_also->len - 1);
      g_string_append_printf (s, "; a sync would also %s", joined);
    }
  return g_string_free (s, FALSE);
}

static void
add_json_member (JsonBuilder *b, const char *key, JsonNode *node)
{
  if (node == NULL)
    return;
  json_builder_set_member_name (b, key);
  json_builder_add_value (b, json_node_copy (node));
}

/* "areas": each group's plan and gaps */
static void
add_areas_report (JsonBuilder *b, Run *run)
{
  json_builder_set_member_name (b, "areas");
  json_builder_begin_array (b);
  for (guint i = 0; i < run->groups->len; i++)
    {
      Group *g = run->groups->pdata[i];

      json_builder_begin_object (b);
      if (g->area_id)
        {
          bsd_json_uint (b, "id", g->area_id);
          bsd_json_str (b, "name", g->area_name);
        }
      else
        bsd_json_str (b, "individual", g->area_name);
      if (g->plan_json)
        bsd_json_int (b, "primary", g->primary_device_id);
      add_json_member (b, "plan", g->plan_json);
      add_json_member (b, "gaps_before", g->gaps_before);
      add_json_member (b, "gaps_after", g->gaps_after);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static JsonNode *
run_report (Run *run, const BsdJobOutcome *outcome, GPtrArray *would_also)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *target = bsd_operation_target (run->op);
  guint i;

  json_builder_begin_object (b);
  bsd_json_str (b, "kind", bsd_op_kind_to_string (run->op->kind));
  bsd_json_str (b, "target", target);
  bsd_json_str (b, "trigger", run->op->trigger ? run->op->trigger : "scheduler");
  bsd_json_str (b, "state", outcome->state);
  bsd_json_str (b, "summary", outcome->summary);
  bsd_json_int (b, "duration_ms", (g_get_monotonic_time () - run->started) / 1000);
  if (run->op->pin)
    bsd_json_str (b, "pin", run->op->pin);
  if (run->read_only)
    {
      json_builder_set_member_name (b, "would_also");
      json_builder_begin_array (b);
      for (i = 0; i < would_also->len; i++)
        json_builder_add_string_value (b, would_also->pdata[i]);
      json_builder_end_array (b);
    }
  if (run->groups->len > 0)
    add_areas_report (b, run);
  add_removals_report (b, run);
  json_builder_set_member_name (b, "devices");
  json_builder_begin_array (b);
  for (i = 0; i < run->devices->len; i++)
    add_device_report (b, run->devices->pdata[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* the outcome carries what the job's row takes: the engine writes no job row */
void
bsd_engine_finish_run (Run *run)
{
  BsdJobOutcome *outcome = g_new0 (BsdJobOutcome, 1);
  g_autoptr (GPtrArray) would_also = run_would_also (run);

  outcome->state = run_state (run);
  outcome->summary = run_summary (run, would_also);
  outcome->report = run_report (run, outcome, would_also);
  outcome->job_id = run->job_id;
  outcome->device_results = run_device_results (run);

  run->steps_done = run->steps_total;
  bsd_engine_progress (run, outcome->summary);
  g_task_return_pointer (run->task, outcome, (GDestroyNotify)bsd_job_outcome_free);
  g_clear_object (&run->task);
}
