/* test-registry-host.c: a program hosting the registry next to a module
 * that fails to load: the failure is recorded with its reason and the
 * program goes on with the other modules
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Run by tests/plugin-out-of-tree/build-unresolved-plugin.sh with
 * NAV_TEST_FAILED_MODULE, the path of the module that must fail, first on
 * NAV_MODULE_PATH, and NAV_TEST_FAILED_REASON, what its error must say.
 * The scan happens in this process: if the module's load killed it, the
 * script would see the exit status.
 */
#include <string.h>
#include <netavanue/netavanue.h>

static const gchar *failed_path;
static const gchar *failed_reason;

static const gchar *tier_modules[] = {
  "stun", "turn", "ice", "signaling", "election", "datachannel", "tcp-framing",
};

static void
test_failed_module_listed (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  GList *modules = nav_registry_list_modules (registry);
  NavModuleInfo *failed = NULL;
  GList *l;

  for (l = modules; l; l = l->next)
    if (g_strcmp0 (nav_module_info_get_filename (l->data), failed_path) == 0)
      failed = l->data;

  g_assert_nonnull (failed);
  g_assert_false (nav_module_info_get_loaded (failed));
  g_test_message ("%s: %s", failed_path, nav_module_info_get_error (failed));
  g_assert_nonnull (strstr (nav_module_info_get_error (failed), failed_reason));
  g_assert_null (nav_module_info_list_types (failed));
  /* first on the path: loaded, and failed, before the others */
  g_assert_true (modules->data == failed);

  g_list_free_full (modules, g_object_unref);
}

static void
test_other_modules_loaded (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (tier_modules); i++)
    {
      g_autoptr (NavModuleInfo) info = nav_registry_lookup_module (registry, tier_modules[i]);

      g_assert_nonnull (info);
      g_assert_true (nav_module_info_get_loaded (info));
      g_assert_null (nav_module_info_get_error (info));
    }
}

static void
test_host_goes_on (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GObject) checker = NULL;
  g_autoptr (NavAddress) peer = nav_address_new_from_string ("127.0.0.1:9", NULL);
  g_autoptr (GObject) transport = NULL;

  checker = nav_registry_create (registry, NAV_CHECKER_EXTENSION_POINT_NAME, "ice", &error, NULL);
  g_assert_no_error (error);
  g_assert_true (NAV_IS_CHECKER (checker));

  transport = nav_registry_create (registry, NAV_TRANSPORT_EXTENSION_POINT_NAME, "tcp-framing",
                                   &error, "remote-address", peer, NULL);
  g_assert_no_error (error);
  nav_transport_close (NAV_TRANSPORT (transport));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  failed_path = g_getenv ("NAV_TEST_FAILED_MODULE");
  failed_reason = g_getenv ("NAV_TEST_FAILED_REASON");
  if (failed_path == NULL || failed_reason == NULL)
    {
      g_printerr ("NAV_TEST_FAILED_MODULE and NAV_TEST_FAILED_REASON must be set\n");
      return 1;
    }

  g_test_add_func ("/registry-host/failed-module-listed", test_failed_module_listed);
  g_test_add_func ("/registry-host/other-modules-loaded", test_other_modules_loaded);
  g_test_add_func ("/registry-host/goes-on", test_host_goes_on);

  return g_test_run ();
}
