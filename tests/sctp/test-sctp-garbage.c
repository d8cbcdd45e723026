/* test-sctp-garbage.c: an established SCTP association under garbage and
 * hostile packets
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The packets are injected into B as if A had sent them: A's ports, the
 * verification tag A uses, a correct checksum (unless the test breaks
 * it).  Every one is dropped or answered as RFC 9260 says, never crashes,
 * and never makes B hold more memory than its bounds: after each, B is
 * still established and still carries a message.
 */
#include "config.h"

#include <string.h>

#include "sctp-link.h"
#include "nav-sctp-crc32c.h"
#include "nav-sctp-packet.h"

#define SEC G_GINT64_CONSTANT (1000000)
#define MS G_GINT64_CONSTANT (1000)

typedef struct {
  SctpWorld *w;
  guint32 b_tag;                /* B's verification tag: on A's packets */
  guint32 a_tag;                /* A's: on B's packets */
  guint32 next_tsn;             /* the TSN A uses next */
} Fixture;

static void
chunk (GByteArray   *out,
       guint8        type,
       guint8        flags,
       const guint8 *value,
       gsize         len)
{
  guint8 h[4] = { type, flags, (4 + len) >> 8, (4 + len) & 0xff };
  static const guint8 pad[3] = { 0, 0, 0 };

  g_byte_array_append (out, h, 4);
  if (len > 0)
    g_byte_array_append (out, value, len);
  g_byte_array_append (out, pad, nav_sctp_pad4 (len) - len);
}

static void
data_chunk (GByteArray   *out,
            guint8        flags,
            guint32       tsn,
            guint16       sid,
            guint16       ssn,
            const guint8 *payload,
            gsize         len)
{
  guint8 *v = g_malloc (12 + len);

  nav_sctp_put32 (v, tsn);
  nav_sctp_put16 (v + 4, sid);
  nav_sctp_put16 (v + 6, ssn);
  nav_sctp_put32 (v + 8, 53);
  if (len > 0)
    memcpy (v + 12, payload, len);
  chunk (out, NAV_SCTP_CHUNK_DATA, flags, v, 12 + len);
  g_free (v);
}

static void
idata_chunk (GByteArray   *out,
             guint8        flags,
             guint32       tsn,
             guint16       sid,
             guint32       mid,
             guint32       fsn,
             const guint8 *payload,
             gsize         len)
{
  guint8 *v = g_malloc0 (16 + len);

  nav_sctp_put32 (v, tsn);
  nav_sctp_put16 (v + 4, sid);
  nav_sctp_put32 (v + 8, mid);
  nav_sctp_put32 (v + 12, (flags & NAV_SCTP_DATA_B) ? 53 : fsn);
  if (len > 0)
    memcpy (v + 16, payload, len);
  chunk (out, NAV_SCTP_CHUNK_I_DATA, flags, v, 16 + len);
  g_free (v);
}

static void
inject_raw (Fixture      *f,
            const guint8 *p,
            gsize         len)
{
  sctp_end_inject (&f->w->b, p, len);
}

/* A packet from "A" with the given chunks. */
static void
inject (Fixture          *f,
        const GByteArray *chunks)
{
  GBytes *p = sctp_packet_build (f->b_tag, chunks->data, chunks->len);

  inject_raw (f, g_bytes_get_data (p, NULL), g_bytes_get_size (p));
  g_bytes_unref (p);
}

static guint32
last_data_tsn (SctpEnd *e)
{
  guint32 tsn = 0;

  for (guint i = 0; i < e->wire->len; i++)
    {
      gsize len;
      const guint8 *p = g_bytes_get_data (e->wire->pdata[i], &len);
      NavSctpTlvIter it;
      NavSctpTlv c;

      nav_sctp_chunk_iter_init (&it, p, len);
      while (nav_sctp_tlv_iter_next (&it, &c) == NAV_SCTP_TLV_OK)
        if (c.type == NAV_SCTP_CHUNK_DATA || c.type == NAV_SCTP_CHUNK_I_DATA)
          tsn = nav_sctp_get32 (c.value);
    }
  return tsn;
}

/* Chunks of @type @e sent (captured, even where its link lost them). */
static guint
count_sent_chunks (SctpEnd *e,
                   guint8   type)
{
  guint n = 0;

  for (guint i = 0; i < e->wire->len; i++)
    {
      gsize len;
      const guint8 *p = g_bytes_get_data (e->wire->pdata[i], &len);
      NavSctpTlvIter it;
      NavSctpTlv c;

      nav_sctp_chunk_iter_init (&it, p, len);
      while (nav_sctp_tlv_iter_next (&it, &c) == NAV_SCTP_TLV_OK)
        n += c.type == type;
    }
  return n;
}

static void
fixture_setup (Fixture  *f,
               gboolean  interleaving)
{
  NavSctpOptions o;
  GBytes *m = sctp_payload (1, 100);

  nav_sctp_options_init (&o);
  o.enable_interleaving = interleaving;
  o.receive_buffer = 256 * 1024;
  f->w = sctp_world_new (17, &o, &o);
  f->w->a.capture = f->w->b.capture = TRUE;
  g_assert_true (sctp_world_connect (f->w, FALSE));
  g_assert_true (nav_sctp_association_send_bytes (f->w->a.assoc, 0, 53, m, NULL, NULL));
  g_assert_true (nav_sctp_association_send_bytes (f->w->b.assoc, 0, 53, m, NULL, NULL));
  sctp_world_run_for (f->w, SEC);
  g_bytes_unref (m);
  f->b_tag = sctp_end_wire_tag (&f->w->a);
  f->a_tag = sctp_end_wire_tag (&f->w->b);
  f->next_tsn = last_data_tsn (&f->w->a) + 1;
  g_assert_cmpuint (f->w->b.received->len, ==, 1);
}

static gboolean
b_received (SctpWorld *w,
            gpointer   data)
{
  return w->b.received->len >= GPOINTER_TO_UINT (data);
}

static gboolean
a_received (SctpWorld *w,
            gpointer   data)
{
  return w->a.received->len >= GPOINTER_TO_UINT (data);
}

/* B is still established and messages still go both ways.  A test that
 * forged A's TSNs (B then acknowledges TSNs A never sent, and A would
 * rightly abort) cut B's replies off with fixture_forge(): then B is only
 * checked to stay established and quiet. */
static void
fixture_check_alive (Fixture *f,
                     gboolean both_ways)
{
  GBytes *m = sctp_payload (99, 5000);
  guint nb = f->w->b.received->len, na = f->w->a.received->len;

  g_assert_cmpint (sctp_end_state (&f->w->b), ==, NAV_SCTP_STATE_ESTABLISHED);
  if (!both_ways)
    {
      g_assert_true (f->w->b.link.down);
      sctp_world_run_for (f->w, 5 * SEC);
      g_assert_cmpint (sctp_end_state (&f->w->b), ==, NAV_SCTP_STATE_ESTABLISHED);
      g_bytes_unref (m);
      return;
    }
  g_assert_true (nav_sctp_association_send_bytes (f->w->b.assoc, 1, 53, m, NULL, NULL));
  g_assert_true (sctp_world_run_until (f->w, a_received, GUINT_TO_POINTER (na + 1), 60 * SEC));
  g_assert_true (nav_sctp_association_send_bytes (f->w->a.assoc, 1, 53, m, NULL, NULL));
  g_assert_true (sctp_world_run_until (f->w, b_received, GUINT_TO_POINTER (nb + 1), 60 * SEC));
  g_assert_true (g_bytes_equal (((SctpReceived *) f->w->b.received->pdata[nb])->data, m));
  g_bytes_unref (m);
}

static void
fixture_forge (Fixture *f)
{
  f->w->b.link.down = TRUE;
}

static void
fixture_teardown (Fixture *f)
{
  sctp_world_free (f->w);
}

static guint64
b_dropped (Fixture *f)
{
  NavSctpStats s;

  sctp_end_stats (&f->w->b, &s);
  return s.packets_dropped;
}

/* Injects @chunks; B must abort for breaking the protocol, and A (whose
 * link is up) must hear it. */
static void
inject_expect_abort (Fixture          *f,
                     const GByteArray *chunks)
{
  inject (f, chunks);
  sctp_world_run_for (f->w, SEC);
  g_assert_true (f->w->b.closed);
  g_assert_cmpint (f->w->b.close_reason, ==, NAV_SCTP_CLOSE_PROTOCOL_ERROR);
  g_assert_true (f->w->a.closed);
  g_assert_cmpint (f->w->a.close_reason, ==, NAV_SCTP_CLOSE_ABORTED);
}

/* ---- the common header, the checksum, the tag, the lengths ---- */

static void
test_bad_packets (void)
{
  Fixture f;
  GByteArray *c = g_byte_array_new ();
  GBytes *good;
  guint8 p[64];
  gsize len;
  guint64 dropped;

  fixture_setup (&f, TRUE);
  chunk (c, NAV_SCTP_CHUNK_HEARTBEAT, 0, (const guint8 *) "\0\1\0\10abcd", 8);
  good = sctp_packet_build (f.b_tag, c->data, c->len);
  len = g_bytes_get_size (good);
  dropped = b_dropped (&f);

  /* Truncated at every length. */
  for (gsize n = 0; n < len; n++)
    inject_raw (&f, g_bytes_get_data (good, NULL), n);
  /* A flipped bit anywhere: the checksum fails. */
  for (gsize i = 0; i < len * 8; i++)
    {
      memcpy (p, g_bytes_get_data (good, NULL), len);
      p[i / 8] ^= 1 << (i % 8);
      inject_raw (&f, p, len);
    }
  g_assert_cmpuint (b_dropped (&f) - dropped, ==, len + len * 8);
  /* The wrong verification tag, the wrong ports. */
  {
    GBytes *bad = sctp_packet_build (f.b_tag + 1, c->data, c->len);

    inject_raw (&f, g_bytes_get_data (bad, NULL), g_bytes_get_size (bad));
    g_bytes_unref (bad);
    memcpy (p, g_bytes_get_data (good, NULL), len);
    nav_sctp_put16 (p, 5001);
    {
      guint32 crc = nav_sctp_crc32c_packet (p, len);

      p[8] = crc & 0xff;
      p[9] = (crc >> 8) & 0xff;
      p[10] = (crc >> 16) & 0xff;
      p[11] = crc >> 24;
    }
    inject_raw (&f, p, len);
  }
  g_assert_cmpuint (b_dropped (&f) - dropped, ==, len + len * 8 + 2);
  /* A zero checksum is refused where it was not announced. */
  memcpy (p, g_bytes_get_data (good, NULL), len);
  memset (p + 8, 0, 4);
  inject_raw (&f, p, len);
  g_assert_cmpuint (b_dropped (&f) - dropped, ==, len + len * 8 + 3);
  g_bytes_unref (good);
  g_byte_array_unref (c);
  fixture_check_alive (&f, TRUE);
  fixture_teardown (&f);
}

static void
test_bad_chunk_lengths (void)
{
  Fixture f;
  guint64 dropped;

  fixture_setup (&f, TRUE);
  dropped = b_dropped (&f);
  for (guint16 l = 0; l < 64; l++)
    {
      /* A HEARTBEAT whose length field lies (and one after it). */
      guint8 raw[24] = { NAV_SCTP_CHUNK_HEARTBEAT, 0, l >> 8, l & 0xff, NAV_SCTP_CHUNK_HEARTBEAT, 0, 0, 4,
                         NAV_SCTP_CHUNK_HEARTBEAT, 0, 0, 4 };
      GBytes *p = sctp_packet_build (f.b_tag, raw, 12);

      inject_raw (&f, g_bytes_get_data (p, NULL), g_bytes_get_size (p));
      g_bytes_unref (p);
    }
  /* Lengths below 4 or beyond the 12 bytes there are refused: 4 of 0–3,
   * and 13–63. */
  g_assert_cmpuint (b_dropped (&f) - dropped, ==, 4 + 51);
  fixture_check_alive (&f, TRUE);
  fixture_teardown (&f);
}

/* INIT, INIT ACK and SHUTDOWN COMPLETE travel alone (§6.10): a packet
 * that bundles one is dropped whole, the DATA in it too. */
static void
test_forbidden_bundles (void)
{
  Fixture f;
  guint8 payload[10] = { 0 };
  guint8 init[16] = { 0, 0, 0, 9, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1 };
  guint types[] = { NAV_SCTP_CHUNK_INIT, NAV_SCTP_CHUNK_INIT_ACK, NAV_SCTP_CHUNK_SHUTDOWN_COMPLETE };
  guint64 dropped;

  fixture_setup (&f, FALSE);
  dropped = b_dropped (&f);
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    for (guint order = 0; order < 2; order++)
      {
        GByteArray *c = g_byte_array_new ();

        if (order == 0)
          data_chunk (c, NAV_SCTP_DATA_B | NAV_SCTP_DATA_E, f.next_tsn, 0, 1, payload, sizeof payload);
        chunk (c, types[i], 0, init, types[i] == NAV_SCTP_CHUNK_SHUTDOWN_COMPLETE ? 0 : sizeof init);
        if (order == 1)
          data_chunk (c, NAV_SCTP_DATA_B | NAV_SCTP_DATA_E, f.next_tsn, 0, 1, payload, sizeof payload);
        inject (&f, c);
        g_byte_array_unref (c);
      }
  g_assert_cmpuint (b_dropped (&f) - dropped, ==, 6);
  g_assert_cmpuint (f.w->b.received->len, ==, 1);
  fixture_check_alive (&f, TRUE);
  fixture_teardown (&f);
}

/* §3.2: an unknown chunk type's upper two bits decide. */
static void
test_unknown_chunks (void)
{
  static const struct {
    guint8 type;
    gboolean goes_on;
    gboolean reported;
  } cases[] = {
    { 0x3e, FALSE, FALSE },
    { 0x7e, FALSE, TRUE },
    { 0xbe, TRUE, FALSE },
    { 0xfe, TRUE, TRUE },
  };
  Fixture f;

  fixture_setup (&f, FALSE);
  fixture_forge (&f);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GByteArray *c = g_byte_array_new ();
      guint8 payload[4] = { 1, 2, 3, (guint8) i };
      guint before = f.w->b.received->len;
      guint errors = count_sent_chunks (&f.w->b, NAV_SCTP_CHUNK_ERROR);

      chunk (c, cases[i].type, 0, payload, 4);
      data_chunk (c, NAV_SCTP_DATA_B | NAV_SCTP_DATA_E | NAV_SCTP_DATA_U, f.next_tsn, 0, 0, payload, 4);
      inject (&f, c);
      g_byte_array_unref (c);
      sctp_world_run_for (f.w, SEC);
      if (cases[i].goes_on)
        {
          g_assert_cmpuint (f.w->b.received->len, ==, before + 1);
          f.next_tsn++;
        }
      else
        g_assert_cmpuint (f.w->b.received->len, ==, before);
      g_assert_cmpuint (count_sent_chunks (&f.w->b, NAV_SCTP_CHUNK_ERROR), ==, errors + (cases[i].reported ? 1 : 0));
    }
  fixture_check_alive (&f, FALSE);
  fixture_teardown (&f);
}

/* ---- hostile SACKs to B as a sender ---- */

static void
test_hostile_sacks (void)
{
  Fixture f;
  GBytes *m = sctp_payload (5, 64 * 1024);

  fixture_setup (&f, FALSE);
  /* B has data in flight (A's link is down: no real SACK interferes). */
  f.w->a.link.down = TRUE;
  g_assert_true (nav_sctp_association_send_bytes (f.w->b.assoc, 0, 53, m, NULL, NULL));
  {
    guint32 first = last_data_tsn (&f.w->b);
    guint32 cum = first - 20;   /* below the message's fragments */
    GRand *r = g_rand_new_with_seed (3);

    for (guint round = 0; round < 2000; round++)
      {
        GByteArray *c = g_byte_array_new ();
        guint n = g_rand_int_range (r, 0, 300);
        guint8 *v = g_malloc0 (12 + 4 * n);

        /* An old cumulative ack with garbage gap blocks: out of order,
         * overlapping, reversed, beyond anything sent, huge. */
        nav_sctp_put32 (v, cum);
        nav_sctp_put32 (v + 4, g_rand_int (r));
        nav_sctp_put16 (v + 8, n);
        nav_sctp_put16 (v + 10, 0);
        for (guint i = 0; i < n; i++)
          {
            nav_sctp_put16 (v + 12 + 4 * i, g_rand_int_range (r, 0, 80));
            nav_sctp_put16 (v + 14 + 4 * i, g_rand_int_range (r, 0, 80) * (round % 7 == 0 ? 1000 : 1));
          }
        chunk (c, NAV_SCTP_CHUNK_SACK, 0, v, 12 + 4 * n);
        inject (&f, c);
        g_free (v);
        g_byte_array_unref (c);
        /* Claimed counts beyond the chunk. */
        c = g_byte_array_new ();
        v = g_malloc0 (12);
        nav_sctp_put32 (v, cum);
        nav_sctp_put16 (v + 8, 0xffff);
        nav_sctp_put16 (v + 10, 0xffff);
        chunk (c, NAV_SCTP_CHUNK_SACK, 0, v, 12);
        inject (&f, c);
        g_free (v);
        g_byte_array_unref (c);
      }
    g_rand_free (r);
  }
  g_assert_cmpint (sctp_end_state (&f.w->b), ==, NAV_SCTP_STATE_ESTABLISHED);
  /* The real SACKs still work: the message arrives whole. */
  f.w->a.link.down = FALSE;
  g_assert_true (sctp_world_run_until (f.w, a_received, GUINT_TO_POINTER (2), 120 * SEC));
  g_assert_true (g_bytes_equal (((SctpReceived *) f.w->a.received->pdata[1])->data, m));
  g_bytes_unref (m);
  fixture_check_alive (&f, TRUE);
  fixture_teardown (&f);
}

/* A SACK for a TSN never sent breaks the protocol: ABORT (§6.2.1). */
static void
test_sack_beyond_sent (void)
{
  Fixture f;
  GByteArray *c = g_byte_array_new ();
  guint8 v[12] = { 0 };

  fixture_setup (&f, FALSE);
  nav_sctp_put32 (v, last_data_tsn (&f.w->b) + 1000);
  nav_sctp_put32 (v + 4, 100000);
  chunk (c, NAV_SCTP_CHUNK_SACK, 0, v, 12);
  inject_expect_abort (&f, c);
  g_byte_array_unref (c);
  fixture_teardown (&f);
}

/* ---- hostile DATA ---- */

static void
test_tsn_outside_window (void)
{
  Fixture f;
  guint8 payload[100] = { 0 };
  NavSctpStats before, after;

  fixture_setup (&f, FALSE);
  sctp_end_stats (&f.w->b, &before);
  for (guint i = 0; i < 100; i++)
    {
      GByteArray *c = g_byte_array_new ();

      /* Far ahead, and far behind (already "received"). */
      data_chunk (c, NAV_SCTP_DATA_B | NAV_SCTP_DATA_E, f.next_tsn + 70000 + i * 1000000, 0, 1, payload, 100);
      data_chunk (c, NAV_SCTP_DATA_B | NAV_SCTP_DATA_E, f.next_tsn - 100 - i, 0, 1, payload, 100);
      inject (&f, c);
      g_byte_array_unref (c);
    }
  sctp_end_stats (&f.w->b, &after);
  g_assert_cmpuint (after.chunks_dropped - before.chunks_dropped, ==, 100);
  g_assert_cmpuint (after.duplicate_tsns - before.duplicate_tsns, ==, 100);
  g_assert_cmpuint (after.receive_held, ==, 0);
  g_assert_cmpuint (f.w->b.received->len, ==, 1);
  fixture_check_alive (&f, TRUE);
  fixture_teardown (&f);
}

/* Fragments that never complete: held up to the window (twice it, for
 * what fills holes), no further, whatever their number and size. */
static void
run_reassembly_flood (gboolean idata,
                      gsize    frag_len)
{
  Fixture f;
  guint8 *payload = g_malloc0 (frag_len);
  NavSctpStats s;
  gsize max_held = 0;
  /* Enough fragments for twice the window and more, on a span of TSNs
   * the window bound (65000) allows. */
  gsize window = 256 * 1024 + 4 * 1200;
  guint n = (guint) MIN (64000, 4 * window / (frag_len + 64) + 1000);

  fixture_setup (&f, idata);
  fixture_forge (&f);
  for (guint i = 0; i < n; i++)
    {
      GByteArray *c = g_byte_array_new ();
      /* First every other TSN upwards, then the holes between them; never
       * the next expected one: nothing completes, nothing is delivered. */
      guint half = n / 2;
      guint32 tsn = f.next_tsn + (i < half ? 2 + 2 * i : 3 + 2 * (i - half));

      if (idata)
        idata_chunk (c, 0, tsn, i % 7, i, 1 + i % 5, payload, frag_len);
      else
        data_chunk (c, (i % 3 == 0) ? NAV_SCTP_DATA_B : 0, tsn, i % 7, i % 100, payload, frag_len);
      inject (&f, c);
      g_byte_array_unref (c);
      if (i % 256 == 0)
        {
          sctp_end_stats (&f.w->b, &s);
          max_held = MAX (max_held, s.receive_held);
        }
    }
  sctp_end_stats (&f.w->b, &s);
  max_held = MAX (max_held, s.receive_held);
  g_test_message ("%s, %u fragments of %" G_GSIZE_FORMAT " bytes: at most %" G_GSIZE_FORMAT
                  " bytes held, %" G_GUINT64_FORMAT " chunks dropped",
                  idata ? "I-DATA" : "DATA", n, frag_len, max_held, s.chunks_dropped);
  /* Above the window only what fills holes, up to twice the window (and
   * the growth of the one reassembly buffer the last accepted fragment
   * went into).  The window is the maximum message size and four
   * packets at least. */
  g_assert_cmpuint (max_held, >, window);
  g_assert_cmpuint (max_held, <=, 2 * window + 64 * 1024);
  g_assert_cmpuint (s.receive_window, ==, 0);
  g_assert_cmpuint (f.w->b.received->len, ==, 1);
  g_free (payload);
  /* The forged TSNs are A's next ones: only B → A is checked. */
  fixture_check_alive (&f, FALSE);
  fixture_teardown (&f);
}

static void
test_reassembly_flood (void)
{
  run_reassembly_flood (FALSE, 1000);
  run_reassembly_flood (FALSE, 1);
  run_reassembly_flood (TRUE, 1000);
  run_reassembly_flood (TRUE, 1);
}

/* A message larger than the maximum message size: ABORT, not memory. */
static void
test_oversized_message (void)
{
  Fixture f;
  guint8 *payload = g_malloc0 (1100);
  guint n = 256 * 1024 / 1100 + 2;

  fixture_setup (&f, FALSE);
  fixture_forge (&f);
  for (guint i = 0; i < n && !f.w->b.closed; i++)
    {
      GByteArray *c = g_byte_array_new ();

      data_chunk (c, i == 0 ? NAV_SCTP_DATA_B : 0, f.next_tsn + i, 0, 1, payload, 1100);
      inject (&f, c);
      g_byte_array_unref (c);
      sctp_world_run_for (f.w, MS);
    }
  g_assert_true (f.w->b.closed);
  g_assert_cmpint (f.w->b.close_reason, ==, NAV_SCTP_CLOSE_PROTOCOL_ERROR);
  g_free (payload);
  fixture_teardown (&f);
}

/* §6.2: a DATA chunk without user data aborts. */
static void
test_empty_data (void)
{
  Fixture f;
  GByteArray *c = g_byte_array_new ();

  fixture_setup (&f, FALSE);
  data_chunk (c, NAV_SCTP_DATA_B | NAV_SCTP_DATA_E, f.next_tsn, 0, 1, NULL, 0);
  inject_expect_abort (&f, c);
  g_byte_array_unref (c);
  fixture_teardown (&f);
}

/* The DATA kind not negotiated (RFC 8260 §2.1): ABORT. */
static void
test_wrong_data_kind (void)
{
  for (guint idata = 0; idata < 2; idata++)
    {
      Fixture f;
      GByteArray *c = g_byte_array_new ();
      guint8 payload[8] = { 0 };

      fixture_setup (&f, idata);
      if (idata)
        data_chunk (c, NAV_SCTP_DATA_B | NAV_SCTP_DATA_E, f.next_tsn, 0, 1, payload, 8);
      else
        idata_chunk (c, NAV_SCTP_DATA_B | NAV_SCTP_DATA_E, f.next_tsn, 0, 1, 0, payload, 8);
      inject_expect_abort (&f, c);
      g_byte_array_unref (c);
      fixture_teardown (&f);
    }
}

/* ---- stream resets, cookies, INITs, heartbeats ---- */

static void
test_reset_flood (void)
{
  Fixture f;
  guint32 seq;
  NavSctpStats s;

  fixture_setup (&f, FALSE);
  fixture_forge (&f);
  /* A's requests start at its initial TSN (RFC 6525 §5.1): the first
   * data TSN it used, here next_tsn - 1. */
  seq = f.next_tsn - 1;
  for (guint i = 0; i < 20000; i++)
    {
      GByteArray *c = g_byte_array_new ();
      guint n = 1 + i % 300;
      guint8 *v = g_malloc0 (16 + 2 * n);

      nav_sctp_put16 (v, NAV_SCTP_PARAM_OUTGOING_RESET);
      nav_sctp_put16 (v + 2, 16 + 2 * n);
      /* In sequence, out of sequence, repeated. */
      nav_sctp_put32 (v + 4, i % 5 == 4 ? seq + 1000 : seq);
      nav_sctp_put32 (v + 8, 0);
      /* Performable at once, until one that must wait for TSNs that never
       * come: then every later one is "in progress". */
      nav_sctp_put32 (v + 12, f.next_tsn - 1 + (i == 15000 ? 100 : 0));
      for (guint k = 0; k < n; k++)
        nav_sctp_put16 (v + 16 + 2 * k, (i * 7 + k * 13) % 65535);
      chunk (c, NAV_SCTP_CHUNK_RE_CONFIG, 0, v, 16 + 2 * n);
      inject (&f, c);
      if (i % 5 != 4 && i % 2 == 0)
        seq++;
      g_free (v);
      g_byte_array_unref (c);
    }
  sctp_end_stats (&f.w->b, &s);
  g_assert_cmpuint (s.receive_held, ==, 0);
  /* Performed resets were reported, bounded by the requests. */
  g_assert_cmpuint (f.w->b.reset_incoming->len, >, 0);
  fixture_check_alive (&f, FALSE);
  fixture_teardown (&f);
}

static void
test_forged_cookies (void)
{
  Fixture f;
  GRand *r = g_rand_new_with_seed (9);

  fixture_setup (&f, FALSE);
  for (guint i = 0; i < 2000; i++)
    {
      GByteArray *c = g_byte_array_new ();
      guint8 cookie[76];
      guint len = i % 2 ? 76 : g_rand_int_range (r, 0, 76);

      for (guint k = 0; k < sizeof cookie; k++)
        cookie[k] = g_rand_int (r);
      cookie[0] = 1;
      chunk (c, NAV_SCTP_CHUNK_COOKIE_ECHO, 0, cookie, len);
      inject (&f, c);
      g_byte_array_unref (c);
    }
  g_assert_cmpuint (f.w->b.restarted, ==, 0);
  g_assert_cmpuint (f.w->b.connected, ==, 1);
  g_rand_free (r);
  fixture_check_alive (&f, TRUE);
  fixture_teardown (&f);
}

static void
test_hostile_inits (void)
{
  Fixture f;

  fixture_setup (&f, FALSE);
  for (guint i = 0; i < 200; i++)
    {
      GByteArray *c = g_byte_array_new ();
      guint8 v[64] = { 0 };
      GBytes *p;

      /* Zero tag, zero streams, garbage parameters, and a valid one
       * (a restart attempt without the cookie round trip). */
      nav_sctp_put32 (v, i % 4 == 0 ? 0 : 1000 + i);
      nav_sctp_put32 (v + 4, 65536);
      nav_sctp_put16 (v + 8, i % 4 == 1 ? 0 : 10);
      nav_sctp_put16 (v + 10, 10);
      nav_sctp_put32 (v + 12, i);
      nav_sctp_put16 (v + 16, (guint16) (i * 4099));
      nav_sctp_put16 (v + 18, 4 + i % 40);
      chunk (c, NAV_SCTP_CHUNK_INIT, 0, v, 16 + (i % 4 == 2 ? 48 : 0));
      p = sctp_packet_build (0, c->data, c->len);
      inject_raw (&f, g_bytes_get_data (p, NULL), g_bytes_get_size (p));
      g_bytes_unref (p);
      g_byte_array_unref (c);
    }
  g_assert_cmpuint (f.w->b.restarted, ==, 0);
  g_assert_cmpint (sctp_end_state (&f.w->b), ==, NAV_SCTP_STATE_ESTABLISHED);
  fixture_check_alive (&f, TRUE);
  fixture_teardown (&f);
}

static void
test_heartbeat_flood (void)
{
  Fixture f;
  guint8 *v = g_malloc0 (1100);
  guint64 sent;

  fixture_setup (&f, FALSE);
  sent = f.w->b.packets_sent;
  nav_sctp_put16 (v, NAV_SCTP_PARAM_HEARTBEAT_INFO);
  for (guint i = 0; i < 1000; i++)
    {
      GByteArray *c = g_byte_array_new ();

      /* As many heartbeats as fit: answered, never queued beyond a bound. */
      for (guint k = 0; k < 10; k++)
        {
          nav_sctp_put16 (v + 2, 4 + 100);
          chunk (c, NAV_SCTP_CHUNK_HEARTBEAT, 0, v, 104);
        }
      nav_sctp_put16 (v + 2, 4 + 1000);
      chunk (c, NAV_SCTP_CHUNK_HEARTBEAT, 0, v, 1004);
      inject (&f, c);
      g_byte_array_unref (c);
    }
  /* One packet of answers or so per packet of heartbeats. */
  g_assert_cmpuint (f.w->b.packets_sent - sent, <=, 3000);
  g_free (v);
  fixture_check_alive (&f, TRUE);
  fixture_teardown (&f);
}

/* FORWARD TSNs from a peer that does not abandon anything. */
static void
test_hostile_forward_tsn (void)
{
  Fixture f;
  GRand *r = g_rand_new_with_seed (5);
  NavSctpStats s;

  fixture_setup (&f, TRUE);
  fixture_forge (&f);
  for (guint i = 0; i < 3000; i++)
    {
      GByteArray *c = g_byte_array_new ();
      guint n = g_rand_int_range (r, 0, 100);
      guint8 *v = g_malloc0 (4 + 8 * n + 3);

      nav_sctp_put32 (v, f.next_tsn - 1 + g_rand_int_range (r, -50, 50));
      for (guint k = 0; k < n; k++)
        {
          nav_sctp_put16 (v + 4 + 8 * k, g_rand_int (r));
          nav_sctp_put16 (v + 6 + 8 * k, g_rand_int_range (r, 0, 2));
          nav_sctp_put32 (v + 8 + 8 * k, g_rand_int (r));
        }
      chunk (c, NAV_SCTP_CHUNK_I_FORWARD_TSN, 0, v, 4 + 8 * n);
      /* And one with a length that is not whole entries. */
      chunk (c, NAV_SCTP_CHUNK_I_FORWARD_TSN, 0, v, 4 + 8 * n + 3);
      inject (&f, c);
      g_free (v);
      g_byte_array_unref (c);
    }
  sctp_end_stats (&f.w->b, &s);
  g_assert_cmpuint (s.receive_held, ==, 0);
  g_rand_free (r);
  fixture_check_alive (&f, FALSE);
  fixture_teardown (&f);
}

/* §3.2.1: unknown INIT parameters by their upper two bits: 00 stops, 01
 * stops and reports, 10 skips, 11 skips and reports; reports go back as
 * Unrecognized Parameter in the INIT ACK. */
static void
test_unknown_init_parameters (void)
{
  SctpWorld *w = sctp_world_new (18, NULL, NULL);
  GByteArray *c = g_byte_array_new ();
  GByteArray *v = g_byte_array_new ();
  guint16 types[] = { 0x8123, 0xc124, 0x4125, 0xc126, 0x0127 };
  GBytes *p;
  guint reported[8] = { 0 }, n_reported = 0;

  w->b.capture = TRUE;
  g_byte_array_set_size (v, 16);
  memset (v->data, 0, 16);
  nav_sctp_put32 (v->data, 0x11223344);
  nav_sctp_put32 (v->data + 4, 100000);
  nav_sctp_put16 (v->data + 8, 10);
  nav_sctp_put16 (v->data + 10, 10);
  nav_sctp_put32 (v->data + 12, 1);
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      guint8 *x = nav_sctp_param_append (v, types[i], 4);

      nav_sctp_put32 (x, i);
    }
  chunk (c, NAV_SCTP_CHUNK_INIT, 0, v->data, v->len);
  p = sctp_packet_build (0, c->data, c->len);
  sctp_end_inject (&w->b, g_bytes_get_data (p, NULL), g_bytes_get_size (p));
  g_bytes_unref (p);
  g_assert_cmpuint (w->b.wire->len, ==, 1);
  {
    gsize len;
    const guint8 *pk = g_bytes_get_data (w->b.wire->pdata[0], &len);
    NavSctpTlvIter it;
    NavSctpTlv ch, prm;
    NavSctpInit ack;

    g_assert_cmpuint (nav_sctp_get32 (pk + 4), ==, 0x11223344);
    nav_sctp_chunk_iter_init (&it, pk, len);
    g_assert_cmpint (nav_sctp_tlv_iter_next (&it, &ch), ==, NAV_SCTP_TLV_OK);
    g_assert_cmpuint (ch.type, ==, NAV_SCTP_CHUNK_INIT_ACK);
    g_assert_true (nav_sctp_init_parse (&ch, &ack));
    nav_sctp_param_iter_init (&it, ack.params, ack.params_len);
    while (nav_sctp_tlv_iter_next (&it, &prm) == NAV_SCTP_TLV_OK)
      if (prm.type == NAV_SCTP_PARAM_UNRECOGNIZED && prm.value_len >= 4 && n_reported < 8)
        reported[n_reported++] = nav_sctp_get16 (prm.value);
  }
  /* 0x8123 skipped silently, 0xc124 reported, 0x4125 reported and the
   * end of processing: 0xc126 and 0x0127 never looked at. */
  g_assert_cmpuint (n_reported, ==, 2);
  g_assert_cmphex (reported[0], ==, 0xc124);
  g_assert_cmphex (reported[1], ==, 0x4125);
  g_byte_array_unref (v);
  g_byte_array_unref (c);
  sctp_world_free (w);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sctp/garbage/bad-packets", test_bad_packets);
  g_test_add_func ("/sctp/garbage/bad-chunk-lengths", test_bad_chunk_lengths);
  g_test_add_func ("/sctp/garbage/forbidden-bundles", test_forbidden_bundles);
  g_test_add_func ("/sctp/garbage/unknown-chunks", test_unknown_chunks);
  g_test_add_func ("/sctp/garbage/hostile-sacks", test_hostile_sacks);
  g_test_add_func ("/sctp/garbage/sack-beyond-sent", test_sack_beyond_sent);
  g_test_add_func ("/sctp/garbage/tsn-outside-window", test_tsn_outside_window);
  g_test_add_func ("/sctp/garbage/reassembly-flood", test_reassembly_flood);
  g_test_add_func ("/sctp/garbage/oversized-message", test_oversized_message);
  g_test_add_func ("/sctp/garbage/empty-data", test_empty_data);
  g_test_add_func ("/sctp/garbage/wrong-data-kind", test_wrong_data_kind);
  g_test_add_func ("/sctp/garbage/reset-flood", test_reset_flood);
  g_test_add_func ("/sctp/garbage/forged-cookies", test_forged_cookies);
  g_test_add_func ("/sctp/garbage/hostile-inits", test_hostile_inits);
  g_test_add_func ("/sctp/garbage/heartbeat-flood", test_heartbeat_flood);
  g_test_add_func ("/sctp/garbage/hostile-forward-tsn", test_hostile_forward_tsn);
  g_test_add_func ("/sctp/garbage/unknown-init-parameters", test_unknown_init_parameters);
  return g_test_run ();
}
