/* nav-address.h: an IPv4 or IPv6 transport address
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netavanue/nav-version.h>

#ifndef __GI_SCANNER__
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#endif

G_BEGIN_DECLS

#define NAV_TYPE_ADDRESS (nav_address_get_type ())

/**
 * NAV_ADDRESS_STRING_LEN:
 *
 * The size of a buffer that holds any address printed by
 * [method@Nav.Address.to_string_buf], including the port, the brackets of
 * an IPv6 address and the terminating NUL.
 */
#define NAV_ADDRESS_STRING_LEN (INET6_ADDRSTRLEN + 8)

typedef struct _NavAddress NavAddress;

/**
 * NavAddress:
 *
 * A transport address: an IPv4 or IPv6 address and a port.
 *
 * `NavAddress` is a plain struct, so C code can keep it on the stack or
 * inside other structs (initialise it with [method@Nav.Address.init]); it
 * is also a boxed type for bindings.  Its text form is `1.2.3.4:5` for IPv4
 * and `[::1]:5` for IPv6, as in URIs (RFC 3986 §3.2.2).
 *
 * It mirrors libnice's `NiceAddress`.
 *
 * Since: 1.0
 */
struct _NavAddress
{
  /*< private >*/
#ifdef __GI_SCANNER__
  guint8 storage[28];
#else
  union {
    struct sockaddr     addr;
    struct sockaddr_in  ip4;
    struct sockaddr_in6 ip6;
  } s;
#endif
};

NAV_AVAILABLE_IN_ALL
GType        nav_address_get_type            (void) G_GNUC_CONST;

NAV_AVAILABLE_IN_ALL
NavAddress  *nav_address_new                 (void);
NAV_AVAILABLE_IN_ALL
NavAddress  *nav_address_new_from_string     (const gchar      *str,
                                              GError          **error);
NAV_AVAILABLE_IN_ALL
NavAddress  *nav_address_new_from_socket_address (GSocketAddress *sockaddr,
                                                  GError        **error);
NAV_AVAILABLE_IN_ALL
NavAddress  *nav_address_copy                (const NavAddress *addr);
NAV_AVAILABLE_IN_ALL
void         nav_address_free                (NavAddress       *addr);

NAV_AVAILABLE_IN_ALL
void         nav_address_init                (NavAddress       *addr);
NAV_AVAILABLE_IN_ALL
gboolean     nav_address_set_from_string     (NavAddress       *addr,
                                              const gchar      *str,
                                              GError          **error);
NAV_AVAILABLE_IN_ALL
gboolean     nav_address_set_ip_from_string  (NavAddress       *addr,
                                              const gchar      *ip,
                                              GError          **error);
NAV_AVAILABLE_IN_ALL
void         nav_address_set_ipv4            (NavAddress       *addr,
                                              guint32           addr_ipv4);
NAV_AVAILABLE_IN_ALL
void         nav_address_set_ipv6            (NavAddress       *addr,
                                              const guint8     *addr_ipv6);
NAV_AVAILABLE_IN_ALL
void         nav_address_set_port            (NavAddress       *addr,
                                              guint             port);
NAV_AVAILABLE_IN_ALL
guint        nav_address_get_port            (const NavAddress *addr);
NAV_AVAILABLE_IN_ALL
guint32      nav_address_get_ipv4            (const NavAddress *addr);
NAV_AVAILABLE_IN_ALL
const guint8 *nav_address_get_ipv6           (const NavAddress *addr);
NAV_AVAILABLE_IN_ALL
GSocketFamily nav_address_get_family         (const NavAddress *addr);
NAV_AVAILABLE_IN_ALL
guint        nav_address_ip_version          (const NavAddress *addr);

NAV_AVAILABLE_IN_ALL
gboolean     nav_address_set_from_socket_address (NavAddress     *addr,
                                                  GSocketAddress *sockaddr,
                                                  GError        **error);
NAV_AVAILABLE_IN_ALL
GSocketAddress *nav_address_to_socket_address (const NavAddress *addr);

#ifndef __GI_SCANNER__
NAV_AVAILABLE_IN_ALL
gboolean     nav_address_set_from_sockaddr   (NavAddress            *addr,
                                              const struct sockaddr *sa,
                                              gsize                  sa_len);
NAV_AVAILABLE_IN_ALL
gsize        nav_address_copy_to_sockaddr    (const NavAddress      *addr,
                                              struct sockaddr       *sa,
                                              gsize                  sa_len);
#endif

NAV_AVAILABLE_IN_ALL
gchar       *nav_address_to_string           (const NavAddress *addr);
NAV_AVAILABLE_IN_ALL
gchar       *nav_address_to_string_buf       (const NavAddress *addr,
                                              gchar            *buf);
NAV_AVAILABLE_IN_ALL
gchar       *nav_address_ip_to_string        (const NavAddress *addr);

NAV_AVAILABLE_IN_ALL
gboolean     nav_address_equal               (const NavAddress *a,
                                              const NavAddress *b);
NAV_AVAILABLE_IN_ALL
gboolean     nav_address_equal_no_port       (const NavAddress *a,
                                              const NavAddress *b);
NAV_AVAILABLE_IN_ALL
guint        nav_address_hash                (const NavAddress *addr);

NAV_AVAILABLE_IN_ALL
gboolean     nav_address_is_valid            (const NavAddress *addr);
NAV_AVAILABLE_IN_ALL
gboolean     nav_address_is_loopback         (const NavAddress *addr);
NAV_AVAILABLE_IN_ALL
gboolean     nav_address_is_private          (const NavAddress *addr);
NAV_AVAILABLE_IN_ALL
gboolean     nav_address_is_link_local       (const NavAddress *addr);
NAV_AVAILABLE_IN_ALL
gboolean     nav_address_is_any              (const NavAddress *addr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavAddress, nav_address_free)

G_END_DECLS
