/* test-dtls-hello.c: the record_size_limit of a peer's DTLS hello
 * (modules/datachannel/nav-dtls-hello.c), and garbage
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "nav-dtls-hello.h"

/* A DTLS 1.2 hello body: version, random, session id, (ClientHello)
 * cookie, suites and methods or (ServerHello) suite and method, then
 * @extensions (type, value) pairs. */
static GByteArray *
hello (gboolean       client,
       const guint16 *types,
       const guint8 **values,
       const gsize   *sizes,
       guint          n)
{
  GByteArray *b = g_byte_array_new ();
  guint8 random[34] = { 0xfe, 0xfd };
  guint8 sid[] = { 4, 1, 2, 3, 4 };
  guint8 cookie[] = { 3, 9, 9, 9 };
  guint8 suites[] = { 0, 4, 0xc0, 0x2b, 0xc0, 0x2f, 1, 0 };
  guint8 server_suite[] = { 0xc0, 0x2b, 0 };
  gsize total = 0;
  guint8 len[2];

  g_byte_array_append (b, random, sizeof random);
  g_byte_array_append (b, sid, sizeof sid);
  if (client)
    {
      g_byte_array_append (b, cookie, sizeof cookie);
      g_byte_array_append (b, suites, sizeof suites);
    }
  else
    g_byte_array_append (b, server_suite, sizeof server_suite);
  for (guint i = 0; i < n; i++)
    total += 4 + sizes[i];
  len[0] = total >> 8;
  len[1] = total & 0xff;
  g_byte_array_append (b, len, 2);
  for (guint i = 0; i < n; i++)
    {
      guint8 h[4] = { types[i] >> 8, types[i] & 0xff, sizes[i] >> 8, sizes[i] & 0xff };

      g_byte_array_append (b, h, 4);
      g_byte_array_append (b, values[i], sizes[i]);
    }
  return b;
}

static void
test_found (void)
{
  const guint8 ems[] = { 0 }, limit[] = { 0x40, 0x00 }, small[] = { 0x02, 0x00 };
  const guint16 types[] = { 23, 28 };
  const guint8 *values[] = { ems, limit };
  const gsize sizes[] = { 0, 2 };

  for (gint client = 0; client <= 1; client++)
    {
      g_autoptr (GByteArray) b = hello (client, types, values, sizes, 2);
      g_autoptr (GByteArray) none = hello (client, types, values, sizes, 1);
      g_autoptr (GByteArray) other = NULL;
      const guint8 *values2[] = { ems, small };

      g_assert_cmpuint (nav_dtls_hello_record_size_limit (b->data, b->len, client), ==, 16384);
      g_assert_cmpuint (nav_dtls_hello_record_size_limit (none->data, none->len, client), ==, 0);
      other = hello (client, types, values2, sizes, 2);
      g_assert_cmpuint (nav_dtls_hello_record_size_limit (other->data, other->len, client), ==, 512);
      /* Read as the other kind of hello: not found, no overrun. */
      nav_dtls_hello_record_size_limit (b->data, b->len, !client);
    }
}

/* Malformed: a limit below RFC 8449's 64, a value of the wrong size,
 * every truncation, lengths that point past the end. */
static void
test_garbage (void)
{
  const guint8 tiny[] = { 0x00, 0x20 }, wide[] = { 0x40, 0x00, 0x00 };
  const guint16 types[] = { 28 };
  const guint8 *tiny_v[] = { tiny }, *wide_v[] = { wide };
  const gsize two[] = { 2 }, three[] = { 3 };
  g_autoptr (GByteArray) a = hello (TRUE, types, tiny_v, two, 1);
  g_autoptr (GByteArray) b = hello (TRUE, types, wide_v, three, 1);
  const guint8 limit[] = { 0x40, 0x00 };
  const guint8 *values[] = { limit };
  g_autoptr (GByteArray) good = hello (TRUE, types, values, two, 1);
  g_autoptr (GRand) rand = g_rand_new_with_seed (8449);

  g_assert_cmpuint (nav_dtls_hello_record_size_limit (a->data, a->len, TRUE), ==, 0);
  g_assert_cmpuint (nav_dtls_hello_record_size_limit (b->data, b->len, TRUE), ==, 0);
  g_assert_cmpuint (nav_dtls_hello_record_size_limit (NULL, 0, TRUE), ==, 0);
  for (gsize cut = 0; cut < good->len; cut++)
    {
      /* A copy of exactly @cut bytes, so that ASan sees any overrun. */
      g_autofree guint8 *copy = g_memdup2 (good->data, cut);

      g_assert_cmpuint (nav_dtls_hello_record_size_limit (copy, cut, TRUE), ==, 0);
    }
  for (gsize at = 0; at < good->len; at++)
    {
      g_autofree guint8 *copy = g_memdup2 (good->data, good->len);

      copy[at] = 0xff;
      /* Any answer is fine; reading past the end is not. */
      nav_dtls_hello_record_size_limit (copy, good->len, TRUE);
      nav_dtls_hello_record_size_limit (copy, good->len, FALSE);
    }
  for (guint i = 0; i < 20000; i++)
    {
      gsize len = g_rand_int_range (rand, 0, 200);
      g_autofree guint8 *junk = g_malloc (MAX (len, 1));

      for (gsize j = 0; j < len; j++)
        junk[j] = g_rand_int_range (rand, 0, 4) == 0 ? 0 : g_rand_int (rand) & 0xff;
      nav_dtls_hello_record_size_limit (junk, len, i & 1);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dtls-hello/record-size-limit", test_found);
  g_test_add_func ("/dtls-hello/garbage", test_garbage);
  return g_test_run ();
}
