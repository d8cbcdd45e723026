/* nav-sctp-handshake.c: association setup (RFC 9260 §5): INIT, INIT ACK,
 * COOKIE ECHO, COOKIE ACK; INIT collision and restart (§5.2)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The side that is asked keeps no state until the cookie comes back
 * (nav-sctp-cookie.c).  The extensions both ends announce decide what the
 * association uses: partial reliability (RFC 3758), stream reconfiguration
 * (RFC 6525), I-DATA (RFC 8260, both chunks by both ends) and zero
 * checksums (RFC 9653, only where the options allow them).
 */
#include "config.h"

#include "nav-sctp-private.h"

#include <glib/gi18n-lib.h>

typedef struct {
  gboolean reconfig;
  gboolean prsctp;
  gboolean idata_chunk;
  gboolean ifwd_chunk;
  gboolean zero_checksum;
  const guint8 *cookie;
  gsize cookie_len;
  GByteArray *unrecognized;     /* parameters to report, whole */
} InitParams;

static void
parse_init_params (NavSctpAssociation *a,
                   const guint8       *params,
                   gsize               len,
                   InitParams         *ip)
{
  NavSctpTlvIter it;
  NavSctpTlv p;

  memset (ip, 0, sizeof *ip);
  ip->unrecognized = g_byte_array_new ();
  nav_sctp_param_iter_init (&it, params, len);
  while (nav_sctp_tlv_iter_next (&it, &p) == NAV_SCTP_TLV_OK)
    {
      switch (p.type)
        {
        case NAV_SCTP_PARAM_STATE_COOKIE:
          ip->cookie = p.value;
          ip->cookie_len = p.value_len;
          break;
        case NAV_SCTP_PARAM_SUPPORTED_EXTENSIONS:
          for (gsize i = 0; i < p.value_len; i++)
            switch (p.value[i])
              {
              case NAV_SCTP_CHUNK_RE_CONFIG:
                ip->reconfig = TRUE;
                break;
              case NAV_SCTP_CHUNK_FORWARD_TSN:
                ip->prsctp = TRUE;
                break;
              case NAV_SCTP_CHUNK_I_DATA:
                ip->idata_chunk = TRUE;
                break;
              case NAV_SCTP_CHUNK_I_FORWARD_TSN:
                ip->ifwd_chunk = TRUE;
                break;
              default:
                break;
              }
          break;
        case NAV_SCTP_PARAM_FORWARD_TSN_SUPPORTED:
          ip->prsctp = TRUE;
          break;
        case NAV_SCTP_PARAM_ZERO_CHECKSUM:
          if (p.value_len >= 4 && nav_sctp_get32 (p.value) == NAV_SCTP_EDMID_DTLS)
            ip->zero_checksum = TRUE;
          break;
        case NAV_SCTP_PARAM_IPV4:
        case NAV_SCTP_PARAM_IPV6:
        case NAV_SCTP_PARAM_COOKIE_PRESERVATIVE:
        case NAV_SCTP_PARAM_HOST_NAME:
        case NAV_SCTP_PARAM_SUPPORTED_ADDRESS_TYPES:
        case NAV_SCTP_PARAM_UNRECOGNIZED:
        case NAV_SCTP_PARAM_ECN_CAPABLE:
          break;                /* one path, no ECN: known, nothing to do */
        default:
          /* §3.2.1: the upper two bits say whether to go on and whether
           * to report. */
          if ((p.type & 0x4000) && ip->unrecognized->len + p.length + 8 < 256)
            {
              guint8 *v = nav_sctp_param_append (ip->unrecognized, NAV_SCTP_PARAM_UNRECOGNIZED, p.length);

              memcpy (v, p.value - 4, p.length);
            }
          if (!(p.type & 0x8000))
            return;
          break;
        }
    }
}

static void
append_capabilities (NavSctpAssociation *a,
                     GByteArray         *out)
{
  guint8 ext[4] = { NAV_SCTP_CHUNK_RE_CONFIG, NAV_SCTP_CHUNK_FORWARD_TSN,
                    NAV_SCTP_CHUNK_I_DATA, NAV_SCTP_CHUNK_I_FORWARD_TSN };
  gsize n_ext = a->opt.enable_interleaving ? 4 : 2;
  guint8 *v;

  v = nav_sctp_param_append (out, NAV_SCTP_PARAM_SUPPORTED_EXTENSIONS, n_ext);
  memcpy (v, ext, n_ext);
  nav_sctp_param_append (out, NAV_SCTP_PARAM_FORWARD_TSN_SUPPORTED, 0);
  if (a->opt.zero_checksum)
    {
      v = nav_sctp_param_append (out, NAV_SCTP_PARAM_ZERO_CHECKSUM, 4);
      nav_sctp_put32 (v, NAV_SCTP_EDMID_DTLS);
    }
}

static guint8
caps_from_params (NavSctpAssociation *a,
                  const InitParams   *ip)
{
  guint8 caps = 0;

  if (ip->prsctp)
    caps |= COOKIE_CAP_PRSCTP;
  if (ip->reconfig)
    caps |= COOKIE_CAP_RECONFIG;
  /* RFC 8260 §2.2: both chunks announced by both ends. */
  if (a->opt.enable_interleaving && ip->idata_chunk && ip->ifwd_chunk)
    caps |= COOKIE_CAP_IDATA;
  if (a->opt.zero_checksum && ip->zero_checksum)
    caps |= COOKIE_CAP_ZERO_CHECKSUM;
  return caps;
}

static void
apply_caps (NavSctpAssociation *a,
            guint8              caps)
{
  a->peer_prsctp = (caps & COOKIE_CAP_PRSCTP) != 0;
  a->peer_reconfig = (caps & COOKIE_CAP_RECONFIG) != 0;
  a->peer_idata = (caps & COOKIE_CAP_IDATA) != 0;
  a->peer_zero_checksum = (caps & COOKIE_CAP_ZERO_CHECKSUM) != 0;
  a->local_zero_checksum = a->opt.zero_checksum;
}

void
nav_sctp_send_init (NavSctpAssociation *a)
{
  gsize len;

  g_bytes_get_data (a->init_chunk, &len);
  nav_sctp_send_chunk (a, 0, NAV_SCTP_CHUNK_INIT, 0, g_bytes_get_data (a->init_chunk, NULL), len, TRUE);
}

void
nav_sctp_build_init (NavSctpAssociation *a)
{
  GByteArray *v = g_byte_array_sized_new (64);

  g_byte_array_set_size (v, 16);
  nav_sctp_put32 (v->data, a->local_tag);
  nav_sctp_put32 (v->data + 4, (guint32) MIN (a->opt.receive_buffer, G_MAXUINT32));
  nav_sctp_put16 (v->data + 8, a->opt.num_outbound_streams);
  nav_sctp_put16 (v->data + 10, a->opt.max_inbound_streams);
  nav_sctp_put32 (v->data + 12, a->local_initial_tsn);
  append_capabilities (a, v);
  g_clear_pointer (&a->init_chunk, g_bytes_unref);
  a->init_chunk = g_byte_array_free_to_bytes (v);
}

static void
send_init_ack (NavSctpAssociation *a,
               const NavSctpInit  *init,
               const InitParams   *ip,
               guint32             local_tag,
               guint32             local_initial_tsn,
               guint32             tie_local,
               guint32             tie_peer)
{
  NavSctpCookie c = { 0 };
  GByteArray *v = g_byte_array_sized_new (256);
  guint8 *p;

  c.created_at = a->now;
  c.local_tag = local_tag;
  c.peer_tag = init->initiate_tag;
  c.local_initial_tsn = local_initial_tsn;
  c.peer_initial_tsn = init->initial_tsn;
  c.peer_a_rwnd = init->a_rwnd;
  c.out_streams = MIN (a->opt.num_outbound_streams, init->num_inbound_streams);
  c.in_streams = MIN (a->opt.max_inbound_streams, init->num_outbound_streams);
  c.tie_local = tie_local;
  c.tie_peer = tie_peer;
  c.caps = caps_from_params (a, ip);

  g_byte_array_set_size (v, 16);
  nav_sctp_put32 (v->data, local_tag);
  nav_sctp_put32 (v->data + 4, (guint32) MIN (a->opt.receive_buffer, G_MAXUINT32));
  nav_sctp_put16 (v->data + 8, a->opt.num_outbound_streams);
  nav_sctp_put16 (v->data + 10, a->opt.max_inbound_streams);
  nav_sctp_put32 (v->data + 12, local_initial_tsn);
  p = nav_sctp_param_append (v, NAV_SCTP_PARAM_STATE_COOKIE, NAV_SCTP_COOKIE_SIZE);
  nav_sctp_cookie_write (a, &c, p);
  append_capabilities (a, v);
  g_byte_array_append (v, ip->unrecognized->data, ip->unrecognized->len);
  nav_sctp_send_chunk (a, init->initiate_tag, NAV_SCTP_CHUNK_INIT_ACK, 0, v->data, v->len, TRUE);
  g_byte_array_unref (v);
}

void
nav_sctp_handle_init (NavSctpAssociation *a,
             const NavSctpTlv   *chunk)
{
  NavSctpInit init;
  InitParams ip;

  if (!nav_sctp_init_parse (chunk, &init) || init.initiate_tag == 0
      || init.num_outbound_streams == 0 || init.num_inbound_streams == 0)
    {
      a->stats.chunks_dropped++;
      return;
    }
  parse_init_params (a, init.params, init.params_len, &ip);
  switch (a->state)
    {
    case NAV_SCTP_STATE_CLOSED:
      {
        guint8 b[4];

        nav_sctp_fill_random (a, b, 4);
        send_init_ack (a, &init, &ip, nav_sctp_random_nonzero (a), nav_sctp_get32 (b), 0, 0);
      }
      break;
    case NAV_SCTP_STATE_COOKIE_WAIT:
    case NAV_SCTP_STATE_COOKIE_ECHOED:
      /* §5.2.1: the collision; our INIT's parameters again. */
      send_init_ack (a, &init, &ip, a->local_tag, a->local_initial_tsn, a->local_tag, a->peer_tag);
      break;
    case NAV_SCTP_STATE_SHUTDOWN_ACK_SENT:
      /* §9.2: the INIT waits; SHUTDOWN ACK again. */
      nav_sctp_send_chunk (a, a->peer_tag, NAV_SCTP_CHUNK_SHUTDOWN_ACK, 0, NULL, 0, nav_sctp_use_checksum (a));
      break;
    default:
      {
        guint8 b[4];

        /* §5.2.2: a peer that restarted; new tag, tie-tags ours. */
        nav_sctp_fill_random (a, b, 4);
        send_init_ack (a, &init, &ip, nav_sctp_random_nonzero (a), nav_sctp_get32 (b), a->local_tag, a->peer_tag);
      }
      break;
    }
  g_byte_array_unref (ip.unrecognized);
}

void
nav_sctp_handle_init_ack (NavSctpAssociation *a,
                 const NavSctpTlv   *chunk)
{
  NavSctpInit init;
  InitParams ip;
  GByteArray *echo;

  if (a->state != NAV_SCTP_STATE_COOKIE_WAIT)
    return;                     /* §5.2.3 */
  if (!nav_sctp_init_parse (chunk, &init) || init.initiate_tag == 0)
    {
      a->stats.chunks_dropped++;
      return;
    }
  if (init.num_outbound_streams == 0 || init.num_inbound_streams == 0)
    {
      a->peer_tag = init.initiate_tag;
      nav_sctp_abort_with_cause (a, NAV_SCTP_CAUSE_INVALID_MANDATORY_PARAMETER, NULL, 0,
                                 _("the INIT ACK announced no streams"));
      return;
    }
  parse_init_params (a, init.params, init.params_len, &ip);
  if (ip.cookie == NULL || ip.cookie_len == 0 || ip.cookie_len > a->opt.mtu - 64)
    {
      guint8 missing[6];

      nav_sctp_put32 (missing, 1);
      nav_sctp_put16 (missing + 4, NAV_SCTP_PARAM_STATE_COOKIE);
      a->peer_tag = init.initiate_tag;
      g_byte_array_unref (ip.unrecognized);
      nav_sctp_abort_with_cause (a, NAV_SCTP_CAUSE_MISSING_PARAMETER, missing, 6,
                                 _("the INIT ACK carried no usable state cookie"));
      return;
    }
  a->peer_tag = init.initiate_tag;
  a->peer_initial_tsn = init.initial_tsn;
  a->out_streams = MIN (a->opt.num_outbound_streams, init.num_inbound_streams);
  a->in_streams = MIN (a->opt.max_inbound_streams, init.num_outbound_streams);
  apply_caps (a, caps_from_params (a, &ip));
  a->peer_rwnd = init.a_rwnd;
  nav_sctp_rx_start (a, init.initial_tsn);

  /* §5.1 C: COOKIE ECHO, with an ERROR for reported parameters. */
  echo = g_byte_array_new ();
  g_byte_array_append (echo, ip.cookie, ip.cookie_len);
  g_clear_pointer (&a->init_chunk, g_bytes_unref);
  a->init_chunk = g_byte_array_free_to_bytes (echo);
  if (ip.unrecognized->len > 0)
    {
      /* The cause is the unrecognized-parameter TLVs' contents. */
      GByteArray *causes = g_byte_array_new ();
      NavSctpTlvIter it;
      NavSctpTlv p;

      nav_sctp_param_iter_init (&it, ip.unrecognized->data, ip.unrecognized->len);
      while (nav_sctp_tlv_iter_next (&it, &p) == NAV_SCTP_TLV_OK)
        g_byte_array_append (causes, p.value, nav_sctp_pad4 (p.value_len));
      nav_sctp_queue_error (a, NAV_SCTP_CAUSE_UNRECOGNIZED_PARAMETERS, causes->data, causes->len);
      g_byte_array_unref (causes);
    }
  g_byte_array_unref (ip.unrecognized);
  nav_sctp_timer_stop (a, TIMER_T1_INIT);
  a->state = NAV_SCTP_STATE_COOKIE_ECHOED;
  a->init_retransmits = 0;
  /* The sending half starts now: queued messages may ride with the
   * COOKIE ECHO (§5.1 C), after it and the ERROR. */
  nav_sctp_tx_start (a, init.a_rwnd);
  {
    NavSctpWriter w;
    gsize len;
    const guint8 *cookie = g_bytes_get_data (a->init_chunk, &len);
    guint8 *v;

    nav_sctp_writer_init (&w, a->packet, a->opt.mtu, a->opt.local_port, a->opt.remote_port, a->peer_tag);
    v = nav_sctp_writer_add_chunk (&w, NAV_SCTP_CHUNK_COOKIE_ECHO, 0, len);
    memcpy (v, cookie, len);
    if (a->control->len > 0)
      {
        const guint8 *c = a->control->data;
        guint16 clen = nav_sctp_get16 (c + 2);
        guint8 *e = nav_sctp_writer_add_chunk (&w, c[0], c[1], clen - 4);

        if (e != NULL)
          memcpy (e, c + 4, clen - 4);
        g_byte_array_set_size (a->control, 0);
      }
    nav_sctp_tx_bundle_with_cookie (a, &w);
    len = nav_sctp_writer_finish (&w, TRUE);
    a->stats.packets_sent++;
    a->stats.bytes_sent += len;
    a->cb.send_packet (a, w.buf, len, a->user_data);
  }
  nav_sctp_timer_start (a, TIMER_T1_COOKIE, a->rto);
}

static void
established (NavSctpAssociation *a,
             guint32             peer_a_rwnd)
{
  nav_sctp_timer_stop (a, TIMER_T1_INIT);
  nav_sctp_timer_stop (a, TIMER_T1_COOKIE);
  g_clear_pointer (&a->init_chunk, g_bytes_unref);
  nav_sctp_tx_start (a, peer_a_rwnd);
  a->reconf_next_seq = a->local_initial_tsn;   /* RFC 6525 §5.1 */
  a->reconf_peer_seq = a->peer_initial_tsn;
  a->state = NAV_SCTP_STATE_ESTABLISHED;
  a->error_count = 0;
  /* §6.3.1 C1: RTO.Initial until the first measurement, whatever T1's
   * backoff made of it. */
  if (!a->have_rtt)
    a->rto = a->opt.rto_initial_us;
  nav_sctp_event_push (a, EV_CONNECTED);
  nav_sctp_heartbeat_schedule (a);
}

static void
establish_from_cookie (NavSctpAssociation  *a,
                       const NavSctpCookie *c)
{
  a->local_tag = c->local_tag;
  a->peer_tag = c->peer_tag;
  a->local_initial_tsn = c->local_initial_tsn;
  a->peer_initial_tsn = c->peer_initial_tsn;
  a->out_streams = c->out_streams;
  a->in_streams = c->in_streams;
  apply_caps (a, c->caps);
  if (a->rto == 0)
    a->rto = a->opt.rto_initial_us;
  nav_sctp_rx_start (a, c->peer_initial_tsn);
  established (a, c->peer_a_rwnd);
}

void
nav_sctp_handle_cookie_echo (NavSctpAssociation *a,
                    const NavSctpTlv   *chunk,
                    guint32             vtag)
{
  NavSctpCookie c;
  guint32 L = a->local_tag, P = a->peer_tag;

  if (!nav_sctp_cookie_read (a, chunk->value, chunk->value_len, &c) || vtag != c.local_tag
      || c.created_at > a->now)
    {
      a->stats.chunks_dropped++;
      return;
    }
  if (a->now - c.created_at > a->opt.cookie_lifetime_us)
    {
      guint8 staleness[4];
      GByteArray *v = g_byte_array_new ();
      guint8 *p;

      /* §5.1.5 3: Stale Cookie, with the staleness in microseconds. */
      nav_sctp_put32 (staleness, (guint32) MIN (a->now - c.created_at - a->opt.cookie_lifetime_us, G_MAXUINT32));
      p = nav_sctp_param_append (v, NAV_SCTP_CAUSE_STALE_COOKIE, 4);
      memcpy (p, staleness, 4);
      nav_sctp_send_chunk (a, c.peer_tag, NAV_SCTP_CHUNK_ERROR, 0, v->data, v->len, TRUE);
      g_byte_array_unref (v);
      return;
    }

  if (a->state == NAV_SCTP_STATE_CLOSED)
    {
      if (nav_sctp_teardown_pending (a))
        nav_sctp_teardown (a);
      a->rto = a->opt.rto_initial_us;
      establish_from_cookie (a, &c);
    }
  else if (c.local_tag != L && c.peer_tag != P && c.tie_local == L && c.tie_peer == P)
    {
      /* §5.2.4 A: the peer restarted. */
      if (a->state == NAV_SCTP_STATE_SHUTDOWN_ACK_SENT)
        {
          nav_sctp_send_chunk (a, a->peer_tag, NAV_SCTP_CHUNK_SHUTDOWN_ACK, 0, NULL, 0, nav_sctp_use_checksum (a));
          nav_sctp_queue_error (a, NAV_SCTP_CAUSE_COOKIE_WHILE_SHUTTING_DOWN, NULL, 0);
          return;
        }
      nav_sctp_teardown (a);
      a->rto = a->opt.rto_initial_us;
      nav_sctp_event_push (a, EV_RESTARTED);
      establish_from_cookie (a, &c);
      /* established() announced connected again: restarted says it all. */
      g_array_set_size (a->events, a->events->len - 1);
    }
  else if (c.local_tag == L && c.peer_tag != P)
    {
      /* §5.2.4 B: the collision, seen from COOKIE-WAIT or COOKIE-ECHOED. */
      if (a->state == NAV_SCTP_STATE_COOKIE_WAIT || a->state == NAV_SCTP_STATE_COOKIE_ECHOED)
        establish_from_cookie (a, &c);
      else
        a->peer_tag = c.peer_tag;
    }
  else if (c.local_tag != L && c.peer_tag == P && c.tie_local == 0 && c.tie_peer == 0)
    return;                     /* §5.2.4 C */
  else if (c.local_tag == L && c.peer_tag == P)
    {
      /* §5.2.4 D */
      if (a->state == NAV_SCTP_STATE_COOKIE_WAIT || a->state == NAV_SCTP_STATE_COOKIE_ECHOED)
        establish_from_cookie (a, &c);
    }
  else
    return;
  nav_sctp_queue_control (a, NAV_SCTP_CHUNK_COOKIE_ACK, 0, NULL, 0);
}

void
nav_sctp_handle_cookie_ack (NavSctpAssociation *a)
{
  if (a->state != NAV_SCTP_STATE_COOKIE_ECHOED)
    return;
  established (a, (guint32) MIN (a->peer_rwnd, G_MAXUINT32));
}
