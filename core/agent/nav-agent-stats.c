/* nav-agent-stats.c: NavAgent's statistics (nav_agent_get_stats()): its
 * components as "transport" reports, their candidates and the checker's
 * pairs, in the words of W3C webrtc-stats
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-agent-private.h"
#include "nav-agent-strategy-private.h"
#include "inspect/nav-stats-private.h"

static const gchar *
relay_scheme (NavRelayType type)
{
  return type == NAV_RELAY_TYPE_TURN_TLS ? "turns" : "turn";
}

static const gchar *
relay_protocol (NavRelayType type)
{
  switch (type)
    {
    case NAV_RELAY_TYPE_TURN_TCP:
      return "tcp";
    case NAV_RELAY_TYPE_TURN_TLS:
      return "tls";
    default:
      return "udp";
    }
}

/* RTCIceCandidateStats.  A relayed candidate of a component with one
 * TURN server says which (url, relayProtocol): the allocation's relayed
 * address is the candidate's, its mapped address the related one. */
static void
add_candidate (GVariantBuilder    *reports,
               AgentComponent     *component,
               const NavCandidate *c,
               const gchar        *type,
               const gchar        *id,
               const gchar        *transport_id,
               gdouble             now)
{
  GVariantBuilder b;
  g_autofree gchar *ip = nav_address_ip_to_string (&c->addr);
  const gchar *tcp_type = nav_stats_tcp_type (c->transport);

  nav_stats_report_begin (&b, type, id, now);
  g_variant_builder_add (&b, "{sv}", "transportId", g_variant_new_string (transport_id));
  g_variant_builder_add (&b, "{sv}", "address", g_variant_new_string (ip != NULL ? ip : ""));
  g_variant_builder_add (&b, "{sv}", "port", g_variant_new_uint32 (nav_address_get_port (&c->addr)));
  g_variant_builder_add (&b, "{sv}", "protocol", g_variant_new_string (nav_stats_protocol (c->transport)));
  g_variant_builder_add (&b, "{sv}", "candidateType",
                         g_variant_new_string (nav_candidate_type_to_string (c->type)));
  g_variant_builder_add (&b, "{sv}", "priority", g_variant_new_uint32 (c->priority));
  g_variant_builder_add (&b, "{sv}", "foundation", g_variant_new_string (c->foundation));
  if (tcp_type != NULL)
    g_variant_builder_add (&b, "{sv}", "tcpType", g_variant_new_string (tcp_type));
  if (c->type != NAV_CANDIDATE_TYPE_HOST && nav_address_is_valid (&c->related_addr))
    {
      g_autofree gchar *related = nav_address_ip_to_string (&c->related_addr);

      g_variant_builder_add (&b, "{sv}", "relatedAddress", g_variant_new_string (related));
      g_variant_builder_add (&b, "{sv}", "relatedPort",
                             g_variant_new_uint32 (nav_address_get_port (&c->related_addr)));
    }
  if (c->type == NAV_CANDIDATE_TYPE_RELAYED && component->relays != NULL &&
      component->relays->len == 1 && g_str_equal (type, "local-candidate"))
    {
      RelayInfo *relay = g_ptr_array_index (component->relays, 0);
      g_autofree gchar *url = g_strdup_printf ("%s:%s:%u", relay_scheme (relay->type),
                                               relay->server, relay->port);

      g_variant_builder_add (&b, "{sv}", "url", g_variant_new_string (url));
      g_variant_builder_add (&b, "{sv}", "relayProtocol",
                             g_variant_new_string (relay_protocol (relay->type)));
    }
  nav_stats_report_end (reports, &b, id);
}

/* The index of the candidate the checker describes by address, transport
 * and type, or -1. */
static gint
find_candidate (GPtrArray   *candidates,
                const gchar *address,
                guint        transport,
                guint        type)
{
  gchar buf[NAV_ADDRESS_STRING_LEN];

  for (guint i = 0; candidates != NULL && i < candidates->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (candidates, i);

      if ((guint) c->transport == transport && (guint) c->type == type &&
          g_str_equal (nav_address_to_string_buf (&c->addr, buf), address))
        return (gint) i;
    }
  return -1;
}

/* The component's application data, both ways. */
static void
add_data_counters (GVariantBuilder *b,
                   AgentComponent  *component,
                   guint64          packets_sent,
                   guint64          bytes_sent)
{
  g_variant_builder_add (b, "{sv}", "packetsSent", g_variant_new_uint64 (packets_sent));
  g_variant_builder_add (b, "{sv}", "bytesSent", g_variant_new_uint64 (bytes_sent));
  g_variant_builder_add (b, "{sv}", "packetsReceived", g_variant_new_uint64 (component->packets_received));
  g_variant_builder_add (b, "{sv}", "bytesReceived", g_variant_new_uint64 (component->bytes_received));
}

static gdouble
seconds (gint64 us)
{
  return us / 1e6;
}

/* RTCIceCandidatePairStats from the checker's counters; the selected
 * pair carries the component's data counters.  Returns whether it was
 * the selected pair. */
static void
add_pair (GVariantBuilder *reports,
          AgentComponent  *component,
          GVariant        *pair,
          const gchar     *transport_id,
          guint64          packets_sent,
          guint64          bytes_sent,
          gdouble          now,
          gchar          **selected_id)
{
  AgentStream *stream = component->stream;
  GVariantBuilder b;
  const gchar *local_address = "", *remote_address = "";
  guint32 local_transport = 0, remote_transport = 0, local_type = 0, remote_type = 0;
  guint32 state = 0;
  gboolean nominated = FALSE, selected = FALSE;
  guint64 priority = 0, v;
  gint64 rtt = -1, total_rtt = 0;
  gint li, ri;
  g_autofree gchar *id = NULL;
  g_autofree gchar *local_id = NULL;
  g_autofree gchar *remote_id = NULL;

  g_variant_lookup (pair, "local-address", "&s", &local_address);
  g_variant_lookup (pair, "remote-address", "&s", &remote_address);
  g_variant_lookup (pair, "local-transport", "u", &local_transport);
  g_variant_lookup (pair, "remote-transport", "u", &remote_transport);
  g_variant_lookup (pair, "local-type", "u", &local_type);
  g_variant_lookup (pair, "remote-type", "u", &remote_type);

  li = find_candidate (component->local, local_address, local_transport, local_type);
  ri = find_candidate (component->remote, remote_address, remote_transport, remote_type);
  {
    g_autofree gchar *l = li >= 0 ? g_strdup_printf ("%d", li) : g_strdup (local_address);
    g_autofree gchar *r = ri >= 0 ? g_strdup_printf ("%d", ri) : g_strdup (remote_address);

    local_id = g_strdup_printf ("L%u-%u-%s", stream->id, component->id, l);
    remote_id = g_strdup_printf ("R%u-%u-%s", stream->id, component->id, r);
    /* CP<stream>-<component>-<local>-<remote> */
    id = g_strdup_printf ("CP%u-%u-%s-%s", stream->id, component->id, l, r);
  }

  /* A peer-reflexive remote candidate the checker learned from a check
   * and the agent did not (yet) list. */
  if (ri < 0)
    {
      GVariantBuilder c;

      nav_stats_report_begin (&c, "remote-candidate", remote_id, now);
      g_variant_builder_add (&c, "{sv}", "transportId", g_variant_new_string (transport_id));
      g_variant_builder_add (&c, "{sv}", "address", g_variant_new_string (remote_address));
      g_variant_builder_add (&c, "{sv}", "protocol",
                             g_variant_new_string (nav_stats_protocol (remote_transport)));
      g_variant_builder_add (&c, "{sv}", "candidateType",
                             g_variant_new_string (nav_candidate_type_to_string (remote_type)));
      nav_stats_report_end (reports, &c, remote_id);
    }

  g_variant_lookup (pair, "state", "u", &state);
  g_variant_lookup (pair, "nominated", "b", &nominated);
  g_variant_lookup (pair, "selected", "b", &selected);
  g_variant_lookup (pair, "priority", "t", &priority);

  nav_stats_report_begin (&b, "candidate-pair", id, now);
  g_variant_builder_add (&b, "{sv}", "transportId", g_variant_new_string (transport_id));
  g_variant_builder_add (&b, "{sv}", "localCandidateId", g_variant_new_string (local_id));
  g_variant_builder_add (&b, "{sv}", "remoteCandidateId", g_variant_new_string (remote_id));
  g_variant_builder_add (&b, "{sv}", "state", g_variant_new_string (nav_stats_pair_state (state)));
  g_variant_builder_add (&b, "{sv}", "nominated", g_variant_new_boolean (nominated));
  g_variant_builder_add (&b, "{sv}", "selected", g_variant_new_boolean (selected));
  g_variant_builder_add (&b, "{sv}", "priority", g_variant_new_uint64 (priority));
#define COUNTER(key, name) \
  if (g_variant_lookup (pair, key, "t", &v)) \
    g_variant_builder_add (&b, "{sv}", name, g_variant_new_uint64 (v))
  COUNTER ("requests-sent", "requestsSent");
  COUNTER ("responses-received", "responsesReceived");
  COUNTER ("requests-received", "requestsReceived");
  COUNTER ("responses-sent", "responsesSent");
  COUNTER ("consent-requests-sent", "consentRequestsSent");
#undef COUNTER
  g_variant_lookup (pair, "current-rtt", "x", &rtt);
  g_variant_lookup (pair, "total-rtt", "x", &total_rtt);
  /* webrtc-stats: seconds, absent until measured. */
  if (rtt >= 0)
    {
      g_variant_builder_add (&b, "{sv}", "currentRoundTripTime", g_variant_new_double (seconds (rtt)));
      g_variant_builder_add (&b, "{sv}", "totalRoundTripTime",
                             g_variant_new_double (seconds (total_rtt)));
    }
  if (selected)
    {
      add_data_counters (&b, component, packets_sent, bytes_sent);
      g_free (*selected_id);
      *selected_id = g_strdup (id);
    }
  nav_stats_report_end (reports, &b, id);
}

static gint
compare_uint (gconstpointer a,
              gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

/**
 * nav_agent_get_stats:
 * @agent: an agent
 *
 * Returns the agent's statistics, in the spirit of WebRTC's
 * `getStats()` (W3C webrtc-stats): reports by id, each a dictionary with
 * `id`, `type` and `timestamp` (milliseconds since the Unix epoch) and
 * the members of its type, named as webrtc-stats names them:
 *
 * - `transport`, one per component (id `T<stream>-<component>`):
 *   `iceState`, `iceRole`, `iceLocalUsernameFragment`,
 *   `selectedCandidatePairId`, `packetsSent`, `bytesSent`,
 *   `packetsReceived`, `bytesReceived` (the application data of the
 *   component, not STUN), `packetsDiscardedOnReceive` (from sources no
 *   check proved, [method@Nav.Agent.get_dropped_datagrams]), and
 *   `streamId`, `componentId`, `streamName`, and NetAvanue's own
 *   `connectPlan` ([method@Nav.Agent.get_connect_plan]), `natType` and
 *   `remoteNatType` (the NAT types it was chosen from, when known);
 * - `local-candidate` and `remote-candidate`: `transportId`, `address`,
 *   `port`, `protocol`, `candidateType`, `priority`, `foundation`,
 *   `tcpType`, `relatedAddress`, `relatedPort`, and for a relayed
 *   candidate `url` and `relayProtocol` of its TURN server;
 * - `candidate-pair`, one per pair of the checker: `transportId`,
 *   `localCandidateId`, `remoteCandidateId`, `state`, `nominated`,
 *   `selected`, `priority`, `requestsSent`, `responsesReceived`,
 *   `requestsReceived`, `responsesSent`, `consentRequestsSent`,
 *   `currentRoundTripTime` and `totalRoundTripTime` (seconds, from the
 *   checks and consent requests, once measured), and on the selected pair
 *   the component's packet and byte counters.
 *
 * The counters cost the data path no lock nor allocation of its own.
 * [func@Nav.stats_to_json] writes the result as JSON.
 *
 * Returns: (transfer full): the reports, of type %NAV_STATS_VARIANT_TYPE
 *
 * Since: 1.0
 */
GVariant *
nav_agent_get_stats (NavAgent *agent)
{
  GVariantBuilder reports;
  g_autoptr (NavChecker) checker = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GPtrArray) pair_stats = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  GHashTableIter iter;
  gpointer key;
  gdouble now = nav_stats_now ();

  g_return_val_if_fail (NAV_IS_AGENT (agent), NULL);

  g_variant_builder_init (&reports, NAV_STATS_VARIANT_TYPE);

  /* The checker's pairs first, outside the agent's lock: the checker
   * takes its own. */
  nav_agent_lock (agent);
  if (agent->checker != NULL)
    checker = g_object_ref (agent->checker);
  g_hash_table_iter_init (&iter, agent->streams);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      guint id = GPOINTER_TO_UINT (key);

      g_array_append_val (ids, id);
    }
  nav_agent_unlock_and_emit (agent);
  g_array_sort (ids, compare_uint);
  for (guint i = 0; i < ids->len; i++)
    {
      GVariant *pairs = checker != NULL
                        ? nav_checker_get_pair_stats (checker, g_array_index (ids, guint, i))
                        : NULL;

      g_ptr_array_add (pair_stats, pairs != NULL ? pairs : g_variant_ref_sink (g_variant_new ("aa{sv}", NULL)));
    }

  nav_agent_lock (agent);
  for (guint i = 0; i < ids->len; i++)
    {
      AgentStream *stream = nav_agent_lookup_stream (agent, g_array_index (ids, guint, i));
      GVariant *pairs = g_ptr_array_index (pair_stats, i);

      if (stream == NULL)
        continue;
      for (guint c = 0; c < stream->n_components; c++)
        {
          AgentComponent *component = &stream->components[c];
          g_autofree gchar *transport_id = g_strdup_printf ("T%u-%u", stream->id, component->id);
          g_autofree gchar *selected_id = NULL;
          guint64 packets_sent = 0, bytes_sent = 0;
          GVariantBuilder b;
          GVariantIter piter;
          GVariant *pair;

          if (component->channel != NULL)
            nav_datagram_channel_get_sent (component->channel, &packets_sent, &bytes_sent);
          for (guint j = 0; component->local != NULL && j < component->local->len; j++)
            {
              g_autofree gchar *id = g_strdup_printf ("L%u-%u-%u", stream->id, component->id, j);

              add_candidate (&reports, component, g_ptr_array_index (component->local, j),
                             "local-candidate", id, transport_id, now);
            }
          for (guint j = 0; component->remote != NULL && j < component->remote->len; j++)
            {
              g_autofree gchar *id = g_strdup_printf ("R%u-%u-%u", stream->id, component->id, j);

              add_candidate (&reports, component, g_ptr_array_index (component->remote, j),
                             "remote-candidate", id, transport_id, now);
            }
          g_variant_iter_init (&piter, pairs);
          while ((pair = g_variant_iter_next_value (&piter)) != NULL)
            {
              guint32 component_id = 0;

              if (g_variant_lookup (pair, "component-id", "u", &component_id) &&
                  component_id == component->id)
                add_pair (&reports, component, pair, transport_id, packets_sent, bytes_sent, now,
                          &selected_id);
              g_variant_unref (pair);
            }

          nav_stats_report_begin (&b, "transport", transport_id, now);
          g_variant_builder_add (&b, "{sv}", "streamId", g_variant_new_uint32 (stream->id));
          g_variant_builder_add (&b, "{sv}", "componentId", g_variant_new_uint32 (component->id));
          if (stream->name != NULL)
            g_variant_builder_add (&b, "{sv}", "streamName", g_variant_new_string (stream->name));
          g_variant_builder_add (&b, "{sv}", "iceState",
                                 g_variant_new_string (nav_stats_ice_state (component->state)));
          g_variant_builder_add (&b, "{sv}", "iceRole",
                                 g_variant_new_string (agent->controlling_mode ? "controlling"
                                                                               : "controlled"));
          if (stream->local_ufrag != NULL)
            g_variant_builder_add (&b, "{sv}", "iceLocalUsernameFragment",
                                   g_variant_new_string (stream->local_ufrag));
          if (selected_id != NULL)
            g_variant_builder_add (&b, "{sv}", "selectedCandidatePairId",
                                   g_variant_new_string (selected_id));
          {
            const gchar *plan, *ours, *theirs;

            /* NetAvanue's own members (not webrtc-stats'): the NAT-aware
             * strategy's plan and the NAT types it was chosen from. */
            nav_agent_strategy_describe (agent, &plan, &ours, &theirs);
            g_variant_builder_add (&b, "{sv}", "connectPlan", g_variant_new_string (plan));
            if (ours != NULL)
              g_variant_builder_add (&b, "{sv}", "natType", g_variant_new_string (ours));
            if (theirs != NULL)
              g_variant_builder_add (&b, "{sv}", "remoteNatType", g_variant_new_string (theirs));
          }
          add_data_counters (&b, component, packets_sent, bytes_sent);
          g_variant_builder_add (&b, "{sv}", "packetsDiscardedOnReceive",
                                 g_variant_new_uint64 (component->n_dropped));
          nav_stats_report_end (&reports, &b, transport_id);
        }
    }
  nav_agent_unlock_and_emit (agent);
  return g_variant_ref_sink (g_variant_builder_end (&reports));
}
