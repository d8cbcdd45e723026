/* test-libnice.c: a NavAgent and the real libnice's NiceAgent connect
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Both agents live in one process and one main context, on loopback.
 * They exchange the SDP of nice_agent_generate_local_sdp() and
 * nice_agent_parse_remote_sdp() (and ours), connect, and send datagrams
 * both ways.  Cases, one per run:
 *
 *   host-nav-controlling     libnice's default (aggressive nomination)
 *   host-nav-controlled
 *   regular-nav-controlling  libnice with REGULAR_NOMINATION, we in
 *   regular-nav-controlled   RFC 8445 mode (regular, consent freshness)
 *   stun-nav-controlling     both agents given our STUN server
 *   stun-nav-controlled      (tools/nav-server --stun, started here)
 *   turn-nav-controlling     NavAgent relay-only through our TURN server
 *   turn-nav-controlled      (tools/nav-server --turn, started here)
 *   coturn-nav-controlling   NavAgent relay-only through the real coturn
 *   coturn-nav-controlled    (/usr/bin/turnserver, started here)
 *
 * libnice is linked: it cannot be missing.  A nav-server that does not
 * start is a failure, never a skip.
 */
#include "config.h"

#include <signal.h>
#include <glib/gstdio.h>

#include "libnice-test-util.h"

static const gchar *nav_server_path;

/* The value of " key=" in nav-server's stats line. */
static guint64
stats_value (const gchar *line,
             const gchar *key)
{
  g_autofree gchar *needle = g_strdup_printf (" %s=", key);
  const gchar *p = strstr (line, needle);

  if (p == NULL)
    g_error ("%s: no %s in nav-server's stats: %s", test_case, key, line);
  return g_ascii_strtoull (p + strlen (needle), NULL, 10);
}

/* libnice discovers its server-reflexive candidate with RFC 3489 Binding
 * requests (no magic cookie); on loopback that candidate equals the host
 * one and libnice drops it, so the proof that our STUN server answered
 * them is in its stats: every request answered, RFC 3489 ones among them
 * (RFC 8489 §11.2). */
static void
check_stun_stats (GSubprocess *server)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *err = NULL;
  g_auto (GStrv) lines = NULL;
  const gchar *stats = NULL;

  if (!g_subprocess_communicate_utf8 (server, NULL, NULL, NULL, &err, &error))
    g_error ("%s: nav-server's log: %s", test_case, error->message);
  lines = g_strsplit (err, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "event=stats") != NULL && strstr (lines[i], "when=exit") != NULL)
      stats = lines[i];
  if (stats == NULL)
    g_error ("%s: nav-server logged no stats:\n%s", test_case, err);
  g_print ("nav-server: %s\n", stats);
  if (stats_value (stats, "rfc3489-requests") < 1)
    g_error ("%s: libnice sent no RFC 3489 Binding request to nav-server", test_case);
  if (stats_value (stats, "answered") != stats_value (stats, "received") ||
      stats_value (stats, "dropped") != 0)
    g_error ("%s: nav-server did not answer every Binding request", test_case);
}

/* A port free for both UDP and TCP on 127.0.0.1 (the server listens on
 * both); another test may still take it before the server does, so the
 * caller retries. */
static guint
free_port (void)
{
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

  for (;;)
    {
      g_autoptr (GSocket) udp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                              G_SOCKET_PROTOCOL_UDP, NULL);
      g_autoptr (GSocket) tcp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                              G_SOCKET_PROTOCOL_TCP, NULL);
      g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
      g_autoptr (GSocketAddress) bound = NULL;
      g_autoptr (GSocketAddress) same = NULL;
      guint port;

      g_assert_true (g_socket_bind (udp, any, FALSE, NULL));
      bound = g_socket_get_local_address (udp, NULL);
      port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
      same = g_inet_socket_address_new (lo, port);
      if (g_socket_bind (tcp, same, TRUE, NULL))
        return port;
    }
}

static void
on_server_exit (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  gboolean *exited = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *exited = TRUE;
}

/* Starts tools/nav-server --stun and waits until it answers. */
typedef enum {
  SERVER_STUN,
  SERVER_NAV_TURN,
  SERVER_COTURN,
} ServerKind;

static GSubprocess *
start_server (ServerKind  kind,
              const gchar *tmpdir,
              guint       *port_out)
{
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  guint attempt;

  if (kind != SERVER_COTURN && nav_server_path == NULL)
    g_error ("%s: no --nav-server given", test_case);

  for (attempt = 0; attempt < 10; attempt++)
    {
      g_autoptr (GError) error = NULL;
      guint port = free_port ();
      g_autofree gchar *port_arg = g_strdup_printf ("--listening-port=%u", port);
      g_autoptr (GSocketAddress) to = g_inet_socket_address_new (lo, port);
      g_autoptr (GSocket) sock = NULL;
      GSubprocess *server;
      /* Static: the wait outlives this frame when the server runs on. */
      static gboolean exited;
      guint i;

      exited = FALSE;

      /* Its log goes to a pipe: the stats it logs on exit are checked. */
      if (kind == SERVER_STUN)
        server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                   G_SUBPROCESS_FLAGS_STDERR_PIPE, &error, nav_server_path,
                                   "--stun", "--listening-ip=127.0.0.1", port_arg, NULL);
      else if (kind == SERVER_NAV_TURN)
        server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, nav_server_path,
                                   "--turn", "--listening-ip=127.0.0.1", port_arg,
                                   "--relay-ip=127.0.0.1", "--lt-cred-mech",
                                   "--user=alice:secret", "--realm=example.org",
                                   "--allow-loopback-peers", NULL);
      else
        {
          g_autofree gchar *pid = g_build_filename (tmpdir, "turnserver.pid", NULL);
          g_autofree gchar *db = g_build_filename (tmpdir, "turnserver.db", NULL);
          g_autofree gchar *pid_arg = g_strdup_printf ("--pidfile=%s", pid);
          g_autofree gchar *db_arg = g_strdup_printf ("--userdb=%s", db);

          server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                     G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                                     "/usr/bin/turnserver", "-n", "--no-cli", "--no-dtls",
                                     "--no-tls", "--listening-ip=127.0.0.1",
                                     "--relay-ip=127.0.0.1", port_arg, "--realm=example.org",
                                     "--lt-cred-mech", "--user=alice:secret",
                                     "--allow-loopback-peers", pid_arg, db_arg, NULL);
        }
      if (server == NULL)
        g_error ("%s: nav-server did not start: %s", test_case, error->message);

      sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                           G_SOCKET_PROTOCOL_UDP, NULL);
      g_socket_set_blocking (sock, FALSE);
      g_subprocess_wait_async (server, NULL, on_server_exit, &exited);
      for (i = 0; i < 100 && !exited; i++)
        {
          g_autoptr (NavStunMessageBuilder) b =
            nav_stun_message_builder_new (NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_BINDING, NULL);
          g_autoptr (GBytes) request = nav_stun_message_builder_finish (b, NULL);
          gchar buf[512];

          g_socket_send_to (sock, to, g_bytes_get_data (request, NULL),
                            g_bytes_get_size (request), NULL, NULL);
          g_socket_condition_timed_wait (sock, G_IO_IN, 100 * 1000, NULL, NULL);
          if (g_socket_receive (sock, buf, sizeof buf, NULL, NULL) > 0)
            {
              *port_out = port;
              return server;
            }
          /* Another test took the port first: the server exits. */
          while (g_main_context_iteration (NULL, FALSE))
            ;
        }
      if (!exited)
        g_subprocess_force_exit (server);
      while (!exited)
        g_main_context_iteration (NULL, TRUE);
      g_object_unref (server);
    }
  g_error ("%s: nav-server does not answer", test_case);
  return NULL;
}

int
main (int    argc,
      char **argv)
{
  g_autofree gchar *nav_server = NULL;
  GOptionEntry entries[] = {
    { "nav-server", 0, 0, G_OPTION_ARG_FILENAME, &nav_server, "tools/nav-server", "PATH" },
    { NULL }
  };
  g_autoptr (GOptionContext) options = g_option_context_new ("CASE");
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) server = NULL;
  gboolean nav_controlling, regular, stun, turn, coturn;
  guint stun_port = 0, turn_port = 0;
  g_autofree gchar *tmpdir = NULL;
  NiceAgent *nice;
  NavAgent *nav;
  guint nice_stream, nav_stream;
  gchar *nice_sdp, *nav_sdp;
  NiceCandidate *nice_local = NULL, *nice_remote = NULL;
  State s = { 0, };

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error) || argc != 2)
    g_error ("usage: test-libnice [--nav-server PATH] CASE");
  test_case = argv[1];
  nav_server_path = nav_server;
  nav_controlling = g_str_has_suffix (test_case, "-nav-controlling");
  regular = g_str_has_prefix (test_case, "regular-");
  stun = g_str_has_prefix (test_case, "stun-");
  turn = g_str_has_prefix (test_case, "turn-");
  coturn = g_str_has_prefix (test_case, "coturn-");
  if (!nav_controlling && !g_str_has_suffix (test_case, "-nav-controlled"))
    g_error ("unknown case %s", test_case);

  if (stun)
    {
      server = start_server (SERVER_STUN, NULL, &stun_port);
    }
  if (turn || coturn)
    {
      tmpdir = g_dir_make_tmp ("nav-libnice-XXXXXX", NULL);
      server = start_server (turn ? SERVER_NAV_TURN : SERVER_COTURN, tmpdir, &turn_port);
    }

  /* the real libnice */
  nice = regular ? nice_agent_new_full (NULL, NICE_COMPATIBILITY_RFC5245,
                                        NICE_AGENT_OPTION_REGULAR_NOMINATION)
                 : nice_agent_new (NULL, NICE_COMPATIBILITY_RFC5245);
  g_object_set (nice, "controlling-mode", !nav_controlling, "upnp", FALSE, NULL);
  if (stun)
    g_object_set (nice, "stun-server", "127.0.0.1", "stun-server-port", stun_port, NULL);
  nice_stream = nice_setup (nice, "audio", &s);

  /* NetAvanue */
  nav = nav_agent_new (NULL, regular ? NAV_COMPATIBILITY_RFC8445 : NAV_COMPATIBILITY_RFC5245);
  g_object_set (nav, "controlling-mode", nav_controlling, NULL);
  if (stun)
    g_object_set (nav, "stun-server", "127.0.0.1", "stun-server-port", stun_port, NULL);
  nav_stream = nav_setup (nav, "audio");
  if (turn || coturn)
    {
      /* Relay-only on our side: every check and datagram crosses the
       * TURN server to reach libnice's host candidate. */
      g_object_set (nav, "force-relay", TRUE, NULL);
      nav_agent_set_relay_info (nav, nav_stream, 1, "127.0.0.1", turn_port, "alice", "secret",
                                NAV_RELAY_TYPE_TURN_UDP);
    }
  nav_setup_finish (nav, nav_stream, &s);

  gather_and_generate_sdp (nice, nice_stream, nav, nav_stream, &s, &nice_sdp, &nav_sdp);
  parse_sdp (nice, nice_sdp, nav, nav_sdp);
  g_free (nice_sdp);
  g_free (nav_sdp);

  run_until (ready, &s, "READY on both sides");
  if (!nice_agent_get_selected_pair (nice, nice_stream, 1, &nice_local, &nice_remote))
    g_error ("%s: libnice has no selected pair", test_case);
  {
    gchar a[NICE_ADDRESS_STRING_LEN], b[NAV_ADDRESS_STRING_LEN], c[NAV_ADDRESS_STRING_LEN];

    nice_address_to_string (&nice_remote->addr, a);
    g_print ("NavAgent selected %s -> %s (%s); libnice's remote is port %u\n",
             nav_address_to_string_buf (&s.nav_local->addr, b),
             nav_address_to_string_buf (&s.nav_remote->addr, c),
             nav_candidate_type_to_string (s.nav_local->type),
             nice_address_get_port (&nice_remote->addr));
    (void) a;
  }
  if (nice_address_get_port (&nice_remote->addr) != nav_address_get_port (&s.nav_local->addr))
    g_error ("%s: the two agents selected different pairs", test_case);
  if ((turn || coturn) && s.nav_local->type != NAV_CANDIDATE_TYPE_RELAYED)
    g_error ("%s: the selected pair is not relayed", test_case);

  exchange_datagrams (nice, nice_stream, nav, nav_stream, &s, "from-nav-", "from-nice-");
  check_nav_role (nav, nav_controlling);
  g_print ("OK %s: NavAgent received %u, libnice received %u datagrams\n", test_case,
           s.nav_received, s.nice_received);

  nav_agent_remove_stream (nav, nav_stream);
  nice_agent_remove_stream (nice, nice_stream);
  g_object_unref (nav);
  g_object_unref (nice);
  state_clear (&s);
  if (server != NULL && stun)
    {
      g_subprocess_send_signal (server, SIGTERM);
      check_stun_stats (server);
    }
  else if (server != NULL)
    {
      g_subprocess_send_signal (server, SIGTERM);
      g_subprocess_wait (server, NULL, NULL);
    }
  if (tmpdir != NULL)
    {
      g_autofree gchar *pid = g_build_filename (tmpdir, "turnserver.pid", NULL);
      g_autofree gchar *db = g_build_filename (tmpdir, "turnserver.db", NULL);

      g_unlink (pid);
      g_unlink (db);
      g_rmdir (tmpdir);
    }
  return 0;
}
