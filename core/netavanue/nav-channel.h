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
 * NavChannelInterface:
 * @g_iface: the parent interface.
 * @send: queues one message; fails when the channel is not open.
 * @close: starts closing the channel.
 * @message: class handler of [signal@Nav.Channel::message].
 * @buffered_amount_low: class handler of
 *   [signal@Nav.Channel::buffered-amount-low].
 *
 * The virtual methods of [iface@Nav.Channel].  Implementations also
 * provide the properties `state`, `ordered`, `reliable`, `buffered-amount`
 * and `buffered-amount-low-threshold`.
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

  /*< private >*/
  gpointer padding[8];
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

G_END_DECLS
