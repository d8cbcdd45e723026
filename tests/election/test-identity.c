/* test-identity.c: NavDeviceIdentity, the key file and signatures
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <netavanue/netavanue.h>

static gchar *
temp_path (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("nav-identity-XXXXXX", &error);

  g_assert_no_error (error);
  /* A subdirectory that does not exist yet: load creates it. */
  return g_build_filename (dir, "netavanue", "device-identity", NULL);
}

static void
remove_path (const gchar *path)
{
  g_autofree gchar *parent = g_path_get_dirname (path);
  g_autofree gchar *top = g_path_get_dirname (parent);

  g_unlink (path);
  g_rmdir (parent);
  g_rmdir (top);
}

/* First use creates the file, mode 0600, in a directory of mode 0700;
 * the second reads the same key back: the id is stable. */
static void
test_create_and_reload (void)
{
  g_autofree gchar *path = temp_path ();
  g_autofree gchar *parent = g_path_get_dirname (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (NavDeviceIdentity) a = NULL;
  g_autoptr (NavDeviceIdentity) b = NULL;
  g_autoptr (GBytes) ka = NULL;
  g_autoptr (GBytes) kb = NULL;
  g_autofree gchar *derived = NULL;
  GStatBuf st;
  const gchar *id;
  gsize i;

  a = nav_device_identity_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (a);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (st.st_size, ==, 72);
  g_assert_cmpint (g_stat (parent, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0700);

  id = nav_device_identity_get_device_id (a);
  g_assert_cmpuint (strlen (id), ==, 32);
  for (i = 0; id[i] != '\0'; i++)
    g_assert_true (g_ascii_isxdigit (id[i]) && !g_ascii_isupper (id[i]));

  b = nav_device_identity_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nav_device_identity_get_device_id (b), ==, id);
  ka = nav_device_identity_get_public_key (a);
  kb = nav_device_identity_get_public_key (b);
  g_assert_true (g_bytes_equal (ka, kb));
  derived = nav_device_id_from_public_key (ka);
  g_assert_cmpstr (derived, ==, id);

  remove_path (path);
}

static void
write_file (const gchar  *path,
            const guint8 *data,
            gsize         length)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *parent = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  g_file_set_contents (path, (const gchar *) data, length, &error);
  g_assert_no_error (error);
}

/* A corrupt file is an error that names the file, never a new key
 * silently written over the old one. */
static void
test_corrupt (void)
{
  g_autofree gchar *path = temp_path ();
  g_autoptr (NavDeviceIdentity) good = NULL;
  g_autofree gchar *contents = NULL;
  gsize length;
  guint8 garbage[72];
  guint i;

  /* Wrong size. */
  write_file (path, (const guint8 *) "not a key", 9);
  for (i = 0; i < 2; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (NavDeviceIdentity) id = nav_device_identity_load (path, &error);

      g_assert_null (id);
      g_assert_error (error, NAV_ELECTION_ERROR, NAV_ELECTION_ERROR_CORRUPT_IDENTITY);
      g_assert_nonnull (strstr (error->message, path));
    }
  /* The file is left as it was. */
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_cmpmem (contents, length, "not a key", 9);
  g_clear_pointer (&contents, g_free);

  /* Right size, wrong magic. */
  memset (garbage, 0xa5, sizeof garbage);
  write_file (path, garbage, sizeof garbage);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (NavDeviceIdentity) id = nav_device_identity_load (path, &error);

    g_assert_null (id);
    g_assert_error (error, NAV_ELECTION_ERROR, NAV_ELECTION_ERROR_CORRUPT_IDENTITY);
  }

  /* A valid file whose public key no longer matches its private key. */
  g_unlink (path);
  good = nav_device_identity_load (path, NULL);
  g_assert_nonnull (good);
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_cmpuint (length, ==, 72);
  contents[71] ^= 0x01;
  write_file (path, (const guint8 *) contents, length);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (NavDeviceIdentity) id = nav_device_identity_load (path, &error);

    g_assert_null (id);
    g_assert_error (error, NAV_ELECTION_ERROR, NAV_ELECTION_ERROR_CORRUPT_IDENTITY);
  }
  remove_path (path);
}

/* An unreadable path (a directory where the file should be) is an I/O
 * error. */
static void
test_io_error (void)
{
  g_autofree gchar *path = temp_path ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NavDeviceIdentity) id = NULL;

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
  id = nav_device_identity_load (path, &error);
  g_assert_null (id);
  g_assert_error (error, NAV_ELECTION_ERROR, NAV_ELECTION_ERROR_IO);
  g_rmdir (path);
  remove_path (path);
}

/* The default location is under $XDG_CONFIG_HOME (a temporary one, set
 * in main()). */
static void
test_default_location (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavDeviceIdentity) a = nav_device_identity_load_default (&error);
  g_autoptr (NavDeviceIdentity) b = NULL;
  g_autofree gchar *expected = g_build_filename (g_get_user_config_dir (), "netavanue",
                                                 "device-identity", NULL);
  g_autofree gchar *path = NULL;

  g_assert_no_error (error);
  g_object_get (a, "path", &path, NULL);
  g_assert_cmpstr (path, ==, expected);
  g_assert_true (g_file_test (expected, G_FILE_TEST_IS_REGULAR));
  b = nav_device_identity_load_default (&error);
  g_assert_no_error (error);
  g_assert_cmpstr (nav_device_identity_get_device_id (a), ==,
                   nav_device_identity_get_device_id (b));
}

/* Signatures verify with the signer's key only, and only for the same
 * message. */
static void
test_sign_verify (void)
{
  g_autoptr (NavDeviceIdentity) a = nav_device_identity_new_ephemeral ();
  g_autoptr (NavDeviceIdentity) b = nav_device_identity_new_ephemeral ();
  g_autoptr (GBytes) msg = g_bytes_new_static ("hello group", 11);
  g_autoptr (GBytes) other = g_bytes_new_static ("hello grouq", 11);
  g_autoptr (GBytes) sig = nav_device_identity_sign (a, msg);
  g_autoptr (GBytes) ka = nav_device_identity_get_public_key (a);
  g_autoptr (GBytes) kb = nav_device_identity_get_public_key (b);
  g_autoptr (GBytes) short_sig = g_bytes_new_static ("x", 1);

  g_assert_cmpstr (nav_device_identity_get_device_id (a), !=,
                   nav_device_identity_get_device_id (b));
  g_assert_cmpuint (g_bytes_get_size (sig), ==, NAV_DEVICE_SIGNATURE_SIZE);
  g_assert_true (nav_device_identity_verify (ka, msg, sig));
  g_assert_false (nav_device_identity_verify (kb, msg, sig));
  g_assert_false (nav_device_identity_verify (ka, other, sig));
  g_assert_false (nav_device_identity_verify (ka, msg, short_sig));
}

int
main (int argc, char **argv)
{
  g_autofree gchar *config = g_dir_make_tmp ("nav-identity-config-XXXXXX", NULL);
  g_autofree gchar *file = NULL;
  g_autofree gchar *dir = NULL;
  int status;

  /* A configuration directory of our own, set before GLib first reads it
   * (G_TEST_OPTION_ISOLATE_DIRS does the same, but leaks under LSan). */
  g_assert_nonnull (config);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/identity/create-and-reload", test_create_and_reload);
  g_test_add_func ("/identity/corrupt", test_corrupt);
  g_test_add_func ("/identity/io-error", test_io_error);
  g_test_add_func ("/identity/default-location", test_default_location);
  g_test_add_func ("/identity/sign-verify", test_sign_verify);
  status = g_test_run ();

  file = g_build_filename (config, "netavanue", "device-identity", NULL);
  dir = g_path_get_dirname (file);
  g_unlink (file);
  g_rmdir (dir);
  g_rmdir (config);
  return status;
}
