/* nav-sctp-data-private.h: what the data channel tier's SCTP transport
 * and its channels share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * nav-sctp-data-transport.c  NavSctpDataTransport: our SCTP association
 *                            (sctp/) over the DTLS channel (RFC 8261), its
 *                            timer, its packets, DCEP (RFC 8832), events
 * nav-sctp-data-channel.c    NavSctpDataChannel: one data channel (RFC
 *                            8831): properties, send, close
 * nav-dcep.c                 the DCEP messages, read and written
 *
 * One lock, the transport's, covers the association and every channel's
 * state: the send methods may be called from any thread.  What the
 * application hears (signals, receive functions) is queued as events
 * under the lock and dispatched once it is released, in the order it
 * happened, so that a handler may call back in.
 */
#pragma once

#include <netavanue/netavanue.h>

#include "nav-sctp-association.h"

G_BEGIN_DECLS

/* RFC 8841 §5: the port of every WebRTC stack; we announce nothing else. */
#define NAV_SCTP_DATA_LOCAL_PORT 5000
/* What we announce in a=max-message-size and reassemble: Chromium's. */
#define NAV_SCTP_DATA_MAX_MESSAGE_SIZE 262144

#define NAV_TYPE_SCTP_DATA_TRANSPORT (nav_sctp_data_transport_get_type ())
G_DECLARE_FINAL_TYPE (NavSctpDataTransport, nav_sctp_data_transport, NAV, SCTP_DATA_TRANSPORT,
                      GObject)

#define NAV_TYPE_SCTP_DATA_CHANNEL (nav_sctp_data_channel_get_type ())
G_DECLARE_FINAL_TYPE (NavSctpDataChannel, nav_sctp_data_channel, NAV, SCTP_DATA_CHANNEL, GObject)

void nav_sctp_data_transport_register (GTypeModule *module);
void nav_sctp_data_channel_register (GTypeModule *module);

typedef enum {
  EVENT_CHANNEL_STATE,          /* a channel's state changed */
  EVENT_MESSAGE,                /* a message for a channel */
  EVENT_BUFFERED_LOW,           /* a channel's buffered amount fell */
  EVENT_DATA_CHANNEL,           /* the peer opened a channel */
  EVENT_TRANSPORT_STATE,        /* the transport's state changed */
  EVENT_MAX_MESSAGE_SIZE,       /* ... its max-message-size too */
} NavSctpDataEventType;

typedef struct {
  NavSctpDataEventType type;
  NavSctpDataChannel *channel;  /* a reference, or NULL */
  GBytes *data;                 /* EVENT_MESSAGE */
  gboolean text;
  NavChannelState state;
} NavSctpDataEvent;

struct _NavSctpDataChannel
{
  GObject parent_instance;

  NavSctpDataTransport *transport;      /* a reference */

  /* Under the transport's lock. */
  gchar *label;
  gchar *protocol;
  gint id;                      /* -1 until the DTLS role gives one */
  gboolean negotiated;
  gboolean ordered;
  gint max_retransmits;
  gint max_packet_life_time;
  NavDataChannelPriority priority;
  NavChannelState state;
  gboolean open_to_send;        /* ours: DCEP OPEN not sent yet */
  gboolean awaiting_ack;        /* DCEP ACK not received: send ordered (RFC 8832 §6) */
  gboolean incoming_reset;      /* the peer reset its outgoing stream */
  gboolean outgoing_reset;      /* ours was reset */
  gboolean reset_requested;
  gboolean manual_consume;
  guint64 buffered_amount_low_threshold;
  GByteArray *partial;          /* PPID 52/54 parts of a message */
  gboolean partial_text;
  gboolean partial_discard;     /* the message in parts grew too large: its rest goes too */
  guint64 messages_sent;        /* statistics (nav_peer_connection_get_stats()) */
  guint64 bytes_sent;
  /* Relaxed atomics: counted in the context's thread, without the lock. */
  guint64 messages_received;
  guint64 bytes_received;

  /* Only in the context's thread. */
  NavChannelReceiveFunc recv_func;
  gpointer recv_data;
  GDestroyNotify recv_destroy;
};

/* nav-sctp-data-transport.c, for the channels: the lock and what needs it. */
void     nav_sctp_data_transport_lock     (NavSctpDataTransport *self);
/* Releases the lock and dispatches the events queued meanwhile. */
void     nav_sctp_data_transport_unlock   (NavSctpDataTransport *self);
void     nav_sctp_data_transport_push     (NavSctpDataTransport *self,
                                           NavSctpDataEventType  type,
                                           NavSctpDataChannel   *channel);
void     nav_sctp_data_transport_set_channel_state (NavSctpDataTransport *self,
                                                    NavSctpDataChannel   *channel,
                                                    NavChannelState       state);
gboolean nav_sctp_data_transport_send_locked (NavSctpDataTransport  *self,
                                              NavSctpDataChannel    *channel,
                                              const guint8          *data,
                                              gsize                  len,
                                              GBytes                *bytes,
                                              gboolean               text,
                                              GError               **error);
void     nav_sctp_data_transport_close_channel_locked (NavSctpDataTransport *self,
                                                       NavSctpDataChannel   *channel);
gsize    nav_sctp_data_transport_buffered_locked (NavSctpDataTransport *self,
                                                  NavSctpDataChannel   *channel);
void     nav_sctp_data_transport_set_threshold_locked (NavSctpDataTransport *self,
                                                       NavSctpDataChannel   *channel);
void     nav_sctp_data_transport_consume  (NavSctpDataTransport *self,
                                           gsize                 bytes);
guint64  nav_sctp_data_transport_max_message_size_locked (NavSctpDataTransport *self);

/* nav-sctp-data-channel.c, for the transport. */
NavSctpDataChannel *nav_sctp_data_channel_new (NavSctpDataTransport        *transport,
                                               const gchar                 *label,
                                               gsize                        label_len,
                                               const NavDataChannelOptions *options,
                                               gsize                        protocol_len);
void     nav_sctp_data_channel_deliver    (NavSctpDataChannel *self,
                                           GBytes             *data,
                                           gboolean            text);
void     nav_sctp_data_channel_emit_state (NavSctpDataChannel *self,
                                           NavChannelState     state);

G_END_DECLS
