/* nav-demo: what NetAvanue can do so far, end to end on this machine
 *
 * Loads the registry and its modules, gathers the host candidates of one
 * component, carries datagrams between two UDP transports, then connects
 * two NavAgents with ICE and carries datagrams between them, printing each
 * step: candidates, checks, states, the selected pair, setup time and
 * throughput.  Unless --stun/--turn name external servers, it starts a
 * STUN and a TURN server in-process on 127.0.0.1 (through the registry,
 * like any other implementation) and points the agents at them.
 *
 * With --signal ws://HOST:PORT --room NAME it runs one agent instead,
 * which meets the peer that joins the same room of a signaling server
 * (nav-server --signaling), connects to it, exchanges datagrams both ways
 * and prints the selected path.
 *
 * With --secure or --datachannel it shows NavPeerConnection instead
 * (nav-demo-pc.c): DTLS-encrypted datagrams or a WebRTC data channel,
 * between two connections in-process or, with --signal, with a peer met
 * in a room (another nav-demo, or the browser page nav-server
 * --signaling serves at /demo).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <glib/gi18n.h>
#include <netavanue/netavanue.h>

#include "nav-tool-i18n.h"

#include "nav-demo-pc.h"
#include "nav-demo-discover.h"
#include "nav-demo-group.h"

typedef struct {
  GMainLoop *loop;
  GPtrArray *candidates;
  gboolean gathering_done;
  guint received;
  guint expected;
  gint64 first_send_us;
  gint64 last_receive_us;
  guint64 bytes;
} Demo;

static gboolean opt_loopback = FALSE;
static gint opt_count = 1000;
static gint opt_size = 1200;
static gchar *opt_stun = NULL;
static gchar *opt_turn = NULL;
static gchar *opt_turn_user = NULL;
static gchar *opt_turn_password = NULL;
static gboolean opt_relay_only = FALSE;
static gchar *opt_signal = NULL;
static gchar *opt_room = NULL;
static gint opt_timeout = 30;
static gboolean opt_verbose = FALSE;
/* Peer connection options (nav-demo-pc.c) */
static gboolean opt_secure = FALSE;
static gboolean opt_datachannel = FALSE;
static gboolean opt_discover = FALSE;
static gchar *opt_dht = NULL;

static const GOptionEntry entries[] = {
  { "loopback", 'l', 0, G_OPTION_ARG_NONE, &opt_loopback,
    N_("Include loopback addresses in the host candidates"), NULL },
  { "count", 'c', 0, G_OPTION_ARG_INT, &opt_count,
    N_("Number of datagrams to send between the transports (default 1000)"), N_("N") },
  { "size", 's', 0, G_OPTION_ARG_INT, &opt_size,
    N_("Size of each datagram in bytes (default 1200)"), N_("BYTES") },
  { "stun", 0, 0, G_OPTION_ARG_STRING, &opt_stun,
    N_("STUN server of the two agents, for server-reflexive candidates"), N_("IP:PORT") },
  { "turn", 0, 0, G_OPTION_ARG_STRING, &opt_turn,
    N_("TURN server (UDP) of the two agents, for relayed candidates"), N_("IP:PORT") },
  { "turn-user", 0, 0, G_OPTION_ARG_STRING, &opt_turn_user,
    N_("TURN username"), N_("NAME") },
  { "turn-password", 0, 0, G_OPTION_ARG_STRING, &opt_turn_password,
    N_("TURN password"), N_("PASSWORD") },
  { "relay-only", 0, 0, G_OPTION_ARG_NONE, &opt_relay_only,
    N_("Offer and check relayed candidates only (through --turn, or the embedded TURN server)"), NULL },
  { "signal", 0, 0, G_OPTION_ARG_STRING, &opt_signal,
    N_("Run one agent and meet the peer through this signaling server"), N_("ws://HOST:PORT") },
  { "room", 0, 0, G_OPTION_ARG_STRING, &opt_room,
    N_("The signaling room to join (with --signal)"), N_("NAME") },
  { "timeout", 't', 0, G_OPTION_ARG_INT, &opt_timeout,
    N_("Seconds to wait for gathering, connection and data (default 30)"), N_("SECONDS") },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
    N_("Show the embedded servers' log lines"), NULL },
  { "discover", 0, 0, G_OPTION_ARG_NONE, &opt_discover,
    N_("Find another nav-demo --discover on the LAN (mDNS/DNS-SD) and connect, with no server"), NULL },
  { "dht", 0, 0, G_OPTION_ARG_STRING, &opt_dht,
    N_("Meet the peer in a room of the DHT through these bootstrap nodes (- for none)"), N_("HOST:PORT,…") },
  { NULL }
};

/* The peer connection options, a group of their own. */
static const GOptionEntry pc_entries[] = {
  { "secure", 0, 0, G_OPTION_ARG_NONE, &opt_secure,
    N_("Connect with NavPeerConnection: DTLS-encrypted datagrams, the cipher suite and both "
       "certificates' fingerprints printed (two in this process, or one with --signal)"), NULL },
  { "datachannel", 0, 0, G_OPTION_ARG_NONE, &opt_datachannel,
    N_("Connect with NavPeerConnection and exchange messages on a WebRTC data channel (two in this "
       "process, or one with --signal: another nav-demo, or the browser page of nav-server "
       "--signaling at /demo)"), NULL },
  { NULL }
};

static void
print_modules (NavRegistry *registry)
{
  GList *modules = nav_registry_list_modules (registry), *l;
  guint loaded = 0, failed = 0;

  g_print (_("Modules:\n"));
  for (l = modules; l; l = l->next)
    {
      NavModuleInfo *info = l->data;

      if (nav_module_info_get_loaded (info))
        {
          loaded++;
          g_print ("  %-12s %s\n", nav_module_info_get_name (info),
                   nav_module_info_get_description (info));
        }
      else
        {
          failed++;
          g_print (_("  %-12s FAILED: %s\n"), nav_module_info_get_name (info),
                   nav_module_info_get_error (info));
        }
    }
  g_print (_("  %u loaded, %u failed\n\n"), loaded, failed);
  g_list_free_full (modules, g_object_unref);
}

static void
on_candidate_gathered (NavGatherer  *gatherer,
                       NavCandidate *candidate,
                       Demo         *demo)
{
  g_autofree gchar *text = nav_candidate_to_string (candidate);

  g_print ("  %s\n", text);
  g_ptr_array_add (demo->candidates, nav_candidate_copy (candidate));
}

static void
on_gathering_done (NavGatherer *gatherer,
                   guint        stream_id,
                   guint        component_id,
                   Demo        *demo)
{
  demo->gathering_done = TRUE;
  g_main_loop_quit (demo->loop);
}

static void
on_received (NavTransport     *transport,
             const guint8     *data,
             gsize             len,
             const NavAddress *from,
             gpointer          user_data)
{
  Demo *demo = user_data;

  demo->received++;
  demo->bytes += len;
  demo->last_receive_us = g_get_monotonic_time ();
  if (demo->received == demo->expected)
    g_main_loop_quit (demo->loop);
}

/* 4. Two agents */

typedef struct {
  const gchar *name;
  NavAgent *agent;
  guint stream;
  gboolean gathered;
  NavComponentState state;
  guint received;
  guint64 bytes;
  gint64 last_receive_us;
  gchar *gathering_error;       /* the last ::gathering-error, to say why */
  guint n_candidates;           /* announced: what the peer will be offered */
} DemoPeer;

static const gchar *
state_name (NavComponentState state)
{
  static const gchar *names[] = {
    "disconnected", "gathering", "connecting", "connected", "ready", "failed"
  };

  return state < G_N_ELEMENTS (names) ? names[state] : "?";
}

static void
on_agent_candidate (NavAgent     *agent,
                    NavCandidate *candidate,
                    DemoPeer     *peer)
{
  g_autofree gchar *line = nav_agent_generate_local_candidate_sdp (agent, candidate);

  peer->n_candidates++;
  g_print ("  %s: %s\n", peer->name, line);
}

static void
on_agent_gathered (NavAgent *agent,
                   guint     stream_id,
                   DemoPeer *peer)
{
  peer->gathered = TRUE;
}

static void
on_agent_state (NavAgent *agent,
                guint     stream_id,
                guint     component_id,
                guint     state,
                DemoPeer *peer)
{
  peer->state = state;
  g_print (_("  %s: component %u %s\n"), peer->name, component_id, state_name (state));
}

static void
on_agent_selected (NavAgent     *agent,
                   guint         stream_id,
                   guint         component_id,
                   NavCandidate *local,
                   NavCandidate *remote,
                   DemoPeer     *peer)
{
  gchar a[NAV_ADDRESS_STRING_LEN], b[NAV_ADDRESS_STRING_LEN];

  g_print (_("  %s: selected pair %s (%s) → %s (%s)\n"), peer->name,
           nav_address_to_string_buf (&local->addr, a),
           nav_candidate_type_to_string (local->type),
           nav_address_to_string_buf (&remote->addr, b),
           nav_candidate_type_to_string (remote->type));
}

static void
on_agent_recv (NavAgent *agent,
               guint     stream_id,
               guint     component_id,
               guint     len,
               gchar    *buf,
               gpointer  user_data)
{
  DemoPeer *peer = user_data;

  peer->received++;
  peer->bytes += len;
  peer->last_receive_us = g_get_monotonic_time ();
}

static gboolean
split_host_port (const gchar *text,
                 gchar      **host,
                 guint       *port)
{
  g_autoptr (NavAddress) address = nav_address_new_from_string (text, NULL);

  if (address == NULL)
    return FALSE;
  *host = nav_address_ip_to_string (address);
  *port = nav_address_get_port (address);
  return *port != 0;
}

static gboolean
iterate_until (DemoPeer *peers,
               gboolean  (*done) (DemoPeer *peers),
               guint     seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (!done (peers))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      if (!g_main_context_pending (NULL))
        g_usleep (500);
    }
  return TRUE;
}

static gboolean
both_gathered (DemoPeer *p)
{
  return p[0].gathered && p[1].gathered;
}

static gboolean
both_ready (DemoPeer *p)
{
  return (p[0].state == NAV_COMPONENT_STATE_READY && p[1].state == NAV_COMPONENT_STATE_READY) ||
         p[0].state == NAV_COMPONENT_STATE_FAILED || p[1].state == NAV_COMPONENT_STATE_FAILED;
}

static gboolean
all_received (DemoPeer *p)
{
  return p[0].received >= (guint) opt_count && p[1].received >= (guint) opt_count;
}

/* The first check the agent answers, and peer-reflexive candidates learned
 * from checks (RFC 8445 §7.3.1.3): the checks as they go. */
static void
on_agent_first_check (NavAgent *agent,
                      guint     stream_id,
                      DemoPeer *peer)
{
  g_print (_("  %s: first connectivity check received from the peer\n"), peer->name);
}

static void
on_agent_remote_candidate (NavAgent     *agent,
                           NavCandidate *candidate,
                           DemoPeer     *peer)
{
  gchar a[NAV_ADDRESS_STRING_LEN];

  g_print (_("  %s: remote candidate learned from a check: %s (%s)\n"), peer->name,
           nav_address_to_string_buf (&candidate->addr, a),
           nav_candidate_type_to_string (candidate->type));
}

/* A STUN or TURN server gave no candidate: say so at once, and keep
 * the reason for the end, should the agents not connect. */
static void
on_agent_gathering_error (NavAgent     *agent,
                          guint         stream_id,
                          guint         component_id,
                          const GError *error,
                          DemoPeer     *peer)
{
  g_printerr (_("  %s: %s\n"), peer->name, error->message);
  g_free (peer->gathering_error);
  peer->gathering_error = g_strdup (error->message);
}

/* Why a peer did not connect, for the user: the server's error when one
 * failed, else the state the checks ended in.  Free with g_free(). */
static gchar *
why_not_connected (DemoPeer *p)
{
  if (p->gathering_error != NULL)
    return g_strdup (p->gathering_error);
  if (p->gathered && p->n_candidates == 0)
    return g_strdup (_("no candidate was gathered"));
  if (p->state == NAV_COMPONENT_STATE_FAILED)
    return g_strdup (_("no candidate pair works (every connectivity check failed)"));
  if (!p->gathered)
    return g_strdup (_("gathering its candidates did not finish"));
  return g_strdup_printf (_("the connectivity checks did not finish in time (state %s)"),
                          state_name (p->state));
}

static void
connect_peer_signals (DemoPeer *p)
{
  g_signal_connect (p->agent, "new-candidate-full", G_CALLBACK (on_agent_candidate), p);
  g_signal_connect (p->agent, "candidate-gathering-done", G_CALLBACK (on_agent_gathered), p);
  g_signal_connect (p->agent, "component-state-changed", G_CALLBACK (on_agent_state), p);
  g_signal_connect (p->agent, "new-selected-pair-full", G_CALLBACK (on_agent_selected), p);
  g_signal_connect (p->agent, "initial-binding-request-received",
                    G_CALLBACK (on_agent_first_check), p);
  g_signal_connect (p->agent, "new-remote-candidate-full",
                    G_CALLBACK (on_agent_remote_candidate), p);
  g_signal_connect (p->agent, "gathering-error", G_CALLBACK (on_agent_gathering_error), p);
}

/* Prints "NAME: path LOCAL (TYPE) → REMOTE (TYPE)" from the agent's
 * current selected pair; FALSE when there is none. */
static gboolean
print_selected_path (DemoPeer *p)
{
  NavCandidate *local = NULL, *remote = NULL;
  gchar a[NAV_ADDRESS_STRING_LEN], b[NAV_ADDRESS_STRING_LEN];

  if (!nav_agent_get_selected_pair (p->agent, p->stream, 1, &local, &remote))
    {
      g_print (_("  %s: no selected pair\n"), p->name);
      return FALSE;
    }
  g_print (_("  %s: path %s (%s) → %s (%s)\n"), p->name,
           nav_address_to_string_buf (&local->addr, a),
           nav_candidate_type_to_string (local->type),
           nav_address_to_string_buf (&remote->addr, b),
           nav_candidate_type_to_string (remote->type));
  nav_candidate_free (local);
  nav_candidate_free (remote);
  return TRUE;
}

/* Embedded servers */

typedef struct {
  GObject *stun;
  GObject *turn;
  gchar *stun_host;
  guint stun_port;
  gchar *turn_host;
  guint turn_port;
  gchar *turn_user;
  gchar *turn_password;
} Servers;

static void
servers_clear (Servers *s)
{
  if (s->stun != NULL)
    nav_server_stop (NAV_SERVER (s->stun));
  if (s->turn != NULL)
    nav_server_stop (NAV_SERVER (s->turn));
  g_clear_object (&s->stun);
  g_clear_object (&s->turn);
  g_clear_pointer (&s->stun_host, g_free);
  g_clear_pointer (&s->turn_host, g_free);
  g_clear_pointer (&s->turn_user, g_free);
  g_clear_pointer (&s->turn_password, g_free);
}

/* A UDP port of 127.0.0.1 nobody holds right now. */
static guint
free_udp_port (void)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                             G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  if (socket == NULL || !g_socket_bind (socket, any, FALSE, NULL))
    return 0;
  bound = g_socket_get_local_address (socket, NULL);
  return bound != NULL ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)) : 0;
}

/* The embedded servers log each event as a daemon would; the demo prints
 * its own lines instead unless --verbose. */
static void
quiet_log (const gchar    *domain,
           GLogLevelFlags  level,
           const gchar    *message,
           gpointer        user_data)
{
}

static gboolean
has_property (GObject     *object,
              const gchar *name)
{
  return g_object_class_find_property (G_OBJECT_GET_CLASS (object), name) != NULL;
}

static gboolean
start_stun_server (NavRegistry *registry,
                   Servers     *s,
                   GError     **error)
{
  s->stun = nav_registry_create (registry, NAV_SERVER_EXTENSION_POINT_NAME, "stun", error,
                                 "listening-ip", "127.0.0.1",
                                 "listening-port", 0,
                                 NULL);
  if (s->stun == NULL || !nav_server_start (NAV_SERVER (s->stun), error))
    return FALSE;
  g_object_get (s->stun, "port", &s->stun_port, NULL);
  s->stun_host = g_strdup ("127.0.0.1");
  return s->stun_port != 0;
}

static gboolean
start_turn_server (NavRegistry *registry,
                   Servers     *s,
                   GError     **error)
{
  g_autofree gchar *user_line = NULL;
  guint attempt;

  s->turn_user = g_strdup ("demo");
  s->turn_password = g_strdup_printf ("%08x%08x", g_random_int (), g_random_int ());
  user_line = g_strdup_printf ("%s:%s", s->turn_user, s->turn_password);

  /* The TURN server does not tell the port it bound for listening-port 0:
   * pick a free one, and pick again in the unlikely case someone takes it
   * in between. */
  for (attempt = 0; attempt < 10; attempt++)
    {
      const gchar *users[] = { user_line, NULL };
      g_autoptr (GError) local_error = NULL;
      guint port = free_udp_port ();

      g_clear_object (&s->turn);
      s->turn = nav_registry_create (registry, NAV_SERVER_EXTENSION_POINT_NAME, "turn", error,
                                     "listening-ip", "127.0.0.1",
                                     "listening-port", port,
                                     "relay-ip", "127.0.0.1",
                                     "no-tcp", TRUE,
                                     "no-tls", TRUE,
                                     "lt-cred-mech", TRUE,
                                     "realm", "netavanue.demo",
                                     "users", users,
                                     "allow-loopback-peers", TRUE,
                                     NULL);
      if (s->turn == NULL)
        return FALSE;
      if (nav_server_start (NAV_SERVER (s->turn), &local_error))
        {
          s->turn_port = port;
          if (has_property (s->turn, "port"))
            g_object_get (s->turn, "port", &s->turn_port, NULL);
          s->turn_host = g_strdup ("127.0.0.1");
          return TRUE;
        }
      if (attempt == 9)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  return FALSE;
}

static void
print_server_stats (const gchar *what,
                    GObject     *server)
{
  g_autoptr (GVariant) stats = NULL;
  g_autoptr (GString) line = g_string_new (NULL);
  GVariantIter iter;
  const gchar *key;
  guint64 value;

  if (server == NULL)
    return;
  stats = nav_server_get_stats (NAV_SERVER (server));
  if (stats == NULL)
    return;
  g_variant_iter_init (&iter, stats);
  while (g_variant_iter_next (&iter, "{&st}", &key, &value))
    if (value != 0)
      g_string_append_printf (line, " %s=%" G_GUINT64_FORMAT, key, value);
  g_print (_("  %s:%s\n"), what, line->len > 0 ? line->str : _(" (nothing counted)"));
}

static gboolean
run_agents (NavRegistry  *registry,
            const guint8 *payload)
{
  DemoPeer peers[2] = { { .name = "A" }, { .name = "B" } };
  Servers servers = { 0 };
  g_autoptr (GError) error = NULL;
  const gchar *stun_host = NULL, *turn_host = NULL, *turn_user, *turn_password;
  guint stun_port = 0, turn_port = 0, i;
  gboolean embedded;
  gint64 start_us, ready_us, send_start_us;
  gboolean ok = TRUE;
  guint sent[2] = { 0, 0 };

  if (opt_stun != NULL && !split_host_port (opt_stun, &servers.stun_host, &servers.stun_port))
    {
      g_printerr (_("--stun wants IP:PORT\n"));
      return FALSE;
    }
  if (opt_turn != NULL && !split_host_port (opt_turn, &servers.turn_host, &servers.turn_port))
    {
      g_printerr (_("--turn wants IP:PORT\n"));
      g_free (servers.stun_host);
      return FALSE;
    }
  stun_host = servers.stun_host;
  stun_port = servers.stun_port;
  turn_host = servers.turn_host;
  turn_port = servers.turn_port;
  turn_user = opt_turn_user != NULL ? opt_turn_user : "";
  turn_password = opt_turn_password != NULL ? opt_turn_password : "";

  /* Servers of our own on loopback for what the command line did not name */
  embedded = opt_stun == NULL || opt_turn == NULL;
  if (embedded)
    {
      Servers own = { 0 };

      g_print (_("Embedded servers on 127.0.0.1:\n"));
      if (!opt_verbose)
        {
          g_log_set_handler ("nav-stun", G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO, quiet_log, NULL);
          g_log_set_handler ("nav-turn", G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO, quiet_log, NULL);
        }
      if (opt_stun == NULL)
        {
          if (!start_stun_server (registry, &own, &error))
            {
              g_printerr (_("Cannot start the embedded STUN server: %s\n"),
                          error != NULL ? error->message : _("no port"));
              servers_clear (&own);
              servers_clear (&servers);
              return FALSE;
            }
          g_print (_("  STUN server %s:%u\n"), own.stun_host, own.stun_port);
        }
      if (opt_turn == NULL)
        {
          if (!start_turn_server (registry, &own, &error))
            {
              g_printerr (_("Cannot start the embedded TURN server: %s\n"), error->message);
              servers_clear (&own);
              servers_clear (&servers);
              return FALSE;
            }
          g_print (_("  TURN server %s:%u (UDP, long-term credentials, user %s, realm %s)\n"),
                   own.turn_host, own.turn_port, own.turn_user, "netavanue.demo");
        }
      g_print ("\n");
      if (own.stun != NULL)
        {
          servers.stun = g_steal_pointer (&own.stun);
          g_free (servers.stun_host);
          servers.stun_host = g_steal_pointer (&own.stun_host);
          stun_host = servers.stun_host;
          stun_port = own.stun_port;
        }
      if (own.turn != NULL)
        {
          servers.turn = g_steal_pointer (&own.turn);
          g_free (servers.turn_host);
          servers.turn_host = g_steal_pointer (&own.turn_host);
          servers.turn_user = g_steal_pointer (&own.turn_user);
          servers.turn_password = g_steal_pointer (&own.turn_password);
          turn_host = servers.turn_host;
          turn_port = own.turn_port;
          turn_user = servers.turn_user;
          turn_password = servers.turn_password;
        }
      servers_clear (&own);
    }

  g_print (_("Two agents (A controlling, B controlled) on this machine%s:\n"),
           opt_relay_only ? _(", relayed candidates only") : "");
  start_us = g_get_monotonic_time ();
  for (i = 0; i < 2; i++)
    {
      DemoPeer *p = &peers[i];

      p->agent = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC8445);
      g_object_set (p->agent, "controlling-mode", i == 0, "force-relay", opt_relay_only, NULL);
      g_object_set (p->agent, "stun-server", stun_host, "stun-server-port", stun_port, NULL);
      /* our own servers only listen on loopback: so do the agents */
      if (opt_loopback || embedded)
        {
          g_autoptr (NavAddress) lo = nav_address_new_from_string ("127.0.0.1", NULL);

          nav_agent_add_local_address (p->agent, lo);
        }
      p->stream = nav_agent_add_stream (p->agent, 1);
      nav_agent_set_relay_info (p->agent, p->stream, 1, turn_host, turn_port,
                                turn_user, turn_password, NAV_RELAY_TYPE_TURN_UDP);
      connect_peer_signals (p);
      nav_agent_attach_recv (p->agent, p->stream, 1, NULL, on_agent_recv, p);
      nav_agent_gather_candidates (p->agent, p->stream);
    }
  if (!iterate_until (peers, both_gathered, opt_timeout))
    {
      g_printerr (_("Gathering did not finish\n"));
      ok = FALSE;
      goto out;
    }
  /* Nothing to offer (relay-only and the TURN server refused, say): no
   * check can succeed, so say why now rather than after --timeout. */
  for (i = 0; i < 2; i++)
    if (peers[i].n_candidates == 0)
      {
        g_autofree gchar *why = why_not_connected (&peers[i]);

        g_printerr (_("The agents cannot connect: %s has no candidate: %s\n"), peers[i].name, why);
        ok = FALSE;
      }
  if (!ok)
    goto out;
  if (servers.stun != NULL && !opt_relay_only)
    g_print (_("  (on loopback the server-reflexive address is the host address: "
               "the agents prune those srflx candidates, RFC 8445 §5.1.3)\n"));
  g_print (_("  gathering done in %.1f ms; checks:\n"),
           (g_get_monotonic_time () - start_us) / 1000.0);
  for (i = 0; i < 2; i++)
    {
      g_autofree gchar *sdp = nav_agent_generate_local_sdp (peers[i].agent);

      nav_agent_parse_remote_sdp (peers[1 - i].agent, sdp);
    }
  if (!iterate_until (peers, both_ready, opt_timeout) ||
      peers[0].state != NAV_COMPONENT_STATE_READY || peers[1].state != NAV_COMPONENT_STATE_READY)
    {
      for (i = 0; i < 2; i++)
        if (peers[i].state != NAV_COMPONENT_STATE_READY)
          {
            g_autofree gchar *why = why_not_connected (&peers[i]);

            g_printerr (_("The agents did not connect: %s: %s\n"), peers[i].name, why);
          }
      ok = FALSE;
      goto out;
    }
  ready_us = g_get_monotonic_time ();
  g_print (_("  setup (gather → both ready): %.1f ms\n"), (ready_us - start_us) / 1000.0);
  for (i = 0; i < 2; i++)
    if (!print_selected_path (&peers[i]))
      ok = FALSE;

  send_start_us = g_get_monotonic_time ();
  for (i = 0; i < (guint) opt_count * 2; i++)
    {
      DemoPeer *p = &peers[i % 2];

      if (nav_agent_send (p->agent, p->stream, 1, opt_size, (const gchar *) payload) == opt_size)
        sent[i % 2]++;
      if (i % 64 == 0)
        while (g_main_context_iteration (NULL, FALSE))
          ;
    }
  iterate_until (peers, all_received, 5);
  for (i = 0; i < 2; i++)
    {
      gdouble seconds = MAX (peers[i].last_receive_us - send_start_us, 1) / 1e6;

      g_print (_("  %s received %u of %u datagrams of %d bytes, %.1f Mbit/s\n"),
               peers[i].name, peers[i].received, sent[1 - i], opt_size,
               peers[i].bytes * 8 / seconds / 1e6);
      if (peers[i].received == 0)
        ok = FALSE;
    }

out:
  for (i = 0; i < 2; i++)
    {
      g_clear_object (&peers[i].agent);
      g_clear_pointer (&peers[i].gathering_error, g_free);
    }
  if (servers.stun != NULL || servers.turn != NULL)
    {
      g_print (_("Embedded servers' counters:\n"));
      print_server_stats (_("STUN server"), servers.stun);
      print_server_stats (_("TURN server"), servers.turn);
    }
  servers_clear (&servers);
  return ok;
}

/* 5. One agent, the peer met through a signaling server */

typedef struct {
  DemoPeer peer;
  GMainLoop *loop;
  NavSignalingClient *client;
  NavSignalingSession *session;
  guint8 *payload;
  gint64 start_us;
  gint64 negotiated_us;
  gint64 ready_us;
  guint sent;
  gboolean peer_got_ours;
  guint linger;
  gboolean done;
  gint status;
  gchar *peer_id;
  guint tick_id;
  guint timeout_id;
} SignalDemo;

static void
signal_fail (SignalDemo  *demo,
             const gchar *message)
{
  if (demo->done)
    return;
  g_printerr ("%s\n", message);
  demo->done = TRUE;
  demo->status = 1;
  g_main_loop_quit (demo->loop);
}

/* Each datagram starts with "nav-demo SEQ GOT", GOT being 1 once this side
 * has received something from the peer: both sides know when data went
 * both ways. */
static void
on_signal_recv (NavAgent *agent,
                guint     stream_id,
                guint     component_id,
                guint     len,
                gchar    *buf,
                gpointer  user_data)
{
  SignalDemo *demo = user_data;
  guint seq, got;
  g_autofree gchar *text = g_strndup (buf, MIN (len, 32));

  demo->peer.received++;
  demo->peer.bytes += len;
  demo->peer.last_receive_us = g_get_monotonic_time ();
  if (sscanf (text, "nav-demo %u %u", &seq, &got) == 2 && got == 1)
    demo->peer_got_ours = TRUE;
}

static gboolean
on_signal_tick (gpointer user_data)
{
  SignalDemo *demo = user_data;
  DemoPeer *p = &demo->peer;
  gint header;

  if (demo->done)
    {
      demo->tick_id = 0;
      return G_SOURCE_REMOVE;
    }
  if (p->gathered && p->n_candidates == 0)
    {
      g_autofree gchar *why = why_not_connected (p);
      g_autofree gchar *message = g_strdup_printf (_("This agent has no candidate: %s"), why);

      signal_fail (demo, message);
      demo->tick_id = 0;
      return G_SOURCE_REMOVE;
    }
  if (p->state == NAV_COMPONENT_STATE_FAILED)
    {
      if (p->gathering_error != NULL)
        {
          g_autofree gchar *message = g_strdup_printf (_("ICE failed: %s"), p->gathering_error);

          signal_fail (demo, message);
        }
      else
        signal_fail (demo, _("ICE failed: no candidate pair works"));
      demo->tick_id = 0;
      return G_SOURCE_REMOVE;
    }
  if (p->state != NAV_COMPONENT_STATE_READY && p->state != NAV_COMPONENT_STATE_CONNECTED)
    return G_SOURCE_CONTINUE;
  if (demo->ready_us == 0)
    demo->ready_us = g_get_monotonic_time ();

  header = g_snprintf ((gchar *) demo->payload, opt_size, "nav-demo %u %u",
                       demo->sent, p->received > 0 ? 1 : 0);
  if (header >= opt_size)
    demo->payload[opt_size - 1] = ' ';
  else
    demo->payload[header] = ' ';
  if (nav_agent_send (p->agent, p->stream, 1, opt_size, (const gchar *) demo->payload) == opt_size)
    demo->sent++;

  /* Done once data went both ways; keep sending a little so the peer
   * learns it too, then stop. */
  if (p->received > 0 && demo->peer_got_ours && ++demo->linger >= 25)
    {
      demo->done = TRUE;
      demo->status = 0;
      g_main_loop_quit (demo->loop);
      demo->tick_id = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_signal_timeout (gpointer user_data)
{
  SignalDemo *demo = user_data;
  g_autofree gchar *message = NULL;
  const gchar *phase;
  g_autofree gchar *why = NULL;

  if (nav_signaling_client_get_peer_id (demo->client) == NULL)
    phase = _("not connected to the signaling server");
  else if (demo->session == NULL || nav_signaling_session_get_remote_peer (demo->session) == NULL)
    phase = _("no peer joined the room");
  else if (demo->ready_us == 0)
    {
      g_autofree gchar *reason = why_not_connected (&demo->peer);

      phase = why = g_strdup_printf (_("the agents did not connect: %s"), reason);
    }
  else
    phase = _("no data came back from the peer");
  message = g_strdup_printf (_("Timed out after %d s: %s"), opt_timeout, phase);
  demo->timeout_id = 0;
  signal_fail (demo, message);
  return G_SOURCE_REMOVE;
}

static void
on_signal_negotiated (NavSignalingSession *session,
                      const gchar         *peer,
                      SignalDemo          *demo)
{
  gboolean controlling = FALSE;

  demo->negotiated_us = g_get_monotonic_time ();
  g_object_get (demo->peer.agent, "controlling-mode", &controlling, NULL);
  g_print (_("  negotiated with peer %s (this agent is %s); checks:\n"), peer,
           controlling ? _("controlling") : _("controlled"));
}

static void
on_signal_bye (NavSignalingSession *session,
               const gchar         *reason,
               SignalDemo          *demo)
{
  g_autofree gchar *message = g_strdup_printf (_("The peer left: %s"),
                                               reason != NULL ? reason : _("no reason given"));

  if (demo->peer.received > 0 && demo->peer_got_ours)
    {
      /* it finished first: so do we */
      demo->done = TRUE;
      demo->status = 0;
      g_main_loop_quit (demo->loop);
      return;
    }
  signal_fail (demo, message);
}

static void
on_signal_server_error (NavSignalingClient *client,
                        gint                code,
                        const gchar        *reason,
                        const gchar        *ref,
                        SignalDemo         *demo)
{
  g_autofree gchar *message = g_strdup_printf (_("Signaling server error %d: %s"), code, reason);

  /* a full room or a refused join ends the demo; others are reported */
  if (code == 409 || code == 401 || code == 403)
    signal_fail (demo, message);
  else
    g_printerr ("%s\n", message);
}

static void
on_signal_connected (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  SignalDemo *demo = user_data;
  g_autoptr (GError) error = NULL;

  if (!nav_signaling_client_connect_finish (demo->client, result, &error))
    {
      g_autofree gchar *message = g_strdup_printf (_("Cannot reach the signaling server: %s"),
                                                   error->message);

      signal_fail (demo, message);
      return;
    }
  if (demo->done)
    return;
  g_free (demo->peer_id);
  demo->peer_id = g_strdup (nav_signaling_client_get_peer_id (demo->client));
  demo->peer.name = demo->peer_id;
  g_print (_("  connected to %s as %s, joining room “%s”\n"), opt_signal,
           demo->peer.name, opt_room);
  demo->session = nav_signaling_session_new (demo->client, demo->peer.agent,
                                             demo->peer.stream, opt_room);
  g_signal_connect (demo->session, "negotiated", G_CALLBACK (on_signal_negotiated), demo);
  g_signal_connect (demo->session, "remote-bye", G_CALLBACK (on_signal_bye), demo);
  if (!nav_signaling_session_start (demo->session, NULL, &error))
    {
      g_autofree gchar *message = g_strdup_printf (_("Cannot join room “%s”: %s"),
                                                   opt_room, error->message);

      signal_fail (demo, message);
    }
}

static gboolean
signal_uri_is_loopback (const gchar *uri)
{
  g_autoptr (GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  const gchar *host = parsed != NULL ? g_uri_get_host (parsed) : NULL;
  g_autoptr (GInetAddress) address = NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

static gboolean
run_signal (void)
{
  SignalDemo demo = { .status = 1 };
  DemoPeer *p = &demo.peer;
  g_autofree gchar *stun_host = NULL, *turn_host = NULL;
  guint stun_port = 0, turn_port = 0;

  if (opt_stun != NULL && !split_host_port (opt_stun, &stun_host, &stun_port))
    {
      g_printerr (_("--stun wants IP:PORT\n"));
      return FALSE;
    }
  if (opt_turn != NULL && !split_host_port (opt_turn, &turn_host, &turn_port))
    {
      g_printerr (_("--turn wants IP:PORT\n"));
      return FALSE;
    }
  if (opt_relay_only && opt_turn == NULL)
    {
      g_printerr (_("--relay-only with --signal needs --turn\n"));
      return FALSE;
    }

  g_print (_("One agent, the peer met in room “%s” of %s:\n"), opt_room, opt_signal);
  demo.loop = g_main_loop_new (NULL, FALSE);
  demo.payload = g_malloc0 (opt_size);
  demo.start_us = g_get_monotonic_time ();
  p->name = "local";
  p->agent = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC8445);
  g_object_set (p->agent, "force-relay", opt_relay_only, NULL);
  if (stun_host != NULL)
    g_object_set (p->agent, "stun-server", stun_host, "stun-server-port", stun_port, NULL);
  /* a server on loopback means both peers are on this machine */
  if (opt_loopback || signal_uri_is_loopback (opt_signal))
    {
      g_autoptr (NavAddress) lo = nav_address_new_from_string ("127.0.0.1", NULL);

      nav_agent_add_local_address (p->agent, lo);
    }
  p->stream = nav_agent_add_stream (p->agent, 1);
  if (turn_host != NULL)
    nav_agent_set_relay_info (p->agent, p->stream, 1, turn_host, turn_port,
                              opt_turn_user != NULL ? opt_turn_user : "",
                              opt_turn_password != NULL ? opt_turn_password : "",
                              NAV_RELAY_TYPE_TURN_UDP);
  connect_peer_signals (p);
  nav_agent_attach_recv (p->agent, p->stream, 1, NULL, on_signal_recv, &demo);

  demo.client = nav_signaling_client_new (opt_signal);
  g_signal_connect (demo.client, "server-error", G_CALLBACK (on_signal_server_error), &demo);
  demo.timeout_id = g_timeout_add_seconds (opt_timeout, on_signal_timeout, &demo);
  demo.tick_id = g_timeout_add (20, on_signal_tick, &demo);
  nav_signaling_client_connect_async (demo.client, NULL, on_signal_connected, &demo);
  g_main_loop_run (demo.loop);
  g_clear_handle_id (&demo.tick_id, g_source_remove);
  g_clear_handle_id (&demo.timeout_id, g_source_remove);

  if (demo.status == 0)
    {
      g_print (_("  setup (start → connected): %.1f ms, of which %.1f ms after the offer/answer "
                 "(the rest is waiting for the peer)\n"),
               (demo.ready_us - demo.start_us) / 1000.0,
               (demo.ready_us - MAX (demo.negotiated_us, demo.start_us)) / 1000.0);
      if (!print_selected_path (p))
        demo.status = 1;
      g_print (_("  sent %u and received %u datagrams of %d bytes: data went both ways\n"),
               demo.sent, p->received, opt_size);
    }

  g_clear_object (&demo.session);
  g_signal_handlers_disconnect_by_data (demo.client, &demo);
  nav_signaling_client_disconnect (demo.client);
  /* let the close handshake go out */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (demo.client);
  g_object_unref (p->agent);
  g_clear_pointer (&p->gathering_error, g_free);
  g_main_loop_unref (demo.loop);
  g_free (demo.payload);
  g_free (demo.peer_id);
  return demo.status == 0;
}

static gboolean
on_timeout (gpointer user_data)
{
  Demo *demo = user_data;

  g_main_loop_quit (demo->loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) option_context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GObject) gatherer = NULL;
  g_autoptr (NavUdpTransport) sender = NULL, receiver = NULL;
  g_autoptr (NavAddress) loopback = NULL;
  g_autofree guint8 *payload = NULL;
  NavRegistry *registry;
  Demo demo = { 0 };
  gchar addr_a[NAV_ADDRESS_STRING_LEN], addr_b[NAV_ADDRESS_STRING_LEN];
  guint timeout_id, sent = 0;
  gint i;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, nav_tool_localedir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  option_context = g_option_context_new (NULL);
  g_option_context_set_summary (option_context,
      _("Shows NetAvanue at work on this machine: modules, host candidates, UDP transport, "
        "and two ICE agents connecting through an embedded STUN and TURN server (or the "
        "servers given).  With --signal and --room, runs one agent that connects to the "
        "peer met in a room of a signaling server.  With --secure or --datachannel "
        "(--help-peer-connection), a NavPeerConnection instead: DTLS, data channels."));
  g_option_context_add_main_entries (option_context, entries, GETTEXT_PACKAGE);
  {
    GOptionGroup *group = g_option_group_new ("peer-connection", _("Peer connection options:"),
                                              _("Show the peer connection options"), NULL, NULL);

    g_option_group_add_entries (group, pc_entries);
    g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
    g_option_context_add_group (option_context, group);
  }
  nav_demo_group_add_options (option_context);
  g_option_context_set_translation_domain (option_context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (option_context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  /* --group N: member processes elect a hub (tools/nav-demo-group.c). */
  if (nav_demo_group_requested ())
    return nav_demo_group_run (argv[0], opt_signal, opt_room, opt_timeout);
  /* --discover and --dht find where to meet, then run as --signal
   * (tools/nav-demo-discover.c). */
  if ((opt_discover || opt_dht != NULL) &&
      !nav_demo_rendezvous (opt_discover, opt_dht, opt_timeout, &opt_signal, &opt_room))
    return 1;
  if (opt_count < 1 || opt_size < 1 || opt_size > 65507)
    {
      g_printerr (_("--count must be positive and --size between 1 and 65507\n"));
      return 2;
    }
  if (opt_size < 32 && opt_signal != NULL)
    {
      g_printerr (_("--size must be at least 32 with --signal\n"));
      return 2;
    }
  if (opt_timeout < 1)
    {
      g_printerr (_("--timeout must be positive\n"));
      return 2;
    }
  if (opt_room != NULL && opt_signal == NULL)
    {
      g_printerr (_("--room needs --signal ws://HOST:PORT\n"));
      return 2;
    }
  if (opt_signal != NULL && (opt_room == NULL || *opt_room == '\0'))
    {
      g_printerr (_("--signal needs --room NAME\n"));
      return 2;
    }

  /* A peer connection: two in this process, or one through a
   * signaling server */
  if (opt_secure || opt_datachannel)
    {
      g_print (_("NetAvanue %s\n\n"), NAV_VERSION_S);
      if (opt_signal != NULL)
        return nav_demo_pc_run_signal (opt_signal, opt_room, opt_datachannel,
                                       opt_loopback || signal_uri_is_loopback (opt_signal),
                                       opt_timeout) ? 0 : 1;
      return nav_demo_pc_run_local (opt_datachannel, MIN (opt_count, 10000),
                                    MIN (opt_size, 1000), opt_timeout) ? 0 : 1;
    }

  /* One agent, one peer through a signaling server */
  if (opt_signal != NULL)
    {
      g_print (_("NetAvanue %s\n\n"), NAV_VERSION_S);
      return run_signal () ? 0 : 1;
    }

  demo.loop = g_main_loop_new (NULL, FALSE);
  demo.candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);

  /* 1. The registry and its modules */
  registry = nav_registry_get_default ();
  g_print (_("NetAvanue %s\n\n"), NAV_VERSION_S);
  print_modules (registry);

  /* 2. Host candidates of stream 1, component 1 */
  gatherer = nav_registry_create (registry, NAV_GATHERER_EXTENSION_POINT_NAME, "host", &error,
                                  "include-loopback", opt_loopback,
                                  NULL);
  if (gatherer == NULL)
    {
      g_printerr (_("Cannot create the host gatherer: %s\n"), error->message);
      return 1;
    }
  g_signal_connect (gatherer, "candidate-gathered", G_CALLBACK (on_candidate_gathered), &demo);
  g_signal_connect (gatherer, "done", G_CALLBACK (on_gathering_done), &demo);
  g_print (_("Host candidates (stream 1, component 1):\n"));
  nav_gatherer_gather (NAV_GATHERER (gatherer), 1, 1, NULL);
  timeout_id = g_timeout_add_seconds (10, on_timeout, &demo);
  g_main_loop_run (demo.loop);
  g_source_remove (timeout_id);
  if (!demo.gathering_done)
    {
      g_printerr (_("Gathering did not finish\n"));
      return 1;
    }
  g_print (_("  %u candidates\n\n"), demo.candidates->len);

  /* 3. Datagrams between two UDP transports on loopback */
  loopback = nav_address_new_from_string ("127.0.0.1:0", NULL);
  sender = nav_udp_transport_new (loopback, NULL, &error);
  if (sender != NULL)
    receiver = nav_udp_transport_new (loopback, NULL, &error);
  if (receiver == NULL)
    {
      g_printerr (_("Cannot open a UDP transport: %s\n"), error->message);
      return 1;
    }
  nav_transport_set_receive_func (NAV_TRANSPORT (receiver), on_received, &demo, NULL);
  g_print (_("UDP transport %s → %s: %d datagrams of %d bytes\n"),
           nav_address_to_string_buf (nav_transport_get_local_address (NAV_TRANSPORT (sender)), addr_a),
           nav_address_to_string_buf (nav_transport_get_local_address (NAV_TRANSPORT (receiver)), addr_b),
           opt_count, opt_size);

  payload = g_malloc (opt_size);
  for (i = 0; i < opt_size; i++)
    payload[i] = i & 0xff;
  demo.expected = opt_count;
  demo.first_send_us = g_get_monotonic_time ();
  for (i = 0; i < opt_count; i++)
    {
      g_autoptr (GError) send_error = NULL;

      if (nav_transport_send (NAV_TRANSPORT (sender),
                              nav_transport_get_local_address (NAV_TRANSPORT (receiver)),
                              payload, opt_size, &send_error))
        sent++;
      else if (g_error_matches (send_error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_WOULD_BLOCK))
        {
          /* let the receiver drain the socket buffer, then go on */
          while (g_main_context_iteration (NULL, FALSE))
            ;
          i--;
        }
      else
        {
          g_printerr (_("Send failed: %s\n"), send_error->message);
          return 1;
        }
      /* keep the receiver's queue from overflowing on a busy machine */
      if (i % 64 == 0)
        while (g_main_context_iteration (NULL, FALSE))
          ;
    }
  if (demo.received < demo.expected)
    {
      timeout_id = g_timeout_add_seconds (5, on_timeout, &demo);
      g_main_loop_run (demo.loop);
      g_source_remove (timeout_id);
    }

  {
    gdouble seconds = MAX (demo.last_receive_us - demo.first_send_us, 1) / 1e6;

    g_print (_("  sent %u, received %u (%.1f%% loss), %.1f Mbit/s\n"),
             sent, demo.received,
             sent ? 100.0 * (sent - demo.received) / sent : 0.0,
             demo.bytes * 8 / seconds / 1e6);
  }

  nav_transport_close (NAV_TRANSPORT (sender));
  nav_transport_close (NAV_TRANSPORT (receiver));
  g_ptr_array_unref (demo.candidates);
  g_main_loop_unref (demo.loop);

  /* Loss on loopback means something is broken */
  if (demo.received != sent || sent != (guint) opt_count)
    return 1;

  /* 4. Two agents connect with ICE and exchange datagrams */
  g_print ("\n");
  return run_agents (registry, payload) ? 0 : 1;
}
