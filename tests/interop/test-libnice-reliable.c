/* test-libnice-reliable.c: reliable mode (pseudo-TCP) between a NavAgent
 * and the real libnice
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A reliable NavAgent (nav_agent_new_reliable()) and a reliable NiceAgent
 * (nice_agent_new_reliable()) in one process and one main context, host
 * candidates on 127.0.0.1, SDP exchanged with generate_local_sdp() /
 * parse_remote_sdp().  Once both components are READY, each side writes
 * 512 KiB (64 KiB through the lossy relay) with send(), driven by
 * reliable-transport-writable, and the other receives it through its
 * receive function: byte counts and SHA-256 must match.  Then the
 * controlling side removes its stream: its RST makes the other's
 * component FAILED.  Cases:
 *
 *   reliable-nav-controlling        NavAgent controlling
 *   reliable-nav-controlled         NavAgent controlled
 *   reliable-lossy-nav-controlling  the same through a UDP relay of the
 *   reliable-lossy-nav-controlled   test's own that drops one data
 *                                   datagram in ten (STUN passes): each
 *                                   side's retransmissions and
 *                                   acknowledgements must suit the other
 *
 * libnice is linked: it cannot be missing.
 */
#include "config.h"

#include "libnice-test-util.h"
#include "../ice/lossy-relay-test-util.h"

/* Each way; 64 KiB (some 47 segments, a handful lost) through the lossy
 * relay, where libnice's one-second minimum RTO and its backoff set the
 * pace. */
#define TRANSFER_BYTES_MAX (512 * 1024)
static gsize transfer_bytes = TRANSFER_BYTES_MAX;

typedef struct {
  guint8 *data;
  gsize done;
  gchar *sum;
} Outgoing;

static Outgoing to_nice, to_nav;

/* The lossy relay: libnice is its side 0, we its side 1. */
static LossyRelay relay;
static NiceAgent *libnice_agent;
static NavAgent *nav;
static guint nice_stream, nav_stream;

static void
outgoing_init (Outgoing *o,
               guint     seed)
{
  GRand *rand = g_rand_new_with_seed (seed);

  o->data = g_malloc (TRANSFER_BYTES_MAX);
  for (gsize i = 0; i < TRANSFER_BYTES_MAX; i++)
    o->data[i] = g_rand_int (rand) & 0xff;
  g_rand_free (rand);
  o->sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, o->data, transfer_bytes);
}

static void
pump_nav (void)
{
  while (to_nice.done < transfer_bytes)
    {
      gint n = nav_agent_send (nav, nav_stream, 1, MIN (transfer_bytes - to_nice.done, 20000),
                               (const gchar *) to_nice.data + to_nice.done);

      if (n < 0)
        return;
      to_nice.done += n;
    }
}

static void
pump_nice (void)
{
  while (to_nav.done < transfer_bytes)
    {
      gint n = nice_agent_send (libnice_agent, nice_stream, 1,
                                MIN (transfer_bytes - to_nav.done, 20000),
                                (const gchar *) to_nav.data + to_nav.done);

      if (n < 0)
        return;
      to_nav.done += n;
    }
}

static void
on_nav_writable (NavAgent *agent,
                 guint     stream_id,
                 guint     component_id,
                 gpointer  data)
{
  pump_nav ();
}

static void
on_nice_writable (NiceAgent *agent,
                  guint      stream_id,
                  guint      component_id,
                  gpointer   data)
{
  pump_nice ();
}

static gsize
total (GPtrArray *chunks)
{
  gsize n = 0;

  for (guint i = 0; i < chunks->len; i++)
    n += g_bytes_get_size (g_ptr_array_index (chunks, i));
  return n;
}

static gchar *
checksum (GPtrArray *chunks)
{
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  gchar *hex;

  for (guint i = 0; i < chunks->len; i++)
    {
      gsize len;
      const guint8 *d = g_bytes_get_data (g_ptr_array_index (chunks, i), &len);

      g_checksum_update (sum, d, len);
    }
  hex = g_strdup (g_checksum_get_string (sum));
  g_checksum_free (sum);
  return hex;
}

static gboolean
transferred (State *s)
{
  return total (s->nice_messages) >= transfer_bytes && total (s->nav_messages) >= transfer_bytes;
}

/* Credentials both ways, and each side's one remote candidate: its relay
 * socket. */
static void
connect_through_relay (void)
{
  g_autofree gchar *ufrag = NULL;
  g_autofree gchar *pwd = NULL;
  g_autofree gchar *nav_ufrag = NULL;
  g_autofree gchar *nav_pwd = NULL;
  g_autoptr (GSocketAddress) nice_side = NULL;
  struct sockaddr_storage storage;
  GSocketAddress *nice_host, *nav_host;
  GSList *list;
  NiceCandidate *nc;

  list = nice_agent_get_local_candidates (libnice_agent, nice_stream, 1);
  g_assert_nonnull (list);
  nice_address_copy_to_sockaddr (&((NiceCandidate *) list->data)->addr,
                                 (struct sockaddr *) &storage);
  nice_host = g_socket_address_new_from_native (&storage, sizeof storage);
  g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
  list = nav_agent_get_local_candidates (nav, nav_stream, 1);
  g_assert_nonnull (list);
  nav_host = nav_address_to_socket_address (&((NavCandidate *) list->data)->addr);
  g_slist_free_full (list, (GDestroyNotify) nav_candidate_free);
  lossy_relay_init (&relay, nice_host, nav_host);
  nice_side = g_socket_get_local_address (relay.socket[0], NULL);

  g_assert_true (nice_agent_get_local_credentials (libnice_agent, nice_stream, &ufrag, &pwd));
  g_assert_true (nav_agent_set_remote_credentials (nav, nav_stream, ufrag, pwd));
  g_assert_true (nav_agent_get_local_credentials (nav, nav_stream, &nav_ufrag, &nav_pwd));
  g_assert_true (nice_agent_set_remote_credentials (libnice_agent, nice_stream, nav_ufrag,
                                                    nav_pwd));

  nc = nice_candidate_new (NICE_CANDIDATE_TYPE_HOST);
  nc->transport = NICE_CANDIDATE_TRANSPORT_UDP;
  g_socket_address_to_native (nice_side, &storage, sizeof storage, NULL);
  nice_address_set_from_sockaddr (&nc->addr, (struct sockaddr *) &storage);
  nc->base_addr = nc->addr;
  nc->priority = 2130706431;
  nc->stream_id = nice_stream;
  nc->component_id = 1;
  g_strlcpy (nc->foundation, "1", sizeof nc->foundation);
  list = g_slist_prepend (NULL, nc);
  g_assert_cmpint (nice_agent_set_remote_candidates (libnice_agent, nice_stream, 1, list), ==, 1);
  g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);

  list = g_slist_prepend (NULL, lossy_relay_candidate (&relay, 1, nav_stream));
  g_assert_cmpint (nav_agent_set_remote_candidates (nav, nav_stream, 1, list), ==, 1);
  g_slist_free_full (list, (GDestroyNotify) nav_candidate_free);
}

static gboolean
nice_failed (State *s)
{
  return s->nice_state == NICE_COMPONENT_STATE_FAILED;
}

static gboolean
nav_failed (State *s)
{
  return s->nav_state == NAV_COMPONENT_STATE_FAILED;
}

int
main (int    argc,
      char **argv)
{
  State s = { .fail_on_failed = TRUE };
  gboolean nav_controlling, lossy = FALSE, reliable = FALSE;
  g_autofree gchar *nav_sdp = NULL;
  g_autofree gchar *nice_sdp = NULL;
  g_autofree gchar *nice_got = NULL;
  g_autofree gchar *nav_got = NULL;

  if (argc != 2)
    g_error ("usage: %s [reliable-lossy-nav-controlling|reliable-lossy-nav-controlled|"
             "reliable-nav-controlling|reliable-nav-controlled]", argv[0]);
  test_case = argv[1];
  if (g_str_has_prefix (test_case, "reliable-lossy-"))
    {
      lossy = TRUE;
      transfer_bytes = 64 * 1024;
      test_case += strlen ("reliable-lossy-");
      test_case = g_strconcat ("reliable-", test_case, NULL);
    }
  if (g_str_equal (test_case, "reliable-nav-controlling"))
    nav_controlling = TRUE;
  else if (g_str_equal (test_case, "reliable-nav-controlled"))
    nav_controlling = FALSE;
  else
    g_error ("unknown case %s", test_case);

  s.nice_messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  s.nav_messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  outgoing_init (&to_nice, 11);
  outgoing_init (&to_nav, 12);

  /* The real libnice. */
  libnice_agent = nice_agent_new_reliable (NULL, NICE_COMPATIBILITY_RFC5245);
  g_object_set (libnice_agent, "controlling-mode", !nav_controlling, "ice-tcp", FALSE, "upnp", FALSE,
                NULL);
  g_object_get (libnice_agent, "reliable", &reliable, NULL);
  g_assert_true (reliable);
  nice_stream = nice_setup (libnice_agent, "application", &s);
  g_signal_connect (libnice_agent, "reliable-transport-writable", G_CALLBACK (on_nice_writable), NULL);

  /* Ours, through the libnice-named constructor. */
  nav = nav_agent_new_reliable (NULL, NAV_COMPATIBILITY_RFC5245);
  g_object_set (nav, "controlling-mode", nav_controlling, "ice-tcp", FALSE, NULL);
  g_object_get (nav, "reliable", &reliable, NULL);
  g_assert_true (reliable);
  nav_stream = nav_setup (nav, "application");
  nav_setup_finish (nav, nav_stream, &s);
  g_signal_connect (nav, "reliable-transport-writable", G_CALLBACK (on_nav_writable), NULL);

  if (lossy)
    {
      g_assert_true (nice_agent_gather_candidates (libnice_agent, nice_stream));
      g_assert_true (nav_agent_gather_candidates (nav, nav_stream));
      run_until (gathered, &s, "gathering");
      connect_through_relay ();
    }
  else
    {
      gather_and_generate_sdp (libnice_agent, nice_stream, nav, nav_stream, &s, &nice_sdp,
                               &nav_sdp);
      parse_sdp (libnice_agent, nice_sdp, nav, nav_sdp);
    }
  run_until (ready, &s, "both READY");

  /* Before the pseudo-TCP connection opens, sends return -1; the
   * writable signal of each side restarts its pump. */
  pump_nav ();
  pump_nice ();
  if (lossy)
    {
      /* run_until() with a longer failure guard: retransmissions wait
       * for their timeouts (never a timing assertion). */
      gint64 deadline = g_get_monotonic_time () + 150 * G_USEC_PER_SEC;

      while (!transferred (&s))
        {
          g_main_context_iteration (NULL, FALSE);
          if (!g_main_context_pending (NULL))
            g_usleep (1000);
          if (g_get_monotonic_time () > deadline)
            g_error ("%s: timed out in the lossy transfer (%" G_GSIZE_FORMAT " and %"
                     G_GSIZE_FORMAT " bytes received)", test_case, total (s.nice_messages),
                     total (s.nav_messages));
        }
    }
  else
    run_until (transferred, &s, "the transfer both ways");

  nice_got = checksum (s.nice_messages);
  nav_got = checksum (s.nav_messages);
  if (total (s.nice_messages) != transfer_bytes || g_strcmp0 (nice_got, to_nice.sum) != 0)
    g_error ("%s: libnice received %" G_GSIZE_FORMAT " bytes, SHA-256 %s, expected %s",
             test_case, total (s.nice_messages), nice_got, to_nice.sum);
  if (total (s.nav_messages) != transfer_bytes || g_strcmp0 (nav_got, to_nav.sum) != 0)
    g_error ("%s: NavAgent received %" G_GSIZE_FORMAT " bytes, SHA-256 %s, expected %s",
             test_case, total (s.nav_messages), nav_got, to_nav.sum);
  g_print ("%s%s: %" G_GSIZE_FORMAT " bytes each way, SHA-256 verified (%u and %u receive calls, "
           "%u datagrams dropped)\n", test_case, lossy ? " (lossy)" : "", transfer_bytes,
           s.nice_messages->len, s.nav_messages->len, relay.dropped);
  if (lossy && relay.dropped == 0)
    g_error ("%s: the relay dropped nothing", test_case);

  /* A removed stream resets its pseudo-TCP connection (RST): the peer's
   * component fails. */
  s.fail_on_failed = FALSE;
  if (nav_controlling)
    {
      nav_agent_remove_stream (nav, nav_stream);
      run_until (nice_failed, &s, "libnice's component FAILED after our RST");
    }
  else
    {
      nice_agent_remove_stream (libnice_agent, nice_stream);
      run_until (nav_failed, &s, "our component FAILED after libnice's RST");
    }
  g_print ("%s: the reset was seen\n", test_case);

  g_object_unref (libnice_agent);
  g_object_unref (nav);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  lossy_relay_clear (&relay);
  g_free (to_nice.data);
  g_free (to_nav.data);
  g_free (to_nice.sum);
  g_free (to_nav.sum);
  state_clear (&s);
  return 0;
}
