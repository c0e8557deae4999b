/* test-bs-error.c — the BsError domain and its D-Bus names
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "bs-error.h"
#include "zk-error.h"

/* the contract (ARCHITECTURE.md), written out independently of the table */
static const struct
{
  BsError code;
  const char *name;
} contract[] = {
  { BS_ERROR_FAILED, "org.biosync.BioSync1.Error.Failed" },
  { BS_ERROR_NOT_FOUND, "org.biosync.BioSync1.Error.NotFound" },
  { BS_ERROR_INVALID_ARGS, "org.biosync.BioSync1.Error.InvalidArgs" },
  { BS_ERROR_BUSY, "org.biosync.BioSync1.Error.Busy" },
  { BS_ERROR_UNREACHABLE, "org.biosync.BioSync1.Error.Unreachable" },
  { BS_ERROR_TIMED_OUT, "org.biosync.BioSync1.Error.TimedOut" },
  { BS_ERROR_CANCELLED, "org.biosync.BioSync1.Error.Cancelled" },
  { BS_ERROR_PERMISSION_DENIED, "org.biosync.BioSync1.Error.PermissionDenied" },
  { BS_ERROR_PROTOCOL, "org.biosync.BioSync1.Error.Protocol" },
  { BS_ERROR_AUTH_FAILED, "org.biosync.BioSync1.Error.AuthFailed" },
  { BS_ERROR_DEVICE_FULL, "org.biosync.BioSync1.Error.DeviceFull" },
  { BS_ERROR_INCOMPATIBLE, "org.biosync.BioSync1.Error.Incompatible" },
};

/* runs first: a reply decoded before anyone touched BS_ERROR is a
 * generic remote error, and the conversion still finds our code */
static void
test_remote_before_registration (void)
{
  g_autoptr (GError) remote = NULL;
  g_autoptr (GError) converted = NULL;

  remote = g_dbus_error_new_for_dbus_error ("org.biosync.BioSync1.Error.DeviceFull",
                                            "terminal 3 holds 3000 of 3000 users");
  g_assert_true (g_dbus_error_is_remote_error (remote));
  g_assert_true (remote->domain == G_IO_ERROR);
  g_assert_cmpint (remote->code, ==, G_IO_ERROR_DBUS_ERROR);

  g_assert_cmpint (bs_error_code_for (remote, BS_ERROR_FAILED), ==, BS_ERROR_DEVICE_FULL);
  converted = bs_error_convert (remote, BS_ERROR_FAILED);
  g_assert_error (converted, BS_ERROR, BS_ERROR_DEVICE_FULL);
  g_assert_cmpstr (converted->message, ==, "terminal 3 holds 3000 of 3000 users");
}

static void
test_table (void)
{
  guint i;

  g_assert_cmpuint (G_N_ELEMENTS (contract), ==, BS_ERROR_N_CODES);
  for (i = 0; i < G_N_ELEMENTS (contract); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GError) decoded = NULL;
      g_autofree char *encoded = NULL;
      g_autofree char *remote_name = NULL;
      BsError code = BS_ERROR_N_CODES;

      g_test_message ("%s", contract[i].name);
      g_assert_cmpstr (bs_error_to_dbus_name (contract[i].code), ==, contract[i].name);
      g_assert_true (bs_error_from_dbus_name (contract[i].name, &code));
      g_assert_cmpint (code, ==, contract[i].code);

      /* what a method handler returning this error puts on the bus */
      error = g_error_new (BS_ERROR, contract[i].code, "argument “%s”: %u", "area_id", i);
      encoded = g_dbus_error_encode_gerror (error);
      g_assert_cmpstr (encoded, ==, contract[i].name);

      /* and what a client makes of it */
      decoded = g_dbus_error_new_for_dbus_error (encoded, error->message);
      g_assert_error (decoded, BS_ERROR, (int)contract[i].code);
      g_assert_true (g_dbus_error_is_remote_error (decoded));
      remote_name = g_dbus_error_get_remote_error (decoded);
      g_assert_cmpstr (remote_name, ==, contract[i].name);
      g_assert_true (g_dbus_error_strip_remote_error (decoded));
      g_assert_cmpstr (decoded->message, ==, error->message);

      /* a BsError converts to itself */
      g_assert_cmpint (bs_error_code_for (error, BS_ERROR_FAILED), ==, contract[i].code);
    }

  g_assert_null (bs_error_to_dbus_name (BS_ERROR_N_CODES));
  g_assert_null (bs_error_to_dbus_name ((BsError)-1));
  g_assert_false (bs_error_from_dbus_name ("org.biosync.BioSync1.Error.Nope", NULL));
  g_assert_false (bs_error_from_dbus_name ("org.freedesktop.DBus.Error.Failed", NULL));
}

/* @code of @domain becomes @expected, the message kept */
static void
assert_converts (GQuark domain, int code, BsError expected)
{
  g_autoptr (GError) error = g_error_new (domain, code, "%s %d", g_quark_to_string (domain), code);
  g_autoptr (GError) converted = bs_error_convert (error, BS_ERROR_BUSY);

  g_assert_error (converted, BS_ERROR, (int)expected);
  g_assert_cmpstr (converted->message, ==, error->message);
}

static void
test_gio (void)
{
  static const struct
  {
    int io;
    BsError code;
  } map[] = {
    { G_IO_ERROR_FAILED, BS_ERROR_FAILED },
    { G_IO_ERROR_NOT_FOUND, BS_ERROR_NOT_FOUND },
    { G_IO_ERROR_INVALID_ARGUMENT, BS_ERROR_INVALID_ARGS },
    { G_IO_ERROR_INVALID_DATA, BS_ERROR_INVALID_ARGS },
    { G_IO_ERROR_CLOSED, BS_ERROR_INVALID_ARGS },
    { G_IO_ERROR_BUSY, BS_ERROR_BUSY },
    { G_IO_ERROR_WOULD_BLOCK, BS_ERROR_BUSY },
    { G_IO_ERROR_HOST_NOT_FOUND, BS_ERROR_UNREACHABLE },
    { G_IO_ERROR_HOST_UNREACHABLE, BS_ERROR_UNREACHABLE },
    { G_IO_ERROR_NETWORK_UNREACHABLE, BS_ERROR_UNREACHABLE },
    { G_IO_ERROR_CONNECTION_REFUSED, BS_ERROR_UNREACHABLE },
    { G_IO_ERROR_BROKEN_PIPE, BS_ERROR_UNREACHABLE },
    { G_IO_ERROR_TIMED_OUT, BS_ERROR_TIMED_OUT },
    { G_IO_ERROR_CANCELLED, BS_ERROR_CANCELLED },
    { G_IO_ERROR_PERMISSION_DENIED, BS_ERROR_PERMISSION_DENIED },
    { G_IO_ERROR_NOT_SUPPORTED, BS_ERROR_INCOMPATIBLE },
    { G_IO_ERROR_PARTIAL_INPUT, BS_ERROR_PROTOCOL },
    { G_IO_ERROR_NO_SPACE, BS_ERROR_FAILED }, /* our disk, not a terminal */
    { 9999, BS_ERROR_FAILED },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (map); i++)
    {
      g_assert_cmpint (bs_error_code_from_io (map[i].io), ==, map[i].code);
      assert_converts (G_IO_ERROR, map[i].io, map[i].code);
    }
}

static void
test_gdbus (void)
{
  static const struct
  {
    int dbus;
    BsError code;
  } map[] = {
    { G_DBUS_ERROR_FAILED, BS_ERROR_FAILED },
    { G_DBUS_ERROR_ACCESS_DENIED, BS_ERROR_PERMISSION_DENIED },
    { G_DBUS_ERROR_INVALID_ARGS, BS_ERROR_INVALID_ARGS },
    { G_DBUS_ERROR_PROPERTY_READ_ONLY, BS_ERROR_INVALID_ARGS },
    { G_DBUS_ERROR_SERVICE_UNKNOWN, BS_ERROR_NOT_FOUND },
    { G_DBUS_ERROR_UNKNOWN_METHOD, BS_ERROR_NOT_FOUND },
    { G_DBUS_ERROR_UNKNOWN_OBJECT, BS_ERROR_NOT_FOUND },
    { G_DBUS_ERROR_NO_REPLY, BS_ERROR_TIMED_OUT },
    { G_DBUS_ERROR_TIMED_OUT, BS_ERROR_TIMED_OUT },
    { G_DBUS_ERROR_LIMITS_EXCEEDED, BS_ERROR_BUSY },
    { G_DBUS_ERROR_DISCONNECTED, BS_ERROR_UNREACHABLE },
    { G_DBUS_ERROR_NOT_SUPPORTED, BS_ERROR_INCOMPATIBLE },
  };
  g_autoptr (GError) remote = NULL;
  g_autoptr (GError) converted = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (map); i++)
    g_assert_cmpint (bs_error_code_from_dbus (map[i].dbus), ==, map[i].code);

  /* a remote error keeps its message, without the GDBus.Error prefix */
  remote = g_dbus_error_new_for_dbus_error ("org.freedesktop.DBus.Error.AccessDenied",
                                            "Rejected send message");
  g_assert_error (remote, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED);
  converted = bs_error_convert (remote, BS_ERROR_FAILED);
  g_assert_error (converted, BS_ERROR, BS_ERROR_PERMISSION_DENIED);
  g_assert_cmpstr (converted->message, ==, "Rejected send message");
  g_assert_false (g_dbus_error_is_remote_error (converted));
}

static void
test_zk (void)
{
  static const struct
  {
    ZkErrorCode zk;
    BsError code;
  } map[] = {
    { ZK_ERROR_FAILED, BS_ERROR_FAILED },
    { ZK_ERROR_TIMED_OUT, BS_ERROR_TIMED_OUT },
    { ZK_ERROR_UNREACHABLE, BS_ERROR_UNREACHABLE },
    { ZK_ERROR_CLOSED, BS_ERROR_UNREACHABLE },
    { ZK_ERROR_AUTH_FAILED, BS_ERROR_AUTH_FAILED },
    { ZK_ERROR_PROTOCOL, BS_ERROR_PROTOCOL },
    { ZK_ERROR_DEVICE, BS_ERROR_FAILED },
    { ZK_ERROR_UNSUPPORTED, BS_ERROR_INCOMPATIBLE },
    { ZK_ERROR_FULL, BS_ERROR_DEVICE_FULL },
    { ZK_ERROR_NOT_FOUND, BS_ERROR_NOT_FOUND },
    { ZK_ERROR_CANCELLED, BS_ERROR_CANCELLED },
    { ZK_ERROR_INVALID_ARGUMENT, BS_ERROR_INVALID_ARGS },
  };
  g_autoptr (GError) device = NULL;
  g_autoptr (GError) converted = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (map); i++)
    {
      g_assert_cmpint (bs_error_code_from_zk (map[i].zk), ==, map[i].code);
      assert_converts (ZK_ERROR, map[i].zk, map[i].code);
    }
  g_assert_cmpint (bs_error_code_from_zk (1000), ==, BS_ERROR_FAILED);

  /* an ACK_ERROR with its sub-code keeps the message that names it */
  zk_set_device_error (&device, 8, 2);
  converted = bs_error_convert (device, BS_ERROR_BUSY);
  g_assert_error (converted, BS_ERROR, BS_ERROR_FAILED);
  g_assert_cmpstr (converted->message, ==, device->message);
}

static void
test_foreign_and_in_place (void)
{
  g_autoptr (GError) foreign = NULL;
  g_autoptr (GError) converted = NULL;
  GError *error = NULL;
  GError *original;

  /* a domain this library does not know: the caller's code */
  foreign = g_error_new_literal (G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE, "bad line 3");
  converted = bs_error_convert (foreign, BS_ERROR_INVALID_ARGS);
  g_assert_error (converted, BS_ERROR, BS_ERROR_INVALID_ARGS);
  g_assert_cmpstr (converted->message, ==, "bad line 3");
  g_assert_cmpint (bs_error_code_for (foreign, BS_ERROR_NOT_FOUND), ==, BS_ERROR_NOT_FOUND);
  /* a fallback out of range is Failed, never an unregistered code */
  g_assert_cmpint (bs_error_code_for (foreign, (BsError)77), ==, BS_ERROR_FAILED);

  /* in place: converts foreign errors, leaves BsErrors and NULL alone */
  bs_error_convert_in_place (NULL, BS_ERROR_FAILED);
  bs_error_convert_in_place (&error, BS_ERROR_FAILED);
  g_assert_null (error);

  g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no answer");
  bs_error_convert_in_place (&error, BS_ERROR_FAILED);
  g_assert_error (error, BS_ERROR, BS_ERROR_TIMED_OUT);
  g_assert_cmpstr (error->message, ==, "no answer");

  original = error;
  bs_error_convert_in_place (&error, BS_ERROR_FAILED);
  g_assert_true (error == original);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  /* first: before anything registers the domain */
  g_test_add_func ("/bs-error/remote-before-registration", test_remote_before_registration);
  g_test_add_func ("/bs-error/table", test_table);
  g_test_add_func ("/bs-error/gio", test_gio);
  g_test_add_func ("/bs-error/gdbus", test_gdbus);
  g_test_add_func ("/bs-error/zk", test_zk);
  g_test_add_func ("/bs-error/foreign-and-in-place", test_foreign_and_in_place);

  return g_test_run ();
}
