/* nav-net-stream.h: one TCP connection, plain or TLS, cut into frames
 * (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include "netavanue/netavanue.h"

#include "nav-net-framing.h"

G_BEGIN_DECLS

typedef struct _NavNetStream NavNetStream;

/* What a stream tells its owner, always in the stream's context.  The
 * owner may close the stream, change its framing, or pause its reading
 * from within any of them. */
typedef struct
{
  /* One frame: its payload (RFC 4571), the whole message (STUN, TURN),
   * or the bytes read (raw). */
  void     (*frame)     (NavNetStream  *stream,
                         const guint8  *data,
                         gsize          len,
                         gpointer       user_data);
  /* Optional: the bytes at the head start no frame.  TRUE skips one byte
   * and looks again (resynchronising); FALSE, or no function, closes the
   * stream with NAV_TRANSPORT_ERROR_PROTOCOL. */
  gboolean (*garbage)   (NavNetStream  *stream,
                         gpointer       user_data);
  /* Optional: an outgoing connection is established (TCP, then TLS). */
  void     (*connected) (NavNetStream  *stream,
                         gpointer       user_data);
  /* Optional: the stream closed by itself (the peer, an error, the
   * connect timeout), never after nav_net_stream_close().  The error says
   * why: NAV_TRANSPORT_ERROR_CLOSED (the peer closed between frames),
   * _PROTOCOL (inside a frame, or garbage), _FAILED (read or write),
   * _NOT_CONNECTED (the connect failed), NAV_ERROR_TIMED_OUT (the connect
   * timeout), G_TLS_ERROR (the handshake). */
  void     (*closed)    (NavNetStream  *stream,
                         const GError  *error,
                         gpointer       user_data);
  /* Optional: everything queued has been written. */
  void     (*drained)   (NavNetStream  *stream,
                         gpointer       user_data);
  /* Optional: after the frames of one read, before the buffer they are
   * in is reused (flush what points into them). */
  void     (*frames_done) (NavNetStream *stream,
                           gpointer      user_data);
} NavNetStreamFuncs;

/* How bytes go in and out: the socket itself, or a TLS session over it
 * (nav-net-tls.c).  Results as recv(2)/send(2), errno in *errsv. */
typedef struct
{
  gssize   (*recv)      (gpointer      io,
                         guint8       *buffer,
                         gsize         size,
                         int          *errsv);
  gssize   (*send)      (gpointer      io,
                         const guint8 *data,
                         gsize         size,
                         int          *errsv);
  /* Bytes received and decrypted but not read yet: the socket will not
   * poll readable for them. */
  gboolean (*pending)   (gpointer      io);
  /* One step of the handshake: 1 done, 0 to be called again once the
   * socket is ready for *wait, -1 failed (error set). */
  int      (*handshake) (gpointer      io,
                         GIOCondition *wait,
                         GError      **error);
  void     (*free)      (gpointer      io);
  /* A largest write at once (a TLS record); 0 for no limit. */
  gsize max_write;
  /* A write that would block must be retried with the same bytes
   * (GnuTLS). */
  gboolean retry_same;
} NavNetStreamIo;

/* Takes over the connected (or accepted) socket @fd; @io and its
 * functions (NULL for plain TCP) too.  Reading starts at once unless
 * @start_paused. */
NavNetStream *nav_net_stream_new        (GMainContext            *context,
                                         int                      fd,
                                         const NavNetStreamIo    *io_funcs,
                                         gpointer                 io,
                                         NavNetFraming            framing,
                                         const NavNetStreamFuncs *funcs,
                                         gpointer                 user_data,
                                         gboolean                 start_paused);

/* Connects to @remote, from @bind_ip (its port is ignored) when not
 * NULL; funcs->connected (or ->closed) tells the outcome.  The connect
 * and the TLS handshake, when nav_net_stream_set_io() gave one before the
 * connection completes, are bounded by @timeout_ms.  Writes are queued
 * meanwhile.  NULL with @error set when no socket can be made. */
NavNetStream *nav_net_stream_connect    (GMainContext            *context,
                                         const NavAddress        *remote,
                                         const NavAddress        *bind_ip,
                                         guint                    timeout_ms,
                                         NavNetFraming            framing,
                                         const NavNetStreamFuncs *funcs,
                                         gpointer                 user_data,
                                         GError                 **error);

/* As nav_net_stream_connect(), from @fd, a TCP socket the caller made
 * and bound (ICE-TCP simultaneous open, RFC 6062 relays); the stream
 * takes it, and closes it on failure. */
NavNetStream *nav_net_stream_connect_fd (GMainContext            *context,
                                         int                      fd,
                                         const NavAddress        *remote,
                                         guint                    timeout_ms,
                                         NavNetFraming            framing,
                                         const NavNetStreamFuncs *funcs,
                                         gpointer                 user_data,
                                         GError                 **error);

/* A stream without a socket, fed by nav_net_stream_feed(): the framing
 * and the callbacks alone (tests, sans-I/O use). */
NavNetStream *nav_net_stream_new_detached (GMainContext          *context,
                                           NavNetFraming          framing,
                                           const NavNetStreamFuncs *funcs,
                                           gpointer               user_data);
/* Hands @data to the stream as if read from its socket. */
void          nav_net_stream_feed       (NavNetStream            *stream,
                                         const guint8            *data,
                                         gsize                    len);

/* A TLS (or other) session to run over the socket of a connecting
 * stream, with a handshake once connected. */
void          nav_net_stream_set_io     (NavNetStream            *stream,
                                         const NavNetStreamIo    *io_funcs,
                                         gpointer                 io);

NavNetStream *nav_net_stream_ref        (NavNetStream            *stream);
void          nav_net_stream_unref      (NavNetStream            *stream);

/* Closes the socket, after writing what it takes at once of the queue
 * (never blocking, no TLS close_notify).  No callback follows.  The
 * stream stays valid until its last reference goes. */
void          nav_net_stream_close      (NavNetStream            *stream);
gboolean      nav_net_stream_is_closed  (NavNetStream            *stream);
gboolean      nav_net_stream_is_open    (NavNetStream            *stream);

/* Appends to the write queue without writing.  FALSE, and nothing
 * queued, when the stream is closed or the queue would go above
 * nav_net_stream_set_max_queued(). */
gboolean      nav_net_stream_queue      (NavNetStream            *stream,
                                         const guint8            *data,
                                         gsize                    len);
/* Writes what the socket takes now; the rest when it is writable. */
void          nav_net_stream_flush      (NavNetStream            *stream);
/* Queue, then flush.  Any thread may write. */
gboolean      nav_net_stream_write      (NavNetStream            *stream,
                                         const guint8            *data,
                                         gsize                    len);
/* A message, framed as the stream's framing wants (RFC 4571: with its
 * length; the others: as it is). */
gboolean      nav_net_stream_write_frame (NavNetStream           *stream,
                                          const guint8           *data,
                                          gsize                   len);
gsize         nav_net_stream_get_queued (NavNetStream            *stream);
void          nav_net_stream_set_max_queued (NavNetStream        *stream,
                                             gsize                max_queued);

void          nav_net_stream_pause      (NavNetStream            *stream);
void          nav_net_stream_resume     (NavNetStream            *stream);
gboolean      nav_net_stream_is_paused  (NavNetStream            *stream);
void          nav_net_stream_set_framing (NavNetStream           *stream,
                                          NavNetFraming           framing);

int           nav_net_stream_get_fd     (NavNetStream            *stream);
gboolean      nav_net_stream_is_tls     (NavNetStream            *stream);
const NavAddress *nav_net_stream_get_local  (NavNetStream        *stream);
const NavAddress *nav_net_stream_get_remote (NavNetStream        *stream);
gint64        nav_net_stream_get_last_activity (NavNetStream     *stream);
/* The socket as a GSocket, for socket options; made on first use. */
GSocket      *nav_net_stream_get_socket (NavNetStream            *stream);
/* The owner's data, for callbacks that only get the stream. */
gpointer      nav_net_stream_get_user_data (NavNetStream         *stream);
void          nav_net_stream_set_user_data (NavNetStream         *stream,
                                            gpointer              user_data);
/* Other callbacks from now on (a connect done, the stream changes
 * hands). */
void          nav_net_stream_set_funcs  (NavNetStream            *stream,
                                         const NavNetStreamFuncs *funcs,
                                         gpointer                 user_data);

G_END_DECLS
