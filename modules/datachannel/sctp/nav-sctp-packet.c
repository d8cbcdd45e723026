/* nav-sctp-packet.c: the SCTP wire codec
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-sctp-packet.h"
#include "nav-sctp-crc32c.h"

/* The checksum field holds the CRC32c little-endian (RFC 9260 App. A). */
static guint32
stored_checksum (const guint8 *packet)
{
  return (guint32) packet[8] | ((guint32) packet[9] << 8)
       | ((guint32) packet[10] << 16) | ((guint32) packet[11] << 24);
}

gboolean
nav_sctp_common_header_parse (const guint8        *packet,
                              gsize                len,
                              NavSctpCommonHeader *header)
{
  /* RFC 9260 §3: a packet is the common header and at least one chunk. */
  if (len < NAV_SCTP_COMMON_HEADER_SIZE + NAV_SCTP_CHUNK_HEADER_SIZE)
    return FALSE;
  header->src_port = nav_sctp_get16 (packet);
  header->dst_port = nav_sctp_get16 (packet + 2);
  header->vtag = nav_sctp_get32 (packet + 4);
  header->checksum = stored_checksum (packet);
  return TRUE;
}

gboolean
nav_sctp_packet_checksum_ok (const guint8 *packet,
                             gsize         len,
                             gboolean      accept_zero)
{
  guint32 stored;

  if (len < NAV_SCTP_COMMON_HEADER_SIZE)
    return FALSE;
  stored = stored_checksum (packet);
  /* RFC 9653 §5.3: once acceptance is announced, a zero checksum is
   * accepted as well as a correct one. */
  if (accept_zero && stored == 0)
    return TRUE;
  return nav_sctp_crc32c_packet (packet, len) == stored;
}

void
nav_sctp_chunk_iter_init (NavSctpTlvIter *iter,
                          const guint8   *packet,
                          gsize           len)
{
  iter->data = packet;
  iter->len = len;
  iter->offset = NAV_SCTP_COMMON_HEADER_SIZE;
  iter->chunks = TRUE;
}

void
nav_sctp_param_iter_init (NavSctpTlvIter *iter,
                          const guint8   *params,
                          gsize           len)
{
  iter->data = params;
  iter->len = len;
  iter->offset = 0;
  iter->chunks = FALSE;
}

NavSctpTlvResult
nav_sctp_tlv_iter_next (NavSctpTlvIter *iter,
                        NavSctpTlv     *tlv)
{
  const guint8 *p;
  gsize left;
  guint16 length;

  if (iter->offset >= iter->len)
    return NAV_SCTP_TLV_END;
  left = iter->len - iter->offset;
  if (left < 4)
    {
      /* Trailing padding of the previous item is fine; anything else is not. */
      for (gsize i = 0; i < left; i++)
        if (iter->data[iter->offset + i] != 0)
          return NAV_SCTP_TLV_MALFORMED;
      iter->offset = iter->len;
      return NAV_SCTP_TLV_END;
    }
  p = iter->data + iter->offset;
  length = nav_sctp_get16 (p + 2);
  if (length < 4 || length > left)
    return NAV_SCTP_TLV_MALFORMED;
  if (iter->chunks)
    {
      tlv->type = p[0];
      tlv->flags = p[1];
    }
  else
    {
      tlv->type = nav_sctp_get16 (p);
      tlv->flags = 0;
    }
  tlv->length = length;
  tlv->value = p + 4;
  tlv->value_len = length - 4;
  iter->offset += nav_sctp_pad4 (length);
  if (iter->offset > iter->len)
    iter->offset = iter->len;
  return NAV_SCTP_TLV_OK;
}

gboolean
nav_sctp_data_parse (const NavSctpTlv *chunk,
                     NavSctpData      *data)
{
  const guint8 *v = chunk->value;

  data->flags = chunk->flags;
  if (chunk->type == NAV_SCTP_CHUNK_DATA)
    {
      if (chunk->value_len < NAV_SCTP_DATA_HEADER_SIZE - 4)
        return FALSE;
      data->idata = FALSE;
      data->tsn = nav_sctp_get32 (v);
      data->stream_id = nav_sctp_get16 (v + 4);
      data->ssn = nav_sctp_get16 (v + 6);
      data->ppid = nav_sctp_get32 (v + 8);
      data->mid = data->ssn;
      data->fsn = 0;
      data->payload = v + 12;
      data->payload_len = chunk->value_len - 12;
      return TRUE;
    }
  if (chunk->type == NAV_SCTP_CHUNK_I_DATA)
    {
      guint32 ppid_fsn;

      if (chunk->value_len < NAV_SCTP_IDATA_HEADER_SIZE - 4)
        return FALSE;
      data->idata = TRUE;
      data->tsn = nav_sctp_get32 (v);
      data->stream_id = nav_sctp_get16 (v + 4);
      data->ssn = 0;
      data->mid = nav_sctp_get32 (v + 8);
      ppid_fsn = nav_sctp_get32 (v + 12);
      /* RFC 8260 §2.1: the first fragment carries the PPID, the others
       * their fragment sequence number. */
      if (chunk->flags & NAV_SCTP_DATA_B)
        {
          data->ppid = ppid_fsn;
          data->fsn = 0;
        }
      else
        {
          data->ppid = 0;
          data->fsn = ppid_fsn;
        }
      data->payload = v + 16;
      data->payload_len = chunk->value_len - 16;
      return TRUE;
    }
  return FALSE;
}

gboolean
nav_sctp_init_parse (const NavSctpTlv *chunk,
                     NavSctpInit      *init)
{
  const guint8 *v = chunk->value;

  if (chunk->value_len < 16)
    return FALSE;
  init->initiate_tag = nav_sctp_get32 (v);
  init->a_rwnd = nav_sctp_get32 (v + 4);
  init->num_outbound_streams = nav_sctp_get16 (v + 8);
  init->num_inbound_streams = nav_sctp_get16 (v + 10);
  init->initial_tsn = nav_sctp_get32 (v + 12);
  init->params = v + 16;
  init->params_len = chunk->value_len - 16;
  return TRUE;
}

gboolean
nav_sctp_sack_parse (const NavSctpTlv *chunk,
                     NavSctpSack      *sack)
{
  const guint8 *v = chunk->value;
  gsize need;

  if (chunk->value_len < 12)
    return FALSE;
  sack->cum_tsn_ack = nav_sctp_get32 (v);
  sack->a_rwnd = nav_sctp_get32 (v + 4);
  sack->n_gap_blocks = nav_sctp_get16 (v + 8);
  sack->n_dup_tsns = nav_sctp_get16 (v + 10);
  need = 12 + 4 * (gsize) sack->n_gap_blocks + 4 * (gsize) sack->n_dup_tsns;
  if (need > chunk->value_len)
    return FALSE;
  sack->gap_blocks = v + 12;
  sack->dup_tsns = v + 12 + 4 * (gsize) sack->n_gap_blocks;
  return TRUE;
}

gboolean
nav_sctp_forward_tsn_parse (const NavSctpTlv  *chunk,
                            NavSctpForwardTsn *fwd)
{
  gsize entry;

  if (chunk->value_len < 4)
    return FALSE;
  fwd->idata = chunk->type == NAV_SCTP_CHUNK_I_FORWARD_TSN;
  entry = fwd->idata ? 8 : 4;
  if ((chunk->value_len - 4) % entry != 0)
    return FALSE;
  fwd->new_cum_tsn = nav_sctp_get32 (chunk->value);
  fwd->n_entries = (chunk->value_len - 4) / entry;
  fwd->entries = chunk->value + 4;
  return TRUE;
}

void
nav_sctp_forward_tsn_entry (const NavSctpForwardTsn *fwd,
                            guint                    i,
                            guint16                 *stream_id,
                            gboolean                *unordered,
                            guint32                 *ssn_or_mid)
{
  if (fwd->idata)
    {
      const guint8 *e = fwd->entries + 8 * i;

      *stream_id = nav_sctp_get16 (e);
      *unordered = (e[3] & 0x01) != 0;
      *ssn_or_mid = nav_sctp_get32 (e + 4);
    }
  else
    {
      const guint8 *e = fwd->entries + 4 * i;

      *stream_id = nav_sctp_get16 (e);
      *unordered = FALSE;
      *ssn_or_mid = nav_sctp_get16 (e + 2);
    }
}

gboolean
nav_sctp_outgoing_reset_parse (const NavSctpTlv     *param,
                               NavSctpOutgoingReset *reset)
{
  if (param->type != NAV_SCTP_PARAM_OUTGOING_RESET || param->value_len < 12
      || (param->value_len - 12) % 2 != 0)
    return FALSE;
  reset->request_seq = nav_sctp_get32 (param->value);
  reset->response_seq = nav_sctp_get32 (param->value + 4);
  reset->last_tsn = nav_sctp_get32 (param->value + 8);
  reset->n_streams = (param->value_len - 12) / 2;
  reset->streams = param->value + 12;
  return TRUE;
}

gboolean
nav_sctp_reconfig_response_parse (const NavSctpTlv        *param,
                                  NavSctpReconfigResponse *response)
{
  /* 8 bytes, or 16 with the sender's and receiver's next TSN. */
  if (param->type != NAV_SCTP_PARAM_RECONFIG_RESPONSE
      || (param->value_len != 8 && param->value_len != 16))
    return FALSE;
  response->response_seq = nav_sctp_get32 (param->value);
  response->result = nav_sctp_get32 (param->value + 4);
  return TRUE;
}

void
nav_sctp_writer_init (NavSctpWriter *w,
                      guint8        *buf,
                      gsize          cap,
                      guint16        src_port,
                      guint16        dst_port,
                      guint32        vtag)
{
  g_assert (cap >= NAV_SCTP_COMMON_HEADER_SIZE + NAV_SCTP_CHUNK_HEADER_SIZE);
  w->buf = buf;
  w->cap = cap;
  w->len = NAV_SCTP_COMMON_HEADER_SIZE;
  w->n_chunks = 0;
  nav_sctp_put16 (buf, src_port);
  nav_sctp_put16 (buf + 2, dst_port);
  nav_sctp_put32 (buf + 4, vtag);
  memset (buf + 8, 0, 4);
}

guint8 *
nav_sctp_writer_add_chunk (NavSctpWriter *w,
                           guint8         type,
                           guint8         flags,
                           gsize          value_len)
{
  gsize start = nav_sctp_pad4 (w->len);
  gsize end = start + NAV_SCTP_CHUNK_HEADER_SIZE + value_len;
  guint8 *p;

  if (nav_sctp_pad4 (end) > w->cap || NAV_SCTP_CHUNK_HEADER_SIZE + value_len > G_MAXUINT16)
    return NULL;
  /* The previous chunk's padding. */
  memset (w->buf + w->len, 0, start - w->len);
  p = w->buf + start;
  p[0] = type;
  p[1] = flags;
  nav_sctp_put16 (p + 2, (guint16) (NAV_SCTP_CHUNK_HEADER_SIZE + value_len));
  w->len = end;
  w->n_chunks++;
  return p + NAV_SCTP_CHUNK_HEADER_SIZE;
}

gsize
nav_sctp_writer_finish (NavSctpWriter *w,
                        gboolean       checksum)
{
  gsize len = nav_sctp_pad4 (w->len);

  memset (w->buf + w->len, 0, len - w->len);
  w->len = len;
  memset (w->buf + 8, 0, 4);
  if (checksum)
    {
      guint32 crc = nav_sctp_crc32c_packet (w->buf, len);

      w->buf[8] = crc & 0xff;
      w->buf[9] = (crc >> 8) & 0xff;
      w->buf[10] = (crc >> 16) & 0xff;
      w->buf[11] = crc >> 24;
    }
  return len;
}

guint8 *
nav_sctp_param_append (GByteArray *out,
                       guint16     type,
                       gsize       value_len)
{
  gsize start = out->len;
  gsize total = nav_sctp_pad4 (4 + value_len);
  guint8 *p;

  g_return_val_if_fail (4 + value_len <= G_MAXUINT16, NULL);
  g_byte_array_set_size (out, start + total);
  p = out->data + start;
  memset (p, 0, total);
  nav_sctp_put16 (p, type);
  nav_sctp_put16 (p + 2, (guint16) (4 + value_len));
  return p + 4;
}
