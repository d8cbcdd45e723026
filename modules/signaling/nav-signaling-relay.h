/* nav-signaling-relay.h: the WebSocket relay of the signaling server
 * (`nav-server --signaling --relay`): bytes between the two ends of one
 * session, for peers whose UDP is blocked and who have no TURN server
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <gnutls/gnutls.h>

G_BEGIN_DECLS

/* The path of the relay's WebSocket on the signaling server's port. */
#define NAV_SIGNALING_RELAY_PATH "/relay"

/* What a relay client sends first, one text message:
 *   "nav-relay1 " SESSION " " TOKEN     (64 lowercase hex digits each)
 * and hears back "wait" (first end), then "go" (both ends there), or a
 * close with one of these codes. */
#define NAV_SIGNALING_RELAY_HELLO "nav-relay1 "
#define NAV_SIGNALING_RELAY_CLOSE_REFUSED 4403   /* wrong token, session full, bad hello */
#define NAV_SIGNALING_RELAY_CLOSE_QUOTA 4413     /* the session's byte quota is spent */
#define NAV_SIGNALING_RELAY_CLOSE_IDLE 4408      /* nothing relayed for the idle timeout */
#define NAV_SIGNALING_RELAY_CLOSE_PEER_GONE 4410 /* the other end closed */

/* The largest binary message relayed (a datagram: DTLS records are
 * smaller). */
#define NAV_SIGNALING_RELAY_MAX_MESSAGE 65536

typedef struct _NavSignalingRelay NavSignalingRelay;

NavSignalingRelay *nav_signaling_relay_new     (guint64             quota,
                                                guint               idle_timeout,
                                                GError            **error);
void               nav_signaling_relay_adopt   (NavSignalingRelay  *relay,
                                                gint                fd,
                                                gnutls_session_t    tls,
                                                const gchar        *accept,
                                                const guint8       *rest,
                                                gsize               rest_len);
void               nav_signaling_relay_add_stats (NavSignalingRelay *relay,
                                                  GVariantBuilder   *builder);
guint              nav_signaling_relay_get_sessions (NavSignalingRelay *relay);
void               nav_signaling_relay_stop    (NavSignalingRelay  *relay);
void               nav_signaling_relay_free    (NavSignalingRelay  *relay);

G_END_DECLS
