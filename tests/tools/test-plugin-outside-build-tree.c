/* test-plugin-outside-build-tree.c: the tcp-framing plugin, copied alone
 * into a fresh directory, is found there through NAV_MODULE_PATH, loads,
 * and gives its transport by name
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * NAV_TEST_PLUGIN is the path of the built libnav-tcp-framing.so.  The
 * registry scans the module directories once per process, on first use,
 * so the environment is changed here before anything uses it.
 */
#include <netavanue/netavanue.h>
#include <glib/gstdio.h>

static gchar *plugin_dir;
static gchar *empty_dir;

static void
copy_plugin (const gchar *from,
             const gchar *to)
{
  g_autofree gchar *contents = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;

  g_file_get_contents (from, &contents, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (to, contents, len, &error);
  g_assert_no_error (error);
}

static void
test_loaded_from_copy (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  GList *modules = nav_registry_list_modules (registry);
  g_autofree gchar *expected = g_build_filename (plugin_dir, "libnav-tcp-framing.so", NULL);
  NavModuleInfo *info;
  GList *types;

  /* Only the copy: the build tree's modules are not on the path. */
  g_assert_cmpuint (g_list_length (modules), ==, 1);
  info = modules->data;
  g_assert_cmpstr (nav_module_info_get_name (info), ==, "tcp-framing");
  g_assert_true (nav_module_info_get_loaded (info));
  g_assert_null (nav_module_info_get_error (info));
  g_assert_cmpstr (nav_module_info_get_filename (info), ==, expected);
  g_assert_null (nav_registry_lookup_module (registry, "stun"));

  types = nav_module_info_list_types (info);
  g_assert_cmpuint (g_list_length (types), ==, 1);
  g_assert_cmpstr (g_type_name (GPOINTER_TO_SIZE (types->data)), ==, "NavTcpFramingTransport");
  g_list_free (types);

  g_list_free_full (modules, g_object_unref);
}

static void
test_creates_transport (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) peer = nav_address_new_from_string ("127.0.0.1:9", NULL);
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GObject) transport = NULL;
  g_autoptr (NavImplementationInfo) impl = NULL;
  g_autofree gchar *expected = g_build_filename (plugin_dir, "libnav-tcp-framing.so", NULL);

  transport = nav_registry_create (registry, "nav-transport", "tcp-framing", &error,
                                   "remote-address", peer,
                                   "context", context,
                                   NULL);
  g_assert_no_error (error);
  g_assert_true (NAV_IS_TRANSPORT (transport));
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (transport), ==, "NavTcpFramingTransport");
  g_assert_true (nav_transport_is_reliable (NAV_TRANSPORT (transport)));

  impl = nav_registry_lookup_type (registry, G_OBJECT_TYPE (transport));
  g_assert_nonnull (impl);
  g_assert_cmpstr (nav_module_info_get_filename (nav_implementation_info_get_module (impl)),
                   ==, expected);

  nav_transport_close (NAV_TRANSPORT (transport));
}

static void
test_no_plugin (void)
{
  g_test_skip ("NAV_TEST_PLUGIN does not name the built plugin");
}

static void
remove_dir (const gchar *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree gchar *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  const gchar *plugin = g_getenv ("NAV_TEST_PLUGIN");
  g_autoptr (GError) error = NULL;
  g_autofree gchar *copy = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  if (plugin == NULL)
    {
      g_test_add_func ("/plugin-outside-build-tree/no-plugin", test_no_plugin);
      return g_test_run ();
    }

  plugin_dir = g_dir_make_tmp ("nav-plugin-XXXXXX", &error);
  g_assert_no_error (error);
  empty_dir = g_dir_make_tmp ("nav-empty-XXXXXX", &error);
  g_assert_no_error (error);
  copy = g_build_filename (plugin_dir, "libnav-tcp-framing.so", NULL);
  copy_plugin (plugin, copy);

  g_setenv ("NAV_MODULE_PATH", plugin_dir, TRUE);
  g_setenv ("NAV_MODULE_DIR", empty_dir, TRUE);

  g_test_add_func ("/plugin-outside-build-tree/loaded-from-copy", test_loaded_from_copy);
  g_test_add_func ("/plugin-outside-build-tree/creates-transport", test_creates_transport);
  status = g_test_run ();

  remove_dir (plugin_dir);
  remove_dir (empty_dir);
  g_free (plugin_dir);
  g_free (empty_dir);
  return status;
}
