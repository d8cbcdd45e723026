/* test-ice-tcp-so.c: ICE-TCP simultaneous-open candidates (RFC 6544)
 * between two NavAgents, and the TCP candidates of an ICE-lite agent
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The agents live in one process, on loopback, with ice-udp off: every
 * check and every byte of data crosses an RFC 4571 framed TCP connection.
 * Each agent is told only the other's simultaneous-open candidates, so
 * the one pair that can work is so ↔ so (RFC 6544 §6.2), and both agents
 * connect from their candidate's own port (§7.1).
 */
#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <sys/socket.h>

#include <netavanue/netavanue.h>

#include "agent-test-util.h"
#include "tcp-peer-test-util.h"

/* Frame sizes both ways: RFC 4571 frames that split and merge in the
 * stream, up to near the 65535-byte limit of one frame. */
static const gsize sizes[] = { 1, 2, 20, 100, 1200, 1500, 4000, 9000, 16384, 60000 };

/* The address the agents use; the IPv6 test changes it. */
static const gchar *local_ip = "127.0.0.1";

static void
peer_init (Peer             *p,
           NavCompatibility  compat,
           NavAgentOption    options,
           gboolean          controlling)
{
  NavAgent *agent = nav_agent_new_full (NULL, compat, options);

  memset (p, 0, sizeof *p);
  g_object_set (agent, "controlling-mode", controlling, "ice-udp", FALSE, "ice-tcp", TRUE,
                "ice-tcp-simultaneous-open", TRUE,
                "stun-pacing-timer", 5, "stun-initial-timeout", 100, NULL);
  tcp_peer_setup (p, agent, local_ip);
}

/* Both READY on so ↔ so pairs that are the two ends of one connection. */
static gboolean
both_ready_on_so (gpointer data)
{
  Peer *p = data;

  for (guint s = 0; s < 2; s++)
    if (p[s].state != NAV_COMPONENT_STATE_READY || p[s].selected_local == NULL)
      return FALSE;
  return nav_address_equal (&p[0].selected_remote->addr, &p[1].selected_local->addr) &&
         nav_address_equal (&p[1].selected_remote->addr, &p[0].selected_local->addr);
}

static const NavCandidate *
find_transport (GSList                *list,
                NavCandidateTransport  transport)
{
  for (GSList *l = list; l != NULL; l = l->next)
    if (((NavCandidate *) l->data)->transport == transport)
      return l->data;
  return NULL;
}

/* Signals @from's credentials and its simultaneous-open candidates only
 * (all of them with @all) to @to. */
static void
exchange_full (Peer     *from,
               Peer     *to,
               gboolean  all)
{
  GSList *list, *so = NULL;

  agent_test_signal_credentials (from->agent, from->stream_id, to->agent, to->stream_id);
  list = nav_agent_get_local_candidates (from->agent, from->stream_id, 1);
  for (GSList *l = list; l != NULL; l = l->next)
    if (all || ((NavCandidate *) l->data)->transport == NAV_CANDIDATE_TRANSPORT_TCP_SO)
      so = g_slist_append (so, nav_candidate_copy (l->data));
  g_slist_free_full (list, (GDestroyNotify) nav_candidate_free);
  agent_test_signal_candidates (to->agent, to->stream_id, 1, so);
}

static void
exchange_so (Peer *from,
             Peer *to)
{
  exchange_full (from, to, FALSE);
}

/* The message @i of @sender, of sizes[i] bytes. */
static GBytes *
message (guint sender,
         guint i)
{
  gsize len = sizes[i];
  guint8 *data = g_malloc (len);

  for (gsize k = 0; k < len; k++)
    data[k] = (guint8) (sender * 101 + i * 7 + k * 13);
  return g_bytes_new_take (data, len);
}

static gboolean
all_received (gpointer data)
{
  Peer *p = data;

  return p[0].received->len >= G_N_ELEMENTS (sizes) &&
         p[1].received->len >= G_N_ELEMENTS (sizes);
}

/* RFC 6544 §4.1, §4.2, §4.5: per address, an active candidate on port 9,
 * a passive one and a simultaneous-open one on real, distinct ports;
 * direction preferences of a host that is not NATed (active 6, passive
 * 4, simultaneous-open 2, as libnice gives host candidates); foundations
 * distinct per transport; the SDP says "tcptype so". */
static void
test_candidates (void)
{
  Peer p;
  GSList *list;
  const NavCandidate *active, *passive, *so;
  g_autofree gchar *sdp = NULL;

  peer_init (&p, NAV_COMPATIBILITY_RFC5245, NAV_AGENT_OPTION_NONE, TRUE);
  g_assert_true (nav_agent_gather_candidates (p.agent, p.stream_id));
  wait_for (peer_gathered, &p);

  list = nav_agent_get_local_candidates (p.agent, p.stream_id, 1);
  g_assert_cmpuint (g_slist_length (list), ==, 3);
  active = find_transport (list, NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE);
  passive = find_transport (list, NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE);
  so = find_transport (list, NAV_CANDIDATE_TRANSPORT_TCP_SO);
  g_assert_nonnull (active);
  g_assert_nonnull (passive);
  g_assert_nonnull (so);
  g_assert_cmpint (so->type, ==, NAV_CANDIDATE_TYPE_HOST);
  g_assert_cmpuint (nav_address_get_port (&active->addr), ==, 9);
  g_assert_cmpuint (nav_address_get_port (&so->addr), >, 0);
  g_assert_cmpuint (nav_address_get_port (&so->addr), !=, 9);
  g_assert_cmpuint (nav_address_get_port (&so->addr), !=, nav_address_get_port (&passive->addr));
  g_assert_true (nav_address_equal (&so->addr, &so->base_addr));
  g_assert_cmpuint (active->priority, >, passive->priority);
  g_assert_cmpuint (passive->priority, >, so->priority);
  /* Local preference = 2^13 × direction preference + other preference
   * (RFC 6544 §4.2): the direction is bits 13–15 of it, bits 21–23 of
   * the priority. */
  g_assert_cmpuint ((active->priority >> 21) & 7, ==, 6);
  g_assert_cmpuint ((passive->priority >> 21) & 7, ==, 4);
  g_assert_cmpuint ((so->priority >> 21) & 7, ==, 2);
  g_assert_cmpstr (so->foundation, !=, active->foundation);
  g_assert_cmpstr (so->foundation, !=, passive->foundation);

  sdp = nav_agent_generate_local_sdp (p.agent);
  g_test_message ("%s", sdp);
  g_assert_nonnull (strstr (sdp, "tcptype so"));

  /* The transport really is bound to the port it advertises: a second
   * socket cannot take it without SO_REUSEPORT. */
  {
    g_autoptr (GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                          G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr (GSocketAddress) where = nav_address_to_socket_address (&so->addr);
    g_autoptr (GError) error = NULL;

    g_assert_nonnull (s);
    g_assert_false (g_socket_bind (s, where, FALSE, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  }

  g_slist_free_full (list, (GDestroyNotify) nav_candidate_free);
  peer_clear (&p);
}

/* By default, as libnice, no simultaneous-open candidate: the same
 * candidates (and SDP) as a NiceAgent. */
static void
test_off_by_default (void)
{
  Peer p;
  GSList *list;
  gboolean so = TRUE;

  peer_init (&p, NAV_COMPATIBILITY_RFC5245, NAV_AGENT_OPTION_NONE, TRUE);
  g_object_set (p.agent, "ice-tcp-simultaneous-open", FALSE, NULL);
  {
    g_autoptr (NavAgent) fresh = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC5245);

    g_object_get (fresh, "ice-tcp-simultaneous-open", &so, NULL);
    g_assert_false (so);
  }
  g_assert_true (nav_agent_gather_candidates (p.agent, p.stream_id));
  wait_for (peer_gathered, &p);
  list = nav_agent_get_local_candidates (p.agent, p.stream_id, 1);
  g_assert_cmpuint (g_slist_length (list), ==, 2);
  g_assert_null (find_transport (list, NAV_CANDIDATE_TRANSPORT_TCP_SO));
  g_assert_nonnull (find_transport (list, NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE));
  g_assert_nonnull (find_transport (list, NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE));
  g_slist_free_full (list, (GDestroyNotify) nav_candidate_free);
  peer_clear (&p);
}

/* An ICE-lite agent never opens a connection (it sends no check, RFC
 * 8445 §2.5): it gathers passive TCP candidates only (RFC 6544), even
 * with simultaneous-open asked for. */
static void
test_lite_passive_only (void)
{
  Peer p;
  GSList *list;

  peer_init (&p, NAV_COMPATIBILITY_RFC5245, NAV_AGENT_OPTION_LITE_MODE, FALSE);
  {
    gboolean full = TRUE;

    g_object_get (p.agent, "full-mode", &full, NULL);
    g_assert_false (full);
  }
  g_assert_true (nav_agent_gather_candidates (p.agent, p.stream_id));
  wait_for (peer_gathered, &p);

  list = nav_agent_get_local_candidates (p.agent, p.stream_id, 1);
  g_assert_cmpuint (g_slist_length (list), ==, 1);
  for (GSList *l = list; l != NULL; l = l->next)
    {
      const NavCandidate *c = l->data;

      g_assert_cmpint (c->transport, ==, NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE);
      g_assert_cmpint (c->type, ==, NAV_CANDIDATE_TYPE_HOST);
    }
  g_slist_free_full (list, (GDestroyNotify) nav_candidate_free);
  peer_clear (&p);
}

static void send_and_check (Peer *p);

static void
connect_so (NavCompatibility compat,
            gboolean         first_controlling)
{
  Peer p[2];
  guint s;

  peer_init (&p[0], compat, NAV_AGENT_OPTION_NONE, first_controlling);
  peer_init (&p[1], compat, NAV_AGENT_OPTION_NONE, !first_controlling);
  g_assert_true (nav_agent_gather_candidates (p[0].agent, p[0].stream_id));
  g_assert_true (nav_agent_gather_candidates (p[1].agent, p[1].stream_id));
  wait_for (peers_gathered, p);
  exchange_so (&p[0], &p[1]);
  exchange_so (&p[1], &p[0]);
  wait_for (both_ready_on_so, p);

  /* so ↔ so on both sides, host candidates on their advertised ports:
   * the connection left from the S-O port (no peer-reflexive candidate
   * for an ephemeral one). */
  for (s = 0; s < 2; s++)
    {
      g_autofree gchar *l = nav_candidate_to_string (p[s].selected_local);
      g_autofree gchar *r = nav_candidate_to_string (p[s].selected_remote);

      g_test_message ("peer %u selected %s -> %s", s, l, r);
      g_assert_cmpint (p[s].selected_local->transport, ==, NAV_CANDIDATE_TRANSPORT_TCP_SO);
      g_assert_cmpint (p[s].selected_remote->transport, ==, NAV_CANDIDATE_TRANSPORT_TCP_SO);
      g_assert_cmpint (p[s].selected_local->type, ==, NAV_CANDIDATE_TYPE_HOST);
      g_assert_cmpint (p[s].selected_remote->type, ==, NAV_CANDIDATE_TYPE_HOST);
      g_assert_cmpuint (nav_address_get_port (&p[s].selected_local->addr), !=, 9);
    }
  {
    g_autoptr (NavCandidate) local = NULL;
    g_autoptr (NavCandidate) remote = NULL;

    g_assert_true (nav_agent_get_selected_pair (p[0].agent, p[0].stream_id, 1, &local, &remote));
    g_assert_cmpint (local->transport, ==, NAV_CANDIDATE_TRANSPORT_TCP_SO);
    g_assert_cmpint (remote->transport, ==, NAV_CANDIDATE_TRANSPORT_TCP_SO);
  }

  send_and_check (p);

  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* Data both ways, every message whole and in order (TCP). */
static void
send_and_check (Peer *p)
{
  guint i, s;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    for (s = 0; s < 2; s++)
      {
        g_autoptr (GBytes) m = message (s, i);
        gsize len;
        const gchar *data = g_bytes_get_data (m, &len);

        g_assert_cmpint (nav_agent_send (p[s].agent, p[s].stream_id, 1, len, data), ==,
                         (gint) len);
      }
  wait_for (all_received, p);
  for (s = 0; s < 2; s++)
    {
      g_assert_cmpuint (p[s].received->len, ==, G_N_ELEMENTS (sizes));
      for (i = 0; i < G_N_ELEMENTS (sizes); i++)
        {
          g_autoptr (GBytes) expected = message (1 - s, i);

          g_assert_true (g_bytes_equal (g_ptr_array_index (p[s].received, i), expected));
        }
    }
  g_assert_false (p[0].failed_seen);
  g_assert_false (p[1].failed_seen);
}

static void
test_connect_rfc8445 (void)
{
  connect_so (NAV_COMPATIBILITY_RFC8445, TRUE);
}

static void
test_connect_rfc8445_first_controlled (void)
{
  connect_so (NAV_COMPATIBILITY_RFC8445, FALSE);
}

static void
test_connect_rfc5245 (void)
{
  connect_so (NAV_COMPATIBILITY_RFC5245, TRUE);
}

static void
test_connect_rfc5245_first_controlled (void)
{
  connect_so (NAV_COMPATIBILITY_RFC5245, FALSE);
}

static void
test_connect_ipv6 (void)
{
  const gchar *saved = local_ip;

  local_ip = "::1";
  connect_so (NAV_COMPATIBILITY_RFC8445, TRUE);
  local_ip = saved;
}

static gboolean
both_ready (gpointer data)
{
  Peer *p = data;

  return p[0].state == NAV_COMPONENT_STATE_READY && p[0].selected_local != NULL &&
         p[1].state == NAV_COMPONENT_STATE_READY && p[1].selected_local != NULL &&
         nav_address_equal (&p[0].selected_remote->addr, &p[1].selected_local->addr);
}

/* With every TCP candidate offered, simultaneous-open ones rank last for
 * hosts (RFC 6544 §4.2): the pair chosen is active ↔ passive, the same
 * as without them, and it carries the data. */
static void
test_all_candidates_prefer_active_passive (void)
{
  Peer p[2];

  peer_init (&p[0], NAV_COMPATIBILITY_RFC8445, NAV_AGENT_OPTION_NONE, TRUE);
  peer_init (&p[1], NAV_COMPATIBILITY_RFC8445, NAV_AGENT_OPTION_NONE, FALSE);
  g_assert_true (nav_agent_gather_candidates (p[0].agent, p[0].stream_id));
  g_assert_true (nav_agent_gather_candidates (p[1].agent, p[1].stream_id));
  wait_for (peers_gathered, p);
  exchange_full (&p[0], &p[1], TRUE);
  exchange_full (&p[1], &p[0], TRUE);
  wait_for (both_ready, p);
  for (guint s = 0; s < 2; s++)
    {
      g_autofree gchar *l = nav_candidate_to_string (p[s].selected_local);
      g_autofree gchar *r = nav_candidate_to_string (p[s].selected_remote);

      g_test_message ("peer %u selected %s -> %s", s, l, r);
      g_assert_cmpint (p[s].selected_local->transport, !=, NAV_CANDIDATE_TRANSPORT_TCP_SO);
      g_assert_cmpint (p[s].selected_remote->transport, !=, NAV_CANDIDATE_TRANSPORT_TCP_SO);
      g_assert_cmpint (p[s].selected_local->transport, !=, NAV_CANDIDATE_TRANSPORT_UDP);
    }
  send_and_check (p);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* A full agent (with every TCP candidate type) and an ICE-lite one (a
 * passive candidate only) over TCP: the full agent's active candidate
 * connects to the lite agent's passive one. */
static void
test_lite_peer (void)
{
  Peer p[2];

  peer_init (&p[0], NAV_COMPATIBILITY_RFC8445, NAV_AGENT_OPTION_NONE, TRUE);
  peer_init (&p[1], NAV_COMPATIBILITY_RFC8445, NAV_AGENT_OPTION_LITE_MODE, FALSE);
  g_assert_true (nav_agent_gather_candidates (p[0].agent, p[0].stream_id));
  g_assert_true (nav_agent_gather_candidates (p[1].agent, p[1].stream_id));
  wait_for (peers_gathered, p);
  exchange_full (&p[0], &p[1], TRUE);
  exchange_full (&p[1], &p[0], TRUE);
  wait_for (both_ready, p);
  g_assert_cmpint (p[0].selected_local->transport, ==, NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE);
  g_assert_cmpint (p[0].selected_remote->transport, ==, NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE);
  g_assert_cmpint (p[1].selected_local->transport, ==, NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE);
  send_and_check (p);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* ------------------------------------------------------------- refused */

typedef struct {
  GSocket *listener;
  GSocket *accepted;
  GByteArray *bytes;
} Late;

static gboolean
late_accepted (gpointer data)
{
  Late *late = data;

  if (late->accepted == NULL)
    {
      late->accepted = g_socket_accept (late->listener, NULL, NULL);
      if (late->accepted != NULL)
        g_socket_set_blocking (late->accepted, FALSE);
    }
  if (late->accepted != NULL)
    {
      guint8 buf[2048];
      gssize n = g_socket_receive (late->accepted, (gchar *) buf, sizeof buf, NULL, NULL);

      if (n > 0)
        g_byte_array_append (late->bytes, buf, n);
    }
  /* One whole RFC 4571 frame. */
  return late->bytes->len >= 2 &&
         late->bytes->len >= 2u + ((late->bytes->data[0] << 8) | late->bytes->data[1]);
}

static gboolean
nothing_to_do (gpointer data)
{
  return g_get_monotonic_time () >= *(gint64 *) data;
}

/* RFC 6544 §7.1: the peer's simultaneous-open port refuses at first (no
 * socket there yet); the check is retried, from the candidate's own
 * port, and reaches the port once something listens there. */
static void
test_refused_then_retried (void)
{
  Peer p;
  g_autoptr (GSocketAddress) any = NULL;
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GSocketAddress) peer_address = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (NavCandidate) remote = nav_candidate_new (NAV_CANDIDATE_TYPE_HOST);
  g_autoptr (NavAddress) from = NULL;
  GSList *list;
  const NavCandidate *so;
  Late late = { NULL, NULL, g_byte_array_new () };
  guint port;
  gint64 until;

  /* A free port, closed again: connecting there is refused. */
  late.listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                G_SOCKET_PROTOCOL_TCP, NULL);
  g_assert_nonnull (late.listener);
  any = g_inet_socket_address_new (loopback, 0);
  g_assert_true (g_socket_bind (late.listener, any, TRUE, NULL));
  bound = g_socket_get_local_address (late.listener, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (late.listener, NULL);
  g_clear_object (&late.listener);

  peer_init (&p, NAV_COMPATIBILITY_RFC8445, NAV_AGENT_OPTION_NONE, TRUE);
  g_object_set (p.agent, "stun-max-retransmissions", 10, NULL);
  g_assert_true (nav_agent_gather_candidates (p.agent, p.stream_id));
  wait_for (peer_gathered, &p);
  list = nav_agent_get_local_candidates (p.agent, p.stream_id, 1);
  so = find_transport (list, NAV_CANDIDATE_TRANSPORT_TCP_SO);
  g_assert_nonnull (so);

  g_assert_true (nav_agent_set_remote_credentials (p.agent, p.stream_id, "peer", "peerpasswordpeerpassword"));
  remote->transport = NAV_CANDIDATE_TRANSPORT_TCP_SO;
  remote->stream_id = p.stream_id;
  remote->component_id = 1;
  remote->priority = nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_HOST,
                                                     NAV_CANDIDATE_TRANSPORT_TCP_SO,
                                                     2 << 13, 1);
  nav_candidate_set_foundation (remote, "9");
  {
    g_autofree gchar *s = g_strdup_printf ("127.0.0.1:%u", port);
    g_autoptr (NavAddress) a = nav_address_new_from_string (s, NULL);

    g_assert_nonnull (a);
    remote->addr = *a;
    remote->base_addr = *a;
  }
  {
    GSList one = { remote, NULL };

    g_assert_cmpint (nav_agent_set_remote_candidates (p.agent, p.stream_id, 1, &one), ==, 1);
  }

  /* The first connects are refused (nothing on the port yet). */
  until = g_get_monotonic_time () + 250 * G_TIME_SPAN_MILLISECOND;
  wait_for (nothing_to_do, &until);
  g_assert_false (p.failed_seen);

  /* Now something is there: a later attempt reaches it. */
  late.listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                G_SOCKET_PROTOCOL_TCP, NULL);
  g_socket_set_blocking (late.listener, FALSE);
  g_assert_true (g_socket_bind (late.listener, bound, TRUE, NULL));
  g_assert_true (g_socket_listen (late.listener, NULL));
  wait_for (late_accepted, &late);

  /* It came from the candidate's own port, and it is a framed STUN
   * Binding request. */
  peer_address = g_socket_get_remote_address (late.accepted, NULL);
  g_assert_nonnull (peer_address);
  from = nav_address_new ();
  g_assert_true (nav_address_set_from_socket_address (from, peer_address, NULL));
  g_assert_true (nav_address_equal (from, &so->addr));
  g_assert_cmpuint (late.bytes->len, >=, 2 + 20);
  g_assert_cmpuint (late.bytes->data[2], ==, 0x00);
  g_assert_cmpuint (late.bytes->data[3], ==, 0x01);

  g_slist_free_full (list, (GDestroyNotify) nav_candidate_free);
  peer_clear (&p);
  g_clear_object (&late.accepted);
  g_socket_close (late.listener, NULL);
  g_clear_object (&late.listener);
  g_byte_array_unref (late.bytes);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ice-tcp-so/candidates", test_candidates);
  g_test_add_func ("/ice-tcp-so/off-by-default", test_off_by_default);
  g_test_add_func ("/ice-tcp-so/lite-passive-only", test_lite_passive_only);
  g_test_add_func ("/ice-tcp-so/connect-rfc8445", test_connect_rfc8445);
  g_test_add_func ("/ice-tcp-so/connect-rfc8445-first-controlled",
                   test_connect_rfc8445_first_controlled);
  g_test_add_func ("/ice-tcp-so/connect-rfc5245", test_connect_rfc5245);
  g_test_add_func ("/ice-tcp-so/connect-rfc5245-first-controlled",
                   test_connect_rfc5245_first_controlled);
  g_test_add_func ("/ice-tcp-so/connect-ipv6", test_connect_ipv6);
  g_test_add_func ("/ice-tcp-so/all-candidates-prefer-active-passive",
                   test_all_candidates_prefer_active_passive);
  g_test_add_func ("/ice-tcp-so/lite-peer", test_lite_peer);
  g_test_add_func ("/ice-tcp-so/refused-then-retried", test_refused_then_retried);
  return g_test_run ();
}
