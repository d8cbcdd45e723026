/* nav-datagram-channel.c: a NavChannel over a transport and a peer address
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "netavanue/netavanue.h"

/**
 * NavDatagramChannel:
 *
 * The simplest [iface@Nav.Channel]: the messages exchanged with one peer
 * address over one [iface@Nav.Transport], usually the transport and remote
 * address of the pair ICE selected.
 *
 * It receives what the transport's [signal@Nav.Transport::received]
 * delivers from the peer's address, except STUN messages, which belong to
 * the connectivity checks and consent freshness: as RFC 7983 §7 says, a
 * datagram whose first byte is 0 to 3 is STUN.  Everything else (DTLS,
 * RTP, application data) is emitted as [signal@Nav.Channel::message].
 * Datagrams from other addresses are ignored.
 *
 * The channel is as ordered and as reliable as its transport: neither
 * over UDP.  It is open from construction until [method@Nav.Channel.close]
 * or until the transport closes.  Closing the channel does not close the
 * transport, which other channels and the checker may share.
 *
 * [method@Nav.Channel.send] hands each message to the transport at once:
 * it is sent or it fails (%NAV_TRANSPORT_ERROR_WOULD_BLOCK when the socket
 * buffer is full; try again later).  Nothing is queued, so
 * [property@Nav.Channel:buffered-amount] stays 0 and
 * [signal@Nav.Channel::buffered-amount-low] is never emitted: it would
 * need the amount to rise above the threshold first.
 *
 * Since: 1.0
 */

/* RFC 7983 §7: the first byte of a STUN message is 0 to 3. */
#define STUN_FIRST_BYTE_MAX 3

struct _NavDatagramChannel
{
  GObject parent_instance;

  NavTransport *transport;
  NavAddress peer;

  NavChannelState state;
  guint64 buffered_amount;
  guint64 buffered_amount_low_threshold;

  gulong received_id;
  gulong closed_id;
};

enum {
  PROP_0,
  PROP_TRANSPORT,
  PROP_PEER,
  PROP_STATE,
  PROP_ORDERED,
  PROP_RELIABLE,
  PROP_BUFFERED_AMOUNT,
  PROP_BUFFERED_AMOUNT_LOW_THRESHOLD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static guint message_signal;

static void nav_datagram_channel_channel_init (NavChannelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NavDatagramChannel, nav_datagram_channel, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NAV_TYPE_CHANNEL,
                                                      nav_datagram_channel_channel_init))

static void
disconnect_transport (NavDatagramChannel *self)
{
  if (self->transport == NULL)
    return;
  g_clear_signal_handler (&self->received_id, self->transport);
  g_clear_signal_handler (&self->closed_id, self->transport);
}

static void
set_closed (NavDatagramChannel *self)
{
  if (self->state == NAV_CHANNEL_STATE_CLOSED)
    return;

  disconnect_transport (self);
  self->state = NAV_CHANNEL_STATE_CLOSED;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
on_transport_received (NavTransport     *transport,
                       GBytes           *data,
                       const NavAddress *from,
                       gpointer          user_data)
{
  NavDatagramChannel *self = user_data;
  gsize len;
  const guint8 *bytes = g_bytes_get_data (data, &len);

  if (self->state != NAV_CHANNEL_STATE_OPEN)
    return;
  if (!nav_address_equal (from, &self->peer))
    return;
  /* STUN is left to the checker (RFC 7983 §7). */
  if (len > 0 && bytes[0] <= STUN_FIRST_BYTE_MAX)
    return;

  g_signal_emit (self, message_signal, 0, data);
}

static void
on_transport_closed (NavTransport *transport,
                     const GError *error,
                     gpointer      user_data)
{
  NavDatagramChannel *self = user_data;

  if (error != NULL)
    g_debug ("Datagram channel closed with its transport: %s", error->message);
  set_closed (self);
}

static gboolean
nav_datagram_channel_send (NavChannel  *channel,
                           GBytes      *message,
                           GError     **error)
{
  NavDatagramChannel *self = NAV_DATAGRAM_CHANNEL (channel);

  if (self->state != NAV_CHANNEL_STATE_OPEN)
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_CLOSED,
                   _("The channel is closed"));
      return FALSE;
    }

  return nav_transport_send_bytes (self->transport, &self->peer, message, error);
}

static void
nav_datagram_channel_close (NavChannel *channel)
{
  set_closed (NAV_DATAGRAM_CHANNEL (channel));
}

static void
nav_datagram_channel_channel_init (NavChannelInterface *iface)
{
  iface->send = nav_datagram_channel_send;
  iface->close = nav_datagram_channel_close;
}

static void
nav_datagram_channel_constructed (GObject *object)
{
  NavDatagramChannel *self = NAV_DATAGRAM_CHANNEL (object);

  G_OBJECT_CLASS (nav_datagram_channel_parent_class)->constructed (object);

  /* Without a transport and a peer there is nothing to open. */
  if (self->transport == NULL || !nav_address_is_valid (&self->peer))
    {
      self->state = NAV_CHANNEL_STATE_CLOSED;
      return;
    }

  self->received_id = g_signal_connect (self->transport, "received",
                                        G_CALLBACK (on_transport_received), self);
  self->closed_id = g_signal_connect (self->transport, "closed",
                                      G_CALLBACK (on_transport_closed), self);
  self->state = NAV_CHANNEL_STATE_OPEN;
}

static void
nav_datagram_channel_dispose (GObject *object)
{
  NavDatagramChannel *self = NAV_DATAGRAM_CHANNEL (object);

  disconnect_transport (self);
  g_clear_object (&self->transport);

  G_OBJECT_CLASS (nav_datagram_channel_parent_class)->dispose (object);
}

static void
nav_datagram_channel_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  NavDatagramChannel *self = NAV_DATAGRAM_CHANNEL (object);

  switch (prop_id)
    {
    case PROP_TRANSPORT:
      g_value_set_object (value, self->transport);
      break;
    case PROP_PEER:
      g_value_set_boxed (value, nav_address_is_valid (&self->peer) ? &self->peer : NULL);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_ORDERED:
    case PROP_RELIABLE:
      g_value_set_boolean (value, self->transport != NULL &&
                                  nav_transport_is_reliable (self->transport));
      break;
    case PROP_BUFFERED_AMOUNT:
      g_value_set_uint64 (value, self->buffered_amount);
      break;
    case PROP_BUFFERED_AMOUNT_LOW_THRESHOLD:
      g_value_set_uint64 (value, self->buffered_amount_low_threshold);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_datagram_channel_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  NavDatagramChannel *self = NAV_DATAGRAM_CHANNEL (object);

  switch (prop_id)
    {
    case PROP_TRANSPORT:
      g_set_object (&self->transport, g_value_get_object (value));
      break;
    case PROP_PEER:
      {
        const NavAddress *peer = g_value_get_boxed (value);

        if (peer != NULL)
          self->peer = *peer;
        else
          nav_address_init (&self->peer);
      }
      break;
    case PROP_BUFFERED_AMOUNT_LOW_THRESHOLD:
      /* GObject notifies: the interface's pspec is not explicit-notify. */
      self->buffered_amount_low_threshold = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_datagram_channel_class_init (NavDatagramChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = nav_datagram_channel_constructed;
  object_class->dispose = nav_datagram_channel_dispose;
  object_class->get_property = nav_datagram_channel_get_property;
  object_class->set_property = nav_datagram_channel_set_property;

  /**
   * NavDatagramChannel:transport:
   *
   * The transport the channel sends and receives on.
   *
   * Since: 1.0
   */
  properties[PROP_TRANSPORT] =
    g_param_spec_object ("transport", NULL, NULL,
                         NAV_TYPE_TRANSPORT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS);

  /**
   * NavDatagramChannel:peer:
   *
   * The peer's transport address: where messages go, and the only source
   * whose datagrams the channel receives.
   *
   * Since: 1.0
   */
  properties[PROP_PEER] =
    g_param_spec_boxed ("peer", NULL, NULL,
                        NAV_TYPE_ADDRESS,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_STATIC_STRINGS);

  g_object_class_install_property (object_class, PROP_TRANSPORT,
                                   properties[PROP_TRANSPORT]);
  g_object_class_install_property (object_class, PROP_PEER,
                                   properties[PROP_PEER]);

  g_object_class_override_property (object_class, PROP_STATE, "state");
  g_object_class_override_property (object_class, PROP_ORDERED, "ordered");
  g_object_class_override_property (object_class, PROP_RELIABLE, "reliable");
  g_object_class_override_property (object_class, PROP_BUFFERED_AMOUNT,
                                    "buffered-amount");
  g_object_class_override_property (object_class, PROP_BUFFERED_AMOUNT_LOW_THRESHOLD,
                                    "buffered-amount-low-threshold");

  properties[PROP_STATE] = g_object_class_find_property (object_class, "state");

  /* The interface's signals exist by now: its default vtable is set up
   * before the class is initialised. */
  message_signal = g_signal_lookup ("message", NAV_TYPE_CHANNEL);
}

static void
nav_datagram_channel_init (NavDatagramChannel *self)
{
  nav_address_init (&self->peer);
  self->state = NAV_CHANNEL_STATE_CONNECTING;
}

/**
 * nav_datagram_channel_new:
 * @transport: the transport to send and receive on
 * @peer: the peer's transport address
 *
 * Opens a channel to @peer over @transport.
 *
 * Returns: (transfer full): the new channel, open
 *
 * Since: 1.0
 */
NavDatagramChannel *
nav_datagram_channel_new (NavTransport     *transport,
                          const NavAddress *peer)
{
  g_return_val_if_fail (NAV_IS_TRANSPORT (transport), NULL);
  g_return_val_if_fail (peer != NULL && nav_address_is_valid (peer), NULL);

  return g_object_new (NAV_TYPE_DATAGRAM_CHANNEL,
                       "transport", transport,
                       "peer", peer,
                       NULL);
}

/**
 * nav_datagram_channel_get_transport:
 * @self: a datagram channel
 *
 * Returns: (transfer none) (nullable): the channel's transport, %NULL
 *   once the channel has been disposed
 *
 * Since: 1.0
 */
NavTransport *
nav_datagram_channel_get_transport (NavDatagramChannel *self)
{
  g_return_val_if_fail (NAV_IS_DATAGRAM_CHANNEL (self), NULL);

  return self->transport;
}

/**
 * nav_datagram_channel_get_peer:
 * @self: a datagram channel
 *
 * Returns: (transfer none): the peer's transport address
 *
 * Since: 1.0
 */
const NavAddress *
nav_datagram_channel_get_peer (NavDatagramChannel *self)
{
  g_return_val_if_fail (NAV_IS_DATAGRAM_CHANNEL (self), NULL);

  return &self->peer;
}
