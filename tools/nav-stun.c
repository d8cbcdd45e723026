/* nav-stun.c: ask a STUN server for the mapped address, or classify the NAT
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <locale.h>
#include <stdlib.h>

#include <glib/gi18n.h>
#include <netavanue/netavanue.h>

#include "nav-tool-i18n.h"

#include "nav-tool-progress.h"

/* RFC 8489 §6.2.1 and §6.2.2 defaults */
#define DEFAULT_RTO_MS 500
#define DEFAULT_RC 7
#define DEFAULT_TI_MS 39500

static gboolean opt_nat_type;
static gboolean opt_tcp;
static gboolean opt_tls;
static gboolean opt_ipv4;
static gboolean opt_ipv6;
static gboolean opt_srv;
static gboolean opt_insecure;
static gchar *opt_ca_file;
static gchar *opt_local;
static gint opt_rto = DEFAULT_RTO_MS;
static gint opt_rc = DEFAULT_RC;
static gint opt_timeout_ms = DEFAULT_TI_MS;
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
  NavToolProgress progress;
} App;

static const gchar *
lookup_string (GVariant    *result,
               const gchar *key)
{
  const gchar *value = NULL;

  g_variant_lookup (result, key, "&s", &value);
  return value;
}

/* The client is the `stun-probe` gatherer of the stun module: its result
 * is a dictionary (see NavStunProbe::result). */
static void
on_result (GObject  *probe,
           GVariant *result,
           gpointer  user_data)
{
  const gchar *value;

  nav_tool_progress_stop (&((App *) user_data)->progress);

  if (!opt_nat_type)
    {
      gint64 rtt_us = 0;
      guint transmissions = 1;

      /* Line-oriented and stable: scripts and tests read it. */
      g_print (_("Mapped address: %s\n"), lookup_string (result, "mapped"));
      g_print (_("Local address: %s\n"), lookup_string (result, "local"));
      g_print (_("Server: %s (%s)\n"), lookup_string (result, "server"),
               lookup_string (result, "protocol"));
      g_variant_lookup (result, "rtt-us", "x", &rtt_us);
      g_print (_("Round-trip time: %.3f ms\n"), rtt_us / 1000.0);
      g_variant_lookup (result, "transmissions", "u", &transmissions);
      if (transmissions > 1)
        g_print (_("Transmissions: %u\n"), transmissions);
      if ((value = lookup_string (result, "software")) != NULL)
        g_print (_("Server software: %s\n"), value);
      if ((value = lookup_string (result, "other-address")) != NULL)
        g_print (_("Other address (RFC 5780): %s\n"), value);
      return;
    }

  g_print (_("NAT type: %s\n"), lookup_string (result, "nat-type-display"));
  g_print (_("Classification: %s\n"), lookup_string (result, "nat-type"));
  g_print (_("Mapping behaviour: %s\n"), lookup_string (result, "mapping"));
  g_print (_("Filtering behaviour: %s\n"), lookup_string (result, "filtering"));
  if ((value = lookup_string (result, "mapped")) != NULL)
    {
      g_print (_("Mapped address: %s\n"), value);
      g_print (_("Local address: %s\n"), lookup_string (result, "local"));
    }
  {
    gboolean rfc5780 = TRUE;

    g_variant_lookup (result, "rfc5780", "b", &rfc5780);
    if (!rfc5780)
      g_print (_("Note: the server gave no OTHER-ADDRESS; it does not support RFC 5780.\n"));
  }
  {
    g_autoptr (GVariantIter) iter = NULL;
    const gchar *peer, *strategy;
    guint timeout;

    g_print (_("Strategy with a peer behind:\n"));
    if (g_variant_lookup (result, "strategies", "a(ssu)", &iter))
      while (g_variant_iter_next (iter, "(&s&su)", &peer, &strategy, &timeout))
        {
          if (timeout > 0)
            g_print ("  %-22s %s (%u ms)\n", peer, strategy, timeout);
          else
            g_print ("  %-22s %s\n", peer, strategy);
        }
  }
}

static void
on_failed (GObject      *probe,
           const GError *error,
           gpointer      user_data)
{
  App *app = user_data;

  nav_tool_progress_stop (&app->progress);
  g_printerr ("nav-stun: %s\n", error->message);
  app->status = g_error_matches (error, NAV_ERROR, NAV_ERROR_TIMED_OUT) && !opt_nat_type ? 3 : 1;
}

static void
on_done (NavGatherer *gatherer,
         guint        stream_id,
         guint        component_id,
         gpointer     user_data)
{
  nav_tool_progress_stop (&((App *) user_data)->progress);
  g_main_loop_quit (((App *) user_data)->loop);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GObject) probe = NULL;
  const gchar *protocol = "udp";
  App app = { 0 };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, nav_tool_localedir ());
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
    protocol = "tcp";
  else if (opt_tls)
    protocol = "tls";

  probe = nav_registry_create (nav_registry_get_default (), NAV_GATHERER_EXTENSION_POINT_NAME,
                               "stun-probe", &error,
                               "server", argv[1],
                               "protocol", protocol,
                               "family", opt_ipv4 ? G_SOCKET_FAMILY_IPV4
                                         : opt_ipv6 ? G_SOCKET_FAMILY_IPV6
                                         : G_SOCKET_FAMILY_INVALID,
                               "local-ip", opt_local,
                               "tls-ca-file", opt_ca_file,
                               "tls-insecure", opt_insecure,
                               "use-srv", opt_srv,
                               "nat-discovery", opt_nat_type,
                               "stun-initial-timeout", (guint) opt_rto,
                               "stun-max-retransmissions", (guint) opt_rc - 1,
                               "stun-reliable-timeout", (guint) opt_timeout_ms,
                               NULL);
  if (probe == NULL)
    {
      g_printerr (_("nav-stun: the STUN module is missing: %s\n"), error->message);
      return 1;
    }

  app.loop = g_main_loop_new (NULL, FALSE);
  g_signal_connect (probe, "result", G_CALLBACK (on_result), &app);
  g_signal_connect (probe, "failed", G_CALLBACK (on_failed), &app);
  g_signal_connect (probe, "done", G_CALLBACK (on_done), &app);
  /* NAT discovery waits for answers that may never come by design
   * (RFC 5780 §4.4): progress only for a plain Binding. */
  if (!opt_nat_type)
    nav_tool_progress_start (&app.progress, "nav-stun", argv[1], opt_tcp || opt_tls,
                             (guint) opt_rto, (guint) opt_rc, (guint) opt_timeout_ms);
  nav_gatherer_gather (NAV_GATHERER (probe), 1, 1, NULL);
  g_main_loop_run (app.loop);
  nav_tool_progress_stop (&app.progress);
  g_main_loop_unref (app.loop);
  g_free (opt_ca_file);
  g_free (opt_local);
  return app.status;
}
