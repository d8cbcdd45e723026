/* test-checker.c: RFC 8445 rules of the `ice` checker, seen through the
 * NavChecker interface
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <netavanue/netavanue.h>

/* A failure guard, never a timing assertion. */
#define TIMEOUT_SECONDS 30

typedef struct {
  GPtrArray *pairs;             /* "local-port>remote-port:state" */
  NavComponentState state;
} Events;

static void
on_pair (NavChecker   *checker,
         NavCandidate *local,
         NavCandidate *remote,
         NavPairState  state,
         Events       *e)
{
  g_ptr_array_add (e->pairs, g_strdup_printf ("%s>%s:%d", local->foundation,
                                              remote->foundation, state));
}

static void
on_component (NavChecker        *checker,
              guint              stream_id,
              guint              component_id,
              NavComponentState  state,
              Events            *e)
{
  e->state = state;
}

static NavChecker *
new_checker (Events *e)
{
  g_autoptr (GError) error = NULL;
  GObject *checker = nav_registry_create (nav_registry_get_default (),
                                          NAV_CHECKER_EXTENSION_POINT_NAME, "ice", &error,
                                          "controlling-mode", TRUE,
                                          "stun-pacing-timer", 5,
                                          "stun-initial-timeout", 10,
                                          "stun-max-retransmissions", 1,
                                          NULL);

  g_assert_no_error (error);
  e->pairs = g_ptr_array_new_with_free_func (g_free);
  e->state = NAV_COMPONENT_STATE_DISCONNECTED;
  g_signal_connect (checker, "pair-state-changed", G_CALLBACK (on_pair), e);
  g_signal_connect (checker, "component-state-changed", G_CALLBACK (on_component), e);
  nav_checker_set_local_credentials (NAV_CHECKER (checker), 1, "lufr", "local-password-22chars");
  nav_checker_set_remote_credentials (NAV_CHECKER (checker), 1, "rufr", "remote-password-22char");
  return NAV_CHECKER (checker);
}

static NavCandidate *
candidate (NavCandidateType  type,
           const gchar      *address,
           const gchar      *foundation,
           guint32           priority,
           NavTransport     *owner)
{
  NavCandidate *c = nav_candidate_new (type);
  g_autoptr (NavAddress) addr = nav_address_new_from_string (address, NULL);

  c->addr = *addr;
  c->base_addr = *addr;
  c->stream_id = 1;
  c->component_id = 1;
  c->priority = priority;
  nav_candidate_set_foundation (c, foundation);
  nav_candidate_set_owner (c, owner);
  return c;
}

static gboolean
has_event (Events      *e,
           const gchar *event)
{
  guint i;

  for (i = 0; i < e->pairs->len; i++)
    if (g_strcmp0 (g_ptr_array_index (e->pairs, i), event) == 0)
      return TRUE;
  return FALSE;
}

/* A closed port: checks to it go unanswered. */
static gchar *
dead_address (void)
{
  g_autoptr (NavAddress) lo = nav_address_new_from_string ("127.0.0.1:0", NULL);
  g_autoptr (NavUdpTransport) t = nav_udp_transport_new (lo, NULL, NULL);

  return nav_address_to_string (nav_transport_get_local_address (NAV_TRANSPORT (t)));
}

/* RFC 8445 §6.1.2.4: a server-reflexive local candidate is replaced by
 * its base, so it makes no pair of its own; §6.1.2.6: the first pair of
 * each foundation starts Waiting, the rest Frozen; when every check
 * fails the component fails. */
static void
test_pairing_pruning_and_failure (void)
{
  Events e;
  g_autoptr (NavAddress) lo = nav_address_new_from_string ("127.0.0.1:0", NULL);
  g_autoptr (NavUdpTransport) transport = nav_udp_transport_new (lo, NULL, NULL);
  g_autoptr (NavChecker) checker = new_checker (&e);
  g_autofree gchar *host_addr = nav_address_to_string (nav_transport_get_local_address (NAV_TRANSPORT (transport)));
  g_autofree gchar *r1 = dead_address ();
  g_autofree gchar *r2 = dead_address ();
  g_autoptr (NavCandidate) host = candidate (NAV_CANDIDATE_TYPE_HOST, host_addr, "H", 2130706431,
                                             NAV_TRANSPORT (transport));
  g_autoptr (NavCandidate) srflx = candidate (NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE,
                                              "192.0.2.77:40000", "S", 1694498815,
                                              NAV_TRANSPORT (transport));
  g_autoptr (NavCandidate) remote1 = candidate (NAV_CANDIDATE_TYPE_HOST, r1, "A", 2130706431, NULL);
  g_autoptr (NavCandidate) remote2 = candidate (NAV_CANDIDATE_TYPE_HOST, r2, "A", 2130706175, NULL);
  g_autoptr (GError) error = NULL;
  gint64 deadline;

  srflx->base_addr = host->addr;
  nav_checker_add_local_candidate (checker, host);
  nav_checker_add_local_candidate (checker, srflx);
  nav_checker_add_remote_candidate (checker, remote1);
  nav_checker_add_remote_candidate (checker, remote2);

  /* two pairs, both from the host base, both Frozen */
  g_assert_cmpuint (e.pairs->len, ==, 2);
  g_assert_true (has_event (&e, "H>A:0"));
  g_assert_false (has_event (&e, "S>A:0"));

  g_assert_true (nav_checker_start (checker, 1, &error));
  g_assert_no_error (error);
  /* one foundation (H:A), so exactly one pair is Waiting */
  {
    guint waiting = 0, i;

    for (i = 0; i < e.pairs->len; i++)
      if (g_str_has_suffix (g_ptr_array_index (e.pairs, i), ":1"))
        waiting++;
    g_assert_cmpuint (waiting, ==, 1);
  }
  g_assert_cmpint (e.state, ==, NAV_COMPONENT_STATE_CONNECTING);

  /* nobody answers: both pairs fail, then the component */
  deadline = g_get_monotonic_time () + TIMEOUT_SECONDS * G_USEC_PER_SEC;
  while (e.state != NAV_COMPONENT_STATE_FAILED)
    {
      g_main_context_iteration (NULL, TRUE);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
  g_assert_true (has_event (&e, "H>A:4"));
  g_ptr_array_unref (e.pairs);
}

/* RFC 8445 §6.1.2.5: the check list is cut to max-connectivity-checks. */
static void
test_max_checks (void)
{
  Events e;
  g_autoptr (NavAddress) lo = nav_address_new_from_string ("127.0.0.1:0", NULL);
  g_autoptr (NavUdpTransport) transport = nav_udp_transport_new (lo, NULL, NULL);
  g_autoptr (NavChecker) checker = new_checker (&e);
  g_autofree gchar *host_addr = nav_address_to_string (nav_transport_get_local_address (NAV_TRANSPORT (transport)));
  g_autoptr (NavCandidate) host = candidate (NAV_CANDIDATE_TYPE_HOST, host_addr, "H", 2130706431,
                                             NAV_TRANSPORT (transport));
  g_autoptr (GPtrArray) local = NULL;
  guint i;

  g_object_set (checker, "max-connectivity-checks", 3, NULL);
  nav_checker_add_local_candidate (checker, host);
  for (i = 0; i < 6; i++)
    {
      g_autofree gchar *addr = g_strdup_printf ("198.51.100.%u:5000", i + 1);
      g_autofree gchar *foundation = g_strdup_printf ("R%u", i);
      g_autoptr (NavCandidate) remote = candidate (NAV_CANDIDATE_TYPE_HOST, addr, foundation,
                                                   1000 + i, NULL);

      nav_checker_add_remote_candidate (checker, remote);
    }
  /* a candidate added twice is one candidate */
  nav_checker_add_local_candidate (checker, host);
  /* Six pairs were made, the three of lowest priority dropped: the
   * highest remote priorities (R5, R4, R3) remain; starting checks them
   * all (each its own foundation). */
  g_ptr_array_set_size (e.pairs, 0);
  g_assert_true (nav_checker_start (checker, 1, NULL));
  g_assert_cmpuint (e.pairs->len, ==, 3);
  g_assert_true (has_event (&e, "H>R5:1"));
  g_assert_true (has_event (&e, "H>R4:1"));
  g_assert_true (has_event (&e, "H>R3:1"));
  nav_checker_remove_stream (checker, 1);
  g_ptr_array_unref (e.pairs);
}

/* Garbage offered to the checker is not consumed and changes nothing. */
static void
test_garbage_messages (void)
{
  Events e;
  g_autoptr (NavAddress) lo = nav_address_new_from_string ("127.0.0.1:0", NULL);
  g_autoptr (NavUdpTransport) transport = nav_udp_transport_new (lo, NULL, NULL);
  g_autoptr (NavChecker) checker = new_checker (&e);
  g_autoptr (NavAddress) from = nav_address_new_from_string ("127.0.0.1:9", NULL);
  guint i;

  for (i = 0; i < 2000; i++)
    {
      guint8 buf[96];
      gsize len = g_random_int_range (0, sizeof buf);
      guint j;

      for (j = 0; j < len; j++)
        buf[j] = g_random_int_range (0, 256);
      if (len >= 20)
        {
          buf[0] = 0;
          buf[1] = 1;
          buf[2] = 0;
          buf[3] = (len - 20) & ~3;
          buf[4] = 0x21; buf[5] = 0x12; buf[6] = 0xa4; buf[7] = 0x42;
        }
      g_assert_false (nav_checker_handle_message (checker, NAV_TRANSPORT (transport), buf, len,
                                                  from));
    }
  g_assert_cmpuint (e.pairs->len, ==, 0);
  g_ptr_array_unref (e.pairs);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ice/checker/pairing-pruning-failure", test_pairing_pruning_and_failure);
  g_test_add_func ("/ice/checker/max-connectivity-checks", test_max_checks);
  g_test_add_func ("/ice/checker/garbage", test_garbage_messages);

  return g_test_run ();
}
