/* bsd-plan-gaps.c — balance gaps: what each device of an area lacks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-plan-private.h"

/* ------------------------------------------------------------------- gaps */

static void
json_add_pin_index (JsonBuilder *builder, const char *pin, const char *index_name, guint index)
{
  json_builder_begin_object (builder);
  bsd_plan_json_text (builder, "pin", pin);
  bsd_json_int (builder, index_name, index);
  json_builder_end_object (builder);
}

/* one gap list: the array @member with at most @max entries (0 = all);
 * "<member>_omitted" counts the rest, "counts" always has them all */
typedef struct
{
  JsonBuilder *builder;
  const char *member;
  guint max;
  guint64 n;
} GapList;

static void
gap_list_begin (GapList *list, JsonBuilder *builder, const char *member, guint max)
{
  *list = (GapList){ builder, member, max, 0 };
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
}

/* counts one entry; TRUE when it is to be written */
static gboolean
gap_list_take (GapList *list)
{
  list->n++;
  return list->max == 0 || list->n <= list->max;
}

/* returns how many entries the list has, written or not */
static guint64
gap_list_end (GapList *list)
{
  json_builder_end_array (list->builder);
  if (list->max != 0 && list->n > list->max)
    {
      g_autofree char *omitted = g_strconcat (list->member, "_omitted", NULL);

      bsd_json_int (list->builder, omitted, list->n - list->max);
    }
  return list->n;
}

/* is (@pin, @index) held anywhere in the area? */
static gboolean
held_anywhere (GPtrArray *devs, const char *pin, BsdPlanItemKind kind, guint index)
{
  for (guint d = 0; d < devs->len; d++)
    {
      DevPin *dp = bsd_plan_dev_holds (g_ptr_array_index (devs, d), pin);

      if (dp != NULL && bsd_plan_dev_pin_item (dp, kind, index) != NULL)
        return TRUE;
    }
  return FALSE;
}

/* the fingers and faces of the area: each (PIN, index) once */
static void
json_add_union (JsonBuilder *builder, GPtrArray *devs, GPtrArray *union_pins)
{
  guint64 union_fingers = 0, union_faces = 0;

  for (guint p = 0; p < union_pins->len; p++)
    {
      const char *pin = g_ptr_array_index (union_pins, p);

      for (guint i = 0; i < BSD_PLAN_N_FINGERS; i++)
        union_fingers += held_anywhere (devs, pin, BSD_PLAN_ITEM_FINGER, i) ? 1 : 0;
      for (guint i = 0; i < BSD_PLAN_N_FACES; i++)
        union_faces += held_anywhere (devs, pin, BSD_PLAN_ITEM_FACE, i) ? 1 : 0;
    }
  json_builder_set_member_name (builder, "union");
  json_builder_begin_object (builder);
  bsd_json_int (builder, "users", union_pins->len);
  bsd_json_int (builder, "fingers", union_fingers);
  bsd_json_int (builder, "faces", union_faces);
  json_builder_end_object (builder);
}

/* "missing_users": the area's PINs @dev does not hold; returns how many */
static guint64
json_add_missing_users (JsonBuilder *builder, Dev *dev, GPtrArray *union_pins, guint max)
{
  GapList list;

  gap_list_begin (&list, builder, "missing_users", max);
  for (guint p = 0; p < union_pins->len; p++)
    {
      const char *pin = g_ptr_array_index (union_pins, p);

      if (bsd_plan_dev_holds (dev, pin) == NULL && gap_list_take (&list))
        bsd_plan_add_text (builder, pin);
    }
  return gap_list_end (&list);
}

/* "missing_fingers" or "missing_faces": what another device of the area
 * holds and @dev lacks; returns how many */
static guint64
json_add_missing_items (JsonBuilder *builder,
                        GPtrArray *devs,
                        Dev *dev,
                        GPtrArray *union_pins,
                        BsdPlanItemKind kind,
                        guint max)
{
  gboolean face = kind == BSD_PLAN_ITEM_FACE;
  guint n_index = face ? BSD_PLAN_N_FACES : BSD_PLAN_N_FINGERS;
  GapList list;

  gap_list_begin (&list, builder, face ? "missing_faces" : "missing_fingers", max);
  /* a device without face support lacks nothing it could hold */
  for (guint p = 0; (!face || dev->snapshot->face_capable) && p < union_pins->len; p++)
    {
      const char *pin = g_ptr_array_index (union_pins, p);
      DevPin *dp = bsd_plan_dev_holds (dev, pin);

      for (guint i = 0; i < n_index; i++)
        if ((dp == NULL || bsd_plan_dev_pin_item (dp, kind, i) == NULL)
            && held_anywhere (devs, pin, kind, i) && gap_list_take (&list))
          json_add_pin_index (builder, pin, face ? "face" : "finger", i);
    }
  return gap_list_end (&list);
}

/* "tombstoned_present": deleted PINs @dev still holds; returns how many */
static guint64
json_add_tombstoned (JsonBuilder *builder, const BsdPlanInput *input, Dev *dev, guint max)
{
  g_autoptr (GPtrArray) tombstoned = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;
  GapList list;

  g_hash_table_iter_init (&iter, dev->pins);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (bsd_plan_is_tombstoned (input, key))
      g_ptr_array_add (tombstoned, key);
  g_ptr_array_sort (tombstoned, bsd_pin_compare_ptr);
  gap_list_begin (&list, builder, "tombstoned_present", max);
  for (guint i = 0; i < tombstoned->len; i++)
    if (gap_list_take (&list))
      bsd_plan_add_text (builder, g_ptr_array_index (tombstoned, i));
  return gap_list_end (&list);
}

/* one device's gaps; returns how many things it lacks or holds too much */
static guint64
json_add_device_gaps (JsonBuilder *builder,
                      const BsdPlanInput *input,
                      GPtrArray *devs,
                      Dev *dev,
                      GPtrArray *union_pins,
                      guint max)
{
  guint64 n_users, n_fingers, n_faces, n_tombstoned;

  json_builder_begin_object (builder);
  bsd_json_int (builder, "device_id", dev->snapshot->device_id);
  bsd_plan_json_text_or_null (builder, "name", dev->snapshot->name);
  bsd_json_bool (builder, "face_capable", dev->snapshot->face_capable);

  n_users = json_add_missing_users (builder, dev, union_pins, max);
  n_fingers = json_add_missing_items (builder, devs, dev, union_pins, BSD_PLAN_ITEM_FINGER, max);
  n_faces = json_add_missing_items (builder, devs, dev, union_pins, BSD_PLAN_ITEM_FACE, max);
  n_tombstoned = json_add_tombstoned (builder, input, dev, max);

  json_builder_set_member_name (builder, "counts");
  json_builder_begin_object (builder);
  bsd_json_int (builder, "missing_users", n_users);
  bsd_json_int (builder, "missing_fingers", n_fingers);
  bsd_json_int (builder, "missing_faces", n_faces);
  bsd_json_int (builder, "tombstoned_present", n_tombstoned);
  json_builder_end_object (builder);
  bsd_json_bool (builder, "complete", n_users + n_fingers + n_faces + n_tombstoned == 0);
  json_builder_end_object (builder);
  return n_users + n_fingers + n_faces + n_tombstoned;
}

JsonNode *
bsd_plan_gaps (const BsdPlanInput *input, GError **error)
{
  return bsd_plan_gaps_full (input, 0, error);
}

JsonNode *
bsd_plan_gaps_full (const BsdPlanInput *input, guint max_items, GError **error)
{
  g_autoptr (GPtrArray) plans = NULL;
  g_autoptr (GPtrArray) devs = NULL;
  g_autoptr (GPtrArray) union_pins = NULL;
  g_autoptr (GArray) unreachable = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  guint64 total_missing = 0;

  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!bsd_plan_validate_input (input, error))
    return NULL;

  plans = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_plan_device_plan_free);
  devs = bsd_plan_index_devices (input, plans);
  union_pins = bsd_plan_build_union (input, devs);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  bsd_json_int (builder, "area_id", input->area_id);
  json_add_union (builder, devs, union_pins);

  json_builder_set_member_name (builder, "devices");
  json_builder_begin_array (builder);
  for (guint d = 0; d < devs->len; d++)
    total_missing += json_add_device_gaps (builder, input, devs, g_ptr_array_index (devs, d),
                                           union_pins, max_items);
  json_builder_end_array (builder);

  unreachable = bsd_plan_sorted_unreachable (input);
  bsd_json_ids (builder, "unreachable", unreachable);
  bsd_json_int (builder, "total_missing", total_missing);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}
