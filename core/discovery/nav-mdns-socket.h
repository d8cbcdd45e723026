/* nav-mdns-socket.h: the multicast DNS sockets of one process part
 * (internal)
 *
 * One IPv4 and one IPv6 UDP socket on port 5353 (or an ephemeral port
 * for one-shot queries, RFC 6762 §5.1), members of 224.0.0.251 and
 * ff02::fb on every interface that is up, can multicast and is not the
 * loopback; each datagram read with the interface it came in on, each
 * sent on the interface chosen.  The port is shared with any other
 * responder on the host (Avahi, a browser) through SO_REUSEADDR and
 * SO_REUSEPORT, as RFC 6762 §15.1 expects.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <sys/socket.h>
#include <netinet/in.h>

#include <glib.h>

G_BEGIN_DECLS

#define NAV_MDNS_PORT 5353
#define NAV_MDNS_GROUP_V4 "224.0.0.251"
#define NAV_MDNS_GROUP_V6 "ff02::fb"

typedef struct _NavMdnsSocket NavMdnsSocket;

typedef struct {
  guint ifindex;
  gchar *name;
  GArray *v4;    /* struct in_addr, the interface's addresses */
  GArray *v4_masks; /* struct in_addr, their netmasks */
  GArray *v6;    /* struct in6_addr */
} NavMdnsInterface;

typedef struct {
  const guint8 *data;
  gsize len;
  struct sockaddr_storage from;
  socklen_t from_len;
  guint ifindex;
  /* The source passed RFC 6762 §11's check: an address on the link the
   * datagram came in on (IPv4: in one of the interface's subnets; IPv6:
   * link-local or in one of its prefixes). */
  gboolean on_link;
  /* Sent from port 5353 (a fully compliant querier or responder), or
   * from another port (a one-shot "legacy" querier, RFC 6762 §6.7). */
  gboolean from_mdns_port;
} NavMdnsDatagram;

typedef void (*NavMdnsReceiveFunc) (NavMdnsSocket         *sock,
                                    const NavMdnsDatagram *datagram,
                                    gpointer               user_data);
/* An interface appeared (@added) or went away: the owner announces or
 * forgets what it had learnt there. */
typedef void (*NavMdnsInterfaceFunc) (NavMdnsSocket          *sock,
                                      const NavMdnsInterface *iface,
                                      gboolean                added,
                                      gpointer                user_data);

/* @ctx: where the sockets are read (NULL: the thread-default context).
 * @mdns_port: TRUE for 5353, FALSE for an ephemeral port.
 * @ifname_filter: NULL, or the only interface names to use
 * (comma-separated; NAV_MDNS_INTERFACES overrides when set).
 * Fails only when neither family could be opened. */
NavMdnsSocket *nav_mdns_socket_new         (GMainContext         *ctx,
                                            gboolean              mdns_port,
                                            NavMdnsReceiveFunc    receive,
                                            NavMdnsInterfaceFunc  interface_changed,
                                            gpointer              user_data,
                                            GError              **error);
void           nav_mdns_socket_free        (NavMdnsSocket        *sock);
/* Reads the interfaces again, joins the groups on new ones, calls
 * interface_changed for each change.  The owner calls it on a timer. */
void           nav_mdns_socket_refresh     (NavMdnsSocket        *sock);
/* The interfaces in use (NavMdnsInterface, borrowed). */
GPtrArray     *nav_mdns_socket_get_interfaces (NavMdnsSocket     *sock);
const NavMdnsInterface *nav_mdns_socket_lookup_interface (NavMdnsSocket *sock,
                                                          guint          ifindex);
/* Multicasts on one interface (@ifindex) or all (0), over @family
 * (AF_INET, AF_INET6, or AF_UNSPEC for both).  Returns how many sends
 * succeeded. */
guint          nav_mdns_socket_multicast   (NavMdnsSocket        *sock,
                                            guint                 ifindex,
                                            int                   family,
                                            const guint8         *data,
                                            gsize                 len);
gboolean       nav_mdns_socket_send_to     (NavMdnsSocket        *sock,
                                            const struct sockaddr *to,
                                            socklen_t             to_len,
                                            guint                 ifindex,
                                            const guint8         *data,
                                            gsize                 len);
/* Whether the local port is 5353. */
gboolean       nav_mdns_socket_is_mdns_port (NavMdnsSocket       *sock);
/* Whether @addr is one of our own interfaces' addresses. */
gboolean       nav_mdns_socket_is_own_address (NavMdnsSocket     *sock,
                                               const struct sockaddr *addr);

G_END_DECLS
