/* nav-peer-connection-jsep.c: NavPeerConnection's offer/answer exchange
 * (JSEP, RFC 8829): offers and answers made, descriptions set, the
 * signaling state machine, a=setup roles (RFC 8842), candidates added
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The object and its states are in nav-peer-connection.c, the agent and
 * the DTLS channel in nav-peer-connection-ice.c, the SDP text in
 * nav-sdp.c.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nav-peer-connection-private.h"

/* RFC 8122 §5: the hash functions a fingerprint of ours may use. */
static const gchar *const known_hashes[] = { "sha-1", "sha-224", "sha-256", "sha-384", "sha-512" };

static const gchar *
signaling_state_name (NavSignalingState state)
{
  static const gchar *const names[] = {
    "stable", "have-local-offer", "have-remote-offer", "have-local-pranswer",
    "have-remote-pranswer", "closed",
  };

  return names[state];
}

/* RFC 8829 §3.2 (figure 2): the signaling state machine.  Returns FALSE
 * when @type may not be set now. */
static gboolean
next_signaling_state (NavSignalingState  state,
                      gboolean           local,
                      NavSdpType         type,
                      NavSignalingState *next)
{
  NavSignalingState own_offer = local ? NAV_SIGNALING_STATE_HAVE_LOCAL_OFFER
                                      : NAV_SIGNALING_STATE_HAVE_REMOTE_OFFER;
  NavSignalingState their_offer = local ? NAV_SIGNALING_STATE_HAVE_REMOTE_OFFER
                                        : NAV_SIGNALING_STATE_HAVE_LOCAL_OFFER;
  NavSignalingState own_pranswer = local ? NAV_SIGNALING_STATE_HAVE_LOCAL_PRANSWER
                                         : NAV_SIGNALING_STATE_HAVE_REMOTE_PRANSWER;

  switch (type)
    {
    case NAV_SDP_TYPE_OFFER:
      *next = own_offer;
      return state == NAV_SIGNALING_STATE_STABLE || state == own_offer;
    case NAV_SDP_TYPE_PRANSWER:
      *next = own_pranswer;
      return state == their_offer || state == own_pranswer;
    case NAV_SDP_TYPE_ANSWER:
      *next = NAV_SIGNALING_STATE_STABLE;
      return state == their_offer || state == own_pranswer;
    case NAV_SDP_TYPE_ROLLBACK:
      *next = NAV_SIGNALING_STATE_STABLE;
      return state == own_offer;
    default:
      return FALSE;
    }
}

static gboolean
wrong_state (NavPeerConnection  *self,
             NavSdpType          type,
             gboolean            local,
             GError            **error)
{
  g_set_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_STATE,
               local ? _("A local %s cannot be set in the signaling state %s")
                     : _("A remote %s cannot be set in the signaling state %s"),
               nav_sdp_type_to_string (type), signaling_state_name (self->signaling_state));
  return FALSE;
}

static gchar *
our_fingerprint (NavPeerConnection *self)
{
  g_autofree gchar *hex = nav_certificate_get_fingerprint (self->certificate, "sha-256");

  return g_strconcat ("sha-256 ", hex, NULL);
}

static NavSdpMedia *
data_media (NavSdp *sdp,
            guint   index)
{
  NavSdpMedia *m;

  if (sdp == NULL || index >= sdp->media->len)
    return NULL;
  m = g_ptr_array_index (sdp->media, index);
  return m->sctp != NAV_SDP_SCTP_NONE ? m : NULL;
}

/* Our data m-line (RFC 8841 §4, RFC 8829 §5.2.1 and §5.3.1). */
static NavSdpMedia *
make_data_media (NavPeerConnection *self,
                 NavSdpSctpForm     form,
                 const gchar       *ufrag,
                 const gchar       *pwd,
                 NavSdpSetup        setup)
{
  g_autofree gchar *port = g_strdup_printf ("%u", NAV_PEER_CONNECTION_SCTP_PORT);
  NavSdpMedia *m = form == NAV_SDP_SCTP_LEGACY
                   ? nav_sdp_media_new ("application", 9, "DTLS/SCTP", port)
                   : nav_sdp_media_new ("application", 9, "UDP/DTLS/SCTP", "webrtc-datachannel");

  m->mid = g_strdup (self->mid);
  m->ice_ufrag = g_strdup (ufrag);
  m->ice_pwd = g_strdup (pwd);
  m->ice_trickle = TRUE;
  g_ptr_array_add (m->fingerprints, our_fingerprint (self));
  m->setup = setup;
  m->sctp_port = NAV_PEER_CONNECTION_SCTP_PORT;
  m->max_message_size = NAV_PEER_CONNECTION_MAX_MESSAGE_SIZE;
  return m;
}

static NavSdpMedia *
rejected_copy (const NavSdpMedia *m)
{
  NavSdpMedia *copy = nav_sdp_media_new (m->media, 0, m->proto, m->fmt);

  copy->mid = g_strdup (m->mid);
  return copy;
}

/* ------------------------------------------------------------ offer, answer */

/* The agent's NAT type for a=x-nav-nat, when it has one the parser
 * takes, and not in the privacy mode (the type tells the peer something
 * of our network). */
static gchar *
local_nat_type (NavPeerConnection *self)
{
  g_autofree gchar *type = NULL;

  if (self->ice_transport_policy == NAV_ICE_TRANSPORT_POLICY_RELAY)
    return NULL;
  g_object_get (self->agent, "nat-type", &type, NULL);
  if (type == NULL || type[0] == '\0' || strlen (type) > NAV_SDP_MAX_NAT_TYPE ||
      strspn (type, "abcdefghijklmnopqrstuvwxyz- ") != strlen (type))
    return NULL;
  return g_steal_pointer (&type);
}

static NavSdp *
build_offer (NavPeerConnection *self)
{
  NavSdp *sdp = nav_sdp_new ();
  g_autofree gchar *ufrag = NULL, *pwd = NULL;
  NavSdpMedia *m;
  guint i;

  sdp->session_id = self->session_id;
  sdp->session_version = ++self->session_version;
  sdp->nat_type = local_nat_type (self);
  /* RFC 8839 §4.4.1.1.1: a restart is new credentials. */
  if (self->restart_pending)
    {
      ufrag = nav_peer_connection_random_ice_string (4);
      pwd = nav_peer_connection_random_ice_string (22);
    }
  else
    {
      ufrag = g_strdup (self->local_ufrag);
      pwd = g_strdup (self->local_pwd);
    }
  /* RFC 8829 §5.2.2: a subsequent offer keeps the m-lines of the last
   * exchange, in order, the rejected ones rejected. */
  for (i = 0; self->local_sdp != NULL && i < self->local_sdp->media->len; i++)
    if (i != self->mline_index)
      nav_sdp_add_media (sdp, rejected_copy (g_ptr_array_index (self->local_sdp->media, i)));
  m = make_data_media (self, NAV_SDP_SCTP_WEBRTC, ufrag, pwd, NAV_SDP_SETUP_ACTPASS);
  if (self->mline_index <= sdp->media->len)
    g_ptr_array_insert (sdp->media, self->mline_index, m);
  else
    nav_sdp_add_media (sdp, m);
  if (!self->restart_pending)
    {
      /* Candidates gathered so far (RFC 8829 §5.2.2). */
      for (i = 0; i < self->local_candidates->len; i++)
        g_ptr_array_add (m->candidates, g_strdup (g_ptr_array_index (self->local_candidates, i)));
      m->end_of_candidates = self->gathering_state == NAV_ICE_GATHERING_STATE_COMPLETE;
    }
  if (self->mid != NULL)
    g_ptr_array_add (sdp->bundle, g_strdup (self->mid));
  return sdp;
}

static NavSdp *
build_answer (NavPeerConnection *self)
{
  NavSdp *sdp = nav_sdp_new ();
  NavSdpMedia *offered = data_media (self->remote_sdp, self->mline_index);
  guint i;

  sdp->session_id = self->session_id;
  sdp->session_version = ++self->session_version;
  sdp->nat_type = local_nat_type (self);
  /* RFC 8829 §5.3.1: one m-line per offered one, in order; what we do
   * not take (audio, video) rejected with port 0. */
  for (i = 0; i < self->remote_sdp->media->len; i++)
    {
      NavSdpMedia *m = g_ptr_array_index (self->remote_sdp->media, i);

      if (i == self->mline_index)
        {
          NavSdpMedia *ours = make_data_media (self, offered->sctp, self->local_ufrag,
                                               self->local_pwd,
                                               self->dtls_role == NAV_DTLS_ROLE_CLIENT
                                               ? NAV_SDP_SETUP_ACTIVE : NAV_SDP_SETUP_PASSIVE);
          guint j;

          for (j = 0; j < self->local_candidates->len && g_strcmp0 (self->announced_ufrag,
                                                                    self->local_ufrag) == 0; j++)
            g_ptr_array_add (ours->candidates,
                             g_strdup (g_ptr_array_index (self->local_candidates, j)));
          ours->end_of_candidates = ours->candidates->len > 0 &&
                                    self->gathering_state == NAV_ICE_GATHERING_STATE_COMPLETE;
          nav_sdp_add_media (sdp, ours);
        }
      else
        nav_sdp_add_media (sdp, rejected_copy (m));
    }
  /* RFC 8843 §7.3: our m-line in our BUNDLE group when the offer had it
   * in its own. */
  if (self->mid != NULL && nav_sdp_is_bundled (self->remote_sdp, self->mid))
    g_ptr_array_add (sdp->bundle, g_strdup (self->mid));
  return sdp;
}

void
nav_peer_connection_complete_create (NavPeerConnection *self,
                                     GTask             *task)
{
  NavSdpType type = GPOINTER_TO_INT (g_task_get_task_data (task));
  NavSessionDescription *description;
  NavSdp *sdp;
  GError *error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (nav_peer_connection_closed_error (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (self->certificate_error != NULL)
    {
      g_task_return_error (task, g_error_copy (self->certificate_error));
      return;
    }
  if (type == NAV_SDP_TYPE_OFFER && self->signaling_state != NAV_SIGNALING_STATE_STABLE &&
      self->signaling_state != NAV_SIGNALING_STATE_HAVE_LOCAL_OFFER)
    {
      g_task_return_new_error (task, NAV_PEER_CONNECTION_ERROR,
                               NAV_PEER_CONNECTION_ERROR_INVALID_STATE,
                               _("An offer cannot be made in the signaling state %s"),
                               signaling_state_name (self->signaling_state));
      return;
    }
  if (type == NAV_SDP_TYPE_ANSWER && self->signaling_state != NAV_SIGNALING_STATE_HAVE_REMOTE_OFFER &&
      self->signaling_state != NAV_SIGNALING_STATE_HAVE_LOCAL_PRANSWER)
    {
      g_task_return_new_error (task, NAV_PEER_CONNECTION_ERROR,
                               NAV_PEER_CONNECTION_ERROR_INVALID_STATE,
                               _("An answer cannot be made in the signaling state %s"),
                               signaling_state_name (self->signaling_state));
      return;
    }
  sdp = type == NAV_SDP_TYPE_OFFER ? build_offer (self) : build_answer (self);
  g_clear_pointer (&self->created_sdp, nav_sdp_free);
  g_free (self->created_text);
  self->created_sdp = sdp;
  self->created_text = nav_sdp_to_string (sdp);
  self->created_type = type;
  description = nav_session_description_new (type, self->created_text);
  g_task_return_pointer (task, description, (GDestroyNotify) nav_session_description_unref);
}

static void
create_async (NavPeerConnection   *self,
              NavSdpType           type,
              gpointer             source_tag,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, GINT_TO_POINTER (type), NULL);
  /* JSEP §4.1.8: the certificate may still be on its way. */
  if (self->certificate == NULL && self->certificate_error == NULL && !self->closed)
    {
      g_queue_push_tail (&self->certificate_waiters, g_steal_pointer (&task));
      return;
    }
  nav_peer_connection_complete_create (self, task);
}

static NavSessionDescription *
create_finish (NavPeerConnection  *self,
               GAsyncResult       *result,
               gpointer            source_tag,
               GError            **error)
{
  g_return_val_if_fail (NAV_IS_PEER_CONNECTION (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * nav_peer_connection_create_offer_async:
 * @self: a peer connection
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the offer is made
 * @user_data: data for @callback
 *
 * Makes an offer (RFC 8829 §5.2): one data channel m-line in a BUNDLE
 * group, our ICE credentials (new ones after
 * [method@Nav.PeerConnection.restart_ice]), our certificate's sha-256
 * fingerprint, `a=setup:actpass`, `a=ice-options:trickle`, and the
 * candidates gathered so far.  It waits for the certificate when it is
 * still being made.  Set it with
 * [method@Nav.PeerConnection.set_local_description] and send it to the
 * peer.
 *
 * Since: 1.0
 */
void
nav_peer_connection_create_offer_async (NavPeerConnection   *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_return_if_fail (NAV_IS_PEER_CONNECTION (self));

  create_async (self, NAV_SDP_TYPE_OFFER, nav_peer_connection_create_offer_async, cancellable,
                callback, user_data);
}

/**
 * nav_peer_connection_create_offer_finish:
 * @self: a peer connection
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the offer, or %NULL with @error set
 *   (%NAV_PEER_CONNECTION_ERROR_INVALID_STATE while a remote offer is
 *   pending or once closed; a [error@Nav.DtlsError] when no certificate
 *   could be made)
 *
 * Since: 1.0
 */
NavSessionDescription *
nav_peer_connection_create_offer_finish (NavPeerConnection  *self,
                                         GAsyncResult       *result,
                                         GError            **error)
{
  return create_finish (self, result, nav_peer_connection_create_offer_async, error);
}

/**
 * nav_peer_connection_create_answer_async:
 * @self: a peer connection
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the answer is made
 * @user_data: data for @callback
 *
 * Makes the answer to the remote offer (RFC 8829 §5.3): our data
 * channel m-line in the offer's place and form (the legacy `DTLS/SCTP
 * 5000` one included), every other m-line rejected, `a=setup:active`
 * unless the offer said `active` (then `passive`).
 *
 * Since: 1.0
 */
void
nav_peer_connection_create_answer_async (NavPeerConnection   *self,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_return_if_fail (NAV_IS_PEER_CONNECTION (self));

  create_async (self, NAV_SDP_TYPE_ANSWER, nav_peer_connection_create_answer_async, cancellable,
                callback, user_data);
}

/**
 * nav_peer_connection_create_answer_finish:
 * @self: a peer connection
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the answer, or %NULL with @error set
 *   (%NAV_PEER_CONNECTION_ERROR_INVALID_STATE without a remote offer)
 *
 * Since: 1.0
 */
NavSessionDescription *
nav_peer_connection_create_answer_finish (NavPeerConnection  *self,
                                          GAsyncResult       *result,
                                          GError            **error)
{
  return create_finish (self, result, nav_peer_connection_create_answer_async, error);
}

/* ------------------------------------------------------------ local */

static void
replace_description (NavSessionDescription **field,
                     NavSessionDescription  *value)
{
  if (value != NULL)
    nav_session_description_ref (value);
  g_clear_pointer (field, nav_session_description_unref);
  *field = value;
}

static NavSdp *
parse_own (NavSessionDescription *description)
{
  const gchar *text;

  if (description == NULL)
    return NULL;
  text = nav_session_description_get_sdp (description);
  return nav_sdp_parse (text, strlen (text), NULL);
}

static void
maybe_negotiation_needed (NavPeerConnection *self)
{
  if (self->signaling_state == NAV_SIGNALING_STATE_STABLE &&
      (self->restart_pending || self->data_negotiation_needed))
    nav_peer_connection_queue_negotiation_needed (self);
}

static gboolean
rollback_local (NavPeerConnection  *self,
                GError            **error)
{
  replace_description (&self->pending_local, NULL);
  g_clear_pointer (&self->local_sdp, nav_sdp_free);
  self->local_sdp = parse_own (self->current_local);
  /* An offer that restarted ICE cannot be unsaid to the agent, which
   * took its credentials: the restart waits for the next offer, and the
   * selected pair carries data meanwhile. */
  if (self->local_restart)
    {
      self->local_restart = FALSE;
      self->restart_pending = TRUE;
    }
  nav_peer_connection_set_signaling_state (self, NAV_SIGNALING_STATE_STABLE);
  maybe_negotiation_needed (self);
  g_object_notify (G_OBJECT (self), "local-description");
  return TRUE;
}

/**
 * nav_peer_connection_set_local_description:
 * @self: a peer connection
 * @description: an offer or answer made by
 *   [method@Nav.PeerConnection.create_offer_async] or
 *   [method@Nav.PeerConnection.create_answer_async] (an answer may be
 *   set as %NAV_SDP_TYPE_PRANSWER), or a %NAV_SDP_TYPE_ROLLBACK
 * @error: return location for a #GError
 *
 * Applies our side of the exchange (RFC 8829 §5.5): the first one starts
 * gathering candidates ([signal@Nav.PeerConnection::ice-candidate]); an
 * offer that restarts ICE gives the agent its new credentials; once
 * both descriptions are set and ICE has a path, the DTLS handshake
 * starts.
 *
 * Returns: %TRUE on success; %FALSE with @error set:
 *   %NAV_PEER_CONNECTION_ERROR_INVALID_STATE when the signaling state
 *   does not allow @description's type,
 *   %NAV_PEER_CONNECTION_ERROR_INVALID_MODIFICATION when @description is
 *   not the one made, %NAV_DTLS_ERROR_NOT_AVAILABLE without the
 *   datachannel module
 *
 * Since: 1.0
 */
gboolean
nav_peer_connection_set_local_description (NavPeerConnection      *self,
                                           NavSessionDescription  *description,
                                           GError                **error)
{
  NavSdpType type;
  NavSignalingState next;
  NavSdpMedia *m;

  g_return_val_if_fail (NAV_IS_PEER_CONNECTION (self), FALSE);
  g_return_val_if_fail (description != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (nav_peer_connection_closed_error (self, error))
    return FALSE;
  type = nav_session_description_get_sdp_type (description);
  if (!next_signaling_state (self->signaling_state, TRUE, type, &next))
    return wrong_state (self, type, TRUE, error);
  if (type == NAV_SDP_TYPE_ROLLBACK)
    return rollback_local (self, error);
  /* RFC 8829 §5.5: only what was made may be set (no SDP munging). */
  if (self->created_text == NULL ||
      strcmp (nav_session_description_get_sdp (description), self->created_text) != 0 ||
      (type == NAV_SDP_TYPE_OFFER) != (self->created_type == NAV_SDP_TYPE_OFFER))
    {
      g_set_error_literal (error, NAV_PEER_CONNECTION_ERROR,
                           NAV_PEER_CONNECTION_ERROR_INVALID_MODIFICATION,
                           _("The local description is not the last one made by "
                             "create_offer or create_answer"));
      return FALSE;
    }
  if (!nav_peer_connection_ensure_dtls (self, error))
    return FALSE;
  /* Ready for the peer's channels; without the module, DTLS alone (it
   * is the same module: this only fails when it is broken). */
  if (self->data_channels && !nav_peer_connection_ensure_sctp (self, NULL))
    g_debug ("Peer connection %p: no SCTP transport: no data channels", self);
  /* Our description carries the data m-line from now on. */
  self->data_negotiation_needed = FALSE;

  m = data_media (self->created_sdp, self->mline_index);
  g_assert (m != NULL);
  if (type == NAV_SDP_TYPE_OFFER)
    {
      if (g_strcmp0 (m->ice_ufrag, self->local_ufrag) != 0)
        {
          /* RFC 8445 §9: our restart.  The selected pair carries data
           * until the new checks select one. */
          g_debug ("Peer connection %p: ICE restart", self);
          nav_agent_restart_stream (self->agent, self->stream_id);
          nav_agent_set_local_credentials (self->agent, self->stream_id, m->ice_ufrag,
                                           m->ice_pwd);
          g_free (self->local_ufrag);
          g_free (self->local_pwd);
          self->local_ufrag = g_strdup (m->ice_ufrag);
          self->local_pwd = g_strdup (m->ice_pwd);
          self->remote_end_of_candidates = FALSE;
          self->local_restart = TRUE;
        }
      self->restart_pending = FALSE;
      /* RFC 8839 §4.4.1.2: the offerer controls, unless the answerer
       * turns out to be lite. */
      self->is_offerer = TRUE;
      g_object_set (self->agent, "controlling-mode", TRUE, NULL);
      replace_description (&self->pending_local, description);
    }
  else
    {
      self->is_offerer = FALSE;
      g_object_set (self->agent, "controlling-mode", self->remote_lite, NULL);
      if (type == NAV_SDP_TYPE_ANSWER)
        {
          replace_description (&self->current_local, description);
          replace_description (&self->pending_local, NULL);
          if (self->pending_remote != NULL)
            {
              replace_description (&self->current_remote, self->pending_remote);
              replace_description (&self->pending_remote, NULL);
            }
        }
      else
        replace_description (&self->pending_local, description);
    }
  g_clear_pointer (&self->local_sdp, nav_sdp_free);
  self->local_sdp = nav_sdp_parse (self->created_text, strlen (self->created_text), NULL);
  nav_peer_connection_set_signaling_state (self, next);
  g_object_notify (G_OBJECT (self), "local-description");

  if (!self->gathering_started)
    {
      g_free (self->announced_ufrag);
      self->announced_ufrag = g_strdup (self->local_ufrag);
      nav_peer_connection_start_gathering (self);
    }
  else if (g_strcmp0 (self->announced_ufrag, self->local_ufrag) != 0)
    nav_peer_connection_announce_candidates (self);
  nav_peer_connection_maybe_start_dtls (self);
  nav_peer_connection_maybe_start_sctp (self);
  nav_peer_connection_update_states (self);
  maybe_negotiation_needed (self);
  return TRUE;
}

/* ------------------------------------------------------------ remote */

static gboolean
invalid_description (GError      **error,
                     const gchar  *why)
{
  g_set_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_DESCRIPTION,
               _("The remote description cannot be used: %s"), why);
  return FALSE;
}

static gboolean
has_known_fingerprint (const NavSdpMedia *m)
{
  guint i, j;

  for (i = 0; i < m->fingerprints->len; i++)
    {
      const gchar *fp = g_ptr_array_index (m->fingerprints, i);

      for (j = 0; j < G_N_ELEMENTS (known_hashes); j++)
        if (g_ascii_strncasecmp (fp, known_hashes[j], strlen (known_hashes[j])) == 0 &&
            fp[strlen (known_hashes[j])] == ' ')
          return TRUE;
    }
  return FALSE;
}

/* RFC 8842 §5.2–5.3 (and RFC 4145 §4: no a=setup means active): the
 * roles an offer or an answer gives.  Ours is the other. */
static gboolean
role_from_remote (NavSdpSetup   setup,
                  gboolean      remote_offer,
                  NavDtlsRole  *role,
                  GError      **error)
{
  switch (setup)
    {
    case NAV_SDP_SETUP_ACTPASS:
      if (!remote_offer)
        {
          g_set_error_literal (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_SETUP,
                               _("An answer says a=setup:actpass: it must choose active or "
                                 "passive (RFC 8842 §5.3)"));
          return FALSE;
        }
      /* JSEP §5.3.1: the answerer is active. */
      *role = NAV_DTLS_ROLE_CLIENT;
      return TRUE;
    case NAV_SDP_SETUP_ACTIVE:
    case NAV_SDP_SETUP_NONE:
      *role = NAV_DTLS_ROLE_SERVER;
      return TRUE;
    case NAV_SDP_SETUP_PASSIVE:
      *role = NAV_DTLS_ROLE_CLIENT;
      return TRUE;
    case NAV_SDP_SETUP_HOLDCONN:
    default:
      g_set_error_literal (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_SETUP,
                           _("a=setup:holdconn: the peer will open no DTLS association"));
      return FALSE;
    }
}

static gboolean
same_fingerprints (gchar             **old,
                   const NavSdpMedia  *m)
{
  guint i;

  if (g_strv_length (old) != m->fingerprints->len)
    return FALSE;
  for (i = 0; i < m->fingerprints->len; i++)
    if (g_ascii_strcasecmp (old[i], g_ptr_array_index (m->fingerprints, i)) != 0)
      return FALSE;
  return TRUE;
}

static gboolean
rollback_remote (NavPeerConnection *self)
{
  replace_description (&self->pending_remote, NULL);
  g_clear_pointer (&self->remote_sdp, nav_sdp_free);
  self->remote_sdp = parse_own (self->current_remote);
  nav_peer_connection_set_signaling_state (self, NAV_SIGNALING_STATE_STABLE);
  g_object_notify (G_OBJECT (self), "remote-description");
  maybe_negotiation_needed (self);
  return TRUE;
}

/**
 * nav_peer_connection_set_remote_description:
 * @self: a peer connection
 * @description: the peer's offer or answer, or a %NAV_SDP_TYPE_ROLLBACK
 *   of its pending offer
 * @error: return location for a #GError
 *
 * Applies the peer's side of the exchange (RFC 8829 §5.6).  The SDP is
 * what browsers and other stacks write: attributes at session or media
 * level, CRLF or LF, extra m-lines (which the answer rejects), unknown
 * attributes (ignored).  The first data channel m-line is ours; it must
 * carry ICE credentials and at least one fingerprint of a hash function
 * we know, and its `a=setup` must make one side client and the other
 * server.  A description that changes the ICE credentials is an ICE
 * restart (we restart too).  Nothing is applied when it fails.
 *
 * Returns: %TRUE on success; %FALSE with @error set:
 *   %NAV_PEER_CONNECTION_ERROR_INVALID_STATE,
 *   %NAV_PEER_CONNECTION_ERROR_INVALID_DESCRIPTION (malformed, or lacking
 *   what is needed), %NAV_PEER_CONNECTION_ERROR_SETUP (a wrong a=setup,
 *   or a change of the established DTLS role or certificate)
 *
 * Since: 1.0
 */
gboolean
nav_peer_connection_set_remote_description (NavPeerConnection      *self,
                                            NavSessionDescription  *description,
                                            GError                **error)
{
  g_autoptr (NavSdp) sdp = NULL;
  g_autoptr (GError) parse_error = NULL;
  NavSdpType type;
  NavSignalingState next;
  NavSdpMedia *m;
  NavDtlsRole role;
  gboolean offer;
  const gchar *text;
  guint index;

  g_return_val_if_fail (NAV_IS_PEER_CONNECTION (self), FALSE);
  g_return_val_if_fail (description != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (nav_peer_connection_closed_error (self, error))
    return FALSE;
  type = nav_session_description_get_sdp_type (description);
  if (!next_signaling_state (self->signaling_state, FALSE, type, &next))
    return wrong_state (self, type, FALSE, error);
  if (type == NAV_SDP_TYPE_ROLLBACK)
    return rollback_remote (self);
  offer = type == NAV_SDP_TYPE_OFFER;

  /* Everything is checked before anything is applied. */
  text = nav_session_description_get_sdp (description);
  sdp = nav_sdp_parse (text, strlen (text), &parse_error);
  if (sdp == NULL)
    return invalid_description (error, parse_error->message);
  m = nav_sdp_find_data_media (sdp, &index);
  if (m == NULL)
    {
      if (!offer && data_media (sdp, self->mline_index) != NULL)
        return invalid_description (error, _("the peer rejected the data channel m-line"));
      return invalid_description (error, _("no data channel m-line "
                                           "(m=application … UDP/DTLS/SCTP webrtc-datachannel)"));
    }
  if (!offer && (index != self->mline_index || g_strcmp0 (m->mid, self->mid) != 0))
    return invalid_description (error, _("the answer's data channel m-line is not our offer's"));
  if (offer && self->mid != NULL && self->remote_sdp != NULL && g_strcmp0 (m->mid, self->mid) != 0)
    return invalid_description (error, _("a new offer moves the data channel m-line"));
  if (m->ice_ufrag == NULL || m->ice_pwd == NULL)
    return invalid_description (error, _("no a=ice-ufrag or a=ice-pwd"));
  if (m->fingerprints->len == 0)
    return invalid_description (error, _("no a=fingerprint"));
  if (!has_known_fingerprint (m))
    return invalid_description (error, _("no a=fingerprint with a hash function we know"));
  if (!role_from_remote (m->setup, offer, &role, error))
    return FALSE;
  /* RFC 8842 §5.5: a subsequent offer says actpass again; the answerer
   * keeps the role of the association it has. */
  if (offer && m->setup == NAV_SDP_SETUP_ACTPASS && self->dtls_role_known)
    role = self->dtls_role;
  if (self->dtls_started)
    {
      /* RFC 8842 §5.6: a new role or certificate means a new DTLS
       * association, which this connection does not make. */
      g_autoptr (NavCertificate) peer = nav_dtls_channel_dup_peer_certificate (self->dtls);

      if (role != self->dtls_role)
        {
          g_set_error_literal (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_SETUP,
                               _("The description changes the DTLS role of the established "
                                 "association"));
          return FALSE;
        }
      if (!same_fingerprints (self->remote_fingerprints, m))
        {
          g_autoptr (GPtrArray) fps = g_ptr_array_copy (m->fingerprints, NULL, NULL);

          /* The copy keeps the array's free function: the strings are
           * the SDP's, freed with it. */
          g_ptr_array_set_free_func (fps, NULL);
          g_ptr_array_add (fps, NULL);
          if (peer == NULL ||
              !nav_certificate_check_fingerprints (peer, (const gchar * const *) fps->pdata, NULL))
            {
              g_set_error_literal (error, NAV_PEER_CONNECTION_ERROR,
                                   NAV_PEER_CONNECTION_ERROR_SETUP,
                                   _("The description changes the peer's certificate of the "
                                     "established association"));
              return FALSE;
            }
        }
    }
  /* RFC 8839 §4.4.1.1.1: only an offer restarts ICE; the answer to ours
   * brings the peer's new credentials. */
  if (!offer && !self->local_restart && self->remote_ufrag != NULL &&
      g_strcmp0 (self->remote_ufrag, m->ice_ufrag) != 0)
    return invalid_description (error, _("an answer restarts ICE without our offer doing so"));
  if (!nav_peer_connection_ensure_dtls (self, error))
    return FALSE;
  if (self->data_channels && !nav_peer_connection_ensure_sctp (self, NULL))
    g_debug ("Peer connection %p: no SCTP transport: no data channels", self);

  /* Applied. */
  if (offer && self->remote_sdp == NULL && self->local_sdp == NULL)
    {
      g_free (self->mid);
      self->mid = g_strdup (m->mid);
      self->mline_index = index;
    }
  self->remote_lite = sdp->ice_lite;
  if (self->remote_lite)
    g_object_set (self->agent, "controlling-mode", TRUE, NULL);
  /* The peer's NAT type (a=x-nav-nat) before its candidates: the
   * agent's plan sorts them (nav-agent-strategy.c). */
  if (sdp->nat_type != NULL)
    g_object_set (self->agent, "remote-nat-type", sdp->nat_type, NULL);
  self->dtls_role = role;
  self->dtls_role_known = TRUE;
  g_strfreev (self->remote_fingerprints);
  self->remote_fingerprints = g_new0 (gchar *, m->fingerprints->len + 1);
  for (guint i = 0; i < m->fingerprints->len; i++)
    self->remote_fingerprints[i] = g_strdup (g_ptr_array_index (m->fingerprints, i));
  self->remote_sctp_form = m->sctp;
  /* RFC 8841 §5.2: 5000 when a=sctp-port is absent. */
  self->remote_sctp_port = m->sctp_port != 0 ? m->sctp_port : NAV_PEER_CONNECTION_SCTP_PORT;
  /* RFC 8841 §6.1: 65536 when absent. */
  self->remote_max_message_size = m->max_message_size != 0 ? m->max_message_size : 65536;
  nav_peer_connection_apply_remote_ice (self, m, offer, NULL);

  if (type == NAV_SDP_TYPE_ANSWER)
    {
      self->local_restart = FALSE;
      replace_description (&self->current_remote, description);
      replace_description (&self->pending_remote, NULL);
      if (self->pending_local != NULL)
        {
          replace_description (&self->current_local, self->pending_local);
          replace_description (&self->pending_local, NULL);
        }
    }
  else
    replace_description (&self->pending_remote, description);
  g_clear_pointer (&self->remote_sdp, nav_sdp_free);
  self->remote_sdp = g_steal_pointer (&sdp);
  nav_peer_connection_set_signaling_state (self, next);
  g_object_notify (G_OBJECT (self), "remote-description");
  nav_peer_connection_maybe_start_dtls (self);
  nav_peer_connection_maybe_start_sctp (self);
  nav_peer_connection_update_states (self);
  maybe_negotiation_needed (self);
  return TRUE;
}

/* ------------------------------------------------------------ candidates */

/**
 * nav_peer_connection_add_ice_candidate:
 * @self: a peer connection
 * @candidate: (nullable): a candidate the peer signalled
 *   (`candidate:…`, with or without `a=`), or %NULL or "" for its
 *   end-of-candidates indication (RFC 8838 §4.4)
 * @sdp_mid: (nullable): the mid of the m-line it is for, or %NULL to go
 *   by @sdp_mline_index
 * @sdp_mline_index: the index of the m-line it is for, used when
 *   @sdp_mid is %NULL; -1 when neither is known (our only m-line)
 * @error: return location for a #GError
 *
 * Adds a candidate the peer trickled.  Candidates of an earlier
 * generation (a `ufrag` extension that is not the peer's current one)
 * and mDNS names (`….local`, RFC 8828) are ignored.
 *
 * Returns: %TRUE when the candidate was added or ignored; %FALSE with
 *   @error set: %NAV_PEER_CONNECTION_ERROR_INVALID_STATE before a remote
 *   description, %NAV_PEER_CONNECTION_ERROR_INVALID_CANDIDATE when it is
 *   malformed or names another m-line
 *
 * Since: 1.0
 */
gboolean
nav_peer_connection_add_ice_candidate (NavPeerConnection  *self,
                                       const gchar        *candidate,
                                       const gchar        *sdp_mid,
                                       gint                sdp_mline_index,
                                       GError            **error)
{
  g_return_val_if_fail (NAV_IS_PEER_CONNECTION (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (nav_peer_connection_closed_error (self, error))
    return FALSE;
  if (self->remote_sdp == NULL)
    {
      g_set_error_literal (error, NAV_PEER_CONNECTION_ERROR,
                           NAV_PEER_CONNECTION_ERROR_INVALID_STATE,
                           _("A candidate cannot be added before the remote description"));
      return FALSE;
    }
  if ((sdp_mid != NULL && g_strcmp0 (sdp_mid, self->mid) != 0) ||
      (sdp_mid == NULL && sdp_mline_index >= 0 && (guint) sdp_mline_index != self->mline_index))
    {
      g_set_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_CANDIDATE,
                   _("The candidate is for an m-line that is not ours (mid %s, index %d)"),
                   sdp_mid != NULL ? sdp_mid : "-", sdp_mline_index);
      return FALSE;
    }
  if (candidate == NULL || candidate[0] == '\0' ||
      strcmp (candidate, "a=end-of-candidates") == 0 || strcmp (candidate, "end-of-candidates") == 0)
    {
      if (!self->remote_end_of_candidates)
        {
          self->remote_end_of_candidates = TRUE;
          nav_agent_peer_candidate_gathering_done (self->agent, self->stream_id);
        }
      return TRUE;
    }
  return nav_peer_connection_add_remote_candidate (self, candidate, error);
}

/* ------------------------------------------------------------ descriptions */

/* The default candidate (RFC 8839 §4.2.1.2, RFC 8829 §5.3.3): a relayed
 * UDP one if there is one, else server-reflexive, else host. */
static gboolean
default_candidate (NavPeerConnection  *self,
                   gchar             **address,
                   guint              *port)
{
  static const gchar *const preference[] = { "relay", "srflx", "host" };
  guint p, i;

  for (p = 0; p < G_N_ELEMENTS (preference); p++)
    for (i = 0; i < self->local_candidates->len; i++)
      {
        g_auto (GStrv) t = g_strsplit (g_ptr_array_index (self->local_candidates, i), " ", 9);
        guint64 value;

        if (g_strv_length (t) >= 8 && g_ascii_strcasecmp (t[2], "udp") == 0 &&
            g_strcmp0 (t[7], preference[p]) == 0 &&
            g_ascii_string_to_unsigned (t[5], 10, 1, 65535, &value, NULL))
          {
            *address = g_strdup (t[4]);
            *port = value;
            return TRUE;
          }
      }
  return FALSE;
}

/**
 * nav_peer_connection_get_local_description:
 * @self: a peer connection
 *
 * Returns our description: the pending one while an exchange is under
 * way, else the current one, with the candidates gathered since it was
 * made (and the default candidate's address in `m=` and `c=`), as a
 * peer that does not trickle needs it.
 *
 * Returns: (transfer full) (nullable): the description, %NULL before
 *   one is set
 *
 * Since: 1.0
 */
NavSessionDescription *
nav_peer_connection_get_local_description (NavPeerConnection *self)
{
  NavSessionDescription *base;
  NavSdpMedia *m;
  GPtrArray *saved;
  g_autofree gchar *text = NULL;
  g_autofree gchar *address = NULL;
  gchar *saved_connection;
  guint saved_port, port;
  gboolean saved_end;

  g_return_val_if_fail (NAV_IS_PEER_CONNECTION (self), NULL);

  base = self->pending_local != NULL ? self->pending_local : self->current_local;
  if (base == NULL)
    return NULL;
  m = data_media (self->local_sdp, self->mline_index);
  if (m == NULL || g_strcmp0 (self->announced_ufrag, m->ice_ufrag) != 0)
    return nav_session_description_ref (base);
  saved = m->candidates;
  saved_end = m->end_of_candidates;
  saved_port = m->port;
  saved_connection = m->connection;
  m->candidates = self->local_candidates;
  m->end_of_candidates = self->gathering_state == NAV_ICE_GATHERING_STATE_COMPLETE;
  if (default_candidate (self, &address, &port))
    {
      m->port = port;
      m->connection = address;
    }
  text = nav_sdp_to_string (self->local_sdp);
  m->candidates = saved;
  m->end_of_candidates = saved_end;
  m->port = saved_port;
  m->connection = saved_connection;
  return nav_session_description_new (nav_session_description_get_sdp_type (base), text);
}

/**
 * nav_peer_connection_get_remote_description:
 * @self: a peer connection
 *
 * Returns: (transfer full) (nullable): the peer's description, the
 *   pending one while an exchange is under way, else the current one;
 *   %NULL before one is set
 *
 * Since: 1.0
 */
NavSessionDescription *
nav_peer_connection_get_remote_description (NavPeerConnection *self)
{
  NavSessionDescription *d;

  g_return_val_if_fail (NAV_IS_PEER_CONNECTION (self), NULL);

  d = self->pending_remote != NULL ? self->pending_remote : self->current_remote;
  return d != NULL ? nav_session_description_ref (d) : NULL;
}
