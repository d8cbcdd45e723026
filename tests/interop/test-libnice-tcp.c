/* test-libnice-tcp.c: a NavAgent and the real libnice's NiceAgent connect
 * over ICE-TCP (RFC 6544)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Both agents live in one process and one main context, on loopback,
 * with ice-udp off and ice-tcp on: neither has a UDP candidate, so every
 * check and datagram crosses an RFC 4571 framed TCP connection between
 * the two libraries.  They exchange SDP (libnice's
 * nice_agent_generate_local_sdp() and ours), connect, and send messages
 * both ways; both selected pairs must be TCP, one side's active
 * candidate connected to the other's passive one.  Cases, one per run:
 *
 *   tcp-nav-controlling          libnice's default (aggressive nomination)
 *   tcp-nav-controlled
 *   tcp-regular-nav-controlling  libnice with REGULAR_NOMINATION, we in
 *   tcp-regular-nav-controlled   RFC 8445 mode
 *   tcp-passive-nav-controlling  libnice's passive candidate kept from us:
 *   tcp-passive-nav-controlled   libnice's active one must connect to our
 *                                passive one (we learn it peer-reflexive)
 *   tcp-active-nav-controlling   our passive candidate kept from libnice:
 *   tcp-active-nav-controlled    ours must connect to libnice's
 *
 * libnice is linked: it cannot be missing.
 */
#include "config.h"

#include "libnice-test-util.h"

#define N_MESSAGES N_DATAGRAMS

/* Message @i from @sender, 1 to 5000 bytes: over TCP only the RFC 4571
 * framing keeps them apart. */
static GBytes *
message (guint sender,
         guint i)
{
  gsize len = 1 + (i * 613) % 5000;
  guint8 *data = g_malloc (len);

  for (gsize k = 0; k < len; k++)
    data[k] = (guint8) (sender * 31 + i * 3 + k);
  return g_bytes_new_take (data, len);
}

/* @sdp without its passive candidates. */
static gchar *
drop_passive (const gchar *sdp)
{
  g_auto (GStrv) lines = g_strsplit (sdp, "\n", -1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0' && strstr (lines[i], "tcptype passive") == NULL)
      g_string_append_printf (out, "%s\n", lines[i]);
  return g_string_free (out, FALSE);
}

static const gchar *
nice_transport_name (NiceCandidateTransport t)
{
  switch (t)
    {
    case NICE_CANDIDATE_TRANSPORT_UDP: return "udp";
    case NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE: return "tcp-active";
    case NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE: return "tcp-passive";
    case NICE_CANDIDATE_TRANSPORT_TCP_SO: return "tcp-so";
    default: return "?";
    }
}

/* Whether NavAgent's selected pair (in @s) and libnice's are the two ends
 * of one TCP connection: our active with their passive, or our passive
 * with their active (RFC 6544 §6.2). */
static gboolean
same_connection (const State        *s,
                 const NiceCandidate *nice_local,
                 const NiceCandidate *nice_remote)
{
  if (s->nav_local == NULL || s->nav_remote == NULL)
    return FALSE;
  if (s->nav_local->transport == NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE)
    return s->nav_remote->transport == NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE &&
           nice_local->transport == NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE &&
           nice_remote->transport == NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE &&
           nice_address_get_port (&nice_local->addr) == nav_address_get_port (&s->nav_remote->addr);
  if (s->nav_local->transport == NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE)
    return s->nav_remote->transport == NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE &&
           nice_local->transport == NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE &&
           nice_remote->transport == NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE &&
           nice_address_get_port (&nice_remote->addr) == nav_address_get_port (&s->nav_local->addr);
  return FALSE;
}

int
main (int    argc,
      char **argv)
{
  gboolean nav_controlling, regular, nav_passive, nav_active;
  NiceAgent *nice;
  NavAgent *nav;
  guint nice_stream, nav_stream, i;
  gchar *nice_sdp, *nav_sdp;
  NiceCandidate *nice_local = NULL, *nice_remote = NULL;   /* libnice's own */
  State s = { 0, };

  if (argc != 2)
    g_error ("usage: test-libnice-tcp CASE");
  test_case = argv[1];
  nav_controlling = g_str_has_suffix (test_case, "-nav-controlling");
  regular = g_str_has_prefix (test_case, "tcp-regular-");
  nav_passive = g_str_has_prefix (test_case, "tcp-passive-");
  nav_active = g_str_has_prefix (test_case, "tcp-active-");
  if (!g_str_has_prefix (test_case, "tcp-") ||
      (!nav_controlling && !g_str_has_suffix (test_case, "-nav-controlled")))
    g_error ("unknown case %s", test_case);
  s.nice_messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  s.nav_messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  /* the real libnice, TCP only */
  nice = regular ? nice_agent_new_full (NULL, NICE_COMPATIBILITY_RFC5245,
                                        NICE_AGENT_OPTION_REGULAR_NOMINATION)
                 : nice_agent_new (NULL, NICE_COMPATIBILITY_RFC5245);
  g_object_set (nice, "controlling-mode", !nav_controlling, "upnp", FALSE,
                "ice-udp", FALSE, "ice-tcp", TRUE, NULL);
  nice_stream = nice_setup (nice, "audio", &s);

  /* NetAvanue, TCP only */
  nav = nav_agent_new (NULL, regular ? NAV_COMPATIBILITY_RFC8445 : NAV_COMPATIBILITY_RFC5245);
  g_object_set (nav, "controlling-mode", nav_controlling, "ice-udp", FALSE, "ice-tcp", TRUE,
                NULL);
  nav_stream = nav_setup (nav, "audio");
  nav_setup_finish (nav, nav_stream, &s);

  gather_and_generate_sdp (nice, nice_stream, nav, nav_stream, &s, &nice_sdp, &nav_sdp);
  if (strstr (nice_sdp, " TCP ") == NULL || strstr (nice_sdp, " UDP ") != NULL)
    g_error ("%s: libnice did not offer TCP candidates only", test_case);
  if (strstr (nav_sdp, "tcptype active") == NULL || strstr (nav_sdp, "tcptype passive") == NULL ||
      strstr (nav_sdp, " UDP ") != NULL)
    g_error ("%s: NavAgent did not offer active and passive TCP candidates only", test_case);
  if (nav_passive)
    {
      gchar *dropped = drop_passive (nice_sdp);

      g_free (nice_sdp);
      nice_sdp = dropped;
    }
  if (nav_active)
    {
      gchar *dropped = drop_passive (nav_sdp);

      g_free (nav_sdp);
      nav_sdp = dropped;
    }
  parse_sdp (nice, nice_sdp, nav, nav_sdp);
  g_free (nice_sdp);
  g_free (nav_sdp);

  run_until (ready, &s, "READY on both sides");
  /* With aggressive nomination every check nominates, so both TCP
   * connections may be nominated and each agent moves to the
   * highest-priority one as its nomination completes (RFC 5245 §8.1.1.2):
   * READY on both sides may come a moment before both agree.  Wait,
   * bounded, for the same connection on both sides. */
  {
    gint64 deadline = g_get_monotonic_time () + TIMEOUT_SECONDS * G_USEC_PER_SEC;

    while (!nice_agent_get_selected_pair (nice, nice_stream, 1, &nice_local, &nice_remote) ||
           !same_connection (&s, nice_local, nice_remote))
      {
        if (g_get_monotonic_time () > deadline)
          break;
        g_main_context_iteration (NULL, FALSE);
        if (!g_main_context_pending (NULL))
          g_usleep (1000);
      }
  }
  if (nice_local == NULL)
    g_error ("%s: libnice has no selected pair", test_case);
  {
    g_autofree gchar *l = nav_candidate_to_string (s.nav_local);
    g_autofree gchar *r = nav_candidate_to_string (s.nav_remote);
    gchar a[NICE_ADDRESS_STRING_LEN], b[NICE_ADDRESS_STRING_LEN];

    nice_address_to_string (&nice_local->addr, a);
    nice_address_to_string (&nice_remote->addr, b);
    g_print ("NavAgent selected %s -> %s\n", l, r);
    g_print ("libnice selected %s %s:%u -> %s %s:%u\n",
             nice_transport_name (nice_local->transport), a,
             nice_address_get_port (&nice_local->addr),
             nice_transport_name (nice_remote->transport), b,
             nice_address_get_port (&nice_remote->addr));
  }
  if (s.nav_local->transport != NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE &&
      s.nav_local->transport != NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE)
    g_error ("%s: NavAgent's selected pair is not TCP", test_case);
  if (!same_connection (&s, nice_local, nice_remote))
    g_error ("%s: the two agents selected different TCP pairs", test_case);
  if (nav_passive && s.nav_local->transport != NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE)
    g_error ("%s: NavAgent's passive candidate was not selected", test_case);
  if (nav_passive && s.nav_remote->type != NAV_CANDIDATE_TYPE_PEER_REFLEXIVE)
    g_error ("%s: libnice's connection was not learnt as peer-reflexive", test_case);
  if (nav_active && s.nav_local->transport != NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE)
    g_error ("%s: NavAgent's active candidate was not selected", test_case);

  for (i = 0; i < N_MESSAGES; i++)
    {
      g_autoptr (GBytes) to_nice = message (0, i);
      g_autoptr (GBytes) to_nav = message (1, i);

      send_both_ways (nice, nice_stream, nav, nav_stream,
                      g_bytes_get_size (to_nice), g_bytes_get_data (to_nice, NULL),
                      g_bytes_get_size (to_nav), g_bytes_get_data (to_nav, NULL));
    }
  run_until (received, &s, "data both ways");
  /* TCP: every message whole, in order, nothing more. */
  if (s.nice_received != N_MESSAGES || s.nav_received != N_MESSAGES)
    g_error ("%s: %u and %u messages received, %u sent each way", test_case,
             s.nice_received, s.nav_received, N_MESSAGES);
  for (i = 0; i < N_MESSAGES; i++)
    {
      g_autoptr (GBytes) to_nice = message (0, i);
      g_autoptr (GBytes) to_nav = message (1, i);

      if (!g_bytes_equal (g_ptr_array_index (s.nice_messages, i), to_nice))
        g_error ("%s: libnice's message %u differs from what NavAgent sent", test_case, i);
      if (!g_bytes_equal (g_ptr_array_index (s.nav_messages, i), to_nav))
        g_error ("%s: NavAgent's message %u differs from what libnice sent", test_case, i);
    }
  check_nav_role (nav, nav_controlling);
  g_print ("OK %s: %u messages each way over TCP\n", test_case, N_MESSAGES);

  nav_agent_remove_stream (nav, nav_stream);
  nice_agent_remove_stream (nice, nice_stream);
  g_object_unref (nav);
  g_object_unref (nice);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  state_clear (&s);
  return 0;
}
