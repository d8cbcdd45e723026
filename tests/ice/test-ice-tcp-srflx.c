/* test-ice-tcp-srflx.c: server-reflexive ICE-TCP candidates (RFC 6544
 * §5.2), derived as libnice derives them, behind a real NAT
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * On loopback a STUN server maps every address to itself, and RFC 8445
 * §5.1.3 drops such srflx candidates.  So the test process moves into a
 * network namespace of its own (unshare(CLONE_NEWNET): needs root) with
 * three addresses on its loopback interface and one nftables rule that
 * is a NAT: what 10.77.0.1 sends to the STUN server (10.77.0.2, the real
 * STUN server of the stun module, in process) leaves from 10.77.0.9,
 * keeping its port.  An agent on 10.77.0.1 then learns a UDP srflx
 * candidate on 10.77.0.9, and a srflx TCP candidate per host TCP
 * candidate.  10.77.0.3 is not translated: its srflx candidates equal
 * its host ones.  Without root, `ip` or `nft`, the tests that need the
 * namespace are skipped; the pairing test runs anyway.
 */
#include "config.h"

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <string.h>
#include <netinet/in.h>
#include <unistd.h>
#include <gio/gio.h>

#include <netavanue/netavanue.h>

#include "agent-test-util.h"
#include "tcp-peer-test-util.h"

#define NATED_IP "10.77.0.1"
#define SERVER_IP "10.77.0.2"
#define PLAIN_IP "10.77.0.3"
#define PUBLIC_IP "10.77.0.9"

static const gchar *no_lab;     /* why the namespace is missing, or NULL */
static NavServer *stun_server;
static guint stun_port;

static gboolean
sh (const gchar  *script,
    const gchar  *input,
    gchar       **err)
{
  const gchar *argv[] = { "/bin/sh", "-c", script, NULL };
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *out = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_setenv (launcher, "PATH", "/usr/sbin:/usr/bin:/sbin:/bin", TRUE);
  proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (proc == NULL || !g_subprocess_communicate_utf8 (proc, input, NULL, &out, NULL, &error))
    {
      *err = g_strdup (error->message);
      return FALSE;
    }
  if (!g_subprocess_get_successful (proc))
    {
      *err = g_strdup_printf ("%s: %s", script, out);
      return FALSE;
    }
  return TRUE;
}

/* The namespace, its addresses and the NAT; called before any thread. */
static const gchar *
make_lab (void)
{
  static const gchar nat[] =
    "table ip natlab_unit {\n"
    "  chain post { type nat hook postrouting priority srcnat; policy accept;\n"
    "    ip saddr " NATED_IP " ip daddr " SERVER_IP " snat to " PUBLIC_IP "\n"
    "  }\n"
    "}\n";
  gchar *err = NULL;

  if (geteuid () != 0)
    return "not root";
  if (unshare (CLONE_NEWNET) != 0)
    return "unshare(CLONE_NEWNET) failed";
  if (!sh ("ip link set lo up && ip addr add " NATED_IP "/32 dev lo && "
           "ip addr add " SERVER_IP "/32 dev lo && ip addr add " PLAIN_IP "/32 dev lo && "
           "ip addr add " PUBLIC_IP "/32 dev lo", NULL, &err) ||
      !sh ("nft -f -", nat, &err))
    {
      g_printerr ("# %s\n", err);
      g_free (err);
      return "ip or nft failed (see above)";
    }
  return NULL;
}

static gboolean
need_lab (void)
{
  if (no_lab != NULL)
    {
      g_autofree gchar *why = g_strdup_printf ("needs root, ip and nft: %s", no_lab);

      g_test_skip (why);
      return FALSE;
    }
  if (stun_server == NULL)
    {
      g_autoptr (GError) error = NULL;
      GObject *object;

      object = nav_registry_create (nav_registry_get_default (),
                                    NAV_SERVER_EXTENSION_POINT_NAME, "stun", &error,
                                    "listening-ip", SERVER_IP, "listening-port", 0, NULL);
      g_assert_no_error (error);
      stun_server = NAV_SERVER (object);
      g_assert_true (nav_server_start (stun_server, &error));
      g_assert_no_error (error);
      g_object_get (stun_server, "port", &stun_port, NULL);
      g_assert_cmpuint (stun_port, >, 0);
    }
  return TRUE;
}

static void
count_candidate (NavAgent     *agent,
                 NavCandidate *candidate,
                 GPtrArray    *seen)
{
  g_ptr_array_add (seen, nav_candidate_copy (candidate));
}

/* An agent on @ip with the STUN server, gathered; the candidates it
 * announced with new-candidate-full in @announced. */
static void
gather (Peer          *p,
        const gchar   *ip,
        gboolean       udp,
        NavAgentOption options,
        gboolean       force_relay,
        GPtrArray     *announced)
{
  NavAgent *agent = nav_agent_new_full (NULL, NAV_COMPATIBILITY_RFC8445, options);

  memset (p, 0, sizeof *p);
  g_object_set (agent, "ice-udp", udp, "ice-tcp", TRUE, "ice-tcp-simultaneous-open", TRUE,
                "force-relay", force_relay, "stun-server", SERVER_IP,
                "stun-server-port", stun_port, "stun-pacing-timer", 5,
                "stun-initial-timeout", 100, NULL);
  tcp_peer_setup (p, agent, ip);
  if (announced != NULL)
    g_signal_connect (agent, "new-candidate-full", G_CALLBACK (count_candidate), announced);
  g_assert_true (nav_agent_gather_candidates (agent, p->stream_id));
  wait_for (peer_gathered, p);
}

static const NavCandidate *
find (GSList                *list,
      NavCandidateType       type,
      NavCandidateTransport  transport)
{
  for (GSList *l = list; l != NULL; l = l->next)
    {
      const NavCandidate *c = l->data;

      if (c->type == type && c->transport == transport)
        return c;
    }
  return NULL;
}

static guint
count_type (GSList           *list,
            NavCandidateType  type)
{
  guint n = 0;

  for (GSList *l = list; l != NULL; l = l->next)
    n += ((const NavCandidate *) l->data)->type == type;
  return n;
}

static gchar *
address_string (const NavAddress *a)
{
  return nav_address_to_string (a);
}

/* The IP of @a, in a static buffer of its own per call site's @buf. */
static const gchar *
ip_of (const NavAddress *a,
       gchar            *buf)
{
  g_autofree gchar *ip = nav_address_ip_to_string (a);

  g_strlcpy (buf, ip, NAV_ADDRESS_STRING_LEN);
  return buf;
}

/* One srflx TCP candidate per host TCP candidate (active, passive,
 * simultaneous-open): the NAT's address with the host port, the host
 * candidate as base and owner, priorities of RFC 6544 §4.2 (srflx type
 * preference; direction preference 6 for S-O, 4 active, 2 passive, the
 * NATed row), foundations distinct per transport and from every other
 * candidate; announced, and in the SDP. */
static void
check_tcp_srflx (Peer      *p,
                 GPtrArray *announced,
                 gboolean   udp)
{
  static const struct {
    NavCandidateTransport transport;
    guint direction;
    const gchar *tcptype;
  } kinds[] = {
    { NAV_CANDIDATE_TRANSPORT_TCP_SO, 6, "so" },
    { NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE, 4, "active" },
    { NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE, 2, "passive" },
  };
  GSList *list = nav_agent_get_local_candidates (p->agent, p->stream_id, 1);
  g_autofree gchar *sdp = nav_agent_generate_local_sdp (p->agent);
  const NavCandidate *udp_srflx = find (list, NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE,
                                        NAV_CANDIDATE_TRANSPORT_UDP);
  g_autoptr (GHashTable) foundations = g_hash_table_new (g_str_hash, g_str_equal);
  gchar buf[NAV_ADDRESS_STRING_LEN];

  g_test_message ("SDP:\n%s", sdp);
  for (GSList *l = list; l != NULL; l = l->next)
    {
      const NavCandidate *c = l->data;
      g_autofree gchar *a = address_string (&c->addr);
      g_autofree gchar *b = address_string (&c->base_addr);

      g_test_message ("local %s %s %s base %s", nav_candidate_type_to_string (c->type),
                      nav_candidate_transport_to_string (c->transport), a, b);
    }
  if (udp)
    {
      g_assert_nonnull (udp_srflx);
      g_assert_cmpstr (ip_of (&udp_srflx->addr, buf), ==, PUBLIC_IP);
    }
  else
    {
      /* ice-udp off: the UDP socket that asked the STUN server is nobody's
       * business. */
      g_assert_null (udp_srflx);
      g_assert_null (find (list, NAV_CANDIDATE_TYPE_HOST, NAV_CANDIDATE_TRANSPORT_UDP));
      g_assert_null (strstr (sdp, " UDP "));
      for (guint i = 0; i < announced->len; i++)
        g_assert_cmpint (((NavCandidate *) g_ptr_array_index (announced, i))->transport, !=,
                         NAV_CANDIDATE_TRANSPORT_UDP);
    }
  g_assert_cmpuint (count_type (list, NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE), ==,
                    G_N_ELEMENTS (kinds) + (udp ? 1 : 0));
  for (GSList *l = list; l != NULL; l = l->next)
    {
      const NavCandidate *c = l->data;

      g_assert_false (g_hash_table_contains (foundations, c->foundation));
      g_hash_table_add (foundations, (gpointer) c->foundation);
    }

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      const NavCandidate *host = find (list, NAV_CANDIDATE_TYPE_HOST, kinds[k].transport);
      const NavCandidate *srflx = find (list, NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE,
                                        kinds[k].transport);
      g_autofree gchar *line = NULL;
      g_autofree gchar *host_str = NULL;
      g_autofree gchar *srflx_str = NULL;
      gboolean was_announced = FALSE;
      guint local_pref;

      g_assert_nonnull (host);
      g_assert_nonnull (srflx);
      host_str = address_string (&host->addr);
      srflx_str = address_string (&srflx->addr);
      g_test_message ("%s: host %s, srflx %s (priority %u, foundation %s)", kinds[k].tcptype,
                      host_str, srflx_str, srflx->priority, srflx->foundation);
      g_assert_cmpstr (ip_of (&srflx->addr, buf), ==, PUBLIC_IP);
      g_assert_cmpuint (nav_address_get_port (&srflx->addr), ==,
                        nav_address_get_port (&host->addr));
      g_assert_true (nav_address_equal (&srflx->base_addr, &host->addr));
      g_assert_true (nav_address_equal (&srflx->related_addr, &host->addr));
      g_assert_true (srflx->owner == host->owner);
      g_assert_cmpuint (srflx->priority >> 24, ==, 50);
      local_pref = (srflx->priority >> 8) & 0xffff;
      g_assert_cmpuint (local_pref >> 13, ==, kinds[k].direction);
      g_assert_cmpuint (local_pref & 0x1fff, ==, (host->priority >> 8) & 0x1fff);
      g_assert_cmpuint (srflx->priority, <, host->priority);
      if (udp)
        g_assert_cmpuint (srflx->priority, <, udp_srflx->priority);

      for (guint i = 0; i < announced->len; i++)
        {
          NavCandidate *a = g_ptr_array_index (announced, i);

          if (a->type == srflx->type && a->transport == srflx->transport &&
              nav_address_equal (&a->addr, &srflx->addr))
            was_announced = TRUE;
        }
      g_assert_true (was_announced);
      line = g_strdup_printf (" TCP %u " PUBLIC_IP " %u typ srflx raddr " NATED_IP
                              " rport %u tcptype %s", srflx->priority,
                              nav_address_get_port (&srflx->addr),
                              nav_address_get_port (&host->addr), kinds[k].tcptype);
      g_assert_nonnull (strstr (sdp, line));
    }
  g_slist_free_full (list, (GDestroyNotify) nav_candidate_free);
}

/* The NATed agent gathers, with @udp, and check_tcp_srflx() holds. */
static void
gathered_case (gboolean udp)
{
  g_autoptr (GPtrArray) announced =
    g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
  Peer p;

  if (!need_lab ())
    return;
  gather (&p, NATED_IP, udp, NAV_AGENT_OPTION_NONE, FALSE, announced);
  check_tcp_srflx (&p, announced, udp);
  peer_clear (&p);
}

static void
test_gathered (void)
{
  gathered_case (TRUE);
}

/* ice-udp off: the agent still asks the STUN server over UDP, from a
 * socket it offers nowhere, so that TCP gets its srflx candidates. */
static void
test_gathered_without_udp (void)
{
  gathered_case (FALSE);
}

/* RFC 8445 §5.1.3: not translated, the srflx candidates equal their
 * bases and are dropped, TCP ones too. */
static void
test_redundant (void)
{
  Peer p;
  GSList *list;

  if (!need_lab ())
    return;
  gather (&p, PLAIN_IP, TRUE, NAV_AGENT_OPTION_NONE, FALSE, NULL);
  list = nav_agent_get_local_candidates (p.agent, p.stream_id, 1);
  g_assert_cmpuint (count_type (list, NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE), ==, 0);
  g_assert_nonnull (find (list, NAV_CANDIDATE_TYPE_HOST, NAV_CANDIDATE_TRANSPORT_TCP_SO));
  g_slist_free_full (list, (GDestroyNotify) nav_candidate_free);
  peer_clear (&p);
}

/* A lite agent gathers host candidates only (RFC 8445 §2.5); force-relay
 * offers relayed ones only. */
static void
test_lite_and_relay_only (void)
{
  for (guint round = 0; round < 2; round++)
    {
      g_autoptr (GPtrArray) announced =
        g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
      Peer p;
      GSList *list;

      if (!need_lab ())
        return;
      gather (&p, NATED_IP, round == 0 ? FALSE : TRUE,
              round == 0 ? NAV_AGENT_OPTION_LITE_MODE : NAV_AGENT_OPTION_NONE, round == 1,
              announced);
      list = nav_agent_get_local_candidates (p.agent, p.stream_id, 1);
      g_assert_cmpuint (count_type (list, NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE), ==, 0);
      for (guint i = 0; i < announced->len; i++)
        g_assert_cmpint (((NavCandidate *) g_ptr_array_index (announced, i))->type, !=,
                         NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE);
      g_slist_free_full (list, (GDestroyNotify) nav_candidate_free);
      peer_clear (&p);
    }
}

/* Whether any TCP socket of the namespace is bound to @ip (hex as in
 * /proc/net/tcp: the address in network order, printed as a host
 * integer). */
static gboolean
tcp_socket_on (const gchar *ip)
{
  g_autoptr (NavAddress) a = nav_address_new_from_string (ip, NULL);
  g_autofree gchar *contents = NULL;
  g_auto (GStrv) lines = NULL;
  struct sockaddr_in sin;
  gchar hex[16];

  g_assert_true (nav_address_copy_to_sockaddr (a, (struct sockaddr *) &sin, sizeof sin) > 0);
  g_snprintf (hex, sizeof hex, "%08X:", (guint) sin.sin_addr.s_addr);
  g_assert_true (g_file_get_contents ("/proc/net/tcp", &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto (GStrv) f = g_strsplit_set (g_strstrip (lines[i]), " ", -1);

      if (g_strv_length (f) > 1 && g_str_has_prefix (f[1], hex))
        return TRUE;
    }
  return FALSE;
}

static gboolean
both_received (gpointer data)
{
  Peer *p = data;

  return p[0].received->len > 0 && p[1].received->len > 0;
}

/* The NATed agent, with srflx TCP candidates, and a plain one connect
 * over TCP with data both ways; its srflx candidates are checked from
 * their bases (RFC 8445 §6.1.2.4): no socket of the namespace is ever
 * bound to the NAT's address. */
static void
test_connect (void)
{
  Peer p[2];
  GSList *list;

  if (!need_lab ())
    return;
  gather (&p[0], NATED_IP, FALSE, NAV_AGENT_OPTION_NONE, FALSE, NULL);
  gather (&p[1], PLAIN_IP, FALSE, NAV_AGENT_OPTION_NONE, FALSE, NULL);
  g_object_set (p[0].agent, "controlling-mode", TRUE, NULL);
  g_object_set (p[1].agent, "controlling-mode", FALSE, NULL);
  list = nav_agent_get_local_candidates (p[0].agent, p[0].stream_id, 1);
  g_assert_cmpuint (count_type (list, NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE), ==, 3);
  g_slist_free_full (list, (GDestroyNotify) nav_candidate_free);
  tcp_peer_exchange (&p[0], &p[1]);
  tcp_peer_exchange (&p[1], &p[0]);
  wait_for (peers_ready, p);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpint (p[i].selected_local->transport, !=, NAV_CANDIDATE_TRANSPORT_UDP);
      g_assert_cmpint (nav_agent_send (p[i].agent, p[i].stream_id, 1, 5, "hello"), ==, 5);
    }
  wait_for (both_received, p);
  g_assert_false (tcp_socket_on (PUBLIC_IP));
  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* -------------------------------------------------- the checker's pairs */

/* RFC 8445 §6.1.2.4: a srflx TCP candidate is paired as its base, so it
 * adds no pair of its own; the pairs are those of the host candidates
 * (RFC 6544 §6.2 rules: active with passive, S-O with S-O, passive
 * pruned). */
static void
test_pairing (void)
{
  g_autoptr (GPtrArray) pairs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (NavChecker) checker = pair_checker_new (pairs);
  const struct {
    NavCandidateType type;
    NavCandidateTransport transport;
    const gchar *address, *base, *foundation;
  } locals[] = {
    { NAV_CANDIDATE_TYPE_HOST, NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE, "10.0.0.1:9", "10.0.0.1:9", "HA" },
    { NAV_CANDIDATE_TYPE_HOST, NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE, "10.0.0.1:40001", "10.0.0.1:40001", "HP" },
    { NAV_CANDIDATE_TYPE_HOST, NAV_CANDIDATE_TRANSPORT_TCP_SO, "10.0.0.1:40002", "10.0.0.1:40002", "HS" },
    { NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE, NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE, "192.0.2.1:9", "10.0.0.1:9", "XA" },
    { NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE, NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE, "192.0.2.1:40001", "10.0.0.1:40001", "XP" },
    { NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE, NAV_CANDIDATE_TRANSPORT_TCP_SO, "192.0.2.1:40002", "10.0.0.1:40002", "XS" },
  }, remotes[] = {
    { NAV_CANDIDATE_TYPE_HOST, NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE, "10.0.1.1:9", "10.0.1.1:9", "RA" },
    { NAV_CANDIDATE_TYPE_HOST, NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE, "10.0.1.1:50001", "10.0.1.1:50001", "RP" },
    { NAV_CANDIDATE_TYPE_HOST, NAV_CANDIDATE_TRANSPORT_TCP_SO, "10.0.1.1:50002", "10.0.1.1:50002", "RS" },
    { NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE, NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE, "198.51.100.1:50001", "10.0.1.1:50001", "YP" },
    { NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE, NAV_CANDIDATE_TRANSPORT_TCP_SO, "198.51.100.1:50002", "10.0.1.1:50002", "YS" },
  };
  const gchar *expected[] = { "HA>RP", "HA>YP", "HS>RS", "HS>YS" };

  /* Locals first, then remotes; and the other way round (trickle). */
  for (guint round = 0; round < 2; round++)
    {
      g_autofree gchar *label = g_strdup_printf ("round %u: ", round);

      g_ptr_array_set_size (pairs, 0);
      nav_checker_remove_stream (checker, 1);
      for (guint pass = 0; pass < 2; pass++)
        {
          gboolean local = (pass == 0) == (round == 0);

          for (guint i = 0; i < (local ? G_N_ELEMENTS (locals) : G_N_ELEMENTS (remotes)); i++)
            {
              g_autoptr (NavCandidate) c = local
                ? test_candidate_new (locals[i].type, locals[i].transport, locals[i].address,
                                      locals[i].base, locals[i].foundation)
                : test_candidate_new (remotes[i].type, remotes[i].transport,
                                      remotes[i].address, remotes[i].base,
                                      remotes[i].foundation);

              if (local)
                nav_checker_add_local_candidate (checker, c);
              else
                nav_checker_add_remote_candidate (checker, c);
            }
        }
      assert_pairs (pairs, expected, G_N_ELEMENTS (expected), label);
    }
}

int
main (int    argc,
      char **argv)
{
  int ret;

  /* Before GLib starts any thread. */
  no_lab = make_lab ();
  g_test_init (&argc, &argv, NULL);
  if (no_lab != NULL)
    g_test_message ("no namespace: %s", no_lab);

  g_test_add_func ("/ice-tcp-srflx/pairing", test_pairing);
  g_test_add_func ("/ice-tcp-srflx/gathered", test_gathered);
  g_test_add_func ("/ice-tcp-srflx/gathered-without-udp", test_gathered_without_udp);
  g_test_add_func ("/ice-tcp-srflx/redundant", test_redundant);
  g_test_add_func ("/ice-tcp-srflx/lite-and-relay-only", test_lite_and_relay_only);
  g_test_add_func ("/ice-tcp-srflx/connect", test_connect);
  ret = g_test_run ();
  if (stun_server != NULL)
    nav_server_stop (stun_server);
  g_clear_object (&stun_server);
  return ret;
}
