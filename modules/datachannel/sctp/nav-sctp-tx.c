/* nav-sctp-tx.c: the sending half of the association
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Messages wait in per-stream FIFOs; a round-robin scheduler cuts them
 * into DATA (or I-DATA) chunks as packets are built, so a fragment is
 * sized to the room left in the packet and the bytes are copied once,
 * from the message into the packet.  A chunk that left keeps a slot in a
 * ring indexed by TSN (TSNs are consecutive, so slot = TSN − cumulative
 * ack − 1): no allocation per chunk, and a SACK costs what it changes:
 * the cumulative ack pops slots off the front, and gap blocks are compared
 * with the previous SACK's so that a TSN already acknowledged is not
 * visited again.
 *
 * Congestion control, retransmission and fast recovery follow RFC 9260
 * §6.1–§7.2; partial reliability RFC 3758 §3.5.
 */
#include "config.h"

#include "nav-sctp-private.h"

#include <glib/gi18n-lib.h>

/* Below this a message is not fragmented to fill the tail of a packet
 * that already carries something: the next packet takes it whole. */
#define MIN_FRAGMENT 256
/* TSNs in flight at most, whatever the windows allow: a sender of tiny
 * messages stays inside what receivers track above their cumulative TSN
 * (ours 65000, usrsctp's mapping array less). */
#define MAX_OUTSTANDING_TSNS 16384u

static inline guint32
ring_count (NavSctpAssociation *a)
{
  return a->next_tsn - (a->cum_ack + 1);
}

static inline NavSctpTxChunk *
ring_at (NavSctpAssociation *a,
         guint32             tsn)
{
  return &a->ring[(a->ring_head + (tsn - a->cum_ack - 1)) & (a->ring_cap - 1)];
}

static void
ring_grow (NavSctpAssociation *a)
{
  guint32 n = ring_count (a);
  guint32 cap = a->ring_cap * 2;
  NavSctpTxChunk *ring = g_new0 (NavSctpTxChunk, cap);

  for (guint32 i = 0; i < n; i++)
    ring[i] = a->ring[(a->ring_head + i) & (a->ring_cap - 1)];
  g_free (a->ring);
  a->ring = ring;
  a->ring_cap = cap;
  a->ring_head = 0;
}

/* A fresh slot for the next TSN, referencing @m. */
static NavSctpTxChunk *
ring_push (NavSctpAssociation *a,
           NavSctpOutMsg      *m,
           guint32            *tsn)
{
  NavSctpTxChunk *c;

  if (ring_count (a) + 1 >= a->ring_cap)
    ring_grow (a);
  *tsn = a->next_tsn++;
  c = ring_at (a, *tsn);
  memset (c, 0, sizeof *c);
  c->msg = m;
  m->refs++;
  c->fsn = m->next_fsn++;
  m->last_tsn = *tsn;
  return c;
}

static void
out_msg_unref (NavSctpOutMsg *m)
{
  g_assert (m->refs > 0);
  if (--m->refs > 0)
    return;
  if (m->bytes != NULL)
    g_bytes_unref (m->bytes);
  g_free (m);
}

NavSctpOutStream *
nav_sctp_out_stream (NavSctpAssociation *a,
                     guint16             id,
                     gboolean            create)
{
  NavSctpOutStream **page = a->out_pages[id >> 8];
  NavSctpOutStream *s;

  if (page == NULL)
    {
      if (!create)
        return NULL;
      page = a->out_pages[id >> 8] = g_new0 (NavSctpOutStream *, 256);
    }
  s = page[id & 0xff];
  if (s == NULL && create)
    {
      s = page[id & 0xff] = g_new0 (NavSctpOutStream, 1);
      s->id = id;
    }
  return s;
}

static void
stream_activate (NavSctpAssociation *a,
                 NavSctpOutStream   *s)
{
  if (s->active)
    return;
  s->active = TRUE;
  if (a->rr == NULL)
    {
      s->rr_next = s->rr_prev = s;
      a->rr = s;
      return;
    }
  /* At the tail: just before the stream served next. */
  s->rr_next = a->rr;
  s->rr_prev = a->rr->rr_prev;
  s->rr_prev->rr_next = s;
  a->rr->rr_prev = s;
}

static void
stream_deactivate (NavSctpAssociation *a,
                   NavSctpOutStream   *s)
{
  if (!s->active)
    return;
  s->active = FALSE;
  if (s->rr_next == s)
    a->rr = NULL;
  else
    {
      s->rr_prev->rr_next = s->rr_next;
      s->rr_next->rr_prev = s->rr_prev;
      if (a->rr == s)
        a->rr = s->rr_next;
    }
  s->rr_next = s->rr_prev = NULL;
  if (a->current == s)
    a->current = NULL;
}

/* Bytes leave the send buffer (cut into a chunk, or abandoned): the
 * buffered-amount-low events fire when an amount falls to its threshold. */
static void
account_unbuffered (NavSctpAssociation *a,
                    NavSctpOutStream   *s,
                    gsize               n)
{
  gsize before = s->buffered;
  gsize total_before = a->total_buffered;

  s->buffered -= n;
  a->total_buffered -= n;
  if (before > s->low_threshold && s->buffered <= s->low_threshold)
    nav_sctp_event_push (a, EV_BUFFERED_LOW)->msg.stream_id = s->id;
  if (total_before > a->total_low_threshold && a->total_buffered <= a->total_low_threshold)
    nav_sctp_event_push (a, EV_TOTAL_BUFFERED_LOW);
}

static void
stream_unlink (NavSctpAssociation *a,
               NavSctpOutStream   *s,
               NavSctpOutMsg      *m)
{
  NavSctpOutMsg **pp = &s->head;
  NavSctpOutMsg *prev = NULL;

  while (*pp != NULL && *pp != m)
    {
      prev = *pp;
      pp = &(*pp)->next;
    }
  g_assert (*pp == m);
  *pp = m->next;
  if (s->tail == m)
    s->tail = prev;
  m->next = NULL;
  m->queued = FALSE;
  if (a->current == s)
    a->current = NULL;
  if (s->head == NULL)
    stream_deactivate (a, s);
}

void
nav_sctp_tx_init (NavSctpAssociation *a)
{
  a->ring_cap = 256;
  a->ring = g_new0 (NavSctpTxChunk, a->ring_cap);
  /* Empty: nothing between the cumulative ack and the next TSN. */
  a->next_tsn = 0;
  a->cum_ack = a->next_tsn - 1;
  a->prev_gaps = g_array_new (FALSE, FALSE, sizeof (NavSctpRange));
  a->packet = g_malloc (a->opt.mtu);
}

/* Drops what is outstanding and what is queued. */
void
nav_sctp_tx_reset (NavSctpAssociation *a)
{
  while (ring_count (a) > 0)
    {
      NavSctpTxChunk *c = ring_at (a, a->cum_ack + 1);

      out_msg_unref (c->msg);
      c->msg = NULL;
      a->cum_ack++;
      a->ring_head = (a->ring_head + 1) & (a->ring_cap - 1);
    }
  a->flight = 0;
  a->rtx_pending = 0;
  a->fast_rtx_now = FALSE;
  a->fast_recovery = FALSE;
  a->fwd_tsn_pending = FALSE;
  a->rtt_pending = FALSE;
  g_array_set_size (a->prev_gaps, 0);
  a->current = NULL;
  a->rr = NULL;
  a->tx_started = FALSE;
  for (guint p = 0; p < STREAM_PAGES; p++)
    {
      if (a->out_pages[p] == NULL)
        continue;
      for (guint i = 0; i < 256; i++)
        {
          NavSctpOutStream *s = a->out_pages[p][i];

          if (s == NULL)
            continue;
          while (s->head != NULL)
            {
              NavSctpOutMsg *m = s->head;

              s->head = m->next;
              m->queued = FALSE;
              out_msg_unref (m);
            }
          g_free (s);
        }
      g_clear_pointer (&a->out_pages[p], g_free);
    }
  a->total_buffered = 0;
}

/* The association is up: RFC 9260 §7.2.1 initial windows. */
void
nav_sctp_tx_start (NavSctpAssociation *a,
                   guint32             peer_a_rwnd)
{
  gsize mtu = a->opt.mtu;

  if (a->tx_started)
    return;                     /* with COOKIE ECHO already */
  a->tx_started = TRUE;
  a->next_tsn = a->local_initial_tsn;
  a->cum_ack = a->next_tsn - 1;
  a->adv_ack_point = a->cum_ack;
  a->ring_head = 0;
  a->cwnd = MIN (4 * mtu, MAX (2 * mtu, 4404));
  a->ssthresh = peer_a_rwnd;
  a->peer_rwnd = peer_a_rwnd;
  a->pba = 0;
  a->last_data_sent = a->now;
  a->delivered_time = a->now;
  a->first_sent_time = a->now;
  a->model_state = MODEL_STARTUP;
  a->inflight_hi = G_MAXSIZE;
  a->min_rtt = -1;
}

/* ---- the model-based congestion window (NAV_SCTP_CC_MODEL) ----
 *
 * In the manner of BBRv2 (draft-cardwell-iccrg-bbr-congestion-control),
 * without pacing (the association is sans-I/O: what the window allows
 * leaves at once, ack-clocked):
 *
 * - the model: the bottleneck's delivery rate (the largest sample of the
 *   last ten round trips) and the path's round trip (the smallest over
 *   10 s); the window is their product (the BDP) times a gain;
 * - STARTUP doubles the window each round trip until the rate stops
 *   growing, the round trip grows by a quarter (a queue) or a round loses
 *   too much; DRAIN then holds it to one BDP until what is in flight
 *   fits (the queue startup built drains);
 * - PROBE_BW keeps a quarter of BDP more (gain 5/4), half more one round
 *   in eight, to find bandwidth that appeared;
 * - a round trip that lost more than 2 % of what it carried (and at
 *   least MODEL_LOSS_MIN packets) is congestion: the window is capped at
 *   0.7 of what was in flight (inflight_hi), a cap that grows again, 1,
 *   2, 4... packets a round, once MODEL_CRUISE_ROUNDS rounds passed
 *   without such loss.  Random loss below the threshold is retransmitted
 *   without shrinking anything: 1 % loss on a 50 ms path keeps its speed,
 *   where RFC 9260's window carries about 0.3 MB/s;
 * - PROBE_RTT: a round trip not seen for 10 s is measured again with four
 *   packets in flight for 200 ms, so that flows sharing a queue see it
 *   empty and none mistakes the queue for the path.
 */

#define MODEL_BW_ROUNDS G_N_ELEMENTS (((NavSctpAssociation *) 0)->bw_rounds)
#define MODEL_MIN_RTT_WINDOW_US (10 * G_USEC_PER_SEC)
#define MODEL_PROBE_RTT_US (200 * 1000)
#define MODEL_PROBE_EVERY 8
#define MODEL_PROBE_PACKETS 32
#define MODEL_GAIN_EIGHTHS 9
#define MODEL_HEADROOM_PACKETS 32
#define MODEL_LOSS_THRESHOLD_PERMILLE 20
#define MODEL_LOSS_MIN 4
#define MODEL_CRUISE_ROUNDS 4

static gboolean
model_cc (NavSctpAssociation *a)
{
  return a->opt.congestion_control == NAV_SCTP_CC_MODEL;
}

/* A chunk newly acknowledged: the newest one sent once gives the rate
 * sample of this SACK (the bytes delivered since it was sent, over the
 * time since then), and a round trip. */
static void
model_note_acked (NavSctpAssociation *a,
                  NavSctpTxChunk     *c)
{
  if (!model_cc (a) || c->nsent != 1)
    return;
  if (!a->rs_valid || c->sent_at > a->rs_sent_at)
    {
      a->rs_valid = TRUE;
      a->rs_sent_at = c->sent_at;
      a->rs_delivered_at_send = c->delivered_at_send;
      a->rs_delivered_time_at_send = c->delivered_time_at_send;
      a->rs_first_sent_at_send = c->first_sent_at_send;
    }
}

/* A chunk taken for lost (fast retransmit, T3). */
static void
model_note_lost (NavSctpAssociation *a,
                 NavSctpTxChunk     *c)
{
  a->round_lost += c->len;
  a->round_lost_chunks++;
}

/* The end of a round trip: was it congested? */
static void
model_round_end (NavSctpAssociation *a)
{
  gsize mtu = a->opt.mtu;
  guint64 delivered = a->delivered - a->round_start_delivered;
  guint64 lost = a->round_lost;

  if (a->round_lost_chunks >= MODEL_LOSS_MIN
      && lost * 1000 > (delivered + lost) * MODEL_LOSS_THRESHOLD_PERMILLE)
    {
      gsize cap = MAX (a->round_max_flight, a->cwnd / 2) * 7 / 10;

      a->inflight_hi = MAX (MIN (cap, a->inflight_hi), 4 * mtu);
      a->probe_step = 0;
      a->cruise_rounds = 0;
      if (a->model_state == MODEL_STARTUP)
        a->model_state = MODEL_DRAIN;
    }
  else if (a->inflight_hi != G_MAXSIZE && a->model_state == MODEL_PROBE_BW
           && ++a->cruise_rounds > MODEL_CRUISE_ROUNDS)
    {
      /* Probing up: the cap grows 1, 2, 4... packets a round. */
      a->probe_step = a->probe_step == 0 ? mtu : MIN (a->probe_step * 2, G_MAXSIZE / 4);
      if (a->inflight_hi > G_MAXSIZE / 2 - a->probe_step)
        a->inflight_hi = G_MAXSIZE;
      else
        a->inflight_hi += a->probe_step;
    }
  a->round_start_delivered = a->delivered;
  a->round_lost = 0;
  a->round_lost_chunks = 0;
  a->round_max_flight = a->flight;
}

/* The window the model gives, outside STARTUP. */
static void
model_set_cwnd (NavSctpAssociation *a)
{
  gsize mtu = a->opt.mtu;
  guint64 bdp;

  if (a->min_rtt <= 0)
    return;
  bdp = a->bw * (guint64) a->min_rtt / G_USEC_PER_SEC;
  if (a->model_state == MODEL_DRAIN)
    {
      /* One BDP until the queue startup built drained. */
      if (a->flight <= bdp)
        a->model_state = MODEL_PROBE_BW;
      else
        {
          a->cwnd = MAX ((gsize) bdp, 4 * mtu);
          return;
        }
    }
  if (a->model_state == MODEL_PROBE_RTT)
    {
      a->cwnd = 4 * mtu;
      return;
    }
  {
    /* The bandwidth-delay product, an eighth more and some packets (the
     * queue the window keeps at the bottleneck, ack-clocked: a constant
     * part makes flows sharing it converge, as additive increase does),
     * some packets more one round in eight, so that more bandwidth is
     * found when the path has it; never above the cap losses set. */
    gsize target = (gsize) (bdp * MODEL_GAIN_EIGHTHS / 8) + MODEL_HEADROOM_PACKETS * mtu;

    if (a->rounds % MODEL_PROBE_EVERY == 0)
      target += MODEL_PROBE_PACKETS * mtu;
    a->cwnd = MAX (MIN (target, a->inflight_hi), 4 * mtu);
  }
}

static void
model_update (NavSctpAssociation *a,
              gsize               bytes_acked)
{
  gsize mtu = a->opt.mtu;
  gint64 interval, rtt;
  guint64 rate, bw = 0;
  gboolean round_ended = FALSE;
  guint i;

  if (bytes_acked == 0)
    return;
  a->delivered += bytes_acked;
  a->delivered_time = a->now;
  if (!a->rs_valid)
    {
      /* Only retransmissions acknowledged (after a T3): no sample, but
       * the window the model gives comes back at once. */
      if (a->model_state == MODEL_STARTUP)
        a->cwnd = MAX (a->cwnd, a->model_cwnd_before_t3);
      else
        model_set_cwnd (a);
      return;
    }
  a->rs_valid = FALSE;
  rtt = a->now - a->rs_sent_at;
  if (rtt > 0)
    {
      if (a->min_rtt < 0 || rtt <= a->min_rtt)
        {
          a->min_rtt = rtt;
          a->min_rtt_at = a->now;
        }
      if (a->model_state == MODEL_PROBE_RTT)
        a->probe_rtt_min = MIN (a->probe_rtt_min, rtt);
    }
  /* The longer of the acknowledgements' and the sends' spans (as BBR's
   * delivery rate estimation): acknowledgements bunched by the path or
   * by a receiver that reads in batches would otherwise show a rate the
   * sender never had. */
  interval = MAX (a->now - a->rs_delivered_time_at_send, a->rs_sent_at - a->rs_first_sent_at_send);
  interval = MAX (interval, 1);
  a->first_sent_time = a->rs_sent_at;
  rate = (a->delivered - a->rs_delivered_at_send) * G_USEC_PER_SEC / interval;
  /* A round trip ends when a chunk sent after it began is acknowledged. */
  if (a->rs_delivered_at_send >= a->round_mark)
    {
      a->round_mark = a->delivered;
      a->rounds++;
      a->bw_rounds[a->rounds % MODEL_BW_ROUNDS] = 0;
      round_ended = TRUE;
      if (a->model_state == MODEL_STARTUP)
        {
          /* Startup ends once three rounds brought less than a quarter
           * more. */
          if (a->bw >= a->full_bw + a->full_bw / 4)
            {
              a->full_bw = a->bw;
              a->full_bw_rounds = 0;
            }
          else if (++a->full_bw_rounds >= 3)
            a->model_state = MODEL_DRAIN;
        }
      model_round_end (a);
    }
  a->bw_rounds[a->rounds % MODEL_BW_ROUNDS] = MAX (a->bw_rounds[a->rounds % MODEL_BW_ROUNDS], rate);
  for (i = 0; i < MODEL_BW_ROUNDS; i++)
    bw = MAX (bw, a->bw_rounds[i]);
  a->bw = bw;

  /* Startup ends too when a queue builds up (the round trip grew by a
   * quarter, as HyStart sees it): without pacing, doubling until the
   * rate stops growing overfills the bottleneck's queue. */
  if (a->model_state == MODEL_STARTUP && a->min_rtt > 0 && rtt > a->min_rtt + a->min_rtt / 4 + 1000)
    a->model_state = MODEL_DRAIN;

  /* PROBE_RTT: the smallest round trip is 10 s old. */
  if (a->model_state == MODEL_PROBE_BW && a->now - a->min_rtt_at > MODEL_MIN_RTT_WINDOW_US)
    {
      a->model_state = MODEL_PROBE_RTT;
      a->probe_rtt_until = a->now + MAX (MODEL_PROBE_RTT_US, a->min_rtt);
      a->probe_rtt_min = G_MAXINT64;
    }
  if (a->model_state == MODEL_PROBE_RTT && a->now >= a->probe_rtt_until)
    {
      if (a->probe_rtt_min != G_MAXINT64)
        a->min_rtt = a->probe_rtt_min;
      a->min_rtt_at = a->now;
      a->model_state = MODEL_PROBE_BW;
    }

  if (a->model_state == MODEL_STARTUP)
    {
      a->cwnd += bytes_acked;
      a->cwnd = MIN (a->cwnd, MAX (a->inflight_hi, 4 * mtu));
      return;
    }
  model_set_cwnd (a);
  (void) round_ended;
}

gboolean
nav_sctp_tx_all_acked (NavSctpAssociation *a)
{
  return ring_count (a) == 0;
}

gboolean
nav_sctp_tx_queues_empty (NavSctpAssociation *a)
{
  return a->rr == NULL;
}

gboolean
nav_sctp_tx_enqueue (NavSctpAssociation       *a,
                     guint16                   stream_id,
                     guint32                   ppid,
                     GBytes                   *bytes,
                     const guint8             *data,
                     gsize                     len,
                     const NavSctpSendOptions *options,
                     GError                  **error)
{
  NavSctpOutStream *s;
  NavSctpOutMsg *m;
  guint16 max_streams;

  if (a->state != NAV_SCTP_STATE_ESTABLISHED && a->state != NAV_SCTP_STATE_COOKIE_WAIT
      && a->state != NAV_SCTP_STATE_COOKIE_ECHOED)
    {
      g_set_error (error, NAV_SCTP_ERROR, NAV_SCTP_ERROR_NOT_CONNECTED,
                   _("The SCTP association is not open"));
      return FALSE;
    }
  if (len == 0)
    {
      g_set_error (error, NAV_SCTP_ERROR, NAV_SCTP_ERROR_EMPTY_MESSAGE,
                   _("SCTP cannot carry an empty message"));
      return FALSE;
    }
  if (len > a->opt.max_message_size)
    {
      g_set_error (error, NAV_SCTP_ERROR, NAV_SCTP_ERROR_MESSAGE_TOO_LARGE,
                   /* %lu, not G_GSIZE_FORMAT: xgettext cuts a message there */
                   _("The message of %lu bytes exceeds the maximum message size of %lu bytes"),
                   (unsigned long) len, (unsigned long) a->opt.max_message_size);
      return FALSE;
    }
  max_streams = a->state == NAV_SCTP_STATE_ESTABLISHED ? a->out_streams : a->opt.num_outbound_streams;
  if (stream_id >= max_streams)
    {
      g_set_error (error, NAV_SCTP_ERROR, NAV_SCTP_ERROR_INVALID_STREAM,
                   _("Stream %u is beyond the %u outbound streams of the association"),
                   stream_id, max_streams);
      return FALSE;
    }
  s = nav_sctp_out_stream (a, stream_id, TRUE);
  if (s->reset_requested)
    {
      g_set_error (error, NAV_SCTP_ERROR, NAV_SCTP_ERROR_STREAM_RESETTING,
                   _("Stream %u is being reset"), stream_id);
      return FALSE;
    }
  if (a->total_buffered > 0 && a->total_buffered + len > a->opt.send_buffer)
    {
      g_set_error (error, NAV_SCTP_ERROR, NAV_SCTP_ERROR_BUFFER_FULL,
                   _("The send buffer is full"));
      return FALSE;
    }

  if (bytes != NULL)
    {
      m = g_malloc0 (sizeof *m);
      m->bytes = g_bytes_ref (bytes);
      m->data = g_bytes_get_data (bytes, NULL);
    }
  else
    {
      m = g_malloc (sizeof *m + len);
      memset (m, 0, sizeof *m);
      memcpy (m->inline_data, data, len);
      m->data = m->inline_data;
    }
  m->len = len;
  m->ppid = ppid;
  m->stream_id = stream_id;
  m->expires_at = TIMER_OFF;
  m->max_rtx = G_MAXUINT32;
  if (options != NULL)
    {
      m->unordered = options->unordered != FALSE;
      if (options->max_retransmits >= 0)
        m->max_rtx = (guint32) options->max_retransmits;
      if (options->lifetime_ms >= 0)
        m->expires_at = a->now + (gint64) options->lifetime_ms * 1000;
      m->tag = options->tag;
    }
  m->refs = 1;
  m->queued = TRUE;
  if (s->tail != NULL)
    s->tail->next = m;
  else
    s->head = m;
  s->tail = m;
  s->buffered += len;
  a->total_buffered += len;
  stream_activate (a, s);
  a->stats.messages_sent++;
  return TRUE;
}

/* ---- partial reliability (RFC 3758) ---- */

/* RFC 3758 §3.5 C: the Advanced.Peer.Ack.Point moves over abandoned
 * chunks.  Over chunks the peer acknowledged in gap blocks too, up to
 * the last abandoned one (as dcSCTP does): C2 stops at them, and the
 * abandoned chunks behind each acknowledged run would then need a
 * FORWARD TSN, and a round trip, of their own; after losses spread over
 * a window, one per T3 timeout, each counted as an error, until the
 * association failed with the peer answering all along.  The peer has
 * those chunks: skipping them loses nothing.  With DATA, a message's
 * fragments are consecutive TSNs, so the point, an abandoned chunk of
 * another message, never cuts a reliable message the receiver holds. */
static void
advance_ack_point (NavSctpAssociation *a,
                   gboolean            now)
{
  guint32 walk, before;

  if (!a->peer_prsctp)
    return;
  if (TSN_LT (a->adv_ack_point, a->cum_ack))
    a->adv_ack_point = a->cum_ack;
  before = a->adv_ack_point;
  for (walk = a->adv_ack_point; walk + 1 != a->next_tsn; walk++)
    {
      /* RFC 3758 §3.5 C2: over abandoned chunks only.  Passing a chunk
       * the peer acknowledged in a gap block would tell it to drop the
       * fragments it holds of a message whose rest is still coming
       * (usrsctp purges them), and that message would be lost without
       * being reported abandoned; the peer's cumulative ack passes such
       * chunks itself once the FORWARD TSN filled the hole below them. */
      if (ring_at (a, walk + 1)->state != TX_ABANDONED)
        break;
      a->adv_ack_point = walk + 1;
    }
  if (TSN_GT (a->adv_ack_point, a->cum_ack))
    {
      gint64 gap = a->have_rtt ? a->srtt : a->opt.rto_min_us;

      /* At once when it skips more than before (a new abandonment, or
       * abandoned chunks beyond those the peer's cumulative ack just
       * passed); again at most once a round trip while the peer has not
       * caught up. */
      if (now || TSN_GT (a->adv_ack_point, before) || a->fwd_tsn_sent_at == 0
          || a->now - a->fwd_tsn_sent_at >= gap)
        a->fwd_tsn_pending = TRUE;
    }
}

static void
abandon_msg (NavSctpAssociation *a,
             NavSctpOutMsg      *m)
{
  NavSctpEvent *ev;

  if (m->abandoned)
    return;
  m->abandoned = TRUE;
  m->refs++;
  a->stats.messages_abandoned++;
  ev = nav_sctp_event_push (a, EV_ABANDONED);
  ev->msg.stream_id = m->stream_id;
  ev->msg.ppid = m->ppid;
  ev->msg.len = m->len;
  ev->tag = m->tag;

  if (m->started && ring_count (a) > 0)
    {
      guint32 from = TSN_GT (m->first_tsn, a->cum_ack) ? m->first_tsn : a->cum_ack + 1;

      for (guint32 tsn = from; TSN_LE (tsn, m->last_tsn); tsn++)
        {
          NavSctpTxChunk *c = ring_at (a, tsn);

          if (c->msg != m)
            continue;
          if (c->state == TX_OUTSTANDING)
            a->flight -= c->len;
          else if (c->state == TX_RTX)
            a->rtx_pending--;
          c->state = TX_ABANDONED;
        }
    }
  if (m->started && m->offset < m->len)
    {
      NavSctpTxChunk *c;
      guint32 tsn;

      /* Half sent: its first fragments may all be acknowledged already,
       * leaving FORWARD TSN nothing to skip, and the receiver waiting for
       * the rest.  A placeholder end fragment takes the next TSN, is
       * never sent, and is abandoned at once: the FORWARD TSN that covers
       * it carries the message's SSN / MID. */
      c = ring_push (a, m, &tsn);
      c->flags = NAV_SCTP_DATA_E | (m->unordered ? NAV_SCTP_DATA_U : 0);
      c->state = TX_ABANDONED;
    }
  if (m->queued)
    {
      NavSctpOutStream *s = nav_sctp_out_stream (a, m->stream_id, FALSE);

      account_unbuffered (a, s, m->len - m->offset);
      stream_unlink (a, s, m);
      out_msg_unref (m);
    }
  out_msg_unref (m);
  advance_ack_point (a, TRUE);
}

static gboolean
should_abandon (NavSctpAssociation *a,
                NavSctpTxChunk     *c)
{
  NavSctpOutMsg *m = c->msg;

  if (!a->peer_prsctp)
    return FALSE;
  if (m->abandoned)
    return TRUE;
  /* nsent counts the first transmission: one more would exceed the limit. */
  if (m->max_rtx != G_MAXUINT32 && c->nsent > m->max_rtx)
    return TRUE;
  return m->expires_at != TIMER_OFF && a->now >= m->expires_at;
}

/* Marks a chunk for retransmission, or abandons its message. */
static void
mark_rtx (NavSctpAssociation *a,
          NavSctpTxChunk     *c)
{
  if (should_abandon (a, c))
    {
      abandon_msg (a, c->msg);
      return;
    }
  if (c->state == TX_OUTSTANDING)
    a->flight -= c->len;
  c->state = TX_RTX;
  c->nacks = 0;
  a->rtx_pending++;
}

/* ---- SACK (RFC 9260 §6.2.1, §7.2) ---- */

static void
ack_chunk (NavSctpAssociation *a,
           NavSctpTxChunk     *c,
           gsize              *bytes_acked)
{
  if (c->state == TX_OUTSTANDING || c->state == TX_RTX)
    {
      model_note_acked (a, c);
      /* Sent once: the ack is for that transmission (Karn). */
      if (c->nsent == 1)
        a->sack_newest_sent = MAX (a->sack_newest_sent, c->sent_at);
    }
  if (c->state == TX_OUTSTANDING)
    {
      a->flight -= c->len;
      *bytes_acked += c->len;
    }
  else if (c->state == TX_RTX)
    {
      a->rtx_pending--;
      *bytes_acked += c->len;
    }
}

static void
process_cum_ack (NavSctpAssociation *a,
                 guint32             cum,
                 gsize              *bytes_acked,
                 gboolean           *newly)
{
  while (TSN_LT (a->cum_ack, cum))
    {
      guint32 tsn = a->cum_ack + 1;
      NavSctpTxChunk *c = ring_at (a, tsn);

      if (c->state == TX_OUTSTANDING || c->state == TX_RTX)
        *newly = TRUE;
      if (c->state == TX_OUTSTANDING && a->rtt_pending && tsn == a->rtt_tsn)
        {
          /* Karn's rule: only a chunk sent once measures the round trip. */
          if (c->nsent == 1)
            nav_sctp_update_rto (a, a->now - a->rtt_sent_at);
          a->rtt_pending = FALSE;
        }
      ack_chunk (a, c, bytes_acked);
      out_msg_unref (c->msg);
      c->msg = NULL;
      a->cum_ack = tsn;
      a->ring_head = (a->ring_head + 1) & (a->ring_cap - 1);
    }
  if (a->rtt_pending && TSN_LE (a->rtt_tsn, a->cum_ack))
    a->rtt_pending = FALSE;
  if (TSN_LT (a->adv_ack_point, a->cum_ack))
    a->adv_ack_point = a->cum_ack;
}

static void
after_ack (NavSctpAssociation *a,
           gboolean            cum_advanced,
           gboolean            newly)
{
  if (newly || cum_advanced)
    {
      /* RFC 9260 §8.3: an acknowledgement clears the error counter; so
       * does the cumulative ack moving over abandoned chunks, the peer's
       * answer to a FORWARD TSN (RFC 3758 §3.5). */
      a->error_count = 0;
      a->sack_since_t3 = TRUE;
    }
  advance_ack_point (a, FALSE);
  /* §6.3.2 R2, R3; RFC 3758 §3.5: the timer also covers a FORWARD TSN
   * the peer has not acknowledged yet. */
  if (ring_count (a) == 0)
    {
      a->pba = 0;
      nav_sctp_timer_stop (a, TIMER_T3_RTX);
    }
  else if (a->flight == 0 && a->rtx_pending == 0 && !TSN_GT (a->adv_ack_point, a->cum_ack))
    nav_sctp_timer_stop (a, TIMER_T3_RTX);
  else if (cum_advanced || !nav_sctp_timer_running (a, TIMER_T3_RTX))
    nav_sctp_timer_start (a, TIMER_T3_RTX, a->rto);
}

void
nav_sctp_tx_handle_cum_ack (NavSctpAssociation *a,
                            guint32             cum)
{
  gsize bytes_acked = 0;
  gboolean newly = FALSE;
  gboolean advanced;

  if (TSN_LT (cum, a->cum_ack) || TSN_GE (cum, a->next_tsn))
    return;
  advanced = TSN_GT (cum, a->cum_ack);
  process_cum_ack (a, cum, &bytes_acked, &newly);
  while (a->prev_gaps->len > 0
         && TSN_LE (g_array_index (a->prev_gaps, NavSctpRange, 0).end, a->cum_ack))
    g_array_remove_index (a->prev_gaps, 0);
  after_ack (a, advanced, newly);
}

void
nav_sctp_tx_handle_sack (NavSctpAssociation *a,
                         const NavSctpSack  *sack)
{
  guint32 cum = sack->cum_tsn_ack;
  gsize flight_before = a->flight;
  gsize bytes_acked = 0;
  gboolean newly = FALSE;
  gboolean cum_advanced;
  guint32 htna = 0;             /* highest TSN newly acknowledged */
  gboolean have_htna = FALSE;
  NavSctpRange new_gaps_stack[64];
  NavSctpRange *gaps = new_gaps_stack;
  guint n_gaps = 0;
  const NavSctpRange *old;
  guint n_old, j;
  gboolean marked = FALSE;
  gboolean rtx_first = FALSE;
  gboolean was_in_recovery = a->fast_recovery;

  a->stats.sacks_received++;
  a->sack_newest_sent = G_MININT64;
  /* §6.1: the peer answers; zero window probes it leaves unacknowledged
   * do not count as errors. */
  a->sack_since_t3 = TRUE;
  /* §6.2.1 D i): an older SACK, reordered on the way. */
  if (TSN_LT (cum, a->cum_ack))
    return;
  if (TSN_GE (cum, a->next_tsn))
    {
      nav_sctp_protocol_violation (a, _("the peer acknowledged a TSN that was never sent"));
      return;
    }
  cum_advanced = TSN_GT (cum, a->cum_ack);
  process_cum_ack (a, cum, &bytes_acked, &newly);
  if (cum_advanced)
    {
      htna = cum;
      have_htna = TRUE;
    }

  /* The gap blocks, absolute, checked: ascending, disjoint, sent. */
  if (sack->n_gap_blocks > G_N_ELEMENTS (new_gaps_stack))
    gaps = g_new (NavSctpRange, sack->n_gap_blocks);
  for (guint i = 0; i < sack->n_gap_blocks; i++)
    {
      guint16 s16, e16;
      guint32 s, e;

      nav_sctp_sack_gap_block (sack, i, &s16, &e16);
      s = cum + s16;
      e = cum + e16;
      if (s16 == 0 || e16 < s16 || TSN_GE (e, a->next_tsn)
          || (n_gaps > 0 && TSN_LE (s, gaps[n_gaps - 1].end + 1)))
        break;                  /* garbage from here on: ignored */
      gaps[n_gaps].start = s;
      gaps[n_gaps].end = e;
      n_gaps++;
    }

  /* Newly acked by gap blocks: what the new blocks cover and the previous
   * SACK's did not.  Both lists are sorted: one merge walk. */
  old = (const NavSctpRange *) a->prev_gaps->data;
  n_old = a->prev_gaps->len;
  j = 0;
  for (guint i = 0; i < n_gaps; i++)
    {
      guint32 tsn = gaps[i].start;

      while (TSN_LE (tsn, gaps[i].end))
        {
          while (j < n_old && TSN_LT (old[j].end, tsn))
            j++;
          if (j < n_old && TSN_LE (old[j].start, tsn))
            {
              tsn = old[j].end + 1;     /* already known acked */
              continue;
            }
          {
            guint32 stop = gaps[i].end;

            if (j < n_old && TSN_LE (old[j].start, stop))
              stop = old[j].start - 1;
            for (; TSN_LE (tsn, stop); tsn++)
              {
                NavSctpTxChunk *c = ring_at (a, tsn);

                if (c->state == TX_OUTSTANDING || c->state == TX_RTX)
                  {
                    ack_chunk (a, c, &bytes_acked);
                    c->state = TX_ACKED;
                    newly = TRUE;
                    if (!have_htna || TSN_GT (tsn, htna))
                      htna = tsn;
                    have_htna = TRUE;
                  }
              }
          }
        }
    }
  /* Reneged (§6.2.1 D iii): acked before, not any more, still above the
   * cumulative ack: to be sent again. */
  j = 0;
  for (guint k = 0; k < n_old; k++)
    {
      guint32 first = TSN_GT (old[k].start, a->cum_ack) ? old[k].start : a->cum_ack + 1;

      for (guint32 tsn = first; TSN_LE (tsn, old[k].end); tsn++)
        {
          NavSctpTxChunk *c;

          while (j < n_gaps && TSN_LT (gaps[j].end, tsn))
            j++;
          if (j < n_gaps && TSN_LE (gaps[j].start, tsn))
            {
              tsn = gaps[j].end;
              continue;
            }
          c = ring_at (a, tsn);
          if (c->state == TX_ACKED)
            {
              c->state = TX_RTX;
              a->rtx_pending++;
            }
        }
    }
  g_array_set_size (a->prev_gaps, 0);
  g_array_append_vals (a->prev_gaps, gaps, n_gaps);

  /* Miss indications (§7.2.4): for the holes below the highest TSN newly
   * acknowledged; in fast recovery with the cumulative ack advancing, for
   * every hole the SACK reports. */
  if (have_htna && n_gaps > 0)
    {
      guint32 limit = htna;
      guint32 tsn = a->cum_ack + 1;

      if (was_in_recovery && cum_advanced)
        limit = gaps[n_gaps - 1].end;
      for (guint i = 0; i < n_gaps && TSN_LT (tsn, limit); i++)
        {
          for (; TSN_LT (tsn, gaps[i].start) && TSN_LT (tsn, limit); tsn++)
            {
              NavSctpTxChunk *c = ring_at (a, tsn);

              if (c->state != TX_OUTSTANDING)
                continue;
              /* A retransmission lost again: §7.2.4 fast-retransmits a
               * chunk once and leaves the rest to T3, whose timeout
               * (RTO.Min at least) stalls an ordered stream and, for
               * RFC 9260's window, collapses it.  The model's sender
               * counts a miss for it only when a chunk sent after its
               * retransmission was acknowledged (as RACK, RFC 8985,
               * reasons with send times). */
              if (c->fast_rtx_done
                  && !(model_cc (a) && a->sack_newest_sent > c->sent_at))
                continue;
              if (++c->nacks >= 3)
                {
                  c->fast_rtx_done = TRUE;
                  if (tsn == a->cum_ack + 1)
                    rtx_first = TRUE;
                  model_note_lost (a, c);
                  mark_rtx (a, c);
                  marked = TRUE;
                }
            }
          tsn = gaps[i].end + 1;
        }
    }
  if (gaps != new_gaps_stack)
    g_free (gaps);

  if (a->fast_recovery && TSN_GE (a->cum_ack, a->recover_tsn))
    a->fast_recovery = FALSE;

  /* Congestion window (§7.2.1, §7.2.2), never in fast recovery; or the
   * model's, whatever happens. */
  if (model_cc (a))
    model_update (a, bytes_acked);
  else if (!a->fast_recovery && bytes_acked > 0)
    {
      if (a->cwnd <= a->ssthresh)
        {
          if (cum_advanced && flight_before + a->opt.mtu > a->cwnd)
            a->cwnd += MIN (bytes_acked, a->opt.mtu);
        }
      else
        {
          a->pba += bytes_acked;
          if (cum_advanced && a->pba >= a->cwnd && flight_before >= a->cwnd)
            {
              a->pba -= a->cwnd;
              a->cwnd += a->opt.mtu;
            }
        }
    }

  if (marked)
    {
      a->stats.fast_retransmits++;
      if (!a->fast_recovery)
        {
          a->ssthresh = MAX (a->cwnd / 2, 4 * (gsize) a->opt.mtu);
          /* The model's window does not take a loss for congestion. */
          if (!model_cc (a))
            a->cwnd = a->ssthresh;
          a->pba = 0;
          a->fast_recovery = TRUE;
          a->recover_tsn = a->next_tsn - 1;
        }
      a->fast_rtx_now = a->rtx_pending > 0;
    }

  /* §6.2.1 D iv: the peer's window less what is still in flight. */
  a->peer_rwnd = sack->a_rwnd > a->flight ? sack->a_rwnd - a->flight : 0;

  after_ack (a, cum_advanced || rtx_first, newly);
}

void
nav_sctp_tx_t3_expired (NavSctpAssociation *a)
{
  guint limit = MIN (a->opt.max_retransmissions, a->opt.path_max_retransmissions);

  if (ring_count (a) == 0)
    return;
  a->stats.t3_expirations++;
  /* §6.1: unanswered zero window probes do not count while SACKs come. */
  if (!(a->peer_rwnd == 0 && a->sack_since_t3))
    {
      a->error_count++;
      if (a->error_count > limit)
        {
          nav_sctp_fail (a, NAV_SCTP_CLOSE_FAILED,
                         _("The peer stopped acknowledging data"));
          return;
        }
    }
  a->sack_since_t3 = FALSE;
  /* §6.3.3 E1, E2; §7.2.3. */
  a->rto = MIN (a->rto * 2, a->opt.rto_max_us);
  a->ssthresh = MAX (a->cwnd / 2, 4 * (gsize) a->opt.mtu);
  /* The model's window comes back with the next acknowledgement; until
   * then, four packets. */
  a->model_cwnd_before_t3 = a->cwnd;
  a->cwnd = model_cc (a) ? 4 * (gsize) a->opt.mtu : a->opt.mtu;
  a->pba = 0;
  a->fast_recovery = FALSE;
  a->rtt_pending = FALSE;
  for (guint32 tsn = a->cum_ack + 1; tsn != a->next_tsn; tsn++)
    {
      NavSctpTxChunk *c = ring_at (a, tsn);

      /* §6.3.3 E3 marks every outstanding chunk; the model's window is
       * large, and what left less than a round trip ago cannot have been
       * acknowledged yet: it stays in flight rather than go twice. */
      if (model_cc (a) && c->state == TX_OUTSTANDING && a->have_rtt
          && a->now - c->sent_at < a->srtt && tsn != a->cum_ack + 1)
        continue;
      if (c->state == TX_OUTSTANDING || (c->state == TX_RTX && should_abandon (a, c)))
        {
          if (c->state == TX_RTX)
            {
              a->rtx_pending--;
              c->state = TX_OUTSTANDING;
              a->flight += c->len;
            }
          else
            model_note_lost (a, c);
          mark_rtx (a, c);
        }
    }
  advance_ack_point (a, FALSE);
  if (TSN_GT (a->adv_ack_point, a->cum_ack))
    a->fwd_tsn_pending = TRUE;
  /* §6.3.3 E3: restarted (what stayed in flight is covered too). */
  if (ring_count (a) > 0)
    nav_sctp_timer_start (a, TIMER_T3_RTX, a->rto);
}

/* ---- packet assembly ---- */

static void
write_data_chunk (NavSctpAssociation *a,
                  NavSctpWriter      *w,
                  guint32             tsn,
                  NavSctpTxChunk     *c)
{
  NavSctpOutMsg *m = c->msg;
  guint8 *v;

  if (a->peer_idata)
    {
      v = nav_sctp_writer_add_chunk (w, NAV_SCTP_CHUNK_I_DATA, c->flags, 16 + c->len);
      g_assert (v != NULL);
      nav_sctp_put32 (v, tsn);
      nav_sctp_put16 (v + 4, m->stream_id);
      nav_sctp_put16 (v + 6, 0);
      nav_sctp_put32 (v + 8, m->ssn_mid);
      nav_sctp_put32 (v + 12, (c->flags & NAV_SCTP_DATA_B) ? m->ppid : c->fsn);
      memcpy (v + 16, m->data + c->offset, c->len);
    }
  else
    {
      v = nav_sctp_writer_add_chunk (w, NAV_SCTP_CHUNK_DATA, c->flags, 12 + c->len);
      g_assert (v != NULL);
      nav_sctp_put32 (v, tsn);
      nav_sctp_put16 (v + 4, m->stream_id);
      nav_sctp_put16 (v + 6, m->unordered ? 0 : (guint16) m->ssn_mid);
      nav_sctp_put32 (v + 8, m->ppid);
      memcpy (v + 12, m->data + c->offset, c->len);
    }
  a->stats.data_chunks_sent++;
}

static void
chunk_sent (NavSctpAssociation *a,
            guint32             tsn,
            NavSctpTxChunk     *c)
{
  c->state = TX_OUTSTANDING;
  c->sent_at = a->now;
  c->delivered_at_send = a->delivered;
  c->delivered_time_at_send = a->delivered_time;
  c->first_sent_at_send = a->first_sent_time;
  c->nsent++;
  a->flight += c->len;
  a->round_max_flight = MAX (a->round_max_flight, a->flight);
  a->peer_rwnd = a->peer_rwnd > c->len ? a->peer_rwnd - c->len : 0;
  if (c->nsent == 1 && !a->rtt_pending)
    {
      a->rtt_pending = TRUE;
      a->rtt_tsn = tsn;
      a->rtt_sent_at = a->now;
    }
  else if (c->nsent > 1 && a->rtt_pending && a->rtt_tsn == tsn)
    a->rtt_pending = FALSE;
}

/* Cuts the next chunk of new data into at most @room bytes of chunk value;
 * returns its TSN's slot, or NULL when nothing may be cut. */
static NavSctpTxChunk *
cut_chunk (NavSctpAssociation *a,
           gsize               room,
           gboolean            packet_empty,
           guint32            *tsn_out)
{
  gsize header = a->peer_idata ? 16 : 12;

  while (room > header && ring_count (a) < MAX_OUTSTANDING_TSNS)
    {
      NavSctpOutStream *s = (!a->peer_idata && a->current != NULL) ? a->current : a->rr;
      NavSctpOutMsg *m;
      NavSctpTxChunk *c;
      gsize remaining, max_payload, plen;
      guint32 tsn;
      gboolean probe;

      if (s == NULL)
        return NULL;
      m = s->head;
      if (m->expires_at != TIMER_OFF && a->now >= m->expires_at && a->peer_prsctp)
        {
          /* Expired before it was sent whole (RFC 3758 §3.5 A). */
          abandon_msg (a, m);
          continue;
        }
      remaining = m->len - m->offset;
      max_payload = room - header;
      /* Window rule A (§6.1): new data within the peer's window, or one
       * zero window probe when nothing is in flight. */
      probe = a->flight == 0 && a->rtx_pending == 0 && a->peer_rwnd < MIN (remaining, max_payload);
      if (!probe && a->peer_rwnd < max_payload)
        max_payload = a->peer_rwnd;
      if (max_payload == 0)
        return NULL;
      plen = MIN (remaining, max_payload);
      /* No tiny fragments: not to fill the tail of a packet (the next one
       * takes it), nor into a window that barely opened (§6.1 silly
       * window avoidance). */
      if (plen < remaining && plen < MIN_FRAGMENT
          && (room - header >= MIN_FRAGMENT || !packet_empty))
        return NULL;

      c = ring_push (a, m, &tsn);
      if (!m->started)
        {
          m->started = TRUE;
          m->first_tsn = tsn;
          if (a->peer_idata)
            m->ssn_mid = s->next_mid[m->unordered]++;
          else if (!m->unordered)
            m->ssn_mid = (s->next_ssn++) & 0xffff;
        }
      c->offset = (guint32) m->offset;
      c->len = (guint16) plen;
      c->flags = (m->offset == 0 ? NAV_SCTP_DATA_B : 0)
               | (m->offset + plen == m->len ? NAV_SCTP_DATA_E : 0)
               | (m->unordered ? NAV_SCTP_DATA_U : 0);
      m->offset += plen;
      account_unbuffered (a, s, plen);
      if (m->offset == m->len)
        {
          NavSctpOutStream *next = s->rr_next;

          stream_unlink (a, s, m);
          out_msg_unref (m);
          /* Fair share: the next message comes from the next stream. */
          if (s->active)
            a->rr = next;
          if (!a->peer_idata)
            a->current = NULL;
          if (s->reset_requested && s->head == NULL)
            nav_sctp_reconfig_poll (a);
        }
      else if (a->peer_idata)
        a->rr = s->rr_next;     /* I-DATA: interleave fragment by fragment */
      else
        a->current = s;         /* DATA: a message's TSNs are consecutive */
      *tsn_out = tsn;
      return c;
    }
  return NULL;
}

static gboolean
write_forward_tsn (NavSctpAssociation *a,
                   NavSctpWriter      *w)
{
  /* One entry per stream (and, with I-DATA, per ordered/unordered): the
   * highest SSN / MID skipped. */
  GArray *entries;
  guint32 new_cum = a->cum_ack;
  gsize entry_size = a->peer_idata ? 8 : 4;
  gsize room = nav_sctp_writer_room (w);
  guint8 *v;

  if (room < 4)
    return FALSE;
  entries = g_array_new (FALSE, FALSE, sizeof (guint64));
  for (guint32 tsn = a->cum_ack + 1; TSN_LE (tsn, a->adv_ack_point); tsn++)
    {
      NavSctpTxChunk *c = ring_at (a, tsn);
      NavSctpOutMsg *m = c->msg;
      gboolean found = FALSE;

      /* Only abandoned messages are skipped: a chunk the peer holds
       * already may belong to a message whose rest is still coming
       * (with I-DATA, its fragments need not be consecutive). */
      if (c->state == TX_ABANDONED && (a->peer_idata || !m->unordered))
        {
          guint32 key = ((guint32) m->stream_id << 1) | (m->unordered ? 1 : 0);

          for (guint i = 0; i < entries->len; i++)
            {
              guint64 *e = &g_array_index (entries, guint64, i);

              if ((guint32) (*e >> 32) == key)
                {
                  *e = ((guint64) key << 32) | m->ssn_mid;
                  found = TRUE;
                  break;
                }
            }
          if (!found)
            {
              guint64 e = ((guint64) key << 32) | m->ssn_mid;

              if (4 + (entries->len + 1) * entry_size > room || entries->len >= 256)
                break;
              g_array_append_val (entries, e);
            }
        }
      new_cum = tsn;
    }
  if (new_cum == a->cum_ack)
    {
      g_array_unref (entries);
      return FALSE;
    }
  v = nav_sctp_writer_add_chunk (w, a->peer_idata ? NAV_SCTP_CHUNK_I_FORWARD_TSN : NAV_SCTP_CHUNK_FORWARD_TSN,
                                 0, 4 + entries->len * entry_size);
  nav_sctp_put32 (v, new_cum);
  for (guint i = 0; i < entries->len; i++)
    {
      guint64 e = g_array_index (entries, guint64, i);
      guint32 key = (guint32) (e >> 32);

      if (a->peer_idata)
        {
          guint8 *p = v + 4 + 8 * i;

          nav_sctp_put16 (p, key >> 1);
          nav_sctp_put16 (p + 2, key & 1);
          nav_sctp_put32 (p + 4, (guint32) e);
        }
      else
        {
          guint8 *p = v + 4 + 4 * i;

          nav_sctp_put16 (p, key >> 1);
          nav_sctp_put16 (p + 2, (guint16) e);
        }
    }
  g_array_unref (entries);
  a->fwd_tsn_pending = FALSE;
  a->fwd_tsn_sent_at = a->now;
  a->stats.forward_tsns_sent++;
  return TRUE;
}

/* Control chunks queued whole in a->control: as many as fit. */
static void
write_control (NavSctpAssociation *a,
               NavSctpWriter      *w)
{
  gsize off = 0;

  while (off + 4 <= a->control->len)
    {
      const guint8 *p = a->control->data + off;
      gsize len = nav_sctp_get16 (p + 2);
      guint8 *v = nav_sctp_writer_add_chunk (w, p[0], p[1], len - 4);

      if (v == NULL)
        {
          if (w->n_chunks == 0)
            off += nav_sctp_pad4 (len);    /* never fits: dropped */
          break;
        }
      memcpy (v, p + 4, len - 4);
      off += nav_sctp_pad4 (len);
    }
  g_byte_array_remove_range (a->control, 0, MIN (off, a->control->len));
}

/* New data into @w, within the windows; TRUE if any went in. */
static gboolean
add_new_data (NavSctpAssociation *a,
              NavSctpWriter      *w)
{
  gboolean any = FALSE;

  while (a->flight < a->cwnd)
    {
      guint32 tsn;
      NavSctpTxChunk *c = cut_chunk (a, nav_sctp_writer_room (w), w->n_chunks == 0, &tsn);

      if (c == NULL)
        break;
      write_data_chunk (a, w, tsn, c);
      chunk_sent (a, tsn, c);
      any = TRUE;
    }
  return any;
}

/* RFC 9260 §5.1 C: DATA may ride with COOKIE ECHO (after it), saving the
 * first messages a round trip. */
void
nav_sctp_tx_bundle_with_cookie (NavSctpAssociation *a,
                                NavSctpWriter      *w)
{
  if (add_new_data (a, w))
    {
      a->last_data_sent = a->now;
      nav_sctp_timer_start (a, TIMER_T3_RTX, a->rto);
    }
}

static gboolean
data_allowed (NavSctpAssociation *a)
{
  return a->state == NAV_SCTP_STATE_ESTABLISHED || a->state == NAV_SCTP_STATE_SHUTDOWN_PENDING
      || a->state == NAV_SCTP_STATE_SHUTDOWN_RECEIVED;
}

void
nav_sctp_tx_flush (NavSctpAssociation *a)
{
  guint burst = 0;
  gboolean sack_allowed = a->state >= NAV_SCTP_STATE_ESTABLISHED;

  if (a->state == NAV_SCTP_STATE_CLOSED || a->state == NAV_SCTP_STATE_COOKIE_WAIT)
    return;

  /* §7.2.1: an idle sender halves its window per RTO of silence (the
   * model's window is the model's). */
  if (data_allowed (a) && a->flight == 0 && a->rto > 0 && a->now - a->last_data_sent > a->rto &&
      !model_cc (a))
    {
      gint64 idle = a->now - a->last_data_sent;
      gsize floor = 4 * (gsize) a->opt.mtu;

      for (gint64 t = a->rto; t <= idle && a->cwnd > floor; t += a->rto)
        a->cwnd = MAX (a->cwnd / 2, floor);
      a->last_data_sent = a->now;
    }

  for (;;)
    {
      NavSctpWriter w;
      gboolean data = FALSE;
      gboolean fwd = FALSE;

      nav_sctp_writer_init (&w, a->packet, a->opt.mtu, a->opt.local_port,
                            a->opt.remote_port, a->peer_tag);
      /* COOKIE ACK first (§5.1), then SACK, then the rest. */
      if (a->control->len > 0)
        write_control (a, &w);
      if (a->sack_pending && sack_allowed)
        nav_sctp_rx_write_sack (a, &w);
      if (sack_allowed)
        nav_sctp_reconfig_write (a, &w);
      if (data_allowed (a))
        {
          if (a->fwd_tsn_pending && write_forward_tsn (a, &w))
            fwd = TRUE;

          /* §6.1 C, §7.2.4 3: retransmissions first; after a fast
           * retransmit, one packet of them regardless of cwnd. */
          if (a->rtx_pending > 0 && (a->fast_rtx_now || a->flight < a->cwnd))
            {
              for (guint32 tsn = a->cum_ack + 1; tsn != a->next_tsn && a->rtx_pending > 0; tsn++)
                {
                  NavSctpTxChunk *c = ring_at (a, tsn);
                  gsize header = a->peer_idata ? 16 : 12;

                  if (c->state != TX_RTX)
                    continue;
                  if (should_abandon (a, c))
                    {
                      abandon_msg (a, c->msg);
                      advance_ack_point (a, FALSE);
                      continue;
                    }
                  if (header + c->len > nav_sctp_writer_room (&w))
                    break;
                  if (!a->fast_rtx_now && a->flight >= a->cwnd)
                    break;
                  write_data_chunk (a, &w, tsn, c);
                  a->rtx_pending--;
                  chunk_sent (a, tsn, c);
                  a->stats.retransmissions++;
                  data = TRUE;
                }
              a->fast_rtx_now = FALSE;
              if (a->fwd_tsn_pending && nav_sctp_writer_room (&w) >= 8
                  && write_forward_tsn (a, &w))
                fwd = TRUE;
            }
          if (a->rtx_pending == 0 && (a->opt.max_burst == 0 || burst < a->opt.max_burst)
              && add_new_data (a, &w))
            {
              data = TRUE;
              burst++;
            }
        }
      if (w.n_chunks == 0)
        break;
      if (data)
        a->last_data_sent = a->now;
      if ((data || fwd) && !nav_sctp_timer_running (a, TIMER_T3_RTX))
        nav_sctp_timer_start (a, TIMER_T3_RTX, a->rto);
      nav_sctp_emit_packet (a, &w);
      if (!data && a->control->len == 0 && !(a->sack_pending && sack_allowed)
          && !(sack_allowed && (a->reconf_response_pending || (a->reconf_outstanding && a->reconf_send_now))))
        break;
    }
}
