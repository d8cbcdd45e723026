/* nav-net-gso.h: batched UDP send with generic segmentation offload
 * (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "nav-net-udp.h"

G_BEGIN_DECLS

/* As nav_net_send_batch_flush(), but each run of consecutive datagrams
 * to one address, of one size (the last may be shorter), leaves in one
 * UDP_SEGMENT send where the kernel can (see nav-net-gso.c); the
 * datagrams on the wire are the same, and so is @result. */
void nav_net_send_batch_flush_gso (NavNetSendBatch  *batch,
                                   int               fd,
                                   NavNetSendResult *result);

G_END_DECLS
