/* nav-datagram-channel-private.h: the datagram channel an owner binds to
 * a path and feeds (NavAgent: its component's selected pair), private to
 * the core
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "netavanue/netavanue.h"

G_BEGIN_DECLS

typedef void (*NavDatagramChannelLockFunc) (gpointer owner);

/* Here so that the owner's per-datagram calls are inline. */
struct _NavDatagramChannel
{
  GObject parent_instance;

  /* Everything below is read and written under the lock: its owner's
   * while the owner lives, the channel's own otherwise. */
  GRecMutex own_lock;
  GWeakRef owner;
  NavDatagramChannelLockFunc owner_lock;
  NavDatagramChannelLockFunc owner_unlock;
  gboolean owned;
  GMainContext *context;        /* of the writable watch */

  NavTransport *transport;
  NavAddress peer;
  NavChannelState state;
  guint mtu;                    /* 0: automatic */
  guint64 buffered_amount;
  guint64 buffered_amount_low_threshold;

  NavChannelReceiveFunc recv_func;
  gpointer recv_data;
  GDestroyNotify recv_destroy;

  /* What the signals last said (owned channels change under the owner's
   * lock and announce it later, without it). */
  NavChannelState emitted_state;
  NavTransport *emitted_transport;      /* compared, never dereferenced */
  NavAddress emitted_peer;

  GPtrArray *writable_watch;    /* GSource, while a send would block */

  gulong received_id;
  gulong closed_id;

  /* What left through the channel (nav_agent_get_stats()): relaxed
   * atomics, as a batch is sent without the lock. */
  guint64 packets_sent;
  guint64 bytes_sent;
};

static inline void
nav_datagram_channel_count_sent (NavDatagramChannel *self,
                                 guint64             packets,
                                 guint64             bytes)
{
  __atomic_fetch_add (&self->packets_sent, packets, __ATOMIC_RELAXED);
  __atomic_fetch_add (&self->bytes_sent, bytes, __ATOMIC_RELAXED);
}

static inline void
nav_datagram_channel_get_sent (NavDatagramChannel *self,
                               guint64            *packets,
                               guint64            *bytes)
{
  *packets = __atomic_load_n (&self->packets_sent, __ATOMIC_RELAXED);
  *bytes = __atomic_load_n (&self->bytes_sent, __ATOMIC_RELAXED);
}


/* A channel of an owner: it does not listen to any transport; the owner
 * binds it to a path (rebinds it when the path changes), feeds it what
 * arrives, and shares its lock with it (@lock and @unlock, called on
 * @owner around everything the channel's own methods touch, while the
 * owner lives: the channel may outlive it).  CONNECTING until bound and
 * open. */
NavDatagramChannel   *nav_datagram_channel_new_owned        (GMainContext              *context,
                                                             GObject                   *owner,
                                                             NavDatagramChannelLockFunc lock,
                                                             NavDatagramChannelLockFunc unlock);

/* With the owner's lock held. */
void                  nav_datagram_channel_bind_locked      (NavDatagramChannel  *self,
                                                             NavTransport        *transport,
                                                             const NavAddress    *peer,
                                                             gboolean             open);
void                  nav_datagram_channel_close_locked     (NavDatagramChannel  *self);
gboolean              nav_datagram_channel_changed_locked   (NavDatagramChannel  *self);
gboolean              nav_datagram_channel_send_locked      (NavDatagramChannel  *self,
                                                             const guint8        *data,
                                                             gsize                len,
                                                             GError             **error);
/* The path, with a reference on the transport: for a send outside the
 * lock. */
gboolean              nav_datagram_channel_dup_path_locked  (NavDatagramChannel  *self,
                                                             NavTransport       **transport,
                                                             NavAddress          *peer);

static inline gboolean
nav_datagram_channel_is_open_locked (NavDatagramChannel *self)
{
  return self->state == NAV_CHANNEL_STATE_OPEN;
}

/* The receive function of a layer stacked on the channel, if any. */
static inline NavChannelReceiveFunc
nav_datagram_channel_get_receive_func_locked (NavDatagramChannel *self,
                                              gpointer           *user_data)
{
  *user_data = self->recv_data;
  return self->recv_func;
}

/* Without the lock. */
void                  nav_datagram_channel_emit_changes     (NavDatagramChannel  *self);
gboolean              nav_datagram_channel_has_message_handlers (NavDatagramChannel *self);
void                  nav_datagram_channel_emit_message     (NavDatagramChannel  *self,
                                                             GBytes              *message);
void                  nav_datagram_channel_would_block      (NavDatagramChannel  *self);

G_END_DECLS
