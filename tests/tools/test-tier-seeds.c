/* test-tier-seeds.c: the first types of each tier module not landed yet, reached through
 * the registry by name: their properties and defaults, and the honest
 * failures of what their tier has not brought yet
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <netavanue/netavanue.h>

static GObject *
create (const gchar *point,
        const gchar *name)
{
  g_autoptr (GError) error = NULL;
  GObject *object = nav_registry_create (nav_registry_get_default (), point, name, &error, NULL);

  g_assert_no_error (error);
  g_assert_nonnull (object);
  return object;
}

static guint64
stat_of (GVariant    *stats,
         const gchar *key)
{
  guint64 value = G_MAXUINT64;

  g_assert_true (g_variant_lookup (stats, key, "t", &value));
  return value;
}

/* Every server is real now: STUN (tests/stun/test-stun-registry.c),
 * signaling (tests/signaling/) and TURN (tests/turn/). */

/* The TURN server checks its configuration before anything else. */
static void
test_turn_configuration (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GObject) server = create ("nav-server", "turn");
  guint min_port, max_port;
  gboolean lt_cred_mech;

  g_object_get (server, "min-port", &min_port, "max-port", &max_port,
                "lt-cred-mech", &lt_cred_mech, NULL);
  g_assert_cmpuint (min_port, ==, 49152);
  g_assert_cmpuint (max_port, ==, 65535);
  g_assert_false (lt_cred_mech);
  g_clear_object (&server);

  server = nav_registry_create (registry, "nav-server", "turn", &error,
                                "min-port", 50000, "max-port", 40000, NULL);
  g_assert_no_error (error);
  g_assert_false (nav_server_start (NAV_SERVER (server), &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_clear_object (&server);

  server = nav_registry_create (registry, "nav-server", "turn", &error,
                                "lt-cred-mech", TRUE, NULL);
  g_assert_no_error (error);
  g_assert_false (nav_server_start (NAV_SERVER (server), &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_clear_object (&server);

  /* a sound configuration starts for real (tests/turn/ tests the rest) */
  server = nav_registry_create (registry, "nav-server", "turn", &error,
                                "lt-cred-mech", TRUE, "realm", "example.org",
                                "listening-ip", "127.0.0.1", "listening-port", 0,
                                "no-tcp", TRUE, NULL);
  g_assert_no_error (error);
  g_assert_true (nav_server_start (NAV_SERVER (server), &error));
  g_assert_no_error (error);
  g_assert_true (nav_server_get_running (NAV_SERVER (server)));
  nav_server_stop (NAV_SERVER (server));
  g_assert_false (nav_server_get_running (NAV_SERVER (server)));
  {
    g_autoptr (GVariant) stats = nav_server_get_stats (NAV_SERVER (server));

    g_assert_cmpuint (stat_of (stats, "received"), ==, 0);
    g_assert_cmpuint (stat_of (stats, "allocations"), ==, 0);
  }
}

static NavCandidate *
host_candidate (guint        stream_id,
                guint        component_id,
                const gchar *address)
{
  NavCandidate *candidate = nav_candidate_new (NAV_CANDIDATE_TYPE_HOST);

  candidate->stream_id = stream_id;
  candidate->component_id = component_id;
  g_assert_true (nav_address_set_from_string (&candidate->addr, address, NULL));
  candidate->base_addr = candidate->addr;
  nav_candidate_set_foundation (candidate, "1");
  return candidate;
}

/* The ICE checker keeps credentials and candidates; a stream starts only
 * with both credentials. */
static void
test_ice_checker (void)
{
  g_autoptr (GObject) checker = create ("nav-checker", "ice");
  g_autoptr (GError) error = NULL;
  g_autoptr (NavCandidate) local = host_candidate (1, 1, "192.0.2.1:5000");
  g_autoptr (NavCandidate) remote = host_candidate (1, 1, "198.51.100.1:6000");
  GParamSpec *pspec;
  guint pacing;
  gboolean controlling;
  gint mode;
  GEnumValue *value;
  g_autoptr (GEnumClass) modes = NULL;

  g_object_get (checker, "stun-pacing-timer", &pacing, "controlling-mode", &controlling,
                "nomination-mode", &mode, NULL);
  g_assert_cmpuint (pacing, ==, 50);
  g_assert_false (controlling);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (checker), "nomination-mode");
  g_assert_true (G_IS_PARAM_SPEC_ENUM (pspec));
  modes = g_type_class_ref (pspec->value_type);
  value = g_enum_get_value (modes, mode);
  g_assert_cmpstr (value->value_nick, ==, "regular");
  g_assert_nonnull (g_enum_get_value_by_nick (modes, "aggressive"));

  /* unknown stream */
  g_assert_false (nav_checker_start (NAV_CHECKER (checker), 1, &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  nav_checker_set_local_credentials (NAV_CHECKER (checker), 1, "lufr", "local-password-22chars");
  nav_checker_add_local_candidate (NAV_CHECKER (checker), local);
  nav_checker_add_remote_candidate (NAV_CHECKER (checker), remote);
  nav_checker_add_remote_candidate (NAV_CHECKER (checker), remote);
  nav_checker_remote_gathering_done (NAV_CHECKER (checker), 1);

  /* no remote credentials yet */
  g_assert_false (nav_checker_start (NAV_CHECKER (checker), 1, &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* with both, the checks start (tests/ice proves what they do) */
  nav_checker_set_remote_credentials (NAV_CHECKER (checker), 1, "rufr", "remote-password-22char");
  g_assert_true (nav_checker_start (NAV_CHECKER (checker), 1, &error));
  g_assert_no_error (error);

  /* a removed stream is forgotten, credentials included */
  nav_checker_remove_stream (NAV_CHECKER (checker), 1);
  g_assert_false (nav_checker_start (NAV_CHECKER (checker), 1, &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
}

/* The election module's device capability, measured from this system. */
static void
test_device_capability (void)
{
  GType type = g_type_from_name ("NavDeviceCapability");
  g_autoptr (GObject) capability = NULL;
  g_autoptr (NavModuleInfo) module = NULL;
  GList *types;
  guint cpu_count, score, expected;
  guint64 memory;
  gboolean on_battery;

  /* the registry loads the modules; the type is listed with its module */
  module = nav_registry_lookup_module (nav_registry_get_default (), "election");
  g_assert_nonnull (module);
  type = g_type_from_name ("NavDeviceCapability");
  g_assert_cmpuint (type, !=, G_TYPE_INVALID);
  types = nav_module_info_list_types (module);
  g_assert_nonnull (g_list_find (types, GSIZE_TO_POINTER (type)));
  g_list_free (types);

  capability = g_object_new (type, NULL);
  g_object_get (capability, "cpu-count", &cpu_count, "memory-bytes", &memory,
                "on-battery", &on_battery, "score", &score, NULL);
  g_assert_cmpuint (cpu_count, ==, g_get_num_processors ());
#ifdef __linux__
  g_assert_cmpuint (memory, >, 0);
#endif
  /* the documented formula: the plan's, of the measured claims */
  {
    g_autoptr (NavCapabilityClaims) claims = NULL;

    g_object_get (capability, "claims", &claims, NULL);
    g_assert_cmpuint (claims->cpu_count, ==, cpu_count);
    g_assert_cmpuint (claims->memory_mb, ==, memory >> 20);
    g_assert_true (on_battery == (claims->battery_percent != NAV_BATTERY_NONE && !claims->charging));
    expected = nav_capability_claims_default_score (claims);
  }
  g_assert_cmpuint (score, ==, expected);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tier-seeds/turn-configuration", test_turn_configuration);
  g_test_add_func ("/tier-seeds/ice-checker", test_ice_checker);
  g_test_add_func ("/tier-seeds/device-capability", test_device_capability);

  return g_test_run ();
}
