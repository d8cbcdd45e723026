/* nav-sctp-plpmtud.c: packetization layer path MTU discovery (RFC 8899)
 *
 * Over DTLS, an SCTP packet is one DTLS record (RFC 8261 §5), and a
 * WebRTC stack starts at 1200 bytes, what any ICE path carries.  A path
 * that carries more (loopback, a LAN, jumbo frames) pays for every
 * packet: one record to seal and open, one datagram each way, one SACK
 * for every other.  RFC 8261 §5 asks for RFC 8899's method: probe
 * packets of a HEARTBEAT chunk padded with a PAD chunk (RFC 4820), sent
 * without data so that losing one costs nothing, and a size is used
 * once the peer's HEARTBEAT ACK shows it went through (RFC 8899 §6.2.1).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "nav-sctp-private.h"
#include "nav-sctp-plpmtud.h"

/* RFC 4820 §3: the PAD chunk; its upper bits (10) say "skip it, report
 * nothing" to a peer that does not know it (RFC 9260 §3.2). */
#define CHUNK_PAD 0x84

/* The HEARTBEAT information of a probe: the parameter header, our
 * nonce, a mark telling it from a liveness heartbeat, the size. */
#define PROBE_INFO_LEN 16
#define PROBE_MARK 0x504d5455u  /* "PMTU" */

/* The candidates above the base (§5.3 leaves the choice): the DTLS
 * record limit (loopback), a 9000-byte jumbo frame and a 1500-byte
 * Ethernet frame, each less IPv6 (40), UDP (8), a DTLS 1.2 AES-GCM
 * record (37) and a TURN ChannelData header (4), rounded down to 4. */
static const guint candidate_sizes[] = { 16384, 8908, 1408 };

gboolean
nav_sctp_association_send_probe (NavSctpAssociation *a,
                                 gsize               size)
{
  NavSctpWriter w;
  g_autofree guint8 *buf = NULL;
  guint8 *v;
  gsize pad, len;

  size &= ~(gsize) 3;
  if (a->state != NAV_SCTP_STATE_ESTABLISHED
      || size < NAV_SCTP_COMMON_HEADER_SIZE + 2 * NAV_SCTP_CHUNK_HEADER_SIZE + PROBE_INFO_LEN
      || size > G_MAXUINT16)
    return FALSE;
  if (a->probe_nonce == 0)
    a->probe_nonce = nav_sctp_random32 (a) | 1;
  buf = g_malloc0 (size);
  nav_sctp_writer_init (&w, buf, size, a->opt.local_port, a->opt.remote_port, a->peer_tag);
  pad = size - NAV_SCTP_COMMON_HEADER_SIZE - 2 * NAV_SCTP_CHUNK_HEADER_SIZE - PROBE_INFO_LEN;
  v = nav_sctp_writer_add_chunk (&w, CHUNK_PAD, 0, pad);
  if (v == NULL)
    return FALSE;
  /* RFC 4820 §3: the receiver ignores the padding, whatever it holds.
   * Ones, not zeros: a peer whose DTLS layer hands a large record up in
   * pieces (a browser reading records into 2 KiB buffers) sees pieces
   * that start with ports 65535, tag 0xffffffff and a checksum that is
   * neither right nor zero (RFC 9653), dropped as any stray packet, not
   * an all-zero "packet" that some stacks answer. */
  memset (v, 0xff, pad);
  v = nav_sctp_writer_add_chunk (&w, NAV_SCTP_CHUNK_HEARTBEAT, 0, PROBE_INFO_LEN);
  if (v == NULL)
    return FALSE;
  nav_sctp_put16 (v, NAV_SCTP_PARAM_HEARTBEAT_INFO);
  nav_sctp_put16 (v + 2, PROBE_INFO_LEN);
  nav_sctp_put32 (v + 4, a->probe_nonce);
  nav_sctp_put32 (v + 8, PROBE_MARK);
  nav_sctp_put32 (v + 12, (guint32) size);
  len = nav_sctp_writer_finish (&w, nav_sctp_use_checksum (a));
  g_assert (len == size);
  a->stats.packets_sent++;
  a->stats.bytes_sent += len;
  a->cb.send_packet (a, buf, len, a->user_data);
  return TRUE;
}

gboolean
nav_sctp_probe_handle_ack (NavSctpAssociation *a,
                           const NavSctpTlv   *chunk)
{
  guint32 size;

  if (chunk->value_len != PROBE_INFO_LEN || nav_sctp_get32 (chunk->value + 8) != PROBE_MARK)
    return FALSE;
  /* Ours, or a forgery (which DTLS makes unlikely): dropped either way
   * unless the nonce is the one we sent. */
  size = nav_sctp_get32 (chunk->value + 12);
  if (a->probe_nonce == 0 || nav_sctp_get16 (chunk->value) != NAV_SCTP_PARAM_HEARTBEAT_INFO
      || nav_sctp_get32 (chunk->value + 4) != a->probe_nonce || size > G_MAXUINT16)
    {
      a->stats.chunks_dropped++;
      return TRUE;
    }
  if (a->cb.probe_acked != NULL)
    a->cb.probe_acked (a, size, a->user_data);
  return TRUE;
}

void
nav_sctp_association_set_mtu (NavSctpAssociation *a,
                              guint               mtu)
{
  mtu = CLAMP (mtu, 256, 65535) & ~3u;
  if (mtu == a->opt.mtu)
    return;
  g_free (a->packet);
  a->packet = g_malloc (mtu);
  a->opt.mtu = mtu;
}

guint
nav_sctp_association_get_mtu (NavSctpAssociation *a)
{
  return a->opt.mtu;
}

/* ---- the search ---- */

void
nav_sctp_plpmtud_init (NavSctpPlpmtud *p,
                       guint           base,
                       guint           max)
{
  memset (p, 0, sizeof *p);
  p->base = p->current = base;
  for (guint i = 0; i < G_N_ELEMENTS (candidate_sizes); i++)
    {
      guint size = MIN (candidate_sizes[i], max) & ~3u;

      if (size > base && (p->n_candidates == 0 || size < p->candidates[p->n_candidates - 1]))
        p->candidates[p->n_candidates++] = size;
    }
  p->searching = p->n_candidates > 0;
  p->deadline = p->searching ? 0 : -1;
}

guint
nav_sctp_plpmtud_due (NavSctpPlpmtud *p,
                      gint64          now,
                      guint          *sizes)
{
  guint n = 0;

  if (p->deadline < 0 || now < p->deadline)
    return 0;
  if (!p->searching)
    {
      /* PMTU_RAISE_TIMER: the path may carry more now. */
      for (guint i = 0; i < p->n_candidates; i++)
        p->probes[i] = 0;
      p->searching = TRUE;
    }
  for (guint i = 0; i < p->n_candidates; i++)
    if (p->candidates[i] > p->current && p->probes[i] < NAV_SCTP_PLPMTUD_MAX_PROBES)
      {
        p->probes[i]++;
        sizes[n++] = p->candidates[i];
      }
  p->probes_sent += n;
  if (n > 0)
    p->deadline = now + NAV_SCTP_PLPMTUD_PROBE_TIMER_US;
  else
    {
      /* SEARCH_COMPLETE. */
      p->searching = FALSE;
      p->deadline = p->n_candidates > 0 && p->current < p->candidates[0]
                      ? now + NAV_SCTP_PLPMTUD_RAISE_TIMER_US : -1;
    }
  return n;
}

gboolean
nav_sctp_plpmtud_acked (NavSctpPlpmtud *p,
                        gsize           size)
{
  gboolean known = FALSE;

  for (guint i = 0; i < p->n_candidates; i++)
    known |= p->candidates[i] == size;
  if (!known)
    return FALSE;
  p->probes_acked++;
  if (size <= p->current)
    return FALSE;
  p->current = size;
  if (size == p->candidates[0])
    {
      /* Nothing larger to try. */
      p->searching = FALSE;
      p->deadline = -1;
    }
  return TRUE;
}
