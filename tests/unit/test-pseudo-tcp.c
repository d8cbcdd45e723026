/* test-pseudo-tcp.c: the pseudo-TCP engine of reliable mode
 * (core/nav-pseudo-tcp.c, private: compiled into this test), two engines
 * wired back to back in memory
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The segments each engine writes are queued and handed to the other
 * (reordered, or dropped, where a test says), with the clock driven from
 * nav_pseudo_tcp_get_next_clock().  What libnice puts on the wire is
 * checked byte for byte where it matters: the connect segment's options
 * (window scale, FIN-ACK), a FIN and an RST.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "nav-pseudo-tcp-private.h"

/* A failure guard, never a timing assertion. */
#define TIMEOUT_SECONDS 60

typedef struct _End End;

struct _End {
  NavPseudoTcp *tcp;
  End *peer;
  GQueue in;                    /* GBytes for this end */
  gboolean opened;
  guint readable;
  guint writable;
  guint32 closed_error;
  gboolean closed;
  GPtrArray *wire;              /* GBytes: every segment this end wrote */
  /* Loss and reordering of what this end writes. */
  guint drop_every;             /* drop every n-th data segment; 0: none */
  guint n_data;
  gboolean swap_next;
  GBytes *held;
  gint64 clock_at;              /* ms, 0 when not set */
};

static NavPseudoTcpWriteResult
end_write (NavPseudoTcp *tcp,
           const guint8 *data,
           gsize         len,
           gpointer      user_data)
{
  End *e = user_data;
  GBytes *bytes = g_bytes_new (data, len);

  g_ptr_array_add (e->wire, g_bytes_ref (bytes));
  if (len > NAV_PSEUDO_TCP_HEADER_SIZE)
    {
      e->n_data++;
      if (e->drop_every > 0 && e->n_data % e->drop_every == 0)
        {
          g_bytes_unref (bytes);
          return NAV_PSEUDO_TCP_WRITE_OK;
        }
      if (e->swap_next && e->held == NULL)
        {
          /* This one goes after the next: out of order. */
          e->held = bytes;
          return NAV_PSEUDO_TCP_WRITE_OK;
        }
    }
  g_queue_push_tail (&e->peer->in, bytes);
  if (e->held != NULL)
    {
      g_queue_push_tail (&e->peer->in, e->held);
      e->held = NULL;
      e->swap_next = FALSE;
    }
  return NAV_PSEUDO_TCP_WRITE_OK;
}

static void
end_opened (NavPseudoTcp *tcp,
            gpointer      user_data)
{
  ((End *) user_data)->opened = TRUE;
}

static void
end_readable (NavPseudoTcp *tcp,
              gpointer      user_data)
{
  ((End *) user_data)->readable++;
}

static void
end_writable (NavPseudoTcp *tcp,
              gpointer      user_data)
{
  ((End *) user_data)->writable++;
}

static void
end_closed (NavPseudoTcp *tcp,
            guint32       error,
            gpointer      user_data)
{
  End *e = user_data;

  e->closed = TRUE;
  e->closed_error = error;
}

static const NavPseudoTcpCallbacks callbacks = {
  end_opened, end_readable, end_writable, end_closed, end_write,
};

static void
pair_init (End *a,
           End *b)
{
  memset (a, 0, sizeof *a);
  memset (b, 0, sizeof *b);
  a->peer = b;
  b->peer = a;
  a->tcp = nav_pseudo_tcp_new (0, &callbacks, a);
  b->tcp = nav_pseudo_tcp_new (0, &callbacks, b);
  g_queue_init (&a->in);
  g_queue_init (&b->in);
  a->wire = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  b->wire = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

static void
end_clear (End *e)
{
  nav_pseudo_tcp_free (e->tcp);
  g_queue_clear_full (&e->in, (GDestroyNotify) g_bytes_unref);
  g_ptr_array_unref (e->wire);
  g_clear_pointer (&e->held, g_bytes_unref);
}

/* Delivers what is queued for @e. */
static gboolean
deliver (End *e)
{
  gboolean any = FALSE;
  GBytes *bytes;

  while ((bytes = g_queue_pop_head (&e->in)) != NULL)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (bytes, &len);

      nav_pseudo_tcp_notify_packet (e->tcp, data, len);
      g_bytes_unref (bytes);
      any = TRUE;
    }
  return any;
}

/* As the agent's clock source: set to the earliest deadline asked for
 * since it last fired (a deadline asked for again later, as TIME-WAIT's
 * "in 1 ms", does not push it back). */
static void
clock_if_due (End *e)
{
  gint64 when;

  if (!nav_pseudo_tcp_get_next_clock (e->tcp, &when))
    {
      e->clock_at = 0;
      return;
    }
  if (e->clock_at == 0 || when < e->clock_at)
    e->clock_at = when;
  if (e->clock_at <= g_get_monotonic_time () / 1000)
    {
      e->clock_at = 0;
      nav_pseudo_tcp_notify_clock (e->tcp);
    }
}

typedef gboolean (*Condition) (End *a, End *b, gpointer data);

/* Runs both ends until @condition holds: segments are delivered, and
 * the clocks run (in real time: retransmissions wait for their RTO). */
static void
run_until (End       *a,
           End       *b,
           Condition  condition,
           gpointer   data)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_SECONDS * G_USEC_PER_SEC;

  while (!condition (a, b, data))
    {
      gboolean any = deliver (a);

      any = deliver (b) || any;
      clock_if_due (a);
      clock_if_due (b);
      if (!any)
        g_usleep (1000);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
}

static gboolean
both_open (End     *a,
           End     *b,
           gpointer data)
{
  return nav_pseudo_tcp_get_state (a->tcp) == NAV_PSEUDO_TCP_ESTABLISHED &&
         nav_pseudo_tcp_get_state (b->tcp) == NAV_PSEUDO_TCP_ESTABLISHED;
}

static void
connect_pair (End      *a,
              End      *b,
              gboolean  simultaneous)
{
  g_assert_true (nav_pseudo_tcp_connect (a->tcp));
  if (simultaneous)
    g_assert_true (nav_pseudo_tcp_connect (b->tcp));
  nav_pseudo_tcp_notify_mtu (a->tcp, NAV_PSEUDO_TCP_DEFAULT_MTU);
  nav_pseudo_tcp_notify_mtu (b->tcp, NAV_PSEUDO_TCP_DEFAULT_MTU);
  run_until (a, b, both_open, NULL);
  g_assert_true (a->opened);
  g_assert_true (b->opened);
}

/* The connect segment: FLAG_CTL, sequence 0, payload CTL_CONNECT then the
 * window scale (kind 3, length 1) and FIN-ACK (kind 254, length 1)
 * options, as libnice writes it. */
static void
check_connect_segment (GBytes *segment,
                       guint8  scale)
{
  const guint8 expected[] = { 0, 3, 1, scale, 254, 1, 0 };
  NavPseudoTcpSegment seg;
  gsize len;
  const guint8 *data = g_bytes_get_data (segment, &len);

  g_assert_true (nav_pseudo_tcp_segment_parse (data, len, &seg));
  g_assert_cmpuint (seg.conv, ==, 0);
  g_assert_cmpuint (seg.seq, ==, 0);
  g_assert_cmpuint (seg.flags, ==, NAV_PSEUDO_TCP_FLAG_CTL);
  g_assert_cmpmem (seg.data, seg.len, expected, sizeof expected);
}

typedef struct {
  const guint8 *data;
  gsize len;
  gsize a_sent;
  gsize b_sent;
  GByteArray *a_got;
  GByteArray *b_got;
} Transfer;

static void
pump (End       *e,
      Transfer  *t,
      gsize     *sent)
{
  while (*sent < t->len)
    {
      gssize n = nav_pseudo_tcp_send (e->tcp, t->data + *sent, MIN (t->len - *sent, 5000));

      if (n < 0)
        {
          g_assert_cmpint (nav_pseudo_tcp_get_error (e->tcp), ==, EWOULDBLOCK);
          return;
        }
      *sent += n;
    }
}

static void
drain (End        *e,
       GByteArray *got)
{
  guint8 buf[3000];
  gssize n;

  while ((n = nav_pseudo_tcp_recv (e->tcp, buf, sizeof buf)) > 0)
    g_byte_array_append (got, buf, n);
}

static gboolean
transfer_step (End     *a,
               End     *b,
               gpointer data)
{
  Transfer *t = data;

  pump (a, t, &t->a_sent);
  pump (b, t, &t->b_sent);
  drain (a, t->a_got);
  drain (b, t->b_got);
  return t->a_got->len == t->len && t->b_got->len == t->len;
}

static void
transfer_both_ways (End   *a,
                    End   *b,
                    gsize  len)
{
  g_autofree guint8 *data = g_malloc (len);
  Transfer t = { data, len, 0, 0, g_byte_array_new (), g_byte_array_new () };
  GRand *rand = g_rand_new_with_seed (len);

  for (gsize i = 0; i < len; i++)
    data[i] = g_rand_int (rand);
  g_rand_free (rand);
  run_until (a, b, transfer_step, &t);
  g_assert_cmpmem (t.a_got->data, t.a_got->len, data, len);
  g_assert_cmpmem (t.b_got->data, t.b_got->len, data, len);
  g_byte_array_unref (t.a_got);
  g_byte_array_unref (t.b_got);
}

static void
test_handshake_and_transfer (void)
{
  End a, b;

  pair_init (&a, &b);
  connect_pair (&a, &b, FALSE);
  check_connect_segment (g_ptr_array_index (a.wire, 0), 0);
  check_connect_segment (g_ptr_array_index (b.wire, 0), 0);
  transfer_both_ways (&a, &b, 1024 * 1024);
  g_assert_cmpuint (a.readable, >, 0);
  g_assert_cmpuint (b.writable, >, 0);
  end_clear (&a);
  end_clear (&b);
}

/* libnice connects from both sides once a pair is selected. */
static void
test_simultaneous_open (void)
{
  End a, b;

  pair_init (&a, &b);
  connect_pair (&a, &b, TRUE);
  transfer_both_ways (&a, &b, 100 * 1024);
  end_clear (&a);
  end_clear (&b);
}

/* RFC 7323 §2: a 1 MiB receive buffer is announced with a shift of 5
 * (the smallest that fits 16 bits, as libnice computes it), and the
 * windows both ways are read with it. */
static void
test_window_scale (void)
{
  End a, b;
  NavPseudoTcpSegment seg;
  gsize len;
  const guint8 *data;

  pair_init (&a, &b);
  nav_pseudo_tcp_set_buffers (a.tcp, 1024 * 1024, 1024 * 1024);
  nav_pseudo_tcp_set_buffers (b.tcp, 1024 * 1024, 1024 * 1024);
  connect_pair (&a, &b, FALSE);
  check_connect_segment (g_ptr_array_index (a.wire, 0), 5);
  /* B's last segment announces its window in units of 32 bytes. */
  data = g_bytes_get_data (g_ptr_array_index (b.wire, b.wire->len - 1), &len);
  g_assert_true (nav_pseudo_tcp_segment_parse (data, len, &seg));
  g_assert_cmpuint (seg.window, >, 60 * 1024 / 32);
  g_assert_cmpuint (seg.window, <=, 1024 * 1024 / 32);
  transfer_both_ways (&a, &b, 2 * 1024 * 1024);
  end_clear (&a);
  end_clear (&b);
}

/* A peer without the window scale option (an old libjingle) gets the
 * default buffer back and unscaled windows. */
static void
test_peer_without_options (void)
{
  End a, b;
  /* A connect segment with no option at all. */
  const guint8 connect[] = {
    0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, NAV_PSEUDO_TCP_FLAG_CTL, 0xf0, 0x00,
    0, 0, 0, 1,  0, 0, 0, 0,  0,
  };
  NavPseudoTcpSegment seg;
  gsize len;
  const guint8 *data;

  pair_init (&a, &b);
  nav_pseudo_tcp_set_buffers (a.tcp, 1024 * 1024, 0);
  g_assert_true (nav_pseudo_tcp_notify_packet (a.tcp, connect, sizeof connect));
  g_assert_cmpint (nav_pseudo_tcp_get_state (a.tcp), ==, NAV_PSEUDO_TCP_SYN_RECEIVED);
  /* Its answer: the window unscaled, with the default buffer. */
  data = g_bytes_get_data (g_ptr_array_index (a.wire, 0), &len);
  g_assert_true (nav_pseudo_tcp_segment_parse (data, len, &seg));
  g_assert_cmpuint (seg.flags, ==, NAV_PSEUDO_TCP_FLAG_CTL);
  g_assert_cmpuint (seg.ack, ==, 1);
  g_assert_cmpuint (seg.window, ==, 60 * 1024);
  /* Without FIN-ACK, no FIN is sent: shutting down writes does nothing. */
  nav_pseudo_tcp_shutdown_write (a.tcp);
  g_assert_cmpint (nav_pseudo_tcp_get_state (a.tcp), ==, NAV_PSEUDO_TCP_SYN_RECEIVED);
  end_clear (&a);
  end_clear (&b);
}

static gboolean
both_closed (End     *a,
             End     *b,
             gpointer data)
{
  drain (a, data);
  drain (b, data);
  return nav_pseudo_tcp_is_closed (a->tcp) && nav_pseudo_tcp_is_closed (b->tcp);
}

static gboolean
b_saw_fin (End     *a,
           End     *b,
           gpointer data)
{
  return nav_pseudo_tcp_is_closed_remotely (b->tcp);
}

/* RFC 793 §3.5 case 1 with libnice's FIN: A closes, B reads the end of
 * the stream, closes too; both reach CLOSED without an error. */
static void
test_fin (void)
{
  End a, b;
  g_autoptr (GByteArray) sink = g_byte_array_new ();
  guint8 buf[16];
  NavPseudoTcpSegment seg;
  gsize len;
  const guint8 *data;

  pair_init (&a, &b);
  connect_pair (&a, &b, FALSE);
  g_assert_cmpint (nav_pseudo_tcp_send (a.tcp, (const guint8 *) "bye", 3), ==, 3);
  nav_pseudo_tcp_shutdown_write (a.tcp);
  g_assert_cmpint (nav_pseudo_tcp_get_state (a.tcp), ==, NAV_PSEUDO_TCP_FIN_WAIT_1);
  /* No more writes after the FIN. */
  g_assert_cmpint (nav_pseudo_tcp_send (a.tcp, (const guint8 *) "x", 1), ==, -1);
  g_assert_cmpint (nav_pseudo_tcp_get_error (a.tcp), ==, EPIPE);
  /* The FIN: flag 1, no data. */
  data = g_bytes_get_data (g_ptr_array_index (a.wire, a.wire->len - 1), &len);
  g_assert_true (nav_pseudo_tcp_segment_parse (data, len, &seg));
  g_assert_cmpuint (seg.flags, ==, NAV_PSEUDO_TCP_FLAG_FIN);
  g_assert_cmpuint (seg.len, ==, 0);

  run_until (&a, &b, b_saw_fin, NULL);
  g_assert_cmpint (nav_pseudo_tcp_get_state (b.tcp), ==, NAV_PSEUDO_TCP_CLOSE_WAIT);
  g_assert_cmpint (nav_pseudo_tcp_recv (b.tcp, buf, sizeof buf), ==, 3);
  g_assert_cmpint (nav_pseudo_tcp_recv (b.tcp, buf, sizeof buf), ==, 0);
  nav_pseudo_tcp_shutdown_write (b.tcp);
  run_until (&a, &b, both_closed, sink);
  g_assert_false (a.closed);    /* a clean close calls nothing */
  g_assert_false (b.closed);
  end_clear (&a);
  end_clear (&b);
}

/* RFC 1122 §4.2.2.13: an abort sends RST; the peer closes with
 * ECONNRESET. */
static void
test_rst (void)
{
  End a, b;
  NavPseudoTcpSegment seg;
  gsize len;
  const guint8 *data;

  pair_init (&a, &b);
  connect_pair (&a, &b, FALSE);
  nav_pseudo_tcp_abort (a.tcp);
  g_assert_true (nav_pseudo_tcp_is_closed (a.tcp));
  g_assert_cmpuint (a.closed_error, ==, ECONNABORTED);
  data = g_bytes_get_data (g_ptr_array_index (a.wire, a.wire->len - 1), &len);
  g_assert_true (nav_pseudo_tcp_segment_parse (data, len, &seg));
  g_assert_cmpuint (seg.flags, ==, NAV_PSEUDO_TCP_FLAG_RST);
  deliver (&b);
  g_assert_true (nav_pseudo_tcp_is_closed (b.tcp));
  g_assert_true (b.closed);
  g_assert_cmpuint (b.closed_error, ==, ECONNRESET);
  end_clear (&a);
  end_clear (&b);
}

/* Out-of-order segments are held and delivered in order; lost ones are
 * retransmitted (fast retransmit and timeouts). */
static void
test_reorder_and_loss (void)
{
  End a, b;

  pair_init (&a, &b);
  connect_pair (&a, &b, FALSE);
  a.swap_next = TRUE;
  b.swap_next = TRUE;
  a.drop_every = 7;
  b.drop_every = 11;
  transfer_both_ways (&a, &b, 300 * 1024);
  end_clear (&a);
  end_clear (&b);
}

/* The send buffer fills: a short write, then EWOULDBLOCK, then the
 * writable callback once the peer reads. */
static void
test_would_block (void)
{
  End a, b;
  g_autofree guint8 *big = g_malloc0 (1024 * 1024);
  gssize n;
  guint writable;

  pair_init (&a, &b);
  connect_pair (&a, &b, FALSE);
  n = nav_pseudo_tcp_send (a.tcp, big, 1024 * 1024);
  g_assert_cmpint (n, >, 0);
  g_assert_cmpint (n, <, 1024 * 1024);
  g_assert_cmpint (nav_pseudo_tcp_send (a.tcp, big, 1), ==, -1);
  g_assert_cmpint (nav_pseudo_tcp_get_error (a.tcp), ==, EWOULDBLOCK);
  g_assert_cmpuint (nav_pseudo_tcp_get_available_send_space (a.tcp), ==, 0);
  writable = a.writable;
  {
    Transfer t = { big, (gsize) n, (gsize) n, (gsize) n, g_byte_array_new (), g_byte_array_new () };

    /* B reads everything A had queued. */
    g_byte_array_set_size (t.a_got, n);
    run_until (&a, &b, transfer_step, &t);
    g_byte_array_unref (t.a_got);
    g_byte_array_unref (t.b_got);
  }
  g_assert_cmpuint (a.writable, >, writable);
  end_clear (&a);
  end_clear (&b);
}

/* Garbage on an open connection: truncated headers, another
 * conversation, a control segment without a code: dropped, and the
 * connection still carries data. */
static void
test_garbage (void)
{
  End a, b;
  guint8 junk[200];
  GRand *rand = g_rand_new_with_seed (7);

  pair_init (&a, &b);
  connect_pair (&a, &b, FALSE);
  memset (junk, 0, sizeof junk);
  for (guint i = 0; i < NAV_PSEUDO_TCP_HEADER_SIZE; i++)
    g_assert_false (nav_pseudo_tcp_notify_packet (b.tcp, junk, i));
  memset (junk, 0, sizeof junk);
  junk[3] = 9;                  /* conversation 9 */
  g_assert_false (nav_pseudo_tcp_notify_packet (b.tcp, junk, sizeof junk));
  memset (junk, 0, sizeof junk);
  junk[13] = NAV_PSEUDO_TCP_FLAG_CTL; /* no control code */
  g_assert_false (nav_pseudo_tcp_notify_packet (b.tcp, junk, NAV_PSEUDO_TCP_HEADER_SIZE));
  g_assert_false (nav_pseudo_tcp_notify_packet (b.tcp, NULL, 0));
  /* Random segments of another conversation. */
  for (guint i = 0; i < 1000; i++)
    {
      for (guint j = 0; j < sizeof junk; j++)
        junk[j] = g_rand_int (rand);
      junk[0] = 0xff;
      nav_pseudo_tcp_notify_packet (b.tcp, junk, g_rand_int_range (rand, 0, sizeof junk));
    }
  g_rand_free (rand);
  g_assert_cmpint (nav_pseudo_tcp_get_state (b.tcp), ==, NAV_PSEUDO_TCP_ESTABLISHED);
  transfer_both_ways (&a, &b, 50 * 1024);
  end_clear (&a);
  end_clear (&b);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pseudo-tcp/handshake-and-transfer", test_handshake_and_transfer);
  g_test_add_func ("/pseudo-tcp/simultaneous-open", test_simultaneous_open);
  g_test_add_func ("/pseudo-tcp/window-scale", test_window_scale);
  g_test_add_func ("/pseudo-tcp/peer-without-options", test_peer_without_options);
  g_test_add_func ("/pseudo-tcp/fin", test_fin);
  g_test_add_func ("/pseudo-tcp/rst", test_rst);
  g_test_add_func ("/pseudo-tcp/reorder-and-loss", test_reorder_and_loss);
  g_test_add_func ("/pseudo-tcp/would-block", test_would_block);
  g_test_add_func ("/pseudo-tcp/garbage", test_garbage);
  return g_test_run ();
}
