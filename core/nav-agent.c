/* nav-agent.c: the ICE agent, libnice's NiceAgent API
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <errno.h>
#include <sys/random.h>

#include <glib/gi18n-lib.h>
#include <gobject/gvaluecollector.h>

#include "netavanue/netavanue.h"
#include "nav-pseudo-tcp-private.h"
#include "nav-io-stream-private.h"
#include "nav-ice-tcp-private.h"

/**
 * NavAgent:
 *
 * The object an application holds to connect to a peer with ICE: the
 * methods, properties and signals of libnice's `NiceAgent` under the same
 * names and argument orders, and the same SDP text.
 *
 * The agent asks the [class@Nav.Registry] for its parts and wires them
 * with signals: a [class@Nav.HostGatherer] per component, the `stun`
 * gatherer of server-reflexive candidates when
 * [property@Nav.Agent:stun-server] is set, the `turn` gatherer of relayed
 * candidates for each [method@Nav.Agent.set_relay_info], and the
 * preferred [iface@Nav.Checker] (`ice`).  Gathered candidates go to the
 * checker and to [signal@Nav.Agent::new-candidate-full]; remote ones to
 * the checker; the checker's selected pair becomes the path of
 * [method@Nav.Agent.send].  What the candidates' transports receive is
 * demultiplexed: STUN goes to the checker, the rest to the function of
 * [method@Nav.Agent.attach_recv] and to [signal@Nav.Agent::new-data].
 *
 * The checks start once the stream's local gathering is done (at once
 * with [property@Nav.Agent:ice-trickle]) and its remote credentials are
 * known.
 *
 * Every socket and timer is attached to the agent's main context
 * ([property@Nav.Agent:main-context]).  The methods may be called from any
 * thread; signals are emitted with no lock held, so handlers may call back
 * into the agent.
 *
 * Since: 1.0
 */

typedef struct {
  gchar *server;
  guint port;
  gchar *username;
  gchar *password;
  NavRelayType type;
} RelayInfo;

typedef struct _AgentStream AgentStream;

typedef struct {
  AgentStream *stream;
  guint id;
  NavComponentState state;
  GPtrArray *local;             /* NavCandidate */
  GPtrArray *remote;            /* NavCandidate */
  /* UDP host and srflx candidates made with ice-udp off, only to learn
   * the mapped address of the TCP ones: never offered nor checked. */
  GPtrArray *discovery;         /* NavCandidate */
  NavCandidate *selected_local;
  NavCandidate *selected_remote;
  NavAgentRecvFunc recv_func;
  gpointer recv_data;
  GMainContext *recv_context;
  GPtrArray *relays;            /* RelayInfo */
  guint min_port;
  guint max_port;
  GPtrArray *gatherers;         /* NavGatherer, this component's */
  guint pending_gatherers;
  /* Data kept for nav_agent_recv_messages() while no receive function
   * and no new-data handler takes it (RecvEntry, oldest first). */
  GQueue recv_queue;
  gsize recv_queued_bytes;
  /* Reliable agents only: the pseudo-TCP connection over the selected
   * pair (see "reliable mode" below). */
  struct _ReliableComponent *reliable;
} AgentComponent;

struct _AgentStream {
  guint id;
  guint n_components;
  gchar *name;
  gchar *local_ufrag;
  gchar *local_pwd;
  gchar *remote_ufrag;
  gchar *remote_pwd;
  AgentComponent *components;   /* n_components */
  gboolean gathering;
  gboolean gathering_done;
  gboolean checks_started;
  gboolean initial_binding_seen;
  gboolean peer_gathering_done;
  gint tos;                     /* -1 until nav_agent_set_stream_tos() */
};

typedef struct {
  NavAgent *agent;              /* weak: the agent unhooks on dispose */
  guint stream_id;
  guint component_id;
} Hook;

typedef enum {
  SIG_COMPONENT_STATE_CHANGED,
  SIG_CANDIDATE_GATHERING_DONE,
  SIG_NEW_SELECTED_PAIR,
  SIG_NEW_SELECTED_PAIR_FULL,
  SIG_NEW_CANDIDATE,
  SIG_NEW_CANDIDATE_FULL,
  SIG_NEW_REMOTE_CANDIDATE,
  SIG_NEW_REMOTE_CANDIDATE_FULL,
  SIG_INITIAL_BINDING_REQUEST_RECEIVED,
  SIG_RELIABLE_TRANSPORT_WRITABLE,
  SIG_STREAMS_REMOVED,
  SIG_NEW_DATA,
  N_SIGNALS
} AgentSignal;

static guint signals[N_SIGNALS];

typedef struct {
  AgentSignal signal;
  guint stream_id;
  guint component_id;
  guint state;
  NavCandidate *local;
  NavCandidate *remote;
} PendingSignal;

struct _NavAgent
{
  GObject parent_instance;

  GRecMutex lock;
  GMainContext *context;
  NavCompatibility compatibility;
  NavChecker *checker;
  gchar *checker_error;
  GHashTable *streams;          /* id → AgentStream */
  guint next_stream_id;
  GArray *local_addresses;      /* NavAddress */
  GHashTable *hooked;           /* NavTransport → Hook (owned by the transport) */
  GPtrArray *pending;           /* PendingSignal */
  guint lock_depth;             /* signals wait for the outermost unlock */
  /* Blocking receivers wait on recv_cond for recv_generation to move
   * (data queued, a stream removed); taken without the agent lock. */
  GMutex recv_mutex;
  GCond recv_cond;
  guint64 recv_generation;
  guint recv_waiters;

  /* properties */
  gboolean controlling_mode;
  gchar *stun_server;
  guint stun_server_port;
  gboolean ice_udp;
  gboolean ice_tcp;
  gboolean ice_tcp_so;
  gboolean force_relay;
  gboolean ice_trickle;
  NavNominationMode nomination_mode;
  gboolean consent_freshness;
  guint stun_pacing_timer;
  guint max_connectivity_checks;
  guint stun_max_retransmissions;
  guint stun_initial_timeout;
  guint stun_reliable_timeout;
  gboolean full_mode;
  gboolean upnp;
  guint upnp_timeout;
  gboolean reliable;
  gboolean bytestream_tcp;
  gboolean keepalive_conncheck;
  gboolean support_renomination;
  guint idle_timeout;
  guint proxy_type;
  gchar *proxy_ip;
  guint proxy_port;
  gchar *proxy_username;
  gchar *proxy_password;
  guint consent_interval;
  guint consent_timeout;
  NavAgentOption options;
  gchar *software;              /* nav_agent_set_software(), version appended */
  GHashTable *proxy_extra_headers;
};

enum {
  PROP_0,
  PROP_COMPATIBILITY,
  PROP_MAIN_CONTEXT,
  PROP_CONTROLLING_MODE,
  PROP_STUN_SERVER,
  PROP_STUN_SERVER_PORT,
  PROP_ICE_UDP,
  PROP_ICE_TCP,
  PROP_ICE_TCP_SIMULTANEOUS_OPEN,
  PROP_FORCE_RELAY,
  PROP_ICE_TRICKLE,
  PROP_NOMINATION_MODE,
  PROP_CONSENT_FRESHNESS,
  PROP_STUN_PACING_TIMER,
  PROP_MAX_CONNECTIVITY_CHECKS,
  PROP_STUN_MAX_RETRANSMISSIONS,
  PROP_STUN_INITIAL_TIMEOUT,
  PROP_STUN_RELIABLE_TIMEOUT,
  PROP_FULL_MODE,
  PROP_UPNP,
  PROP_UPNP_TIMEOUT,
  PROP_RELIABLE,
  PROP_BYTESTREAM_TCP,
  PROP_KEEPALIVE_CONNCHECK,
  PROP_SUPPORT_RENOMINATION,
  PROP_IDLE_TIMEOUT,
  PROP_PROXY_TYPE,
  PROP_PROXY_IP,
  PROP_PROXY_PORT,
  PROP_PROXY_USERNAME,
  PROP_PROXY_PASSWORD,
  PROP_CONSENT_INTERVAL,
  PROP_CONSENT_TIMEOUT,
  PROP_OPTIONS,
  PROP_PROXY_EXTRA_HEADERS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (NavAgent, nav_agent, G_TYPE_OBJECT)

static void maybe_start_checks (NavAgent *agent, AgentStream *stream);

/* Reliable mode (pseudo-TCP), defined in its own section below. */
static void reliable_component_free (NavAgent *agent, AgentComponent *component);
static gboolean reliable_receive (NavAgent *agent, NavTransport *transport, guint stream_id,
                                  guint component_id, const guint8 *data, gsize len);
static void reliable_selected_pair (NavAgent *agent, AgentComponent *component);
static void reliable_recv_attached (NavAgent *agent, AgentComponent *component);
static gint reliable_send (NavAgent *agent, guint stream_id, guint component_id,
                           const NavOutputMessage *messages, guint n_messages,
                           gboolean allow_partial, GError **error);
static gint reliable_recv_messages (NavAgent *agent, guint stream_id, guint component_id,
                                    NavInputMessage *messages, guint n_messages,
                                    gboolean blocking, GCancellable *cancellable,
                                    GError **error);

/* --------------------------------------------------------------- signals */

static void
pending_free (gpointer data)
{
  PendingSignal *p = data;

  g_clear_pointer (&p->local, nav_candidate_free);
  g_clear_pointer (&p->remote, nav_candidate_free);
  g_free (p);
}

static void
queue_signal (NavAgent           *agent,
              AgentSignal         signal,
              guint               stream_id,
              guint               component_id,
              guint               state,
              const NavCandidate *local,
              const NavCandidate *remote)
{
  PendingSignal *p = g_new0 (PendingSignal, 1);

  p->signal = signal;
  p->stream_id = stream_id;
  p->component_id = component_id;
  p->state = state;
  p->local = local != NULL ? nav_candidate_copy (local) : NULL;
  p->remote = remote != NULL ? nav_candidate_copy (remote) : NULL;
  g_ptr_array_add (agent->pending, p);
}

static void
agent_lock (NavAgent *agent)
{
  g_rec_mutex_lock (&agent->lock);
  agent->lock_depth++;
}

/* Releases the lock and emits the queued signals, as libnice does, so a
 * handler may call back into the agent.  A nested unlock (the lock is
 * recursive) leaves the signals to the outermost one. */
static void
agent_unlock_and_emit (NavAgent *agent)
{
  g_autoptr (GPtrArray) pending = NULL;
  guint i;

  agent->lock_depth--;
  if (agent->pending->len == 0 || agent->lock_depth > 0)
    {
      g_rec_mutex_unlock (&agent->lock);
      return;
    }
  pending = agent->pending;
  agent->pending = g_ptr_array_new_with_free_func (pending_free);
  g_rec_mutex_unlock (&agent->lock);

  g_object_ref (agent);
  for (i = 0; i < pending->len; i++)
    {
      PendingSignal *p = g_ptr_array_index (pending, i);

      switch (p->signal)
        {
        case SIG_COMPONENT_STATE_CHANGED:
          g_signal_emit (agent, signals[p->signal], 0, p->stream_id, p->component_id, p->state);
          break;
        case SIG_CANDIDATE_GATHERING_DONE:
        case SIG_INITIAL_BINDING_REQUEST_RECEIVED:
          g_signal_emit (agent, signals[p->signal], 0, p->stream_id);
          break;
        case SIG_NEW_SELECTED_PAIR:
          g_signal_emit (agent, signals[p->signal], 0, p->stream_id, p->component_id,
                         p->local->foundation, p->remote->foundation);
          break;
        case SIG_NEW_SELECTED_PAIR_FULL:
          g_signal_emit (agent, signals[p->signal], 0, p->stream_id, p->component_id,
                         p->local, p->remote);
          break;
        case SIG_NEW_CANDIDATE:
          g_signal_emit (agent, signals[p->signal], 0, p->stream_id, p->component_id,
                         p->local->foundation);
          break;
        case SIG_NEW_CANDIDATE_FULL:
          g_signal_emit (agent, signals[p->signal], 0, p->local);
          break;
        case SIG_NEW_REMOTE_CANDIDATE:
          g_signal_emit (agent, signals[p->signal], 0, p->stream_id, p->component_id,
                         p->remote->foundation);
          break;
        case SIG_NEW_REMOTE_CANDIDATE_FULL:
          g_signal_emit (agent, signals[p->signal], 0, p->remote);
          break;
        case SIG_STREAMS_REMOVED:
          {
            guint ids[2] = { p->stream_id, 0 };

            g_signal_emit (agent, signals[p->signal], 0, ids);
          }
          break;
        case SIG_RELIABLE_TRANSPORT_WRITABLE:
          g_signal_emit (agent, signals[p->signal], 0, p->stream_id, p->component_id);
          break;
        case SIG_NEW_DATA:
        case N_SIGNALS:
          break;
        }
    }
  g_object_unref (agent);
}

/* ------------------------------------------------------------ structures */

/* Wakes the blocking receivers: they look at their queue again. */
static void
recv_wake (NavAgent *agent)
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
unhook_candidates (NavAgent  *agent,
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

static void
component_clear (NavAgent       *agent,
                 AgentComponent *component)
{
  guint i;

  /* First, while the selected pair can still carry its RST. */
  reliable_component_free (agent, component);
  for (i = 0; i < component->gatherers->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (component->gatherers, i), agent);
  for (i = 0; i < component->gatherers->len; i++)
    nav_gatherer_stop (g_ptr_array_index (component->gatherers, i));
  g_ptr_array_unref (component->gatherers);
  unhook_candidates (agent, component->local);
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
  g_queue_clear_full (&component->recv_queue, g_free);
  component->recv_queued_bytes = 0;
  recv_wake (agent);
}

static void
stream_free (NavAgent    *agent,
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

static AgentStream *
lookup_stream (NavAgent *agent,
               guint     stream_id)
{
  return g_hash_table_lookup (agent->streams, GUINT_TO_POINTER (stream_id));
}

static AgentComponent *
lookup_component (NavAgent *agent,
                  guint     stream_id,
                  guint     component_id)
{
  AgentStream *stream = lookup_stream (agent, stream_id);

  if (stream == NULL || component_id < 1 || component_id > stream->n_components)
    return NULL;
  return &stream->components[component_id - 1];
}

static void
set_component_state (NavAgent          *agent,
                     AgentComponent    *component,
                     NavComponentState  state)
{
  if (component->state == state)
    return;
  component->state = state;
  queue_signal (agent, SIG_COMPONENT_STATE_CHANGED, component->stream->id, component->id,
                state, NULL, NULL);
}

/* RFC 8445 §5.3: at least 24 bits of randomness in the username fragment
 * and 128 bits in the password; ice-chars of RFC 8839 §5.4.  The lengths
 * are libnice's: 4 and 22. */
static gchar *
random_ice_string (guint length)
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

/* ------------------------------------------------------------- receiving */

typedef struct {
  NavAgent *agent;
  guint stream_id;
  guint component_id;
  NavAgentRecvFunc func;
  gpointer user_data;
  GBytes *data;
} RecvInvocation;

static gboolean
recv_invoke (gpointer user_data)
{
  RecvInvocation *r = user_data;
  gsize len;
  const gchar *data = g_bytes_get_data (r->data, &len);

  r->func (r->agent, r->stream_id, r->component_id, len, (gchar *) data, r->user_data);
  return G_SOURCE_REMOVE;
}

static void
recv_invocation_free (gpointer data)
{
  RecvInvocation *r = data;

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

      agent_lock (agent);
      checker = agent->checker != NULL ? g_object_ref (agent->checker) : NULL;
      agent_unlock_and_emit (agent);
      if (checker == NULL)
        return;
      if (nav_checker_handle_message (checker, transport, data, len, from) && request)
        {
          agent_lock (agent);
          stream = lookup_stream (agent, hook->stream_id);
          if (stream != NULL && !stream->initial_binding_seen)
            {
              stream->initial_binding_seen = TRUE;
              queue_signal (agent, SIG_INITIAL_BINDING_REQUEST_RECEIVED, stream->id, 0, 0,
                            NULL, NULL);
            }
          agent_unlock_and_emit (agent);
        }
      g_object_unref (checker);
      /* Whatever the checker did not take (another tier's response, or
       * garbage) is no application data: dropped. */
      return;
    }

  /* A reliable agent's data is pseudo-TCP segments. */
  if (agent->reliable &&
      reliable_receive (agent, transport, hook->stream_id, hook->component_id, data, len))
    return;

  agent_lock (agent);
  {
    AgentComponent *component = lookup_component (agent, hook->stream_id, hook->component_id);

    if (component != NULL)
      {
        func = component->recv_func;
        func_data = component->recv_data;
        func_context = component->recv_context;
        if (func == NULL &&
            !g_signal_has_handler_pending (agent, signals[SIG_NEW_DATA], 0, FALSE))
          {
            queued = recv_enqueue (component, data, len, from);
            if (!queued)
              {
                /* The queue is full: dropped, as a full socket buffer would. */
                agent_unlock_and_emit (agent);
                return;
              }
          }
      }
  }
  agent_unlock_and_emit (agent);
  if (queued)
    {
      recv_wake (agent);
      return;
    }

  if (func != NULL)
    {
      if (func_context == NULL || func_context == agent->context ||
          g_main_context_is_owner (func_context))
        func (agent, hook->stream_id, hook->component_id, len, (gchar *) data, func_data);
      else
        {
          RecvInvocation *r = g_new0 (RecvInvocation, 1);

          r->agent = g_object_ref (agent);
          r->stream_id = hook->stream_id;
          r->component_id = hook->component_id;
          r->func = func;
          r->user_data = func_data;
          r->data = g_bytes_new (data, len);
          g_main_context_invoke_full (func_context, G_PRIORITY_DEFAULT, recv_invoke, r,
                                      recv_invocation_free);
        }
    }
  if (g_signal_has_handler_pending (agent, signals[SIG_NEW_DATA], 0, FALSE))
    {
      g_autoptr (GBytes) bytes = g_bytes_new (data, len);

      g_signal_emit (agent, signals[SIG_NEW_DATA], 0, hook->stream_id, hook->component_id,
                     bytes);
    }
}

/* Called with the lock held. */
static void
hook_transport (NavAgent     *agent,
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

static gboolean can_send (AgentComponent *component);
static void recv_wait (NavAgent *agent, guint64 generation, GCancellable *cancellable);

typedef enum {
  RECV_GONE,                    /* no such component (any more) */
  RECV_ATTACHED                 /* a receive function takes its data */
} RecvRefusal;

static AgentComponent *recv_pass_begin (NavAgent *agent, guint stream_id, guint component_id,
                                        guint64 *generation, RecvRefusal *why);
static void recv_refused (RecvRefusal why, guint stream_id, guint component_id,
                          GError **error);
static gboolean recv_pass_end (gint got, gboolean blocking, GCancellable *cancellable,
                               gint *ret, GError **error);

/* The selected pair is ICE-TCP: no pseudo-TCP on it. */
static gboolean
reliable_pair_is_stream (AgentComponent *component)
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

  recv_wake (agent);
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

  if (!can_send (component))
    return NAV_PSEUDO_TCP_WRITE_FAILED;
  /* A full socket buffer drops the segment: pseudo-TCP sees a loss and
   * slows down, as libnice's does. */
  nav_transport_send (component->selected_local->owner, &component->selected_remote->addr,
                      data, len, NULL);
  return NAV_PSEUDO_TCP_WRITE_OK;
}

static void
reliable_opened (NavPseudoTcp *tcp,
                 gpointer      user_data)
{
  ReliableComponent *rc = user_data;

  rc->opened = TRUE;
  queue_signal (rc->agent, SIG_RELIABLE_TRANSPORT_WRITABLE, rc->component->stream->id,
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

  queue_signal (rc->agent, SIG_RELIABLE_TRANSPORT_WRITABLE, rc->component->stream->id,
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
  set_component_state (rc->agent, rc->component, NAV_COMPONENT_STATE_FAILED);
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
  agent_lock (agent);
  component = lookup_component (agent, t->stream_id, t->component_id);
  if (component != NULL && component->reliable != NULL)
    {
      ReliableComponent *rc = component->reliable;

      rc->clock_set = FALSE;
      if (rc->tcp != NULL)
        nav_pseudo_tcp_notify_clock (rc->tcp);
      reliable_flush (agent, rc, &delivery);
    }
  agent_unlock_and_emit (agent);
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

static void
reliable_component_free (NavAgent       *agent,
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
  recv_wake (agent);
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
  gboolean signal = g_signal_has_handler_pending (agent, signals[SIG_NEW_DATA], 0, FALSE);
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
          RecvInvocation *r = g_new0 (RecvInvocation, 1);

          r->agent = g_object_ref (agent);
          r->stream_id = delivery->stream_id;
          r->component_id = delivery->component_id;
          r->func = delivery->func;
          r->user_data = delivery->func_data;
          r->data = g_bytes_ref (delivery->bytes);
          g_main_context_invoke_full (delivery->func_context, G_PRIORITY_DEFAULT, recv_invoke, r,
                                      recv_invocation_free);
        }
    }
  if (delivery->signal)
    g_signal_emit (agent, signals[SIG_NEW_DATA], 0, delivery->stream_id, delivery->component_id,
                   delivery->bytes);
  g_clear_pointer (&delivery->bytes, g_bytes_unref);
  g_clear_pointer (&delivery->func_context, g_main_context_unref);
}

/* A datagram that is no STUN, on a reliable agent: TRUE when taken. */
static gboolean
reliable_receive (NavAgent     *agent,
                  NavTransport *transport,
                  guint         stream_id,
                  guint         component_id,
                  const guint8 *data,
                  gsize         len)
{
  ReliableDelivery delivery = { 0 };
  AgentComponent *component;
  ReliableComponent *rc;

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component == NULL || reliable_pair_is_stream (component))
    {
      agent_unlock_and_emit (agent);
      return FALSE;
    }
  rc = reliable_get (agent, component);
  if (nav_pseudo_tcp_is_closed (rc->tcp))
    ;                           /* a failed component: ignored, as libnice does */
  else if (!can_send (component))
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
  agent_unlock_and_emit (agent);
  reliable_deliver (agent, &delivery);
  return TRUE;
}

static void
reliable_selected_pair (NavAgent       *agent,
                        AgentComponent *component)
{
  ReliableComponent *rc;
  GBytes *early;

  if (reliable_pair_is_stream (component))
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

static void
reliable_recv_attached (NavAgent       *agent,
                        AgentComponent *component)
{
  ReliableComponent *rc = reliable_get (agent, component);

  /* What came before goes to the new function from the clock. */
  g_source_set_ready_time (rc->clock, 0);
  rc->clock_set = FALSE;
}

/* The size of @message and, in @n_vectors, how many buffers it has
 * (n_buffers < 0: up to the first NULL one, as in libnice). */
static gsize
output_message_size (const NavOutputMessage *message,
                     guint                  *n_vectors)
{
  gsize size = 0;
  guint i;

  for (i = 0; message->n_buffers < 0 ? message->buffers[i].buffer != NULL
                                     : i < (guint) message->n_buffers; i++)
    size += message->buffers[i].size;
  if (n_vectors != NULL)
    *n_vectors = i;
  return size;
}

static gsize
message_size (const NavOutputMessage *message)
{
  return output_message_size (message, NULL);
}

/* Writes @messages into the stream: bytes accepted when @allow_partial
 * (nav_agent_send()), else whole messages; -1 with G_IO_ERROR_WOULD_BLOCK
 * when nothing fitted or the connection is not open yet. */
static gint
reliable_send (NavAgent               *agent,
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

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component == NULL)
    {
      agent_unlock_and_emit (agent);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                   _("Stream %u has no component %u"), stream_id, component_id);
      return -1;
    }
  if (reliable_pair_is_stream (component) && can_send (component))
    {
      /* ICE-TCP: each message is a frame of the reliable transport. */
      for (done = 0; done < n_messages; done++)
        {
          gsize size = message_size (&messages[done]);
          g_autofree guint8 *flat = g_malloc (MAX (size, 1));
          gsize off = 0;
          guint i;

          for (i = 0; messages[done].n_buffers < 0 ? messages[done].buffers[i].buffer != NULL
                                                   : i < (guint) messages[done].n_buffers; i++)
            {
              if (messages[done].buffers[i].size > 0)
                memcpy (flat + off, messages[done].buffers[i].buffer,
                        messages[done].buffers[i].size);
              off += messages[done].buffers[i].size;
            }
          if (!nav_transport_send (component->selected_local->owner,
                                   &component->selected_remote->addr, flat, size, NULL))
            break;
          bytes += size;
        }
      agent_unlock_and_emit (agent);
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
      agent_unlock_and_emit (agent);
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
          message_size (m) > nav_pseudo_tcp_get_available_send_space (rc->tcp))
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
  agent_unlock_and_emit (agent);
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
static gint
reliable_recv_messages (NavAgent        *agent,
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
      RecvRefusal why;
      gint ret;

      component = recv_pass_begin (agent, stream_id, component_id, &generation, &why);
      if (component == NULL)
        {
          if (why == RECV_GONE && recv_iter_n_valid (&iter) > 0)
            return recv_iter_n_valid (&iter);
          recv_refused (why, stream_id, component_id, error);
          return -1;
        }
      rc = reliable_get (agent, component);
      if (reliable_pair_is_stream (component))
        {
          agent_unlock_and_emit (agent);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       _("Stream %u component %u: a reliable receive on an ICE-TCP pair "
                         "needs a receive function"), stream_id, component_id);
          return -1;
        }
      eos = !reliable_fill (rc->tcp, messages, n_messages, &iter);
      failed = rc->failed && nav_pseudo_tcp_get_available_bytes (rc->tcp) == 0;
      reliable_flush (agent, rc, &delivery);
      agent_unlock_and_emit (agent);
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
      if (recv_pass_end (recv_iter_n_valid (&iter), blocking, cancellable, &ret, error))
        return ret;
      recv_wait (agent, generation, cancellable);
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

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
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
  agent_unlock_and_emit (agent);
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

          n = reliable_send (agent, stream_id, component_id, &message, 1, TRUE, &local_error);
        }
      else
        {
          GInputVector vector = { buf, len };
          NavInputMessage message = { &vector, 1, NULL, 0 };

          n = reliable_recv_messages (agent, stream_id, component_id, &message, 1, FALSE,
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
      recv_wait (agent, generation, cancellable);
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

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
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
  agent_unlock_and_emit (agent);
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

      agent_lock (agent);
      component = lookup_component (agent, r->stream_id, r->component_id);
      if (component != NULL && component->reliable != NULL)
        g_ptr_array_remove_fast (component->reliable->sources, source);
      agent_unlock_and_emit (agent);
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
  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    g_ptr_array_add (reliable_get (agent, component)->sources, source);
  agent_unlock_and_emit (agent);
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
  AgentComponent *component;
  GIOStream *io_stream = NULL;

  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);
  g_return_val_if_fail (agent->reliable, NULL);

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    {
      ReliableComponent *rc = reliable_get (agent, component);

      if (rc->io_stream == NULL)
        rc->io_stream = nav_io_stream_new (agent, stream_id, component_id);
      io_stream = g_object_ref (rc->io_stream);
    }
  agent_unlock_and_emit (agent);
  return io_stream;
}

/* ------------------------------------------------------------- gathering */

static gboolean
has_candidate (GPtrArray          *candidates,
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

/* Whether UDP sockets are opened with ice-udp off, for the STUN server
 * only: without them no TCP candidate would learn its mapped address.
 * Only for simultaneous-open (TCP hole punching, an option libnice does
 * not have): otherwise ice-udp off means no UDP socket at all, as in
 * libnice, and gathering never waits for a STUN server. */
static gboolean
wants_discovery_sockets (NavAgent *agent)
{
  return !agent->ice_udp && agent->ice_tcp && agent->ice_tcp_so && !agent->force_relay &&
         agent->full_mode && agent->stun_server != NULL && agent->stun_server[0] != '\0';
}

/* Called with the lock held.  Server-reflexive TCP candidates (RFC 6544
 * §5.2), derived as libnice derives them: for each host TCP candidate on
 * the base IP of @udp_srflx, the mapped IP with the host candidate's own
 * port and tcptype, on the host candidate's transport (its base, RFC 8445
 * §6.1.2.4: checks leave from there, and nothing binds the mapped
 * address).  That assumes a NAT which keeps ports for TCP, the common
 * kind; where it does not, the candidate simply fails its checks.  New
 * candidates are added to @component and @out. */
static void
derive_tcp_srflx (NavAgent           *agent,
                  AgentComponent     *component,
                  const NavCandidate *udp_srflx,
                  GPtrArray          *out)
{
  guint i, n = component->local->len;

  if (!agent->ice_tcp || agent->force_relay || !agent->full_mode)
    return;
  for (i = 0; i < n; i++)
    {
      const NavCandidate *host = g_ptr_array_index (component->local, i);
      g_autoptr (NavCandidate) c = NULL;
      g_autofree gchar *key = NULL;
      gchar foundation[16];
      guint direction;

      if (host->type != NAV_CANDIDATE_TYPE_HOST ||
          host->transport == NAV_CANDIDATE_TRANSPORT_UDP ||
          !nav_address_equal_no_port (&host->base_addr, &udp_srflx->base_addr))
        continue;
      c = nav_candidate_new (NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE);
      c->transport = host->transport;
      c->addr = udp_srflx->addr;
      nav_address_set_port (&c->addr, nav_address_get_port (&host->addr));
      c->base_addr = host->addr;
      c->related_addr = host->addr;
      c->stream_id = host->stream_id;
      c->component_id = host->component_id;
      /* RFC 8445 §5.1.3: one equal to its base is redundant. */
      if (nav_address_equal (&c->addr, &host->addr) || has_candidate (component->local, c))
        continue;
      /* RFC 6544 §4.2: the direction preferences of its table's row for a
       * NATed host (simultaneous-open 6, active 4, passive 2), as libnice
       * gives reflexive candidates, and the host candidate's other
       * preference. */
      direction = host->transport == NAV_CANDIDATE_TRANSPORT_TCP_SO ? 6 :
                  host->transport == NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE ? 4 : 2;
      c->priority = nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE,
                                                    host->transport,
                                                    (direction << 13) |
                                                    ((host->priority >> 8) & 0x1fff),
                                                    host->component_id);
      /* RFC 8445 §5.1.1.3: type, base IP and server are those of the UDP
       * candidate's foundation; the transport makes the difference. */
      key = g_strdup_printf ("%s/%s", udp_srflx->foundation,
                             nav_candidate_transport_to_string (host->transport));
      g_snprintf (foundation, sizeof foundation, "%u", g_str_hash (key));
      nav_candidate_set_foundation (c, foundation);
      nav_candidate_set_owner (c, host->owner);
      g_ptr_array_add (component->local, nav_candidate_copy (c));
      g_ptr_array_add (out, g_steal_pointer (&c));
    }
}

static void transport_set_tos (NavTransport *transport, gint tos);

static void
on_candidate_gathered (NavGatherer  *gatherer,
                       NavCandidate *candidate,
                       NavAgent     *agent)
{
  AgentComponent *component;
  AgentStream *stream;
  NavChecker *checker = NULL;
  g_autoptr (GPtrArray) derived = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
  gboolean offer;
  guint i;

  agent_lock (agent);
  component = lookup_component (agent, candidate->stream_id, candidate->component_id);
  if (component == NULL || has_candidate (component->local, candidate) ||
      has_candidate (component->discovery, candidate))
    {
      agent_unlock_and_emit (agent);
      return;
    }
  stream = component->stream;
  /* nav_agent_set_stream_tos() covers the sockets that come later. */
  if (stream->tos >= 0 && candidate->owner != NULL)
    transport_set_tos (candidate->owner, stream->tos);
  if (!agent->ice_udp && candidate->transport == NAV_CANDIDATE_TRANSPORT_UDP &&
      candidate->type != NAV_CANDIDATE_TYPE_RELAYED)
    {
      /* A discovery socket (wants_discovery_sockets()) and what it
       * learnt: kept from the peer, the checker and the application. */
      g_ptr_array_add (component->discovery, nav_candidate_copy (candidate));
      if (candidate->type == NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE)
        derive_tcp_srflx (agent, component, candidate, derived);
    }
  else
    {
      hook_transport (agent, candidate->owner, candidate->stream_id, candidate->component_id);
      g_ptr_array_add (component->local, nav_candidate_copy (candidate));
      if (candidate->type == NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE &&
          candidate->transport == NAV_CANDIDATE_TRANSPORT_UDP)
        derive_tcp_srflx (agent, component, candidate, derived);
      /* A host TCP candidate after the UDP srflx (trickled gatherers in
       * any order): its twin too. */
      if (candidate->type == NAV_CANDIDATE_TYPE_HOST &&
          candidate->transport != NAV_CANDIDATE_TRANSPORT_UDP)
        for (GPtrArray *a = component->local; a != NULL;
             a = a == component->local ? component->discovery : NULL)
          for (i = 0; i < a->len; i++)
            {
              const NavCandidate *c = g_ptr_array_index (a, i);

              if (c->type == NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE &&
                  c->transport == NAV_CANDIDATE_TRANSPORT_UDP)
                derive_tcp_srflx (agent, component, c, derived);
            }
      g_ptr_array_insert (derived, 0, nav_candidate_copy (candidate));
    }

  /* force-relay: the host and reflexive candidates are only the bases of
   * relayed ones; the peer never learns them. */
  for (i = 0; i < derived->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (derived, i);

      offer = !agent->force_relay || c->type == NAV_CANDIDATE_TYPE_RELAYED;
      if (!offer)
        {
          g_ptr_array_remove_index (derived, i--);
          continue;
        }
      queue_signal (agent, SIG_NEW_CANDIDATE_FULL, stream->id, component->id, 0, c, NULL);
      queue_signal (agent, SIG_NEW_CANDIDATE, stream->id, component->id, 0, c, NULL);
    }
  if (derived->len > 0 && agent->checker != NULL)
    checker = g_object_ref (agent->checker);
  agent_unlock_and_emit (agent);

  if (checker != NULL)
    {
      for (i = 0; i < derived->len; i++)
        nav_checker_add_local_candidate (checker, g_ptr_array_index (derived, i));
      g_object_unref (checker);
    }
}

static GPtrArray *
dup_host_bases (AgentComponent *component)
{
  GPtrArray *bases = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
  guint i;

  for (i = 0; i < component->local->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (component->local, i);

      if (c->type == NAV_CANDIDATE_TYPE_HOST)
        g_ptr_array_add (bases, nav_candidate_copy (c));
    }
  for (i = 0; i < component->discovery->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (component->discovery, i);

      if (c->type == NAV_CANDIDATE_TYPE_HOST)
        g_ptr_array_add (bases, nav_candidate_copy (c));
    }
  return bases;
}

/* The construct properties the agent gives a gatherer.  Each value
 * carries its type, so one the implementation lacks is skipped whatever
 * it holds (a gatherer written elsewhere may not know every option). */
typedef struct
{
  guint n;
  const gchar *names[12];
  GValue values[12];
} GathererProperties;

static void
gatherer_properties_add (GathererProperties *props,
                         const gchar        *name,
                         GType               type,
                         ...)
{
  g_autofree gchar *collect_error = NULL;
  va_list args;

  g_assert (props->n < G_N_ELEMENTS (props->values));
  va_start (args, type);
  G_VALUE_COLLECT_INIT (&props->values[props->n], type, args, 0, &collect_error);
  va_end (args);
  g_assert (collect_error == NULL);
  props->names[props->n++] = name;
}

static void
gatherer_properties_clear (GathererProperties *props)
{
  for (guint i = 0; i < props->n; i++)
    g_value_unset (&props->values[i]);
  props->n = 0;
}

/* libnice's discovery retransmits its STUN and TURN requests with the
 * agent's settings, as the checks do: so do the gatherers that have them. */
static void
gatherer_properties_add_retransmissions (GathererProperties *props,
                                         NavAgent           *agent)
{
  gatherer_properties_add (props, "stun-initial-timeout", G_TYPE_UINT,
                           MAX (agent->stun_initial_timeout, 1u));
  gatherer_properties_add (props, "stun-max-retransmissions", G_TYPE_UINT,
                           agent->stun_max_retransmissions);
  gatherer_properties_add (props, "stun-reliable-timeout", G_TYPE_UINT,
                           MAX (agent->stun_reliable_timeout, 1u));
}

static NavGatherer *
create_gatherer (NavAgent                 *agent,
                 const gchar              *name,
                 const GathererProperties *props,
                 GError                  **error)
{
  NavRegistry *registry = nav_registry_get_default ();
  NavImplementationInfo *info;
  GObjectClass *klass;
  GPtrArray *names;
  GArray *values;
  GObject *object = NULL;

  info = nav_registry_lookup (registry, NAV_GATHERER_EXTENSION_POINT_NAME, name, error);
  if (info == NULL)
    return NULL;
  klass = g_type_class_ref (nav_implementation_info_get_gtype (info));
  names = g_ptr_array_new ();
  values = g_array_new (FALSE, TRUE, sizeof (GValue));
  g_array_set_clear_func (values, (GDestroyNotify) g_value_unset);

  g_ptr_array_add (names, (gpointer) "context");
  g_array_set_size (values, 1);
  g_value_init (&g_array_index (values, GValue, 0), G_TYPE_MAIN_CONTEXT);
  g_value_set_boxed (&g_array_index (values, GValue, 0), agent->context);

  for (guint i = 0; i < props->n; i++)
    {
      GParamSpec *pspec = g_object_class_find_property (klass, props->names[i]);
      GValue value = G_VALUE_INIT;

      if (pspec == NULL || !(pspec->flags & G_PARAM_WRITABLE))
        {
          g_debug ("Gatherer %s has no property %s", name, props->names[i]);
          continue;
        }
      g_value_init (&value, pspec->value_type);
      if (!g_value_transform (&props->values[i], &value))
        {
          g_debug ("Gatherer %s: property %s is a %s, not a %s", name, props->names[i],
                   g_type_name (pspec->value_type), G_VALUE_TYPE_NAME (&props->values[i]));
          g_value_unset (&value);
          continue;
        }
      g_ptr_array_add (names, (gpointer) props->names[i]);
      g_array_append_val (values, value);
    }

  object = nav_registry_create_with_properties (registry, NAV_GATHERER_EXTENSION_POINT_NAME,
                                                name, names->len,
                                                (const gchar **) names->pdata,
                                                (const GValue *) values->data, error);
  g_array_unref (values);
  g_ptr_array_unref (names);
  g_type_class_unref (klass);
  g_object_unref (info);
  return object != NULL ? NAV_GATHERER (object) : NULL;
}

static void on_gatherer_done (NavGatherer *gatherer, guint stream_id, guint component_id,
                              NavAgent *agent);

static void
start_gatherer (NavAgent       *agent,
                AgentComponent *component,
                NavGatherer    *gatherer,
                GPtrArray      *bases)
{
  g_signal_connect (gatherer, "candidate-gathered", G_CALLBACK (on_candidate_gathered), agent);
  g_signal_connect (gatherer, "done", G_CALLBACK (on_gatherer_done), agent);
  g_ptr_array_add (component->gatherers, gatherer);
  component->pending_gatherers++;
  nav_gatherer_gather (gatherer, component->stream->id, component->id, bases);
}

static const gchar *
relay_transport_name (NavRelayType type)
{
  switch (type)
    {
    case NAV_RELAY_TYPE_TURN_TCP:
      return "tcp";
    case NAV_RELAY_TYPE_TURN_TLS:
      return "tls";
    case NAV_RELAY_TYPE_TURN_UDP:
    default:
      return "udp";
    }
}

/* The host candidates are in: start the gatherers built on them. */
static void
start_second_stage (NavAgent       *agent,
                    AgentComponent *component)
{
  g_autoptr (GPtrArray) bases = dup_host_bases (component);
  guint i;

  if (agent->stun_server != NULL && agent->stun_server[0] != '\0' && !agent->force_relay)
    {
      g_autoptr (GError) error = NULL;
      g_autofree gchar *server = NULL;
      NavGatherer *stun;
      const gchar *servers[2] = { NULL, NULL };
      GathererProperties props = { 0, };

      server = strchr (agent->stun_server, ':') != NULL
               ? g_strdup_printf ("[%s]:%u", agent->stun_server, agent->stun_server_port)
               : g_strdup_printf ("%s:%u", agent->stun_server, agent->stun_server_port);
      servers[0] = server;
      gatherer_properties_add (&props, "servers", G_TYPE_STRV, servers);
      gatherer_properties_add_retransmissions (&props, agent);
      gatherer_properties_add (&props, "software", G_TYPE_STRING, agent->software);
      stun = create_gatherer (agent, "stun", &props, &error);
      gatherer_properties_clear (&props);
      if (stun == NULL)
        g_warning (_("Server-reflexive candidates of stream %u are not gathered: %s"),
                   component->stream->id, error->message);
      else
        start_gatherer (agent, component, stun, bases);
    }

  for (i = 0; i < component->relays->len; i++)
    {
      RelayInfo *info = g_ptr_array_index (component->relays, i);
      g_autoptr (GError) error = NULL;
      g_autofree gchar *server = NULL;
      NavGatherer *turn;
      GathererProperties props = { 0, };

      server = strchr (info->server, ':') != NULL
               ? g_strdup_printf ("[%s]:%u", info->server, info->port)
               : g_strdup_printf ("%s:%u", info->server, info->port);
      gatherer_properties_add (&props, "server", G_TYPE_STRING, server);
      gatherer_properties_add (&props, "transport", G_TYPE_STRING,
                               relay_transport_name (info->type));
      gatherer_properties_add (&props, "username", G_TYPE_STRING, info->username);
      gatherer_properties_add (&props, "password", G_TYPE_STRING, info->password);
      gatherer_properties_add_retransmissions (&props, agent);
      gatherer_properties_add (&props, "software", G_TYPE_STRING, agent->software);
      turn = create_gatherer (agent, "turn", &props, &error);
      gatherer_properties_clear (&props);
      if (turn == NULL)
        g_warning (_("Relayed candidates of stream %u are not gathered: %s"),
                   component->stream->id, error->message);
      else
        start_gatherer (agent, component, turn, bases);
    }
}

static void
on_gatherer_done (NavGatherer *gatherer,
                  guint        stream_id,
                  guint        component_id,
                  NavAgent    *agent)
{
  AgentComponent *component;
  AgentStream *stream;
  guint i;
  gboolean all_done = TRUE;

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component == NULL || component->pending_gatherers == 0)
    {
      agent_unlock_and_emit (agent);
      return;
    }
  stream = component->stream;
  component->pending_gatherers--;
  /* RFC 8445 §2.5: a lite agent has host candidates only. */
  if (NAV_IS_HOST_GATHERER (gatherer) && agent->full_mode)
    start_second_stage (agent, component);

  for (i = 0; i < stream->n_components; i++)
    if (stream->components[i].pending_gatherers > 0)
      all_done = FALSE;
  if (all_done && stream->gathering && !stream->gathering_done)
    {
      stream->gathering_done = TRUE;
      queue_signal (agent, SIG_CANDIDATE_GATHERING_DONE, stream->id, 0, 0, NULL, NULL);
      maybe_start_checks (agent, stream);
      /* RFC 8838 §8: see nav_agent_peer_candidate_gathering_done(). */
      if (stream->peer_gathering_done && agent->checker != NULL)
        nav_checker_remote_gathering_done (agent->checker, stream->id);
    }
  agent_unlock_and_emit (agent);
}

/* ----------------------------------------------------------- the checker */

static void
on_checker_component_state (NavChecker        *checker,
                            guint              stream_id,
                            guint              component_id,
                            NavComponentState  state,
                            NavAgent          *agent)
{
  AgentComponent *component;

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    set_component_state (agent, component, state);
  agent_unlock_and_emit (agent);
}

static void
on_checker_selected_pair (NavChecker   *checker,
                          guint         stream_id,
                          guint         component_id,
                          NavCandidate *local,
                          NavCandidate *remote,
                          NavAgent     *agent)
{
  AgentComponent *component;

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    {
      g_clear_pointer (&component->selected_local, nav_candidate_free);
      g_clear_pointer (&component->selected_remote, nav_candidate_free);
      component->selected_local = nav_candidate_copy (local);
      component->selected_remote = nav_candidate_copy (remote);
      queue_signal (agent, SIG_NEW_SELECTED_PAIR_FULL, stream_id, component_id, 0, local, remote);
      queue_signal (agent, SIG_NEW_SELECTED_PAIR, stream_id, component_id, 0, local, remote);
      if (agent->reliable)
        reliable_selected_pair (agent, component);
    }
  agent_unlock_and_emit (agent);
}

static void
on_checker_pair_state (NavChecker   *checker,
                       NavCandidate *local,
                       NavCandidate *remote,
                       NavPairState  state,
                       NavAgent     *agent)
{
  AgentComponent *component;

  agent_lock (agent);
  component = lookup_component (agent, remote->stream_id, remote->component_id);
  if (component != NULL)
    {
      /* Peer-reflexive candidates learnt by the checker (RFC 8445
       * §7.2.5.3.1 and §7.3.1.3) are announced as libnice does. */
      if (remote->type == NAV_CANDIDATE_TYPE_PEER_REFLEXIVE &&
          !has_candidate (component->remote, remote))
        {
          g_ptr_array_add (component->remote, nav_candidate_copy (remote));
          queue_signal (agent, SIG_NEW_REMOTE_CANDIDATE_FULL, remote->stream_id,
                        remote->component_id, 0, NULL, remote);
          queue_signal (agent, SIG_NEW_REMOTE_CANDIDATE, remote->stream_id,
                        remote->component_id, 0, NULL, remote);
        }
      if (local->type == NAV_CANDIDATE_TYPE_PEER_REFLEXIVE &&
          !has_candidate (component->local, local))
        {
          g_ptr_array_add (component->local, nav_candidate_copy (local));
          queue_signal (agent, SIG_NEW_CANDIDATE_FULL, local->stream_id, local->component_id,
                        0, local, NULL);
          queue_signal (agent, SIG_NEW_CANDIDATE, local->stream_id, local->component_id,
                        0, local, NULL);
        }
    }
  agent_unlock_and_emit (agent);
}

static void
on_checker_role (GObject    *checker,
                 GParamSpec *pspec,
                 NavAgent   *agent)
{
  gboolean controlling;
  gboolean changed;

  g_object_get (checker, "controlling-mode", &controlling, NULL);
  agent_lock (agent);
  changed = agent->controlling_mode != controlling;
  agent->controlling_mode = controlling;
  agent_unlock_and_emit (agent);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (agent), properties[PROP_CONTROLLING_MODE]);
}

static void
configure_checker (NavAgent *agent)
{
  GObjectClass *klass;

  if (agent->checker == NULL)
    return;
  klass = G_OBJECT_GET_CLASS (agent->checker);
  g_signal_handlers_block_by_func (agent->checker, on_checker_role, agent);
  g_object_set (agent->checker, "controlling-mode", agent->controlling_mode && agent->full_mode,
                NULL);
  g_signal_handlers_unblock_by_func (agent->checker, on_checker_role, agent);
#define SET_IF(name, value) \
  if (g_object_class_find_property (klass, name) != NULL) \
    g_object_set (agent->checker, name, value, NULL)
  SET_IF ("nomination-mode", (gint) agent->nomination_mode);
  SET_IF ("stun-pacing-timer", MAX (agent->stun_pacing_timer, 1u));
  SET_IF ("max-connectivity-checks", MAX (agent->max_connectivity_checks, 1u));
  /* A lite agent sends no consent checks: it keeps answering the peer's. */
  SET_IF ("consent-freshness", agent->consent_freshness && agent->full_mode);
  SET_IF ("lite", !agent->full_mode);
  SET_IF ("consent-interval", agent->consent_interval);
  SET_IF ("consent-timeout", agent->consent_timeout);
  SET_IF ("ice-trickle", agent->ice_trickle);
  SET_IF ("stun-initial-timeout", MAX (agent->stun_initial_timeout, 1u));
  SET_IF ("stun-max-retransmissions", agent->stun_max_retransmissions);
  SET_IF ("stun-reliable-timeout", MAX (agent->stun_reliable_timeout, 1u));
  SET_IF ("software", agent->software);
#undef SET_IF
}

/* Called with the lock held. */
static void
maybe_start_checks (NavAgent    *agent,
                    AgentStream *stream)
{
  g_autoptr (GError) error = NULL;

  if (agent->checker == NULL || stream->checks_started || stream->remote_ufrag == NULL)
    return;
  if (!stream->gathering_done && !(agent->ice_trickle && stream->gathering))
    return;
  stream->checks_started = TRUE;
  if (!nav_checker_start (agent->checker, stream->id, &error))
    g_warning ("Stream %u: the checks did not start: %s", stream->id, error->message);
}

/* ------------------------------------------------------------ public API */

/**
 * nav_agent_new:
 * @ctx: (nullable): the main context of the agent's sockets, timers and
 *   signals; %NULL for the thread-default one
 * @compat: the flavour of ICE
 *
 * Creates an agent, as `nice_agent_new()`.
 *
 * Returns: (transfer full): a new agent
 *
 * Since: 1.0
 */
NavAgent *
nav_agent_new (GMainContext     *ctx,
               NavCompatibility  compat)
{
  return g_object_new (NAV_TYPE_AGENT, "main-context", ctx, "compatibility", compat, NULL);
}

/**
 * nav_agent_new_full:
 * @ctx: (nullable): the main context, or %NULL for the thread-default one
 * @compat: the flavour of ICE
 * @flags: options
 *
 * Creates an agent with options, as `nice_agent_new_full()`.
 *
 * Returns: (transfer full): a new agent
 *
 * Since: 1.0
 */
NavAgent *
nav_agent_new_full (GMainContext     *ctx,
                    NavCompatibility  compat,
                    NavAgentOption    flags)
{
  return g_object_new (NAV_TYPE_AGENT, "main-context", ctx, "compatibility", compat,
                       "options", flags, NULL);
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
  agent_lock (agent);
  g_array_append_val (agent->local_addresses, copy);
  agent_unlock_and_emit (agent);
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

  agent_lock (agent);
  stream = g_new0 (AgentStream, 1);
  stream->id = id = agent->next_stream_id++;
  stream->n_components = n_components;
  stream->tos = -1;
  stream->local_ufrag = random_ice_string (4);
  stream->local_pwd = random_ice_string (22);
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
    }
  g_hash_table_insert (agent->streams, GUINT_TO_POINTER (id), stream);
  if (agent->checker != NULL)
    nav_checker_set_local_credentials (agent->checker, id, stream->local_ufrag,
                                       stream->local_pwd);
  agent_unlock_and_emit (agent);
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

  agent_lock (agent);
  stream = lookup_stream (agent, stream_id);
  if (stream == NULL)
    {
      agent_unlock_and_emit (agent);
      return;
    }
  g_hash_table_steal (agent->streams, GUINT_TO_POINTER (stream_id));
  if (agent->checker != NULL)
    nav_checker_remove_stream (agent->checker, stream_id);
  stream_free (agent, stream);
  queue_signal (agent, SIG_STREAMS_REMOVED, stream_id, 0, 0, NULL, NULL);
  agent_unlock_and_emit (agent);
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
  agent_lock (agent);
  stream = lookup_stream (agent, stream_id);
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
  agent_unlock_and_emit (agent);
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

  agent_lock (agent);
  stream = lookup_stream (agent, stream_id);
  if (stream != NULL)
    name = stream->name;
  agent_unlock_and_emit (agent);
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

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    {
      component->min_port = min_port;
      component->max_port = max_port;
    }
  agent_unlock_and_emit (agent);
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

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component == NULL)
    {
      agent_unlock_and_emit (agent);
      return FALSE;
    }
  info = g_new0 (RelayInfo, 1);
  info->server = g_strdup (server_ip);
  info->port = server_port;
  info->username = g_strdup (username);
  info->password = g_strdup (password);
  info->type = type;
  g_ptr_array_add (component->relays, info);
  agent_unlock_and_emit (agent);
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

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    g_ptr_array_set_size (component->relays, 0);
  agent_unlock_and_emit (agent);
  return component != NULL;
}

/**
 * nav_agent_gather_candidates:
 * @agent: an agent
 * @stream_id: a stream
 *
 * Starts gathering the stream's local candidates, as
 * `nice_agent_gather_candidates()`: each is announced with
 * [signal@Nav.Agent::new-candidate-full], then
 * [signal@Nav.Agent::candidate-gathering-done] follows.
 *
 * Returns: %FALSE when the stream does not exist or already gathered
 *
 * Since: 1.0
 */
gboolean
nav_agent_gather_candidates (NavAgent *agent,
                             guint     stream_id)
{
  AgentStream *stream;
  guint i;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);

  agent_lock (agent);
  stream = lookup_stream (agent, stream_id);
  if (stream == NULL || stream->gathering)
    {
      agent_unlock_and_emit (agent);
      return FALSE;
    }
  stream->gathering = TRUE;
  for (i = 0; i < stream->n_components; i++)
    {
      AgentComponent *component = &stream->components[i];
      NavHostGatherer *host = nav_host_gatherer_new (agent->context);
      guint j;

      /* Relay-only: TCP host candidates would never be offered, and no
       * relay is built on them; no listener is opened either. */
      g_object_set (host,
                    "ice-udp", agent->ice_udp || wants_discovery_sockets (agent),
                    "ice-tcp", agent->ice_tcp && !agent->force_relay,
                    "tcp-passive-only", !agent->full_mode,
                    "tcp-simultaneous-open", agent->ice_tcp_so,
                    "min-port", component->min_port,
                    "max-port", component->max_port,
                    NULL);
      for (j = 0; j < agent->local_addresses->len; j++)
        nav_host_gatherer_add_local_address (host, &g_array_index (agent->local_addresses,
                                                                   NavAddress, j));
      set_component_state (agent, component, NAV_COMPONENT_STATE_GATHERING);
      start_gatherer (agent, component, NAV_GATHERER (host), NULL);
    }
  maybe_start_checks (agent, stream);
  agent_unlock_and_emit (agent);
  return TRUE;
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
  agent_lock (agent);
  stream = lookup_stream (agent, stream_id);
  if (stream == NULL)
    {
      agent_unlock_and_emit (agent);
      return FALSE;
    }
  g_free (stream->remote_ufrag);
  g_free (stream->remote_pwd);
  stream->remote_ufrag = g_strdup (ufrag);
  stream->remote_pwd = g_strdup (pwd);
  if (agent->checker != NULL)
    nav_checker_set_remote_credentials (agent->checker, stream_id, ufrag, pwd);
  maybe_start_checks (agent, stream);
  agent_unlock_and_emit (agent);
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
  agent_lock (agent);
  stream = lookup_stream (agent, stream_id);
  if (stream == NULL)
    {
      agent_unlock_and_emit (agent);
      return FALSE;
    }
  g_free (stream->local_ufrag);
  g_free (stream->local_pwd);
  stream->local_ufrag = g_strdup (ufrag);
  stream->local_pwd = g_strdup (pwd);
  if (agent->checker != NULL)
    nav_checker_set_local_credentials (agent->checker, stream_id, ufrag, pwd);
  agent_unlock_and_emit (agent);
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
  agent_lock (agent);
  stream = lookup_stream (agent, stream_id);
  if (stream != NULL)
    {
      *ufrag = g_strdup (stream->local_ufrag);
      *pwd = g_strdup (stream->local_pwd);
      ok = TRUE;
    }
  agent_unlock_and_emit (agent);
  return ok;
}

/* Called with the lock held.  RFC 8445 §9: new local credentials, the
 * peer's forgotten with its candidates and every pair; the local
 * candidates stay.  The selected pair keeps carrying data until the
 * restarted checks select one. */
static void
restart_stream (NavAgent    *agent,
                AgentStream *stream)
{
  guint i, j;

  g_free (stream->local_ufrag);
  g_free (stream->local_pwd);
  stream->local_ufrag = random_ice_string (4);
  stream->local_pwd = random_ice_string (22);
  g_clear_pointer (&stream->remote_ufrag, g_free);
  g_clear_pointer (&stream->remote_pwd, g_free);
  stream->checks_started = FALSE;
  stream->initial_binding_seen = FALSE;
  stream->peer_gathering_done = FALSE;
  if (agent->checker != NULL)
    {
      nav_checker_remove_stream (agent->checker, stream->id);
      nav_checker_set_local_credentials (agent->checker, stream->id, stream->local_ufrag,
                                         stream->local_pwd);
    }
  for (i = 0; i < stream->n_components; i++)
    {
      AgentComponent *component = &stream->components[i];

      g_ptr_array_set_size (component->remote, 0);
      for (j = 0; j < component->local->len; j++)
        {
          NavCandidate *c = g_ptr_array_index (component->local, j);

          if (c->type == NAV_CANDIDATE_TYPE_PEER_REFLEXIVE)
            {
              g_ptr_array_remove_index (component->local, j--);
              continue;
            }
          if (agent->checker != NULL &&
              (!agent->force_relay || c->type == NAV_CANDIDATE_TYPE_RELAYED))
            nav_checker_add_local_candidate (agent->checker, c);
        }
      if (component->selected_local == NULL)
        set_component_state (agent, component, NAV_COMPONENT_STATE_GATHERING);
    }
}

/**
 * nav_agent_restart_stream:
 * @agent: an agent
 * @stream_id: a stream
 *
 * Restarts ICE on one stream (RFC 8445 §9), as
 * `nice_agent_restart_stream()`: new local credentials, the peer's
 * credentials and candidates forgotten, checks run again once the new
 * remote credentials are set.  Call it to restart, and when the peer's
 * credentials change (its restart).
 *
 * Returns: %TRUE when the stream exists
 *
 * Since: 1.0
 */
gboolean
nav_agent_restart_stream (NavAgent *agent,
                          guint     stream_id)
{
  AgentStream *stream;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);

  agent_lock (agent);
  stream = lookup_stream (agent, stream_id);
  if (stream != NULL)
    restart_stream (agent, stream);
  agent_unlock_and_emit (agent);
  return stream != NULL;
}

/**
 * nav_agent_restart:
 * @agent: an agent
 *
 * Restarts ICE on every stream, as `nice_agent_restart()`; see
 * [method@Nav.Agent.restart_stream].
 *
 * Returns: %TRUE
 *
 * Since: 1.0
 */
gboolean
nav_agent_restart (NavAgent *agent)
{
  GHashTableIter iter;
  AgentStream *stream;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);

  agent_lock (agent);
  g_hash_table_iter_init (&iter, agent->streams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
    restart_stream (agent, stream);
  agent_unlock_and_emit (agent);
  return TRUE;
}

/* Called with the lock held. */
static gboolean
add_remote_candidate (NavAgent           *agent,
                      AgentComponent     *component,
                      const NavCandidate *candidate)
{
  NavCandidate *copy;

  if (!nav_address_is_valid (&candidate->addr))
    return FALSE;
  if (has_candidate (component->remote, candidate))
    return TRUE;
  if (component->remote->len >= NAV_AGENT_MAX_REMOTE_CANDIDATES)
    return FALSE;
  copy = nav_candidate_copy (candidate);
  copy->stream_id = component->stream->id;
  copy->component_id = component->id;
  nav_candidate_set_owner (copy, NULL);
  g_ptr_array_add (component->remote, copy);
  if (agent->checker != NULL)
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

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component == NULL)
    {
      agent_unlock_and_emit (agent);
      return -1;
    }
  for (l = candidates; l != NULL; l = l->next)
    if (add_remote_candidate (agent, component, l->data))
      added++;
  maybe_start_checks (agent, component->stream);
  agent_unlock_and_emit (agent);
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

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    list = dup_candidate_list (component->remote);
  agent_unlock_and_emit (agent);
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

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    for (i = component->local->len; i > 0; i--)
      {
        NavCandidate *c = g_ptr_array_index (component->local, i - 1);

        if (!agent->force_relay || c->type == NAV_CANDIDATE_TYPE_RELAYED)
          list = g_slist_prepend (list, nav_candidate_copy (c));
      }
  agent_unlock_and_emit (agent);
  return list;
}

/**
 * nav_agent_peer_candidate_gathering_done:
 * @agent: an agent
 * @stream_id: a stream
 *
 * Says the peer sent all its candidates for the stream (RFC 8838
 * end-of-candidates), as `nice_agent_peer_candidate_gathering_done()`.
 * With [property@Nav.Agent:ice-trickle] a component whose checks have all
 * failed waits for this, and for the end of its own gathering, before it
 * becomes %NAV_COMPONENT_STATE_FAILED (RFC 8838 §8); once both hold, it
 * fails at once.
 *
 * Returns: %TRUE when the stream exists
 *
 * Since: 1.0
 */
gboolean
nav_agent_peer_candidate_gathering_done (NavAgent *agent,
                                         guint     stream_id)
{
  AgentStream *stream;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);

  agent_lock (agent);
  stream = lookup_stream (agent, stream_id);
  if (stream != NULL)
    {
      stream->peer_gathering_done = TRUE;
      /* RFC 8838 §8: a check list may fail only once the peer said
       * end-of-candidates AND our own gathering is over (a late local
       * candidate makes new pairs): the checker hears of it when both
       * hold, here or when gathering ends. */
      if (agent->checker != NULL && stream->gathering_done)
        nav_checker_remote_gathering_done (agent->checker, stream_id);
    }
  agent_unlock_and_emit (agent);
  return stream != NULL;
}

/* The selected pair carries data until consent is lost, and through an
 * ICE restart until the new checks select another (RFC 8445 §9).  Called
 * with the lock held. */
static gboolean
can_send (AgentComponent *component)
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

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (can_send (component))
    {
      *transport = g_object_ref (component->selected_local->owner);
      *to = component->selected_remote->addr;
      ok = TRUE;
    }
  agent_unlock_and_emit (agent);
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

      return reliable_send (agent, stream_id, component_id, &message, 1, TRUE, NULL);
    }

  /* The datagram leaves under the lock, as in libnice: no reference taken
   * and dropped per datagram.  The lock is recursive and signals wait for
   * the outermost unlock, so a transport that reports an error from its
   * send path calls back into the agent safely. */
  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (can_send (component))
    ok = nav_transport_send (component->selected_local->owner,
                             &component->selected_remote->addr,
                             (const guint8 *) buf, len, NULL);
  agent_unlock_and_emit (agent);
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
      return reliable_send (agent, stream_id, component_id, &message, 1, FALSE, error) == 1;
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

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    {
      component->recv_func = func;
      component->recv_data = data;
      g_clear_pointer (&component->recv_context, g_main_context_unref);
      if (ctx != NULL && func != NULL)
        component->recv_context = g_main_context_ref (ctx);
      if (agent->reliable && func != NULL)
        reliable_recv_attached (agent, component);
    }
  agent_unlock_and_emit (agent);
  return component != NULL;
}

/* ---------------------------------------------- message vectors (libnice) */

/* The selected pair is a NavUdpTransport: up to 64 messages per
 * sendmmsg(2), through GSocket. */
static gint
send_messages_udp (NavUdpTransport        *transport,
                   const NavAddress       *to,
                   const NavOutputMessage *messages,
                   guint                   n_messages,
                   GCancellable           *cancellable,
                   GError                **error)
{
  GSocket *socket = nav_udp_transport_get_socket (transport);
  g_autoptr (GSocketAddress) address = nav_address_to_socket_address (to);
  GOutputMessage batch[64];
  guint done = 0;
  gboolean retried = FALSE;

  while (done < n_messages)
    {
      guint n = MIN (n_messages - done, G_N_ELEMENTS (batch));
      g_autoptr (GError) local_error = NULL;
      gint sent;
      guint i;

      for (i = 0; i < n; i++)
        {
          const NavOutputMessage *m = &messages[done + i];
          guint n_vectors;

          output_message_size (m, &n_vectors);
          batch[i] = (GOutputMessage) {
            .address = address,
            .vectors = m->buffers,
            .num_vectors = n_vectors,
          };
        }
      sent = g_socket_send_messages (socket, batch, n, 0, cancellable, &local_error);
      if (sent < 0)
        {
          /* An ICMP error from an earlier datagram is reported once, by
           * the next call (as the UDP transport's send does). */
          if (!retried && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
            {
              retried = TRUE;
              continue;
            }
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) || done > 0)
            return done;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return -1;
        }
      done += sent;
      if ((guint) sent < n)
        break;
    }
  return done;
}

/* Any other transport (TCP framing, a TURN relay): one message at a time,
 * flattened. */
static gint
send_messages_each (NavTransport           *transport,
                    const NavAddress       *to,
                    const NavOutputMessage *messages,
                    guint                   n_messages,
                    GError                **error)
{
  g_autofree guint8 *flat = NULL;
  gsize flat_size = 0;
  guint done;

  for (done = 0; done < n_messages; done++)
    {
      const NavOutputMessage *m = &messages[done];
      g_autoptr (GError) local_error = NULL;
      const guint8 *data;
      guint n_vectors;
      gsize size = output_message_size (m, &n_vectors);

      if (n_vectors == 1)
        data = m->buffers[0].buffer;
      else
        {
          gsize off = 0;
          guint i;

          if (size > flat_size)
            {
              flat = g_realloc (flat, size);
              flat_size = size;
            }
          for (i = 0; i < n_vectors; i++)
            {
              if (m->buffers[i].size > 0)
                memcpy (flat + off, m->buffers[i].buffer, m->buffers[i].size);
              off += m->buffers[i].size;
            }
          data = flat;
        }
      if (!nav_transport_send (transport, to, data, size, &local_error))
        {
          if (g_error_matches (local_error, NAV_TRANSPORT_ERROR,
                               NAV_TRANSPORT_ERROR_WOULD_BLOCK) || done > 0)
            return done;
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, local_error->message);
          return -1;
        }
    }
  return done;
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
  NavTransport *transport = NULL;
  NavAddress to;
  gint sent;

  g_return_val_if_fail (NAV_IS_AGENT (agent), -1);
  g_return_val_if_fail (messages != NULL || n_messages == 0, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  if (agent->reliable)
    return reliable_send (agent, stream_id, component_id, messages, n_messages, FALSE, error);
  if (!selected_path (agent, stream_id, component_id, &transport, &to))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                   _("Stream %u component %u has no selected pair"), stream_id, component_id);
      return -1;
    }
  if (n_messages == 0)
    sent = 0;
  else if (NAV_IS_UDP_TRANSPORT (transport))
    sent = send_messages_udp (NAV_UDP_TRANSPORT (transport), &to, messages, n_messages,
                              cancellable, error);
  else
    sent = send_messages_each (transport, &to, messages, n_messages, error);
  g_object_unref (transport);
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
  recv_wake (agent);
}

/* Waits for the receive queues to change after @generation, or for
 * @cancellable. */
static void
recv_wait (NavAgent     *agent,
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
static AgentComponent *
recv_pass_begin (NavAgent    *agent,
                 guint        stream_id,
                 guint        component_id,
                 guint64     *generation,
                 RecvRefusal *why)
{
  AgentComponent *component;

  g_mutex_lock (&agent->recv_mutex);
  *generation = agent->recv_generation;
  g_mutex_unlock (&agent->recv_mutex);

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component != NULL && component->recv_func == NULL)
    return component;
  *why = component == NULL ? RECV_GONE : RECV_ATTACHED;
  agent_unlock_and_emit (agent);
  return NULL;
}

static void
recv_refused (RecvRefusal   why,
              guint         stream_id,
              guint         component_id,
              GError      **error)
{
  if (why == RECV_GONE)
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
static gboolean
recv_pass_end (gint           got,
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
    return reliable_recv_messages (agent, stream_id, component_id, messages, n_messages,
                                   blocking, cancellable, error);

  for (;;)
    {
      AgentComponent *component;
      RecvEntry *entry;
      guint64 generation;
      RecvRefusal why;
      gint ret;

      component = recv_pass_begin (agent, stream_id, component_id, &generation, &why);
      if (component == NULL)
        {
          /* The stream removed while we waited: what came before it. */
          if (why == RECV_GONE && !first)
            return got;
          if (got > 0)
            return got;
          recv_refused (why, stream_id, component_id, error);
          return -1;
        }
      while (got < n_messages && (entry = g_queue_pop_head (&component->recv_queue)) != NULL)
        {
          copy_to_message (entry, &messages[got++]);
          component->recv_queued_bytes -= entry->len;
          g_free (entry);
        }
      agent_unlock_and_emit (agent);
      first = FALSE;

      if (got == n_messages)
        return got;
      if (recv_pass_end (got, blocking, cancellable, &ret, error))
        return ret;
      recv_wait (agent, generation, cancellable);
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

/**
 * nav_agent_get_selected_pair:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @local: (out) (transfer full) (optional): the selected pair's local
 *   candidate
 * @remote: (out) (transfer full) (optional): its remote candidate
 *
 * Returns the component's selected pair, as
 * `nice_agent_get_selected_pair()` (which returns its own copies here).
 *
 * Returns: %TRUE when a pair is selected
 *
 * Since: 1.0
 */
gboolean
nav_agent_get_selected_pair (NavAgent      *agent,
                             guint          stream_id,
                             guint          component_id,
                             NavCandidate **local,
                             NavCandidate **remote)
{
  AgentComponent *component;
  gboolean ok = FALSE;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);

  if (local != NULL)
    *local = NULL;
  if (remote != NULL)
    *remote = NULL;
  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component != NULL && component->selected_local != NULL)
    {
      if (local != NULL)
        *local = nav_candidate_copy (component->selected_local);
      if (remote != NULL)
        *remote = nav_candidate_copy (component->selected_remote);
      ok = TRUE;
    }
  agent_unlock_and_emit (agent);
  return ok;
}

/* Called with the lock held: the highest-priority candidate of @foundation. */
static NavCandidate *
find_by_foundation (GPtrArray   *candidates,
                    const gchar *foundation)
{
  NavCandidate *best = NULL;
  guint i;

  for (i = 0; i < candidates->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (candidates, i);

      if (g_str_equal (c->foundation, foundation) && (best == NULL || c->priority > best->priority))
        best = c;
    }
  return best;
}

/* Takes copies of the pair and hands it to the checker, without the lock. */
static gboolean
force_pair (NavAgent           *agent,
            const NavCandidate *local,
            const NavCandidate *remote)
{
  g_autoptr (NavCandidate) l = nav_candidate_copy (local);
  g_autoptr (NavCandidate) r = nav_candidate_copy (remote);
  NavChecker *checker;
  gboolean ok;

  checker = agent->checker != NULL ? g_object_ref (agent->checker) : NULL;
  agent_unlock_and_emit (agent);
  if (checker == NULL)
    return FALSE;
  ok = nav_checker_set_selected_pair (checker, l, r);
  g_object_unref (checker);
  return ok;
}

/**
 * nav_agent_set_selected_pair:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @lfoundation: the foundation of a local candidate of the component
 * @rfoundation: the foundation of one of its remote candidates
 *
 * Makes that pair the component's selected pair whatever the checks say,
 * as `nice_agent_set_selected_pair()`: the component's checks stop, it
 * becomes %NAV_COMPONENT_STATE_READY and
 * [signal@Nav.Agent::new-selected-pair-full] is emitted.  Keepalives (and
 * consent checks, with [property@Nav.Agent:consent-freshness]) go on.
 *
 * Returns: %TRUE when both candidates exist
 *
 * Since: 1.0
 */
gboolean
nav_agent_set_selected_pair (NavAgent    *agent,
                             guint        stream_id,
                             guint        component_id,
                             const gchar *lfoundation,
                             const gchar *rfoundation)
{
  AgentComponent *component;
  NavCandidate *local = NULL, *remote = NULL;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);
  g_return_val_if_fail (lfoundation != NULL && rfoundation != NULL, FALSE);

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    {
      local = find_by_foundation (component->local, lfoundation);
      remote = find_by_foundation (component->remote, rfoundation);
    }
  if (local == NULL || remote == NULL)
    {
      agent_unlock_and_emit (agent);
      return FALSE;
    }
  return force_pair (agent, local, remote);
}

/**
 * nav_agent_set_selected_remote_candidate:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @candidate: the peer's candidate, known or not
 *
 * Sends the component's data to @candidate whatever the checks say, as
 * `nice_agent_set_selected_remote_candidate()` (for a peer that does not
 * speak ICE): the candidate is added to the remote ones when it is new,
 * paired with the highest-priority local candidate of its address family
 * and transport (a relayed one with [property@Nav.Agent:force-relay]),
 * and the pair is selected as by [method@Nav.Agent.set_selected_pair].
 *
 * Returns: %TRUE when a pair was selected
 *
 * Since: 1.0
 */
gboolean
nav_agent_set_selected_remote_candidate (NavAgent     *agent,
                                         guint         stream_id,
                                         guint         component_id,
                                         NavCandidate *candidate)
{
  AgentComponent *component;
  NavCandidate *local = NULL, *remote = NULL;
  guint i;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);
  g_return_val_if_fail (candidate != NULL, FALSE);

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component == NULL || !add_remote_candidate (agent, component, candidate))
    {
      agent_unlock_and_emit (agent);
      return FALSE;
    }
  for (i = 0; i < component->remote->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (component->remote, i);

      if (c->transport == candidate->transport && nav_address_equal (&c->addr, &candidate->addr))
        remote = c;
    }
  for (i = 0; remote != NULL && i < component->local->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (component->local, i);

      if (c->owner == NULL || c->transport != NAV_CANDIDATE_TRANSPORT_UDP ||
          remote->transport != NAV_CANDIDATE_TRANSPORT_UDP ||
          nav_address_get_family (&c->addr) != nav_address_get_family (&remote->addr) ||
          (agent->force_relay && c->type != NAV_CANDIDATE_TYPE_RELAYED))
        continue;
      if (local == NULL || c->priority > local->priority)
        local = c;
    }
  if (local == NULL)
    {
      agent_unlock_and_emit (agent);
      return FALSE;
    }
  return force_pair (agent, local, remote);
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

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    state = component->state;
  agent_unlock_and_emit (agent);
  return state;
}

/* ------------------------------------------------------------------- SDP */

static const gchar *
sdp_type (NavCandidateType type)
{
  switch (type)
    {
    case NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE:
      return "srflx";
    case NAV_CANDIDATE_TYPE_PEER_REFLEXIVE:
      return "prflx";
    case NAV_CANDIDATE_TYPE_RELAYED:
      return "relay";
    case NAV_CANDIDATE_TYPE_HOST:
    default:
      return "host";
    }
}

/* RFC 8839 §5.1, in libnice's spelling: "a=candidate:" foundation,
 * component, "UDP"/"TCP", priority, address, port, "typ" type, then raddr
 * and rport for reflexive and relayed candidates, tcptype for TCP. */
static void
append_candidate (GString            *sdp,
                  const NavCandidate *c)
{
  g_autofree gchar *ip = nav_address_ip_to_string (&c->addr);

  g_string_append_printf (sdp, "a=candidate:%s %u %s %u %s %u typ %s",
                          c->foundation, c->component_id,
                          c->transport == NAV_CANDIDATE_TRANSPORT_UDP ? "UDP" : "TCP",
                          c->priority, ip, nav_address_get_port (&c->addr),
                          sdp_type (c->type));
  if (c->type != NAV_CANDIDATE_TYPE_HOST && nav_address_is_valid (&c->related_addr))
    {
      g_autofree gchar *raddr = nav_address_ip_to_string (&c->related_addr);

      g_string_append_printf (sdp, " raddr %s rport %u", raddr,
                              nav_address_get_port (&c->related_addr));
    }
  switch (c->transport)
    {
    case NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE:
      g_string_append (sdp, " tcptype active");
      break;
    case NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE:
      g_string_append (sdp, " tcptype passive");
      break;
    case NAV_CANDIDATE_TRANSPORT_TCP_SO:
      g_string_append (sdp, " tcptype so");
      break;
    case NAV_CANDIDATE_TRANSPORT_UDP:
    default:
      break;
    }
}

static gboolean
offered (NavAgent           *agent,
         const NavCandidate *c)
{
  if (c->type == NAV_CANDIDATE_TYPE_PEER_REFLEXIVE)
    return FALSE;
  return !agent->force_relay || c->type == NAV_CANDIDATE_TYPE_RELAYED;
}

/* The default candidate (RFC 8839 §4.2: the one most likely to work for
 * a peer that does not speak ICE), chosen as libnice chooses it, so that
 * the m= and c= lines are libnice's: for the first component the IPv4
 * candidate of lowest priority (relayed before reflexive before host;
 * TCP below UDP of its type), for the others the first IPv4 candidate of
 * the same foundation as the first component's.  Only candidates the SDP
 * offers count (relayed ones with force-relay).  Called with the lock
 * held. */
static const NavCandidate *
default_candidate (NavAgent       *agent,
                   AgentComponent *component)
{
  AgentStream *stream = component->stream;
  const NavCandidate *rtp = NULL, *best = NULL;
  guint i;

  if (component->id != 1)
    {
      rtp = default_candidate (agent, &stream->components[0]);
      if (rtp == NULL)
        return NULL;
    }
  for (i = 0; i < component->local->len; i++)
    {
      const NavCandidate *c = g_ptr_array_index (component->local, i);

      if (nav_address_ip_version (&c->addr) != 4 || !offered (agent, c))
        continue;
      if (rtp != NULL)
        {
          if (g_str_equal (c->foundation, rtp->foundation))
            return c;
        }
      else if (best == NULL || c->priority < best->priority)
        best = c;
    }
  return best;
}

/* Called with the lock held. */
static void
append_stream_sdp (NavAgent    *agent,
                   GString     *sdp,
                   AgentStream *stream,
                   gboolean     include_non_ice)
{
  guint i, j;

  if (include_non_ice)
    {
      const NavCandidate *rtp = default_candidate (agent, &stream->components[0]);
      const NavCandidate *rtcp = stream->n_components > 1
                                 ? default_candidate (agent, &stream->components[1]) : NULL;
      g_autofree gchar *ip = rtp != NULL ? nav_address_ip_to_string (&rtp->addr)
                                         : g_strdup ("0.0.0.0");

      g_string_append_printf (sdp, "m=%s %u ICE/SDP\n",
                              stream->name != NULL ? stream->name : "-",
                              rtp != NULL ? nav_address_get_port (&rtp->addr) : 0);
      g_string_append_printf (sdp, "c=IN %s %s\n",
                              rtp != NULL && nav_address_ip_version (&rtp->addr) == 6
                              ? "IP6" : "IP4", ip);
      if (rtcp != NULL)
        g_string_append_printf (sdp, "a=rtcp:%u\n", nav_address_get_port (&rtcp->addr));
    }
  g_string_append_printf (sdp, "a=ice-ufrag:%s\n", stream->local_ufrag);
  g_string_append_printf (sdp, "a=ice-pwd:%s\n", stream->local_pwd);
  for (i = 0; i < stream->n_components; i++)
    {
      AgentComponent *component = &stream->components[i];

      for (j = 0; j < component->local->len; j++)
        {
          const NavCandidate *c = g_ptr_array_index (component->local, j);

          if (!offered (agent, c))
            continue;
          append_candidate (sdp, c);
          g_string_append_c (sdp, '\n');
        }
    }
  /* RFC 8840 §4.1.3 (and RFC 8838 §13): a trickling agent says when it
   * has no more candidates.  libnice 0.1.21 never writes the line (its
   * parser ignores it); only trickle agents do here, so the SDP of a
   * non-trickle agent stays libnice's text. */
  if (agent->ice_trickle && stream->gathering_done)
    g_string_append (sdp, "a=end-of-candidates\n");
}

static gint
compare_ids (gconstpointer a,
             gconstpointer b)
{
  guint ia = GPOINTER_TO_UINT (a), ib = GPOINTER_TO_UINT (b);

  return ia < ib ? -1 : ia > ib;
}

static GList *
sorted_stream_ids (NavAgent *agent)
{
  return g_list_sort (g_hash_table_get_keys (agent->streams), compare_ids);
}

/**
 * nav_agent_generate_local_sdp:
 * @agent: an agent
 *
 * Writes the SDP of every stream, in libnice's format
 * (`nice_agent_generate_local_sdp()`): per stream an `m=` line with the
 * stream's name (or `-`) and the default candidate's port
 * ([method@Nav.Agent.get_default_local_candidate]), a `c=` line, an
 * `a=rtcp:` line with two components or more, `a=ice-ufrag:`,
 * `a=ice-pwd:` and one `a=candidate:` line per local candidate.
 *
 * Beyond libnice (whose parser ignores these lines): a lite agent
 * ([property@Nav.Agent:full-mode] %FALSE) starts with `a=ice-lite`
 * (RFC 8839 §5.3), and with [property@Nav.Agent:ice-trickle] a stream
 * whose gathering is done ends with `a=end-of-candidates` (RFC 8840
 * §4.1.3).  [method@Nav.Agent.parse_remote_sdp] reads both: a full agent
 * takes the controlling role against a lite peer (RFC 8445 §6.1.1), and
 * end-of-candidates calls [method@Nav.Agent.peer_candidate_gathering_done].
 *
 * Returns: (transfer full): the SDP text
 *
 * Since: 1.0
 */
gchar *
nav_agent_generate_local_sdp (NavAgent *agent)
{
  GString *sdp = g_string_new (NULL);
  GList *ids, *l;

  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);

  agent_lock (agent);
  /* RFC 8839 §5.3: a session-level line (libnice writes none). */
  if (!agent->full_mode)
    g_string_append (sdp, "a=ice-lite\n");
  ids = sorted_stream_ids (agent);
  for (l = ids; l != NULL; l = l->next)
    append_stream_sdp (agent, sdp, lookup_stream (agent, GPOINTER_TO_UINT (l->data)), TRUE);
  g_list_free (ids);
  agent_unlock_and_emit (agent);
  return g_string_free (sdp, FALSE);
}

/**
 * nav_agent_generate_local_stream_sdp:
 * @agent: an agent
 * @stream_id: a stream
 * @include_non_ice: whether to write the `m=`, `c=` and `a=rtcp:` lines
 *
 * Writes the SDP of one stream, as `nice_agent_generate_local_stream_sdp()`.
 *
 * Returns: (transfer full) (nullable): the SDP text, or %NULL when the
 *   stream does not exist
 *
 * Since: 1.0
 */
gchar *
nav_agent_generate_local_stream_sdp (NavAgent *agent,
                                     guint     stream_id,
                                     gboolean  include_non_ice)
{
  AgentStream *stream;
  GString *sdp;

  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);

  agent_lock (agent);
  stream = lookup_stream (agent, stream_id);
  if (stream == NULL)
    {
      agent_unlock_and_emit (agent);
      return NULL;
    }
  sdp = g_string_new (NULL);
  append_stream_sdp (agent, sdp, stream, include_non_ice);
  agent_unlock_and_emit (agent);
  return g_string_free (sdp, FALSE);
}

/**
 * nav_agent_generate_local_candidate_sdp:
 * @agent: an agent
 * @candidate: a candidate
 *
 * Writes one `a=candidate:` line (without line end), as
 * `nice_agent_generate_local_candidate_sdp()`.
 *
 * Returns: (transfer full): the line
 *
 * Since: 1.0
 */
gchar *
nav_agent_generate_local_candidate_sdp (NavAgent     *agent,
                                        NavCandidate *candidate)
{
  GString *sdp;

  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);
  g_return_val_if_fail (candidate != NULL, NULL);

  sdp = g_string_new (NULL);
  append_candidate (sdp, candidate);
  return g_string_free (sdp, FALSE);
}

static gboolean
parse_uint (const gchar *s,
            guint64      max,
            guint64     *out)
{
  return g_ascii_string_to_unsigned (s, 10, 0, max, out, NULL);
}

static gboolean
is_ice_chars (const gchar *s,
              gsize        min,
              gsize        max)
{
  gsize n = strlen (s), i;

  if (n < min || n > max)
    return FALSE;
  for (i = 0; i < n; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '+' && s[i] != '/')
      return FALSE;
  return TRUE;
}

/* Parses one candidate attribute; @line may start with "a=candidate:" or
 * "candidate:".  Untrusted input: everything is checked. */
static NavCandidate *
parse_candidate (const gchar *line,
                 guint        stream_id)
{
  g_auto (GStrv) tokens = NULL;
  g_autoptr (NavCandidate) c = NULL;
  const gchar *foundation;
  guint64 component, priority, port;
  guint n, i;

  if (g_str_has_prefix (line, "a="))
    line += 2;
  if (!g_str_has_prefix (line, "candidate:"))
    return NULL;
  line += strlen ("candidate:");
  tokens = g_strsplit_set (line, " \r\n", -1);
  /* Drop empty tokens of repeated spaces. */
  for (i = 0, n = 0; tokens[i] != NULL; i++)
    {
      if (tokens[i][0] == '\0')
        {
          g_free (tokens[i]);
          continue;
        }
      tokens[n++] = tokens[i];
    }
  tokens[n] = NULL;
  if (n < 8 || g_strcmp0 (tokens[6], "typ") != 0)
    return NULL;

  foundation = tokens[0];
  if (!is_ice_chars (foundation, 1, NAV_CANDIDATE_MAX_FOUNDATION - 1))
    return NULL;
  if (!parse_uint (tokens[1], 256, &component) || component == 0)
    return NULL;
  if (!parse_uint (tokens[3], G_MAXUINT32, &priority))
    return NULL;
  if (!parse_uint (tokens[5], 65535, &port))
    return NULL;

  if (g_ascii_strcasecmp (tokens[7], "host") == 0)
    c = nav_candidate_new (NAV_CANDIDATE_TYPE_HOST);
  else if (g_ascii_strcasecmp (tokens[7], "srflx") == 0)
    c = nav_candidate_new (NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE);
  else if (g_ascii_strcasecmp (tokens[7], "prflx") == 0)
    c = nav_candidate_new (NAV_CANDIDATE_TYPE_PEER_REFLEXIVE);
  else if (g_ascii_strcasecmp (tokens[7], "relay") == 0)
    c = nav_candidate_new (NAV_CANDIDATE_TYPE_RELAYED);
  else
    return NULL;

  if (g_ascii_strcasecmp (tokens[2], "UDP") == 0)
    c->transport = NAV_CANDIDATE_TRANSPORT_UDP;
  else if (g_ascii_strcasecmp (tokens[2], "TCP") == 0)
    c->transport = NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE;
  else
    return NULL;

  if (!nav_address_set_ip_from_string (&c->addr, tokens[4], NULL))
    return NULL;
  nav_address_set_port (&c->addr, port);
  c->base_addr = c->addr;
  c->priority = priority;
  c->stream_id = stream_id;
  c->component_id = component;
  nav_candidate_set_foundation (c, foundation);

  /* Extensions come in name/value pairs (RFC 8839 §5.1); unknown ones
   * (generation, network-id, …) are skipped. */
  for (i = 8; i + 1 < n; i += 2)
    {
      const gchar *name = tokens[i], *value = tokens[i + 1];

      if (g_strcmp0 (name, "raddr") == 0)
        {
          guint rport = nav_address_get_port (&c->related_addr);

          if (!nav_address_set_ip_from_string (&c->related_addr, value, NULL))
            return NULL;
          nav_address_set_port (&c->related_addr, rport);
        }
      else if (g_strcmp0 (name, "rport") == 0)
        {
          guint64 rport;

          if (!parse_uint (value, 65535, &rport))
            return NULL;
          if (nav_address_is_valid (&c->related_addr))
            nav_address_set_port (&c->related_addr, rport);
        }
      else if (g_strcmp0 (name, "tcptype") == 0)
        {
          if (c->transport == NAV_CANDIDATE_TRANSPORT_UDP)
            return NULL;
          if (g_strcmp0 (value, "active") == 0)
            c->transport = NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE;
          else if (g_strcmp0 (value, "passive") == 0)
            c->transport = NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE;
          else if (g_strcmp0 (value, "so") == 0)
            c->transport = NAV_CANDIDATE_TRANSPORT_TCP_SO;
          else
            return NULL;
        }
    }
  return g_steal_pointer (&c);
}

/**
 * nav_agent_parse_remote_candidate_sdp:
 * @agent: an agent
 * @stream_id: the stream the candidate is for
 * @sdp: one `a=candidate:` line
 *
 * Parses one candidate line, as `nice_agent_parse_remote_candidate_sdp()`.
 *
 * Returns: (transfer full) (nullable): the candidate, or %NULL when the
 *   line is not a valid candidate
 *
 * Since: 1.0
 */
NavCandidate *
nav_agent_parse_remote_candidate_sdp (NavAgent    *agent,
                                      guint        stream_id,
                                      const gchar *sdp)
{
  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);
  g_return_val_if_fail (sdp != NULL, NULL);

  return parse_candidate (sdp, stream_id);
}

/**
 * nav_agent_parse_remote_stream_sdp:
 * @agent: an agent
 * @stream_id: a stream
 * @sdp: the SDP of one stream
 * @ufrag: (out) (optional) (nullable) (transfer full): the `a=ice-ufrag:`
 * @pwd: (out) (optional) (nullable) (transfer full): the `a=ice-pwd:`
 *
 * Parses the SDP of one stream without applying it, as
 * `nice_agent_parse_remote_stream_sdp()`.
 *
 * Returns: (element-type NavCandidate) (transfer full) (nullable): the
 *   candidates, or %NULL on a malformed candidate line
 *
 * Since: 1.0
 */
GSList *
nav_agent_parse_remote_stream_sdp (NavAgent     *agent,
                                   guint         stream_id,
                                   const gchar  *sdp,
                                   gchar       **ufrag,
                                   gchar       **pwd)
{
  g_auto (GStrv) lines = NULL;
  GSList *candidates = NULL;
  guint i;

  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);
  g_return_val_if_fail (sdp != NULL, NULL);

  if (ufrag != NULL)
    *ufrag = NULL;
  if (pwd != NULL)
    *pwd = NULL;
  lines = g_strsplit (sdp, "\n", -1);
  for (i = 0; lines[i] != NULL; i++)
    {
      gchar *line = g_strchomp (lines[i]);

      if (g_str_has_prefix (line, "a=ice-ufrag:") && ufrag != NULL)
        {
          g_free (*ufrag);
          *ufrag = g_strdup (line + strlen ("a=ice-ufrag:"));
        }
      else if (g_str_has_prefix (line, "a=ice-pwd:") && pwd != NULL)
        {
          g_free (*pwd);
          *pwd = g_strdup (line + strlen ("a=ice-pwd:"));
        }
      else if (g_str_has_prefix (line, "a=candidate:"))
        {
          NavCandidate *c = parse_candidate (line, stream_id);

          if (c == NULL)
            {
              g_slist_free_full (candidates, (GDestroyNotify) nav_candidate_free);
              return NULL;
            }
          candidates = g_slist_append (candidates, c);
        }
    }
  return candidates;
}

/**
 * nav_agent_parse_remote_sdp:
 * @agent: an agent
 * @sdp: the peer's SDP, as [method@Nav.Agent.generate_local_sdp] writes it
 *
 * Applies the peer's SDP, as `nice_agent_parse_remote_sdp()`: the `m=`
 * sections go to the agent's streams in order, each section's credentials
 * and candidates to its stream.
 *
 * Returns: the number of candidates added, or -1 when the SDP has more
 *   streams than the agent or a malformed candidate line
 *
 * Since: 1.0
 */
int
nav_agent_parse_remote_sdp (NavAgent    *agent,
                            const gchar *sdp)
{
  typedef struct {
    guint stream_id;
    gchar *ufrag;
    gchar *pwd;
    GSList *candidates;
    gboolean end_of_candidates;
  } Section;
  gboolean remote_lite = FALSE, session_end_of_candidates = FALSE;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GArray) sections = g_array_new (FALSE, TRUE, sizeof (Section));
  GList *ids, *next;
  Section *current = NULL;
  int added = 0, ret;
  guint i;

  g_return_val_if_fail (NAV_IS_AGENT (agent), -1);
  g_return_val_if_fail (sdp != NULL, -1);

  agent_lock (agent);
  ids = sorted_stream_ids (agent);
  agent_unlock_and_emit (agent);

  ret = 0;
  next = ids;
  lines = g_strsplit (sdp, "\n", -1);
  for (i = 0; lines[i] != NULL && ret == 0; i++)
    {
      gchar *line = g_strchomp (lines[i]);

      if (g_str_has_prefix (line, "m="))
        {
          Section section = { 0, };

          if (next == NULL)
            {
              ret = -1;
              break;
            }
          section.stream_id = GPOINTER_TO_UINT (next->data);
          next = next->next;
          g_array_append_val (sections, section);
          current = &g_array_index (sections, Section, sections->len - 1);
        }
      /* RFC 8839 §5.3: session level, though a media-level one is taken too. */
      else if (g_str_equal (line, "a=ice-lite"))
        remote_lite = TRUE;
      /* RFC 8840 §4.1.3: for one stream, or for all at session level. */
      else if (g_str_equal (line, "a=end-of-candidates"))
        {
          if (current == NULL)
            session_end_of_candidates = TRUE;
          else
            current->end_of_candidates = TRUE;
        }
      else if (current == NULL)
        continue;
      else if (g_str_has_prefix (line, "a=ice-ufrag:"))
        {
          g_free (current->ufrag);
          current->ufrag = g_strdup (line + strlen ("a=ice-ufrag:"));
        }
      else if (g_str_has_prefix (line, "a=ice-pwd:"))
        {
          g_free (current->pwd);
          current->pwd = g_strdup (line + strlen ("a=ice-pwd:"));
        }
      else if (g_str_has_prefix (line, "a=candidate:"))
        {
          NavCandidate *c = parse_candidate (line, current->stream_id);

          if (c == NULL)
            ret = -1;
          else
            current->candidates = g_slist_append (current->candidates, c);
        }
    }

  /* RFC 8445 §6.1.1: against a lite peer the full agent controls. */
  if (ret == 0 && remote_lite)
    {
      gboolean full;

      agent_lock (agent);
      full = agent->full_mode;
      agent_unlock_and_emit (agent);
      if (full)
        g_object_set (agent, "controlling-mode", TRUE, NULL);
    }
  for (i = 0; i < sections->len; i++)
    {
      Section *section = &g_array_index (sections, Section, i);

      if (ret == 0)
        {
          AgentStream *stream;
          guint c;

          if (section->ufrag != NULL && section->pwd != NULL)
            nav_agent_set_remote_credentials (agent, section->stream_id, section->ufrag,
                                              section->pwd);
          agent_lock (agent);
          stream = lookup_stream (agent, section->stream_id);
          for (c = 1; stream != NULL && c <= stream->n_components; c++)
            {
              GSList *of_component = NULL, *l;
              int n;

              for (l = section->candidates; l != NULL; l = l->next)
                if (((NavCandidate *) l->data)->component_id == c)
                  of_component = g_slist_append (of_component, l->data);
              n = nav_agent_set_remote_candidates (agent, section->stream_id, c, of_component);
              if (n > 0)
                added += n;
              g_slist_free (of_component);
            }
          agent_unlock_and_emit (agent);
          if (section->end_of_candidates || session_end_of_candidates)
            nav_agent_peer_candidate_gathering_done (agent, section->stream_id);
        }
      g_free (section->ufrag);
      g_free (section->pwd);
      g_slist_free_full (section->candidates, (GDestroyNotify) nav_candidate_free);
    }
  g_list_free (ids);
  return ret < 0 ? -1 : added;
}

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

/* A UDP transport's socket is the core's own; the other transports say
 * theirs through nav_transport_dup_sockets(). */
static GPtrArray *
transport_sockets (NavTransport *transport)
{
  GPtrArray *sockets;

  if (NAV_IS_UDP_TRANSPORT (transport))
    {
      GSocket *socket = nav_udp_transport_get_socket (NAV_UDP_TRANSPORT (transport));

      sockets = g_ptr_array_new_with_free_func (g_object_unref);
      if (socket != NULL)
        g_ptr_array_add (sockets, g_object_ref (socket));
      return sockets;
    }
  return nav_transport_dup_sockets (transport);
}

static void
transport_set_tos (NavTransport *transport,
                   gint          tos)
{
  g_autoptr (GPtrArray) sockets = NULL;

  /* An ICE-TCP transport also marks the connections it makes later. */
  if (NAV_IS_ICE_TCP_TRANSPORT (transport))
    {
      nav_ice_tcp_transport_set_tos (NAV_ICE_TCP_TRANSPORT (transport), tos);
      return;
    }
  sockets = transport_sockets (transport);
  for (guint i = 0; i < sockets->len; i++)
    nav_socket_set_tos (g_ptr_array_index (sockets, i), tos);
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
  agent_lock (agent);
  g_free (agent->software);
  agent->software = value;
  configure_checker (agent);
  agent_unlock_and_emit (agent);
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

  agent_lock (agent);
  stream = lookup_stream (agent, stream_id);
  if (stream != NULL)
    {
      stream->tos = tos;
      for (i = 0; i < stream->n_components; i++)
        {
          g_autoptr (GPtrArray) transports = component_transports (&stream->components[i]);

          for (j = 0; j < transports->len; j++)
            transport_set_tos (g_ptr_array_index (transports, j), tos);
        }
    }
  agent_unlock_and_emit (agent);
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

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component != NULL && component->selected_local != NULL && component->selected_remote != NULL &&
      component->selected_local->type != NAV_CANDIDATE_TYPE_RELAYED &&
      component->selected_local->transport == NAV_CANDIDATE_TRANSPORT_UDP &&
      component->selected_local->owner != NULL &&
      NAV_IS_UDP_TRANSPORT (component->selected_local->owner))
    {
      socket = nav_udp_transport_get_socket (NAV_UDP_TRANSPORT (component->selected_local->owner));
      if (socket != NULL)
        g_object_ref (socket);
    }
  agent_unlock_and_emit (agent);
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

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    transports = component_transports (component);
  agent_unlock_and_emit (agent);
  for (i = 0; transports != NULL && i < transports->len; i++)
    {
      g_autoptr (GPtrArray) more = transport_sockets (g_ptr_array_index (transports, i));

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

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (component != NULL)
    c = default_candidate (agent, component);
  copy = c != NULL ? nav_candidate_copy (c) : NULL;
  agent_unlock_and_emit (agent);
  return copy;
}

/**
 * nav_agent_consent_lost:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 *
 * Tells the agent that consent to receive on the component is revoked
 * (RFC 7675 §5.2: the application's own protocol on top, e.g. DTLS,
 * received a close), as `nice_agent_consent_lost()`: every Binding
 * request the peer sends on the component from now on is answered with
 * a 403 (Forbidden) error, which ends the peer's consent at once; the
 * component becomes %NAV_COMPONENT_STATE_FAILED and sends nothing more
 * ([method@Nav.Agent.send] returns -1).  An ICE restart
 * ([method@Nav.Agent.restart_stream]) makes the stream usable again.
 *
 * It only acts with consent freshness on
 * ([property@Nav.Agent:consent-freshness], the
 * %NAV_AGENT_OPTION_CONSENT_FRESHNESS option, or RFC 8445 compatibility).
 *
 * Returns: %FALSE when the component does not exist or consent freshness
 *   is off, %TRUE otherwise
 *
 * Since: 1.0
 */
gboolean
nav_agent_consent_lost (NavAgent *agent,
                        guint     stream_id,
                        guint     component_id)
{
  AgentComponent *component;
  NavChecker *checker = NULL;

  g_return_val_if_fail (NAV_IS_AGENT (agent), FALSE);

  agent_lock (agent);
  component = lookup_component (agent, stream_id, component_id);
  if (!agent->consent_freshness)
    g_debug ("Stream %u component %u: consent lost ignored, consent freshness is off",
             stream_id, component_id);
  if (component == NULL || !agent->consent_freshness)
    {
      agent_unlock_and_emit (agent);
      return FALSE;
    }
  /* The component fails here whatever the checker does: no send gets
   * through can_send() any more. */
  set_component_state (agent, component, NAV_COMPONENT_STATE_FAILED);
  if (agent->checker != NULL)
    checker = g_object_ref (agent->checker);
  agent_unlock_and_emit (agent);
  if (checker != NULL)
    {
      nav_checker_revoke_consent (checker, stream_id, component_id);
      g_object_unref (checker);
    }
  return TRUE;
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

  agent_lock (agent);
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
          component->pending_gatherers = 0;
          for (j = 0; j < owned->len; j++)
            {
              NavTransport *transport = g_ptr_array_index (owned, j);

              if (g_hash_table_remove (agent->hooked, transport))
                nav_transport_set_receive_func (transport, NULL, NULL, NULL);
              add_unique (transports, transport);
            }
          g_ptr_array_set_size (component->local, 0);
          g_ptr_array_set_size (component->discovery, 0);
          g_ptr_array_set_size (component->remote, 0);
          g_clear_pointer (&component->selected_local, nav_candidate_free);
          g_clear_pointer (&component->selected_remote, nav_candidate_free);
        }
      stream->checks_started = FALSE;
    }
  if (agent->checker != NULL)
    checker = g_object_ref (agent->checker);
  agent_unlock_and_emit (agent);

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

/* ---------------------------------------------------------------- object */

static void
nav_agent_constructed (GObject *object)
{
  NavAgent *agent = NAV_AGENT (object);
  g_autoptr (GError) error = NULL;
  GObject *checker;

  G_OBJECT_CLASS (nav_agent_parent_class)->constructed (object);

  if (agent->context == NULL)
    agent->context = g_main_context_ref_thread_default ();

  /* libnice's nice_agent_new() nominates aggressively; RFC 8445 and the
   * REGULAR_NOMINATION option nominate regularly. */
  if (agent->compatibility == NAV_COMPATIBILITY_RFC8445 ||
      (agent->options & NAV_AGENT_OPTION_REGULAR_NOMINATION))
    agent->nomination_mode = NAV_NOMINATION_MODE_REGULAR;
  if (agent->compatibility == NAV_COMPATIBILITY_RFC8445 ||
      (agent->options & NAV_AGENT_OPTION_CONSENT_FRESHNESS))
    agent->consent_freshness = TRUE;
  if (agent->options & NAV_AGENT_OPTION_ICE_TRICKLE)
    agent->ice_trickle = TRUE;
  if (agent->options & NAV_AGENT_OPTION_SUPPORT_RENOMINATION)
    agent->support_renomination = TRUE;
  if (agent->options & NAV_AGENT_OPTION_RELIABLE)
    agent->reliable = TRUE;
  if (agent->options & NAV_AGENT_OPTION_LITE_MODE)
    agent->full_mode = FALSE;
  /* RFC 8445 §6.1.1: against a full agent a lite one is controlled. */
  if (!agent->full_mode)
    agent->controlling_mode = FALSE;

  checker = nav_registry_create (nav_registry_get_default (), NAV_CHECKER_EXTENSION_POINT_NAME,
                                 NULL, &error, "context", agent->context, NULL);
  if (checker == NULL)
    {
      /* Gathering still works; the checks cannot run. */
      agent->checker_error = g_strdup (error->message);
      g_warning (_("No ICE checker is available: %s"), error->message);
      return;
    }
  agent->checker = NAV_CHECKER (checker);
  g_signal_connect (checker, "component-state-changed",
                    G_CALLBACK (on_checker_component_state), agent);
  g_signal_connect (checker, "selected-pair", G_CALLBACK (on_checker_selected_pair), agent);
  g_signal_connect (checker, "pair-state-changed", G_CALLBACK (on_checker_pair_state), agent);
  g_signal_connect (checker, "notify::controlling-mode", G_CALLBACK (on_checker_role), agent);
  configure_checker (agent);
}

static void
nav_agent_dispose (GObject *object)
{
  NavAgent *agent = NAV_AGENT (object);
  GHashTableIter iter;
  AgentStream *stream;

  agent_lock (agent);
  if (agent->checker != NULL)
    {
      g_signal_handlers_disconnect_by_data (agent->checker, agent);
      g_clear_object (&agent->checker);
    }
  g_hash_table_iter_init (&iter, agent->streams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
    {
      g_hash_table_iter_steal (&iter);
      stream_free (agent, stream);
    }
  g_ptr_array_set_size (agent->pending, 0);
  agent->lock_depth--;
  g_rec_mutex_unlock (&agent->lock);

  G_OBJECT_CLASS (nav_agent_parent_class)->dispose (object);
}

static void
nav_agent_finalize (GObject *object)
{
  NavAgent *agent = NAV_AGENT (object);

  g_hash_table_unref (agent->streams);
  g_hash_table_unref (agent->hooked);
  g_ptr_array_unref (agent->pending);
  g_array_unref (agent->local_addresses);
  g_free (agent->checker_error);
  g_free (agent->stun_server);
  g_free (agent->proxy_ip);
  g_free (agent->proxy_username);
  g_free (agent->proxy_password);
  g_free (agent->software);
  g_clear_pointer (&agent->proxy_extra_headers, g_hash_table_unref);
  g_clear_pointer (&agent->context, g_main_context_unref);
  g_rec_mutex_clear (&agent->lock);
  g_mutex_clear (&agent->recv_mutex);
  g_cond_clear (&agent->recv_cond);

  G_OBJECT_CLASS (nav_agent_parent_class)->finalize (object);
}

static void
nav_agent_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  NavAgent *agent = NAV_AGENT (object);

  agent_lock (agent);
  switch (prop_id)
    {
    case PROP_COMPATIBILITY: g_value_set_enum (value, agent->compatibility); break;
    case PROP_MAIN_CONTEXT: g_value_set_boxed (value, agent->context); break;
    case PROP_CONTROLLING_MODE: g_value_set_boolean (value, agent->controlling_mode); break;
    case PROP_STUN_SERVER: g_value_set_string (value, agent->stun_server); break;
    case PROP_STUN_SERVER_PORT: g_value_set_uint (value, agent->stun_server_port); break;
    case PROP_ICE_UDP: g_value_set_boolean (value, agent->ice_udp); break;
    case PROP_ICE_TCP: g_value_set_boolean (value, agent->ice_tcp); break;
    case PROP_ICE_TCP_SIMULTANEOUS_OPEN: g_value_set_boolean (value, agent->ice_tcp_so); break;
    case PROP_FORCE_RELAY: g_value_set_boolean (value, agent->force_relay); break;
    case PROP_ICE_TRICKLE: g_value_set_boolean (value, agent->ice_trickle); break;
    case PROP_NOMINATION_MODE: g_value_set_enum (value, agent->nomination_mode); break;
    case PROP_CONSENT_FRESHNESS: g_value_set_boolean (value, agent->consent_freshness); break;
    case PROP_STUN_PACING_TIMER: g_value_set_uint (value, agent->stun_pacing_timer); break;
    case PROP_MAX_CONNECTIVITY_CHECKS: g_value_set_uint (value, agent->max_connectivity_checks); break;
    case PROP_STUN_MAX_RETRANSMISSIONS: g_value_set_uint (value, agent->stun_max_retransmissions); break;
    case PROP_STUN_INITIAL_TIMEOUT: g_value_set_uint (value, agent->stun_initial_timeout); break;
    case PROP_STUN_RELIABLE_TIMEOUT: g_value_set_uint (value, agent->stun_reliable_timeout); break;
    case PROP_FULL_MODE: g_value_set_boolean (value, agent->full_mode); break;
    case PROP_UPNP: g_value_set_boolean (value, agent->upnp); break;
    case PROP_UPNP_TIMEOUT: g_value_set_uint (value, agent->upnp_timeout); break;
    case PROP_RELIABLE: g_value_set_boolean (value, agent->reliable); break;
    case PROP_BYTESTREAM_TCP: g_value_set_boolean (value, agent->bytestream_tcp); break;
    case PROP_KEEPALIVE_CONNCHECK: g_value_set_boolean (value, agent->keepalive_conncheck); break;
    case PROP_SUPPORT_RENOMINATION: g_value_set_boolean (value, agent->support_renomination); break;
    case PROP_IDLE_TIMEOUT: g_value_set_uint (value, agent->idle_timeout); break;
    case PROP_PROXY_TYPE: g_value_set_uint (value, agent->proxy_type); break;
    case PROP_PROXY_IP: g_value_set_string (value, agent->proxy_ip); break;
    case PROP_PROXY_PORT: g_value_set_uint (value, agent->proxy_port); break;
    case PROP_PROXY_USERNAME: g_value_set_string (value, agent->proxy_username); break;
    case PROP_PROXY_PASSWORD: g_value_set_string (value, agent->proxy_password); break;
    case PROP_CONSENT_INTERVAL: g_value_set_uint (value, agent->consent_interval); break;
    case PROP_CONSENT_TIMEOUT: g_value_set_uint (value, agent->consent_timeout); break;
    case PROP_OPTIONS: g_value_set_flags (value, agent->options); break;
    case PROP_PROXY_EXTRA_HEADERS: g_value_set_boxed (value, agent->proxy_extra_headers); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  agent_unlock_and_emit (agent);
}

static void
nav_agent_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  NavAgent *agent = NAV_AGENT (object);

  agent_lock (agent);
  switch (prop_id)
    {
    case PROP_COMPATIBILITY: agent->compatibility = g_value_get_enum (value); break;
    case PROP_MAIN_CONTEXT: agent->context = g_value_dup_boxed (value); break;
    case PROP_CONTROLLING_MODE:
      /* RFC 8445 §6.1.1: a lite agent is always controlled. */
      agent->controlling_mode = g_value_get_boolean (value) && agent->full_mode;
      break;
    case PROP_STUN_SERVER:
      g_free (agent->stun_server);
      agent->stun_server = g_value_dup_string (value);
      break;
    case PROP_STUN_SERVER_PORT: agent->stun_server_port = g_value_get_uint (value); break;
    case PROP_ICE_UDP: agent->ice_udp = g_value_get_boolean (value); break;
    case PROP_ICE_TCP: agent->ice_tcp = g_value_get_boolean (value); break;
    case PROP_ICE_TCP_SIMULTANEOUS_OPEN: agent->ice_tcp_so = g_value_get_boolean (value); break;
    case PROP_FORCE_RELAY: agent->force_relay = g_value_get_boolean (value); break;
    case PROP_ICE_TRICKLE: agent->ice_trickle = g_value_get_boolean (value); break;
    case PROP_NOMINATION_MODE: agent->nomination_mode = g_value_get_enum (value); break;
    case PROP_CONSENT_FRESHNESS: agent->consent_freshness = g_value_get_boolean (value); break;
    case PROP_STUN_PACING_TIMER: agent->stun_pacing_timer = g_value_get_uint (value); break;
    case PROP_MAX_CONNECTIVITY_CHECKS: agent->max_connectivity_checks = g_value_get_uint (value); break;
    case PROP_STUN_MAX_RETRANSMISSIONS: agent->stun_max_retransmissions = g_value_get_uint (value); break;
    case PROP_STUN_INITIAL_TIMEOUT: agent->stun_initial_timeout = g_value_get_uint (value); break;
    case PROP_STUN_RELIABLE_TIMEOUT: agent->stun_reliable_timeout = g_value_get_uint (value); break;
    case PROP_FULL_MODE: agent->full_mode = g_value_get_boolean (value); break;
    case PROP_UPNP: agent->upnp = g_value_get_boolean (value); break;
    case PROP_UPNP_TIMEOUT: agent->upnp_timeout = g_value_get_uint (value); break;
    case PROP_RELIABLE: agent->reliable = g_value_get_boolean (value); break;
    case PROP_BYTESTREAM_TCP: agent->bytestream_tcp = g_value_get_boolean (value); break;
    case PROP_KEEPALIVE_CONNCHECK: agent->keepalive_conncheck = g_value_get_boolean (value); break;
    case PROP_SUPPORT_RENOMINATION: agent->support_renomination = g_value_get_boolean (value); break;
    case PROP_IDLE_TIMEOUT: agent->idle_timeout = g_value_get_uint (value); break;
    case PROP_PROXY_TYPE: agent->proxy_type = g_value_get_uint (value); break;
    case PROP_PROXY_IP:
      g_free (agent->proxy_ip);
      agent->proxy_ip = g_value_dup_string (value);
      break;
    case PROP_PROXY_PORT: agent->proxy_port = g_value_get_uint (value); break;
    case PROP_PROXY_USERNAME:
      g_free (agent->proxy_username);
      agent->proxy_username = g_value_dup_string (value);
      break;
    case PROP_PROXY_PASSWORD:
      g_free (agent->proxy_password);
      agent->proxy_password = g_value_dup_string (value);
      break;
    case PROP_CONSENT_INTERVAL: agent->consent_interval = g_value_get_uint (value); break;
    case PROP_CONSENT_TIMEOUT: agent->consent_timeout = g_value_get_uint (value); break;
    case PROP_OPTIONS: agent->options = g_value_get_flags (value); break;
    case PROP_PROXY_EXTRA_HEADERS:
      g_clear_pointer (&agent->proxy_extra_headers, g_hash_table_unref);
      agent->proxy_extra_headers = g_value_dup_boxed (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  /* The checker follows the agent's settings. */
  if (agent->checker != NULL && prop_id != PROP_MAIN_CONTEXT && prop_id != PROP_COMPATIBILITY)
    configure_checker (agent);
  agent_unlock_and_emit (agent);
}

static void
nav_agent_class_init (NavAgentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  GParamFlags rwc = rw | G_PARAM_CONSTRUCT;
  GParamFlags rwco = rw | G_PARAM_CONSTRUCT_ONLY;

  object_class->constructed = nav_agent_constructed;
  object_class->dispose = nav_agent_dispose;
  object_class->finalize = nav_agent_finalize;
  object_class->get_property = nav_agent_get_property;
  object_class->set_property = nav_agent_set_property;

  /**
   * NavAgent:compatibility:
   *
   * The flavour of ICE, as libnice's `compatibility`.
   *
   * Since: 1.0
   */
  properties[PROP_COMPATIBILITY] =
    g_param_spec_enum ("compatibility", NULL, NULL, NAV_TYPE_COMPATIBILITY,
                       NAV_COMPATIBILITY_RFC5245, rwco);
  /**
   * NavAgent:main-context:
   *
   * The main context of the agent's sockets, timers and signals: a boxed
   * `GMainContext`, where libnice's is a raw pointer.
   *
   * Since: 1.0
   */
  properties[PROP_MAIN_CONTEXT] =
    g_param_spec_boxed ("main-context", NULL, NULL, G_TYPE_MAIN_CONTEXT, rwco);
  /**
   * NavAgent:controlling-mode:
   *
   * Whether the agent is controlling (RFC 8445 §6.1.1); it follows role
   * conflicts.
   *
   * Since: 1.0
   */
  properties[PROP_CONTROLLING_MODE] =
    g_param_spec_boolean ("controlling-mode", NULL, NULL, FALSE, rwc);
  /**
   * NavAgent:stun-server:
   *
   * The IP address of the STUN server for server-reflexive candidates.
   *
   * Since: 1.0
   */
  properties[PROP_STUN_SERVER] = g_param_spec_string ("stun-server", NULL, NULL, NULL, rw);
  /**
   * NavAgent:stun-server-port:
   *
   * The port of the STUN server.
   *
   * Since: 1.0
   */
  properties[PROP_STUN_SERVER_PORT] =
    g_param_spec_uint ("stun-server-port", NULL, NULL, 1, 65535, 3478, rwc);
  /**
   * NavAgent:ice-udp:
   *
   * Whether UDP candidates are gathered.  Off, while
   * [property@Nav.Agent:ice-tcp] and
   * [property@Nav.Agent:ice-tcp-simultaneous-open] are on and a STUN
   * server is set, a full agent still opens one UDP socket per address to
   * ask the STUN server its mapped address, for the server-reflexive TCP
   * candidates; those sockets are never offered, checked nor used for
   * data.  Otherwise, as in libnice, no UDP socket is opened at all.
   *
   * Since: 1.0
   */
  properties[PROP_ICE_UDP] = g_param_spec_boolean ("ice-udp", NULL, NULL, TRUE, rwc);
  /**
   * NavAgent:ice-tcp:
   *
   * Whether ICE-TCP host candidates (RFC 6544) are gathered: an active
   * and a passive one per local address (an ICE-lite agent: the passive
   * one only; and a simultaneous-open one with
   * [property@Nav.Agent:ice-tcp-simultaneous-open]), checked and
   * carrying data over RFC 4571 framed TCP connections.  Their priorities
   * rank them below UDP ones, so UDP is chosen when both work.
   *
   * With a [property@Nav.Agent:stun-server], a full agent also offers a
   * server-reflexive TCP candidate per host TCP candidate whose base has
   * the IP of a UDP server-reflexive candidate's base, as libnice does:
   * the mapped IP with the host candidate's port and tcptype (a NAT that
   * keeps ports is assumed), the host candidate as base (checks and data
   * leave from it), priorities of RFC 6544 §4.2 with its NATed row of
   * direction preferences (simultaneous-open first), a foundation of its
   * own per transport; none equal to its host candidate (RFC 8445
   * §5.1.3), none with [property@Nav.Agent:force-relay].
   *
   * Since: 1.0
   */
  properties[PROP_ICE_TCP] = g_param_spec_boolean ("ice-tcp", NULL, NULL, TRUE, rwc);
  /**
   * NavAgent:ice-tcp-simultaneous-open:
   *
   * Whether [property@Nav.Agent:ice-tcp] also gathers a simultaneous-open
   * host candidate per local address (RFC 6544 §4.1, "tcptype so"): a
   * real port, from which the agent both accepts the peer's connection
   * and connects to the peer's simultaneous-open candidates, retrying a
   * refused connect while the check is in progress.  Pairs of
   * such candidates rank below active–passive ones (§4.2, host row).
   *
   * Off by default, as libnice gathers none: a `NiceAgent` user switching
   * to `NavAgent` gets the same candidates and SDP.  An ICE-lite agent
   * never gathers them (it opens no connection).  Not a `NiceAgent`
   * property.
   *
   * Since: 1.0
   */
  properties[PROP_ICE_TCP_SIMULTANEOUS_OPEN] =
    g_param_spec_boolean ("ice-tcp-simultaneous-open", NULL, NULL, FALSE, rwc);
  /**
   * NavAgent:force-relay:
   *
   * Whether only relayed candidates are offered and checked: the privacy
   * mode.
   *
   * Since: 1.0
   */
  properties[PROP_FORCE_RELAY] = g_param_spec_boolean ("force-relay", NULL, NULL, FALSE, rwc);
  /**
   * NavAgent:ice-trickle:
   *
   * Trickle ICE (RFC 8838): checks start before gathering ends, and a
   * component fails only after the peer's end-of-candidates.
   *
   * Since: 1.0
   */
  properties[PROP_ICE_TRICKLE] = g_param_spec_boolean ("ice-trickle", NULL, NULL, FALSE, rwc);
  /**
   * NavAgent:nomination-mode:
   *
   * How the controlling agent nominates.
   *
   * Since: 1.0
   */
  properties[PROP_NOMINATION_MODE] =
    g_param_spec_enum ("nomination-mode", NULL, NULL, NAV_TYPE_NOMINATION_MODE,
                       NAV_NOMINATION_MODE_AGGRESSIVE, rwc);
  /**
   * NavAgent:consent-freshness:
   *
   * Whether consent freshness (RFC 7675) runs on selected pairs.
   *
   * Since: 1.0
   */
  properties[PROP_CONSENT_FRESHNESS] =
    g_param_spec_boolean ("consent-freshness", NULL, NULL, FALSE, rwc);
  /**
   * NavAgent:stun-pacing-timer:
   *
   * Ta in milliseconds (RFC 8445 §14.2).
   *
   * Since: 1.0
   */
  properties[PROP_STUN_PACING_TIMER] =
    g_param_spec_uint ("stun-pacing-timer", NULL, NULL, 1, G_MAXUINT, 20, rwc);
  /**
   * NavAgent:max-connectivity-checks:
   *
   * The largest number of pairs of a check list.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_CONNECTIVITY_CHECKS] =
    g_param_spec_uint ("max-connectivity-checks", NULL, NULL, 0, G_MAXUINT, 100, rwc);
  /**
   * NavAgent:stun-max-retransmissions:
   *
   * Retransmissions of a check before its pair fails, and of a STUN
   * Binding or TURN Allocate request over UDP while gathering before the
   * server is given up: a request is sent at most this plus one times
   * (Rc of RFC 8489 §6.2.1).  With the server-reflexive and relayed
   * gatherers, the default keeps the RFC's Rc of 7.  libnice counts the
   * first transmission too and defaults to 3 (three sends): set 2 here
   * for libnice's number of checks.
   *
   * Since: 1.0
   */
  properties[PROP_STUN_MAX_RETRANSMISSIONS] =
    g_param_spec_uint ("stun-max-retransmissions", NULL, NULL, 0, 64, 6, rwc);
  /**
   * NavAgent:stun-initial-timeout:
   *
   * The first retransmission timeout of a check, and of a STUN or TURN
   * request over UDP while gathering, in milliseconds (RTO of RFC 8489
   * §6.2.1; libnice's default is the same 500 ms).  The interval doubles
   * after each transmission; after its last transmission a gathering
   * request waits 16 times this (Rm), so with the defaults a STUN server
   * that never answers holds [signal@Nav.Agent::candidate-gathering-done]
   * 39.5 s.
   *
   * Since: 1.0
   */
  properties[PROP_STUN_INITIAL_TIMEOUT] =
    g_param_spec_uint ("stun-initial-timeout", NULL, NULL, 1, G_MAXUINT, 500, rwc);
  /**
   * NavAgent:stun-reliable-timeout:
   *
   * How long a TURN request over TCP or TLS waits for its response while
   * gathering (and after, for the allocation's refreshes and
   * permissions), and a connectivity check over ICE-TCP for its own, in
   * milliseconds: Ti of RFC 8489 §6.2.2.  A TURN server that accepts the
   * connection but never answers ends the relayed gathering after this,
   * and an ICE-TCP pair whose check stays unanswered this long fails.
   *
   * Since: 1.0
   */
  properties[PROP_STUN_RELIABLE_TIMEOUT] =
    g_param_spec_uint ("stun-reliable-timeout", NULL, NULL, 1, G_MAXUINT, 7900, rwc);
  /**
   * NavAgent:full-mode:
   *
   * Full ICE (%TRUE) or ICE-lite (RFC 8445 §2.5), as libnice's
   * construct-only property (also set by %NAV_AGENT_OPTION_LITE_MODE).  A
   * lite agent gathers host candidates only, sends no checks, answers
   * the full peer's, is always controlled and selects the pair the peer
   * nominates; its SDP starts with `a=ice-lite`.  A full agent whose
   * peer's SDP says `a=ice-lite` takes the controlling role (§6.1.1).
   *
   * Since: 1.0
   */
  properties[PROP_FULL_MODE] = g_param_spec_boolean ("full-mode", NULL, NULL, TRUE, rwco);
  /**
   * NavAgent:upnp:
   *
   * Accepted for libnice compatibility; does nothing.
   *
   * Since: 1.0
   */
  properties[PROP_UPNP] = g_param_spec_boolean ("upnp", NULL, NULL, FALSE, rwc);
  /**
   * NavAgent:upnp-timeout:
   *
   * Accepted for libnice compatibility; does nothing.
   *
   * Since: 1.0
   */
  properties[PROP_UPNP_TIMEOUT] =
    g_param_spec_uint ("upnp-timeout", NULL, NULL, 100, 60000, 200, rwc);
  /**
   * NavAgent:reliable:
   *
   * Whether the agent is reliable, as libnice's: its components carry a
   * pseudo-TCP byte stream over the selected pair, wire-compatible with a
   * reliable `NiceAgent`.  See [ctor@Nav.Agent.new_reliable]; set it at
   * construction.
   *
   * Since: 1.0
   */
  properties[PROP_RELIABLE] = g_param_spec_boolean ("reliable", NULL, NULL, FALSE, rwc);
  /**
   * NavAgent:bytestream-tcp:
   *
   * Accepted for libnice compatibility.
   *
   * Since: 1.0
   */
  properties[PROP_BYTESTREAM_TCP] =
    g_param_spec_boolean ("bytestream-tcp", NULL, NULL, FALSE, rwc);
  /**
   * NavAgent:keepalive-conncheck:
   *
   * Accepted for libnice compatibility.
   *
   * Since: 1.0
   */
  properties[PROP_KEEPALIVE_CONNCHECK] =
    g_param_spec_boolean ("keepalive-conncheck", NULL, NULL, FALSE, rwc);
  /**
   * NavAgent:support-renomination:
   *
   * Accepted for libnice compatibility.
   *
   * Since: 1.0
   */
  properties[PROP_SUPPORT_RENOMINATION] =
    g_param_spec_boolean ("support-renomination", NULL, NULL, FALSE, rwc);
  /**
   * NavAgent:idle-timeout:
   *
   * Accepted for libnice compatibility.
   *
   * Since: 1.0
   */
  properties[PROP_IDLE_TIMEOUT] =
    g_param_spec_uint ("idle-timeout", NULL, NULL, 0, G_MAXUINT, 5000, rwc);
  /**
   * NavAgent:proxy-type:
   *
   * Accepted for libnice compatibility; does nothing.
   *
   * Since: 1.0
   */
  properties[PROP_PROXY_TYPE] = g_param_spec_uint ("proxy-type", NULL, NULL, 0, 3, 0, rwc);
  /**
   * NavAgent:proxy-ip:
   *
   * Accepted for libnice compatibility; does nothing.
   *
   * Since: 1.0
   */
  properties[PROP_PROXY_IP] = g_param_spec_string ("proxy-ip", NULL, NULL, NULL, rw);
  /**
   * NavAgent:proxy-port:
   *
   * Accepted for libnice compatibility; does nothing.
   *
   * Since: 1.0
   */
  properties[PROP_PROXY_PORT] = g_param_spec_uint ("proxy-port", NULL, NULL, 1, 65535, 1, rwc);
  /**
   * NavAgent:proxy-username:
   *
   * Accepted for libnice compatibility; does nothing.
   *
   * Since: 1.0
   */
  properties[PROP_PROXY_USERNAME] = g_param_spec_string ("proxy-username", NULL, NULL, NULL, rw);
  /**
   * NavAgent:proxy-password:
   *
   * Accepted for libnice compatibility; does nothing.
   *
   * Since: 1.0
   */
  properties[PROP_PROXY_PASSWORD] = g_param_spec_string ("proxy-password", NULL, NULL, NULL, rw);
  /**
   * NavAgent:proxy-extra-headers: (type GLib.HashTable(utf8,utf8))
   *
   * Extra headers of the HTTP proxy's CONNECT request, as libnice's
   * (since its 0.1.20): a hash table of strings to strings.  Accepted and
   * kept for libnice compatibility; unused, as the agent has no HTTP
   * proxy support.
   *
   * Since: 1.0
   */
  properties[PROP_PROXY_EXTRA_HEADERS] =
    g_param_spec_boxed ("proxy-extra-headers", NULL, NULL, G_TYPE_HASH_TABLE, rw);
  /**
   * NavAgent:consent-interval:
   *
   * Milliseconds between consent requests (RFC 7675 §5.1: 5000).
   *
   * Since: 1.0
   */
  properties[PROP_CONSENT_INTERVAL] =
    g_param_spec_uint ("consent-interval", NULL, NULL, 10, G_MAXUINT, 5000, rwc);
  /**
   * NavAgent:consent-timeout:
   *
   * Milliseconds without consent after which a component fails
   * (RFC 7675 §5.1: 30000).
   *
   * Since: 1.0
   */
  properties[PROP_CONSENT_TIMEOUT] =
    g_param_spec_uint ("consent-timeout", NULL, NULL, 20, G_MAXUINT, 30000, rwc);
  /**
   * NavAgent:options:
   *
   * The options given to [ctor@Nav.Agent.new_full].
   *
   * Since: 1.0
   */
  properties[PROP_OPTIONS] =
    g_param_spec_flags ("options", NULL, NULL, NAV_TYPE_AGENT_OPTION, 0, rwco);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NavAgent::component-state-changed:
   * @agent: the agent
   * @stream_id: the stream
   * @component_id: the component
   * @state: the new [enum@Nav.ComponentState]
   *
   * A component changed state.
   *
   * Since: 1.0
   */
  signals[SIG_COMPONENT_STATE_CHANGED] =
    g_signal_new ("component-state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_UINT);
  /**
   * NavAgent::candidate-gathering-done:
   * @agent: the agent
   * @stream_id: the stream
   *
   * Every local candidate of the stream is gathered.
   *
   * Since: 1.0
   */
  signals[SIG_CANDIDATE_GATHERING_DONE] =
    g_signal_new ("candidate-gathering-done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  /**
   * NavAgent::new-selected-pair:
   * @agent: the agent
   * @stream_id: the stream
   * @component_id: the component
   * @lfoundation: the local candidate's foundation
   * @rfoundation: the remote candidate's foundation
   *
   * A component's selected pair changed (libnice's older form).
   *
   * Since: 1.0
   */
  signals[SIG_NEW_SELECTED_PAIR] =
    g_signal_new ("new-selected-pair", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 4, G_TYPE_UINT, G_TYPE_UINT,
                  G_TYPE_STRING, G_TYPE_STRING);
  /**
   * NavAgent::new-selected-pair-full:
   * @agent: the agent
   * @stream_id: the stream
   * @component_id: the component
   * @lcandidate: the local candidate
   * @rcandidate: the remote candidate
   *
   * A component's selected pair changed.
   *
   * Since: 1.0
   */
  signals[SIG_NEW_SELECTED_PAIR_FULL] =
    g_signal_new ("new-selected-pair-full", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 4, G_TYPE_UINT, G_TYPE_UINT,
                  NAV_TYPE_CANDIDATE, NAV_TYPE_CANDIDATE);
  /**
   * NavAgent::new-candidate:
   * @agent: the agent
   * @stream_id: the stream
   * @component_id: the component
   * @foundation: the candidate's foundation
   *
   * A local candidate was gathered (libnice's older form).
   *
   * Since: 1.0
   */
  signals[SIG_NEW_CANDIDATE] =
    g_signal_new ("new-candidate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * NavAgent::new-candidate-full:
   * @agent: the agent
   * @candidate: the new local candidate
   *
   * A local candidate was gathered, or learnt from a check
   * (peer-reflexive).
   *
   * Since: 1.0
   */
  signals[SIG_NEW_CANDIDATE_FULL] =
    g_signal_new ("new-candidate-full", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, NAV_TYPE_CANDIDATE);
  /**
   * NavAgent::new-remote-candidate:
   * @agent: the agent
   * @stream_id: the stream
   * @component_id: the component
   * @foundation: the candidate's foundation
   *
   * A peer-reflexive remote candidate was learnt (libnice's older form).
   *
   * Since: 1.0
   */
  signals[SIG_NEW_REMOTE_CANDIDATE] =
    g_signal_new ("new-remote-candidate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * NavAgent::new-remote-candidate-full:
   * @agent: the agent
   * @candidate: the new remote candidate
   *
   * A peer-reflexive remote candidate was learnt from a check
   * (RFC 8445 §7.3.1.3).
   *
   * Since: 1.0
   */
  signals[SIG_NEW_REMOTE_CANDIDATE_FULL] =
    g_signal_new ("new-remote-candidate-full", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, NAV_TYPE_CANDIDATE);
  /**
   * NavAgent::initial-binding-request-received:
   * @agent: the agent
   * @stream_id: the stream
   *
   * The first connectivity check of the peer arrived on the stream.
   *
   * Since: 1.0
   */
  signals[SIG_INITIAL_BINDING_REQUEST_RECEIVED] =
    g_signal_new ("initial-binding-request-received", G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  /**
   * NavAgent::reliable-transport-writable:
   * @agent: the agent
   * @stream_id: the stream
   * @component_id: the component
   *
   * A reliable agent's component can take data again: its pseudo-TCP
   * connection opened, or its send buffer drained after
   * [method@Nav.Agent.send] returned -1 or less than it was given.
   * Never emitted by an agent that is not reliable.
   *
   * Since: 1.0
   */
  signals[SIG_RELIABLE_TRANSPORT_WRITABLE] =
    g_signal_new ("reliable-transport-writable", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);
  /**
   * NavAgent::streams-removed:
   * @agent: the agent
   * @stream_ids: (array zero-terminated=1) (element-type guint): the
   *   removed streams
   *
   * Streams were removed.
   *
   * Since: 1.0
   */
  signals[SIG_STREAMS_REMOVED] =
    g_signal_new ("streams-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  /**
   * NavAgent::new-data:
   * @agent: the agent
   * @stream_id: the stream
   * @component_id: the component
   * @data: the datagram
   *
   * A datagram arrived on a component: the introspectable form of
   * [method@Nav.Agent.attach_recv].  Emitted in the agent's main context.
   *
   * Since: 1.0
   */
  signals[SIG_NEW_DATA] =
    g_signal_new ("new-data", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_BYTES);
}

static void
nav_agent_init (NavAgent *agent)
{
  g_rec_mutex_init (&agent->lock);
  g_mutex_init (&agent->recv_mutex);
  g_cond_init (&agent->recv_cond);
  agent->streams = g_hash_table_new (NULL, NULL);
  agent->hooked = g_hash_table_new (NULL, NULL);
  agent->pending = g_ptr_array_new_with_free_func (pending_free);
  agent->local_addresses = g_array_new (FALSE, FALSE, sizeof (NavAddress));
  agent->next_stream_id = 1;
  /* Before the construct properties: controlling-mode looks at it. */
  agent->full_mode = TRUE;
}
