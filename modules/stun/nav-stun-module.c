/* nav-stun-module.c: the entry points of libnav-stun.so
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The module holds the whole STUN tier: the server (nav-stun-server*.c),
 * the client and NAT behaviour discovery (nav-stun-client.c,
 * nav-nat-discovery.c) and the server-reflexive gatherer
 * (nav-stun-gatherer.c), over the core's socket layer (core/net).  Users,
 * nav-server and nav-stun among them, reach it through the registry: the
 * `stun` server at `nav-server`, the `stun` gatherer at `nav-gatherer`,
 * and the client itself as the `stun-probe` gatherer (nav-stun-probe.c).
 */
#include <netavanue/netavanue.h>

#include "nav-stun-gatherer.h"
#include "nav-stun-probe.h"
#include "nav-stun-server.h"

/* The tier's types are static types of this module (G_DEFINE_TYPE):
 * their _get_type registers each at its first call, once the module is
 * loaded and pinned, so there is nothing to register beforehand. */
static const NavModuleImplementation implementations[] = {
  { NAV_SERVER_EXTENSION_POINT_NAME, "stun", nav_stun_server_get_type, 10 },
  { NAV_GATHERER_EXTENSION_POINT_NAME, "stun", nav_stun_gatherer_get_type, 10 },
  { NAV_GATHERER_EXTENSION_POINT_NAME, "stun-probe", nav_stun_probe_get_type, 5 },
  { NULL }
};

/* The symbol prefix is GIO's, from the file name libnav-stun.so. */
NAV_DEFINE_MODULE_FULL (nav_stun, "stun",
                        "STUN client, server and NAT behaviour discovery",
                        NAV_VERSION_S, "LGPL-2.1-or-later", "NetAvanue",
                        NULL, implementations);
