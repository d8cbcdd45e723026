/* nav-agent-private.h: what the parts of NavAgent share: its structures,
 * its lock and signal queue, its streams and components
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "netavanue/netavanue.h"
#include "nav-datagram-channel-private.h"

G_BEGIN_DECLS

typedef struct {
  gchar *server;
  guint port;
  gchar *username;
  gchar *password;
  NavRelayType type;
} RelayInfo;

typedef struct _AgentStream AgentStream;
typedef struct _AgentComponent AgentComponent;

/* The data nav_agent_recv_messages() has not taken yet (nav-agent-io.c). */
typedef struct {
  guint8 *data;                 /* allocated at first use */
  gsize head;
  gsize tail;
  gsize used;
  guint count;
} AgentRecvRing;

/* A source of data a component accepts: a remote address on one of its
 * transports (compared, never dereferenced). */
typedef struct {
  NavTransport *transport;
  NavAddress addr;
} AgentSource;

struct _AgentComponent {
  AgentStream *stream;
  guint id;
  NavComponentState state;
  GPtrArray *local;             /* NavCandidate */
  GPtrArray *remote;            /* NavCandidate */
  /* UDP host and srflx candidates made with ice-udp off, only to learn
   * the mapped address of the TCP ones: never offered nor checked. */
  GPtrArray *discovery;         /* NavCandidate */
  NavCandidate *selected_local;
  NavCandidate *selected_remote;
  NavAgentRecvFunc recv_func;
  gpointer recv_data;
  GMainContext *recv_context;
  GPtrArray *relays;            /* RelayInfo */
  guint min_port;
  guint max_port;
  GPtrArray *gatherers;         /* NavGatherer, this component's */
  NavGatherer *host_gatherer;   /* in gatherers: the first stage's */
  guint pending_gatherers;
  /* Data kept for nav_agent_recv_messages() while no receive function
   * and no new-data handler takes it, oldest first; the blocking
   * receivers are woken once per batch of a batched transport. */
  AgentRecvRing recv_ring;
  gboolean wake_pending;
  /* Data for a receive function of another main context, handed over
   * once per invocation there (nav-agent-io.c). */
  GByteArray *hop;
  GByteArray *hop_spare;
  gboolean hop_scheduled;
  /* The data path: a datagram channel bound to the selected pair
   * (nav-agent-io.c), what nav_agent_get_channel() gives. */
  NavDatagramChannel *channel;
  /* The selected pair's UDP transport while it has a socket connected to
   * the pair's remote (nav-agent-io.c, issue 15), and that remote. */
  NavTransport *connected;
  NavAddress connected_peer;
  /* RFC 8445 §11: the sources data is accepted from (AgentSource),
   * as libnice's valid candidates; any source after
   * nav_agent_set_selected_remote_candidate(), as libnice's fallback. */
  GArray *sources;
  gboolean any_source;
  guint64 n_dropped;
  /* What was accepted from the peer (nav_agent_get_stats()); what was
   * sent is the channel's count. */
  guint64 packets_received;
  guint64 bytes_received;
  /* Reliable agents only: the pseudo-TCP connection over the selected
   * pair (nav-agent-reliable.c). */
  struct _ReliableComponent *reliable;
};

struct _AgentStream {
  guint id;
  guint n_components;
  gchar *name;
  gchar *local_ufrag;
  gchar *local_pwd;
  gchar *remote_ufrag;
  gchar *remote_pwd;
  AgentComponent *components;   /* n_components */
  gboolean gathering;
  gboolean gathering_done;
  gboolean checks_started;
  gboolean initial_binding_seen;
  gboolean peer_gathering_done;
  gint tos;                     /* -1 until nav_agent_set_stream_tos() */
};

/* The receive function's data on a transport of a component's.  The
 * component unhooks its transports before it goes, under the lock, so
 * the pointer is valid whenever the lock is held in the receive
 * function. */
typedef struct {
  NavAgent *agent;              /* weak: the agent unhooks on dispose */
  AgentComponent *component;
  guint stream_id;
  guint component_id;
  gboolean batched;             /* the transport calls nav_transport_batch_done() */
} Hook;

typedef enum {
  SIG_COMPONENT_STATE_CHANGED,
  SIG_CANDIDATE_GATHERING_DONE,
  SIG_NEW_SELECTED_PAIR,
  SIG_NEW_SELECTED_PAIR_FULL,
  SIG_NEW_CANDIDATE,
  SIG_NEW_CANDIDATE_FULL,
  SIG_NEW_REMOTE_CANDIDATE,
  SIG_NEW_REMOTE_CANDIDATE_FULL,
  SIG_INITIAL_BINDING_REQUEST_RECEIVED,
  SIG_RELIABLE_TRANSPORT_WRITABLE,
  SIG_STREAMS_REMOVED,
  SIG_NEW_DATA,
  SIG_GATHERING_ERROR,
  SIG_CHANNEL_CHANGED,          /* no GObject signal: a channel's own */
  N_SIGNALS
} AgentSignal;


typedef struct {
  AgentSignal signal;
  guint stream_id;
  guint component_id;
  guint state;
  NavCandidate *local;
  NavCandidate *remote;
  GObject *object;              /* SIG_CHANNEL_CHANGED: the channel */
  GError *error;                /* SIG_GATHERING_ERROR */
} PendingSignal;

struct _NavAgent
{
  GObject parent_instance;

  GRecMutex lock;
  GMainContext *context;
  NavCompatibility compatibility;
  NavChecker *checker;
  gchar *checker_error;
  gboolean checker_config_failed; /* warned once */
  GHashTable *streams;          /* id → AgentStream */
  guint next_stream_id;
  GArray *local_addresses;      /* NavAddress */
  GHashTable *hooked;           /* NavTransport → Hook (owned by the transport) */
  GPtrArray *pending;           /* PendingSignal */
  guint lock_depth;             /* signals wait for the outermost unlock */
  /* Blocking receivers wait on recv_cond for recv_generation to move
   * (data queued, a stream removed); taken without the agent lock. */
  GMutex recv_mutex;
  GCond recv_cond;
  guint64 recv_generation;
  guint recv_waiters;

  /* properties */
  gboolean controlling_mode;
  gchar *stun_server;
  guint stun_server_port;
  gboolean ice_udp;
  gboolean ice_tcp;
  gboolean ice_tcp_so;
  gboolean force_relay;
  gboolean ice_trickle;
  NavNominationMode nomination_mode;
  gboolean consent_freshness;
  guint stun_pacing_timer;
  guint max_connectivity_checks;
  guint stun_max_retransmissions;
  guint stun_initial_timeout;
  guint stun_reliable_timeout;
  gboolean full_mode;
  gboolean upnp;
  guint upnp_timeout;
  gboolean reliable;
  gboolean bytestream_tcp;
  gboolean keepalive_conncheck;
  gboolean support_renomination;
  guint idle_timeout;
  guint proxy_type;
  gchar *proxy_ip;
  guint proxy_port;
  gchar *proxy_username;
  gchar *proxy_password;
  guint consent_interval;
  guint consent_timeout;
  NavAgentOption options;
  gchar *software;              /* nav_agent_set_software(), version appended */
  GHashTable *proxy_extra_headers;
  guint64 noop_warned;          /* 1 << PROP_…: the properties warned about */
  gpointer strategy;            /* nav-agent-strategy.c's */
};

enum {
  PROP_0,
  PROP_COMPATIBILITY,
  PROP_MAIN_CONTEXT,
  PROP_CONTROLLING_MODE,
  PROP_STUN_SERVER,
  PROP_STUN_SERVER_PORT,
  PROP_ICE_UDP,
  PROP_ICE_TCP,
  PROP_ICE_TCP_SIMULTANEOUS_OPEN,
  PROP_FORCE_RELAY,
  PROP_ICE_TRICKLE,
  PROP_NOMINATION_MODE,
  PROP_CONSENT_FRESHNESS,
  PROP_STUN_PACING_TIMER,
  PROP_MAX_CONNECTIVITY_CHECKS,
  PROP_STUN_MAX_RETRANSMISSIONS,
  PROP_STUN_INITIAL_TIMEOUT,
  PROP_STUN_RELIABLE_TIMEOUT,
  PROP_FULL_MODE,
  PROP_UPNP,
  PROP_UPNP_TIMEOUT,
  PROP_RELIABLE,
  PROP_BYTESTREAM_TCP,
  PROP_KEEPALIVE_CONNCHECK,
  PROP_SUPPORT_RENOMINATION,
  PROP_IDLE_TIMEOUT,
  PROP_PROXY_TYPE,
  PROP_PROXY_IP,
  PROP_PROXY_PORT,
  PROP_PROXY_USERNAME,
  PROP_PROXY_PASSWORD,
  PROP_CONSENT_INTERVAL,
  PROP_CONSENT_TIMEOUT,
  PROP_OPTIONS,
  PROP_PROXY_EXTRA_HEADERS,
  N_PROPS
};


extern guint nav_agent_signals[N_SIGNALS];
extern GParamSpec *nav_agent_properties[N_PROPS];

/* nav-agent.c: the lock, and the signals queued under it */
void            nav_agent_lock                 (NavAgent           *agent);
void            nav_agent_unlock_and_emit      (NavAgent           *agent);
void            nav_agent_queue_signal         (NavAgent           *agent,
                                                AgentSignal         signal,
                                                guint               stream_id,
                                                guint               component_id,
                                                guint               state,
                                                const NavCandidate *local,
                                                const NavCandidate *remote);

void            nav_agent_queue_gathering_error (NavAgent          *agent,
                                                 guint              stream_id,
                                                 guint              component_id,
                                                 const GError      *error);
void            nav_agent_queue_channel_changes (NavAgent          *agent,
                                                 AgentComponent    *component);

/* nav-agent-stream.c: streams and components, called with the lock held */
AgentStream    *nav_agent_lookup_stream        (NavAgent           *agent,
                                                guint               stream_id);
AgentComponent *nav_agent_lookup_component     (NavAgent           *agent,
                                                guint               stream_id,
                                                guint               component_id);
void            nav_agent_stream_free          (NavAgent           *agent,
                                                AgentStream        *stream);
void            nav_agent_set_component_state  (NavAgent           *agent,
                                                AgentComponent     *component,
                                                NavComponentState   state);
gchar          *nav_agent_random_ice_string    (guint               length);
gboolean        nav_agent_has_candidate        (GPtrArray          *candidates,
                                                const NavCandidate *candidate);
gboolean        nav_agent_add_remote_candidate (NavAgent           *agent,
                                                AgentComponent     *component,
                                                const NavCandidate *candidate);

/* nav-agent-discovery.c, with the lock held */
void            nav_agent_gather_new_addresses (NavAgent           *agent,
                                                AgentStream        *stream);

G_END_DECLS
