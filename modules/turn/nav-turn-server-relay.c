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
nav_turn_peer_flush (Worker *w)
{
  Batch *b = w->batch;
  NavNetSendResult r = { 0 };

  if (b == NULL || b->pq.n == 0)
    return;
  relay_set_df (b->pq_rs, b->pq_df);
  /* a client's burst to one peer leaves in runs (UDP_SEGMENT) */
  nav_net_send_batch_flush_gso (&b->pq, b->pq_rs->fd, &r);
  COUNT_N (w, packets_to_peer, r.sent);
  COUNT_N (w, bytes_to_peer, r.bytes);
  /* with DF, a datagram above the path MTU fails (EMSGSIZE) instead of
   * leaving in fragments */
  if (b->pq_df)
    {
      COUNT_N (w, dropped_dont_fragment, r.failed_too_big);
      COUNT_N (w, dropped_send_failed, r.failed - r.failed_too_big);
    }
  else if (r.failed > 0)
    COUNT_N (w, dropped_send_failed, r.failed);
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
  Worker *w = alloc->worker;
  Batch *b = w->batch;
  struct sockaddr_storage ss;
  socklen_t sl;
  RelaySocket *rs;

  if (alloc->tcp_relay || (rs = nav_turn_relay_for_peer (alloc, peer)) == NULL)
    {
      COUNT (w, dropped_unexpected);
      return;
    }
  if (!bandwidth_ok (alloc, len, now))
    {
      COUNT (w, dropped_bandwidth);
      return;
    }
  if (b->pq.n > 0 && (nav_net_send_batch_is_full (&b->pq) || b->pq_rs != rs || b->pq_df != dont_fragment))
    nav_turn_peer_flush (w);
  b->pq_rs = rs;
  b->pq_df = dont_fragment;
  sl = nav_address_copy_to_sockaddr (peer, (struct sockaddr *) &ss, sizeof ss);
  nav_net_send_batch_add (&b->pq, data, len, (struct sockaddr *) &ss, sl);
}

/* Frames a datagram from @peer for the client, in place when a channel is
 * bound (@ch, NULL if none) (the payload has NAV_TURN_HEADROOM bytes in front of it), else as
 * a Data indication written to @scratch.  Returns the frame and its
 * length. */
static const guint8 *
frame_for_client (Allocation       *alloc,
                  Channel          *ch,
                  const NavAddress *peer,
                  guint8           *payload,
                  gsize             len,
                  gint64            now,
                  guint8           *scratch,
                  gsize             scratch_size,
                  gsize            *frame_len)
{
  Worker *w = alloc->worker;
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
          COUNT (w, dropped_oversize);
          return NULL;
        }
      COUNT (w, data_indications);
      *frame_len = n;
      return scratch;
    }
}

/* Sends what is queued for UDP clients.  The queue outlives the relay
 * socket's drain that filled it (each frame is a copy in tx_buf): what
 * peers sent to the allocations of one epoll round leaves in one
 * sendmmsg(2) on the listener, instead of one per relay socket; it is
 * flushed at the end of the round (nav_turn_worker_flush()), when full,
 * and when the next datagram leaves from another listener. */
static void
tx_flush (Worker *w)
{
  Batch *b = w->batch;
  NavNetSendResult r = { 0 };

  if (b == NULL || b->tx.n == 0)
    return;
  /* runs for one client leave as one send (UDP_SEGMENT) */
  nav_net_send_batch_flush_gso (&b->tx, b->tx_fd, &r);
  if (r.failed > 0)
    COUNT_N (w, dropped_send_failed, r.failed);
}

/* The end of a worker's round: nothing stays queued while it waits. */
void
nav_turn_worker_flush (Worker *w)
{
  tx_flush (w);
}

/* ------------------------------------------------ peer → client (UDP) */

static void
relay_datagram (const NavNetDatagram *d,
                gpointer              user_data)
{
  RelaySocket *rs = user_data;
  Allocation *alloc = rs->alloc;
  Worker *w = alloc->worker;
  Batch *b = w->batch;
  gint64 now = b->relay_now;
  NavAddress peer;
  gsize frame_len = 0;
  const guint8 *frame;

  if (d->truncated)
    {
      COUNT (w, dropped_oversize);
      return;
    }
  if (!nav_address_set_from_sockaddr (&peer, d->from, d->from_len))
    {
      COUNT (w, dropped_malformed);
      return;
    }
  /* RFC 8656 §11.1: only from peers with a permission; the peer's
   * permission and channel looked up once for its run of datagrams */
  if (alloc->hot_peer_perm == NULL || !nav_address_equal (&alloc->hot_peer, &peer))
    {
      Permission *perm = nav_turn_permission_lookup (alloc, &peer, now);

      if (perm == NULL)
        {
          COUNT (w, dropped_no_permission);
          return;
        }
      alloc->hot_peer = peer;
      alloc->hot_peer_perm = perm;
      alloc->hot_peer_channel = g_hash_table_lookup (alloc->channels_by_peer, &peer);
    }
  if (alloc->hot_peer_perm->expires <= now)
    {
      COUNT (w, dropped_no_permission);
      return;
    }
  if (!bandwidth_ok (alloc, d->len, now))
    {
      COUNT (w, dropped_bandwidth);
      return;
    }
  if (alloc->conn == NULL)
    {
      int fd = nav_turn_worker_listener (w, alloc->key.slot)->fd;

      if (b->tx.n > 0 && b->tx_fd != fd)
        tx_flush (w);
      b->tx_fd = fd;
    }
  frame = frame_for_client (alloc, alloc->hot_peer_channel, &peer, d->data, d->len, now,
                            b->tx_buf[b->tx.n], NAV_TURN_OUT_SIZE, &frame_len);
  if (frame == NULL)
    return;
  COUNT (w, packets_from_peer);
  COUNT_N (w, bytes_from_peer, d->len);
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
    guint8 *slot;

    /* a ChannelData frame was written in front of the payload, in the
     * reader's buffer, which the next drain reuses */
    slot = b->tx_buf[b->tx.n];
    if (frame != slot)
      memcpy (slot, frame, frame_len);
    nav_net_send_batch_add (&b->tx, slot, frame_len, (struct sockaddr *) &ss, sl);
    if (nav_net_send_batch_is_full (&b->tx))
      tx_flush (w);
  }
}

static void
relay_batch_done (gpointer user_data)
{
  Allocation *alloc = ((RelaySocket *) user_data)->alloc;

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

/* UDP relays share one epoll set per worker, so that a round costs the
 * same with ten allocations or ten thousand. */
void
nav_turn_relay_watch (Worker      *w,
                      RelaySocket *rs)
{
  if (rs->fd >= 0)
    nav_net_worker_watch (w->loop, rs->fd, EPOLLIN, rs);
}

void
nav_turn_relay_socket_close (Worker      *w,
                             Allocation  *alloc,
                             RelaySocket *rs)
{
  if (rs->fd < 0)
    return;
  if (w->batch != NULL && w->batch->pq.n > 0 && w->batch->pq_rs == rs)
    nav_turn_peer_flush (w);
  if (!alloc->tcp_relay)
    nav_net_worker_unwatch (w->loop, rs->fd);
  close (rs->fd);
  rs->fd = -1;
}

/* ------------------------------------------ client → server (UDP) */

/* Whether a datagram from a client is about an allocation: ChannelData,
 * and every STUN method but Binding (RFC 8489 §5: the method's bits
 * around the class bits). */
static inline gboolean
wants_allocation (const guint8 *data,
                  gsize         len)
{
  guint16 type;

  if ((data[0] & 0xC0) == 0x40)
    return TRUE;
  if ((data[0] & 0xC0) != 0 || len < NAV_STUN_HEADER_LENGTH)
    return FALSE;
  type = (guint16) ((data[0] << 8) | data[1]);
  return ((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2)) != NAV_STUN_METHOD_BINDING;
}

static void
listener_datagram_full (Listener             *listener,
                        const NavNetDatagram *d,
                        gboolean              handed_over)
{
  Worker *w = listener->worker;
  NavTurnServer *self = w->server;
  Batch *batch = w->batch;
  const guint8 *data = d->data;
  gsize len = d->len;
  UdpKey key;
  Allocation *alloc;

  if (!handed_over)
    COUNT (w, received);
  if (d->truncated)
    {
      COUNT (w, dropped_oversize);
      return;
    }
  if (len < 4 || !nav_address_set_from_sockaddr (&key.client, d->from, d->from_len))
    {
      COUNT (w, dropped_malformed);
      return;
    }
  key.slot = listener->slot;
  alloc = g_hash_table_lookup (w->udp_allocations, &key);
  /* The kernel keeps a client on one worker's socket (SO_REUSEPORT
   * hashes the 4-tuple) unless the steering says otherwise: only then
   * does a datagram of another worker's allocation come here, and the
   * shared books say whose it is. */
  if (alloc == NULL && !handed_over && self->n_udp_workers > 1 && wants_allocation (data, len))
    {
      Worker *owner = nav_turn_owner_lookup (self, &key);

      if (owner != NULL && owner != w)
        {
          COUNT (w, handed_over);
          nav_turn_hand_over (owner, key.slot, d);
          return;
        }
    }

  if ((data[0] & 0xC0) == 0x40)
    {
      /* the fast path: ChannelData */
      nav_turn_handle_channel_data (w, handed_over ? nav_turn_now () : batch->relay_now,
                                    alloc, data, len);
    }
  else if ((data[0] & 0xC0) == 0)
    {
      Request r = { 0 };
      gsize resp;

      r.self = self;
      r.w = w;
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
          COUNT (w, answered);
          if (sendto (listener->fd, batch->out, resp, 0, d->from, d->from_len) < 0)
            COUNT (w, dropped_send_failed);
        }
      nav_turn_request_clear (&r);
    }
  else
    COUNT (w, dropped_not_stun);
}

static void
listener_datagram (const NavNetDatagram *d,
                   gpointer              user_data)
{
  listener_datagram_full (user_data, d, FALSE);
}

/* The payloads queued for peers point into the datagrams, read again
 * next. */
static void
listener_batch_done (gpointer user_data)
{
  nav_turn_peer_flush (((Listener *) user_data)->worker);
}

static const NavNetUdpFuncs listener_funcs = {
  listener_datagram, listener_batch_done, NULL, NULL,
};

/* ------------------------------------------ between workers */

typedef struct
{
  NavNetWorkerMessage base;
  guint slot;
  socklen_t from_len;
  struct sockaddr_storage from;
  gsize len;
  guint8 data[];
} HandOver;

static void
hand_over_run (NavNetWorkerMessage *message,
               gpointer             user_data)
{
  Worker *w = user_data;
  HandOver *h = (HandOver *) message;
  NavNetDatagram d = { h->data, h->len, (const struct sockaddr *) &h->from, h->from_len, FALSE };

  listener_datagram_full (nav_turn_worker_listener (w, h->slot), &d, TRUE);
  nav_turn_peer_flush (w);
}

/* Passes a client's datagram to the worker owning its allocation, which
 * handles it as if read from its own socket on the same address (a
 * response leaves from the same server address and port). */
void
nav_turn_hand_over (Worker               *owner,
                    guint                 slot,
                    const NavNetDatagram *d)
{
  HandOver *h = g_malloc (sizeof (HandOver) + d->len);

  h->base.run = hand_over_run;
  h->slot = slot;
  h->from_len = MIN (d->from_len, (socklen_t) sizeof h->from);
  memcpy (&h->from, d->from, h->from_len);
  h->len = d->len;
  memcpy (h->data, d->data, d->len);
  nav_net_worker_post (owner->loop, &h->base);
}

/* ------------------------------------------ a worker's events */

void
nav_turn_worker_ready (gpointer tag,
                       guint32  events,
                       gpointer user_data)
{
  Worker *w = user_data;

  if (*(WatchKind *) tag == WATCH_LISTENER)
    {
      Listener *listener = tag;

      w->batch->relay_now = nav_turn_now ();
      nav_net_udp_reader_drain (w->reader, listener->fd, &listener_funcs, listener);
    }
  else
    {
      RelaySocket *rs = tag;

      /* an allocation destroyed by an earlier event of the round stays
       * allocated (dead) until its end, so @rs is valid here */
      if (relay_stopped (rs))
        return;
      /* the clock, once per drain (see Batch) */
      w->batch->relay_now = nav_turn_now ();
      nav_net_udp_reader_drain (w->reader, rs->fd, &relay_funcs, rs);
    }
}
