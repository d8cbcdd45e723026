/* nav-tcp-framing-plugin.c: the entry points of libnav-tcp-framing.so
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A transport plugin written against the public API only: this file and
 * nav-tcp-framing-transport.c build with nothing but
 * `pkg-config --cflags --libs netavanue-1.0`.
 */
#include <netavanue/netavanue.h>

#include "nav-tcp-framing-transport.h"

NAV_DEFINE_MODULE ("tcp-framing",
                   "TCP transport with RFC 4571 framing (ICE-TCP, STUN/TURN over TCP)",
                   NAV_VERSION_S,
                   "LGPL-2.1-or-later",
                   "NetAvanue");

/* GIO derives these names from the file name, libnav-tcp-framing.so. */
G_MODULE_EXPORT void    g_io_nav_tcp_framing_load   (GIOModule *module);
G_MODULE_EXPORT void    g_io_nav_tcp_framing_unload (GIOModule *module);
G_MODULE_EXPORT gchar **g_io_nav_tcp_framing_query  (void);

G_MODULE_EXPORT void
g_io_nav_tcp_framing_load (GIOModule *module)
{
  /* GLib never unloads types: the module stays for the whole process. */
  g_type_module_use (G_TYPE_MODULE (module));

  nav_tcp_framing_transport_register (G_TYPE_MODULE (module));
  nav_module_implement (module, NAV_TRANSPORT_EXTENSION_POINT_NAME,
                        NAV_TYPE_TCP_FRAMING_TRANSPORT, "tcp-framing", 10);
}

G_MODULE_EXPORT void
g_io_nav_tcp_framing_unload (GIOModule *module)
{
}

G_MODULE_EXPORT gchar **
g_io_nav_tcp_framing_query (void)
{
  const gchar *points[] = { NAV_TRANSPORT_EXTENSION_POINT_NAME, NULL };

  return g_strdupv ((gchar **) points);
}
