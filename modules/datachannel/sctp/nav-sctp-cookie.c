/* nav-sctp-cookie.c: the state cookie (RFC 9260 §5.1.3)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The side that answers an INIT keeps no state: everything it needs to
 * build the association travels in the cookie of its INIT ACK and comes
 * back in the COOKIE ECHO, signed with HMAC-SHA256 under a secret of this
 * association, so that no one else can forge or alter it.  The creation
 * time bounds its life (Valid.Cookie.Life).
 */
#include "config.h"

#include "nav-sctp-private.h"

#include <nettle/hmac.h>

#define COOKIE_VERSION 1
#define COOKIE_FIELDS 44

static void
cookie_mac (NavSctpAssociation *a,
            const guint8       *fields,
            guint8             *out)
{
  struct hmac_sha256_ctx ctx;

  hmac_sha256_set_key (&ctx, sizeof a->secret, a->secret);
  hmac_sha256_update (&ctx, COOKIE_FIELDS, fields);
  hmac_sha256_digest (&ctx, SHA256_DIGEST_SIZE, out);
}

void
nav_sctp_cookie_write (NavSctpAssociation  *a,
                       const NavSctpCookie *c,
                       guint8              *out)
{
  G_STATIC_ASSERT (COOKIE_FIELDS + SHA256_DIGEST_SIZE == NAV_SCTP_COOKIE_SIZE);

  out[0] = COOKIE_VERSION;
  out[1] = c->caps;
  out[2] = out[3] = 0;
  nav_sctp_put32 (out + 4, (guint32) ((guint64) c->created_at >> 32));
  nav_sctp_put32 (out + 8, (guint32) c->created_at);
  nav_sctp_put32 (out + 12, c->local_tag);
  nav_sctp_put32 (out + 16, c->peer_tag);
  nav_sctp_put32 (out + 20, c->local_initial_tsn);
  nav_sctp_put32 (out + 24, c->peer_initial_tsn);
  nav_sctp_put32 (out + 28, c->peer_a_rwnd);
  nav_sctp_put16 (out + 32, c->out_streams);
  nav_sctp_put16 (out + 34, c->in_streams);
  nav_sctp_put32 (out + 36, c->tie_local);
  nav_sctp_put32 (out + 40, c->tie_peer);
  cookie_mac (a, out, out + COOKIE_FIELDS);
}

gboolean
nav_sctp_cookie_read (NavSctpAssociation *a,
                      const guint8       *data,
                      gsize               len,
                      NavSctpCookie      *c)
{
  guint8 mac[SHA256_DIGEST_SIZE];
  guint8 diff = 0;

  if (len != NAV_SCTP_COOKIE_SIZE || data[0] != COOKIE_VERSION)
    return FALSE;
  cookie_mac (a, data, mac);
  /* Constant time: the comparison tells nothing about the secret. */
  for (guint i = 0; i < SHA256_DIGEST_SIZE; i++)
    diff |= mac[i] ^ data[COOKIE_FIELDS + i];
  if (diff != 0)
    return FALSE;
  c->caps = data[1];
  c->created_at = (gint64) (((guint64) nav_sctp_get32 (data + 4) << 32) | nav_sctp_get32 (data + 8));
  c->local_tag = nav_sctp_get32 (data + 12);
  c->peer_tag = nav_sctp_get32 (data + 16);
  c->local_initial_tsn = nav_sctp_get32 (data + 20);
  c->peer_initial_tsn = nav_sctp_get32 (data + 24);
  c->peer_a_rwnd = nav_sctp_get32 (data + 28);
  c->out_streams = nav_sctp_get16 (data + 32);
  c->in_streams = nav_sctp_get16 (data + 34);
  c->tie_local = nav_sctp_get32 (data + 36);
  c->tie_peer = nav_sctp_get32 (data + 40);
  return TRUE;
}
