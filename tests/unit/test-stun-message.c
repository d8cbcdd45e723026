/* test-stun-message.c: building and parsing STUN messages, attribute by
 * attribute; integrity, fingerprint and credentials
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <netavanue/netavanue.h>

#include "nav-stun-private.h"

static const guint8 tid[12] = {
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c
};

static NavAddress *
address_new (const gchar *text)
{
  g_autoptr (GError) error = NULL;
  NavAddress *address = nav_address_new_from_string (text, &error);

  g_assert_no_error (error);
  return address;
}

static NavStunMessageBuilder *
builder_new (void)
{
  return nav_stun_message_builder_new (NAV_STUN_CLASS_REQUEST,
                                       NAV_STUN_METHOD_BINDING, tid);
}

/* Finishes @builder, checks the result parses, and returns it parsed. */
static NavStunMessage *
finish_and_parse (NavStunMessageBuilder *builder)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  NavStunMessage *message;

  bytes = nav_stun_message_builder_finish (builder, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bytes);
  g_assert_true (nav_stun_message_is_stun (g_bytes_get_data (bytes, NULL),
                                           g_bytes_get_size (bytes)));
  g_assert_cmpuint (g_bytes_get_size (bytes) % 4, ==, 0);
  message = nav_stun_message_parse_bytes (bytes, NAV_STUN_PARSE_NONE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (message);
  return message;
}

static void
test_type_encoding (void)
{
  static const struct {
    NavStunClass klass;
    guint method;
    guint16 type;
  } cases[] = {
    /* RFC 8489 §5: Binding request 0x0001, indication 0x0011, success
     * response 0x0101, error response 0x0111. */
    { NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_BINDING, 0x0001 },
    { NAV_STUN_CLASS_INDICATION, NAV_STUN_METHOD_BINDING, 0x0011 },
    { NAV_STUN_CLASS_SUCCESS_RESPONSE, NAV_STUN_METHOD_BINDING, 0x0101 },
    { NAV_STUN_CLASS_ERROR_RESPONSE, NAV_STUN_METHOD_BINDING, 0x0111 },
    /* TURN (RFC 8656 §17, RFC 6062) */
    { NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_ALLOCATE, 0x0003 },
    { NAV_STUN_CLASS_SUCCESS_RESPONSE, NAV_STUN_METHOD_ALLOCATE, 0x0103 },
    { NAV_STUN_CLASS_ERROR_RESPONSE, NAV_STUN_METHOD_ALLOCATE, 0x0113 },
    { NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_REFRESH, 0x0004 },
    { NAV_STUN_CLASS_INDICATION, NAV_STUN_METHOD_SEND, 0x0016 },
    { NAV_STUN_CLASS_INDICATION, NAV_STUN_METHOD_DATA, 0x0017 },
    { NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_CREATE_PERMISSION, 0x0008 },
    { NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_CHANNEL_BIND, 0x0009 },
    { NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_CONNECT, 0x000a },
    { NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_CONNECTION_BIND, 0x000b },
    { NAV_STUN_CLASS_INDICATION, NAV_STUN_METHOD_CONNECTION_ATTEMPT, 0x001c },
    /* Every method bit */
    { NAV_STUN_CLASS_REQUEST, 0xFFF, 0x3EEF },
    { NAV_STUN_CLASS_ERROR_RESPONSE, 0xFFF, 0x3FFF },
    { NAV_STUN_CLASS_REQUEST, 0x010, 0x0020 },
    { NAV_STUN_CLASS_REQUEST, 0x080, 0x0200 },
  };
  guint i, klass, method;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_cmphex (nav_stun_message_type_encode (cases[i].klass,
                                                     cases[i].method),
                       ==, cases[i].type);
      g_assert_cmpint (nav_stun_message_type_get_class (cases[i].type), ==,
                       cases[i].klass);
      g_assert_cmphex (nav_stun_message_type_get_method (cases[i].type), ==,
                       cases[i].method);
    }

  /* Every class with every method survives a round trip through a real
   * message. */
  for (klass = 0; klass < 4; klass++)
    for (method = 0; method <= 0xFFF; method += 0x0FF)
      {
        g_autoptr (NavStunMessageBuilder) builder = NULL;
        g_autoptr (NavStunMessage) message = NULL;
        NavStunClass peeked_class;
        guint peeked_method;
        gsize length;
        const guint8 *data;

        builder = nav_stun_message_builder_new (klass, method, tid);
        message = finish_and_parse (builder);
        g_assert_cmpint (nav_stun_message_get_class (message), ==, klass);
        g_assert_cmphex (nav_stun_message_get_method (message), ==, method);
        data = nav_stun_message_get_data (message, &length);
        g_assert_cmpuint (length, ==, NAV_STUN_HEADER_LENGTH);
        g_assert_cmpuint (data[0] & 0xC0, ==, 0);
        g_assert_true (nav_stun_message_peek_type (data, length, &peeked_class,
                                                   &peeked_method));
        g_assert_cmpint (peeked_class, ==, klass);
        g_assert_cmphex (peeked_method, ==, method);
      }
}

static void
test_transaction_id (void)
{
  g_autoptr (NavStunMessageBuilder) a = NULL;
  g_autoptr (NavStunMessageBuilder) b = NULL;
  g_autoptr (NavStunMessageBuilder) response = NULL;
  g_autoptr (NavStunMessage) request = NULL;
  g_autoptr (NavStunMessage) reply = NULL;
  guint8 tid_a[12];

  /* Random transaction IDs differ. */
  a = nav_stun_message_builder_new (NAV_STUN_CLASS_REQUEST,
                                    NAV_STUN_METHOD_BINDING, NULL);
  b = nav_stun_message_builder_new (NAV_STUN_CLASS_REQUEST,
                                    NAV_STUN_METHOD_BINDING, NULL);
  memcpy (tid_a, nav_stun_message_builder_get_transaction_id (a), 12);
  g_assert_true (memcmp (tid_a, nav_stun_message_builder_get_transaction_id (b),
                         12) != 0);

  request = finish_and_parse (a);
  g_assert_cmpmem (nav_stun_message_get_transaction_id (request), 12, tid_a, 12);
  g_assert_true (nav_stun_message_has_transaction_id (request, tid_a));
  g_assert_false (nav_stun_message_has_transaction_id (request, tid));

  /* A response keeps the method and the transaction ID. */
  response = nav_stun_message_builder_new_response (request,
                                                    NAV_STUN_CLASS_SUCCESS_RESPONSE);
  reply = finish_and_parse (response);
  g_assert_cmpint (nav_stun_message_get_class (reply), ==,
                   NAV_STUN_CLASS_SUCCESS_RESPONSE);
  g_assert_cmpuint (nav_stun_message_get_method (reply), ==,
                    NAV_STUN_METHOD_BINDING);
  g_assert_true (nav_stun_message_has_transaction_id (reply, tid_a));
}

static void
check_xor_address (const gchar *text)
{
  g_autoptr (NavStunMessageBuilder) builder = builder_new ();
  g_autoptr (NavStunMessage) message = NULL;
  g_autoptr (NavAddress) address = address_new (text);
  g_autoptr (GError) error = NULL;
  NavAddress out;
  const guint8 *value;
  gsize length;

  g_assert_true (nav_stun_message_builder_add_xor_mapped_address (builder,
                                                                  address,
                                                                  &error));
  g_assert_true (nav_stun_message_builder_add_mapped_address (builder, address,
                                                              &error));
  message = finish_and_parse (builder);

  g_assert_true (nav_stun_message_get_xor_mapped_address (message, &out,
                                                          &error));
  g_assert_no_error (error);
  g_assert_true (nav_address_equal (&out, address));
  g_assert_true (nav_stun_message_get_mapped_address (message, &out, &error));
  g_assert_true (nav_address_equal (&out, address));

  /* On the wire the XOR-ed form differs from the plain one (the port is
   * XOR-ed with 0x2112 at least). */
  value = nav_stun_message_get_attribute (message,
                                          NAV_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
                                          &length);
  g_assert_nonnull (value);
  g_assert_cmpuint (length, ==,
                    nav_address_get_family (address) == G_SOCKET_FAMILY_IPV4
                    ? 8 : 20);
  g_assert_cmphex ((value[2] << 8 | value[3]) ^ 0x2112, ==,
                   nav_address_get_port (address));
}

static void
test_xor_address_ipv4 (void)
{
  check_xor_address ("192.0.2.1:32853");
  check_xor_address ("0.0.0.0:0");
  check_xor_address ("255.255.255.255:65535");
  check_xor_address ("33.18.164.66:8466");   /* the cookie itself */
}

static void
test_xor_address_ipv6 (void)
{
  check_xor_address ("[2001:db8:1234:5678:11:2233:4455:6677]:32853");
  check_xor_address ("[::1]:1");
  check_xor_address ("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
  check_xor_address ("[::ffff:192.0.2.1]:3478");
}

/* Every attribute of RFC 8489, RFC 8445, RFC 5780 and TURN, built then
 * read back. */
static void
test_round_trip_all (void)
{
  g_autoptr (NavStunMessageBuilder) builder = NULL;
  g_autoptr (NavStunMessage) message = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) v4 = address_new ("198.51.100.7:3478");
  g_autoptr (NavAddress) v6 = address_new ("[2001:db8::42]:5349");
  g_autoptr (NavAddress) other = address_new ("203.0.113.9:3479");
  g_autoptr (NavAddress) peer = address_new ("[2001:db8::99]:40000");
  g_autoptr (NavAddress) relayed = address_new ("203.0.113.1:50000");
  g_autoptr (GBytes) data = NULL;
  g_autofree guint16 *unknown_out = NULL;
  g_autofree guint16 *algorithms_out = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *reason = NULL;
  const guint16 unknown[] = { 0x0002, 0x7777, 0x0004 };
  const guint16 algorithms[] = { NAV_STUN_PASSWORD_ALGORITHM_SHA256,
                                 NAV_STUN_PASSWORD_ALGORITHM_MD5 };
  guint8 userhash[32];
  const guint8 payload[] = { 'h', 'e', 'l', 'l', 'o' };
  NavAddress out;
  NavStunChangeRequestFlags change;
  GSocketFamily family;
  guint32 u32;
  guint64 u64;
  guint16 u16;
  guint8 u8, u8b;
  guint code, algorithm;
  gsize n, length;
  gboolean reserve;
  const guint8 *value;
  guint i;
  gint index;

  for (i = 0; i < sizeof userhash; i++)
    userhash[i] = (guint8) (i * 7);

  builder = nav_stun_message_builder_new (NAV_STUN_CLASS_ERROR_RESPONSE,
                                          NAV_STUN_METHOD_ALLOCATE, tid);
#define ADD(call) G_STMT_START { g_assert_true (call); g_assert_no_error (error); } G_STMT_END
  /* RFC 8489 */
  ADD (nav_stun_message_builder_add_mapped_address (builder, v4, &error));
  ADD (nav_stun_message_builder_add_xor_mapped_address (builder, v6, &error));
  ADD (nav_stun_message_builder_add_username (builder, "user:name", &error));
  ADD (nav_stun_message_builder_add_userhash (builder, userhash, &error));
  ADD (nav_stun_message_builder_add_error_code (builder, 420, NULL, &error));
  ADD (nav_stun_message_builder_add_realm (builder, "r\xc3\xa9" "alm", &error));
  ADD (nav_stun_message_builder_add_nonce (builder, "nonce-123", &error));
  ADD (nav_stun_message_builder_add_password_algorithms (builder, algorithms,
                                                         G_N_ELEMENTS (algorithms),
                                                         &error));
  ADD (nav_stun_message_builder_add_password_algorithm (builder,
                                                        NAV_STUN_PASSWORD_ALGORITHM_SHA256,
                                                        &error));
  ADD (nav_stun_message_builder_add_unknown_attributes (builder, unknown,
                                                        G_N_ELEMENTS (unknown),
                                                        &error));
  ADD (nav_stun_message_builder_add_software (builder, "NetAvanue test",
                                              &error));
  ADD (nav_stun_message_builder_add_alternate_server (builder, v6, &error));
  ADD (nav_stun_message_builder_add_alternate_domain (builder,
                                                      "stun.example.org",
                                                      &error));
  /* RFC 8445 */
  ADD (nav_stun_message_builder_add_priority (builder, 0x7e0000ff, &error));
  ADD (nav_stun_message_builder_add_use_candidate (builder, &error));
  ADD (nav_stun_message_builder_add_ice_controlled (builder,
                                                    G_GUINT64_CONSTANT (0x0123456789abcdef),
                                                    &error));
  ADD (nav_stun_message_builder_add_ice_controlling (builder,
                                                     G_GUINT64_CONSTANT (0xfedcba9876543210),
                                                     &error));
  /* RFC 5780 */
  ADD (nav_stun_message_builder_add_change_request (builder,
                                                    NAV_STUN_CHANGE_REQUEST_IP |
                                                    NAV_STUN_CHANGE_REQUEST_PORT,
                                                    &error));
  ADD (nav_stun_message_builder_add_response_origin (builder, v4, &error));
  ADD (nav_stun_message_builder_add_other_address (builder, other, &error));
  ADD (nav_stun_message_builder_add_response_port (builder, 40001, &error));
  ADD (nav_stun_message_builder_add_padding (builder, 7, &error));
  /* TURN, RFC 8656 and RFC 6062 */
  ADD (nav_stun_message_builder_add_channel_number (builder, 0x4001, &error));
  ADD (nav_stun_message_builder_add_uint32 (builder, NAV_STUN_ATTRIBUTE_LIFETIME,
                                            600, &error));
  ADD (nav_stun_message_builder_add_xor_address (builder,
                                                 NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
                                                 v4, &error));
  ADD (nav_stun_message_builder_add_xor_address (builder,
                                                 NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
                                                 peer, &error));
  ADD (nav_stun_message_builder_add_attribute (builder, NAV_STUN_ATTRIBUTE_DATA,
                                               payload, sizeof payload, &error));
  ADD (nav_stun_message_builder_add_xor_address (builder,
                                                 NAV_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
                                                 relayed, &error));
  ADD (nav_stun_message_builder_add_address_family (builder,
                                                    NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY,
                                                    G_SOCKET_FAMILY_IPV6, &error));
  ADD (nav_stun_message_builder_add_even_port (builder, TRUE, &error));
  ADD (nav_stun_message_builder_add_requested_transport (builder, 17, &error));
  ADD (nav_stun_message_builder_add_flag (builder,
                                          NAV_STUN_ATTRIBUTE_DONT_FRAGMENT,
                                          &error));
  ADD (nav_stun_message_builder_add_uint64 (builder,
                                            NAV_STUN_ATTRIBUTE_RESERVATION_TOKEN,
                                            G_GUINT64_CONSTANT (0x1122334455667788),
                                            &error));
  ADD (nav_stun_message_builder_add_address_family (builder,
                                                    NAV_STUN_ATTRIBUTE_ADDITIONAL_ADDRESS_FAMILY,
                                                    G_SOCKET_FAMILY_IPV6, &error));
  ADD (nav_stun_message_builder_add_address_error_code (builder,
                                                        G_SOCKET_FAMILY_IPV6,
                                                        440, "No IPv6 here",
                                                        &error));
  ADD (nav_stun_message_builder_add_icmp (builder, 3, 4, 1280, &error));
  ADD (nav_stun_message_builder_add_uint32 (builder,
                                            NAV_STUN_ATTRIBUTE_CONNECTION_ID,
                                            0xdeadbeef, &error));
  ADD (nav_stun_message_builder_add_string (builder, 0x8fff, "opaque", &error));
#undef ADD
  message = finish_and_parse (builder);

  g_assert_cmpint (nav_stun_message_get_class (message), ==,
                   NAV_STUN_CLASS_ERROR_RESPONSE);
  g_assert_cmpuint (nav_stun_message_get_method (message), ==,
                    NAV_STUN_METHOD_ALLOCATE);

#define GET(call) G_STMT_START { g_assert_true (call); g_assert_no_error (error); } G_STMT_END
  GET (nav_stun_message_get_mapped_address (message, &out, &error));
  g_assert_true (nav_address_equal (&out, v4));
  GET (nav_stun_message_get_xor_mapped_address (message, &out, &error));
  g_assert_true (nav_address_equal (&out, v6));
  text = nav_stun_message_get_username (message, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "user:name");
  g_clear_pointer (&text, g_free);
  g_assert_cmpmem (nav_stun_message_get_userhash (message, &error), 32,
                   userhash, 32);
  GET (nav_stun_message_get_error_code (message, &code, &reason, &error));
  g_assert_cmpuint (code, ==, 420);
  g_assert_cmpstr (reason, ==, "Unknown Attribute");
  text = nav_stun_message_get_realm (message, &error);
  g_assert_cmpstr (text, ==, "r\xc3\xa9" "alm");
  g_clear_pointer (&text, g_free);
  text = nav_stun_message_get_nonce (message, &error);
  g_assert_cmpstr (text, ==, "nonce-123");
  g_clear_pointer (&text, g_free);
  algorithms_out = nav_stun_message_get_password_algorithms (message, &n,
                                                             &error);
  g_assert_no_error (error);
  g_assert_cmpmem (algorithms_out, n * 2, algorithms, sizeof algorithms);
  GET (nav_stun_message_get_password_algorithm (message, &algorithm, &error));
  g_assert_cmpuint (algorithm, ==, NAV_STUN_PASSWORD_ALGORITHM_SHA256);
  unknown_out = nav_stun_message_get_unknown_attributes (message, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (unknown_out, n * 2, unknown, sizeof unknown);
  text = nav_stun_message_get_software (message, &error);
  g_assert_cmpstr (text, ==, "NetAvanue test");
  g_clear_pointer (&text, g_free);
  GET (nav_stun_message_get_alternate_server (message, &out, &error));
  g_assert_true (nav_address_equal (&out, v6));
  text = nav_stun_message_get_alternate_domain (message, &error);
  g_assert_cmpstr (text, ==, "stun.example.org");
  g_clear_pointer (&text, g_free);

  GET (nav_stun_message_get_priority (message, &u32, &error));
  g_assert_cmphex (u32, ==, 0x7e0000ff);
  g_assert_true (nav_stun_message_get_use_candidate (message));
  GET (nav_stun_message_get_ice_controlled (message, &u64, &error));
  g_assert_cmphex (u64, ==, G_GUINT64_CONSTANT (0x0123456789abcdef));
  GET (nav_stun_message_get_ice_controlling (message, &u64, &error));
  g_assert_cmphex (u64, ==, G_GUINT64_CONSTANT (0xfedcba9876543210));

  GET (nav_stun_message_get_change_request (message, &change, &error));
  g_assert_cmphex (change, ==, NAV_STUN_CHANGE_REQUEST_IP |
                               NAV_STUN_CHANGE_REQUEST_PORT);
  GET (nav_stun_message_get_response_origin (message, &out, &error));
  g_assert_true (nav_address_equal (&out, v4));
  GET (nav_stun_message_get_other_address (message, &out, &error));
  g_assert_true (nav_address_equal (&out, other));
  GET (nav_stun_message_get_response_port (message, &u16, &error));
  g_assert_cmpuint (u16, ==, 40001);
  value = nav_stun_message_get_attribute (message, NAV_STUN_ATTRIBUTE_PADDING,
                                          &length);
  g_assert_cmpmem (value, length, "\0\0\0\0\0\0\0", 7);

  GET (nav_stun_message_get_channel_number (message, &u16, &error));
  g_assert_cmphex (u16, ==, 0x4001);
  GET (nav_stun_message_get_uint32 (message, NAV_STUN_ATTRIBUTE_LIFETIME, &u32,
                                    &error));
  g_assert_cmpuint (u32, ==, 600);
  /* Two XOR-PEER-ADDRESS: the getter returns the first, find+nth each */
  GET (nav_stun_message_get_xor_address (message,
                                         NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
                                         &out, &error));
  g_assert_true (nav_address_equal (&out, v4));
  index = nav_stun_message_find_attribute (message,
                                           NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, 0);
  g_assert_cmpint (index, >=, 0);
  index = nav_stun_message_find_attribute (message,
                                           NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
                                           index + 1);
  g_assert_cmpint (index, >=, 0);
  GET (nav_stun_message_get_xor_address_nth (message, index, &out, &error));
  g_assert_true (nav_address_equal (&out, peer));
  g_assert_cmpint (nav_stun_message_find_attribute (message,
                                                    NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
                                                    index + 1), ==, -1);
  index = nav_stun_message_find_attribute (message,
                                           NAV_STUN_ATTRIBUTE_MAPPED_ADDRESS, 0);
  GET (nav_stun_message_get_address_nth (message, index, &out, &error));
  g_assert_true (nav_address_equal (&out, v4));
  data = nav_stun_message_dup_attribute_bytes (message, NAV_STUN_ATTRIBUTE_DATA);
  g_assert_cmpmem (g_bytes_get_data (data, NULL), g_bytes_get_size (data),
                   payload, sizeof payload);
  GET (nav_stun_message_get_xor_address (message,
                                         NAV_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
                                         &out, &error));
  g_assert_true (nav_address_equal (&out, relayed));
  GET (nav_stun_message_get_address_family (message,
                                            NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY,
                                            &family, &error));
  g_assert_cmpint (family, ==, G_SOCKET_FAMILY_IPV6);
  GET (nav_stun_message_get_even_port (message, &reserve, &error));
  g_assert_true (reserve);
  GET (nav_stun_message_get_requested_transport (message, &u8, &error));
  g_assert_cmpuint (u8, ==, 17);
  g_assert_true (nav_stun_message_has_attribute (message,
                                                 NAV_STUN_ATTRIBUTE_DONT_FRAGMENT));
  GET (nav_stun_message_get_uint64 (message, NAV_STUN_ATTRIBUTE_RESERVATION_TOKEN,
                                    &u64, &error));
  g_assert_cmphex (u64, ==, G_GUINT64_CONSTANT (0x1122334455667788));
  GET (nav_stun_message_get_address_family (message,
                                            NAV_STUN_ATTRIBUTE_ADDITIONAL_ADDRESS_FAMILY,
                                            &family, &error));
  g_assert_cmpint (family, ==, G_SOCKET_FAMILY_IPV6);
  g_clear_pointer (&reason, g_free);
  GET (nav_stun_message_get_address_error_code (message, &family, &code,
                                                &reason, &error));
  g_assert_cmpint (family, ==, G_SOCKET_FAMILY_IPV6);
  g_assert_cmpuint (code, ==, 440);
  g_assert_cmpstr (reason, ==, "No IPv6 here");
  GET (nav_stun_message_get_icmp (message, &u8, &u8b, &u32, &error));
  g_assert_cmpuint (u8, ==, 3);
  g_assert_cmpuint (u8b, ==, 4);
  g_assert_cmpuint (u32, ==, 1280);
  GET (nav_stun_message_get_uint32 (message, NAV_STUN_ATTRIBUTE_CONNECTION_ID,
                                    &u32, &error));
  g_assert_cmphex (u32, ==, 0xdeadbeef);
  text = nav_stun_message_get_string (message, 0x8fff, &error);
  g_assert_cmpstr (text, ==, "opaque");
#undef GET

  /* Iteration sees every attribute in order with its raw value. */
  g_assert_cmpuint (nav_stun_message_get_n_attributes (message), ==, 38);
  value = nav_stun_message_get_attribute_nth (message, 0, &u16, &length);
  g_assert_cmphex (u16, ==, NAV_STUN_ATTRIBUTE_MAPPED_ADDRESS);
  g_assert_cmpuint (length, ==, 8);
  g_assert_cmpuint (value[1], ==, 0x01);
}

static void
test_getter_errors (void)
{
  g_autoptr (NavStunMessageBuilder) builder = builder_new ();
  g_autoptr (NavStunMessage) message = NULL;
  g_autoptr (GError) error = NULL;
  NavAddress out;
  guint32 u32;
  guint64 u64;
  gsize length;

  /* A 4-byte PRIORITY read as 64 bits and as an address (family byte
   * 0x01, but 4 bytes instead of 8), a missing attribute */
  nav_stun_message_builder_add_priority (builder, 0x00010000, NULL);
  message = finish_and_parse (builder);
  g_assert_false (nav_stun_message_get_uint64 (message,
                                               NAV_STUN_ATTRIBUTE_PRIORITY,
                                               &u64, &error));
  g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
  g_clear_error (&error);
  g_assert_false (nav_stun_message_get_address (message,
                                                NAV_STUN_ATTRIBUTE_PRIORITY,
                                                &out, &error));
  g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
  g_clear_error (&error);
  g_assert_false (nav_stun_message_get_uint32 (message,
                                               NAV_STUN_ATTRIBUTE_LIFETIME,
                                               &u32, &error));
  g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE);
  g_assert_null (nav_stun_message_get_attribute (message,
                                                 NAV_STUN_ATTRIBUTE_LIFETIME,
                                                 &length));
  g_assert_false (nav_stun_message_has_attribute (message,
                                                  NAV_STUN_ATTRIBUTE_LIFETIME));
  g_assert_false (nav_stun_message_get_use_candidate (message));
  g_assert_null (nav_stun_message_dup_attribute_bytes (message,
                                                       NAV_STUN_ATTRIBUTE_DATA));
}

static void
test_integrity (void)
{
  const guint8 key[] = "secret key";
  static const gsize mac_lengths[] = { 0, 16, 20, 24, 28, 32 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (mac_lengths); i++)
    {
      g_autoptr (NavStunMessageBuilder) builder = builder_new ();
      g_autoptr (NavStunMessage) message = NULL;
      g_autoptr (GError) error = NULL;
      const guint8 *value;
      gsize length;

      nav_stun_message_builder_add_username (builder, "alice", NULL);
      /* Both integrity attributes, then FINGERPRINT (RFC 8489 §14.6) */
      g_assert_true (nav_stun_message_builder_add_message_integrity (builder, key,
                                                                     sizeof key - 1,
                                                                     &error));
      g_assert_true (nav_stun_message_builder_add_message_integrity_sha256 (builder,
                                                                            key,
                                                                            sizeof key - 1,
                                                                            mac_lengths[i],
                                                                            &error));
      g_assert_true (nav_stun_message_builder_add_fingerprint (builder, &error));
      message = finish_and_parse (builder);
      g_assert_true (nav_stun_message_has_message_integrity (message));
      g_assert_true (nav_stun_message_has_message_integrity_sha256 (message));
      g_assert_true (nav_stun_message_has_fingerprint (message));
      value = nav_stun_message_get_attribute (message,
                                              NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256,
                                              &length);
      g_assert_nonnull (value);
      g_assert_cmpuint (length, ==, mac_lengths[i] ? mac_lengths[i] : 32);

      g_assert_true (nav_stun_message_check_integrity (message, key,
                                                       sizeof key - 1, &error));
      g_assert_no_error (error);
      /* Wrong key, a key one byte short, an empty key */
      g_assert_false (nav_stun_message_check_integrity (message,
                                                        (const guint8 *) "secret kez",
                                                        10, &error));
      g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_INTEGRITY_FAILED);
      g_clear_error (&error);
      g_assert_false (nav_stun_message_check_integrity (message, key,
                                                        sizeof key - 2, &error));
      g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_INTEGRITY_FAILED);
      g_clear_error (&error);
      g_assert_false (nav_stun_message_check_integrity (message, NULL, 0,
                                                        &error));
      g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_INTEGRITY_FAILED);
    }
}

static void
test_no_integrity (void)
{
  g_autoptr (NavStunMessageBuilder) builder = builder_new ();
  g_autoptr (NavStunMessage) message = NULL;
  g_autoptr (GError) error = NULL;

  nav_stun_message_builder_add_fingerprint (builder, NULL);
  message = finish_and_parse (builder);
  g_assert_false (nav_stun_message_check_integrity (message,
                                                    (const guint8 *) "k", 1,
                                                    &error));
  g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_NO_INTEGRITY);
}

static void
test_after_integrity_ignored (void)
{
  g_autoptr (NavStunMessageBuilder) builder = builder_new ();
  g_autoptr (NavStunMessage) message = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  const guint8 key[] = { 1, 2, 3, 4 };
  guint8 *data;
  gsize length, message_length;
  const guint8 *p;

  /* Build USERNAME, MESSAGE-INTEGRITY, then splice in a SOFTWARE and an
   * unknown comprehension-required attribute after the integrity, and a
   * FINGERPRINT: RFC 8489 §14.5 says to ignore the first two. */
  nav_stun_message_builder_add_username (builder, "bob", NULL);
  nav_stun_message_builder_add_message_integrity (builder, key, sizeof key,
                                                  NULL);
  p = nav_stun_message_builder_peek_data (builder, &length);
  data = g_malloc0 (length + 12 + 8 + 8);
  memcpy (data, p, length);
  memcpy (data + length, "\x80\x22\x00\x08" "ignored!", 12);
  memcpy (data + length + 12, "\x7f\xff\x00\x04" "\0\0\0\0", 8);
  message_length = length + 12 + 8 + 8;
  data[2] = (guint8) ((message_length - 20) >> 8);
  data[3] = (guint8) (message_length - 20);
  memcpy (data + length + 20, "\x80\x28\x00\x04", 4);
  {
    guint32 fp = GUINT32_TO_BE (nav_stun_compute_fingerprint (data,
                                                              message_length - 8));
    memcpy (data + message_length - 4, &fp, 4);
  }
  bytes = g_bytes_new_take (data, message_length);

  message = nav_stun_message_parse_bytes (bytes, NAV_STUN_PARSE_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (nav_stun_message_get_n_attributes (message), ==, 3);
  g_assert_false (nav_stun_message_has_attribute (message,
                                                  NAV_STUN_ATTRIBUTE_SOFTWARE));
  g_assert_true (nav_stun_message_has_fingerprint (message));
  /* The integrity covers only what precedes it. */
  g_assert_true (nav_stun_message_check_integrity (message, key, sizeof key,
                                                   &error));
  g_assert_no_error (error);
}

static void
test_builder_order (void)
{
  const guint8 key[] = { 9 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;

  /* Nothing but MESSAGE-INTEGRITY-SHA256 and FINGERPRINT after
   * MESSAGE-INTEGRITY; the first misuse also fails finish. */
  {
    g_autoptr (NavStunMessageBuilder) builder = builder_new ();

    g_assert_true (nav_stun_message_builder_add_message_integrity (builder, key,
                                                                   1, &error));
    g_assert_false (nav_stun_message_builder_add_software (builder, "late",
                                                           &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_STATE);
    g_clear_error (&error);
    g_assert_false (nav_stun_message_builder_add_message_integrity (builder,
                                                                    key, 1,
                                                                    &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_STATE);
    g_clear_error (&error);
    bytes = nav_stun_message_builder_finish (builder, &error);
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_STATE);
    g_assert_null (bytes);
    g_clear_error (&error);
  }
  /* Nothing after FINGERPRINT */
  {
    g_autoptr (NavStunMessageBuilder) builder = builder_new ();

    g_assert_true (nav_stun_message_builder_add_fingerprint (builder, &error));
    g_assert_false (nav_stun_message_builder_add_message_integrity_sha256 (builder,
                                                                           key, 1,
                                                                           0,
                                                                           &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_STATE);
    g_clear_error (&error);
    g_assert_false (nav_stun_message_builder_add_fingerprint (builder, &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_STATE);
    g_clear_error (&error);
  }
  /* Nothing after finish */
  {
    g_autoptr (NavStunMessageBuilder) builder = builder_new ();
    g_autoptr (GBytes) first = NULL;

    first = nav_stun_message_builder_finish (builder, &error);
    g_assert_no_error (error);
    g_assert_false (nav_stun_message_builder_add_priority (builder, 1, &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_STATE);
    g_clear_error (&error);
    g_assert_false (nav_stun_message_builder_add_fingerprint (builder, &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_STATE);
    g_clear_error (&error);
    g_assert_null (nav_stun_message_builder_finish (builder, &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_STATE);
    g_clear_error (&error);
  }
  /* A bad MESSAGE-INTEGRITY-SHA256 length */
  {
    g_autoptr (NavStunMessageBuilder) builder = builder_new ();

    g_assert_false (nav_stun_message_builder_add_message_integrity_sha256 (builder,
                                                                           key, 1,
                                                                           18,
                                                                           &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
    g_clear_error (&error);
  }
}

static void
test_builder_limits (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *long_username = g_strnfill (509, 'u');
  g_autofree gchar *max_username = g_strnfill (508, 'u');
  g_autofree gchar *long_software = g_strnfill (128, 's');
  g_autofree gchar *max_software = NULL;
  g_autofree gchar *big = g_malloc0 (70000);
  g_autoptr (GString) chars = g_string_new (NULL);
  guint i;

  /* 127 three-byte characters are fine (381 bytes), 128 are not */
  for (i = 0; i < 127; i++)
    g_string_append (chars, "\xe2\x82\xac");
  max_software = g_strdup (chars->str);

  {
    g_autoptr (NavStunMessageBuilder) builder = builder_new ();

    g_assert_true (nav_stun_message_builder_add_username (builder, max_username,
                                                          &error));
    g_assert_true (nav_stun_message_builder_add_software (builder, max_software,
                                                          &error));
    g_assert_no_error (error);
  }
  {
    g_autoptr (NavStunMessageBuilder) builder = builder_new ();

    g_assert_false (nav_stun_message_builder_add_username (builder,
                                                           long_username,
                                                           &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
    g_clear_error (&error);
    g_assert_null (nav_stun_message_builder_finish (builder, &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
    g_clear_error (&error);
  }
  {
    g_autoptr (NavStunMessageBuilder) builder = builder_new ();

    g_assert_false (nav_stun_message_builder_add_software (builder,
                                                           long_software,
                                                           &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
    g_clear_error (&error);
    g_string_append (chars, "\xe2\x82\xac");
    g_assert_false (nav_stun_message_builder_add_realm (builder, chars->str,
                                                        &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
    g_clear_error (&error);
    g_assert_false (nav_stun_message_builder_add_nonce (builder, "\xff\xfe",
                                                        &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
    g_clear_error (&error);
    g_assert_false (nav_stun_message_builder_add_error_code (builder, 200, NULL,
                                                             &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
    g_clear_error (&error);
    g_assert_false (nav_stun_message_builder_add_channel_number (builder,
                                                                 0x3fff,
                                                                 &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
    g_clear_error (&error);
  }
  {
    g_autoptr (NavStunMessageBuilder) builder = builder_new ();
    NavAddress unset;

    nav_address_init (&unset);
    g_assert_false (nav_stun_message_builder_add_xor_mapped_address (builder,
                                                                     &unset,
                                                                     &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ADDRESS_FAMILY);
    g_clear_error (&error);
  }
  /* The length field is 16 bits: 65532 bytes of attributes at most */
  {
    g_autoptr (NavStunMessageBuilder) builder = builder_new ();

    g_assert_false (nav_stun_message_builder_add_attribute (builder,
                                                            NAV_STUN_ATTRIBUTE_DATA,
                                                            (guint8 *) big,
                                                            65536, &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_TOO_LARGE);
    g_clear_error (&error);
  }
  {
    g_autoptr (NavStunMessageBuilder) builder = builder_new ();

    g_assert_true (nav_stun_message_builder_add_attribute (builder,
                                                           NAV_STUN_ATTRIBUTE_DATA,
                                                           (guint8 *) big,
                                                           65528, &error));
    g_assert_false (nav_stun_message_builder_add_fingerprint (builder, &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_TOO_LARGE);
    g_clear_error (&error);
  }
  {
    g_autoptr (NavStunMessageBuilder) builder = builder_new ();
    g_autoptr (NavStunMessage) message = NULL;

    g_assert_true (nav_stun_message_builder_add_attribute (builder,
                                                           NAV_STUN_ATTRIBUTE_DATA,
                                                           (guint8 *) big,
                                                           65520, &error));
    g_assert_true (nav_stun_message_builder_add_fingerprint (builder, &error));
    message = finish_and_parse (builder);
    g_assert_true (nav_stun_message_has_fingerprint (message));
  }
  /* A caller buffer too small */
  {
    guint8 buffer[40];
    g_autoptr (NavStunMessageBuilder) builder = NULL;

    builder = nav_stun_message_builder_new_with_buffer (NAV_STUN_CLASS_REQUEST,
                                                        NAV_STUN_METHOD_BINDING,
                                                        tid, buffer,
                                                        sizeof buffer);
    g_assert_true (nav_stun_message_builder_add_priority (builder, 1, &error));
    g_assert_true (nav_stun_message_builder_add_fingerprint (builder, &error));
    g_assert_false (nav_stun_message_builder_add_fingerprint (builder, &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_STATE);
    g_clear_error (&error);
    g_assert_cmpuint (nav_stun_message_builder_finish_to_buffer (builder, &error),
                      ==, 0);
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_STATE);
    g_clear_error (&error);
  }
  {
    guint8 buffer[40];
    g_autoptr (NavStunMessageBuilder) builder = NULL;

    builder = nav_stun_message_builder_new_with_buffer (NAV_STUN_CLASS_REQUEST,
                                                        NAV_STUN_METHOD_BINDING,
                                                        tid, buffer,
                                                        sizeof buffer);
    g_assert_false (nav_stun_message_builder_add_software (builder,
                                                           "twenty bytes long!!",
                                                           &error));
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_TOO_LARGE);
    g_clear_error (&error);
  }
}

static void
test_unknown_attributes (void)
{
  g_autoptr (NavStunMessageBuilder) builder = builder_new ();
  g_autoptr (NavStunMessageBuilder) response = NULL;
  g_autoptr (NavStunMessage) message = NULL;
  g_autoptr (NavStunMessage) reply = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree guint16 *listed = NULL;
  const guint16 *unknown;
  const guint16 expected[] = { 0x0002, 0x7abc };
  gsize n;
  guint code;

  /* RESPONSE-ADDRESS (retired by RFC 8489), an unassigned
   * comprehension-required type, and an unknown comprehension-optional
   * one, which never matters. */
  nav_stun_message_builder_add_uint32 (builder, 0x0002, 0, NULL);
  nav_stun_message_builder_add_uint32 (builder, 0x8abc, 0, NULL);
  nav_stun_message_builder_add_uint32 (builder, 0x7abc, 0, NULL);
  nav_stun_message_builder_add_fingerprint (builder, NULL);
  bytes = nav_stun_message_builder_finish (builder, &error);
  g_assert_no_error (error);

  /* Strict parsing fails with the list in the error */
  message = nav_stun_message_parse_bytes (bytes, NAV_STUN_PARSE_NONE, &error);
  g_assert_null (message);
  g_assert_error (error, NAV_STUN_ERROR,
                  NAV_STUN_ERROR_UNKNOWN_REQUIRED_ATTRIBUTES);
  unknown = nav_stun_error_get_unknown_attributes (error, &n);
  g_assert_cmpmem (unknown, n * 2, expected, sizeof expected);
  {
    /* The list survives copying the error */
    g_autoptr (GError) copy = g_error_copy (error);

    unknown = nav_stun_error_get_unknown_attributes (copy, &n);
    g_assert_cmpmem (unknown, n * 2, expected, sizeof expected);
  }
  g_clear_error (&error);

  /* A server parses leniently and answers 420 with UNKNOWN-ATTRIBUTES */
  message = nav_stun_message_parse_bytes (bytes,
                                          NAV_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED,
                                          &error);
  g_assert_no_error (error);
  unknown = nav_stun_message_get_unknown_required_attributes (message, &n);
  g_assert_cmpmem (unknown, n * 2, expected, sizeof expected);

  response = nav_stun_message_builder_new_response (message,
                                                    NAV_STUN_CLASS_ERROR_RESPONSE);
  g_assert_true (nav_stun_message_builder_add_error_code (response,
                                                          NAV_STUN_ERROR_CODE_UNKNOWN_ATTRIBUTE,
                                                          NULL, &error));
  g_assert_true (nav_stun_message_builder_add_unknown_attributes (response,
                                                                  unknown, n,
                                                                  &error));
  reply = finish_and_parse (response);
  g_assert_true (nav_stun_message_get_error_code (reply, &code, NULL, &error));
  g_assert_cmpuint (code, ==, 420);
  listed = nav_stun_message_get_unknown_attributes (reply, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (listed, n * 2, expected, sizeof expected);

  /* Other errors carry no list */
  {
    g_autoptr (GError) other = g_error_new_literal (NAV_STUN_ERROR,
                                                    NAV_STUN_ERROR_TRUNCATED,
                                                    "x");

    g_assert_null (nav_stun_error_get_unknown_attributes (other, &n));
    g_assert_cmpuint (n, ==, 0);
  }
}

static void
test_every_known_type_known (void)
{
  GEnumClass *klass = g_type_class_ref (NAV_TYPE_STUN_ATTRIBUTE_TYPE);
  guint i;

  /* Every attribute type of the enumeration is understood: a message
   * holding any of them parses strictly. */
  for (i = 0; i < klass->n_values; i++)
    {
      g_autoptr (NavStunMessageBuilder) builder = builder_new ();
      g_autoptr (GBytes) bytes = NULL;
      g_autoptr (NavStunMessage) message = NULL;
      g_autoptr (GError) error = NULL;
      guint16 type = (guint16) klass->values[i].value;

      if (type == NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY ||
          type == NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256 ||
          type == NAV_STUN_ATTRIBUTE_FINGERPRINT)
        continue;
      nav_stun_message_builder_add_uint32 (builder, type, 0, NULL);
      bytes = nav_stun_message_builder_finish (builder, NULL);
      message = nav_stun_message_parse_bytes (bytes, NAV_STUN_PARSE_NONE,
                                              &error);
      g_assert_no_error (error);
    }
  g_type_class_unref (klass);
}

static void
test_opaque_string (void)
{
  static const struct {
    const gchar *input;
    const gchar *output;   /* NULL: rejected */
  } cases[] = {
    { "password", "password" },
    { "correct horse battery staple", "correct horse battery staple" },
    /* Non-ASCII spaces (Zs) map to U+0020 */
    { "a\xc2\xa0" "b", "a b" },             /* NO-BREAK SPACE */
    { "a\xe3\x80\x80" "b", "a b" },         /* IDEOGRAPHIC SPACE */
    { "a\xe2\x80\x89" "b", "a b" },         /* THIN SPACE */
    /* NFC: e + combining acute becomes U+00E9 */
    { "caf\x65\xcc\x81", "caf\xc3\xa9" },
    { "caf\xc3\xa9", "caf\xc3\xa9" },
    /* No case mapping, no NFKC: U+2168 ROMAN NUMERAL NINE stays */
    { "PaSs\xe2\x85\xa8", "PaSs\xe2\x85\xa8" },
    { "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9",
      "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9" },
    /* Rejected: empty, controls, format characters, private use,
     * unassigned, line separator, invalid UTF-8 */
    { "", NULL },
    { "tab\there", NULL },
    { "nl\n", NULL },
    { "del\x7f", NULL },
    { "soft\xc2\xadhyphen", NULL },         /* U+00AD (Cf) */
    { "zw\xe2\x80\x8bsp", NULL },           /* U+200B (Cf) */
    { "pua\xee\x80\x80", NULL },            /* U+E000 (Co) */
    { "nonchar\xef\xbf\xbf", NULL },        /* U+FFFF (Cn) */
    { "ls\xe2\x80\xa8", NULL },             /* U+2028 (Zl) */
    { "bad\xff", NULL },
    { "\xc3", NULL },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree gchar *out = NULL;

      out = nav_stun_prepare_opaque_string (cases[i].input, &error);
      if (cases[i].output != NULL)
        {
          g_assert_no_error (error);
          g_assert_cmpstr (out, ==, cases[i].output);
        }
      else
        {
          g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_INVALID_STRING);
          g_assert_null (out);
        }
    }
}

static void
test_keys (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) short_key = NULL;
  g_autoptr (GBytes) md5_key = NULL;
  g_autoptr (GBytes) sha_key = NULL;
  g_autoptr (GBytes) spaced = NULL;
  g_autoptr (GBytes) userhash = NULL;
  g_autoptr (GBytes) bad = NULL;
  /* MD5("user:realm:pass") and SHA-256("user:realm:pass") */
  static const guint8 md5_expected[16] = {
    0x84, 0x93, 0xfb, 0xc5, 0x3b, 0xa5, 0x82, 0xfb,
    0x4c, 0x04, 0x4c, 0x45, 0x6b, 0xdc, 0x40, 0xeb,
  };
  GChecksum *checksum;
  guint8 digest[32];
  gsize digest_length = sizeof digest;

  short_key = nav_stun_derive_short_term_key ("pass\xc2\xa0word", &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (short_key, NULL),
                   g_bytes_get_size (short_key), "pass word", 9);

  md5_key = nav_stun_derive_long_term_key ("user", "realm", "pass",
                                           NAV_STUN_PASSWORD_ALGORITHM_MD5,
                                           &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (md5_key, NULL), g_bytes_get_size (md5_key),
                   md5_expected, sizeof md5_expected);

  sha_key = nav_stun_derive_long_term_key ("user", "realm", "pass",
                                           NAV_STUN_PASSWORD_ALGORITHM_SHA256,
                                           &error);
  g_assert_no_error (error);
  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, (const guchar *) "user:realm:pass", 15);
  g_checksum_get_digest (checksum, digest, &digest_length);
  g_checksum_free (checksum);
  g_assert_cmpmem (g_bytes_get_data (sha_key, NULL), g_bytes_get_size (sha_key),
                   digest, 32);

  /* The password is prepared: a no-break space is a space */
  spaced = nav_stun_derive_long_term_key ("user", "realm", "pa\xc2\xa0ss",
                                          NAV_STUN_PASSWORD_ALGORITHM_MD5,
                                          &error);
  g_assert_no_error (error);
  g_clear_pointer (&md5_key, g_bytes_unref);
  md5_key = nav_stun_derive_long_term_key ("user", "realm", "pa ss",
                                           NAV_STUN_PASSWORD_ALGORITHM_MD5,
                                           &error);
  g_assert_true (g_bytes_equal (spaced, md5_key));

  /* USERHASH = SHA-256("user:realm") */
  userhash = nav_stun_compute_userhash ("user", "realm", &error);
  g_assert_no_error (error);
  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, (const guchar *) "user:realm", 10);
  digest_length = sizeof digest;
  g_checksum_get_digest (checksum, digest, &digest_length);
  g_checksum_free (checksum);
  g_assert_cmpmem (g_bytes_get_data (userhash, NULL),
                   g_bytes_get_size (userhash), digest, 32);

  bad = nav_stun_derive_long_term_key ("user", "realm", "pass", 3, &error);
  g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_UNSUPPORTED_ALGORITHM);
  g_assert_null (bad);
  g_clear_error (&error);
  bad = nav_stun_derive_long_term_key ("user", "realm", "", 
                                       NAV_STUN_PASSWORD_ALGORITHM_MD5, &error);
  g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_INVALID_STRING);
  g_clear_error (&error);
  bad = nav_stun_derive_short_term_key ("\x01", &error);
  g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_INVALID_STRING);
  g_clear_error (&error);
  bad = nav_stun_compute_userhash ("", "realm", &error);
  g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_INVALID_STRING);
}

static void
test_userhash_round_trip (void)
{
  g_autoptr (NavStunMessageBuilder) builder = builder_new ();
  g_autoptr (NavStunMessage) message = NULL;
  g_autoptr (GBytes) userhash = NULL;
  g_autoptr (GError) error = NULL;

  userhash = nav_stun_compute_userhash ("alice", "example.org", &error);
  g_assert_no_error (error);
  g_assert_true (nav_stun_message_builder_add_userhash (builder,
                                                        g_bytes_get_data (userhash, NULL),
                                                        &error));
  message = finish_and_parse (builder);
  g_assert_cmpmem (nav_stun_message_get_userhash (message, &error), 32,
                   g_bytes_get_data (userhash, NULL), 32);
}

static void
test_demultiplexing (void)
{
  g_autoptr (NavStunMessageBuilder) builder = builder_new ();
  g_autoptr (GBytes) bytes = NULL;
  const guint8 *data;
  gsize length;
  guint8 dtls[20] = { 22, 0xfe, 0xfd };
  guint8 rtp[20] = { 0x80, 0x60 };

  nav_stun_message_builder_add_fingerprint (builder, NULL);
  bytes = nav_stun_message_builder_finish (builder, NULL);
  data = g_bytes_get_data (bytes, &length);

  g_assert_true (nav_stun_message_is_stun (data, length));
  g_assert_false (nav_stun_message_is_stun (data, length - 1));
  g_assert_false (nav_stun_message_is_stun (data, 19));
  g_assert_false (nav_stun_message_is_stun (NULL, 0));
  g_assert_false (nav_stun_message_is_stun (dtls, sizeof dtls));
  g_assert_false (nav_stun_message_is_stun (rtp, sizeof rtp));

  /* TCP framing: 4 bytes give the size; the cookie is checked from 8 */
  g_assert_cmpint (nav_stun_message_peek_length (data, 3), ==, 0);
  g_assert_cmpint (nav_stun_message_peek_length (data, 4), ==, length);
  g_assert_cmpint (nav_stun_message_peek_length (data, length), ==, length);
  g_assert_cmpint (nav_stun_message_peek_length (rtp, sizeof rtp), ==, -1);
  {
    guint8 copy[28];

    memcpy (copy, data, sizeof copy);
    copy[5] ^= 1;
    g_assert_cmpint (nav_stun_message_peek_length (copy, 7), ==, length);
    g_assert_cmpint (nav_stun_message_peek_length (copy, 8), ==, -1);
    g_assert_false (nav_stun_message_peek_type (copy, sizeof copy, NULL, NULL));
  }
}

static void
test_require_fingerprint (void)
{
  g_autoptr (NavStunMessageBuilder) builder = builder_new ();
  g_autoptr (NavStunMessageBuilder) with = builder_new ();
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GBytes) with_bytes = NULL;
  g_autoptr (NavStunMessage) message = NULL;
  g_autoptr (GError) error = NULL;

  bytes = nav_stun_message_builder_finish (builder, NULL);
  message = nav_stun_message_parse_bytes (bytes,
                                          NAV_STUN_PARSE_REQUIRE_FINGERPRINT,
                                          &error);
  g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_NO_FINGERPRINT);
  g_assert_null (message);
  g_clear_error (&error);

  nav_stun_message_builder_add_fingerprint (with, NULL);
  with_bytes = nav_stun_message_builder_finish (with, NULL);
  message = nav_stun_message_parse_bytes (with_bytes,
                                          NAV_STUN_PARSE_REQUIRE_FINGERPRINT,
                                          &error);
  g_assert_no_error (error);
  g_assert_nonnull (message);
}

static void
test_message_bytes (void)
{
  g_autoptr (NavStunMessageBuilder) builder = builder_new ();
  g_autoptr (NavStunMessage) message = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GBytes) again = NULL;
  const guint8 *data;
  gsize length;

  nav_stun_message_builder_add_software (builder, "x", NULL);
  data = nav_stun_message_builder_peek_data (builder, &length);
  g_assert_cmpuint (length, ==, 28);
  g_assert_cmpuint (data[3], ==, 8);   /* the length field is kept current */
  message = finish_and_parse (builder);
  bytes = nav_stun_message_get_bytes (message);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 28);
  /* The bytes keep the message alive. */
  g_clear_pointer (&message, nav_stun_message_unref);
  message = nav_stun_message_parse_bytes (bytes, NAV_STUN_PARSE_NONE, NULL);
  g_assert_nonnull (message);
  again = nav_stun_message_get_bytes (message);
  g_assert_true (g_bytes_equal (bytes, again));
  /* Boxed type: copy is ref */
  {
    NavStunMessage *copy = g_boxed_copy (NAV_TYPE_STUN_MESSAGE, message);

    g_assert_true (copy == message);
    g_boxed_free (NAV_TYPE_STUN_MESSAGE, copy);
  }
}

static void
test_channel_data (void)
{
  const guint8 payload[] = { 1, 2, 3, 4, 5 };
  g_autoptr (GBytes) udp = NULL;
  g_autoptr (GBytes) tcp = NULL;
  g_autoptr (GError) error = NULL;
  const guint8 *data, *out;
  gsize length, payload_length;
  guint16 channel;
  guint8 buffer[16];

  udp = nav_stun_channel_data_new (0x4000, payload, sizeof payload, FALSE);
  tcp = nav_stun_channel_data_new (0x4FFF, payload, sizeof payload, TRUE);
  g_assert_cmpuint (g_bytes_get_size (udp), ==, 9);
  g_assert_cmpuint (g_bytes_get_size (tcp), ==, 12);

  data = g_bytes_get_data (udp, &length);
  g_assert_true (nav_stun_channel_data_is_channel_data (data, length));
  g_assert_false (nav_stun_message_is_stun (data, length));
  g_assert_cmpint (nav_stun_channel_data_peek_length (data, length, FALSE), ==, 9);
  out = nav_stun_channel_data_parse (data, length, &channel, &payload_length,
                                     &error);
  g_assert_no_error (error);
  g_assert_cmphex (channel, ==, 0x4000);
  g_assert_cmpmem (out, payload_length, payload, sizeof payload);
  g_assert_null (nav_stun_channel_data_parse (data, length - 1, &channel,
                                              &payload_length, &error));
  g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_NOT_CHANNEL_DATA);
  g_clear_error (&error);

  data = g_bytes_get_data (tcp, &length);
  g_assert_cmpint (nav_stun_channel_data_peek_length (data, 3, TRUE), ==, 0);
  g_assert_cmpint (nav_stun_channel_data_peek_length (data, 4, TRUE), ==, 12);
  g_assert_cmpmem (data + 9, 3, "\0\0\0", 3);
  out = nav_stun_channel_data_parse (data, length, &channel, &payload_length,
                                     &error);
  g_assert_cmphex (channel, ==, 0x4FFF);
  g_assert_cmpmem (out, payload_length, payload, sizeof payload);

  /* Outside 0x4000-0x4FFF: STUN (0x0001) and 0x5000 */
  g_assert_cmpint (nav_stun_channel_data_peek_length ((const guint8 *) "\x00\x01\x00\x00", 4,
                                                      FALSE), ==, -1);
  g_assert_false (nav_stun_channel_data_is_channel_data ((const guint8 *) "\x50\x00\x00\x00", 4));

  g_assert_cmpuint (nav_stun_channel_data_write (buffer, 8, 0x4001, payload,
                                                 sizeof payload, TRUE), ==, 0);
  g_assert_cmpuint (nav_stun_channel_data_write (buffer, sizeof buffer, 0x4001,
                                                 payload, sizeof payload, TRUE),
                    ==, 12);
}

static void
test_error_reasons (void)
{
  g_assert_cmpstr (nav_stun_error_code_get_reason (401), ==, "Unauthenticated");
  g_assert_cmpstr (nav_stun_error_code_get_reason (438), ==, "Stale Nonce");
  g_assert_cmpstr (nav_stun_error_code_get_reason (599), ==, "Unknown Error");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stun/message/type-encoding", test_type_encoding);
  g_test_add_func ("/stun/message/transaction-id", test_transaction_id);
  g_test_add_func ("/stun/message/xor-address/ipv4", test_xor_address_ipv4);
  g_test_add_func ("/stun/message/xor-address/ipv6", test_xor_address_ipv6);
  g_test_add_func ("/stun/message/round-trip/all", test_round_trip_all);
  g_test_add_func ("/stun/message/getter-errors", test_getter_errors);
  g_test_add_func ("/stun/message/integrity", test_integrity);
  g_test_add_func ("/stun/message/no-integrity", test_no_integrity);
  g_test_add_func ("/stun/message/after-integrity-ignored",
                   test_after_integrity_ignored);
  g_test_add_func ("/stun/message/builder/order", test_builder_order);
  g_test_add_func ("/stun/message/builder/limits", test_builder_limits);
  g_test_add_func ("/stun/message/unknown-attributes", test_unknown_attributes);
  g_test_add_func ("/stun/message/every-known-type", test_every_known_type_known);
  g_test_add_func ("/stun/message/opaque-string", test_opaque_string);
  g_test_add_func ("/stun/message/keys", test_keys);
  g_test_add_func ("/stun/message/userhash", test_userhash_round_trip);
  g_test_add_func ("/stun/message/demultiplexing", test_demultiplexing);
  g_test_add_func ("/stun/message/require-fingerprint", test_require_fingerprint);
  g_test_add_func ("/stun/message/bytes", test_message_bytes);
  g_test_add_func ("/stun/message/channel-data", test_channel_data);
  g_test_add_func ("/stun/message/error-reasons", test_error_reasons);

  return g_test_run ();
}
