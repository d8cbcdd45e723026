/* nav-mdns-browser.c: the other peers: continuous PTR queries, a cache
 * of what they answer, with TTLs, cache flushes and goodbyes, and the
 * peers assembled from it
 *
 * The cache holds only what browsing `_netavanue._udp` needs: PTR
 * records of the type, SRV and TXT records of its instances, and the
 * addresses of the hosts those SRV records name, from sources on the
 * link, at most NAV_MDNS_MAX_CACHE records with TTLs of at most 75
 * minutes.  Anything else a neighbour multicasts is not kept, so a
 * flood of records cannot grow it or put an unrelated name in it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "nav-mdns-discovery-private.h"

#define MAX_TTL 4500
#define MAX_BROWSE_INTERVAL 3600      /* RFC 6762 §5.2: at most an hour */

static void evaluate_peers (NavMdnsDiscovery *self,
                            GHashTable       *touched);

/* ------------------------------------------------------------ cache */

static gchar *
record_key (const NavDnsRecord *rec)
{
  g_autofree gchar *lower = g_ascii_strdown (rec->name, -1);
  g_autoptr (GBytes) rdata = nav_dns_record_get_rdata (rec);
  GString *key = g_string_new (lower);
  gsize len, i;
  const guint8 *data = g_bytes_get_data (rdata, &len);

  g_string_append_printf (key, "|%u|", rec->type);
  /* Names inside PTR and SRV data compare ignoring case; addresses and
   * TXT bytes as they are. */
  for (i = 0; i < len; i++)
    g_string_append_printf (key, "%02x", rec->type == NAV_DNS_TYPE_PTR || rec->type == NAV_DNS_TYPE_SRV
                                         ? g_ascii_tolower (data[i]) : data[i]);
  return g_string_free (key, FALSE);
}

static gboolean
is_instance_of_type (NavMdnsDiscovery *self,
                     const gchar      *name)
{
  /* One label (the instance) before the type's. */
  g_autofree gchar *first = nav_dns_name_first_label (name);
  g_autofree gchar *escaped = NULL;
  g_autofree gchar *rebuilt = NULL;

  if (first == NULL)
    return FALSE;
  escaped = nav_dns_label_escape (first);
  rebuilt = g_strconcat (escaped, ".", self->type_name, NULL);
  return nav_dns_name_equal (rebuilt, name);
}

static gboolean
is_srv_target (NavMdnsDiscovery *self,
               const gchar      *host)
{
  GHashTableIter iter;
  CacheRecord *c;

  g_hash_table_iter_init (&iter, self->cache);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
    if (c->rec->type == NAV_DNS_TYPE_SRV && nav_dns_name_equal (c->rec->data.srv.target, host))
      return TRUE;
  return FALSE;
}

/* RFC 6762 §10.2: a record with the cache-flush bit replaces the records
 * of its name and type received more than a second before on the same
 * link; they expire a second later. */
static void
cache_flush (NavMdnsDiscovery   *self,
             const NavDnsRecord *rec,
             const gchar        *key,
             guint               ifindex,
             gint64              now)
{
  GHashTableIter iter;
  const gchar *other_key;
  CacheRecord *c;

  g_hash_table_iter_init (&iter, self->cache);
  while (g_hash_table_iter_next (&iter, (gpointer *) &other_key, (gpointer *) &c))
    if (c->rec->type == rec->type && c->ifindex == ifindex && now - c->received > G_USEC_PER_SEC &&
        strcmp (other_key, key) != 0 && nav_dns_name_equal (c->rec->name, rec->name))
      {
        c->expires = MIN (c->expires, now + G_USEC_PER_SEC);
        c->refreshes = 4;
      }
}

static void touch (NavMdnsDiscovery *self, GHashTable *touched, const NavDnsRecord *rec);

static gboolean
store (NavMdnsDiscovery   *self,
       const NavDnsRecord *rec,
       guint               ifindex,
       gint64              now,
       GHashTable         *touched)
{
  gchar *key = record_key (rec);
  CacheRecord *c = g_hash_table_lookup (self->cache, key);

  if (rec->ttl == 0)
    {
      /* RFC 6762 §10.1: a goodbye; forgotten a second later. */
      if (c != NULL)
        {
          c->expires = MIN (c->expires, now + G_USEC_PER_SEC);
          c->refreshes = 4;
        }
      g_free (key);
      return FALSE;
    }
  if (rec->cache_flush)
    cache_flush (self, rec, key, ifindex, now);
  if (c == NULL)
    {
      if (g_hash_table_size (self->cache) >= NAV_MDNS_MAX_CACHE)
        {
          /* Full (a flood of instances): the record heard longest ago
           * goes, so that a neighbour cannot lock the others out by
           * filling it first.  Counted. */
          GHashTableIter iter;
          gpointer oldest_key = NULL, k;
          CacheRecord *o;
          gint64 oldest = G_MAXINT64;

          g_hash_table_iter_init (&iter, self->cache);
          while (g_hash_table_iter_next (&iter, &k, (gpointer *) &o))
            if (o->received < oldest)
              {
                oldest = o->received;
                oldest_key = k;
              }
          self->cache_full++;
          touch (self, touched, ((CacheRecord *) g_hash_table_lookup (self->cache, oldest_key))->rec);
          g_hash_table_remove (self->cache, oldest_key);
        }
      c = g_new0 (CacheRecord, 1);
      c->rec = nav_dns_record_copy (rec);
      g_hash_table_insert (self->cache, key, c);
    }
  else
    {
      nav_dns_record_free (c->rec);
      c->rec = nav_dns_record_copy (rec);
      g_free (key);
    }
  c->rec->cache_flush = FALSE;
  c->received = now;
  c->expires = now + (gint64) MIN (rec->ttl, MAX_TTL) * G_USEC_PER_SEC;
  c->ifindex = ifindex;
  c->refreshes = 0;
  return TRUE;
}

/* The instances whose peer a record may change. */
static void
touch (NavMdnsDiscovery   *self,
       GHashTable         *touched,
       const NavDnsRecord *rec)
{
  GHashTableIter iter;
  CacheRecord *c;

  switch (rec->type)
    {
    case NAV_DNS_TYPE_PTR:
      g_hash_table_add (touched, g_ascii_strdown (rec->data.ptr, -1));
      break;
    case NAV_DNS_TYPE_SRV:
    case NAV_DNS_TYPE_TXT:
      g_hash_table_add (touched, g_ascii_strdown (rec->name, -1));
      break;
    default:
      g_hash_table_iter_init (&iter, self->cache);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
        if (c->rec->type == NAV_DNS_TYPE_SRV && nav_dns_name_equal (c->rec->data.srv.target, rec->name))
          g_hash_table_add (touched, g_ascii_strdown (c->rec->name, -1));
      break;
    }
}

void
nav_mdns_browser_handle_response (NavMdnsDiscovery      *self,
                                  const NavMdnsDatagram *d,
                                  const NavDnsMessage   *m)
{
  GPtrArray *sections[2] = { m->answers, m->additional };
  g_autoptr (GHashTable) touched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gint64 now = g_get_monotonic_time ();
  guint pass, s, i;

  if (!self->browsing)
    return;
  /* Addresses after the SRV records that name their hosts. */
  for (pass = 0; pass < 2; pass++)
    for (s = 0; s < 2; s++)
      for (i = 0; i < sections[s]->len; i++)
        {
          const NavDnsRecord *rec = g_ptr_array_index (sections[s], i);
          gboolean wanted;

          if (rec->klass != NAV_DNS_CLASS_IN)
            continue;
          switch (rec->type)
            {
            case NAV_DNS_TYPE_PTR:
              wanted = pass == 0 && nav_dns_name_equal (rec->name, self->type_name) &&
                       is_instance_of_type (self, rec->data.ptr) &&
                       !nav_mdns_responder_is_own_service (self, rec->data.ptr);
              break;
            case NAV_DNS_TYPE_SRV:
            case NAV_DNS_TYPE_TXT:
              wanted = pass == 0 && is_instance_of_type (self, rec->name) &&
                       !nav_mdns_responder_is_own_service (self, rec->name);
              break;
            case NAV_DNS_TYPE_A:
            case NAV_DNS_TYPE_AAAA:
              wanted = pass == 1 && is_srv_target (self, rec->name);
              break;
            default:
              wanted = FALSE;
            }
          if (wanted)
            {
              store (self, rec, d->ifindex, now, touched);
              touch (self, touched, rec);
            }
        }
  if (g_hash_table_size (touched) > 0)
    evaluate_peers (self, touched);
}

/* ------------------------------------------------------------ queries */

static void
add_known_answers (NavMdnsDiscovery *self,
                   NavDnsMessage    *m,
                   gint64            now)
{
  GHashTableIter iter;
  CacheRecord *c;

  /* RFC 6762 §7.1: PTR answers we hold with more than half their TTL
   * left, so that the responders need not repeat them. */
  g_hash_table_iter_init (&iter, self->cache);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
    {
      gint64 left = (c->expires - now) / G_USEC_PER_SEC;

      if (c->rec->type != NAV_DNS_TYPE_PTR || left * 2 <= (gint64) c->rec->ttl || m->answers->len >= 32)
        continue;
      {
        NavDnsRecord *ka = nav_dns_record_copy (c->rec);

        ka->ttl = (guint32) left;
        g_ptr_array_add (m->answers, ka);
      }
    }
}

static gboolean
on_browse_timer (gpointer user_data)
{
  NavMdnsDiscovery *self = user_data;
  g_autoptr (NavDnsMessage) m = nav_dns_message_new (0, 0);

  g_clear_pointer (&self->browse_timer, g_source_unref);
  nav_dns_message_add_question (m, self->type_name, NAV_DNS_TYPE_PTR, FALSE);
  add_known_answers (self, m, g_get_monotonic_time ());
  nav_mdns_send_multicast (self, 0, m);
  /* RFC 6762 §5.2: 1 s, then doubling, at most an hour. */
  self->browse_timer = g_timeout_source_new_seconds (self->browse_interval);
  g_source_set_callback (self->browse_timer, on_browse_timer, self, NULL);
  g_source_set_static_name (self->browse_timer, "nav-mdns-browse");
  g_source_attach (self->browse_timer, self->ctx);
  self->browse_interval = MIN (self->browse_interval * 2, MAX_BROWSE_INTERVAL);
  return G_SOURCE_REMOVE;
}

void
nav_mdns_browser_start (NavMdnsDiscovery *self)
{
  if (self->type_name == NULL)
    self->type_name = g_strconcat (nav_discovery_get_service_type (NAV_DISCOVERY (self)), ".local", NULL);
  self->browsing = TRUE;
  self->browse_interval = 1;
  self->browse_timer = g_timeout_source_new (0);
  g_source_set_callback (self->browse_timer, on_browse_timer, self, NULL);
  g_source_attach (self->browse_timer, self->ctx);
}

void
nav_mdns_browser_stop (NavMdnsDiscovery *self)
{
  if (!self->browsing)
    return;
  self->browsing = FALSE;
  if (self->browse_timer != NULL)
    {
      g_source_destroy (self->browse_timer);
      g_clear_pointer (&self->browse_timer, g_source_unref);
    }
  g_hash_table_remove_all (self->cache);
  g_hash_table_remove_all (self->peers);
  g_hash_table_remove_all (self->resolving);
}

static void
add_question_once (NavDnsMessage *m,
                   const gchar   *name,
                   guint16        type)
{
  guint i;

  for (i = 0; i < m->questions->len; i++)
    {
      const NavDnsQuestion *q = g_ptr_array_index (m->questions, i);

      if (q->type == type && nav_dns_name_equal (q->name, name))
        return;
    }
  if (m->questions->len < 64)
    nav_dns_message_add_question (m, name, type, FALSE);
}

void
nav_mdns_browser_tick (NavMdnsDiscovery *self)
{
  g_autoptr (NavDnsMessage) refresh = nav_dns_message_new (0, 0);
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  CacheRecord *c;
  gboolean changed = FALSE;

  if (!self->browsing)
    return;
  g_hash_table_iter_init (&iter, self->cache);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
    {
      gint64 life = c->expires - c->received;

      if (now >= c->expires)
        {
          g_hash_table_iter_remove (&iter);
          changed = TRUE;
          continue;
        }
      /* RFC 6762 §5.2: ask again at 80, 85, 90 and 95 % of the TTL
       * (plus up to 2 % at random), while someone may still answer. */
      if (c->refreshes < 4 && life > 0 &&
          (now - c->received) * 100 >= life * (80 + 5 * (gint64) c->refreshes + g_random_int_range (0, 3)))
        {
          add_question_once (refresh, c->rec->name, c->rec->type);
          c->refreshes++;
        }
    }
  if (refresh->questions->len > 0)
    nav_mdns_send_multicast (self, 0, refresh);
  if (changed)
    evaluate_peers (self, NULL);
  /* The last multicast times are only needed for a second. */
  if (g_hash_table_size (self->last_multicast) > 256)
    g_hash_table_remove_all (self->last_multicast);
}

void
nav_mdns_browser_interface_removed (NavMdnsDiscovery *self,
                                    guint             ifindex)
{
  GHashTableIter iter;
  CacheRecord *c;
  gboolean changed = FALSE;

  g_hash_table_iter_init (&iter, self->cache);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
    if (c->ifindex == ifindex)
      {
        g_hash_table_iter_remove (&iter);
        changed = TRUE;
      }
  if (changed)
    evaluate_peers (self, NULL);
}

/* ------------------------------------------------------------ peers */

static CacheRecord *
find_one (NavMdnsDiscovery *self,
          const gchar      *name,
          guint16           type)
{
  GHashTableIter iter;
  CacheRecord *c, *best = NULL;

  g_hash_table_iter_init (&iter, self->cache);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
    if (c->rec->type == type && nav_dns_name_equal (c->rec->name, name) &&
        (best == NULL || c->received > best->received))
      best = c;
  return best;
}

static gint
compare_addresses (gconstpointer a,
                   gconstpointer b)
{
  GInetAddress *x = *(GInetAddress * const *) a, *y = *(GInetAddress * const *) b;
  gsize lx = g_inet_address_get_native_size (x), ly = g_inet_address_get_native_size (y);

  if (lx != ly)
    return lx < ly ? -1 : 1;
  return memcmp (g_inet_address_to_bytes (x), g_inet_address_to_bytes (y), lx);
}

static NavDiscoveredPeer *
assemble (NavMdnsDiscovery *self,
          const gchar      *service)
{
  CacheRecord *srv = find_one (self, service, NAV_DNS_TYPE_SRV);
  CacheRecord *txt = find_one (self, service, NAV_DNS_TYPE_TXT);
  g_autoptr (GPtrArray) addresses = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GStrvBuilder) builder = NULL;
  g_autofree gchar *label = NULL;
  g_autofree gchar *instance = NULL;
  g_auto (GStrv) strings = NULL;
  NavDiscoveredPeer *peer;
  GHashTableIter iter;
  CacheRecord *c;
  guint i;

  if (srv == NULL || txt == NULL)
    return NULL;
  g_hash_table_iter_init (&iter, self->cache);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
    {
      if (!nav_dns_name_equal (c->rec->name, srv->rec->data.srv.target))
        continue;
      if (c->rec->type == NAV_DNS_TYPE_A)
        g_ptr_array_add (addresses, g_inet_address_new_from_bytes (c->rec->data.a, G_SOCKET_FAMILY_IPV4));
      else if (c->rec->type == NAV_DNS_TYPE_AAAA)
        g_ptr_array_add (addresses, g_inet_address_new_from_bytes (c->rec->data.aaaa, G_SOCKET_FAMILY_IPV6));
    }
  if (addresses->len == 0)
    return NULL;
  g_ptr_array_sort (addresses, compare_addresses);

  label = nav_dns_name_first_label (service);
  if (label == NULL)
    return NULL;
  /* RFC 6763 §4.1.1: UTF-8; what is not is shown with replacement
   * characters, never passed on as it came. */
  instance = g_utf8_make_valid (label, -1);
  builder = g_strv_builder_new ();
  for (i = 0; i < txt->rec->data.txt->len; i++)
    {
      gsize n;
      const gchar *s = g_bytes_get_data (g_ptr_array_index (txt->rec->data.txt, i), &n);
      g_autofree gchar *text = NULL;

      if (memchr (s, '\0', n) != NULL)
        continue;
      text = g_utf8_make_valid (s, n);
      g_strv_builder_add (builder, text);
    }
  strings = g_strv_builder_end (builder);
  peer = nav_discovered_peer_new (instance, nav_discovery_get_service_type (NAV_DISCOVERY (self)));
  nav_discovered_peer_set_host (peer, srv->rec->data.srv.target, srv->rec->data.srv.port);
  for (i = 0; i < addresses->len; i++)
    nav_discovered_peer_add_address (peer, g_ptr_array_index (addresses, i));
  nav_discovered_peer_set_txt (peer, (const gchar * const *) strings);
  nav_discovered_peer_set_interface (peer, srv->ifindex);
  return peer;
}

/* Asks for what an instance still lacks, once a second at most. */
static void
resolve_missing (NavMdnsDiscovery *self,
                 const gchar      *service,
                 const gchar      *key,
                 NavDnsMessage    *query,
                 gint64            now)
{
  gint64 *last = g_hash_table_lookup (self->resolving, key);
  CacheRecord *srv;

  if (last != NULL && now - *last < G_USEC_PER_SEC)
    return;
  if (last == NULL)
    {
      last = g_new (gint64, 1);
      g_hash_table_insert (self->resolving, g_strdup (key), last);
    }
  *last = now;
  srv = find_one (self, service, NAV_DNS_TYPE_SRV);
  if (srv == NULL)
    add_question_once (query, service, NAV_DNS_TYPE_SRV);
  if (find_one (self, service, NAV_DNS_TYPE_TXT) == NULL)
    add_question_once (query, service, NAV_DNS_TYPE_TXT);
  if (srv != NULL)
    {
      add_question_once (query, srv->rec->data.srv.target, NAV_DNS_TYPE_A);
      add_question_once (query, srv->rec->data.srv.target, NAV_DNS_TYPE_AAAA);
    }
}

typedef struct {
  guint signal;   /* 0 found, 1 changed, 2 lost */
  NavDiscoveredPeer *peer;
} Emission;

/* Peers found, changed and lost since the last time, among @touched
 * (lower-case service names) or all when NULL. */
static void
evaluate_peers (NavMdnsDiscovery *self,
                GHashTable       *touched)
{
  static const gchar *names[] = { "peer-found", "peer-changed", "peer-lost" };
  g_autoptr (GHashTable) present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GArray) emissions = g_array_new (FALSE, FALSE, sizeof (Emission));
  g_autoptr (NavDnsMessage) query = nav_dns_message_new (0, 0);
  g_autoptr (GPtrArray) services = g_ptr_array_new_with_free_func (g_free);
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  CacheRecord *c;
  const gchar *key;
  NavDiscoveredPeer *old;
  guint i;

  g_hash_table_iter_init (&iter, self->cache);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
    if (c->rec->type == NAV_DNS_TYPE_PTR)
      {
        g_autofree gchar *lower = g_ascii_strdown (c->rec->data.ptr, -1);

        if (touched == NULL || g_hash_table_contains (touched, lower))
          g_ptr_array_add (services, g_strdup (c->rec->data.ptr));
      }

  for (i = 0; i < services->len; i++)
    {
      const gchar *service = g_ptr_array_index (services, i);
      g_autofree gchar *lower = g_ascii_strdown (service, -1);
      NavDiscoveredPeer *peer;

      if (g_hash_table_contains (present, lower))
        continue;
      peer = assemble (self, service);
      if (peer == NULL)
        {
          resolve_missing (self, service, lower, query, now);
          continue;
        }
      g_hash_table_remove (self->resolving, lower);
      g_hash_table_add (present, g_strdup (lower));
      old = g_hash_table_lookup (self->peers, lower);
      if (old == NULL || !nav_discovered_peer_equal (old, peer))
        {
          Emission e = { old == NULL ? 0 : 1, nav_discovered_peer_ref (peer) };

          g_array_append_val (emissions, e);
          g_hash_table_replace (self->peers, g_strdup (lower), peer);
        }
      else
        nav_discovered_peer_unref (peer);
    }
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, (gpointer *) &old))
    if (!g_hash_table_contains (present, key) && (touched == NULL || g_hash_table_contains (touched, key)))
      {
        Emission e = { 2, nav_discovered_peer_ref (old) };

        g_array_append_val (emissions, e);
        g_hash_table_iter_remove (&iter);
      }
  if (query->questions->len > 0)
    nav_mdns_send_multicast (self, 0, query);

  /* Emitted last, with the object held: a handler may stop it. */
  g_object_ref (self);
  for (i = 0; i < emissions->len; i++)
    {
      Emission *e = &g_array_index (emissions, Emission, i);

      g_debug ("%s: %s", names[e->signal], nav_discovered_peer_get_instance_name (e->peer));
      g_signal_emit_by_name (self, names[e->signal], e->peer);
      nav_discovered_peer_unref (e->peer);
    }
  g_object_unref (self);
}

GList *
nav_mdns_browser_list_peers (NavMdnsDiscovery *self)
{
  GList *out = NULL;
  GHashTableIter iter;
  NavDiscoveredPeer *peer;

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &peer))
    out = g_list_prepend (out, nav_discovered_peer_ref (peer));
  return out;
}
