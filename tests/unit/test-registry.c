/* test-registry.c: extension points, module loading and failures,
 * NAV_USE_*, creating objects by name
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <netavanue/netavanue.h>
#include <glib/gstdio.h>
#include <string.h>

static const gchar *tier_modules[] = {
  "stun", "turn", "ice", "signaling", "election", "datachannel", "tcp-framing",
};

static NavModuleInfo *
find_module (GList       *modules,
             const gchar *name)
{
  GList *l;

  for (l = modules; l; l = l->next)
    if (g_strcmp0 (nav_module_info_get_name (l->data), name) == 0)
      return l->data;
  return NULL;
}

static void
test_extension_points (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  g_auto (GStrv) points = nav_registry_list_extension_points (registry);
  struct { const gchar *name; GType type; } expected[] = {
    { "nav-transport", NAV_TYPE_TRANSPORT },
    { "nav-gatherer", NAV_TYPE_GATHERER },
    { "nav-checker", NAV_TYPE_CHECKER },
    { "nav-channel", NAV_TYPE_CHANNEL },
    { "nav-server", NAV_TYPE_SERVER },
    { "nav-signaling-client", NAV_TYPE_SIGNALING_CLIENT },
    { "nav-dtls-backend", NAV_TYPE_DTLS_BACKEND },
    { "nav-sctp-transport", NAV_TYPE_SCTP_TRANSPORT },
    { "nav-discovery", NAV_TYPE_DISCOVERY },
  };
  gsize i;

  g_assert_cmpuint (g_strv_length (points), ==, G_N_ELEMENTS (expected));
  for (i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      GIOExtensionPoint *point = g_io_extension_point_lookup (expected[i].name);

      g_assert_true (g_strv_contains ((const gchar * const *) points, expected[i].name));
      g_assert_cmpuint (nav_registry_get_extension_point_type (registry, expected[i].name),
                        ==, expected[i].type);
      /* they are real GIO extension points with their required type */
      g_assert_nonnull (point);
      g_assert_cmpuint (g_io_extension_point_get_required_type (point), ==, expected[i].type);
    }
  g_assert_cmpuint (nav_registry_get_extension_point_type (registry, "nav-nothing"),
                    ==, G_TYPE_INVALID);
}

static void
test_core_implementations (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NavImplementationInfo) udp = nav_registry_lookup (registry, "nav-transport", "udp", &error);
  g_autoptr (NavImplementationInfo) host = nav_registry_lookup (registry, "nav-gatherer", "host", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (nav_implementation_info_get_gtype (udp), ==, NAV_TYPE_UDP_TRANSPORT);
  g_assert_null (nav_implementation_info_get_module (udp));
  g_assert_cmpstr (nav_implementation_info_get_extension_point (udp), ==, "nav-transport");
  g_assert_cmpuint (nav_implementation_info_get_gtype (host), ==, NAV_TYPE_HOST_GATHERER);
}

static void
test_tier_modules_loaded (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  GList *modules = nav_registry_list_modules (registry);
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (tier_modules); i++)
    {
      NavModuleInfo *info = find_module (modules, tier_modules[i]);
      g_autoptr (NavModuleInfo) looked_up = NULL;
      GList *types;

      g_test_message ("module %s", tier_modules[i]);
      g_assert_nonnull (info);
      g_assert_null (nav_module_info_get_error (info));
      g_assert_true (nav_module_info_get_loaded (info));
      g_assert_nonnull (nav_module_info_get_description (info));
      g_assert_nonnull (nav_module_info_get_version (info));
      g_assert_nonnull (nav_module_info_get_license (info));
      /* loaded from the build tree (NAV_MODULE_PATH), never an installed copy */
      g_assert_true (g_str_has_prefix (nav_module_info_get_filename (info),
                                       g_getenv ("NAV_BUILD_ROOT")));

      types = nav_module_info_list_types (info);
      g_assert_nonnull (types);
      g_list_free (types);

      looked_up = nav_registry_lookup_module (registry, tier_modules[i]);
      g_assert_true (looked_up == info);
    }
  g_list_free_full (modules, g_object_unref);
}

static void
test_implementation_attributed_to_module (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  struct { const gchar *point, *name, *module; } cases[] = {
    { "nav-transport", "tcp-framing", "tcp-framing" },
    { "nav-server", "stun", "stun" },
    { "nav-server", "turn", "turn" },
    { "nav-checker", "ice", "ice" },
    { "nav-server", "signaling", "signaling" },
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (NavImplementationInfo) impl = NULL;
      g_autoptr (NavImplementationInfo) by_type = NULL;
      NavModuleInfo *module;
      GList *types;

      impl = nav_registry_lookup (registry, cases[i].point, cases[i].name, &error);
      g_assert_no_error (error);
      module = nav_implementation_info_get_module (impl);
      g_assert_nonnull (module);
      g_assert_cmpstr (nav_module_info_get_name (module), ==, cases[i].module);

      types = nav_module_info_list_types (module);
      g_assert_nonnull (g_list_find (types, GSIZE_TO_POINTER (nav_implementation_info_get_gtype (impl))));
      g_list_free (types);

      by_type = nav_registry_lookup_type (registry, nav_implementation_info_get_gtype (impl));
      g_assert_cmpstr (nav_implementation_info_get_name (by_type), ==, cases[i].name);
    }
}

static void
test_implementations_sorted (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  GList *impls = nav_registry_list_implementations (registry, "nav-transport");
  GList *l;
  gint last = G_MAXINT;
  gboolean saw_udp = FALSE, saw_tcp = FALSE;

  for (l = impls; l; l = l->next)
    {
      gint priority = nav_implementation_info_get_priority (l->data);

      g_assert_cmpint (priority, <=, last);
      last = priority;
      saw_udp |= g_strcmp0 (nav_implementation_info_get_name (l->data), "udp") == 0;
      saw_tcp |= g_strcmp0 (nav_implementation_info_get_name (l->data), "tcp-framing") == 0;
    }
  g_assert_true (saw_udp && saw_tcp);
  g_list_free_full (impls, g_object_unref);

  g_assert_null (nav_registry_list_implementations (registry, "no-such-point"));
}

static void
test_lookup_errors (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  g_autoptr (GError) error = NULL;

  g_assert_null (nav_registry_lookup (registry, "nav-transport", "carrier-pigeon", &error));
  g_assert_error (error, NAV_REGISTRY_ERROR, NAV_REGISTRY_ERROR_UNKNOWN_IMPLEMENTATION);
  g_clear_error (&error);

  g_assert_null (nav_registry_lookup (registry, "nav-teleport", "udp", &error));
  g_assert_error (error, NAV_REGISTRY_ERROR, NAV_REGISTRY_ERROR_UNKNOWN_EXTENSION_POINT);
  g_clear_error (&error);

  /* A GIO extension point that is not the registry's is not one of ours */
  g_assert_null (nav_registry_lookup (registry, G_TLS_BACKEND_EXTENSION_POINT_NAME, "gnutls", &error));
  g_assert_error (error, NAV_REGISTRY_ERROR, NAV_REGISTRY_ERROR_UNKNOWN_EXTENSION_POINT);
}

static void
test_create_with_properties (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) local = nav_address_new_from_string ("127.0.0.1:0", NULL);
  g_autoptr (GObject) object = NULL;
  const gchar *names[] = { "local-address" };
  GValue values[1] = { G_VALUE_INIT };
  const NavAddress *bound;

  g_value_init (&values[0], NAV_TYPE_ADDRESS);
  g_value_set_boxed (&values[0], local);
  object = nav_registry_create_with_properties (registry, "nav-transport", "udp",
                                                1, names, values, &error);
  g_value_unset (&values[0]);
  g_assert_no_error (error);
  g_assert_true (NAV_IS_UDP_TRANSPORT (object));
  bound = nav_transport_get_local_address (NAV_TRANSPORT (object));
  g_assert_nonnull (bound);
  g_assert_true (nav_address_is_loopback (bound));
  g_assert_cmpuint (nav_address_get_port (bound), !=, 0);
}

static void
test_create_varargs (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) local = nav_address_new_from_string ("127.0.0.1:0", NULL);
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GObject) object = NULL;

  object = nav_registry_create (registry, "nav-transport", "udp", &error,
                                "local-address", local,
                                "context", context,
                                NULL);
  g_assert_no_error (error);
  g_assert_true (nav_transport_get_context (NAV_TRANSPORT (object)) == context);
}

static void
test_create_errors (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) unroutable = nav_address_new_from_string ("192.0.2.123:0", NULL);
  const gchar *names[] = { "local-address" };
  GValue values[1] = { G_VALUE_INIT };

  /* unknown property */
  g_assert_null (nav_registry_create (registry, "nav-transport", "udp", &error,
                                      "flux-capacitor", 88, NULL));
  g_assert_error (error, NAV_REGISTRY_ERROR, NAV_REGISTRY_ERROR_INVALID_PROPERTY);
  g_clear_error (&error);

  /* read-only property */
  g_assert_null (nav_registry_create (registry, "nav-transport", "udp", &error,
                                      "socket", NULL, NULL));
  g_assert_error (error, NAV_REGISTRY_ERROR, NAV_REGISTRY_ERROR_INVALID_PROPERTY);
  g_clear_error (&error);

  /* a value of the wrong type */
  g_value_init (&values[0], G_TYPE_STRING);
  g_value_set_string (&values[0], "127.0.0.1:0");
  g_assert_null (nav_registry_create_with_properties (registry, "nav-transport", "udp",
                                                      1, names, values, &error));
  g_value_unset (&values[0]);
  g_assert_error (error, NAV_REGISTRY_ERROR, NAV_REGISTRY_ERROR_INVALID_PROPERTY);
  g_clear_error (&error);

  /* unknown implementation */
  g_assert_null (nav_registry_create (registry, "nav-transport", "smoke-signals", &error, NULL));
  g_assert_error (error, NAV_REGISTRY_ERROR, NAV_REGISTRY_ERROR_UNKNOWN_IMPLEMENTATION);
  g_clear_error (&error);

  /* GInitable failure passes through: 192.0.2.0/24 is on no interface */
  g_assert_null (nav_registry_create (registry, "nav-transport", "udp", &error,
                                      "local-address", unroutable, NULL));
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_BIND_FAILED);
}

static void
test_module_types_pinned (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  guint round;

  /* Creating and dropping every object of a module type twice: a module
   * that was unloaded after the first round would crash the second. */
  for (round = 0; round < 2; round++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GObject) checker = nav_registry_create (registry, "nav-checker", "ice", &error, NULL);
      g_autoptr (GObject) server = nav_registry_create (registry, "nav-server", "turn", &error, NULL);

      g_assert_no_error (error);
      g_assert_true (NAV_IS_CHECKER (checker));
      g_assert_true (NAV_IS_SERVER (server));
    }
}

static void
test_preferred (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NavImplementationInfo) transport = NULL;

  if (g_getenv ("NAV_USE_TRANSPORT") != NULL)
    {
      g_test_skip ("NAV_USE_TRANSPORT is set in the environment");
      return;
    }
  transport = nav_registry_get_preferred (registry, "nav-transport", &error);
  g_assert_no_error (error);
  /* the highest priority: the core's UDP transport */
  g_assert_cmpstr (nav_implementation_info_get_name (transport), ==, "udp");
}

/* The scenarios below run in a subprocess: the registry scans the module
 * directories once per process, so each needs its own environment. */

static gchar *
make_dir (void)
{
  g_autoptr (GError) error = NULL;
  gchar *dir = g_dir_make_tmp ("nav-registry-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
write_file (const gchar *dir,
            const gchar *name,
            const gchar *contents)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
copy_file (const gchar *from,
           const gchar *dir,
           const gchar *name)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);
  g_autofree gchar *contents = NULL;
  gsize len;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (from, &contents, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);
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

static void
test_failed_modules_recorded (void)
{
  if (g_test_subprocess ())
    {
      NavRegistry *registry = nav_registry_get_default ();
      GList *modules = nav_registry_list_modules (registry);
      NavModuleInfo *garbage = find_module (modules, "garbage");
      NavModuleInfo *notamodule = find_module (modules, "notamodule");
      GList *l;
      guint n_garbage = 0;

      g_assert_nonnull (garbage);
      g_assert_false (nav_module_info_get_loaded (garbage));
      g_assert_nonnull (nav_module_info_get_error (garbage));
      g_assert_null (nav_module_info_list_types (garbage));
      g_print ("garbage: %s\n", nav_module_info_get_error (garbage));

      g_assert_nonnull (notamodule);
      g_assert_false (nav_module_info_get_loaded (notamodule));
      g_assert_nonnull (strstr (nav_module_info_get_error (notamodule),
                                "g_io_nav_notamodule_load"));

      /* block-duplicates: the first directory's file hides the second's */
      for (l = modules; l; l = l->next)
        if (g_strcmp0 (nav_module_info_get_name (l->data), "garbage") == 0)
          n_garbage++;
      g_assert_cmpuint (n_garbage, ==, 1);
      /* the parent checks it is the first directory's file */
      g_print ("garbage file: %s\n", nav_module_info_get_filename (garbage));

      /* the real modules further on the path still load */
      g_assert_nonnull (find_module (modules, "stun"));
      g_assert_true (nav_module_info_get_loaded (find_module (modules, "stun")));
      g_list_free_full (modules, g_object_unref);
      return;
    }
  else
    {
      g_autofree gchar *first = make_dir ();
      g_autofree gchar *second = make_dir ();
      g_autofree gchar *empty = make_dir ();
      g_autofree gchar *corelib = g_build_filename (g_getenv ("NAV_BUILD_ROOT"), "core",
                                                    "libnetavanue-1.0.so", NULL);
      g_autofree gchar *path = NULL;
      g_autofree gchar *old_path = g_strdup (g_getenv ("NAV_MODULE_PATH"));
      g_autofree gchar *old_dir = g_strdup (g_getenv ("NAV_MODULE_DIR"));
      g_autofree gchar *expected = NULL;

      write_file (first, "libnav-garbage.so", "this is not an ELF file\n");
      write_file (second, "libnav-garbage.so", "neither is this\n");
      /* a real shared library that is not a module */
      copy_file (corelib, second, "libnav-notamodule.so");

      path = g_strjoin (":", first, second, old_path, NULL);
      g_setenv ("NAV_MODULE_PATH", path, TRUE);
      g_setenv ("NAV_MODULE_DIR", empty, TRUE);
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_setenv ("NAV_MODULE_PATH", old_path, TRUE);
      g_setenv ("NAV_MODULE_DIR", old_dir, TRUE);

      g_test_trap_assert_passed ();
      expected = g_strdup_printf ("*garbage file: %s/libnav-garbage.so*", first);
      g_test_trap_assert_stdout (expected);

      remove_dir (first);
      remove_dir (second);
      remove_dir (empty);
    }
}

static void
test_use_variable (void)
{
  if (g_test_subprocess ())
    {
      NavRegistry *registry = nav_registry_get_default ();
      g_autoptr (GError) error = NULL;
      g_autoptr (NavImplementationInfo) transport = NULL;
      g_autoptr (NavImplementationInfo) checker = NULL;

      transport = nav_registry_get_preferred (registry, "nav-transport", &error);
      g_assert_no_error (error);
      g_assert_cmpstr (nav_implementation_info_get_name (transport), ==, "tcp-framing");

      checker = nav_registry_get_preferred (registry, "nav-checker", &error);
      g_assert_null (checker);
      g_assert_error (error, NAV_REGISTRY_ERROR, NAV_REGISTRY_ERROR_UNKNOWN_IMPLEMENTATION);
      return;
    }

  g_setenv ("NAV_USE_TRANSPORT", "tcp-framing", TRUE);
  g_setenv ("NAV_USE_CHECKER", "no-such-checker", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv ("NAV_USE_TRANSPORT");
  g_unsetenv ("NAV_USE_CHECKER");
  g_test_trap_assert_passed ();
}

static void
test_use_variable_help (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (NavImplementationInfo) transport = NULL;

      transport = nav_registry_get_preferred (nav_registry_get_default (), "nav-transport", &error);
      g_assert_no_error (error);
      /* help lists, then the default choice is made */
      g_assert_cmpstr (nav_implementation_info_get_name (transport), ==, "udp");
      return;
    }

  g_setenv ("NAV_USE_TRANSPORT", "help", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv ("NAV_USE_TRANSPORT");
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*NAV_USE_TRANSPORT*udp (NavUdpTransport, priority 100)*tcp-framing*");
}

/* The module entry helpers of nav-module.h. */

static void
test_module_query_lists_points_once (void)
{
  static const NavModuleImplementation implementations[] = {
    { NAV_SERVER_EXTENSION_POINT_NAME, "a", nav_udp_transport_get_type, 10 },
    { NAV_GATHERER_EXTENSION_POINT_NAME, "b", nav_host_gatherer_get_type, 10 },
    { NAV_SERVER_EXTENSION_POINT_NAME, "c", nav_udp_transport_get_type, 5 },
    { NULL }
  };
  g_auto (GStrv) points = nav_module_query (implementations);
  g_auto (GStrv) none = nav_module_query (NULL);
  const gchar *expected[] = { NAV_SERVER_EXTENSION_POINT_NAME,
                              NAV_GATHERER_EXTENSION_POINT_NAME, NULL };

  g_assert_cmpstrv (points, expected);
  g_assert_nonnull (none);
  g_assert_null (none[0]);
}

/* A class whose properties are all fields, through
 * NAV_DEFINE_FIELD_PROPERTIES, with one of each kind of value. */
#define TEST_TYPE_FIELDS (test_fields_get_type ())
G_DECLARE_FINAL_TYPE (TestFields, test_fields, TEST, FIELDS, GObject)

struct _TestFields
{
  GObject parent_instance;

  GMainContext *context;
  NavAddress *address;
  gchar *name;
  GObject *object;
  NavCandidateTransport protocol;
  guint64 counter;
  gboolean enabled;
  gdouble ratio;
  GType gtype;
};

enum {
  FIELD_PROP_0,
  FIELD_PROP_CONTEXT,
  FIELD_PROP_ADDRESS,
  FIELD_PROP_NAME,
  FIELD_PROP_OBJECT,
  FIELD_PROP_PROTOCOL,
  FIELD_PROP_COUNTER,
  FIELD_PROP_ENABLED,
  FIELD_PROP_RATIO,
  FIELD_PROP_GTYPE,
  FIELD_N_PROPS
};

G_DEFINE_FINAL_TYPE (TestFields, test_fields, G_TYPE_OBJECT)

static const gsize test_fields_offsets[FIELD_N_PROPS] = {
  [FIELD_PROP_CONTEXT] = G_STRUCT_OFFSET (TestFields, context),
  [FIELD_PROP_ADDRESS] = G_STRUCT_OFFSET (TestFields, address),
  [FIELD_PROP_NAME] = G_STRUCT_OFFSET (TestFields, name),
  [FIELD_PROP_OBJECT] = G_STRUCT_OFFSET (TestFields, object),
  [FIELD_PROP_PROTOCOL] = G_STRUCT_OFFSET (TestFields, protocol),
  [FIELD_PROP_COUNTER] = G_STRUCT_OFFSET (TestFields, counter),
  [FIELD_PROP_ENABLED] = G_STRUCT_OFFSET (TestFields, enabled),
  [FIELD_PROP_RATIO] = G_STRUCT_OFFSET (TestFields, ratio),
  [FIELD_PROP_GTYPE] = G_STRUCT_OFFSET (TestFields, gtype),
};

NAV_DEFINE_FIELD_PROPERTIES (test_fields, test_fields_offsets)

static void
test_fields_finalize (GObject *object)
{
  TestFields *self = TEST_FIELDS (object);

  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->address, nav_address_free);
  g_free (self->name);
  g_clear_object (&self->object);

  G_OBJECT_CLASS (test_fields_parent_class)->finalize (object);
}

static void
test_fields_class_init (TestFieldsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = test_fields_finalize;
  object_class->get_property = test_fields_get_property;
  object_class->set_property = test_fields_set_property;

  g_object_class_install_property (object_class, FIELD_PROP_CONTEXT,
    g_param_spec_boxed ("context", NULL, NULL, G_TYPE_MAIN_CONTEXT, rw | G_PARAM_CONSTRUCT_ONLY));
  g_object_class_install_property (object_class, FIELD_PROP_ADDRESS,
    g_param_spec_boxed ("address", NULL, NULL, NAV_TYPE_ADDRESS, rw));
  g_object_class_install_property (object_class, FIELD_PROP_NAME,
    g_param_spec_string ("name", NULL, NULL, "default", rw | G_PARAM_CONSTRUCT));
  g_object_class_install_property (object_class, FIELD_PROP_OBJECT,
    g_param_spec_object ("object", NULL, NULL, G_TYPE_OBJECT, rw));
  g_object_class_install_property (object_class, FIELD_PROP_PROTOCOL,
    g_param_spec_enum ("protocol", NULL, NULL, NAV_TYPE_CANDIDATE_TRANSPORT,
                       NAV_CANDIDATE_TRANSPORT_TCP_SO, rw | G_PARAM_CONSTRUCT));
  g_object_class_install_property (object_class, FIELD_PROP_COUNTER,
    g_param_spec_uint64 ("counter", NULL, NULL, 0, G_MAXUINT64, 0, rw));
  g_object_class_install_property (object_class, FIELD_PROP_ENABLED,
    g_param_spec_boolean ("enabled", NULL, NULL, FALSE, rw));
  g_object_class_install_property (object_class, FIELD_PROP_RATIO,
    g_param_spec_double ("ratio", NULL, NULL, 0, 1, 0.5, rw | G_PARAM_CONSTRUCT));
  g_object_class_install_property (object_class, FIELD_PROP_GTYPE,
    g_param_spec_gtype ("gtype", NULL, NULL, G_TYPE_NONE, rw));
}

static void
test_fields_init (TestFields *self)
{
}

static void
test_field_properties (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavAddress) first = nav_address_new_from_string ("192.0.2.1:3478", NULL);
  g_autoptr (NavAddress) second = nav_address_new_from_string ("[2001:db8::1]:5349", NULL);
  g_autoptr (GObject) thing = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr (TestFields) fields = NULL;
  g_autoptr (GMainContext) got_context = NULL;
  g_autoptr (NavAddress) got_address = NULL;
  g_autoptr (GObject) got_object = NULL;
  g_autofree gchar *got_name = NULL;
  NavCandidateTransport protocol;
  guint64 counter;
  gboolean enabled;
  gdouble ratio;
  GType gtype;

  fields = g_object_new (TEST_TYPE_FIELDS,
                         "context", context,
                         "address", first,
                         "object", thing,
                         "counter", G_GUINT64_CONSTANT (1) << 40,
                         "gtype", NAV_TYPE_ADDRESS,
                         NULL);

  /* construct defaults went through the setter too */
  g_assert_cmpstr (fields->name, ==, "default");
  g_assert_cmpint (fields->protocol, ==, NAV_CANDIDATE_TRANSPORT_TCP_SO);
  g_assert_cmpfloat (fields->ratio, ==, 0.5);
  /* boxed values are copied, a main context referenced, objects referenced */
  g_assert_true (fields->context == context);
  g_assert_true (fields->address != first);
  g_assert_true (nav_address_equal (fields->address, first));
  g_assert_true (fields->object == thing);

  /* replacing releases the previous value (LeakSanitizer checks) */
  g_object_set (fields, "address", second, "name", "other", "object", NULL,
                "enabled", TRUE, "protocol", NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE,
                "ratio", 0.25, NULL);
  g_object_set (fields, "address", NULL, NULL);
  g_assert_null (fields->address);
  g_object_set (fields, "address", second, NULL);

  g_object_get (fields,
                "context", &got_context,
                "address", &got_address,
                "name", &got_name,
                "object", &got_object,
                "protocol", &protocol,
                "counter", &counter,
                "enabled", &enabled,
                "ratio", &ratio,
                "gtype", &gtype,
                NULL);
  g_assert_true (got_context == context);
  g_assert_true (nav_address_equal (got_address, second));
  g_assert_cmpstr (got_name, ==, "other");
  g_assert_null (got_object);
  g_assert_cmpint (protocol, ==, NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE);
  g_assert_cmpuint (counter, ==, G_GUINT64_CONSTANT (1) << 40);
  g_assert_true (enabled);
  g_assert_cmpfloat (ratio, ==, 0.25);
  g_assert_true (gtype == NAV_TYPE_ADDRESS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/registry/extension-points", test_extension_points);
  g_test_add_func ("/registry/core-implementations", test_core_implementations);
  g_test_add_func ("/registry/tier-modules-loaded", test_tier_modules_loaded);
  g_test_add_func ("/registry/implementation-attributed-to-module", test_implementation_attributed_to_module);
  g_test_add_func ("/registry/implementations-sorted", test_implementations_sorted);
  g_test_add_func ("/registry/lookup-errors", test_lookup_errors);
  g_test_add_func ("/registry/create/with-properties", test_create_with_properties);
  g_test_add_func ("/registry/create/varargs", test_create_varargs);
  g_test_add_func ("/registry/create/errors", test_create_errors);
  g_test_add_func ("/registry/module-types-pinned", test_module_types_pinned);
  g_test_add_func ("/registry/preferred", test_preferred);
  g_test_add_func ("/registry/failed-modules-recorded", test_failed_modules_recorded);
  g_test_add_func ("/registry/use-variable", test_use_variable);
  g_test_add_func ("/registry/use-variable-help", test_use_variable_help);
  g_test_add_func ("/module/query-lists-points-once", test_module_query_lists_points_once);
  g_test_add_func ("/module/field-properties", test_field_properties);

  return g_test_run ();
}
