/* nav-sctp-association.c: the public calls, chunk dispatch, timers,
 * events and closing
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-sctp-private.h"
#include "nav-sctp-crc32c.h"

#include <sys/random.h>

#include <glib/gi18n-lib.h>

G_DEFINE_QUARK (nav-sctp-error-quark, nav_sctp_error)

/* RFC 9260 §6.3.1: the clock granularity G. */
#define CLOCK_GRANULARITY_US 1000

/**
 * nav_sctp_options_init:
 * @options: (out caller-allocates): the options to fill
 *
 * Fills @options with the defaults: port 5000 both ways, an MTU of 1200,
 * 256 KiB messages, a 4 MiB receive window, a 16 MiB send buffer, the
 * protocol parameters of RFC 9260 §16, 65535 streams, interleaving
 * announced, zero checksums off, RFC 9260's congestion control.
 *
 * Since: 1.0
 */
void
nav_sctp_options_init (NavSctpOptions *options)
{
  memset (options, 0, sizeof *options);
  options->local_port = 5000;
  options->remote_port = 5000;
  options->mtu = 1200;
  options->max_message_size = 256 * 1024;
  options->receive_buffer = 4 * 1024 * 1024;
  options->send_buffer = 16 * 1024 * 1024;
  options->rto_initial_us = 1 * G_USEC_PER_SEC;
  options->rto_min_us = 1 * G_USEC_PER_SEC;
  options->rto_max_us = 60 * G_USEC_PER_SEC;
  options->max_retransmissions = 10;
  options->path_max_retransmissions = 5;
  options->max_init_retransmissions = 8;
  options->max_burst = 4;
  options->congestion_control = NAV_SCTP_CC_MODEL;
  options->heartbeat_interval_us = 30 * G_USEC_PER_SEC;
  options->delayed_ack_us = 200 * 1000;
  options->cookie_lifetime_us = 60 * G_USEC_PER_SEC;
  options->num_outbound_streams = 65535;
  options->max_inbound_streams = 65535;
  options->enable_interleaving = TRUE;
  options->zero_checksum = FALSE;
  options->manual_receive_window = FALSE;
}

/* ---- randomness ---- */

void
nav_sctp_fill_random (NavSctpAssociation *a,
             guint8             *buf,
             gsize               len)
{
  if (a->cb.fill_random != NULL)
    {
      a->cb.fill_random (buf, len, a->user_data);
      return;
    }
  while (len > 0)
    {
      gssize n = getrandom (buf, len, 0);

      if (n <= 0)
        g_error ("getrandom() failed");
      buf += n;
      len -= n;
    }
}

guint32
nav_sctp_random_nonzero (NavSctpAssociation *a)
{
  guint32 v = 0;

  while (v == 0)
    {
      guint8 b[4];

      nav_sctp_fill_random (a, b, 4);
      v = nav_sctp_get32 (b);
    }
  return v;
}

static inline guint32
rotl (guint32 x,
      int     k)
{
  return (x << k) | (x >> (32 - k));
}

/* xoshiro128**: heartbeat jitter and nonces, not secrets. */
guint32
nav_sctp_random32 (NavSctpAssociation *a)
{
  guint32 *s = a->rng;
  guint32 result = rotl (s[1] * 5, 7) * 9;
  guint32 t = s[1] << 9;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 11);
  return result;
}

/* ---- timers ---- */

void
nav_sctp_timer_start (NavSctpAssociation *a,
                      NavSctpTimer        t,
                      gint64              delay)
{
  a->timers[t] = a->now + MAX (delay, 0);
}

void
nav_sctp_timer_stop (NavSctpAssociation *a,
                     NavSctpTimer        t)
{
  a->timers[t] = TIMER_OFF;
}

static void
timers_stop_all (NavSctpAssociation *a)
{
  for (guint i = 0; i < N_TIMERS; i++)
    a->timers[i] = TIMER_OFF;
}

void
nav_sctp_update_rto (NavSctpAssociation *a,
                     gint64              rtt)
{
  /* RFC 9260 §6.3.1 C1–C3, with RTO.Alpha 1/8 and RTO.Beta 1/4. */
  if (rtt < 0)
    rtt = 0;
  if (!a->have_rtt)
    {
      a->srtt = rtt;
      a->rttvar = rtt / 2;
      a->have_rtt = TRUE;
    }
  else
    {
      gint64 diff = a->srtt > rtt ? a->srtt - rtt : rtt - a->srtt;

      a->rttvar = (3 * a->rttvar + diff) / 4;
      a->srtt = (7 * a->srtt + rtt) / 8;
    }
  if (a->rttvar == 0)
    a->rttvar = CLOCK_GRANULARITY_US;
  a->rto = CLAMP (a->srtt + 4 * a->rttvar, a->opt.rto_min_us, a->opt.rto_max_us);
}

/* ---- events ---- */

NavSctpEvent *
nav_sctp_event_push (NavSctpAssociation *a,
                     EventType           type)
{
  NavSctpEvent ev = { 0 };

  ev.type = type;
  g_array_append_val (a->events, ev);
  return &g_array_index (a->events, NavSctpEvent, a->events->len - 1);
}

static void
event_clear (NavSctpEvent *ev)
{
  g_free (ev->msg.owned);
  g_free (ev->streams);
  g_free (ev->text);
}

static void
dispatch_events (NavSctpAssociation *a)
{
  while (a->events_head < a->events->len && !a->free_pending)
    {
      /* A copy: callbacks may queue more events and move the array. */
      NavSctpEvent ev = g_array_index (a->events, NavSctpEvent, a->events_head);
      const NavSctpCallbacks *cb = &a->cb;
      gpointer ud = a->user_data;

      a->events_head++;
      switch (ev.type)
        {
        case EV_CONNECTED:
          if (cb->connected)
            cb->connected (a, ud);
          break;
        case EV_MESSAGE:
          if (cb->message)
            cb->message (a, &ev.msg, ud);
          break;
        case EV_ABANDONED:
          if (cb->message_abandoned)
            cb->message_abandoned (a, ev.msg.stream_id, ev.msg.ppid, ev.msg.len, ev.tag, ud);
          break;
        case EV_STREAMS_RESET:
          if (cb->streams_reset)
            cb->streams_reset (a, ev.code != 0, ev.streams, ev.n_streams, ud);
          break;
        case EV_STREAMS_RESET_FAILED:
          if (cb->streams_reset_failed)
            cb->streams_reset_failed (a, ev.streams, ev.n_streams, ev.text, ud);
          break;
        case EV_BUFFERED_LOW:
          if (cb->buffered_amount_low)
            cb->buffered_amount_low (a, ev.msg.stream_id, ud);
          break;
        case EV_TOTAL_BUFFERED_LOW:
          if (cb->total_buffered_amount_low)
            cb->total_buffered_amount_low (a, ud);
          break;
        case EV_CLOSED:
          if (cb->closed)
            cb->closed (a, (NavSctpCloseReason) ev.code, ev.text, ud);
          break;
        case EV_RESTARTED:
          if (cb->restarted)
            cb->restarted (a, ud);
          break;
        case EV_ERROR:
          if (cb->error)
            {
              GError *error = g_error_new_literal (NAV_SCTP_ERROR, ev.code, ev.text);

              cb->error (a, error, ud);
              g_error_free (error);
            }
          break;
        }
      event_clear (&ev);
    }
  if (a->events_head >= a->events->len || a->free_pending)
    {
      for (guint i = a->events_head; i < a->events->len; i++)
        event_clear (&g_array_index (a->events, NavSctpEvent, i));
      g_array_set_size (a->events, 0);
      a->events_head = 0;
    }
}

/**
 * nav_sctp_message_steal:
 * @message: a message given to NavSctpCallbacks.message
 *
 * Takes the message's bytes beyond the callback: without a copy when the
 * message was reassembled, with one when it points into the packet.
 *
 * Returns: (transfer full): the message's bytes
 *
 * Since: 1.0
 */
GBytes *
nav_sctp_message_steal (NavSctpMessage *message)
{
  GBytes *bytes;

  if (message->owned != NULL)
    {
      bytes = g_bytes_new_take (message->owned, message->len);
      message->owned = NULL;
      return bytes;
    }
  return g_bytes_new (message->data, message->len);
}

/* ---- public call bracket ---- */

static void really_free (NavSctpAssociation *a);

static void
enter (NavSctpAssociation *a)
{
  a->depth++;
  a->now = a->cb.now (a->user_data);
}

static void
leave (NavSctpAssociation *a)
{
  if (nav_sctp_teardown_pending (a))
    nav_sctp_teardown (a);
  if (a->depth == 1)
    dispatch_events (a);
  a->depth--;
  if (a->depth == 0 && a->free_pending)
    really_free (a);
}

/* ---- output ---- */

gboolean
nav_sctp_use_checksum (NavSctpAssociation *a)
{
  /* RFC 9653 §5.2: zero only once both ends announced it, and never on
   * the handshake. */
  return !(a->local_zero_checksum && a->peer_zero_checksum && a->state >= NAV_SCTP_STATE_ESTABLISHED);
}

void
nav_sctp_emit_packet (NavSctpAssociation *a,
                      NavSctpWriter      *w)
{
  gsize len = nav_sctp_writer_finish (w, nav_sctp_use_checksum (a));

  a->stats.packets_sent++;
  a->stats.bytes_sent += len;
  a->cb.send_packet (a, w->buf, len, a->user_data);
}

/* A packet of one chunk, outside the flush (handshake, shutdown, abort). */
void
nav_sctp_send_chunk (NavSctpAssociation *a,
            guint32             vtag,
            guint8              type,
            guint8              flags,
            const guint8       *value,
            gsize               value_len,
            gboolean            checksum)
{
  NavSctpWriter w;
  guint8 *v;
  gsize len;

  nav_sctp_writer_init (&w, a->packet, a->opt.mtu, a->opt.local_port, a->opt.remote_port, vtag);
  v = nav_sctp_writer_add_chunk (&w, type, flags, value_len);
  if (v == NULL)
    return;
  if (value_len > 0)
    memcpy (v, value, value_len);
  len = nav_sctp_writer_finish (&w, checksum);
  a->stats.packets_sent++;
  a->stats.bytes_sent += len;
  a->cb.send_packet (a, w.buf, len, a->user_data);
}

void
nav_sctp_queue_control (NavSctpAssociation *a,
                        guint8              type,
                        guint8              flags,
                        const guint8       *value,
                        gsize               value_len)
{
  gsize start = a->control->len;
  gsize total = nav_sctp_pad4 (4 + value_len);

  if (start + total > MAX_PENDING_CONTROL || 4 + value_len > a->opt.mtu - NAV_SCTP_COMMON_HEADER_SIZE)
    {
      a->stats.chunks_dropped++;
      return;
    }
  g_byte_array_set_size (a->control, start + total);
  memset (a->control->data + start, 0, total);
  a->control->data[start] = type;
  a->control->data[start + 1] = flags;
  nav_sctp_put16 (a->control->data + start + 2, (guint16) (4 + value_len));
  if (value_len > 0)
    memcpy (a->control->data + start + 4, value, value_len);
}

void
nav_sctp_queue_error (NavSctpAssociation *a,
                      guint16             cause,
                      const guint8       *info,
                      gsize               info_len)
{
  GByteArray *v = g_byte_array_new ();
  guint8 *p = nav_sctp_param_append (v, cause, info_len);

  if (info_len > 0)
    memcpy (p, info, info_len);
  nav_sctp_queue_control (a, NAV_SCTP_CHUNK_ERROR, 0, v->data, 4 + info_len);
  g_byte_array_unref (v);
}

/* ---- closing ---- */

gboolean
nav_sctp_teardown_pending (NavSctpAssociation *a)
{
  return a->state == NAV_SCTP_STATE_CLOSED && (a->local_tag != 0 || a->rx_held > 0
                                               || a->total_buffered > 0 || a->flight > 0);
}

/* Drops every queue and the association's identity; events stay. */
void
nav_sctp_teardown (NavSctpAssociation *a)
{
  timers_stop_all (a);
  nav_sctp_tx_reset (a);
  nav_sctp_rx_reset (a);
  nav_sctp_reconfig_reset (a);
  g_byte_array_set_size (a->control, 0);
  g_clear_pointer (&a->init_chunk, g_bytes_unref);
  a->local_tag = 0;
  a->peer_tag = 0;
  a->rx_app_held = 0;
  a->hb_outstanding = FALSE;
  a->error_count = 0;
  a->peer_idata = a->peer_prsctp = a->peer_reconfig = a->peer_zero_checksum = FALSE;
}

void
nav_sctp_fail (NavSctpAssociation *a,
               NavSctpCloseReason  reason,
               const gchar        *detail)
{
  NavSctpEvent *ev;

  if (a->state == NAV_SCTP_STATE_CLOSED && a->local_tag == 0)
    return;
  a->state = NAV_SCTP_STATE_CLOSED;
  timers_stop_all (a);
  if (a->local_tag == 0)
    a->local_tag = 1;           /* teardown at the end of this call */
  ev = nav_sctp_event_push (a, EV_CLOSED);
  ev->code = reason;
  ev->text = g_strdup (detail != NULL ? detail : "");
}

void
nav_sctp_send_abort (NavSctpAssociation *a,
            guint16             cause,
            const guint8       *info,
            gsize               info_len)
{
  GByteArray *v = g_byte_array_new ();

  if (cause != 0)
    {
      guint8 *p = nav_sctp_param_append (v, cause, info_len);

      if (info_len > 0)
        memcpy (p, info, info_len);
    }
  if (a->peer_tag != 0)
    nav_sctp_send_chunk (a, a->peer_tag, NAV_SCTP_CHUNK_ABORT, 0, v->data, v->len, TRUE);
  g_byte_array_unref (v);
}

void
nav_sctp_abort_with_cause (NavSctpAssociation *a,
                           guint16             cause,
                           const guint8       *info,
                           gsize               info_len,
                           const gchar        *detail)
{
  gchar *text;

  if (a->state == NAV_SCTP_STATE_CLOSED)
    return;
  nav_sctp_send_abort (a, cause, info, info_len);
  text = g_strdup_printf (_("Protocol error: %s"), detail);
  nav_sctp_fail (a, NAV_SCTP_CLOSE_PROTOCOL_ERROR, text);
  g_free (text);
}

void
nav_sctp_protocol_violation (NavSctpAssociation *a,
                             const gchar        *detail)
{
  nav_sctp_abort_with_cause (a, NAV_SCTP_CAUSE_PROTOCOL_VIOLATION,
                             (const guint8 *) detail, MIN (strlen (detail), 128), detail);
}

/* ---- the public calls that start and end ---- */

/**
 * nav_sctp_association_connect:
 * @assoc: an association in the closed state
 *
 * Sends INIT (RFC 9260 §5.1).  Both ends of a data channel connect at
 * once (RFC 8841); the collision is resolved as §5.2 says.
 * NavSctpCallbacks.connected follows, or closed with
 * %NAV_SCTP_CLOSE_INIT_FAILED.
 *
 * Since: 1.0
 */
void
nav_sctp_association_connect (NavSctpAssociation *assoc)
{
  NavSctpAssociation *a = assoc;

  enter (a);
  if (a->state == NAV_SCTP_STATE_CLOSED && !nav_sctp_teardown_pending (a))
    {
      guint8 b[4];

      a->local_tag = nav_sctp_random_nonzero (a);
      nav_sctp_fill_random (a, b, 4);
      a->local_initial_tsn = nav_sctp_get32 (b);
      a->next_tsn = a->local_initial_tsn;
      a->cum_ack = a->next_tsn - 1;
      a->rto = a->opt.rto_initial_us;
      nav_sctp_build_init (a);
      a->init_retransmits = 0;
      a->stale_cookies = 0;
      a->state = NAV_SCTP_STATE_COOKIE_WAIT;
      nav_sctp_send_init (a);
      nav_sctp_timer_start (a, TIMER_T1_INIT, a->rto);
    }
  leave (a);
}

/**
 * nav_sctp_association_shutdown:
 * @assoc: an association
 *
 * Closes gracefully (RFC 9260 §9.2): what is queued and outstanding is
 * delivered first; NavSctpCallbacks.closed with %NAV_SCTP_CLOSE_SHUTDOWN
 * follows.  New messages are refused from now on.
 *
 * Since: 1.0
 */
void
nav_sctp_association_shutdown (NavSctpAssociation *assoc)
{
  NavSctpAssociation *a = assoc;

  enter (a);
  switch (a->state)
    {
    case NAV_SCTP_STATE_COOKIE_WAIT:
    case NAV_SCTP_STATE_COOKIE_ECHOED:
      nav_sctp_send_abort (a, 0, NULL, 0);
      nav_sctp_close_gracefully (a);
      break;
    case NAV_SCTP_STATE_ESTABLISHED:
      a->state = NAV_SCTP_STATE_SHUTDOWN_PENDING;
      nav_sctp_check_shutdown_progress (a);
      nav_sctp_tx_flush (a);
      break;
    default:
      break;
    }
  leave (a);
}

/**
 * nav_sctp_association_abort:
 * @assoc: an association
 * @reason: (nullable): why, sent to the peer in a User-Initiated Abort cause
 *
 * Sends ABORT and drops everything (RFC 9260 §9.1).  No callback follows.
 *
 * Since: 1.0
 */
void
nav_sctp_association_abort (NavSctpAssociation *assoc,
                            const gchar        *reason)
{
  NavSctpAssociation *a = assoc;

  enter (a);
  if (a->state != NAV_SCTP_STATE_CLOSED)
    {
      gsize len = reason != NULL ? MIN (strlen (reason), 256) : 0;

      nav_sctp_send_abort (a, NAV_SCTP_CAUSE_USER_INITIATED_ABORT, (const guint8 *) reason, len);
      a->state = NAV_SCTP_STATE_CLOSED;
      nav_sctp_teardown (a);
    }
  leave (a);
}

/* ---- input ---- */

/* §8.4: a packet that belongs to no association. */
static void
handle_ootb (NavSctpAssociation        *a,
             const NavSctpCommonHeader *h,
             guint8                     first_type)
{
  switch (first_type)
    {
    case NAV_SCTP_CHUNK_ABORT:
    case NAV_SCTP_CHUNK_SHUTDOWN_COMPLETE:
    case NAV_SCTP_CHUNK_COOKIE_ACK:
    case NAV_SCTP_CHUNK_ERROR:
      break;
    case NAV_SCTP_CHUNK_SHUTDOWN_ACK:
      nav_sctp_send_chunk (a, h->vtag, NAV_SCTP_CHUNK_SHUTDOWN_COMPLETE, NAV_SCTP_FLAG_T, NULL, 0, TRUE);
      break;
    default:
      nav_sctp_send_chunk (a, h->vtag, NAV_SCTP_CHUNK_ABORT, NAV_SCTP_FLAG_T, NULL, 0, TRUE);
      break;
    }
}

static gboolean
data_state (NavSctpAssociation *a)
{
  return a->state == NAV_SCTP_STATE_ESTABLISHED || a->state == NAV_SCTP_STATE_SHUTDOWN_PENDING
      || a->state == NAV_SCTP_STATE_SHUTDOWN_SENT;
}

static gboolean
process_packet (NavSctpAssociation *a,
                const guint8       *packet,
                gsize               len)
{
  NavSctpCommonHeader h;
  NavSctpTlvIter it;
  NavSctpTlv chunk;
  NavSctpTlvResult r;
  guint n_chunks = 0;
  guint8 first_type = 0;
  gboolean lone = FALSE;
  gboolean had_data = FALSE;
  gboolean had_gaps;
  guint8 abort_flags = 0;
  gboolean has_abort = FALSE;

  if (!nav_sctp_common_header_parse (packet, len, &h))
    return FALSE;
  if (h.dst_port != a->opt.local_port || h.src_port != a->opt.remote_port)
    return FALSE;
  if (!nav_sctp_packet_checksum_ok (packet, len, a->opt.zero_checksum))
    return FALSE;

  /* The structure first: every length inside the packet, and INIT, INIT
   * ACK and SHUTDOWN COMPLETE alone in theirs (§6.10). */
  nav_sctp_chunk_iter_init (&it, packet, len);
  while ((r = nav_sctp_tlv_iter_next (&it, &chunk)) == NAV_SCTP_TLV_OK)
    {
      if (n_chunks == 0)
        first_type = chunk.type;
      if (chunk.type == NAV_SCTP_CHUNK_INIT || chunk.type == NAV_SCTP_CHUNK_INIT_ACK
          || chunk.type == NAV_SCTP_CHUNK_SHUTDOWN_COMPLETE)
        lone = TRUE;
      if (chunk.type == NAV_SCTP_CHUNK_ABORT)
        {
          has_abort = TRUE;
          abort_flags = chunk.flags;
        }
      n_chunks++;
    }
  if (r == NAV_SCTP_TLV_MALFORMED || n_chunks == 0 || (lone && n_chunks > 1))
    return FALSE;

  /* Verification tags (§8.5, §8.5.1). */
  if (first_type == NAV_SCTP_CHUNK_INIT)
    {
      if (h.vtag != 0)
        return FALSE;
    }
  else if (first_type == NAV_SCTP_CHUNK_COOKIE_ECHO)
    ;                           /* checked against the cookie */
  else if (has_abort || first_type == NAV_SCTP_CHUNK_SHUTDOWN_COMPLETE)
    {
      guint8 flags = has_abort ? abort_flags : packet[NAV_SCTP_COMMON_HEADER_SIZE + 1];
      gboolean t = (flags & NAV_SCTP_FLAG_T) != 0;

      if (a->local_tag == 0 || (t ? (a->peer_tag == 0 || h.vtag != a->peer_tag) : h.vtag != a->local_tag))
        return FALSE;
    }
  else if (a->state == NAV_SCTP_STATE_CLOSED || a->local_tag == 0)
    {
      handle_ootb (a, &h, first_type);
      return FALSE;
    }
  else if (h.vtag != a->local_tag)
    return FALSE;

  had_gaps = a->state >= NAV_SCTP_STATE_ESTABLISHED && nav_sctp_rx_has_gaps (a);
  nav_sctp_chunk_iter_init (&it, packet, len);
  while (nav_sctp_tlv_iter_next (&it, &chunk) == NAV_SCTP_TLV_OK)
    {
      if (nav_sctp_teardown_pending (a) && chunk.type != NAV_SCTP_CHUNK_COOKIE_ECHO)
        break;
      switch (chunk.type)
        {
        case NAV_SCTP_CHUNK_DATA:
        case NAV_SCTP_CHUNK_I_DATA:
          {
            NavSctpData d;

            if (!data_state (a))
              break;
            if ((chunk.type == NAV_SCTP_CHUNK_I_DATA) != a->peer_idata)
              {
                /* RFC 8260 §2.1: the kind not negotiated. */
                nav_sctp_protocol_violation (a, _("the peer sent the DATA chunk type that was not negotiated"));
                break;
              }
            if (!nav_sctp_data_parse (&chunk, &d))
              {
                a->stats.chunks_dropped++;
                break;
              }
            had_data = TRUE;
            nav_sctp_rx_handle_data (a, &d);
          }
          break;
        case NAV_SCTP_CHUNK_INIT:
          nav_sctp_handle_init (a, &chunk);
          break;
        case NAV_SCTP_CHUNK_INIT_ACK:
          nav_sctp_handle_init_ack (a, &chunk);
          break;
        case NAV_SCTP_CHUNK_SACK:
          if (a->state >= NAV_SCTP_STATE_ESTABLISHED)
            {
              NavSctpSack sack;

              if (nav_sctp_sack_parse (&chunk, &sack))
                nav_sctp_tx_handle_sack (a, &sack);
              else
                a->stats.chunks_dropped++;
            }
          break;
        case NAV_SCTP_CHUNK_HEARTBEAT:
          if (a->state >= NAV_SCTP_STATE_COOKIE_ECHOED)
            nav_sctp_queue_control (a, NAV_SCTP_CHUNK_HEARTBEAT_ACK, 0, chunk.value, chunk.value_len);
          break;
        case NAV_SCTP_CHUNK_HEARTBEAT_ACK:
          nav_sctp_handle_heartbeat_ack (a, &chunk);
          break;
        case NAV_SCTP_CHUNK_ABORT:
          nav_sctp_handle_abort (a, &chunk);
          break;
        case NAV_SCTP_CHUNK_SHUTDOWN:
          nav_sctp_handle_shutdown (a, &chunk);
          break;
        case NAV_SCTP_CHUNK_SHUTDOWN_ACK:
          nav_sctp_handle_shutdown_ack (a, h.vtag);
          break;
        case NAV_SCTP_CHUNK_SHUTDOWN_COMPLETE:
          if (a->state == NAV_SCTP_STATE_SHUTDOWN_ACK_SENT)
            nav_sctp_close_gracefully (a);
          break;
        case NAV_SCTP_CHUNK_ERROR:
          nav_sctp_handle_error (a, &chunk);
          break;
        case NAV_SCTP_CHUNK_COOKIE_ECHO:
          nav_sctp_handle_cookie_echo (a, &chunk, h.vtag);
          break;
        case NAV_SCTP_CHUNK_COOKIE_ACK:
          nav_sctp_handle_cookie_ack (a);
          break;
        case NAV_SCTP_CHUNK_FORWARD_TSN:
        case NAV_SCTP_CHUNK_I_FORWARD_TSN:
          {
            NavSctpForwardTsn fwd;

            if (!data_state (a))
              break;
            if ((chunk.type == NAV_SCTP_CHUNK_I_FORWARD_TSN) != a->peer_idata)
              {
                nav_sctp_protocol_violation (a, _("the peer sent the FORWARD TSN chunk type that was not negotiated"));
                break;
              }
            if (nav_sctp_forward_tsn_parse (&chunk, &fwd))
              {
                had_data = TRUE;
                nav_sctp_rx_handle_forward_tsn (a, &fwd);
              }
            else
              a->stats.chunks_dropped++;
          }
          break;
        case NAV_SCTP_CHUNK_RE_CONFIG:
          if (a->state >= NAV_SCTP_STATE_ESTABLISHED)
            nav_sctp_reconfig_handle (a, &chunk);
          break;
        default:
          /* §3.2: the upper two bits of an unknown chunk type. */
          if (chunk.type & 0x40)
            nav_sctp_queue_error (a, NAV_SCTP_CAUSE_UNRECOGNIZED_CHUNK, chunk.value - 4,
                                  MIN ((gsize) chunk.length, 512));
          if (!(chunk.type & 0x80))
            goto done;
          break;
        }
    }
done:
  if (nav_sctp_teardown_pending (a))
    return TRUE;
  nav_sctp_rx_packet_done (a, had_data, had_gaps);
  if (had_data && a->state == NAV_SCTP_STATE_SHUTDOWN_SENT)
    {
      /* §9.2: every packet with DATA is answered with SACK and SHUTDOWN. */
      guint8 v[4];

      nav_sctp_put32 (v, a->rx_cum);
      nav_sctp_queue_control (a, NAV_SCTP_CHUNK_SHUTDOWN, 0, v, 4);
      nav_sctp_timer_start (a, TIMER_T2_SHUTDOWN, a->rto);
    }
  nav_sctp_check_shutdown_progress (a);
  return TRUE;
}

/**
 * nav_sctp_association_handle_input:
 * @assoc: an association
 * @packet: (array length=len): one SCTP packet, as it came
 * @len: its length
 *
 * Handles a packet from the peer and sends what it calls for.  Bad
 * packets (length, checksum, verification tag) are counted and dropped.
 *
 * Since: 1.0
 */
void
nav_sctp_association_handle_input (NavSctpAssociation *assoc,
                                   const guint8       *packet,
                                   gsize               len)
{
  NavSctpAssociation *a = assoc;
  gboolean stable;

  enter (a);
  stable = a->input_stable;
  /* Messages may point into the packet only if it outlives the events. */
  a->input_stable = a->depth == 1;
  a->stats.packets_received++;
  a->stats.bytes_received += len;
  if (!process_packet (a, packet, len))
    a->stats.packets_dropped++;
  if (!nav_sctp_teardown_pending (a))
    nav_sctp_tx_flush (a);
  /* Before leave(): a callback may free the association there. */
  a->input_stable = stable;
  leave (a);
}

/* ---- timers ---- */

static void
t1_expired (NavSctpAssociation *a,
            NavSctpTimer        t)
{
  if (++a->init_retransmits > a->opt.max_init_retransmissions)
    {
      nav_sctp_fail (a, NAV_SCTP_CLOSE_INIT_FAILED, _("The peer never answered the association setup"));
      return;
    }
  a->rto = MIN (a->rto * 2, a->opt.rto_max_us);
  if (t == TIMER_T1_INIT)
    nav_sctp_send_init (a);
  else
    {
      gsize len;
      const guint8 *cookie = g_bytes_get_data (a->init_chunk, &len);

      nav_sctp_send_chunk (a, a->peer_tag, NAV_SCTP_CHUNK_COOKIE_ECHO, 0, cookie, len, TRUE);
    }
  nav_sctp_timer_start (a, t, a->rto);
}

static void
run_timer (NavSctpAssociation *a,
           NavSctpTimer        t)
{
  guint limit = MIN (a->opt.max_retransmissions, a->opt.path_max_retransmissions);

  switch (t)
    {
    case TIMER_T1_INIT:
    case TIMER_T1_COOKIE:
      t1_expired (a, t);
      break;
    case TIMER_T2_SHUTDOWN:
      if (++a->shutdown_retransmits > a->opt.max_retransmissions)
        {
          nav_sctp_send_abort (a, 0, NULL, 0);
          nav_sctp_fail (a, NAV_SCTP_CLOSE_FAILED, _("The peer never completed the shutdown"));
          return;
        }
      a->rto = MIN (a->rto * 2, a->opt.rto_max_us);
      if (a->state == NAV_SCTP_STATE_SHUTDOWN_SENT)
        nav_sctp_send_shutdown (a);
      else if (a->state == NAV_SCTP_STATE_SHUTDOWN_ACK_SENT)
        nav_sctp_send_chunk (a, a->peer_tag, NAV_SCTP_CHUNK_SHUTDOWN_ACK, 0, NULL, 0, nav_sctp_use_checksum (a));
      nav_sctp_timer_start (a, TIMER_T2_SHUTDOWN, a->rto);
      break;
    case TIMER_T3_RTX:
      nav_sctp_tx_t3_expired (a);
      break;
    case TIMER_T5_GUARD:
      nav_sctp_send_abort (a, 0, NULL, 0);
      nav_sctp_fail (a, NAV_SCTP_CLOSE_FAILED, _("The shutdown took too long"));
      break;
    case TIMER_HEARTBEAT:
      if (a->state == NAV_SCTP_STATE_ESTABLISHED || a->state == NAV_SCTP_STATE_SHUTDOWN_PENDING
          || a->state == NAV_SCTP_STATE_SHUTDOWN_RECEIVED)
        {
          /* Data in flight already probes the path. */
          if (a->flight == 0 && !a->hb_outstanding
              && a->now - a->last_data_sent >= a->opt.heartbeat_interval_us / 2)
            nav_sctp_send_heartbeat (a);
          nav_sctp_heartbeat_schedule (a);
        }
      break;
    case TIMER_HEARTBEAT_ACK:
      a->hb_outstanding = FALSE;
      a->rto = MIN (a->rto * 2, a->opt.rto_max_us);
      if (++a->error_count > limit)
        nav_sctp_fail (a, NAV_SCTP_CLOSE_FAILED, _("The peer stopped answering heartbeats"));
      break;
    case TIMER_DELAYED_ACK:
      a->sack_pending = TRUE;
      break;
    case TIMER_RECONFIG:
      nav_sctp_reconfig_timeout (a);
      break;
    case N_TIMERS:
      break;
    }
}

/**
 * nav_sctp_association_handle_timeout:
 * @assoc: an association
 *
 * Runs the timers that are due and sends what they call for.  Call it at
 * (or after) the time nav_sctp_association_get_timeout() gives; an early
 * call does nothing.
 *
 * Since: 1.0
 */
void
nav_sctp_association_handle_timeout (NavSctpAssociation *assoc)
{
  NavSctpAssociation *a = assoc;

  enter (a);
  for (guint t = 0; t < N_TIMERS && !nav_sctp_teardown_pending (a); t++)
    if (a->timers[t] != TIMER_OFF && a->timers[t] <= a->now)
      {
        a->timers[t] = TIMER_OFF;
        run_timer (a, t);
      }
  if (!nav_sctp_teardown_pending (a))
    nav_sctp_tx_flush (a);
  leave (a);
}

/**
 * nav_sctp_association_get_timeout:
 * @assoc: an association
 *
 * Returns: the time (in the clock of NavSctpCallbacks.now) at which
 *   nav_sctp_association_handle_timeout() is next due, or -1 for none
 *
 * Since: 1.0
 */
gint64
nav_sctp_association_get_timeout (NavSctpAssociation *assoc)
{
  gint64 next = TIMER_OFF;

  for (guint t = 0; t < N_TIMERS; t++)
    next = MIN (next, assoc->timers[t]);
  return next == TIMER_OFF ? -1 : next;
}

/* ---- sending, buffered amounts, state ---- */

static gboolean
send_common (NavSctpAssociation       *a,
             guint16                   stream_id,
             guint32                   ppid,
             GBytes                   *bytes,
             const guint8             *data,
             gsize                     len,
             const NavSctpSendOptions *options,
             GError                  **error)
{
  gboolean ok;

  enter (a);
  ok = nav_sctp_tx_enqueue (a, stream_id, ppid, bytes, data, len, options, error);
  if (ok)
    nav_sctp_tx_flush (a);
  leave (a);
  return ok;
}

/**
 * nav_sctp_association_send:
 * @assoc: an association
 * @stream_id: the stream
 * @ppid: the payload protocol identifier
 * @data: (array length=len): the message
 * @len: its length, at least 1
 * @options: (nullable): how to send it; %NULL: ordered and reliable
 * @error: a #NavSctpError
 *
 * Queues a message, copied, and sends what the windows allow.  Messages
 * may be queued once connect() was called, before the association is up.
 *
 * Returns: %TRUE when queued
 *
 * Since: 1.0
 */
gboolean
nav_sctp_association_send (NavSctpAssociation       *assoc,
                           guint16                   stream_id,
                           guint32                   ppid,
                           const guint8             *data,
                           gsize                     len,
                           const NavSctpSendOptions *options,
                           GError                  **error)
{
  return send_common (assoc, stream_id, ppid, NULL, data, len, options, error);
}

/**
 * nav_sctp_association_send_bytes:
 * @assoc: an association
 * @stream_id: the stream
 * @ppid: the payload protocol identifier
 * @bytes: the message, referenced and not copied
 * @options: (nullable): how to send it
 * @error: a #NavSctpError
 *
 * Like nav_sctp_association_send(), keeping a reference to @bytes instead
 * of a copy: the message's bytes are copied once, into the packets.
 *
 * Returns: %TRUE when queued
 *
 * Since: 1.0
 */
gboolean
nav_sctp_association_send_bytes (NavSctpAssociation       *assoc,
                                 guint16                   stream_id,
                                 guint32                   ppid,
                                 GBytes                   *bytes,
                                 const NavSctpSendOptions *options,
                                 GError                  **error)
{
  return send_common (assoc, stream_id, ppid, bytes, NULL, g_bytes_get_size (bytes), options, error);
}

/**
 * nav_sctp_association_reset_streams:
 * @assoc: an association
 * @streams: (array length=n_streams): outgoing streams to reset
 * @n_streams: how many
 * @error: a #NavSctpError
 *
 * Resets outgoing streams (RFC 6525 §5.1.2), as closing a data channel
 * does (RFC 8831 §6.7): what is queued on them is sent first, new sends on
 * them fail until NavSctpCallbacks.streams_reset (or
 * streams_reset_failed) reports the outcome; then their sequence numbers
 * start again from 0.
 *
 * Returns: %TRUE when the request is on its way
 *
 * Since: 1.0
 */
gboolean
nav_sctp_association_reset_streams (NavSctpAssociation *assoc,
                                    const guint16      *streams,
                                    guint               n_streams,
                                    GError            **error)
{
  gboolean ok;

  enter (assoc);
  ok = nav_sctp_reconfig_request (assoc, streams, n_streams, error);
  if (ok)
    nav_sctp_tx_flush (assoc);
  leave (assoc);
  return ok;
}

/**
 * nav_sctp_association_get_buffered_amount:
 * @assoc: an association
 * @stream_id: a stream
 *
 * Returns: the bytes queued on the stream and not yet sent
 *
 * Since: 1.0
 */
gsize
nav_sctp_association_get_buffered_amount (NavSctpAssociation *assoc,
                                          guint16             stream_id)
{
  NavSctpOutStream *s = nav_sctp_out_stream (assoc, stream_id, FALSE);

  return s != NULL ? s->buffered : 0;
}

/**
 * nav_sctp_association_get_total_buffered_amount:
 * @assoc: an association
 *
 * Returns: the bytes queued on every stream and not yet sent
 *
 * Since: 1.0
 */
gsize
nav_sctp_association_get_total_buffered_amount (NavSctpAssociation *assoc)
{
  return assoc->total_buffered;
}

/**
 * nav_sctp_association_set_buffered_amount_low_threshold:
 * @assoc: an association
 * @stream_id: a stream
 * @threshold: bytes
 *
 * NavSctpCallbacks.buffered_amount_low fires when the stream's buffered
 * amount falls from above @threshold to @threshold or below (0 by default).
 *
 * Since: 1.0
 */
void
nav_sctp_association_set_buffered_amount_low_threshold (NavSctpAssociation *assoc,
                                                        guint16             stream_id,
                                                        gsize               threshold)
{
  nav_sctp_out_stream (assoc, stream_id, TRUE)->low_threshold = threshold;
}

/**
 * nav_sctp_association_set_total_buffered_amount_low_threshold:
 * @assoc: an association
 * @threshold: bytes
 *
 * The same as nav_sctp_association_set_buffered_amount_low_threshold() for
 * the total over every stream.
 *
 * Since: 1.0
 */
void
nav_sctp_association_set_total_buffered_amount_low_threshold (NavSctpAssociation *assoc,
                                                              gsize               threshold)
{
  assoc->total_low_threshold = threshold;
}

/**
 * nav_sctp_association_consume:
 * @assoc: an association made with #NavSctpOptions.manual_receive_window
 * @bytes: bytes of delivered messages the reader is done with
 *
 * Gives bytes back to the receive window; sends a window update when the
 * window reopens.
 *
 * Since: 1.0
 */
void
nav_sctp_association_consume (NavSctpAssociation *assoc,
                              gsize               bytes)
{
  enter (assoc);
  nav_sctp_rx_consume (assoc, bytes);
  if (assoc->sack_pending && assoc->state >= NAV_SCTP_STATE_ESTABLISHED)
    nav_sctp_tx_flush (assoc);
  leave (assoc);
}

/**
 * nav_sctp_association_set_receive_buffer:
 * @assoc: an association
 * @bytes: the receive buffer wanted, in bytes
 *
 * Grows #NavSctpOptions.receive_buffer, the window the association
 * advertises (a_rwnd), at any time.  A smaller value than the current
 * one is ignored: the peer may have sent into the window it was given
 * already (RFC 9260 §6.2 lets a receiver drop what exceeds its window,
 * but shrinking it on purpose only costs retransmissions).  When the
 * window opens by enough, a window update (a SACK) goes at once.
 *
 * A long path needs a window of its bandwidth-delay product: with
 * 4 MiB, a transfer cannot exceed 40 MB/s over a 100 ms round trip,
 * whatever the link.
 *
 * Since: 1.0
 */
void
nav_sctp_association_set_receive_buffer (NavSctpAssociation *assoc,
                                         gsize               bytes)
{
  enter (assoc);
  if (bytes > assoc->opt.receive_buffer)
    {
      assoc->opt.receive_buffer = bytes;
      /* The same rule as when the application consumes: an update when
       * the window reopens from nearly closed, or by a quarter. */
      nav_sctp_rx_consume (assoc, 0);
      if (assoc->sack_pending && assoc->state >= NAV_SCTP_STATE_ESTABLISHED)
        nav_sctp_tx_flush (assoc);
    }
  leave (assoc);
}

/**
 * nav_sctp_association_set_congestion_control:
 * @assoc: an association
 * @cc: how the congestion window is sized from now on
 *
 * Changes #NavSctpOptions.congestion_control, at any time: the model's
 * window starts from the current one and is the model's from the next
 * acknowledgement that measures the path.
 *
 * Since: 1.0
 */
void
nav_sctp_association_set_congestion_control (NavSctpAssociation       *assoc,
                                             NavSctpCongestionControl  cc)
{
  assoc->opt.congestion_control = cc;
}

/**
 * nav_sctp_association_get_state:
 * @assoc: an association
 *
 * Returns: its state
 *
 * Since: 1.0
 */
NavSctpState
nav_sctp_association_get_state (NavSctpAssociation *assoc)
{
  return assoc->state;
}

/**
 * nav_sctp_association_get_stats:
 * @assoc: an association
 * @stats: (out caller-allocates): its counters and windows
 *
 * Since: 1.0
 */
void
nav_sctp_association_get_stats (NavSctpAssociation *assoc,
                                NavSctpStats       *stats)
{
  NavSctpAssociation *a = assoc;

  *stats = a->stats;
  stats->cwnd = a->cwnd;
  stats->ssthresh = a->ssthresh;
  stats->flight_size = a->flight;
  stats->peer_rwnd = a->peer_rwnd;
  stats->receive_window = nav_sctp_rx_window (a);
  stats->receive_held = a->rx_held;
  stats->srtt_us = a->have_rtt ? a->srtt : 0;
  stats->delivery_rate = a->bw;
  stats->min_rtt_us = a->min_rtt > 0 ? a->min_rtt : 0;
  stats->rto_us = a->rto;
  stats->error_count = a->error_count;
  stats->outbound_streams = a->out_streams;
  stats->inbound_streams = a->in_streams;
  stats->interleaving = a->peer_idata;
  stats->partial_reliability = a->peer_prsctp;
  stats->reconfig = a->peer_reconfig;
  stats->zero_checksum_sending = a->state >= NAV_SCTP_STATE_ESTABLISHED && !nav_sctp_use_checksum (a);
}

/* ---- life ---- */

/**
 * nav_sctp_association_new:
 * @options: (nullable): the options; %NULL: nav_sctp_options_init()'s
 * @callbacks: the callbacks; send_packet and now are required
 * @user_data: given to every callback
 *
 * Makes an association in the closed state: it answers an INIT from the
 * peer, or starts one with nav_sctp_association_connect().
 *
 * Returns: (transfer full): the association
 *
 * Since: 1.0
 */
NavSctpAssociation *
nav_sctp_association_new (const NavSctpOptions   *options,
                          const NavSctpCallbacks *callbacks,
                          gpointer                user_data)
{
  NavSctpAssociation *a = g_new0 (NavSctpAssociation, 1);
  guint8 seed[16];

  g_return_val_if_fail (callbacks != NULL && callbacks->send_packet != NULL && callbacks->now != NULL, NULL);
  if (options != NULL)
    a->opt = *options;
  else
    nav_sctp_options_init (&a->opt);
  /* The smallest MTU that still holds a DATA chunk worth sending, and a
   * window a fragment fits in. */
  a->opt.mtu = CLAMP (a->opt.mtu, 256, 65535) & ~3u;
  a->opt.max_message_size = MAX (a->opt.max_message_size, 1);
  /* A whole message must fit the window, with room to spare. */
  a->opt.receive_buffer = MAX (a->opt.receive_buffer, a->opt.max_message_size + 4 * (gsize) a->opt.mtu);
  a->opt.rto_min_us = MAX (a->opt.rto_min_us, CLOCK_GRANULARITY_US);
  a->opt.rto_max_us = MAX (a->opt.rto_max_us, a->opt.rto_min_us);
  a->opt.rto_initial_us = CLAMP (a->opt.rto_initial_us, a->opt.rto_min_us, a->opt.rto_max_us);
  a->opt.num_outbound_streams = MAX (a->opt.num_outbound_streams, 1);
  a->opt.max_inbound_streams = MAX (a->opt.max_inbound_streams, 1);
  a->cb = *callbacks;
  a->user_data = user_data;
  a->state = NAV_SCTP_STATE_CLOSED;
  a->events = g_array_new (FALSE, FALSE, sizeof (NavSctpEvent));
  a->control = g_byte_array_new ();
  timers_stop_all (a);
  nav_sctp_fill_random (a, a->secret, sizeof a->secret);
  nav_sctp_fill_random (a, seed, sizeof seed);
  for (guint i = 0; i < 4; i++)
    a->rng[i] = nav_sctp_get32 (seed + 4 * i) | (i == 0 ? 1 : 0);
  a->rto = a->opt.rto_initial_us;
  nav_sctp_tx_init (a);
  nav_sctp_rx_init (a);
  nav_sctp_reconfig_reset (a);
  return a;
}

static void
really_free (NavSctpAssociation *a)
{
  nav_sctp_teardown (a);
  for (guint i = a->events_head; i < a->events->len; i++)
    event_clear (&g_array_index (a->events, NavSctpEvent, i));
  g_array_unref (a->events);
  g_byte_array_unref (a->control);
  g_array_unref (a->prev_gaps);
  g_array_unref (a->rx_ranges);
  g_clear_pointer (&a->reset_pending, g_array_unref);
  g_clear_pointer (&a->reconf_streams, g_array_unref);
  g_clear_pointer (&a->reconf_deferred_streams, g_array_unref);
  g_free (a->ring);
  g_free (a->packet);
  g_free (a);
}

/**
 * nav_sctp_association_free:
 * @assoc: (transfer full): an association
 *
 * Frees it without a word to the peer (abort first to tell it).  Safe from
 * a callback: the association goes when the call that runs the callback
 * returns, and no further callback comes.
 *
 * Since: 1.0
 */
void
nav_sctp_association_free (NavSctpAssociation *assoc)
{
  if (assoc == NULL)
    return;
  if (assoc->depth > 0)
    {
      assoc->free_pending = TRUE;
      return;
    }
  really_free (assoc);
}
