/* nav-turn-server-relay.c: the TURN server's UDP paths: datagrams from
 * clients on the listeners, from peers on the relay sockets, and to both,
 * read and sent in batches (RFC 8656 §11, §12)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-turn-server-private.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>

static gboolean
bandwidth_ok (Allocation *alloc,
              gsize       bytes,
              gint64      now)
{
  guint64 bps = alloc->server->max_bps;

  if (bps == 0)
    return TRUE;
  if (now > alloc->bucket_time)
    {
      gint64 add = (gint64) ((now - alloc->bucket_time) * (gdouble) bps / G_USEC_PER_SEC);

      alloc->tokens = MIN ((gint64) bps, alloc->tokens + add);
      alloc->bucket_time = now;
    }
  if (alloc->tokens < (gint64) bytes)
    return FALSE;
  alloc->tokens -= bytes;
  return TRUE;
}

/* RFC 8656 §11.3 (and §14's IP header rules): DF set only when asked
 * for, so that a datagram too big for the path is dropped rather than
 * fragmented; otherwise DF is clear and the kernel fragments.  The socket
 * option is flipped only when the wanted state changes, so a client that
 * always or never asks costs no system call per datagram. */
static void
relay_set_df (RelaySocket *rs,
              gboolean     df)
{
  int v;

  if (rs->df == df)
    return;
  if (nav_address_get_family (&rs->addr) == G_SOCKET_FAMILY_IPV6)
    {
      v = df ? 1 : 0;
      setsockopt (rs->fd, IPPROTO_IPV6, IPV6_DONTFRAG, &v, sizeof v);
    }
  else
    {
      v = df ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;
      setsockopt (rs->fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof v);
    }
  rs->df = df;
}

/* Sends the datagrams queued for peers, in one sendmmsg(2) per relay
 * socket.  Called before the bytes they point to are reused (the end of
 * a batch read from a UDP listener, of the frames read from a TCP
 * connection) and before their socket closes. */
void
nav_turn_peer_flush (NavTurnServer *self)
{
  Batch *b = self->batch;
  NavNetSendResult r = { 0 };

  if (b == NULL || b->pq.n == 0)
    return;
  relay_set_df (b->pq_rs, b->pq_df);
  nav_net_send_batch_flush (&b->pq, b->pq_rs->fd, &r);
  self->counters.packets_to_peer += r.sent;
  self->counters.bytes_to_peer += r.bytes;
  /* with DF, a datagram above the path MTU fails (EMSGSIZE) instead of
   * leaving in fragments */
  if (b->pq_df)
    {
      self->counters.dropped_dont_fragment += r.failed_too_big;
      self->counters.dropped_send_failed += r.failed - r.failed_too_big;
    }
  else
    self->counters.dropped_send_failed += r.failed;
}

/* Sends a datagram from the relay to a peer (client → peer direction),
 * with DF set when @dont_fragment: queued, so that what a client sends
 * in a burst leaves in one system call (see nav_turn_peer_flush()). */
void
nav_turn_relay_to_peer (Allocation       *alloc,
                        const NavAddress *peer,
                        const guint8     *data,
                        gsize             len,
                        gint64            now,
                        gboolean          dont_fragment)
{
  NavTurnServer *self = alloc->server;
  Batch *b = self->batch;
  struct sockaddr_storage ss;
  socklen_t sl;
  RelaySocket *rs;

  if (alloc->tcp_relay || (rs = nav_turn_relay_for_peer (alloc, peer)) == NULL)
    {
      self->counters.dropped_unexpected++;
      return;
    }
  if (!bandwidth_ok (alloc, len, now))
    {
      self->counters.dropped_bandwidth++;
      return;
    }
  if (b->pq.n > 0 && (nav_net_send_batch_is_full (&b->pq) || b->pq_rs != rs || b->pq_df != dont_fragment))
    nav_turn_peer_flush (self);
  b->pq_rs = rs;
  b->pq_df = dont_fragment;
  sl = nav_address_copy_to_sockaddr (peer, (struct sockaddr *) &ss, sizeof ss);
  nav_net_send_batch_add (&b->pq, data, len, (struct sockaddr *) &ss, sl);
}

/* Frames a datagram from @peer for the client, in place when a channel is
 * bound (the payload has NAV_TURN_HEADROOM bytes in front of it), else as
 * a Data indication written to @scratch.  Returns the frame and its
 * length. */
static const guint8 *
frame_for_client (Allocation       *alloc,
                  const NavAddress *peer,
                  guint8           *payload,
                  gsize             len,
                  gint64            now,
                  guint8           *scratch,
                  gsize             scratch_size,
                  gsize            *frame_len)
{
  NavTurnServer *self = alloc->server;
  Channel *ch = g_hash_table_lookup (alloc->channels_by_peer, peer);
  gboolean padded = alloc->conn != NULL;

  if (ch != NULL && ch->expires > now)
    {
      guint8 *frame = payload - 4;
      gsize total = 4 + len;

      frame[0] = ch->number >> 8;
      frame[1] = ch->number & 0xFF;
      frame[2] = len >> 8;
      frame[3] = len & 0xFF;
      if (padded)
        {
          /* RFC 8656 §12.5: over TCP and TLS, padded to 4 bytes */
          while (total & 3)
            frame[total++] = 0;
        }
      *frame_len = total;
      return frame;
    }
  else
    {
      guint8 txid[12] = { 0 };
      NavStunMessageBuilder *b;
      gsize n;

      memcpy (txid, &alloc, MIN (sizeof alloc, 8));
      alloc->indication_serial++;
      memcpy (txid + 8, &alloc->indication_serial, 4);
      b = nav_stun_message_builder_new_with_buffer (NAV_STUN_CLASS_INDICATION,
                                                    NAV_STUN_METHOD_DATA, txid,
                                                    scratch, scratch_size);
      if (!nav_stun_message_builder_add_xor_address (b, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, peer, NULL) ||
          !nav_stun_message_builder_add_attribute (b, NAV_STUN_ATTRIBUTE_DATA, payload, len, NULL))
        n = 0;
      else
        n = nav_stun_message_builder_finish_to_buffer (b, NULL);
      nav_stun_message_builder_unref (b);
      if (n == 0)
        {
          self->counters.dropped_oversize++;
          return NULL;
        }
      self->counters.data_indications++;
      *frame_len = n;
      return scratch;
    }
}

static void
tx_flush (NavTurnServer *self)
{
  Batch *b = self->batch;
  NavNetSendResult r = { 0 };

  if (b->tx.n == 0)
    return;
  nav_net_send_batch_flush (&b->tx, b->tx_fd, &r);
  self->counters.dropped_send_failed += r.failed;
}

/* ------------------------------------------------ peer → client (UDP) */

static void
relay_datagram (const NavNetDatagram *d,
                gpointer              user_data)
{
  RelaySocket *rs = user_data;
  Allocation *alloc = rs->alloc;
  NavTurnServer *self = alloc->server;
  Batch *b = self->batch;
  gint64 now = b->relay_now;
  NavAddress peer;
  gsize frame_len = 0;
  const guint8 *frame;

  if (d->truncated)
    {
      self->counters.dropped_oversize++;
      return;
    }
  if (!nav_address_set_from_sockaddr (&peer, d->from, d->from_len))
    {
      self->counters.dropped_malformed++;
      return;
    }
  /* RFC 8656 §11.1: only from peers with a permission */
  if (nav_turn_permission_lookup (alloc, &peer, now) == NULL)
    {
      self->counters.dropped_no_permission++;
      return;
    }
  if (!bandwidth_ok (alloc, d->len, now))
    {
      self->counters.dropped_bandwidth++;
      return;
    }
  frame = frame_for_client (alloc, &peer, d->data, d->len, now,
                            b->tx_buf[b->tx.n], NAV_TURN_OUT_SIZE, &frame_len);
  if (frame == NULL)
    return;
  self->counters.packets_from_peer++;
  self->counters.bytes_from_peer += d->len;
  if (alloc->conn != NULL)
    {
      /* plain TCP: written out once, after the batch.  TLS still writes
       * each frame at once: batched, uclient over TLS lost messages
       * (coturn-uclient-tls-channel), for a reason not found yet */
      if (alloc->conn->tls)
        nav_turn_conn_write (alloc->conn, frame, frame_len);
      else
        nav_turn_conn_queue (alloc->conn, frame, frame_len);
      return;
    }
  {
    struct sockaddr_storage ss;
    socklen_t sl = nav_address_copy_to_sockaddr (&alloc->key.client, (struct sockaddr *) &ss,
                                                 sizeof ss);

    b->tx_fd = alloc->key.via->fd;
    nav_net_send_batch_add (&b->tx, frame, frame_len, (struct sockaddr *) &ss, sl);
  }
}

static void
relay_batch_done (gpointer user_data)
{
  RelaySocket *rs = user_data;
  Allocation *alloc = rs->alloc;
  NavTurnServer *self = alloc->server;

  if (!alloc->dead)
    tx_flush (self);
  else
    self->batch->tx.n = 0;
  if (alloc->conn != NULL && !alloc->dead)
    nav_turn_conn_flush (alloc->conn);
}

static gboolean
relay_stopped (gpointer user_data)
{
  RelaySocket *rs = user_data;

  return rs->alloc->dead || rs->fd < 0;
}

static const NavNetUdpFuncs relay_funcs = {
  relay_datagram, relay_batch_done, relay_stopped, NULL,
};

gboolean
nav_turn_relays_readable (gint         fd,
                          GIOCondition condition,
                          gpointer     user_data)
{
  NavTurnServer *self = user_data;
  struct epoll_event events[64];
  int n, i;

  n = epoll_wait (fd, events, G_N_ELEMENTS (events), 0);
  self->batch->relay_now = nav_turn_now ();
  /* an allocation destroyed by an earlier event stays allocated (dead)
   * until the reaper runs, so the pointers (to its RelaySockets) stay
   * valid here */
  for (i = 0; i < n; i++)
    {
      RelaySocket *rs = events[i].data.ptr;

      if (!relay_stopped (rs))
        nav_net_udp_reader_drain (self->reader, rs->fd, &relay_funcs, rs);
    }
  return G_SOURCE_CONTINUE;
}

/* UDP relays share one epoll set, so that a main-context iteration costs
 * the same with ten allocations or ten thousand. */
void
nav_turn_relay_watch (NavTurnServer *self,
                      RelaySocket   *rs)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = rs };

  if (rs->fd >= 0)
    epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, rs->fd, &ev);
}

void
nav_turn_relay_socket_close (NavTurnServer *self,
                             Allocation    *alloc,
                             RelaySocket   *rs)
{
  if (rs->fd < 0)
    return;
  if (self->batch != NULL && self->batch->pq.n > 0 && self->batch->pq_rs == rs)
    nav_turn_peer_flush (self);
  if (!alloc->tcp_relay)
    epoll_ctl (self->epoll_fd, EPOLL_CTL_DEL, rs->fd, NULL);
  close (rs->fd);
  rs->fd = -1;
}

/* ------------------------------------------ client → server (UDP) */

static void
listener_datagram (const NavNetDatagram *d,
                   gpointer              user_data)
{
  Listener *listener = user_data;
  NavTurnServer *self = listener->server;
  Batch *batch = self->batch;
  const guint8 *data = d->data;
  gsize len = d->len;
  UdpKey key;
  Allocation *alloc;

  self->counters.received++;
  if (d->truncated)
    {
      self->counters.dropped_oversize++;
      return;
    }
  if (len < 4 || !nav_address_set_from_sockaddr (&key.client, d->from, d->from_len))
    {
      self->counters.dropped_malformed++;
      return;
    }
  key.via = listener;
  alloc = g_hash_table_lookup (self->udp_allocations, &key);

  if ((data[0] & 0xC0) == 0x40)
    {
      /* the fast path: ChannelData */
      nav_turn_handle_channel_data (self, alloc, data, len);
    }
  else if ((data[0] & 0xC0) == 0)
    {
      Request r = { 0 };
      gsize resp;

      r.self = self;
      r.via = listener;
      r.from = &key.client;
      r.local = &listener->local;
      r.alloc = alloc;
      r.req = data;
      r.req_len = len;
      r.out = batch->out;
      r.out_size = sizeof batch->out;
      resp = nav_turn_handle_stun (&r);
      if (resp > 0)
        {
          self->counters.answered++;
          if (sendto (listener->fd, batch->out, resp, 0, d->from, d->from_len) < 0)
            self->counters.dropped_send_failed++;
        }
      nav_turn_request_clear (&r);
    }
  else
    self->counters.dropped_not_stun++;
}

/* The payloads queued for peers point into the datagrams, read again
 * next. */
static void
listener_batch_done (gpointer user_data)
{
  nav_turn_peer_flush (((Listener *) user_data)->server);
}

static const NavNetUdpFuncs listener_funcs = {
  listener_datagram, listener_batch_done, NULL, NULL,
};

gboolean
nav_turn_udp_readable (gint         fd,
                       GIOCondition condition,
                       gpointer     user_data)
{
  Listener *listener = user_data;

  nav_net_udp_reader_drain (listener->server->reader, fd, &listener_funcs, listener);
  return G_SOURCE_CONTINUE;
}
