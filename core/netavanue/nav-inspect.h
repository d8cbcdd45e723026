/* nav-inspect.h: live inspection of a process's agents, peer connections
 * and servers over D-Bus (nav-inspect --live)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <gio/gio.h>
#include <netavanue/nav-version.h>
#include <netavanue/nav-address.h>

G_BEGIN_DECLS

/**
 * NAV_INSPECT_BUS_NAME_PREFIX:
 *
 * The prefix of the session bus name an exporting process owns, followed
 * by `P` and its process id.
 *
 * Since: 1.0
 */
#define NAV_INSPECT_BUS_NAME_PREFIX "org.netavanue.Inspect"

/**
 * NAV_INSPECT_OBJECT_PATH:
 *
 * The D-Bus object path of an exporting process (interface
 * `org.netavanue.Inspect.Process`); its objects are below it
 * (`org.netavanue.Inspect.Object`).
 *
 * Since: 1.0
 */
#define NAV_INSPECT_OBJECT_PATH "/org/netavanue/Inspect"

NAV_AVAILABLE_IN_ALL
gboolean     nav_inspect_export_start       (GError     **error);
NAV_AVAILABLE_IN_ALL
gboolean     nav_inspect_export_is_active   (void);
NAV_AVAILABLE_IN_ALL
gchar       *nav_inspect_export_dup_address (void);
NAV_AVAILABLE_IN_ALL
void         nav_inspect_export_object      (GObject     *object,
                                             const gchar *kind);

G_END_DECLS

G_BEGIN_DECLS

/**
 * NavDebugPcapLayer:
 * @NAV_DEBUG_PCAP_UDP: a UDP datagram as it went on the wire, between
 *   the given addresses (STUN, TURN, DTLS records, application data).
 * @NAV_DEBUG_PCAP_SCTP: a decrypted SCTP packet of a data channel's
 *   association (what DTLS carries, RFC 8261), written over a dummy IP
 *   header (protocol 132) between 192.0.2.1 (us) and 192.0.2.2 (the
 *   peer), so that Wireshark dissects SCTP and DCEP (RFC 8832).
 *
 * What a packet written to the `NAV_DEBUG_PCAP` capture is.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_DEBUG_PCAP_UDP,
  NAV_DEBUG_PCAP_SCTP,
} NavDebugPcapLayer;

NAV_AVAILABLE_IN_ALL
gboolean nav_debug_pcap_is_active (void);
NAV_AVAILABLE_IN_ALL
void     nav_debug_pcap_write     (NavDebugPcapLayer  layer,
                                   gboolean           outgoing,
                                   const NavAddress  *local,
                                   const NavAddress  *remote,
                                   const guint8      *data,
                                   gsize              len);

G_END_DECLS
