/* nav-net-stream.c: one TCP connection, plain or TLS, cut into frames
 * (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One GSource per connection watches its socket, for reading, for
 * writing when the queue waits, and for the connect; reads go straight
 * into the stream's buffer (recv(2), or the TLS session), which grows to
 * hold one whole frame; writes are coalesced in one buffer and leave in
 * as few send(2) calls as the socket takes.
 */
#include "config.h"

#include "nav-net.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <glib/gi18n-lib.h>

#define INITIAL_READ 4096
/* One frame of any framing fits, with room to read ahead. */
#define MAX_READ (NAV_NET_STUN_MAX_FRAME + 64)
/* Reads per dispatch, so that one busy connection does not starve the
 * rest of the context. */
#define READ_ROUNDS 16
#define DEFAULT_MAX_QUEUED (2 * 1024 * 1024)

typedef enum {
  STATE_CONNECTING,
  STATE_HANDSHAKING,
  STATE_OPEN,
  STATE_CLOSED,
} State;

typedef struct
{
  GSource source;
  NavNetStream *stream;         /* weak: the stream destroys its source */
  gpointer tag;
} StreamSource;

struct _NavNetStream
{
  gint ref_count;
  GMainContext *context;
  int fd;
  GSocket *gsocket;             /* once asked for: then it owns fd */
  const NavNetStreamIo *io_funcs;
  gpointer io;

  NavNetFraming framing;
  NavNetStreamFuncs funcs;
  gpointer user_data;
  NavAddress local;
  NavAddress remote;
  gint64 last_activity;

  /* reading: the context's thread only */
  guint8 *rbuf;
  gsize rlen;
  gsize rcap;
  gboolean paused;
  int connect_errno;            /* connect(2) failed at once */

  /* guarded by lock: any thread may write */
  GMutex lock;
  State state;
  StreamSource *source;
  GIOCondition events;
  GByteArray *wbuf;
  gsize woff;
  gsize retry_len;              /* TLS: the write that would block */
  gsize max_queued;
  GError *write_error;          /* met by a writer, reported in the context */
  GIOCondition handshake_wait;

  GSource *timeout;
  guint timeout_ms;
};

static void stream_fail (NavNetStream *self, GError *error);

static const gchar *
describe (NavNetStream *self,
          gchar        *buf)
{
  return nav_address_to_string_buf (&self->remote, buf);
}

/* Called with the lock held. */
static void
set_events_locked (NavNetStream *self,
                   GIOCondition  events)
{
  if (self->source == NULL || self->events == events)
    return;
  self->events = events;
  g_source_modify_unix_fd ((GSource *) self->source, self->source->tag, events);
}

/* Called with the lock held: what the socket should be watched for. */
static void
update_events_locked (NavNetStream *self)
{
  GIOCondition events = 0;

  switch (self->state)
    {
    case STATE_CONNECTING:
      events = G_IO_OUT;
      break;
    case STATE_HANDSHAKING:
      events = self->handshake_wait;
      break;
    case STATE_OPEN:
      if (!self->paused)
        events |= G_IO_IN;
      if (self->woff < self->wbuf->len)
        events |= G_IO_OUT;
      break;
    case STATE_CLOSED:
      break;
    }
  set_events_locked (self, events);
}

static void
wake_locked (NavNetStream *self)
{
  if (self->source != NULL)
    g_source_set_ready_time ((GSource *) self->source, 0);
}

/* ------------------------------------------------------------- writing */

/* Called with the lock held.  Writes what the socket takes; returns FALSE
 * on a write error (in *errsv). */
static gboolean
flush_locked (NavNetStream *self,
              int          *errsv)
{
  while (self->woff < self->wbuf->len)
    {
      gsize len = self->wbuf->len - self->woff;
      gssize n;
      int e = 0;

      if (self->io_funcs != NULL)
        {
          if (self->io_funcs->retry_same && self->retry_len > 0)
            len = self->retry_len;
          else if (self->io_funcs->max_write > 0)
            len = MIN (len, self->io_funcs->max_write);
          n = self->io_funcs->send (self->io, self->wbuf->data + self->woff, len, &e);
        }
      else
        {
          n = send (self->fd, self->wbuf->data + self->woff, len, MSG_DONTWAIT | MSG_NOSIGNAL);
          e = n < 0 ? errno : 0;
        }
      if (n < 0)
        {
          if (e == EINTR)
            continue;
          if (e == EAGAIN || e == EWOULDBLOCK)
            {
              self->retry_len = len;
              break;
            }
          *errsv = e;
          return FALSE;
        }
      self->retry_len = 0;
      self->woff += n;
    }
  if (self->woff == self->wbuf->len)
    {
      g_byte_array_set_size (self->wbuf, 0);
      self->woff = 0;
    }
  else if (self->woff > self->wbuf->len / 2 && self->retry_len == 0)
    {
      /* Drop what is written once it is the larger part, so the buffer
       * does not only grow. */
      g_byte_array_remove_range (self->wbuf, 0, self->woff);
      self->woff = 0;
    }
  return TRUE;
}

/* Writes, in whichever thread; a failure is reported in the context. */
static void
flush (NavNetStream *self,
       gboolean      in_context)
{
  gboolean drained = FALSE, had = FALSE;
  int errsv = 0;
  GError *error = NULL;

  g_mutex_lock (&self->lock);
  if (self->state != STATE_OPEN || self->write_error != NULL || self->fd < 0)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  had = self->woff < self->wbuf->len;
  if (!flush_locked (self, &errsv))
    {
      error = g_error_new (NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_FAILED,
                           _("Could not send on the TCP connection: %s"), g_strerror (errsv));
      if (!in_context)
        {
          self->write_error = g_steal_pointer (&error);
          wake_locked (self);
        }
    }
  else
    drained = had && self->wbuf->len == 0;
  update_events_locked (self);
  g_mutex_unlock (&self->lock);

  if (error != NULL)
    stream_fail (self, error);
  else if (drained && in_context && self->funcs.drained != NULL)
    self->funcs.drained (self, self->user_data);
}

gboolean
nav_net_stream_queue (NavNetStream *self,
                      const guint8 *data,
                      gsize         len)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = self->state != STATE_CLOSED &&
       self->wbuf->len - self->woff + len <= self->max_queued;
  if (ok)
    g_byte_array_append (self->wbuf, data, len);
  g_mutex_unlock (&self->lock);
  return ok;
}

void
nav_net_stream_flush (NavNetStream *self)
{
  flush (self, g_main_context_is_owner (self->context));
}

gboolean
nav_net_stream_write (NavNetStream *self,
                      const guint8 *data,
                      gsize         len)
{
  gboolean waiting;

  if (!nav_net_stream_queue (self, data, len))
    return FALSE;
  g_mutex_lock (&self->lock);
  /* Bytes already wait for the socket: these go after them. */
  waiting = (self->events & G_IO_OUT) != 0;
  g_mutex_unlock (&self->lock);
  if (!waiting)
    nav_net_stream_flush (self);
  return TRUE;
}

gboolean
nav_net_stream_write_frame (NavNetStream *self,
                            const guint8 *data,
                            gsize         len)
{
  guint8 header[2];
  gboolean ok;

  if (self->framing != NAV_NET_FRAMING_RFC4571)
    return nav_net_stream_write (self, data, len);
  if (len > 65535)
    return FALSE;
  nav_net_rfc4571_header (header, len);
  g_mutex_lock (&self->lock);
  ok = self->state != STATE_CLOSED &&
       self->wbuf->len - self->woff + 2 + len <= self->max_queued;
  if (ok)
    {
      g_byte_array_append (self->wbuf, header, 2);
      g_byte_array_append (self->wbuf, data, len);
    }
  g_mutex_unlock (&self->lock);
  if (ok)
    nav_net_stream_flush (self);
  return ok;
}

gsize
nav_net_stream_get_queued (NavNetStream *self)
{
  gsize n;

  g_mutex_lock (&self->lock);
  n = self->wbuf->len - self->woff;
  g_mutex_unlock (&self->lock);
  return n;
}

void
nav_net_stream_set_max_queued (NavNetStream *self,
                               gsize         max_queued)
{
  g_mutex_lock (&self->lock);
  self->max_queued = max_queued;
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------- closing */

static void
close_locked (NavNetStream *self)
{
  self->state = STATE_CLOSED;
  if (self->source != NULL)
    {
      g_source_destroy ((GSource *) self->source);
      g_source_unref ((GSource *) self->source);
      self->source = NULL;
    }
}

static void
release_socket (NavNetStream *self)
{
  nav_net_source_clear (&self->timeout);
  if (self->io_funcs != NULL && self->io != NULL)
    self->io_funcs->free (self->io);
  self->io = NULL;
  if (self->gsocket != NULL)
    g_socket_close (self->gsocket, NULL);
  else if (self->fd >= 0)
    close (self->fd);
  self->fd = -1;
}

void
nav_net_stream_close (NavNetStream *self)
{
  g_mutex_lock (&self->lock);
  if (self->state == STATE_CLOSED)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  /* What the socket takes now still leaves: a close on request behaves
   * like a shutdown after the last write.  Plain TCP only: a TLS record
   * cut short is worse than none. */
  if (self->state == STATE_OPEN && self->io_funcs == NULL && self->woff < self->wbuf->len)
    {
      int errsv;

      flush_locked (self, &errsv);
    }
  close_locked (self);
  g_byte_array_set_size (self->wbuf, 0);
  self->woff = 0;
  g_mutex_unlock (&self->lock);
  release_socket (self);
}

/* The stream closes by itself: the owner hears why, once. */
static void
stream_fail (NavNetStream *self,
             GError       *error)
{
  g_mutex_lock (&self->lock);
  if (self->state == STATE_CLOSED)
    {
      g_mutex_unlock (&self->lock);
      g_error_free (error);
      return;
    }
  close_locked (self);
  g_mutex_unlock (&self->lock);
  release_socket (self);
  nav_net_stream_ref (self);
  if (self->funcs.closed != NULL)
    self->funcs.closed (self, error, self->user_data);
  nav_net_stream_unref (self);
  g_error_free (error);
}

static gboolean
state_is (NavNetStream *self,
          State         state)
{
  gboolean is;

  g_mutex_lock (&self->lock);
  is = self->state == state;
  g_mutex_unlock (&self->lock);
  return is;
}

gboolean
nav_net_stream_is_closed (NavNetStream *self)
{
  return state_is (self, STATE_CLOSED);
}

gboolean
nav_net_stream_is_open (NavNetStream *self)
{
  return state_is (self, STATE_OPEN);
}

/* ------------------------------------------------------------- reading */

/* Hands the complete frames in the buffer to the owner.  Returns FALSE
 * when the stream closed meanwhile. */
static gboolean
process (NavNetStream *self)
{
  gsize off = 0;

  while (self->state == STATE_OPEN && !self->paused && off < self->rlen)
    {
      const guint8 *p = self->rbuf + off;
      gsize avail = self->rlen - off;
      gssize flen;
      guint header;

      if (self->framing == NAV_NET_FRAMING_RAW)
        {
          off = self->rlen;
          self->funcs.frame (self, p, avail, self->user_data);
          break;
        }
      flen = nav_net_frame_length (self->framing, p, avail);
      if (flen == 0)
        break;
      if (flen < 0)
        {
          if (self->funcs.garbage != NULL && self->funcs.garbage (self, self->user_data))
            {
              off++;
              continue;
            }
          if (self->state == STATE_OPEN)
            stream_fail (self, g_error_new (NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_PROTOCOL,
                                            _("The peer sent bytes that are not a message of this protocol")));
          return FALSE;
        }
      if ((gsize) flen > avail)
        {
          /* Room for the whole frame, read on the next wake-up. */
          if ((gsize) flen > self->rcap)
            {
              self->rcap = MAX ((gsize) flen, MIN (self->rcap * 2, MAX_READ));
              self->rbuf = g_realloc (self->rbuf, self->rcap);
              p = self->rbuf + off;
            }
          break;
        }
      header = nav_net_frame_header (self->framing);
      off += flen;
      self->funcs.frame (self, p + header, flen - header, self->user_data);
    }
  if (off > 0 && self->funcs.frames_done != NULL)
    self->funcs.frames_done (self, self->user_data);
  if (self->state == STATE_CLOSED)
    return FALSE;
  if (off > 0)
    {
      memmove (self->rbuf, self->rbuf + off, self->rlen - off);
      self->rlen -= off;
    }
  return TRUE;
}

static gssize
read_some (NavNetStream *self,
           int          *errsv)
{
  gssize n;

  if (self->rcap - self->rlen < INITIAL_READ && self->rcap < MAX_READ)
    {
      self->rcap = MIN (self->rcap * 2, MAX_READ);
      self->rbuf = g_realloc (self->rbuf, self->rcap);
    }
  if (self->io_funcs != NULL)
    return self->io_funcs->recv (self->io, self->rbuf + self->rlen, self->rcap - self->rlen, errsv);
  do
    n = recv (self->fd, self->rbuf + self->rlen, self->rcap - self->rlen, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  *errsv = n < 0 ? errno : 0;
  return n;
}

static void
do_read (NavNetStream *self)
{
  guint rounds;

  /* Frames left over by a pause first. */
  if (!process (self))
    return;
  for (rounds = 0; rounds < READ_ROUNDS && self->state == STATE_OPEN && !self->paused; rounds++)
    {
      int errsv = 0;
      gssize n;

      n = read_some (self, &errsv);
      if (n > 0)
        {
          gboolean filled = (gsize) n == self->rcap - self->rlen;

          self->rlen += n;
          self->last_activity = g_get_monotonic_time ();
          if (!process (self))
            return;
          /* A busy connection filled the buffer: a bigger one, so that a
           * wake-up reads (and relays) more at once. */
          if (filled && self->rcap < MAX_READ)
            {
              self->rcap = MIN (self->rcap * 2, MAX_READ);
              self->rbuf = g_realloc (self->rbuf, self->rcap);
            }
          continue;
        }
      if (n < 0 && (errsv == EAGAIN || errsv == EWOULDBLOCK))
        break;
      if (n == 0)
        {
          /* A frame cut short by the end of the stream is not a message. */
          if (self->rlen > 0 && self->framing != NAV_NET_FRAMING_RAW)
            stream_fail (self, g_error_new (NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_PROTOCOL,
                                            _("The peer closed the connection inside a frame (%u bytes of it received)"),
                                            (guint) self->rlen));
          else
            stream_fail (self, g_error_new_literal (NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_CLOSED,
                                                    _("The peer closed the connection")));
          return;
        }
      stream_fail (self, g_error_new (NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_FAILED,
                                      _("Could not receive on the TCP connection: %s"),
                                      g_strerror (errsv)));
      return;
    }
  /* Decrypted bytes wait in the TLS session, or the round limit was
   * hit: come back without waiting for the socket. */
  if (self->state == STATE_OPEN && !self->paused &&
      (rounds == READ_ROUNDS ||
       (self->io_funcs != NULL && self->io_funcs->pending != NULL &&
        self->io_funcs->pending (self->io))))
    {
      g_mutex_lock (&self->lock);
      wake_locked (self);
      g_mutex_unlock (&self->lock);
    }
}

/* ------------------------------------------------------ connect, TLS */

static void
become_open (NavNetStream *self)
{
  g_mutex_lock (&self->lock);
  if (self->state == STATE_CLOSED)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  self->state = STATE_OPEN;
  update_events_locked (self);
  g_mutex_unlock (&self->lock);
  nav_net_source_clear (&self->timeout);
  nav_net_socket_get_local (self->fd, &self->local);
  if (self->funcs.connected != NULL)
    self->funcs.connected (self, self->user_data);
  /* What was written while connecting. */
  if (self->state == STATE_OPEN)
    flush (self, TRUE);
}

static void
do_handshake (NavNetStream *self)
{
  g_autoptr (GError) error = NULL;
  GIOCondition wait = G_IO_IN;
  int r = self->io_funcs->handshake (self->io, &wait, &error);

  if (r < 0)
    {
      stream_fail (self, g_steal_pointer (&error));
      return;
    }
  if (r > 0)
    {
      become_open (self);
      return;
    }
  g_mutex_lock (&self->lock);
  self->handshake_wait = wait;
  update_events_locked (self);
  g_mutex_unlock (&self->lock);
}

static void
do_connected (NavNetStream *self)
{
  gchar buf[NAV_ADDRESS_STRING_LEN];
  int err = 0;
  socklen_t len = sizeof err;

  if (self->connect_errno != 0)
    err = self->connect_errno;
  else if (getsockopt (self->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
    err = errno;
  if (err == EINPROGRESS || err == EALREADY)
    return;
  if (err != 0)
    {
      stream_fail (self, g_error_new (NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NOT_CONNECTED,
                                      _("Could not connect to %s: %s"), describe (self, buf),
                                      g_strerror (err)));
      return;
    }
  if (self->io_funcs != NULL && self->io_funcs->handshake != NULL)
    {
      g_mutex_lock (&self->lock);
      self->state = STATE_HANDSHAKING;
      g_mutex_unlock (&self->lock);
      do_handshake (self);
      return;
    }
  become_open (self);
}

static gboolean
on_connect_timeout (gpointer user_data)
{
  NavNetStream *self = user_data;
  gchar buf[NAV_ADDRESS_STRING_LEN];

  g_clear_pointer (&self->timeout, g_source_unref);
  stream_fail (self, g_error_new (NAV_ERROR, NAV_ERROR_TIMED_OUT,
                                  _("Connecting to %s timed out after %u ms"),
                                  describe (self, buf), self->timeout_ms));
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------- source */

static gboolean
stream_source_dispatch (GSource     *source,
                        GSourceFunc  callback,
                        gpointer     user_data)
{
  StreamSource *ss = (StreamSource *) source;
  NavNetStream *self = ss->stream;
  GIOCondition revents = g_source_query_unix_fd (source, ss->tag);
  GError *write_error;

  g_source_set_ready_time (source, -1);
  nav_net_stream_ref (self);

  g_mutex_lock (&self->lock);
  write_error = g_steal_pointer (&self->write_error);
  g_mutex_unlock (&self->lock);
  if (write_error != NULL)
    {
      stream_fail (self, write_error);
      goto out;
    }

  switch (self->state)
    {
    case STATE_CONNECTING:
      if (self->connect_errno != 0 || (revents & (G_IO_OUT | G_IO_ERR | G_IO_HUP)))
        do_connected (self);
      break;
    case STATE_HANDSHAKING:
      do_handshake (self);
      break;
    case STATE_OPEN:
      if (revents & G_IO_OUT)
        flush (self, TRUE);
      /* Readable, hung up (read the end), or woken for pending bytes. */
      if (self->state == STATE_OPEN && !self->paused)
        do_read (self);
      break;
    case STATE_CLOSED:
      break;
    }
out:
  nav_net_stream_unref (self);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs stream_source_funcs = {
  NULL, NULL, stream_source_dispatch, NULL, NULL, NULL,
};

static NavNetStream *
stream_alloc (GMainContext            *context,
              int                      fd,
              NavNetFraming            framing,
              const NavNetStreamFuncs *funcs,
              gpointer                 user_data)
{
  NavNetStream *self = g_new0 (NavNetStream, 1);
  int one = 1;

  self->ref_count = 1;
  self->context = context != NULL ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  self->fd = fd;
  self->framing = framing;
  self->funcs = *funcs;
  self->user_data = user_data;
  self->rcap = INITIAL_READ;
  self->rbuf = g_malloc (self->rcap);
  self->wbuf = g_byte_array_new ();
  self->max_queued = DEFAULT_MAX_QUEUED;
  self->last_activity = g_get_monotonic_time ();
  g_mutex_init (&self->lock);
  nav_address_init (&self->local);
  nav_address_init (&self->remote);
  /* Frames are messages (STUN, checks, media): each leaves at once. */
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return self;
}

static void
stream_attach (NavNetStream *self,
               GIOCondition  events)
{
  StreamSource *ss = (StreamSource *) g_source_new (&stream_source_funcs, sizeof (StreamSource));

  ss->stream = self;
  ss->tag = g_source_add_unix_fd ((GSource *) ss, self->fd, events);
  self->events = events;
  self->source = ss;
  g_source_set_static_name ((GSource *) ss, "[nav] stream");
  g_source_attach ((GSource *) ss, self->context);
}

NavNetStream *
nav_net_stream_new (GMainContext            *context,
                    int                      fd,
                    const NavNetStreamIo    *io_funcs,
                    gpointer                 io,
                    NavNetFraming            framing,
                    const NavNetStreamFuncs *funcs,
                    gpointer                 user_data,
                    gboolean                 start_paused)
{
  NavNetStream *self = stream_alloc (context, fd, framing, funcs, user_data);

  self->io_funcs = io_funcs;
  self->io = io;
  self->state = STATE_OPEN;
  self->paused = start_paused;
  nav_net_socket_get_local (fd, &self->local);
  nav_net_socket_get_peer (fd, &self->remote);
  stream_attach (self, start_paused ? 0 : G_IO_IN);
  /* Bytes a TLS session decrypted during its handshake. */
  if (io_funcs != NULL && io_funcs->pending != NULL && io_funcs->pending (io))
    g_source_set_ready_time ((GSource *) self->source, 0);
  return self;
}

NavNetStream *
nav_net_stream_new_detached (GMainContext            *context,
                             NavNetFraming            framing,
                             const NavNetStreamFuncs *funcs,
                             gpointer                 user_data)
{
  NavNetStream *self = g_new0 (NavNetStream, 1);

  self->ref_count = 1;
  self->context = context != NULL ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  self->fd = -1;
  self->framing = framing;
  self->funcs = *funcs;
  self->user_data = user_data;
  self->rcap = INITIAL_READ;
  self->rbuf = g_malloc (self->rcap);
  self->wbuf = g_byte_array_new ();
  self->max_queued = DEFAULT_MAX_QUEUED;
  self->state = STATE_OPEN;
  g_mutex_init (&self->lock);
  nav_address_init (&self->local);
  nav_address_init (&self->remote);
  return self;
}

void
nav_net_stream_feed (NavNetStream *self,
                     const guint8 *data,
                     gsize         len)
{
  if (self->state != STATE_OPEN)
    return;
  if (self->rlen + len > self->rcap)
    {
      self->rcap = self->rlen + len;
      self->rbuf = g_realloc (self->rbuf, self->rcap);
    }
  memcpy (self->rbuf + self->rlen, data, len);
  self->rlen += len;
  nav_net_stream_ref (self);
  process (self);
  nav_net_stream_unref (self);
}

NavNetStream *
nav_net_stream_connect_fd (GMainContext            *context,
                           int                      fd,
                           const NavAddress        *remote,
                           guint                    timeout_ms,
                           NavNetFraming            framing,
                           const NavNetStreamFuncs *funcs,
                           gpointer                 user_data,
                           GError                 **error)
{
  NavNetStream *self;
  struct sockaddr_storage ss;
  socklen_t sl;

  self = stream_alloc (context, fd, framing, funcs, user_data);
  self->remote = *remote;
  self->state = STATE_CONNECTING;
  sl = nav_address_copy_to_sockaddr (remote, (struct sockaddr *) &ss, sizeof ss);
  stream_attach (self, G_IO_OUT);
  if (connect (fd, (struct sockaddr *) &ss, sl) < 0 && errno != EINPROGRESS)
    {
      /* Refused at once (or unreachable): said from the context, as a
       * connect that fails later would be. */
      self->connect_errno = errno;
      g_mutex_lock (&self->lock);
      wake_locked (self);
      g_mutex_unlock (&self->lock);
    }
  if (timeout_ms > 0)
    {
      self->timeout_ms = timeout_ms;
      self->timeout = g_timeout_source_new (timeout_ms);
      g_source_set_callback (self->timeout, on_connect_timeout, self, NULL);
      g_source_set_static_name (self->timeout, "[nav] stream connect timeout");
      g_source_attach (self->timeout, self->context);
    }
  return self;
}

NavNetStream *
nav_net_stream_connect (GMainContext            *context,
                        const NavAddress        *remote,
                        const NavAddress        *bind_ip,
                        guint                    timeout_ms,
                        NavNetFraming            framing,
                        const NavNetStreamFuncs *funcs,
                        gpointer                 user_data,
                        GError                 **error)
{
  NavAddress local;
  int fd, errsv = 0;
  gchar buf[NAV_ADDRESS_STRING_LEN];

  if (bind_ip != NULL)
    {
      local = *bind_ip;
      nav_address_set_port (&local, 0);
      fd = nav_net_socket_open (&local, SOCK_STREAM, 0, 0, NULL, &errsv);
    }
  else
    fd = nav_net_socket_open (remote, SOCK_STREAM, NAV_NET_SOCKET_NO_BIND, 0, NULL, &errsv);
  if (fd < 0)
    {
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NOT_CONNECTED,
                   _("Could not connect to %s: %s"),
                   nav_address_to_string_buf (remote, buf), g_strerror (errsv));
      return NULL;
    }
  return nav_net_stream_connect_fd (context, fd, remote, timeout_ms, framing, funcs,
                                    user_data, error);
}

void
nav_net_stream_set_io (NavNetStream         *self,
                       const NavNetStreamIo *io_funcs,
                       gpointer              io)
{
  g_return_if_fail (self->io_funcs == NULL);

  self->io_funcs = io_funcs;
  self->io = io;
}

NavNetStream *
nav_net_stream_ref (NavNetStream *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

void
nav_net_stream_unref (NavNetStream *self)
{
  if (self == NULL || !g_atomic_int_dec_and_test (&self->ref_count))
    return;
  g_mutex_lock (&self->lock);
  close_locked (self);
  g_mutex_unlock (&self->lock);
  release_socket (self);
  g_clear_object (&self->gsocket);
  g_clear_error (&self->write_error);
  g_byte_array_unref (self->wbuf);
  g_free (self->rbuf);
  g_mutex_clear (&self->lock);
  g_main_context_unref (self->context);
  g_free (self);
}

void
nav_net_stream_pause (NavNetStream *self)
{
  g_mutex_lock (&self->lock);
  self->paused = TRUE;
  update_events_locked (self);
  g_mutex_unlock (&self->lock);
}

void
nav_net_stream_resume (NavNetStream *self)
{
  g_mutex_lock (&self->lock);
  if (self->paused)
    {
      self->paused = FALSE;
      update_events_locked (self);
      /* Frames may wait in the buffer already. */
      if (self->rlen > 0 || (self->io_funcs != NULL && self->io_funcs->pending != NULL))
        wake_locked (self);
    }
  g_mutex_unlock (&self->lock);
}

gboolean
nav_net_stream_is_paused (NavNetStream *self)
{
  return self->paused;
}

void
nav_net_stream_set_framing (NavNetStream  *self,
                            NavNetFraming  framing)
{
  self->framing = framing;
}

int
nav_net_stream_get_fd (NavNetStream *self)
{
  return self->fd;
}

gboolean
nav_net_stream_is_tls (NavNetStream *self)
{
  return self->io_funcs != NULL;
}

const NavAddress *
nav_net_stream_get_local (NavNetStream *self)
{
  return &self->local;
}

const NavAddress *
nav_net_stream_get_remote (NavNetStream *self)
{
  return &self->remote;
}

gint64
nav_net_stream_get_last_activity (NavNetStream *self)
{
  return self->last_activity;
}

GSocket *
nav_net_stream_get_socket (NavNetStream *self)
{
  if (self->gsocket == NULL && self->fd >= 0)
    self->gsocket = g_socket_new_from_fd (self->fd, NULL);
  return self->gsocket;
}

gpointer
nav_net_stream_get_user_data (NavNetStream *self)
{
  return self->user_data;
}

void
nav_net_stream_set_user_data (NavNetStream *self,
                              gpointer      user_data)
{
  self->user_data = user_data;
}

void
nav_net_stream_set_funcs (NavNetStream            *self,
                          const NavNetStreamFuncs *funcs,
                          gpointer                 user_data)
{
  self->funcs = *funcs;
  self->user_data = user_data;
}
