/* test-host-gatherer.c: NavHostGatherer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <netavanue/netavanue.h>

/* A failure guard, never a timing assertion. */
#define TIMEOUT_SECONDS 5

typedef struct {
  GPtrArray *candidates;        /* NavCandidate */
  guint done;
  guint expected_done;
  gboolean candidate_after_done;
  guint last_done_stream;
  guint last_done_component;
  gboolean stop_on_first;
} Collector;

static void
collector_init (Collector *c)
{
  memset (c, 0, sizeof (*c));
  c->candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
  c->expected_done = 1;
}

static void
collector_clear (Collector *c)
{
  g_ptr_array_unref (c->candidates);
}

static void
on_candidate (NavGatherer  *gatherer,
              NavCandidate *candidate,
              gpointer      user_data)
{
  Collector *c = user_data;

  if (c->done >= c->expected_done)
    c->candidate_after_done = TRUE;
  g_ptr_array_add (c->candidates, nav_candidate_copy (candidate));
  if (c->stop_on_first)
    nav_gatherer_stop (gatherer);
}

static void
on_done (NavGatherer *gatherer,
         guint        stream_id,
         guint        component_id,
         gpointer     user_data)
{
  Collector *c = user_data;

  c->done++;
  c->last_done_stream = stream_id;
  c->last_done_component = component_id;
}

static gboolean
set_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
collector_wait (Collector    *c,
                GMainContext *context)
{
  gboolean timed_out = FALSE;
  GSource *timeout = g_timeout_source_new_seconds (TIMEOUT_SECONDS);
  guint i;

  g_source_set_callback (timeout, set_flag, &timed_out, NULL);
  g_source_attach (timeout, context);
  while (c->done < c->expected_done && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_source_unref (timeout);
  g_assert_false (timed_out);

  /* Anything late would show up now. */
  for (i = 0; i < 10; i++)
    g_main_context_iteration (context, FALSE);
  g_assert_cmpuint (c->done, ==, c->expected_done);
  g_assert_false (c->candidate_after_done);
}

static NavHostGatherer *
new_gatherer (GMainContext *context,
              Collector    *c)
{
  NavHostGatherer *gatherer = nav_host_gatherer_new (context);

  g_signal_connect (gatherer, "candidate-gathered", G_CALLBACK (on_candidate), c);
  g_signal_connect (gatherer, "done", G_CALLBACK (on_done), c);
  return gatherer;
}

static guint
local_preference_of (const NavCandidate *candidate)
{
  return (candidate->priority >> 8) & 0xffff;
}

/* What every host candidate must be, whatever the machine. */
static void
check_candidate (const NavCandidate *candidate,
                 GMainContext       *context,
                 guint               stream_id,
                 guint               component_id)
{
  const NavAddress *owner_address;

  g_assert_cmpint (candidate->type, ==, NAV_CANDIDATE_TYPE_HOST);
  g_assert_cmpint (candidate->transport, ==, NAV_CANDIDATE_TRANSPORT_UDP);
  g_assert_cmpuint (candidate->stream_id, ==, stream_id);
  g_assert_cmpuint (candidate->component_id, ==, component_id);
  g_assert_true (nav_address_is_valid (&candidate->addr));
  g_assert_cmpuint (nav_address_get_port (&candidate->addr), !=, 0);
  g_assert_true (nav_address_equal (&candidate->base_addr, &candidate->addr));
  g_assert_false (nav_address_is_valid (&candidate->related_addr));

  /* The owner is the transport bound to the candidate's address, in the
   * gatherer's context. */
  g_assert_true (NAV_IS_UDP_TRANSPORT (candidate->owner));
  owner_address = nav_transport_get_local_address (candidate->owner);
  g_assert_nonnull (owner_address);
  g_assert_true (nav_address_equal (owner_address, &candidate->addr));
  g_assert_true (nav_transport_get_context (candidate->owner) == context);

  /* RFC 8445 §5.1.2.1 with the host type preference. */
  g_assert_cmpuint (candidate->priority >> 24, ==, 126);
  g_assert_cmpuint (candidate->priority & 0xff, ==, 256 - component_id);
  g_assert_cmpuint (candidate->priority, ==,
                    nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_HOST,
                                                    NAV_CANDIDATE_TRANSPORT_UDP,
                                                    local_preference_of (candidate),
                                                    component_id));

  g_assert_cmpuint (strlen (candidate->foundation), >, 0);
  g_assert_cmpuint (strspn (candidate->foundation, "0123456789"), ==,
                    strlen (candidate->foundation));
}

/* RFC 8445 §5.1.1.3: same base IP (all UDP host here) ⇔ same foundation. */
static void
check_foundations (GPtrArray *candidates)
{
  guint i, j;

  for (i = 0; i < candidates->len; i++)
    for (j = 0; j < candidates->len; j++)
      {
        const NavCandidate *a = candidates->pdata[i], *b = candidates->pdata[j];
        gboolean same_ip = nav_address_equal_no_port (&a->base_addr, &b->base_addr);

        g_assert_cmpint (same_ip, ==, g_str_equal (a->foundation, b->foundation));
      }
}

static void
check_distinct_priorities (GPtrArray *candidates)
{
  guint i, j;

  for (i = 0; i < candidates->len; i++)
    for (j = i + 1; j < candidates->len; j++)
      g_assert_cmpuint (((NavCandidate *) candidates->pdata[i])->priority, !=,
                        ((NavCandidate *) candidates->pdata[j])->priority);
}

static gboolean
list_contains (GList            *list,
               const NavAddress *address)
{
  for (; list != NULL; list = list->next)
    if (nav_address_equal_no_port (list->data, address))
      return TRUE;
  return FALSE;
}

/* An address can be listed and not bindable yet (IPv6 duplicate address
 * detection): the gatherer skips those, so count them the same way. */
static guint
count_bindable (GList *addresses)
{
  guint n = 0;

  for (; addresses != NULL; addresses = addresses->next)
    {
      g_autoptr (NavUdpTransport) transport = nav_udp_transport_new (addresses->data, NULL, NULL);

      if (transport != NULL)
        n++;
    }
  return n;
}

static void
test_gather_custom_context (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavHostGatherer) gatherer = NULL;
  GList *expected = nav_host_gatherer_list_local_addresses (FALSE, TRUE, TRUE);
  const NavCandidate *best = NULL;
  gboolean have_ipv6 = FALSE;
  Collector c;
  guint i;

  collector_init (&c);
  gatherer = new_gatherer (context, &c);
  g_assert_true (nav_gatherer_get_context (NAV_GATHERER (gatherer)) == context);

  nav_gatherer_gather (NAV_GATHERER (gatherer), 3, 1, NULL);

  /* Nothing from inside gather(), nor from the default context. */
  g_assert_cmpuint (c.candidates->len, ==, 0);
  g_assert_cmpuint (c.done, ==, 0);
  for (i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (c.candidates->len, ==, 0);
  g_assert_cmpuint (c.done, ==, 0);

  collector_wait (&c, context);
  g_assert_cmpuint (c.last_done_stream, ==, 3);
  g_assert_cmpuint (c.last_done_component, ==, 1);
  g_assert_cmpuint (c.candidates->len, >, 0);

  for (i = 0; i < c.candidates->len; i++)
    {
      const NavCandidate *candidate = c.candidates->pdata[i];

      check_candidate (candidate, context, 3, 1);
      if (best == NULL || candidate->priority > best->priority)
        best = candidate;

      if (expected != NULL)
        {
          /* Exactly the interfaces' addresses: no loopback, no IPv6
           * link-local. */
          g_assert_true (list_contains (expected, &candidate->addr));
          g_assert_false (nav_address_is_loopback (&candidate->addr));
          if (nav_address_ip_version (&candidate->addr) == 6)
            {
              g_assert_false (nav_address_is_link_local (&candidate->addr));
              have_ipv6 = TRUE;
            }
        }
      else
        {
          /* No usable interface: the loopback fallback. */
          g_assert_true (nav_address_is_loopback (&candidate->addr));
        }
    }
  if (expected != NULL)
    g_assert_cmpuint (c.candidates->len, ==, count_bindable (expected));
  check_distinct_priorities (c.candidates);
  check_foundations (c.candidates);

  /* RFC 8421: IPv6 ranks first when the host has it. */
  g_assert_cmpuint (local_preference_of (best), ==, 65535);
  if (have_ipv6)
    g_assert_cmpuint (nav_address_ip_version (&best->addr), ==, 6);

  g_list_free_full (expected, (GDestroyNotify) nav_address_free);
  collector_clear (&c);
}

static void
test_gather_two_components (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavHostGatherer) gatherer = NULL;
  g_autoptr (NavAddress) a = nav_address_new_from_string ("127.0.0.1", NULL);
  g_autoptr (NavAddress) b = nav_address_new_from_string ("127.0.0.2", NULL);
  Collector c;
  guint i, j;

  collector_init (&c);
  c.expected_done = 2;
  gatherer = new_gatherer (context, &c);
  nav_host_gatherer_add_local_address (gatherer, a);
  nav_host_gatherer_add_local_address (gatherer, b);
  nav_host_gatherer_add_local_address (gatherer, a);   /* ignored */
  {
    /* The port of an explicit address is ignored: each component binds
     * its own. */
    g_autoptr (NavAddress) a_with_port = nav_address_new_from_string ("127.0.0.1:9", NULL);

    nav_host_gatherer_add_local_address (gatherer, a_with_port);
  }

  nav_gatherer_gather (NAV_GATHERER (gatherer), 1, 1, NULL);
  nav_gatherer_gather (NAV_GATHERER (gatherer), 1, 2, NULL);
  collector_wait (&c, context);

  /* Two addresses × two components, each on its own port. */
  g_assert_cmpuint (c.candidates->len, ==, 4);
  for (i = 0; i < 4; i++)
    {
      const NavCandidate *ci = c.candidates->pdata[i];

      check_candidate (ci, context, 1, ci->component_id);
      for (j = i + 1; j < 4; j++)
        g_assert_false (nav_address_equal (&ci->addr,
                                           &((NavCandidate *) c.candidates->pdata[j])->addr));
    }
  check_distinct_priorities (c.candidates);
  /* The foundation is per base IP, the same for both components. */
  check_foundations (c.candidates);

  /* Explicit addresses rank in the order they were added. */
  for (i = 0; i < 4; i++)
    {
      const NavCandidate *ci = c.candidates->pdata[i];

      if (nav_address_equal_no_port (&ci->addr, a))
        {
          g_assert_cmpuint (local_preference_of (ci), ==, 65535);
          g_assert_cmpstr (ci->foundation, ==, "1");
        }
      else
        {
          g_assert_cmpuint (local_preference_of (ci), ==, 65534);
          g_assert_cmpstr (ci->foundation, ==, "2");
        }
    }
  collector_clear (&c);
}

static void
test_loopback_explicit (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavHostGatherer) gatherer = NULL;
  g_autoptr (NavAddress) loopback = nav_address_new_from_string ("127.0.0.1", NULL);
  const NavCandidate *candidate;
  Collector c;

  collector_init (&c);
  gatherer = new_gatherer (context, &c);
  g_object_set (gatherer, "include-loopback", TRUE, NULL);
  nav_host_gatherer_add_local_address (gatherer, loopback);

  nav_gatherer_gather (NAV_GATHERER (gatherer), 1, 1, NULL);
  collector_wait (&c, context);

  g_assert_cmpuint (c.candidates->len, ==, 1);
  candidate = c.candidates->pdata[0];
  check_candidate (candidate, context, 1, 1);
  g_assert_true (nav_address_equal_no_port (&candidate->addr, loopback));
  g_assert_cmpuint (candidate->priority, ==,
                    nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_HOST,
                                                    NAV_CANDIDATE_TRANSPORT_UDP,
                                                    65535, 1));
  g_assert_cmpstr (candidate->foundation, ==, "1");
  collector_clear (&c);
}

static void
test_loopback_only_when_asked (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavHostGatherer) without = NULL, with = NULL;
  GList *others = nav_host_gatherer_list_local_addresses (FALSE, TRUE, TRUE);
  guint lowest_other = G_MAXUINT, highest_loopback = 0, n_other = 0, i;
  gboolean saw_loopback = FALSE;
  Collector c1, c2;

  if (others == NULL)
    {
      g_test_skip ("No interface address but loopback: the gatherer falls back to it");
      return;
    }

  collector_init (&c1);
  without = new_gatherer (context, &c1);
  nav_gatherer_gather (NAV_GATHERER (without), 1, 1, NULL);
  collector_wait (&c1, context);
  for (i = 0; i < c1.candidates->len; i++)
    g_assert_false (nav_address_is_loopback (&((NavCandidate *) c1.candidates->pdata[i])->addr));

  collector_init (&c2);
  with = new_gatherer (context, &c2);
  g_object_set (with, "include-loopback", TRUE, NULL);
  nav_gatherer_gather (NAV_GATHERER (with), 1, 1, NULL);
  collector_wait (&c2, context);
  for (i = 0; i < c2.candidates->len; i++)
    {
      const NavCandidate *candidate = c2.candidates->pdata[i];

      check_candidate (candidate, context, 1, 1);
      if (nav_address_is_loopback (&candidate->addr))
        {
          saw_loopback = TRUE;
          highest_loopback = MAX (highest_loopback, candidate->priority);
        }
      else
        {
          lowest_other = MIN (lowest_other, candidate->priority);
          n_other++;
        }
    }
  g_assert_true (saw_loopback);
  /* The same interface candidates, plus loopback ones. */
  g_assert_cmpuint (n_other, ==, c1.candidates->len);
  /* Loopback ranks last. */
  g_assert_cmpuint (highest_loopback, <, lowest_other);
  check_distinct_priorities (c2.candidates);

  g_list_free_full (others, (GDestroyNotify) nav_address_free);
  collector_clear (&c1);
  collector_clear (&c2);
}

static void
test_ipv4_only (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavHostGatherer) gatherer = NULL;
  Collector c;
  guint i;

  collector_init (&c);
  gatherer = new_gatherer (context, &c);
  g_object_set (gatherer, "ipv6", FALSE, "include-loopback", TRUE, NULL);
  nav_gatherer_gather (NAV_GATHERER (gatherer), 1, 1, NULL);
  collector_wait (&c, context);

  g_assert_cmpuint (c.candidates->len, >, 0);
  for (i = 0; i < c.candidates->len; i++)
    g_assert_cmpuint (nav_address_ip_version (&((NavCandidate *) c.candidates->pdata[i])->addr),
                      ==, 4);
  collector_clear (&c);
}

static void
test_ice_udp_disabled (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavHostGatherer) gatherer = NULL;
  gboolean ice_udp = FALSE;
  Collector c;

  collector_init (&c);
  gatherer = new_gatherer (context, &c);
  g_object_get (gatherer, "ice-udp", &ice_udp, NULL);
  g_assert_true (ice_udp);
  g_object_set (gatherer, "ice-udp", FALSE, NULL);
  nav_gatherer_gather (NAV_GATHERER (gatherer), 1, 1, NULL);
  collector_wait (&c, context);
  g_assert_cmpuint (c.candidates->len, ==, 0);
  collector_clear (&c);
}

static void
test_stop_before_idle (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavHostGatherer) gatherer = NULL;
  Collector c;

  collector_init (&c);
  c.expected_done = 2;
  gatherer = new_gatherer (context, &c);
  g_object_set (gatherer, "include-loopback", TRUE, NULL);
  nav_gatherer_gather (NAV_GATHERER (gatherer), 1, 1, NULL);
  nav_gatherer_gather (NAV_GATHERER (gatherer), 1, 2, NULL);
  nav_gatherer_stop (NAV_GATHERER (gatherer));

  /* One done per gather, no candidate. */
  collector_wait (&c, context);
  g_assert_cmpuint (c.candidates->len, ==, 0);

  /* The gatherer still works afterwards. */
  c.expected_done = 3;
  nav_gatherer_gather (NAV_GATHERER (gatherer), 1, 1, NULL);
  collector_wait (&c, context);
  g_assert_cmpuint (c.candidates->len, >, 0);
  collector_clear (&c);
}

static void
test_stop_from_handler (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavHostGatherer) gatherer = NULL;
  const gchar *ips[] = { "127.0.0.1", "127.0.0.2", "127.0.0.3" };
  Collector c;
  guint i;

  collector_init (&c);
  c.stop_on_first = TRUE;
  gatherer = new_gatherer (context, &c);
  for (i = 0; i < G_N_ELEMENTS (ips); i++)
    {
      g_autoptr (NavAddress) address = nav_address_new_from_string (ips[i], NULL);

      nav_host_gatherer_add_local_address (gatherer, address);
    }
  nav_gatherer_gather (NAV_GATHERER (gatherer), 1, 1, NULL);
  collector_wait (&c, context);

  /* The rest is cancelled; done still comes, once. */
  g_assert_cmpuint (c.candidates->len, ==, 1);
  collector_clear (&c);
}

static void
test_port_range_and_bind_failure (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (NavHostGatherer) gatherer = NULL;
  g_autoptr (NavAddress) a = nav_address_new_from_string ("127.0.0.1", NULL);
  g_autoptr (NavAddress) b = nav_address_new_from_string ("127.0.0.2", NULL);
  g_autoptr (NavAddress) foreign = nav_address_new_from_string ("198.51.100.231", NULL);
  GList *local = nav_host_gatherer_list_local_addresses (TRUE, TRUE, TRUE);
  guint base = g_random_int_range (20000, 60000), i;
  Collector c;

  if (list_contains (local, foreign))
    {
      g_list_free_full (local, (GDestroyNotify) nav_address_free);
      g_test_skip ("198.51.100.231 is a local address here");
      return;
    }
  g_list_free_full (local, (GDestroyNotify) nav_address_free);

  collector_init (&c);
  gatherer = new_gatherer (context, &c);
  g_object_set (gatherer, "min-port", base, "max-port", base + 9, NULL);
  nav_host_gatherer_add_local_address (gatherer, foreign);
  nav_host_gatherer_add_local_address (gatherer, a);
  nav_host_gatherer_add_local_address (gatherer, b);
  nav_gatherer_gather (NAV_GATHERER (gatherer), 1, 1, NULL);
  collector_wait (&c, context);

  /* The address that cannot be bound is skipped; the others get ports of
   * the range (unless another process holds all ten). */
  g_assert_cmpuint (c.candidates->len, <=, 2);
  for (i = 0; i < c.candidates->len; i++)
    {
      const NavCandidate *candidate = c.candidates->pdata[i];
      guint port = nav_address_get_port (&candidate->addr);

      check_candidate (candidate, context, 1, 1);
      g_assert_false (nav_address_equal_no_port (&candidate->addr, foreign));
      g_assert_cmpuint (port, >=, base);
      g_assert_cmpuint (port, <=, base + 9);
    }
  collector_clear (&c);
}

static void
test_transports_outlive_gatherer (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  NavHostGatherer *gatherer;
  g_autoptr (NavAddress) loopback = nav_address_new_from_string ("127.0.0.1", NULL);
  g_autoptr (NavCandidate) candidate = NULL;
  GSocket *socket;
  Collector c;

  collector_init (&c);
  gatherer = new_gatherer (context, &c);
  nav_host_gatherer_add_local_address (gatherer, loopback);
  nav_gatherer_gather (NAV_GATHERER (gatherer), 1, 1, NULL);
  collector_wait (&c, context);
  g_assert_cmpuint (c.candidates->len, ==, 1);
  candidate = nav_candidate_copy (c.candidates->pdata[0]);
  collector_clear (&c);

  g_object_unref (gatherer);

  /* The candidate's reference keeps the transport open. */
  socket = nav_udp_transport_get_socket (NAV_UDP_TRANSPORT (candidate->owner));
  g_assert_false (g_socket_is_closed (socket));
  g_assert_true (nav_transport_send (candidate->owner, &candidate->addr,
                                     (const guint8 *) "x", 1, NULL));
}

static void
test_list_local_addresses (void)
{
  GList *with_loopback = nav_host_gatherer_list_local_addresses (TRUE, TRUE, FALSE);
  GList *all = nav_host_gatherer_list_local_addresses (FALSE, TRUE, TRUE);
  GList *none = nav_host_gatherer_list_local_addresses (TRUE, FALSE, FALSE);
  g_autoptr (NavAddress) loopback = nav_address_new_from_string ("127.0.0.1", NULL);
  GList *l;

  /* lo is up on any Linux machine that runs tests. */
  g_assert_true (list_contains (with_loopback, loopback));
  for (l = with_loopback; l != NULL; l = l->next)
    {
      g_assert_cmpuint (nav_address_ip_version (l->data), ==, 4);
      g_assert_cmpuint (nav_address_get_port (l->data), ==, 0);
    }
  for (l = all; l != NULL; l = l->next)
    {
      g_assert_false (nav_address_is_loopback (l->data));
      g_assert_false (nav_address_ip_version (l->data) == 6 &&
                      nav_address_is_link_local (l->data));
    }
  g_assert_null (none);

  g_list_free_full (with_loopback, (GDestroyNotify) nav_address_free);
  g_list_free_full (all, (GDestroyNotify) nav_address_free);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/host-gatherer/gather/custom-context", test_gather_custom_context);
  g_test_add_func ("/host-gatherer/gather/two-components", test_gather_two_components);
  g_test_add_func ("/host-gatherer/gather/ipv4-only", test_ipv4_only);
  g_test_add_func ("/host-gatherer/gather/ice-udp-disabled", test_ice_udp_disabled);
  g_test_add_func ("/host-gatherer/gather/port-range-and-bind-failure",
                   test_port_range_and_bind_failure);
  g_test_add_func ("/host-gatherer/loopback/explicit", test_loopback_explicit);
  g_test_add_func ("/host-gatherer/loopback/only-when-asked", test_loopback_only_when_asked);
  g_test_add_func ("/host-gatherer/stop/before-idle", test_stop_before_idle);
  g_test_add_func ("/host-gatherer/stop/from-candidate-handler", test_stop_from_handler);
  g_test_add_func ("/host-gatherer/transports-outlive-gatherer", test_transports_outlive_gatherer);
  g_test_add_func ("/host-gatherer/list-local-addresses", test_list_local_addresses);

  return g_test_run ();
}
