/* nav-turn-server-dispatch.c: one message from a TURN client: STUN
 * requests and indications (RFC 8656), ChannelData (§12.4), Binding (as
 * coturn answers it), and the responses
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-turn-server-private.h"

#include <string.h>

void
nav_turn_count_error (Worker *w,
                      guint   code)
{
  COUNT (w, errors);
  switch (code)
    {
#define CASE(n) case n: COUNT (w, error_##n); break;
    CASE (400) CASE (401) CASE (403) CASE (420) CASE (437) CASE (438)
    CASE (440) CASE (441) CASE (442) CASE (443) CASE (446) CASE (447)
    CASE (486) CASE (508)
#undef CASE
    default: break;
    }
}

NavStunMessageBuilder *
nav_turn_response_begin (Request      *r,
                NavStunClass  klass)
{
  return nav_stun_message_builder_new_with_buffer (klass, r->method, r->req + 8,
                                                   r->out, r->out_size);
}

gsize
nav_turn_response_finish (Request               *r,
                 NavStunMessageBuilder *b,
                 gboolean               sign)
{
  gboolean ok = TRUE;
  gsize n;

  if (r->self->software != NULL)
    ok = nav_stun_message_builder_add_software (b, r->self->software, NULL);
  /* RFC 8489 §9.2.4: the response is signed the way the request was */
  if (ok && sign && r->key_len > 0 && r->integrity_sha256)
    ok = nav_stun_message_builder_add_message_integrity_sha256 (b, r->key, r->key_len, 0, NULL);
  else if (ok && sign && r->key_len > 0)
    ok = nav_stun_message_builder_add_message_integrity (b, r->key, r->key_len, NULL);
  if (ok && r->fingerprint)
    ok = nav_stun_message_builder_add_fingerprint (b, NULL);
  n = ok ? nav_stun_message_builder_finish_to_buffer (b, NULL) : 0;
  nav_stun_message_builder_unref (b);
  return n;
}

gsize
nav_turn_respond_error (Request *r,
               guint    code)
{
  NavStunMessageBuilder *b = nav_turn_response_begin (r, NAV_STUN_CLASS_ERROR_RESPONSE);
  gboolean challenge = code == 401 || code == 438;

  nav_turn_count_error (r->w, code);
  nav_stun_message_builder_add_error_code (b, code, nav_stun_error_code_get_reason (code), NULL);
  if (challenge)
    {
      gchar nonce[NAV_TURN_NONCE_LENGTH + 1];

      nav_turn_make_nonce (r, nonce);
      nav_stun_message_builder_add_realm (b, r->self->realm != NULL ? r->self->realm : "", NULL);
      nav_stun_message_builder_add_nonce (b, nonce, NULL);
      /* RFC 8489 §9.2.1: the nonce cookie says so; preferred first */
      nav_stun_message_builder_add_password_algorithms (b, nav_turn_offered_algorithms,
                                                        G_N_ELEMENTS (nav_turn_offered_algorithms), NULL);
    }
  /* RFC 8489 §9.2.4: 401 and 438 answers carry no integrity; the others
   * are signed once the client has authenticated. */
  return nav_turn_response_finish (r, b, !challenge && r->authenticated);
}

static gsize
handle_binding (Request *r)
{
  NavStunMessageBuilder *b = nav_turn_response_begin (r, NAV_STUN_CLASS_SUCCESS_RESPONSE);

  COUNT (r->w, binding_requests);
  nav_stun_message_builder_add_xor_mapped_address (b, r->from, NULL);
  return nav_turn_response_finish (r, b, FALSE);
}

/* RFC 8489 §11.2 (RFC 5389 §12.2): a Binding request without the magic
 * cookie comes from an RFC 3489 client, libnice's server-reflexive
 * discovery for one.  It is answered over UDP with MAPPED-ADDRESS (an
 * RFC 3489 client does not know XOR-MAPPED-ADDRESS), the request's whole
 * 16-byte transaction ID echoed.  Its attributes are laid out as in RFC
 * 8489, so the codec reads them once the cookie is in place; an unknown
 * comprehension-required one gets 420.  Returns 0 when @r is not such a
 * request. */
static gsize
handle_rfc3489_binding (Request *r)
{
  const guint8 *data = r->req;
  guint8 patched[NAV_TURN_UDP_RECV_SIZE];
  g_autoptr (NavStunMessage) msg = NULL;
  NavStunMessageBuilder *b;
  const guint16 *unknown;
  gsize n_unknown, n;
  guint16 body;

  if (r->conn != NULL || r->req_len < NAV_STUN_HEADER_LENGTH ||
      r->req_len > sizeof patched || data[0] != 0x00 || data[1] != 0x01 ||
      (data[4] == 0x21 && data[5] == 0x12 && data[6] == 0xA4 && data[7] == 0x42))
    return 0;
  body = (guint16) ((data[2] << 8) | data[3]);
  if ((body & 3) != 0 || (gsize) body + NAV_STUN_HEADER_LENGTH != r->req_len)
    return 0;
  memcpy (patched, data, r->req_len);
  patched[4] = 0x21;
  patched[5] = 0x12;
  patched[6] = 0xA4;
  patched[7] = 0x42;
  msg = nav_stun_message_parse_full (patched, r->req_len,
                                     NAV_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED, NULL);
  if (msg == NULL)
    return 0;
  r->method = NAV_STUN_METHOD_BINDING;
  r->fingerprint = FALSE;       /* it would not cover the bytes sent */
  unknown = nav_stun_message_get_unknown_required_attributes (msg, &n_unknown);
  if (n_unknown > 0)
    {
      b = nav_turn_response_begin (r, NAV_STUN_CLASS_ERROR_RESPONSE);
      nav_turn_count_error (r->w, 420);
      nav_stun_message_builder_add_error_code (b, 420, nav_stun_error_code_get_reason (420), NULL);
      nav_stun_message_builder_add_unknown_attributes (b, unknown, MIN (n_unknown, 32), NULL);
    }
  else
    {
      b = nav_turn_response_begin (r, NAV_STUN_CLASS_SUCCESS_RESPONSE);
      COUNT (r->w, binding_requests);
      nav_stun_message_builder_add_mapped_address (b, r->from, NULL);
    }
  n = nav_turn_response_finish (r, b, FALSE);
  if (n >= NAV_STUN_HEADER_LENGTH)
    {
      memcpy (r->out + 4, data + 4, 4);
      COUNT (r->w, rfc3489_requests);
    }
  return n;
}

/* Handles one STUN message from a client.  Returns the size of the
 * response written to r->out, 0 for none. */
gsize
nav_turn_handle_stun (Request *r)
{
  g_autoptr (GError) error = NULL;
  NavStunClass klass;
  const guint16 *unknown;
  gsize n_unknown, resp = 0;

  if (!nav_stun_message_peek_type (r->req, r->req_len, &klass, &r->method))
    {
      resp = handle_rfc3489_binding (r);
      if (resp == 0)
        COUNT (r->w, dropped_not_stun);
      return resp;
    }
  r->msg = nav_stun_message_parse_full (r->req, r->req_len,
                                        NAV_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED, &error);
  if (r->msg == NULL)
    {
      if (klass == NAV_STUN_CLASS_REQUEST &&
          g_error_matches (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_LENGTH) &&
          nav_stun_message_peek_length (r->req, r->req_len) == (gssize) r->req_len)
        return nav_turn_respond_error (r, 400);
      COUNT (r->w, dropped_malformed);
      return 0;
    }
  r->fingerprint = nav_stun_message_has_fingerprint (r->msg);

  if (klass == NAV_STUN_CLASS_INDICATION)
    {
      if (r->method == NAV_STUN_METHOD_SEND)
        nav_turn_handle_send (r);
      else
        COUNT (r->w, dropped_unexpected);
      return 0;
    }
  if (klass != NAV_STUN_CLASS_REQUEST)
    {
      COUNT (r->w, dropped_unexpected);
      return 0;
    }
  unknown = nav_stun_message_get_unknown_required_attributes (r->msg, &n_unknown);
  if (n_unknown > 0)
    {
      NavStunMessageBuilder *b = nav_turn_response_begin (r, NAV_STUN_CLASS_ERROR_RESPONSE);

      nav_turn_count_error (r->w, 420);
      nav_stun_message_builder_add_error_code (b, 420, nav_stun_error_code_get_reason (420), NULL);
      nav_stun_message_builder_add_unknown_attributes (b, unknown, MIN (n_unknown, 32), NULL);
      return nav_turn_response_finish (r, b, FALSE);
    }
  /* As coturn does, a TURN server answers Binding too, without
   * credentials (RFC 8489 §3). */
  if (r->method == NAV_STUN_METHOD_BINDING)
    return handle_binding (r);

  switch (r->method)
    {
    case NAV_STUN_METHOD_ALLOCATE:
    case NAV_STUN_METHOD_REFRESH:
    case NAV_STUN_METHOD_CREATE_PERMISSION:
    case NAV_STUN_METHOD_CHANNEL_BIND:
    case NAV_STUN_METHOD_CONNECT:
    case NAV_STUN_METHOD_CONNECTION_BIND:
      break;
    default:
      return nav_turn_respond_error (r, 400);
    }
  if (r->conn != NULL && r->conn->piped)
    return nav_turn_respond_error (r, 400);
  if (!nav_turn_authenticate (r, &resp))
    return resp;

  switch (r->method)
    {
    case NAV_STUN_METHOD_ALLOCATE:
      return nav_turn_handle_allocate (r);
    case NAV_STUN_METHOD_REFRESH:
      return nav_turn_handle_refresh (r);
    case NAV_STUN_METHOD_CREATE_PERMISSION:
      return nav_turn_handle_create_permission (r);
    case NAV_STUN_METHOD_CHANNEL_BIND:
      return nav_turn_handle_channel_bind (r);
    case NAV_STUN_METHOD_CONNECT:
      return nav_turn_handle_connect (r);
    case NAV_STUN_METHOD_CONNECTION_BIND:
      return nav_turn_handle_connection_bind (r);
    default:
      return nav_turn_respond_error (r, 400);
    }
}

void
nav_turn_request_clear (Request *r)
{
  g_clear_pointer (&r->msg, nav_stun_message_unref);
  g_clear_pointer (&r->username, g_free);
}

/* ChannelData from a client (RFC 8656 §12.4), at @now (nav_turn_now()) */
void
nav_turn_handle_channel_data (Worker       *w,
                              gint64        now,
                              Allocation   *alloc,
                              const guint8 *data,
                              gsize         len)
{
  guint16 number = nav_turn_rd16 (data), plen = nav_turn_rd16 (data + 2);
  Channel *ch;
  Permission *perm;

  if (alloc == NULL)
    {
      COUNT (w, dropped_no_allocation);
      return;
    }
  if ((gsize) plen + 4 > len)
    {
      COUNT (w, dropped_malformed);
      return;
    }
  ch = alloc->hot_channel;
  perm = alloc->hot_channel_perm;
  if (ch == NULL || ch->number != number)
    {
      /* another channel than the last one: looked up, and kept if
       * usable */
      ch = g_hash_table_lookup (alloc->channels, GUINT_TO_POINTER (number));
      if (ch == NULL || ch->expires <= now)
        {
          COUNT (w, dropped_no_channel);
          return;
        }
      perm = nav_turn_permission_lookup (alloc, &ch->peer, now);
      if (perm == NULL)
        {
          COUNT (w, dropped_no_permission);
          return;
        }
      alloc->hot_channel = ch;
      alloc->hot_channel_perm = perm;
    }
  if (ch->expires <= now)
    {
      COUNT (w, dropped_no_channel);
      return;
    }
  if (perm->expires <= now)
    {
      COUNT (w, dropped_no_permission);
      return;
    }
  nav_turn_relay_to_peer (alloc, &ch->peer, data + 4, plen, now, alloc->dont_fragment);
}

