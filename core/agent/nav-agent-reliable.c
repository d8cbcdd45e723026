/* nav-agent-reliable.c: NavAgent's reliable mode: libnice's pseudo-TCP over
 * the selected pair
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nav-agent-private.h"
#include "nav-agent-io-private.h"
#include "nav-agent-reliable-private.h"
#include "nav-pseudo-tcp-private.h"
#include "nav-io-stream-private.h"
#include "nav-transport-private.h"

/* --------------------------------------------------------- reliable mode */

/* libnice's reliable mode: a reliable agent (nav_agent_new_reliable(),
 * NAV_AGENT_OPTION_RELIABLE) runs pseudo-TCP (nav-pseudo-tcp.c) over the
 * selected pair of each component, as libnice does, so that it talks to a
 * reliable NiceAgent.  Both sides open the connection when a pair is
 * selected (a simultaneous open works); segments that arrive before are
 * kept until then, since no acknowledgement could leave.  ICE-TCP pairs
 * are reliable already: their data goes as is, as in libnice.
 *
 * Everything here runs under the agent lock; the receive function and
 * the new-data signal get the stream's bytes after it is released. */

/* libnice's MTU of pseudo-TCP segments. */
#define RELIABLE_MTU 1400
/* Segments kept before a pair is selected. */
#define RELIABLE_EARLY_MAX 64
/* What one call of the receive function gets at most. */
#define RELIABLE_DELIVERY_MAX (64 * 1024)

typedef struct _ReliableComponent ReliableComponent;

struct _ReliableComponent {
  NavAgent *agent;              /* weak: the component is the agent's */
  AgentComponent *component;
  NavPseudoTcp *tcp;
  GSource *clock;
  gboolean clock_set;
  gint64 clock_at;
  GQueue early;                 /* GBytes */
  gboolean opened;
  gboolean failed;
  GPtrArray *sources;           /* GSource of nav_agent_reliable_source_new() */
  GIOStream *io_stream;
};

typedef struct {
  GSource source;
  GWeakRef agent;
  guint stream_id;
  guint component_id;
  GIOCondition condition;
} ReadySource;

/* The selected pair is ICE-TCP: no pseudo-TCP on it. */
gboolean
nav_agent_reliable_pair_is_stream (AgentComponent *component)
{
  return component->selected_local != NULL &&
         component->selected_local->transport != NAV_CANDIDATE_TRANSPORT_UDP;
}

/* Wakes what waits on the component: blocking receivers and senders,
 * and the pollable sources of its GIOStream. */
static void
reliable_wake (NavAgent          *agent,
               ReliableComponent *rc)
{
  guint i;

  nav_agent_recv_wake (agent);
  for (i = 0; i < rc->sources->len; i++)
    {
      GMainContext *context = g_source_get_context (g_ptr_array_index (rc->sources, i));

      if (context != NULL)
        g_main_context_wakeup (context);
    }
}

static NavPseudoTcpWriteResult
reliable_write_packet (NavPseudoTcp *tcp,
                       const guint8 *data,
                       gsize         len,
                       gpointer      user_data)
{
  ReliableComponent *rc = user_data;
  AgentComponent *component = rc->component;

  if (!nav_agent_can_send (component))
    return NAV_PSEUDO_TCP_WRITE_FAILED;
  /* Through the channel.  A full socket buffer drops the segment:
   * pseudo-TCP sees a loss and slows down, as libnice's does. */
  nav_datagram_channel_send_locked (component->channel, data, len, NULL);
  return NAV_PSEUDO_TCP_WRITE_OK;
}

static void
reliable_opened (NavPseudoTcp *tcp,
                 gpointer      user_data)
{
  ReliableComponent *rc = user_data;

  rc->opened = TRUE;
  nav_agent_queue_signal (rc->agent, SIG_RELIABLE_TRANSPORT_WRITABLE, rc->component->stream->id,
                rc->component->id, 0, NULL, NULL);
  reliable_wake (rc->agent, rc);
}

static void
reliable_readable (NavPseudoTcp *tcp,
                   gpointer      user_data)
{
  /* reliable_flush() hands the data out after each step. */
}

static void
reliable_writable (NavPseudoTcp *tcp,
                   gpointer      user_data)
{
  ReliableComponent *rc = user_data;

  nav_agent_queue_signal (rc->agent, SIG_RELIABLE_TRANSPORT_WRITABLE, rc->component->stream->id,
                rc->component->id, 0, NULL, NULL);
  reliable_wake (rc->agent, rc);
}

/* Reset by the peer, or it stopped acknowledging: the component fails,
 * as in libnice. */
static void
reliable_closed (NavPseudoTcp *tcp,
                 guint32       error,
                 gpointer      user_data)
{
  ReliableComponent *rc = user_data;

  /* Our own reset as the stream goes: nothing to tell. */
  if (rc->component->reliable != rc)
    return;
  rc->failed = TRUE;
  g_debug ("Stream %u component %u: pseudo-TCP closed: %s", rc->component->stream->id,
           rc->component->id, g_strerror (error));
  nav_agent_set_component_state (rc->agent, rc->component, NAV_COMPONENT_STATE_FAILED);
  reliable_wake (rc->agent, rc);
}

static gboolean
reliable_clock_dispatch (GSource     *source,
                         GSourceFunc  callback,
                         gpointer     user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs reliable_clock_funcs = { NULL, NULL, reliable_clock_dispatch, NULL, NULL, NULL };

typedef struct {
  GWeakRef agent;
  guint stream_id;
  guint component_id;
} ClockTarget;

static void
clock_target_free (gpointer data)
{
  ClockTarget *t = data;

  g_weak_ref_clear (&t->agent);
  g_free (t);
}

typedef struct {
  NavAgentRecvFunc func;
  gpointer func_data;
  GMainContext *func_context;
  gboolean signal;
  guint stream_id;
  guint component_id;
  GBytes *bytes;
} ReliableDelivery;

static void reliable_flush (NavAgent *agent, ReliableComponent *rc, ReliableDelivery *delivery);
static void reliable_deliver (NavAgent *agent, ReliableDelivery *delivery);

static gboolean
reliable_on_clock (gpointer user_data)
{
  ClockTarget *t = user_data;
  NavAgent *agent = g_weak_ref_get (&t->agent);
  ReliableDelivery delivery = { 0 };
  AgentComponent *component;

  if (agent == NULL)
    return G_SOURCE_REMOVE;
  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, t->stream_id, t->component_id);
  if (component != NULL && component->reliable != NULL)
    {
      ReliableComponent *rc = component->reliable;

      rc->clock_set = FALSE;
      if (rc->tcp != NULL)
        nav_pseudo_tcp_notify_clock (rc->tcp);
      reliable_flush (agent, rc, &delivery);
    }
  nav_agent_unlock_and_emit (agent);
  reliable_deliver (agent, &delivery);
  g_object_unref (agent);
  return G_SOURCE_CONTINUE;
}

static ReliableComponent *
reliable_get (NavAgent       *agent,
              AgentComponent *component)
{
  static const NavPseudoTcpCallbacks callbacks = {
    reliable_opened, reliable_readable, reliable_writable, reliable_closed,
    reliable_write_packet,
  };
  ReliableComponent *rc = component->reliable;
  ClockTarget *target;

  if (rc != NULL)
    return rc;
  rc = g_new0 (ReliableComponent, 1);
  rc->agent = agent;
  rc->component = component;
  /* Conversation 0, as libnice's. */
  rc->tcp = nav_pseudo_tcp_new (0, &callbacks, rc);
  g_queue_init (&rc->early);
  rc->sources = g_ptr_array_new ();
  target = g_new0 (ClockTarget, 1);
  g_weak_ref_init (&target->agent, agent);
  target->stream_id = component->stream->id;
  target->component_id = component->id;
  rc->clock = g_source_new (&reliable_clock_funcs, sizeof (GSource));
  g_source_set_static_name (rc->clock, "NavAgent pseudo-TCP clock");
  g_source_set_callback (rc->clock, reliable_on_clock, target, clock_target_free);
  g_source_attach (rc->clock, agent->context);
  component->reliable = rc;
  return rc;
}

void
nav_agent_reliable_component_free (NavAgent       *agent,
                         AgentComponent *component)
{
  ReliableComponent *rc = component->reliable;
  guint i;

  if (rc == NULL)
    return;
  /* Detached first: what the io stream's last unref calls back finds
   * no connection. */
  component->reliable = NULL;
  if (!nav_pseudo_tcp_is_closed (rc->tcp))
    nav_pseudo_tcp_abort (rc->tcp);
  nav_pseudo_tcp_free (rc->tcp);
  g_source_destroy (rc->clock);
  g_source_unref (rc->clock);
  g_queue_clear_full (&rc->early, (GDestroyNotify) g_bytes_unref);
  for (i = 0; i < rc->sources->len; i++)
    {
      GMainContext *context = g_source_get_context (g_ptr_array_index (rc->sources, i));

      if (context != NULL)
        g_main_context_wakeup (context);
    }
  g_ptr_array_unref (rc->sources);
  nav_agent_recv_wake (agent);
  g_clear_object (&rc->io_stream);
  g_free (rc);
}

/* After each step of the engine: the clock set to its next deadline,
 * the data handed to the receive function or the new-data signal (when
 * the application takes it that way; otherwise it stays in the
 * receive buffer for nav_agent_recv_messages() and the window closes),
 * and at the end of the stream our side closed too, as libnice does. */
static void
reliable_flush (NavAgent          *agent,
                ReliableComponent *rc,
                ReliableDelivery  *delivery)
{
  AgentComponent *component = rc->component;
  gboolean signal = g_signal_has_handler_pending (agent, nav_agent_signals[SIG_NEW_DATA], 0, FALSE);
  gint64 when;

  if (component->recv_func != NULL || signal)
    {
      gsize available = nav_pseudo_tcp_get_available_bytes (rc->tcp);

      if (available > 0)
        {
          gsize want = MIN (available, RELIABLE_DELIVERY_MAX);
          guint8 *buf = g_malloc (want);
          gssize got = nav_pseudo_tcp_recv (rc->tcp, buf, want);

          if (got > 0)
            {
              delivery->func = component->recv_func;
              delivery->func_data = component->recv_data;
              delivery->func_context = component->recv_context != NULL
                                     ? g_main_context_ref (component->recv_context) : NULL;
              delivery->signal = signal;
              delivery->stream_id = component->stream->id;
              delivery->component_id = component->id;
              delivery->bytes = g_bytes_new_take (buf, got);
              /* More than one delivery's worth: the clock comes back at once. */
              if (nav_pseudo_tcp_get_available_bytes (rc->tcp) > 0)
                {
                  g_source_set_ready_time (rc->clock, 0);
                  rc->clock_set = FALSE;
                }
            }
          else
            g_free (buf);
        }
      else if (nav_pseudo_tcp_is_closed_remotely (rc->tcp) &&
               nav_pseudo_tcp_get_state (rc->tcp) == NAV_PSEUDO_TCP_CLOSE_WAIT)
        nav_pseudo_tcp_shutdown_write (rc->tcp);
    }
  else if (nav_pseudo_tcp_get_available_bytes (rc->tcp) > 0 ||
           nav_pseudo_tcp_is_closed_remotely (rc->tcp))
    reliable_wake (agent, rc);

  if (nav_pseudo_tcp_get_next_clock (rc->tcp, &when))
    {
      if (!rc->clock_set || when != rc->clock_at)
        {
          if (g_source_get_ready_time (rc->clock) != 0)
            g_source_set_ready_time (rc->clock, when * 1000);
          rc->clock_at = when;
          rc->clock_set = TRUE;
        }
    }
}

/* Without the lock. */
static void
reliable_deliver (NavAgent         *agent,
                  ReliableDelivery *delivery)
{
  gsize len;
  const gchar *data;

  if (delivery->bytes == NULL)
    return;
  data = g_bytes_get_data (delivery->bytes, &len);
  if (delivery->func != NULL)
    {
      if (delivery->func_context == NULL || delivery->func_context == agent->context ||
          g_main_context_is_owner (delivery->func_context))
        delivery->func (agent, delivery->stream_id, delivery->component_id, len, (gchar *) data,
                        delivery->func_data);
      else
        {
          NavAgentRecvInvocation *r = g_new0 (NavAgentRecvInvocation, 1);

          r->agent = g_object_ref (agent);
          r->stream_id = delivery->stream_id;
          r->component_id = delivery->component_id;
          r->func = delivery->func;
          r->user_data = delivery->func_data;
          r->data = g_bytes_ref (delivery->bytes);
          g_main_context_invoke_full (delivery->func_context, G_PRIORITY_DEFAULT, nav_agent_recv_invoke, r,
                                      nav_agent_recv_invocation_free);
        }
    }
  if (delivery->signal)
    g_signal_emit (agent, nav_agent_signals[SIG_NEW_DATA], 0, delivery->stream_id, delivery->component_id,
                   delivery->bytes);
  g_clear_pointer (&delivery->bytes, g_bytes_unref);
  g_clear_pointer (&delivery->func_context, g_main_context_unref);
}

/* A datagram that is no STUN, on a reliable agent: TRUE when taken. */
gboolean
nav_agent_reliable_receive (NavAgent     *agent,
                  NavTransport *transport,
                  guint         stream_id,
                  guint         component_id,
                  const guint8 *data,
                  gsize         len)
{
  ReliableDelivery delivery = { 0 };
  AgentComponent *component;
  ReliableComponent *rc;

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component == NULL || nav_agent_reliable_pair_is_stream (component))
    {
      nav_agent_unlock_and_emit (agent);
      return FALSE;
    }
  rc = reliable_get (agent, component);
  if (nav_pseudo_tcp_is_closed (rc->tcp))
    ;                           /* a failed component: ignored, as libnice does */
  else if (!nav_agent_can_send (component))
    {
      if (rc->early.length < RELIABLE_EARLY_MAX)
        g_queue_push_tail (&rc->early, g_bytes_new (data, len));
    }
  else
    {
      /* Garbage is counted by the engine and dropped. */
      nav_pseudo_tcp_notify_packet (rc->tcp, data, len);
      if (component->reliable == rc)
        reliable_flush (agent, rc, &delivery);
    }
  nav_agent_unlock_and_emit (agent);
  reliable_deliver (agent, &delivery);
  return TRUE;
}

void
nav_agent_reliable_selected_pair (NavAgent       *agent,
                        AgentComponent *component)
{
  ReliableComponent *rc;
  GBytes *early;

  if (nav_agent_reliable_pair_is_stream (component))
    return;
  rc = reliable_get (agent, component);
  while ((early = g_queue_pop_head (&rc->early)) != NULL)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (early, &len);

      nav_pseudo_tcp_notify_packet (rc->tcp, data, len);
      g_bytes_unref (early);
    }
  /* Both sides connect; one that heard the other's connect already
   * answered it. */
  if (nav_pseudo_tcp_get_state (rc->tcp) == NAV_PSEUDO_TCP_LISTEN)
    nav_pseudo_tcp_connect (rc->tcp);
  nav_pseudo_tcp_notify_mtu (rc->tcp, RELIABLE_MTU);
  /* The data and deadlines go out from the clock, outside this call. */
  g_source_set_ready_time (rc->clock, 0);
  rc->clock_set = FALSE;
}

void
nav_agent_reliable_recv_attached (NavAgent       *agent,
                        AgentComponent *component)
{
  ReliableComponent *rc = reliable_get (agent, component);

  /* What came before goes to the new function from the clock. */
  g_source_set_ready_time (rc->clock, 0);
  rc->clock_set = FALSE;
}

/* Writes @messages into the stream: bytes accepted when @allow_partial
 * (nav_agent_send()), else whole messages; -1 with G_IO_ERROR_WOULD_BLOCK
 * when nothing fitted or the connection is not open yet. */
gint
nav_agent_reliable_send (NavAgent               *agent,
               guint                   stream_id,
               guint                   component_id,
               const NavOutputMessage *messages,
               guint                   n_messages,
               gboolean                allow_partial,
               GError                **error)
{
  ReliableDelivery delivery = { 0 };
  AgentComponent *component;
  ReliableComponent *rc;
  gsize bytes = 0;
  guint done = 0;
  gint result;

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component == NULL)
    {
      nav_agent_unlock_and_emit (agent);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                   _("Stream %u has no component %u"), stream_id, component_id);
      return -1;
    }
  if (nav_agent_reliable_pair_is_stream (component) && nav_agent_can_send (component))
    {
      /* ICE-TCP: each message is a frame of the reliable transport, sent
       * through the channel. */
      g_autofree guint8 *scratch = NULL;
      gsize scratch_size = 0;

      for (done = 0; done < n_messages; done++)
        {
          gsize size;
          const guint8 *data = nav_output_message_gather (&messages[done], &size, &scratch,
                                                          &scratch_size);

          if (!nav_datagram_channel_send_locked (component->channel, data, size, NULL))
            break;
          bytes += size;
        }
      nav_agent_unlock_and_emit (agent);
      result = allow_partial ? (gint) bytes : (gint) done;
      if (result == 0 && n_messages > 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                               _("The connection cannot take more data now"));
          return -1;
        }
      return result;
    }

  rc = reliable_get (agent, component);
  if (nav_pseudo_tcp_is_closed (rc->tcp) && rc->opened)
    {
      nav_agent_unlock_and_emit (agent);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Stream %u component %u: the pseudo-TCP connection is closed"),
                   stream_id, component_id);
      return -1;
    }
  for (done = 0; done < n_messages; done++)
    {
      const NavOutputMessage *m = &messages[done];
      gboolean blocked = FALSE;
      guint i;

      if (!allow_partial &&
          nav_output_message_get_size (m, NULL) > nav_pseudo_tcp_get_available_send_space (rc->tcp))
        break;
      for (i = 0; m->n_buffers < 0 ? m->buffers[i].buffer != NULL : i < (guint) m->n_buffers; i++)
        {
          gssize n;

          if (m->buffers[i].size == 0)
            continue;
          n = nav_pseudo_tcp_send (rc->tcp, m->buffers[i].buffer, m->buffers[i].size);
          if (n < 0)
            {
              blocked = TRUE;
              break;
            }
          bytes += n;
          if ((gsize) n < m->buffers[i].size)
            {
              blocked = TRUE;
              break;
            }
        }
      if (blocked)
        break;
    }
  reliable_flush (agent, rc, &delivery);
  nav_agent_unlock_and_emit (agent);
  reliable_deliver (agent, &delivery);

  result = allow_partial ? (gint) MIN (bytes, (gsize) G_MAXINT) : (gint) done;
  if (result == 0 && n_messages > 0)
    {
      /* Not connected yet, or the send buffer is full: the
       * reliable-transport-writable signal says when to try again. */
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                           _("The connection cannot take more data now"));
      return -1;
    }
  return result;
}

/* Where a reliable receive has got to in the caller's messages. */
typedef struct {
  guint message;
  guint buffer;
  gsize offset;
} RecvIter;

static gboolean
recv_iter_at_end (const RecvIter        *iter,
                  const NavInputMessage *messages,
                  guint                  n_messages)
{
  return iter->message >= n_messages;
}

static guint
recv_iter_n_valid (const RecvIter *iter)
{
  return iter->message + (iter->buffer > 0 || iter->offset > 0 ? 1 : 0);
}

/* Fills the messages from the receive buffer: FALSE at the end of the
 * stream. */
static gboolean
reliable_fill (NavPseudoTcp    *tcp,
               NavInputMessage *messages,
               guint            n_messages,
               RecvIter        *iter)
{
  for (; iter->message < n_messages; iter->message++, iter->buffer = 0, iter->offset = 0)
    {
      NavInputMessage *m = &messages[iter->message];

      if (iter->buffer == 0 && iter->offset == 0)
        m->length = 0;
      for (; m->n_buffers < 0 ? m->buffers[iter->buffer].buffer != NULL
                              : iter->buffer < (guint) m->n_buffers;
           iter->buffer++, iter->offset = 0)
        {
          GInputVector *v = &m->buffers[iter->buffer];

          while (iter->offset < v->size)
            {
              gssize n = nav_pseudo_tcp_recv (tcp, (guint8 *) v->buffer + iter->offset,
                                              v->size - iter->offset);

              if (n == 0)
                return FALSE;
              if (n < 0)
                return TRUE;
              iter->offset += n;
              m->length += n;
            }
        }
    }
  return TRUE;
}

/* The receive of a reliable agent: @messages are filled in order as one
 * byte stream, as libnice does.  Blocking, it returns when all are full,
 * at the end of the stream, or on cancellation. */
gint
nav_agent_reliable_recv_messages (NavAgent        *agent,
                        guint            stream_id,
                        guint            component_id,
                        NavInputMessage *messages,
                        guint            n_messages,
                        gboolean         blocking,
                        GCancellable    *cancellable,
                        GError         **error)
{
  RecvIter iter = { 0, 0, 0 };

  for (;;)
    {
      ReliableDelivery delivery = { 0 };
      AgentComponent *component;
      ReliableComponent *rc;
      gboolean eos = FALSE, failed = FALSE;
      guint64 generation;
      NavAgentRecvRefusal why;
      gint ret;

      component = nav_agent_recv_pass_begin (agent, stream_id, component_id, &generation, &why);
      if (component == NULL)
        {
          if (why == NAV_AGENT_RECV_GONE && recv_iter_n_valid (&iter) > 0)
            return recv_iter_n_valid (&iter);
          nav_agent_recv_refused (why, stream_id, component_id, error);
          return -1;
        }
      rc = reliable_get (agent, component);
      if (nav_agent_reliable_pair_is_stream (component))
        {
          nav_agent_unlock_and_emit (agent);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       _("Stream %u component %u: a reliable receive on an ICE-TCP pair "
                         "needs a receive function"), stream_id, component_id);
          return -1;
        }
      eos = !reliable_fill (rc->tcp, messages, n_messages, &iter);
      failed = rc->failed && nav_pseudo_tcp_get_available_bytes (rc->tcp) == 0;
      reliable_flush (agent, rc, &delivery);
      nav_agent_unlock_and_emit (agent);
      reliable_deliver (agent, &delivery);

      if (recv_iter_at_end (&iter, messages, n_messages) || eos)
        return recv_iter_n_valid (&iter);
      if (failed)
        {
          if (recv_iter_n_valid (&iter) > 0)
            return recv_iter_n_valid (&iter);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                       _("Stream %u component %u: the pseudo-TCP connection failed"),
                       stream_id, component_id);
          return -1;
        }
      if (nav_agent_recv_pass_end (recv_iter_n_valid (&iter), blocking, cancellable, &ret, error))
        return ret;
      nav_agent_recv_wait (agent, generation, cancellable);
    }
}

/* What the GIOStream of nav_agent_get_io_stream() calls
 * (nav-io-stream-private.h). */

gboolean
nav_agent_reliable_check (NavAgent     *agent,
                          guint         stream_id,
                          guint         component_id,
                          GIOCondition  condition)
{
  AgentComponent *component;
  gboolean ready = TRUE;

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL && component->reliable != NULL && !component->reliable->failed)
    {
      NavPseudoTcp *tcp = component->reliable->tcp;

      if (condition & G_IO_IN)
        ready = nav_pseudo_tcp_get_available_bytes (tcp) > 0 ||
                nav_pseudo_tcp_is_closed_remotely (tcp) || nav_pseudo_tcp_is_closed (tcp);
      else
        ready = nav_pseudo_tcp_is_closed (tcp) ||
                (nav_pseudo_tcp_get_state (tcp) == NAV_PSEUDO_TCP_ESTABLISHED &&
                 nav_pseudo_tcp_get_available_send_space (tcp) > 0);
    }
  else if (component != NULL && component->reliable == NULL)
    ready = FALSE;              /* no pair selected yet */
  nav_agent_unlock_and_emit (agent);
  return ready;
}

/* One read or write of the GIOStream: bytes (0 at the end of the
 * stream), or -1; blocking, it waits for at least one byte. */
gssize
nav_agent_reliable_transfer (NavAgent      *agent,
                             guint          stream_id,
                             guint          component_id,
                             gboolean       write,
                             guint8        *buf,
                             gsize          len,
                             gboolean       blocking,
                             GCancellable  *cancellable,
                             GError       **error)
{
  len = MIN (len, (gsize) G_MAXINT);
  for (;;)
    {
      g_autoptr (GError) local_error = NULL;
      guint64 generation;
      gint n;

      g_mutex_lock (&agent->recv_mutex);
      generation = agent->recv_generation;
      g_mutex_unlock (&agent->recv_mutex);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return -1;
      if (write)
        {
          GOutputVector vector = { buf, len };
          NavOutputMessage message = { &vector, 1 };

          n = nav_agent_reliable_send (agent, stream_id, component_id, &message, 1, TRUE, &local_error);
        }
      else
        {
          GInputVector vector = { buf, len };
          NavInputMessage message = { &vector, 1, NULL, 0 };

          n = nav_agent_reliable_recv_messages (agent, stream_id, component_id, &message, 1, FALSE,
                                      cancellable, &local_error);
          if (n >= 0)
            n = (gint) message.length;
        }
      if (n >= 0)
        return n;
      if (!blocking || !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return -1;
        }
      nav_agent_recv_wait (agent, generation, cancellable);
    }
}

/* Graceful: our FIN after the data (a closed output stream), or the end
 * of reading (a closed input stream). */
void
nav_agent_reliable_shutdown (NavAgent *agent,
                             guint     stream_id,
                             guint     component_id,
                             gboolean  read,
                             gboolean  write)
{
  ReliableDelivery delivery = { 0 };
  AgentComponent *component;

  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL && component->reliable != NULL)
    {
      ReliableComponent *rc = component->reliable;

      if (read)
        nav_pseudo_tcp_shutdown_read (rc->tcp);
      if (write)
        nav_pseudo_tcp_shutdown_write (rc->tcp);
      reliable_flush (agent, rc, &delivery);
      reliable_wake (agent, rc);
    }
  nav_agent_unlock_and_emit (agent);
  reliable_deliver (agent, &delivery);
}

static gboolean
ready_source_prepare (GSource *source,
                      gint    *timeout)
{
  ReadySource *r = (ReadySource *) source;
  g_autoptr (NavAgent) agent = g_weak_ref_get (&r->agent);

  *timeout = -1;
  if (agent == NULL)
    return TRUE;
  return nav_agent_reliable_check (agent, r->stream_id, r->component_id, r->condition);
}

static gboolean
ready_source_check (GSource *source)
{
  gint timeout;

  return ready_source_prepare (source, &timeout);
}

static gboolean
ready_source_dispatch (GSource     *source,
                       GSourceFunc  callback,
                       gpointer     user_data)
{
  return callback != NULL ? callback (user_data) : G_SOURCE_CONTINUE;
}

static void
ready_source_finalize (GSource *source)
{
  ReadySource *r = (ReadySource *) source;
  NavAgent *agent = g_weak_ref_get (&r->agent);

  if (agent != NULL)
    {
      AgentComponent *component;

      nav_agent_lock (agent);
      component = nav_agent_lookup_component (agent, r->stream_id, r->component_id);
      if (component != NULL && component->reliable != NULL)
        g_ptr_array_remove_fast (component->reliable->sources, source);
      nav_agent_unlock_and_emit (agent);
      g_object_unref (agent);
    }
  g_weak_ref_clear (&r->agent);
}

static GSourceFuncs ready_source_funcs = {
  ready_source_prepare, ready_source_check, ready_source_dispatch, ready_source_finalize,
  NULL, NULL,
};

/* A source ready while the component is readable (G_IO_IN) or writable
 * (G_IO_OUT), or broken; the child of the streams' pollable sources. */
GSource *
nav_agent_reliable_source_new (NavAgent     *agent,
                               guint         stream_id,
                               guint         component_id,
                               GIOCondition  condition)
{
  GSource *source = g_source_new (&ready_source_funcs, sizeof (ReadySource));
  ReadySource *r = (ReadySource *) source;
  AgentComponent *component;

  g_weak_ref_init (&r->agent, agent);
  r->stream_id = stream_id;
  r->component_id = component_id;
  r->condition = condition;
  g_source_set_static_name (source, "NavAgent reliable stream");
  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    g_ptr_array_add (reliable_get (agent, component)->sources, source);
  nav_agent_unlock_and_emit (agent);
  return source;
}

/**
 * nav_agent_new_reliable:
 * @ctx: (nullable): the main context of the agent's sockets, timers and
 *   signals; %NULL for the thread-default one
 * @compat: the flavour of ICE
 *
 * Creates a reliable agent, as `nice_agent_new_reliable()`: the data of
 * each component goes through pseudo-TCP over its selected pair (the
 * pseudo-TCP of libjingle as libnice extends it, so a reliable
 * `NiceAgent` is the peer), and arrives whole and in order.
 *
 * On such an agent, [method@Nav.Agent.send] writes into the stream and
 * returns the number of bytes it took, or -1 when none fit (the send
 * buffer is full, or the connection is not open yet): then
 * [signal@Nav.Agent::reliable-transport-writable] says when to write
 * again.  The receive function of [method@Nav.Agent.attach_recv] (and
 * [signal@Nav.Agent::new-data]) gets the stream's bytes in order, in
 * pieces of any size; [method@Nav.Agent.recv_messages] fills its
 * messages as one byte stream.  [method@Nav.Agent.get_io_stream] gives a
 * #GIOStream over a component.
 *
 * The connection opens when a pair is selected (both sides connect, as
 * libnice's do); it is reset (RST) when the stream is removed, and a
 * component whose connection is reset by the peer or stops being
 * acknowledged becomes %NAV_COMPONENT_STATE_FAILED, as in libnice.  Over
 * an ICE-TCP pair the data goes as is, without pseudo-TCP.
 *
 * Returns: (transfer full): a new agent
 *
 * Since: 1.0
 */
NavAgent *
nav_agent_new_reliable (GMainContext     *ctx,
                        NavCompatibility  compat)
{
  return g_object_new (NAV_TYPE_AGENT, "main-context", ctx, "compatibility", compat,
                       "reliable", TRUE, NULL);
}

/**
 * nav_agent_get_io_stream:
 * @agent: a reliable agent (see [ctor@Nav.Agent.new_reliable])
 * @stream_id: a stream
 * @component_id: a component
 *
 * Returns a #GIOStream over the component's reliable connection, as
 * `nice_agent_get_io_stream()`: the same one at each call.  Its input and
 * output streams are pollable (#GPollableInputStream,
 * #GPollableOutputStream).  A read waits for at least one byte and
 * returns 0 at the end of the stream (the peer's FIN); a write waits
 * until the stream takes at least one byte.  Closing the output stream
 * sends a FIN after the data; closing the input stream stops reading.
 * Reads fail while a receive function is attached
 * ([method@Nav.Agent.attach_recv]).
 *
 * Calling it on an agent that is not reliable is a programming error, as
 * with libnice (a critical); [method@Nav.Agent.get_io_stream_full] says
 * so with a #GError instead.
 *
 * Returns: (transfer full) (nullable): the stream, or %NULL when the
 *   agent is not reliable or the component does not exist
 *
 * Since: 1.0
 */
GIOStream *
nav_agent_get_io_stream (NavAgent *agent,
                         guint     stream_id,
                         guint     component_id)
{
  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);
  g_return_val_if_fail (agent->reliable, NULL);

  return nav_agent_get_io_stream_full (agent, stream_id, component_id, NULL);
}

/**
 * nav_agent_get_io_stream_full:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @error: return location for a #GError
 *
 * [method@Nav.Agent.get_io_stream] for an application that does not know
 * how the agent was made: an agent that is not reliable is an error it
 * can show (`NAV_ERROR_NOT_SUPPORTED`: create it with
 * [ctor@Nav.Agent.new_reliable]), as is a component that does not exist
 * (`NAV_ERROR_INVALID_ARGUMENT`).
 *
 * Returns: (transfer full): the stream, or %NULL with @error set
 *
 * Since: 1.0
 */
GIOStream *
nav_agent_get_io_stream_full (NavAgent  *agent,
                              guint      stream_id,
                              guint      component_id,
                              GError   **error)
{
  AgentComponent *component;
  GIOStream *io_stream = NULL;

  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!agent->reliable)
    {
      g_set_error_literal (error, NAV_ERROR, NAV_ERROR_NOT_SUPPORTED,
                           _("The agent is not reliable: a byte stream needs an agent made "
                             "with nav_agent_new_reliable()"));
      return NULL;
    }
  nav_agent_lock (agent);
  component = nav_agent_lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    {
      ReliableComponent *rc = reliable_get (agent, component);

      if (rc->io_stream == NULL)
        rc->io_stream = nav_io_stream_new (agent, stream_id, component_id);
      io_stream = g_object_ref (rc->io_stream);
    }
  nav_agent_unlock_and_emit (agent);
  if (io_stream == NULL)
    g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                 _("The agent has no component %u in stream %u"), component_id, stream_id);
  return io_stream;
}
