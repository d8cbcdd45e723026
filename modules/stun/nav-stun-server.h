/* nav-stun-server.h: the STUN server (RFC 8489, RFC 5780)
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

#define NAV_TYPE_STUN_SERVER (nav_stun_server_get_type ())
G_DECLARE_FINAL_TYPE (NavStunServer, nav_stun_server, NAV, STUN_SERVER, GObject)

/* For tests that compile the server in: the stats, one by one. */
guint64  nav_stun_server_get_counter  (NavStunServer *self,
                                       const gchar   *name);

G_END_DECLS
