/* nav-stun.c: ask a STUN server for the mapped address, or classify the NAT
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <locale.h>
#include <stdlib.h>

#include <glib/gi18n.h>
#include <netavanue/netavanue.h>

#include "nav-stun-client.h"
#include "nav-nat-discovery.h"

static gboolean opt_nat_type;
static gboolean opt_tcp;
static gboolean opt_tls;
static gboolean opt_ipv4;
static gboolean opt_ipv6;
static gboolean opt_srv;
static gboolean opt_insecure;
static gchar *opt_ca_file;
static gchar *opt_local;
static gint opt_rto = NAV_STUN_DEFAULT_RTO_MS;
static gint opt_rc = NAV_STUN_DEFAULT_RC;
static gint opt_timeout_ms = NAV_STUN_DEFAULT_TI_MS;
static gboolean opt_version;

static const GOptionEntry entries[] = {
  { "nat-type", 'n', 0, G_OPTION_ARG_NONE, &opt_nat_type,
    N_("Classify the NAT (RFC 5780 behaviour discovery; the server needs two addresses)"), NULL },
  { "tcp", 't', 0, G_OPTION_ARG_NONE, &opt_tcp, N_("Use TCP"), NULL },
  { "tls", 's', 0, G_OPTION_ARG_NONE, &opt_tls, N_("Use TLS (default port 5349)"), NULL },
  { "ipv4", '4', 0, G_OPTION_ARG_NONE, &opt_ipv4, N_("Use IPv4 only"), NULL },
  { "ipv6", '6', 0, G_OPTION_ARG_NONE, &opt_ipv6, N_("Use IPv6 only"), NULL },
  { "srv", 0, 0, G_OPTION_ARG_NONE, &opt_srv,
    N_("Look the server up through DNS SRV records (_stun._udp, _stun._tcp, _stuns._tcp)"), NULL },
  { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_ca_file,
    N_("Trust the certificate authorities of this PEM file for TLS"), N_("FILE") },
  { "insecure", 'k', 0, G_OPTION_ARG_NONE, &opt_insecure,
    N_("Accept any TLS certificate"), NULL },
  { "local", 'l', 0, G_OPTION_ARG_STRING, &opt_local,
    N_("Send UDP requests from this local IP[:PORT]"), N_("ADDRESS") },
  { "rto", 0, 0, G_OPTION_ARG_INT, &opt_rto,
    N_("Initial UDP retransmission timeout (RFC 8489 §6.2.1; default: 500)"), N_("MS") },
  { "retransmissions", 0, 0, G_OPTION_ARG_INT, &opt_rc,
    N_("Maximum number of UDP transmissions, Rc (default: 7)"), N_("N") },
  { "timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout_ms,
    N_("TCP and TLS timeout, Ti (default: 39500)"), N_("MS") },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, N_("Print the version and exit"), NULL },
  G_OPTION_ENTRY_NULL
};

typedef struct
{
  GMainLoop *loop;
  gint status;
} App;

static void
binding_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  App *app = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (NavStunBindingResult) r = NULL;
  gchar mapped[NAV_ADDRESS_STRING_LEN], local[NAV_ADDRESS_STRING_LEN];
  gchar server[NAV_ADDRESS_STRING_LEN];

  r = nav_stun_client_binding_finish (NAV_STUN_CLIENT (source), result, &error);
  if (r == NULL)
    {
      g_printerr ("nav-stun: %s\n", error->message);
      app->status = g_error_matches (error, NAV_STUN_CLIENT_ERROR,
                                     NAV_STUN_CLIENT_ERROR_TIMED_OUT) ? 3 : 1;
      g_main_loop_quit (app->loop);
      return;
    }
  /* Line-oriented and stable: scripts and tests read it. */
  g_print (_("Mapped address: %s\n"), nav_address_to_string_buf (&r->mapped, mapped));
  g_print (_("Local address: %s\n"), nav_address_to_string_buf (&r->local, local));
  g_print (_("Server: %s (%s)\n"), nav_address_to_string_buf (&r->server, server),
           nav_stun_protocol_to_string (r->protocol));
  g_print (_("Round-trip time: %.3f ms\n"), r->rtt_us / 1000.0);
  if (r->transmissions > 1)
    g_print (_("Transmissions: %u\n"), r->transmissions);
  if (r->software != NULL)
    g_print (_("Server software: %s\n"), r->software);
  if (r->has_other_address)
    g_print (_("Other address (RFC 5780): %s\n"),
             nav_address_to_string_buf (&r->other_address, server));
  g_main_loop_quit (app->loop);
}

static void
nat_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  App *app = user_data;
  g_autoptr (GError) error = NULL;
  NavNatClassification c;
  gchar buf[NAV_ADDRESS_STRING_LEN];

  if (!nav_nat_discover_finish (NAV_STUN_CLIENT (source), result, &c, &error))
    {
      g_printerr ("nav-stun: %s\n", error->message);
      app->status = 1;
      g_main_loop_quit (app->loop);
      return;
    }
  g_print (_("NAT type: %s\n"), nav_nat_type_to_display_string (c.type));
  g_print (_("Classification: %s\n"), nav_nat_type_to_string (c.type));
  g_print (_("Mapping behaviour: %s\n"), nav_nat_behaviour_to_string (c.mapping));
  g_print (_("Filtering behaviour: %s\n"), nav_nat_behaviour_to_string (c.filtering));
  if (c.type != NAV_NAT_TYPE_UDP_BLOCKED)
    {
      g_print (_("Mapped address: %s\n"), nav_address_to_string_buf (&c.mapped, buf));
      g_print (_("Local address: %s\n"), nav_address_to_string_buf (&c.local, buf));
    }
  if (c.type == NAV_NAT_TYPE_UNKNOWN && c.mapping == NAV_NAT_BEHAVIOUR_UNKNOWN)
    g_print (_("Note: the server gave no OTHER-ADDRESS; it does not support RFC 5780.\n"));
  {
    NavNatType peers[] = { NAV_NAT_TYPE_OPEN_INTERNET, NAV_NAT_TYPE_FULL_CONE,
                           NAV_NAT_TYPE_RESTRICTED_CONE, NAV_NAT_TYPE_PORT_RESTRICTED_CONE,
                           NAV_NAT_TYPE_SYMMETRIC, NAV_NAT_TYPE_UDP_BLOCKED };
    guint i;

    g_print (_("Strategy with a peer behind:\n"));
    for (i = 0; i < G_N_ELEMENTS (peers); i++)
      {
        guint timeout;
        NavNatStrategy s = nav_nat_strategy_for_pair (c.type, peers[i], &timeout);

        if (timeout > 0)
          g_print ("  %-22s %s (%u ms)\n", nav_nat_type_to_string (peers[i]),
                   nav_nat_strategy_to_string (s), timeout);
        else
          g_print ("  %-22s %s\n", nav_nat_type_to_string (peers[i]),
                   nav_nat_strategy_to_string (s));
      }
  }
  g_main_loop_quit (app->loop);
}

static void
nat_resolved (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  App *app = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) server = NULL;

  server = nav_stun_client_resolve_finish (NAV_STUN_CLIENT (source), result, &error);
  if (server == NULL)
    {
      g_printerr ("nav-stun: %s\n", error->message);
      app->status = 1;
      g_main_loop_quit (app->loop);
      return;
    }
  nav_nat_discover_async (NAV_STUN_CLIENT (source), server, NULL, nat_done, app);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (NavStunClient) client = NULL;
  NavStunRetransmitParams params;
  NavStunProtocol protocol = NAV_STUN_PROTOCOL_UDP;
  App app = { 0 };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("SERVER[:PORT] — ask a STUN server what address it sees"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Sends a STUN Binding request (RFC 8489) and prints the mapped address\n"
      "(the address and port the server saw) and the round-trip time.\n"
      "With --nat-type, runs the NAT behaviour discovery tests of RFC 5780 and\n"
      "prints the mapping and filtering behaviours, the classic NAT type and\n"
      "the connection strategy each kind of peer implies.\n"
      "\n"
      "SERVER is a host name, an IPv4 address, an IPv6 address or [IPv6]:PORT;\n"
      "stun: and stuns: URIs (RFC 7064) are accepted too."));
  g_option_context_set_description (context,
    _("Exit status: 0 on success, 1 on error, 2 on a usage error, 3 on a timeout.\n"
      "\n"
      "Examples:\n"
      "  nav-stun stun.example.org\n"
      "  nav-stun --tcp 192.0.2.1:3478\n"
      "  nav-stun --tls --ca-file=ca.pem stun.example.org\n"
      "  nav-stun --nat-type 192.0.2.1\n"));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("nav-stun: %s\n", error->message);
      return 2;
    }
  if (opt_version)
    {
      g_print ("nav-stun %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (argc != 2)
    {
      g_printerr (_("nav-stun: give one SERVER[:PORT]; see “nav-stun --help”\n"));
      return 2;
    }
  if ((opt_tcp && opt_tls) || (opt_ipv4 && opt_ipv6) ||
      (opt_nat_type && (opt_tcp || opt_tls)))
    {
      g_printerr (_("nav-stun: conflicting options (--tcp/--tls, -4/-6, --nat-type is UDP only)\n"));
      return 2;
    }
  if (opt_rto <= 0 || opt_rc <= 0 || opt_timeout_ms <= 0)
    {
      g_printerr (_("nav-stun: --rto, --retransmissions and --timeout must be positive\n"));
      return 2;
    }
  if (opt_tcp)
    protocol = NAV_STUN_PROTOCOL_TCP;
  else if (opt_tls)
    protocol = NAV_STUN_PROTOCOL_TLS;

  client = g_object_new (NAV_TYPE_STUN_CLIENT,
                         "family", opt_ipv4 ? G_SOCKET_FAMILY_IPV4
                                   : opt_ipv6 ? G_SOCKET_FAMILY_IPV6
                                   : G_SOCKET_FAMILY_INVALID,
                         "local-ip", opt_local,
                         "tls-ca-file", opt_ca_file,
                         "tls-insecure", opt_insecure,
                         "use-srv", opt_srv,
                         NULL);
  nav_stun_retransmit_params_init (&params);
  params.rto_ms = opt_rto;
  params.rc = opt_rc;
  params.ti_ms = opt_timeout_ms;
  nav_stun_client_set_retransmit_params (client, &params);

  app.loop = g_main_loop_new (NULL, FALSE);
  if (opt_nat_type)
    nav_stun_client_resolve_async (client, argv[1], NAV_STUN_PROTOCOL_UDP, NULL,
                                   nat_resolved, &app);
  else
    nav_stun_client_binding_async (client, argv[1], protocol, NULL, binding_done, &app);
  g_main_loop_run (app.loop);
  g_main_loop_unref (app.loop);
  g_free (opt_ca_file);
  g_free (opt_local);
  return app.status;
}
