/* nav-datachannel-module.c: the entry points of libnav-datachannel.so
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <netavanue/netavanue.h>

#include "nav-gnutls-dtls.h"
#include "nav-sctp-data-private.h"

static void
register_types (GTypeModule *module)
{
  nav_gnutls_dtls_backend_register (module);
  nav_gnutls_dtls_channel_register (module);
  nav_sctp_data_transport_register (module);
  nav_sctp_data_channel_register (module);
}

/* The DTLS channel is made by the backend (it needs a channel to wrap),
 * the data channels by the SCTP transport: only those two are
 * implementations. */
static const NavModuleImplementation implementations[] = {
  { NAV_DTLS_BACKEND_EXTENSION_POINT_NAME, "gnutls", nav_gnutls_dtls_backend_get_type, 10 },
  { NAV_SCTP_TRANSPORT_EXTENSION_POINT_NAME, "nav-sctp", nav_sctp_data_transport_get_type, 10 },
  { NULL }
};

NAV_DEFINE_MODULE_FULL (nav_datachannel, "datachannel",
                        "DTLS 1.2 (GnuTLS) and WebRTC data channels on our own SCTP for NavPeerConnection",
                        NAV_VERSION_S, "LGPL-2.1-or-later", "NetAvanue",
                        register_types, implementations);
