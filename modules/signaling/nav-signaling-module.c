/* nav-signaling-module.c: the entry points of libnav-signaling.so
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <netavanue/netavanue.h>

#include "nav-signaling-server.h"
#include "nav-signaling-ws-client.h"

NAV_DEFINE_MODULE ("signaling",
                   "Signaling protocol, WebSocket server and client, SDP offer/answer",
                   NAV_VERSION_S,
                   "LGPL-2.1-or-later",
                   "NetAvanue");

/* GIO derives these names from the file name, libnav-signaling.so. */
G_MODULE_EXPORT void    g_io_nav_signaling_load   (GIOModule *module);
G_MODULE_EXPORT void    g_io_nav_signaling_unload (GIOModule *module);
G_MODULE_EXPORT gchar **g_io_nav_signaling_query  (void);

G_MODULE_EXPORT void
g_io_nav_signaling_load (GIOModule *module)
{
  /* GLib never unloads types: pin the module for the whole process. */
  g_type_module_use (G_TYPE_MODULE (module));

  nav_signaling_server_register (G_TYPE_MODULE (module));
  nav_module_implement (module, NAV_SERVER_EXTENSION_POINT_NAME,
                        NAV_TYPE_SIGNALING_SERVER, "signaling", 10);
  nav_signaling_ws_client_register (G_TYPE_MODULE (module));
  nav_module_implement (module, NAV_SIGNALING_CLIENT_EXTENSION_POINT_NAME,
                        NAV_TYPE_SIGNALING_WS_CLIENT, "websocket", 10);
}

G_MODULE_EXPORT void
g_io_nav_signaling_unload (GIOModule *module)
{
}

G_MODULE_EXPORT gchar **
g_io_nav_signaling_query (void)
{
  const gchar *points[] = { NAV_SERVER_EXTENSION_POINT_NAME, NAV_SIGNALING_CLIENT_EXTENSION_POINT_NAME, NULL };

  return g_strdupv ((gchar **) points);
}
