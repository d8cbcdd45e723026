/* nav-sctp-data-channel.c: one WebRTC data channel (RFC 8831) on the
 * SCTP transport of nav-sctp-data-transport.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A channel is a stream id of the association, its DCEP parameters and
 * its state; everything it does goes through the transport, under the
 * transport's lock.
 */
#include "config.h"

/* NAV_DEBUG=sctp: with the association's own messages. */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "nav-sctp"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nav-sctp-data-private.h"

enum {
  PROP_0,
  /* NavChannel */
  PROP_STATE,
  PROP_ORDERED,
  PROP_RELIABLE,
  PROP_BUFFERED_AMOUNT,
  PROP_BUFFERED_AMOUNT_LOW_THRESHOLD,
  /* NavDataChannel */
  PROP_LABEL,
  PROP_PROTOCOL,
  PROP_ID,
  PROP_NEGOTIATED,
  PROP_MAX_RETRANSMITS,
  PROP_MAX_PACKET_LIFE_TIME,
  PROP_PRIORITY,
  PROP_MAX_MESSAGE_SIZE,
  /* statistics */
  PROP_MESSAGES_SENT,
  PROP_BYTES_SENT,
  PROP_MESSAGES_RECEIVED,
  PROP_BYTES_RECEIVED,
  N_PROPS
};

static void nav_sctp_data_channel_channel_init (NavChannelInterface *iface);
static void nav_sctp_data_channel_data_init (NavDataChannelInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NavSctpDataChannel, nav_sctp_data_channel, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (NAV_TYPE_CHANNEL,
                                                               nav_sctp_data_channel_channel_init)
                                G_IMPLEMENT_INTERFACE_DYNAMIC (NAV_TYPE_DATA_CHANNEL,
                                                               nav_sctp_data_channel_data_init))

static GParamSpec *properties[N_PROPS];
static guint message_signal;

void
nav_sctp_data_channel_register (GTypeModule *module)
{
  nav_sctp_data_channel_register_type (module);
}

#define LOCK(self) nav_sctp_data_transport_lock ((self)->transport)
#define UNLOCK(self) nav_sctp_data_transport_unlock ((self)->transport)

NavSctpDataChannel *
nav_sctp_data_channel_new (NavSctpDataTransport        *transport,
                           const gchar                 *label,
                           gsize                        label_len,
                           const NavDataChannelOptions *options,
                           gsize                        protocol_len)
{
  NavSctpDataChannel *self = g_object_new (NAV_TYPE_SCTP_DATA_CHANNEL, NULL);

  self->transport = g_object_ref (transport);
  self->label = g_strndup (label, label_len);
  self->protocol = g_strndup (options->protocol != NULL ? options->protocol : "", protocol_len);
  self->negotiated = options->negotiated;
  self->ordered = options->ordered;
  self->max_retransmits = options->max_retransmits;
  self->max_packet_life_time = options->max_packet_life_time;
  self->priority = options->priority;
  self->id = -1;
  self->state = NAV_CHANNEL_STATE_CONNECTING;
  return self;
}

/* In the context, without the lock: the message to whoever listens. */
void
nav_sctp_data_channel_deliver (NavSctpDataChannel *self,
                               GBytes             *data,
                               gboolean            text)
{
  gsize len;
  const guint8 *bytes = g_bytes_get_data (data, &len);

  __atomic_fetch_add (&self->messages_received, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add (&self->bytes_received, len, __ATOMIC_RELAXED);
  if (self->recv_func != NULL)
    self->recv_func (NAV_CHANNEL (self), bytes != NULL ? bytes : (const guint8 *) "", len,
                     self->recv_data);
  if (text)
    {
      g_autofree gchar *string = g_utf8_make_valid (bytes != NULL ? (const gchar *) bytes : "", len);

      nav_data_channel_emit_text_message (NAV_DATA_CHANNEL (self), string);
    }
  else if (g_signal_has_handler_pending (self, message_signal, 0, FALSE))
    g_signal_emit (self, message_signal, 0, data);
}

void
nav_sctp_data_channel_emit_state (NavSctpDataChannel *self,
                                  NavChannelState     state)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  nav_channel_emit_state_changed (NAV_CHANNEL (self), state);
}

/* ------------------------------------------------------------ NavChannel */

static gboolean
send_common (NavSctpDataChannel  *self,
             const guint8        *data,
             gsize                len,
             GBytes              *bytes,
             gboolean             text,
             GError             **error)
{
  gboolean ok;

  LOCK (self);
  ok = nav_sctp_data_transport_send_locked (self->transport, self, data, len, bytes, text, error);
  if (ok)
    {
      self->messages_sent++;
      self->bytes_sent += len;
    }
  UNLOCK (self);
  return ok;
}

static gboolean
channel_send (NavChannel  *channel,
              GBytes      *message,
              GError     **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (message, &len);

  return send_common (NAV_SCTP_DATA_CHANNEL (channel), data, len, message, FALSE, error);
}

static gboolean
channel_send_data (NavChannel    *channel,
                   const guint8  *data,
                   gsize          len,
                   GError       **error)
{
  return send_common (NAV_SCTP_DATA_CHANNEL (channel), data, len, NULL, FALSE, error);
}

static void
channel_close (NavChannel *channel)
{
  NavSctpDataChannel *self = NAV_SCTP_DATA_CHANNEL (channel);

  LOCK (self);
  nav_sctp_data_transport_close_channel_locked (self->transport, self);
  UNLOCK (self);
}

static gsize
channel_get_mtu (NavChannel *channel)
{
  NavSctpDataChannel *self = NAV_SCTP_DATA_CHANNEL (channel);
  guint64 size;

  LOCK (self);
  size = nav_sctp_data_transport_max_message_size_locked (self->transport);
  UNLOCK (self);
  return size;
}

static void
channel_set_receive_func (NavChannel            *channel,
                          NavChannelReceiveFunc  func,
                          gpointer               user_data,
                          GDestroyNotify         destroy)
{
  NavSctpDataChannel *self = NAV_SCTP_DATA_CHANNEL (channel);
  GDestroyNotify old_destroy = self->recv_destroy;
  gpointer old_data = self->recv_data;

  self->recv_func = func;
  self->recv_data = user_data;
  self->recv_destroy = destroy;
  if (old_destroy != NULL)
    old_destroy (old_data);
}

static void
nav_sctp_data_channel_channel_init (NavChannelInterface *iface)
{
  iface->send = channel_send;
  iface->send_data = channel_send_data;
  iface->close = channel_close;
  iface->get_mtu = channel_get_mtu;
  iface->set_receive_func = channel_set_receive_func;
}

/* ------------------------------------------------------------ NavDataChannel */

static gboolean
data_send_text (NavDataChannel  *channel,
                const gchar     *text,
                gsize            len,
                GError         **error)
{
  return send_common (NAV_SCTP_DATA_CHANNEL (channel), (const guint8 *) text, len, NULL, TRUE,
                      error);
}

static void
data_set_manual_consume (NavDataChannel *channel,
                         gboolean        manual)
{
  NavSctpDataChannel *self = NAV_SCTP_DATA_CHANNEL (channel);

  LOCK (self);
  self->manual_consume = manual;
  UNLOCK (self);
}

static void
data_consume (NavDataChannel *channel,
              gsize           bytes)
{
  nav_sctp_data_transport_consume (NAV_SCTP_DATA_CHANNEL (channel)->transport, bytes);
}

static void
nav_sctp_data_channel_data_init (NavDataChannelInterface *iface)
{
  iface->send_text = data_send_text;
  iface->set_manual_consume = data_set_manual_consume;
  iface->consume = data_consume;
}

/* ------------------------------------------------------------ object */

static void
nav_sctp_data_channel_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  NavSctpDataChannel *self = NAV_SCTP_DATA_CHANNEL (object);

  LOCK (self);
  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_ORDERED:
      g_value_set_boolean (value, self->ordered);
      break;
    case PROP_RELIABLE:
      g_value_set_boolean (value, self->max_retransmits < 0 && self->max_packet_life_time < 0);
      break;
    case PROP_BUFFERED_AMOUNT:
      g_value_set_uint64 (value, nav_sctp_data_transport_buffered_locked (self->transport, self));
      break;
    case PROP_BUFFERED_AMOUNT_LOW_THRESHOLD:
      g_value_set_uint64 (value, self->buffered_amount_low_threshold);
      break;
    case PROP_LABEL:
      g_value_set_string (value, self->label);
      break;
    case PROP_PROTOCOL:
      g_value_set_string (value, self->protocol);
      break;
    case PROP_ID:
      g_value_set_int (value, self->id);
      break;
    case PROP_NEGOTIATED:
      g_value_set_boolean (value, self->negotiated);
      break;
    case PROP_MAX_RETRANSMITS:
      g_value_set_int (value, self->max_retransmits);
      break;
    case PROP_MAX_PACKET_LIFE_TIME:
      g_value_set_int (value, self->max_packet_life_time);
      break;
    case PROP_PRIORITY:
      g_value_set_enum (value, self->priority);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      g_value_set_uint64 (value, nav_sctp_data_transport_max_message_size_locked (self->transport));
      break;
    case PROP_MESSAGES_SENT:
      g_value_set_uint64 (value, self->messages_sent);
      break;
    case PROP_BYTES_SENT:
      g_value_set_uint64 (value, self->bytes_sent);
      break;
    case PROP_MESSAGES_RECEIVED:
      g_value_set_uint64 (value, __atomic_load_n (&self->messages_received, __ATOMIC_RELAXED));
      break;
    case PROP_BYTES_RECEIVED:
      g_value_set_uint64 (value, __atomic_load_n (&self->bytes_received, __ATOMIC_RELAXED));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  UNLOCK (self);
}

static void
nav_sctp_data_channel_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  NavSctpDataChannel *self = NAV_SCTP_DATA_CHANNEL (object);

  switch (prop_id)
    {
    case PROP_BUFFERED_AMOUNT_LOW_THRESHOLD:
      LOCK (self);
      self->buffered_amount_low_threshold = g_value_get_uint64 (value);
      nav_sctp_data_transport_set_threshold_locked (self->transport, self);
      UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_sctp_data_channel_dispose (GObject *object)
{
  NavSctpDataChannel *self = NAV_SCTP_DATA_CHANNEL (object);

  channel_set_receive_func (NAV_CHANNEL (self), NULL, NULL, NULL);
  G_OBJECT_CLASS (nav_sctp_data_channel_parent_class)->dispose (object);
}

static void
nav_sctp_data_channel_finalize (GObject *object)
{
  NavSctpDataChannel *self = NAV_SCTP_DATA_CHANNEL (object);

  g_free (self->label);
  g_free (self->protocol);
  g_clear_pointer (&self->partial, g_byte_array_unref);
  g_clear_object (&self->transport);
  G_OBJECT_CLASS (nav_sctp_data_channel_parent_class)->finalize (object);
}

static void
nav_sctp_data_channel_class_init (NavSctpDataChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  static const gchar *const names[N_PROPS] = {
    NULL, "state", "ordered", "reliable", "buffered-amount", "buffered-amount-low-threshold",
    "label", "protocol", "id", "negotiated", "max-retransmits", "max-packet-life-time",
    "priority", "max-message-size",
    "messages-sent", "bytes-sent", "messages-received", "bytes-received",
  };
  guint i;

  object_class->get_property = nav_sctp_data_channel_get_property;
  object_class->set_property = nav_sctp_data_channel_set_property;
  object_class->dispose = nav_sctp_data_channel_dispose;
  object_class->finalize = nav_sctp_data_channel_finalize;

  for (i = 1; i <= PROP_MAX_MESSAGE_SIZE; i++)
    {
      g_object_class_override_property (object_class, i, names[i]);
      properties[i] = g_object_class_find_property (object_class, names[i]);
    }
  /* The statistics nav_peer_connection_get_stats() reads (webrtc-stats
   * RTCDataChannelStats). */
  for (i = PROP_MESSAGES_SENT; i < N_PROPS; i++)
    {
      properties[i] = g_param_spec_uint64 (names[i], NULL, NULL, 0, G_MAXUINT64, 0,
                                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
      g_object_class_install_property (object_class, i, properties[i]);
    }
  message_signal = g_signal_lookup ("message", NAV_TYPE_CHANNEL);
}

static void
nav_sctp_data_channel_class_finalize (NavSctpDataChannelClass *klass)
{
}

static void
nav_sctp_data_channel_init (NavSctpDataChannel *self)
{
}
