/* nav-mdns-responder.c: the records this peer publishes: probed,
 * announced, defended, answered, and withdrawn with a goodbye
 *
 * What is published (RFC 6763 §4-§7, §9), per interface:
 *
 *   _netavanue._udp.local            PTR  INSTANCE._netavanue._udp.local   shared
 *   _services._dns-sd._udp.local     PTR  _netavanue._udp.local            shared
 *   INSTANCE._netavanue._udp.local   SRV  0 0 PORT nav-ID.local            unique
 *   INSTANCE._netavanue._udp.local   TXT  v=1 id=… caps=… reach=…          unique
 *   nav-ID.local                     A / AAAA  the interface's addresses   unique
 *
 * The host name is ours, `nav-` and the device id, not the machine's:
 * the machine's name belongs to its Avahi daemon when one runs, and two
 * responders claiming it would fight (RFC 6762 §9).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>

#include "nav-mdns-discovery-private.h"

#define PROBE_INTERVAL_MS 250         /* RFC 6762 §8.1 */
#define PROBE_COUNT 3
#define ANNOUNCE_COUNT 2              /* RFC 6762 §8.3: at least two, 1 s apart */
#define LEGACY_TTL 10                 /* RFC 6762 §6.7 */

static void schedule (NavMdnsDiscovery *self, guint delay_ms);

/* ------------------------------------------------------------ records */

static void
add_records (NavMdnsDiscovery       *self,
             GPtrArray              *out,
             const NavMdnsInterface *iface,
             guint32                 host_ttl,
             guint32                 other_ttl,
             gboolean                with_ptr,
             gboolean                with_service,
             gboolean                with_host)
{
  g_autofree gchar *services = g_strdup ("_services._dns-sd._udp.local");
  NavDnsRecord *r;
  guint i;

  if (with_ptr)
    {
      r = nav_dns_record_new (self->type_name, NAV_DNS_TYPE_PTR, other_ttl, FALSE);
      r->data.ptr = g_strdup (self->service_name);
      g_ptr_array_add (out, r);
      /* RFC 6763 §9: service type enumeration. */
      r = nav_dns_record_new (services, NAV_DNS_TYPE_PTR, other_ttl, FALSE);
      r->data.ptr = g_strdup (self->type_name);
      g_ptr_array_add (out, r);
    }
  if (with_service)
    {
      r = nav_dns_record_new (self->service_name, NAV_DNS_TYPE_SRV, host_ttl, TRUE);
      r->data.srv.port = nav_discovery_get_port (NAV_DISCOVERY (self));
      r->data.srv.target = g_strdup (self->host_name);
      g_ptr_array_add (out, r);
      r = nav_dns_record_new (self->service_name, NAV_DNS_TYPE_TXT, other_ttl, TRUE);
      for (i = 0; self->txt != NULL && self->txt[i] != NULL; i++)
        g_ptr_array_add (r->data.txt, g_bytes_new (self->txt[i], MIN (strlen (self->txt[i]), 255)));
      g_ptr_array_add (out, r);
    }
  if (with_host && iface != NULL)
    {
      for (i = 0; i < iface->v4->len; i++)
        {
          r = nav_dns_record_new (self->host_name, NAV_DNS_TYPE_A, host_ttl, TRUE);
          memcpy (r->data.a, &g_array_index (iface->v4, struct in_addr, i), 4);
          g_ptr_array_add (out, r);
        }
      for (i = 0; i < iface->v6->len; i++)
        {
          r = nav_dns_record_new (self->host_name, NAV_DNS_TYPE_AAAA, host_ttl, TRUE);
          memcpy (r->data.aaaa, &g_array_index (iface->v6, struct in6_addr, i), 16);
          g_ptr_array_add (out, r);
        }
    }
}

static GPtrArray *
records_for (NavMdnsDiscovery       *self,
             const NavMdnsInterface *iface)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_dns_record_free);

  add_records (self, out, iface, self->host_ttl, self->other_ttl, TRUE, TRUE, TRUE);
  return out;
}

static void
set_names (NavMdnsDiscovery *self)
{
  g_autofree gchar *label = nav_dns_label_escape (self->instance);

  g_free (self->service_name);
  self->service_name = g_strconcat (label, ".", self->type_name, NULL);
  g_strfreev (self->txt);
  self->txt = nav_discovery_build_txt (NAV_DISCOVERY (self));
}

static void
set_host_label (NavMdnsDiscovery *self)
{
  const gchar *id = nav_discovery_get_device_id (NAV_DISCOVERY (self));
  GString *label = g_string_new ("nav-");
  gsize i;

  /* A host name label: letters, digits, hyphens (RFC 952/1123). */
  for (i = 0; id != NULL && id[i] != '\0' && label->len < 20; i++)
    if (g_ascii_isalnum (id[i]))
      g_string_append_c (label, g_ascii_tolower (id[i]));
  if (self->renames > 0)
    g_string_append_printf (label, "-%u", self->renames + 1);
  g_free (self->host_label);
  self->host_label = g_string_free (label, FALSE);
  g_free (self->host_name);
  self->host_name = g_strconcat (self->host_label, ".local", NULL);
}

/* ------------------------------------------------------------ sending */

static gboolean
rate_limited (NavMdnsDiscovery   *self,
              guint               ifindex,
              const NavDnsRecord *rec,
              gint64              min_interval)
{
  g_autofree gchar *lower = g_ascii_strdown (rec->name, -1);
  gchar *key = g_strdup_printf ("%u|%s|%u", ifindex, lower, rec->type);
  gint64 now = g_get_monotonic_time ();
  gint64 *last = g_hash_table_lookup (self->last_multicast, key);

  /* RFC 6762 §6: a record is multicast at most once a second on a link
   * (a flood of queries gets one answer a second, not one each). */
  if (last != NULL && now - *last < min_interval)
    {
      g_free (key);
      return TRUE;
    }
  last = g_new (gint64, 1);
  *last = now;
  g_hash_table_replace (self->last_multicast, key, last);
  return FALSE;
}

static void
send_records (NavMdnsDiscovery *self,
              guint             ifindex,
              GPtrArray        *records,
              gboolean          goodbye)
{
  g_autoptr (NavDnsMessage) m = nav_dns_message_new (0, NAV_DNS_FLAG_RESPONSE | NAV_DNS_FLAG_AUTHORITATIVE);
  guint i;

  for (i = 0; i < records->len; i++)
    {
      NavDnsRecord *r = nav_dns_record_copy (g_ptr_array_index (records, i));

      if (goodbye)
        r->ttl = 0;
      g_ptr_array_add (m->answers, r);
    }
  nav_mdns_send_multicast (self, ifindex, m);
}

static void
announce (NavMdnsDiscovery *self,
          guint             only_ifindex)
{
  GPtrArray *ifaces = nav_mdns_socket_get_interfaces (self->sock);
  guint i;

  for (i = 0; i < ifaces->len; i++)
    {
      const NavMdnsInterface *iface = g_ptr_array_index (ifaces, i);
      g_autoptr (GPtrArray) records = NULL;
      guint j;

      if (only_ifindex != 0 && iface->ifindex != only_ifindex)
        continue;
      records = records_for (self, iface);
      for (j = 0; j < records->len; j++)
        rate_limited (self, iface->ifindex, g_ptr_array_index (records, j), 0);
      send_records (self, iface->ifindex, records, FALSE);
    }
}

static void
send_goodbye (NavMdnsDiscovery *self,
              gboolean          service_only)
{
  GPtrArray *ifaces = nav_mdns_socket_get_interfaces (self->sock);
  guint i;

  for (i = 0; i < ifaces->len; i++)
    {
      const NavMdnsInterface *iface = g_ptr_array_index (ifaces, i);
      g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_dns_record_free);

      /* RFC 6762 §10.1: the records again, with TTL 0. */
      add_records (self, records, iface, 0, 0, TRUE, !service_only, !service_only);
      if (service_only)
        g_ptr_array_remove_index (records, 1);   /* the type enumeration stays */
      send_records (self, iface->ifindex, records, TRUE);
    }
}

static void
send_probe (NavMdnsDiscovery *self)
{
  GPtrArray *ifaces = nav_mdns_socket_get_interfaces (self->sock);
  guint i;

  for (i = 0; i < ifaces->len; i++)
    {
      const NavMdnsInterface *iface = g_ptr_array_index (ifaces, i);
      g_autoptr (NavDnsMessage) m = nav_dns_message_new (0, 0);
      g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_dns_record_free);
      guint j;

      /* RFC 6762 §8.1: ANY questions for the names wanted, the first
       * asking for unicast answers, the records proposed in the
       * authority section (§8.2, for simultaneous probes). */
      nav_dns_message_add_question (m, self->service_name, NAV_DNS_TYPE_ANY, self->probes_sent == 0);
      nav_dns_message_add_question (m, self->host_name, NAV_DNS_TYPE_ANY, self->probes_sent == 0);
      add_records (self, records, iface, self->host_ttl, self->other_ttl, FALSE, TRUE, TRUE);
      for (j = 0; j < records->len; j++)
        g_ptr_array_add (m->authority, nav_dns_record_copy (g_ptr_array_index (records, j)));
      nav_mdns_send_multicast (self, iface->ifindex, m);
    }
}

/* ------------------------------------------------------------ states */

static gboolean
on_timer (gpointer user_data)
{
  NavMdnsDiscovery *self = user_data;

  g_clear_pointer (&self->responder_timer, g_source_unref);
  switch (self->state)
    {
    case RESPONDER_PROBING:
      if (self->probes_sent < PROBE_COUNT)
        {
          send_probe (self);
          self->probes_sent++;
          schedule (self, PROBE_INTERVAL_MS);
          break;
        }
      /* No one objected: the names are ours (§8.3). */
      self->state = RESPONDER_ANNOUNCING;
      self->announces_sent = 0;
      G_GNUC_FALLTHROUGH;
    case RESPONDER_ANNOUNCING:
      announce (self, 0);
      self->announces_sent++;
      g_debug ("announced %s on %s (%u)", self->service_name, self->host_name, self->announces_sent);
      if (self->announces_sent < ANNOUNCE_COUNT)
        schedule (self, 1000);
      else
        self->state = RESPONDER_ANNOUNCED;
      break;
    default:
      break;
    }
  return G_SOURCE_REMOVE;
}

static void
schedule (NavMdnsDiscovery *self,
          guint             delay_ms)
{
  if (self->responder_timer != NULL)
    {
      g_source_destroy (self->responder_timer);
      g_source_unref (self->responder_timer);
    }
  self->responder_timer = g_timeout_source_new (delay_ms);
  g_source_set_callback (self->responder_timer, on_timer, self, NULL);
  g_source_set_static_name (self->responder_timer, "nav-mdns-responder");
  g_source_attach (self->responder_timer, self->ctx);
}

static void
start_probing (NavMdnsDiscovery *self,
               guint             delay_ms)
{
  self->state = RESPONDER_PROBING;
  self->probes_sent = 0;
  schedule (self, delay_ms);
}

void
nav_mdns_responder_start (NavMdnsDiscovery *self)
{
  NavDiscovery *discovery = NAV_DISCOVERY (self);

  g_free (self->type_name);
  self->type_name = g_strconcat (nav_discovery_get_service_type (discovery), ".local", NULL);
  g_free (self->instance);
  self->instance = g_strdup (nav_discovery_get_instance_name (discovery));
  self->renames = 0;
  set_host_label (self);
  set_names (self);
  self->publishing = TRUE;
  g_hash_table_remove_all (self->last_multicast);
  /* RFC 6762 §8.1: the first probe after a random 0-250 ms. */
  start_probing (self, g_random_int_range (0, PROBE_INTERVAL_MS + 1));
}

void
nav_mdns_responder_stop (NavMdnsDiscovery *self,
                         gboolean          goodbye)
{
  if (!self->publishing)
    return;
  if (goodbye && (self->state == RESPONDER_ANNOUNCING || self->state == RESPONDER_ANNOUNCED))
    send_goodbye (self, FALSE);
  if (self->responder_timer != NULL)
    {
      g_source_destroy (self->responder_timer);
      g_clear_pointer (&self->responder_timer, g_source_unref);
    }
  self->state = RESPONDER_IDLE;
  self->publishing = FALSE;
}

void
nav_mdns_responder_update (NavMdnsDiscovery *self)
{
  NavDiscovery *discovery = NAV_DISCOVERY (self);
  g_auto (GStrv) txt = nav_discovery_build_txt (discovery);

  if (g_strcmp0 (self->instance, nav_discovery_get_instance_name (discovery)) != 0)
    {
      /* A new name: withdraw the old one, probe the new one. */
      if (self->state == RESPONDER_ANNOUNCING || self->state == RESPONDER_ANNOUNCED)
        send_goodbye (self, TRUE);
      g_free (self->instance);
      self->instance = g_strdup (nav_discovery_get_instance_name (discovery));
      set_names (self);
      start_probing (self, 0);
      return;
    }
  if (g_strv_equal ((const gchar * const *) txt, (const gchar * const *) self->txt))
    return;
  set_names (self);
  /* RFC 6762 §8.4: announce the changed records again. */
  if (self->state == RESPONDER_ANNOUNCED || self->state == RESPONDER_ANNOUNCING)
    {
      self->state = RESPONDER_ANNOUNCING;
      self->announces_sent = 0;
      schedule (self, 0);
    }
}

void
nav_mdns_responder_interface_added (NavMdnsDiscovery       *self,
                                    const NavMdnsInterface *iface)
{
  if (self->publishing && (self->state == RESPONDER_ANNOUNCED || self->state == RESPONDER_ANNOUNCING))
    announce (self, iface->ifindex);
}

gboolean
nav_mdns_responder_is_own_service (NavMdnsDiscovery *self,
                                   const gchar      *name)
{
  return self->publishing && self->service_name != NULL && nav_dns_name_equal (name, self->service_name);
}

/* ------------------------------------------------------------ conflicts */

/* "NAME (2)", "NAME (3)"…: the name the user chose, numbered (RFC 6763
 * §9 leaves the form to the implementation; this is Avahi's). */
static void
rename_instance (NavMdnsDiscovery *self)
{
  const gchar *wanted = nav_discovery_get_instance_name (NAV_DISCOVERY (self));
  g_autofree gchar *base = g_strdup (wanted);
  gchar *paren = g_strrstr (base, " (");

  if (paren != NULL && g_str_has_suffix (paren, ")"))
    *paren = '\0';
  self->renames++;
  g_free (self->instance);
  self->instance = g_strdup_printf ("%s (%u)", base, self->renames + 1);
  /* 63 bytes at most: cut the base, on a character boundary. */
  while (strlen (self->instance) > 63 && strlen (base) > 0)
    {
      gchar *end = g_utf8_find_prev_char (base, base + strlen (base));

      if (end == NULL)
        break;
      *end = '\0';
      g_free (self->instance);
      self->instance = g_strdup_printf ("%s (%u)", base, self->renames + 1);
    }
  set_names (self);
  g_debug ("instance name conflict: now %s", self->instance);
  /* The application sees the new name (notify::instance-name). */
  nav_discovery_set_instance_name (NAV_DISCOVERY (self), self->instance);
}

/* Whether @rec is one of ours (a copy of what we sent, looped back or
 * repeated by another responder's cache): not a conflict. */
static gboolean
is_ours (NavMdnsDiscovery   *self,
         const NavDnsRecord *rec)
{
  g_autoptr (GPtrArray) records = NULL;
  GPtrArray *ifaces = nav_mdns_socket_get_interfaces (self->sock);
  guint i, j;

  if (rec->type == NAV_DNS_TYPE_A || rec->type == NAV_DNS_TYPE_AAAA)
    {
      struct sockaddr_storage ss = { 0, };

      if (rec->type == NAV_DNS_TYPE_A)
        {
          ss.ss_family = AF_INET;
          memcpy (&((struct sockaddr_in *) &ss)->sin_addr, rec->data.a, 4);
        }
      else
        {
          ss.ss_family = AF_INET6;
          memcpy (&((struct sockaddr_in6 *) &ss)->sin6_addr, rec->data.aaaa, 16);
        }
      return nav_mdns_socket_is_own_address (self->sock, (struct sockaddr *) &ss);
    }
  for (i = 0; i < ifaces->len; i++)
    {
      records = records_for (self, g_ptr_array_index (ifaces, i));
      for (j = 0; j < records->len; j++)
        if (nav_dns_record_equal_data (g_ptr_array_index (records, j), rec))
          return TRUE;
      g_clear_pointer (&records, g_ptr_array_unref);
    }
  return FALSE;
}

static void
conflict (NavMdnsDiscovery *self,
          gboolean          host)
{
  self->conflicts++;
  if (self->state == RESPONDER_ANNOUNCED)
    {
      /* RFC 6762 §9: probe again; a conflict then renames. */
      g_debug ("conflicting record seen for %s: probing again", host ? self->host_name : self->service_name);
      start_probing (self, 0);
      return;
    }
  if (self->state == RESPONDER_ANNOUNCING)
    send_goodbye (self, TRUE);
  if (host)
    {
      self->renames++;
      set_host_label (self);
      set_names (self);
    }
  else
    rename_instance (self);
  /* RFC 6762 §8.1: after 15 conflicts in 10 s, wait 5 s; here after
   * each rename past the tenth. */
  start_probing (self, self->renames > 10 ? 5000 : 0);
}

void
nav_mdns_responder_handle_response (NavMdnsDiscovery      *self,
                                    const NavMdnsDatagram *d,
                                    const NavDnsMessage   *m)
{
  GPtrArray *sections[2] = { m->answers, m->additional };
  guint s, i;

  if (!self->publishing || self->state == RESPONDER_IDLE)
    return;
  for (s = 0; s < 2; s++)
    for (i = 0; i < sections[s]->len; i++)
      {
        const NavDnsRecord *rec = g_ptr_array_index (sections[s], i);
        gboolean host = nav_dns_name_equal (rec->name, self->host_name);

        if (!host && !nav_dns_name_equal (rec->name, self->service_name))
          continue;
        if (rec->ttl == 0 || is_ours (self, rec))
          continue;
        conflict (self, host);
        return;
      }
}

/* g_ptr_array_sort passes pointers to the elements. */
static gint
compare_record_ptrs (gconstpointer a,
                     gconstpointer b)
{
  return nav_dns_record_compare (*(NavDnsRecord * const *) a, *(NavDnsRecord * const *) b);
}

/* RFC 6762 §8.2: simultaneous probes for one name are ordered by their
 * proposed records, sorted and compared; the lexicographically later
 * set wins, the other host waits a second and probes again. */
static gint
compare_proposals (NavMdnsDiscovery    *self,
                   const NavDnsMessage *m,
                   const gchar         *name,
                   guint                ifindex)
{
  g_autoptr (GPtrArray) theirs = g_ptr_array_new ();
  g_autoptr (GPtrArray) ours = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_dns_record_free);
  const NavMdnsInterface *iface = nav_mdns_socket_lookup_interface (self->sock, ifindex);
  g_autoptr (GPtrArray) mine = g_ptr_array_new ();
  guint i;

  for (i = 0; i < m->authority->len; i++)
    if (nav_dns_name_equal (((NavDnsRecord *) g_ptr_array_index (m->authority, i))->name, name))
      g_ptr_array_add (theirs, g_ptr_array_index (m->authority, i));
  add_records (self, ours, iface, self->host_ttl, self->other_ttl, FALSE, TRUE, TRUE);
  for (i = 0; i < ours->len; i++)
    if (nav_dns_name_equal (((NavDnsRecord *) g_ptr_array_index (ours, i))->name, name))
      g_ptr_array_add (mine, g_ptr_array_index (ours, i));
  g_ptr_array_sort (theirs, compare_record_ptrs);
  g_ptr_array_sort (mine, compare_record_ptrs);
  for (i = 0; i < theirs->len && i < mine->len; i++)
    {
      gint c = nav_dns_record_compare (g_ptr_array_index (mine, i), g_ptr_array_index (theirs, i));

      if (c != 0)
        return c;
    }
  return (gint) mine->len - (gint) theirs->len;
}

static void
answer (NavMdnsDiscovery      *self,
        const NavMdnsDatagram *d,
        const NavDnsMessage   *m)
{
  const NavMdnsInterface *iface = nav_mdns_socket_lookup_interface (self->sock, d->ifindex);
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (NavDnsMessage) reply = NULL;
  g_autoptr (GBytes) bytes = NULL;
  gboolean legacy = !d->from_mdns_port, unicast = legacy;
  guint q, i, k;

  if (iface == NULL)
    return;
  records = records_for (self, iface);
  reply = nav_dns_message_new (legacy ? m->id : 0, NAV_DNS_FLAG_RESPONSE | NAV_DNS_FLAG_AUTHORITATIVE);
  for (q = 0; q < m->questions->len; q++)
    {
      const NavDnsQuestion *question = g_ptr_array_index (m->questions, q);

      if (question->klass != NAV_DNS_CLASS_IN && question->klass != 255)
        continue;
      if (question->unicast)
        unicast = TRUE;
      if (legacy)
        nav_dns_message_add_question (reply, question->name, question->type, FALSE);
      for (i = 0; i < records->len; i++)
        {
          const NavDnsRecord *rec = g_ptr_array_index (records, i);
          gboolean known = FALSE, dup = FALSE;

          if (!nav_dns_name_equal (rec->name, question->name) ||
              (question->type != rec->type && question->type != NAV_DNS_TYPE_ANY))
            continue;
          /* RFC 6762 §7.1: known answers with at least half our TTL. */
          for (k = 0; k < m->answers->len && !known; k++)
            {
              const NavDnsRecord *ka = g_ptr_array_index (m->answers, k);

              known = ka->ttl >= rec->ttl / 2 && nav_dns_record_equal_data (ka, rec);
            }
          for (k = 0; k < reply->answers->len && !dup; k++)
            dup = nav_dns_record_equal_data (g_ptr_array_index (reply->answers, k), rec);
          if (!known && !dup)
            g_ptr_array_add (reply->answers, nav_dns_record_copy (rec));
        }
    }
  if (reply->answers->len == 0)
    return;
  /* RFC 6763 §12: what the querier will ask next, in the additional
   * section: SRV and TXT after a PTR, addresses after an SRV. */
  for (i = 0; i < records->len; i++)
    {
      const NavDnsRecord *rec = g_ptr_array_index (records, i);
      gboolean wanted = FALSE, present = FALSE;

      for (k = 0; k < reply->answers->len; k++)
        {
          const NavDnsRecord *a = g_ptr_array_index (reply->answers, k);

          if (nav_dns_record_equal_data (a, rec))
            present = TRUE;
          else if (a->type == NAV_DNS_TYPE_PTR && nav_dns_name_equal (a->data.ptr, self->service_name))
            wanted = TRUE;
          else if (a->type == NAV_DNS_TYPE_SRV &&
                   (rec->type == NAV_DNS_TYPE_A || rec->type == NAV_DNS_TYPE_AAAA))
            wanted = TRUE;
        }
      if (wanted && !present && rec->type != NAV_DNS_TYPE_PTR)
        g_ptr_array_add (reply->additional, nav_dns_record_copy (rec));
    }
  if (legacy)
    {
      /* RFC 6762 §6.7: to the querier's port, TTLs at most 10 s, no
       * cache-flush bit. */
      GPtrArray *sections[2] = { reply->answers, reply->additional };

      for (k = 0; k < 2; k++)
        for (i = 0; i < sections[k]->len; i++)
          {
            NavDnsRecord *rec = g_ptr_array_index (sections[k], i);

            rec->ttl = MIN (rec->ttl, LEGACY_TTL);
            rec->cache_flush = FALSE;
          }
    }
  if (unicast)
    {
      bytes = nav_dns_message_write (reply, legacy ? 512 * 17 : 1440);
      if (bytes != NULL)
        nav_mdns_socket_send_to (self->sock, (const struct sockaddr *) &d->from, d->from_len, d->ifindex,
                                 g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      return;
    }
  for (i = reply->answers->len; i-- > 0;)
    if (rate_limited (self, d->ifindex, g_ptr_array_index (reply->answers, i), G_USEC_PER_SEC))
      g_ptr_array_remove_index (reply->answers, i);
  if (reply->answers->len > 0)
    nav_mdns_send_multicast (self, d->ifindex, reply);
}

void
nav_mdns_responder_handle_query (NavMdnsDiscovery      *self,
                                 const NavMdnsDatagram *d,
                                 const NavDnsMessage   *m)
{
  guint i;

  if (!self->publishing || self->state == RESPONDER_IDLE)
    return;
  if (self->state == RESPONDER_PROBING && m->authority->len > 0)
    {
      for (i = 0; i < m->questions->len; i++)
        {
          const NavDnsQuestion *q = g_ptr_array_index (m->questions, i);
          gint c;

          if (!nav_dns_name_equal (q->name, self->service_name) && !nav_dns_name_equal (q->name, self->host_name))
            continue;
          c = compare_proposals (self, m, q->name, d->ifindex);
          /* 0: our own probe, looped back. */
          if (c < 0)
            {
              g_debug ("simultaneous probe for %s won by the other host: probing again in 1 s", q->name);
              self->conflicts++;
              start_probing (self, 1000);
              return;
            }
        }
    }
  /* Until the names are ours, nothing is answered (§8.1). */
  if (self->state == RESPONDER_PROBING)
    return;
  answer (self, d, m);
}
