/* nav-server.c: the interface of the servers run by nav-server
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "netavanue/netavanue.h"

/**
 * NavServer:
 *
 * A server run by the `nav-server` daemon: STUN, TURN or signaling.  Its
 * configuration is its properties (named after coturn's options where the
 * meaning is the same); it starts in its main context and reports counters
 * through [method@Nav.Server.get_stats].
 *
 * Since: 1.0
 */

G_DEFINE_INTERFACE (NavServer, nav_server, G_TYPE_OBJECT)

static void
nav_server_default_init (NavServerInterface *iface)
{
  /**
   * NavServer:context:
   *
   * The main context the server's sockets and timers run in; %NULL at
   * construction means the thread-default context.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_boxed ("context", NULL, NULL,
                          G_TYPE_MAIN_CONTEXT,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * NavServer:running:
   *
   * Whether the server is serving.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_boolean ("running", NULL, NULL, FALSE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

/**
 * nav_server_start:
 * @self: a server
 * @error: return location for a #GError
 *
 * Binds the server's sockets and starts serving.
 *
 * Returns: %TRUE when the server runs
 *
 * Since: 1.0
 */
gboolean
nav_server_start (NavServer  *self,
                  GError    **error)
{
  g_return_val_if_fail (NAV_IS_SERVER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return NAV_SERVER_GET_IFACE (self)->start (self, error);
}

/**
 * nav_server_stop:
 * @self: a server
 *
 * Closes every socket of the server.
 *
 * Since: 1.0
 */
void
nav_server_stop (NavServer *self)
{
  g_return_if_fail (NAV_IS_SERVER (self));

  NAV_SERVER_GET_IFACE (self)->stop (self);
}

/**
 * nav_server_get_stats:
 * @self: a server
 *
 * Returns the server's counters as an `a{st}` dictionary (received,
 * answered, dropped, … — each server documents its own).
 *
 * Returns: (transfer full): the counters
 *
 * Since: 1.0
 */
GVariant *
nav_server_get_stats (NavServer *self)
{
  GVariant *stats = NULL;

  g_return_val_if_fail (NAV_IS_SERVER (self), NULL);

  if (NAV_SERVER_GET_IFACE (self)->get_stats != NULL)
    stats = NAV_SERVER_GET_IFACE (self)->get_stats (self);
  if (stats == NULL)
    stats = g_variant_new ("a{st}", NULL);
  return g_variant_ref_sink (stats);
}

/**
 * nav_server_get_running:
 * @self: a server
 *
 * Returns: whether the server is serving
 *
 * Since: 1.0
 */
gboolean
nav_server_get_running (NavServer *self)
{
  gboolean running = FALSE;

  g_return_val_if_fail (NAV_IS_SERVER (self), FALSE);

  g_object_get (self, "running", &running, NULL);
  return running;
}
