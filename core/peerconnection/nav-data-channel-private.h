/* nav-data-channel-private.h: the byte stream of a data channel
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "netavanue/netavanue.h"

G_BEGIN_DECLS

/* nav-data-channel-stream.c: a GIOStream over a reliable ordered data
 * channel (nav_data_channel_get_io_stream()). */
GIOStream *nav_data_channel_stream_new (NavDataChannel *channel);

G_END_DECLS
