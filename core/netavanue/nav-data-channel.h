/* nav-data-channel.h: WebRTC data channels (RFC 8831) and the SCTP
 * transport that carries them (RFC 8261)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netavanue/nav-version.h>
#include <netavanue/nav-channel.h>
#include <netavanue/nav-dtls.h>

G_BEGIN_DECLS

/**
 * NAV_SCTP_TRANSPORT_EXTENSION_POINT_NAME:
 *
 * The name of the extension point where [iface@Nav.SctpTransport]
 * implementations register (`libnav-datachannel.so`: `nav-sctp`).
 */
#define NAV_SCTP_TRANSPORT_EXTENSION_POINT_NAME "nav-sctp-transport"

/**
 * NAV_DATA_CHANNEL_ERROR:
 *
 * The error domain of data channels and their SCTP transport: codes in
 * [error@Nav.DataChannelError].
 *
 * Since: 1.0
 */
#define NAV_DATA_CHANNEL_ERROR (nav_data_channel_error_quark ())

/**
 * NavDataChannelError:
 * @NAV_DATA_CHANNEL_ERROR_FAILED: another failure.
 * @NAV_DATA_CHANNEL_ERROR_NOT_AVAILABLE: no SCTP transport is installed
 *   (the `datachannel` module is missing).
 * @NAV_DATA_CHANNEL_ERROR_INVALID_STATE: the channel is not open (still
 *   connecting, closing or closed), or the connection is closed.
 * @NAV_DATA_CHANNEL_ERROR_MESSAGE_TOO_LARGE: the message is larger than
 *   the peer's `a=max-message-size` (RFC 8841 §6; 65,536 bytes when it
 *   says nothing).
 * @NAV_DATA_CHANNEL_ERROR_INVALID_OPTIONS: the options contradict each
 *   other (both `max-retransmits` and `max-packet-life-time`), or the
 *   label or protocol is longer than 65,535 bytes.
 * @NAV_DATA_CHANNEL_ERROR_INVALID_ID: the id of a negotiated channel is
 *   out of range (0–65,534) or in use.
 * @NAV_DATA_CHANNEL_ERROR_TOO_MANY_CHANNELS: every stream id of our
 *   parity is in use.
 * @NAV_DATA_CHANNEL_ERROR_BUFFER_FULL: the send buffer is full: wait for
 *   [signal@Nav.Channel::buffered-amount-low].
 * @NAV_DATA_CHANNEL_ERROR_SCTP_FAILED: the SCTP association failed or was
 *   aborted by the peer.
 *
 * Errors of [iface@Nav.DataChannel] and [iface@Nav.SctpTransport].
 *
 * Since: 1.0
 */
typedef enum {
  NAV_DATA_CHANNEL_ERROR_FAILED,
  NAV_DATA_CHANNEL_ERROR_NOT_AVAILABLE,
  NAV_DATA_CHANNEL_ERROR_INVALID_STATE,
  NAV_DATA_CHANNEL_ERROR_MESSAGE_TOO_LARGE,
  NAV_DATA_CHANNEL_ERROR_INVALID_OPTIONS,
  NAV_DATA_CHANNEL_ERROR_INVALID_ID,
  NAV_DATA_CHANNEL_ERROR_TOO_MANY_CHANNELS,
  NAV_DATA_CHANNEL_ERROR_BUFFER_FULL,
  NAV_DATA_CHANNEL_ERROR_SCTP_FAILED,
} NavDataChannelError;

/**
 * NavDataChannelPriority:
 * @NAV_DATA_CHANNEL_PRIORITY_VERY_LOW: `very-low` (DCEP value 128).
 * @NAV_DATA_CHANNEL_PRIORITY_LOW: `low` (256), the default.
 * @NAV_DATA_CHANNEL_PRIORITY_MEDIUM: `medium` (512).
 * @NAV_DATA_CHANNEL_PRIORITY_HIGH: `high` (1024).
 *
 * The priority of a data channel (RFC 8831 §6.4, the values of RFC 8832
 * §5.1).  It is signalled to the peer; our scheduler serves every
 * channel in turn, whatever its priority.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_DATA_CHANNEL_PRIORITY_VERY_LOW,
  NAV_DATA_CHANNEL_PRIORITY_LOW,
  NAV_DATA_CHANNEL_PRIORITY_MEDIUM,
  NAV_DATA_CHANNEL_PRIORITY_HIGH,
} NavDataChannelPriority;

/**
 * NavSctpTransportState:
 * @NAV_SCTP_TRANSPORT_STATE_NEW: not started: the DTLS association is
 *   not up yet.
 * @NAV_SCTP_TRANSPORT_STATE_CONNECTING: the SCTP association is being set
 *   up.
 * @NAV_SCTP_TRANSPORT_STATE_CONNECTED: the association is up: channels
 *   open.
 * @NAV_SCTP_TRANSPORT_STATE_CLOSED: the association ended (closed, aborted
 *   or failed).
 *
 * The states of an [iface@Nav.SctpTransport], as `RTCSctpTransportState`.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_SCTP_TRANSPORT_STATE_NEW,
  NAV_SCTP_TRANSPORT_STATE_CONNECTING,
  NAV_SCTP_TRANSPORT_STATE_CONNECTED,
  NAV_SCTP_TRANSPORT_STATE_CLOSED,
} NavSctpTransportState;

/**
 * NavCongestionControl:
 * @NAV_CONGESTION_CONTROL_RFC9260: RFC 9260 §7.2's slow start and
 *   congestion avoidance, the window halved at each loss (Reno): what
 *   libwebrtc's dcSCTP and usrsctp run.  At 1 % loss on a 50 ms path it
 *   carries about 0.3 MB/s, whatever the link's speed.
 * @NAV_CONGESTION_CONTROL_MODEL: the default: the window follows a
 *   model of the path (its delivery rate and round trip), as BBRv2's
 *   does: a round trip that loses more than 2 % of what it carried caps
 *   it, random loss below that is retransmitted without shrinking it, so
 *   a path that drops packets at random (radio, 1 % on 50 ms) keeps its
 *   speed; it drains the queue its startup built, measures the round
 *   trip again every 10 s, and shares a bottleneck with other flows
 *   (docs/datachannel.md).
 *
 * How an [iface@Nav.SctpTransport] sizes its congestion window.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_CONGESTION_CONTROL_RFC9260,
  NAV_CONGESTION_CONTROL_MODEL,
} NavCongestionControl;

#define NAV_TYPE_DATA_CHANNEL_OPTIONS (nav_data_channel_options_get_type ())

/**
 * NavDataChannelOptions:
 * @ordered: deliver messages in the order they were sent (%TRUE)
 * @max_packet_life_time: give a message up when it is not acknowledged
 *   this many milliseconds after it was sent (RFC 3758 timed
 *   reliability); -1 for no limit
 * @max_retransmits: give a message up after this many retransmissions;
 *   -1 for no limit
 * @protocol: (nullable): the subprotocol, signalled to the peer
 * @negotiated: %TRUE when the application opens the channel on both sides
 *   itself, with the same @id: no DCEP exchange
 * @id: the stream id of a @negotiated channel (0–65,534); -1 otherwise
 * @priority: the priority signalled to the peer
 *
 * How [method@Nav.PeerConnection.create_data_channel] makes a channel:
 * the fields of `RTCDataChannelInit`.  A channel with neither
 * @max_packet_life_time nor @max_retransmits is reliable.
 *
 * In C, fill one on the stack with [func@Nav.DataChannelOptions.init]
 * (@protocol is then borrowed); from a binding, make one with
 * [ctor@Nav.DataChannelOptions.new] and set the protocol with
 * [method@Nav.DataChannelOptions.set_protocol].
 *
 * Since: 1.0
 */
typedef struct {
  gboolean ordered;
  gint max_packet_life_time;
  gint max_retransmits;
  gchar *protocol;
  gboolean negotiated;
  gint id;
  NavDataChannelPriority priority;
} NavDataChannelOptions;

NAV_AVAILABLE_IN_ALL
GType                  nav_data_channel_options_get_type     (void) G_GNUC_CONST;
NAV_AVAILABLE_IN_ALL
NavDataChannelOptions *nav_data_channel_options_new          (void);
NAV_AVAILABLE_IN_ALL
void                   nav_data_channel_options_init         (NavDataChannelOptions       *self);
NAV_AVAILABLE_IN_ALL
NavDataChannelOptions *nav_data_channel_options_copy         (const NavDataChannelOptions *self);
NAV_AVAILABLE_IN_ALL
void                   nav_data_channel_options_free         (NavDataChannelOptions       *self);
NAV_AVAILABLE_IN_ALL
void                   nav_data_channel_options_set_protocol (NavDataChannelOptions       *self,
                                                              const gchar                 *protocol);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavDataChannelOptions, nav_data_channel_options_free)

#define NAV_TYPE_DATA_CHANNEL (nav_data_channel_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (NavDataChannel, nav_data_channel, NAV, DATA_CHANNEL, NavChannel)

/**
 * NavDataChannelInterface:
 * @g_iface: the parent interface.
 * @send_text: sends a text message (see [method@Nav.DataChannel.send_text]).
 * @set_manual_consume: see [method@Nav.DataChannel.set_manual_consume].
 * @consume: see [method@Nav.DataChannel.consume].
 * @text_message: class handler of [signal@Nav.DataChannel::text-message].
 *
 * The virtual methods of [iface@Nav.DataChannel].  Binary messages go
 * through [iface@Nav.Channel]'s `send`/`send_data`.  Implementations
 * provide the properties the interface declares.
 *
 * Since: 1.0
 */
struct _NavDataChannelInterface
{
  GTypeInterface g_iface;

  gboolean (*send_text)          (NavDataChannel  *self,
                                  const gchar     *text,
                                  gsize            len,
                                  GError         **error);
  void     (*set_manual_consume) (NavDataChannel  *self,
                                  gboolean         manual);
  void     (*consume)            (NavDataChannel  *self,
                                  gsize            bytes);

  /* signals */
  void     (*text_message)       (NavDataChannel  *self,
                                  const gchar     *text);

  /*< private >*/
  gpointer padding[8];
};

NAV_AVAILABLE_IN_ALL
gboolean               nav_data_channel_send_text       (NavDataChannel  *self,
                                                         const gchar     *text,
                                                         GError         **error);
NAV_AVAILABLE_IN_ALL
gboolean               nav_data_channel_send_bytes      (NavDataChannel  *self,
                                                         GBytes          *bytes,
                                                         GError         **error);
NAV_AVAILABLE_IN_ALL
gchar                 *nav_data_channel_dup_label       (NavDataChannel  *self);
NAV_AVAILABLE_IN_ALL
gchar                 *nav_data_channel_dup_protocol    (NavDataChannel  *self);
NAV_AVAILABLE_IN_ALL
gint                   nav_data_channel_get_id          (NavDataChannel  *self);
NAV_AVAILABLE_IN_ALL
gboolean               nav_data_channel_get_negotiated  (NavDataChannel  *self);
NAV_AVAILABLE_IN_ALL
gint                   nav_data_channel_get_max_retransmits (NavDataChannel *self);
NAV_AVAILABLE_IN_ALL
gint                   nav_data_channel_get_max_packet_life_time (NavDataChannel *self);
NAV_AVAILABLE_IN_ALL
NavDataChannelPriority nav_data_channel_get_priority    (NavDataChannel  *self);
NAV_AVAILABLE_IN_ALL
guint64                nav_data_channel_get_max_message_size (NavDataChannel *self);
NAV_AVAILABLE_IN_ALL
void                   nav_data_channel_set_manual_consume (NavDataChannel *self,
                                                            gboolean        manual);
NAV_AVAILABLE_IN_ALL
void                   nav_data_channel_consume         (NavDataChannel  *self,
                                                         gsize            bytes);
NAV_AVAILABLE_IN_ALL
GIOStream             *nav_data_channel_get_io_stream   (NavDataChannel  *self,
                                                         GError         **error);

/* For implementations */
NAV_AVAILABLE_IN_ALL
void                   nav_data_channel_emit_text_message (NavDataChannel *self,
                                                           const gchar    *text);

#define NAV_TYPE_SCTP_TRANSPORT (nav_sctp_transport_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (NavSctpTransport, nav_sctp_transport, NAV, SCTP_TRANSPORT, GObject)

/**
 * NAV_SCTP_TRANSPORT_DEFAULT_RECEIVE_WINDOW:
 *
 * The default of [property@Nav.SctpTransport:receive-window]: 4 MiB.
 *
 * Since: 1.0
 */
#define NAV_SCTP_TRANSPORT_DEFAULT_RECEIVE_WINDOW (G_GUINT64_CONSTANT (4) * 1024 * 1024)

/**
 * NAV_SCTP_TRANSPORT_MIN_RECEIVE_WINDOW:
 *
 * The smallest [property@Nav.SctpTransport:receive-window]: 64 KiB.
 *
 * Since: 1.0
 */
#define NAV_SCTP_TRANSPORT_MIN_RECEIVE_WINDOW (G_GUINT64_CONSTANT (64) * 1024)

/**
 * NAV_SCTP_TRANSPORT_MAX_RECEIVE_WINDOW:
 *
 * The largest [property@Nav.SctpTransport:receive-window]: 1 GiB (the
 * a_rwnd field has 32 bits).
 *
 * Since: 1.0
 */
#define NAV_SCTP_TRANSPORT_MAX_RECEIVE_WINDOW (G_GUINT64_CONSTANT (1024) * 1024 * 1024)

/**
 * NavSctpTransportInterface:
 * @g_iface: the parent interface.
 * @create_data_channel: makes a channel (see
 *   [method@Nav.SctpTransport.create_data_channel]).
 * @start: starts the association over a DTLS channel (see
 *   [method@Nav.SctpTransport.start]).
 * @close: ends the association and closes every channel.
 * @get_state: the state.
 * @get_max_message_size: the largest message a channel may send.
 * @get_max_channels: how many channels the association can hold.
 * @data_channel: class handler of [signal@Nav.SctpTransport::data-channel].
 *
 * The virtual methods of [iface@Nav.SctpTransport].
 *
 * Since: 1.0
 */
struct _NavSctpTransportInterface
{
  GTypeInterface g_iface;

  NavDataChannel *      (*create_data_channel)  (NavSctpTransport            *self,
                                                 const gchar                 *label,
                                                 const NavDataChannelOptions *options,
                                                 GError                     **error);
  gboolean              (*start)                (NavSctpTransport            *self,
                                                 NavDtlsChannel              *dtls,
                                                 NavDtlsRole                  role,
                                                 guint                        remote_port,
                                                 guint64                      remote_max_message_size,
                                                 GError                     **error);
  void                  (*close)                (NavSctpTransport            *self);
  NavSctpTransportState (*get_state)            (NavSctpTransport            *self);
  guint64               (*get_max_message_size) (NavSctpTransport            *self);
  guint                 (*get_max_channels)     (NavSctpTransport            *self);

  /* signals */
  void                  (*data_channel)         (NavSctpTransport            *self,
                                                 NavDataChannel              *channel);

  /*< private >*/
  gpointer padding[8];
};

NAV_AVAILABLE_IN_ALL
NavSctpTransport     *nav_sctp_transport_new                  (GMainContext                *context,
                                                               GError                     **error);
NAV_AVAILABLE_IN_ALL
NavDataChannel       *nav_sctp_transport_create_data_channel  (NavSctpTransport            *self,
                                                               const gchar                 *label,
                                                               const NavDataChannelOptions *options,
                                                               GError                     **error);
NAV_AVAILABLE_IN_ALL
gboolean              nav_sctp_transport_start                (NavSctpTransport            *self,
                                                               NavDtlsChannel              *dtls,
                                                               NavDtlsRole                  role,
                                                               guint                        remote_port,
                                                               guint64                      remote_max_message_size,
                                                               GError                     **error);
NAV_AVAILABLE_IN_ALL
void                  nav_sctp_transport_close                (NavSctpTransport            *self);
NAV_AVAILABLE_IN_ALL
NavSctpTransportState nav_sctp_transport_get_state            (NavSctpTransport            *self);
NAV_AVAILABLE_IN_ALL
guint64               nav_sctp_transport_get_max_message_size (NavSctpTransport            *self);
NAV_AVAILABLE_IN_ALL
guint                 nav_sctp_transport_get_max_channels     (NavSctpTransport            *self);

NAV_AVAILABLE_IN_ALL
GQuark                nav_data_channel_error_quark            (void);

G_END_DECLS
