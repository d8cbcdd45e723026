/* nav-stun-client.h: STUN Binding client over UDP, TCP and TLS
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

#include "nav-stun-transaction.h"

G_BEGIN_DECLS

/**
 * NAV_STUN_CLIENT_ERROR:
 *
 * Error domain of the STUN client, with codes from #NavStunClientError.
 */
#define NAV_STUN_CLIENT_ERROR (nav_stun_client_error_quark ())

/**
 * NavStunClientError:
 * @NAV_STUN_CLIENT_ERROR_TIMED_OUT: no response came in time (RFC 8489
 *   §6.2.1 for UDP, Ti of §6.2.2 for TCP and TLS).
 * @NAV_STUN_CLIENT_ERROR_UNREACHABLE: the server cannot be reached: ICMP
 *   unreachable, connection refused, no route.
 * @NAV_STUN_CLIENT_ERROR_RESOLVE_FAILED: the server name does not resolve
 *   to an address of the wanted family.
 * @NAV_STUN_CLIENT_ERROR_ERROR_RESPONSE: the server answered with an
 *   error response; the message holds its code and reason.
 * @NAV_STUN_CLIENT_ERROR_BAD_RESPONSE: the response lacks a mapped
 *   address or cannot be parsed.
 * @NAV_STUN_CLIENT_ERROR_TLS: the TLS handshake failed.
 *
 * Errors of the STUN client.
 */
typedef enum {
  NAV_STUN_CLIENT_ERROR_TIMED_OUT,
  NAV_STUN_CLIENT_ERROR_UNREACHABLE,
  NAV_STUN_CLIENT_ERROR_RESOLVE_FAILED,
  NAV_STUN_CLIENT_ERROR_ERROR_RESPONSE,
  NAV_STUN_CLIENT_ERROR_BAD_RESPONSE,
  NAV_STUN_CLIENT_ERROR_TLS,
} NavStunClientError;

GQuark nav_stun_client_error_quark (void);

/**
 * NavStunProtocol:
 * @NAV_STUN_PROTOCOL_UDP: STUN over UDP
 * @NAV_STUN_PROTOCOL_TCP: STUN over TCP
 * @NAV_STUN_PROTOCOL_TLS: STUN over TLS over TCP
 */
typedef enum {
  NAV_STUN_PROTOCOL_UDP,
  NAV_STUN_PROTOCOL_TCP,
  NAV_STUN_PROTOCOL_TLS,
} NavStunProtocol;

const gchar *nav_stun_protocol_to_string (NavStunProtocol protocol);

/**
 * NavStunBindingResult:
 * @protocol: the transport used
 * @local: the client's local address
 * @server: the address the request went to
 * @mapped: the reflexive address (XOR-MAPPED-ADDRESS, or MAPPED-ADDRESS
 *   from an RFC 3489 server)
 * @has_response_origin: whether @response_origin is set
 * @response_origin: RESPONSE-ORIGIN (RFC 5780 §7.3)
 * @has_other_address: whether @other_address is set
 * @other_address: OTHER-ADDRESS (RFC 5780 §7.4)
 * @software: (nullable): SOFTWARE of the server
 * @rtt_us: round-trip time of the last transmission, in microseconds
 * @transmissions: how many times the request was sent
 *
 * What a Binding transaction found.
 */
typedef struct
{
  NavStunProtocol protocol;
  NavAddress local;
  NavAddress server;
  NavAddress mapped;
  gboolean has_response_origin;
  NavAddress response_origin;
  gboolean has_other_address;
  NavAddress other_address;
  gchar *software;
  gint64 rtt_us;
  guint transmissions;
} NavStunBindingResult;

void nav_stun_binding_result_free (NavStunBindingResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavStunBindingResult, nav_stun_binding_result_free)

#define NAV_TYPE_STUN_CLIENT (nav_stun_client_get_type ())

G_DECLARE_FINAL_TYPE (NavStunClient, nav_stun_client, NAV, STUN_CLIENT, GObject)

NavStunClient *nav_stun_client_new             (GMainContext              *context);
void           nav_stun_client_set_retransmit_params (NavStunClient                 *self,
                                                      const NavStunRetransmitParams *params);

gboolean       nav_stun_client_parse_server    (const gchar               *server,
                                                NavStunProtocol            protocol,
                                                gchar                    **host,
                                                guint16                   *port,
                                                GError                   **error);

void           nav_stun_client_resolve_async   (NavStunClient             *self,
                                                const gchar               *server,
                                                NavStunProtocol            protocol,
                                                GCancellable              *cancellable,
                                                GAsyncReadyCallback        callback,
                                                gpointer                   user_data);
NavAddress    *nav_stun_client_resolve_finish  (NavStunClient             *self,
                                                GAsyncResult              *result,
                                                GError                   **error);

void           nav_stun_client_request_async   (NavStunClient             *self,
                                                const NavAddress          *server,
                                                NavStunProtocol            protocol,
                                                NavStunChangeRequestFlags  change,
                                                GCancellable              *cancellable,
                                                GAsyncReadyCallback        callback,
                                                gpointer                   user_data);
NavStunBindingResult *nav_stun_client_request_finish (NavStunClient    *self,
                                                      GAsyncResult     *result,
                                                      GError          **error);

void           nav_stun_client_binding_async   (NavStunClient             *self,
                                                const gchar               *server,
                                                NavStunProtocol            protocol,
                                                GCancellable              *cancellable,
                                                GAsyncReadyCallback        callback,
                                                gpointer                   user_data);
NavStunBindingResult *nav_stun_client_binding_finish (NavStunClient    *self,
                                                      GAsyncResult     *result,
                                                      GError          **error);

G_END_DECLS
