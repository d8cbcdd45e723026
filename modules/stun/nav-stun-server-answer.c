/* nav-stun-server-answer.c: how the STUN server answers a message
 * (RFC 8489 §6.3, RFC 5780 §6, RFC 3489 clients)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-stun-server-private.h"

#include <string.h>

/* RFC 3489 §11.2.5 and §11.2.3, gone from RFC 8489: the server's address
 * and the alternate one, for RFC 3489 clients. */
#define STUN_ATTRIBUTE_SOURCE_ADDRESS 0x0004
#define STUN_ATTRIBUTE_CHANGED_ADDRESS 0x0005
/* RFC 8489 §14: type and length */
#define ATTRIBUTE_HEADER_LENGTH 4

static gboolean
in_grid (const NavStunAnswerer *self,
         const NavStunUdpSocket *via)
{
  return via != NULL && via->ip_index >= 0 && self->grid[1][1] != NULL;
}

static gsize
build_error (const NavStunAnswerer *self,
             const guint8         *request,
             guint                 method,
             gboolean              fingerprint,
             guint                 code,
             const guint16        *unknown,
             gsize                 n_unknown,
             guint8               *out,
             gsize                 out_size)
{
  g_autoptr (NavStunMessageBuilder) b = NULL;
  gsize n;

  b = nav_stun_message_builder_new_with_buffer (NAV_STUN_CLASS_ERROR_RESPONSE,
                                                method & 0xFFF, request + 8,
                                                out, out_size);
  nav_stun_message_builder_add_error_code (b, code,
                                           nav_stun_error_code_get_reason (code),
                                           NULL);
  if (n_unknown > 0)
    nav_stun_message_builder_add_unknown_attributes (b, unknown,
                                                     MIN (n_unknown, 32), NULL);
  if (self->software != NULL)
    nav_stun_message_builder_add_software (b, self->software, NULL);
  if (fingerprint)
    nav_stun_message_builder_add_fingerprint (b, NULL);
  n = nav_stun_message_builder_finish_to_buffer (b, NULL);
  if (n == 0)
    {
      NAV_STUN_COUNT (self->counters, dropped_build_failed);
      return 0;
    }
  if (code == 400)
    NAV_STUN_COUNT (self->counters, error_400);
  else if (code == 420)
    NAV_STUN_COUNT (self->counters, error_420);
  return n;
}

void
nav_stun_answerer_init (NavStunAnswerer       *self,
                        const gchar           *software,
                        NavStunServerCounters *counters)
{
  memset (self, 0, sizeof *self);
  self->software = software;
  self->counters = counters;
  if (software != NULL)
    {
      guint8 buf[NAV_STUN_SERVER_RESPONSE_SIZE];
      static const guint8 id[NAV_STUN_TRANSACTION_ID_LENGTH] = { 0 };
      g_autoptr (NavStunMessageBuilder) b = NULL;
      gsize n;

      /* Written once by the codec, copied into each answer: the same
       * bytes, checked the same way (RFC 8489 §14.14). */
      b = nav_stun_message_builder_new_with_buffer (NAV_STUN_CLASS_SUCCESS_RESPONSE,
                                                    NAV_STUN_METHOD_BINDING, id,
                                                    buf, sizeof buf);
      nav_stun_message_builder_add_software (b, software, NULL);
      n = nav_stun_message_builder_finish_to_buffer (b, NULL);
      if (n > NAV_STUN_HEADER_LENGTH)
        {
          self->software_attribute_len = n - NAV_STUN_HEADER_LENGTH;
          self->software_attribute = g_memdup2 (buf + NAV_STUN_HEADER_LENGTH,
                                                self->software_attribute_len);
        }
    }
}

void
nav_stun_answerer_clear (NavStunAnswerer *self)
{
  g_clear_pointer (&self->software_attribute, g_free);
  self->software_attribute_len = 0;
}

/* The Binding success response of RFC 8489 §6.3.1.1 with nothing but
 * XOR-MAPPED-ADDRESS (§14.2) and SOFTWARE, written without a builder: the
 * answer to nearly every request a public STUN server gets, once per
 * datagram, so no allocation.  The bytes are those the codec writes (the
 * tests compare them).  Returns 0 where it does not apply (another address
 * family, too small a buffer): the builder's path then answers or fails
 * as before. */
static gsize
write_binding_success (const NavStunAnswerer *self,
                       const guint8          *request,
                       const NavAddress      *from,
                       guint8                *out,
                       gsize                  out_size)
{
  GSocketFamily family = nav_address_get_family (from);
  gsize value_len = family == G_SOCKET_FAMILY_IPV4 ? 8 : 20;
  gsize n = NAV_STUN_HEADER_LENGTH + ATTRIBUTE_HEADER_LENGTH + value_len +
            self->software_attribute_len;
  guint16 port;
  guint8 *p;

  if ((family != G_SOCKET_FAMILY_IPV4 && family != G_SOCKET_FAMILY_IPV6) || n > out_size)
    return 0;
  /* Header: Binding success response, the request's magic cookie and
   * transaction ID (bytes 4 to 19). */
  out[0] = 0x01;
  out[1] = 0x01;
  out[2] = (guint8) ((n - NAV_STUN_HEADER_LENGTH) >> 8);
  out[3] = (guint8) (n - NAV_STUN_HEADER_LENGTH);
  memcpy (out + 4, request + 4, NAV_STUN_HEADER_LENGTH - 4);
  p = out + NAV_STUN_HEADER_LENGTH;
  p[0] = (guint8) (NAV_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS >> 8);
  p[1] = (guint8) NAV_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS;
  p[2] = 0;
  p[3] = (guint8) value_len;
  p += ATTRIBUTE_HEADER_LENGTH;
  /* X-Port: the port XOR the cookie's 16 most significant bits;
   * X-Address: the address XOR the cookie (IPv4), XOR the cookie and the
   * transaction ID (IPv6), all in network order. */
  port = (guint16) nav_address_get_port (from) ^ (guint16) (NAV_STUN_MAGIC_COOKIE >> 16);
  p[0] = 0;
  p[2] = (guint8) (port >> 8);
  p[3] = (guint8) port;
  if (family == G_SOCKET_FAMILY_IPV4)
    {
      guint32 ip = nav_address_get_ipv4 (from) ^ NAV_STUN_MAGIC_COOKIE;

      p[1] = 0x01;
      p[4] = (guint8) (ip >> 24);
      p[5] = (guint8) (ip >> 16);
      p[6] = (guint8) (ip >> 8);
      p[7] = (guint8) ip;
    }
  else
    {
      const guint8 *ip = nav_address_get_ipv6 (from);

      p[1] = 0x02;
      for (guint i = 0; i < 16; i++)
        p[4 + i] = ip[i] ^ out[4 + i];
    }
  p += value_len;
  if (self->software_attribute_len > 0)
    memcpy (p, self->software_attribute, self->software_attribute_len);
  return n;
}

static gsize
build_success (const NavStunAnswerer *self,
               const guint8         *request,
               gboolean              fingerprint,
               NavStunRequestInfo   *info,
               guint8               *out,
               gsize                 out_size)
{
  g_autoptr (NavStunMessageBuilder) b = NULL;
  gboolean ok;
  gsize n;

  /* The common answer (no RFC 3489 client, no RFC 5780 grid, no
   * FINGERPRINT asked for, a SOFTWARE the codec accepted if any). */
  if (!info->classic && !fingerprint && !in_grid (self, info->via) &&
      (self->software == NULL || self->software_attribute != NULL))
    {
      n = write_binding_success (self, request, info->from, out, out_size);
      if (n > 0)
        {
          NAV_STUN_COUNT (self->counters, binding_success);
          return n;
        }
    }

  b = nav_stun_message_builder_new_with_buffer (NAV_STUN_CLASS_SUCCESS_RESPONSE,
                                                NAV_STUN_METHOD_BINDING,
                                                request + 8, out, out_size);
  /* RFC 8489 §11.2: an RFC 3489 client does not know XOR-MAPPED-ADDRESS
   * (to it a comprehension-required attribute it does not understand); it
   * gets MAPPED-ADDRESS instead. */
  if (info->classic)
    ok = nav_stun_message_builder_add_mapped_address (b, info->from, NULL);
  else
    ok = nav_stun_message_builder_add_xor_mapped_address (b, info->from, NULL);
  if (ok && in_grid (self, info->via))
    {
      const NavStunUdpSocket *origin = info->reply_via;
      const NavStunUdpSocket *other =
        self->grid[1 - info->via->ip_index][1 - info->via->port_index];

      /* RFC 5780 §6.1: RESPONSE-ORIGIN is the address the response is
       * sent from, OTHER-ADDRESS the one differing in both IP and port
       * from the address the request arrived at.  RFC 3489 clients read
       * the same addresses in SOURCE-ADDRESS (RFC 3489 §11.2.5) and
       * CHANGED-ADDRESS (§11.2.3). */
      if (info->classic)
        ok = nav_stun_message_builder_add_address (b, STUN_ATTRIBUTE_SOURCE_ADDRESS,
                                                   &origin->local, NULL) &&
             nav_stun_message_builder_add_address (b, STUN_ATTRIBUTE_CHANGED_ADDRESS,
                                                   &other->local, NULL);
      else
        ok = nav_stun_message_builder_add_response_origin (b, &origin->local,
                                                           NULL) &&
             nav_stun_message_builder_add_other_address (b, &other->local, NULL);
    }
  if (ok && self->software != NULL)
    ok = nav_stun_message_builder_add_software (b, self->software, NULL);
  if (ok && fingerprint)
    ok = nav_stun_message_builder_add_fingerprint (b, NULL);
  n = ok ? nav_stun_message_builder_finish_to_buffer (b, NULL) : 0;
  if (n == 0)
    {
      NAV_STUN_COUNT (self->counters, dropped_build_failed);
      return 0;
    }
  NAV_STUN_COUNT (self->counters, binding_success);
  return n;
}

/* Answers one message whose header has the magic cookie.  Returns the
 * size of the response written to @out, or 0 when the message is dropped
 * (and counted). */
static gsize
handle_stun_message (const NavStunAnswerer *self,
                     const guint8         *data,
                     gsize                 len,
                     NavStunRequestInfo   *info,
                     guint8               *out,
                     gsize                 out_size)
{
  g_autoptr (NavStunMessage) msg = NULL;
  g_autoptr (GError) error = NULL;
  NavStunClass klass;
  guint method;
  gboolean fingerprint;
  const guint16 *unknown;
  gsize n_unknown;

  info->reply_via = info->via;
  info->reply_port = 0;

  if (!nav_stun_message_peek_type (data, len, &klass, &method))
    {
      NAV_STUN_COUNT (self->counters, dropped_not_stun);
      return 0;
    }

  /* The common case, a Binding request without attributes: the header is
   * all there is to check. */
  if (len == NAV_STUN_HEADER_LENGTH &&
      klass == NAV_STUN_CLASS_REQUEST && method == NAV_STUN_METHOD_BINDING &&
      nav_stun_message_is_stun (data, len))
    return build_success (self, data, FALSE, info, out, out_size);

  msg = nav_stun_message_parse_full (data, len,
                                     NAV_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED,
                                     &error);
  if (msg == NULL)
    {
      if (g_error_matches (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_FINGERPRINT) ||
          g_error_matches (error, NAV_STUN_ERROR, NAV_STUN_ERROR_FINGERPRINT_NOT_LAST))
        {
          /* RFC 8489 §7.3: a message failing the FINGERPRINT check is
           * not STUN; it is discarded, never answered. */
          NAV_STUN_COUNT (self->counters, dropped_fingerprint);
          return 0;
        }
      if (klass == NAV_STUN_CLASS_REQUEST &&
          g_error_matches (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_LENGTH) &&
          nav_stun_message_peek_length (data, len) == (gssize) len)
        {
          /* RFC 8489 §6.3.1: the header is sound, the attributes are not:
           * a malformed request, answered with 400. */
          return build_error (self, data, method, FALSE, 400, NULL, 0,
                              out, out_size);
        }
      NAV_STUN_COUNT (self->counters, dropped_malformed);
      return 0;
    }

  if (klass != NAV_STUN_CLASS_REQUEST)
    {
      /* Indications (keep-alives) and stray responses get no answer
       * (RFC 8489 §6.3.2, §6.3.3). */
      NAV_STUN_COUNT (self->counters, dropped_not_request);
      return 0;
    }

  /* No FINGERPRINT for RFC 3489 clients: it would cover the patched
   * magic cookie, not the bytes they sent. */
  fingerprint = !info->classic && nav_stun_message_has_fingerprint (msg);

  /* RFC 8489 §6.3.1: unknown comprehension-required attributes are
   * answered with 420, listed in UNKNOWN-ATTRIBUTES. */
  unknown = nav_stun_message_get_unknown_required_attributes (msg, &n_unknown);
  if (n_unknown > 0)
    return build_error (self, data, method, fingerprint, 420, unknown,
                        n_unknown, out, out_size);

  if (method != NAV_STUN_METHOD_BINDING)
    return build_error (self, data, method, fingerprint, 400, NULL, 0,
                        out, out_size);

  if (nav_stun_message_has_attribute (msg, NAV_STUN_ATTRIBUTE_CHANGE_REQUEST))
    {
      NavStunChangeRequestFlags flags = 0;
      static const guint16 change_request = NAV_STUN_ATTRIBUTE_CHANGE_REQUEST;

      if (!nav_stun_message_get_change_request (msg, &flags, NULL))
        return build_error (self, data, method, fingerprint, 400, NULL, 0,
                            out, out_size);
      flags &= NAV_STUN_CHANGE_REQUEST_IP | NAV_STUN_CHANGE_REQUEST_PORT;
      if (flags != 0)
        {
          /* RFC 5780 §6.1: a server without an alternate address (and
           * any server over TCP, where the answer must come back on the
           * connection) cannot honour the request: 420. */
          if (!in_grid (self, info->via))
            return build_error (self, data, method, fingerprint, 420,
                                &change_request, 1, out, out_size);
          NAV_STUN_COUNT (self->counters, change_request);
          info->reply_via = self->grid
            [(flags & NAV_STUN_CHANGE_REQUEST_IP) ? 1 - info->via->ip_index : info->via->ip_index]
            [(flags & NAV_STUN_CHANGE_REQUEST_PORT) ? 1 - info->via->port_index : info->via->port_index];
        }
    }

  if (nav_stun_message_has_attribute (msg, NAV_STUN_ATTRIBUTE_RESPONSE_PORT))
    {
      guint16 port = 0;
      static const guint16 response_port = NAV_STUN_ATTRIBUTE_RESPONSE_PORT;

      if (!nav_stun_message_get_response_port (msg, &port, NULL) || port == 0)
        return build_error (self, data, method, fingerprint, 400, NULL, 0,
                            out, out_size);
      /* RFC 5780 §7.5: only meaningful over UDP, only for a server doing
       * behaviour discovery. */
      if (!in_grid (self, info->via))
        return build_error (self, data, method, fingerprint, 420,
                            &response_port, 1, out, out_size);
      info->reply_port = port;
    }

  return build_success (self, data, fingerprint, info, out, out_size);
}

/* RFC 8489 §11.2 (RFC 5389 §12.2): a server tells an RFC 3489 client by
 * the absence of the magic cookie.  Only its Binding request is answered;
 * RFC 3489's Shared Secret request is gone from STUN.  The header must
 * otherwise be sound: the leading bits zero, the length a multiple of 4
 * matching the datagram. */
static gboolean
is_classic_binding_request (const guint8 *data,
                            gsize         len)
{
  guint16 body;

  if (len < NAV_STUN_HEADER_LENGTH || len > NAV_STUN_SERVER_RECV_SIZE)
    return FALSE;
  if (data[0] != 0x00 || data[1] != 0x01)
    return FALSE;
  if (data[4] == 0x21 && data[5] == 0x12 && data[6] == 0xA4 && data[7] == 0x42)
    return FALSE;
  body = (guint16) ((data[2] << 8) | data[3]);
  return (body & 3) == 0 && (gsize) body + NAV_STUN_HEADER_LENGTH == len;
}

/* Answers one message.  Returns the size of the response written to @out,
 * or 0 when the message is dropped (and counted). */
gsize
nav_stun_server_answer (const NavStunAnswerer *self,
                        const guint8          *data,
                        gsize                  len,
                        NavStunRequestInfo    *info,
                        guint8                *out,
                        gsize                  out_size)
{
  guint8 patched[NAV_STUN_SERVER_RECV_SIZE];
  gsize n;

  info->classic = FALSE;
  if (!is_classic_binding_request (data, len))
    return handle_stun_message (self, data, len, info, out, out_size);

  /* An RFC 3489 request: its attributes are laid out as in RFC 8489, so
   * the codec reads them once the magic cookie is in place (RFC 3489 has
   * no XOR-ed attribute, nor FINGERPRINT: one would fail its check and be
   * dropped).  The answer carries the request's own bytes 4 to 7 back,
   * completing its 128-bit transaction ID. */
  NAV_STUN_COUNT (self->counters, rfc3489_requests);
  memcpy (patched, data, len);
  patched[4] = 0x21;
  patched[5] = 0x12;
  patched[6] = 0xA4;
  patched[7] = 0x42;
  info->classic = TRUE;
  n = handle_stun_message (self, patched, len, info, out, out_size);
  if (n >= NAV_STUN_HEADER_LENGTH)
    memcpy (out + 4, data + 4, 4);
  return n;
}

