/* nav-transport.h: the interface of everything that carries datagrams
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netavanue/nav-version.h>
#include <netavanue/nav-address.h>
#include <netavanue/nav-candidate.h>

G_BEGIN_DECLS

/**
 * NAV_TRANSPORT_EXTENSION_POINT_NAME:
 *
 * The name of the extension point where [iface@Nav.Transport]
 * implementations register.
 */
#define NAV_TRANSPORT_EXTENSION_POINT_NAME "nav-transport"

/**
 * NavInputMessage:
 * @buffers: (array length=n_buffers): the caller's buffers, filled in
 *   order
 * @n_buffers: the number of @buffers, or -1 when @buffers ends with a
 *   vector whose buffer is %NULL
 * @from: (nullable): where the sender's address is stored, or %NULL
 * @length: set to the number of bytes received
 *
 * One datagram to receive with [method@Nav.Agent.recv_messages], as
 * libnice's `NiceInputMessage`.
 *
 * Since: 1.0
 */
typedef struct {
  GInputVector *buffers;
  gint n_buffers;
  NavAddress *from;
  gsize length;
} NavInputMessage;

/**
 * NavOutputMessage:
 * @buffers: (array length=n_buffers): the data, gathered in order
 * @n_buffers: the number of @buffers, or -1 when @buffers ends with a
 *   vector whose buffer is %NULL
 *
 * One datagram to send with
 * [method@Nav.Agent.send_messages_nonblocking],
 * [method@Nav.Transport.send_messages] or
 * [method@Nav.Channel.send_messages], as libnice's `NiceOutputMessage`.
 *
 * Since: 1.0
 */
typedef struct {
  GOutputVector *buffers;
  gint n_buffers;
} NavOutputMessage;

#define NAV_TYPE_TRANSPORT (nav_transport_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (NavTransport, nav_transport, NAV, TRANSPORT, GObject)

/**
 * NavTransportReceiveFunc:
 * @transport: the transport that received the message
 * @data: (array length=len): the message
 * @len: the length of @data
 * @from: where the message came from
 * @user_data: the data given to [method@Nav.Transport.set_receive_func]
 *
 * The fast path for received messages: called for each message, in the
 * transport's main context, instead of [signal@Nav.Transport::received].
 * @data is only valid during the call.
 *
 * Since: 1.0
 */
typedef void (*NavTransportReceiveFunc) (NavTransport     *transport,
                                         const guint8     *data,
                                         gsize             len,
                                         const NavAddress *from,
                                         gpointer          user_data);

/**
 * NavTransportInterface:
 * @g_iface: the parent interface.
 * @send: sends one message to @to.  Must not block: when the message
 *   cannot be queued, fail with %NAV_TRANSPORT_ERROR_WOULD_BLOCK.
 * @get_local_address: returns the local address the transport sends from.
 * @get_protocol: returns the transport protocol (UDP, or which kind of
 *   TCP) of the candidates this transport serves.
 * @is_reliable: whether messages arrive in order and without loss.
 * @close: releases the socket(s); later sends fail with
 *   %NAV_TRANSPORT_ERROR_CLOSED.
 * @received: class handler of [signal@Nav.Transport::received].
 * @closed: class handler of [signal@Nav.Transport::closed].
 * @close_async: closes the transport and completes once what it holds on
 *   other hosts is released (a TURN allocation deleted); %NULL means
 *   @close, completing at once.
 * @close_finish: finishes @close_async.
 * @dup_sockets: returns the transport's sockets, for socket options;
 *   %NULL means none.
 * @send_messages: sends several messages to @to at once, in order,
 *   without blocking, and returns how many left (see
 *   [method@Nav.Transport.send_messages]); %NULL means one @send each.
 * @set_tos: sets the type of service of the transport's sockets, also
 *   those it opens later; %NULL means those of @dup_sockets.
 *
 * The virtual methods of [iface@Nav.Transport].
 *
 * Since: 1.0
 */
struct _NavTransportInterface
{
  GTypeInterface g_iface;

  gboolean              (*send)              (NavTransport     *self,
                                              const NavAddress *to,
                                              const guint8     *data,
                                              gsize             len,
                                              GError          **error);
  const NavAddress     *(*get_local_address) (NavTransport     *self);
  NavCandidateTransport (*get_protocol)      (NavTransport     *self);
  gboolean              (*is_reliable)       (NavTransport     *self);
  void                  (*close)             (NavTransport     *self);

  /* signals */
  void                  (*received)          (NavTransport     *self,
                                              GBytes           *data,
                                              const NavAddress *from);
  void                  (*closed)            (NavTransport     *self,
                                              const GError     *error);

  void                  (*close_async)       (NavTransport        *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
  gboolean              (*close_finish)      (NavTransport        *self,
                                              GAsyncResult        *result,
                                              GError             **error);
  GPtrArray            *(*dup_sockets)       (NavTransport        *self);
  gint                  (*send_messages)     (NavTransport           *self,
                                              const NavAddress       *to,
                                              const NavOutputMessage *messages,
                                              guint                   n_messages,
                                              GError                **error);
  void                  (*set_tos)           (NavTransport        *self,
                                              gint                 tos);

  /*< private >*/
  gpointer padding[3];
};

NAV_AVAILABLE_IN_ALL
gboolean          nav_transport_send              (NavTransport     *self,
                                                   const NavAddress *to,
                                                   const guint8     *data,
                                                   gsize             len,
                                                   GError          **error);
NAV_AVAILABLE_IN_ALL
gboolean          nav_transport_send_bytes        (NavTransport     *self,
                                                   const NavAddress *to,
                                                   GBytes           *data,
                                                   GError          **error);
NAV_AVAILABLE_IN_ALL
gint              nav_transport_send_messages     (NavTransport           *self,
                                                   const NavAddress       *to,
                                                   const NavOutputMessage *messages,
                                                   guint                   n_messages,
                                                   GError                **error);
NAV_AVAILABLE_IN_ALL
void              nav_transport_set_tos           (NavTransport     *self,
                                                   gint              tos);
NAV_AVAILABLE_IN_ALL
gsize             nav_output_message_get_size     (const NavOutputMessage *message,
                                                   guint                  *n_vectors);
NAV_AVAILABLE_IN_ALL
const NavAddress *nav_transport_get_local_address (NavTransport     *self);
NAV_AVAILABLE_IN_ALL
NavCandidateTransport nav_transport_get_protocol  (NavTransport     *self);
NAV_AVAILABLE_IN_ALL
gboolean          nav_transport_is_reliable       (NavTransport     *self);
NAV_AVAILABLE_IN_ALL
void              nav_transport_close             (NavTransport     *self);
NAV_AVAILABLE_IN_ALL
void              nav_transport_close_async       (NavTransport        *self,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
NAV_AVAILABLE_IN_ALL
gboolean          nav_transport_close_finish      (NavTransport        *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
NAV_AVAILABLE_IN_ALL
GPtrArray        *nav_transport_dup_sockets       (NavTransport     *self);
NAV_AVAILABLE_IN_ALL
GMainContext     *nav_transport_get_context       (NavTransport     *self);

NAV_AVAILABLE_IN_ALL
void              nav_transport_set_receive_func  (NavTransport           *self,
                                                   NavTransportReceiveFunc func,
                                                   gpointer                user_data,
                                                   GDestroyNotify          destroy);

/* For implementations */
NAV_AVAILABLE_IN_ALL
void              nav_transport_deliver           (NavTransport     *self,
                                                   const guint8     *data,
                                                   gsize             len,
                                                   const NavAddress *from);
NAV_AVAILABLE_IN_ALL
void              nav_transport_emit_closed       (NavTransport     *self,
                                                   const GError     *error);

G_END_DECLS
