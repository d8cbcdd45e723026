/* nav-address.c: an IPv4 or IPv6 transport address
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>
#include <glib/gi18n-lib.h>

#include "netavanue/netavanue.h"

G_DEFINE_BOXED_TYPE (NavAddress, nav_address, nav_address_copy, nav_address_free)

/**
 * nav_address_new:
 *
 * Allocates an address with no family (not valid until set).
 *
 * Returns: (transfer full): a new address
 *
 * Since: 1.0
 */
NavAddress *
nav_address_new (void)
{
  return g_new0 (NavAddress, 1);
}

/**
 * nav_address_new_from_string:
 * @str: a transport address: `1.2.3.4:5`, `[::1]:5`, or an IP address
 *   alone (port 0)
 * @error: return location for a #GError
 *
 * Reads an address from its text form; see
 * [method@Nav.Address.set_from_string].
 *
 * Returns: (transfer full) (nullable): the address, or %NULL with @error
 *   set to %NAV_ERROR_INVALID_ADDRESS
 *
 * Since: 1.0
 */
NavAddress *
nav_address_new_from_string (const gchar  *str,
                             GError      **error)
{
  g_autoptr (NavAddress) addr = nav_address_new ();

  if (!nav_address_set_from_string (addr, str, error))
    return NULL;
  return g_steal_pointer (&addr);
}

/**
 * nav_address_new_from_socket_address:
 * @sockaddr: a #GInetSocketAddress
 * @error: return location for a #GError
 *
 * Converts a #GSocketAddress.
 *
 * Returns: (transfer full) (nullable): the address, or %NULL with @error
 *   set when @sockaddr is not an IPv4 or IPv6 socket address
 *
 * Since: 1.0
 */
NavAddress *
nav_address_new_from_socket_address (GSocketAddress  *sockaddr,
                                     GError         **error)
{
  g_autoptr (NavAddress) addr = nav_address_new ();

  if (!nav_address_set_from_socket_address (addr, sockaddr, error))
    return NULL;
  return g_steal_pointer (&addr);
}

/**
 * nav_address_copy:
 * @addr: an address
 *
 * Copies @addr.
 *
 * Returns: (transfer full): a copy of @addr
 *
 * Since: 1.0
 */
NavAddress *
nav_address_copy (const NavAddress *addr)
{
  g_return_val_if_fail (addr != NULL, NULL);

  return g_memdup2 (addr, sizeof (NavAddress));
}

/**
 * nav_address_free:
 * @addr: (transfer full): an address from [ctor@Nav.Address.new] or
 *   [method@Nav.Address.copy]
 *
 * Frees @addr.
 *
 * Since: 1.0
 */
void
nav_address_free (NavAddress *addr)
{
  g_free (addr);
}

/**
 * nav_address_init:
 * @addr: an address, typically on the stack
 *
 * Clears @addr: no family, port 0.  Call it before using a `NavAddress`
 * that was not allocated with [ctor@Nav.Address.new].
 *
 * Since: 1.0
 */
void
nav_address_init (NavAddress *addr)
{
  g_return_if_fail (addr != NULL);

  memset (addr, 0, sizeof (*addr));
  addr->s.addr.sa_family = AF_UNSPEC;
}

/**
 * nav_address_set_ipv4:
 * @addr: an address
 * @addr_ipv4: an IPv4 address in host byte order
 *
 * Makes @addr an IPv4 address; the port is kept when @addr was already
 * IPv4, set to 0 otherwise.
 *
 * Since: 1.0
 */
void
nav_address_set_ipv4 (NavAddress *addr,
                      guint32     addr_ipv4)
{
  guint port;

  g_return_if_fail (addr != NULL);

  port = addr->s.addr.sa_family == AF_INET ? ntohs (addr->s.ip4.sin_port) : 0;
  memset (addr, 0, sizeof (*addr));
  addr->s.ip4.sin_family = AF_INET;
  addr->s.ip4.sin_addr.s_addr = htonl (addr_ipv4);
  addr->s.ip4.sin_port = htons (port);
}

/**
 * nav_address_set_ipv6:
 * @addr: an address
 * @addr_ipv6: (array fixed-size=16): the 16 bytes of an IPv6 address
 *
 * Makes @addr an IPv6 address; the port is kept when @addr was already
 * IPv6, set to 0 otherwise.
 *
 * Since: 1.0
 */
void
nav_address_set_ipv6 (NavAddress   *addr,
                      const guint8 *addr_ipv6)
{
  guint port;

  g_return_if_fail (addr != NULL);
  g_return_if_fail (addr_ipv6 != NULL);

  port = addr->s.addr.sa_family == AF_INET6 ? ntohs (addr->s.ip6.sin6_port) : 0;
  memset (addr, 0, sizeof (*addr));
  addr->s.ip6.sin6_family = AF_INET6;
  memcpy (addr->s.ip6.sin6_addr.s6_addr, addr_ipv6, 16);
  addr->s.ip6.sin6_port = htons (port);
}

/**
 * nav_address_set_port:
 * @addr: an IPv4 or IPv6 address
 * @port: the port, 0 to 65535
 *
 * Sets the port of @addr.
 *
 * Since: 1.0
 */
void
nav_address_set_port (NavAddress *addr,
                      guint       port)
{
  g_return_if_fail (addr != NULL);
  g_return_if_fail (port <= G_MAXUINT16);

  switch (addr->s.addr.sa_family)
    {
    case AF_INET:
      addr->s.ip4.sin_port = htons (port);
      break;
    case AF_INET6:
      addr->s.ip6.sin6_port = htons (port);
      break;
    default:
      g_return_if_reached ();
    }
}

/**
 * nav_address_get_port:
 * @addr: an address
 *
 * Returns: the port of @addr, 0 when @addr has no family
 *
 * Since: 1.0
 */
guint
nav_address_get_port (const NavAddress *addr)
{
  g_return_val_if_fail (addr != NULL, 0);

  switch (addr->s.addr.sa_family)
    {
    case AF_INET:
      return ntohs (addr->s.ip4.sin_port);
    case AF_INET6:
      return ntohs (addr->s.ip6.sin6_port);
    default:
      return 0;
    }
}

/**
 * nav_address_get_ipv4:
 * @addr: an IPv4 address
 *
 * Returns: the IPv4 address in host byte order, 0 when @addr is not IPv4
 *
 * Since: 1.0
 */
guint32
nav_address_get_ipv4 (const NavAddress *addr)
{
  g_return_val_if_fail (addr != NULL, 0);

  if (addr->s.addr.sa_family != AF_INET)
    return 0;
  return ntohl (addr->s.ip4.sin_addr.s_addr);
}

/**
 * nav_address_get_ipv6:
 * @addr: an IPv6 address
 *
 * Returns: (array fixed-size=16) (nullable) (transfer none): the 16 bytes
 *   of the IPv6 address, %NULL when @addr is not IPv6
 *
 * Since: 1.0
 */
const guint8 *
nav_address_get_ipv6 (const NavAddress *addr)
{
  g_return_val_if_fail (addr != NULL, NULL);

  if (addr->s.addr.sa_family != AF_INET6)
    return NULL;
  return addr->s.ip6.sin6_addr.s6_addr;
}

/**
 * nav_address_get_family:
 * @addr: an address
 *
 * Returns: %G_SOCKET_FAMILY_IPV4, %G_SOCKET_FAMILY_IPV6, or
 *   %G_SOCKET_FAMILY_INVALID when @addr has not been set
 *
 * Since: 1.0
 */
GSocketFamily
nav_address_get_family (const NavAddress *addr)
{
  g_return_val_if_fail (addr != NULL, G_SOCKET_FAMILY_INVALID);

  switch (addr->s.addr.sa_family)
    {
    case AF_INET:
      return G_SOCKET_FAMILY_IPV4;
    case AF_INET6:
      return G_SOCKET_FAMILY_IPV6;
    default:
      return G_SOCKET_FAMILY_INVALID;
    }
}

/**
 * nav_address_ip_version:
 * @addr: an address
 *
 * Returns: 4 or 6, or 0 when @addr has not been set
 *
 * Since: 1.0
 */
guint
nav_address_ip_version (const NavAddress *addr)
{
  g_return_val_if_fail (addr != NULL, 0);

  switch (addr->s.addr.sa_family)
    {
    case AF_INET:
      return 4;
    case AF_INET6:
      return 6;
    default:
      return 0;
    }
}

static gboolean
parse_port (const gchar *str,
            guint       *port)
{
  guint64 value;
  const gchar *p;

  if (*str == '\0' || strlen (str) > 5)
    return FALSE;
  for (p = str; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  value = g_ascii_strtoull (str, NULL, 10);
  if (value > G_MAXUINT16)
    return FALSE;
  *port = (guint) value;
  return TRUE;
}

static gboolean
set_error_invalid (GError      **error,
                   const gchar  *str)
{
  g_autofree gchar *escaped = g_strescape (str, NULL);

  g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ADDRESS,
               _("“%s” is not a valid transport address"), escaped);
  return FALSE;
}

/**
 * nav_address_set_ip_from_string:
 * @addr: an address
 * @ip: an IPv4 address (`192.0.2.1`) or IPv6 address (`2001:db8::1`,
 *   without brackets)
 * @error: return location for a #GError
 *
 * Sets the IP address of @addr from its text form, keeping the port when
 * the family does not change.  Host names are not resolved.
 *
 * Returns: %TRUE on success; %FALSE with @error set to
 *   %NAV_ERROR_INVALID_ADDRESS, and @addr unchanged, otherwise
 *
 * Since: 1.0
 */
gboolean
nav_address_set_ip_from_string (NavAddress   *addr,
                                const gchar  *ip,
                                GError      **error)
{
  struct in_addr a4;
  struct in6_addr a6;

  g_return_val_if_fail (addr != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (ip == NULL)
    return set_error_invalid (error, "(null)");

  if (inet_pton (AF_INET, ip, &a4) == 1)
    {
      nav_address_set_ipv4 (addr, ntohl (a4.s_addr));
      return TRUE;
    }
  if (inet_pton (AF_INET6, ip, &a6) == 1)
    {
      nav_address_set_ipv6 (addr, a6.s6_addr);
      return TRUE;
    }
  return set_error_invalid (error, ip);
}

/**
 * nav_address_set_from_string:
 * @addr: an address
 * @str: a transport address: `1.2.3.4:5`, `[::1]:5`, or an IP address
 *   alone (`1.2.3.4`, `::1`, `[::1]`; port 0)
 * @error: return location for a #GError
 *
 * Sets @addr from its text form, the inverse of
 * [method@Nav.Address.to_string].  An IPv6 address with a port must be in
 * brackets (RFC 3986 §3.2.2).  Host names are not resolved: use
 * #GResolver for those.
 *
 * Returns: %TRUE on success; %FALSE with @error set to
 *   %NAV_ERROR_INVALID_ADDRESS, and @addr unchanged, otherwise
 *
 * Since: 1.0
 */
gboolean
nav_address_set_from_string (NavAddress   *addr,
                             const gchar  *str,
                             GError      **error)
{
  NavAddress tmp;
  guint port = 0;
  g_autofree gchar *host = NULL;

  g_return_val_if_fail (addr != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (str == NULL)
    return set_error_invalid (error, "(null)");
  if (*str == '\0' || strlen (str) > NAV_ADDRESS_STRING_LEN + 16)
    return set_error_invalid (error, str);

  nav_address_init (&tmp);

  if (str[0] == '[')
    {
      const gchar *close = strchr (str, ']');

      if (close == NULL)
        return set_error_invalid (error, str);
      host = g_strndup (str + 1, close - str - 1);
      if (close[1] == ':')
        {
          if (!parse_port (close + 2, &port))
            return set_error_invalid (error, str);
        }
      else if (close[1] != '\0')
        return set_error_invalid (error, str);

      /* Brackets are for IPv6 only */
      if (strchr (host, ':') == NULL ||
          !nav_address_set_ip_from_string (&tmp, host, NULL))
        return set_error_invalid (error, str);
    }
  else
    {
      const gchar *colon = strchr (str, ':');

      if (colon != NULL && strchr (colon + 1, ':') == NULL)
        {
          /* one colon: IPv4 and port */
          host = g_strndup (str, colon - str);
          if (!parse_port (colon + 1, &port))
            return set_error_invalid (error, str);
          if (strchr (host, '.') == NULL ||
              !nav_address_set_ip_from_string (&tmp, host, NULL) ||
              nav_address_get_family (&tmp) != G_SOCKET_FAMILY_IPV4)
            return set_error_invalid (error, str);
        }
      else if (!nav_address_set_ip_from_string (&tmp, str, NULL))
        return set_error_invalid (error, str);
    }

  nav_address_set_port (&tmp, port);
  *addr = tmp;
  return TRUE;
}

/**
 * nav_address_set_from_socket_address:
 * @addr: an address
 * @sockaddr: a #GInetSocketAddress
 * @error: return location for a #GError
 *
 * Sets @addr from a #GSocketAddress.
 *
 * Returns: %TRUE on success; %FALSE with @error set to
 *   %NAV_ERROR_INVALID_ADDRESS when @sockaddr is not IPv4 or IPv6
 *
 * Since: 1.0
 */
gboolean
nav_address_set_from_socket_address (NavAddress      *addr,
                                     GSocketAddress  *sockaddr,
                                     GError         **error)
{
  union {
    struct sockaddr_storage storage;
    struct sockaddr sa;
  } native;
  gssize len;

  g_return_val_if_fail (addr != NULL, FALSE);
  g_return_val_if_fail (G_IS_SOCKET_ADDRESS (sockaddr), FALSE);

  len = g_socket_address_get_native_size (sockaddr);
  if (len <= 0 || (gsize) len > sizeof (native) ||
      !g_socket_address_to_native (sockaddr, &native, sizeof (native), NULL) ||
      !nav_address_set_from_sockaddr (addr, &native.sa, len))
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ADDRESS,
                   _("The socket address is not an IPv4 or IPv6 address"));
      return FALSE;
    }
  return TRUE;
}

/**
 * nav_address_to_socket_address:
 * @addr: a valid address
 *
 * Converts @addr to a #GInetSocketAddress.
 *
 * Returns: (transfer full) (nullable): a new #GSocketAddress, %NULL when
 *   @addr is not valid
 *
 * Since: 1.0
 */
GSocketAddress *
nav_address_to_socket_address (const NavAddress *addr)
{
  g_return_val_if_fail (addr != NULL, NULL);

  switch (addr->s.addr.sa_family)
    {
    case AF_INET:
      return g_socket_address_new_from_native ((gpointer) &addr->s.ip4,
                                               sizeof (addr->s.ip4));
    case AF_INET6:
      return g_socket_address_new_from_native ((gpointer) &addr->s.ip6,
                                               sizeof (addr->s.ip6));
    default:
      return NULL;
    }
}

/**
 * nav_address_set_from_sockaddr: (skip)
 * @addr: an address
 * @sa: a `struct sockaddr_in` or `struct sockaddr_in6`
 * @sa_len: the size of @sa
 *
 * Sets @addr from a native socket address.
 *
 * Returns: %TRUE when @sa is a complete IPv4 or IPv6 address
 *
 * Since: 1.0
 */
gboolean
nav_address_set_from_sockaddr (NavAddress            *addr,
                               const struct sockaddr *sa,
                               gsize                  sa_len)
{
  g_return_val_if_fail (addr != NULL, FALSE);

  if (sa == NULL)
    return FALSE;

  switch (sa->sa_family)
    {
    case AF_INET:
      if (sa_len < sizeof (struct sockaddr_in))
        return FALSE;
      memset (addr, 0, sizeof (*addr));
      memcpy (&addr->s.ip4, sa, sizeof (struct sockaddr_in));
      return TRUE;
    case AF_INET6:
      if (sa_len < sizeof (struct sockaddr_in6))
        return FALSE;
      memset (addr, 0, sizeof (*addr));
      memcpy (&addr->s.ip6, sa, sizeof (struct sockaddr_in6));
      return TRUE;
    default:
      return FALSE;
    }
}

/**
 * nav_address_copy_to_sockaddr: (skip)
 * @addr: a valid address
 * @sa: (out caller-allocates): where to write the native address
 * @sa_len: the size of the storage at @sa
 *
 * Writes @addr as a native socket address, for `sendto()` and friends.
 *
 * Returns: the size written, 0 when @addr is not valid or @sa_len too small
 *
 * Since: 1.0
 */
gsize
nav_address_copy_to_sockaddr (const NavAddress *addr,
                              struct sockaddr  *sa,
                              gsize             sa_len)
{
  g_return_val_if_fail (addr != NULL, 0);
  g_return_val_if_fail (sa != NULL, 0);

  switch (addr->s.addr.sa_family)
    {
    case AF_INET:
      if (sa_len < sizeof (struct sockaddr_in))
        return 0;
      memcpy (sa, &addr->s.ip4, sizeof (struct sockaddr_in));
      return sizeof (struct sockaddr_in);
    case AF_INET6:
      if (sa_len < sizeof (struct sockaddr_in6))
        return 0;
      memcpy (sa, &addr->s.ip6, sizeof (struct sockaddr_in6));
      return sizeof (struct sockaddr_in6);
    default:
      return 0;
    }
}

/**
 * nav_address_to_string_buf: (skip)
 * @addr: an address
 * @buf: (out caller-allocates): a buffer of at least
 *   %NAV_ADDRESS_STRING_LEN bytes
 *
 * Prints @addr into @buf without allocating: `1.2.3.4:5`, `[::1]:5`, or
 * `(invalid)` when @addr has no family.
 *
 * Returns: @buf
 *
 * Since: 1.0
 */
gchar *
nav_address_to_string_buf (const NavAddress *addr,
                           gchar            *buf)
{
  gchar ip[INET6_ADDRSTRLEN];

  g_return_val_if_fail (addr != NULL, NULL);
  g_return_val_if_fail (buf != NULL, NULL);

  switch (addr->s.addr.sa_family)
    {
    case AF_INET:
      inet_ntop (AF_INET, &addr->s.ip4.sin_addr, ip, sizeof (ip));
      g_snprintf (buf, NAV_ADDRESS_STRING_LEN, "%s:%u", ip,
                  ntohs (addr->s.ip4.sin_port));
      break;
    case AF_INET6:
      inet_ntop (AF_INET6, &addr->s.ip6.sin6_addr, ip, sizeof (ip));
      g_snprintf (buf, NAV_ADDRESS_STRING_LEN, "[%s]:%u", ip,
                  ntohs (addr->s.ip6.sin6_port));
      break;
    default:
      g_strlcpy (buf, "(invalid)", NAV_ADDRESS_STRING_LEN);
      break;
    }
  return buf;
}

/**
 * nav_address_to_string:
 * @addr: an address
 *
 * Prints @addr: `1.2.3.4:5` or `[::1]:5`, as read back by
 * [method@Nav.Address.set_from_string].
 *
 * Returns: (transfer full): the text form of @addr
 *
 * Since: 1.0
 */
gchar *
nav_address_to_string (const NavAddress *addr)
{
  gchar buf[NAV_ADDRESS_STRING_LEN];

  g_return_val_if_fail (addr != NULL, NULL);

  return g_strdup (nav_address_to_string_buf (addr, buf));
}

/**
 * nav_address_ip_to_string:
 * @addr: an address
 *
 * Prints the IP address of @addr alone, without port or brackets, as
 * SDP writes it.
 *
 * Returns: (transfer full) (nullable): the IP address, %NULL when @addr has
 *   no family
 *
 * Since: 1.0
 */
gchar *
nav_address_ip_to_string (const NavAddress *addr)
{
  gchar ip[INET6_ADDRSTRLEN];

  g_return_val_if_fail (addr != NULL, NULL);

  switch (addr->s.addr.sa_family)
    {
    case AF_INET:
      return g_strdup (inet_ntop (AF_INET, &addr->s.ip4.sin_addr, ip, sizeof (ip)));
    case AF_INET6:
      return g_strdup (inet_ntop (AF_INET6, &addr->s.ip6.sin6_addr, ip, sizeof (ip)));
    default:
      return NULL;
    }
}

/**
 * nav_address_equal_no_port:
 * @a: an address
 * @b: another address
 *
 * Returns: %TRUE when @a and @b have the same family and IP address
 *   (ports are not compared)
 *
 * Since: 1.0
 */
gboolean
nav_address_equal_no_port (const NavAddress *a,
                           const NavAddress *b)
{
  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  if (a->s.addr.sa_family != b->s.addr.sa_family)
    return FALSE;

  switch (a->s.addr.sa_family)
    {
    case AF_INET:
      return a->s.ip4.sin_addr.s_addr == b->s.ip4.sin_addr.s_addr;
    case AF_INET6:
      return memcmp (&a->s.ip6.sin6_addr, &b->s.ip6.sin6_addr,
                     sizeof (struct in6_addr)) == 0 &&
             a->s.ip6.sin6_scope_id == b->s.ip6.sin6_scope_id;
    default:
      return TRUE;
    }
}

/**
 * nav_address_equal:
 * @a: an address
 * @b: another address
 *
 * Returns: %TRUE when @a and @b have the same family, IP address and port
 *
 * Since: 1.0
 */
gboolean
nav_address_equal (const NavAddress *a,
                   const NavAddress *b)
{
  return nav_address_equal_no_port (a, b) &&
         nav_address_get_port (a) == nav_address_get_port (b);
}

/**
 * nav_address_hash:
 * @addr: an address
 *
 * A hash of @addr consistent with [method@Nav.Address.equal], for
 * #GHashTable.
 *
 * Returns: the hash
 *
 * Since: 1.0
 */
guint
nav_address_hash (const NavAddress *addr)
{
  guint h;

  g_return_val_if_fail (addr != NULL, 0);

  switch (addr->s.addr.sa_family)
    {
    case AF_INET:
      h = addr->s.ip4.sin_addr.s_addr;
      return (h * 2654435761u) ^ addr->s.ip4.sin_port;
    case AF_INET6:
      {
        const guint8 *b = addr->s.ip6.sin6_addr.s6_addr;
        gsize i;

        h = 2166136261u;
        for (i = 0; i < 16; i++)
          h = (h ^ b[i]) * 16777619u;
        return h ^ addr->s.ip6.sin6_port;
      }
    default:
      return 0;
    }
}

/**
 * nav_address_is_valid:
 * @addr: an address
 *
 * Returns: %TRUE when @addr is an IPv4 or IPv6 address
 *
 * Since: 1.0
 */
gboolean
nav_address_is_valid (const NavAddress *addr)
{
  g_return_val_if_fail (addr != NULL, FALSE);

  return addr->s.addr.sa_family == AF_INET ||
         addr->s.addr.sa_family == AF_INET6;
}

/**
 * nav_address_is_loopback:
 * @addr: an address
 *
 * Returns: %TRUE for 127.0.0.0/8, ::1 and IPv4-mapped loopback
 *
 * Since: 1.0
 */
gboolean
nav_address_is_loopback (const NavAddress *addr)
{
  g_return_val_if_fail (addr != NULL, FALSE);

  switch (addr->s.addr.sa_family)
    {
    case AF_INET:
      return (ntohl (addr->s.ip4.sin_addr.s_addr) >> 24) == 127;
    case AF_INET6:
      {
        const struct in6_addr *a = &addr->s.ip6.sin6_addr;

        return IN6_IS_ADDR_LOOPBACK (a) ||
               (IN6_IS_ADDR_V4MAPPED (a) && a->s6_addr[12] == 127);
      }
    default:
      return FALSE;
    }
}

/**
 * nav_address_is_private:
 * @addr: an address
 *
 * Whether @addr is not globally routable: the private ranges of RFC 1918
 * (10/8, 172.16/12, 192.168/16), shared address space 100.64/10 (RFC 6598),
 * link-local, loopback, IPv6 unique local fc00::/7 (RFC 4193), link-local
 * and loopback.  The TURN server uses it for its denied peer ranges.
 *
 * Returns: %TRUE when @addr is in one of those ranges
 *
 * Since: 1.0
 */
gboolean
nav_address_is_private (const NavAddress *addr)
{
  g_return_val_if_fail (addr != NULL, FALSE);

  if (nav_address_is_loopback (addr) || nav_address_is_link_local (addr))
    return TRUE;

  switch (addr->s.addr.sa_family)
    {
    case AF_INET:
      {
        guint32 ip = ntohl (addr->s.ip4.sin_addr.s_addr);

        return (ip >> 24) == 10 ||
               (ip >> 20) == ((172u << 4) | 1) ||
               (ip >> 16) == ((192u << 8) | 168) ||
               (ip >> 22) == ((100u << 2) | 1);
      }
    case AF_INET6:
      return (addr->s.ip6.sin6_addr.s6_addr[0] & 0xfe) == 0xfc;
    default:
      return FALSE;
    }
}

/**
 * nav_address_is_link_local:
 * @addr: an address
 *
 * Returns: %TRUE for 169.254.0.0/16 and fe80::/10
 *
 * Since: 1.0
 */
gboolean
nav_address_is_link_local (const NavAddress *addr)
{
  g_return_val_if_fail (addr != NULL, FALSE);

  switch (addr->s.addr.sa_family)
    {
    case AF_INET:
      return (ntohl (addr->s.ip4.sin_addr.s_addr) >> 16) == ((169u << 8) | 254);
    case AF_INET6:
      return IN6_IS_ADDR_LINKLOCAL (&addr->s.ip6.sin6_addr);
    default:
      return FALSE;
    }
}

/**
 * nav_address_is_any:
 * @addr: an address
 *
 * Returns: %TRUE for the wildcard addresses 0.0.0.0 and ::
 *
 * Since: 1.0
 */
gboolean
nav_address_is_any (const NavAddress *addr)
{
  g_return_val_if_fail (addr != NULL, FALSE);

  switch (addr->s.addr.sa_family)
    {
    case AF_INET:
      return addr->s.ip4.sin_addr.s_addr == htonl (INADDR_ANY);
    case AF_INET6:
      return IN6_IS_ADDR_UNSPECIFIED (&addr->s.ip6.sin6_addr);
    default:
      return FALSE;
    }
}
