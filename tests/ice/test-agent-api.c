/* test-agent-api.c: NavAgent's message-vector I/O, forced pairs,
 * end-of-candidates and ICE-lite, two agents in one process on loopback
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <netavanue/netavanue.h>

#include "agent-test-util.h"


typedef struct {
  NavAgent *agent;
  guint stream_id;
  gboolean gathering_done;
  NavComponentState state;
  guint selected;
  gchar *selected_local;        /* foundations from new-selected-pair-full */
  gchar *selected_remote;
  guint received;
  GBytes *last_data;
} Peer;

static void
on_state (NavAgent *agent,
          guint     stream_id,
          guint     component_id,
          guint     state,
          Peer     *p)
{
  p->state = state;
}

static void
on_selected (NavAgent     *agent,
             guint         stream_id,
             guint         component_id,
             NavCandidate *local,
             NavCandidate *remote,
             Peer         *p)
{
  p->selected++;
  g_free (p->selected_local);
  g_free (p->selected_remote);
  p->selected_local = g_strdup (local->foundation);
  p->selected_remote = g_strdup (remote->foundation);
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
  g_clear_pointer (&p->last_data, g_bytes_unref);
  p->last_data = g_bytes_new (buf, len);
}

static void
peer_init_full (Peer           *p,
                gboolean        controlling,
                NavAgentOption  options,
                gboolean        attach)
{
  g_autoptr (NavAddress) addr = nav_address_new_from_string ("127.0.0.1", NULL);

  memset (p, 0, sizeof *p);
  p->agent = nav_agent_new_full (NULL, NAV_COMPATIBILITY_RFC5245, options);
  g_object_set (p->agent, "controlling-mode", controlling, "stun-pacing-timer", 5,
                "stun-initial-timeout", 100, "stun-max-retransmissions", 3, NULL);
  g_assert_true (nav_agent_add_local_address (p->agent, addr));
  g_signal_connect (p->agent, "candidate-gathering-done",
                    G_CALLBACK (agent_test_set_flag), &p->gathering_done);
  g_signal_connect (p->agent, "component-state-changed", G_CALLBACK (on_state), p);
  g_signal_connect (p->agent, "new-selected-pair-full", G_CALLBACK (on_selected), p);
  p->stream_id = nav_agent_add_stream (p->agent, 1);
  g_assert_cmpuint (p->stream_id, >, 0);
  if (attach)
    g_assert_true (nav_agent_attach_recv (p->agent, p->stream_id, 1, NULL, on_recv, p));
}

static void
peer_init (Peer     *p,
           gboolean  controlling,
           gboolean  attach)
{
  peer_init_full (p, controlling, NAV_AGENT_OPTION_NONE, attach);
}

static void
peer_clear (Peer *p)
{
  g_clear_object (&p->agent);
  g_clear_pointer (&p->last_data, g_bytes_unref);
  g_free (p->selected_local);
  g_free (p->selected_remote);
}

static gboolean
gathered (gpointer data)
{
  Peer *p = data;

  return p->gathering_done;
}

static gboolean
both_ready (gpointer data)
{
  Peer *p = data;

  return p[0].state == NAV_COMPONENT_STATE_READY && p[0].selected > 0 &&
         p[1].state == NAV_COMPONENT_STATE_READY && p[1].selected > 0;
}

static gboolean
is_ready (gpointer data)
{
  Peer *p = data;

  return p->state == NAV_COMPONENT_STATE_READY && p->selected > 0;
}

static gboolean
is_failed (gpointer data)
{
  Peer *p = data;

  return p->state == NAV_COMPONENT_STATE_FAILED;
}

static gboolean
has_received (gpointer data)
{
  Peer *p = data;

  return p->received > 0;
}

static void
exchange (Peer *from,
          Peer *to)
{
  agent_test_signal_credentials (from->agent, from->stream_id, to->agent, to->stream_id);
  agent_test_signal_candidates (to->agent, to->stream_id, 1,
                                nav_agent_get_local_candidates (from->agent, from->stream_id, 1));
}

static void
gather (Peer *p)
{
  g_assert_true (nav_agent_gather_candidates (p->agent, p->stream_id));
  wait_for (gathered, p);
}

static void
connect_pair (Peer *p)
{
  gather (&p[0]);
  gather (&p[1]);
  exchange (&p[0], &p[1]);
  exchange (&p[1], &p[0]);
  wait_for (both_ready, p);
}

/* ------------------------------------------------------ message vectors */

typedef struct {
  Peer *peer;
  GCancellable *cancellable;
  gint result;
  GError *error;
  guint8 buffers[2][64];
  NavAddress from[2];
  NavInputMessage messages[2];
  gboolean done;
} RecvThread;

static gpointer
recv_thread (gpointer data)
{
  RecvThread *t = data;
  GInputVector vectors[2] = { { t->buffers[0], 64 }, { t->buffers[1], 64 } };
  guint i;

  for (i = 0; i < 2; i++)
    t->messages[i] = (NavInputMessage) { &vectors[i], 1, &t->from[i], 0 };
  t->result = nav_agent_recv_messages (t->peer->agent, t->peer->stream_id, 1, t->messages, 2,
                                       t->cancellable, &t->error);
  g_atomic_int_set (&t->done, TRUE);
  return NULL;
}

static gboolean
thread_done (gpointer data)
{
  RecvThread *t = data;

  return g_atomic_int_get (&t->done);
}

/* nice_agent_send_messages_nonblocking() and nice_agent_recv_messages()
 * semantics: vectors gathered on send, one datagram per message on
 * receive, the sender's address, WOULD_BLOCK, BROKEN_PIPE, CANCELLED, a
 * blocking receive on the agent's own context and from another thread. */
static void
test_recv_messages (void)
{
  Peer p[2];
  GOutputVector out_vectors[3][2] = {
    { { "hello ", 6 }, { "one", 3 } },
    { { "two", 3 }, { NULL, 0 } },
    { { "three", 5 }, { NULL, 0 } },
  };
  NavOutputMessage out[3] = {
    { out_vectors[0], 2 },
    { out_vectors[1], -1 },     /* NULL-terminated */
    { out_vectors[2], 1 },
  };
  guint8 buf_a[4], buf_b[64], buf_c[64];
  GInputVector in_vectors[3] = { { buf_a, sizeof buf_a }, { buf_b, sizeof buf_b },
                                 { buf_c, sizeof buf_c } };
  NavInputMessage in[2];
  NavAddress from;
  g_autoptr (GError) error = NULL;
  g_autoptr (NavCandidate) remote = NULL;
  g_autoptr (GBytes) bytes = NULL;
  gssize n;

  peer_init (&p[0], TRUE, TRUE);
  peer_init (&p[1], FALSE, FALSE);    /* no receive function: recv_messages */

  /* No component, no pair. */
  g_assert_cmpint (nav_agent_recv_nonblocking (p[1].agent, p[1].stream_id, 2, buf_b,
                                               sizeof buf_b, NULL, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_clear_error (&error);
  g_assert_cmpint (nav_agent_send_messages_nonblocking (p[0].agent, p[0].stream_id, 1, out, 3,
                                                        NULL, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_clear_error (&error);

  connect_pair (p);
  g_assert_cmpint (nav_agent_recv_nonblocking (p[1].agent, p[1].stream_id, 1, buf_b,
                                               sizeof buf_b, NULL, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_clear_error (&error);

  g_assert_cmpint (nav_agent_send_messages_nonblocking (p[0].agent, p[0].stream_id, 1, out, 3,
                                                        NULL, &error), ==, 3);
  g_assert_no_error (error);
  g_assert_cmpint (nav_agent_send_messages_nonblocking (p[0].agent, p[0].stream_id, 1, out, 0,
                                                        NULL, &error), ==, 0);

  /* Blocking, on the thread that runs the default context: the agent's
   * sockets are read while it waits.  The first datagram spreads over two
   * buffers of the message. */
  in[0] = (NavInputMessage) { &in_vectors[0], 2, &from, 0 };
  in[1] = (NavInputMessage) { &in_vectors[2], 1, NULL, 0 };
  g_assert_cmpint (nav_agent_recv_messages (p[1].agent, p[1].stream_id, 1, in, 2, NULL, &error),
                   ==, 2);
  g_assert_no_error (error);
  g_assert_cmpuint (in[0].length, ==, 9);
  g_assert_cmpmem (buf_a, 4, "hell", 4);
  g_assert_cmpmem (buf_b, 5, "o one", 5);
  g_assert_cmpuint (in[1].length, ==, 3);
  g_assert_cmpmem (buf_c, 3, "two", 3);
  g_assert_true (nav_agent_get_selected_pair (p[1].agent, p[1].stream_id, 1, NULL, &remote));
  g_assert_true (nav_address_equal (&from, &remote->addr));

  /* Truncated to the buffer, as recvmsg() does. */
  n = nav_agent_recv (p[1].agent, p[1].stream_id, 1, buf_a, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 2);
  g_assert_cmpmem (buf_a, 2, "th", 2);

  /* The form for bindings. */
  g_assert_cmpint (nav_agent_send (p[0].agent, p[0].stream_id, 1, 4, "four"), ==, 4);
  bytes = nav_agent_recv_bytes (p[1].agent, p[1].stream_id, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "four", 4);
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = nav_agent_recv_bytes_nonblocking (p[1].agent, p[1].stream_id, 1, NULL, &error);
  g_assert_null (bytes);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_clear_error (&error);

  /* Blocking from another thread while this one runs the context. */
  {
    RecvThread t = { .peer = &p[1] };
    GThread *thread = g_thread_new ("recv", recv_thread, &t);

    g_assert_cmpint (nav_agent_send (p[0].agent, p[0].stream_id, 1, 5, "fifth"), ==, 5);
    g_assert_cmpint (nav_agent_send (p[0].agent, p[0].stream_id, 1, 5, "sixth"), ==, 5);
    wait_for (thread_done, &t);
    g_thread_join (thread);
    g_assert_no_error (t.error);
    g_assert_cmpint (t.result, ==, 2);
    g_assert_cmpmem (t.buffers[0], t.messages[0].length, "fifth", 5);
    g_assert_cmpmem (t.buffers[1], t.messages[1].length, "sixth", 5);
  }

  /* Cancelled from this thread while another one waits. */
  {
    RecvThread t = { .peer = &p[1], .cancellable = g_cancellable_new () };
    GThread *thread = g_thread_new ("recv", recv_thread, &t);

    g_usleep (G_USEC_PER_SEC / 20);
    g_cancellable_cancel (t.cancellable);
    wait_for (thread_done, &t);
    g_thread_join (thread);
    g_assert_cmpint (t.result, ==, -1);
    g_assert_error (t.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&t.error);
    g_object_unref (t.cancellable);
  }

  /* Cancelled before the call, on the context's own thread. */
  {
    g_autoptr (GCancellable) cancellable = g_cancellable_new ();

    g_cancellable_cancel (cancellable);
    g_assert_cmpint (nav_agent_recv (p[1].agent, p[1].stream_id, 1, buf_b, sizeof buf_b,
                                     cancellable, &error), ==, -1);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
  }

  /* Removing the stream ends a blocking receive in another thread. */
  {
    RecvThread t = { .peer = &p[1] };
    GThread *thread = g_thread_new ("recv", recv_thread, &t);

    g_usleep (G_USEC_PER_SEC / 20);
    nav_agent_remove_stream (p[1].agent, p[1].stream_id);
    wait_for (thread_done, &t);
    g_thread_join (thread);
    g_assert_no_error (t.error);
    g_assert_cmpint (t.result, ==, 0);
  }

  /* With a receive function attached, the data is the function's. */
  g_assert_cmpint (nav_agent_recv_nonblocking (p[0].agent, p[0].stream_id, 1, buf_b,
                                               sizeof buf_b, NULL, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_clear_error (&error);

  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* Data for nobody is kept, within bounds, until the agent goes. */
static void
test_recv_queue_freed (void)
{
  Peer p[2];
  guint i;
  gchar payload[1200] = { 0 };

  peer_init (&p[0], TRUE, TRUE);
  peer_init (&p[1], FALSE, FALSE);
  connect_pair (p);
  for (i = 0; i < 2000; i++)
    {
      nav_agent_send (p[0].agent, p[0].stream_id, 1, sizeof payload, payload);
      if (i % 32 == 0)
        while (g_main_context_iteration (NULL, FALSE))
          ;
    }
  while (g_main_context_iteration (NULL, FALSE))
    ;
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* --------------------------------------------------------- forced pairs */

/* nice_agent_set_selected_pair(): the application's pair, READY at once,
 * new-selected-pair-full, data flows, and the checks that follow never
 * replace it. */
static void
test_set_selected_pair (void)
{
  Peer p[2];
  GSList *local, *remote;
  const NavCandidate *l, *r;
  g_autoptr (NavCandidate) sl = NULL;
  g_autoptr (NavCandidate) sr = NULL;

  peer_init (&p[0], TRUE, TRUE);
  peer_init (&p[1], FALSE, TRUE);
  gather (&p[0]);
  gather (&p[1]);
  exchange (&p[1], &p[0]);

  local = nav_agent_get_local_candidates (p[0].agent, p[0].stream_id, 1);
  remote = nav_agent_get_remote_candidates (p[0].agent, p[0].stream_id, 1);
  l = local->data;
  r = remote->data;
  g_assert_false (nav_agent_set_selected_pair (p[0].agent, p[0].stream_id, 1, "nope",
                                               r->foundation));
  g_assert_false (nav_agent_set_selected_pair (p[0].agent, p[0].stream_id, 2, l->foundation,
                                               r->foundation));
  g_assert_true (nav_agent_set_selected_pair (p[0].agent, p[0].stream_id, 1, l->foundation,
                                              r->foundation));
  wait_for (is_ready, &p[0]);
  g_assert_cmpuint (p[0].selected, ==, 1);
  g_assert_cmpstr (p[0].selected_local, ==, l->foundation);
  g_assert_cmpstr (p[0].selected_remote, ==, r->foundation);

  /* The peer connects normally; ours keeps the forced pair. */
  exchange (&p[0], &p[1]);
  wait_for (is_ready, &p[1]);

  /* Data goes on the forced pair, to a peer whose checks know it (data
   * from a source no check proved is dropped, RFC 8445 §11). */
  g_assert_cmpint (nav_agent_send (p[0].agent, p[0].stream_id, 1, 6, "forced"), ==, 6);
  wait_for (has_received, &p[1]);
  g_assert_cmpmem (g_bytes_get_data (p[1].last_data, NULL), g_bytes_get_size (p[1].last_data),
                   "forced", 6);
  g_assert_true (nav_agent_get_selected_pair (p[0].agent, p[0].stream_id, 1, &sl, &sr));
  g_assert_cmpstr (sl->foundation, ==, l->foundation);
  g_assert_cmpstr (sr->foundation, ==, r->foundation);
  g_assert_cmpint (p[0].state, ==, NAV_COMPONENT_STATE_READY);

  g_slist_free_full (local, (GDestroyNotify) nav_candidate_free);
  g_slist_free_full (remote, (GDestroyNotify) nav_candidate_free);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* nice_agent_set_selected_remote_candidate(): a peer that does no ICE at
 * all (no credentials given) gets the data. */
static void
test_set_selected_remote_candidate (void)
{
  Peer p[2];
  GSList *theirs, *ours;
  g_autoptr (NavCandidate) sl = NULL;
  g_autoptr (NavCandidate) sr = NULL;

  peer_init (&p[0], TRUE, TRUE);
  peer_init (&p[1], FALSE, TRUE);
  gather (&p[0]);
  gather (&p[1]);
  theirs = nav_agent_get_local_candidates (p[1].agent, p[1].stream_id, 1);
  g_assert_true (nav_agent_set_selected_remote_candidate (p[0].agent, p[0].stream_id, 1,
                                                          theirs->data));
  wait_for (is_ready, &p[0]);
  g_assert_true (nav_agent_get_selected_pair (p[0].agent, p[0].stream_id, 1, &sl, &sr));
  g_assert_true (nav_address_equal (&sr->addr, &((NavCandidate *) theirs->data)->addr));
  /* The peer, which runs no checks either, takes data from anyone once
   * it chose its remote candidate so (libnice's fallback mode): no check
   * will ever prove the source. */
  ours = nav_agent_get_local_candidates (p[0].agent, p[0].stream_id, 1);
  g_assert_true (nav_agent_set_selected_remote_candidate (p[1].agent, p[1].stream_id, 1,
                                                          ours->data));
  g_assert_cmpint (nav_agent_send (p[0].agent, p[0].stream_id, 1, 3, "raw"), ==, 3);
  wait_for (has_received, &p[1]);
  g_slist_free_full (theirs, (GDestroyNotify) nav_candidate_free);
  g_slist_free_full (ours, (GDestroyNotify) nav_candidate_free);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* ----------------------------------------------------- end-of-candidates */

static guint16
closed_udp_port (void)
{
  g_autoptr (NavAddress) addr = nav_address_new_from_string ("127.0.0.1:0", NULL);
  g_autoptr (GError) error = NULL;
  NavUdpTransport *t = nav_udp_transport_new (addr, NULL, &error);
  guint16 port;

  g_assert_no_error (error);
  port = nav_address_get_port (nav_transport_get_local_address (NAV_TRANSPORT (t)));
  g_object_unref (t);
  return port;
}

/* RFC 8838 §8 and §13: a trickling agent whose peer's only candidate is
 * unreachable fails once the peer said end-of-candidates (here through
 * `a=end-of-candidates` in its SDP, RFC 8840 §4.1.3). */
static void
test_end_of_candidates (void)
{
  Peer p;
  g_autofree gchar *sdp = NULL;
  g_autofree gchar *local_sdp = NULL;
  gint n;

  peer_init_full (&p, TRUE, NAV_AGENT_OPTION_ICE_TRICKLE, TRUE);
  gather (&p);
  local_sdp = nav_agent_generate_local_sdp (p.agent);
  g_assert_true (g_str_has_suffix (local_sdp, "a=end-of-candidates\n"));

  sdp = g_strdup_printf ("m=- 9 ICE/SDP\nc=IN IP4 127.0.0.1\n"
                         "a=ice-ufrag:abcd\na=ice-pwd:abcdefghijklmnopqrstuvwxyz\n"
                         "a=candidate:1 1 UDP 2130706431 127.0.0.1 %u typ host\n"
                         "a=end-of-candidates\n", closed_udp_port ());
  n = nav_agent_parse_remote_sdp (p.agent, sdp);
  g_assert_cmpint (n, ==, 1);
  wait_for (is_failed, &p);
  g_assert_cmpuint (p.selected, ==, 0);
  peer_clear (&p);
}

static gboolean
on_fake_turn_incoming (GSocketService    *service,
                       GSocketConnection *connection,
                       GObject           *source,
                       gpointer           user_data)
{
  g_ptr_array_add (user_data, g_object_ref (connection));
  return TRUE;
}

static void
on_state_note_gathering (NavAgent *agent,
                         guint     stream_id,
                         guint     component_id,
                         guint     state,
                         Peer     *p)
{
  /* FAILED before our own gathering ended breaks RFC 8838 §8. */
  if (state == NAV_COMPONENT_STATE_FAILED)
    g_assert_true (p->gathering_done);
}

static gboolean
has_local_candidate (gpointer data)
{
  Peer *p = data;
  GSList *l = nav_agent_get_local_candidates (p->agent, p->stream_id, 1);
  gboolean any = l != NULL;

  g_slist_free_full (l, (GDestroyNotify) nav_candidate_free);
  return any;
}

static gboolean
has_connection (gpointer data)
{
  return ((GPtrArray *) data)->len > 0;
}

static gboolean
deadline_passed (gpointer data)
{
  return g_get_monotonic_time () >= *(gint64 *) data;
}

/* RFC 8838 §8: the peer's end-of-candidates is not enough to fail while
 * our own gathering goes on (a late local candidate makes new pairs).
 * Agent A's TURN server (a TCP listener here) takes the Allocate and
 * never answers, so A's gathering is held open; agent B, the same
 * without TURN, shows when the checks to the closed port have failed.
 * A fails only once its gathering has ended (the server hung up). */
static void
test_end_of_candidates_waits_for_gathering (void)
{
  Peer a, b;
  g_autoptr (GSocketService) service = g_socket_service_new ();
  g_autoptr (GPtrArray) connections = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) want = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *sdp = NULL;
  gint64 deadline;
  guint i;

  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER (service), want,
                                                G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                                NULL, &bound, &error));
  g_assert_no_error (error);
  g_signal_connect (service, "incoming", G_CALLBACK (on_fake_turn_incoming), connections);
  g_socket_service_start (service);

  peer_init_full (&a, TRUE, NAV_AGENT_OPTION_ICE_TRICKLE, TRUE);
  peer_init_full (&b, TRUE, NAV_AGENT_OPTION_ICE_TRICKLE, TRUE);
  g_signal_connect (a.agent, "component-state-changed", G_CALLBACK (on_state_note_gathering), &a);
  /* The Allocate over TCP waits stun-reliable-timeout (RFC 8489 §6.2.2
   * Ti) for its answer: longer than this test, so only the hang-up ends
   * A's gathering. */
  g_object_set (a.agent, "stun-reliable-timeout", 10 * 60 * 1000, NULL);
  g_assert_true (nav_agent_set_relay_info (a.agent, a.stream_id, 1, "127.0.0.1",
                                           g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)),
                                           "user", "password", NAV_RELAY_TYPE_TURN_TCP));
  g_assert_true (nav_agent_gather_candidates (a.agent, a.stream_id));
  g_assert_true (nav_agent_gather_candidates (b.agent, b.stream_id));
  wait_for (gathered, &b);
  wait_for (has_local_candidate, &a);
  wait_for (has_connection, connections);

  sdp = g_strdup_printf ("m=- 9 ICE/SDP\nc=IN IP4 127.0.0.1\n"
                         "a=ice-ufrag:abcd\na=ice-pwd:abcdefghijklmnopqrstuvwxyz\n"
                         "a=candidate:1 1 UDP 2130706431 127.0.0.1 %u typ host\n"
                         "a=end-of-candidates\n", closed_udp_port ());
  g_assert_cmpint (nav_agent_parse_remote_sdp (a.agent, sdp), ==, 1);
  g_assert_cmpint (nav_agent_parse_remote_sdp (b.agent, sdp), ==, 1);
  wait_for (is_failed, &b);
  /* A's checks have failed too by now (give them as long again as B's
   * last retransmission); A still waits for its gathering. */
  deadline = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  wait_for (deadline_passed, &deadline);
  g_assert_false (a.gathering_done);
  g_assert_cmpint (a.state, !=, NAV_COMPONENT_STATE_FAILED);

  /* The TURN server hangs up: A's gathering ends, and A fails. */
  for (i = 0; i < connections->len; i++)
    g_io_stream_close (connections->pdata[i], NULL, NULL);
  wait_for (is_failed, &a);
  g_assert_true (a.gathering_done);
  g_assert_cmpuint (a.selected, ==, 0);
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  peer_clear (&a);
  peer_clear (&b);
}

/* The same through nav_agent_peer_candidate_gathering_done(), and no
 * end-of-candidates line without trickle (libnice's SDP). */
static void
test_peer_gathering_done (void)
{
  Peer p, q;
  g_autofree gchar *local_sdp = NULL;
  NavCandidate *c = nav_candidate_new (NAV_CANDIDATE_TYPE_HOST);
  GSList one = { c, NULL };
  g_autoptr (NavAddress) addr = NULL;
  g_autofree gchar *addr_str = g_strdup_printf ("127.0.0.1:%u", closed_udp_port ());

  peer_init (&q, TRUE, TRUE);
  gather (&q);
  local_sdp = nav_agent_generate_local_sdp (q.agent);
  g_assert_null (strstr (local_sdp, "end-of-candidates"));
  g_assert_null (strstr (local_sdp, "ice-lite"));
  peer_clear (&q);

  peer_init_full (&p, TRUE, NAV_AGENT_OPTION_ICE_TRICKLE, TRUE);
  gather (&p);
  g_assert_true (nav_agent_set_remote_credentials (p.agent, p.stream_id, "abcd",
                                                   "abcdefghijklmnopqrstuvwxyz"));
  addr = nav_address_new_from_string (addr_str, NULL);
  c->addr = *addr;
  c->base_addr = *addr;
  c->priority = 2130706431;
  c->component_id = 1;
  nav_candidate_set_foundation (c, "1");
  g_assert_cmpint (nav_agent_set_remote_candidates (p.agent, p.stream_id, 1, &one), ==, 1);
  g_assert_true (nav_agent_peer_candidate_gathering_done (p.agent, p.stream_id));
  g_assert_false (nav_agent_peer_candidate_gathering_done (p.agent, 99));
  wait_for (is_failed, &p);
  nav_candidate_free (c);
  peer_clear (&p);
}

/* ---------------------------------------------------------------- lite */

static void
exchange_sdp (Peer *from,
              Peer *to)
{
  g_autofree gchar *sdp = nav_agent_generate_local_sdp (from->agent);

  g_assert_cmpint (nav_agent_parse_remote_sdp (to->agent, sdp), >, 0);
}

static void
send_both_ways (Peer *p)
{
  g_assert_cmpint (nav_agent_send (p[0].agent, p[0].stream_id, 1, 4, "full"), ==, 4);
  g_assert_cmpint (nav_agent_send (p[1].agent, p[1].stream_id, 1, 4, "lite"), ==, 4);
  wait_for (has_received, &p[0]);
  wait_for (has_received, &p[1]);
  g_assert_cmpmem (g_bytes_get_data (p[0].last_data, NULL), 4, "lite", 4);
  g_assert_cmpmem (g_bytes_get_data (p[1].last_data, NULL), 4, "full", 4);
}

/* RFC 8445 §2.5 and §6.1.1: a lite agent (full-mode FALSE) offers host
 * candidates and `a=ice-lite`; the full agent that reads it takes the
 * controlling role, checks and nominates; the lite one selects that. */
static void
test_lite_sdp (void)
{
  Peer p[2];
  g_autofree gchar *sdp = NULL;
  gboolean full, controlling;

  peer_init (&p[0], FALSE, TRUE);     /* full, told to be controlled */
  peer_init_full (&p[1], TRUE, NAV_AGENT_OPTION_LITE_MODE, TRUE);
  g_object_set (p[1].agent, "stun-server", "127.0.0.1", "stun-server-port", 9, NULL);
  g_object_get (p[1].agent, "full-mode", &full, "controlling-mode", &controlling, NULL);
  g_assert_false (full);
  g_assert_false (controlling);
  gather (&p[0]);
  gather (&p[1]);

  sdp = nav_agent_generate_local_sdp (p[1].agent);
  g_assert_true (g_str_has_prefix (sdp, "a=ice-lite\nm="));
  g_assert_null (strstr (sdp, "typ srflx"));
  exchange_sdp (&p[1], &p[0]);
  g_object_get (p[0].agent, "controlling-mode", &controlling, NULL);
  g_assert_true (controlling);
  exchange_sdp (&p[0], &p[1]);
  wait_for (both_ready, p);
  send_both_ways (p);
  g_object_get (p[1].agent, "controlling-mode", &controlling, NULL);
  g_assert_false (controlling);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* Without SDP the full agent may start controlled: the lite agent answers
 * its check with a 487 and the full one switches (RFC 8445 §6.1.1,
 * §7.2.5.1). */
static void
test_lite_role_conflict (void)
{
  Peer p[2];
  gboolean controlling;

  peer_init (&p[0], FALSE, TRUE);
  peer_init_full (&p[1], FALSE, NAV_AGENT_OPTION_LITE_MODE, TRUE);
  connect_pair (p);
  send_both_ways (p);
  g_object_get (p[0].agent, "controlling-mode", &controlling, NULL);
  g_assert_true (controlling);
  g_object_get (p[1].agent, "controlling-mode", &controlling, NULL);
  g_assert_false (controlling);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* Regular nomination (RFC 8445) against a lite agent. */
static void
test_lite_regular (void)
{
  Peer p[2];

  peer_init_full (&p[0], TRUE, NAV_AGENT_OPTION_REGULAR_NOMINATION, TRUE);
  peer_init_full (&p[1], FALSE, NAV_AGENT_OPTION_LITE_MODE, TRUE);
  connect_pair (p);
  send_both_ways (p);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ice/agent/recv-messages", test_recv_messages);
  g_test_add_func ("/ice/agent/recv-queue-freed", test_recv_queue_freed);
  g_test_add_func ("/ice/agent/set-selected-pair", test_set_selected_pair);
  g_test_add_func ("/ice/agent/set-selected-remote-candidate",
                   test_set_selected_remote_candidate);
  g_test_add_func ("/ice/agent/end-of-candidates-sdp", test_end_of_candidates);
  g_test_add_func ("/ice/agent/end-of-candidates-waits-for-gathering",
                   test_end_of_candidates_waits_for_gathering);
  g_test_add_func ("/ice/agent/peer-gathering-done", test_peer_gathering_done);
  g_test_add_func ("/ice/agent/lite-sdp", test_lite_sdp);
  g_test_add_func ("/ice/agent/lite-role-conflict", test_lite_role_conflict);
  g_test_add_func ("/ice/agent/lite-regular-nomination", test_lite_regular);
  return g_test_run ();
}
