/* test-stun-vectors.c: the STUN test vectors of RFC 5769 and RFC 8489,
 * parsed and rebuilt byte for byte
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <netavanue/netavanue.h>

#include "nav-stun-private.h"

/* RFC 5769 §2.1–§2.4 and RFC 8489 Appendix B.1 (as corrected by Errata
 * 6268, see below).  coturn's turnutils_rfc5769check carries the same
 * RFC 5769 bytes.
 *
 * Padding: RFC 5769 pads with spaces (0x20) in §2.1 (USERNAME) and in
 * §2.2 and §2.3 (SOFTWARE), with zeros in §2.4.  Receivers ignore padding
 * (RFC 8489 §14), and the MESSAGE-INTEGRITY and FINGERPRINT of the vectors
 * cover those padding bytes, so to rebuild the vectors exactly the
 * builder is told which padding byte each one uses. */

static const guint8 transaction_id_1[12] = {
  0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae
};

static const guint8 transaction_id_2[12] = {
  0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e
};

/* RFC 5769 §2.1: Sample Request */
static const guint8 vector_request[] = {
  0x00, 0x01, 0x00, 0x58,   /* Request type and message length */
  0x21, 0x12, 0xa4, 0x42,   /* Magic cookie */
  0xb7, 0xe7, 0xa7, 0x01,   /* Transaction ID */
  0xbc, 0x34, 0xd6, 0x86,
  0xfa, 0x87, 0xdf, 0xae,
  0x80, 0x22, 0x00, 0x10,   /* SOFTWARE attribute header */
  0x53, 0x54, 0x55, 0x4e,   /* "STUN test client" */
  0x20, 0x74, 0x65, 0x73,
  0x74, 0x20, 0x63, 0x6c,
  0x69, 0x65, 0x6e, 0x74,
  0x00, 0x24, 0x00, 0x04,   /* PRIORITY attribute header */
  0x6e, 0x00, 0x01, 0xff,
  0x80, 0x29, 0x00, 0x08,   /* ICE-CONTROLLED attribute header */
  0x93, 0x2f, 0xf9, 0xb1,
  0x51, 0x26, 0x3b, 0x36,
  0x00, 0x06, 0x00, 0x09,   /* USERNAME attribute header */
  0x65, 0x76, 0x74, 0x6a,   /* "evtj:h6vY" and padding (spaces) */
  0x3a, 0x68, 0x36, 0x76,
  0x59, 0x20, 0x20, 0x20,
  0x00, 0x08, 0x00, 0x14,   /* MESSAGE-INTEGRITY attribute header */
  0x9a, 0xea, 0xa7, 0x0c,
  0xbf, 0xd8, 0xcb, 0x56,
  0x78, 0x1e, 0xf2, 0xb5,
  0xb2, 0xd3, 0xf2, 0x49,
  0xc1, 0xb5, 0x71, 0xa2,
  0x80, 0x28, 0x00, 0x04,   /* FINGERPRINT attribute header */
  0xe5, 0x7a, 0x3b, 0xcf,
};

/* RFC 5769 §2.2: Sample IPv4 Response */
static const guint8 vector_response_ipv4[] = {
  0x01, 0x01, 0x00, 0x3c,   /* Response type and message length */
  0x21, 0x12, 0xa4, 0x42,   /* Magic cookie */
  0xb7, 0xe7, 0xa7, 0x01,   /* Transaction ID */
  0xbc, 0x34, 0xd6, 0x86,
  0xfa, 0x87, 0xdf, 0xae,
  0x80, 0x22, 0x00, 0x0b,   /* SOFTWARE attribute header */
  0x74, 0x65, 0x73, 0x74,   /* "test vector" and padding (a space) */
  0x20, 0x76, 0x65, 0x63,
  0x74, 0x6f, 0x72, 0x20,
  0x00, 0x20, 0x00, 0x08,   /* XOR-MAPPED-ADDRESS attribute header */
  0x00, 0x01, 0xa1, 0x47,   /* Address family (IPv4) and xor'd port */
  0xe1, 0x12, 0xa6, 0x43,   /* Xor'd IPv4 address */
  0x00, 0x08, 0x00, 0x14,   /* MESSAGE-INTEGRITY attribute header */
  0x2b, 0x91, 0xf5, 0x99,
  0xfd, 0x9e, 0x90, 0xc3,
  0x8c, 0x74, 0x89, 0xf9,
  0x2a, 0xf9, 0xba, 0x53,
  0xf0, 0x6b, 0xe7, 0xd7,
  0x80, 0x28, 0x00, 0x04,   /* FINGERPRINT attribute header */
  0xc0, 0x7d, 0x4c, 0x96,
};

/* RFC 5769 §2.3: Sample IPv6 Response */
static const guint8 vector_response_ipv6[] = {
  0x01, 0x01, 0x00, 0x48,   /* Response type and message length */
  0x21, 0x12, 0xa4, 0x42,   /* Magic cookie */
  0xb7, 0xe7, 0xa7, 0x01,   /* Transaction ID */
  0xbc, 0x34, 0xd6, 0x86,
  0xfa, 0x87, 0xdf, 0xae,
  0x80, 0x22, 0x00, 0x0b,   /* SOFTWARE attribute header */
  0x74, 0x65, 0x73, 0x74,   /* "test vector" and padding (a space) */
  0x20, 0x76, 0x65, 0x63,
  0x74, 0x6f, 0x72, 0x20,
  0x00, 0x20, 0x00, 0x14,   /* XOR-MAPPED-ADDRESS attribute header */
  0x00, 0x02, 0xa1, 0x47,   /* Address family (IPv6) and xor'd port */
  0x01, 0x13, 0xa9, 0xfa,   /* Xor'd IPv6 address */
  0xa5, 0xd3, 0xf1, 0x79,
  0xbc, 0x25, 0xf4, 0xb5,
  0xbe, 0xd2, 0xb9, 0xd9,
  0x00, 0x08, 0x00, 0x14,   /* MESSAGE-INTEGRITY attribute header */
  0xa3, 0x82, 0x95, 0x4e,
  0x4b, 0xe6, 0x7b, 0xf1,
  0x17, 0x84, 0xc9, 0x7c,
  0x82, 0x92, 0xc2, 0x75,
  0xbf, 0xe3, 0xed, 0x41,
  0x80, 0x28, 0x00, 0x04,   /* FINGERPRINT attribute header */
  0xc8, 0xfb, 0x0b, 0x4c,
};

/* RFC 5769 §2.4: Sample Request with Long-Term Authentication */
static const guint8 vector_request_long_term[] = {
  0x00, 0x01, 0x00, 0x60,   /* Request type and message length */
  0x21, 0x12, 0xa4, 0x42,   /* Magic cookie */
  0x78, 0xad, 0x34, 0x33,   /* Transaction ID */
  0xc6, 0xad, 0x72, 0xc0,
  0x29, 0xda, 0x41, 0x2e,
  0x00, 0x06, 0x00, 0x12,   /* USERNAME attribute header */
  0xe3, 0x83, 0x9e, 0xe3,   /* Username value (18 bytes) and padding */
  0x83, 0x88, 0xe3, 0x83,
  0xaa, 0xe3, 0x83, 0x83,
  0xe3, 0x82, 0xaf, 0xe3,
  0x82, 0xb9, 0x00, 0x00,
  0x00, 0x15, 0x00, 0x1c,   /* NONCE attribute header */
  0x66, 0x2f, 0x2f, 0x34,   /* Nonce value */
  0x39, 0x39, 0x6b, 0x39,
  0x35, 0x34, 0x64, 0x36,
  0x4f, 0x4c, 0x33, 0x34,
  0x6f, 0x4c, 0x39, 0x46,
  0x53, 0x54, 0x76, 0x79,
  0x36, 0x34, 0x73, 0x41,
  0x00, 0x14, 0x00, 0x0b,   /* REALM attribute header */
  0x65, 0x78, 0x61, 0x6d,   /* Realm value (11 bytes) and padding */
  0x70, 0x6c, 0x65, 0x2e,
  0x6f, 0x72, 0x67, 0x00,
  0x00, 0x08, 0x00, 0x14,   /* MESSAGE-INTEGRITY attribute header */
  0xf6, 0x70, 0x24, 0x65,
  0x6d, 0xd6, 0x4a, 0x3e,
  0x02, 0xb8, 0xe0, 0x71,
  0x2e, 0x85, 0xc9, 0xa2,
  0x8c, 0xa8, 0x96, 0x66,
};

/* RFC 8489 Appendix B.1: Sample Request with Long-Term Authentication
 * with MESSAGE-INTEGRITY-SHA256 and USERHASH, as corrected by RFC Errata
 * 6268.  The published vector has a message length of 0x9c and an HMAC
 * that matches no derivation of the key; the corrected one has the true
 * length 0x90 and the HMAC-SHA256 keyed with
 * SHA-256("<username>:example.org:TheMatrIX") (PASSWORD-ALGORITHM
 * SHA-256), which is what this test checks, computing it both ways. */
static const guint8 vector_sha256_request[] = {
  0x00, 0x01, 0x00, 0x90,   /* Request type and message length */
  0x21, 0x12, 0xa4, 0x42,   /* Magic cookie */
  0x78, 0xad, 0x34, 0x33,   /* Transaction ID */
  0xc6, 0xad, 0x72, 0xc0,
  0x29, 0xda, 0x41, 0x2e,
  0x00, 0x1e, 0x00, 0x20,   /* USERHASH attribute header */
  0x4a, 0x3c, 0xf3, 0x8f,   /* Userhash value (32 bytes) */
  0xef, 0x69, 0x92, 0xbd,
  0xa9, 0x52, 0xc6, 0x78,
  0x04, 0x17, 0xda, 0x0f,
  0x24, 0x81, 0x94, 0x15,
  0x56, 0x9e, 0x60, 0xb2,
  0x05, 0xc4, 0x6e, 0x41,
  0x40, 0x7f, 0x17, 0x04,
  0x00, 0x15, 0x00, 0x29,   /* NONCE attribute header */
  0x6f, 0x62, 0x4d, 0x61,   /* Nonce value and padding (3 bytes) */
  0x74, 0x4a, 0x6f, 0x73,
  0x32, 0x41, 0x41, 0x41,
  0x43, 0x66, 0x2f, 0x2f,
  0x34, 0x39, 0x39, 0x6b,
  0x39, 0x35, 0x34, 0x64,
  0x36, 0x4f, 0x4c, 0x33,
  0x34, 0x6f, 0x4c, 0x39,
  0x46, 0x53, 0x54, 0x76,
  0x79, 0x36, 0x34, 0x73,
  0x41, 0x00, 0x00, 0x00,
  0x00, 0x14, 0x00, 0x0b,   /* REALM attribute header */
  0x65, 0x78, 0x61, 0x6d,   /* Realm value (11 bytes) and padding */
  0x70, 0x6c, 0x65, 0x2e,
  0x6f, 0x72, 0x67, 0x00,
  0x00, 0x1d, 0x00, 0x04,   /* PASSWORD-ALGORITHM attribute header */
  0x00, 0x02, 0x00, 0x00,   /* SHA-256, no parameters */
  0x00, 0x1c, 0x00, 0x20,   /* MESSAGE-INTEGRITY-SHA256 attribute header */
  0xb5, 0xc7, 0xbf, 0x00,
  0x5b, 0x6c, 0x52, 0xa2,
  0x1c, 0x51, 0xc5, 0xe8,
  0x92, 0xf8, 0x19, 0x24,
  0x13, 0x62, 0x96, 0xcb,
  0x92, 0x7c, 0x43, 0x14,
  0x93, 0x09, 0x27, 0x8c,
  0xc6, 0x51, 0x8e, 0x65,
};

/* The short-term password of RFC 5769 §2.1–§2.3 */
#define SHORT_TERM_PASSWORD "VOkJxbRl1RmTxUk/WvJxBt"

/* RFC 5769 §2.4 and RFC 8489 B.1: the username is U+30DE U+30C8 U+30EA
 * U+30C3 U+30AF U+30B9 ("matorikkusu").  The password is given as
 * "The<U+00AD>M<U+00AA>tr<U+2168>", which SASLprep (RFC 4013, used by
 * RFC 5389) turns into "TheMatrIX": the vectors were computed with
 * "TheMatrIX".  OpaqueString (RFC 8265), which RFC 8489 uses, does not
 * remove the soft hyphen nor apply NFKC, so the test keys are derived
 * from the prepared password "TheMatrIX". */
#define LONG_TERM_USERNAME "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9"
#define LONG_TERM_RAW_PASSWORD "The\xc2\xadM\xc2\xaatr\xe2\x85\xa8"
#define LONG_TERM_PASSWORD "TheMatrIX"
#define LONG_TERM_REALM "example.org"
#define LONG_TERM_NONCE_5769 "f//499k954d6OL34oL9FSTvy64sA"
#define LONG_TERM_NONCE_8489 "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA"

static NavStunMessage *
parse_vector (const guint8 *data,
              gsize         length)
{
  g_autoptr (GError) error = NULL;
  NavStunMessage *message;

  g_assert_true (nav_stun_message_is_stun (data, length));
  g_assert_cmpint (nav_stun_message_peek_length (data, length), ==, length);
  message = nav_stun_message_parse (data, length, &error);
  g_assert_no_error (error);
  g_assert_nonnull (message);
  return message;
}

static void
assert_bytes_equal (GBytes       *bytes,
                    const guint8 *expected,
                    gsize         expected_length)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (bytes, &length);

  g_assert_cmpmem (data, length, expected, expected_length);
}

static void
assert_attribute_order (NavStunMessage *message,
                        const guint16  *types,
                        guint           n_types)
{
  guint i;

  g_assert_cmpuint (nav_stun_message_get_n_attributes (message), ==, n_types);
  for (i = 0; i < n_types; i++)
    {
      guint16 type;
      gsize length;

      nav_stun_message_get_attribute_nth (message, i, &type, &length);
      g_assert_cmphex (type, ==, types[i]);
    }
}

static GBytes *
short_term_key (void)
{
  g_autoptr (GError) error = NULL;
  GBytes *key = nav_stun_derive_short_term_key (SHORT_TERM_PASSWORD, &error);

  g_assert_no_error (error);
  return key;
}

static void
test_request_parse (void)
{
  g_autoptr (NavStunMessage) message = NULL;
  g_autoptr (GBytes) key = short_term_key ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *software = NULL;
  g_autofree gchar *username = NULL;
  const guint16 order[] = {
    NAV_STUN_ATTRIBUTE_SOFTWARE, NAV_STUN_ATTRIBUTE_PRIORITY,
    NAV_STUN_ATTRIBUTE_ICE_CONTROLLED, NAV_STUN_ATTRIBUTE_USERNAME,
    NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY, NAV_STUN_ATTRIBUTE_FINGERPRINT,
  };
  guint32 priority;
  guint64 tie_breaker;

  message = parse_vector (vector_request, sizeof vector_request);
  g_assert_cmpint (nav_stun_message_get_class (message), ==,
                   NAV_STUN_CLASS_REQUEST);
  g_assert_cmpuint (nav_stun_message_get_method (message), ==,
                    NAV_STUN_METHOD_BINDING);
  g_assert_cmpmem (nav_stun_message_get_transaction_id (message), 12,
                   transaction_id_1, 12);
  assert_attribute_order (message, order, G_N_ELEMENTS (order));

  software = nav_stun_message_get_software (message, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (software, ==, "STUN test client");
  g_assert_true (nav_stun_message_get_priority (message, &priority, &error));
  g_assert_no_error (error);
  g_assert_cmphex (priority, ==, 0x6e0001ff);
  g_assert_true (nav_stun_message_get_ice_controlled (message, &tie_breaker,
                                                      &error));
  g_assert_no_error (error);
  g_assert_cmphex (tie_breaker, ==, G_GUINT64_CONSTANT (0x932ff9b151263b36));
  g_assert_false (nav_stun_message_get_ice_controlling (message, &tie_breaker,
                                                        &error));
  g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE);
  g_clear_error (&error);
  username = nav_stun_message_get_username (message, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (username, ==, "evtj:h6vY");

  /* FINGERPRINT was checked by parsing; integrity needs the key. */
  g_assert_true (nav_stun_message_has_fingerprint (message));
  g_assert_true (nav_stun_message_has_message_integrity (message));
  g_assert_false (nav_stun_message_has_message_integrity_sha256 (message));
  g_assert_true (nav_stun_message_check_integrity (message,
                                                   g_bytes_get_data (key, NULL),
                                                   g_bytes_get_size (key),
                                                   &error));
  g_assert_no_error (error);
  g_assert_false (nav_stun_message_check_integrity (message,
                                                    (const guint8 *) "wrong", 5,
                                                    &error));
  g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_INTEGRITY_FAILED);
}

static void
test_request_build (void)
{
  g_autoptr (NavStunMessageBuilder) builder = NULL;
  g_autoptr (GBytes) key = short_term_key ();
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;

  builder = nav_stun_message_builder_new (NAV_STUN_CLASS_REQUEST,
                                          NAV_STUN_METHOD_BINDING,
                                          transaction_id_1);
  /* §2.1 pads USERNAME with spaces. */
  nav_stun_message_builder_set_padding_byte (builder, 0x20);
  g_assert_true (nav_stun_message_builder_add_software (builder,
                                                        "STUN test client",
                                                        &error));
  g_assert_true (nav_stun_message_builder_add_priority (builder, 0x6e0001ff,
                                                        &error));
  g_assert_true (nav_stun_message_builder_add_ice_controlled (builder,
                                                              G_GUINT64_CONSTANT (0x932ff9b151263b36),
                                                              &error));
  g_assert_true (nav_stun_message_builder_add_username (builder, "evtj:h6vY",
                                                        &error));
  g_assert_true (nav_stun_message_builder_add_message_integrity (builder,
                                                                 g_bytes_get_data (key, NULL),
                                                                 g_bytes_get_size (key),
                                                                 &error));
  g_assert_true (nav_stun_message_builder_add_fingerprint (builder, &error));
  bytes = nav_stun_message_builder_finish (builder, &error);
  g_assert_no_error (error);
  assert_bytes_equal (bytes, vector_request, sizeof vector_request);
}

static void
test_request_build_to_buffer (void)
{
  g_autoptr (NavStunMessageBuilder) builder = NULL;
  g_autoptr (GBytes) key = short_term_key ();
  g_autoptr (GError) error = NULL;
  guint8 buffer[sizeof vector_request];
  gsize length;

  /* The caller-buffer variant, with a buffer exactly large enough. */
  builder = nav_stun_message_builder_new_with_buffer (NAV_STUN_CLASS_REQUEST,
                                                      NAV_STUN_METHOD_BINDING,
                                                      transaction_id_1,
                                                      buffer, sizeof buffer);
  nav_stun_message_builder_set_padding_byte (builder, ' ');
  nav_stun_message_builder_add_software (builder, "STUN test client", NULL);
  nav_stun_message_builder_add_priority (builder, 0x6e0001ff, NULL);
  nav_stun_message_builder_add_ice_controlled (builder,
                                               G_GUINT64_CONSTANT (0x932ff9b151263b36),
                                               NULL);
  nav_stun_message_builder_add_username (builder, "evtj:h6vY", NULL);
  nav_stun_message_builder_add_message_integrity (builder,
                                                  g_bytes_get_data (key, NULL),
                                                  g_bytes_get_size (key), NULL);
  nav_stun_message_builder_add_fingerprint (builder, NULL);
  length = nav_stun_message_builder_finish_to_buffer (builder, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (buffer, length, vector_request, sizeof vector_request);
}

static void
check_response (const guint8 *vector,
                gsize         vector_length,
                const gchar  *expected_address)
{
  g_autoptr (NavStunMessage) message = NULL;
  g_autoptr (GBytes) key = short_term_key ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *software = NULL;
  g_autofree gchar *text = NULL;
  NavAddress address;
  const guint16 order[] = {
    NAV_STUN_ATTRIBUTE_SOFTWARE, NAV_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
    NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY, NAV_STUN_ATTRIBUTE_FINGERPRINT,
  };

  message = parse_vector (vector, vector_length);
  g_assert_cmpint (nav_stun_message_get_class (message), ==,
                   NAV_STUN_CLASS_SUCCESS_RESPONSE);
  g_assert_cmpuint (nav_stun_message_get_method (message), ==,
                    NAV_STUN_METHOD_BINDING);
  g_assert_true (nav_stun_message_has_transaction_id (message,
                                                      transaction_id_1));
  assert_attribute_order (message, order, G_N_ELEMENTS (order));

  software = nav_stun_message_get_software (message, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (software, ==, "test vector");

  g_assert_true (nav_stun_message_get_xor_mapped_address (message, &address,
                                                          &error));
  g_assert_no_error (error);
  text = nav_address_to_string (&address);
  g_assert_cmpstr (text, ==, expected_address);
  g_assert_cmpuint (nav_address_get_port (&address), ==, 32853);

  g_assert_true (nav_stun_message_check_integrity (message,
                                                   g_bytes_get_data (key, NULL),
                                                   g_bytes_get_size (key),
                                                   &error));
  g_assert_no_error (error);
}

static void
build_response (const guint8 *vector,
                gsize         vector_length,
                const gchar  *address_text)
{
  g_autoptr (NavStunMessageBuilder) builder = NULL;
  g_autoptr (NavAddress) address = NULL;
  g_autoptr (GBytes) key = short_term_key ();
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;

  address = nav_address_new_from_string (address_text, &error);
  g_assert_no_error (error);

  builder = nav_stun_message_builder_new (NAV_STUN_CLASS_SUCCESS_RESPONSE,
                                          NAV_STUN_METHOD_BINDING,
                                          transaction_id_1);
  /* §2.2 and §2.3 pad SOFTWARE with a space. */
  nav_stun_message_builder_set_padding_byte (builder, 0x20);
  g_assert_true (nav_stun_message_builder_add_software (builder, "test vector",
                                                        &error));
  g_assert_true (nav_stun_message_builder_add_xor_mapped_address (builder,
                                                                  address,
                                                                  &error));
  g_assert_true (nav_stun_message_builder_add_message_integrity (builder,
                                                                 g_bytes_get_data (key, NULL),
                                                                 g_bytes_get_size (key),
                                                                 &error));
  g_assert_true (nav_stun_message_builder_add_fingerprint (builder, &error));
  bytes = nav_stun_message_builder_finish (builder, &error);
  g_assert_no_error (error);
  assert_bytes_equal (bytes, vector, vector_length);
}

static void
test_response_ipv4_parse (void)
{
  check_response (vector_response_ipv4, sizeof vector_response_ipv4,
                  "192.0.2.1:32853");
}

static void
test_response_ipv4_build (void)
{
  build_response (vector_response_ipv4, sizeof vector_response_ipv4,
                  "192.0.2.1:32853");
}

static void
test_response_ipv6_parse (void)
{
  check_response (vector_response_ipv6, sizeof vector_response_ipv6,
                  "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
}

static void
test_response_ipv6_build (void)
{
  build_response (vector_response_ipv6, sizeof vector_response_ipv6,
                  "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
}

static GBytes *
long_term_key (NavStunPasswordAlgorithm algorithm)
{
  g_autoptr (GError) error = NULL;
  GBytes *key;

  key = nav_stun_derive_long_term_key (LONG_TERM_USERNAME, LONG_TERM_REALM,
                                       LONG_TERM_PASSWORD, algorithm, &error);
  g_assert_no_error (error);
  g_assert_nonnull (key);
  return key;
}

static void
test_long_term_parse (void)
{
  g_autoptr (NavStunMessage) message = NULL;
  g_autoptr (GBytes) key = long_term_key (NAV_STUN_PASSWORD_ALGORITHM_MD5);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *username = NULL;
  g_autofree gchar *nonce = NULL;
  g_autofree gchar *realm = NULL;
  const guint16 order[] = {
    NAV_STUN_ATTRIBUTE_USERNAME, NAV_STUN_ATTRIBUTE_NONCE,
    NAV_STUN_ATTRIBUTE_REALM, NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
  };

  message = parse_vector (vector_request_long_term,
                          sizeof vector_request_long_term);
  g_assert_cmpint (nav_stun_message_get_class (message), ==,
                   NAV_STUN_CLASS_REQUEST);
  g_assert_true (nav_stun_message_has_transaction_id (message,
                                                      transaction_id_2));
  assert_attribute_order (message, order, G_N_ELEMENTS (order));
  g_assert_false (nav_stun_message_has_fingerprint (message));

  username = nav_stun_message_get_username (message, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (username, ==, LONG_TERM_USERNAME);
  nonce = nav_stun_message_get_nonce (message, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nonce, ==, LONG_TERM_NONCE_5769);
  realm = nav_stun_message_get_realm (message, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (realm, ==, LONG_TERM_REALM);

  /* The MD5 long-term key: MD5("<username>:example.org:TheMatrIX") */
  g_assert_cmpuint (g_bytes_get_size (key), ==, 16);
  g_assert_true (nav_stun_message_check_integrity (message,
                                                   g_bytes_get_data (key, NULL),
                                                   g_bytes_get_size (key),
                                                   &error));
  g_assert_no_error (error);
}

static void
test_long_term_build (void)
{
  g_autoptr (NavStunMessageBuilder) builder = NULL;
  g_autoptr (GBytes) key = long_term_key (NAV_STUN_PASSWORD_ALGORITHM_MD5);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;

  /* §2.4 pads with zeros, the default. */
  builder = nav_stun_message_builder_new (NAV_STUN_CLASS_REQUEST,
                                          NAV_STUN_METHOD_BINDING,
                                          transaction_id_2);
  g_assert_true (nav_stun_message_builder_add_username (builder,
                                                        LONG_TERM_USERNAME,
                                                        &error));
  g_assert_true (nav_stun_message_builder_add_nonce (builder,
                                                     LONG_TERM_NONCE_5769,
                                                     &error));
  g_assert_true (nav_stun_message_builder_add_realm (builder, LONG_TERM_REALM,
                                                     &error));
  g_assert_true (nav_stun_message_builder_add_message_integrity (builder,
                                                                 g_bytes_get_data (key, NULL),
                                                                 g_bytes_get_size (key),
                                                                 &error));
  bytes = nav_stun_message_builder_finish (builder, &error);
  g_assert_no_error (error);
  assert_bytes_equal (bytes, vector_request_long_term,
                      sizeof vector_request_long_term);
}

static void
test_long_term_raw_password (void)
{
  g_autoptr (GBytes) key = NULL;
  g_autoptr (GError) error = NULL;

  /* The password as the RFC writes it holds U+00AD SOFT HYPHEN, a format
   * character the OpaqueString profile disallows (SASLprep deleted it):
   * the derivation refuses it rather than computing another key. */
  key = nav_stun_derive_long_term_key (LONG_TERM_USERNAME, LONG_TERM_REALM,
                                       LONG_TERM_RAW_PASSWORD,
                                       NAV_STUN_PASSWORD_ALGORITHM_MD5,
                                       &error);
  g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_INVALID_STRING);
  g_assert_null (key);
}

static const guint8 *
userhash_of_vector (void)
{
  return vector_sha256_request + 24;
}

static void
test_sha256_parse (void)
{
  g_autoptr (NavStunMessage) message = NULL;
  g_autoptr (GBytes) key = long_term_key (NAV_STUN_PASSWORD_ALGORITHM_SHA256);
  g_autoptr (GBytes) md5_key = long_term_key (NAV_STUN_PASSWORD_ALGORITHM_MD5);
  g_autoptr (GBytes) userhash = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *nonce = NULL;
  g_autofree gchar *realm = NULL;
  const guint8 *hash;
  guint algorithm;
  const guint16 order[] = {
    NAV_STUN_ATTRIBUTE_USERHASH, NAV_STUN_ATTRIBUTE_NONCE,
    NAV_STUN_ATTRIBUTE_REALM, NAV_STUN_ATTRIBUTE_PASSWORD_ALGORITHM,
    NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256,
  };

  message = parse_vector (vector_sha256_request, sizeof vector_sha256_request);
  g_assert_true (nav_stun_message_has_transaction_id (message,
                                                      transaction_id_2));
  assert_attribute_order (message, order, G_N_ELEMENTS (order));
  g_assert_false (nav_stun_message_has_message_integrity (message));
  g_assert_true (nav_stun_message_has_message_integrity_sha256 (message));

  /* USERHASH = SHA-256(OpaqueString(username) ":" OpaqueString(realm)) */
  userhash = nav_stun_compute_userhash (LONG_TERM_USERNAME, LONG_TERM_REALM,
                                        &error);
  g_assert_no_error (error);
  hash = nav_stun_message_get_userhash (message, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (hash, 32, userhash_of_vector (), 32);
  g_assert_cmpmem (g_bytes_get_data (userhash, NULL),
                   g_bytes_get_size (userhash), hash, 32);

  nonce = nav_stun_message_get_nonce (message, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nonce, ==, LONG_TERM_NONCE_8489);
  realm = nav_stun_message_get_realm (message, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (realm, ==, LONG_TERM_REALM);
  g_assert_true (nav_stun_message_get_password_algorithm (message, &algorithm,
                                                          &error));
  g_assert_cmpuint (algorithm, ==, NAV_STUN_PASSWORD_ALGORITHM_SHA256);

  g_assert_cmpuint (g_bytes_get_size (key), ==, 32);
  g_assert_true (nav_stun_message_check_integrity (message,
                                                   g_bytes_get_data (key, NULL),
                                                   g_bytes_get_size (key),
                                                   &error));
  g_assert_no_error (error);
  /* The MD5 key of the same credentials does not verify it. */
  g_assert_false (nav_stun_message_check_integrity (message,
                                                    g_bytes_get_data (md5_key, NULL),
                                                    g_bytes_get_size (md5_key),
                                                    &error));
  g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_INTEGRITY_FAILED);
}

static void
test_sha256_build (void)
{
  g_autoptr (NavStunMessageBuilder) builder = NULL;
  g_autoptr (GBytes) key = long_term_key (NAV_STUN_PASSWORD_ALGORITHM_SHA256);
  g_autoptr (GBytes) userhash = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;

  userhash = nav_stun_compute_userhash (LONG_TERM_USERNAME, LONG_TERM_REALM,
                                        &error);
  g_assert_no_error (error);

  builder = nav_stun_message_builder_new (NAV_STUN_CLASS_REQUEST,
                                          NAV_STUN_METHOD_BINDING,
                                          transaction_id_2);
  g_assert_true (nav_stun_message_builder_add_userhash (builder,
                                                        g_bytes_get_data (userhash, NULL),
                                                        &error));
  g_assert_true (nav_stun_message_builder_add_nonce (builder,
                                                     LONG_TERM_NONCE_8489,
                                                     &error));
  g_assert_true (nav_stun_message_builder_add_realm (builder, LONG_TERM_REALM,
                                                     &error));
  g_assert_true (nav_stun_message_builder_add_password_algorithm (builder,
                                                                  NAV_STUN_PASSWORD_ALGORITHM_SHA256,
                                                                  &error));
  g_assert_true (nav_stun_message_builder_add_message_integrity_sha256 (builder,
                                                                        g_bytes_get_data (key, NULL),
                                                                        g_bytes_get_size (key),
                                                                        0, &error));
  bytes = nav_stun_message_builder_finish (builder, &error);
  g_assert_no_error (error);
  assert_bytes_equal (bytes, vector_sha256_request,
                      sizeof vector_sha256_request);
}

static void
test_fingerprint_values (void)
{
  /* The FINGERPRINT of each vector is the CRC-32 of what precedes it
   * XOR 0x5354554E. */
  g_assert_cmphex (nav_stun_compute_fingerprint (vector_request,
                                                 sizeof vector_request - 8),
                   ==, 0xe57a3bcf);
  g_assert_cmphex (nav_stun_compute_fingerprint (vector_response_ipv4,
                                                 sizeof vector_response_ipv4 - 8),
                   ==, 0xc07d4c96);
  g_assert_cmphex (nav_stun_compute_fingerprint (vector_response_ipv6,
                                                 sizeof vector_response_ipv6 - 8),
                   ==, 0xc8fb0b4c);
}

static void
test_padding_ignored (void)
{
  g_autoptr (NavStunMessage) message = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *nonce = NULL;
  guint8 copy[sizeof vector_sha256_request];

  /* Receivers ignore the value of padding bytes (RFC 8489 §14): change
   * the padding of NONCE (not covered by anything but the HMAC) and the
   * message still parses with the same values. */
  memcpy (copy, vector_sha256_request, sizeof copy);
  copy[20 + 36 + 4 + 41] = 0xff;
  copy[20 + 36 + 4 + 42] = 0x55;
  message = nav_stun_message_parse (copy, sizeof copy, &error);
  g_assert_no_error (error);
  nonce = nav_stun_message_get_nonce (message, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nonce, ==, LONG_TERM_NONCE_8489);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stun/vectors/rfc5769/request/parse", test_request_parse);
  g_test_add_func ("/stun/vectors/rfc5769/request/build", test_request_build);
  g_test_add_func ("/stun/vectors/rfc5769/request/build-to-buffer",
                   test_request_build_to_buffer);
  g_test_add_func ("/stun/vectors/rfc5769/response-ipv4/parse",
                   test_response_ipv4_parse);
  g_test_add_func ("/stun/vectors/rfc5769/response-ipv4/build",
                   test_response_ipv4_build);
  g_test_add_func ("/stun/vectors/rfc5769/response-ipv6/parse",
                   test_response_ipv6_parse);
  g_test_add_func ("/stun/vectors/rfc5769/response-ipv6/build",
                   test_response_ipv6_build);
  g_test_add_func ("/stun/vectors/rfc5769/long-term/parse",
                   test_long_term_parse);
  g_test_add_func ("/stun/vectors/rfc5769/long-term/build",
                   test_long_term_build);
  g_test_add_func ("/stun/vectors/rfc5769/long-term/raw-password",
                   test_long_term_raw_password);
  g_test_add_func ("/stun/vectors/rfc5769/fingerprints",
                   test_fingerprint_values);
  g_test_add_func ("/stun/vectors/rfc8489/sha256-userhash/parse",
                   test_sha256_parse);
  g_test_add_func ("/stun/vectors/rfc8489/sha256-userhash/build",
                   test_sha256_build);
  g_test_add_func ("/stun/vectors/rfc8489/padding-ignored",
                   test_padding_ignored);

  return g_test_run ();
}
