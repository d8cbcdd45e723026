/* nav-transport.c: the interface of everything that carries datagrams
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "netavanue/netavanue.h"
#include "nav-ice-tcp-private.h"
#include "nav-transport-private.h"

/**
 * NavTransport:
 *
 * Something that sends a datagram or a frame to an address and receives
 * them: a UDP socket ([class@Nav.UdpTransport]), a TCP connection with
 * RFC 4571 framing (the `tcp-framing` plugin), a TURN allocation (a relay
 * *is* a transport), or whatever a plugin adds.
 *
 * Every transport belongs to one `GMainContext`, given at construction
 * through the [property@Nav.Transport:context] property: its sources are
 * attached there and its signals are emitted there.  Sending never blocks.
 *
 * Received messages go to the receive function set with
 * [method@Nav.Transport.set_receive_func], the allocation-free path used
 * by the agent's demultiplexer, and to the [signal@Nav.Transport::received]
 * signal when something is connected to it.
 *
 * Since: 1.0
 */

G_DEFINE_INTERFACE (NavTransport, nav_transport, G_TYPE_OBJECT)

enum {
  SIGNAL_RECEIVED,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GQuark receive_handler_quark;

static void
receive_handler_free (gpointer data)
{
  NavReceiveHandler *handler = data;

  if (handler->destroy != NULL)
    handler->destroy (handler->user_data);
  g_free (handler);
}

void
nav_receive_handler_set (GObject        *object,
                         GQuark          quark,
                         GCallback       func,
                         gpointer        user_data,
                         GDestroyNotify  destroy)
{
  NavReceiveHandler *handler = NULL;

  if (func != NULL)
    {
      handler = g_new0 (NavReceiveHandler, 1);
      handler->func = func;
      handler->user_data = user_data;
      handler->destroy = destroy;
    }
  g_object_set_qdata_full (object, quark, handler, handler != NULL ? receive_handler_free : NULL);
}

static void
nav_transport_default_init (NavTransportInterface *iface)
{
  receive_handler_quark = g_quark_from_static_string ("nav-transport-receive-handler");

  /**
   * NavTransport:context:
   *
   * The main context every source of the transport is attached to, and
   * where its signals are emitted.  %NULL at construction means the
   * thread-default main context of the constructing thread.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_boxed ("context", NULL, NULL,
                          G_TYPE_MAIN_CONTEXT,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * NavTransport:local-address:
   *
   * The local address the transport sends from.  Implementations that
   * bind a socket may let it be set at construction (the address to
   * bind; port 0 for any) and report the bound address afterwards.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_boxed ("local-address", NULL, NULL,
                          NAV_TYPE_ADDRESS,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * NavTransport::received:
   * @self: the transport
   * @data: the message
   * @from: where it came from
   *
   * Emitted for each message received, in the transport's main context,
   * when a handler is connected.
   *
   * Since: 1.0
   */
  signals[SIGNAL_RECEIVED] =
    g_signal_new ("received", G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (NavTransportInterface, received),
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 2,
                  G_TYPE_BYTES,
                  NAV_TYPE_ADDRESS | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * NavTransport::closed:
   * @self: the transport
   * @error: (nullable): why, or %NULL when closed by
   *   [method@Nav.Transport.close]
   *
   * Emitted once when the transport closes: on request, on a fatal socket
   * error, or when a connection-oriented peer goes away.
   *
   * Since: 1.0
   */
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (NavTransportInterface, closed),
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 1,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

/**
 * nav_transport_send: (skip)
 * @self: a transport
 * @to: (nullable): the destination; %NULL for connection-oriented
 *   transports to their peer
 * @data: (array length=len): the message
 * @len: the length of @data
 * @error: return location for a #GError
 *
 * Sends one message without blocking.
 *
 * Returns: %TRUE when the message was sent or queued; %FALSE with @error
 *   set (in [error@Nav.TransportError]) otherwise
 *
 * Since: 1.0
 */
gboolean
nav_transport_send (NavTransport      *self,
                    const NavAddress  *to,
                    const guint8      *data,
                    gsize              len,
                    GError           **error)
{
  NavTransportInterface *iface;

  g_return_val_if_fail (NAV_IS_TRANSPORT (self), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = NAV_TRANSPORT_GET_IFACE (self);
  g_return_val_if_fail (iface->send != NULL, FALSE);

  return iface->send (self, to, data, len, error);
}

/**
 * nav_transport_send_bytes: (rename-to nav_transport_send)
 * @self: a transport
 * @to: (nullable): the destination; %NULL for connection-oriented
 *   transports to their peer
 * @data: the message
 * @error: return location for a #GError
 *
 * Sends one message without blocking; the #GBytes form of
 * [method@Nav.Transport.send] for bindings.
 *
 * Returns: %TRUE when the message was sent or queued
 *
 * Since: 1.0
 */
gboolean
nav_transport_send_bytes (NavTransport      *self,
                          const NavAddress  *to,
                          GBytes            *data,
                          GError           **error)
{
  gsize len;
  const guint8 *buf;

  g_return_val_if_fail (data != NULL, FALSE);

  buf = g_bytes_get_data (data, &len);
  return nav_transport_send (self, to, buf, len, error);
}

/**
 * nav_output_message_get_size: (skip)
 * @message: a message
 * @n_vectors: (out) (optional): where to store the number of its buffers
 *
 * For implementations of [vfunc@Nav.Transport.send_messages] and
 * [vfunc@Nav.Channel.send_messages]: the size of @message, and how many
 * buffers it has (with #NavOutputMessage.n_buffers negative, up to the
 * first one whose buffer is %NULL).
 *
 * Returns: the number of bytes of @message
 *
 * Since: 1.0
 */
gsize
nav_output_message_get_size (const NavOutputMessage *message,
                             guint                  *n_vectors)
{
  gsize size = 0;
  guint i;

  g_return_val_if_fail (message != NULL, 0);

  for (i = 0; message->n_buffers < 0 ? message->buffers[i].buffer != NULL
                                     : i < (guint) message->n_buffers; i++)
    size += message->buffers[i].size;
  if (n_vectors != NULL)
    *n_vectors = i;
  return size;
}

const guint8 *
nav_output_message_gather (const NavOutputMessage  *message,
                           gsize                   *len,
                           guint8                 **scratch,
                           gsize                   *scratch_size)
{
  guint n_vectors;
  gsize off = 0;

  *len = nav_output_message_get_size (message, &n_vectors);
  if (n_vectors == 1)
    return message->buffers[0].buffer;
  if (*len > *scratch_size || *scratch == NULL)
    {
      *scratch = g_realloc (*scratch, MAX (*len, 1));
      *scratch_size = MAX (*len, 1);
    }
  for (guint i = 0; i < n_vectors; i++)
    {
      if (message->buffers[i].size > 0)
        memcpy (*scratch + off, message->buffers[i].buffer, message->buffers[i].size);
      off += message->buffers[i].size;
    }
  return *scratch;
}

/* One message at a time, each gathered into one buffer when it has
 * several. */
static gint
send_messages_each (NavTransport           *self,
                    const NavAddress       *to,
                    const NavOutputMessage *messages,
                    guint                   n_messages,
                    GError                **error)
{
  g_autofree guint8 *scratch = NULL;
  gsize scratch_size = 0;
  guint done;

  for (done = 0; done < n_messages; done++)
    {
      g_autoptr (GError) local_error = NULL;
      gsize len;
      const guint8 *data = nav_output_message_gather (&messages[done], &len, &scratch,
                                                      &scratch_size);

      if (!nav_transport_send (self, to, data, len, &local_error))
        {
          if (done > 0)
            return done;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return -1;
        }
    }
  return done;
}

/**
 * nav_transport_send_messages: (skip)
 * @self: a transport
 * @to: (nullable): the destination of every message; %NULL for
 *   connection-oriented transports to their peer
 * @messages: (array length=n_messages): the messages, one datagram or
 *   frame each
 * @n_messages: the number of @messages
 * @error: return location for a #GError
 *
 * Sends several messages without blocking, in order: as many calls of
 * [method@Nav.Transport.send], but a transport may hand them to the
 * kernel at once (the UDP transport uses `sendmmsg()`).
 *
 * Returns: the number of messages sent, fewer than @n_messages when the
 *   transport could take no more (what stopped it is reported by the next
 *   call); -1 with @error set (in [error@Nav.TransportError],
 *   %NAV_TRANSPORT_ERROR_WOULD_BLOCK when not even the first fitted) when
 *   none was sent.  0 for no messages.
 *
 * Since: 1.0
 */
gint
nav_transport_send_messages (NavTransport            *self,
                             const NavAddress        *to,
                             const NavOutputMessage  *messages,
                             guint                    n_messages,
                             GError                 **error)
{
  NavTransportInterface *iface;

  g_return_val_if_fail (NAV_IS_TRANSPORT (self), -1);
  g_return_val_if_fail (messages != NULL || n_messages == 0, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (n_messages == 0)
    return 0;
  iface = NAV_TRANSPORT_GET_IFACE (self);
  if (iface->send_messages != NULL)
    return iface->send_messages (self, to, messages, n_messages, error);
  return send_messages_each (self, to, messages, n_messages, error);
}

/**
 * nav_transport_set_tos:
 * @self: a transport
 * @tos: the type of service (the DSCP and ECN byte), 0 to 255
 *
 * Sets `IP_TOS` (`IPV6_TCLASS` on IPv6 sockets) of the transport's
 * sockets, those of [method@Nav.Transport.dup_sockets] unless the
 * transport does more (a TCP transport also marks the connections it
 * makes later).
 *
 * Since: 1.0
 */
void
nav_transport_set_tos (NavTransport *self,
                       gint          tos)
{
  NavTransportInterface *iface;
  g_autoptr (GPtrArray) sockets = NULL;

  g_return_if_fail (NAV_IS_TRANSPORT (self));
  g_return_if_fail (tos >= 0 && tos <= 255);

  iface = NAV_TRANSPORT_GET_IFACE (self);
  if (iface->set_tos != NULL)
    {
      iface->set_tos (self, tos);
      return;
    }
  sockets = nav_transport_dup_sockets (self);
  for (guint i = 0; i < sockets->len; i++)
    nav_socket_set_tos (g_ptr_array_index (sockets, i), tos);
}

/**
 * nav_transport_get_local_address:
 * @self: a transport
 *
 * Returns: (transfer none) (nullable): the address the transport sends
 *   from, %NULL when it has none (yet)
 *
 * Since: 1.0
 */
const NavAddress *
nav_transport_get_local_address (NavTransport *self)
{
  NavTransportInterface *iface;

  g_return_val_if_fail (NAV_IS_TRANSPORT (self), NULL);

  iface = NAV_TRANSPORT_GET_IFACE (self);
  if (iface->get_local_address == NULL)
    return NULL;
  return iface->get_local_address (self);
}

/**
 * nav_transport_get_protocol:
 * @self: a transport
 *
 * Returns: the transport protocol of the candidates the transport serves
 *
 * Since: 1.0
 */
NavCandidateTransport
nav_transport_get_protocol (NavTransport *self)
{
  NavTransportInterface *iface;

  g_return_val_if_fail (NAV_IS_TRANSPORT (self), NAV_CANDIDATE_TRANSPORT_UDP);

  iface = NAV_TRANSPORT_GET_IFACE (self);
  if (iface->get_protocol == NULL)
    return NAV_CANDIDATE_TRANSPORT_UDP;
  return iface->get_protocol (self);
}

/**
 * nav_transport_is_reliable:
 * @self: a transport
 *
 * Returns: %TRUE when messages arrive in order and without loss
 *
 * Since: 1.0
 */
gboolean
nav_transport_is_reliable (NavTransport *self)
{
  NavTransportInterface *iface;

  g_return_val_if_fail (NAV_IS_TRANSPORT (self), FALSE);

  iface = NAV_TRANSPORT_GET_IFACE (self);
  if (iface->is_reliable == NULL)
    return FALSE;
  return iface->is_reliable (self);
}

/**
 * nav_transport_close:
 * @self: a transport
 *
 * Closes the transport; later sends fail with
 * %NAV_TRANSPORT_ERROR_CLOSED.  Closing twice does nothing.
 *
 * Since: 1.0
 */
void
nav_transport_close (NavTransport *self)
{
  NavTransportInterface *iface;

  g_return_if_fail (NAV_IS_TRANSPORT (self));

  iface = NAV_TRANSPORT_GET_IFACE (self);
  if (iface->close != NULL)
    iface->close (self);
}

/**
 * nav_transport_close_async:
 * @self: a transport
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (nullable): called when the transport is closed
 * @user_data: data for @callback
 *
 * Closes the transport as [method@Nav.Transport.close] does, and calls
 * @callback once what the transport holds elsewhere is released too: a
 * TURN relay completes when the server has answered the Refresh of
 * lifetime 0 that deletes the allocation (RFC 8656 §7.3), or given up
 * retransmitting it.  Transports with nothing elsewhere complete at once.
 * @callback runs in the thread-default main context of the caller.
 *
 * Since: 1.0
 */
void
nav_transport_close_async (NavTransport        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  NavTransportInterface *iface;
  GTask *task;

  g_return_if_fail (NAV_IS_TRANSPORT (self));

  iface = NAV_TRANSPORT_GET_IFACE (self);
  if (iface->close_async != NULL)
    {
      iface->close_async (self, cancellable, callback, user_data);
      return;
    }
  nav_transport_close (self);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nav_transport_close_async);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/**
 * nav_transport_close_finish:
 * @self: a transport
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Nav.Transport.close_async].
 *
 * Returns: %TRUE when the transport closed cleanly
 *
 * Since: 1.0
 */
gboolean
nav_transport_close_finish (NavTransport  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  NavTransportInterface *iface;

  g_return_val_if_fail (NAV_IS_TRANSPORT (self), FALSE);

  iface = NAV_TRANSPORT_GET_IFACE (self);
  if (iface->close_async != NULL && iface->close_finish != NULL)
    return iface->close_finish (self, result, error);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * nav_transport_dup_sockets:
 * @self: a transport
 *
 * Returns the sockets the transport uses now, so that an application can
 * set socket options on them (libnice's `nice_agent_get_sockets()`): a
 * UDP transport's socket, the listening and connected sockets of a TCP
 * one, the socket(s) to a TURN server.
 *
 * Returns: (transfer full) (element-type Gio.Socket): the sockets,
 *   possibly none
 *
 * Since: 1.0
 */
GPtrArray *
nav_transport_dup_sockets (NavTransport *self)
{
  NavTransportInterface *iface;
  GPtrArray *sockets = NULL;

  g_return_val_if_fail (NAV_IS_TRANSPORT (self), NULL);

  iface = NAV_TRANSPORT_GET_IFACE (self);
  if (iface->dup_sockets != NULL)
    sockets = iface->dup_sockets (self);
  if (sockets == NULL)
    sockets = g_ptr_array_new_with_free_func (g_object_unref);
  return sockets;
}

/**
 * nav_transport_get_context:
 * @self: a transport
 *
 * Returns: (transfer none): the main context of the transport
 *
 * Since: 1.0
 */
GMainContext *
nav_transport_get_context (NavTransport *self)
{
  GMainContext *context = NULL;

  g_return_val_if_fail (NAV_IS_TRANSPORT (self), NULL);

  g_object_get (self, "context", &context, NULL);
  if (context == NULL)
    return g_main_context_default ();
  /* The transport holds its own reference for its whole life. */
  g_main_context_unref (context);
  return context;
}

/**
 * nav_transport_set_receive_func: (skip)
 * @self: a transport
 * @func: (nullable): the function to call for each received message, or
 *   %NULL to remove it
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the function is replaced or
 *   the transport finalized
 *
 * Sets the allocation-free receive path.  There is one such function per
 * transport; setting another replaces it.  The
 * [signal@Nav.Transport::received] signal is still emitted when handlers
 * are connected.
 *
 * Since: 1.0
 */
void
nav_transport_set_receive_func (NavTransport            *self,
                                NavTransportReceiveFunc  func,
                                gpointer                 user_data,
                                GDestroyNotify           destroy)
{
  g_return_if_fail (NAV_IS_TRANSPORT (self));

  nav_receive_handler_set (G_OBJECT (self), receive_handler_quark, (GCallback) func, user_data,
                           destroy);
}

/**
 * nav_transport_deliver: (skip)
 * @self: a transport
 * @data: (array length=len): a received message
 * @len: its length
 * @from: where it came from
 *
 * For implementations: hands one received message to the receive function
 * and to the [signal@Nav.Transport::received] handlers.  Call it in the
 * transport's main context with no lock held.
 *
 * Since: 1.0
 */
void
nav_transport_deliver (NavTransport     *self,
                       const guint8     *data,
                       gsize             len,
                       const NavAddress *from)
{
  NavReceiveHandler *handler;

  g_return_if_fail (NAV_IS_TRANSPORT (self));
  g_return_if_fail (from != NULL);

  handler = g_object_get_qdata (G_OBJECT (self), receive_handler_quark);
  if (handler != NULL)
    ((NavTransportReceiveFunc) handler->func) (self, data, len, from, handler->user_data);

  if (g_signal_has_handler_pending (self, signals[SIGNAL_RECEIVED], 0, FALSE))
    {
      g_autoptr (GBytes) bytes = g_bytes_new (data, len);

      g_signal_emit (self, signals[SIGNAL_RECEIVED], 0, bytes, from);
    }
}

/* nav-transport-private.h: batches of received messages.  Two qdata:
 * the mark (any non-NULL) and the function, set and read in the
 * transport's context. */
static GQuark
batches_quark (void)
{
  static GQuark q;

  if (G_UNLIKELY (q == 0))
    q = g_quark_from_static_string ("nav-transport-batches");
  return q;
}

static GQuark
batch_done_quark (void)
{
  static GQuark q;

  if (G_UNLIKELY (q == 0))
    q = g_quark_from_static_string ("nav-transport-batch-done");
  return q;
}

typedef struct {
  NavTransportBatchDoneFunc func;
  gpointer user_data;
} BatchDone;

void
nav_transport_mark_batches (NavTransport *self)
{
  g_object_set_qdata (G_OBJECT (self), batches_quark (), GINT_TO_POINTER (TRUE));
}

gboolean
nav_transport_delivers_batches (NavTransport *self)
{
  return g_object_get_qdata (G_OBJECT (self), batches_quark ()) != NULL;
}

void
nav_transport_set_batch_done_func (NavTransport              *self,
                                   NavTransportBatchDoneFunc  func,
                                   gpointer                   user_data)
{
  BatchDone *b = NULL;

  if (func != NULL)
    {
      b = g_new (BatchDone, 1);
      b->func = func;
      b->user_data = user_data;
    }
  g_object_set_qdata_full (G_OBJECT (self), batch_done_quark (), b, g_free);
}

void
nav_transport_batch_done (NavTransport *self)
{
  BatchDone *b = g_object_get_qdata (G_OBJECT (self), batch_done_quark ());

  if (b != NULL)
    b->func (self, b->user_data);
}

/**
 * nav_transport_emit_closed:
 * @self: a transport
 * @error: (nullable): why it closed, %NULL when on request
 *
 * For implementations: emits [signal@Nav.Transport::closed], once: the
 * calls after the first do nothing, and so does a call from `finalize`
 * (GObject has dropped every handler by then, and the emission would
 * reference a finalized object).  See docs/modules.md for when to call
 * it.
 *
 * Since: 1.0
 */
void
nav_transport_emit_closed (NavTransport *self,
                           const GError *error)
{
  static const gchar emitted_key[] = "nav-transport-closed-emitted";

  g_return_if_fail (NAV_IS_TRANSPORT (self));

  if (g_atomic_int_get (&G_OBJECT (self)->ref_count) == 0)
    return;
  if (g_object_get_data (G_OBJECT (self), emitted_key) != NULL)
    return;
  g_object_set_data (G_OBJECT (self), emitted_key, GINT_TO_POINTER (TRUE));

  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, error);
}
