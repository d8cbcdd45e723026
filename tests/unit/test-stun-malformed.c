/* test-stun-malformed.c: malformed STUN messages are rejected, each with
 * its own error code, and random input never crashes the codec
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <netavanue/netavanue.h>

#include "nav-stun-private.h"

/* RFC 5769 §2.1: a request with MESSAGE-INTEGRITY and FINGERPRINT */
static const guint8 vector_request[] = {
  0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42,
  0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
  0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
  0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74,
  0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
  0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
  0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
  0x59, 0x20, 0x20, 0x20,
  0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56,
  0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2,
  0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* RFC 5769 §2.4: long-term credentials, no FINGERPRINT */
static const guint8 vector_long_term[] = {
  0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42,
  0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e,
  0x00, 0x06, 0x00, 0x12, 0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88, 0xe3, 0x83,
  0xaa, 0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00,
  0x00, 0x15, 0x00, 0x1c, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39,
  0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46,
  0x53, 0x54, 0x76, 0x79, 0x36, 0x34, 0x73, 0x41,
  0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e,
  0x6f, 0x72, 0x67, 0x00,
  0x00, 0x08, 0x00, 0x14, 0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e,
  0x02, 0xb8, 0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2, 0x8c, 0xa8, 0x96, 0x66,
};

#define LONG_TERM_USERNAME "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9"

/* A raw message: a Binding request header, then the attributes as given,
 * with the length field set to match. */
static GByteArray *
raw_message_new (void)
{
  static const guint8 header[20] = {
    0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42,
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
  };
  GByteArray *array = g_byte_array_new ();

  g_byte_array_append (array, header, sizeof header);
  return array;
}

static void
raw_fix_length (GByteArray *array)
{
  gsize body = array->len - 20;

  array->data[2] = (guint8) (body >> 8);
  array->data[3] = (guint8) body;
}

/* Appends an attribute with the given value, padded with zeros. */
static void
raw_add (GByteArray   *array,
         guint16       type,
         const void   *value,
         gsize         length)
{
  guint8 header[4] = { type >> 8, type & 0xff, length >> 8, length & 0xff };
  static const guint8 zeros[4] = { 0 };

  g_byte_array_append (array, header, 4);
  if (length > 0)
    g_byte_array_append (array, value, length);
  g_byte_array_append (array, zeros, (4 - length % 4) % 4);
  raw_fix_length (array);
}

static void
raw_add_fingerprint (GByteArray *array)
{
  guint32 fp;

  raw_add (array, NAV_STUN_ATTRIBUTE_FINGERPRINT, "\0\0\0\0", 4);
  fp = GUINT32_TO_BE (nav_stun_compute_fingerprint (array->data,
                                                    array->len - 8));
  memcpy (array->data + array->len - 4, &fp, 4);
}

static void
assert_parse_error (const guint8 *data,
                    gsize         length,
                    gint          code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavStunMessage) message = NULL;

  message = nav_stun_message_parse (data, length, &error);
  g_assert_error (error, NAV_STUN_ERROR, code);
  g_assert_null (message);
}

static NavStunMessage *
parse_ok (GByteArray *array)
{
  g_autoptr (GError) error = NULL;
  NavStunMessage *message;

  message = nav_stun_message_parse (array->data, array->len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (message);
  return message;
}

static void
test_truncated (void)
{
  gsize length;

  /* Every prefix of a valid message: shorter than a header is not STUN,
   * longer is a truncated message. */
  for (length = 0; length < sizeof vector_request; length++)
    assert_parse_error (vector_request, length,
                        length < 20 ? NAV_STUN_ERROR_NOT_STUN
                                    : NAV_STUN_ERROR_TRUNCATED);
  for (length = 0; length < sizeof vector_long_term; length++)
    assert_parse_error (vector_long_term, length,
                        length < 20 ? NAV_STUN_ERROR_NOT_STUN
                                    : NAV_STUN_ERROR_TRUNCATED);
  for (length = 0; length < sizeof vector_request; length++)
    g_assert_false (nav_stun_message_is_stun (vector_request, length));
}

static void
test_bad_length (void)
{
  guint8 copy[sizeof vector_request + 4];
  guint i;

  /* Trailing bytes after the announced length */
  memcpy (copy, vector_request, sizeof vector_request);
  memset (copy + sizeof vector_request, 0, 4);
  assert_parse_error (copy, sizeof copy, NAV_STUN_ERROR_BAD_LENGTH);
  g_assert_false (nav_stun_message_is_stun (copy, sizeof copy));

  /* Length fields that are not multiples of 4 */
  for (i = 1; i < 4; i++)
    {
      memcpy (copy, vector_request, sizeof vector_request);
      copy[3] += i;
      assert_parse_error (copy, sizeof vector_request,
                          NAV_STUN_ERROR_BAD_LENGTH);
      g_assert_cmpint (nav_stun_message_peek_length (copy, sizeof copy), ==, -1);
    }

  /* A shorter length field: the message seems to end inside it, the
   * datagram has trailing bytes */
  memcpy (copy, vector_request, sizeof vector_request);
  copy[3] -= 4;
  assert_parse_error (copy, sizeof vector_request, NAV_STUN_ERROR_BAD_LENGTH);
}

static void
test_not_stun (void)
{
  guint8 copy[sizeof vector_request];
  guint bits;

  for (bits = 1; bits < 4; bits++)
    {
      memcpy (copy, vector_request, sizeof copy);
      copy[0] |= bits << 6;
      assert_parse_error (copy, sizeof copy, NAV_STUN_ERROR_NOT_STUN);
      g_assert_false (nav_stun_message_is_stun (copy, sizeof copy));
    }
}

static void
test_bad_cookie (void)
{
  guint8 copy[sizeof vector_request];
  guint i;

  for (i = 4; i < 8; i++)
    {
      memcpy (copy, vector_request, sizeof copy);
      copy[i] ^= 0x10;
      assert_parse_error (copy, sizeof copy, NAV_STUN_ERROR_BAD_COOKIE);
    }
  /* An RFC 3489 header: a transaction ID where the cookie goes */
  memcpy (copy, vector_request, sizeof copy);
  memset (copy + 4, 0xab, 4);
  assert_parse_error (copy, sizeof copy, NAV_STUN_ERROR_BAD_COOKIE);
}

static void
test_attribute_past_end (void)
{
  g_autoptr (GByteArray) array = raw_message_new ();
  guint8 copy[sizeof vector_long_term];

  /* An attribute claims 8 bytes, 4 follow */
  raw_add (array, NAV_STUN_ATTRIBUTE_PRIORITY, "\0\0\0\1", 4);
  array->data[23] = 8;
  assert_parse_error (array->data, array->len,
                      NAV_STUN_ERROR_BAD_ATTRIBUTE_LENGTH);

  /* The last attribute of a vector grown by one byte: its padding runs
   * past the end */
  memcpy (copy, vector_long_term, sizeof copy);
  copy[sizeof copy - 21] = 0x15;
  assert_parse_error (copy, sizeof copy, NAV_STUN_ERROR_BAD_ATTRIBUTE_LENGTH);

  /* The first attribute of a vector claims 0xffff bytes */
  memcpy (copy, vector_long_term, sizeof copy);
  copy[22] = 0xff;
  copy[23] = 0xff;
  assert_parse_error (copy, sizeof copy, NAV_STUN_ERROR_BAD_ATTRIBUTE_LENGTH);
}

static void
test_bad_fingerprint (void)
{
  guint8 copy[sizeof vector_request];
  guint i;

  /* Any change covered by the CRC: a byte of SOFTWARE, the FINGERPRINT
   * itself, the transaction ID */
  static const guint positions[] = { 27, sizeof vector_request - 1, 10 };

  for (i = 0; i < G_N_ELEMENTS (positions); i++)
    {
      memcpy (copy, vector_request, sizeof copy);
      copy[positions[i]] ^= 0x01;
      assert_parse_error (copy, sizeof copy, NAV_STUN_ERROR_BAD_FINGERPRINT);
    }

  /* A FINGERPRINT of 8 bytes */
  {
    g_autoptr (GByteArray) array = raw_message_new ();

    raw_add (array, NAV_STUN_ATTRIBUTE_FINGERPRINT, "\0\0\0\0\0\0\0\0", 8);
    assert_parse_error (array->data, array->len,
                        NAV_STUN_ERROR_BAD_FINGERPRINT);
  }
}

static void
test_fingerprint_not_last (void)
{
  g_autoptr (GByteArray) array = raw_message_new ();

  raw_add_fingerprint (array);
  raw_add (array, NAV_STUN_ATTRIBUTE_SOFTWARE, "late", 4);
  assert_parse_error (array->data, array->len,
                      NAV_STUN_ERROR_FINGERPRINT_NOT_LAST);

  /* Even after MESSAGE-INTEGRITY, where other attributes are ignored */
  {
    g_autoptr (GByteArray) second = raw_message_new ();
    guint8 mac[20] = { 0 };

    raw_add (second, NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY, mac, sizeof mac);
    raw_add_fingerprint (second);
    raw_add (second, NAV_STUN_ATTRIBUTE_FINGERPRINT, "\0\0\0\0", 4);
    assert_parse_error (second->data, second->len,
                        NAV_STUN_ERROR_FINGERPRINT_NOT_LAST);
  }
}

static void
test_integrity_modified (void)
{
  g_autoptr (GBytes) key = NULL;
  g_autoptr (GError) error = NULL;
  guint8 copy[sizeof vector_long_term];
  static const guint positions[] = {
    1,     /* the method */
    9,     /* the transaction ID */
    30,    /* the username */
    50,    /* the nonce */
    90,    /* the realm */
    100,   /* the HMAC itself */
  };
  guint i;

  key = nav_stun_derive_long_term_key (LONG_TERM_USERNAME, "example.org",
                                       "TheMatrIX",
                                       NAV_STUN_PASSWORD_ALGORITHM_MD5, &error);
  g_assert_no_error (error);

  for (i = 0; i < G_N_ELEMENTS (positions); i++)
    {
      g_autoptr (NavStunMessage) message = NULL;

      memcpy (copy, vector_long_term, sizeof copy);
      copy[positions[i]] ^= 0x04;
      message = nav_stun_message_parse (copy, sizeof copy, &error);
      g_assert_no_error (error);
      g_assert_false (nav_stun_message_check_integrity (message,
                                                        g_bytes_get_data (key, NULL),
                                                        g_bytes_get_size (key),
                                                        &error));
      g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_INTEGRITY_FAILED);
      g_clear_error (&error);
    }

  /* An attribute appended after MESSAGE-INTEGRITY (with the length field
   * grown) is ignored, and the integrity still holds: RFC 8489 §14.5
   * computes it with the length up to MESSAGE-INTEGRITY. */
  {
    g_autoptr (GByteArray) array = g_byte_array_new ();
    g_autoptr (NavStunMessage) message = NULL;

    g_byte_array_append (array, vector_long_term, sizeof vector_long_term);
    raw_add (array, NAV_STUN_ATTRIBUTE_SOFTWARE, "evil", 4);
    message = parse_ok (array);
    g_assert_false (nav_stun_message_has_attribute (message,
                                                    NAV_STUN_ATTRIBUTE_SOFTWARE));
    g_assert_true (nav_stun_message_check_integrity (message,
                                                     g_bytes_get_data (key, NULL),
                                                     g_bytes_get_size (key),
                                                     &error));
    g_assert_no_error (error);
  }
}

static void
test_integrity_bad_size (void)
{
  static const gsize sizes[] = { 0, 16, 24 };
  static const gsize sha256_sizes[] = { 0, 12, 18, 36 };
  guint8 mac[36] = { 0 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr (GByteArray) array = raw_message_new ();

      raw_add (array, NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY, mac, sizes[i]);
      assert_parse_error (array->data, array->len,
                          NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
    }
  for (i = 0; i < G_N_ELEMENTS (sha256_sizes); i++)
    {
      g_autoptr (GByteArray) array = raw_message_new ();

      raw_add (array, NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256, mac,
               sha256_sizes[i]);
      assert_parse_error (array->data, array->len,
                          NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
    }
}

static void
test_unknown_required (void)
{
  g_autoptr (GByteArray) array = raw_message_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (NavStunMessage) message = NULL;
  const guint16 *unknown;
  gsize n;

  raw_add (array, 0x0007, "pass", 4);   /* PASSWORD, retired */
  raw_add (array, 0x8123, "opt", 3);    /* unknown but optional */
  raw_add (array, 0x0031, NULL, 0);
  message = nav_stun_message_parse (array->data, array->len, &error);
  g_assert_error (error, NAV_STUN_ERROR,
                  NAV_STUN_ERROR_UNKNOWN_REQUIRED_ATTRIBUTES);
  unknown = nav_stun_error_get_unknown_attributes (error, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmphex (unknown[0], ==, 0x0007);
  g_assert_cmphex (unknown[1], ==, 0x0031);
}

static void
test_oversized_strings (void)
{
  static const struct {
    guint16 type;
    gsize ok_length;       /* the longest accepted, in bytes of 'a' */
  } limits[] = {
    { NAV_STUN_ATTRIBUTE_USERNAME, 512 },
    { NAV_STUN_ATTRIBUTE_REALM, 127 },
    { NAV_STUN_ATTRIBUTE_NONCE, 127 },
    { NAV_STUN_ATTRIBUTE_SOFTWARE, 127 },
    { NAV_STUN_ATTRIBUTE_ALTERNATE_DOMAIN, 255 },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (limits); i++)
    {
      g_autoptr (GByteArray) ok = raw_message_new ();
      g_autoptr (GByteArray) over = raw_message_new ();
      g_autoptr (NavStunMessage) ok_message = NULL;
      g_autoptr (NavStunMessage) over_message = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree gchar *text = g_strnfill (limits[i].ok_length + 1, 'a');
      g_autofree gchar *value = NULL;

      raw_add (ok, limits[i].type, text, limits[i].ok_length);
      raw_add (over, limits[i].type, text, limits[i].ok_length + 1);
      ok_message = parse_ok (ok);
      over_message = parse_ok (over);

      value = nav_stun_message_get_string (ok_message, limits[i].type, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (strlen (value), ==, limits[i].ok_length);
      g_clear_pointer (&value, g_free);
      value = nav_stun_message_get_string (over_message, limits[i].type,
                                           &error);
      g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
      g_assert_null (value);
    }

  /* 128 characters of 2 bytes are over the limit of REALM even though
   * 256 bytes are under 763 */
  {
    g_autoptr (GByteArray) array = raw_message_new ();
    g_autoptr (NavStunMessage) message = NULL;
    g_autoptr (GError) error = NULL;
    g_autoptr (GString) realm = g_string_new (NULL);
    g_autofree gchar *value = NULL;

    for (i = 0; i < 128; i++)
      g_string_append (realm, "\xc3\xa9");
    raw_add (array, NAV_STUN_ATTRIBUTE_REALM, realm->str, realm->len);
    message = parse_ok (array);
    value = nav_stun_message_get_realm (message, &error);
    g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
  }
}

static void
test_bad_strings (void)
{
  static const struct {
    const gchar *value;
    gsize length;
  } cases[] = {
    { "\xff\xfe", 2 },               /* not UTF-8 */
    { "ab\0cd", 5 },                 /* embedded NUL */
    { "\xe2\x82", 2 },               /* truncated sequence */
    { "\xc0\xaf", 2 },               /* overlong encoding */
    { "\xed\xa0\x80", 3 },           /* a surrogate */
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GByteArray) array = raw_message_new ();
      g_autoptr (NavStunMessage) message = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree gchar *value = NULL;

      raw_add (array, NAV_STUN_ATTRIBUTE_USERNAME, cases[i].value,
               cases[i].length);
      message = parse_ok (array);
      value = nav_stun_message_get_username (message, &error);
      g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
      g_assert_null (value);
    }
}

static void
test_bad_addresses (void)
{
  static const struct {
    const gchar *value;
    gsize length;
    gint code;
  } cases[] = {
    /* family 0x03, 0x00, 0xff */
    { "\x00\x03\x12\x34" "abcd", 8, NAV_STUN_ERROR_BAD_ADDRESS_FAMILY },
    { "\x00\x00\x12\x34" "abcd", 8, NAV_STUN_ERROR_BAD_ADDRESS_FAMILY },
    { "\x00\xff\x12\x34" "abcdabcdabcdabcd", 20, NAV_STUN_ERROR_BAD_ADDRESS_FAMILY },
    /* IPv4 with 12 or 4 bytes, IPv6 with 8 or 24, 3 bytes, empty */
    { "\x00\x01\x12\x34" "abcdabcd", 12, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE },
    { "\x00\x01\x12\x34", 4, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE },
    { "\x00\x02\x12\x34" "abcd", 8, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE },
    { "\x00\x02\x12\x34" "abcdabcdabcdabcdabcd", 24, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE },
    { "\x00\x01\x12", 3, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE },
    { "", 0, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE },
  };
  static const guint16 types[] = {
    NAV_STUN_ATTRIBUTE_MAPPED_ADDRESS, NAV_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
  };
  guint i, t;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    for (t = 0; t < G_N_ELEMENTS (types); t++)
      {
        g_autoptr (GByteArray) array = raw_message_new ();
        g_autoptr (NavStunMessage) message = NULL;
        g_autoptr (GError) error = NULL;
        NavAddress address;

        raw_add (array, types[t], cases[i].value, cases[i].length);
        message = parse_ok (array);
        if (types[t] == NAV_STUN_ATTRIBUTE_MAPPED_ADDRESS)
          g_assert_false (nav_stun_message_get_mapped_address (message, &address,
                                                               &error));
        else
          g_assert_false (nav_stun_message_get_xor_mapped_address (message,
                                                                   &address,
                                                                   &error));
        g_assert_error (error, NAV_STUN_ERROR, cases[i].code);
      }
}

static void
test_bad_values (void)
{
  g_autoptr (GByteArray) array = raw_message_new ();
  g_autoptr (NavStunMessage) message = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree guint16 *list = NULL;
  guint code;
  guint16 u16;
  guint32 u32;
  guint64 u64;
  gsize n;
  GSocketFamily family;
  gboolean reserve;
  guint8 u8;

  raw_add (array, NAV_STUN_ATTRIBUTE_ERROR_CODE, "\0\0\x07\x01" "Bad", 7);
  raw_add (array, NAV_STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES, "\x00\x02\x00", 3);
  raw_add (array, NAV_STUN_ATTRIBUTE_CHANNEL_NUMBER, "\x50\x00\x00\x00", 4);
  raw_add (array, NAV_STUN_ATTRIBUTE_PRIORITY, "\0\0\0\0\0", 5);
  raw_add (array, NAV_STUN_ATTRIBUTE_ICE_CONTROLLING, "\0\0\0\0", 4);
  raw_add (array, NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY, "\x03\0\0\0", 4);
  raw_add (array, NAV_STUN_ATTRIBUTE_EVEN_PORT, NULL, 0);
  raw_add (array, NAV_STUN_ATTRIBUTE_REQUESTED_TRANSPORT, "\x11", 1);
  raw_add (array, NAV_STUN_ATTRIBUTE_PASSWORD_ALGORITHMS, "\0\1\0\x08\0\0", 6);
  raw_add (array, NAV_STUN_ATTRIBUTE_PASSWORD_ALGORITHM, "\0\1", 2);
  raw_add (array, NAV_STUN_ATTRIBUTE_USERHASH, "short", 5);
  raw_add (array, NAV_STUN_ATTRIBUTE_RESPONSE_PORT, "\0\1", 2);
  raw_add (array, NAV_STUN_ATTRIBUTE_ICMP, "\0\0\0\0", 4);
  raw_add (array, NAV_STUN_ATTRIBUTE_ADDRESS_ERROR_CODE, "\x01\0\x04\x64", 4);
  message = parse_ok (array);

#define EXPECT(call, code_) G_STMT_START { \
    g_assert_false (call); \
    g_assert_error (error, NAV_STUN_ERROR, code_); \
    g_clear_error (&error); \
  } G_STMT_END
  /* ERROR-CODE class 7 */
  EXPECT (nav_stun_message_get_error_code (message, &code, NULL, &error),
          NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
  /* UNKNOWN-ATTRIBUTES of odd length */
  list = nav_stun_message_get_unknown_attributes (message, &n, &error);
  g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
  g_assert_null (list);
  g_clear_error (&error);
  EXPECT (nav_stun_message_get_channel_number (message, &u16, &error),
          NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
  EXPECT (nav_stun_message_get_priority (message, &u32, &error),
          NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
  EXPECT (nav_stun_message_get_ice_controlling (message, &u64, &error),
          NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
  EXPECT (nav_stun_message_get_address_family (message,
                                               NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY,
                                               &family, &error),
          NAV_STUN_ERROR_BAD_ADDRESS_FAMILY);
  EXPECT (nav_stun_message_get_even_port (message, &reserve, &error),
          NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
  EXPECT (nav_stun_message_get_requested_transport (message, &u8, &error),
          NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
  list = nav_stun_message_get_password_algorithms (message, &n, &error);
  g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
  g_clear_error (&error);
  EXPECT (nav_stun_message_get_password_algorithm (message, &code, &error),
          NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
  g_assert_null (nav_stun_message_get_userhash (message, &error));
  g_assert_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
  g_clear_error (&error);
  EXPECT (nav_stun_message_get_response_port (message, &u16, &error),
          NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
  EXPECT (nav_stun_message_get_icmp (message, NULL, NULL, NULL, &error),
          NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
  /* ADDRESS-ERROR-CODE number 100 */
  EXPECT (nav_stun_message_get_address_error_code (message, &family, &code,
                                                   NULL, &error),
          NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE);
#undef EXPECT
}

/* Calls every getter; the results do not matter, only that nothing
 * crashes or reads out of bounds. */
static void
exercise (NavStunMessage *message)
{
  static const guint8 key[] = "key";
  NavAddress address;
  guint32 u32;
  guint64 u64;
  guint16 u16;
  guint8 u8, u8b;
  guint code;
  gsize n, length;
  GSocketFamily family;
  gboolean flag;
  NavStunChangeRequestFlags change;
  guint i;

  for (i = 0; i < nav_stun_message_get_n_attributes (message); i++)
    {
      guint16 type;

      nav_stun_message_get_attribute_nth (message, i, &type, &length);
      nav_stun_message_get_address_nth (message, i, &address, NULL);
      nav_stun_message_get_xor_address_nth (message, i, &address, NULL);
      nav_stun_message_get_uint32 (message, type, &u32, NULL);
      nav_stun_message_get_uint64 (message, type, &u64, NULL);
      g_free (nav_stun_message_get_string (message, type, NULL));
    }
  g_free (nav_stun_message_get_username (message, NULL));
  g_free (nav_stun_message_get_realm (message, NULL));
  g_free (nav_stun_message_get_nonce (message, NULL));
  g_free (nav_stun_message_get_software (message, NULL));
  g_free (nav_stun_message_get_alternate_domain (message, NULL));
  nav_stun_message_get_userhash (message, NULL);
  {
    gchar *reason = NULL;

    nav_stun_message_get_error_code (message, &code, &reason, NULL);
    g_free (reason);
    reason = NULL;
    nav_stun_message_get_address_error_code (message, &family, &code, &reason,
                                             NULL);
    g_free (reason);
  }
  g_free (nav_stun_message_get_unknown_attributes (message, &n, NULL));
  g_free (nav_stun_message_get_password_algorithms (message, &n, NULL));
  nav_stun_message_get_password_algorithm (message, &code, NULL);
  nav_stun_message_get_mapped_address (message, &address, NULL);
  nav_stun_message_get_xor_mapped_address (message, &address, NULL);
  nav_stun_message_get_alternate_server (message, &address, NULL);
  nav_stun_message_get_response_origin (message, &address, NULL);
  nav_stun_message_get_other_address (message, &address, NULL);
  nav_stun_message_get_xor_address (message, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
                                    &address, NULL);
  nav_stun_message_get_priority (message, &u32, NULL);
  nav_stun_message_get_use_candidate (message);
  nav_stun_message_get_ice_controlled (message, &u64, NULL);
  nav_stun_message_get_ice_controlling (message, &u64, NULL);
  nav_stun_message_get_change_request (message, &change, NULL);
  nav_stun_message_get_response_port (message, &u16, NULL);
  nav_stun_message_get_channel_number (message, &u16, NULL);
  nav_stun_message_get_requested_transport (message, &u8, NULL);
  nav_stun_message_get_address_family (message,
                                       NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY,
                                       &family, NULL);
  nav_stun_message_get_even_port (message, &flag, NULL);
  nav_stun_message_get_icmp (message, &u8, &u8b, &u32, NULL);
  nav_stun_message_get_unknown_required_attributes (message, &n);
  nav_stun_message_check_integrity (message, key, sizeof key - 1, NULL);
}

static guint parsed_count;

static void
try_parse (const guint8 *data,
           gsize         length)
{
  NavStunMessage *message;
  GError *error = NULL;

  nav_stun_message_is_stun (data, length);
  nav_stun_message_peek_length (data, length);
  nav_stun_channel_data_is_channel_data (data, length);
  message = nav_stun_message_parse_full (data, length,
                                         NAV_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED,
                                         &error);
  if (message != NULL)
    {
      g_assert_no_error (error);
      exercise (message);
      nav_stun_message_unref (message);
      parsed_count++;
    }
  else
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == NAV_STUN_ERROR);
      g_error_free (error);
    }
}

static const guint16 known_types[] = {
  0x0001, 0x0003, 0x0006, 0x0009, 0x000A, 0x000C, 0x000D, 0x0012, 0x0013,
  0x0014, 0x0015, 0x0016, 0x0017, 0x0018, 0x0019, 0x001A, 0x001D, 0x001E,
  0x0020, 0x0022, 0x0024, 0x0025, 0x0026, 0x0027, 0x002A, 0x8000, 0x8001,
  0x8002, 0x8003, 0x8004, 0x8022, 0x8023, 0x8029, 0x802A, 0x802B, 0x802C,
};

static void
test_random_garbage (void)
{
  GRand *rand = g_rand_new_with_seed (0x5354554e);
  guint8 buffer[256];
  guint iterations = g_test_slow () ? 2000000 : 200000;
  guint i, j;

  parsed_count = 0;
  for (i = 0; i < iterations; i++)
    {
      gsize length = g_rand_int_range (rand, 0, sizeof buffer + 1);

      for (j = 0; j < length; j++)
        buffer[j] = (guint8) g_rand_int (rand);
      /* Most of the time, a plausible header so that attribute parsing
       * is reached; random attribute headers with small lengths. */
      if (length >= 20 && g_rand_int_range (rand, 0, 4) != 0)
        {
          buffer[0] &= 0x3f;
          buffer[2] = (guint8) ((length - 20) >> 8);
          buffer[3] = (guint8) ((length - 20) & 0xfc);
          memcpy (buffer + 4, "\x21\x12\xa4\x42", 4);
          length = 20 + ((length - 20) & ~(gsize) 3);
          /* Lay out attributes end to end, half of them of known
           * types, with values that sometimes have the right size. */
          for (j = 20; j + 4 <= length; )
            {
              guint16 type = g_rand_boolean (rand)
                ? known_types[g_rand_int_range (rand, 0, G_N_ELEMENTS (known_types))]
                : (guint16) g_rand_int (rand);
              gsize room = length - j - 4;
              gsize value = MIN (room, (gsize) g_rand_int_range (rand, 0, 25));

              buffer[j] = type >> 8;
              buffer[j + 1] = type & 0xff;
              buffer[j + 2] = 0;
              buffer[j + 3] = (guint8) value;
              j += 4 + ((value + 3) & ~(gsize) 3);
            }
        }
      try_parse (buffer, length);
    }
  g_rand_free (rand);
  /* The generator must reach the attribute getters often. */
  g_test_message ("%u of %u random buffers parsed", parsed_count, iterations);
  g_assert_cmpuint (parsed_count, >, iterations / 20);
}

static void
test_bit_flips (void)
{
  static const struct {
    const guint8 *data;
    gsize length;
  } seeds[] = {
    { vector_request, sizeof vector_request },
    { vector_long_term, sizeof vector_long_term },
  };
  GRand *rand = g_rand_new_with_seed (20240229);
  guint8 buffer[256];
  guint i, s, flips;

  parsed_count = 0;
  for (i = 0; i < 100000; i++)
    {
      gsize length;

      s = i % G_N_ELEMENTS (seeds);
      length = seeds[s].length;
      memcpy (buffer, seeds[s].data, length);
      for (flips = g_rand_int_range (rand, 1, 4); flips > 0; flips--)
        {
          guint bit = g_rand_int_range (rand, 0, length * 8);

          buffer[bit / 8] ^= 1 << (bit % 8);
        }
      /* Sometimes cut or extend */
      if (g_rand_int_range (rand, 0, 8) == 0)
        length = g_rand_int_range (rand, 0, length + 8);
      try_parse (buffer, length);
    }
  g_rand_free (rand);
  g_test_message ("%u of 100000 mutated vectors parsed", parsed_count);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stun/malformed/truncated", test_truncated);
  g_test_add_func ("/stun/malformed/bad-length", test_bad_length);
  g_test_add_func ("/stun/malformed/not-stun", test_not_stun);
  g_test_add_func ("/stun/malformed/bad-cookie", test_bad_cookie);
  g_test_add_func ("/stun/malformed/attribute-past-end",
                   test_attribute_past_end);
  g_test_add_func ("/stun/malformed/bad-fingerprint", test_bad_fingerprint);
  g_test_add_func ("/stun/malformed/fingerprint-not-last",
                   test_fingerprint_not_last);
  g_test_add_func ("/stun/malformed/integrity-modified",
                   test_integrity_modified);
  g_test_add_func ("/stun/malformed/integrity-bad-size",
                   test_integrity_bad_size);
  g_test_add_func ("/stun/malformed/unknown-required", test_unknown_required);
  g_test_add_func ("/stun/malformed/oversized-strings", test_oversized_strings);
  g_test_add_func ("/stun/malformed/bad-strings", test_bad_strings);
  g_test_add_func ("/stun/malformed/bad-addresses", test_bad_addresses);
  g_test_add_func ("/stun/malformed/bad-values", test_bad_values);
  g_test_add_func ("/stun/malformed/random-garbage", test_random_garbage);
  g_test_add_func ("/stun/malformed/bit-flips", test_bit_flips);

  return g_test_run ();
}
