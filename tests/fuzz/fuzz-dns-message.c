/* fuzz-dns-message.c: libFuzzer target for the DNS codec of mDNS and
 * DNS-SD (core/discovery/nav-dns.c), the bytes any neighbour on the
 * link may multicast
 *
 * Parses the input; a message that parses is written back (with name
 * compression) and must parse again to the same records.  The same
 * file is linked into fuzz-dns-replay (run-fuzz-replay.c), which every
 * build runs.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdint.h>
#include <stdlib.h>

#include "nav-dns.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* abort () rather than g_assert (), which G_DISABLE_ASSERT would remove */
#define FUZZ_CHECK(cond) G_STMT_START { if (!(cond)) abort (); } G_STMT_END

static void
check_same (GPtrArray *a,
            GPtrArray *b)
{
  guint i;

  FUZZ_CHECK (a->len == b->len);
  for (i = 0; i < a->len; i++)
    {
      const NavDnsRecord *x = g_ptr_array_index (a, i), *y = g_ptr_array_index (b, i);
      g_autofree gchar *txt = NULL;

      FUZZ_CHECK (nav_dns_record_equal_data (x, y));
      FUZZ_CHECK (x->ttl == y->ttl && x->cache_flush == y->cache_flush);
      FUZZ_CHECK (nav_dns_record_compare (x, y) == 0);
      /* What the browser reads of a record must not crash either. */
      txt = nav_dns_record_get_txt (x, "id");
      g_free (nav_dns_name_first_label (x->name));
      (void) nav_dns_name_hash (x->name);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  NavDnsMessage *m, *again;
  GError *error = NULL;
  GBytes *bytes;
  guint i;

  m = nav_dns_message_parse (data, size, &error);
  if (m == NULL)
    {
      /* Refused with a reason, never silently. */
      FUZZ_CHECK (error != NULL && error->domain == NAV_DNS_ERROR && error->message != NULL);
      g_error_free (error);
      return 0;
    }
  bytes = nav_dns_message_write (m, NAV_DNS_MAX_MESSAGE);
  /* Compression only shrinks what was read, except names the sender
   * compressed better than we do: the written form may not fit, but
   * when it does it reads back the same. */
  if (bytes != NULL)
    {
      gsize len;
      const guint8 *out = g_bytes_get_data (bytes, &len);

      again = nav_dns_message_parse (out, len, &error);
      FUZZ_CHECK (again != NULL);
      FUZZ_CHECK (again->id == m->id && again->flags == m->flags);
      FUZZ_CHECK (again->questions->len == m->questions->len);
      for (i = 0; i < m->questions->len; i++)
        {
          const NavDnsQuestion *q = g_ptr_array_index (m->questions, i);
          const NavDnsQuestion *q2 = g_ptr_array_index (again->questions, i);

          FUZZ_CHECK (nav_dns_name_equal (q->name, q2->name) && q->type == q2->type &&
                      q->unicast == q2->unicast);
        }
      check_same (m->answers, again->answers);
      check_same (m->authority, again->authority);
      check_same (m->additional, again->additional);
      nav_dns_message_free (again);
      g_bytes_unref (bytes);
    }
  nav_dns_message_free (m);
  return 0;
}
