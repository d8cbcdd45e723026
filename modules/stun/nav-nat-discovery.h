/* nav-nat-discovery.h: NAT behaviour discovery (RFC 5780 §4.3, §4.4)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

#include "nav-stun-client.h"

G_BEGIN_DECLS

/**
 * NavNatBehaviour:
 * @NAV_NAT_BEHAVIOUR_UNKNOWN: not determined (test failed or not run).
 * @NAV_NAT_BEHAVIOUR_NONE: no NAT: the mapped address is the local one.
 * @NAV_NAT_BEHAVIOUR_ENDPOINT_INDEPENDENT: same mapping / filtering for
 *   every remote endpoint.
 * @NAV_NAT_BEHAVIOUR_ADDRESS_DEPENDENT: depends on the remote IP address.
 * @NAV_NAT_BEHAVIOUR_ADDRESS_AND_PORT_DEPENDENT: depends on the remote IP
 *   address and port.
 *
 * A mapping or filtering behaviour (RFC 4787 §4.1, §5).
 */
typedef enum {
  NAV_NAT_BEHAVIOUR_UNKNOWN,
  NAV_NAT_BEHAVIOUR_NONE,
  NAV_NAT_BEHAVIOUR_ENDPOINT_INDEPENDENT,
  NAV_NAT_BEHAVIOUR_ADDRESS_DEPENDENT,
  NAV_NAT_BEHAVIOUR_ADDRESS_AND_PORT_DEPENDENT,
} NavNatBehaviour;

/**
 * NavNatType:
 * @NAV_NAT_TYPE_UNKNOWN: could not be classified.
 * @NAV_NAT_TYPE_UDP_BLOCKED: no UDP answer at all.
 * @NAV_NAT_TYPE_OPEN_INTERNET: no NAT, no filtering.
 * @NAV_NAT_TYPE_FIREWALL: no NAT, but inbound traffic is filtered
 *   (RFC 3489's "symmetric UDP firewall").
 * @NAV_NAT_TYPE_FULL_CONE: endpoint-independent mapping and filtering.
 * @NAV_NAT_TYPE_RESTRICTED_CONE: endpoint-independent mapping,
 *   address-dependent filtering.
 * @NAV_NAT_TYPE_PORT_RESTRICTED_CONE: endpoint-independent mapping,
 *   address-and-port-dependent filtering.
 * @NAV_NAT_TYPE_SYMMETRIC: address- or address-and-port-dependent mapping.
 *
 * The classic names (RFC 3489 §5) of the behaviour pairs of RFC 5780.
 */
typedef enum {
  NAV_NAT_TYPE_UNKNOWN,
  NAV_NAT_TYPE_UDP_BLOCKED,
  NAV_NAT_TYPE_OPEN_INTERNET,
  NAV_NAT_TYPE_FIREWALL,
  NAV_NAT_TYPE_FULL_CONE,
  NAV_NAT_TYPE_RESTRICTED_CONE,
  NAV_NAT_TYPE_PORT_RESTRICTED_CONE,
  NAV_NAT_TYPE_SYMMETRIC,
} NavNatType;

/**
 * NavNatStrategy:
 * @NAV_NAT_STRATEGY_DIRECT: a direct path is expected to work.
 * @NAV_NAT_STRATEGY_DIRECT_THEN_RELAY: try direct, fall back to a relay
 *   after a timeout.
 * @NAV_NAT_STRATEGY_RELAY_ONLY: only a relay (TURN) can connect the pair.
 */
typedef enum {
  NAV_NAT_STRATEGY_DIRECT,
  NAV_NAT_STRATEGY_DIRECT_THEN_RELAY,
  NAV_NAT_STRATEGY_RELAY_ONLY,
} NavNatStrategy;

/* How long to try a direct path before falling back to a relay. */
#define NAV_NAT_DIRECT_TIMEOUT_MS 5000

/**
 * NavNatObservations:
 *
 * What the tests of RFC 5780 §4.3 and §4.4 saw.  Each `*_ok` says whether
 * a response came; the addresses are valid only then.
 */
typedef struct
{
  NavAddress local;             /* the client's local address */
  gboolean test1_ok;            /* Binding to the primary address */
  NavAddress test1_mapped;
  gboolean has_other_address;   /* the server supports RFC 5780 */
  NavAddress other_address;
  /* mapping, §4.3 */
  gboolean map2_ok;             /* to the alternate IP, primary port */
  NavAddress map2_mapped;
  gboolean map3_ok;             /* to the alternate IP and port */
  NavAddress map3_mapped;
  /* filtering, §4.4 */
  gboolean filter2_ok;          /* CHANGE-REQUEST IP and port */
  gboolean filter3_ok;          /* CHANGE-REQUEST port */
} NavNatObservations;

typedef struct
{
  NavNatBehaviour mapping;
  NavNatBehaviour filtering;
  NavNatType type;
  NavAddress mapped;            /* from test I */
  NavAddress local;
} NavNatClassification;

void         nav_nat_classify                 (const NavNatObservations *obs,
                                               NavNatClassification     *result);
NavNatType   nav_nat_type_from_behaviours     (NavNatBehaviour mapping,
                                               NavNatBehaviour filtering);
NavNatStrategy nav_nat_strategy_for_pair      (NavNatType a,
                                               NavNatType b,
                                               guint     *direct_timeout_ms);
const gchar *nav_nat_behaviour_to_string      (NavNatBehaviour behaviour);
const gchar *nav_nat_type_to_string           (NavNatType type);
const gchar *nav_nat_type_to_display_string   (NavNatType type);
const gchar *nav_nat_strategy_to_string       (NavNatStrategy strategy);

void         nav_nat_discover_async           (NavStunClient        *client,
                                               const NavAddress     *server,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
gboolean     nav_nat_discover_finish          (NavStunClient        *client,
                                               GAsyncResult         *result,
                                               NavNatClassification *classification,
                                               GError              **error);

G_END_DECLS
