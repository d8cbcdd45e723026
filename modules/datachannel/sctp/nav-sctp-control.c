/* nav-sctp-control.c: the control chunks outside the handshake: the
 * SHUTDOWN sequence (RFC 9260 §9.2), ABORT and ERROR (§3.3.7, §3.3.10),
 * HEARTBEAT (§8.3)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-sctp-private.h"

#include <glib/gi18n-lib.h>

/* ---- heartbeat (§8.3) ---- */

void
nav_sctp_heartbeat_schedule (NavSctpAssociation *a)
{
  gint64 jitter;

  if (a->opt.heartbeat_interval_us <= 0)
    return;
  /* §8.3: HB.interval plus RTO, jittered by ±50 % of RTO. */
  jitter = (gint64) (nav_sctp_random32 (a) % (guint32) MAX (a->rto, 1)) - a->rto / 2;
  nav_sctp_timer_start (a, TIMER_HEARTBEAT, a->opt.heartbeat_interval_us + a->rto + jitter);
}

/* ---- shutdown (§9.2) ---- */

void
nav_sctp_send_shutdown (NavSctpAssociation *a)
{
  guint8 v[4];

  nav_sctp_put32 (v, a->rx_cum);
  nav_sctp_send_chunk (a, a->peer_tag, NAV_SCTP_CHUNK_SHUTDOWN, 0, v, 4, nav_sctp_use_checksum (a));
}

void
nav_sctp_check_shutdown_progress (NavSctpAssociation *a)
{
  if (a->state != NAV_SCTP_STATE_SHUTDOWN_PENDING && a->state != NAV_SCTP_STATE_SHUTDOWN_RECEIVED)
    return;
  if (!nav_sctp_tx_queues_empty (a) || !nav_sctp_tx_all_acked (a))
    return;
  nav_sctp_timer_stop (a, TIMER_T3_RTX);
  nav_sctp_timer_stop (a, TIMER_HEARTBEAT);
  nav_sctp_timer_stop (a, TIMER_HEARTBEAT_ACK);
  a->shutdown_retransmits = 0;
  if (a->state == NAV_SCTP_STATE_SHUTDOWN_PENDING)
    {
      /* A SACK owed goes first. */
      nav_sctp_tx_flush (a);
      a->state = NAV_SCTP_STATE_SHUTDOWN_SENT;
      nav_sctp_send_shutdown (a);
      nav_sctp_timer_start (a, TIMER_T5_GUARD, 5 * a->opt.rto_max_us);
    }
  else
    {
      nav_sctp_tx_flush (a);
      a->state = NAV_SCTP_STATE_SHUTDOWN_ACK_SENT;
      nav_sctp_send_chunk (a, a->peer_tag, NAV_SCTP_CHUNK_SHUTDOWN_ACK, 0, NULL, 0, nav_sctp_use_checksum (a));
    }
  nav_sctp_timer_start (a, TIMER_T2_SHUTDOWN, a->rto);
}

void
nav_sctp_handle_shutdown (NavSctpAssociation *a,
                 const NavSctpTlv   *chunk)
{
  if (chunk->value_len < 4)
    {
      a->stats.chunks_dropped++;
      return;
    }
  switch (a->state)
    {
    case NAV_SCTP_STATE_ESTABLISHED:
    case NAV_SCTP_STATE_SHUTDOWN_PENDING:
    case NAV_SCTP_STATE_SHUTDOWN_RECEIVED:
      nav_sctp_tx_handle_cum_ack (a, nav_sctp_get32 (chunk->value));
      if (a->state == NAV_SCTP_STATE_CLOSED)
        return;
      a->state = NAV_SCTP_STATE_SHUTDOWN_RECEIVED;
      nav_sctp_check_shutdown_progress (a);
      break;
    case NAV_SCTP_STATE_SHUTDOWN_SENT:
      /* Both ends shut down at once. */
      a->state = NAV_SCTP_STATE_SHUTDOWN_ACK_SENT;
      nav_sctp_send_chunk (a, a->peer_tag, NAV_SCTP_CHUNK_SHUTDOWN_ACK, 0, NULL, 0, nav_sctp_use_checksum (a));
      nav_sctp_timer_start (a, TIMER_T2_SHUTDOWN, a->rto);
      break;
    default:
      break;
    }
}

void
nav_sctp_close_gracefully (NavSctpAssociation *a)
{
  nav_sctp_fail (a, NAV_SCTP_CLOSE_SHUTDOWN, _("The association was shut down"));
}

void
nav_sctp_handle_shutdown_ack (NavSctpAssociation *a,
                     guint32             vtag)
{
  switch (a->state)
    {
    case NAV_SCTP_STATE_SHUTDOWN_SENT:
    case NAV_SCTP_STATE_SHUTDOWN_ACK_SENT:
      nav_sctp_send_chunk (a, a->peer_tag, NAV_SCTP_CHUNK_SHUTDOWN_COMPLETE, 0, NULL, 0, nav_sctp_use_checksum (a));
      nav_sctp_close_gracefully (a);
      break;
    case NAV_SCTP_STATE_COOKIE_WAIT:
    case NAV_SCTP_STATE_COOKIE_ECHOED:
      /* §8.4 5: out of the blue. */
      nav_sctp_send_chunk (a, vtag, NAV_SCTP_CHUNK_SHUTDOWN_COMPLETE, NAV_SCTP_FLAG_T, NULL, 0, TRUE);
      break;
    default:
      break;
    }
}

/* ---- ABORT and ERROR ---- */

static gchar *
describe_causes (const guint8 *data,
                 gsize         len)
{
  GString *s = g_string_new (NULL);
  NavSctpTlvIter it;
  NavSctpTlv c;

  nav_sctp_param_iter_init (&it, data, len);
  while (nav_sctp_tlv_iter_next (&it, &c) == NAV_SCTP_TLV_OK)
    {
      if (s->len > 0)
        g_string_append (s, "; ");
      switch (c.type)
        {
        case NAV_SCTP_CAUSE_USER_INITIATED_ABORT:
        case NAV_SCTP_CAUSE_PROTOCOL_VIOLATION:
          {
            /* The peer's words, made safe to print. */
            gchar *text = g_utf8_make_valid ((const gchar *) c.value, MIN (c.value_len, 256));

            for (gchar *p = text; *p != '\0'; p++)
              if ((guchar) *p < 0x20)
                *p = ' ';
            g_string_append_printf (s, c.type == NAV_SCTP_CAUSE_USER_INITIATED_ABORT
                                    ? _("user abort: %s") : _("protocol violation: %s"), text);
            g_free (text);
          }
          break;
        default:
          g_string_append_printf (s, _("error cause %u"), c.type);
          break;
        }
    }
  return g_string_free (s, FALSE);
}

void
nav_sctp_handle_abort (NavSctpAssociation *a,
              const NavSctpTlv   *chunk)
{
  gchar *causes, *text;

  if (a->state == NAV_SCTP_STATE_CLOSED)
    return;
  causes = describe_causes (chunk->value, chunk->value_len);
  text = causes[0] != '\0' ? g_strdup_printf (_("The peer aborted the association (%s)"), causes)
                           : g_strdup (_("The peer aborted the association"));
  nav_sctp_fail (a, NAV_SCTP_CLOSE_ABORTED, text);
  g_free (text);
  g_free (causes);
}

void
nav_sctp_handle_error (NavSctpAssociation *a,
              const NavSctpTlv   *chunk)
{
  NavSctpTlvIter it;
  NavSctpTlv c;

  nav_sctp_param_iter_init (&it, chunk->value, chunk->value_len);
  while (nav_sctp_tlv_iter_next (&it, &c) == NAV_SCTP_TLV_OK)
    {
      NavSctpEvent *ev;

      if (c.type == NAV_SCTP_CAUSE_STALE_COOKIE && a->state == NAV_SCTP_STATE_COOKIE_ECHOED)
        {
          /* §5.2.6: start again with a fresh INIT, as many times as INIT
           * itself would be sent. */
          if (++a->stale_cookies > a->opt.max_init_retransmissions)
            {
              nav_sctp_fail (a, NAV_SCTP_CLOSE_INIT_FAILED, _("The peer kept refusing our state cookie"));
              return;
            }
          nav_sctp_timer_stop (a, TIMER_T1_COOKIE);
          a->state = NAV_SCTP_STATE_COOKIE_WAIT;
          a->peer_tag = 0;
          nav_sctp_build_init (a);
          nav_sctp_send_init (a);
          nav_sctp_timer_start (a, TIMER_T1_INIT, a->rto);
          return;
        }
      if (c.type == NAV_SCTP_CAUSE_UNRECOGNIZED_CHUNK && c.value_len >= 1
          && c.value[0] == NAV_SCTP_CHUNK_RE_CONFIG)
        a->peer_reconfig = FALSE;
      ev = nav_sctp_event_push (a, EV_ERROR);
      ev->code = NAV_SCTP_ERROR_PEER;
      {
        gchar *causes = describe_causes (c.value - 4, c.length);

        ev->text = g_strdup_printf (_("The peer reported an error (%s)"), causes);
        g_free (causes);
      }
    }
}

/* ---- heartbeat, continued ---- */

void
nav_sctp_send_heartbeat (NavSctpAssociation *a)
{
  guint8 v[16];

  a->hb_nonce = nav_sctp_random32 (a);
  a->hb_sent_at = a->now;
  nav_sctp_put16 (v, NAV_SCTP_PARAM_HEARTBEAT_INFO);
  nav_sctp_put16 (v + 2, 16);
  nav_sctp_put32 (v + 4, a->hb_nonce);
  nav_sctp_put32 (v + 8, (guint32) ((guint64) a->now >> 32));
  nav_sctp_put32 (v + 12, (guint32) a->now);
  nav_sctp_queue_control (a, NAV_SCTP_CHUNK_HEARTBEAT, 0, v, sizeof v);
  a->hb_outstanding = TRUE;
  a->stats.heartbeats_sent++;
  nav_sctp_timer_start (a, TIMER_HEARTBEAT_ACK, a->rto);
}

void
nav_sctp_handle_heartbeat_ack (NavSctpAssociation *a,
                      const NavSctpTlv   *chunk)
{
  gint64 sent_at;

  if (nav_sctp_probe_handle_ack (a, chunk))
    return;
  if (chunk->value_len != 16 || nav_sctp_get16 (chunk->value) != NAV_SCTP_PARAM_HEARTBEAT_INFO
      || !a->hb_outstanding || nav_sctp_get32 (chunk->value + 4) != a->hb_nonce)
    {
      a->stats.chunks_dropped++;
      return;
    }
  sent_at = (gint64) (((guint64) nav_sctp_get32 (chunk->value + 8) << 32) | nav_sctp_get32 (chunk->value + 12));
  if (sent_at != a->hb_sent_at)
    return;
  a->hb_outstanding = FALSE;
  nav_sctp_timer_stop (a, TIMER_HEARTBEAT_ACK);
  a->error_count = 0;
  nav_sctp_update_rto (a, a->now - sent_at);
}
