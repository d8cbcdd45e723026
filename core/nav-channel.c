/* nav-channel.c: the interface of what an application reads and writes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "netavanue/netavanue.h"

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
 * Since: 1.0
 */

G_DEFINE_INTERFACE (NavChannel, nav_channel, G_TYPE_OBJECT)

enum {
  SIGNAL_MESSAGE,
  SIGNAL_BUFFERED_AMOUNT_LOW,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
nav_channel_default_init (NavChannelInterface *iface)
{
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
  g_return_val_if_fail (NAV_IS_CHANNEL (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return NAV_CHANNEL_GET_IFACE (self)->send (self, message, error);
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
