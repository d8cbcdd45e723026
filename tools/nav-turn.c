/* nav-turn.c: check a TURN server: allocate, relay to an echo peer and back
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <netavanue/netavanue.h>

#include "nav-tool-i18n.h"

#include "nav-tool-progress.h"

/* The TURN client is the `turn` transport of the turn module, reached
 * through the registry: a NavTransport, allocated by GAsyncInitable, with
 * properties and action signals for the rest (NavTurnRelayTransport). */

/* RFC 8656 §9, §12: permissions last 300 s, channels 600 s; refresh
 * well before.  RFC 8489 §6.2.1 retransmissions. */
#define PERMISSION_REFRESH_S 240
#define CHANNEL_REFRESH_S 540
#define CONNECT_TIMEOUT_MS 10000
#define DEFAULT_RTO_MS 500
#define DEFAULT_RC 7

#define MAGIC 0x4E415654u       /* "NAVT" */
#define HEADER 8

static gchar *opt_server;
static gchar *opt_user;
static gchar *opt_password;
static gchar *opt_auth_secret;
static gchar *opt_peer;
static gint opt_count = 10;
static gint opt_size = 100;
static gint opt_interval = 10;
static gint opt_wait = 2000;
static gint opt_window;
static gboolean opt_echo;
static gchar **opt_permit;
static gint opt_duration;
static gboolean opt_tcp;
static gboolean opt_tls;
static gboolean opt_channel;
static gboolean opt_indication;
static gboolean opt_tcp_relay;
static gboolean opt_ipv6;
static gboolean opt_dual;
static gboolean opt_dont_fragment;
static gboolean opt_insecure;
static gchar *opt_ca_file;
static gint opt_connect_timeout = CONNECT_TIMEOUT_MS;
static gint opt_lifetime;
static gint opt_permission_refresh = PERMISSION_REFRESH_S;
static gint opt_channel_refresh = CHANNEL_REFRESH_S;
static gint opt_rto = DEFAULT_RTO_MS;
static gint opt_rc = DEFAULT_RC;
static gboolean opt_version;

static const GOptionEntry entries[] = {
  { "server", 's', 0, G_OPTION_ARG_STRING, &opt_server,
    N_("The TURN server (port 3478 by default, 5349 with --tls)"), N_("HOST[:PORT]") },
  { "user", 'u', 0, G_OPTION_ARG_STRING, &opt_user, N_("The username"), N_("USER") },
  { "password", 'w', 0, G_OPTION_ARG_STRING, &opt_password, N_("The password"), N_("PASSWORD") },
  { "auth-secret", 'W', 0, G_OPTION_ARG_STRING, &opt_auth_secret,
    N_("TURN REST API: derive a time-limited username (expiry:user) and password "
       "(base64 HMAC-SHA1) from this shared secret, as coturn's static-auth-secret"),
    N_("SECRET") },
  { "peer", 'p', 0, G_OPTION_ARG_STRING, &opt_peer,
    N_("The echo peer to relay to (e.g. turnutils_peer); without it, only allocate"),
    N_("IP:PORT") },
  { "count", 'n', 0, G_OPTION_ARG_INT, &opt_count, N_("How many messages (default: 10)"), N_("N") },
  { "size", 'l', 0, G_OPTION_ARG_INT, &opt_size,
    N_("Message size in bytes, at least 8 (default: 100)"), N_("L") },
  { "interval", 'i', 0, G_OPTION_ARG_INT, &opt_interval,
    N_("Milliseconds between messages (default: 10)"), N_("MS") },
  { "window", 0, 0, G_OPTION_ARG_INT, &opt_window,
    N_("Keep N messages in flight, each echo releasing the next, instead of sending "
       "every --interval: measures the relay's throughput"), N_("N") },
  { "echo", 'e', 0, G_OPTION_ARG_NONE, &opt_echo,
    N_("Be the echo: send back to each peer what it sends to the relayed address "
       "(with --permit; for a TCP allocation, peers connect, RFC 6062 §4.4)"), NULL },
  { "permit", 'P', 0, G_OPTION_ARG_STRING_ARRAY, &opt_permit,
    N_("Install a permission for this peer IP (repeatable)"), N_("IP") },
  { "duration", 0, 0, G_OPTION_ARG_INT, &opt_duration,
    N_("With --echo: seconds to serve (default: until SIGINT or SIGTERM)"), N_("S") },
  { "wait", 0, 0, G_OPTION_ARG_INT, &opt_wait,
    N_("Milliseconds to wait for echoes after the last message (default: 2000)"), N_("MS") },
  { "tcp", 't', 0, G_OPTION_ARG_NONE, &opt_tcp, N_("Talk to the server over TCP"), NULL },
  { "tls", 'S', 0, G_OPTION_ARG_NONE, &opt_tls, N_("Talk to the server over TLS"), NULL },
  { "channel", 'c', 0, G_OPTION_ARG_NONE, &opt_channel,
    N_("Relay through a channel, ChannelData (the default)"), NULL },
  { "indication", 'I', 0, G_OPTION_ARG_NONE, &opt_indication,
    N_("Relay through Send and Data indications"), NULL },
  { "tcp-relay", 'T', 0, G_OPTION_ARG_NONE, &opt_tcp_relay,
    N_("A TCP allocation (RFC 6062) to a TCP echo peer; needs --tcp or --tls"), NULL },
  { "ipv6", '6', 0, G_OPTION_ARG_NONE, &opt_ipv6,
    N_("Ask for an IPv6 relayed address (REQUESTED-ADDRESS-FAMILY)"), NULL },
  { "dual", 0, 0, G_OPTION_ARG_NONE, &opt_dual,
    N_("Ask for an IPv4 and an IPv6 relayed address (ADDITIONAL-ADDRESS-FAMILY)"), NULL },
  { "dont-fragment", 'D', 0, G_OPTION_ARG_NONE, &opt_dont_fragment,
    N_("Ask the server to set DF on relayed datagrams (DONT-FRAGMENT)"), NULL },
  { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_ca_file,
    N_("Trust the certificate authorities of this PEM file for TLS"), N_("FILE") },
  { "insecure", 'k', 0, G_OPTION_ARG_NONE, &opt_insecure,
    N_("Accept any TLS certificate (self-signed test servers)"), NULL },
  { "connect-timeout", 0, 0, G_OPTION_ARG_INT, &opt_connect_timeout,
    N_("Milliseconds allowed for the TCP connect and TLS handshake (default: 10000)"), N_("MS") },
  { "lifetime", 0, 0, G_OPTION_ARG_INT, &opt_lifetime,
    N_("Allocation lifetime to ask for, in seconds (default: the server's)"), N_("S") },
  { "permission-refresh", 0, 0, G_OPTION_ARG_INT, &opt_permission_refresh,
    N_("Refresh permissions every S seconds (default: 240; they last 300 s, RFC 8656 §9)"),
    N_("S") },
  { "channel-refresh", 0, 0, G_OPTION_ARG_INT, &opt_channel_refresh,
    N_("Refresh channel bindings every S seconds (default: 540; they last 600 s, RFC 8656 §12)"),
    N_("S") },
  { "rto", 0, 0, G_OPTION_ARG_INT, &opt_rto,
    N_("Initial UDP retransmission timeout (RFC 8489 §6.2.1; default: 500)"), N_("MS") },
  { "retransmissions", 0, 0, G_OPTION_ARG_INT, &opt_rc,
    N_("Maximum number of UDP transmissions, Rc (default: 7)"), N_("N") },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, N_("Print the version and exit"), NULL },
  G_OPTION_ENTRY_NULL
};

typedef struct
{
  GMainLoop *loop;
  gint status;
  NavTransport *relay;
  NavAddress peer;
  const gchar *protocol;
  gboolean allocated;
  gboolean lost;
  gboolean closing;

  guint sent;
  guint received;
  guint corrupted;
  guint duplicates;
  gint64 *sent_at;
  gint64 *rtt;
  GByteArray *stream;           /* TCP relay: bytes not yet cut */
  GSource *timer;
  gint64 first_sent;
  gint64 last_received;
  gboolean failed;
  GError *close_error;
  guint permits_pending;        /* --permit: CreatePermission in flight */
  NavToolProgress progress;     /* while the Allocate waits */
} App;

static void
app_fail (App         *app,
          const gchar *message)
{
  if (app->failed)
    return;
  app->failed = TRUE;
  g_printerr ("nav-turn: %s\n", message);
  app->status = 1;
  g_main_loop_quit (app->loop);
}

static void
fill (guint8 *buf,
      guint   seq)
{
  buf[0] = MAGIC >> 24;
  buf[1] = (MAGIC >> 16) & 0xff;
  buf[2] = (MAGIC >> 8) & 0xff;
  buf[3] = MAGIC & 0xff;
  buf[4] = seq >> 24;
  buf[5] = (seq >> 16) & 0xff;
  buf[6] = (seq >> 8) & 0xff;
  buf[7] = seq & 0xff;
  for (gint i = HEADER; i < opt_size; i++)
    buf[i] = (guint8) (seq * 7 + i);
}

static void window_progress (App *app);

static void
check_message (App          *app,
               const guint8 *data)
{
  guint32 magic = ((guint32) data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3];
  guint32 seq = ((guint32) data[4] << 24) | (data[5] << 16) | (data[6] << 8) | data[7];
  g_autofree guint8 *expected = NULL;

  if (magic != MAGIC || seq >= app->sent)
    {
      app->corrupted++;
      return;
    }
  expected = g_malloc (opt_size);
  fill (expected, seq);
  if (memcmp (expected, data, opt_size) != 0)
    {
      app->corrupted++;
      return;
    }
  if (app->rtt[seq] >= 0)
    {
      app->duplicates++;
      return;
    }
  app->last_received = g_get_monotonic_time ();
  app->rtt[seq] = app->last_received - app->sent_at[seq];
  app->received++;
  if (app->received == (guint) opt_count)
    g_main_loop_quit (app->loop);
  else if (opt_window > 0)
    window_progress (app);
}

static void
on_data (NavTransport     *transport,
         const guint8     *data,
         gsize             len,
         const NavAddress *from,
         gpointer          user_data)
{
  App *app = user_data;

  if (opt_echo)
    {
      g_autoptr (GError) error = NULL;

      app->received++;
      if (!nav_transport_send (app->relay, from, data, len, &error))
        g_printerr ("nav-turn: %s\n", error->message);
      return;
    }
  if (!nav_address_equal (from, &app->peer))
    return;
  if (opt_tcp_relay)
    {
      g_byte_array_append (app->stream, data, len);
      while (app->stream->len >= (guint) opt_size)
        {
          check_message (app, app->stream->data);
          g_byte_array_remove_range (app->stream, 0, opt_size);
        }
      return;
    }
  if (len != (gsize) opt_size)
    {
      app->corrupted++;
      return;
    }
  check_message (app, data);
}

static void
on_peer_error (GObject          *relay,
               const NavAddress *peer,
               const GError     *error,
               gpointer          user_data)
{
  App *app = user_data;
  g_autofree gchar *message = NULL;

  /* A permission asked for by --permit, or the relaying itself. */
  if (app->permits_pending > 0)
    message = g_strdup_printf ("--permit: %s", error->message);
  else
    message = g_strdup_printf (_("Relaying failed: %s"), error->message);
  app_fail (app, message);
}

static void
on_closed (NavTransport *transport,
           const GError *error,
           gpointer      user_data)
{
  App *app = user_data;
  g_autofree gchar *message = NULL;

  if (app->closing)
    return;
  app->lost = TRUE;
  message = g_strdup_printf (_("The allocation was lost: %s"),
                             error != NULL ? error->message : _("closed"));
  app_fail (app, message);
}

static gboolean
on_wait_over (gpointer user_data)
{
  App *app = user_data;

  g_clear_pointer (&app->timer, g_source_unref);
  g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
send_one (App *app)
{
  g_autofree guint8 *buf = g_malloc (opt_size);
  g_autoptr (GError) error = NULL;

  fill (buf, app->sent);
  app->sent_at[app->sent] = g_get_monotonic_time ();
  if (app->sent == 0)
    app->first_sent = app->sent_at[0];
  app->sent++;
  if (!nav_transport_send (app->relay, &app->peer, buf, opt_size, &error))
    {
      g_autofree gchar *message = g_strdup_printf (_("Sending failed: %s"), error->message);

      app_fail (app, message);
      return FALSE;
    }
  return TRUE;
}

static void
arm_wait (App *app)
{
  if (app->timer != NULL)
    {
      g_source_destroy (app->timer);
      g_clear_pointer (&app->timer, g_source_unref);
    }
  app->timer = g_timeout_source_new (opt_wait);
  g_source_set_callback (app->timer, on_wait_over, app, NULL);
  g_source_attach (app->timer, NULL);
}

/* With a window, each echo releases the next message; the wait restarts
 * with every echo, so only a stall ends the run early. */
static void
window_progress (App *app)
{
  if (app->failed)
    return;
  while (app->sent < (guint) opt_count &&
         app->sent - app->received < (guint) opt_window)
    if (!send_one (app))
      return;
  arm_wait (app);
}

static gboolean
send_next (gpointer user_data)
{
  App *app = user_data;

  if (!send_one (app))
    {
      g_clear_pointer (&app->timer, g_source_unref);
      return G_SOURCE_REMOVE;
    }
  if (app->sent < (guint) opt_count)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&app->timer, g_source_unref);
  app->timer = g_timeout_source_new (opt_wait);
  g_source_set_callback (app->timer, on_wait_over, app, NULL);
  g_source_attach (app->timer, NULL);
  return G_SOURCE_REMOVE;
}

static void
start_sending (App *app)
{
  if (opt_window > 0)
    {
      window_progress (app);
      return;
    }
  app->timer = g_timeout_source_new (MAX (opt_interval, 0));
  g_source_set_callback (app->timer, send_next, app, NULL);
  g_source_attach (app->timer, NULL);
}

static void
connected (GObject          *relay,
           const NavAddress *peer,
           gpointer          user_data)
{
  App *app = user_data;
  gchar buf[NAV_ADDRESS_STRING_LEN];

  if (app->failed || !nav_address_equal (peer, &app->peer))
    return;
  g_print (_("Connected to peer: %s (RFC 6062)\n"), nav_address_to_string_buf (&app->peer, buf));
  start_sending (app);
}

/* What follows the allocation, once the --permit permissions are
 * installed: a peer reaching the relayed address before would be refused
 * (RFC 8656 §9). */
static void
permitted (App *app)
{
  if (opt_echo)
    {
      g_print ("%s\n", _("Echoing what peers send to the relayed address"));
      fflush (stdout);
      if (opt_duration > 0)
        app->timer = g_timeout_source_new_seconds (opt_duration);
      if (app->timer != NULL)
        {
          g_source_set_callback (app->timer, on_wait_over, app, NULL);
          g_source_attach (app->timer, NULL);
        }
      return;
    }
  if (opt_peer == NULL)
    {
      g_main_loop_quit (app->loop);
      return;
    }
  if (opt_tcp_relay)
    {
      gboolean started = FALSE;

      g_signal_emit_by_name (app->relay, "connect-peer", &app->peer, &started);
      if (!started)
        app_fail (app, _("Cannot connect to the peer: no allocation"));
    }
  else
    start_sending (app);
}

static void
permit_done (GObject          *relay,
             const NavAddress *peer,
             gpointer          user_data)
{
  App *app = user_data;

  if (app->permits_pending == 0)
    return;
  app->permits_pending--;
  if (app->permits_pending == 0 && !app->failed)
    permitted (app);
}

static void
print_address (const gchar *format,
               NavTransport *relay,
               const gchar  *property)
{
  g_autoptr (NavAddress) address = NULL;
  gchar buf[NAV_ADDRESS_STRING_LEN];

  g_object_get (relay, property, &address, NULL);
  if (address != NULL)
    g_print (format, nav_address_to_string_buf (address, buf));
}

static void
allocated (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  App *app = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) server = NULL;
  g_auto (GStrv) relayed = NULL;
  g_autofree gchar *realm = NULL;
  gchar buf[NAV_ADDRESS_STRING_LEN];
  guint lifetime = 0;

  nav_tool_progress_stop (&app->progress);
  if (!g_async_initable_init_finish (G_ASYNC_INITABLE (source), result, &error))
    {
      app_fail (app, error->message);
      return;
    }
  app->allocated = TRUE;
  g_object_get (app->relay, "server-address", &server, "realm", &realm,
                "relayed-addresses", &relayed, "granted-lifetime", &lifetime, NULL);
  g_print (_("Server: %s (%s)\n"), nav_address_to_string_buf (server, buf), app->protocol);
  if (realm != NULL)
    g_print (_("Realm: %s\n"), realm);
  print_address (_("Local address: %s\n"), app->relay, "client-address");
  for (guint i = 0; relayed != NULL && relayed[i] != NULL; i++)
    g_print (_("Relayed address: %s (%s)\n"), relayed[i], opt_tcp_relay ? "tcp" : "udp");
  print_address (_("Mapped address: %s\n"), app->relay, "mapped-address");
  g_print (_("Lifetime: %u s\n"), lifetime);

  for (guint i = 0; opt_permit != NULL && opt_permit[i] != NULL; i++)
    {
      NavAddress ip;
      gboolean started = FALSE;

      /* Only the IP counts in a permission (RFC 8656 §9). */
      nav_address_init (&ip);
      if (!nav_address_set_ip_from_string (&ip, opt_permit[i], &error))
        {
          g_autofree gchar *message = g_strdup_printf ("--permit %s: %s", opt_permit[i],
                                                       error->message);

          app_fail (app, message);
          return;
        }
      app->permits_pending++;
      g_signal_emit_by_name (app->relay, "permit", &ip, &started);
      if (!started)
        {
          app_fail (app, "--permit: no allocation");
          return;
        }
    }
  if (app->permits_pending == 0)
    permitted (app);
}

static void
closed (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  App *app = user_data;

  nav_transport_close_finish (NAV_TRANSPORT (source), result, &app->close_error);
  g_main_loop_quit (app->loop);
}

static gboolean
on_signal (gpointer user_data)
{
  App *app = user_data;

  g_main_loop_quit (app->loop);
  return G_SOURCE_CONTINUE;
}

/* HOST:PORT (a name; an address literal was read before). */
static gboolean
split_host_port (const gchar  *text,
                 gchar       **host,
                 guint16      *port,
                 GError      **error)
{
  const gchar *colon = strrchr (text, ':');
  guint64 p;

  if (colon == NULL || colon == text ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &p, NULL))
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ADDRESS,
                   _("“%s” is not HOST:PORT"), text);
      return FALSE;
    }
  *host = g_strndup (text, colon - text);
  *port = p;
  return TRUE;
}

static gboolean
parse_peer (const gchar  *text,
            NavAddress   *peer,
            GError      **error)
{
  g_autofree gchar *host = NULL;
  guint16 port;
  g_autoptr (GList) addresses = NULL;
  g_autoptr (GSocketAddress) sa = NULL;

  if (nav_address_set_from_string (peer, text, NULL) && nav_address_get_port (peer) != 0)
    return TRUE;
  if (!split_host_port (text, &host, &port, error))
    return FALSE;
  addresses = g_resolver_lookup_by_name (g_resolver_get_default (), host, NULL, error);
  if (addresses == NULL)
    return FALSE;
  sa = g_inet_socket_address_new (addresses->data, port);
  g_list_free_full (g_steal_pointer (&addresses), g_object_unref);
  return nav_address_set_from_socket_address (peer, sa, error);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  App app = { 0 };
  g_autofree gchar *ca_file = NULL;
  gdouble min = 0, max = 0, sum = 0;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, nav_tool_localedir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (NULL);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Checks a TURN server (RFC 8656, RFC 6062): allocates a relayed address with\n"
      "long-term or TURN REST API credentials, relays --count messages to an echo\n"
      "peer and back through a channel or Send/Data indications, then prints the\n"
      "allocation, the loss and the round-trip times, and deletes the allocation.\n"
      "\n"
      "Exit status: 0 when every message came back intact; 1 on any failure\n"
      "(unreachable server, refused credentials, timeout, loss or corruption),\n"
      "with the reason on standard error; 2 on bad usage."));
  g_option_context_set_description (context,
    _("Example, against coturn and its echo peer:\n"
      "  turnutils_peer -p 3480 -L 127.0.0.1\n"
      "  nav-turn --server 127.0.0.1:3478 --user alice --password secret \\\n"
      "           --peer 127.0.0.1:3480 --count 100"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("nav-turn: %s\n", error->message);
      return 2;
    }
  if (opt_version)
    {
      g_print ("nav-turn %s\n", NAV_VERSION_S);
      return 0;
    }
  if (opt_server == NULL)
    {
      g_printerr ("nav-turn: %s\n", _("--server is required"));
      return 2;
    }
  if (opt_auth_secret == NULL && (opt_user == NULL || opt_password == NULL))
    {
      g_printerr ("nav-turn: %s\n", _("--user and --password (or --auth-secret) are required"));
      return 2;
    }
  if ((opt_tcp && opt_tls) || (opt_channel && opt_indication) || opt_count < 1 ||
      opt_size < HEADER || opt_size > 65000)
    {
      g_printerr ("nav-turn: %s\n",
                  _("bad options: --tcp and --tls, or --channel and --indication, together; "
                    "--count below 1; or --size outside 8..65000"));
      return 2;
    }
  if (opt_tcp_relay && !opt_tcp && !opt_tls)
    {
      g_printerr ("nav-turn: %s\n", _("--tcp-relay needs --tcp or --tls (RFC 6062 §4.1)"));
      return 2;
    }
  nav_address_init (&app.peer);
  if (opt_peer != NULL && !parse_peer (opt_peer, &app.peer, &error))
    {
      g_printerr ("nav-turn: %s: %s\n", opt_peer, error->message);
      return 2;
    }

  app.loop = g_main_loop_new (NULL, FALSE);
  app.protocol = opt_tls ? "tls" : opt_tcp ? "tcp" : "udp";
  app.sent_at = g_new0 (gint64, opt_count);
  app.rtt = g_new (gint64, opt_count);
  for (gint i = 0; i < opt_count; i++)
    app.rtt[i] = -1;
  app.stream = g_byte_array_new ();

  g_unix_signal_add (SIGINT, on_signal, &app);
  g_unix_signal_add (SIGTERM, on_signal, &app);
  if (opt_ca_file != NULL)
    ca_file = g_canonicalize_filename (opt_ca_file, NULL);
  app.relay = NAV_TRANSPORT (nav_registry_create (nav_registry_get_default (),
                                                  NAV_TRANSPORT_EXTENSION_POINT_NAME, "turn", &error,
                                                  "server", opt_server,
                                                  "protocol", app.protocol,
                                                  "username", opt_user,
                                                  "password", opt_password,
                                                  "auth-secret", opt_auth_secret,
                                                  "address-family", opt_dual ? "dual"
                                                                    : opt_ipv6 ? "ipv6" : NULL,
                                                  "dont-fragment", opt_dont_fragment,
                                                  "tcp-relay", opt_tcp_relay,
                                                  "use-channels", !opt_indication,
                                                  "tls-ca-file", ca_file,
                                                  "tls-insecure", opt_insecure,
                                                  "connect-timeout", (guint) MAX (opt_connect_timeout, 1),
                                                  "lifetime", (guint) MAX (opt_lifetime, 0),
                                                  "permission-refresh", (guint) MAX (opt_permission_refresh, 1),
                                                  "channel-refresh", (guint) MAX (opt_channel_refresh, 1),
                                                  "stun-initial-timeout", (guint) MAX (opt_rto, 1),
                                                  "stun-max-retransmissions", (guint) MAX (opt_rc, 1) - 1,
                                                  "stun-reliable-timeout", (guint) MAX (opt_connect_timeout, 1000),
                                                  NULL));
  if (app.relay == NULL)
    {
      g_printerr (_("nav-turn: the TURN module is missing: %s\n"), error->message);
      return 1;
    }
  nav_transport_set_receive_func (app.relay, on_data, &app, NULL);
  g_signal_connect (app.relay, "peer-error", G_CALLBACK (on_peer_error), &app);
  g_signal_connect (app.relay, "permitted", G_CALLBACK (permit_done), &app);
  g_signal_connect (app.relay, "peer-connected", G_CALLBACK (connected), &app);
  g_signal_connect (app.relay, "closed", G_CALLBACK (on_closed), &app);
  nav_tool_progress_start (&app.progress, "nav-turn", opt_server, opt_tcp || opt_tls,
                           (guint) MAX (opt_rto, 1), (guint) MAX (opt_rc, 1),
                           (guint) MAX (opt_connect_timeout, 1000));
  g_async_initable_init_async (G_ASYNC_INITABLE (app.relay), G_PRIORITY_DEFAULT, NULL,
                               allocated, &app);
  g_main_loop_run (app.loop);
  nav_tool_progress_stop (&app.progress);
  if (app.timer != NULL)
    {
      g_source_destroy (app.timer);
      g_clear_pointer (&app.timer, g_source_unref);
    }

  if (opt_echo && !app.failed)
    g_print (_("Echoed: %u messages\n"), app.received);
  if (!app.failed && opt_peer != NULL && !opt_echo)
    {
      for (gint i = 0; i < opt_count; i++)
        if (app.rtt[i] >= 0)
          {
            gdouble ms = app.rtt[i] / 1000.0;

            if (sum == 0 || ms < min)
              min = ms;
            max = MAX (max, ms);
            sum += ms;
          }
      g_print (_("Messages: %u sent, %u received, %u lost (%.1f%%), %u corrupted, %u duplicated\n"),
               app.sent, app.received, app.sent - app.received,
               app.sent > 0 ? 100.0 * (app.sent - app.received) / app.sent : 0.0,
               app.corrupted, app.duplicates);
      if (app.received > 0)
        g_print (_("Round-trip time: min/avg/max = %.3f/%.3f/%.3f ms\n"),
                 min, sum / app.received, max);
      if (app.received > 0 && app.last_received > app.first_sent)
        {
          gdouble seconds = (app.last_received - app.first_sent) / (gdouble) G_USEC_PER_SEC;

          g_print (_("Throughput: %.0f messages/s, %.3f Mbit/s of payload each way\n"),
                   app.received / seconds, app.received * (gdouble) opt_size * 8 / seconds / 1e6);
        }
      if (app.received < (guint) opt_count || app.corrupted > 0)
        {
          g_printerr (_("nav-turn: %u of %d messages did not come back intact\n"),
                      opt_count - app.received + app.corrupted, opt_count);
          app.status = 1;
        }
    }
  if (app.relay != NULL)
    {
      guint refreshes = 0, stale = 0;
      guint64 garbage = 0;

      if (app.allocated && !app.lost)
        {
          app.closing = TRUE;
          nav_transport_close_async (app.relay, NULL, closed, &app);
          g_main_loop_run (app.loop);
          if (app.close_error == NULL)
            g_print ("%s\n", _("Allocation deleted"));
          else
            {
              g_printerr (_("nav-turn: deleting the allocation failed: %s\n"),
                          app.close_error->message);
              g_clear_error (&app.close_error);
              app.status = 1;
            }
        }
      g_object_get (app.relay, "refreshes", &refreshes, "stale-nonces", &stale,
                    "garbage", &garbage, NULL);
      if (refreshes > 0)
        g_print (_("Refreshes: %u\n"), refreshes);
      if (stale > 0)
        g_print (_("Stale nonces renewed: %u\n"), stale);
      if (garbage > 0)
        {
          /* the count as text: a G_GUINT64_FORMAT in the message would
           * keep it from being translated (xgettext cuts it there) */
          g_autofree gchar *count = g_strdup_printf ("%" G_GUINT64_FORMAT, garbage);

          g_print (_("Ignored from the server: %s malformed or unexpected messages\n"), count);
        }
      app.closing = TRUE;
      nav_transport_set_receive_func (app.relay, NULL, NULL, NULL);
      g_signal_handlers_disconnect_by_data (app.relay, &app);
      g_object_unref (app.relay);
    }
  g_byte_array_unref (app.stream);
  g_free (app.sent_at);
  g_free (app.rtt);
  g_main_loop_unref (app.loop);
  return app.status;
}
