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

G_END_DECLS
