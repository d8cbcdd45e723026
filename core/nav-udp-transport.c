/* nav-udp-transport.c: a NavTransport over a UDP socket
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "debug/nav-pcap-private.h"
#include "config.h"

#include <errno.h>
#include <unistd.h>
#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <glib/gi18n-lib.h>

#include "netavanue/netavanue.h"
#include "nav-transport-private.h"
#include "nav-udp-transport-private.h"
#include "nav-net-udp.h"
#include "nav-net-socket.h"

/**
 * NavUdpTransport:
 *
 * A [iface@Nav.Transport] over one non-blocking UDP socket, the transport
 * of host candidates.
 *
 * The socket is bound when the object is initialised (it implements
 * `GInitable`; [ctor@Nav.UdpTransport.new] and
 * [ctor@Nav.UdpTransport.new_range] do that for you): to
 * [property@Nav.UdpTransport:local-address] (port 0 for any port), or, when
 * [property@Nav.UdpTransport:max-port] is set, to the first free port of
 * the range [property@Nav.UdpTransport:min-port] to
 * [property@Nav.UdpTransport:max-port], starting from a random port of the
 * range and wrapping around as libnice does.  An IPv6 transport is IPv6
 * only (`IPV6_V6ONLY`): use one transport per address family.
 *
 * Its receive source is attached to [property@Nav.Transport:context].
 * Datagrams are read in batches of
 * [property@Nav.UdpTransport:receive-batch] messages (`recvmmsg()` on
 * Linux) into buffers allocated once per transport, and handed one by one
 * to [method@Nav.Transport.deliver].  ICMP errors reported on the socket
 * (port or host unreachable after an earlier send) are ignored: they say
 * nothing about the datagrams still to come.  A handler may run a nested
 * main loop on the context: the datagrams after its own are delivered
 * inside that loop, in order.
 *
 * Sending never blocks: when the socket buffer is full,
 * [method@Nav.Transport.send] fails with
 * %NAV_TRANSPORT_ERROR_WOULD_BLOCK.  Sending may be done from any thread;
 * everything else belongs to the transport's main context.
 *
 * The socket asks for 1 MiB send and receive buffers (capped by the
 * system's `net.core.rmem_max` and `wmem_max`, unless the process has
 * `CAP_NET_ADMIN`), so that a burst waits in the kernel rather than being
 * dropped.  Where Linux offers them,
 * [method@Nav.Transport.send_messages] sends a run of datagrams of one
 * size as one segmented buffer (UDP GSO), which the kernel or the NIC
 * cuts into the same datagrams on the wire, and datagrams the kernel
 * coalesced on receipt (UDP GRO) are delivered one by one, as sent.
 *
 * When it carries an agent's selected pair, the transport opens a second
 * socket on the same address and port, `connect()`ed to the pair's remote
 * address: datagrams to that address leave on it without an address or a
 * route lookup each, the kernel hands that peer's datagrams to it, and the
 * transport delivers them as the first socket's (the same
 * [signal@Nav.Transport::received], from the peer).  Everything else stays
 * on the first socket.  [method@Nav.Transport.dup_sockets] then lists
 * both, the first socket first.  `NAV_UDP_CONNECTED=0` in the environment
 * turns this off.
 *
 * Since: 1.0
 */

/* A UDP payload is at most 65535 − 8 bytes (65507 over IPv4); 64 KiB holds
 * any of them, so a datagram is never truncated. */
#define RECEIVE_BUFFER_SIZE 65536

/* SO_RCVBUF and SO_SNDBUF: an unpaced burst of a fast sender (thousands
 * of datagrams in a few milliseconds) waits in the kernel while the
 * receiving thread is busy, rather than being dropped at the default
 * 208 KiB (about 90 datagrams of 1200 bytes).  Linux doubles it and caps
 * it at net.core.rmem_max/wmem_max, except for a process with
 * CAP_NET_ADMIN, which gets it whatever the cap (SO_RCVBUFFORCE; libnice
 * keeps the system's default, 208 KiB on most systems). */
#define SOCKET_BUFFER_SIZE (1024 * 1024)

#define DEFAULT_RECEIVE_BATCH 32
/* recvmmsg() takes at most UIO_MAXIOV (1024) messages. */
#define MAX_RECEIVE_BATCH 1024
/* Batches read per dispatch before yielding to the other sources of the
 * main context; the socket stays readable so the source fires again. */
#define MAX_BATCHES_PER_DISPATCH 64
/* A retired connected socket is read at most this many times over
 * before it is closed: under a flood it never empties. */
#define MAX_RETIRE_DRAINS 8

/* A socket connected to one peer (nav_udp_transport_connect_peer()). */
typedef struct
{
  NavUdpTransport *self;        /* not owned */
  GSocket *socket;
  gint fd;
  NavAddress peer;
  GSource *source;
  NavNetUdpReader *reader;
  /* The first socket was read once since this one connected: what the
   * peer sent before is delivered before what came here. */
  gboolean seen;
  /* Being read: not freed under the reader's feet. */
  guint busy;
} Connected;

struct _NavUdpTransport
{
  GObject parent_instance;

  GMainContext *context;

  NavAddress requested;         /* local-address at construction */
  NavAddress local;             /* the bound address, once initialised */
  guint min_port;
  guint max_port;
  guint receive_batch;

  GSocket *socket;
  gint fd;
  GSource *source;
  /* The receive path of the socket layer (core/net/nav-net-udp.c):
   * recvmmsg(2) into buffers allocated once, no GSocketAddress (two
   * GObjects) per datagram. */
  NavNetUdpReader *reader;
  /* UDP_SEGMENT works on the socket (send_segmented()). */
  gboolean gso;

  /* The socket connected to the agent's selected pair (issue 15), NULL
   * when none; guarded by connected_lock, as sends may come from any
   * thread (the lock is held over a send on it, so that it is never
   * closed under one).  Sockets connected before wait in @retired to be
   * read one last time and closed (retire_now()). */
  GMutex connected_lock;
  Connected *connected;
  GSList *retired;
  GSource *retire_idle;
  guint64 connected_sent;
  guint64 connected_received;

  GError *init_error;
  gboolean initialized;
  gboolean closed;
};

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_LOCAL_ADDRESS,
  PROP_MIN_PORT,
  PROP_MAX_PORT,
  PROP_RECEIVE_BATCH,
  PROP_SOCKET,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void nav_udp_transport_transport_init (NavTransportInterface *iface);
static void nav_udp_transport_initable_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NavUdpTransport, nav_udp_transport, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NAV_TYPE_TRANSPORT,
                                                      nav_udp_transport_transport_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      nav_udp_transport_initable_init))

static void
connected_close (Connected *c)
{
  if (c->source != NULL)
    {
      g_source_destroy (c->source);
      g_clear_pointer (&c->source, g_source_unref);
    }
  if (c->socket != NULL)
    g_socket_close (c->socket, NULL);
  g_clear_object (&c->socket);
  c->fd = -1;
}

static void
connected_free (Connected *c)
{
  connected_close (c);
  g_clear_pointer (&c->reader, nav_net_udp_reader_free);
  g_free (c);
}

/* The transport closes: its connected sockets too, at once (nothing is
 * delivered any more).  They are freed when not being read. */
static void
close_connected (NavUdpTransport *self)
{
  g_mutex_lock (&self->connected_lock);
  if (self->connected != NULL)
    self->retired = g_slist_prepend (self->retired, g_steal_pointer (&self->connected));
  for (GSList *l = self->retired; l != NULL; l = l->next)
    connected_close (l->data);
  if (self->retire_idle != NULL)
    {
      g_source_destroy (self->retire_idle);
      g_clear_pointer (&self->retire_idle, g_source_unref);
    }
  g_mutex_unlock (&self->connected_lock);
}

static void
close_with_error (NavUdpTransport *self,
                  const GError    *error)
{
  if (self->closed)
    return;
  self->closed = TRUE;

  if (self->source != NULL)
    {
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }

  close_connected (self);

  if (self->socket != NULL)
    {
      g_autoptr (GError) close_error = NULL;

      if (!g_socket_close (self->socket, &close_error))
        g_debug ("Closing the UDP socket failed: %s", close_error->message);
    }
  self->fd = -1;

  /* Only a transport that was ever open says it closed. */
  if (self->initialized)
    nav_transport_emit_closed (NAV_TRANSPORT (self), error);
}

static void
deliver (const NavNetDatagram *d,
         gpointer              user_data)
{
  NavUdpTransport *self = user_data;
  NavAddress from;

  nav_address_init (&from);
  if (!d->truncated && nav_address_set_from_sockaddr (&from, d->from, d->from_len))
    {
      /* NAV_DEBUG_PCAP (core/debug): one test of a flag. */
      if (G_UNLIKELY (nav_pcap_on))
        {
          GOutputVector v = { d->data, d->len };

          nav_pcap_write_vectors (FALSE, &self->local, &from, &v, 1);
        }
      nav_transport_deliver (NAV_TRANSPORT (self), d->data, d->len, &from);
    }
}

static gboolean
is_closed (gpointer user_data)
{
  return ((NavUdpTransport *) user_data)->closed;
}

/* After the datagrams of one recvmmsg(2): a receiver that deferred work
 * per datagram does it once (nav-transport-private.h). */
static void
batch_done (gpointer user_data)
{
  nav_transport_batch_done (NAV_TRANSPORT (user_data));
}

static const NavNetUdpFuncs receive_funcs = { deliver, batch_done, is_closed, NULL };

static void
deliver_connected (const NavNetDatagram *d,
                   gpointer              user_data)
{
  Connected *c = user_data;

  c->self->connected_received++;
  deliver (d, c->self);
}

static void
batch_done_connected (gpointer user_data)
{
  batch_done (((Connected *) user_data)->self);
}

static gboolean
is_closed_connected (gpointer user_data)
{
  return ((Connected *) user_data)->self->closed;
}

static const NavNetUdpFuncs connected_funcs = {
  deliver_connected, batch_done_connected, is_closed_connected, NULL
};

/* Whether a datagram waits on @fd. */
static gboolean
has_datagram (int fd)
{
  guint8 byte;

  return recv (fd, &byte, sizeof byte, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC) >= 0 ||
         (errno != EAGAIN && errno != EWOULDBLOCK);
}

/* The retired connected sockets: read until empty (what the peer sent
 * them before the switch is delivered, not lost), then closed.  From then
 * on the kernel hands the peer's datagrams to the first socket (or to the
 * socket connected next).  A datagram that reaches a retired socket
 * between its last read and its close(2) is lost: a window of a few
 * system calls, once per selection.  Not while one of them is being read
 * (a handler running a nested main loop): then after.  In the transport's
 * context; the list is shared with the threads that connect. */
static void
retire_now (NavUdpTransport *self)
{
  GSList *keep = NULL;

  for (;;)
    {
      Connected *c;

      g_mutex_lock (&self->connected_lock);
      if (self->retired == NULL)
        {
          self->retired = g_slist_reverse (keep);
          g_mutex_unlock (&self->connected_lock);
          break;
        }
      c = self->retired->data;
      self->retired = g_slist_delete_link (self->retired, self->retired);
      g_mutex_unlock (&self->connected_lock);
      if (c->busy > 0)
        {
          keep = g_slist_prepend (keep, c);
          continue;
        }
      if (c->source != NULL)
        {
          g_source_destroy (c->source);
          g_clear_pointer (&c->source, g_source_unref);
        }
      c->busy++;
      for (guint i = 0; i < MAX_RETIRE_DRAINS && c->fd >= 0 && !self->closed &&
                        has_datagram (c->fd); i++)
        nav_net_udp_reader_drain (c->reader, c->fd, &connected_funcs, c);
      c->busy--;
      connected_free (c);
    }
}

/* The idle holds the transport weakly: a transport closed and dropped by
 * another thread while the idle is already being dispatched (destroying
 * the source then does not stop the callback) is not touched. */
typedef struct {
  GWeakRef transport;
} RetireIdle;

static void
retire_idle_free (gpointer data)
{
  RetireIdle *idle = data;

  g_weak_ref_clear (&idle->transport);
  g_free (idle);
}

static gboolean
on_retire_idle (gpointer user_data)
{
  RetireIdle *idle = user_data;
  NavUdpTransport *self = g_weak_ref_get (&idle->transport);

  if (self == NULL)
    return G_SOURCE_REMOVE;
  g_mutex_lock (&self->connected_lock);
  g_clear_pointer (&self->retire_idle, g_source_unref);
  g_mutex_unlock (&self->connected_lock);
  retire_now (self);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* With the lock held. */
static void
schedule_retire_locked (NavUdpTransport *self)
{
  if (self->retired != NULL && self->retire_idle == NULL && !self->closed)
    {
      RetireIdle *idle = g_new0 (RetireIdle, 1);

      g_weak_ref_init (&idle->transport, self);
      self->retire_idle = g_idle_source_new ();
      g_source_set_priority (self->retire_idle, G_PRIORITY_DEFAULT);
      g_source_set_callback (self->retire_idle, on_retire_idle, idle, retire_idle_free);
      g_source_set_static_name (self->retire_idle, "NavUdpTransport retire");
      g_source_attach (self->retire_idle, self->context);
    }
}

static void
schedule_retire (NavUdpTransport *self)
{
  g_mutex_lock (&self->connected_lock);
  schedule_retire_locked (self);
  g_mutex_unlock (&self->connected_lock);
}

/* With the lock held. */
static void
retire_locked (NavUdpTransport *self,
               Connected       *c)
{
  self->retired = g_slist_append (self->retired, c);
  schedule_retire_locked (self);
}

/* A handler that runs a nested main loop gets the rest of the datagrams
 * below it first, in order (the reader is re-entrant).  ICMP errors
 * reported on the socket (port or host unreachable after an earlier send)
 * are read past. */
static gboolean
on_socket_readable (gint         fd,
                    GIOCondition condition,
                    gpointer     user_data)
{
  NavUdpTransport *self = user_data;
  int failure;

  /* A handler may drop the last reference or close the transport. */
  g_object_ref (self);
  /* What a retired connected socket holds came before what arrives
   * here now. */
  if (G_UNLIKELY (self->retired != NULL))
    retire_now (self);
  if (self->closed)
    {
      g_object_unref (self);
      return G_SOURCE_CONTINUE;
    }
  failure = nav_net_udp_reader_drain (self->reader, fd, &receive_funcs, self);
  if (failure != 0 && !self->closed)
    {
      g_autoptr (GError) error = g_error_new_literal (G_IO_ERROR, g_io_error_from_errno (failure),
                                                      g_strerror (failure));

      g_debug ("Receiving on the UDP socket failed: %s", error->message);
      close_with_error (self, error);
    }
  /* With IP_RECVERR or IPV6_RECVERR set by the application, ICMP errors
   * also wait on the socket's error queue, and the socket polls as
   * G_IO_ERR until that queue is read: read and drop them, after the
   * receive loop, which reads and ignores the pending error. */
  if ((condition & G_IO_ERR) && !self->closed)
    nav_net_udp_drain_error_queue (fd);
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

/* The connected socket's datagrams, in the same batches and through the
 * same delivery as the first socket's. */
static gboolean
on_connected_readable (gint         fd,
                       GIOCondition condition,
                       gpointer     user_data)
{
  Connected *c = user_data;
  NavUdpTransport *self = c->self;
  int failure;

  g_object_ref (self);
  c->busy++;
  /* The peer's datagrams that reached the first socket before the
   * connect(2) go first, once. */
  if (G_UNLIKELY (!c->seen))
    {
      c->seen = TRUE;
      if (self->retired != NULL)
        retire_now (self);
      if (!self->closed && self->fd >= 0)
        nav_net_udp_reader_drain (self->reader, self->fd, &receive_funcs, self);
    }
  failure = 0;
  if (!self->closed && c->fd >= 0)
    failure = nav_net_udp_reader_drain (c->reader, c->fd, &connected_funcs, c);
  if ((condition & G_IO_ERR) && !self->closed && c->fd >= 0)
    nav_net_udp_drain_error_queue (c->fd);
  c->busy--;
  schedule_retire (self);
  if (failure != 0 && !self->closed && c == self->connected)
    {
      g_debug ("Receiving on the connected UDP socket failed: %s; back to the first socket",
               g_strerror (failure));
      nav_udp_transport_disconnect_peer (self);
    }
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
open_socket (NavUdpTransport  *self,
             GError          **error)
{
  g_autoptr (GError) local_error = NULL;
  NavAddress address = self->requested;
  gchar buf[NAV_ADDRESS_STRING_LEN];
  int fd, errsv = 0;

  if (!nav_address_is_valid (&address))
    {
      /* No address given: the IPv4 wildcard, as a plain socket would. */
      nav_address_init (&address);
      nav_address_set_ipv4 (&address, INADDR_ANY);
    }

  /* IPv6 only (one transport per family); a range from a random port,
   * wrapping around, as libnice does. */
  if (self->max_port != 0)
    fd = nav_net_socket_open_in_range (&address, SOCK_DGRAM, NAV_NET_SOCKET_FORCE_BUFFERS,
                                       SOCKET_BUFFER_SIZE, self->min_port,
                                       self->max_port, &self->local, &errsv);
  else
    fd = nav_net_socket_open (&address, SOCK_DGRAM, NAV_NET_SOCKET_FORCE_BUFFERS, SOCKET_BUFFER_SIZE,
                              &self->local, &errsv);
  if (fd < 0)
    {
      if (self->max_port != 0 && errsv == EINVAL)
        g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                     _("Invalid port range %u–%u"), self->min_port, self->max_port);
      else if (self->max_port != 0 && errsv == EADDRINUSE)
        g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NO_PORT_AVAILABLE,
                     _("No free UDP port between %u and %u on %s"),
                     MAX (self->min_port, 1), self->max_port,
                     nav_address_to_string_buf (&address, buf));
      else
        g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_BIND_FAILED,
                     _("Could not bind %s: %s"),
                     nav_address_to_string_buf (&address, buf), g_strerror (errsv));
      return FALSE;
    }
  self->socket = g_socket_new_from_fd (fd, &local_error);
  if (self->socket == NULL)
    {
      close (fd);
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_FAILED,
                   _("Could not create a UDP socket: %s"), local_error->message);
      return FALSE;
    }
  g_socket_set_blocking (self->socket, FALSE);
  self->fd = g_socket_get_fd (self->socket);

  {
    NavNetUdpConfig config = { self->receive_batch, RECEIVE_BUFFER_SIZE, 0,
                               MAX_BATCHES_PER_DISPATCH, FALSE };

    /* Datagrams of one sender that the kernel coalesced (a peer's
     * segmented send over loopback, or GRO of the NIC) come in one read;
     * the reader delivers them apart. */
    config.gro = nav_net_udp_enable_gro (self->fd);
    self->reader = nav_net_udp_reader_new (&config);
  }
#ifdef UDP_SEGMENT
  {
    int zero = 0;

    self->gso = setsockopt (self->fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof zero) == 0;
  }
#endif
  self->source = nav_net_udp_source_new (self->fd, self->context,
                                         G_SOURCE_FUNC (on_socket_readable), self,
                                         "NavUdpTransport");

  g_debug ("UDP transport bound to %s",
           nav_address_to_string_buf (&self->local, buf));
  return TRUE;
}

static gboolean
nav_udp_transport_initable_init_impl (GInitable     *initable,
                                      GCancellable  *cancellable,
                                      GError       **error)
{
  NavUdpTransport *self = NAV_UDP_TRANSPORT (initable);

  /* GInitable: a second call returns the result of the first. */
  if (self->initialized)
    return TRUE;
  if (self->init_error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->init_error));
      return FALSE;
    }
  if (self->closed)
    {
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_CLOSED,
                   _("The transport is closed"));
      return FALSE;
    }

  if (!open_socket (self, &self->init_error))
    {
      /* Leave nothing half open. */
      if (self->socket != NULL)
        g_socket_close (self->socket, NULL);
      g_clear_object (&self->socket);
      g_propagate_error (error, g_error_copy (self->init_error));
      return FALSE;
    }

  self->initialized = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCAL_ADDRESS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOCKET]);
  return TRUE;
}

static void
nav_udp_transport_initable_init (GInitableIface *iface)
{
  iface->init = nav_udp_transport_initable_init_impl;
}

static gboolean
nav_udp_transport_send (NavTransport      *transport,
                        const NavAddress  *to,
                        const guint8      *data,
                        gsize              len,
                        GError           **error)
{
  NavUdpTransport *self = NAV_UDP_TRANSPORT (transport);
  union {
    struct sockaddr sa;
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
    struct sockaddr_storage storage;
  } dest;
  gchar buf[NAV_ADDRESS_STRING_LEN], local_buf[NAV_ADDRESS_STRING_LEN];
  gsize dest_len;
  gssize sent;
  gboolean retried = FALSE;
  int errsv, connected_fd = -1;

  if (self->closed || !self->initialized)
    {
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_CLOSED,
                   _("The transport is closed"));
      return FALSE;
    }
  if (to == NULL)
    {
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NOT_CONNECTED,
                   _("A UDP transport needs a destination address"));
      return FALSE;
    }
  if (nav_address_get_family (to) != nav_address_get_family (&self->local))
    {
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_ADDRESS_FAMILY,
                   _("Cannot send to %s from the IPv%u transport %s"),
                   nav_address_to_string_buf (to, buf),
                   nav_address_ip_version (&self->local),
                   nav_address_to_string_buf (&self->local, local_buf));
      return FALSE;
    }

  dest_len = nav_address_copy_to_sockaddr (to, &dest.sa, sizeof (dest));

  /* sendto() on the descriptor: no GSocketAddress per datagram; send()
   * on the socket connected to @to: no address either, and no route
   * lookup (the socket keeps the route). */
  g_mutex_lock (&self->connected_lock);
  if (self->connected != NULL && nav_address_equal (to, &self->connected->peer))
    connected_fd = self->connected->fd;
  for (;;)
    {
      if (connected_fd >= 0)
        sent = send (connected_fd, data, len, 0);
      else
        sent = sendto (self->fd, data, len, 0, &dest.sa, dest_len);
      if (sent >= 0)
        {
          if (connected_fd >= 0)
            self->connected_sent++;
          g_mutex_unlock (&self->connected_lock);
          if (G_UNLIKELY (nav_pcap_on))
            {
              GOutputVector v = { data, len };

              nav_pcap_write_vectors (TRUE, &self->local, to, &v, 1);
            }
          return TRUE;
        }

      errsv = errno;
      if (errsv == EINTR)
        continue;
      /* An ICMP error from an earlier datagram is reported once, by the
       * next call: this datagram was not sent, so send it again. */
      if (nav_net_errno_is_icmp (errsv) && !retried)
        {
          retried = TRUE;
          continue;
        }
      break;
    }
  g_mutex_unlock (&self->connected_lock);

  switch (errsv)
    {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case ENOBUFS:
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_WOULD_BLOCK,
                   _("The send buffer of the UDP socket is full"));
      break;
    case EMSGSIZE:
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_MESSAGE_TOO_LARGE,
                   _("A message of %lu bytes does not fit in a UDP datagram"),
                   (gulong) len);
      break;
    case EAFNOSUPPORT:
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_ADDRESS_FAMILY,
                   _("Could not send to %s: %s"),
                   nav_address_to_string_buf (to, buf), g_strerror (errsv));
      break;
    case EBADF:
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_CLOSED,
                   _("The transport is closed"));
      break;
    default:
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_FAILED,
                   _("Could not send to %s: %s"),
                   nav_address_to_string_buf (to, buf), g_strerror (errsv));
      break;
    }
  return FALSE;
}

static const NavAddress *
nav_udp_transport_get_local_address (NavTransport *transport)
{
  NavUdpTransport *self = NAV_UDP_TRANSPORT (transport);

  return self->initialized ? &self->local : NULL;
}

static NavCandidateTransport
nav_udp_transport_get_protocol (NavTransport *transport)
{
  return NAV_CANDIDATE_TRANSPORT_UDP;
}

static gboolean
nav_udp_transport_is_reliable (NavTransport *transport)
{
  return FALSE;
}

static void
nav_udp_transport_close (NavTransport *transport)
{
  close_with_error (NAV_UDP_TRANSPORT (transport), NULL);
}

static GPtrArray *
nav_udp_transport_dup_sockets (NavTransport *transport)
{
  NavUdpTransport *self = NAV_UDP_TRANSPORT (transport);
  GPtrArray *sockets = g_ptr_array_new_with_free_func (g_object_unref);

  if (self->socket != NULL && !self->closed)
    g_ptr_array_add (sockets, g_object_ref (self->socket));
  /* After the first: the socket connected to the selected pair's peer
   * (its buffer is the one that fills when sends to the peer block). */
  g_mutex_lock (&self->connected_lock);
  if (self->connected != NULL && self->connected->socket != NULL && !self->closed)
    g_ptr_array_add (sockets, g_object_ref (self->connected->socket));
  g_mutex_unlock (&self->connected_lock);
  return sockets;
}

/* NAV_DEBUG_PCAP: @n messages sent to @to. */
static void
capture_sent (NavUdpTransport        *self,
              const NavAddress       *to,
              const NavOutputMessage *messages,
              guint                   n)
{
  for (guint i = 0; i < n; i++)
    {
      guint n_vectors;

      nav_output_message_get_size (&messages[i], &n_vectors);
      nav_pcap_write_vectors (TRUE, &self->local, to, messages[i].buffers, (gint) n_vectors);
    }
}

/* The vectors of a NavOutputMessage go to sendmmsg(2) as they are. */
G_STATIC_ASSERT (sizeof (GOutputVector) == sizeof (struct iovec));
G_STATIC_ASSERT (G_STRUCT_OFFSET (GOutputVector, buffer) == G_STRUCT_OFFSET (struct iovec, iov_base));
G_STATIC_ASSERT (G_STRUCT_OFFSET (GOutputVector, size) == G_STRUCT_OFFSET (struct iovec, iov_len));

/* UDP GSO: at most this many segments per sendmsg(2) (the kernel's
 * UDP_MAX_SEGMENTS is 64 before Linux 5.? and 128 after), of at most this
 * many bytes in all (a UDP payload's limit, with room to spare). */
#define GSO_MAX_SEGMENTS 64
#define GSO_MAX_BYTES 65000

/* UDP GSO (Linux 4.18): datagrams of one size (the last may be shorter)
 * to one destination leave in one sendmsg(2) as one buffer that the
 * kernel, or the NIC, cuts into datagrams; the peer gets them as if sent
 * one by one, in a fraction of the kernel's work per datagram.  Returns
 * how many of @messages went, 0 to leave them all to sendmmsg(2) (fewer
 * than two alike, a full buffer, or no GSO on this path: then never
 * again on this socket). */
static guint
send_segmented (NavUdpTransport        *self,
                int                     fd,
                struct sockaddr        *dest,
                socklen_t               dest_len,
                const NavOutputMessage *messages,
                guint                   n_messages)
{
#ifdef UDP_SEGMENT
  struct iovec iov[GSO_MAX_SEGMENTS * 4];
  union {
    guint8 buf[CMSG_SPACE (sizeof (guint16))];
    struct cmsghdr align;
  } control;
  struct msghdr hdr = { 0 };
  struct cmsghdr *cmsg;
  gsize segment = 0, total = 0;
  guint count = 0, n_iov = 0;
  guint16 gso_size;

  if (!self->gso || n_messages < 2)
    return 0;
  while (count < MIN (n_messages, GSO_MAX_SEGMENTS))
    {
      guint n_vectors;
      gsize size = nav_output_message_get_size (&messages[count], &n_vectors);

      if (count == 0)
        segment = size;
      /* Equal sizes; one shorter one ends the run. */
      if (size == 0 || size > segment || total + size > GSO_MAX_BYTES ||
          n_iov + n_vectors > G_N_ELEMENTS (iov))
        break;
      for (guint v = 0; v < n_vectors; v++)
        iov[n_iov++] = (struct iovec) { (void *) messages[count].buffers[v].buffer,
                                        messages[count].buffers[v].size };
      total += size;
      count++;
      if (size < segment)
        break;
    }
  if (count < 2 || segment > G_MAXUINT16)
    return 0;

  hdr.msg_name = dest;
  hdr.msg_namelen = dest_len;
  hdr.msg_iov = iov;
  hdr.msg_iovlen = n_iov;
  hdr.msg_control = control.buf;
  hdr.msg_controllen = sizeof control.buf;
  cmsg = CMSG_FIRSTHDR (&hdr);
  cmsg->cmsg_level = SOL_UDP;
  cmsg->cmsg_type = UDP_SEGMENT;
  cmsg->cmsg_len = CMSG_LEN (sizeof gso_size);
  gso_size = segment;
  memcpy (CMSG_DATA (cmsg), &gso_size, sizeof gso_size);
  for (;;)
    {
      if (sendmsg (fd, &hdr, 0) >= 0)
        return count;
      if (errno == EINTR)
        continue;
      /* EINVAL (a segment above the path's MTU), EIO (no checksum
       * offload on the device), ENOPROTOOPT: no GSO here. */
      if (errno == EINVAL || errno == EIO || errno == ENOPROTOOPT || errno == EOPNOTSUPP)
        self->gso = FALSE;
      return 0;
    }
#else
  return 0;
#endif
}

/* Up to 64 datagrams per sendmsg(2) (segmented when they are alike) or
 * sendmmsg(2), straight from the caller's vectors.  Whatever stops the
 * first one of a call is reported by nav_udp_transport_send() on that
 * datagram, so that both give the same errors. */
static gint
nav_udp_transport_send_messages (NavTransport            *transport,
                                 const NavAddress        *to,
                                 const NavOutputMessage  *messages,
                                 guint                    n_messages,
                                 GError                 **error)
{
  NavUdpTransport *self = NAV_UDP_TRANSPORT (transport);
  union {
    struct sockaddr sa;
    struct sockaddr_storage storage;
  } dest;
  struct mmsghdr batch[64];
  socklen_t dest_len;
  struct sockaddr *name;
  guint done = 0;
  gboolean retried = FALSE;
  int fd;

  if (self->closed || !self->initialized || to == NULL ||
      nav_address_get_family (to) != nav_address_get_family (&self->local))
    goto first_alone;
  dest_len = nav_address_copy_to_sockaddr (to, &dest.sa, sizeof (dest));
  name = &dest.sa;
  fd = self->fd;

  /* To the connected socket's peer: on it, without an address. */
  g_mutex_lock (&self->connected_lock);
  if (self->connected != NULL && nav_address_equal (to, &self->connected->peer))
    {
      fd = self->connected->fd;
      name = NULL;
      dest_len = 0;
    }

  while (done < n_messages)
    {
      guint n = MIN (n_messages - done, G_N_ELEMENTS (batch));
      guint segmented;
      gint sent;

      segmented = send_segmented (self, fd, name, dest_len, messages + done, n_messages - done);
      if (segmented > 0)
        {
          if (name == NULL)
            self->connected_sent += segmented;
          if (G_UNLIKELY (nav_pcap_on))
            capture_sent (self, to, messages + done, segmented);
          done += segmented;
          continue;
        }

      for (guint i = 0; i < n; i++)
        {
          const NavOutputMessage *m = &messages[done + i];
          guint n_vectors;

          nav_output_message_get_size (m, &n_vectors);
          batch[i] = (struct mmsghdr) {
            .msg_hdr = {
              .msg_name = name,
              .msg_namelen = dest_len,
              .msg_iov = (struct iovec *) m->buffers,
              .msg_iovlen = n_vectors,
            },
          };
        }
      sent = sendmmsg (fd, batch, n, 0);
      if (sent < 0)
        {
          int errsv = errno;

          if (errsv == EINTR)
            continue;
          /* An ICMP error of an earlier datagram, reported once. */
          if (nav_net_errno_is_icmp (errsv) && !retried)
            {
              retried = TRUE;
              continue;
            }
          g_mutex_unlock (&self->connected_lock);
          if (done > 0)
            return done;
          goto first_alone;
        }
      if (name == NULL)
        self->connected_sent += sent;
      if (G_UNLIKELY (nav_pcap_on))
        capture_sent (self, to, messages + done, sent);
      done += sent;
      if ((guint) sent < n)
        break;
    }
  g_mutex_unlock (&self->connected_lock);
  return done;

first_alone:
  {
    g_autofree guint8 *scratch = NULL;
    gsize scratch_size = 0, len;
    const guint8 *data = nav_output_message_gather (&messages[0], &len, &scratch,
                                                    &scratch_size);

    return nav_udp_transport_send (transport, to, data, len, error) ? 1 : -1;
  }
}

static void
nav_udp_transport_transport_init (NavTransportInterface *iface)
{
  iface->send = nav_udp_transport_send;
  iface->get_local_address = nav_udp_transport_get_local_address;
  iface->get_protocol = nav_udp_transport_get_protocol;
  iface->is_reliable = nav_udp_transport_is_reliable;
  iface->close = nav_udp_transport_close;
  iface->dup_sockets = nav_udp_transport_dup_sockets;
  iface->send_messages = nav_udp_transport_send_messages;
}

static void
nav_udp_transport_constructed (GObject *object)
{
  NavUdpTransport *self = NAV_UDP_TRANSPORT (object);

  G_OBJECT_CLASS (nav_udp_transport_parent_class)->constructed (object);

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
  nav_pcap_init ();
}

static void
nav_udp_transport_dispose (GObject *object)
{
  NavUdpTransport *self = NAV_UDP_TRANSPORT (object);

  close_with_error (self, NULL);

  G_OBJECT_CLASS (nav_udp_transport_parent_class)->dispose (object);
}

static void
nav_udp_transport_finalize (GObject *object)
{
  NavUdpTransport *self = NAV_UDP_TRANSPORT (object);

  g_clear_pointer (&self->reader, nav_net_udp_reader_free);
  g_slist_free_full (g_steal_pointer (&self->retired), (GDestroyNotify) connected_free);
  g_mutex_clear (&self->connected_lock);
  g_clear_object (&self->socket);
  g_clear_error (&self->init_error);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (nav_udp_transport_parent_class)->finalize (object);
}

static void
nav_udp_transport_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  NavUdpTransport *self = NAV_UDP_TRANSPORT (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_boxed (value, self->context);
      break;
    case PROP_LOCAL_ADDRESS:
      if (self->initialized)
        g_value_set_boxed (value, &self->local);
      else if (nav_address_is_valid (&self->requested))
        g_value_set_boxed (value, &self->requested);
      else
        g_value_set_boxed (value, NULL);
      break;
    case PROP_MIN_PORT:
      g_value_set_uint (value, self->min_port);
      break;
    case PROP_MAX_PORT:
      g_value_set_uint (value, self->max_port);
      break;
    case PROP_RECEIVE_BATCH:
      g_value_set_uint (value, self->receive_batch);
      break;
    case PROP_SOCKET:
      g_value_set_object (value, self->socket);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_udp_transport_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  NavUdpTransport *self = NAV_UDP_TRANSPORT (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_clear_pointer (&self->context, g_main_context_unref);
      self->context = g_value_dup_boxed (value);
      break;
    case PROP_LOCAL_ADDRESS:
      {
        const NavAddress *address = g_value_get_boxed (value);

        if (address != NULL)
          self->requested = *address;
        else
          nav_address_init (&self->requested);
      }
      break;
    case PROP_MIN_PORT:
      self->min_port = g_value_get_uint (value);
      break;
    case PROP_MAX_PORT:
      self->max_port = g_value_get_uint (value);
      break;
    case PROP_RECEIVE_BATCH:
      self->receive_batch = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_udp_transport_class_init (NavUdpTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = nav_udp_transport_constructed;
  object_class->dispose = nav_udp_transport_dispose;
  object_class->finalize = nav_udp_transport_finalize;
  object_class->get_property = nav_udp_transport_get_property;
  object_class->set_property = nav_udp_transport_set_property;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");

  /**
   * NavUdpTransport:local-address:
   *
   * At construction, the address to bind: an IPv4 or IPv6 address of a
   * local interface or a wildcard address, with port 0 for any port; the
   * port is ignored when [property@Nav.UdpTransport:max-port] is set.
   * %NULL binds the IPv4 wildcard address.  Once initialised, the bound
   * address, with its real port.
   *
   * This overrides [property@Nav.Transport:local-address], which is
   * read-only on the interface, to make it settable at construction.
   *
   * Since: 1.0
   */
  properties[PROP_LOCAL_ADDRESS] =
    g_param_spec_boxed ("local-address", NULL, NULL,
                        NAV_TYPE_ADDRESS,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_STATIC_STRINGS);

  /**
   * NavUdpTransport:min-port:
   *
   * The lowest port of the range to bind, used when
   * [property@Nav.UdpTransport:max-port] is not 0; 0 is taken as 1.
   *
   * Since: 1.0
   */
  properties[PROP_MIN_PORT] =
    g_param_spec_uint ("min-port", NULL, NULL,
                       0, G_MAXUINT16, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                       G_PARAM_STATIC_STRINGS);

  /**
   * NavUdpTransport:max-port:
   *
   * The highest port of the range to bind; 0 for no range (the port of
   * [property@Nav.UdpTransport:local-address] is used).  When every port
   * of the range is taken, initialisation fails with
   * %NAV_TRANSPORT_ERROR_NO_PORT_AVAILABLE.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_PORT] =
    g_param_spec_uint ("max-port", NULL, NULL,
                       0, G_MAXUINT16, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                       G_PARAM_STATIC_STRINGS);

  /**
   * NavUdpTransport:receive-batch:
   *
   * How many datagrams one system call reads.  The transport reserves
   * this many 64 KiB buffers once, at initialisation; pages no datagram
   * has filled are usually not backed by memory.
   *
   * Since: 1.0
   */
  properties[PROP_RECEIVE_BATCH] =
    g_param_spec_uint ("receive-batch", NULL, NULL,
                       1, MAX_RECEIVE_BATCH, DEFAULT_RECEIVE_BATCH,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                       G_PARAM_STATIC_STRINGS);

  /**
   * NavUdpTransport:socket:
   *
   * The UDP socket, once initialised.  Use it to read socket options or
   * set new ones (buffer sizes, DSCP, …), not to send or receive.
   *
   * Since: 1.0
   */
  properties[PROP_SOCKET] =
    g_param_spec_object ("socket", NULL, NULL,
                         G_TYPE_SOCKET,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property (object_class, PROP_LOCAL_ADDRESS,
                                   properties[PROP_LOCAL_ADDRESS]);
  g_object_class_install_property (object_class, PROP_MIN_PORT,
                                   properties[PROP_MIN_PORT]);
  g_object_class_install_property (object_class, PROP_MAX_PORT,
                                   properties[PROP_MAX_PORT]);
  g_object_class_install_property (object_class, PROP_RECEIVE_BATCH,
                                   properties[PROP_RECEIVE_BATCH]);
  g_object_class_install_property (object_class, PROP_SOCKET,
                                   properties[PROP_SOCKET]);
}

static void
nav_udp_transport_init (NavUdpTransport *self)
{
  nav_transport_mark_batches (NAV_TRANSPORT (self));
  nav_address_init (&self->requested);
  nav_address_init (&self->local);
  self->receive_batch = DEFAULT_RECEIVE_BATCH;
  self->fd = -1;
  g_mutex_init (&self->connected_lock);
}

/**
 * nav_udp_transport_new:
 * @address: the local address to bind, port 0 for any port
 * @context: (nullable): the main context of the transport, %NULL for the
 *   thread-default one
 * @error: return location for a #GError
 *
 * Opens a UDP socket bound to @address.
 *
 * Returns: (transfer full) (nullable): the new transport, or %NULL with
 *   @error set (%NAV_TRANSPORT_ERROR_BIND_FAILED when @address cannot be
 *   bound)
 *
 * Since: 1.0
 */
NavUdpTransport *
nav_udp_transport_new (const NavAddress  *address,
                       GMainContext      *context,
                       GError           **error)
{
  g_return_val_if_fail (address != NULL, NULL);
  g_return_val_if_fail (nav_address_is_valid (address), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (NAV_TYPE_UDP_TRANSPORT, NULL, error,
                         "local-address", address,
                         "context", context,
                         NULL);
}

/**
 * nav_udp_transport_new_range:
 * @address: the local address to bind; its port is ignored
 * @min_port: the lowest port of the range, 1 to 65535
 * @max_port: the highest port of the range, @min_port to 65535; 0 for any
 *   port
 * @context: (nullable): the main context of the transport, %NULL for the
 *   thread-default one
 * @error: return location for a #GError
 *
 * Opens a UDP socket bound to the first free port of a range, starting
 * from a random port of the range.
 *
 * Returns: (transfer full) (nullable): the new transport, or %NULL with
 *   @error set (%NAV_TRANSPORT_ERROR_NO_PORT_AVAILABLE when every port of
 *   the range is taken)
 *
 * Since: 1.0
 */
NavUdpTransport *
nav_udp_transport_new_range (const NavAddress  *address,
                             guint              min_port,
                             guint              max_port,
                             GMainContext      *context,
                             GError           **error)
{
  g_return_val_if_fail (address != NULL, NULL);
  g_return_val_if_fail (nav_address_is_valid (address), NULL);
  g_return_val_if_fail (min_port <= G_MAXUINT16 && max_port <= G_MAXUINT16, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (NAV_TYPE_UDP_TRANSPORT, NULL, error,
                         "local-address", address,
                         "min-port", min_port,
                         "max-port", max_port,
                         "context", context,
                         NULL);
}

/**
 * nav_udp_transport_get_socket:
 * @self: a UDP transport
 *
 * Returns the transport's socket, for socket options.  Do not read from
 * it: the transport's source does.
 *
 * Returns: (transfer none) (nullable): the socket, %NULL when the
 *   transport was never initialised
 *
 * Since: 1.0
 */
GSocket *
nav_udp_transport_get_socket (NavUdpTransport *self)
{
  g_return_val_if_fail (NAV_IS_UDP_TRANSPORT (self), NULL);

  return self->socket;
}

/* ------------------------------------------------- the connected socket */

gboolean
nav_udp_connected_enabled (void)
{
  return g_strcmp0 (g_getenv ("NAV_UDP_CONNECTED"), "0") != 0;
}

gboolean
nav_udp_transport_connect_peer (NavUdpTransport  *self,
                                const NavAddress *peer,
                                GError          **error)
{
  NavNetUdpConfig config = { self->receive_batch, RECEIVE_BUFFER_SIZE, 0,
                             MAX_BATCHES_PER_DISPATCH, FALSE };
  gchar buf[NAV_ADDRESS_STRING_LEN], local_buf[NAV_ADDRESS_STRING_LEN];
  g_autoptr (GError) local_error = NULL;
  Connected *c, *old;
  GSocket *socket;
  gboolean same;
  int fd, errsv = 0;

  g_return_val_if_fail (NAV_IS_UDP_TRANSPORT (self), FALSE);
  g_return_val_if_fail (peer != NULL && nav_address_is_valid (peer), FALSE);

  if (self->closed || !self->initialized)
    {
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_CLOSED,
                   _("The transport is closed"));
      return FALSE;
    }
  g_mutex_lock (&self->connected_lock);
  same = self->connected != NULL && nav_address_equal (&self->connected->peer, peer);
  g_mutex_unlock (&self->connected_lock);
  if (same)
    return TRUE;

  fd = nav_net_socket_open_connected (self->fd, &self->local, peer, &errsv);
  if (fd < 0)
    {
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_FAILED,
                   _("Could not connect a UDP socket from %s to %s: %s"),
                   nav_address_to_string_buf (&self->local, local_buf),
                   nav_address_to_string_buf (peer, buf), g_strerror (errsv));
      return FALSE;
    }
  socket = g_socket_new_from_fd (fd, &local_error);
  if (socket == NULL)
    {
      close (fd);
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_FAILED,
                   _("Could not create a UDP socket: %s"), local_error->message);
      return FALSE;
    }
  g_socket_set_blocking (socket, FALSE);

  c = g_new0 (Connected, 1);
  c->self = self;
  c->socket = socket;
  c->fd = fd;
  c->peer = *peer;
  config.gro = nav_net_udp_enable_gro (fd);
  c->reader = nav_net_udp_reader_new (&config);
#ifdef UDP_SEGMENT
  if (self->gso)
    {
      int zero = 0;

      setsockopt (fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof zero);
    }
#endif
  c->source = nav_net_udp_source_new (fd, self->context, G_SOURCE_FUNC (on_connected_readable), c,
                                      "NavUdpTransport connected");

  g_mutex_lock (&self->connected_lock);
  old = self->connected;
  self->connected = c;
  if (old != NULL)
    retire_locked (self, old);
  g_mutex_unlock (&self->connected_lock);

  g_debug ("UDP transport %s connected to %s",
           nav_address_to_string_buf (&self->local, local_buf),
           nav_address_to_string_buf (peer, buf));
  return TRUE;
}

void
nav_udp_transport_disconnect_peer (NavUdpTransport *self)
{
  Connected *old;

  g_return_if_fail (NAV_IS_UDP_TRANSPORT (self));

  g_mutex_lock (&self->connected_lock);
  old = self->connected;
  self->connected = NULL;
  if (old != NULL)
    retire_locked (self, old);
  g_mutex_unlock (&self->connected_lock);
}

gboolean
nav_udp_transport_get_connected_peer (NavUdpTransport *self,
                                      NavAddress      *peer)
{
  gboolean connected;

  g_return_val_if_fail (NAV_IS_UDP_TRANSPORT (self), FALSE);

  g_mutex_lock (&self->connected_lock);
  connected = self->connected != NULL;
  if (connected)
    *peer = self->connected->peer;
  g_mutex_unlock (&self->connected_lock);
  return connected;
}

void
nav_udp_transport_get_connected_counts (NavUdpTransport *self,
                                        guint64         *sent,
                                        guint64         *received)
{
  g_return_if_fail (NAV_IS_UDP_TRANSPORT (self));

  g_mutex_lock (&self->connected_lock);
  *sent = self->connected_sent;
  *received = self->connected_received;
  g_mutex_unlock (&self->connected_lock);
}
