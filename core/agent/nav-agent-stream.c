/* nav-agent-stream.c: NavAgent's streams and components: credentials,
 * candidates, lookups
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <sys/random.h>
#include <string.h>

#include "nav-agent-private.h"
#include "nav-agent-strategy-private.h"
#include "nav-agent-checks-private.h"
#include "nav-agent-io-private.h"
#include "nav-agent-reliable-private.h"

static void
relay_info_free (gpointer data)
{
  RelayInfo *info = data;

  g_free (info->server);
  g_free (info->username);
  g_free (info->password);
  g_free (info);
}

static void
component_clear (NavAgent       *agent,
                 AgentComponent *component)
{
  guint i;

  /* First, while the selected pair can still carry its RST. */
  nav_agent_reliable_component_free (agent, component);
  nav_agent_component_clear_io (agent, component);
  for (i = 0; i < component->gatherers->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (component->gatherers, i), agent);
  for (i = 0; i < component->gatherers->len; i++)
    nav_gatherer_stop (g_ptr_array_index (component->gatherers, i));
  g_ptr_array_unref (component->gatherers);
  nav_agent_unhook_candidates (agent, component->local);
  for (i = 0; i < component->discovery->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (component->discovery, i);

      if (c->type == NAV_CANDIDATE_TYPE_HOST && c->owner != NULL)
        nav_transport_close (c->owner);
    }
  g_ptr_array_unref (component->discovery);
  g_ptr_array_unref (component->local);
  g_ptr_array_unref (component->remote);
  g_ptr_array_unref (component->relays);
  g_clear_pointer (&component->selected_local, nav_candidate_free);
  g_clear_pointer (&component->selected_remote, nav_candidate_free);
  g_clear_pointer (&component->recv_context, g_main_context_unref);
  nav_agent_recv_ring_clear (&component->recv_ring);
  g_clear_pointer (&component->hop, g_byte_array_unref);
  g_clear_pointer (&component->hop_spare, g_byte_array_unref);
  nav_agent_recv_wake (agent);
}

void
nav_agent_stream_free (NavAgent    *agent,
             AgentStream *stream)
{
  guint i;

  for (i = 0; i < stream->n_components; i++)
    component_clear (agent, &stream->components[i]);
  g_free (stream->components);
  g_free (stream->name);
  g_free (stream->local_ufrag);
  g_free (stream->local_pwd);
  g_free (stream->remote_ufrag);
  g_free (stream->remote_pwd);
  g_free (stream);
}

AgentStream *
nav_agent_lookup_stream (NavAgent *agent,
               guint     stream_id)
{
  return g_hash_table_lookup (agent->streams, GUINT_TO_POINTER (stream_id));
}

AgentComponent *
nav_agent_lookup_component (NavAgent *agent,
                  guint     stream_id,
                  guint     component_id)
{
  AgentStream *stream = nav_agent_lookup_stream (agent, stream_id);

  if (stream == NULL || component_id < 1 || component_id > stream->n_components)
    return NULL;
  return &stream->components[component_id - 1];
}

static void
step_component_state (NavAgent          *agent,
                      AgentComponent    *component,
                      NavComponentState  state)
{
  component->state = state;
  /* The channel is open while the component can send. */
  nav_agent_update_channel (agent, component);
  nav_agent_queue_signal (agent, SIG_COMPONENT_STATE_CHANGED, component->stream->id, component->id,
                          state, NULL, NULL);
}

/* libnice walks a component through CONNECTING and CONNECTED on its way
 * to READY, whatever the mode (aggressive or regular nomination, lite,
 * a pair forced by the application), and programs wait for CONNECTED
 * (libnice's simple-example does): the steps a checker skips are
 * signalled here, in order.  Called with the lock held. */
void
nav_agent_set_component_state (NavAgent          *agent,
                               AgentComponent    *component,
                               NavComponentState  state)
{
  if (component->state == state)
    return;
  if (state == NAV_COMPONENT_STATE_CONNECTED || state == NAV_COMPONENT_STATE_READY)
    {
      if (component->state < NAV_COMPONENT_STATE_CONNECTING ||
          component->state == NAV_COMPONENT_STATE_FAILED)
        step_component_state (agent, component, NAV_COMPONENT_STATE_CONNECTING);
      if (state == NAV_COMPONENT_STATE_READY && component->state < NAV_COMPONENT_STATE_CONNECTED)
        step_component_state (agent, component, NAV_COMPONENT_STATE_CONNECTED);
    }
  step_component_state (agent, component, state);
}

/* RFC 8445 §5.3: at least 24 bits of randomness in the username fragment
 * and 128 bits in the password; ice-chars of RFC 8839 §5.4.  The lengths
 * are libnice's: 4 and 22. */
gchar *
nav_agent_random_ice_string (guint length)
{
  static const gchar ice_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  guint8 random[64];
  gchar *s = g_malloc (length + 1);
  guint i;

  g_assert (length <= sizeof random);
  if (getrandom (random, length, 0) != (gssize) length)
    for (i = 0; i < length; i++)
      random[i] = g_random_int_range (0, 256);
  for (i = 0; i < length; i++)
    s[i] = ice_chars[random[i] & 63];
  s[length] = '\0';
  return s;
}

gboolean
nav_agent_has_candidate (GPtrArray          *candidates,
               const NavCandidate *candidate)
{
  guint i;

  for (i = 0; i < candidates->len; i++)
    {
      const NavCandidate *c = g_ptr_array_index (candidates, i);

      if (c->transport == candidate->transport && c->type == candidate->type &&
          nav_address_equal (&c->addr, &candidate->addr))
        return TRUE;
    }
  return FALSE;
}

/**
 * nav_agent_add_local_address:
 * @agent: an agent
 * @addr: a local address (its port is ignored)
 *
 * Gathers host candidates on @addr only (with the other addresses added
 * this way), instead of every interface, as
 * `nice_agent_add_local_address()`.
 *
 * Returns: %TRUE
 *
 * Since: 1.0
 */
gboolean
nav_agent_add_local_address (NavAgent   *agent,
                             NavAddress *addr)
{
  NavAddress copy;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);
  g_return_val_if_fail (addr != NULL, FALSE);

  copy = *addr;
  nav_address_set_port (&copy, 0);
  nav_agent_lock (agent);
  g_array_append_val (agent->local_addresses, copy);
  nav_agent_unlock_and_emit (agent);
  return TRUE;
}

/**
 * nav_agent_add_stream:
 * @agent: an agent
 * @n_components: the number of components of the stream (1 to 256)
 *
 * Adds a stream, with random local credentials, as
 * `nice_agent_add_stream()`.
 *
 * Returns: the new stream's id, or 0 on error
 *
 * Since: 1.0
 */
guint
nav_agent_add_stream (NavAgent *agent,
                      guint     n_components)
{
  AgentStream *stream;
  guint i, id;

  g_return_val_if_fail (NAV_IS_AGENT (agent), 0);
  g_return_val_if_fail (n_components >= 1 && n_components <= 256, 0);

  nav_agent_lock (agent);
  stream = g_new0 (AgentStream, 1);
  stream->id = id = agent->next_stream_id++;
  stream->n_components = n_components;
  stream->tos = -1;
  stream->local_ufrag = nav_agent_random_ice_string (4);
  stream->local_pwd = nav_agent_random_ice_string (22);
  stream->components = g_new0 (AgentComponent, n_components);
  for (i = 0; i < n_components; i++)
    {
      AgentComponent *component = &stream->components[i];

      component->stream = stream;
      component->id = i + 1;
      component->state = NAV_COMPONENT_STATE_DISCONNECTED;
      component->local = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
      component->remote = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
      component->discovery = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
      component->relays = g_ptr_array_new_with_free_func (relay_info_free);
      component->gatherers = g_ptr_array_new_with_free_func (g_object_unref);
      nav_agent_component_init_io (agent, component);
    }
  g_hash_table_insert (agent->streams, GUINT_TO_POINTER (id), stream);
  if (agent->checker != NULL)
    nav_checker_set_local_credentials (agent->checker, id, stream->local_ufrag,
                                       stream->local_pwd);
  nav_agent_unlock_and_emit (agent);
  return id;
}

/**
 * nav_agent_remove_stream:
 * @agent: an agent
 * @stream_id: a stream
 *
 * Removes a stream, closes its sockets and stops its checks, then emits
 * [signal@Nav.Agent::streams-removed], as `nice_agent_remove_stream()`.
 *
 * Since: 1.0
 */
void
nav_agent_remove_stream (NavAgent *agent,
                         guint     stream_id)
{
  AgentStream *stream;

  g_return_if_fail (NAV_IS_AGENT (agent));

  nav_agent_lock (agent);
  stream = nav_agent_lookup_stream (agent, stream_id);
  if (stream == NULL)
    {
      nav_agent_unlock_and_emit (agent);
      return;
    }
  g_hash_table_steal (agent->streams, GUINT_TO_POINTER (stream_id));
  if (agent->checker != NULL)
    nav_checker_remove_stream (agent->checker, stream_id);
  nav_agent_stream_free (agent, stream);
  nav_agent_queue_signal (agent, SIG_STREAMS_REMOVED, stream_id, 0, 0, NULL, NULL);
  nav_agent_unlock_and_emit (agent);
}

/**
 * nav_agent_set_stream_name:
 * @agent: an agent
 * @stream_id: a stream
 * @name: the name, the media of the SDP `m=` line ("audio", "video",
 *   "text", "application", "image" or "message"), unique in the agent
 *
 * Names a stream, as `nice_agent_set_stream_name()`.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
nav_agent_set_stream_name (NavAgent    *agent,
                           guint        stream_id,
                           const gchar *name)
{
  static const gchar * const names[] = {
    "audio", "video", "text", "application", "image", "message", NULL
  };
  AgentStream *stream;
  GHashTableIter iter;
  AgentStream *other;
  gboolean ok = TRUE;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (!g_strv_contains (names, name))
    return FALSE;
  nav_agent_lock (agent);
  stream = nav_agent_lookup_stream (agent, stream_id);
  g_hash_table_iter_init (&iter, agent->streams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &other))
    if (other != stream && g_strcmp0 (other->name, name) == 0)
      ok = FALSE;
  if (stream == NULL)
    ok = FALSE;
  if (ok)
    {
      g_free (stream->name);
      stream->name = g_strdup (name);
    }
  nav_agent_unlock_and_emit (agent);
  return ok;
}

/**
 * nav_agent_get_stream_name:
 * @agent: an agent
 * @stream_id: a stream
 *
 * Returns: (nullable): the stream's name, as
 *   `nice_agent_get_stream_name()`
 *
 * Since: 1.0
 */
const gchar *
nav_agent_get_stream_name (NavAgent *agent,
                           guint     stream_id)
{
  AgentStream *stream;
  const gchar *name = NULL;

  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);

  nav_agent_lock (agent);
  stream = nav_agent_lookup_stream (agent, stream_id);
  if (stream != NULL)
    name = stream->name;
  nav_agent_unlock_and_emit (agent);
  return name;
}

/**
 * nav_agent_set_port_range:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @min_port: the lowest port of host candidates
 * @max_port: the highest port, or 0 for no range
 *
 * Restricts the ports of the component's host candidates, as
 * `nice_agent_set_port_range()`.
 *
 * Since: 1.0
 */
void
nav_agent_set_port_range (NavAgent *agent,
                          guint     stream_id,
                          guint     component_id,
                          guint     min_port,
                          guint     max_port)
{
  AgentComponent *component;

  g_return_if_fail (NAV_IS_AGENT (agent));

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    {
      component->min_port = min_port;
      component->max_port = max_port;
    }
  nav_agent_unlock_and_emit (agent);
}

/**
 * nav_agent_set_relay_info:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @server_ip: the TURN server's IP address
 * @server_port: its port
 * @username: the TURN username
 * @password: the TURN password
 * @type: how to reach the server
 *
 * Adds a TURN server for the component's relayed candidates, as
 * `nice_agent_set_relay_info()`.  They are gathered by the registry's
 * `turn` gatherer; when no module provides it, gathering says so in a
 * warning and goes on without relayed candidates.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
nav_agent_set_relay_info (NavAgent     *agent,
                          guint         stream_id,
                          guint         component_id,
                          const gchar  *server_ip,
                          guint         server_port,
                          const gchar  *username,
                          const gchar  *password,
                          NavRelayType  type)
{
  AgentComponent *component;
  RelayInfo *info;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);
  g_return_val_if_fail (server_ip != NULL, FALSE);
  g_return_val_if_fail (server_port > 0 && server_port <= 65535, FALSE);
  g_return_val_if_fail (username != NULL && password != NULL, FALSE);

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component == NULL)
    {
      nav_agent_unlock_and_emit (agent);
      return FALSE;
    }
  info = g_new0 (RelayInfo, 1);
  info->server = g_strdup (server_ip);
  info->port = server_port;
  info->username = g_strdup (username);
  info->password = g_strdup (password);
  info->type = type;
  g_ptr_array_add (component->relays, info);
  nav_agent_unlock_and_emit (agent);
  return TRUE;
}

/**
 * nav_agent_forget_relays:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 *
 * Forgets the TURN servers of the component, as
 * `nice_agent_forget_relays()`; relayed candidates already gathered stay.
 *
 * Returns: %TRUE when the component exists
 *
 * Since: 1.0
 */
gboolean
nav_agent_forget_relays (NavAgent *agent,
                         guint     stream_id,
                         guint     component_id)
{
  AgentComponent *component;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    g_ptr_array_set_size (component->relays, 0);
  nav_agent_unlock_and_emit (agent);
  return component != NULL;
}

/**
 * nav_agent_set_remote_credentials:
 * @agent: an agent
 * @stream_id: a stream
 * @ufrag: the peer's username fragment
 * @pwd: the peer's password
 *
 * Sets the peer's credentials, as `nice_agent_set_remote_credentials()`.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
nav_agent_set_remote_credentials (NavAgent    *agent,
                                  guint        stream_id,
                                  const gchar *ufrag,
                                  const gchar *pwd)
{
  AgentStream *stream;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);

  if (ufrag == NULL || pwd == NULL || ufrag[0] == '\0' || pwd[0] == '\0')
    return FALSE;
  nav_agent_lock (agent);
  stream = nav_agent_lookup_stream (agent, stream_id);
  if (stream == NULL)
    {
      nav_agent_unlock_and_emit (agent);
      return FALSE;
    }
  g_free (stream->remote_ufrag);
  g_free (stream->remote_pwd);
  stream->remote_ufrag = g_strdup (ufrag);
  stream->remote_pwd = g_strdup (pwd);
  if (agent->checker != NULL)
    nav_checker_set_remote_credentials (agent->checker, stream_id, ufrag, pwd);
  nav_agent_maybe_start_checks (agent, stream);
  nav_agent_unlock_and_emit (agent);
  return TRUE;
}

/**
 * nav_agent_set_local_credentials:
 * @agent: an agent
 * @stream_id: a stream
 * @ufrag: the username fragment (4 to 256 characters)
 * @pwd: the password (22 to 256 characters)
 *
 * Replaces the stream's random local credentials, as
 * `nice_agent_set_local_credentials()`.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
nav_agent_set_local_credentials (NavAgent    *agent,
                                 guint        stream_id,
                                 const gchar *ufrag,
                                 const gchar *pwd)
{
  AgentStream *stream;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);

  if (ufrag == NULL || pwd == NULL || strlen (ufrag) < 4 || strlen (pwd) < 22 ||
      strlen (ufrag) > 256 || strlen (pwd) > 256)
    return FALSE;
  nav_agent_lock (agent);
  stream = nav_agent_lookup_stream (agent, stream_id);
  if (stream == NULL)
    {
      nav_agent_unlock_and_emit (agent);
      return FALSE;
    }
  g_free (stream->local_ufrag);
  g_free (stream->local_pwd);
  stream->local_ufrag = g_strdup (ufrag);
  stream->local_pwd = g_strdup (pwd);
  if (agent->checker != NULL)
    nav_checker_set_local_credentials (agent->checker, stream_id, ufrag, pwd);
  nav_agent_unlock_and_emit (agent);
  return TRUE;
}

/**
 * nav_agent_get_local_credentials:
 * @agent: an agent
 * @stream_id: a stream
 * @ufrag: (out) (transfer full): the username fragment
 * @pwd: (out) (transfer full): the password
 *
 * Returns the stream's local credentials, as
 * `nice_agent_get_local_credentials()`.
 *
 * Returns: %TRUE when the stream exists
 *
 * Since: 1.0
 */
gboolean
nav_agent_get_local_credentials (NavAgent  *agent,
                                 guint      stream_id,
                                 gchar    **ufrag,
                                 gchar    **pwd)
{
  AgentStream *stream;
  gboolean ok = FALSE;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);
  g_return_val_if_fail (ufrag != NULL && pwd != NULL, FALSE);

  *ufrag = NULL;
  *pwd = NULL;
  nav_agent_lock (agent);
  stream = nav_agent_lookup_stream (agent, stream_id);
  if (stream != NULL)
    {
      *ufrag = g_strdup (stream->local_ufrag);
      *pwd = g_strdup (stream->local_pwd);
      ok = TRUE;
    }
  nav_agent_unlock_and_emit (agent);
  return ok;
}

/* Called with the lock held. */
gboolean
nav_agent_add_remote_candidate (NavAgent           *agent,
                      AgentComponent     *component,
                      const NavCandidate *candidate)
{
  NavCandidate *copy;

  if (!nav_address_is_valid (&candidate->addr))
    return FALSE;
  if (nav_agent_has_candidate (component->remote, candidate))
    return TRUE;
  if (component->remote->len >= NAV_AGENT_MAX_REMOTE_CANDIDATES)
    return FALSE;
  copy = nav_candidate_copy (candidate);
  copy->stream_id = component->stream->id;
  copy->component_id = component->id;
  nav_candidate_set_owner (copy, NULL);
  g_ptr_array_add (component->remote, copy);
  if (agent->checker != NULL && !nav_agent_strategy_hold (agent, component, copy))
    nav_checker_add_remote_candidate (agent->checker, copy);
  return TRUE;
}

/**
 * nav_agent_set_remote_candidates:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @candidates: (element-type NavCandidate): the peer's candidates
 *
 * Adds the peer's candidates of a component, as
 * `nice_agent_set_remote_candidates()`; with Trickle ICE it may be called
 * again as candidates arrive.
 *
 * Returns: the number of candidates added, or -1 when the stream or
 *   component does not exist
 *
 * Since: 1.0
 */
int
nav_agent_set_remote_candidates (NavAgent     *agent,
                                 guint         stream_id,
                                 guint         component_id,
                                 const GSList *candidates)
{
  AgentComponent *component;
  const GSList *l;
  int added = 0;

  g_return_val_if_fail (NAV_IS_AGENT (agent), -1);

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component == NULL)
    {
      nav_agent_unlock_and_emit (agent);
      return -1;
    }
  for (l = candidates; l != NULL; l = l->next)
    if (nav_agent_add_remote_candidate (agent, component, l->data))
      added++;
  nav_agent_maybe_start_checks (agent, component->stream);
  nav_agent_unlock_and_emit (agent);
  return added;
}

static GSList *
dup_candidate_list (GPtrArray *candidates)
{
  GSList *list = NULL;
  guint i;

  for (i = candidates->len; i > 0; i--)
    list = g_slist_prepend (list, nav_candidate_copy (g_ptr_array_index (candidates, i - 1)));
  return list;
}

/**
 * nav_agent_get_remote_candidates:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 *
 * Returns: (element-type NavCandidate) (transfer full): the peer's
 *   candidates, peer-reflexive ones included, as
 *   `nice_agent_get_remote_candidates()`
 *
 * Since: 1.0
 */
GSList *
nav_agent_get_remote_candidates (NavAgent *agent,
                                 guint     stream_id,
                                 guint     component_id)
{
  AgentComponent *component;
  GSList *list = NULL;

  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    list = dup_candidate_list (component->remote);
  nav_agent_unlock_and_emit (agent);
  return list;
}

/**
 * nav_agent_get_local_candidates:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 *
 * Returns: (element-type NavCandidate) (transfer full): the local
 *   candidates gathered so far, as `nice_agent_get_local_candidates()`
 *
 * Since: 1.0
 */
GSList *
nav_agent_get_local_candidates (NavAgent *agent,
                                guint     stream_id,
                                guint     component_id)
{
  AgentComponent *component;
  GSList *list = NULL;
  guint i;

  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    for (i = component->local->len; i > 0; i--)
      {
        NavCandidate *c = g_ptr_array_index (component->local, i - 1);

        if (!agent->force_relay || c->type == NAV_CANDIDATE_TYPE_RELAYED)
          list = g_slist_prepend (list, nav_candidate_copy (c));
      }
  nav_agent_unlock_and_emit (agent);
  return list;
}

/**
 * nav_agent_get_component_state:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 *
 * Returns: the component's state, as `nice_agent_get_component_state()`;
 *   %NAV_COMPONENT_STATE_FAILED for an unknown component
 *
 * Since: 1.0
 */
NavComponentState
nav_agent_get_component_state (NavAgent *agent,
                               guint     stream_id,
                               guint     component_id)
{
  AgentComponent *component;
  NavComponentState state = NAV_COMPONENT_STATE_FAILED;

  g_return_val_if_fail (NAV_IS_AGENT (agent), NAV_COMPONENT_STATE_FAILED);

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    state = component->state;
  nav_agent_unlock_and_emit (agent);
  return state;
}
