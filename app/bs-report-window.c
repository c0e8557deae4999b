/* bs-report-window.c — BsReportWindow: a job's report
 *
 * How it ended; who started it, when, for how long; for a preview the plan of each area (per
 * terminal what a sync would add, update and delete, room it lacks, conflicts); for a balance who
 * was missing where before and after; each terminal's result (users, fingerprints and faces, each
 * failed item with its cause); and the whole report as JSON. The report is the daemon's: every
 * member is read as optional, of any type.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <json-glib/json-glib.h>
#include <pwd.h>
#include <sys/types.h>

#include "bs-format.h"
#include "bs-report-window.h"
#include "bs-ui.h"
#include "bs-variant-item.h"

/* the most rows a list of people or conflicts shows */
#define MAX_PEOPLE 50
#define MAX_CONFLICTS 100

struct _BsReportWindow
{
  AdwWindow parent_instance;

  AdwPreferencesPage *page;
};

G_DEFINE_FINAL_TYPE (BsReportWindow, bs_report_window, ADW_TYPE_WINDOW)

/* ------------------------------------------------------------ JSON, tolerantly */

static gint64
json_int (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE)
    return 0;
  return json_node_get_int (node);
}

static const char *
json_str (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return "";
  return json_node_get_string (node);
}

static JsonObject *
json_obj (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* an empty array (one, shared) stands for a missing one */
static JsonArray *
json_list (JsonObject *object, const char *member)
{
  static JsonArray *empty;
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    return json_node_get_array (node);
  if (empty == NULL)
    empty = json_array_new ();
  return empty;
}

/* the @i-th element of @array when it is an object, else NULL */
static JsonObject *
json_at (JsonArray *array, guint i)
{
  JsonNode *node = i < json_array_get_length (array) ? json_array_get_element (array, i) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static guint
json_len (JsonObject *object, const char *member)
{
  return json_array_get_length (json_list (object, member));
}

/* ------------------------------------------------------------ rows */

static AdwPreferencesGroup *
add_group (BsReportWindow *self, const char *title, const char *description)
{
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());

  adw_preferences_group_set_title (group, title);
  if (description != NULL)
    adw_preferences_group_set_description (group, description);
  adw_preferences_page_add (self->page, group);
  return group;
}

/* a row into @parent, a group or an expander row */
static GtkWidget *
add_row (GtkWidget *parent, const char *title, const char *subtitle, const char *css_class)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  if (css_class != NULL)
    gtk_widget_add_css_class (row, css_class);
  if (ADW_IS_EXPANDER_ROW (parent))
    adw_expander_row_add_row (ADW_EXPANDER_ROW (parent), row);
  else
    adw_preferences_group_add (ADW_PREFERENCES_GROUP (parent), row);
  return row;
}

/* ------------------------------------------------------------ a preview's plan */

/* "Add: PIN 1001 Ada" rows for the people of @member */
static void
add_people_rows (GtkWidget *expander, JsonObject *device, const char *member, const char *verb)
{
  JsonArray *people = json_list (device, member);

  for (guint i = 0; i < MIN (json_array_get_length (people), MAX_PEOPLE); i++)
    {
      JsonObject *user = json_at (people, i);
      g_autofree char *title = NULL;

      if (user == NULL)
        continue;
      title = g_strdup_printf ("%s: PIN %s %s", verb, json_str (user, "pin"),
                               json_str (user, "name"));
      add_row (expander, title, NULL, NULL);
    }
}

/* a row for each kind of room the terminal lacks */
static void
add_capacity_rows (AdwExpanderRow *expander, JsonObject *device)
{
  static const char *const kinds[] = { "users", "fingers", "faces" };
  static const char *const titles[] = { N_ ("users"), N_ ("fingerprints"), N_ ("faces") };
  JsonObject *capacity = json_obj (device, "capacity");

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      JsonObject *check = json_obj (capacity, kinds[k]);
      g_autofree char *text = NULL;

      if (check == NULL || !json_object_get_boolean_member_with_default (check, "exceeded", FALSE))
        continue;
      text = g_strdup_printf (_ ("Not enough room for %s: %" PRId64 " needed, %" PRId64 " fit"),
                              _ (titles[k]), json_int (check, "after"),
                              json_int (check, "capacity"));
      add_row (GTK_WIDGET (expander), text, NULL, "error");
      adw_expander_row_set_subtitle (expander, text);
      gtk_widget_add_css_class (GTK_WIDGET (expander), "warning");
    }
}

/* a terminal of the plan: what a sync would do there, or why it cannot */
static void
add_plan_device (AdwPreferencesGroup *group, JsonObject *device)
{
  GtkWidget *expander = adw_expander_row_new ();
  JsonObject *counts = json_obj (device, "counts");
  gboolean failed = g_strcmp0 (json_str (device, "status"), "failed") == 0;
  g_autofree char *subtitle = NULL;
  g_autofree char *photos = NULL;
  g_autofree char *name = g_strdup_printf (
      "%s%s", json_str (device, "name"),
      json_object_get_boolean_member_with_default (device, "primary", FALSE) ? _ (" (primary)")
                                                                             : "");

  if (failed)
    subtitle = g_strdup_printf (_ ("Cannot be synced: %s"), json_str (device, "failure"));
  else
    subtitle = g_strdup_printf (
        _ ("%" PRId64 " users to add, %" PRId64 " to update, %" PRId64 " to delete · %" PRId64
           " fingerprints, %" PRId64 " faces to add · %" PRId64 " skipped"),
        json_int (counts, "users_add"), json_int (counts, "users_update"),
        json_int (counts, "users_delete"), json_int (counts, "templates_add"),
        json_int (counts, "faces_add"), json_int (counts, "skips"));
  photos = bs_format_planned_photos (json_int (counts, "photos_add"));
  if (photos != NULL)
    {
      char *with_photos = g_strdup_printf ("%s · %s", subtitle, photos);

      g_free (subtitle);
      subtitle = with_photos;
    }
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (expander), name);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (expander), subtitle);
  if (failed)
    gtk_widget_add_css_class (expander, "error");
  adw_preferences_group_add (group, expander);
  add_capacity_rows (ADW_EXPANDER_ROW (expander), device);
  add_people_rows (expander, device, "users_add", _ ("Add"));
  add_people_rows (expander, device, "users_update", _ ("Update"));
  add_people_rows (expander, device, "users_delete", _ ("Delete"));
}

static void
add_conflicts (BsReportWindow *self, JsonObject *plan)
{
  JsonArray *conflicts = json_list (plan, "conflicts");
  AdwPreferencesGroup *group;

  if (json_array_get_length (conflicts) == 0)
    return;
  group = add_group (self, _ ("Conflicts"),
                     _ ("Terminals disagree about these people; the value shown wins."));
  for (guint i = 0; i < MIN (json_array_get_length (conflicts), MAX_CONFLICTS); i++)
    {
      JsonObject *conflict = json_at (conflicts, i);
      g_autofree char *title = g_strdup_printf (_ ("PIN %s: %s"), json_str (conflict, "pin"),
                                                json_str (conflict, "field"));
      g_autofree char *subtitle
          = g_strdup_printf (_ ("Keeps “%s” (%s)"), json_str (conflict, "winner_value"),
                             json_str (conflict, "reason"));

      add_row (GTK_WIDGET (group), title, subtitle, NULL);
    }
}

static void
add_plan (BsReportWindow *self, JsonObject *area)
{
  JsonObject *plan = json_obj (area, "plan");
  JsonArray *devices = json_list (plan, "devices");
  guint unreachable = json_len (plan, "unreachable");
  g_autofree char *title = NULL;
  AdwPreferencesGroup *group;

  if (plan == NULL)
    return;
  title = g_strdup_printf (_ ("Area “%s”"), json_str (area, "name"));
  group = add_group (self, title,
                     _ ("What a sync would change on each terminal. Nothing has been written."));
  for (guint i = 0; i < json_array_get_length (devices); i++)
    if (json_at (devices, i) != NULL)
      add_plan_device (group, json_at (devices, i));
  add_conflicts (self, plan);
  if (unreachable > 0)
    {
      g_autofree char *text
          = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u terminal could not be reached",
                                          "%u terminals could not be reached", unreachable),
                             unreachable);

      add_row (GTK_WIDGET (group), text, NULL, "error");
    }
}

/* ------------------------------------------------------------ a balance's gaps */

/* how many @member a device lacks: its "counts" (the lists are cut) */
static guint
gap_count (JsonObject *device, const char *member)
{
  return (guint)json_int (json_obj (device, "counts"), member);
}

static void
add_gaps (BsReportWindow *self, JsonObject *area)
{
  JsonArray *devices = json_list (json_obj (area, "gaps_before"), "devices");
  JsonArray *after = json_list (json_obj (area, "gaps_after"), "devices");
  g_autofree char *title = g_strdup_printf (_ ("Area “%s”"), json_str (area, "name"));
  AdwPreferencesGroup *group
      = add_group (self, title, _ ("Who was missing on each terminal before and after balancing."));

  for (guint i = 0; i < json_array_get_length (devices); i++)
    {
      JsonObject *device = json_at (devices, i);
      JsonObject *device_after = json_at (after, i);
      g_autofree char *subtitle = g_strdup_printf (
          _ ("Before: %u users, %u fingerprints, %u faces missing · After: %u, %u, %u"),
          gap_count (device, "missing_users"), gap_count (device, "missing_fingers"),
          gap_count (device, "missing_faces"), gap_count (device_after, "missing_users"),
          gap_count (device_after, "missing_fingers"), gap_count (device_after, "missing_faces"));
      gboolean complete = device_after != NULL && gap_count (device_after, "missing_users") == 0
                          && gap_count (device_after, "missing_fingers") == 0;

      add_row (GTK_WIDGET (group), json_str (device, "name"), subtitle,
               complete ? NULL : "warning");
    }
}

/* ------------------------------------------------------------ the job */

/* who started the job: the scheduler, or a user by name ("uid:N") */
static char *
who_started (const char *trigger)
{
  guint64 uid = 0;
  struct passwd entry;
  struct passwd *found = NULL;
  char buffer[1024];

  if (g_strcmp0 (trigger, "scheduler") == 0 || *trigger == '\0')
    return g_strdup (_ ("automatic"));
  if (!g_str_has_prefix (trigger, "uid:")
      || !g_ascii_string_to_unsigned (trigger + 4, 10, 0, G_MAXUINT32, &uid, NULL))
    return g_strdup (trigger);
  if (getpwuid_r ((uid_t)uid, &entry, buffer, sizeof buffer, &found) != 0 || found == NULL)
    return g_strdup_printf (_ ("user %u"), (guint)uid);
  /* TRANSLATORS: a user's login name and number, e.g. "alice (uid 1000)" */
  return g_strdup_printf (_ ("%s (uid %u)"), found->pw_name, (guint)uid);
}

/* trigger, who, start and duration */
static void
add_details (BsReportWindow *self, BsVariantItem *job)
{
  guint64 started = bs_variant_item_get_uint64 (job, "StartedAt");
  guint64 finished = bs_variant_item_get_uint64 (job, "FinishedAt");
  g_autofree char *who = who_started (bs_variant_item_get_string (job, "Trigger"));
  g_autofree char *start = started ? bs_format_time (started) : g_strdup ("—");
  g_autofree char *duration
      = started && finished >= started ? bs_format_duration (finished - started) : g_strdup ("—");
  GtkWidget *group = GTK_WIDGET (add_group (self, _ ("Details"), NULL));

  add_row (group, _ ("Started by"), who, NULL);
  add_row (group, _ ("Started"), start, NULL);
  add_row (group, _ ("Duration"), duration, NULL);
}

/* the report's entry for the device called @name, or NULL */
static JsonObject *
report_device (JsonObject *report, const char *name)
{
  JsonArray *devices = json_list (report, "devices");

  for (guint i = 0; i < json_array_get_length (devices); i++)
    if (json_at (devices, i) != NULL
        && g_strcmp0 (json_str (json_at (devices, i), "name"), name) == 0)
      return json_at (devices, i);
  return NULL;
}

/* what a job did to one terminal: users, fingerprints and faces, and each
 * failed item with its cause */
static void
add_result (AdwPreferencesGroup *group, BsVariantItem *result, JsonObject *device)
{
  const char *status = bs_variant_item_get_string (result, "Status");
  const char *reason = bs_variant_item_get_string (result, "Reason");
  guint failed = bs_variant_item_get_uint (result, "Failed");
  JsonArray *failures = json_list (device, "failures");
  GtkWidget *row = adw_expander_row_new ();
  g_autofree char *subtitle = NULL;
  /* a cancel or a skip is no fault of the terminal's */
  gboolean bad = failed > 0
                 || !(g_strcmp0 (status, "ok") == 0 || g_strcmp0 (status, "succeeded") == 0
                      || g_strcmp0 (status, "cancelled") == 0 || g_strcmp0 (status, "skipped") == 0
                      || *status == '\0');

  if (device != NULL)
    subtitle = g_strdup_printf (
        _ ("%s · users: %" PRId64 " added, %" PRId64 " updated, %" PRId64 " deleted · "
           "fingerprints: %" PRId64 " added · faces: %" PRId64 " added · %u failed%s%s"),
        bs_format_device_result (status), json_int (device, "users_added"),
        json_int (device, "users_updated"), json_int (device, "users_deleted"),
        json_int (device, "fingerprints_added"), json_int (device, "faces_added"), failed,
        *reason ? " · " : "", reason);
  else
    subtitle = g_strdup_printf (
        _ ("%s · %u added, %u updated, %u deleted, %u skipped, %u failed%s%s"),
        bs_format_device_result (status), bs_variant_item_get_uint (result, "Added"),
        bs_variant_item_get_uint (result, "Updated"), bs_variant_item_get_uint (result, "Deleted"),
        bs_variant_item_get_uint (result, "Skipped"), failed, *reason ? " · " : "", reason);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 bs_variant_item_get_string (result, "DeviceName"));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), subtitle);
  adw_expander_row_set_enable_expansion (ADW_EXPANDER_ROW (row),
                                         json_array_get_length (failures) > 0);
  if (bad)
    gtk_widget_add_css_class (row, "error");
  adw_preferences_group_add (group, row);
  for (guint i = 0; i < MIN (json_array_get_length (failures), MAX_PEOPLE); i++)
    {
      JsonObject *failure = json_at (failures, i);
      g_autofree char *what
          = g_strdup_printf ("%s %s", json_str (failure, "action"), json_str (failure, "kind"));
      g_autofree char *title = g_strdup_printf (_ ("PIN %s: %s"), json_str (failure, "pin"), what);

      add_row (row, title, json_str (failure, "reason"), "error");
    }
}

/* each terminal's result (the job's "Devices", the report's details) */
static void
add_results (BsReportWindow *self, GVariant *job, JsonObject *report)
{
  g_autoptr (GVariant) devices = g_variant_lookup_value (job, "Devices", G_VARIANT_TYPE ("aa{sv}"));
  g_autoptr (GPtrArray) results = g_ptr_array_new_with_free_func (g_object_unref);
  AdwPreferencesGroup *group;

  if (devices == NULL || g_variant_n_children (devices) == 0)
    return;
  group = add_group (self, _ ("Devices"), NULL);
  bs_variant_item_collect (devices, results);
  for (guint i = 0; i < results->len; i++)
    {
      BsVariantItem *result = results->pdata[i];

      add_result (group, result,
                  report_device (report, bs_variant_item_get_string (result, "DeviceName")));
    }
}

/* the report as it is, pretty-printed */
static void
add_json (BsReportWindow *self, JsonNode *root)
{
  g_autofree char *pretty = json_to_string (root, TRUE);
  AdwPreferencesGroup *group = add_group (self, _ ("Full Report"), NULL);
  GtkWidget *expander = adw_expander_row_new ();
  GtkWidget *view = gtk_text_view_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (expander), _ ("Report as JSON"));
  gtk_text_view_set_editable (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (view), TRUE);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (view, "bs-report");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)), pretty, -1);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), view);
  adw_preferences_group_add (group, expander);
}

/* a preview's plan, a balance's gaps, per area */
static void
add_areas (BsReportWindow *self, JsonObject *report, const char *kind)
{
  JsonArray *areas = json_list (report, "areas");

  for (guint i = 0; i < json_array_get_length (areas); i++)
    {
      JsonObject *area = json_at (areas, i);

      if (area != NULL && g_strcmp0 (kind, "preview") == 0)
        add_plan (self, area);
      if (json_obj (area, "gaps_before") != NULL)
        add_gaps (self, area);
    }
}

static const char *
title_of (const char *kind)
{
  if (g_strcmp0 (kind, "preview") == 0)
    return _ ("Sync Preview");
  if (g_strcmp0 (kind, "balance") == 0)
    return _ ("Balance Report");
  return bs_format_job_kind (kind);
}

BsReportWindow *
bs_report_window_new (GtkWindow *parent, GVariant *job)
{
  g_autoptr (BsVariantItem) item = bs_variant_item_new (job);
  g_autoptr (JsonParser) parser = json_parser_new ();
  const char *report = bs_variant_item_get_string (item, "Report");
  const char *kind = bs_variant_item_get_string (item, "Kind");
  BsReportWindow *self;
  JsonNode *root = NULL;

  if (*report != '\0' && json_parser_load_from_data (parser, report, -1, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    root = json_parser_get_root (parser);
  self = g_object_new (BS_TYPE_REPORT_WINDOW, "transient-for", parent, "title", title_of (kind),
                       NULL);
  add_group (self, bs_format_job_state (bs_variant_item_get_string (item, "State")),
             bs_variant_item_get_string (item, "Summary"));
  add_details (self, item);
  if (root != NULL)
    add_areas (self, json_node_get_object (root), kind);
  add_results (self, job, root != NULL ? json_node_get_object (root) : NULL);
  if (root != NULL)
    add_json (self, root);
  return self;
}

static void
bs_report_window_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), BS_TYPE_REPORT_WINDOW);
  G_OBJECT_CLASS (bs_report_window_parent_class)->dispose (object);
}

static void
bs_report_window_class_init (BsReportWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = bs_report_window_dispose;
  bs_ui_class_set_template (widget_class, "bs-report-window.ui", BS_UI_CHILD (BsReportWindow, page),
                            NULL);
}

static void
bs_report_window_init (BsReportWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
