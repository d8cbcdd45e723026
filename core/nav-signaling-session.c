/* nav-signaling-session.c: a NavAgent or a NavPeerConnection bound to a
 * signaling room
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "netavanue/netavanue.h"

/**
 * NavSignalingSession:
 *
 * Binds one stream of a [class@Nav.Agent] to a room of the signaling
 * server, so that two processes connect with a few lines: each creates an
 * agent and a stream, a connected [class@Nav.SignalingClient], and a
 * session on the same room, then calls
 * [method@Nav.SignalingSession.start].
 *
 * Of the two peers, the one whose signaling id sorts first is the
 * offerer and the controlling agent (RFC 8445 §6.1.1); the other
 * answers.  Descriptions are the agent's
 * SDP ([method@Nav.Agent.generate_local_sdp]); candidates gathered after
 * the description was sent trickle as `candidate` messages
 * (RFC 8838), then `end-of-candidates` once gathering is done.  Remote
 * candidates go to [method@Nav.Agent.set_remote_candidates] as they
 * arrive.  The session pairs with the first peer it meets in the room.
 *
 * It speaks only through the [class@Nav.SignalingClient] interface and
 * the agent: no transport, no wire format, no dependency of its own.
 *
 * ```python
 * session = Nav.SignalingSession.new(client, agent, stream_id, "red-lion-star")
 * session.start(None)
 * ```
 *
 * A session made with [ctor@Nav.SignalingSession.new_for_peer_connection]
 * drives a [class@Nav.PeerConnection] instead, as a web page's signaling
 * code drives an `RTCPeerConnection` ("perfect negotiation"): the peer
 * whose id sorts first makes the first offer when the two meet; later,
 * [signal@Nav.PeerConnection::negotiation-needed] (an ICE restart, a
 * connection that lost its path) is answered with an offer by whichever
 * side needs it.  When both offer at once, the side whose id sorts last
 * is polite: it rolls its offer back and answers; the other ignores the
 * colliding offer.  Local candidates go once the description is sent,
 * the peer's are kept until the remote description is set.  A browser
 * page following the same rule (the one `nav-server --signaling` serves
 * at `/demo`) is a peer like any other.
 *
 * ```c
 * pc = nav_peer_connection_new (NULL);
 * channel = nav_peer_connection_create_data_channel (pc, "chat", NULL, &error);
 * session = nav_signaling_session_new_for_peer_connection (client, pc, "red-lion-star");
 * nav_signaling_session_start (session, NULL, &error);
 * ```
 *
 * Since: 1.0
 */

struct _NavSignalingSession
{
  GObject parent_instance;

  NavSignalingClient *client;
  NavPeerConnection *pc;                /* or, an agent: */
  NavAgent *agent;
  guint stream_id;
  gchar *room;
  gchar *remote_peer;
  gboolean started;
  gboolean description_sent;
  gboolean gathering_done;
  gboolean eoc_sent;
  GPtrArray *pending;                   /* NavCandidate*, gathered before the description */
  GArray *client_handlers;
  GArray *agent_handlers;

  /* With a peer connection (perfect negotiation, W3C webrtc-pc §10.7). */
  gboolean polite;                      /* our id sorts last */
  gboolean making_offer;
  gboolean ignore_offer;                /* the last offer collided and was ignored */
  gboolean offer_wanted;                /* negotiation-needed before we met the peer */
  gboolean negotiated_emitted;
  GPtrArray *local_candidates;          /* gchar*, NULL ends: not sent yet */
  gboolean local_sendable;              /* our description went out */
  GPtrArray *remote_candidates;         /* gchar*, NULL ends: before the remote description */
  GCancellable *cancellable;
};

enum {
  SIGNAL_NEGOTIATED,
  SIGNAL_REMOTE_BYE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (NavSignalingSession, nav_signaling_session, G_TYPE_OBJECT)

/* ------------------------------------------------------------ with a peer connection */

static void
pc_send_candidate (NavSignalingSession *self,
                   const gchar         *candidate)
{
  if (candidate != NULL)
    nav_signaling_client_send_candidate (self->client, self->room, self->remote_peer, candidate,
                                         NULL);
  else
    nav_signaling_client_send_end_of_candidates (self->client, self->room, self->remote_peer,
                                                 NULL);
}

/* Our candidates go after our description, which they belong to. */
static void
pc_flush_local (NavSignalingSession *self)
{
  guint i;

  if (!self->local_sendable || self->remote_peer == NULL)
    return;
  for (i = 0; i < self->local_candidates->len; i++)
    pc_send_candidate (self, g_ptr_array_index (self->local_candidates, i));
  g_ptr_array_set_size (self->local_candidates, 0);
}

static void
pc_on_candidate (NavPeerConnection *pc,
                 const gchar       *candidate,
                 const gchar       *mid,
                 guint              index,
                 gpointer           user_data)
{
  NavSignalingSession *self = user_data;

  if (self->local_sendable && self->remote_peer != NULL)
    pc_send_candidate (self, candidate);
  else
    g_ptr_array_add (self->local_candidates, g_strdup (candidate));
}

static void
pc_add_candidate (NavSignalingSession *self,
                  const gchar         *candidate)
{
  g_autoptr (GError) error = NULL;

  if (!nav_peer_connection_add_ice_candidate (self->pc, candidate, NULL, -1, &error))
    g_debug ("signaling session: candidate from %s not used: %s", self->remote_peer,
             error->message);
}

static void
pc_flush_remote (NavSignalingSession *self)
{
  g_autoptr (NavSessionDescription) remote = nav_peer_connection_get_remote_description (self->pc);
  guint i;

  if (remote == NULL)
    return;
  for (i = 0; i < self->remote_candidates->len; i++)
    pc_add_candidate (self, g_ptr_array_index (self->remote_candidates, i));
  g_ptr_array_set_size (self->remote_candidates, 0);
}

static void
pc_send_local (NavSignalingSession   *self,
               NavSessionDescription *description)
{
  const gchar *sdp = nav_session_description_get_sdp (description);

  if (nav_session_description_get_sdp_type (description) == NAV_SDP_TYPE_OFFER)
    nav_signaling_client_send_offer (self->client, self->room, self->remote_peer, sdp, NULL);
  else
    nav_signaling_client_send_answer (self->client, self->room, self->remote_peer, sdp, NULL);
  self->local_sendable = TRUE;
  pc_flush_local (self);
}

static void
pc_maybe_negotiated (NavSignalingSession *self)
{
  if (self->negotiated_emitted ||
      nav_peer_connection_get_signaling_state (self->pc) != NAV_SIGNALING_STATE_STABLE)
    return;
  self->negotiated_emitted = TRUE;
  g_signal_emit (self, signals[SIGNAL_NEGOTIATED], 0, self->remote_peer);
}

static void
pc_on_offer_made (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  NavSignalingSession *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (NavSessionDescription) offer =
    nav_peer_connection_create_offer_finish (NAV_PEER_CONNECTION (source), result, &error);

  self->making_offer = FALSE;
  if (offer == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("signaling session: no offer: %s", error->message);
      g_object_unref (self);
      return;
    }
  /* A colliding offer of the peer may have been answered meanwhile
   * (we are polite): this one is stale. */
  if (self->pc != NULL &&
      nav_peer_connection_get_signaling_state (self->pc) == NAV_SIGNALING_STATE_STABLE)
    {
      if (nav_peer_connection_set_local_description (self->pc, offer, &error))
        pc_send_local (self, offer);
      else
        g_debug ("signaling session: our offer cannot be set: %s", error->message);
    }
  g_object_unref (self);
}

static void
pc_make_offer (NavSignalingSession *self)
{
  if (self->making_offer || self->pc == NULL)
    return;
  self->offer_wanted = FALSE;
  self->making_offer = TRUE;
  nav_peer_connection_create_offer_async (self->pc, self->cancellable, pc_on_offer_made,
                                          g_object_ref (self));
}

static void
pc_on_negotiation_needed (NavPeerConnection *pc,
                          gpointer           user_data)
{
  NavSignalingSession *self = user_data;

  /* Before the two met, the first offer is the impolite side's (see
   * meet()); after, whoever needs one makes it. */
  if (self->remote_peer == NULL || (self->polite && !self->negotiated_emitted))
    {
      self->offer_wanted = TRUE;
      return;
    }
  pc_make_offer (self);
}

static void
pc_on_answer_made (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  NavSignalingSession *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (NavSessionDescription) answer =
    nav_peer_connection_create_answer_finish (NAV_PEER_CONNECTION (source), result, &error);

  if (answer == NULL || self->pc == NULL ||
      !nav_peer_connection_set_local_description (self->pc, answer, &error))
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("signaling session: no answer: %s", error->message);
      g_object_unref (self);
      return;
    }
  pc_send_local (self, answer);
  pc_maybe_negotiated (self);
  if (self->offer_wanted)
    pc_make_offer (self);
  g_object_unref (self);
}

static void
pc_on_offer (NavSignalingSession *self,
             const gchar         *sdp)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavSessionDescription) offer = nav_session_description_new (NAV_SDP_TYPE_OFFER, sdp);
  gboolean collision = self->making_offer ||
                       nav_peer_connection_get_signaling_state (self->pc) != NAV_SIGNALING_STATE_STABLE;

  /* W3C webrtc-pc §10.7, perfect negotiation. */
  self->ignore_offer = !self->polite && collision;
  if (self->ignore_offer)
    {
      g_debug ("signaling session: the offer of %s collides with ours: ignored", self->remote_peer);
      return;
    }
  if (collision && nav_peer_connection_get_signaling_state (self->pc) == NAV_SIGNALING_STATE_HAVE_LOCAL_OFFER)
    {
      g_autoptr (NavSessionDescription) rollback = nav_session_description_new (NAV_SDP_TYPE_ROLLBACK, "");

      g_debug ("signaling session: the offer of %s collides with ours: ours rolled back",
               self->remote_peer);
      nav_peer_connection_set_local_description (self->pc, rollback, NULL);
      self->offer_wanted = TRUE;
    }
  self->negotiated_emitted = FALSE;
  if (!nav_peer_connection_set_remote_description (self->pc, offer, &error))
    {
      g_debug ("signaling session: unusable offer from %s: %s", self->remote_peer, error->message);
      return;
    }
  pc_flush_remote (self);
  nav_peer_connection_create_answer_async (self->pc, self->cancellable, pc_on_answer_made,
                                           g_object_ref (self));
}

static void
pc_on_answer (NavSignalingSession *self,
              const gchar         *sdp)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavSessionDescription) answer = nav_session_description_new (NAV_SDP_TYPE_ANSWER, sdp);

  if (!nav_peer_connection_set_remote_description (self->pc, answer, &error))
    {
      g_debug ("signaling session: unusable answer from %s: %s", self->remote_peer, error->message);
      return;
    }
  pc_flush_remote (self);
  pc_maybe_negotiated (self);
  if (self->offer_wanted)
    pc_make_offer (self);
}

static void
pc_on_remote_candidate (NavSignalingSession *self,
                        const gchar         *candidate)
{
  g_autoptr (NavSessionDescription) remote = nav_peer_connection_get_remote_description (self->pc);

  if (self->ignore_offer)
    return;                     /* they belong to the offer we ignored */
  if (remote == NULL)
    g_ptr_array_add (self->remote_candidates, g_strdup (candidate));
  else
    pc_add_candidate (self, candidate);
}

/* ------------------------------------------------------------ with an agent */

static void
send_description (NavSignalingSession *self,
                  gboolean             offer)
{
  g_autofree gchar *sdp = nav_agent_generate_local_sdp (self->agent);

  if (offer)
    nav_signaling_client_send_offer (self->client, self->room, self->remote_peer, sdp, NULL);
  else
    nav_signaling_client_send_answer (self->client, self->room, self->remote_peer, sdp, NULL);
  self->description_sent = TRUE;
  /* Candidates gathered before are in the SDP. */
  g_ptr_array_set_size (self->pending, 0);
  if (self->gathering_done && !self->eoc_sent)
    {
      nav_signaling_client_send_end_of_candidates (self->client, self->room, self->remote_peer, NULL);
      self->eoc_sent = TRUE;
    }
}

static void
on_new_candidate (NavAgent     *agent,
                  NavCandidate *candidate,
                  gpointer      user_data)
{
  NavSignalingSession *self = user_data;
  g_autofree gchar *line = NULL;

  if (candidate->stream_id != self->stream_id)
    return;
  if (!self->description_sent)
    {
      g_ptr_array_add (self->pending, nav_candidate_copy (candidate));
      return;
    }
  line = nav_agent_generate_local_candidate_sdp (agent, candidate);
  nav_signaling_client_send_candidate (self->client, self->room, self->remote_peer, line, NULL);
}

static void
on_gathering_done (NavAgent *agent,
                   guint     stream_id,
                   gpointer  user_data)
{
  NavSignalingSession *self = user_data;

  if (stream_id != self->stream_id)
    return;
  self->gathering_done = TRUE;
  if (self->description_sent && !self->eoc_sent)
    {
      nav_signaling_client_send_end_of_candidates (self->client, self->room, self->remote_peer, NULL);
      self->eoc_sent = TRUE;
    }
}

static gboolean
is_ours (NavSignalingSession *self,
         const gchar         *room,
         const gchar         *from)
{
  return g_strcmp0 (room, self->room) == 0 &&
         (self->remote_peer == NULL || g_strcmp0 (from, self->remote_peer) == 0);
}

/* The two peers learn of each other from "joined" (the peers already
 * there) or "peer-joined", in either order; with servers sharing rooms
 * through Redis, two racing joins may each see the other only through
 * "peer-joined".  So the role does not depend on who came first: the
 * peer with the smaller id offers and controls (RFC 8445 §6.1.1), the
 * other answers.  Never both, never neither. */
static void
meet (NavSignalingSession *self,
      const gchar         *peer)
{
  const gchar *me = nav_signaling_client_get_peer_id (self->client);

  if (self->remote_peer != NULL || peer == NULL || me == NULL)
    return;
  self->remote_peer = g_strdup (peer);
  if (self->pc != NULL)
    {
      self->polite = g_strcmp0 (me, peer) > 0;
      if (!self->polite)
        pc_make_offer (self);
      return;
    }
  if (g_strcmp0 (me, peer) < 0)
    {
      g_object_set (self->agent, "controlling-mode", TRUE, NULL);
      send_description (self, TRUE);
    }
}

static void
on_joined (NavSignalingClient  *client,
           const gchar         *room,
           const gchar * const *peers,
           gpointer             user_data)
{
  NavSignalingSession *self = user_data;

  if (g_strcmp0 (room, self->room) == 0)
    meet (self, peers[0]);
}

static void
on_peer_joined (NavSignalingClient *client,
                const gchar        *room,
                const gchar        *peer,
                gpointer            user_data)
{
  NavSignalingSession *self = user_data;

  if (g_strcmp0 (room, self->room) == 0)
    meet (self, peer);
}

static void
on_offer (NavSignalingClient *client,
          const gchar        *room,
          const gchar        *from,
          const gchar        *sdp,
          gpointer            user_data)
{
  NavSignalingSession *self = user_data;

  if (!is_ours (self, room, from))
    return;
  if (self->remote_peer == NULL)
    {
      const gchar *me = nav_signaling_client_get_peer_id (self->client);

      self->remote_peer = g_strdup (from);
      self->polite = g_strcmp0 (me, from) > 0;
    }
  if (self->pc != NULL)
    {
      pc_on_offer (self, sdp);
      return;
    }
  g_object_set (self->agent, "controlling-mode", FALSE, NULL);
  if (nav_agent_parse_remote_sdp (self->agent, sdp) < 0)
    {
      g_debug ("signaling session: unusable offer from %s", from);
      return;
    }
  send_description (self, FALSE);
  g_signal_emit (self, signals[SIGNAL_NEGOTIATED], 0, self->remote_peer);
}

static void
on_answer (NavSignalingClient *client,
           const gchar        *room,
           const gchar        *from,
           const gchar        *sdp,
           gpointer            user_data)
{
  NavSignalingSession *self = user_data;

  if (self->remote_peer == NULL || !is_ours (self, room, from))
    return;
  if (self->pc != NULL)
    {
      pc_on_answer (self, sdp);
      return;
    }
  if (nav_agent_parse_remote_sdp (self->agent, sdp) < 0)
    {
      g_debug ("signaling session: unusable answer from %s", from);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_NEGOTIATED], 0, self->remote_peer);
}

static void
on_candidate (NavSignalingClient *client,
              const gchar        *room,
              const gchar        *from,
              const gchar        *line,
              gpointer            user_data)
{
  NavSignalingSession *self = user_data;
  NavCandidate *candidate;
  GSList list = { NULL, NULL };

  if (self->remote_peer == NULL || !is_ours (self, room, from))
    return;
  if (self->pc != NULL)
    {
      pc_on_remote_candidate (self, line);
      return;
    }
  candidate = nav_agent_parse_remote_candidate_sdp (self->agent, self->stream_id, line);
  if (candidate == NULL)
    {
      g_debug ("signaling session: unusable candidate from %s: %s", from, line);
      return;
    }
  list.data = candidate;
  nav_agent_set_remote_candidates (self->agent, self->stream_id, candidate->component_id, &list);
  nav_candidate_free (candidate);
}

static void
on_end_of_candidates (NavSignalingClient *client,
                      const gchar        *room,
                      const gchar        *from,
                      gpointer            user_data)
{
  NavSignalingSession *self = user_data;

  if (self->remote_peer == NULL || !is_ours (self, room, from))
    return;
  if (self->pc != NULL)
    {
      /* "" is the end of candidates for add_ice_candidate. */
      pc_on_remote_candidate (self, "");
      return;
    }
  nav_agent_peer_candidate_gathering_done (self->agent, self->stream_id);
}

static void
on_bye (NavSignalingClient *client,
        const gchar        *room,
        const gchar        *from,
        const gchar        *reason,
        gpointer            user_data)
{
  NavSignalingSession *self = user_data;

  if (self->remote_peer != NULL && is_ours (self, room, from))
    g_signal_emit (self, signals[SIGNAL_REMOTE_BYE], 0, reason);
}

/**
 * nav_signaling_session_new:
 * @client: a connected signaling client
 * @agent: the agent
 * @stream_id: the agent's stream to negotiate
 * @room: the room where the two peers meet
 *
 * Creates the binding; nothing happens until
 * [method@Nav.SignalingSession.start].
 *
 * Returns: (transfer full): a new session
 *
 * Since: 1.0
 */
NavSignalingSession *
nav_signaling_session_new (NavSignalingClient *client,
                           NavAgent           *agent,
                           guint               stream_id,
                           const gchar        *room)
{
  NavSignalingSession *self;

  g_return_val_if_fail (NAV_IS_SIGNALING_CLIENT (client), NULL);
  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);
  g_return_val_if_fail (room != NULL, NULL);

  self = g_object_new (NAV_TYPE_SIGNALING_SESSION, NULL);
  self->client = g_object_ref (client);
  self->agent = g_object_ref (agent);
  self->stream_id = stream_id;
  self->room = g_strdup (room);
  return self;
}

/**
 * nav_signaling_session_new_for_peer_connection:
 * @client: a connected signaling client
 * @peer_connection: the peer connection to negotiate
 * @room: the room where the two peers meet
 *
 * Creates the binding of a [class@Nav.PeerConnection] to a room: offers,
 * answers and candidates go through the room as a web page's signaling
 * code sends them (see [class@Nav.SignalingSession]).  Nothing happens
 * until [method@Nav.SignalingSession.start].
 *
 * Returns: (transfer full): a new session
 *
 * Since: 1.0
 */
NavSignalingSession *
nav_signaling_session_new_for_peer_connection (NavSignalingClient *client,
                                               NavPeerConnection  *peer_connection,
                                               const gchar        *room)
{
  NavSignalingSession *self;

  g_return_val_if_fail (NAV_IS_SIGNALING_CLIENT (client), NULL);
  g_return_val_if_fail (NAV_IS_PEER_CONNECTION (peer_connection), NULL);
  g_return_val_if_fail (room != NULL, NULL);

  self = g_object_new (NAV_TYPE_SIGNALING_SESSION, NULL);
  self->client = g_object_ref (client);
  self->pc = g_object_ref (peer_connection);
  self->room = g_strdup (room);
  return self;
}

/**
 * nav_signaling_session_get_peer_connection:
 * @self: a session
 *
 * Returns: (transfer none) (nullable): the peer connection the session
 *   negotiates, %NULL for a session of an agent
 *
 * Since: 1.0
 */
NavPeerConnection *
nav_signaling_session_get_peer_connection (NavSignalingSession *self)
{
  g_return_val_if_fail (NAV_IS_SIGNALING_SESSION (self), NULL);
  return self->pc;
}

static void
connect_pc (NavSignalingSession *self,
            const gchar         *name,
            GCallback            callback)
{
  gulong id = g_signal_connect (self->pc, name, callback, self);

  g_array_append_val (self->agent_handlers, id);
}

static void
connect_client (NavSignalingSession *self,
                const gchar         *name,
                GCallback            callback)
{
  gulong id = g_signal_connect (self->client, name, callback, self);

  g_array_append_val (self->client_handlers, id);
}

static void
connect_agent (NavSignalingSession *self,
               const gchar         *name,
               GCallback            callback)
{
  gulong id = g_signal_connect (self->agent, name, callback, self);

  g_array_append_val (self->agent_handlers, id);
}

/**
 * nav_signaling_session_start:
 * @self: a session
 * @token: (nullable): the room's join token, when the server wants one
 * @error: return location for a #GError
 *
 * Joins the room and starts gathering the stream's candidates; the offer
 * or answer follows when the other peer is there.  With a peer
 * connection, gathering starts with its first description.
 *
 * Returns: %TRUE when started
 *
 * Since: 1.0
 */
gboolean
nav_signaling_session_start (NavSignalingSession  *self,
                             const gchar          *token,
                             GError              **error)
{
  g_return_val_if_fail (NAV_IS_SIGNALING_SESSION (self), FALSE);

  if (self->started)
    {
      g_set_error_literal (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT, _("The session is already started"));
      return FALSE;
    }
  connect_client (self, "joined", G_CALLBACK (on_joined));
  connect_client (self, "peer-joined", G_CALLBACK (on_peer_joined));
  connect_client (self, "offer", G_CALLBACK (on_offer));
  connect_client (self, "answer", G_CALLBACK (on_answer));
  connect_client (self, "candidate", G_CALLBACK (on_candidate));
  connect_client (self, "end-of-candidates", G_CALLBACK (on_end_of_candidates));
  connect_client (self, "bye", G_CALLBACK (on_bye));
  self->started = TRUE;
  if (self->pc != NULL)
    {
      connect_pc (self, "ice-candidate", G_CALLBACK (pc_on_candidate));
      connect_pc (self, "negotiation-needed", G_CALLBACK (pc_on_negotiation_needed));
      return nav_signaling_client_join (self->client, self->room, token, error);
    }
  connect_agent (self, "new-candidate-full", G_CALLBACK (on_new_candidate));
  connect_agent (self, "candidate-gathering-done", G_CALLBACK (on_gathering_done));

  if (!nav_signaling_client_join (self->client, self->room, token, error))
    return FALSE;
  if (!nav_agent_gather_candidates (self->agent, self->stream_id))
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_FAILED, _("Cannot gather the candidates of stream %u"),
                   self->stream_id);
      return FALSE;
    }
  return TRUE;
}

/**
 * nav_signaling_session_get_remote_peer:
 * @self: a session
 *
 * Returns: (nullable): the signaling id of the peer this session
 *   negotiates with, once known
 *
 * Since: 1.0
 */
const gchar *
nav_signaling_session_get_remote_peer (NavSignalingSession *self)
{
  g_return_val_if_fail (NAV_IS_SIGNALING_SESSION (self), NULL);
  return self->remote_peer;
}

/**
 * nav_signaling_session_set_remote_peer:
 * @self: a session
 * @peer: the new signaling id of the remote peer
 *
 * Follows the remote peer to a new signaling id.  A client that lost
 * its connection to the server and reconnected (the server restarted,
 * say) comes back under an id the server gives it anew; the session
 * goes on negotiating with the old id until told.  The session cannot
 * tell by itself that a new peer in the room is the same one: the
 * application learns the new id from the peer over a channel it trusts
 * (nav-share: its control channel, authenticated by the PAKE) and calls
 * this.  What is under way (the association, the data channels) is not
 * touched; the next offer, answer or candidate goes to @peer, and only
 * @peer's are taken.
 *
 * Since: 1.0
 */
void
nav_signaling_session_set_remote_peer (NavSignalingSession *self,
                                       const gchar         *peer)
{
  g_return_if_fail (NAV_IS_SIGNALING_SESSION (self));
  g_return_if_fail (peer != NULL && *peer != '\0');

  if (g_strcmp0 (self->remote_peer, peer) == 0)
    return;
  g_debug ("signaling session: the remote peer %s is now %s", self->remote_peer, peer);
  g_free (self->remote_peer);
  self->remote_peer = g_strdup (peer);
}

static void
nav_signaling_session_dispose (GObject *object)
{
  NavSignalingSession *self = NAV_SIGNALING_SESSION (object);
  guint i;

  for (i = 0; self->client != NULL && i < self->client_handlers->len; i++)
    g_signal_handler_disconnect (self->client, g_array_index (self->client_handlers, gulong, i));
  g_cancellable_cancel (self->cancellable);
  for (i = 0; i < self->agent_handlers->len; i++)
    {
      if (self->agent != NULL)
        g_signal_handler_disconnect (self->agent, g_array_index (self->agent_handlers, gulong, i));
      else if (self->pc != NULL)
        g_signal_handler_disconnect (self->pc, g_array_index (self->agent_handlers, gulong, i));
    }
  g_array_set_size (self->client_handlers, 0);
  g_array_set_size (self->agent_handlers, 0);
  g_clear_object (&self->client);
  g_clear_object (&self->agent);
  g_clear_object (&self->pc);

  G_OBJECT_CLASS (nav_signaling_session_parent_class)->dispose (object);
}

static void
nav_signaling_session_finalize (GObject *object)
{
  NavSignalingSession *self = NAV_SIGNALING_SESSION (object);

  g_free (self->room);
  g_free (self->remote_peer);
  g_ptr_array_unref (self->pending);
  g_array_unref (self->client_handlers);
  g_array_unref (self->agent_handlers);
  g_ptr_array_unref (self->local_candidates);
  g_ptr_array_unref (self->remote_candidates);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (nav_signaling_session_parent_class)->finalize (object);
}

static void
nav_signaling_session_class_init (NavSignalingSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nav_signaling_session_dispose;
  object_class->finalize = nav_signaling_session_finalize;

  /**
   * NavSignalingSession::negotiated:
   * @self: the session
   * @peer: the remote peer's signaling id
   *
   * Both descriptions are known: connectivity checks run from now on
   * (watch the agent's `component-state-changed`, or the peer
   * connection's `connection-state`).  With a peer connection, emitted
   * after each offer/answer exchange.
   *
   * Since: 1.0
   */
  signals[SIGNAL_NEGOTIATED] =
    g_signal_new ("negotiated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * NavSignalingSession::remote-bye:
   * @self: the session
   * @reason: (nullable): the reason the peer gave
   *
   * The remote peer ended the session.
   *
   * Since: 1.0
   */
  signals[SIGNAL_REMOTE_BYE] =
    g_signal_new ("remote-bye", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
nav_signaling_session_init (NavSignalingSession *self)
{
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
  self->client_handlers = g_array_new (FALSE, FALSE, sizeof (gulong));
  self->agent_handlers = g_array_new (FALSE, FALSE, sizeof (gulong));
  self->local_candidates = g_ptr_array_new_with_free_func (g_free);
  self->remote_candidates = g_ptr_array_new_with_free_func (g_free);
  self->cancellable = g_cancellable_new ();
}
