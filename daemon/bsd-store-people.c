/* bsd-store-people.c — the roster (people, central edits, ListUsers),
 * tombstones, what each device held at its last read (users and
 * templates) and the stored templates
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "biosyncd"

#include "config.h"

#include "bsd-store-private.h"

#include <string.h>

/* --------------------------------------------------------------- people */

#define BSD_PERSON_COLUMNS                                                                         \
  "pin, name, privilege, password, card, group_id, updated_at, central_edit"

void
bsd_roster_entry_free (BsdRosterEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->pin);
  g_free (entry->name);
  g_clear_pointer (&entry->device_ids, g_array_unref);
  g_free (entry);
}

static gpointer
bsd_person_from_row (BsdStmt *stmt)
{
  BsdPerson *person = g_new0 (BsdPerson, 1);

  person->pin = bsd_column_dup (stmt, 0);
  person->name = bsd_column_dup (stmt, 1);
  person->privilege = (guint8)sqlite3_column_int (stmt, 2);
  person->password = bsd_column_dup (stmt, 3);
  person->card = (guint32)sqlite3_column_int64 (stmt, 4);
  person->group = (guint8)sqlite3_column_int (stmt, 5);
  person->updated_at = sqlite3_column_int64 (stmt, 6);
  person->central_edit = sqlite3_column_int (stmt, 7) != 0;
  return person;
}

static gpointer
bsd_roster_entry_from_row (BsdStmt *stmt)
{
  BsdRosterEntry *entry = g_new0 (BsdRosterEntry, 1);

  entry->pin = bsd_column_dup (stmt, 0);
  entry->name = bsd_column_dup (stmt, 1);
  entry->privilege = (guint8)sqlite3_column_int (stmt, 2);
  entry->has_card = sqlite3_column_int (stmt, 3) != 0;
  entry->has_password = sqlite3_column_int (stmt, 4) != 0;
  entry->central_edit = sqlite3_column_int (stmt, 5) != 0;
  entry->updated_at = sqlite3_column_int64 (stmt, 6);
  entry->fingerprints = (guint)sqlite3_column_int64 (stmt, 7);
  entry->faces = (guint)sqlite3_column_int64 (stmt, 8);
  entry->device_ids = bsd_parse_id_list ((const char *)sqlite3_column_text (stmt, 9));
  return entry;
}

static gboolean
bsd_store_pin_tombstoned (
    BsdStore *self, const char *pin, gboolean *tombstoned, const char *op, GError **error)
{
  return bsd_store_has_row (self, "SELECT 1 FROM tombstones WHERE pin = ?1 AND allowed_at IS NULL",
                            BSD_ARGS (BSD_TEXT (pin)), tombstoned, op, error);
}

gboolean
bsd_store_upsert_person_from_device (BsdStore *self,
                                     const ZkUser *user,
                                     gboolean *stored,
                                     GError **error)
{
  const char *op = "storing a person";
  g_autofree char *name = NULL;
  g_autofree char *password = NULL;
  gboolean tombstoned = FALSE;
  guint changes = 0;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (user != NULL, FALSE);

  if (stored != NULL)
    *stored = FALSE;
  if (!bsd_check_pin (user->user_id, op, error))
    return FALSE;
  if (!bsd_store_pin_tombstoned (self, user->user_id, &tombstoned, op, error))
    return FALSE;
  if (tombstoned)
    return TRUE;

  /* device data is not trusted to be UTF-8 */
  name = g_utf8_make_valid (user->name != NULL ? user->name : "", -1);
  password = g_utf8_make_valid (user->password, -1);
  if (!bsd_store_run_count (
          self,
          "INSERT INTO people (pin, name, privilege, password, card, group_id, updated_at)"
          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
          " ON CONFLICT (pin) DO UPDATE SET name = excluded.name, privilege = excluded.privilege,"
          " password = excluded.password, card = excluded.card, group_id = excluded.group_id,"
          " updated_at = excluded.updated_at"
          " WHERE people.central_edit = 0"
          " AND (people.name IS NOT excluded.name OR people.privilege IS NOT excluded.privilege"
          "      OR people.password IS NOT excluded.password OR people.card IS NOT excluded.card"
          "      OR people.group_id IS NOT excluded.group_id)",
          BSD_ARGS (BSD_TEXT (user->user_id), BSD_TEXT (name), BSD_INT (user->privilege),
                    BSD_TEXT (password), BSD_INT (user->card), BSD_INT (user->group),
                    BSD_INT (bsd_store_now ())),
          &changes, op, error))
    return FALSE;
  if (stored != NULL)
    *stored = changes > 0;
  return TRUE;
}

static gboolean
bsd_check_person_edit (const BsdPersonEdit *edit, const char *op, GError **error)
{
  if (edit->name != NULL && !g_utf8_validate (edit->name, -1, NULL))
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: the name is not valid UTF-8", op);
      return FALSE;
    }
  if (edit->password != NULL
      && (!g_utf8_validate (edit->password, -1, NULL) || strlen (edit->password) > 8))
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: the password must be UTF-8 of at most 8 bytes", op);
      return FALSE;
    }
  return TRUE;
}

gboolean
bsd_store_edit_person (BsdStore *self, const char *pin, const BsdPersonEdit *edit, GError **error)
{
  const char *op = "editing a person";
  gboolean tombstoned = FALSE;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (edit != NULL, FALSE);

  if (!bsd_check_pin (pin, op, error))
    return FALSE;
  if (!bsd_store_pin_tombstoned (self, pin, &tombstoned, op, error))
    return FALSE;
  if (tombstoned)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: PIN “%s” is deleted; allow it again before changing it", op, pin);
      return FALSE;
    }
  return bsd_check_person_edit (edit, op, error)
         && bsd_store_run_changed (
             self,
             "UPDATE people SET name = coalesce (?2, name), password = coalesce (?3, password),"
             " privilege = coalesce (?4, privilege), card = coalesce (?5, card),"
             " group_id = coalesce (?7, group_id), central_edit = 1, updated_at = ?6 WHERE pin = "
             "?1",
             BSD_ARGS (BSD_TEXT (pin), BSD_TEXT (edit->name), BSD_TEXT (edit->password),
                       BSD_INT_OR_NULL (edit->has_privilege, edit->privilege),
                       BSD_INT_OR_NULL (edit->has_card, edit->card), BSD_INT (bsd_store_now ()),
                       BSD_INT_OR_NULL (edit->has_group, edit->group)),
             op, error, "PIN “%s” is not in the roster", pin);
}

gboolean
bsd_store_clear_central_edit (BsdStore *self, const char *pin, GError **error)
{
  const char *op = "clearing a central edit";

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  return bsd_check_pin (pin, op, error)
         && bsd_store_run_changed (self, "UPDATE people SET central_edit = 0 WHERE pin = ?1",
                                   BSD_ARGS (BSD_TEXT (pin)), op, error,
                                   "PIN “%s” is not in the roster", pin);
}

BsdPerson *
bsd_store_get_person (BsdStore *self, const char *pin, GError **error)
{
  const char *op = "reading a person";

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_check_pin (pin, op, error))
    return NULL;
  return bsd_store_get_row (self, "SELECT " BSD_PERSON_COLUMNS " FROM people WHERE pin = ?1",
                            BSD_ARGS (BSD_TEXT (pin)), bsd_person_from_row, op, error,
                            "PIN “%s” is not in the roster", pin);
}

GPtrArray *
bsd_store_list_people (BsdStore *self, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  return bsd_store_get_rows (
      self, "SELECT " BSD_PERSON_COLUMNS " FROM people ORDER BY length (pin), pin", NULL,
      bsd_person_from_row, (GDestroyNotify)bsd_person_free, "listing people", error);
}

typedef struct
{
  BsdPersonFunc func;
  gpointer user_data;
} BsdPersonWalk;

static gboolean
bsd_person_row_call (BsdStmt *stmt, gpointer user_data, GError **error)
{
  BsdPersonWalk *walk = user_data;
  g_autoptr (BsdPerson) person = bsd_person_from_row (stmt);

  return walk->func (person, walk->user_data, error);
}

gboolean
bsd_store_foreach_person (BsdStore *self, BsdPersonFunc func, gpointer user_data, GError **error)
{
  BsdPersonWalk walk = { func, user_data };

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  /* the password column is left out: it never leaves through an export.
   * a deleted PIN has left people already; the tombstone check keeps it
   * out even if a row came back by some other path */
  return bsd_store_each_row (
      self,
      "SELECT pin, name, privilege, '', card, group_id, updated_at, central_edit FROM people"
      " WHERE pin NOT IN (SELECT pin FROM tombstones WHERE allowed_at IS NULL)"
      " ORDER BY length (pin), pin",
      NULL, bsd_person_row_call, &walk, "reading the roster", error);
}

static gboolean
bsd_id_append (BsdStmt *stmt, gpointer user_data, GError **error)
{
  guint id = (guint)sqlite3_column_int64 (stmt, 0);

  g_array_append_val ((GArray *)user_data, id);
  return TRUE;
}

GArray *
bsd_store_list_pin_devices (BsdStore *self, const char *pin, GError **error)
{
  const char *op = "listing the devices holding a PIN";
  g_autoptr (GArray) devices = g_array_new (FALSE, FALSE, sizeof (guint));

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_check_pin (pin, op, error)
      || !bsd_store_each_row (
          self, "SELECT device_id FROM device_users WHERE pin = ?1 ORDER BY device_id",
          BSD_ARGS (BSD_TEXT (pin)), bsd_id_append, devices, op, error))
    return NULL;
  return g_steal_pointer (&devices);
}

/* a page of the roster: the page's PINs are chosen first (without a filter
 * by walking the people_roster index, no sort of everyone), then the
 * counts are aggregated for those PINs only and their rows read by key */
#define BSD_ROSTER_PAGE(match)                                                                     \
  "WITH page AS (SELECT pin FROM people WHERE " match                                              \
  "              ORDER BY length (pin), pin LIMIT ?2 OFFSET ?3),"                                  \
  " held AS (SELECT pin, kind, idx FROM templates WHERE pin IN page"                               \
  "          UNION SELECT pin, kind, idx FROM device_templates WHERE pin IN page),"                \
  " counts AS (SELECT pin, sum (kind = 'finger') AS fingers, sum (kind = 'face') AS faces"         \
  "            FROM held GROUP BY pin)"                                                            \
  " SELECT p.pin, p.name, p.privilege, p.card != 0, p.password != '', p.central_edit,"             \
  " p.updated_at, ifnull (c.fingers, 0), ifnull (c.faces, 0),"                                     \
  " (SELECT group_concat (device_id) FROM (SELECT device_id FROM device_users"                     \
  "  WHERE pin = p.pin ORDER BY device_id))"                                                       \
  " FROM page CROSS JOIN people AS p USING (pin) LEFT JOIN counts AS c USING (pin)"                \
  " ORDER BY length (p.pin), p.pin"

/* each page query, and the same explained: [0] the whole roster (?1 is
 * NULL: the index covers the page's choice), [1] a casefolded filter */
static const BsdExplainedSql bsd_roster_pages[] = {
  BSD_EXPLAINED (BSD_ROSTER_PAGE ("?1 IS NULL")),
  BSD_EXPLAINED (BSD_ROSTER_PAGE (
      "instr (bsd_casefold (pin), ?1) > 0 OR instr (bsd_casefold (name), ?1) > 0")),
};

/* @filter casefolded into *@folded (NULL for everyone) */
static gboolean
bsd_roster_filter_fold (const char *filter, char **folded, const char *op, GError **error)
{
  *folded = NULL;
  if (filter == NULL || filter[0] == '\0')
    return TRUE;
  if (!g_utf8_validate (filter, -1, NULL))
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: the filter is not valid UTF-8", op);
      return FALSE;
    }
  *folded = g_utf8_casefold (filter, -1);
  return TRUE;
}

#define BSD_ROSTER_ARGS(folded, offset, limit)                                                     \
  BSD_ARGS (BSD_TEXT (folded), BSD_INT ((limit) == 0 ? -1 : (gint64)(limit)), BSD_INT (offset))

GPtrArray *
bsd_store_list_roster (
    BsdStore *self, const char *filter, guint offset, guint limit, GError **error)
{
  const char *op = "listing the roster";
  g_autofree char *folded = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_roster_filter_fold (filter, &folded, op, error))
    return NULL;
  return bsd_store_get_rows (self, bsd_roster_pages[folded != NULL].sql,
                             BSD_ROSTER_ARGS (folded, offset, limit), bsd_roster_entry_from_row,
                             (GDestroyNotify)bsd_roster_entry_free, op, error);
}

char *
bsd_store_explain_roster (BsdStore *self, const char *filter, GError **error)
{
  const char *op = "explaining the roster query";
  g_autofree char *folded = NULL;
  g_autoptr (GString) plan = g_string_new (NULL);

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_roster_filter_fold (filter, &folded, op, error)
      || !bsd_store_each_row (self, bsd_roster_pages[folded != NULL].explain,
                              BSD_ROSTER_ARGS (folded, 0, 0), bsd_store_plan_line_append, plan, op,
                              error))
    return NULL;
  return g_string_free (g_steal_pointer (&plan), FALSE);
}

/* ------------------------------------------------------------ tombstones */

#define BSD_TOMBSTONE_COLUMNS "t.pin, t.created_at, t.created_by, t.allowed_at, t.allowed_by"
/* the ids of the devices whose last read held the PIN */
#define BSD_TOMBSTONE_HOLDERS                                                                      \
  ", (SELECT group_concat (device_id) FROM (SELECT device_id FROM device_users"                    \
  "   WHERE pin = t.pin ORDER BY device_id))"

void
bsd_tombstone_free (BsdTombstone *tombstone)
{
  if (tombstone == NULL)
    return;
  g_free (tombstone->pin);
  g_free (tombstone->created_by);
  g_free (tombstone->allowed_by);
  g_clear_pointer (&tombstone->pending, g_array_unref);
  g_clear_pointer (&tombstone->confirmed, g_array_unref);
  g_clear_pointer (&tombstone->never_seen, g_array_unref);
  g_free (tombstone);
}

char *
bsd_tombstone_describe (const BsdTombstone *tombstone)
{
  g_autoptr (GDateTime) when
      = g_date_time_new_from_unix_local (tombstone->created_at / G_USEC_PER_SEC);
  g_autofree char *date = when ? g_date_time_format (when, "%Y-%m-%d %H:%M") : NULL;

  return g_strdup_printf ("PIN %s, deleted on %s by %s", tombstone->pin, date ? date : "?",
                          tombstone->created_by ? tombstone->created_by : "unknown");
}

static gpointer
bsd_tombstone_from_row (BsdStmt *stmt)
{
  BsdTombstone *tombstone = g_new0 (BsdTombstone, 1);

  tombstone->pin = bsd_column_dup (stmt, 0);
  tombstone->created_at = sqlite3_column_int64 (stmt, 1);
  tombstone->created_by = bsd_column_dup (stmt, 2);
  tombstone->allowed_at = sqlite3_column_int64 (stmt, 3);
  tombstone->allowed_by = bsd_column_dup (stmt, 4);
  return tombstone;
}

gboolean
bsd_store_add_tombstone (BsdStore *self, const char *pin, const char *created_by, GError **error)
{
  const char *op = "adding a tombstone";
  g_autoptr (BsdStoreTx) tx = NULL;
  guint changes = 0;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (!bsd_check_pin (pin, op, error))
    return FALSE;
  tx = bsd_store_tx_begin (self, op, error);
  if (tx == NULL)
    return FALSE;
  if (!bsd_store_run_count (
          self,
          "INSERT INTO tombstones (pin, created_at, created_by) VALUES (?1, ?2, ?3)"
          " ON CONFLICT (pin) DO UPDATE SET created_at = excluded.created_at,"
          " created_by = excluded.created_by, allowed_at = NULL, allowed_by = NULL"
          " WHERE tombstones.allowed_at IS NOT NULL",
          BSD_ARGS (BSD_TEXT (pin), BSD_INT (bsd_store_now ()), BSD_TEXT_OR_NULL (created_by)),
          &changes, op, error))
    return FALSE;
  /* already deleted: when and by whom stay as they were; else the person
   * and what the roster keeps of them leave */
  if (changes > 0
      && (!bsd_store_run (self, "DELETE FROM people WHERE pin = ?1", BSD_ARGS (BSD_TEXT (pin)), op,
                          error)
          || !bsd_store_run (self, "DELETE FROM templates WHERE pin = ?1",
                             BSD_ARGS (BSD_TEXT (pin)), op, error)))
    return FALSE;
  return bsd_store_tx_commit (tx, op, error);
}

gboolean
bsd_store_allow_tombstone (BsdStore *self, const char *pin, const char *allowed_by, GError **error)
{
  const char *op = "allowing a deleted PIN again";

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  return bsd_check_pin (pin, op, error)
         && bsd_store_run_changed (
             self,
             "UPDATE tombstones SET allowed_at = ?2, allowed_by = ?3"
             " WHERE pin = ?1 AND allowed_at IS NULL",
             BSD_ARGS (BSD_TEXT (pin), BSD_INT (bsd_store_now ()), BSD_TEXT_OR_NULL (allowed_by)),
             op, error, "PIN “%s” is not deleted", pin);
}

gboolean
bsd_store_is_tombstoned (BsdStore *self, const char *pin, gboolean *tombstoned, GError **error)
{
  const char *op = "looking up a tombstone";

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (tombstoned != NULL, FALSE);

  return bsd_check_pin (pin, op, error)
         && bsd_store_pin_tombstoned (self, pin, tombstoned, op, error);
}

typedef struct
{
  guint id;
  gint64 users_read_at; /* 0 = never */
} BsdDeviceRead;

static gboolean
bsd_device_read_append (BsdStmt *stmt, gpointer user_data, GError **error)
{
  BsdDeviceRead read = { (guint)sqlite3_column_int64 (stmt, 0), sqlite3_column_int64 (stmt, 1) };

  g_array_append_val ((GArray *)user_data, read);
  return TRUE;
}

static int
bsd_id_compare (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *)a, y = *(const guint *)b;

  return x < y ? -1 : x > y;
}

/* where an active deletion stands on every configured device: decided from
 * the device's last read of its users (@holders: the devices whose last
 * read held the PIN), so a device added later or never read counts too.
 * Both lists by id: one pass over them */
static void
bsd_tombstone_place (BsdTombstone *tombstone, GArray *devices, GArray *holders)
{
  guint h = 0;

  tombstone->pending = g_array_new (FALSE, FALSE, sizeof (guint));
  tombstone->confirmed = g_array_new (FALSE, FALSE, sizeof (guint));
  tombstone->never_seen = g_array_new (FALSE, FALSE, sizeof (guint));
  if (tombstone->allowed_at != 0)
    return;
  g_array_sort (holders, bsd_id_compare);
  for (guint i = 0; i < devices->len; i++)
    {
      const BsdDeviceRead *d = &g_array_index (devices, BsdDeviceRead, i);
      gboolean held;

      while (h < holders->len && g_array_index (holders, guint, h) < d->id)
        h++;
      held = h < holders->len && g_array_index (holders, guint, h) == d->id;
      if (d->users_read_at == 0)
        g_array_append_val (tombstone->never_seen, d->id);
      else if (d->users_read_at <= tombstone->created_at || held)
        g_array_append_val (tombstone->pending, d->id);
      else
        g_array_append_val (tombstone->confirmed, d->id);
    }
}

typedef struct
{
  GPtrArray *tombstones;
  GArray *devices; /* BsdDeviceRead, every configured device by id */
} BsdTombstoneRows;

static gboolean
bsd_tombstone_append_placed (BsdStmt *stmt, gpointer user_data, GError **error)
{
  BsdTombstoneRows *rows = user_data;
  BsdTombstone *tombstone = bsd_tombstone_from_row (stmt);
  g_autoptr (GArray) holders = bsd_parse_id_list ((const char *)sqlite3_column_text (stmt, 5));

  bsd_tombstone_place (tombstone, rows->devices, holders);
  g_ptr_array_add (rows->tombstones, tombstone);
  return TRUE;
}

/* the deletions @sql selects (BSD_TOMBSTONE_COLUMNS BSD_TOMBSTONE_HOLDERS),
 * each placed on every device: two statements, however many there are */
static GPtrArray *
bsd_store_read_tombstones (
    BsdStore *self, const char *sql, const BsdArg *args, const char *op, GError **error)
{
  g_autoptr (GPtrArray) tombstones
      = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_tombstone_free);
  g_autoptr (GArray) devices = g_array_new (FALSE, FALSE, sizeof (BsdDeviceRead));
  BsdTombstoneRows rows = { tombstones, devices };

  if (!bsd_store_each_row (self, "SELECT id, users_read_at FROM devices ORDER BY id", NULL,
                           bsd_device_read_append, devices, op, error)
      || !bsd_store_each_row (self, sql, args, bsd_tombstone_append_placed, &rows, op, error))
    return NULL;
  return g_steal_pointer (&tombstones);
}

BsdTombstone *
bsd_store_get_tombstone (BsdStore *self, const char *pin, GError **error)
{
  const char *op = "reading a tombstone";
  g_autoptr (GPtrArray) one = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_check_pin (pin, op, error))
    return NULL;
  one = bsd_store_read_tombstones (self,
                                   "SELECT " BSD_TOMBSTONE_COLUMNS BSD_TOMBSTONE_HOLDERS
                                   " FROM tombstones t WHERE t.pin = ?1",
                                   BSD_ARGS (BSD_TEXT (pin)), op, error);
  if (one == NULL)
    return NULL;
  if (one->len == 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND,
                   "%s: PIN “%s” was never deleted", op, pin);
      return NULL;
    }
  return g_ptr_array_steal_index (one, 0);
}

GPtrArray *
bsd_store_list_tombstones (BsdStore *self, guint offset, guint limit, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  /* the page is chosen first, the holders are looked up (by index) for
   * its rows only */
  return bsd_store_read_tombstones (
      self,
      "SELECT " BSD_TOMBSTONE_COLUMNS BSD_TOMBSTONE_HOLDERS
      " FROM (SELECT * FROM tombstones WHERE allowed_at IS NULL"
      "       ORDER BY length (pin), pin LIMIT ?1 OFFSET ?2) AS t"
      " ORDER BY length (t.pin), t.pin",
      BSD_ARGS (BSD_INT (limit == 0 ? -1 : (gint64)limit), BSD_INT (offset)), "listing tombstones",
      error);
}

GPtrArray *
bsd_store_list_deletions (BsdStore *self, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  return bsd_store_get_rows (self,
                             "SELECT " BSD_TOMBSTONE_COLUMNS " FROM tombstones t"
                             " WHERE t.allowed_at IS NULL ORDER BY length (t.pin), t.pin",
                             NULL, bsd_tombstone_from_row, (GDestroyNotify)bsd_tombstone_free,
                             "listing deletions", error);
}

/* --------------------------------------------------- device snapshots */

const char *
bsd_template_kind_to_string (BsdTemplateKind kind)
{
  switch (kind)
    {
    case BSD_TEMPLATE_KIND_FINGER:
      return "finger";
    case BSD_TEMPLATE_KIND_FACE:
      return "face";
    default:
      break;
    }
  return NULL;
}

static BsdTemplateKind
bsd_template_kind_from_string (const char *text)
{
  return g_strcmp0 (text, "face") == 0 ? BSD_TEMPLATE_KIND_FACE : BSD_TEMPLATE_KIND_FINGER;
}

static gboolean
bsd_check_template_kind (BsdTemplateKind kind, const char *op, GError **error)
{
  if (bsd_template_kind_to_string (kind) == NULL)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: template kind %d unknown", op, (int)kind);
      return FALSE;
    }
  return TRUE;
}

BsdDeviceTemplate *
bsd_device_template_new (const char *pin, BsdTemplateKind kind, guint idx, const char *hash)
{
  BsdDeviceTemplate *tmpl = g_new0 (BsdDeviceTemplate, 1);

  tmpl->pin = g_strdup (pin);
  tmpl->kind = kind;
  tmpl->idx = idx;
  tmpl->hash = g_strdup (hash);
  return tmpl;
}

void
bsd_device_template_free (BsdDeviceTemplate *tmpl)
{
  if (tmpl == NULL)
    return;
  g_free (tmpl->pin);
  g_free (tmpl->hash);
  g_free (tmpl);
}

static gpointer
bsd_device_template_from_row (BsdStmt *stmt)
{
  return bsd_device_template_new (
      (const char *)sqlite3_column_text (stmt, 0),
      bsd_template_kind_from_string ((const char *)sqlite3_column_text (stmt, 1)),
      (guint)sqlite3_column_int64 (stmt, 2), (const char *)sqlite3_column_text (stmt, 3));
}

static gpointer
bsd_device_user_from_row (BsdStmt *stmt)
{
  ZkUser *user = zk_user_new ();
  const char *name = (const char *)sqlite3_column_text (stmt, 2);

  g_strlcpy (user->user_id, (const char *)sqlite3_column_text (stmt, 0), sizeof user->user_id);
  user->uid = (guint16)sqlite3_column_int (stmt, 1);
  if (name != NULL)
    {
      g_free (user->name);
      user->name = g_strdup (name);
    }
  user->privilege = (guint8)sqlite3_column_int (stmt, 3);
  if (sqlite3_column_text (stmt, 4) != NULL)
    g_strlcpy (user->password, (const char *)sqlite3_column_text (stmt, 4), sizeof user->password);
  user->card = (guint32)sqlite3_column_int64 (stmt, 5);
  user->group = (guint8)sqlite3_column_int (stmt, 6);
  for (int i = 0; i < 4; i++)
    user->timezones[i] = (guint16)sqlite3_column_int (stmt, 7 + i);
  return user;
}

static gboolean
bsd_store_insert_device_user (
    BsdStore *self, guint device_id, const ZkUser *user, gint64 now, const char *op, GError **error)
{
  g_autofree char *name = NULL;
  g_autofree char *password = NULL;

  if (!bsd_check_pin (user->user_id, op, error))
    return FALSE;
  name = g_utf8_make_valid (user->name != NULL ? user->name : "", -1);
  password = g_utf8_make_valid (user->password, -1);
  return bsd_store_run_unique (
      self,
      "INSERT INTO device_users (device_id, pin, uid, name, privilege, password, card,"
      " group_id, tz1, tz2, tz3, tz4, seen_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
      BSD_ARGS (BSD_INT (device_id), BSD_TEXT (user->user_id), BSD_INT (user->uid), BSD_TEXT (name),
                BSD_INT (user->privilege), BSD_TEXT (password), BSD_INT (user->card),
                BSD_INT (user->group), BSD_INT (user->timezones[0]), BSD_INT (user->timezones[1]),
                BSD_INT (user->timezones[2]), BSD_INT (user->timezones[3]), BSD_INT (now)),
      op, error, "device %u lists PIN “%s” or slot %u twice", device_id, user->user_id, user->uid);
}

static gboolean
bsd_store_insert_device_template (
    BsdStore *self, guint device_id, const BsdDeviceTemplate *tmpl, const char *op, GError **error)
{
  const char *kind = bsd_template_kind_to_string (tmpl->kind);

  return bsd_check_pin (tmpl->pin, op, error) && bsd_check_template_kind (tmpl->kind, op, error)
         && bsd_check_text (tmpl->hash, "the template hash", 128, op, error)
         && bsd_store_run_unique (self,
                                  "INSERT INTO device_templates (device_id, pin, kind, idx, hash)"
                                  " VALUES (?1, ?2, ?3, ?4, ?5)",
                                  BSD_ARGS (BSD_INT (device_id), BSD_TEXT (tmpl->pin),
                                            BSD_TEXT (kind), BSD_INT (tmpl->idx),
                                            BSD_TEXT (tmpl->hash)),
                                  op, error, "device %u lists %s %u of PIN “%s” twice", device_id,
                                  kind, tmpl->idx, tmpl->pin);
}

static gboolean
bsd_store_insert_device_users (
    BsdStore *self, guint device_id, GPtrArray *users, gint64 now, const char *op, GError **error)
{
  if (!bsd_store_run (self, "DELETE FROM device_users WHERE device_id = ?1",
                      BSD_ARGS (BSD_INT (device_id)), op, error))
    return FALSE;
  for (guint i = 0; i < users->len; i++)
    if (!bsd_store_insert_device_user (self, device_id, g_ptr_array_index (users, i), now, op,
                                       error))
      return FALSE;
  return TRUE;
}

static gboolean
bsd_store_insert_device_templates (
    BsdStore *self, guint device_id, GPtrArray *templates, const char *op, GError **error)
{
  if (!bsd_store_run (self, "DELETE FROM device_templates WHERE device_id = ?1",
                      BSD_ARGS (BSD_INT (device_id)), op, error))
    return FALSE;
  for (guint i = 0; i < templates->len; i++)
    if (!bsd_store_insert_device_template (self, device_id, g_ptr_array_index (templates, i), op,
                                           error))
      return FALSE;
  return TRUE;
}

gboolean
bsd_store_replace_device_snapshot (
    BsdStore *self, guint device_id, GPtrArray *users, GPtrArray *templates, GError **error)
{
  const char *op = "storing a device snapshot";
  g_autoptr (BsdStoreTx) tx = NULL;
  gint64 now = bsd_store_now ();

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (users != NULL, FALSE);

  tx = bsd_store_tx_begin (self, op, error);
  if (tx == NULL)
    return FALSE;
  if (!bsd_store_check_device (self, device_id, op, error)
      || !bsd_store_insert_device_users (self, device_id, users, now, op, error)
      || (templates != NULL
          && !bsd_store_insert_device_templates (self, device_id, templates, op, error)))
    return FALSE;
  /* a deletion's state on this device follows from this read */
  if (!bsd_store_run (self, "UPDATE devices SET users_read_at = ?2 WHERE id = ?1",
                      BSD_ARGS (BSD_INT (device_id), BSD_INT (now)), op, error))
    return FALSE;
  return bsd_store_tx_commit (tx, op, error);
}

gboolean
bsd_store_forget_device_snapshot (BsdStore *self, guint device_id, GError **error)
{
  const char *op = "forgetting a device snapshot";
  const char *const steps[] = {
    "DELETE FROM device_users WHERE device_id = ?1",
    "DELETE FROM device_templates WHERE device_id = ?1",
    "UPDATE devices SET users_read_at = 0 WHERE id = ?1",
  };
  g_autoptr (BsdStoreTx) tx = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  tx = bsd_store_tx_begin (self, op, error);
  if (tx == NULL)
    return FALSE;
  if (!bsd_store_check_device (self, device_id, op, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    if (!bsd_store_run (self, steps[i], BSD_ARGS (BSD_INT (device_id)), op, error))
      return FALSE;
  return bsd_store_tx_commit (tx, op, error);
}

static gboolean
bsd_uid_map_insert (BsdStmt *stmt, gpointer user_data, GError **error)
{
  g_hash_table_insert (user_data, bsd_column_dup (stmt, 0),
                       GUINT_TO_POINTER ((guint)sqlite3_column_int64 (stmt, 1)));
  return TRUE;
}

GHashTable *
bsd_store_get_device_uid_map (BsdStore *self, guint device_id, GError **error)
{
  const char *op = "reading a device's slots";
  g_autoptr (GHashTable) map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_store_check_device (self, device_id, op, error)
      || !bsd_store_each_row (self, "SELECT pin, uid FROM device_users WHERE device_id = ?1",
                              BSD_ARGS (BSD_INT (device_id)), bsd_uid_map_insert, map, op, error))
    return NULL;
  return g_steal_pointer (&map);
}

GPtrArray *
bsd_store_get_device_users (BsdStore *self, guint device_id, GError **error)
{
  const char *op = "reading a device's users";

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_store_check_device (self, device_id, op, error))
    return NULL;
  return bsd_store_get_rows (self,
                             "SELECT pin, uid, name, privilege, password, card, group_id,"
                             " tz1, tz2, tz3, tz4 FROM device_users WHERE device_id = ?1"
                             " ORDER BY uid",
                             BSD_ARGS (BSD_INT (device_id)), bsd_device_user_from_row,
                             (GDestroyNotify)zk_user_free, op, error);
}

GPtrArray *
bsd_store_get_device_templates (BsdStore *self, guint device_id, GError **error)
{
  const char *op = "reading a device's templates";

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_store_check_device (self, device_id, op, error))
    return NULL;
  return bsd_store_get_rows (self,
                             "SELECT pin, kind, idx, hash FROM device_templates"
                             " WHERE device_id = ?1 ORDER BY length (pin), pin, kind, idx",
                             BSD_ARGS (BSD_INT (device_id)), bsd_device_template_from_row,
                             (GDestroyNotify)bsd_device_template_free, op, error);
}

/* ------------------------------------------------------------ templates */

#define BSD_TEMPLATE_COLUMNS "pin, kind, idx, version, valid, data, hash"

void
bsd_template_free (BsdTemplate *tmpl)
{
  if (tmpl == NULL)
    return;
  g_free (tmpl->pin);
  g_free (tmpl->version);
  g_clear_pointer (&tmpl->data, g_bytes_unref);
  g_free (tmpl->hash);
  g_free (tmpl);
}

static gpointer
bsd_template_from_row (BsdStmt *stmt)
{
  BsdTemplate *tmpl = g_new0 (BsdTemplate, 1);

  tmpl->pin = bsd_column_dup (stmt, 0);
  tmpl->kind = bsd_template_kind_from_string ((const char *)sqlite3_column_text (stmt, 1));
  tmpl->idx = (guint)sqlite3_column_int64 (stmt, 2);
  tmpl->version = bsd_column_dup (stmt, 3);
  tmpl->valid = (guint8)sqlite3_column_int (stmt, 4);
  tmpl->data = g_bytes_new (sqlite3_column_blob (stmt, 5), (gsize)sqlite3_column_bytes (stmt, 5));
  tmpl->hash = bsd_column_dup (stmt, 6);
  return tmpl;
}

/* PIN, kind and algorithm version of a template */
static gboolean
bsd_check_template_key (
    const char *pin, BsdTemplateKind kind, const char *version, const char *op, GError **error)
{
  return bsd_check_pin (pin, op, error) && bsd_check_template_kind (kind, op, error)
         && bsd_check_text (version, "the algorithm version", 64, op, error);
}

gboolean
bsd_store_add_template (BsdStore *self,
                        const char *pin,
                        BsdTemplateKind kind,
                        guint idx,
                        const char *version,
                        guint8 valid,
                        GBytes *data,
                        gboolean *stored,
                        char **hash_out,
                        GError **error)
{
  const char *op = "storing a template";
  g_autofree char *hash = NULL;
  gboolean tombstoned = FALSE;
  guint changes = 0;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);

  if (stored != NULL)
    *stored = FALSE;
  if (!bsd_check_template_key (pin, kind, version, op, error))
    return FALSE;
  if (g_bytes_get_size (data) == 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: the template of PIN “%s” is empty", op, pin);
      return FALSE;
    }
  hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, data);
  if (!bsd_store_pin_tombstoned (self, pin, &tombstoned, op, error))
    return FALSE;
  if (!tombstoned)
    {
      if (!bsd_store_run_count (
              self,
              "INSERT INTO templates (pin, kind, idx, version, valid, data,"
              " hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
              " ON CONFLICT (pin, kind, idx, version, hash) DO NOTHING",
              BSD_ARGS (BSD_TEXT (pin), BSD_TEXT (bsd_template_kind_to_string (kind)),
                        BSD_INT (idx), BSD_TEXT (version), BSD_INT (valid), BSD_BYTES (data),
                        BSD_TEXT (hash), BSD_INT (bsd_store_now ())),
              &changes, op, error))
        return FALSE;
      if (stored != NULL)
        *stored = changes > 0;
    }
  if (hash_out != NULL)
    *hash_out = g_steal_pointer (&hash);
  return TRUE;
}

BsdTemplate *
bsd_store_get_template (BsdStore *self,
                        const char *pin,
                        BsdTemplateKind kind,
                        guint idx,
                        const char *version,
                        GError **error)
{
  const char *op = "reading a template";

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_check_template_key (pin, kind, version, op, error))
    return NULL;
  return bsd_store_get_row (self,
                            "SELECT " BSD_TEMPLATE_COLUMNS " FROM templates"
                            " WHERE pin = ?1 AND kind = ?2 AND idx = ?3 AND version = ?4"
                            " ORDER BY id LIMIT 1",
                            BSD_ARGS (BSD_TEXT (pin), BSD_TEXT (bsd_template_kind_to_string (kind)),
                                      BSD_INT (idx), BSD_TEXT (version)),
                            bsd_template_from_row, op, error, "no %s %u (version %s) for PIN “%s”",
                            bsd_template_kind_to_string (kind), idx, version, pin);
}

GPtrArray *
bsd_store_list_templates (BsdStore *self, const char *pin, GError **error)
{
  const char *op = "listing templates";

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (pin == NULL)
    return bsd_store_get_rows (self, "SELECT " BSD_TEMPLATE_COLUMNS " FROM templates ORDER BY id",
                               NULL, bsd_template_from_row, (GDestroyNotify)bsd_template_free, op,
                               error);
  /* a statement of its own: "?1 IS NULL OR pin = ?1" cannot use the index
   * and would scan every template (blobs included) for each person */
  if (!bsd_check_pin (pin, op, error))
    return NULL;
  return bsd_store_get_rows (self,
                             "SELECT " BSD_TEMPLATE_COLUMNS " FROM templates"
                             " WHERE pin = ?1 ORDER BY id",
                             BSD_ARGS (BSD_TEXT (pin)), bsd_template_from_row,
                             (GDestroyNotify)bsd_template_free, op, error);
}
