/* test-strategy.c: NavAgent's NAT-aware strategy (issue 19, item 4)
 * through its public face: the plan for every pair of NAT types, the
 * `a=x-nav-nat:` attribute from one agent's description to the other's
 * plan, the privacy mode (force-relay), and bad attributes from the
 * network; held candidates that still connect after the head start, and
 * an agent disposed while it holds some.  What the plans do to real
 * connections through NATs is tested through the
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

/* The plan and the NAT types it came from are in the agent's statistics
 * (issue 19: "reported in stats"). */
static void
test_strategy_stats (void)
{
  g_autoptr (NavAgent) agent = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC8445);
  g_autoptr (GVariant) stats = NULL;
  g_autoptr (GVariant) transport = NULL;
  const gchar *plan = NULL, *ours = NULL, *theirs = NULL;

  g_assert_cmpuint (nav_agent_add_stream (agent, 1), ==, 1);
  stats = nav_agent_get_stats (agent);
  transport = g_variant_lookup_value (stats, "T1-1", G_VARIANT_TYPE_VARDICT);
  g_assert_nonnull (transport);
  g_assert_true (g_variant_lookup (transport, "connectPlan", "&s", &plan));
  g_assert_cmpstr (plan, ==, "ice");
  g_assert_false (g_variant_lookup (transport, "natType", "&s", &ours));
  g_clear_pointer (&transport, g_variant_unref);
  g_clear_pointer (&stats, g_variant_unref);

  g_object_set (agent, "nat-type", "full-cone", "remote-nat-type", "port-restricted-cone", NULL);
  stats = nav_agent_get_stats (agent);
  transport = g_variant_lookup_value (stats, "T1-1", G_VARIANT_TYPE_VARDICT);
  g_assert_true (g_variant_lookup (transport, "connectPlan", "&s", &plan));
  g_assert_cmpstr (plan, ==, "hole-punch");
  g_assert_true (g_variant_lookup (transport, "natType", "&s", &ours));
  g_assert_cmpstr (ours, ==, "full-cone");
  g_assert_true (g_variant_lookup (transport, "remoteNatType", "&s", &theirs));
  g_assert_cmpstr (theirs, ==, "port-restricted-cone");
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

/* Two agents on loopback, both saying "symmetric": the plan is relay
 * first, there is no relay, and the host candidates held back still
 * connect once the head start is over (a wrong guess costs time, never
 * the connection).  Meanwhile the held candidates are the peer's all
 * the same.  Under the sanitizers: held candidates, the timer and the
 * release leak nothing. */
typedef struct {
  NavAgent *agent;
  guint stream;
  gboolean gathered;
  NavComponentState state;
} Side;

static void
on_gathered (NavAgent *agent,
             guint     stream_id,
             gpointer  user_data)
{
  ((Side *) user_data)->gathered = TRUE;
}

static void
on_state (NavAgent *agent,
          guint     stream_id,
          guint     component_id,
          guint     state,
          gpointer  user_data)
{
  ((Side *) user_data)->state = state;
}

static void
side_init (Side     *side,
           gboolean  controlling)
{
  g_autoptr (NavAddress) loopback = nav_address_new_from_string ("127.0.0.1", NULL);

  side->agent = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC8445);
  g_object_set (side->agent, "controlling-mode", controlling, "nat-type", "symmetric", NULL);
  g_assert_true (nav_agent_add_local_address (side->agent, loopback));
  g_signal_connect (side->agent, "candidate-gathering-done", G_CALLBACK (on_gathered), side);
  g_signal_connect (side->agent, "component-state-changed", G_CALLBACK (on_state), side);
  side->stream = nav_agent_add_stream (side->agent, 1);
  g_assert_true (nav_agent_gather_candidates (side->agent, side->stream));
}

static gboolean
on_guard (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Both sides made and gathered; a failure guard (not a timing
 * assertion) armed on @expired, its id returned. */
static guint
pair_gathered (Side     *side,
               gboolean *expired)
{
  guint guard;

  side_init (&side[0], TRUE);
  side_init (&side[1], FALSE);
  guard = g_timeout_add_seconds (20, on_guard, expired);
  while (!(side[0].gathered && side[1].gathered) && !*expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (*expired);
  return guard;
}

static void
test_strategy_held (void)
{
  Side side[2];
  gboolean expired = FALSE;
  GSList *remote;
  guint guard = pair_gathered (side, &expired);

  for (guint i = 0; i < 2; i++)
    {
      g_autofree gchar *sdp = nav_agent_generate_local_sdp (side[1 - i].agent);

      g_assert_cmpint (nav_agent_parse_remote_sdp (side[i].agent, sdp), >, 0);
      g_assert_cmpint (nav_agent_get_connect_plan (side[i].agent), ==, NAV_CONNECT_PLAN_RELAY_FIRST);
      remote = nav_agent_get_remote_candidates (side[i].agent, side[i].stream, 1);
      g_assert_nonnull (remote);
      g_slist_free_full (remote, (GDestroyNotify) nav_candidate_free);
    }
  while (!(side[0].state == NAV_COMPONENT_STATE_READY && side[1].state == NAV_COMPONENT_STATE_READY) && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (expired);
  g_source_remove (guard);
  for (guint i = 0; i < 2; i++)
    g_object_unref (side[i].agent);
}

/* An agent disposed while it holds candidates and its timer runs. */
static void
test_strategy_dispose_holding (void)
{
  Side side[2];
  gboolean expired = FALSE;

  g_source_remove (pair_gathered (side, &expired));
  {
    g_autofree gchar *sdp = nav_agent_generate_local_sdp (side[1].agent);

    g_assert_cmpint (nav_agent_parse_remote_sdp (side[0].agent, sdp), >, 0);
  }
  g_object_unref (side[0].agent);
  g_object_unref (side[1].agent);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/strategy/matrix", test_strategy_matrix);
  g_test_add_func ("/strategy/stats", test_strategy_stats);
  g_test_add_func ("/strategy/sdp", test_strategy_sdp);
  g_test_add_func ("/strategy/privacy", test_strategy_privacy);
  g_test_add_func ("/strategy/garbage", test_strategy_garbage);
  g_test_add_func ("/strategy/held", test_strategy_held);
  g_test_add_func ("/strategy/dispose-holding", test_strategy_dispose_holding);
  return g_test_run ();
}
