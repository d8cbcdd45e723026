/* nav-data-channel.c: the data channel and SCTP transport interfaces,
 * and the options a channel is made with
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The core links no SCTP: the association (our own, sans-I/O), DCEP and
 * the channels live in the data channel tier, libnav-datachannel.so,
 * which implements these interfaces.  NavPeerConnection reaches it
 * through the registry, as it reaches the DTLS backend
 * (docs/datachannel.md).
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "netavanue/netavanue.h"
#include "nav-data-channel-private.h"

G_DEFINE_QUARK (nav-data-channel-error-quark, nav_data_channel_error)

/* ------------------------------------------------------------ options */

G_DEFINE_BOXED_TYPE (NavDataChannelOptions, nav_data_channel_options,
                     nav_data_channel_options_copy, nav_data_channel_options_free)

/**
 * nav_data_channel_options_init:
 * @self: (out caller-allocates): options to fill
 *
 * Fills @self with the defaults of `RTCDataChannelInit`: ordered,
 * reliable, no protocol, not negotiated, priority low.  @self->protocol is
 * not freed by anything afterwards: point it at a string that outlives
 * the call it is given to.
 *
 * Since: 1.0
 */
void
nav_data_channel_options_init (NavDataChannelOptions *self)
{
  g_return_if_fail (self != NULL);

  self->ordered = TRUE;
  self->max_packet_life_time = -1;
  self->max_retransmits = -1;
  self->protocol = NULL;
  self->negotiated = FALSE;
  self->id = -1;
  self->priority = NAV_DATA_CHANNEL_PRIORITY_LOW;
}

/**
 * nav_data_channel_options_new:
 *
 * Returns: (transfer full): options with the defaults (see
 *   [func@Nav.DataChannelOptions.init])
 *
 * Since: 1.0
 */
NavDataChannelOptions *
nav_data_channel_options_new (void)
{
  NavDataChannelOptions *self = g_new0 (NavDataChannelOptions, 1);

  nav_data_channel_options_init (self);
  return self;
}

/**
 * nav_data_channel_options_copy:
 * @self: options
 *
 * Returns: (transfer full): a copy, with its own protocol string
 *
 * Since: 1.0
 */
NavDataChannelOptions *
nav_data_channel_options_copy (const NavDataChannelOptions *self)
{
  NavDataChannelOptions *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new (NavDataChannelOptions, 1);
  *copy = *self;
  copy->protocol = g_strdup (self->protocol);
  return copy;
}

/**
 * nav_data_channel_options_free:
 * @self: (transfer full): options made by [ctor@Nav.DataChannelOptions.new]
 *   or [method@Nav.DataChannelOptions.copy]
 *
 * Frees @self and its protocol string.
 *
 * Since: 1.0
 */
void
nav_data_channel_options_free (NavDataChannelOptions *self)
{
  if (self == NULL)
    return;
  g_free (self->protocol);
  g_free (self);
}

/**
 * nav_data_channel_options_set_protocol:
 * @self: options made by [ctor@Nav.DataChannelOptions.new]
 * @protocol: (nullable): the subprotocol
 *
 * Sets the subprotocol, copied (the form bindings use; the previous
 * value is freed).
 *
 * Since: 1.0
 */
void
nav_data_channel_options_set_protocol (NavDataChannelOptions *self,
                                       const gchar           *protocol)
{
  g_return_if_fail (self != NULL);

  g_free (self->protocol);
  self->protocol = g_strdup (protocol);
}

/* ------------------------------------------------------------ channel */

/**
 * NavDataChannel:
 *
 * A WebRTC data channel (RFC 8831): a [iface@Nav.Channel] of messages,
 * text or binary, to the peer of a [class@Nav.PeerConnection], made by
 * [method@Nav.PeerConnection.create_data_channel] or announced by
 * [signal@Nav.PeerConnection::data-channel] when the peer opens one.
 *
 * - Binary messages go with [method@Nav.Channel.send] (or
 *   [method@Nav.DataChannel.send_bytes], the same) and arrive through
 *   [signal@Nav.Channel::message]; text messages go with
 *   [method@Nav.DataChannel.send_text] and arrive through
 *   [signal@Nav.DataChannel::text-message].  Empty messages of both
 *   kinds are carried (RFC 8831 §6.6).  A receive function
 *   ([method@Nav.Channel.set_receive_func], the fast path without a
 *   #GBytes) gets the bytes of every message, text or binary.
 * - A message longer than the peer's `a=max-message-size`
 *   ([property@Nav.DataChannel:max-message-size]) is refused with
 *   %NAV_DATA_CHANNEL_ERROR_MESSAGE_TOO_LARGE.
 * - Sending queues; [property@Nav.Channel:buffered-amount] counts what
 *   waits, and [signal@Nav.Channel::buffered-amount-low] says when it fell
 *   to [property@Nav.Channel:buffered-amount-low-threshold].
 * - [method@Nav.Channel.close] closes the channel on both sides (an SCTP
 *   stream reset, RFC 8831 §6.7); the state becomes
 *   %NAV_CHANNEL_STATE_CLOSED when both directions are reset.
 * - A reliable, ordered channel is also a byte stream:
 *   [method@Nav.DataChannel.get_io_stream].
 *
 * Signals are emitted in the main context of the peer connection.  The
 * send methods may be called from any thread.
 *
 * Since: 1.0
 */

G_DEFINE_INTERFACE (NavDataChannel, nav_data_channel, NAV_TYPE_CHANNEL)

static guint text_message_signal;

static void
nav_data_channel_default_init (NavDataChannelInterface *iface)
{
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  /**
   * NavDataChannel:label:
   *
   * The label the channel was made with (not necessarily unique).
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface, g_param_spec_string ("label", NULL, NULL, "", ro));

  /**
   * NavDataChannel:protocol:
   *
   * The subprotocol, "" when none.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_string ("protocol", NULL, NULL, "", ro));

  /**
   * NavDataChannel:id:
   *
   * The SCTP stream id: even for the DTLS client's channels, odd for the
   * server's (RFC 8832 §6); -1 until the DTLS roles are known.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_int ("id", NULL, NULL, -1, 65534, -1, ro));

  /**
   * NavDataChannel:negotiated:
   *
   * Whether the application made the channel on both sides itself.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_boolean ("negotiated", NULL, NULL, FALSE, ro));

  /**
   * NavDataChannel:max-retransmits:
   *
   * Retransmissions after which a message is given up; -1 for none.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_int ("max-retransmits", NULL, NULL, -1, G_MAXINT, -1, ro));

  /**
   * NavDataChannel:max-packet-life-time:
   *
   * Milliseconds after which an unacknowledged message is given up; -1
   * for none.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_int ("max-packet-life-time", NULL, NULL, -1, G_MAXINT, -1, ro));

  /**
   * NavDataChannel:priority:
   *
   * The priority signalled to the peer.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_enum ("priority", NULL, NULL, NAV_TYPE_DATA_CHANNEL_PRIORITY,
                         NAV_DATA_CHANNEL_PRIORITY_LOW, ro));

  /**
   * NavDataChannel:max-message-size:
   *
   * The largest message the channel sends: the peer's
   * `a=max-message-size` (RFC 8841 §6), 65,536 when it said nothing.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_uint64 ("max-message-size", NULL, NULL, 0, G_MAXUINT64, 65536, ro));

  /**
   * NavDataChannel::text-message:
   * @self: the channel
   * @text: the message, valid UTF-8 (invalid sequences from the peer are
   *   replaced, as a browser's TextDecoder does)
   *
   * Emitted for each text message from the peer; binary ones come
   * through [signal@Nav.Channel::message].
   *
   * Since: 1.0
   */
  text_message_signal =
    g_signal_new ("text-message", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (NavDataChannelInterface, text_message),
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

/**
 * nav_data_channel_send_text:
 * @self: a data channel
 * @text: the message, UTF-8
 * @error: return location for a #GError
 *
 * Queues a text message (PPID 51, or 56 when empty).
 *
 * Returns: %TRUE when queued; %FALSE with @error set: a
 *   [error@Nav.DataChannelError] (%NAV_DATA_CHANNEL_ERROR_INVALID_STATE
 *   when the channel is not open, %NAV_DATA_CHANNEL_ERROR_MESSAGE_TOO_LARGE,
 *   %NAV_DATA_CHANNEL_ERROR_BUFFER_FULL)
 *
 * Since: 1.0
 */
gboolean
nav_data_channel_send_text (NavDataChannel  *self,
                            const gchar     *text,
                            GError         **error)
{
  g_return_val_if_fail (NAV_IS_DATA_CHANNEL (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return NAV_DATA_CHANNEL_GET_IFACE (self)->send_text (self, text, strlen (text), error);
}

/**
 * nav_data_channel_send_bytes:
 * @self: a data channel
 * @bytes: the message
 * @error: return location for a #GError
 *
 * Queues a binary message (PPID 53, or 57 when empty), as
 * [method@Nav.Channel.send] does.
 *
 * Returns: %TRUE when queued; %FALSE with @error set (see
 *   [method@Nav.DataChannel.send_text])
 *
 * Since: 1.0
 */
gboolean
nav_data_channel_send_bytes (NavDataChannel  *self,
                             GBytes          *bytes,
                             GError         **error)
{
  g_return_val_if_fail (NAV_IS_DATA_CHANNEL (self), FALSE);

  return nav_channel_send (NAV_CHANNEL (self), bytes, error);
}

/**
 * nav_data_channel_dup_label:
 * @self: a data channel
 *
 * Returns: (transfer full): its label
 *
 * Since: 1.0
 */
gchar *
nav_data_channel_dup_label (NavDataChannel *self)
{
  gchar *label = NULL;

  g_return_val_if_fail (NAV_IS_DATA_CHANNEL (self), NULL);

  g_object_get (self, "label", &label, NULL);
  return label;
}

/**
 * nav_data_channel_dup_protocol:
 * @self: a data channel
 *
 * Returns: (transfer full): its subprotocol, "" when none
 *
 * Since: 1.0
 */
gchar *
nav_data_channel_dup_protocol (NavDataChannel *self)
{
  gchar *protocol = NULL;

  g_return_val_if_fail (NAV_IS_DATA_CHANNEL (self), NULL);

  g_object_get (self, "protocol", &protocol, NULL);
  return protocol;
}

static gint
get_int (NavDataChannel *self,
         const gchar    *name)
{
  gint value = -1;

  g_object_get (self, name, &value, NULL);
  return value;
}

/**
 * nav_data_channel_get_id:
 * @self: a data channel
 *
 * Returns: its SCTP stream id, -1 while the DTLS roles are unknown
 *
 * Since: 1.0
 */
gint
nav_data_channel_get_id (NavDataChannel *self)
{
  g_return_val_if_fail (NAV_IS_DATA_CHANNEL (self), -1);

  return get_int (self, "id");
}

/**
 * nav_data_channel_get_negotiated:
 * @self: a data channel
 *
 * Returns: whether the application made the channel on both sides
 *
 * Since: 1.0
 */
gboolean
nav_data_channel_get_negotiated (NavDataChannel *self)
{
  gboolean negotiated = FALSE;

  g_return_val_if_fail (NAV_IS_DATA_CHANNEL (self), FALSE);

  g_object_get (self, "negotiated", &negotiated, NULL);
  return negotiated;
}

/**
 * nav_data_channel_get_max_retransmits:
 * @self: a data channel
 *
 * Returns: the retransmissions after which a message is given up, -1
 *   for no limit
 *
 * Since: 1.0
 */
gint
nav_data_channel_get_max_retransmits (NavDataChannel *self)
{
  g_return_val_if_fail (NAV_IS_DATA_CHANNEL (self), -1);

  return get_int (self, "max-retransmits");
}

/**
 * nav_data_channel_get_max_packet_life_time:
 * @self: a data channel
 *
 * Returns: the milliseconds after which an unacknowledged message is
 *   given up, -1 for no limit
 *
 * Since: 1.0
 */
gint
nav_data_channel_get_max_packet_life_time (NavDataChannel *self)
{
  g_return_val_if_fail (NAV_IS_DATA_CHANNEL (self), -1);

  return get_int (self, "max-packet-life-time");
}

/**
 * nav_data_channel_get_priority:
 * @self: a data channel
 *
 * Returns: its priority
 *
 * Since: 1.0
 */
NavDataChannelPriority
nav_data_channel_get_priority (NavDataChannel *self)
{
  NavDataChannelPriority priority = NAV_DATA_CHANNEL_PRIORITY_LOW;

  g_return_val_if_fail (NAV_IS_DATA_CHANNEL (self), NAV_DATA_CHANNEL_PRIORITY_LOW);

  g_object_get (self, "priority", &priority, NULL);
  return priority;
}

/**
 * nav_data_channel_get_max_message_size:
 * @self: a data channel
 *
 * Returns: the largest message it sends (the peer's `a=max-message-size`)
 *
 * Since: 1.0
 */
guint64
nav_data_channel_get_max_message_size (NavDataChannel *self)
{
  guint64 size = 0;

  g_return_val_if_fail (NAV_IS_DATA_CHANNEL (self), 0);

  g_object_get (self, "max-message-size", &size, NULL);
  return size;
}

/**
 * nav_data_channel_set_manual_consume:
 * @self: a data channel
 * @manual: %TRUE: the receive window is given back by
 *   [method@Nav.DataChannel.consume] only
 *
 * Flow control for a reader that keeps what it receives: with @manual,
 * the bytes of each message delivered stay charged to the SCTP
 * association's receive window until the reader calls
 * [method@Nav.DataChannel.consume], so that a reader that stops reading
 * stops the peer (as TCP's window does) instead of buffering without
 * bound.  The window is the association's: a reader that never consumes
 * stalls every channel of the connection.  The stream of
 * [method@Nav.DataChannel.get_io_stream] works this way.
 *
 * Since: 1.0
 */
void
nav_data_channel_set_manual_consume (NavDataChannel *self,
                                     gboolean        manual)
{
  g_return_if_fail (NAV_IS_DATA_CHANNEL (self));

  NAV_DATA_CHANNEL_GET_IFACE (self)->set_manual_consume (self, manual);
}

/**
 * nav_data_channel_consume:
 * @self: a data channel in manual consume mode
 * @bytes: bytes of delivered messages the reader is done with
 *
 * Gives @bytes back to the receive window (see
 * [method@Nav.DataChannel.set_manual_consume]).  May be called from any
 * thread.
 *
 * Since: 1.0
 */
void
nav_data_channel_consume (NavDataChannel *self,
                          gsize           bytes)
{
  g_return_if_fail (NAV_IS_DATA_CHANNEL (self));

  NAV_DATA_CHANNEL_GET_IFACE (self)->consume (self, bytes);
}

/**
 * nav_data_channel_emit_text_message:
 * @self: a data channel
 * @text: the message, valid UTF-8
 *
 * Emits [signal@Nav.DataChannel::text-message]: for implementations.
 *
 * Since: 1.0
 */
void
nav_data_channel_emit_text_message (NavDataChannel *self,
                                    const gchar    *text)
{
  g_return_if_fail (NAV_IS_DATA_CHANNEL (self));

  g_signal_emit (self, text_message_signal, 0, text);
}

/**
 * nav_data_channel_get_io_stream:
 * @self: a reliable, ordered data channel
 * @error: return location for a #GError
 *
 * Returns the channel as a byte stream, as a TCP connection is one: what
 * is written goes as binary messages (of up to 64 KiB), what is read is
 * the bytes of the messages received, text or binary, in order.  Its
 * streams are pollable; blocking reads and writes may come from any
 * thread (in the main context's own thread they run the context while
 * they wait).  Writes wait while more than 1 MiB is buffered; reads
 * give the receive window back as they go (manual consume), so a reader
 * that stops stops the peer.  Closing the stream closes the channel;
 * reads return 0 once the peer closed it.
 *
 * The stream takes the channel's receive function: do not set one of
 * your own.  The same stream is returned each time.
 *
 * Returns: (transfer none): the stream, or %NULL with
 *   %G_IO_ERROR_NOT_SUPPORTED when the channel is unordered or partially
 *   reliable
 *
 * Since: 1.0
 */
GIOStream *
nav_data_channel_get_io_stream (NavDataChannel  *self,
                                GError         **error)
{
  static GQuark quark;
  GIOStream *stream;

  g_return_val_if_fail (NAV_IS_DATA_CHANNEL (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (quark == 0)
    quark = g_quark_from_static_string ("nav-data-channel-io-stream");
  stream = g_object_get_qdata (G_OBJECT (self), quark);
  if (stream != NULL)
    return stream;
  if (!nav_channel_get_ordered (NAV_CHANNEL (self)) || !nav_channel_get_reliable (NAV_CHANNEL (self)))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("Only a reliable, ordered data channel is a byte stream"));
      return NULL;
    }
  stream = nav_data_channel_stream_new (self);
  g_object_set_qdata_full (G_OBJECT (self), quark, stream, g_object_unref);
  return stream;
}

/* ------------------------------------------------------------ transport */

/**
 * NavSctpTransport:
 *
 * The SCTP association of a [class@Nav.PeerConnection] (RFC 8261: SCTP
 * over its DTLS channel), which carries its [iface@Nav.DataChannel]s, as
 * `RTCSctpTransport`.  Implemented by a module at the
 * `nav-sctp-transport` extension point (`libnav-datachannel.so`: our own
 * sans-I/O SCTP association and DCEP); a peer connection makes it with
 * its first channel or description
 * ([method@Nav.PeerConnection.get_sctp_transport]).
 *
 * Since: 1.0
 */

G_DEFINE_INTERFACE (NavSctpTransport, nav_sctp_transport, G_TYPE_OBJECT)

static void
nav_sctp_transport_default_init (NavSctpTransportInterface *iface)
{
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  /**
   * NavSctpTransport:main-context:
   *
   * The main context of the association's timers, receive path and
   * signals (the peer connection's).
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_boxed ("main-context", NULL, NULL, G_TYPE_MAIN_CONTEXT,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * NavSctpTransport:state:
   *
   * The state of the association.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_enum ("state", NULL, NULL, NAV_TYPE_SCTP_TRANSPORT_STATE,
                         NAV_SCTP_TRANSPORT_STATE_NEW, ro));

  /**
   * NavSctpTransport:max-message-size:
   *
   * The largest message a channel sends: the peer's `a=max-message-size`.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_uint64 ("max-message-size", NULL, NULL, 0, G_MAXUINT64, 65536, ro));

  /**
   * NavSctpTransport:max-channels:
   *
   * How many channels the association holds: the streams both ends
   * allowed (0 before it is up).
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_uint ("max-channels", NULL, NULL, 0, 65535, 0, ro));

  /**
   * NavSctpTransport:congestion-control:
   *
   * How the association sizes its congestion window (see
   * [enum@Nav.CongestionControl]); it may change at any time.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_enum ("congestion-control", NULL, NULL, NAV_TYPE_CONGESTION_CONTROL,
                         NAV_CONGESTION_CONTROL_MODEL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * NavSctpTransport:receive-window:
   *
   * The receive window the association advertises (a_rwnd, RFC 9260
   * §6.2), in bytes: what this end holds of the peer's data that the
   * application has not taken yet.  A transfer over a path cannot go
   * faster than this window per round trip (4 MiB, the default, is
   * 40 MB/s over 100 ms); what it costs is memory, only when the
   * application reads slower than the peer sends.  Set it before the
   * association starts (or through
   * [property@Nav.PeerConnection:sctp-receive-window]); once it runs, it
   * only grows.
   *
   * Since: 1.0
   */
  g_object_interface_install_property (iface,
      g_param_spec_uint64 ("receive-window", NULL, NULL,
                           NAV_SCTP_TRANSPORT_MIN_RECEIVE_WINDOW,
                           NAV_SCTP_TRANSPORT_MAX_RECEIVE_WINDOW,
                           NAV_SCTP_TRANSPORT_DEFAULT_RECEIVE_WINDOW,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * NavSctpTransport::data-channel:
   * @self: the transport
   * @channel: the channel the peer opened
   *
   * Emitted when the peer opens a channel (DCEP, RFC 8832); it is open
   * already.
   *
   * Since: 1.0
   */
  g_signal_new ("data-channel", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST,
                G_STRUCT_OFFSET (NavSctpTransportInterface, data_channel),
                NULL, NULL, NULL, G_TYPE_NONE, 1, NAV_TYPE_DATA_CHANNEL);
}

/**
 * nav_sctp_transport_new:
 * @context: (nullable): the main context it runs in; %NULL for the
 *   thread-default one
 * @error: return location for a #GError
 *
 * Makes the SCTP transport the registry prefers
 * (`NAV_USE_NAV_SCTP_TRANSPORT` chooses another).
 *
 * Returns: (transfer full): the transport, not started, or %NULL with
 *   %NAV_DATA_CHANNEL_ERROR_NOT_AVAILABLE when no module provides one
 *
 * Since: 1.0
 */
NavSctpTransport *
nav_sctp_transport_new (GMainContext  *context,
                        GError       **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GMainContext) owned = context != NULL ? g_main_context_ref (context)
                                                   : g_main_context_ref_thread_default ();
  GObject *object;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  object = nav_registry_create (nav_registry_get_default (),
                                NAV_SCTP_TRANSPORT_EXTENSION_POINT_NAME, NULL, &local_error,
                                "main-context", owned, NULL);
  if (object == NULL)
    {
      g_set_error (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_NOT_AVAILABLE,
                   _("Data channels are not available (is the datachannel module installed?): %s"),
                   local_error->message);
      return NULL;
    }
  return NAV_SCTP_TRANSPORT (object);
}

/**
 * nav_sctp_transport_create_data_channel:
 * @self: a transport
 * @label: the channel's label
 * @options: (nullable): how to make it; %NULL for the defaults
 * @error: return location for a #GError
 *
 * Makes a data channel; see [method@Nav.PeerConnection.create_data_channel].
 *
 * Returns: (transfer full): the channel, or %NULL with @error set
 *
 * Since: 1.0
 */
NavDataChannel *
nav_sctp_transport_create_data_channel (NavSctpTransport             *self,
                                        const gchar                  *label,
                                        const NavDataChannelOptions  *options,
                                        GError                      **error)
{
  NavDataChannelOptions defaults;

  g_return_val_if_fail (NAV_IS_SCTP_TRANSPORT (self), NULL);
  g_return_val_if_fail (label != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (options == NULL)
    {
      nav_data_channel_options_init (&defaults);
      options = &defaults;
    }
  if (options->max_retransmits >= 0 && options->max_packet_life_time >= 0)
    {
      /* W3C webrtc-pc §6.2 createDataChannel, step 11. */
      g_set_error_literal (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_INVALID_OPTIONS,
                           _("A data channel takes max-retransmits or max-packet-life-time, "
                             "not both"));
      return NULL;
    }
  if (strlen (label) > G_MAXUINT16 || (options->protocol != NULL &&
                                       strlen (options->protocol) > G_MAXUINT16))
    {
      g_set_error_literal (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_INVALID_OPTIONS,
                           _("A data channel's label and protocol are 65,535 bytes at most"));
      return NULL;
    }
  if (options->negotiated && (options->id < 0 || options->id > 65534))
    {
      g_set_error (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_INVALID_ID,
                   _("A negotiated data channel needs an id from 0 to 65534 (%d)"), options->id);
      return NULL;
    }
  return NAV_SCTP_TRANSPORT_GET_IFACE (self)->create_data_channel (self, label, options, error);
}

/**
 * nav_sctp_transport_start:
 * @self: a transport
 * @dtls: the DTLS channel the association runs over (RFC 8261)
 * @role: our DTLS role: the client's channels take even stream ids, the
 *   server's odd ones (RFC 8832 §6)
 * @remote_port: the peer's SCTP port (`a=sctp-port`, RFC 8841 §5)
 * @remote_max_message_size: the peer's `a=max-message-size` (65,536 when
 *   it said nothing, 0 for no limit)
 * @error: return location for a #GError
 *
 * Attaches the transport to @dtls (it takes its receive function) and
 * readies the association: INIT goes as soon as @dtls is open, and the
 * peer's is answered whenever it comes (both ends send one, as browsers
 * do; RFC 9260 §5.2.1 resolves the collision).  Channels made before
 * open once the association is up.  Our port is 5000.
 *
 * Returns: %TRUE when started; %FALSE with @error set when it was
 *   started or closed already
 *
 * Since: 1.0
 */
gboolean
nav_sctp_transport_start (NavSctpTransport  *self,
                          NavDtlsChannel    *dtls,
                          NavDtlsRole        role,
                          guint              remote_port,
                          guint64            remote_max_message_size,
                          GError           **error)
{
  g_return_val_if_fail (NAV_IS_SCTP_TRANSPORT (self), FALSE);
  g_return_val_if_fail (NAV_IS_DTLS_CHANNEL (dtls), FALSE);
  g_return_val_if_fail (remote_port > 0 && remote_port <= 65535, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return NAV_SCTP_TRANSPORT_GET_IFACE (self)->start (self, dtls, role, remote_port,
                                                    remote_max_message_size, error);
}

/**
 * nav_sctp_transport_close:
 * @self: a transport
 *
 * Ends the association (ABORT, RFC 9260 §9.1) and closes every channel.
 *
 * Since: 1.0
 */
void
nav_sctp_transport_close (NavSctpTransport *self)
{
  g_return_if_fail (NAV_IS_SCTP_TRANSPORT (self));

  NAV_SCTP_TRANSPORT_GET_IFACE (self)->close (self);
}

/**
 * nav_sctp_transport_get_state:
 * @self: a transport
 *
 * Returns: the state of the association
 *
 * Since: 1.0
 */
NavSctpTransportState
nav_sctp_transport_get_state (NavSctpTransport *self)
{
  g_return_val_if_fail (NAV_IS_SCTP_TRANSPORT (self), NAV_SCTP_TRANSPORT_STATE_CLOSED);

  return NAV_SCTP_TRANSPORT_GET_IFACE (self)->get_state (self);
}

/**
 * nav_sctp_transport_get_max_message_size:
 * @self: a transport
 *
 * Returns: the largest message a channel sends
 *
 * Since: 1.0
 */
guint64
nav_sctp_transport_get_max_message_size (NavSctpTransport *self)
{
  g_return_val_if_fail (NAV_IS_SCTP_TRANSPORT (self), 0);

  return NAV_SCTP_TRANSPORT_GET_IFACE (self)->get_max_message_size (self);
}

/**
 * nav_sctp_transport_get_max_channels:
 * @self: a transport
 *
 * Returns: how many channels the association holds (0 before it is up)
 *
 * Since: 1.0
 */
guint
nav_sctp_transport_get_max_channels (NavSctpTransport *self)
{
  g_return_val_if_fail (NAV_IS_SCTP_TRANSPORT (self), 0);

  return NAV_SCTP_TRANSPORT_GET_IFACE (self)->get_max_channels (self);
}
