/* test-strategy.c: NavAgent's NAT-aware strategy (issue 19, item 4)
 * through its public face: the plan for every pair of NAT types, the
 * `a=x-nav-nat:` attribute from one agent's description to the other's
 * plan, the privacy mode (force-relay), and bad attributes from the
 * network.  What the plans do to real connections is tested through the
 * lab's NATs (tests/netns/test-netns-strategy.py).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <netavanue/netavanue.h>

static NavConnectPlan
plan_for (const gchar *ours,
          const gchar *theirs)
{
  g_autoptr (NavAgent) agent = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC8445);
  NavConnectPlan plan, prop;

  g_object_set (agent, "nat-type", ours, "remote-nat-type", theirs, NULL);
  plan = nav_agent_get_connect_plan (agent);
  g_object_get (agent, "connect-plan", &prop, NULL);
  g_assert_cmpint (plan, ==, prop);
  return plan;
}

/* RFC 4787: hole punching works unless a destination-dependent mapping
 * meets another one, or port-dependent filtering. */
static void
test_strategy_matrix (void)
{
  static const struct {
    const gchar *a, *b;
    NavConnectPlan plan;
  } rows[] = {
    { "full-cone", "full-cone", NAV_CONNECT_PLAN_HOLE_PUNCH },
    { "endpoint-independent endpoint-independent", "port-restricted-cone", NAV_CONNECT_PLAN_HOLE_PUNCH },
    { "port-restricted-cone", "port-restricted-cone", NAV_CONNECT_PLAN_HOLE_PUNCH },
    { "symmetric", "full-cone", NAV_CONNECT_PLAN_HOLE_PUNCH },
    { "symmetric", "restricted-cone", NAV_CONNECT_PLAN_HOLE_PUNCH },
    { "symmetric", "port-restricted-cone", NAV_CONNECT_PLAN_RELAY_FIRST },
    { "symmetric", "symmetric", NAV_CONNECT_PLAN_RELAY_FIRST },
    { "address-dependent endpoint-independent", "address-and-port-dependent address-dependent",
      NAV_CONNECT_PLAN_RELAY_FIRST },
    { "no-nat endpoint-independent", "symmetric", NAV_CONNECT_PLAN_DIRECT },
    { "open-internet", "port-restricted-cone", NAV_CONNECT_PLAN_DIRECT },
    { "firewall", "symmetric", NAV_CONNECT_PLAN_RELAY_FIRST },
    { "udp-blocked", "full-cone", NAV_CONNECT_PLAN_TCP },
    /* Unknown on either side: RFC 8445's own order. */
    { "full-cone", NULL, NAV_CONNECT_PLAN_ICE },
    { NULL, "symmetric", NAV_CONNECT_PLAN_ICE },
    { "unknown unknown", "full-cone", NAV_CONNECT_PLAN_ICE },
    { "endpoint-independent", "full-cone", NAV_CONNECT_PLAN_ICE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_test_message ("%s / %s", rows[i].a, rows[i].b);
      g_assert_cmpint (plan_for (rows[i].a, rows[i].b), ==, rows[i].plan);
      /* The matrix is symmetric: both peers choose the same plan. */
      g_assert_cmpint (plan_for (rows[i].b, rows[i].a), ==, rows[i].plan);
    }
}

static gchar *
description (NavAgent *agent)
{
  guint stream = nav_agent_add_stream (agent, 1);

  g_assert_cmpuint (stream, >, 0);
  return nav_agent_generate_local_sdp (agent);
}

/* One agent's type reaches the other in the description. */
static void
test_strategy_sdp (void)
{
  g_autoptr (NavAgent) a = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC8445);
  g_autoptr (NavAgent) b = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC8445);
  g_autofree gchar *sdp = NULL;
  g_autofree gchar *remote = NULL;

  g_object_set (a, "nat-type", "symmetric", NULL);
  g_object_set (b, "nat-type", "address-and-port-dependent address-and-port-dependent", NULL);
  sdp = description (a);
  g_assert_nonnull (strstr (sdp, "a=x-nav-nat:symmetric\n"));
  g_assert_cmpint (nav_agent_get_connect_plan (b), ==, NAV_CONNECT_PLAN_ICE);
  nav_agent_add_stream (b, 1);
  g_assert_cmpint (nav_agent_parse_remote_sdp (b, sdp), >=, 0);
  g_object_get (b, "remote-nat-type", &remote, NULL);
  g_assert_cmpstr (remote, ==, "symmetric");
  g_assert_cmpint (nav_agent_get_connect_plan (b), ==, NAV_CONNECT_PLAN_RELAY_FIRST);
}

/* The privacy mode: the plan says so, and the description tells nothing
 * of the network. */
static void
test_strategy_privacy (void)
{
  g_autoptr (NavAgent) a = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC8445);
  g_autofree gchar *sdp = NULL;

  g_object_set (a, "nat-type", "full-cone", "remote-nat-type", "full-cone", "force-relay", TRUE, NULL);
  g_assert_cmpint (nav_agent_get_connect_plan (a), ==, NAV_CONNECT_PLAN_RELAY_ONLY);
  sdp = description (a);
  g_assert_null (strstr (sdp, "x-nav-nat"));
  g_object_set (a, "force-relay", FALSE, NULL);
  g_assert_cmpint (nav_agent_get_connect_plan (a), ==, NAV_CONNECT_PLAN_HOLE_PUNCH);
}

/* What a peer writes is untrusted: garbage gives no plan, and never
 * breaks the description's parsing. */
static void
test_strategy_garbage (void)
{
  static const gchar *bad[] = {
    "", " ", "symmetric symmetric symmetric", "\x01\xff", "full-cone\tfull-cone",
    "endpoint-independent", "a=x-nav-nat:full-cone", "unknown unknown",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (NavAgent) a = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC8445);
      g_autofree gchar *sdp = g_strdup_printf ("a=x-nav-nat:%s\nm=application 9 UDP 0\n"
                                               "a=ice-ufrag:abcd\na=ice-pwd:abcdefghijklmnopqrstuv\n", bad[i]);

      g_object_set (a, "nat-type", "symmetric", NULL);
      nav_agent_add_stream (a, 1);
      g_assert_cmpint (nav_agent_parse_remote_sdp (a, sdp), ==, 0);
      g_assert_cmpint (nav_agent_get_connect_plan (a), ==, NAV_CONNECT_PLAN_ICE);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/strategy/matrix", test_strategy_matrix);
  g_test_add_func ("/strategy/sdp", test_strategy_sdp);
  g_test_add_func ("/strategy/privacy", test_strategy_privacy);
  g_test_add_func ("/strategy/garbage", test_strategy_garbage);
  return g_test_run ();
}
