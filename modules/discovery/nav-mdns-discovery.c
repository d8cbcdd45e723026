/* nav-mdns-discovery.c: NavDiscovery by a multicast DNS responder of our
 * own: the object, its sockets, and the dispatch of what they read
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "nav-mdns-discovery-private.h"

/* Messages are kept under an Ethernet frame (RFC 6762 §17: avoid IP
 * fragmentation): 1500 - 40 (IPv6) - 8 (UDP), rounded down. */
#define MAX_SEND 1440

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NavMdnsDiscovery, nav_mdns_discovery, NAV_TYPE_DISCOVERY,
                                G_TYPE_FLAG_FINAL, {})

enum {
  PROP_0,
  PROP_HOST_TTL,
  PROP_OTHER_TTL,
  PROP_RECEIVED,
  PROP_MALFORMED,
  PROP_OFF_LINK,
  PROP_CACHE_FULL,
  PROP_CONFLICTS,
  N_PROPS
};

void
nav_mdns_discovery_register (GTypeModule *module)
{
  nav_mdns_discovery_register_type (module);
}

static void
send_split (NavMdnsDiscovery    *self,
            guint                ifindex,
            const NavDnsMessage *m)
{
  g_autoptr (GBytes) bytes = nav_dns_message_write (m, MAX_SEND);
  NavDnsMessage half;
  g_autoptr (GPtrArray) first = NULL;
  g_autoptr (GPtrArray) second = NULL;
  g_autoptr (GPtrArray) none = NULL;
  guint i;

  if (bytes != NULL)
    {
      nav_mdns_socket_multicast (self->sock, ifindex, AF_UNSPEC, g_bytes_get_data (bytes, NULL),
                                 g_bytes_get_size (bytes));
      return;
    }
  /* Too large: the answers in two messages, without the additional
   * records (the browsers ask for what they miss). */
  if (m->answers->len < 2)
    return;
  first = g_ptr_array_new ();
  second = g_ptr_array_new ();
  none = g_ptr_array_new ();
  for (i = 0; i < m->answers->len; i++)
    g_ptr_array_add (i < m->answers->len / 2 ? first : second, g_ptr_array_index (m->answers, i));
  half = *m;
  half.authority = none;
  half.additional = none;
  half.answers = first;
  send_split (self, ifindex, &half);
  half.answers = second;
  send_split (self, ifindex, &half);
}

void
nav_mdns_send_multicast (NavMdnsDiscovery    *self,
                         guint                ifindex,
                         const NavDnsMessage *m)
{
  if (self->sock != NULL)
    send_split (self, ifindex, m);
}

static void
on_datagram (NavMdnsSocket         *sock,
             const NavMdnsDatagram *d,
             gpointer               user_data)
{
  NavMdnsDiscovery *self = user_data;
  g_autoptr (NavDnsMessage) m = NULL;
  g_autoptr (GError) error = NULL;

  self->received++;
  /* RFC 6762 §11: only what comes from the link it arrived on. */
  if (!d->on_link)
    {
      self->off_link++;
      return;
    }
  m = nav_dns_message_parse (d->data, d->len, &error);
  if (m == NULL)
    {
      self->malformed++;
      g_debug ("malformed mDNS message dropped (%" G_GUINT64_FORMAT " so far): %s", self->malformed,
               error->message);
      return;
    }
  /* RFC 6762 §18.3, §18.11: standard queries and responses only. */
  if ((m->flags & 0x7800) != 0)
    return;
  if (m->flags & NAV_DNS_FLAG_RESPONSE)
    {
      /* §6: responses not from port 5353 are not mDNS responses. */
      if (!d->from_mdns_port)
        return;
      nav_mdns_responder_handle_response (self, d, m);
      nav_mdns_browser_handle_response (self, d, m);
    }
  else
    nav_mdns_responder_handle_query (self, d, m);
}

static void
on_interface (NavMdnsSocket          *sock,
              const NavMdnsInterface *iface,
              gboolean                added,
              gpointer                user_data)
{
  NavMdnsDiscovery *self = user_data;

  /* During nav_mdns_socket_new() the object is not set up yet: the start
   * announces on every interface anyway. */
  if (self->sock == NULL)
    return;
  g_debug ("interface %s (%u) %s", iface->name, iface->ifindex, added ? "added" : "removed");
  if (added)
    nav_mdns_responder_interface_added (self, iface);
  else
    nav_mdns_browser_interface_removed (self, iface->ifindex);
}

static gboolean
on_tick (gpointer user_data)
{
  NavMdnsDiscovery *self = user_data;

  nav_mdns_socket_refresh (self->sock);
  nav_mdns_browser_tick (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
nav_mdns_discovery_start (NavDiscovery  *discovery,
                          GError       **error)
{
  NavMdnsDiscovery *self = NAV_MDNS_DISCOVERY (discovery);
  g_autoptr (GError) local_error = NULL;

  self->ctx = g_main_context_ref (nav_discovery_get_context (discovery));
  self->sock = nav_mdns_socket_new (self->ctx, TRUE, on_datagram, on_interface, self, &local_error);
  if (self->sock == NULL)
    {
      g_set_error (error, NAV_DISCOVERY_ERROR, NAV_DISCOVERY_ERROR_NOT_AVAILABLE,
                   _("Cannot start LAN discovery: %s"), local_error->message);
      g_clear_pointer (&self->ctx, g_main_context_unref);
      return FALSE;
    }
  self->tick = g_timeout_source_new_seconds (1);
  g_source_set_callback (self->tick, on_tick, self, NULL);
  g_source_set_static_name (self->tick, "nav-mdns-tick");
  g_source_attach (self->tick, self->ctx);
  if (nav_discovery_get_publish (discovery))
    nav_mdns_responder_start (self);
  if (nav_discovery_get_browse (discovery))
    nav_mdns_browser_start (self);
  return TRUE;
}

static void
stop_all (NavMdnsDiscovery *self,
          gboolean          goodbye)
{
  if (self->sock == NULL)
    return;
  nav_mdns_responder_stop (self, goodbye);
  nav_mdns_browser_stop (self);
  if (self->tick != NULL)
    {
      g_source_destroy (self->tick);
      g_clear_pointer (&self->tick, g_source_unref);
    }
  g_clear_pointer (&self->sock, nav_mdns_socket_free);
  g_clear_pointer (&self->ctx, g_main_context_unref);
}

static void
nav_mdns_discovery_stop (NavDiscovery *discovery)
{
  stop_all (NAV_MDNS_DISCOVERY (discovery), TRUE);
}

static GList *
nav_mdns_discovery_list_peers (NavDiscovery *discovery)
{
  return nav_mdns_browser_list_peers (NAV_MDNS_DISCOVERY (discovery));
}

static void
nav_mdns_discovery_update (NavDiscovery *discovery)
{
  NavMdnsDiscovery *self = NAV_MDNS_DISCOVERY (discovery);

  if (self->sock != NULL && self->publishing)
    nav_mdns_responder_update (self);
}

static void
nav_mdns_discovery_dispose (GObject *object)
{
  NavMdnsDiscovery *self = NAV_MDNS_DISCOVERY (object);

  /* Dropped without stop(): still say goodbye, the peers would wait for
   * the TTLs otherwise. */
  stop_all (self, TRUE);
  G_OBJECT_CLASS (nav_mdns_discovery_parent_class)->dispose (object);
}

static void
nav_mdns_discovery_finalize (GObject *object)
{
  NavMdnsDiscovery *self = NAV_MDNS_DISCOVERY (object);

  g_free (self->host_label);
  g_free (self->host_name);
  g_free (self->type_name);
  g_free (self->instance);
  g_free (self->service_name);
  g_strfreev (self->txt);
  g_hash_table_unref (self->last_multicast);
  g_hash_table_unref (self->cache);
  g_hash_table_unref (self->peers);
  g_hash_table_unref (self->resolving);
  G_OBJECT_CLASS (nav_mdns_discovery_parent_class)->finalize (object);
}

static const gsize fields[N_PROPS] = {
  [PROP_HOST_TTL] = G_STRUCT_OFFSET (NavMdnsDiscovery, host_ttl),
  [PROP_OTHER_TTL] = G_STRUCT_OFFSET (NavMdnsDiscovery, other_ttl),
  [PROP_RECEIVED] = G_STRUCT_OFFSET (NavMdnsDiscovery, received),
  [PROP_MALFORMED] = G_STRUCT_OFFSET (NavMdnsDiscovery, malformed),
  [PROP_OFF_LINK] = G_STRUCT_OFFSET (NavMdnsDiscovery, off_link),
  [PROP_CACHE_FULL] = G_STRUCT_OFFSET (NavMdnsDiscovery, cache_full),
  [PROP_CONFLICTS] = G_STRUCT_OFFSET (NavMdnsDiscovery, conflicts),
};

NAV_DEFINE_FIELD_PROPERTIES (nav_mdns_discovery, fields)

static void
cache_record_free (gpointer data)
{
  CacheRecord *c = data;

  nav_dns_record_free (c->rec);
  g_free (c);
}

static void
nav_mdns_discovery_init (NavMdnsDiscovery *self)
{
  self->last_multicast = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cache_record_free);
  self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) nav_discovered_peer_unref);
  self->resolving = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static void
nav_mdns_discovery_class_init (NavMdnsDiscoveryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NavDiscoveryClass *discovery_class = NAV_DISCOVERY_CLASS (klass);

  object_class->dispose = nav_mdns_discovery_dispose;
  object_class->finalize = nav_mdns_discovery_finalize;
  object_class->get_property = nav_mdns_discovery_get_property;
  object_class->set_property = nav_mdns_discovery_set_property;
  discovery_class->start = nav_mdns_discovery_start;
  discovery_class->stop = nav_mdns_discovery_stop;
  discovery_class->list_peers = nav_mdns_discovery_list_peers;
  discovery_class->update = nav_mdns_discovery_update;

  /* The TTL of the records that name a host (SRV, A, AAAA): how long
   * the others keep this peer after it vanished without a goodbye. */
  g_object_class_install_property (object_class, PROP_HOST_TTL,
    g_param_spec_uint ("host-ttl", NULL, NULL, 1, 4500, NAV_MDNS_HOST_TTL,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS));
  /* The TTL of the others (PTR, TXT). */
  g_object_class_install_property (object_class, PROP_OTHER_TTL,
    g_param_spec_uint ("other-ttl", NULL, NULL, 1, 4500, NAV_MDNS_OTHER_TTL,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS));
  /* Counters: datagrams read; dropped as malformed; dropped because
   * their source was not on the link (RFC 6762 §11); records not cached
   * because the cache was full; name conflicts met. */
  g_object_class_install_property (object_class, PROP_RECEIVED,
    g_param_spec_uint64 ("received", NULL, NULL, 0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (object_class, PROP_MALFORMED,
    g_param_spec_uint64 ("malformed", NULL, NULL, 0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (object_class, PROP_OFF_LINK,
    g_param_spec_uint64 ("off-link", NULL, NULL, 0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (object_class, PROP_CACHE_FULL,
    g_param_spec_uint64 ("cache-full", NULL, NULL, 0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (object_class, PROP_CONFLICTS,
    g_param_spec_uint64 ("conflicts", NULL, NULL, 0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
nav_mdns_discovery_class_finalize (NavMdnsDiscoveryClass *klass)
{
}
