/* nav-stun-client.h: STUN Binding client over UDP, TCP and TLS
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

#include "nav-net.h"

G_BEGIN_DECLS

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
