/* nav-datagram-channel.c: a NavChannel over a transport and a peer address
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "netavanue/netavanue.h"
#include "nav-datagram-channel-private.h"

/**
 * NavDatagramChannel:
 *
 * The simplest [iface@Nav.Channel]: the messages exchanged with one peer
 * address over one [iface@Nav.Transport], usually the transport and remote
 * address of the pair ICE selected.  It is the bottom of a stack of
 * channels: the channel [method@Nav.Agent.get_channel] gives is one, which
 * the agent binds to each component's selected pair and rebinds when
 * another pair is selected (after an ICE restart, or to a relayed or
 * ICE-TCP path) without anything above noticing.
 *
 * A channel made with [ctor@Nav.DatagramChannel.new] receives what the
 * transport's [signal@Nav.Transport::received] delivers from the peer's
 * address, except STUN messages, which belong to the connectivity checks
 * and consent freshness: as RFC 7983 §7 says, a datagram whose first byte
 * is 0 to 3 is STUN.  Everything else (DTLS, RTP, application data) goes
 * to the receive function of [method@Nav.Channel.set_receive_func] and to
 * [signal@Nav.Channel::message].  Datagrams from other addresses are
 * ignored.  The agent's channels get what the agent's demultiplexer
 * accepts for their component instead.
 *
 * The channel is as ordered and as reliable as its transport: neither
 * over UDP.  A channel of [ctor@Nav.DatagramChannel.new] is open from
 * construction until [method@Nav.Channel.close] or until the transport
 * closes; closing the channel does not close the transport, which other
 * channels and the checker may share.
 *
 * [method@Nav.Channel.send] hands each message to the transport at once:
 * it is sent or it fails (%NAV_TRANSPORT_ERROR_WOULD_BLOCK when the socket
 * buffer is full, then [signal@Nav.Channel::writable] follows once the
 * transport's sockets can take data again).  Nothing is queued, so
 * [property@Nav.Channel:buffered-amount] stays 0 and
 * [signal@Nav.Channel::buffered-amount-low] is never emitted: it would
 * need the amount to rise above the threshold first.
 *
 * Since: 1.0
 */

/* RFC 7983 §7: the first byte of a STUN message is 0 to 3. */
#define STUN_FIRST_BYTE_MAX 3

/* What every ICE path carries whole: IPv6's minimum link MTU (1280, RFC
 * 8200 §5) less the IPv6 and UDP headers and a TURN ChannelData header,
 * rounded down; the size RFC 8261 §5 and RFC 8831 §5 start from. */
#define DATAGRAM_MTU 1200
/* RFC 4571 §2: a frame's length is 16 bits. */
#define FRAMED_MTU 65535

enum {
  PROP_0,
  PROP_TRANSPORT,
  PROP_PEER,
  PROP_MTU,
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

/* The lock is taken through a Held, which says whose it was: an owned
 * channel may outlive its owner (the application keeps it), and then
 * takes its own. */
typedef struct {
  NavDatagramChannel *self;
  GObject *owner;
} Held;

static Held
hold (NavDatagramChannel *self)
{
  Held held = { self, NULL };

  if (self->owned)
    held.owner = g_weak_ref_get (&self->owner);
  if (held.owner != NULL)
    self->owner_lock (held.owner);
  else
    g_rec_mutex_lock (&self->own_lock);
  return held;
}

static void
release (Held held)
{
  if (held.owner != NULL)
    {
      held.self->owner_unlock (held.owner);
      g_object_unref (held.owner);
    }
  else
    g_rec_mutex_unlock (&held.self->own_lock);
}

#define LOCK(self) Held held_ = hold (self)
#define UNLOCK(self) release (held_)

/* ------------------------------------------------------ writable watch */

/* With the lock held. */
static void
disarm_writable (NavDatagramChannel *self)
{
  if (self->writable_watch == NULL)
    return;
  for (guint i = 0; i < self->writable_watch->len; i++)
    g_source_destroy (g_ptr_array_index (self->writable_watch, i));
  g_clear_pointer (&self->writable_watch, g_ptr_array_unref);
}

static gboolean
on_writable (GSocket      *socket,
             GIOCondition  condition,
             gpointer      user_data)
{
  NavDatagramChannel *self = user_data;
  gboolean armed;

  LOCK (self);
  armed = self->writable_watch != NULL;
  disarm_writable (self);
  UNLOCK (self);
  if (armed)
    nav_channel_emit_writable (NAV_CHANNEL (self));
  return G_SOURCE_REMOVE;
}

/* A send would block: watch the transport's sockets for room.  With the
 * lock held. */
static void
arm_writable (NavDatagramChannel *self)
{
  g_autoptr (GPtrArray) sockets = NULL;

  if (self->writable_watch != NULL || self->transport == NULL)
    return;
  sockets = nav_transport_dup_sockets (self->transport);
  self->writable_watch = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);
  for (guint i = 0; i < sockets->len; i++)
    {
      GSource *source = g_socket_create_source (g_ptr_array_index (sockets, i), G_IO_OUT, NULL);

      g_source_set_callback (source, (GSourceFunc) (GCallback) on_writable,
                             g_object_ref (self), g_object_unref);
      g_source_set_static_name (source, "NavDatagramChannel writable");
      g_source_attach (source, self->context);
      g_ptr_array_add (self->writable_watch, source);
    }
}

/* --------------------------------------------------------------- state */

/* With the lock held. */
static void
set_state (NavDatagramChannel *self,
           NavChannelState     state)
{
  if (state != NAV_CHANNEL_STATE_OPEN)
    disarm_writable (self);
  self->state = state;
}

/* Announces what changed since the last call; without the lock. */
void
nav_datagram_channel_emit_changes (NavDatagramChannel *self)
{
  gboolean path_changed;
  gboolean state_changed;
  NavChannelState state;

  g_return_if_fail (NAV_IS_DATAGRAM_CHANNEL (self));

  LOCK (self);
  path_changed = self->transport != self->emitted_transport ||
                 !nav_address_equal (&self->peer, &self->emitted_peer);
  state_changed = self->state != self->emitted_state;
  state = self->state;
  self->emitted_transport = self->transport;
  self->emitted_peer = self->peer;
  self->emitted_state = self->state;
  UNLOCK (self);

  g_object_ref (self);
  if (path_changed)
    {
      g_object_freeze_notify (G_OBJECT (self));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRANSPORT]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PEER]);
      g_object_thaw_notify (G_OBJECT (self));
    }
  if (state_changed)
    nav_channel_emit_state_changed (NAV_CHANNEL (self), state);
  g_object_unref (self);
}

/* A standalone channel's transport went away, or it was closed. */
static void
disconnect_transport (NavDatagramChannel *self)
{
  if (self->transport == NULL || self->owned)
    return;
  g_clear_signal_handler (&self->received_id, self->transport);
  g_clear_signal_handler (&self->closed_id, self->transport);
}

static void
close_channel (NavDatagramChannel *self)
{
  LOCK (self);
  if (self->state != NAV_CHANNEL_STATE_CLOSED)
    {
      disconnect_transport (self);
      set_state (self, NAV_CHANNEL_STATE_CLOSED);
    }
  UNLOCK (self);
  nav_datagram_channel_emit_changes (self);
}

/* ------------------------------------------------------------- receive */

gboolean
nav_datagram_channel_has_message_handlers (NavDatagramChannel *self)
{
  return g_signal_has_handler_pending (self, message_signal, 0, FALSE);
}

void
nav_datagram_channel_emit_message (NavDatagramChannel *self,
                                   GBytes             *message)
{
  g_signal_emit (self, message_signal, 0, message);
}

/* A standalone channel: what its transport receives. */
static void
on_transport_received (NavTransport     *transport,
                       GBytes           *data,
                       const NavAddress *from,
                       gpointer          user_data)
{
  NavDatagramChannel *self = user_data;
  NavChannelReceiveFunc func = NULL;
  gpointer func_data = NULL;
  gsize len;
  const guint8 *bytes = g_bytes_get_data (data, &len);
  gboolean accepted;

  /* STUN is left to the checker (RFC 7983 §7). */
  if (len > 0 && bytes[0] <= STUN_FIRST_BYTE_MAX)
    return;
  LOCK (self);
  accepted = self->state == NAV_CHANNEL_STATE_OPEN && nav_address_equal (from, &self->peer);
  if (accepted)
    func = nav_datagram_channel_get_receive_func_locked (self, &func_data);
  UNLOCK (self);
  if (!accepted)
    return;

  g_object_ref (self);
  if (func != NULL)
    func (NAV_CHANNEL (self), bytes, len, func_data);
  if (nav_datagram_channel_has_message_handlers (self))
    nav_datagram_channel_emit_message (self, data);
  g_object_unref (self);
}

static void
on_transport_closed (NavTransport *transport,
                     const GError *error,
                     gpointer      user_data)
{
  NavDatagramChannel *self = user_data;

  if (error != NULL)
    g_debug ("Datagram channel closed with its transport: %s", error->message);
  close_channel (self);
}

static void
nav_datagram_channel_set_receive_func (NavChannel            *channel,
                                       NavChannelReceiveFunc  func,
                                       gpointer               user_data,
                                       GDestroyNotify         destroy)
{
  NavDatagramChannel *self = NAV_DATAGRAM_CHANNEL (channel);
  GDestroyNotify old_destroy;
  gpointer old_data;

  LOCK (self);
  old_destroy = self->recv_destroy;
  old_data = self->recv_data;
  self->recv_func = func;
  self->recv_data = func != NULL ? user_data : NULL;
  self->recv_destroy = func != NULL ? destroy : NULL;
  UNLOCK (self);
  if (old_destroy != NULL)
    old_destroy (old_data);
}

/* ---------------------------------------------------------------- send */

static gboolean
not_open (GError **error)
{
  g_set_error (error, NAV_ERROR, NAV_ERROR_CLOSED, _("The channel is not open"));
  return FALSE;
}

gboolean
nav_datagram_channel_send_locked (NavDatagramChannel  *self,
                                  const guint8        *data,
                                  gsize                len,
                                  GError             **error)
{
  GError *local_error = NULL;

  if (self->state != NAV_CHANNEL_STATE_OPEN)
    return not_open (error);
  if (nav_transport_send (self->transport, &self->peer, data, len, &local_error))
    {
      nav_datagram_channel_count_sent (self, 1, len);
      return TRUE;
    }
  if (g_error_matches (local_error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_WOULD_BLOCK))
    arm_writable (self);
  g_propagate_error (error, local_error);
  return FALSE;
}

gboolean
nav_datagram_channel_dup_path_locked (NavDatagramChannel  *self,
                                      NavTransport       **transport,
                                      NavAddress          *peer)
{
  if (self->state != NAV_CHANNEL_STATE_OPEN)
    return FALSE;
  *transport = g_object_ref (self->transport);
  *peer = self->peer;
  return TRUE;
}

void
nav_datagram_channel_would_block (NavDatagramChannel *self)
{
  LOCK (self);
  if (self->state == NAV_CHANNEL_STATE_OPEN)
    arm_writable (self);
  UNLOCK (self);
}

static gboolean
nav_datagram_channel_send_data (NavChannel    *channel,
                                const guint8  *data,
                                gsize          len,
                                GError       **error)
{
  NavDatagramChannel *self = NAV_DATAGRAM_CHANNEL (channel);
  gboolean ok;

  LOCK (self);
  ok = nav_datagram_channel_send_locked (self, data, len, error);
  UNLOCK (self);
  return ok;
}

static gint
nav_datagram_channel_send_messages (NavChannel              *channel,
                                    const NavOutputMessage  *messages,
                                    guint                    n_messages,
                                    GError                 **error)
{
  NavDatagramChannel *self = NAV_DATAGRAM_CHANNEL (channel);
  g_autoptr (NavTransport) transport = NULL;
  GError *local_error = NULL;
  NavAddress peer;
  gboolean open;
  gint sent;

  /* A batch leaves without the lock: sendmmsg() of 64 datagrams holds
   * no one up. */
  LOCK (self);
  open = nav_datagram_channel_dup_path_locked (self, &transport, &peer);
  UNLOCK (self);
  if (!open)
    {
      not_open (error);
      return -1;
    }
  sent = nav_transport_send_messages (transport, &peer, messages, n_messages, &local_error);
  if (sent > 0)
    {
      guint64 bytes = 0;
      gint i, j;

      for (i = 0; i < sent; i++)
        for (j = 0; j < messages[i].n_buffers; j++)
          bytes += messages[i].buffers[j].size;
      nav_datagram_channel_count_sent (self, sent, bytes);
    }
  if (sent < (gint) n_messages)
    nav_datagram_channel_would_block (self);
  if (sent < 0)
    g_propagate_error (error, local_error);
  else
    g_clear_error (&local_error);
  return sent;
}

static gsize
nav_datagram_channel_get_mtu (NavChannel *channel)
{
  NavDatagramChannel *self = NAV_DATAGRAM_CHANNEL (channel);
  gsize mtu;

  LOCK (self);
  if (self->mtu != 0)
    mtu = self->mtu;
  else if (self->transport != NULL && nav_transport_is_reliable (self->transport))
    mtu = FRAMED_MTU;
  else
    mtu = DATAGRAM_MTU;
  UNLOCK (self);
  return mtu;
}

static void
nav_datagram_channel_close (NavChannel *channel)
{
  close_channel (NAV_DATAGRAM_CHANNEL (channel));
}

static void
nav_datagram_channel_channel_init (NavChannelInterface *iface)
{
  iface->send_data = nav_datagram_channel_send_data;
  iface->send_messages = nav_datagram_channel_send_messages;
  iface->get_mtu = nav_datagram_channel_get_mtu;
  iface->set_receive_func = nav_datagram_channel_set_receive_func;
  iface->close = nav_datagram_channel_close;
}

/* ------------------------------------------------------- owned channels */

NavDatagramChannel *
nav_datagram_channel_new_owned (GMainContext               *context,
                                GObject                    *owner,
                                NavDatagramChannelLockFunc  lock,
                                NavDatagramChannelLockFunc  unlock)
{
  NavDatagramChannel *self = g_object_new (NAV_TYPE_DATAGRAM_CHANNEL, NULL);

  /* Constructed without a transport, hence closed: owned channels wait
   * for their path instead. */
  self->owned = TRUE;
  self->context = context != NULL ? g_main_context_ref (context) : NULL;
  g_weak_ref_set (&self->owner, owner);
  self->owner_lock = lock;
  self->owner_unlock = unlock;
  self->state = self->emitted_state = NAV_CHANNEL_STATE_CONNECTING;
  return self;
}

void
nav_datagram_channel_bind_locked (NavDatagramChannel *self,
                                  NavTransport       *transport,
                                  const NavAddress   *peer,
                                  gboolean            open)
{
  if (self->state == NAV_CHANNEL_STATE_CLOSED)
    return;
  if (transport != self->transport)
    {
      disarm_writable (self);
      g_set_object (&self->transport, transport);
    }
  if (transport != NULL && peer != NULL)
    self->peer = *peer;
  else
    nav_address_init (&self->peer);
  set_state (self, transport != NULL && open ? NAV_CHANNEL_STATE_OPEN
                                             : NAV_CHANNEL_STATE_CONNECTING);
}

void
nav_datagram_channel_close_locked (NavDatagramChannel *self)
{
  set_state (self, NAV_CHANNEL_STATE_CLOSED);
}

gboolean
nav_datagram_channel_changed_locked (NavDatagramChannel *self)
{
  return self->state != self->emitted_state || self->transport != self->emitted_transport ||
         !nav_address_equal (&self->peer, &self->emitted_peer);
}

/* -------------------------------------------------------------- object */

static void
nav_datagram_channel_constructed (GObject *object)
{
  NavDatagramChannel *self = NAV_DATAGRAM_CHANNEL (object);

  G_OBJECT_CLASS (nav_datagram_channel_parent_class)->constructed (object);

  /* Without a transport and a peer there is nothing to open. */
  if (self->transport == NULL || !nav_address_is_valid (&self->peer))
    {
      self->state = self->emitted_state = NAV_CHANNEL_STATE_CLOSED;
      return;
    }

  self->context = g_main_context_ref (nav_transport_get_context (self->transport));
  self->received_id = g_signal_connect (self->transport, "received",
                                        G_CALLBACK (on_transport_received), self);
  self->closed_id = g_signal_connect (self->transport, "closed",
                                      G_CALLBACK (on_transport_closed), self);
  self->state = self->emitted_state = NAV_CHANNEL_STATE_OPEN;
  self->emitted_transport = self->transport;
  self->emitted_peer = self->peer;
}

static void
nav_datagram_channel_dispose (GObject *object)
{
  NavDatagramChannel *self = NAV_DATAGRAM_CHANNEL (object);
  GDestroyNotify destroy;
  gpointer data;

  LOCK (self);
  disconnect_transport (self);
  disarm_writable (self);
  g_clear_object (&self->transport);
  destroy = self->recv_destroy;
  data = self->recv_data;
  self->recv_func = NULL;
  self->recv_data = NULL;
  self->recv_destroy = NULL;
  UNLOCK (self);
  if (destroy != NULL)
    destroy (data);

  G_OBJECT_CLASS (nav_datagram_channel_parent_class)->dispose (object);
}

static void
nav_datagram_channel_finalize (GObject *object)
{
  NavDatagramChannel *self = NAV_DATAGRAM_CHANNEL (object);

  g_clear_pointer (&self->context, g_main_context_unref);
  g_weak_ref_clear (&self->owner);
  g_rec_mutex_clear (&self->own_lock);

  G_OBJECT_CLASS (nav_datagram_channel_parent_class)->finalize (object);
}

static void
nav_datagram_channel_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  NavDatagramChannel *self = NAV_DATAGRAM_CHANNEL (object);

  LOCK (self);
  switch (prop_id)
    {
    case PROP_TRANSPORT:
      g_value_set_object (value, self->transport);
      break;
    case PROP_PEER:
      g_value_set_boxed (value, nav_address_is_valid (&self->peer) ? &self->peer : NULL);
      break;
    case PROP_MTU:
      g_value_set_uint (value, self->mtu);
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
  UNLOCK (self);
}

static void
nav_datagram_channel_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  NavDatagramChannel *self = NAV_DATAGRAM_CHANNEL (object);

  LOCK (self);
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
    case PROP_MTU:
      self->mtu = g_value_get_uint (value);
      break;
    case PROP_BUFFERED_AMOUNT_LOW_THRESHOLD:
      /* GObject notifies: the interface's pspec is not explicit-notify. */
      self->buffered_amount_low_threshold = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  UNLOCK (self);
}

static void
nav_datagram_channel_class_init (NavDatagramChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = nav_datagram_channel_constructed;
  object_class->dispose = nav_datagram_channel_dispose;
  object_class->finalize = nav_datagram_channel_finalize;
  object_class->get_property = nav_datagram_channel_get_property;
  object_class->set_property = nav_datagram_channel_set_property;

  /**
   * NavDatagramChannel:transport:
   *
   * The transport the channel sends and receives on: for a channel of
   * [method@Nav.Agent.get_channel], the one of the selected pair's local
   * candidate (%NULL before a pair is selected), notified when another
   * pair is selected.
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
   * The peer's transport address: where messages go, and, for a channel
   * of [ctor@Nav.DatagramChannel.new], the only source whose datagrams it
   * receives.  For a channel of [method@Nav.Agent.get_channel], the
   * selected pair's remote candidate.
   *
   * Since: 1.0
   */
  properties[PROP_PEER] =
    g_param_spec_boxed ("peer", NULL, NULL,
                        NAV_TYPE_ADDRESS,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_STATIC_STRINGS);

  /**
   * NavDatagramChannel:mtu:
   *
   * The largest message the channel says it carries whole
   * ([method@Nav.Channel.get_mtu]); 0 (the default) means 1200 bytes over
   * an unreliable transport (what any ICE path carries: IPv6's minimum
   * link MTU less the IPv6, UDP and TURN headers, the size RFC 8261 §5
   * starts from) and 65535 over a reliable one (an RFC 4571 frame).
   *
   * Since: 1.0
   */
  properties[PROP_MTU] =
    g_param_spec_uint ("mtu", NULL, NULL, 0, G_MAXUINT16, 0,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property (object_class, PROP_TRANSPORT,
                                   properties[PROP_TRANSPORT]);
  g_object_class_install_property (object_class, PROP_PEER,
                                   properties[PROP_PEER]);
  g_object_class_install_property (object_class, PROP_MTU,
                                   properties[PROP_MTU]);

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
  g_rec_mutex_init (&self->own_lock);
  g_weak_ref_init (&self->owner, NULL);
  nav_address_init (&self->peer);
  nav_address_init (&self->emitted_peer);
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
 * For a channel of [method@Nav.Agent.get_channel], the transport of the
 * selected pair: valid in the agent's main context until another pair is
 * selected; [property@Nav.DatagramChannel:transport] gives a reference.
 *
 * Returns: (transfer none) (nullable): the channel's transport, %NULL
 *   when it has none: not bound to a path yet, or disposed
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
 * Returns: (transfer none): the peer's transport address (not valid when
 *   the channel is bound to no path)
 *
 * Since: 1.0
 */
const NavAddress *
nav_datagram_channel_get_peer (NavDatagramChannel *self)
{
  g_return_val_if_fail (NAV_IS_DATAGRAM_CHANNEL (self), NULL);

  return &self->peer;
}
