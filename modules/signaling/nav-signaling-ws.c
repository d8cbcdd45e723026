/* nav-signaling-ws.c: the server's side of RFC 6455 without I/O
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "nav-signaling-protocol.h"
#include "nav-signaling-ws.h"

/* RFC 6455 §1.3 */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static gboolean
token_in_list (const gchar *value,
               gsize        len,
               const gchar *token)
{
  gsize tlen = strlen (token), i = 0;

  /* A comma-separated list of tokens, compared without case. */
  while (i < len)
    {
      gsize start, stop;

      while (i < len && (value[i] == ' ' || value[i] == '\t' || value[i] == ','))
        i++;
      start = i;
      while (i < len && value[i] != ',')
        i++;
      stop = i;
      while (stop > start && (value[stop - 1] == ' ' || value[stop - 1] == '\t'))
        stop--;
      if (stop - start == tlen && g_ascii_strncasecmp (value + start, token, tlen) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
header_is (const gchar *name,
           gsize        name_len,
           const gchar *want)
{
  return strlen (want) == name_len && g_ascii_strncasecmp (name, want, name_len) == 0;
}

/* A request head (RFC 9112 §2-5), as much as a WebSocket endpoint and two
 * GET paths need: the request line, and the headers of the opening
 * handshake (RFC 6455 §4.2.1).  Anything else is refused, never
 * guessed at. */
NavHttpResult
nav_http_parse_request (const gchar    *data,
                        gsize           len,
                        NavHttpRequest *request)
{
  const gchar *end, *line, *eol, *sp1, *sp2, *p;
  gboolean upgrade = FALSE, connection_upgrade = FALSE, version_ok = FALSE;
  gboolean have_version = FALSE, have_key = FALSE;
  gchar key[64];

  memset (request, 0, sizeof *request);
  end = g_strstr_len (data, MIN (len, NAV_HTTP_MAX_HEAD), "\r\n\r\n");
  if (end == NULL)
    return len >= NAV_HTTP_MAX_HEAD ? NAV_HTTP_TOO_LARGE : NAV_HTTP_INCOMPLETE;
  request->head_len = end + 4 - data;

  /* Request line: METHOD SP TARGET SP HTTP/1.1 */
  eol = memchr (data, '\r', end + 2 - data);
  sp1 = memchr (data, ' ', eol - data);
  sp2 = sp1 != NULL ? memchr (sp1 + 1, ' ', eol - sp1 - 1) : NULL;
  if (sp1 == NULL || sp2 == NULL || sp2 == sp1 + 1 || sp1[1] != '/' ||
      eol - sp2 - 1 != 8 || memcmp (sp2 + 1, "HTTP/1.1", 8) != 0)
    return NAV_HTTP_BAD;
  for (p = sp1 + 1; p < sp2; p++)
    if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f)
      return NAV_HTTP_BAD;
  {
    const gchar *q = memchr (sp1 + 1, '?', sp2 - sp1 - 1);
    gsize plen = (q != NULL ? q : sp2) - (sp1 + 1);

    memcpy (request->path, sp1 + 1, MIN (plen, sizeof request->path - 1));
  }
  if (sp1 - data == 4 && memcmp (data, "HEAD", 4) == 0)
    request->head = TRUE;
  else if (!(sp1 - data == 3 && memcmp (data, "GET", 3) == 0))
    return NAV_HTTP_BAD_METHOD;

  for (line = eol + 2; line < end + 2; line = eol + 2)
    {
      const gchar *colon, *value, *vend;

      eol = memchr (line, '\r', end + 2 - line);
      if (eol == NULL || eol[1] != '\n')
        return NAV_HTTP_BAD;
      colon = memchr (line, ':', eol - line);
      if (colon == NULL || colon == line)
        return NAV_HTTP_BAD;
      for (p = line; p < colon; p++)
        if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f)
          return NAV_HTTP_BAD;          /* RFC 9112 §5.1: no space before the colon */
      for (p = colon + 1; p < eol; p++)
        if (((guchar) *p < 0x20 && *p != '\t') || *p == 0x7f)
          return NAV_HTTP_BAD;
      value = colon + 1;
      while (value < eol && (*value == ' ' || *value == '\t'))
        value++;
      vend = eol;
      while (vend > value && (vend[-1] == ' ' || vend[-1] == '\t'))
        vend--;

      if (header_is (line, colon - line, "Upgrade"))
        upgrade = upgrade || token_in_list (value, vend - value, "websocket");
      else if (header_is (line, colon - line, "Connection"))
        connection_upgrade = connection_upgrade || token_in_list (value, vend - value, "upgrade");
      else if (header_is (line, colon - line, "Sec-WebSocket-Version"))
        {
          have_version = TRUE;
          version_ok = vend - value == 2 && memcmp (value, "13", 2) == 0;
        }
      else if (header_is (line, colon - line, "Sec-WebSocket-Key"))
        {
          gsize klen = vend - value, decoded_len = 0;
          g_autofree guchar *decoded = NULL;

          if (have_key || klen != 24)
            return NAV_HTTP_BAD;
          memcpy (key, value, klen);
          key[klen] = '\0';
          /* RFC 6455 §4.2.1: 16 bytes, base64-encoded. */
          for (p = key; *p != '\0'; p++)
            if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
              return NAV_HTTP_BAD;
          decoded = g_base64_decode (key, &decoded_len);
          if (decoded_len != 16)
            return NAV_HTTP_BAD;
          have_key = TRUE;
        }
    }

  if (!upgrade && !connection_upgrade && !have_key)
    return NAV_HTTP_GET;
  if (request->head || !upgrade || !connection_upgrade || !have_key)
    return NAV_HTTP_BAD;
  if (!have_version || !version_ok)
    return NAV_HTTP_BAD_VERSION;

  {
    g_autoptr (GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
    guint8 digest[20];
    gsize dlen = sizeof digest;
    g_autofree gchar *b64 = NULL;

    g_checksum_update (sha1, (const guchar *) key, 24);
    g_checksum_update (sha1, (const guchar *) WS_GUID, strlen (WS_GUID));
    g_checksum_get_digest (sha1, digest, &dlen);
    b64 = g_base64_encode (digest, dlen);
    g_strlcpy (request->accept, b64, sizeof request->accept);
  }
  return NAV_HTTP_UPGRADE;
}

/* A client's frame header (RFC 6455 §5.2).  Client frames are masked
 * (§5.1); no extension is negotiated, so the RSV bits are 0 (§5.2);
 * control frames are whole and at most 125 bytes (§5.5).  On
 * NAV_WS_ERROR, @close_code is the close code to answer with. */
NavWsResult
nav_ws_parse_frame_header (const guint8 *data,
                           gsize         len,
                           NavWsFrame   *frame,
                           gushort      *close_code)
{
  gsize need = 2;
  guint64 plen;

  if (len < 2)
    return NAV_WS_NEED_MORE;
  frame->fin = (data[0] & 0x80) != 0;
  frame->opcode = data[0] & 0x0f;
  if ((data[0] & 0x70) != 0 || (data[1] & 0x80) == 0)
    {
      *close_code = NAV_SIGNALING_CLOSE_PROTOCOL_ERROR;
      return NAV_WS_ERROR;
    }
  switch (frame->opcode)
    {
    case NAV_WS_CONTINUATION:
    case NAV_WS_TEXT:
    case NAV_WS_BINARY:
      break;
    case NAV_WS_CLOSE:
    case NAV_WS_PING:
    case NAV_WS_PONG:
      if (!frame->fin || (data[1] & 0x7f) > 125)
        {
          *close_code = NAV_SIGNALING_CLOSE_PROTOCOL_ERROR;
          return NAV_WS_ERROR;
        }
      break;
    default:
      *close_code = NAV_SIGNALING_CLOSE_PROTOCOL_ERROR;
      return NAV_WS_ERROR;
    }
  plen = data[1] & 0x7f;
  if (plen == 126)
    need += 2;
  else if (plen == 127)
    need += 8;
  need += 4;
  if (len < need)
    return NAV_WS_NEED_MORE;
  if (plen == 126)
    plen = ((guint64) data[2] << 8) | data[3];
  else if (plen == 127)
    {
      guint i;

      plen = 0;
      for (i = 0; i < 8; i++)
        plen = (plen << 8) | data[2 + i];
      if (plen >> 63)
        {
          *close_code = NAV_SIGNALING_CLOSE_PROTOCOL_ERROR;
          return NAV_WS_ERROR;
        }
    }
  memcpy (frame->mask, data + need - 4, 4);
  frame->header_len = need;
  frame->payload_len = plen;
  return NAV_WS_FRAME;
}

void
nav_ws_unmask (guint8       *payload,
               gsize         len,
               const guint8  mask[4])
{
  guint32 m32;
  gsize i = 0;

  memcpy (&m32, mask, 4);
  for (; i + 4 <= len; i += 4)
    {
      guint32 w;

      memcpy (&w, payload + i, 4);
      w ^= m32;
      memcpy (payload + i, &w, 4);
    }
  for (; i < len; i++)
    payload[i] ^= mask[i & 3];
}

/* A server frame's header: final, unmasked (§5.1). */
gsize
nav_ws_write_frame_header (guint8  out[10],
                           guint8  opcode,
                           gsize   payload_len)
{
  out[0] = 0x80 | opcode;
  if (payload_len < 126)
    {
      out[1] = payload_len;
      return 2;
    }
  if (payload_len <= 0xffff)
    {
      out[1] = 126;
      out[2] = payload_len >> 8;
      out[3] = payload_len & 0xff;
      return 4;
    }
  out[1] = 127;
  for (guint i = 0; i < 8; i++)
    out[2 + i] = ((guint64) payload_len >> (56 - 8 * i)) & 0xff;
  return 10;
}
