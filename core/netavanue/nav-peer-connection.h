/* nav-peer-connection.h: an encrypted, authenticated connection to one
 * peer, negotiated by offer and answer (JSEP, RFC 8829)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netavanue/nav-version.h>
#include <netavanue/nav-agent.h>
#include <netavanue/nav-certificate.h>
#include <netavanue/nav-dtls.h>
#include <netavanue/nav-data-channel.h>

G_BEGIN_DECLS

/**
 * NAV_PEER_CONNECTION_ERROR:
 *
 * The error domain of [class@Nav.PeerConnection]: codes in
 * [error@Nav.PeerConnectionError].
 *
 * Since: 1.0
 */
#define NAV_PEER_CONNECTION_ERROR (nav_peer_connection_error_quark ())

/**
 * NavPeerConnectionError:
 * @NAV_PEER_CONNECTION_ERROR_FAILED: another failure.
 * @NAV_PEER_CONNECTION_ERROR_INVALID_STATE: the call is not allowed in
 *   the current signaling state, or the connection is closed.
 * @NAV_PEER_CONNECTION_ERROR_INVALID_DESCRIPTION: the session
 *   description is malformed, or lacks what a data channel connection
 *   needs (an `application` m-line with ICE credentials and a
 *   fingerprint).
 * @NAV_PEER_CONNECTION_ERROR_INVALID_MODIFICATION: the local description
 *   is not the one [method@Nav.PeerConnection.create_offer_async] or
 *   [method@Nav.PeerConnection.create_answer_async] made.
 * @NAV_PEER_CONNECTION_ERROR_SETUP: the `a=setup` values of the offer and
 *   answer do not give one DTLS client and one server (RFC 8842 §5), or
 *   a new description changes the DTLS role or certificate of an
 *   established association.
 * @NAV_PEER_CONNECTION_ERROR_INVALID_CANDIDATE: an ICE candidate is
 *   malformed or names no m-line of ours.
 * @NAV_PEER_CONNECTION_ERROR_INVALID_ICE_SERVER: an ICE server URI is
 *   malformed, or a TURN server comes without credentials.
 *
 * Errors of [class@Nav.PeerConnection].
 *
 * Since: 1.0
 */
typedef enum {
  NAV_PEER_CONNECTION_ERROR_FAILED,
  NAV_PEER_CONNECTION_ERROR_INVALID_STATE,
  NAV_PEER_CONNECTION_ERROR_INVALID_DESCRIPTION,
  NAV_PEER_CONNECTION_ERROR_INVALID_MODIFICATION,
  NAV_PEER_CONNECTION_ERROR_SETUP,
  NAV_PEER_CONNECTION_ERROR_INVALID_CANDIDATE,
  NAV_PEER_CONNECTION_ERROR_INVALID_ICE_SERVER,
} NavPeerConnectionError;

/**
 * NavSdpType:
 * @NAV_SDP_TYPE_OFFER: an offer.
 * @NAV_SDP_TYPE_PRANSWER: a provisional answer.
 * @NAV_SDP_TYPE_ANSWER: a final answer.
 * @NAV_SDP_TYPE_ROLLBACK: undoes the offer not yet answered.
 *
 * The types of a [struct@Nav.SessionDescription] (RFC 8829 §4.1.8).
 *
 * Since: 1.0
 */
typedef enum {
  NAV_SDP_TYPE_OFFER,
  NAV_SDP_TYPE_PRANSWER,
  NAV_SDP_TYPE_ANSWER,
  NAV_SDP_TYPE_ROLLBACK,
} NavSdpType;

/**
 * NavSignalingState:
 * @NAV_SIGNALING_STATE_STABLE: no offer is outstanding.
 * @NAV_SIGNALING_STATE_HAVE_LOCAL_OFFER: our offer is set, not answered.
 * @NAV_SIGNALING_STATE_HAVE_REMOTE_OFFER: the peer's offer is set, not
 *   answered.
 * @NAV_SIGNALING_STATE_HAVE_LOCAL_PRANSWER: our provisional answer is set.
 * @NAV_SIGNALING_STATE_HAVE_REMOTE_PRANSWER: the peer's provisional
 *   answer is set.
 * @NAV_SIGNALING_STATE_CLOSED: the connection is closed.
 *
 * Where the offer/answer exchange stands (RFC 8829 §3.2).
 *
 * Since: 1.0
 */
typedef enum {
  NAV_SIGNALING_STATE_STABLE,
  NAV_SIGNALING_STATE_HAVE_LOCAL_OFFER,
  NAV_SIGNALING_STATE_HAVE_REMOTE_OFFER,
  NAV_SIGNALING_STATE_HAVE_LOCAL_PRANSWER,
  NAV_SIGNALING_STATE_HAVE_REMOTE_PRANSWER,
  NAV_SIGNALING_STATE_CLOSED,
} NavSignalingState;

/**
 * NavIceGatheringState:
 * @NAV_ICE_GATHERING_STATE_NEW: not gathering yet.
 * @NAV_ICE_GATHERING_STATE_GATHERING: gathering local candidates.
 * @NAV_ICE_GATHERING_STATE_COMPLETE: every local candidate is known (the
 *   end-of-candidates indication was emitted).
 *
 * Since: 1.0
 */
typedef enum {
  NAV_ICE_GATHERING_STATE_NEW,
  NAV_ICE_GATHERING_STATE_GATHERING,
  NAV_ICE_GATHERING_STATE_COMPLETE,
} NavIceGatheringState;

/**
 * NavIceConnectionState:
 * @NAV_ICE_CONNECTION_STATE_NEW: no checks yet.
 * @NAV_ICE_CONNECTION_STATE_CHECKING: checks are running, no pair works
 *   yet.
 * @NAV_ICE_CONNECTION_STATE_CONNECTED: a pair works.
 * @NAV_ICE_CONNECTION_STATE_COMPLETED: unused (as for most stacks, a
 *   working pair is %NAV_ICE_CONNECTION_STATE_CONNECTED).
 * @NAV_ICE_CONNECTION_STATE_FAILED: every check failed, or consent was
 *   lost (RFC 7675); an ICE restart may recover.
 * @NAV_ICE_CONNECTION_STATE_DISCONNECTED: unused: a lost path is
 *   reported as %NAV_ICE_CONNECTION_STATE_FAILED when consent expires.
 * @NAV_ICE_CONNECTION_STATE_CLOSED: the connection is closed.
 *
 * The state of the connection's ICE transport.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_ICE_CONNECTION_STATE_NEW,
  NAV_ICE_CONNECTION_STATE_CHECKING,
  NAV_ICE_CONNECTION_STATE_CONNECTED,
  NAV_ICE_CONNECTION_STATE_COMPLETED,
  NAV_ICE_CONNECTION_STATE_FAILED,
  NAV_ICE_CONNECTION_STATE_DISCONNECTED,
  NAV_ICE_CONNECTION_STATE_CLOSED,
} NavIceConnectionState;

/**
 * NavPeerConnectionState:
 * @NAV_PEER_CONNECTION_STATE_NEW: nothing has started.
 * @NAV_PEER_CONNECTION_STATE_CONNECTING: ICE checks or the DTLS
 *   handshake are under way.
 * @NAV_PEER_CONNECTION_STATE_CONNECTED: ICE found a path and the DTLS
 *   handshake completed: data is encrypted and the peer authenticated.
 * @NAV_PEER_CONNECTION_STATE_DISCONNECTED: unused (see
 *   %NAV_ICE_CONNECTION_STATE_DISCONNECTED).
 * @NAV_PEER_CONNECTION_STATE_FAILED: ICE failed, or the DTLS handshake
 *   did (a fingerprint mismatch, a timeout, an alert).
 * @NAV_PEER_CONNECTION_STATE_CLOSED: [method@Nav.PeerConnection.close]
 *   was called, or the peer closed the DTLS association (close_notify).
 *
 * The state of the whole connection: ICE and DTLS together.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_PEER_CONNECTION_STATE_NEW,
  NAV_PEER_CONNECTION_STATE_CONNECTING,
  NAV_PEER_CONNECTION_STATE_CONNECTED,
  NAV_PEER_CONNECTION_STATE_DISCONNECTED,
  NAV_PEER_CONNECTION_STATE_FAILED,
  NAV_PEER_CONNECTION_STATE_CLOSED,
} NavPeerConnectionState;

/**
 * NavIceTransportPolicy:
 * @NAV_ICE_TRANSPORT_POLICY_ALL: every kind of candidate.
 * @NAV_ICE_TRANSPORT_POLICY_RELAY: relayed candidates only: the peer never
 *   learns our addresses.
 *
 * Which candidates the connection gathers and offers.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_ICE_TRANSPORT_POLICY_ALL,
  NAV_ICE_TRANSPORT_POLICY_RELAY,
} NavIceTransportPolicy;

/**
 * NavBundlePolicy:
 * @NAV_BUNDLE_POLICY_BALANCED: as browsers' default.
 * @NAV_BUNDLE_POLICY_MAX_COMPAT: as browsers' `max-compat`.
 * @NAV_BUNDLE_POLICY_MAX_BUNDLE: as browsers' `max-bundle`.
 *
 * How m-lines share a transport.  A connection of data channels has one
 * m-line, always offered in a BUNDLE group (RFC 8843): the three
 * policies give the same descriptions, and are accepted for
 * compatibility.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_BUNDLE_POLICY_BALANCED,
  NAV_BUNDLE_POLICY_MAX_COMPAT,
  NAV_BUNDLE_POLICY_MAX_BUNDLE,
} NavBundlePolicy;

#define NAV_TYPE_SESSION_DESCRIPTION (nav_session_description_get_type ())

/**
 * NavSessionDescription:
 *
 * A session description: its type and its SDP text, what the two peers
 * exchange through their signaling channel.  Immutable.
 *
 * Since: 1.0
 */
typedef struct _NavSessionDescription NavSessionDescription;

NAV_AVAILABLE_IN_ALL
GType                  nav_session_description_get_type (void) G_GNUC_CONST;
NAV_AVAILABLE_IN_ALL
NavSessionDescription *nav_session_description_new      (NavSdpType             type,
                                                         const gchar           *sdp);
NAV_AVAILABLE_IN_ALL
NavSessionDescription *nav_session_description_ref      (NavSessionDescription *self);
NAV_AVAILABLE_IN_ALL
void                   nav_session_description_unref    (NavSessionDescription *self);
NAV_AVAILABLE_IN_ALL
NavSdpType             nav_session_description_get_sdp_type (NavSessionDescription *self);
NAV_AVAILABLE_IN_ALL
const gchar           *nav_session_description_get_sdp  (NavSessionDescription *self);

NAV_AVAILABLE_IN_ALL
const gchar           *nav_sdp_type_to_string           (NavSdpType             type);
NAV_AVAILABLE_IN_ALL
gboolean               nav_sdp_type_from_string         (const gchar           *name,
                                                         NavSdpType            *type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavSessionDescription, nav_session_description_unref)

#define NAV_TYPE_PEER_CONNECTION (nav_peer_connection_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NavPeerConnection, nav_peer_connection, NAV, PEER_CONNECTION, GObject)

NAV_AVAILABLE_IN_ALL
NavPeerConnection     *nav_peer_connection_new              (GMainContext          *context);
NAV_AVAILABLE_IN_ALL
gboolean               nav_peer_connection_add_ice_server   (NavPeerConnection     *self,
                                                             const gchar           *uri,
                                                             const gchar           *username,
                                                             const gchar           *credential,
                                                             GError               **error);

NAV_AVAILABLE_IN_ALL
void                   nav_peer_connection_create_offer_async  (NavPeerConnection   *self,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);
NAV_AVAILABLE_IN_ALL
NavSessionDescription *nav_peer_connection_create_offer_finish (NavPeerConnection   *self,
                                                                GAsyncResult        *result,
                                                                GError             **error);
NAV_AVAILABLE_IN_ALL
void                   nav_peer_connection_create_answer_async  (NavPeerConnection   *self,
                                                                 GCancellable        *cancellable,
                                                                 GAsyncReadyCallback  callback,
                                                                 gpointer             user_data);
NAV_AVAILABLE_IN_ALL
NavSessionDescription *nav_peer_connection_create_answer_finish (NavPeerConnection   *self,
                                                                 GAsyncResult        *result,
                                                                 GError             **error);
NAV_AVAILABLE_IN_ALL
gboolean               nav_peer_connection_set_local_description  (NavPeerConnection     *self,
                                                                   NavSessionDescription *description,
                                                                   GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean               nav_peer_connection_set_remote_description (NavPeerConnection     *self,
                                                                   NavSessionDescription *description,
                                                                   GError               **error);
NAV_AVAILABLE_IN_ALL
NavSessionDescription *nav_peer_connection_get_local_description  (NavPeerConnection     *self);
NAV_AVAILABLE_IN_ALL
NavSessionDescription *nav_peer_connection_get_remote_description (NavPeerConnection     *self);
NAV_AVAILABLE_IN_ALL
gboolean               nav_peer_connection_add_ice_candidate (NavPeerConnection     *self,
                                                              const gchar           *candidate,
                                                              const gchar           *sdp_mid,
                                                              gint                   sdp_mline_index,
                                                              GError               **error);
NAV_AVAILABLE_IN_ALL
void                   nav_peer_connection_restart_ice      (NavPeerConnection     *self);
NAV_AVAILABLE_IN_ALL
void                   nav_peer_connection_close            (NavPeerConnection     *self);

NAV_AVAILABLE_IN_ALL
NavSignalingState      nav_peer_connection_get_signaling_state      (NavPeerConnection *self);
NAV_AVAILABLE_IN_ALL
NavIceGatheringState   nav_peer_connection_get_ice_gathering_state  (NavPeerConnection *self);
NAV_AVAILABLE_IN_ALL
NavIceConnectionState  nav_peer_connection_get_ice_connection_state (NavPeerConnection *self);
NAV_AVAILABLE_IN_ALL
NavPeerConnectionState nav_peer_connection_get_connection_state     (NavPeerConnection *self);
NAV_AVAILABLE_IN_ALL
NavCertificate        *nav_peer_connection_get_certificate          (NavPeerConnection *self);
NAV_AVAILABLE_IN_ALL
NavDtlsChannel        *nav_peer_connection_get_dtls_channel         (NavPeerConnection *self);
NAV_AVAILABLE_IN_ALL
gboolean               nav_peer_connection_set_transport_channel    (NavPeerConnection  *self,
                                                                     NavChannel         *channel,
                                                                     GError            **error);
NAV_AVAILABLE_IN_ALL
NavAgent              *nav_peer_connection_get_agent                (NavPeerConnection *self);
NAV_AVAILABLE_IN_ALL
NavSctpTransport      *nav_peer_connection_get_sctp_transport       (NavPeerConnection *self);

NAV_AVAILABLE_IN_ALL
NavDataChannel        *nav_peer_connection_create_data_channel      (NavPeerConnection            *self,
                                                                     const gchar                  *label,
                                                                     const NavDataChannelOptions  *options,
                                                                     GError                      **error);

NAV_AVAILABLE_IN_ALL
GQuark                 nav_peer_connection_error_quark              (void);

G_END_DECLS
