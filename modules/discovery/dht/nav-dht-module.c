/* nav-dht-module.c: the entry points of libnav-dht.so, signaling rooms
 * over OpenDHT (`dht://`)
 *
 * A module of its own, apart from libnav-discovery.so: OpenDHT is
 * licensed under the GPL version 3, so this module is too (its
 * descriptor says so, and nav-inspect shows it); the library and the
 * other modules stay under the LGPL, and a build without OpenDHT has no
 * DHT backend and nothing else missing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <netavanue/netavanue.h>

#include "nav-dht-signaling-client.h"

static void
register_types (GTypeModule *module)
{
  nav_dht_signaling_client_register (module);
}

/* Below the WebSocket client's 10: `ws://` stays the preferred client;
 * NavSignalingClient.new() picks this one by the URI's scheme. */
static const NavModuleImplementation implementations[] = {
  { NAV_SIGNALING_CLIENT_EXTENSION_POINT_NAME, "dht", nav_dht_signaling_client_get_type, 5 },
  { NULL }
};

NAV_DEFINE_MODULE_FULL (nav_dht, "dht",
                        "Serverless signaling rooms over OpenDHT: signed announces, encrypted messages",
                        NAV_VERSION_S, "GPL-3.0-or-later", "NetAvanue",
                        register_types, implementations);
