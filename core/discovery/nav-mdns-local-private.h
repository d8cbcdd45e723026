/* nav-mdns-local-private.h: `.local` names for ICE candidates
 * (draft-ietf-mmusic-mdns-ice-candidates, RFC 8828 §5.1): the one-shot
 * resolver the agent and the peer connection call where they read a
 * remote candidate, and the names that hide our own host addresses
 * (internal to the core)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "netavanue/netavanue.h"

G_BEGIN_DECLS

/* Time a one-shot query waits for an answer (RFC 6762 §5.1 leaves it to
 * the querier); NAV_MDNS_RESOLVE_TIMEOUT_MS overrides it. */
#define NAV_MDNS_RESOLVE_TIMEOUT_MS 3000

/* @addresses: GInetAddress, NULL when nothing answered (then @error). */
typedef void (*NavMdnsResolveFunc) (const gchar  *name,
                                    GPtrArray    *addresses,
                                    const GError *error,
                                    gpointer      user_data);

/* Resolves @name (`….local`) with A and AAAA questions multicast on
 * every interface, from port 5353 (or, when it cannot be shared, an
 * ephemeral port: a legacy one-shot query, RFC 6762 §6.7), never
 * through the system resolver.  @func runs in @ctx, once.  Answers are
 * kept for their TTL (at most 2 minutes). */
void     nav_mdns_resolve            (GMainContext       *ctx,
                                      const gchar        *name,
                                      guint               timeout_ms,
                                      NavMdnsResolveFunc  func,
                                      gpointer            user_data,
                                      GDestroyNotify      notify);

/* Whether @host is an mDNS name (ends in `.local`). */
gboolean nav_mdns_is_local_name      (const gchar        *host);

/* Called where a remote candidate line is read: when its address is a
 * `.local` name, starts resolving it and returns TRUE (the caller skips
 * the line); once resolved, the candidate is added to @stream_id of
 * @agent with the address (each address when several answer); when
 * nothing answers it is dropped, and the peer-reflexive candidate that
 * the peer's checks create takes its place (RFC 8445 §7.3.1.3).
 * FALSE for any other line. */
gboolean nav_mdns_candidate_resolve  (NavAgent           *agent,
                                      guint               stream_id,
                                      const gchar        *line);

/* The `mdns-host-candidates` option: @line (a `candidate:` value) with
 * its host address replaced by a random `UUID.local` name (the same
 * name for the same address), which the process's responder answers
 * from then on; a reflexive or relayed candidate with its related
 * address hidden (0.0.0.0 / :: and port 9).  NULL when @line is not a
 * candidate or no responder could be started (then the line is sent as
 * it is). */
gchar   *nav_mdns_conceal_candidate  (const gchar        *line);

/* Counters, for the tests and the logs. */
typedef struct {
  guint started;     /* .local candidates seen */
  guint resolved;    /* resolved and added */
  guint failed;      /* no answer in time: dropped */
  guint invalid;     /* not a valid name: dropped at once */
} NavMdnsCandidateStats;

void     nav_mdns_candidate_get_stats (NavMdnsCandidateStats *stats);

/* Clears the answers kept (tests). */
void     nav_mdns_resolve_clear_cache (void);

G_END_DECLS
