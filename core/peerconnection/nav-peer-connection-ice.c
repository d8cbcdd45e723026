/* nav-peer-connection-ice.c: NavPeerConnection's transport: its NavAgent
 * (servers, candidates, states, the checks' round-trip times) and the
 * DTLS channel stacked on the agent's channel
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A peer connection is not a second ICE: it holds one NavAgent with one
 * stream of one component (bundle and rtcp-mux leave nothing else), and
 * stacks the DTLS channel of the datachannel module on the component's
 * NavChannel.  The agent rebinds that channel to each new selected pair
 * (a better one, the pair of an ICE restart), so the DTLS association
 * moves with it and never sees the change.
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include <glib/gi18n-lib.h>

#include "nav-agent-private.h"
#include "../discovery/nav-mdns-local-private.h"
#include "nav-peer-connection-private.h"

/* RFC 7064 §3.1 and RFC 7065 §3.1: the default ports. */
#define STUN_DEFAULT_PORT 3478
#define STUNS_DEFAULT_PORT 5349

/* The DTLS handshake's first retransmission: twice the checks' round
 * trip and a margin for the peer's key exchange, within RFC 6347
 * §4.2.4.1's 1 s. */
#define DTLS_TIMEOUT_MIN_MS 50
#define DTLS_TIMEOUT_MAX_MS 1000
#define DTLS_TIMEOUT_MARGIN_MS 50

gchar *
nav_peer_connection_random_ice_string (guint length)
{
  return nav_agent_random_ice_string (length);
}

/* ------------------------------------------------------------ servers */

void
ice_server_free (gpointer data)
{
  IceServer *server = data;

  g_free (server->host);
  g_free (server->username);
  if (server->credential != NULL)
    {
      memset (server->credential, 0, strlen (server->credential));
      g_free (server->credential);
    }
  g_free (server);
}

static gboolean
bad_server (GError      **error,
            const gchar  *uri,
            const gchar  *why)
{
  g_set_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_ICE_SERVER,
               _("“%s” is not a usable ICE server: %s"), uri, why);
  return FALSE;
}

static gboolean
host_name_valid (const gchar *host)
{
  const gchar *p;

  if (host[0] == '\0' || strlen (host) > 253)
    return FALSE;
  for (p = host; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.')
      return FALSE;
  return TRUE;
}

/* stun:host[:port] (RFC 7064 §3.1), turn:host[:port][?transport=udp|tcp]
 * and turns:host[:port][?transport=tcp] (RFC 7065 §3.1); IPv6 in
 * brackets. */
IceServer *
nav_peer_connection_parse_ice_server (const gchar  *uri,
                                      const gchar  *username,
                                      const gchar  *credential,
                                      GError      **error)
{
  g_autoptr (GString) host = g_string_new (NULL);
  IceServer *server;
  const gchar *rest, *query;
  guint64 port = 0;

  if (g_str_has_prefix (uri, "stun:"))
    rest = uri + 5;
  else if (g_str_has_prefix (uri, "turn:"))
    rest = uri + 5;
  else if (g_str_has_prefix (uri, "turns:"))
    rest = uri + 6;
  else if (g_str_has_prefix (uri, "stuns:"))
    {
      bad_server (error, uri, _("STUN over TLS is not supported"));
      return NULL;
    }
  else
    {
      bad_server (error, uri, _("the scheme is not stun:, turn: or turns:"));
      return NULL;
    }
  query = strchr (rest, '?');
  if (rest[0] == '[')
    {
      const gchar *close = strchr (rest, ']');

      if (close == NULL || (query != NULL && close > query))
        {
          bad_server (error, uri, _("an unclosed IPv6 address"));
          return NULL;
        }
      g_string_append_len (host, rest + 1, close - rest - 1);
      rest = close + 1;
    }
  else
    {
      const gchar *end = rest + strcspn (rest, ":?");

      g_string_append_len (host, rest, end - rest);
      rest = end;
    }
  if (*rest == ':')
    {
      g_autofree gchar *text = g_strndup (rest + 1, query != NULL ? (gsize) (query - rest - 1)
                                                                 : strlen (rest + 1));

      if (!g_ascii_string_to_unsigned (text, 10, 1, 65535, &port, NULL))
        {
          bad_server (error, uri, _("a bad port"));
          return NULL;
        }
    }
  else if (*rest != '\0' && *rest != '?')
    {
      bad_server (error, uri, _("a bad host"));
      return NULL;
    }
  if (!g_hostname_is_ip_address (host->str) && !host_name_valid (host->str))
    {
      bad_server (error, uri, _("a bad host"));
      return NULL;
    }

  server = g_new0 (IceServer, 1);
  nav_address_init (&server->address);
  server->host = g_strdup (host->str);
  if (g_str_has_prefix (uri, "stun:"))
    {
      server->scheme = ICE_SERVER_STUN;
      if (query != NULL)
        {
          ice_server_free (server);
          bad_server (error, uri, _("a stun: URI takes no query"));
          return NULL;
        }
    }
  else
    {
      gboolean secure = g_str_has_prefix (uri, "turns:");

      server->scheme = secure ? ICE_SERVER_TURNS : ICE_SERVER_TURN;
      server->relay_type = secure ? NAV_RELAY_TYPE_TURN_TLS : NAV_RELAY_TYPE_TURN_UDP;
      if (query != NULL && g_strcmp0 (query, "?transport=tcp") == 0)
        server->relay_type = secure ? NAV_RELAY_TYPE_TURN_TLS : NAV_RELAY_TYPE_TURN_TCP;
      else if (query != NULL && g_strcmp0 (query, "?transport=udp") == 0 && !secure)
        server->relay_type = NAV_RELAY_TYPE_TURN_UDP;
      else if (query != NULL)
        {
          ice_server_free (server);
          bad_server (error, uri, _("the transport is not udp or tcp (turns: takes tcp only)"));
          return NULL;
        }
      /* W3C webrtc-pc §4.4.1.1: a TURN server needs both. */
      if (username == NULL || credential == NULL)
        {
          ice_server_free (server);
          bad_server (error, uri, _("a TURN server needs a username and a credential"));
          return NULL;
        }
      server->username = g_strdup (username);
      server->credential = g_strdup (credential);
    }
  server->port = port != 0 ? port : server->scheme == ICE_SERVER_TURNS ? STUNS_DEFAULT_PORT
                                                                       : STUN_DEFAULT_PORT;
  if (g_hostname_is_ip_address (server->host))
    {
      nav_address_set_ip_from_string (&server->address, server->host, NULL);
      nav_address_set_port (&server->address, server->port);
    }
  return server;
}

static void
apply_servers (NavPeerConnection *self)
{
  gboolean stun_set = FALSE;
  guint i;

  for (i = 0; i < self->ice_servers->len; i++)
    {
      IceServer *server = g_ptr_array_index (self->ice_servers, i);
      g_autofree gchar *ip = NULL;

      if (!nav_address_is_valid (&server->address))
        continue;
      ip = nav_address_ip_to_string (&server->address);
      if (server->scheme == ICE_SERVER_STUN)
        {
          /* The agent takes one STUN server, as libnice's. */
          if (stun_set)
            continue;
          stun_set = TRUE;
          g_object_set (self->agent, "stun-server", ip, "stun-server-port", server->port, NULL);
        }
      else
        nav_agent_set_relay_info (self->agent, self->stream_id, 1, ip, server->port,
                                  server->username, server->credential, server->relay_type);
    }
}

static void
gather (NavPeerConnection *self)
{
  if (self->closed)
    return;
  apply_servers (self);
  g_object_set (self->agent, "force-relay",
                self->ice_transport_policy == NAV_ICE_TRANSPORT_POLICY_RELAY, NULL);
  if (!nav_agent_gather_candidates (self->agent, self->stream_id))
    g_warning ("Peer connection %p: the agent did not start gathering", self);
}

typedef struct {
  NavPeerConnection *self;      /* a reference */
  IceServer *server;
} Resolving;

static void
on_resolved (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Resolving *r = user_data;
  NavPeerConnection *self = r->self;
  g_autoptr (GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);

  if (addresses != NULL)
    {
      g_autofree gchar *ip = g_inet_address_to_string (addresses->data);

      nav_address_set_ip_from_string (&r->server->address, ip, NULL);
      nav_address_set_port (&r->server->address, r->server->port);
      g_resolver_free_addresses (addresses);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message (_("The ICE server %s cannot be resolved, and is not used: %s"), r->server->host,
               error->message);
  self->resolving--;
  if (self->resolving == 0 && self->gather_when_resolved)
    {
      self->gather_when_resolved = FALSE;
      gather (self);
    }
  g_object_unref (self);
  g_free (r);
}

static void schedule_announce (NavPeerConnection *self);

/* JSEP §5.2.1: gathering starts with the first local description. */
void
nav_peer_connection_start_gathering (NavPeerConnection *self)
{
  g_autoptr (GResolver) resolver = NULL;
  guint i;

  if (self->gathering_started)
    return;
  self->gathering_started = TRUE;
  self->gathering_state = NAV_ICE_GATHERING_STATE_GATHERING;
  g_object_notify (G_OBJECT (self), "ice-gathering-state");
  /* The agent finds its host candidates inside gather_candidates(), as
   * libnice does, so inside set_local_description(): they are held and
   * announced from an idle source, once the application had the
   * description to send (W3C webrtc-pc §4.4.1.6 queues icecandidate
   * events; a peer given a candidate before the description refuses it). */
  schedule_announce (self);
  /* Servers named by host names are resolved first, without blocking. */
  g_main_context_push_thread_default (self->context);
  for (i = 0; i < self->ice_servers->len; i++)
    {
      IceServer *server = g_ptr_array_index (self->ice_servers, i);
      Resolving *r;

      if (nav_address_is_valid (&server->address))
        continue;
      if (resolver == NULL)
        resolver = g_resolver_get_default ();
      r = g_new0 (Resolving, 1);
      r->self = g_object_ref (self);
      r->server = server;
      self->resolving++;
      g_resolver_lookup_by_name_async (resolver, server->host, self->cancellable, on_resolved, r);
    }
  g_main_context_pop_thread_default (self->context);
  if (self->resolving > 0)
    self->gather_when_resolved = TRUE;
  else
    gather (self);
}

/* Held candidates are announced from an idle source: the first ones,
 * found inside set_local_description() (see start_gathering), and after
 * an ICE restart, when the local candidates stay (the agent keeps its
 * sockets, RFC 8445 §9); the peer forgot them with our old credentials,
 * so they are announced again for the new ones.  From an idle source,
 * as the W3C queues icecandidate events: after set_local_description()
 * returned and the application sent the description, so that the peer
 * never takes them for the old generation. */
static gboolean
announce_cb (gpointer user_data)
{
  NavPeerConnection *self = user_data;
  g_autoptr (GPtrArray) copy = NULL;
  guint i;

  self->announce_source = 0;
  if (self->closed)
    return G_SOURCE_REMOVE;
  copy = g_ptr_array_copy (self->local_candidates, (GCopyFunc) g_strdup, NULL);
  g_ptr_array_set_free_func (copy, g_free);
  for (i = 0; i < copy->len && !self->closed; i++)
    nav_peer_connection_emit_ice_candidate (self, g_ptr_array_index (copy, i));
  if (!self->closed && self->gathering_state == NAV_ICE_GATHERING_STATE_GATHERING &&
      self->agent_gathering_done)
    {
      self->gathering_state = NAV_ICE_GATHERING_STATE_COMPLETE;
      g_object_notify (G_OBJECT (self), "ice-gathering-state");
      nav_peer_connection_emit_ice_candidate (self, NULL);
    }
  return G_SOURCE_REMOVE;
}

static void
schedule_announce (NavPeerConnection *self)
{
  GSource *source;

  if (self->announce_source != 0)
    return;
  source = g_idle_source_new ();
  /* As the sources of packets and timers: an idle one would wait for
   * the connection to fall quiet. */
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  /* No reference: a connection the application dropped announces
   * nothing more (its dispose destroys the source). */
  g_source_set_callback (source, announce_cb, self, NULL);
  g_source_set_static_name (source, "[nav] candidates announced again");
  self->announce_source = g_source_attach (source, self->context);
  g_source_unref (source);
}

void
nav_peer_connection_announce_candidates (NavPeerConnection *self)
{
  g_free (self->announced_ufrag);
  self->announced_ufrag = g_strdup (self->local_ufrag);
  if (self->gathering_state == NAV_ICE_GATHERING_STATE_COMPLETE)
    {
      self->gathering_state = NAV_ICE_GATHERING_STATE_GATHERING;
      g_object_notify (G_OBJECT (self), "ice-gathering-state");
    }
  schedule_announce (self);
}

/* ------------------------------------------------------------ candidates */

/* A data channel sends in bursts of its congestion window: on loopback,
 * or whenever the reading thread is busy, the 208 KiB the kernel gives
 * a UDP socket by default overflow (and SCTP takes the drops for
 * congestion, and partially reliable channels lose messages).  Within
 * net.core.rmem_max and wmem_max. */
#define DATA_SOCKET_BUFFER (2 * 1024 * 1024)

static void
size_socket_buffers (NavPeerConnection *self,
                     NavCandidate      *candidate)
{
  g_autoptr (GPtrArray) sockets = NULL;
  guint i;

  if (candidate->owner == NULL || candidate->transport != NAV_CANDIDATE_TRANSPORT_UDP)
    return;
  sockets = nav_transport_dup_sockets (candidate->owner);
  for (i = 0; sockets != NULL && i < sockets->len; i++)
    {
      GSocket *socket = g_ptr_array_index (sockets, i);

      if (g_socket_get_socket_type (socket) != G_SOCKET_TYPE_DATAGRAM)
        continue;
      g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, DATA_SOCKET_BUFFER, NULL);
      g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, DATA_SOCKET_BUFFER, NULL);
    }
}

static void
on_new_candidate (NavAgent     *agent,
                  NavCandidate *candidate,
                  gpointer      user_data)
{
  NavPeerConnection *self = user_data;
  g_autofree gchar *line = NULL;
  const gchar *text;

  if (candidate->stream_id == self->stream_id && candidate->type == NAV_CANDIDATE_TYPE_HOST)
    size_socket_buffers (self, candidate);

  /* Peer-reflexive candidates are learnt by the checks, never
   * signalled (RFC 8445 §7.2.5.3.1). */
  if (candidate->stream_id != self->stream_id || candidate->component_id != 1 ||
      candidate->type == NAV_CANDIDATE_TYPE_PEER_REFLEXIVE)
    return;
  line = nav_agent_generate_local_candidate_sdp (agent, candidate);
  text = g_str_has_prefix (line, "a=") ? line + 2 : line;
  if (self->mdns_host_candidates)
    {
      /* The address behind a `.local` name our responder answers for. */
      gchar *concealed = nav_mdns_conceal_candidate (text);

      if (concealed != NULL)
        {
          g_free (line);
          line = concealed;
          text = line;
        }
    }
  g_ptr_array_add (self->local_candidates, g_strdup (text));
  /* New ones wait for the candidates announced again after a restart. */
  if (self->announce_source == 0)
    nav_peer_connection_emit_ice_candidate (self, text);
}

static void
on_gathering_done (NavAgent *agent,
                   guint     stream_id,
                   gpointer  user_data)
{
  NavPeerConnection *self = user_data;

  if (stream_id != self->stream_id || self->closed)
    return;
  self->agent_gathering_done = TRUE;
  /* Candidates announced again after a restart end with their own. */
  if (self->announce_source != 0)
    return;
  self->gathering_state = NAV_ICE_GATHERING_STATE_COMPLETE;
  g_object_notify (G_OBJECT (self), "ice-gathering-state");
  /* RFC 8838 §4.4: the end-of-candidates indication. */
  nav_peer_connection_emit_ice_candidate (self, NULL);
}

/* The value that follows @name in a candidate's extensions, or NULL. */
static const gchar *
candidate_extension (gchar       **tokens,
                     const gchar  *name)
{
  guint i;

  for (i = 8; tokens[i] != NULL && tokens[i + 1] != NULL; i += 2)
    if (g_strcmp0 (tokens[i], name) == 0)
      return tokens[i + 1];
  return NULL;
}

gboolean
nav_peer_connection_add_remote_candidate (NavPeerConnection  *self,
                                          const gchar        *candidate,
                                          GError            **error)
{
  g_auto (GStrv) tokens = NULL;
  g_autoptr (NavCandidate) c = NULL;
  const gchar *ufrag;
  GSList list = { NULL, NULL };
  const gchar *text = candidate;

  if (g_str_has_prefix (text, "a="))
    text += 2;
  if (!g_str_has_prefix (text, "candidate:"))
    {
      g_set_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_CANDIDATE,
                   _("“%s” is not an ICE candidate"), candidate);
      return FALSE;
    }
  tokens = g_strsplit (text + strlen ("candidate:"), " ", -1);
  if (g_strv_length (tokens) >= 8)
    {
      /* A candidate of another generation (browsers add the ufrag,
       * RFC 8838 §4.2): it belongs to before a restart. */
      ufrag = candidate_extension (tokens, "ufrag");
      if (ufrag != NULL && self->remote_ufrag != NULL && g_strcmp0 (ufrag, self->remote_ufrag) != 0)
        {
          g_debug ("Peer connection %p: candidate of ufrag %s ignored", self, ufrag);
          return TRUE;
        }
      /* An mDNS name (RFC 8828 §5.1): resolved, then added by the resolver. */
      if (nav_mdns_candidate_resolve (self->agent, self->stream_id, text))
        return TRUE;
    }
  c = nav_agent_parse_remote_candidate_sdp (self->agent, self->stream_id, text);
  if (c == NULL)
    {
      g_set_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_CANDIDATE,
                   _("“%s” is not a valid ICE candidate"), candidate);
      return FALSE;
    }
  /* Component 2 (RTCP) does not exist with rtcp-mux and BUNDLE. */
  if (c->component_id != 1)
    return TRUE;
  list.data = c;
  if (nav_agent_set_remote_candidates (self->agent, self->stream_id, 1, &list) < 0)
    {
      g_set_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_CANDIDATE,
                   _("The agent refused the candidate “%s”"), candidate);
      return FALSE;
    }
  return TRUE;
}

gboolean
nav_peer_connection_apply_remote_ice (NavPeerConnection  *self,
                                      const NavSdpMedia  *media,
                                      gboolean            remote_offer,
                                      GError            **error)
{
  guint i;

  if (self->remote_ufrag != NULL && g_strcmp0 (self->remote_ufrag, media->ice_ufrag) != 0)
    {
      /* The peer restarted ICE (RFC 8839 §4.4.1.1.1): so do we, with new
       * credentials of our own for the answer. */
      g_debug ("Peer connection %p: the peer restarts ICE", self);
      if (remote_offer)
        {
          /* A restart we wanted is the peer's now. */
          self->restart_pending = FALSE;
          nav_agent_restart_stream (self->agent, self->stream_id);
          g_clear_pointer (&self->local_ufrag, g_free);
          g_clear_pointer (&self->local_pwd, g_free);
          nav_agent_get_local_credentials (self->agent, self->stream_id, &self->local_ufrag,
                                           &self->local_pwd);
        }
      self->remote_end_of_candidates = FALSE;
    }
  g_free (self->remote_ufrag);
  g_free (self->remote_pwd);
  self->remote_ufrag = g_strdup (media->ice_ufrag);
  self->remote_pwd = g_strdup (media->ice_pwd);
  nav_agent_set_remote_credentials (self->agent, self->stream_id, self->remote_ufrag,
                                    self->remote_pwd);
  for (i = 0; i < media->candidates->len; i++)
    {
      g_autoptr (GError) local_error = NULL;

      /* One bad candidate in a description spoils nothing else. */
      if (!nav_peer_connection_add_remote_candidate (self, g_ptr_array_index (media->candidates, i),
                                                     &local_error))
        g_debug ("Peer connection %p: %s", self, local_error->message);
    }
  if (media->end_of_candidates && !self->remote_end_of_candidates)
    {
      self->remote_end_of_candidates = TRUE;
      nav_agent_peer_candidate_gathering_done (self->agent, self->stream_id);
    }
  return TRUE;
}

/* ------------------------------------------------------------ states */

static void
on_component_state (NavAgent *agent,
                    guint     stream_id,
                    guint     component_id,
                    guint     state,
                    gpointer  user_data)
{
  NavPeerConnection *self = user_data;

  if (stream_id != self->stream_id || component_id != 1 || self->closed)
    return;
  self->component_state = state;
  if (state == NAV_COMPONENT_STATE_CONNECTED || state == NAV_COMPONENT_STATE_READY)
    self->was_connected = TRUE;
  else if (state == NAV_COMPONENT_STATE_FAILED && self->was_connected && !self->restart_pending)
    {
      /* Consent lost (RFC 7675 §5.1) on a path that worked: an ICE
       * restart may find another.  The application's signaling (or
       * NavSignalingSession) answers negotiation-needed with an offer
       * that carries it. */
      g_debug ("Peer connection %p: ICE failed after it worked; a restart is needed", self);
      self->restart_pending = TRUE;
      nav_peer_connection_queue_negotiation_needed (self);
    }
  nav_peer_connection_update_states (self);
}

static gchar *
pair_key (const NavCandidate *local,
          const NavCandidate *remote)
{
  gchar a[NAV_ADDRESS_STRING_LEN], b[NAV_ADDRESS_STRING_LEN];
  const NavAddress *base = nav_address_is_valid (&local->base_addr) ? &local->base_addr
                                                                    : &local->addr;

  return g_strdup_printf ("%s>%s/%d", nav_address_to_string_buf (base, a),
                          nav_address_to_string_buf (&remote->addr, b), local->transport);
}

/* The round-trip time of each check, from the pair's In-Progress to its
 * Succeeded (RFC 8445 §7.2.5); retransmissions only make it larger. */
static void
on_pair_state (NavChecker   *checker,
               NavCandidate *local,
               NavCandidate *remote,
               NavPairState  state,
               gpointer      user_data)
{
  NavPeerConnection *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gchar *key;
  gint64 *started;

  if (remote->stream_id != self->stream_id)
    return;
  key = pair_key (local, remote);
  if (state == NAV_PAIR_STATE_IN_PROGRESS)
    {
      gint64 *value = g_new (gint64, 1);

      *value = now;
      g_hash_table_replace (self->check_started, key, value);
      return;
    }
  started = g_hash_table_lookup (self->check_started, key);
  if (state == NAV_PAIR_STATE_SUCCEEDED && started != NULL)
    {
      gint64 *rtt = g_new (gint64, 1);

      *rtt = now - *started;
      if (self->best_rtt < 0 || *rtt < self->best_rtt)
        self->best_rtt = *rtt;
      g_hash_table_replace (self->pair_rtt, g_strdup (key), rtt);
    }
  g_free (key);
}

static void
on_selected_pair (NavAgent     *agent,
                  guint         stream_id,
                  guint         component_id,
                  NavCandidate *local,
                  NavCandidate *remote,
                  gpointer      user_data)
{
  NavPeerConnection *self = user_data;
  g_autofree gchar *key = NULL;
  gint64 *rtt;

  if (stream_id != self->stream_id)
    return;
  key = pair_key (local, remote);
  rtt = g_hash_table_lookup (self->pair_rtt, key);
  self->selected_rtt = rtt != NULL ? *rtt : -1;
}

static void
on_ice_channel_state (NavChannel      *channel,
                      NavChannelState  state,
                      gpointer         user_data)
{
  NavPeerConnection *self = user_data;

  nav_peer_connection_maybe_start_dtls (self);
  nav_peer_connection_update_states (self);
}

/* ------------------------------------------------------------ DTLS */

static void
on_dtls_state (NavChannel      *channel,
               NavChannelState  state,
               gpointer         user_data)
{
  NavPeerConnection *self = user_data;

  if (state == NAV_CHANNEL_STATE_OPEN)
    {
      g_autoptr (NavCertificate) peer = nav_dtls_channel_dup_peer_certificate (self->dtls);
      g_autofree gchar *fingerprint = peer != NULL ? nav_certificate_get_fingerprint (peer, NULL)
                                                   : NULL;

      g_debug ("Peer connection %p: DTLS open, %s, the peer's certificate sha-256 %s", self,
               nav_dtls_channel_get_cipher_suite (self->dtls), fingerprint);
    }
  else if (state == NAV_CHANNEL_STATE_CLOSED)
    {
      g_autoptr (GError) error = nav_dtls_channel_dup_error (self->dtls);

      /* The application hears it from connection-state, and the error
       * from the channel: nothing to log above debug. */
      if (error != NULL && !self->closed)
        g_debug ("Peer connection %p: the DTLS association failed: %s", self, error->message);
    }
  nav_peer_connection_update_states (self);
}

/* The DTLS channel is made with the first description, before any
 * datagram can come: what arrives before it starts (a ClientHello sent
 * as soon as the peer's checks passed, before the answer reached us) is
 * kept and replayed then. */
gboolean
nav_peer_connection_ensure_dtls (NavPeerConnection  *self,
                                 GError            **error)
{
  NavDtlsBackend *backend;

  if (self->dtls != NULL)
    return TRUE;
  backend = nav_dtls_backend_get_default (error);
  if (backend == NULL)
    return FALSE;
  self->dtls = nav_dtls_backend_create_channel (backend, self->ice_channel, self->context, error);
  if (self->dtls == NULL)
    return FALSE;
  self->dtls_state_id = g_signal_connect (self->dtls, "state-changed", G_CALLBACK (on_dtls_state),
                                          self);
  return TRUE;
}

/* The handshake starts once both descriptions set the roles and the
 * fingerprint, and ICE has a path (so that the checks measured the
 * round-trip time its first timeout is made of). */
void
nav_peer_connection_maybe_start_dtls (NavPeerConnection *self)
{
  g_autoptr (GError) error = NULL;
  gint64 rtt;
  guint timeout = 0;

  if (self->closed || self->dtls == NULL || self->dtls_started || !self->dtls_role_known ||
      self->remote_fingerprints == NULL || self->certificate == NULL ||
      nav_channel_get_state (self->ice_channel) != NAV_CHANNEL_STATE_OPEN)
    return;
  rtt = self->selected_rtt >= 0 ? self->selected_rtt : self->best_rtt;
  if (rtt >= 0)
    timeout = CLAMP (2 * rtt / 1000 + DTLS_TIMEOUT_MARGIN_MS, DTLS_TIMEOUT_MIN_MS,
                     DTLS_TIMEOUT_MAX_MS);
  g_debug ("Peer connection %p: DTLS %s, ICE round trip %" G_GINT64_FORMAT " µs, first timeout %u ms",
           self, self->dtls_role == NAV_DTLS_ROLE_CLIENT ? "client" : "server", rtt, timeout);
  self->dtls_started = TRUE;
  if (!nav_dtls_channel_start (self->dtls, self->dtls_role, self->certificate,
                               (const gchar * const *) self->remote_fingerprints, timeout, &error))
    g_warning (_("Peer connection %p: the DTLS handshake cannot start: %s"), self,
               error->message);
}

/* ------------------------------------------------------------ life */

void
nav_peer_connection_ice_init (NavPeerConnection *self)
{
  self->agent = nav_agent_new_full (self->context, NAV_COMPATIBILITY_RFC8445,
                                    NAV_AGENT_OPTION_ICE_TRICKLE);
  /* RFC 8445 §14.2 lets Ta go down to 5 ms; pacing protects the path
   * from bursts of checks, and a peer connection has one component and
   * a few candidates (about 100 bytes a check: 20 kB/s at most).  At the
   * agent's 20 ms, two paced rounds took 40 ms of a 45 ms setup on
   * loopback. */
  g_object_set (self->agent, "stun-pacing-timer", 5, NULL);
  self->stream_id = nav_agent_add_stream (self->agent, 1);
  nav_agent_get_local_credentials (self->agent, self->stream_id, &self->local_ufrag,
                                   &self->local_pwd);
  self->ice_channel = nav_agent_get_channel (self->agent, self->stream_id, 1);
  self->ice_channel_state_id = g_signal_connect (self->ice_channel, "state-changed",
                                                 G_CALLBACK (on_ice_channel_state), self);
  g_signal_connect (self->agent, "new-candidate-full", G_CALLBACK (on_new_candidate), self);
  g_signal_connect (self->agent, "candidate-gathering-done", G_CALLBACK (on_gathering_done), self);
  g_signal_connect (self->agent, "component-state-changed", G_CALLBACK (on_component_state), self);
  g_signal_connect (self->agent, "new-selected-pair-full", G_CALLBACK (on_selected_pair), self);
  /* The checker is the agent's (core-internal): its pairs' check times
   * give the round-trip time. */
  nav_agent_lock (self->agent);
  if (self->agent->checker != NULL)
    self->checker = g_object_ref (self->agent->checker);
  nav_agent_unlock_and_emit (self->agent);
  if (self->checker != NULL)
    g_signal_connect (self->checker, "pair-state-changed", G_CALLBACK (on_pair_state), self);
  self->check_started = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->pair_rtt = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->best_rtt = -1;
  self->selected_rtt = -1;
}

void
nav_peer_connection_ice_set_transport (NavPeerConnection *self,
                                       NavChannel        *channel)
{
  g_clear_signal_handler (&self->ice_channel_state_id, self->ice_channel);
  g_set_object (&self->ice_channel, channel);
  self->own_transport = TRUE;
  self->ice_channel_state_id = g_signal_connect (self->ice_channel, "state-changed",
                                                 G_CALLBACK (on_ice_channel_state), self);
}

void
nav_peer_connection_ice_dispose (NavPeerConnection *self)
{
  if (self->announce_source != 0)
    {
      GSource *source = g_main_context_find_source_by_id (self->context, self->announce_source);

      if (source != NULL)
        g_source_destroy (source);
      self->announce_source = 0;
    }
  if (self->dtls != NULL)
    {
      g_clear_signal_handler (&self->dtls_state_id, self->dtls);
      nav_channel_close (NAV_CHANNEL (self->dtls));
      g_clear_object (&self->dtls);
    }
  if (self->ice_channel != NULL)
    {
      g_clear_signal_handler (&self->ice_channel_state_id, self->ice_channel);
      g_clear_object (&self->ice_channel);
    }
  if (self->checker != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->checker, self);
      g_clear_object (&self->checker);
    }
  if (self->agent != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->agent, self);
      nav_agent_remove_stream (self->agent, self->stream_id);
      g_clear_object (&self->agent);
    }
  g_clear_pointer (&self->check_started, g_hash_table_unref);
  g_clear_pointer (&self->pair_rtt, g_hash_table_unref);
}
