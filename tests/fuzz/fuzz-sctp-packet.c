/* fuzz-sctp-packet.c: libFuzzer target for the SCTP codec
 * (modules/datachannel/sctp/nav-sctp-packet.c) and its checksum
 *
 * The input is one SCTP packet.  Every reader runs on it: the common
 * header, the checksum (hardware and table must agree), each chunk, and
 * inside them the parameters, error causes, gap blocks and FORWARD TSN
 * entries; a DATA or I-DATA chunk that parses is written again and must
 * come out byte for byte.  No crash, no read outside the input, no
 * sanitizer report.  fuzz-sctp-packet-replay (suite 'unit') runs it on
 * the seed corpus and deterministic mutations.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "nav-sctp-crc32c.h"
#include "nav-sctp-packet.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

#define FUZZ_CHECK(cond) G_STMT_START { if (!(cond)) abort (); } G_STMT_END

static volatile guint32 sink;

static void
walk_tlvs (const guint8 *p,
           gsize         len)
{
  NavSctpTlvIter it;
  NavSctpTlv t;

  nav_sctp_param_iter_init (&it, p, len);
  while (nav_sctp_tlv_iter_next (&it, &t) == NAV_SCTP_TLV_OK)
    {
      NavSctpOutgoingReset r;
      NavSctpReconfigResponse resp;

      FUZZ_CHECK (t.value + t.value_len <= p + len);
      for (gsize i = 0; i < t.value_len; i++)
        sink += t.value[i];
      if (nav_sctp_outgoing_reset_parse (&t, &r))
        for (guint i = 0; i < r.n_streams; i++)
          sink += nav_sctp_get16 (r.streams + 2 * i);
      if (nav_sctp_reconfig_response_parse (&t, &resp))
        sink += resp.result;
    }
}

static void
roundtrip_data (const NavSctpTlv  *c,
                const NavSctpData *d)
{
  guint8 *buf = g_malloc (NAV_SCTP_COMMON_HEADER_SIZE + 4 + c->value_len + 8);
  NavSctpWriter w;
  guint8 *v;

  nav_sctp_writer_init (&w, buf, NAV_SCTP_COMMON_HEADER_SIZE + 4 + c->value_len + 8, 1, 2, 3);
  v = nav_sctp_writer_add_chunk (&w, c->type, c->flags, c->value_len);
  FUZZ_CHECK (v != NULL);
  nav_sctp_put32 (v, d->tsn);
  nav_sctp_put16 (v + 4, d->stream_id);
  if (d->idata)
    {
      nav_sctp_put16 (v + 6, nav_sctp_get16 (c->value + 6));   /* reserved */
      nav_sctp_put32 (v + 8, d->mid);
      nav_sctp_put32 (v + 12, (d->flags & NAV_SCTP_DATA_B) ? d->ppid : d->fsn);
      memcpy (v + 16, d->payload, d->payload_len);
    }
  else
    {
      nav_sctp_put16 (v + 6, d->ssn);
      nav_sctp_put32 (v + 8, d->ppid);
      memcpy (v + 12, d->payload, d->payload_len);
    }
  FUZZ_CHECK (memcmp (v, c->value, c->value_len) == 0);
  g_free (buf);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  NavSctpCommonHeader h;
  NavSctpTlvIter it;
  NavSctpTlv c;
  NavSctpTlvResult r;

  FUZZ_CHECK (nav_sctp_crc32c_update (0, data, size) == nav_sctp_crc32c_update_table (0, data, size));
  sink += nav_sctp_packet_checksum_ok (data, size, size % 2);
  if (!nav_sctp_common_header_parse (data, size, &h))
    {
      FUZZ_CHECK (size < NAV_SCTP_COMMON_HEADER_SIZE + NAV_SCTP_CHUNK_HEADER_SIZE);
      walk_tlvs (data, size);
      return 0;
    }
  nav_sctp_chunk_iter_init (&it, data, size);
  while ((r = nav_sctp_tlv_iter_next (&it, &c)) == NAV_SCTP_TLV_OK)
    {
      FUZZ_CHECK (c.value >= data + NAV_SCTP_COMMON_HEADER_SIZE + 4);
      FUZZ_CHECK (c.value + c.value_len <= data + size);
      FUZZ_CHECK (c.length == c.value_len + 4);
      switch (c.type)
        {
        case NAV_SCTP_CHUNK_DATA:
        case NAV_SCTP_CHUNK_I_DATA:
          {
            NavSctpData d;

            if (nav_sctp_data_parse (&c, &d))
              {
                FUZZ_CHECK (d.payload + d.payload_len == c.value + c.value_len);
                roundtrip_data (&c, &d);
              }
          }
          break;
        case NAV_SCTP_CHUNK_INIT:
        case NAV_SCTP_CHUNK_INIT_ACK:
          {
            NavSctpInit init;

            if (nav_sctp_init_parse (&c, &init))
              walk_tlvs (init.params, init.params_len);
          }
          break;
        case NAV_SCTP_CHUNK_SACK:
          {
            NavSctpSack s;

            if (nav_sctp_sack_parse (&c, &s))
              {
                for (guint i = 0; i < s.n_gap_blocks; i++)
                  {
                    guint16 start, end;

                    nav_sctp_sack_gap_block (&s, i, &start, &end);
                    sink += start + end;
                  }
                for (guint i = 0; i < s.n_dup_tsns; i++)
                  sink += nav_sctp_get32 (s.dup_tsns + 4 * i);
              }
          }
          break;
        case NAV_SCTP_CHUNK_FORWARD_TSN:
        case NAV_SCTP_CHUNK_I_FORWARD_TSN:
          {
            NavSctpForwardTsn f;

            if (nav_sctp_forward_tsn_parse (&c, &f))
              for (guint i = 0; i < f.n_entries; i++)
                {
                  guint16 sid;
                  gboolean u;
                  guint32 key;

                  nav_sctp_forward_tsn_entry (&f, i, &sid, &u, &key);
                  sink += sid + u + key;
                }
          }
          break;
        default:
          /* HEARTBEAT, ERROR, ABORT, RE-CONFIG: parameters or causes. */
          walk_tlvs (c.value, c.value_len);
          break;
        }
    }
  return 0;
}
