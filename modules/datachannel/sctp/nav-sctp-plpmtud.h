/* nav-sctp-plpmtud.h: packetization layer path MTU discovery for the
 * association (RFC 8899 §6.2.1: SCTP; RFC 8261 §5: over DTLS)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "nav-sctp-association.h"

G_BEGIN_DECLS

/* Sends a probe of exactly @size bytes (common header included): a PAD
 * chunk (RFC 4820) and, last, a HEARTBEAT chunk whose information names
 * the size.  Any RFC 9260 peer skips the PAD chunk (type 0x84: skip,
 * report nothing) and answers the HEARTBEAT; @probe_acked tells us.  The
 * HEARTBEAT is last so that a peer that reads a truncated record finds
 * no HEARTBEAT in it.  FALSE when the association is not established or
 * @size is below a probe's minimum. */
gboolean nav_sctp_association_send_probe (NavSctpAssociation *assoc,
                                          gsize               size);

/* The largest packet the association builds from now on (RFC 8899's
 * PLPMTU).  Chunks already cut keep their size.  Call it between calls
 * of the association, never from one of its callbacks. */
void nav_sctp_association_set_mtu (NavSctpAssociation *assoc,
                                   guint               mtu);
guint nav_sctp_association_get_mtu (NavSctpAssociation *assoc);

/* The search, sans-I/O: which sizes to probe when, and the largest one
 * the peer confirmed.  Each candidate above the base is probed at once
 * (RFC 8899 leaves the search to the implementation: one round trip
 * finds the largest size that goes), again after PROBE_TIMER, at most
 * MAX_PROBES times; then the search is complete, and after
 * PMTU_RAISE_TIMER the sizes above the confirmed one are tried again
 * (§5.1.1, §5.2).  The size only grows: a DATA chunk already cut cannot
 * be cut again (RFC 9260 §6.9), and what the base carries is always
 * carried. */
#define NAV_SCTP_PLPMTUD_MAX_CANDIDATES 4
#define NAV_SCTP_PLPMTUD_MAX_PROBES 3
#define NAV_SCTP_PLPMTUD_PROBE_TIMER_US (1 * G_USEC_PER_SEC)
#define NAV_SCTP_PLPMTUD_RAISE_TIMER_US (600 * G_USEC_PER_SEC)

typedef struct {
  guint base;                   /* BASE_PLPMTU: what every path carries */
  guint current;                /* PLPMTU: the largest size confirmed */
  guint candidates[NAV_SCTP_PLPMTUD_MAX_CANDIDATES];
  guint probes[NAV_SCTP_PLPMTUD_MAX_CANDIDATES];
  guint n_candidates;
  gint64 deadline;              /* when to look again, or -1 */
  gboolean searching;
  guint64 probes_sent;
  guint64 probes_acked;
} NavSctpPlpmtud;

void     nav_sctp_plpmtud_init     (NavSctpPlpmtud *p,
                                    guint           base,
                                    guint           max);
/* The sizes to probe at @now (written to @sizes, NAV_SCTP_PLPMTUD_MAX_CANDIDATES
 * at most); moves the deadline. */
guint    nav_sctp_plpmtud_due      (NavSctpPlpmtud *p,
                                    gint64          now,
                                    guint          *sizes);
/* A probe of @size was answered; TRUE when the PLPMTU grew. */
gboolean nav_sctp_plpmtud_acked    (NavSctpPlpmtud *p,
                                    gsize           size);

G_END_DECLS
