/* nav-peer-connection-private.h: what the parts of NavPeerConnection
 * share: the object, and what the ICE part offers the offer/answer part
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "netavanue/netavanue.h"
#include "nav-sdp-private.h"

G_BEGIN_DECLS

/* What a data channel m-line of ours says (RFC 8841): the SCTP port of
 * every WebRTC stack, and the largest message we take, as Chromium's. */
#define NAV_PEER_CONNECTION_SCTP_PORT 5000
#define NAV_PEER_CONNECTION_MAX_MESSAGE_SIZE 262144

typedef enum {
  ICE_SERVER_STUN,
  ICE_SERVER_TURN,
  ICE_SERVER_TURNS,
} IceServerScheme;

typedef struct {
  IceServerScheme scheme;
  gchar *host;
  guint port;
  NavRelayType relay_type;
  gchar *username;
  gchar *credential;
  NavAddress address;           /* resolved, or invalid */
} IceServer;

struct _NavPeerConnection
{
  GObject parent_instance;

  /* Everything runs in this context's thread: no lock. */
  GMainContext *context;
  GCancellable *cancellable;    /* of certificate generation and resolving */
  NavAgent *agent;
  guint stream_id;
  NavChannel *ice_channel;      /* the agent's channel of component 1, or the
                                 * application's (set_transport_channel) */
  gboolean own_transport;       /* ice_channel is the application's */
  gulong ice_channel_state_id;
  NavChecker *checker;          /* the agent's, for the checks' round-trip times */
  GHashTable *check_started;    /* pair key → start µs (gint64 *) */
  GHashTable *pair_rtt;         /* pair key → RTT µs (gint64 *) */
  gint64 best_rtt;              /* µs, -1 while none measured */
  gint64 selected_rtt;          /* µs, of the selected pair, -1 unknown */

  /* configuration */
  NavCertificate *certificate;
  GError *certificate_error;
  GQueue certificate_waiters;   /* GTask of create_offer/answer */
  GPtrArray *ice_servers;       /* IceServer */
  guint resolving;              /* host names being resolved */
  gboolean gather_when_resolved;
  NavIceTransportPolicy ice_transport_policy;
  NavBundlePolicy bundle_policy;

  /* states */
  NavSignalingState signaling_state;
  NavIceGatheringState gathering_state;
  NavIceConnectionState ice_state;
  NavPeerConnectionState connection_state;
  NavComponentState component_state;
  gboolean was_connected;       /* ICE worked once: failure calls for a restart */
  gboolean closed;
  gboolean mdns_host_candidates; /* host addresses behind UUID.local names (issue 19) */
  guint64 sctp_receive_window;  /* NavPeerConnection:sctp-receive-window */

  /* descriptions */
  NavSessionDescription *current_local;
  NavSessionDescription *pending_local;
  NavSessionDescription *current_remote;
  NavSessionDescription *pending_remote;
  NavSdp *local_sdp;            /* of pending_local, else current_local */
  NavSdp *created_sdp;          /* the last offer or answer made */
  NavSdpType created_type;
  gchar *created_text;
  NavSdp *remote_sdp;           /* of pending_remote, else current_remote */
  guint64 session_id;
  guint64 session_version;
  gboolean is_offerer;          /* of the exchange that set the roles */

  /* ICE */
  gchar *mid;                   /* of our data m-line */
  guint mline_index;
  gchar *local_ufrag;           /* what the agent uses */
  gchar *local_pwd;
  gboolean restart_pending;     /* restart_ice(): the next offer restarts */
  gboolean local_restart;       /* our offer set restarted ICE, not answered yet */
  gboolean negotiation_needed_queued;
  gchar *remote_ufrag;
  gchar *remote_pwd;
  gboolean remote_lite;
  gboolean gathering_started;
  gboolean agent_gathering_done;
  gchar *announced_ufrag;       /* the credentials our candidates were last announced for */
  guint announce_source;        /* they are announced again from this idle source */
  GPtrArray *local_candidates;  /* gchar *, "candidate:…" */
  gboolean remote_end_of_candidates;

  /* DTLS */
  NavDtlsChannel *dtls;
  gulong dtls_state_id;
  gboolean dtls_role_known;
  NavDtlsRole dtls_role;
  gchar **remote_fingerprints;
  gboolean dtls_started;

  /* Data channels: what the remote description said (RFC 8841), and
   * the SCTP transport (nav-peer-connection-data.c). */
  NavSdpSctpForm remote_sctp_form;
  guint remote_sctp_port;
  guint64 remote_max_message_size;
  gboolean data_channels;       /* the property: an SCTP association at all */
  NavSctpTransport *sctp;
  gboolean sctp_started;
  gboolean data_negotiation_needed;   /* the first channel waits for an offer */
  GPtrArray *stats_channels;    /* GWeakRef of each data channel, for the statistics */
};

/* nav-peer-connection.c */
gboolean nav_peer_connection_closed_error       (NavPeerConnection  *self,
                                                 GError            **error);
void     nav_peer_connection_set_signaling_state (NavPeerConnection *self,
                                                  NavSignalingState  state);
void     nav_peer_connection_update_states      (NavPeerConnection *self);
void     nav_peer_connection_emit_ice_candidate (NavPeerConnection *self,
                                                 const gchar       *candidate);
void     nav_peer_connection_queue_negotiation_needed (NavPeerConnection *self);
void     nav_peer_connection_emit_data_channel  (NavPeerConnection *self,
                                                 NavDataChannel    *channel);

/* nav-peer-connection-jsep.c: offer and answer */
void     nav_peer_connection_complete_create    (NavPeerConnection *self,
                                                 GTask             *task);

/* nav-peer-connection-ice.c: the agent, its servers, the DTLS channel */
void     nav_peer_connection_ice_init           (NavPeerConnection *self);
void     nav_peer_connection_ice_dispose        (NavPeerConnection *self);
void     nav_peer_connection_ice_set_transport  (NavPeerConnection *self,
                                                 NavChannel        *channel);
void     ice_server_free                        (gpointer           data);
IceServer *nav_peer_connection_parse_ice_server (const gchar       *uri,
                                                 const gchar       *username,
                                                 const gchar       *credential,
                                                 GError           **error);
void     nav_peer_connection_start_gathering    (NavPeerConnection *self);
void     nav_peer_connection_announce_candidates (NavPeerConnection *self);
gboolean nav_peer_connection_apply_remote_ice   (NavPeerConnection *self,
                                                 const NavSdpMedia *media,
                                                 gboolean           remote_offer,
                                                 GError           **error);
gboolean nav_peer_connection_add_remote_candidate (NavPeerConnection *self,
                                                   const gchar       *candidate,
                                                   GError           **error);
gboolean nav_peer_connection_ensure_dtls        (NavPeerConnection *self,
                                                 GError           **error);
void     nav_peer_connection_maybe_start_dtls   (NavPeerConnection *self);
gchar   *nav_peer_connection_random_ice_string  (guint              length);

/* nav-peer-connection-data.c: the data channels */
gboolean nav_peer_connection_ensure_sctp        (NavPeerConnection *self,
                                                 GError           **error);
void     nav_peer_connection_maybe_start_sctp   (NavPeerConnection *self);
void     nav_peer_connection_data_dispose       (NavPeerConnection *self);

/* nav-peer-connection-stats.c: the channels the statistics report */
void     nav_peer_connection_stats_add_channel  (NavPeerConnection *self,
                                                 NavDataChannel    *channel);

G_END_DECLS
