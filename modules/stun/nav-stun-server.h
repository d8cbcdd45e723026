/* nav-stun-server.h: the STUN Binding server (RFC 8489, RFC 5780)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

G_BEGIN_DECLS

/**
 * NAV_STUN_DEFAULT_PORT:
 *
 * The default port of STUN over UDP and TCP (RFC 8489 §18.2).
 */
#define NAV_STUN_DEFAULT_PORT 3478

/**
 * NAV_STUN_DEFAULT_TLS_PORT:
 *
 * The default port of STUN over TLS (RFC 8489 §18.2).
 */
#define NAV_STUN_DEFAULT_TLS_PORT 5349

#define NAV_TYPE_STUN_BINDING_SERVER (nav_stun_binding_server_get_type ())

G_DECLARE_FINAL_TYPE (NavStunBindingServer, nav_stun_binding_server,
                      NAV, STUN_BINDING_SERVER, GObject)

NavStunBindingServer *nav_stun_binding_server_new      (GMainContext         *context);
guint                 nav_stun_binding_server_get_port (NavStunBindingServer *self);
guint                 nav_stun_binding_server_get_alt_port (NavStunBindingServer *self);
guint                 nav_stun_binding_server_get_tls_port (NavStunBindingServer *self);
guint64               nav_stun_binding_server_get_counter  (NavStunBindingServer *self,
                                                            const gchar          *name);

G_END_DECLS
