/* agent.h: libnice's NiceAgent on top of NavAgent
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Part of NetAvanue's libnice source-compatibility layer (pkg-config
 * netavanue-nice-1.0): `#include <nice/agent.h>` or `#include <agent.h>`
 * as libnice's examples do, and the program runs on NavAgent.  Methods,
 * properties and signals have libnice's names; so does the SDP text.
 *
 * Differences: nice_agent_get_selected_pair() hands out candidates kept
 * on the agent until the next call for the component (libnice's are the
 * agent's own).  Reliable agents (nice_agent_new_reliable(), pseudo-TCP
 * over the selected pair, wire-compatible with libnice's) and
 * nice_agent_get_io_stream() are provided.  libnice's other ICE
 * dialects (NICE_COMPATIBILITY_GOOGLE, _MSN, _WLM2009, _OC2007,
 * _OC2007R2) compile, and nice_agent_new() refuses them at run time with
 * a warning, returning NULL.  For a pair forced with
 * nice_agent_set_selected_pair(), new-selected-pair comes before
 * CONNECTED and READY, as for a pair the checks select (libnice emits it
 * after READY in that one case).  The "upnp" and "proxy-*" properties
 * are accepted and do nothing, with a warning when set.
 */
#pragma once

#include <netavanue/netavanue.h>
#include "address.h"
#include "candidate.h"
#include "debug.h"

G_BEGIN_DECLS

typedef NavAgent NiceAgent;
typedef NavAgentClass NiceAgentClass;
typedef NavComponentState NiceComponentState;
typedef NavNominationMode NiceNominationMode;
typedef NavAgentOption NiceAgentOption;
typedef NavAgentRecvFunc NiceAgentRecvFunc;
typedef NavInputMessage NiceInputMessage;
typedef NavOutputMessage NiceOutputMessage;

/* libnice's dialects, with libnice's values: only RFC 5245 (and its
 * alias DRAFT19) is spoken here; nice_agent_new() refuses the others. */
typedef enum
{
  NICE_COMPATIBILITY_RFC5245 = 0,
  NICE_COMPATIBILITY_DRAFT19 = NICE_COMPATIBILITY_RFC5245,
  NICE_COMPATIBILITY_GOOGLE,
  NICE_COMPATIBILITY_MSN,
  NICE_COMPATIBILITY_WLM2009,
  NICE_COMPATIBILITY_OC2007,
  NICE_COMPATIBILITY_OC2007R2,
  NICE_COMPATIBILITY_LAST = NICE_COMPATIBILITY_OC2007R2,
} NiceCompatibility;

/* The values of the "proxy-type" property, which does nothing here. */
typedef enum
{
  NICE_PROXY_TYPE_NONE = 0,
  NICE_PROXY_TYPE_SOCKS5,
  NICE_PROXY_TYPE_HTTP,
  NICE_PROXY_TYPE_LAST = NICE_PROXY_TYPE_HTTP,
} NiceProxyType;

#define NICE_TYPE_AGENT                         NAV_TYPE_AGENT
#define NICE_AGENT(obj)                         NAV_AGENT (obj)
#define NICE_IS_AGENT(obj)                      NAV_IS_AGENT (obj)
#define NICE_AGENT_CLASS(klass)                 G_TYPE_CHECK_CLASS_CAST ((klass), NAV_TYPE_AGENT, NavAgentClass)
#define NICE_IS_AGENT_CLASS(klass)              G_TYPE_CHECK_CLASS_TYPE ((klass), NAV_TYPE_AGENT)
#define NICE_AGENT_GET_CLASS(obj)               G_TYPE_INSTANCE_GET_CLASS ((obj), NAV_TYPE_AGENT, NavAgentClass)
#define nice_agent_get_type                     nav_agent_get_type
#define NICE_AGENT_MAX_REMOTE_CANDIDATES        NAV_AGENT_MAX_REMOTE_CANDIDATES

#define NICE_COMPONENT_STATE_DISCONNECTED       NAV_COMPONENT_STATE_DISCONNECTED
#define NICE_COMPONENT_STATE_GATHERING          NAV_COMPONENT_STATE_GATHERING
#define NICE_COMPONENT_STATE_CONNECTING         NAV_COMPONENT_STATE_CONNECTING
#define NICE_COMPONENT_STATE_CONNECTED          NAV_COMPONENT_STATE_CONNECTED
#define NICE_COMPONENT_STATE_READY              NAV_COMPONENT_STATE_READY
#define NICE_COMPONENT_STATE_FAILED             NAV_COMPONENT_STATE_FAILED
#define NICE_COMPONENT_STATE_LAST               NAV_COMPONENT_STATE_LAST

#define NICE_COMPONENT_TYPE_RTP                 1
#define NICE_COMPONENT_TYPE_RTCP                2

#define NICE_NOMINATION_MODE_REGULAR            NAV_NOMINATION_MODE_REGULAR
#define NICE_NOMINATION_MODE_AGGRESSIVE         NAV_NOMINATION_MODE_AGGRESSIVE

#define NICE_AGENT_OPTION_NONE                  NAV_AGENT_OPTION_NONE
#define NICE_AGENT_OPTION_REGULAR_NOMINATION    NAV_AGENT_OPTION_REGULAR_NOMINATION
#define NICE_AGENT_OPTION_RELIABLE              NAV_AGENT_OPTION_RELIABLE
#define NICE_AGENT_OPTION_LITE_MODE             NAV_AGENT_OPTION_LITE_MODE
#define NICE_AGENT_OPTION_ICE_TRICKLE           NAV_AGENT_OPTION_ICE_TRICKLE
#define NICE_AGENT_OPTION_SUPPORT_RENOMINATION  NAV_AGENT_OPTION_SUPPORT_RENOMINATION
#define NICE_AGENT_OPTION_CONSENT_FRESHNESS     NAV_AGENT_OPTION_CONSENT_FRESHNESS
#define NICE_AGENT_OPTION_BYTESTREAM_TCP        NAV_AGENT_OPTION_BYTESTREAM_TCP

/* Functions of libnetavanue-nice-1.0 (nav-nice-compat.c): an agent of
 * a dialect NetAvanue does not speak is NULL, with a warning. */
NiceAgent   *nice_agent_new                 (GMainContext       *ctx,
                                             NiceCompatibility   compat);
NiceAgent   *nice_agent_new_full            (GMainContext       *ctx,
                                             NiceCompatibility   compat,
                                             NiceAgentOption     flags);
NiceAgent   *nice_agent_new_reliable        (GMainContext       *ctx,
                                             NiceCompatibility   compat);
const gchar *nice_component_state_to_string (NiceComponentState  state);

#define nice_agent_get_io_stream(agent, stream_id, component_id) \
  nav_agent_get_io_stream ((agent), (stream_id), (component_id))
#define nice_agent_add_local_address            nav_agent_add_local_address
#define nice_agent_add_stream                   nav_agent_add_stream
#define nice_agent_remove_stream                nav_agent_remove_stream
#define nice_agent_set_stream_name              nav_agent_set_stream_name
#define nice_agent_get_stream_name              nav_agent_get_stream_name
#define nice_agent_set_port_range               nav_agent_set_port_range
#define nice_agent_set_relay_info               nav_agent_set_relay_info
#define nice_agent_forget_relays                nav_agent_forget_relays
#define nice_agent_gather_candidates            nav_agent_gather_candidates
#define nice_agent_restart                      nav_agent_restart
#define nice_agent_restart_stream               nav_agent_restart_stream
#define nice_agent_set_remote_credentials       nav_agent_set_remote_credentials
#define nice_agent_set_local_credentials        nav_agent_set_local_credentials
#define nice_agent_get_local_credentials        nav_agent_get_local_credentials
#define nice_agent_set_remote_candidates        nav_agent_set_remote_candidates
#define nice_agent_get_remote_candidates        nav_agent_get_remote_candidates
#define nice_agent_get_local_candidates         nav_agent_get_local_candidates
#define nice_agent_peer_candidate_gathering_done nav_agent_peer_candidate_gathering_done
#define nice_agent_send                         nav_agent_send
#define nice_agent_attach_recv                  nav_agent_attach_recv
#define nice_agent_send_messages_nonblocking    nav_agent_send_messages_nonblocking
#define nice_agent_recv_messages                nav_agent_recv_messages
#define nice_agent_recv_messages_nonblocking    nav_agent_recv_messages_nonblocking
#define nice_agent_recv                         nav_agent_recv
#define nice_agent_recv_nonblocking             nav_agent_recv_nonblocking
#define nice_agent_get_component_state          nav_agent_get_component_state
#define nice_agent_set_selected_pair            nav_agent_set_selected_pair
#define nice_agent_set_selected_remote_candidate nav_agent_set_selected_remote_candidate
#define nice_agent_generate_local_sdp           nav_agent_generate_local_sdp
#define nice_agent_generate_local_stream_sdp    nav_agent_generate_local_stream_sdp
#define nice_agent_generate_local_candidate_sdp nav_agent_generate_local_candidate_sdp
#define nice_agent_parse_remote_sdp             nav_agent_parse_remote_sdp
#define nice_agent_parse_remote_stream_sdp      nav_agent_parse_remote_stream_sdp
#define nice_agent_parse_remote_candidate_sdp   nav_agent_parse_remote_candidate_sdp
#define nice_agent_set_software                 nav_agent_set_software
#define nice_agent_set_stream_tos               nav_agent_set_stream_tos
#define nice_agent_get_selected_socket          nav_agent_get_selected_socket
#define nice_agent_get_sockets                  nav_agent_get_sockets
#define nice_agent_get_default_local_candidate  nav_agent_get_default_local_candidate
#define nice_agent_consent_lost                 nav_agent_consent_lost
#define nice_agent_close_async                  nav_agent_close_async

/* libnice's candidates stay the agent's: keep the copies on the agent,
 * one pair per component, freed with it or at the next call. */
static inline gboolean
nice_agent_get_selected_pair (NiceAgent      *agent,
                              guint           stream_id,
                              guint           component_id,
                              NiceCandidate **local,
                              NiceCandidate **remote)
{
  NavCandidate *l = NULL, *r = NULL;
  gchar key_l[48], key_r[48];

  if (!nav_agent_get_selected_pair (agent, stream_id, component_id, &l, &r))
    return FALSE;
  g_snprintf (key_l, sizeof key_l, "nice-compat-selected-local-%u-%u", stream_id, component_id);
  g_snprintf (key_r, sizeof key_r, "nice-compat-selected-remote-%u-%u", stream_id, component_id);
  g_object_set_data_full (G_OBJECT (agent), key_l, l, (GDestroyNotify) nav_candidate_free);
  g_object_set_data_full (G_OBJECT (agent), key_r, r, (GDestroyNotify) nav_candidate_free);
  if (local != NULL)
    *local = l;
  if (remote != NULL)
    *remote = r;
  return TRUE;
}

G_END_DECLS
