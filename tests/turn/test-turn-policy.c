/* test-turn-policy.c: which peers the TURN server relays to (issue 14,
 * item 9): every form of an address that is not globally reachable is
 * refused, an IPv6 address standing for an IPv4 one is judged by it, and
 * the operator's allowed and denied ranges win over the defaults
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-turn-server-private.h"

typedef struct
{
  const gchar *address;         /* IP:PORT or [IPv6]:PORT */
  gboolean allowed;
} Case;

static void
check (const NavTurnPeerPolicy *policy,
       const Case              *cases,
       gsize                    n)
{
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr (GError) error = NULL;
      NavAddress peer;

      g_assert_true (nav_address_set_from_string (&peer, cases[i].address, &error));
      g_assert_no_error (error);
      if (nav_turn_peer_policy_allows (policy, &peer) != cases[i].allowed)
        g_error ("%s should be %s", cases[i].address, cases[i].allowed ? "allowed" : "refused");
    }
}

static const Case defaults[] = {
  /* globally reachable */
  { "8.8.8.8:53", TRUE },
  { "203.0.114.1:5000", TRUE },
  { "[2001:4860:4860::8888]:53", TRUE },
  /* IPv4: private, shared, loopback, link-local (cloud metadata),
   * "this network", documentation, benchmarking, multicast, reserved */
  { "10.0.0.1:5000", FALSE },
  { "172.16.5.4:5000", FALSE },
  { "192.168.1.1:5000", FALSE },
  { "100.64.0.1:5000", FALSE },
  { "127.0.0.1:5000", FALSE },
  { "169.254.169.254:80", FALSE },
  { "0.0.0.0:5000", FALSE },
  { "0.0.0.1:5000", FALSE },
  { "192.0.0.1:5000", FALSE },
  { "192.0.2.1:5000", FALSE },
  { "198.18.0.1:5000", FALSE },
  { "198.19.255.1:5000", FALSE },
  { "198.51.100.1:5000", FALSE },
  { "203.0.113.1:5000", FALSE },
  { "224.0.0.1:5000", FALSE },
  { "240.0.0.1:5000", FALSE },
  { "255.255.255.255:5000", FALSE },
  { "8.8.8.8:0", FALSE },
  /* IPv4-mapped: judged as the IPv4 address */
  { "[::ffff:10.0.0.1]:5000", FALSE },
  { "[::ffff:169.254.169.254]:80", FALSE },
  { "[::ffff:0.0.0.0]:5000", FALSE },
  { "[::ffff:127.0.0.1]:5000", FALSE },
  { "[::ffff:8.8.8.8]:53", TRUE },
  /* NAT64 (RFC 6052, RFC 8215): the embedded IPv4 address */
  { "[64:ff9b::a00:1]:5000", FALSE },
  { "[64:ff9b::a9fe:a9fe]:80", FALSE },
  { "[64:ff9b::808:808]:53", TRUE },
  { "[64:ff9b:1::a00:1]:5000", FALSE },
  /* 6to4 (RFC 3056): the relay router's IPv4 address */
  { "[2002:a00:1::1]:5000", FALSE },
  { "[2002:7f00:1::1]:5000", FALSE },
  { "[2002:808:808::1]:53", TRUE },
  /* Teredo (RFC 4380): the client's address, inverted */
  { "[2001:0:4136:e378:8000:63bf:f5ff:fffe]:5000", FALSE },    /* 10.0.0.1 */
  { "[2001:0:4136:e378:8000:63bf:f7f7:f7f7]:5000", TRUE },     /* 8.8.8.8 */
  /* IPv6 special ranges */
  { "[::]:5000", FALSE },
  { "[::1]:5000", FALSE },
  { "[::a00:1]:5000", FALSE },
  { "[100::1]:5000", FALSE },
  { "[2001:db8::1]:5000", FALSE },
  { "[2001:2::1]:5000", FALSE },
  { "[fc00::1]:5000", FALSE },
  { "[fd12:3456::1]:5000", FALSE },
  { "[fe80::1]:5000", FALSE },
  { "[ff02::1]:5000", FALSE },
};

static void
test_defaults (void)
{
  NavTurnPeerPolicy policy = { NULL, NULL, FALSE };

  check (&policy, defaults, G_N_ELEMENTS (defaults));
}

static void
test_allow_loopback (void)
{
  NavTurnPeerPolicy policy = { NULL, NULL, TRUE };
  static const Case cases[] = {
    { "127.0.0.1:5000", TRUE },
    { "[::1]:5000", TRUE },
    { "[::ffff:127.0.0.1]:5000", TRUE },
    { "10.0.0.1:5000", FALSE },
    { "[::ffff:10.0.0.1]:5000", FALSE },
  };

  check (&policy, cases, G_N_ELEMENTS (cases));
}

/* The operator's ranges: allowed wins over everything, denied over the
 * defaults, and both apply to the IPv4 address behind an IPv6 one. */
static void
test_operator_ranges (void)
{
  gchar *allowed[] = { (gchar *) "10.0.0.0/8", (gchar *) "2001:db8::/32", NULL };
  gchar *denied[] = { (gchar *) "8.8.8.0/24, 9.9.9.9-9.9.9.10", NULL };
  gchar *bad[] = { (gchar *) "10.0.0.0/33", NULL };
  g_autoptr (GError) error = NULL;
  NavTurnPeerPolicy policy = { NULL, NULL, FALSE };
  GArray *ranges = NULL;
  static const Case cases[] = {
    { "10.1.2.3:5000", TRUE },
    { "[::ffff:10.1.2.3]:5000", TRUE },
    { "[2001:db8::1]:5000", TRUE },
    { "8.8.8.8:53", FALSE },
    { "[::ffff:8.8.8.8]:53", FALSE },
    { "[64:ff9b::808:808]:53", FALSE },
    { "9.9.9.10:53", FALSE },
    { "9.9.9.11:53", TRUE },
    { "192.168.1.1:5000", FALSE },
  };

  g_assert_true (nav_turn_parse_ranges (allowed, &policy.allowed, &error));
  g_assert_true (nav_turn_parse_ranges (denied, &policy.denied, &error));
  g_assert_no_error (error);
  check (&policy, cases, G_N_ELEMENTS (cases));
  g_array_unref (policy.allowed);
  g_array_unref (policy.denied);

  g_assert_false (nav_turn_parse_ranges (bad, &ranges, &error));
  g_assert_nonnull (error);
  g_clear_pointer (&ranges, g_array_unref);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/turn-policy/defaults", test_defaults);
  g_test_add_func ("/turn-policy/allow-loopback", test_allow_loopback);
  g_test_add_func ("/turn-policy/operator-ranges", test_operator_ranges);
  return g_test_run ();
}
