/* nav-share-pake.c: CPace (draft-irtf-cfrg-cpace) on ristretto255, with
 * libsodium's group operations
 *
 * The password is the code's words.  The channel identifier CI is the
 * two DTLS certificate fingerprints the ends see (the sender's, then the
 * receiver's), so the key also authenticates the DTLS channel it runs
 * on: a signaling server or relay that put its own certificates in the
 * middle makes each end compute a different generator, and the key
 * confirmation fails.  Without the password nobody learns more than
 * "wrong" from one run: one online guess per run (CPace §9), and the
 * sender burns its code at the first failure.
 *
 *   generator g = ristretto255_from_hash (SHA-512 (lv (DSI) ‖ lv (PRS) ‖
 *                                        lv (zero pad) ‖ lv (CI) ‖ lv (sid)))
 *   Ya = ya·g (sender, who also picks sid), Yb = yb·g (receiver)
 *   K  = ya·Yb = yb·Ya, refused when it is the identity (§7.2)
 *   ISK = SHA-512 (lv (DSI "_ISK") ‖ lv (sid) ‖ lv (K) ‖ lv (Ya) ‖ lv (Yb))
 *   Tb = HMAC (ISK, "nav-share confirm B" ‖ Ya ‖ Yb ‖ CI), sent with Yb;
 *   Ta = HMAC (ISK, "nav-share confirm A" ‖ Ya ‖ Yb ‖ CI), sent last
 *   (explicit key confirmation, as CPace's initiator-responder variant
 *   with the confirmation of draft §9.4).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <sodium.h>

#include "nav-share-pake.h"

#define DSI "CPaceRistretto255"
/* CPace pads the PRS field to the hash's block (SHA-512: 128 bytes). */
#define HASH_BLOCK 128

struct _NavSharePake
{
  gboolean initiator;
  guint state;                          /* messages seen or made */
  gchar *password;
  GByteArray *ci;
  guint8 sid[NAV_SHARE_PAKE_SID_LEN];
  guint8 g[crypto_core_ristretto255_BYTES];
  guint8 y[crypto_core_ristretto255_SCALARBYTES];
  guint8 own[NAV_SHARE_PAKE_POINT_LEN];
  guint8 peer[NAV_SHARE_PAKE_POINT_LEN];
  guint8 isk[crypto_hash_sha512_BYTES];
  guint8 key[NAV_SHARE_PAKE_KEY_LEN];
  gboolean confirmed;
};

gboolean
nav_share_pake_init (void)
{
  return sodium_init () >= 0;
}

/* A length-value field: the length in LEB128, then the bytes (CPace
 * §5.1's lv_cat). */
static void
lv (crypto_hash_sha512_state *state,
    const void               *data,
    gsize                     len)
{
  guint8 prefix[10];
  gsize n = 0, value = len;

  do
    {
      prefix[n] = value & 0x7f;
      value >>= 7;
      if (value != 0)
        prefix[n] |= 0x80;
      n++;
    }
  while (value != 0);
  crypto_hash_sha512_update (state, prefix, n);
  if (len > 0)
    crypto_hash_sha512_update (state, data, len);
}

static void
make_generator (NavSharePake *self)
{
  static const guint8 zeros[HASH_BLOCK];
  crypto_hash_sha512_state state;
  guint8 hash[crypto_hash_sha512_BYTES];
  gsize prs_len = strlen (self->password);
  /* The pad makes DSI ‖ PRS fill whole blocks (CPace §5.3). */
  gsize used = 1 + strlen (DSI) + 1 + prs_len + 1;
  gsize pad = used % HASH_BLOCK == 0 ? 0 : HASH_BLOCK - used % HASH_BLOCK;

  crypto_hash_sha512_init (&state);
  lv (&state, DSI, strlen (DSI));
  lv (&state, self->password, prs_len);
  lv (&state, zeros, MIN (pad, sizeof zeros));
  lv (&state, self->ci->data, self->ci->len);
  lv (&state, self->sid, sizeof self->sid);
  crypto_hash_sha512_final (&state, hash);
  crypto_core_ristretto255_from_hash (self->g, hash);
  sodium_memzero (hash, sizeof hash);
}

NavSharePake *
nav_share_pake_new (gboolean      initiator,
                    const gchar  *password,
                    const guint8 *channel_id,
                    gsize         channel_id_len)
{
  NavSharePake *self = g_new0 (NavSharePake, 1);

  self->initiator = initiator;
  self->password = g_strdup (password);
  self->ci = g_byte_array_new ();
  g_byte_array_append (self->ci, channel_id, channel_id_len);
  return self;
}

void
nav_share_pake_free (NavSharePake *self)
{
  if (self == NULL)
    return;
  sodium_memzero (self->password, strlen (self->password));
  g_free (self->password);
  g_byte_array_unref (self->ci);
  sodium_memzero (self, sizeof *self);
  g_free (self);
}

/* y random, Y = y·g; libsodium's scalar multiplication refuses the
 * identity. */
static void
make_share (NavSharePake *self)
{
  do
    crypto_core_ristretto255_scalar_random (self->y);
  while (crypto_scalarmult_ristretto255 (self->own, self->y, self->g) != 0);
}

static gboolean
fail (GError    **error,
      const gchar *message)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, message);
  return FALSE;
}

/* K from the peer's share, then ISK and the session key. */
static gboolean
derive (NavSharePake *self,
        GError      **error)
{
  crypto_hash_sha512_state state;
  const guint8 *ya = self->initiator ? self->own : self->peer;
  const guint8 *yb = self->initiator ? self->peer : self->own;
  guint8 k[crypto_scalarmult_ristretto255_BYTES];

  if (!crypto_core_ristretto255_is_valid_point (self->peer) ||
      crypto_scalarmult_ristretto255 (k, self->y, self->peer) != 0)
    return fail (error, _("The peer's PAKE share is not a valid point"));
  crypto_hash_sha512_init (&state);
  lv (&state, DSI "_ISK", strlen (DSI "_ISK"));
  lv (&state, self->sid, sizeof self->sid);
  lv (&state, k, sizeof k);
  lv (&state, ya, NAV_SHARE_PAKE_POINT_LEN);
  lv (&state, yb, NAV_SHARE_PAKE_POINT_LEN);
  crypto_hash_sha512_final (&state, self->isk);
  sodium_memzero (k, sizeof k);
  sodium_memzero (self->y, sizeof self->y);
  crypto_generichash (self->key, sizeof self->key, (const guint8 *) "nav-share session key", 21,
                      self->isk, sizeof self->isk);
  return TRUE;
}

static void
confirmation (NavSharePake *self,
              gboolean      of_initiator,
              guint8        out[NAV_SHARE_PAKE_MAC_LEN])
{
  crypto_auth_hmacsha512256_state state;
  const gchar *label = of_initiator ? "nav-share confirm A" : "nav-share confirm B";
  const guint8 *ya = self->initiator ? self->own : self->peer;
  const guint8 *yb = self->initiator ? self->peer : self->own;

  crypto_auth_hmacsha512256_init (&state, self->isk, sizeof self->isk);
  crypto_auth_hmacsha512256_update (&state, (const guint8 *) label, strlen (label));
  crypto_auth_hmacsha512256_update (&state, ya, NAV_SHARE_PAKE_POINT_LEN);
  crypto_auth_hmacsha512256_update (&state, yb, NAV_SHARE_PAKE_POINT_LEN);
  crypto_auth_hmacsha512256_update (&state, self->ci->data, self->ci->len);
  crypto_auth_hmacsha512256_final (&state, out);
}

void
nav_share_pake_message1 (NavSharePake *self,
                         guint8        out[NAV_SHARE_PAKE_MSG1_LEN])
{
  g_return_if_fail (self->initiator && self->state == 0);
  randombytes_buf (self->sid, sizeof self->sid);
  make_generator (self);
  make_share (self);
  memcpy (out, self->sid, NAV_SHARE_PAKE_SID_LEN);
  memcpy (out + NAV_SHARE_PAKE_SID_LEN, self->own, NAV_SHARE_PAKE_POINT_LEN);
  self->state = 1;
}

gboolean
nav_share_pake_message2 (NavSharePake *self,
                         const guint8 *msg1,
                         gsize         len,
                         guint8        out[NAV_SHARE_PAKE_MSG2_LEN],
                         GError      **error)
{
  g_return_val_if_fail (!self->initiator && self->state == 0, FALSE);
  self->state = 2;
  if (len != NAV_SHARE_PAKE_MSG1_LEN)
    return fail (error, _("The peer's first PAKE message has the wrong length"));
  memcpy (self->sid, msg1, NAV_SHARE_PAKE_SID_LEN);
  memcpy (self->peer, msg1 + NAV_SHARE_PAKE_SID_LEN, NAV_SHARE_PAKE_POINT_LEN);
  make_generator (self);
  make_share (self);
  if (!derive (self, error))
    return FALSE;
  memcpy (out, self->own, NAV_SHARE_PAKE_POINT_LEN);
  confirmation (self, FALSE, out + NAV_SHARE_PAKE_POINT_LEN);
  return TRUE;
}

gboolean
nav_share_pake_message3 (NavSharePake *self,
                         const guint8 *msg2,
                         gsize         len,
                         guint8        out[NAV_SHARE_PAKE_MSG3_LEN],
                         GError      **error)
{
  guint8 expected[NAV_SHARE_PAKE_MAC_LEN];

  g_return_val_if_fail (self->initiator && self->state == 1, FALSE);
  self->state = 3;
  if (len != NAV_SHARE_PAKE_MSG2_LEN)
    return fail (error, _("The peer's PAKE answer has the wrong length"));
  memcpy (self->peer, msg2, NAV_SHARE_PAKE_POINT_LEN);
  if (!derive (self, error))
    return FALSE;
  confirmation (self, FALSE, expected);
  if (sodium_memcmp (expected, msg2 + NAV_SHARE_PAKE_POINT_LEN, sizeof expected) != 0)
    return fail (error, _("Wrong code, or the connection was tampered with (the key confirmation failed)"));
  self->confirmed = TRUE;
  confirmation (self, TRUE, out);
  return TRUE;
}

gboolean
nav_share_pake_finish (NavSharePake *self,
                       const guint8 *msg3,
                       gsize         len,
                       GError      **error)
{
  guint8 expected[NAV_SHARE_PAKE_MAC_LEN];

  g_return_val_if_fail (!self->initiator && self->state == 2, FALSE);
  self->state = 3;
  if (len != NAV_SHARE_PAKE_MSG3_LEN)
    return fail (error, _("The peer's PAKE confirmation has the wrong length"));
  confirmation (self, TRUE, expected);
  if (sodium_memcmp (expected, msg3, sizeof expected) != 0)
    return fail (error, _("Wrong code, or the connection was tampered with (the key confirmation failed)"));
  self->confirmed = TRUE;
  return TRUE;
}

/* The session key, once confirmed; NULL before. */
const guint8 *
nav_share_pake_get_key (NavSharePake *self)
{
  return self->confirmed ? self->key : NULL;
}
