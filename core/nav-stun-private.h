/* nav-stun-private.h: internals shared by the files of the STUN codec
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <string.h>

#include "netavanue/nav-stun-message.h"

G_BEGIN_DECLS

/* One attribute of a parsed message: where its value is in the data. */
typedef struct
{
  guint16 type;
  guint16 length;
  guint32 offset;   /* of the value, from the start of the message */
} NavStunAttributeEntry;

/* A parsed message is one allocation: this struct, then the attribute
 * index, then the unknown comprehension-required types, then a copy of
 * the bytes.  Nothing in it changes after parsing, so it can be shared
 * between threads once built. */
struct _NavStunMessage
{
  gint ref_count;
  guint16 message_type;
  guint16 n_attributes;
  guint16 n_unknown;
  gsize length;
  /* Offsets of the attribute headers, 0 when absent (0 is the header,
   * never an attribute). */
  guint32 integrity_offset;
  guint32 integrity_sha256_offset;
  guint32 fingerprint_offset;
  const NavStunAttributeEntry *attributes;
  const guint16 *unknown;
  const guint8 *data;
};

#define NAV_STUN_ATTRIBUTE_HEADER_LENGTH 4

/* Builder states: RFC 8489 §14.5–§14.7 only allow, after
 * MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 then FINGERPRINT. */
typedef enum
{
  NAV_STUN_BUILDER_OPEN,
  NAV_STUN_BUILDER_AFTER_INTEGRITY,
  NAV_STUN_BUILDER_AFTER_INTEGRITY_SHA256,
  NAV_STUN_BUILDER_AFTER_FINGERPRINT,
  NAV_STUN_BUILDER_FINISHED,
} NavStunBuilderState;

struct _NavStunMessageBuilder
{
  gint ref_count;
  NavStunBuilderState state;
  guint8 padding_byte;
  gboolean caller_buffer;
  guint8 *buffer;
  gsize length;
  gsize allocated;
  GError *error;        /* the first error of an add, returned by finish */
};

static inline guint16
nav_stun_read16 (const guint8 *p)
{
  guint16 v;

  memcpy (&v, p, sizeof v);
  return GUINT16_FROM_BE (v);
}

static inline guint32
nav_stun_read32 (const guint8 *p)
{
  guint32 v;

  memcpy (&v, p, sizeof v);
  return GUINT32_FROM_BE (v);
}

static inline guint64
nav_stun_read64 (const guint8 *p)
{
  guint64 v;

  memcpy (&v, p, sizeof v);
  return GUINT64_FROM_BE (v);
}

static inline void
nav_stun_write16 (guint8  *p,
                  guint16  v)
{
  v = GUINT16_TO_BE (v);
  memcpy (p, &v, sizeof v);
}

static inline void
nav_stun_write32 (guint8  *p,
                  guint32  v)
{
  v = GUINT32_TO_BE (v);
  memcpy (p, &v, sizeof v);
}

static inline void
nav_stun_write64 (guint8  *p,
                  guint64  v)
{
  v = GUINT64_TO_BE (v);
  memcpy (p, &v, sizeof v);
}

static inline gsize
nav_stun_padded (gsize length)
{
  return (length + 3) & ~(gsize) 3;
}

/* The codec's functions that nothing outside the library uses but its
 * tests: not exported, so not part of the public API.  The tests of the
 * codec link the core's static internal library to reach them
 * (netavanue_static_internal_dep in core/meson.build).  A module that
 * needs one moves it back to <netavanue/nav-stun-message.h> with
 * NAV_AVAILABLE_IN_ALL. */

/* Message types (RFC 8489 §5) */
guint16        nav_stun_message_type_encode                (NavStunClass   klass,
                                                            guint          method);
NavStunClass   nav_stun_message_type_get_class             (guint16        message_type);
guint          nav_stun_message_type_get_method            (guint16        message_type);

/* Errors */
const guint16 *nav_stun_error_get_unknown_attributes       (const GError  *error,
                                                            gsize         *n_attributes);

/* Parsed messages: raw and generic access */
const guint8   *nav_stun_message_get_data                  (const NavStunMessage *message,
                                                            gsize                *length);
GBytes         *nav_stun_message_get_bytes                 (NavStunMessage       *message);
guint           nav_stun_message_get_n_attributes          (const NavStunMessage *message);
const guint8   *nav_stun_message_get_attribute_nth         (const NavStunMessage *message,
                                                            guint                 index_,
                                                            guint16              *type,
                                                            gsize                *length);
GBytes         *nav_stun_message_dup_attribute_bytes       (NavStunMessage       *message,
                                                            guint16               type);
gchar          *nav_stun_message_get_string                (const NavStunMessage *message,
                                                            guint16               type,
                                                            GError              **error);
gboolean        nav_stun_message_get_address_nth           (const NavStunMessage *message,
                                                            guint                 index_,
                                                            NavAddress           *address,
                                                            GError              **error);

/* Parsed messages: typed getters */
gchar          *nav_stun_message_get_alternate_domain      (const NavStunMessage *message,
                                                            GError              **error);
const guint8   *nav_stun_message_get_userhash              (const NavStunMessage *message,
                                                            GError              **error);
gboolean        nav_stun_message_get_channel_number        (const NavStunMessage *message,
                                                            guint16              *channel,
                                                            GError              **error);
gboolean        nav_stun_message_get_icmp                  (const NavStunMessage *message,
                                                            guint8               *icmp_type,
                                                            guint8               *icmp_code,
                                                            guint32              *error_data,
                                                            GError              **error);

/* Builders */
void            nav_stun_message_builder_set_padding_byte  (NavStunMessageBuilder *builder,
                                                            guint8                 padding_byte);
const guint8   *nav_stun_message_builder_peek_data         (NavStunMessageBuilder *builder,
                                                            gsize                 *length);
gboolean        nav_stun_message_builder_add_string        (NavStunMessageBuilder *builder,
                                                            guint16                type,
                                                            const gchar           *value,
                                                            GError               **error);
gboolean        nav_stun_message_builder_add_alternate_domain (NavStunMessageBuilder *builder,
                                                               const gchar           *domain,
                                                               GError               **error);
gboolean        nav_stun_message_builder_add_userhash      (NavStunMessageBuilder *builder,
                                                            const guint8          *userhash,
                                                            GError               **error);
gboolean        nav_stun_message_builder_add_alternate_server (NavStunMessageBuilder *builder,
                                                               const NavAddress      *address,
                                                               GError               **error);
gboolean        nav_stun_message_builder_add_response_port (NavStunMessageBuilder *builder,
                                                            guint16                port,
                                                            GError               **error);
gboolean        nav_stun_message_builder_add_padding       (NavStunMessageBuilder *builder,
                                                            gsize                  length,
                                                            GError               **error);
gboolean        nav_stun_message_builder_add_even_port     (NavStunMessageBuilder *builder,
                                                            gboolean               reserve,
                                                            GError               **error);
gboolean        nav_stun_message_builder_add_icmp          (NavStunMessageBuilder *builder,
                                                            guint8                 icmp_type,
                                                            guint8                 icmp_code,
                                                            guint32                error_data,
                                                            GError               **error);

/* Userhash and fingerprint */
GBytes         *nav_stun_compute_userhash                  (const gchar              *username,
                                                            const gchar              *realm,
                                                            GError                  **error);
guint32         nav_stun_compute_fingerprint               (const guint8             *data,
                                                            gsize                     length);

/* TURN ChannelData */
gssize          nav_stun_channel_data_peek_length          (const guint8  *data,
                                                            gsize          length,
                                                            gboolean       padded);
gsize           nav_stun_channel_data_write                (guint8        *buffer,
                                                            gsize          buffer_size,
                                                            guint16        channel,
                                                            const guint8  *payload,
                                                            gsize          payload_length,
                                                            gboolean       padded);

/* nav-stun-message.c */
const NavStunAttributeEntry *nav_stun_message_find_entry (const NavStunMessage *message,
                                                          guint16               type,
                                                          GError              **error);
gboolean nav_stun_message_builder_check_open (NavStunMessageBuilder *builder,
                                              GError               **error);
gboolean nav_stun_message_builder_fail       (NavStunMessageBuilder *builder,
                                              GError               **error,
                                              gint                   code,
                                              const gchar           *format,
                                              ...) G_GNUC_PRINTF (4, 5);
guint8  *nav_stun_message_builder_reserve    (NavStunMessageBuilder *builder,
                                              guint16                type,
                                              gsize                  length,
                                              GError               **error);

/* nav-stun-attributes.c */
gboolean nav_stun_attribute_type_is_known (guint16 type);

/* nav-stun-crypto.c */
guint32 nav_stun_crc32 (const guint8 *data,
                        gsize         length);
void    nav_stun_hmac_sha1 (const guint8 *key,
                            gsize         key_length,
                            const guint8 *header,
                            const guint8 *body,
                            gsize         body_length,
                            guint8       *digest);
void    nav_stun_hmac_sha256 (const guint8 *key,
                              gsize         key_length,
                              const guint8 *header,
                              const guint8 *body,
                              gsize         body_length,
                              guint8       *digest);
gboolean nav_stun_memeq_secure (const guint8 *a,
                                const guint8 *b,
                                gsize         length);
gboolean nav_stun_random_nonce (guint8 *buffer,
                                gsize   length);

G_END_DECLS
