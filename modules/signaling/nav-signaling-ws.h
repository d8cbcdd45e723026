/* nav-signaling-ws.h: the server's side of RFC 6455 without I/O: the
 * HTTP/1.1 upgrade request, the handshake answer, frame headers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Frame opcodes (RFC 6455 §5.2). */
#define NAV_WS_CONTINUATION 0x0
#define NAV_WS_TEXT         0x1
#define NAV_WS_BINARY       0x2
#define NAV_WS_CLOSE        0x8
#define NAV_WS_PING         0x9
#define NAV_WS_PONG         0xa

/* The most a request's head may take (request line and headers). */
#define NAV_HTTP_MAX_HEAD 8192

typedef enum {
  NAV_HTTP_INCOMPLETE,        /* no blank line yet */
  NAV_HTTP_UPGRADE,           /* a valid WebSocket upgrade */
  NAV_HTTP_GET,               /* a plain GET or HEAD */
  NAV_HTTP_BAD_VERSION,       /* an upgrade with a version other than 13: 426 */
  NAV_HTTP_BAD_METHOD,        /* neither GET nor HEAD: 405 */
  NAV_HTTP_BAD,               /* not HTTP/1.1, or a broken upgrade: 400 */
  NAV_HTTP_TOO_LARGE,         /* no end of head within NAV_HTTP_MAX_HEAD: 431 */
} NavHttpResult;

typedef struct
{
  gsize head_len;             /* bytes of the head, blank line included */
  gboolean head;              /* HEAD rather than GET */
  gchar path[64];             /* the path, cut to fit (only a few are served) */
  gchar accept[32];           /* Sec-WebSocket-Accept for an upgrade */
} NavHttpRequest;

NavHttpResult nav_http_parse_request (const gchar    *data,
                                      gsize           len,
                                      NavHttpRequest *request);

typedef enum {
  NAV_WS_NEED_MORE,
  NAV_WS_FRAME,
  NAV_WS_ERROR,
} NavWsResult;

typedef struct
{
  guint8 opcode;
  gboolean fin;
  gsize header_len;
  guint64 payload_len;
  guint8 mask[4];
} NavWsFrame;

NavWsResult nav_ws_parse_frame_header (const guint8 *data,
                                       gsize         len,
                                       NavWsFrame   *frame,
                                       gushort      *close_code);
void        nav_ws_unmask             (guint8       *payload,
                                       gsize         len,
                                       const guint8  mask[4]);
gsize       nav_ws_write_frame_header (guint8        out[10],
                                       guint8        opcode,
                                       gsize         payload_len);

G_END_DECLS
