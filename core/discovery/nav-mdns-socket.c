/* nav-mdns-socket.c: multicast DNS sockets on every interface
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nav-mdns-socket.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

struct _NavMdnsSocket
{
  GMainContext *ctx;
  gboolean mdns_port;
  int fd4, fd6;
  GSource *source4, *source6;
  GPtrArray *interfaces;   /* NavMdnsInterface */
  gchar **filter;          /* interface names, or NULL for all */
  NavMdnsReceiveFunc receive;
  NavMdnsInterfaceFunc interface_changed;
  gpointer user_data;
  guint8 buffer[9000 + 1];
};

static void
interface_free (gpointer data)
{
  NavMdnsInterface *iface = data;

  g_free (iface->name);
  g_array_unref (iface->v4);
  g_array_unref (iface->v4_masks);
  g_array_unref (iface->v6);
  g_free (iface);
}

static int
open_socket (int       family,
             gboolean  mdns_port)
{
  int fd, one = 1, ttl = 255;

  fd = socket (family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  /* RFC 6762 §15.1: several responders share the port. */
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
#ifdef SO_REUSEPORT
  setsockopt (fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
#endif
  if (family == AF_INET)
    {
      struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons (mdns_port ? NAV_MDNS_PORT : 0) };
      unsigned char ttl8 = 255, loop = 1;

      setsockopt (fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
      /* RFC 6762 §11: IP TTL 255. */
      setsockopt (fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl8, sizeof ttl8);
      setsockopt (fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
      /* Other responders on this host (Avahi, a browser) must hear us. */
      setsockopt (fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop);
      if (bind (fd, (struct sockaddr *) &sin, sizeof sin) < 0)
        goto fail;
    }
  else
    {
      struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons (mdns_port ? NAV_MDNS_PORT : 0) };

      setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
      setsockopt (fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
      setsockopt (fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof ttl);
      setsockopt (fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl);
      setsockopt (fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &one, sizeof one);
      if (bind (fd, (struct sockaddr *) &sin6, sizeof sin6) < 0)
        goto fail;
    }
  return fd;

fail:
  {
    int errsv = errno;

    close (fd);
    errno = errsv;
    return -1;
  }
}

static gboolean
prefix_match (const guint8 *a,
              const guint8 *b,
              guint         bits)
{
  guint bytes = bits / 8, rest = bits % 8;

  if (memcmp (a, b, bytes) != 0)
    return FALSE;
  if (rest == 0)
    return TRUE;
  return ((a[bytes] ^ b[bytes]) & (0xff << (8 - rest))) == 0;
}

static gboolean
source_on_link (NavMdnsSocket         *sock,
                guint                  ifindex,
                const struct sockaddr *from)
{
  const NavMdnsInterface *iface = nav_mdns_socket_lookup_interface (sock, ifindex);
  guint i;

  if (from->sa_family == AF_INET6)
    {
      const struct in6_addr *a = &((const struct sockaddr_in6 *) from)->sin6_addr;

      /* Link-local sources are on the link by definition; others must
       * be in one of the interface's /64s. */
      if (IN6_IS_ADDR_LINKLOCAL (a))
        return TRUE;
      for (i = 0; iface != NULL && i < iface->v6->len; i++)
        if (prefix_match (a->s6_addr, g_array_index (iface->v6, struct in6_addr, i).s6_addr, 64))
          return TRUE;
      return FALSE;
    }
  if (from->sa_family == AF_INET)
    {
      guint32 a = ((const struct sockaddr_in *) from)->sin_addr.s_addr;

      for (i = 0; iface != NULL && i < iface->v4->len; i++)
        {
          guint32 net = g_array_index (iface->v4, struct in_addr, i).s_addr;
          guint32 mask = g_array_index (iface->v4_masks, struct in_addr, i).s_addr;

          if ((a & mask) == (net & mask))
            return TRUE;
        }
      /* RFC 3927 link-local. */
      return (ntohl (a) & 0xffff0000) == 0xa9fe0000;
    }
  return FALSE;
}

static gboolean
on_readable (gint         fd,
             GIOCondition condition,
             gpointer     user_data)
{
  NavMdnsSocket *sock = user_data;
  guint n;

  /* A bounded number per wakeup: a flood cannot starve the context. */
  for (n = 0; n < 64; n++)
    {
      NavMdnsDatagram d = { 0, };
      struct iovec iov = { sock->buffer, sizeof sock->buffer };
      union {
        struct cmsghdr align;
        guint8 buf[CMSG_SPACE (sizeof (struct in6_pktinfo)) + CMSG_SPACE (sizeof (struct in_pktinfo))];
      } control;
      struct msghdr msg = { 0, };
      struct cmsghdr *cmsg;
      gssize len;
      guint16 port;

      msg.msg_name = &d.from;
      msg.msg_namelen = sizeof d.from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control.buf;
      msg.msg_controllen = sizeof control.buf;
      len = recvmsg (fd, &msg, 0);
      if (len < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      /* Over 9000 bytes (RFC 6762 §17): not a valid message. */
      if ((gsize) len > sizeof sock->buffer - 1 || (msg.msg_flags & MSG_TRUNC))
        continue;
      for (cmsg = CMSG_FIRSTHDR (&msg); cmsg != NULL; cmsg = CMSG_NXTHDR (&msg, cmsg))
        {
          if (cmsg->cmsg_level == IPPROTO_IP && cmsg->cmsg_type == IP_PKTINFO)
            {
              struct in_pktinfo info;

              memcpy (&info, CMSG_DATA (cmsg), sizeof info);
              d.ifindex = info.ipi_ifindex;
            }
          else if (cmsg->cmsg_level == IPPROTO_IPV6 && cmsg->cmsg_type == IPV6_PKTINFO)
            {
              struct in6_pktinfo info;

              memcpy (&info, CMSG_DATA (cmsg), sizeof info);
              d.ifindex = info.ipi6_ifindex;
            }
        }
      d.data = sock->buffer;
      d.len = len;
      d.from_len = msg.msg_namelen;
      port = d.from.ss_family == AF_INET ? ntohs (((struct sockaddr_in *) &d.from)->sin_port)
                                         : ntohs (((struct sockaddr_in6 *) &d.from)->sin6_port);
      d.from_mdns_port = port == NAV_MDNS_PORT;
      d.on_link = source_on_link (sock, d.ifindex, (struct sockaddr *) &d.from);
      sock->receive (sock, &d, sock->user_data);
    }
  return G_SOURCE_CONTINUE;
}

static GSource *
watch (NavMdnsSocket *sock,
       int            fd)
{
  GSource *source = g_unix_fd_source_new (fd, G_IO_IN);

  g_source_set_callback (source, (GSourceFunc) (void (*) (void)) on_readable, sock, NULL);
  g_source_set_static_name (source, "nav-mdns-socket");
  g_source_attach (source, sock->ctx);
  return source;
}

NavMdnsSocket *
nav_mdns_socket_new (GMainContext         *ctx,
                     gboolean              mdns_port,
                     NavMdnsReceiveFunc    receive,
                     NavMdnsInterfaceFunc  interface_changed,
                     gpointer              user_data,
                     GError              **error)
{
  NavMdnsSocket *sock = g_new0 (NavMdnsSocket, 1);
  const gchar *env = g_getenv ("NAV_MDNS_INTERFACES");
  int errsv4, errsv6;

  sock->ctx = ctx != NULL ? g_main_context_ref (ctx) : g_main_context_ref_thread_default ();
  sock->mdns_port = mdns_port;
  sock->receive = receive;
  sock->interface_changed = interface_changed;
  sock->user_data = user_data;
  sock->interfaces = g_ptr_array_new_with_free_func (interface_free);
  if (env != NULL && *env != '\0')
    sock->filter = g_strsplit (env, ",", -1);
  sock->fd4 = open_socket (AF_INET, mdns_port);
  errsv4 = errno;
  sock->fd6 = open_socket (AF_INET6, mdns_port);
  errsv6 = errno;
  if (sock->fd4 < 0 && sock->fd6 < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv4),
                   "Cannot open the multicast DNS sockets on port %u: %s (IPv4), %s (IPv6)",
                   mdns_port ? NAV_MDNS_PORT : 0, g_strerror (errsv4), g_strerror (errsv6));
      nav_mdns_socket_free (sock);
      return NULL;
    }
  if (sock->fd4 >= 0)
    sock->source4 = watch (sock, sock->fd4);
  if (sock->fd6 >= 0)
    sock->source6 = watch (sock, sock->fd6);
  nav_mdns_socket_refresh (sock);
  return sock;
}

void
nav_mdns_socket_free (NavMdnsSocket *sock)
{
  if (sock == NULL)
    return;
  if (sock->source4 != NULL)
    {
      g_source_destroy (sock->source4);
      g_source_unref (sock->source4);
    }
  if (sock->source6 != NULL)
    {
      g_source_destroy (sock->source6);
      g_source_unref (sock->source6);
    }
  if (sock->fd4 >= 0)
    close (sock->fd4);
  if (sock->fd6 >= 0)
    close (sock->fd6);
  g_ptr_array_unref (sock->interfaces);
  g_strfreev (sock->filter);
  g_main_context_unref (sock->ctx);
  g_free (sock);
}

static NavMdnsInterface *
find_interface (GPtrArray *list,
                guint      ifindex)
{
  guint i;

  for (i = 0; i < list->len; i++)
    {
      NavMdnsInterface *iface = g_ptr_array_index (list, i);

      if (iface->ifindex == ifindex)
        return iface;
    }
  return NULL;
}

static gboolean
same_addresses (const NavMdnsInterface *a,
                const NavMdnsInterface *b)
{
  return a->v4->len == b->v4->len && a->v6->len == b->v6->len &&
         memcmp (a->v4->data, b->v4->data, a->v4->len * sizeof (struct in_addr)) == 0 &&
         memcmp (a->v6->data, b->v6->data, a->v6->len * sizeof (struct in6_addr)) == 0;
}

static void
join (NavMdnsSocket *sock,
      guint          ifindex,
      gboolean       on)
{
  if (!sock->mdns_port)
    return;
  if (sock->fd4 >= 0)
    {
      struct ip_mreqn mreq = { 0, };

      inet_pton (AF_INET, NAV_MDNS_GROUP_V4, &mreq.imr_multiaddr);
      mreq.imr_ifindex = ifindex;
      setsockopt (sock->fd4, IPPROTO_IP, on ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &mreq, sizeof mreq);
    }
  if (sock->fd6 >= 0)
    {
      struct ipv6_mreq mreq6 = { 0, };

      inet_pton (AF_INET6, NAV_MDNS_GROUP_V6, &mreq6.ipv6mr_multiaddr);
      mreq6.ipv6mr_interface = ifindex;
      setsockopt (sock->fd6, IPPROTO_IPV6, on ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &mreq6, sizeof mreq6);
    }
}

void
nav_mdns_socket_refresh (NavMdnsSocket *sock)
{
  struct ifaddrs *list = NULL, *ifa;
  g_autoptr (GPtrArray) now = g_ptr_array_new_with_free_func (interface_free);
  guint i;

  if (getifaddrs (&list) < 0)
    return;
  for (ifa = list; ifa != NULL; ifa = ifa->ifa_next)
    {
      NavMdnsInterface *iface;
      guint ifindex;

      if (ifa->ifa_addr == NULL || !(ifa->ifa_flags & IFF_UP) || !(ifa->ifa_flags & IFF_MULTICAST) ||
          (ifa->ifa_flags & IFF_LOOPBACK))
        continue;
      if (ifa->ifa_addr->sa_family != AF_INET && ifa->ifa_addr->sa_family != AF_INET6)
        continue;
      if (sock->filter != NULL && !g_strv_contains ((const gchar * const *) sock->filter, ifa->ifa_name))
        continue;
      ifindex = if_nametoindex (ifa->ifa_name);
      if (ifindex == 0)
        continue;
      iface = find_interface (now, ifindex);
      if (iface == NULL)
        {
          iface = g_new0 (NavMdnsInterface, 1);
          iface->ifindex = ifindex;
          iface->name = g_strdup (ifa->ifa_name);
          iface->v4 = g_array_new (FALSE, FALSE, sizeof (struct in_addr));
          iface->v4_masks = g_array_new (FALSE, FALSE, sizeof (struct in_addr));
          iface->v6 = g_array_new (FALSE, FALSE, sizeof (struct in6_addr));
          g_ptr_array_add (now, iface);
        }
      if (ifa->ifa_addr->sa_family == AF_INET)
        {
          struct in_addr mask = { 0 };

          g_array_append_val (iface->v4, ((struct sockaddr_in *) ifa->ifa_addr)->sin_addr);
          if (ifa->ifa_netmask != NULL)
            mask = ((struct sockaddr_in *) ifa->ifa_netmask)->sin_addr;
          g_array_append_val (iface->v4_masks, mask);
        }
      else
        g_array_append_val (iface->v6, ((struct sockaddr_in6 *) ifa->ifa_addr)->sin6_addr);
    }
  freeifaddrs (list);

  /* Gone, or changed: forgotten first (a changed interface is announced
   * again with its new addresses). */
  for (i = sock->interfaces->len; i-- > 0;)
    {
      NavMdnsInterface *old = g_ptr_array_index (sock->interfaces, i);
      NavMdnsInterface *cur = find_interface (now, old->ifindex);

      if (cur == NULL || !same_addresses (old, cur))
        {
          NavMdnsInterface *gone = g_ptr_array_steal_index (sock->interfaces, i);

          if (cur == NULL)
            join (sock, gone->ifindex, FALSE);
          if (sock->interface_changed != NULL)
            sock->interface_changed (sock, gone, FALSE, sock->user_data);
          interface_free (gone);
        }
    }
  for (i = 0; i < now->len; i++)
    {
      NavMdnsInterface *cur = g_ptr_array_index (now, i);

      if (find_interface (sock->interfaces, cur->ifindex) != NULL)
        continue;
      join (sock, cur->ifindex, TRUE);
      g_ptr_array_add (sock->interfaces, g_ptr_array_steal_index (now, i));
      i--;
      if (sock->interface_changed != NULL)
        sock->interface_changed (sock, g_ptr_array_index (sock->interfaces, sock->interfaces->len - 1), TRUE,
                                 sock->user_data);
    }
}

GPtrArray *
nav_mdns_socket_get_interfaces (NavMdnsSocket *sock)
{
  return sock->interfaces;
}

const NavMdnsInterface *
nav_mdns_socket_lookup_interface (NavMdnsSocket *sock,
                                  guint          ifindex)
{
  return find_interface (sock->interfaces, ifindex);
}

static gboolean
send_one (int                    fd,
          const struct sockaddr *to,
          socklen_t              to_len,
          guint                  ifindex,
          const guint8          *data,
          gsize                  len)
{
  struct iovec iov = { (void *) data, len };
  union {
    struct cmsghdr align;
    guint8 buf[CMSG_SPACE (sizeof (struct in6_pktinfo))];
  } control;
  struct msghdr msg = { 0, };
  struct cmsghdr *cmsg;

  memset (&control, 0, sizeof control);
  msg.msg_name = (void *) to;
  msg.msg_namelen = to_len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (ifindex != 0)
    {
      /* The interface to send on (multicast: the one whose link the
       * message is for). */
      msg.msg_control = control.buf;
      cmsg = (struct cmsghdr *) control.buf;
      if (to->sa_family == AF_INET)
        {
          struct in_pktinfo info = { 0, };

          info.ipi_ifindex = ifindex;
          msg.msg_controllen = CMSG_SPACE (sizeof info);
          cmsg->cmsg_level = IPPROTO_IP;
          cmsg->cmsg_type = IP_PKTINFO;
          cmsg->cmsg_len = CMSG_LEN (sizeof info);
          memcpy (CMSG_DATA (cmsg), &info, sizeof info);
        }
      else
        {
          struct in6_pktinfo info = { 0, };

          info.ipi6_ifindex = ifindex;
          msg.msg_controllen = CMSG_SPACE (sizeof info);
          cmsg->cmsg_level = IPPROTO_IPV6;
          cmsg->cmsg_type = IPV6_PKTINFO;
          cmsg->cmsg_len = CMSG_LEN (sizeof info);
          memcpy (CMSG_DATA (cmsg), &info, sizeof info);
        }
    }
  while (sendmsg (fd, &msg, MSG_NOSIGNAL) < 0)
    {
      if (errno != EINTR)
        return FALSE;
    }
  return TRUE;
}

guint
nav_mdns_socket_multicast (NavMdnsSocket *sock,
                           guint          ifindex,
                           int            family,
                           const guint8  *data,
                           gsize          len)
{
  struct sockaddr_in to4 = { .sin_family = AF_INET, .sin_port = htons (NAV_MDNS_PORT) };
  struct sockaddr_in6 to6 = { .sin6_family = AF_INET6, .sin6_port = htons (NAV_MDNS_PORT) };
  guint i, sent = 0;

  inet_pton (AF_INET, NAV_MDNS_GROUP_V4, &to4.sin_addr);
  inet_pton (AF_INET6, NAV_MDNS_GROUP_V6, &to6.sin6_addr);
  for (i = 0; i < sock->interfaces->len; i++)
    {
      const NavMdnsInterface *iface = g_ptr_array_index (sock->interfaces, i);

      if (ifindex != 0 && iface->ifindex != ifindex)
        continue;
      if (family != AF_INET6 && sock->fd4 >= 0 && iface->v4->len > 0 &&
          send_one (sock->fd4, (struct sockaddr *) &to4, sizeof to4, iface->ifindex, data, len))
        sent++;
      if (family != AF_INET && sock->fd6 >= 0 && iface->v6->len > 0)
        {
          to6.sin6_scope_id = iface->ifindex;
          if (send_one (sock->fd6, (struct sockaddr *) &to6, sizeof to6, iface->ifindex, data, len))
            sent++;
        }
    }
  return sent;
}

gboolean
nav_mdns_socket_send_to (NavMdnsSocket         *sock,
                         const struct sockaddr *to,
                         socklen_t              to_len,
                         guint                  ifindex,
                         const guint8          *data,
                         gsize                  len)
{
  int fd = to->sa_family == AF_INET ? sock->fd4 : sock->fd6;

  if (fd < 0)
    return FALSE;
  return send_one (fd, to, to_len, ifindex, data, len);
}

gboolean
nav_mdns_socket_is_mdns_port (NavMdnsSocket *sock)
{
  return sock->mdns_port;
}

gboolean
nav_mdns_socket_is_own_address (NavMdnsSocket         *sock,
                                const struct sockaddr *addr)
{
  guint i, j;

  for (i = 0; i < sock->interfaces->len; i++)
    {
      const NavMdnsInterface *iface = g_ptr_array_index (sock->interfaces, i);

      if (addr->sa_family == AF_INET)
        {
          for (j = 0; j < iface->v4->len; j++)
            if (g_array_index (iface->v4, struct in_addr, j).s_addr ==
                ((const struct sockaddr_in *) addr)->sin_addr.s_addr)
              return TRUE;
        }
      else if (addr->sa_family == AF_INET6)
        {
          for (j = 0; j < iface->v6->len; j++)
            if (memcmp (&g_array_index (iface->v6, struct in6_addr, j),
                        &((const struct sockaddr_in6 *) addr)->sin6_addr, 16) == 0)
              return TRUE;
        }
    }
  return FALSE;
}
