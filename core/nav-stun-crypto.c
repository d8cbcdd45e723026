/* nav-stun-crypto.c: STUN message integrity, fingerprint and credentials
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <errno.h>
#include <sys/random.h>
#include <nettle/hmac.h>
#include <nettle/md5.h>
#include <nettle/memops.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#include <zlib.h>
#include <glib/gi18n-lib.h>

#include "netavanue/netavanue.h"
#include "nav-stun-private.h"

/* The hashes come from nettle (GnuTLS's own engine): its context structs
 * live on the stack, so the per-message path allocates nothing. */

guint32
nav_stun_crc32 (const guint8 *data,
                gsize         length)
{
  uLong crc = crc32 (0L, Z_NULL, 0);

  /* zlib takes a uInt length; a STUN message is far shorter. */
  while (length > 0)
    {
      uInt chunk = (uInt) MIN (length, (gsize) G_MAXUINT32);

      crc = crc32 (crc, data, chunk);
      data += chunk;
      length -= chunk;
    }
  return (guint32) crc;
}

/* The HMACs of message integrity cover a header whose length field is
 * not the one in the message (RFC 8489 §14.5, §14.6), so the header is
 * passed separately from the rest. */
void
nav_stun_hmac_sha1 (const guint8 *key,
                    gsize         key_length,
                    const guint8 *header,
                    const guint8 *body,
                    gsize         body_length,
                    guint8       *digest)
{
  struct hmac_sha1_ctx ctx;

  hmac_sha1_set_key (&ctx, key_length, key);
  hmac_sha1_update (&ctx, NAV_STUN_HEADER_LENGTH, header);
  hmac_sha1_update (&ctx, body_length, body);
  hmac_sha1_digest (&ctx, SHA1_DIGEST_SIZE, digest);
}

void
nav_stun_hmac_sha256 (const guint8 *key,
                      gsize         key_length,
                      const guint8 *header,
                      const guint8 *body,
                      gsize         body_length,
                      guint8       *digest)
{
  struct hmac_sha256_ctx ctx;

  hmac_sha256_set_key (&ctx, key_length, key);
  hmac_sha256_update (&ctx, NAV_STUN_HEADER_LENGTH, header);
  hmac_sha256_update (&ctx, body_length, body);
  hmac_sha256_digest (&ctx, SHA256_DIGEST_SIZE, digest);
}

gboolean
nav_stun_memeq_secure (const guint8 *a,
                       const guint8 *b,
                       gsize         length)
{
  return nettle_memeql_sec (a, b, length) != 0;
}

/* Transaction ids must be uniformly random (RFC 8489 §5) and a server's
 * nonces unpredictable: the kernel's CSPRNG.  The core deliberately does not
 * link GnuTLS (its p11-kit destructor deadlocks instrumented programs at exit,
 * the introspection dumper among them); TLS goes through GIO. */
gboolean
nav_stun_random_nonce (guint8 *buffer,
                       gsize   length)
{
  gsize done = 0;

  while (done < length)
    {
      gssize n = getrandom (buffer + done, length - done, 0);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      done += n;
    }
  return TRUE;
}

/**
 * nav_stun_compute_fingerprint:
 * @data: (array length=length): the bytes of a message up to, not
 *   including, its FINGERPRINT attribute
 * @length: the size of @data
 *
 * Computes a FINGERPRINT value: the CRC-32 of @data XOR 0x5354554E
 * (RFC 8489 §14.7).  The length field in @data must already count the
 * FINGERPRINT attribute.
 *
 * Returns: the FINGERPRINT value, in host byte order
 *
 * Since: 1.0
 */
guint32
nav_stun_compute_fingerprint (const guint8 *data,
                              gsize         length)
{
  g_return_val_if_fail (data != NULL || length == 0, 0);

  return nav_stun_crc32 (data, length) ^ NAV_STUN_FINGERPRINT_XOR;
}

static gboolean
nav_stun_check_mac (const NavStunMessage *message,
                    guint32               offset,
                    const guint8         *key,
                    gsize                 key_length,
                    gboolean              sha256)
{
  guint8 header[NAV_STUN_HEADER_LENGTH];
  guint8 digest[SHA256_DIGEST_SIZE];
  guint16 mac_length = nav_stun_read16 (message->data + offset + 2);

  /* The length field counts everything up to and including this
   * attribute, as if it were the last one (RFC 8489 §14.5, §14.6). */
  memcpy (header, message->data, NAV_STUN_HEADER_LENGTH);
  nav_stun_write16 (header + 2, (guint16) (offset + 4 + mac_length -
                                           NAV_STUN_HEADER_LENGTH));
  if (sha256)
    nav_stun_hmac_sha256 (key, key_length, header,
                          message->data + NAV_STUN_HEADER_LENGTH,
                          offset - NAV_STUN_HEADER_LENGTH, digest);
  else
    nav_stun_hmac_sha1 (key, key_length, header,
                        message->data + NAV_STUN_HEADER_LENGTH,
                        offset - NAV_STUN_HEADER_LENGTH, digest);
  return nav_stun_memeq_secure (digest, message->data + offset + 4,
                                mac_length);
}

/**
 * nav_stun_message_check_integrity:
 * @message: a message
 * @key: (array length=key_length): the key: from
 *   [func@Nav.stun_derive_short_term_key] or
 *   [func@Nav.stun_derive_long_term_key]
 * @key_length: the size of @key
 * @error: return location for a #GError
 *
 * Checks the message integrity of @message with @key: MESSAGE-INTEGRITY
 * (HMAC-SHA1, RFC 8489 §14.5) and MESSAGE-INTEGRITY-SHA256 (HMAC-SHA256,
 * possibly truncated, §14.6), each one that is present.  The comparison
 * takes the same time wherever the HMACs differ.
 *
 * Returns: %TRUE when every integrity attribute matches, or %FALSE with
 *   %NAV_STUN_ERROR_NO_INTEGRITY or %NAV_STUN_ERROR_INTEGRITY_FAILED
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_check_integrity (const NavStunMessage  *message,
                                  const guint8          *key,
                                  gsize                  key_length,
                                  GError               **error)
{
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (key != NULL || key_length == 0, FALSE);

  if (message->integrity_offset == 0 && message->integrity_sha256_offset == 0)
    {
      g_set_error_literal (error, NAV_STUN_ERROR, NAV_STUN_ERROR_NO_INTEGRITY,
                           _("The message has no message integrity"));
      return FALSE;
    }
  if ((message->integrity_sha256_offset != 0 &&
       !nav_stun_check_mac (message, message->integrity_sha256_offset,
                            key, key_length, TRUE)) ||
      (message->integrity_offset != 0 &&
       !nav_stun_check_mac (message, message->integrity_offset,
                            key, key_length, FALSE)))
    {
      g_set_error_literal (error, NAV_STUN_ERROR,
                           NAV_STUN_ERROR_INTEGRITY_FAILED,
                           _("Message integrity check failed"));
      return FALSE;
    }
  return TRUE;
}

/**
 * nav_stun_message_builder_add_message_integrity:
 * @builder: a builder
 * @key: (array length=key_length): the key
 * @key_length: the size of @key
 * @error: return location for a #GError
 *
 * Appends MESSAGE-INTEGRITY: the HMAC-SHA1 of the message so far, with
 * the length field counting the MESSAGE-INTEGRITY attribute
 * (RFC 8489 §14.5).  Only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT may be
 * added afterwards.
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_BAD_STATE or
 *   %NAV_STUN_ERROR_TOO_LARGE
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_message_integrity (NavStunMessageBuilder  *builder,
                                                const guint8           *key,
                                                gsize                   key_length,
                                                GError                **error)
{
  guint8 *p;
  gsize offset;

  g_return_val_if_fail (builder != NULL, FALSE);
  g_return_val_if_fail (key != NULL || key_length == 0, FALSE);

  if (!nav_stun_message_builder_check_open (builder, error))
    return FALSE;
  p = nav_stun_message_builder_reserve (builder,
                                        NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
                                        NAV_STUN_MESSAGE_INTEGRITY_LENGTH,
                                        error);
  if (p == NULL)
    return FALSE;
  /* The length field already counts this attribute. */
  offset = (gsize) (p - builder->buffer) - NAV_STUN_ATTRIBUTE_HEADER_LENGTH;
  nav_stun_hmac_sha1 (key, key_length, builder->buffer,
                      builder->buffer + NAV_STUN_HEADER_LENGTH,
                      offset - NAV_STUN_HEADER_LENGTH, p);
  builder->state = NAV_STUN_BUILDER_AFTER_INTEGRITY;
  return TRUE;
}

/**
 * nav_stun_message_builder_add_message_integrity_sha256:
 * @builder: a builder
 * @key: (array length=key_length): the key
 * @key_length: the size of @key
 * @mac_length: how many bytes of the HMAC to send: 16 to 32, a multiple
 *   of 4, or 0 for all 32
 * @error: return location for a #GError
 *
 * Appends MESSAGE-INTEGRITY-SHA256: the HMAC-SHA256 of the message so far
 * (MESSAGE-INTEGRITY included, if any), with the length field counting
 * this attribute, truncated to @mac_length bytes (RFC 8489 §14.6).  Only
 * FINGERPRINT may be added afterwards.
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE,
 *   %NAV_STUN_ERROR_BAD_STATE or %NAV_STUN_ERROR_TOO_LARGE
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_message_integrity_sha256 (NavStunMessageBuilder  *builder,
                                                       const guint8           *key,
                                                       gsize                   key_length,
                                                       gsize                   mac_length,
                                                       GError                **error)
{
  guint8 digest[SHA256_DIGEST_SIZE];
  guint8 *p;
  gsize offset;

  g_return_val_if_fail (builder != NULL, FALSE);
  g_return_val_if_fail (key != NULL || key_length == 0, FALSE);

  if (mac_length == 0)
    mac_length = NAV_STUN_MESSAGE_INTEGRITY_SHA256_LENGTH;
  if (mac_length < 16 || mac_length > 32 || (mac_length & 3) != 0)
    return nav_stun_message_builder_fail (builder, error,
                                          NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE,
                                          _("MESSAGE-INTEGRITY-SHA256 cannot "
                                            "have %lu bytes"),
                                          (gulong) mac_length);
  if (builder->state != NAV_STUN_BUILDER_OPEN &&
      builder->state != NAV_STUN_BUILDER_AFTER_INTEGRITY)
    return nav_stun_message_builder_fail (builder, error,
                                          NAV_STUN_ERROR_BAD_STATE,
                                          _("MESSAGE-INTEGRITY-SHA256 cannot "
                                            "be added now"));
  p = nav_stun_message_builder_reserve (builder,
                                        NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256,
                                        mac_length, error);
  if (p == NULL)
    return FALSE;
  offset = (gsize) (p - builder->buffer) - NAV_STUN_ATTRIBUTE_HEADER_LENGTH;
  nav_stun_hmac_sha256 (key, key_length, builder->buffer,
                        builder->buffer + NAV_STUN_HEADER_LENGTH,
                        offset - NAV_STUN_HEADER_LENGTH, digest);
  memcpy (p, digest, mac_length);
  builder->state = NAV_STUN_BUILDER_AFTER_INTEGRITY_SHA256;
  return TRUE;
}

/**
 * nav_stun_message_builder_add_fingerprint:
 * @builder: a builder
 * @error: return location for a #GError
 *
 * Appends FINGERPRINT, the last attribute (RFC 8489 §14.7).
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_BAD_STATE or
 *   %NAV_STUN_ERROR_TOO_LARGE
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_fingerprint (NavStunMessageBuilder  *builder,
                                          GError                **error)
{
  guint8 *p;
  gsize offset;

  g_return_val_if_fail (builder != NULL, FALSE);

  if (builder->state == NAV_STUN_BUILDER_AFTER_FINGERPRINT ||
      builder->state == NAV_STUN_BUILDER_FINISHED)
    return nav_stun_message_builder_fail (builder, error,
                                          NAV_STUN_ERROR_BAD_STATE,
                                          _("FINGERPRINT cannot be added now"));
  p = nav_stun_message_builder_reserve (builder, NAV_STUN_ATTRIBUTE_FINGERPRINT,
                                        4, error);
  if (p == NULL)
    return FALSE;
  offset = (gsize) (p - builder->buffer) - NAV_STUN_ATTRIBUTE_HEADER_LENGTH;
  nav_stun_write32 (p, nav_stun_compute_fingerprint (builder->buffer, offset));
  builder->state = NAV_STUN_BUILDER_AFTER_FINGERPRINT;
  return TRUE;
}

/* OpaqueString (RFC 8265 §4.2), the subset documented below.  The
 * FreeformClass (RFC 8264 §4.3) allows letters, marks, digits, other
 * numbers, punctuation, symbols and spaces; it disallows controls, format
 * characters, private use, surrogates, unassigned code points and the
 * line and paragraph separators. */
static gboolean
nav_stun_opaque_char_allowed (gunichar c)
{
  if (c >= 0x21 && c <= 0x7E)
    return TRUE;
  switch (g_unichar_type (c))
    {
    case G_UNICODE_CONTROL:
    case G_UNICODE_FORMAT:
    case G_UNICODE_UNASSIGNED:
    case G_UNICODE_PRIVATE_USE:
    case G_UNICODE_SURROGATE:
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
      return FALSE;
    default:
      return TRUE;
    }
}

/**
 * nav_stun_prepare_opaque_string:
 * @string: a username, realm or password
 * @error: return location for a #GError
 *
 * Prepares a string with the OpaqueString profile of PRECIS
 * (RFC 8265 §4.2), as RFC 8489 requires for usernames, realms and
 * passwords.  This implements the profile as follows:
 *
 * - the string must be valid UTF-8;
 * - width mapping: none (the profile has none);
 * - additional mapping: every non-ASCII space (general category Zs) is
 *   mapped to U+0020 SPACE;
 * - case mapping: none (the profile has none);
 * - normalization: NFC;
 * - the result must only hold characters the FreeformClass allows:
 *   control characters (Cc), format characters (Cf, including the
 *   CONTEXTJ joiners, which are never allowed here), private-use (Co) and
 *   unassigned code points (Cn, per GLib's Unicode version), and the line
 *   and paragraph separators are rejected.  The Old Hangul Jamo and
 *   directionality rules are not checked;
 * - the result must not be empty.
 *
 * Unlike SASLprep (RFC 4013, used by RFC 5389), OpaqueString neither
 * deletes soft hyphens nor applies compatibility (NFKC) normalization.
 *
 * Returns: (transfer full) (nullable): the prepared string, or %NULL with
 *   %NAV_STUN_ERROR_INVALID_STRING
 *
 * Since: 1.0
 */
gchar *
nav_stun_prepare_opaque_string (const gchar  *string,
                                GError      **error)
{
  g_autoptr (GString) mapped = NULL;
  g_autofree gchar *normalized = NULL;
  const gchar *p;

  g_return_val_if_fail (string != NULL, NULL);

  if (!g_utf8_validate (string, -1, NULL))
    {
      g_set_error_literal (error, NAV_STUN_ERROR,
                           NAV_STUN_ERROR_INVALID_STRING,
                           _("The string is not valid UTF-8"));
      return NULL;
    }

  mapped = g_string_sized_new (strlen (string));
  for (p = string; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c > 0x7F && g_unichar_type (c) == G_UNICODE_SPACE_SEPARATOR)
        c = ' ';
      g_string_append_unichar (mapped, c);
    }

  normalized = g_utf8_normalize (mapped->str, mapped->len, G_NORMALIZE_NFC);
  if (normalized == NULL || normalized[0] == '\0')
    {
      g_set_error_literal (error, NAV_STUN_ERROR,
                           NAV_STUN_ERROR_INVALID_STRING,
                           _("The string is empty"));
      return NULL;
    }
  for (p = normalized; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c != ' ' && !nav_stun_opaque_char_allowed (c))
        {
          g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_INVALID_STRING,
                       _("The string holds the disallowed character U+%04X"),
                       c);
          return NULL;
        }
    }
  return g_steal_pointer (&normalized);
}

/**
 * nav_stun_derive_short_term_key:
 * @password: the password
 * @error: return location for a #GError
 *
 * Derives the key of the short-term credential mechanism:
 * OpaqueString(password) (RFC 8489 §9.1.1).
 *
 * Returns: (transfer full) (nullable): the key, or %NULL with
 *   %NAV_STUN_ERROR_INVALID_STRING
 *
 * Since: 1.0
 */
GBytes *
nav_stun_derive_short_term_key (const gchar  *password,
                                GError      **error)
{
  gchar *prepared;

  g_return_val_if_fail (password != NULL, NULL);

  prepared = nav_stun_prepare_opaque_string (password, error);
  if (prepared == NULL)
    return NULL;
  return g_bytes_new_take (prepared, strlen (prepared));
}

/**
 * nav_stun_derive_long_term_key:
 * @username: the username, as in USERNAME (already prepared with
 *   OpaqueString when it was chosen)
 * @realm: the realm, as in REALM
 * @password: the password
 * @algorithm: the password algorithm
 * @error: return location for a #GError
 *
 * Derives the key of the long-term credential mechanism
 * (RFC 8489 §9.2.2): H(username ":" OpaqueString(realm) ":"
 * OpaqueString(password)), where H is MD5 (16 bytes) or SHA-256
 * (32 bytes) after @algorithm.  With MD5 this is also the key of
 * RFC 5389.
 *
 * Returns: (transfer full) (nullable): the key, or %NULL with
 *   %NAV_STUN_ERROR_INVALID_STRING or
 *   %NAV_STUN_ERROR_UNSUPPORTED_ALGORITHM
 *
 * Since: 1.0
 */
GBytes *
nav_stun_derive_long_term_key (const gchar               *username,
                               const gchar               *realm,
                               const gchar               *password,
                               NavStunPasswordAlgorithm   algorithm,
                               GError                   **error)
{
  g_autofree gchar *prepared_realm = NULL;
  g_autofree gchar *prepared_password = NULL;
  g_autofree gchar *input = NULL;
  guint8 digest[SHA256_DIGEST_SIZE];
  gsize length;

  g_return_val_if_fail (username != NULL, NULL);
  g_return_val_if_fail (realm != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);

  if (algorithm != NAV_STUN_PASSWORD_ALGORITHM_MD5 &&
      algorithm != NAV_STUN_PASSWORD_ALGORITHM_SHA256)
    {
      g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_UNSUPPORTED_ALGORITHM,
                   _("Unsupported password algorithm 0x%04x"), algorithm);
      return NULL;
    }
  if (!g_utf8_validate (username, -1, NULL))
    {
      g_set_error_literal (error, NAV_STUN_ERROR,
                           NAV_STUN_ERROR_INVALID_STRING,
                           _("The username is not valid UTF-8"));
      return NULL;
    }
  prepared_realm = nav_stun_prepare_opaque_string (realm, error);
  if (prepared_realm == NULL)
    return NULL;
  prepared_password = nav_stun_prepare_opaque_string (password, error);
  if (prepared_password == NULL)
    return NULL;

  input = g_strconcat (username, ":", prepared_realm, ":", prepared_password,
                       NULL);
  length = strlen (input);
  if (algorithm == NAV_STUN_PASSWORD_ALGORITHM_MD5)
    {
      struct md5_ctx ctx;

      md5_init (&ctx);
      md5_update (&ctx, length, (const guint8 *) input);
      md5_digest (&ctx, MD5_DIGEST_SIZE, digest);
      length = MD5_DIGEST_SIZE;
    }
  else
    {
      struct sha256_ctx ctx;

      sha256_init (&ctx);
      sha256_update (&ctx, length, (const guint8 *) input);
      sha256_digest (&ctx, SHA256_DIGEST_SIZE, digest);
      length = SHA256_DIGEST_SIZE;
    }
  /* The input holds the password: do not leave it in freed memory. */
  memset (input, 0, strlen (input));
  memset (prepared_password, 0, strlen (prepared_password));
  return g_bytes_new (digest, length);
}

/**
 * nav_stun_compute_userhash:
 * @username: the username
 * @realm: the realm
 * @error: return location for a #GError
 *
 * Computes the USERHASH of a username (RFC 8489 §14.4):
 * SHA-256(OpaqueString(username) ":" OpaqueString(realm)).
 *
 * Returns: (transfer full) (nullable): the 32-byte hash, or %NULL with
 *   %NAV_STUN_ERROR_INVALID_STRING
 *
 * Since: 1.0
 */
GBytes *
nav_stun_compute_userhash (const gchar  *username,
                           const gchar  *realm,
                           GError      **error)
{
  g_autofree gchar *prepared_username = NULL;
  g_autofree gchar *prepared_realm = NULL;
  struct sha256_ctx ctx;
  guint8 digest[SHA256_DIGEST_SIZE];

  g_return_val_if_fail (username != NULL, NULL);
  g_return_val_if_fail (realm != NULL, NULL);

  prepared_username = nav_stun_prepare_opaque_string (username, error);
  if (prepared_username == NULL)
    return NULL;
  prepared_realm = nav_stun_prepare_opaque_string (realm, error);
  if (prepared_realm == NULL)
    return NULL;

  sha256_init (&ctx);
  sha256_update (&ctx, strlen (prepared_username),
                 (const guint8 *) prepared_username);
  sha256_update (&ctx, 1, (const guint8 *) ":");
  sha256_update (&ctx, strlen (prepared_realm),
                 (const guint8 *) prepared_realm);
  sha256_digest (&ctx, SHA256_DIGEST_SIZE, digest);
  return g_bytes_new (digest, sizeof digest);
}
