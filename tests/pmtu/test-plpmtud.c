/* test-plpmtud.c: RFC 8899 path MTU discovery for SCTP over DTLS
 * (modules/datachannel/sctp/nav-sctp-plpmtud.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two associations wired through a link that drops every packet above
 * its MTU, as a path with the DF bit set does: the probes that fit are
 * answered, the others are not, and the search settles on the largest
 * candidate the link carries; data then goes in packets of that size and
 * arrives whole.  The search itself on its own (timers, retries, the
 * raise timer), and the probe packet's layout.
 */
#include "config.h"

#include <string.h>

#include "nav-sctp-association.h"
#include "nav-sctp-packet.h"
#include "nav-sctp-plpmtud.h"

typedef struct _End End;

typedef struct {
  gint64 now;
  gsize link_mtu;               /* larger packets are dropped */
  GQueue flight;                /* Packet, in order */
  End *a, *b;
} Link;

struct _End {
  Link *link;
  End *peer;
  NavSctpAssociation *assoc;
  gboolean connected;
  GArray *acked;                /* gsize: probes answered */
  gsize largest_sent;
  guint64 dropped;
  GByteArray *received;
};

typedef struct {
  End *to;
  GBytes *data;
} Packet;

static void
send_packet (NavSctpAssociation *assoc,
             const guint8       *data,
             gsize               len,
             gpointer            user_data)
{
  End *e = user_data;
  Packet *p;

  e->largest_sent = MAX (e->largest_sent, len);
  if (len > e->link->link_mtu)
    {
      e->dropped++;
      return;
    }
  p = g_new0 (Packet, 1);
  p->to = e->peer;
  p->data = g_bytes_new (data, len);
  g_queue_push_tail (&e->link->flight, p);
}

static gint64
now_cb (gpointer user_data)
{
  End *e = user_data;

  return e->link->now;
}

static void
connected (NavSctpAssociation *assoc,
           gpointer            user_data)
{
  ((End *) user_data)->connected = TRUE;
}

static void
message (NavSctpAssociation *assoc,
         NavSctpMessage     *msg,
         gpointer            user_data)
{
  End *e = user_data;

  g_byte_array_append (e->received, msg->data, msg->len);
}

static void
probe_acked (NavSctpAssociation *assoc,
             gsize               size,
             gpointer            user_data)
{
  End *e = user_data;

  g_array_append_val (e->acked, size);
}

static const NavSctpCallbacks callbacks = {
  .send_packet = send_packet,
  .now = now_cb,
  .connected = connected,
  .message = message,
  .probe_acked = probe_acked,
};

static void
end_init (End  *e,
          Link *link,
          End  *peer)
{
  NavSctpOptions options;

  nav_sctp_options_init (&options);
  options.mtu = 1200;
  options.zero_checksum = TRUE;
  e->link = link;
  e->peer = peer;
  e->acked = g_array_new (FALSE, FALSE, sizeof (gsize));
  e->received = g_byte_array_new ();
  e->assoc = nav_sctp_association_new (&options, &callbacks, e);
}

static void
end_clear (End *e)
{
  nav_sctp_association_free (e->assoc);
  g_array_unref (e->acked);
  g_byte_array_unref (e->received);
}

/* Delivers what is in flight, then runs the timers that are due; one
 * millisecond of link time per step. */
static void
link_step (Link *link)
{
  Packet *p;

  while ((p = g_queue_pop_head (&link->flight)) != NULL)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (p->data, &len);

      nav_sctp_association_handle_input (p->to->assoc, data, len);
      g_bytes_unref (p->data);
      g_free (p);
    }
  link->now += 1000;
  for (End *e = link->a; e != NULL; e = e == link->a ? link->b : NULL)
    {
      gint64 t = nav_sctp_association_get_timeout (e->assoc);

      if (t >= 0 && t <= link->now)
        nav_sctp_association_handle_timeout (e->assoc);
    }
}

static void
link_connect (Link *link,
              End  *a,
              End  *b,
              gsize mtu)
{
  memset (link, 0, sizeof *link);
  link->now = 1000000;
  link->link_mtu = mtu;
  link->a = a;
  link->b = b;
  end_init (a, link, b);
  end_init (b, link, a);
  nav_sctp_association_connect (a->assoc);
  for (guint i = 0; i < 1000 && !(a->connected && b->connected); i++)
    link_step (link);
  g_assert_true (a->connected && b->connected);
}

/* Runs the search as the data channel transport does: probes when due,
 * the confirmed size applied between calls. */
static guint
search (Link           *link,
        End            *e,
        NavSctpPlpmtud *p,
        guint           max,
        gint64          for_us)
{
  gint64 end = link->now + for_us;
  guint seen = 0;

  nav_sctp_plpmtud_init (p, nav_sctp_association_get_mtu (e->assoc), max);
  while (link->now < end)
    {
      guint sizes[NAV_SCTP_PLPMTUD_MAX_CANDIDATES];
      guint n = nav_sctp_plpmtud_due (p, link->now, sizes);

      for (guint i = 0; i < n; i++)
        g_assert_true (nav_sctp_association_send_probe (e->assoc, sizes[i]));
      link_step (link);
      for (; seen < e->acked->len; seen++)
        if (nav_sctp_plpmtud_acked (p, g_array_index (e->acked, gsize, seen)))
          nav_sctp_association_set_mtu (e->assoc, p->current);
    }
  return p->current;
}

static void
send_and_check (Link *link,
                End  *from,
                End  *to,
                gsize size)
{
  g_autofree guint8 *data = g_malloc (size);
  g_autoptr (GError) error = NULL;

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 7 + 3);
  g_assert_true (nav_sctp_association_send (from->assoc, 1, 53, data, size, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 5000 && to->received->len < size; i++)
    link_step (link);
  g_assert_cmpmem (to->received->data, to->received->len, data, size);
}

/* Loopback: every candidate goes through; the largest is used, and a
 * message then goes in packets of that size. */
static void
test_loopback (void)
{
  Link link;
  End a = { 0 }, b = { 0 };
  NavSctpPlpmtud p;
  NavSctpStats before, after;

  link_connect (&link, &a, &b, 65535);
  g_assert_cmpuint (search (&link, &a, &p, 16384, 100 * 1000), ==, 16384);
  g_assert_cmpuint (nav_sctp_association_get_mtu (a.assoc), ==, 16384);
  g_assert_cmpuint (p.probes_acked, >=, 1);
  g_assert_false (p.searching);
  g_assert_cmpint (p.deadline, ==, -1);
  /* The peer's liveness heartbeats are untouched: no error counted. */
  nav_sctp_association_get_stats (a.assoc, &before);
  a.largest_sent = 0;
  send_and_check (&link, &a, &b, 200000);
  nav_sctp_association_get_stats (a.assoc, &after);
  g_test_message ("200000 bytes in %" G_GUINT64_FORMAT " packets, the largest %" G_GSIZE_FORMAT,
                  after.packets_sent - before.packets_sent, a.largest_sent);
  g_assert_cmpuint (a.largest_sent, >, 8192);
  g_assert_cmpuint (a.largest_sent, <=, 16384);
  /* 200000 bytes in 1200-byte packets take more than 170. */
  g_assert_cmpuint (after.packets_sent - before.packets_sent, <, 40);
  end_clear (&a);
  end_clear (&b);
}

/* A 1500-byte path (DF set): the 16 KiB and 8 KiB probes are lost, each
 * sent MAX_PROBES times, 1408 goes through; then the search is complete
 * and waits for the raise timer. */
static void
test_ethernet (void)
{
  Link link;
  End a = { 0 }, b = { 0 };
  NavSctpPlpmtud p;

  link_connect (&link, &a, &b, 1452);
  g_assert_cmpuint (search (&link, &a, &p, 16384, 5 * G_USEC_PER_SEC), ==, 1408);
  g_assert_cmpuint (nav_sctp_association_get_mtu (a.assoc), ==, 1408);
  g_assert_cmpuint (a.dropped, ==, 2 * NAV_SCTP_PLPMTUD_MAX_PROBES);
  g_assert_false (p.searching);
  g_assert_cmpint (p.deadline, >, link.now);
  g_assert_cmpint (p.deadline, <=, link.now + NAV_SCTP_PLPMTUD_RAISE_TIMER_US);
  a.largest_sent = 0;
  send_and_check (&link, &a, &b, 100000);
  g_assert_cmpuint (a.largest_sent, ==, 1408);
  end_clear (&a);
  end_clear (&b);
}

/* A path that carries only the base: nothing confirmed, the size stays,
 * data still flows. */
static void
test_base_only (void)
{
  Link link;
  End a = { 0 }, b = { 0 };
  NavSctpPlpmtud p;

  link_connect (&link, &a, &b, 1200);
  g_assert_cmpuint (search (&link, &a, &p, 16384, 5 * G_USEC_PER_SEC), ==, 1200);
  g_assert_cmpuint (nav_sctp_association_get_mtu (a.assoc), ==, 1200);
  g_assert_cmpuint (a.acked->len, ==, 0);
  g_assert_cmpuint (p.probes_sent, ==, 3 * NAV_SCTP_PLPMTUD_MAX_PROBES);
  send_and_check (&link, &a, &b, 50000);
  end_clear (&a);
  end_clear (&b);
}

/* The probe: exactly the size asked, PAD (0x84) first and HEARTBEAT
 * last; an answer with another nonce or an unknown size is dropped. */
static void
test_probe_packet (void)
{
  Link link;
  End a = { 0 }, b = { 0 };
  Packet *pk;
  const guint8 *data;
  gsize len, at = NAV_SCTP_COMMON_HEADER_SIZE;
  guint8 *forged;
  NavSctpPlpmtud p;
  NavSctpStats before, after;

  link_connect (&link, &a, &b, 65535);
  g_assert_false (nav_sctp_association_send_probe (a.assoc, 32));
  g_assert_true (nav_sctp_association_send_probe (a.assoc, 5000));
  g_assert_cmpuint (g_queue_get_length (&link.flight), ==, 1);
  pk = g_queue_peek_head (&link.flight);
  data = g_bytes_get_data (pk->data, &len);
  g_assert_cmpuint (len, ==, 5000);
  g_assert_cmpuint (data[at], ==, 0x84);
  at += nav_sctp_get16 (data + at + 2);
  g_assert_cmpuint (data[at], ==, NAV_SCTP_CHUNK_HEARTBEAT);
  g_assert_cmpuint (at + nav_sctp_get16 (data + at + 2), ==, len);

  /* The peer answers; an answer with another nonce is dropped. */
  pk = g_queue_pop_head (&link.flight);
  data = g_bytes_get_data (pk->data, &len);
  nav_sctp_association_handle_input (b.assoc, data, len);
  g_bytes_unref (pk->data);
  g_free (pk);
  g_assert_cmpuint (g_queue_get_length (&link.flight), ==, 1);
  pk = g_queue_pop_head (&link.flight);
  data = g_bytes_get_data (pk->data, &len);
  g_assert_cmpuint (len, ==, NAV_SCTP_COMMON_HEADER_SIZE + 4 + 16);
  g_assert_cmpuint (data[NAV_SCTP_COMMON_HEADER_SIZE], ==, NAV_SCTP_CHUNK_HEARTBEAT_ACK);
  nav_sctp_association_get_stats (a.assoc, &before);
  forged = g_memdup2 (data, len);
  forged[NAV_SCTP_COMMON_HEADER_SIZE + 4 + 4] ^= 0x55;       /* the nonce */
  nav_sctp_association_handle_input (a.assoc, forged, len);
  nav_sctp_association_get_stats (a.assoc, &after);
  g_assert_cmpuint (a.acked->len, ==, 0);
  g_assert_cmpuint (after.chunks_dropped, ==, before.chunks_dropped + 1);
  nav_sctp_association_handle_input (a.assoc, data, len);
  g_assert_cmpuint (a.acked->len, ==, 1);
  g_assert_cmpuint (g_array_index (a.acked, gsize, 0), ==, 5000);
  g_bytes_unref (pk->data);
  g_free (pk);
  g_free (forged);

  /* The search ignores a size it did not probe. */
  nav_sctp_plpmtud_init (&p, 1200, 16384);
  g_assert_false (nav_sctp_plpmtud_acked (&p, 5000));
  g_assert_cmpuint (p.current, ==, 1200);
  end_clear (&a);
  end_clear (&b);
}

/* The search alone: candidates above the base and below the maximum,
 * largest first; probes repeated after PROBE_TIMER, MAX_PROBES times;
 * the raise timer after a partial result; the size never shrinks. */
static void
test_search (void)
{
  NavSctpPlpmtud p;
  guint sizes[NAV_SCTP_PLPMTUD_MAX_CANDIDATES];
  gint64 now = 0;

  nav_sctp_plpmtud_init (&p, 1160, 1408);
  g_assert_cmpuint (p.n_candidates, ==, 1);
  g_assert_cmpuint (nav_sctp_plpmtud_due (&p, now, sizes), ==, 1);
  g_assert_cmpuint (sizes[0], ==, 1408);
  g_assert_cmpuint (nav_sctp_plpmtud_due (&p, now + 1, sizes), ==, 0);

  nav_sctp_plpmtud_init (&p, 1200, 1200);
  g_assert_cmpuint (p.n_candidates, ==, 0);
  g_assert_cmpint (p.deadline, ==, -1);
  g_assert_cmpuint (nav_sctp_plpmtud_due (&p, now, sizes), ==, 0);

  nav_sctp_plpmtud_init (&p, 1160, 16384);
  g_assert_cmpuint (p.n_candidates, ==, 3);
  for (guint round = 0; round < NAV_SCTP_PLPMTUD_MAX_PROBES; round++)
    {
      g_assert_cmpuint (nav_sctp_plpmtud_due (&p, now, sizes), ==, round == 0 ? 3 : 2);
      g_assert_cmpuint (sizes[0], ==, 16384);
      if (round == 0)
        {
          g_assert_cmpuint (sizes[2], ==, 1408);
          g_assert_true (nav_sctp_plpmtud_acked (&p, 1408));
          g_assert_false (nav_sctp_plpmtud_acked (&p, 1408));
        }
      now += NAV_SCTP_PLPMTUD_PROBE_TIMER_US;
    }
  /* Search complete at 1408; nothing until the raise timer. */
  g_assert_cmpuint (nav_sctp_plpmtud_due (&p, now, sizes), ==, 0);
  g_assert_false (p.searching);
  g_assert_cmpint (p.deadline, ==, now + NAV_SCTP_PLPMTUD_RAISE_TIMER_US);
  now = p.deadline;
  g_assert_cmpuint (nav_sctp_plpmtud_due (&p, now, sizes), ==, 2);
  g_assert_true (nav_sctp_plpmtud_acked (&p, 8908));
  g_assert_cmpuint (p.current, ==, 8908);
  /* A late answer to a smaller probe does not shrink it. */
  g_assert_false (nav_sctp_plpmtud_acked (&p, 1408));
  g_assert_cmpuint (p.current, ==, 8908);
  g_assert_true (nav_sctp_plpmtud_acked (&p, 16384));
  g_assert_false (p.searching);
  g_assert_cmpint (p.deadline, ==, -1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plpmtud/search", test_search);
  g_test_add_func ("/plpmtud/probe-packet", test_probe_packet);
  g_test_add_func ("/plpmtud/loopback", test_loopback);
  g_test_add_func ("/plpmtud/ethernet", test_ethernet);
  g_test_add_func ("/plpmtud/base-only", test_base_only);
  return g_test_run ();
}
