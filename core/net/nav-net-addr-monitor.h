/* nav-net-addr-monitor.h: this device's interface addresses, as the
 * kernel announces their changes over rtnetlink (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  NAV_NET_ADDR_EVENT_ADDED,    /* RTM_NEWADDR: an address appeared or changed */
  NAV_NET_ADDR_EVENT_REMOVED,  /* RTM_DELADDR: an address went */
  NAV_NET_ADDR_EVENT_LINK,     /* RTM_NEWLINK / RTM_DELLINK */
  NAV_NET_ADDR_EVENT_OVERRUN,  /* notifications were lost: list again */
} NavNetAddrEventKind;

/* One notification.  For addresses: @family is AF_INET or AF_INET6 and
 * the first 4 or 16 bytes of @address hold it (IFA_LOCAL for IPv4, which
 * differs from IFA_ADDRESS on point-to-point links; IFA_ADDRESS for IPv6);
 * @flags are IFA_F_* (the IFA_FLAGS attribute when present).  For links:
 * @flags are the IFF_* flags, @link_removed is TRUE for RTM_DELLINK. */
typedef struct {
  NavNetAddrEventKind kind;
  guint32 ifindex;
  gint family;
  guint8 address[16];
  guint8 prefix_length;
  guint8 scope;
  guint32 flags;
  gboolean link_removed;
} NavNetAddrEvent;

typedef void (*NavNetAddrEventFunc) (const NavNetAddrEvent *event,
                                     gpointer               user_data);

/* Sans-I/O: calls @func for each well-formed RTM_NEWADDR, RTM_DELADDR
 * (AF_INET, AF_INET6), RTM_NEWLINK and RTM_DELLINK message of @buffer,
 * as received from a NETLINK_ROUTE socket, in order.  Anything else —
 * other types, other families, truncated messages, attributes of the
 * wrong size, garbage — is skipped; a message whose header is not
 * well-formed ends the walk (nothing after it can be located).  @buffer
 * needs no alignment.  Returns the number of events given to @func. */
guint nav_net_addr_parse (const guint8        *buffer,
                          gsize                length,
                          NavNetAddrEventFunc  func,
                          gpointer             user_data);

/* TRUE for what an address change of this device does not count:
 * loopback addresses, IPv6 link-local ones (they mean nothing without
 * their scope).  IPv4 link-local (169.254/16) counts, as in the host
 * gatherer's listing. */
gboolean nav_net_addr_event_is_local_only (const NavNetAddrEvent *event);

/* The event's address as text (@buf of at least 46 bytes), "-" if none. */
const gchar *nav_net_addr_event_address_to_string (const NavNetAddrEvent *event,
                                                    gchar                 *buf,
                                                    gsize                  size);

typedef struct _NavNetAddrMonitor NavNetAddrMonitor;

/* A NETLINK_ROUTE socket subscribed to the IPv4 and IPv6 address groups
 * and the link group, read from a GSource attached to @context (NULL:
 * the global default).  @func gets address events as they come, link
 * events only when a link goes or its IFF_UP flag changes (a Wi-Fi
 * driver's frequent RTM_NEWLINK with nothing changed are dropped), and
 * an OVERRUN event when the kernel dropped notifications (ENOBUFS, or a
 * message larger than the buffer): the owner must list the addresses
 * again.  @func must not free the monitor.  NULL with @error set if the
 * socket cannot be opened (no netlink: the owner polls). */
NavNetAddrMonitor *nav_net_addr_monitor_new  (GMainContext         *context,
                                              NavNetAddrEventFunc   func,
                                              gpointer              user_data,
                                              GError              **error);
void               nav_net_addr_monitor_free (NavNetAddrMonitor    *monitor);
/* The socket (tests shrink its receive buffer to provoke an overrun). */
int                nav_net_addr_monitor_get_fd (NavNetAddrMonitor  *monitor);
/* How many times notifications were lost. */
guint64            nav_net_addr_monitor_get_overruns (NavNetAddrMonitor *monitor);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavNetAddrMonitor, nav_net_addr_monitor_free)

G_END_DECLS
