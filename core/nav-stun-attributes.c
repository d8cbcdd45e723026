/* nav-stun-attributes.c: STUN attribute values, read and written
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Over 1,500 lines because it is one reader and one writer per attribute
 * type of RFC 8489, 8656, 6062, 6156, 5780, 8445 and 7675 (80 functions),
 * each with the gi-docgen comment that documents the attribute (about 900
 * of the lines): a table of small functions that reads best in one place.
 * The message itself (header, walk, integrity) is in nav-stun-message.c
 * and the keys in nav-stun-crypto.c.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "netavanue/netavanue.h"
#include "nav-stun-private.h"

/* The comprehension-required types (below 0x8000) this codec knows; any
 * other one makes a request get a 420 answer (RFC 8489 §6.3.1.1).  The
 * RFC 3489 types RFC 8489 §18.3.1 retired (RESPONSE-ADDRESS,
 * SOURCE-ADDRESS, CHANGED-ADDRESS, PASSWORD, REFLECTED-FROM) are
 * deliberately unknown. */
gboolean
nav_stun_attribute_type_is_known (guint16 type)
{
  switch (type)
    {
    case NAV_STUN_ATTRIBUTE_MAPPED_ADDRESS:
    case NAV_STUN_ATTRIBUTE_CHANGE_REQUEST:
    case NAV_STUN_ATTRIBUTE_USERNAME:
    case NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY:
    case NAV_STUN_ATTRIBUTE_ERROR_CODE:
    case NAV_STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES:
    case NAV_STUN_ATTRIBUTE_CHANNEL_NUMBER:
    case NAV_STUN_ATTRIBUTE_LIFETIME:
    case NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS:
    case NAV_STUN_ATTRIBUTE_DATA:
    case NAV_STUN_ATTRIBUTE_REALM:
    case NAV_STUN_ATTRIBUTE_NONCE:
    case NAV_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS:
    case NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY:
    case NAV_STUN_ATTRIBUTE_EVEN_PORT:
    case NAV_STUN_ATTRIBUTE_REQUESTED_TRANSPORT:
    case NAV_STUN_ATTRIBUTE_DONT_FRAGMENT:
    case NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256:
    case NAV_STUN_ATTRIBUTE_PASSWORD_ALGORITHM:
    case NAV_STUN_ATTRIBUTE_USERHASH:
    case NAV_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS:
    case NAV_STUN_ATTRIBUTE_RESERVATION_TOKEN:
    case NAV_STUN_ATTRIBUTE_PRIORITY:
    case NAV_STUN_ATTRIBUTE_USE_CANDIDATE:
    case NAV_STUN_ATTRIBUTE_PADDING:
    case NAV_STUN_ATTRIBUTE_RESPONSE_PORT:
    case NAV_STUN_ATTRIBUTE_CONNECTION_ID:
      return TRUE;
    default:
      return FALSE;
    }
}

/**
 * nav_stun_error_code_get_reason:
 * @code: a STUN error code, such as a [enum@Nav.StunErrorCode]
 *
 * Gets the reason phrase the RFCs suggest for an error code, for the
 * ERROR-CODE of error responses.
 *
 * Returns: (transfer none): the reason phrase, "Unknown Error" for an
 *   unknown code
 *
 * Since: 1.0
 */
const gchar *
nav_stun_error_code_get_reason (guint code)
{
  switch (code)
    {
    case NAV_STUN_ERROR_CODE_TRY_ALTERNATE: return "Try Alternate";
    case NAV_STUN_ERROR_CODE_BAD_REQUEST: return "Bad Request";
    case NAV_STUN_ERROR_CODE_UNAUTHENTICATED: return "Unauthenticated";
    case NAV_STUN_ERROR_CODE_FORBIDDEN: return "Forbidden";
    case NAV_STUN_ERROR_CODE_MOBILITY_FORBIDDEN: return "Mobility Forbidden";
    case NAV_STUN_ERROR_CODE_UNKNOWN_ATTRIBUTE: return "Unknown Attribute";
    case NAV_STUN_ERROR_CODE_ALLOCATION_MISMATCH: return "Allocation Mismatch";
    case NAV_STUN_ERROR_CODE_STALE_NONCE: return "Stale Nonce";
    case NAV_STUN_ERROR_CODE_ADDRESS_FAMILY_NOT_SUPPORTED:
      return "Address Family not Supported";
    case NAV_STUN_ERROR_CODE_WRONG_CREDENTIALS: return "Wrong Credentials";
    case NAV_STUN_ERROR_CODE_UNSUPPORTED_TRANSPORT_PROTOCOL:
      return "Unsupported Transport Protocol";
    case NAV_STUN_ERROR_CODE_PEER_ADDRESS_FAMILY_MISMATCH:
      return "Peer Address Family Mismatch";
    case NAV_STUN_ERROR_CODE_CONNECTION_ALREADY_EXISTS:
      return "Connection Already Exists";
    case NAV_STUN_ERROR_CODE_CONNECTION_TIMEOUT_OR_FAILURE:
      return "Connection Timeout or Failure";
    case NAV_STUN_ERROR_CODE_ALLOCATION_QUOTA_REACHED:
      return "Allocation Quota Reached";
    case NAV_STUN_ERROR_CODE_ROLE_CONFLICT: return "Role Conflict";
    case NAV_STUN_ERROR_CODE_SERVER_ERROR: return "Server Error";
    case NAV_STUN_ERROR_CODE_INSUFFICIENT_CAPACITY:
      return "Insufficient Capacity";
    default: return "Unknown Error";
    }
}

/* String limits.  RFC 8489 §14.3 allows USERNAME fewer than 509 bytes;
 * RFC 5389 allowed fewer than 513, which is accepted on receipt.  REALM,
 * NONCE, SOFTWARE and reason phrases hold fewer than 128 characters, in
 * at most 763 bytes (§14.8–§14.10, §14.14); ALTERNATE-DOMAIN at most 255
 * bytes (§14.16). */
#define NAV_STUN_TEXT_MAX_CHARS 127
#define NAV_STUN_TEXT_MAX_BYTES 763

static void
nav_stun_string_limits (guint16   type,
                        gboolean  building,
                        gsize    *max_bytes,
                        glong    *max_chars)
{
  *max_chars = G_MAXLONG;
  switch (type)
    {
    case NAV_STUN_ATTRIBUTE_USERNAME:
      *max_bytes = building ? 508 : 512;
      break;
    case NAV_STUN_ATTRIBUTE_REALM:
    case NAV_STUN_ATTRIBUTE_NONCE:
    case NAV_STUN_ATTRIBUTE_SOFTWARE:
      *max_bytes = NAV_STUN_TEXT_MAX_BYTES;
      *max_chars = NAV_STUN_TEXT_MAX_CHARS;
      break;
    case NAV_STUN_ATTRIBUTE_ALTERNATE_DOMAIN:
      *max_bytes = 255;
      break;
    default:
      *max_bytes = G_MAXUINT16;
      break;
    }
}

/* Checks UTF-8 and the limits; no allocation. */
static gboolean
nav_stun_check_text (const gchar  *text,
                     gsize         length,
                     gsize         max_bytes,
                     glong         max_chars,
                     guint16       type,
                     GError      **error)
{
  if (length > max_bytes)
    {
      g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE,
                   _("Attribute 0x%04x: %lu bytes is over the limit of %lu"),
                   type, (gulong) length, (gulong) max_bytes);
      return FALSE;
    }
  if (!g_utf8_validate_len (text, length, NULL))
    {
      g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE,
                   _("Attribute 0x%04x is not valid UTF-8"), type);
      return FALSE;
    }
  if (max_chars != G_MAXLONG && g_utf8_strlen (text, length) > max_chars)
    {
      g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE,
                   _("Attribute 0x%04x has more than %ld characters"),
                   type, max_chars);
      return FALSE;
    }
  return TRUE;
}

static const guint8 *
nav_stun_get_value (const NavStunMessage  *message,
                    guint16                type,
                    gsize                  min_length,
                    gsize                  max_length,
                    gsize                 *length,
                    GError               **error)
{
  const NavStunAttributeEntry *e;

  e = nav_stun_message_find_entry (message, type, error);
  if (e == NULL)
    return NULL;
  if (e->length < min_length || e->length > max_length)
    {
      g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE,
                   _("Attribute 0x%04x has a bad length (%u bytes)"),
                   type, e->length);
      return NULL;
    }
  if (length != NULL)
    *length = e->length;
  return message->data + e->offset;
}

/**
 * nav_stun_message_get_uint32:
 * @message: a message
 * @type: an attribute type whose value is a 32-bit number, such as
 *   PRIORITY, LIFETIME or CONNECTION-ID
 * @value: (out): return location for the value
 * @error: return location for a #GError
 *
 * Reads the first attribute of type @type as a 32-bit number in network
 * byte order.
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE (not 4 bytes)
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_uint32 (const NavStunMessage  *message,
                             guint16                type,
                             guint32               *value,
                             GError               **error)
{
  const guint8 *v;

  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  v = nav_stun_get_value (message, type, 4, 4, NULL, error);
  if (v == NULL)
    return FALSE;
  *value = nav_stun_read32 (v);
  return TRUE;
}

/**
 * nav_stun_message_get_uint64:
 * @message: a message
 * @type: an attribute type whose value is a 64-bit number, such as
 *   ICE-CONTROLLING or RESERVATION-TOKEN
 * @value: (out): return location for the value
 * @error: return location for a #GError
 *
 * Reads the first attribute of type @type as a 64-bit number in network
 * byte order.
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE (not 8 bytes)
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_uint64 (const NavStunMessage  *message,
                             guint16                type,
                             guint64               *value,
                             GError               **error)
{
  const guint8 *v;

  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  v = nav_stun_get_value (message, type, 8, 8, NULL, error);
  if (v == NULL)
    return FALSE;
  *value = nav_stun_read64 (v);
  return TRUE;
}

/**
 * nav_stun_message_get_string:
 * @message: a message
 * @type: an attribute type whose value is UTF-8 text
 * @error: return location for a #GError
 *
 * Reads the first attribute of type @type as UTF-8 text.  For USERNAME,
 * REALM, NONCE, SOFTWARE and ALTERNATE-DOMAIN the limits of RFC 8489 are
 * enforced (USERNAME fewer than 513 bytes, accepting RFC 5389 senders;
 * REALM, NONCE and SOFTWARE fewer than 128 characters; ALTERNATE-DOMAIN
 * at most 255 bytes).
 *
 * Returns: (transfer full) (nullable): the text, or %NULL with
 *   %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE (invalid UTF-8, a NUL byte, over
 *   the limit)
 *
 * Since: 1.0
 */
gchar *
nav_stun_message_get_string (const NavStunMessage  *message,
                             guint16                type,
                             GError               **error)
{
  const guint8 *v;
  gsize length, max_bytes;
  glong max_chars;

  g_return_val_if_fail (message != NULL, NULL);

  v = nav_stun_get_value (message, type, 0, G_MAXUINT16, &length, error);
  if (v == NULL)
    return NULL;
  nav_stun_string_limits (type, FALSE, &max_bytes, &max_chars);
  if (!nav_stun_check_text ((const gchar *) v, length, max_bytes, max_chars,
                            type, error))
    return NULL;
  return g_strndup ((const gchar *) v, length);
}

/* The XOR key of X-Address attributes is the magic cookie followed by
 * the transaction ID (RFC 8489 §14.2): bytes 4–19 of the header. */
static gboolean
nav_stun_decode_address (const guint8  *v,
                         gsize          length,
                         const guint8  *xor_key,
                         guint16        type,
                         NavAddress    *address,
                         GError       **error)
{
  guint16 port;

  if (length < 4)
    {
      g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE,
                   _("Address attribute 0x%04x is too short (%lu bytes)"),
                   type, (gulong) length);
      return FALSE;
    }
  port = nav_stun_read16 (v + 2);
  if (xor_key != NULL)
    port ^= nav_stun_read16 (xor_key);

  switch (v[1])
    {
    case 0x01:
      {
        guint32 ip;

        if (length != 8)
          break;
        ip = nav_stun_read32 (v + 4);
        if (xor_key != NULL)
          ip ^= nav_stun_read32 (xor_key);
        nav_address_init (address);
        nav_address_set_ipv4 (address, ip);
        nav_address_set_port (address, port);
        return TRUE;
      }
    case 0x02:
      {
        guint8 ip[16];
        guint i;

        if (length != 20)
          break;
        memcpy (ip, v + 4, 16);
        if (xor_key != NULL)
          for (i = 0; i < 16; i++)
            ip[i] ^= xor_key[i];
        nav_address_init (address);
        nav_address_set_ipv6 (address, ip);
        nav_address_set_port (address, port);
        return TRUE;
      }
    default:
      g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ADDRESS_FAMILY,
                   _("Address attribute 0x%04x has unknown family 0x%02x"),
                   type, v[1]);
      return FALSE;
    }

  g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE,
               _("Address attribute 0x%04x has a bad length (%lu bytes)"
                 " for its family"), type, (gulong) length);
  return FALSE;
}

static gboolean
nav_stun_get_address_entry (const NavStunMessage         *message,
                            const NavStunAttributeEntry  *e,
                            gboolean                      xor,
                            NavAddress                   *address,
                            GError                      **error)
{
  return nav_stun_decode_address (message->data + e->offset, e->length,
                                  xor ? message->data + 4 : NULL, e->type,
                                  address, error);
}

/**
 * nav_stun_message_get_address:
 * @message: a message
 * @type: an attribute type whose value is a plain address, such as
 *   MAPPED-ADDRESS, ALTERNATE-SERVER, RESPONSE-ORIGIN or OTHER-ADDRESS
 * @address: (out caller-allocates): return location for the address
 * @error: return location for a #GError
 *
 * Reads the first attribute of type @type as an address (RFC 8489 §14.1).
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE,
 *   %NAV_STUN_ERROR_BAD_ADDRESS_FAMILY or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE (a length other than 8 for IPv4
 *   and 20 for IPv6)
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_address (const NavStunMessage  *message,
                              guint16                type,
                              NavAddress            *address,
                              GError               **error)
{
  const NavStunAttributeEntry *e;

  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  e = nav_stun_message_find_entry (message, type, error);
  return e != NULL &&
         nav_stun_get_address_entry (message, e, FALSE, address, error);
}

/**
 * nav_stun_message_get_xor_address:
 * @message: a message
 * @type: an attribute type whose value is an XOR-ed address, such as
 *   XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS or XOR-RELAYED-ADDRESS
 * @address: (out caller-allocates): return location for the address
 * @error: return location for a #GError
 *
 * Reads the first attribute of type @type as an address XOR-ed with the
 * magic cookie and, for IPv6, the transaction ID (RFC 8489 §14.2).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessage.get_address]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_xor_address (const NavStunMessage  *message,
                                  guint16                type,
                                  NavAddress            *address,
                                  GError               **error)
{
  const NavStunAttributeEntry *e;

  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  e = nav_stun_message_find_entry (message, type, error);
  return e != NULL &&
         nav_stun_get_address_entry (message, e, TRUE, address, error);
}

/**
 * nav_stun_message_get_address_nth:
 * @message: a message
 * @index_: the index of an attribute whose value is a plain address
 * @address: (out caller-allocates): return location for the address
 * @error: return location for a #GError
 *
 * Reads the attribute at @index_ (see
 * [method@Nav.StunMessage.find_attribute]) as an address.
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessage.get_address]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_address_nth (const NavStunMessage  *message,
                                  guint                  index_,
                                  NavAddress            *address,
                                  GError               **error)
{
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (index_ < message->n_attributes, FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  return nav_stun_get_address_entry (message, &message->attributes[index_],
                                     FALSE, address, error);
}

/**
 * nav_stun_message_get_xor_address_nth:
 * @message: a message
 * @index_: the index of an attribute whose value is an XOR-ed address
 * @address: (out caller-allocates): return location for the address
 * @error: return location for a #GError
 *
 * Reads the attribute at @index_ as an XOR-ed address: for instance each
 * XOR-PEER-ADDRESS of a TURN CreatePermission request, found with
 * [method@Nav.StunMessage.find_attribute].
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessage.get_address]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_xor_address_nth (const NavStunMessage  *message,
                                      guint                  index_,
                                      NavAddress            *address,
                                      GError               **error)
{
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (index_ < message->n_attributes, FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  return nav_stun_get_address_entry (message, &message->attributes[index_],
                                     TRUE, address, error);
}

/**
 * nav_stun_message_get_username:
 * @message: a message
 * @error: return location for a #GError
 *
 * Reads USERNAME (RFC 8489 §14.3): UTF-8, fewer than 513 bytes.
 *
 * Returns: (transfer full) (nullable): the username, or %NULL with @error
 *   set: %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE, or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE (invalid UTF-8, a NUL byte, over
 *   the RFC's limit)
 *
 * Since: 1.0
 */
gchar *
nav_stun_message_get_username (const NavStunMessage  *message,
                               GError               **error)
{
  return nav_stun_message_get_string (message, NAV_STUN_ATTRIBUTE_USERNAME,
                                      error);
}

/**
 * nav_stun_message_get_realm:
 * @message: a message
 * @error: return location for a #GError
 *
 * Reads REALM (RFC 8489 §14.9): fewer than 128 characters.
 *
 * Returns: (transfer full) (nullable): the realm, or %NULL with @error
 *   set: %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE, or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE (invalid UTF-8, a NUL byte, over
 *   the RFC's limit)
 *
 * Since: 1.0
 */
gchar *
nav_stun_message_get_realm (const NavStunMessage  *message,
                            GError               **error)
{
  return nav_stun_message_get_string (message, NAV_STUN_ATTRIBUTE_REALM,
                                      error);
}

/**
 * nav_stun_message_get_nonce:
 * @message: a message
 * @error: return location for a #GError
 *
 * Reads NONCE (RFC 8489 §14.10): fewer than 128 characters.
 *
 * Returns: (transfer full) (nullable): the nonce, or %NULL with @error
 *   set: %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE, or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE (invalid UTF-8, a NUL byte, over
 *   the RFC's limit)
 *
 * Since: 1.0
 */
gchar *
nav_stun_message_get_nonce (const NavStunMessage  *message,
                            GError               **error)
{
  return nav_stun_message_get_string (message, NAV_STUN_ATTRIBUTE_NONCE,
                                      error);
}

/**
 * nav_stun_message_get_software:
 * @message: a message
 * @error: return location for a #GError
 *
 * Reads SOFTWARE (RFC 8489 §14.14): fewer than 128 characters.
 *
 * Returns: (transfer full) (nullable): the software description, or
 *   %NULL with @error set: %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE, or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE (invalid UTF-8, a NUL byte, over
 *   the RFC's limit)
 *
 * Since: 1.0
 */
gchar *
nav_stun_message_get_software (const NavStunMessage  *message,
                               GError               **error)
{
  return nav_stun_message_get_string (message, NAV_STUN_ATTRIBUTE_SOFTWARE,
                                      error);
}

/**
 * nav_stun_message_get_alternate_domain:
 * @message: a message
 * @error: return location for a #GError
 *
 * Reads ALTERNATE-DOMAIN (RFC 8489 §14.16): at most 255 bytes.
 *
 * Returns: (transfer full) (nullable): the domain name, or %NULL with
 *   @error set: %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE, or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE (invalid UTF-8, a NUL byte, over
 *   the RFC's limit)
 *
 * Since: 1.0
 */
gchar *
nav_stun_message_get_alternate_domain (const NavStunMessage  *message,
                                       GError               **error)
{
  return nav_stun_message_get_string (message,
                                      NAV_STUN_ATTRIBUTE_ALTERNATE_DOMAIN,
                                      error);
}

/**
 * nav_stun_message_get_userhash:
 * @message: a message
 * @error: return location for a #GError
 *
 * Reads USERHASH (RFC 8489 §14.4), to compare with
 * [func@Nav.stun_compute_userhash].
 *
 * Returns: (array fixed-size=32) (transfer none) (nullable): the 32 bytes
 *   of the hash, or %NULL with %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE
 *
 * Since: 1.0
 */
const guint8 *
nav_stun_message_get_userhash (const NavStunMessage  *message,
                               GError               **error)
{
  g_return_val_if_fail (message != NULL, NULL);

  return nav_stun_get_value (message, NAV_STUN_ATTRIBUTE_USERHASH,
                             NAV_STUN_USERHASH_LENGTH,
                             NAV_STUN_USERHASH_LENGTH, NULL, error);
}

/* ERROR-CODE and ADDRESS-ERROR-CODE share the class/number/reason layout
 * in their last bits (RFC 8489 §14.8, RFC 8656 §18.12). */
static gboolean
nav_stun_decode_error_code (const guint8  *v,
                            gsize          length,
                            guint16        type,
                            guint         *code,
                            gchar        **reason,
                            GError       **error)
{
  guint klass = v[2] & 0x7;
  guint number = v[3];

  if (klass < 3 || klass > 6 || number > 99)
    {
      g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE,
                   _("Attribute 0x%04x: invalid error code class %u number %u"),
                   type, klass, number);
      return FALSE;
    }
  if (!nav_stun_check_text ((const gchar *) v + 4, length - 4,
                            NAV_STUN_TEXT_MAX_BYTES, NAV_STUN_TEXT_MAX_CHARS,
                            type, error))
    return FALSE;
  if (code != NULL)
    *code = klass * 100 + number;
  if (reason != NULL)
    *reason = g_strndup ((const gchar *) v + 4, length - 4);
  return TRUE;
}

/**
 * nav_stun_message_get_error_code:
 * @message: a message
 * @code: (out) (optional): return location for the code, 300 to 699
 * @reason: (out) (optional) (transfer full): return location for the
 *   reason phrase
 * @error: return location for a #GError
 *
 * Reads ERROR-CODE (RFC 8489 §14.8).
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE (class outside 3–6, number over
 *   99, bad reason phrase)
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_error_code (const NavStunMessage  *message,
                                 guint                 *code,
                                 gchar                **reason,
                                 GError               **error)
{
  const guint8 *v;
  gsize length;

  g_return_val_if_fail (message != NULL, FALSE);

  v = nav_stun_get_value (message, NAV_STUN_ATTRIBUTE_ERROR_CODE, 4,
                          G_MAXUINT16, &length, error);
  return v != NULL &&
         nav_stun_decode_error_code (v, length, NAV_STUN_ATTRIBUTE_ERROR_CODE,
                                     code, reason, error);
}

/**
 * nav_stun_message_get_unknown_attributes:
 * @message: a message (a 420 error response)
 * @n_attributes: (out): return location for the number of types
 * @error: return location for a #GError
 *
 * Reads UNKNOWN-ATTRIBUTES (RFC 8489 §14.13): the attribute types the
 * server did not understand.
 *
 * Returns: (array length=n_attributes) (transfer full) (nullable): the
 *   attribute types (%NULL when the list is empty), or %NULL with
 *   %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE (odd length)
 *
 * Since: 1.0
 */
guint16 *
nav_stun_message_get_unknown_attributes (const NavStunMessage  *message,
                                         gsize                 *n_attributes,
                                         GError               **error)
{
  const guint8 *v;
  guint16 *types;
  gsize length, i;

  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (n_attributes != NULL, NULL);

  *n_attributes = 0;
  v = nav_stun_get_value (message, NAV_STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES, 0,
                          G_MAXUINT16, &length, error);
  if (v == NULL)
    return NULL;
  if ((length & 1) != 0)
    {
      g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE,
                   _("UNKNOWN-ATTRIBUTES has an odd length (%lu)"),
                   (gulong) length);
      return NULL;
    }
  types = g_new (guint16, length / 2);
  for (i = 0; i < length / 2; i++)
    types[i] = nav_stun_read16 (v + 2 * i);
  *n_attributes = length / 2;
  return types;
}

/**
 * nav_stun_message_get_password_algorithm:
 * @message: a message
 * @algorithm: (out): return location for the algorithm, usually a
 *   [enum@Nav.StunPasswordAlgorithm]
 * @error: return location for a #GError
 *
 * Reads PASSWORD-ALGORITHM (RFC 8489 §14.12).  Its parameters are
 * ignored: neither algorithm of RFC 8489 has any.
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_password_algorithm (const NavStunMessage  *message,
                                         guint                 *algorithm,
                                         GError               **error)
{
  const guint8 *v;
  gsize length;

  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (algorithm != NULL, FALSE);

  v = nav_stun_get_value (message, NAV_STUN_ATTRIBUTE_PASSWORD_ALGORITHM, 4,
                          G_MAXUINT16, &length, error);
  if (v == NULL)
    return FALSE;
  if (nav_stun_read16 (v + 2) > length - 4)
    {
      g_set_error_literal (error, NAV_STUN_ERROR,
                           NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE,
                           _("PASSWORD-ALGORITHM parameters run past its end"));
      return FALSE;
    }
  *algorithm = nav_stun_read16 (v);
  return TRUE;
}

/**
 * nav_stun_message_get_password_algorithms:
 * @message: a message
 * @n_algorithms: (out): return location for the number of algorithms
 * @error: return location for a #GError
 *
 * Reads PASSWORD-ALGORITHMS (RFC 8489 §14.11): the algorithms a server
 * offers, in its order of preference.  Parameters are skipped.
 *
 * Returns: (array length=n_algorithms) (transfer full) (nullable): the
 *   algorithms (%NULL when the list is empty), or %NULL with
 *   %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE
 *
 * Since: 1.0
 */
guint16 *
nav_stun_message_get_password_algorithms (const NavStunMessage  *message,
                                          gsize                 *n_algorithms,
                                          GError               **error)
{
  const guint8 *v;
  guint16 *algorithms;
  gsize length, offset, n = 0;

  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (n_algorithms != NULL, NULL);

  *n_algorithms = 0;
  v = nav_stun_get_value (message, NAV_STUN_ATTRIBUTE_PASSWORD_ALGORITHMS, 0,
                          G_MAXUINT16, &length, error);
  if (v == NULL)
    return NULL;

  algorithms = g_new (guint16, length / 4 + 1);
  for (offset = 0; offset < length; )
    {
      gsize params;

      if (length - offset < 4 ||
          (params = nav_stun_read16 (v + offset + 2)) > length - offset - 4)
        {
          g_free (algorithms);
          g_set_error_literal (error, NAV_STUN_ERROR,
                               NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE,
                               _("PASSWORD-ALGORITHMS runs past its end"));
          return NULL;
        }
      algorithms[n++] = nav_stun_read16 (v + offset);
      offset += 4 + MIN (nav_stun_padded (params), length - offset - 4);
    }
  if (n == 0)
    g_clear_pointer (&algorithms, g_free);
  *n_algorithms = n;
  return algorithms;
}

/**
 * nav_stun_message_get_mapped_address:
 * @message: a message
 * @address: (out caller-allocates): return location for the address
 * @error: return location for a #GError
 *
 * Reads MAPPED-ADDRESS (RFC 8489 §14.1).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessage.get_address]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_mapped_address (const NavStunMessage  *message,
                                     NavAddress            *address,
                                     GError               **error)
{
  return nav_stun_message_get_address (message,
                                       NAV_STUN_ATTRIBUTE_MAPPED_ADDRESS,
                                       address, error);
}

/**
 * nav_stun_message_get_xor_mapped_address:
 * @message: a message
 * @address: (out caller-allocates): return location for the address
 * @error: return location for a #GError
 *
 * Reads XOR-MAPPED-ADDRESS (RFC 8489 §14.2), IPv4 or IPv6.
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessage.get_address]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_xor_mapped_address (const NavStunMessage  *message,
                                         NavAddress            *address,
                                         GError               **error)
{
  return nav_stun_message_get_xor_address (message,
                                           NAV_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
                                           address, error);
}

/**
 * nav_stun_message_get_alternate_server:
 * @message: a message
 * @address: (out caller-allocates): return location for the address
 * @error: return location for a #GError
 *
 * Reads ALTERNATE-SERVER (RFC 8489 §14.15).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessage.get_address]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_alternate_server (const NavStunMessage  *message,
                                       NavAddress            *address,
                                       GError               **error)
{
  return nav_stun_message_get_address (message,
                                       NAV_STUN_ATTRIBUTE_ALTERNATE_SERVER,
                                       address, error);
}

/**
 * nav_stun_message_get_response_origin:
 * @message: a message
 * @address: (out caller-allocates): return location for the address
 * @error: return location for a #GError
 *
 * Reads RESPONSE-ORIGIN (RFC 5780 §7.3).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessage.get_address]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_response_origin (const NavStunMessage  *message,
                                      NavAddress            *address,
                                      GError               **error)
{
  return nav_stun_message_get_address (message,
                                       NAV_STUN_ATTRIBUTE_RESPONSE_ORIGIN,
                                       address, error);
}

/**
 * nav_stun_message_get_other_address:
 * @message: a message
 * @address: (out caller-allocates): return location for the address
 * @error: return location for a #GError
 *
 * Reads OTHER-ADDRESS (RFC 5780 §7.4).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessage.get_address]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_other_address (const NavStunMessage  *message,
                                    NavAddress            *address,
                                    GError               **error)
{
  return nav_stun_message_get_address (message,
                                       NAV_STUN_ATTRIBUTE_OTHER_ADDRESS,
                                       address, error);
}

/**
 * nav_stun_message_get_priority:
 * @message: a message
 * @priority: (out): return location for the priority
 * @error: return location for a #GError
 *
 * Reads PRIORITY (RFC 8445 §7.1.1).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessage.get_uint32]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_priority (const NavStunMessage  *message,
                               guint32               *priority,
                               GError               **error)
{
  return nav_stun_message_get_uint32 (message, NAV_STUN_ATTRIBUTE_PRIORITY,
                                      priority, error);
}

/**
 * nav_stun_message_get_use_candidate:
 * @message: a message
 *
 * Returns: whether @message has USE-CANDIDATE (RFC 8445 §7.1.2)
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_use_candidate (const NavStunMessage *message)
{
  return nav_stun_message_has_attribute (message,
                                         NAV_STUN_ATTRIBUTE_USE_CANDIDATE);
}

/**
 * nav_stun_message_get_ice_controlled:
 * @message: a message
 * @tie_breaker: (out): return location for the 64-bit tie-breaker
 * @error: return location for a #GError
 *
 * Reads ICE-CONTROLLED (RFC 8445 §7.1.3).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessage.get_uint64]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_ice_controlled (const NavStunMessage  *message,
                                     guint64               *tie_breaker,
                                     GError               **error)
{
  return nav_stun_message_get_uint64 (message,
                                      NAV_STUN_ATTRIBUTE_ICE_CONTROLLED,
                                      tie_breaker, error);
}

/**
 * nav_stun_message_get_ice_controlling:
 * @message: a message
 * @tie_breaker: (out): return location for the 64-bit tie-breaker
 * @error: return location for a #GError
 *
 * Reads ICE-CONTROLLING (RFC 8445 §7.1.3).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessage.get_uint64]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_ice_controlling (const NavStunMessage  *message,
                                      guint64               *tie_breaker,
                                      GError               **error)
{
  return nav_stun_message_get_uint64 (message,
                                      NAV_STUN_ATTRIBUTE_ICE_CONTROLLING,
                                      tie_breaker, error);
}

/**
 * nav_stun_message_get_change_request:
 * @message: a message
 * @flags: (out): return location for the flags
 * @error: return location for a #GError
 *
 * Reads CHANGE-REQUEST (RFC 5780 §7.2); unassigned bits are ignored.
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessage.get_uint32]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_change_request (const NavStunMessage       *message,
                                     NavStunChangeRequestFlags  *flags,
                                     GError                    **error)
{
  guint32 v;

  g_return_val_if_fail (flags != NULL, FALSE);

  if (!nav_stun_message_get_uint32 (message, NAV_STUN_ATTRIBUTE_CHANGE_REQUEST,
                                    &v, error))
    return FALSE;
  *flags = v & (NAV_STUN_CHANGE_REQUEST_IP | NAV_STUN_CHANGE_REQUEST_PORT);
  return TRUE;
}

/**
 * nav_stun_message_get_response_port:
 * @message: a message
 * @port: (out): return location for the port
 * @error: return location for a #GError
 *
 * Reads RESPONSE-PORT (RFC 5780 §7.5): a port and two reserved bytes.
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_response_port (const NavStunMessage  *message,
                                    guint16               *port,
                                    GError               **error)
{
  const guint8 *v;

  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (port != NULL, FALSE);

  v = nav_stun_get_value (message, NAV_STUN_ATTRIBUTE_RESPONSE_PORT, 4, 4,
                          NULL, error);
  if (v == NULL)
    return FALSE;
  *port = nav_stun_read16 (v);
  return TRUE;
}

/**
 * nav_stun_message_get_channel_number:
 * @message: a message
 * @channel: (out): return location for the channel number
 * @error: return location for a #GError
 *
 * Reads CHANNEL-NUMBER (RFC 8656 §18.1): a channel number and two
 * reserved bytes.  The number must be within 0x4000–0x4FFF.
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_channel_number (const NavStunMessage  *message,
                                     guint16               *channel,
                                     GError               **error)
{
  const guint8 *v;
  guint16 number;

  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (channel != NULL, FALSE);

  v = nav_stun_get_value (message, NAV_STUN_ATTRIBUTE_CHANNEL_NUMBER, 4, 4,
                          NULL, error);
  if (v == NULL)
    return FALSE;
  number = nav_stun_read16 (v);
  if (number < NAV_STUN_CHANNEL_NUMBER_MIN ||
      number > NAV_STUN_CHANNEL_NUMBER_MAX)
    {
      g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE,
                   _("Channel number 0x%04x is outside 0x4000-0x4FFF"), number);
      return FALSE;
    }
  *channel = number;
  return TRUE;
}

/**
 * nav_stun_message_get_requested_transport:
 * @message: a message
 * @protocol: (out): return location for the IP protocol number (17 for
 *   UDP, 6 for TCP)
 * @error: return location for a #GError
 *
 * Reads REQUESTED-TRANSPORT (RFC 8656 §18.8).
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_requested_transport (const NavStunMessage  *message,
                                          guint8                *protocol,
                                          GError               **error)
{
  const guint8 *v;

  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (protocol != NULL, FALSE);

  v = nav_stun_get_value (message, NAV_STUN_ATTRIBUTE_REQUESTED_TRANSPORT,
                          4, 4, NULL, error);
  if (v == NULL)
    return FALSE;
  *protocol = v[0];
  return TRUE;
}

/**
 * nav_stun_message_get_address_family:
 * @message: a message
 * @type: %NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY or
 *   %NAV_STUN_ATTRIBUTE_ADDITIONAL_ADDRESS_FAMILY
 * @family: (out): return location for the family
 * @error: return location for a #GError
 *
 * Reads an address-family attribute of TURN (RFC 8656 §18.6, §18.11): a
 * family byte (0x01 IPv4, 0x02 IPv6) and three reserved bytes.
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE,
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE or
 *   %NAV_STUN_ERROR_BAD_ADDRESS_FAMILY
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_address_family (const NavStunMessage  *message,
                                     guint16                type,
                                     GSocketFamily         *family,
                                     GError               **error)
{
  const guint8 *v;

  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (family != NULL, FALSE);

  v = nav_stun_get_value (message, type, 4, 4, NULL, error);
  if (v == NULL)
    return FALSE;
  switch (v[0])
    {
    case 0x01:
      *family = G_SOCKET_FAMILY_IPV4;
      return TRUE;
    case 0x02:
      *family = G_SOCKET_FAMILY_IPV6;
      return TRUE;
    default:
      g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ADDRESS_FAMILY,
                   _("Attribute 0x%04x has unknown family 0x%02x"), type, v[0]);
      return FALSE;
    }
}

/**
 * nav_stun_message_get_even_port:
 * @message: a message
 * @reserve: (out): return location for the R bit: whether the next port
 *   is to be reserved too
 * @error: return location for a #GError
 *
 * Reads EVEN-PORT (RFC 8656 §18.7).
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE (empty)
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_even_port (const NavStunMessage  *message,
                                gboolean              *reserve,
                                GError               **error)
{
  const guint8 *v;

  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (reserve != NULL, FALSE);

  /* One byte; some senders pad the value itself to 4. */
  v = nav_stun_get_value (message, NAV_STUN_ATTRIBUTE_EVEN_PORT, 1, 4, NULL,
                          error);
  if (v == NULL)
    return FALSE;
  *reserve = (v[0] & 0x80) != 0;
  return TRUE;
}

/**
 * nav_stun_message_get_address_error_code:
 * @message: a message
 * @family: (out) (optional): return location for the address family the
 *   error is about
 * @code: (out) (optional): return location for the error code
 * @reason: (out) (optional) (transfer full): return location for the
 *   reason phrase
 * @error: return location for a #GError
 *
 * Reads ADDRESS-ERROR-CODE (RFC 8656 §18.12).
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE,
 *   %NAV_STUN_ERROR_BAD_ADDRESS_FAMILY or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_address_error_code (const NavStunMessage  *message,
                                         GSocketFamily         *family,
                                         guint                 *code,
                                         gchar                **reason,
                                         GError               **error)
{
  const guint8 *v;
  gsize length;
  GSocketFamily f;

  g_return_val_if_fail (message != NULL, FALSE);

  v = nav_stun_get_value (message, NAV_STUN_ATTRIBUTE_ADDRESS_ERROR_CODE, 4,
                          G_MAXUINT16, &length, error);
  if (v == NULL)
    return FALSE;
  switch (v[0])
    {
    case 0x01:
      f = G_SOCKET_FAMILY_IPV4;
      break;
    case 0x02:
      f = G_SOCKET_FAMILY_IPV6;
      break;
    default:
      g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ADDRESS_FAMILY,
                   _("ADDRESS-ERROR-CODE has unknown family 0x%02x"), v[0]);
      return FALSE;
    }
  if (!nav_stun_decode_error_code (v, length,
                                   NAV_STUN_ATTRIBUTE_ADDRESS_ERROR_CODE,
                                   code, reason, error))
    return FALSE;
  if (family != NULL)
    *family = f;
  return TRUE;
}

/**
 * nav_stun_message_get_icmp:
 * @message: a message (a TURN Data indication)
 * @icmp_type: (out) (optional): return location for the ICMP type
 * @icmp_code: (out) (optional): return location for the ICMP code
 * @error_data: (out) (optional): return location for the error data
 * @error: return location for a #GError
 *
 * Reads ICMP (RFC 8656 §18.13).
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE or
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE (not 8 bytes)
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_get_icmp (const NavStunMessage  *message,
                           guint8                *icmp_type,
                           guint8                *icmp_code,
                           guint32               *error_data,
                           GError               **error)
{
  const guint8 *v;

  g_return_val_if_fail (message != NULL, FALSE);

  v = nav_stun_get_value (message, NAV_STUN_ATTRIBUTE_ICMP, 8, 8, NULL,
                          error);
  if (v == NULL)
    return FALSE;
  if (icmp_type != NULL)
    *icmp_type = v[2];
  if (icmp_code != NULL)
    *icmp_code = v[3];
  if (error_data != NULL)
    *error_data = nav_stun_read32 (v + 4);
  return TRUE;
}

/* Builder */

static guint8 *
nav_stun_builder_open_reserve (NavStunMessageBuilder  *builder,
                               guint16                 type,
                               gsize                   length,
                               GError                **error)
{
  if (!nav_stun_message_builder_check_open (builder, error))
    return NULL;
  return nav_stun_message_builder_reserve (builder, type, length, error);
}

/**
 * nav_stun_message_builder_add_flag:
 * @builder: a builder
 * @type: an attribute type with an empty value, such as USE-CANDIDATE or
 *   DONT-FRAGMENT
 * @error: return location for a #GError
 *
 * Appends an attribute with an empty value.
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_flag (NavStunMessageBuilder  *builder,
                                   guint16                 type,
                                   GError                **error)
{
  g_return_val_if_fail (builder != NULL, FALSE);

  return nav_stun_builder_open_reserve (builder, type, 0, error) != NULL;
}

/**
 * nav_stun_message_builder_add_uint32:
 * @builder: a builder
 * @type: an attribute type whose value is a 32-bit number
 * @value: the value
 * @error: return location for a #GError
 *
 * Appends a 32-bit number in network byte order (PRIORITY, LIFETIME,
 * CONNECTION-ID…).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_uint32 (NavStunMessageBuilder  *builder,
                                     guint16                 type,
                                     guint32                 value,
                                     GError                **error)
{
  guint8 *p;

  g_return_val_if_fail (builder != NULL, FALSE);

  p = nav_stun_builder_open_reserve (builder, type, 4, error);
  if (p == NULL)
    return FALSE;
  nav_stun_write32 (p, value);
  return TRUE;
}

/**
 * nav_stun_message_builder_add_uint64:
 * @builder: a builder
 * @type: an attribute type whose value is a 64-bit number
 * @value: the value
 * @error: return location for a #GError
 *
 * Appends a 64-bit number in network byte order (ICE-CONTROLLING,
 * RESERVATION-TOKEN…).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_uint64 (NavStunMessageBuilder  *builder,
                                     guint16                 type,
                                     guint64                 value,
                                     GError                **error)
{
  guint8 *p;

  g_return_val_if_fail (builder != NULL, FALSE);

  p = nav_stun_builder_open_reserve (builder, type, 8, error);
  if (p == NULL)
    return FALSE;
  nav_stun_write64 (p, value);
  return TRUE;
}

/**
 * nav_stun_message_builder_add_string:
 * @builder: a builder
 * @type: an attribute type whose value is UTF-8 text
 * @value: the text
 * @error: return location for a #GError
 *
 * Appends UTF-8 text, without its terminating NUL.  For USERNAME, REALM,
 * NONCE, SOFTWARE and ALTERNATE-DOMAIN the limits of RFC 8489 are
 * enforced (USERNAME fewer than 509 bytes; REALM, NONCE and SOFTWARE
 * fewer than 128 characters; ALTERNATE-DOMAIN at most 255 bytes).  The
 * text is sent as given: credentials are prepared with
 * [func@Nav.stun_prepare_opaque_string] first.
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE or as
 *   [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_string (NavStunMessageBuilder  *builder,
                                     guint16                 type,
                                     const gchar            *value,
                                     GError                **error)
{
  gsize length, max_bytes;
  glong max_chars;
  GError *local_error = NULL;
  guint8 *p;

  g_return_val_if_fail (builder != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  length = strlen (value);
  nav_stun_string_limits (type, TRUE, &max_bytes, &max_chars);
  if (!nav_stun_check_text (value, length, max_bytes, max_chars, type,
                            &local_error))
    {
      nav_stun_message_builder_fail (builder, error, local_error->code,
                                     "%s", local_error->message);
      g_error_free (local_error);
      return FALSE;
    }
  p = nav_stun_builder_open_reserve (builder, type, length, error);
  if (p == NULL)
    return FALSE;
  memcpy (p, value, length);
  return TRUE;
}

static gboolean
nav_stun_builder_add_address (NavStunMessageBuilder  *builder,
                              guint16                 type,
                              const NavAddress       *address,
                              gboolean                xor,
                              GError                **error)
{
  const guint8 *key;
  guint16 port;
  guint8 *p;

  port = (guint16) nav_address_get_port (address);
  if (xor)
    port ^= (guint16) (NAV_STUN_MAGIC_COOKIE >> 16);

  switch (nav_address_get_family (address))
    {
    case G_SOCKET_FAMILY_IPV4:
      {
        guint32 ip = nav_address_get_ipv4 (address);

        p = nav_stun_builder_open_reserve (builder, type, 8, error);
        if (p == NULL)
          return FALSE;
        if (xor)
          ip ^= NAV_STUN_MAGIC_COOKIE;
        p[0] = 0;
        p[1] = 0x01;
        nav_stun_write16 (p + 2, port);
        nav_stun_write32 (p + 4, ip);
        return TRUE;
      }
    case G_SOCKET_FAMILY_IPV6:
      {
        const guint8 *ip = nav_address_get_ipv6 (address);
        guint i;

        p = nav_stun_builder_open_reserve (builder, type, 20, error);
        if (p == NULL)
          return FALSE;
        /* Taken after reserving: the buffer may have moved. */
        key = builder->buffer + 4;
        p[0] = 0;
        p[1] = 0x02;
        nav_stun_write16 (p + 2, port);
        for (i = 0; i < 16; i++)
          p[4 + i] = xor ? ip[i] ^ key[i] : ip[i];
        return TRUE;
      }
    default:
      return nav_stun_message_builder_fail (builder, error,
                                            NAV_STUN_ERROR_BAD_ADDRESS_FAMILY,
                                            _("Attribute 0x%04x: the address is "
                                              "neither IPv4 nor IPv6"), type);
    }
}

/**
 * nav_stun_message_builder_add_address:
 * @builder: a builder
 * @type: an attribute type whose value is a plain address
 * @address: an IPv4 or IPv6 address
 * @error: return location for a #GError
 *
 * Appends an address (RFC 8489 §14.1).
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_BAD_ADDRESS_FAMILY or as
 *   [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_address (NavStunMessageBuilder  *builder,
                                      guint16                 type,
                                      const NavAddress       *address,
                                      GError                **error)
{
  g_return_val_if_fail (builder != NULL, FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  return nav_stun_builder_add_address (builder, type, address, FALSE, error);
}

/**
 * nav_stun_message_builder_add_xor_address:
 * @builder: a builder
 * @type: an attribute type whose value is an XOR-ed address
 * @address: an IPv4 or IPv6 address
 * @error: return location for a #GError
 *
 * Appends an address XOR-ed with the magic cookie and, for IPv6, the
 * transaction ID (RFC 8489 §14.2).
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_BAD_ADDRESS_FAMILY or as
 *   [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_xor_address (NavStunMessageBuilder  *builder,
                                          guint16                 type,
                                          const NavAddress       *address,
                                          GError                **error)
{
  g_return_val_if_fail (builder != NULL, FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  return nav_stun_builder_add_address (builder, type, address, TRUE, error);
}

/**
 * nav_stun_message_builder_add_username:
 * @builder: a builder
 * @username: the username, prepared with the OpaqueString profile
 * @error: return location for a #GError
 *
 * Appends USERNAME (RFC 8489 §14.3): fewer than 509 bytes of UTF-8.
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE (not
 *   UTF-8, over the RFC's limit) or as
 *   [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_username (NavStunMessageBuilder  *builder,
                                       const gchar            *username,
                                       GError                **error)
{
  return nav_stun_message_builder_add_string (builder,
                                              NAV_STUN_ATTRIBUTE_USERNAME,
                                              username, error);
}

/**
 * nav_stun_message_builder_add_realm:
 * @builder: a builder
 * @realm: the realm
 * @error: return location for a #GError
 *
 * Appends REALM (RFC 8489 §14.9): fewer than 128 characters.
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE (not
 *   UTF-8, over the RFC's limit) or as
 *   [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_realm (NavStunMessageBuilder  *builder,
                                    const gchar            *realm,
                                    GError                **error)
{
  return nav_stun_message_builder_add_string (builder,
                                              NAV_STUN_ATTRIBUTE_REALM,
                                              realm, error);
}

/**
 * nav_stun_message_builder_add_nonce:
 * @builder: a builder
 * @nonce: the nonce
 * @error: return location for a #GError
 *
 * Appends NONCE (RFC 8489 §14.10): fewer than 128 characters.
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE (not
 *   UTF-8, over the RFC's limit) or as
 *   [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_nonce (NavStunMessageBuilder  *builder,
                                    const gchar            *nonce,
                                    GError                **error)
{
  return nav_stun_message_builder_add_string (builder,
                                              NAV_STUN_ATTRIBUTE_NONCE,
                                              nonce, error);
}

/**
 * nav_stun_message_builder_add_software:
 * @builder: a builder
 * @software: a description of the software
 * @error: return location for a #GError
 *
 * Appends SOFTWARE (RFC 8489 §14.14): fewer than 128 characters.
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE (not
 *   UTF-8, over the RFC's limit) or as
 *   [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_software (NavStunMessageBuilder  *builder,
                                       const gchar            *software,
                                       GError                **error)
{
  return nav_stun_message_builder_add_string (builder,
                                              NAV_STUN_ATTRIBUTE_SOFTWARE,
                                              software, error);
}

/**
 * nav_stun_message_builder_add_alternate_domain:
 * @builder: a builder
 * @domain: a DNS name
 * @error: return location for a #GError
 *
 * Appends ALTERNATE-DOMAIN (RFC 8489 §14.16): at most 255 bytes.
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE (not
 *   UTF-8, over the RFC's limit) or as
 *   [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_alternate_domain (NavStunMessageBuilder  *builder,
                                               const gchar            *domain,
                                               GError                **error)
{
  return nav_stun_message_builder_add_string (builder,
                                              NAV_STUN_ATTRIBUTE_ALTERNATE_DOMAIN,
                                              domain, error);
}

/**
 * nav_stun_message_builder_add_userhash:
 * @builder: a builder
 * @userhash: (array fixed-size=32): the hash, from
 *   [func@Nav.stun_compute_userhash]
 * @error: return location for a #GError
 *
 * Appends USERHASH (RFC 8489 §14.4).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_userhash (NavStunMessageBuilder  *builder,
                                       const guint8           *userhash,
                                       GError                **error)
{
  g_return_val_if_fail (userhash != NULL, FALSE);

  return nav_stun_message_builder_add_attribute (builder,
                                                 NAV_STUN_ATTRIBUTE_USERHASH,
                                                 userhash,
                                                 NAV_STUN_USERHASH_LENGTH,
                                                 error);
}

static gboolean
nav_stun_builder_add_error_code (NavStunMessageBuilder  *builder,
                                 guint16                 type,
                                 guint8                  family,
                                 guint                   code,
                                 const gchar            *reason,
                                 GError                **error)
{
  gsize length;
  guint8 *p;

  if (code < 300 || code > 699)
    return nav_stun_message_builder_fail (builder, error,
                                          NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE,
                                          _("Error code %u is outside 300-699"),
                                          code);
  if (reason == NULL)
    reason = nav_stun_error_code_get_reason (code);
  length = strlen (reason);
  if (length > NAV_STUN_TEXT_MAX_BYTES ||
      !g_utf8_validate_len (reason, length, NULL) ||
      g_utf8_strlen (reason, length) > NAV_STUN_TEXT_MAX_CHARS)
    return nav_stun_message_builder_fail (builder, error,
                                          NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE,
                                          _("The reason phrase is not UTF-8 of "
                                            "fewer than 128 characters"));

  p = nav_stun_builder_open_reserve (builder, type, 4 + length, error);
  if (p == NULL)
    return FALSE;
  p[0] = family;
  p[1] = 0;
  p[2] = (guint8) (code / 100);
  p[3] = (guint8) (code % 100);
  memcpy (p + 4, reason, length);
  return TRUE;
}

/**
 * nav_stun_message_builder_add_error_code:
 * @builder: a builder
 * @code: the error code, 300 to 699, such as a [enum@Nav.StunErrorCode]
 * @reason: (nullable): the reason phrase, fewer than 128 characters, or
 *   %NULL for the one of `nav_stun_error_code_get_reason()`
 * @error: return location for a #GError
 *
 * Appends ERROR-CODE (RFC 8489 §14.8).
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE or as
 *   [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_error_code (NavStunMessageBuilder  *builder,
                                         guint                   code,
                                         const gchar            *reason,
                                         GError                **error)
{
  g_return_val_if_fail (builder != NULL, FALSE);

  return nav_stun_builder_add_error_code (builder,
                                          NAV_STUN_ATTRIBUTE_ERROR_CODE, 0,
                                          code, reason, error);
}

/**
 * nav_stun_message_builder_add_unknown_attributes:
 * @builder: a builder
 * @types: (array length=n_types): attribute types
 * @n_types: the number of @types
 * @error: return location for a #GError
 *
 * Appends UNKNOWN-ATTRIBUTES (RFC 8489 §14.13), for a 420 response; the
 * list comes from [method@Nav.StunMessage.get_unknown_required_attributes]
 * of a request parsed with %NAV_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED.
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_unknown_attributes (NavStunMessageBuilder  *builder,
                                                 const guint16          *types,
                                                 gsize                   n_types,
                                                 GError                **error)
{
  guint8 *p;
  gsize i;

  g_return_val_if_fail (builder != NULL, FALSE);
  g_return_val_if_fail (types != NULL || n_types == 0, FALSE);

  p = nav_stun_builder_open_reserve (builder,
                                     NAV_STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES,
                                     MIN (n_types, G_MAXSIZE / 4) * 2, error);
  if (p == NULL)
    return FALSE;
  for (i = 0; i < n_types; i++)
    nav_stun_write16 (p + 2 * i, types[i]);
  return TRUE;
}

/**
 * nav_stun_message_builder_add_password_algorithm:
 * @builder: a builder
 * @algorithm: the algorithm, such as a [enum@Nav.StunPasswordAlgorithm]
 * @error: return location for a #GError
 *
 * Appends PASSWORD-ALGORITHM (RFC 8489 §14.12), without parameters.
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_password_algorithm (NavStunMessageBuilder  *builder,
                                                 guint                   algorithm,
                                                 GError                **error)
{
  g_return_val_if_fail (builder != NULL, FALSE);
  g_return_val_if_fail (algorithm <= G_MAXUINT16, FALSE);

  return nav_stun_message_builder_add_uint32 (builder,
                                              NAV_STUN_ATTRIBUTE_PASSWORD_ALGORITHM,
                                              (guint32) algorithm << 16, error);
}

/**
 * nav_stun_message_builder_add_password_algorithms:
 * @builder: a builder
 * @algorithms: (array length=n_algorithms): the algorithms, in order of
 *   preference
 * @n_algorithms: the number of @algorithms
 * @error: return location for a #GError
 *
 * Appends PASSWORD-ALGORITHMS (RFC 8489 §14.11), without parameters.
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_password_algorithms (NavStunMessageBuilder  *builder,
                                                  const guint16          *algorithms,
                                                  gsize                   n_algorithms,
                                                  GError                **error)
{
  guint8 *p;
  gsize i;

  g_return_val_if_fail (builder != NULL, FALSE);
  g_return_val_if_fail (algorithms != NULL || n_algorithms == 0, FALSE);

  p = nav_stun_builder_open_reserve (builder,
                                     NAV_STUN_ATTRIBUTE_PASSWORD_ALGORITHMS,
                                     MIN (n_algorithms, G_MAXSIZE / 8) * 4,
                                     error);
  if (p == NULL)
    return FALSE;
  for (i = 0; i < n_algorithms; i++)
    {
      nav_stun_write16 (p + 4 * i, algorithms[i]);
      nav_stun_write16 (p + 4 * i + 2, 0);
    }
  return TRUE;
}

/**
 * nav_stun_message_builder_add_mapped_address:
 * @builder: a builder
 * @address: an IPv4 or IPv6 address
 * @error: return location for a #GError
 *
 * Appends MAPPED-ADDRESS (RFC 8489 §14.1), for RFC 3489 clients.
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_address]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_mapped_address (NavStunMessageBuilder  *builder,
                                             const NavAddress       *address,
                                             GError                **error)
{
  return nav_stun_message_builder_add_address (builder,
                                               NAV_STUN_ATTRIBUTE_MAPPED_ADDRESS,
                                               address, error);
}

/**
 * nav_stun_message_builder_add_xor_mapped_address:
 * @builder: a builder
 * @address: an IPv4 or IPv6 address
 * @error: return location for a #GError
 *
 * Appends XOR-MAPPED-ADDRESS (RFC 8489 §14.2).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_address]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_xor_mapped_address (NavStunMessageBuilder  *builder,
                                                 const NavAddress       *address,
                                                 GError                **error)
{
  return nav_stun_message_builder_add_xor_address (builder,
                                                   NAV_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
                                                   address, error);
}

/**
 * nav_stun_message_builder_add_alternate_server:
 * @builder: a builder
 * @address: an IPv4 or IPv6 address
 * @error: return location for a #GError
 *
 * Appends ALTERNATE-SERVER (RFC 8489 §14.15), for a 300 response.
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_address]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_alternate_server (NavStunMessageBuilder  *builder,
                                               const NavAddress       *address,
                                               GError                **error)
{
  return nav_stun_message_builder_add_address (builder,
                                               NAV_STUN_ATTRIBUTE_ALTERNATE_SERVER,
                                               address, error);
}

/**
 * nav_stun_message_builder_add_response_origin:
 * @builder: a builder
 * @address: an IPv4 or IPv6 address
 * @error: return location for a #GError
 *
 * Appends RESPONSE-ORIGIN (RFC 5780 §7.3).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_address]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_response_origin (NavStunMessageBuilder  *builder,
                                              const NavAddress       *address,
                                              GError                **error)
{
  return nav_stun_message_builder_add_address (builder,
                                               NAV_STUN_ATTRIBUTE_RESPONSE_ORIGIN,
                                               address, error);
}

/**
 * nav_stun_message_builder_add_other_address:
 * @builder: a builder
 * @address: an IPv4 or IPv6 address
 * @error: return location for a #GError
 *
 * Appends OTHER-ADDRESS (RFC 5780 §7.4).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_address]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_other_address (NavStunMessageBuilder  *builder,
                                            const NavAddress       *address,
                                            GError                **error)
{
  return nav_stun_message_builder_add_address (builder,
                                               NAV_STUN_ATTRIBUTE_OTHER_ADDRESS,
                                               address, error);
}

/**
 * nav_stun_message_builder_add_priority:
 * @builder: a builder
 * @priority: the priority of the peer-reflexive candidate
 * @error: return location for a #GError
 *
 * Appends PRIORITY (RFC 8445 §7.1.1).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_priority (NavStunMessageBuilder  *builder,
                                       guint32                 priority,
                                       GError                **error)
{
  return nav_stun_message_builder_add_uint32 (builder,
                                              NAV_STUN_ATTRIBUTE_PRIORITY,
                                              priority, error);
}

/**
 * nav_stun_message_builder_add_use_candidate:
 * @builder: a builder
 * @error: return location for a #GError
 *
 * Appends USE-CANDIDATE (RFC 8445 §7.1.2).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_use_candidate (NavStunMessageBuilder  *builder,
                                            GError                **error)
{
  return nav_stun_message_builder_add_flag (builder,
                                            NAV_STUN_ATTRIBUTE_USE_CANDIDATE,
                                            error);
}

/**
 * nav_stun_message_builder_add_ice_controlled:
 * @builder: a builder
 * @tie_breaker: the agent's 64-bit tie-breaker
 * @error: return location for a #GError
 *
 * Appends ICE-CONTROLLED (RFC 8445 §7.1.3).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_ice_controlled (NavStunMessageBuilder  *builder,
                                             guint64                 tie_breaker,
                                             GError                **error)
{
  return nav_stun_message_builder_add_uint64 (builder,
                                              NAV_STUN_ATTRIBUTE_ICE_CONTROLLED,
                                              tie_breaker, error);
}

/**
 * nav_stun_message_builder_add_ice_controlling:
 * @builder: a builder
 * @tie_breaker: the agent's 64-bit tie-breaker
 * @error: return location for a #GError
 *
 * Appends ICE-CONTROLLING (RFC 8445 §7.1.3).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_ice_controlling (NavStunMessageBuilder  *builder,
                                              guint64                 tie_breaker,
                                              GError                **error)
{
  return nav_stun_message_builder_add_uint64 (builder,
                                              NAV_STUN_ATTRIBUTE_ICE_CONTROLLING,
                                              tie_breaker, error);
}

/**
 * nav_stun_message_builder_add_change_request:
 * @builder: a builder
 * @flags: what the server is to change
 * @error: return location for a #GError
 *
 * Appends CHANGE-REQUEST (RFC 5780 §7.2).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_change_request (NavStunMessageBuilder      *builder,
                                             NavStunChangeRequestFlags   flags,
                                             GError                    **error)
{
  return nav_stun_message_builder_add_uint32 (builder,
                                              NAV_STUN_ATTRIBUTE_CHANGE_REQUEST,
                                              flags & (NAV_STUN_CHANGE_REQUEST_IP |
                                                       NAV_STUN_CHANGE_REQUEST_PORT),
                                              error);
}

/**
 * nav_stun_message_builder_add_response_port:
 * @builder: a builder
 * @port: the port the response is to be sent to
 * @error: return location for a #GError
 *
 * Appends RESPONSE-PORT (RFC 5780 §7.5).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_response_port (NavStunMessageBuilder  *builder,
                                            guint16                 port,
                                            GError                **error)
{
  return nav_stun_message_builder_add_uint32 (builder,
                                              NAV_STUN_ATTRIBUTE_RESPONSE_PORT,
                                              (guint32) port << 16, error);
}

/**
 * nav_stun_message_builder_add_padding:
 * @builder: a builder
 * @length: the number of bytes of padding
 * @error: return location for a #GError
 *
 * Appends PADDING (RFC 5780 §7.6): @length zero bytes, to test path MTU.
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_padding (NavStunMessageBuilder  *builder,
                                      gsize                   length,
                                      GError                **error)
{
  guint8 *p;

  g_return_val_if_fail (builder != NULL, FALSE);

  p = nav_stun_builder_open_reserve (builder, NAV_STUN_ATTRIBUTE_PADDING,
                                     length, error);
  if (p == NULL)
    return FALSE;
  memset (p, 0, length);
  return TRUE;
}

/**
 * nav_stun_message_builder_add_channel_number:
 * @builder: a builder
 * @channel: a channel number, 0x4000 to 0x4FFF
 * @error: return location for a #GError
 *
 * Appends CHANNEL-NUMBER (RFC 8656 §18.1).
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE or as
 *   [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_channel_number (NavStunMessageBuilder  *builder,
                                             guint16                 channel,
                                             GError                **error)
{
  g_return_val_if_fail (builder != NULL, FALSE);

  if (channel < NAV_STUN_CHANNEL_NUMBER_MIN ||
      channel > NAV_STUN_CHANNEL_NUMBER_MAX)
    return nav_stun_message_builder_fail (builder, error,
                                          NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE,
                                          _("Channel number 0x%04x is outside "
                                            "0x4000-0x4FFF"), channel);
  return nav_stun_message_builder_add_uint32 (builder,
                                              NAV_STUN_ATTRIBUTE_CHANNEL_NUMBER,
                                              (guint32) channel << 16, error);
}

/**
 * nav_stun_message_builder_add_requested_transport:
 * @builder: a builder
 * @protocol: an IP protocol number (17 for UDP, 6 for TCP)
 * @error: return location for a #GError
 *
 * Appends REQUESTED-TRANSPORT (RFC 8656 §18.8).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_requested_transport (NavStunMessageBuilder  *builder,
                                                  guint8                  protocol,
                                                  GError                **error)
{
  return nav_stun_message_builder_add_uint32 (builder,
                                              NAV_STUN_ATTRIBUTE_REQUESTED_TRANSPORT,
                                              (guint32) protocol << 24, error);
}

static gboolean
nav_stun_family_code (NavStunMessageBuilder  *builder,
                      GSocketFamily           family,
                      guint8                 *code,
                      GError                **error)
{
  switch (family)
    {
    case G_SOCKET_FAMILY_IPV4:
      *code = 0x01;
      return TRUE;
    case G_SOCKET_FAMILY_IPV6:
      *code = 0x02;
      return TRUE;
    default:
      return nav_stun_message_builder_fail (builder, error,
                                            NAV_STUN_ERROR_BAD_ADDRESS_FAMILY,
                                            _("Family %d is neither IPv4 nor "
                                              "IPv6"), (gint) family);
    }
}

/**
 * nav_stun_message_builder_add_address_family:
 * @builder: a builder
 * @type: %NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY or
 *   %NAV_STUN_ATTRIBUTE_ADDITIONAL_ADDRESS_FAMILY
 * @family: %G_SOCKET_FAMILY_IPV4 or %G_SOCKET_FAMILY_IPV6
 * @error: return location for a #GError
 *
 * Appends an address-family attribute of TURN (RFC 8656 §18.6, §18.11).
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_BAD_ADDRESS_FAMILY or as
 *   [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_address_family (NavStunMessageBuilder  *builder,
                                             guint16                 type,
                                             GSocketFamily           family,
                                             GError                **error)
{
  guint8 code = 0;

  g_return_val_if_fail (builder != NULL, FALSE);

  if (!nav_stun_family_code (builder, family, &code, error))
    return FALSE;
  return nav_stun_message_builder_add_uint32 (builder, type,
                                              (guint32) code << 24, error);
}

/**
 * nav_stun_message_builder_add_even_port:
 * @builder: a builder
 * @reserve: whether the server is to reserve the next port too
 * @error: return location for a #GError
 *
 * Appends EVEN-PORT (RFC 8656 §18.7): one byte, then padding.
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_even_port (NavStunMessageBuilder  *builder,
                                        gboolean                reserve,
                                        GError                **error)
{
  guint8 value = reserve ? 0x80 : 0x00;

  return nav_stun_message_builder_add_attribute (builder,
                                                 NAV_STUN_ATTRIBUTE_EVEN_PORT,
                                                 &value, 1, error);
}

/**
 * nav_stun_message_builder_add_address_error_code:
 * @builder: a builder
 * @family: the address family the error is about
 * @code: the error code, 300 to 699
 * @reason: (nullable): the reason phrase, or %NULL for the default one
 * @error: return location for a #GError
 *
 * Appends ADDRESS-ERROR-CODE (RFC 8656 §18.12).
 *
 * Returns: %TRUE, or %FALSE with %NAV_STUN_ERROR_BAD_ADDRESS_FAMILY,
 *   %NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE or as
 *   [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_address_error_code (NavStunMessageBuilder  *builder,
                                                 GSocketFamily           family,
                                                 guint                   code,
                                                 const gchar            *reason,
                                                 GError                **error)
{
  guint8 family_code = 0;

  g_return_val_if_fail (builder != NULL, FALSE);

  if (!nav_stun_family_code (builder, family, &family_code, error))
    return FALSE;
  return nav_stun_builder_add_error_code (builder,
                                          NAV_STUN_ATTRIBUTE_ADDRESS_ERROR_CODE,
                                          family_code, code, reason, error);
}

/**
 * nav_stun_message_builder_add_icmp:
 * @builder: a builder
 * @icmp_type: the ICMP type
 * @icmp_code: the ICMP code
 * @error_data: the error data (such as the next-hop MTU)
 * @error: return location for a #GError
 *
 * Appends ICMP (RFC 8656 §18.13).
 *
 * Returns: %TRUE, or %FALSE as [method@Nav.StunMessageBuilder.add_attribute]
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_icmp (NavStunMessageBuilder  *builder,
                                   guint8                  icmp_type,
                                   guint8                  icmp_code,
                                   guint32                 error_data,
                                   GError                **error)
{
  guint8 value[8] = { 0, 0, icmp_type, icmp_code, 0, 0, 0, 0 };

  nav_stun_write32 (value + 4, error_data);
  return nav_stun_message_builder_add_attribute (builder,
                                                 NAV_STUN_ATTRIBUTE_ICMP,
                                                 value, sizeof value, error);
}
