/* test-dns-message.c: the DNS codec of mDNS and DNS-SD
 * (core/discovery/nav-dns.c): round trips, names, and malformed input
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <glib.h>

#include "nav-dns.h"

static NavDnsMessage *
build_service_response (void)
{
  NavDnsMessage *m = nav_dns_message_new (0, NAV_DNS_FLAG_RESPONSE | NAV_DNS_FLAG_AUTHORITATIVE);
  g_autofree gchar *label = nav_dns_label_escape ("Alice's Mac. 1");
  g_autofree gchar *service = g_strconcat (label, "._netavanue._udp.local", NULL);
  NavDnsRecord *r;

  r = nav_dns_message_add_record (m, NAV_DNS_SECTION_ANSWER, "_netavanue._udp.local", NAV_DNS_TYPE_PTR, 4500, FALSE);
  r->data.ptr = g_strdup (service);
  r = nav_dns_message_add_record (m, NAV_DNS_SECTION_ADDITIONAL, service, NAV_DNS_TYPE_SRV, 120, TRUE);
  r->data.srv.port = 4000;
  r->data.srv.target = g_strdup ("nav-a11ce.local");
  r = nav_dns_message_add_record (m, NAV_DNS_SECTION_ADDITIONAL, service, NAV_DNS_TYPE_TXT, 4500, TRUE);
  nav_dns_record_add_txt (r, "v", "1");
  nav_dns_record_add_txt (r, "id", "a11ce");
  nav_dns_record_add_txt (r, "flag", NULL);
  r = nav_dns_message_add_record (m, NAV_DNS_SECTION_ADDITIONAL, "nav-a11ce.local", NAV_DNS_TYPE_A, 120, TRUE);
  memcpy (r->data.a, "\xc6\x12\x01\x02", 4);
  r = nav_dns_message_add_record (m, NAV_DNS_SECTION_ADDITIONAL, "nav-a11ce.local", NAV_DNS_TYPE_AAAA, 120, TRUE);
  memcpy (r->data.aaaa, "\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
  r = nav_dns_message_add_record (m, NAV_DNS_SECTION_ADDITIONAL, "nav-a11ce.local", NAV_DNS_TYPE_NSEC, 120, TRUE);
  r->data.nsec.next = g_strdup ("nav-a11ce.local");
  r->data.nsec.bitmap[0] = 0x40;       /* A */
  r->data.nsec.bitmap[3] = 0x08;       /* AAAA (28) */
  return m;
}

static void
test_round_trip (void)
{
  g_autoptr (NavDnsMessage) m = build_service_response ();
  g_autoptr (GBytes) bytes = nav_dns_message_write (m, NAV_DNS_MAX_MESSAGE);
  g_autoptr (NavDnsMessage) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *instance = NULL;
  g_autofree gchar *v = NULL;
  g_autofree gchar *flag = NULL;
  gsize len;
  const guint8 *data;
  guint i;

  g_assert_nonnull (bytes);
  data = g_bytes_get_data (bytes, &len);
  /* Names compressed: "local" and the service name written once. */
  g_assert_cmpuint (len, <, 300);
  back = nav_dns_message_parse (data, len, &error);
  g_assert_no_error (error);
  g_assert_cmphex (back->flags, ==, 0x8400);
  g_assert_cmpuint (back->answers->len, ==, 1);
  g_assert_cmpuint (back->additional->len, ==, 5);
  for (i = 0; i < 1; i++)
    g_assert_true (nav_dns_record_equal_data (g_ptr_array_index (m->answers, i), g_ptr_array_index (back->answers, i)));
  for (i = 0; i < 5; i++)
    {
      NavDnsRecord *a = g_ptr_array_index (m->additional, i), *b = g_ptr_array_index (back->additional, i);

      g_assert_true (nav_dns_record_equal_data (a, b));
      g_assert_cmpuint (a->ttl, ==, b->ttl);
      g_assert_cmpint (a->cache_flush, ==, b->cache_flush);
    }
  /* The instance name with its dot and apostrophe, back as it was. */
  instance = nav_dns_name_first_label (((NavDnsRecord *) g_ptr_array_index (back->answers, 0))->data.ptr);
  g_assert_cmpstr (instance, ==, "Alice's Mac. 1");
  v = nav_dns_record_get_txt (g_ptr_array_index (back->additional, 1), "V");
  g_assert_cmpstr (v, ==, "1");
  flag = nav_dns_record_get_txt (g_ptr_array_index (back->additional, 1), "flag");
  g_assert_cmpstr (flag, ==, "");
  g_assert_null (nav_dns_record_get_txt (g_ptr_array_index (back->additional, 1), "missing"));
  g_assert_cmphex (((NavDnsRecord *) g_ptr_array_index (back->additional, 4))->data.nsec.bitmap[3], ==, 0x08);
}

/* A response as Avahi writes one (captured from avahi-publish in the
 * netns test's lab): PTR, then SRV, TXT and A as additional records,
 * names compressed against the question-less header. */
static const guint8 avahi_response[] = {
  0x00, 0x00, 0x84, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03,
  /* _netavanue._udp.local PTR, TTL 4500 */
  0x0a, '_', 'n', 'e', 't', 'a', 'v', 'a', 'n', 'u', 'e', 0x04, '_', 'u', 'd', 'p',
  0x05, 'l', 'o', 'c', 'a', 'l', 0x00,
  0x00, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x11, 0x94, 0x00, 0x0d,
  0x0a, 'A', 'v', 'a', 'h', 'i', ' ', 'P', 'e', 'e', 'r', 0xc0, 0x0c,
  /* Avahi Peer._netavanue._udp.local SRV 0 0 5555 vm.local, flush */
  0xc0, 0x2d, 0x00, 0x21, 0x80, 0x01, 0x00, 0x00, 0x00, 0x78, 0x00, 0x0b,
  0x00, 0x00, 0x00, 0x00, 0x15, 0xb3, 0x02, 'v', 'm', 0xc0, 0x1c,
  /* TXT "v=1" */
  0xc0, 0x2d, 0x00, 0x10, 0x80, 0x01, 0x00, 0x00, 0x11, 0x94, 0x00, 0x04,
  0x03, 'v', '=', '1',
  /* vm.local A 198.18.1.4 */
  0xc0, 0x4c, 0x00, 0x01, 0x80, 0x01, 0x00, 0x00, 0x00, 0x78, 0x00, 0x04,
  198, 18, 1, 4,
};

static void
test_compressed (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavDnsMessage) m = nav_dns_message_parse (avahi_response, sizeof avahi_response, &error);
  NavDnsRecord *r;

  g_assert_no_error (error);
  g_assert_cmpuint (m->answers->len, ==, 1);
  g_assert_cmpuint (m->additional->len, ==, 3);
  r = g_ptr_array_index (m->answers, 0);
  g_assert_cmpstr (r->data.ptr, ==, "Avahi\\032Peer._netavanue._udp.local");
  g_assert_false (r->cache_flush);
  r = g_ptr_array_index (m->additional, 0);
  g_assert_cmpstr (r->name, ==, "Avahi\\032Peer._netavanue._udp.local");
  g_assert_cmpuint (r->data.srv.port, ==, 5555);
  g_assert_cmpstr (r->data.srv.target, ==, "vm.local");
  g_assert_true (r->cache_flush);
  r = g_ptr_array_index (m->additional, 2);
  g_assert_cmpstr (r->name, ==, "vm.local");
  g_assert_cmpmem (r->data.a, 4, "\xc6\x12\x01\x04", 4);
}

static void
test_names (void)
{
  g_autofree gchar *escaped = nav_dns_label_escape ("a.b\\c d");

  g_assert_cmpstr (escaped, ==, "a\\.b\\\\c\\032d");
  g_assert_true (nav_dns_name_equal ("Nav-X.LOCAL", "nav-x.local."));
  g_assert_false (nav_dns_name_equal ("nav-x.local", "nav-y.local"));
  g_assert_true (nav_dns_name_equal ("a\\.b.local", "a\\046b.local"));
  g_assert_false (nav_dns_name_equal ("a\\.b.local", "a.b.local"));
  g_assert_cmpuint (nav_dns_name_hash ("ABC.local"), ==, nav_dns_name_hash ("abc.local"));
  g_assert_true (nav_dns_name_has_suffix ("x._netavanue._udp.local", "_netavanue._udp.local"));
  g_assert_false (nav_dns_name_has_suffix ("x_netavanue._udp.local", "_netavanue._udp.local"));
  g_assert_true (nav_dns_name_is_valid ("abc.local"));
  g_assert_false (nav_dns_name_is_valid ("abc..local"));
  g_assert_false (nav_dns_name_is_valid (""));
  {
    g_autofree gchar *long_label = g_strnfill (64, 'x');
    g_autofree gchar *name = g_strconcat (long_label, ".local", NULL);

    g_assert_false (nav_dns_name_is_valid (name));
  }
  {
    /* 4 × 63 + 4 length bytes + "local" (6) + 1 > 255 */
    g_autofree gchar *l = g_strnfill (63, 'y');
    g_autofree gchar *name = g_strjoin (".", l, l, l, l, "local", NULL);

    g_assert_false (nav_dns_name_is_valid (name));
  }
}

/* RFC 6762 §8.2: class, then type, then RDATA byte by byte. */
static void
test_compare (void)
{
  g_autoptr (NavDnsRecord) a = nav_dns_record_new ("h.local", NAV_DNS_TYPE_A, 120, TRUE);
  g_autoptr (NavDnsRecord) b = nav_dns_record_new ("h.local", NAV_DNS_TYPE_A, 120, TRUE);
  g_autoptr (NavDnsRecord) aaaa = nav_dns_record_new ("h.local", NAV_DNS_TYPE_AAAA, 120, TRUE);

  memcpy (a->data.a, "\xa9\xfe\x63\xc8", 4);
  memcpy (b->data.a, "\xa9\xfe\xc8\x63", 4);
  g_assert_cmpint (nav_dns_record_compare (a, b), <, 0);
  g_assert_cmpint (nav_dns_record_compare (b, a), >, 0);
  g_assert_cmpint (nav_dns_record_compare (a, a), ==, 0);
  g_assert_cmpint (nav_dns_record_compare (a, aaaa), <, 0);
}

static void
expect_error (const guint8 *data,
              gsize         len,
              gint          code)
{
  g_autoptr (GError) error = NULL;
  NavDnsMessage *m = nav_dns_message_parse (data, len, &error);

  g_assert_null (m);
  g_assert_error (error, NAV_DNS_ERROR, code);
}

static void
test_malformed (void)
{
  static const guint8 header[] = { 0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0 };
  g_autoptr (NavDnsMessage) valid = build_service_response ();
  g_autoptr (GBytes) bytes = nav_dns_message_write (valid, NAV_DNS_MAX_MESSAGE);
  GByteArray *b;
  gsize len, cut;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  guint8 *big;

  /* Every prefix of a valid message is refused, none crashes. */
  for (cut = 0; cut < len; cut++)
    {
      g_autoptr (GError) error = NULL;
      NavDnsMessage *m = nav_dns_message_parse (data, cut, &error);

      g_assert_null (m);
      g_assert_nonnull (error);
    }
  expect_error (header, 5, NAV_DNS_ERROR_TRUNCATED);

  /* A name that points at itself. */
  b = g_byte_array_new ();
  g_byte_array_append (b, header, sizeof header);
  g_byte_array_append (b, (const guint8 *) "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x78\x00\x04\x01\x02\x03\x04", 16);
  expect_error (b->data, b->len, NAV_DNS_ERROR_BAD_NAME);
  /* A pointer forward. */
  b->data[13] = 0x20;
  expect_error (b->data, b->len, NAV_DNS_ERROR_BAD_NAME);
  g_byte_array_unref (b);

  /* A name whose pointer goes back into itself. */
  b = g_byte_array_new ();
  g_byte_array_append (b, header, sizeof header);
  g_byte_array_append (b, (const guint8 *) "\x01x\xc0\x0e\x00\x0c\x00\x01\x00\x00\x00\x78\x00\x02\xc0\x0c", 16);
  expect_error (b->data, b->len, NAV_DNS_ERROR_BAD_NAME);
  g_byte_array_unref (b);

  /* A label of 64 bytes (the 0x40 bits are a reserved label type). */
  b = g_byte_array_new ();
  g_byte_array_append (b, header, sizeof header);
  g_byte_array_append (b, (const guint8 *) "\x40", 1);
  for (cut = 0; cut < 64; cut++)
    g_byte_array_append (b, (const guint8 *) "a", 1);
  g_byte_array_append (b, (const guint8 *) "\x00\x00\x01\x00\x01\x00\x00\x00\x78\x00\x04\x01\x02\x03\x04", 15);
  expect_error (b->data, b->len, NAV_DNS_ERROR_BAD_NAME);
  g_byte_array_unref (b);

  /* A name of more than 255 bytes. */
  b = g_byte_array_new ();
  g_byte_array_append (b, header, sizeof header);
  for (cut = 0; cut < 5; cut++)
    {
      guint j;

      g_byte_array_append (b, (const guint8 *) "\x3f", 1);
      for (j = 0; j < 63; j++)
        g_byte_array_append (b, (const guint8 *) "b", 1);
    }
  g_byte_array_append (b, (const guint8 *) "\x00\x00\x01\x00\x01\x00\x00\x00\x78\x00\x04\x01\x02\x03\x04", 15);
  expect_error (b->data, b->len, NAV_DNS_ERROR_BAD_NAME);
  g_byte_array_unref (b);

  /* An A record of 5 bytes; a TXT string running past its RDATA; an SRV
   * shorter than its fixed fields. */
  b = g_byte_array_new ();
  g_byte_array_append (b, header, sizeof header);
  g_byte_array_append (b, (const guint8 *) "\x01x\x00\x00\x01\x00\x01\x00\x00\x00\x78\x00\x05\x01\x02\x03\x04\x05", 18);
  expect_error (b->data, b->len, NAV_DNS_ERROR_BAD_RECORD);
  b->data[16] = 16;                        /* TXT */
  b->data[24] = 2;                         /* RDATA: a string of 5 bytes with 1 left */
  g_byte_array_set_size (b, 25 + 2);
  b->data[25] = 0x05;
  b->data[26] = 'a';
  expect_error (b->data, b->len, NAV_DNS_ERROR_BAD_RECORD);
  b->data[16] = 33;                        /* SRV of 2 bytes */
  expect_error (b->data, b->len, NAV_DNS_ERROR_BAD_RECORD);
  g_byte_array_unref (b);

  /* Counts larger than the message, and more entries than allowed. */
  {
    static const guint8 counts[] = { 0, 0, 0x84, 0, 0, 0, 0x00, 0x10, 0, 0, 0, 0, 0 };
    static const guint8 many[] = { 0, 0, 0x84, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 };

    expect_error (counts, sizeof counts, NAV_DNS_ERROR_TRUNCATED);
    expect_error (many, sizeof many, NAV_DNS_ERROR_TOO_LARGE);
  }

  /* Bytes after the last record; a message over 9000 bytes. */
  b = g_byte_array_new ();
  g_byte_array_append (b, data, len);
  g_byte_array_append (b, (const guint8 *) "\0", 1);
  expect_error (b->data, b->len, NAV_DNS_ERROR_TRAILING);
  g_byte_array_unref (b);
  big = g_malloc0 (NAV_DNS_MAX_MESSAGE + 1);
  expect_error (big, NAV_DNS_MAX_MESSAGE + 1, NAV_DNS_ERROR_TOO_LARGE);
  g_free (big);
}

/* A message that does not fit is not written, never cut. */
static void
test_write_limit (void)
{
  g_autoptr (NavDnsMessage) m = build_service_response ();

  g_assert_null (nav_dns_message_write (m, 40));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dns/round-trip", test_round_trip);
  g_test_add_func ("/dns/compressed", test_compressed);
  g_test_add_func ("/dns/names", test_names);
  g_test_add_func ("/dns/compare", test_compare);
  g_test_add_func ("/dns/malformed", test_malformed);
  g_test_add_func ("/dns/write-limit", test_write_limit);
  return g_test_run ();
}
