/* test-agent-connected.c: the selected pair's data on a UDP socket
 * connected to the pair's remote (issue 15), two agents in one process on
 * loopback
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The proof that the connected sockets carry the traffic: a socket filter
 * that drops everything is put on the agents' first (listening) sockets
 * once the pair is selected; data and consent checks (RFC 7675) must
 * still go both ways.  With NAV_UDP_CONNECTED=0 the same filter starves
 * the pair: consent is lost.
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <linux/filter.h>

#include <netavanue/netavanue.h>

#include "agent-test-util.h"

typedef struct {
  NavAgent *agent;
  guint stream_id;
  AgentTestWatch watch;
  gboolean failed;
  guint selected;
  GPtrArray *received;          /* GBytes */
} Peer;

static void
on_recv (NavAgent *agent,
         guint     stream_id,
         guint     component_id,
         guint     len,
         gchar    *buf,
         gpointer  user_data)
{
  Peer *p = user_data;

  g_ptr_array_add (p->received, g_bytes_new (buf, len));
}

static void
on_state (NavAgent *agent,
          guint     stream_id,
          guint     component_id,
          guint     state,
          Peer     *p)
{
  if (state == NAV_COMPONENT_STATE_FAILED)
    p->failed = TRUE;
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
}

static void
peer_init (Peer        *p,
           gboolean     controlling,
           const gchar *second_address)
{
  memset (p, 0, sizeof *p);
  p->agent = agent_test_new_loopback (NAV_AGENT_OPTION_NONE, &p->watch.gathered);
  if (second_address != NULL)
    {
      g_autoptr (NavAddress) addr = nav_address_new_from_string (second_address, NULL);

      g_assert_true (nav_agent_add_local_address (p->agent, addr));
    }
  g_object_set (p->agent, "controlling-mode", controlling, "ice-tcp", FALSE, NULL);
  g_signal_connect (p->agent, "component-state-changed", G_CALLBACK (agent_test_set_state),
                    &p->watch.state);
  g_signal_connect (p->agent, "component-state-changed", G_CALLBACK (on_state), p);
  g_signal_connect (p->agent, "new-selected-pair-full", G_CALLBACK (on_selected), p);
  p->stream_id = nav_agent_add_stream (p->agent, 1);
  p->received = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_assert_true (nav_agent_attach_recv (p->agent, p->stream_id, 1, NULL, on_recv, p));
}

static void
peer_clear (Peer *p)
{
  g_clear_object (&p->agent);
  g_clear_pointer (&p->received, g_ptr_array_unref);
}

static void
connect_peers (Peer *p)
{
  agent_test_connect_watched (p[0].agent, p[0].stream_id, &p[0].watch,
                              p[1].agent, p[1].stream_id, &p[1].watch);
}

typedef struct {
  Peer *peer;
  guint n;
} Count;

static gboolean
has_received (gpointer data)
{
  Count *c = data;

  return c->peer->received->len >= c->n;
}

/* @n datagrams "<tag> <i>" from @from to @to, received exactly. */
static void
send_exact (Peer        *from,
            Peer        *to,
            const gchar *tag,
            guint        n)
{
  guint first = to->received->len;
  Count c = { to, first + n };

  for (guint i = 0; i < n; i++)
    {
      g_autofree gchar *text = g_strdup_printf ("%s %u", tag, i);

      g_assert_cmpint (nav_agent_send (from->agent, from->stream_id, 1, strlen (text), text), ==,
                       (gint) strlen (text));
      /* Paced by the receiver: no loss to blame on a full buffer. */
      if (i % 32 == 31)
        wait_for (has_received, &(Count) { to, first + i + 1 });
    }
  wait_for (has_received, &c);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (to->received->len, ==, first + n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree gchar *text = g_strdup_printf ("%s %u", tag, i);
      gsize len;
      const gchar *got = g_bytes_get_data (g_ptr_array_index (to->received, first + i), &len);

      g_assert_cmpmem (got, len, text, strlen (text));
    }
}

/* The sockets of the selected pair's local transport, and its remote. */
static GPtrArray *
selected_sockets (Peer        *p,
                  NavAddress **remote_addr)
{
  g_autoptr (NavCandidate) local = NULL;
  g_autoptr (NavCandidate) remote = NULL;

  g_assert_true (nav_agent_get_selected_pair (p->agent, p->stream_id, 1, &local, &remote));
  g_assert_nonnull (local->owner);
  if (remote_addr != NULL)
    *remote_addr = nav_address_copy (&remote->addr);
  return nav_transport_dup_sockets (local->owner);
}

/* The second socket is bound where the first is and connected to the
 * pair's remote. */
static void
assert_connected (Peer *p)
{
  g_autoptr (NavAddress) remote = NULL;
  g_autoptr (GPtrArray) sockets = selected_sockets (p, &remote);
  g_autoptr (GSocketAddress) first = NULL;
  g_autoptr (GSocketAddress) name = NULL;
  g_autoptr (GSocketAddress) peer = NULL;
  g_autoptr (NavAddress) a = NULL;
  g_autoptr (NavAddress) b = NULL;
  g_autoptr (NavAddress) c = NULL;

  g_assert_cmpuint (sockets->len, ==, 2);
  first = g_socket_get_local_address (g_ptr_array_index (sockets, 0), NULL);
  name = g_socket_get_local_address (g_ptr_array_index (sockets, 1), NULL);
  peer = g_socket_get_remote_address (g_ptr_array_index (sockets, 1), NULL);
  g_assert_nonnull (peer);
  a = nav_address_new_from_socket_address (first, NULL);
  b = nav_address_new_from_socket_address (name, NULL);
  c = nav_address_new_from_socket_address (peer, NULL);
  g_assert_true (nav_address_equal (a, b));
  g_assert_true (nav_address_equal (c, remote));
}

/* Everything that reaches the selected transport's first socket is
 * dropped from now on. */
static void
drop_on_first_socket (Peer *p)
{
  g_autoptr (GPtrArray) sockets = selected_sockets (p, NULL);
  struct sock_filter code[] = { BPF_STMT (BPF_RET | BPF_K, 0) };
  struct sock_fprog prog = { G_N_ELEMENTS (code), code };
  int fd = g_socket_get_fd (g_ptr_array_index (sockets, 0));

  g_assert_cmpint (setsockopt (fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog), ==, 0);
}

static void
run_for (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static gboolean
either_failed (gpointer data)
{
  Peer *p = data;

  return p[0].failed || p[1].failed;
}

/* Once a pair is selected, each agent has a socket connected to the
 * pair's remote, and the data goes over those two sockets both ways. */
static void
test_selected (void)
{
  Peer p[2];

  peer_init (&p[0], TRUE, NULL);
  peer_init (&p[1], FALSE, NULL);
  connect_peers (p);
  assert_connected (&p[0]);
  assert_connected (&p[1]);
  send_exact (&p[0], &p[1], "a", 200);
  send_exact (&p[1], &p[0], "b", 200);

  drop_on_first_socket (&p[0]);
  drop_on_first_socket (&p[1]);
  send_exact (&p[0], &p[1], "a2", 200);
  send_exact (&p[1], &p[0], "b2", 200);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* RFC 7675: consent checks on the selected pair go over the connected
 * sockets and are answered there; with NAV_UDP_CONNECTED=0 they go over
 * the first sockets, and dropping what arrives there loses consent. */
static void
consent (gboolean connected)
{
  Peer p[2];

  if (!connected)
    g_setenv ("NAV_UDP_CONNECTED", "0", TRUE);
  for (guint i = 0; i < 2; i++)
    {
      peer_init (&p[i], i == 0, NULL);
      g_object_set (p[i].agent, "consent-freshness", TRUE, "consent-interval", 50,
                    "consent-timeout", 400, NULL);
    }
  connect_peers (p);
  if (connected)
    {
      assert_connected (&p[0]);
      assert_connected (&p[1]);
    }
  else
    {
      g_autoptr (GPtrArray) sockets = selected_sockets (&p[0], NULL);

      g_assert_cmpuint (sockets->len, ==, 1);
    }
  send_exact (&p[0], &p[1], "a", 50);
  send_exact (&p[1], &p[0], "b", 50);
  drop_on_first_socket (&p[0]);
  drop_on_first_socket (&p[1]);

  if (connected)
    {
      /* Several consent timeouts later, both still hold consent. */
      run_for (1500);
      g_assert_false (p[0].failed);
      g_assert_false (p[1].failed);
      g_assert_cmpint (p[0].watch.state, ==, NAV_COMPONENT_STATE_READY);
      g_assert_cmpint (p[1].watch.state, ==, NAV_COMPONENT_STATE_READY);
      send_exact (&p[0], &p[1], "a2", 50);
      send_exact (&p[1], &p[0], "b2", 50);
    }
  else
    {
      wait_for (either_failed, p);
      g_unsetenv ("NAV_UDP_CONNECTED");
    }
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

static void
test_consent (void)
{
  consent (TRUE);
}

static void
test_consent_disabled (void)
{
  consent (FALSE);
}

/* The candidate of @list on @address (any port), UDP host. */
static const gchar *
foundation_on (GSList      *list,
               const gchar *address)
{
  g_autoptr (NavAddress) want = nav_address_new_from_string (address, NULL);

  for (GSList *l = list; l != NULL; l = l->next)
    {
      NavCandidate *c = l->data;

      if (c->type == NAV_CANDIDATE_TYPE_HOST && c->transport == NAV_CANDIDATE_TRANSPORT_UDP &&
          nav_address_equal_no_port (&c->addr, want))
        return c->foundation;
    }
  g_assert_not_reached ();
  return NULL;
}

/* Another pair selected on both sides (127.0.0.1 → 127.0.0.2): the
 * connected socket of the agent that keeps its local transport moves to
 * the new remote, that of the other one moves to its other transport (the
 * old transport keeps its first socket only); data still goes both ways,
 * exactly. */
static void
test_reselect (void)
{
  Peer p[2];
  g_autoptr (NavCandidate) b_local = NULL;
  g_autoptr (GPtrArray) old_sockets = NULL;
  g_autoptr (NavAddress) two = nav_address_new_from_string ("127.0.0.2", NULL);
  GSList *a_remotes, *b_locals, *b_remotes;
  gboolean set_a, set_b;

  peer_init (&p[0], TRUE, NULL);
  peer_init (&p[1], FALSE, "127.0.0.2");
  connect_peers (p);
  assert_connected (&p[0]);
  assert_connected (&p[1]);
  g_assert_true (nav_agent_get_selected_pair (p[1].agent, p[1].stream_id, 1, &b_local, NULL));

  a_remotes = nav_agent_get_remote_candidates (p[0].agent, p[0].stream_id, 1);
  b_locals = nav_agent_get_local_candidates (p[1].agent, p[1].stream_id, 1);
  b_remotes = nav_agent_get_remote_candidates (p[1].agent, p[1].stream_id, 1);
  {
    g_autoptr (NavCandidate) a_local = NULL;

    g_assert_true (nav_agent_get_selected_pair (p[0].agent, p[0].stream_id, 1, &a_local, NULL));
    set_a = nav_agent_set_selected_pair (p[0].agent, p[0].stream_id, 1, a_local->foundation,
                                         foundation_on (a_remotes, "127.0.0.2"));
  }
  set_b = nav_agent_set_selected_pair (p[1].agent, p[1].stream_id, 1,
                                       foundation_on (b_locals, "127.0.0.2"),
                                       foundation_on (b_remotes, "127.0.0.1"));
  g_slist_free_full (a_remotes, (GDestroyNotify) nav_candidate_free);
  g_slist_free_full (b_locals, (GDestroyNotify) nav_candidate_free);
  g_slist_free_full (b_remotes, (GDestroyNotify) nav_candidate_free);
  g_assert_true (set_a);
  g_assert_true (set_b);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  assert_connected (&p[0]);
  assert_connected (&p[1]);
  {
    g_autoptr (NavAddress) remote = NULL;
    g_autoptr (GPtrArray) sockets = selected_sockets (&p[0], &remote);

    g_assert_true (nav_address_equal_no_port (remote, two));
  }
  if (!nav_address_equal_no_port (&b_local->addr, two))
    {
      /* b's previous transport: its connected socket closed. */
      old_sockets = nav_transport_dup_sockets (b_local->owner);
      g_assert_cmpuint (old_sockets->len, ==, 1);
    }
  send_exact (&p[0], &p[1], "a", 100);
  send_exact (&p[1], &p[0], "b", 100);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

static gboolean
both_selected_again (gpointer data)
{
  Peer *p = data;

  return p[0].selected >= 2 && p[1].selected >= 2 &&
         p[0].watch.state == NAV_COMPONENT_STATE_READY &&
         p[1].watch.state == NAV_COMPONENT_STATE_READY;
}

/* An ICE restart (RFC 8445 §9): data flows through it, and the pair its
 * checks select has its connected sockets on both sides (on loopback the
 * same candidates pair again: the same socket is kept, no window where a
 * datagram could be lost; another pair moves it, as test_reselect()). */
static void
test_restart (void)
{
  Peer p[2];

  peer_init (&p[0], TRUE, NULL);
  peer_init (&p[1], FALSE, NULL);
  connect_peers (p);
  assert_connected (&p[0]);
  assert_connected (&p[1]);
  g_assert_cmpuint (p[0].selected, ==, 1);
  g_assert_cmpuint (p[1].selected, ==, 1);

  g_assert_true (nav_agent_restart_stream (p[0].agent, p[0].stream_id));
  g_assert_true (nav_agent_restart_stream (p[1].agent, p[1].stream_id));
  send_exact (&p[0], &p[1], "during", 50);
  agent_test_signal_credentials_both (p[0].agent, p[0].stream_id, p[1].agent, p[1].stream_id);
  agent_test_signal_candidates_both (p[0].agent, p[0].stream_id, p[1].agent, p[1].stream_id);
  wait_for (both_selected_again, p);
  assert_connected (&p[0]);
  assert_connected (&p[1]);
  send_exact (&p[0], &p[1], "a", 100);
  send_exact (&p[1], &p[0], "b", 100);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* NAV_UDP_CONNECTED=0: one socket per transport, data both ways. */
static void
test_disabled (void)
{
  Peer p[2];
  g_autoptr (GPtrArray) sockets = NULL;

  g_setenv ("NAV_UDP_CONNECTED", "0", TRUE);
  peer_init (&p[0], TRUE, NULL);
  peer_init (&p[1], FALSE, NULL);
  connect_peers (p);
  sockets = selected_sockets (&p[0], NULL);
  g_assert_cmpuint (sockets->len, ==, 1);
  g_clear_pointer (&sockets, g_ptr_array_unref);
  sockets = selected_sockets (&p[1], NULL);
  g_assert_cmpuint (sockets->len, ==, 1);
  send_exact (&p[0], &p[1], "a", 100);
  send_exact (&p[1], &p[0], "b", 100);
  g_unsetenv ("NAV_UDP_CONNECTED");
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

int
main (int    argc,
      char **argv)
{
  g_unsetenv ("NAV_UDP_CONNECTED");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ice/agent/connected/selected", test_selected);
  g_test_add_func ("/ice/agent/connected/consent", test_consent);
  g_test_add_func ("/ice/agent/connected/consent-disabled", test_consent_disabled);
  g_test_add_func ("/ice/agent/connected/reselect", test_reselect);
  g_test_add_func ("/ice/agent/connected/restart", test_restart);
  g_test_add_func ("/ice/agent/connected/disabled", test_disabled);

  return g_test_run ();
}
