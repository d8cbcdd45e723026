/* nav-candidate.h: an ICE candidate
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netavanue/nav-version.h>
#include <netavanue/nav-address.h>

G_BEGIN_DECLS

/**
 * NAV_CANDIDATE_MAX_FOUNDATION:
 *
 * The size of [struct@Nav.Candidate]'s `foundation`: 32 characters, the
 * limit of RFC 8445 §5.1.1.3, and the terminating NUL.
 */
#define NAV_CANDIDATE_MAX_FOUNDATION (32 + 1)

/**
 * NAV_CANDIDATE_MAX_LOCAL_ADDRESSES:
 *
 * The largest number of local addresses a stream uses for candidates, as
 * in libnice.
 */
#define NAV_CANDIDATE_MAX_LOCAL_ADDRESSES 64

/**
 * NavCandidateType:
 * @NAV_CANDIDATE_TYPE_HOST: a host candidate: an address of a local
 *   interface.
 * @NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE: the address a NAT mapped a host
 *   candidate to, learnt from a STUN server.
 * @NAV_CANDIDATE_TYPE_PEER_REFLEXIVE: an address learnt from the source of
 *   a peer's connectivity check (RFC 8445 §7.3.1.3).
 * @NAV_CANDIDATE_TYPE_RELAYED: an address allocated on a TURN server.
 *
 * The types of candidates of RFC 8445 §5.1.1.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_CANDIDATE_TYPE_HOST,
  NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE,
  NAV_CANDIDATE_TYPE_PEER_REFLEXIVE,
  NAV_CANDIDATE_TYPE_RELAYED,
} NavCandidateType;

/**
 * NavCandidateTransport:
 * @NAV_CANDIDATE_TRANSPORT_UDP: UDP.
 * @NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE: TCP, opening connections
 *   (RFC 6544 §4.5).
 * @NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE: TCP, accepting connections.
 * @NAV_CANDIDATE_TRANSPORT_TCP_SO: TCP simultaneous-open.
 *
 * The transport of a candidate.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_CANDIDATE_TRANSPORT_UDP,
  NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE,
  NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE,
  NAV_CANDIDATE_TRANSPORT_TCP_SO,
} NavCandidateTransport;

/**
 * NavComponentState:
 * @NAV_COMPONENT_STATE_DISCONNECTED: no activity yet, or the connection
 *   was lost.
 * @NAV_COMPONENT_STATE_GATHERING: gathering local candidates.
 * @NAV_COMPONENT_STATE_CONNECTING: connectivity checks are running.
 * @NAV_COMPONENT_STATE_CONNECTED: a pair is selected: data can flow.
 *   Signalled before %NAV_COMPONENT_STATE_READY in every mode, as
 *   libnice does.
 * @NAV_COMPONENT_STATE_READY: the checks of the component are over; its
 *   selected pair is nominated.
 * @NAV_COMPONENT_STATE_FAILED: every check failed.
 * @NAV_COMPONENT_STATE_LAST: the number of states.
 *
 * The states of a component, as libnice's `NiceComponentState`.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_COMPONENT_STATE_DISCONNECTED,
  NAV_COMPONENT_STATE_GATHERING,
  NAV_COMPONENT_STATE_CONNECTING,
  NAV_COMPONENT_STATE_CONNECTED,
  NAV_COMPONENT_STATE_READY,
  NAV_COMPONENT_STATE_FAILED,
  NAV_COMPONENT_STATE_LAST,
} NavComponentState;

/**
 * NavRelayType:
 * @NAV_RELAY_TYPE_TURN_UDP: TURN over UDP.
 * @NAV_RELAY_TYPE_TURN_TCP: TURN over TCP.
 * @NAV_RELAY_TYPE_TURN_TLS: TURN over TLS.
 *
 * How a client talks to its TURN server, as libnice's `NiceRelayType`.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_RELAY_TYPE_TURN_UDP,
  NAV_RELAY_TYPE_TURN_TCP,
  NAV_RELAY_TYPE_TURN_TLS,
} NavRelayType;

typedef struct _NavTransport NavTransport;

#define NAV_TYPE_CANDIDATE (nav_candidate_get_type ())

typedef struct _NavCandidate NavCandidate;

/**
 * NavCandidate:
 * @type: the candidate's type.
 * @transport: the candidate's transport protocol.
 * @addr: the candidate's transport address.
 * @base_addr: the base: the local address the candidate sends from
 *   (RFC 8445 §5.1.1.2); for a host candidate, @addr itself.
 * @related_addr: the related address of the SDP `raddr`/`rport`
 *   (RFC 8839 §5.1): the mapped address of a relayed candidate, the base of
 *   a reflexive one; unset for host candidates.
 * @priority: the priority (RFC 8445 §5.1.2).
 * @stream_id: the stream the candidate belongs to.
 * @component_id: the component the candidate belongs to (1 for RTP, 2 for
 *   RTCP, …).
 * @foundation: the foundation (RFC 8445 §5.1.1.3), NUL-terminated.
 * @username: (nullable): the ICE username fragment, when it differs from
 *   the stream's.
 * @password: (nullable): the ICE password, when it differs from the
 *   stream's.
 * @owner: (nullable): the transport that sends and receives for this
 *   candidate; %NULL for remote candidates.
 *
 * An ICE candidate: a transport address where a peer may be reached.  Its
 * fields are those of libnice's `NiceCandidate`, plus the related address
 * and the transport that owns a local candidate.
 *
 * Since: 1.0
 */
struct _NavCandidate
{
  NavCandidateType type;
  NavCandidateTransport transport;
  NavAddress addr;
  NavAddress base_addr;
  NavAddress related_addr;
  guint32 priority;
  guint stream_id;
  guint component_id;
  gchar foundation[NAV_CANDIDATE_MAX_FOUNDATION];
  gchar *username;
  gchar *password;
  NavTransport *owner;

  /*< private >*/
  gpointer padding[4];
};

NAV_AVAILABLE_IN_ALL
GType         nav_candidate_get_type      (void) G_GNUC_CONST;

NAV_AVAILABLE_IN_ALL
NavCandidate *nav_candidate_new           (NavCandidateType    type);
NAV_AVAILABLE_IN_ALL
NavCandidate *nav_candidate_copy          (const NavCandidate *candidate);
NAV_AVAILABLE_IN_ALL
void          nav_candidate_free          (NavCandidate       *candidate);

NAV_AVAILABLE_IN_ALL
gboolean      nav_candidate_equal_target  (const NavCandidate *a,
                                           const NavCandidate *b);
NAV_AVAILABLE_IN_ALL
void          nav_candidate_set_owner     (NavCandidate       *candidate,
                                           NavTransport       *owner);
NAV_AVAILABLE_IN_ALL
void          nav_candidate_set_foundation (NavCandidate      *candidate,
                                            const gchar       *foundation);
NAV_AVAILABLE_IN_ALL
const gchar  *nav_candidate_get_foundation (const NavCandidate *candidate);

NAV_AVAILABLE_IN_ALL
guint32       nav_candidate_compute_priority (NavCandidateType      type,
                                              NavCandidateTransport transport,
                                              guint                 local_preference,
                                              guint                 component_id);

NAV_AVAILABLE_IN_ALL
const gchar  *nav_candidate_type_to_string      (NavCandidateType      type);
NAV_AVAILABLE_IN_ALL
const gchar  *nav_candidate_transport_to_string (NavCandidateTransport transport);
NAV_AVAILABLE_IN_ALL
gchar        *nav_candidate_to_string           (const NavCandidate   *candidate);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavCandidate, nav_candidate_free)

G_END_DECLS
