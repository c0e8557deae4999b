/* test-store-push.c — push terminals in the store: serials pending,
 * accepted and refused, the command queue, the mirror
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "store-test-util.h"

#include "push-limits.h"

static BsdPushDevice *
knock (BsdStore *store, const char *serial, gboolean poll)
{
  g_autoptr (GError) error = NULL;
  BsdPushContact contact
      = { .address = "10.1.2.3", .dialect = "2", .push_version = "2.4.1", .poll = poll };
  BsdPushDevice *device = bsd_store_push_contact (store, serial, &contact, 8, &error);

  g_assert_no_error (error);
  return device;
}

/* a new store that each serial of the NULL-terminated list has contacted
 * once: pending, as every acceptance starts */
static G_GNUC_NULL_TERMINATED BsdStore *
store_knocked (const char *serial, ...)
{
  BsdStore *store = store_open_memory ();
  va_list serials;

  va_start (serials, serial);
  for (; serial != NULL; serial = va_arg (serials, const char *))
    bsd_push_device_free (knock (store, serial, FALSE));
  va_end (serials);
  return store;
}

static guint
accept (BsdStore *store, const char *serial)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdDeviceConfig) config = bsd_device_config_new ();
  guint device_id;

  config->name = g_strdup ("Door");
  device_id = bsd_store_accept_push_device (store, serial, config, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (device_id, >, 0);
  return device_id;
}

/* an unknown serial is pending, listed, counted; contacts update it */
static void
test_pending (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdPushDevice) first = knock (store, "CQZ7231360296", FALSE);
  g_autoptr (BsdPushDevice) again = knock (store, "CQZ7231360296", TRUE);
  g_autoptr (GPtrArray) list = NULL;
  guint pending = 0;

  g_assert_cmpint (first->state, ==, BSD_PUSH_PENDING);
  g_assert_cmpuint (first->requests, ==, 1);
  g_assert_cmpint (first->last_poll, ==, 0);
  g_assert_cmpuint (again->requests, ==, 2);
  g_assert_cmpint (again->last_poll, >, 0);
  g_assert_cmpint (again->first_seen, ==, first->first_seen);
  g_assert_cmpstr (again->address, ==, "10.1.2.3");
  g_assert_cmpstr (again->dialect, ==, "2");
  g_assert_true (bsd_store_count_pending_push_devices (store, &pending, &error));
  g_assert_cmpuint (pending, ==, 1);
  list = bsd_store_list_unaccepted_push_devices (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
}

/* thousands of made-up serials: the list stays bounded, known ones go on */
static void
test_pending_bounded (void)
{
  g_autoptr (BsdStore) store = store_knocked ("KNOWN1", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdPushDevice) again = NULL;
  guint pending = 0;

  for (guint i = 0; i < 2000; i++)
    {
      g_autofree char *serial = g_strdup_printf ("FAKE%u", i);
      g_autoptr (BsdPushDevice) device = knock (store, serial, FALSE);

      g_assert_true ((device != NULL) == (i < 7));
    }
  g_assert_true (bsd_store_count_pending_push_devices (store, &pending, &error));
  g_assert_cmpuint (pending, ==, 8);
  again = knock (store, "KNOWN1", FALSE);
  g_assert_nonnull (again);
  g_assert_cmpuint (again->requests, ==, 2);
}

/* accept binds a device row of protocol "push"; a refused serial stays
 * listed and can be accepted later; removing the device makes it pending */
static void
test_accept_refuse (void)
{
  g_autoptr (BsdStore) store = store_knocked ("SN1", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdPushDevice) accepted = NULL;
  g_autoptr (BsdPushDevice) refused = NULL;
  g_autoptr (BsdPushDevice) removed = NULL;
  g_autoptr (BsdDevice) device = NULL;
  g_autoptr (BsdDeviceConfig) config = bsd_device_config_new ();
  g_autoptr (GPtrArray) list = NULL;
  guint device_id = accept (store, "SN1");
  guint again;

  device = bsd_store_get_device (store, device_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (device->protocol, ==, "push");
  g_assert_cmpstr (device->health.serial, ==, "SN1");
  g_assert_cmpstr (device->name, ==, "Door");
  accepted = bsd_store_get_push_device_by_id (store, device_id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (accepted->state, ==, BSD_PUSH_ACCEPTED);
  list = bsd_store_list_unaccepted_push_devices (store, &error);
  g_assert_cmpuint (list->len, ==, 0);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* twice: refused */
  config->name = g_strdup ("Door");
  g_assert_cmpuint (bsd_store_accept_push_device (store, "SN1", config, &error), ==, 0);
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_cmpuint (bsd_store_accept_push_device (store, "NEVER", config, &error), ==, 0);
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* refusing an accepted one removes its device */
  g_assert_true (bsd_store_refuse_push_device (store, "SN1", &error));
  g_assert_no_error (error);
  refused = bsd_store_get_push_device (store, "SN1", &error);
  g_assert_cmpint (refused->state, ==, BSD_PUSH_REFUSED);
  g_assert_cmpuint (refused->device_id, ==, 0);
  g_assert_null (bsd_store_get_device (store, device_id, &error));
  g_clear_error (&error);
  list = bsd_store_list_unaccepted_push_devices (store, &error);
  g_assert_cmpuint (list->len, ==, 1);

  again = accept (store, "SN1");
  g_assert_cmpuint (again, !=, device_id);
  g_assert_true (bsd_store_remove_device (store, again, &error));
  removed = bsd_store_get_push_device (store, "SN1", &error);
  g_assert_cmpint (removed->state, ==, BSD_PUSH_PENDING);
  g_assert_cmpuint (removed->device_id, ==, 0);
}

static void
test_comm_key (void)
{
  g_autoptr (BsdStore) store = store_knocked ("SN1", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdPushDevice) keyed = NULL;
  gboolean ok = FALSE;

  g_assert_true (bsd_store_check_push_comm_key (store, "SN1", NULL, &ok, &error));
  g_assert_true (ok);
  g_assert_true (
      bsd_store_set_push_comm_key (store, "SN1", "00112233445566778899AABBCCDDEEFF", &error));
  g_assert_true (bsd_store_check_push_comm_key (store, "SN1", NULL, &ok, &error));
  g_assert_false (ok);
  g_assert_true (bsd_store_check_push_comm_key (store, "SN1", "00112233", &ok, &error));
  g_assert_false (ok);
  g_assert_true (bsd_store_check_push_comm_key (store, "SN1", "00112233445566778899aabbccddeeff",
                                                &ok, &error));
  g_assert_true (ok);
  keyed = bsd_store_get_push_device (store, "SN1", &error);
  g_assert_true (keyed->has_comm_key);
  g_assert_no_error (error);
}

static void
test_stamps_options (void)
{
  g_autoptr (BsdStore) store = store_knocked ("SN1", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdPushDevice) after = NULL;
  g_autoptr (GHashTable) options = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *json = NULL;

  g_assert_true (bsd_store_set_push_stamp (store, "SN1", "ATTLOG", 500, &error));
  g_assert_true (bsd_store_set_push_stamp (store, "SN1", "operlog", 600, &error));
  g_assert_true (bsd_store_set_push_stamp (store, "SN1", "ATTPHOTO", 700, &error));
  g_hash_table_insert (options, (char *)"FWVersion", (char *)"Ver 8.0.4.3");
  g_hash_table_insert (options, (char *)"~DeviceName", (char *)"Biopro SA40");
  g_hash_table_insert (options, (char *)"Secret", (char *)"nothing to keep");
  g_assert_true (bsd_store_set_push_options (store, "SN1", options, &error));
  g_assert_no_error (error);
  after = bsd_store_get_push_device (store, "SN1", &error);
  g_assert_cmpint (after->attlog_stamp, ==, 500);
  g_assert_cmpint (after->operlog_stamp, ==, 600);
  g_assert_cmpint (after->biodata_stamp, ==, 0);
  g_assert_cmpstr (after->firmware, ==, "Ver 8.0.4.3");
  g_assert_cmpstr (after->device_name, ==, "Biopro SA40");
  json = bsd_store_get_push_options (store, "SN1", &error);
  g_assert_nonnull (strstr (json, "\"FWVersion\":\"Ver 8.0.4.3\""));
  g_assert_null (strstr (json, "Secret"));
}

/* in order, a bounded number per take, results by id, idempotent */
static void
test_queue (void)
{
  g_autoptr (BsdStore) store = store_knocked ("SN1", "SN2", NULL);
  g_autoptr (GError) error = NULL;
  guint device_id = accept (store, "SN1");
  guint other_id = accept (store, "SN2");
  g_autoptr (GPtrArray) first = NULL;
  g_autoptr (GPtrArray) second = NULL;
  g_autoptr (GPtrArray) none = NULL;
  g_autoptr (BsdPushCommand) failed = NULL;
  gint64 ids[5];
  gboolean matched = FALSE;
  guint count = 0;

  /* accepted after a handshake answered "OK": a CHECK makes the device
   * read its options; its next handshake does that job */
  g_assert_true (bsd_store_count_push_commands (store, device_id, &count, &error));
  g_assert_cmpuint (count, ==, 1);
  g_assert_true (bsd_store_finish_push_checks (store, device_id, &error));
  g_assert_true (bsd_store_count_push_commands (store, device_id, &count, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 0);
  g_assert_true (bsd_store_finish_push_checks (store, other_id, &error));

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autofree char *text = g_strdup_printf ("DATA DELETE USERINFO PIN=%u", i);
      ids[i] = bsd_store_queue_push_command (store, device_id, text, &error);
      g_assert_no_error (error);
    }
  g_assert_cmpint (bsd_store_queue_push_command (store, device_id, "INFO\nC:9:CLEAR DATA", &error),
                   ==, 0);
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (bsd_store_count_push_commands (store, device_id, &count, &error));
  g_assert_cmpuint (count, ==, 5);

  first = bsd_store_take_push_commands (store, device_id, 3, G_MAXSIZE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (first->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (((BsdPushCommand *)g_ptr_array_index (first, i))->id, ==, ids[i]);
  second = bsd_store_take_push_commands (store, device_id, 3, G_MAXSIZE, &error);
  g_assert_cmpuint (second->len, ==, 2);
  g_assert_cmpint (((BsdPushCommand *)g_ptr_array_index (second, 0))->id, ==, ids[3]);
  none = bsd_store_take_push_commands (store, other_id, 3, G_MAXSIZE, &error);
  g_assert_cmpuint (none->len, ==, 0);

  /* another device's result for our id does not match */
  g_assert_true (
      bsd_store_finish_push_command (store, other_id, ids[0], 0, NULL, &matched, &error));
  g_assert_false (matched);
  g_assert_true (
      bsd_store_finish_push_command (store, device_id, ids[0], 0, NULL, &matched, &error));
  g_assert_true (matched);
  g_assert_true (bsd_store_finish_push_command (store, device_id, ids[1], -10,
                                                "PIN not on the device", &matched, &error));
  /* the same result again, or a different one: the first stays */
  g_assert_true (
      bsd_store_finish_push_command (store, device_id, ids[1], 0, NULL, &matched, &error));
  g_assert_true (matched);
  failed = bsd_store_get_push_command (store, ids[1], &error);
  g_assert_cmpint (failed->state, ==, BSD_PUSH_COMMAND_FAILED);
  g_assert_cmpint (failed->return_code, ==, -10);
  g_assert_cmpstr (failed->cause, ==, "PIN not on the device");
  g_assert_true (bsd_store_count_push_commands (store, device_id, &count, &error));
  g_assert_cmpuint (count, ==, 3);
  /* an id never sent does not match */
  g_assert_true (bsd_store_finish_push_command (store, device_id, 999, 0, NULL, &matched, &error));
  g_assert_false (matched);
  g_assert_no_error (error);
}

/* user PIN @i as a VL terminal uploads it */
static PushUser *
mirror_user (guint i)
{
  PushUser *user = g_new0 (PushUser, 1);

  user->pin = g_strdup_printf ("%u", i);
  user->name = g_strdup ("Ana");
  user->password = g_strdup ("");
  user->card = g_strdup ("[15CD5B07]");
  user->time_zones = g_strdup ("");
  user->verify = -1;
  return user;
}

static PushTemplate *
mirror_template (guint i, guint type)
{
  PushTemplate *tmpl = g_new0 (PushTemplate, 1);

  tmpl->pin = g_strdup_printf ("%u", i);
  tmpl->type = type;
  tmpl->major_version = 40;
  tmpl->minor_version = 1;
  tmpl->valid = TRUE;
  tmpl->data = g_bytes_new ("\x01\x02\x03", 3);
  return tmpl;
}

static void
test_mirror (void)
{
  g_autoptr (BsdStore) store = store_knocked ("SN1", NULL);
  g_autoptr (GError) error = NULL;
  guint device_id = accept (store, "SN1");
  g_autoptr (GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify)push_user_free);
  g_autoptr (GPtrArray) templates
      = g_ptr_array_new_with_free_func ((GDestroyNotify)push_template_free);
  g_autoptr (GPtrArray) deleted = g_ptr_array_new ();
  g_autoptr (GPtrArray) read_users = NULL;
  g_autoptr (GPtrArray) read_templates = NULL;
  PushTemplate *read;

  for (guint i = 1; i <= 2; i++)
    {
      g_ptr_array_add (users, mirror_user (i));
      g_ptr_array_add (templates, mirror_template (i, PUSH_BIO_FACE_VL));
    }
  g_assert_true (
      bsd_store_apply_push_mirror (store, device_id, users, templates, NULL, NULL, &error));
  g_assert_no_error (error);
  /* the same again replaces, a deletion removes user and templates */
  g_ptr_array_add (deleted, (char *)"1");
  g_assert_true (
      bsd_store_apply_push_mirror (store, device_id, users, templates, NULL, NULL, &error));
  g_assert_true (bsd_store_apply_push_mirror (store, device_id, NULL, NULL, NULL, deleted, &error));
  read_users = bsd_store_get_push_mirror_users (store, device_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (read_users->len, ==, 1);
  g_assert_cmpstr (((PushUser *)g_ptr_array_index (read_users, 0))->pin, ==, "2");
  g_assert_cmpstr (((PushUser *)g_ptr_array_index (read_users, 0))->card, ==, "[15CD5B07]");
  read_templates = bsd_store_get_push_mirror_templates (store, device_id, &error);
  g_assert_cmpuint (read_templates->len, ==, 1);
  read = g_ptr_array_index (read_templates, 0);
  g_assert_cmpuint (read->type, ==, PUSH_BIO_FACE_VL);
  g_assert_cmpuint (read->major_version, ==, 40);
  g_assert_cmpuint (read->minor_version, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (read->data, NULL), g_bytes_get_size (read->data),
                   "\x01\x02\x03", 3);
}

/* a full query answered: what the terminal did not upload again since
 * it took the query is gone from it (issue 13 §2) */
static void
test_mirror_prune (void)
{
  g_autoptr (BsdStore) store = store_knocked ("SN1", NULL);
  g_autoptr (GError) error = NULL;
  guint device_id = accept (store, "SN1");
  g_autoptr (GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify)push_user_free);
  g_autoptr (GPtrArray) templates
      = g_ptr_array_new_with_free_func ((GDestroyNotify)push_template_free);
  g_autoptr (GPtrArray) read_users = NULL;
  g_autoptr (GPtrArray) read_templates = NULL;
  g_autoptr (GPtrArray) commands = NULL;
  gint64 queried, first, last;

  for (guint i = 1; i <= 3; i++)
    {
      g_ptr_array_add (users, mirror_user (i));
      /* 1 and 2 fingers, 3 a face */
      g_ptr_array_add (templates, mirror_template (i, i < 3 ? PUSH_BIO_FINGER : PUSH_BIO_FACE_VL));
    }
  g_assert_true (
      bsd_store_apply_push_mirror (store, device_id, users, templates, NULL, NULL, &error));
  g_usleep (2000);
  queried = g_get_real_time ();
  g_usleep (2000);
  /* the answers: users 2 and 3 again, and user 3's face; no fingers */
  g_ptr_array_remove_index (users, 0);
  g_ptr_array_remove_range (templates, 0, 2);
  g_assert_true (
      bsd_store_apply_push_mirror (store, device_id, users, templates, NULL, NULL, &error));
  g_assert_true (bsd_store_prune_push_mirror (store, device_id, queried, 0, &error));
  g_assert_true (bsd_store_prune_push_mirror (store, device_id, queried, PUSH_BIO_FACE_VL, &error));
  g_assert_no_error (error);
  read_users = bsd_store_get_push_mirror_users (store, device_id, &error);
  g_assert_cmpuint (read_users->len, ==, 2);
  g_assert_cmpstr (((PushUser *)g_ptr_array_index (read_users, 0))->pin, ==, "2");
  read_templates = bsd_store_get_push_mirror_templates (store, device_id, &error);
  /* user 1's finger went with user 1; user 2's stays until the fingers are pruned */
  g_assert_cmpuint (read_templates->len, ==, 2);
  g_clear_pointer (&read_templates, g_ptr_array_unref);
  g_assert_true (bsd_store_prune_push_mirror (store, device_id, queried, PUSH_BIO_FINGER, &error));
  read_templates = bsd_store_get_push_mirror_templates (store, device_id, &error);
  g_assert_cmpuint (read_templates->len, ==, 1);
  g_assert_cmpuint (((PushTemplate *)g_ptr_array_index (read_templates, 0))->type, ==,
                    PUSH_BIO_FACE_VL);

  /* the engine's commands, by id range */
  first = bsd_store_queue_push_command (store, device_id, "DATA QUERY USERINFO", &error);
  last = bsd_store_queue_push_command (store, device_id, "INFO", &error);
  g_assert_true (bsd_store_queue_push_command (store, device_id, "LOG", &error) > last);
  commands = bsd_store_list_push_commands (store, device_id, first, last, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (commands->len, ==, 2);
  g_assert_cmpstr (((BsdPushCommand *)g_ptr_array_index (commands, 1))->command, ==, "INFO");
}

/* a serial that knocked, accepted, its acceptance's CHECK done */
static guint
accepted (BsdStore *store, const char *serial)
{
  g_autoptr (GError) error = NULL;
  guint device_id;

  bsd_push_device_free (knock (store, serial, FALSE));
  device_id = accept (store, serial);

  g_assert_true (bsd_store_finish_push_checks (store, device_id, &error));
  g_assert_no_error (error);
  return device_id;
}

static gint64
queue (BsdStore *store, guint device_id, const char *command)
{
  g_autoptr (GError) error = NULL;
  gint64 id = bsd_store_queue_push_command (store, device_id, command, &error);

  g_assert_no_error (error);
  return id;
}

/* @n commands queued, sent and answered (the first @failed of them
 * refused); their ids */
static GArray *
finished_commands (BsdStore *store, guint device_id, guint n, guint failed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) sent = NULL;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  gboolean matched = FALSE;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("DATA DELETE USERINFO PIN=%u", i);
      gint64 id = queue (store, device_id, text);

      g_array_append_val (ids, id);
    }
  sent = bsd_store_take_push_commands (store, device_id, n, G_MAXSIZE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sent->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_assert_true (bsd_store_finish_push_command (
          store, device_id, g_array_index (ids, gint64, i), i < failed ? -10 : 0,
          "PIN not on the device", &matched, &error));
      g_assert_true (matched);
    }
  return ids;
}

static guint
trim (BsdStore *store, guint device_id, gint64 now)
{
  g_autoptr (GError) error = NULL;
  guint removed = G_MAXUINT;

  g_assert_true (bsd_store_trim_push_commands (store, device_id, now, &removed, &error));
  g_assert_no_error (error);
  return removed;
}

static guint
rows (BsdStore *store, guint device_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all
      = bsd_store_list_push_commands (store, device_id, 0, G_MAXINT64, &error);

  g_assert_no_error (error);
  return all->len;
}

/* finished commands are kept up to a count and an age, never while the
 * device's results are fresh; queued and sent ones always */
/* one reply carries at most PUSH_REPLY_COMMAND_BYTES of commands, but a
 * longer one (a comparison photo) still goes, alone and in order */
static void
test_queue_bytes (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  guint device_id = accepted (store, "SN1");
  g_autofree char *photo = g_strnfill (40 * 1024, 'A');
  g_autofree char *big = g_strdup_printf ("DATA UPDATE BIOPHOTO PIN=1 Content=%s", photo);
  g_autofree char *huge = g_strnfill (PUSH_REPLY_COMMAND_BYTES + 1, 'B');
  g_autofree char *oversized = g_strdup_printf ("DATA UPDATE BIOPHOTO PIN=2 Content=%s", huge);
  const char *const queued[] = { "INFO", big, big, "CHECK", oversized, "INFO" };
  const guint replies[] = { 2, 2, 1, 1 };
  gint64 ids[G_N_ELEMENTS (queued)];
  guint next = 0;

  g_assert_true (bsd_store_finish_push_checks (store, device_id, &error));
  for (guint i = 0; i < G_N_ELEMENTS (queued); i++)
    ids[i] = queue (store, device_id, queued[i]);
  for (guint r = 0; r < G_N_ELEMENTS (replies); r++)
    {
      g_autoptr (GPtrArray) reply = bsd_store_take_push_commands (
          store, device_id, PUSH_COMMANDS_PER_REPLY, PUSH_REPLY_COMMAND_BYTES, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (reply->len, ==, replies[r]);
      for (guint i = 0; i < reply->len; i++)
        g_assert_cmpint (((BsdPushCommand *)g_ptr_array_index (reply, i))->id, ==, ids[next++]);
    }
  g_assert_cmpuint (next, ==, G_N_ELEMENTS (queued));
}

/* an accepted push terminal is edited like any device (name, area, zone)
 * and stays a push terminal: it cannot become a pull one, nor a pull
 * device a push one */
static void
test_update_push_device (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  guint device_id = accepted (store, "SN1");
  guint area_id = bsd_store_add_area (store, "Gate", &error);
  g_autoptr (BsdDeviceConfig) pull = bsd_device_config_new ();
  g_autoptr (BsdDeviceConfig) config = bsd_device_config_new ();
  g_autoptr (BsdDevice) before = bsd_store_get_device (store, device_id, &error);
  g_autoptr (BsdDevice) after = NULL;
  guint pull_id;

  g_assert_no_error (error);
  g_assert_cmpstr (before->protocol, ==, "push");
  config->name = g_strdup ("Gate terminal");
  config->address = g_strdup (before->address);
  config->port = before->port;
  g_free (config->protocol);
  config->protocol = g_strdup (before->protocol);
  config->area_id = area_id;
  config->time_zone = g_strdup ("Europe/Berlin");
  g_assert_true (bsd_store_update_device (store, device_id, config, &error));
  g_assert_no_error (error);
  after = bsd_store_get_device (store, device_id, &error);
  g_assert_cmpstr (after->name, ==, "Gate terminal");
  g_assert_cmpuint (after->area_id, ==, area_id);
  g_assert_cmpstr (after->time_zone, ==, "Europe/Berlin");
  g_assert_cmpstr (after->protocol, ==, "push");

  g_free (config->protocol);
  config->protocol = g_strdup ("tcp");
  g_assert_false (bsd_store_update_device (store, device_id, config, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);

  pull->name = g_strdup ("Door");
  pull->address = g_strdup ("127.0.0.1");
  pull_id = bsd_store_add_device (store, pull, &error);
  g_assert_no_error (error);
  g_free (pull->protocol);
  pull->protocol = g_strdup ("push");
  g_assert_false (bsd_store_update_device (store, pull_id, pull, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (bsd_store_add_device (store, pull, &error), ==, 0);
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
}

static void
test_trim (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  guint device_id = accepted (store, "SN1");
  guint other_id = accepted (store, "SN2");
  const guint n = BSD_PUSH_COMMANDS_KEEP + 6;
  g_autoptr (GArray) ids = NULL;
  g_autoptr (GArray) others = NULL;
  g_autoptr (BsdPushCommand) kept = NULL;
  g_autoptr (BsdPushCommand) gone = NULL;
  gint64 now, settled;

  ids = finished_commands (store, device_id, n, 3);
  others = finished_commands (store, other_id, 3, 0);
  now = g_get_real_time ();
  settled = now + BSD_PUSH_COMMANDS_SETTLE_US + G_TIME_SPAN_SECOND;

  /* results just in: a job may still be reading them */
  g_assert_cmpuint (trim (store, device_id, now), ==, 0);
  g_assert_cmpuint (trim (store, device_id, settled - 2 * G_TIME_SPAN_SECOND), ==, 0);

  /* settled: the newest BSD_PUSH_COMMANDS_KEEP stay (and acceptance's
   * CHECK goes first); a sent command stays */
  queue (store, device_id, "INFO");
  g_ptr_array_unref (bsd_store_take_push_commands (store, device_id, 1, G_MAXSIZE, &error));
  g_assert_cmpuint (trim (store, device_id, settled), ==, n + 1 - BSD_PUSH_COMMANDS_KEEP);
  g_assert_cmpuint (rows (store, device_id), ==, BSD_PUSH_COMMANDS_KEEP + 1);
  gone = bsd_store_get_push_command (store, g_array_index (ids, gint64, 5), &error);
  g_assert_null (gone);
  g_clear_error (&error);
  kept = bsd_store_get_push_command (store, g_array_index (ids, gint64, 6), &error);
  g_assert_no_error (error);
  g_assert_cmpint (kept->state, ==, BSD_PUSH_COMMAND_DONE);
  g_assert_cmpuint (trim (store, device_id, settled + G_TIME_SPAN_HOUR), ==, 0);

  /* too old: every finished one goes; queued, sent and other devices' stay */
  queue (store, device_id, "CHECK");
  g_assert_cmpuint (trim (store, device_id, now + 2 * BSD_PUSH_COMMANDS_MAX_AGE_US), ==,
                    BSD_PUSH_COMMANDS_KEEP);
  g_assert_cmpuint (rows (store, device_id), ==, 2);
  g_assert_cmpuint (rows (store, other_id), ==, 4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/push/pending", test_pending);
  g_test_add_func ("/store/push/pending-bounded", test_pending_bounded);
  g_test_add_func ("/store/push/accept-refuse", test_accept_refuse);
  g_test_add_func ("/store/push/comm-key", test_comm_key);
  g_test_add_func ("/store/push/stamps-options", test_stamps_options);
  g_test_add_func ("/store/push/queue", test_queue);
  g_test_add_func ("/store/push/queue-bytes", test_queue_bytes);
  g_test_add_func ("/store/push/update-device", test_update_push_device);
  g_test_add_func ("/store/push/mirror", test_mirror);
  g_test_add_func ("/store/push/mirror-prune", test_mirror_prune);
  g_test_add_func ("/store/push/trim", test_trim);
  return g_test_run ();
}
