/* test-sctp-packet.c: the SCTP codec and its checksum
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * CRC32c against the published vectors (RFC 3720 §B.4, the check value
 * of "123456789"), the hardware path against the table on every length
 * and alignment, and every reader against short, long and inconsistent
 * lengths.
 */
#include "config.h"

#include <string.h>

#include "nav-sctp-crc32c.h"
#include "nav-sctp-packet.h"

static void
test_crc32c_vectors (void)
{
  guint8 buf[32];

  /* RFC 3720 §B.4 */
  memset (buf, 0, 32);
  g_assert_cmphex (nav_sctp_crc32c_update (0, buf, 32), ==, 0x8a9136aa);
  g_assert_cmphex (nav_sctp_crc32c_update_table (0, buf, 32), ==, 0x8a9136aa);
  memset (buf, 0xff, 32);
  g_assert_cmphex (nav_sctp_crc32c_update (0, buf, 32), ==, 0x62a8ab43);
  for (guint i = 0; i < 32; i++)
    buf[i] = i;
  g_assert_cmphex (nav_sctp_crc32c_update (0, buf, 32), ==, 0x46dd794e);
  for (guint i = 0; i < 32; i++)
    buf[i] = 31 - i;
  g_assert_cmphex (nav_sctp_crc32c_update (0, buf, 32), ==, 0x113fdb5c);
  /* The CRC-32C check value. */
  g_assert_cmphex (nav_sctp_crc32c_update (0, (const guint8 *) "123456789", 9), ==, 0xe3069283);
  /* Incremental equals whole. */
  g_assert_cmphex (nav_sctp_crc32c_update (nav_sctp_crc32c_update (0, (const guint8 *) "1234", 4),
                                           (const guint8 *) "56789", 5), ==, 0xe3069283);
  g_test_message ("CRC32c: %s", nav_sctp_crc32c_is_accelerated () ? "SSE4.2" : "table");
}

static void
test_crc32c_paths_agree (void)
{
  GRand *r = g_rand_new_with_seed (7);
  guint8 *buf = g_malloc (4096 + 16);

  for (guint i = 0; i < 4096 + 16; i++)
    buf[i] = g_rand_int (r);
  for (guint off = 0; off < 16; off++)
    for (guint len = 0; len < 300; len++)
      g_assert_cmphex (nav_sctp_crc32c_update (0, buf + off, len), ==,
                       nav_sctp_crc32c_update_table (0, buf + off, len));
  for (guint k = 0; k < 200; k++)
    {
      guint off = g_rand_int_range (r, 0, 16);
      guint len = g_rand_int_range (r, 0, 4096);

      g_assert_cmphex (nav_sctp_crc32c_update (0, buf + off, len), ==,
                       nav_sctp_crc32c_update_table (0, buf + off, len));
    }
  g_free (buf);
  g_rand_free (r);
}

static gsize
build_packet (guint8       *buf,
              gsize         cap,
              guint8        type,
              const guint8 *value,
              gsize         len,
              gboolean      checksum)
{
  NavSctpWriter w;
  guint8 *v;

  nav_sctp_writer_init (&w, buf, cap, 5000, 5000, 0x01020304);
  v = nav_sctp_writer_add_chunk (&w, type, 0, len);
  g_assert_nonnull (v);
  memcpy (v, value, len);
  return nav_sctp_writer_finish (&w, checksum);
}

static void
test_checksum (void)
{
  guint8 buf[64];
  guint8 v[5] = { 1, 2, 3, 4, 5 };
  gsize len = build_packet (buf, sizeof buf, NAV_SCTP_CHUNK_HEARTBEAT, v, 5, TRUE);
  NavSctpCommonHeader h;

  /* Padded to four bytes, the length field unpadded. */
  g_assert_cmpuint (len, ==, 12 + 12);
  g_assert_cmpuint (nav_sctp_get16 (buf + 14), ==, 9);
  g_assert_true (nav_sctp_common_header_parse (buf, len, &h));
  g_assert_cmpuint (h.vtag, ==, 0x01020304);
  g_assert_true (nav_sctp_packet_checksum_ok (buf, len, FALSE));
  buf[20] ^= 0x10;
  g_assert_false (nav_sctp_packet_checksum_ok (buf, len, FALSE));
  g_assert_false (nav_sctp_packet_checksum_ok (buf, len, TRUE));
  /* RFC 9653: zero, only where accepted. */
  len = build_packet (buf, sizeof buf, NAV_SCTP_CHUNK_HEARTBEAT, v, 5, FALSE);
  g_assert_cmpuint (buf[8] | buf[9] | buf[10] | buf[11], ==, 0);
  g_assert_false (nav_sctp_packet_checksum_ok (buf, len, FALSE));
  g_assert_true (nav_sctp_packet_checksum_ok (buf, len, TRUE));
  g_assert_false (nav_sctp_common_header_parse (buf, 15, &h));
}

static NavSctpTlvResult
first_chunk (const guint8 *p,
             gsize         len,
             NavSctpTlv   *c)
{
  NavSctpTlvIter it;

  nav_sctp_chunk_iter_init (&it, p, len);
  return nav_sctp_tlv_iter_next (&it, c);
}

static void
test_tlv_lengths (void)
{
  guint8 p[40] = { 0 };
  NavSctpTlv c;
  NavSctpTlvIter it;

  /* A chunk of length 0, 3, beyond the packet. */
  p[12] = 4;
  nav_sctp_put16 (p + 14, 0);
  g_assert_cmpint (first_chunk (p, 20, &c), ==, NAV_SCTP_TLV_MALFORMED);
  nav_sctp_put16 (p + 14, 3);
  g_assert_cmpint (first_chunk (p, 20, &c), ==, NAV_SCTP_TLV_MALFORMED);
  nav_sctp_put16 (p + 14, 9);
  g_assert_cmpint (first_chunk (p, 20, &c), ==, NAV_SCTP_TLV_MALFORMED);
  /* The last chunk's padding may be missing. */
  nav_sctp_put16 (p + 14, 7);
  nav_sctp_chunk_iter_init (&it, p, 19);
  g_assert_cmpint (nav_sctp_tlv_iter_next (&it, &c), ==, NAV_SCTP_TLV_OK);
  g_assert_cmpuint (c.value_len, ==, 3);
  g_assert_cmpint (nav_sctp_tlv_iter_next (&it, &c), ==, NAV_SCTP_TLV_END);
  /* Three trailing bytes: padding if zero, garbage otherwise. */
  nav_sctp_put16 (p + 14, 4);
  nav_sctp_chunk_iter_init (&it, p, 19);
  g_assert_cmpint (nav_sctp_tlv_iter_next (&it, &c), ==, NAV_SCTP_TLV_OK);
  g_assert_cmpint (nav_sctp_tlv_iter_next (&it, &c), ==, NAV_SCTP_TLV_END);
  p[17] = 1;
  nav_sctp_chunk_iter_init (&it, p, 19);
  g_assert_cmpint (nav_sctp_tlv_iter_next (&it, &c), ==, NAV_SCTP_TLV_OK);
  g_assert_cmpint (nav_sctp_tlv_iter_next (&it, &c), ==, NAV_SCTP_TLV_MALFORMED);
}

static NavSctpTlv
tlv (guint8        type,
     guint8        flags,
     const guint8 *value,
     gsize         len)
{
  NavSctpTlv t = { .type = type, .flags = flags, .length = 4 + len, .value = value, .value_len = len };

  return t;
}

static void
test_chunk_readers (void)
{
  guint8 v[64] = { 0 };
  NavSctpTlv t;
  NavSctpData d;
  NavSctpSack s;
  NavSctpForwardTsn f;
  NavSctpInit init;

  /* DATA: 12 bytes of header at least; the payload after it. */
  t = tlv (NAV_SCTP_CHUNK_DATA, NAV_SCTP_DATA_B | NAV_SCTP_DATA_E, v, 11);
  g_assert_false (nav_sctp_data_parse (&t, &d));
  nav_sctp_put32 (v, 77);
  nav_sctp_put16 (v + 4, 9);
  nav_sctp_put16 (v + 6, 3);
  nav_sctp_put32 (v + 8, 51);
  t = tlv (NAV_SCTP_CHUNK_DATA, NAV_SCTP_DATA_B | NAV_SCTP_DATA_E, v, 15);
  g_assert_true (nav_sctp_data_parse (&t, &d));
  g_assert_cmpuint (d.tsn, ==, 77);
  g_assert_cmpuint (d.stream_id, ==, 9);
  g_assert_cmpuint (d.ssn, ==, 3);
  g_assert_cmpuint (d.ppid, ==, 51);
  g_assert_cmpuint (d.payload_len, ==, 3);
  g_assert_false (d.idata);

  /* I-DATA: the PPID on the first fragment, the FSN on the others. */
  nav_sctp_put32 (v + 8, 1000);
  nav_sctp_put32 (v + 12, 5);
  t = tlv (NAV_SCTP_CHUNK_I_DATA, 0, v, 15);
  g_assert_false (nav_sctp_data_parse (&t, &d));
  t = tlv (NAV_SCTP_CHUNK_I_DATA, 0, v, 20);
  g_assert_true (nav_sctp_data_parse (&t, &d));
  g_assert_cmpuint (d.mid, ==, 1000);
  g_assert_cmpuint (d.fsn, ==, 5);
  g_assert_cmpuint (d.payload_len, ==, 4);
  t = tlv (NAV_SCTP_CHUNK_I_DATA, NAV_SCTP_DATA_B, v, 20);
  g_assert_true (nav_sctp_data_parse (&t, &d));
  g_assert_cmpuint (d.fsn, ==, 0);
  g_assert_cmpuint (d.ppid, ==, 5);
  t = tlv (NAV_SCTP_CHUNK_SACK, 0, v, 20);
  g_assert_false (nav_sctp_data_parse (&t, &d));

  /* SACK: the counts must fit the chunk. */
  memset (v, 0, sizeof v);
  nav_sctp_put16 (v + 8, 2);
  nav_sctp_put16 (v + 10, 1);
  t = tlv (NAV_SCTP_CHUNK_SACK, 0, v, 12 + 8);
  g_assert_false (nav_sctp_sack_parse (&t, &s));
  t = tlv (NAV_SCTP_CHUNK_SACK, 0, v, 12 + 12);
  g_assert_true (nav_sctp_sack_parse (&t, &s));
  nav_sctp_put16 (v + 8, 0xffff);
  g_assert_false (nav_sctp_sack_parse (&t, &s));
  t = tlv (NAV_SCTP_CHUNK_SACK, 0, v, 11);
  g_assert_false (nav_sctp_sack_parse (&t, &s));

  /* FORWARD-TSN: whole entries only. */
  t = tlv (NAV_SCTP_CHUNK_FORWARD_TSN, 0, v, 4 + 6);
  g_assert_false (nav_sctp_forward_tsn_parse (&t, &f));
  t = tlv (NAV_SCTP_CHUNK_FORWARD_TSN, 0, v, 4 + 8);
  g_assert_true (nav_sctp_forward_tsn_parse (&t, &f));
  g_assert_cmpuint (f.n_entries, ==, 2);
  t = tlv (NAV_SCTP_CHUNK_I_FORWARD_TSN, 0, v, 4 + 12);
  g_assert_false (nav_sctp_forward_tsn_parse (&t, &f));
  t = tlv (NAV_SCTP_CHUNK_I_FORWARD_TSN, 0, v, 4 + 16);
  g_assert_true (nav_sctp_forward_tsn_parse (&t, &f));
  g_assert_cmpuint (f.n_entries, ==, 2);
  t = tlv (NAV_SCTP_CHUNK_FORWARD_TSN, 0, v, 3);
  g_assert_false (nav_sctp_forward_tsn_parse (&t, &f));

  /* INIT: 16 bytes of fixed fields. */
  t = tlv (NAV_SCTP_CHUNK_INIT, 0, v, 15);
  g_assert_false (nav_sctp_init_parse (&t, &init));
  t = tlv (NAV_SCTP_CHUNK_INIT, 0, v, 16);
  g_assert_true (nav_sctp_init_parse (&t, &init));
  g_assert_cmpuint (init.params_len, ==, 0);
}

static void
test_reconfig_readers (void)
{
  guint8 v[32] = { 0 };
  NavSctpTlv p = { .type = NAV_SCTP_PARAM_OUTGOING_RESET, .value = v };
  NavSctpOutgoingReset r;
  NavSctpReconfigResponse resp;

  p.value_len = 11;
  g_assert_false (nav_sctp_outgoing_reset_parse (&p, &r));
  p.value_len = 13;
  g_assert_false (nav_sctp_outgoing_reset_parse (&p, &r));
  nav_sctp_put16 (v + 12, 7);
  p.value_len = 14;
  g_assert_true (nav_sctp_outgoing_reset_parse (&p, &r));
  g_assert_cmpuint (r.n_streams, ==, 1);
  g_assert_cmpuint (nav_sctp_get16 (r.streams), ==, 7);
  p.type = NAV_SCTP_PARAM_RECONFIG_RESPONSE;
  g_assert_false (nav_sctp_reconfig_response_parse (&p, &resp));
  p.value_len = 8;
  g_assert_true (nav_sctp_reconfig_response_parse (&p, &resp));
  p.value_len = 16;
  g_assert_true (nav_sctp_reconfig_response_parse (&p, &resp));
}

static void
test_writer_room (void)
{
  guint8 buf[64];
  NavSctpWriter w;

  nav_sctp_writer_init (&w, buf, 61, 1, 2, 3);
  /* 61 bytes: 60 usable, 12 of header, 4 of chunk header. */
  g_assert_cmpuint (nav_sctp_writer_room (&w), ==, 44);
  g_assert_null (nav_sctp_writer_add_chunk (&w, 1, 0, 45));
  g_assert_nonnull (nav_sctp_writer_add_chunk (&w, 1, 0, 41));
  g_assert_cmpuint (nav_sctp_writer_room (&w), ==, 0);
  g_assert_null (nav_sctp_writer_add_chunk (&w, 1, 0, 0));
  g_assert_cmpuint (nav_sctp_writer_finish (&w, TRUE), ==, 60);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sctp/packet/crc32c-vectors", test_crc32c_vectors);
  g_test_add_func ("/sctp/packet/crc32c-paths-agree", test_crc32c_paths_agree);
  g_test_add_func ("/sctp/packet/checksum", test_checksum);
  g_test_add_func ("/sctp/packet/tlv-lengths", test_tlv_lengths);
  g_test_add_func ("/sctp/packet/chunk-readers", test_chunk_readers);
  g_test_add_func ("/sctp/packet/reconfig-readers", test_reconfig_readers);
  g_test_add_func ("/sctp/packet/writer-room", test_writer_room);
  return g_test_run ();
}
