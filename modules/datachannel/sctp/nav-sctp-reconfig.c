/* nav-sctp-reconfig.c: stream reset (RFC 6525)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Closing a data channel resets its stream (RFC 8831 §6.7): each end
 * sends an Outgoing SSN Reset Request for its outgoing side once what it
 * queued there has been sent, and the other end performs it once it has
 * received everything up to the sender's last assigned TSN: before that it
 * answers "in progress" (and performs it as soon as it can, holding data
 * that comes after the reset until then), and the sender asks again.
 *
 * One request of ours is outstanding at a time; the streams asked for
 * meanwhile wait for the next.  The peer's requests are taken strictly in
 * sequence, one deferred at most, so a flood of them costs a response each
 * and no memory.
 */
#include "config.h"

#include "nav-sctp-private.h"

#include <glib/gi18n-lib.h>

/* Streams per request: a request fits any MTU. */
#define MAX_STREAMS_PER_REQUEST 64

static GArray *
u16_array (void)
{
  return g_array_new (FALSE, FALSE, sizeof (guint16));
}

void
nav_sctp_reconfig_reset (NavSctpAssociation *a)
{
  if (a->reset_pending == NULL)
    a->reset_pending = u16_array ();
  if (a->reconf_streams == NULL)
    a->reconf_streams = u16_array ();
  if (a->reconf_deferred_streams == NULL)
    a->reconf_deferred_streams = u16_array ();
  g_array_set_size (a->reset_pending, 0);
  g_array_set_size (a->reconf_streams, 0);
  g_array_set_size (a->reconf_deferred_streams, 0);
  a->reconf_outstanding = FALSE;
  a->reconf_send_now = FALSE;
  a->reconf_performed = FALSE;
  a->reconf_deferred = FALSE;
  a->reconf_response_pending = FALSE;
  a->reconf_retransmits = 0;
  a->reconf_retry_at = 0;
}

static void
push_reset_event (NavSctpAssociation *a,
                  EventType           type,
                  gboolean            incoming,
                  const guint16      *streams,
                  guint               n,
                  const gchar        *text)
{
  NavSctpEvent *ev = nav_sctp_event_push (a, type);

  ev->code = incoming;
  ev->streams = g_memdup2 (streams, n * sizeof (guint16));
  ev->n_streams = n;
  ev->text = g_strdup (text);
}

gboolean
nav_sctp_reconfig_request (NavSctpAssociation *a,
                           const guint16      *streams,
                           guint               n_streams,
                           GError            **error)
{
  if (a->state != NAV_SCTP_STATE_ESTABLISHED)
    {
      g_set_error (error, NAV_SCTP_ERROR, NAV_SCTP_ERROR_NOT_CONNECTED,
                   _("The SCTP association is not open"));
      return FALSE;
    }
  if (!a->peer_reconfig)
    {
      g_set_error (error, NAV_SCTP_ERROR, NAV_SCTP_ERROR_UNSUPPORTED,
                   _("The peer does not support stream reconfiguration"));
      return FALSE;
    }
  for (guint i = 0; i < n_streams; i++)
    if (streams[i] >= a->out_streams)
      {
        g_set_error (error, NAV_SCTP_ERROR, NAV_SCTP_ERROR_INVALID_STREAM,
                     _("Stream %u is beyond the %u outbound streams of the association"),
                     streams[i], a->out_streams);
        return FALSE;
      }
  for (guint i = 0; i < n_streams; i++)
    {
      NavSctpOutStream *s = nav_sctp_out_stream (a, streams[i], TRUE);

      if (s->reset_requested)
        continue;
      s->reset_requested = TRUE;
      g_array_append_val (a->reset_pending, streams[i]);
    }
  nav_sctp_reconfig_poll (a);
  return TRUE;
}

/* Makes a request of the streams whose queues have drained, if none is
 * outstanding. */
void
nav_sctp_reconfig_poll (NavSctpAssociation *a)
{
  if (a->reconf_outstanding || a->reset_pending == NULL || a->reset_pending->len == 0
      || a->state != NAV_SCTP_STATE_ESTABLISHED || a->reconf_retry_at > a->now)
    return;
  g_array_set_size (a->reconf_streams, 0);
  for (guint i = 0; i < a->reset_pending->len && a->reconf_streams->len < MAX_STREAMS_PER_REQUEST;)
    {
      guint16 id = g_array_index (a->reset_pending, guint16, i);
      NavSctpOutStream *s = nav_sctp_out_stream (a, id, TRUE);

      if (s->head != NULL)
        {
          i++;
          continue;
        }
      s->reset_in_flight = TRUE;
      g_array_append_val (a->reconf_streams, id);
      g_array_remove_index (a->reset_pending, i);
    }
  if (a->reconf_streams->len == 0)
    return;
  a->reconf_outstanding = TRUE;
  a->reconf_seq = a->reconf_next_seq++;
  a->reconf_retransmits = 0;
  a->reconf_retry_at = 0;
  /* Everything queued on the streams has a TSN by now. */
  a->reconf_last_tsn = a->next_tsn - 1;
  a->reconf_send_now = TRUE;
}

gboolean
nav_sctp_reconfig_write (NavSctpAssociation *a,
                         NavSctpWriter      *w)
{
  gboolean wrote = FALSE;

  if (a->reconf_response_pending && nav_sctp_writer_room (w) >= 12)
    {
      guint8 *v = nav_sctp_writer_add_chunk (w, NAV_SCTP_CHUNK_RE_CONFIG, 0, 12);

      nav_sctp_put16 (v, NAV_SCTP_PARAM_RECONFIG_RESPONSE);
      nav_sctp_put16 (v + 2, 12);
      nav_sctp_put32 (v + 4, a->reconf_response_seq);
      nav_sctp_put32 (v + 8, a->reconf_response_result);
      a->reconf_response_pending = FALSE;
      wrote = TRUE;
    }
  /* The request goes when new, or again when its timer expired. */
  if (a->reconf_outstanding && a->reconf_send_now)
    {
      gsize n = a->reconf_streams->len;
      gsize plen = 16 + 2 * n;
      guint8 *v;

      if (nav_sctp_writer_room (w) < nav_sctp_pad4 (plen))
        return wrote;
      v = nav_sctp_writer_add_chunk (w, NAV_SCTP_CHUNK_RE_CONFIG, 0, nav_sctp_pad4 (plen));
      memset (v, 0, nav_sctp_pad4 (plen));
      nav_sctp_put16 (v, NAV_SCTP_PARAM_OUTGOING_RESET);
      nav_sctp_put16 (v + 2, (guint16) plen);
      nav_sctp_put32 (v + 4, a->reconf_seq);
      nav_sctp_put32 (v + 8, a->reconf_peer_seq - 1);
      nav_sctp_put32 (v + 12, a->reconf_last_tsn);
      for (guint i = 0; i < n; i++)
        nav_sctp_put16 (v + 16 + 2 * i, g_array_index (a->reconf_streams, guint16, i));
      a->reconf_send_now = FALSE;
      nav_sctp_timer_start (a, TIMER_RECONFIG, a->rto);
      wrote = TRUE;
    }
  return wrote;
}

void
nav_sctp_reconfig_timeout (NavSctpAssociation *a)
{
  guint limit = MIN (a->opt.max_retransmissions, a->opt.path_max_retransmissions);

  if (!a->reconf_outstanding)
    {
      /* The wait after "in progress" is over: ask again. */
      a->reconf_retry_at = 0;
      nav_sctp_reconfig_poll (a);
      return;
    }
  /* RFC 6525 §5.1.1: no response: the same request again, counted. */
  if (++a->error_count > limit)
    {
      nav_sctp_fail (a, NAV_SCTP_CLOSE_FAILED, _("The peer stopped answering stream reset requests"));
      return;
    }
  a->rto = MIN (a->rto * 2, a->opt.rto_max_us);
  a->reconf_send_now = TRUE;
}

static void
handle_response (NavSctpAssociation            *a,
                 const NavSctpReconfigResponse *r)
{
  const guint16 *streams = (const guint16 *) a->reconf_streams->data;
  guint n = a->reconf_streams->len;

  if (!a->reconf_outstanding || r->response_seq != a->reconf_seq)
    return;
  a->reconf_outstanding = FALSE;
  a->error_count = 0;
  nav_sctp_timer_stop (a, TIMER_RECONFIG);
  switch (r->result)
    {
    case NAV_SCTP_RECONFIG_SUCCESS_PERFORMED:
    case NAV_SCTP_RECONFIG_SUCCESS_NOTHING:
      for (guint i = 0; i < n; i++)
        {
          NavSctpOutStream *s = nav_sctp_out_stream (a, streams[i], TRUE);

          s->next_ssn = 0;
          s->next_mid[0] = s->next_mid[1] = 0;
          s->reset_requested = FALSE;
          s->reset_in_flight = FALSE;
        }
      push_reset_event (a, EV_STREAMS_RESET, FALSE, streams, n, NULL);
      g_array_set_size (a->reconf_streams, 0);
      break;
    case NAV_SCTP_RECONFIG_IN_PROGRESS:
    case NAV_SCTP_RECONFIG_ERROR_IN_PROGRESS:
      /* Ask again a round trip later, with a new sequence number. */
      for (guint i = 0; i < n; i++)
        g_array_prepend_val (a->reset_pending, streams[i]);
      g_array_set_size (a->reconf_streams, 0);
      a->reconf_retry_at = a->now + a->rto;
      nav_sctp_timer_start (a, TIMER_RECONFIG, a->rto);
      break;
    default:
      for (guint i = 0; i < n; i++)
        {
          NavSctpOutStream *s = nav_sctp_out_stream (a, streams[i], TRUE);

          s->reset_requested = FALSE;
          s->reset_in_flight = FALSE;
        }
      {
        gchar *text = g_strdup_printf (_("The peer refused to reset the streams (result %u)"), r->result);

        push_reset_event (a, EV_STREAMS_RESET_FAILED, FALSE, streams, n, text);
        g_free (text);
      }
      g_array_set_size (a->reconf_streams, 0);
      break;
    }
  nav_sctp_reconfig_poll (a);
}

static gboolean
same_streams (GArray                     *have,
              const NavSctpOutgoingReset *req)
{
  if (have->len != req->n_streams)
    return FALSE;
  for (guint i = 0; i < req->n_streams; i++)
    if (g_array_index (have, guint16, i) != nav_sctp_get16 (req->streams + 2 * i))
      return FALSE;
  return TRUE;
}

static void
perform (NavSctpAssociation *a,
         GArray             *streams,
         guint32             last_tsn)
{
  a->reconf_performed = TRUE;
  a->reconf_performed_tsn = last_tsn;
  nav_sctp_rx_reset_streams (a, (const guint16 *) streams->data, streams->len);
  push_reset_event (a, EV_STREAMS_RESET, TRUE, (const guint16 *) streams->data, streams->len, NULL);
}

static void
respond (NavSctpAssociation *a,
         guint32             seq,
         guint32             result)
{
  a->reconf_response_pending = TRUE;
  a->reconf_response_seq = seq;
  a->reconf_response_result = result;
}

static void
handle_outgoing_request (NavSctpAssociation         *a,
                         const NavSctpOutgoingReset *req)
{
  guint32 result;

  if (req->request_seq == a->reconf_peer_seq - 1)
    {
      /* A retransmission: the same answer (updated if performed since). */
      respond (a, req->request_seq, a->reconf_peer_last_result);
      return;
    }
  if (req->request_seq != a->reconf_peer_seq)
    {
      respond (a, req->request_seq, NAV_SCTP_RECONFIG_ERROR_BAD_SEQUENCE);
      return;
    }
  a->reconf_peer_seq++;
  for (guint i = 0; i < req->n_streams; i++)
    if (nav_sctp_get16 (req->streams + 2 * i) >= a->in_streams)
      {
        a->reconf_peer_last_result = NAV_SCTP_RECONFIG_DENIED;
        respond (a, req->request_seq, NAV_SCTP_RECONFIG_DENIED);
        return;
      }
  if (a->reconf_deferred)
    {
      /* One deferred at a time: the same one asked again is still in
       * progress, another waits its turn. */
      result = same_streams (a->reconf_deferred_streams, req) && req->last_tsn == a->reconf_deferred_tsn
               ? NAV_SCTP_RECONFIG_IN_PROGRESS : NAV_SCTP_RECONFIG_ERROR_IN_PROGRESS;
      if (result == NAV_SCTP_RECONFIG_IN_PROGRESS)
        a->reconf_deferred_seq = req->request_seq;
    }
  else
    {
      if (a->reconf_performed && req->last_tsn == a->reconf_performed_tsn
          && same_streams (a->reconf_deferred_streams, req))
        {
          /* Asked again after "in progress": performed meanwhile. */
          result = NAV_SCTP_RECONFIG_SUCCESS_PERFORMED;
        }
      else if (TSN_LE (req->last_tsn, a->rx_cum))
        {
          g_array_set_size (a->reconf_deferred_streams, req->n_streams);
          for (guint i = 0; i < req->n_streams; i++)
            g_array_index (a->reconf_deferred_streams, guint16, i) = nav_sctp_get16 (req->streams + 2 * i);
          perform (a, a->reconf_deferred_streams, req->last_tsn);
          result = NAV_SCTP_RECONFIG_SUCCESS_PERFORMED;
        }
      else
        {
          /* §5.2.2: deferred until everything before the reset arrived. */
          g_array_set_size (a->reconf_deferred_streams, req->n_streams);
          for (guint i = 0; i < req->n_streams; i++)
            g_array_index (a->reconf_deferred_streams, guint16, i) = nav_sctp_get16 (req->streams + 2 * i);
          a->reconf_deferred = TRUE;
          a->reconf_deferred_seq = req->request_seq;
          a->reconf_deferred_tsn = req->last_tsn;
          result = NAV_SCTP_RECONFIG_IN_PROGRESS;
        }
    }
  a->reconf_peer_last_result = result;
  respond (a, req->request_seq, result);
}

void
nav_sctp_reconfig_handle (NavSctpAssociation *a,
                          const NavSctpTlv   *chunk)
{
  NavSctpTlvIter it;
  NavSctpTlv p;
  guint n = 0;

  nav_sctp_param_iter_init (&it, chunk->value, chunk->value_len);
  /* RFC 6525 §3.1: one or two parameters. */
  while (n < 2 && nav_sctp_tlv_iter_next (&it, &p) == NAV_SCTP_TLV_OK)
    {
      n++;
      switch (p.type)
        {
        case NAV_SCTP_PARAM_OUTGOING_RESET:
          {
            NavSctpOutgoingReset req;

            if (nav_sctp_outgoing_reset_parse (&p, &req))
              handle_outgoing_request (a, &req);
            else
              a->stats.chunks_dropped++;
          }
          break;
        case NAV_SCTP_PARAM_RECONFIG_RESPONSE:
          {
            NavSctpReconfigResponse r;

            if (nav_sctp_reconfig_response_parse (&p, &r))
              handle_response (a, &r);
            else
              a->stats.chunks_dropped++;
          }
          break;
        case NAV_SCTP_PARAM_INCOMING_RESET:
        case NAV_SCTP_PARAM_SSN_TSN_RESET:
        case NAV_SCTP_PARAM_ADD_OUTGOING_STREAMS:
        case NAV_SCTP_PARAM_ADD_INCOMING_STREAMS:
          /* Not what data channels use: refused. */
          if (p.value_len >= 4)
            respond (a, nav_sctp_get32 (p.value), NAV_SCTP_RECONFIG_DENIED);
          break;
        default:
          a->stats.chunks_dropped++;
          break;
        }
    }
}

/* Data on a stream whose reset is deferred, after the reset point, waits. */
gboolean
nav_sctp_reconfig_stream_deferred (NavSctpAssociation *a,
                                   guint16             stream_id,
                                   guint32             tsn)
{
  if (!a->reconf_deferred || TSN_LE (tsn, a->reconf_deferred_tsn))
    return FALSE;
  if (a->reconf_deferred_streams->len == 0)
    return TRUE;
  for (guint i = 0; i < a->reconf_deferred_streams->len; i++)
    if (g_array_index (a->reconf_deferred_streams, guint16, i) == stream_id)
      return TRUE;
  return FALSE;
}

void
nav_sctp_reconfig_cum_advanced (NavSctpAssociation *a)
{
  if (!a->reconf_deferred || TSN_GT (a->reconf_deferred_tsn, a->rx_cum))
    return;
  a->reconf_deferred = FALSE;
  perform (a, a->reconf_deferred_streams, a->reconf_deferred_tsn);
  if (a->reconf_deferred_seq == a->reconf_peer_seq - 1)
    a->reconf_peer_last_result = NAV_SCTP_RECONFIG_SUCCESS_PERFORMED;
}
