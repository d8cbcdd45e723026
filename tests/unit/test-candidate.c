/* test-candidate.c: NavCandidate fields, copies, priorities
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <netavanue/netavanue.h>
#include <string.h>

static void
test_priority (void)
{
  /* RFC 8445 §5.1.2.1 with the recommended type preferences */
  g_assert_cmpuint (nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_HOST,
                                                    NAV_CANDIDATE_TRANSPORT_UDP,
                                                    65535, 1),
                    ==, (126u << 24) + (65535u << 8) + 255);
  g_assert_cmpuint (nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE,
                                                    NAV_CANDIDATE_TRANSPORT_UDP,
                                                    65535, 2),
                    ==, (100u << 24) + (65535u << 8) + 254);
  g_assert_cmpuint (nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_PEER_REFLEXIVE,
                                                    NAV_CANDIDATE_TRANSPORT_UDP,
                                                    0, 1),
                    ==, (110u << 24) + 255);

  /* host > prflx > srflx > relay, and UDP over TCP for the same type */
  g_assert_cmpuint (nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_HOST, NAV_CANDIDATE_TRANSPORT_UDP, 0, 1),
                    >, nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_PEER_REFLEXIVE, NAV_CANDIDATE_TRANSPORT_UDP, 65535, 1));
  g_assert_cmpuint (nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE, NAV_CANDIDATE_TRANSPORT_UDP, 0, 1),
                    >, nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_RELAYED, NAV_CANDIDATE_TRANSPORT_UDP, 65535, 1));
  g_assert_cmpuint (nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_RELAYED, NAV_CANDIDATE_TRANSPORT_UDP, 0, 1),
                    >, nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_RELAYED, NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE, 65535, 1));
  g_assert_cmpuint (nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_HOST, NAV_CANDIDATE_TRANSPORT_UDP, 0, 1),
                    >, nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_HOST, NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE, 65535, 1));
}

static void
test_copy_free (void)
{
  g_autoptr (NavCandidate) c = nav_candidate_new (NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE);
  g_autoptr (NavCandidate) copy = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (c->transport, ==, NAV_CANDIDATE_TRANSPORT_UDP);
  g_assert_false (nav_address_is_valid (&c->addr));
  g_assert_true (nav_address_set_from_string (&c->addr, "203.0.113.4:6000", &error));
  g_assert_true (nav_address_set_from_string (&c->base_addr, "10.0.0.4:6000", &error));
  g_assert_true (nav_address_set_from_string (&c->related_addr, "10.0.0.4:6000", &error));
  c->priority = 1694498815;
  c->stream_id = 3;
  c->component_id = 2;
  c->username = g_strdup ("ufrag");
  c->password = g_strdup ("pass");
  nav_candidate_set_foundation (c, "0123456789012345678901234567890123456789");
  g_assert_cmpuint (strlen (nav_candidate_get_foundation (c)), ==, 32);

  copy = nav_candidate_copy (c);
  g_assert_true (copy->username != c->username);
  g_assert_cmpstr (copy->username, ==, "ufrag");
  g_assert_cmpstr (copy->password, ==, "pass");
  g_assert_cmpstr (copy->foundation, ==, c->foundation);
  g_assert_true (nav_address_equal (&copy->addr, &c->addr));
  g_assert_true (nav_address_equal (&copy->related_addr, &c->related_addr));
  g_assert_cmpuint (copy->priority, ==, c->priority);
  g_assert_true (nav_candidate_equal_target (copy, c));

  copy->transport = NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE;
  g_assert_false (nav_candidate_equal_target (copy, c));
}

static void
test_owner_reference (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) any = nav_address_new_from_string ("127.0.0.1:0", NULL);
  NavUdpTransport *transport = nav_udp_transport_new (any, NULL, &error);
  NavCandidate *c = nav_candidate_new (NAV_CANDIDATE_TYPE_HOST);
  NavCandidate *copy;

  g_assert_no_error (error);
  g_object_add_weak_pointer (G_OBJECT (transport), (gpointer *) &transport);

  nav_candidate_set_owner (c, NAV_TRANSPORT (transport));
  copy = nav_candidate_copy (c);
  g_object_unref (transport);
  g_assert_nonnull (transport);       /* the candidates hold it */
  nav_candidate_free (c);
  g_assert_nonnull (transport);       /* the copy still does */
  nav_candidate_free (copy);
  g_assert_null (transport);
}

static void
test_strings (void)
{
  g_autoptr (NavCandidate) c = nav_candidate_new (NAV_CANDIDATE_TYPE_RELAYED);
  g_autofree gchar *text = NULL;

  g_assert_cmpstr (nav_candidate_type_to_string (NAV_CANDIDATE_TYPE_HOST), ==, "host");
  g_assert_cmpstr (nav_candidate_type_to_string (NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE), ==, "srflx");
  g_assert_cmpstr (nav_candidate_type_to_string (NAV_CANDIDATE_TYPE_PEER_REFLEXIVE), ==, "prflx");
  g_assert_cmpstr (nav_candidate_type_to_string (NAV_CANDIDATE_TYPE_RELAYED), ==, "relay");
  g_assert_cmpstr (nav_candidate_transport_to_string (NAV_CANDIDATE_TRANSPORT_TCP_SO), ==, "tcp-so");

  nav_address_set_from_string (&c->addr, "[2001:db8::5]:3478", NULL);
  nav_address_set_from_string (&c->related_addr, "198.51.100.1:40000", NULL);
  nav_candidate_set_foundation (c, "7");
  c->priority = 16777215;
  c->stream_id = 1;
  c->component_id = 1;
  text = nav_candidate_to_string (c);
  g_assert_cmpstr (text, ==,
                   "relay udp [2001:db8::5]:3478 prio 16777215 foundation 7 "
                   "raddr 198.51.100.1:40000 (stream 1, component 1)");
}

static void
test_enums_registered (void)
{
  g_autoptr (GEnumClass) klass = g_type_class_ref (NAV_TYPE_CANDIDATE_TYPE);
  GEnumValue *value = g_enum_get_value (klass, NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE);

  g_assert_nonnull (value);
  g_assert_cmpstr (value->value_nick, ==, "server-reflexive");
  g_assert_true (G_TYPE_IS_ENUM (NAV_TYPE_COMPONENT_STATE));
  g_assert_true (G_TYPE_IS_ENUM (NAV_TYPE_ERROR));
  g_assert_true (G_TYPE_IS_ENUM (NAV_TYPE_TRANSPORT_ERROR));
  g_assert_true (G_TYPE_IS_ENUM (NAV_TYPE_REGISTRY_ERROR));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/candidate/priority", test_priority);
  g_test_add_func ("/candidate/copy-free", test_copy_free);
  g_test_add_func ("/candidate/owner-reference", test_owner_reference);
  g_test_add_func ("/candidate/strings", test_strings);
  g_test_add_func ("/candidate/enums-registered", test_enums_registered);

  return g_test_run ();
}
