/* nav-udp-transport.c: a NavTransport over a UDP socket
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <glib/gi18n-lib.h>

#include "netavanue/netavanue.h"
#include "nav-transport-private.h"

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
 * Since: 1.0
 */

/* A UDP payload is at most 65535 − 8 bytes (65507 over IPv4); 64 KiB holds
 * any of them, so a datagram is never truncated. */
#define RECEIVE_BUFFER_SIZE 65536

#define DEFAULT_RECEIVE_BATCH 32
/* recvmmsg() takes at most UIO_MAXIOV (1024) messages. */
#define MAX_RECEIVE_BATCH 1024
/* Batches read per dispatch before yielding to the other sources of the
 * main context; the socket stays readable so the source fires again. */
#define MAX_BATCHES_PER_DISPATCH 64

#if defined (__linux__) && defined (MSG_WAITFORONE)
#define NAV_UDP_RECVMMSG 1
#endif

#ifdef NAV_UDP_RECVMMSG
/* Datagrams read by one recvmmsg(2) call, delivered one by one. */
typedef struct
{
  struct mmsghdr *mmsgs;
  struct iovec *iovecs;
  struct sockaddr_storage *peers;
  guint8 *own_buffers;          /* NULL when the buffers are the transport's */
  guint size;
  gint n;                       /* datagrams read */
  gint next;                    /* the next one to deliver */
} RecvBatch;

/* A dispatch nested in a handler reads into buffers of its own: the
 * handlers below it may still hold pointers into theirs. */
#define NESTED_RECEIVE_BATCH 4

static RecvBatch *
recv_batch_new (guint   size,
                guint8 *buffers)
{
  RecvBatch *b = g_new0 (RecvBatch, 1);
  guint i;

  if (buffers == NULL)
    buffers = b->own_buffers = g_malloc ((gsize) size * RECEIVE_BUFFER_SIZE);
  b->size = size;
  b->mmsgs = g_new0 (struct mmsghdr, size);
  b->iovecs = g_new0 (struct iovec, size);
  b->peers = g_new0 (struct sockaddr_storage, size);
  for (i = 0; i < size; i++)
    {
      b->iovecs[i].iov_base = buffers + (gsize) i * RECEIVE_BUFFER_SIZE;
      b->iovecs[i].iov_len = RECEIVE_BUFFER_SIZE;
      b->mmsgs[i].msg_hdr.msg_name = &b->peers[i];
      b->mmsgs[i].msg_hdr.msg_iov = &b->iovecs[i];
      b->mmsgs[i].msg_hdr.msg_iovlen = 1;
    }
  return b;
}

static void
recv_batch_free (RecvBatch *b)
{
  if (b == NULL)
    return;
  g_free (b->mmsgs);
  g_free (b->iovecs);
  g_free (b->peers);
  g_free (b->own_buffers);
  g_free (b);
}
#endif

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

  GInputMessage *messages;
  GInputVector *vectors;
  GSocketAddress **addresses;
  guint8 *buffers;
#ifdef NAV_UDP_RECVMMSG
  /* recvmmsg(2) straight into sockaddr_storage: no GSocketAddress (two
   * GObjects) per datagram on the data path. */
  RecvBatch *batch;
  /* The batches being delivered, one per dispatch in progress: a nested
   * main loop run by a handler dispatches the source again. */
  GPtrArray *delivering;
#endif

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

#ifndef NAV_UDP_RECVMMSG
/* Errors the kernel reports on a UDP socket because of an ICMP message
 * about an earlier send: not about this socket's health. */
static gboolean
is_icmp_error (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
}
#endif

static gboolean
is_icmp_errno (int errsv)
{
  return errsv == ECONNREFUSED || errsv == EHOSTUNREACH ||
         errsv == ENETUNREACH || errsv == EHOSTDOWN;
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

/* With IP_RECVERR or IPV6_RECVERR set by the application, ICMP errors
 * also wait on the socket's error queue, and the socket polls as G_IO_ERR
 * until that queue is read: read and drop them, or the source would spin. */
static void
drain_error_queue (NavUdpTransport *self)
{
#ifdef MSG_ERRQUEUE
  guint i;

  for (i = 0; i < 64; i++)
    {
      guint8 data[256];
      union {
        struct cmsghdr align;
        guint8 buf[512];
      } control;
      struct iovec iov = { data, sizeof (data) };
      struct msghdr msg = { 0 };

      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control.buf;
      msg.msg_controllen = sizeof (control.buf);
      if (recvmsg (self->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
        break;
    }
#endif
}

#ifdef NAV_UDP_RECVMMSG
static void
deliver_pending (NavUdpTransport *self,
                 RecvBatch       *b)
{
  /* The index moves before the handler runs: a nested dispatch goes on
   * from the next datagram, and this loop stops where that one did. */
  while (b->next < b->n && !self->closed)
    {
      struct msghdr *hdr = &b->mmsgs[b->next].msg_hdr;
      guint len = b->mmsgs[b->next].msg_len;
      NavAddress from;

      b->next++;
      nav_address_init (&from);
      if (nav_address_set_from_sockaddr (&from, hdr->msg_name, hdr->msg_namelen) &&
          !(hdr->msg_flags & MSG_TRUNC))
        nav_transport_deliver (NAV_TRANSPORT (self), hdr->msg_iov->iov_base, len, &from);
    }
}

/* The source may recurse (g_source_set_can_recurse()): GLib then neither
 * removes the descriptor from the poll set around each dispatch nor wakes
 * the context up to put it back — a write(2) and a read(2) of the
 * context's eventfd per dispatch otherwise.  A handler that runs a nested
 * main loop gets the rest of the datagrams below it first, in order. */
static gboolean
on_socket_readable (GSocket      *socket,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  NavUdpTransport *self = user_data;
  RecvBatch *batch;
  guint depth, d, batches;

  /* A handler may drop the last reference or close the transport. */
  g_object_ref (self);

  depth = self->delivering->len;
  for (d = 0; d < depth; d++)
    deliver_pending (self, g_ptr_array_index (self->delivering, d));
  batch = depth == 0 ? self->batch : recv_batch_new (NESTED_RECEIVE_BATCH, NULL);
  g_ptr_array_add (self->delivering, batch);

  for (batches = 0; batches < MAX_BATCHES_PER_DISPATCH && !self->closed; batches++)
    {
      gint n;
      guint i;

      for (i = 0; i < batch->size; i++)
        {
          batch->mmsgs[i].msg_hdr.msg_namelen = sizeof (struct sockaddr_storage);
          batch->mmsgs[i].msg_hdr.msg_flags = 0;
          batch->mmsgs[i].msg_len = 0;
        }
      n = recvmmsg (self->fd, batch->mmsgs, batch->size, MSG_DONTWAIT, NULL);
      if (n < 0)
        {
          g_autoptr (GError) error = NULL;
          int errsv = errno;

          if (errsv == EAGAIN || errsv == EWOULDBLOCK)
            break;
          /* Reading an ICMP-induced error clears it; datagrams may follow. */
          if (errsv == EINTR || is_icmp_errno (errsv))
            continue;
          error = g_error_new_literal (G_IO_ERROR, g_io_error_from_errno (errsv),
                                       g_strerror (errsv));
          g_debug ("Receiving on the UDP socket failed: %s", error->message);
          close_with_error (self, error);
          break;
        }
      batch->n = n;
      batch->next = 0;
      deliver_pending (self, batch);
      /* Fewer than asked: the queue is empty, and the poll (level-
       * triggered) says when it is not — no recvmmsg() just for EAGAIN. */
      if ((guint) n < batch->size)
        break;
    }
  batch->n = batch->next = 0;

  g_ptr_array_remove_index (self->delivering, depth);
  if (depth > 0)
    recv_batch_free (batch);

  /* After the receive loop, which reads and ignores the pending error:
   * dequeuing the error queue would clear it too. */
  if ((condition & G_IO_ERR) && !self->closed)
    drain_error_queue (self);

  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}
#else
static gboolean
on_socket_readable (GSocket      *socket,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  NavUdpTransport *self = user_data;
  guint batches;

  /* A handler may drop the last reference or close the transport. */
  g_object_ref (self);

  for (batches = 0; batches < MAX_BATCHES_PER_DISPATCH && !self->closed; batches++)
    {
      g_autoptr (GError) error = NULL;
      gint n, i;

      for (i = 0; i < (gint) self->receive_batch; i++)
        {
          self->messages[i].bytes_received = 0;
          self->messages[i].flags = 0;
        }

      n = g_socket_receive_messages (self->socket, self->messages,
                                     self->receive_batch, 0, NULL, &error);
      if (n < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            break;
          if (is_icmp_error (error))
            {
              /* Reading the error cleared it; datagrams may follow. */
              g_debug ("Ignoring ICMP-induced error on UDP socket: %s",
                       error->message);
              continue;
            }
          g_debug ("Receiving on the UDP socket failed: %s", error->message);
          close_with_error (self, error);
          break;
        }

      for (i = 0; i < n; i++)
        {
          GInputMessage *message = &self->messages[i];
          NavAddress from;

          nav_address_init (&from);
          if (*message->address != NULL &&
              nav_address_set_from_socket_address (&from, *message->address, NULL) &&
              !(message->flags & MSG_TRUNC) && !self->closed)
            nav_transport_deliver (NAV_TRANSPORT (self),
                                   message->vectors[0].buffer,
                                   message->bytes_received, &from);
          g_clear_object (message->address);
        }

      if (n == 0)
        break;
    }

  if ((condition & G_IO_ERR) && !self->closed)
    drain_error_queue (self);

  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}
#endif

/* bind() on the descriptor: the caller words the error, with the OS's
 * reason and without GLib's own prefix. */
static int
bind_socket (NavUdpTransport  *self,
             const NavAddress *address)
{
  union {
    struct sockaddr sa;
    struct sockaddr_storage storage;
  } native;
  gsize len = nav_address_copy_to_sockaddr (address, &native.sa, sizeof (native));

  if (bind (g_socket_get_fd (self->socket), &native.sa, len) < 0)
    return errno;
  return 0;
}

static gboolean
bind_in_range (NavUdpTransport  *self,
               NavAddress       *address,
               GError          **error)
{
  gchar buf[NAV_ADDRESS_STRING_LEN];
  guint min_port = MAX (self->min_port, 1);
  guint max_port = self->max_port;
  guint span, start, i;

  if (min_port > max_port)
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("Invalid port range %u–%u"), self->min_port, self->max_port);
      return FALSE;
    }

  /* A random start spreads transports over the range and makes the next
   * port harder to guess, as libnice does. */
  span = max_port - min_port + 1;
  start = g_random_int_range (0, span);
  for (i = 0; i < span; i++)
    {
      guint port = min_port + (start + i) % span;
      int errsv;

      nav_address_set_port (address, port);
      errsv = bind_socket (self, address);
      if (errsv == 0)
        return TRUE;

      /* Taken, or privileged: try the next one. */
      if (errsv != EADDRINUSE && errsv != EACCES)
        {
          g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_BIND_FAILED,
                       _("Could not bind %s: %s"),
                       nav_address_to_string_buf (address, buf), g_strerror (errsv));
          return FALSE;
        }
    }

  nav_address_set_port (address, 0);
  g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NO_PORT_AVAILABLE,
               _("No free UDP port between %u and %u on %s"),
               min_port, max_port, nav_address_to_string_buf (address, buf));
  return FALSE;
}

static gboolean
open_socket (NavUdpTransport  *self,
             GError          **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GSocketAddress) bound = NULL;
  NavAddress address = self->requested;
  GSocketFamily family;
  gchar buf[NAV_ADDRESS_STRING_LEN];
#ifndef NAV_UDP_RECVMMSG
  guint i;
#endif

  if (!nav_address_is_valid (&address))
    {
      /* No address given: the IPv4 wildcard, as a plain socket would. */
      nav_address_init (&address);
      nav_address_set_ipv4 (&address, INADDR_ANY);
    }
  family = nav_address_get_family (&address);

  self->socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM,
                               G_SOCKET_PROTOCOL_UDP, &local_error);
  if (self->socket == NULL)
    {
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_FAILED,
                   _("Could not create a UDP socket: %s"), local_error->message);
      return FALSE;
    }
  g_socket_set_blocking (self->socket, FALSE);

  if (family == G_SOCKET_FAMILY_IPV6 &&
      !g_socket_set_option (self->socket, IPPROTO_IPV6, IPV6_V6ONLY, 1, &local_error))
    {
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_FAILED,
                   _("Could not make the UDP socket IPv6 only: %s"),
                   local_error->message);
      return FALSE;
    }

  if (self->max_port != 0)
    {
      if (!bind_in_range (self, &address, error))
        return FALSE;
    }
  else
    {
      int errsv = bind_socket (self, &address);

      if (errsv != 0)
        {
          g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_BIND_FAILED,
                       _("Could not bind %s: %s"),
                       nav_address_to_string_buf (&address, buf), g_strerror (errsv));
          return FALSE;
        }
    }

  bound = g_socket_get_local_address (self->socket, &local_error);
  if (bound == NULL ||
      !nav_address_set_from_socket_address (&self->local, bound, &local_error))
    {
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_BIND_FAILED,
                   _("Could not read the bound address of the UDP socket: %s"),
                   local_error->message);
      return FALSE;
    }
  self->fd = g_socket_get_fd (self->socket);

  self->buffers = g_malloc ((gsize) self->receive_batch * RECEIVE_BUFFER_SIZE);
#ifdef NAV_UDP_RECVMMSG
  self->batch = recv_batch_new (self->receive_batch, self->buffers);
  self->delivering = g_ptr_array_new ();
#else
  self->messages = g_new0 (GInputMessage, self->receive_batch);
  self->vectors = g_new0 (GInputVector, self->receive_batch);
  self->addresses = g_new0 (GSocketAddress *, self->receive_batch);
  for (i = 0; i < self->receive_batch; i++)
    {
      self->vectors[i].buffer = self->buffers + (gsize) i * RECEIVE_BUFFER_SIZE;
      self->vectors[i].size = RECEIVE_BUFFER_SIZE;
      self->messages[i].address = &self->addresses[i];
      self->messages[i].vectors = &self->vectors[i];
      self->messages[i].num_vectors = 1;
    }
#endif

  self->source = g_socket_create_source (self->socket, G_IO_IN, NULL);
  g_source_set_callback (self->source, G_SOURCE_FUNC (on_socket_readable), self, NULL);
  g_source_set_static_name (self->source, "NavUdpTransport");
#ifdef NAV_UDP_RECVMMSG
  g_source_set_can_recurse (self->source, TRUE);
#endif
  g_source_attach (self->source, self->context);

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
  int errsv;

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

  /* sendto() on the descriptor: no GSocketAddress per datagram. */
  for (;;)
    {
      sent = sendto (self->fd, data, len, 0, &dest.sa, dest_len);
      if (sent >= 0)
        return TRUE;

      errsv = errno;
      if (errsv == EINTR)
        continue;
      /* An ICMP error from an earlier datagram is reported once, by the
       * next call: this datagram was not sent, so send it again. */
      if (is_icmp_errno (errsv) && !retried)
        {
          retried = TRUE;
          continue;
        }
      break;
    }

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
  return sockets;
}

#ifdef NAV_UDP_RECVMMSG
/* The vectors of a NavOutputMessage go to sendmmsg(2) as they are. */
G_STATIC_ASSERT (sizeof (GOutputVector) == sizeof (struct iovec));
G_STATIC_ASSERT (G_STRUCT_OFFSET (GOutputVector, buffer) == G_STRUCT_OFFSET (struct iovec, iov_base));
G_STATIC_ASSERT (G_STRUCT_OFFSET (GOutputVector, size) == G_STRUCT_OFFSET (struct iovec, iov_len));

/* Up to 64 datagrams per sendmmsg(2), straight from the caller's
 * vectors.  Whatever stops the first one of a call is reported by
 * nav_udp_transport_send() on that datagram, so that both give the same
 * errors. */
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
  guint done = 0;
  gboolean retried = FALSE;

  if (self->closed || !self->initialized || to == NULL ||
      nav_address_get_family (to) != nav_address_get_family (&self->local))
    goto first_alone;
  dest_len = nav_address_copy_to_sockaddr (to, &dest.sa, sizeof (dest));

  while (done < n_messages)
    {
      guint n = MIN (n_messages - done, G_N_ELEMENTS (batch));
      gint sent;

      for (guint i = 0; i < n; i++)
        {
          const NavOutputMessage *m = &messages[done + i];
          guint n_vectors;

          nav_output_message_get_size (m, &n_vectors);
          batch[i] = (struct mmsghdr) {
            .msg_hdr = {
              .msg_name = &dest.sa,
              .msg_namelen = dest_len,
              .msg_iov = (struct iovec *) m->buffers,
              .msg_iovlen = n_vectors,
            },
          };
        }
      sent = sendmmsg (self->fd, batch, n, 0);
      if (sent < 0)
        {
          int errsv = errno;

          if (errsv == EINTR)
            continue;
          /* An ICMP error of an earlier datagram, reported once. */
          if (is_icmp_errno (errsv) && !retried)
            {
              retried = TRUE;
              continue;
            }
          if (done > 0)
            return done;
          goto first_alone;
        }
      done += sent;
      if ((guint) sent < n)
        break;
    }
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
#endif

static void
nav_udp_transport_transport_init (NavTransportInterface *iface)
{
  iface->send = nav_udp_transport_send;
  iface->get_local_address = nav_udp_transport_get_local_address;
  iface->get_protocol = nav_udp_transport_get_protocol;
  iface->is_reliable = nav_udp_transport_is_reliable;
  iface->close = nav_udp_transport_close;
  iface->dup_sockets = nav_udp_transport_dup_sockets;
#ifdef NAV_UDP_RECVMMSG
  iface->send_messages = nav_udp_transport_send_messages;
#endif
}

static void
nav_udp_transport_constructed (GObject *object)
{
  NavUdpTransport *self = NAV_UDP_TRANSPORT (object);

  G_OBJECT_CLASS (nav_udp_transport_parent_class)->constructed (object);

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
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
  guint i;

  if (self->addresses != NULL)
    for (i = 0; i < self->receive_batch; i++)
      g_clear_object (&self->addresses[i]);
  g_free (self->addresses);
  g_free (self->messages);
  g_free (self->vectors);
  g_free (self->buffers);
#ifdef NAV_UDP_RECVMMSG
  recv_batch_free (self->batch);
  g_clear_pointer (&self->delivering, g_ptr_array_unref);
#endif
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
  nav_address_init (&self->requested);
  nav_address_init (&self->local);
  self->receive_batch = DEFAULT_RECEIVE_BATCH;
  self->fd = -1;
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
