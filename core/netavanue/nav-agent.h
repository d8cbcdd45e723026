/* nav-agent.h: the ICE agent, libnice's NiceAgent API
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
#include <netavanue/nav-candidate.h>
#include <netavanue/nav-transport.h>
#include <netavanue/nav-channel.h>

G_BEGIN_DECLS

/**
 * NavCompatibility:
 * @NAV_COMPATIBILITY_RFC5245: ICE as libnice's `NICE_COMPATIBILITY_RFC5245`
 *   (also its `DRAFT19`): aggressive nomination by default.
 * @NAV_COMPATIBILITY_RFC8445: ICE of RFC 8445: regular nomination and
 *   consent freshness by default.
 *
 * The flavours of ICE an agent speaks.  libnice's other modes (Google,
 * MSN, Office Communicator) are not supported.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_COMPATIBILITY_RFC5245 = 0,
  NAV_COMPATIBILITY_RFC8445 = 6,
} NavCompatibility;

/**
 * NavConnectPlan:
 * @NAV_CONNECT_PLAN_ICE: no plan: the NAT types of the two peers are not
 *   both known, the checks run in RFC 8445's order.
 * @NAV_CONNECT_PLAN_DIRECT: a peer is reachable without NAT traversal
 *   (no NAT, no filtering): direct pairs first, relayed ones held back.
 * @NAV_CONNECT_PLAN_HOLE_PUNCH: UDP hole punching works for the pair of
 *   NAT types: host and server-reflexive pairs first, relayed ones held
 *   back.
 * @NAV_CONNECT_PLAN_TCP: a peer's UDP is blocked: ICE-TCP (simultaneous
 *   open where gathered) and relayed candidates (TURN over TCP) first,
 *   the peer's UDP host and server-reflexive candidates held back.
 * @NAV_CONNECT_PLAN_RELAY_FIRST: neither hole punching nor a direct path
 *   can work (RFC 4787 §4.1: a mapping that depends on the destination
 *   against one that does or against port-dependent filtering): relayed
 *   pairs first, the others held back.
 * @NAV_CONNECT_PLAN_RELAY_ONLY: the privacy mode
 *   ([property@Nav.Agent:force-relay]): only relayed candidates are
 *   offered and checked.
 *
 * What [property@Nav.Agent:connect-plan] tries first, chosen from the
 * RFC 5780 NAT types of both peers.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_CONNECT_PLAN_ICE,
  NAV_CONNECT_PLAN_DIRECT,
  NAV_CONNECT_PLAN_HOLE_PUNCH,
  NAV_CONNECT_PLAN_TCP,
  NAV_CONNECT_PLAN_RELAY_FIRST,
  NAV_CONNECT_PLAN_RELAY_ONLY,
} NavConnectPlan;

/**
 * NavAgentOption:
 * @NAV_AGENT_OPTION_NONE: no option.
 * @NAV_AGENT_OPTION_REGULAR_NOMINATION: regular nomination.
 * @NAV_AGENT_OPTION_RELIABLE: reliable mode: pseudo-TCP over the
 *   selected pairs, as libnice's; see [ctor@Nav.Agent.new_reliable].
 * @NAV_AGENT_OPTION_LITE_MODE: ICE-lite (RFC 8445 §2.5): see
 *   [property@Nav.Agent:full-mode].
 * @NAV_AGENT_OPTION_ICE_TRICKLE: Trickle ICE (RFC 8838).
 * @NAV_AGENT_OPTION_SUPPORT_RENOMINATION: renomination; accepted.
 * @NAV_AGENT_OPTION_CONSENT_FRESHNESS: consent freshness (RFC 7675).
 * @NAV_AGENT_OPTION_BYTESTREAM_TCP: byte-stream TCP; accepted.
 *
 * Options of [ctor@Nav.Agent.new_full], with the values of libnice's
 * `NiceAgentOption`.
 *
 * Since: 1.0
 */
typedef enum /*< flags >*/ {
  NAV_AGENT_OPTION_NONE = 0,
  NAV_AGENT_OPTION_REGULAR_NOMINATION = 1 << 0,
  NAV_AGENT_OPTION_RELIABLE = 1 << 1,
  NAV_AGENT_OPTION_LITE_MODE = 1 << 2,
  NAV_AGENT_OPTION_ICE_TRICKLE = 1 << 3,
  NAV_AGENT_OPTION_SUPPORT_RENOMINATION = 1 << 4,
  NAV_AGENT_OPTION_CONSENT_FRESHNESS = 1 << 5,
  NAV_AGENT_OPTION_BYTESTREAM_TCP = 1 << 6,
} NavAgentOption;

/**
 * NAV_AGENT_MAX_REMOTE_CANDIDATES:
 *
 * The largest number of remote candidates of a component, as libnice's.
 */
#define NAV_AGENT_MAX_REMOTE_CANDIDATES 25

#define NAV_TYPE_AGENT (nav_agent_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (NavAgent, nav_agent, NAV, AGENT, GObject)

/**
 * NavAgentRecvFunc:
 * @agent: the agent
 * @stream_id: the stream
 * @component_id: the component
 * @len: the length of @buf
 * @buf: (array length=len) (element-type guint8): the data
 * @user_data: the data given to [method@Nav.Agent.attach_recv]
 *
 * Receives the data of a component, as libnice's `NiceAgentRecvFunc`.
 * Bindings use the [signal@Nav.Agent::new-data] signal instead.
 *
 * Since: 1.0
 */
typedef void (*NavAgentRecvFunc) (NavAgent *agent,
                                  guint     stream_id,
                                  guint     component_id,
                                  guint     len,
                                  gchar    *buf,
                                  gpointer  user_data);

NAV_AVAILABLE_IN_ALL
NavAgent *nav_agent_new                 (GMainContext     *ctx,
                                         NavCompatibility  compat);
NAV_AVAILABLE_IN_ALL
NavAgent *nav_agent_new_full            (GMainContext     *ctx,
                                         NavCompatibility  compat,
                                         NavAgentOption    flags);
NAV_AVAILABLE_IN_ALL
NavAgent *nav_agent_new_reliable        (GMainContext     *ctx,
                                         NavCompatibility  compat);
NAV_AVAILABLE_IN_ALL
GIOStream *nav_agent_get_io_stream      (NavAgent         *agent,
                                         guint             stream_id,
                                         guint             component_id);
NAV_AVAILABLE_IN_ALL
GIOStream *nav_agent_get_io_stream_full (NavAgent         *agent,
                                         guint             stream_id,
                                         guint             component_id,
                                         GError          **error);

NAV_AVAILABLE_IN_ALL
gboolean  nav_agent_add_local_address   (NavAgent         *agent,
                                         NavAddress       *addr);
NAV_AVAILABLE_IN_ALL
guint     nav_agent_add_stream          (NavAgent         *agent,
                                         guint             n_components);
NAV_AVAILABLE_IN_ALL
void      nav_agent_remove_stream       (NavAgent         *agent,
                                         guint             stream_id);
NAV_AVAILABLE_IN_ALL
gboolean  nav_agent_set_stream_name     (NavAgent         *agent,
                                         guint             stream_id,
                                         const gchar      *name);
NAV_AVAILABLE_IN_ALL
const gchar *nav_agent_get_stream_name  (NavAgent         *agent,
                                         guint             stream_id);
NAV_AVAILABLE_IN_ALL
void      nav_agent_set_port_range      (NavAgent         *agent,
                                         guint             stream_id,
                                         guint             component_id,
                                         guint             min_port,
                                         guint             max_port);
NAV_AVAILABLE_IN_ALL
gboolean  nav_agent_set_relay_info      (NavAgent         *agent,
                                         guint             stream_id,
                                         guint             component_id,
                                         const gchar      *server_ip,
                                         guint             server_port,
                                         const gchar      *username,
                                         const gchar      *password,
                                         NavRelayType      type);
NAV_AVAILABLE_IN_ALL
gboolean  nav_agent_forget_relays       (NavAgent         *agent,
                                         guint             stream_id,
                                         guint             component_id);
NAV_AVAILABLE_IN_ALL
gboolean  nav_agent_gather_candidates   (NavAgent         *agent,
                                         guint             stream_id);
NAV_AVAILABLE_IN_ALL
gboolean  nav_agent_restart             (NavAgent         *agent);
NAV_AVAILABLE_IN_ALL
gboolean  nav_agent_restart_stream      (NavAgent         *agent,
                                         guint             stream_id);
NAV_AVAILABLE_IN_ALL
gboolean  nav_agent_set_remote_credentials (NavAgent      *agent,
                                            guint          stream_id,
                                            const gchar   *ufrag,
                                            const gchar   *pwd);
NAV_AVAILABLE_IN_ALL
gboolean  nav_agent_set_local_credentials  (NavAgent      *agent,
                                            guint          stream_id,
                                            const gchar   *ufrag,
                                            const gchar   *pwd);
NAV_AVAILABLE_IN_ALL
gboolean  nav_agent_get_local_credentials  (NavAgent      *agent,
                                            guint          stream_id,
                                            gchar        **ufrag,
                                            gchar        **pwd);
NAV_AVAILABLE_IN_ALL
int       nav_agent_set_remote_candidates  (NavAgent      *agent,
                                            guint          stream_id,
                                            guint          component_id,
                                            const GSList  *candidates);
NAV_AVAILABLE_IN_ALL
GSList   *nav_agent_get_remote_candidates  (NavAgent      *agent,
                                            guint          stream_id,
                                            guint          component_id);
NAV_AVAILABLE_IN_ALL
GSList   *nav_agent_get_local_candidates   (NavAgent      *agent,
                                            guint          stream_id,
                                            guint          component_id);
NAV_AVAILABLE_IN_ALL
gboolean  nav_agent_peer_candidate_gathering_done (NavAgent *agent,
                                                   guint     stream_id);
NAV_AVAILABLE_IN_ALL
gint      nav_agent_send                   (NavAgent      *agent,
                                            guint          stream_id,
                                            guint          component_id,
                                            guint          len,
                                            const gchar   *buf);
NAV_AVAILABLE_IN_ALL
gboolean  nav_agent_send_bytes             (NavAgent      *agent,
                                            guint          stream_id,
                                            guint          component_id,
                                            GBytes        *data,
                                            GError       **error);
NAV_AVAILABLE_IN_ALL
gint      nav_agent_send_messages_nonblocking (NavAgent               *agent,
                                               guint                   stream_id,
                                               guint                   component_id,
                                               const NavOutputMessage *messages,
                                               guint                   n_messages,
                                               GCancellable           *cancellable,
                                               GError                **error);
NAV_AVAILABLE_IN_ALL
gint      nav_agent_recv_messages          (NavAgent         *agent,
                                            guint             stream_id,
                                            guint             component_id,
                                            NavInputMessage  *messages,
                                            guint             n_messages,
                                            GCancellable     *cancellable,
                                            GError          **error);
NAV_AVAILABLE_IN_ALL
gint      nav_agent_recv_messages_nonblocking (NavAgent         *agent,
                                               guint             stream_id,
                                               guint             component_id,
                                               NavInputMessage  *messages,
                                               guint             n_messages,
                                               GCancellable     *cancellable,
                                               GError          **error);
NAV_AVAILABLE_IN_ALL
gssize    nav_agent_recv                   (NavAgent         *agent,
                                            guint             stream_id,
                                            guint             component_id,
                                            guint8           *buf,
                                            gsize             buf_len,
                                            GCancellable     *cancellable,
                                            GError          **error);
NAV_AVAILABLE_IN_ALL
gssize    nav_agent_recv_nonblocking       (NavAgent         *agent,
                                            guint             stream_id,
                                            guint             component_id,
                                            guint8           *buf,
                                            gsize             buf_len,
                                            GCancellable     *cancellable,
                                            GError          **error);
NAV_AVAILABLE_IN_ALL
GBytes   *nav_agent_recv_bytes             (NavAgent         *agent,
                                            guint             stream_id,
                                            guint             component_id,
                                            GCancellable     *cancellable,
                                            GError          **error);
NAV_AVAILABLE_IN_ALL
GBytes   *nav_agent_recv_bytes_nonblocking (NavAgent         *agent,
                                            guint             stream_id,
                                            guint             component_id,
                                            GCancellable     *cancellable,
                                            GError          **error);
NAV_AVAILABLE_IN_ALL
NavChannel *nav_agent_get_channel          (NavAgent         *agent,
                                            guint             stream_id,
                                            guint             component_id);
NAV_AVAILABLE_IN_ALL
guint64   nav_agent_get_dropped_datagrams  (NavAgent         *agent,
                                            guint             stream_id,
                                            guint             component_id);
NAV_AVAILABLE_IN_ALL
gboolean  nav_agent_attach_recv            (NavAgent         *agent,
                                            guint             stream_id,
                                            guint             component_id,
                                            GMainContext     *ctx,
                                            NavAgentRecvFunc  func,
                                            gpointer          data);
NAV_AVAILABLE_IN_ALL
gboolean  nav_agent_get_selected_pair      (NavAgent      *agent,
                                            guint          stream_id,
                                            guint          component_id,
                                            NavCandidate **local,
                                            NavCandidate **remote);
NAV_AVAILABLE_IN_ALL
gboolean  nav_agent_set_selected_pair      (NavAgent      *agent,
                                            guint          stream_id,
                                            guint          component_id,
                                            const gchar   *lfoundation,
                                            const gchar   *rfoundation);
NAV_AVAILABLE_IN_ALL
gboolean  nav_agent_set_selected_remote_candidate (NavAgent     *agent,
                                                   guint         stream_id,
                                                   guint         component_id,
                                                   NavCandidate *candidate);
NAV_AVAILABLE_IN_ALL
NavComponentState nav_agent_get_component_state (NavAgent *agent,
                                                 guint     stream_id,
                                                 guint     component_id);

NAV_AVAILABLE_IN_ALL
gchar    *nav_agent_generate_local_sdp     (NavAgent      *agent);
NAV_AVAILABLE_IN_ALL
gchar    *nav_agent_generate_local_stream_sdp (NavAgent   *agent,
                                               guint       stream_id,
                                               gboolean    include_non_ice);
NAV_AVAILABLE_IN_ALL
gchar    *nav_agent_generate_local_candidate_sdp (NavAgent     *agent,
                                                  NavCandidate *candidate);
NAV_AVAILABLE_IN_ALL
int       nav_agent_parse_remote_sdp       (NavAgent      *agent,
                                            const gchar   *sdp);
NAV_AVAILABLE_IN_ALL
int       nav_agent_parse_remote_sdp_full  (NavAgent      *agent,
                                            const gchar   *sdp,
                                            GError       **error);
NAV_AVAILABLE_IN_ALL
GSList   *nav_agent_parse_remote_stream_sdp (NavAgent     *agent,
                                             guint         stream_id,
                                             const gchar  *sdp,
                                             gchar       **ufrag,
                                             gchar       **pwd);
NAV_AVAILABLE_IN_ALL
NavCandidate *nav_agent_parse_remote_candidate_sdp (NavAgent    *agent,
                                                    guint        stream_id,
                                                    const gchar *sdp);

NAV_AVAILABLE_IN_ALL
void      nav_agent_set_software           (NavAgent      *agent,
                                            const gchar   *software);
NAV_AVAILABLE_IN_ALL
void      nav_agent_set_stream_tos         (NavAgent      *agent,
                                            guint          stream_id,
                                            gint           tos);
NAV_AVAILABLE_IN_ALL
GSocket  *nav_agent_get_selected_socket    (NavAgent      *agent,
                                            guint          stream_id,
                                            guint          component_id);
NAV_AVAILABLE_IN_ALL
GPtrArray *nav_agent_get_sockets           (NavAgent      *agent,
                                            guint          stream_id,
                                            guint          component_id);
NAV_AVAILABLE_IN_ALL
NavCandidate *nav_agent_get_default_local_candidate (NavAgent *agent,
                                                     guint     stream_id,
                                                     guint     component_id);
NAV_AVAILABLE_IN_ALL
gboolean  nav_agent_consent_lost           (NavAgent      *agent,
                                            guint          stream_id,
                                            guint          component_id);
NAV_AVAILABLE_IN_ALL
void      nav_agent_close_async            (NavAgent            *agent,
                                            GAsyncReadyCallback  callback,
                                            gpointer             callback_data);
NAV_AVAILABLE_IN_ALL
gboolean  nav_agent_close_finish           (NavAgent      *agent,
                                            GAsyncResult  *result,
                                            GError       **error);

NAV_AVAILABLE_IN_ALL
NavConnectPlan nav_agent_get_connect_plan (NavAgent *agent);

G_END_DECLS
