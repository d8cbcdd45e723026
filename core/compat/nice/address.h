/* address.h: libnice's NiceAddress on top of NavAddress
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Part of NetAvanue's libnice source-compatibility layer (pkg-config
 * netavanue-nice-1.0): a program written for libnice's agent API builds
 * unchanged against NetAvanue.  Every name here maps to NetAvanue's own
 * API; the few functions whose contract differs (libnice prints and parses
 * addresses without their port) are small inline adapters.
 */
#pragma once

#include <string.h>
#include <netavanue/netavanue.h>

G_BEGIN_DECLS

typedef NavAddress NiceAddress;

/* libnice's buffer holds an IP address only, without the port. */
#define NICE_ADDRESS_STRING_LEN INET6_ADDRSTRLEN

#define nice_address_init(addr)               nav_address_init (addr)
#define nice_address_new                      nav_address_new
#define nice_address_free                     nav_address_free
#define nice_address_dup                      nav_address_copy
#define nice_address_set_ipv4(addr, ip)       nav_address_set_ipv4 ((addr), (ip))
#define nice_address_set_ipv6(addr, ip)       nav_address_set_ipv6 ((addr), (ip))
#define nice_address_set_port(addr, port)     nav_address_set_port ((addr), (port))
#define nice_address_get_port(addr)           nav_address_get_port (addr)
#define nice_address_equal(a, b)              nav_address_equal ((a), (b))
#define nice_address_equal_no_port(a, b)      nav_address_equal_no_port ((a), (b))
#define nice_address_is_private(addr)         nav_address_is_private (addr)
#define nice_address_is_valid(addr)           nav_address_is_valid (addr)
#define nice_address_is_linklocal(addr)       nav_address_is_link_local (addr)
#define nice_address_ip_version(addr)         ((int) nav_address_ip_version (addr))
#define nice_address_set_from_sockaddr(addr, sa) \
  nav_address_set_from_sockaddr ((addr), (sa), \
                                 (sa)->sa_family == AF_INET6 ? sizeof (struct sockaddr_in6) \
                                                             : sizeof (struct sockaddr_in))
#define nice_address_copy_to_sockaddr(addr, sa) \
  nav_address_copy_to_sockaddr ((addr), (sa), sizeof (struct sockaddr_in6))

/* libnice parses an IP address without a port and keeps the port. */
static inline gboolean
nice_address_set_from_string (NiceAddress *addr,
                              const gchar *str)
{
  guint port = nav_address_is_valid (addr) ? nav_address_get_port (addr) : 0;

  if (!nav_address_set_ip_from_string (addr, str, NULL))
    return FALSE;
  nav_address_set_port (addr, port);
  return TRUE;
}

/* libnice prints the IP address alone into a NICE_ADDRESS_STRING_LEN
 * buffer. */
static inline void
nice_address_to_string (const NiceAddress *addr,
                        gchar             *dst)
{
  gchar *ip = nav_address_ip_to_string (addr);

  g_strlcpy (dst, ip != NULL ? ip : "", NICE_ADDRESS_STRING_LEN);
  g_free (ip);
}

static inline gchar *
nice_address_dup_string (const NiceAddress *addr)
{
  return nav_address_ip_to_string (addr);
}

G_END_DECLS
