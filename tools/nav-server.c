/* nav-server.c: the NetAvanue server daemon (STUN now; TURN and signaling later)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <netavanue/netavanue.h>

#include "nav-tool-i18n.h"

#include "nav-server-signaling.h"
#include "nav-server-turn.h"
#include "nav-server-stats.h"

/* RFC 8489 §18.2 */
#define DEFAULT_PORT 3478
#define DEFAULT_TLS_PORT 5349

/* Options.  Names follow coturn's turnserver where the meaning is the
 * same, so that an operator's habits and config files carry over. */
static gboolean opt_stun;
static gboolean opt_turn;
static gboolean opt_signaling;
static gchar **opt_listening_ips;
static gint opt_listening_port = DEFAULT_PORT;
static gchar *opt_alt_listening_ip;
static gint opt_alt_listening_port;
static gint opt_tls_listening_port = DEFAULT_TLS_PORT;
static gchar *opt_cert;
static gchar *opt_pkey;
static gchar *opt_config;
static gboolean opt_no_udp;
static gboolean opt_no_tcp;
static gboolean opt_no_tls;
static gchar *opt_software;
static gint opt_tcp_idle_timeout = 30;
static gint opt_max_tcp_connections = 4096;
static gint opt_threads = -1;
static gint opt_stun_threads = -1;
static gchar *opt_udp_steering;
static gboolean opt_verbose;
static gint opt_stats_port;
static gchar *opt_stats_ip;
static gboolean opt_version;

static const GOptionEntry entries[] = {
  { "stun", 0, 0, G_OPTION_ARG_NONE, &opt_stun,
    N_("Run the STUN server (RFC 8489; RFC 5780 with --alt-listening-ip)"), NULL },
  { "turn", 0, 0, G_OPTION_ARG_NONE, &opt_turn,
    N_("Run the TURN server (RFC 8656, RFC 6062, RFC 6156); it answers Binding too"), NULL },
  { "signaling", 0, 0, G_OPTION_ARG_NONE, &opt_signaling,
    N_("Run the signaling server: WebSocket rooms (see the --signaling-… options)"), NULL },
  { "listening-ip", 'L', 0, G_OPTION_ARG_STRING_ARRAY, &opt_listening_ips,
    N_("Listen on this IP address; may be repeated (default: every IPv4 and IPv6 address)"), N_("IP") },
  { "listening-port", 'p', 0, G_OPTION_ARG_INT, &opt_listening_port,
    N_("UDP and TCP port (default: 3478; 0: any free port)"), N_("PORT") },
  { "alt-listening-ip", 0, 0, G_OPTION_ARG_STRING, &opt_alt_listening_ip,
    N_("Second IP address for RFC 5780 NAT behaviour discovery"), N_("IP") },
  { "alt-listening-port", 0, 0, G_OPTION_ARG_INT, &opt_alt_listening_port,
    N_("Second port for RFC 5780 (default: listening port plus one)"), N_("PORT") },
  { "tls-listening-port", 0, 0, G_OPTION_ARG_INT, &opt_tls_listening_port,
    N_("TLS port (default: 5349; 0: any free port)"), N_("PORT") },
  { "cert", 0, 0, G_OPTION_ARG_FILENAME, &opt_cert,
    N_("Certificate file, PEM (TLS is off without one)"), N_("FILE") },
  { "pkey", 0, 0, G_OPTION_ARG_FILENAME, &opt_pkey,
    N_("Private key file, PEM (default: the certificate file)"), N_("FILE") },
  { "config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config,
    N_("Read options from a file in turnserver.conf format"), N_("FILE") },
  { "no-udp", 0, 0, G_OPTION_ARG_NONE, &opt_no_udp,
    N_("Do not start UDP listeners"), NULL },
  { "no-tcp", 0, 0, G_OPTION_ARG_NONE, &opt_no_tcp,
    N_("Do not start TCP listeners"), NULL },
  { "no-tls", 0, 0, G_OPTION_ARG_NONE, &opt_no_tls,
    N_("Do not start TLS listeners"), NULL },
  { "software", 0, 0, G_OPTION_ARG_STRING, &opt_software,
    N_("SOFTWARE attribute of responses (default: none)"), N_("TEXT") },
  { "tcp-idle-timeout", 0, 0, G_OPTION_ARG_INT, &opt_tcp_idle_timeout,
    N_("Close TCP and TLS connections silent for this long (default: 30)"), N_("SECONDS") },
  { "max-tcp-connections", 0, 0, G_OPTION_ARG_INT, &opt_max_tcp_connections,
    N_("Refuse TCP and TLS connections beyond this many (default: 4096)"), N_("N") },
  { "threads", 0, 0, G_OPTION_ARG_INT, &opt_threads,
    N_("Worker threads of the STUN and TURN servers over UDP, each with its own socket "
       "on the port (default: one per CPU; 0: none, UDP served by the main thread)"), N_("N") },
  { "stun-threads", 0, 0, G_OPTION_ARG_INT, &opt_stun_threads,
    N_("Worker threads of the STUN server (default: --threads)"), N_("N") },
  { "udp-steering", 0, 0, G_OPTION_ARG_STRING, &opt_udp_steering,
    N_("How the kernel spreads UDP clients over the threads: hash (default; a client "
       "stays on one thread), cpu, or random"), N_("HOW") },
  { "stats-port", 0, 0, G_OPTION_ARG_INT, &opt_stats_port,
    N_("Serve the counters over HTTP on this port: GET /stats (JSON), /metrics "
       "(Prometheus), /health (default: 0, off)"), N_("PORT") },
  { "stats-ip", 0, 0, G_OPTION_ARG_STRING, &opt_stats_ip,
    N_("Address of the --stats-port endpoint; it has no authentication "
       "(default: 127.0.0.1)"), N_("IP") },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
    N_("Log debug messages too"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version,
    N_("Print the version and exit"), NULL },
  G_OPTION_ENTRY_NULL
};

/* coturn options that mean nothing to a STUN-only server, or that are
 * always on here: accepted in config files so a turnserver.conf works. */
static const gchar * const coturn_ignored[] = {
  "stun-only", "no-cli", "fingerprint", "simple-log", "no-stdout-log",
  "log-file", "syslog", "no-dtls", "realm", "lt-cred-mech", "no-auth",
  "listening-device", "relay-ip", "external-ip",
  "min-port", "max-port", "no-multicast-peers", "pidfile", "proc-user",
  "proc-group", "cli-ip", "cli-port", "cli-password", NULL
};

static gboolean verbose_logging;

static const gchar *
level_name (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR) return "error";
  if (level & G_LOG_LEVEL_CRITICAL) return "critical";
  if (level & G_LOG_LEVEL_WARNING) return "warning";
  if (level & G_LOG_LEVEL_MESSAGE) return "info";
  if (level & G_LOG_LEVEL_INFO) return "info";
  return "debug";
}

/* sd_notify(3) without libsystemd: one datagram to the AF_UNIX socket
 * systemd names in $NOTIFY_SOCKET (a path, or an abstract name after
 * `@`), as the protocol of sd_notify(3) and systemd.service(5)
 * Type=notify describes.  Nothing happens outside systemd. */
static void
notify_systemd (const gchar *state)
{
  const gchar *path = g_getenv ("NOTIFY_SOCKET");
  struct sockaddr_un sun = { .sun_family = AF_UNIX };
  socklen_t len;
  gsize n;
  int fd;

  if (path == NULL || (path[0] != '/' && path[0] != '@'))
    return;
  n = strlen (path);
  if (n >= sizeof (sun.sun_path))
    {
      g_warning ("event=notify-failed error=\"NOTIFY_SOCKET is too long\"");
      return;
    }
  memcpy (sun.sun_path, path, n);
  if (path[0] == '@')
    sun.sun_path[0] = '\0';
  len = (socklen_t) (G_STRUCT_OFFSET (struct sockaddr_un, sun_path) + n);
  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 ||
      sendto (fd, state, strlen (state), MSG_NOSIGNAL, (struct sockaddr *) &sun, len) < 0)
    g_warning ("event=notify-failed error=\"%s\"", g_strerror (errno));
  if (fd >= 0)
    close (fd);
}

/* One line per event: a timestamp, then key=value pairs, like coturn's
 * --simple-log but machine-readable. */
static GLogWriterOutput
log_writer (GLogLevelFlags   log_level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  const gchar *domain = NULL, *message = NULL;
  g_autoptr (GDateTime) now = NULL;
  g_autofree gchar *ts = NULL;
  gsize i;

  /* info lines (failed authentication, allocations) are for operators:
   * shown; debug only with --verbose. */
  if ((log_level & G_LOG_LEVEL_DEBUG) && !verbose_logging)
    return G_LOG_WRITER_HANDLED;

  for (i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
    }
  now = g_date_time_new_now_utc ();
  ts = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
  fprintf (stderr, "%s level=%s domain=%s %s\n", ts, level_name (log_level),
           domain != NULL ? domain : "nav-server",
           message != NULL ? message : "");
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}

static gboolean
is_known_option (const gchar *name)
{
  guint i;

  for (i = 0; entries[i].long_name != NULL; i++)
    if (g_str_equal (entries[i].long_name, name))
      return TRUE;
  return nav_server_signaling_knows_option (name) || nav_server_turn_is_option (name);
}

/* Reads a turnserver.conf-style file: one `name=value` or `name` a line,
 * `#` starts a comment, a leading `--` is allowed.  Options are parsed
 * with the command line's own parser, so both accept the same values. */
static gboolean
load_config (const gchar  *path,
             GError      **error)
{
  g_autofree gchar *contents = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GOptionContext) context = NULL;
  gchar **argv;
  gint argc;
  guint i;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return FALSE;

  g_ptr_array_add (args, g_strdup ("nav-server"));
  lines = g_strsplit (contents, "\n", -1);
  for (i = 0; lines[i] != NULL; i++)
    {
      gchar *line = g_strstrip (lines[i]);
      gchar *eq, *name, *value = NULL;

      if (line[0] == '\0' || line[0] == '#')
        continue;
      while (line[0] == '-')
        line++;
      name = line;
      eq = strchr (line, '=');
      if (eq != NULL)
        {
          *eq = '\0';
          value = g_strstrip (eq + 1);
          g_strstrip (name);
          /* coturn allows quotes around values */
          if (value[0] == '"' && strlen (value) >= 2 && value[strlen (value) - 1] == '"')
            {
              value[strlen (value) - 1] = '\0';
              value++;
            }
        }
      if (g_str_equal (name, "config"))
        continue;
      if (!is_known_option (name))
        {
          if (!g_strv_contains (coturn_ignored, name))
            g_warning ("event=config-unknown-option file=\"%s\" line=%u option=\"%s\"",
                       path, i + 1, name);
          continue;
        }
      g_ptr_array_add (args, value != NULL ? g_strdup_printf ("--%s=%s", name, value)
                                           : g_strdup_printf ("--%s", name));
    }
  g_ptr_array_add (args, NULL);

  argc = args->len - 1;
  argv = (gchar **) args->pdata;
  context = g_option_context_new (NULL);
  g_option_context_set_help_enabled (context, FALSE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, nav_server_signaling_entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, nav_server_turn_entries, GETTEXT_PACKAGE);
  /* g_option_context_parse() removes what it parses: give it a copy. */
  {
    g_autofree gchar **copy = g_memdup2 (argv, sizeof (gchar *) * (argc + 1));

    if (!g_option_context_parse (context, &argc, &copy, error))
      {
        g_prefix_error (error, _("In %s: "), path);
        return FALSE;
      }
  }
  return TRUE;
}

static gboolean
check_port (gint         port,
            const gchar *name)
{
  if (port < 0 || port > 65535)
    {
      g_printerr (_("nav-server: --%s: %d is not a port number\n"), name, port);
      return FALSE;
    }
  return TRUE;
}

static void
print_stats (NavServer   *server,
             const gchar *when)
{
  g_autoptr (GVariant) stats = nav_server_get_stats (server);
  g_autoptr (GString) line = g_string_new (NULL);
  GVariantIter iter;
  const gchar *key;
  guint64 value;

  g_string_append_printf (line, "event=stats when=%s", when);
  g_variant_iter_init (&iter, stats);
  while (g_variant_iter_next (&iter, "{&st}", &key, &value))
    g_string_append_printf (line, " %s=%" G_GUINT64_FORMAT, key, value);
  g_message ("%s", line->str);
}

typedef struct
{
  GMainLoop *loop;
  NavServer *server;
  const gchar *signal_name;
} Daemon;

static gboolean
on_quit_signal (gpointer user_data)
{
  Daemon *d = user_data;

  g_message ("event=shutdown signal=%s", d->signal_name);
  g_main_loop_quit (d->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sigterm (gpointer user_data)
{
  ((Daemon *) user_data)->signal_name = "SIGTERM";
  return on_quit_signal (user_data);
}

static gboolean
on_sigint (gpointer user_data)
{
  ((Daemon *) user_data)->signal_name = "SIGINT";
  return on_quit_signal (user_data);
}

static gboolean
on_sigusr1 (gpointer user_data)
{
  Daemon *d = user_data;

  if (d->server != NULL)
    print_stats (d->server, "SIGUSR1");
  return G_SOURCE_CONTINUE;
}

static const gchar *
find_config_arg (gint    argc,
                 gchar **argv)
{
  gint i;

  for (i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--"))
        break;
      if ((g_str_equal (argv[i], "-c") || g_str_equal (argv[i], "--config")) && i + 1 < argc)
        return argv[i + 1];
      if (g_str_has_prefix (argv[i], "--config="))
        return argv[i] + strlen ("--config=");
    }
  return NULL;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  NavServer *server = NULL;
  NavServer *signaling = NULL;
  NavServer *turn_server = NULL;
  g_autoptr (NavServerStats) stats = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  Daemon d = { 0 };
  const gchar *config_path;
  guint sig_ids[3];
  guint i;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, nav_tool_localedir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_log_set_writer_func (log_writer, NULL, NULL);

  context = g_option_context_new (_("— the NetAvanue server daemon"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, nav_server_signaling_entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, nav_server_turn_entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Runs the servers peers need to find each other: STUN, TURN and\n"
      "signaling, in one process.  One of --stun, --turn or --signaling is\n"
      "required.\n"
      "\n"
      "The STUN server answers Binding requests (RFC 8489) over UDP and TCP on\n"
      "the listening port and over TLS on the TLS port, on IPv4 and IPv6.\n"
      "Requests with unknown comprehension-required attributes get a 420\n"
      "error, malformed ones a 400; anything else that is not a STUN request\n"
      "is dropped and counted.\n"
      "\n"
      "With --alt-listening-ip it also serves NAT behaviour discovery\n"
      "(RFC 5780): it listens on both addresses and both ports, honours\n"
      "CHANGE-REQUEST and RESPONSE-PORT and adds RESPONSE-ORIGIN and\n"
      "OTHER-ADDRESS to its answers.  The first --listening-ip is then the\n"
      "primary address and must not be a wildcard."));
  {
    g_autofree gchar *summary = g_strconcat (g_option_context_get_summary (context), "\n\n",
                                             nav_server_turn_help (), "\n\n",
                                             nav_server_signaling_help (), NULL);

    g_option_context_set_summary (context, summary);
  }
  g_option_context_set_description (context,
    _("Configuration file:\n"
      "  --config FILE reads options in coturn's turnserver.conf format: one\n"
      "  \"name=value\" or \"name\" per line, # starts a comment, names are the\n"
      "  long options above.  Options given on the command line win.  coturn\n"
      "  options that do not apply to a STUN server (stun-only, no-cli,\n"
      "  fingerprint, realm, …) are accepted and ignored.\n"
      "\n"
      "Signals:\n"
      "  SIGTERM, SIGINT  stop cleanly, printing the counters\n"
      "  SIGUSR1          print the counters\n"
      "\n"
      "Stats endpoint:\n"
      "  --stats-port=PORT serves plain HTTP on --stats-ip (127.0.0.1 by\n"
      "  default): GET /stats, every counter as JSON keyed by server (stun,\n"
      "  turn, signaling); GET /metrics, the same in Prometheus text format\n"
      "  (nav_turn_bytes_to_peer_total, nav_turn_allocations, …); GET /health.\n"
      "\n"
      "Logs:\n"
      "  One line per event on standard error: a UTC timestamp, then\n"
      "  key=value pairs (level, domain, event, client, user, …; see\n"
      "  docs/servers.md).  Info lines (failed authentication, allocations\n"
      "  created and deleted) are shown; debug lines with --verbose.\n"
      "\n"
      "systemd:\n"
      "  Under Type=notify the daemon sends READY=1 once every listener is\n"
      "  bound, and STOPPING=1 when it stops ($NOTIFY_SOCKET).\n"
      "\n"
      "Exit status:\n"
      "  0 after a clean stop, 1 when a server cannot start, 2 on a usage error.\n"
      "\n"
      "Examples:\n"
      "  nav-server --stun --listening-ip=127.0.0.1 --listening-port=3478\n"
      "  nav-server --stun -L 127.0.0.1 --alt-listening-ip=127.0.0.2\n"
      "  nav-server --stun --cert=cert.pem --pkey=key.pem --tls-listening-port=5349\n"
      "  nav-server -c /etc/netavanue/nav-server.conf\n"
      "  nav-server --signaling -L 127.0.0.1 --signaling-port=8080 --redis=redis://127.0.0.1:6379\n"));

  config_path = find_config_arg (argc, argv);
  if (config_path != NULL && !load_config (config_path, &error))
    {
      g_printerr ("nav-server: %s\n", error->message);
      return 2;
    }
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("nav-server: %s\n", error->message);
      g_printerr (_("Try “nav-server --help”.\n"));
      return 2;
    }
  if (opt_version)
    {
      g_print ("nav-server %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (argc > 1)
    {
      g_printerr (_("nav-server: unexpected argument “%s”\n"), argv[1]);
      return 2;
    }
  {
    gint status = nav_server_signaling_check ();

    if (status >= 0)
      return status;
  }
  if (!opt_stun && !opt_turn && !opt_signaling)
    {
      g_printerr (_("nav-server: nothing to run: give --stun, --turn or --signaling\n"));
      g_printerr (_("Try “nav-server --help”.\n"));
      return 2;
    }
  if (!check_port (opt_listening_port, "listening-port") ||
      !check_port (opt_alt_listening_port, "alt-listening-port") ||
      !check_port (opt_tls_listening_port, "tls-listening-port") ||
      !check_port (opt_stats_port, "stats-port"))
    return 2;
  if (opt_threads < -1 || opt_threads > 256 || opt_stun_threads < -1 || opt_stun_threads > 256)
    {
      g_printerr (_("nav-server: --threads and --stun-threads take 0 to 256\n"));
      return 2;
    }
  if (opt_threads < 0)
    opt_threads = (gint) g_get_num_processors ();
  if (opt_stun_threads < 0)
    opt_stun_threads = opt_threads;
  if (opt_tcp_idle_timeout <= 0 || opt_max_tcp_connections <= 0)
    {
      g_printerr (_("nav-server: --tcp-idle-timeout and --max-tcp-connections must be positive\n"));
      return 2;
    }
  verbose_logging = opt_verbose;

  /* The signal handlers first: a SIGTERM while the servers start must stop
   * the daemon cleanly too, not kill it. */
  loop = g_main_loop_new (NULL, FALSE);
  d.loop = loop;
  sig_ids[0] = g_unix_signal_add (SIGTERM, on_sigterm, &d);
  sig_ids[1] = g_unix_signal_add (SIGINT, on_sigint, &d);
  sig_ids[2] = g_unix_signal_add (SIGUSR1, on_sigusr1, &d);

  if (opt_turn && opt_alt_listening_ip != NULL)
    {
      /* The TURN server answers Binding itself but has no RFC 5780 second
       * address: refuse rather than silently drop the option. */
      g_printerr (_("nav-server: --alt-listening-ip (RFC 5780) does not work with --turn; "
                    "run a separate “nav-server --stun” for NAT behaviour discovery\n"));
      return 2;
    }
  if (opt_turn)
    {
      /* The TURN server owns the ports and answers Binding itself, so
       * --stun --turn runs it alone (nav-server-turn.c). */
      turn_server = nav_server_turn_new (opt_listening_ips, opt_listening_port,
                                         opt_tls_listening_port, opt_cert, opt_pkey,
                                         opt_no_udp, opt_no_tcp, opt_no_tls, opt_software,
                                         (guint) opt_tcp_idle_timeout * 1000,
                                         (guint) opt_max_tcp_connections,
                                         (guint) opt_threads, opt_udp_steering, &error);
      if (turn_server == NULL)
        {
          g_printerr ("nav-server: %s\n", error->message);
          return 2;
        }
      if (!nav_server_turn_check_users (&error) || !nav_server_start (turn_server, &error))
        {
          g_printerr (_("nav-server: cannot start the TURN server: %s\n"), error->message);
          return 1;
        }
      g_message ("event=started server=turn%s version=%s", opt_stun ? "+stun" : "", PACKAGE_VERSION);
    }
  else if (opt_stun)
    {
      /* The STUN server of the stun module, through the registry as the
       * signaling one. */
      server = NAV_SERVER (nav_registry_create (nav_registry_get_default (),
                                                NAV_SERVER_EXTENSION_POINT_NAME, "stun", &error,
                                                "listening-ips", opt_listening_ips,
                                                "listening-port", (guint) opt_listening_port,
                                                "alt-listening-ip", opt_alt_listening_ip,
                                                "alt-listening-port", (guint) opt_alt_listening_port,
                                                "tls-listening-port", (guint) opt_tls_listening_port,
                                                "udp", !opt_no_udp,
                                                "tcp", !opt_no_tcp,
                                                "tls", !opt_no_tls,
                                                "cert", opt_cert,
                                                "pkey", opt_pkey,
                                                "software", opt_software,
                                                "tcp-idle-timeout", (guint) opt_tcp_idle_timeout * 1000,
                                                "max-tcp-connections", (guint) opt_max_tcp_connections,
                                                "threads", (guint) opt_stun_threads,
                                                "steering", opt_udp_steering != NULL ? opt_udp_steering : "hash",
                                                NULL));
      if (server == NULL)
        {
          g_printerr (_("nav-server: cannot start the STUN server: %s\n"), error->message);
          return 1;
        }
    }
  if (server != NULL && !nav_server_start (NAV_SERVER (server), &error))
    {
      g_printerr (_("nav-server: cannot start the STUN server: %s\n"), error->message);
      return 1;
    }
  if (server != NULL)
    g_message ("event=started server=stun version=%s", PACKAGE_VERSION);
  if (opt_signaling)
    {
      signaling = nav_server_signaling_start (opt_listening_ips != NULL ? opt_listening_ips[0] : NULL,
                                              opt_cert, opt_pkey, &error);
      if (signaling == NULL)
        {
          g_printerr (_("nav-server: cannot start the signaling server: %s\n"), error->message);
          return 1;
        }
      g_message ("event=started server=signaling version=%s", PACKAGE_VERSION);
    }

  if (opt_stats_port > 0)
    {
      const gchar *stats_ip = opt_stats_ip != NULL ? opt_stats_ip : "127.0.0.1";

      stats = nav_server_stats_new ();
      if (server != NULL)
        nav_server_stats_add (stats, "stun", NAV_SERVER (server));
      if (turn_server != NULL)
        nav_server_stats_add (stats, "turn", turn_server);
      if (signaling != NULL)
        nav_server_stats_add (stats, "signaling", signaling);
      if (!nav_server_stats_listen (stats, stats_ip, (guint) opt_stats_port, &error))
        {
          g_printerr ("nav-server: %s\n", error->message);
          return 1;
        }
      g_message ("event=stats-listening ip=%s port=%u", stats_ip, nav_server_stats_get_port (stats));
    }

  d.server = turn_server != NULL ? turn_server : server != NULL ? NAV_SERVER (server) : signaling;

  /* Every listener is bound: systemd may start what depends on us. */
  {
    g_autofree gchar *ready = g_strdup_printf ("READY=1\nMAINPID=%d\nSTATUS=serving%s%s%s",
                                               (int) getpid (),
                                               turn_server != NULL ? " turn" : "",
                                               server != NULL ? " stun" : "",
                                               signaling != NULL ? " signaling" : "");
    notify_systemd (ready);
  }

  g_main_loop_run (d.loop);
  notify_systemd ("STOPPING=1");

  for (i = 0; i < G_N_ELEMENTS (sig_ids); i++)
    g_source_remove (sig_ids[i]);
  g_clear_pointer (&stats, nav_server_stats_free);
  if (server != NULL)
    {
      print_stats (NAV_SERVER (server), "exit");
      nav_server_stop (NAV_SERVER (server));
      g_clear_object (&server);
      g_message ("event=stopped server=stun");
    }
  if (turn_server != NULL)
    {
      print_stats (turn_server, "exit");
      nav_server_stop (turn_server);
      g_clear_object (&turn_server);
      g_message ("event=stopped server=turn");
    }
  nav_server_turn_free_options ();
  if (signaling != NULL)
    {
      /* Stopping tells every client (bye, then a 1001 close). */
      print_stats (signaling, "exit");
      nav_server_stop (signaling);
      g_clear_object (&signaling);
    }
  nav_server_signaling_free_options ();

  g_strfreev (opt_listening_ips);
  g_free (opt_alt_listening_ip);
  g_free (opt_cert);
  g_free (opt_pkey);
  g_free (opt_config);
  g_free (opt_software);
  g_free (opt_stats_ip);
  g_free (opt_udp_steering);
  return 0;
}
