/* nav-agent-io.c: NavAgent's message I/O: each component's channel, the
 * receive demultiplexer, send, receive and the receive queue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The data path of a component is its NavDatagramChannel, bound to the
 * selected pair (DESIGN.md: NavChecker ::selected-pair → NavChannel bound
 * to the pair's transport) and rebound when another pair is selected:
 *
 *   transports ─► demultiplexer ─► STUN: the checker
 *                               └► data from an accepted source: the
 *                                  channel's input ─► its receive function
 *                                  (a layer stacked on it) or, without one,
 *                                  the agent's outputs: pseudo-TCP (reliable
 *                                  mode), attach_recv, new-data, the channel's
 *                                  message signal, the queue of recv_messages
 *   send, send_bytes, send_messages_nonblocking, pseudo-TCP ─► the channel
 *
 * The agent's own sends and its demultiplexer use the channel's _locked
 * entry points under the agent's lock, which the channel shares: nothing
 * more per datagram than before the channel was there.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nav-agent-private.h"
#include "nav-agent-io-private.h"
#include "nav-agent-reliable-private.h"
#include "nav-io-stream-private.h"
#include "nav-transport-private.h"
#include "nav-udp-transport-private.h"

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

/* Takes the demultiplexer off @transport: %FALSE when it was not on.
 * Called with the lock held. */
gboolean
nav_agent_unhook_transport (NavAgent     *agent,
                            NavTransport *transport)
{
  if (!g_hash_table_remove (agent->hooked, transport))
    return FALSE;
  /* The batch function's data is the hook: it goes first. */
  nav_transport_set_batch_done_func (transport, NULL, NULL);
  nav_transport_set_receive_func (transport, NULL, NULL, NULL);
  return TRUE;
}

void
nav_agent_unhook_candidates (NavAgent  *agent,
                   GPtrArray *candidates)
{
  guint i;

  for (i = 0; i < candidates->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (candidates, i);

      if (c->owner != NULL && nav_agent_unhook_transport (agent, c->owner))
        nav_transport_close (c->owner);
    }
}

/* ------------------------------------------------------------ channels */

static void
channel_lock (gpointer agent)
{
  nav_agent_lock (agent);
}

static void
channel_unlock (gpointer agent)
{
  nav_agent_unlock_and_emit (agent);
}

/* Called with the lock held. */
void
nav_agent_component_init_io (NavAgent       *agent,
                             AgentComponent *component)
{
  component->channel = nav_datagram_channel_new_owned (agent->context, G_OBJECT (agent),
                                                       channel_lock, channel_unlock);
  component->sources = g_array_new (FALSE, FALSE, sizeof (AgentSource));
}

/* The stream goes: its channel closes for good.  Called with the lock
 * held. */
void
nav_agent_component_clear_io (NavAgent       *agent,
                              AgentComponent *component)
{
  nav_agent_close_channel (agent, component);
  g_clear_object (&component->channel);
  g_clear_pointer (&component->sources, g_array_unref);
}

/* Issue 15: the selected pair's data leaves and arrives on a UDP socket
 * connect()ed to the pair's remote (nav_udp_transport_connect_peer()):
 * send(2) without an address nor a route lookup per datagram, and the
 * kernel's early demultiplexing on receipt.  The transport delivers what
 * comes on it as from the pair's remote, STUN included, so the checker's
 * consent checks on the selected pair (RFC 7675 §5) go over it both ways
 * unchanged.  Reopened on a new selection (a better pair, an ICE
 * restart's), closed when the pair goes; NAV_UDP_CONNECTED=0 in the
 * environment turns it off.  Called with the lock held. */
static void
update_connected (AgentComponent   *component,
                  NavTransport     *transport,
                  const NavAddress *peer)
{
  g_autoptr (GError) error = NULL;

  if (transport != NULL && (!NAV_IS_UDP_TRANSPORT (transport) || !nav_udp_connected_enabled ()))
    transport = NULL;
  if (transport == component->connected &&
      (transport == NULL || nav_address_equal (peer, &component->connected_peer)))
    return;
  if (component->connected != NULL)
    {
      nav_udp_transport_disconnect_peer (NAV_UDP_TRANSPORT (component->connected));
      g_clear_object (&component->connected);
    }
  if (transport == NULL)
    return;
  if (!nav_udp_transport_connect_peer (NAV_UDP_TRANSPORT (transport), peer, &error))
    {
      g_debug ("Stream %u component %u: %s", component->stream->id, component->id,
               error->message);
      return;
    }
  component->connected = g_object_ref (transport);
  component->connected_peer = *peer;
}

/* Called with the lock held. */
void
nav_agent_close_channel (NavAgent       *agent,
                         AgentComponent *component)
{
  update_connected (component, NULL, NULL);
  nav_datagram_channel_close_locked (component->channel);
  nav_agent_queue_channel_changes (agent, component);
}

/* The channel follows the selected pair: bound to its transport and
 * remote address, open while the component can send on it (not failed:
 * consent lost, or the pseudo-TCP over it reset).  The selected pair
 * carries data through an ICE restart until the new checks select
 * another (RFC 8445 §9).  Called with the lock held. */
void
nav_agent_update_channel (NavAgent       *agent,
                          AgentComponent *component)
{
  NavTransport *transport = NULL;
  const NavAddress *peer = NULL;

  if (component->selected_local != NULL && component->selected_remote != NULL)
    {
      transport = component->selected_local->owner;
      peer = &component->selected_remote->addr;
    }
  nav_datagram_channel_bind_locked (component->channel, transport, peer,
                                    component->state != NAV_COMPONENT_STATE_FAILED);
  update_connected (component, transport, peer);
  nav_agent_queue_channel_changes (agent, component);
}

/* The sources of a component's data, as libnice's valid candidates: the
 * selected pair's remote, those of pairs whose checks succeeded, those
 * whose checks to us passed authentication; the most recent first. */
#define MAX_SOURCES 64

/* Called with the lock held. */
void
nav_agent_accept_source (NavAgent         *agent,
                         AgentComponent   *component,
                         NavTransport     *transport,
                         const NavAddress *addr)
{
  AgentSource source = { transport, *addr };
  guint i;

  if (transport == NULL || !nav_address_is_valid (addr))
    return;
  for (i = 0; i < component->sources->len; i++)
    {
      AgentSource *s = &g_array_index (component->sources, AgentSource, i);

      if (s->transport == transport && nav_address_equal (&s->addr, addr))
        {
          g_array_remove_index (component->sources, i);
          break;
        }
    }
  if (i == component->sources->len && component->sources->len >= MAX_SOURCES)
    g_array_set_size (component->sources, MAX_SOURCES - 1);
  g_array_prepend_val (component->sources, source);
}

/* RFC 8445 §11: data from anyone else is dropped and counted, as libnice
 * drops it.  Called with the lock held. */
static gboolean
source_accepted (AgentComponent   *component,
                 NavTransport     *transport,
                 const NavAddress *from)
{
  const AgentSource *sources = (const AgentSource *) component->sources->data;
  guint i;

  /* The selected pair, or the last source, first. */
  if (G_LIKELY (component->sources->len > 0) && sources[0].transport == transport &&
      nav_address_equal (&sources[0].addr, from))
    return TRUE;
  if (component->any_source)
    return TRUE;
  for (i = 1; i < component->sources->len; i++)
    if (sources[i].transport == transport && nav_address_equal (&sources[i].addr, from))
      return TRUE;

  component->n_dropped++;
  /* 1, 2, 4, 8…: a flood is not a flood of messages. */
  if ((component->n_dropped & (component->n_dropped - 1)) == 0)
    {
      gchar buf[NAV_ADDRESS_STRING_LEN];

      g_debug ("Stream %u component %u: data from %s, no peer the checks know, dropped "
               "(%" G_GUINT64_FORMAT " so far)", component->stream->id, component->id,
               nav_address_to_string_buf (from, buf), component->n_dropped);
    }
  return FALSE;
}

/**
 * nav_agent_get_channel:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 *
 * Returns the component's data path as a [iface@Nav.Channel]: a
 * [class@Nav.DatagramChannel] that the agent binds to the component's
 * selected pair, and rebinds to the next one (a better pair, the pair of
 * an ICE restart, a relayed or ICE-TCP path), so that a channel stacked
 * on it (DTLS, then SCTP data channels) never notices the change.  It is
 * the same channel at each call, for the life of the stream.
 *
 * Its state is %NAV_CHANNEL_STATE_CONNECTING until a pair is selected,
 * %NAV_CHANNEL_STATE_OPEN while the component can send on it,
 * %NAV_CHANNEL_STATE_CONNECTING again while it cannot (its consent was
 * lost: an ICE restart may select another pair), and
 * %NAV_CHANNEL_STATE_CLOSED once the stream is removed or the agent
 * closed ([method@Nav.Agent.close_async]) or finalized.  Closing it
 * yourself ends the component's data path: [method@Nav.Agent.send] fails
 * afterwards.
 *
 * What is sent on it leaves as [method@Nav.Agent.send] sends.  What the
 * component receives from the peer goes to the channel's receive
 * function when a layer set one ([method@Nav.Channel.set_receive_func]),
 * and then to nothing else: not to [method@Nav.Agent.attach_recv]'s
 * function, [signal@Nav.Agent::new-data] nor
 * [method@Nav.Agent.recv_messages], nor, on a reliable agent, to its
 * pseudo-TCP.  [signal@Nav.Channel::message] is emitted for each datagram
 * in any case, when handlers are connected.
 *
 * Returns: (transfer full) (nullable): the channel, or %NULL when the
 *   component does not exist
 *
 * Since: 1.0
 */
NavChannel *
nav_agent_get_channel (NavAgent *agent,
                       guint     stream_id,
                       guint     component_id)
{
  AgentComponent *component;
  NavChannel *channel = NULL;

  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    channel = g_object_ref (NAV_CHANNEL (component->channel));
  nav_agent_unlock_and_emit (agent);
  return channel;
}

/**
 * nav_agent_get_dropped_datagrams:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 *
 * Returns how many datagrams of the component were dropped because they
 * came from a source no check proved to be the peer's (RFC 8445 §11):
 * not the selected pair's remote candidate on its local candidate, nor
 * one of a pair whose check succeeded, nor one whose check to us passed
 * authentication.  libnice drops them the same way, without counting.
 *
 * Returns: the number of datagrams dropped, 0 for an unknown component
 *
 * Since: 1.0
 */
guint64
nav_agent_get_dropped_datagrams (NavAgent *agent,
                                 guint     stream_id,
                                 guint     component_id)
{
  AgentComponent *component;
  guint64 n = 0;

  g_return_val_if_fail (NAV_IS_AGENT (agent), 0);

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    n = component->n_dropped;
  nav_agent_unlock_and_emit (agent);
  return n;
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
 * socket buffer: one ring of RECV_RING_SIZE bytes per component,
 * allocated the first time it is needed, each datagram copied in behind
 * a header (no allocation per datagram).  An entry that does not fit
 * before the end of the ring starts at its beginning; the reader skips
 * the gap (a header marked RING_WRAP, or too few bytes for a header). */
#define RECV_RING_SIZE (1024 * 1024)
#define RING_WRAP G_MAXUINT32

typedef struct {
  NavAddress from;
  guint32 len;
} RecvHeader;

static inline gsize
entry_size (gsize len)
{
  return (sizeof (RecvHeader) + len + 7) & ~(gsize) 7;
}

/* Called with the lock held. */
static gboolean
ring_push (AgentRecvRing    *r,
           const guint8     *data,
           gsize             len,
           const NavAddress *from)
{
  gsize size = entry_size (len), tail = r->tail, skip = 0;
  RecvHeader *h;

  if (size > RECV_RING_SIZE)
    return FALSE;
  if (tail + size > RECV_RING_SIZE)
    {
      skip = RECV_RING_SIZE - tail;
      tail = 0;
    }
  if (r->used + skip + size > RECV_RING_SIZE)
    return FALSE;
  if (r->data == NULL)
    r->data = g_malloc (RECV_RING_SIZE);
  if (skip >= sizeof (RecvHeader))
    ((RecvHeader *) (r->data + r->tail))->len = RING_WRAP;
  h = (RecvHeader *) (r->data + tail);
  h->from = *from;
  h->len = len;
  memcpy (h + 1, data, len);
  r->tail = tail + size;
  r->used += skip + size;
  r->count++;
  return TRUE;
}

/* The oldest entry, or NULL.  Called with the lock held. */
static const RecvHeader *
ring_peek (AgentRecvRing *r)
{
  if (r->count == 0)
    return NULL;
  if (RECV_RING_SIZE - r->head < sizeof (RecvHeader) ||
      ((RecvHeader *) (r->data + r->head))->len == RING_WRAP)
    {
      r->used -= RECV_RING_SIZE - r->head;
      r->head = 0;
    }
  return (const RecvHeader *) (r->data + r->head);
}

static void
ring_pop (AgentRecvRing *r)
{
  gsize size = entry_size (((RecvHeader *) (r->data + r->head))->len);

  r->head += size;
  r->used -= size;
  /* Empty: start over at the beginning, the whole ring in one piece. */
  if (--r->count == 0)
    r->head = r->tail = r->used = 0;
}

/* Called with the lock held. */
void
nav_agent_recv_ring_clear (AgentRecvRing *r)
{
  g_clear_pointer (&r->data, g_free);
  r->head = r->tail = r->used = 0;
  r->count = 0;
}

/* A receive function called in a main context other than the agent's
 * (attach_recv()'s @ctx) gets the datagrams that arrive meanwhile in
 * one invocation, from a buffer the agent reuses: one wakeup of that
 * context per batch, no allocation per datagram.  The hop's bytes are
 * each datagram's length (guint32) then its bytes. */
typedef struct {
  NavAgent *agent;
  guint stream_id;
  guint component_id;
} HopInvocation;

static void
hop_invocation_free (gpointer data)
{
  HopInvocation *h = data;

  g_object_unref (h->agent);
  g_free (h);
}

static gboolean
hop_invoke (gpointer user_data)
{
  HopInvocation *h = user_data;
  NavAgent *agent = h->agent;
  AgentComponent *component;
  g_autoptr (GByteArray) batch = NULL;
  NavAgentRecvFunc func;
  gpointer func_data;
  gsize off = 0;

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, h->stream_id, h->component_id);
  if (component == NULL)
    {
      nav_agent_unlock_and_emit (agent);
      return G_SOURCE_REMOVE;
    }
  /* Take the buffer; the spare (emptied last time) takes its place. */
  batch = g_steal_pointer (&component->hop);
  component->hop = component->hop_spare != NULL ? g_steal_pointer (&component->hop_spare)
                                                : g_byte_array_new ();
  component->hop_scheduled = FALSE;
  func = component->recv_func;
  func_data = component->recv_data;
  nav_agent_unlock_and_emit (agent);

  /* Detached meanwhile: the data was for nobody, as libnice drops it. */
  while (func != NULL && off < batch->len)
    {
      guint32 len;

      memcpy (&len, batch->data + off, sizeof len);
      func (agent, h->stream_id, h->component_id, len, (gchar *) batch->data + off + sizeof len,
            func_data);
      off += sizeof len + len;
    }

  g_byte_array_set_size (batch, 0);
  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, h->stream_id, h->component_id);
  if (component != NULL && component->hop_spare == NULL)
    component->hop_spare = g_steal_pointer (&batch);
  nav_agent_unlock_and_emit (agent);
  return G_SOURCE_REMOVE;
}

/* Called with the lock held: @data for the receive function's context;
 * the invocation that takes it is scheduled if none is pending. */
static void
hop_push (NavAgent       *agent,
          AgentComponent *component,
          const guint8   *data,
          gsize           len)
{
  guint32 len32 = len;

  if (component->hop == NULL)
    component->hop = g_byte_array_new ();
  /* Bounded like the receive queue: a context that never runs does not
   * make the agent grow without end. */
  if (component->hop->len + sizeof len32 + len > RECV_RING_SIZE)
    return;
  g_byte_array_append (component->hop, (const guint8 *) &len32, sizeof len32);
  g_byte_array_append (component->hop, data, len);
  if (!component->hop_scheduled)
    {
      HopInvocation *h = g_new (HopInvocation, 1);

      h->agent = g_object_ref (agent);
      h->stream_id = component->stream->id;
      h->component_id = component->id;
      component->hop_scheduled = TRUE;
      g_main_context_invoke_full (component->recv_context, G_PRIORITY_DEFAULT, hop_invoke, h,
                                  hop_invocation_free);
    }
}

/* After a batch of the transport's datagrams: one wakeup of the blocking
 * receivers for all of them. */
static void
agent_batch_done (NavTransport *transport,
                  gpointer      user_data)
{
  Hook *hook = user_data;
  NavAgent *agent = hook->agent;
  gboolean wake;

  nav_agent_lock (agent);
  wake = hook->component->wake_pending;
  hook->component->wake_pending = FALSE;
  nav_agent_unlock_and_emit (agent);
  if (wake)
    nav_agent_recv_wake (agent);
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
  guint stream_id = hook->stream_id;
  guint component_id = hook->component_id;
  AgentComponent *component;
  NavChannelReceiveFunc layer;
  gpointer layer_data = NULL;
  NavAgentRecvFunc func;
  gpointer func_data;
  GMainContext *func_context;
  NavDatagramChannel *message_channel = NULL;
  NavChecker *checker = NULL;
  gboolean new_data, queued, wake;

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
          stream = nav_agent_lookup_stream (agent, stream_id);
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

  /* The hook is there while the component is: no lookup. */
  nav_agent_lock (agent);
  component = hook->component;
  if (!source_accepted (component, transport, from))
    {
      nav_agent_unlock_and_emit (agent);
      return;
    }
  component->packets_received++;
  component->bytes_received += len;

  /* A layer stacked on the channel takes it all. */
  layer = nav_datagram_channel_get_receive_func_locked (component->channel, &layer_data);
  if (layer != NULL)
    {
      NavDatagramChannel *channel = g_object_ref (component->channel);

      nav_agent_unlock_and_emit (agent);
      layer (NAV_CHANNEL (channel), data, len, layer_data);
      if (nav_datagram_channel_has_message_handlers (channel))
        {
          g_autoptr (GBytes) bytes = g_bytes_new (data, len);

          nav_datagram_channel_emit_message (channel, bytes);
        }
      g_object_unref (channel);
      return;
    }

  /* A reliable agent's data is pseudo-TCP segments. */
  if (agent->reliable && !nav_agent_reliable_pair_is_stream (component))
    {
      nav_agent_unlock_and_emit (agent);
      nav_agent_reliable_receive (agent, transport, stream_id, component_id, data, len);
      return;
    }

  func = component->recv_func;
  func_data = component->recv_data;
  func_context = component->recv_context;
  new_data = g_signal_has_handler_pending (agent, nav_agent_signals[SIG_NEW_DATA], 0, FALSE);
  if (nav_datagram_channel_has_message_handlers (component->channel))
    message_channel = g_object_ref (component->channel);
  if (func == NULL && !new_data && message_channel == NULL)
    {
      /* Kept for nav_agent_recv_messages(); when the queue is full,
       * dropped, as a full socket buffer would.  The blocking receivers
       * wake once per batch of the transport, when it has batches. */
      queued = ring_push (&component->recv_ring, data, len, from);
      wake = queued && !hook->batched;
      component->wake_pending |= queued && hook->batched;
      nav_agent_unlock_and_emit (agent);
      if (wake)
        nav_agent_recv_wake (agent);
      return;
    }
  /* In another context: batched into one invocation there. */
  if (func != NULL && func_context != NULL && func_context != agent->context &&
      !g_main_context_is_owner (func_context))
    {
      hop_push (agent, component, data, len);
      func = NULL;
    }
  nav_agent_unlock_and_emit (agent);

  /* From here on the hook may be gone: the function may remove the
   * stream. */
  if (func != NULL)
    func (agent, stream_id, component_id, len, (gchar *) data, func_data);
  if (new_data || message_channel != NULL)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (data, len);

      if (new_data)
        g_signal_emit (agent, nav_agent_signals[SIG_NEW_DATA], 0, stream_id, component_id, bytes);
      if (message_channel != NULL)
        nav_datagram_channel_emit_message (message_channel, bytes);
    }
  g_clear_object (&message_channel);
}

/* Called with the lock held. */
void
nav_agent_hook_transport (NavAgent       *agent,
                          AgentComponent *component,
                          NavTransport   *transport)
{
  Hook *hook;

  if (transport == NULL || g_hash_table_contains (agent->hooked, transport))
    return;
  hook = g_new0 (Hook, 1);
  hook->agent = agent;
  hook->component = component;
  hook->stream_id = component->stream->id;
  hook->component_id = component->id;
  hook->batched = nav_transport_delivers_batches (transport);
  g_hash_table_add (agent->hooked, transport);
  nav_transport_set_receive_func (transport, agent_receive, hook, g_free);
  if (hook->batched)
    nav_transport_set_batch_done_func (transport, agent_batch_done, hook);
}

/* The channel is open: a pair is selected and the component has not
 * failed (nav_agent_update_channel()).  Called with the lock held. */
gboolean
nav_agent_can_send (AgentComponent *component)
{
  return component != NULL && nav_datagram_channel_is_open_locked (component->channel);
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

  /* Through the channel, under the lock, as in libnice: no reference
   * taken and dropped per datagram.  The lock is recursive and signals
   * wait for the outermost unlock, so a transport that reports an error
   * from its send path calls back into the agent safely. */
  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    ok = nav_datagram_channel_send_locked (component->channel, (const guint8 *) buf, len, NULL);
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
  AgentComponent *component;
  gsize len;
  const guint8 *buf;
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

  buf = g_bytes_get_data (data, &len);
  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (nav_agent_can_send (component))
    ok = nav_datagram_channel_send_locked (component->channel, buf, len, error);
  else
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_CLOSED,
                   _("Stream %u component %u has no selected pair"), stream_id, component_id);
      ok = FALSE;
    }
  nav_agent_unlock_and_emit (agent);
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
  g_autoptr (NavChannel) channel = NULL;
  AgentComponent *component;
  gint sent;

  g_return_val_if_fail (NAV_IS_AGENT (agent), -1);
  g_return_val_if_fail (messages != NULL || n_messages == 0, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  if (agent->reliable)
    return nav_agent_reliable_send (agent, stream_id, component_id, messages, n_messages, FALSE,
                                    error);
  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (nav_agent_can_send (component))
    channel = g_object_ref (NAV_CHANNEL (component->channel));
  nav_agent_unlock_and_emit (agent);
  if (channel == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                   _("Stream %u component %u has no selected pair"), stream_id, component_id);
      return -1;
    }
  /* The channel's batch: on UDP, sendmmsg(2) outside the lock. */
  sent = nav_channel_send_messages (channel, messages, n_messages, &local_error);
  if (sent < 0)
    {
      /* A full send buffer is no error here: nothing was sent. */
      if (g_error_matches (local_error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_WOULD_BLOCK))
        return 0;
      if (g_error_matches (local_error, NAV_ERROR, NAV_ERROR_CLOSED))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                     _("Stream %u component %u has no selected pair"), stream_id, component_id);
      else
        set_io_error_from_transport (local_error, error);
    }
  return sent;
}

static void
copy_to_message (const RecvHeader *entry,
                 NavInputMessage  *message)
{
  const guint8 *data = (const guint8 *) (entry + 1);
  gsize off = 0;
  guint i;

  for (i = 0; (message->n_buffers < 0 ? message->buffers[i].buffer != NULL
                                      : i < (guint) message->n_buffers) && off < entry->len; i++)
    {
      gsize n = MIN (message->buffers[i].size, entry->len - off);

      memcpy (message->buffers[i].buffer, data + off, n);
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
      const RecvHeader *entry;
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
      while (got < n_messages && (entry = ring_peek (&component->recv_ring)) != NULL)
        {
          copy_to_message (entry, &messages[got++]);
          ring_pop (&component->recv_ring);
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
