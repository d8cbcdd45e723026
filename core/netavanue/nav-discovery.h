/* nav-discovery.h: peers on the local network, by multicast DNS and
 * DNS-SD (the implementation is the discovery module's)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netavanue/nav-version.h>

G_BEGIN_DECLS

/**
 * NAV_DISCOVERY_EXTENSION_POINT_NAME:
 *
 * The name of the extension point where [class@Nav.Discovery]
 * implementations register (the discovery module's is `mdns`).
 */
#define NAV_DISCOVERY_EXTENSION_POINT_NAME "nav-discovery"

/**
 * NAV_DISCOVERY_SERVICE_TYPE:
 *
 * The DNS-SD service type NetAvanue peers publish and browse for
 * (RFC 6763 §7).
 */
#define NAV_DISCOVERY_SERVICE_TYPE "_netavanue._udp"

/**
 * NAV_DISCOVERY_PROTOCOL_VERSION:
 *
 * The version of the TXT record's keys (`v=`).
 */
#define NAV_DISCOVERY_PROTOCOL_VERSION 1

/**
 * NAV_DISCOVERY_ERROR:
 *
 * Error domain of [class@Nav.Discovery].  Errors in this domain are from
 * the [error@Nav.DiscoveryError] enumeration.
 *
 * Since: 1.0
 */
#define NAV_DISCOVERY_ERROR (nav_discovery_error_quark ())

/**
 * NavDiscoveryError:
 * @NAV_DISCOVERY_ERROR_FAILED: a failure with no more specific code.
 * @NAV_DISCOVERY_ERROR_NOT_AVAILABLE: no implementation (the discovery
 *   module is not installed), or no network to work on (the multicast
 *   sockets could not be opened).
 * @NAV_DISCOVERY_ERROR_INVALID_ARGUMENT: an instance name, service type
 *   or TXT entry that DNS-SD cannot carry.
 * @NAV_DISCOVERY_ERROR_NOT_FOUND: a lookup found nothing in the time
 *   allowed.
 * @NAV_DISCOVERY_ERROR_ALREADY_STARTED: started twice.
 *
 * Error codes of the `NAV_DISCOVERY_ERROR` domain.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_DISCOVERY_ERROR_FAILED,
  NAV_DISCOVERY_ERROR_NOT_AVAILABLE,
  NAV_DISCOVERY_ERROR_INVALID_ARGUMENT,
  NAV_DISCOVERY_ERROR_NOT_FOUND,
  NAV_DISCOVERY_ERROR_ALREADY_STARTED,
} NavDiscoveryError;

NAV_AVAILABLE_IN_ALL
GQuark nav_discovery_error_quark (void);

/* ------------------------------------------------------------ peers */

#define NAV_TYPE_DISCOVERED_PEER (nav_discovered_peer_get_type ())

/**
 * NavDiscoveredPeer:
 *
 * A peer found on the network: its DNS-SD instance, where it is, and
 * what its TXT record says.  Immutable once handed to the application
 * (a change comes as a new one in
 * [signal@Nav.Discovery::peer-changed]).
 *
 * Since: 1.0
 */
typedef struct _NavDiscoveredPeer NavDiscoveredPeer;

NAV_AVAILABLE_IN_ALL
GType              nav_discovered_peer_get_type          (void) G_GNUC_CONST;
NAV_AVAILABLE_IN_ALL
NavDiscoveredPeer *nav_discovered_peer_new               (const gchar         *instance_name,
                                                          const gchar         *service_type);
NAV_AVAILABLE_IN_ALL
NavDiscoveredPeer *nav_discovered_peer_ref               (NavDiscoveredPeer   *peer);
NAV_AVAILABLE_IN_ALL
void               nav_discovered_peer_unref             (NavDiscoveredPeer   *peer);
NAV_AVAILABLE_IN_ALL
void               nav_discovered_peer_set_host          (NavDiscoveredPeer   *peer,
                                                          const gchar         *host_name,
                                                          guint16              port);
NAV_AVAILABLE_IN_ALL
void               nav_discovered_peer_add_address       (NavDiscoveredPeer   *peer,
                                                          GInetAddress        *address);
NAV_AVAILABLE_IN_ALL
void               nav_discovered_peer_set_txt           (NavDiscoveredPeer   *peer,
                                                          const gchar * const *txt);
NAV_AVAILABLE_IN_ALL
void               nav_discovered_peer_set_interface     (NavDiscoveredPeer   *peer,
                                                          guint                ifindex);

NAV_AVAILABLE_IN_ALL
const gchar       *nav_discovered_peer_get_instance_name (NavDiscoveredPeer   *peer);
NAV_AVAILABLE_IN_ALL
const gchar       *nav_discovered_peer_get_service_type  (NavDiscoveredPeer   *peer);
NAV_AVAILABLE_IN_ALL
const gchar       *nav_discovered_peer_get_host_name     (NavDiscoveredPeer   *peer);
NAV_AVAILABLE_IN_ALL
guint16            nav_discovered_peer_get_port          (NavDiscoveredPeer   *peer);
NAV_AVAILABLE_IN_ALL
GPtrArray         *nav_discovered_peer_get_addresses     (NavDiscoveredPeer   *peer);
NAV_AVAILABLE_IN_ALL
guint              nav_discovered_peer_get_interface     (NavDiscoveredPeer   *peer);
NAV_AVAILABLE_IN_ALL
const gchar * const *nav_discovered_peer_get_txt         (NavDiscoveredPeer   *peer);
NAV_AVAILABLE_IN_ALL
const gchar       *nav_discovered_peer_lookup_txt        (NavDiscoveredPeer   *peer,
                                                          const gchar         *key);
NAV_AVAILABLE_IN_ALL
const gchar       *nav_discovered_peer_get_device_id     (NavDiscoveredPeer   *peer);
NAV_AVAILABLE_IN_ALL
const gchar       *nav_discovered_peer_get_capabilities  (NavDiscoveredPeer   *peer);
NAV_AVAILABLE_IN_ALL
const gchar       *nav_discovered_peer_get_reach         (NavDiscoveredPeer   *peer);
NAV_AVAILABLE_IN_ALL
const gchar       *nav_discovered_peer_get_nat_type      (NavDiscoveredPeer   *peer);
NAV_AVAILABLE_IN_ALL
guint              nav_discovered_peer_get_protocol_version (NavDiscoveredPeer *peer);
NAV_AVAILABLE_IN_ALL
gboolean           nav_discovered_peer_equal             (NavDiscoveredPeer   *a,
                                                          NavDiscoveredPeer   *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavDiscoveredPeer, nav_discovered_peer_unref)

/* ------------------------------------------------------------ discovery */

#define NAV_TYPE_DISCOVERY (nav_discovery_get_type ())
NAV_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (NavDiscovery, nav_discovery, NAV, DISCOVERY, GObject)

/**
 * NavDiscoveryClass:
 * @parent_class: the parent class.
 * @start: opens the sockets, starts publishing (when
 *   [property@Nav.Discovery:publish]) and browsing (when
 *   [property@Nav.Discovery:browse]).
 * @stop: says goodbye (TTL 0) for what was published, stops.
 * @list_peers: the peers known now.
 * @update: the TXT properties changed while started: announce them again.
 *
 * The virtual methods an implementation provides.  The properties are
 * the base class's; an implementation reads them with the getters.
 *
 * Since: 1.0
 */
struct _NavDiscoveryClass
{
  GObjectClass parent_class;

  gboolean   (*start)      (NavDiscovery  *self,
                            GError       **error);
  void       (*stop)       (NavDiscovery  *self);
  GList     *(*list_peers) (NavDiscovery  *self);
  void       (*update)     (NavDiscovery  *self);

  /*< private >*/
  gpointer padding[8];
};

NAV_AVAILABLE_IN_ALL
NavDiscovery  *nav_discovery_new                (void);
NAV_AVAILABLE_IN_ALL
gboolean       nav_discovery_start              (NavDiscovery  *self,
                                                 GError       **error);
NAV_AVAILABLE_IN_ALL
void           nav_discovery_stop               (NavDiscovery  *self);
NAV_AVAILABLE_IN_ALL
GList         *nav_discovery_list_peers         (NavDiscovery  *self);
NAV_AVAILABLE_IN_ALL
gboolean       nav_discovery_is_started         (NavDiscovery  *self);

NAV_AVAILABLE_IN_ALL
GMainContext  *nav_discovery_get_context        (NavDiscovery  *self);
NAV_AVAILABLE_IN_ALL
const gchar   *nav_discovery_get_instance_name  (NavDiscovery  *self);
NAV_AVAILABLE_IN_ALL
void           nav_discovery_set_instance_name  (NavDiscovery  *self,
                                                 const gchar   *name);
NAV_AVAILABLE_IN_ALL
const gchar   *nav_discovery_get_service_type   (NavDiscovery  *self);
NAV_AVAILABLE_IN_ALL
const gchar   *nav_discovery_get_device_id      (NavDiscovery  *self);
NAV_AVAILABLE_IN_ALL
const gchar   *nav_discovery_get_capabilities   (NavDiscovery  *self);
NAV_AVAILABLE_IN_ALL
void           nav_discovery_set_capabilities   (NavDiscovery  *self,
                                                 const gchar   *capabilities);
NAV_AVAILABLE_IN_ALL
const gchar   *nav_discovery_get_reach          (NavDiscovery  *self);
NAV_AVAILABLE_IN_ALL
void           nav_discovery_set_reach          (NavDiscovery  *self,
                                                 const gchar   *reach);
NAV_AVAILABLE_IN_ALL
const gchar   *nav_discovery_get_nat_type       (NavDiscovery  *self);
NAV_AVAILABLE_IN_ALL
void           nav_discovery_set_nat_type       (NavDiscovery  *self,
                                                 const gchar   *nat_type);
NAV_AVAILABLE_IN_ALL
guint16        nav_discovery_get_port           (NavDiscovery  *self);
NAV_AVAILABLE_IN_ALL
gboolean       nav_discovery_get_publish        (NavDiscovery  *self);
NAV_AVAILABLE_IN_ALL
gboolean       nav_discovery_get_browse         (NavDiscovery  *self);
NAV_AVAILABLE_IN_ALL
gchar        **nav_discovery_build_txt          (NavDiscovery  *self);

G_END_DECLS
