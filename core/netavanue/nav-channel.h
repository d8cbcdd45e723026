/* nav-channel.h: the interface of what an application reads and writes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netavanue/nav-version.h>
#include <netavanue/nav-transport.h>

G_BEGIN_DECLS

/**
 * NAV_CHANNEL_EXTENSION_POINT_NAME:
 *
 * The name of the extension point where [iface@Nav.Channel]
 * implementations register.
 */
#define NAV_CHANNEL_EXTENSION_POINT_NAME "nav-channel"

/**
 * NavChannelState:
 * @NAV_CHANNEL_STATE_CONNECTING: not open yet.
 * @NAV_CHANNEL_STATE_OPEN: messages can be sent and received.
 * @NAV_CHANNEL_STATE_CLOSING: closing; queued messages are still sent.
 * @NAV_CHANNEL_STATE_CLOSED: closed for good.
 *
 * The states of a [iface@Nav.Channel], as those of a WebRTC data channel.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_CHANNEL_STATE_CONNECTING,
  NAV_CHANNEL_STATE_OPEN,
  NAV_CHANNEL_STATE_CLOSING,
  NAV_CHANNEL_STATE_CLOSED,
} NavChannelState;

#define NAV_TYPE_CHANNEL (nav_channel_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (NavChannel, nav_channel, NAV, CHANNEL, GObject)

/**
 * NavChannelReceiveFunc:
 * @channel: the channel that received the message
 * @data: (array length=len): the message
 * @len: the length of @data
 * @user_data: the data given to [method@Nav.Channel.set_receive_func]
 *
 * The fast path of received messages, the one a channel stacked on
 * another takes: called for each message in the channel's main context,
 * without a #GBytes.  @data is only valid during the call.
 *
 * Since: 1.0
 */
typedef void (*NavChannelReceiveFunc) (NavChannel   *channel,
                                       const guint8 *data,
                                       gsize         len,
                                       gpointer      user_data);

/**
 * NavChannelInterface:
 * @g_iface: the parent interface.
 * @send: queues one message; fails when the channel is not open.  %NULL
 *   means @send_data.
 * @close: starts closing the channel.
 * @message: class handler of [signal@Nav.Channel::message].
 * @buffered_amount_low: class handler of
 *   [signal@Nav.Channel::buffered-amount-low].
 * @send_data: @send without a #GBytes; %NULL means @send.  One of them
 *   must be implemented.
 * @send_messages: sends several messages in order, and returns how many
 *   were taken (see [method@Nav.Channel.send_messages]); %NULL means
 *   @send_data for each.
 * @get_mtu: the largest message the channel carries whole, 0 when it has
 *   no limit of its own; %NULL means 0.
 * @set_receive_func: stores the receive function; %NULL means the
 *   interface keeps it, and the implementation delivers with
 *   [method@Nav.Channel.deliver].
 * @state_changed: class handler of [signal@Nav.Channel::state-changed].
 * @writable: class handler of [signal@Nav.Channel::writable].
 *
 * The virtual methods of [iface@Nav.Channel].  Implementations also
 * provide the properties `state`, `ordered`, `reliable`, `buffered-amount`
 * and `buffered-amount-low-threshold`, emit
 * [signal@Nav.Channel::state-changed] with
 * [method@Nav.Channel.emit_state_changed], and hand received messages to
 * [method@Nav.Channel.deliver] (or to their own receive path).
 *
 * Since: 1.0
 */
struct _NavChannelInterface
{
  GTypeInterface g_iface;

  gboolean (*send)                (NavChannel *self,
                                   GBytes     *message,
                                   GError    **error);
  void     (*close)               (NavChannel *self);

  /* signals */
  void     (*message)             (NavChannel *self,
                                   GBytes     *message);
  void     (*buffered_amount_low) (NavChannel *self);

  gboolean (*send_data)           (NavChannel             *self,
                                   const guint8           *data,
                                   gsize                   len,
                                   GError                **error);
  gint     (*send_messages)       (NavChannel             *self,
                                   const NavOutputMessage *messages,
                                   guint                   n_messages,
                                   GError                **error);
  gsize    (*get_mtu)             (NavChannel             *self);
  void     (*set_receive_func)    (NavChannel             *self,
                                   NavChannelReceiveFunc   func,
                                   gpointer                user_data,
                                   GDestroyNotify          destroy);

  /* signals */
  void     (*state_changed)       (NavChannel             *self,
                                   NavChannelState         state);
  void     (*writable)            (NavChannel             *self);

  /*< private >*/
  gpointer padding[2];
};

NAV_AVAILABLE_IN_ALL
gboolean        nav_channel_send                (NavChannel *self,
                                                 GBytes     *message,
                                                 GError    **error);
NAV_AVAILABLE_IN_ALL
void            nav_channel_close               (NavChannel *self);
NAV_AVAILABLE_IN_ALL
NavChannelState nav_channel_get_state           (NavChannel *self);
NAV_AVAILABLE_IN_ALL
gboolean        nav_channel_get_ordered         (NavChannel *self);
NAV_AVAILABLE_IN_ALL
gboolean        nav_channel_get_reliable        (NavChannel *self);
NAV_AVAILABLE_IN_ALL
gsize           nav_channel_get_buffered_amount (NavChannel *self);
NAV_AVAILABLE_IN_ALL
gboolean        nav_channel_send_data           (NavChannel             *self,
                                                 const guint8           *data,
                                                 gsize                   len,
                                                 GError                **error);
NAV_AVAILABLE_IN_ALL
gint            nav_channel_send_messages       (NavChannel             *self,
                                                 const NavOutputMessage *messages,
                                                 guint                   n_messages,
                                                 GError                **error);
NAV_AVAILABLE_IN_ALL
gsize           nav_channel_get_mtu             (NavChannel             *self);
NAV_AVAILABLE_IN_ALL
void            nav_channel_set_receive_func    (NavChannel             *self,
                                                 NavChannelReceiveFunc   func,
                                                 gpointer                user_data,
                                                 GDestroyNotify          destroy);

/* For implementations */
NAV_AVAILABLE_IN_ALL
void            nav_channel_deliver             (NavChannel             *self,
                                                 const guint8           *data,
                                                 gsize                   len);
NAV_AVAILABLE_IN_ALL
void            nav_channel_emit_state_changed  (NavChannel             *self,
                                                 NavChannelState         state);
NAV_AVAILABLE_IN_ALL
void            nav_channel_emit_writable       (NavChannel             *self);
NAV_AVAILABLE_IN_ALL
void            nav_channel_emit_buffered_amount_low (NavChannel        *self);

G_END_DECLS
