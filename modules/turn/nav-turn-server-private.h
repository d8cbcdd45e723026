/* nav-turn-server-private.h: what the files of the TURN server share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The server is split by concern, each file behind this header:
 *
 * - nav-turn-server.c          the object: properties, start and stop,
 *                              listeners, counters;
 * - nav-turn-server-worker.c   the workers (threads, or the server's
 *                              context): their rounds, sweeps and
 *                              housekeeping;
 * - nav-turn-server-dispatch.c one message from a client: STUN requests
 *                              and indications, ChannelData, responses;
 * - nav-turn-server-auth.c     credentials (users, TURN REST API) and
 *                              nonces bound to the client's 5-tuple;
 * - nav-turn-server-policy.c   which peers may be relayed to;
 * - nav-turn-server-alloc.c    allocations, permissions, channels:
 *                              Allocate, Refresh, CreatePermission,
 *                              ChannelBind, Send;
 * - nav-turn-server-relay.c    the UDP relay path, both directions, in
 *                              batches;
 * - nav-turn-server-tcp.c      TCP and TLS connections of clients and
 *                              peers, RFC 6062 TCP relays.
 *
 * Sockets, framing, TLS and the accept loops are the core's socket layer
 * (core/net).
 */
#pragma once

#include "nav-turn-server.h"
#include "nav-net.h"
#include "nav-net-tls.h"

#include <pthread.h>

G_BEGIN_DECLS

#define NAV_TURN_DEFAULT_LISTENING_IP "0.0.0.0"
/* RFC 8656 §4: the STUN ports */
#define NAV_TURN_DEFAULT_LISTENING_PORT 3478
#define NAV_TURN_DEFAULT_TLS_LISTENING_PORT 5349
/* coturn's defaults: the dynamic port range of RFC 6335 §6 */
#define NAV_TURN_DEFAULT_MIN_PORT 49152
#define NAV_TURN_DEFAULT_MAX_PORT 65535
/* RFC 8656 §3.2, §9, §12: lifetimes in seconds */
#define NAV_TURN_DEFAULT_ALLOCATE_LIFETIME 600
#define NAV_TURN_DEFAULT_MAX_ALLOCATE_LIFETIME 3600
#define NAV_TURN_DEFAULT_PERMISSION_LIFETIME 300
#define NAV_TURN_DEFAULT_CHANNEL_LIFETIME 600
#define NAV_TURN_DEFAULT_STALE_NONCE 600
#define NAV_TURN_DEFAULT_TCP_IDLE_TIMEOUT_MS 60000
#define NAV_TURN_DEFAULT_MAX_TCP_CONNECTIONS 4096
/* RFC 6062 §5.2, §5.3: 30 s to connect or to be bound */
#define NAV_TURN_TCP_RELAY_TIMEOUT (30 * G_USEC_PER_SEC)
#define NAV_TURN_RESERVATION_TIMEOUT (30 * G_USEC_PER_SEC)

#define NAV_TURN_MAX_THREADS 256
#define NAV_TURN_UDP_BATCH NAV_NET_SEND_BATCH
#define NAV_TURN_UDP_ROUNDS 16          /* batches per wake-up, for fairness */
#define NAV_TURN_UDP_RECV_SIZE 2048
#define NAV_TURN_HEADROOM 64            /* room for a ChannelData header in place */
#define NAV_TURN_OUT_SIZE (NAV_TURN_UDP_RECV_SIZE + 128)
#define NAV_TURN_CONN_WRITE_MAX (2 * 1024 * 1024)
#define NAV_TURN_PIPE_HIGH (256 * 1024)

#define NAV_TURN_COUNTERS(X)                                            \
  X (received,              "received")                                 \
  X (answered,              "answered")                                 \
  X (dropped,               "dropped")                                  \
  X (allocations_total,     "allocations-total")                        \
  X (allocations_expired,   "allocations-expired")                      \
  X (allocate_requests,     "allocate-requests")                        \
  X (refresh_requests,      "refresh-requests")                         \
  X (permission_requests,   "create-permission-requests")               \
  X (channel_bind_requests, "channel-bind-requests")                    \
  X (binding_requests,      "binding-requests")                         \
  X (rfc3489_requests,      "rfc3489-requests")                         \
  X (connect_requests,      "connect-requests")                         \
  X (connection_binds,      "connection-binds")                         \
  X (auth_md5,              "auth-md5")                                 \
  X (auth_sha256,           "auth-sha256")                              \
  X (auth_failures,         "auth-failures")                            \
  X (send_indications,      "send-indications")                         \
  X (data_indications,      "data-indications")                         \
  X (packets_to_peer,       "packets-to-peer")                          \
  X (bytes_to_peer,         "bytes-to-peer")                            \
  X (packets_from_peer,     "packets-from-peer")                        \
  X (bytes_from_peer,       "bytes-from-peer")                          \
  X (tcp_accepted,          "tcp-accepted")                             \
  X (tls_accepted,          "tls-accepted")                             \
  X (tcp_rejected,          "tcp-rejected")                             \
  X (tcp_idle_closed,       "tcp-idle-closed")                          \
  X (errors,                "errors")                                   \
  X (error_400,             "error-400")                                \
  X (error_401,             "error-401")                                \
  X (error_403,             "error-403")                                \
  X (error_420,             "error-420")                                \
  X (error_437,             "error-437")                                \
  X (error_438,             "error-438")                                \
  X (error_440,             "error-440")                                \
  X (error_441,             "error-441")                                \
  X (error_442,             "error-442")                                \
  X (error_443,             "error-443")                                \
  X (error_446,             "error-446")                                \
  X (error_447,             "error-447")                                \
  X (error_486,             "error-486")                                \
  X (error_508,             "error-508")                                \
  X (dropped_not_stun,      "dropped-not-stun")                         \
  X (dropped_malformed,     "dropped-malformed")                        \
  X (dropped_no_allocation, "dropped-no-allocation")                    \
  X (dropped_no_permission, "dropped-no-permission")                    \
  X (dropped_no_channel,    "dropped-no-channel")                       \
  X (dropped_bandwidth,     "dropped-bandwidth")                        \
  X (dropped_congested,     "dropped-congested")                        \
  X (dropped_send_failed,   "dropped-send-failed")                      \
  X (dropped_oversize,      "dropped-oversize")                         \
  X (dropped_dont_fragment, "dropped-dont-fragment")                    \
  X (dropped_unexpected,    "dropped-unexpected")

typedef struct
{
#define NAV_TURN_DECLARE_COUNTER(field, name) guint64 field;
  NAV_TURN_COUNTERS (NAV_TURN_DECLARE_COUNTER)
#undef NAV_TURN_DECLARE_COUNTER
  guint64 handed_over;          /* datagrams passed to the owning worker */
} Counters;

/* Counters belong to one worker, which alone writes them; get_stats()
 * reads them from another thread (nav_net_counter_add()). */
#define COUNT(worker, field) nav_net_counter_add (&(worker)->counters.field, 1)
#define COUNT_N(worker, field, n) nav_net_counter_add (&(worker)->counters.field, (n))

typedef enum { LISTENER_UDP, LISTENER_TCP, LISTENER_TLS } ListenerKind;

/* What an epoll event of a worker is about: the first member of what
 * its tag points to. */
typedef enum { WATCH_LISTENER = 1, WATCH_RELAY } WatchKind;

typedef struct _Listener Listener;
typedef struct _Conn Conn;
typedef struct _Allocation Allocation;
typedef struct _TcpRelay TcpRelay;
typedef struct _Worker Worker;

struct _Listener
{
  WatchKind watch;              /* first: the epoll tag */
  NavTurnServer *server;
  Worker *worker;               /* UDP */
  guint slot;                   /* UDP: its address's index, the same in every worker */
  ListenerKind kind;
  int fd;                       /* UDP */
  NavNetListener *tcp;          /* TCP and TLS */
  NavAddress local;
};

/* The 5-tuple of a UDP client: its address and the server address it
 * talks to (a listening address, by slot: each worker has a socket on
 * it, SO_REUSEPORT). */
typedef struct
{
  guint slot;
  NavAddress client;
} UdpKey;

typedef struct
{
  NavAddress ip;                /* port 0 */
  gint64 expires;
} Permission;

typedef struct
{
  guint16 number;
  NavAddress peer;
  gint64 expires;
} Channel;

/* One relayed transport address of an allocation.  A dual allocation
 * (RFC 8656 §7.2, ADDITIONAL-ADDRESS-FAMILY) has an IPv4 and an IPv6 one,
 * each with its own socket; permissions and channels are per peer
 * address, so per family. */
typedef struct
{
  WatchKind watch;              /* first: the epoll tag */
  Allocation *alloc;
  int fd;                       /* -1: none (never made, or deleted by Refresh) */
  NavAddress addr;
  gboolean df;                  /* DF is set on fd now (RFC 8656 §11.3) */
} RelaySocket;

#define RELAY_V4 0
#define RELAY_V6 1

struct _Allocation
{
  NavTurnServer *server;
  Worker *worker;               /* its owner: every packet of it is handled there */
  UdpKey key;                   /* UDP clients */
  Conn *conn;                   /* TCP and TLS clients: the control connection */
  gboolean dead;

  gchar *username;              /* NULL without authentication */
  guint8 auth_key[32];
  gsize auth_key_len;
  guint auth_algorithm;         /* NAV_STUN_PASSWORD_ALGORITHM_* of auth_key */
  gboolean auth_sha256;         /* the client signs with MESSAGE-INTEGRITY-SHA256 */
  guint8 txid[12];              /* of the Allocate, for retransmissions */

  RelaySocket relays[2];        /* [RELAY_V4], [RELAY_V6] */
  guint v6_error;               /* ADDRESS-ERROR-CODE of a dual Allocate, or 0 */
  gboolean dont_fragment;       /* the Allocate had DONT-FRAGMENT: DF on ChannelData */
  gboolean tcp_relay;           /* RFC 6062 */
  NavNetListener *relay_listener; /* TCP relays: peers connect here */
  gint64 expires;
  guint32 lifetime;

  GHashTable *permissions;      /* NavAddress (port 0) → Permission */
  GHashTable *channels;         /* number → Channel */
  GHashTable *channels_by_peer; /* NavAddress → Channel */
  GList *tcp_relays;            /* of TcpRelay */

  /* What the last datagram of each direction looked up, so that the
   * next of the same flow looks up nothing (its allocation was the one
   * hash lookup): the channel a client last sent on with its peer's
   * permission, the peer last heard from with its permission and
   * channel (NULL: none, Data indications).  Only what exists is cached,
   * and nav_turn_flow_cache_clear() empties it whenever a permission or
   * channel is added or removed; expiry is checked on each datagram. */
  Channel *hot_channel;
  Permission *hot_channel_perm;
  NavAddress hot_peer;
  Permission *hot_peer_perm;    /* NULL: hot_peer unset */
  Channel *hot_peer_channel;

  /* bandwidth: a token bucket of max-bps bytes a second */
  gint64 bucket_time;
  gint64 tokens;
  guint32 indication_serial;
};

typedef enum { CONN_CLIENT, CONN_PEER } ConnKind;

/* A TCP or TLS connection: a client's, or a peer's to a TCP relay.  They
 * live on the server's context, with the control worker. */
struct _Conn
{
  NavTurnServer *server;
  ConnKind kind;
  gboolean tls;
  gboolean closed;
  gboolean piped;               /* RFC 6062 data connection: raw bytes */
  NavNetStream *stream;
  NavAddress remote;
  NavAddress local;
  Allocation *alloc;            /* control connection of an allocation */
  TcpRelay *relay;              /* data and peer connections */
  Conn *partner;
};

struct _TcpRelay
{
  NavTurnServer *server;
  guint32 id;
  Allocation *alloc;
  NavAddress peer;
  Conn *peer_conn;
  Conn *data_conn;
  NavNetStream *connecting;     /* the connect to the peer, under way */
  gboolean connect_pending;     /* a Connect request waits for its answer */
  guint8 connect_txid[12];
  gint64 deadline;
};

typedef struct
{
  GSocketFamily family;
  guint8 lo[16];
  guint8 hi[16];
} NavTurnIpRange;

/* Which peers may be relayed to (RFC 8656 §21.4, RFC 6890). */
typedef struct
{
  GArray *denied;               /* of NavTurnIpRange */
  GArray *allowed;              /* of NavTurnIpRange */
  gboolean allow_loopback;
} NavTurnPeerPolicy;

typedef struct
{
  guint64 token;
  int fd;
  NavAddress addr;
  gint64 expires;
} Reservation;

/* The buffers of one worker's UDP paths: one callback at a time uses
 * them. */
typedef struct
{
  /* to UDP clients through one listener: what peers sent in one round of
   * the worker, each frame copied in tx_buf (nav_turn_worker_flush()) */
  NavNetSendBatch tx;
  guint8 tx_buf[NAV_TURN_UDP_BATCH][NAV_TURN_OUT_SIZE];
  int tx_fd;
  /* one STUN response */
  guint8 out[NAV_TURN_OUT_SIZE];
  /* datagrams to peers, waiting to leave in one sendmmsg(2): consecutive
   * ones through the same relay socket with the same DF; their payloads
   * stay where they were read until flushed (peer_flush()) */
  NavNetSendBatch pq;
  RelaySocket *pq_rs;
  gboolean pq_df;
  /* the clock, read once per drain of a listener or relay socket
   * (permissions and channels last minutes: one reading serves every
   * datagram of the drain) */
  gint64 relay_now;
} Batch;

/* A worker: a set of UDP sockets served by one thread (or, without
 * threads, by the server's context) and the allocations it owns.  An
 * allocation belongs to the worker that received its Allocate; its relay
 * sockets are watched there, and a datagram of its 5-tuple that another
 * worker receives is handed over (nav_turn_hand_over()).  Nothing a
 * worker owns is touched by another thread while it runs. */
struct _Worker
{
  NavTurnServer *server;
  guint index;                  /* in server->workers */
  NavNetWorker *loop;
  GPtrArray *listeners;         /* UDP, by slot */
  GHashTable *udp_allocations;  /* UdpKey → Allocation */
  GHashTable *allocations;      /* set of its live Allocations */
  GPtrArray *dead_allocations;  /* freed at the end of the round */
  /* one reader for the listeners and the relays, as one set of buffers
   * stays in the caches: each batch is flushed (batch_done) before the
   * next read */
  NavNetUdpReader *reader;
  Batch *batch;
  gint64 next_sweep;
  Counters counters;
};

struct _NavTurnServer
{
  GObject parent_instance;

  GMainContext *context;
  gboolean running;

  /* configuration */
  gchar *listening_ip;
  gchar **listening_ips;
  guint listening_port;
  guint tls_listening_port;
  gchar *relay_ip;
  gchar *external_ip;
  gchar *realm;
  guint min_port;
  guint max_port;
  gboolean lt_cred_mech;
  gboolean use_auth_secret;
  gchar *static_auth_secret;
  gboolean no_auth;
  gchar **users;
  gchar *userdb;
  guint user_quota;
  guint total_quota;
  guint64 max_bps;
  guint default_allocate_lifetime;
  guint max_allocate_lifetime;
  guint permission_lifetime;
  guint channel_lifetime;
  guint stale_nonce;
  gboolean no_udp;
  gboolean no_tcp;
  gboolean no_tls;
  gchar *cert_file;
  gchar *pkey_file;
  gboolean allow_loopback_peers;
  gchar **denied_peer_ips;
  gchar **allowed_peer_ips;
  gchar *software;
  guint tcp_idle_timeout_ms;
  guint max_tcp_connections;
  NavNetTlsLimits tls_limits;
  guint threads;
  gchar *steering;

  /* Read-only while running, shared by the workers */
  NavNetTlsServer *tls;
  NavAddress relay4, relay6;
  gboolean have_relay4, have_relay6;
  NavTurnPeerPolicy policy;
  GHashTable *user_keys;        /* username → GBytes (MD5 long-term key) */
  GHashTable *user_passwords;   /* username → password, for SHA-256 */
  guint8 nonce_secret[32];
  guint bound_port;
  guint bound_tls_port;
  guint effective_max_tcp;      /* max_tcp_connections, within the fd limit */
  NavNetSteering steer;

  /* The workers: [0] is the control worker, on the server's context: it
   * holds the TCP and TLS connections and their allocations, and the UDP
   * sockets too when there are no threads; [1..threads] are the threads,
   * each with a UDP socket on every listening address. */
  Worker **workers;
  guint n_workers;
  guint n_udp_workers;          /* workers with UDP sockets */
  Counters retired;             /* of the workers of earlier runs */

  /* The books the workers share, under @lock; only an Allocate, the end
   * of an allocation and a datagram no worker knows take it. */
  pthread_mutex_t lock;
  GHashTable *user_counts;      /* username → count */
  guint n_allocations;
  GHashTable *owners;           /* UdpKey → Worker, with several UDP workers */
  GHashTable *reservations;     /* token → Reservation */

  /* The control worker's (the server's context only) */
  GPtrArray *listeners;         /* TCP and TLS */
  GHashTable *conns;            /* set of live Conn */
  guint n_client_conns;         /* of kind CONN_CLIENT among them */
  gboolean trim_pending;        /* connections came: give memory back once gone */
  GHashTable *tcp_relays;       /* id → TcpRelay */
  guint32 next_relay_id;
  GPtrArray *dead_conns;
  GSource *reap_source;
};

#define CONTROL(server) ((server)->workers[0])

/* One message from a client, and what answering it needs. */
typedef struct
{
  NavTurnServer *self;
  Worker *w;                    /* the worker handling it */
  Listener *via;                /* UDP */
  Conn *conn;                   /* TCP, TLS */
  const NavAddress *from;
  const NavAddress *local;
  Allocation *alloc;            /* of the 5-tuple, or NULL */
  const guint8 *req;
  gsize req_len;
  NavStunMessage *msg;
  guint method;
  gboolean fingerprint;
  /* after authentication */
  gboolean authenticated;
  gchar *username;
  guint8 key[32];
  gsize key_len;
  guint algorithm;              /* of key */
  gboolean integrity_sha256;    /* the request had MESSAGE-INTEGRITY-SHA256 */
  guint8 *out;
  gsize out_size;
} Request;

static inline guint16
nav_turn_rd16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static inline gint64
nav_turn_now (void)
{
  return g_get_monotonic_time ();
}

/* nav-turn-server-policy.c */
gboolean nav_turn_parse_ranges        (gchar                   **texts,
                                       GArray                  **out,
                                       GError                  **error);
gboolean nav_turn_peer_policy_allows  (const NavTurnPeerPolicy  *policy,
                                       const NavAddress         *peer);
gboolean nav_turn_embedded_ipv4       (const NavAddress         *address,
                                       NavAddress               *ipv4,
                                       gboolean                 *mapped);

/* nav-turn-server-auth.c */
gboolean nav_turn_load_users          (NavTurnServer  *self,
                                       GError        **error);
gboolean nav_turn_authenticate        (Request        *r,
                                       gsize          *resp);
void     nav_turn_make_nonce          (Request        *r,
                                       gchar          *out);
#define NAV_TURN_NONCE_LENGTH (13 + 32)
extern const guint16 nav_turn_offered_algorithms[2];

/* nav-turn-server-dispatch.c */
NavStunMessageBuilder *nav_turn_response_begin (Request       *r,
                                                NavStunClass   klass);
gsize    nav_turn_response_finish     (Request               *r,
                                       NavStunMessageBuilder *b,
                                       gboolean               sign);
gsize    nav_turn_respond_error       (Request        *r,
                                       guint           code);
void     nav_turn_count_error         (Worker         *w,
                                       guint           code);
gsize    nav_turn_handle_stun         (Request        *r);
void     nav_turn_request_clear       (Request        *r);
void     nav_turn_handle_channel_data (Worker         *w,
                                       gint64          now,
                                       Allocation     *alloc,
                                       const guint8   *data,
                                       gsize           len);

/* nav-turn-server-alloc.c */
gsize    nav_turn_handle_allocate     (Request        *r);
gsize    nav_turn_handle_refresh      (Request        *r);
gsize    nav_turn_handle_create_permission (Request   *r);
gsize    nav_turn_handle_channel_bind (Request        *r);
void     nav_turn_handle_send         (Request        *r);
guint    nav_turn_check_peer          (Request        *r,
                                       const NavAddress *peer);
void     nav_turn_allocation_destroy  (Allocation     *alloc,
                                       const gchar    *why);
void     nav_turn_allocation_free     (Allocation     *alloc);
Permission *nav_turn_permission_lookup (Allocation    *alloc,
                                        const NavAddress *peer,
                                        gint64         now);
void     nav_turn_permission_install  (Allocation     *alloc,
                                       const NavAddress *peer,
                                       gint64         now);
RelaySocket *nav_turn_first_relay     (Allocation     *alloc);
int      nav_turn_bind_socket         (const NavAddress *addr,
                                       int              type,
                                       guint            port,
                                       gboolean         reuse_port);
guint    nav_turn_udp_key_hash        (gconstpointer   key);
gboolean nav_turn_udp_key_equal       (gconstpointer   a,
                                       gconstpointer   b);
void     nav_turn_sweep_allocation    (Allocation     *alloc,
                                       gint64          now);
Worker  *nav_turn_owner_lookup        (NavTurnServer  *self,
                                       const UdpKey   *key);
guint    nav_turn_allocation_count    (NavTurnServer  *self);

/* nav-turn-server-relay.c */
void     nav_turn_peer_flush          (Worker         *w);
void     nav_turn_worker_flush        (Worker         *w);

static inline void
nav_turn_flow_cache_clear (Allocation *alloc)
{
  alloc->hot_channel = NULL;
  alloc->hot_channel_perm = NULL;
  alloc->hot_peer_perm = NULL;
  alloc->hot_peer_channel = NULL;
}
void     nav_turn_relay_to_peer       (Allocation     *alloc,
                                       const NavAddress *peer,
                                       const guint8   *data,
                                       gsize           len,
                                       gint64          now,
                                       gboolean        dont_fragment);
void     nav_turn_worker_ready        (gpointer        tag,
                                       guint32         events,
                                       gpointer        user_data);
void     nav_turn_hand_over           (Worker         *owner,
                                       guint           slot,
                                       const NavNetDatagram *datagram);
void     nav_turn_relay_socket_close  (Worker         *w,
                                       Allocation     *alloc,
                                       RelaySocket    *rs);
void     nav_turn_relay_watch         (Worker         *w,
                                       RelaySocket    *rs);
RelaySocket *nav_turn_relay_for_peer  (Allocation     *alloc,
                                       const NavAddress *peer);

/* nav-turn-server-tcp.c */
void     nav_turn_conn_accepted       (NavNetListener   *listener,
                                       int               fd,
                                       const NavAddress *remote,
                                       gpointer          user_data);
void     nav_turn_tls_handshake_done  (NavNetTlsServer      *tls,
                                       int                   fd,
                                       const NavNetStreamIo *io_funcs,
                                       gpointer              io,
                                       const NavAddress     *remote,
                                       gpointer              user_data);
void     nav_turn_conn_close          (Conn           *conn);
void     nav_turn_conn_free           (Conn           *conn);
void     nav_turn_conn_write          (Conn           *conn,
                                       const guint8   *data,
                                       gsize           len);
gboolean nav_turn_conn_queue          (Conn           *conn,
                                       const guint8   *data,
                                       gsize           len);
void     nav_turn_conn_flush          (Conn           *conn);
gsize    nav_turn_handle_connect      (Request        *r);
gsize    nav_turn_handle_connection_bind (Request     *r);
void     nav_turn_tcp_relay_destroy   (TcpRelay       *relay);
void     nav_turn_tcp_relay_answer_connect (TcpRelay  *relay,
                                            guint      code);
void     nav_turn_tcp_relay_listen    (Allocation     *alloc,
                                       int             fd);

/* nav-turn-server.c */
void     nav_turn_listener_free       (gpointer        data);

/* nav-turn-server-worker.c */
void     nav_turn_schedule_reap       (NavTurnServer  *self);
Worker  *nav_turn_worker_new          (NavTurnServer  *self,
                                       guint           index,
                                       GError        **error);
void     nav_turn_worker_destroy_allocations (Worker  *w);
void     nav_turn_worker_free         (Worker         *w);
Listener *nav_turn_worker_listener    (Worker         *w,
                                       guint           slot);

G_END_DECLS
