/* bsd-plan-json.c — a plan as JSON (PreviewSync, job reports)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-plan-private.h"

#include <string.h>

/* ------------------------------------------------------------------- JSON */

static void
json_add_user_record (JsonBuilder *builder, const ZkUser *user)
{
  g_autofree char *name = bsd_plan_sanitize_text (user ? user->name : "");

  if (user == NULL)
    return;
  json_builder_set_member_name (builder, "name");
  bsd_plan_add_text (builder, name);
  json_builder_set_member_name (builder, "privilege");
  json_builder_add_int_value (builder, user->privilege);
  json_builder_set_member_name (builder, "card");
  json_builder_add_int_value (builder, user->card);
  json_builder_set_member_name (builder, "group");
  json_builder_add_int_value (builder, user->group);
  json_builder_set_member_name (builder, "has_password");
  json_builder_add_boolean_value (builder, user->password[0] != '\0');
}

/* lists longer than @max (0 = no limit) are cut; "<member>_omitted" says
 * how many entries were left out */
static guint
list_limit (JsonBuilder *builder, const char *member, guint len, guint max)
{
  if (max == 0 || len <= max)
    return len;
  {
    g_autofree char *name = g_strconcat (member, "_omitted", NULL);

    json_builder_set_member_name (builder, name);
    json_builder_add_int_value (builder, len - max);
  }
  return max;
}

static void
json_add_users (JsonBuilder *builder, const char *member, GPtrArray *users, guint max)
{
  guint n = list_limit (builder, member, users->len, max);

  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      BsdPlanUser *entry = g_ptr_array_index (users, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "pin");
      bsd_plan_add_text (builder, entry->pin);
      json_builder_set_member_name (builder, "uid");
      json_builder_add_int_value (builder, entry->uid);
      json_add_user_record (builder, entry->record);
      if (entry->changed != BSD_USER_FIELD_NONE)
        {
          json_builder_set_member_name (builder, "changed");
          json_builder_begin_array (builder);
          for (guint f = 0; f < N_FIELDS; f++)
            if (entry->changed & bsd_plan_field_flags[f])
              bsd_plan_add_text (builder, bsd_plan_field_names[f]);
          json_builder_end_array (builder);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

/* entries share their source's GBytes: hash each one once */
static const char *
cached_sha256 (GHashTable *hashes, GBytes *data)
{
  char *hash = g_hash_table_lookup (hashes, data);

  if (hash == NULL)
    {
      hash = bsd_plan_bytes_sha256 (data);
      g_hash_table_insert (hashes, data, hash);
    }
  return hash;
}

static void
json_add_templates (JsonBuilder *builder,
                    const char *member,
                    const char *index_name,
                    GPtrArray *templates,
                    GHashTable *hashes,
                    guint max)
{
  guint n = list_limit (builder, member, templates->len, max);

  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      BsdPlanTemplate *entry = g_ptr_array_index (templates, i);
      const char *hash = cached_sha256 (hashes, entry->data);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "pin");
      bsd_plan_add_text (builder, entry->pin);
      json_builder_set_member_name (builder, "uid");
      json_builder_add_int_value (builder, entry->uid);
      json_builder_set_member_name (builder, index_name);
      json_builder_add_int_value (builder, entry->index);
      json_builder_set_member_name (builder, "size");
      json_builder_add_int_value (builder, (gint64)bsd_plan_bytes_size (entry->data));
      json_builder_set_member_name (builder, "sha256");
      bsd_plan_add_text (builder, hash);
      json_builder_set_member_name (builder, "source");
      json_builder_add_int_value (builder, entry->source_device);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
json_add_counts (JsonBuilder *builder, const char *member, const BsdPlanCounts *counts)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "users_add");
  json_builder_add_int_value (builder, counts->users_add);
  json_builder_set_member_name (builder, "users_update");
  json_builder_add_int_value (builder, counts->users_update);
  json_builder_set_member_name (builder, "users_delete");
  json_builder_add_int_value (builder, counts->users_delete);
  json_builder_set_member_name (builder, "templates_add");
  json_builder_add_int_value (builder, counts->templates_add);
  json_builder_set_member_name (builder, "faces_add");
  json_builder_add_int_value (builder, counts->faces_add);
  json_builder_set_member_name (builder, "skips");
  json_builder_add_int_value (builder, counts->skips);
  json_builder_end_object (builder);
}

static void
json_add_capacity (JsonBuilder *builder, const char *member, const BsdCapacityCheck *check)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "current");
  json_builder_add_int_value (builder, (gint64)MIN (check->current, (guint64)G_MAXINT64));
  json_builder_set_member_name (builder, "after");
  json_builder_add_int_value (builder, (gint64)MIN (check->after, (guint64)G_MAXINT64));
  json_builder_set_member_name (builder, "capacity");
  json_builder_add_int_value (builder, (gint64)MIN (check->capacity, (guint64)G_MAXINT64));
  json_builder_set_member_name (builder, "exceeded");
  json_builder_add_boolean_value (builder, check->exceeded);
  json_builder_end_object (builder);
}

static void
json_add_device (
    JsonBuilder *builder, const BsdDevicePlan *device, guint primary, GHashTable *hashes, guint max)
{
  guint n_skips;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "device_id");
  json_builder_add_int_value (builder, device->device_id);
  json_builder_set_member_name (builder, "name");
  if (device->name != NULL)
    {
      g_autofree char *name = bsd_plan_sanitize_text (device->name);

      bsd_plan_add_text (builder, name);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "primary");
  json_builder_add_boolean_value (builder, device->device_id == primary);
  json_builder_set_member_name (builder, "status");
  bsd_plan_add_text (builder, device->failed ? "failed" : "ok");
  if (device->failed)
    {
      json_builder_set_member_name (builder, "failure");
      bsd_plan_add_text (builder, device->failure);
    }
  json_add_counts (builder, "counts", &device->counts);
  json_add_counts (builder, "wanted", &device->wanted);
  json_builder_set_member_name (builder, "capacity");
  json_builder_begin_object (builder);
  json_add_capacity (builder, "users", &device->users);
  json_add_capacity (builder, "fingers", &device->fingers);
  json_add_capacity (builder, "faces", &device->faces);
  json_builder_end_object (builder);
  json_add_users (builder, "users_add", device->users_add, max);
  json_add_users (builder, "users_update", device->users_update, max);
  json_add_users (builder, "users_delete", device->users_delete, max);
  json_add_templates (builder, "templates_add", "finger", device->templates_add, hashes, max);
  json_add_templates (builder, "faces_add", "face", device->faces_add, hashes, max);

  n_skips = list_limit (builder, "skips", device->skips->len, max);
  json_builder_set_member_name (builder, "skips");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n_skips; i++)
    {
      BsdPlanSkip *skip = g_ptr_array_index (device->skips, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "kind");
      bsd_plan_add_text (builder, bsd_plan_item_kind_to_string (skip->kind));
      json_builder_set_member_name (builder, "pin");
      bsd_plan_add_text (builder, skip->pin);
      json_builder_set_member_name (builder, "uid");
      json_builder_add_int_value (builder, skip->uid);
      json_builder_set_member_name (builder, "index");
      json_builder_add_int_value (builder, skip->index);
      json_builder_set_member_name (builder, "reason");
      bsd_plan_add_text (builder, bsd_skip_reason_to_string (skip->reason));
      json_builder_set_member_name (builder, "text");
      bsd_plan_add_text (builder, skip->text);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

JsonNode *
bsd_plan_to_json (BsdPlan *plan)
{
  return bsd_plan_to_json_full (plan, 0);
}

static void
json_add_conflict (JsonBuilder *builder, const BsdPlanConflict *conflict)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "pin");
  bsd_plan_add_text (builder, conflict->pin);
  json_builder_set_member_name (builder, "kind");
  bsd_plan_add_text (builder, bsd_plan_item_kind_to_string (conflict->kind));
  json_builder_set_member_name (builder, "field");
  bsd_plan_add_text (builder, conflict->field);
  json_builder_set_member_name (builder, "index");
  json_builder_add_int_value (builder, conflict->index);
  json_builder_set_member_name (builder, "values");
  json_builder_begin_array (builder);
  for (guint j = 0; j < conflict->values->len; j++)
    {
      BsdConflictValue *value = g_ptr_array_index (conflict->values, j);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "device_id");
      json_builder_add_int_value (builder, value->device_id);
      json_builder_set_member_name (builder, "value");
      bsd_plan_add_text (builder, value->value);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "winner_value");
  bsd_plan_add_text (builder, conflict->winner_value);
  json_builder_set_member_name (builder, "winner_device");
  json_builder_add_int_value (builder, conflict->winner_device);
  json_builder_set_member_name (builder, "reason");
  bsd_plan_add_text (builder, bsd_winner_reason_to_string (conflict->reason));
  json_builder_end_object (builder);
}

static void
json_add_roster_update (JsonBuilder *builder, const BsdPerson *person)
{
  g_autofree char *name = bsd_plan_sanitize_text (person->name);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "pin");
  bsd_plan_add_text (builder, person->pin);
  json_builder_set_member_name (builder, "name");
  bsd_plan_add_text (builder, name);
  json_builder_set_member_name (builder, "privilege");
  json_builder_add_int_value (builder, person->privilege);
  json_builder_set_member_name (builder, "card");
  json_builder_add_int_value (builder, person->card);
  json_builder_set_member_name (builder, "group");
  json_builder_add_int_value (builder, person->group);
  json_builder_set_member_name (builder, "has_password");
  json_builder_add_boolean_value (builder, person->password && person->password[0]);
  json_builder_set_member_name (builder, "central_edit");
  json_builder_add_boolean_value (builder, person->central_edit);
  json_builder_end_object (builder);
}

/* the "devices" array; @total gets the sum of their counts. Returns how
 * many failed. */
static guint
json_add_devices (JsonBuilder *builder, BsdPlan *plan, guint max_items, BsdPlanCounts *total)
{
  g_autoptr (GHashTable) hashes
      = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  guint failed = 0;

  json_builder_set_member_name (builder, "devices");
  json_builder_begin_array (builder);
  for (guint i = 0; i < plan->devices->len; i++)
    {
      BsdDevicePlan *device = g_ptr_array_index (plan->devices, i);

      json_add_device (builder, device, plan->primary_device_id, hashes, max_items);
      total->users_add += device->counts.users_add;
      total->users_update += device->counts.users_update;
      total->users_delete += device->counts.users_delete;
      total->templates_add += device->counts.templates_add;
      total->faces_add += device->counts.faces_add;
      total->skips += device->counts.skips;
      failed += device->failed ? 1 : 0;
    }
  json_builder_end_array (builder);
  return failed;
}

JsonNode *
bsd_plan_to_json_full (BsdPlan *plan, guint max_items)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  BsdPlanCounts total = { 0 };
  guint failed;
  guint n;

  g_return_val_if_fail (plan != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "area_id");
  json_builder_add_int_value (builder, plan->area_id);
  json_builder_set_member_name (builder, "area_name");
  if (plan->area_name != NULL)
    {
      g_autofree char *name = bsd_plan_sanitize_text (plan->area_name);

      bsd_plan_add_text (builder, name);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "primary");
  json_builder_add_int_value (builder, plan->primary_device_id);

  failed = json_add_devices (builder, plan, max_items, &total);

  json_builder_set_member_name (builder, "unreachable");
  json_builder_begin_array (builder);
  for (guint i = 0; i < plan->unreachable->len; i++)
    json_builder_add_int_value (builder, g_array_index (plan->unreachable, guint, i));
  json_builder_end_array (builder);

  n = list_limit (builder, "conflicts", plan->conflicts->len, max_items);
  json_builder_set_member_name (builder, "conflicts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    json_add_conflict (builder, g_ptr_array_index (plan->conflicts, i));
  json_builder_end_array (builder);

  n = list_limit (builder, "roster_updates", plan->roster_updates->len, max_items);
  json_builder_set_member_name (builder, "roster_updates");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    json_add_roster_update (builder, g_ptr_array_index (plan->roster_updates, i));
  json_builder_end_array (builder);

  n = list_limit (builder, "deleted_pins", plan->deleted_pins->len, max_items);
  json_builder_set_member_name (builder, "deleted_pins");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    bsd_plan_add_text (builder, g_ptr_array_index (plan->deleted_pins, i));
  json_builder_end_array (builder);

  json_add_counts (builder, "totals", &total);
  json_builder_set_member_name (builder, "failed_devices");
  json_builder_add_int_value (builder, failed);
  json_builder_set_member_name (builder, "conflict_count");
  json_builder_add_int_value (builder, plan->conflicts->len);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}
