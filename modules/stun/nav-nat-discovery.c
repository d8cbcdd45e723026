/* nav-nat-discovery.c: NAT behaviour discovery (RFC 5780 §4.3, §4.4)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-nat-discovery.h"

#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <glib/gi18n-lib.h>

/* Classification */

const gchar *
nav_nat_behaviour_to_string (NavNatBehaviour behaviour)
{
  switch (behaviour)
    {
    case NAV_NAT_BEHAVIOUR_NONE: return "no-nat";
    case NAV_NAT_BEHAVIOUR_ENDPOINT_INDEPENDENT: return "endpoint-independent";
    case NAV_NAT_BEHAVIOUR_ADDRESS_DEPENDENT: return "address-dependent";
    case NAV_NAT_BEHAVIOUR_ADDRESS_AND_PORT_DEPENDENT: return "address-and-port-dependent";
    case NAV_NAT_BEHAVIOUR_UNKNOWN:
    default: return "unknown";
    }
}

const gchar *
nav_nat_type_to_string (NavNatType type)
{
  switch (type)
    {
    case NAV_NAT_TYPE_UDP_BLOCKED: return "udp-blocked";
    case NAV_NAT_TYPE_OPEN_INTERNET: return "open-internet";
    case NAV_NAT_TYPE_FIREWALL: return "firewall";
    case NAV_NAT_TYPE_FULL_CONE: return "full-cone";
    case NAV_NAT_TYPE_RESTRICTED_CONE: return "restricted-cone";
    case NAV_NAT_TYPE_PORT_RESTRICTED_CONE: return "port-restricted-cone";
    case NAV_NAT_TYPE_SYMMETRIC: return "symmetric";
    case NAV_NAT_TYPE_UNKNOWN:
    default: return "unknown";
    }
}

const gchar *
nav_nat_type_to_display_string (NavNatType type)
{
  switch (type)
    {
    case NAV_NAT_TYPE_UDP_BLOCKED: return _("UDP blocked");
    case NAV_NAT_TYPE_OPEN_INTERNET: return _("Open internet (no NAT)");
    case NAV_NAT_TYPE_FIREWALL: return _("No NAT, but a firewall filters inbound UDP");
    case NAV_NAT_TYPE_FULL_CONE: return _("Full cone NAT");
    case NAV_NAT_TYPE_RESTRICTED_CONE: return _("Restricted cone NAT");
    case NAV_NAT_TYPE_PORT_RESTRICTED_CONE: return _("Port-restricted cone NAT");
    case NAV_NAT_TYPE_SYMMETRIC: return _("Symmetric NAT");
    case NAV_NAT_TYPE_UNKNOWN:
    default: return _("Unknown");
    }
}

const gchar *
nav_nat_strategy_to_string (NavNatStrategy strategy)
{
  switch (strategy)
    {
    case NAV_NAT_STRATEGY_DIRECT: return "direct";
    case NAV_NAT_STRATEGY_DIRECT_THEN_RELAY: return "direct-then-relay";
    case NAV_NAT_STRATEGY_RELAY_ONLY:
    default: return "relay-only";
    }
}

/* RFC 3489 §5 names, from the RFC 4787 behaviours RFC 5780 measures. */
NavNatType
nav_nat_type_from_behaviours (NavNatBehaviour mapping,
                              NavNatBehaviour filtering)
{
  switch (mapping)
    {
    case NAV_NAT_BEHAVIOUR_NONE:
      if (filtering == NAV_NAT_BEHAVIOUR_ADDRESS_DEPENDENT ||
          filtering == NAV_NAT_BEHAVIOUR_ADDRESS_AND_PORT_DEPENDENT)
        return NAV_NAT_TYPE_FIREWALL;
      return NAV_NAT_TYPE_OPEN_INTERNET;
    case NAV_NAT_BEHAVIOUR_ENDPOINT_INDEPENDENT:
      switch (filtering)
        {
        case NAV_NAT_BEHAVIOUR_NONE:
        case NAV_NAT_BEHAVIOUR_ENDPOINT_INDEPENDENT:
          return NAV_NAT_TYPE_FULL_CONE;
        case NAV_NAT_BEHAVIOUR_ADDRESS_DEPENDENT:
          return NAV_NAT_TYPE_RESTRICTED_CONE;
        case NAV_NAT_BEHAVIOUR_ADDRESS_AND_PORT_DEPENDENT:
          return NAV_NAT_TYPE_PORT_RESTRICTED_CONE;
        case NAV_NAT_BEHAVIOUR_UNKNOWN:
        default:
          return NAV_NAT_TYPE_UNKNOWN;
        }
    case NAV_NAT_BEHAVIOUR_ADDRESS_DEPENDENT:
    case NAV_NAT_BEHAVIOUR_ADDRESS_AND_PORT_DEPENDENT:
      return NAV_NAT_TYPE_SYMMETRIC;
    case NAV_NAT_BEHAVIOUR_UNKNOWN:
    default:
      return NAV_NAT_TYPE_UNKNOWN;
    }
}

void
nav_nat_classify (const NavNatObservations *obs,
                  NavNatClassification     *result)
{
  memset (result, 0, sizeof *result);
  result->local = obs->local;
  result->mapping = NAV_NAT_BEHAVIOUR_UNKNOWN;
  result->filtering = NAV_NAT_BEHAVIOUR_UNKNOWN;

  if (!obs->test1_ok)
    {
      /* RFC 5780 §4.3: no answer to test I means UDP is blocked. */
      result->type = NAV_NAT_TYPE_UDP_BLOCKED;
      return;
    }
  result->mapped = obs->test1_mapped;

  /* RFC 5780 §4.3: test I's mapped address equal to the local address
   * means no NAT; else tests II and III tell the mapping apart. */
  if (nav_address_equal (&obs->test1_mapped, &obs->local))
    result->mapping = NAV_NAT_BEHAVIOUR_NONE;
  else if (obs->has_other_address && obs->map2_ok)
    {
      if (nav_address_equal (&obs->map2_mapped, &obs->test1_mapped))
        result->mapping = NAV_NAT_BEHAVIOUR_ENDPOINT_INDEPENDENT;
      else if (obs->map3_ok)
        result->mapping = nav_address_equal (&obs->map3_mapped, &obs->map2_mapped)
                          ? NAV_NAT_BEHAVIOUR_ADDRESS_DEPENDENT
                          : NAV_NAT_BEHAVIOUR_ADDRESS_AND_PORT_DEPENDENT;
    }

  /* RFC 5780 §4.4: an answer from the other IP and port means
   * endpoint-independent filtering; from the other port only,
   * address-dependent; neither, address-and-port-dependent. */
  if (obs->has_other_address)
    {
      if (obs->filter2_ok)
        result->filtering = NAV_NAT_BEHAVIOUR_ENDPOINT_INDEPENDENT;
      else if (obs->filter3_ok)
        result->filtering = NAV_NAT_BEHAVIOUR_ADDRESS_DEPENDENT;
      else
        result->filtering = NAV_NAT_BEHAVIOUR_ADDRESS_AND_PORT_DEPENDENT;
    }

  result->type = nav_nat_type_from_behaviours (result->mapping, result->filtering);
}

/* A firewall without NAT keeps its mapping and filters like a
 * port-restricted cone. */
static NavNatType
normalise (NavNatType t)
{
  return t == NAV_NAT_TYPE_FIREWALL ? NAV_NAT_TYPE_PORT_RESTRICTED_CONE : t;
}

NavNatStrategy
nav_nat_strategy_for_pair (NavNatType  a,
                           NavNatType  b,
                           guint      *direct_timeout_ms)
{
  NavNatStrategy s;

  a = normalise (a);
  b = normalise (b);
  if (a > b)
    {
      NavNatType t = a;

      a = b;
      b = t;
    }

  if (a == NAV_NAT_TYPE_UDP_BLOCKED || b == NAV_NAT_TYPE_UDP_BLOCKED)
    s = NAV_NAT_STRATEGY_RELAY_ONLY;
  else if (a == NAV_NAT_TYPE_UNKNOWN || b == NAV_NAT_TYPE_UNKNOWN)
    s = NAV_NAT_STRATEGY_DIRECT_THEN_RELAY;
  else if (a == NAV_NAT_TYPE_OPEN_INTERNET || a == NAV_NAT_TYPE_FULL_CONE)
    /* One side accepts anything from anywhere: the other connects to it. */
    s = NAV_NAT_STRATEGY_DIRECT;
  else if (b != NAV_NAT_TYPE_SYMMETRIC)
    /* Two cones: simultaneous sends punch both holes (RFC 5128 §3.3). */
    s = NAV_NAT_STRATEGY_DIRECT;
  else if (a == NAV_NAT_TYPE_RESTRICTED_CONE)
    /* The cone filters on the address only, so the symmetric side's fresh
     * port gets in once the cone has sent to that address; it usually
     * works, not always. */
    s = NAV_NAT_STRATEGY_DIRECT_THEN_RELAY;
  else
    /* Symmetric against port-restricted or symmetric: the port the
     * symmetric NAT picks for the peer cannot be predicted. */
    s = NAV_NAT_STRATEGY_RELAY_ONLY;

  if (direct_timeout_ms != NULL)
    *direct_timeout_ms = s == NAV_NAT_STRATEGY_DIRECT_THEN_RELAY ? NAV_NAT_DIRECT_TIMEOUT_MS : 0;
  return s;
}

/* The driver: runs the tests with one client (one local socket) */

typedef struct
{
  NavNatObservations obs;
  NavAddress server;
  guint pending;
  guint filters_pending;        /* §4.4 tests still out */
  gboolean mapping_next;        /* run the §4.3 tests II/III after them */
  GError *error;
} Discovery;

typedef enum {
  STEP_TEST1,
  STEP_MAP2,
  STEP_MAP3,
  STEP_FILTER2,
  STEP_FILTER3,
} Step;

static void step_done (GObject *source, GAsyncResult *result, gpointer user_data);

static void
launch (GTask                     *task,
        Step                       step,
        const NavAddress          *to,
        NavStunChangeRequestFlags  change)
{
  Discovery *d = g_task_get_task_data (task);
  GTask *ref = g_object_ref (task);

  d->pending++;
  nav_stun_client_request_async (g_task_get_source_object (task), to,
                                 NAV_STUN_PROTOCOL_UDP, change,
                                 g_task_get_cancellable (task), step_done,
                                 /* the step travels with a small box */
                                 g_memdup2 ((gpointer[]) { ref, GINT_TO_POINTER (step) },
                                            2 * sizeof (gpointer)));
}

/* The kernel's choice of source address towards @server, for comparing
 * the mapped address with a socket bound to the wildcard. */
static void
fix_local (NavAddress       *local,
           const NavAddress *server)
{
  struct sockaddr_storage ss;
  socklen_t sl;
  int fd;
  guint port = nav_address_get_port (local);

  if (!nav_address_is_any (local))
    return;
  fd = socket (nav_address_get_family (server) == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET,
               SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return;
  sl = nav_address_copy_to_sockaddr (server, (struct sockaddr *) &ss, sizeof ss);
  if (connect (fd, (struct sockaddr *) &ss, sl) == 0)
    {
      sl = sizeof ss;
      if (getsockname (fd, (struct sockaddr *) &ss, &sl) == 0 &&
          nav_address_set_from_sockaddr (local, (struct sockaddr *) &ss, sl))
        nav_address_set_port (local, port);
    }
  close (fd);
}

static void
step_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  gpointer *box = user_data;
  g_autoptr (GTask) task = box[0];
  Step step = GPOINTER_TO_INT (box[1]);
  Discovery *d = g_task_get_task_data (task);
  g_autoptr (NavStunBindingResult) r = NULL;
  g_autoptr (GError) error = NULL;

  g_free (box);
  d->pending--;
  r = nav_stun_client_request_finish (NAV_STUN_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && d->error == NULL)
    d->error = g_error_copy (error);

  if (d->error == NULL)
    switch (step)
      {
      case STEP_TEST1:
        if (r == NULL)
          break;
        d->obs.test1_ok = TRUE;
        d->obs.test1_mapped = r->mapped;
        d->obs.local = r->local;
        fix_local (&d->obs.local, &d->server);
        d->obs.has_other_address = r->has_other_address;
        d->obs.other_address = r->other_address;
        /* Without OTHER-ADDRESS the server cannot do RFC 5780. */
        if (!r->has_other_address)
          break;
        /* With no NAT the mapping needs no more tests, filtering does.
         *
         * The filtering tests go first, and the mapping tests II and III
         * only once they are over: a filter lets in what comes from the
         * endpoints the inside has sent to (RFC 4787 §5), so a request
         * already sent to the alternate address (mapping test II) would
         * open the very hole filtering test II looks for, and a
         * restricted cone would pass for a full cone (seen behind a real
         * restricted-cone NAT: tests/netns). */
        d->mapping_next = !nav_address_equal (&r->mapped, &d->obs.local);
        d->filters_pending = 2;
        launch (task, STEP_FILTER2, &d->server,
                NAV_STUN_CHANGE_REQUEST_IP | NAV_STUN_CHANGE_REQUEST_PORT);
        launch (task, STEP_FILTER3, &d->server, NAV_STUN_CHANGE_REQUEST_PORT);
        break;
      case STEP_MAP2:
        if (r == NULL)
          break;
        d->obs.map2_ok = TRUE;
        d->obs.map2_mapped = r->mapped;
        if (!nav_address_equal (&r->mapped, &d->obs.test1_mapped))
          launch (task, STEP_MAP3, &d->obs.other_address, 0);
        break;
      case STEP_MAP3:
        if (r == NULL)
          break;
        d->obs.map3_ok = TRUE;
        d->obs.map3_mapped = r->mapped;
        break;
      case STEP_FILTER2:
      case STEP_FILTER3:
        if (step == STEP_FILTER2)
          d->obs.filter2_ok = r != NULL;
        else
          d->obs.filter3_ok = r != NULL;
        if (--d->filters_pending == 0 && d->mapping_next)
          {
            NavAddress alt = d->obs.other_address;

            /* Test II: the alternate IP address, the primary port. */
            nav_address_set_port (&alt, nav_address_get_port (&d->server));
            launch (task, STEP_MAP2, &alt, 0);
          }
        break;
      }

  if (d->pending == 0)
    {
      if (d->error != NULL)
        g_task_return_error (task, g_steal_pointer (&d->error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

static void
discovery_free (Discovery *d)
{
  g_clear_error (&d->error);
  g_free (d);
}

/**
 * nav_nat_discover_async:
 * @client: the client whose UDP socket the tests share
 * @server: the primary address of an RFC 5780 server
 *
 * Runs the behaviour discovery tests of RFC 5780 §4.3 and §4.4: test I,
 * then the two filtering tests together, then the mapping tests II and
 * III (sending to the alternate address before the filtering tests would
 * open the holes they probe for).  A test
 * with no answer is an observation, not an error: the task fails only
 * when cancelled.
 */
void
nav_nat_discover_async (NavStunClient       *client,
                        const NavAddress    *server,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (client, cancellable, callback, user_data);
  Discovery *d = g_new0 (Discovery, 1);

  g_task_set_source_tag (task, nav_nat_discover_async);
  d->server = *server;
  g_task_set_task_data (task, d, (GDestroyNotify) discovery_free);
  launch (task, STEP_TEST1, server, 0);
}

gboolean
nav_nat_discover_finish (NavStunClient         *client,
                         GAsyncResult          *result,
                         NavNatClassification  *classification,
                         GError               **error)
{
  Discovery *d;

  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  d = g_task_get_task_data (G_TASK (result));
  nav_nat_classify (&d->obs, classification);
  return TRUE;
}
