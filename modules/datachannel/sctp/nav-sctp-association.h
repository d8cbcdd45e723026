/* nav-sctp-association.h: a sans-I/O SCTP association for data channels
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The subset of SCTP (RFC 9260) that WebRTC data channels use (RFC 8831,
 * carried over DTLS as RFC 8261 says): one path, no multihoming, ASCONF
 * or AUTH; with partial reliability (RFC 3758), stream reconfiguration
 * (RFC 6525, outgoing stream reset), message interleaving (RFC 8260
 * I-DATA) and zero checksums over DTLS (RFC 9653).
 *
 * The association has no socket, no timer and no thread, in the manner of
 * libwebrtc's dcSCTP: the owner hands it the packets that arrive
 * (nav_sctp_association_handle_input()), sends the packets it produces
 * (NavSctpCallbacks.send_packet), calls nav_sctp_association_handle_timeout()
 * when the deadline nav_sctp_association_get_timeout() gives has passed, and
 * tells it the time through NavSctpCallbacks.now: the engine never reads a
 * clock, so tests drive it on virtual time.
 *
 * Every call produces all the packets it allows, back to back, before it
 * returns: an owner that batches its output (sendmmsg(), one DTLS flight)
 * collects them in send_packet and flushes when the call returns.
 *
 * Events (connected, message, closed, …) are queued while the association
 * works and delivered through the callbacks at the end of the outermost
 * call, with the association consistent: a callback may call back in (send
 * from a message callback, free the association from closed).  Only
 * send_packet and now are called synchronously, and they must not call
 * back in.
 *
 * Not thread-safe: one owner, one thread (the owner's GMainContext).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * NavSctpState:
 * @NAV_SCTP_STATE_CLOSED: no association; an INIT from the peer is answered
 * @NAV_SCTP_STATE_COOKIE_WAIT: INIT sent
 * @NAV_SCTP_STATE_COOKIE_ECHOED: COOKIE ECHO sent
 * @NAV_SCTP_STATE_ESTABLISHED: data flows
 * @NAV_SCTP_STATE_SHUTDOWN_PENDING: nav_sctp_association_shutdown() called, data still outstanding
 * @NAV_SCTP_STATE_SHUTDOWN_SENT: SHUTDOWN sent
 * @NAV_SCTP_STATE_SHUTDOWN_RECEIVED: the peer shuts down; our outstanding data still goes
 * @NAV_SCTP_STATE_SHUTDOWN_ACK_SENT: SHUTDOWN ACK sent
 *
 * The states of RFC 9260 §4.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_SCTP_STATE_CLOSED,
  NAV_SCTP_STATE_COOKIE_WAIT,
  NAV_SCTP_STATE_COOKIE_ECHOED,
  NAV_SCTP_STATE_ESTABLISHED,
  NAV_SCTP_STATE_SHUTDOWN_PENDING,
  NAV_SCTP_STATE_SHUTDOWN_SENT,
  NAV_SCTP_STATE_SHUTDOWN_RECEIVED,
  NAV_SCTP_STATE_SHUTDOWN_ACK_SENT,
} NavSctpState;

/**
 * NavSctpCloseReason:
 * @NAV_SCTP_CLOSE_SHUTDOWN: the graceful SHUTDOWN sequence completed
 * @NAV_SCTP_CLOSE_ABORTED: the peer sent ABORT (the detail carries its cause)
 * @NAV_SCTP_CLOSE_FAILED: the peer stopped answering: retransmissions or
 *   heartbeats exceeded their limit
 * @NAV_SCTP_CLOSE_INIT_FAILED: INIT or COOKIE ECHO was never answered
 * @NAV_SCTP_CLOSE_PROTOCOL_ERROR: the peer broke the protocol; we sent ABORT
 *
 * Why an association closed (NavSctpCallbacks.closed).  A local
 * nav_sctp_association_abort() reports nothing: the caller knows.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_SCTP_CLOSE_SHUTDOWN,
  NAV_SCTP_CLOSE_ABORTED,
  NAV_SCTP_CLOSE_FAILED,
  NAV_SCTP_CLOSE_INIT_FAILED,
  NAV_SCTP_CLOSE_PROTOCOL_ERROR,
} NavSctpCloseReason;

/**
 * NavSctpError:
 * @NAV_SCTP_ERROR_NOT_CONNECTED: the association is closed or closing
 * @NAV_SCTP_ERROR_MESSAGE_TOO_LARGE: larger than the max-message-size option
 * @NAV_SCTP_ERROR_BUFFER_FULL: the send buffer is full: wait for a
 *   buffered-amount-low event
 * @NAV_SCTP_ERROR_INVALID_STREAM: the stream id is beyond the negotiated
 *   number of outbound streams
 * @NAV_SCTP_ERROR_EMPTY_MESSAGE: SCTP cannot carry an empty message (RFC 9260
 *   §6.2); data channels send one placeholder byte with an "empty" PPID
 * @NAV_SCTP_ERROR_STREAM_RESETTING: the stream is being reset
 * @NAV_SCTP_ERROR_UNSUPPORTED: the peer did not announce the extension the
 *   call needs (stream reconfiguration)
 * @NAV_SCTP_ERROR_PEER: the peer reported an error (ERROR chunk)
 * @NAV_SCTP_ERROR_PROTOCOL: the peer's packets broke the protocol
 *
 * Error codes of the %NAV_SCTP_ERROR domain.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_SCTP_ERROR_NOT_CONNECTED,
  NAV_SCTP_ERROR_MESSAGE_TOO_LARGE,
  NAV_SCTP_ERROR_BUFFER_FULL,
  NAV_SCTP_ERROR_INVALID_STREAM,
  NAV_SCTP_ERROR_EMPTY_MESSAGE,
  NAV_SCTP_ERROR_STREAM_RESETTING,
  NAV_SCTP_ERROR_UNSUPPORTED,
  NAV_SCTP_ERROR_PEER,
  NAV_SCTP_ERROR_PROTOCOL,
} NavSctpError;

#define NAV_SCTP_ERROR (nav_sctp_error_quark ())
GQuark nav_sctp_error_quark (void);

/**
 * NavSctpCongestionControl:
 * @NAV_SCTP_CC_RFC9260: RFC 9260 §7.2: slow start and congestion
 *   avoidance, the window halved on each loss (Reno), as libwebrtc's
 *   dcSCTP and usrsctp
 * @NAV_SCTP_CC_MODEL: the default: the window follows a model of the
 *   path, as BBRv2's does (nav-sctp-tx.c): the bottleneck's delivery
 *   rate (the largest measured over the last ten round trips) times the
 *   smallest round trip (over 10 s), an eighth more and some packets;
 *   startup doubles it until the rate stops growing or the round trip
 *   grows, then drains the queue it built.  A round trip that lost more
 *   than 2 % caps the window at 0.7 of what was in flight (a cap probed
 *   up again); random loss below that is retransmitted without shrinking
 *   it, so a path that drops packets at random keeps its speed.  A
 *   retransmission lost again is retransmitted again once later data is
 *   acknowledged, not left to T3.
 *
 * How the sender sizes its congestion window.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_SCTP_CC_RFC9260,
  NAV_SCTP_CC_MODEL,
} NavSctpCongestionControl;

/**
 * NavSctpOptions:
 * @local_port: our SCTP port (RFC 8841: 5000 unless SDP says otherwise)
 * @remote_port: the peer's SCTP port
 * @mtu: the largest SCTP packet we send, common header included: WebRTC's
 *   1200 leaves room for IP, UDP, DTLS and TURN headers on a 1280 path
 * @max_message_size: the largest message nav_sctp_association_send() takes
 *   and the largest message reassembled from the peer (RFC 8841's
 *   max-message-size; 256 KiB)
 * @receive_buffer: bytes we hold for reassembly and ordering: our a_rwnd
 *   (raised to @max_message_size and four packets at least)
 * @send_buffer: bytes queued and not yet sent above which send() fails
 *   with %NAV_SCTP_ERROR_BUFFER_FULL
 * @rto_initial_us: RTO.Initial (RFC 9260 §16: 1 s)
 * @rto_min_us: RTO.Min (1 s)
 * @rto_max_us: RTO.Max (60 s)
 * @max_retransmissions: Association.Max.Retrans (10)
 * @path_max_retransmissions: Path.Max.Retrans (5); with a single path its
 *   failure is the association's, so the association fails when the error
 *   count exceeds the smaller of the two
 * @max_init_retransmissions: Max.Init.Retransmits (8)
 * @max_burst: Max.Burst: new-data packets sent per send opportunity (4;
 *   0: no limit)
 * @heartbeat_interval_us: HB.interval (30 s; 0: no heartbeats)
 * @delayed_ack_us: the delayed acknowledgement timeout (RFC 9260 §6.2: 200 ms)
 * @cookie_lifetime_us: Valid.Cookie.Life (60 s)
 * @num_outbound_streams: streams we announce for sending (65535 for data channels)
 * @max_inbound_streams: streams we accept (65535)
 * @enable_interleaving: announce I-DATA and I-FORWARD-TSN (RFC 8260); used
 *   when both ends announce them
 * @zero_checksum: accept packets with a zero checksum and announce it
 *   (RFC 9653, error detection method 1, SCTP over DTLS): set it only when
 *   the packets travel inside DTLS, which already authenticates them
 * @manual_receive_window: delivered messages keep their bytes charged to
 *   the receive window until nav_sctp_association_consume() releases them:
 *   a reader that stops reading closes the window and the sender waits
 * @congestion_control: how the congestion window is sized
 *   (%NAV_SCTP_CC_RFC9260 by default)
 *
 * Filled with the defaults by nav_sctp_options_init().
 *
 * Since: 1.0
 */
typedef struct {
  guint16 local_port;
  guint16 remote_port;
  guint mtu;
  gsize max_message_size;
  gsize receive_buffer;
  gsize send_buffer;
  gint64 rto_initial_us;
  gint64 rto_min_us;
  gint64 rto_max_us;
  guint max_retransmissions;
  guint path_max_retransmissions;
  guint max_init_retransmissions;
  guint max_burst;
  gint64 heartbeat_interval_us;
  gint64 delayed_ack_us;
  gint64 cookie_lifetime_us;
  guint16 num_outbound_streams;
  guint16 max_inbound_streams;
  gboolean enable_interleaving;
  gboolean zero_checksum;
  gboolean manual_receive_window;
  NavSctpCongestionControl congestion_control;
} NavSctpOptions;

/**
 * NavSctpSendOptions:
 * @unordered: deliver as soon as complete, not in stream order
 * @max_retransmits: abandon the message after this many retransmissions
 *   (RFC 3758; -1: reliable)
 * @lifetime_ms: abandon the message when not acknowledged this long after
 *   send() (RFC 3758 timed reliability; -1: no limit)
 * @tag: a value echoed in NavSctpCallbacks.message_abandoned
 *
 * How one message is sent.  %NULL send options mean ordered and reliable.
 *
 * Since: 1.0
 */
typedef struct {
  gboolean unordered;
  gint max_retransmits;
  gint lifetime_ms;
  guint64 tag;
} NavSctpSendOptions;

/**
 * NavSctpMessage:
 * @stream_id: the stream it came on
 * @ppid: its payload protocol identifier (RFC 8831 §8: 50–57)
 * @unordered: it was sent unordered
 * @data: the reassembled message, valid until the callback returns
 * @len: its length
 *
 * A message delivered by NavSctpCallbacks.message.  @data points into the
 * packet it came in when it arrived whole, or into the buffer it was
 * reassembled in: never copied a second time.  To keep it beyond the
 * callback, take it with nav_sctp_message_steal().
 *
 * Since: 1.0
 */
typedef struct {
  guint16 stream_id;
  guint32 ppid;
  gboolean unordered;
  const guint8 *data;
  gsize len;
  /*< private >*/
  guint8 *owned;
} NavSctpMessage;

typedef struct _NavSctpAssociation NavSctpAssociation;

/**
 * NavSctpCallbacks:
 * @send_packet: a packet to send (required); @data is valid during the
 *   call only.  Called synchronously; must not call back in.
 * @now: the current time in microseconds, monotonic (required); called
 *   synchronously; must not call back in
 * @fill_random: fills @buf with unpredictable bytes (verification tags,
 *   initial TSNs, the cookie secret); %NULL: getrandom()
 * @connected: the association is established
 * @message: a message arrived (see #NavSctpMessage)
 * @message_abandoned: a message sent with a retransmission or lifetime
 *   limit was given up (RFC 3758): it may not have reached the peer
 * @streams_reset: streams were reset (RFC 6525): @incoming %TRUE: the peer
 *   reset its outgoing streams (a data channel closed from the far end);
 *   %FALSE: our outgoing reset request was performed
 * @streams_reset_failed: the peer refused our reset request
 * @buffered_amount_low: the stream's buffered amount fell to its threshold
 * @total_buffered_amount_low: the total buffered amount fell to its threshold
 * @closed: the association closed (see #NavSctpCloseReason); the detail
 *   is a translated sentence
 * @restarted: the peer restarted the association (RFC 9260 §5.2.4 case A):
 *   queued data and stream state were dropped
 * @error: something worth telling the owner that does not close the
 *   association (an ERROR chunk from the peer)
 * @probe_acked: the peer answered a path MTU probe of @size bytes
 *   (nav_sctp_association_send_probe())
 *
 * Every callback but @send_packet and @now may be %NULL.
 *
 * Since: 1.0
 */
typedef struct {
  void (*send_packet) (NavSctpAssociation *assoc,
                       const guint8       *data,
                       gsize               len,
                       gpointer            user_data);
  gint64 (*now) (gpointer user_data);
  void (*fill_random) (guint8  *buf,
                       gsize    len,
                       gpointer user_data);
  void (*connected) (NavSctpAssociation *assoc,
                     gpointer            user_data);
  void (*message) (NavSctpAssociation *assoc,
                   NavSctpMessage     *message,
                   gpointer            user_data);
  void (*message_abandoned) (NavSctpAssociation *assoc,
                             guint16             stream_id,
                             guint32             ppid,
                             gsize               len,
                             guint64             tag,
                             gpointer            user_data);
  void (*streams_reset) (NavSctpAssociation *assoc,
                         gboolean            incoming,
                         const guint16      *streams,
                         guint               n_streams,
                         gpointer            user_data);
  void (*streams_reset_failed) (NavSctpAssociation *assoc,
                                const guint16      *streams,
                                guint               n_streams,
                                const gchar        *detail,
                                gpointer            user_data);
  void (*buffered_amount_low) (NavSctpAssociation *assoc,
                               guint16             stream_id,
                               gpointer            user_data);
  void (*total_buffered_amount_low) (NavSctpAssociation *assoc,
                                     gpointer            user_data);
  void (*closed) (NavSctpAssociation *assoc,
                  NavSctpCloseReason  reason,
                  const gchar        *detail,
                  gpointer            user_data);
  void (*restarted) (NavSctpAssociation *assoc,
                     gpointer            user_data);
  void (*error) (NavSctpAssociation *assoc,
                 const GError       *error,
                 gpointer            user_data);
  void (*probe_acked) (NavSctpAssociation *assoc,
                       gsize               size,
                       gpointer            user_data);
} NavSctpCallbacks;

/**
 * NavSctpStats:
 *
 * Counters of one association, for tests, logs and benchmarks.
 *
 * Since: 1.0
 */
typedef struct {
  guint64 packets_sent;
  guint64 packets_received;
  guint64 bytes_sent;           /* SCTP packet bytes */
  guint64 bytes_received;
  guint64 packets_dropped;      /* bad checksum, tag, length, state */
  guint64 chunks_dropped;       /* chunks refused: window, limits, garbage */
  guint64 data_chunks_sent;
  guint64 data_chunks_received;
  guint64 duplicate_tsns;
  guint64 retransmissions;      /* DATA chunks sent again */
  guint64 fast_retransmits;     /* fast retransmit events (RFC 9260 §7.2.4) */
  guint64 t3_expirations;
  guint64 messages_sent;
  guint64 messages_received;
  guint64 messages_abandoned;
  guint64 forward_tsns_sent;
  guint64 sacks_sent;
  guint64 sacks_received;
  guint64 heartbeats_sent;
  gsize cwnd;
  gsize ssthresh;
  gsize flight_size;
  gsize peer_rwnd;
  gsize receive_window;         /* what we advertise now */
  gsize receive_held;           /* bytes held for reassembly and ordering */
  gint64 srtt_us;               /* 0 before the first measurement */
  guint64 delivery_rate;        /* NAV_SCTP_CC_MODEL: the model's bytes/s */
  gint64 min_rtt_us;            /* NAV_SCTP_CC_MODEL: the model's round trip */
  gint64 rto_us;
  guint error_count;
  guint16 outbound_streams;
  guint16 inbound_streams;
  gboolean interleaving;
  gboolean partial_reliability;
  gboolean reconfig;
  gboolean zero_checksum_sending;
} NavSctpStats;

void nav_sctp_options_init (NavSctpOptions *options);

NavSctpAssociation *nav_sctp_association_new (const NavSctpOptions   *options,
                                              const NavSctpCallbacks *callbacks,
                                              gpointer                user_data);
void nav_sctp_association_free (NavSctpAssociation *assoc);

void nav_sctp_association_connect (NavSctpAssociation *assoc);
void nav_sctp_association_shutdown (NavSctpAssociation *assoc);
void nav_sctp_association_abort (NavSctpAssociation *assoc,
                                 const gchar        *reason);

void nav_sctp_association_handle_input (NavSctpAssociation *assoc,
                                        const guint8       *packet,
                                        gsize               len);
void nav_sctp_association_handle_timeout (NavSctpAssociation *assoc);
gint64 nav_sctp_association_get_timeout (NavSctpAssociation *assoc);

gboolean nav_sctp_association_send (NavSctpAssociation       *assoc,
                                    guint16                   stream_id,
                                    guint32                   ppid,
                                    const guint8             *data,
                                    gsize                     len,
                                    const NavSctpSendOptions *options,
                                    GError                  **error);
gboolean nav_sctp_association_send_bytes (NavSctpAssociation       *assoc,
                                          guint16                   stream_id,
                                          guint32                   ppid,
                                          GBytes                   *bytes,
                                          const NavSctpSendOptions *options,
                                          GError                  **error);

gboolean nav_sctp_association_reset_streams (NavSctpAssociation *assoc,
                                             const guint16      *streams,
                                             guint               n_streams,
                                             GError            **error);

gsize nav_sctp_association_get_buffered_amount (NavSctpAssociation *assoc,
                                                guint16             stream_id);
gsize nav_sctp_association_get_total_buffered_amount (NavSctpAssociation *assoc);
void nav_sctp_association_set_buffered_amount_low_threshold (NavSctpAssociation *assoc,
                                                             guint16             stream_id,
                                                             gsize               threshold);
void nav_sctp_association_set_total_buffered_amount_low_threshold (NavSctpAssociation *assoc,
                                                                   gsize               threshold);

void nav_sctp_association_consume (NavSctpAssociation *assoc,
                                   gsize               bytes);
void nav_sctp_association_set_congestion_control (NavSctpAssociation       *assoc,
                                                  NavSctpCongestionControl  cc);
void nav_sctp_association_set_receive_buffer (NavSctpAssociation *assoc,
                                              gsize               bytes);

NavSctpState nav_sctp_association_get_state (NavSctpAssociation *assoc);
void nav_sctp_association_get_stats (NavSctpAssociation *assoc,
                                     NavSctpStats       *stats);

GBytes *nav_sctp_message_steal (NavSctpMessage *message);

G_END_DECLS
