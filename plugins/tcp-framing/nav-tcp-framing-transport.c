/* nav-tcp-framing-transport.c: a NavTransport over one TCP connection,
 * with RFC 4571 framing
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Built from the public API only (<netavanue/netavanue.h> and
 * pkg-config netavanue-1.0), as a third party's transport would be.
 */
#ifndef GETTEXT_PACKAGE
#define GETTEXT_PACKAGE "netavanue"
#endif

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <glib/gi18n-lib.h>
#include <netavanue/netavanue.h>

#include "nav-tcp-framing-transport.h"

/**
 * NavTcpFramingTransport:
 *
 * A [iface@Nav.Transport] over one TCP connection, each message framed as
 * RFC 4571 §2 says: a 16-bit length in network byte order, then the
 * message.  It is the transport of ICE-TCP candidates (RFC 6544 §3) and of
 * STUN/TURN over TCP.
 *
 * It is built in one of two ways:
 *
 * - with [property@Nav.TcpFramingTransport:connection], a connection that
 *   already exists (one accepted from a `GSocketListener`, typically): the
 *   transport is passive (%NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE);
 * - with [property@Nav.TcpFramingTransport:remote-address]: the transport
 *   connects there asynchronously, in its main context, and is active
 *   (%NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE).  The connection attempt gives up
 *   after [property@Nav.TcpFramingTransport:connect-timeout] seconds: a
 *   connect never hangs forever.
 *
 * The object implements `GInitable`; [method@Nav.Registry.create]
 * initialises it.  Messages sent before the connection is established are
 * queued, up to [property@Nav.TcpFramingTransport:max-queued-bytes] bytes
 * (the same bound applies when the socket's send buffer is full); beyond
 * it [method@Nav.Transport.send] fails with
 * %NAV_TRANSPORT_ERROR_WOULD_BLOCK.  A message longer than 65535 bytes
 * cannot be framed and fails with %NAV_TRANSPORT_ERROR_MESSAGE_TOO_LARGE.
 * The destination given to [method@Nav.Transport.send] must be %NULL or the
 * peer's address.
 *
 * Received bytes are read without blocking, in the transport's main
 * context, and each complete frame is delivered once, whole, however the
 * bytes were split by the network.
 *
 * The transport closes, and emits [signal@Nav.Transport::closed] once,
 * with:
 *
 * - %NAV_TRANSPORT_ERROR_NOT_CONNECTED when the connection attempt fails;
 * - %NAV_ERROR_TIMED_OUT when it does not complete in time;
 * - %NAV_TRANSPORT_ERROR_CLOSED when the peer closes the connection
 *   between frames;
 * - %NAV_TRANSPORT_ERROR_PROTOCOL when the peer closes it inside a frame;
 * - %NAV_TRANSPORT_ERROR_FAILED on a read or write error;
 * - no error (%NULL) when closed by [method@Nav.Transport.close].
 *
 * Sending may be done from any thread; everything else belongs to the
 * transport's main context.
 *
 * Since: 1.0
 */

/* Bytes read per dispatch.  A frame may span several reads; the source
 * stays readable and fires again when more is waiting. */
#define READ_CHUNK 65536

#define DEFAULT_CONNECT_TIMEOUT 10
#define DEFAULT_MAX_QUEUED_BYTES (1024 * 1024)
/* The queue must at least hold one frame of the largest size. */
#define MIN_MAX_QUEUED_BYTES (2 + NAV_TCP_FRAMING_MAX_FRAME)

typedef enum {
  STATE_NEW,
  STATE_CONNECTING,
  STATE_CONNECTED,
  STATE_CLOSED,
} State;

struct _NavTcpFramingTransport
{
  GObject parent_instance;

  /* Construct properties; constant once initialised. */
  GMainContext *context;
  GSocketConnection *connection;
  NavAddress *remote_address;
  NavAddress *bind_address;
  guint connect_timeout;
  guint max_queued_bytes;
  NavCandidateTransport protocol;

  /* Set once, when connected; read from any thread afterwards. */
  NavAddress *local_address;

  /* Reading: only in the main context. */
  GInputStream *input;
  GByteArray *inbuf;
  GSource *read_source;

  /* Guards everything below: send() may come from any thread. */
  GMutex lock;
  State state;
  GOutputStream *output;
  GByteArray *outbuf;           /* framed bytes not yet written */
  gsize out_offset;             /* how much of outbuf is written */
  GSource *write_source;
  GSource *connect_source;
  GSource *timeout_source;
  GSource *fail_source;
  GError *write_error;          /* reported by fail_source */
  GCancellable *cancellable;
};

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_LOCAL_ADDRESS,
  PROP_REMOTE_ADDRESS,
  PROP_CONNECTION,
  PROP_CONNECT_TIMEOUT,
  PROP_MAX_QUEUED_BYTES,
  PROP_PROTOCOL,
  PROP_CONNECTED,
  PROP_BIND_ADDRESS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void nav_tcp_framing_transport_transport_init (NavTransportInterface *iface);
static void nav_tcp_framing_transport_initable_init (GInitableIface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NavTcpFramingTransport, nav_tcp_framing_transport,
                                G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (NAV_TYPE_TRANSPORT,
                                                               nav_tcp_framing_transport_transport_init)
                                G_IMPLEMENT_INTERFACE_DYNAMIC (G_TYPE_INITABLE,
                                                               nav_tcp_framing_transport_initable_init))

/**
 * nav_tcp_framing_transport_register: (skip)
 * @module: the plugin's type module
 *
 * Registers [class@Nav.TcpFramingTransport] in @module; called from the
 * plugin's load function.
 */
void
nav_tcp_framing_transport_register (GTypeModule *module)
{
  nav_tcp_framing_transport_register_type (module);
}

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static GSource *
attach_source (NavTcpFramingTransport *self,
               GSource                *source,
               GSourceFunc             func)
{
  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, self->context);
  return source;
}

/* Closes the connection and emits ::closed once.  Never called with the
 * lock held: the signal handlers may call back in. */
static void
close_with_error (NavTcpFramingTransport *self,
                  const GError           *error)
{
  GSocketConnection *connection;
  State was;

  g_mutex_lock (&self->lock);
  was = self->state;
  if (was == STATE_CLOSED)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  self->state = STATE_CLOSED;

  /* Whatever the socket takes now is still sent: a close on request
   * behaves like shutdown after the last send. */
  if (error == NULL && self->output != NULL && self->out_offset < self->outbuf->len)
    {
      gssize n = g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (self->output),
                                                             self->outbuf->data + self->out_offset,
                                                             self->outbuf->len - self->out_offset,
                                                             NULL, NULL);
      if (n > 0)
        self->out_offset += n;
    }
  g_byte_array_set_size (self->outbuf, 0);
  self->out_offset = 0;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  clear_source (&self->connect_source);
  clear_source (&self->timeout_source);
  clear_source (&self->write_source);
  clear_source (&self->fail_source);
  clear_source (&self->read_source);
  self->output = NULL;
  self->input = NULL;
  connection = g_steal_pointer (&self->connection);
  g_mutex_unlock (&self->lock);

  if (connection != NULL)
    {
      /* Closing a socket does not block. */
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      g_object_unref (connection);
    }

  if (was == STATE_CONNECTED)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
  if (was != STATE_NEW)
    nav_transport_emit_closed (NAV_TRANSPORT (self), error);
}

static void
close_with_new_error (NavTcpFramingTransport *self,
                      GQuark                  domain,
                      gint                    code,
                      const gchar            *format,
                      ...) G_GNUC_PRINTF (4, 5);

static void
close_with_new_error (NavTcpFramingTransport *self,
                      GQuark                  domain,
                      gint                    code,
                      const gchar            *format,
                      ...)
{
  g_autoptr (GError) error = NULL;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (domain, code, format, args);
  va_end (args);

  g_debug ("TCP transport %p closing: %s", self, error->message);
  close_with_error (self, error);
}

static gboolean on_writable (GObject  *stream,
                             gpointer  user_data);

/* Writes what the socket takes now.  Returns FALSE on a write error other
 * than EAGAIN; otherwise makes sure a writable source waits for the rest.
 * Called with the lock held, once connected. */
static gboolean
flush_locked (NavTcpFramingTransport  *self,
              GError                 **error)
{
  while (self->out_offset < self->outbuf->len)
    {
      g_autoptr (GError) local_error = NULL;
      gssize n;

      n = g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (self->output),
                                                      self->outbuf->data + self->out_offset,
                                                      self->outbuf->len - self->out_offset,
                                                      NULL, &local_error);
      if (n < 0)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            break;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      self->out_offset += n;
    }

  if (self->out_offset == self->outbuf->len)
    {
      g_byte_array_set_size (self->outbuf, 0);
      self->out_offset = 0;
    }
  else
    {
      /* Drop what is written once it is the larger part, so the buffer
       * does not only grow. */
      if (self->out_offset > self->outbuf->len / 2)
        {
          g_byte_array_remove_range (self->outbuf, 0, self->out_offset);
          self->out_offset = 0;
        }
      if (self->write_source == NULL)
        {
          GSource *source;

          source = g_pollable_output_stream_create_source (G_POLLABLE_OUTPUT_STREAM (self->output),
                                                           NULL);
          self->write_source = attach_source (self, source, G_SOURCE_FUNC (on_writable));
        }
    }
  return TRUE;
}

/* A GPollableSourceFunc: the stream comes first. */
static gboolean
on_writable (GObject  *stream,
             gpointer  user_data)
{
  NavTcpFramingTransport *self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  g_mutex_lock (&self->lock);
  if (self->state != STATE_CONNECTED)
    {
      g_mutex_unlock (&self->lock);
      return G_SOURCE_CONTINUE;   /* destroyed by close_with_error () */
    }
  /* flush_locked () attaches a new source if one is still needed. */
  g_clear_pointer (&self->write_source, g_source_unref);
  ok = flush_locked (self, &error);
  g_mutex_unlock (&self->lock);

  if (!ok)
    close_with_new_error (self, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_FAILED,
                          _("Could not send on the TCP connection: %s"),
                          error->message);
  return G_SOURCE_REMOVE;
}

/* A write error in send (), which may run in any thread: ::closed is
 * emitted from the main context. */
static gboolean
on_write_failed (gpointer user_data)
{
  NavTcpFramingTransport *self = user_data;
  g_autoptr (GError) error = NULL;

  g_mutex_lock (&self->lock);
  error = g_steal_pointer (&self->write_error);
  g_clear_pointer (&self->fail_source, g_source_unref);
  g_mutex_unlock (&self->lock);

  if (error != NULL)
    close_with_error (self, error);
  return G_SOURCE_REMOVE;
}

static void
deliver_frames (NavTcpFramingTransport *self)
{
  gsize consumed = 0;

  /* RFC 4571 §2: each frame is LENGTH (16 bits, network order) followed
   * by LENGTH bytes.  A zero LENGTH is a valid, empty frame. */
  while (self->inbuf->len - consumed >= 2)
    {
      const guint8 *p = self->inbuf->data + consumed;
      gsize frame_len = ((gsize) p[0] << 8) | p[1];

      if (self->inbuf->len - consumed < 2 + frame_len)
        break;

      consumed += 2 + frame_len;
      nav_transport_deliver (NAV_TRANSPORT (self), p + 2, frame_len, self->remote_address);

      /* A handler may have closed the transport. */
      g_mutex_lock (&self->lock);
      if (self->state == STATE_CLOSED)
        {
          g_mutex_unlock (&self->lock);
          return;
        }
      g_mutex_unlock (&self->lock);
    }

  if (consumed > 0)
    g_byte_array_remove_range (self->inbuf, 0, consumed);
}

static gboolean
read_and_deliver (NavTcpFramingTransport *self)
{
  g_autoptr (GError) error = NULL;
  guint old_len = self->inbuf->len;
  gssize n;

  g_byte_array_set_size (self->inbuf, old_len + READ_CHUNK);
  n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (self->input),
                                                self->inbuf->data + old_len, READ_CHUNK,
                                                NULL, &error);
  g_byte_array_set_size (self->inbuf, old_len + MAX (n, 0));

  if (n < 0)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
      close_with_new_error (self, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_FAILED,
                            _("Could not receive on the TCP connection: %s"),
                            error->message);
      return G_SOURCE_REMOVE;
    }

  if (n == 0)
    {
      /* A frame cut short by the end of the stream is not a message: RFC
       * 4571 has no way to say where the next one would begin. */
      if (self->inbuf->len > 0)
        close_with_new_error (self, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_PROTOCOL,
                              _("The peer closed the connection inside a frame (%u bytes of it received)"),
                              self->inbuf->len);
      else
        close_with_new_error (self, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_CLOSED,
                              _("The peer closed the connection"));
      return G_SOURCE_REMOVE;
    }

  deliver_frames (self);
  return G_SOURCE_CONTINUE;
}

/* A GPollableSourceFunc: the stream comes first. */
static gboolean
on_readable (GObject  *stream,
             gpointer  user_data)
{
  NavTcpFramingTransport *self = user_data;
  gboolean again;

  /* The handlers of ::received and ::closed may drop the last reference. */
  g_object_ref (self);
  again = read_and_deliver (self);
  g_object_unref (self);
  return again;
}

static NavAddress *
address_from_socket (GSocketAddress  *sockaddr,
                     GError         **error)
{
  if (sockaddr == NULL)
    return NULL;
  return nav_address_new_from_socket_address (sockaddr, error);
}

/* Takes over a connected socket: addresses, streams, reading, and the
 * bytes queued while connecting.  Called in the main context, or from
 * initialisation. */
static gboolean
setup_connection (NavTcpFramingTransport  *self,
                  GSocketConnection       *connection,
                  GError                 **error)
{
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GSocketAddress) remote = NULL;
  g_autoptr (GError) write_error = NULL;
  GSocket *socket = g_socket_connection_get_socket (connection);
  GSource *source;
  gboolean ok;

  local = g_socket_connection_get_local_address (connection, error);
  if (local == NULL)
    return FALSE;
  self->local_address = address_from_socket (local, error);
  if (self->local_address == NULL)
    return FALSE;

  if (self->remote_address == NULL)
    {
      remote = g_socket_connection_get_remote_address (connection, error);
      if (remote == NULL)
        return FALSE;
      self->remote_address = address_from_socket (remote, error);
      if (self->remote_address == NULL)
        return FALSE;
    }

  if (!G_IS_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (G_IO_STREAM (connection))) ||
      !G_IS_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (G_IO_STREAM (connection))))
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("The connection’s streams cannot be polled"));
      return FALSE;
    }

  /* Frames are messages (STUN checks, media): send each at once rather
   * than wait to coalesce it with the next. */
  if (g_socket_get_family (socket) != G_SOCKET_FAMILY_UNIX)
    g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);

  self->input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  source = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (self->input), NULL);
  self->read_source = attach_source (self, source, G_SOURCE_FUNC (on_readable));

  g_mutex_lock (&self->lock);
  if (self->connection != connection)
    g_set_object (&self->connection, connection);
  self->output = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  self->state = STATE_CONNECTED;
  ok = flush_locked (self, &write_error);
  if (!ok && self->fail_source == NULL)
    {
      self->write_error = g_error_new (NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_FAILED,
                                       _("Could not send on the TCP connection: %s"),
                                       write_error->message);
      self->fail_source = attach_source (self, g_idle_source_new (), on_write_failed);
    }
  g_mutex_unlock (&self->lock);

  return TRUE;
}

typedef struct {
  GWeakRef self;
} ConnectData;

static void
connect_data_free (ConnectData *data)
{
  g_weak_ref_clear (&data->self);
  g_free (data);
}

static void
on_connected (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  ConnectData *data = user_data;
  g_autoptr (NavTcpFramingTransport) self = g_weak_ref_get (&data->self);
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *remote = NULL;
  gboolean closed;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source_object), result, &error);
  connect_data_free (data);

  if (self == NULL)
    {
      if (connection != NULL)
        g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return;
    }

  g_mutex_lock (&self->lock);
  closed = self->state == STATE_CLOSED;
  clear_source (&self->timeout_source);
  g_mutex_unlock (&self->lock);

  /* Closed meanwhile (on request, or by the timeout): it reported why. */
  if (closed)
    {
      if (connection != NULL)
        g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return;
    }

  remote = nav_address_to_string (self->remote_address);
  if (connection == NULL)
    {
      close_with_new_error (self, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NOT_CONNECTED,
                            _("Could not connect to %s: %s"), remote, error->message);
      return;
    }

  if (!setup_connection (self, connection, &error))
    {
      close_with_new_error (self, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NOT_CONNECTED,
                            _("Could not connect to %s: %s"), remote, error->message);
      return;
    }

  g_debug ("TCP transport %p connected to %s", self, remote);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCAL_ADDRESS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
}

static gboolean
on_connect_timeout (gpointer user_data)
{
  NavTcpFramingTransport *self = user_data;
  g_autofree gchar *remote = nav_address_to_string (self->remote_address);

  /* Cancels the attempt; on_connected () then finds the transport closed. */
  close_with_new_error (self, NAV_ERROR, NAV_ERROR_TIMED_OUT,
                        g_dngettext (GETTEXT_PACKAGE,
                                     "Connecting to %s timed out after %u second",
                                     "Connecting to %s timed out after %u seconds",
                                     self->connect_timeout),
                        remote, self->connect_timeout);
  return G_SOURCE_REMOVE;
}

static gboolean
start_connect (gpointer user_data)
{
  NavTcpFramingTransport *self = user_data;
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketAddress) address = nav_address_to_socket_address (self->remote_address);
  ConnectData *data = g_new0 (ConnectData, 1);

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->connect_source, g_source_unref);
  g_mutex_unlock (&self->lock);

  g_weak_ref_init (&data->self, self);
  /* A peer's transport address is reached directly, never through an
   * HTTP or SOCKS proxy (ICE-TCP, RFC 6544; TURN over TCP). */
  g_socket_client_set_enable_proxy (client, FALSE);
  /* An ICE-TCP active candidate connects from its own address (RFC 6544
   * §4.5), not from whichever the routing table prefers. */
  if (self->bind_address != NULL)
    {
      NavAddress ip = *self->bind_address;
      g_autoptr (GSocketAddress) local = NULL;

      nav_address_set_port (&ip, 0);
      local = nav_address_to_socket_address (&ip);
      g_socket_client_set_local_address (client, local);
    }
  /* GSocketClient completes in the thread-default context of the call;
   * this runs in a dispatch of self->context, which is therefore owned by
   * this thread and can be pushed. */
  g_main_context_push_thread_default (self->context);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address),
                                 self->cancellable, on_connected, data);
  g_main_context_pop_thread_default (self->context);

  return G_SOURCE_REMOVE;
}

static gboolean
nav_tcp_framing_transport_initable_init_impl (GInitable     *initable,
                                              GCancellable  *cancellable,
                                              GError       **error)
{
  NavTcpFramingTransport *self = NAV_TCP_FRAMING_TRANSPORT (initable);

  if (self->state != STATE_NEW)
    return TRUE;

  if ((self->connection == NULL) == (self->remote_address == NULL))
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("A TCP framing transport needs either a connection or a remote address"));
      return FALSE;
    }
  if (self->connection != NULL)
    {
      if (self->protocol == NAV_CANDIDATE_TRANSPORT_UDP)
        self->protocol = NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE;
      return setup_connection (self, self->connection, error);
    }

  if (!nav_address_is_valid (self->remote_address) ||
      nav_address_get_port (self->remote_address) == 0)
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ADDRESS,
                   _("Cannot connect to an address without a port"));
      return FALSE;
    }

  if (self->protocol == NAV_CANDIDATE_TRANSPORT_UDP)
    self->protocol = NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE;

  g_mutex_lock (&self->lock);
  self->state = STATE_CONNECTING;
  self->cancellable = g_cancellable_new ();
  /* Started from the main context, which may be running in another
   * thread now (see start_connect ()). */
  self->connect_source = attach_source (self, g_idle_source_new (), start_connect);
  self->timeout_source = attach_source (self,
                                        g_timeout_source_new_seconds (self->connect_timeout),
                                        on_connect_timeout);
  g_mutex_unlock (&self->lock);

  return TRUE;
}

static void
nav_tcp_framing_transport_initable_init (GInitableIface *iface)
{
  iface->init = nav_tcp_framing_transport_initable_init_impl;
}

static gboolean
nav_tcp_framing_transport_send (NavTransport      *transport,
                                const NavAddress  *to,
                                const guint8      *data,
                                gsize              len,
                                GError           **error)
{
  NavTcpFramingTransport *self = NAV_TCP_FRAMING_TRANSPORT (transport);
  g_autoptr (GError) write_error = NULL;
  guint8 header[2];
  gsize pending;

  if (len > NAV_TCP_FRAMING_MAX_FRAME)
    {
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_MESSAGE_TOO_LARGE,
                   _("A message of %lu bytes does not fit in an RFC 4571 frame (at most %u bytes)"),
                   (gulong) len, NAV_TCP_FRAMING_MAX_FRAME);
      return FALSE;
    }

  g_mutex_lock (&self->lock);

  if (self->state == STATE_NEW || self->state == STATE_CLOSED)
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_CLOSED,
                   self->state == STATE_NEW ?
                   _("The TCP transport is not initialised") :
                   _("The TCP transport is closed"));
      return FALSE;
    }

  if (to != NULL && !nav_address_equal (to, self->remote_address))
    {
      g_autofree gchar *to_str = nav_address_to_string (to);
      g_autofree gchar *peer_str = nav_address_to_string (self->remote_address);

      g_mutex_unlock (&self->lock);
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NOT_CONNECTED,
                   _("The TCP transport is connected to %s, not to %s"), peer_str, to_str);
      return FALSE;
    }

  pending = self->outbuf->len - self->out_offset;
  if (pending + 2 + len > self->max_queued_bytes)
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_WOULD_BLOCK,
                   _("The TCP transport already has %lu bytes waiting to be sent"),
                   (gulong) pending);
      return FALSE;
    }

  header[0] = (len >> 8) & 0xff;
  header[1] = len & 0xff;
  g_byte_array_append (self->outbuf, header, 2);
  if (len > 0)
    g_byte_array_append (self->outbuf, data, len);

  /* While connecting, the bytes wait for setup_connection (); while a
   * writable source waits, for it, so that frames stay in order. */
  if (self->state == STATE_CONNECTED && self->write_source == NULL &&
      !flush_locked (self, &write_error) && self->fail_source == NULL)
    {
      self->write_error = g_error_new (NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_FAILED,
                                       _("Could not send on the TCP connection: %s"),
                                       write_error->message);
      self->fail_source = attach_source (self, g_idle_source_new (), on_write_failed);
      g_set_error_literal (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_FAILED,
                           self->write_error->message);
      g_mutex_unlock (&self->lock);
      return FALSE;
    }

  g_mutex_unlock (&self->lock);
  return TRUE;
}

static const NavAddress *
nav_tcp_framing_transport_get_local_address (NavTransport *transport)
{
  return NAV_TCP_FRAMING_TRANSPORT (transport)->local_address;
}

static NavCandidateTransport
nav_tcp_framing_transport_get_protocol (NavTransport *transport)
{
  return NAV_TCP_FRAMING_TRANSPORT (transport)->protocol;
}

static gboolean
nav_tcp_framing_transport_is_reliable (NavTransport *transport)
{
  return TRUE;
}

static void
nav_tcp_framing_transport_close (NavTransport *transport)
{
  close_with_error (NAV_TCP_FRAMING_TRANSPORT (transport), NULL);
}

/* The connection's socket, once connected (for socket options such as
 * the agent's nav_agent_set_stream_tos()). */
static GPtrArray *
nav_tcp_framing_transport_dup_sockets (NavTransport *transport)
{
  NavTcpFramingTransport *self = NAV_TCP_FRAMING_TRANSPORT (transport);
  GPtrArray *sockets = g_ptr_array_new_with_free_func (g_object_unref);

  g_mutex_lock (&self->lock);
  if (self->connection != NULL && self->state == STATE_CONNECTED)
    g_ptr_array_add (sockets, g_object_ref (g_socket_connection_get_socket (self->connection)));
  g_mutex_unlock (&self->lock);
  return sockets;
}

static void
nav_tcp_framing_transport_transport_init (NavTransportInterface *iface)
{
  iface->send = nav_tcp_framing_transport_send;
  iface->get_local_address = nav_tcp_framing_transport_get_local_address;
  iface->get_protocol = nav_tcp_framing_transport_get_protocol;
  iface->is_reliable = nav_tcp_framing_transport_is_reliable;
  iface->close = nav_tcp_framing_transport_close;
  iface->dup_sockets = nav_tcp_framing_transport_dup_sockets;
}

static void
nav_tcp_framing_transport_constructed (GObject *object)
{
  NavTcpFramingTransport *self = NAV_TCP_FRAMING_TRANSPORT (object);

  G_OBJECT_CLASS (nav_tcp_framing_transport_parent_class)->constructed (object);

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
}

static void
nav_tcp_framing_transport_dispose (GObject *object)
{
  NavTcpFramingTransport *self = NAV_TCP_FRAMING_TRANSPORT (object);

  close_with_error (self, NULL);

  G_OBJECT_CLASS (nav_tcp_framing_transport_parent_class)->dispose (object);
}

static void
nav_tcp_framing_transport_finalize (GObject *object)
{
  NavTcpFramingTransport *self = NAV_TCP_FRAMING_TRANSPORT (object);

  g_clear_object (&self->connection);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->remote_address, nav_address_free);
  g_clear_pointer (&self->bind_address, nav_address_free);
  g_clear_pointer (&self->local_address, nav_address_free);
  g_clear_pointer (&self->inbuf, g_byte_array_unref);
  g_clear_pointer (&self->outbuf, g_byte_array_unref);
  g_clear_error (&self->write_error);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (nav_tcp_framing_transport_parent_class)->finalize (object);
}

/* The construct properties, and the local address once connected, are
 * fields that do not change afterwards; the connection and the state are
 * read under the lock. */
static const gsize fields[N_PROPS] = {
  [PROP_CONTEXT] = G_STRUCT_OFFSET (NavTcpFramingTransport, context),
  [PROP_LOCAL_ADDRESS] = G_STRUCT_OFFSET (NavTcpFramingTransport, local_address),
  [PROP_REMOTE_ADDRESS] = G_STRUCT_OFFSET (NavTcpFramingTransport, remote_address),
  [PROP_CONNECTION] = G_STRUCT_OFFSET (NavTcpFramingTransport, connection),
  [PROP_CONNECT_TIMEOUT] = G_STRUCT_OFFSET (NavTcpFramingTransport, connect_timeout),
  [PROP_MAX_QUEUED_BYTES] = G_STRUCT_OFFSET (NavTcpFramingTransport, max_queued_bytes),
  [PROP_PROTOCOL] = G_STRUCT_OFFSET (NavTcpFramingTransport, protocol),
  [PROP_BIND_ADDRESS] = G_STRUCT_OFFSET (NavTcpFramingTransport, bind_address),
};

static void
nav_tcp_framing_transport_get_property (GObject    *object,
                                        guint       prop_id,
                                        GValue     *value,
                                        GParamSpec *pspec)
{
  NavTcpFramingTransport *self = NAV_TCP_FRAMING_TRANSPORT (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      g_mutex_lock (&self->lock);
      g_value_set_object (value, self->connection);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_CONNECTED:
      g_mutex_lock (&self->lock);
      g_value_set_boolean (value, self->state == STATE_CONNECTED);
      g_mutex_unlock (&self->lock);
      break;
    default:
      nav_field_property_get (object, fields, G_N_ELEMENTS (fields), prop_id, value, pspec);
    }
}

static void
nav_tcp_framing_transport_set_property (GObject      *object,
                                        guint         prop_id,
                                        const GValue *value,
                                        GParamSpec   *pspec)
{
  /* Construct-only, all of them: nothing else runs yet. */
  nav_field_property_set (object, fields, G_N_ELEMENTS (fields), prop_id, value, pspec);
}

static void
nav_tcp_framing_transport_class_init (NavTcpFramingTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = nav_tcp_framing_transport_constructed;
  object_class->dispose = nav_tcp_framing_transport_dispose;
  object_class->finalize = nav_tcp_framing_transport_finalize;
  object_class->get_property = nav_tcp_framing_transport_get_property;
  object_class->set_property = nav_tcp_framing_transport_set_property;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");
  g_object_class_override_property (object_class, PROP_LOCAL_ADDRESS, "local-address");
  properties[PROP_LOCAL_ADDRESS] = g_object_class_find_property (object_class, "local-address");

  /**
   * NavTcpFramingTransport:remote-address:
   *
   * The peer's address.  Set at construction (instead of
   * [property@Nav.TcpFramingTransport:connection]), the transport connects
   * there; otherwise it is the address the connection is connected to.
   * Every frame received is delivered as coming from it.
   *
   * Since: 1.0
   */
  properties[PROP_REMOTE_ADDRESS] =
    g_param_spec_boxed ("remote-address", "Remote address",
                        "The peer's address: where to connect, or where the connection goes",
                        NAV_TYPE_ADDRESS,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_STATIC_STRINGS);

  /**
   * NavTcpFramingTransport:connection:
   *
   * A connected TCP connection to carry the frames, for instance one
   * accepted from a `GSocketListener`; the transport takes it over and
   * closes it when it closes.  %NULL while an outgoing connection is being
   * established.
   *
   * Since: 1.0
   */
  properties[PROP_CONNECTION] =
    g_param_spec_object ("connection", "Connection",
                         "The TCP connection carrying the frames",
                         G_TYPE_SOCKET_CONNECTION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS);

  /**
   * NavTcpFramingTransport:connect-timeout:
   *
   * How many seconds an outgoing connection may take to be established;
   * after that the transport closes with %NAV_ERROR_TIMED_OUT.
   *
   * Since: 1.0
   */
  properties[PROP_CONNECT_TIMEOUT] =
    g_param_spec_uint ("connect-timeout", "Connect timeout",
                       "Seconds an outgoing connection may take",
                       1, 24 * 3600, DEFAULT_CONNECT_TIMEOUT,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                       G_PARAM_STATIC_STRINGS);

  /**
   * NavTcpFramingTransport:max-queued-bytes:
   *
   * How many bytes (frame headers included) may wait to be sent, while
   * connecting or while the socket's buffer is full; a message that would
   * exceed it fails with %NAV_TRANSPORT_ERROR_WOULD_BLOCK.  At least one
   * frame of the largest size always fits.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_QUEUED_BYTES] =
    g_param_spec_uint ("max-queued-bytes", "Maximum queued bytes",
                       "Bytes that may wait to be sent before send() fails with WOULD_BLOCK",
                       MIN_MAX_QUEUED_BYTES, G_MAXUINT, DEFAULT_MAX_QUEUED_BYTES,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                       G_PARAM_STATIC_STRINGS);

  /**
   * NavTcpFramingTransport:protocol:
   *
   * The candidate transport this transport serves.  Left to
   * %NAV_CANDIDATE_TRANSPORT_UDP at construction (the default, which a TCP
   * transport cannot serve, so it means "not set"), it becomes
   * %NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE for an outgoing connection and
   * %NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE for an accepted one.  Set it to
   * %NAV_CANDIDATE_TRANSPORT_TCP_SO for a simultaneous-open connection
   * (RFC 6544 §4.1).
   *
   * Since: 1.0
   */
  properties[PROP_PROTOCOL] =
    g_param_spec_enum ("protocol", "Protocol",
                       "The candidate transport served (tcp-active, tcp-passive, tcp-so); udp: from how the transport is built",
                       NAV_TYPE_CANDIDATE_TRANSPORT,
                       NAV_CANDIDATE_TRANSPORT_UDP,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                       G_PARAM_STATIC_STRINGS);

  /**
   * NavTcpFramingTransport:connected:
   *
   * Whether the connection is established (and the transport not closed).
   * Notified in the main context when an outgoing connection completes.
   *
   * Since: 1.0
   */
  properties[PROP_CONNECTED] =
    g_param_spec_boolean ("connected", "Connected",
                          "Whether the connection is established",
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS);

  g_object_class_install_property (object_class, PROP_REMOTE_ADDRESS,
                                   properties[PROP_REMOTE_ADDRESS]);
  g_object_class_install_property (object_class, PROP_CONNECTION,
                                   properties[PROP_CONNECTION]);
  g_object_class_install_property (object_class, PROP_CONNECT_TIMEOUT,
                                   properties[PROP_CONNECT_TIMEOUT]);
  g_object_class_install_property (object_class, PROP_MAX_QUEUED_BYTES,
                                   properties[PROP_MAX_QUEUED_BYTES]);
  g_object_class_install_property (object_class, PROP_PROTOCOL,
                                   properties[PROP_PROTOCOL]);
  g_object_class_install_property (object_class, PROP_CONNECTED,
                                   properties[PROP_CONNECTED]);

  /**
   * NavTcpFramingTransport:bind-address:
   *
   * The local IP address an outgoing connection leaves from (its port is
   * ignored: the system picks one); %NULL for the one the routing table
   * chooses.  An ICE-TCP active candidate sets its own address here
   * (RFC 6544 §4.5).
   *
   * Since: 1.0
   */
  properties[PROP_BIND_ADDRESS] =
    g_param_spec_boxed ("bind-address", "Bind address",
                        "The local IP address an outgoing connection leaves from",
                        NAV_TYPE_ADDRESS,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (object_class, PROP_BIND_ADDRESS,
                                   properties[PROP_BIND_ADDRESS]);
}

static void
nav_tcp_framing_transport_class_finalize (NavTcpFramingTransportClass *klass)
{
}

static void
nav_tcp_framing_transport_init (NavTcpFramingTransport *self)
{
  g_mutex_init (&self->lock);
  self->state = STATE_NEW;
  self->connect_timeout = DEFAULT_CONNECT_TIMEOUT;
  self->max_queued_bytes = DEFAULT_MAX_QUEUED_BYTES;
  self->protocol = NAV_CANDIDATE_TRANSPORT_UDP;
  self->inbuf = g_byte_array_new ();
  self->outbuf = g_byte_array_new ();
}
