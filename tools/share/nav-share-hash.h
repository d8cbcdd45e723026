/* nav-share-hash.h: SHA-256 of the files nav-share moves, through
 * nettle (SHA-NI where the CPU has it: GLib's GChecksum took most of a
 * transfer's CPU)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <nettle/sha2.h>

G_BEGIN_DECLS

typedef struct sha256_ctx NavShareHash;

#define NAV_SHARE_HASH_HEX_LEN (2 * SHA256_DIGEST_SIZE + 1)

static inline void
nav_share_hash_init (NavShareHash *self)
{
  sha256_init (self);
}

static inline void
nav_share_hash_update (NavShareHash *self,
                       const void   *data,
                       gsize         len)
{
  sha256_update (self, len, data);
}

/* The hex digest so far; the hash goes on (a copy is finished). */
static inline void
nav_share_hash_hex (const NavShareHash *self,
                    gchar               out[NAV_SHARE_HASH_HEX_LEN])
{
  NavShareHash copy = *self;
  guint8 digest[SHA256_DIGEST_SIZE];
  guint i;

  sha256_digest (&copy, sizeof digest, digest);
  for (i = 0; i < sizeof digest; i++)
    g_snprintf (out + 2 * i, 3, "%02x", digest[i]);
}

G_END_DECLS
