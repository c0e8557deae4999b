/* bsd-plan-json.c — a plan as JSON (PreviewSync, job reports)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-plan-private.h"

/* writes one entry of a list */
typedef void (*JsonAddFunc) (JsonBuilder *builder, gconstpointer item, gpointer user_data);

/* "@member": [ … ] with each of @items written by @add. Lists longer than
 * @max (0 = no limit) are cut; "<member>_omitted" says how many entries
 * were left out. */
static void
json_add_list (JsonBuilder *builder,
               const char *member,
               GPtrArray *items,
               guint max,
               JsonAddFunc add,
               gpointer user_data)
{
  guint n = items->len;

  if (max != 0 && n > max)
    {
      g_autofree char *omitted = g_strconcat (member, "_omitted", NULL);

      bsd_json_int (builder, omitted, n - max);
      n = max;
    }
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    add (builder, g_ptr_array_index (items, i), user_data);
  json_builder_end_array (builder);
}

static void
json_add_user (JsonBuilder *builder, gconstpointer item, gpointer user_data)
{
  const BsdPlanUser *entry = item;
  const ZkUser *user = entry->record;

  json_builder_begin_object (builder);
  bsd_plan_json_text (builder, "pin", entry->pin);
  bsd_json_int (builder, "uid", entry->uid);
  if (user != NULL)
    {
      bsd_plan_json_text (builder, "name", user->name);
      bsd_json_int (builder, "privilege", user->privilege);
      bsd_json_int (builder, "card", user->card);
      bsd_json_int (builder, "group", user->group);
      bsd_json_bool (builder, "has_password", user->password[0] != '\0');
    }
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

typedef struct
{
  const char *index_name;
  GHashTable *hashes; /* GBytes* → its sha256: entries share their source's bytes */
} TemplateJson;

/* the sha256 of @data, computed once per shared GBytes */
static const char *
bytes_hash (GHashTable *hashes, GBytes *data)
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
json_add_template (JsonBuilder *builder, gconstpointer item, gpointer user_data)
{
  const BsdPlanTemplate *entry = item;
  TemplateJson *json = user_data;
  const char *hash = bytes_hash (json->hashes, entry->data);

  json_builder_begin_object (builder);
  bsd_plan_json_text (builder, "pin", entry->pin);
  bsd_json_int (builder, "uid", entry->uid);
  bsd_json_int (builder, json->index_name, entry->index);
  bsd_json_int (builder, "size", (gint64)bsd_plan_bytes_size (entry->data));
  bsd_plan_json_text (builder, "sha256", hash);
  bsd_json_int (builder, "source", entry->source_device);
  json_builder_end_object (builder);
}

static void
json_add_photo (JsonBuilder *builder, gconstpointer item, gpointer user_data)
{
  const BsdPlanPhoto *entry = item;

  json_builder_begin_object (builder);
  bsd_plan_json_text (builder, "pin", entry->pin);
  bsd_json_int (builder, "uid", entry->uid);
  bsd_json_int (builder, "size", (gint64)bsd_plan_bytes_size (entry->data));
  bsd_plan_json_text (builder, "sha256", bytes_hash (user_data, entry->data));
  bsd_json_int (builder, "source", entry->source_device);
  bsd_plan_json_text (builder, "text",
                      "comparison photo sent for extraction: the device makes a face of its own "
                      "version");
  json_builder_end_object (builder);
}

static void
json_add_skip (JsonBuilder *builder, gconstpointer item, gpointer user_data)
{
  const BsdPlanSkip *skip = item;

  json_builder_begin_object (builder);
  bsd_plan_json_text (builder, "kind", bsd_plan_item_kind_to_string (skip->kind));
  bsd_plan_json_text (builder, "pin", skip->pin);
  bsd_json_int (builder, "uid", skip->uid);
  bsd_json_int (builder, "index", skip->index);
  bsd_plan_json_text (builder, "reason", bsd_skip_reason_to_string (skip->reason));
  bsd_plan_json_text (builder, "text", skip->text);
  json_builder_end_object (builder);
}

static void
json_add_counts (JsonBuilder *builder, const char *member, const BsdPlanCounts *counts)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_object (builder);
  bsd_json_int (builder, "users_add", counts->users_add);
  bsd_json_int (builder, "users_update", counts->users_update);
  bsd_json_int (builder, "users_delete", counts->users_delete);
  bsd_json_int (builder, "templates_add", counts->templates_add);
  bsd_json_int (builder, "faces_add", counts->faces_add);
  bsd_json_int (builder, "photos_add", counts->photos_add);
  bsd_json_int (builder, "skips", counts->skips);
  json_builder_end_object (builder);
}

static void
json_add_capacity (JsonBuilder *builder, const char *member, const BsdCapacityCheck *check)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_object (builder);
  bsd_json_int (builder, "current", (gint64)MIN (check->current, (guint64)G_MAXINT64));
  bsd_json_int (builder, "after", (gint64)MIN (check->after, (guint64)G_MAXINT64));
  bsd_json_int (builder, "capacity", (gint64)MIN (check->capacity, (guint64)G_MAXINT64));
  bsd_json_bool (builder, "exceeded", check->exceeded);
  json_builder_end_object (builder);
}

static void
json_add_device (
    JsonBuilder *builder, const BsdDevicePlan *device, guint primary, GHashTable *hashes, guint max)
{
  TemplateJson fingers = { "finger", hashes };
  TemplateJson faces = { "face", hashes };

  json_builder_begin_object (builder);
  bsd_json_int (builder, "device_id", device->device_id);
  bsd_plan_json_text_or_null (builder, "name", device->name);
  bsd_json_bool (builder, "primary", device->device_id == primary);
  bsd_plan_json_text (builder, "status", device->failed ? "failed" : "ok");
  if (device->failed)
    bsd_plan_json_text (builder, "failure", device->failure);
  json_add_counts (builder, "counts", &device->counts);
  json_add_counts (builder, "wanted", &device->wanted);
  json_builder_set_member_name (builder, "capacity");
  json_builder_begin_object (builder);
  json_add_capacity (builder, "users", &device->users);
  json_add_capacity (builder, "fingers", &device->fingers);
  json_add_capacity (builder, "faces", &device->faces);
  json_builder_end_object (builder);
  json_add_list (builder, "users_add", device->users_add, max, json_add_user, NULL);
  json_add_list (builder, "users_update", device->users_update, max, json_add_user, NULL);
  json_add_list (builder, "users_delete", device->users_delete, max, json_add_user, NULL);
  json_add_list (builder, "templates_add", device->templates_add, max, json_add_template, &fingers);
  json_add_list (builder, "faces_add", device->faces_add, max, json_add_template, &faces);
  json_add_list (builder, "photos_add", device->photos_add, max, json_add_photo, hashes);
  json_add_list (builder, "skips", device->skips, max, json_add_skip, NULL);
  json_builder_end_object (builder);
}

JsonNode *
bsd_plan_to_json (BsdPlan *plan)
{
  return bsd_plan_to_json_full (plan, 0);
}

static void
json_add_conflict (JsonBuilder *builder, gconstpointer item, gpointer user_data)
{
  const BsdPlanConflict *conflict = item;

  json_builder_begin_object (builder);
  bsd_plan_json_text (builder, "pin", conflict->pin);
  bsd_plan_json_text (builder, "kind", bsd_plan_item_kind_to_string (conflict->kind));
  bsd_plan_json_text (builder, "field", conflict->field);
  bsd_json_int (builder, "index", conflict->index);
  json_builder_set_member_name (builder, "values");
  json_builder_begin_array (builder);
  for (guint j = 0; j < conflict->values->len; j++)
    {
      BsdConflictValue *value = g_ptr_array_index (conflict->values, j);

      json_builder_begin_object (builder);
      bsd_json_int (builder, "device_id", value->device_id);
      bsd_plan_json_text (builder, "value", value->value);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  bsd_plan_json_text (builder, "winner_value", conflict->winner_value);
  bsd_json_int (builder, "winner_device", conflict->winner_device);
  bsd_plan_json_text (builder, "reason", bsd_winner_reason_to_string (conflict->reason));
  json_builder_end_object (builder);
}

static void
json_add_roster_update (JsonBuilder *builder, gconstpointer item, gpointer user_data)
{
  const BsdPerson *person = item;

  json_builder_begin_object (builder);
  bsd_plan_json_text (builder, "pin", person->pin);
  bsd_plan_json_text (builder, "name", person->name);
  bsd_json_int (builder, "privilege", person->privilege);
  bsd_json_int (builder, "card", person->card);
  bsd_json_int (builder, "group", person->group);
  bsd_json_bool (builder, "has_password", person->password && person->password[0]);
  bsd_json_bool (builder, "central_edit", person->central_edit);
  json_builder_end_object (builder);
}

static void
json_add_pin (JsonBuilder *builder, gconstpointer item, gpointer user_data)
{
  bsd_plan_add_text (builder, item);
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
      total->photos_add += device->counts.photos_add;
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

  g_return_val_if_fail (plan != NULL, NULL);

  json_builder_begin_object (builder);
  bsd_json_int (builder, "area_id", plan->area_id);
  bsd_plan_json_text_or_null (builder, "area_name", plan->area_name);
  bsd_json_int (builder, "primary", plan->primary_device_id);
  failed = json_add_devices (builder, plan, max_items, &total);
  bsd_json_ids (builder, "unreachable", plan->unreachable);
  json_add_list (builder, "conflicts", plan->conflicts, max_items, json_add_conflict, NULL);
  json_add_list (builder, "roster_updates", plan->roster_updates, max_items, json_add_roster_update,
                 NULL);
  json_add_list (builder, "deleted_pins", plan->deleted_pins, max_items, json_add_pin, NULL);
  json_add_counts (builder, "totals", &total);
  bsd_json_int (builder, "failed_devices", failed);
  bsd_json_int (builder, "conflict_count", plan->conflicts->len);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}
