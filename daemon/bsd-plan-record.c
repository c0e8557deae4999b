/* bsd-plan-record.c — the planner: the winning record of each PIN and its conflicts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-plan-private.h"

#include <string.h>

/* ------------------------------------------------------- winning records */

void
bsd_plan_record_clear (Record *record)
{
  g_free (record->name);
  g_free (record->password);
}

const char *const bsd_plan_field_names[N_FIELDS]
    = { "name", "privilege", "password", "card", "group" };
const BsdUserFields bsd_plan_field_flags[N_FIELDS] = {
  BSD_USER_FIELD_NAME, BSD_USER_FIELD_PRIVILEGE, BSD_USER_FIELD_PASSWORD,
  BSD_USER_FIELD_CARD, BSD_USER_FIELD_GROUP,
};

static char *
password_display (const char *password)
{
  return g_strdup (password == NULL || password[0] == '\0' ? "(none)" : "(hidden)");
}

static char *
dev_field_display (const DevPin *dp, Field field)
{
  switch (field)
    {
    case FIELD_NAME:
      return g_strdup (dp->name);
    case FIELD_PRIVILEGE:
      return g_strdup_printf ("%u", dp->user->privilege);
    case FIELD_PASSWORD:
      return password_display (dp->user->password);
    case FIELD_CARD:
      return g_strdup_printf ("%u", dp->user->card);
    case FIELD_GROUP:
      return g_strdup_printf ("%u", dp->user->group);
    case N_FIELDS:
    default:
      g_assert_not_reached ();
    }
}

static char *
record_field_display (const Record *record, Field field)
{
  switch (field)
    {
    case FIELD_NAME:
      return g_strdup (record->name);
    case FIELD_PRIVILEGE:
      return g_strdup_printf ("%u", record->privilege);
    case FIELD_PASSWORD:
      return password_display (record->password);
    case FIELD_CARD:
      return g_strdup_printf ("%u", record->card);
    case FIELD_GROUP:
      return g_strdup_printf ("%u", record->group);
    case N_FIELDS:
    default:
      g_assert_not_reached ();
    }
}

/* does the device's value agree with another device's? */
static gboolean
dev_fields_agree (const Dev *da, const DevPin *a, const Dev *db, const DevPin *b, Field field)
{
  switch (field)
    {
    case FIELD_NAME:
      return bsd_plan_names_equivalent (a->name, bsd_plan_snapshot_name_width (da->snapshot),
                                        b->name, bsd_plan_snapshot_name_width (db->snapshot));
    case FIELD_PRIVILEGE:
      return a->user->privilege == b->user->privilege;
    case FIELD_PASSWORD:
      return strcmp (a->user->password, b->user->password) == 0;
    case FIELD_CARD:
      return a->user->card == b->user->card;
    case FIELD_GROUP:
      return a->user->group == b->user->group;
    case N_FIELDS:
    default:
      g_assert_not_reached ();
    }
}

/* does the device hold the record's value? */
gboolean
bsd_plan_dev_field_matches (const Dev *dev, const DevPin *dp, const Record *record, Field field)
{
  switch (field)
    {
    case FIELD_NAME:
      return bsd_plan_names_equivalent (dp->name, bsd_plan_snapshot_name_width (dev->snapshot),
                                        record->name, record->name_width);
    case FIELD_PRIVILEGE:
      return dp->user->privilege == record->privilege;
    case FIELD_PASSWORD:
      return strcmp (dp->user->password, record->password) == 0;
    case FIELD_CARD:
      return dp->user->card == record->card;
    case FIELD_GROUP:
      return dp->user->group == record->group;
    case N_FIELDS:
    default:
      g_assert_not_reached ();
    }
}

/* do two holders of @pin disagree on @field? Linear in devices: a pair
 * of names compares at the narrower width, so for each width in use
 * every holder at least that wide must agree at that width */
static gboolean
holders_disagree (GPtrArray *devs, const char *pin, Field field)
{
  static const gsize widths[] = { NAME_WIDTH_28, NAME_WIDTH_72 };
  const Dev *first_dev = NULL;
  const DevPin *first = NULL;

  if (field != FIELD_NAME)
    {
      for (guint i = 0; i < devs->len; i++)
        {
          Dev *dev = g_ptr_array_index (devs, i);
          DevPin *dp = bsd_plan_dev_holds (dev, pin);

          if (dp == NULL)
            continue;
          if (first == NULL)
            {
              first = dp;
              first_dev = dev;
            }
          else if (!dev_fields_agree (first_dev, first, dev, dp, field))
            return TRUE;
        }
      return FALSE;
    }

  for (guint w = 0; w < G_N_ELEMENTS (widths); w++)
    {
      gboolean used = FALSE;
      const char *ref = NULL;
      gsize ref_len = 0;

      for (guint i = 0; i < devs->len && !used; i++)
        {
          Dev *dev = g_ptr_array_index (devs, i);

          used = bsd_plan_dev_holds (dev, pin) != NULL
                 && bsd_plan_snapshot_name_width (dev->snapshot) == widths[w];
        }
      for (guint i = 0; used && i < devs->len; i++)
        {
          Dev *dev = g_ptr_array_index (devs, i);
          DevPin *dp = bsd_plan_dev_holds (dev, pin);
          gsize len;

          if (dp == NULL || bsd_plan_snapshot_name_width (dev->snapshot) < widths[w])
            continue;
          len = bsd_plan_name_fit_len (dp->name, widths[w]);
          if (ref == NULL)
            {
              ref = dp->name;
              ref_len = len;
            }
          else if (len != ref_len || memcmp (ref, dp->name, len) != 0)
            return TRUE;
        }
    }
  return FALSE;
}

static void
record_from_dev (Record *record, const Dev *dev, const DevPin *dp, BsdWinnerReason reason)
{
  record->name = g_strdup (dp->name);
  record->name_width = bsd_plan_snapshot_name_width (dev->snapshot);
  record->privilege = dp->user->privilege;
  record->password = g_strdup (dp->user->password);
  record->card = dp->user->card;
  record->group = dp->user->group;
  record->source_user = dp->user;
  record->source_width = dev->snapshot->user_width;
  record->winner_device = dev->snapshot->device_id;
  record->reason = reason;
}

void
bsd_plan_resolve_record (Record *record,
                         const BsdPlanInput *input,
                         GPtrArray *devs,
                         Dev *primary,
                         const char *pin,
                         GPtrArray *conflicts)
{
  const BsdPerson *person = input->roster ? g_hash_table_lookup (input->roster, pin) : NULL;
  Dev *winner_dev = NULL;
  DevPin *winner_dp = NULL;

  record->pin = pin;
  if (person != NULL && person->central_edit)
    {
      record->name = bsd_plan_sanitize_text (person->name);
      record->name_width = NAME_WIDTH_ROSTER;
      record->privilege = person->privilege;
      record->password = g_strdup (person->password ? person->password : "");
      record->card = person->card;
      record->group = person->group;
      record->winner_device = 0;
      record->reason = BSD_WINNER_CENTRAL_EDIT;
      record->central_edit = TRUE;
    }
  else
    {
      if (primary != NULL && bsd_plan_dev_holds (primary, pin) != NULL)
        {
          winner_dev = primary;
          winner_dp = bsd_plan_dev_holds (primary, pin);
          record_from_dev (record, winner_dev, winner_dp, BSD_WINNER_PRIMARY);
        }
      else
        {
          for (guint i = 0; i < devs->len && winner_dp == NULL; i++)
            {
              winner_dev = g_ptr_array_index (devs, i);
              winner_dp = bsd_plan_dev_holds (winner_dev, pin);
            }
          g_assert (winner_dp != NULL);
          record_from_dev (record, winner_dev, winner_dp, BSD_WINNER_LOWEST_DEVICE_ID);
        }

      /* a narrow device keeps a cut name: when a wider device holds the
       * same name uncut, that is the name to spread and to store */
      for (guint i = 0; i < devs->len; i++)
        {
          Dev *dev = g_ptr_array_index (devs, i);
          DevPin *dp = bsd_plan_dev_holds (dev, pin);

          if (dp == NULL || strlen (dp->name) <= strlen (record->name))
            continue;
          if (bsd_plan_names_equivalent (dp->name, bsd_plan_snapshot_name_width (dev->snapshot),
                                         record->name, record->name_width))
            {
              g_free (record->name);
              record->name = g_strdup (dp->name);
              record->name_width = bsd_plan_snapshot_name_width (dev->snapshot);
            }
        }
    }

  /* conflicts: devices that disagree among themselves on a field */
  for (guint f = 0; f < N_FIELDS; f++)
    {
      BsdPlanConflict *conflict;

      if (!holders_disagree (devs, pin, f))
        continue;

      conflict = g_new0 (BsdPlanConflict, 1);
      conflict->pin = g_strdup (pin);
      conflict->kind = BSD_PLAN_ITEM_USER;
      conflict->index = -1;
      conflict->field = g_strdup (bsd_plan_field_names[f]);
      conflict->values
          = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_plan_conflict_value_free);
      for (guint i = 0; i < devs->len; i++)
        {
          Dev *dev = g_ptr_array_index (devs, i);
          DevPin *dp = bsd_plan_dev_holds (dev, pin);
          BsdConflictValue *value;

          if (dp == NULL)
            continue;
          value = g_new0 (BsdConflictValue, 1);
          value->device_id = dev->snapshot->device_id;
          value->value = dev_field_display (dp, f);
          g_ptr_array_add (conflict->values, value);
        }
      conflict->winner_value = record_field_display (record, f);
      conflict->winner_device = record->winner_device;
      conflict->reason = record->reason;
      g_ptr_array_add (conflicts, conflict);
    }
}
