/* nav-turn-server.c: the TURN server (RFC 8656, RFC 6062, RFC 6156)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nav-turn-server.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <glib/gi18n-lib.h>
#include <glib-unix.h>

/**
 * NavTurnServer:
 *
 * The TURN server (RFC 8656, with RFC 6062 TCP allocations and RFC 6156
 * IPv6 relays) of the `turn` module: a [iface@Nav.Server] registered as
 * `turn` at the `nav-server` extension point.  Its properties are coturn's
 * options of the same name and meaning, so that a coturn configuration
 * translates line by line.
 *
 * Clients reach it over UDP, TCP and TLS, on IPv4 and IPv6.  Every request
 * but Binding is authenticated with the long-term credential mechanism
 * (RFC 8489 §9.2), from a user list or time-limited TURN REST API
 * credentials; nothing is ever relayed for a client that has not
 * authenticated.  Peers in loopback, private and link-local ranges are
 * refused unless allowed.
 *
 * An Allocate with ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §7.2) gets an
 * IPv4 and an IPv6 relayed address, each with its own socket; a Refresh
 * with REQUESTED-ADDRESS-FAMILY and lifetime 0 deletes one of them.  A
 * Send indication with DONT-FRAGMENT, or ChannelData of an allocation
 * made with it, leaves with DF set (RFC 8656 §11.3): too big for the
 * path, it is dropped and counted (`dropped-dont-fragment`) instead of
 * fragmented.
 *
 * The relay path is built for rate: datagrams are read in batches
 * (recvmmsg(2)) into buffers owned by the server, allocations, channels
 * and permissions are found in hash tables, ChannelData is framed in place
 * in front of the received payload, and datagrams leave in batches
 * (sendmmsg(2)): to one UDP client, and to the peers of one relayed
 * address.  Plain TCP connections are read and written with recv(2) and
 * send(2), everything relayed to a client in one wake-up in one write.
 * Everything the server does not relay is counted, see
 * [method@Nav.Server.get_stats].
 *
 * Since: 1.0
 */

#define DEFAULT_LISTENING_IP "0.0.0.0"
/* RFC 8656 §4: the STUN ports */
#define DEFAULT_LISTENING_PORT 3478
#define DEFAULT_TLS_LISTENING_PORT 5349
/* coturn's defaults: the dynamic port range of RFC 6335 §6 */
#define DEFAULT_MIN_PORT 49152
#define DEFAULT_MAX_PORT 65535
/* RFC 8656 §3.2, §9, §12: lifetimes in seconds */
#define DEFAULT_ALLOCATE_LIFETIME 600
#define DEFAULT_MAX_ALLOCATE_LIFETIME 3600
#define DEFAULT_PERMISSION_LIFETIME 300
#define DEFAULT_CHANNEL_LIFETIME 600
#define DEFAULT_STALE_NONCE 600
/* RFC 6062 §5.2, §5.3: 30 s to connect or to be bound */
#define TCP_RELAY_TIMEOUT (30 * G_USEC_PER_SEC)
#define RESERVATION_TIMEOUT (30 * G_USEC_PER_SEC)
#define IDLE_CONN_TIMEOUT (60 * G_USEC_PER_SEC)

#define UDP_BATCH 64
#define UDP_ROUNDS 16            /* batches per wake-up, for fairness */
#define UDP_RECV_SIZE 2048
#define HEADROOM 64              /* room for a ChannelData header in place */
#define OUT_SIZE (UDP_RECV_SIZE + 128)
#define CONN_READ_MAX (NAV_STUN_MAX_MESSAGE_LENGTH + 8)
#define CONN_WRITE_MAX (2 * 1024 * 1024)
#define PIPE_HIGH (256 * 1024)

#define COUNTERS(X)                                                     \
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
  X (send_indications,      "send-indications")                         \
  X (data_indications,      "data-indications")                         \
  X (packets_to_peer,       "packets-to-peer")                          \
  X (bytes_to_peer,         "bytes-to-peer")                            \
  X (packets_from_peer,     "packets-from-peer")                        \
  X (bytes_from_peer,       "bytes-from-peer")                          \
  X (tcp_accepted,          "tcp-accepted")                             \
  X (tls_accepted,          "tls-accepted")                             \
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
#define DECLARE_COUNTER(field, name) guint64 field;
  COUNTERS (DECLARE_COUNTER)
#undef DECLARE_COUNTER
} Counters;

typedef enum { LISTENER_UDP, LISTENER_TCP, LISTENER_TLS } ListenerKind;

typedef struct _Listener Listener;
typedef struct _Conn Conn;
typedef struct _Allocation Allocation;
typedef struct _TcpRelay TcpRelay;

struct _Listener
{
  NavTurnServer *server;
  ListenerKind kind;
  int fd;
  NavAddress local;
  GSource *source;
};

/* The 5-tuple of a UDP client: its address and the listener it talks to. */
typedef struct
{
  Listener *via;
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
  GSource *relay_source;        /* TCP relays: the listening socket */
  gint64 expires;
  guint32 lifetime;

  GHashTable *permissions;      /* NavAddress (port 0) → Permission */
  GHashTable *channels;         /* number → Channel */
  GHashTable *channels_by_peer; /* NavAddress → Channel */
  GList *tcp_relays;            /* of TcpRelay */

  /* bandwidth: a token bucket of max-bps bytes a second */
  gint64 bucket_time;
  gint64 tokens;
  guint32 indication_serial;
};

typedef enum { CONN_CLIENT, CONN_PEER } ConnKind;

struct _Conn
{
  NavTurnServer *server;
  ConnKind kind;
  gboolean tls;
  gboolean closed;
  gboolean piped;               /* RFC 6062 data connection: raw bytes */
  GSocket *socket;
  int fd;                       /* of socket: plain TCP is read and written directly */
  GIOStream *stream;
  GPollableInputStream *in;
  GPollableOutputStream *out;
  GSource *in_source;
  GSource *out_source;
  gboolean read_paused;
  guint8 *rbuf;
  gsize rlen;
  gsize rcap;
  GByteArray *wbuf;
  gsize woff;
  gsize tls_retry;              /* TLS: size of the write that would block */
  NavAddress remote;
  NavAddress local;
  Allocation *alloc;            /* control connection of an allocation */
  TcpRelay *relay;              /* data and peer connections */
  Conn *partner;
  gint64 last_activity;
  GCancellable *handshake;      /* TLS: the handshake under way */
};

struct _TcpRelay
{
  NavTurnServer *server;
  guint32 id;
  Allocation *alloc;
  NavAddress peer;
  Conn *peer_conn;
  Conn *data_conn;
  int connect_fd;
  GSource *connect_source;
  gboolean connect_pending;     /* a Connect request waits for its answer */
  guint8 connect_txid[12];
  gint64 deadline;
};

typedef struct
{
  GSocketFamily family;
  guint8 lo[16];
  guint8 hi[16];
} IpRange;

typedef struct
{
  guint64 token;
  int fd;
  NavAddress addr;
  gint64 expires;
} Reservation;

typedef struct
{
  struct mmsghdr rx_msgs[UDP_BATCH];
  struct iovec rx_iov[UDP_BATCH];
  struct sockaddr_storage rx_addr[UDP_BATCH];
  guint8 rx_buf[UDP_BATCH][HEADROOM + UDP_RECV_SIZE];
  struct mmsghdr tx_msgs[UDP_BATCH];
  struct iovec tx_iov[UDP_BATCH];
  struct sockaddr_storage tx_addr[UDP_BATCH];
  guint8 tx_buf[UDP_BATCH][OUT_SIZE];
  guint8 out[OUT_SIZE];
  /* datagrams to peers, waiting to leave in one sendmmsg(2): consecutive
   * ones through the same relay socket with the same DF; their payloads
   * stay where they were read until flushed (peer_flush()) */
  struct mmsghdr pq_msgs[UDP_BATCH];
  struct iovec pq_iov[UDP_BATCH];
  struct sockaddr_storage pq_addr[UDP_BATCH];
  RelaySocket *pq_rs;
  gboolean pq_df;
  guint pq_n;
} Batch;

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

  /* state */
  GTlsCertificate *certificate;
  NavAddress relay4, relay6;
  gboolean have_relay4, have_relay6;
  GArray *denied;               /* of IpRange */
  GArray *allowed;              /* of IpRange */
  GHashTable *user_keys;        /* username → GBytes (MD5 long-term key) */
  GHashTable *user_passwords;   /* username → password, for SHA-256 */
  guint8 nonce_secret[16];
  guint bound_port;
  guint bound_tls_port;
  GPtrArray *listeners;
  GHashTable *udp_allocations;  /* UdpKey → Allocation */
  GHashTable *allocations;      /* set of every live Allocation */
  GHashTable *user_counts;      /* username → count */
  GHashTable *conns;            /* set of live Conn */
  GHashTable *tcp_relays;       /* id → TcpRelay */
  GHashTable *reservations;     /* token → Reservation */
  guint32 next_relay_id;
  GPtrArray *dead_allocations;
  GPtrArray *dead_conns;
  GSource *reap_source;
  GSource *sweep_source;
  int epoll_fd;                 /* every UDP relay socket */
  GSource *epoll_source;
  Counters counters;
  Batch *batch;
};

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_RUNNING,
  PROP_LISTENING_IP,
  PROP_LISTENING_IPS,
  PROP_LISTENING_PORT,
  PROP_TLS_LISTENING_PORT,
  PROP_RELAY_IP,
  PROP_EXTERNAL_IP,
  PROP_REALM,
  PROP_MIN_PORT,
  PROP_MAX_PORT,
  PROP_LT_CRED_MECH,
  PROP_USE_AUTH_SECRET,
  PROP_STATIC_AUTH_SECRET,
  PROP_NO_AUTH,
  PROP_USERS,
  PROP_USERDB,
  PROP_USER_QUOTA,
  PROP_TOTAL_QUOTA,
  PROP_MAX_BPS,
  PROP_DEFAULT_ALLOCATE_LIFETIME,
  PROP_MAX_ALLOCATE_LIFETIME,
  PROP_PERMISSION_LIFETIME,
  PROP_CHANNEL_LIFETIME,
  PROP_STALE_NONCE,
  PROP_NO_UDP,
  PROP_NO_TCP,
  PROP_NO_TLS,
  PROP_CERT,
  PROP_PKEY,
  PROP_ALLOW_LOOPBACK_PEERS,
  PROP_DENIED_PEER_IP,
  PROP_ALLOWED_PEER_IP,
  PROP_SOFTWARE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void nav_turn_server_server_init (NavServerInterface *iface);

/* A static type: the same code serves the module and tools/nav-server. */
G_DEFINE_TYPE_WITH_CODE (NavTurnServer, nav_turn_server, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (NAV_TYPE_SERVER,
                                                nav_turn_server_server_init))

/**
 * nav_turn_server_register: (skip)
 * @module: the `turn` module
 *
 * Registers the type for the module entry point.
 */
void
nav_turn_server_register (GTypeModule *module)
{
  g_type_ensure (NAV_TYPE_TURN_SERVER);
}

static void conn_close (Conn *conn);
static void conn_write (Conn *conn, const guint8 *data, gsize len);
static gboolean conn_queue (Conn *conn, const guint8 *data, gsize len);
static void conn_flush (Conn *conn);
static void allocation_destroy (Allocation *alloc, const gchar *why);
static void tcp_relay_destroy (TcpRelay *relay);
static void conn_resume_reading (Conn *conn);

static inline guint16
rd16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static inline gint64
now_us (void)
{
  return g_get_monotonic_time ();
}

/* ---------------------------------------------------------------- */
/* Peer address policy (coturn's denied-peer-ip, allowed-peer-ip,     */
/* allow-loopback-peers)                                              */

static gboolean
ip_bytes (const NavAddress *addr,
          guint8           *out)
{
  if (nav_address_get_family (addr) == G_SOCKET_FAMILY_IPV4)
    {
      guint32 v = nav_address_get_ipv4 (addr);

      out[0] = v >> 24; out[1] = v >> 16; out[2] = v >> 8; out[3] = v;
      return TRUE;
    }
  memcpy (out, nav_address_get_ipv6 (addr), 16);
  return TRUE;
}

static gboolean
parse_range (const gchar  *text,
             IpRange      *range,
             GError      **error)
{
  g_auto (GStrv) parts = NULL;
  NavAddress a, b;
  gsize len;

  memset (range, 0, sizeof *range);
  if (strchr (text, '/') != NULL)
    {
      guint64 bits;
      gsize i;

      parts = g_strsplit (text, "/", 2);
      if (!nav_address_set_ip_from_string (&a, g_strstrip (parts[0]), error))
        return FALSE;
      range->family = nav_address_get_family (&a);
      len = range->family == G_SOCKET_FAMILY_IPV4 ? 4 : 16;
      if (!g_ascii_string_to_unsigned (g_strstrip (parts[1]), 10, 0, len * 8, &bits, error))
        return FALSE;
      ip_bytes (&a, range->lo);
      memcpy (range->hi, range->lo, 16);
      for (i = 0; i < len; i++)
        {
          guint keep = bits >= (i + 1) * 8 ? 8 : (bits > i * 8 ? bits - i * 8 : 0);
          guint8 mask = keep == 0 ? 0 : (guint8) (0xFF << (8 - keep));

          range->lo[i] &= mask;
          range->hi[i] |= (guint8) ~mask;
        }
      return TRUE;
    }
  parts = g_strsplit (text, "-", 2);
  if (!nav_address_set_ip_from_string (&a, g_strstrip (parts[0]), error))
    return FALSE;
  b = a;
  if (parts[1] != NULL && !nav_address_set_ip_from_string (&b, g_strstrip (parts[1]), error))
    return FALSE;
  if (nav_address_get_family (&a) != nav_address_get_family (&b))
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("“%s” mixes IPv4 and IPv6"), text);
      return FALSE;
    }
  range->family = nav_address_get_family (&a);
  ip_bytes (&a, range->lo);
  ip_bytes (&b, range->hi);
  return TRUE;
}

static gboolean
in_ranges (GArray           *ranges,
           const NavAddress *addr)
{
  guint8 ip[16];
  GSocketFamily family = nav_address_get_family (addr);
  gsize len = family == G_SOCKET_FAMILY_IPV4 ? 4 : 16;
  guint i;

  if (ranges == NULL || ranges->len == 0)
    return FALSE;
  ip_bytes (addr, ip);
  for (i = 0; i < ranges->len; i++)
    {
      IpRange *r = &g_array_index (ranges, IpRange, i);

      if (r->family == family && memcmp (ip, r->lo, len) >= 0 && memcmp (ip, r->hi, len) <= 0)
        return TRUE;
    }
  return FALSE;
}

/* RFC 8656 §21.4 (and coturn's defaults made stricter): a relay must not
 * become a way into the server's own networks. */
static gboolean
peer_allowed (NavTurnServer    *self,
              const NavAddress *peer)
{
  if (in_ranges (self->allowed, peer))
    return TRUE;
  if (in_ranges (self->denied, peer))
    return FALSE;
  if (nav_address_is_any (peer) || nav_address_get_port (peer) == 0)
    return FALSE;
  if (nav_address_get_family (peer) == G_SOCKET_FAMILY_IPV4 &&
      (nav_address_get_ipv4 (peer) >> 28) >= 0xE)
    return FALSE;       /* multicast and reserved */
  if (nav_address_get_family (peer) == G_SOCKET_FAMILY_IPV6 &&
      nav_address_get_ipv6 (peer)[0] == 0xFF)
    return FALSE;       /* multicast */
  if (nav_address_is_loopback (peer))
    return self->allow_loopback_peers;
  if (nav_address_is_private (peer) || nav_address_is_link_local (peer))
    return FALSE;
  return TRUE;
}

/* ---------------------------------------------------------------- */
/* Credentials                                                        */

/**
 * nav_turn_server_make_rest_password:
 * @secret: the shared secret (coturn's `static-auth-secret`)
 * @username: the time-limited user name, `expiry:name`
 *
 * Computes the password of a TURN REST API credential:
 * base64 (HMAC-SHA1 (@secret, @username)).
 *
 * Returns: (transfer full): the password
 */
gchar *
nav_turn_server_make_rest_password (const gchar *secret,
                                    const gchar *username)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) secret, strlen (secret));
  guint8 digest[20];
  gsize len = sizeof digest;

  g_hmac_update (hmac, (const guchar *) username, strlen (username));
  g_hmac_get_digest (hmac, digest, &len);
  return g_base64_encode (digest, len);
}

static gboolean
add_user (NavTurnServer  *self,
          const gchar    *entry,
          GError        **error)
{
  const gchar *colon = strchr (entry, ':');
  g_autofree gchar *name = NULL;
  const gchar *secret;
  GBytes *key;

  if (colon == NULL || colon == entry)
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("A user is given as name:password, not “%s”"), entry);
      return FALSE;
    }
  name = g_strndup (entry, colon - entry);
  secret = colon + 1;
  if (g_str_has_prefix (secret, "0x") && strlen (secret) == 34)
    {
      /* coturn's hashed form: the MD5 long-term key in hexadecimal */
      guint8 k[16];
      guint i;

      for (i = 0; i < 16; i++)
        {
          gint hi = g_ascii_xdigit_value (secret[2 + 2 * i]);
          gint lo = g_ascii_xdigit_value (secret[3 + 2 * i]);

          if (hi < 0 || lo < 0)
            {
              g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                           _("User “%s”: bad hexadecimal key"), name);
              return FALSE;
            }
          k[i] = (guint8) (hi << 4 | lo);
        }
      key = g_bytes_new (k, sizeof k);
    }
  else
    {
      key = nav_stun_derive_long_term_key (name, self->realm, secret,
                                           NAV_STUN_PASSWORD_ALGORITHM_MD5, error);
      if (key == NULL)
        return FALSE;
      g_hash_table_replace (self->user_passwords, g_strdup (name), g_strdup (secret));
    }
  g_hash_table_replace (self->user_keys, g_steal_pointer (&name), key);
  return TRUE;
}

static gboolean
load_users (NavTurnServer  *self,
            GError        **error)
{
  guint i;

  if (self->users != NULL)
    for (i = 0; self->users[i] != NULL; i++)
      if (!add_user (self, self->users[i], error))
        return FALSE;
  if (self->userdb != NULL)
    {
      g_autofree gchar *contents = NULL;
      g_auto (GStrv) lines = NULL;

      if (!g_file_get_contents (self->userdb, &contents, NULL, error))
        return FALSE;
      lines = g_strsplit (contents, "\n", -1);
      for (i = 0; lines[i] != NULL; i++)
        {
          gchar *line = g_strstrip (lines[i]);

          if (line[0] == '\0' || line[0] == '#')
            continue;
          if (!add_user (self, line, error))
            {
              g_prefix_error (error, "%s:%u: ", self->userdb, i + 1);
              return FALSE;
            }
        }
    }
  return TRUE;
}

/* Nonces are stateless: an expiry time and a MAC of it under a secret of
 * this process, so any nonce the server made can be checked without a
 * table, and none can be forged (RFC 8489 §9.2.2).
 *
 * Each starts with the nonce cookie "obMatJos2" and the 24 security
 * feature bits in base64 (RFC 8489 §9.2.1): bit 0 (the first, most
 * significant) is "Password algorithms", so "gAAA".  The MAC covers the
 * cookie too: a man in the middle who strips PASSWORD-ALGORITHMS from a
 * 401 to force MD5 cannot also strip the bit from the nonce, and the
 * server then insists on the algorithm negotiation (§9.2.4). */
#define NONCE_COOKIE "obMatJos2" "gAAA"
#define NONCE_COOKIE_LENGTH 13
#define NONCE_LENGTH (NONCE_COOKIE_LENGTH + 32)

/* What 401 and 438 answers offer, preferred first (RFC 8489 §14.11) */
static const guint16 offered_algorithms[] = {
  NAV_STUN_PASSWORD_ALGORITHM_SHA256, NAV_STUN_PASSWORD_ALGORITHM_MD5
};

static void
nonce_mac (NavTurnServer *self,
           const gchar   *head,  /* NONCE_COOKIE_LENGTH + 16 bytes */
           gchar         *out    /* 17 bytes */)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, self->nonce_secret, sizeof self->nonce_secret);
  guint8 digest[32];
  gsize len = sizeof digest;

  g_hmac_update (hmac, (const guchar *) head, NONCE_COOKIE_LENGTH + 16);
  g_hmac_get_digest (hmac, digest, &len);
  for (guint i = 0; i < 8; i++)
    g_snprintf (out + 2 * i, 3, "%02x", digest[i]);
}

static void
make_nonce (NavTurnServer *self,
            gchar         *out /* NONCE_LENGTH + 1 bytes */)
{
  guint64 expiry = (guint64) (g_get_real_time () / G_USEC_PER_SEC) + self->stale_nonce;

  g_snprintf (out, NONCE_COOKIE_LENGTH + 17, NONCE_COOKIE "%016" G_GINT64_MODIFIER "x", expiry);
  nonce_mac (self, out, out + NONCE_COOKIE_LENGTH + 16);
  out[NONCE_LENGTH] = '\0';
}

/* TRUE when the server made @nonce and it has not expired; otherwise
 * the answer is 438. */
static gboolean
nonce_valid (NavTurnServer *self,
             const gchar   *nonce)
{
  gchar mac[17];
  gchar expiry_hex[17];
  guint64 expiry;

  if (nonce == NULL || strlen (nonce) != NONCE_LENGTH ||
      memcmp (nonce, NONCE_COOKIE, NONCE_COOKIE_LENGTH) != 0)
    return FALSE;
  nonce_mac (self, nonce, mac);
  if (memcmp (mac, nonce + NONCE_COOKIE_LENGTH + 16, 16) != 0)
    return FALSE;
  memcpy (expiry_hex, nonce + NONCE_COOKIE_LENGTH, 16);
  expiry_hex[16] = '\0';
  expiry = g_ascii_strtoull (expiry_hex, NULL, 16);
  return expiry > (guint64) (g_get_real_time () / G_USEC_PER_SEC);
}

/* ---------------------------------------------------------------- */
/* Requests                                                           */

typedef struct
{
  NavTurnServer *self;
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

static void
count_error (NavTurnServer *self,
             guint          code)
{
  self->counters.errors++;
  switch (code)
    {
#define CASE(n) case n: self->counters.error_##n++; break;
    CASE (400) CASE (401) CASE (403) CASE (420) CASE (437) CASE (438)
    CASE (440) CASE (441) CASE (442) CASE (443) CASE (446) CASE (447)
    CASE (486) CASE (508)
#undef CASE
    default: break;
    }
}

static NavStunMessageBuilder *
response_begin (Request      *r,
                NavStunClass  klass)
{
  return nav_stun_message_builder_new_with_buffer (klass, r->method, r->req + 8,
                                                   r->out, r->out_size);
}

static gsize
response_finish (Request               *r,
                 NavStunMessageBuilder *b,
                 gboolean               sign)
{
  gboolean ok = TRUE;
  gsize n;

  if (r->self->software != NULL)
    ok = nav_stun_message_builder_add_software (b, r->self->software, NULL);
  /* RFC 8489 §9.2.4: the response is signed the way the request was */
  if (ok && sign && r->key_len > 0 && r->integrity_sha256)
    ok = nav_stun_message_builder_add_message_integrity_sha256 (b, r->key, r->key_len, 0, NULL);
  else if (ok && sign && r->key_len > 0)
    ok = nav_stun_message_builder_add_message_integrity (b, r->key, r->key_len, NULL);
  if (ok && r->fingerprint)
    ok = nav_stun_message_builder_add_fingerprint (b, NULL);
  n = ok ? nav_stun_message_builder_finish_to_buffer (b, NULL) : 0;
  nav_stun_message_builder_unref (b);
  return n;
}

static gsize
respond_error (Request *r,
               guint    code)
{
  NavStunMessageBuilder *b = response_begin (r, NAV_STUN_CLASS_ERROR_RESPONSE);
  gboolean challenge = code == 401 || code == 438;

  count_error (r->self, code);
  nav_stun_message_builder_add_error_code (b, code, nav_stun_error_code_get_reason (code), NULL);
  if (challenge)
    {
      gchar nonce[NONCE_LENGTH + 1];

      make_nonce (r->self, nonce);
      nav_stun_message_builder_add_realm (b, r->self->realm != NULL ? r->self->realm : "", NULL);
      nav_stun_message_builder_add_nonce (b, nonce, NULL);
      /* RFC 8489 §9.2.1: the nonce cookie says so; preferred first */
      nav_stun_message_builder_add_password_algorithms (b, offered_algorithms,
                                                        G_N_ELEMENTS (offered_algorithms), NULL);
    }
  /* RFC 8489 §9.2.4: 401 and 438 answers carry no integrity; the others
   * are signed once the client has authenticated. */
  return response_finish (r, b, !challenge && r->authenticated);
}

static gboolean
lookup_key (NavTurnServer *self,
            const gchar   *username,
            guint          algorithm,
            guint8        *key,
            gsize         *key_len)
{
  g_autoptr (GBytes) derived = NULL;

  if (self->use_auth_secret && self->static_auth_secret != NULL)
    {
      /* TURN REST API: "expiry:name" (or just "expiry"), valid until then */
      g_autofree gchar *password = NULL;
      guint64 expiry;
      gchar *end = NULL;

      expiry = g_ascii_strtoull (username, &end, 10);
      if (end != username && (*end == ':' || *end == '\0') &&
          expiry > (guint64) (g_get_real_time () / G_USEC_PER_SEC))
        {
          password = nav_turn_server_make_rest_password (self->static_auth_secret, username);
          derived = nav_stun_derive_long_term_key (username, self->realm, password, algorithm, NULL);
        }
    }
  if (derived == NULL && self->lt_cred_mech)
    {
      if (algorithm == NAV_STUN_PASSWORD_ALGORITHM_SHA256)
        {
          const gchar *password = g_hash_table_lookup (self->user_passwords, username);

          if (password != NULL)
            derived = nav_stun_derive_long_term_key (username, self->realm, password, algorithm, NULL);
        }
      else
        {
          GBytes *k = g_hash_table_lookup (self->user_keys, username);

          if (k != NULL)
            derived = g_bytes_ref (k);
        }
    }
  if (derived == NULL)
    return FALSE;
  *key_len = MIN (g_bytes_get_size (derived), 32);
  memcpy (key, g_bytes_get_data (derived, NULL), *key_len);
  return TRUE;
}

/* RFC 8489 §9.2.4 with a nonce whose cookie has the "Password
 * algorithms" bit (all of ours): a request with neither
 * PASSWORD-ALGORITHMS nor PASSWORD-ALGORITHM uses MD5; one with both must
 * echo the list the server offered, unchanged (or a man in the middle
 * bid it down), and pick one of it; one with only either is malformed.
 * Returns FALSE for a 400. */
static gboolean
check_password_algorithms (const NavStunMessage *msg,
                           guint                *algorithm)
{
  gboolean has_list = nav_stun_message_has_attribute (msg, NAV_STUN_ATTRIBUTE_PASSWORD_ALGORITHMS);
  gboolean has_choice = nav_stun_message_has_attribute (msg, NAV_STUN_ATTRIBUTE_PASSWORD_ALGORITHM);
  g_autofree guint16 *list = NULL;
  gsize n = 0, i;

  *algorithm = NAV_STUN_PASSWORD_ALGORITHM_MD5;
  if (!has_list && !has_choice)
    return TRUE;
  if (!has_list || !has_choice)
    return FALSE;
  list = nav_stun_message_get_password_algorithms (msg, &n, NULL);
  if (list == NULL || n != G_N_ELEMENTS (offered_algorithms))
    return FALSE;
  for (i = 0; i < n; i++)
    if (list[i] != offered_algorithms[i])
      return FALSE;
  if (!nav_stun_message_get_password_algorithm (msg, algorithm, NULL))
    return FALSE;
  return *algorithm == NAV_STUN_PASSWORD_ALGORITHM_MD5 ||
         *algorithm == NAV_STUN_PASSWORD_ALGORITHM_SHA256;
}

/* RFC 8489 §9.2.4.  Returns TRUE when the request may go on; otherwise
 * the error response is in r->out and *resp its size. */
static gboolean
authenticate (Request *r,
              gsize   *resp)
{
  NavTurnServer *self = r->self;
  g_autofree gchar *username = NULL;
  g_autofree gchar *realm = NULL;
  g_autofree gchar *nonce = NULL;
  guint algorithm = NAV_STUN_PASSWORD_ALGORITHM_MD5;

  if (self->no_auth)
    return TRUE;

  if (!nav_stun_message_has_message_integrity (r->msg) &&
      !nav_stun_message_has_message_integrity_sha256 (r->msg))
    {
      *resp = respond_error (r, 401);
      return FALSE;
    }
  username = nav_stun_message_get_username (r->msg, NULL);
  realm = nav_stun_message_get_realm (r->msg, NULL);
  nonce = nav_stun_message_get_nonce (r->msg, NULL);
  if (username == NULL || realm == NULL || nonce == NULL)
    {
      *resp = respond_error (r, 400);
      return FALSE;
    }
  if (!nonce_valid (self, nonce))
    {
      *resp = respond_error (r, 438);
      return FALSE;
    }
  if (g_strcmp0 (realm, self->realm) != 0)
    {
      *resp = respond_error (r, 401);
      return FALSE;
    }
  if (!check_password_algorithms (r->msg, &algorithm))
    {
      *resp = respond_error (r, 400);
      return FALSE;
    }
  if (r->alloc != NULL && r->alloc->username != NULL &&
      g_strcmp0 (username, r->alloc->username) != 0)
    {
      /* RFC 8656 §6.2: the allocation belongs to another user */
      *resp = respond_error (r, 441);
      return FALSE;
    }
  r->algorithm = algorithm;
  r->integrity_sha256 = nav_stun_message_has_message_integrity_sha256 (r->msg);
  if (r->alloc != NULL && r->alloc->auth_key_len > 0 && r->alloc->auth_algorithm == algorithm)
    {
      memcpy (r->key, r->alloc->auth_key, r->alloc->auth_key_len);
      r->key_len = r->alloc->auth_key_len;
    }
  else if (!lookup_key (self, username, algorithm, r->key, &r->key_len))
    {
      *resp = respond_error (r, 401);
      return FALSE;
    }
  if (!nav_stun_message_check_integrity (r->msg, r->key, r->key_len, NULL))
    {
      r->key_len = 0;
      *resp = respond_error (r, 401);
      return FALSE;
    }
  r->authenticated = TRUE;
  if (algorithm == NAV_STUN_PASSWORD_ALGORITHM_SHA256)
    self->counters.auth_sha256++;
  else
    self->counters.auth_md5++;
  r->username = g_steal_pointer (&username);
  return TRUE;
}

/* ---------------------------------------------------------------- */
/* Relay sockets                                                      */

static int
bind_socket (const NavAddress *addr,
             int               type,
             guint             port,
             gboolean          reuse_port)
{
  struct sockaddr_storage ss;
  NavAddress a = *addr;
  socklen_t sl;
  int family = nav_address_get_family (addr) == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET;
  int fd, one = 1;

  fd = socket (family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (family == AF_INET6)
    setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (type == SOCK_STREAM || reuse_port)
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port)
    setsockopt (fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  nav_address_set_port (&a, port);
  sl = nav_address_copy_to_sockaddr (&a, (struct sockaddr *) &ss, sizeof ss);
  if (bind (fd, (struct sockaddr *) &ss, sl) < 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* Finds a free port in [min-port, max-port] (RFC 8656 §7.2: even when
 * EVEN-PORT asks, with the next one held when it asks to reserve). */
static int
open_relay (NavTurnServer    *self,
            const NavAddress *ip,
            gboolean          tcp,
            gboolean          even,
            gboolean          reserve,
            NavAddress       *bound,
            int              *reserved_fd)
{
  guint range = self->max_port - self->min_port + 1;
  guint start = g_random_int_range (0, range);
  guint i;

  for (i = 0; i < range; i++)
    {
      guint port = self->min_port + (start + i) % range;
      int fd;

      if (even && (port & 1))
        continue;
      if (reserve && port + 1 > self->max_port)
        continue;
      fd = bind_socket (ip, tcp ? SOCK_STREAM : SOCK_DGRAM, port, tcp);
      if (fd < 0)
        continue;
      if (tcp && listen (fd, 64) < 0)
        {
          close (fd);
          continue;
        }
      if (reserve)
        {
          int fd2 = bind_socket (ip, SOCK_DGRAM, port + 1, FALSE);

          if (fd2 < 0)
            {
              close (fd);
              continue;
            }
          *reserved_fd = fd2;
        }
      if (!tcp)
        {
          int size = 1024 * 1024;

          setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
          setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
          if (nav_address_get_family (ip) == G_SOCKET_FAMILY_IPV4)
            {
              /* DF clear until a client asks (RFC 8656 §14, see
               * relay_set_df()): Linux would set it by default */
              int pmtu = IP_PMTUDISC_DONT;

              setsockopt (fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu);
            }
        }
      *bound = *ip;
      nav_address_set_port (bound, port);
      return fd;
    }
  return -1;
}

static gboolean
bandwidth_ok (Allocation *alloc,
              gsize       bytes,
              gint64      now)
{
  guint64 bps = alloc->server->max_bps;

  if (bps == 0)
    return TRUE;
  if (now > alloc->bucket_time)
    {
      gint64 add = (gint64) ((now - alloc->bucket_time) * (gdouble) bps / G_USEC_PER_SEC);

      alloc->tokens = MIN ((gint64) bps, alloc->tokens + add);
      alloc->bucket_time = now;
    }
  if (alloc->tokens < (gint64) bytes)
    return FALSE;
  alloc->tokens -= bytes;
  return TRUE;
}

static Permission *
permission_lookup (Allocation       *alloc,
                   const NavAddress *peer,
                   gint64            now)
{
  NavAddress ip = *peer;
  Permission *p;

  nav_address_set_port (&ip, 0);
  p = g_hash_table_lookup (alloc->permissions, &ip);
  if (p != NULL && p->expires <= now)
    return NULL;
  return p;
}

static void
permission_install (Allocation       *alloc,
                    const NavAddress *peer,
                    gint64            now)
{
  NavAddress ip = *peer;
  Permission *p;

  nav_address_set_port (&ip, 0);
  p = g_hash_table_lookup (alloc->permissions, &ip);
  if (p == NULL)
    {
      p = g_new0 (Permission, 1);
      p->ip = ip;
      g_hash_table_insert (alloc->permissions, &p->ip, p);
    }
  /* RFC 8656 §9: permissions last 300 s, refreshed by CreatePermission
   * and ChannelBind */
  p->expires = now + (gint64) alloc->server->permission_lifetime * G_USEC_PER_SEC;
}

static guint
family_index (GSocketFamily family)
{
  return family == G_SOCKET_FAMILY_IPV6 ? RELAY_V6 : RELAY_V4;
}

/* The relay socket that talks to peers of @peer's family, or NULL. */
static RelaySocket *
relay_for_peer (Allocation       *alloc,
                const NavAddress *peer)
{
  RelaySocket *rs = &alloc->relays[family_index (nav_address_get_family (peer))];

  return rs->fd >= 0 ? rs : NULL;
}

/* The first live relayed address, IPv4 first (every allocation has one
 * until it is destroyed). */
static RelaySocket *
first_relay (Allocation *alloc)
{
  return alloc->relays[RELAY_V4].fd >= 0 ? &alloc->relays[RELAY_V4] : &alloc->relays[RELAY_V6];
}

static guint
n_relays (Allocation *alloc)
{
  return (alloc->relays[RELAY_V4].fd >= 0) + (alloc->relays[RELAY_V6].fd >= 0);
}

/* RFC 8656 §11.3 (and §14's IP header rules): DF set only when asked
 * for, so that a datagram too big for the path is dropped rather than
 * fragmented; otherwise DF is clear and the kernel fragments.  The socket
 * option is flipped only when the wanted state changes, so a client that
 * always or never asks costs no system call per datagram. */
static void
relay_set_df (RelaySocket *rs,
              gboolean     df)
{
  int v;

  if (rs->df == df)
    return;
  if (nav_address_get_family (&rs->addr) == G_SOCKET_FAMILY_IPV6)
    {
      v = df ? 1 : 0;
      setsockopt (rs->fd, IPPROTO_IPV6, IPV6_DONTFRAG, &v, sizeof v);
    }
  else
    {
      v = df ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;
      setsockopt (rs->fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof v);
    }
  rs->df = df;
}

/* Sends the datagrams queued for peers, in one sendmmsg(2) per relay
 * socket.  Called before the bytes they point to are reused (the end of
 * a batch read from a UDP listener, of the frames read from a TCP
 * connection) and before their socket closes. */
static void
peer_flush (NavTurnServer *self)
{
  Batch *b = self->batch;
  guint sent = 0, n = b->pq_n;

  if (n == 0)
    return;
  b->pq_n = 0;
  relay_set_df (b->pq_rs, b->pq_df);
  while (sent < n)
    {
      int r = sendmmsg (b->pq_rs->fd, b->pq_msgs + sent, n - sent, 0);

      if (r <= 0)
        {
          if (r < 0 && errno == EINTR)
            continue;
          /* with DF, a datagram above the path MTU fails here (EMSGSIZE)
           * instead of leaving in fragments */
          if (r < 0 && errno == EMSGSIZE && b->pq_df)
            self->counters.dropped_dont_fragment++;
          else
            self->counters.dropped_send_failed++;
          sent++;
          continue;
        }
      for (int i = 0; i < r; i++)
        {
          self->counters.packets_to_peer++;
          self->counters.bytes_to_peer += b->pq_iov[sent + i].iov_len;
        }
      sent += r;
    }
}

/* Sends a datagram from the relay to a peer (client → peer direction),
 * with DF set when @dont_fragment: queued, so that what a client sends
 * in a burst leaves in one system call (see peer_flush()). */
static void
relay_to_peer (Allocation       *alloc,
               const NavAddress *peer,
               const guint8     *data,
               gsize             len,
               gint64            now,
               gboolean          dont_fragment)
{
  NavTurnServer *self = alloc->server;
  Batch *b = self->batch;
  RelaySocket *rs;
  guint i;

  if (alloc->tcp_relay || (rs = relay_for_peer (alloc, peer)) == NULL)
    {
      self->counters.dropped_unexpected++;
      return;
    }
  if (!bandwidth_ok (alloc, len, now))
    {
      self->counters.dropped_bandwidth++;
      return;
    }
  if (b->pq_n > 0 && (b->pq_n == UDP_BATCH || b->pq_rs != rs || b->pq_df != dont_fragment))
    peer_flush (self);
  i = b->pq_n++;
  b->pq_rs = rs;
  b->pq_df = dont_fragment;
  b->pq_iov[i].iov_base = (void *) data;
  b->pq_iov[i].iov_len = len;
  memset (&b->pq_msgs[i].msg_hdr, 0, sizeof b->pq_msgs[i].msg_hdr);
  b->pq_msgs[i].msg_hdr.msg_name = &b->pq_addr[i];
  b->pq_msgs[i].msg_hdr.msg_namelen =
    nav_address_copy_to_sockaddr (peer, (struct sockaddr *) &b->pq_addr[i], sizeof b->pq_addr[i]);
  b->pq_msgs[i].msg_hdr.msg_iov = &b->pq_iov[i];
  b->pq_msgs[i].msg_hdr.msg_iovlen = 1;
}

/* Frames a datagram from @peer for the client, in place when a channel is
 * bound (the payload has HEADROOM bytes in front of it), else as a Data
 * indication written to @scratch.  Returns the frame and its length. */
static const guint8 *
frame_for_client (Allocation       *alloc,
                  const NavAddress *peer,
                  guint8           *payload,
                  gsize             len,
                  gint64            now,
                  guint8           *scratch,
                  gsize             scratch_size,
                  gsize            *frame_len)
{
  NavTurnServer *self = alloc->server;
  Channel *ch = g_hash_table_lookup (alloc->channels_by_peer, peer);
  gboolean padded = alloc->conn != NULL;

  if (ch != NULL && ch->expires > now)
    {
      guint8 *frame = payload - 4;
      gsize total = 4 + len;

      frame[0] = ch->number >> 8;
      frame[1] = ch->number & 0xFF;
      frame[2] = len >> 8;
      frame[3] = len & 0xFF;
      if (padded)
        {
          /* RFC 8656 §12.5: over TCP and TLS, padded to 4 bytes */
          while (total & 3)
            frame[total++] = 0;
        }
      *frame_len = total;
      return frame;
    }
  else
    {
      guint8 txid[12] = { 0 };
      NavStunMessageBuilder *b;
      gsize n;

      memcpy (txid, &alloc, MIN (sizeof alloc, 8));
      alloc->indication_serial++;
      memcpy (txid + 8, &alloc->indication_serial, 4);
      b = nav_stun_message_builder_new_with_buffer (NAV_STUN_CLASS_INDICATION,
                                                    NAV_STUN_METHOD_DATA, txid,
                                                    scratch, scratch_size);
      if (!nav_stun_message_builder_add_xor_address (b, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, peer, NULL) ||
          !nav_stun_message_builder_add_attribute (b, NAV_STUN_ATTRIBUTE_DATA, payload, len, NULL))
        n = 0;
      else
        n = nav_stun_message_builder_finish_to_buffer (b, NULL);
      nav_stun_message_builder_unref (b);
      if (n == 0)
        {
          self->counters.dropped_oversize++;
          return NULL;
        }
      self->counters.data_indications++;
      *frame_len = n;
      return scratch;
    }
}

static void
udp_flush (NavTurnServer *self,
           int            fd,
           guint          n_tx)
{
  guint sent = 0;

  while (sent < n_tx)
    {
      int r = sendmmsg (fd, self->batch->tx_msgs + sent, n_tx - sent, 0);

      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          self->counters.dropped_send_failed++;
          sent++;
          continue;
        }
      sent += r;
    }
}

static void
udp_send (NavTurnServer    *self,
          Listener         *via,
          const NavAddress *to,
          const guint8     *data,
          gsize             len)
{
  struct sockaddr_storage ss;
  socklen_t sl = nav_address_copy_to_sockaddr (to, (struct sockaddr *) &ss, sizeof ss);

  if (sendto (via->fd, data, len, 0, (struct sockaddr *) &ss, sl) < 0)
    self->counters.dropped_send_failed++;
}

/* Datagrams from peers to a UDP relay (peer → client direction). */
static gboolean
relay_readable (gint         fd,
                GIOCondition condition,
                gpointer     user_data)
{
  RelaySocket *rs = user_data;
  Allocation *alloc = rs->alloc;
  NavTurnServer *self = alloc->server;
  Batch *batch = self->batch;
  guint round;

  for (round = 0; round < UDP_ROUNDS && !alloc->dead && rs->fd >= 0; round++)
    {
      gint64 now = now_us ();
      guint i, n_tx = 0;
      int n;

      for (i = 0; i < UDP_BATCH; i++)
        {
          batch->rx_iov[i].iov_base = batch->rx_buf[i] + HEADROOM;
          batch->rx_iov[i].iov_len = UDP_RECV_SIZE;
          memset (&batch->rx_msgs[i].msg_hdr, 0, sizeof batch->rx_msgs[i].msg_hdr);
          batch->rx_msgs[i].msg_hdr.msg_name = &batch->rx_addr[i];
          batch->rx_msgs[i].msg_hdr.msg_namelen = sizeof batch->rx_addr[i];
          batch->rx_msgs[i].msg_hdr.msg_iov = &batch->rx_iov[i];
          batch->rx_msgs[i].msg_hdr.msg_iovlen = 1;
        }
      n = recvmmsg (rs->fd, batch->rx_msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
      if (n <= 0)
        break;

      for (i = 0; i < (guint) n && !alloc->dead; i++)
        {
          NavAddress peer;
          guint8 *payload = batch->rx_buf[i] + HEADROOM;
          gsize len = batch->rx_msgs[i].msg_len, frame_len = 0;
          const guint8 *frame;

          if (batch->rx_msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
            {
              self->counters.dropped_oversize++;
              continue;
            }
          if (!nav_address_set_from_sockaddr (&peer, (struct sockaddr *) &batch->rx_addr[i],
                                              batch->rx_msgs[i].msg_hdr.msg_namelen))
            {
              self->counters.dropped_malformed++;
              continue;
            }
          /* RFC 8656 §11.1: only from peers with a permission */
          if (permission_lookup (alloc, &peer, now) == NULL)
            {
              self->counters.dropped_no_permission++;
              continue;
            }
          if (!bandwidth_ok (alloc, len, now))
            {
              self->counters.dropped_bandwidth++;
              continue;
            }
          frame = frame_for_client (alloc, &peer, payload, len, now,
                                    batch->tx_buf[n_tx], OUT_SIZE, &frame_len);
          if (frame == NULL)
            continue;
          self->counters.packets_from_peer++;
          self->counters.bytes_from_peer += len;
          if (alloc->conn != NULL)
            {
              /* plain TCP: written out once, after the batch.  TLS
               * still writes each frame at once: batched, uclient over
               * TLS lost messages (coturn-uclient-tls-channel), for a
               * reason not found yet */
              if (alloc->conn->tls)
                conn_write (alloc->conn, frame, frame_len);
              else
                conn_queue (alloc->conn, frame, frame_len);
              continue;
            }
          batch->tx_iov[n_tx].iov_base = (void *) frame;
          batch->tx_iov[n_tx].iov_len = frame_len;
          memset (&batch->tx_msgs[n_tx].msg_hdr, 0, sizeof batch->tx_msgs[n_tx].msg_hdr);
          batch->tx_msgs[n_tx].msg_hdr.msg_name = &batch->tx_addr[n_tx];
          batch->tx_msgs[n_tx].msg_hdr.msg_namelen =
            nav_address_copy_to_sockaddr (&alloc->key.client,
                                          (struct sockaddr *) &batch->tx_addr[n_tx],
                                          sizeof batch->tx_addr[n_tx]);
          batch->tx_msgs[n_tx].msg_hdr.msg_iov = &batch->tx_iov[n_tx];
          batch->tx_msgs[n_tx].msg_hdr.msg_iovlen = 1;
          n_tx++;
        }
      if (n_tx > 0 && !alloc->dead)
        udp_flush (self, alloc->key.via->fd, n_tx);
      if (alloc->conn != NULL && !alloc->dead && alloc->conn->out_source == NULL)
        conn_flush (alloc->conn);
      if (n < UDP_BATCH)
        break;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
relays_readable (gint         fd,
                 GIOCondition condition,
                 gpointer     user_data)
{
  NavTurnServer *self = user_data;
  struct epoll_event events[64];
  int n, i;

  n = epoll_wait (fd, events, G_N_ELEMENTS (events), 0);
  /* an allocation destroyed by an earlier event stays allocated (dead)
   * until the reaper runs, so the pointers (to its RelaySockets) stay
   * valid here */
  for (i = 0; i < n; i++)
    relay_readable (-1, G_IO_IN, events[i].data.ptr);
  (void) self;
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------- */
/* Allocations                                                        */

static guint
udp_key_hash (gconstpointer key)
{
  const UdpKey *k = key;

  return nav_address_hash (&k->client) ^ (guint) GPOINTER_TO_SIZE (k->via);
}

static gboolean
udp_key_equal (gconstpointer a,
               gconstpointer b)
{
  const UdpKey *x = a, *y = b;

  return x->via == y->via && nav_address_equal (&x->client, &y->client);
}

static void
user_count_add (NavTurnServer *self,
                const gchar   *username,
                gint           delta)
{
  guint count;

  if (username == NULL)
    return;
  count = GPOINTER_TO_UINT (g_hash_table_lookup (self->user_counts, username));
  count += delta;
  if (count == 0)
    g_hash_table_remove (self->user_counts, username);
  else
    g_hash_table_replace (self->user_counts, g_strdup (username), GUINT_TO_POINTER (count));
}

static void schedule_reap (NavTurnServer *self);

static void
relay_socket_close (NavTurnServer *self,
                    Allocation    *alloc,
                    RelaySocket   *rs)
{
  if (rs->fd < 0)
    return;
  if (self->batch != NULL && self->batch->pq_n > 0 && self->batch->pq_rs == rs)
    peer_flush (self);
  if (!alloc->tcp_relay)
    epoll_ctl (self->epoll_fd, EPOLL_CTL_DEL, rs->fd, NULL);
  close (rs->fd);
  rs->fd = -1;
}

static void
allocation_destroy (Allocation  *alloc,
                    const gchar *why)
{
  NavTurnServer *self = alloc->server;
  gchar relay[NAV_ADDRESS_STRING_LEN];

  if (alloc->dead)
    return;
  alloc->dead = TRUE;
  g_debug ("event=allocation-deleted relay=%s user=\"%s\" reason=%s",
           nav_address_to_string_buf (&first_relay (alloc)->addr, relay),
           alloc->username != NULL ? alloc->username : "", why);
  if (alloc->conn == NULL)
    g_hash_table_remove (self->udp_allocations, &alloc->key);
  else
    alloc->conn->alloc = NULL;
  g_hash_table_remove (self->allocations, alloc);
  user_count_add (self, alloc->username, -1);
  while (alloc->tcp_relays != NULL)
    tcp_relay_destroy (alloc->tcp_relays->data);
  if (alloc->relay_source != NULL)
    {
      g_source_destroy (alloc->relay_source);
      g_clear_pointer (&alloc->relay_source, g_source_unref);
    }
  relay_socket_close (self, alloc, &alloc->relays[RELAY_V4]);
  relay_socket_close (self, alloc, &alloc->relays[RELAY_V6]);
  g_ptr_array_add (self->dead_allocations, alloc);
  schedule_reap (self);
}

static void
allocation_free (Allocation *alloc)
{
  g_hash_table_unref (alloc->permissions);
  g_hash_table_unref (alloc->channels);
  g_hash_table_unref (alloc->channels_by_peer);
  g_free (alloc->username);
  g_free (alloc);
}

static gboolean tcp_relay_incoming (gint fd, GIOCondition condition, gpointer user_data);

static gsize
respond_allocate_success (Request    *r,
                          Allocation *alloc,
                          guint64     token)
{
  NavStunMessageBuilder *b = response_begin (r, NAV_STUN_CLASS_SUCCESS_RESPONSE);

  /* RFC 8656 §7.2: one XOR-RELAYED-ADDRESS per family, IPv4 first */
  for (guint i = 0; i < G_N_ELEMENTS (alloc->relays); i++)
    {
      NavAddress advertised = alloc->relays[i].addr;

      if (alloc->relays[i].fd < 0)
        continue;
      if (r->self->external_ip != NULL && i == RELAY_V4)
        {
          NavAddress ext;

          if (nav_address_set_ip_from_string (&ext, r->self->external_ip, NULL) &&
              nav_address_get_family (&ext) == G_SOCKET_FAMILY_IPV4)
            {
              nav_address_set_port (&ext, nav_address_get_port (&advertised));
              advertised = ext;
            }
        }
      nav_stun_message_builder_add_xor_address (b, NAV_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, &advertised, NULL);
    }
  /* the IPv6 half of a dual Allocate that could not be made */
  if (alloc->v6_error != 0)
    nav_stun_message_builder_add_address_error_code (b, G_SOCKET_FAMILY_IPV6, alloc->v6_error,
                                                     nav_stun_error_code_get_reason (alloc->v6_error),
                                                     NULL);
  nav_stun_message_builder_add_uint32 (b, NAV_STUN_ATTRIBUTE_LIFETIME, alloc->lifetime, NULL);
  if (token != 0)
    nav_stun_message_builder_add_uint64 (b, NAV_STUN_ATTRIBUTE_RESERVATION_TOKEN, token, NULL);
  nav_stun_message_builder_add_xor_mapped_address (b, r->from, NULL);
  return response_finish (r, b, TRUE);
}

static guint32
granted_lifetime (NavTurnServer *self,
                  Request       *r)
{
  guint32 requested = self->default_allocate_lifetime;

  /* RFC 8656 §7.2: min (requested, maximum), but never below the default */
  if (nav_stun_message_get_uint32 (r->msg, NAV_STUN_ATTRIBUTE_LIFETIME, &requested, NULL))
    requested = MAX (requested, self->default_allocate_lifetime);
  return MIN (requested, self->max_allocate_lifetime);
}

/* RFC 8656 §7.2 */
static gsize
handle_allocate (Request *r)
{
  NavTurnServer *self = r->self;
  Allocation *alloc;
  guint8 transport = 0;
  GSocketFamily family = G_SOCKET_FAMILY_IPV4, additional = G_SOCKET_FAMILY_INVALID;
  gboolean even = FALSE, reserve = FALSE, has_token, dual = FALSE;
  const NavAddress *relay_ip;
  NavAddress bound, bound6;
  int fd, fd6 = -1, reserved_fd = -1;
  guint v6_error = 0;
  guint64 token = 0;
  gint64 now = now_us ();
  gchar a1[NAV_ADDRESS_STRING_LEN], a2[NAV_ADDRESS_STRING_LEN], a3[NAV_ADDRESS_STRING_LEN];

  self->counters.allocate_requests++;
  if (r->alloc != NULL)
    {
      /* a retransmission of the Allocate that made it is answered again */
      if (memcmp (r->alloc->txid, r->req + 8, 12) == 0)
        return respond_allocate_success (r, r->alloc, 0);
      return respond_error (r, 437);
    }
  if (r->conn != NULL && r->conn->piped)
    return respond_error (r, 400);
  if (!nav_stun_message_get_requested_transport (r->msg, &transport, NULL))
    return respond_error (r, 400);
  if (transport != 17 && transport != 6)
    return respond_error (r, 442);
  /* RFC 6062 §5.1: TCP relays only for clients over TCP or TLS */
  if (transport == 6 && r->conn == NULL)
    return respond_error (r, 400);

  has_token = nav_stun_message_has_attribute (r->msg, NAV_STUN_ATTRIBUTE_RESERVATION_TOKEN);
  if (nav_stun_message_has_attribute (r->msg, NAV_STUN_ATTRIBUTE_EVEN_PORT))
    {
      if (has_token || !nav_stun_message_get_even_port (r->msg, &reserve, NULL) || transport == 6)
        return respond_error (r, 400);
      even = TRUE;
    }
  if (nav_stun_message_has_attribute (r->msg, NAV_STUN_ATTRIBUTE_ADDITIONAL_ADDRESS_FAMILY))
    {
      /* RFC 8656 §7.2: not with REQUESTED-ADDRESS-FAMILY, nor with a
       * reservation token, and only ever IPv6 on top of IPv4.  A dual
       * allocation is of UDP relays (RFC 6062 has one relayed address),
       * and reserves no port: a token names one address. */
      if (has_token || reserve || transport == 6 ||
          nav_stun_message_has_attribute (r->msg, NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY) ||
          !nav_stun_message_get_address_family (r->msg, NAV_STUN_ATTRIBUTE_ADDITIONAL_ADDRESS_FAMILY,
                                                &additional, NULL) ||
          additional != G_SOCKET_FAMILY_IPV6)
        return respond_error (r, 400);
      dual = TRUE;
    }
  else if (nav_stun_message_has_attribute (r->msg, NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY))
    {
      if (has_token ||
          !nav_stun_message_get_address_family (r->msg, NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY,
                                                &family, NULL))
        return respond_error (r, 400);
    }
  else if (!self->have_relay4 && self->have_relay6)
    family = G_SOCKET_FAMILY_IPV6;

  if (self->user_quota > 0 && r->username != NULL &&
      GPOINTER_TO_UINT (g_hash_table_lookup (self->user_counts, r->username)) >= self->user_quota)
    return respond_error (r, 486);
  if (self->total_quota > 0 && g_hash_table_size (self->allocations) >= self->total_quota)
    return respond_error (r, 486);

  if (has_token)
    {
      guint64 t = 0;
      Reservation *res;

      if (!nav_stun_message_get_uint64 (r->msg, NAV_STUN_ATTRIBUTE_RESERVATION_TOKEN, &t, NULL))
        return respond_error (r, 400);
      res = g_hash_table_lookup (self->reservations, &t);
      if (res == NULL || transport != 17)
        return respond_error (r, 508);
      fd = res->fd;
      bound = res->addr;
      res->fd = -1;
      g_hash_table_remove (self->reservations, &t);
    }
  else
    {
      if (family == G_SOCKET_FAMILY_IPV6 ? !self->have_relay6 : !self->have_relay4)
        return respond_error (r, 440);
      relay_ip = family == G_SOCKET_FAMILY_IPV6 ? &self->relay6 : &self->relay4;
      fd = open_relay (self, relay_ip, transport == 6, even, reserve, &bound, &reserved_fd);
      if (fd < 0)
        return respond_error (r, 508);
      if (dual)
        {
          /* RFC 8656 §7.2: the IPv4 address is made; when the IPv6 one
           * cannot be, the allocation goes on with IPv4 only and says why
           * in ADDRESS-ERROR-CODE */
          if (!self->have_relay6)
            v6_error = 440;
          else if ((fd6 = open_relay (self, &self->relay6, FALSE, even, FALSE, &bound6, NULL)) < 0)
            v6_error = 508;
        }
    }

  alloc = g_new0 (Allocation, 1);
  alloc->server = self;
  for (guint i = 0; i < G_N_ELEMENTS (alloc->relays); i++)
    {
      alloc->relays[i].alloc = alloc;
      alloc->relays[i].fd = -1;
    }
  alloc->relays[family_index (nav_address_get_family (&bound))].fd = fd;
  alloc->relays[family_index (nav_address_get_family (&bound))].addr = bound;
  if (fd6 >= 0)
    {
      alloc->relays[RELAY_V6].fd = fd6;
      alloc->relays[RELAY_V6].addr = bound6;
    }
  alloc->v6_error = v6_error;
  /* RFC 8656 §7.2: the client wants DF; it is set on what its ChannelData
   * carries (a Send indication says so for itself, §11.3) */
  alloc->dont_fragment = nav_stun_message_has_attribute (r->msg, NAV_STUN_ATTRIBUTE_DONT_FRAGMENT);
  alloc->tcp_relay = transport == 6;
  alloc->username = g_strdup (r->username);
  memcpy (alloc->auth_key, r->key, r->key_len);
  alloc->auth_key_len = r->key_len;
  alloc->auth_algorithm = r->algorithm;
  alloc->auth_sha256 = r->integrity_sha256;
  memcpy (alloc->txid, r->req + 8, 12);
  alloc->lifetime = granted_lifetime (self, r);
  alloc->expires = now + (gint64) alloc->lifetime * G_USEC_PER_SEC;
  alloc->bucket_time = now;
  alloc->tokens = (gint64) self->max_bps;
  alloc->permissions = g_hash_table_new_full ((GHashFunc) nav_address_hash,
                                              (GEqualFunc) nav_address_equal, NULL, g_free);
  alloc->channels = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  alloc->channels_by_peer = g_hash_table_new ((GHashFunc) nav_address_hash,
                                              (GEqualFunc) nav_address_equal);
  if (r->conn != NULL)
    {
      alloc->conn = r->conn;
      r->conn->alloc = alloc;
    }
  else
    {
      alloc->key.via = r->via;
      alloc->key.client = *r->from;
      g_hash_table_insert (self->udp_allocations, &alloc->key, alloc);
    }
  if (alloc->tcp_relay)
    {
      alloc->relay_source = g_unix_fd_source_new (fd, G_IO_IN);
      g_source_set_callback (alloc->relay_source, G_SOURCE_FUNC (tcp_relay_incoming), alloc, NULL);
      g_source_set_static_name (alloc->relay_source, "[nav-turn] TCP relay");
      g_source_attach (alloc->relay_source, self->context);
    }
  else
    {
      /* UDP relays share one epoll set, so that a main-context iteration
       * costs the same with ten allocations or ten thousand */
      for (guint i = 0; i < G_N_ELEMENTS (alloc->relays); i++)
        {
          struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &alloc->relays[i] };

          if (alloc->relays[i].fd >= 0)
            epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, alloc->relays[i].fd, &ev);
        }
    }
  g_hash_table_add (self->allocations, alloc);
  user_count_add (self, alloc->username, 1);
  self->counters.allocations_total++;

  if (reserved_fd >= 0)
    {
      Reservation *res = g_new0 (Reservation, 1);

      do
        token = ((guint64) g_random_int () << 32) | g_random_int ();
      while (token == 0 || g_hash_table_contains (self->reservations, &token));
      res->token = token;
      res->fd = reserved_fd;
      res->addr = bound;
      nav_address_set_port (&res->addr, nav_address_get_port (&bound) + 1);
      res->expires = now + RESERVATION_TIMEOUT;
      g_hash_table_insert (self->reservations, &res->token, res);
    }

  g_debug ("event=allocation-created client=%s via=%s relay=%s%s%s transport=%s user=\"%s\" lifetime=%u",
           nav_address_to_string_buf (r->from, a1),
           r->conn == NULL ? "udp" : r->conn->tls ? "tls" : "tcp",
           nav_address_to_string_buf (&bound, a2),
           fd6 >= 0 ? "," : "", fd6 >= 0 ? nav_address_to_string_buf (&bound6, a3) : "",
           alloc->tcp_relay ? "tcp" : "udp", alloc->username != NULL ? alloc->username : "",
           alloc->lifetime);
  return respond_allocate_success (r, alloc, token);
}

static gboolean
same_family (gpointer key,
             gpointer value,
             gpointer user_data)
{
  return nav_address_get_family (key) == (GSocketFamily) GPOINTER_TO_INT (user_data);
}

/* Deletes one relayed address of a dual allocation, with the permissions
 * and channels of its family (RFC 8656 §7.5). */
static void
allocation_drop_family (Allocation    *alloc,
                        GSocketFamily  family)
{
  GHashTableIter iter;
  gpointer value;

  relay_socket_close (alloc->server, alloc, &alloc->relays[family_index (family)]);
  g_hash_table_foreach_remove (alloc->permissions, same_family, GINT_TO_POINTER (family));
  g_hash_table_iter_init (&iter, alloc->channels);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Channel *ch = value;

      if (nav_address_get_family (&ch->peer) == family)
        {
          g_hash_table_remove (alloc->channels_by_peer, &ch->peer);
          g_hash_table_iter_remove (&iter);
        }
    }
}

/* RFC 8656 §7.5 */
static gsize
handle_refresh (Request *r)
{
  NavStunMessageBuilder *b;
  GSocketFamily family = G_SOCKET_FAMILY_INVALID;
  guint32 lifetime;

  r->self->counters.refresh_requests++;
  if (r->alloc == NULL)
    return respond_error (r, 437);
  if (nav_stun_message_has_attribute (r->msg, NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY))
    {
      /* a Refresh about one family of the allocation: one it does not
       * have is a mismatch */
      if (!nav_stun_message_get_address_family (r->msg, NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY,
                                                &family, NULL))
        return respond_error (r, 400);
      if (r->alloc->relays[family_index (family)].fd < 0)
        return respond_error (r, 443);
    }
  if (nav_stun_message_get_uint32 (r->msg, NAV_STUN_ATTRIBUTE_LIFETIME, &lifetime, NULL) &&
      lifetime == 0)
    {
      if (family != G_SOCKET_FAMILY_INVALID && n_relays (r->alloc) > 1)
        {
          /* lifetime 0 with REQUESTED-ADDRESS-FAMILY: only that
           * relayed address goes; the allocation lives on */
          gchar buf[NAV_ADDRESS_STRING_LEN];

          g_debug ("event=relayed-address-deleted relay=%s",
                   nav_address_to_string_buf (&r->alloc->relays[family_index (family)].addr, buf));
          allocation_drop_family (r->alloc, family);
        }
      else
        {
          allocation_destroy (r->alloc, "refresh-0");
          r->alloc = NULL;
        }
    }
  else
    {
      lifetime = granted_lifetime (r->self, r);
      r->alloc->lifetime = lifetime;
      r->alloc->expires = now_us () + (gint64) lifetime * G_USEC_PER_SEC;
    }
  b = response_begin (r, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  nav_stun_message_builder_add_uint32 (b, NAV_STUN_ATTRIBUTE_LIFETIME, lifetime, NULL);
  return response_finish (r, b, TRUE);
}

/* Checks a peer address of a request.  Returns 0 or an error code. */
static guint
check_peer (Request          *r,
            const NavAddress *peer)
{
  if (relay_for_peer (r->alloc, peer) == NULL)
    return 443;                 /* RFC 8656 §9.1: no relayed address of its family */
  if (!peer_allowed (r->self, peer))
    return 403;
  return 0;
}

/* RFC 8656 §9.2 */
static gsize
handle_create_permission (Request *r)
{
  NavAddress peers[16];
  guint n = 0, code;
  gint idx;
  gint64 now = now_us ();

  r->self->counters.permission_requests++;
  if (r->alloc == NULL)
    return respond_error (r, 437);
  for (idx = nav_stun_message_find_attribute (r->msg, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, 0);
       idx >= 0;
       idx = nav_stun_message_find_attribute (r->msg, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, idx + 1))
    {
      if (n == G_N_ELEMENTS (peers) ||
          !nav_stun_message_get_xor_address_nth (r->msg, idx, &peers[n], NULL))
        return respond_error (r, 400);
      if ((code = check_peer (r, &peers[n])) != 0)
        return respond_error (r, code);
      n++;
    }
  if (n == 0)
    return respond_error (r, 400);
  /* all or nothing (RFC 8656 §9.2) */
  for (guint i = 0; i < n; i++)
    permission_install (r->alloc, &peers[i], now);
  return response_finish (r, response_begin (r, NAV_STUN_CLASS_SUCCESS_RESPONSE), TRUE);
}

/* RFC 8656 §12.2 */
static gsize
handle_channel_bind (Request *r)
{
  NavAddress peer;
  guint16 number;
  const guint8 *cn;
  gsize cn_len = 0;
  Channel *ch, *other;
  guint code;
  gint64 now = now_us ();

  r->self->counters.channel_bind_requests++;
  if (r->alloc == NULL)
    return respond_error (r, 437);
  if (r->alloc->tcp_relay)
    return respond_error (r, 400);
  cn = nav_stun_message_get_attribute (r->msg, NAV_STUN_ATTRIBUTE_CHANNEL_NUMBER, &cn_len);
  number = cn != NULL && cn_len == 4 ? rd16 (cn) : 0;
  /* RFC 8656 §12 narrowed the range to 0x4FFF (and the codec checks
   * that); RFC 5766 clients, coturn's among them, still pick up to 0x7FFF */
  if (number < 0x4000 || number > 0x7FFF ||
      !nav_stun_message_get_xor_address (r->msg, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, &peer, NULL))
    {
      g_debug ("event=channel-bind-refused reason=bad-attributes");
      return respond_error (r, 400);
    }
  if ((code = check_peer (r, &peer)) != 0)
    return respond_error (r, code);
  ch = g_hash_table_lookup (r->alloc->channels, GUINT_TO_POINTER (number));
  other = g_hash_table_lookup (r->alloc->channels_by_peer, &peer);
  /* a channel is bound to one peer, a peer to one channel */
  if ((ch != NULL && !nav_address_equal (&ch->peer, &peer)) ||
      (other != NULL && other->number != number))
    {
      gchar buf[NAV_ADDRESS_STRING_LEN];

      g_debug ("event=channel-bind-refused channel=0x%04x peer=%s reason=already-bound",
               number, nav_address_to_string_buf (&peer, buf));
      return respond_error (r, 400);
    }
  if (ch == NULL)
    {
      ch = g_new0 (Channel, 1);
      ch->number = number;
      ch->peer = peer;
      g_hash_table_insert (r->alloc->channels, GUINT_TO_POINTER (number), ch);
      g_hash_table_insert (r->alloc->channels_by_peer, &ch->peer, ch);
    }
  ch->expires = now + (gint64) r->self->channel_lifetime * G_USEC_PER_SEC;
  permission_install (r->alloc, &peer, now);
  return response_finish (r, response_begin (r, NAV_STUN_CLASS_SUCCESS_RESPONSE), TRUE);
}

/* RFC 8656 §10.2: Send indications; never answered */
static void
handle_send (Request *r)
{
  NavAddress peer;
  const guint8 *data;
  gsize len;
  gint64 now = now_us ();

  r->self->counters.send_indications++;
  if (r->alloc == NULL)
    {
      r->self->counters.dropped_no_allocation++;
      return;
    }
  data = nav_stun_message_get_attribute (r->msg, NAV_STUN_ATTRIBUTE_DATA, &len);
  if (data == NULL ||
      !nav_stun_message_get_xor_address (r->msg, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, &peer, NULL))
    {
      r->self->counters.dropped_malformed++;
      return;
    }
  if (permission_lookup (r->alloc, &peer, now) == NULL)
    {
      r->self->counters.dropped_no_permission++;
      return;
    }
  /* RFC 8656 §11.3: DF as the indication asks */
  relay_to_peer (r->alloc, &peer, data, len, now,
                 nav_stun_message_has_attribute (r->msg, NAV_STUN_ATTRIBUTE_DONT_FRAGMENT));
  /* the data is in the parsed copy of the message, freed next */
  peer_flush (r->self);
}

/* ---------------------------------------------------------------- */
/* RFC 6062 TCP relays                                                */

static Conn *conn_new (NavTurnServer *self, ConnKind kind, int fd, gboolean tls,
                       gboolean start_reading);

static void
tcp_relay_destroy (TcpRelay *relay)
{
  NavTurnServer *self = relay->server;

  g_hash_table_remove (self->tcp_relays, GUINT_TO_POINTER (relay->id));
  if (relay->alloc != NULL)
    relay->alloc->tcp_relays = g_list_remove (relay->alloc->tcp_relays, relay);
  if (relay->connect_source != NULL)
    {
      g_source_destroy (relay->connect_source);
      g_clear_pointer (&relay->connect_source, g_source_unref);
    }
  if (relay->connect_fd >= 0)
    close (relay->connect_fd);
  {
    /* detach first: closing one connection closes its partner */
    Conn *peer_conn = relay->peer_conn, *data_conn = relay->data_conn;

    relay->peer_conn = relay->data_conn = NULL;
    if (peer_conn != NULL)
      peer_conn->relay = NULL;
    if (data_conn != NULL)
      data_conn->relay = NULL;
    g_free (relay);
    if (peer_conn != NULL)
      conn_close (peer_conn);
    if (data_conn != NULL)
      conn_close (data_conn);
  }
}

static TcpRelay *
tcp_relay_new (Allocation       *alloc,
               const NavAddress *peer)
{
  NavTurnServer *self = alloc->server;
  TcpRelay *relay = g_new0 (TcpRelay, 1);

  relay->server = self;
  relay->alloc = alloc;
  relay->peer = *peer;
  relay->connect_fd = -1;
  relay->deadline = now_us () + TCP_RELAY_TIMEOUT;
  do
    relay->id = ++self->next_relay_id;
  while (relay->id == 0 || g_hash_table_contains (self->tcp_relays, GUINT_TO_POINTER (relay->id)));
  g_hash_table_insert (self->tcp_relays, GUINT_TO_POINTER (relay->id), relay);
  alloc->tcp_relays = g_list_prepend (alloc->tcp_relays, relay);
  return relay;
}

/* Sends the answer to a Connect request, signed with the allocation's key. */
static void
tcp_relay_answer_connect (TcpRelay *relay,
                          guint     code)
{
  Allocation *alloc = relay->alloc;
  NavTurnServer *self = relay->server;
  guint8 buf[256];
  NavStunMessageBuilder *b;
  gsize n;

  relay->connect_pending = FALSE;
  if (alloc == NULL || alloc->conn == NULL)
    return;
  b = nav_stun_message_builder_new_with_buffer (code == 0 ? NAV_STUN_CLASS_SUCCESS_RESPONSE
                                                          : NAV_STUN_CLASS_ERROR_RESPONSE,
                                                NAV_STUN_METHOD_CONNECT, relay->connect_txid,
                                                buf, sizeof buf);
  if (code == 0)
    nav_stun_message_builder_add_uint32 (b, NAV_STUN_ATTRIBUTE_CONNECTION_ID, relay->id, NULL);
  else
    {
      count_error (self, code);
      nav_stun_message_builder_add_error_code (b, code, nav_stun_error_code_get_reason (code), NULL);
    }
  if (alloc->auth_key_len > 0 && alloc->auth_sha256)
    nav_stun_message_builder_add_message_integrity_sha256 (b, alloc->auth_key, alloc->auth_key_len, 0, NULL);
  else if (alloc->auth_key_len > 0)
    nav_stun_message_builder_add_message_integrity (b, alloc->auth_key, alloc->auth_key_len, NULL);
  nav_stun_message_builder_add_fingerprint (b, NULL);
  n = nav_stun_message_builder_finish_to_buffer (b, NULL);
  nav_stun_message_builder_unref (b);
  if (n > 0)
    {
      self->counters.answered++;
      conn_write (alloc->conn, buf, n);
    }
}

static gboolean
tcp_relay_connected (gint         fd,
                     GIOCondition condition,
                     gpointer     user_data)
{
  TcpRelay *relay = user_data;
  int err = 0;
  socklen_t len = sizeof err;

  g_source_destroy (relay->connect_source);
  g_clear_pointer (&relay->connect_source, g_source_unref);
  if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0)
    {
      tcp_relay_answer_connect (relay, 447);
      tcp_relay_destroy (relay);
      return G_SOURCE_REMOVE;
    }
  relay->connect_fd = -1;
  relay->peer_conn = conn_new (relay->server, CONN_PEER, fd, FALSE, FALSE);
  relay->peer_conn->relay = relay;
  relay->deadline = now_us () + TCP_RELAY_TIMEOUT;
  tcp_relay_answer_connect (relay, 0);
  return G_SOURCE_REMOVE;
}

/* RFC 6062 §5.2 */
static gsize
handle_connect (Request *r)
{
  NavAddress peer;
  struct sockaddr_storage ss;
  socklen_t sl;
  TcpRelay *relay;
  guint code;
  int fd;

  r->self->counters.connect_requests++;
  if (r->alloc == NULL)
    return respond_error (r, 437);
  if (!r->alloc->tcp_relay ||
      !nav_stun_message_get_xor_address (r->msg, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, &peer, NULL))
    return respond_error (r, 400);
  if ((code = check_peer (r, &peer)) != 0)
    return respond_error (r, code);
  for (GList *l = r->alloc->tcp_relays; l != NULL; l = l->next)
    if (nav_address_equal (&((TcpRelay *) l->data)->peer, &peer))
      return respond_error (r, 446);

  fd = bind_socket (&first_relay (r->alloc)->addr, SOCK_STREAM,
                    nav_address_get_port (&first_relay (r->alloc)->addr), TRUE);
  if (fd < 0)
    return respond_error (r, 447);
  sl = nav_address_copy_to_sockaddr (&peer, (struct sockaddr *) &ss, sizeof ss);
  if (connect (fd, (struct sockaddr *) &ss, sl) < 0 && errno != EINPROGRESS)
    {
      close (fd);
      return respond_error (r, 447);
    }
  permission_install (r->alloc, &peer, now_us ());
  relay = tcp_relay_new (r->alloc, &peer);
  relay->connect_fd = fd;
  relay->connect_pending = TRUE;
  memcpy (relay->connect_txid, r->req + 8, 12);
  relay->connect_source = g_unix_fd_source_new (fd, G_IO_OUT | G_IO_ERR | G_IO_HUP);
  g_source_set_callback (relay->connect_source, G_SOURCE_FUNC (tcp_relay_connected), relay, NULL);
  g_source_attach (relay->connect_source, r->self->context);
  return 0;                     /* answered when connected */
}

/* RFC 6062 §5.3: a peer connects to the relayed address */
static gboolean
tcp_relay_incoming (gint         fd,
                    GIOCondition condition,
                    gpointer     user_data)
{
  Allocation *alloc = user_data;
  NavTurnServer *self = alloc->server;
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  NavAddress peer;
  int cfd;

  while (!alloc->dead && (cfd = accept4 (fd, (struct sockaddr *) &ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
    {
      TcpRelay *relay;
      guint8 buf[128], txid[12];
      NavStunMessageBuilder *b;
      gsize n;

      nav_address_set_from_sockaddr (&peer, (struct sockaddr *) &ss, sl);
      sl = sizeof ss;
      if (alloc->conn == NULL || permission_lookup (alloc, &peer, now_us ()) == NULL)
        {
          self->counters.dropped_no_permission++;
          close (cfd);
          continue;
        }
      relay = tcp_relay_new (alloc, &peer);
      relay->peer_conn = conn_new (self, CONN_PEER, cfd, FALSE, FALSE);
      relay->peer_conn->relay = relay;
      for (guint i = 0; i < 12; i++)
        txid[i] = g_random_int () & 0xFF;
      b = nav_stun_message_builder_new_with_buffer (NAV_STUN_CLASS_INDICATION,
                                                    NAV_STUN_METHOD_CONNECTION_ATTEMPT,
                                                    txid, buf, sizeof buf);
      nav_stun_message_builder_add_uint32 (b, NAV_STUN_ATTRIBUTE_CONNECTION_ID, relay->id, NULL);
      nav_stun_message_builder_add_xor_address (b, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, &peer, NULL);
      nav_stun_message_builder_add_fingerprint (b, NULL);
      n = nav_stun_message_builder_finish_to_buffer (b, NULL);
      nav_stun_message_builder_unref (b);
      if (n > 0)
        conn_write (alloc->conn, buf, n);
    }
  return G_SOURCE_CONTINUE;
}

/* RFC 6062 §5.4: ConnectionBind on a new connection makes it the data
 * connection of a peer connection. */
static gsize
handle_connection_bind (Request *r)
{
  TcpRelay *relay;
  guint32 id;
  gsize n;
  NavStunMessageBuilder *b;

  r->self->counters.connection_binds++;
  if (r->conn == NULL || r->conn->alloc != NULL || r->conn->piped ||
      !nav_stun_message_get_uint32 (r->msg, NAV_STUN_ATTRIBUTE_CONNECTION_ID, &id, NULL))
    return respond_error (r, 400);
  relay = g_hash_table_lookup (r->self->tcp_relays, GUINT_TO_POINTER (id));
  if (relay == NULL || relay->data_conn != NULL || relay->peer_conn == NULL ||
      relay->connect_pending || relay->alloc == NULL)
    return respond_error (r, 400);
  if (g_strcmp0 (relay->alloc->username, r->username) != 0)
    return respond_error (r, 441);
  b = response_begin (r, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  n = response_finish (r, b, TRUE);
  relay->data_conn = r->conn;
  r->conn->relay = relay;
  r->conn->piped = TRUE;
  r->conn->partner = relay->peer_conn;
  relay->peer_conn->partner = r->conn;
  relay->peer_conn->piped = TRUE;
  conn_resume_reading (relay->peer_conn);
  return n;
}

/* ---------------------------------------------------------------- */
/* Dispatch                                                           */

static gsize
handle_binding (Request *r)
{
  NavStunMessageBuilder *b = response_begin (r, NAV_STUN_CLASS_SUCCESS_RESPONSE);

  r->self->counters.binding_requests++;
  nav_stun_message_builder_add_xor_mapped_address (b, r->from, NULL);
  return response_finish (r, b, FALSE);
}

/* RFC 8489 §11.2 (RFC 5389 §12.2): a Binding request without the magic
 * cookie comes from an RFC 3489 client, libnice's server-reflexive
 * discovery for one.  It is answered over UDP with MAPPED-ADDRESS (an
 * RFC 3489 client does not know XOR-MAPPED-ADDRESS), the request's whole
 * 16-byte transaction ID echoed.  Its attributes are laid out as in RFC
 * 8489, so the codec reads them once the cookie is in place; an unknown
 * comprehension-required one gets 420.  Returns 0 when @r is not such a
 * request. */
static gsize
handle_rfc3489_binding (Request *r)
{
  const guint8 *data = r->req;
  guint8 patched[UDP_RECV_SIZE];
  g_autoptr (NavStunMessage) msg = NULL;
  NavStunMessageBuilder *b;
  const guint16 *unknown;
  gsize n_unknown, n;
  guint16 body;

  if (r->conn != NULL || r->req_len < NAV_STUN_HEADER_LENGTH ||
      r->req_len > sizeof patched || data[0] != 0x00 || data[1] != 0x01 ||
      (data[4] == 0x21 && data[5] == 0x12 && data[6] == 0xA4 && data[7] == 0x42))
    return 0;
  body = (guint16) ((data[2] << 8) | data[3]);
  if ((body & 3) != 0 || (gsize) body + NAV_STUN_HEADER_LENGTH != r->req_len)
    return 0;
  memcpy (patched, data, r->req_len);
  patched[4] = 0x21;
  patched[5] = 0x12;
  patched[6] = 0xA4;
  patched[7] = 0x42;
  msg = nav_stun_message_parse_full (patched, r->req_len,
                                     NAV_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED, NULL);
  if (msg == NULL)
    return 0;
  r->method = NAV_STUN_METHOD_BINDING;
  r->fingerprint = FALSE;       /* it would not cover the bytes sent */
  unknown = nav_stun_message_get_unknown_required_attributes (msg, &n_unknown);
  if (n_unknown > 0)
    {
      b = response_begin (r, NAV_STUN_CLASS_ERROR_RESPONSE);
      count_error (r->self, 420);
      nav_stun_message_builder_add_error_code (b, 420, nav_stun_error_code_get_reason (420), NULL);
      nav_stun_message_builder_add_unknown_attributes (b, unknown, MIN (n_unknown, 32), NULL);
    }
  else
    {
      b = response_begin (r, NAV_STUN_CLASS_SUCCESS_RESPONSE);
      r->self->counters.binding_requests++;
      nav_stun_message_builder_add_mapped_address (b, r->from, NULL);
    }
  n = response_finish (r, b, FALSE);
  if (n >= NAV_STUN_HEADER_LENGTH)
    {
      memcpy (r->out + 4, data + 4, 4);
      r->self->counters.rfc3489_requests++;
    }
  return n;
}

/* Handles one STUN message from a client.  Returns the size of the
 * response written to r->out, 0 for none. */
static gsize
handle_stun (Request *r)
{
  NavTurnServer *self = r->self;
  g_autoptr (GError) error = NULL;
  NavStunClass klass;
  const guint16 *unknown;
  gsize n_unknown, resp = 0;

  if (!nav_stun_message_peek_type (r->req, r->req_len, &klass, &r->method))
    {
      resp = handle_rfc3489_binding (r);
      if (resp == 0)
        self->counters.dropped_not_stun++;
      return resp;
    }
  r->msg = nav_stun_message_parse_full (r->req, r->req_len,
                                        NAV_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED, &error);
  if (r->msg == NULL)
    {
      if (klass == NAV_STUN_CLASS_REQUEST &&
          g_error_matches (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_LENGTH) &&
          nav_stun_message_peek_length (r->req, r->req_len) == (gssize) r->req_len)
        return respond_error (r, 400);
      self->counters.dropped_malformed++;
      return 0;
    }
  r->fingerprint = nav_stun_message_has_fingerprint (r->msg);

  if (klass == NAV_STUN_CLASS_INDICATION)
    {
      if (r->method == NAV_STUN_METHOD_SEND)
        handle_send (r);
      else
        self->counters.dropped_unexpected++;
      return 0;
    }
  if (klass != NAV_STUN_CLASS_REQUEST)
    {
      self->counters.dropped_unexpected++;
      return 0;
    }
  unknown = nav_stun_message_get_unknown_required_attributes (r->msg, &n_unknown);
  if (n_unknown > 0)
    {
      NavStunMessageBuilder *b = response_begin (r, NAV_STUN_CLASS_ERROR_RESPONSE);

      count_error (self, 420);
      nav_stun_message_builder_add_error_code (b, 420, nav_stun_error_code_get_reason (420), NULL);
      nav_stun_message_builder_add_unknown_attributes (b, unknown, MIN (n_unknown, 32), NULL);
      return response_finish (r, b, FALSE);
    }
  /* As coturn does, a TURN server answers Binding too, without
   * credentials (RFC 8489 §3). */
  if (r->method == NAV_STUN_METHOD_BINDING)
    return handle_binding (r);

  switch (r->method)
    {
    case NAV_STUN_METHOD_ALLOCATE:
    case NAV_STUN_METHOD_REFRESH:
    case NAV_STUN_METHOD_CREATE_PERMISSION:
    case NAV_STUN_METHOD_CHANNEL_BIND:
    case NAV_STUN_METHOD_CONNECT:
    case NAV_STUN_METHOD_CONNECTION_BIND:
      break;
    default:
      return respond_error (r, 400);
    }
  if (r->conn != NULL && r->conn->piped)
    return respond_error (r, 400);
  if (!authenticate (r, &resp))
    return resp;

  switch (r->method)
    {
    case NAV_STUN_METHOD_ALLOCATE:
      return handle_allocate (r);
    case NAV_STUN_METHOD_REFRESH:
      return handle_refresh (r);
    case NAV_STUN_METHOD_CREATE_PERMISSION:
      return handle_create_permission (r);
    case NAV_STUN_METHOD_CHANNEL_BIND:
      return handle_channel_bind (r);
    case NAV_STUN_METHOD_CONNECT:
      return handle_connect (r);
    case NAV_STUN_METHOD_CONNECTION_BIND:
      return handle_connection_bind (r);
    default:
      return respond_error (r, 400);
    }
}

static void
request_clear (Request *r)
{
  g_clear_pointer (&r->msg, nav_stun_message_unref);
  g_clear_pointer (&r->username, g_free);
}

/* ChannelData from a client (RFC 8656 §12.4) */
static void
handle_channel_data (NavTurnServer *self,
                     Allocation    *alloc,
                     const guint8  *data,
                     gsize          len)
{
  guint16 number = rd16 (data), plen = rd16 (data + 2);
  gint64 now;
  Channel *ch;

  if (alloc == NULL)
    {
      self->counters.dropped_no_allocation++;
      return;
    }
  if ((gsize) plen + 4 > len)
    {
      self->counters.dropped_malformed++;
      return;
    }
  now = now_us ();
  ch = g_hash_table_lookup (alloc->channels, GUINT_TO_POINTER (number));
  if (ch == NULL || ch->expires <= now)
    {
      self->counters.dropped_no_channel++;
      return;
    }
  if (permission_lookup (alloc, &ch->peer, now) == NULL)
    {
      self->counters.dropped_no_permission++;
      return;
    }
  relay_to_peer (alloc, &ch->peer, data + 4, plen, now, alloc->dont_fragment);
}

/* ---------------------------------------------------------------- */
/* UDP listeners                                                      */

static gboolean
udp_readable (gint         fd,
              GIOCondition condition,
              gpointer     user_data)
{
  Listener *listener = user_data;
  NavTurnServer *self = listener->server;
  Batch *batch = self->batch;
  guint round;

  for (round = 0; round < UDP_ROUNDS; round++)
    {
      guint i;
      int n;

      for (i = 0; i < UDP_BATCH; i++)
        {
          batch->rx_iov[i].iov_base = batch->rx_buf[i];
          batch->rx_iov[i].iov_len = UDP_RECV_SIZE;
          memset (&batch->rx_msgs[i].msg_hdr, 0, sizeof batch->rx_msgs[i].msg_hdr);
          batch->rx_msgs[i].msg_hdr.msg_name = &batch->rx_addr[i];
          batch->rx_msgs[i].msg_hdr.msg_namelen = sizeof batch->rx_addr[i];
          batch->rx_msgs[i].msg_hdr.msg_iov = &batch->rx_iov[i];
          batch->rx_msgs[i].msg_hdr.msg_iovlen = 1;
        }
      n = recvmmsg (listener->fd, batch->rx_msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
      if (n <= 0)
        break;
      self->counters.received += n;

      for (i = 0; i < (guint) n; i++)
        {
          const guint8 *data = batch->rx_buf[i];
          gsize len = batch->rx_msgs[i].msg_len;
          UdpKey key;
          Allocation *alloc;

          if (batch->rx_msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
            {
              self->counters.dropped_oversize++;
              continue;
            }
          if (len < 4 ||
              !nav_address_set_from_sockaddr (&key.client, (struct sockaddr *) &batch->rx_addr[i],
                                              batch->rx_msgs[i].msg_hdr.msg_namelen))
            {
              self->counters.dropped_malformed++;
              continue;
            }
          key.via = listener;
          alloc = g_hash_table_lookup (self->udp_allocations, &key);

          if ((data[0] & 0xC0) == 0x40)
            {
              /* the fast path: ChannelData */
              handle_channel_data (self, alloc, data, len);
            }
          else if ((data[0] & 0xC0) == 0)
            {
              Request r = { 0 };
              gsize resp;

              r.self = self;
              r.via = listener;
              r.from = &key.client;
              r.local = &listener->local;
              r.alloc = alloc;
              r.req = data;
              r.req_len = len;
              r.out = batch->out;
              r.out_size = sizeof batch->out;
              resp = handle_stun (&r);
              if (resp > 0)
                {
                  self->counters.answered++;
                  udp_send (self, listener, &key.client, batch->out, resp);
                }
              request_clear (&r);
            }
          else
            self->counters.dropped_not_stun++;
        }
      /* the payloads queued for peers are in rx_buf, read again next */
      peer_flush (self);
      if (n < UDP_BATCH)
        break;
    }
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------- */
/* TCP and TLS connections                                            */

static void
conn_free (Conn *conn)
{
  g_clear_object (&conn->handshake);
  g_clear_object (&conn->stream);
  g_clear_object (&conn->socket);
  g_free (conn->rbuf);
  if (conn->wbuf != NULL)
    g_byte_array_unref (conn->wbuf);
  g_free (conn);
}

static void
conn_close (Conn *conn)
{
  NavTurnServer *self = conn->server;

  if (conn->closed)
    return;
  conn->closed = TRUE;
  g_hash_table_remove (self->conns, conn);
  if (conn->in_source != NULL)
    {
      g_source_destroy (conn->in_source);
      g_clear_pointer (&conn->in_source, g_source_unref);
    }
  if (conn->out_source != NULL)
    {
      g_source_destroy (conn->out_source);
      g_clear_pointer (&conn->out_source, g_source_unref);
    }
  if (conn->handshake != NULL)
    g_cancellable_cancel (conn->handshake);
  if (conn->socket != NULL)
    g_socket_close (conn->socket, NULL);
  /* With the socket closed underneath, closing the TLS layer sends nothing
   * and cannot block; it also ends the connection's TLS worker. */
  if (conn->stream != NULL)
    g_io_stream_close (conn->stream, NULL, NULL);
  /* RFC 6062 §4: the allocation lives as long as its control connection */
  if (conn->alloc != NULL)
    allocation_destroy (conn->alloc, "connection-closed");
  if (conn->partner != NULL)
    {
      Conn *partner = conn->partner;

      conn->partner = NULL;
      partner->partner = NULL;
      conn_close (partner);
    }
  if (conn->relay != NULL)
    {
      TcpRelay *relay = conn->relay;

      if (relay->peer_conn == conn)
        relay->peer_conn = NULL;
      if (relay->data_conn == conn)
        relay->data_conn = NULL;
      conn->relay = NULL;
      tcp_relay_destroy (relay);
    }
  g_ptr_array_add (self->dead_conns, conn);
  schedule_reap (self);
}

static gboolean conn_writable (GObject *stream, gpointer user_data);

static void
conn_flush (Conn *conn)
{
  while (!conn->closed && conn->woff < conn->wbuf->len)
    {
      gboolean would_block = FALSE;
      gssize n;

      if (!conn->tls)
        {
          /* plain TCP: no GError to make and free at every full buffer */
          n = send (conn->fd, conn->wbuf->data + conn->woff, conn->wbuf->len - conn->woff,
                    MSG_DONTWAIT | MSG_NOSIGNAL);
          if (n < 0 && errno == EINTR)
            continue;
          would_block = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        }
      else
        {
          g_autoptr (GError) error = NULL;
          /* GnuTLS: a write that would block is to be retried with the
           * same bytes, however much was queued since; a record at a
           * time */
          gsize len = conn->tls_retry > 0 ? conn->tls_retry
                                          : MIN (conn->wbuf->len - conn->woff, 16384);

          n = g_pollable_output_stream_write_nonblocking (conn->out, conn->wbuf->data + conn->woff,
                                                          len, NULL, &error);
          would_block = n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          conn->tls_retry = would_block ? len : 0;
        }
      if (n < 0)
        {
          if (would_block)
            {
              if (conn->out_source == NULL)
                {
                  conn->out_source = g_pollable_output_stream_create_source (conn->out, NULL);
                  g_source_set_callback (conn->out_source, G_SOURCE_FUNC (conn_writable), conn, NULL);
                  g_source_attach (conn->out_source, conn->server->context);
                }
              return;
            }
          conn_close (conn);
          return;
        }
      conn->woff += n;
    }
  if (conn->closed)
    return;
  g_byte_array_set_size (conn->wbuf, 0);
  conn->woff = 0;
  if (conn->out_source != NULL)
    {
      g_source_destroy (conn->out_source);
      g_clear_pointer (&conn->out_source, g_source_unref);
    }
  if (conn->partner != NULL && conn->partner->read_paused)
    conn_resume_reading (conn->partner);
}

static gboolean
conn_writable (GObject  *stream,
               gpointer  user_data)
{
  Conn *conn = user_data;

  g_clear_pointer (&conn->out_source, g_source_unref);
  conn_flush (conn);
  return G_SOURCE_REMOVE;
}

/* Appends to what @conn has to write, without writing; FALSE when
 * dropped. */
static gboolean
conn_queue (Conn         *conn,
            const guint8 *data,
            gsize         len)
{
  if (conn->closed)
    return FALSE;
  if (!conn->piped && conn->wbuf->len - conn->woff + len > CONN_WRITE_MAX)
    {
      /* the client does not keep up: drop, as a UDP path would */
      conn->server->counters.dropped_congested++;
      return FALSE;
    }
  g_byte_array_append (conn->wbuf, data, len);
  return TRUE;
}

static void
conn_write (Conn         *conn,
            const guint8 *data,
            gsize         len)
{
  if (conn_queue (conn, data, len) && conn->out_source == NULL)
    conn_flush (conn);
}

static gboolean conn_readable (GObject *stream, gpointer user_data);

static void
conn_resume_reading (Conn *conn)
{
  conn->read_paused = FALSE;
  if (conn->closed || conn->in_source != NULL)
    return;
  conn->in_source = g_pollable_input_stream_create_source (conn->in, NULL);
  g_source_set_callback (conn->in_source, G_SOURCE_FUNC (conn_readable), conn, NULL);
  g_source_attach (conn->in_source, conn->server->context);
}

static void
conn_pause_reading (Conn *conn)
{
  conn->read_paused = TRUE;
  if (conn->in_source != NULL)
    {
      g_source_destroy (conn->in_source);
      g_clear_pointer (&conn->in_source, g_source_unref);
    }
}

/* Frames of a control connection: STUN messages and padded ChannelData
 * (RFC 8656 §12.5).  Returns the bytes consumed. */
static gsize
conn_process (Conn *conn)
{
  NavTurnServer *self = conn->server;
  gsize off = 0;

  while (!conn->closed && !conn->piped && conn->rlen - off >= 4)
    {
      const guint8 *p = conn->rbuf + off;
      gsize avail = conn->rlen - off, total;

      if ((p[0] & 0xC0) == 0)
        {
          if (avail < NAV_STUN_HEADER_LENGTH)
            break;
          total = NAV_STUN_HEADER_LENGTH + rd16 (p + 2);
          if (avail < total)
            break;
          {
            Request r = { 0 };
            guint8 out[1024];
            gsize resp;

            self->counters.received++;
            r.self = self;
            r.conn = conn;
            r.from = &conn->remote;
            r.local = &conn->local;
            r.alloc = conn->alloc;
            r.req = p;
            r.req_len = total;
            r.out = out;
            r.out_size = sizeof out;
            resp = handle_stun (&r);
            request_clear (&r);
            if (resp > 0)
              {
                self->counters.answered++;
                conn_write (conn, out, resp);
              }
          }
          off += total;
        }
      else if ((p[0] & 0xC0) == 0x40)
        {
          total = 4 + ((rd16 (p + 2) + 3) & ~3u);
          if (avail < total)
            break;
          self->counters.received++;
          handle_channel_data (self, conn->alloc, p, total);
          off += total;
        }
      else
        {
          /* not TURN: a stream cannot resynchronise */
          self->counters.dropped_not_stun++;
          peer_flush (self);
          conn_close (conn);
          return off;
        }
    }
  /* the payloads queued for peers are in rbuf, about to move */
  peer_flush (self);
  return off;
}

/* Reads what is there without blocking: bytes, 0 at the end of the
 * stream, -1 on error or with *would_block. */
static gssize
conn_read (Conn     *conn,
           guint8   *buf,
           gsize     size,
           gboolean *would_block)
{
  gssize n;

  *would_block = FALSE;
  if (!conn->tls)
    {
      /* plain TCP: no GError to make and free at every drained socket */
      do
        n = recv (conn->fd, buf, size, MSG_DONTWAIT);
      while (n < 0 && errno == EINTR);
      *would_block = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
  else
    {
      g_autoptr (GError) error = NULL;

      n = g_pollable_input_stream_read_nonblocking (conn->in, buf, size, NULL, &error);
      *would_block = n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
    }
  return n;
}

static gboolean
conn_readable (GObject  *stream,
               gpointer  user_data)
{
  Conn *conn = user_data;
  guint rounds;

  for (rounds = 0; rounds < 16 && !conn->closed && !conn->read_paused; rounds++)
    {
      gboolean would_block = FALSE;
      gssize n;

      if (conn->piped)
        {
          guint8 buf[16384];

          n = conn_read (conn, buf, sizeof buf, &would_block);
          if (n > 0 && conn->partner != NULL)
            {
              conn_write (conn->partner, buf, n);
              if (conn->kind == CONN_PEER)
                {
                  conn->server->counters.bytes_from_peer += n;
                  conn->server->counters.packets_from_peer++;
                }
              else
                {
                  conn->server->counters.bytes_to_peer += n;
                  conn->server->counters.packets_to_peer++;
                }
              if (conn->partner != NULL && conn->partner->wbuf->len > PIPE_HIGH)
                conn_pause_reading (conn);
            }
        }
      else
        {
          if (conn->rcap - conn->rlen < 4096 && conn->rcap < CONN_READ_MAX)
            {
              conn->rcap = MIN (conn->rcap * 2, CONN_READ_MAX);
              conn->rbuf = g_realloc (conn->rbuf, conn->rcap);
            }
          n = conn_read (conn, conn->rbuf + conn->rlen, conn->rcap - conn->rlen, &would_block);
          if (n > 0)
            {
              gsize used;

              /* a busy connection filled the buffer: a bigger one, so
               * that a wake-up reads (and relays) more at once */
              if ((gsize) n == conn->rcap - conn->rlen && conn->rcap < CONN_READ_MAX)
                {
                  conn->rcap = MIN (conn->rcap * 2, CONN_READ_MAX);
                  conn->rbuf = g_realloc (conn->rbuf, conn->rcap);
                }
              conn->rlen += n;
              used = conn_process (conn);
              if (conn->closed)
                break;
              memmove (conn->rbuf, conn->rbuf + used, conn->rlen - used);
              conn->rlen -= used;
              if (conn->piped && conn->rlen > 0 && conn->partner != NULL)
                {
                  /* bytes that followed ConnectionBind belong to the peer */
                  conn_write (conn->partner, conn->rbuf, conn->rlen);
                  conn->rlen = 0;
                }
            }
        }
      if (n < 0 && would_block)
        break;
      if (n <= 0)
        {
          conn_close (conn);
          break;
        }
      conn->last_activity = now_us ();
    }
  return G_SOURCE_CONTINUE;
}

static void
tls_handshake_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GCancellable *cancellable = user_data;
  g_autoptr (GError) error = NULL;
  gboolean ok = g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error);
  Conn *conn;

  /* a connection closed meanwhile has cancelled its handshake, and may
   * be gone: it is only looked at when not cancelled */
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_object_unref (cancellable);
      return;
    }
  conn = g_object_get_data (G_OBJECT (cancellable), "nav-turn-conn");
  g_object_unref (cancellable);
  if (!ok)
    {
      g_debug ("event=tls-handshake-failed error=\"%s\"", error->message);
      conn->server->counters.dropped_malformed++;
      conn_close (conn);
      return;
    }
  conn_resume_reading (conn);
}

static Conn *
conn_new (NavTurnServer *self,
          ConnKind       kind,
          int            fd,
          gboolean       tls,
          gboolean       start_reading)
{
  g_autoptr (GError) error = NULL;
  Conn *conn;
  GSocket *socket;

  socket = g_socket_new_from_fd (fd, &error);
  if (socket == NULL)
    {
      close (fd);
      return NULL;
    }
  g_socket_set_blocking (socket, FALSE);
  conn = g_new0 (Conn, 1);
  conn->server = self;
  conn->kind = kind;
  conn->tls = tls;
  conn->socket = socket;
  conn->fd = fd;
  conn->stream = G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
  if (tls)
    {
      GIOStream *tls_stream = g_tls_server_connection_new (conn->stream, self->certificate, &error);

      if (tls_stream == NULL)
        {
          g_warning ("event=tls-failed error=\"%s\"", error->message);
          g_hash_table_add (self->conns, conn);
          conn_close (conn);
          return NULL;
        }
      g_object_unref (conn->stream);
      conn->stream = tls_stream;
    }
  conn->in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (conn->stream));
  conn->out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (conn->stream));
  conn->rcap = 4096;
  conn->rbuf = g_malloc (conn->rcap);
  conn->wbuf = g_byte_array_new ();
  conn->last_activity = now_us ();
  {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;

    if (getpeername (fd, (struct sockaddr *) &ss, &sl) == 0)
      nav_address_set_from_sockaddr (&conn->remote, (struct sockaddr *) &ss, sl);
    sl = sizeof ss;
    if (getsockname (fd, (struct sockaddr *) &ss, &sl) == 0)
      nav_address_set_from_sockaddr (&conn->local, (struct sockaddr *) &ss, sl);
  }
  {
    int one = 1;

    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  g_hash_table_add (self->conns, conn);
  if (tls)
    {
      /* an explicit handshake first, as the STUN server does */
      conn->handshake = g_cancellable_new ();
      g_object_set_data (G_OBJECT (conn->handshake), "nav-turn-conn", conn);
      g_tls_connection_handshake_async (G_TLS_CONNECTION (conn->stream), G_PRIORITY_DEFAULT,
                                        conn->handshake, tls_handshake_done,
                                        g_object_ref (conn->handshake));
    }
  else if (start_reading)
    conn_resume_reading (conn);
  else
    conn->read_paused = TRUE;
  return conn;
}

static gboolean
tcp_acceptable (gint         fd,
                GIOCondition condition,
                gpointer     user_data)
{
  Listener *listener = user_data;
  NavTurnServer *self = listener->server;
  int cfd;
  guint i;

  for (i = 0; i < 64 && (cfd = accept4 (fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0; i++)
    {
      if (listener->kind == LISTENER_TLS)
        self->counters.tls_accepted++;
      else
        self->counters.tcp_accepted++;
      conn_new (self, CONN_CLIENT, cfd, listener->kind == LISTENER_TLS, TRUE);
    }
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------- */
/* Housekeeping                                                       */

static gboolean
reap (gpointer user_data)
{
  NavTurnServer *self = user_data;

  g_clear_pointer (&self->reap_source, g_source_unref);
  g_ptr_array_set_size (self->dead_allocations, 0);
  g_ptr_array_set_size (self->dead_conns, 0);
  return G_SOURCE_REMOVE;
}

static void
schedule_reap (NavTurnServer *self)
{
  if (self->reap_source != NULL)
    return;
  self->reap_source = g_idle_source_new ();
  g_source_set_priority (self->reap_source, G_PRIORITY_HIGH_IDLE);
  g_source_set_callback (self->reap_source, reap, self, NULL);
  g_source_attach (self->reap_source, self->context);
}

static gboolean
expired_permission (gpointer key, gpointer value, gpointer user_data)
{
  return ((Permission *) value)->expires <= *(gint64 *) user_data;
}

static gboolean
expired_reservation (gpointer key, gpointer value, gpointer user_data)
{
  return ((Reservation *) value)->expires <= *(gint64 *) user_data;
}

/* Once a second: deletes what has expired (RFC 8656 §7, §9, §12). */
static gboolean
sweep (gpointer user_data)
{
  NavTurnServer *self = user_data;
  gint64 now = now_us ();
  g_autoptr (GPtrArray) expired = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->allocations);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Allocation *alloc = key;
      GHashTableIter ci;
      gpointer cv;

      if (alloc->expires <= now)
        {
          g_ptr_array_add (expired, alloc);
          continue;
        }
      g_hash_table_foreach_remove (alloc->permissions, expired_permission, &now);
      g_hash_table_iter_init (&ci, alloc->channels);
      while (g_hash_table_iter_next (&ci, NULL, &cv))
        {
          Channel *ch = cv;

          /* RFC 8656 §12: an expired channel stays unusable for five
           * minutes before its number and peer may be rebound */
          if (ch->expires + 300 * G_USEC_PER_SEC <= now)
            {
              g_hash_table_remove (alloc->channels_by_peer, &ch->peer);
              g_hash_table_iter_remove (&ci);
            }
        }
      for (GList *l = alloc->tcp_relays; l != NULL;)
        {
          TcpRelay *relay = l->data;

          l = l->next;
          if (relay->data_conn == NULL && relay->deadline <= now)
            {
              if (relay->connect_pending)
                tcp_relay_answer_connect (relay, 447);
              tcp_relay_destroy (relay);
            }
        }
    }
  for (guint i = 0; i < expired->len; i++)
    {
      self->counters.allocations_expired++;
      allocation_destroy (expired->pdata[i], "expired");
    }
  g_hash_table_foreach_remove (self->reservations, expired_reservation, &now);

  /* connections that never allocated anything are not kept forever */
  {
    g_autoptr (GPtrArray) idle = g_ptr_array_new ();

    g_hash_table_iter_init (&iter, self->conns);
    while (g_hash_table_iter_next (&iter, &key, &value))
      {
        Conn *conn = key;

        if (conn->kind == CONN_CLIENT && conn->alloc == NULL && !conn->piped &&
            conn->last_activity + IDLE_CONN_TIMEOUT <= now)
          g_ptr_array_add (idle, conn);
      }
    for (guint i = 0; i < idle->len; i++)
      conn_close (idle->pdata[i]);
  }
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------- */
/* Start and stop                                                     */

static gboolean
check_configuration (NavTurnServer  *self,
                     GError        **error)
{
  if (self->min_port > self->max_port)
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("The relay port range is empty: min-port %u is above max-port %u"),
                   self->min_port, self->max_port);
      return FALSE;
    }
  if ((self->lt_cred_mech || self->use_auth_secret) &&
      (self->realm == NULL || self->realm[0] == '\0'))
    {
      g_set_error_literal (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                           _("The long-term credential mechanism needs a realm"));
      return FALSE;
    }
  if (self->use_auth_secret && (self->static_auth_secret == NULL || self->static_auth_secret[0] == '\0'))
    {
      g_set_error_literal (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                           _("use-auth-secret needs static-auth-secret"));
      return FALSE;
    }
  if (!self->lt_cred_mech && !self->use_auth_secret && !self->no_auth)
    {
      g_set_error_literal (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                           _("The TURN server needs credentials: give lt-cred-mech with users, "
                             "or use-auth-secret, or no-auth for an open relay"));
      return FALSE;
    }
  if (self->default_allocate_lifetime > self->max_allocate_lifetime)
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("The default allocation lifetime %u is above the maximum %u"),
                   self->default_allocate_lifetime, self->max_allocate_lifetime);
      return FALSE;
    }
  return TRUE;
}

static void
pick_interface_address (GSocketFamily  family,
                        NavAddress    *out,
                        gboolean      *found)
{
  struct ifaddrs *ifa_list = NULL, *ifa;
  gboolean have_loopback = FALSE;
  NavAddress loopback;

  *found = FALSE;
  if (getifaddrs (&ifa_list) < 0)
    return;
  for (ifa = ifa_list; ifa != NULL; ifa = ifa->ifa_next)
    {
      NavAddress a;

      if (ifa->ifa_addr == NULL ||
          ifa->ifa_addr->sa_family != (family == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET))
        continue;
      if (!nav_address_set_from_sockaddr (&a, ifa->ifa_addr,
                                          family == G_SOCKET_FAMILY_IPV6 ? sizeof (struct sockaddr_in6)
                                                                         : sizeof (struct sockaddr_in)))
        continue;
      if (nav_address_is_link_local (&a))
        continue;
      if (nav_address_is_loopback (&a))
        {
          if (!have_loopback)
            loopback = a;
          have_loopback = TRUE;
          continue;
        }
      *out = a;
      *found = TRUE;
      break;
    }
  freeifaddrs (ifa_list);
  if (!*found && have_loopback)
    {
      *out = loopback;
      *found = TRUE;
    }
}

static gboolean
setup_relay_addresses (NavTurnServer  *self,
                       gchar         **ips,
                       GError        **error)
{
  guint i;

  self->have_relay4 = self->have_relay6 = FALSE;
  if (self->relay_ip != NULL && self->relay_ip[0] != '\0')
    {
      g_auto (GStrv) parts = g_strsplit_set (self->relay_ip, ", ", -1);

      for (i = 0; parts[i] != NULL; i++)
        {
          NavAddress a;

          if (parts[i][0] == '\0')
            continue;
          if (!nav_address_set_ip_from_string (&a, parts[i], error))
            return FALSE;
          if (nav_address_get_family (&a) == G_SOCKET_FAMILY_IPV6 && !self->have_relay6)
            self->relay6 = a, self->have_relay6 = TRUE;
          else if (nav_address_get_family (&a) == G_SOCKET_FAMILY_IPV4 && !self->have_relay4)
            self->relay4 = a, self->have_relay4 = TRUE;
        }
      return TRUE;
    }
  /* default: the listening addresses, or an interface address */
  for (i = 0; ips[i] != NULL; i++)
    {
      NavAddress a;

      if (!nav_address_set_ip_from_string (&a, ips[i], NULL) || nav_address_is_any (&a))
        continue;
      if (nav_address_get_family (&a) == G_SOCKET_FAMILY_IPV6 && !self->have_relay6)
        self->relay6 = a, self->have_relay6 = TRUE;
      else if (nav_address_get_family (&a) == G_SOCKET_FAMILY_IPV4 && !self->have_relay4)
        self->relay4 = a, self->have_relay4 = TRUE;
    }
  for (i = 0; ips[i] != NULL; i++)
    {
      NavAddress a;

      if (!nav_address_set_ip_from_string (&a, ips[i], NULL) || !nav_address_is_any (&a))
        continue;
      if (nav_address_get_family (&a) == G_SOCKET_FAMILY_IPV6 && !self->have_relay6)
        pick_interface_address (G_SOCKET_FAMILY_IPV6, &self->relay6, &self->have_relay6);
      else if (nav_address_get_family (&a) == G_SOCKET_FAMILY_IPV4 && !self->have_relay4)
        pick_interface_address (G_SOCKET_FAMILY_IPV4, &self->relay4, &self->have_relay4);
    }
  return TRUE;
}

static gboolean
parse_ranges (gchar        **texts,
              GArray       **out,
              GError       **error)
{
  guint i;

  *out = g_array_new (FALSE, FALSE, sizeof (IpRange));
  if (texts == NULL)
    return TRUE;
  for (i = 0; texts[i] != NULL; i++)
    {
      g_auto (GStrv) parts = g_strsplit (texts[i], ",", -1);

      for (guint j = 0; parts[j] != NULL; j++)
        {
          IpRange range;

          if (g_strstrip (parts[j])[0] == '\0')
            continue;
          if (!parse_range (parts[j], &range, error))
            return FALSE;
          g_array_append_val (*out, range);
        }
    }
  return TRUE;
}

static Listener *
listener_new (NavTurnServer     *self,
              ListenerKind       kind,
              const NavAddress  *address,
              guint              port,
              GError           **error)
{
  Listener *listener;
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  int fd;

  fd = bind_socket (address, kind == LISTENER_UDP ? SOCK_DGRAM : SOCK_STREAM, port, FALSE);
  if (fd < 0 || (kind != LISTENER_UDP && listen (fd, 1024) < 0))
    {
      int saved = errno;
      gchar buf[NAV_ADDRESS_STRING_LEN];
      NavAddress a = *address;

      if (fd >= 0)
        close (fd);
      nav_address_set_port (&a, port);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot listen on %s (%s): %s"), nav_address_to_string_buf (&a, buf),
                   kind == LISTENER_UDP ? "UDP" : kind == LISTENER_TCP ? "TCP" : "TLS",
                   g_strerror (saved));
      return NULL;
    }
  if (kind == LISTENER_UDP)
    {
      int size = 4 * 1024 * 1024;

      setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
      setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
  listener = g_new0 (Listener, 1);
  listener->server = self;
  listener->kind = kind;
  listener->fd = fd;
  getsockname (fd, (struct sockaddr *) &ss, &sl);
  nav_address_set_from_sockaddr (&listener->local, (struct sockaddr *) &ss, sl);
  listener->source = g_unix_fd_source_new (fd, G_IO_IN);
  if (kind == LISTENER_UDP)
    g_source_set_callback (listener->source, G_SOURCE_FUNC (udp_readable), listener, NULL);
  else
    g_source_set_callback (listener->source, G_SOURCE_FUNC (tcp_acceptable), listener, NULL);
  g_source_set_static_name (listener->source, "[nav-turn] listener");
  g_source_attach (listener->source, self->context);
  g_ptr_array_add (self->listeners, listener);
  return listener;
}

static void
listener_free (gpointer data)
{
  Listener *listener = data;

  g_source_destroy (listener->source);
  g_source_unref (listener->source);
  close (listener->fd);
  g_free (listener);
}

static void
reservation_free (gpointer data)
{
  Reservation *res = data;

  if (res->fd >= 0)
    close (res->fd);
  g_free (res);
}

/* Every listener of a kind shares one port, the first one bound. */
static gboolean
open_listeners (NavTurnServer  *self,
                gchar         **ips,
                GError        **error)
{
  gchar buf[NAV_ADDRESS_STRING_LEN];
  guint i, port;

  port = self->listening_port;
  for (i = 0; ips[i] != NULL; i++)
    {
      NavAddress a;
      Listener *l;

      if (!nav_address_set_ip_from_string (&a, ips[i], error))
        return FALSE;
      if (!self->no_udp)
        {
          if ((l = listener_new (self, LISTENER_UDP, &a, port, error)) == NULL)
            return FALSE;
          port = nav_address_get_port (&l->local);
          g_message ("event=listening server=turn proto=udp address=%s",
                     nav_address_to_string_buf (&l->local, buf));
        }
      if (!self->no_tcp)
        {
          if ((l = listener_new (self, LISTENER_TCP, &a, port, error)) == NULL)
            return FALSE;
          port = nav_address_get_port (&l->local);
          g_message ("event=listening server=turn proto=tcp address=%s",
                     nav_address_to_string_buf (&l->local, buf));
        }
    }
  self->bound_port = port;
  if (self->certificate != NULL)
    {
      port = self->tls_listening_port;
      for (i = 0; ips[i] != NULL; i++)
        {
          NavAddress a;
          Listener *l;

          nav_address_set_ip_from_string (&a, ips[i], NULL);
          if ((l = listener_new (self, LISTENER_TLS, &a, port, error)) == NULL)
            return FALSE;
          port = nav_address_get_port (&l->local);
          g_message ("event=listening server=turn proto=tls address=%s",
                     nav_address_to_string_buf (&l->local, buf));
        }
      self->bound_tls_port = port;
    }

  return TRUE;
}

static void nav_turn_server_stop (NavServer *server);

static gboolean
nav_turn_server_start (NavServer  *server,
                       GError    **error)
{
  NavTurnServer *self = NAV_TURN_SERVER (server);
  g_auto (GStrv) ips = NULL;
  guint i;

  if (self->running)
    return TRUE;
  if (!check_configuration (self, error))
    return FALSE;

  if (self->listening_ips != NULL && self->listening_ips[0] != NULL)
    ips = g_strdupv (self->listening_ips);
  else if (self->listening_ip != NULL)
    ips = g_strsplit_set (self->listening_ip, ", ", -1);
  else
    ips = g_strsplit (DEFAULT_LISTENING_IP, ",", -1);
  {
    /* drop empty entries */
    GPtrArray *clean = g_ptr_array_new ();

    for (i = 0; ips[i] != NULL; i++)
      if (ips[i][0] != '\0')
        g_ptr_array_add (clean, g_strdup (ips[i]));
    g_ptr_array_add (clean, NULL);
    g_strfreev (ips);
    ips = (GStrv) g_ptr_array_free (clean, FALSE);
  }

  self->user_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  self->user_passwords = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->udp_allocations = g_hash_table_new (udp_key_hash, udp_key_equal);
  self->allocations = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->user_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->conns = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->tcp_relays = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->reservations = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, reservation_free);
  self->listeners = g_ptr_array_new_with_free_func (listener_free);
  self->dead_allocations = g_ptr_array_new_with_free_func ((GDestroyNotify) allocation_free);
  self->dead_conns = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_free);
  for (i = 0; i < sizeof self->nonce_secret; i++)
    self->nonce_secret[i] = g_random_int () & 0xFF;

  if (!load_users (self, error) ||
      !parse_ranges (self->denied_peer_ips, &self->denied, error) ||
      !parse_ranges (self->allowed_peer_ips, &self->allowed, error) ||
      !setup_relay_addresses (self, ips, error))
    goto fail;
  if (!self->have_relay4 && !self->have_relay6)
    {
      g_set_error_literal (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                           _("No address to relay on: give relay-ip"));
      goto fail;
    }
  if (!self->no_tls && !self->no_tcp && self->cert_file != NULL)
    {
      self->certificate = g_tls_certificate_new_from_files (self->cert_file,
                                                            self->pkey_file != NULL ? self->pkey_file
                                                                                    : self->cert_file,
                                                            error);
      if (self->certificate == NULL)
        goto fail;
    }
  self->batch = g_new0 (Batch, 1);
  self->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  if (self->epoll_fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "epoll: %s", g_strerror (errno));
      goto fail;
    }
  self->epoll_source = g_unix_fd_source_new (self->epoll_fd, G_IO_IN);
  g_source_set_callback (self->epoll_source, G_SOURCE_FUNC (relays_readable), self, NULL);
  g_source_set_static_name (self->epoll_source, "[nav-turn] UDP relays");
  g_source_attach (self->epoll_source, self->context);

  /* with port 0, the port picked for UDP may be taken for TCP: again */
  for (i = 0;; i++)
    {
      g_autoptr (GError) local_error = NULL;

      if (open_listeners (self, ips, &local_error))
        break;
      if (i == 20 || (self->listening_port != 0 &&
                      (self->certificate == NULL || self->tls_listening_port != 0)))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          goto fail;
        }
      g_ptr_array_set_size (self->listeners, 0);
    }

  self->sweep_source = g_timeout_source_new (1000);
  g_source_set_callback (self->sweep_source, sweep, self, NULL);
  g_source_set_static_name (self->sweep_source, "[nav-turn] sweep");
  g_source_attach (self->sweep_source, self->context);

  self->running = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  return TRUE;

fail:
  self->running = TRUE;         /* so that stop() tears down */
  nav_turn_server_stop (server);
  return FALSE;
}

static void
nav_turn_server_stop (NavServer *server)
{
  NavTurnServer *self = NAV_TURN_SERVER (server);
  gboolean was_running = self->running;

  if (!self->running)
    return;

  if (self->sweep_source != NULL)
    {
      g_source_destroy (self->sweep_source);
      g_clear_pointer (&self->sweep_source, g_source_unref);
    }
  if (self->conns != NULL)
    {
      g_autoptr (GList) conns = g_hash_table_get_keys (self->conns);

      for (GList *l = conns; l != NULL; l = l->next)
        conn_close (l->data);
    }
  if (self->allocations != NULL)
    {
      g_autoptr (GList) allocs = g_hash_table_get_keys (self->allocations);

      for (GList *l = allocs; l != NULL; l = l->next)
        allocation_destroy (l->data, "server-stopped");
    }
  if (self->reap_source != NULL)
    {
      g_source_destroy (self->reap_source);
      g_clear_pointer (&self->reap_source, g_source_unref);
    }
  g_clear_pointer (&self->dead_conns, g_ptr_array_unref);
  g_clear_pointer (&self->dead_allocations, g_ptr_array_unref);
  g_clear_pointer (&self->listeners, g_ptr_array_unref);
  g_clear_pointer (&self->reservations, g_hash_table_unref);
  g_clear_pointer (&self->tcp_relays, g_hash_table_unref);
  g_clear_pointer (&self->conns, g_hash_table_unref);
  g_clear_pointer (&self->user_counts, g_hash_table_unref);
  g_clear_pointer (&self->allocations, g_hash_table_unref);
  g_clear_pointer (&self->udp_allocations, g_hash_table_unref);
  g_clear_pointer (&self->user_passwords, g_hash_table_unref);
  g_clear_pointer (&self->user_keys, g_hash_table_unref);
  g_clear_pointer (&self->denied, g_array_unref);
  g_clear_pointer (&self->allowed, g_array_unref);
  g_clear_object (&self->certificate);
  g_clear_pointer (&self->batch, g_free);
  if (self->epoll_source != NULL)
    {
      g_source_destroy (self->epoll_source);
      g_clear_pointer (&self->epoll_source, g_source_unref);
    }
  if (self->epoll_fd >= 0)
    close (self->epoll_fd);
  self->epoll_fd = -1;
  self->running = FALSE;
  if (was_running)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static GVariant *
nav_turn_server_get_stats (NavServer *server)
{
  NavTurnServer *self = NAV_TURN_SERVER (server);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{st}"));
#define ADD_COUNTER(field, name) \
  g_variant_builder_add (&builder, "{st}", name, nav_turn_server_get_counter (self, name));
  COUNTERS (ADD_COUNTER)
#undef ADD_COUNTER
  g_variant_builder_add (&builder, "{st}", "allocations",
                         (guint64) (self->allocations != NULL ? g_hash_table_size (self->allocations) : 0));
  g_variant_builder_add (&builder, "{st}", "connections",
                         (guint64) (self->conns != NULL ? g_hash_table_size (self->conns) : 0));
  return g_variant_builder_end (&builder);
}

static void
nav_turn_server_server_init (NavServerInterface *iface)
{
  iface->start = nav_turn_server_start;
  iface->stop = nav_turn_server_stop;
  iface->get_stats = nav_turn_server_get_stats;
}

/**
 * nav_turn_server_get_counter: (skip)
 * @self: a TURN server
 * @name: a key of [method@Nav.Server.get_stats]
 *
 * Returns: the counter; `dropped` sums every `dropped-*` counter.
 */
guint64
nav_turn_server_get_counter (NavTurnServer *self,
                             const gchar   *name)
{
  if (g_str_equal (name, "dropped"))
    return self->counters.dropped_not_stun + self->counters.dropped_malformed +
           self->counters.dropped_no_allocation + self->counters.dropped_no_permission +
           self->counters.dropped_no_channel + self->counters.dropped_bandwidth +
           self->counters.dropped_congested + self->counters.dropped_send_failed +
           self->counters.dropped_oversize + self->counters.dropped_dont_fragment +
           self->counters.dropped_unexpected;
  if (g_str_equal (name, "allocations"))
    return self->allocations != NULL ? g_hash_table_size (self->allocations) : 0;
#define GET_COUNTER(field, name_) if (g_str_equal (name, name_)) return self->counters.field;
  COUNTERS (GET_COUNTER)
#undef GET_COUNTER
  return 0;
}

/**
 * nav_turn_server_get_port: (skip)
 * @self: a running TURN server
 *
 * Returns: the UDP and TCP port it listens on
 */
guint
nav_turn_server_get_port (NavTurnServer *self)
{
  return self->bound_port;
}

/**
 * nav_turn_server_get_tls_port: (skip)
 * @self: a running TURN server
 *
 * Returns: the TLS port, 0 without TLS
 */
guint
nav_turn_server_get_tls_port (NavTurnServer *self)
{
  return self->bound_tls_port;
}

/* ---------------------------------------------------------------- */
/* GObject                                                            */

static void
nav_turn_server_constructed (GObject *object)
{
  NavTurnServer *self = NAV_TURN_SERVER (object);

  G_OBJECT_CLASS (nav_turn_server_parent_class)->constructed (object);

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
}

static void
nav_turn_server_dispose (GObject *object)
{
  nav_turn_server_stop (NAV_SERVER (object));
  G_OBJECT_CLASS (nav_turn_server_parent_class)->dispose (object);
}

static void
nav_turn_server_finalize (GObject *object)
{
  NavTurnServer *self = NAV_TURN_SERVER (object);

  g_free (self->listening_ip);
  g_strfreev (self->listening_ips);
  g_free (self->relay_ip);
  g_free (self->external_ip);
  g_free (self->realm);
  g_free (self->static_auth_secret);
  g_strfreev (self->users);
  g_free (self->userdb);
  g_free (self->cert_file);
  g_free (self->pkey_file);
  g_strfreev (self->denied_peer_ips);
  g_strfreev (self->allowed_peer_ips);
  g_free (self->software);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (nav_turn_server_parent_class)->finalize (object);
}

static void
nav_turn_server_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  NavTurnServer *self = NAV_TURN_SERVER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT: g_value_set_boxed (value, self->context); break;
    case PROP_RUNNING: g_value_set_boolean (value, self->running); break;
    case PROP_LISTENING_IP: g_value_set_string (value, self->listening_ip); break;
    case PROP_LISTENING_IPS: g_value_set_boxed (value, self->listening_ips); break;
    case PROP_LISTENING_PORT: g_value_set_uint (value, self->listening_port); break;
    case PROP_TLS_LISTENING_PORT: g_value_set_uint (value, self->tls_listening_port); break;
    case PROP_RELAY_IP: g_value_set_string (value, self->relay_ip); break;
    case PROP_EXTERNAL_IP: g_value_set_string (value, self->external_ip); break;
    case PROP_REALM: g_value_set_string (value, self->realm); break;
    case PROP_MIN_PORT: g_value_set_uint (value, self->min_port); break;
    case PROP_MAX_PORT: g_value_set_uint (value, self->max_port); break;
    case PROP_LT_CRED_MECH: g_value_set_boolean (value, self->lt_cred_mech); break;
    case PROP_USE_AUTH_SECRET: g_value_set_boolean (value, self->use_auth_secret); break;
    case PROP_STATIC_AUTH_SECRET: g_value_set_string (value, self->static_auth_secret); break;
    case PROP_NO_AUTH: g_value_set_boolean (value, self->no_auth); break;
    case PROP_USERS: g_value_set_boxed (value, self->users); break;
    case PROP_USERDB: g_value_set_string (value, self->userdb); break;
    case PROP_USER_QUOTA: g_value_set_uint (value, self->user_quota); break;
    case PROP_TOTAL_QUOTA: g_value_set_uint (value, self->total_quota); break;
    case PROP_MAX_BPS: g_value_set_uint64 (value, self->max_bps); break;
    case PROP_DEFAULT_ALLOCATE_LIFETIME: g_value_set_uint (value, self->default_allocate_lifetime); break;
    case PROP_MAX_ALLOCATE_LIFETIME: g_value_set_uint (value, self->max_allocate_lifetime); break;
    case PROP_PERMISSION_LIFETIME: g_value_set_uint (value, self->permission_lifetime); break;
    case PROP_CHANNEL_LIFETIME: g_value_set_uint (value, self->channel_lifetime); break;
    case PROP_STALE_NONCE: g_value_set_uint (value, self->stale_nonce); break;
    case PROP_NO_UDP: g_value_set_boolean (value, self->no_udp); break;
    case PROP_NO_TCP: g_value_set_boolean (value, self->no_tcp); break;
    case PROP_NO_TLS: g_value_set_boolean (value, self->no_tls); break;
    case PROP_CERT: g_value_set_string (value, self->cert_file); break;
    case PROP_PKEY: g_value_set_string (value, self->pkey_file); break;
    case PROP_ALLOW_LOOPBACK_PEERS: g_value_set_boolean (value, self->allow_loopback_peers); break;
    case PROP_DENIED_PEER_IP: g_value_set_boxed (value, self->denied_peer_ips); break;
    case PROP_ALLOWED_PEER_IP: g_value_set_boxed (value, self->allowed_peer_ips); break;
    case PROP_SOFTWARE: g_value_set_string (value, self->software); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_string (gchar        **field,
            const GValue  *value)
{
  g_free (*field);
  *field = g_value_dup_string (value);
}

static void
set_strv (gchar        ***field,
          const GValue   *value)
{
  g_strfreev (*field);
  *field = g_value_dup_boxed (value);
}

static void
nav_turn_server_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  NavTurnServer *self = NAV_TURN_SERVER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT: self->context = g_value_dup_boxed (value); break;
    case PROP_LISTENING_IP: set_string (&self->listening_ip, value); break;
    case PROP_LISTENING_IPS: set_strv (&self->listening_ips, value); break;
    case PROP_LISTENING_PORT: self->listening_port = g_value_get_uint (value); break;
    case PROP_TLS_LISTENING_PORT: self->tls_listening_port = g_value_get_uint (value); break;
    case PROP_RELAY_IP: set_string (&self->relay_ip, value); break;
    case PROP_EXTERNAL_IP: set_string (&self->external_ip, value); break;
    case PROP_REALM: set_string (&self->realm, value); break;
    case PROP_MIN_PORT: self->min_port = g_value_get_uint (value); break;
    case PROP_MAX_PORT: self->max_port = g_value_get_uint (value); break;
    case PROP_LT_CRED_MECH: self->lt_cred_mech = g_value_get_boolean (value); break;
    case PROP_USE_AUTH_SECRET: self->use_auth_secret = g_value_get_boolean (value); break;
    case PROP_STATIC_AUTH_SECRET: set_string (&self->static_auth_secret, value); break;
    case PROP_NO_AUTH: self->no_auth = g_value_get_boolean (value); break;
    case PROP_USERS: set_strv (&self->users, value); break;
    case PROP_USERDB: set_string (&self->userdb, value); break;
    case PROP_USER_QUOTA: self->user_quota = g_value_get_uint (value); break;
    case PROP_TOTAL_QUOTA: self->total_quota = g_value_get_uint (value); break;
    case PROP_MAX_BPS: self->max_bps = g_value_get_uint64 (value); break;
    case PROP_DEFAULT_ALLOCATE_LIFETIME: self->default_allocate_lifetime = g_value_get_uint (value); break;
    case PROP_MAX_ALLOCATE_LIFETIME: self->max_allocate_lifetime = g_value_get_uint (value); break;
    case PROP_PERMISSION_LIFETIME: self->permission_lifetime = g_value_get_uint (value); break;
    case PROP_CHANNEL_LIFETIME: self->channel_lifetime = g_value_get_uint (value); break;
    case PROP_STALE_NONCE: self->stale_nonce = g_value_get_uint (value); break;
    case PROP_NO_UDP: self->no_udp = g_value_get_boolean (value); break;
    case PROP_NO_TCP: self->no_tcp = g_value_get_boolean (value); break;
    case PROP_NO_TLS: self->no_tls = g_value_get_boolean (value); break;
    case PROP_CERT: set_string (&self->cert_file, value); break;
    case PROP_PKEY: set_string (&self->pkey_file, value); break;
    case PROP_ALLOW_LOOPBACK_PEERS: self->allow_loopback_peers = g_value_get_boolean (value); break;
    case PROP_DENIED_PEER_IP: set_strv (&self->denied_peer_ips, value); break;
    case PROP_ALLOWED_PEER_IP: set_strv (&self->allowed_peer_ips, value); break;
    case PROP_SOFTWARE: set_string (&self->software, value); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

#define RW (G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS)

static void
nav_turn_server_class_init (NavTurnServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = nav_turn_server_constructed;
  object_class->dispose = nav_turn_server_dispose;
  object_class->finalize = nav_turn_server_finalize;
  object_class->get_property = nav_turn_server_get_property;
  object_class->set_property = nav_turn_server_set_property;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");
  g_object_class_override_property (object_class, PROP_RUNNING, "running");
  properties[PROP_RUNNING] = g_object_class_find_property (object_class, "running");

  /**
   * NavTurnServer:listening-ip:
   *
   * The IP address to listen on; `0.0.0.0` or `::` for every address.
   * Several may be given, separated by commas.
   *
   * Since: 1.0
   */
  properties[PROP_LISTENING_IP] =
    g_param_spec_string ("listening-ip", "Listening IP",
                         "The IP address to listen on",
                         DEFAULT_LISTENING_IP, RW);

  /**
   * NavTurnServer:listening-ips:
   *
   * The IP addresses to listen on; when set, replaces
   * [property@Nav.TurnServer:listening-ip].
   *
   * Since: 1.0
   */
  properties[PROP_LISTENING_IPS] =
    g_param_spec_boxed ("listening-ips", "Listening IPs",
                        "The IP addresses to listen on",
                        G_TYPE_STRV, RW);

  /**
   * NavTurnServer:listening-port:
   *
   * The UDP and TCP port of TURN requests; 0 for any free port.
   *
   * Since: 1.0
   */
  properties[PROP_LISTENING_PORT] =
    g_param_spec_uint ("listening-port", "Listening port",
                       "The UDP and TCP port to listen on",
                       0, G_MAXUINT16, DEFAULT_LISTENING_PORT, RW);

  /**
   * NavTurnServer:tls-listening-port:
   *
   * The port of TURN over TLS (RFC 8656 §3.1); 0 for any free port.
   *
   * Since: 1.0
   */
  properties[PROP_TLS_LISTENING_PORT] =
    g_param_spec_uint ("tls-listening-port", "TLS listening port",
                       "The port of TURN over TLS",
                       0, G_MAXUINT16, DEFAULT_TLS_LISTENING_PORT, RW);

  /**
   * NavTurnServer:relay-ip:
   *
   * The IP addresses relayed transport addresses are allocated on (one
   * IPv4 and one IPv6, separated by a comma); %NULL for the listening
   * addresses.
   *
   * Since: 1.0
   */
  properties[PROP_RELAY_IP] =
    g_param_spec_string ("relay-ip", "Relay IP",
                         "The IP address relays are allocated on (default: the listening IP)",
                         NULL, RW);

  /**
   * NavTurnServer:external-ip:
   *
   * The public address to advertise in XOR-RELAYED-ADDRESS when the server
   * is behind a 1:1 NAT; %NULL when it is not.
   *
   * Since: 1.0
   */
  properties[PROP_EXTERNAL_IP] =
    g_param_spec_string ("external-ip", "External IP",
                         "The public IP to advertise when behind a 1:1 NAT",
                         NULL, RW);

  /**
   * NavTurnServer:realm:
   *
   * The realm of the long-term credential mechanism (RFC 8489 §9.2).
   *
   * Since: 1.0
   */
  properties[PROP_REALM] =
    g_param_spec_string ("realm", "Realm",
                         "The realm of the long-term credentials",
                         NULL, RW);

  /**
   * NavTurnServer:min-port:
   *
   * The lowest port of relayed transport addresses.
   *
   * Since: 1.0
   */
  properties[PROP_MIN_PORT] =
    g_param_spec_uint ("min-port", "Minimum relay port",
                       "The lowest port of relayed addresses",
                       1, G_MAXUINT16, DEFAULT_MIN_PORT, RW);

  /**
   * NavTurnServer:max-port:
   *
   * The highest port of relayed transport addresses.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_PORT] =
    g_param_spec_uint ("max-port", "Maximum relay port",
                       "The highest port of relayed addresses",
                       1, G_MAXUINT16, DEFAULT_MAX_PORT, RW);

  /**
   * NavTurnServer:lt-cred-mech:
   *
   * Whether clients authenticate with the long-term credential mechanism
   * (RFC 8489 §9.2) against [property@Nav.TurnServer:users] and
   * [property@Nav.TurnServer:userdb].
   *
   * Since: 1.0
   */
  properties[PROP_LT_CRED_MECH] =
    g_param_spec_boolean ("lt-cred-mech", "Long-term credentials",
                          "Authenticate clients with long-term credentials",
                          FALSE, RW);

  /**
   * NavTurnServer:use-auth-secret:
   *
   * Whether credentials are time-limited and signed with
   * [property@Nav.TurnServer:static-auth-secret] (the TURN REST API
   * convention): the user name is `expiry:name` (expiry in seconds since
   * the epoch), the password base64 (HMAC-SHA1 (secret, user name)).
   *
   * Since: 1.0
   */
  properties[PROP_USE_AUTH_SECRET] =
    g_param_spec_boolean ("use-auth-secret", "Use auth secret",
                          "Accept time-limited credentials signed with the shared secret",
                          FALSE, RW);

  /**
   * NavTurnServer:static-auth-secret:
   *
   * The secret of [property@Nav.TurnServer:use-auth-secret].
   *
   * Since: 1.0
   */
  properties[PROP_STATIC_AUTH_SECRET] =
    g_param_spec_string ("static-auth-secret", "Static auth secret",
                         "The shared secret of time-limited credentials",
                         NULL, RW);

  /**
   * NavTurnServer:no-auth:
   *
   * Relay for anyone, without credentials (coturn's `no-auth`): only for
   * closed test networks.
   *
   * Since: 1.0
   */
  properties[PROP_NO_AUTH] =
    g_param_spec_boolean ("no-auth", "No authentication",
                          "Relay without credentials (test networks only)",
                          FALSE, RW);

  /**
   * NavTurnServer:users:
   *
   * Users of the long-term credential mechanism, each `name:password`
   * (or `name:0x` followed by the hexadecimal MD5 key, as coturn's
   * turnadmin prints it).
   *
   * Since: 1.0
   */
  properties[PROP_USERS] =
    g_param_spec_boxed ("users", "Users",
                        "Long-term users, each name:password",
                        G_TYPE_STRV, RW);

  /**
   * NavTurnServer:userdb:
   *
   * A file of users, one `name:password` a line, `#` for comments.
   *
   * Since: 1.0
   */
  properties[PROP_USERDB] =
    g_param_spec_string ("userdb", "User file",
                         "A file of users, one name:password a line",
                         NULL, RW);

  /**
   * NavTurnServer:user-quota:
   *
   * The most allocations one user may hold at once; 0 for no limit.
   *
   * Since: 1.0
   */
  properties[PROP_USER_QUOTA] =
    g_param_spec_uint ("user-quota", "User quota",
                       "Allocations per user; 0 for no limit",
                       0, G_MAXUINT, 0, RW);

  /**
   * NavTurnServer:total-quota:
   *
   * The most allocations the server holds at once; 0 for no limit.
   *
   * Since: 1.0
   */
  properties[PROP_TOTAL_QUOTA] =
    g_param_spec_uint ("total-quota", "Total quota",
                       "Allocations in total; 0 for no limit",
                       0, G_MAXUINT, 0, RW);

  /**
   * NavTurnServer:max-bps:
   *
   * The most bytes a second one allocation relays, both directions
   * together (a token bucket of one second); 0 for no limit.  Beyond it
   * datagrams are dropped and counted (`dropped-bandwidth`).
   *
   * Since: 1.0
   */
  properties[PROP_MAX_BPS] =
    g_param_spec_uint64 ("max-bps", "Maximum bytes per second",
                         "Bandwidth cap of one allocation, in bytes a second; 0 for none",
                         0, G_MAXUINT64, 0, RW);

  /**
   * NavTurnServer:default-allocate-lifetime:
   *
   * The lifetime, in seconds, of an allocation whose client asks for
   * none or for less (RFC 8656 §3.2: 600).
   *
   * Since: 1.0
   */
  properties[PROP_DEFAULT_ALLOCATE_LIFETIME] =
    g_param_spec_uint ("default-allocate-lifetime", "Default allocation lifetime",
                       "The default allocation lifetime, in seconds",
                       1, G_MAXUINT32, DEFAULT_ALLOCATE_LIFETIME, RW);

  /**
   * NavTurnServer:max-allocate-lifetime:
   *
   * The longest lifetime, in seconds, granted to an allocation
   * (RFC 8656 §7.2).
   *
   * Since: 1.0
   */
  properties[PROP_MAX_ALLOCATE_LIFETIME] =
    g_param_spec_uint ("max-allocate-lifetime", "Maximum allocation lifetime",
                       "The longest allocation lifetime granted, in seconds",
                       1, G_MAXUINT32, DEFAULT_MAX_ALLOCATE_LIFETIME, RW);

  /**
   * NavTurnServer:permission-lifetime:
   *
   * The lifetime of a permission, in seconds (RFC 8656 §9: 300).
   *
   * Since: 1.0
   */
  properties[PROP_PERMISSION_LIFETIME] =
    g_param_spec_uint ("permission-lifetime", "Permission lifetime",
                       "The lifetime of a permission, in seconds",
                       1, G_MAXUINT32, DEFAULT_PERMISSION_LIFETIME, RW);

  /**
   * NavTurnServer:channel-lifetime:
   *
   * The lifetime of a channel binding, in seconds (RFC 8656 §12: 600).
   *
   * Since: 1.0
   */
  properties[PROP_CHANNEL_LIFETIME] =
    g_param_spec_uint ("channel-lifetime", "Channel lifetime",
                       "The lifetime of a channel binding, in seconds",
                       1, G_MAXUINT32, DEFAULT_CHANNEL_LIFETIME, RW);

  /**
   * NavTurnServer:stale-nonce:
   *
   * How many seconds a nonce stays valid before the client is asked to
   * use a new one (438 Stale Nonce, RFC 8489 §9.2.4).
   *
   * Since: 1.0
   */
  properties[PROP_STALE_NONCE] =
    g_param_spec_uint ("stale-nonce", "Stale nonce",
                       "Seconds a nonce stays valid",
                       1, G_MAXUINT32, DEFAULT_STALE_NONCE, RW);

  /**
   * NavTurnServer:no-udp:
   *
   * Do not listen on UDP.
   *
   * Since: 1.0
   */
  properties[PROP_NO_UDP] =
    g_param_spec_boolean ("no-udp", "No UDP",
                          "Do not listen on UDP",
                          FALSE, RW);

  /**
   * NavTurnServer:no-tcp:
   *
   * Do not listen on TCP (nor TLS).
   *
   * Since: 1.0
   */
  properties[PROP_NO_TCP] =
    g_param_spec_boolean ("no-tcp", "No TCP",
                          "Do not listen on TCP",
                          FALSE, RW);

  /**
   * NavTurnServer:no-tls:
   *
   * Do not listen on TLS even with a certificate.
   *
   * Since: 1.0
   */
  properties[PROP_NO_TLS] =
    g_param_spec_boolean ("no-tls", "No TLS",
                          "Do not listen on TLS",
                          FALSE, RW);

  /**
   * NavTurnServer:cert:
   *
   * The PEM certificate of TURN over TLS; TLS is off without one.
   *
   * Since: 1.0
   */
  properties[PROP_CERT] =
    g_param_spec_string ("cert", "Certificate",
                         "The PEM certificate file of TLS",
                         NULL, RW);

  /**
   * NavTurnServer:pkey:
   *
   * The PEM private key of TURN over TLS; %NULL when it is in the
   * certificate file.
   *
   * Since: 1.0
   */
  properties[PROP_PKEY] =
    g_param_spec_string ("pkey", "Private key",
                         "The PEM private key file of TLS",
                         NULL, RW);

  /**
   * NavTurnServer:allow-loopback-peers:
   *
   * Relay to loopback peers (127.0.0.0/8, ::1), refused by default.
   *
   * Since: 1.0
   */
  properties[PROP_ALLOW_LOOPBACK_PEERS] =
    g_param_spec_boolean ("allow-loopback-peers", "Allow loopback peers",
                          "Relay to loopback addresses",
                          FALSE, RW);

  /**
   * NavTurnServer:denied-peer-ip:
   *
   * Peer address ranges never relayed to, each an address, `first-last`
   * or `address/prefix`.  Loopback, private and link-local ranges are
   * denied anyway unless allowed.
   *
   * Since: 1.0
   */
  properties[PROP_DENIED_PEER_IP] =
    g_param_spec_boxed ("denied-peer-ip", "Denied peer IPs",
                        "Peer address ranges never relayed to",
                        G_TYPE_STRV, RW);

  /**
   * NavTurnServer:allowed-peer-ip:
   *
   * Peer address ranges relayed to even when denied otherwise (for
   * example a private network the relay serves).
   *
   * Since: 1.0
   */
  properties[PROP_ALLOWED_PEER_IP] =
    g_param_spec_boxed ("allowed-peer-ip", "Allowed peer IPs",
                        "Peer address ranges always relayed to",
                        G_TYPE_STRV, RW);

  /**
   * NavTurnServer:software:
   *
   * The SOFTWARE attribute of responses; %NULL for none.
   *
   * Since: 1.0
   */
  properties[PROP_SOFTWARE] =
    g_param_spec_string ("software", "Software",
                         "SOFTWARE attribute of responses",
                         NULL, RW);

  for (guint i = PROP_LISTENING_IP; i < N_PROPS; i++)
    g_object_class_install_property (object_class, i, properties[i]);
}

static void
nav_turn_server_init (NavTurnServer *self)
{
  self->epoll_fd = -1;
}
