/* nav-agent-strategy.c: NavAgent's NAT-aware strategy: what to try first
 * for the pair of RFC 5780 NAT types of the two peers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each peer learns its NAT's mapping and filtering behaviour with the
 * STUN tier's RFC 5780 client (`nav-stun --nat-type`, the `stun-probe`
 * gatherer with `nat-discovery`) and sets [property@Nav.Agent:nat-type];
 * the agent writes it in its description (NAV_STRATEGY_SDP_ATTRIBUTE)
 * and reads the peer's from the peer's, or the application sets
 * [property@Nav.Agent:remote-nat-type] from its own rendezvous (a DHT
 * record, a TXT record).  Once both are known the plan follows from the
 * matrix below, and the candidates the plan puts second are held back
 * from the checker for NAV_STRATEGY_HEAD_START_MS: they are still the
 * peer's candidates (nav_agent_get_remote_candidates()), and join the
 * checks after the head start, so that a wrong guess costs time, never
 * the connection.  The peer's end-of-candidates waits for them too: a
 * check list must not fail while pairs are still to come (RFC 8838 §8).
 */
#include "config.h"

#include <string.h>

#include "nav-agent-private.h"
#include "nav-agent-checks-private.h"
#include "nav-agent-strategy-private.h"

typedef enum {
  BEHAVIOUR_UNKNOWN,
  BEHAVIOUR_NONE,               /* no NAT: the mapped address is the local one */
  BEHAVIOUR_EI,                 /* endpoint-independent */
  BEHAVIOUR_AD,                 /* address-dependent */
  BEHAVIOUR_APD,                /* address-and-port-dependent */
} Behaviour;

typedef struct {
  Behaviour mapping;
  Behaviour filtering;
  gboolean udp_blocked;
} NatKind;

typedef struct {
  gchar *nat_type;
  gchar *remote_nat_type;
  NavConnectPlan plan;
  gboolean holding;             /* the head start runs */
  gboolean same_nat;            /* a reflexive address of the peer's is one of ours */
  GPtrArray *held;              /* NavCandidate copies, their stream/component ids set */
  GPtrArray *held_local;        /* our relayed candidates, while the plan is unknown */
  GSource *release;
  gboolean discovery;           /* nat-discovery */
  NavGatherer *probe;           /* the stun module's RFC 5780 client, while it runs */
  gboolean probed;              /* discovery was started (once per agent) */
  gboolean discovered;          /* nat_type came from the probe */
  gboolean remote_seen;         /* a candidate of the peer's came */
} Strategy;

static GParamSpec *strategy_properties[STRATEGY_N_PROPS - N_PROPS];

/* --------------------------------------------------------- the matrix */

static Behaviour
parse_behaviour (const gchar *s)
{
  if (g_str_equal (s, "no-nat") || g_str_equal (s, "none"))
    return BEHAVIOUR_NONE;
  if (g_str_equal (s, "endpoint-independent"))
    return BEHAVIOUR_EI;
  if (g_str_equal (s, "address-dependent"))
    return BEHAVIOUR_AD;
  if (g_str_equal (s, "address-and-port-dependent"))
    return BEHAVIOUR_APD;
  return BEHAVIOUR_UNKNOWN;
}

/* "MAPPING FILTERING" with the words of `nav-stun --nat-type` (RFC 4787
 * §4.1, §5: no-nat, endpoint-independent, address-dependent,
 * address-and-port-dependent), or one of its classifications:
 * open-internet, firewall, full-cone, restricted-cone,
 * port-restricted-cone, symmetric, udp-blocked.  FALSE when unknown. */
static gboolean
parse_nat (const gchar *text,
           NatKind     *kind)
{
  static const struct {
    const gchar *name;
    Behaviour mapping, filtering;
  } classic[] = {
    { "open-internet", BEHAVIOUR_NONE, BEHAVIOUR_NONE },
    { "firewall", BEHAVIOUR_NONE, BEHAVIOUR_APD },
    { "full-cone", BEHAVIOUR_EI, BEHAVIOUR_EI },
    { "restricted-cone", BEHAVIOUR_EI, BEHAVIOUR_AD },
    { "port-restricted-cone", BEHAVIOUR_EI, BEHAVIOUR_APD },
    /* RFC 5780 cannot tell the filtering behind a destination-dependent
     * mapping; the worst is assumed. */
    { "symmetric", BEHAVIOUR_APD, BEHAVIOUR_APD },
  };
  g_autofree gchar *stripped = NULL;
  g_auto (GStrv) words = NULL;

  memset (kind, 0, sizeof *kind);
  if (text == NULL)
    return FALSE;
  stripped = g_strstrip (g_strdup (text));
  words = g_strsplit_set (stripped, " \t", -1);
  if (g_strv_length (words) == 1)
    {
      if (g_str_equal (words[0], "udp-blocked"))
        {
          kind->udp_blocked = TRUE;
          return TRUE;
        }
      for (guint i = 0; i < G_N_ELEMENTS (classic); i++)
        if (g_str_equal (words[0], classic[i].name))
          {
            kind->mapping = classic[i].mapping;
            kind->filtering = classic[i].filtering;
            return TRUE;
          }
      return FALSE;
    }
  if (g_strv_length (words) != 2)
    return FALSE;
  kind->mapping = parse_behaviour (words[0]);
  kind->filtering = parse_behaviour (words[1]);
  return kind->mapping != BEHAVIOUR_UNKNOWN && kind->filtering != BEHAVIOUR_UNKNOWN;
}

/* A peer whose next mapping can be predicted from its server-reflexive
 * candidate (RFC 4787 §4.1: endpoint-independent, or no NAT). */
static gboolean
predictable (const NatKind *k)
{
  return k->mapping == BEHAVIOUR_NONE || k->mapping == BEHAVIOUR_EI;
}

/* A peer that lets in datagrams from a port it did not send to, as long
 * as they come from an address it did (RFC 4787 §5: every filtering
 * but address-and-port-dependent).  A NAT has one public address in the
 * lab and mostly in the field, so the checks of a peer whose port is
 * unpredictable still pass it, and the peer-reflexive candidate they
 * make is the path (RFC 8445 §7.3.1.3). */
static gboolean
lenient (const NatKind *k)
{
  return k->filtering != BEHAVIOUR_APD;
}

static gboolean
open_internet (const NatKind *k)
{
  return k->mapping == BEHAVIOUR_NONE && (k->filtering == BEHAVIOUR_NONE || k->filtering == BEHAVIOUR_EI);
}

static NavConnectPlan
plan_for_kinds (const NatKind *a,
                const NatKind *b)
{
  if (a->udp_blocked || b->udp_blocked)
    return NAV_CONNECT_PLAN_TCP;
  if (open_internet (a) || open_internet (b))
    return NAV_CONNECT_PLAN_DIRECT;
  if (predictable (a) && predictable (b))
    return NAV_CONNECT_PLAN_HOLE_PUNCH;
  if (!predictable (a) && !predictable (b))
    return NAV_CONNECT_PLAN_RELAY_FIRST;
  /* One unpredictable mapping: the other side must let it in. */
  return lenient (predictable (a) ? a : b) ? NAV_CONNECT_PLAN_HOLE_PUNCH : NAV_CONNECT_PLAN_RELAY_FIRST;
}

NavConnectPlan
nav_agent_strategy_plan_for (const gchar *local,
                             const gchar *remote)
{
  NatKind a, b;

  if (!parse_nat (local, &a) || !parse_nat (remote, &b))
    return NAV_CONNECT_PLAN_ICE;
  return plan_for_kinds (&a, &b);
}

const gchar *
nav_agent_strategy_plan_name (NavConnectPlan plan)
{
  GEnumClass *klass = g_type_class_ref (NAV_TYPE_CONNECT_PLAN);
  GEnumValue *v = g_enum_get_value (klass, plan);
  const gchar *nick = v != NULL ? v->value_nick : "ice";

  g_type_class_unref (klass);
  return nick;
}

/* ------------------------------------------------------------ the state */

static Strategy *
get_strategy (NavAgent *agent)
{
  Strategy *s = agent->strategy;

  if (s == NULL)
    {
      s = g_new0 (Strategy, 1);
      s->held = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
      s->held_local = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
      agent->strategy = s;
    }
  return s;
}

/* Called with the lock held: a held candidate of the peer's joins the
 * checks, unless an ICE restart or a removal took the peer's candidates. */
static void
give_remote (NavAgent           *agent,
             AgentComponent     *component,
             const NavCandidate *held)
{
  for (guint j = 0; component != NULL && agent->checker != NULL && j < component->remote->len; j++)
    {
      NavCandidate *r = g_ptr_array_index (component->remote, j);

      if (nav_address_equal (&r->addr, &held->addr) && r->transport == held->transport && r->type == held->type)
        {
          nav_checker_add_remote_candidate (agent->checker, r);
          return;
        }
    }
}

/* Called with the lock held: our relayed candidates join the checks. */
static void
release_local (NavAgent *agent)
{
  Strategy *s = get_strategy (agent);
  g_autoptr (GPtrArray) held = g_steal_pointer (&s->held_local);

  s->held_local = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
  for (guint i = 0; i < held->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (held, i);
      AgentComponent *component = nav_agent_lookup_component (agent, c->stream_id, c->component_id);

      if (component != NULL && agent->checker != NULL && nav_agent_has_candidate (component->local, c))
        nav_checker_add_local_candidate (agent->checker, c);
    }
}

/* Called with the lock held: the held candidates join the checks, and a
 * peer's end-of-candidates that waited for them is passed on. */
static void
release_held (NavAgent *agent)
{
  Strategy *s = get_strategy (agent);
  g_autoptr (GPtrArray) held = g_steal_pointer (&s->held);
  g_autoptr (GHashTable) streams = g_hash_table_new (NULL, NULL);
  GHashTableIter iter;
  gpointer key;

  s->held = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
  s->holding = FALSE;
  release_local (agent);
  if (s->release != NULL)
    {
      g_source_destroy (s->release);
      g_clear_pointer (&s->release, g_source_unref);
    }
  for (guint i = 0; i < held->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (held, i);
      AgentComponent *component = nav_agent_lookup_component (agent, c->stream_id, c->component_id);

      give_remote (agent, component, c);
      g_hash_table_add (streams, GUINT_TO_POINTER (c->stream_id));
    }
  /* Every stream: the end-of-candidates of one with nothing held may
   * have waited too. */
  g_hash_table_iter_init (&iter, agent->streams);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      AgentStream *stream = nav_agent_lookup_stream (agent, GPOINTER_TO_UINT (key));

      if (stream == NULL)
        continue;
      nav_agent_maybe_start_checks (agent, stream);
      if (agent->checker != NULL && stream->peer_gathering_done && stream->gathering_done)
        nav_checker_remote_gathering_done (agent->checker, stream->id);
    }
  if (held->len > 0)
    g_debug ("connect plan %s: %u candidates held back join the checks",
             nav_agent_strategy_plan_name (s->plan), held->len);
}

static gboolean
on_head_start_over (gpointer user_data)
{
  NavAgent *agent = user_data;

  nav_agent_lock (agent);
  if (!g_source_is_destroyed (g_main_current_source ()))
    release_held (agent);
  nav_agent_unlock_and_emit (agent);
  return G_SOURCE_REMOVE;
}

void
nav_agent_strategy_describe (NavAgent     *agent,
                             const gchar **plan,
                             const gchar **nat_type,
                             const gchar **remote_nat_type)
{
  Strategy *s = get_strategy (agent);

  *plan = nav_agent_strategy_plan_name (agent->force_relay ? NAV_CONNECT_PLAN_RELAY_ONLY : s->plan);
  *nat_type = s->nat_type;
  *remote_nat_type = s->remote_nat_type;
}

/* Called with the lock held.  TRUE when the plan changed. */
static gboolean
update_plan (NavAgent *agent)
{
  Strategy *s = get_strategy (agent);
  NavConnectPlan plan;

  if (agent->force_relay)
    plan = NAV_CONNECT_PLAN_RELAY_ONLY;
  else
    plan = nav_agent_strategy_plan_for (s->nat_type, s->remote_nat_type);
  if (plan == s->plan)
    return FALSE;
  s->plan = plan;
  s->same_nat = FALSE;
  g_debug ("connect plan: %s (ours %s, the peer's %s)", nav_agent_strategy_plan_name (plan),
           s->nat_type != NULL ? s->nat_type : "unknown",
           s->remote_nat_type != NULL ? s->remote_nat_type : "unknown");
  if (s->holding)
    release_held (agent);
  if (plan != NAV_CONNECT_PLAN_HOLE_PUNCH && plan != NAV_CONNECT_PLAN_DIRECT)
    release_local (agent);
  if (plan == NAV_CONNECT_PLAN_RELAY_FIRST || plan == NAV_CONNECT_PLAN_HOLE_PUNCH ||
      plan == NAV_CONNECT_PLAN_DIRECT || plan == NAV_CONNECT_PLAN_TCP)
    {
      s->holding = TRUE;
      s->release = g_timeout_source_new (NAV_STRATEGY_HEAD_START_MS);
      g_source_set_callback (s->release, on_head_start_over, agent, NULL);
      g_source_attach (s->release, agent->context);
    }
  return TRUE;
}

/* --------------------------------------------------------- the hooks */

static NavCandidate *
held_copy (const NavCandidate *candidate,
           guint               stream_id,
           guint               component_id)
{
  NavCandidate *copy = nav_candidate_copy (candidate);

  copy->stream_id = stream_id;
  copy->component_id = component_id;
  return copy;
}

/* Both peers said they have a NAT (a mapping, not "no-nat"). */
static gboolean
both_natted (Strategy *s)
{
  NatKind a, b;

  return parse_nat (s->nat_type, &a) && parse_nat (s->remote_nat_type, &b) &&
         a.mapping != BEHAVIOUR_NONE && b.mapping != BEHAVIOUR_NONE;
}

static gboolean
has_reflexive (AgentComponent *component)
{
  for (guint i = 0; i < component->local->len; i++)
    if (((NavCandidate *) g_ptr_array_index (component->local, i))->type == NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE)
      return TRUE;
  return FALSE;
}

/* The peer's reflexive candidate has the public address of one of ours. */
static gboolean
behind_our_nat (AgentComponent     *component,
                const NavCandidate *remote)
{
  for (guint i = 0; i < component->local->len; i++)
    {
      const NavCandidate *c = g_ptr_array_index (component->local, i);

      if (c->type == NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE && nav_address_equal_no_port (&c->addr, &remote->addr))
        return TRUE;
    }
  return FALSE;
}

/* Called with the lock held: the peer's held host candidates join the
 * checks now. */
static void
release_hosts (NavAgent *agent)
{
  Strategy *s = get_strategy (agent);

  for (guint i = 0; i < s->held->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (s->held, i);

      if (c->type != NAV_CANDIDATE_TYPE_HOST)
        continue;
      give_remote (agent, nav_agent_lookup_component (agent, c->stream_id, c->component_id), c);
      g_ptr_array_remove_index (s->held, i--);
    }
}

gboolean
nav_agent_strategy_hold (NavAgent           *agent,
                         AgentComponent     *component,
                         const NavCandidate *candidate)
{
  Strategy *s = get_strategy (agent);
  gboolean relayed = candidate->type == NAV_CANDIDATE_TYPE_RELAYED;

  /* The peer's candidates come without its NAT type: no plan. */
  s->remote_seen = TRUE;
  if (s->plan == NAV_CONNECT_PLAN_ICE && s->held_local->len > 0)
    release_local (agent);
  if (!s->holding)
    return FALSE;
  if (s->plan == NAV_CONNECT_PLAN_HOLE_PUNCH && candidate->type == NAV_CANDIDATE_TYPE_SERVER_REFLEXIVE &&
      !s->same_nat && behind_our_nat (component, candidate))
    {
      s->same_nat = TRUE;
      release_hosts (agent);
    }
  if (s->plan == NAV_CONNECT_PLAN_HOLE_PUNCH && candidate->type == NAV_CANDIDATE_TYPE_HOST)
    {
      /* Two NATs with public addresses of their own: the peer's private
       * address is not reachable from here (RFC 8445 §5.1.1.1 host
       * candidates are meant for one network).  Its host candidates
       * wait while the reflexive pairs are tried (no pair that cannot
       * answer delays nomination), unless its reflexive address shows
       * we are behind the same NAT, or we have no reflexive address to
       * compare with. */
      if (s->same_nat || !both_natted (s) || !has_reflexive (component))
        return FALSE;
    }
  else if (s->plan == NAV_CONNECT_PLAN_TCP)
    {
      /* A peer whose UDP is blocked (RFC 5780 §4.3: no answer to test I)
       * answers no UDP check of its own host or reflexive addresses, nor
       * lets ours in: ICE-TCP (RFC 6544) and the relayed candidates,
       * which a blocked peer allocates over TCP or TLS (RFC 6062 §4.1's
       * client to server leg), go first; the peer's UDP host and
       * reflexive candidates wait. */
      if (candidate->transport != NAV_CANDIDATE_TRANSPORT_UDP || relayed)
        return FALSE;
    }
  else if (s->plan == NAV_CONNECT_PLAN_RELAY_FIRST ? relayed : !relayed)
    return FALSE;
  g_ptr_array_add (s->held, held_copy (candidate, component->stream->id, component->id));
  return TRUE;
}

/* Our relayed candidates wait for the plan when we know our NAT type
 * (the application opted in): were they checked while hole punching is
 * tried, the peer would learn our relayed address as a peer-reflexive
 * candidate (RFC 8445 §7.3.1.3) and might select it.  Nothing waits
 * without a NAT type, in the privacy mode, or once the plan is known
 * (then only during the head start of a direct plan). */
gboolean
nav_agent_strategy_hold_local (NavAgent           *agent,
                               guint               stream_id,
                               guint               component_id,
                               const NavCandidate *candidate)
{
  Strategy *s;
  NatKind kind;
  gboolean hold = FALSE;

  if (candidate->type != NAV_CANDIDATE_TYPE_RELAYED)
    return FALSE;
  nav_agent_lock (agent);
  s = get_strategy (agent);
  if (!agent->force_relay && parse_nat (s->nat_type, &kind))
    {
      /* Not once the peer's candidates came without a type: nothing
       * would release them (our type may come late, from discovery). */
      if (s->plan == NAV_CONNECT_PLAN_ICE)
        hold = s->remote_nat_type == NULL && !s->remote_seen;
      else
        hold = s->holding && (s->plan == NAV_CONNECT_PLAN_HOLE_PUNCH || s->plan == NAV_CONNECT_PLAN_DIRECT);
    }
  if (hold)
    g_ptr_array_add (s->held_local, held_copy (candidate, stream_id, component_id));
  nav_agent_unlock_and_emit (agent);
  return hold;
}

gboolean
nav_agent_strategy_holds (NavAgent *agent,
                          guint     stream_id)
{
  Strategy *s = get_strategy (agent);

  for (guint i = 0; s->holding && i < s->held->len; i++)
    if (((NavCandidate *) g_ptr_array_index (s->held, i))->stream_id == stream_id)
      return TRUE;
  return FALSE;
}

void
nav_agent_strategy_append_sdp (NavAgent *agent,
                               GString  *sdp)
{
  Strategy *s = get_strategy (agent);
  NatKind kind;

  /* Nothing to tell in the privacy mode: the type says something of the
   * network the peer is not to learn about. */
  if (agent->force_relay || !parse_nat (s->nat_type, &kind))
    return;
  g_string_append_printf (sdp, NAV_STRATEGY_SDP_ATTRIBUTE "%s\n", s->nat_type);
}

void
nav_agent_strategy_set_remote_nat (NavAgent    *agent,
                                   const gchar *value)
{
  Strategy *s;
  gboolean changed;

  nav_agent_lock (agent);
  s = get_strategy (agent);
  g_free (s->remote_nat_type);
  s->remote_nat_type = g_strstrip (g_strdup (value));
  changed = update_plan (agent);
  nav_agent_unlock_and_emit (agent);
  g_object_notify_by_pspec (G_OBJECT (agent), strategy_properties[STRATEGY_PROP_REMOTE_NAT_TYPE - N_PROPS]);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (agent), strategy_properties[STRATEGY_PROP_CONNECT_PLAN - N_PROPS]);
}


/* ------------------------------------------------- RFC 5780 discovery */

static void
stop_probe (Strategy *s)
{
  g_autoptr (NavGatherer) probe = g_steal_pointer (&s->probe);

  if (probe == NULL)
    return;
  g_signal_handlers_disconnect_matched (probe, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, s);
  nav_gatherer_stop (probe);
}

/* In the agent's context: the probe's classification.  Only a full one
 * (the server offered OTHER-ADDRESS, RFC 5780 §4.3, §4.4) sets the type:
 * a server that does not answer says nothing certain about UDP (it may
 * only be down), and the application's own nat-type always wins.  A late
 * result still sets the plan: holds that have not expired follow it. */
static void
on_probe_result (NavGatherer *probe,
                 GVariant    *result,
                 Strategy    *s)
{
  NavAgent *agent = g_object_get_data (G_OBJECT (probe), "nav-agent");
  const gchar *mapping = NULL, *filtering = NULL;
  gboolean rfc5780 = FALSE, set = FALSE, changed = FALSE;

  g_variant_lookup (result, "rfc5780", "b", &rfc5780);
  g_variant_lookup (result, "mapping", "&s", &mapping);
  g_variant_lookup (result, "filtering", "&s", &filtering);
  nav_agent_lock (agent);
  if (rfc5780 && mapping != NULL && filtering != NULL && !g_str_equal (mapping, "unknown") &&
      !g_str_equal (filtering, "unknown") && s->nat_type == NULL && !agent->force_relay)
    {
      s->nat_type = g_strdup_printf ("%s %s", mapping, filtering);
      s->discovered = TRUE;
      set = TRUE;
      changed = update_plan (agent);
    }
  g_debug ("event=nat-discovery rfc5780=%d mapping=%s filtering=%s used=%d", rfc5780,
           mapping != NULL ? mapping : "unknown", filtering != NULL ? filtering : "unknown", set);
  nav_agent_unlock_and_emit (agent);
  if (set)
    g_object_notify_by_pspec (G_OBJECT (agent), strategy_properties[STRATEGY_PROP_NAT_TYPE - N_PROPS]);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (agent), strategy_properties[STRATEGY_PROP_CONNECT_PLAN - N_PROPS]);
}

static void
on_probe_failed (NavGatherer  *probe,
                 const GError *error,
                 Strategy     *s)
{
  g_debug ("event=nat-discovery error=\"%s\"", error->message);
}

static gboolean
drop_probe (gpointer user_data)
{
  g_object_unref (user_data);
  return G_SOURCE_REMOVE;
}

/* The probe is done (after its result or failure): let it go, from an
 * idle (it is still emitting). */
static void
on_probe_done (NavGatherer *probe,
               guint        stream_id,
               guint        component_id,
               Strategy    *s)
{
  NavAgent *agent = g_object_get_data (G_OBJECT (probe), "nav-agent");
  NavGatherer *mine = NULL;

  nav_agent_lock (agent);
  if (s->probe == probe)
    {
      g_signal_handlers_disconnect_matched (probe, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, s);
      mine = g_steal_pointer (&s->probe);
    }
  nav_agent_unlock_and_emit (agent);
  if (mine != NULL)
    {
      GSource *idle = g_idle_source_new ();

      g_source_set_callback (idle, drop_probe, mine, NULL);
      g_source_attach (idle, agent->context);
      g_source_unref (idle);
    }
}

/* The tests whose answer a filtering NAT drops (RFC 5780 §4.4 tests II
 * and III) end only by timing out: not with the agent's schedule for
 * candidates (39.5 s by default), but 100 ms doubled four times, 3.1 s
 * at most, as `nav-stun --nat-type --rto 100 --retransmissions 4`.  A
 * datagram lost four times in a row reads as filtering: the worse plan,
 * which costs time, never the connection. */
#define NAV_STRATEGY_PROBE_RTO_MS 100u
#define NAV_STRATEGY_PROBE_RETRANSMISSIONS 4u

/* RFC 5780 discovery runs beside gathering, from a socket of the
 * probe's own (the `stun-probe` gatherer of the stun module), so that
 * the host, reflexive and relayed candidates never wait for it.  Once
 * per agent: the NAT is the host's, not a stream's. */
void
nav_agent_strategy_start_discovery (NavAgent *agent)
{
  Strategy *s = get_strategy (agent);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *server = NULL;
  GObject *probe;

  if (!s->discovery || s->probe != NULL || s->nat_type != NULL || s->probed ||
      agent->force_relay || agent->stun_server == NULL || agent->stun_server[0] == '\0')
    return;
  server = strchr (agent->stun_server, ':') != NULL
           ? g_strdup_printf ("[%s]:%u", agent->stun_server, agent->stun_server_port)
           : g_strdup_printf ("%s:%u", agent->stun_server, agent->stun_server_port);
  probe = nav_registry_create (nav_registry_get_default (), NAV_GATHERER_EXTENSION_POINT_NAME,
                               "stun-probe", &error, "context", agent->context, "server", server,
                               "nat-discovery", TRUE,
                               "stun-initial-timeout", NAV_STRATEGY_PROBE_RTO_MS,
                               "stun-max-retransmissions", NAV_STRATEGY_PROBE_RETRANSMISSIONS, NULL);
  if (probe == NULL)
    {
      g_debug ("event=nat-discovery error=\"%s\"", error->message);
      return;
    }
  /* Only once, even when it fails. */
  s->probed = TRUE;
  s->probe = NAV_GATHERER (probe);
  g_object_set_data (probe, "nav-agent", agent);
  g_signal_connect (probe, "result", G_CALLBACK (on_probe_result), s);
  g_signal_connect (probe, "failed", G_CALLBACK (on_probe_failed), s);
  g_signal_connect (probe, "done", G_CALLBACK (on_probe_done), s);
  /* Its candidate is not connected to: only the result counts. */
  nav_gatherer_gather (s->probe, 1, 1, NULL);
}

/* ------------------------------------------------------- properties */

void
nav_agent_strategy_install_properties (GObjectClass *klass)
{
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  /**
   * NavAgent:nat-type:
   *
   * This peer's NAT as RFC 5780 discovery found it (`nav-stun
   * --nat-type`, the `stun-probe` gatherer with `nat-discovery`):
   * "MAPPING FILTERING", each one of `no-nat`, `endpoint-independent`,
   * `address-dependent`, `address-and-port-dependent`, or a
   * classification (`full-cone`, `restricted-cone`,
   * `port-restricted-cone`, `symmetric`, `open-internet`, `firewall`,
   * `udp-blocked`).  Written in the local description as
   * `a=x-nav-nat:` (not in the privacy mode), and with
   * [property@Nav.Agent:remote-nat-type] it chooses
   * [property@Nav.Agent:connect-plan].  %NULL: unknown.
   *
   * Since: 1.0
   */
  strategy_properties[STRATEGY_PROP_NAT_TYPE - N_PROPS] =
    g_param_spec_string ("nat-type", NULL, NULL, NULL, rw);
  /**
   * NavAgent:remote-nat-type:
   *
   * The peer's NAT, in the syntax of [property@Nav.Agent:nat-type]: set
   * by [method@Nav.Agent.parse_remote_sdp] from the peer's
   * `a=x-nav-nat:` attribute, or by the application from its own
   * rendezvous.
   *
   * Since: 1.0
   */
  strategy_properties[STRATEGY_PROP_REMOTE_NAT_TYPE - N_PROPS] =
    g_param_spec_string ("remote-nat-type", NULL, NULL, NULL, rw);
  /**
   * NavAgent:connect-plan:
   *
   * What the agent tries first for the two peers' NAT types (see
   * #NavConnectPlan): the candidates it puts second join the checks
   * 2 s later.  %NAV_CONNECT_PLAN_RELAY_ONLY with
   * [property@Nav.Agent:force-relay].
   *
   * Since: 1.0
   */
  strategy_properties[STRATEGY_PROP_CONNECT_PLAN - N_PROPS] =
    g_param_spec_enum ("connect-plan", NULL, NULL, NAV_TYPE_CONNECT_PLAN, NAV_CONNECT_PLAN_ICE,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * NavAgent:nat-discovery:
   *
   * Whether the agent finds [property@Nav.Agent:nat-type] itself with
   * the RFC 5780 tests (§4.3 mapping, §4.4 filtering) against
   * [property@Nav.Agent:stun-server], when the application set no NAT
   * type.  The tests run beside gathering, from a socket of their own,
   * and never delay a candidate; they need a server that offers
   * OTHER-ADDRESS (nav-server with a second address, coturn with
   * `--rfc5780`-style alternate addresses): without it they stop after
   * one Binding request.  Off by default, as libnice sends nothing
   * beyond its Binding requests: with it on, a peer that talks to a
   * server offering RFC 5780 learns its type, writes it in its
   * description and sets the plan, even when the result comes after the
   * description went out (then only this side knows it).
   *
   * Since: 1.0
   */
  strategy_properties[STRATEGY_PROP_NAT_DISCOVERY - N_PROPS] =
    g_param_spec_boolean ("nat-discovery", NULL, NULL, FALSE, rw);
  for (guint i = 0; i < G_N_ELEMENTS (strategy_properties); i++)
    g_object_class_install_property (klass, N_PROPS + i, strategy_properties[i]);
}

/* Called with the lock held. */
gboolean
nav_agent_strategy_get_property (NavAgent *agent,
                                 guint     prop_id,
                                 GValue   *value)
{
  Strategy *s = get_strategy (agent);

  switch (prop_id)
    {
    case STRATEGY_PROP_NAT_TYPE: g_value_set_string (value, s->nat_type); return TRUE;
    case STRATEGY_PROP_REMOTE_NAT_TYPE: g_value_set_string (value, s->remote_nat_type); return TRUE;
    case STRATEGY_PROP_NAT_DISCOVERY: g_value_set_boolean (value, s->discovery); return TRUE;
    case STRATEGY_PROP_CONNECT_PLAN:
      update_plan (agent);
      g_value_set_enum (value, s->plan);
      return TRUE;
    default:
      return FALSE;
    }
}

/* Called with the lock held, inside g_object_set(): the notifications
 * go out once it returns (and the lock is released). */
gboolean
nav_agent_strategy_set_property (NavAgent     *agent,
                                 guint         prop_id,
                                 const GValue *value)
{
  Strategy *s = get_strategy (agent);
  gchar **field;

  switch (prop_id)
    {
    case STRATEGY_PROP_NAT_TYPE: field = &s->nat_type; break;
    case STRATEGY_PROP_REMOTE_NAT_TYPE: field = &s->remote_nat_type; break;
    case STRATEGY_PROP_NAT_DISCOVERY:
      if (s->discovery != g_value_get_boolean (value))
        {
          s->discovery = g_value_get_boolean (value);
          g_object_notify_by_pspec (G_OBJECT (agent), strategy_properties[prop_id - N_PROPS]);
        }
      return TRUE;
    default:
      return FALSE;
    }
  if (g_strcmp0 (*field, g_value_get_string (value)) != 0)
    {
      g_free (*field);
      *field = g_value_dup_string (value);
      g_object_notify_by_pspec (G_OBJECT (agent), strategy_properties[prop_id - N_PROPS]);
    }
  if (update_plan (agent))
    g_object_notify_by_pspec (G_OBJECT (agent), strategy_properties[STRATEGY_PROP_CONNECT_PLAN - N_PROPS]);
  return TRUE;
}

void
nav_agent_strategy_dispose (NavAgent *agent)
{
  Strategy *s = agent->strategy;

  if (s == NULL)
    return;
  stop_probe (s);
  if (s->release != NULL)
    {
      g_source_destroy (s->release);
      g_source_unref (s->release);
    }
  g_ptr_array_unref (s->held);
  g_ptr_array_unref (s->held_local);
  g_free (s->nat_type);
  g_free (s->remote_nat_type);
  g_free (s);
  agent->strategy = NULL;
}

/**
 * nav_agent_get_connect_plan:
 * @agent: an agent
 *
 * The plan [property@Nav.Agent:connect-plan] holds: what the agent tries
 * first for this pair of NAT types.
 *
 * Returns: the plan
 *
 * Since: 1.0
 */
NavConnectPlan
nav_agent_get_connect_plan (NavAgent *agent)
{
  NavConnectPlan plan;

  g_return_val_if_fail (NAV_IS_AGENT (agent), NAV_CONNECT_PLAN_ICE);

  nav_agent_lock (agent);
  update_plan (agent);
  plan = get_strategy (agent)->plan;
  nav_agent_unlock_and_emit (agent);
  return plan;
}
