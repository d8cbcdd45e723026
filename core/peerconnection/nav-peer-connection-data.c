/* nav-peer-connection-data.c: NavPeerConnection's data channels: its
 * SCTP transport (the datachannel module's, through the registry) over
 * its DTLS channel
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The transport is made with the first channel or the first
 * description, and started (attached to the DTLS channel) once the
 * remote description said the peer's SCTP port and max-message-size
 * (RFC 8841).  It answers the peer's association whenever it comes and
 * opens one itself as soon as a channel of ours exists.
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "nav-peer-connection-private.h"

static void
on_data_channel (NavSctpTransport *transport,
                 NavDataChannel   *channel,
                 gpointer          user_data)
{
  NavPeerConnection *self = user_data;

  nav_peer_connection_stats_add_channel (self, channel);
  if (!self->closed)
    nav_peer_connection_emit_data_channel (self, channel);
}

static void
on_sctp_state (GObject    *object,
               GParamSpec *pspec,
               gpointer    user_data)
{
  NavPeerConnection *self = user_data;

  g_debug ("Peer connection %p: SCTP transport %d", self,
           nav_sctp_transport_get_state (self->sctp));
}

gboolean
nav_peer_connection_ensure_sctp (NavPeerConnection  *self,
                                 GError            **error)
{
  if (self->sctp != NULL)
    return TRUE;
  if (!self->data_channels)
    {
      g_set_error_literal (error, NAV_DATA_CHANNEL_ERROR, NAV_DATA_CHANNEL_ERROR_INVALID_STATE,
                           _("This peer connection carries no data channels (data-channels "
                             "is FALSE)"));
      return FALSE;
    }
  self->sctp = nav_sctp_transport_new (self->context, error);
  if (self->sctp == NULL)
    return FALSE;
  g_object_set (self->sctp, "receive-window", self->sctp_receive_window, NULL);
  g_signal_connect (self->sctp, "data-channel", G_CALLBACK (on_data_channel), self);
  g_signal_connect (self->sctp, "notify::state", G_CALLBACK (on_sctp_state), self);
  return TRUE;
}

/* Once the DTLS channel exists, the roles are known and the remote
 * description gave the peer's port. */
void
nav_peer_connection_maybe_start_sctp (NavPeerConnection *self)
{
  g_autoptr (GError) error = NULL;

  if (self->closed || self->sctp == NULL || self->sctp_started || self->dtls == NULL ||
      !self->dtls_role_known || self->remote_sctp_port == 0)
    return;
  self->sctp_started = TRUE;
  if (!nav_sctp_transport_start (self->sctp, self->dtls, self->dtls_role, self->remote_sctp_port,
                                 self->remote_max_message_size, &error))
    g_warning (_("Peer connection %p: the SCTP transport cannot start: %s"), self,
               error->message);
}

void
nav_peer_connection_data_dispose (NavPeerConnection *self)
{
  g_clear_pointer (&self->stats_channels, g_ptr_array_unref);
  if (self->sctp == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->sctp, self);
  nav_sctp_transport_close (self->sctp);
  g_clear_object (&self->sctp);
}

/**
 * nav_peer_connection_create_data_channel:
 * @self: a peer connection
 * @label: the channel's label (any UTF-8, not necessarily unique)
 * @options: (nullable): how to make it; %NULL: ordered, reliable, no
 *   protocol
 * @error: return location for a #GError
 *
 * Makes a data channel, as `RTCPeerConnection.createDataChannel()`:
 * the peer hears of it through its own `data-channel` signal (DCEP, RFC
 * 8832), unless @options says the application negotiated it (then make
 * it on both sides with the same id).  The channel is
 * %NAV_CHANNEL_STATE_CONNECTING until the SCTP association is up, then
 * open.  The first channel of a connection that has not negotiated yet
 * emits [signal@Nav.PeerConnection::negotiation-needed]: make an offer.
 *
 * Stream ids follow the DTLS roles (RFC 8832 §6: the client's even, the
 * server's odd); a channel made before the roles are known gets its id
 * when they are ([property@Nav.DataChannel:id] is -1 until then).
 *
 * Returns: (transfer full): the channel, or %NULL with @error set: a
 *   [error@Nav.DataChannelError] (%NAV_DATA_CHANNEL_ERROR_INVALID_OPTIONS,
 *   %NAV_DATA_CHANNEL_ERROR_INVALID_ID for a negotiated id out of range
 *   or in use, %NAV_DATA_CHANNEL_ERROR_NOT_AVAILABLE without the
 *   datachannel module, %NAV_DATA_CHANNEL_ERROR_INVALID_STATE when
 *   [property@Nav.PeerConnection:data-channels] is %FALSE), or %NAV_PEER_CONNECTION_ERROR_INVALID_STATE
 *   once the connection is closed
 *
 * Since: 1.0
 */
NavDataChannel *
nav_peer_connection_create_data_channel (NavPeerConnection            *self,
                                         const gchar                  *label,
                                         const NavDataChannelOptions  *options,
                                         GError                      **error)
{
  NavDataChannel *channel;

  g_return_val_if_fail (NAV_IS_PEER_CONNECTION (self), NULL);
  g_return_val_if_fail (label != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (nav_peer_connection_closed_error (self, error))
    return NULL;
  if (!nav_peer_connection_ensure_sctp (self, error))
    return NULL;
  channel = nav_sctp_transport_create_data_channel (self->sctp, label, options, error);
  if (channel == NULL)
    return NULL;
  nav_peer_connection_stats_add_channel (self, channel);
  /* W3C webrtc-pc §6.2, createDataChannel step 19: the first channel of
   * a connection without a negotiated data m-line needs an offer. */
  if (self->current_local == NULL && self->pending_local == NULL &&
      self->signaling_state == NAV_SIGNALING_STATE_STABLE && !self->data_negotiation_needed)
    {
      self->data_negotiation_needed = TRUE;
      nav_peer_connection_queue_negotiation_needed (self);
    }
  return channel;
}

/**
 * nav_peer_connection_get_sctp_transport:
 * @self: a peer connection
 *
 * Returns the SCTP transport of the data channels, as
 * `RTCPeerConnection.sctp`: its state, the peer's max-message-size, the
 * number of channels it holds.
 *
 * Returns: (transfer none) (nullable): the transport, %NULL before the
 *   first channel or description
 *
 * Since: 1.0
 */
NavSctpTransport *
nav_peer_connection_get_sctp_transport (NavPeerConnection *self)
{
  g_return_val_if_fail (NAV_IS_PEER_CONNECTION (self), NULL);

  return self->sctp;
}
