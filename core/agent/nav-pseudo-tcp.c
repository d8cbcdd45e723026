/* nav-pseudo-tcp.c: libnice's reliable mode (pseudo-TCP over the selected
 * pair)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * See nav-pseudo-tcp-private.h for what the engine speaks.  Sequence
 * numbers start at 0 on both sides (libnice's do), and the payload of the
 * connect segment takes sequence space, as data does.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "nav-pseudo-tcp-private.h"

/* Control codes: the first payload byte of a segment with FLAG_CTL. */
#define CTL_CONNECT 0

/* Options carried by the connect segment, after the control code: kind,
 * length, value (RFC 793 §3.1 layout).  254 is libnice's FIN-ACK
 * extension: without it, the peer knows no FIN and no RST. */
#define OPT_EOL 0
#define OPT_NOOP 1
#define OPT_MSS 2
#define OPT_WINDOW_SCALE 3
#define OPT_FIN_ACK 254

/* What the MSS leaves room for: IP, UDP and a relay's framing, as
 * libnice counts them. */
#define PACKET_OVERHEAD (NAV_PSEUDO_TCP_HEADER_SIZE + 8 + 20 + 64)
#define MIN_PACKET 296

/* RFC 6298 §2: one-second initial RTO, 60 s maximum.  The floor is
 * Linux's 200 ms rather than the RFC's one second (§2.4 "SHOULD"): on a
 * lossy path a whole second per hole starves the stream, and nothing on
 * the wire depends on it. */
#define MIN_RTO 200
#define DEFAULT_RTO 1000
#define MAX_RTO 60000
#define DEFAULT_ACK_DELAY 100
#define DEFAULT_RECEIVE_BUFFER (60 * 1024)
#define DEFAULT_SEND_BUFFER (90 * 1024)
/* With nothing else to do, the clock still ticks this often. */
#define IDLE_CLOCK 4000
#define TIME_WAIT_CLOCK 1
/* A closed window is probed; the peer is given up after this long. */
#define WINDOW_PROBE_GIVE_UP 15000

/* Sequence-space comparisons (RFC 793 §3.3), modulo 2^32. */
#define SEQ_LT(a, b) ((gint32) ((guint32) (a) - (guint32) (b)) < 0)
#define SEQ_LE(a, b) ((gint32) ((guint32) (a) - (guint32) (b)) <= 0)
#define SEQ_GT(a, b) SEQ_LT (b, a)
#define SEQ_GE(a, b) SEQ_LE (b, a)

typedef enum {
  SEND_NONE,
  SEND_DELAYED_ACK,
  SEND_IMMEDIATE_ACK,
  SEND_DUPLICATE_ACK,
  SEND_FIN,
} SendReason;

/* A byte ring: the send buffer (unacknowledged and unsent data) and the
 * receive buffer (in-order data not read yet, with out-of-order data
 * written beyond it). */
typedef struct {
  guint8 *data;
  gsize size;
  gsize head;
  gsize used;
} Ring;

/* A run of the send buffer: sent (xmit > 0) or not yet. */
typedef struct {
  guint32 seq;
  guint32 len;
  guint xmit;
  guint8 flags;
} OutSegment;

/* Out-of-order data held in the receive ring beyond rcv_nxt. */
typedef struct {
  guint32 seq;
  guint32 len;
} HeldSegment;

struct _NavPseudoTcp {
  NavPseudoTcpCallbacks callbacks;
  gpointer user_data;
  guint32 conv;
  NavPseudoTcpState state;
  gint error;
  gboolean read_shut;
  gboolean want_writable;       /* a send was refused or cut short */

  /* receiving */
  Ring rbuf;
  guint32 rbuf_size;
  guint32 rcv_nxt;
  guint32 rcv_wnd;
  guint8 rwnd_scale;
  guint32 rcv_fin;              /* sequence number of the peer's FIN, or 0 */
  GList *held;                  /* HeldSegment, by sequence number */
  guint32 last_recv;

  /* sending */
  Ring sbuf;
  guint32 sbuf_size;
  GQueue out;                   /* OutSegment, oldest first */
  GList *unsent;                /* the first never-sent link of @out */
  GList *resend;                /* after a timeout, the next link to send again */
  guint32 snd_una;
  guint32 snd_nxt;
  guint32 snd_wnd;
  guint8 swnd_scale;
  guint32 last_send;

  guint32 mss;
  guint16 mtu;
  gboolean fin_ack;             /* both sides know FIN and RST */
  gboolean window_scaling;

  /* timers (milliseconds of the monotonic clock, modulo 2^32) */
  gboolean rto_armed;
  guint32 rto_base;
  gboolean ack_pending;
  guint32 ack_since;
  guint32 ack_delay;
  gboolean nagle;

  /* RFC 7323 timestamps and RFC 6298 estimator */
  guint32 ts_recent;
  guint32 ts_lastack;
  guint32 srtt;
  guint32 rttvar;
  guint32 rto;

  /* RFC 5681 / RFC 6582 */
  guint32 cwnd;
  guint32 ssthresh;
  guint dup_acks;
  guint32 recover;
  gboolean fast_recovery;
  guint32 last_acked_ts;
};

/* ------------------------------------------------------------------ ring */

static void
ring_init (Ring  *r,
           gsize  size)
{
  r->data = g_malloc (size);
  r->size = size;
  r->head = 0;
  r->used = 0;
}

static void
ring_clear (Ring *r)
{
  g_clear_pointer (&r->data, g_free);
  r->size = r->head = r->used = 0;
}

static gsize
ring_space (const Ring *r)
{
  return r->size - r->used;
}

/* Copies @n bytes at @offset past the readable start into @out. */
static gsize
ring_peek (const Ring *r,
           gsize       offset,
           guint8     *out,
           gsize       n)
{
  gsize pos, first;

  if (n == 0 || offset >= r->used)
    return 0;
  n = MIN (n, r->used - offset);
  pos = (r->head + offset) % r->size;
  first = MIN (n, r->size - pos);
  memcpy (out, r->data + pos, first);
  memcpy (out + first, r->data, n - first);
  return n;
}

/* Stores @n bytes at @offset past the end of the readable data, without
 * making them readable. */
static gsize
ring_put (Ring         *r,
          gsize         offset,
          const guint8 *in,
          gsize         n)
{
  gsize pos, first;

  if (n == 0 || r->used + offset >= r->size)
    return 0;
  n = MIN (n, r->size - r->used - offset);
  pos = (r->head + r->used + offset) % r->size;
  first = MIN (n, r->size - pos);
  memcpy (r->data + pos, in, first);
  memcpy (r->data, in + first, n - first);
  return n;
}

static void
ring_commit (Ring  *r,
             gsize  n)
{
  g_assert (n <= ring_space (r));
  r->used += n;
}

static void
ring_consume (Ring  *r,
              gsize  n)
{
  g_assert (n <= r->used);
  r->head = (r->head + n) % r->size;
  r->used -= n;
}

static void
ring_resize (Ring  *r,
             gsize  size)
{
  guint8 *data;

  g_assert (r->used <= size);
  data = g_malloc (size);
  ring_peek (r, 0, data, r->used);
  g_free (r->data);
  r->data = data;
  r->size = size;
  r->head = 0;
}

/* -------------------------------------------------------------- segments */

static guint32
read_u32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static void
write_u32 (guint8  *p,
           guint32  v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

gboolean
nav_pseudo_tcp_segment_parse (const guint8        *data,
                              gsize                len,
                              NavPseudoTcpSegment *segment)
{
  if (data == NULL || len < NAV_PSEUDO_TCP_HEADER_SIZE || len > NAV_PSEUDO_TCP_MAX_PACKET)
    return FALSE;
  segment->conv = read_u32 (data);
  segment->seq = read_u32 (data + 4);
  segment->ack = read_u32 (data + 8);
  segment->control = data[12];
  segment->flags = data[13];
  segment->window = ((guint16) data[14] << 8) | data[15];
  segment->tsval = read_u32 (data + 16);
  segment->tsecr = read_u32 (data + 20);
  segment->data = data + NAV_PSEUDO_TCP_HEADER_SIZE;
  segment->len = len - NAV_PSEUDO_TCP_HEADER_SIZE;
  return TRUE;
}

void
nav_pseudo_tcp_segment_write_header (const NavPseudoTcpSegment *segment,
                                     guint8                    *out)
{
  write_u32 (out, segment->conv);
  write_u32 (out + 4, segment->seq);
  write_u32 (out + 8, segment->ack);
  out[12] = segment->control;
  out[13] = segment->flags;
  out[14] = segment->window >> 8;
  out[15] = segment->window;
  write_u32 (out + 16, segment->tsval);
  write_u32 (out + 20, segment->tsecr);
}

/* ------------------------------------------------------------ the engine */

static guint32
now_ms (void)
{
  return (guint32) (g_get_monotonic_time () / 1000);
}

static gint32
time_diff (guint32 later,
           guint32 earlier)
{
  return (gint32) (later - earlier);
}

static gboolean
state_sent_fin (NavPseudoTcpState state)
{
  switch (state)
    {
    case NAV_PSEUDO_TCP_CLOSED:
    case NAV_PSEUDO_TCP_FIN_WAIT_1:
    case NAV_PSEUDO_TCP_FIN_WAIT_2:
    case NAV_PSEUDO_TCP_CLOSING:
    case NAV_PSEUDO_TCP_TIME_WAIT:
    case NAV_PSEUDO_TCP_LAST_ACK:
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
state_received_fin (NavPseudoTcpState state)
{
  switch (state)
    {
    case NAV_PSEUDO_TCP_CLOSED:
    case NAV_PSEUDO_TCP_CLOSING:
    case NAV_PSEUDO_TCP_TIME_WAIT:
    case NAV_PSEUDO_TCP_CLOSE_WAIT:
    case NAV_PSEUDO_TCP_LAST_ACK:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Both FINs exchanged and ours acknowledged. */
static gboolean
state_fin_acked (NavPseudoTcpState state)
{
  return state == NAV_PSEUDO_TCP_CLOSED || state == NAV_PSEUDO_TCP_TIME_WAIT;
}

static void attempt_send (NavPseudoTcp *tcp, SendReason reason);
static void close_down (NavPseudoTcp *tcp, guint32 error, gboolean local);

NavPseudoTcp *
nav_pseudo_tcp_new (guint32                      conversation,
                    const NavPseudoTcpCallbacks *callbacks,
                    gpointer                     user_data)
{
  NavPseudoTcp *tcp = g_new0 (NavPseudoTcp, 1);

  tcp->callbacks = *callbacks;
  tcp->user_data = user_data;
  tcp->conv = conversation;
  tcp->state = NAV_PSEUDO_TCP_LISTEN;
  tcp->rbuf_size = DEFAULT_RECEIVE_BUFFER;
  tcp->sbuf_size = DEFAULT_SEND_BUFFER;
  ring_init (&tcp->rbuf, tcp->rbuf_size);
  ring_init (&tcp->sbuf, tcp->sbuf_size);
  g_queue_init (&tcp->out);
  tcp->rcv_wnd = tcp->rbuf_size;
  tcp->snd_wnd = 1;
  tcp->mtu = NAV_PSEUDO_TCP_DEFAULT_MTU;
  tcp->mss = MIN_PACKET - PACKET_OVERHEAD;
  tcp->cwnd = 2 * tcp->mss;
  tcp->ssthresh = tcp->rbuf_size;
  tcp->rto = DEFAULT_RTO;
  tcp->ack_delay = DEFAULT_ACK_DELAY;
  tcp->nagle = FALSE;
  tcp->fin_ack = TRUE;
  tcp->window_scaling = TRUE;
  return tcp;
}

void
nav_pseudo_tcp_free (NavPseudoTcp *tcp)
{
  if (tcp == NULL)
    return;
  ring_clear (&tcp->rbuf);
  ring_clear (&tcp->sbuf);
  g_queue_clear_full (&tcp->out, g_free);
  g_list_free_full (tcp->held, g_free);
  g_free (tcp);
}

/* A receive buffer above what 16 bits say takes a window scale
 * (RFC 7323 §2.2): the smallest shift that fits. */
static void
set_receive_buffer (NavPseudoTcp *tcp,
                    guint32       size)
{
  guint8 scale = 0;

  while ((size >> scale) > 0xFFFF)
    scale++;
  size = (size >> scale) << scale;
  if (size < tcp->rbuf.used)
    return;
  ring_resize (&tcp->rbuf, size);
  tcp->rbuf_size = size;
  tcp->rwnd_scale = scale;
  tcp->ssthresh = size;
  tcp->rcv_wnd = ring_space (&tcp->rbuf);
}

void
nav_pseudo_tcp_set_buffers (NavPseudoTcp *tcp,
                            guint32       receive,
                            guint32       send)
{
  g_return_if_fail (tcp->state == NAV_PSEUDO_TCP_LISTEN);
  if (receive > 0)
    set_receive_buffer (tcp, MAX (receive, 2048));
  if (send > 0 && send >= tcp->sbuf.used)
    {
      ring_resize (&tcp->sbuf, MAX (send, 2048));
      tcp->sbuf_size = MAX (send, 2048);
    }
}

void
nav_pseudo_tcp_set_ack_delay (NavPseudoTcp *tcp,
                              guint32       ms)
{
  tcp->ack_delay = ms;
}

void
nav_pseudo_tcp_set_no_delay (NavPseudoTcp *tcp,
                             gboolean      no_delay)
{
  tcp->nagle = !no_delay;
}

static void
set_state (NavPseudoTcp      *tcp,
           NavPseudoTcpState  state)
{
  tcp->state = state;
}

static void
adjust_mss (NavPseudoTcp *tcp)
{
  tcp->mss = tcp->mtu > PACKET_OVERHEAD + 1 ? tcp->mtu - PACKET_OVERHEAD : 1;
  tcp->ssthresh = MAX (tcp->ssthresh, 2 * tcp->mss);
  tcp->cwnd = MAX (tcp->cwnd, tcp->mss);
}

static void
set_established (NavPseudoTcp *tcp)
{
  set_state (tcp, NAV_PSEUDO_TCP_ESTABLISHED);
  adjust_mss (tcp);
  if (tcp->callbacks.opened != NULL)
    tcp->callbacks.opened (tcp, tcp->user_data);
}

static void
set_closed (NavPseudoTcp *tcp,
            guint32       error)
{
  set_state (tcp, NAV_PSEUDO_TCP_CLOSED);
  tcp->rto_armed = FALSE;
  tcp->ack_pending = FALSE;
  if (error != 0 && tcp->callbacks.closed != NULL)
    tcp->callbacks.closed (tcp, error, tcp->user_data);
}

/* Appends @len bytes (flags FLAG_CTL for the connect segment, FLAG_FIN
 * or FLAG_RST with no data) to the send buffer; returns what fitted. */
static guint32
enqueue (NavPseudoTcp *tcp,
         const guint8 *data,
         guint32       len,
         guint8        flags)
{
  OutSegment *tail = g_queue_peek_tail (&tcp->out);

  len = MIN (len, ring_space (&tcp->sbuf));
  if (tail != NULL && tail->flags == flags && tail->xmit == 0 && flags == 0)
    tail->len += len;
  else
    {
      OutSegment *s = g_new0 (OutSegment, 1);

      s->seq = tcp->snd_una + (guint32) tcp->sbuf.used;
      s->len = len;
      s->flags = flags;
      g_queue_push_tail (&tcp->out, s);
      if (tcp->unsent == NULL)
        tcp->unsent = tcp->out.tail;
    }
  ring_put (&tcp->sbuf, 0, data, len);
  ring_commit (&tcp->sbuf, len);
  return len;
}

static void
enqueue_connect (NavPseudoTcp *tcp)
{
  guint8 payload[8];
  guint32 n = 0;

  payload[n++] = CTL_CONNECT;
  if (tcp->window_scaling)
    {
      payload[n++] = OPT_WINDOW_SCALE;
      payload[n++] = 1;
      payload[n++] = tcp->rwnd_scale;
    }
  if (tcp->fin_ack)
    {
      /* RFC 1122 §4.2.2.5: a zero length is invalid, so one unused byte. */
      payload[n++] = OPT_FIN_ACK;
      payload[n++] = 1;
      payload[n++] = 0;
    }
  /* Until the peer's window is known, only the connect segment goes. */
  tcp->snd_wnd = n;
  enqueue (tcp, payload, n, NAV_PSEUDO_TCP_FLAG_CTL);
}

/* Sends one segment: @len bytes of the send buffer from @seq (none for a
 * bare acknowledgement). */
static NavPseudoTcpWriteResult
emit (NavPseudoTcp *tcp,
      guint32       seq,
      guint8        flags,
      guint32       len,
      guint32       now)
{
  guint8 packet[NAV_PSEUDO_TCP_MAX_PACKET];
  NavPseudoTcpSegment header = {
    .conv = tcp->conv,
    .seq = seq,
    .ack = tcp->rcv_nxt,
    .control = 0,
    .flags = flags,
    .window = (guint16) MIN (tcp->rcv_wnd >> tcp->rwnd_scale, 0xFFFF),
    .tsval = now,
    .tsecr = tcp->ts_recent,
  };
  NavPseudoTcpWriteResult result;

  g_assert (len <= sizeof packet - NAV_PSEUDO_TCP_HEADER_SIZE);
  nav_pseudo_tcp_segment_write_header (&header, packet);
  tcp->ts_lastack = tcp->rcv_nxt;
  if (len > 0)
    {
      gsize got = ring_peek (&tcp->sbuf, seq - tcp->snd_una, packet + NAV_PSEUDO_TCP_HEADER_SIZE,
                             len);

      g_assert (got == len);
    }
  result = tcp->callbacks.write_packet (tcp, packet, NAV_PSEUDO_TCP_HEADER_SIZE + len,
                                        tcp->user_data);
  /* A bare acknowledgement that did not leave is as if lost. */
  if (result != NAV_PSEUDO_TCP_WRITE_OK && len > 0)
    return result;
  tcp->ack_pending = FALSE;
  if (len > 0)
    tcp->last_send = now;
  return NAV_PSEUDO_TCP_WRITE_OK;
}

static void
send_ack (NavPseudoTcp *tcp,
          guint32       now)
{
  emit (tcp, tcp->snd_nxt, 0, 0, now);
}

/* Sends (or resends) @link's segment, at most one MSS of it; 0 or an
 * errno value. */
static gint
transmit (NavPseudoTcp *tcp,
          GList        *link,
          guint32       now)
{
  OutSegment *s = link->data;
  guint32 n = MIN (s->len, tcp->mss);

  if (s->xmit >= (tcp->state == NAV_PSEUDO_TCP_ESTABLISHED ? 15u : 30u))
    return ETIMEDOUT;
  if (emit (tcp, s->seq, s->flags, n, now) != NAV_PSEUDO_TCP_WRITE_OK)
    return ECONNABORTED;

  if (n < s->len)
    {
      OutSegment *rest = g_new0 (OutSegment, 1);

      rest->seq = s->seq + n;
      rest->len = s->len - n;
      rest->flags = s->flags;
      rest->xmit = s->xmit;
      s->len = n;
      g_queue_insert_after (&tcp->out, link, rest);
    }
  if (s->xmit == 0)
    {
      g_assert (tcp->unsent == link);
      tcp->unsent = link->next;
      tcp->snd_nxt += s->len;
      /* A FIN takes one sequence number (RFC 793 §3.3). */
      if (s->len == 0 && (s->flags & NAV_PSEUDO_TCP_FLAG_FIN))
        tcp->snd_nxt++;
    }
  s->xmit++;
  if (!tcp->rto_armed)
    {
      tcp->rto_armed = TRUE;
      tcp->rto_base = now;
    }
  return 0;
}

static void
attempt_send (NavPseudoTcp *tcp,
              SendReason    reason)
{
  guint32 now = now_ms ();

  /* RFC 5681 §4.1: restart from one segment after an idle RTO. */
  if (time_diff (now, tcp->last_send) > (gint32) tcp->rto)
    tcp->cwnd = tcp->mss;

  /* Going back after a timeout: the sent segments again, as the window
   * allows, counting in flight from the one resent. */
  while (tcp->resend != NULL && tcp->resend != tcp->unsent)
    {
      OutSegment *s = tcp->resend->data;
      guint32 window = MIN (tcp->snd_wnd, tcp->cwnd);
      guint32 in_flight = s->seq - tcp->snd_una;
      gint status;

      if (SEQ_LT (s->seq, tcp->snd_una))
        {
          tcp->resend = tcp->resend->next;
          continue;
        }
      if (in_flight + MIN (s->len, tcp->mss) > window)
        break;
      status = transmit (tcp, tcp->resend, now);
      if (status != 0)
        {
          close_down (tcp, status, FALSE);
          return;
        }
      tcp->resend = tcp->resend->next;
      if (reason == SEND_IMMEDIATE_ACK || reason == SEND_DELAYED_ACK)
        reason = SEND_NONE;
    }
  if (tcp->resend == tcp->unsent)
    tcp->resend = NULL;

  for (;;)
    {
      guint32 cwnd = tcp->cwnd;
      guint32 window, in_flight, usable, available;
      OutSegment *s;
      gint status;

      /* RFC 3042 limited transmit. */
      if (tcp->dup_acks == 1 || tcp->dup_acks == 2)
        cwnd += tcp->dup_acks * tcp->mss;
      window = MIN (tcp->snd_wnd, cwnd);
      in_flight = tcp->snd_nxt - tcp->snd_una;
      usable = in_flight < window ? window - in_flight : 0;
      /* After a FIN, in_flight counts it but the buffer does not. */
      available = tcp->sbuf.used < in_flight ? 0
                : (guint32) MIN (tcp->sbuf.used - in_flight, tcp->mss);
      if (available > usable)
        /* RFC 813: no silly window, less than a quarter is not worth it. */
        available = usable * 4 < window ? 0 : usable;

      if (reason == SEND_DUPLICATE_ACK)
        {
          send_ack (tcp, now);
          reason = SEND_NONE;
          continue;
        }
      if (available == 0 && reason != SEND_FIN)
        {
          if (reason == SEND_NONE)
            return;
          /* RFC 1122 §4.2.3.2: every second segment is acknowledged at once. */
          if (reason == SEND_IMMEDIATE_ACK || tcp->ack_pending)
            send_ack (tcp, now);
          else
            {
              tcp->ack_pending = TRUE;
              tcp->ack_since = now;
            }
          return;
        }
      if (tcp->nagle && reason != SEND_FIN &&
          tcp->snd_nxt != tcp->snd_una && available < tcp->mss)
        return;
      if (tcp->unsent == NULL)
        return;
      s = tcp->unsent->data;
      if (s->len > available && reason != SEND_FIN)
        {
          OutSegment *rest = g_new0 (OutSegment, 1);

          rest->seq = s->seq + available;
          rest->len = s->len - available;
          rest->flags = s->flags;
          s->len = available;
          g_queue_insert_after (&tcp->out, tcp->unsent, rest);
        }
      status = transmit (tcp, tcp->unsent, now);
      if (status != 0)
        {
          close_down (tcp, status, FALSE);
          return;
        }
      if (reason == SEND_IMMEDIATE_ACK || reason == SEND_DELAYED_ACK)
        reason = SEND_NONE;
    }
}

/* Ends the connection at once: an RST first when @local (RFC 1122
 * §4.2.2.13) and the peer knows RST. */
static void
close_down (NavPseudoTcp *tcp,
            guint32       error,
            gboolean      local)
{
  /* The RST is sent once, not retransmitted: a peer that misses it
   * gets another for its next segment. */
  if (local && tcp->fin_ack)
    emit (tcp, tcp->snd_una + (guint32) tcp->sbuf.used, NAV_PSEUDO_TCP_FLAG_RST, 0, now_ms ());
  if (tcp->state != NAV_PSEUDO_TCP_CLOSED)
    set_closed (tcp, error);
}

gboolean
nav_pseudo_tcp_connect (NavPseudoTcp *tcp)
{
  if (tcp->state != NAV_PSEUDO_TCP_LISTEN)
    {
      tcp->error = EINVAL;
      return FALSE;
    }
  set_state (tcp, NAV_PSEUDO_TCP_SYN_SENT);
  enqueue_connect (tcp);
  attempt_send (tcp, SEND_NONE);
  return TRUE;
}

void
nav_pseudo_tcp_notify_mtu (NavPseudoTcp *tcp,
                           guint16       mtu)
{
  tcp->mtu = MAX (mtu, (guint16) MIN_PACKET);
  if (tcp->state == NAV_PSEUDO_TCP_ESTABLISHED)
    adjust_mss (tcp);
}

static void
apply_options (NavPseudoTcp *tcp,
               const guint8 *data,
               gsize         len)
{
  gboolean scale_seen = FALSE, fin_ack_seen = FALSE;
  gsize pos = 0;

  while (pos < len)
    {
      guint8 kind = data[pos++];
      guint8 opt_len;

      if (kind == OPT_EOL)
        break;
      if (kind == OPT_NOOP)
        continue;
      if (pos >= len)
        break;
      opt_len = data[pos++];
      if (opt_len > len - pos)
        break;
      if (kind == OPT_WINDOW_SCALE && opt_len == 1)
        {
          /* RFC 7323 §2.3: a shift above 14 is taken as 14. */
          tcp->swnd_scale = MIN (data[pos], 14);
          scale_seen = TRUE;
        }
      else if (kind == OPT_FIN_ACK)
        fin_ack_seen = TRUE;
      /* OPT_MSS and unknown kinds are skipped. */
      pos += opt_len;
    }

  if (!scale_seen)
    {
      /* A peer without window scaling reads our window unscaled. */
      tcp->swnd_scale = 0;
      if (tcp->rwnd_scale > 0)
        set_receive_buffer (tcp, DEFAULT_RECEIVE_BUFFER);
    }
  if (!fin_ack_seen)
    tcp->fin_ack = FALSE;
}

static gboolean
process (NavPseudoTcp        *tcp,
         NavPseudoTcpSegment *seg)
{
  guint32 now = now_ms ();
  SendReason reason = SEND_NONE;
  gboolean connect_seen = FALSE;
  gboolean fin_acked = FALSE, fin_received = FALSE, new_data = FALSE;
  gsize space;

  if (seg->conv != tcp->conv)
    return FALSE;
  tcp->last_recv = now;

  /* RFC 793 §3.4: data for a connection both sides closed gets an RST. */
  if (tcp->state == NAV_PSEUDO_TCP_CLOSED || (state_fin_acked (tcp->state) && seg->len > 0))
    {
      if (!(seg->flags & NAV_PSEUDO_TCP_FLAG_RST))
        close_down (tcp, 0, TRUE);
      return FALSE;
    }
  if (seg->flags & NAV_PSEUDO_TCP_FLAG_RST)
    {
      close_down (tcp, ECONNRESET, FALSE);
      return FALSE;
    }

  if (seg->flags & NAV_PSEUDO_TCP_FLAG_CTL)
    {
      if (seg->len == 0 || seg->data[0] != CTL_CONNECT)
        return FALSE;
      connect_seen = TRUE;
      apply_options (tcp, seg->data + 1, seg->len - 1);
      if (tcp->state == NAV_PSEUDO_TCP_LISTEN)
        {
          set_state (tcp, NAV_PSEUDO_TCP_SYN_RECEIVED);
          enqueue_connect (tcp);
        }
      else if (tcp->state == NAV_PSEUDO_TCP_SYN_SENT)
        set_established (tcp);
    }

  /* RFC 7323 §4.3: keep the timestamp of the segment that the next
   * acknowledgement covers. */
  if (SEQ_LE (seg->seq, tcp->ts_lastack) && SEQ_LT (tcp->ts_lastack, seg->seq + seg->len))
    tcp->ts_recent = seg->tsval;

  if (SEQ_GT (seg->ack, tcp->snd_una) && SEQ_LE (seg->ack, tcp->snd_nxt))
    {
      guint32 acked, to_free;

      /* RFC 6298 §2 with the echoed timestamp as the sample. */
      if (seg->tsecr != 0)
        {
          gint32 rtt = time_diff (now, seg->tsecr);

          if (rtt < 0)
            return FALSE;
          if (tcp->srtt == 0)
            {
              tcp->srtt = rtt;
              tcp->rttvar = rtt / 2;
            }
          else
            {
              guint32 delta = (guint32) ABS ((gint64) rtt - (gint64) tcp->srtt);

              tcp->rttvar = (3 * tcp->rttvar + delta) / 4;
              tcp->srtt = (7 * tcp->srtt + rtt) / 8;
            }
          tcp->rto = CLAMP (tcp->srtt + MAX (1u, 4 * tcp->rttvar), MIN_RTO, MAX_RTO);
          tcp->last_acked_ts = seg->tsecr;
        }

      tcp->snd_wnd = (guint32) seg->window << tcp->swnd_scale;
      acked = seg->ack - tcp->snd_una;
      tcp->snd_una = seg->ack;
      tcp->rto_armed = tcp->snd_una != tcp->snd_nxt;
      tcp->rto_base = now;
      /* Our FIN's sequence number has no byte in the buffer. */
      if (acked == tcp->sbuf.used + 1 && state_sent_fin (tcp->state))
        {
          fin_acked = TRUE;
          acked--;
        }
      acked = MIN (acked, (guint32) tcp->sbuf.used);
      ring_consume (&tcp->sbuf, acked);
      for (to_free = acked; to_free > 0;)
        {
          OutSegment *s = g_queue_peek_head (&tcp->out);

          if (s == NULL)
            break;
          if (to_free < s->len)
            {
              s->len -= to_free;
              s->seq += to_free;
              to_free = 0;
            }
          else
            {
              to_free -= s->len;
              if (tcp->unsent == tcp->out.head)
                tcp->unsent = tcp->out.head->next;
              if (tcp->resend == tcp->out.head)
                tcp->resend = tcp->out.head->next;
              g_free (g_queue_pop_head (&tcp->out));
            }
        }

      if (tcp->dup_acks >= 3)
        {
          if (SEQ_GE (tcp->snd_una, tcp->recover))
            {
              /* RFC 6582 §3.2 step 3: full acknowledgement, recovery ends. */
              guint32 in_flight = tcp->snd_nxt - tcp->snd_una;

              tcp->cwnd = MIN (tcp->ssthresh, MAX (in_flight, tcp->mss) + tcp->mss);
              tcp->fast_recovery = FALSE;
              tcp->dup_acks = 0;
            }
          else if (tcp->out.head != NULL)
            {
              /* A partial acknowledgement: the next hole goes again. */
              gint status = transmit (tcp, tcp->out.head, now);

              if (status != 0)
                {
                  close_down (tcp, status, TRUE);
                  return FALSE;
                }
              tcp->cwnd += (acked > tcp->mss ? tcp->mss : 0) - MIN (acked, tcp->cwnd);
            }
        }
      else
        {
          tcp->dup_acks = 0;
          if (tcp->cwnd < tcp->ssthresh)
            tcp->cwnd += tcp->mss;
          else
            tcp->cwnd += MAX (1u, tcp->mss * tcp->mss / tcp->cwnd);
        }
    }
  else if (seg->ack == tcp->snd_una)
    {
      /* The only way a closed window opens again. */
      tcp->snd_wnd = (guint32) seg->window << tcp->swnd_scale;
      if (seg->len > 0)
        ;
      else if (tcp->snd_una != tcp->snd_nxt)
        {
          tcp->dup_acks++;
          if (tcp->dup_acks == 3)
            {
              /* RFC 6582 §3.2 step 1: fast retransmit. */
              if ((SEQ_GE (tcp->snd_una, tcp->recover) || seg->tsecr == tcp->last_acked_ts) &&
                  tcp->out.head != NULL)
                {
                  guint32 in_flight;
                  gint status = transmit (tcp, tcp->out.head, now);

                  if (status != 0)
                    {
                      close_down (tcp, status, TRUE);
                      return FALSE;
                    }
                  tcp->recover = tcp->snd_nxt;
                  in_flight = tcp->snd_nxt - tcp->snd_una;
                  tcp->ssthresh = MAX (in_flight / 2, 2 * tcp->mss);
                  tcp->cwnd = tcp->ssthresh + 3 * tcp->mss;
                  tcp->fast_recovery = TRUE;
                }
            }
          else if (tcp->dup_acks > 3 && tcp->fast_recovery)
            tcp->cwnd += tcp->mss;
        }
      else
        tcp->dup_acks = 0;
    }

  if (tcp->state == NAV_PSEUDO_TCP_SYN_RECEIVED && !connect_seen)
    set_established (tcp);

  if (tcp->fin_ack)
    {
      if (seg->flags & NAV_PSEUDO_TCP_FLAG_FIN)
        tcp->rcv_fin = seg->seq;
      /* libnice's FIN carries no data. */
      if ((seg->flags & NAV_PSEUDO_TCP_FLAG_FIN) && seg->len != 0)
        return FALSE;
      /* The FIN counts once everything before it arrived. */
      fin_received = tcp->rcv_fin != 0 && tcp->rcv_nxt != 0 &&
                     tcp->rcv_nxt + seg->len == tcp->rcv_fin &&
                     seg->seq == tcp->rcv_nxt;

      /* RFC 793 figure 6 and RFC 1122 §4.2.2.8. */
      switch (tcp->state)
        {
        case NAV_PSEUDO_TCP_ESTABLISHED:
          if (fin_received)
            set_state (tcp, NAV_PSEUDO_TCP_CLOSE_WAIT);
          break;
        case NAV_PSEUDO_TCP_CLOSING:
          if (fin_acked)
            set_state (tcp, NAV_PSEUDO_TCP_TIME_WAIT);
          break;
        case NAV_PSEUDO_TCP_LAST_ACK:
          if (fin_acked)
            set_closed (tcp, 0);
          break;
        case NAV_PSEUDO_TCP_FIN_WAIT_1:
          if (fin_acked && fin_received)
            set_state (tcp, NAV_PSEUDO_TCP_TIME_WAIT);
          else if (fin_acked)
            set_state (tcp, NAV_PSEUDO_TCP_FIN_WAIT_2);
          else if (fin_received)
            set_state (tcp, NAV_PSEUDO_TCP_CLOSING);
          break;
        case NAV_PSEUDO_TCP_FIN_WAIT_2:
          if (fin_received)
            set_state (tcp, NAV_PSEUDO_TCP_TIME_WAIT);
          break;
        default:
          break;
        }
    }

  /* Refill early: the application hears when half of both buffers is
   * free, so the window never runs dry. */
  if (tcp->want_writable && tcp->sbuf.used < (tcp->sbuf_size + tcp->rbuf_size) / 2 &&
      !state_sent_fin (tcp->state))
    {
      tcp->want_writable = FALSE;
      if (tcp->callbacks.writable != NULL)
        tcp->callbacks.writable (tcp, tcp->user_data);
      if (tcp->state == NAV_PSEUDO_TCP_CLOSED)
        return TRUE;
    }

  /* Out of order (a hole, or a retransmission): acknowledge at once so
   * the sender's fast retransmit sees it; new data: delayed. */
  if (seg->seq != tcp->rcv_nxt)
    reason = SEND_DUPLICATE_ACK;
  else if (seg->len != 0)
    reason = tcp->ack_delay == 0 ? SEND_IMMEDIATE_ACK : SEND_DELAYED_ACK;
  else if (fin_received)
    reason = SEND_IMMEDIATE_ACK;

  /* Trim what was already received and what does not fit. */
  if (SEQ_LT (seg->seq, tcp->rcv_nxt))
    {
      guint32 old = tcp->rcv_nxt - seg->seq;

      if (old < seg->len)
        {
          seg->seq += old;
          seg->data += old;
          seg->len -= old;
        }
      else
        seg->len = 0;
    }
  space = ring_space (&tcp->rbuf);
  if (seg->len > 0 && (guint32) (seg->seq + seg->len - tcp->rcv_nxt) > space)
    {
      guint32 excess = seg->seq + seg->len - tcp->rcv_nxt - (guint32) space;

      seg->len = excess < seg->len ? seg->len - excess : 0;
    }

  if (seg->len > 0)
    {
      if (seg->flags & NAV_PSEUDO_TCP_FLAG_CTL)
        {
          /* The connect payload takes sequence space, nothing more. */
          if (seg->seq == tcp->rcv_nxt)
            tcp->rcv_nxt += seg->len;
        }
      else
        {
          guint32 offset = seg->seq - tcp->rcv_nxt;

          ring_put (&tcp->rbuf, offset, seg->data, seg->len);
          if (offset == 0)
            {
              ring_commit (&tcp->rbuf, seg->len);
              tcp->rcv_nxt += seg->len;
              tcp->rcv_wnd -= MIN (tcp->rcv_wnd, seg->len);
              new_data = TRUE;
              /* Held segments that now follow on are readable too. */
              while (tcp->held != NULL)
                {
                  HeldSegment *h = tcp->held->data;

                  if (SEQ_GT (h->seq, tcp->rcv_nxt))
                    break;
                  if (SEQ_GT (h->seq + h->len, tcp->rcv_nxt))
                    {
                      guint32 more = h->seq + h->len - tcp->rcv_nxt;

                      reason = SEND_IMMEDIATE_ACK;
                      ring_commit (&tcp->rbuf, more);
                      tcp->rcv_nxt += more;
                      tcp->rcv_wnd -= MIN (tcp->rcv_wnd, more);
                    }
                  g_free (h);
                  tcp->held = g_list_delete_link (tcp->held, tcp->held);
                }
            }
          else
            {
              HeldSegment *h = g_new (HeldSegment, 1);
              GList *l = tcp->held;

              h->seq = seg->seq;
              h->len = seg->len;
              while (l != NULL && SEQ_LT (((HeldSegment *) l->data)->seq, h->seq))
                l = l->next;
              tcp->held = g_list_insert_before (tcp->held, l, h);
            }
        }
    }

  if (fin_received)
    tcp->rcv_nxt++;

  attempt_send (tcp, reason);

  if (new_data && tcp->callbacks.readable != NULL && tcp->state != NAV_PSEUDO_TCP_CLOSED)
    tcp->callbacks.readable (tcp, tcp->user_data);
  return TRUE;
}

gboolean
nav_pseudo_tcp_notify_packet (NavPseudoTcp *tcp,
                              const guint8 *data,
                              gsize         len)
{
  NavPseudoTcpSegment seg;

  if (!nav_pseudo_tcp_segment_parse (data, len, &seg))
    {
      tcp->error = len < NAV_PSEUDO_TCP_HEADER_SIZE ? EINVAL : EMSGSIZE;
      return FALSE;
    }
  return process (tcp, &seg);
}

void
nav_pseudo_tcp_notify_clock (NavPseudoTcp *tcp)
{
  guint32 now = now_ms ();

  if (tcp->state == NAV_PSEUDO_TCP_CLOSED)
    return;
  /* Delayed segments have drained: closed on both sides. */
  if (tcp->fin_ack && tcp->state == NAV_PSEUDO_TCP_TIME_WAIT)
    {
      set_closed (tcp, 0);
      return;
    }

  /* RFC 6298 §5.4–5.6: the oldest segment again, the timer backed off. */
  if (tcp->rto_armed && time_diff (now, tcp->rto_base + tcp->rto) >= 0 &&
      tcp->out.head != NULL)
    {
      guint32 in_flight;
      gint status = transmit (tcp, tcp->out.head, now);

      if (status != 0)
        {
          close_down (tcp, status, TRUE);
          return;
        }
      /* RFC 5681 §3.1 after a timeout: what was in flight goes again,
       * in slow start (libjingle resent only the first segment and let
       * every later hole wait for a timeout of its own). */
      tcp->resend = tcp->out.head->next;
      if (tcp->resend == tcp->unsent)
        tcp->resend = NULL;
      in_flight = tcp->snd_nxt - tcp->snd_una;
      tcp->ssthresh = MAX (in_flight / 2, 2 * tcp->mss);
      tcp->cwnd = tcp->mss;
      tcp->rto = MIN (tcp->state < NAV_PSEUDO_TCP_ESTABLISHED ? DEFAULT_RTO : MAX_RTO,
                      tcp->rto * 2);
      tcp->rto_base = now;
      tcp->recover = tcp->snd_nxt;
      if (tcp->dup_acks >= 3)
        {
          tcp->dup_acks = 0;
          tcp->fast_recovery = FALSE;
        }
    }

  /* A closed window is probed with an old sequence number. */
  if (tcp->snd_wnd == 0 && time_diff (now, tcp->last_send + tcp->rto) >= 0)
    {
      if (time_diff (now, tcp->last_recv) >= WINDOW_PROBE_GIVE_UP)
        {
          close_down (tcp, ECONNABORTED, TRUE);
          return;
        }
      emit (tcp, tcp->snd_nxt - 1, 0, 0, now);
      tcp->last_send = now;
      tcp->rto = MIN (MAX_RTO, tcp->rto * 2);
    }

  if (tcp->ack_pending && time_diff (now, tcp->ack_since + tcp->ack_delay) >= 0)
    send_ack (tcp, now);
}

gboolean
nav_pseudo_tcp_get_next_clock (NavPseudoTcp *tcp,
                               gint64       *when_ms)
{
  gint64 now64 = g_get_monotonic_time () / 1000;
  guint32 now = (guint32) now64;
  gint32 wait;

  if (tcp->state == NAV_PSEUDO_TCP_CLOSED)
    return FALSE;
  if (tcp->state == NAV_PSEUDO_TCP_TIME_WAIT)
    {
      *when_ms = now64 + TIME_WAIT_CLOCK;
      return TRUE;
    }
  wait = IDLE_CLOCK;
  if (tcp->ack_pending)
    wait = MIN (wait, time_diff (tcp->ack_since + tcp->ack_delay, now));
  if (tcp->rto_armed)
    wait = MIN (wait, time_diff (tcp->rto_base + tcp->rto, now));
  if (tcp->snd_wnd == 0)
    wait = MIN (wait, time_diff (tcp->last_send + tcp->rto, now));
  *when_ms = now64 + MAX (wait, 0);
  return TRUE;
}

gssize
nav_pseudo_tcp_send (NavPseudoTcp *tcp,
                     const guint8 *data,
                     gsize         len)
{
  guint32 written;

  if (tcp->state != NAV_PSEUDO_TCP_ESTABLISHED)
    {
      tcp->error = state_sent_fin (tcp->state) ? EPIPE : ENOTCONN;
      return -1;
    }
  if (ring_space (&tcp->sbuf) == 0)
    {
      tcp->want_writable = TRUE;
      tcp->error = EWOULDBLOCK;
      return -1;
    }
  written = enqueue (tcp, data, (guint32) MIN (len, G_MAXUINT32), 0);
  attempt_send (tcp, SEND_NONE);
  if (written < len)
    tcp->want_writable = TRUE;
  return written;
}

gssize
nav_pseudo_tcp_recv (NavPseudoTcp *tcp,
                     guint8       *buf,
                     gsize         len)
{
  gsize n, free_space;

  /* After our shutdown of reads, or the peer's FIN: the end (RFC 793
   * §3.5 case 2). */
  if (tcp->fin_ack && tcp->read_shut)
    return 0;
  if (!tcp->fin_ack && tcp->state == NAV_PSEUDO_TCP_CLOSED)
    return 0;
  if (!tcp->fin_ack && tcp->state != NAV_PSEUDO_TCP_ESTABLISHED)
    {
      tcp->error = ENOTCONN;
      return -1;
    }
  if (len == 0)
    return 0;

  n = ring_peek (&tcp->rbuf, 0, buf, len);
  ring_consume (&tcp->rbuf, n);
  if (n == 0)
    {
      if (state_received_fin (tcp->state))
        return 0;
      tcp->error = tcp->state == NAV_PSEUDO_TCP_CLOSED ? ENOTCONN : EWOULDBLOCK;
      return -1;
    }

  /* Reopen the window once a useful amount is free (RFC 1122
   * §4.2.3.3), at once when it had closed. */
  free_space = ring_space (&tcp->rbuf);
  if (free_space > tcp->rcv_wnd &&
      free_space - tcp->rcv_wnd >= MIN (tcp->rbuf_size / 2, tcp->mss))
    {
      gboolean was_closed = tcp->rcv_wnd == 0;

      tcp->rcv_wnd = free_space;
      if (was_closed)
        attempt_send (tcp, SEND_IMMEDIATE_ACK);
    }
  return n;
}

gint
nav_pseudo_tcp_get_error (NavPseudoTcp *tcp)
{
  return tcp->error;
}

void
nav_pseudo_tcp_shutdown_read (NavPseudoTcp *tcp)
{
  tcp->read_shut = TRUE;
}

void
nav_pseudo_tcp_shutdown_write (NavPseudoTcp *tcp)
{
  if (!tcp->fin_ack)
    return;
  switch (tcp->state)
    {
    case NAV_PSEUDO_TCP_LISTEN:
    case NAV_PSEUDO_TCP_SYN_SENT:
      set_closed (tcp, 0);
      break;
    case NAV_PSEUDO_TCP_SYN_RECEIVED:
    case NAV_PSEUDO_TCP_ESTABLISHED:
      /* RFC 1122 §4.2.2.13: unread data makes it a reset. */
      if (tcp->rbuf.used > 0)
        close_down (tcp, ECONNABORTED, TRUE);
      else
        {
          enqueue (tcp, NULL, 0, NAV_PSEUDO_TCP_FLAG_FIN);
          attempt_send (tcp, SEND_FIN);
          set_state (tcp, NAV_PSEUDO_TCP_FIN_WAIT_1);
        }
      break;
    case NAV_PSEUDO_TCP_CLOSE_WAIT:
      enqueue (tcp, NULL, 0, NAV_PSEUDO_TCP_FLAG_FIN);
      attempt_send (tcp, SEND_FIN);
      set_state (tcp, NAV_PSEUDO_TCP_LAST_ACK);
      break;
    default:
      break;
    }
}

void
nav_pseudo_tcp_abort (NavPseudoTcp *tcp)
{
  if (tcp->state != NAV_PSEUDO_TCP_CLOSED)
    close_down (tcp, ECONNABORTED, TRUE);
}

NavPseudoTcpState
nav_pseudo_tcp_get_state (NavPseudoTcp *tcp)
{
  return tcp->state;
}

gsize
nav_pseudo_tcp_get_available_bytes (NavPseudoTcp *tcp)
{
  return tcp->rbuf.used;
}

gsize
nav_pseudo_tcp_get_available_send_space (NavPseudoTcp *tcp)
{
  gsize space = state_sent_fin (tcp->state) ? 0 : ring_space (&tcp->sbuf);

  if (space == 0)
    tcp->want_writable = TRUE;
  return space;
}

gboolean
nav_pseudo_tcp_is_closed (NavPseudoTcp *tcp)
{
  return tcp->state == NAV_PSEUDO_TCP_CLOSED;
}

gboolean
nav_pseudo_tcp_is_closed_remotely (NavPseudoTcp *tcp)
{
  return state_received_fin (tcp->state);
}
