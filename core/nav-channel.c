/* nav-channel.c: the interface of what an application reads and writes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "netavanue/netavanue.h"
#include "nav-transport-private.h"

/**
 * NavChannel:
 *
 * What an application reads and writes once a path to its peer is
 * selected: it sends messages with [method@Nav.Channel.send] and receives
 * them through [signal@Nav.Channel::message].  Like a WebRTC data channel it
 * says whether it is `ordered` and `reliable`, counts the bytes it has
 * queued in `buffered-amount`, and emits
 * [signal@Nav.Channel::buffered-amount-low] when that falls to
 * `buffered-amount-low-threshold`, for back-pressure.
 *
 * Channels stack: a DTLS channel wraps the datagram channel of the
 * selected pair ([method@Nav.Agent.get_channel]), SCTP data channels wrap
 * the DTLS one.  What a layer needs of the one below is here:
 *
 * - sending without a #GBytes ([method@Nav.Channel.send_data]) and in
 *   batches ([method@Nav.Channel.send_messages]);
 * - receiving without a #GBytes: the layer above sets its
 *   [callback@Nav.ChannelReceiveFunc] with
 *   [method@Nav.Channel.set_receive_func] and the messages go to it;
 *   [signal@Nav.Channel::message] is still emitted when handlers are
 *   connected;
 * - the largest message carried whole, [method@Nav.Channel.get_mtu];
 * - the state, with [signal@Nav.Channel::state-changed];
 * - back-pressure: a channel that queues counts its queue in
 *   `buffered-amount` and emits [signal@Nav.Channel::buffered-amount-low];
 *   one that does not fails a send with %NAV_TRANSPORT_ERROR_WOULD_BLOCK
 *   when the layer below cannot take it now, and emits
 *   [signal@Nav.Channel::writable] when it can again.
 *
 * Since: 1.0
 */

G_DEFINE_INTERFACE (NavChannel, nav_channel, G_TYPE_OBJECT)

enum {
  SIGNAL_MESSAGE,
  SIGNAL_BUFFERED_AMOUNT_LOW,
  SIGNAL_STATE_CHANGED,
  SIGNAL_WRITABLE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GQuark receive_handler_quark;

static void
nav_channel_default_init (NavChannelInterface *iface)
{
  receive_handler_quark = g_quark_from_static_string ("nav-channel-receive-handler");

  /**
   * NavChannel:state:
   *
   * The state of the channel.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_enum ("state", NULL, NULL,
                         NAV_TYPE_CHANNEL_STATE, NAV_CHANNEL_STATE_CONNECTING,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * NavChannel:ordered:
   *
   * Whether messages arrive in the order they were sent.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_boolean ("ordered", NULL, NULL, FALSE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * NavChannel:reliable:
   *
   * Whether every message sent arrives.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_boolean ("reliable", NULL, NULL, FALSE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * NavChannel:buffered-amount:
   *
   * The number of bytes queued by [method@Nav.Channel.send] and not yet
   * handed to the network.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_uint64 ("buffered-amount", NULL, NULL,
                           0, G_MAXUINT64, 0,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * NavChannel:buffered-amount-low-threshold:
   *
   * [signal@Nav.Channel::buffered-amount-low] is emitted when
   * [property@Nav.Channel:buffered-amount] falls from above this value to
   * it or below.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_uint64 ("buffered-amount-low-threshold", NULL, NULL,
                           0, G_MAXUINT64, 0,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * NavChannel::message:
   * @self: the channel
   * @message: the message received
   *
   * Emitted for each message from the peer.
   *
   * Since: 1.0
   */
  signals[SIGNAL_MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (NavChannelInterface, message),
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_BYTES);

  /**
   * NavChannel::buffered-amount-low:
   * @self: the channel
   *
   * Emitted when [property@Nav.Channel:buffered-amount] falls to
   * [property@Nav.Channel:buffered-amount-low-threshold] or below.
   *
   * Since: 1.0
   */
  signals[SIGNAL_BUFFERED_AMOUNT_LOW] =
    g_signal_new ("buffered-amount-low", G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (NavChannelInterface, buffered_amount_low),
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  /**
   * NavChannel::state-changed:
   * @self: the channel
   * @state: the new state
   *
   * Emitted when [property@Nav.Channel:state] changes, after the
   * property's notification.
   *
   * Since: 1.0
   */
  signals[SIGNAL_STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (NavChannelInterface, state_changed),
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 1, NAV_TYPE_CHANNEL_STATE);

  /**
   * NavChannel::writable:
   * @self: the channel
   *
   * Emitted once the channel can take messages again after a send failed
   * with %NAV_TRANSPORT_ERROR_WOULD_BLOCK.
   *
   * Since: 1.0
   */
  signals[SIGNAL_WRITABLE] =
    g_signal_new ("writable", G_TYPE_FROM_INTERFACE (iface),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (NavChannelInterface, writable),
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

/**
 * nav_channel_send:
 * @self: a channel
 * @message: the message
 * @error: return location for a #GError
 *
 * Queues one message for the peer.
 *
 * Returns: %TRUE when the message was sent or queued; %FALSE with @error
 *   set (%NAV_ERROR_CLOSED when the channel is not open) otherwise
 *
 * Since: 1.0
 */
gboolean
nav_channel_send (NavChannel  *self,
                  GBytes      *message,
                  GError     **error)
{
  NavChannelInterface *iface;
  gsize len;
  const guint8 *data;

  g_return_val_if_fail (NAV_IS_CHANNEL (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = NAV_CHANNEL_GET_IFACE (self);
  if (iface->send != NULL)
    return iface->send (self, message, error);
  g_return_val_if_fail (iface->send_data != NULL, FALSE);
  data = g_bytes_get_data (message, &len);
  return iface->send_data (self, data, len, error);
}

/**
 * nav_channel_send_data: (skip)
 * @self: a channel
 * @data: (array length=len): the message
 * @len: the length of @data
 * @error: return location for a #GError
 *
 * Queues one message for the peer, as [method@Nav.Channel.send] without
 * a #GBytes: what a layer stacked on @self calls.
 *
 * Returns: %TRUE when the message was sent or queued; %FALSE with @error
 *   set otherwise: %NAV_ERROR_CLOSED when the channel is not open,
 *   %NAV_TRANSPORT_ERROR_WOULD_BLOCK when it cannot take the message now
 *   (see [signal@Nav.Channel::writable])
 *
 * Since: 1.0
 */
gboolean
nav_channel_send_data (NavChannel    *self,
                       const guint8  *data,
                       gsize          len,
                       GError       **error)
{
  NavChannelInterface *iface;
  g_autoptr (GBytes) bytes = NULL;

  g_return_val_if_fail (NAV_IS_CHANNEL (self), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = NAV_CHANNEL_GET_IFACE (self);
  if (iface->send_data != NULL)
    return iface->send_data (self, data, len, error);
  g_return_val_if_fail (iface->send != NULL, FALSE);
  bytes = g_bytes_new (data, len);
  return iface->send (self, bytes, error);
}

/**
 * nav_channel_send_messages: (skip)
 * @self: a channel
 * @messages: (array length=n_messages): the messages, in order
 * @n_messages: the number of @messages
 * @error: return location for a #GError
 *
 * Queues several messages, as many calls of
 * [method@Nav.Channel.send_data]; a channel may hand them to the layer
 * below at once (the datagram channel: `sendmmsg()` on UDP).
 *
 * Returns: the number of messages taken, fewer than @n_messages when the
 *   channel could take no more now (the next one would fail with
 *   %NAV_TRANSPORT_ERROR_WOULD_BLOCK); -1 with @error set when not even
 *   the first was taken; 0 for no messages
 *
 * Since: 1.0
 */
gint
nav_channel_send_messages (NavChannel              *self,
                           const NavOutputMessage  *messages,
                           guint                    n_messages,
                           GError                 **error)
{
  NavChannelInterface *iface;
  g_autofree guint8 *scratch = NULL;
  gsize scratch_size = 0;
  guint done;

  g_return_val_if_fail (NAV_IS_CHANNEL (self), -1);
  g_return_val_if_fail (messages != NULL || n_messages == 0, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (n_messages == 0)
    return 0;
  iface = NAV_CHANNEL_GET_IFACE (self);
  if (iface->send_messages != NULL)
    return iface->send_messages (self, messages, n_messages, error);
  for (done = 0; done < n_messages; done++)
    {
      g_autoptr (GError) local_error = NULL;
      gsize len;
      const guint8 *data = nav_output_message_gather (&messages[done], &len, &scratch,
                                                      &scratch_size);

      if (!nav_channel_send_data (self, data, len, &local_error))
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
 * nav_channel_get_mtu:
 * @self: a channel
 *
 * Returns the largest message the channel carries whole: what a layer
 * above sizes its records or packets to (a DTLS record, an SCTP packet).
 *
 * Returns: the size in bytes, 0 when the channel sets no limit of its own
 *
 * Since: 1.0
 */
gsize
nav_channel_get_mtu (NavChannel *self)
{
  NavChannelInterface *iface;

  g_return_val_if_fail (NAV_IS_CHANNEL (self), 0);

  iface = NAV_CHANNEL_GET_IFACE (self);
  return iface->get_mtu != NULL ? iface->get_mtu (self) : 0;
}

/**
 * nav_channel_set_receive_func: (skip)
 * @self: a channel
 * @func: (nullable): the function to call for each received message, or
 *   %NULL to remove it
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the function is replaced or
 *   the channel finalized
 *
 * Sets the path of received messages without a #GBytes, the one a layer
 * stacked on @self takes.  There is one such function per channel;
 * setting another replaces it.  [signal@Nav.Channel::message] is still
 * emitted when handlers are connected.
 *
 * Since: 1.0
 */
void
nav_channel_set_receive_func (NavChannel            *self,
                              NavChannelReceiveFunc  func,
                              gpointer               user_data,
                              GDestroyNotify         destroy)
{
  NavChannelInterface *iface;

  g_return_if_fail (NAV_IS_CHANNEL (self));

  iface = NAV_CHANNEL_GET_IFACE (self);
  if (iface->set_receive_func != NULL)
    iface->set_receive_func (self, func, user_data, destroy);
  else
    nav_receive_handler_set (G_OBJECT (self), receive_handler_quark, (GCallback) func, user_data,
                             destroy);
}

/**
 * nav_channel_deliver: (skip)
 * @self: a channel
 * @data: (array length=len): a received message
 * @len: its length
 *
 * For implementations that leave [vfunc@Nav.Channel.set_receive_func] to
 * the interface: hands one received message to the receive function and
 * to the [signal@Nav.Channel::message] handlers.  Call it in the
 * channel's main context with no lock held.
 *
 * Since: 1.0
 */
void
nav_channel_deliver (NavChannel   *self,
                     const guint8 *data,
                     gsize         len)
{
  NavReceiveHandler *handler;

  g_return_if_fail (NAV_IS_CHANNEL (self));
  g_return_if_fail (data != NULL || len == 0);

  handler = g_object_get_qdata (G_OBJECT (self), receive_handler_quark);
  if (handler != NULL)
    ((NavChannelReceiveFunc) handler->func) (self, data, len, handler->user_data);
  if (g_signal_has_handler_pending (self, signals[SIGNAL_MESSAGE], 0, FALSE))
    {
      g_autoptr (GBytes) bytes = g_bytes_new (data, len);

      g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, bytes);
    }
}

/**
 * nav_channel_emit_state_changed: (skip)
 * @self: a channel
 * @state: its new state
 *
 * For implementations: notifies [property@Nav.Channel:state] and emits
 * [signal@Nav.Channel::state-changed].  Call it with no lock held.
 *
 * Since: 1.0
 */
void
nav_channel_emit_state_changed (NavChannel      *self,
                                NavChannelState  state)
{
  g_return_if_fail (NAV_IS_CHANNEL (self));

  g_object_notify (G_OBJECT (self), "state");
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, state);
}

/**
 * nav_channel_emit_writable: (skip)
 * @self: a channel
 *
 * For implementations: emits [signal@Nav.Channel::writable].
 *
 * Since: 1.0
 */
void
nav_channel_emit_writable (NavChannel *self)
{
  g_return_if_fail (NAV_IS_CHANNEL (self));

  g_signal_emit (self, signals[SIGNAL_WRITABLE], 0);
}

/**
 * nav_channel_emit_buffered_amount_low: (skip)
 * @self: a channel
 *
 * For implementations: emits [signal@Nav.Channel::buffered-amount-low].
 *
 * Since: 1.0
 */
void
nav_channel_emit_buffered_amount_low (NavChannel *self)
{
  g_return_if_fail (NAV_IS_CHANNEL (self));

  g_signal_emit (self, signals[SIGNAL_BUFFERED_AMOUNT_LOW], 0);
}

/**
 * nav_channel_close:
 * @self: a channel
 *
 * Starts closing the channel.
 *
 * Since: 1.0
 */
void
nav_channel_close (NavChannel *self)
{
  g_return_if_fail (NAV_IS_CHANNEL (self));

  if (NAV_CHANNEL_GET_IFACE (self)->close != NULL)
    NAV_CHANNEL_GET_IFACE (self)->close (self);
}

/**
 * nav_channel_get_state:
 * @self: a channel
 *
 * Returns: the state of the channel
 *
 * Since: 1.0
 */
NavChannelState
nav_channel_get_state (NavChannel *self)
{
  NavChannelState state = NAV_CHANNEL_STATE_CLOSED;

  g_return_val_if_fail (NAV_IS_CHANNEL (self), NAV_CHANNEL_STATE_CLOSED);

  g_object_get (self, "state", &state, NULL);
  return state;
}

/**
 * nav_channel_get_ordered:
 * @self: a channel
 *
 * Returns: whether messages arrive in order
 *
 * Since: 1.0
 */
gboolean
nav_channel_get_ordered (NavChannel *self)
{
  gboolean value = FALSE;

  g_return_val_if_fail (NAV_IS_CHANNEL (self), FALSE);

  g_object_get (self, "ordered", &value, NULL);
  return value;
}

/**
 * nav_channel_get_reliable:
 * @self: a channel
 *
 * Returns: whether every message arrives
 *
 * Since: 1.0
 */
gboolean
nav_channel_get_reliable (NavChannel *self)
{
  gboolean value = FALSE;

  g_return_val_if_fail (NAV_IS_CHANNEL (self), FALSE);

  g_object_get (self, "reliable", &value, NULL);
  return value;
}

/**
 * nav_channel_get_buffered_amount:
 * @self: a channel
 *
 * Returns: the number of bytes queued and not yet sent
 *
 * Since: 1.0
 */
gsize
nav_channel_get_buffered_amount (NavChannel *self)
{
  guint64 value = 0;

  g_return_val_if_fail (NAV_IS_CHANNEL (self), 0);

  g_object_get (self, "buffered-amount", &value, NULL);
  return (gsize) value;
}
