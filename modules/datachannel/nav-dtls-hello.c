/* nav-dtls-hello.c: what we read in the peer's DTLS hello
 *
 * GnuTLS parses the hellos; we look at one extension it keeps to
 * itself, RFC 8449's record_size_limit: a peer that sends it says how
 * large a record it takes, and the data channel transport sizes its
 * packets by it.  Bytes from the network: every length is checked.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-dtls-hello.h"

#define EXTENSION_RECORD_SIZE_LIMIT 28

/* Skips a vector whose length takes @width bytes; FALSE past the end. */
static gboolean
skip_vector (const guint8 *p,
             gsize         len,
             gsize        *at,
             guint         width)
{
  gsize n;

  if (*at + width > len)
    return FALSE;
  n = width == 1 ? p[*at] : (gsize) ((p[*at] << 8) | p[*at + 1]);
  *at += width + n;
  return *at <= len;
}

guint
nav_dtls_hello_record_size_limit (const guint8 *p,
                                  gsize         len,
                                  gboolean      client_hello)
{
  /* RFC 6347 §4.2.1, RFC 5246 §7.4.1.2 and §7.4.1.3: version and
   * random; the session id; a ClientHello's cookie, suites and
   * compression methods, a ServerHello's suite and method; then the
   * extensions. */
  gsize at = 2 + 32, end;

  if (p == NULL || at > len || !skip_vector (p, len, &at, 1))
    return 0;
  if (client_hello)
    {
      if (!skip_vector (p, len, &at, 1) || !skip_vector (p, len, &at, 2) ||
          !skip_vector (p, len, &at, 1))
        return 0;
    }
  else if ((at += 3) > len)
    return 0;
  if (at + 2 > len)
    return 0;
  end = at + 2 + ((p[at] << 8) | p[at + 1]);
  at += 2;
  if (end > len)
    return 0;
  while (at + 4 <= end)
    {
      guint type = (p[at] << 8) | p[at + 1];
      gsize size = (p[at + 2] << 8) | p[at + 3];

      at += 4;
      if (at + size > end)
        return 0;
      /* §4: at least 64; a larger value than a record holds means a
       * record's worth. */
      if (type == EXTENSION_RECORD_SIZE_LIMIT)
        return size == 2 && ((p[at] << 8) | p[at + 1]) >= 64 ? (guint) ((p[at] << 8) | p[at + 1]) : 0;
      at += size;
    }
  return 0;
}
