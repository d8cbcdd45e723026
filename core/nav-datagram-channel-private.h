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
gboolean              nav_datagram_channel_is_open_locked   (NavDatagramChannel  *self);
gboolean              nav_datagram_channel_changed_locked   (NavDatagramChannel  *self);
gboolean              nav_datagram_channel_send_locked      (NavDatagramChannel  *self,
                                                             const guint8        *data,
                                                             gsize                len,
                                                             GError             **error);
NavChannelReceiveFunc nav_datagram_channel_get_receive_func_locked
                                                            (NavDatagramChannel  *self,
                                                             gpointer            *user_data);
/* The path, with a reference on the transport: for a send outside the
 * lock. */
gboolean              nav_datagram_channel_dup_path_locked  (NavDatagramChannel  *self,
                                                             NavTransport       **transport,
                                                             NavAddress          *peer);

/* Without the lock. */
void                  nav_datagram_channel_emit_changes     (NavDatagramChannel  *self);
gboolean              nav_datagram_channel_has_message_handlers (NavDatagramChannel *self);
void                  nav_datagram_channel_emit_message     (NavDatagramChannel  *self,
                                                             GBytes              *message);
void                  nav_datagram_channel_would_block      (NavDatagramChannel  *self);

G_END_DECLS
