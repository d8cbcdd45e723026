/* nav-net-udp.c: batched UDP receive and send (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The receive path NavUdpTransport was tuned with, shared by every UDP
 * socket of the project: recvmmsg(2) straight into sockaddr_storage and
 * buffers allocated once, no GSocketAddress (two GObjects) or GBytes per
 * datagram, a source that may recurse.
 */
#include "config.h"

#include "nav-net-udp.h"
#include "nav-net-socket.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#ifdef __linux__
#include <linux/errqueue.h>
#endif

#include <glib-unix.h>

#if defined (__linux__) && defined (MSG_WAITFORONE)
#define NAV_NET_RECVMMSG 1
#endif

/* recvmmsg() takes at most UIO_MAXIOV (1024) messages. */
#define MAX_BATCH 1024
/* A drain nested in a datagram handler reads into buffers of its own:
 * the handlers below it may still hold pointers into the reader's. */
#define NESTED_BATCH 4

/* The control message of UDP_GRO: the segments' size. */
#define GRO_CONTROL_SIZE CMSG_SPACE (sizeof (int))

typedef struct
{
  struct mmsghdr *mmsgs;
  struct iovec *iovecs;
  struct sockaddr_storage *peers;
  guint8 *buffers;
  guint8 *controls;     /* GRO_CONTROL_SIZE per message, with gro */
  gboolean own_buffers;
  guint size;
  gint n;               /* messages read */
  gint next;            /* the next one to deliver */
  gsize offset;         /* in it, the next segment of a GRO aggregate */
} Batch;

struct _NavNetUdpReader
{
  NavNetUdpConfig config;
  gsize stride;         /* headroom + buffer_size */
  Batch *batch;
  /* The batches being delivered, one per drain in progress: a nested
   * main loop run by a handler drains again. */
  GPtrArray *delivering;
};

static Batch *
batch_new (guint     size,
           gsize     stride,
           guint     headroom,
           guint     buffer_size,
           gboolean  gro)
{
  Batch *b = g_new0 (Batch, 1);
  guint i;

  b->size = size;
  b->buffers = g_malloc ((gsize) size * stride);
  if (gro)
    b->controls = g_malloc0 ((gsize) size * GRO_CONTROL_SIZE);
  b->mmsgs = g_new0 (struct mmsghdr, size);
  b->iovecs = g_new0 (struct iovec, size);
  b->peers = g_new0 (struct sockaddr_storage, size);
  for (i = 0; i < size; i++)
    {
      b->iovecs[i].iov_base = b->buffers + (gsize) i * stride + headroom;
      b->iovecs[i].iov_len = buffer_size;
      b->mmsgs[i].msg_hdr.msg_name = &b->peers[i];
      b->mmsgs[i].msg_hdr.msg_iov = &b->iovecs[i];
      b->mmsgs[i].msg_hdr.msg_iovlen = 1;
    }
  return b;
}

static void
batch_free (Batch *b)
{
  if (b == NULL)
    return;
  g_free (b->mmsgs);
  g_free (b->iovecs);
  g_free (b->peers);
  g_free (b->buffers);
  g_free (b->controls);
  g_free (b);
}

NavNetUdpReader *
nav_net_udp_reader_new (const NavNetUdpConfig *config)
{
  NavNetUdpReader *r = g_new0 (NavNetUdpReader, 1);

  r->config = *config;
  r->config.batch = CLAMP (r->config.batch, 1, MAX_BATCH);
  r->config.buffer_size = MAX (r->config.buffer_size, 1);
  r->config.max_batches = MAX (r->config.max_batches, 1);
  /* Segments are cut out of one buffer: nothing in front of them. */
  if (r->config.headroom > 0)
    r->config.gro = FALSE;
  r->stride = r->config.headroom + r->config.buffer_size;
  r->batch = batch_new (r->config.batch, r->stride, r->config.headroom, r->config.buffer_size,
                        r->config.gro);
  r->delivering = g_ptr_array_new ();
  return r;
}

void
nav_net_udp_reader_free (NavNetUdpReader *r)
{
  if (r == NULL)
    return;
  batch_free (r->batch);
  g_ptr_array_unref (r->delivering);
  g_free (r);
}

static inline gboolean
is_stopped (const NavNetUdpFuncs *funcs,
            gpointer              user_data)
{
  return funcs->stopped != NULL && funcs->stopped (user_data);
}

/* The segment size of a message that UDP_GRO coalesced, or 0. */
static gsize
gro_segment_size (struct msghdr *hdr)
{
#ifdef UDP_GRO
  struct cmsghdr *cmsg;

  if (hdr->msg_control == NULL)
    return 0;
  for (cmsg = CMSG_FIRSTHDR (hdr); cmsg != NULL; cmsg = CMSG_NXTHDR (hdr, cmsg))
    if (cmsg->cmsg_level == SOL_UDP && cmsg->cmsg_type == UDP_GRO)
      {
        int size;

        memcpy (&size, CMSG_DATA (cmsg), sizeof size);
        return size > 0 ? (gsize) size : 0;
      }
#endif
  return 0;
}

/* The position moves before the handler runs: a nested drain goes on
 * from the next datagram (or segment), and this loop stops where that
 * one did. */
static void
deliver_pending (Batch                *b,
                 const NavNetUdpFuncs *funcs,
                 gpointer              user_data)
{
  while (b->next < b->n && !is_stopped (funcs, user_data))
    {
      struct msghdr *hdr = &b->mmsgs[b->next].msg_hdr;
      gsize len = b->mmsgs[b->next].msg_len;
      gsize segment = gro_segment_size (hdr);
      NavNetDatagram d;

      d.data = hdr->msg_iov->iov_base;
      d.len = len;
      d.from = hdr->msg_name;
      d.from_len = hdr->msg_namelen;
      d.truncated = (hdr->msg_flags & MSG_TRUNC) != 0;
      /* RFC 768 datagrams the kernel coalesced: each segment is one, the
       * last possibly shorter. */
      if (segment > 0 && segment < len && !d.truncated)
        {
          d.data += b->offset;
          d.len = MIN (segment, len - b->offset);
          b->offset += d.len;
          if (b->offset >= len)
            {
              b->offset = 0;
              b->next++;
            }
        }
      else
        b->next++;
      funcs->datagram (&d, user_data);
    }
}

#ifdef NAV_NET_RECVMMSG
static int
read_batch (Batch *b,
            int    fd)
{
  guint i;

  for (i = 0; i < b->size; i++)
    {
      b->mmsgs[i].msg_hdr.msg_namelen = sizeof (struct sockaddr_storage);
      b->mmsgs[i].msg_hdr.msg_control = b->controls != NULL ? b->controls + i * GRO_CONTROL_SIZE
                                                            : NULL;
      b->mmsgs[i].msg_hdr.msg_controllen = b->controls != NULL ? GRO_CONTROL_SIZE : 0;
      b->mmsgs[i].msg_hdr.msg_flags = 0;
      b->mmsgs[i].msg_len = 0;
    }
  return recvmmsg (fd, b->mmsgs, b->size, MSG_DONTWAIT, NULL);
}
#else
/* One recvmsg(2) at a time where recvmmsg(2) is missing. */
static int
read_batch (Batch *b,
            int    fd)
{
  guint i;

  for (i = 0; i < b->size; i++)
    {
      ssize_t n;

      b->mmsgs[i].msg_hdr.msg_namelen = sizeof (struct sockaddr_storage);
      b->mmsgs[i].msg_hdr.msg_control = NULL;
      b->mmsgs[i].msg_hdr.msg_controllen = 0;
      b->mmsgs[i].msg_hdr.msg_flags = 0;
      n = recvmsg (fd, &b->mmsgs[i].msg_hdr, MSG_DONTWAIT);
      if (n < 0)
        return i > 0 ? (int) i : -1;
      b->mmsgs[i].msg_len = n;
    }
  return b->size;
}
#endif

int
nav_net_udp_reader_drain (NavNetUdpReader      *r,
                          int                   fd,
                          const NavNetUdpFuncs *funcs,
                          gpointer              user_data)
{
  Batch *batch;
  guint depth, d, batches;
  int failure = 0;

  depth = r->delivering->len;
  for (d = 0; d < depth; d++)
    deliver_pending (g_ptr_array_index (r->delivering, d), funcs, user_data);
  batch = depth == 0 ? r->batch
                     : batch_new (NESTED_BATCH, r->stride, r->config.headroom,
                                  r->config.buffer_size, r->config.gro);
  g_ptr_array_add (r->delivering, batch);

  for (batches = 0; batches < r->config.max_batches && !is_stopped (funcs, user_data); batches++)
    {
      int n = read_batch (batch, fd);

      if (n < 0)
        {
          int errsv = errno;

          if (errsv == EAGAIN || errsv == EWOULDBLOCK)
            break;
          /* Reading an ICMP-induced error clears it; datagrams may
           * follow. */
          if (errsv == EINTR)
            continue;
          if (nav_net_errno_is_icmp (errsv))
            {
              if (funcs->icmp_error != NULL)
                funcs->icmp_error (errsv, user_data);
              continue;
            }
          failure = errsv;
          break;
        }
      batch->n = n;
      batch->next = 0;
      batch->offset = 0;
      deliver_pending (batch, funcs, user_data);
      if (funcs->batch_done != NULL)
        funcs->batch_done (user_data);
      /* Fewer than asked: the queue is empty, and the poll (level-
       * triggered) says when it is not — no recvmmsg() just for EAGAIN. */
      if ((guint) n < batch->size)
        break;
    }
  batch->n = batch->next = 0;

  g_ptr_array_remove_index (r->delivering, depth);
  if (depth > 0)
    batch_free (batch);
  return failure;
}

gboolean
nav_net_udp_enable_gro (int fd)
{
#ifdef UDP_GRO
  int one = 1;

  return setsockopt (fd, SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
#else
  return FALSE;
#endif
}

gboolean
nav_net_udp_read_error (int         fd,
                        NavAddress *offender,
                        int        *errsv)
{
#ifdef MSG_ERRQUEUE
  struct sockaddr_storage ss;
  union {
    struct cmsghdr align;
    guint8 buf[512];
  } control;
  guint8 data[64];
  struct iovec iov = { data, sizeof data };
  struct msghdr msg = { 0 };
  struct cmsghdr *cmsg;

  *errsv = 0;
  msg.msg_name = &ss;
  msg.msg_namelen = sizeof ss;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  if (recvmsg (fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
    return FALSE;
  if (!nav_address_set_from_sockaddr (offender, (struct sockaddr *) &ss, msg.msg_namelen))
    return TRUE;
  for (cmsg = CMSG_FIRSTHDR (&msg); cmsg != NULL; cmsg = CMSG_NXTHDR (&msg, cmsg))
    {
      struct sock_extended_err ee;

      if (!((cmsg->cmsg_level == IPPROTO_IP && cmsg->cmsg_type == IP_RECVERR) ||
            (cmsg->cmsg_level == IPPROTO_IPV6 && cmsg->cmsg_type == IPV6_RECVERR)))
        continue;
      memcpy (&ee, CMSG_DATA (cmsg), sizeof ee);
      if (ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6)
        *errsv = ee.ee_errno;
    }
  return TRUE;
#else
  return FALSE;
#endif
}

void
nav_net_udp_drain_error_queue (int fd)
{
  NavAddress offender;
  int errsv;
  guint i;

  for (i = 0; i < 64 && nav_net_udp_read_error (fd, &offender, &errsv); i++)
    ;
}

GSource *
nav_net_udp_source_new (int           fd,
                        GMainContext *context,
                        GSourceFunc   callback,
                        gpointer      user_data,
                        const gchar  *name)
{
  GSource *source = g_unix_fd_source_new (fd, G_IO_IN | G_IO_ERR);

  g_source_set_callback (source, callback, user_data, NULL);
  g_source_set_static_name (source, name);
  g_source_set_can_recurse (source, TRUE);
  g_source_attach (source, context);
  return source;
}

void
nav_net_send_batch_flush (NavNetSendBatch  *b,
                          int               fd,
                          NavNetSendResult *result)
{
  guint sent = 0, n = b->n;
  NavNetSendResult local = { 0 };

  b->n = 0;
  while (sent < n)
    {
#ifdef NAV_NET_RECVMMSG
      int r = sendmmsg (fd, b->msgs + sent, n - sent, 0);
#else
      int r = sendmsg (fd, &b->msgs[sent].msg_hdr, 0) < 0 ? -1 : 1;
#endif

      if (r <= 0)
        {
          if (r < 0 && errno == EINTR)
            continue;
          /* Skip the datagram that failed (EAGAIN: the socket buffer is
           * full; EMSGSIZE with DF: above the path MTU; anything else:
           * that destination is bad). */
          if (r < 0 && errno == EMSGSIZE)
            local.failed_too_big++;
          local.failed++;
          sent++;
          continue;
        }
      for (int i = 0; i < r; i++)
        local.bytes += b->iov[sent + i].iov_len;
      local.sent += r;
      sent += r;
    }
  if (result != NULL)
    {
      result->sent += local.sent;
      result->bytes += local.bytes;
      result->failed += local.failed;
      result->failed_too_big += local.failed_too_big;
    }
}
