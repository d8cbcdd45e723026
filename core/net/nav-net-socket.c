/* nav-net-socket.c: opening and binding sockets (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-net-socket.h"

#include <errno.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/resource.h>
#ifdef __linux__
#include <linux/filter.h>
#endif

#include <glib/gi18n-lib.h>

/* SO_RCVBUF or SO_SNDBUF.  Linux caps the size at net.core.rmem_max or
 * wmem_max (208 KiB on many systems, which an unpaced burst of 1200-byte
 * datagrams fills in about 90 datagrams); the _FORCE options skip the cap
 * for a process with CAP_NET_ADMIN, and fail with EPERM otherwise, when
 * the capped option is used instead. */
static void
set_buffer (int      fd,
            int      option,
            int      size,
            gboolean force)
{
#if defined (SO_RCVBUFFORCE) && defined (SO_SNDBUFFORCE)
  if (force &&
      setsockopt (fd, SOL_SOCKET, option == SO_RCVBUF ? SO_RCVBUFFORCE : SO_SNDBUFFORCE, &size,
                  sizeof size) == 0)
    return;
#endif
  setsockopt (fd, SOL_SOCKET, option, &size, sizeof size);
}

int
nav_net_socket_open (const NavAddress  *address,
                     int                type,
                     NavNetSocketFlags  flags,
                     gint               buffer_size,
                     NavAddress        *bound,
                     int               *errsv)
{
  struct sockaddr_storage ss;
  socklen_t sl;
  int family = nav_address_get_family (address) == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET;
  int fd, one = 1;

  fd = socket (family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    goto fail;
  if (family == AF_INET6)
    setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  /* Never SO_REUSEADDR on a UDP socket unless asked: Linux would let a
   * second server bind the same port and silently take its traffic. */
  if (flags & NAV_NET_SOCKET_REUSEADDR)
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
#ifdef SO_REUSEPORT
  if (flags & NAV_NET_SOCKET_REUSEPORT)
    setsockopt (fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
#endif
  if (flags & NAV_NET_SOCKET_RECVERR)
    {
      if (family == AF_INET6)
        setsockopt (fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof one);
      else
        setsockopt (fd, IPPROTO_IP, IP_RECVERR, &one, sizeof one);
    }
  if (buffer_size > 0)
    {
      set_buffer (fd, SO_RCVBUF, buffer_size, flags & NAV_NET_SOCKET_FORCE_BUFFERS);
      set_buffer (fd, SO_SNDBUF, buffer_size, flags & NAV_NET_SOCKET_FORCE_BUFFERS);
    }
  if (flags & NAV_NET_SOCKET_NO_BIND)
    return fd;
  sl = nav_address_copy_to_sockaddr (address, (struct sockaddr *) &ss, sizeof ss);
  if (bind (fd, (struct sockaddr *) &ss, sl) < 0)
    goto fail;
  if (bound != NULL && !nav_net_socket_get_local (fd, bound))
    goto fail;
  return fd;

fail:
  *errsv = errno;
  if (fd >= 0)
    close (fd);
  return -1;
}

int
nav_net_socket_open_in_range (const NavAddress  *address,
                              int                type,
                              NavNetSocketFlags  flags,
                              gint               buffer_size,
                              guint              min_port,
                              guint              max_port,
                              NavAddress        *bound,
                              int               *errsv)
{
  NavAddress a = *address;
  guint span, start, i;

  min_port = MAX (min_port, 1);
  if (min_port > max_port)
    {
      *errsv = EINVAL;
      return -1;
    }
  /* A random start spreads sockets over the range and makes the next
   * port harder to guess. */
  span = max_port - min_port + 1;
  start = g_random_int_range (0, span);
  for (i = 0; i < span; i++)
    {
      int fd;

      nav_address_set_port (&a, min_port + (start + i) % span);
      fd = nav_net_socket_open (&a, type, flags, buffer_size, bound, errsv);
      if (fd >= 0)
        return fd;
      if (*errsv != EADDRINUSE && *errsv != EACCES)
        return -1;
    }
  *errsv = EADDRINUSE;
  return -1;
}

/* Half of what getsockopt() reports: Linux doubles what is set. */
static void
copy_int_option (int listener,
                 int fd,
                 int level,
                 int option,
                 int set_option,
                 gboolean halve)
{
  int value;
  socklen_t len = sizeof value;

  if (getsockopt (listener, level, option, &value, &len) < 0)
    return;
  if (halve)
    value /= 2;
  if (setsockopt (fd, level, set_option, &value, sizeof value) < 0 && set_option != option)
    setsockopt (fd, level, option, &value, sizeof value);
}

int
nav_net_socket_open_connected (int               listener,
                               const NavAddress *local,
                               const NavAddress *peer,
                               int              *errsv)
{
  struct sockaddr_storage ss;
  socklen_t sl;
  int fd, one = 1, zero = 0, family;

  if (nav_address_get_family (local) != nav_address_get_family (peer))
    {
      *errsv = EAFNOSUPPORT;
      return -1;
    }
  family = nav_address_get_family (local) == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET;
  fd = socket (family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      *errsv = errno;
      return -1;
    }
  if (family == AF_INET6)
    setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
#if defined (SO_RCVBUFFORCE) && defined (SO_SNDBUFFORCE)
  copy_int_option (listener, fd, SOL_SOCKET, SO_RCVBUF, SO_RCVBUFFORCE, TRUE);
  copy_int_option (listener, fd, SOL_SOCKET, SO_SNDBUF, SO_SNDBUFFORCE, TRUE);
#else
  copy_int_option (listener, fd, SOL_SOCKET, SO_RCVBUF, SO_RCVBUF, TRUE);
  copy_int_option (listener, fd, SOL_SOCKET, SO_SNDBUF, SO_SNDBUF, TRUE);
#endif
  copy_int_option (listener, fd, IPPROTO_IP, IP_TOS, IP_TOS, FALSE);
  if (family == AF_INET6)
    copy_int_option (listener, fd, IPPROTO_IPV6, IPV6_TCLASS, IPV6_TCLASS, FALSE);

  /* The kernel checks the listener's SO_REUSEADDR when the second socket
   * binds, not later: on for the bind only. */
  setsockopt (listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sl = nav_address_copy_to_sockaddr (local, (struct sockaddr *) &ss, sizeof ss);
  if (bind (fd, (struct sockaddr *) &ss, sl) < 0)
    goto fail;
  sl = nav_address_copy_to_sockaddr (peer, (struct sockaddr *) &ss, sizeof ss);
  if (connect (fd, (struct sockaddr *) &ss, sl) < 0)
    goto fail;
  setsockopt (listener, SOL_SOCKET, SO_REUSEADDR, &zero, sizeof zero);
  return fd;

fail:
  *errsv = errno;
  setsockopt (listener, SOL_SOCKET, SO_REUSEADDR, &zero, sizeof zero);
  close (fd);
  return -1;
}

void
nav_net_set_listen_error (GError           **error,
                          const NavAddress  *address,
                          const gchar       *kind,
                          int                errsv)
{
  gchar buf[NAV_ADDRESS_STRING_LEN];

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
               _("Cannot listen on %s (%s): %s"),
               nav_address_to_string_buf (address, buf), kind, g_strerror (errsv));
}

gboolean
nav_net_socket_get_local (int         fd,
                          NavAddress *address)
{
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;

  nav_address_init (address);
  return getsockname (fd, (struct sockaddr *) &ss, &sl) == 0 &&
         nav_address_set_from_sockaddr (address, (struct sockaddr *) &ss, sl);
}

gboolean
nav_net_socket_get_peer (int         fd,
                         NavAddress *address)
{
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;

  nav_address_init (address);
  return getpeername (fd, (struct sockaddr *) &ss, &sl) == 0 &&
         nav_address_set_from_sockaddr (address, (struct sockaddr *) &ss, sl);
}

void
nav_net_socket_set_tos (int  fd,
                        int  family,
                        gint tos)
{
  if (family == AF_INET6)
    setsockopt (fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
  setsockopt (fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
}

gboolean
nav_net_errno_is_icmp (int errsv)
{
  return errsv == ECONNREFUSED || errsv == EHOSTUNREACH ||
         errsv == ENETUNREACH || errsv == EHOSTDOWN;
}

gboolean
nav_net_errno_is_resource (int errsv)
{
  return errsv == EMFILE || errsv == ENFILE || errsv == ENOBUFS || errsv == ENOMEM;
}

guint64
nav_net_fd_limit_raise (guint64 wanted)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) < 0)
    return 0;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < wanted && rl.rlim_cur < rl.rlim_max)
    {
      struct rlimit raised = rl;

      raised.rlim_cur = rl.rlim_max == RLIM_INFINITY ? wanted : MIN (wanted, rl.rlim_max);
      if (setrlimit (RLIMIT_NOFILE, &raised) == 0)
        rl = raised;
    }
  return rl.rlim_cur == RLIM_INFINITY ? G_MAXUINT64 : (guint64) rl.rlim_cur;
}

gboolean
nav_net_socket_set_steering (int             fd,
                             NavNetSteering  steering,
                             guint           n_sockets)
{
#if defined (__linux__) && defined (SO_ATTACH_REUSEPORT_CBPF)
  /* A = (random or CPU) % n; return A.  An index past the group's end
   * falls back to the hash. */
  struct sock_filter code[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS,
              (__u32) (SKF_AD_OFF + (steering == NAV_NET_STEERING_CPU ? SKF_AD_CPU : SKF_AD_RANDOM))),
    BPF_STMT (BPF_ALU | BPF_MOD | BPF_K, MAX (n_sockets, 1)),
    BPF_STMT (BPF_RET | BPF_A, 0),
  };
  struct sock_fprog prog = { G_N_ELEMENTS (code), code };

  if (steering == NAV_NET_STEERING_HASH)
    return TRUE;
  return setsockopt (fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof prog) == 0;
#else
  if (steering == NAV_NET_STEERING_HASH)
    return TRUE;
  errno = ENOTSUP;
  return FALSE;
#endif
}

gboolean
nav_net_steering_from_string (const gchar    *text,
                              NavNetSteering *steering)
{
  if (g_strcmp0 (text, "hash") == 0 || text == NULL || text[0] == '\0')
    *steering = NAV_NET_STEERING_HASH;
  else if (g_strcmp0 (text, "cpu") == 0)
    *steering = NAV_NET_STEERING_CPU;
  else if (g_strcmp0 (text, "random") == 0)
    *steering = NAV_NET_STEERING_RANDOM;
  else
    return FALSE;
  return TRUE;
}
