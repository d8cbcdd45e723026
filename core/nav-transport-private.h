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

G_END_DECLS
