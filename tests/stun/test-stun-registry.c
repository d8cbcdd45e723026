/* test-stun-registry.c: the STUN tier as a library user reaches it,
 * through the registry by name only: the `stun` server answering Binding
 * requests on loopback, and the `stun` server-reflexive gatherer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <netavanue/netavanue.h>

/* A failure guard, never a timing assertion. */
#define TIMEOUT_SECONDS 10

typedef struct {
  GMainLoop *loop;
  GBytes *reply;
  NavAddress from;
  GPtrArray *candidates;
  gboolean done;
  gboolean timed_out;
} Waiter;

static gboolean
on_timeout (gpointer user_data)
{
  Waiter *w = user_data;

  w->timed_out = TRUE;
  g_main_loop_quit (w->loop);
  return G_SOURCE_REMOVE;
}

static void
on_received (NavTransport     *transport,
             GBytes           *data,
             const NavAddress *from,
             gpointer          user_data)
{
  Waiter *w = user_data;

  g_clear_pointer (&w->reply, g_bytes_unref);
  w->reply = g_bytes_ref (data);
  w->from = *from;
  g_main_loop_quit (w->loop);
}

/* Runs @loop until something quits it; fails the test on the guard. */
static void
run (Waiter       *w,
     GMainContext *context)
{
  GSource *guard = g_timeout_source_new_seconds (TIMEOUT_SECONDS);

  g_source_set_callback (guard, on_timeout, w, NULL);
  g_source_attach (guard, context);
  g_main_loop_run (w->loop);
  g_source_destroy (guard);
  g_source_unref (guard);
  g_assert_false (w->timed_out);
}

static guint64
stat_of (NavServer   *server,
         const gchar *key)
{
  g_autoptr (GVariant) stats = nav_server_get_stats (server);
  guint64 value = G_MAXUINT64;

  g_assert_true (g_variant_lookup (stats, key, "t", &value));
  return value;
}

static NavServer *
start_server (GMainContext *context)
{
  g_autoptr (GError) error = NULL;
  NavServer *server;
  guint port = 0;

  server = NAV_SERVER (nav_registry_create (nav_registry_get_default (), "nav-server", "stun",
                                            &error,
                                            "context", context,
                                            "listening-ip", "127.0.0.1",
                                            "listening-port", 0,
                                            "software", "nav-test",
                                            NULL));
  g_assert_no_error (error);
  g_assert_false (nav_server_get_running (server));
  g_object_get (server, "port", &port, NULL);
  g_assert_cmpuint (port, ==, 0);
  g_assert_cmpuint (stat_of (server, "received"), ==, 0);

  g_assert_true (nav_server_start (server, &error));
  g_assert_no_error (error);
  g_assert_true (nav_server_get_running (server));
  return server;
}

static void
test_server_answers (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavServer) server = NULL;
  g_autoptr (NavUdpTransport) client = NULL;
  g_autoptr (NavStunMessageBuilder) b = NULL;
  g_autoptr (GBytes) request = NULL;
  g_autoptr (NavStunMessage) response = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *software = NULL;
  NavAddress any, server_addr, mapped;
  Waiter w = { 0 };
  guint8 tid[12];
  guint port;
  gulong id;

  server = start_server (context);
  g_object_get (server, "port", &port, NULL);
  g_assert_cmpuint (port, >, 0);

  g_assert_true (nav_address_set_from_string (&any, "127.0.0.1:0", NULL));
  client = nav_udp_transport_new (&any, context, &error);
  g_assert_no_error (error);
  w.loop = g_main_loop_new (context, FALSE);
  id = g_signal_connect (client, "received", G_CALLBACK (on_received), &w);

  b = nav_stun_message_builder_new (NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_BINDING, NULL);
  nav_stun_message_builder_add_fingerprint (b, NULL);
  memcpy (tid, nav_stun_message_builder_get_transaction_id (b), sizeof tid);
  request = nav_stun_message_builder_finish (b, &error);
  g_assert_no_error (error);

  g_assert_true (nav_address_set_from_string (&server_addr, "127.0.0.1:0", NULL));
  nav_address_set_port (&server_addr, port);
  g_assert_true (nav_transport_send_bytes (NAV_TRANSPORT (client), &server_addr, request, &error));
  g_assert_no_error (error);
  run (&w, context);

  /* A success response to our transaction, from the server's address,
   * naming our address. */
  g_assert_true (nav_address_equal (&w.from, &server_addr));
  response = nav_stun_message_parse_bytes (w.reply, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (nav_stun_message_get_class (response), ==, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  g_assert_cmpuint (nav_stun_message_get_method (response), ==, NAV_STUN_METHOD_BINDING);
  g_assert_true (nav_stun_message_has_transaction_id (response, tid));
  g_assert_true (nav_stun_message_get_xor_mapped_address (response, &mapped, NULL));
  g_assert_true (nav_address_equal (&mapped, nav_transport_get_local_address (NAV_TRANSPORT (client))));
  software = nav_stun_message_get_software (response, NULL);
  g_assert_cmpstr (software, ==, "nav-test");

  g_assert_cmpuint (stat_of (server, "received"), ==, 1);
  g_assert_cmpuint (stat_of (server, "answered"), ==, 1);
  g_assert_cmpuint (stat_of (server, "dropped"), ==, 0);

  /* Garbage is dropped and counted; the server still answers after it. */
  {
    g_autoptr (GBytes) garbage = g_bytes_new_static ("\x00\x01\x00\x04garbage-not-stun", 20);

    g_assert_true (nav_transport_send_bytes (NAV_TRANSPORT (client), &server_addr, garbage, &error));
    g_assert_true (nav_transport_send_bytes (NAV_TRANSPORT (client), &server_addr, request, &error));
    g_assert_no_error (error);
    run (&w, context);
    g_assert_cmpuint (stat_of (server, "received"), ==, 3);
    g_assert_cmpuint (stat_of (server, "answered"), ==, 2);
    g_assert_cmpuint (stat_of (server, "dropped"), ==, 1);
  }

  g_signal_handler_disconnect (client, id);
  nav_server_stop (server);
  g_assert_false (nav_server_get_running (server));
  g_object_get (server, "port", &port, NULL);
  g_assert_cmpuint (port, ==, 0);
  g_clear_pointer (&w.reply, g_bytes_unref);
  g_main_loop_unref (w.loop);
}

/* A second server on the port of a running one cannot start, and says
 * so. */
static void
test_server_port_in_use (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavServer) first = start_server (context);
  g_autoptr (GObject) second = NULL;
  g_autoptr (GError) error = NULL;
  guint port;

  g_object_get (first, "port", &port, NULL);
  second = nav_registry_create (nav_registry_get_default (), "nav-server", "stun", &error,
                                "context", context,
                                "listening-ip", "127.0.0.1",
                                "listening-port", port,
                                NULL);
  g_assert_no_error (error);
  g_assert_false (nav_server_start (NAV_SERVER (second), &error));
  g_assert_nonnull (error);
  g_test_message ("second server: %s", error->message);
  g_assert_false (nav_server_get_running (NAV_SERVER (second)));
}

static void
on_candidate (NavGatherer  *gatherer,
              NavCandidate *candidate,
              gpointer      user_data)
{
  Waiter *w = user_data;

  g_ptr_array_add (w->candidates, nav_candidate_copy (candidate));
}

static void
on_done (NavGatherer *gatherer,
         guint        stream_id,
         guint        component_id,
         gpointer     user_data)
{
  Waiter *w = user_data;

  g_assert_cmpuint (stream_id, ==, 1);
  g_assert_cmpuint (component_id, ==, 1);
  w->done = TRUE;
  g_main_loop_quit (w->loop);
}

/* Gathers through the registry's `stun` gatherer against our server, with
 * one base whose address is @claimed_base (or the transport's own when
 * %NULL), and returns what it produced. */
static GPtrArray *
gather (const gchar *claimed_base,
        NavAddress  *out_local)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavServer) server = start_server (context);
  g_autoptr (NavUdpTransport) transport = NULL;
  g_autoptr (GObject) gatherer = NULL;
  g_autoptr (GPtrArray) bases = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *server_name = NULL;
  const gchar *servers[2] = { NULL, NULL };
  NavCandidate *base;
  NavAddress any;
  Waiter w = { 0 };
  guint port;

  g_object_get (server, "port", &port, NULL);
  server_name = g_strdup_printf ("127.0.0.1:%u", port);
  servers[0] = server_name;

  gatherer = nav_registry_create (nav_registry_get_default (), "nav-gatherer", "stun", &error,
                                  "context", context, "servers", servers, NULL);
  g_assert_no_error (error);
  g_assert_true (NAV_IS_GATHERER (gatherer));

  g_assert_true (nav_address_set_from_string (&any, "127.0.0.1:0", NULL));
  transport = nav_udp_transport_new (&any, context, &error);
  g_assert_no_error (error);
  *out_local = *nav_transport_get_local_address (NAV_TRANSPORT (transport));

  base = nav_candidate_new (NAV_CANDIDATE_TYPE_HOST);
  base->transport = NAV_CANDIDATE_TRANSPORT_UDP;
  base->stream_id = 1;
  base->component_id = 1;
  if (claimed_base != NULL)
    g_assert_true (nav_address_set_from_string (&base->addr, claimed_base, NULL));
  else
    base->addr = *out_local;
  base->base_addr = base->addr;
  nav_candidate_set_owner (base, NAV_TRANSPORT (transport));
  g_ptr_array_add (bases, base);

  w.loop = g_main_loop_new (context, FALSE);
  w.candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
  g_signal_connect (gatherer, "candidate-gathered", G_CALLBACK (on_candidate), &w);
  g_signal_connect (gatherer, "done", G_CALLBACK (on_done), &w);
  nav_gatherer_gather (NAV_GATHERER (gatherer), 1, 1, bases);
  /* never done from inside the call */
  g_assert_false (w.done);
  run (&w, context);
  g_assert_true (w.done);
  g_assert_cmpuint (stat_of (server, "answered"), ==, 1);

  g_signal_handlers_disconnect_by_data (gatherer, &w);
  g_main_loop_unref (w.loop);
  return w.candidates;
}

/* On loopback the mapped address is the base itself: RFC 8445 §5.1.3
 * makes that server-reflexive candidate redundant. */
static void
test_gatherer_redundant (void)
{
  g_autoptr (GPtrArray) candidates = NULL;
  NavAddress local;

  candidates = gather (NULL, &local);
  g_assert_cmpuint (candidates->len, ==, 0);
}

/* A base whose address differs from what the server sees (as behind a
 * NAT) yields one server-reflexive candidate: the address the server saw,
 * based on and related to the base. */
static void
test_gatherer_srflx (void)
{
  g_autoptr (GPtrArray) candidates = NULL;
  NavCandidate *c;
  NavAddress local, claimed;

  candidates = gather ("192.0.2.7:9", &local);
  g_assert_cmpuint (candidates->len, ==, 1);
  c = candidates->pdata[0];
  g_assert_true (nav_address_set_from_string (&claimed, "192.0.2.7:9", NULL));
  g_assert_cmpint (c->type, ==, NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE);
  g_assert_cmpint (c->transport, ==, NAV_CANDIDATE_TRANSPORT_UDP);
  g_assert_true (nav_address_equal (&c->addr, &local));
  g_assert_true (nav_address_equal (&c->base_addr, &claimed));
  g_assert_true (nav_address_equal (&c->related_addr, &claimed));
  g_assert_cmpuint (c->stream_id, ==, 1);
  g_assert_cmpuint (c->component_id, ==, 1);
  /* RFC 8445 §5.1.2.1: type preference 100 for srflx */
  g_assert_cmpuint (c->priority >> 24, ==, 100);
  g_assert_nonnull (c->owner);
  g_assert_cmpuint (strlen (c->foundation), >, 0);
}

/* The `stun-probe` gatherer (what nav-stun runs): one Binding, its result
 * as a dictionary; an unreachable server, a "failed" signal with the
 * error (and no critical on the way out). */
typedef struct {
  GMainLoop *loop;
  GVariant *result;
  GError *error;
} ProbeWaiter;

static void
on_probe_result (GObject  *probe,
                 GVariant *result,
                 gpointer  user_data)
{
  ProbeWaiter *w = user_data;

  w->result = g_variant_ref (result);
}

static void
on_probe_failed (GObject      *probe,
                 const GError *error,
                 gpointer      user_data)
{
  ProbeWaiter *w = user_data;

  w->error = g_error_copy (error);
}

static void
on_probe_done (NavGatherer *probe,
               guint        stream_id,
               guint        component_id,
               gpointer     user_data)
{
  g_main_loop_quit (((ProbeWaiter *) user_data)->loop);
}

static void
probe (const gchar *server,
       ProbeWaiter *w)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GObject) probe = NULL;
  Waiter guard = { 0 };

  probe = nav_registry_create (nav_registry_get_default (), NAV_GATHERER_EXTENSION_POINT_NAME,
                               "stun-probe", &error,
                               "server", server,
                               "protocol", "udp",
                               "stun-initial-timeout", 50,
                               "stun-max-retransmissions", 1,
                               NULL);
  g_assert_no_error (error);
  w->loop = guard.loop = g_main_loop_new (NULL, FALSE);
  g_signal_connect (probe, "result", G_CALLBACK (on_probe_result), w);
  g_signal_connect (probe, "failed", G_CALLBACK (on_probe_failed), w);
  g_signal_connect (probe, "done", G_CALLBACK (on_probe_done), w);
  nav_gatherer_gather (NAV_GATHERER (probe), 1, 1, NULL);
  run (&guard, NULL);
  g_main_loop_unref (w->loop);
}

static void
test_probe (void)
{
  g_autoptr (NavServer) server = start_server (NULL);
  g_autofree gchar *address = NULL;
  ProbeWaiter w = { 0 };
  const gchar *protocol = NULL;
  guint port = 0, transmissions = 0;

  g_object_get (server, "port", &port, NULL);
  address = g_strdup_printf ("127.0.0.1:%u", port);
  probe (address, &w);
  g_assert_no_error (w.error);
  g_assert_nonnull (w.result);
  g_assert_true (g_variant_lookup (w.result, "protocol", "&s", &protocol));
  g_assert_cmpstr (protocol, ==, "udp");
  g_assert_true (g_variant_lookup (w.result, "transmissions", "u", &transmissions));
  g_assert_cmpuint (transmissions, ==, 1);
  g_variant_unref (w.result);
  nav_server_stop (server);
}

static void
test_probe_unreachable (void)
{
  g_autoptr (NavServer) server = start_server (NULL);
  g_autofree gchar *address = NULL;
  ProbeWaiter w = { 0 };
  guint port = 0;

  /* the port of a server that is gone: ICMP port unreachable, or silence
   * until the retransmissions are over */
  g_object_get (server, "port", &port, NULL);
  nav_server_stop (server);
  address = g_strdup_printf ("127.0.0.1:%u", port);
  probe (address, &w);
  g_assert_null (w.result);
  g_assert_nonnull (w.error);
  g_clear_error (&w.error);
}

/* The module registers the server and the gatherer under `stun`. */
static void
test_registered (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  g_autoptr (NavModuleInfo) module = nav_registry_lookup_module (registry, "stun");
  GList *types, *l;
  gboolean server = FALSE, gatherer = FALSE;

  g_assert_nonnull (module);
  types = nav_module_info_list_types (module);
  for (l = types; l != NULL; l = l->next)
    {
      GType type = GPOINTER_TO_SIZE (l->data);

      server |= g_type_is_a (type, NAV_TYPE_SERVER);
      gatherer |= g_type_is_a (type, NAV_TYPE_GATHERER);
    }
  g_list_free (types);
  g_assert_true (server);
  g_assert_true (gatherer);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stun-registry/registered", test_registered);
  g_test_add_func ("/stun-registry/server-answers", test_server_answers);
  g_test_add_func ("/stun-registry/server-port-in-use", test_server_port_in_use);
  g_test_add_func ("/stun-registry/gatherer-redundant", test_gatherer_redundant);
  g_test_add_func ("/stun-registry/gatherer-srflx", test_gatherer_srflx);
  g_test_add_func ("/stun-registry/probe", test_probe);
  g_test_add_func ("/stun-registry/probe-unreachable", test_probe_unreachable);

  return g_test_run ();
}
