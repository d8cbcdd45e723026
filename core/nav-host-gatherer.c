/* nav-host-gatherer.c: the gatherer of host candidates
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include "netavanue/netavanue.h"
#include "nav-ice-tcp-private.h"
#include "nav-host-gatherer-private.h"

/**
 * NavHostGatherer:
 *
 * The [iface@Nav.Gatherer] of host candidates (RFC 8445 §5.1.1.1): one
 * UDP candidate for each address of the local interfaces, each with its
 * own [class@Nav.UdpTransport].
 *
 * The addresses are those of the interfaces that are up
 * ([func@Nav.HostGatherer.list_local_addresses]), IPv4 and IPv6 unless
 * [property@Nav.HostGatherer:ipv4] or [property@Nav.HostGatherer:ipv6]
 * say otherwise, without loopback addresses unless
 * [property@Nav.HostGatherer:include-loopback] is set, and without IPv6
 * link-local addresses (which need a scope) unless
 * [property@Nav.HostGatherer:include-link-local] is set.  When that leaves
 * nothing, the gatherer falls back to the loopback addresses, as libnice
 * does, so that two peers on the same machine still connect.  Addresses
 * given with [method@Nav.HostGatherer.add_local_address] replace the
 * enumeration, as `nice_agent_add_local_address()` does.
 *
 * Each candidate's transport is bound to a port of
 * [property@Nav.HostGatherer:min-port]–[property@Nav.HostGatherer:max-port]
 * (any port when the range is unset) and attached to the gatherer's main
 * context.  An address that cannot be bound is skipped.  The candidate
 * owns its transport (`owner`): keep the candidate, or a reference to its
 * owner, for as long as the transport is needed.  The gatherer also keeps
 * a reference to every transport it made, until it is finalized.
 *
 * Priorities follow RFC 8445 §5.1.2.1 with the host type preference, 126.
 * The local preference is 65535 minus the address's rank, so every
 * candidate of one gathering has a distinct priority.  Enumerated
 * addresses are ranked as RFC 8421 §4 recommends: IPv6 first, interleaved
 * with IPv4 so that neither family is starved during checks; link-local
 * addresses after those, loopback addresses last.  Explicit addresses keep
 * the order in which they were added.
 *
 * With [property@Nav.HostGatherer:ice-tcp], each address also gets
 * ICE-TCP host candidates (RFC 6544 §4): an active one, which advertises
 * port 9 (§4.5) and opens a connection when a check is sent from it; a
 * passive one, listening on a port of the same range; and, with
 * [property@Nav.HostGatherer:tcp-simultaneous-open], a simultaneous-open
 * one, bound to a port of that range which it advertises, and from which
 * it both accepts connections and connects to the peer's
 * simultaneous-open candidates (§7.1).  With
 * [property@Nav.HostGatherer:tcp-passive-only] (an ICE-lite agent, which
 * never opens a connection) only the passive one is gathered.  Their
 * transports frame every message as RFC 4571 says, over connections of
 * the tcp-framing plugin: without that plugin there are no TCP
 * candidates.  Their local preference is that of RFC 6544 §4.2:
 * `2^13 × direction preference + other preference`, with the direction
 * preferences its table recommends for a host that is not behind a NAT,
 * the ones libnice gives host candidates (active 6, passive 4,
 * simultaneous-open 2), and the address's rank as other preference;
 * their type preference is below UDP's, so UDP pairs are checked first
 * and preferred.
 *
 * Foundations (RFC 8445 §5.1.1.3) are small integers written as strings,
 * as libnice writes them: "1", "2", …, one per base IP address and
 * transport (UDP, TCP active, TCP passive, TCP simultaneous-open).  They are stable for the life
 * of the gatherer, so the candidates of every component on one address
 * share a foundation.
 *
 * Candidates and [signal@Nav.Gatherer::done] are emitted from an idle
 * source in the gatherer's main context, never from inside
 * [method@Nav.Gatherer.gather].  [method@Nav.Gatherer.stop] emits `done`
 * at once for every gathering that has not started; one under way (stop()
 * called from a `candidate-gathered` handler) emits no more candidates and
 * then its `done`.
 *
 * Since: 1.0
 */

/* Host type preference of RFC 8445 §5.1.2.2, for the documentation and
 * the debug output; nav_candidate_compute_priority() applies it. */
#define HOST_TYPE_PREFERENCE 126

typedef struct {
  NavHostGatherer *self;        /* unowned: the gatherer owns this */
  guint stream_id;
  guint component_id;
  GSource *source;
  gboolean running;
  gboolean cancelled;
  GPtrArray *collected;         /* nav_host_gatherer_gather_sync(): kept, not emitted */
} Gather;

struct _NavHostGatherer
{
  GObject parent_instance;

  GMainContext *context;

  gboolean ipv4;
  gboolean ipv6;
  gboolean include_loopback;
  gboolean include_link_local;
  gboolean ice_udp;
  gboolean ice_tcp;
  gboolean tcp_passive_only;
  gboolean tcp_so;
  guint min_port;
  guint max_port;

  GArray *local_addresses;      /* NavAddress: explicit addresses */
  GArray *foundation_bases;     /* FoundationKey: what foundation i + 1 stands for */
  GPtrArray *transports;        /* NavTransport: every transport made */
  GPtrArray *gathers;           /* Gather: pending or running */
};

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_IPV4,
  PROP_IPV6,
  PROP_INCLUDE_LOOPBACK,
  PROP_INCLUDE_LINK_LOCAL,
  PROP_MIN_PORT,
  PROP_MAX_PORT,
  PROP_ICE_UDP,
  PROP_ICE_TCP,
  PROP_TCP_PASSIVE_ONLY,
  PROP_TCP_SIMULTANEOUS_OPEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void nav_host_gatherer_gatherer_init (NavGathererInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NavHostGatherer, nav_host_gatherer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NAV_TYPE_GATHERER,
                                                      nav_host_gatherer_gatherer_init))

static void
gather_free (gpointer data)
{
  Gather *gather = data;

  if (gather->source != NULL)
    {
      g_source_destroy (gather->source);
      g_source_unref (gather->source);
    }
  g_free (gather);
}

/* getifaddrs(), filtered; port 0; in the order of the system. */
static GList *
enumerate_addresses (gboolean include_loopback,
                     gboolean include_link_local,
                     gboolean ipv4,
                     gboolean ipv6)
{
  struct ifaddrs *ifaddrs = NULL, *ifa;
  GList *list = NULL, *l;

  if (getifaddrs (&ifaddrs) < 0)
    {
      g_debug ("getifaddrs() failed: %s", g_strerror (errno));
      return NULL;
    }

  for (ifa = ifaddrs; ifa != NULL; ifa = ifa->ifa_next)
    {
      NavAddress address;
      gsize len;
      gboolean duplicate = FALSE;

      if (ifa->ifa_addr == NULL || !(ifa->ifa_flags & IFF_UP))
        continue;

      switch (ifa->ifa_addr->sa_family)
        {
        case AF_INET:
          if (!ipv4)
            continue;
          len = sizeof (struct sockaddr_in);
          break;
        case AF_INET6:
          if (!ipv6)
            continue;
          len = sizeof (struct sockaddr_in6);
          break;
        default:
          continue;
        }

      nav_address_init (&address);
      if (!nav_address_set_from_sockaddr (&address, ifa->ifa_addr, len))
        continue;
      nav_address_set_port (&address, 0);

      if (((ifa->ifa_flags & IFF_LOOPBACK) || nav_address_is_loopback (&address)) &&
          !include_loopback)
        continue;
      /* An IPv6 link-local address means nothing to a peer without the
       * scope; IPv4 link-local ones (169.254/16) are kept, as in libnice. */
      if (nav_address_get_family (&address) == G_SOCKET_FAMILY_IPV6 &&
          nav_address_is_link_local (&address) && !include_link_local)
        continue;

      for (l = list; l != NULL && !duplicate; l = l->next)
        duplicate = nav_address_equal (l->data, &address);
      if (!duplicate)
        list = g_list_prepend (list, nav_address_copy (&address));
    }

  freeifaddrs (ifaddrs);
  return g_list_reverse (list);
}

static guint
address_rank_class (const NavAddress *address)
{
  if (nav_address_is_loopback (address))
    return 2;
  if (nav_address_is_link_local (address))
    return 1;
  return 0;
}

/* RFC 8421 §4: IPv6 first, interleaved with IPv4; then link-local, then
 * loopback.  Takes the addresses of @list; returns a new array. */
static GArray *
rank_addresses (GList *list)
{
  GArray *ranked = g_array_new (FALSE, FALSE, sizeof (NavAddress));
  guint cls;

  for (cls = 0; cls < 3; cls++)
    {
      GList *v6 = NULL, *v4 = NULL, *l;

      for (l = list; l != NULL; l = l->next)
        {
          if (address_rank_class (l->data) != cls)
            continue;
          if (nav_address_get_family (l->data) == G_SOCKET_FAMILY_IPV6)
            v6 = g_list_prepend (v6, l->data);
          else
            v4 = g_list_prepend (v4, l->data);
        }
      v6 = g_list_reverse (v6);
      v4 = g_list_reverse (v4);

      for (GList *a = v6, *b = v4; a != NULL || b != NULL;)
        {
          if (a != NULL)
            {
              g_array_append_vals (ranked, a->data, 1);
              a = a->next;
            }
          if (b != NULL)
            {
              g_array_append_vals (ranked, b->data, 1);
              b = b->next;
            }
        }
      g_list_free (v6);
      g_list_free (v4);
    }
  return ranked;
}

static GArray *
addresses_for_gathering (NavHostGatherer *self)
{
  GArray *addresses;
  GList *list;

  if (self->local_addresses->len > 0)
    {
      guint i;

      addresses = g_array_new (FALSE, FALSE, sizeof (NavAddress));
      for (i = 0; i < self->local_addresses->len; i++)
        {
          const NavAddress *address = &g_array_index (self->local_addresses, NavAddress, i);
          GSocketFamily family = nav_address_get_family (address);

          if ((family == G_SOCKET_FAMILY_IPV4 && self->ipv4) ||
              (family == G_SOCKET_FAMILY_IPV6 && self->ipv6))
            g_array_append_vals (addresses, address, 1);
        }
      return addresses;
    }

  list = enumerate_addresses (self->include_loopback, self->include_link_local,
                              self->ipv4, self->ipv6);
  if (list == NULL)
    {
      g_debug ("No usable interface address; falling back to loopback");
      if (self->ipv6)
        list = g_list_append (list, nav_address_new_from_string ("::1", NULL));
      if (self->ipv4)
        list = g_list_append (list, nav_address_new_from_string ("127.0.0.1", NULL));
    }
  addresses = rank_addresses (list);
  g_list_free_full (list, (GDestroyNotify) nav_address_free);
  return addresses;
}

typedef struct {
  NavAddress ip;
  NavCandidateTransport transport;
} FoundationKey;

/* RFC 8445 §5.1.1.3: same type, base IP and transport protocol, same
 * foundation; RFC 6544 §4.4 counts active and passive as different
 * transports, as libnice does. */
static guint
foundation_for (NavHostGatherer       *self,
                const NavAddress      *base,
                NavCandidateTransport  transport)
{
  FoundationKey key;
  guint i;

  for (i = 0; i < self->foundation_bases->len; i++)
    {
      const FoundationKey *k = &g_array_index (self->foundation_bases, FoundationKey, i);

      if (k->transport == transport && nav_address_equal_no_port (&k->ip, base))
        return i + 1;
    }

  key.ip = *base;
  key.transport = transport;
  nav_address_set_port (&key.ip, 0);
  g_array_append_val (self->foundation_bases, key);
  return self->foundation_bases->len;
}

/* RFC 6544 §4.2: local preference = 2^13 × direction preference + other
 * preference.  The direction preferences are those of the table's row for
 * a host that is not NATed (active 6, passive 4, simultaneous-open 2):
 * a host candidate is the host's own address, and libnice gives host
 * candidates the same (the NATed row, where simultaneous-open comes
 * first, is for server-reflexive ones). */
static guint
tcp_local_preference (NavCandidateTransport transport,
                      guint                 rank)
{
  guint direction = transport == NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE ? 6 :
                    transport == NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE ? 4 : 2;

  return (direction << 13) + (8191 - MIN (rank, 8191u));
}

/* A candidate goes to the `candidate-gathered` handlers, or to the
 * caller of nav_host_gatherer_gather_sync(). */
static void
hand_over (NavHostGatherer *self,
           Gather          *gather,
           NavCandidate    *candidate)
{
  if (gather->collected != NULL)
    g_ptr_array_add (gather->collected, nav_candidate_copy (candidate));
  else
    nav_gatherer_emit_candidate_gathered (NAV_GATHERER (self), candidate);
}

static void
emit_tcp_candidates (NavHostGatherer  *self,
                     Gather           *gather,
                     const NavAddress *address,
                     guint             rank)
{
  static const NavCandidateTransport kinds[] = {
    NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE,
    NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE,
    NAV_CANDIDATE_TRANSPORT_TCP_SO,
  };
  gchar buf[NAV_ADDRESS_STRING_LEN];

  for (guint k = 0; k < G_N_ELEMENTS (kinds) && !gather->cancelled; k++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (NavIceTcpTransport) transport = NULL;
      g_autoptr (NavCandidate) candidate = NULL;
      gchar foundation[16];

      /* The listener is bound like the UDP sockets, from the same range;
       * it also proves the address can be used. */
      /* An ICE-lite agent never opens a connection: passive only
       * (RFC 6544, like RFC 8445 §2.5 for checks). */
      if (self->tcp_passive_only && kinds[k] != NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE)
        continue;
      if (!self->tcp_so && kinds[k] == NAV_CANDIDATE_TRANSPORT_TCP_SO)
        continue;
      if (kinds[k] == NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE)
        transport = nav_ice_tcp_transport_new_passive (self->context, address, self->min_port,
                                                       self->max_port, &error);
      else if (kinds[k] == NAV_CANDIDATE_TRANSPORT_TCP_SO)
        transport = nav_ice_tcp_transport_new_so (self->context, address, self->min_port,
                                                  self->max_port, &error);
      else
        transport = nav_ice_tcp_transport_new_active (self->context, address, &error);
      if (transport == NULL)
        {
          g_debug ("No TCP %s candidate on %s: %s", nav_candidate_transport_to_string (kinds[k]),
                   nav_address_to_string_buf (address, buf), error->message);
          continue;
        }
      g_ptr_array_add (self->transports, g_object_ref (transport));

      candidate = nav_candidate_new (NAV_CANDIDATE_TYPE_HOST);
      candidate->transport = kinds[k];
      candidate->addr = *nav_transport_get_local_address (NAV_TRANSPORT (transport));
      candidate->base_addr = candidate->addr;
      candidate->stream_id = gather->stream_id;
      candidate->component_id = gather->component_id;
      candidate->priority = nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_HOST, kinds[k],
                                                            tcp_local_preference (kinds[k], rank),
                                                            gather->component_id);
      g_snprintf (foundation, sizeof (foundation), "%u",
                  foundation_for (self, &candidate->base_addr, kinds[k]));
      nav_candidate_set_foundation (candidate, foundation);
      nav_candidate_set_owner (candidate, NAV_TRANSPORT (transport));

      g_debug ("Host candidate %s TCP %s (local preference %u)",
               nav_address_to_string_buf (&candidate->addr, buf),
               nav_candidate_transport_to_string (kinds[k]),
               tcp_local_preference (kinds[k], rank));
      hand_over (self, gather, candidate);
    }
}

static void
gather_addresses (NavHostGatherer *self,
                  Gather          *gather)
{
  g_autoptr (GArray) addresses = NULL;
  guint i, rank = 0, tcp_rank = 0;

  gather->running = TRUE;

  if (self->ice_udp || self->ice_tcp)
    addresses = addresses_for_gathering (self);
  else
    addresses = g_array_new (FALSE, FALSE, sizeof (NavAddress));

  for (i = 0; i < addresses->len && !gather->cancelled; i++)
    {
      NavAddress *address = &g_array_index (addresses, NavAddress, i);
      g_autoptr (NavUdpTransport) transport = NULL;
      g_autoptr (NavCandidate) candidate = NULL;
      g_autoptr (GError) error = NULL;
      gchar buf[NAV_ADDRESS_STRING_LEN];
      gchar foundation[16];
      guint local_preference;

      if (rank >= NAV_CANDIDATE_MAX_LOCAL_ADDRESSES)
        {
          g_debug ("More than %u local addresses: ignoring %s",
                   NAV_CANDIDATE_MAX_LOCAL_ADDRESSES,
                   nav_address_to_string_buf (address, buf));
          continue;
        }

      /* Per address, UDP first, then TCP active and passive, as libnice
       * orders them (and numbers their foundations). */
      if (!self->ice_udp)
        {
          emit_tcp_candidates (self, gather, address, tcp_rank++);
          continue;
        }

      transport = g_initable_new (NAV_TYPE_UDP_TRANSPORT, NULL, &error,
                                  "local-address", address,
                                  "min-port", self->min_port,
                                  "max-port", self->max_port,
                                  "context", self->context,
                                  NULL);
      if (transport == NULL)
        {
          g_debug ("Skipping host address %s: %s",
                   nav_address_to_string_buf (address, buf), error->message);
          continue;
        }
      g_ptr_array_add (self->transports, g_object_ref (transport));

      local_preference = 65535 - rank++;
      candidate = nav_candidate_new (NAV_CANDIDATE_TYPE_HOST);
      candidate->transport = NAV_CANDIDATE_TRANSPORT_UDP;
      candidate->addr = *nav_transport_get_local_address (NAV_TRANSPORT (transport));
      candidate->base_addr = candidate->addr;
      candidate->stream_id = gather->stream_id;
      candidate->component_id = gather->component_id;
      candidate->priority = nav_candidate_compute_priority (NAV_CANDIDATE_TYPE_HOST,
                                                            NAV_CANDIDATE_TRANSPORT_UDP,
                                                            local_preference,
                                                            gather->component_id);
      g_snprintf (foundation, sizeof (foundation), "%u",
                  foundation_for (self, &candidate->base_addr,
                                  NAV_CANDIDATE_TRANSPORT_UDP));
      nav_candidate_set_foundation (candidate, foundation);
      nav_candidate_set_owner (candidate, NAV_TRANSPORT (transport));

      g_debug ("Host candidate %s (type preference %u, local preference %u)",
               nav_address_to_string_buf (&candidate->addr, buf),
               HOST_TYPE_PREFERENCE, local_preference);
      hand_over (self, gather, candidate);
      if (self->ice_tcp && !gather->cancelled)
        emit_tcp_candidates (self, gather, address, tcp_rank++);
    }
}

static gboolean
gather_run (gpointer user_data)
{
  Gather *gather = user_data;
  NavHostGatherer *self = g_object_ref (gather->self);

  gather_addresses (self, gather);
  {
    guint stream_id = gather->stream_id, component_id = gather->component_id;

    /* Frees @gather and its source (destroying a source from its own
     * callback is allowed). */
    g_ptr_array_remove (self->gathers, gather);
    nav_gatherer_emit_done (NAV_GATHERER (self), stream_id, component_id);
  }

  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static void
nav_host_gatherer_gather (NavGatherer *gatherer,
                          guint        stream_id,
                          guint        component_id,
                          GPtrArray   *bases)
{
  NavHostGatherer *self = NAV_HOST_GATHERER (gatherer);
  Gather *gather;

  g_return_if_fail (component_id >= 1 && component_id <= 256);

  gather = g_new0 (Gather, 1);
  gather->self = self;
  gather->stream_id = stream_id;
  gather->component_id = component_id;
  gather->source = g_idle_source_new ();
  g_source_set_callback (gather->source, gather_run, gather, NULL);
  g_source_set_static_name (gather->source, "NavHostGatherer");
  g_ptr_array_add (self->gathers, gather);
  g_source_attach (gather->source, self->context);
}

/* Binds the sockets of one component's host candidates now, in the
 * caller's thread, and returns the candidates (their transports attached
 * to the gatherer's context) without emitting anything: what libnice's
 * nice_agent_gather_candidates() does before it returns, so that the
 * agent can say FALSE when nothing could be bound (no usable address, an
 * exhausted port range).  An empty array when nothing was. */
GPtrArray *
nav_host_gatherer_gather_sync (NavHostGatherer *self,
                               guint            stream_id,
                               guint            component_id)
{
  Gather gather = { 0 };

  g_return_val_if_fail (NAV_IS_HOST_GATHERER (self), NULL);

  gather.self = self;
  gather.stream_id = stream_id;
  gather.component_id = component_id;
  gather.collected = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
  gather_addresses (self, &gather);
  return gather.collected;
}

static void
nav_host_gatherer_stop (NavGatherer *gatherer)
{
  NavHostGatherer *self = NAV_HOST_GATHERER (gatherer);
  typedef struct {
    guint stream_id;
    guint component_id;
  } Ids;
  g_autoptr (GArray) stopped = g_array_new (FALSE, FALSE, sizeof (Ids));
  guint i = 0;

  /* A gathering under way (stop() called from a candidate handler) ends
   * by itself and emits done; the pending ones end here. */
  while (i < self->gathers->len)
    {
      Gather *gather = g_ptr_array_index (self->gathers, i);
      Ids ids = { gather->stream_id, gather->component_id };

      if (gather->running)
        {
          gather->cancelled = TRUE;
          i++;
          continue;
        }
      g_array_append_val (stopped, ids);
      g_ptr_array_remove_index (self->gathers, i);
    }

  /* Emitted once no stopped gather is left, so a handler may gather
   * again. */
  g_object_ref (self);
  for (i = 0; i < stopped->len; i++)
    {
      const Ids *ids = &g_array_index (stopped, Ids, i);

      nav_gatherer_emit_done (gatherer, ids->stream_id, ids->component_id);
    }
  g_object_unref (self);
}

static void
nav_host_gatherer_gatherer_init (NavGathererInterface *iface)
{
  iface->gather = nav_host_gatherer_gather;
  iface->stop = nav_host_gatherer_stop;
}

static void
nav_host_gatherer_constructed (GObject *object)
{
  NavHostGatherer *self = NAV_HOST_GATHERER (object);

  G_OBJECT_CLASS (nav_host_gatherer_parent_class)->constructed (object);

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
}

static void
nav_host_gatherer_dispose (GObject *object)
{
  NavHostGatherer *self = NAV_HOST_GATHERER (object);

  /* No done for these: nobody is left to hear it. */
  g_ptr_array_set_size (self->gathers, 0);
  g_ptr_array_set_size (self->transports, 0);

  G_OBJECT_CLASS (nav_host_gatherer_parent_class)->dispose (object);
}

static void
nav_host_gatherer_finalize (GObject *object)
{
  NavHostGatherer *self = NAV_HOST_GATHERER (object);

  g_ptr_array_unref (self->gathers);
  g_ptr_array_unref (self->transports);
  g_array_unref (self->local_addresses);
  g_array_unref (self->foundation_bases);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (nav_host_gatherer_parent_class)->finalize (object);
}

static void
nav_host_gatherer_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  NavHostGatherer *self = NAV_HOST_GATHERER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_boxed (value, self->context);
      break;
    case PROP_IPV4:
      g_value_set_boolean (value, self->ipv4);
      break;
    case PROP_IPV6:
      g_value_set_boolean (value, self->ipv6);
      break;
    case PROP_INCLUDE_LOOPBACK:
      g_value_set_boolean (value, self->include_loopback);
      break;
    case PROP_INCLUDE_LINK_LOCAL:
      g_value_set_boolean (value, self->include_link_local);
      break;
    case PROP_MIN_PORT:
      g_value_set_uint (value, self->min_port);
      break;
    case PROP_MAX_PORT:
      g_value_set_uint (value, self->max_port);
      break;
    case PROP_ICE_UDP:
      g_value_set_boolean (value, self->ice_udp);
      break;
    case PROP_ICE_TCP:
      g_value_set_boolean (value, self->ice_tcp);
      break;
    case PROP_TCP_PASSIVE_ONLY:
      g_value_set_boolean (value, self->tcp_passive_only);
      break;
    case PROP_TCP_SIMULTANEOUS_OPEN:
      g_value_set_boolean (value, self->tcp_so);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_boolean (NavHostGatherer *self,
             gboolean        *field,
             const GValue    *value,
             guint            prop_id)
{
  gboolean v = g_value_get_boolean (value);

  if (*field != v)
    {
      *field = v;
      g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
    }
}

static void
set_uint (NavHostGatherer *self,
          guint           *field,
          const GValue    *value,
          guint            prop_id)
{
  guint v = g_value_get_uint (value);

  if (*field != v)
    {
      *field = v;
      g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
    }
}

static void
nav_host_gatherer_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  NavHostGatherer *self = NAV_HOST_GATHERER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_clear_pointer (&self->context, g_main_context_unref);
      self->context = g_value_dup_boxed (value);
      break;
    case PROP_IPV4:
      set_boolean (self, &self->ipv4, value, prop_id);
      break;
    case PROP_IPV6:
      set_boolean (self, &self->ipv6, value, prop_id);
      break;
    case PROP_INCLUDE_LOOPBACK:
      set_boolean (self, &self->include_loopback, value, prop_id);
      break;
    case PROP_INCLUDE_LINK_LOCAL:
      set_boolean (self, &self->include_link_local, value, prop_id);
      break;
    case PROP_MIN_PORT:
      set_uint (self, &self->min_port, value, prop_id);
      break;
    case PROP_MAX_PORT:
      set_uint (self, &self->max_port, value, prop_id);
      break;
    case PROP_ICE_UDP:
      set_boolean (self, &self->ice_udp, value, prop_id);
      break;
    case PROP_ICE_TCP:
      set_boolean (self, &self->ice_tcp, value, prop_id);
      break;
    case PROP_TCP_PASSIVE_ONLY:
      set_boolean (self, &self->tcp_passive_only, value, prop_id);
      break;
    case PROP_TCP_SIMULTANEOUS_OPEN:
      set_boolean (self, &self->tcp_so, value, prop_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_host_gatherer_class_init (NavHostGathererClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                            G_PARAM_STATIC_STRINGS;

  object_class->constructed = nav_host_gatherer_constructed;
  object_class->dispose = nav_host_gatherer_dispose;
  object_class->finalize = nav_host_gatherer_finalize;
  object_class->get_property = nav_host_gatherer_get_property;
  object_class->set_property = nav_host_gatherer_set_property;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");

  /**
   * NavHostGatherer:ipv4:
   *
   * Whether to gather IPv4 candidates.  Read when a gathering starts.
   *
   * Since: 1.0
   */
  properties[PROP_IPV4] =
    g_param_spec_boolean ("ipv4", NULL, NULL, TRUE, flags);

  /**
   * NavHostGatherer:ipv6:
   *
   * Whether to gather IPv6 candidates.  Read when a gathering starts.
   *
   * Since: 1.0
   */
  properties[PROP_IPV6] =
    g_param_spec_boolean ("ipv6", NULL, NULL, TRUE, flags);

  /**
   * NavHostGatherer:include-loopback:
   *
   * Whether the enumeration of interface addresses keeps loopback
   * addresses.  Without it, loopback addresses are used only when the
   * machine has no other address.
   *
   * Since: 1.0
   */
  properties[PROP_INCLUDE_LOOPBACK] =
    g_param_spec_boolean ("include-loopback", NULL, NULL, FALSE, flags);

  /**
   * NavHostGatherer:include-link-local:
   *
   * Whether the enumeration of interface addresses keeps IPv6 link-local
   * addresses (fe80::/10).
   *
   * Since: 1.0
   */
  properties[PROP_INCLUDE_LINK_LOCAL] =
    g_param_spec_boolean ("include-link-local", NULL, NULL, FALSE, flags);

  /**
   * NavHostGatherer:min-port:
   *
   * The lowest port the candidates' transports may bind, used when
   * [property@Nav.HostGatherer:max-port] is not 0.
   *
   * Since: 1.0
   */
  properties[PROP_MIN_PORT] =
    g_param_spec_uint ("min-port", NULL, NULL, 0, G_MAXUINT16, 0, flags);

  /**
   * NavHostGatherer:max-port:
   *
   * The highest port the candidates' transports may bind; 0 for any
   * port.  An address where every port of the range is taken gets no
   * candidate.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_PORT] =
    g_param_spec_uint ("max-port", NULL, NULL, 0, G_MAXUINT16, 0, flags);

  /**
   * NavHostGatherer:ice-udp:
   *
   * Whether to gather UDP candidates.
   *
   * Since: 1.0
   */
  properties[PROP_ICE_UDP] =
    g_param_spec_boolean ("ice-udp", NULL, NULL, TRUE, flags);

  /**
   * NavHostGatherer:ice-tcp:
   *
   * Whether to gather ICE-TCP host candidates (RFC 6544): an active and a
   * passive one per address (and a simultaneous-open one with
   * [property@Nav.HostGatherer:tcp-simultaneous-open]).  Off by default
   * here; [class@Nav.Agent] sets it from [property@Nav.Agent:ice-tcp].
   *
   * Since: 1.0
   */
  properties[PROP_ICE_TCP] =
    g_param_spec_boolean ("ice-tcp", NULL, NULL, FALSE, flags);

  /**
   * NavHostGatherer:tcp-passive-only:
   *
   * Whether the ICE-TCP candidates are passive ones only, as an ICE-lite
   * agent gathers them: it never sends a check (RFC 8445 §2.5), so it
   * never opens a connection, and its active and simultaneous-open
   * candidates could never be used (RFC 6544).  [class@Nav.Agent] sets
   * it when it is not in full mode.
   *
   * Since: 1.0
   */
  properties[PROP_TCP_PASSIVE_ONLY] =
    g_param_spec_boolean ("tcp-passive-only", NULL, NULL, FALSE, flags);

  /**
   * NavHostGatherer:tcp-simultaneous-open:
   *
   * Whether [property@Nav.HostGatherer:ice-tcp] also gathers a
   * simultaneous-open candidate per address (RFC 6544 §4.1).  Off by
   * default, as libnice gathers none; [class@Nav.Agent] sets it from
   * [property@Nav.Agent:ice-tcp-simultaneous-open].
   *
   * Since: 1.0
   */
  properties[PROP_TCP_SIMULTANEOUS_OPEN] =
    g_param_spec_boolean ("tcp-simultaneous-open", NULL, NULL, FALSE, flags);

  /* PROP_CONTEXT is the interface's, overridden above. */
  for (guint i = PROP_IPV4; i < N_PROPS; i++)
    g_object_class_install_property (object_class, i, properties[i]);
}

static void
nav_host_gatherer_init (NavHostGatherer *self)
{
  self->ipv4 = TRUE;
  self->ipv6 = TRUE;
  self->ice_udp = TRUE;
  self->local_addresses = g_array_new (FALSE, FALSE, sizeof (NavAddress));
  self->foundation_bases = g_array_new (FALSE, FALSE, sizeof (FoundationKey));
  self->transports = g_ptr_array_new_with_free_func (g_object_unref);
  self->gathers = g_ptr_array_new_with_free_func (gather_free);
}

/**
 * nav_host_gatherer_new:
 * @context: (nullable): the main context of the gatherer and of the
 *   transports it makes, %NULL for the thread-default one
 *
 * Creates a host gatherer.
 *
 * Returns: (transfer full): the new gatherer
 *
 * Since: 1.0
 */
NavHostGatherer *
nav_host_gatherer_new (GMainContext *context)
{
  return g_object_new (NAV_TYPE_HOST_GATHERER, "context", context, NULL);
}

/**
 * nav_host_gatherer_add_local_address:
 * @self: a host gatherer
 * @address: an address of a local interface
 *
 * Gathers on @address instead of the enumerated interface addresses, as
 * `nice_agent_add_local_address()` does; call it once per address, in
 * order of preference.  Its port is ignored: every component gets its own
 * port, any free one or one of
 * [property@Nav.HostGatherer:min-port]–[property@Nav.HostGatherer:max-port].
 * Adding the same address twice does nothing.  Takes effect at the next
 * [method@Nav.Gatherer.gather].
 *
 * Since: 1.0
 */
void
nav_host_gatherer_add_local_address (NavHostGatherer  *self,
                                     const NavAddress *address)
{
  NavAddress ip;
  guint i;

  g_return_if_fail (NAV_IS_HOST_GATHERER (self));
  g_return_if_fail (address != NULL);
  g_return_if_fail (nav_address_is_valid (address));

  ip = *address;
  nav_address_set_port (&ip, 0);
  for (i = 0; i < self->local_addresses->len; i++)
    if (nav_address_equal (&g_array_index (self->local_addresses, NavAddress, i), &ip))
      return;
  g_array_append_val (self->local_addresses, ip);
}

/**
 * nav_host_gatherer_list_local_addresses:
 * @include_loopback: whether to list loopback addresses
 * @ipv4: whether to list IPv4 addresses
 * @ipv6: whether to list IPv6 addresses
 *
 * Lists the addresses of the local interfaces that are up, as libnice's
 * `nice_interfaces_get_local_ips()` does, in the system's order, with port
 * 0.  IPv6 link-local addresses are left out: they mean nothing without
 * their scope.
 *
 * Returns: (element-type Nav.Address) (transfer full): the addresses
 *
 * Since: 1.0
 */
GList *
nav_host_gatherer_list_local_addresses (gboolean include_loopback,
                                        gboolean ipv4,
                                        gboolean ipv6)
{
  return enumerate_addresses (include_loopback, FALSE, ipv4, ipv6);
}
