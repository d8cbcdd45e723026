/* nav-demo: what NetAvanue can do so far, end to end on this machine
 *
 * Loads the registry and its modules, gathers the host candidates of one
 * component, and carries datagrams between two UDP transports, printing
 * each step.  Later tiers grow it into two agents connecting.
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

static const GOptionEntry entries[] = {
  { "loopback", 'l', 0, G_OPTION_ARG_NONE, &opt_loopback,
    N_("Include loopback addresses in the host candidates"), NULL },
  { "count", 'c', 0, G_OPTION_ARG_INT, &opt_count,
    N_("Number of datagrams to send between the transports (default 1000)"), N_("N") },
  { "size", 's', 0, G_OPTION_ARG_INT, &opt_size,
    N_("Size of each datagram in bytes (default 1200)"), N_("BYTES") },
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
      _("Shows NetAvanue at work on this machine: modules, host candidates, UDP transport."));
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
  return demo.received == sent && sent == (guint) opt_count ? 0 : 1;
}
