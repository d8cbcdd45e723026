/* nav-demo-discover.c: nav-demo --discover (peers on the LAN, no server
 * to type) and nav-demo --dht BOOTSTRAP (peers across the internet
 * through OpenDHT, no signaling server at all)
 *
 * --discover: each nav-demo starts a signaling server of its own on a
 * free port (the signaling module's, through the registry) and
 * publishes it with NavDiscovery (`_netavanue._udp`, TXT reach=ws).  The
 * first peer found decides: of the two device ids, the smaller one's
 * server is where both meet, in room "nav-demo-lan"; the rest is
 * nav-demo's --signal path (one agent, ICE, data both ways).
 *
 * --dht: the room is a key of the DHT (NavSignalingClient `dht`), the
 * same --signal path with dht://BOOTSTRAP/.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdio.h>
#include <glib/gi18n.h>
#include <netavanue/netavanue.h>

#include "nav-demo-discover.h"

#define LAN_ROOM "nav-demo-lan"

/* Alive until the process ends: the peer may still be looking for us,
 * and the server carries the session. */
static GObject *lan_server;
static NavDiscovery *lan_discovery;

typedef struct {
  GMainLoop *loop;
  NavDiscoveredPeer *peer;
} Wait;

static void
on_peer_found (NavDiscovery      *discovery,
               NavDiscoveredPeer *peer,
               gpointer           user_data)
{
  Wait *wait = user_data;

  if (wait->peer != NULL || g_strcmp0 (nav_discovered_peer_get_reach (peer), "ws") != 0 ||
      nav_discovered_peer_get_device_id (peer) == NULL)
    return;
  wait->peer = nav_discovered_peer_ref (peer);
  g_main_loop_quit (wait->loop);
}

static gboolean
on_wait_timeout (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* The source address the kernel picks towards @peer (a connected UDP
 * socket sends nothing). */
static GInetAddress *
local_address_towards (GInetAddress *peer)
{
  g_autoptr (GSocket) socket = g_socket_new (g_inet_address_get_family (peer), G_SOCKET_TYPE_DATAGRAM,
                                             G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GSocketAddress) remote = g_inet_socket_address_new (peer, 9);
  g_autoptr (GSocketAddress) local = NULL;

  if (socket == NULL || !g_socket_connect (socket, remote, NULL, NULL))
    return NULL;
  local = g_socket_get_local_address (socket, NULL);
  if (local == NULL)
    return NULL;
  return g_object_ref (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
}

static gboolean
discover (gint    timeout_s,
          gchar **signal_uri)
{
  g_autoptr (GError) error = NULL;
  NavRegistry *registry = nav_registry_get_default ();
  Wait wait = { g_main_loop_new (NULL, FALSE), NULL };
  g_autofree gchar *instance = NULL;
  const gchar *mine, *theirs;
  gint64 start = g_get_monotonic_time ();
  guint port = 0, timeout_id, i;
  GPtrArray *addresses;
  GInetAddress *address = NULL;

  lan_server = nav_registry_create (registry, NAV_SERVER_EXTENSION_POINT_NAME, "signaling", &error,
                                    "listening-ip", "0.0.0.0", "listening-port", 0, "threads", 1, NULL);
  if (lan_server == NULL || !nav_server_start (NAV_SERVER (lan_server), &error))
    {
      g_printerr (_("Cannot start the embedded signaling server: %s\n"), error->message);
      return FALSE;
    }
  g_object_get (lan_server, "bound-port", &port, NULL);
  lan_discovery = nav_discovery_new ();
  if (lan_discovery == NULL)
    return FALSE;
  instance = g_strdup_printf ("nav-demo %.8s", nav_discovery_get_device_id (lan_discovery));
  nav_discovery_set_instance_name (lan_discovery, instance);
  g_object_set (lan_discovery, "port", port, "reach", "ws", "capabilities", "ice,dtls", NULL);
  g_signal_connect (lan_discovery, "peer-found", G_CALLBACK (on_peer_found), &wait);
  if (!nav_discovery_start (lan_discovery, &error))
    {
      g_printerr ("%s\n", error->message);
      return FALSE;
    }
  g_print (_("Published “%s” (%s) on the LAN, signaling on port %u; looking for another nav-demo…\n"),
           nav_discovery_get_instance_name (lan_discovery), NAV_DISCOVERY_SERVICE_TYPE, port);
  timeout_id = g_timeout_add_seconds (timeout_s, on_wait_timeout, wait.loop);
  g_main_loop_run (wait.loop);
  if (wait.peer == NULL)
    {
      g_printerr (_("No other nav-demo --discover found on the LAN in %d s\n"), timeout_s);
      g_main_loop_unref (wait.loop);
      return FALSE;
    }
  g_source_remove (timeout_id);
  g_main_loop_unref (wait.loop);

  addresses = nav_discovered_peer_get_addresses (wait.peer);
  g_print (_("Found “%s” after %.1f ms: %s port %u, device %s, addresses"),
           nav_discovered_peer_get_instance_name (wait.peer), (g_get_monotonic_time () - start) / 1000.0,
           nav_discovered_peer_get_host_name (wait.peer), nav_discovered_peer_get_port (wait.peer),
           nav_discovered_peer_get_device_id (wait.peer));
  for (i = 0; i < addresses->len; i++)
    {
      g_autofree gchar *text = g_inet_address_to_string (g_ptr_array_index (addresses, i));

      g_print (" %s", text);
    }
  g_print ("\n");

  /* IPv4 first: an IPv6 link-local address would need its scope. */
  for (i = 0; i < addresses->len && address == NULL; i++)
    if (g_inet_address_get_family (g_ptr_array_index (addresses, i)) == G_SOCKET_FAMILY_IPV4)
      address = g_ptr_array_index (addresses, i);
  if (address == NULL)
    {
      g_printerr (_("The peer has no IPv4 address\n"));
      nav_discovered_peer_unref (wait.peer);
      return FALSE;
    }
  mine = nav_discovery_get_device_id (lan_discovery);
  theirs = nav_discovered_peer_get_device_id (wait.peer);
  g_free (*signal_uri);
  if (g_strcmp0 (mine, theirs) < 0)
    {
      /* Our own server, at our address on the peer's link (not
       * loopback: nav-demo would then offer loopback candidates only). */
      g_autoptr (GInetAddress) own = local_address_towards (address);
      g_autofree gchar *text = own != NULL ? g_inet_address_to_string (own) : g_strdup ("127.0.0.1");

      *signal_uri = g_strdup_printf ("ws://%s:%u/", text, port);
      g_print (_("Meeting on this side's signaling server\n"));
    }
  else
    {
      g_autofree gchar *text = g_inet_address_to_string (address);

      *signal_uri = g_strdup_printf ("ws://%s:%u/", text, nav_discovered_peer_get_port (wait.peer));
      g_print (_("Meeting on the peer's signaling server\n"));
    }
  nav_discovered_peer_unref (wait.peer);
  return TRUE;
}

gboolean
nav_demo_rendezvous (gboolean      lan,
                     const gchar  *dht_bootstrap,
                     gint          timeout_s,
                     gchar       **signal_uri,
                     gchar       **room)
{
  if (lan && dht_bootstrap != NULL)
    {
      g_printerr (_("--discover and --dht are alternatives\n"));
      return FALSE;
    }
  if (*signal_uri != NULL)
    {
      g_printerr (_("--discover and --dht replace --signal\n"));
      return FALSE;
    }
  if (dht_bootstrap != NULL)
    {
      *signal_uri = g_strdup_printf ("dht://%s/", g_str_equal (dht_bootstrap, "-") ? "" : dht_bootstrap);
      if (*room == NULL)
        *room = g_strdup ("nav-demo");
      return TRUE;
    }
  g_free (*room);
  *room = g_strdup (LAN_ROOM);
  return discover (timeout_s, signal_uri);
}
