/* nav-stun-message.c: STUN message parsing and building (RFC 8489)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Over 1,500 lines because a third of it is the gi-docgen documentation
 * of the message API (58 functions); the code is the header, the
 * attribute walk with its bounds checks, and the building of messages.
 * Attribute values are in nav-stun-attributes.c, integrity and
 * fingerprint in nav-stun-crypto.c.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "netavanue/netavanue.h"
#include "nav-stun-private.h"

/* The error domain carries, for NAV_STUN_ERROR_UNKNOWN_REQUIRED_ATTRIBUTES,
 * the list of attribute types a server puts in the UNKNOWN-ATTRIBUTES of
 * its 420 response (RFC 8489 §14.13), so it is an extended GError domain.
 * G_DEFINE_EXTENDED_ERROR would name the quark "NavStunError"; it is
 * registered by hand as "nav-stun-error-quark", the name G_DEFINE_QUARK
 * gives the other domains and that GObject Introspection expects. */
typedef struct
{
  guint16 *unknown;
  gsize n_unknown;
} NavStunErrorPrivate;

/* Private data sits before the GError, aligned as in gtype.c */
static inline NavStunErrorPrivate *
nav_stun_error_get_private (const GError *error)
{
  const gsize sa = 2 * sizeof (gsize);
  const gsize as = (sizeof (NavStunErrorPrivate) + (sa - 1)) & -sa;

  return (NavStunErrorPrivate *) (((guint8 *) error) - as);
}

static void
nav_stun_error_private_init (GError *error)
{
  NavStunErrorPrivate *priv = nav_stun_error_get_private (error);

  priv->unknown = NULL;
  priv->n_unknown = 0;
}

static void
nav_stun_error_private_copy (const GError *src_error,
                             GError       *dest_error)
{
  const NavStunErrorPrivate *src = nav_stun_error_get_private (src_error);
  NavStunErrorPrivate *dest = nav_stun_error_get_private (dest_error);

  dest->unknown = src->n_unknown > 0
    ? g_memdup2 (src->unknown, src->n_unknown * sizeof (guint16)) : NULL;
  dest->n_unknown = src->n_unknown;
}

static void
nav_stun_error_private_clear (GError *error)
{
  NavStunErrorPrivate *priv = nav_stun_error_get_private (error);

  g_clear_pointer (&priv->unknown, g_free);
  priv->n_unknown = 0;
}

GQuark
nav_stun_error_quark (void)
{
  static GQuark quark;
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      quark = g_error_domain_register_static ("nav-stun-error-quark",
                                              sizeof (NavStunErrorPrivate),
                                              nav_stun_error_private_init,
                                              nav_stun_error_private_copy,
                                              nav_stun_error_private_clear);
      g_once_init_leave (&initialized, 1);
    }
  return quark;
}

/**
 * nav_stun_error_get_unknown_attributes:
 * @error: an error
 * @n_attributes: (out): return location for the number of attributes
 *
 * Gets the unknown comprehension-required attribute types of an error
 * with the code %NAV_STUN_ERROR_UNKNOWN_REQUIRED_ATTRIBUTES, in the order
 * of the message, for the UNKNOWN-ATTRIBUTES of a 420 response (see
 * [method@Nav.StunMessageBuilder.add_unknown_attributes]).
 *
 * Returns: (array length=n_attributes) (transfer none) (nullable): the
 *   attribute types, owned by @error; %NULL (and 0) for any other error
 *
 * Since: 1.0
 */
const guint16 *
nav_stun_error_get_unknown_attributes (const GError *error,
                                       gsize        *n_attributes)
{
  NavStunErrorPrivate *priv;

  g_return_val_if_fail (error != NULL, NULL);
  g_return_val_if_fail (n_attributes != NULL, NULL);

  *n_attributes = 0;
  if (!g_error_matches (error, NAV_STUN_ERROR,
                        NAV_STUN_ERROR_UNKNOWN_REQUIRED_ATTRIBUTES))
    return NULL;
  priv = nav_stun_error_get_private (error);
  *n_attributes = priv->n_unknown;
  return priv->unknown;
}

/**
 * nav_stun_message_type_encode:
 * @klass: the class
 * @method: the method, 0 to 0xFFF (a [enum@Nav.StunMethod] or another)
 *
 * Encodes the 14-bit message type of the header: the class bits C1 C0 are
 * interleaved with the method bits M11–M0 as M11–M7 C1 M6–M4 C0 M3–M0
 * (RFC 8489 §5).
 *
 * Returns: the message type
 *
 * Since: 1.0
 */
guint16
nav_stun_message_type_encode (NavStunClass klass,
                              guint        method)
{
  return (guint16) ((method & 0x000F) |
                    ((method & 0x0070) << 1) |
                    ((method & 0x0F80) << 2) |
                    ((klass & 0x1) << 4) |
                    ((klass & 0x2) << 7));
}

/**
 * nav_stun_message_type_get_class:
 * @message_type: a message type, as in the first 16 bits of the header
 *
 * Returns: the class encoded in @message_type
 *
 * Since: 1.0
 */
NavStunClass
nav_stun_message_type_get_class (guint16 message_type)
{
  return (NavStunClass) (((message_type >> 4) & 0x1) |
                         ((message_type >> 7) & 0x2));
}

/**
 * nav_stun_message_type_get_method:
 * @message_type: a message type, as in the first 16 bits of the header
 *
 * Returns: the 12-bit method encoded in @message_type
 *
 * Since: 1.0
 */
guint
nav_stun_message_type_get_method (guint16 message_type)
{
  return (message_type & 0x000F) |
         ((message_type >> 1) & 0x0070) |
         ((message_type >> 2) & 0x0F80);
}

/**
 * nav_stun_message_is_stun:
 * @data: (array length=length): a datagram
 * @length: the size of @data
 *
 * Tells cheaply whether a datagram is a STUN message, to demultiplex STUN
 * from DTLS, RTP and TURN ChannelData arriving on one socket (RFC 7983):
 * the two leading bits are zero, the magic cookie is there and the length
 * field is a multiple of 4 that matches the datagram.  The attributes are
 * not looked at; [func@Nav.StunMessage.parse] does that.
 *
 * Returns: whether @data looks like a STUN message
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_is_stun (const guint8 *data,
                          gsize         length)
{
  guint16 body;

  if (data == NULL || length < NAV_STUN_HEADER_LENGTH)
    return FALSE;
  if ((data[0] & 0xC0) != 0)
    return FALSE;
  if (nav_stun_read32 (data + 4) != NAV_STUN_MAGIC_COOKIE)
    return FALSE;
  body = nav_stun_read16 (data + 2);
  return (body & 3) == 0 && (gsize) body + NAV_STUN_HEADER_LENGTH == length;
}

/**
 * nav_stun_message_peek_length:
 * @data: (array length=length): the start of a byte stream
 * @length: how many bytes of the stream are available
 *
 * Finds the size of the STUN message at the start of a byte stream, for
 * framing STUN over TCP or TLS (RFC 8489 §6.2.2): a message's size is 20
 * plus its length field.  4 bytes are enough to know the size; from 8 bytes
 * on the magic cookie is checked too.
 *
 * Returns: the size of the whole message in bytes, 0 when fewer than 4
 *   bytes are available, or -1 when the stream does not start with a
 *   STUN message
 *
 * Since: 1.0
 */
gssize
nav_stun_message_peek_length (const guint8 *data,
                              gsize         length)
{
  guint16 body;

  if (data == NULL || length < 4)
    return 0;
  if ((data[0] & 0xC0) != 0)
    return -1;
  body = nav_stun_read16 (data + 2);
  if ((body & 3) != 0)
    return -1;
  if (length >= 8 && nav_stun_read32 (data + 4) != NAV_STUN_MAGIC_COOKIE)
    return -1;
  return (gssize) body + NAV_STUN_HEADER_LENGTH;
}

/**
 * nav_stun_message_peek_type:
 * @data: (array length=length): a datagram
 * @length: the size of @data
 * @klass: (out) (optional): return location for the class
 * @method: (out) (optional): return location for the method
 *
 * Reads the class and method of a message without parsing it, for
 * instance to answer a request that [func@Nav.StunMessage.parse] rejects
 * with a 400 error response.  Only the header is checked.
 *
 * Returns: %FALSE when @data does not start with a STUN header (with the
 *   magic cookie)
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_peek_type (const guint8 *data,
                            gsize         length,
                            NavStunClass *klass,
                            guint        *method)
{
  guint16 type;

  if (data == NULL || length < NAV_STUN_HEADER_LENGTH ||
      (data[0] & 0xC0) != 0 ||
      nav_stun_read32 (data + 4) != NAV_STUN_MAGIC_COOKIE)
    return FALSE;
  type = nav_stun_read16 (data);
  if (klass != NULL)
    *klass = nav_stun_message_type_get_class (type);
  if (method != NULL)
    *method = nav_stun_message_type_get_method (type);
  return TRUE;
}

/* NavStunMessage */

G_DEFINE_BOXED_TYPE (NavStunMessage, nav_stun_message,
                     nav_stun_message_ref, nav_stun_message_unref)

typedef struct
{
  guint n_attributes;
  guint n_unknown;
  guint32 integrity_offset;
  guint32 integrity_sha256_offset;
  guint32 fingerprint_offset;
} NavStunScan;

/* Walks the attributes of a message whose header has been checked.  The
 * first walk (entries == NULL) validates and counts; the second fills the
 * index of the new message and cannot fail. */
static gboolean
nav_stun_scan_attributes (const guint8          *data,
                          gsize                  end,
                          NavStunScan           *scan,
                          NavStunAttributeEntry *entries,
                          guint16               *unknown,
                          GError               **error)
{
  NavStunBuilderState state = NAV_STUN_BUILDER_OPEN;
  gsize offset = NAV_STUN_HEADER_LENGTH;
  gboolean validate = entries == NULL;

  memset (scan, 0, sizeof *scan);

  while (offset < end)
    {
      guint16 type, length;
      gsize padded;
      gboolean keep;

      if (end - offset < NAV_STUN_ATTRIBUTE_HEADER_LENGTH)
        {
          g_set_error (error, NAV_STUN_ERROR,
                       NAV_STUN_ERROR_BAD_ATTRIBUTE_LENGTH,
                       _("Attribute header at offset %lu"
                         " runs past the end of the message"),
                       (gulong) offset);
          return FALSE;
        }
      type = nav_stun_read16 (data + offset);
      length = nav_stun_read16 (data + offset + 2);
      padded = nav_stun_padded (length);
      if (padded > end - offset - NAV_STUN_ATTRIBUTE_HEADER_LENGTH)
        {
          g_set_error (error, NAV_STUN_ERROR,
                       NAV_STUN_ERROR_BAD_ATTRIBUTE_LENGTH,
                       _("Attribute 0x%04x at offset %lu"
                         " (%u bytes) runs past the end of the message"),
                       type, (gulong) offset, length);
          return FALSE;
        }

      if (type == NAV_STUN_ATTRIBUTE_FINGERPRINT)
        {
          /* RFC 8489 §14.7: FINGERPRINT is the last attribute; it covers
           * everything before it, the length field included as it is. */
          if (validate)
            {
              if (offset + NAV_STUN_ATTRIBUTE_HEADER_LENGTH + padded != end)
                {
                  g_set_error_literal (error, NAV_STUN_ERROR,
                                       NAV_STUN_ERROR_FINGERPRINT_NOT_LAST,
                                       _("An attribute follows FINGERPRINT"));
                  return FALSE;
                }
              if (length != 4 ||
                  nav_stun_read32 (data + offset + 4) !=
                  (nav_stun_crc32 (data, offset) ^ NAV_STUN_FINGERPRINT_XOR))
                {
                  g_set_error_literal (error, NAV_STUN_ERROR,
                                       NAV_STUN_ERROR_BAD_FINGERPRINT,
                                       _("FINGERPRINT does not match the message"));
                  return FALSE;
                }
            }
          scan->fingerprint_offset = (guint32) offset;
          keep = TRUE;
        }
      else if (state == NAV_STUN_BUILDER_AFTER_INTEGRITY_SHA256)
        {
          /* RFC 8489 §14.6: only FINGERPRINT may follow
           * MESSAGE-INTEGRITY-SHA256; anything else is ignored. */
          keep = FALSE;
        }
      else if (type == NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256)
        {
          /* §14.6: 16 to 32 bytes, a multiple of 4 */
          if (validate && (length < 16 || length > 32 || (length & 3) != 0))
            {
              g_set_error (error, NAV_STUN_ERROR,
                           NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE,
                           _("MESSAGE-INTEGRITY-SHA256 has %u bytes"), length);
              return FALSE;
            }
          scan->integrity_sha256_offset = (guint32) offset;
          state = NAV_STUN_BUILDER_AFTER_INTEGRITY_SHA256;
          keep = TRUE;
        }
      else if (state == NAV_STUN_BUILDER_AFTER_INTEGRITY)
        {
          /* RFC 8489 §14.5: attributes after MESSAGE-INTEGRITY other than
           * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are ignored. */
          keep = FALSE;
        }
      else if (type == NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY)
        {
          if (validate && length != NAV_STUN_MESSAGE_INTEGRITY_LENGTH)
            {
              g_set_error (error, NAV_STUN_ERROR,
                           NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE,
                           _("MESSAGE-INTEGRITY has %u bytes"), length);
              return FALSE;
            }
          scan->integrity_offset = (guint32) offset;
          state = NAV_STUN_BUILDER_AFTER_INTEGRITY;
          keep = TRUE;
        }
      else
        {
          keep = TRUE;
          if (type < 0x8000 && !nav_stun_attribute_type_is_known (type))
            {
              if (unknown != NULL)
                unknown[scan->n_unknown] = type;
              scan->n_unknown++;
            }
        }

      if (keep)
        {
          if (entries != NULL)
            {
              NavStunAttributeEntry *e = &entries[scan->n_attributes];

              e->type = type;
              e->length = length;
              e->offset = (guint32) (offset + NAV_STUN_ATTRIBUTE_HEADER_LENGTH);
            }
          scan->n_attributes++;
        }

      offset += NAV_STUN_ATTRIBUTE_HEADER_LENGTH + padded;
    }

  return TRUE;
}

static void
nav_stun_set_unknown_error (GError        **error,
                            const guint16  *unknown,
                            guint           n_unknown)
{
  GString *list;
  GError *e;
  NavStunErrorPrivate *priv;
  guint i;

  if (error == NULL)
    return;

  list = g_string_new (NULL);
  for (i = 0; i < n_unknown; i++)
    g_string_append_printf (list, "%s0x%04x", i > 0 ? ", " : "", unknown[i]);
  e = g_error_new (NAV_STUN_ERROR, NAV_STUN_ERROR_UNKNOWN_REQUIRED_ATTRIBUTES,
                   _("Unknown comprehension-required attributes: %s"),
                   list->str);
  g_string_free (list, TRUE);

  priv = nav_stun_error_get_private (e);
  priv->unknown = g_memdup2 (unknown, n_unknown * sizeof (guint16));
  priv->n_unknown = n_unknown;
  g_propagate_error (error, e);
}

/**
 * nav_stun_message_parse:
 * @data: (array length=length): a datagram, or a message framed from a
 *   stream
 * @length: the size of @data
 * @error: return location for a #GError
 *
 * Parses and validates a STUN message strictly; equivalent to
 * [func@Nav.StunMessage.parse_full] with %NAV_STUN_PARSE_NONE.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with @error
 *   set in the [error@Nav.StunError] domain
 *
 * Since: 1.0
 */
NavStunMessage *
nav_stun_message_parse (const guint8  *data,
                        gsize          length,
                        GError       **error)
{
  return nav_stun_message_parse_full (data, length, NAV_STUN_PARSE_NONE, error);
}

/**
 * nav_stun_message_parse_full:
 * @data: (array length=length): a datagram, or a message framed from a
 *   stream
 * @length: the size of @data
 * @flags: parse flags
 * @error: return location for a #GError
 *
 * Parses a STUN message and validates everything that can be validated
 * without credentials (RFC 8489 §6.3): the header (leading zero bits,
 * magic cookie, a length field that is a multiple of 4 and matches
 * @length exactly), the bounds of every attribute, that FINGERPRINT, if
 * present, is last and matches, and that MESSAGE-INTEGRITY and
 * MESSAGE-INTEGRITY-SHA256 have valid sizes.  The padding bytes of
 * attributes are ignored whatever their value (RFC 8489 §14).
 *
 * Attributes after MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256
 * and FINGERPRINT, and attributes after MESSAGE-INTEGRITY-SHA256 other
 * than FINGERPRINT, are ignored (RFC 8489 §14.5, §14.6): they are not
 * found nor returned by the getters.
 *
 * Unknown comprehension-required attributes make the parse fail with
 * %NAV_STUN_ERROR_UNKNOWN_REQUIRED_ATTRIBUTES, unless @flags has
 * %NAV_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED: then the message is returned and
 * [method@Nav.StunMessage.get_unknown_required_attributes] lists them.
 *
 * Message integrity needs the key: check it with
 * [method@Nav.StunMessage.check_integrity].  The values of attributes are
 * checked when they are read, by the getters.
 *
 * The message keeps a copy of @data; parsing makes one allocation.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with @error
 *   set in the [error@Nav.StunError] domain
 *
 * Since: 1.0
 */
NavStunMessage *
nav_stun_message_parse_full (const guint8       *data,
                             gsize               length,
                             NavStunParseFlags   flags,
                             GError            **error)
{
  NavStunScan scan;
  NavStunMessage *message;
  NavStunAttributeEntry *entries;
  guint16 *unknown;
  guint8 *copy;
  gsize body, entries_size, unknown_size;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (length < NAV_STUN_HEADER_LENGTH)
    {
      g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_NOT_STUN,
                   _("%lu bytes is too short for a STUN header"),
                   (gulong) length);
      return NULL;
    }
  if ((data[0] & 0xC0) != 0)
    {
      g_set_error_literal (error, NAV_STUN_ERROR, NAV_STUN_ERROR_NOT_STUN,
                           _("The two leading bits of the message are not zero"));
      return NULL;
    }
  if (nav_stun_read32 (data + 4) != NAV_STUN_MAGIC_COOKIE)
    {
      g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_COOKIE,
                   _("Bad magic cookie 0x%08x"), nav_stun_read32 (data + 4));
      return NULL;
    }
  body = nav_stun_read16 (data + 2);
  if ((body & 3) != 0)
    {
      g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_LENGTH,
                   _("Message length %lu is not a multiple of 4"),
                   (gulong) body);
      return NULL;
    }
  if (body + NAV_STUN_HEADER_LENGTH > length)
    {
      g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_TRUNCATED,
                   _("Message length %lu but only %lu bytes after the header"),
                   (gulong) body, (gulong) (length - NAV_STUN_HEADER_LENGTH));
      return NULL;
    }
  if (body + NAV_STUN_HEADER_LENGTH < length)
    {
      g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_LENGTH,
                   _("Message length %lu but %lu bytes after the header"),
                   (gulong) body, (gulong) (length - NAV_STUN_HEADER_LENGTH));
      return NULL;
    }

  if (!nav_stun_scan_attributes (data, length, &scan, NULL, NULL, error))
    return NULL;

  if ((flags & NAV_STUN_PARSE_REQUIRE_FINGERPRINT) &&
      scan.fingerprint_offset == 0)
    {
      g_set_error_literal (error, NAV_STUN_ERROR, NAV_STUN_ERROR_NO_FINGERPRINT,
                           _("The message has no FINGERPRINT"));
      return NULL;
    }

  entries_size = scan.n_attributes * sizeof (NavStunAttributeEntry);
  unknown_size = scan.n_unknown * sizeof (guint16);
  message = g_malloc (sizeof (NavStunMessage) + entries_size + unknown_size +
                      length);
  entries = (NavStunAttributeEntry *) (message + 1);
  unknown = (guint16 *) ((guint8 *) entries + entries_size);
  copy = (guint8 *) unknown + unknown_size;
  memcpy (copy, data, length);
  nav_stun_scan_attributes (copy, length, &scan, entries, unknown, NULL);

  if (scan.n_unknown > 0 && !(flags & NAV_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED))
    {
      nav_stun_set_unknown_error (error, unknown, scan.n_unknown);
      g_free (message);
      return NULL;
    }

  message->ref_count = 1;
  message->message_type = nav_stun_read16 (copy);
  message->n_attributes = (guint16) scan.n_attributes;
  message->n_unknown = (guint16) scan.n_unknown;
  message->length = length;
  message->integrity_offset = scan.integrity_offset;
  message->integrity_sha256_offset = scan.integrity_sha256_offset;
  message->fingerprint_offset = scan.fingerprint_offset;
  message->attributes = entries;
  message->unknown = unknown;
  message->data = copy;
  return message;
}

/**
 * nav_stun_message_parse_bytes:
 * @bytes: a datagram
 * @flags: parse flags
 * @error: return location for a #GError
 *
 * Parses a STUN message held in a #GBytes; see
 * [func@Nav.StunMessage.parse_full].
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with @error
 *   set in the [error@Nav.StunError] domain
 *
 * Since: 1.0
 */
NavStunMessage *
nav_stun_message_parse_bytes (GBytes             *bytes,
                              NavStunParseFlags   flags,
                              GError            **error)
{
  gconstpointer data;
  gsize length;

  g_return_val_if_fail (bytes != NULL, NULL);

  data = g_bytes_get_data (bytes, &length);
  return nav_stun_message_parse_full (data, length, flags, error);
}

/**
 * nav_stun_message_ref:
 * @message: a message
 *
 * Takes a reference.  A message never changes after parsing, so
 * references may be shared between threads.
 *
 * Returns: (transfer full): @message
 *
 * Since: 1.0
 */
NavStunMessage *
nav_stun_message_ref (NavStunMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  g_atomic_int_inc (&message->ref_count);
  return message;
}

/**
 * nav_stun_message_unref:
 * @message: (transfer full): a message
 *
 * Drops a reference, freeing the message with the last one.
 *
 * Since: 1.0
 */
void
nav_stun_message_unref (NavStunMessage *message)
{
  g_return_if_fail (message != NULL);

  if (g_atomic_int_dec_and_test (&message->ref_count))
    g_free (message);
}

/**
 * nav_stun_message_get_class:
 * @message: a message
 *
 * Returns: the class of @message
 *
 * Since: 1.0
 */
NavStunClass
nav_stun_message_get_class (const NavStunMessage *message)
{
  g_return_val_if_fail (message != NULL, NAV_STUN_CLASS_REQUEST);

  return nav_stun_message_type_get_class (message->message_type);
}

/**
 * nav_stun_message_get_method:
 * @message: a message
 *
 * Returns: the 12-bit method of @message, usually a [enum@Nav.StunMethod]
 *
 * Since: 1.0
 */
guint
nav_stun_message_get_method (const NavStunMessage *message)
{
  g_return_val_if_fail (message != NULL, 0);

  return nav_stun_message_type_get_method (message->message_type);
}

/**
 * nav_stun_message_get_transaction_id:
 * @message: a message
 *
 * Returns: (array fixed-size=12) (transfer none): the 96-bit transaction
 *   ID of @message
 *
 * Since: 1.0
 */
const guint8 *
nav_stun_message_get_transaction_id (const NavStunMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  return message->data + 8;
}

/**
 * nav_stun_message_has_transaction_id:
 * @message: a message
 * @transaction_id: (array fixed-size=12): a transaction ID
 *
 * Returns: whether @message belongs to the transaction @transaction_id
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_has_transaction_id (const NavStunMessage *message,
                                     const guint8         *transaction_id)
{
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (transaction_id != NULL, FALSE);

  return memcmp (message->data + 8, transaction_id,
                 NAV_STUN_TRANSACTION_ID_LENGTH) == 0;
}

/**
 * nav_stun_message_get_data:
 * @message: a message
 * @length: (out): return location for the size of the message
 *
 * Returns: (array length=length) (transfer none): the bytes of @message,
 *   valid as long as @message is
 *
 * Since: 1.0
 */
const guint8 *
nav_stun_message_get_data (const NavStunMessage *message,
                           gsize                *length)
{
  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (length != NULL, NULL);

  *length = message->length;
  return message->data;
}

/**
 * nav_stun_message_get_bytes:
 * @message: a message
 *
 * Returns: (transfer full): the bytes of @message, without copying them
 *   (the #GBytes holds a reference on @message)
 *
 * Since: 1.0
 */
GBytes *
nav_stun_message_get_bytes (NavStunMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  return g_bytes_new_with_free_func (message->data, message->length,
                                     (GDestroyNotify) nav_stun_message_unref,
                                     nav_stun_message_ref (message));
}

/**
 * nav_stun_message_get_n_attributes:
 * @message: a message
 *
 * Gets the number of attributes, for iterating over them with
 * [method@Nav.StunMessage.get_attribute_nth].  Attributes ignored because
 * they follow message integrity (RFC 8489 §14.5) are not counted.
 *
 * Returns: the number of attributes of @message
 *
 * Since: 1.0
 */
guint
nav_stun_message_get_n_attributes (const NavStunMessage *message)
{
  g_return_val_if_fail (message != NULL, 0);

  return message->n_attributes;
}

/**
 * nav_stun_message_get_attribute_nth:
 * @message: a message
 * @index_: the index of the attribute, from 0 to
 *   [method@Nav.StunMessage.get_n_attributes] - 1, in message order
 * @type: (out) (optional): return location for the attribute type
 * @length: (out): return location for the size of the value
 *
 * Gets an attribute by its position, without copying.
 *
 * Returns: (array length=length) (transfer none): the value of the
 *   attribute (without padding), valid as long as @message is
 *
 * Since: 1.0
 */
const guint8 *
nav_stun_message_get_attribute_nth (const NavStunMessage *message,
                                    guint                 index_,
                                    guint16              *type,
                                    gsize                *length)
{
  const NavStunAttributeEntry *e;

  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (index_ < message->n_attributes, NULL);
  g_return_val_if_fail (length != NULL, NULL);

  e = &message->attributes[index_];
  if (type != NULL)
    *type = e->type;
  *length = e->length;
  return message->data + e->offset;
}

/**
 * nav_stun_message_find_attribute:
 * @message: a message
 * @type: an attribute type
 * @from_index: the index to start searching from
 *
 * Finds an attribute of type @type at or after @from_index; repeated
 * calls with the last result plus one find every attribute of that type
 * (for instance the XOR-PEER-ADDRESS attributes of a TURN
 * CreatePermission request).
 *
 * Returns: the index of the attribute, or -1 when there is none
 *
 * Since: 1.0
 */
gint
nav_stun_message_find_attribute (const NavStunMessage *message,
                                 guint16               type,
                                 guint                 from_index)
{
  guint i;

  g_return_val_if_fail (message != NULL, -1);

  for (i = from_index; i < message->n_attributes; i++)
    if (message->attributes[i].type == type)
      return (gint) i;
  return -1;
}

const NavStunAttributeEntry *
nav_stun_message_find_entry (const NavStunMessage  *message,
                             guint16                type,
                             GError               **error)
{
  guint i;

  /* RFC 8489 §14: only the first attribute of a type matters. */
  for (i = 0; i < message->n_attributes; i++)
    if (message->attributes[i].type == type)
      return &message->attributes[i];

  g_set_error (error, NAV_STUN_ERROR, NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE,
               _("The message has no attribute 0x%04x"), type);
  return NULL;
}

/**
 * nav_stun_message_has_attribute:
 * @message: a message
 * @type: an attribute type
 *
 * Returns: whether @message has an attribute of type @type; this is also
 *   how flag attributes (USE-CANDIDATE, DONT-FRAGMENT) are read
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_has_attribute (const NavStunMessage *message,
                                guint16               type)
{
  g_return_val_if_fail (message != NULL, FALSE);

  return nav_stun_message_find_entry (message, type, NULL) != NULL;
}

/**
 * nav_stun_message_get_attribute:
 * @message: a message
 * @type: an attribute type
 * @length: (out): return location for the size of the value
 *
 * Gets the value of the first attribute of type @type, without copying.
 *
 * Returns: (array length=length) (transfer none) (nullable): the value
 *   (without padding), valid as long as @message is, or %NULL when there
 *   is no such attribute (an empty value is not %NULL)
 *
 * Since: 1.0
 */
const guint8 *
nav_stun_message_get_attribute (const NavStunMessage *message,
                                guint16               type,
                                gsize                *length)
{
  const NavStunAttributeEntry *e;

  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (length != NULL, NULL);

  e = nav_stun_message_find_entry (message, type, NULL);
  if (e == NULL)
    {
      *length = 0;
      return NULL;
    }
  *length = e->length;
  return message->data + e->offset;
}

/**
 * nav_stun_message_dup_attribute_bytes:
 * @message: a message
 * @type: an attribute type
 *
 * Gets the value of the first attribute of type @type as #GBytes, for
 * instance the DATA of a TURN Data indication.
 *
 * Returns: (transfer full) (nullable): the value, sharing the memory of
 *   @message, or %NULL when there is no such attribute
 *
 * Since: 1.0
 */
GBytes *
nav_stun_message_dup_attribute_bytes (NavStunMessage *message,
                                      guint16         type)
{
  const NavStunAttributeEntry *e;

  g_return_val_if_fail (message != NULL, NULL);

  e = nav_stun_message_find_entry (message, type, NULL);
  if (e == NULL)
    return NULL;
  return g_bytes_new_with_free_func (message->data + e->offset, e->length,
                                     (GDestroyNotify) nav_stun_message_unref,
                                     nav_stun_message_ref (message));
}

/**
 * nav_stun_message_get_unknown_required_attributes:
 * @message: a message
 * @n_attributes: (out): return location for the number of attributes
 *
 * Gets the comprehension-required attributes of @message this codec does
 * not know.  Only a message parsed with
 * %NAV_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED can have any: a server answers a
 * request that has some with a 420 error response listing them
 * (RFC 8489 §6.3.1.1).
 *
 * Returns: (array length=n_attributes) (transfer none) (nullable): the
 *   attribute types, in message order
 *
 * Since: 1.0
 */
const guint16 *
nav_stun_message_get_unknown_required_attributes (const NavStunMessage *message,
                                                  gsize                *n_attributes)
{
  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (n_attributes != NULL, NULL);

  *n_attributes = message->n_unknown;
  return message->n_unknown > 0 ? message->unknown : NULL;
}

/**
 * nav_stun_message_has_message_integrity:
 * @message: a message
 *
 * Returns: whether @message has a MESSAGE-INTEGRITY attribute
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_has_message_integrity (const NavStunMessage *message)
{
  g_return_val_if_fail (message != NULL, FALSE);

  return message->integrity_offset != 0;
}

/**
 * nav_stun_message_has_message_integrity_sha256:
 * @message: a message
 *
 * Returns: whether @message has a MESSAGE-INTEGRITY-SHA256 attribute
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_has_message_integrity_sha256 (const NavStunMessage *message)
{
  g_return_val_if_fail (message != NULL, FALSE);

  return message->integrity_sha256_offset != 0;
}

/**
 * nav_stun_message_has_fingerprint:
 * @message: a message
 *
 * Returns: whether @message has a FINGERPRINT attribute (parsing has
 *   checked it)
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_has_fingerprint (const NavStunMessage *message)
{
  g_return_val_if_fail (message != NULL, FALSE);

  return message->fingerprint_offset != 0;
}

/* NavStunMessageBuilder */

G_DEFINE_BOXED_TYPE (NavStunMessageBuilder, nav_stun_message_builder,
                     nav_stun_message_builder_ref,
                     nav_stun_message_builder_unref)

#define NAV_STUN_BUILDER_INITIAL_SIZE 256

static NavStunMessageBuilder *
nav_stun_message_builder_init (NavStunMessageBuilder *builder,
                               NavStunClass           klass,
                               guint                  method,
                               const guint8          *transaction_id)
{
  guint8 *h = builder->buffer;

  builder->ref_count = 1;
  builder->state = NAV_STUN_BUILDER_OPEN;
  builder->length = NAV_STUN_HEADER_LENGTH;
  nav_stun_write16 (h, nav_stun_message_type_encode (klass, method));
  nav_stun_write16 (h + 2, 0);
  nav_stun_write32 (h + 4, NAV_STUN_MAGIC_COOKIE);
  if (transaction_id != NULL)
    {
      memcpy (h + 8, transaction_id, NAV_STUN_TRANSACTION_ID_LENGTH);
    }
  else
    {
      guint i;

      /* RFC 8489 §6: uniformly and randomly chosen.  GRand is not a
       * CSPRNG, so use GnuTLS's nonce generator. */
      if (!nav_stun_random_nonce (h + 8, NAV_STUN_TRANSACTION_ID_LENGTH))
        for (i = 0; i < NAV_STUN_TRANSACTION_ID_LENGTH; i += 4)
          nav_stun_write32 (h + 8 + i, g_random_int ());
    }
  return builder;
}

/**
 * nav_stun_message_builder_new:
 * @klass: the class of the message
 * @method: the method, 0 to 0xFFF (a [enum@Nav.StunMethod] or another)
 * @transaction_id: (array fixed-size=12) (nullable): the transaction ID,
 *   or %NULL for a new random one
 *
 * Starts building a STUN message.  Attributes are appended in the order
 * they are added, each padded to a multiple of 4 bytes; end with
 * [method@Nav.StunMessageBuilder.add_message_integrity],
 * [method@Nav.StunMessageBuilder.add_message_integrity_sha256] and
 * [method@Nav.StunMessageBuilder.add_fingerprint] as needed, in that
 * order, then [method@Nav.StunMessageBuilder.finish].
 *
 * The first failing add (for instance a string over its RFC limit) makes
 * finish fail too, so a message never silently lacks an attribute.
 *
 * Returns: (transfer full): a new builder
 *
 * Since: 1.0
 */
NavStunMessageBuilder *
nav_stun_message_builder_new (NavStunClass  klass,
                              guint         method,
                              const guint8 *transaction_id)
{
  NavStunMessageBuilder *builder;

  g_return_val_if_fail (method <= 0xFFF, NULL);

  builder = g_new0 (NavStunMessageBuilder, 1);
  builder->buffer = g_malloc (NAV_STUN_BUILDER_INITIAL_SIZE);
  builder->allocated = NAV_STUN_BUILDER_INITIAL_SIZE;
  return nav_stun_message_builder_init (builder, klass, method,
                                        transaction_id);
}

/**
 * nav_stun_message_builder_new_response:
 * @request: a request
 * @klass: %NAV_STUN_CLASS_SUCCESS_RESPONSE or
 *   %NAV_STUN_CLASS_ERROR_RESPONSE
 *
 * Starts building the response to @request: same method, same
 * transaction ID.
 *
 * Returns: (transfer full): a new builder
 *
 * Since: 1.0
 */
NavStunMessageBuilder *
nav_stun_message_builder_new_response (const NavStunMessage *request,
                                       NavStunClass          klass)
{
  g_return_val_if_fail (request != NULL, NULL);

  return nav_stun_message_builder_new (klass,
                                       nav_stun_message_get_method (request),
                                       request->data + 8);
}

/**
 * nav_stun_message_builder_new_with_buffer: (skip)
 * @klass: the class of the message
 * @method: the method, 0 to 0xFFF
 * @transaction_id: (array fixed-size=12) (nullable): the transaction ID,
 *   or %NULL for a new random one
 * @buffer: (array length=buffer_size): where to write the message
 * @buffer_size: the size of @buffer, at least %NAV_STUN_HEADER_LENGTH
 *
 * Like [ctor@Nav.StunMessageBuilder.new], but writes the message straight
 * into @buffer, which must stay valid until the builder is finished: for
 * servers that answer from a preallocated buffer.  An attribute that does
 * not fit fails with %NAV_STUN_ERROR_TOO_LARGE.  End with
 * [method@Nav.StunMessageBuilder.finish_to_buffer].
 *
 * Returns: (transfer full): a new builder
 *
 * Since: 1.0
 */
NavStunMessageBuilder *
nav_stun_message_builder_new_with_buffer (NavStunClass  klass,
                                          guint         method,
                                          const guint8 *transaction_id,
                                          guint8       *buffer,
                                          gsize         buffer_size)
{
  NavStunMessageBuilder *builder;

  g_return_val_if_fail (method <= 0xFFF, NULL);
  g_return_val_if_fail (buffer != NULL, NULL);
  g_return_val_if_fail (buffer_size >= NAV_STUN_HEADER_LENGTH, NULL);

  builder = g_new0 (NavStunMessageBuilder, 1);
  builder->buffer = buffer;
  builder->allocated = MIN (buffer_size, NAV_STUN_MAX_MESSAGE_LENGTH);
  builder->caller_buffer = TRUE;
  return nav_stun_message_builder_init (builder, klass, method,
                                        transaction_id);
}

/**
 * nav_stun_message_builder_ref:
 * @builder: a builder
 *
 * Returns: (transfer full): @builder
 *
 * Since: 1.0
 */
NavStunMessageBuilder *
nav_stun_message_builder_ref (NavStunMessageBuilder *builder)
{
  g_return_val_if_fail (builder != NULL, NULL);

  g_atomic_int_inc (&builder->ref_count);
  return builder;
}

/**
 * nav_stun_message_builder_unref:
 * @builder: (transfer full): a builder
 *
 * Drops a reference, freeing the builder with the last one.
 *
 * Since: 1.0
 */
void
nav_stun_message_builder_unref (NavStunMessageBuilder *builder)
{
  g_return_if_fail (builder != NULL);

  if (!g_atomic_int_dec_and_test (&builder->ref_count))
    return;
  if (!builder->caller_buffer)
    g_free (builder->buffer);
  g_clear_error (&builder->error);
  g_free (builder);
}

/**
 * nav_stun_message_builder_set_padding_byte:
 * @builder: a builder
 * @padding_byte: the value of padding bytes
 *
 * Sets the value of the bytes that pad attributes to a multiple of 4
 * bytes, 0 by default.  Receivers ignore them (RFC 8489 §14); this exists
 * to reproduce messages byte for byte, such as the RFC 5769 test vectors
 * that pad with spaces.
 *
 * Since: 1.0
 */
void
nav_stun_message_builder_set_padding_byte (NavStunMessageBuilder *builder,
                                           guint8                 padding_byte)
{
  g_return_if_fail (builder != NULL);

  builder->padding_byte = padding_byte;
}

/**
 * nav_stun_message_builder_get_transaction_id:
 * @builder: a builder
 *
 * Returns: (array fixed-size=12) (transfer none): the transaction ID of
 *   the message being built
 *
 * Since: 1.0
 */
const guint8 *
nav_stun_message_builder_get_transaction_id (NavStunMessageBuilder *builder)
{
  g_return_val_if_fail (builder != NULL, NULL);
  g_return_val_if_fail (builder->state != NAV_STUN_BUILDER_FINISHED ||
                        builder->caller_buffer, NULL);

  return builder->buffer + 8;
}

/**
 * nav_stun_message_builder_peek_data:
 * @builder: a builder
 * @length: (out): return location for the current size of the message
 *
 * Gets the message as built so far (its length field is always up to
 * date), without copying.
 *
 * Returns: (array length=length) (transfer none): the bytes, valid until
 *   the next change to @builder
 *
 * Since: 1.0
 */
const guint8 *
nav_stun_message_builder_peek_data (NavStunMessageBuilder *builder,
                                    gsize                 *length)
{
  g_return_val_if_fail (builder != NULL, NULL);
  g_return_val_if_fail (length != NULL, NULL);
  g_return_val_if_fail (builder->state != NAV_STUN_BUILDER_FINISHED ||
                        builder->caller_buffer, NULL);

  *length = builder->length;
  return builder->buffer;
}

gboolean
nav_stun_message_builder_fail (NavStunMessageBuilder  *builder,
                               GError                **error,
                               gint                    code,
                               const gchar            *format,
                               ...)
{
  GError *e;
  va_list args;

  va_start (args, format);
  e = g_error_new_valist (NAV_STUN_ERROR, code, format, args);
  va_end (args);

  if (builder->error == NULL && builder->state != NAV_STUN_BUILDER_FINISHED)
    builder->error = g_error_copy (e);
  g_propagate_error (error, e);
  return FALSE;
}

gboolean
nav_stun_message_builder_check_open (NavStunMessageBuilder  *builder,
                                     GError                **error)
{
  if (builder->state == NAV_STUN_BUILDER_OPEN)
    return TRUE;
  return nav_stun_message_builder_fail (builder, error,
                                        NAV_STUN_ERROR_BAD_STATE,
                                        builder->state == NAV_STUN_BUILDER_FINISHED
                                        ? _("The message is already finished")
                                        : _("No attribute may follow message "
                                            "integrity or FINGERPRINT"));
}

/* Appends an attribute header and room for a value of @length bytes,
 * padding included; returns where the value goes.  The padding is
 * written here, the value by the caller. */
guint8 *
nav_stun_message_builder_reserve (NavStunMessageBuilder  *builder,
                                  guint16                 type,
                                  gsize                   length,
                                  GError                **error)
{
  gsize padded, needed;
  guint8 *p;

  if (builder->state == NAV_STUN_BUILDER_FINISHED)
    {
      nav_stun_message_builder_fail (builder, error, NAV_STUN_ERROR_BAD_STATE,
                                     _("The message is already finished"));
      return NULL;
    }

  padded = nav_stun_padded (length);
  if (length > G_MAXUINT16 ||
      padded + NAV_STUN_ATTRIBUTE_HEADER_LENGTH >
      NAV_STUN_MAX_MESSAGE_LENGTH - builder->length)
    {
      nav_stun_message_builder_fail (builder, error, NAV_STUN_ERROR_TOO_LARGE,
                                     _("Attribute 0x%04x of %lu"
                                       " bytes makes the message too large"),
                                     type, (gulong) length);
      return NULL;
    }
  needed = builder->length + NAV_STUN_ATTRIBUTE_HEADER_LENGTH + padded;
  if (needed > builder->allocated)
    {
      if (builder->caller_buffer)
        {
          nav_stun_message_builder_fail (builder, error,
                                         NAV_STUN_ERROR_TOO_LARGE,
                                         _("Attribute 0x%04x of %lu"
                                           " bytes does not fit in the buffer"),
                                         type, (gulong) length);
          return NULL;
        }
      builder->allocated = MAX (needed, builder->allocated * 2);
      builder->buffer = g_realloc (builder->buffer, builder->allocated);
    }

  p = builder->buffer + builder->length;
  nav_stun_write16 (p, type);
  nav_stun_write16 (p + 2, (guint16) length);
  memset (p + NAV_STUN_ATTRIBUTE_HEADER_LENGTH + length,
          builder->padding_byte, padded - length);
  builder->length = needed;
  nav_stun_write16 (builder->buffer + 2,
                    (guint16) (builder->length - NAV_STUN_HEADER_LENGTH));
  return p + NAV_STUN_ATTRIBUTE_HEADER_LENGTH;
}

static gboolean
nav_stun_message_builder_take_error (NavStunMessageBuilder  *builder,
                                     GError                **error)
{
  if (builder->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&builder->error));
      builder->state = NAV_STUN_BUILDER_FINISHED;
      return FALSE;
    }
  if (builder->state == NAV_STUN_BUILDER_FINISHED)
    {
      g_set_error_literal (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_STATE,
                           _("The message is already finished"));
      return FALSE;
    }
  builder->state = NAV_STUN_BUILDER_FINISHED;
  return TRUE;
}

/**
 * nav_stun_message_builder_finish:
 * @builder: a builder made with [ctor@Nav.StunMessageBuilder.new] or
 *   [ctor@Nav.StunMessageBuilder.new_response]
 * @error: return location for a #GError
 *
 * Ends the message and hands its bytes over, without copying.  Nothing
 * can be added afterwards.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with the
 *   error of the first add that failed
 *
 * Since: 1.0
 */
GBytes *
nav_stun_message_builder_finish (NavStunMessageBuilder  *builder,
                                 GError                **error)
{
  guint8 *data;

  g_return_val_if_fail (builder != NULL, NULL);
  g_return_val_if_fail (!builder->caller_buffer, NULL);

  if (!nav_stun_message_builder_take_error (builder, error))
    return NULL;
  data = g_steal_pointer (&builder->buffer);
  builder->allocated = 0;
  return g_bytes_new_take (g_realloc (data, builder->length), builder->length);
}

/**
 * nav_stun_message_builder_finish_to_buffer:
 * @builder: a builder made with
 *   [ctor@Nav.StunMessageBuilder.new_with_buffer]
 * @error: return location for a #GError
 *
 * Ends the message written into the caller's buffer.
 *
 * Returns: the size of the message in the buffer, or 0 with the error of
 *   the first add that failed
 *
 * Since: 1.0
 */
gsize
nav_stun_message_builder_finish_to_buffer (NavStunMessageBuilder  *builder,
                                           GError                **error)
{
  g_return_val_if_fail (builder != NULL, 0);
  g_return_val_if_fail (builder->caller_buffer, 0);

  if (!nav_stun_message_builder_take_error (builder, error))
    return 0;
  return builder->length;
}

/**
 * nav_stun_message_builder_add_attribute:
 * @builder: a builder
 * @type: the attribute type
 * @value: (array length=length) (nullable): the value
 * @length: the size of @value, at most 65535 (and the whole message at
 *   most %NAV_STUN_MAX_MESSAGE_LENGTH)
 * @error: return location for a #GError
 *
 * Appends an attribute with a raw value, then padding.  Use the typed
 * adders for MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT,
 * which must come last.
 *
 * Returns: %TRUE, or %FALSE with @error set to %NAV_STUN_ERROR_TOO_LARGE
 *   or %NAV_STUN_ERROR_BAD_STATE
 *
 * Since: 1.0
 */
gboolean
nav_stun_message_builder_add_attribute (NavStunMessageBuilder  *builder,
                                        guint16                 type,
                                        const guint8           *value,
                                        gsize                   length,
                                        GError                **error)
{
  guint8 *p;

  g_return_val_if_fail (builder != NULL, FALSE);
  g_return_val_if_fail (value != NULL || length == 0, FALSE);

  if (!nav_stun_message_builder_check_open (builder, error))
    return FALSE;
  p = nav_stun_message_builder_reserve (builder, type, length, error);
  if (p == NULL)
    return FALSE;
  if (length > 0)
    memcpy (p, value, length);
  return TRUE;
}

/* TURN ChannelData (RFC 8656 §12.4): a 16-bit channel number, a 16-bit
 * payload length, the payload; over TCP and TLS, padding to a multiple of
 * 4 bytes that the length does not count. */

static inline gboolean
nav_stun_is_channel_number (guint16 channel)
{
  return channel >= NAV_STUN_CHANNEL_NUMBER_MIN &&
         channel <= NAV_STUN_CHANNEL_NUMBER_MAX;
}

/**
 * nav_stun_channel_data_is_channel_data:
 * @data: (array length=length): a datagram
 * @length: the size of @data
 *
 * Tells cheaply whether a datagram is a TURN ChannelData message: a
 * channel number within 0x4000–0x4FFF and a length field that fits in
 * @length (a datagram may carry padding after the payload).
 *
 * Returns: whether @data is a ChannelData message
 *
 * Since: 1.0
 */
gboolean
nav_stun_channel_data_is_channel_data (const guint8 *data,
                                       gsize         length)
{
  if (data == NULL || length < NAV_STUN_CHANNEL_DATA_HEADER_LENGTH)
    return FALSE;
  return nav_stun_is_channel_number (nav_stun_read16 (data)) &&
         (gsize) nav_stun_read16 (data + 2) +
         NAV_STUN_CHANNEL_DATA_HEADER_LENGTH <= length;
}

/**
 * nav_stun_channel_data_peek_length:
 * @data: (array length=length): the start of a byte stream
 * @length: how many bytes of the stream are available
 * @padded: whether the framing pads messages to 4 bytes (TCP and TLS)
 *
 * Finds the size of the ChannelData message at the start of a byte
 * stream, padding included when @padded, for framing TURN over TCP.
 *
 * Returns: the size of the frame, 0 when fewer than 4 bytes are
 *   available, or -1 when the stream does not start with a ChannelData
 *   message
 *
 * Since: 1.0
 */
gssize
nav_stun_channel_data_peek_length (const guint8 *data,
                                   gsize         length,
                                   gboolean      padded)
{
  gsize payload;

  if (data == NULL || length < NAV_STUN_CHANNEL_DATA_HEADER_LENGTH)
    return 0;
  if (!nav_stun_is_channel_number (nav_stun_read16 (data)))
    return -1;
  payload = nav_stun_read16 (data + 2);
  if (padded)
    payload = nav_stun_padded (payload);
  return (gssize) (payload + NAV_STUN_CHANNEL_DATA_HEADER_LENGTH);
}

/**
 * nav_stun_channel_data_parse:
 * @data: (array length=length): a ChannelData message
 * @length: the size of @data
 * @channel: (out) (optional): return location for the channel number
 * @payload_length: (out): return location for the size of the payload
 * @error: return location for a #GError
 *
 * Reads a ChannelData message, without copying.  Bytes after the payload
 * (padding) are ignored.
 *
 * Returns: (array length=payload_length) (transfer none) (nullable): the
 *   payload, pointing into @data, or %NULL with
 *   %NAV_STUN_ERROR_NOT_CHANNEL_DATA
 *
 * Since: 1.0
 */
const guint8 *
nav_stun_channel_data_parse (const guint8  *data,
                             gsize          length,
                             guint16       *channel,
                             gsize         *payload_length,
                             GError       **error)
{
  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (payload_length != NULL, NULL);

  *payload_length = 0;
  if (!nav_stun_channel_data_is_channel_data (data, length))
    {
      g_set_error_literal (error, NAV_STUN_ERROR,
                           NAV_STUN_ERROR_NOT_CHANNEL_DATA,
                           _("Not a ChannelData message"));
      return NULL;
    }
  if (channel != NULL)
    *channel = nav_stun_read16 (data);
  *payload_length = nav_stun_read16 (data + 2);
  return data + NAV_STUN_CHANNEL_DATA_HEADER_LENGTH;
}

/**
 * nav_stun_channel_data_write: (skip)
 * @buffer: where to write the message
 * @buffer_size: the size of @buffer
 * @channel: a channel number, 0x4000 to 0x4FFF
 * @payload: (array length=payload_length) (nullable): the payload
 * @payload_length: the size of @payload, at most 65535
 * @padded: whether to pad the message to a multiple of 4 bytes with
 *   zeros (TCP and TLS)
 *
 * Writes a ChannelData message into a caller's buffer.
 *
 * Returns: the size of the message written, or 0 when it does not fit in
 *   @buffer
 *
 * Since: 1.0
 */
gsize
nav_stun_channel_data_write (guint8       *buffer,
                             gsize         buffer_size,
                             guint16       channel,
                             const guint8 *payload,
                             gsize         payload_length,
                             gboolean      padded)
{
  gsize total;

  g_return_val_if_fail (buffer != NULL || buffer_size == 0, 0);
  g_return_val_if_fail (nav_stun_is_channel_number (channel), 0);
  g_return_val_if_fail (payload != NULL || payload_length == 0, 0);
  g_return_val_if_fail (payload_length <= G_MAXUINT16, 0);

  total = NAV_STUN_CHANNEL_DATA_HEADER_LENGTH +
          (padded ? nav_stun_padded (payload_length) : payload_length);
  if (total > buffer_size)
    return 0;
  nav_stun_write16 (buffer, channel);
  nav_stun_write16 (buffer + 2, (guint16) payload_length);
  if (payload_length > 0)
    memcpy (buffer + NAV_STUN_CHANNEL_DATA_HEADER_LENGTH, payload,
            payload_length);
  memset (buffer + NAV_STUN_CHANNEL_DATA_HEADER_LENGTH + payload_length, 0,
          total - NAV_STUN_CHANNEL_DATA_HEADER_LENGTH - payload_length);
  return total;
}

/**
 * nav_stun_channel_data_new:
 * @channel: a channel number, 0x4000 to 0x4FFF
 * @payload: (array length=payload_length) (nullable): the payload
 * @payload_length: the size of @payload, at most 65535
 * @padded: whether to pad the message to a multiple of 4 bytes (TCP and
 *   TLS)
 *
 * Builds a ChannelData message.
 *
 * Returns: (transfer full): the message
 *
 * Since: 1.0
 */
GBytes *
nav_stun_channel_data_new (guint16       channel,
                           const guint8 *payload,
                           gsize         payload_length,
                           gboolean      padded)
{
  gsize total;
  guint8 *buffer;

  g_return_val_if_fail (nav_stun_is_channel_number (channel), NULL);
  g_return_val_if_fail (payload != NULL || payload_length == 0, NULL);
  g_return_val_if_fail (payload_length <= G_MAXUINT16, NULL);

  total = NAV_STUN_CHANNEL_DATA_HEADER_LENGTH + nav_stun_padded (payload_length);
  buffer = g_malloc (total);
  total = nav_stun_channel_data_write (buffer, total, channel, payload,
                                       payload_length, padded);
  return g_bytes_new_take (buffer, total);
}
