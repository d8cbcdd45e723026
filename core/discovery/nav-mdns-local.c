/* nav-mdns-local.c: one-shot mDNS resolution of `.local` ICE candidates
 *
 * Browsers put a random `UUID.local` name in their host candidates
 * instead of the address (RFC 8828 §5.1, mode 2 and the
 * draft-ietf-mmusic-mdns-ice-candidates procedure) and answer for it
 * with their own mDNS responder.  libnice cannot read such a candidate;
 * GStreamer's webrtcbin resolves it itself before handing it over.
 * Here the agent does: the name is asked for on the link (A and AAAA,
 * multicast, RFC 6762 §5.1), the candidate is added with the address
 * that answers, and dropped when nothing does in time (the peer's
 * checks then arrive from an address we learn as peer-reflexive).
 *
 * The system resolver is not used: it answers `.local` only with
 * nss-mdns installed and an Avahi daemon running, which containers and
 * servers have not.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>

#include "nav-agent-private.h"
#include "nav-mdns-local-private.h"
#include "nav-mdns-socket.h"
#include "nav-dns.h"

#define MAX_CACHE_TTL 120
#define MAX_CACHED_NAMES 256

/* ------------------------------------------------------------ cache */

typedef struct {
  GPtrArray *addresses;   /* GInetAddress */
  gint64 expires;         /* monotonic µs */
} CacheEntry;

G_LOCK_DEFINE_STATIC (cache);
static GHashTable *cache;   /* name → CacheEntry */
static NavMdnsCandidateStats stats;

static void
cache_entry_free (gpointer data)
{
  CacheEntry *e = data;

  g_ptr_array_unref (e->addresses);
  g_free (e);
}

static GPtrArray *
cache_lookup (const gchar *name)
{
  GPtrArray *found = NULL;
  CacheEntry *e;

  G_LOCK (cache);
  e = cache != NULL ? g_hash_table_lookup (cache, name) : NULL;
  if (e != NULL && e->expires > g_get_monotonic_time ())
    found = g_ptr_array_ref (e->addresses);
  else if (e != NULL)
    g_hash_table_remove (cache, name);
  G_UNLOCK (cache);
  return found;
}

static void
cache_store (const gchar *name,
             GPtrArray   *addresses,
             guint32      ttl)
{
  CacheEntry *e;

  if (ttl == 0)
    return;
  e = g_new0 (CacheEntry, 1);
  e->addresses = g_ptr_array_ref (addresses);
  e->expires = g_get_monotonic_time () + (gint64) MIN (ttl, MAX_CACHE_TTL) * G_USEC_PER_SEC;
  G_LOCK (cache);
  if (cache == NULL)
    cache = g_hash_table_new_full (nav_dns_name_hash, (GEqualFunc) nav_dns_name_equal, g_free, cache_entry_free);
  /* A peer sending names by the thousand cannot grow it without bound. */
  if (g_hash_table_size (cache) >= MAX_CACHED_NAMES)
    g_hash_table_remove_all (cache);
  g_hash_table_replace (cache, g_strdup (name), e);
  G_UNLOCK (cache);
}

void
nav_mdns_resolve_clear_cache (void)
{
  G_LOCK (cache);
  if (cache != NULL)
    g_hash_table_remove_all (cache);
  G_UNLOCK (cache);
}

/* ------------------------------------------------------------ one query */

typedef struct {
  gchar *name;
  GMainContext *ctx;
  NavMdnsSocket *sock;
  GSource *timer;
  gint64 deadline;
  guint sends;
  NavMdnsResolveFunc func;
  gpointer user_data;
  GDestroyNotify notify;
  gboolean done;
} Resolve;

static void
resolve_free (Resolve *r)
{
  if (r->timer != NULL)
    {
      g_source_destroy (r->timer);
      g_source_unref (r->timer);
    }
  nav_mdns_socket_free (r->sock);
  if (r->notify != NULL)
    r->notify (r->user_data);
  g_main_context_unref (r->ctx);
  g_free (r->name);
  g_free (r);
}

static gboolean
free_later (gpointer data)
{
  resolve_free (data);
  return G_SOURCE_REMOVE;
}

/* Calls back once; the sockets are closed from an idle (this may run
 * inside their own callback). */
static void
finish (Resolve      *r,
        GPtrArray    *addresses,
        const GError *error)
{
  GSource *idle;

  if (r->done)
    return;
  r->done = TRUE;
  r->func (r->name, addresses, error, r->user_data);
  idle = g_idle_source_new ();
  g_source_set_callback (idle, free_later, r, NULL);
  g_source_attach (idle, r->ctx);
  g_source_unref (idle);
}

static void
send_query (Resolve *r)
{
  g_autoptr (NavDnsMessage) m = nav_dns_message_new (0, 0);
  g_autoptr (GBytes) bytes = NULL;

  /* RFC 6762 §6.7: a legacy (one-shot, not port 5353) query carries an
   * id, echoed in the unicast answer. */
  if (!nav_mdns_socket_is_mdns_port (r->sock))
    m->id = g_random_int_range (1, 65536);
  nav_dns_message_add_question (m, r->name, NAV_DNS_TYPE_A, FALSE);
  nav_dns_message_add_question (m, r->name, NAV_DNS_TYPE_AAAA, FALSE);
  bytes = nav_dns_message_write (m, NAV_DNS_MAX_MESSAGE);
  if (bytes != NULL)
    nav_mdns_socket_multicast (r->sock, 0, AF_UNSPEC, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  r->sends++;
}

static void
on_datagram (NavMdnsSocket         *sock,
             const NavMdnsDatagram *d,
             gpointer               user_data)
{
  Resolve *r = user_data;
  g_autoptr (NavDnsMessage) m = NULL;
  g_autoptr (GPtrArray) addresses = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *sections[2];
  guint32 ttl = G_MAXUINT32;
  guint s, i;

  if (r->done || !d->on_link)
    return;
  m = nav_dns_message_parse (d->data, d->len, &error);
  if (m == NULL)
    {
      g_debug ("mDNS: malformed message dropped: %s", error->message);
      return;
    }
  if (!(m->flags & NAV_DNS_FLAG_RESPONSE) || (m->flags & 0x7800) != 0)
    return;
  addresses = g_ptr_array_new_with_free_func (g_object_unref);
  sections[0] = m->answers;
  sections[1] = m->additional;
  for (s = 0; s < 2; s++)
    for (i = 0; i < sections[s]->len; i++)
      {
        const NavDnsRecord *rec = g_ptr_array_index (sections[s], i);
        GInetAddress *address;

        if (rec->klass != NAV_DNS_CLASS_IN || rec->ttl == 0 || !nav_dns_name_equal (rec->name, r->name))
          continue;
        if (rec->type == NAV_DNS_TYPE_A)
          address = g_inet_address_new_from_bytes (rec->data.a, G_SOCKET_FAMILY_IPV4);
        else if (rec->type == NAV_DNS_TYPE_AAAA)
          address = g_inet_address_new_from_bytes (rec->data.aaaa, G_SOCKET_FAMILY_IPV6);
        else
          continue;
        ttl = MIN (ttl, rec->ttl);
        g_ptr_array_add (addresses, address);
      }
  if (addresses->len == 0)
    return;
  cache_store (r->name, addresses, ttl);
  finish (r, addresses, NULL);
}

static void schedule (Resolve *r, gint64 at);

static gboolean
on_timer (gpointer user_data)
{
  Resolve *r = user_data;
  gint64 now = g_get_monotonic_time ();

  g_clear_pointer (&r->timer, g_source_unref);
  if (now >= r->deadline)
    {
      g_autoptr (GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                              "No mDNS answer for %s", r->name);

      finish (r, NULL, error);
      return G_SOURCE_REMOVE;
    }
  /* RFC 6762 §5.2: retransmit, the interval doubling (0, 1 s, 3 s, …). */
  send_query (r);
  schedule (r, MIN (now + (gint64) (1 << MIN (r->sends - 1, 10)) * G_USEC_PER_SEC, r->deadline));
  return G_SOURCE_REMOVE;
}

static void
schedule (Resolve *r,
          gint64   at)
{
  gint64 delay = MAX (at - g_get_monotonic_time (), 0);

  r->timer = g_timeout_source_new ((guint) ((delay + 999) / 1000));
  g_source_set_callback (r->timer, on_timer, r, NULL);
  g_source_attach (r->timer, r->ctx);
}

static gboolean
deliver_cached (gpointer user_data)
{
  Resolve *r = user_data;
  g_autoptr (GPtrArray) addresses = cache_lookup (r->name);

  if (addresses != NULL)
    r->func (r->name, addresses, NULL, r->user_data);
  else
    {
      g_autoptr (GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "No mDNS answer for %s", r->name);

      r->func (r->name, NULL, error, r->user_data);
    }
  return G_SOURCE_REMOVE;
}

void
nav_mdns_resolve (GMainContext       *ctx,
                  const gchar        *name,
                  guint               timeout_ms,
                  NavMdnsResolveFunc  func,
                  gpointer            user_data,
                  GDestroyNotify      notify)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) cached = cache_lookup (name);
  Resolve *r = g_new0 (Resolve, 1);
  const gchar *env = g_getenv ("NAV_MDNS_RESOLVE_TIMEOUT_MS");

  r->name = g_strdup (name);
  r->ctx = ctx != NULL ? g_main_context_ref (ctx) : g_main_context_ref_thread_default ();
  r->func = func;
  r->user_data = user_data;
  r->notify = notify;
  if (timeout_ms == 0)
    timeout_ms = env != NULL ? (guint) g_ascii_strtoull (env, NULL, 10) : NAV_MDNS_RESOLVE_TIMEOUT_MS;
  if (timeout_ms == 0)
    timeout_ms = NAV_MDNS_RESOLVE_TIMEOUT_MS;

  if (cached != NULL)
    {
      GSource *idle = g_idle_source_new ();

      g_source_set_callback (idle, deliver_cached, r, (GDestroyNotify) resolve_free);
      g_source_attach (idle, r->ctx);
      g_source_unref (idle);
      return;
    }

  /* Port 5353 shared with the host's responders; an ephemeral port when
   * something holds 5353 exclusively. */
  r->sock = nav_mdns_socket_new (r->ctx, TRUE, on_datagram, NULL, r, NULL);
  if (r->sock == NULL)
    r->sock = nav_mdns_socket_new (r->ctx, FALSE, on_datagram, NULL, r, &error);
  if (r->sock == NULL)
    {
      GSource *idle = g_idle_source_new ();

      g_debug ("mDNS: %s", error->message);
      g_source_set_callback (idle, deliver_cached, r, (GDestroyNotify) resolve_free);
      g_source_attach (idle, r->ctx);
      g_source_unref (idle);
      return;
    }
  r->deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  schedule (r, 0);
}

gboolean
nav_mdns_is_local_name (const gchar *host)
{
  gsize n;

  if (host == NULL)
    return FALSE;
  n = strlen (host);
  if (n > 0 && host[n - 1] == '.')
    n--;
  return n > 6 && g_ascii_strncasecmp (host + n - 6, ".local", 6) == 0;
}

/* ------------------------------------------------------------ candidates */

typedef struct {
  GWeakRef agent;
  guint stream_id;
  gchar **tokens;   /* the candidate's fields, the address at 4 */
} PendingCandidate;

static void
pending_free (gpointer data)
{
  PendingCandidate *p = data;

  g_weak_ref_clear (&p->agent);
  g_strfreev (p->tokens);
  g_free (p);
}

static void
on_candidate_resolved (const gchar  *name,
                       GPtrArray    *addresses,
                       const GError *error,
                       gpointer      user_data)
{
  PendingCandidate *p = user_data;
  g_autoptr (NavAgent) agent = g_weak_ref_get (&p->agent);
  guint i, added = 0;

  if (agent == NULL)
    return;
  if (addresses == NULL)
    {
      g_atomic_int_inc (&stats.failed);
      g_debug ("mDNS candidate %s dropped: %s", name, error != NULL ? error->message : "no answer");
      return;
    }
  for (i = 0; i < addresses->len; i++)
    {
      g_autofree gchar *ip = g_inet_address_to_string (g_ptr_array_index (addresses, i));
      g_autofree gchar *old = p->tokens[4];
      g_autofree gchar *line = NULL;
      g_autoptr (NavCandidate) c = NULL;
      GSList list = { NULL, NULL };

      p->tokens[4] = ip;
      line = g_strjoinv (" ", p->tokens);
      p->tokens[4] = g_steal_pointer (&old);
      c = nav_agent_parse_remote_candidate_sdp (agent, p->stream_id, line);
      if (c == NULL)
        continue;
      list.data = c;
      if (nav_agent_set_remote_candidates (agent, p->stream_id, c->component_id, &list) > 0)
        added++;
    }
  if (added > 0)
    g_atomic_int_inc (&stats.resolved);
  else
    g_atomic_int_inc (&stats.failed);
  g_debug ("mDNS candidate %s resolved: %u candidate(s) added", name, added);
}

gboolean
nav_mdns_candidate_resolve (NavAgent    *agent,
                            guint        stream_id,
                            const gchar *line)
{
  g_auto (GStrv) raw = NULL;
  GPtrArray *tokens;
  PendingCandidate *p;
  const gchar *text = line;
  gchar *name;
  guint i;

  if (g_str_has_prefix (text, "a="))
    text += 2;
  if (!g_str_has_prefix (text, "candidate:"))
    return FALSE;
  raw = g_strsplit_set (text, " \r\n", -1);
  tokens = g_ptr_array_new ();
  for (i = 0; raw[i] != NULL; i++)
    if (raw[i][0] != '\0')
      g_ptr_array_add (tokens, g_strdup (raw[i]));
  g_ptr_array_add (tokens, NULL);
  if (tokens->len < 9 || !nav_mdns_is_local_name (g_ptr_array_index (tokens, 4)))
    {
      g_strfreev ((gchar **) g_ptr_array_free (tokens, FALSE));
      return FALSE;
    }
  g_atomic_int_inc (&stats.started);
  name = g_ptr_array_index (tokens, 4);
  if (!nav_dns_name_is_valid (name))
    {
      g_atomic_int_inc (&stats.invalid);
      g_debug ("mDNS candidate with an invalid name dropped: %s", line);
      g_strfreev ((gchar **) g_ptr_array_free (tokens, FALSE));
      return TRUE;
    }
  p = g_new0 (PendingCandidate, 1);
  g_weak_ref_init (&p->agent, agent);
  p->stream_id = stream_id;
  p->tokens = (gchar **) g_ptr_array_free (tokens, FALSE);
  name = g_strdup (p->tokens[4]);
  nav_mdns_resolve (agent->context, name, 0, on_candidate_resolved, p, pending_free);
  g_free (name);
  return TRUE;
}

void
nav_mdns_candidate_get_stats (NavMdnsCandidateStats *out)
{
  out->started = g_atomic_int_get (&stats.started);
  out->resolved = g_atomic_int_get (&stats.resolved);
  out->failed = g_atomic_int_get (&stats.failed);
  out->invalid = g_atomic_int_get (&stats.invalid);
}

/* ------------------------------------------------------------ our names */

/* The names that hide this process's host addresses (the
 * `mdns-host-candidates` option): `UUID.local`, one per address, for the
 * life of the process (a browser keeps them for its session), answered
 * by a responder of their own in a thread of its own, so that it
 * outlives any one connection. */

typedef struct {
  GMainContext *ctx;
  NavMdnsSocket *sock;
  GHashTable *by_name;      /* name → GInetAddress */
  GHashTable *by_address;   /* address text → name */
  GHashTable *last_sent;    /* "ifindex|name" → gint64* */
} Names;

G_LOCK_DEFINE_STATIC (names);
static Names *names;

static NavDnsRecord *
name_record (const gchar  *name,
             GInetAddress *address,
             guint32       ttl)
{
  gboolean v4 = g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4;
  NavDnsRecord *r = nav_dns_record_new (name, v4 ? NAV_DNS_TYPE_A : NAV_DNS_TYPE_AAAA, ttl, TRUE);

  memcpy (v4 ? r->data.a : r->data.aaaa, g_inet_address_to_bytes (address), v4 ? 4 : 16);
  return r;
}

/* RFC 6762 §6: answers for the names asked for, multicast on the link
 * the query came from (a record at most once a second), unicast to a
 * one-shot querier (§6.7) or when asked to (§5.4). */
static void
on_name_query (NavMdnsSocket         *sock,
               const NavMdnsDatagram *d,
               gpointer               user_data)
{
  g_autoptr (NavDnsMessage) m = NULL;
  g_autoptr (NavDnsMessage) reply = NULL;
  g_autoptr (GBytes) bytes = NULL;
  gboolean legacy = !d->from_mdns_port, unicast = legacy;
  guint i;

  if (!d->on_link)
    return;
  m = nav_dns_message_parse (d->data, d->len, NULL);
  if (m == NULL || (m->flags & (NAV_DNS_FLAG_RESPONSE | 0x7800)) != 0)
    return;
  reply = nav_dns_message_new (legacy ? m->id : 0, NAV_DNS_FLAG_RESPONSE | NAV_DNS_FLAG_AUTHORITATIVE);
  G_LOCK (names);
  for (i = 0; i < m->questions->len; i++)
    {
      const NavDnsQuestion *q = g_ptr_array_index (m->questions, i);
      GInetAddress *address = g_hash_table_lookup (names->by_name, q->name);
      gboolean v4;

      if (address == NULL)
        continue;
      v4 = g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4;
      if (q->type != NAV_DNS_TYPE_ANY && q->type != (v4 ? NAV_DNS_TYPE_A : NAV_DNS_TYPE_AAAA))
        continue;
      if (q->unicast)
        unicast = TRUE;
      if (legacy)
        nav_dns_message_add_question (reply, q->name, q->type, FALSE);
      if (!unicast)
        {
          g_autofree gchar *key = g_strdup_printf ("%u|%s", d->ifindex, q->name);
          gint64 *last = g_hash_table_lookup (names->last_sent, key), now = g_get_monotonic_time ();

          if (last != NULL && now - *last < G_USEC_PER_SEC)
            continue;
          last = g_new (gint64, 1);
          *last = now;
          g_hash_table_replace (names->last_sent, g_steal_pointer (&key), last);
        }
      g_ptr_array_add (reply->answers, name_record (q->name, address, legacy ? 10 : 120));
      if (legacy)
        ((NavDnsRecord *) g_ptr_array_index (reply->answers, reply->answers->len - 1))->cache_flush = FALSE;
    }
  G_UNLOCK (names);
  if (reply->answers->len == 0)
    return;
  bytes = nav_dns_message_write (reply, 1440);
  if (bytes == NULL)
    return;
  if (unicast)
    nav_mdns_socket_send_to (sock, (const struct sockaddr *) &d->from, d->from_len, d->ifindex,
                             g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  else
    nav_mdns_socket_multicast (sock, d->ifindex, AF_UNSPEC, g_bytes_get_data (bytes, NULL),
                               g_bytes_get_size (bytes));
}

static gboolean
refresh_interfaces (gpointer data)
{
  nav_mdns_socket_refresh (data);
  return G_SOURCE_CONTINUE;
}

static gpointer
names_thread (gpointer data)
{
  Names *n = data;
  g_autoptr (GMainLoop) loop = NULL;
  GSource *tick;

  g_main_context_push_thread_default (n->ctx);
  loop = g_main_loop_new (n->ctx, FALSE);
  tick = g_timeout_source_new_seconds (5);
  g_source_set_callback (tick, refresh_interfaces, n->sock, NULL);
  g_source_attach (tick, n->ctx);
  g_source_unref (tick);
  g_main_loop_run (loop);
  return NULL;
}

static Names *
names_get (void)
{
  static gsize started = 0;

  if (g_once_init_enter (&started))
    {
      Names *n = g_new0 (Names, 1);
      g_autoptr (GError) error = NULL;

      n->ctx = g_main_context_new ();
      n->by_name = g_hash_table_new_full (nav_dns_name_hash, (GEqualFunc) nav_dns_name_equal, g_free, g_object_unref);
      n->by_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      n->last_sent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      n->sock = nav_mdns_socket_new (n->ctx, TRUE, on_name_query, NULL, n, &error);
      if (n->sock == NULL)
        g_warning ("mDNS names of host candidates not answered: %s", error->message);
      else
        g_thread_unref (g_thread_new ("nav-mdns-names", names_thread, n));
      names = n;
      g_once_init_leave (&started, 1);
    }
  return names;
}

typedef struct {
  gchar *name;
  GInetAddress *address;
} Announce;

/* RFC 6762 §8.3: said once when the name is made (a peer's one-shot
 * query finds it anyway). */
static gboolean
announce_name (gpointer data)
{
  Announce *a = data;
  g_autoptr (NavDnsMessage) m = nav_dns_message_new (0, NAV_DNS_FLAG_RESPONSE | NAV_DNS_FLAG_AUTHORITATIVE);
  g_autoptr (GBytes) bytes = NULL;

  g_ptr_array_add (m->answers, name_record (a->name, a->address, 120));
  bytes = nav_dns_message_write (m, 1440);
  if (bytes != NULL && names->sock != NULL)
    nav_mdns_socket_multicast (names->sock, 0, AF_UNSPEC, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  return G_SOURCE_REMOVE;
}

static void
announce_free (gpointer data)
{
  Announce *a = data;

  g_free (a->name);
  g_object_unref (a->address);
  g_free (a);
}

gchar *
nav_mdns_conceal_candidate (const gchar *line)
{
  g_auto (GStrv) tokens = NULL;
  g_autoptr (GInetAddress) address = NULL;
  Names *n;
  const gchar *name;
  gboolean host = FALSE;
  guint i, count;

  tokens = g_strsplit (line, " ", -1);
  count = g_strv_length (tokens);
  if (count < 8)
    return NULL;
  for (i = 6; i + 1 < count; i += 2)
    if (g_str_equal (tokens[i], "typ"))
      host = g_str_equal (tokens[i + 1], "host");
  if (!host)
    {
      /* draft-ietf-mmusic-mdns-ice-candidates §3.1.2.2: a reflexive or
       * relayed candidate must not give the host address away in its
       * related address either. */
      for (i = 8; i + 1 < count; i += 2)
        {
          if (g_str_equal (tokens[i], "raddr"))
            {
              g_free (tokens[i + 1]);
              tokens[i + 1] = g_strdup (strchr (tokens[4], ':') != NULL ? "::" : "0.0.0.0");
            }
          else if (g_str_equal (tokens[i], "rport"))
            {
              g_free (tokens[i + 1]);
              tokens[i + 1] = g_strdup ("9");
            }
        }
      return g_strjoinv (" ", tokens);
    }
  address = g_inet_address_new_from_string (tokens[4]);
  if (address == NULL)
    return NULL;
  n = names_get ();
  if (n->sock == NULL)
    return NULL;
  G_LOCK (names);
  name = g_hash_table_lookup (n->by_address, tokens[4]);
  if (name == NULL)
    {
      g_autofree gchar *uuid = g_uuid_string_random ();
      gchar *made = g_strconcat (uuid, ".local", NULL);
      Announce *a = g_new0 (Announce, 1);

      g_hash_table_insert (n->by_address, g_strdup (tokens[4]), made);
      g_hash_table_insert (n->by_name, g_strdup (made), g_object_ref (address));
      name = made;
      a->name = g_strdup (made);
      a->address = g_object_ref (address);
      g_main_context_invoke_full (n->ctx, G_PRIORITY_DEFAULT, announce_name, a, announce_free);
    }
  g_free (tokens[4]);
  tokens[4] = g_strdup (name);
  G_UNLOCK (names);
  return g_strjoinv (" ", tokens);
}
