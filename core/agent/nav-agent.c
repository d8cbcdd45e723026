/* nav-agent.c: the ICE agent, libnice's NiceAgent API: the object,
 * its properties and signals, its lock
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "nav-agent-private.h"
#include "nav-agent-strategy-private.h"
#include "inspect/nav-inspect-private.h"
#include "nav-agent-checks-private.h"

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
 * preferred [iface@Nav.Checker] (`ice`), each given the agent's settings
 * as a [struct@Nav.Config].  Gathered candidates go to the checker and to
 * [signal@Nav.Agent::new-candidate-full]; remote ones to the checker.
 *
 * Each component's data path is a [iface@Nav.Channel]
 * ([method@Nav.Agent.get_channel]) that the agent binds to the checker's
 * selected pair, and rebinds when another is selected: what
 * [method@Nav.Agent.send] and the other sends write leaves through it.
 * What the candidates' transports receive is demultiplexed: STUN goes to
 * the checker; data from a source the checks proved (RFC 8445 §11: the
 * selected pair's remote, those of pairs whose checks succeeded, those
 * of the peer's authenticated checks) goes to the channel, then to the
 * receive function of a layer stacked on it, or to the function of
 * [method@Nav.Agent.attach_recv], to [signal@Nav.Agent::new-data] and to
 * [method@Nav.Agent.recv_messages]; data from anyone else is dropped and
 * counted ([method@Nav.Agent.get_dropped_datagrams]), as libnice drops
 * it.
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

guint nav_agent_signals[N_SIGNALS];

GParamSpec *nav_agent_properties[N_PROPS];

G_DEFINE_FINAL_TYPE (NavAgent, nav_agent, G_TYPE_OBJECT)

/* --------------------------------------------------------------- signals */

static void
nav_agent_pending_free (gpointer data)
{
  PendingSignal *p = data;

  g_clear_pointer (&p->local, nav_candidate_free);
  g_clear_pointer (&p->remote, nav_candidate_free);
  g_clear_object (&p->object);
  g_clear_error (&p->error);
  g_free (p);
}

void
nav_agent_queue_signal (NavAgent           *agent,
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

/* A STUN or TURN server gave no candidate, and why (::gathering-error). */
void
nav_agent_queue_gathering_error (NavAgent     *agent,
                                 guint         stream_id,
                                 guint         component_id,
                                 const GError *error)
{
  PendingSignal *p = g_new0 (PendingSignal, 1);

  p->signal = SIG_GATHERING_ERROR;
  p->stream_id = stream_id;
  p->component_id = component_id;
  p->error = g_error_copy (error);
  g_ptr_array_add (agent->pending, p);
}

/* The component's channel announces what changed in it (its path, its
 * state) once the lock is released. */
void
nav_agent_queue_channel_changes (NavAgent       *agent,
                                 AgentComponent *component)
{
  PendingSignal *p;

  if (!nav_datagram_channel_changed_locked (component->channel))
    return;
  p = g_new0 (PendingSignal, 1);
  p->signal = SIG_CHANNEL_CHANGED;
  p->object = g_object_ref (G_OBJECT (component->channel));
  g_ptr_array_add (agent->pending, p);
}

void
nav_agent_lock (NavAgent *agent)
{
  g_rec_mutex_lock (&agent->lock);
  agent->lock_depth++;
}

/* Releases the lock and emits the queued signals, as libnice does, so a
 * handler may call back into the agent.  A nested unlock (the lock is
 * recursive) leaves the signals to the outermost one. */
void
nav_agent_unlock_and_emit (NavAgent *agent)
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
  agent->pending = g_ptr_array_new_with_free_func (nav_agent_pending_free);
  g_rec_mutex_unlock (&agent->lock);

  g_object_ref (agent);
  for (i = 0; i < pending->len; i++)
    {
      PendingSignal *p = g_ptr_array_index (pending, i);

      switch (p->signal)
        {
        case SIG_COMPONENT_STATE_CHANGED:
          g_signal_emit (agent, nav_agent_signals[p->signal], 0, p->stream_id, p->component_id, p->state);
          break;
        case SIG_CANDIDATE_GATHERING_DONE:
        case SIG_INITIAL_BINDING_REQUEST_RECEIVED:
          g_signal_emit (agent, nav_agent_signals[p->signal], 0, p->stream_id);
          break;
        case SIG_NEW_SELECTED_PAIR:
          g_signal_emit (agent, nav_agent_signals[p->signal], 0, p->stream_id, p->component_id,
                         p->local->foundation, p->remote->foundation);
          break;
        case SIG_NEW_SELECTED_PAIR_FULL:
          g_signal_emit (agent, nav_agent_signals[p->signal], 0, p->stream_id, p->component_id,
                         p->local, p->remote);
          break;
        case SIG_NEW_CANDIDATE:
          g_signal_emit (agent, nav_agent_signals[p->signal], 0, p->stream_id, p->component_id,
                         p->local->foundation);
          break;
        case SIG_NEW_CANDIDATE_FULL:
          g_signal_emit (agent, nav_agent_signals[p->signal], 0, p->local);
          break;
        case SIG_NEW_REMOTE_CANDIDATE:
          g_signal_emit (agent, nav_agent_signals[p->signal], 0, p->stream_id, p->component_id,
                         p->remote->foundation);
          break;
        case SIG_NEW_REMOTE_CANDIDATE_FULL:
          g_signal_emit (agent, nav_agent_signals[p->signal], 0, p->remote);
          break;
        case SIG_STREAMS_REMOVED:
          {
            guint ids[2] = { p->stream_id, 0 };

            g_signal_emit (agent, nav_agent_signals[p->signal], 0, ids);
          }
          break;
        case SIG_RELIABLE_TRANSPORT_WRITABLE:
          g_signal_emit (agent, nav_agent_signals[p->signal], 0, p->stream_id, p->component_id);
          break;
        case SIG_GATHERING_ERROR:
          g_signal_emit (agent, nav_agent_signals[p->signal], 0, p->stream_id, p->component_id, p->error);
          break;
        case SIG_CHANNEL_CHANGED:
          nav_datagram_channel_emit_changes (NAV_DATAGRAM_CHANNEL (p->object));
          break;
        case SIG_NEW_DATA:
        case N_SIGNALS:
          break;
        }
    }
  g_object_unref (agent);
}

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

static void
nav_agent_constructed (GObject *object)
{
  NavAgent *agent = NAV_AGENT (object);

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

  nav_agent_create_checker (agent);
  /* Seen by nav-inspect --live (core/inspect). */
  nav_inspect_track (object, "agent");
}

static void
nav_agent_dispose (GObject *object)
{
  NavAgent *agent = NAV_AGENT (object);
  g_autoptr (GPtrArray) channels = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  AgentStream *stream;

  nav_agent_lock (agent);
  if (agent->checker != NULL)
    {
      g_signal_handlers_disconnect_by_data (agent->checker, agent);
      g_clear_object (&agent->checker);
    }
  g_hash_table_iter_init (&iter, agent->streams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
    {
      g_hash_table_iter_steal (&iter);
      nav_agent_stream_free (agent, stream);
    }
  /* The agent's signals are not emitted any more; its channels, which
   * the application may hold, still say they closed. */
  for (guint i = 0; i < agent->pending->len; i++)
    {
      PendingSignal *p = g_ptr_array_index (agent->pending, i);

      if (p->signal == SIG_CHANNEL_CHANGED)
        g_ptr_array_add (channels, g_steal_pointer (&p->object));
    }
  g_ptr_array_set_size (agent->pending, 0);
  nav_agent_strategy_dispose (agent);
  agent->lock_depth--;
  g_rec_mutex_unlock (&agent->lock);
  for (guint i = 0; i < channels->len; i++)
    nav_datagram_channel_emit_changes (g_ptr_array_index (channels, i));

  G_OBJECT_CLASS (nav_agent_parent_class)->dispose (object);
}

static void
nav_agent_finalize (GObject *object)
{
  NavAgent *agent = NAV_AGENT (object);

  nav_agent_strategy_dispose (agent);     /* again: a property read after dispose */
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

  nav_agent_lock (agent);
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
      if (!nav_agent_strategy_get_property (agent, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  nav_agent_unlock_and_emit (agent);
}

/* libnice's UPnP and proxy settings have no counterpart here (no port
 * mapping; TURN servers are reached directly): a program that sets one
 * is told once per agent, rather than left to wonder why nothing
 * changed.  Their defaults, and switching them off, say nothing. */
static void
warn_noop_property (NavAgent     *agent,
                    guint         prop_id,
                    const GValue *value)
{
  gboolean used;
  const gchar *why;

  switch (prop_id)
    {
    case PROP_UPNP:
      used = g_value_get_boolean (value);
      why = _("NetAvanue maps no ports with UPnP");
      break;
    case PROP_PROXY_TYPE:
      used = g_value_get_uint (value) != 0;
      why = _("NetAvanue reaches TURN servers directly, through no proxy");
      break;
    case PROP_PROXY_IP:
    case PROP_PROXY_USERNAME:
    case PROP_PROXY_PASSWORD:
      used = g_value_get_string (value) != NULL;
      why = _("NetAvanue reaches TURN servers directly, through no proxy");
      break;
    case PROP_PROXY_EXTRA_HEADERS:
      used = g_value_get_boxed (value) != NULL;
      why = _("NetAvanue reaches TURN servers directly, through no proxy");
      break;
    default:
      return;
    }
  if (!used || (agent->noop_warned & (G_GUINT64_CONSTANT (1) << prop_id)))
    return;
  agent->noop_warned |= G_GUINT64_CONSTANT (1) << prop_id;
  g_warning (_("The agent property “%s” is accepted for libnice compatibility but does "
               "nothing: %s"), nav_agent_properties[prop_id]->name, why);
}

static void
nav_agent_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  NavAgent *agent = NAV_AGENT (object);

  warn_noop_property (agent, prop_id, value);
  nav_agent_lock (agent);
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
      if (!nav_agent_strategy_set_property (agent, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  /* The checker follows the agent's settings. */
  if (agent->checker != NULL && prop_id != PROP_MAIN_CONTEXT && prop_id != PROP_COMPATIBILITY)
    nav_agent_configure_checker (agent);
  nav_agent_unlock_and_emit (agent);
}

/* The ICE settings: role, candidate kinds, nomination, mode. */
static void
create_ice_properties (void)
{
  GParamFlags rwc = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_CONSTRUCT;
  GParamFlags rwco = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_CONSTRUCT_ONLY;

  /**
   * NavAgent:compatibility:
   *
   * The flavour of ICE, as libnice's `compatibility`.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_COMPATIBILITY] =
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
  nav_agent_properties[PROP_MAIN_CONTEXT] =
    g_param_spec_boxed ("main-context", NULL, NULL, G_TYPE_MAIN_CONTEXT, rwco);
  /**
   * NavAgent:controlling-mode:
   *
   * Whether the agent is controlling (RFC 8445 §6.1.1); it follows role
   * conflicts.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_CONTROLLING_MODE] =
    g_param_spec_boolean ("controlling-mode", NULL, NULL, FALSE, rwc);
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
  nav_agent_properties[PROP_ICE_UDP] = g_param_spec_boolean ("ice-udp", NULL, NULL, TRUE, rwc);
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
  nav_agent_properties[PROP_ICE_TCP] = g_param_spec_boolean ("ice-tcp", NULL, NULL, TRUE, rwc);
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
  nav_agent_properties[PROP_ICE_TCP_SIMULTANEOUS_OPEN] =
    g_param_spec_boolean ("ice-tcp-simultaneous-open", NULL, NULL, FALSE, rwc);
  /**
   * NavAgent:force-relay:
   *
   * Whether only relayed candidates are offered and checked: the privacy
   * mode.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_FORCE_RELAY] = g_param_spec_boolean ("force-relay", NULL, NULL, FALSE, rwc);
  /**
   * NavAgent:ice-trickle:
   *
   * Trickle ICE (RFC 8838): checks start before gathering ends, and a
   * component fails only after the peer's end-of-candidates.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_ICE_TRICKLE] = g_param_spec_boolean ("ice-trickle", NULL, NULL, FALSE, rwc);
  /**
   * NavAgent:nomination-mode:
   *
   * How the controlling agent nominates.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_NOMINATION_MODE] =
    g_param_spec_enum ("nomination-mode", NULL, NULL, NAV_TYPE_NOMINATION_MODE,
                       NAV_NOMINATION_MODE_AGGRESSIVE, rwc);
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
  nav_agent_properties[PROP_FULL_MODE] = g_param_spec_boolean ("full-mode", NULL, NULL, TRUE, rwco);
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
  nav_agent_properties[PROP_RELIABLE] = g_param_spec_boolean ("reliable", NULL, NULL, FALSE, rwc);
  /**
   * NavAgent:options:
   *
   * The options given to [ctor@Nav.Agent.new_full].
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_OPTIONS] =
    g_param_spec_flags ("options", NULL, NULL, NAV_TYPE_AGENT_OPTION, 0, rwco);
}

/* The STUN settings: the server, the pacing and retransmissions of
 * requests, consent freshness (RFC 7675). */
static void
create_stun_properties (void)
{
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  GParamFlags rwc = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_CONSTRUCT;

  /**
   * NavAgent:stun-server:
   *
   * The IP address of the STUN server for server-reflexive candidates.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_STUN_SERVER] = g_param_spec_string ("stun-server", NULL, NULL, NULL, rw);
  /**
   * NavAgent:stun-server-port:
   *
   * The port of the STUN server.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_STUN_SERVER_PORT] =
    g_param_spec_uint ("stun-server-port", NULL, NULL, 1, 65535, 3478, rwc);
  /**
   * NavAgent:consent-freshness:
   *
   * Whether consent freshness (RFC 7675) runs on selected pairs.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_CONSENT_FRESHNESS] =
    g_param_spec_boolean ("consent-freshness", NULL, NULL, FALSE, rwc);
  /**
   * NavAgent:stun-pacing-timer:
   *
   * Ta in milliseconds (RFC 8445 §14.2).
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_STUN_PACING_TIMER] =
    g_param_spec_uint ("stun-pacing-timer", NULL, NULL, 1, G_MAXUINT, 20, rwc);
  /**
   * NavAgent:max-connectivity-checks:
   *
   * The largest number of pairs of a check list.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_MAX_CONNECTIVITY_CHECKS] =
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
  nav_agent_properties[PROP_STUN_MAX_RETRANSMISSIONS] =
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
  nav_agent_properties[PROP_STUN_INITIAL_TIMEOUT] =
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
  nav_agent_properties[PROP_STUN_RELIABLE_TIMEOUT] =
    g_param_spec_uint ("stun-reliable-timeout", NULL, NULL, 1, G_MAXUINT, 7900, rwc);
  /**
   * NavAgent:consent-interval:
   *
   * Milliseconds between consent requests (RFC 7675 §5.1: 5000).
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_CONSENT_INTERVAL] =
    g_param_spec_uint ("consent-interval", NULL, NULL, 10, G_MAXUINT, 5000, rwc);
  /**
   * NavAgent:consent-timeout:
   *
   * Milliseconds without consent after which a component fails
   * (RFC 7675 §5.1: 30000).
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_CONSENT_TIMEOUT] =
    g_param_spec_uint ("consent-timeout", NULL, NULL, 20, G_MAXUINT, 30000, rwc);
}

/* libnice's properties the agent accepts for compatibility, most of
 * them without effect. */
static void
create_compat_properties (void)
{
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  GParamFlags rwc = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_CONSTRUCT;

  /**
   * NavAgent:upnp:
   *
   * Accepted for libnice compatibility; does nothing.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_UPNP] = g_param_spec_boolean ("upnp", NULL, NULL, FALSE, rwc);
  /**
   * NavAgent:upnp-timeout:
   *
   * Accepted for libnice compatibility; does nothing.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_UPNP_TIMEOUT] =
    g_param_spec_uint ("upnp-timeout", NULL, NULL, 100, 60000, 200, rwc);
  /**
   * NavAgent:bytestream-tcp:
   *
   * Accepted for libnice compatibility.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_BYTESTREAM_TCP] =
    g_param_spec_boolean ("bytestream-tcp", NULL, NULL, FALSE, rwc);
  /**
   * NavAgent:keepalive-conncheck:
   *
   * Accepted for libnice compatibility.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_KEEPALIVE_CONNCHECK] =
    g_param_spec_boolean ("keepalive-conncheck", NULL, NULL, FALSE, rwc);
  /**
   * NavAgent:support-renomination:
   *
   * Accepted for libnice compatibility.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_SUPPORT_RENOMINATION] =
    g_param_spec_boolean ("support-renomination", NULL, NULL, FALSE, rwc);
  /**
   * NavAgent:idle-timeout:
   *
   * Accepted for libnice compatibility.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_IDLE_TIMEOUT] =
    g_param_spec_uint ("idle-timeout", NULL, NULL, 0, G_MAXUINT, 5000, rwc);
  /**
   * NavAgent:proxy-type:
   *
   * Accepted for libnice compatibility; does nothing.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_PROXY_TYPE] = g_param_spec_uint ("proxy-type", NULL, NULL, 0, 3, 0, rwc);
  /**
   * NavAgent:proxy-ip:
   *
   * Accepted for libnice compatibility; does nothing.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_PROXY_IP] = g_param_spec_string ("proxy-ip", NULL, NULL, NULL, rw);
  /**
   * NavAgent:proxy-port:
   *
   * Accepted for libnice compatibility; does nothing.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_PROXY_PORT] = g_param_spec_uint ("proxy-port", NULL, NULL, 1, 65535, 1, rwc);
  /**
   * NavAgent:proxy-username:
   *
   * Accepted for libnice compatibility; does nothing.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_PROXY_USERNAME] = g_param_spec_string ("proxy-username", NULL, NULL, NULL, rw);
  /**
   * NavAgent:proxy-password:
   *
   * Accepted for libnice compatibility; does nothing.
   *
   * Since: 1.0
   */
  nav_agent_properties[PROP_PROXY_PASSWORD] = g_param_spec_string ("proxy-password", NULL, NULL, NULL, rw);
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
  nav_agent_properties[PROP_PROXY_EXTRA_HEADERS] =
    g_param_spec_boxed ("proxy-extra-headers", NULL, NULL, G_TYPE_HASH_TABLE, rw);
}

static void
install_signals (GObjectClass *klass)
{

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
  nav_agent_signals[SIG_COMPONENT_STATE_CHANGED] =
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
  nav_agent_signals[SIG_CANDIDATE_GATHERING_DONE] =
    g_signal_new ("candidate-gathering-done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  /**
   * NavAgent::gathering-error:
   * @agent: the agent
   * @stream_id: the stream
   * @component_id: the component
   * @error: why the server gave no candidate
   *
   * A STUN server ([property@Nav.Agent:stun-server]) or a TURN server
   * ([method@Nav.Agent.set_relay_info]) gave the component no candidate:
   * the TURN server refused the credentials (`NAV_TURN_CLIENT_ERROR`,
   * `NAV_TURN_CLIENT_ERROR_UNAUTHORIZED`), a server never answered
   * (`NAV_ERROR_TIMED_OUT`, or `NAV_TURN_CLIENT_ERROR_TIMED_OUT`), its name
   * could not be resolved (`NAV_ERROR_INVALID_ADDRESS`), …  The message
   * names the server and is meant to be shown to the user.  Emitted
   * before [signal@Nav.Agent::candidate-gathering-done]; gathering goes
   * on with the other candidates.  libnice has no such signal: programs
   * written for it do not see it.
   *
   * Since: 1.0
   */
  nav_agent_signals[SIG_GATHERING_ERROR] =
    g_signal_new ("gathering-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_ERROR);
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
  nav_agent_signals[SIG_NEW_SELECTED_PAIR] =
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
  nav_agent_signals[SIG_NEW_SELECTED_PAIR_FULL] =
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
  nav_agent_signals[SIG_NEW_CANDIDATE] =
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
  nav_agent_signals[SIG_NEW_CANDIDATE_FULL] =
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
  nav_agent_signals[SIG_NEW_REMOTE_CANDIDATE] =
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
  nav_agent_signals[SIG_NEW_REMOTE_CANDIDATE_FULL] =
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
  nav_agent_signals[SIG_INITIAL_BINDING_REQUEST_RECEIVED] =
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
  nav_agent_signals[SIG_RELIABLE_TRANSPORT_WRITABLE] =
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
  nav_agent_signals[SIG_STREAMS_REMOVED] =
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
  nav_agent_signals[SIG_NEW_DATA] =
    g_signal_new ("new-data", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_BYTES);
}

static void
nav_agent_class_init (NavAgentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = nav_agent_constructed;
  object_class->dispose = nav_agent_dispose;
  object_class->finalize = nav_agent_finalize;
  object_class->get_property = nav_agent_get_property;
  object_class->set_property = nav_agent_set_property;

  create_ice_properties ();
  create_stun_properties ();
  create_compat_properties ();
  g_object_class_install_properties (object_class, N_PROPS, nav_agent_properties);
  nav_agent_strategy_install_properties (object_class);
  install_signals (object_class);
}

static void
nav_agent_init (NavAgent *agent)
{
  g_rec_mutex_init (&agent->lock);
  g_mutex_init (&agent->recv_mutex);
  g_cond_init (&agent->recv_cond);
  agent->streams = g_hash_table_new (NULL, NULL);
  agent->hooked = g_hash_table_new (NULL, NULL);
  agent->pending = g_ptr_array_new_with_free_func (nav_agent_pending_free);
  agent->local_addresses = g_array_new (FALSE, FALSE, sizeof (NavAddress));
  agent->next_stream_id = 1;
  /* Before the construct properties: controlling-mode looks at it. */
  agent->full_mode = TRUE;
}
