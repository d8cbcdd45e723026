/* nav-net-udp.h: batched UDP receive and send (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <string.h>
#include <sys/socket.h>

#include <glib.h>

#include "netavanue/netavanue.h"

G_BEGIN_DECLS

/* One datagram read.  @data is followed by the rest of its buffer and
 * preceded by the reader's headroom, both writable until the datagram
 * callback of the next batch (a TURN server frames ChannelData in place,
 * in front of the payload). */
typedef struct
{
  guint8 *data;
  gsize len;
  const struct sockaddr *from;
  socklen_t from_len;
  gboolean truncated;   /* MSG_TRUNC: bigger than the buffer, cut short */
} NavNetDatagram;

typedef struct
{
  /* One datagram.  It may run a nested main loop on the context that
   * dispatches the reading source again: the datagrams after its own are
   * then delivered inside that loop, in order. */
  void     (*datagram)   (const NavNetDatagram *datagram,
                          gpointer              user_data);
  /* Optional: after the datagrams of one recvmmsg(2), before the buffers
   * are read into again (flush what points into them). */
  void     (*batch_done) (gpointer              user_data);
  /* Optional: TRUE stops the reading (the owner closed meanwhile). */
  gboolean (*stopped)    (gpointer              user_data);
  /* Optional: an ICMP error about an earlier datagram (on a connected
   * socket: the peer is unreachable).  Without it such errors are read
   * past. */
  void     (*icmp_error) (int                   errsv,
                          gpointer              user_data);
} NavNetUdpFuncs;

typedef struct
{
  guint batch;          /* datagrams per recvmmsg(2), at most 1024 */
  guint buffer_size;    /* bytes a datagram may have; more is truncated */
  guint headroom;       /* writable bytes in front of each datagram */
  guint max_batches;    /* batches per drain, so other sources get a turn */
  /* Optional: the socket has UDP_GRO on (nav_net_udp_enable_gro()): a
   * message may hold several datagrams of one sender, coalesced by the
   * kernel; they are delivered one by one, as if read apart.  Needs a
   * headroom of 0 and a buffer_size of 65536. */
  gboolean gro;
} NavNetUdpConfig;

typedef struct _NavNetUdpReader NavNetUdpReader;

/* Buffers are allocated once, here; pages no datagram touched are
 * usually not backed by memory. */
NavNetUdpReader *nav_net_udp_reader_new   (const NavNetUdpConfig *config);
void             nav_net_udp_reader_free  (NavNetUdpReader       *reader);

/* Reads @fd until it is empty (or max_batches batches were read),
 * handing each datagram to @funcs.  ICMP-induced errors (an earlier
 * datagram was refused) are read past.  Returns 0, or the errno of an
 * error that is not transient.  Re-entrant for one reader: see
 * NavNetUdpFuncs.datagram. */
int              nav_net_udp_reader_drain (NavNetUdpReader       *reader,
                                           int                    fd,
                                           const NavNetUdpFuncs  *funcs,
                                           gpointer               user_data);

/* Reads one entry of the error queue of @fd (IP_RECVERR): TRUE with,
 * for an ICMP error about an earlier datagram, the address it was sent to
 * in @offender and the error in *@errsv (0 for an entry that is no ICMP
 * error, or whose address is unknown); FALSE when the queue is empty. */
gboolean         nav_net_udp_read_error (int         fd,
                                         NavAddress *offender,
                                         int        *errsv);
/* Reads and drops what waits on the error queue of @fd (IP_RECVERR);
 * the socket polls as G_IO_ERR until it is read. */
void             nav_net_udp_drain_error_queue (int fd);

/* A source on @fd readable (and G_IO_ERR), attached to @context.  It may
 * recurse: GLib then neither removes the descriptor from the poll set
 * around each dispatch nor wakes the context to put it back (a write(2)
 * and a read(2) of the context's eventfd per dispatch otherwise). */
GSource         *nav_net_udp_source_new   (int                    fd,
                                           GMainContext          *context,
                                           GSourceFunc            callback,
                                           gpointer               user_data,
                                           const gchar           *name);

/* UDP_GRO (Linux 5.0): the kernel may hand datagrams of one flow to
 * @fd as one buffer, the segments' size in a control message.  FALSE
 * where unsupported. */
gboolean         nav_net_udp_enable_gro  (int                    fd);

/* Datagrams to send in one sendmmsg(2).  Their bytes are not copied:
 * they must stay valid until the flush. */
#define NAV_NET_SEND_BATCH 64

typedef struct
{
  struct mmsghdr msgs[NAV_NET_SEND_BATCH];
  struct iovec iov[NAV_NET_SEND_BATCH];
  struct sockaddr_storage addr[NAV_NET_SEND_BATCH];
  guint n;
} NavNetSendBatch;

typedef struct
{
  guint sent;
  guint64 bytes;
  guint failed;
  guint failed_too_big; /* EMSGSIZE: above the path MTU with DF set */
} NavNetSendResult;

static inline gboolean
nav_net_send_batch_is_full (const NavNetSendBatch *batch)
{
  return batch->n == NAV_NET_SEND_BATCH;
}

/* The caller flushes a full batch first.  Inline: once per relayed
 * datagram. */
static inline void
nav_net_send_batch_add (NavNetSendBatch       *b,
                        const void            *data,
                        gsize                  len,
                        const struct sockaddr *to,
                        socklen_t              to_len)
{
  guint i = b->n++;
  struct msghdr *hdr = &b->msgs[i].msg_hdr;

  g_assert (i < NAV_NET_SEND_BATCH);
  b->iov[i].iov_base = (void *) data;
  b->iov[i].iov_len = len;
  if (to_len > sizeof b->addr[i])
    to_len = sizeof b->addr[i];
  memcpy (&b->addr[i], to, to_len);
  hdr->msg_name = &b->addr[i];
  hdr->msg_namelen = to_len;
  hdr->msg_iov = &b->iov[i];
  hdr->msg_iovlen = 1;
  hdr->msg_control = NULL;
  hdr->msg_controllen = 0;
  hdr->msg_flags = 0;
}
/* Sends and empties the batch.  A datagram the kernel refuses (full
 * buffer, bad destination) is skipped and counted; @result may be NULL. */
void  nav_net_send_batch_flush (NavNetSendBatch       *batch,
                                int                    fd,
                                NavNetSendResult      *result);

G_END_DECLS
