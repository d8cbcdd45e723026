/* test-transport-contract.c: the transport contract of docs/modules.md,
 * as the core holds it up against a third-party plugin
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The plugin is libnav-test-transport.so (test-module/), found through
 * NAV_MODULE_PATH and created by name, as an application would.  Its
 * transport can emit NavTransport::closed where a careless plugin does:
 * twice, from dispose, from finalize.  The core must hear it once, at
 * most, and never crash; G_DEBUG=fatal-criticals and GLib's test mode
 * make any critical or warning a failure.
 */
#include <netavanue/netavanue.h>

typedef struct {
  guint received;
  guint received_signals;
  guint closed;
  gboolean in_context;
  GBytes *last;
  NavAddress *from;
} Counts;

static NavTransport *
create (GMainContext *context,
        const gchar  *first_property,
        ...);

static NavTransport *
create (GMainContext *context,
        const gchar  *first_property,
        ...)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) values = g_array_new (FALSE, TRUE, sizeof (GValue));
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  GValue context_value = G_VALUE_INIT;
  const gchar *name;
  GObject *object;
  va_list args;

  g_value_init (&context_value, G_TYPE_MAIN_CONTEXT);
  g_value_set_boxed (&context_value, context);
  g_ptr_array_add (names, (gpointer) "context");
  g_array_append_val (values, context_value);

  va_start (args, first_property);
  for (name = first_property; name != NULL; name = va_arg (args, const gchar *))
    {
      GValue value = G_VALUE_INIT;

      g_value_init (&value, G_TYPE_BOOLEAN);
      g_value_set_boolean (&value, va_arg (args, gboolean));
      g_ptr_array_add (names, (gpointer) name);
      g_array_append_val (values, value);
    }
  va_end (args);

  object = nav_registry_create_with_properties (nav_registry_get_default (),
                                                NAV_TRANSPORT_EXTENSION_POINT_NAME,
                                                "test-loopback", names->len,
                                                (const gchar **) names->pdata,
                                                (const GValue *) values->data, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < values->len; i++)
    g_value_unset (&g_array_index (values, GValue, i));
  return NAV_TRANSPORT (object);
}

static void
on_closed (NavTransport *transport,
           const GError *error,
           gpointer      user_data)
{
  Counts *counts = user_data;

  g_assert_no_error (error);
  counts->closed++;
}

static void
receive_func (NavTransport     *transport,
              const guint8     *data,
              gsize             len,
              const NavAddress *from,
              gpointer          user_data)
{
  Counts *counts = user_data;

  counts->received++;
  counts->in_context = g_main_context_is_owner (nav_transport_get_context (transport));
  g_clear_pointer (&counts->last, g_bytes_unref);
  counts->last = g_bytes_new (data, len);
  g_clear_pointer (&counts->from, nav_address_free);
  counts->from = nav_address_copy (from);
}

static void
on_received (NavTransport     *transport,
             GBytes           *data,
             const NavAddress *from,
             gpointer          user_data)
{
  Counts *counts = user_data;

  g_assert_true (g_bytes_equal (data, counts->last));
  counts->received_signals++;
}

static void
counts_clear (Counts *counts)
{
  g_clear_pointer (&counts->last, g_bytes_unref);
  g_clear_pointer (&counts->from, nav_address_free);
}

static void
test_plugin_loaded (void)
{
  g_autoptr (NavModuleInfo) info = nav_registry_lookup_module (nav_registry_get_default (),
                                                               "test-transport");
  g_autoptr (NavImplementationInfo) impl = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) points = NULL;

  g_assert_nonnull (info);
  g_assert_true (nav_module_info_get_loaded (info));
  g_assert_cmpstr (nav_module_info_get_description (info), ==,
                   "A loopback transport for the tests of the transport contract");

  impl = nav_registry_lookup (nav_registry_get_default (), NAV_TRANSPORT_EXTENSION_POINT_NAME,
                              "test-loopback", &error);
  g_assert_no_error (error);
  g_assert_cmpint (nav_implementation_info_get_priority (impl), ==, 1);
  g_assert_true (nav_implementation_info_get_module (impl) == info);
}

/* Received data goes to the receive function, then to ::received, in
 * the transport's context. */
static void
test_deliver_in_context (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavTransport) transport = create (context, NULL);
  Counts counts = { 0 };
  const guint8 data[] = { 0x80, 1, 2, 3 };

  nav_transport_set_receive_func (transport, receive_func, &counts, NULL);
  g_signal_connect (transport, "received", G_CALLBACK (on_received), &counts);

  g_assert_true (nav_transport_send (transport, NULL, data, sizeof data, NULL));
  g_assert_cmpuint (counts.received, ==, 0);
  while (counts.received == 0)
    g_main_context_iteration (context, TRUE);

  g_assert_cmpuint (counts.received, ==, 1);
  g_assert_cmpuint (counts.received_signals, ==, 1);
  g_assert_true (counts.in_context);
  g_assert_cmpmem (g_bytes_get_data (counts.last, NULL), g_bytes_get_size (counts.last),
                   data, sizeof data);
  g_assert_true (nav_address_equal (counts.from, nav_transport_get_local_address (transport)));

  nav_transport_close (transport);
  counts_clear (&counts);
}

/* A plugin that says it closed in close() and again in dispose: the
 * handlers hear it once. */
static void
test_closed_once (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  NavTransport *transport = create (context, "closed-in-dispose", TRUE, NULL);
  Counts counts = { 0 };

  g_signal_connect (transport, "closed", G_CALLBACK (on_closed), &counts);
  nav_transport_close (transport);
  g_assert_cmpuint (counts.closed, ==, 1);
  nav_transport_close (transport);
  g_object_unref (transport);
  g_assert_cmpuint (counts.closed, ==, 1);
}

/* Closed from dispose (g_object_run_dispose, as a binding's destroy
 * does): a channel over it hears it and closes. */
static void
test_closed_in_dispose (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavAddress) peer = nav_address_new_from_string ("192.0.2.2:5000", NULL);
  NavTransport *transport = create (context, "closed-on-close", FALSE,
                                    "closed-in-dispose", TRUE, NULL);
  NavDatagramChannel *channel = nav_datagram_channel_new (transport, peer);
  Counts counts = { 0 };

  g_signal_connect (transport, "closed", G_CALLBACK (on_closed), &counts);
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (channel)), ==, NAV_CHANNEL_STATE_OPEN);

  g_object_run_dispose (G_OBJECT (transport));
  g_assert_cmpuint (counts.closed, ==, 1);
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (channel)), ==, NAV_CHANNEL_STATE_CLOSED);

  g_object_unref (transport);
  g_object_unref (channel);
}

/* Closed from finalize, which the contract forbids: nobody can hear it
 * any more (GObject dropped the handlers in dispose) and the core must
 * not touch the dying object.  The transport goes last from a channel's
 * dispose, from the application, and with a receive function set. */
static void
test_closed_in_finalize (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavAddress) peer = nav_address_new_from_string ("192.0.2.2:5000", NULL);
  NavTransport *transport;
  NavDatagramChannel *channel;
  Counts counts = { 0 };

  /* the channel holds the last reference */
  transport = create (context, "closed-on-close", FALSE, "closed-in-finalize", TRUE, NULL);
  channel = nav_datagram_channel_new (transport, peer);
  g_signal_connect (transport, "closed", G_CALLBACK (on_closed), &counts);
  g_object_unref (transport);
  g_object_unref (channel);
  g_assert_cmpuint (counts.closed, ==, 0);

  /* the application holds it, the channel went first */
  transport = create (context, "closed-on-close", FALSE, "closed-in-finalize", TRUE, NULL);
  channel = nav_datagram_channel_new (transport, peer);
  g_object_unref (channel);
  nav_transport_set_receive_func (transport, receive_func, &counts, NULL);
  g_object_unref (transport);

  /* closed on close and again in dispose and finalize */
  transport = create (context, "closed-in-dispose", TRUE, "closed-in-finalize", TRUE, NULL);
  g_signal_connect (transport, "closed", G_CALLBACK (on_closed), &counts);
  nav_transport_close (transport);
  g_object_unref (transport);
  g_assert_cmpuint (counts.closed, ==, 1);

  /* nothing left behind in the context */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (counts.received, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/transport-contract/plugin-loaded", test_plugin_loaded);
  g_test_add_func ("/transport-contract/deliver-in-context", test_deliver_in_context);
  g_test_add_func ("/transport-contract/closed-once", test_closed_once);
  g_test_add_func ("/transport-contract/closed-in-dispose", test_closed_in_dispose);
  g_test_add_func ("/transport-contract/closed-in-finalize", test_closed_in_finalize);

  return g_test_run ();
}
