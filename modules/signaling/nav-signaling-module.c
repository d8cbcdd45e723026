/* nav-signaling-module.c: the entry points of libnav-signaling.so
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <netavanue/netavanue.h>

#include "nav-signaling-server.h"
#include "nav-signaling-ws-client.h"

static void
register_types (GTypeModule *module)
{
  nav_signaling_server_register (module);
  nav_signaling_ws_client_register (module);
}

static const NavModuleImplementation implementations[] = {
  { NAV_SERVER_EXTENSION_POINT_NAME, "signaling", nav_signaling_server_get_type, 10 },
  { NAV_SIGNALING_CLIENT_EXTENSION_POINT_NAME, "websocket", nav_signaling_ws_client_get_type, 10 },
  { NULL }
};

/* The symbol prefix is GIO's, from the file name libnav-signaling.so. */
NAV_DEFINE_MODULE_FULL (nav_signaling, "signaling",
                        "Signaling protocol, WebSocket server and client, SDP offer/answer",
                        NAV_VERSION_S, "LGPL-2.1-or-later", "NetAvanue",
                        register_types, implementations);
