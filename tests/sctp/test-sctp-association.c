/* test-sctp-association.c: the SCTP association between two of ours, on a
 * simulated link under virtual time (sctp-link.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Setup (one side and both at once), shutdown, every message size a data
 * channel sends, delivery exactly once and in order under loss,
 * reordering, duplication and delay, partial reliability, a peer that
 * vanishes or aborts, stream resets while data flows, zero window and
 * back-pressure, I-DATA interleaving, and the RTO and congestion window
 * rules of RFC 9260 checked as numbers (throughput and sharing under
 * each congestion control: test-sctp-congestion.c).
 */
#include "config.h"

#include "sctp-link.h"
#include "nav-sctp-packet.h"

#include <string.h>

#define SEC G_GINT64_CONSTANT (1000000)
#define MS G_GINT64_CONSTANT (1000)

/* RFC 8831 §8: WebRTC's PPIDs. */
#define PPID_STRING 51
#define PPID_BINARY 53
#define PPID_STRING_EMPTY 56
#define PPID_BINARY_EMPTY 57

static NavSctpOptions
default_options (void)
{
  NavSctpOptions o;

  nav_sctp_options_init (&o);
  return o;
}

static SctpWorld *
connected_world (guint32               seed,
                 const NavSctpOptions *oa,
                 const NavSctpOptions *ob)
{
  SctpWorld *w = sctp_world_new (seed, oa, ob);

  g_assert_true (sctp_world_connect (w, FALSE));
  g_assert_cmpint (sctp_end_state (&w->a), ==, NAV_SCTP_STATE_ESTABLISHED);
  g_assert_cmpint (sctp_end_state (&w->b), ==, NAV_SCTP_STATE_ESTABLISHED);
  return w;
}

static gboolean
received_count (SctpWorld *w,
                gpointer   data)
{
  return w->b.received->len >= GPOINTER_TO_UINT (data);
}

static gboolean
a_closed_cb (SctpWorld *w,
             gpointer   data)
{
  return w->a.closed;
}

static gboolean
both_closed (SctpWorld *w,
             gpointer   data)
{
  return w->a.closed && w->b.closed;
}


static void
test_setup_and_shutdown (void)
{
  SctpWorld *w = connected_world (1, NULL, NULL);
  NavSctpStats sa, sb;

  g_assert_cmpuint (w->a.connected, ==, 1);
  g_assert_cmpuint (w->b.connected, ==, 1);
  sctp_end_stats (&w->a, &sa);
  sctp_end_stats (&w->b, &sb);
  g_assert_cmpuint (sa.outbound_streams, ==, 65535);
  g_assert_cmpuint (sb.inbound_streams, ==, 65535);
  g_assert_true (sa.interleaving && sb.interleaving);
  g_assert_true (sa.partial_reliability && sa.reconfig);
  g_assert_false (sa.zero_checksum_sending);

  nav_sctp_association_shutdown (w->a.assoc);
  g_assert_true (sctp_world_run_until (w, both_closed, NULL, 10 * SEC));
  g_assert_cmpint (w->a.close_reason, ==, NAV_SCTP_CLOSE_SHUTDOWN);
  g_assert_cmpint (w->b.close_reason, ==, NAV_SCTP_CLOSE_SHUTDOWN);
  g_assert_cmpint (sctp_end_state (&w->a), ==, NAV_SCTP_STATE_CLOSED);
  g_assert_cmpint (sctp_end_state (&w->b), ==, NAV_SCTP_STATE_CLOSED);
  /* Nothing left to time. */
  g_assert_cmpint (nav_sctp_association_get_timeout (w->a.assoc), ==, -1);
  g_assert_cmpint (nav_sctp_association_get_timeout (w->b.assoc), ==, -1);
  sctp_world_free (w);
}

/* Both ends connect at the same moment, as two data channel peers do
 * (RFC 8841): the INITs cross (RFC 9260 §5.2.1, §5.2.4 B/D). */
static void
test_init_collision (void)
{
  for (guint seed = 1; seed <= 8; seed++)
    {
      SctpWorld *w = sctp_world_new (seed, NULL, NULL);
      GBytes *m = sctp_payload (7, 3000);

      w->a.link.delay_us = w->b.link.delay_us = 20 * MS;
      /* Half the runs: B's INIT leaves a little later, so an INIT ACK
       * crosses an INIT. */
      nav_sctp_association_connect (w->a.assoc);
      if (seed % 2 == 0)
        sctp_world_run_for (w, 5 * MS);
      nav_sctp_association_connect (w->b.assoc);
      sctp_world_run_for (w, 2 * SEC);
      g_assert_cmpuint (w->a.connected, ==, 1);
      g_assert_cmpuint (w->b.connected, ==, 1);
      /* The tags agree: data flows both ways. */
      g_assert_true (nav_sctp_association_send_bytes (w->a.assoc, 1, PPID_BINARY, m, NULL, NULL));
      g_assert_true (nav_sctp_association_send_bytes (w->b.assoc, 2, PPID_BINARY, m, NULL, NULL));
      sctp_world_run_for (w, 2 * SEC);
      g_assert_cmpuint (w->a.received->len, ==, 1);
      g_assert_cmpuint (w->b.received->len, ==, 1);
      g_assert_true (g_bytes_equal (((SctpReceived *) w->b.received->pdata[0])->data, m));
      g_bytes_unref (m);
      sctp_world_free (w);
    }
}

static void
send_ok (SctpEnd                  *e,
         guint16                   stream,
         guint32                   ppid,
         GBytes                   *data,
         const NavSctpSendOptions *opts)
{
  GError *error = NULL;

  nav_sctp_association_send_bytes (e->assoc, stream, ppid, data, opts, &error);
  g_assert_no_error (error);
}

/* Every size a data channel sends, fragmented and reassembled. */
static void
test_message_sizes (void)
{
  gsize sizes[] = { 1, 2, 3, 4, 100, 1200 - 28, 1200 - 28 + 1, 1200, 16 * 1024,
                    64 * 1024, 64 * 1024 + 1, 256 * 1024 };
  for (guint interleave = 0; interleave < 2; interleave++)
    {
      NavSctpOptions o = default_options ();
      SctpWorld *w;
      GError *error = NULL;
      guint8 placeholder = 0;

      o.enable_interleaving = interleave;
      w = connected_world (2, &o, &o);

      /* An empty message cannot be sent as such (RFC 9260 §6.2)… */
      g_assert_false (nav_sctp_association_send (w->a.assoc, 0, PPID_STRING_EMPTY, &placeholder, 0, NULL, &error));
      g_assert_error (error, NAV_SCTP_ERROR, NAV_SCTP_ERROR_EMPTY_MESSAGE);
      g_clear_error (&error);
      /* …nor one above the limit. */
      {
        GBytes *big = sctp_payload (0, 256 * 1024 + 1);

        g_assert_false (nav_sctp_association_send_bytes (w->a.assoc, 0, PPID_BINARY, big, NULL, &error));
        g_assert_error (error, NAV_SCTP_ERROR, NAV_SCTP_ERROR_MESSAGE_TOO_LARGE);
        g_clear_error (&error);
        g_bytes_unref (big);
      }
      /* Data channels send an empty message as one placeholder byte with
       * an "empty" PPID (RFC 8831 §6.6). */
      g_assert_true (nav_sctp_association_send (w->a.assoc, 0, PPID_STRING_EMPTY, &placeholder, 1, NULL, &error));
      g_assert_true (nav_sctp_association_send (w->a.assoc, 0, PPID_BINARY_EMPTY, &placeholder, 1, NULL, &error));
      for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
        {
          GBytes *m = sctp_payload (i, sizes[i]);

          send_ok (&w->a, 0, PPID_BINARY, m, NULL);
          g_bytes_unref (m);
        }
      g_assert_true (sctp_world_run_until (w, received_count, GUINT_TO_POINTER (2 + G_N_ELEMENTS (sizes)), 60 * SEC));
      g_assert_cmpuint (((SctpReceived *) w->b.received->pdata[0])->ppid, ==, PPID_STRING_EMPTY);
      g_assert_cmpuint (g_bytes_get_size (((SctpReceived *) w->b.received->pdata[0])->data), ==, 1);
      g_assert_cmpuint (((SctpReceived *) w->b.received->pdata[1])->ppid, ==, PPID_BINARY_EMPTY);
      for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
        {
          SctpReceived *r = w->b.received->pdata[2 + i];
          GBytes *m = sctp_payload (i, sizes[i]);

          g_assert_cmpuint (r->stream_id, ==, 0);
          g_assert_cmpuint (r->ppid, ==, PPID_BINARY);
          g_assert_true (g_bytes_equal (r->data, m));
          g_bytes_unref (m);
        }
      {
        NavSctpStats s;

        sctp_end_stats (&w->a, &s);
        g_assert_cmpint (s.interleaving, ==, interleave);
        g_assert_cmpuint (s.retransmissions, ==, 0);
      }
      sctp_world_free (w);
    }
}


/* ---- traffic under loss, reordering, duplication, delay ---- */

#define N_ORDERED_STREAMS 4
#define N_UNORDERED_STREAMS 2

typedef struct {
  guint n_messages;             /* per direction */
  guint sent[2];                /* a→b, b→a */
  GRand *rand;
  gboolean failed;
} Traffic;

static gsize
traffic_size (GRand *r)
{
  switch (g_rand_int_range (r, 0, 10))
    {
    case 0:
      return g_rand_int_range (r, 4, 16);
    case 1:
      return g_rand_int_range (r, 60 * 1024, 70 * 1024);
    case 2:
    case 3:
      return g_rand_int_range (r, 1100, 3000);
    default:
      return g_rand_int_range (r, 4, 1200);
    }
}

static void
traffic_pump_one (SctpWorld *w,
                  Traffic   *t,
                  SctpEnd   *from,
                  guint      dir)
{
  while (t->sent[dir] < t->n_messages && sctp_end_state (from) == NAV_SCTP_STATE_ESTABLISHED)
    {
      guint n = t->sent[dir];
      guint stream = n % (N_ORDERED_STREAMS + N_UNORDERED_STREAMS);
      NavSctpSendOptions opts = { .unordered = stream >= N_ORDERED_STREAMS, .max_retransmits = -1, .lifetime_ms = -1 };
      /* Per stream sequence in the low bits: the receiver checks order. */
      guint32 id = (stream << 24) | (n / (N_ORDERED_STREAMS + N_UNORDERED_STREAMS));
      GBytes *m = sctp_payload (id, traffic_size (t->rand));
      GError *error = NULL;

      if (!nav_sctp_association_send_bytes (from->assoc, stream, PPID_BINARY, m, &opts, &error))
        {
          g_assert_error (error, NAV_SCTP_ERROR, NAV_SCTP_ERROR_BUFFER_FULL);
          g_error_free (error);
          g_bytes_unref (m);
          return;
        }
      g_bytes_unref (m);
      t->sent[dir]++;
    }
}

static void
traffic_pump (SctpWorld *w,
              gpointer   data)
{
  Traffic *t = data;

  traffic_pump_one (w, t, &w->a, 0);
  traffic_pump_one (w, t, &w->b, 1);
}

static gboolean
traffic_done (SctpWorld *w,
              gpointer   data)
{
  Traffic *t = data;

  return w->b.received->len >= t->n_messages && w->a.received->len >= t->n_messages;
}

/* Every message exactly once, intact; ordered streams in order. */
static void
traffic_check (SctpEnd *receiver,
               guint    n_messages)
{
  guint next[N_ORDERED_STREAMS + N_UNORDERED_STREAMS] = { 0 };
  GHashTable *seen = g_hash_table_new (NULL, NULL);

  g_assert_cmpuint (receiver->received->len, ==, n_messages);
  for (guint i = 0; i < receiver->received->len; i++)
    {
      SctpReceived *r = receiver->received->pdata[i];
      guint32 id;
      guint stream;

      g_assert_true (sctp_payload_check (r->data, &id));
      stream = id >> 24;
      g_assert_cmpuint (stream, ==, r->stream_id);
      g_assert_false (g_hash_table_contains (seen, GUINT_TO_POINTER (id + 1)));
      g_hash_table_add (seen, GUINT_TO_POINTER (id + 1));
      if (stream < N_ORDERED_STREAMS)
        {
          g_assert_false (r->unordered);
          g_assert_cmpuint (id & 0xffffff, ==, next[stream]);
          next[stream]++;
        }
      else
        g_assert_true (r->unordered);
    }
  g_hash_table_unref (seen);
}

typedef struct {
  const gchar *name;
  SctpLinkConfig link;
  guint n_messages;
} TrafficCase;

static void
run_traffic (const TrafficCase *tc,
             gboolean           interleaving,
             guint32            seed)
{
  NavSctpOptions o = default_options ();
  SctpWorld *w;
  Traffic t = { 0 };
  NavSctpStats sa, sb;
  gint64 start;

  o.enable_interleaving = interleaving;
  o.send_buffer = 256 * 1024;
  o.heartbeat_interval_us = 5 * SEC;
  w = sctp_world_new (seed, &o, &o);
  w->a.link = tc->link;
  w->b.link = tc->link;
  /* Setup under the same link: the handshake retransmits too. */
  g_assert_true (sctp_world_connect (w, seed % 2 == 0));
  t.n_messages = tc->n_messages;
  t.rand = g_rand_new_with_seed (seed);
  w->pump = traffic_pump;
  w->pump_data = &t;
  start = w->now;
  traffic_pump (w, &t);
  g_assert_true (sctp_world_run_until (w, traffic_done, &t, 3600 * SEC));
  traffic_check (&w->b, t.n_messages);
  traffic_check (&w->a, t.n_messages);
  sctp_end_stats (&w->a, &sa);
  sctp_end_stats (&w->b, &sb);
  g_test_message ("%s%s seed %u: %u+%u messages in %.1f s virtual; a: %" G_GUINT64_FORMAT " packets, %"
                  G_GUINT64_FORMAT " retransmissions, %" G_GUINT64_FORMAT " fast retransmits, %"
                  G_GUINT64_FORMAT " T3; b: %" G_GUINT64_FORMAT " duplicates",
                  tc->name, interleaving ? " (I-DATA)" : "", seed, t.n_messages, t.n_messages,
                  (w->now - start) / 1e6, sa.packets_sent, sa.retransmissions, sa.fast_retransmits,
                  sa.t3_expirations, sb.duplicate_tsns);
  if (tc->link.loss == 0 && tc->link.duplicate == 0 && tc->link.reorder == 0)
    g_assert_cmpuint (sa.retransmissions, ==, 0);
  g_assert_cmpint (sctp_end_state (&w->a), ==, NAV_SCTP_STATE_ESTABLISHED);
  /* Everything acknowledged in the end: nothing held, nothing in flight. */
  w->pump = NULL;
  sctp_world_run_for (w, 120 * SEC);
  sctp_end_stats (&w->a, &sa);
  sctp_end_stats (&w->b, &sb);
  g_assert_cmpuint (sa.flight_size, ==, 0);
  g_assert_cmpuint (sb.flight_size, ==, 0);
  g_assert_cmpuint (sa.receive_held, ==, 0);
  g_assert_cmpuint (sb.receive_held, ==, 0);
  g_rand_free (t.rand);
  sctp_world_free (w);
}

static const TrafficCase traffic_cases[] = {
  { "clean", { 0 }, 400 },
  { "loss-1", { .loss = 0.01 }, 300 },
  { "loss-5", { .loss = 0.05 }, 300 },
  { "loss-20", { .loss = 0.20 }, 150 },
  { "reorder", { .reorder = 0.2, .reorder_us = 30 * MS, .delay_us = 5 * MS }, 300 },
  { "duplicate", { .duplicate = 0.1, .delay_us = 2 * MS }, 300 },
  { "delay-100ms", { .delay_us = 100 * MS }, 300 },
  { "delay-100ms-loss-5-reorder-dup", { .delay_us = 100 * MS, .loss = 0.05, .reorder = 0.1,
                                        .reorder_us = 40 * MS, .duplicate = 0.05 }, 200 },
};

static void
test_traffic (gconstpointer data)
{
  const TrafficCase *tc = data;

  for (guint32 seed = 1; seed <= 3; seed++)
    {
      run_traffic (tc, TRUE, seed);
      run_traffic (tc, FALSE, seed + 100);
    }
}

/* ---- partial reliability (RFC 3758) ---- */

typedef struct {
  guint n;
  guint sent;
  NavSctpSendOptions opts;
  guint16 stream;
} PrSender;

static void
pr_pump (SctpWorld *w,
         gpointer   data)
{
  PrSender *p = data;

  /* A real-time sender: little queued, so that messages are abandoned
   * for their retransmissions, not for waiting in the queue. */
  while (p->sent < p->n && nav_sctp_association_get_total_buffered_amount (w->a.assoc) < 4096)
    {
      /* Mixed sizes: whole chunks and fragmented messages. */
      gsize len = p->sent % 3 == 0 ? 5000 : 40 + p->sent % 500;
      GBytes *m = sctp_payload (p->sent, len);
      NavSctpSendOptions o = p->opts;
      gboolean ok;

      o.tag = p->sent;
      ok = nav_sctp_association_send_bytes (w->a.assoc, p->stream, PPID_BINARY, m, &o, NULL);
      g_bytes_unref (m);
      if (!ok)
        return;
      p->sent++;
    }
}

static gboolean
pr_settled (SctpWorld *w,
            gpointer   data)
{
  PrSender *p = data;
  NavSctpStats s;

  sctp_end_stats (&w->a, &s);
  return p->sent == p->n && w->b.received->len + w->a.abandoned->len >= p->n && s.flight_size == 0
         && nav_sctp_association_get_total_buffered_amount (w->a.assoc) == 0;
}

static void
run_partial_reliability (gboolean interleaving,
                         gboolean unordered,
                         gint     max_retransmits,
                         gint     lifetime_ms)
{
  NavSctpOptions o = default_options ();
  SctpWorld *w;
  PrSender p = { 0 };
  GHashTable *abandoned = g_hash_table_new (NULL, NULL);
  guint32 last = 0;
  gboolean first = TRUE;
  GBytes *after;

  o.enable_interleaving = interleaving;
  o.send_buffer = 64 * 1024;
  w = connected_world (11, &o, &o);
  /* Data is lost, acknowledgements are not: a message is then either
   * delivered or abandoned, never both. */
  w->a.link.data_loss = 0.2;
  w->a.link.delay_us = 20 * MS;
  w->b.link.delay_us = 20 * MS;
  p.n = 300;
  p.stream = 3;
  p.opts.unordered = unordered;
  p.opts.max_retransmits = max_retransmits;
  p.opts.lifetime_ms = lifetime_ms;
  w->pump = pr_pump;
  w->pump_data = &p;
  pr_pump (w, &p);
  g_assert_true (sctp_world_run_until (w, pr_settled, &p, 600 * SEC));

  g_assert_cmpuint (w->a.abandoned->len, >, 0);
  for (guint i = 0; i < w->a.abandoned->len; i++)
    g_hash_table_add (abandoned, GUINT_TO_POINTER (g_array_index (w->a.abandoned, guint64, i) + 1));
  g_assert_cmpuint (g_hash_table_size (abandoned), ==, w->a.abandoned->len);
  for (guint i = 0; i < w->b.received->len; i++)
    {
      SctpReceived *r = w->b.received->pdata[i];
      guint32 id;

      g_assert_true (sctp_payload_check (r->data, &id));
      g_assert_false (g_hash_table_contains (abandoned, GUINT_TO_POINTER (id + 1)));
      if (!unordered)
        {
          /* In order, gaps where messages were abandoned. */
          g_assert_true (first || id > last);
          last = id;
          first = FALSE;
        }
    }
  g_assert_cmpuint (w->b.received->len + w->a.abandoned->len, ==, p.n);
  g_test_message ("%s%s, max-retransmits %d, lifetime %d ms: %u delivered, %u abandoned",
                  unordered ? "unordered" : "ordered", interleaving ? " I-DATA" : "",
                  max_retransmits, lifetime_ms, w->b.received->len, w->a.abandoned->len);

  /* No stall: the stream and the association carry on, reliably. */
  w->pump = NULL;
  w->a.link.data_loss = 0;
  after = sctp_payload (100000, 3000);
  send_ok (&w->a, p.stream, PPID_BINARY, after, NULL);
  g_assert_true (sctp_world_run_until (w, received_count, GUINT_TO_POINTER (w->b.received->len + 1), 30 * SEC));
  g_assert_true (g_bytes_equal (((SctpReceived *) w->b.received->pdata[w->b.received->len - 1])->data, after));
  g_bytes_unref (after);
  {
    NavSctpStats sa, sb;

    sctp_world_run_for (w, 5 * SEC);
    sctp_end_stats (&w->a, &sa);
    sctp_end_stats (&w->b, &sb);
    g_assert_cmpuint (sa.forward_tsns_sent, >, 0);
    g_assert_cmpuint (sa.flight_size, ==, 0);
    g_assert_cmpuint (sb.receive_held, ==, 0);
  }
  g_hash_table_unref (abandoned);
  sctp_world_free (w);
}

/* A burst of losses across three streams sent at once, one reliable
 * and unordered, one abandoned at its first retransmission, one with a
 * lifetime: the abandoned chunks sit between chunks the peer
 * acknowledged in gap blocks.  Each FORWARD TSN skips the abandoned
 * chunks up to the next acknowledged one (RFC 3758 §3.5 C2), the peer's
 * cumulative ack passes those, and the next FORWARD TSN goes at once;
 * the peer's answers count as answers:
 * the association stays up, every reliable message arrives, every
 * other one arrives or is reported abandoned.  (It used to advance one
 * gap-acknowledged run per T3 timeout, counting each as an error, and
 * fail with the peer answering.) */
static gboolean
has_payload (SctpWorld *w,
             gpointer   data)
{
  for (guint i = 0; i < w->b.received->len; i++)
    {
      guint32 id;

      if (sctp_payload_check (((SctpReceived *) w->b.received->pdata[i])->data, &id) &&
          id == GPOINTER_TO_UINT (data))
        return TRUE;
    }
  return FALSE;
}

static void
run_partial_reliability_mixed (gboolean interleaving,
                               guint32  seed)
{
  NavSctpOptions o = default_options ();
  NavSctpSendOptions reliable = { TRUE, -1, -1, 0 };
  NavSctpSendOptions rexmit = { TRUE, 0, -1, 0 };
  NavSctpSendOptions timed = { FALSE, -1, 150, 0 };
  GHashTable *reliable_ids = g_hash_table_new (NULL, NULL);
  SctpWorld *w;
  guint n = 0;

  o.enable_interleaving = interleaving;
  /* As a data channel over DTLS configures it. */
  o.rto_min_us = 200 * MS;
  o.rto_max_us = 10 * SEC;
  o.mtu = 1160;
  o.zero_checksum = TRUE;
  w = sctp_world_new (seed, &o, &o);
  w->a.link.delay_us = 100;
  w->b.link.delay_us = 100;
  /* Only DATA is lost, only during the burst below. */
  w->a.link.data_loss = 0.6;
  g_assert_true (sctp_world_connect (w, FALSE));
  sctp_world_run_for (w, 10 * MS);
  for (guint32 j = 0; j < 50; j++)
    {
      GBytes *m = sctp_payload (3 * j, 100 + j * 97);
      GBytes *r = sctp_payload (3 * j + 1, 100 + j * 97);
      GBytes *t = sctp_payload (3 * j + 2, 100 + j * 97);

      send_ok (&w->a, 1, PPID_BINARY, m, &reliable);
      send_ok (&w->a, 3, PPID_BINARY, r, &rexmit);
      send_ok (&w->a, 5, PPID_BINARY, t, &timed);
      g_hash_table_add (reliable_ids, GUINT_TO_POINTER (3 * j + 1));
      n += 3;
      g_bytes_unref (m);
      g_bytes_unref (r);
      g_bytes_unref (t);
    }
  /* Most data lost for 2 ms: a window's worth, in runs. */
  sctp_world_run_for (w, 2 * MS);
  w->a.link.data_loss = 0;
  /* The peer catches up at once, not one gap-acknowledged run per T3
   * timeout (each counted as an error): with nothing more sent, the
   * association lives, and an ordered message on the stream with
   * abandoned messages is delivered at once afterwards. */
  sctp_world_run_for (w, 30 * SEC);
  g_assert_false (w->a.closed);
  {
    GBytes *last = sctp_payload (1000, 500);

    send_ok (&w->a, 5, PPID_BINARY, last, &timed);
    g_bytes_unref (last);
    n++;
  }
  g_assert_true (sctp_world_run_until (w, has_payload, GUINT_TO_POINTER (1000), 100 * MS));
  g_assert_false (w->a.closed);
  g_assert_false (w->b.closed);
  /* Every message delivered or reported abandoned (a timed one may be
   * both: delivered, its acknowledgement still on the way). */
  g_assert_cmpuint (w->b.received->len + w->a.abandoned->len, >=, n);
  for (guint i = 0; i < w->b.received->len; i++)
    {
      guint32 id;

      g_assert_true (sctp_payload_check (((SctpReceived *) w->b.received->pdata[i])->data, &id));
      g_hash_table_remove (reliable_ids, GUINT_TO_POINTER (id + 1));
    }
  g_assert_cmpuint (g_hash_table_size (reliable_ids), ==, 0);
  g_test_message ("seed %u%s: %u delivered, %u abandoned", seed, interleaving ? " I-DATA" : "",
                  w->b.received->len, w->a.abandoned->len);
  g_hash_table_unref (reliable_ids);
  sctp_world_free (w);
}

static void
test_partial_reliability_mixed (void)
{
  for (guint32 seed = 1; seed <= 10; seed++)
    {
      run_partial_reliability_mixed (FALSE, seed);
      run_partial_reliability_mixed (TRUE, seed);
    }
}

static void
test_partial_reliability_rtx (void)
{
  for (guint i = 0; i < 4; i++)
    run_partial_reliability (i & 1, (i & 2) != 0, 0, -1);
}

static void
test_partial_reliability_lifetime (void)
{
  for (guint i = 0; i < 4; i++)
    run_partial_reliability (i & 1, (i & 2) != 0, -1, 30);
}

/* ---- a peer that vanishes, or aborts ---- */

static void
test_peer_vanishes_idle (void)
{
  NavSctpOptions o = default_options ();
  SctpWorld *w;
  gint64 start;

  o.heartbeat_interval_us = 5 * SEC;
  w = connected_world (21, &o, &o);
  /* Idle, then the path dies: heartbeats find out. */
  w->a.link.down = w->b.link.down = TRUE;
  start = w->now;
  g_assert_true (sctp_world_run_until (w, (SctpDoneFunc) both_closed, NULL, 3600 * SEC));
  g_assert_cmpint (w->a.close_reason, ==, NAV_SCTP_CLOSE_FAILED);
  g_assert_cmpint (w->b.close_reason, ==, NAV_SCTP_CLOSE_FAILED);
  g_assert_nonnull (strstr (w->a.close_detail, "heartbeat"));
  {
    NavSctpStats s;

    sctp_end_stats (&w->a, &s);
    /* Path.Max.Retrans (5) unanswered heartbeats are tolerated. */
    g_assert_cmpuint (s.heartbeats_sent, ==, 6);
  }
  g_test_message ("heartbeat failure after %.0f s", (w->now - start) / 1e6);
  sctp_world_free (w);
}

static void
test_peer_vanishes_sending (void)
{
  SctpWorld *w = connected_world (22, NULL, NULL);
  GBytes *m = sctp_payload (1, 10000);
  NavSctpStats s;

  w->b.link.down = TRUE;        /* no SACK comes back */
  send_ok (&w->a, 0, PPID_BINARY, m, NULL);
  g_assert_true (sctp_world_run_until (w, (SctpDoneFunc) a_closed_cb, NULL, 3600 * SEC));
  g_assert_cmpint (w->a.close_reason, ==, NAV_SCTP_CLOSE_FAILED);
  sctp_end_stats (&w->a, &s);
  g_assert_cmpuint (s.t3_expirations, ==, 6);
  g_bytes_unref (m);
  sctp_world_free (w);
}

static void
test_abort_received (void)
{
  SctpWorld *w = connected_world (23, NULL, NULL);

  nav_sctp_association_abort (w->b.assoc, "the user closed the window");
  g_assert_cmpint (sctp_end_state (&w->b), ==, NAV_SCTP_STATE_CLOSED);
  g_assert_true (sctp_world_run_until (w, (SctpDoneFunc) a_closed_cb, NULL, 5 * SEC));
  g_assert_cmpint (w->a.close_reason, ==, NAV_SCTP_CLOSE_ABORTED);
  g_assert_nonnull (strstr (w->a.close_detail, "the user closed the window"));
  /* A local abort reports nothing. */
  g_assert_false (w->b.closed);
  sctp_world_free (w);
}

/* ---- stream reset (RFC 6525) ---- */

typedef struct {
  guint sent[2][3];             /* per end, streams 1..3 */
  gboolean stop;
} ResetTraffic;

static void
reset_pump_end (SctpEnd      *e,
                ResetTraffic *t,
                guint         end)
{
  for (guint s = 0; s < 3 && !t->stop; s++)
    for (guint k = 0; k < 4; k++)
      {
        /* The message id carries the stream and a sequence number that
         * starts again after each reset of the stream. */
        guint32 id = ((s + 1) << 24) | t->sent[end][s];
        GBytes *m = sctp_payload (id, 200 + (t->sent[end][s] % 7) * 700);
        GError *error = NULL;

        if (!nav_sctp_association_send_bytes (e->assoc, s + 1, PPID_BINARY, m, NULL, &error))
          {
            g_bytes_unref (m);
            if (g_error_matches (error, NAV_SCTP_ERROR, NAV_SCTP_ERROR_STREAM_RESETTING))
              {
                g_error_free (error);
                break;
              }
            g_assert_error (error, NAV_SCTP_ERROR, NAV_SCTP_ERROR_BUFFER_FULL);
            g_error_free (error);
            return;
          }
        g_bytes_unref (m);
        t->sent[end][s]++;
      }
}

static void
reset_pump (SctpWorld *w,
            gpointer   data)
{
  ResetTraffic *t = data;

  reset_pump_end (&w->a, t, 0);
  reset_pump_end (&w->b, t, 1);
}

static gboolean
resets_done (SctpWorld *w,
             gpointer   data)
{
  return w->a.reset_outgoing->len > 0 && w->b.reset_outgoing->len > 0
         && w->a.reset_incoming->len > 0 && w->b.reset_incoming->len > 0;
}

/* What an end received on one stream: 0, 1, 2, … and, after the reset,
 * 0, 1, 2, … again. */
static void
check_reset_stream (SctpEnd *e,
                    guint16  stream,
                    gboolean was_reset)
{
  guint32 expect = 0;
  guint restarts = 0;

  for (guint i = 0; i < e->received->len; i++)
    {
      SctpReceived *r = e->received->pdata[i];
      guint32 id;

      if (r->stream_id != stream)
        continue;
      g_assert_true (sctp_payload_check (r->data, &id));
      g_assert_cmpuint (id >> 24, ==, stream);
      id &= 0xffffff;
      if (id != expect)
        {
          g_assert_true (was_reset);
          g_assert_cmpuint (id, ==, 0);
          restarts++;
        }
      expect = id + 1;
    }
  g_assert_cmpuint (restarts, <=, 1);
}

static void
test_stream_reset_while_flowing (void)
{
  for (guint32 seed = 31; seed < 35; seed++)
    {
      NavSctpOptions o = default_options ();
      SctpWorld *w;
      ResetTraffic t = { 0 };
      guint16 sa = 1, sb = 2;
      GError *error = NULL;

      o.send_buffer = 64 * 1024;
      o.enable_interleaving = seed % 2;
      w = connected_world (seed, &o, &o);
      w->a.link.loss = w->b.link.loss = 0.05;
      w->a.link.delay_us = w->b.link.delay_us = 10 * MS;
      w->pump = reset_pump;
      w->pump_data = &t;
      reset_pump (w, &t);
      sctp_world_run_for (w, 2 * SEC);
      /* Each end closes one of its streams while data flows on all. */
      g_assert_true (nav_sctp_association_reset_streams (w->a.assoc, &sa, 1, &error));
      g_assert_no_error (error);
      g_assert_true (nav_sctp_association_reset_streams (w->b.assoc, &sb, 1, &error));
      g_assert_no_error (error);
      g_assert_true (sctp_world_run_until (w, resets_done, NULL, 600 * SEC));
      g_assert_cmpuint (w->a.reset_outgoing->len, ==, 1);
      g_assert_cmpuint (g_array_index (w->a.reset_outgoing, guint16, 0), ==, 1);
      g_assert_cmpuint (g_array_index (w->b.reset_incoming, guint16, 0), ==, 1);
      g_assert_cmpuint (g_array_index (w->b.reset_outgoing, guint16, 0), ==, 2);
      g_assert_cmpuint (g_array_index (w->a.reset_incoming, guint16, 0), ==, 2);
      /* Data keeps flowing, on the reset streams too, numbered afresh. */
      sctp_world_run_for (w, 3 * SEC);
      t.stop = TRUE;
      w->a.link.loss = w->b.link.loss = 0;
      sctp_world_run_for (w, 60 * SEC);
      for (guint16 s = 1; s <= 3; s++)
        {
          check_reset_stream (&w->b, s, s == 1);
          check_reset_stream (&w->a, s, s == 2);
        }
      {
        guint total_a = 0, total_b = 0;

        for (guint s = 0; s < 3; s++)
          {
            total_a += t.sent[0][s];
            total_b += t.sent[1][s];
          }
        g_assert_cmpuint (w->b.received->len, ==, total_a);
        g_assert_cmpuint (w->a.received->len, ==, total_b);
      }
      g_assert_cmpuint (w->a.reset_failed + w->b.reset_failed, ==, 0);
      sctp_world_free (w);
    }
}

/* ---- zero window and back-pressure ---- */

typedef struct {
  guint n;
  guint sent;
  guint full;                   /* send() refused: buffer full */
} BulkSender;

static void
bulk_pump (SctpWorld *w,
           gpointer   data)
{
  BulkSender *b = data;

  while (b->sent < b->n)
    {
      GBytes *m = sctp_payload (b->sent, 16 * 1024);
      GError *error = NULL;
      gboolean ok = nav_sctp_association_send_bytes (w->a.assoc, 0, PPID_BINARY, m, NULL, &error);

      g_bytes_unref (m);
      if (!ok)
        {
          g_assert_error (error, NAV_SCTP_ERROR, NAV_SCTP_ERROR_BUFFER_FULL);
          g_error_free (error);
          b->full++;
          return;
        }
      b->sent++;
    }
}

static void
consume_on_message (SctpEnd              *e,
                    const NavSctpMessage *msg,
                    gpointer              data)
{
  nav_sctp_association_consume (e->assoc, msg->len);
}

static void
test_zero_window (void)
{
  NavSctpOptions oa = default_options (), ob = default_options ();
  SctpWorld *w;
  BulkSender b = { .n = 64 };
  NavSctpStats sa, sb;
  guint before;

  oa.send_buffer = 128 * 1024;
  ob.receive_buffer = 64 * 1024;
  ob.max_message_size = 32 * 1024;     /* the window is at least that */
  ob.manual_receive_window = TRUE;
  w = connected_world (41, &oa, &ob);
  w->a.link.delay_us = w->b.link.delay_us = 5 * MS;
  w->pump = bulk_pump;
  w->pump_data = &b;
  bulk_pump (w, &b);
  /* B reads nothing: its window closes, A's buffer fills, send() refuses. */
  sctp_world_run_for (w, 120 * SEC);
  sctp_end_stats (&w->a, &sa);
  sctp_end_stats (&w->b, &sb);
  g_assert_cmpuint (sb.receive_window, ==, 0);
  g_assert_cmpuint (sa.peer_rwnd, ==, 0);
  g_assert_cmpuint (b.full, >, 0);
  g_assert_cmpuint (nav_sctp_association_get_total_buffered_amount (w->a.assoc), >, 0);
  /* At most a window's worth (and a probe) got through. */
  g_assert_cmpuint (w->b.received->len * 16 * 1024, <=, 64 * 1024 + 16 * 1024);
  g_assert_cmpint (sctp_end_state (&w->a), ==, NAV_SCTP_STATE_ESTABLISHED);
  before = w->b.received->len;
  sctp_world_run_for (w, 120 * SEC);
  g_assert_cmpuint (w->b.received->len, ==, before);
  g_assert_cmpint (sctp_end_state (&w->a), ==, NAV_SCTP_STATE_ESTABLISHED);

  /* B reads: what it holds, then everything as it comes. */
  {
    gsize held = 0;

    for (guint i = 0; i < w->b.received->len; i++)
      held += g_bytes_get_size (((SctpReceived *) w->b.received->pdata[i])->data);
    w->b.on_message = consume_on_message;
    nav_sctp_association_consume (w->b.assoc, held);
  }
  g_assert_true (sctp_world_run_until (w, received_count, GUINT_TO_POINTER (b.n), 600 * SEC));
  for (guint i = 0; i < b.n; i++)
    {
      guint32 id;

      g_assert_true (sctp_payload_check (((SctpReceived *) w->b.received->pdata[i])->data, &id));
      g_assert_cmpuint (id, ==, i);
    }
  g_assert_cmpuint (w->a.total_buffered_low, >, 0);
  sctp_world_free (w);
}

/* A receive window grown while the association runs: the peer is told
 * at once (a window update), so a sender stalled on a closed window goes
 * on without B reading anything, up to the new window; a smaller value
 * later changes nothing. */
static void
test_grow_receive_window (void)
{
  NavSctpOptions oa = default_options (), ob = default_options ();
  SctpWorld *w;
  BulkSender b = { .n = 64 };
  NavSctpStats sa, sb;
  guint stalled;

  oa.send_buffer = 2 * 1024 * 1024;
  ob.receive_buffer = 64 * 1024;
  ob.max_message_size = 32 * 1024;
  ob.manual_receive_window = TRUE;
  w = connected_world (43, &oa, &ob);
  w->a.link.delay_us = w->b.link.delay_us = 5 * MS;
  w->pump = bulk_pump;
  w->pump_data = &b;
  bulk_pump (w, &b);
  sctp_world_run_for (w, 30 * SEC);
  sctp_end_stats (&w->b, &sb);
  g_assert_cmpuint (sb.receive_window, ==, 0);
  stalled = w->b.received->len;
  g_assert_cmpuint (stalled * 16 * 1024, <=, 64 * 1024 + 16 * 1024);

  /* Four times the window, read nothing: A sends about 192 KiB more. */
  nav_sctp_association_set_receive_buffer (w->b.assoc, 256 * 1024);
  sctp_world_run_for (w, 5 * SEC);
  sctp_end_stats (&w->a, &sa);
  sctp_end_stats (&w->b, &sb);
  g_assert_cmpuint (w->b.received->len, >=, stalled + 10);
  g_assert_cmpuint (w->b.received->len * 16 * 1024, <=, 256 * 1024 + 16 * 1024);
  g_assert_cmpuint (sb.receive_window, <, 32 * 1024);
  g_assert_cmpuint (sa.peer_rwnd, <, 32 * 1024);

  /* Smaller: ignored (the window B gave stays B's). */
  nav_sctp_association_set_receive_buffer (w->b.assoc, 64 * 1024);
  stalled = w->b.received->len;
  {
    gsize held = 0;

    for (guint i = 0; i < w->b.received->len; i++)
      held += g_bytes_get_size (((SctpReceived *) w->b.received->pdata[i])->data);
    nav_sctp_association_consume (w->b.assoc, held);
  }
  sctp_world_run_for (w, 5 * SEC);
  g_assert_cmpuint (w->b.received->len, >=, stalled + 10);
  g_assert_cmpint (sctp_end_state (&w->a), ==, NAV_SCTP_STATE_ESTABLISHED);
  sctp_world_free (w);
}

/* ---- I-DATA interleaving (RFC 8260) ---- */

static void
test_interleaving (void)
{
  for (guint idata = 0; idata < 2; idata++)
    {
      NavSctpOptions oa = default_options (), ob = default_options ();
      SctpWorld *w;
      GBytes *big = sctp_payload (1, 256 * 1024);
      GBytes *small = sctp_payload (2, 10);
      SctpReceived *first;

      /* Interleaving needs both ends: B alone decides here. */
      ob.enable_interleaving = idata;
      w = connected_world (51, &oa, &ob);
      w->a.link.delay_us = w->b.link.delay_us = 10 * MS;
      send_ok (&w->a, 1, PPID_BINARY, big, NULL);
      send_ok (&w->a, 2, PPID_STRING, small, NULL);
      g_assert_true (sctp_world_run_until (w, received_count, GUINT_TO_POINTER (2), 60 * SEC));
      first = w->b.received->pdata[0];
      /* With I-DATA the small message overtakes the big one; with DATA a
       * message's fragments hold the line. */
      g_assert_cmpuint (first->stream_id, ==, idata ? 2 : 1);
      g_assert_true (g_bytes_equal (first->data, idata ? small : big));
      g_bytes_unref (big);
      g_bytes_unref (small);
      sctp_world_free (w);
    }
}

/* ---- RTO and congestion window, as RFC 9260 computes them ---- */

static gboolean
flight_empty (SctpWorld *w,
              gpointer   data)
{
  NavSctpStats s;

  sctp_end_stats (&w->a, &s);
  return s.flight_size == 0;
}

static void
test_delayed_ack (void)
{
  SctpWorld *w = connected_world (61, NULL, NULL);
  GBytes *m = sctp_payload (1, 100);
  gint64 start;

  /* One packet of data: B acknowledges after 200 ms (§6.2)… */
  sctp_world_run_for (w, SEC);
  start = w->now;
  send_ok (&w->a, 0, PPID_BINARY, m, NULL);
  g_assert_true (sctp_world_run_until (w, flight_empty, NULL, 10 * SEC));
  g_assert_cmpint (w->now - start, ==, 200 * MS);
  /* …two packets: at once. */
  g_bytes_unref (m);
  m = sctp_payload (2, 2000);
  start = w->now;
  send_ok (&w->a, 0, PPID_BINARY, m, NULL);
  g_assert_true (sctp_world_run_until (w, flight_empty, NULL, 10 * SEC));
  g_assert_cmpint (w->now - start, ==, 0);
  g_bytes_unref (m);
  sctp_world_free (w);
}

static void
test_rto (void)
{
  NavSctpOptions o = default_options ();
  SctpWorld *w;
  NavSctpStats s;
  gint64 rto_before;

  /* RFC 9260's window, not the default model's. */
  o.congestion_control = NAV_SCTP_CC_RFC9260;
  o.rto_min_us = 10 * MS;
  w = sctp_world_new (71, &o, &o);
  w->a.link.delay_us = w->b.link.delay_us = 100 * MS;
  g_assert_true (sctp_world_connect (w, FALSE));
  /* Round trips of two packets (acknowledged at once): RTT 200 ms. */
  for (guint i = 0; i < 30; i++)
    {
      GBytes *m = sctp_payload (i, 2000);

      send_ok (&w->a, 0, PPID_BINARY, m, NULL);
      g_bytes_unref (m);
      g_assert_true (sctp_world_run_until (w, flight_empty, NULL, 10 * SEC));
      sctp_world_run_for (w, 50 * MS);
    }
  sctp_end_stats (&w->a, &s);
  g_test_message ("SRTT %" G_GINT64_FORMAT " us, RTO %" G_GINT64_FORMAT " us", s.srtt_us, s.rto_us);
  /* §6.3.1: SRTT converges on the RTT; RTO = SRTT + 4 RTTVAR, RTTVAR
   * shrinking towards G with steady samples. */
  g_assert_cmpint (s.srtt_us, >=, 199 * MS);
  g_assert_cmpint (s.srtt_us, <=, 201 * MS);
  g_assert_cmpint (s.rto_us, >=, s.srtt_us);
  g_assert_cmpint (s.rto_us, <=, s.srtt_us + 40 * MS);

  /* §6.3.3: a T3 expiry doubles RTO, cwnd falls to one MTU (§7.2.3). */
  rto_before = s.rto_us;
  w->a.link.down = TRUE;
  {
    GBytes *m = sctp_payload (99, 3000);
    gsize cwnd_before = s.cwnd;

    send_ok (&w->a, 0, PPID_BINARY, m, NULL);
    g_bytes_unref (m);
    sctp_world_run_for (w, rto_before + MS);
    sctp_end_stats (&w->a, &s);
    g_assert_cmpuint (s.t3_expirations, ==, 1);
    g_assert_cmpint (s.rto_us, ==, 2 * rto_before);
    g_assert_cmpuint (s.cwnd, ==, 1200);
    g_assert_cmpuint (s.ssthresh, ==, MAX (cwnd_before / 2, 4 * 1200));
    g_assert_cmpuint (s.error_count, ==, 1);
  }
  sctp_world_free (w);
}

typedef struct {
  NavSctpStats before;
  NavSctpStats at;
  gboolean seen;
} FastRtxWatch;

static void
fast_rtx_pump (SctpWorld *w,
               gpointer   data)
{
  FastRtxWatch *f = data;
  NavSctpStats s;

  sctp_end_stats (&w->a, &s);
  if (!f->seen && s.fast_retransmits > 0)
    {
      f->at = s;
      f->seen = TRUE;
    }
  if (!f->seen)
    f->before = s;
}

static void
test_fast_retransmit (void)
{
  NavSctpOptions o = default_options ();
  SctpWorld *w;
  FastRtxWatch f = { 0 };
  GBytes *m;

  o.congestion_control = NAV_SCTP_CC_RFC9260;
  o.max_burst = 0;
  w = connected_world (81, &o, &o);
  w->a.link.delay_us = w->b.link.delay_us = 10 * MS;
  /* Grow cwnd first. */
  m = sctp_payload (1, 256 * 1024);
  send_ok (&w->a, 0, PPID_BINARY, m, NULL);
  g_assert_true (sctp_world_run_until (w, flight_empty, NULL, 60 * SEC));
  g_bytes_unref (m);
  /* Then one packet lost in the middle of a burst. */
  w->a.link.drop_data_nth = w->a.data_packets + 20;
  w->pump = fast_rtx_pump;
  w->pump_data = &f;
  fast_rtx_pump (w, &f);
  m = sctp_payload (2, 256 * 1024);
  send_ok (&w->a, 0, PPID_BINARY, m, NULL);
  g_assert_true (sctp_world_run_until (w, received_count, GUINT_TO_POINTER (2), 60 * SEC));
  g_assert_true (f.seen);
  g_test_message ("cwnd %" G_GSIZE_FORMAT " before, ssthresh %" G_GSIZE_FORMAT " and cwnd %" G_GSIZE_FORMAT
                  " after the fast retransmit", f.before.cwnd, f.at.ssthresh, f.at.cwnd);
  /* §7.2.4: ssthresh = max(cwnd/2, 4 MTU), cwnd = ssthresh; the same
   * step may have grown cwnd by at most one MTU before. */
  g_assert_cmpuint (f.at.fast_retransmits, ==, 1);
  g_assert_cmpuint (f.at.ssthresh, >=, MAX (f.before.cwnd / 2, 4 * 1200));
  g_assert_cmpuint (f.at.ssthresh, <=, MAX ((f.before.cwnd + 1200) / 2, 4 * 1200));
  g_assert_cmpuint (f.at.cwnd, ==, f.at.ssthresh);
  g_assert_cmpuint (f.at.t3_expirations, ==, 0);
  g_assert_true (g_bytes_equal (((SctpReceived *) w->b.received->pdata[1])->data, m));
  g_bytes_unref (m);
  sctp_world_free (w);
}

/* ---- zero checksums (RFC 9653) ---- */

static guint
count_zero_checksums (SctpEnd  *e,
                      guint    *handshake_with_crc)
{
  guint zero = 0;

  for (guint i = 0; i < e->wire->len; i++)
    {
      gsize len;
      const guint8 *p = g_bytes_get_data (e->wire->pdata[i], &len);
      guint8 type = p[12];
      gboolean is_zero = (p[8] | p[9] | p[10] | p[11]) == 0;

      if (type == NAV_SCTP_CHUNK_INIT || type == NAV_SCTP_CHUNK_INIT_ACK || type == NAV_SCTP_CHUNK_COOKIE_ECHO)
        {
          /* The handshake always carries a real checksum. */
          g_assert_false (is_zero);
          (*handshake_with_crc)++;
        }
      zero += is_zero;
    }
  return zero;
}

static void
test_zero_checksum (void)
{
  for (guint both = 0; both < 2; both++)
    {
      NavSctpOptions oa = default_options (), ob = default_options ();
      SctpWorld *w;
      NavSctpStats sa, sb;
      guint hs = 0;
      GBytes *m = sctp_payload (3, 20000);

      oa.zero_checksum = TRUE;
      ob.zero_checksum = both;
      w = sctp_world_new (91, &oa, &ob);
      w->a.capture = w->b.capture = TRUE;
      g_assert_true (sctp_world_connect (w, TRUE));
      send_ok (&w->a, 0, PPID_BINARY, m, NULL);
      send_ok (&w->b, 0, PPID_BINARY, m, NULL);
      sctp_world_run_for (w, 2 * SEC);
      g_assert_cmpuint (w->a.received->len, ==, 1);
      g_assert_cmpuint (w->b.received->len, ==, 1);
      sctp_end_stats (&w->a, &sa);
      sctp_end_stats (&w->b, &sb);
      /* Only when both ends announced it, and never on the handshake. */
      g_assert_cmpint (sa.zero_checksum_sending, ==, both);
      g_assert_cmpint (sb.zero_checksum_sending, ==, both);
      if (both)
        {
          g_assert_cmpuint (count_zero_checksums (&w->a, &hs), >, 10);
          g_assert_cmpuint (count_zero_checksums (&w->b, &hs), >, 10);
        }
      else
        {
          g_assert_cmpuint (count_zero_checksums (&w->a, &hs), ==, 0);
          g_assert_cmpuint (count_zero_checksums (&w->b, &hs), ==, 0);
        }
      g_assert_cmpuint (hs, >=, 3);
      g_bytes_unref (m);
      sctp_world_free (w);
    }
}

/* ---- a peer that restarts (RFC 9260 §5.2.2, §5.2.4 A) ---- */

static gboolean
a_restarted (SctpWorld *w,
             gpointer   data)
{
  return w->a.restarted > 0 && w->b.connected > 1;
}

static void
test_peer_restart (void)
{
  SctpWorld *w = connected_world (92, NULL, NULL);
  GBytes *m = sctp_payload (4, 3000);

  send_ok (&w->a, 0, PPID_BINARY, m, NULL);
  g_assert_true (sctp_world_run_until (w, received_count, GUINT_TO_POINTER (1), 5 * SEC));
  /* B's process restarts: a new association, new tags, connects again to
   * an A that still has the old one. */
  sctp_end_restart (&w->b, NULL);
  nav_sctp_association_connect (w->b.assoc);
  g_assert_true (sctp_world_run_until (w, a_restarted, NULL, 30 * SEC));
  g_assert_cmpuint (w->a.restarted, ==, 1);
  g_assert_false (w->a.closed);
  /* The new association carries data both ways, numbered afresh. */
  send_ok (&w->a, 0, PPID_BINARY, m, NULL);
  send_ok (&w->b, 0, PPID_BINARY, m, NULL);
  g_assert_true (sctp_world_run_until (w, received_count, GUINT_TO_POINTER (2), 5 * SEC));
  sctp_world_run_for (w, SEC);
  g_assert_cmpuint (w->a.received->len, ==, 1);
  g_assert_true (g_bytes_equal (((SctpReceived *) w->b.received->pdata[1])->data, m));
  g_bytes_unref (m);
  sctp_world_free (w);
}

/* ---- freeing the association from its own callback ---- */

static void
free_on_first_message (SctpEnd              *e,
                       const NavSctpMessage *msg,
                       gpointer              data)
{
  guint *calls = data;

  if ((*calls)++ == 0)
    sctp_end_restart (e, NULL);
}

static void
test_free_from_callback (void)
{
  SctpWorld *w = connected_world (93, NULL, NULL);
  guint calls = 0;

  /* The first of three messages is lost: its retransmission completes
   * all three in one call, and the first callback frees the association. */
  w->a.link.drop_data_nth = w->a.data_packets + 1;
  for (guint i = 0; i < 3; i++)
    {
      GBytes *m = sctp_payload (i, 500);

      send_ok (&w->a, 0, PPID_BINARY, m, NULL);
      g_bytes_unref (m);
    }
  w->b.on_message = free_on_first_message;
  w->b.on_message_data = &calls;
  sctp_world_run_for (w, 5 * SEC);
  /* One callback, then nothing from the freed association. */
  g_assert_cmpuint (calls, ==, 1);
  g_assert_cmpuint (w->b.received->len, ==, 1);
  sctp_world_free (w);
}

/* Both ends shut down at once (§9.2: SHUTDOWN crosses SHUTDOWN), and a
 * shutdown with data still queued delivers it all first. */
static void
test_shutdown_cases (void)
{
  SctpWorld *w = connected_world (94, NULL, NULL);
  GBytes *m = sctp_payload (5, 64 * 1024);

  w->a.link.delay_us = w->b.link.delay_us = 20 * MS;
  nav_sctp_association_shutdown (w->a.assoc);
  nav_sctp_association_shutdown (w->b.assoc);
  g_assert_true (sctp_world_run_until (w, both_closed, NULL, 10 * SEC));
  g_assert_cmpint (w->a.close_reason, ==, NAV_SCTP_CLOSE_SHUTDOWN);
  g_assert_cmpint (w->b.close_reason, ==, NAV_SCTP_CLOSE_SHUTDOWN);
  sctp_world_free (w);

  w = connected_world (95, NULL, NULL);
  w->a.link.delay_us = w->b.link.delay_us = 20 * MS;
  w->a.link.loss = 0.05;
  for (guint i = 0; i < 16; i++)
    send_ok (&w->a, i % 3, PPID_BINARY, m, NULL);
  nav_sctp_association_shutdown (w->a.assoc);
  /* No more sends once shutting down. */
  g_assert_false (nav_sctp_association_send_bytes (w->a.assoc, 0, PPID_BINARY, m, NULL, NULL));
  g_assert_true (sctp_world_run_until (w, both_closed, NULL, 600 * SEC));
  g_assert_cmpint (w->b.close_reason, ==, NAV_SCTP_CLOSE_SHUTDOWN);
  g_assert_cmpuint (w->b.received->len, ==, 16);
  for (guint i = 0; i < 16; i++)
    g_assert_true (g_bytes_equal (((SctpReceived *) w->b.received->pdata[i])->data, m));
  g_bytes_unref (m);
  sctp_world_free (w);
}

/* Tiny messages by the ten thousand: bundled many to a packet, never more
 * TSNs in flight than a receiver tracks, all delivered in order. */
typedef struct {
  guint n;
  guint sent;
} TinySender;

static void
tiny_pump (SctpWorld *w,
           gpointer   data)
{
  TinySender *t = data;

  while (t->sent < t->n)
    {
      GBytes *m = sctp_payload (t->sent, 4);
      gboolean ok = nav_sctp_association_send_bytes (w->a.assoc, 0, PPID_BINARY, m, NULL, NULL);

      g_bytes_unref (m);
      if (!ok)
        return;
      t->sent++;
    }
}

static void
test_tiny_messages (void)
{
  NavSctpOptions o = default_options ();
  SctpWorld *w;
  TinySender t = { .n = 60000 };
  NavSctpStats s;

  o.send_buffer = 64 * 1024 * 1024;
  w = connected_world (96, &o, &o);
  w->a.link.delay_us = w->b.link.delay_us = 50 * MS;
  w->pump = tiny_pump;
  w->pump_data = &t;
  tiny_pump (w, &t);
  g_assert_true (sctp_world_run_until (w, received_count, GUINT_TO_POINTER (t.n), 600 * SEC));
  for (guint i = 0; i < t.n; i++)
    {
      guint32 id;

      g_assert_true (sctp_payload_check (((SctpReceived *) w->b.received->pdata[i])->data, &id));
      g_assert_cmpuint (id, ==, i);
    }
  sctp_end_stats (&w->a, &s);
  g_test_message ("%u messages of 4 bytes in %" G_GUINT64_FORMAT " packets", t.n, s.packets_sent);
  g_assert_cmpuint (s.packets_sent, <, t.n / 10);
  g_assert_cmpuint (s.retransmissions, ==, 0);
  sctp_world_free (w);
}

/* ---- the handshake failing ---- */

static void
test_init_unanswered (void)
{
  SctpWorld *w = sctp_world_new (97, NULL, NULL);
  gint64 start = w->now;

  w->a.link.down = TRUE;
  nav_sctp_association_connect (w->a.assoc);
  g_assert_true (sctp_world_run_until (w, a_closed_cb, NULL, 3600 * SEC));
  g_assert_cmpint (w->a.close_reason, ==, NAV_SCTP_CLOSE_INIT_FAILED);
  /* Max.Init.Retransmits (8) after the first INIT: 9 sent. */
  g_assert_cmpuint (w->a.packets_sent, ==, 9);
  g_test_message ("gave up after %.0f s", (w->now - start) / 1e6);
  sctp_world_free (w);
}

/* A cookie that outlived Valid.Cookie.Life comes back as a Stale Cookie
 * ERROR (§5.1.5); the initiator starts again (§5.2.6), and gives up
 * after Max.Init.Retransmits. */
static void
test_stale_cookie (void)
{
  NavSctpOptions ob = default_options ();
  SctpWorld *w;

  ob.cookie_lifetime_us = 10 * MS;
  w = sctp_world_new (98, NULL, &ob);
  w->a.link.delay_us = w->b.link.delay_us = 20 * MS;
  nav_sctp_association_connect (w->a.assoc);
  g_assert_true (sctp_world_run_until (w, a_closed_cb, NULL, 3600 * SEC));
  g_assert_cmpint (w->a.close_reason, ==, NAV_SCTP_CLOSE_INIT_FAILED);
  g_assert_cmpuint (w->b.connected, ==, 0);
  sctp_world_free (w);

  /* A generous lifetime: the same delays connect. */
  ob.cookie_lifetime_us = 60 * SEC;
  w = sctp_world_new (98, NULL, &ob);
  w->a.link.delay_us = w->b.link.delay_us = 20 * MS;
  g_assert_true (sctp_world_connect (w, FALSE));
  sctp_world_free (w);
}

/* A message sent before the association is up rides with the COOKIE ECHO
 * (RFC 9260 §5.1 C): it arrives one and a half round trips after connect,
 * not two and a half. */
static void
test_data_with_cookie (void)
{
  SctpWorld *w = sctp_world_new (99, NULL, NULL);
  GBytes *m = sctp_payload (1, 300);
  gint64 start = w->now;

  w->a.link.delay_us = w->b.link.delay_us = 50 * MS;
  nav_sctp_association_connect (w->a.assoc);
  send_ok (&w->a, 0, PPID_BINARY, m, NULL);
  g_assert_true (sctp_world_run_until (w, received_count, GUINT_TO_POINTER (1), 10 * SEC));
  g_assert_cmpint (w->now - start, ==, 150 * MS);
  g_assert_true (g_bytes_equal (((SctpReceived *) w->b.received->pdata[0])->data, m));
  /* And still when the COOKIE ECHO is lost: T1 brings the cookie, T3
   * the data. */
  g_bytes_unref (m);
  sctp_world_free (w);

  w = sctp_world_new (100, NULL, NULL);
  m = sctp_payload (2, 300);
  w->a.link.delay_us = w->b.link.delay_us = 50 * MS;
  w->a.link.drop_data_nth = 1;
  nav_sctp_association_connect (w->a.assoc);
  send_ok (&w->a, 0, PPID_BINARY, m, NULL);
  g_assert_true (sctp_world_run_until (w, received_count, GUINT_TO_POINTER (1), 60 * SEC));
  g_assert_true (g_bytes_equal (((SctpReceived *) w->b.received->pdata[0])->data, m));
  g_assert_cmpuint (w->a.connected, ==, 1);
  g_bytes_unref (m);
  sctp_world_free (w);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sctp/association/setup-and-shutdown", test_setup_and_shutdown);
  g_test_add_func ("/sctp/association/init-collision", test_init_collision);
  g_test_add_func ("/sctp/association/message-sizes", test_message_sizes);
  for (guint i = 0; i < G_N_ELEMENTS (traffic_cases); i++)
    {
      gchar *path = g_strdup_printf ("/sctp/association/traffic/%s", traffic_cases[i].name);

      g_test_add_data_func (path, &traffic_cases[i], test_traffic);
      g_free (path);
    }
  g_test_add_func ("/sctp/association/partial-reliability/max-retransmits-0", test_partial_reliability_rtx);
  g_test_add_func ("/sctp/association/partial-reliability/lifetime", test_partial_reliability_lifetime);
  g_test_add_func ("/sctp/association/partial-reliability/mixed-streams-burst-loss", test_partial_reliability_mixed);
  g_test_add_func ("/sctp/association/peer-vanishes/idle", test_peer_vanishes_idle);
  g_test_add_func ("/sctp/association/peer-vanishes/sending", test_peer_vanishes_sending);
  g_test_add_func ("/sctp/association/abort-received", test_abort_received);
  g_test_add_func ("/sctp/association/stream-reset-while-flowing", test_stream_reset_while_flowing);
  g_test_add_func ("/sctp/association/zero-window", test_zero_window);
  g_test_add_func ("/sctp/association/grow-receive-window", test_grow_receive_window);
  g_test_add_func ("/sctp/association/interleaving", test_interleaving);
  g_test_add_func ("/sctp/association/delayed-ack", test_delayed_ack);
  g_test_add_func ("/sctp/association/rto", test_rto);
  g_test_add_func ("/sctp/association/fast-retransmit", test_fast_retransmit);
  g_test_add_func ("/sctp/association/shutdown-cases", test_shutdown_cases);
  g_test_add_func ("/sctp/association/data-with-cookie", test_data_with_cookie);
  g_test_add_func ("/sctp/association/init-unanswered", test_init_unanswered);
  g_test_add_func ("/sctp/association/stale-cookie", test_stale_cookie);
  g_test_add_func ("/sctp/association/tiny-messages", test_tiny_messages);
  g_test_add_func ("/sctp/association/zero-checksum", test_zero_checksum);
  g_test_add_func ("/sctp/association/peer-restart", test_peer_restart);
  g_test_add_func ("/sctp/association/free-from-callback", test_free_from_callback);
  return g_test_run ();
}
