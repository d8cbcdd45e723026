/* test-address.c: NavAddress parsing, printing, comparison, conversion
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <netavanue/netavanue.h>
#include <string.h>
#include <arpa/inet.h>
#include <gio/gunixsocketaddress.h>

static void
test_parse_print_ipv4 (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) addr = nav_address_new_from_string ("192.0.2.1:3478", &error);
  g_autofree gchar *text = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (addr);
  g_assert_cmpint (nav_address_get_family (addr), ==, G_SOCKET_FAMILY_IPV4);
  g_assert_cmpuint (nav_address_ip_version (addr), ==, 4);
  g_assert_cmpuint (nav_address_get_port (addr), ==, 3478);
  g_assert_cmphex (nav_address_get_ipv4 (addr), ==, 0xc0000201);
  text = nav_address_to_string (addr);
  g_assert_cmpstr (text, ==, "192.0.2.1:3478");
}

static void
test_parse_print_ipv6 (void)
{
  static const guint8 loopback[16] = { [15] = 1 };
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) addr = nav_address_new_from_string ("[::1]:5", &error);
  g_autoptr (NavAddress) full = NULL;
  g_autofree gchar *text = NULL, *ip = NULL, *text2 = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (nav_address_get_family (addr), ==, G_SOCKET_FAMILY_IPV6);
  g_assert_cmpuint (nav_address_get_port (addr), ==, 5);
  g_assert_cmpmem (nav_address_get_ipv6 (addr), 16, loopback, 16);
  text = nav_address_to_string (addr);
  g_assert_cmpstr (text, ==, "[::1]:5");
  ip = nav_address_ip_to_string (addr);
  g_assert_cmpstr (ip, ==, "::1");

  full = nav_address_new_from_string ("[2001:db8:0:0:0:0:0:42]:65535", &error);
  g_assert_no_error (error);
  text2 = nav_address_to_string (full);
  /* printed in the canonical compressed form of RFC 5952 */
  g_assert_cmpstr (text2, ==, "[2001:db8::42]:65535");
}

static void
test_parse_without_port (void)
{
  const gchar *inputs[] = { "10.1.2.3", "::1", "[fe80::1]", "2001:db8::1:5" };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (NavAddress) addr = nav_address_new_from_string (inputs[i], &error);

      g_assert_no_error (error);
      g_assert_cmpuint (nav_address_get_port (addr), ==, 0);
    }
}

static void
test_parse_rejects_garbage (void)
{
  const gchar *garbage[] = {
    "", " ", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:+5",
    "1.2.3.4:5x", "1.2.3.4:99999999999999999999", "256.1.1.1:5", "1.2.3:5",
    "1.2.3.4.5:6", "[::1", "[::1]5", "[::1]:", "[1.2.3.4]:5", "[]:5",
    "::1]:5", "[::1]:5:6", "example.org:80", "localhost", "1.2.3.4 :5",
    ":::", "[:::]:5", "1.2.3.4:0x10", "\xff\xfe", "[::1]:5]",
    "0000000000000000000000000000000000000000000000000000000000000000000000",
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (garbage); i++)
    {
      g_autoptr (GError) error = NULL;
      NavAddress addr;

      nav_address_init (&addr);
      nav_address_set_ipv4 (&addr, 0x7f000001);
      nav_address_set_port (&addr, 9);

      {
        g_autofree gchar *escaped = g_strescape (garbage[i], NULL);
        g_test_message ("input: \"%s\"", escaped);
      }
      g_assert_false (nav_address_set_from_string (&addr, garbage[i], &error));
      g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ADDRESS);
      /* a failed parse leaves the address as it was */
      g_assert_cmphex (nav_address_get_ipv4 (&addr), ==, 0x7f000001);
      g_assert_cmpuint (nav_address_get_port (&addr), ==, 9);
    }

  {
    g_autoptr (GError) error = NULL;
    g_assert_null (nav_address_new_from_string (NULL, &error));
    g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ADDRESS);
  }
}

static void
test_parse_random_bytes (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (4571);
  guint i, accepted = 0;

  /* Random strings over the characters addresses are made of: whatever is
   * accepted must print back to something that parses to the same. */
  for (i = 0; i < 20000; i++)
    {
      static const gchar alphabet[] = "0123456789abcdef:.[]";
      gchar buf[48];
      guint len = g_rand_int_range (rand, 0, sizeof (buf) - 1), j;
      NavAddress addr, again;
      g_autofree gchar *text = NULL;

      for (j = 0; j < len; j++)
        buf[j] = alphabet[g_rand_int_range (rand, 0, sizeof (alphabet) - 1)];
      buf[len] = '\0';

      nav_address_init (&addr);
      if (!nav_address_set_from_string (&addr, buf, NULL))
        continue;
      accepted++;
      text = nav_address_to_string (&addr);
      nav_address_init (&again);
      g_assert_true (nav_address_set_from_string (&again, text, NULL));
      g_assert_true (nav_address_equal (&addr, &again));
    }
  g_test_message ("%u random strings accepted", accepted);
}

static void
test_equal_hash (void)
{
  g_autoptr (NavAddress) a = nav_address_new_from_string ("192.0.2.1:1000", NULL);
  g_autoptr (NavAddress) b = nav_address_new_from_string ("192.0.2.1:1000", NULL);
  g_autoptr (NavAddress) c = nav_address_new_from_string ("192.0.2.1:1001", NULL);
  g_autoptr (NavAddress) d = nav_address_new_from_string ("[::ffff:192.0.2.1]:1000", NULL);
  g_autoptr (GHashTable) set = g_hash_table_new ((GHashFunc) nav_address_hash,
                                                 (GEqualFunc) nav_address_equal);

  g_assert_true (nav_address_equal (a, b));
  g_assert_cmpuint (nav_address_hash (a), ==, nav_address_hash (b));
  g_assert_false (nav_address_equal (a, c));
  g_assert_true (nav_address_equal_no_port (a, c));
  /* an IPv4-mapped IPv6 address is another family */
  g_assert_false (nav_address_equal (a, d));

  g_hash_table_add (set, a);
  g_assert_true (g_hash_table_contains (set, b));
  g_assert_false (g_hash_table_contains (set, c));
}

static void
test_socket_address_round_trip (void)
{
  const gchar *inputs[] = { "203.0.113.9:7", "[2001:db8::7]:4242" };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr (NavAddress) addr = nav_address_new_from_string (inputs[i], NULL);
      g_autoptr (GSocketAddress) sa = nav_address_to_socket_address (addr);
      g_autoptr (NavAddress) back = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree gchar *ip = NULL;
      GInetAddress *inet;

      g_assert_true (G_IS_INET_SOCKET_ADDRESS (sa));
      g_assert_cmpuint (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (sa)),
                        ==, nav_address_get_port (addr));
      inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa));
      ip = g_inet_address_to_string (inet);
      g_assert_true (g_str_has_prefix (inputs[i], ip) ||
                     g_str_has_prefix (inputs[i] + 1, ip));

      back = nav_address_new_from_socket_address (sa, &error);
      g_assert_no_error (error);
      g_assert_true (nav_address_equal (addr, back));
    }
}

static void
test_socket_address_rejects_unix (void)
{
  g_autoptr (GSocketAddress) unix_addr = g_unix_socket_address_new ("/tmp/nav-test");
  g_autoptr (GError) error = NULL;

  g_assert_null (nav_address_new_from_socket_address (unix_addr, &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ADDRESS);
}

static void
test_sockaddr (void)
{
  struct sockaddr_in6 sin6;
  struct sockaddr_in sin;
  NavAddress addr;

  nav_address_init (&addr);
  g_assert_false (nav_address_is_valid (&addr));
  g_assert_true (nav_address_set_from_string (&addr, "198.51.100.2:53", NULL));
  g_assert_cmpuint (nav_address_copy_to_sockaddr (&addr, (struct sockaddr *) &sin, sizeof (sin)),
                    ==, sizeof (sin));
  g_assert_cmpuint (ntohs (sin.sin_port), ==, 53);
  /* too small a buffer */
  g_assert_cmpuint (nav_address_copy_to_sockaddr (&addr, (struct sockaddr *) &sin, 4), ==, 0);
  /* a truncated sockaddr is refused */
  g_assert_false (nav_address_set_from_sockaddr (&addr, (struct sockaddr *) &sin, 8));

  memset (&sin6, 0, sizeof (sin6));
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons (80);
  sin6.sin6_addr.s6_addr[15] = 1;
  g_assert_true (nav_address_set_from_sockaddr (&addr, (struct sockaddr *) &sin6, sizeof (sin6)));
  g_assert_true (nav_address_is_loopback (&addr));
  g_assert_cmpuint (nav_address_get_port (&addr), ==, 80);
}

static void
test_classification (void)
{
  struct {
    const gchar *text;
    gboolean loopback, private, link_local, any;
  } cases[] = {
    { "127.0.0.1", TRUE, TRUE, FALSE, FALSE },
    { "127.255.0.9", TRUE, TRUE, FALSE, FALSE },
    { "::1", TRUE, TRUE, FALSE, FALSE },
    { "10.0.0.1", FALSE, TRUE, FALSE, FALSE },
    { "172.16.0.1", FALSE, TRUE, FALSE, FALSE },
    { "172.31.255.255", FALSE, TRUE, FALSE, FALSE },
    { "172.32.0.1", FALSE, FALSE, FALSE, FALSE },
    { "192.168.1.1", FALSE, TRUE, FALSE, FALSE },
    { "100.64.0.1", FALSE, TRUE, FALSE, FALSE },
    { "100.128.0.1", FALSE, FALSE, FALSE, FALSE },
    { "169.254.3.4", FALSE, TRUE, TRUE, FALSE },
    { "fe80::1", FALSE, TRUE, TRUE, FALSE },
    { "fd00::1", FALSE, TRUE, FALSE, FALSE },
    { "2001:db8::1", FALSE, FALSE, FALSE, FALSE },
    { "8.8.8.8", FALSE, FALSE, FALSE, FALSE },
    { "0.0.0.0", FALSE, FALSE, FALSE, TRUE },
    { "::", FALSE, FALSE, FALSE, TRUE },
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      NavAddress addr;

      nav_address_init (&addr);
      g_assert_true (nav_address_set_from_string (&addr, cases[i].text, NULL));
      g_test_message ("%s", cases[i].text);
      g_assert_cmpint (nav_address_is_loopback (&addr), ==, cases[i].loopback);
      g_assert_cmpint (nav_address_is_private (&addr), ==, cases[i].private);
      g_assert_cmpint (nav_address_is_link_local (&addr), ==, cases[i].link_local);
      g_assert_cmpint (nav_address_is_any (&addr), ==, cases[i].any);
    }
}

static void
test_boxed (void)
{
  g_autoptr (NavAddress) addr = nav_address_new_from_string ("[::1]:9", NULL);
  g_auto (GValue) value = G_VALUE_INIT;
  NavAddress *copy;

  g_value_init (&value, NAV_TYPE_ADDRESS);
  g_value_set_boxed (&value, addr);
  copy = g_value_get_boxed (&value);
  g_assert_true (copy != addr);
  g_assert_true (nav_address_equal (copy, addr));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/address/parse-print/ipv4", test_parse_print_ipv4);
  g_test_add_func ("/address/parse-print/ipv6", test_parse_print_ipv6);
  g_test_add_func ("/address/parse/without-port", test_parse_without_port);
  g_test_add_func ("/address/parse/rejects-garbage", test_parse_rejects_garbage);
  g_test_add_func ("/address/parse/random", test_parse_random_bytes);
  g_test_add_func ("/address/equal-hash", test_equal_hash);
  g_test_add_func ("/address/socket-address/round-trip", test_socket_address_round_trip);
  g_test_add_func ("/address/socket-address/rejects-unix", test_socket_address_rejects_unix);
  g_test_add_func ("/address/sockaddr", test_sockaddr);
  g_test_add_func ("/address/classification", test_classification);
  g_test_add_func ("/address/boxed", test_boxed);

  return g_test_run ();
}
