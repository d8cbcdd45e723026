/* test-ice-tcp.c: ICE-TCP (RFC 6544) between two NavAgents, and the
 * checker's TCP pairing rules
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The agents live in one process, on loopback.  With ice-udp off they
 * have no UDP socket at all: every check and every byte of data crosses
 * an RFC 4571 framed TCP connection, and the tests also check that the
 * selected pair says so.
 */
#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include <netavanue/netavanue.h>

#include "agent-test-util.h"
#include "tcp-peer-test-util.h"

#define N_MESSAGES 20

/* The address the agents use; the IPv6 test changes it. */
static const gchar *local_ip = "127.0.0.1";

static void
peer_init (Peer             *p,
           NavCompatibility  compat,
           gboolean          controlling,
           gboolean          udp,
           gboolean          tcp)
{
  NavAgent *agent = nav_agent_new (NULL, compat);

  memset (p, 0, sizeof *p);
  g_object_set (agent, "controlling-mode", controlling, "ice-udp", udp, "ice-tcp", tcp,
                "stun-pacing-timer", 5, "stun-initial-timeout", 100, NULL);
  tcp_peer_setup (p, agent, local_ip);
}

/* The two selected pairs are the two ends of one connection.  With
 * aggressive nomination (RFC 5245 §8.1.1.2) both TCP pairs may be
 * nominated, and each agent moves to the higher-priority one as its
 * checks complete: they agree in the end. */
static gboolean
agree (gpointer data)
{
  Peer *p = data;
  const NavCandidate *a = p[0].selected_local, *b = p[1].selected_local;

  if (!peers_ready (data))
    return FALSE;
  if (a->transport == NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE)
    return b->transport == NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE &&
           nav_address_equal (&p[0].selected_remote->addr, &b->addr);
  if (a->transport == NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE)
    return b->transport == NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE &&
           nav_address_equal (&p[1].selected_remote->addr, &a->addr);
  return TRUE;  /* not TCP at all: the assertions below say so */
}

static gboolean received_in_order (GPtrArray *received, guint sender);

static gboolean
all_received (gpointer data)
{
  Peer *p = data;

  return received_in_order (p[0].received, 1) && received_in_order (p[1].received, 0);
}

/* Signals @from's candidates to @to, without the passive ones when
 * @no_passive (so that @from's active candidate must make the
 * connection). */
static void
exchange_full (Peer     *from,
               Peer     *to,
               gboolean  no_passive)
{
  GSList *list;

  agent_test_signal_credentials (from->agent, from->stream_id, to->agent, to->stream_id);
  list = nav_agent_get_local_candidates (from->agent, from->stream_id, 1);
  for (GSList *l = list; l != NULL && no_passive;)
    {
      GSList *next = l->next;

      if (((NavCandidate *) l->data)->transport == NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE)
        {
          nav_candidate_free (l->data);
          list = g_slist_delete_link (list, l);
        }
      l = next;
    }
  agent_test_signal_candidates (to->agent, to->stream_id, 1, list);
}

static void
exchange (Peer *from,
          Peer *to)
{
  exchange_full (from, to, FALSE);
}

static GSList *
local_candidates (Peer *p)
{
  return nav_agent_get_local_candidates (p->agent, p->stream_id, 1);
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

/* The message @i of @sender: sizes from 1 byte to beyond a UDP datagram's
 * usual 1200, so that RFC 4571 frames split and merge in the stream. */
static GBytes *
message (guint sender,
         guint i)
{
  gsize len = 1 + (i * 997) % 9000;
  guint8 *data = g_malloc (len);

  for (gsize k = 0; k < len; k++)
    data[k] = (guint8) (sender * 101 + i * 7 + k);
  return g_bytes_new_take (data, len);
}

/* RFC 6544 §4.5 and §4.2: an active and a passive candidate per address,
 * the active one on port 9; the active direction preferred; both below
 * UDP; foundations distinct per transport. */
static void
test_candidates (void)
{
  Peer p[2];
  GSList *tcp_only, *udp_only, *both;
  const NavCandidate *active, *passive, *udp;
  g_autofree gchar *sdp = NULL;

  peer_init (&p[0], NAV_COMPATIBILITY_RFC5245, TRUE, FALSE, TRUE);
  peer_init (&p[1], NAV_COMPATIBILITY_RFC5245, FALSE, TRUE, FALSE);
  g_assert_true (nav_agent_gather_candidates (p[0].agent, p[0].stream_id));
  g_assert_true (nav_agent_gather_candidates (p[1].agent, p[1].stream_id));
  wait_for (peers_gathered, p);

  tcp_only = local_candidates (&p[0]);
  g_assert_cmpuint (g_slist_length (tcp_only), ==, 2);
  g_assert_null (find_transport (tcp_only, NAV_CANDIDATE_TRANSPORT_UDP));
  active = find_transport (tcp_only, NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE);
  passive = find_transport (tcp_only, NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE);
  g_assert_nonnull (active);
  g_assert_nonnull (passive);
  g_assert_cmpint (active->type, ==, NAV_CANDIDATE_TYPE_HOST);
  g_assert_cmpint (passive->type, ==, NAV_CANDIDATE_TYPE_HOST);
  g_assert_cmpuint (nav_address_get_port (&active->addr), ==, 9);
  g_assert_cmpuint (nav_address_get_port (&passive->addr), >, 0);
  g_assert_cmpuint (nav_address_get_port (&passive->addr), !=, 9);
  g_assert_cmpuint (active->priority, >, passive->priority);
  g_assert_cmpstr (active->foundation, !=, passive->foundation);

  sdp = nav_agent_generate_local_sdp (p[0].agent);
  g_assert_nonnull (strstr (sdp, " TCP "));
  g_assert_nonnull (strstr (sdp, " 127.0.0.1 9 typ host tcptype active"));
  g_assert_nonnull (strstr (sdp, " typ host tcptype passive"));
  g_assert_null (strstr (sdp, " UDP "));

  /* A passive candidate really listens. */
  {
    g_autoptr (GSocketClient) client = g_socket_client_new ();
    g_autoptr (GSocketAddress) to = nav_address_to_socket_address (&passive->addr);
    g_autoptr (GSocketConnection) connection = NULL;
    g_autoptr (GError) error = NULL;

    connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (to), NULL, &error);
    g_assert_no_error (error);
    g_assert_nonnull (connection);
  }

  /* The three tcptypes of RFC 6544 §4.5 parse back. */
  {
    static const struct {
      const gchar *line;
      NavCandidateTransport transport;
    } lines[] = {
      { "a=candidate:7 1 TCP 1 127.0.0.1 9 typ host tcptype active",
        NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE },
      { "a=candidate:7 1 TCP 1 127.0.0.1 5000 typ host tcptype passive",
        NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE },
      { "a=candidate:7 1 TCP 1 127.0.0.1 5001 typ host tcptype so",
        NAV_CANDIDATE_TRANSPORT_TCP_SO },
    };

    for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
      {
        g_autoptr (NavCandidate) c = nav_agent_parse_remote_candidate_sdp (p[1].agent,
                                                                           p[1].stream_id,
                                                                           lines[i].line);

        g_assert_nonnull (c);
        g_assert_cmpint (c->transport, ==, lines[i].transport);
      }
  }

  udp_only = local_candidates (&p[1]);
  g_assert_cmpuint (g_slist_length (udp_only), ==, 1);
  g_assert_nonnull (find_transport (udp_only, NAV_CANDIDATE_TRANSPORT_UDP));
  peer_clear (&p[1]);

  peer_init (&p[1], NAV_COMPATIBILITY_RFC5245, FALSE, TRUE, TRUE);
  g_assert_true (nav_agent_gather_candidates (p[1].agent, p[1].stream_id));
  wait_for (peers_gathered, p);
  both = local_candidates (&p[1]);
  g_assert_cmpuint (g_slist_length (both), ==, 3);
  udp = find_transport (both, NAV_CANDIDATE_TRANSPORT_UDP);
  active = find_transport (both, NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE);
  passive = find_transport (both, NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE);
  g_assert_nonnull (udp);
  g_assert_nonnull (active);
  g_assert_nonnull (passive);
  g_assert_cmpuint (udp->priority, >, active->priority);
  g_assert_cmpuint (udp->priority, >, passive->priority);
  g_assert_cmpstr (udp->foundation, !=, active->foundation);
  g_assert_cmpstr (udp->foundation, !=, passive->foundation);

  g_slist_free_full (tcp_only, (GDestroyNotify) nav_candidate_free);
  g_slist_free_full (udp_only, (GDestroyNotify) nav_candidate_free);
  g_slist_free_full (both, (GDestroyNotify) nav_candidate_free);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

typedef void (*BeforeChecks) (Peer *p);

/* Whether the messages of @sender appear in @received in order, with maybe other
 * messages (garbage some test sent) between them. */
static gboolean
received_in_order (GPtrArray *received,
                   guint      sender)
{
  guint i = 0;

  for (guint k = 0; k < received->len && i < N_MESSAGES; k++)
    {
      g_autoptr (GBytes) expected = message (sender, i);

      if (g_bytes_equal (g_ptr_array_index (received, k), expected))
        i++;
    }
  return i == N_MESSAGES;
}

/* The address of the second agent, when it differs from the first's. */
static const gchar *second_ip = NULL;

/* Two TCP-only agents connect and exchange data both ways, over the TCP
 * connection of the selected pair. */
static void
connect_tcp_full (NavCompatibility compat,
                  gboolean         first_controlling,
                  BeforeChecks     before)
{
  Peer p[2];
  guint i, s;
  const gchar *first_ip = local_ip;

  peer_init (&p[0], compat, first_controlling, FALSE, TRUE);
  if (second_ip != NULL)
    local_ip = second_ip;
  peer_init (&p[1], compat, !first_controlling, FALSE, TRUE);
  local_ip = first_ip;
  g_assert_true (nav_agent_gather_candidates (p[0].agent, p[0].stream_id));
  g_assert_true (nav_agent_gather_candidates (p[1].agent, p[1].stream_id));
  wait_for (peers_gathered, p);
  if (before != NULL)
    {
      before (&p[0]);
      before (&p[1]);
    }
  /* On two addresses, the first agent's active candidate must connect. */
  exchange_full (&p[0], &p[1], second_ip != NULL);
  exchange (&p[1], &p[0]);
  wait_for (agree, p);
  if (second_ip != NULL)
    g_assert_cmpint (p[0].selected_local->transport, ==, NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE);

  /* The path is TCP, and the two ends of it agree: one side's active
   * candidate connected to the other's passive one (RFC 6544 §6.2). */
  for (s = 0; s < 2; s++)
    {
      g_autofree gchar *l = nav_candidate_to_string (p[s].selected_local);
      g_autofree gchar *r = nav_candidate_to_string (p[s].selected_remote);

      g_test_message ("peer %u selected %s -> %s", s, l, r);
      g_assert_cmpint (p[s].selected_local->transport, !=, NAV_CANDIDATE_TRANSPORT_UDP);
      g_assert_cmpint (p[s].selected_remote->transport, !=, NAV_CANDIDATE_TRANSPORT_UDP);
      g_assert_cmpint (p[s].selected_local->transport, !=, NAV_CANDIDATE_TRANSPORT_TCP_SO);
    }
  if (p[0].selected_local->transport == NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE)
    {
      g_assert_cmpint (p[0].selected_remote->transport, ==, NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE);
      g_assert_cmpint (p[1].selected_local->transport, ==, NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE);
      g_assert_cmpint (p[1].selected_remote->transport, ==, NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE);
      g_assert_true (nav_address_equal (&p[0].selected_remote->addr, &p[1].selected_local->addr));
      /* The connection left from the active candidate's own address,
       * and the active side's valid pair is its host candidate's (no
       * peer-reflexive local candidate for an ephemeral port). */
      g_assert_cmpint (p[0].selected_local->type, ==, NAV_CANDIDATE_TYPE_HOST);
      g_assert_cmpuint (nav_address_get_port (&p[0].selected_local->addr), ==, 9);
      g_assert_true (nav_address_equal_no_port (&p[1].selected_remote->addr,
                                                &p[0].selected_local->addr));
    }
  else
    {
      g_assert_cmpint (p[0].selected_local->transport, ==, NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE);
      g_assert_cmpint (p[0].selected_remote->transport, ==, NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE);
      g_assert_cmpint (p[1].selected_local->transport, ==, NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE);
      g_assert_cmpint (p[1].selected_remote->transport, ==, NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE);
      g_assert_true (nav_address_equal (&p[1].selected_remote->addr, &p[0].selected_local->addr));
      g_assert_cmpint (p[1].selected_local->type, ==, NAV_CANDIDATE_TYPE_HOST);
      g_assert_cmpuint (nav_address_get_port (&p[1].selected_local->addr), ==, 9);
      g_assert_true (nav_address_equal_no_port (&p[0].selected_remote->addr,
                                                &p[1].selected_local->addr));
    }

  /* Data both ways, every message whole and in order (TCP), sizes up to
   * 9000 bytes that no framing-less path would keep apart. */
  for (i = 0; i < N_MESSAGES; i++)
    for (s = 0; s < 2; s++)
      {
        g_autoptr (GBytes) m = message (s, i);
        gsize len;
        const gchar *data = g_bytes_get_data (m, &len);

        g_assert_cmpint (nav_agent_send (p[s].agent, p[s].stream_id, 1, len, data), ==,
                         (gint) len);
      }
  wait_for (all_received, p);
  /* Whole, in order, and nothing else: the strangers' frames never
   * reached the application, as their connections carried no check
   * that passed. */
  for (s = 0; s < 2; s++)
    {
      g_assert_cmpuint (p[s].received->len, ==, N_MESSAGES);
      for (i = 0; i < N_MESSAGES; i++)
        {
          g_autoptr (GBytes) expected = message (1 - s, i);

          g_assert_true (g_bytes_equal (g_ptr_array_index (p[s].received, i), expected));
        }
    }
  g_assert_false (p[0].failed_seen);
  g_assert_false (p[1].failed_seen);

  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

static void
connect_tcp (NavCompatibility compat,
             gboolean         first_controlling)
{
  connect_tcp_full (compat, first_controlling, NULL);
}

/* Before the checks, strangers connect to the passive candidate, more of
 * them than it keeps, and send garbage: frames of random bytes, STUN
 * look-alikes, a Binding request without credentials, a frame cut short,
 * nothing at all.  The agent drops it all and still connects. */
static void
garbage_and_flood (Peer *p)
{
  g_autoptr (GPtrArray) clients = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GRand) rand = g_rand_new_with_seed (6544);
  GSList *list = local_candidates (p);
  const NavCandidate *passive = find_transport (list, NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE);
  g_autoptr (GSocketAddress) to = NULL;
  g_autoptr (GSocketClient) client = g_socket_client_new ();

  g_assert_nonnull (passive);
  to = nav_address_to_socket_address (&passive->addr);
  for (guint i = 0; i < 80; i++)
    {
      g_autoptr (GError) error = NULL;
      GSocketConnection *c = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (to), NULL,
                                                      &error);
      GOutputStream *out;
      guint8 buf[600];
      gsize len = 0;

      g_assert_no_error (error);
      out = g_io_stream_get_output_stream (G_IO_STREAM (c));
      switch (i % 5)
        {
        case 0:         /* a frame of random bytes */
          len = 2 + g_rand_int_range (rand, 1, 500);
          for (gsize k = 2; k < len; k++)
            buf[k] = g_rand_int_range (rand, 0, 256);
          buf[0] = (len - 2) >> 8;
          buf[1] = (len - 2) & 0xff;
          break;
        case 1:         /* a STUN look-alike: type 0x0001, magic cookie, junk */
          len = 2 + 20 + 40;
          for (gsize k = 0; k < len; k++)
            buf[k] = g_rand_int_range (rand, 0, 256);
          buf[0] = 0;
          buf[1] = 60;
          buf[2] = 0x00;
          buf[3] = 0x01;
          buf[4] = 0;
          buf[5] = 40;
          buf[6] = 0x21;
          buf[7] = 0x12;
          buf[8] = 0xa4;
          buf[9] = 0x42;
          break;
        case 2:         /* a Binding request without USERNAME or integrity */
          {
            g_autoptr (NavStunMessageBuilder) b =
              nav_stun_message_builder_new (NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_BINDING,
                                            NULL);
            g_autoptr (GBytes) m = NULL;
            const guint8 *mdata;
            gsize mlen = 0;

            nav_stun_message_builder_add_fingerprint (b, NULL);
            m = nav_stun_message_builder_finish (b, NULL);
            g_assert_nonnull (m);
            mdata = g_bytes_get_data (m, &mlen);
            g_assert_cmpuint (mlen, <=, sizeof buf - 2);
            memcpy (buf + 2, mdata, mlen);
            buf[0] = mlen >> 8;
            buf[1] = mlen & 0xff;
            len = 2 + mlen;
          }
          break;
        case 3:         /* a frame announced longer than what comes */
          buf[0] = 0xff;
          buf[1] = 0xff;
          memset (buf + 2, 0x42, 100);
          len = 102;
          break;
        default:        /* nothing */
          break;
        }
      if (len > 0)
        g_assert_true (g_output_stream_write_all (out, buf, len, NULL, NULL, &error));
      g_assert_no_error (error);
      g_ptr_array_add (clients, c);
      g_main_context_iteration (NULL, FALSE);
    }
  while (g_main_context_iteration (NULL, FALSE))
    ;
  /* Half hang up; the rest stay connected through the checks. */
  for (guint i = 0; i < clients->len; i += 2)
    g_io_stream_close (g_ptr_array_index (clients, i), NULL, NULL);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_slist_free_full (list, (GDestroyNotify) nav_candidate_free);
}

static void
test_garbage_and_flood (void)
{
  connect_tcp_full (NAV_COMPATIBILITY_RFC5245, TRUE, garbage_and_flood);
}

static void
test_connect_rfc5245_first_controlling (void)
{
  connect_tcp (NAV_COMPATIBILITY_RFC5245, TRUE);
}

static void
test_connect_rfc5245_first_controlled (void)
{
  connect_tcp (NAV_COMPATIBILITY_RFC5245, FALSE);
}

static void
test_connect_rfc8445 (void)
{
  connect_tcp (NAV_COMPATIBILITY_RFC8445, TRUE);
}

/* Agents on 127.0.0.2 and 127.0.0.1: the route to 127.0.0.1 would leave
 * from 127.0.0.1, but an active candidate's connection leaves from the
 * candidate's address (RFC 6544 §4.5), both ways round. */
static void
test_connect_two_addresses (void)
{
  local_ip = "127.0.0.2";
  second_ip = "127.0.0.1";
  connect_tcp (NAV_COMPATIBILITY_RFC8445, TRUE);
  connect_tcp (NAV_COMPATIBILITY_RFC8445, FALSE);
  local_ip = "127.0.0.1";
  second_ip = NULL;
}

static void
test_connect_ipv6 (void)
{
  local_ip = "::1";
  connect_tcp (NAV_COMPATIBILITY_RFC8445, FALSE);
  local_ip = "127.0.0.1";
}

/* With both transports, the UDP pair wins (RFC 6544 §4.2: TCP ranks
 * below UDP). */
static void
test_mixed_prefers_udp (void)
{
  Peer p[2];
  guint s;

  peer_init (&p[0], NAV_COMPATIBILITY_RFC5245, TRUE, TRUE, TRUE);
  peer_init (&p[1], NAV_COMPATIBILITY_RFC5245, FALSE, TRUE, TRUE);
  g_assert_true (nav_agent_gather_candidates (p[0].agent, p[0].stream_id));
  g_assert_true (nav_agent_gather_candidates (p[1].agent, p[1].stream_id));
  wait_for (peers_gathered, p);
  exchange (&p[0], &p[1]);
  exchange (&p[1], &p[0]);
  wait_for (peers_ready, p);
  for (s = 0; s < 2; s++)
    {
      g_assert_cmpint (p[s].selected_local->transport, ==, NAV_CANDIDATE_TRANSPORT_UDP);
      g_assert_cmpint (p[s].selected_remote->transport, ==, NAV_CANDIDATE_TRANSPORT_UDP);
    }
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* A remote passive TCP candidate on 127.0.0.1:@port. */
static NavCandidate *
remote_passive (guint port)
{
  NavCandidate *c = nav_candidate_new (NAV_CANDIDATE_TYPE_HOST);

  g_assert_true (nav_address_set_from_string (&c->addr, "127.0.0.1", NULL));
  nav_address_set_port (&c->addr, port);
  c->base_addr = c->addr;
  c->transport = NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE;
  c->priority = nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_HOST,
                                                NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE,
                                                2 << 13, 1);
  c->component_id = 1;
  nav_candidate_set_foundation (c, "9");
  return c;
}

/* A controlling TCP-only agent checks @remote alone (no other remote
 * candidate, end-of-candidates said) and waits until its component
 * fails; the check's retransmissions are set to last far beyond the
 * test's guard, so only @reliable_timeout (or the failed connection) can
 * end it.  Returns the milliseconds it took. */
static gint64
check_until_failed (NavCandidate *remote,
                    guint         reliable_timeout)
{
  Peer p;
  GSList one = { remote, NULL };
  gint64 start;

  peer_init (&p, NAV_COMPATIBILITY_RFC5245, TRUE, FALSE, TRUE);
  g_object_set (p.agent, "stun-max-retransmissions", 64, "stun-initial-timeout", 1000, NULL);
  if (reliable_timeout != 0)
    g_object_set (p.agent, "stun-reliable-timeout", reliable_timeout, NULL);
  g_assert_true (nav_agent_gather_candidates (p.agent, p.stream_id));
  wait_for (peer_gathered, &p);
  g_assert_true (nav_agent_set_remote_credentials (p.agent, p.stream_id, "rufr",
                                                   "remote-password-22char"));
  remote->stream_id = p.stream_id;
  start = g_get_monotonic_time ();
  g_assert_cmpint (nav_agent_set_remote_candidates (p.agent, p.stream_id, 1, &one), ==, 1);
  nav_agent_peer_candidate_gathering_done (p.agent, p.stream_id);
  wait_for (peer_failed, &p);
  g_assert_null (p.selected_local);
  peer_clear (&p);
  return (g_get_monotonic_time () - start) / 1000;
}

/* A passive candidate where nothing listens: the connection is refused,
 * the check fails, and so does the component (RFC 6544 §7.1). */
static void
test_connection_refused (void)
{
  NavCandidate *dead;
  guint port;

  {
    /* A port that was free a moment ago and has no listener now. */
    g_autoptr (GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                          G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
    g_autoptr (GSocketAddress) bound = NULL;

    g_assert_true (g_socket_bind (s, any, FALSE, NULL));
    bound = g_socket_get_local_address (s, NULL);
    port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
    g_socket_close (s, NULL);
  }
  dead = remote_passive (port);
  check_until_failed (dead, 0);
  nav_candidate_free (dead);
}

/* A passive candidate that takes the connection and never answers: the
 * check was sent once (RFC 8489 §6.2.2: no retransmission over a
 * reliable transport) and fails after stun-reliable-timeout (Ti). */
static void
test_silent_peer_reliable_timeout (void)
{
  g_autoptr (GSocket) listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                               G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GSocket) accepted = NULL;
  g_autoptr (GError) error = NULL;
  NavCandidate *silent;
  guint8 buf[4096];
  gsize have = 0, offset = 0;
  guint requests = 0;
  gint64 ms;

  /* The kernel completes the handshake of a listening socket by itself:
   * nothing is accepted (or answered) until the check has failed. */
  g_assert_true (g_socket_bind (listener, any, FALSE, NULL));
  g_assert_true (g_socket_listen (listener, NULL));
  bound = g_socket_get_local_address (listener, NULL);
  silent = remote_passive (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  ms = check_until_failed (silent, 300);
  g_test_message ("the TCP check failed after %" G_GINT64_FORMAT " ms (Ti 300 ms)", ms);
  nav_candidate_free (silent);

  /* What the agent sent: RFC 4571 frames, each a STUN Binding request
   * with one transaction id. */
  accepted = g_socket_accept (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (accepted, FALSE);
  for (;;)
    {
      gssize n = g_socket_receive (accepted, (gchar *) buf + have, sizeof buf - have, NULL,
                                   NULL);

      if (n <= 0)
        break;
      have += n;
    }
  while (offset + 2 <= have)
    {
      gsize len = ((gsize) buf[offset] << 8) | buf[offset + 1];

      g_assert_cmpuint (offset + 2 + len, <=, have);
      g_assert_true (nav_stun_message_is_stun (buf + offset + 2, len));
      /* Binding (0x0001) request. */
      g_assert_cmpuint (buf[offset + 2], ==, 0x00);
      g_assert_cmpuint (buf[offset + 3], ==, 0x01);
      requests++;
      offset += 2 + len;
    }
  g_assert_cmpuint (offset, ==, have);
  g_assert_cmpuint (requests, ==, 1);
}

/* --------------------------------------------------- the checker's pairs */

static NavCandidate *
tcp_candidate (NavCandidateTransport  transport,
               const gchar           *address,
               const gchar           *foundation)
{
  return test_candidate_new (NAV_CANDIDATE_TYPE_HOST, transport, address, address, foundation);
}

/* RFC 6544 §6.2: active pairs with passive, passive with active (and
 * such pairs are pruned: a passive candidate sends no check), so with so,
 * UDP with UDP; nothing else. */
static void
test_pairing_rules (void)
{
  g_autoptr (GPtrArray) pairs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (NavChecker) checker = pair_checker_new (pairs);
  const struct {
    NavCandidateTransport transport;
    const gchar *address;
    const gchar *foundation;
  } locals[] = {
    { NAV_CANDIDATE_TRANSPORT_UDP, "127.0.0.1:40000", "LU" },
    { NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE, "127.0.0.1:9", "LA" },
    { NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE, "127.0.0.1:40001", "LP" },
    { NAV_CANDIDATE_TRANSPORT_TCP_SO, "127.0.0.1:40002", "LS" },
  }, remotes[] = {
    { NAV_CANDIDATE_TRANSPORT_UDP, "127.0.0.1:50000", "RU" },
    { NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE, "127.0.0.1:9", "RA" },
    { NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE, "127.0.0.1:50001", "RP" },
    { NAV_CANDIDATE_TRANSPORT_TCP_SO, "127.0.0.1:50002", "RS" },
  };
  const gchar *expected[] = { "LU>RU", "LA>RP", "LS>RS" };

  for (guint i = 0; i < G_N_ELEMENTS (locals); i++)
    {
      g_autoptr (NavCandidate) c = tcp_candidate (locals[i].transport, locals[i].address,
                                                  locals[i].foundation);

      nav_checker_add_local_candidate (checker, c);
    }
  for (guint i = 0; i < G_N_ELEMENTS (remotes); i++)
    {
      g_autoptr (NavCandidate) c = tcp_candidate (remotes[i].transport, remotes[i].address,
                                                  remotes[i].foundation);

      nav_checker_add_remote_candidate (checker, c);
    }
  assert_pairs (pairs, expected, G_N_ELEMENTS (expected), "");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ice-tcp/candidates", test_candidates);
  g_test_add_func ("/ice-tcp/pairing-rules", test_pairing_rules);
  g_test_add_func ("/ice-tcp/connect-rfc5245-first-controlling",
                   test_connect_rfc5245_first_controlling);
  g_test_add_func ("/ice-tcp/connect-rfc5245-first-controlled",
                   test_connect_rfc5245_first_controlled);
  g_test_add_func ("/ice-tcp/connect-rfc8445", test_connect_rfc8445);
  g_test_add_func ("/ice-tcp/connect-ipv6", test_connect_ipv6);
  g_test_add_func ("/ice-tcp/connect-two-addresses", test_connect_two_addresses);
  g_test_add_func ("/ice-tcp/mixed-prefers-udp", test_mixed_prefers_udp);
  g_test_add_func ("/ice-tcp/connection-refused", test_connection_refused);
  g_test_add_func ("/ice-tcp/silent-peer-reliable-timeout", test_silent_peer_reliable_timeout);
  g_test_add_func ("/ice-tcp/garbage-and-flood", test_garbage_and_flood);
  return g_test_run ();
}
