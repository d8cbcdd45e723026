/* test-agent-compat-api.c: the rest of libnice's NiceAgent API on
 * NavAgent — SOFTWARE on the wire, stream TOS, the sockets, the default
 * candidate, consent revoked by the application, close_async against a
 * real TURN server, proxy-extra-headers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Agents run in one process and one main context on loopback.  The
 * "raw" peers are plain UDP sockets of the test that read what the
 * agent sends (its checks, its STUN and TURN requests) and answer when
 * needed; the TURN server is the turn module's real one, in process.
 */
#include "config.h"

#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <netavanue/netavanue.h>

#include "agent-test-util.h"

#define TOS_A 0x88      /* AF41 */
#define TOS_B 0x48      /* AF21 */

/* -------------------------------------------------------- a raw peer */

typedef struct {
  GSocket *socket;
  NavAddress addr;
  GPtrArray *packets;           /* GBytes */
  GArray *froms;                /* NavAddress */
  GArray *tos;                  /* gint: the TOS byte it arrived with, -1 if unknown */
} Raw;

static void
raw_init (Raw *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) any = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

  memset (r, 0, sizeof *r);
  r->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                            G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  any = g_inet_socket_address_new (lo, 0);
  g_assert_true (g_socket_bind (r->socket, any, FALSE, &error));
  g_socket_set_blocking (r->socket, FALSE);
  /* The TOS byte of each datagram arrives as ancillary data. */
  g_assert_true (g_socket_set_option (r->socket, IPPROTO_IP, IP_RECVTOS, 1, &error));
  local = g_socket_get_local_address (r->socket, &error);
  g_assert_no_error (error);
  nav_address_init (&r->addr);
  g_assert_true (nav_address_set_from_socket_address (&r->addr, local, NULL));
  r->packets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  r->froms = g_array_new (FALSE, FALSE, sizeof (NavAddress));
  r->tos = g_array_new (FALSE, FALSE, sizeof (gint));
}

static void
raw_clear (Raw *r)
{
  g_socket_close (r->socket, NULL);
  g_clear_object (&r->socket);
  g_ptr_array_unref (r->packets);
  g_array_unref (r->froms);
  g_array_unref (r->tos);
}

/* Reads what is there, without blocking. */
static void
raw_poll (Raw *r)
{
  for (;;)
    {
      guint8 buf[2048];
      union {
        struct cmsghdr align;
        guint8 space[CMSG_SPACE (sizeof (int)) * 2];
      } control;
      struct sockaddr_storage from;
      struct iovec iov = { buf, sizeof buf };
      struct msghdr msg = { 0, };
      struct cmsghdr *cmsg;
      gint tos = -1;
      NavAddress addr;
      gssize n;

      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control.space;
      msg.msg_controllen = sizeof control.space;
      n = recvmsg (g_socket_get_fd (r->socket), &msg, MSG_DONTWAIT);
      if (n < 0)
        {
          g_assert_true (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNREFUSED);
          if (errno != ECONNREFUSED)
            return;
          continue;
        }
      for (cmsg = CMSG_FIRSTHDR (&msg); cmsg != NULL; cmsg = CMSG_NXTHDR (&msg, cmsg))
        if (cmsg->cmsg_level == IPPROTO_IP && cmsg->cmsg_type == IP_TOS)
          tos = *(guint8 *) CMSG_DATA (cmsg);
      nav_address_init (&addr);
      g_assert_true (nav_address_set_from_sockaddr (&addr, (struct sockaddr *) &from,
                                                    msg.msg_namelen));
      g_ptr_array_add (r->packets, g_bytes_new (buf, n));
      g_array_append_val (r->froms, addr);
      g_array_append_val (r->tos, tos);
    }
}

static void
raw_send (Raw              *r,
          const NavAddress *to,
          GBytes           *data)
{
  g_autoptr (GSocketAddress) address = nav_address_to_socket_address (to);
  g_autoptr (GError) error = NULL;
  gsize len;
  const gchar *bytes = g_bytes_get_data (data, &len);

  g_assert_cmpint (g_socket_send_to (r->socket, address, bytes, len, NULL, &error), ==,
                   (gssize) len);
}

/* What a wait looks for among the raw peer's datagrams. */
typedef struct {
  Raw *raw;
  NavStunClass klass;
  guint method;
  const guint8 *tid;            /* when not NULL, only this transaction */
  guint next;                   /* datagrams before this one were looked at */
  NavStunMessage *found;
  gint tos;
  NavAddress from;
} Want;

static gboolean
want_found (gpointer data)
{
  Want *w = data;

  raw_poll (w->raw);
  for (; w->found == NULL && w->next < w->raw->packets->len; w->next++)
    {
      gsize len;
      const guint8 *bytes = g_bytes_get_data (g_ptr_array_index (w->raw->packets, w->next), &len);
      g_autoptr (NavStunMessage) msg = nav_stun_message_parse (bytes, len, NULL);

      if (msg == NULL || nav_stun_message_get_class (msg) != w->klass ||
          nav_stun_message_get_method (msg) != w->method ||
          (w->tid != NULL &&
           memcmp (nav_stun_message_get_transaction_id (msg), w->tid,
                   NAV_STUN_TRANSACTION_ID_LENGTH) != 0))
        continue;
      w->found = g_steal_pointer (&msg);
      w->tos = g_array_index (w->raw->tos, gint, w->next);
      w->from = g_array_index (w->raw->froms, NavAddress, w->next);
    }
  return w->found != NULL;
}

/* Waits for a STUN message of @klass and @method on @raw; the caller
 * unrefs it. */
static NavStunMessage *
raw_wait_stun (Raw          *raw,
               NavStunClass  klass,
               guint         method,
               const guint8 *tid,
               gint         *tos,
               NavAddress   *from)
{
  Want w = { raw, klass, method, tid, 0, NULL, -1, };

  wait_for (want_found, &w);
  if (tos != NULL)
    *tos = w.tos;
  if (from != NULL)
    *from = w.from;
  return w.found;
}

/* A fake STUN server on @raw: every Binding request is answered with
 * @mapped as XOR-MAPPED-ADDRESS, so that the agent learns a
 * server-reflexive candidate other than its host one (loopback would map
 * every address to itself).  As a wait condition it serves until
 * *@until holds. */
typedef struct {
  Raw *raw;
  NavAddress mapped;
  guint answered;
  guint next;
  gboolean *until;
} FakeStun;

static gboolean
fake_stun_serve (gpointer data)
{
  FakeStun *f = data;

  raw_poll (f->raw);
  for (; f->next < f->raw->packets->len; f->next++)
    {
      gsize len;
      const guint8 *bytes = g_bytes_get_data (g_ptr_array_index (f->raw->packets, f->next), &len);
      g_autoptr (NavStunMessage) msg = nav_stun_message_parse (bytes, len, NULL);
      g_autoptr (NavStunMessageBuilder) b = NULL;
      g_autoptr (GBytes) response = NULL;

      if (msg == NULL || nav_stun_message_get_class (msg) != NAV_STUN_CLASS_REQUEST ||
          nav_stun_message_get_method (msg) != NAV_STUN_METHOD_BINDING)
        continue;
      b = nav_stun_message_builder_new_response (msg, NAV_STUN_CLASS_SUCCESS_RESPONSE);
      g_assert_true (nav_stun_message_builder_add_xor_mapped_address (b, &f->mapped, NULL));
      g_assert_true (nav_stun_message_builder_add_fingerprint (b, NULL));
      response = nav_stun_message_builder_finish (b, NULL);
      raw_send (f->raw, &g_array_index (f->raw->froms, NavAddress, f->next), response);
      f->answered++;
    }
  return *f->until;
}

/* ------------------------------------------------- the TURN server */

#define TURN_USER "compat"
#define TURN_PASSWORD "compat-secret"

static NavServer *
turn_server_start (guint *port)
{
  g_autoptr (GError) error = NULL;
  const gchar *users[] = { TURN_USER ":" TURN_PASSWORD, NULL };
  GObject *object = NULL;

  /* A free port for UDP and TCP both: the server takes a fixed one. */
  for (guint attempt = 0; object == NULL && attempt < 20; attempt++)
    {
      Raw probe;

      raw_init (&probe);
      *port = nav_address_get_port (&probe.addr);
      raw_clear (&probe);
      object = nav_registry_create (nav_registry_get_default (),
                                    NAV_SERVER_EXTENSION_POINT_NAME, "turn", &error,
                                    "listening-ip", "127.0.0.1", "listening-port", *port,
                                    "tls-listening-port", 0,
                                    "realm", "compat.test", "lt-cred-mech", TRUE, "users", users,
                                    "allow-loopback-peers", TRUE, NULL);
      g_assert_no_error (error);
      if (!nav_server_start (NAV_SERVER (object), &error))
        {
          g_test_message ("TURN server on port %u: %s", *port, error->message);
          g_clear_error (&error);
          g_clear_object (&object);
        }
    }
  g_assert_nonnull (object);
  return NAV_SERVER (object);
}

static guint64
server_stat (NavServer   *server,
             const gchar *name)
{
  g_autoptr (GVariant) stats = nav_server_get_stats (server);
  guint64 value = 0;

  g_assert_true (g_variant_lookup (stats, name, "t", &value));
  return value;
}

/* ------------------------------------------------------------ agents */

typedef struct {
  NavAgent *agent;
  guint stream_id;
  gboolean gathering_done;
  NavComponentState state[3];
  guint received;
} Peer;

static void
on_state (NavAgent *agent,
          guint     stream_id,
          guint     component_id,
          guint     state,
          Peer     *p)
{
  if (component_id < G_N_ELEMENTS (p->state))
    p->state[component_id] = state;
}

static void
on_recv (NavAgent *agent,
         guint     stream_id,
         guint     component_id,
         guint     len,
         gchar    *buf,
         gpointer  user_data)
{
  ((Peer *) user_data)->received++;
}

static void
peer_init (Peer           *p,
           gboolean        controlling,
           NavAgentOption  options,
           guint           n_components)
{
  memset (p, 0, sizeof *p);
  p->agent = agent_test_new_loopback (options, &p->gathering_done);
  g_object_set (p->agent, "controlling-mode", controlling, "stun-pacing-timer", 5,
                "stun-initial-timeout", 50, "stun-max-retransmissions", 2,
                "ice-tcp", FALSE, NULL);
  g_signal_connect (p->agent, "component-state-changed", G_CALLBACK (on_state), p);
  p->stream_id = nav_agent_add_stream (p->agent, n_components);
  g_assert_cmpuint (p->stream_id, >, 0);
  for (guint c = 1; c <= n_components; c++)
    nav_agent_attach_recv (p->agent, p->stream_id, c, NULL, on_recv, p);
}

static void
peer_clear (Peer *p)
{
  g_clear_object (&p->agent);
}

static void
peer_gather (Peer *p)
{
  g_assert_true (nav_agent_gather_candidates (p->agent, p->stream_id));
  wait_for (agent_test_flag_set, &p->gathering_done);
}

/* The local candidate of @type and UDP of component @component. */
static NavCandidate *
find_local (Peer             *p,
            guint             component,
            NavCandidateType  type)
{
  GSList *list = nav_agent_get_local_candidates (p->agent, p->stream_id, component);
  NavCandidate *found = NULL;

  for (GSList *l = list; l != NULL; l = l->next)
    {
      NavCandidate *c = l->data;

      if (found == NULL && c->type == type && c->transport == NAV_CANDIDATE_TRANSPORT_UDP)
        found = nav_candidate_copy (c);
    }
  g_slist_free_full (list, (GDestroyNotify) nav_candidate_free);
  return found;
}

static gboolean
both_ready (gpointer data)
{
  Peer *p = data;

  return p[0].state[1] == NAV_COMPONENT_STATE_READY &&
         p[1].state[1] == NAV_COMPONENT_STATE_READY;
}

/* @raw as the one remote (host) candidate of @p's component 1, with
 * remote credentials "rfrg": the agent checks it. */
static void
raw_as_remote (Raw  *raw,
               Peer *p)
{
  NavCandidate *remote = nav_candidate_new (NAV_CANDIDATE_TYPE_HOST);

  g_assert_true (nav_agent_set_remote_credentials (p->agent, p->stream_id, "rfrg",
                                                   "remote-password-0123456789"));
  remote->transport = NAV_CANDIDATE_TRANSPORT_UDP;
  remote->addr = raw->addr;
  remote->base_addr = raw->addr;
  remote->priority = nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_HOST,
                                                     NAV_CANDIDATE_TRANSPORT_UDP, 65535, 1);
  remote->stream_id = p->stream_id;
  remote->component_id = 1;
  nav_candidate_set_foundation (remote, "1");
  agent_test_signal_candidates (p->agent, p->stream_id, 1, g_slist_prepend (NULL, remote));
}

/* Two agents, gathered and connected on host candidates. */
static void
connect_pair (Peer *p)
{
  peer_gather (&p[0]);
  peer_gather (&p[1]);
  agent_test_signal_credentials_both (p[0].agent, p[0].stream_id, p[1].agent, p[1].stream_id);
  agent_test_signal_candidates_both (p[0].agent, p[0].stream_id, p[1].agent, p[1].stream_id);
  wait_for (both_ready, p);
}

/* ------------------------------------------------------------- tests */

static gchar *
software_value (NavStunMessage *msg)
{
  g_autofree gchar *software = nav_stun_message_get_software (msg, NULL);

  g_assert_nonnull (software);
  return g_steal_pointer (&software);
}

/* nice_agent_set_software(): the SOFTWARE attribute (RFC 8489 §14.14),
 * with the library's name and version appended as libnice appends its
 * own, in the STUN server's Binding request, the TURN server's Allocate,
 * the connectivity checks, and the answers to the peer's checks (success
 * and error), as a peer reading the wire sees them. */
static void
test_software_on_wire (void)
{
  g_autofree gchar *expected = g_strdup_printf ("compat-test/NetAvanue %s", NAV_VERSION_S);
  g_autoptr (NavCandidate) host = NULL;
  g_autofree gchar *ufrag = NULL;
  g_autofree gchar *pwd = NULL;
  g_autofree gchar *got = NULL;
  g_autofree gchar *username = NULL;
  NavStunMessage *msg;
  Raw stun, turn, peer;
  Peer p;

  raw_init (&stun);
  raw_init (&turn);
  raw_init (&peer);
  peer_init (&p, TRUE, NAV_AGENT_OPTION_NONE, 1);
  nav_agent_set_software (p.agent, "compat-test");
  g_object_set (p.agent, "stun-server", "127.0.0.1",
                "stun-server-port", nav_address_get_port (&stun.addr), NULL);
  g_assert_true (nav_agent_set_relay_info (p.agent, p.stream_id, 1, "127.0.0.1",
                                           nav_address_get_port (&turn.addr), "u", "p",
                                           NAV_RELAY_TYPE_TURN_UDP));
  g_assert_true (nav_agent_gather_candidates (p.agent, p.stream_id));

  msg = raw_wait_stun (&stun, NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_BINDING, NULL, NULL, NULL);
  got = software_value (msg);
  g_assert_cmpstr (got, ==, expected);
  g_clear_pointer (&got, g_free);
  nav_stun_message_unref (msg);

  msg = raw_wait_stun (&turn, NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_ALLOCATE, NULL, NULL, NULL);
  got = software_value (msg);
  g_assert_cmpstr (got, ==, expected);
  g_clear_pointer (&got, g_free);
  nav_stun_message_unref (msg);

  /* Neither server answers: gathering ends with the host candidate. */
  wait_for (agent_test_flag_set, &p.gathering_done);

  /* The raw peer as the remote side: the agent checks it. */
  raw_as_remote (&peer, &p);

  g_assert_true (nav_agent_get_local_credentials (p.agent, p.stream_id, &ufrag, &pwd));
  msg = raw_wait_stun (&peer, NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_BINDING, NULL, NULL, NULL);
  username = nav_stun_message_get_username (msg, NULL);
  g_assert_true (g_str_has_prefix (username, "rfrg:"));
  got = software_value (msg);
  g_assert_cmpstr (got, ==, expected);
  g_clear_pointer (&got, g_free);
  nav_stun_message_unref (msg);

  /* The peer's own check, authenticated: a success response... */
  host = find_local (&p, 1, NAV_CANDIDATE_TYPE_HOST);
  g_assert_nonnull (host);
  for (guint bad = 0; bad < 2; bad++)
    {
      g_autoptr (NavStunMessageBuilder) b =
        nav_stun_message_builder_new (NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_BINDING, NULL);
      g_autofree gchar *user = g_strconcat (ufrag, ":rfrg", NULL);
      const gchar *key = bad ? "not-the-password-at-all" : pwd;
      guint8 tid[NAV_STUN_TRANSACTION_ID_LENGTH];
      g_autoptr (GBytes) request = NULL;
      NavStunClass expected_class = bad ? NAV_STUN_CLASS_ERROR_RESPONSE
                                        : NAV_STUN_CLASS_SUCCESS_RESPONSE;
      guint code = 0;

      g_assert_true (nav_stun_message_builder_add_username (b, user, NULL));
      g_assert_true (nav_stun_message_builder_add_priority (b, 1234567, NULL));
      g_assert_true (nav_stun_message_builder_add_ice_controlled (b, 42, NULL));
      g_assert_true (nav_stun_message_builder_add_message_integrity (b, (const guint8 *) key,
                                                                     strlen (key), NULL));
      g_assert_true (nav_stun_message_builder_add_fingerprint (b, NULL));
      memcpy (tid, nav_stun_message_builder_get_transaction_id (b), sizeof tid);
      request = nav_stun_message_builder_finish (b, NULL);
      raw_send (&peer, &host->addr, request);
      /* ... and, with a wrong password, a 401. */
      msg = raw_wait_stun (&peer, expected_class, NAV_STUN_METHOD_BINDING, tid, NULL, NULL);
      if (bad)
        {
          g_assert_true (nav_stun_message_get_error_code (msg, &code, NULL, NULL));
          g_assert_cmpuint (code, ==, 401);
        }
      got = software_value (msg);
      g_assert_cmpstr (got, ==, expected);
      g_clear_pointer (&got, g_free);
      nav_stun_message_unref (msg);
    }

  peer_clear (&p);
  raw_clear (&stun);
  raw_clear (&turn);
  raw_clear (&peer);
}

/* RFC 8489 §14.14: fewer than 128 characters; a longer name is cut, at
 * a character boundary. */
static void
test_software_truncated (void)
{
  GString *name = g_string_new ("app-é");
  g_autofree gchar *got = NULL;
  NavStunMessage *msg;
  Raw stun;
  Peer p;

  for (guint i = 0; i < 200; i++)
    g_string_append_c (name, 'x');
  raw_init (&stun);
  peer_init (&p, TRUE, NAV_AGENT_OPTION_NONE, 1);
  nav_agent_set_software (p.agent, name->str);
  g_object_set (p.agent, "stun-server", "127.0.0.1",
                "stun-server-port", nav_address_get_port (&stun.addr), NULL);
  g_assert_true (nav_agent_gather_candidates (p.agent, p.stream_id));
  msg = raw_wait_stun (&stun, NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_BINDING, NULL, NULL, NULL);
  got = software_value (msg);
  g_assert_cmpint (g_utf8_strlen (got, -1), ==, 127);
  g_assert_true (g_str_has_prefix (name->str, got));
  nav_stun_message_unref (msg);

  /* NULL removes the attribute. */
  nav_agent_set_software (p.agent, NULL);
  wait_for (agent_test_flag_set, &p.gathering_done);
  peer_clear (&p);
  raw_clear (&stun);
  g_string_free (name, TRUE);
}

static gint
socket_tos (GSocket *socket)
{
  g_autoptr (GError) error = NULL;
  gint value = -1;

  g_assert_true (g_socket_get_option (socket, IPPROTO_IP, IP_TOS, &value, &error));
  g_assert_no_error (error);
  return value;
}

/* nice_agent_set_stream_tos() and nice_agent_get_sockets(): set before
 * gathering, the TOS is on every socket made afterwards (host UDP, the
 * ICE-TCP listener, the socket to the TURN server); set again, it
 * changes on all of them; and the checks leave with it, as a peer that
 * reads IP_TOS of what it receives sees. */
static void
test_stream_tos (void)
{
  NavServer *server;
  guint port, n_udp = 0, n_tcp = 0;
  g_autoptr (GPtrArray) sockets = NULL;
  g_autoptr (NavCandidate) relay = NULL;
  NavStunMessage *msg;
  Raw peer;
  Peer p;
  gint tos = -1;

  server = turn_server_start (&port);
  raw_init (&peer);
  peer_init (&p, TRUE, NAV_AGENT_OPTION_NONE, 1);
  g_object_set (p.agent, "ice-tcp", TRUE, NULL);
  g_assert_true (nav_agent_set_relay_info (p.agent, p.stream_id, 1, "127.0.0.1", port,
                                           TURN_USER, TURN_PASSWORD,
                                           NAV_RELAY_TYPE_TURN_UDP));
  nav_agent_set_stream_tos (p.agent, p.stream_id, TOS_A);
  peer_gather (&p);
  relay = find_local (&p, 1, NAV_CANDIDATE_TYPE_RELAYED);
  g_assert_nonnull (relay);

  sockets = nav_agent_get_sockets (p.agent, p.stream_id, 1);
  for (guint i = 0; i < sockets->len; i++)
    {
      GSocket *socket = g_ptr_array_index (sockets, i);

      if (g_socket_get_socket_type (socket) == G_SOCKET_TYPE_DATAGRAM)
        n_udp++;
      else
        n_tcp++;
      g_assert_cmpint (socket_tos (socket), ==, TOS_A);
    }
  /* The host socket and the one to the TURN server; the passive TCP
   * listener (an active candidate has no socket until it connects). */
  g_assert_cmpuint (n_udp, >=, 2);
  g_assert_cmpuint (n_tcp, >=, 1);
  g_clear_pointer (&sockets, g_ptr_array_unref);

  nav_agent_set_stream_tos (p.agent, p.stream_id, TOS_B);
  sockets = nav_agent_get_sockets (p.agent, p.stream_id, 1);
  for (guint i = 0; i < sockets->len; i++)
    g_assert_cmpint (socket_tos (g_ptr_array_index (sockets, i)), ==, TOS_B);
  /* An unknown component has none. */
  g_clear_pointer (&sockets, g_ptr_array_unref);
  sockets = nav_agent_get_sockets (p.agent, p.stream_id, 7);
  g_assert_cmpuint (sockets->len, ==, 0);

  /* On the wire: the check to the raw peer carries TOS_B. */
  raw_as_remote (&peer, &p);
  msg = raw_wait_stun (&peer, NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_BINDING, NULL, &tos, NULL);
  g_assert_cmpint (tos, ==, TOS_B);
  nav_stun_message_unref (msg);

  peer_clear (&p);
  raw_clear (&peer);
  nav_server_stop (server);
  g_object_unref (server);
}

/* On IPv6 sockets the same value goes into IPV6_TCLASS. */
static void
test_stream_tos_ipv6 (void)
{
  g_autoptr (NavAddress) addr = nav_address_new_from_string ("::1", NULL);
  g_autoptr (GPtrArray) sockets = NULL;
  g_autoptr (GSocket) probe = NULL;
  g_autoptr (GSocketAddress) lo = NULL;
  g_autoptr (GInetAddress) ip = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  NavAgent *agent;
  guint stream, n_v6 = 0;
  gboolean done = FALSE;

  probe = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  lo = g_inet_socket_address_new (ip, 0);
  if (probe == NULL || !g_socket_bind (probe, lo, FALSE, NULL))
    {
      g_test_skip ("no IPv6 loopback here");
      return;
    }
  agent = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC5245);
  g_object_set (agent, "ice-tcp", FALSE, NULL);
  g_assert_true (nav_agent_add_local_address (agent, addr));
  g_signal_connect (agent, "candidate-gathering-done", G_CALLBACK (agent_test_set_flag), &done);
  stream = nav_agent_add_stream (agent, 1);
  g_assert_true (nav_agent_gather_candidates (agent, stream));
  wait_for (agent_test_flag_set, &done);
  nav_agent_set_stream_tos (agent, stream, TOS_A);
  sockets = nav_agent_get_sockets (agent, stream, 1);
  for (guint i = 0; i < sockets->len; i++)
    {
      GSocket *socket = g_ptr_array_index (sockets, i);
      gint value = -1;

      g_assert_cmpint (g_socket_get_family (socket), ==, G_SOCKET_FAMILY_IPV6);
      g_assert_true (g_socket_get_option (socket, IPPROTO_IPV6, IPV6_TCLASS, &value, NULL));
      g_assert_cmpint (value, ==, TOS_A);
      n_v6++;
    }
  g_assert_cmpuint (n_v6, >=, 1);
  g_object_unref (agent);
}

/* The TCP connections an ICE-TCP pair makes after the TOS was set (the
 * accepted ones and the ones it opens) carry it too. */
static void
test_stream_tos_tcp (void)
{
  g_autoptr (GPtrArray) sockets = NULL;
  guint n_connections = 0;
  Peer p[2];

  for (guint i = 0; i < 2; i++)
    {
      peer_init (&p[i], i == 0, NAV_AGENT_OPTION_NONE, 1);
      g_object_set (p[i].agent, "ice-udp", FALSE, "ice-tcp", TRUE, NULL);
      nav_agent_set_stream_tos (p[i].agent, p[i].stream_id, TOS_A);
    }
  connect_pair (p);
  for (guint i = 0; i < 2; i++)
    {
      g_clear_pointer (&sockets, g_ptr_array_unref);
      sockets = nav_agent_get_sockets (p[i].agent, p[i].stream_id, 1);
      for (guint j = 0; j < sockets->len; j++)
        {
          GSocket *socket = g_ptr_array_index (sockets, j);

          g_assert_cmpint (g_socket_get_socket_type (socket), ==, G_SOCKET_TYPE_STREAM);
          g_assert_cmpint (socket_tos (socket), ==, TOS_A);
          if (g_socket_is_connected (socket))
            n_connections++;
        }
    }
  /* At least the connection of the selected pair, on both sides. */
  g_assert_cmpuint (n_connections, >=, 2);
  /* An ICE-TCP pair has no socket of its own to hand out. */
  g_assert_null (nav_agent_get_selected_socket (p[0].agent, p[0].stream_id, 1));
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* nice_agent_get_default_local_candidate(): libnice's rule, the IPv4
 * candidate of lowest priority for component 1 — relayed over
 * server-reflexive over host — and for component 2 the one of the same
 * foundation; generate_local_sdp() writes it in m=, c= and a=rtcp:. */
static void
test_default_candidate (void)
{
  NavServer *server;
  guint port;
  Raw stun;
  FakeStun fake;

  server = turn_server_start (&port);
  raw_init (&stun);
  memset (&fake, 0, sizeof fake);
  fake.raw = &stun;
  nav_address_init (&fake.mapped);
  g_assert_true (nav_address_set_from_string (&fake.mapped, "192.0.2.7:40000", NULL));

  for (guint with_relay = 0; with_relay < 2; with_relay++)
    {
      g_autoptr (NavCandidate) d1 = NULL;
      g_autoptr (NavCandidate) d2 = NULL;
      g_autoptr (NavCandidate) relay1 = NULL;
      g_autoptr (NavCandidate) relay2 = NULL;
      g_autoptr (NavCandidate) srflx1 = NULL;
      g_autoptr (NavCandidate) srflx2 = NULL;
      g_autofree gchar *sdp = NULL;
      g_autofree gchar *expected = NULL;
      g_autofree gchar *ip = NULL;
      Peer p;

      peer_init (&p, TRUE, NAV_AGENT_OPTION_NONE, 2);
      g_object_set (p.agent, "stun-server", "127.0.0.1",
                    "stun-server-port", nav_address_get_port (&stun.addr), NULL);
      nav_agent_set_stream_name (p.agent, p.stream_id, "audio");
      for (guint c = 1; with_relay && c <= 2; c++)
        g_assert_true (nav_agent_set_relay_info (p.agent, p.stream_id, c, "127.0.0.1", port,
                                                 TURN_USER, TURN_PASSWORD,
                                                 NAV_RELAY_TYPE_TURN_UDP));
      g_assert_true (nav_agent_gather_candidates (p.agent, p.stream_id));
      fake.until = &p.gathering_done;
      wait_for (fake_stun_serve, &fake);
      srflx1 = find_local (&p, 1, NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE);
      srflx2 = find_local (&p, 2, NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE);
      g_assert_nonnull (srflx1);
      g_assert_nonnull (srflx2);

      d1 = nav_agent_get_default_local_candidate (p.agent, p.stream_id, 1);
      d2 = nav_agent_get_default_local_candidate (p.agent, p.stream_id, 2);
      g_assert_nonnull (d1);
      g_assert_nonnull (d2);
      if (with_relay)
        {
          relay1 = find_local (&p, 1, NAV_CANDIDATE_TYPE_RELAYED);
          relay2 = find_local (&p, 2, NAV_CANDIDATE_TYPE_RELAYED);
          g_assert_nonnull (relay1);
          g_assert_nonnull (relay2);
          g_assert_cmpint (d1->type, ==, NAV_CANDIDATE_TYPE_RELAYED);
          g_assert_true (nav_address_equal (&d1->addr, &relay1->addr));
          g_assert_cmpint (d2->type, ==, NAV_CANDIDATE_TYPE_RELAYED);
          g_assert_true (nav_address_equal (&d2->addr, &relay2->addr));
        }
      else
        {
          g_assert_cmpint (d1->type, ==, NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE);
          g_assert_true (nav_address_equal (&d1->addr, &srflx1->addr));
          g_assert_cmpint (d2->type, ==, NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE);
          g_assert_true (nav_address_equal (&d2->addr, &srflx2->addr));
        }
      g_assert_cmpstr (d1->foundation, ==, d2->foundation);
      g_assert_null (nav_agent_get_default_local_candidate (p.agent, p.stream_id, 3));

      sdp = nav_agent_generate_local_sdp (p.agent);
      ip = nav_address_ip_to_string (&d1->addr);
      expected = g_strdup_printf ("m=audio %u ICE/SDP\nc=IN IP4 %s\na=rtcp:%u\n",
                                  nav_address_get_port (&d1->addr), ip,
                                  nav_address_get_port (&d2->addr));
      g_assert_true (g_str_has_prefix (sdp, expected));
      peer_clear (&p);
    }
  g_assert_cmpuint (fake.answered, >=, 4);

  raw_clear (&stun);
  nav_server_stop (server);
  g_object_unref (server);
}

/* nice_agent_get_selected_socket(): the host UDP socket of the selected
 * pair, the one get_sockets() lists; none without a pair. */
static void
test_selected_socket (void)
{
  Peer p[2];
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GPtrArray) sockets = NULL;
  NavCandidate *local = NULL, *remote = NULL;
  NavAddress bound;

  peer_init (&p[0], TRUE, NAV_AGENT_OPTION_NONE, 1);
  peer_init (&p[1], FALSE, NAV_AGENT_OPTION_NONE, 1);
  g_assert_null (nav_agent_get_selected_socket (p[0].agent, p[0].stream_id, 1));
  connect_pair (p);

  socket = nav_agent_get_selected_socket (p[0].agent, p[0].stream_id, 1);
  g_assert_nonnull (socket);
  g_assert_true (nav_agent_get_selected_pair (p[0].agent, p[0].stream_id, 1, &local, &remote));
  address = g_socket_get_local_address (socket, NULL);
  nav_address_init (&bound);
  g_assert_true (nav_address_set_from_socket_address (&bound, address, NULL));
  g_assert_true (nav_address_equal (&bound, &local->base_addr));
  sockets = nav_agent_get_sockets (p[0].agent, p[0].stream_id, 1);
  g_assert_true (g_ptr_array_find (sockets, socket, NULL));
  g_assert_null (nav_agent_get_selected_socket (p[0].agent, p[0].stream_id, 2));
  nav_candidate_free (local);
  nav_candidate_free (remote);
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

static gboolean
peer1_failed (gpointer data)
{
  return ((Peer *) data)[1].state[1] == NAV_COMPONENT_STATE_FAILED;
}

/* nice_agent_consent_lost() (RFC 7675 §5.2): the component fails and
 * sends nothing more; the peer's next consent check gets a 403, so the
 * peer fails at once instead of after its 30 s timeout.  Without consent
 * freshness, or for an unknown component, it returns FALSE. */
static void
test_consent_lost (void)
{
  Peer p[2], plain;

  peer_init (&p[0], TRUE, NAV_AGENT_OPTION_CONSENT_FRESHNESS, 1);
  peer_init (&p[1], FALSE, NAV_AGENT_OPTION_CONSENT_FRESHNESS, 1);
  for (guint i = 0; i < 2; i++)
    g_object_set (p[i].agent, "consent-interval", 50, "consent-timeout", 60000, NULL);
  connect_pair (p);
  g_assert_cmpint (nav_agent_send (p[0].agent, p[0].stream_id, 1, 5, "hello"), ==, 5);

  g_assert_false (nav_agent_consent_lost (p[0].agent, p[0].stream_id, 2));
  g_assert_false (nav_agent_consent_lost (p[0].agent, p[0].stream_id + 1, 1));
  g_assert_true (nav_agent_consent_lost (p[0].agent, p[0].stream_id, 1));
  g_assert_cmpint (p[0].state[1], ==, NAV_COMPONENT_STATE_FAILED);
  g_assert_cmpint (nav_agent_get_component_state (p[0].agent, p[0].stream_id, 1), ==,
                   NAV_COMPONENT_STATE_FAILED);
  g_assert_cmpint (nav_agent_send (p[0].agent, p[0].stream_id, 1, 5, "hello"), ==, -1);

  /* The peer's consent (60 s timeout) ends with the 403. */
  wait_for (peer1_failed, p);
  g_assert_cmpint (nav_agent_send (p[1].agent, p[1].stream_id, 1, 5, "hello"), ==, -1);
  g_assert_cmpint (p[0].state[1], ==, NAV_COMPONENT_STATE_FAILED);

  /* An ICE restart gives the stream back, as libnice documents. */
  for (guint i = 0; i < 2; i++)
    g_assert_true (nav_agent_restart_stream (p[i].agent, p[i].stream_id));
  agent_test_signal_credentials_both (p[0].agent, p[0].stream_id, p[1].agent, p[1].stream_id);
  agent_test_signal_candidates_both (p[0].agent, p[0].stream_id, p[1].agent, p[1].stream_id);
  wait_for (both_ready, p);
  g_assert_cmpint (nav_agent_send (p[0].agent, p[0].stream_id, 1, 5, "hello"), ==, 5);

  peer_clear (&p[0]);
  peer_clear (&p[1]);

  /* libnice: only with consent freshness. */
  peer_init (&plain, TRUE, NAV_AGENT_OPTION_NONE, 1);
  g_assert_false (nav_agent_consent_lost (plain.agent, plain.stream_id, 1));
  peer_clear (&plain);
}

static void
on_closed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *closed = user_data;

  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  g_assert_true (nav_agent_close_finish (NAV_AGENT (source), result, NULL));
  *closed = TRUE;
}

/* nice_agent_close_async(): the callback runs once the TURN server has
 * deleted the allocation (its allocation count back to 0, a Refresh
 * received) and every socket of the agent is closed. */
static void
test_close_async (void)
{
  NavServer *server;
  guint port;
  guint64 refreshes;
  g_autoptr (GPtrArray) sockets = NULL;
  g_autoptr (GPtrArray) after = NULL;
  g_autoptr (NavCandidate) relay = NULL;
  gboolean closed = FALSE;
  Peer p;

  server = turn_server_start (&port);
  peer_init (&p, TRUE, NAV_AGENT_OPTION_NONE, 1);
  g_assert_true (nav_agent_set_relay_info (p.agent, p.stream_id, 1, "127.0.0.1", port,
                                           TURN_USER, TURN_PASSWORD,
                                           NAV_RELAY_TYPE_TURN_UDP));
  peer_gather (&p);
  relay = find_local (&p, 1, NAV_CANDIDATE_TYPE_RELAYED);
  g_assert_nonnull (relay);
  g_assert_cmpuint (server_stat (server, "allocations"), ==, 1);
  refreshes = server_stat (server, "refresh-requests");
  sockets = nav_agent_get_sockets (p.agent, p.stream_id, 1);
  g_assert_cmpuint (sockets->len, >=, 2);

  nav_agent_close_async (p.agent, on_closed, &closed);
  g_assert_false (closed);
  wait_for (agent_test_flag_set, &closed);

  g_assert_cmpuint (server_stat (server, "allocations"), ==, 0);
  g_assert_cmpuint (server_stat (server, "refresh-requests"), >, refreshes);
  for (guint i = 0; i < sockets->len; i++)
    g_assert_true (g_socket_is_closed (g_ptr_array_index (sockets, i)));
  after = nav_agent_get_sockets (p.agent, p.stream_id, 1);
  g_assert_cmpuint (after->len, ==, 0);
  g_assert_null (find_local (&p, 1, NAV_CANDIDATE_TYPE_HOST));
  g_assert_cmpint (nav_agent_send (p.agent, p.stream_id, 1, 5, "hello"), ==, -1);

  /* Closing again, with nothing left, still calls back. */
  closed = FALSE;
  nav_agent_close_async (p.agent, on_closed, &closed);
  wait_for (agent_test_flag_set, &closed);
  /* And without a callback. */
  nav_agent_close_async (p.agent, NULL, NULL);

  peer_clear (&p);
  nav_server_stop (server);
  g_object_unref (server);
}

/* libnice's proxy-extra-headers (0.1.20): accepted and kept, with a
 * warning that no proxy is used. */
static void
test_proxy_extra_headers (void)
{
  g_autoptr (NavAgent) agent = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC5245);
  g_autoptr (GHashTable) headers = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                          g_free, g_free);
  g_autoptr (GHashTable) back = NULL;

  g_object_get (agent, "proxy-extra-headers", &back, NULL);
  g_assert_null (back);
  g_hash_table_insert (headers, g_strdup ("User-Agent"), g_strdup ("compat-test"));
  g_test_expect_message ("nav", G_LOG_LEVEL_WARNING, "*“proxy-extra-headers”*does nothing*");
  g_object_set (agent, "proxy-extra-headers", headers, NULL);
  g_test_assert_expected_messages ();
  g_object_get (agent, "proxy-extra-headers", &back, NULL);
  g_assert_nonnull (back);
  g_assert_cmpstr (g_hash_table_lookup (back, "User-Agent"), ==, "compat-test");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ice/agent-compat/software-on-wire", test_software_on_wire);
  g_test_add_func ("/ice/agent-compat/software-truncated", test_software_truncated);
  g_test_add_func ("/ice/agent-compat/stream-tos", test_stream_tos);
  g_test_add_func ("/ice/agent-compat/stream-tos-tcp", test_stream_tos_tcp);
  g_test_add_func ("/ice/agent-compat/stream-tos-ipv6", test_stream_tos_ipv6);
  g_test_add_func ("/ice/agent-compat/default-candidate", test_default_candidate);
  g_test_add_func ("/ice/agent-compat/selected-socket", test_selected_socket);
  g_test_add_func ("/ice/agent-compat/consent-lost", test_consent_lost);
  g_test_add_func ("/ice/agent-compat/close-async", test_close_async);
  g_test_add_func ("/ice/agent-compat/proxy-extra-headers", test_proxy_extra_headers);
  return g_test_run ();
}
