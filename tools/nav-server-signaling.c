/* nav-server-signaling.c: the signaling part of the nav-server daemon:
 * its options, and the NavSignalingServer built from them through the
 * registry (the server lives in the signaling module)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <glib/gi18n.h>
#include <netavanue/netavanue.h>

#include "nav-signaling-protocol.h"
#include "nav-server-signaling.h"

static gint opt_port = 8080;
static gint opt_max_room_size = 64;
static gint opt_max_message_size = 64 * 1024;
static gint opt_idle_timeout = 60;
static gint opt_rate = 50;
static gint opt_burst = 100;
static gint opt_max_connections = 16384;
static gint opt_threads = 0;
static gint opt_handshake_timeout = 10;
static gint opt_ip_rate = 500;
static gint opt_ip_burst = 1000;
static gint opt_max_connections_per_ip = 1024;
static gint opt_max_pending = 1024;
static gint opt_max_pending_per_ip = 64;
static gchar *opt_secret;
static gchar *opt_redis;
static gchar *opt_make_token;
static gint opt_token_ttl = 3600;
static gboolean opt_relay;
static gint64 opt_relay_quota = G_GINT64_CONSTANT (4) << 30;
static gint opt_relay_idle_timeout = 60;

const GOptionEntry nav_server_signaling_entries[] = {
  { "signaling-port", 0, 0, G_OPTION_ARG_INT, &opt_port,
    N_("Signaling: WebSocket and HTTP port (default: 8080; 0: any free port)"), N_("PORT") },
  { "signaling-max-room-size", 0, 0, G_OPTION_ARG_INT, &opt_max_room_size,
    N_("Signaling: the most peers in one room (default: 64; 0: no limit)"), N_("N") },
  { "signaling-max-message-size", 0, 0, G_OPTION_ARG_INT, &opt_max_message_size,
    N_("Signaling: the largest message in bytes; larger closes with 1009 (default: 65536)"), N_("BYTES") },
  { "signaling-idle-timeout", 0, 0, G_OPTION_ARG_INT, &opt_idle_timeout,
    N_("Signaling: close connections silent for this long (default: 60)"), N_("SECONDS") },
  { "signaling-rate", 0, 0, G_OPTION_ARG_INT, &opt_rate,
    N_("Signaling: messages a second per connection (default: 50; 0: no limit)"), N_("N") },
  { "signaling-burst", 0, 0, G_OPTION_ARG_INT, &opt_burst,
    N_("Signaling: messages at once above the rate (default: 100)"), N_("N") },
  { "signaling-max-connections", 0, 0, G_OPTION_ARG_INT, &opt_max_connections,
    N_("Signaling: the most connections, handshakes included; more get HTTP 503 (default: 16384; 0: no limit)"), N_("N") },
  { "signaling-handshake-timeout", 0, 0, G_OPTION_ARG_INT, &opt_handshake_timeout,
    N_("Signaling: close connections that have not finished their TLS and WebSocket handshakes in this time (default: 10)"), N_("SECONDS") },
  { "signaling-ip-rate", 0, 0, G_OPTION_ARG_INT, &opt_ip_rate,
    N_("Signaling: messages (pings included) and new connections a second from one address, all its connections together (default: 500; 0: no limit)"), N_("N") },
  { "signaling-ip-burst", 0, 0, G_OPTION_ARG_INT, &opt_ip_burst,
    N_("Signaling: messages and connections at once above the rate per address (default: 1000)"), N_("N") },
  { "signaling-max-connections-per-ip", 0, 0, G_OPTION_ARG_INT, &opt_max_connections_per_ip,
    N_("Signaling: the most connections from one address, handshakes included (default: 1024; 0: no limit)"), N_("N") },
  { "signaling-max-pending", 0, 0, G_OPTION_ARG_INT, &opt_max_pending,
    N_("Signaling: the most connections still in their handshake (default: 1024; 0: no limit)"), N_("N") },
  { "signaling-max-pending-per-ip", 0, 0, G_OPTION_ARG_INT, &opt_max_pending_per_ip,
    N_("Signaling: the most connections in their handshake from one address (default: 64; 0: no limit)"), N_("N") },
  { "signaling-threads", 0, 0, G_OPTION_ARG_INT, &opt_threads,
    N_("Signaling: worker threads holding the WebSockets (default: 0, one per CPU)"), N_("N") },
  { "signaling-secret", 0, 0, G_OPTION_ARG_STRING, &opt_secret,
    N_("Signaling: shared secret; joins then need a token signed with it"), N_("SECRET") },
  { "signaling-make-token", 0, 0, G_OPTION_ARG_STRING, &opt_make_token,
    N_("Print a join token for ROOM signed with --signaling-secret, and exit"), N_("ROOM") },
  { "signaling-token-ttl", 0, 0, G_OPTION_ARG_INT, &opt_token_ttl,
    N_("Lifetime of tokens made by --signaling-make-token (default: 3600)"), N_("SECONDS") },
  { "relay", 0, 0, G_OPTION_ARG_NONE, &opt_relay,
    N_("Signaling: relay nav-share's encrypted datagrams over WebSocket (GET /relay) for peers ICE cannot connect"), NULL },
  { "relay-quota", 0, 0, G_OPTION_ARG_INT64, &opt_relay_quota,
    N_("Relay: the most bytes one session carries (default: 4 GiB; 0: no limit)"), N_("BYTES") },
  { "relay-idle-timeout", 0, 0, G_OPTION_ARG_INT, &opt_relay_idle_timeout,
    N_("Relay: close a session after this long without a byte (default: 60)"), N_("SECONDS") },
  { "redis", 0, 0, G_OPTION_ARG_STRING, &opt_redis,
    N_("Signaling: share rooms with other servers through Redis"), N_("redis://HOST:PORT") },
  G_OPTION_ENTRY_NULL
};

gboolean
nav_server_signaling_knows_option (const gchar *name)
{
  guint i;

  for (i = 0; nav_server_signaling_entries[i].long_name != NULL; i++)
    if (g_str_equal (nav_server_signaling_entries[i].long_name, name))
      return TRUE;
  return FALSE;
}

/* Returns -1 to go on, else the exit status. */
gint
nav_server_signaling_check (void)
{
  if (opt_make_token != NULL)
    {
      g_autofree gchar *token = NULL;

      if (opt_secret == NULL)
        {
          g_printerr (_("nav-server: --signaling-make-token needs --signaling-secret\n"));
          return 2;
        }
      if (!nav_signaling_id_is_valid (opt_make_token) || opt_token_ttl <= 0)
        {
          g_printerr (_("nav-server: “%s” is not a room id\n"), opt_make_token);
          return 2;
        }
      token = nav_signaling_token_sign (opt_secret, opt_make_token,
                                        g_get_real_time () / G_USEC_PER_SEC + opt_token_ttl);
      g_print ("%s\n", token);
      return 0;
    }
  if (opt_port < 0 || opt_port > 65535)
    {
      g_printerr (_("nav-server: --%s: %d is not a port number\n"), "signaling-port", opt_port);
      return 2;
    }
  if (opt_max_room_size < 0 || opt_max_message_size < 256 || opt_idle_timeout <= 0 ||
      opt_rate < 0 || opt_burst <= 0 || opt_max_connections < 0 || opt_threads < 0 || opt_threads > 256 ||
      opt_handshake_timeout <= 0 || opt_ip_rate < 0 || opt_ip_burst <= 0 || opt_max_connections_per_ip < 0 ||
      opt_max_pending < 0 || opt_max_pending_per_ip < 0 || opt_relay_quota < 0 || opt_relay_idle_timeout <= 0)
    {
      g_printerr (_("nav-server: a --signaling-… limit is out of range\n"));
      return 2;
    }
  return -1;
}

/* Every connection is a descriptor: the soft limit goes up to what
 * --signaling-max-connections needs (as far as the hard limit allows);
 * the server says at start how many fit if that is not enough. */
static void
raise_descriptor_limit (void)
{
  struct rlimit rl;
  rlim_t needed = (rlim_t) opt_max_connections + 256;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return;
  if (opt_max_connections == 0)
    needed = rl.rlim_max;
  if (rl.rlim_cur >= needed)
    return;
  rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? needed : MIN (needed, rl.rlim_max);
  if (setrlimit (RLIMIT_NOFILE, &rl) == 0)
    g_debug ("event=fd-limit-raised descriptors=%lu", (gulong) rl.rlim_cur);
}

NavServer *
nav_server_signaling_start (const gchar  *listening_ip,
                            const gchar  *cert_file,
                            const gchar  *pkey_file,
                            GError      **error)
{
  g_autoptr (GObject) server = NULL;

  raise_descriptor_limit ();

  server = nav_registry_create (nav_registry_get_default (), NAV_SERVER_EXTENSION_POINT_NAME,
                                "signaling", error,
                                "listening-ip", listening_ip != NULL ? listening_ip : "0.0.0.0",
                                "listening-port", (guint) opt_port,
                                "max-room-size", (guint) opt_max_room_size,
                                "max-message-size", (guint) opt_max_message_size,
                                "idle-timeout", (guint) opt_idle_timeout,
                                "rate", (guint) opt_rate,
                                "burst", (guint) opt_burst,
                                "max-connections", (guint) opt_max_connections,
                                "threads", (guint) opt_threads,
                                "handshake-timeout", (guint) opt_handshake_timeout,
                                "ip-rate", (guint) opt_ip_rate,
                                "ip-burst", (guint) opt_ip_burst,
                                "max-connections-per-ip", (guint) opt_max_connections_per_ip,
                                "max-pending", (guint) opt_max_pending,
                                "max-pending-per-ip", (guint) opt_max_pending_per_ip,
                                "secret", opt_secret,
                                "cert-file", cert_file,
                                "pkey-file", pkey_file,
                                "redis", opt_redis,
                                "relay", opt_relay,
                                "relay-quota", (guint64) opt_relay_quota,
                                "relay-idle-timeout", (guint) opt_relay_idle_timeout,
                                NULL);
  if (server == NULL)
    return NULL;
  if (!nav_server_start (NAV_SERVER (server), error))
    return NULL;
  return NAV_SERVER (g_steal_pointer (&server));
}

/* The signaling paragraph of nav-server --help. */
const gchar *
nav_server_signaling_help (void)
{
  return _("The signaling server (--signaling) serves WebSocket rooms on the\n"
           "signaling port (ws://, or wss:// with --cert): peers join a room and\n"
           "exchange offers, answers and candidates as JSON messages (protocol in\n"
           "docs/signaling.md).  GET /health and GET /stats answer on the same\n"
           "port.  With --signaling-secret joins need an HMAC-signed token; with\n"
           "--redis several servers share their rooms.  The connections are spread\n"
           "over --signaling-threads worker threads sharing the port.  Limits per\n"
           "source address (connections, handshakes, messages) keep one client from\n"
           "taking the server; the descriptor limit is raised to what\n"
           "--signaling-max-connections needs.  On SIGTERM every client gets a bye and\n"
           "a 1001 close.");
}

void
nav_server_signaling_free_options (void)
{
  g_clear_pointer (&opt_secret, g_free);
  g_clear_pointer (&opt_redis, g_free);
  g_clear_pointer (&opt_make_token, g_free);
}
