/* nav-gnutls-dtls.h: DTLS 1.2 through GnuTLS, the data channel tier's
 * NavDtlsBackend and NavDtlsChannel
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

G_BEGIN_DECLS

#define NAV_TYPE_GNUTLS_DTLS_BACKEND (nav_gnutls_dtls_backend_get_type ())
G_DECLARE_FINAL_TYPE (NavGnutlsDtlsBackend, nav_gnutls_dtls_backend, NAV, GNUTLS_DTLS_BACKEND,
                      GObject)

#define NAV_TYPE_GNUTLS_DTLS_CHANNEL (nav_gnutls_dtls_channel_get_type ())
G_DECLARE_FINAL_TYPE (NavGnutlsDtlsChannel, nav_gnutls_dtls_channel, NAV, GNUTLS_DTLS_CHANNEL,
                      GObject)

void nav_gnutls_dtls_backend_register (GTypeModule *module);
void nav_gnutls_dtls_channel_register (GTypeModule *module);

NavDtlsChannel *nav_gnutls_dtls_channel_new (NavChannel   *lower,
                                             GMainContext *context);
/* The peer's record_size_limit (RFC 8449), 0 when it sent none. */
guint nav_gnutls_dtls_channel_get_peer_record_limit (NavGnutlsDtlsChannel *self);
NavChannel *nav_gnutls_dtls_channel_get_lower (NavGnutlsDtlsChannel *self);

G_END_DECLS
