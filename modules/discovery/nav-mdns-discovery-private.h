/* nav-mdns-discovery-private.h: NavMdnsDiscovery's parts (responder,
 * browser) and what they share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

#include "nav-dns.h"
#include "nav-mdns-socket.h"
#include "nav-mdns-discovery.h"

G_BEGIN_DECLS

/* RFC 6762 §10: 120 s for records naming a host (SRV, A, AAAA), 75
 * minutes for the others (PTR, TXT). */
#define NAV_MDNS_HOST_TTL 120
#define NAV_MDNS_OTHER_TTL 4500
/* The cache holds at most this many records: a flood of made-up
 * records is dropped, not stored (and counted). */
#define NAV_MDNS_MAX_CACHE 1024

typedef enum {
  RESPONDER_IDLE,
  RESPONDER_PROBING,
  RESPONDER_ANNOUNCING,
  RESPONDER_ANNOUNCED,
} ResponderState;

typedef struct {
  NavDnsRecord *rec;
  gint64 received;      /* monotonic µs */
  gint64 expires;       /* monotonic µs */
  guint ifindex;
  guint refreshes;      /* RFC 6762 §5.2 refresh queries sent */
} CacheRecord;

struct _NavMdnsDiscovery
{
  NavDiscovery parent_instance;

  NavMdnsSocket *sock;
  GMainContext *ctx;
  GSource *tick;                  /* 1 s: interfaces, expiry, refresh */
  guint host_ttl;
  guint other_ttl;

  /* responder */
  gchar *host_label;              /* "nav-…" */
  gchar *host_name;               /* host_label ".local" */
  gchar *type_name;               /* "_netavanue._udp.local" */
  gchar *instance;                /* the instance name in use (unescaped) */
  gchar *service_name;            /* escaped instance "." type_name */
  gchar **txt;                    /* published TXT strings */
  ResponderState state;
  guint probes_sent;
  guint announces_sent;
  guint renames;
  GSource *responder_timer;
  GHashTable *last_multicast;     /* "ifindex|name|type" → gint64 */
  gboolean publishing;

  /* browser */
  gboolean browsing;
  GHashTable *cache;              /* key → CacheRecord */
  GHashTable *peers;              /* lower-case service name → NavDiscoveredPeer (emitted) */
  GHashTable *resolving;          /* lower-case service name → gint64 last query */
  GSource *browse_timer;
  guint browse_interval;          /* seconds */

  /* counters */
  guint64 received;
  guint64 malformed;
  guint64 off_link;
  guint64 cache_full;
  guint64 conflicts;
};

/* nav-mdns-responder.c */
void     nav_mdns_responder_start        (NavMdnsDiscovery       *self);
void     nav_mdns_responder_stop         (NavMdnsDiscovery       *self,
                                          gboolean                goodbye);
void     nav_mdns_responder_update       (NavMdnsDiscovery       *self);
void     nav_mdns_responder_handle_query (NavMdnsDiscovery       *self,
                                          const NavMdnsDatagram  *d,
                                          const NavDnsMessage    *m);
void     nav_mdns_responder_handle_response (NavMdnsDiscovery    *self,
                                             const NavMdnsDatagram *d,
                                             const NavDnsMessage *m);
void     nav_mdns_responder_interface_added (NavMdnsDiscovery    *self,
                                             const NavMdnsInterface *iface);
gboolean nav_mdns_responder_is_own_service (NavMdnsDiscovery     *self,
                                            const gchar          *name);

/* nav-mdns-browser.c */
void     nav_mdns_browser_start          (NavMdnsDiscovery       *self);
void     nav_mdns_browser_stop           (NavMdnsDiscovery       *self);
void     nav_mdns_browser_handle_response (NavMdnsDiscovery      *self,
                                           const NavMdnsDatagram *d,
                                           const NavDnsMessage   *m);
void     nav_mdns_browser_tick           (NavMdnsDiscovery       *self);
void     nav_mdns_browser_interface_removed (NavMdnsDiscovery    *self,
                                             guint                ifindex);
GList   *nav_mdns_browser_list_peers   (NavMdnsDiscovery       *self);

/* Sends @m on @ifindex (0: every interface), split in several messages
 * when too large for one. */
void     nav_mdns_send_multicast         (NavMdnsDiscovery       *self,
                                          guint                   ifindex,
                                          const NavDnsMessage    *m);

G_END_DECLS
