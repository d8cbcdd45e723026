/* test-stats.c: nav_agent_get_stats() of two agents connected on
 * loopback, and nav_stats_to_json()
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>
#include <string.h>

#include "../ice/agent-test-util.h"

#define N_DATAGRAMS 20
#define DATAGRAM_LEN 100
#define N_BATCH 8

typedef struct {
  guint count;
  guint64 bytes;
} Received;

static void
on_recv (NavAgent *agent,
         guint     stream_id,
         guint     component_id,
         guint     len,
         gchar    *buf,
         gpointer  user_data)
{
  Received *r = user_data;

  r->count++;
  r->bytes += len;
}

static gboolean
received_all (gpointer data)
{
  return ((Received *) data)->count == N_DATAGRAMS + N_BATCH;
}

static GVariant *
lookup_report (GVariant    *stats,
               const gchar *id)
{
  GVariant *report = g_variant_lookup_value (stats, id, G_VARIANT_TYPE_VARDICT);

  g_assert_nonnull (report);
  return report;
}

static const gchar *
report_string (GVariant    *report,
               const gchar *key)
{
  const gchar *s = NULL;

  g_assert_true (g_variant_lookup (report, key, "&s", &s));
  return s;
}

static guint64
report_counter (GVariant    *report,
                const gchar *key)
{
  guint64 v = 0;

  g_assert_true (g_variant_lookup (report, key, "t", &v));
  return v;
}

/* The selected pair of the agent's component 1 of @stream: its
 * candidate ids resolve to candidate reports of the same transport; its
 * local candidate's address and port are returned. */
static GVariant *
check_selected_pair (GVariant *stats,
                     guint     stream,
                     gchar   **local_addr,
                     gchar   **remote_addr)
{
  g_autofree gchar *transport_id = g_strdup_printf ("T%u-1", stream);
  g_autoptr (GVariant) transport = lookup_report (stats, transport_id);
  g_autoptr (GVariant) local = NULL;
  g_autoptr (GVariant) remote = NULL;
  GVariant *pair;
  const gchar *pair_id;
  guint32 port = 0;
  gboolean selected = FALSE;

  g_assert_cmpstr (report_string (transport, "type"), ==, "transport");
  g_assert_cmpstr (report_string (transport, "iceState"), ==, "ready");
  pair_id = report_string (transport, "selectedCandidatePairId");
  pair = lookup_report (stats, pair_id);
  g_assert_cmpstr (report_string (pair, "type"), ==, "candidate-pair");
  g_assert_cmpstr (report_string (pair, "id"), ==, pair_id);
  g_assert_cmpstr (report_string (pair, "transportId"), ==, transport_id);
  g_assert_cmpstr (report_string (pair, "state"), ==, "succeeded");
  g_assert_true (g_variant_lookup (pair, "selected", "b", &selected) && selected);

  local = lookup_report (stats, report_string (pair, "localCandidateId"));
  remote = lookup_report (stats, report_string (pair, "remoteCandidateId"));
  g_assert_cmpstr (report_string (local, "type"), ==, "local-candidate");
  g_assert_cmpstr (report_string (remote, "type"), ==, "remote-candidate");
  g_assert_cmpstr (report_string (local, "transportId"), ==, transport_id);
  g_assert_cmpstr (report_string (local, "address"), ==, "127.0.0.1");
  g_assert_true (g_variant_lookup (local, "port", "u", &port));
  *local_addr = g_strdup_printf ("%s:%u", report_string (local, "address"), port);
  g_assert_true (g_variant_lookup (remote, "port", "u", &port));
  *remote_addr = g_strdup_printf ("%s:%u", report_string (remote, "address"), port);
  return pair;
}

static void
test_two_agents (void)
{
  gboolean gathered[2] = { FALSE, FALSE };
  AgentTestWatch wa = { 0 }, wb = { 0 };
  g_autoptr (NavAgent) a = NULL;
  g_autoptr (NavAgent) b = NULL;
  g_autoptr (GVariant) sa = NULL;
  g_autoptr (GVariant) sb = NULL;
  g_autoptr (GVariant) pa = NULL;
  g_autoptr (GVariant) pb = NULL;
  g_autoptr (GVariant) ta = NULL;
  g_autoptr (GVariant) tb = NULL;
  g_autofree gchar *a_local = NULL, *a_remote = NULL, *b_local = NULL, *b_remote = NULL;
  g_autofree gchar *json = NULL;
  Received received = { 0 };
  guint stream_a, stream_b;
  gchar buf[DATAGRAM_LEN];
  GOutputVector vectors[N_BATCH];
  NavOutputMessage messages[N_BATCH];
  gdouble rtt = -1;
  guint64 expected_bytes;
  guint i;

  a = agent_test_new_loopback (NAV_AGENT_OPTION_NONE, &gathered[0]);
  b = agent_test_new_loopback (NAV_AGENT_OPTION_NONE, &gathered[1]);
  g_object_set (a, "controlling-mode", TRUE, NULL);
  g_object_set (b, "controlling-mode", FALSE, NULL);
  stream_a = nav_agent_add_stream (a, 1);
  stream_b = nav_agent_add_stream (b, 1);
  agent_test_watch (a, &wa);
  agent_test_watch (b, &wb);
  nav_agent_attach_recv (b, stream_b, 1, NULL, on_recv, &received);

  /* Before any pair: the transport is there, with nothing counted. */
  sa = nav_agent_get_stats (a);
  g_assert_true (g_variant_is_of_type (sa, NAV_STATS_VARIANT_TYPE));
  ta = lookup_report (sa, "T1-1");
  g_assert_cmpuint (report_counter (ta, "bytesSent"), ==, 0);
  g_assert_false (g_variant_lookup (ta, "selectedCandidatePairId", "&s", NULL));
  g_clear_pointer (&ta, g_variant_unref);
  g_clear_pointer (&sa, g_variant_unref);

  agent_test_connect_watched (a, stream_a, &wa, b, stream_b, &wb);

  memset (buf, 'x', sizeof buf);
  for (i = 0; i < N_DATAGRAMS; i++)
    g_assert_cmpint (nav_agent_send (a, stream_a, 1, DATAGRAM_LEN - i, buf), ==, DATAGRAM_LEN - i);
  /* The batched path (sendmmsg) counts too. */
  for (i = 0; i < N_BATCH; i++)
    {
      vectors[i].buffer = buf;
      vectors[i].size = 10 + i;
      messages[i].buffers = &vectors[i];
      messages[i].n_buffers = 1;
    }
  g_assert_cmpint (nav_agent_send_messages_nonblocking (a, stream_a, 1, messages, N_BATCH, NULL, NULL),
                   ==, N_BATCH);
  wait_for (received_all, &received);
  expected_bytes = 0;
  for (i = 0; i < N_DATAGRAMS; i++)
    expected_bytes += DATAGRAM_LEN - i;
  for (i = 0; i < N_BATCH; i++)
    expected_bytes += 10 + i;
  g_assert_cmpuint (received.bytes, ==, expected_bytes);

  sa = nav_agent_get_stats (a);
  sb = nav_agent_get_stats (b);
  ta = lookup_report (sa, "T1-1");
  tb = lookup_report (sb, "T1-1");

  /* Bytes match what was sent, on both sides; no STUN in them. */
  g_assert_cmpuint (report_counter (ta, "packetsSent"), ==, N_DATAGRAMS + N_BATCH);
  g_assert_cmpuint (report_counter (ta, "bytesSent"), ==, expected_bytes);
  g_assert_cmpuint (report_counter (tb, "packetsReceived"), ==, N_DATAGRAMS + N_BATCH);
  g_assert_cmpuint (report_counter (tb, "bytesReceived"), ==, expected_bytes);
  g_assert_cmpuint (report_counter (tb, "packetsSent"), ==, 0);
  g_assert_cmpuint (report_counter (ta, "packetsReceived"), ==, 0);
  g_assert_cmpstr (report_string (ta, "iceRole"), ==, "controlling");
  g_assert_cmpstr (report_string (tb, "iceRole"), ==, "controlled");

  /* The selected pairs: ids consistent, each side's local is the other's
   * remote, and the pair carries the transport's counters. */
  pa = check_selected_pair (sa, stream_a, &a_local, &a_remote);
  pb = check_selected_pair (sb, stream_b, &b_local, &b_remote);
  g_test_message ("a: %s -> %s, b: %s -> %s", a_local, a_remote, b_local, b_remote);
  g_assert_cmpstr (a_local, ==, b_remote);
  g_assert_cmpstr (a_remote, ==, b_local);
  g_assert_cmpuint (report_counter (pa, "bytesSent"), ==, expected_bytes);
  g_assert_cmpuint (report_counter (pb, "bytesReceived"), ==, expected_bytes);

  /* RTT from the checks: the controlling agent's check of the pair was
   * answered; requests and responses counted on both sides. */
  g_assert_true (g_variant_lookup (pa, "currentRoundTripTime", "d", &rtt));
  g_test_message ("RTT of the selected pair: %.6f s", rtt);
  g_assert_cmpfloat (rtt, >=, 0);
  g_assert_cmpuint (report_counter (pa, "requestsSent"), >=, 1);
  g_assert_cmpuint (report_counter (pa, "responsesReceived"), >=, 1);
  g_assert_cmpuint (report_counter (pb, "requestsReceived"), >=, 1);
  g_assert_cmpuint (report_counter (pb, "responsesSent"), ==, report_counter (pb, "requestsReceived"));

  /* JSON: the ids are there, as objects. */
  json = nav_stats_to_json (sa, FALSE);
  g_assert_true (g_str_has_prefix (json, "{\"") && g_str_has_suffix (json, "}}"));
  g_assert_nonnull (strstr (json, "\"T1-1\":{"));
  g_assert_nonnull (strstr (json, "\"type\":\"candidate-pair\""));
}

/* The agent's stream goes: its reports go with it. */
static void
test_stream_removed (void)
{
  g_autoptr (NavAgent) agent = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC5245);
  g_autoptr (GVariant) before = NULL;
  g_autoptr (GVariant) after = NULL;
  guint stream = nav_agent_add_stream (agent, 2);

  before = nav_agent_get_stats (agent);
  g_assert_cmpuint (g_variant_n_children (before), ==, 2);
  g_assert_true (g_variant_lookup (before, "T1-2", "@a{sv}", NULL));
  nav_agent_remove_stream (agent, stream);
  after = nav_agent_get_stats (agent);
  g_assert_cmpuint (g_variant_n_children (after), ==, 0);
}

static void
test_json (void)
{
  g_autoptr (GVariant) v = NULL;
  g_autofree gchar *json = NULL;
  g_autofree gchar *pretty = NULL;
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "s", g_variant_new_string ("a\"b\\c\n\x01é"));
  g_variant_builder_add (&b, "{sv}", "d", g_variant_new_double (0.25));
  g_variant_builder_add (&b, "{sv}", "nan", g_variant_new_double (NAN));
  g_variant_builder_add (&b, "{sv}", "t", g_variant_new_uint64 (G_MAXUINT64));
  g_variant_builder_add (&b, "{sv}", "x", g_variant_new_int64 (-5));
  g_variant_builder_add (&b, "{sv}", "b", g_variant_new_boolean (TRUE));
  g_variant_builder_add (&b, "{sv}", "as", g_variant_new_parsed ("['x', 'y']"));
  g_variant_builder_add (&b, "{sv}", "empty", g_variant_new_parsed ("@a{sv} {}"));
  g_variant_builder_add (&b, "{sv}", "m", g_variant_new_parsed ("@mi nothing"));
  v = g_variant_ref_sink (g_variant_builder_end (&b));
  json = nav_stats_to_json (v, FALSE);
  g_assert_cmpstr (json, ==,
                   "{\"s\":\"a\\\"b\\\\c\\n\\u0001é\",\"d\":0.25,\"nan\":null,"
                   "\"t\":18446744073709551615,\"x\":-5,\"b\":true,\"as\":[\"x\",\"y\"],"
                   "\"empty\":{},\"m\":null}");
  pretty = nav_stats_to_json (v, TRUE);
  g_assert_true (g_str_has_prefix (pretty, "{\n  \"s\": "));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stats/two-agents", test_two_agents);
  g_test_add_func ("/stats/stream-removed", test_stream_removed);
  g_test_add_func ("/stats/json", test_json);
  return g_test_run ();
}
