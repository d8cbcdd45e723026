/* test-discovery.c: NavDiscovery and the `dht://` signaling client as
 * objects, in one process, under the sanitizers: life cycles (start,
 * update, stop, start again, dispose while started), errors, and the
 * registry's choice by URI scheme.  The network behaviour is tested in
 * namespaces (tests/netns/test-netns-discovery.py, test-netns-dht.py);
 * here NAV_MDNS_INTERFACES=none keeps every socket off the host's links.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <netavanue/netavanue.h>

static void
test_discovery_life_cycle (void)
{
  g_autoptr (GError) error = NULL;
  NavDiscovery *discovery = nav_discovery_new ();
  g_auto (GStrv) txt = NULL;
  GList *peers;

  g_assert_nonnull (discovery);
  g_assert_cmpstr (nav_discovery_get_service_type (discovery), ==, NAV_DISCOVERY_SERVICE_TYPE);
  g_assert_cmpuint (strlen (nav_discovery_get_device_id (discovery)), ==, 16);
  g_object_set (discovery, "port", 4000, "capabilities", "ice", "reach", "room=r", NULL);
  txt = nav_discovery_build_txt (discovery);
  g_assert_cmpstr (txt[0], ==, "v=1");
  g_assert_true (g_str_has_prefix (txt[1], "id="));
  g_assert_cmpstr (txt[2], ==, "caps=ice");
  g_assert_cmpstr (txt[3], ==, "reach=room=r");
  g_assert_null (txt[4]);
  g_clear_pointer (&txt, g_strfreev);
  /* The NAT type as nat=, only when it is one. */
  nav_discovery_set_nat_type (discovery, "endpoint-independent address-and-port-dependent");
  g_assert_cmpstr (nav_discovery_get_nat_type (discovery), ==, "endpoint-independent address-and-port-dependent");
  txt = nav_discovery_build_txt (discovery);
  g_assert_cmpstr (txt[4], ==, "nat=endpoint-independent address-and-port-dependent");
  g_assert_null (txt[5]);
  g_clear_pointer (&txt, g_strfreev);
  nav_discovery_set_nat_type (discovery, "Full Cone; rm -rf");
  txt = nav_discovery_build_txt (discovery);
  g_assert_null (txt[4]);
  nav_discovery_set_nat_type (discovery, NULL);

  g_assert_true (nav_discovery_start (discovery, &error));
  g_assert_no_error (error);
  g_assert_false (nav_discovery_start (discovery, &error));
  g_assert_error (error, NAV_DISCOVERY_ERROR, NAV_DISCOVERY_ERROR_ALREADY_STARTED);
  g_clear_error (&error);
  /* Changes while started go through the implementation's update. */
  nav_discovery_set_capabilities (discovery, "ice,dtls");
  nav_discovery_set_instance_name (discovery, "Renamed");
  peers = nav_discovery_list_peers (discovery);
  g_assert_null (peers);
  nav_discovery_stop (discovery);
  g_assert_false (nav_discovery_is_started (discovery));
  g_assert_true (nav_discovery_start (discovery, &error));
  /* Dropped while started: the goodbye is said from dispose. */
  g_object_unref (discovery);
}

static void
test_discovery_invalid_name (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavDiscovery) discovery = nav_discovery_new ();
  g_autofree gchar *too_long = g_strnfill (64, 'x');

  nav_discovery_set_instance_name (discovery, too_long);
  g_assert_false (nav_discovery_start (discovery, &error));
  g_assert_error (error, NAV_DISCOVERY_ERROR, NAV_DISCOVERY_ERROR_INVALID_ARGUMENT);
}

static void
test_discovered_peer (void)
{
  static const gchar *txt[] = { "v=1", "ID=abc", "caps=ice", "reach=", "flag", NULL };
  g_autoptr (NavDiscoveredPeer) peer = nav_discovered_peer_new ("Alice", "_netavanue._udp");
  g_autoptr (NavDiscoveredPeer) other = nav_discovered_peer_new ("Alice", "_netavanue._udp");
  g_autoptr (GInetAddress) a = g_inet_address_new_from_string ("198.18.1.2");

  nav_discovered_peer_set_host (peer, "nav-abc.local", 4000);
  nav_discovered_peer_add_address (peer, a);
  nav_discovered_peer_add_address (peer, a);
  nav_discovered_peer_set_txt (peer, txt);
  g_assert_cmpuint (nav_discovered_peer_get_addresses (peer)->len, ==, 1);
  /* RFC 6763 §6.4: keys compared ignoring case. */
  g_assert_cmpstr (nav_discovered_peer_get_device_id (peer), ==, "abc");
  g_assert_cmpstr (nav_discovered_peer_get_reach (peer), ==, "");
  g_assert_cmpstr (nav_discovered_peer_lookup_txt (peer, "flag"), ==, "");
  g_assert_null (nav_discovered_peer_lookup_txt (peer, "missing"));
  g_assert_cmpuint (nav_discovered_peer_get_protocol_version (peer), ==, 1);
  g_assert_false (nav_discovered_peer_equal (peer, other));
  nav_discovered_peer_set_host (other, "nav-abc.local", 4000);
  nav_discovered_peer_add_address (other, a);
  nav_discovered_peer_set_txt (other, txt);
  g_assert_true (nav_discovered_peer_equal (peer, other));
  g_assert_null (nav_discovered_peer_get_nat_type (peer));
}

/* nat= as a peer wrote it: a NAT type, or nothing. */
static void
test_discovered_peer_nat (void)
{
  static const gchar *good[] = { "v=1", "id=abc", "NAT=symmetric", NULL };
  static const gchar *bad[][3] = {
    { "id=abc", "nat=", NULL },
    { "id=abc", "nat", NULL },
    { "id=abc", "nat=Symmetric", NULL },
    { "id=abc", "nat=full-cone\n", NULL },
    { "id=abc", "nat=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL },
  };
  g_autoptr (NavDiscoveredPeer) peer = nav_discovered_peer_new ("Alice", "_netavanue._udp");

  nav_discovered_peer_set_txt (peer, good);
  g_assert_cmpstr (nav_discovered_peer_get_nat_type (peer), ==, "symmetric");
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      nav_discovered_peer_set_txt (peer, bad[i]);
      g_assert_null (nav_discovered_peer_get_nat_type (peer));
      g_assert_cmpstr (nav_discovered_peer_get_device_id (peer), ==, "abc");
    }
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GError **error = user_data;

  nav_signaling_client_connect_finish (NAV_SIGNALING_CLIENT (source), result, error);
  g_main_context_wakeup (NULL);
}

static void
on_joined (NavSignalingClient  *client,
           const gchar         *room,
           const gchar * const *peers,
           gpointer             user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* The scheme picks the implementation; an embedded node (no bootstrap)
 * connects, joins, leaves and is dropped cleanly. */
static void
test_dht_client (void)
{
  g_autoptr (GError) error = NULL;
  NavSignalingClient *client;
  gboolean joined = FALSE;
  gint64 deadline;
  g_auto (GStrv) rooms = NULL;

  client = nav_signaling_client_new ("dht://?port=0");
  g_assert_nonnull (client);
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (client), ==, "NavDhtSignalingClient");
  g_signal_connect (client, "joined", G_CALLBACK (on_joined), &joined);
  nav_signaling_client_connect_async (client, NULL, on_connected, &error);
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (nav_signaling_client_get_state (client) != NAV_SIGNALING_CLIENT_STATE_CONNECTED && error == NULL &&
         g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (nav_signaling_client_get_peer_id (client)), ==, 40);
  g_assert_false (nav_signaling_client_join (client, "bad room!", NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (nav_signaling_client_join (client, "room-1", NULL, &error));
  while (!joined && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (joined);
  rooms = nav_signaling_client_list_rooms (client);
  g_assert_cmpstrv (rooms, ((const gchar *[]) { "room-1", NULL }));
  g_assert_false (nav_signaling_client_send_offer (client, "room-1", "not-a-peer-id", "v=0", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (nav_signaling_client_leave (client, "room-1", &error));
  nav_signaling_client_disconnect (client);
  g_object_unref (client);
}

static void
test_dht_bad_uri (void)
{
  g_autoptr (GError) error = NULL;
  NavSignalingClient *client = nav_signaling_client_new ("dht://host-without-port/");

  nav_signaling_client_connect_async (client, NULL, on_connected, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_object_unref (client);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/discovery/life-cycle", test_discovery_life_cycle);
  g_test_add_func ("/discovery/invalid-name", test_discovery_invalid_name);
  g_test_add_func ("/discovery/discovered-peer", test_discovered_peer);
  g_test_add_func ("/discovery/discovered-peer-nat", test_discovered_peer_nat);
  if (g_getenv ("NAV_TEST_DHT") != NULL)
    {
      g_test_add_func ("/discovery/dht-client", test_dht_client);
      g_test_add_func ("/discovery/dht-bad-uri", test_dht_bad_uri);
    }
  return g_test_run ();
}
