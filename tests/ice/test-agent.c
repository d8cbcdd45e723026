/* test-agent.c: two NavAgents connect through the ICE checker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <netavanue/netavanue.h>

#include "agent-test-util.h"


typedef struct _Peer {
  NavAgent *agent;
  guint stream_id;
  guint n_components;
  gboolean gathering_done;
  NavComponentState state[3];
  gboolean selected[3];
  guint received[3];
  GBytes *last_data;
  GPtrArray *new_local;         /* NavCandidate, from new-candidate-full */
  GPtrArray *new_remote;        /* NavCandidate, from new-remote-candidate-full */
  guint initial_binding;
  gboolean failed_seen;
  guint ready_count;
  gboolean trickle_to_peer;
  struct _Peer *peer;
} Peer;

static void
on_state (NavAgent *agent,
          guint     stream_id,
          guint     component_id,
          guint     state,
          Peer     *p)
{
  g_assert_cmpuint (component_id, <=, 2);
  p->state[component_id] = state;
  if (state == NAV_COMPONENT_STATE_FAILED)
    p->failed_seen = TRUE;
  if (state == NAV_COMPONENT_STATE_READY)
    p->ready_count++;
}

static void
on_selected (NavAgent     *agent,
             guint         stream_id,
             guint         component_id,
             NavCandidate *local,
             NavCandidate *remote,
             Peer         *p)
{
  NavCandidate *l = NULL, *r = NULL;

  p->selected[component_id] = TRUE;
  /* A handler may call back into the agent: no lock is held. */
  g_assert_true (nav_agent_get_selected_pair (agent, stream_id, component_id, &l, &r));
  g_assert_true (nav_address_equal (&l->addr, &local->addr));
  g_assert_true (nav_address_equal (&r->addr, &remote->addr));
  nav_candidate_free (l);
  nav_candidate_free (r);
}

static void
on_new_candidate (NavAgent     *agent,
                  NavCandidate *candidate,
                  Peer         *p)
{
  g_ptr_array_add (p->new_local, nav_candidate_copy (candidate));
  if (p->trickle_to_peer && candidate->type != NAV_CANDIDATE_TYPE_PEER_REFLEXIVE)
    {
      Peer *peer = p->peer;
      GSList one = { candidate, NULL };

      g_assert_cmpint (nav_agent_set_remote_candidates (peer->agent, peer->stream_id,
                                                        candidate->component_id, &one), ==, 1);
    }
}

static void
on_new_remote (NavAgent     *agent,
               NavCandidate *candidate,
               Peer         *p)
{
  g_ptr_array_add (p->new_remote, nav_candidate_copy (candidate));
}

static void
on_initial_binding (NavAgent *agent,
                    guint     stream_id,
                    Peer     *p)
{
  p->initial_binding++;
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

  p->received[component_id]++;
  g_clear_pointer (&p->last_data, g_bytes_unref);
  p->last_data = g_bytes_new (buf, len);
}

static void
peer_init (Peer             *p,
           NavCompatibility  compat,
           gboolean          controlling,
           const gchar      *address,
           guint             n_components)
{
  g_autoptr (NavAddress) addr = nav_address_new_from_string (address, NULL);
  guint c;

  memset (p, 0, sizeof *p);
  p->agent = nav_agent_new (NULL, compat);
  p->n_components = n_components;
  p->new_local = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
  p->new_remote = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
  g_object_set (p->agent, "controlling-mode", controlling, "stun-pacing-timer", 5,
                "stun-initial-timeout", 100, NULL);
  g_assert_true (nav_agent_add_local_address (p->agent, addr));
  g_signal_connect (p->agent, "candidate-gathering-done",
                    G_CALLBACK (agent_test_set_flag), &p->gathering_done);
  g_signal_connect (p->agent, "component-state-changed", G_CALLBACK (on_state), p);
  g_signal_connect (p->agent, "new-selected-pair-full", G_CALLBACK (on_selected), p);
  g_signal_connect (p->agent, "new-candidate-full", G_CALLBACK (on_new_candidate), p);
  g_signal_connect (p->agent, "new-remote-candidate-full", G_CALLBACK (on_new_remote), p);
  g_signal_connect (p->agent, "initial-binding-request-received",
                    G_CALLBACK (on_initial_binding), p);
  p->stream_id = nav_agent_add_stream (p->agent, n_components);
  g_assert_cmpuint (p->stream_id, >, 0);
  for (c = 1; c <= n_components; c++)
    g_assert_true (nav_agent_attach_recv (p->agent, p->stream_id, c, NULL, on_recv, p));
}

static void
peer_clear (Peer *p)
{
  g_clear_object (&p->agent);
  g_clear_pointer (&p->last_data, g_bytes_unref);
  g_ptr_array_unref (p->new_local);
  g_ptr_array_unref (p->new_remote);
}

static gboolean
both_gathered (gpointer data)
{
  Peer *p = data;

  return p[0].gathering_done && p[1].gathering_done;
}

static gboolean
all_ready (gpointer data)
{
  Peer *p = data;
  guint i, c;

  for (i = 0; i < 2; i++)
    for (c = 1; c <= p[i].n_components; c++)
      if (p[i].state[c] != NAV_COMPONENT_STATE_READY || !p[i].selected[c])
        return FALSE;
  return TRUE;
}

static gboolean
both_received (gpointer data)
{
  Peer *p = data;
  guint i, c;

  for (i = 0; i < 2; i++)
    for (c = 1; c <= p[i].n_components; c++)
      if (p[i].received[c] == 0)
        return FALSE;
  return TRUE;
}

static void
exchange_credentials (Peer *from,
                      Peer *to)
{
  g_autofree gchar *ufrag = NULL;
  g_autofree gchar *pwd = NULL;

  g_assert_true (nav_agent_get_local_credentials (from->agent, from->stream_id, &ufrag, &pwd));
  g_assert_cmpuint (strlen (ufrag), >=, 4);
  g_assert_cmpuint (strlen (pwd), >=, 22);
  g_assert_true (nav_agent_set_remote_credentials (to->agent, to->stream_id, ufrag, pwd));
}

static void
exchange_candidates (Peer *from,
                     Peer *to)
{
  guint c;

  for (c = 1; c <= from->n_components; c++)
    agent_test_signal_candidates (to->agent, to->stream_id, c,
                                  nav_agent_get_local_candidates (from->agent, from->stream_id, c));
}

static void
send_both_ways (Peer *p)
{
  guint i, c;

  for (i = 0; i < 2; i++)
    for (c = 1; c <= p[i].n_components; c++)
      {
        gchar msg[32];

        g_snprintf (msg, sizeof msg, "hello %u/%u", i, c);
        g_assert_cmpint (nav_agent_send (p[i].agent, p[i].stream_id, c, strlen (msg), msg),
                         ==, (gint) strlen (msg));
      }
  wait_for (both_received, p);
  {
    gsize len;
    const gchar *data = g_bytes_get_data (p[0].last_data, &len);

    g_assert_cmpuint (len, >=, 8);
    g_assert_cmpmem (data, 8, "hello 1/", 8);
  }
}

static void
gather_both (Peer *p)
{
  g_assert_true (nav_agent_gather_candidates (p[0].agent, p[0].stream_id));
  g_assert_true (nav_agent_gather_candidates (p[1].agent, p[1].stream_id));
  wait_for (both_gathered, p);
}

static void
connect_pair (NavCompatibility compat,
              const gchar     *address,
              guint            n_components)
{
  Peer p[2];
  guint c;

  peer_init (&p[0], compat, TRUE, address, n_components);
  peer_init (&p[1], compat, FALSE, address, n_components);
  gather_both (p);
  for (c = 1; c <= n_components; c++)
    g_assert_cmpuint (p[0].state[c], ==, NAV_COMPONENT_STATE_GATHERING);

  exchange_credentials (&p[0], &p[1]);
  exchange_credentials (&p[1], &p[0]);
  exchange_candidates (&p[0], &p[1]);
  exchange_candidates (&p[1], &p[0]);
  wait_for (all_ready, p);
  g_assert_cmpuint (p[0].initial_binding + p[1].initial_binding, >=, 1);
  send_both_ways (p);

  {
    gboolean controlling;

    g_object_get (p[0].agent, "controlling-mode", &controlling, NULL);
    g_assert_true (controlling);
    g_object_get (p[1].agent, "controlling-mode", &controlling, NULL);
    g_assert_false (controlling);
  }
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* RFC 8445: regular nomination and consent freshness. */
static void
test_connect_rfc8445 (void)
{
  connect_pair (NAV_COMPATIBILITY_RFC8445, "127.0.0.1", 1);
}

/* libnice's default: aggressive nomination (RFC 5245 §8.1.1.2). */
static void
test_connect_rfc5245 (void)
{
  connect_pair (NAV_COMPATIBILITY_RFC5245, "127.0.0.1", 1);
}

static void
test_connect_ipv6 (void)
{
  connect_pair (NAV_COMPATIBILITY_RFC8445, "::1", 1);
}

/* Two components (RTP and RTCP) each get their own pair. */
static void
test_connect_two_components (void)
{
  connect_pair (NAV_COMPATIBILITY_RFC8445, "127.0.0.1", 2);
  connect_pair (NAV_COMPATIBILITY_RFC5245, "127.0.0.1", 2);
}

/* RFC 8445 §7.3.1.1: both controlling (or both controlled); the
 * tie-breakers and 487 leave exactly one controlling agent, and the
 * connection is made. */
static void
role_conflict (gboolean controlling)
{
  Peer p[2];
  gboolean c0, c1;

  peer_init (&p[0], NAV_COMPATIBILITY_RFC8445, controlling, "127.0.0.1", 1);
  peer_init (&p[1], NAV_COMPATIBILITY_RFC8445, controlling, "127.0.0.1", 1);
  gather_both (p);
  exchange_credentials (&p[0], &p[1]);
  exchange_credentials (&p[1], &p[0]);
  exchange_candidates (&p[0], &p[1]);
  exchange_candidates (&p[1], &p[0]);
  wait_for (all_ready, p);
  g_object_get (p[0].agent, "controlling-mode", &c0, NULL);
  g_object_get (p[1].agent, "controlling-mode", &c1, NULL);
  g_assert_true (c0 != c1);
  send_both_ways (p);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

static void
test_role_conflict_both_controlling (void)
{
  role_conflict (TRUE);
}

static void
test_role_conflict_both_controlled (void)
{
  role_conflict (FALSE);
}

/* RFC 8838: checks start before the candidates are all known; each is
 * handed over as it is gathered, then end-of-candidates. */
static void
test_trickle (void)
{
  Peer p[2];

  peer_init (&p[0], NAV_COMPATIBILITY_RFC8445, TRUE, "127.0.0.1", 1);
  peer_init (&p[1], NAV_COMPATIBILITY_RFC8445, FALSE, "127.0.0.1", 1);
  g_object_set (p[0].agent, "ice-trickle", TRUE, NULL);
  g_object_set (p[1].agent, "ice-trickle", TRUE, NULL);
  p[0].peer = &p[1];
  p[1].peer = &p[0];
  p[0].trickle_to_peer = TRUE;
  p[1].trickle_to_peer = TRUE;
  /* Credentials first, as a trickling offer carries them. */
  exchange_credentials (&p[0], &p[1]);
  exchange_credentials (&p[1], &p[0]);
  gather_both (p);
  g_assert_true (nav_agent_peer_candidate_gathering_done (p[0].agent, p[0].stream_id));
  g_assert_true (nav_agent_peer_candidate_gathering_done (p[1].agent, p[1].stream_id));
  wait_for (all_ready, p);
  send_both_ways (p);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

static gboolean
learnt_prflx (gpointer data)
{
  Peer *p = data;

  return p->new_remote->len > 0;
}

/* RFC 8445 §7.3.1.3: the controlled agent never hears of the
 * controlling agent's candidates; it learns the source of the checks as a
 * peer-reflexive candidate and connects through it. */
static void
test_peer_reflexive (void)
{
  Peer p[2];
  NavCandidate *remote;
  NavCandidate *selected_remote = NULL;

  peer_init (&p[0], NAV_COMPATIBILITY_RFC8445, TRUE, "127.0.0.1", 1);
  peer_init (&p[1], NAV_COMPATIBILITY_RFC8445, FALSE, "127.0.0.1", 1);
  gather_both (p);
  exchange_credentials (&p[0], &p[1]);
  exchange_credentials (&p[1], &p[0]);
  exchange_candidates (&p[1], &p[0]);   /* one way only */
  wait_for (learnt_prflx, &p[1]);
  remote = g_ptr_array_index (p[1].new_remote, 0);
  g_assert_cmpint (remote->type, ==, NAV_CANDIDATE_TYPE_PEER_REFLEXIVE);
  wait_for (all_ready, p);
  g_assert_true (nav_agent_get_selected_pair (p[1].agent, p[1].stream_id, 1, NULL,
                                              &selected_remote));
  g_assert_cmpint (selected_remote->type, ==, NAV_CANDIDATE_TYPE_PEER_REFLEXIVE);
  nav_candidate_free (selected_remote);
  send_both_ways (p);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

static gboolean
failed (gpointer data)
{
  Peer *p = data;

  return p->state[1] == NAV_COMPONENT_STATE_FAILED;
}

/* RFC 7675 §5.1: when the peer stops answering, consent expires and the
 * component fails.  The intervals are shortened; only the state is
 * asserted. */
static void
test_consent_expiry (void)
{
  Peer p[2];
  guint i;

  for (i = 0; i < 2; i++)
    {
      peer_init (&p[i], NAV_COMPATIBILITY_RFC8445, i == 0, "127.0.0.1", 1);
      g_object_set (p[i].agent, "consent-freshness", TRUE, "consent-interval", 50,
                    "consent-timeout", 400, NULL);
    }
  gather_both (p);
  exchange_credentials (&p[0], &p[1]);
  exchange_credentials (&p[1], &p[0]);
  exchange_candidates (&p[0], &p[1]);
  exchange_candidates (&p[1], &p[0]);
  wait_for (all_ready, p);
  send_both_ways (p);

  /* Consent requests keep it alive while the peer answers: a few rounds
   * later both are still READY. */
  {
    gint64 until = g_get_monotonic_time () + 600 * 1000;

    while (g_get_monotonic_time () < until)
      {
        g_main_context_iteration (NULL, FALSE);
        g_usleep (1000);
      }
  }
  g_assert_cmpint (p[0].state[1], ==, NAV_COMPONENT_STATE_READY);
  g_assert_cmpint (p[1].state[1], ==, NAV_COMPONENT_STATE_READY);

  /* The peer goes away: its sockets close, nobody answers. */
  peer_clear (&p[1]);
  wait_for (failed, &p[0]);
  g_assert_true (p[0].failed_seen);
  g_assert_cmpint (nav_agent_send (p[0].agent, p[0].stream_id, 1, 4, "gone"), ==, -1);
  peer_clear (&p[0]);
}

/* Garbage on the agent's socket is dropped: STUN-looking junk, a Binding
 * request with a wrong password, random bytes.  The connection survives. */
static void
test_garbage (void)
{
  Peer p[2];
  g_autoptr (GSocket) sock = NULL;
  g_autoptr (GSocketAddress) target = NULL;
  NavCandidate *local = NULL;
  guint i;

  peer_init (&p[0], NAV_COMPATIBILITY_RFC8445, TRUE, "127.0.0.1", 1);
  peer_init (&p[1], NAV_COMPATIBILITY_RFC8445, FALSE, "127.0.0.1", 1);
  gather_both (p);
  exchange_credentials (&p[0], &p[1]);
  exchange_credentials (&p[1], &p[0]);
  exchange_candidates (&p[0], &p[1]);
  exchange_candidates (&p[1], &p[0]);
  wait_for (all_ready, p);

  g_assert_true (nav_agent_get_selected_pair (p[1].agent, p[1].stream_id, 1, &local, NULL));
  target = nav_address_to_socket_address (&local->addr);
  nav_candidate_free (local);
  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_assert_nonnull (sock);

  for (i = 0; i < 300; i++)
    {
      guint8 buf[128];
      gsize len = g_random_int_range (1, sizeof buf);
      guint j;

      for (j = 0; j < len; j++)
        buf[j] = g_random_int_range (0, 256);
      if (i % 3 == 0 && len >= 20)
        {
          /* A STUN header: Binding request, magic cookie, length of the
           * rest, then random attributes. */
          buf[0] = 0x00;
          buf[1] = 0x01;
          buf[2] = ((len - 20) >> 8) & 0xff;
          buf[3] = (len - 20) & 0xff;
          buf[4] = 0x21; buf[5] = 0x12; buf[6] = 0xa4; buf[7] = 0x42;
        }
      else
        buf[0] &= 0x03;         /* looks like STUN to the demultiplexer */
      g_socket_send_to (sock, target, (const gchar *) buf, len, NULL, NULL);
      /* In bursts the socket buffer holds, so that none of it is lost
       * before the agent has seen it. */
      if (i % 16 == 15)
        while (g_main_context_iteration (NULL, FALSE))
          ;
    }
  /* A well-formed Binding request with a wrong password. */
  {
    g_autoptr (NavStunMessageBuilder) b =
      nav_stun_message_builder_new (NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_BINDING, NULL);
    g_autoptr (GBytes) bytes = NULL;
    g_autofree gchar *ufrag = NULL, *pwd = NULL, *username = NULL;
    const guint8 key[] = "wrong-password-wrong-password";

    nav_agent_get_local_credentials (p[1].agent, p[1].stream_id, &ufrag, &pwd);
    username = g_strconcat (ufrag, ":abcd", NULL);
    nav_stun_message_builder_add_username (b, username, NULL);
    nav_stun_message_builder_add_priority (b, 1234, NULL);
    nav_stun_message_builder_add_ice_controlling (b, G_MAXUINT64, NULL);
    nav_stun_message_builder_add_use_candidate (b, NULL);
    nav_stun_message_builder_add_message_integrity (b, key, sizeof key - 1, NULL);
    nav_stun_message_builder_add_fingerprint (b, NULL);
    bytes = nav_stun_message_builder_finish (b, NULL);
    g_socket_send_to (sock, target, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                      NULL, NULL);
  }

  /* None of it reached the application: it is no data of the peer's
   * (RFC 8445 §11). */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (p[1].received[1], ==, 0);

  /* Still connected, and still one controlling agent: the forged
   * ICE-CONTROLLING with the largest tie-breaker was not believed. */
  memset (p[0].received, 0, sizeof p[0].received);
  memset (p[1].received, 0, sizeof p[1].received);
  send_both_ways (p);
  g_assert_cmpint (p[1].state[1], ==, NAV_COMPONENT_STATE_READY);
  {
    gboolean controlling;

    g_object_get (p[1].agent, "controlling-mode", &controlling, NULL);
    g_assert_false (controlling);
  }
  /* None of the garbage made a peer-reflexive candidate of its sender
   * (the ICE-TCP checks may make legitimate ones, from the ephemeral port
   * of the other agent's active connection, RFC 6544 §7.2.2). */
  {
    g_autoptr (GSocketAddress) sender = g_socket_get_local_address (sock, NULL);
    NavAddress garbage_from;

    g_assert_nonnull (sender);
    g_assert_true (nav_address_set_from_socket_address (&garbage_from, sender, NULL));
    for (i = 0; i < p[1].new_remote->len; i++)
      {
        NavCandidate *c = g_ptr_array_index (p[1].new_remote, i);

        g_assert_false (nav_address_get_port (&c->addr) == nav_address_get_port (&garbage_from) &&
                        c->transport == NAV_CANDIDATE_TRANSPORT_UDP);
      }
  }
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

static guint
n_local (NavAgent *agent,
         guint     stream_id)
{
  GSList *list = nav_agent_get_local_candidates (agent, stream_id, 1);
  guint n = g_slist_length (list);

  g_slist_free_full (list, (GDestroyNotify) nav_candidate_free);
  return n;
}

static gboolean
ready_twice (gpointer data)
{
  Peer *p = data;

  return p[0].ready_count >= 2 && p[1].ready_count >= 2 &&
         p[0].state[1] == NAV_COMPONENT_STATE_READY &&
         p[1].state[1] == NAV_COMPONENT_STATE_READY;
}

/* RFC 8445 §9: an ICE restart: new credentials on both sides, the checks
 * run again and select a pair again; data flows through the old pair
 * meanwhile and through the new one after. */
static void
test_restart (void)
{
  Peer p[2];
  g_autofree gchar *ufrag_before = NULL, *pwd_before = NULL;
  g_autofree gchar *ufrag_after = NULL, *pwd_after = NULL;
  g_autoptr (GSList) none = NULL;

  peer_init (&p[0], NAV_COMPATIBILITY_RFC8445, TRUE, "127.0.0.1", 1);
  peer_init (&p[1], NAV_COMPATIBILITY_RFC8445, FALSE, "127.0.0.1", 1);
  gather_both (p);
  exchange_credentials (&p[0], &p[1]);
  exchange_credentials (&p[1], &p[0]);
  exchange_candidates (&p[0], &p[1]);
  exchange_candidates (&p[1], &p[0]);
  wait_for (all_ready, p);
  g_assert_true (nav_agent_get_local_credentials (p[0].agent, p[0].stream_id, &ufrag_before,
                                                  &pwd_before));

  g_assert_true (nav_agent_restart_stream (p[0].agent, p[0].stream_id));
  g_assert_true (nav_agent_restart (p[1].agent));
  g_assert_true (nav_agent_get_local_credentials (p[0].agent, p[0].stream_id, &ufrag_after,
                                                  &pwd_after));
  g_assert_cmpstr (pwd_before, !=, pwd_after);
  /* the peer's candidates are forgotten */
  none = nav_agent_get_remote_candidates (p[0].agent, p[0].stream_id, 1);
  g_assert_null (none);
  /* the old pair still carries data */
  g_assert_cmpint (nav_agent_send (p[0].agent, p[0].stream_id, 1, 3, "old"), ==, 3);

  exchange_credentials (&p[0], &p[1]);
  exchange_credentials (&p[1], &p[0]);
  exchange_candidates (&p[0], &p[1]);
  exchange_candidates (&p[1], &p[0]);
  wait_for (ready_twice, p);
  memset (p[0].received, 0, sizeof p[0].received);
  memset (p[1].received, 0, sizeof p[1].received);
  send_both_ways (p);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* Two streams with their own credentials connect side by side. */
static void
test_two_streams (void)
{
  Peer p[2];
  guint second[2];
  guint i;

  peer_init (&p[0], NAV_COMPATIBILITY_RFC8445, TRUE, "127.0.0.1", 1);
  peer_init (&p[1], NAV_COMPATIBILITY_RFC8445, FALSE, "127.0.0.1", 1);
  for (i = 0; i < 2; i++)
    {
      second[i] = nav_agent_add_stream (p[i].agent, 1);
      g_assert_cmpuint (second[i], !=, p[i].stream_id);
      g_assert_true (nav_agent_set_stream_name (p[i].agent, p[i].stream_id, "audio"));
      g_assert_true (nav_agent_set_stream_name (p[i].agent, second[i], "video"));
      g_assert_false (nav_agent_set_stream_name (p[i].agent, second[i], "audio"));
      g_assert_true (nav_agent_gather_candidates (p[i].agent, second[i]));
    }
  gather_both (p);
  /* The whole SDP carries both streams. */
  {
    g_autofree gchar *sdp0 = NULL;
    g_autofree gchar *sdp1 = NULL;

    /* gathering of the second streams may still be under way */
    while (n_local (p[0].agent, second[0]) == 0 || n_local (p[1].agent, second[1]) == 0)
      g_main_context_iteration (NULL, TRUE);
    sdp0 = nav_agent_generate_local_sdp (p[0].agent);
    sdp1 = nav_agent_generate_local_sdp (p[1].agent);
    g_assert_nonnull (strstr (sdp0, "m=audio "));
    g_assert_nonnull (strstr (sdp0, "m=video "));
    g_assert_cmpint (nav_agent_parse_remote_sdp (p[1].agent, sdp0), >=, 2);
    g_assert_cmpint (nav_agent_parse_remote_sdp (p[0].agent, sdp1), >=, 2);
  }
  wait_for (all_ready, p);
  while (nav_agent_get_component_state (p[0].agent, second[0], 1) != NAV_COMPONENT_STATE_READY ||
         nav_agent_get_component_state (p[1].agent, second[1], 1) != NAV_COMPONENT_STATE_READY)
    g_main_context_iteration (NULL, TRUE);
  send_both_ways (p);

  /* Removing a stream leaves the other. */
  nav_agent_remove_stream (p[0].agent, second[0]);
  g_assert_cmpint (nav_agent_get_component_state (p[0].agent, p[0].stream_id, 1), ==,
                   NAV_COMPONENT_STATE_READY);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* The SDP of libnice's nice_agent_generate_local_sdp(), parsed back. */
static void
test_sdp_round_trip (void)
{
  Peer p[2];
  g_autofree gchar *sdp = NULL;
  g_autofree gchar *ufrag = NULL, *pwd = NULL;
  GSList *local, *remote, *l, *r;

  peer_init (&p[0], NAV_COMPATIBILITY_RFC5245, TRUE, "127.0.0.1", 2);
  peer_init (&p[1], NAV_COMPATIBILITY_RFC5245, FALSE, "127.0.0.1", 2);
  gather_both (p);
  sdp = nav_agent_generate_local_sdp (p[0].agent);
  g_assert_true (g_str_has_prefix (sdp, "m=- "));
  g_assert_nonnull (strstr (sdp, " ICE/SDP\nc=IN IP4 127.0.0.1\na=rtcp:"));
  g_assert_true (nav_agent_get_local_credentials (p[0].agent, p[0].stream_id, &ufrag, &pwd));
  {
    g_autofree gchar *line = g_strdup_printf ("a=ice-ufrag:%s\na=ice-pwd:%s\n", ufrag, pwd);

    g_assert_nonnull (strstr (sdp, line));
  }
  g_assert_nonnull (strstr (sdp, "a=candidate:1 1 UDP "));
  g_assert_nonnull (strstr (sdp, " typ host\n"));
  /* Two components, each with a UDP, an active TCP and a passive TCP
   * host candidate (ice-tcp is on by default, as in libnice). */
  g_assert_nonnull (strstr (sdp, " 9 typ host tcptype active\n"));
  g_assert_nonnull (strstr (sdp, " typ host tcptype passive\n"));
  g_assert_cmpint (nav_agent_parse_remote_sdp (p[1].agent, sdp), ==, 6);

  local = nav_agent_get_local_candidates (p[0].agent, p[0].stream_id, 2);
  remote = nav_agent_get_remote_candidates (p[1].agent, p[1].stream_id, 2);
  g_assert_cmpuint (g_slist_length (local), ==, g_slist_length (remote));
  for (l = local, r = remote; l != NULL; l = l->next, r = r->next)
    {
      NavCandidate *a = l->data, *b = r->data;

      g_assert_true (nav_address_equal (&a->addr, &b->addr));
      g_assert_cmpuint (a->priority, ==, b->priority);
      g_assert_cmpstr (a->foundation, ==, b->foundation);
      g_assert_cmpint (a->type, ==, b->type);
      g_assert_cmpuint (b->component_id, ==, 2);
    }
  g_slist_free_full (local, (GDestroyNotify) nav_candidate_free);
  g_slist_free_full (remote, (GDestroyNotify) nav_candidate_free);

  /* One candidate line, both ways, with the reflexive extensions. */
  {
    const gchar *line = "a=candidate:7 1 UDP 1694498815 192.0.2.7 40000 typ srflx "
                        "raddr 10.0.0.2 rport 5000";
    g_autoptr (NavCandidate) c = nav_agent_parse_remote_candidate_sdp (p[1].agent, 1, line);
    g_autofree gchar *again = NULL;
    g_autofree gchar *raddr = NULL;

    g_assert_nonnull (c);
    g_assert_cmpint (c->type, ==, NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE);
    g_assert_cmpuint (nav_address_get_port (&c->addr), ==, 40000);
    raddr = nav_address_to_string (&c->related_addr);
    g_assert_cmpstr (raddr, ==, "10.0.0.2:5000");
    again = nav_agent_generate_local_candidate_sdp (p[1].agent, c);
    g_assert_cmpstr (again, ==, line);
  }
  {
    const gchar *line = "a=candidate:3 1 TCP 1010827519 2001:db8::3 9 typ host tcptype active";
    g_autoptr (NavCandidate) c = nav_agent_parse_remote_candidate_sdp (p[1].agent, 1, line);
    g_autofree gchar *again = NULL;

    g_assert_nonnull (c);
    g_assert_cmpint (c->transport, ==, NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE);
    again = nav_agent_generate_local_candidate_sdp (p[1].agent, c);
    g_assert_cmpstr (again, ==, line);
  }
  /* More m= sections than streams is an error, as in libnice. */
  g_assert_cmpint (nav_agent_parse_remote_sdp (p[1].agent,
                                               "m=- 1 ICE/SDP\nm=- 2 ICE/SDP\n"), ==, -1);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* The SDP parsers take untrusted text: malformed lines and random
 * mutations of valid ones never crash and never yield a bad candidate. */
static void
test_sdp_garbage (void)
{
  static const gchar *bad[] = {
    "", "a=candidate:", "a=candidate:1", "a=candidate:1 1 UDP 1 1.2.3.4 5 typ",
    "a=candidate:1 0 UDP 1 1.2.3.4 5 typ host",
    "a=candidate:1 257 UDP 1 1.2.3.4 5 typ host",
    "a=candidate:1 1 SCTP 1 1.2.3.4 5 typ host",
    "a=candidate:1 1 UDP 4294967296 1.2.3.4 5 typ host",
    "a=candidate:1 1 UDP 1 1.2.3.4 65536 typ host",
    "a=candidate:1 1 UDP 1 999.2.3.4 5 typ host",
    "a=candidate:1 1 UDP 1 host.example 5 typ host",
    "a=candidate:1 1 UDP 1 1.2.3.4 5 type host",
    "a=candidate:1 1 UDP 1 1.2.3.4 5 typ hst",
    "a=candidate:1 1 UDP 1 1.2.3.4 5 typ srflx raddr nope rport 1",
    "a=candidate:1 1 UDP 1 1.2.3.4 5 typ host tcptype active",
    "a=candidate:1 1 TCP 1 1.2.3.4 5 typ host tcptype sideways",
    "a=candidate:f\xc3\xa9 1 UDP 1 1.2.3.4 5 typ host",
    "a=candidate:123456789012345678901234567890123 1 UDP 1 1.2.3.4 5 typ host",
    "a=candidate:-1 -1 UDP -1 1.2.3.4 -5 typ host",
  };
  const gchar *good = "a=candidate:1 1 UDP 2015363327 192.0.2.2 42396 typ host";
  g_autoptr (NavAgent) agent = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC5245);
  guint stream = nav_agent_add_stream (agent, 1);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_null (nav_agent_parse_remote_candidate_sdp (agent, stream, bad[i]));

  for (i = 0; i < 5000; i++)
    {
      g_autofree gchar *line = g_strdup (good);
      gsize n = strlen (line), k;
      NavCandidate *c;
      g_autofree gchar *sdp = NULL;

      for (k = 0; k < 3; k++)
        line[g_random_int_range (12, n)] = g_random_int_range (1, 256);
      c = nav_agent_parse_remote_candidate_sdp (agent, stream, line);
      if (c != NULL)
        {
          g_assert_cmpuint (c->component_id, >=, 1);
          g_assert_cmpuint (c->component_id, <=, 256);
          g_assert_true (nav_address_is_valid (&c->addr));
          nav_candidate_free (c);
        }
      sdp = g_strdup_printf ("m=- 1 ICE/SDP\na=ice-ufrag:abcd\na=ice-pwd:%s\n%s\n",
                             "aaaaaaaaaaaaaaaaaaaaaa", line);
      nav_agent_parse_remote_sdp (agent, sdp);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ice/agent/connect-rfc8445", test_connect_rfc8445);
  g_test_add_func ("/ice/agent/connect-rfc5245-aggressive", test_connect_rfc5245);
  g_test_add_func ("/ice/agent/connect-ipv6", test_connect_ipv6);
  g_test_add_func ("/ice/agent/connect-two-components", test_connect_two_components);
  g_test_add_func ("/ice/agent/two-streams", test_two_streams);
  g_test_add_func ("/ice/agent/role-conflict-both-controlling", test_role_conflict_both_controlling);
  g_test_add_func ("/ice/agent/role-conflict-both-controlled", test_role_conflict_both_controlled);
  g_test_add_func ("/ice/agent/trickle", test_trickle);
  g_test_add_func ("/ice/agent/peer-reflexive", test_peer_reflexive);
  g_test_add_func ("/ice/agent/consent-expiry", test_consent_expiry);
  g_test_add_func ("/ice/agent/garbage-dropped", test_garbage);
  g_test_add_func ("/ice/agent/restart", test_restart);
  g_test_add_func ("/ice/sdp/round-trip", test_sdp_round_trip);
  g_test_add_func ("/ice/sdp/garbage", test_sdp_garbage);

  return g_test_run ();
}
