/* nav-net-resolve.h: STUN and TURN server names (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include "netavanue/netavanue.h"

G_BEGIN_DECLS

/**
 * NavStunProtocol:
 * @NAV_STUN_PROTOCOL_UDP: STUN over UDP
 * @NAV_STUN_PROTOCOL_TCP: STUN over TCP
 * @NAV_STUN_PROTOCOL_TLS: STUN over TLS over TCP
 *
 * How a STUN or TURN client reaches its server.
 */
typedef enum {
  NAV_STUN_PROTOCOL_UDP,
  NAV_STUN_PROTOCOL_TCP,
  NAV_STUN_PROTOCOL_TLS,
} NavStunProtocol;

const gchar *nav_stun_protocol_to_string (NavStunProtocol protocol);
/* "udp", "tcp", "tls" (any case); FALSE for anything else. */
gboolean     nav_stun_protocol_from_string (const gchar     *text,
                                            NavStunProtocol *protocol);

/* Splits HOST[:PORT], [IPV6]:PORT, a bare IPv6 address, or an RFC 7064
 * stun:/stuns: URI; the port defaults to 3478 (5349 over TLS, RFC 8489
 * §18.2).  The error is NAV_STUN_CLIENT_ERROR_RESOLVE_FAILED. */
gboolean     nav_net_parse_server        (const gchar      *server,
                                          NavStunProtocol   protocol,
                                          gchar           **host,
                                          guint16          *port,
                                          GError          **error);

/* Resolves @server (as nav_net_parse_server() reads it) to one address
 * of @family (G_SOCKET_FAMILY_INVALID: any), through the SRV records of
 * RFC 8489 §8.1 (_stun._udp, _stun._tcp, _stuns._tcp) when @use_srv and
 * no port is given.  The result is a NavAddress (free it with
 * nav_address_free()); the task completes in @context. */
void         nav_net_resolve_async       (GMainContext        *context,
                                          const gchar         *server,
                                          NavStunProtocol      protocol,
                                          GSocketFamily        family,
                                          gboolean             use_srv,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
NavAddress  *nav_net_resolve_finish      (GAsyncResult        *result,
                                          GError             **error);

G_END_DECLS
