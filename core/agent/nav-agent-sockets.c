/* nav-agent-sockets.c: NavAgent's sockets: TOS, SOFTWARE, the sockets and
 * the default candidate, closing
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-agent-private.h"
#include "nav-agent-checks-private.h"
#include "nav-agent-io-private.h"
#include "nav-agent-sdp-private.h"

/* ------------------------------------------------ more of libnice's API */

/* Called with the lock held. */
static void
add_unique (GPtrArray *array,
            gpointer   object)
{
  if (object != NULL && !g_ptr_array_find (array, object, NULL))
    g_ptr_array_add (array, g_object_ref (object));
}

/* The transports of a component: its local candidates' and the discovery
 * sockets' (wants_discovery_sockets()).  Called with the lock held. */
static GPtrArray *
component_transports (AgentComponent *component)
{
  GPtrArray *transports = g_ptr_array_new_with_free_func (g_object_unref);
  guint i;

  for (i = 0; i < component->local->len; i++)
    add_unique (transports, ((NavCandidate *) g_ptr_array_index (component->local, i))->owner);
  for (i = 0; i < component->discovery->len; i++)
    add_unique (transports,
                ((NavCandidate *) g_ptr_array_index (component->discovery, i))->owner);
  return transports;
}

/**
 * nav_agent_set_software:
 * @agent: an agent
 * @software: (nullable): the name of the application, UTF-8, or %NULL for
 *   none
 *
 * Sets the SOFTWARE attribute (RFC 8489 §14.14) of the STUN messages the
 * agent sends, as `nice_agent_set_software()`: @software followed by
 * `/NetAvanue` and the library's version (libnice appends its own
 * version), cut to fewer than 128 characters, the attribute's limit.  It
 * goes into the connectivity and consent checks, their responses and
 * error responses, and the requests to STUN and TURN servers (Binding,
 * Allocate, Refresh, CreatePermission, ChannelBind) of gatherings started
 * afterwards; not into indications (keepalives, TURN Send), as in
 * libnice.  %NULL removes it.
 *
 * Since: 1.0
 */
void
nav_agent_set_software (NavAgent    *agent,
                        const gchar *software)
{
  gchar *value = NULL;

  g_return_if_fail (NAV_IS_AGENT (agent));
  g_return_if_fail (software == NULL || g_utf8_validate (software, -1, NULL));

  if (software != NULL)
    {
      g_autofree gchar *full = g_strdup_printf ("%s/NetAvanue %s", software, NAV_VERSION_S);

      /* RFC 8489 §14.14: fewer than 128 characters. */
      if (g_utf8_strlen (full, -1) > 127)
        value = g_utf8_substring (full, 0, 127);
      else
        value = g_steal_pointer (&full);
    }
  nav_agent_lock (agent);
  g_free (agent->software);
  agent->software = value;
  nav_agent_configure_checker (agent);
  nav_agent_unlock_and_emit (agent);
}

/**
 * nav_agent_set_stream_tos:
 * @agent: an agent
 * @stream_id: a stream
 * @tos: the type of service (the DSCP and ECN byte)
 *
 * Sets `IP_TOS` (and `IPV6_TCLASS` on IPv6 sockets) of every socket of
 * the stream, as `nice_agent_set_stream_tos()`: the host sockets, the
 * ICE-TCP listeners and connections, the sockets to TURN servers, and
 * those opened later (relayed candidates gathered afterwards, TCP
 * connections made by the checks).  A socket gets it once the agent
 * knows it: the requests of a gathering under way leave without it, and
 * the peer data connections an RFC 6062 TCP allocation opens later do
 * not get it.
 *
 * Since: 1.0
 */
void
nav_agent_set_stream_tos (NavAgent *agent,
                          guint     stream_id,
                          gint      tos)
{
  AgentStream *stream;
  guint i, j;

  g_return_if_fail (NAV_IS_AGENT (agent));
  g_return_if_fail (tos >= 0 && tos <= 255);

  nav_agent_lock (agent);
  stream = nav_agent_lookup_stream (agent, stream_id);
  if (stream != NULL)
    {
      stream->tos = tos;
      for (i = 0; i < stream->n_components; i++)
        {
          g_autoptr (GPtrArray) transports = component_transports (&stream->components[i]);

          for (j = 0; j < transports->len; j++)
            nav_transport_set_tos (g_ptr_array_index (transports, j), tos);
        }
    }
  nav_agent_unlock_and_emit (agent);
}

/**
 * nav_agent_get_selected_socket:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 *
 * Returns the socket of the component's selected pair, as
 * `nice_agent_get_selected_socket()`, for an application that takes the
 * path over: only a UDP pair whose local candidate is not relayed has
 * one (a relayed pair's datagrams are wrapped for the TURN server, an
 * ICE-TCP pair's framed).
 *
 * Returns: (transfer full) (nullable): the socket, or %NULL when no pair
 *   is selected or it is relayed or over TCP
 *
 * Since: 1.0
 */
GSocket *
nav_agent_get_selected_socket (NavAgent *agent,
                               guint     stream_id,
                               guint     component_id)
{
  AgentComponent *component;
  GSocket *socket = NULL;

  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL && component->selected_local != NULL && component->selected_remote != NULL &&
      component->selected_local->type != NAV_CANDIDATE_TYPE_RELAYED &&
      component->selected_local->transport == NAV_CANDIDATE_TRANSPORT_UDP &&
      component->selected_local->owner != NULL)
    {
      /* A UDP transport's first socket (then the one connected to the
       * selected pair's remote, if any). */
      g_autoptr (GPtrArray) sockets = nav_transport_dup_sockets (component->selected_local->owner);

      if (sockets->len >= 1)
        socket = g_object_ref (g_ptr_array_index (sockets, 0));
    }
  nav_agent_unlock_and_emit (agent);
  return socket;
}

/**
 * nav_agent_get_sockets:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 *
 * Returns every socket of the component, as `nice_agent_get_sockets()`,
 * so that the application can set options on them: the host UDP sockets
 * (also those of a relay-only or TCP-only agent that only ask the STUN
 * server), the ICE-TCP listeners and connections, the sockets to TURN
 * servers.  Most exist once gathering started; call it after
 * [method@Nav.Agent.gather_candidates].
 *
 * Returns: (transfer full) (element-type Gio.Socket): the sockets, empty
 *   when the component does not exist
 *
 * Since: 1.0
 */
GPtrArray *
nav_agent_get_sockets (NavAgent *agent,
                       guint     stream_id,
                       guint     component_id)
{
  GPtrArray *sockets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) transports = NULL;
  AgentComponent *component;
  guint i, j;

  g_return_val_if_fail (NAV_IS_AGENT (agent), sockets);

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    transports = component_transports (component);
  nav_agent_unlock_and_emit (agent);
  for (i = 0; transports != NULL && i < transports->len; i++)
    {
      g_autoptr (GPtrArray) more = nav_transport_dup_sockets (g_ptr_array_index (transports, i));

      for (j = 0; j < more->len; j++)
        add_unique (sockets, g_ptr_array_index (more, j));
    }
  return sockets;
}

/**
 * nav_agent_get_default_local_candidate:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 *
 * Returns the candidate a peer that does not speak ICE should be given
 * (the address of the SDP `m=` and `c=` lines, RFC 8839 §4.2), as
 * `nice_agent_get_default_local_candidate()` chooses it: for component 1
 * the IPv4 candidate of lowest priority, the longest path but the most
 * likely to work (a relayed one when there is one, else a
 * server-reflexive one, else a host one); for the other components the
 * candidate of the same foundation as component 1's.  With
 * [property@Nav.Agent:force-relay] only relayed candidates count.
 * [method@Nav.Agent.generate_local_sdp] writes this candidate.
 *
 * Returns: (transfer full) (nullable): a copy of the candidate, or %NULL
 *   when there is none (no IPv4 candidate yet)
 *
 * Since: 1.0
 */
NavCandidate *
nav_agent_get_default_local_candidate (NavAgent *agent,
                                       guint     stream_id,
                                       guint     component_id)
{
  AgentComponent *component;
  const NavCandidate *c = NULL;
  NavCandidate *copy;

  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    c = nav_agent_default_candidate (agent, component);
  copy = c != NULL ? nav_candidate_copy (c) : NULL;
  nav_agent_unlock_and_emit (agent);
  return copy;
}

typedef struct {
  GTask *task;
  guint pending;
} AgentClose;

static void
agent_close_step (AgentClose *closing)
{
  if (--closing->pending > 0)
    return;
  g_task_return_boolean (closing->task, TRUE);
  g_object_unref (closing->task);
  g_free (closing);
}

static void
agent_close_transport_done (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  /* A server that did not answer the deallocation is no failure of the
   * close: libnice's never fails either. */
  if (!nav_transport_close_finish (NAV_TRANSPORT (source), result, &error))
    g_debug ("Closing a transport: %s", error->message);
  agent_close_step (user_data);
}

/**
 * nav_agent_close_async:
 * @agent: an agent
 * @callback: (scope async) (nullable): called when everything is closed
 * @callback_data: data for @callback
 *
 * Closes what the agent holds, as `nice_agent_close_async()`: gathering
 * and checks stop, every socket is closed, and each TURN allocation is
 * deleted on its server with a Refresh of lifetime 0 (RFC 8656 §7.3).
 * @callback runs, in the thread-default main context of the caller, once
 * every server has answered (or its request has given up retransmitting),
 * so that no relayed port is left behind when the agent is freed right
 * after.  The streams stay, without candidates nor selected pair.
 *
 * As in libnice the operation never fails and there is no `_finish`
 * function to call; [method@Nav.Agent.close_finish] is there for
 * bindings.
 *
 * Since: 1.0
 */
void
nav_agent_close_async (NavAgent            *agent,
                       GAsyncReadyCallback  callback,
                       gpointer             callback_data)
{
  g_autoptr (GPtrArray) transports = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) gatherers = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GList) ids = NULL;
  NavChecker *checker = NULL;
  AgentClose *closing;
  GHashTableIter iter;
  AgentStream *stream;
  guint i, j;

  g_return_if_fail (NAV_IS_AGENT (agent));

  closing = g_new0 (AgentClose, 1);
  closing->task = g_task_new (agent, NULL, callback, callback_data);
  g_task_set_source_tag (closing->task, nav_agent_close_async);
  closing->pending = 1;

  nav_agent_lock (agent);
  g_hash_table_iter_init (&iter, agent->streams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
    {
      ids = g_list_prepend (ids, GUINT_TO_POINTER (stream->id));
      for (i = 0; i < stream->n_components; i++)
        {
          AgentComponent *component = &stream->components[i];
          g_autoptr (GPtrArray) owned = component_transports (component);

          for (j = 0; j < component->gatherers->len; j++)
            {
              GObject *gatherer = g_ptr_array_index (component->gatherers, j);

              g_signal_handlers_disconnect_by_data (gatherer, agent);
              g_ptr_array_add (gatherers, g_object_ref (gatherer));
            }
          g_ptr_array_set_size (component->gatherers, 0);
          component->host_gatherer = NULL;
          component->pending_gatherers = 0;
          for (j = 0; j < owned->len; j++)
            {
              NavTransport *transport = g_ptr_array_index (owned, j);

              nav_agent_unhook_transport (agent, transport);
              add_unique (transports, transport);
            }
          g_ptr_array_set_size (component->local, 0);
          g_ptr_array_set_size (component->discovery, 0);
          g_ptr_array_set_size (component->remote, 0);
          g_clear_pointer (&component->selected_local, nav_candidate_free);
          g_clear_pointer (&component->selected_remote, nav_candidate_free);
          /* Nothing carries data any more. */
          nav_agent_close_channel (agent, component);
        }
      stream->checks_started = FALSE;
    }
  if (agent->checker != NULL)
    checker = g_object_ref (agent->checker);
  nav_agent_unlock_and_emit (agent);

  if (checker != NULL)
    {
      for (GList *l = ids; l != NULL; l = l->next)
        nav_checker_remove_stream (checker, GPOINTER_TO_UINT (l->data));
      g_object_unref (checker);
    }
  /* A gathering still under way cancels its transactions (an allocation
   * not made yet is deleted by the TURN gatherer if it completes). */
  for (i = 0; i < gatherers->len; i++)
    nav_gatherer_stop (g_ptr_array_index (gatherers, i));
  /* Each transport's answer comes, as the task's, in the caller's
   * thread-default context. */
  for (i = 0; i < transports->len; i++)
    {
      closing->pending++;
      nav_transport_close_async (g_ptr_array_index (transports, i), NULL,
                                 agent_close_transport_done, closing);
    }
  agent_close_step (closing);
}

/**
 * nav_agent_close_finish:
 * @agent: an agent
 * @result: the result given to the callback of
 *   [method@Nav.Agent.close_async]
 * @error: return location for a #GError
 *
 * Finishes [method@Nav.Agent.close_async] (libnice has no such function:
 * the result may be ignored).
 *
 * Returns: %TRUE
 *
 * Since: 1.0
 */
gboolean
nav_agent_close_finish (NavAgent      *agent,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, agent), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
