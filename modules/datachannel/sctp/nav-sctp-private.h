/* nav-sctp-private.h: what the association's files share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * nav-sctp-association.c  the public calls, chunk dispatch, timers, events,
 *                         closing
 * nav-sctp-handshake.c    INIT, INIT ACK, COOKIE ECHO, COOKIE ACK, collision,
 *                         restart, the extensions both ends announce
 * nav-sctp-control.c      SHUTDOWN sequence, ABORT, ERROR, HEARTBEAT
 * nav-sctp-cookie.c       the HMAC-signed state cookie
 * nav-sctp-tx.c           send queues, scheduler, outstanding TSNs, SACK
 *                         processing, congestion control, retransmission,
 *                         partial reliability, packet assembly
 * nav-sctp-rx.c           received TSNs, SACK generation, reassembly,
 *                         ordered delivery, FORWARD-TSN
 * nav-sctp-reconfig.c     stream reset (RFC 6525)
 */
#pragma once

#include "nav-sctp-association.h"
#include "nav-sctp-packet.h"

G_BEGIN_DECLS

/* Serial number arithmetic (RFC 1982) on 32-bit TSNs and MIDs, and 16-bit SSNs. */
#define TSN_LT(a, b) ((gint32) ((guint32) (a) - (guint32) (b)) < 0)
#define TSN_LE(a, b) ((gint32) ((guint32) (a) - (guint32) (b)) <= 0)
#define TSN_GT(a, b) TSN_LT (b, a)
#define TSN_GE(a, b) TSN_LE (b, a)
#define SSN_LT(a, b) ((gint16) ((guint16) ((a) - (b))) < 0)
#define SSN_LE(a, b) ((gint16) ((guint16) ((a) - (b))) <= 0)

/* Receive side bounds against a hostile or broken peer. */
#define RX_TSN_WINDOW 65000u         /* TSNs accepted above the cumulative TSN (gap offsets are 16 bits) */
#define RX_MAX_RANGES 4096u          /* disjoint received ranges above it */
#define RX_ITEM_OVERHEAD 64u         /* bytes charged per held fragment or message */
#define RX_MAX_DUPS 32u              /* duplicate TSNs reported per SACK */
#define MAX_PENDING_CONTROL 4096u    /* bytes of queued control chunks (HEARTBEAT ACK, ERROR) */

typedef enum {
  TIMER_T1_INIT,
  TIMER_T1_COOKIE,
  TIMER_T2_SHUTDOWN,
  TIMER_T3_RTX,
  TIMER_T5_GUARD,
  TIMER_HEARTBEAT,
  TIMER_HEARTBEAT_ACK,
  TIMER_DELAYED_ACK,
  TIMER_RECONFIG,
  N_TIMERS
} NavSctpTimer;

#define TIMER_OFF G_MAXINT64

/* ---- sending ---- */

typedef struct _NavSctpOutMsg NavSctpOutMsg;
struct _NavSctpOutMsg {
  NavSctpOutMsg *next;          /* the stream's FIFO */
  GBytes *bytes;                /* the data, or NULL when inline */
  const guint8 *data;
  gsize len;
  gsize offset;                 /* bytes already cut into chunks */
  gint64 expires_at;            /* TIMER_OFF: never */
  guint32 max_rtx;              /* G_MAXUINT32: reliable */
  guint64 tag;
  guint32 ppid;
  guint32 ssn_mid;              /* assigned with the first fragment */
  guint32 next_fsn;
  guint32 first_tsn;
  guint32 last_tsn;
  guint32 refs;                 /* outstanding chunks, +1 while queued */
  guint16 stream_id;
  guint8 unordered : 1;
  guint8 abandoned : 1;
  guint8 started : 1;
  guint8 queued : 1;
  guint8 inline_data[];
};

typedef struct _NavSctpOutStream NavSctpOutStream;
struct _NavSctpOutStream {
  NavSctpOutMsg *head;
  NavSctpOutMsg *tail;
  NavSctpOutStream *rr_next;    /* ring of streams with queued data */
  NavSctpOutStream *rr_prev;
  gsize buffered;               /* bytes queued, not yet in a chunk */
  gsize low_threshold;
  guint32 next_ssn;             /* DATA: 16 bits used */
  guint32 next_mid[2];          /* I-DATA: ordered, unordered */
  guint16 id;
  guint8 active : 1;            /* on the ring */
  guint8 reset_requested : 1;   /* closing: no new sends, drain then reset */
  guint8 reset_in_flight : 1;   /* in the outstanding request */
};

typedef enum {
  TX_OUTSTANDING,               /* sent, in flight */
  TX_ACKED,                     /* acknowledged by a gap block */
  TX_RTX,                       /* marked for retransmission, not in flight */
  TX_ABANDONED,                 /* RFC 3758 */
} TxState;

typedef struct {
  NavSctpOutMsg *msg;
  gint64 sent_at;
  guint64 delivered_at_send;    /* NAV_SCTP_CC_MODEL: a->delivered when sent */
  gint64 delivered_time_at_send;
  gint64 first_sent_at_send;    /* a->first_sent_time when sent */
  guint32 offset;
  guint32 fsn;
  guint16 len;
  guint16 nsent;
  guint8 flags;                 /* B, E, U as on the wire */
  guint8 state;
  guint8 nacks;
  guint8 fast_rtx_done : 1;
} NavSctpTxChunk;

/* ---- receiving ---- */

typedef struct {
  guint32 start;
  guint32 end;
} NavSctpRange;

typedef struct {
  guint32 tsn;
  guint32 key;                  /* SSN (DATA) or MID (I-DATA) */
  guint32 fsn;
  guint32 ppid;
  guint32 len;
  guint16 stream_id;
  guint8 flags;
  guint8 idata;
  guint8 data[];
} NavSctpRxFrag;

typedef struct {
  guint32 key;                  /* SSN / MID; 0 for unordered DATA */
  guint32 first_tsn;            /* DATA: TSN of the first fragment */
  guint32 next;                 /* DATA: next TSN; I-DATA: next FSN */
  guint32 ppid;
  guint8 *buf;
  gsize len;
  gsize cap;
  gboolean complete;
} NavSctpRxMsg;

typedef struct {
  GPtrArray *partials;          /* NavSctpRxMsg being reassembled */
  GPtrArray *frags;             /* NavSctpRxFrag out of order, sorted */
  GPtrArray *ready;             /* complete ordered NavSctpRxMsg, sorted by key */
  guint32 next_key;             /* ordered: the next SSN / MID to deliver */
  gsize size_hint;
} NavSctpRxLane;

typedef struct _NavSctpRxStream NavSctpRxStream;
struct _NavSctpRxStream {
  NavSctpRxLane lane[2];        /* ordered, unordered */
  NavSctpRxStream *dirty_next;  /* streams holding data */
  NavSctpRxStream *dirty_prev;
  guint16 id;
  guint8 dirty : 1;
  guint8 reset_deferred : 1;
};

/* ---- events ---- */

typedef enum {
  EV_CONNECTED,
  EV_MESSAGE,
  EV_ABANDONED,
  EV_STREAMS_RESET,
  EV_STREAMS_RESET_FAILED,
  EV_BUFFERED_LOW,
  EV_TOTAL_BUFFERED_LOW,
  EV_CLOSED,
  EV_RESTARTED,
  EV_ERROR,
} EventType;

typedef struct {
  EventType type;
  NavSctpMessage msg;           /* EV_MESSAGE; stream_id, ppid, len for others */
  guint64 tag;
  guint code;                   /* close reason, error code, incoming flag */
  guint16 *streams;
  guint n_streams;
  gchar *text;
} NavSctpEvent;

#define STREAM_PAGES 256

enum {
  MODEL_STARTUP,
  MODEL_DRAIN,
  MODEL_PROBE_BW,
  MODEL_PROBE_RTT,
};

struct _NavSctpAssociation {
  NavSctpOptions opt;
  NavSctpCallbacks cb;
  gpointer user_data;
  NavSctpState state;
  gint64 now;
  guint depth;                  /* public calls in progress */
  gboolean free_pending;
  gboolean input_stable;        /* the packet being handled outlives event dispatch */
  GArray *events;
  guint events_head;

  guint8 secret[32];            /* the state cookie's HMAC key */
  guint32 rng[4];               /* xoshiro128** for jitter */

  guint32 local_tag;
  guint32 peer_tag;
  guint32 local_initial_tsn;
  guint32 peer_initial_tsn;
  guint16 out_streams;          /* negotiated */
  guint16 in_streams;
  gboolean peer_idata;          /* I-DATA used in both directions */
  gboolean peer_prsctp;
  gboolean peer_reconfig;
  gboolean peer_zero_checksum;
  gboolean local_zero_checksum; /* we announced and accept it */

  gint64 timers[N_TIMERS];
  guint init_retransmits;
  guint stale_cookies;          /* §5.2.6 restarts of this handshake */
  guint shutdown_retransmits;
  GBytes *init_chunk;           /* our INIT or COOKIE ECHO chunk for T1 */
  GByteArray *control;          /* queued control chunks, each whole */

  /* RTO (RFC 9260 §6.3) */
  gint64 srtt;
  gint64 rttvar;
  gint64 rto;
  gboolean have_rtt;
  guint error_count;

  /* heartbeat */
  guint32 hb_nonce;
  gint64 hb_sent_at;
  gboolean hb_outstanding;
  gint64 last_data_sent;

  /* path MTU probes (nav-sctp-plpmtud.c) */
  guint32 probe_nonce;

  /* tx */
  guint8 *packet;               /* MTU bytes, reused for every packet */
  NavSctpOutStream **out_pages[STREAM_PAGES];
  NavSctpOutStream *rr;         /* next stream the scheduler serves */
  NavSctpOutStream *current;    /* DATA: the stream whose message is half sent */
  gboolean tx_started;          /* TSNs, windows set (nav_sctp_tx_start) */
  gsize total_buffered;
  gsize total_low_threshold;
  guint32 next_tsn;
  guint32 cum_ack;              /* the peer's cumulative TSN ack */
  guint32 adv_ack_point;        /* RFC 3758 Advanced.Peer.Ack.Point */
  NavSctpTxChunk *ring;
  guint32 ring_cap;             /* power of two */
  guint32 ring_head;            /* slot of cum_ack + 1 */
  gsize flight;
  gsize cwnd;
  gsize ssthresh;
  gsize pba;                    /* partial_bytes_acked */
  gsize peer_rwnd;
  gboolean fast_recovery;
  guint32 recover_tsn;
  guint32 rtx_pending;          /* chunks in TX_RTX */
  gboolean fast_rtx_now;        /* send one packet of RTX regardless of cwnd */
  gboolean fwd_tsn_pending;
  gint64 fwd_tsn_sent_at;
  gboolean rtt_pending;
  guint32 rtt_tsn;
  gint64 rtt_sent_at;
  GArray *prev_gaps;            /* NavSctpRange: the last SACK's gap blocks, absolute */

  /* NAV_SCTP_CC_MODEL (nav-sctp-tx.c) */
  guint64 delivered;            /* bytes acknowledged, ever */
  gint64 delivered_time;        /* when it last grew */
  guint64 round_mark;           /* a round trip ends when a chunk sent after it is acked */
  guint64 rounds;
  guint64 bw_rounds[10];        /* the largest delivery rate of each of the last rounds */
  guint64 bw;                   /* their maximum, bytes/s */
  gint64 min_rtt;
  gint64 min_rtt_at;
  guint model_state;            /* MODEL_STARTUP... */
  gsize inflight_hi;            /* the cap losses set; G_MAXSIZE: none */
  gsize probe_step;             /* what it grows by in the next round */
  guint cruise_rounds;          /* rounds since it was set or grew */
  guint64 round_start_delivered;
  guint64 round_lost;           /* bytes taken for lost this round */
  guint round_lost_chunks;
  gsize round_max_flight;
  gsize model_cwnd_before_t3;
  gint64 probe_rtt_until;
  gint64 probe_rtt_min;
  guint64 full_bw;
  guint full_bw_rounds;
  /* the newest chunk acked by the SACK being handled, sent once */
  gboolean rs_valid;
  gint64 rs_sent_at;
  guint64 rs_delivered_at_send;
  gint64 rs_delivered_time_at_send;
  gint64 rs_first_sent_at_send;
  gint64 first_sent_time;       /* when the newest chunk acknowledged was sent */
  gboolean sack_since_t3;
  gint64 idle_since;
  gint64 sack_newest_sent;      /* the latest send time among the chunks this SACK acked */

  /* rx */
  guint32 rx_cum;
  guint32 rx_highest;
  GArray *rx_ranges;            /* NavSctpRange above rx_cum + 1 */
  guint32 rx_dups[RX_MAX_DUPS];
  guint rx_n_dups;
  guint rx_data_packets;        /* packets with DATA since our last SACK */
  gboolean sack_pending;        /* send a SACK with the next packet */
  gsize rx_held;
  gsize rx_app_held;
  gsize rx_last_arwnd;
  NavSctpRxStream **in_pages[STREAM_PAGES];
  NavSctpRxStream *dirty;
  GQueue parked;                /* NavSctpRxFrag held for a deferred reset */

  /* reconfig (RFC 6525) */
  guint32 reconf_next_seq;      /* our next request sequence number */
  gboolean reconf_outstanding;
  gboolean reconf_send_now;     /* the outstanding request goes with the next packet */
  guint32 reconf_seq;
  guint32 reconf_last_tsn;
  GArray *reconf_streams;       /* guint16, in the outstanding request */
  guint reconf_retransmits;
  gint64 reconf_retry_at;       /* after "in progress" */
  GArray *reset_pending;        /* guint16, waiting for their queues to drain */
  guint32 reconf_peer_seq;      /* the peer's next expected request */
  guint32 reconf_peer_last_result;
  gboolean reconf_deferred;
  guint32 reconf_deferred_seq;
  guint32 reconf_deferred_tsn;
  GArray *reconf_deferred_streams;
  gboolean reconf_performed;    /* the last reset we performed: */
  guint32 reconf_performed_tsn; /* its last TSN (streams: reconf_deferred_streams) */
  gboolean reconf_response_pending;
  guint32 reconf_response_seq;
  guint32 reconf_response_result;

  NavSctpStats stats;
};

/* nav-sctp-association.c */
void nav_sctp_timer_start (NavSctpAssociation *a,
                           NavSctpTimer        t,
                           gint64              delay);
void nav_sctp_timer_stop (NavSctpAssociation *a,
                          NavSctpTimer        t);
static inline gboolean
nav_sctp_timer_running (NavSctpAssociation *a,
                        NavSctpTimer        t)
{
  return a->timers[t] != TIMER_OFF;
}
NavSctpEvent *nav_sctp_event_push (NavSctpAssociation *a,
                                   EventType           type);
void nav_sctp_emit_packet (NavSctpAssociation *a,
                           NavSctpWriter      *w);
gboolean nav_sctp_use_checksum (NavSctpAssociation *a);
void nav_sctp_queue_control (NavSctpAssociation *a,
                             guint8              type,
                             guint8              flags,
                             const guint8       *value,
                             gsize               value_len);
void nav_sctp_queue_error (NavSctpAssociation *a,
                           guint16             cause,
                           const guint8       *info,
                           gsize               info_len);
void nav_sctp_protocol_violation (NavSctpAssociation *a,
                                  const gchar        *detail);
void nav_sctp_abort_with_cause (NavSctpAssociation *a,
                                guint16             cause,
                                const guint8       *info,
                                gsize               info_len,
                                const gchar        *detail);
void nav_sctp_fail (NavSctpAssociation *a,
                    NavSctpCloseReason  reason,
                    const gchar        *detail);
void nav_sctp_update_rto (NavSctpAssociation *a,
                          gint64              rtt);
guint32 nav_sctp_random32 (NavSctpAssociation *a);
/* nav-sctp-plpmtud.c: TRUE when @chunk answered one of our probes. */
gboolean nav_sctp_probe_handle_ack (NavSctpAssociation *a,
                                    const NavSctpTlv   *chunk);
void nav_sctp_fill_random (NavSctpAssociation *a,
                           guint8             *buf,
                           gsize               len);
guint32 nav_sctp_random_nonzero (NavSctpAssociation *a);
void nav_sctp_send_chunk (NavSctpAssociation *a,
                          guint32             vtag,
                          guint8              type,
                          guint8              flags,
                          const guint8       *value,
                          gsize               value_len,
                          gboolean            checksum);
void nav_sctp_send_abort (NavSctpAssociation *a,
                          guint16             cause,
                          const guint8       *info,
                          gsize               info_len);
gboolean nav_sctp_teardown_pending (NavSctpAssociation *a);
void nav_sctp_teardown (NavSctpAssociation *a);

/* nav-sctp-handshake.c */
void nav_sctp_build_init (NavSctpAssociation *a);
void nav_sctp_send_init (NavSctpAssociation *a);
void nav_sctp_handle_init (NavSctpAssociation *a,
                           const NavSctpTlv   *chunk);
void nav_sctp_handle_init_ack (NavSctpAssociation *a,
                               const NavSctpTlv   *chunk);
void nav_sctp_handle_cookie_echo (NavSctpAssociation *a,
                                  const NavSctpTlv   *chunk,
                                  guint32             vtag);
void nav_sctp_handle_cookie_ack (NavSctpAssociation *a);

/* nav-sctp-control.c */
void nav_sctp_check_shutdown_progress (NavSctpAssociation *a);
void nav_sctp_send_shutdown (NavSctpAssociation *a);
void nav_sctp_close_gracefully (NavSctpAssociation *a);
void nav_sctp_handle_shutdown (NavSctpAssociation *a,
                               const NavSctpTlv   *chunk);
void nav_sctp_handle_shutdown_ack (NavSctpAssociation *a,
                                   guint32             vtag);
void nav_sctp_handle_abort (NavSctpAssociation *a,
                            const NavSctpTlv   *chunk);
void nav_sctp_handle_error (NavSctpAssociation *a,
                            const NavSctpTlv   *chunk);
void nav_sctp_heartbeat_schedule (NavSctpAssociation *a);
void nav_sctp_send_heartbeat (NavSctpAssociation *a);
void nav_sctp_handle_heartbeat_ack (NavSctpAssociation *a,
                                    const NavSctpTlv   *chunk);

/* nav-sctp-cookie.c */
typedef struct {
  gint64 created_at;
  guint32 local_tag;
  guint32 peer_tag;
  guint32 local_initial_tsn;
  guint32 peer_initial_tsn;
  guint32 peer_a_rwnd;
  guint16 out_streams;
  guint16 in_streams;
  guint32 tie_local;
  guint32 tie_peer;
  guint8 caps;                  /* COOKIE_CAP_* */
} NavSctpCookie;

#define COOKIE_CAP_IDATA 0x01
#define COOKIE_CAP_PRSCTP 0x02
#define COOKIE_CAP_RECONFIG 0x04
#define COOKIE_CAP_ZERO_CHECKSUM 0x08
#define NAV_SCTP_COOKIE_SIZE 76

void nav_sctp_cookie_write (NavSctpAssociation  *a,
                            const NavSctpCookie *cookie,
                            guint8              *out);
gboolean nav_sctp_cookie_read (NavSctpAssociation *a,
                               const guint8       *data,
                               gsize               len,
                               NavSctpCookie      *cookie);

/* nav-sctp-tx.c */
void nav_sctp_tx_init (NavSctpAssociation *a);
void nav_sctp_tx_reset (NavSctpAssociation *a);
void nav_sctp_tx_start (NavSctpAssociation *a,
                        guint32             peer_a_rwnd);
void nav_sctp_tx_flush (NavSctpAssociation *a);
void nav_sctp_tx_bundle_with_cookie (NavSctpAssociation *a,
                                     NavSctpWriter      *w);
void nav_sctp_tx_handle_sack (NavSctpAssociation *a,
                              const NavSctpSack  *sack);
void nav_sctp_tx_handle_cum_ack (NavSctpAssociation *a,
                                 guint32             cum_ack);
void nav_sctp_tx_t3_expired (NavSctpAssociation *a);
gboolean nav_sctp_tx_all_acked (NavSctpAssociation *a);
gboolean nav_sctp_tx_queues_empty (NavSctpAssociation *a);
NavSctpOutStream *nav_sctp_out_stream (NavSctpAssociation *a,
                                       guint16             id,
                                       gboolean            create);
gboolean nav_sctp_tx_enqueue (NavSctpAssociation       *a,
                              guint16                   stream_id,
                              guint32                   ppid,
                              GBytes                   *bytes,
                              const guint8             *data,
                              gsize                     len,
                              const NavSctpSendOptions *options,
                              GError                  **error);

/* nav-sctp-rx.c */
void nav_sctp_rx_init (NavSctpAssociation *a);
void nav_sctp_rx_reset (NavSctpAssociation *a);
void nav_sctp_rx_start (NavSctpAssociation *a,
                        guint32             peer_initial_tsn);
void nav_sctp_rx_handle_data (NavSctpAssociation *a,
                              const NavSctpData  *data);
void nav_sctp_rx_packet_done (NavSctpAssociation *a,
                              gboolean            had_data,
                              gboolean            had_gaps_before);
void nav_sctp_rx_handle_forward_tsn (NavSctpAssociation      *a,
                                     const NavSctpForwardTsn *fwd);
gboolean nav_sctp_rx_write_sack (NavSctpAssociation *a,
                                 NavSctpWriter      *w);
gsize nav_sctp_rx_window (NavSctpAssociation *a);
gboolean nav_sctp_rx_has_gaps (NavSctpAssociation *a);
void nav_sctp_rx_reset_streams (NavSctpAssociation *a,
                                const guint16      *streams,
                                guint               n_streams);
void nav_sctp_rx_consume (NavSctpAssociation *a,
                          gsize               bytes);

/* nav-sctp-reconfig.c */
void nav_sctp_reconfig_reset (NavSctpAssociation *a);
gboolean nav_sctp_reconfig_request (NavSctpAssociation *a,
                                    const guint16      *streams,
                                    guint               n_streams,
                                    GError            **error);
void nav_sctp_reconfig_handle (NavSctpAssociation *a,
                               const NavSctpTlv   *chunk);
void nav_sctp_reconfig_poll (NavSctpAssociation *a);
gboolean nav_sctp_reconfig_write (NavSctpAssociation *a,
                                  NavSctpWriter      *w);
void nav_sctp_reconfig_timeout (NavSctpAssociation *a);
void nav_sctp_reconfig_cum_advanced (NavSctpAssociation *a);
gboolean nav_sctp_reconfig_stream_deferred (NavSctpAssociation *a,
                                            guint16             stream_id,
                                            guint32             tsn);

G_END_DECLS
