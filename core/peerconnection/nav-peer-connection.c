/* nav-peer-connection.c: NavPeerConnection, the object: configuration,
 * properties, signals, states, restart and close
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The offer/answer exchange (JSEP, RFC 8829) is in
 * nav-peer-connection-jsep.c, the transport side (the agent, candidates,
 * the DTLS channel) in nav-peer-connection-ice.c, the SDP text in
 * nav-sdp.c.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nav-peer-connection-private.h"
#include "inspect/nav-inspect-private.h"

/**
 * NavPeerConnection:
 *
 * An encrypted, authenticated connection to one peer, set up as a web
 * page's `RTCPeerConnection` is: configure STUN and TURN servers once,
 * exchange an offer and an answer (and, as they are found, ICE
 * candidates) through a signaling channel of your own, and get a
 * [iface@Nav.DtlsChannel] whose peer is the holder of the certificate
 * whose fingerprint it signalled.
 *
 * ```c
 * pc = nav_peer_connection_new (NULL);
 * nav_peer_connection_add_ice_server (pc, "stun:stun.example.org", NULL, NULL, &error);
 * g_signal_connect (pc, "ice-candidate", G_CALLBACK (send_candidate_to_peer), peer);
 * nav_peer_connection_create_offer_async (pc, NULL, offer_created, peer);
 * // offer_created: set_local_description (offer), send it; when the
 * // answer comes: set_remote_description (answer); each candidate that
 * // comes: add_ice_candidate ().  Then, once connection-state is
 * // CONNECTED, nav_peer_connection_get_dtls_channel () carries data.
 * ```
 *
 * The connection holds one [class@Nav.Agent] (not a second ICE
 * implementation): one stream of one component, a BUNDLE group of one
 * data channel m-line (`m=application 9 UDP/DTLS/SCTP
 * webrtc-datachannel`, RFC 8841), trickled candidates (RFC 8838).  The
 * offerer is the ICE controlling agent; the DTLS roles come from
 * `a=setup` (RFC 8842): the offer says `actpass`, the answer `active`,
 * so the answerer is the DTLS client.
 *
 * The DTLS channel is stacked on the agent's channel
 * ([method@Nav.Agent.get_channel]), which the agent rebinds to every new
 * selected pair: after [method@Nav.PeerConnection.restart_ice] and a new
 * offer/answer, the association moves to the new path without a new
 * handshake.
 *
 * Everything happens in the connection's main context, the one given at
 * construction (or the thread-default one): call its methods from that
 * context's thread.  Its signals and property notifications are emitted
 * there.
 *
 * Since: 1.0
 */

enum {
  PROP_0,
  PROP_MAIN_CONTEXT,
  PROP_CERTIFICATE,
  PROP_ICE_TRANSPORT_POLICY,
  PROP_BUNDLE_POLICY,
  PROP_SIGNALING_STATE,
  PROP_ICE_GATHERING_STATE,
  PROP_ICE_CONNECTION_STATE,
  PROP_CONNECTION_STATE,
  PROP_LOCAL_DESCRIPTION,
  PROP_REMOTE_DESCRIPTION,
  PROP_DATA_CHANNELS,
  PROP_MDNS_HOST_CANDIDATES,
  PROP_SCTP_RECEIVE_WINDOW,
  N_PROPS
};

enum {
  SIGNAL_ICE_CANDIDATE,
  SIGNAL_NEGOTIATION_NEEDED,
  SIGNAL_DATA_CHANNEL,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (NavPeerConnection, nav_peer_connection, G_TYPE_OBJECT)

G_DEFINE_QUARK (nav-peer-connection-error-quark, nav_peer_connection_error)


/* ------------------------------------------------------------ states */

void
nav_peer_connection_set_signaling_state (NavPeerConnection *self,
                                         NavSignalingState  state)
{
  if (self->signaling_state == state)
    return;
  self->signaling_state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIGNALING_STATE]);
}

void
nav_peer_connection_update_states (NavPeerConnection *self)
{
  NavIceConnectionState ice;
  NavPeerConnectionState connection;
  NavChannelState dtls_state = NAV_CHANNEL_STATE_CONNECTING;
  g_autoptr (GError) dtls_error = NULL;

  if (self->closed)
    ice = NAV_ICE_CONNECTION_STATE_CLOSED;
  else if (self->remote_ufrag == NULL)
    ice = NAV_ICE_CONNECTION_STATE_NEW;
  /* The application's transport (a relay when ICE found no path) is
   * connected when it is open, whatever the agent says. */
  else if (self->own_transport && nav_channel_get_state (self->ice_channel) == NAV_CHANNEL_STATE_OPEN)
    ice = NAV_ICE_CONNECTION_STATE_CONNECTED;
  else if (self->component_state == NAV_COMPONENT_STATE_FAILED)
    ice = NAV_ICE_CONNECTION_STATE_FAILED;
  /* Connected when data can flow: the agent's channel is bound to a
   * selected pair (a pair that merely passed its check carries
   * nothing yet). */
  else if (self->ice_channel != NULL &&
           nav_channel_get_state (self->ice_channel) == NAV_CHANNEL_STATE_OPEN)
    ice = NAV_ICE_CONNECTION_STATE_CONNECTED;
  else
    ice = NAV_ICE_CONNECTION_STATE_CHECKING;

  if (self->dtls != NULL && self->dtls_started)
    {
      dtls_state = nav_channel_get_state (NAV_CHANNEL (self->dtls));
      if (dtls_state == NAV_CHANNEL_STATE_CLOSED)
        dtls_error = nav_dtls_channel_dup_error (self->dtls);
    }
  /* The W3C's rules for RTCPeerConnectionState, ICE and DTLS together. */
  if (self->closed)
    connection = NAV_PEER_CONNECTION_STATE_CLOSED;
  else if (ice == NAV_ICE_CONNECTION_STATE_FAILED || dtls_error != NULL)
    connection = NAV_PEER_CONNECTION_STATE_FAILED;
  else if (dtls_state == NAV_CHANNEL_STATE_CLOSED)
    connection = NAV_PEER_CONNECTION_STATE_CLOSED;
  else if (ice == NAV_ICE_CONNECTION_STATE_NEW && !self->dtls_started)
    connection = NAV_PEER_CONNECTION_STATE_NEW;
  else if (ice == NAV_ICE_CONNECTION_STATE_CONNECTED && dtls_state == NAV_CHANNEL_STATE_OPEN)
    connection = NAV_PEER_CONNECTION_STATE_CONNECTED;
  else
    connection = NAV_PEER_CONNECTION_STATE_CONNECTING;

  if (ice != self->ice_state)
    {
      self->ice_state = ice;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ICE_CONNECTION_STATE]);
    }
  if (connection != self->connection_state)
    {
      self->connection_state = connection;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION_STATE]);
    }
}

void
nav_peer_connection_emit_ice_candidate (NavPeerConnection *self,
                                        const gchar       *candidate)
{
  g_autofree gchar *text = NULL;

  /* The generation's ufrag as an extension (RFC 8839 §5.1 allows them;
   * browsers add it): a peer tells a candidate from before a restart. */
  if (candidate != NULL)
    text = g_strdup_printf ("%s ufrag %s", candidate, self->local_ufrag);
  g_signal_emit (self, signals[SIGNAL_ICE_CANDIDATE], 0, text, self->mid, self->mline_index);
}

static gboolean
negotiation_needed_cb (gpointer user_data)
{
  NavPeerConnection *self = user_data;

  self->negotiation_needed_queued = FALSE;
  /* W3C webrtc-pc §4.7.3: only in the stable state; once it returns
   * there, the check runs again. */
  if (!self->closed && self->signaling_state == NAV_SIGNALING_STATE_STABLE &&
      (self->restart_pending || self->data_negotiation_needed))
    g_signal_emit (self, signals[SIGNAL_NEGOTIATION_NEEDED], 0);
  return G_SOURCE_REMOVE;
}

void
nav_peer_connection_emit_data_channel (NavPeerConnection *self,
                                       NavDataChannel    *channel)
{
  g_signal_emit (self, signals[SIGNAL_DATA_CHANNEL], 0, channel);
}

void
nav_peer_connection_queue_negotiation_needed (NavPeerConnection *self)
{
  GSource *source;

  if (self->negotiation_needed_queued || self->closed)
    return;
  self->negotiation_needed_queued = TRUE;
  source = g_idle_source_new ();
  g_source_set_callback (source, negotiation_needed_cb, g_object_ref (self), g_object_unref);
  g_source_set_static_name (source, "[nav] negotiation-needed");
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/* ------------------------------------------------------------ helpers */

gboolean
nav_peer_connection_closed_error (NavPeerConnection  *self,
                                  GError            **error)
{
  if (!self->closed)
    return FALSE;
  g_set_error_literal (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_STATE,
                       _("The peer connection is closed"));
  return TRUE;
}

/* ------------------------------------------------------------ the rest */

/**
 * nav_peer_connection_add_ice_server:
 * @self: a peer connection
 * @uri: `stun:host[:port]`, `turn:host[:port][?transport=udp|tcp]` or
 *   `turns:host[:port]` (RFC 7064, RFC 7065); IPv6 addresses in brackets
 * @username: (nullable): the TURN username
 * @credential: (nullable): the TURN password
 * @error: return location for a #GError
 *
 * Adds a STUN or TURN server, as an entry of `RTCConfiguration.iceServers`.
 * Add them before the first [method@Nav.PeerConnection.set_local_description]:
 * they are used when gathering starts (host names are resolved then,
 * without blocking).  The agent uses the first STUN server and every
 * TURN server.
 *
 * Returns: %TRUE on success; %FALSE with
 *   %NAV_PEER_CONNECTION_ERROR_INVALID_ICE_SERVER when @uri is malformed
 *   or a TURN server lacks credentials
 *
 * Since: 1.0
 */
gboolean
nav_peer_connection_add_ice_server (NavPeerConnection  *self,
                                    const gchar        *uri,
                                    const gchar        *username,
                                    const gchar        *credential,
                                    GError            **error)
{
  IceServer *server;

  g_return_val_if_fail (NAV_IS_PEER_CONNECTION (self), FALSE);
  g_return_val_if_fail (uri != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (nav_peer_connection_closed_error (self, error))
    return FALSE;
  server = nav_peer_connection_parse_ice_server (uri, username, credential, error);
  if (server == NULL)
    return FALSE;
  if (self->gathering_started)
    g_warning (_("Peer connection %p: %s is added after gathering started: not used"), self, uri);
  g_ptr_array_add (self->ice_servers, server);
  return TRUE;
}

/**
 * nav_peer_connection_restart_ice:
 * @self: a peer connection
 *
 * Asks for an ICE restart (RFC 8445 §9): the next offer carries new ICE
 * credentials, and [signal@Nav.PeerConnection::negotiation-needed] is
 * emitted (once the signaling state is stable) so that the application
 * makes it.  When the exchange completes, the checks run again on the
 * network as it is now; the new selected pair carries the same DTLS
 * association, without a new handshake.  The connection asks for a
 * restart by itself when ICE fails after it worked (consent lost).
 *
 * Since: 1.0
 */
void
nav_peer_connection_restart_ice (NavPeerConnection *self)
{
  g_return_if_fail (NAV_IS_PEER_CONNECTION (self));

  if (self->closed)
    return;
  self->restart_pending = TRUE;
  nav_peer_connection_queue_negotiation_needed (self);
}

static void
fail_waiters (NavPeerConnection *self)
{
  GTask *task;

  while ((task = g_queue_pop_head (&self->certificate_waiters)) != NULL)
    {
      nav_peer_connection_complete_create (self, task);
      g_object_unref (task);
    }
}

/**
 * nav_peer_connection_close:
 * @self: a peer connection
 *
 * Closes the connection: the DTLS association ends with close_notify,
 * the agent's sockets close, and every state becomes closed.  Nothing
 * can be done with it afterwards.
 *
 * Since: 1.0
 */
void
nav_peer_connection_close (NavPeerConnection *self)
{
  g_return_if_fail (NAV_IS_PEER_CONNECTION (self));

  if (self->closed)
    return;
  self->closed = TRUE;
  g_cancellable_cancel (self->cancellable);
  fail_waiters (self);
  /* The association's ABORT goes before the DTLS close_notify. */
  if (self->sctp != NULL)
    nav_sctp_transport_close (self->sctp);
  if (self->dtls != NULL)
    nav_channel_close (NAV_CHANNEL (self->dtls));
  if (self->agent != NULL)
    nav_agent_remove_stream (self->agent, self->stream_id);
  nav_peer_connection_set_signaling_state (self, NAV_SIGNALING_STATE_CLOSED);
  nav_peer_connection_update_states (self);
}

/* ------------------------------------------------------------ getters */

/**
 * nav_peer_connection_get_signaling_state:
 * @self: a peer connection
 *
 * Returns: where the offer/answer exchange stands
 *
 * Since: 1.0
 */
NavSignalingState
nav_peer_connection_get_signaling_state (NavPeerConnection *self)
{
  g_return_val_if_fail (NAV_IS_PEER_CONNECTION (self), NAV_SIGNALING_STATE_CLOSED);

  return self->signaling_state;
}

/**
 * nav_peer_connection_get_ice_gathering_state:
 * @self: a peer connection
 *
 * Returns: the state of candidate gathering
 *
 * Since: 1.0
 */
NavIceGatheringState
nav_peer_connection_get_ice_gathering_state (NavPeerConnection *self)
{
  g_return_val_if_fail (NAV_IS_PEER_CONNECTION (self), NAV_ICE_GATHERING_STATE_NEW);

  return self->gathering_state;
}

/**
 * nav_peer_connection_get_ice_connection_state:
 * @self: a peer connection
 *
 * Returns: the state of the ICE transport
 *
 * Since: 1.0
 */
NavIceConnectionState
nav_peer_connection_get_ice_connection_state (NavPeerConnection *self)
{
  g_return_val_if_fail (NAV_IS_PEER_CONNECTION (self), NAV_ICE_CONNECTION_STATE_CLOSED);

  return self->ice_state;
}

/**
 * nav_peer_connection_get_connection_state:
 * @self: a peer connection
 *
 * Returns: the state of the connection, ICE and DTLS together
 *
 * Since: 1.0
 */
NavPeerConnectionState
nav_peer_connection_get_connection_state (NavPeerConnection *self)
{
  g_return_val_if_fail (NAV_IS_PEER_CONNECTION (self), NAV_PEER_CONNECTION_STATE_CLOSED);

  return self->connection_state;
}

/**
 * nav_peer_connection_get_certificate:
 * @self: a peer connection
 *
 * Returns: (transfer none) (nullable): our certificate: the one given at
 *   construction, or the one made for the connection (%NULL while it is
 *   being made)
 *
 * Since: 1.0
 */
NavCertificate *
nav_peer_connection_get_certificate (NavPeerConnection *self)
{
  g_return_val_if_fail (NAV_IS_PEER_CONNECTION (self), NULL);

  return self->certificate;
}

/**
 * nav_peer_connection_get_dtls_channel:
 * @self: a peer connection
 *
 * Returns the DTLS channel: encrypted datagrams to and from the peer,
 * open once [property@Nav.PeerConnection:connection-state] is
 * %NAV_PEER_CONNECTION_STATE_CONNECTED.  The cipher suite and the peer's
 * certificate are there.  It exists from the first description set on,
 * and is the same for the life of the connection.
 *
 * Returns: (transfer none) (nullable): the channel, %NULL before the
 *   first description
 *
 * Since: 1.0
 */
NavDtlsChannel *
nav_peer_connection_get_dtls_channel (NavPeerConnection *self)
{
  g_return_val_if_fail (NAV_IS_PEER_CONNECTION (self), NULL);

  return self->dtls;
}

/**
 * nav_peer_connection_set_transport_channel:
 * @self: a peer connection
 * @channel: the datagram channel DTLS is to run over
 *
 * Makes DTLS (and so the SCTP association and the data channels) run
 * over @channel instead of the agent's channel of component 1.  ICE
 * still runs, and the application decides where @channel's datagrams
 * go: typically the agent's channel (nav_agent_get_channel()) until ICE
 * fails, then a relay of its own (nav-share's WebSocket relay).  While
 * @channel is open, [property@Nav.PeerConnection:ice-connection-state]
 * is %NAV_ICE_CONNECTION_STATE_CONNECTED even when the agent failed,
 * and the DTLS handshake starts when it opens.
 *
 * Call it before the first description is set or created.
 *
 * Returns: %TRUE, or %FALSE with @error set when DTLS already exists
 *
 * Since: 1.0
 */
gboolean
nav_peer_connection_set_transport_channel (NavPeerConnection  *self,
                                           NavChannel         *channel,
                                           GError            **error)
{
  g_return_val_if_fail (NAV_IS_PEER_CONNECTION (self), FALSE);
  g_return_val_if_fail (NAV_IS_CHANNEL (channel), FALSE);

  if (self->dtls != NULL || self->closed)
    {
      g_set_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_STATE,
                   _("The transport can only be set before the first description"));
      return FALSE;
    }
  nav_peer_connection_ice_set_transport (self, channel);
  return TRUE;
}

/**
 * nav_peer_connection_get_agent:
 * @self: a peer connection
 *
 * Returns the ICE agent the connection runs on (stream 1, component 1),
 * for what only the agent says: the selected pair, the sockets, the
 * channel below the DTLS one.  Do not change its streams or credentials.
 *
 * Returns: (transfer none): the agent
 *
 * Since: 1.0
 */
NavAgent *
nav_peer_connection_get_agent (NavPeerConnection *self)
{
  g_return_val_if_fail (NAV_IS_PEER_CONNECTION (self), NULL);

  return self->agent;
}

/* ------------------------------------------------------------ object */

static void
on_certificate (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  NavPeerConnection *self = user_data;
  GError *error = NULL;
  NavCertificate *certificate = nav_certificate_generate_finish (result, &error);

  if (certificate == NULL)
    self->certificate_error = error;
  else
    {
      self->certificate = certificate;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CERTIFICATE]);
    }
  fail_waiters (self);
  nav_peer_connection_maybe_start_dtls (self);
  g_object_unref (self);
}

/**
 * nav_peer_connection_new:
 * @context: (nullable): the main context everything runs in; %NULL for
 *   the thread-default one
 *
 * Makes a peer connection with a certificate of its own (made in a
 * worker thread; [method@Nav.PeerConnection.create_offer_async] waits for
 * it).  To use a certificate you keep, construct it with the
 * [property@Nav.PeerConnection:certificate] property.
 *
 * Returns: (transfer full): the peer connection
 *
 * Since: 1.0
 */
NavPeerConnection *
nav_peer_connection_new (GMainContext *context)
{
  return g_object_new (NAV_TYPE_PEER_CONNECTION, "main-context", context, NULL);
}

static void
nav_peer_connection_constructed (GObject *object)
{
  NavPeerConnection *self = NAV_PEER_CONNECTION (object);

  G_OBJECT_CLASS (nav_peer_connection_parent_class)->constructed (object);

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
  nav_peer_connection_ice_init (self);
  if (self->certificate == NULL)
    {
      g_main_context_push_thread_default (self->context);
      nav_certificate_generate_async (self->cancellable, on_certificate, g_object_ref (self));
      g_main_context_pop_thread_default (self->context);
    }
  else if (!nav_certificate_has_private_key (self->certificate))
    {
      self->certificate_error = g_error_new_literal (NAV_DTLS_ERROR, NAV_DTLS_ERROR_BAD_CERTIFICATE,
                                                     _("The certificate has no private key"));
      g_clear_object (&self->certificate);
    }
  /* Seen by nav-inspect --live (core/inspect). */
  nav_inspect_track (object, "peer_connection");
}

static void
nav_peer_connection_dispose (GObject *object)
{
  NavPeerConnection *self = NAV_PEER_CONNECTION (object);

  self->closed = TRUE;
  g_cancellable_cancel (self->cancellable);
  fail_waiters (self);
  nav_peer_connection_data_dispose (self);
  nav_peer_connection_ice_dispose (self);

  G_OBJECT_CLASS (nav_peer_connection_parent_class)->dispose (object);
}

static void
nav_peer_connection_finalize (GObject *object)
{
  NavPeerConnection *self = NAV_PEER_CONNECTION (object);

  g_clear_object (&self->certificate);
  g_clear_error (&self->certificate_error);
  g_clear_object (&self->cancellable);
  g_ptr_array_unref (self->ice_servers);
  g_clear_pointer (&self->current_local, nav_session_description_unref);
  g_clear_pointer (&self->pending_local, nav_session_description_unref);
  g_clear_pointer (&self->current_remote, nav_session_description_unref);
  g_clear_pointer (&self->pending_remote, nav_session_description_unref);
  g_clear_pointer (&self->local_sdp, nav_sdp_free);
  g_clear_pointer (&self->created_sdp, nav_sdp_free);
  g_clear_pointer (&self->remote_sdp, nav_sdp_free);
  g_free (self->created_text);
  g_free (self->mid);
  g_free (self->local_ufrag);
  g_free (self->local_pwd);
  g_free (self->remote_ufrag);
  g_free (self->remote_pwd);
  g_free (self->announced_ufrag);
  g_ptr_array_unref (self->local_candidates);
  g_strfreev (self->remote_fingerprints);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (nav_peer_connection_parent_class)->finalize (object);
}

static void
nav_peer_connection_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  NavPeerConnection *self = NAV_PEER_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_MAIN_CONTEXT:
      g_value_set_boxed (value, self->context);
      break;
    case PROP_CERTIFICATE:
      g_value_set_object (value, self->certificate);
      break;
    case PROP_ICE_TRANSPORT_POLICY:
      g_value_set_enum (value, self->ice_transport_policy);
      break;
    case PROP_BUNDLE_POLICY:
      g_value_set_enum (value, self->bundle_policy);
      break;
    case PROP_SIGNALING_STATE:
      g_value_set_enum (value, self->signaling_state);
      break;
    case PROP_ICE_GATHERING_STATE:
      g_value_set_enum (value, self->gathering_state);
      break;
    case PROP_ICE_CONNECTION_STATE:
      g_value_set_enum (value, self->ice_state);
      break;
    case PROP_CONNECTION_STATE:
      g_value_set_enum (value, self->connection_state);
      break;
    case PROP_LOCAL_DESCRIPTION:
      g_value_take_boxed (value, nav_peer_connection_get_local_description (self));
      break;
    case PROP_REMOTE_DESCRIPTION:
      g_value_take_boxed (value, nav_peer_connection_get_remote_description (self));
      break;
    case PROP_DATA_CHANNELS:
      g_value_set_boolean (value, self->data_channels);
      break;
    case PROP_MDNS_HOST_CANDIDATES:
      g_value_set_boolean (value, self->mdns_host_candidates);
      break;
    case PROP_SCTP_RECEIVE_WINDOW:
      g_value_set_uint64 (value, self->sctp_receive_window);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_peer_connection_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  NavPeerConnection *self = NAV_PEER_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_MAIN_CONTEXT:
      self->context = g_value_dup_boxed (value);
      break;
    case PROP_CERTIFICATE:
      self->certificate = g_value_dup_object (value);
      break;
    case PROP_ICE_TRANSPORT_POLICY:
      if (self->gathering_started && g_value_get_enum (value) != (gint) self->ice_transport_policy)
        g_warning (_("Peer connection %p: the ICE transport policy changes after gathering "
                     "started: not used"), self);
      self->ice_transport_policy = g_value_get_enum (value);
      break;
    case PROP_BUNDLE_POLICY:
      self->bundle_policy = g_value_get_enum (value);
      break;
    case PROP_DATA_CHANNELS:
      self->data_channels = g_value_get_boolean (value);
      break;
    case PROP_MDNS_HOST_CANDIDATES:
      self->mdns_host_candidates = g_value_get_boolean (value);
      break;
    case PROP_SCTP_RECEIVE_WINDOW:
      self->sctp_receive_window = g_value_get_uint64 (value);
      if (self->sctp != NULL)
        g_object_set (self->sctp, "receive-window", self->sctp_receive_window, NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_peer_connection_class_init (NavPeerConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamFlags rwco = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = nav_peer_connection_constructed;
  object_class->dispose = nav_peer_connection_dispose;
  object_class->finalize = nav_peer_connection_finalize;
  object_class->get_property = nav_peer_connection_get_property;
  object_class->set_property = nav_peer_connection_set_property;

  /**
   * NavPeerConnection:main-context:
   *
   * The main context the connection, its agent and its DTLS channel run
   * in; %NULL at construction means the thread-default one.
   *
   * Since: 1.0
   */
  properties[PROP_MAIN_CONTEXT] =
    g_param_spec_boxed ("main-context", NULL, NULL, G_TYPE_MAIN_CONTEXT, rwco);

  /**
   * NavPeerConnection:certificate:
   *
   * Our certificate, with its private key.  When none is given at
   * construction, one is made ([func@Nav.Certificate.generate_async]),
   * and the property is notified once it is there.
   *
   * Since: 1.0
   */
  properties[PROP_CERTIFICATE] =
    g_param_spec_object ("certificate", NULL, NULL, NAV_TYPE_CERTIFICATE,
                         rwco | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * NavPeerConnection:ice-transport-policy:
   *
   * Which candidates are gathered and offered: all, or relayed ones only
   * (the peer then never learns our addresses).  Set it before the
   * first local description.
   *
   * Since: 1.0
   */
  properties[PROP_ICE_TRANSPORT_POLICY] =
    g_param_spec_enum ("ice-transport-policy", NULL, NULL, NAV_TYPE_ICE_TRANSPORT_POLICY,
                       NAV_ICE_TRANSPORT_POLICY_ALL,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * NavPeerConnection:bundle-policy:
   *
   * How m-lines share a transport; see [enum@Nav.BundlePolicy].
   *
   * Since: 1.0
   */
  properties[PROP_BUNDLE_POLICY] =
    g_param_spec_enum ("bundle-policy", NULL, NULL, NAV_TYPE_BUNDLE_POLICY,
                       NAV_BUNDLE_POLICY_BALANCED, rwco);

  /**
   * NavPeerConnection:mdns-host-candidates:
   *
   * Whether host candidates are signalled with a random `UUID.local`
   * name instead of the address (draft-ietf-mmusic-mdns-ice-candidates,
   * what browsers do), the name answered by the process's own mDNS
   * responder, and reflexive candidates without their related address.
   * Off by default, as in libnice.  Set it before gathering starts.
   *
   * Since: 1.0
   */
  properties[PROP_MDNS_HOST_CANDIDATES] =
    g_param_spec_boolean ("mdns-host-candidates", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NavPeerConnection:sctp-receive-window:
   *
   * The receive window of the data channels' association, in bytes:
   * [property@Nav.SctpTransport:receive-window] of the transport this
   * peer connection makes.  A bulk transfer over a long path needs its
   * bandwidth-delay product (the 4 MiB default allows 40 MB/s over a
   * 100 ms round trip); the memory is only used when the application
   * reads slower than the peer sends.  Set it before the first data
   * channel or description; later, it only grows.
   *
   * Since: 1.0
   */
  properties[PROP_SCTP_RECEIVE_WINDOW] =
    g_param_spec_uint64 ("sctp-receive-window", NULL, NULL,
                         NAV_SCTP_TRANSPORT_MIN_RECEIVE_WINDOW,
                         NAV_SCTP_TRANSPORT_MAX_RECEIVE_WINDOW,
                         NAV_SCTP_TRANSPORT_DEFAULT_RECEIVE_WINDOW,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NavPeerConnection:signaling-state:
   *
   * Where the offer/answer exchange stands (RFC 8829 §3.2).
   *
   * Since: 1.0
   */
  properties[PROP_SIGNALING_STATE] =
    g_param_spec_enum ("signaling-state", NULL, NULL, NAV_TYPE_SIGNALING_STATE,
                       NAV_SIGNALING_STATE_STABLE, ro);

  /**
   * NavPeerConnection:ice-gathering-state:
   *
   * The state of candidate gathering.
   *
   * Since: 1.0
   */
  properties[PROP_ICE_GATHERING_STATE] =
    g_param_spec_enum ("ice-gathering-state", NULL, NULL, NAV_TYPE_ICE_GATHERING_STATE,
                       NAV_ICE_GATHERING_STATE_NEW, ro);

  /**
   * NavPeerConnection:ice-connection-state:
   *
   * The state of the ICE transport.
   *
   * Since: 1.0
   */
  properties[PROP_ICE_CONNECTION_STATE] =
    g_param_spec_enum ("ice-connection-state", NULL, NULL, NAV_TYPE_ICE_CONNECTION_STATE,
                       NAV_ICE_CONNECTION_STATE_NEW, ro);

  /**
   * NavPeerConnection:connection-state:
   *
   * The state of the connection: connected once ICE has a path and the
   * DTLS handshake completed with the certificate the peer signalled.
   *
   * Since: 1.0
   */
  properties[PROP_CONNECTION_STATE] =
    g_param_spec_enum ("connection-state", NULL, NULL, NAV_TYPE_PEER_CONNECTION_STATE,
                       NAV_PEER_CONNECTION_STATE_NEW, ro);

  /**
   * NavPeerConnection:local-description:
   *
   * See [method@Nav.PeerConnection.get_local_description].
   *
   * Since: 1.0
   */
  properties[PROP_LOCAL_DESCRIPTION] =
    g_param_spec_boxed ("local-description", NULL, NULL, NAV_TYPE_SESSION_DESCRIPTION, ro);

  /**
   * NavPeerConnection:remote-description:
   *
   * See [method@Nav.PeerConnection.get_remote_description].
   *
   * Since: 1.0
   */
  properties[PROP_REMOTE_DESCRIPTION] =
    g_param_spec_boxed ("remote-description", NULL, NULL, NAV_TYPE_SESSION_DESCRIPTION, ro);

  /**
   * NavPeerConnection:data-channels:
   *
   * Whether the connection carries WebRTC data channels: an SCTP
   * association over its DTLS channel (RFC 8261), set up as soon as the
   * DTLS channel is open, as browsers do.  %FALSE leaves the DTLS channel
   * to the application, for datagrams of its own between two NetAvanue
   * peers (a browser has nothing to talk to then):
   * [method@Nav.PeerConnection.create_data_channel] fails, and what the
   * peer sends on SCTP is dropped.
   *
   * Since: 1.0
   */
  properties[PROP_DATA_CHANNELS] =
    g_param_spec_boolean ("data-channels", NULL, NULL, TRUE, rwco);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NavPeerConnection::ice-candidate:
   * @self: the peer connection
   * @candidate: (nullable): a local candidate (`candidate:…`, the value
   *   of an `a=candidate` line), or %NULL: the end-of-candidates
   *   indication (RFC 8838 §4.4)
   * @sdp_mid: (nullable): the mid of our data m-line
   * @sdp_mline_index: its index
   *
   * Emitted for each local candidate found after the first local
   * description is set, and for each one again after an ICE restart
   * (for the new credentials).  Send it to the peer, which gives it to
   * [method@Nav.PeerConnection.add_ice_candidate].
   *
   * Since: 1.0
   */
  signals[SIGNAL_ICE_CANDIDATE] =
    g_signal_new ("ice-candidate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT);

  /**
   * NavPeerConnection::negotiation-needed:
   * @self: the peer connection
   *
   * Emitted, in the stable signaling state, when a new offer/answer
   * exchange is needed: after [method@Nav.PeerConnection.restart_ice],
   * or when ICE failed after it worked.  Make an offer and send it.
   *
   * Since: 1.0
   */
  signals[SIGNAL_NEGOTIATION_NEEDED] =
    g_signal_new ("negotiation-needed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * NavPeerConnection::data-channel:
   * @self: the peer connection
   * @channel: the channel the peer opened, open already
   *
   * Emitted when the peer opens a data channel (DCEP, RFC 8832), as the
   * `datachannel` event of a web page.  Keep a reference to the channel
   * and connect to its [signal@Nav.Channel::message] and
   * [signal@Nav.DataChannel::text-message].
   *
   * Since: 1.0
   */
  signals[SIGNAL_DATA_CHANNEL] =
    g_signal_new ("data-channel", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, NAV_TYPE_DATA_CHANNEL);
}

static void
nav_peer_connection_init (NavPeerConnection *self)
{
  guint64 id;

  self->cancellable = g_cancellable_new ();
  self->ice_servers = g_ptr_array_new_with_free_func (ice_server_free);
  self->local_candidates = g_ptr_array_new_with_free_func (g_free);
  self->mid = g_strdup ("0");
  self->data_channels = TRUE;
  self->sctp_receive_window = NAV_SCTP_TRANSPORT_DEFAULT_RECEIVE_WINDOW;
  /* RFC 8829 §5.2.1: a random 62-bit session id, so that it fits a
   * signed 64-bit integer. */
  id = ((guint64) g_random_int () << 32) | g_random_int ();
  self->session_id = id & G_GUINT64_CONSTANT (0x3fffffffffffffff);
}
