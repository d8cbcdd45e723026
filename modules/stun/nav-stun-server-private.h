/* nav-stun-server-private.h: what the files of the STUN server share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * nav-stun-server.c holds the object, its sockets (through core/net) and
 * its counters; nav-stun-server-answer.c answers one message, whatever
 * transport it came on.
 */
#pragma once

#include "nav-stun-server.h"
#include "nav-net.h"

G_BEGIN_DECLS

#define NAV_STUN_SERVER_RECV_SIZE 2048
/* RFC 8489 §6.1: fits the IPv4 minimum MTU */
#define NAV_STUN_SERVER_RESPONSE_SIZE 548

/* The counters of get_stats().  Names are the keys of the variant. */
#define NAV_STUN_SERVER_COUNTERS(X)                                     \
  X (udp_received,        "udp-received")                               \
  X (udp_responses,       "udp-responses")                              \
  X (tcp_accepted,        "tcp-accepted")                               \
  X (tls_accepted,        "tls-accepted")                               \
  X (tcp_received,        "tcp-received")                               \
  X (tcp_responses,       "tcp-responses")                              \
  X (tcp_rejected,        "tcp-rejected")                               \
  X (tcp_idle_closed,     "tcp-idle-closed")                            \
  X (tls_handshake_failed, "tls-handshake-failed")                      \
  X (binding_success,     "binding-success")                            \
  X (error_400,           "error-400")                                  \
  X (error_420,           "error-420")                                  \
  X (change_request,      "change-request")                             \
  X (rfc3489_requests,    "rfc3489-requests")                           \
  X (dropped_not_stun,    "dropped-not-stun")                           \
  X (dropped_malformed,   "dropped-malformed")                          \
  X (dropped_fingerprint, "dropped-bad-fingerprint")                    \
  X (dropped_not_request, "dropped-not-request")                        \
  X (dropped_oversize,    "dropped-oversize")                           \
  X (dropped_send_failed, "dropped-send-failed")                        \
  X (dropped_build_failed, "dropped-build-failed")

typedef struct
{
#define NAV_STUN_DECLARE_COUNTER(field, name) guint64 field;
  NAV_STUN_SERVER_COUNTERS (NAV_STUN_DECLARE_COUNTER)
#undef NAV_STUN_DECLARE_COUNTER
} NavStunServerCounters;

/* A counter of one worker (nav_net_counter_add(): another thread reads
 * them for the stats) */
#define NAV_STUN_COUNT(counters, field) nav_net_counter_add (&(counters)->field, 1)

typedef struct _NavStunWorker NavStunWorker;

/* One UDP socket of the server.  In RFC 5780 mode the four sockets of
 * (primary, alternate IP) × (primary, alternate port) form a grid. */
typedef struct
{
  NavStunServer *server;
  NavStunWorker *worker;
  int fd;
  NavAddress local;
  NavNetSendBatch tx;
  guint8 (*tx_buf)[NAV_STUN_SERVER_RESPONSE_SIZE];
  gint ip_index;        /* -1: not in the grid */
  gint port_index;
} NavStunUdpSocket;

/* Where the message came from and where its answer goes. */
typedef struct
{
  const NavAddress *from;
  NavStunUdpSocket *via;        /* NULL over TCP and TLS */
  /* out: for CHANGE-REQUEST and RESPONSE-PORT */
  NavStunUdpSocket *reply_via;
  guint reply_port;             /* 0: the source port */
  gboolean classic;             /* an RFC 3489 request, without magic cookie */
} NavStunRequestInfo;

/* What the answering code reads of the server. */
typedef struct
{
  const gchar *software;
  NavStunUdpSocket *grid[2][2]; /* RFC 5780: [ip][port]; NULL outside that mode */
  NavStunServerCounters *counters;
  /* SOFTWARE as the codec writes it (header, value, padding), for the
   * answers written without a builder; NULL when there is no SOFTWARE or
   * the codec refuses it (those answers then take the builder's path). */
  guint8 *software_attribute;
  gsize software_attribute_len;
} NavStunAnswerer;

/* Sets up @answerer to answer with @software (nullable) and count into
 * @counters; nav_stun_answerer_clear() frees what it holds. */
void  nav_stun_answerer_init  (NavStunAnswerer       *answerer,
                               const gchar           *software,
                               NavStunServerCounters *counters);
void  nav_stun_answerer_clear (NavStunAnswerer       *answerer);

/* Answers one message.  Returns the size of the response written to
 * @out, or 0 when the message is dropped (and counted). */
gsize nav_stun_server_answer (const NavStunAnswerer *answerer,
                              const guint8          *data,
                              gsize                  len,
                              NavStunRequestInfo    *info,
                              guint8                *out,
                              gsize                  out_size);

G_END_DECLS
