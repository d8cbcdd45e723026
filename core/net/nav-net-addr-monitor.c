/* nav-net-addr-monitor.c: this device's interface addresses, as the
 * kernel announces their changes over rtnetlink (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Linux tells a NETLINK_ROUTE socket bound to the RTMGRP_IPV4_IFADDR and
 * RTMGRP_IPV6_IFADDR multicast groups of every address added or removed
 * (RTM_NEWADDR, RTM_DELADDR; rtnetlink(7)), and one bound to RTMGRP_LINK
 * of every link change: what polling getifaddrs() finds out up to a
 * period late, at once and for nothing while nothing changes.
 *
 * The messages come from the kernel, but they are still bytes from
 * outside this process: the parser walks them as netlink(7) and
 * rtnetlink(3) say (NLMSG_OK's checks, RTA_OK), checks every length before it
 * reads, and skips what it does not understand.  A socket whose receive
 * buffer overflows loses notifications and says so once (ENOBUFS): the
 * owner is told to list the addresses again.
 */
#include "config.h"

#include "nav-net-addr-monitor.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gio/gio.h>
#include <glib-unix.h>

#ifdef __linux__
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#endif

/* Enough for the notifications of a busy moment; a dump is not asked
 * for, so a single message is small (an address: under 100 bytes). */
#define MONITOR_RECV_BUFFER (32 * 1024)
#define MONITOR_SOCKET_BUFFER (256 * 1024)
/* Datagrams read per dispatch, so that a flood cannot starve the
 * context; the rest are read at the next one. */
#define MONITOR_READS_PER_DISPATCH 64

#ifdef __linux__

static void
parse_address (const struct nlmsghdr *nh,
               NavNetAddrEvent       *event)
{
  const struct ifaddrmsg *ifa = NLMSG_DATA (nh);
  const struct rtattr *rta;
  const guint8 *local = NULL, *address = NULL;
  gsize size = ifa->ifa_family == AF_INET ? 4 : 16;
  int len = (int) (nh->nlmsg_len - NLMSG_LENGTH (sizeof (struct ifaddrmsg)));

  event->kind = nh->nlmsg_type == RTM_NEWADDR ? NAV_NET_ADDR_EVENT_ADDED
                                              : NAV_NET_ADDR_EVENT_REMOVED;
  event->family = ifa->ifa_family;
  event->ifindex = ifa->ifa_index;
  event->prefix_length = ifa->ifa_prefixlen;
  event->scope = ifa->ifa_scope;
  event->flags = ifa->ifa_flags;

  /* IFA_RTA: the attributes follow the aligned ifaddrmsg. */
  for (rta = IFA_RTA (ifa); RTA_OK (rta, len); rta = RTA_NEXT (rta, len))
    {
      switch (rta->rta_type)
        {
        case IFA_LOCAL:
          if (RTA_PAYLOAD (rta) == size)
            local = RTA_DATA (rta);
          break;
        case IFA_ADDRESS:
          if (RTA_PAYLOAD (rta) == size)
            address = RTA_DATA (rta);
          break;
        case IFA_FLAGS:
          /* The full 32 bits (ifa_flags has 8; Linux 3.14). */
          if (RTA_PAYLOAD (rta) == sizeof (guint32))
            memcpy (&event->flags, RTA_DATA (rta), sizeof (guint32));
          break;
        default:
          break;
        }
    }
  /* IPv4: IFA_LOCAL is this end; IFA_ADDRESS is the peer on a
   * point-to-point link (equal otherwise).  IPv6 gives IFA_ADDRESS only
   * (IFA_LOCAL as well on point-to-point, where it is this end too). */
  if (local == NULL)
    local = address;
  if (local != NULL)
    memcpy (event->address, local, size);
  else
    event->family = AF_UNSPEC;   /* no usable address: dropped */
}

/* NLMSG_OK, with the comparison's types spelt out (the macro compares
 * the unsigned nlmsg_len with an int). */
static inline gboolean
message_ok (const struct nlmsghdr *nh,
            int                    len)
{
  return len >= (int) sizeof (struct nlmsghdr) &&
         nh->nlmsg_len >= sizeof (struct nlmsghdr) &&
         nh->nlmsg_len <= (guint32) len;
}

static guint
parse_aligned (const guint8        *buffer,
               int                  len,
               NavNetAddrEventFunc  func,
               gpointer             user_data)
{
  const struct nlmsghdr *nh;
  guint count = 0;

  for (nh = (const struct nlmsghdr *) buffer; message_ok (nh, len); nh = NLMSG_NEXT (nh, len))
    {
      NavNetAddrEvent event = { 0 };

      switch (nh->nlmsg_type)
        {
        case RTM_NEWADDR:
        case RTM_DELADDR:
          {
            const struct ifaddrmsg *ifa;

            if (nh->nlmsg_len < NLMSG_LENGTH (sizeof (struct ifaddrmsg)))
              continue;
            ifa = NLMSG_DATA (nh);
            if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
              continue;
            parse_address (nh, &event);
            if (event.family == AF_UNSPEC)
              continue;
            break;
          }
        case RTM_NEWLINK:
        case RTM_DELLINK:
          {
            struct ifinfomsg ifi;

            if (nh->nlmsg_len < NLMSG_LENGTH (sizeof (struct ifinfomsg)))
              continue;
            memcpy (&ifi, NLMSG_DATA (nh), sizeof ifi);
            if (ifi.ifi_index <= 0)
              continue;
            event.kind = NAV_NET_ADDR_EVENT_LINK;
            event.ifindex = (guint32) ifi.ifi_index;
            event.family = AF_UNSPEC;
            event.flags = ifi.ifi_flags;
            event.link_removed = nh->nlmsg_type == RTM_DELLINK;
            break;
          }
        default:
          /* NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, routes, neighbours… */
          continue;
        }
      func (&event, user_data);
      count++;
    }
  return count;
}

#endif /* __linux__ */

guint
nav_net_addr_parse (const guint8        *buffer,
                    gsize                length,
                    NavNetAddrEventFunc  func,
                    gpointer             user_data)
{
#ifdef __linux__
  g_autofree guint8 *copy = NULL;
  int len;

  g_return_val_if_fail (buffer != NULL || length == 0, 0);
  g_return_val_if_fail (func != NULL, 0);

  /* NLMSG_OK works on an int; a datagram is never near this. */
  len = (int) MIN (length, (gsize) G_MAXINT / 2);
  if (len == 0)
    return 0;
  /* The macros dereference the headers in place: they need the
   * alignment of struct nlmsghdr, which a received buffer has and a
   * test's slice may not. */
  if (((guintptr) buffer) % NLMSG_ALIGNTO != 0)
    buffer = copy = g_memdup2 (buffer, (gsize) len);
  return parse_aligned (buffer, len, func, user_data);
#else
  return 0;
#endif
}

gboolean
nav_net_addr_event_is_local_only (const NavNetAddrEvent *event)
{
  static const guint8 loopback6[16] = { [15] = 1 };

  if (event->family == AF_INET)
    return event->address[0] == 127;
  if (event->family == AF_INET6)
    return memcmp (event->address, loopback6, 16) == 0 ||
           (event->address[0] == 0xfe && (event->address[1] & 0xc0) == 0x80);
  return FALSE;
}

const gchar *
nav_net_addr_event_address_to_string (const NavNetAddrEvent *event,
                                      gchar                 *buf,
                                      gsize                  size)
{
  if ((event->family != AF_INET && event->family != AF_INET6) ||
      inet_ntop (event->family, event->address, buf, (socklen_t) size) == NULL)
    g_strlcpy (buf, "-", size);
  return buf;
}

struct _NavNetAddrMonitor
{
  int fd;
  GSource *source;
  NavNetAddrEventFunc func;
  gpointer user_data;
  GHashTable *link_flags;    /* ifindex → IFF_* flags last seen + 1 */
  guint64 overruns;
  guint64 buffer[MONITOR_RECV_BUFFER / sizeof (guint64)];  /* aligned */
};

static void
overrun (NavNetAddrMonitor *self)
{
  NavNetAddrEvent event = { .kind = NAV_NET_ADDR_EVENT_OVERRUN, .family = AF_UNSPEC };

  self->overruns++;
  g_debug ("net: address notifications lost (%" G_GUINT64_FORMAT " times): listing again",
           self->overruns);
  self->func (&event, self->user_data);
}

/* Address events go through; a link's only when it goes or comes up or
 * down. */
static void
filter_event (const NavNetAddrEvent *event,
              gpointer               user_data)
{
  NavNetAddrMonitor *self = user_data;

  if (event->kind == NAV_NET_ADDR_EVENT_LINK)
    {
      gpointer key = GUINT_TO_POINTER (event->ifindex);
      guint known = GPOINTER_TO_UINT (g_hash_table_lookup (self->link_flags, key));

      if (event->link_removed)
        g_hash_table_remove (self->link_flags, key);
      else
        {
          g_hash_table_insert (self->link_flags, key, GUINT_TO_POINTER (event->flags + 1));
          if (known != 0 && ((known - 1) & IFF_UP) == (event->flags & IFF_UP))
            return;
        }
    }
  self->func (event, self->user_data);
}

#ifdef __linux__

static gboolean
monitor_readable (gint         fd,
                  GIOCondition condition,
                  gpointer     user_data)
{
  NavNetAddrMonitor *self = user_data;
  gboolean lost = FALSE;
  guint i;

  for (i = 0; i < MONITOR_READS_PER_DISPATCH; i++)
    {
      struct sockaddr_nl from = { 0 };
      socklen_t from_len = sizeof from;
      /* MSG_TRUNC: the real length, to notice a datagram cut short. */
      ssize_t n = recvfrom (fd, self->buffer, sizeof self->buffer, MSG_TRUNC,
                            (struct sockaddr *) &from, &from_len);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == ENOBUFS)
            {
              /* The kernel dropped notifications; the socket goes on. */
              lost = TRUE;
              continue;
            }
          if (errno != EAGAIN && errno != EWOULDBLOCK)
            g_debug ("net: reading address notifications: %s", g_strerror (errno));
          break;
        }
      if ((gsize) n > sizeof self->buffer)
        {
          lost = TRUE;
          continue;
        }
      /* Only the kernel's (port 0): another process may send to this
       * socket's port. */
      if (from_len != sizeof from || from.nl_family != AF_NETLINK || from.nl_pid != 0)
        continue;
      nav_net_addr_parse ((const guint8 *) self->buffer, (gsize) n, filter_event, self);
    }
  if (lost)
    overrun (self);
  return G_SOURCE_CONTINUE;
}

#endif /* __linux__ */

NavNetAddrMonitor *
nav_net_addr_monitor_new (GMainContext         *context,
                          NavNetAddrEventFunc   func,
                          gpointer              user_data,
                          GError              **error)
{
#ifdef __linux__
  NavNetAddrMonitor *self;
  struct sockaddr_nl local = { 0 };
  int fd, size = MONITOR_SOCKET_BUFFER;

  g_return_val_if_fail (func != NULL, NULL);

  fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "netlink socket: %s", g_strerror (saved));
      return NULL;
    }
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (bind (fd, (struct sockaddr *) &local, sizeof local) < 0)
    {
      int saved = errno;

      close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "netlink bind: %s", g_strerror (saved));
      return NULL;
    }
  /* Best effort: a bigger buffer makes an overrun rarer, and an overrun
   * only costs a listing. */
  (void) setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);

  self = g_new0 (NavNetAddrMonitor, 1);
  self->fd = fd;
  self->func = func;
  self->user_data = user_data;
  self->link_flags = g_hash_table_new (NULL, NULL);
  self->source = g_unix_fd_source_new (fd, G_IO_IN);
  g_source_set_callback (self->source, G_SOURCE_FUNC (monitor_readable), self, NULL);
  g_source_set_static_name (self->source, "[nav] address notifications");
  g_source_attach (self->source, context);
  return self;
#else
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       "no rtnetlink on this system");
  return NULL;
#endif
}

void
nav_net_addr_monitor_free (NavNetAddrMonitor *monitor)
{
  if (monitor == NULL)
    return;
  if (monitor->source != NULL)
    {
      g_source_destroy (monitor->source);
      g_source_unref (monitor->source);
    }
  if (monitor->fd >= 0)
    close (monitor->fd);
  g_hash_table_unref (monitor->link_flags);
  g_free (monitor);
}

int
nav_net_addr_monitor_get_fd (NavNetAddrMonitor *monitor)
{
  return monitor->fd;
}

guint64
nav_net_addr_monitor_get_overruns (NavNetAddrMonitor *monitor)
{
  return monitor->overruns;
}
