/* nav-pcap-private.h: NAV_DEBUG_PCAP, what the core's transports give the
 * capture (nav-pcap.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "netavanue/netavanue.h"

G_BEGIN_DECLS

/* TRUE once NAV_DEBUG_PCAP opened its file: the per-datagram test. */
extern gboolean nav_pcap_on;

/* Reads NAV_DEBUG_PCAP once (a transport calls it when it is made). */
void nav_pcap_init (void);

/* A datagram of a transport's, vectors gathered (outgoing batches). */
void nav_pcap_write_vectors (gboolean             outgoing,
                             const NavAddress    *local,
                             const NavAddress    *remote,
                             const GOutputVector *vectors,
                             gint                 n_vectors);

G_END_DECLS
