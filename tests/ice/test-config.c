/* test-config.c: NavConfig, the typed settings the agent gives gatherers
 * and checkers: a misspelled, mistyped or out-of-range setting is a
 * GError naming it, and so is a setting an implementation cannot take
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <netavanue/netavanue.h>

static void
assert_error_names (const GError *error,
                    gint          code,
                    const gchar  *name)
{
  g_assert_error (error, NAV_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, name));
}

/* Misspelled settings: the name is unknown to the interface. */
static void
test_misspelled (void)
{
  g_autoptr (NavConfig) gatherer = nav_config_new_for_gatherer ();
  g_autoptr (NavConfig) checker = nav_config_new_for_checker ();
  g_autoptr (GError) error = NULL;
  g_auto (GValue) value = G_VALUE_INIT;

  g_assert_false (nav_config_set (gatherer, &error, "stun-inital-timeout", 100u, NULL));
  assert_error_names (error, NAV_ERROR_INVALID_ARGUMENT, "stun-inital-timeout");
  g_clear_error (&error);
  g_assert_false (nav_config_is_set (gatherer, "stun-initial-timeout"));

  g_assert_false (nav_config_set (checker, &error, "nomintaion-mode",
                                  NAV_NOMINATION_MODE_AGGRESSIVE, NULL));
  assert_error_names (error, NAV_ERROR_INVALID_ARGUMENT, "nomintaion-mode");
  g_clear_error (&error);

  /* The GValue form, as bindings call it. */
  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, "turn.example.org:3478");
  g_assert_false (nav_config_set_value (gatherer, "relay-sever", &value, &error));
  assert_error_names (error, NAV_ERROR_INVALID_ARGUMENT, "relay-sever");
  g_clear_error (&error);

  /* A checker setting is no gatherer setting. */
  g_assert_false (nav_config_set (gatherer, &error, "stun-pacing-timer", 20u, NULL));
  assert_error_names (error, NAV_ERROR_INVALID_ARGUMENT, "stun-pacing-timer");
  g_clear_error (&error);
  g_assert_true (nav_config_set (checker, &error, "stun-pacing-timer", 20u, NULL));
  g_assert_no_error (error);
}

/* Mistyped values, and values out of the declared range. */
static void
test_mistyped (void)
{
  g_autoptr (NavConfig) gatherer = nav_config_new_for_gatherer ();
  g_autoptr (NavConfig) checker = nav_config_new_for_checker ();
  g_autoptr (GError) error = NULL;
  g_auto (GValue) text = G_VALUE_INIT;
  g_auto (GValue) number = G_VALUE_INIT;
  g_auto (GValue) got = G_VALUE_INIT;
  guint timeout = 0;

  g_value_init (&text, G_TYPE_STRING);
  g_value_set_string (&text, "500");
  g_assert_false (nav_config_set_value (gatherer, "stun-initial-timeout", &text, &error));
  assert_error_names (error, NAV_ERROR_INVALID_ARGUMENT, "stun-initial-timeout");
  g_clear_error (&error);

  /* Retransmissions are 0 to 64. */
  g_assert_false (nav_config_set (checker, &error, "stun-max-retransmissions", 65u, NULL));
  assert_error_names (error, NAV_ERROR_INVALID_ARGUMENT, "stun-max-retransmissions");
  g_clear_error (&error);
  g_assert_false (nav_config_is_set (checker, "stun-max-retransmissions"));

  /* A value of a type that converts (an int, as Python gives) is taken. */
  g_value_init (&number, G_TYPE_INT);
  g_value_set_int (&number, 250);
  g_assert_true (nav_config_set_value (gatherer, "stun-initial-timeout", &number, &error));
  g_assert_no_error (error);
  g_assert_true (nav_config_get_value (gatherer, "stun-initial-timeout", &got));
  g_assert_cmpuint (g_value_get_uint (&got), ==, 250);
  nav_config_get (gatherer, "stun-initial-timeout", &timeout, NULL);
  g_assert_cmpuint (timeout, ==, 250);

  /* Not set: the declared default, RFC 8489's RTO. */
  g_assert_false (nav_config_is_set (checker, "stun-initial-timeout"));
  nav_config_get (checker, "stun-initial-timeout", &timeout, NULL);
  g_assert_cmpuint (timeout, ==, 500);
}

/* The settings are declared by the interfaces. */
static void
test_declared (void)
{
  g_autoptr (NavConfig) gatherer = nav_config_new_for_gatherer ();
  g_autoptr (NavConfig) checker = nav_config_new_for_checker ();
  g_autofree GParamSpec **specs = NULL;
  guint n, i;
  gboolean found = FALSE;

  g_assert_true (nav_config_get_interface (gatherer) == NAV_TYPE_GATHERER);
  g_assert_true (nav_config_get_interface (checker) == NAV_TYPE_CHECKER);
  specs = nav_config_list_settings (checker, &n);
  g_assert_cmpuint (n, >, 0);
  for (i = 0; i < n; i++)
    if (g_str_equal (specs[i]->name, "nomination-mode"))
      {
        g_assert_true (specs[i]->value_type == NAV_TYPE_NOMINATION_MODE);
        found = TRUE;
      }
  g_assert_true (found);
}

static GObject *
create (const gchar *point,
        const gchar *name)
{
  g_autoptr (GError) error = NULL;
  GObject *object = nav_registry_create (nav_registry_get_default (), point, name, &error,
                                         NULL);

  g_assert_no_error (error);
  return object;
}

/* The tiers' implementations say which settings they do not take,
 * naming them, and take the others. */
static void
test_unsupported (void)
{
  g_autoptr (GObject) stun = create (NAV_GATHERER_EXTENSION_POINT_NAME, "stun");
  g_autoptr (GObject) turn = create (NAV_GATHERER_EXTENSION_POINT_NAME, "turn");
  g_autoptr (GObject) ice = create (NAV_CHECKER_EXTENSION_POINT_NAME, "ice");
  g_autoptr (NavConfig) relay = nav_config_new_for_gatherer ();
  g_autoptr (NavConfig) reflexive = nav_config_new_for_gatherer ();
  g_autoptr (NavConfig) checks = nav_config_new_for_checker ();
  g_autoptr (GError) error = NULL;
  const gchar *servers[] = { "192.0.2.1:3478", NULL };
  g_auto (GStrv) got_servers = NULL;
  g_autofree gchar *transport = NULL;
  guint pacing = 0, rto = 0;
  gint mode = -1;

  g_assert_true (nav_config_set (relay, &error,
                                 "relay-server", "192.0.2.1:3478",
                                 "relay-type", NAV_RELAY_TYPE_TURN_TLS,
                                 "relay-username", "user", "relay-password", "pass",
                                 "stun-initial-timeout", 300u, NULL));
  g_assert_no_error (error);
  /* A relay server means nothing to the server-reflexive gatherer. */
  g_assert_false (nav_gatherer_configure (NAV_GATHERER (stun), relay, &error));
  assert_error_names (error, NAV_ERROR_NOT_SUPPORTED, "relay-server");
  g_clear_error (&error);
  g_assert_true (nav_gatherer_configure (NAV_GATHERER (turn), relay, &error));
  g_assert_no_error (error);
  g_object_get (turn, "transport", &transport, "stun-initial-timeout", &rto, NULL);
  g_assert_cmpstr (transport, ==, "tls");
  g_assert_cmpuint (rto, ==, 300);

  g_assert_true (nav_config_set (reflexive, &error, "stun-servers", servers, NULL));
  g_assert_true (nav_gatherer_configure (NAV_GATHERER (stun), reflexive, &error));
  g_assert_no_error (error);
  g_object_get (stun, "servers", &got_servers, NULL);
  g_assert_cmpstrv (got_servers, servers);
  g_assert_false (nav_gatherer_configure (NAV_GATHERER (turn), reflexive, &error));
  assert_error_names (error, NAV_ERROR_NOT_SUPPORTED, "stun-servers");
  g_clear_error (&error);

  g_assert_true (nav_config_set (checks, &error,
                                 "nomination-mode", NAV_NOMINATION_MODE_AGGRESSIVE,
                                 "stun-pacing-timer", 7u, NULL));
  g_assert_true (nav_checker_configure (NAV_CHECKER (ice), checks, &error));
  g_assert_no_error (error);
  g_object_get (ice, "nomination-mode", &mode, "stun-pacing-timer", &pacing, NULL);
  g_assert_cmpint (mode, ==, NAV_NOMINATION_MODE_AGGRESSIVE);
  g_assert_cmpuint (pacing, ==, 7);
}

/* A gatherer written elsewhere, without configure(): the settings go to
 * its properties of the same names, or fail naming the one it lacks. */
typedef struct {
  GObject parent_instance;
  gchar *software;
} TestGatherer;

typedef GObjectClass TestGathererClass;

static void test_gatherer_iface_init (NavGathererInterface *iface);

static GType test_gatherer_get_type (void);
G_DEFINE_TYPE_WITH_CODE (TestGatherer, test_gatherer, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (NAV_TYPE_GATHERER, test_gatherer_iface_init))

enum { PROP_0, PROP_CONTEXT, PROP_SOFTWARE };

static void
test_gatherer_gather (NavGatherer *self,
                      guint        stream_id,
                      guint        component_id,
                      GPtrArray   *bases)
{
}

static void
test_gatherer_iface_init (NavGathererInterface *iface)
{
  iface->gather = test_gatherer_gather;
}

static void
test_gatherer_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  TestGatherer *self = (TestGatherer *) object;

  if (prop_id == PROP_SOFTWARE)
    {
      g_free (self->software);
      self->software = g_value_dup_string (value);
    }
}

static void
test_gatherer_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  TestGatherer *self = (TestGatherer *) object;

  if (prop_id == PROP_SOFTWARE)
    g_value_set_string (value, self->software);
  else
    g_value_set_boxed (value, NULL);
}

static void
test_gatherer_finalize (GObject *object)
{
  g_free (((TestGatherer *) object)->software);
  G_OBJECT_CLASS (test_gatherer_parent_class)->finalize (object);
}

static void
test_gatherer_class_init (TestGathererClass *klass)
{
  klass->set_property = test_gatherer_set_property;
  klass->get_property = test_gatherer_get_property;
  klass->finalize = test_gatherer_finalize;
  g_object_class_override_property (klass, PROP_CONTEXT, "context");
  g_object_class_install_property (klass, PROP_SOFTWARE,
                                   g_param_spec_string ("software", NULL, NULL, NULL,
                                                        G_PARAM_READWRITE));
}

static void
test_gatherer_init (TestGatherer *self)
{
}

static void
test_default_configure (void)
{
  g_autoptr (GObject) gatherer = g_object_new (test_gatherer_get_type (), NULL);
  g_autoptr (NavConfig) config = nav_config_new_for_gatherer ();
  g_autoptr (GError) error = NULL;

  g_assert_true (nav_config_set (config, &error, "software", "test/1", NULL));
  g_assert_true (nav_gatherer_configure (NAV_GATHERER (gatherer), config, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (((TestGatherer *) gatherer)->software, ==, "test/1");

  g_assert_true (nav_config_set (config, &error, "stun-reliable-timeout", 1000u, NULL));
  g_assert_false (nav_gatherer_configure (NAV_GATHERER (gatherer), config, &error));
  assert_error_names (error, NAV_ERROR_NOT_SUPPORTED, "stun-reliable-timeout");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config/misspelled", test_misspelled);
  g_test_add_func ("/config/mistyped", test_mistyped);
  g_test_add_func ("/config/declared", test_declared);
  g_test_add_func ("/config/unsupported", test_unsupported);
  g_test_add_func ("/config/default-configure", test_default_configure);

  return g_test_run ();
}
