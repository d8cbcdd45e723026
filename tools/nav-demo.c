/* nav-demo: what NetAvanue can do so far, end to end on this machine
 *
 * Loads the registry and its modules, gathers the host candidates of one
 * component, carries datagrams between two UDP transports, then connects
 * two NavAgents with ICE and carries datagrams between them, printing each
 * step: candidates, states, the selected pair, setup time and throughput.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <locale.h>
#include <stdlib.h>
#include <glib/gi18n.h>
#include <netavanue/netavanue.h>

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
    N_("Offer and check relayed candidates only (needs --turn)"), NULL },
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

static gboolean
run_agents (const guint8 *payload)
{
  DemoPeer peers[2] = { { .name = "A" }, { .name = "B" } };
  g_autofree gchar *stun_host = NULL, *turn_host = NULL;
  guint stun_port = 0, turn_port = 0, i;
  gint64 start_us, ready_us, send_start_us;
  gboolean ok = TRUE;
  guint sent[2] = { 0, 0 };

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
      g_printerr (_("--relay-only needs --turn\n"));
      return FALSE;
    }

  g_print (_("Two agents (A controlling, B controlled) on this machine:\n"));
  start_us = g_get_monotonic_time ();
  for (i = 0; i < 2; i++)
    {
      DemoPeer *p = &peers[i];

      p->agent = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC8445);
      g_object_set (p->agent, "controlling-mode", i == 0, "force-relay", opt_relay_only, NULL);
      if (stun_host != NULL)
        g_object_set (p->agent, "stun-server", stun_host, "stun-server-port", stun_port, NULL);
      if (opt_loopback || (stun_host == NULL && turn_host == NULL))
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
      g_signal_connect (p->agent, "new-candidate-full", G_CALLBACK (on_agent_candidate), p);
      g_signal_connect (p->agent, "candidate-gathering-done", G_CALLBACK (on_agent_gathered), p);
      g_signal_connect (p->agent, "component-state-changed", G_CALLBACK (on_agent_state), p);
      g_signal_connect (p->agent, "new-selected-pair-full", G_CALLBACK (on_agent_selected), p);
      nav_agent_attach_recv (p->agent, p->stream, 1, NULL, on_agent_recv, p);
      nav_agent_gather_candidates (p->agent, p->stream);
    }
  if (!iterate_until (peers, both_gathered, 30))
    {
      g_printerr (_("Gathering did not finish\n"));
      ok = FALSE;
      goto out;
    }
  for (i = 0; i < 2; i++)
    {
      g_autofree gchar *sdp = nav_agent_generate_local_sdp (peers[i].agent);

      nav_agent_parse_remote_sdp (peers[1 - i].agent, sdp);
    }
  if (!iterate_until (peers, both_ready, 30) ||
      peers[0].state != NAV_COMPONENT_STATE_READY || peers[1].state != NAV_COMPONENT_STATE_READY)
    {
      g_printerr (_("The agents did not connect\n"));
      ok = FALSE;
      goto out;
    }
  ready_us = g_get_monotonic_time ();
  g_print (_("  setup (gather → both ready): %.1f ms\n"), (ready_us - start_us) / 1000.0);

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
    g_clear_object (&peers[i].agent);
  return ok;
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
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  option_context = g_option_context_new (NULL);
  g_option_context_set_summary (option_context,
      _("Shows NetAvanue at work on this machine: modules, host candidates, UDP transport, "
        "and two ICE agents connecting."));
  g_option_context_add_main_entries (option_context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (option_context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (option_context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (opt_count < 1 || opt_size < 1 || opt_size > 65507)
    {
      g_printerr (_("--count must be positive and --size between 1 and 65507\n"));
      return 2;
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
  return run_agents (payload) ? 0 : 1;
}
