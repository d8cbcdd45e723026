/* nav-agent-io.c: NavAgent's message I/O: the receive demultiplexer,
 * send, receive and the receive queue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nav-agent-private.h"
#include "nav-agent-io-private.h"
#include "nav-agent-reliable-private.h"
#include "nav-io-stream-private.h"

/* Wakes the blocking receivers: they look at their queue again. */
void
nav_agent_recv_wake (NavAgent *agent)
{
  gboolean iterating;

  g_mutex_lock (&agent->recv_mutex);
  agent->recv_generation++;
  iterating = agent->recv_waiters > 0;
  g_cond_broadcast (&agent->recv_cond);
  g_mutex_unlock (&agent->recv_mutex);
  if (iterating)
    g_main_context_wakeup (agent->context);
}

void
nav_agent_unhook_candidates (NavAgent  *agent,
                   GPtrArray *candidates)
{
  guint i;

  for (i = 0; i < candidates->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (candidates, i);

      if (c->owner != NULL && g_hash_table_remove (agent->hooked, c->owner))
        {
          nav_transport_set_receive_func (c->owner, NULL, NULL, NULL);
          nav_transport_close (c->owner);
        }
    }
}

/* ------------------------------------------------------------- receiving */

gboolean
nav_agent_recv_invoke (gpointer user_data)
{
  NavAgentRecvInvocation *r = user_data;
  gsize len;
  const gchar *data = g_bytes_get_data (r->data, &len);

  r->func (r->agent, r->stream_id, r->component_id, len, (gchar *) data, r->user_data);
  return G_SOURCE_REMOVE;
}

void
nav_agent_recv_invocation_free (gpointer data)
{
  NavAgentRecvInvocation *r = data;

  g_object_unref (r->agent);
  g_bytes_unref (r->data);
  g_free (r);
}

/* What nav_agent_recv_messages() has not taken yet, bounded like a
 * socket buffer. */
#define RECV_QUEUE_MAX_BYTES (1024 * 1024)

typedef struct {
  NavAddress from;
  gsize len;
  guint8 data[];
} RecvEntry;

/* Called with the lock held. */
static gboolean
recv_enqueue (AgentComponent   *component,
              const guint8     *data,
              gsize             len,
              const NavAddress *from)
{
  RecvEntry *entry;

  if (component->recv_queued_bytes + len > RECV_QUEUE_MAX_BYTES)
    return FALSE;
  entry = g_malloc (sizeof (RecvEntry) + len);
  entry->from = *from;
  entry->len = len;
  memcpy (entry->data, data, len);
  g_queue_push_tail (&component->recv_queue, entry);
  component->recv_queued_bytes += len;
  return TRUE;
}

static void
agent_receive (NavTransport     *transport,
               const guint8     *data,
               gsize             len,
               const NavAddress *from,
               gpointer          user_data)
{
  Hook *hook = user_data;
  NavAgent *agent = hook->agent;
  NavAgentRecvFunc func = NULL;
  gpointer func_data = NULL;
  GMainContext *func_context = NULL;
  NavChecker *checker = NULL;
  gboolean queued = FALSE;

  /* RFC 7983 §7: STUN starts with 0–3 in its first byte. */
  if (len > 0 && data[0] < 4 && nav_stun_message_is_stun (data, len))
    {
      /* The class bits C1 C0 (RFC 8489 §5) are 00 for a request. */
      gboolean request = (data[0] & 0x01) == 0 && (data[1] & 0x10) == 0;
      AgentStream *stream;

      nav_agent_lock (agent);
      checker = agent->checker != NULL ? g_object_ref (agent->checker) : NULL;
      nav_agent_unlock_and_emit (agent);
      if (checker == NULL)
        return;
      if (nav_checker_handle_message (checker, transport, data, len, from) && request)
        {
          nav_agent_lock (agent);
          stream = nav_agent_lookup_stream (agent, hook->stream_id);
          if (stream != NULL && !stream->initial_binding_seen)
            {
              stream->initial_binding_seen = TRUE;
              nav_agent_queue_signal (agent, SIG_INITIAL_BINDING_REQUEST_RECEIVED, stream->id, 0, 0,
                            NULL, NULL);
            }
          nav_agent_unlock_and_emit (agent);
        }
      g_object_unref (checker);
      /* Whatever the checker did not take (another tier's response, or
       * garbage) is no application data: dropped. */
      return;
    }

  /* A reliable agent's data is pseudo-TCP segments. */
  if (agent->reliable &&
      nav_agent_reliable_receive (agent, transport, hook->stream_id, hook->component_id, data, len))
    return;

  nav_agent_lock (agent);
  {
    AgentComponent *component = nav_agent_lookup_component (agent, hook->stream_id, hook->component_id);

    if (component != NULL)
      {
        func = component->recv_func;
        func_data = component->recv_data;
        func_context = component->recv_context;
        if (func == NULL &&
            !g_signal_has_handler_pending (agent, nav_agent_signals[SIG_NEW_DATA], 0, FALSE))
          {
            queued = recv_enqueue (component, data, len, from);
            if (!queued)
              {
                /* The queue is full: dropped, as a full socket buffer would. */
                nav_agent_unlock_and_emit (agent);
                return;
              }
          }
      }
  }
  nav_agent_unlock_and_emit (agent);
  if (queued)
    {
      nav_agent_recv_wake (agent);
      return;
    }

  if (func != NULL)
    {
      if (func_context == NULL || func_context == agent->context ||
          g_main_context_is_owner (func_context))
        func (agent, hook->stream_id, hook->component_id, len, (gchar *) data, func_data);
      else
        {
          NavAgentRecvInvocation *r = g_new0 (NavAgentRecvInvocation, 1);

          r->agent = g_object_ref (agent);
          r->stream_id = hook->stream_id;
          r->component_id = hook->component_id;
          r->func = func;
          r->user_data = func_data;
          r->data = g_bytes_new (data, len);
          g_main_context_invoke_full (func_context, G_PRIORITY_DEFAULT, nav_agent_recv_invoke, r,
                                      nav_agent_recv_invocation_free);
        }
    }
  if (g_signal_has_handler_pending (agent, nav_agent_signals[SIG_NEW_DATA], 0, FALSE))
    {
      g_autoptr (GBytes) bytes = g_bytes_new (data, len);

      g_signal_emit (agent, nav_agent_signals[SIG_NEW_DATA], 0, hook->stream_id, hook->component_id,
                     bytes);
    }
}

/* Called with the lock held. */
void
nav_agent_hook_transport (NavAgent     *agent,
                NavTransport *transport,
                guint         stream_id,
                guint         component_id)
{
  Hook *hook;

  if (transport == NULL || g_hash_table_contains (agent->hooked, transport))
    return;
  hook = g_new0 (Hook, 1);
  hook->agent = agent;
  hook->stream_id = stream_id;
  hook->component_id = component_id;
  g_hash_table_add (agent->hooked, transport);
  nav_transport_set_receive_func (transport, agent_receive, hook, g_free);
}

/* The selected pair carries data until consent is lost, and through an
 * ICE restart until the new checks select another (RFC 8445 §9).  Called
 * with the lock held. */
gboolean
nav_agent_can_send (AgentComponent *component)
{
  return component != NULL && component->selected_local != NULL &&
         component->selected_local->owner != NULL &&
         component->state != NAV_COMPONENT_STATE_FAILED;
}

/* Called without the lock: takes what the send needs. */
static gboolean
selected_path (NavAgent      *agent,
               guint          stream_id,
               guint          component_id,
               NavTransport **transport,
               NavAddress    *to)
{
  AgentComponent *component;
  gboolean ok = FALSE;

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (nav_agent_can_send (component))
    {
      *transport = g_object_ref (component->selected_local->owner);
      *to = component->selected_remote->addr;
      ok = TRUE;
    }
  nav_agent_unlock_and_emit (agent);
  return ok;
}

/**
 * nav_agent_send:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @len: the length of @buf
 * @buf: (array length=len) (element-type guint8): the data
 *
 * Sends one datagram on the component's selected pair, as
 * `nice_agent_send()`.
 *
 * On a reliable agent ([ctor@Nav.Agent.new_reliable]), writes @buf into
 * the component's pseudo-TCP stream instead: the return value is the
 * number of bytes taken (possibly fewer than @len), or -1 when none fit
 * (not connected yet, or the send buffer is full) — then wait for
 * [signal@Nav.Agent::reliable-transport-writable].
 *
 * Returns: @len on success, -1 when there is no selected pair or the
 *   datagram could not be sent
 *
 * Since: 1.0
 */
gint
nav_agent_send (NavAgent    *agent,
                guint        stream_id,
                guint        component_id,
                guint        len,
                const gchar *buf)
{
  AgentComponent *component;
  gboolean ok = FALSE;

  g_return_val_if_fail (NAV_IS_AGENT (agent), -1);
  g_return_val_if_fail (buf != NULL || len == 0, -1);

  if (G_UNLIKELY (agent->reliable))
    {
      GOutputVector vector = { buf, len };
      NavOutputMessage message = { &vector, 1 };

      return nav_agent_reliable_send (agent, stream_id, component_id, &message, 1, TRUE, NULL);
    }

  /* The datagram leaves under the lock, as in libnice: no reference taken
   * and dropped per datagram.  The lock is recursive and signals wait for
   * the outermost unlock, so a transport that reports an error from its
   * send path calls back into the agent safely. */
  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (nav_agent_can_send (component))
    ok = nav_transport_send (component->selected_local->owner,
                             &component->selected_remote->addr,
                             (const guint8 *) buf, len, NULL);
  nav_agent_unlock_and_emit (agent);
  return ok ? (gint) len : -1;
}

/**
 * nav_agent_send_bytes:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @data: the datagram
 * @error: return location for a #GError
 *
 * Sends one datagram on the component's selected pair: the form of
 * [method@Nav.Agent.send] for bindings.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
nav_agent_send_bytes (NavAgent  *agent,
                      guint      stream_id,
                      guint      component_id,
                      GBytes    *data,
                      GError   **error)
{
  NavTransport *transport = NULL;
  NavAddress to;
  gboolean ok;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);

  if (agent->reliable)
    {
      gsize size;
      GOutputVector vector;
      NavOutputMessage message = { &vector, 1 };

      vector.buffer = g_bytes_get_data (data, &size);
      vector.size = size;
      return nav_agent_reliable_send (agent, stream_id, component_id, &message, 1, FALSE, error) == 1;
    }

  if (!selected_path (agent, stream_id, component_id, &transport, &to))
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_CLOSED,
                   _("Stream %u component %u has no selected pair"), stream_id, component_id);
      return FALSE;
    }
  ok = nav_transport_send_bytes (transport, &to, data, error);
  g_object_unref (transport);
  return ok;
}

/**
 * nav_agent_attach_recv: (skip)
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @ctx: (nullable): where @func is called; %NULL for the agent's context
 * @func: (nullable): the function that receives the component's data, or
 *   %NULL to detach
 * @data: data for @func
 *
 * Sets the receiver of a component's data, as `nice_agent_attach_recv()`.
 * Bindings connect to [signal@Nav.Agent::new-data] instead.
 *
 * Returns: %TRUE when the component exists
 *
 * Since: 1.0
 */
gboolean
nav_agent_attach_recv (NavAgent         *agent,
                       guint             stream_id,
                       guint             component_id,
                       GMainContext     *ctx,
                       NavAgentRecvFunc  func,
                       gpointer          data)
{
  AgentComponent *component;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    {
      component->recv_func = func;
      component->recv_data = data;
      g_clear_pointer (&component->recv_context, g_main_context_unref);
      if (ctx != NULL && func != NULL)
        component->recv_context = g_main_context_ref (ctx);
      if (agent->reliable && func != NULL)
        nav_agent_reliable_recv_attached (agent, component);
    }
  nav_agent_unlock_and_emit (agent);
  return component != NULL;
}

/* ---------------------------------------------- message vectors (libnice) */

/* A transport's error in the GIO terms of libnice's send calls. */
static void
set_io_error_from_transport (GError       *transport_error,
                             GError      **error)
{
  GIOErrorEnum code = G_IO_ERROR_FAILED;

  if (transport_error->domain == NAV_TRANSPORT_ERROR)
    switch (transport_error->code)
      {
      case NAV_TRANSPORT_ERROR_CLOSED:
        code = G_IO_ERROR_CLOSED;
        break;
      case NAV_TRANSPORT_ERROR_MESSAGE_TOO_LARGE:
        code = G_IO_ERROR_MESSAGE_TOO_LARGE;
        break;
      case NAV_TRANSPORT_ERROR_NOT_CONNECTED:
        code = G_IO_ERROR_NOT_CONNECTED;
        break;
      default:
        break;
      }
  else if (transport_error->domain == G_IO_ERROR)
    code = transport_error->code;
  g_set_error_literal (error, G_IO_ERROR, code, transport_error->message);
}

/**
 * nav_agent_send_messages_nonblocking: (skip)
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @messages: (array length=n_messages): the messages, one datagram each
 * @n_messages: the number of @messages
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends several datagrams on the component's selected pair without
 * blocking, as `nice_agent_send_messages_nonblocking()`: on a UDP path
 * they go to the kernel in batches (`sendmmsg()`).  Bindings use
 * [method@Nav.Agent.send_bytes].
 *
 * Returns: the number of messages sent, which is less than @n_messages
 *   (possibly 0) when the socket's send buffer filled up; -1 on error,
 *   with %G_IO_ERROR_BROKEN_PIPE when the component has no selected pair
 *
 * Since: 1.0
 */
gint
nav_agent_send_messages_nonblocking (NavAgent               *agent,
                                     guint                   stream_id,
                                     guint                   component_id,
                                     const NavOutputMessage *messages,
                                     guint                   n_messages,
                                     GCancellable           *cancellable,
                                     GError                **error)
{
  g_autoptr (GError) local_error = NULL;
  NavTransport *transport = NULL;
  NavAddress to;
  gint sent;

  g_return_val_if_fail (NAV_IS_AGENT (agent), -1);
  g_return_val_if_fail (messages != NULL || n_messages == 0, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  if (agent->reliable)
    return nav_agent_reliable_send (agent, stream_id, component_id, messages, n_messages, FALSE, error);
  if (!selected_path (agent, stream_id, component_id, &transport, &to))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                   _("Stream %u component %u has no selected pair"), stream_id, component_id);
      return -1;
    }
  /* On UDP, batches of sendmmsg(2) (the transport's send_messages). */
  sent = nav_transport_send_messages (transport, &to, messages, n_messages, &local_error);
  g_object_unref (transport);
  if (sent < 0)
    {
      /* A full send buffer is no error here: nothing was sent. */
      if (g_error_matches (local_error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_WOULD_BLOCK))
        return 0;
      set_io_error_from_transport (local_error, error);
    }
  return sent;
}

static void
copy_to_message (const RecvEntry *entry,
                 NavInputMessage *message)
{
  gsize off = 0;
  guint i;

  for (i = 0; (message->n_buffers < 0 ? message->buffers[i].buffer != NULL
                                      : i < (guint) message->n_buffers) && off < entry->len; i++)
    {
      gsize n = MIN (message->buffers[i].size, entry->len - off);

      memcpy (message->buffers[i].buffer, entry->data + off, n);
      off += n;
    }
  /* A datagram larger than the buffers is truncated, as recvmsg() does. */
  message->length = off;
  if (message->from != NULL)
    *message->from = entry->from;
}

static void
on_recv_cancelled (GCancellable *cancellable,
                   NavAgent     *agent)
{
  nav_agent_recv_wake (agent);
}

/* Waits for the receive queues to change after @generation, or for
 * @cancellable. */
void
nav_agent_recv_wait (NavAgent     *agent,
           guint64       generation,
           GCancellable *cancellable)
{
  if (g_main_context_acquire (agent->context))
    {
      /* Nobody else runs the agent's context (or this thread does): the
       * data comes from its sources, so run them here. */
      GSource *cancel_source = NULL;
      gboolean changed;

      if (cancellable != NULL)
        {
          cancel_source = g_cancellable_source_new (cancellable);
          g_source_set_dummy_callback (cancel_source);
          g_source_attach (cancel_source, agent->context);
        }
      g_mutex_lock (&agent->recv_mutex);
      agent->recv_waiters++;
      changed = agent->recv_generation != generation;
      g_mutex_unlock (&agent->recv_mutex);
      if (!changed && !g_cancellable_is_cancelled (cancellable))
        g_main_context_iteration (agent->context, TRUE);
      g_mutex_lock (&agent->recv_mutex);
      agent->recv_waiters--;
      g_mutex_unlock (&agent->recv_mutex);
      if (cancel_source != NULL)
        {
          g_source_destroy (cancel_source);
          g_source_unref (cancel_source);
        }
      g_main_context_release (agent->context);
    }
  else
    {
      /* Another thread runs the context: its receive callback wakes us. */
      gulong handler = 0;

      if (cancellable != NULL)
        handler = g_cancellable_connect (cancellable, G_CALLBACK (on_recv_cancelled), agent, NULL);
      g_mutex_lock (&agent->recv_mutex);
      while (agent->recv_generation == generation && !g_cancellable_is_cancelled (cancellable))
        g_cond_wait (&agent->recv_cond, &agent->recv_mutex);
      g_mutex_unlock (&agent->recv_mutex);
      if (cancellable != NULL)
        g_cancellable_disconnect (cancellable, handler);
    }
}

/* One pass of a receive loop begins: the generation to wait on is noted,
 * then the component is looked up under the lock.  Returns it with the
 * lock held, or %NULL (unlocked) and why not. */
AgentComponent *
nav_agent_recv_pass_begin (NavAgent    *agent,
                 guint        stream_id,
                 guint        component_id,
                 guint64     *generation,
                 NavAgentRecvRefusal *why)
{
  AgentComponent *component;

  g_mutex_lock (&agent->recv_mutex);
  *generation = agent->recv_generation;
  g_mutex_unlock (&agent->recv_mutex);

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL && component->recv_func == NULL)
    return component;
  *why = component == NULL ? NAV_AGENT_RECV_GONE : NAV_AGENT_RECV_ATTACHED;
  nav_agent_unlock_and_emit (agent);
  return NULL;
}

void
nav_agent_recv_refused (NavAgentRecvRefusal   why,
              guint         stream_id,
              guint         component_id,
              GError      **error)
{
  if (why == NAV_AGENT_RECV_GONE)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                 _("Stream %u has no component %u"), stream_id, component_id);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 _("Stream %u component %u has a receive function attached"),
                 stream_id, component_id);
}

/* A pass got @got messages and wants more: %TRUE when the receive ends
 * here with *@ret (@got when some came, else -1 and @error), not
 * blocking or cancelled; %FALSE to wait. */
gboolean
nav_agent_recv_pass_end (gint           got,
               gboolean       blocking,
               GCancellable  *cancellable,
               gint          *ret,
               GError       **error)
{
  if (blocking && !g_cancellable_is_cancelled (cancellable))
    return FALSE;
  *ret = got;
  if (got > 0)
    return TRUE;
  *ret = -1;
  if (!blocking)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, _("No data is waiting"));
  else
    g_cancellable_set_error_if_cancelled (cancellable, error);
  return TRUE;
}

static gint
recv_messages (NavAgent        *agent,
               guint            stream_id,
               guint            component_id,
               NavInputMessage *messages,
               guint            n_messages,
               gboolean         blocking,
               GCancellable    *cancellable,
               GError         **error)
{
  gboolean first = TRUE;
  guint got = 0;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  if (agent->reliable)
    return nav_agent_reliable_recv_messages (agent, stream_id, component_id, messages, n_messages,
                                   blocking, cancellable, error);

  for (;;)
    {
      AgentComponent *component;
      RecvEntry *entry;
      guint64 generation;
      NavAgentRecvRefusal why;
      gint ret;

      component = nav_agent_recv_pass_begin (agent, stream_id, component_id, &generation, &why);
      if (component == NULL)
        {
          /* The stream removed while we waited: what came before it. */
          if (why == NAV_AGENT_RECV_GONE && !first)
            return got;
          if (got > 0)
            return got;
          nav_agent_recv_refused (why, stream_id, component_id, error);
          return -1;
        }
      while (got < n_messages && (entry = g_queue_pop_head (&component->recv_queue)) != NULL)
        {
          copy_to_message (entry, &messages[got++]);
          component->recv_queued_bytes -= entry->len;
          g_free (entry);
        }
      nav_agent_unlock_and_emit (agent);
      first = FALSE;

      if (got == n_messages)
        return got;
      if (nav_agent_recv_pass_end (got, blocking, cancellable, &ret, error))
        return ret;
      nav_agent_recv_wait (agent, generation, cancellable);
    }
}

/**
 * nav_agent_recv_messages: (skip)
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @messages: (array length=n_messages): where the datagrams go, one per
 *   message
 * @n_messages: the number of @messages
 * @cancellable: (nullable): a #GCancellable, to stop waiting from another
 *   thread
 * @error: return location for a #GError
 *
 * Receives @n_messages datagrams of a component, waiting for them, as
 * `nice_agent_recv_messages()`.  Each message gets one datagram:
 * #NavInputMessage.length is set to its size (a datagram larger than the
 * buffers is truncated) and #NavInputMessage.from, when not %NULL, to its
 * sender.  STUN never reaches @messages: the agent handles it.
 *
 * The agent keeps a component's data for this function while no
 * [method@Nav.Agent.attach_recv] function and no
 * [signal@Nav.Agent::new-data] handler takes it, up to 1 MiB (later
 * datagrams are dropped, as by a full socket buffer).  When no other
 * thread runs the agent's main context, this function runs it while it
 * waits.
 *
 * On a reliable agent ([ctor@Nav.Agent.new_reliable]) the messages are
 * filled in order as one byte stream, as libnice does: the call returns
 * when every buffer is full, or at the end of the stream (the peer's FIN
 * or RST) with the messages that got data; the data waits in the
 * pseudo-TCP receive buffer meanwhile, whose window holds the sender
 * back.
 *
 * Returns: the number of messages received: @n_messages, fewer when
 *   @cancellable was cancelled or the stream removed after some arrived,
 *   0 when the stream was removed before; -1 on error, with
 *   %G_IO_ERROR_BROKEN_PIPE for an unknown component,
 *   %G_IO_ERROR_CANCELLED, or %G_IO_ERROR_FAILED when a receive function
 *   is attached
 *
 * Since: 1.0
 */
gint
nav_agent_recv_messages (NavAgent        *agent,
                         guint            stream_id,
                         guint            component_id,
                         NavInputMessage *messages,
                         guint            n_messages,
                         GCancellable    *cancellable,
                         GError         **error)
{
  g_return_val_if_fail (NAV_IS_AGENT (agent), -1);
  g_return_val_if_fail (messages != NULL || n_messages == 0, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (n_messages == 0)
    return 0;
  return recv_messages (agent, stream_id, component_id, messages, n_messages, TRUE,
                        cancellable, error);
}

/**
 * nav_agent_recv_messages_nonblocking: (skip)
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @messages: (array length=n_messages): where the datagrams go, one per
 *   message
 * @n_messages: the number of @messages
 * @cancellable: (nullable): a #GCancellable, checked once
 * @error: return location for a #GError
 *
 * Takes the datagrams that are waiting, at most @n_messages, as
 * `nice_agent_recv_messages_nonblocking()`; see
 * [method@Nav.Agent.recv_messages].
 *
 * Returns: the number of messages received (more than 0 unless
 *   @n_messages is 0), or -1 with %G_IO_ERROR_WOULD_BLOCK when none is
 *   waiting, or another error as [method@Nav.Agent.recv_messages]
 *
 * Since: 1.0
 */
gint
nav_agent_recv_messages_nonblocking (NavAgent        *agent,
                                     guint            stream_id,
                                     guint            component_id,
                                     NavInputMessage *messages,
                                     guint            n_messages,
                                     GCancellable    *cancellable,
                                     GError         **error)
{
  g_return_val_if_fail (NAV_IS_AGENT (agent), -1);
  g_return_val_if_fail (messages != NULL || n_messages == 0, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (n_messages == 0)
    return 0;
  return recv_messages (agent, stream_id, component_id, messages, n_messages, FALSE,
                        cancellable, error);
}

static gssize
recv_one (NavAgent      *agent,
          guint          stream_id,
          guint          component_id,
          guint8        *buf,
          gsize          buf_len,
          gboolean       blocking,
          GCancellable  *cancellable,
          GError       **error)
{
  GInputVector vector = { buf, buf_len };
  NavInputMessage message = { &vector, 1, NULL, 0 };
  gint n;

  if (buf_len == 0)
    return 0;
  n = recv_messages (agent, stream_id, component_id, &message, 1, blocking, cancellable, error);
  return n > 0 ? (gssize) message.length : n;
}

/**
 * nav_agent_recv:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @buf: (array length=buf_len) (element-type guint8) (out caller-allocates):
 *   where the datagram goes
 * @buf_len: the size of @buf
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Receives one datagram, waiting for it, as `nice_agent_recv()`: the
 * one-message form of [method@Nav.Agent.recv_messages].
 *
 * Returns: the number of bytes written to @buf (the datagram is truncated
 *   to @buf_len), 0 when the stream was removed, -1 on error
 *
 * Since: 1.0
 */
gssize
nav_agent_recv (NavAgent      *agent,
                guint          stream_id,
                guint          component_id,
                guint8        *buf,
                gsize          buf_len,
                GCancellable  *cancellable,
                GError       **error)
{
  g_return_val_if_fail (NAV_IS_AGENT (agent), -1);
  g_return_val_if_fail (buf != NULL || buf_len == 0, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  return recv_one (agent, stream_id, component_id, buf, buf_len, TRUE, cancellable, error);
}

/**
 * nav_agent_recv_nonblocking:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @buf: (array length=buf_len) (element-type guint8) (out caller-allocates):
 *   where the datagram goes
 * @buf_len: the size of @buf
 * @cancellable: (nullable): a #GCancellable, checked once
 * @error: return location for a #GError
 *
 * Takes one waiting datagram, as `nice_agent_recv_nonblocking()`.
 *
 * Returns: the number of bytes written to @buf, or -1 with
 *   %G_IO_ERROR_WOULD_BLOCK when none is waiting, or another error
 *
 * Since: 1.0
 */
gssize
nav_agent_recv_nonblocking (NavAgent      *agent,
                            guint          stream_id,
                            guint          component_id,
                            guint8        *buf,
                            gsize          buf_len,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_return_val_if_fail (NAV_IS_AGENT (agent), -1);
  g_return_val_if_fail (buf != NULL || buf_len == 0, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  return recv_one (agent, stream_id, component_id, buf, buf_len, FALSE, cancellable, error);
}

static GBytes *
recv_bytes (NavAgent      *agent,
            guint          stream_id,
            guint          component_id,
            gboolean       blocking,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autofree guint8 *buf = g_malloc (65536);
  GInputVector vector = { buf, 65536 };
  NavInputMessage message = { &vector, 1, NULL, 0 };
  gint n;

  if (agent->reliable)
    {
      /* A byte stream: what is there (at least one byte when blocking),
       * empty at its end. */
      gssize got = nav_agent_reliable_transfer (agent, stream_id, component_id, FALSE, buf,
                                                65536, blocking, cancellable, error);

      if (got < 0)
        return NULL;
      return g_bytes_new_take (g_realloc (g_steal_pointer (&buf), MAX (got, 1)), got);
    }
  n = recv_messages (agent, stream_id, component_id, &message, 1, blocking, cancellable, error);
  if (n < 0)
    return NULL;
  if (n == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                   _("Stream %u was removed"), stream_id);
      return NULL;
    }
  return g_bytes_new_take (g_realloc (g_steal_pointer (&buf), MAX (message.length, 1)),
                           message.length);
}

/**
 * nav_agent_recv_bytes:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Receives one datagram, waiting for it: the form of
 * [method@Nav.Agent.recv] for bindings.  On a reliable agent
 * ([ctor@Nav.Agent.new_reliable]), the bytes of the stream that are
 * waiting (at least one), up to 64 KiB.
 *
 * Returns: (transfer full): the datagram, or %NULL on error
 *   (%G_IO_ERROR_CLOSED when the stream was removed); on a reliable
 *   agent, empty at the end of the stream
 *
 * Since: 1.0
 */
GBytes *
nav_agent_recv_bytes (NavAgent      *agent,
                      guint          stream_id,
                      guint          component_id,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return recv_bytes (agent, stream_id, component_id, TRUE, cancellable, error);
}

/**
 * nav_agent_recv_bytes_nonblocking:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @cancellable: (nullable): a #GCancellable, checked once
 * @error: return location for a #GError
 *
 * Takes one waiting datagram: the form of
 * [method@Nav.Agent.recv_nonblocking] for bindings.
 *
 * Returns: (transfer full): the datagram, or %NULL with
 *   %G_IO_ERROR_WOULD_BLOCK when none is waiting, or another error
 *
 * Since: 1.0
 */
GBytes *
nav_agent_recv_bytes_nonblocking (NavAgent      *agent,
                                  guint          stream_id,
                                  guint          component_id,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return recv_bytes (agent, stream_id, component_id, FALSE, cancellable, error);
}
