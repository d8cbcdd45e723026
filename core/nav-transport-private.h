/* nav-transport-private.h: helpers of the core's transports and channels
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "netavanue/netavanue.h"

G_BEGIN_DECLS

/* The bytes of @message in one piece: its only buffer, or its buffers
 * gathered into *@scratch (grown as needed, freed by the caller). */
const guint8 *nav_output_message_gather (const NavOutputMessage  *message,
                                         gsize                   *len,
                                         guint8                 **scratch,
                                         gsize                   *scratch_size);

/* A receive function kept in an object's qdata under @quark (the
 * transports' and the channels'): replaced, or removed with a %NULL
 * @func, the previous one's @destroy called. */
typedef struct {
  GCallback func;
  gpointer user_data;
  GDestroyNotify destroy;
} NavReceiveHandler;

void          nav_receive_handler_set   (GObject                 *object,
                                         GQuark                   quark,
                                         GCallback                func,
                                         gpointer                 user_data,
                                         GDestroyNotify           destroy);

/* The end of a batch of received messages (the datagrams of one
 * recvmmsg(2)), for a receiver that defers per-message work to it (the
 * agent wakes a blocked receiver once per batch).  Internal to the
 * core.  A transport that delivers in batches says so
 * (nav_transport_mark_batches(), at construction) and calls
 * nav_transport_batch_done() after each; with any other, the receiver
 * does that work per message.  @user_data is not owned: clear the
 * function before freeing it. */
typedef void (*NavTransportBatchDoneFunc) (NavTransport *transport,
                                           gpointer      user_data);

void          nav_transport_mark_batches        (NavTransport              *self);
gboolean      nav_transport_delivers_batches    (NavTransport              *self);
void          nav_transport_set_batch_done_func (NavTransport              *self,
                                                 NavTransportBatchDoneFunc  func,
                                                 gpointer                   user_data);
void          nav_transport_batch_done          (NavTransport              *self);

G_END_DECLS
