/* nav-pseudo-tcp-private.h: libnice's reliable mode (pseudo-TCP over the
 * selected pair)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The engine speaks the pseudo-TCP of libjingle as libnice extends it, so
 * that a reliable NavAgent talks to a reliable NiceAgent: a 24-byte
 * segment header (conversation, sequence, acknowledgement, control byte,
 * flags, window, timestamp and echoed timestamp), a connect segment whose
 * payload carries options (window scale, RFC 7323 §2, and libnice's
 * FIN-ACK extension), slow start and congestion avoidance (RFC 5681),
 * NewReno fast recovery (RFC 6582), delayed acknowledgements (RFC 1122
 * §4.2.3.2), the retransmission timer of RFC 6298 with a one-second floor,
 * and a FIN/RST close (RFC 793 §3.5, RFC 1122 §4.2.2.13).
 *
 * It has no socket and no timer of its own: the owner feeds it the
 * datagrams of the path (nav_pseudo_tcp_notify_packet()), sends what it
 * writes (NavPseudoTcpCallbacks.write_packet), and calls
 * nav_pseudo_tcp_notify_clock() at the time nav_pseudo_tcp_get_next_clock()
 * gives.  Not thread-safe: the agent calls it under its lock.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Every segment starts with this header. */
#define NAV_PSEUDO_TCP_HEADER_SIZE 24
/* The largest segment accepted, header included. */
#define NAV_PSEUDO_TCP_MAX_PACKET 65532
/* The path MTU libnice assumes (and tells its engine). */
#define NAV_PSEUDO_TCP_DEFAULT_MTU 1400

/* Header flags (byte 13). */
#define NAV_PSEUDO_TCP_FLAG_FIN 0x01
#define NAV_PSEUDO_TCP_FLAG_CTL 0x02
#define NAV_PSEUDO_TCP_FLAG_RST 0x04

typedef enum {
  NAV_PSEUDO_TCP_LISTEN,
  NAV_PSEUDO_TCP_SYN_SENT,
  NAV_PSEUDO_TCP_SYN_RECEIVED,
  NAV_PSEUDO_TCP_ESTABLISHED,
  NAV_PSEUDO_TCP_CLOSED,
  NAV_PSEUDO_TCP_FIN_WAIT_1,
  NAV_PSEUDO_TCP_FIN_WAIT_2,
  NAV_PSEUDO_TCP_CLOSING,
  NAV_PSEUDO_TCP_TIME_WAIT,
  NAV_PSEUDO_TCP_CLOSE_WAIT,
  NAV_PSEUDO_TCP_LAST_ACK,
} NavPseudoTcpState;

/* One segment as read from the network: @data points into the datagram. */
typedef struct {
  guint32 conv;
  guint32 seq;
  guint32 ack;
  guint8 control;
  guint8 flags;
  guint16 window;
  guint32 tsval;
  guint32 tsecr;
  const guint8 *data;
  gsize len;
} NavPseudoTcpSegment;

typedef struct _NavPseudoTcp NavPseudoTcp;

typedef enum {
  NAV_PSEUDO_TCP_WRITE_OK,
  NAV_PSEUDO_TCP_WRITE_FAILED,
} NavPseudoTcpWriteResult;

typedef struct {
  /* The connection is established: data may be sent. */
  void (*opened) (NavPseudoTcp *tcp, gpointer user_data);
  /* New in-order data waits in the receive buffer. */
  void (*readable) (NavPseudoTcp *tcp, gpointer user_data);
  /* The send buffer drained after a send was refused or cut short. */
  void (*writable) (NavPseudoTcp *tcp, gpointer user_data);
  /* The connection closed with an error (an errno value: ECONNRESET,
   * ETIMEDOUT, ECONNABORTED); a clean close calls nothing. */
  void (*closed) (NavPseudoTcp *tcp, guint32 error, gpointer user_data);
  /* Sends one segment on the path. */
  NavPseudoTcpWriteResult (*write_packet) (NavPseudoTcp *tcp, const guint8 *data, gsize len,
                                           gpointer user_data);
} NavPseudoTcpCallbacks;

/* Parses the header of @data; FALSE (nothing set) unless it is at least
 * a header long and at most NAV_PSEUDO_TCP_MAX_PACKET. */
gboolean nav_pseudo_tcp_segment_parse (const guint8         *data,
                                       gsize                 len,
                                       NavPseudoTcpSegment  *segment);
/* Writes a header for @segment (its data not copied) into @out. */
void     nav_pseudo_tcp_segment_write_header (const NavPseudoTcpSegment *segment,
                                              guint8                    *out);

NavPseudoTcp *nav_pseudo_tcp_new        (guint32                      conversation,
                                         const NavPseudoTcpCallbacks *callbacks,
                                         gpointer                     user_data);
void          nav_pseudo_tcp_free       (NavPseudoTcp *tcp);

/* Buffer sizes, before the connection starts.  A receive buffer above
 * 64 KiB announces a window scale. */
void          nav_pseudo_tcp_set_buffers (NavPseudoTcp *tcp,
                                          guint32       receive,
                                          guint32       send);
void          nav_pseudo_tcp_set_ack_delay (NavPseudoTcp *tcp,
                                            guint32       ms);
void          nav_pseudo_tcp_set_no_delay (NavPseudoTcp *tcp,
                                           gboolean      no_delay);

gboolean      nav_pseudo_tcp_connect    (NavPseudoTcp *tcp);
void          nav_pseudo_tcp_notify_mtu (NavPseudoTcp *tcp,
                                         guint16       mtu);
/* Feeds a datagram of the path: FALSE when it was dropped. */
gboolean      nav_pseudo_tcp_notify_packet (NavPseudoTcp *tcp,
                                            const guint8 *data,
                                            gsize         len);
void          nav_pseudo_tcp_notify_clock (NavPseudoTcp *tcp);
/* The monotonic time in milliseconds (g_get_monotonic_time () / 1000)
 * of the next nav_pseudo_tcp_notify_clock(), or FALSE when the engine
 * needs no clock any more (closed). */
gboolean      nav_pseudo_tcp_get_next_clock (NavPseudoTcp *tcp,
                                             gint64       *when_ms);

/* As send(2) and recv(2) on a non-blocking socket: -1 with the errno
 * value in nav_pseudo_tcp_get_error() (EWOULDBLOCK, ENOTCONN, EPIPE);
 * recv returns 0 at the end of the stream. */
gssize        nav_pseudo_tcp_send       (NavPseudoTcp *tcp,
                                         const guint8 *data,
                                         gsize         len);
gssize        nav_pseudo_tcp_recv       (NavPseudoTcp *tcp,
                                         guint8       *buf,
                                         gsize         len);
gint          nav_pseudo_tcp_get_error  (NavPseudoTcp *tcp);

/* Graceful: FIN after the queued data (shutdown of the write side). */
void          nav_pseudo_tcp_shutdown_write (NavPseudoTcp *tcp);
void          nav_pseudo_tcp_shutdown_read  (NavPseudoTcp *tcp);
/* Forceful: RST, the connection is CLOSED at once. */
void          nav_pseudo_tcp_abort      (NavPseudoTcp *tcp);

NavPseudoTcpState nav_pseudo_tcp_get_state (NavPseudoTcp *tcp);
gsize         nav_pseudo_tcp_get_available_bytes (NavPseudoTcp *tcp);
gsize         nav_pseudo_tcp_get_available_send_space (NavPseudoTcp *tcp);
gboolean      nav_pseudo_tcp_is_closed  (NavPseudoTcp *tcp);
gboolean      nav_pseudo_tcp_is_closed_remotely (NavPseudoTcp *tcp);

G_END_DECLS
