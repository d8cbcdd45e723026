/* nav-server.h: the interface of the servers run by nav-server
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netavanue/nav-version.h>

G_BEGIN_DECLS

/**
 * NAV_SERVER_EXTENSION_POINT_NAME:
 *
 * The name of the extension point where [iface@Nav.Server]
 * implementations (STUN, TURN, signaling) register.
 */
#define NAV_SERVER_EXTENSION_POINT_NAME "nav-server"

#define NAV_TYPE_SERVER (nav_server_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (NavServer, nav_server, NAV, SERVER, GObject)

/**
 * NavServerInterface:
 * @g_iface: the parent interface.
 * @start: binds the listening sockets and starts serving, in the server's
 *   main context.
 * @stop: closes every socket; the server can be started again.
 * @get_stats: returns counters (`a{st}`: received, answered, dropped, …).
 *
 * The virtual methods of [iface@Nav.Server].  Implementations also provide
 * the `running` property.
 *
 * Since: 1.0
 */
struct _NavServerInterface
{
  GTypeInterface g_iface;

  gboolean  (*start)     (NavServer  *self,
                          GError    **error);
  void      (*stop)      (NavServer  *self);
  GVariant *(*get_stats) (NavServer  *self);

  /*< private >*/
  gpointer padding[8];
};

NAV_AVAILABLE_IN_ALL
gboolean  nav_server_start       (NavServer  *self,
                                  GError    **error);
NAV_AVAILABLE_IN_ALL
void      nav_server_stop        (NavServer  *self);
NAV_AVAILABLE_IN_ALL
GVariant *nav_server_get_stats   (NavServer  *self);
NAV_AVAILABLE_IN_ALL
gboolean  nav_server_get_running (NavServer  *self);

G_END_DECLS
