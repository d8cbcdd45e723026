/* nav-turn-server-alloc.c: the TURN server's allocations (RFC 8656 §7),
 * permissions (§9) and channels (§12), and the requests about them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-turn-server-private.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <glib/gi18n-lib.h>

/* A relay socket on @port of @addr (the socket layer's, with the
 * options a relay needs): TCP relays reuse the address, and an RFC 6062
 * connection to a peer leaves from the relayed port (SO_REUSEPORT). */
int
nav_turn_bind_socket (const NavAddress *addr,
                      int               type,
                      guint             port,
                      gboolean          reuse_port)
{
  NavAddress a = *addr;
  NavNetSocketFlags flags = 0;
  int errsv;

  if (type == SOCK_STREAM || reuse_port)
    flags |= NAV_NET_SOCKET_REUSEADDR;
  if (reuse_port)
    flags |= NAV_NET_SOCKET_REUSEPORT;
  nav_address_set_port (&a, port);
  return nav_net_socket_open (&a, type, flags, 0, NULL, &errsv);
}

/* Finds a free port in [min-port, max-port] (RFC 8656 §7.2: even when
 * EVEN-PORT asks, with the next one held when it asks to reserve). */
static int
open_relay (NavTurnServer    *self,
            const NavAddress *ip,
            gboolean          tcp,
            gboolean          even,
            gboolean          reserve,
            NavAddress       *bound,
            int              *reserved_fd)
{
  guint range = self->max_port - self->min_port + 1;
  guint start = g_random_int_range (0, range);
  guint i;

  for (i = 0; i < range; i++)
    {
      guint port = self->min_port + (start + i) % range;
      int fd;

      if (even && (port & 1))
        continue;
      if (reserve && port + 1 > self->max_port)
        continue;
      fd = nav_turn_bind_socket (ip, tcp ? SOCK_STREAM : SOCK_DGRAM, port, tcp);
      if (fd < 0)
        continue;
      if (reserve)
        {
          int fd2 = nav_turn_bind_socket (ip, SOCK_DGRAM, port + 1, FALSE);

          if (fd2 < 0)
            {
              close (fd);
              continue;
            }
          *reserved_fd = fd2;
        }
      if (!tcp)
        {
          int size = 1024 * 1024;

          setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
          setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
          if (nav_address_get_family (ip) == G_SOCKET_FAMILY_IPV4)
            {
              /* DF clear until a client asks (RFC 8656 §14, see
               * relay_set_df()): Linux would set it by default */
              int pmtu = IP_PMTUDISC_DONT;

              setsockopt (fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu);
            }
        }
      *bound = *ip;
      nav_address_set_port (bound, port);
      return fd;
    }
  return -1;
}

Permission *
nav_turn_permission_lookup (Allocation       *alloc,
                   const NavAddress *peer,
                   gint64            now)
{
  NavAddress ip = *peer;
  Permission *p;

  nav_address_set_port (&ip, 0);
  p = g_hash_table_lookup (alloc->permissions, &ip);
  if (p != NULL && p->expires <= now)
    return NULL;
  return p;
}

void
nav_turn_permission_install (Allocation       *alloc,
                    const NavAddress *peer,
                    gint64            now)
{
  NavAddress ip = *peer;
  Permission *p;

  nav_address_set_port (&ip, 0);
  p = g_hash_table_lookup (alloc->permissions, &ip);
  if (p == NULL)
    {
      p = g_new0 (Permission, 1);
      p->ip = ip;
      g_hash_table_insert (alloc->permissions, &p->ip, p);
      nav_turn_flow_cache_clear (alloc);
    }
  /* RFC 8656 §9: permissions last 300 s, refreshed by CreatePermission
   * and ChannelBind */
  p->expires = now + (gint64) alloc->server->permission_lifetime * G_USEC_PER_SEC;
}

static guint
family_index (GSocketFamily family)
{
  return family == G_SOCKET_FAMILY_IPV6 ? RELAY_V6 : RELAY_V4;
}

/* The relay socket that talks to peers of @peer's family, or NULL. */
RelaySocket *
nav_turn_relay_for_peer (Allocation       *alloc,
                const NavAddress *peer)
{
  RelaySocket *rs = &alloc->relays[family_index (nav_address_get_family (peer))];

  return rs->fd >= 0 ? rs : NULL;
}

/* The first live relayed address, IPv4 first (every allocation has one
 * until it is destroyed). */
RelaySocket *
nav_turn_first_relay (Allocation *alloc)
{
  return alloc->relays[RELAY_V4].fd >= 0 ? &alloc->relays[RELAY_V4] : &alloc->relays[RELAY_V6];
}

static guint
n_relays (Allocation *alloc)
{
  return (alloc->relays[RELAY_V4].fd >= 0) + (alloc->relays[RELAY_V6].fd >= 0);
}

guint
nav_turn_udp_key_hash (gconstpointer key)
{
  const UdpKey *k = key;

  return nav_address_hash (&k->client) ^ (k->slot * 0x9E3779B1u);
}

gboolean
nav_turn_udp_key_equal (gconstpointer a,
                        gconstpointer b)
{
  const UdpKey *x = a, *y = b;

  return x->slot == y->slot && nav_address_equal (&x->client, &y->client);
}

/* The shared books (self->lock held) */

static void
user_count_add_locked (NavTurnServer *self,
                       const gchar   *username,
                       gint           delta)
{
  guint count;

  if (username == NULL)
    return;
  count = GPOINTER_TO_UINT (g_hash_table_lookup (self->user_counts, username));
  count += delta;
  if (count == 0)
    g_hash_table_remove (self->user_counts, username);
  else
    g_hash_table_replace (self->user_counts, g_strdup (username), GUINT_TO_POINTER (count));
}

#define CLAIM_OWNED_ELSEWHERE 1

/* Takes a place for a new allocation in the books the workers share:
 * the quotas (RFC 8656 §7.2: 486 over them) and, for a UDP client when
 * there are several workers, its 5-tuple, which another worker may have
 * taken meanwhile (the Allocate retransmitted there, say).  Returns 0,
 * 486, or CLAIM_OWNED_ELSEWHERE with the owner in *@owner. */
static guint
books_claim (Request       *r,
             const UdpKey  *key,
             Worker       **owner)
{
  NavTurnServer *self = r->self;
  guint code = 0;

  pthread_mutex_lock (&self->lock);
  if (key != NULL && self->owners != NULL &&
      (*owner = g_hash_table_lookup (self->owners, key)) != NULL)
    code = CLAIM_OWNED_ELSEWHERE;
  else if (self->user_quota > 0 && r->username != NULL &&
           GPOINTER_TO_UINT (g_hash_table_lookup (self->user_counts, r->username)) >= self->user_quota)
    code = 486;
  else if (self->total_quota > 0 && self->n_allocations >= self->total_quota)
    code = 486;
  else
    {
      if (key != NULL && self->owners != NULL)
        g_hash_table_insert (self->owners, g_memdup2 (key, sizeof *key), r->w);
      user_count_add_locked (self, r->username, 1);
      self->n_allocations++;
    }
  pthread_mutex_unlock (&self->lock);
  return code;
}

static void
books_release (NavTurnServer *self,
               const UdpKey  *key,
               const gchar   *username)
{
  pthread_mutex_lock (&self->lock);
  if (key != NULL && self->owners != NULL)
    g_hash_table_remove (self->owners, key);
  user_count_add_locked (self, username, -1);
  self->n_allocations--;
  pthread_mutex_unlock (&self->lock);
}

/* The worker owning the allocation of @key, or NULL: asked only for a
 * datagram that the worker receiving it does not know. */
Worker *
nav_turn_owner_lookup (NavTurnServer *self,
                       const UdpKey  *key)
{
  Worker *owner;

  pthread_mutex_lock (&self->lock);
  owner = self->owners != NULL ? g_hash_table_lookup (self->owners, key) : NULL;
  pthread_mutex_unlock (&self->lock);
  return owner;
}

guint
nav_turn_allocation_count (NavTurnServer *self)
{
  guint n;

  pthread_mutex_lock (&self->lock);
  n = self->n_allocations;
  pthread_mutex_unlock (&self->lock);
  return n;
}

void
nav_turn_allocation_destroy (Allocation  *alloc,
                    const gchar *why)
{
  Worker *w = alloc->worker;
  gchar relay[NAV_ADDRESS_STRING_LEN];
  gchar client[NAV_ADDRESS_STRING_LEN];

  if (alloc->dead)
    return;
  alloc->dead = TRUE;
  g_info ("event=allocation-deleted client=%s via=%s relay=%s user=\"%s\" reason=%s",
          nav_address_to_string_buf (alloc->conn != NULL ? &alloc->conn->remote : &alloc->key.client, client),
          alloc->conn == NULL ? "udp" : alloc->conn->tls ? "tls" : "tcp",
          nav_address_to_string_buf (&nav_turn_first_relay (alloc)->addr, relay),
          alloc->username != NULL ? alloc->username : "", why);
  if (alloc->conn == NULL)
    g_hash_table_remove (w->udp_allocations, &alloc->key);
  else
    alloc->conn->alloc = NULL;
  g_hash_table_remove (w->allocations, alloc);
  books_release (alloc->server, alloc->conn == NULL ? &alloc->key : NULL, alloc->username);
  while (alloc->tcp_relays != NULL)
    nav_turn_tcp_relay_destroy (alloc->tcp_relays->data);
  g_clear_pointer (&alloc->relay_listener, nav_net_listener_free);
  nav_turn_relay_socket_close (w, alloc, &alloc->relays[RELAY_V4]);
  nav_turn_relay_socket_close (w, alloc, &alloc->relays[RELAY_V6]);
  /* freed at the end of the worker's round: pointers to it (its relay
   * sockets in this round's events) stay valid until then */
  g_ptr_array_add (w->dead_allocations, alloc);
  nav_net_worker_tick_soon (w->loop);
}

void
nav_turn_allocation_free (Allocation *alloc)
{
  g_hash_table_unref (alloc->permissions);
  g_hash_table_unref (alloc->channels);
  g_hash_table_unref (alloc->channels_by_peer);
  g_free (alloc->username);
  g_free (alloc);
}

static gsize
respond_allocate_success (Request    *r,
                          Allocation *alloc,
                          guint64     token)
{
  NavStunMessageBuilder *b = nav_turn_response_begin (r, NAV_STUN_CLASS_SUCCESS_RESPONSE);

  /* RFC 8656 §7.2: one XOR-RELAYED-ADDRESS per family, IPv4 first */
  for (guint i = 0; i < G_N_ELEMENTS (alloc->relays); i++)
    {
      NavAddress advertised = alloc->relays[i].addr;

      if (alloc->relays[i].fd < 0)
        continue;
      if (r->self->external_ip != NULL && i == RELAY_V4)
        {
          NavAddress ext;

          if (nav_address_set_ip_from_string (&ext, r->self->external_ip, NULL) &&
              nav_address_get_family (&ext) == G_SOCKET_FAMILY_IPV4)
            {
              nav_address_set_port (&ext, nav_address_get_port (&advertised));
              advertised = ext;
            }
        }
      nav_stun_message_builder_add_xor_address (b, NAV_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, &advertised, NULL);
    }
  /* the IPv6 half of a dual Allocate that could not be made */
  if (alloc->v6_error != 0)
    nav_stun_message_builder_add_address_error_code (b, G_SOCKET_FAMILY_IPV6, alloc->v6_error,
                                                     nav_stun_error_code_get_reason (alloc->v6_error),
                                                     NULL);
  nav_stun_message_builder_add_uint32 (b, NAV_STUN_ATTRIBUTE_LIFETIME, alloc->lifetime, NULL);
  if (token != 0)
    nav_stun_message_builder_add_uint64 (b, NAV_STUN_ATTRIBUTE_RESERVATION_TOKEN, token, NULL);
  nav_stun_message_builder_add_xor_mapped_address (b, r->from, NULL);
  return nav_turn_response_finish (r, b, TRUE);
}

static guint32
granted_lifetime (NavTurnServer *self,
                  Request       *r)
{
  guint32 requested = self->default_allocate_lifetime;

  /* RFC 8656 §7.2: min (requested, maximum), but never below the default */
  if (nav_stun_message_get_uint32 (r->msg, NAV_STUN_ATTRIBUTE_LIFETIME, &requested, NULL))
    requested = MAX (requested, self->default_allocate_lifetime);
  return MIN (requested, self->max_allocate_lifetime);
}

/* RFC 8656 §7.2 */
gsize
nav_turn_handle_allocate (Request *r)
{
  NavTurnServer *self = r->self;
  Allocation *alloc;
  UdpKey key;
  Worker *owner = NULL;
  guint code;
  guint8 transport = 0;
  GSocketFamily family = G_SOCKET_FAMILY_IPV4, additional = G_SOCKET_FAMILY_INVALID;
  gboolean even = FALSE, reserve = FALSE, has_token, dual = FALSE;
  const NavAddress *relay_ip;
  NavAddress bound, bound6;
  int fd = -1, fd6 = -1, reserved_fd = -1;
  guint v6_error = 0;
  guint64 token = 0;
  gint64 now = nav_turn_now ();
  gchar a1[NAV_ADDRESS_STRING_LEN], a2[NAV_ADDRESS_STRING_LEN], a3[NAV_ADDRESS_STRING_LEN];

  COUNT (r->w, allocate_requests);
  if (r->alloc != NULL)
    {
      /* a retransmission of the Allocate that made it is answered again */
      if (memcmp (r->alloc->txid, r->req + 8, 12) == 0)
        return respond_allocate_success (r, r->alloc, 0);
      return nav_turn_respond_error (r, 437);
    }
  if (r->conn != NULL && r->conn->piped)
    return nav_turn_respond_error (r, 400);
  if (!nav_stun_message_get_requested_transport (r->msg, &transport, NULL))
    return nav_turn_respond_error (r, 400);
  if (transport != 17 && transport != 6)
    return nav_turn_respond_error (r, 442);
  /* RFC 6062 §5.1: TCP relays only for clients over TCP or TLS */
  if (transport == 6 && r->conn == NULL)
    return nav_turn_respond_error (r, 400);

  has_token = nav_stun_message_has_attribute (r->msg, NAV_STUN_ATTRIBUTE_RESERVATION_TOKEN);
  if (nav_stun_message_has_attribute (r->msg, NAV_STUN_ATTRIBUTE_EVEN_PORT))
    {
      if (has_token || !nav_stun_message_get_even_port (r->msg, &reserve, NULL) || transport == 6)
        return nav_turn_respond_error (r, 400);
      even = TRUE;
    }
  if (nav_stun_message_has_attribute (r->msg, NAV_STUN_ATTRIBUTE_ADDITIONAL_ADDRESS_FAMILY))
    {
      /* RFC 8656 §7.2: not with REQUESTED-ADDRESS-FAMILY, nor with a
       * reservation token, and only ever IPv6 on top of IPv4.  A dual
       * allocation is of UDP relays (RFC 6062 has one relayed address),
       * and reserves no port: a token names one address. */
      if (has_token || reserve || transport == 6 ||
          nav_stun_message_has_attribute (r->msg, NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY) ||
          !nav_stun_message_get_address_family (r->msg, NAV_STUN_ATTRIBUTE_ADDITIONAL_ADDRESS_FAMILY,
                                                &additional, NULL) ||
          additional != G_SOCKET_FAMILY_IPV6)
        return nav_turn_respond_error (r, 400);
      dual = TRUE;
    }
  else if (nav_stun_message_has_attribute (r->msg, NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY))
    {
      if (has_token ||
          !nav_stun_message_get_address_family (r->msg, NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY,
                                                &family, NULL))
        return nav_turn_respond_error (r, 400);
    }
  else if (!self->have_relay4 && self->have_relay6)
    family = G_SOCKET_FAMILY_IPV6;

  if (has_token)
    {
      guint64 t = 0;

      if (!nav_stun_message_get_uint64 (r->msg, NAV_STUN_ATTRIBUTE_RESERVATION_TOKEN, &t, NULL))
        return nav_turn_respond_error (r, 400);
      token = t;
    }
  if (!has_token && (family == G_SOCKET_FAMILY_IPV6 ? !self->have_relay6 : !self->have_relay4))
    return nav_turn_respond_error (r, 440);

  if (r->conn == NULL)
    {
      key.slot = r->via->slot;
      key.client = *r->from;
    }
  code = books_claim (r, r->conn == NULL ? &key : NULL, &owner);
  if (code == CLAIM_OWNED_ELSEWHERE)
    {
      /* its owner answers (a retransmission, or 437) */
      NavNetDatagram d = { (guint8 *) r->req, r->req_len, NULL, 0, FALSE };
      struct sockaddr_storage ss;

      d.from_len = nav_address_copy_to_sockaddr (r->from, (struct sockaddr *) &ss, sizeof ss);
      d.from = (struct sockaddr *) &ss;
      nav_turn_hand_over (owner, key.slot, &d);
      return 0;
    }
  if (code != 0)
    return nav_turn_respond_error (r, code);

  if (has_token)
    {
      Reservation *res;

      pthread_mutex_lock (&self->lock);
      res = g_hash_table_lookup (self->reservations, &token);
      if (res != NULL && transport == 17)
        {
          fd = res->fd;
          bound = res->addr;
          res->fd = -1;
          g_hash_table_remove (self->reservations, &token);
        }
      pthread_mutex_unlock (&self->lock);
      token = 0;
      if (res == NULL || transport != 17)
        {
          books_release (self, r->conn == NULL ? &key : NULL, r->username);
          return nav_turn_respond_error (r, 508);
        }
    }
  else
    {
      relay_ip = family == G_SOCKET_FAMILY_IPV6 ? &self->relay6 : &self->relay4;
      fd = open_relay (self, relay_ip, transport == 6, even, reserve, &bound, &reserved_fd);
      if (fd < 0)
        {
          books_release (self, r->conn == NULL ? &key : NULL, r->username);
          return nav_turn_respond_error (r, 508);
        }
      if (dual)
        {
          /* RFC 8656 §7.2: the IPv4 address is made; when the IPv6 one
           * cannot be, the allocation goes on with IPv4 only and says why
           * in ADDRESS-ERROR-CODE */
          if (!self->have_relay6)
            v6_error = 440;
          else if ((fd6 = open_relay (self, &self->relay6, FALSE, even, FALSE, &bound6, NULL)) < 0)
            v6_error = 508;
        }
    }

  alloc = g_new0 (Allocation, 1);
  alloc->server = self;
  alloc->worker = r->w;
  for (guint i = 0; i < G_N_ELEMENTS (alloc->relays); i++)
    {
      alloc->relays[i].watch = WATCH_RELAY;
      alloc->relays[i].alloc = alloc;
      alloc->relays[i].fd = -1;
    }
  alloc->relays[family_index (nav_address_get_family (&bound))].fd = fd;
  alloc->relays[family_index (nav_address_get_family (&bound))].addr = bound;
  if (fd6 >= 0)
    {
      alloc->relays[RELAY_V6].fd = fd6;
      alloc->relays[RELAY_V6].addr = bound6;
    }
  alloc->v6_error = v6_error;
  /* RFC 8656 §7.2: the client wants DF; it is set on what its ChannelData
   * carries (a Send indication says so for itself, §11.3) */
  alloc->dont_fragment = nav_stun_message_has_attribute (r->msg, NAV_STUN_ATTRIBUTE_DONT_FRAGMENT);
  alloc->tcp_relay = transport == 6;
  alloc->username = g_strdup (r->username);
  memcpy (alloc->auth_key, r->key, r->key_len);
  alloc->auth_key_len = r->key_len;
  alloc->auth_algorithm = r->algorithm;
  alloc->auth_sha256 = r->integrity_sha256;
  memcpy (alloc->txid, r->req + 8, 12);
  alloc->lifetime = granted_lifetime (self, r);
  alloc->expires = now + (gint64) alloc->lifetime * G_USEC_PER_SEC;
  alloc->bucket_time = now;
  alloc->tokens = (gint64) self->max_bps;
  alloc->permissions = g_hash_table_new_full ((GHashFunc) nav_address_hash,
                                              (GEqualFunc) nav_address_equal, NULL, g_free);
  alloc->channels = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  alloc->channels_by_peer = g_hash_table_new ((GHashFunc) nav_address_hash,
                                              (GEqualFunc) nav_address_equal);
  if (r->conn != NULL)
    {
      alloc->conn = r->conn;
      r->conn->alloc = alloc;
    }
  else
    {
      alloc->key = key;
      g_hash_table_insert (r->w->udp_allocations, &alloc->key, alloc);
    }
  if (alloc->tcp_relay)
    nav_turn_tcp_relay_listen (alloc, fd);
  else
    for (guint i = 0; i < G_N_ELEMENTS (alloc->relays); i++)
      nav_turn_relay_watch (r->w, &alloc->relays[i]);
  g_hash_table_add (r->w->allocations, alloc);
  COUNT (r->w, allocations_total);

  if (reserved_fd >= 0)
    {
      Reservation *res = g_new0 (Reservation, 1);

      pthread_mutex_lock (&self->lock);
      do
        token = ((guint64) g_random_int () << 32) | g_random_int ();
      while (token == 0 || g_hash_table_contains (self->reservations, &token));
      res->token = token;
      res->fd = reserved_fd;
      res->addr = bound;
      nav_address_set_port (&res->addr, nav_address_get_port (&bound) + 1);
      res->expires = now + NAV_TURN_RESERVATION_TIMEOUT;
      g_hash_table_insert (self->reservations, &res->token, res);
      pthread_mutex_unlock (&self->lock);
    }

  g_info ("event=allocation-created client=%s via=%s relay=%s%s%s transport=%s user=\"%s\" lifetime=%u",
          nav_address_to_string_buf (r->from, a1),
          r->conn == NULL ? "udp" : r->conn->tls ? "tls" : "tcp",
          nav_address_to_string_buf (&bound, a2),
          fd6 >= 0 ? "," : "", fd6 >= 0 ? nav_address_to_string_buf (&bound6, a3) : "",
          alloc->tcp_relay ? "tcp" : "udp", alloc->username != NULL ? alloc->username : "",
          alloc->lifetime);
  return respond_allocate_success (r, alloc, token);
}

static gboolean
same_family (gpointer key,
             gpointer value,
             gpointer user_data)
{
  return nav_address_get_family (key) == (GSocketFamily) GPOINTER_TO_INT (user_data);
}

/* Deletes one relayed address of a dual allocation, with the permissions
 * and channels of its family (RFC 8656 §7.5). */
static void
allocation_drop_family (Allocation    *alloc,
                        GSocketFamily  family)
{
  GHashTableIter iter;
  gpointer value;

  nav_turn_relay_socket_close (alloc->worker, alloc, &alloc->relays[family_index (family)]);
  nav_turn_flow_cache_clear (alloc);
  g_hash_table_foreach_remove (alloc->permissions, same_family, GINT_TO_POINTER (family));
  g_hash_table_iter_init (&iter, alloc->channels);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Channel *ch = value;

      if (nav_address_get_family (&ch->peer) == family)
        {
          g_hash_table_remove (alloc->channels_by_peer, &ch->peer);
          g_hash_table_iter_remove (&iter);
        }
    }
}

/* RFC 8656 §7.5 */
gsize
nav_turn_handle_refresh (Request *r)
{
  NavStunMessageBuilder *b;
  GSocketFamily family = G_SOCKET_FAMILY_INVALID;
  guint32 lifetime;

  COUNT (r->w, refresh_requests);
  if (r->alloc == NULL)
    return nav_turn_respond_error (r, 437);
  if (nav_stun_message_has_attribute (r->msg, NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY))
    {
      /* a Refresh about one family of the allocation: one it does not
       * have is a mismatch */
      if (!nav_stun_message_get_address_family (r->msg, NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY,
                                                &family, NULL))
        return nav_turn_respond_error (r, 400);
      if (r->alloc->relays[family_index (family)].fd < 0)
        return nav_turn_respond_error (r, 443);
    }
  if (nav_stun_message_get_uint32 (r->msg, NAV_STUN_ATTRIBUTE_LIFETIME, &lifetime, NULL) &&
      lifetime == 0)
    {
      if (family != G_SOCKET_FAMILY_INVALID && n_relays (r->alloc) > 1)
        {
          /* lifetime 0 with REQUESTED-ADDRESS-FAMILY: only that
           * relayed address goes; the allocation lives on */
          gchar buf[NAV_ADDRESS_STRING_LEN];

          g_debug ("event=relayed-address-deleted relay=%s",
                   nav_address_to_string_buf (&r->alloc->relays[family_index (family)].addr, buf));
          allocation_drop_family (r->alloc, family);
        }
      else
        {
          nav_turn_allocation_destroy (r->alloc, "refresh-0");
          r->alloc = NULL;
        }
    }
  else
    {
      lifetime = granted_lifetime (r->self, r);
      r->alloc->lifetime = lifetime;
      r->alloc->expires = nav_turn_now () + (gint64) lifetime * G_USEC_PER_SEC;
    }
  b = nav_turn_response_begin (r, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  nav_stun_message_builder_add_uint32 (b, NAV_STUN_ATTRIBUTE_LIFETIME, lifetime, NULL);
  return nav_turn_response_finish (r, b, TRUE);
}

/* Checks a peer address of a request.  Returns 0 or an error code. */
guint
nav_turn_check_peer (Request          *r,
            const NavAddress *peer)
{
  if (nav_turn_relay_for_peer (r->alloc, peer) == NULL)
    return 443;                 /* RFC 8656 §9.1: no relayed address of its family */
  if (!nav_turn_peer_policy_allows (&r->self->policy, peer))
    return 403;
  return 0;
}

/* RFC 8656 §9.2 */
gsize
nav_turn_handle_create_permission (Request *r)
{
  NavAddress peers[16];
  guint n = 0, code;
  gint idx;
  gint64 now = nav_turn_now ();

  COUNT (r->w, permission_requests);
  if (r->alloc == NULL)
    return nav_turn_respond_error (r, 437);
  for (idx = nav_stun_message_find_attribute (r->msg, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, 0);
       idx >= 0;
       idx = nav_stun_message_find_attribute (r->msg, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, idx + 1))
    {
      if (n == G_N_ELEMENTS (peers) ||
          !nav_stun_message_get_xor_address_nth (r->msg, idx, &peers[n], NULL))
        return nav_turn_respond_error (r, 400);
      if ((code = nav_turn_check_peer (r, &peers[n])) != 0)
        return nav_turn_respond_error (r, code);
      n++;
    }
  if (n == 0)
    return nav_turn_respond_error (r, 400);
  /* all or nothing (RFC 8656 §9.2) */
  for (guint i = 0; i < n; i++)
    nav_turn_permission_install (r->alloc, &peers[i], now);
  return nav_turn_response_finish (r, nav_turn_response_begin (r, NAV_STUN_CLASS_SUCCESS_RESPONSE), TRUE);
}

/* RFC 8656 §12.2 */
gsize
nav_turn_handle_channel_bind (Request *r)
{
  NavAddress peer;
  guint16 number;
  const guint8 *cn;
  gsize cn_len = 0;
  Channel *ch, *other;
  guint code;
  gint64 now = nav_turn_now ();

  COUNT (r->w, channel_bind_requests);
  if (r->alloc == NULL)
    return nav_turn_respond_error (r, 437);
  if (r->alloc->tcp_relay)
    return nav_turn_respond_error (r, 400);
  cn = nav_stun_message_get_attribute (r->msg, NAV_STUN_ATTRIBUTE_CHANNEL_NUMBER, &cn_len);
  number = cn != NULL && cn_len == 4 ? nav_turn_rd16 (cn) : 0;
  /* RFC 8656 §12 narrowed the range to 0x4FFF (and the codec checks
   * that); RFC 5766 clients, coturn's among them, still pick up to 0x7FFF */
  if (number < 0x4000 || number > 0x7FFF ||
      !nav_stun_message_get_xor_address (r->msg, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, &peer, NULL))
    {
      g_debug ("event=channel-bind-refused reason=bad-attributes");
      return nav_turn_respond_error (r, 400);
    }
  if ((code = nav_turn_check_peer (r, &peer)) != 0)
    return nav_turn_respond_error (r, code);
  ch = g_hash_table_lookup (r->alloc->channels, GUINT_TO_POINTER (number));
  other = g_hash_table_lookup (r->alloc->channels_by_peer, &peer);
  /* a channel is bound to one peer, a peer to one channel */
  if ((ch != NULL && !nav_address_equal (&ch->peer, &peer)) ||
      (other != NULL && other->number != number))
    {
      gchar buf[NAV_ADDRESS_STRING_LEN];

      g_debug ("event=channel-bind-refused channel=0x%04x peer=%s reason=already-bound",
               number, nav_address_to_string_buf (&peer, buf));
      return nav_turn_respond_error (r, 400);
    }
  if (ch == NULL)
    {
      ch = g_new0 (Channel, 1);
      ch->number = number;
      ch->peer = peer;
      g_hash_table_insert (r->alloc->channels, GUINT_TO_POINTER (number), ch);
      g_hash_table_insert (r->alloc->channels_by_peer, &ch->peer, ch);
      nav_turn_flow_cache_clear (r->alloc);
    }
  ch->expires = now + (gint64) r->self->channel_lifetime * G_USEC_PER_SEC;
  nav_turn_permission_install (r->alloc, &peer, now);
  return nav_turn_response_finish (r, nav_turn_response_begin (r, NAV_STUN_CLASS_SUCCESS_RESPONSE), TRUE);
}

/* RFC 8656 §10.2: Send indications; never answered */
void
nav_turn_handle_send (Request *r)
{
  NavAddress peer;
  const guint8 *data;
  gsize len;
  gint64 now = nav_turn_now ();

  COUNT (r->w, send_indications);
  if (r->alloc == NULL)
    {
      COUNT (r->w, dropped_no_allocation);
      return;
    }
  data = nav_stun_message_get_attribute (r->msg, NAV_STUN_ATTRIBUTE_DATA, &len);
  if (data == NULL ||
      !nav_stun_message_get_xor_address (r->msg, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, &peer, NULL))
    {
      COUNT (r->w, dropped_malformed);
      return;
    }
  if (nav_turn_permission_lookup (r->alloc, &peer, now) == NULL)
    {
      COUNT (r->w, dropped_no_permission);
      return;
    }
  /* RFC 8656 §11.3: DF as the indication asks */
  nav_turn_relay_to_peer (r->alloc, &peer, data, len, now,
                 nav_stun_message_has_attribute (r->msg, NAV_STUN_ATTRIBUTE_DONT_FRAGMENT));
  /* the data is in the parsed copy of the message, freed next */
  nav_turn_peer_flush (r->w);
}


static gboolean
expired_permission (gpointer key,
                    gpointer value,
                    gpointer user_data)
{
  return ((Permission *) value)->expires <= *(gint64 *) user_data;
}

/* What has expired in a live allocation (RFC 8656 §9, §12; RFC 6062
 * §5.2, §5.3). */
void
nav_turn_sweep_allocation (Allocation *alloc,
                           gint64      now)
{
  GHashTableIter ci;
  gpointer cv;

  if (g_hash_table_foreach_remove (alloc->permissions, expired_permission, &now) > 0)
    nav_turn_flow_cache_clear (alloc);
  g_hash_table_iter_init (&ci, alloc->channels);
  while (g_hash_table_iter_next (&ci, NULL, &cv))
    {
      Channel *ch = cv;

      /* RFC 8656 §12: an expired channel stays unusable for five minutes
       * before its number and peer may be rebound */
      if (ch->expires + 300 * G_USEC_PER_SEC <= now)
        {
          nav_turn_flow_cache_clear (alloc);
          g_hash_table_remove (alloc->channels_by_peer, &ch->peer);
          g_hash_table_iter_remove (&ci);
        }
    }
  for (GList *l = alloc->tcp_relays; l != NULL;)
    {
      TcpRelay *relay = l->data;

      l = l->next;
      if (relay->data_conn == NULL && relay->deadline <= now)
        {
          if (relay->connect_pending)
            nav_turn_tcp_relay_answer_connect (relay, 447);
          nav_turn_tcp_relay_destroy (relay);
        }
    }
}
