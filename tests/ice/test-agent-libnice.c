/* test-agent-libnice.c: what a libnice program sees of NavAgent: the
 * states a component walks through and where new-selected-pair falls
 * among them, in every mode; gather_candidates() saying FALSE when no
 * socket can be bound; a warning for the properties that do nothing here
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two agents in one process and one main context on 127.0.0.1.  Every
 * signal a program can see is logged in order, as one string per agent
 * ("G C S N R": gathering, connecting, selected pair, connected, ready),
 * and compared with what libnice emits in the same situation
 * (conncheck.c: the selected pair, then CONNECTED, then READY; CONNECTED
 * never skipped, since libnice's simple-example waits for it).
 */
#include "config.h"

#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <netavanue/netavanue.h>

#include "agent-test-util.h"

typedef struct {
  NavAgent *agent;
  guint stream_id;
  AgentTestWatch watch;
  GString *log;                 /* the signals, in order */
  guint received;
  guint n_selected;
  gboolean reliable;
} Peer;

static void
on_state (NavAgent *agent,
          guint     stream_id,
          guint     component_id,
          guint     state,
          Peer     *p)
{
  static const gchar letters[] = "DGCNRF";

  g_assert_cmpuint (state, <, NAV_COMPONENT_STATE_LAST);
  g_string_append_c (p->log, letters[state]);
  if (state == NAV_COMPONENT_STATE_CONNECTED)
    {
      NavCandidate *local = NULL, *remote = NULL;

      /* simple-example asks for the pair and sends on CONNECTED. */
      g_assert_true (nav_agent_get_selected_pair (agent, stream_id, component_id, &local,
                                                  &remote));
      nav_candidate_free (local);
      nav_candidate_free (remote);
      if (!p->reliable)
        g_assert_cmpint (nav_agent_send (agent, stream_id, component_id, 5, "hello"), ==, 5);
    }
}

static void
on_selected (NavAgent    *agent,
             guint        stream_id,
             guint        component_id,
             const gchar *lfoundation,
             const gchar *rfoundation,
             Peer        *p)
{
  /* The first pair only: a better one may follow in regular mode. */
  if (p->n_selected++ == 0)
    g_string_append_c (p->log, 'S');
}

static void
on_recv (NavAgent *agent,
         guint     stream_id,
         guint     component_id,
         guint     len,
         gchar    *buf,
         gpointer  user_data)
{
  Peer *p = user_data;

  p->received++;
}

typedef enum {
  MODE_AGGRESSIVE,              /* RFC 5245, libnice's default */
  MODE_REGULAR,                 /* RFC 8445 */
  MODE_LITE,                    /* the controlled agent is lite */
  MODE_TCP,                     /* ICE-TCP only */
  MODE_TRICKLE,
  MODE_RELIABLE,
  MODE_FORCED,                  /* nav_agent_set_selected_pair() on both */
} Mode;

static void
peer_init (Peer     *p,
           Mode      mode,
           gboolean  controlling)
{
  g_autoptr (NavAddress) addr = nav_address_new_from_string ("127.0.0.1", NULL);
  NavAgentOption options = NAV_AGENT_OPTION_NONE;

  memset (p, 0, sizeof *p);
  if (mode == MODE_LITE && !controlling)
    options |= NAV_AGENT_OPTION_LITE_MODE;
  if (mode == MODE_TRICKLE)
    options |= NAV_AGENT_OPTION_ICE_TRICKLE;
  if (mode == MODE_RELIABLE)
    options |= NAV_AGENT_OPTION_RELIABLE;
  p->agent = nav_agent_new_full (NULL, mode == MODE_REGULAR ? NAV_COMPATIBILITY_RFC8445
                                                             : NAV_COMPATIBILITY_RFC5245,
                                 options);
  p->log = g_string_new (NULL);
  p->reliable = mode == MODE_RELIABLE;
  g_object_set (p->agent, "controlling-mode", controlling, "stun-pacing-timer", 5,
                "stun-initial-timeout", 100, NULL);
  if (mode == MODE_TCP)
    g_object_set (p->agent, "ice-udp", FALSE, NULL);
  else
    g_object_set (p->agent, "ice-tcp", FALSE, NULL);
  g_assert_true (nav_agent_add_local_address (p->agent, addr));
  agent_test_watch (p->agent, &p->watch);
  g_signal_connect (p->agent, "component-state-changed", G_CALLBACK (on_state), p);
  g_signal_connect (p->agent, "new-selected-pair", G_CALLBACK (on_selected), p);
  p->stream_id = nav_agent_add_stream (p->agent, 1);
  if (mode != MODE_RELIABLE)
    g_assert_true (nav_agent_attach_recv (p->agent, p->stream_id, 1, NULL, on_recv, p));
}

static void
peer_clear (Peer *p)
{
  g_clear_object (&p->agent);
  g_string_free (p->log, TRUE);
}

static gboolean
both_received (gpointer data)
{
  Peer *p = data;

  return p[0].received > 0 && p[1].received > 0;
}

/* Forces the pair of each agent's first local and first remote
 * candidate, as a program that does its own checks would. */
static void
force_pair (Peer *p)
{
  GSList *local = nav_agent_get_local_candidates (p->agent, p->stream_id, 1);
  GSList *remote = nav_agent_get_remote_candidates (p->agent, p->stream_id, 1);
  NavCandidate *l = local->data, *r = remote->data;

  g_assert_true (nav_agent_set_selected_pair (p->agent, p->stream_id, 1, l->foundation,
                                              r->foundation));
  g_slist_free_full (local, (GDestroyNotify) nav_candidate_free);
  g_slist_free_full (remote, (GDestroyNotify) nav_candidate_free);
}

static void
test_states (gconstpointer data)
{
  Mode mode = GPOINTER_TO_INT (data);
  Peer p[2];
  AgentTestWatch *watches[2] = { &p[0].watch, &p[1].watch };
  guint i;

  peer_init (&p[0], mode, TRUE);
  peer_init (&p[1], mode, FALSE);
  for (i = 0; i < 2; i++)
    g_assert_true (nav_agent_gather_candidates (p[i].agent, p[i].stream_id));
  wait_for (agent_test_watches_gathered, watches);
  if (mode == MODE_FORCED)
    {
      /* The candidates but no credentials: no checks run, the
       * application picks the pair. */
      agent_test_signal_candidates_both (p[0].agent, p[0].stream_id, p[1].agent, p[1].stream_id);
      force_pair (&p[0]);
      force_pair (&p[1]);
    }
  else
    {
      agent_test_signal_credentials_both (p[0].agent, p[0].stream_id, p[1].agent, p[1].stream_id);
      agent_test_signal_candidates_both (p[0].agent, p[0].stream_id, p[1].agent, p[1].stream_id);
    }
  if (mode == MODE_TRICKLE)
    for (i = 0; i < 2; i++)
      g_assert_true (nav_agent_peer_candidate_gathering_done (p[i].agent, p[i].stream_id));
  wait_for (agent_test_watches_ready, watches);

  for (i = 0; i < 2; i++)
    {
      g_test_message ("agent %u: %s", i, p[i].log->str);
      /* GATHERING, CONNECTING, the selected pair, CONNECTED, READY: no
       * state skipped, none repeated, the pair known before CONNECTED. */
      g_assert_cmpstr (p[i].log->str, ==, "GCSNR");
    }
  if (mode != MODE_RELIABLE)
    wait_for (both_received, p);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* -------------------------------------------------- gather_candidates */

static void
on_new_candidate (NavAgent     *agent,
                  NavCandidate *candidate,
                  guint        *n)
{
  (*n)++;
}

/* A UDP port of 127.0.0.1 that this socket holds, so that nobody else
 * binds it. */
static GSocket *
hold_port (guint *port)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, any, FALSE, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return socket;
}

/* libnice: gather_candidates() is FALSE when a component gets no host
 * candidate (its port range exhausted), nothing is announced, and the
 * stream may gather again once a port is free. */
static void
test_gather_exhausted_ports (void)
{
  g_autoptr (NavAddress) addr = nav_address_new_from_string ("127.0.0.1", NULL);
  g_autoptr (NavAgent) agent = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC5245);
  GSocket *held;
  guint port, stream, announced = 0;
  gboolean gathered = FALSE;
  GSList *local;

  g_object_set (agent, "ice-tcp", FALSE, NULL);
  g_assert_true (nav_agent_add_local_address (agent, addr));
  g_signal_connect (agent, "new-candidate-full", G_CALLBACK (on_new_candidate), &announced);
  g_signal_connect (agent, "candidate-gathering-done", G_CALLBACK (agent_test_set_flag),
                    &gathered);
  stream = nav_agent_add_stream (agent, 1);
  held = hold_port (&port);
  nav_agent_set_port_range (agent, stream, 1, port, port);

  g_assert_false (nav_agent_gather_candidates (agent, stream));
  g_assert_null (nav_agent_get_local_candidates (agent, stream, 1));
  g_assert_cmpuint (nav_agent_get_component_state (agent, stream, 1), ==,
                    NAV_COMPONENT_STATE_DISCONNECTED);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (announced, ==, 0);
  g_assert_false (gathered);

  /* The port is free again: the same stream gathers. */
  g_object_unref (held);
  g_assert_true (nav_agent_gather_candidates (agent, stream));
  wait_for (agent_test_flag_set, &gathered);
  g_assert_cmpuint (announced, ==, 1);
  local = nav_agent_get_local_candidates (agent, stream, 1);
  g_assert_cmpuint (g_slist_length (local), ==, 1);
  g_assert_cmpuint (nav_address_get_port (&((NavCandidate *) local->data)->addr), ==, port);
  g_slist_free_full (local, (GDestroyNotify) nav_candidate_free);
  /* A second call while gathering is harmless, as in libnice. */
  g_assert_true (nav_agent_gather_candidates (agent, stream));
  g_assert_false (nav_agent_gather_candidates (agent, stream + 100));
}

/* Two components, one free port: the first binds, the second cannot,
 * and the call fails as a whole (the first one's socket is released). */
static void
test_gather_exhausted_second_component (void)
{
  g_autoptr (NavAddress) addr = nav_address_new_from_string ("127.0.0.1", NULL);
  g_autoptr (NavAgent) agent = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC5245);
  g_autoptr (GSocket) probe = NULL;
  guint port, stream, announced = 0;

  g_object_set (agent, "ice-tcp", FALSE, NULL);
  g_assert_true (nav_agent_add_local_address (agent, addr));
  g_signal_connect (agent, "new-candidate-full", G_CALLBACK (on_new_candidate), &announced);
  stream = nav_agent_add_stream (agent, 2);
  /* A port that was free a moment ago. */
  probe = hold_port (&port);
  g_clear_object (&probe);
  nav_agent_set_port_range (agent, stream, 1, port, port);
  nav_agent_set_port_range (agent, stream, 2, port, port);

  g_assert_false (nav_agent_gather_candidates (agent, stream));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (announced, ==, 0);
  g_assert_null (nav_agent_get_local_candidates (agent, stream, 1));
  /* Nothing kept the port. */
  probe = hold_port (&port);
}

/* ------------------------------------------------ no-op properties */

static void
test_noop_properties_warn (void)
{
  g_autoptr (NavAgent) agent = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC5245);

  /* Their defaults, and switching them off, say nothing. */
  g_object_set (agent, "upnp", FALSE, "proxy-type", 0, "proxy-ip", NULL, NULL);

  g_test_expect_message ("nav", G_LOG_LEVEL_WARNING, "*“upnp”*does nothing*");
  g_object_set (agent, "upnp", TRUE, NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("nav", G_LOG_LEVEL_WARNING, "*“proxy-ip”*does nothing*");
  g_object_set (agent, "proxy-ip", "192.0.2.1", NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("nav", G_LOG_LEVEL_WARNING, "*“proxy-type”*does nothing*");
  g_object_set (agent, "proxy-type", 1, NULL);
  g_test_assert_expected_messages ();

  /* Once per property and agent: a program setting it at each call is
   * not flooded. */
  g_object_set (agent, "upnp", TRUE, "proxy-ip", "192.0.2.2", NULL);

  /* At construction too. */
  g_test_expect_message ("nav", G_LOG_LEVEL_WARNING, "*“upnp”*does nothing*");
  g_object_unref (g_object_new (NAV_TYPE_AGENT, "upnp", TRUE, NULL));
  g_test_assert_expected_messages ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/ice/libnice/states/aggressive", GINT_TO_POINTER (MODE_AGGRESSIVE),
                        test_states);
  g_test_add_data_func ("/ice/libnice/states/regular", GINT_TO_POINTER (MODE_REGULAR),
                        test_states);
  g_test_add_data_func ("/ice/libnice/states/lite", GINT_TO_POINTER (MODE_LITE), test_states);
  g_test_add_data_func ("/ice/libnice/states/ice-tcp", GINT_TO_POINTER (MODE_TCP), test_states);
  g_test_add_data_func ("/ice/libnice/states/trickle", GINT_TO_POINTER (MODE_TRICKLE),
                        test_states);
  g_test_add_data_func ("/ice/libnice/states/reliable", GINT_TO_POINTER (MODE_RELIABLE),
                        test_states);
  g_test_add_data_func ("/ice/libnice/states/forced-pair", GINT_TO_POINTER (MODE_FORCED),
                        test_states);
  g_test_add_func ("/ice/libnice/gather/exhausted-ports", test_gather_exhausted_ports);
  g_test_add_func ("/ice/libnice/gather/exhausted-second-component",
                   test_gather_exhausted_second_component);
  g_test_add_func ("/ice/libnice/noop-properties-warn", test_noop_properties_warn);

  return g_test_run ();
}
