/* nav-net-gso.c: batched UDP send with generic segmentation offload
 * (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A relay sends runs of datagrams of one size to one address: the
 * ChannelData of one channel, a peer's stream to one client.  With
 * UDP_SEGMENT (Linux 4.18) such a run leaves as one send: the kernel
 * builds, routes and hands down one buffer and cuts it into datagrams as
 * late as it can (in the driver, or at the receiving socket on
 * loopback), instead of doing all of that once a datagram.  The datagrams
 * on the wire are the same.  Runs of one datagram are sent as they are;
 * a kernel or device that refuses segmentation (EIO: no checksum
 * offload; EINVAL: a size above the path MTU) gets the run again one
 * datagram at a time (and after EIO no segmentation is tried again), as
 * does any run the kernel refuses whole, so that each datagram goes or
 * fails on its own as without segmentation.
 */
#include "config.h"

#include "nav-net-gso.h"

#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include <glib.h>

#if defined (__linux__) && !defined (UDP_SEGMENT)
#define UDP_SEGMENT 103
#endif

/* The kernel's UDP_MAX_SEGMENTS, and the most a datagram of 64 KiB
 * minus headers may carry. */
#define GSO_MAX_SEGMENTS 64
#define GSO_MAX_BYTES 65000

static gint gso_unavailable;   /* atomic: the kernel said EIO once */

static gboolean
same_destination (const NavNetSendBatch *b,
                  guint                  i,
                  guint                  j)
{
  const struct msghdr *x = &b->msgs[i].msg_hdr, *y = &b->msgs[j].msg_hdr;

  return x->msg_namelen == y->msg_namelen &&
         (x->msg_namelen == 0 || memcmp (x->msg_name, y->msg_name, x->msg_namelen) == 0);
}

#ifdef UDP_SEGMENT
typedef union
{
  char buf[CMSG_SPACE (sizeof (guint16))];
  struct cmsghdr align;
} SegmentControl;

/* The datagrams [@first, @first + @count) of @b one by one. */
static void
send_plain (NavNetSendBatch  *b,
            guint             first,
            guint             count,
            int               fd,
            NavNetSendResult *r)
{
  NavNetSendBatch one;

  one.n = 0;
  for (guint i = first; i < first + count; i++)
    nav_net_send_batch_add (&one, b->iov[i].iov_base, b->iov[i].iov_len,
                            b->msgs[i].msg_hdr.msg_name, b->msgs[i].msg_hdr.msg_namelen);
  nav_net_send_batch_flush (&one, fd, r);
}
#endif

void
nav_net_send_batch_flush_gso (NavNetSendBatch  *b,
                              int               fd,
                              NavNetSendResult *result)
{
#ifdef UDP_SEGMENT
  struct mmsghdr out[NAV_NET_SEND_BATCH];
  SegmentControl control[NAV_NET_SEND_BATCH];
  guint first[NAV_NET_SEND_BATCH], count[NAV_NET_SEND_BATCH];
  NavNetSendResult local = { 0 };
  guint i, m = 0, k = 0, n = b->n;
  gboolean runs = FALSE;

  if (n < 2 || g_atomic_int_get (&gso_unavailable))
    {
      nav_net_send_batch_flush (b, fd, result);
      return;
    }
  for (i = 0; i < n;)
    {
      gsize len = b->iov[i].iov_len, total = len;
      guint j = i + 1;
      struct msghdr *h = &out[m].msg_hdr;

      /* a run: one size, one address; the last datagram may be shorter */
      while (j < n && j - i < GSO_MAX_SEGMENTS && b->iov[j].iov_len <= len &&
             total + b->iov[j].iov_len <= GSO_MAX_BYTES && same_destination (b, i, j))
        {
          total += b->iov[j].iov_len;
          if (b->iov[j++].iov_len < len)
            break;
        }
      memset (h, 0, sizeof *h);
      h->msg_name = b->msgs[i].msg_hdr.msg_name;
      h->msg_namelen = b->msgs[i].msg_hdr.msg_namelen;
      h->msg_iov = &b->iov[i];
      h->msg_iovlen = j - i;
      if (j - i > 1)
        {
          struct cmsghdr *c;

          h->msg_control = control[m].buf;
          h->msg_controllen = sizeof control[m].buf;
          c = CMSG_FIRSTHDR (h);
          c->cmsg_level = SOL_UDP;
          c->cmsg_type = UDP_SEGMENT;
          c->cmsg_len = CMSG_LEN (sizeof (guint16));
          *(guint16 *) (void *) CMSG_DATA (c) = (guint16) len;
          runs = TRUE;
        }
      first[m] = i;
      count[m] = j - i;
      m++;
      i = j;
    }
  if (!runs)
    {
      nav_net_send_batch_flush (b, fd, result);
      return;
    }
  b->n = 0;
  while (k < m)
    {
      int r = sendmmsg (fd, out + k, m - k, 0);

      if (r > 0)
        {
          for (int x = 0; x < r; x++)
            {
              local.sent += count[k + x];
              for (guint y = 0; y < count[k + x]; y++)
                local.bytes += b->iov[first[k + x] + y].iov_len;
            }
          k += r;
          continue;
        }
      if (errno == EINTR)
        continue;
      if (count[k] > 1)
        {
          /* A run refused whole: no segmentation here (EIO), not for
           * this size (EINVAL), DF and one datagram above the path MTU
           * (EMSGSIZE), a full buffer: one datagram at a time, each
           * going or failing on its own. */
          if (errno == EIO)
            g_atomic_int_set (&gso_unavailable, TRUE);
          send_plain (b, first[k], count[k], fd, &local);
        }
      else
        {
          /* as nav_net_send_batch_flush(): the message is skipped (a
           * full buffer, DF above the path MTU, a bad destination) */
          if (errno == EMSGSIZE)
            local.failed_too_big += count[k];
          local.failed += count[k];
        }
      k++;
    }
  if (result != NULL)
    {
      result->sent += local.sent;
      result->bytes += local.bytes;
      result->failed += local.failed;
      result->failed_too_big += local.failed_too_big;
    }
#else
  nav_net_send_batch_flush (b, fd, result);
#endif
}
