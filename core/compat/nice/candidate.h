/* candidate.h: libnice's NiceCandidate on top of NavCandidate
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Part of NetAvanue's libnice source-compatibility layer.  The fields
 * libnice programs read (type, transport, addr, base_addr, priority,
 * stream_id, component_id, foundation, username, password) have the same
 * names in NavCandidate.
 */
#pragma once

#include <netavanue/netavanue.h>
#include "address.h"

G_BEGIN_DECLS

typedef NavCandidate NiceCandidate;
typedef NavCandidateType NiceCandidateType;
typedef NavCandidateTransport NiceCandidateTransport;
typedef NavRelayType NiceRelayType;

#define NICE_TYPE_CANDIDATE                     NAV_TYPE_CANDIDATE
#define NICE_CANDIDATE_MAX_FOUNDATION           NAV_CANDIDATE_MAX_FOUNDATION
#define NICE_CANDIDATE_MAX_LOCAL_ADDRESSES      NAV_CANDIDATE_MAX_LOCAL_ADDRESSES

#define NICE_CANDIDATE_TYPE_HOST                NAV_CANDIDATE_TYPE_HOST
#define NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE    NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE
#define NICE_CANDIDATE_TYPE_PEER_REFLEXIVE      NAV_CANDIDATE_TYPE_PEER_REFLEXIVE
#define NICE_CANDIDATE_TYPE_RELAYED             NAV_CANDIDATE_TYPE_RELAYED

#define NICE_CANDIDATE_TRANSPORT_UDP            NAV_CANDIDATE_TRANSPORT_UDP
#define NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE     NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE
#define NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE    NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE
#define NICE_CANDIDATE_TRANSPORT_TCP_SO         NAV_CANDIDATE_TRANSPORT_TCP_SO

#define NICE_RELAY_TYPE_TURN_UDP                NAV_RELAY_TYPE_TURN_UDP
#define NICE_RELAY_TYPE_TURN_TCP                NAV_RELAY_TYPE_TURN_TCP
#define NICE_RELAY_TYPE_TURN_TLS                NAV_RELAY_TYPE_TURN_TLS

/* Object-like, so they also work as function pointers
 * (g_slist_free_full (list, (GDestroyNotify) nice_candidate_free)). */
#define nice_candidate_new                      nav_candidate_new
#define nice_candidate_free                     nav_candidate_free
#define nice_candidate_copy                     nav_candidate_copy
#define nice_candidate_equal_target             nav_candidate_equal_target
#define nice_candidate_type_to_string           nav_candidate_type_to_string
#define nice_candidate_transport_to_string      nav_candidate_transport_to_string

G_END_DECLS
