/* nav-turn-server.c: the TURN server (RFC 8656, RFC 6062, RFC 6156): the
 * object, its listeners, start and stop, and counters
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The workers, requests, allocations, relaying and connections are in
 * the other nav-turn-server-*.c files, see nav-turn-server-private.h.
 * This file is near 1,500 lines because a third of it is the documented
 * property specifications of class_init (one per coturn option), which
 * belong with the object they describe.
 */
#include "config.h"

#include "nav-turn-server-private.h"

#include <errno.h>
#include <malloc.h>
#include <string.h>
#include <unistd.h>
#include <ifaddrs.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <glib/gi18n-lib.h>
#include <glib-unix.h>

/**
 * NavTurnServer:
 *
 * The TURN server (RFC 8656, with RFC 6062 TCP allocations and RFC 6156
 * IPv6 relays) of the `turn` module: a [iface@Nav.Server] registered as
 * `turn` at the `nav-server` extension point.  Its properties are coturn's
 * options of the same name and meaning, so that a coturn configuration
 * translates line by line.
 *
 * Clients reach it over UDP, TCP and TLS, on IPv4 and IPv6.  Every request
 * but Binding is authenticated with the long-term credential mechanism
 * (RFC 8489 §9.2), from a user list or time-limited TURN REST API
 * credentials; nothing is ever relayed for a client that has not
 * authenticated.  Peers in loopback, private and link-local ranges are
 * refused unless allowed.
 *
 * An Allocate with ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §7.2) gets an
 * IPv4 and an IPv6 relayed address, each with its own socket; a Refresh
 * with REQUESTED-ADDRESS-FAMILY and lifetime 0 deletes one of them.  A
 * Send indication with DONT-FRAGMENT, or ChannelData of an allocation
 * made with it, leaves with DF set (RFC 8656 §11.3): too big for the
 * path, it is dropped and counted (`dropped-dont-fragment`) instead of
 * fragmented.
 *
 * The relay path is built for rate: datagrams are read in batches
 * (recvmmsg(2)) into buffers owned by the server, allocations, channels
 * and permissions are found in hash tables, ChannelData is framed in place
 * in front of the received payload, and datagrams leave in batches
 * (sendmmsg(2)): to one UDP client, and to the peers of one relayed
 * address.  Plain TCP connections are read and written with recv(2) and
 * send(2), everything relayed to a client in one wake-up in one write.
 * Everything the server does not relay is counted, see
 * [method@Nav.Server.get_stats].
 *
 * Under attack it holds: a nonce is bound to the client's 5-tuple (a
 * signed request replayed from another socket gets 438); TLS handshakes
 * run in a worker thread, bounded in number (in all and per client
 * address, [property@Nav.TurnServer:max-tls-handshakes]) and in time;
 * connections without an allocation that stay silent are closed
 * ([property@Nav.TurnServer:tcp-idle-timeout]), and no more than
 * [property@Nav.TurnServer:max-tcp-connections] are kept; when the
 * process runs out of file descriptors the accept loops back off and
 * resume by themselves.
 *
 * Since: 1.0
 */

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_RUNNING,
  PROP_LISTENING_IP,
  PROP_LISTENING_IPS,
  PROP_LISTENING_PORT,
  PROP_TLS_LISTENING_PORT,
  PROP_RELAY_IP,
  PROP_EXTERNAL_IP,
  PROP_REALM,
  PROP_MIN_PORT,
  PROP_MAX_PORT,
  PROP_LT_CRED_MECH,
  PROP_USE_AUTH_SECRET,
  PROP_STATIC_AUTH_SECRET,
  PROP_NO_AUTH,
  PROP_USERS,
  PROP_USERDB,
  PROP_USER_QUOTA,
  PROP_TOTAL_QUOTA,
  PROP_MAX_BPS,
  PROP_DEFAULT_ALLOCATE_LIFETIME,
  PROP_MAX_ALLOCATE_LIFETIME,
  PROP_PERMISSION_LIFETIME,
  PROP_CHANNEL_LIFETIME,
  PROP_STALE_NONCE,
  PROP_NO_UDP,
  PROP_NO_TCP,
  PROP_NO_TLS,
  PROP_CERT,
  PROP_PKEY,
  PROP_ALLOW_LOOPBACK_PEERS,
  PROP_DENIED_PEER_IP,
  PROP_ALLOWED_PEER_IP,
  PROP_SOFTWARE,
  PROP_TCP_IDLE_TIMEOUT,
  PROP_MAX_TCP_CONNECTIONS,
  PROP_TLS_HANDSHAKE_TIMEOUT,
  PROP_MAX_TLS_HANDSHAKES,
  PROP_MAX_TLS_HANDSHAKES_PER_IP,
  PROP_THREADS,
  PROP_STEERING,
  PROP_PORT,
  PROP_TLS_PORT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void nav_turn_server_server_init (NavServerInterface *iface);

/* A static type: the module registers it when loaded (and is pinned), a
 * test that compiles the server in when it first uses it. */
G_DEFINE_TYPE_WITH_CODE (NavTurnServer, nav_turn_server, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (NAV_TYPE_SERVER,
                                                nav_turn_server_server_init))

/* The descriptors the server needs: a few of its own, two per listening
 * address, and one per connection and per relayed address.  Under a
 * lower limit the accept loops would run out (they back off then, see
 * core/net/nav-net-listener.c); the soft limit is raised to the hard one
 * when it helps, and otherwise max-tcp-connections is lowered so that the
 * server starts, saying how many it would need. */
#define FDS_RESERVED 64

static gboolean
check_fd_limit (NavTurnServer  *self,
                GError        **error)
{
  guint64 wanted = FDS_RESERVED + (guint64) self->max_tcp_connections * 2;
  guint64 limit = nav_net_fd_limit_raise (wanted);

  self->effective_max_tcp = self->max_tcp_connections;
  if (limit == 0 || limit >= wanted)
    return TRUE;
  if (limit <= FDS_RESERVED + 2)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES,
                   /* %llu, not G_GUINT64_FORMAT: xgettext cuts a message there */
                   _("The file descriptor limit (%llu) is too low: "
                     "the TURN server needs at least %u, and %llu for %u TCP connections"),
                   (unsigned long long) limit, FDS_RESERVED + 2, (unsigned long long) wanted,
                   self->max_tcp_connections);
      return FALSE;
    }
  /* Half of what is left for the connections, the rest for relayed
   * addresses. */
  self->effective_max_tcp = (guint) MAX ((limit - FDS_RESERVED) / 2, 1);
  g_message ("event=fd-limit limit=%" G_GUINT64_FORMAT " needed=%" G_GUINT64_FORMAT
             " max-tcp-connections=%u effective-max-tcp-connections=%u "
             "hint=\"raise it (ulimit -n %" G_GUINT64_FORMAT ") or lower --max-tcp-connections\"",
             limit, wanted, self->max_tcp_connections, self->effective_max_tcp, wanted);
  return TRUE;
}

/* Start and stop */

static gboolean
check_configuration (NavTurnServer  *self,
                     GError        **error)
{
  if (self->min_port > self->max_port)
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("The relay port range is empty: min-port %u is above max-port %u"),
                   self->min_port, self->max_port);
      return FALSE;
    }
  if ((self->lt_cred_mech || self->use_auth_secret) &&
      (self->realm == NULL || self->realm[0] == '\0'))
    {
      g_set_error_literal (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                           _("The long-term credential mechanism needs a realm"));
      return FALSE;
    }
  if (self->use_auth_secret && (self->static_auth_secret == NULL || self->static_auth_secret[0] == '\0'))
    {
      g_set_error_literal (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                           _("use-auth-secret needs static-auth-secret"));
      return FALSE;
    }
  if (!self->lt_cred_mech && !self->use_auth_secret && !self->no_auth)
    {
      g_set_error_literal (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                           _("The TURN server needs credentials: give lt-cred-mech with users, "
                             "or use-auth-secret, or no-auth for an open relay"));
      return FALSE;
    }
  if (self->default_allocate_lifetime > self->max_allocate_lifetime)
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("The default allocation lifetime %u is above the maximum %u"),
                   self->default_allocate_lifetime, self->max_allocate_lifetime);
      return FALSE;
    }
  return TRUE;
}

static void
pick_interface_address (GSocketFamily  family,
                        NavAddress    *out,
                        gboolean      *found)
{
  struct ifaddrs *ifa_list = NULL, *ifa;
  gboolean have_loopback = FALSE;
  NavAddress loopback;

  *found = FALSE;
  if (getifaddrs (&ifa_list) < 0)
    return;
  for (ifa = ifa_list; ifa != NULL; ifa = ifa->ifa_next)
    {
      NavAddress a;

      if (ifa->ifa_addr == NULL ||
          ifa->ifa_addr->sa_family != (family == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET))
        continue;
      if (!nav_address_set_from_sockaddr (&a, ifa->ifa_addr,
                                          family == G_SOCKET_FAMILY_IPV6 ? sizeof (struct sockaddr_in6)
                                                                         : sizeof (struct sockaddr_in)))
        continue;
      if (nav_address_is_link_local (&a))
        continue;
      if (nav_address_is_loopback (&a))
        {
          if (!have_loopback)
            loopback = a;
          have_loopback = TRUE;
          continue;
        }
      *out = a;
      *found = TRUE;
      break;
    }
  freeifaddrs (ifa_list);
  if (!*found && have_loopback)
    {
      *out = loopback;
      *found = TRUE;
    }
}

static gboolean
setup_relay_addresses (NavTurnServer  *self,
                       gchar         **ips,
                       GError        **error)
{
  guint i;

  self->have_relay4 = self->have_relay6 = FALSE;
  if (self->relay_ip != NULL && self->relay_ip[0] != '\0')
    {
      g_auto (GStrv) parts = g_strsplit_set (self->relay_ip, ", ", -1);

      for (i = 0; parts[i] != NULL; i++)
        {
          NavAddress a;

          if (parts[i][0] == '\0')
            continue;
          if (!nav_address_set_ip_from_string (&a, parts[i], error))
            return FALSE;
          if (nav_address_get_family (&a) == G_SOCKET_FAMILY_IPV6 && !self->have_relay6)
            self->relay6 = a, self->have_relay6 = TRUE;
          else if (nav_address_get_family (&a) == G_SOCKET_FAMILY_IPV4 && !self->have_relay4)
            self->relay4 = a, self->have_relay4 = TRUE;
        }
      return TRUE;
    }
  /* default: the listening addresses, or an interface address */
  for (i = 0; ips[i] != NULL; i++)
    {
      NavAddress a;

      if (!nav_address_set_ip_from_string (&a, ips[i], NULL) || nav_address_is_any (&a))
        continue;
      if (nav_address_get_family (&a) == G_SOCKET_FAMILY_IPV6 && !self->have_relay6)
        self->relay6 = a, self->have_relay6 = TRUE;
      else if (nav_address_get_family (&a) == G_SOCKET_FAMILY_IPV4 && !self->have_relay4)
        self->relay4 = a, self->have_relay4 = TRUE;
    }
  for (i = 0; ips[i] != NULL; i++)
    {
      NavAddress a;

      if (!nav_address_set_ip_from_string (&a, ips[i], NULL) || !nav_address_is_any (&a))
        continue;
      if (nav_address_get_family (&a) == G_SOCKET_FAMILY_IPV6 && !self->have_relay6)
        pick_interface_address (G_SOCKET_FAMILY_IPV6, &self->relay6, &self->have_relay6);
      else if (nav_address_get_family (&a) == G_SOCKET_FAMILY_IPV4 && !self->have_relay4)
        pick_interface_address (G_SOCKET_FAMILY_IPV4, &self->relay4, &self->have_relay4);
    }
  return TRUE;
}

/* A UDP socket on @port of @address for worker @w, or a TCP or TLS
 * listener (@w NULL) on the server's context.  With several UDP workers
 * each has a socket of its own on every listening address, in one
 * SO_REUSEPORT group per address. */
static Listener *
listener_new (NavTurnServer     *self,
              Worker            *w,
              ListenerKind       kind,
              const NavAddress  *address,
              guint              port,
              guint              slot,
              GError           **error)
{
  Listener *listener;
  NavAddress a = *address;

  nav_address_set_port (&a, port);
  listener = g_new0 (Listener, 1);
  listener->watch = WATCH_LISTENER;
  listener->server = self;
  listener->worker = w;
  listener->slot = slot;
  listener->kind = kind;
  listener->fd = -1;
  if (kind == LISTENER_UDP)
    {
      int errsv = 0;

      listener->fd = nav_net_socket_open (&a, SOCK_DGRAM,
                                          self->n_udp_workers > 1 ? NAV_NET_SOCKET_REUSEPORT : 0,
                                          4 * 1024 * 1024, &listener->local, &errsv);
      if (listener->fd < 0)
        {
          nav_net_set_listen_error (error, &a, "UDP", errsv);
          g_free (listener);
          return NULL;
        }
      g_ptr_array_add (w->listeners, listener);
      nav_net_worker_watch (w->loop, listener->fd, EPOLLIN, listener);
      return listener;
    }
  listener->tcp = nav_net_listener_new (self->context, &a, 0, 1024,
                                        nav_turn_conn_accepted, listener,
                                        kind == LISTENER_TCP ? "TCP" : "TLS", error);
  if (listener->tcp == NULL)
    {
      g_free (listener);
      return NULL;
    }
  listener->local = *nav_net_listener_get_address (listener->tcp);
  g_ptr_array_add (self->listeners, listener);
  return listener;
}

void
nav_turn_listener_free (gpointer data)
{
  Listener *listener = data;

  if (listener->fd >= 0)
    close (listener->fd);
  nav_net_listener_free (listener->tcp);
  g_free (listener);
}

/* The workers with UDP sockets: the threads, or the control worker when
 * there are none. */
static inline Worker *
udp_worker (NavTurnServer *self,
            guint          i)
{
  return self->workers[self->n_workers > 1 ? i + 1 : 0];
}

static void
reservation_free (gpointer data)
{
  Reservation *res = data;

  if (res->fd >= 0)
    close (res->fd);
  g_free (res);
}

static void
close_listeners (NavTurnServer *self)
{
  for (guint i = 0; i < self->n_workers; i++)
    {
      Worker *w = self->workers[i];

      for (guint k = 0; k < w->listeners->len; k++)
        {
          Listener *l = g_ptr_array_index (w->listeners, k);

          nav_net_worker_unwatch (w->loop, l->fd);
          nav_turn_listener_free (l);
        }
      g_ptr_array_set_size (w->listeners, 0);
    }
  g_ptr_array_set_size (self->listeners, 0);
}

/* Every listener of a kind shares one port, the first one bound. */
static gboolean
open_listeners (NavTurnServer  *self,
                gchar         **ips,
                GError        **error)
{
  gchar buf[NAV_ADDRESS_STRING_LEN];
  guint i, port;

  port = self->listening_port;
  for (i = 0; ips[i] != NULL; i++)
    {
      NavAddress a;
      Listener *l;

      if (!nav_address_set_ip_from_string (&a, ips[i], error))
        return FALSE;
      for (guint k = 0; k < self->n_udp_workers; k++)
        {
          if ((l = listener_new (self, udp_worker (self, k), LISTENER_UDP, &a, port, i, error)) == NULL)
            return FALSE;
          port = nav_address_get_port (&l->local);
          if (k == 0)
            g_message ("event=listening server=turn proto=udp address=%s threads=%u",
                       nav_address_to_string_buf (&l->local, buf), self->n_workers - 1);
        }
      if (self->n_udp_workers > 1 &&
          !nav_net_socket_set_steering (nav_turn_worker_listener (udp_worker (self, 0), i)->fd,
                                        self->steer, self->n_udp_workers))
        g_warning ("event=steering-unavailable steering=%s error=\"%s\"",
                   self->steering, g_strerror (errno));
      if (!self->no_tcp)
        {
          if ((l = listener_new (self, NULL, LISTENER_TCP, &a, port, 0, error)) == NULL)
            return FALSE;
          port = nav_address_get_port (&l->local);
          g_message ("event=listening server=turn proto=tcp address=%s",
                     nav_address_to_string_buf (&l->local, buf));
        }
    }
  self->bound_port = port;
  if (self->tls != NULL)
    {
      port = self->tls_listening_port;
      for (i = 0; ips[i] != NULL; i++)
        {
          NavAddress a;
          Listener *l;

          nav_address_set_ip_from_string (&a, ips[i], NULL);
          if ((l = listener_new (self, NULL, LISTENER_TLS, &a, port, 0, error)) == NULL)
            return FALSE;
          port = nav_address_get_port (&l->local);
          g_message ("event=listening server=turn proto=tls address=%s",
                     nav_address_to_string_buf (&l->local, buf));
        }
      self->bound_tls_port = port;
    }

  return TRUE;
}

static void nav_turn_server_stop (NavServer *server);

static gboolean
nav_turn_server_start (NavServer  *server,
                       GError    **error)
{
  NavTurnServer *self = NAV_TURN_SERVER (server);
  g_auto (GStrv) ips = NULL;
  guint i;

  if (self->running)
    return TRUE;
  if (!check_configuration (self, error))
    return FALSE;

  if (self->listening_ips != NULL && self->listening_ips[0] != NULL)
    ips = g_strdupv (self->listening_ips);
  else if (self->listening_ip != NULL)
    ips = g_strsplit_set (self->listening_ip, ", ", -1);
  else
    ips = g_strsplit (NAV_TURN_DEFAULT_LISTENING_IP, ",", -1);
  {
    /* drop empty entries */
    GPtrArray *clean = g_ptr_array_new ();

    for (i = 0; ips[i] != NULL; i++)
      if (ips[i][0] != '\0')
        g_ptr_array_add (clean, g_strdup (ips[i]));
    g_ptr_array_add (clean, NULL);
    g_strfreev (ips);
    ips = (GStrv) g_ptr_array_free (clean, FALSE);
  }

  if (!nav_net_steering_from_string (self->steering, &self->steer))
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("Unknown steering “%s”: hash, cpu or random"), self->steering);
      return FALSE;
    }
  self->user_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  self->user_passwords = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->user_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->conns = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->tcp_relays = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->reservations = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, reservation_free);
  self->listeners = g_ptr_array_new_with_free_func (nav_turn_listener_free);
  self->dead_conns = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_turn_conn_free);
  self->n_allocations = 0;
  for (i = 0; i < sizeof self->nonce_secret; i++)
    self->nonce_secret[i] = g_random_int () & 0xFF;
  /* The control worker, and the threads */
  self->n_workers = 1 + self->threads;
  self->n_udp_workers = self->no_udp ? 0 : MAX (self->threads, 1);
  self->workers = g_new0 (Worker *, self->n_workers);
  for (i = 0; i < self->n_workers; i++)
    if ((self->workers[i] = nav_turn_worker_new (self, i, error)) == NULL)
      goto fail;
  if (self->n_udp_workers > 1)
    self->owners = g_hash_table_new_full (nav_turn_udp_key_hash, nav_turn_udp_key_equal, g_free, NULL);

  self->policy.allow_loopback = self->allow_loopback_peers;
  if (!nav_turn_load_users (self, error) ||
      !nav_turn_parse_ranges (self->denied_peer_ips, &self->policy.denied, error) ||
      !nav_turn_parse_ranges (self->allowed_peer_ips, &self->policy.allowed, error) ||
      !setup_relay_addresses (self, ips, error))
    goto fail;
  if (!self->have_relay4 && !self->have_relay6)
    {
      g_set_error_literal (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                           _("No address to relay on: give relay-ip"));
      goto fail;
    }
  if (!self->no_tls && !self->no_tcp && self->cert_file != NULL)
    {
      /* One credentials object for every connection; handshakes in a
       * worker thread, bounded (issue 14). */
      self->tls = nav_net_tls_server_new (self->context, self->cert_file, self->pkey_file,
                                          &self->tls_limits, nav_turn_tls_handshake_done, self,
                                          error);
      if (self->tls == NULL)
        goto fail;
    }
  if (!check_fd_limit (self, error))
    goto fail;
  /* with port 0, the port picked for UDP may be taken for TCP: again */
  for (i = 0;; i++)
    {
      g_autoptr (GError) local_error = NULL;

      if (open_listeners (self, ips, &local_error))
        break;
      if (i == 20 || (self->listening_port != 0 &&
                      (self->tls == NULL || self->tls_listening_port != 0)))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          goto fail;
        }
      close_listeners (self);
    }

  /* The workers start serving: the threads, and the control worker on
   * the server's context. */
  nav_net_worker_attach (CONTROL (self)->loop, self->context, "[nav-turn] control worker");
  for (i = 1; i < self->n_workers; i++)
    {
      g_autofree gchar *name = g_strdup_printf ("nav-turn-%u", i);

      if (!nav_net_worker_start_thread (self->workers[i]->loop, name, error))
        goto fail;
    }

  self->running = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  return TRUE;

fail:
  self->running = TRUE;         /* so that stop() tears down */
  nav_turn_server_stop (server);
  return FALSE;
}

static void
nav_turn_server_stop (NavServer *server)
{
  NavTurnServer *self = NAV_TURN_SERVER (server);
  gboolean was_running = self->running;

  if (!self->running)
    return;

  /* The workers stop first (the threads are joined): from here on this
   * thread alone touches what they owned. */
  for (guint i = self->n_workers; i-- > 0;)
    if (self->workers[i] != NULL)
      nav_net_worker_stop (self->workers[i]->loop);
  /* The listeners next: nothing new comes in while the rest goes. */
  g_clear_pointer (&self->listeners, g_ptr_array_unref);
  g_clear_pointer (&self->tls, nav_net_tls_server_free);
  if (self->conns != NULL)
    {
      g_autoptr (GList) conns = g_hash_table_get_keys (self->conns);

      for (GList *l = conns; l != NULL; l = l->next)
        nav_turn_conn_close (l->data);
    }
  for (guint i = 0; i < self->n_workers; i++)
    if (self->workers[i] != NULL)
      nav_turn_worker_destroy_allocations (self->workers[i]);
  if (self->reap_source != NULL)
    {
      g_source_destroy (self->reap_source);
      g_clear_pointer (&self->reap_source, g_source_unref);
    }
  g_clear_pointer (&self->dead_conns, g_ptr_array_unref);
  for (guint i = 0; i < self->n_workers; i++)
    if (self->workers[i] != NULL)
      {
        /* what the workers counted stays in the stats */
        nav_net_counters_sum ((guint64 *) &self->retired, (const guint64 *) &self->workers[i]->counters,
                              sizeof (Counters) / sizeof (guint64));
        g_clear_pointer (&self->workers[i], nav_turn_worker_free);
      }
  g_clear_pointer (&self->workers, g_free);
  self->n_workers = self->n_udp_workers = 0;
  g_clear_pointer (&self->owners, g_hash_table_unref);
  g_clear_pointer (&self->reservations, g_hash_table_unref);
  g_clear_pointer (&self->tcp_relays, g_hash_table_unref);
  g_clear_pointer (&self->conns, g_hash_table_unref);
  g_clear_pointer (&self->user_counts, g_hash_table_unref);
  g_clear_pointer (&self->user_passwords, g_hash_table_unref);
  g_clear_pointer (&self->user_keys, g_hash_table_unref);
  g_clear_pointer (&self->policy.denied, g_array_unref);
  g_clear_pointer (&self->policy.allowed, g_array_unref);
  self->running = FALSE;
  if (was_running)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static const gchar * const extra_counters[] = {
  "allocations", "connections", "threads", "handed-over", "tls-handshakes", "tls-handshake-failed", "tls-handshake-timeouts", "tls-handshakes-refused",
  "tcp-accept-paused", NULL
};

static GVariant *
nav_turn_server_get_stats (NavServer *server)
{
  NavTurnServer *self = NAV_TURN_SERVER (server);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{st}"));
#define ADD_COUNTER(field, name) \
  g_variant_builder_add (&builder, "{st}", name, nav_turn_server_get_counter (self, name));
  NAV_TURN_COUNTERS (ADD_COUNTER)
#undef ADD_COUNTER
  for (guint i = 0; extra_counters[i] != NULL; i++)
    g_variant_builder_add (&builder, "{st}", extra_counters[i],
                           nav_turn_server_get_counter (self, extra_counters[i]));
  return g_variant_builder_end (&builder);
}

static void
nav_turn_server_server_init (NavServerInterface *iface)
{
  iface->start = nav_turn_server_start;
  iface->stop = nav_turn_server_stop;
  iface->get_stats = nav_turn_server_get_stats;
}

/**
 * nav_turn_server_get_counter: (skip)
 * @self: a TURN server
 * @name: a key of [method@Nav.Server.get_stats]
 *
 * Returns: the counter; `dropped` sums every `dropped-*` counter.
 */
guint64
nav_turn_server_get_counter (NavTurnServer *self,
                             const gchar   *name)
{
  Counters sum = self->retired;

  /* the workers' counters, added up */
  for (guint i = 0; i < self->n_workers; i++)
    nav_net_counters_sum ((guint64 *) &sum, (const guint64 *) &self->workers[i]->counters,
                          sizeof (Counters) / sizeof (guint64));
  if (g_str_equal (name, "dropped"))
    return sum.dropped_not_stun + sum.dropped_malformed +
           sum.dropped_no_allocation + sum.dropped_no_permission +
           sum.dropped_no_channel + sum.dropped_bandwidth +
           sum.dropped_congested + sum.dropped_send_failed +
           sum.dropped_oversize + sum.dropped_dont_fragment +
           sum.dropped_unexpected;
  if (g_str_equal (name, "allocations"))
    return self->running ? nav_turn_allocation_count (self) : 0;
  if (g_str_equal (name, "connections"))
    return self->conns != NULL ? g_hash_table_size (self->conns) : 0;
  if (g_str_equal (name, "threads"))
    return self->n_workers > 0 ? self->n_workers - 1 : 0;
  if (g_str_equal (name, "handed-over"))
    return sum.handed_over;
  if (g_str_has_prefix (name, "tls-handshake"))
    {
      const NavNetTlsStats *tls = self->tls != NULL ? nav_net_tls_server_get_stats (self->tls) : NULL;

      if (tls == NULL)
        return 0;
      if (g_str_equal (name, "tls-handshakes"))
        return tls->pending;
      if (g_str_equal (name, "tls-handshake-failed"))
        return tls->failed;
      if (g_str_equal (name, "tls-handshake-timeouts"))
        return tls->timed_out;
      if (g_str_equal (name, "tls-handshakes-refused"))
        return tls->refused;
    }
  if (g_str_equal (name, "tcp-accept-paused"))
    {
      guint64 n = 0;

      for (guint i = 0; self->listeners != NULL && i < self->listeners->len; i++)
        {
          Listener *l = g_ptr_array_index (self->listeners, i);

          if (l->tcp != NULL)
            n += nav_net_listener_get_stats (l->tcp)->paused;
        }
      return n;
    }
#define GET_COUNTER(field, name_) if (g_str_equal (name, name_)) return sum.field;
  NAV_TURN_COUNTERS (GET_COUNTER)
#undef GET_COUNTER
  return 0;
}

/**
 * nav_turn_server_get_port: (skip)
 * @self: a running TURN server
 *
 * Returns: the UDP and TCP port it listens on
 */
guint
nav_turn_server_get_port (NavTurnServer *self)
{
  return self->bound_port;
}

/**
 * nav_turn_server_get_tls_port: (skip)
 * @self: a running TURN server
 *
 * Returns: the TLS port, 0 without TLS
 */
guint
nav_turn_server_get_tls_port (NavTurnServer *self)
{
  return self->bound_tls_port;
}

/* GObject */

static void
nav_turn_server_constructed (GObject *object)
{
  NavTurnServer *self = NAV_TURN_SERVER (object);

  G_OBJECT_CLASS (nav_turn_server_parent_class)->constructed (object);

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
}

static void
nav_turn_server_dispose (GObject *object)
{
  nav_turn_server_stop (NAV_SERVER (object));
  G_OBJECT_CLASS (nav_turn_server_parent_class)->dispose (object);
}

static void
nav_turn_server_finalize (GObject *object)
{
  NavTurnServer *self = NAV_TURN_SERVER (object);

  g_free (self->listening_ip);
  g_strfreev (self->listening_ips);
  g_free (self->relay_ip);
  g_free (self->external_ip);
  g_free (self->realm);
  g_free (self->static_auth_secret);
  g_strfreev (self->users);
  g_free (self->userdb);
  g_free (self->cert_file);
  g_free (self->pkey_file);
  g_strfreev (self->denied_peer_ips);
  g_strfreev (self->allowed_peer_ips);
  g_free (self->software);
  g_free (self->steering);
  pthread_mutex_destroy (&self->lock);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (nav_turn_server_parent_class)->finalize (object);
}

static void
nav_turn_server_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  NavTurnServer *self = NAV_TURN_SERVER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT: g_value_set_boxed (value, self->context); break;
    case PROP_RUNNING: g_value_set_boolean (value, self->running); break;
    case PROP_LISTENING_IP: g_value_set_string (value, self->listening_ip); break;
    case PROP_LISTENING_IPS: g_value_set_boxed (value, self->listening_ips); break;
    case PROP_LISTENING_PORT: g_value_set_uint (value, self->listening_port); break;
    case PROP_TLS_LISTENING_PORT: g_value_set_uint (value, self->tls_listening_port); break;
    case PROP_RELAY_IP: g_value_set_string (value, self->relay_ip); break;
    case PROP_EXTERNAL_IP: g_value_set_string (value, self->external_ip); break;
    case PROP_REALM: g_value_set_string (value, self->realm); break;
    case PROP_MIN_PORT: g_value_set_uint (value, self->min_port); break;
    case PROP_MAX_PORT: g_value_set_uint (value, self->max_port); break;
    case PROP_LT_CRED_MECH: g_value_set_boolean (value, self->lt_cred_mech); break;
    case PROP_USE_AUTH_SECRET: g_value_set_boolean (value, self->use_auth_secret); break;
    case PROP_STATIC_AUTH_SECRET: g_value_set_string (value, self->static_auth_secret); break;
    case PROP_NO_AUTH: g_value_set_boolean (value, self->no_auth); break;
    case PROP_USERS: g_value_set_boxed (value, self->users); break;
    case PROP_USERDB: g_value_set_string (value, self->userdb); break;
    case PROP_USER_QUOTA: g_value_set_uint (value, self->user_quota); break;
    case PROP_TOTAL_QUOTA: g_value_set_uint (value, self->total_quota); break;
    case PROP_MAX_BPS: g_value_set_uint64 (value, self->max_bps); break;
    case PROP_DEFAULT_ALLOCATE_LIFETIME: g_value_set_uint (value, self->default_allocate_lifetime); break;
    case PROP_MAX_ALLOCATE_LIFETIME: g_value_set_uint (value, self->max_allocate_lifetime); break;
    case PROP_PERMISSION_LIFETIME: g_value_set_uint (value, self->permission_lifetime); break;
    case PROP_CHANNEL_LIFETIME: g_value_set_uint (value, self->channel_lifetime); break;
    case PROP_STALE_NONCE: g_value_set_uint (value, self->stale_nonce); break;
    case PROP_NO_UDP: g_value_set_boolean (value, self->no_udp); break;
    case PROP_NO_TCP: g_value_set_boolean (value, self->no_tcp); break;
    case PROP_NO_TLS: g_value_set_boolean (value, self->no_tls); break;
    case PROP_CERT: g_value_set_string (value, self->cert_file); break;
    case PROP_PKEY: g_value_set_string (value, self->pkey_file); break;
    case PROP_ALLOW_LOOPBACK_PEERS: g_value_set_boolean (value, self->allow_loopback_peers); break;
    case PROP_DENIED_PEER_IP: g_value_set_boxed (value, self->denied_peer_ips); break;
    case PROP_ALLOWED_PEER_IP: g_value_set_boxed (value, self->allowed_peer_ips); break;
    case PROP_SOFTWARE: g_value_set_string (value, self->software); break;
    case PROP_TCP_IDLE_TIMEOUT: g_value_set_uint (value, self->tcp_idle_timeout_ms); break;
    case PROP_MAX_TCP_CONNECTIONS: g_value_set_uint (value, self->max_tcp_connections); break;
    case PROP_TLS_HANDSHAKE_TIMEOUT: g_value_set_uint (value, self->tls_limits.handshake_timeout_ms); break;
    case PROP_MAX_TLS_HANDSHAKES: g_value_set_uint (value, self->tls_limits.max_handshakes); break;
    case PROP_MAX_TLS_HANDSHAKES_PER_IP: g_value_set_uint (value, self->tls_limits.max_handshakes_per_ip); break;
    case PROP_THREADS: g_value_set_uint (value, self->threads); break;
    case PROP_STEERING: g_value_set_string (value, self->steering); break;
    case PROP_PORT: g_value_set_uint (value, self->bound_port); break;
    case PROP_TLS_PORT: g_value_set_uint (value, self->bound_tls_port); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_string (gchar        **field,
            const GValue  *value)
{
  g_free (*field);
  *field = g_value_dup_string (value);
}

static void
set_strv (gchar        ***field,
          const GValue   *value)
{
  g_strfreev (*field);
  *field = g_value_dup_boxed (value);
}

static void
nav_turn_server_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  NavTurnServer *self = NAV_TURN_SERVER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT: self->context = g_value_dup_boxed (value); break;
    case PROP_LISTENING_IP: set_string (&self->listening_ip, value); break;
    case PROP_LISTENING_IPS: set_strv (&self->listening_ips, value); break;
    case PROP_LISTENING_PORT: self->listening_port = g_value_get_uint (value); break;
    case PROP_TLS_LISTENING_PORT: self->tls_listening_port = g_value_get_uint (value); break;
    case PROP_RELAY_IP: set_string (&self->relay_ip, value); break;
    case PROP_EXTERNAL_IP: set_string (&self->external_ip, value); break;
    case PROP_REALM: set_string (&self->realm, value); break;
    case PROP_MIN_PORT: self->min_port = g_value_get_uint (value); break;
    case PROP_MAX_PORT: self->max_port = g_value_get_uint (value); break;
    case PROP_LT_CRED_MECH: self->lt_cred_mech = g_value_get_boolean (value); break;
    case PROP_USE_AUTH_SECRET: self->use_auth_secret = g_value_get_boolean (value); break;
    case PROP_STATIC_AUTH_SECRET: set_string (&self->static_auth_secret, value); break;
    case PROP_NO_AUTH: self->no_auth = g_value_get_boolean (value); break;
    case PROP_USERS: set_strv (&self->users, value); break;
    case PROP_USERDB: set_string (&self->userdb, value); break;
    case PROP_USER_QUOTA: self->user_quota = g_value_get_uint (value); break;
    case PROP_TOTAL_QUOTA: self->total_quota = g_value_get_uint (value); break;
    case PROP_MAX_BPS: self->max_bps = g_value_get_uint64 (value); break;
    case PROP_DEFAULT_ALLOCATE_LIFETIME: self->default_allocate_lifetime = g_value_get_uint (value); break;
    case PROP_MAX_ALLOCATE_LIFETIME: self->max_allocate_lifetime = g_value_get_uint (value); break;
    case PROP_PERMISSION_LIFETIME: self->permission_lifetime = g_value_get_uint (value); break;
    case PROP_CHANNEL_LIFETIME: self->channel_lifetime = g_value_get_uint (value); break;
    case PROP_STALE_NONCE: self->stale_nonce = g_value_get_uint (value); break;
    case PROP_NO_UDP: self->no_udp = g_value_get_boolean (value); break;
    case PROP_NO_TCP: self->no_tcp = g_value_get_boolean (value); break;
    case PROP_NO_TLS: self->no_tls = g_value_get_boolean (value); break;
    case PROP_CERT: set_string (&self->cert_file, value); break;
    case PROP_PKEY: set_string (&self->pkey_file, value); break;
    case PROP_ALLOW_LOOPBACK_PEERS: self->allow_loopback_peers = g_value_get_boolean (value); break;
    case PROP_DENIED_PEER_IP: set_strv (&self->denied_peer_ips, value); break;
    case PROP_ALLOWED_PEER_IP: set_strv (&self->allowed_peer_ips, value); break;
    case PROP_SOFTWARE: set_string (&self->software, value); break;
    case PROP_TCP_IDLE_TIMEOUT: self->tcp_idle_timeout_ms = g_value_get_uint (value); break;
    case PROP_MAX_TCP_CONNECTIONS: self->max_tcp_connections = g_value_get_uint (value); break;
    case PROP_TLS_HANDSHAKE_TIMEOUT: self->tls_limits.handshake_timeout_ms = g_value_get_uint (value); break;
    case PROP_MAX_TLS_HANDSHAKES: self->tls_limits.max_handshakes = g_value_get_uint (value); break;
    case PROP_MAX_TLS_HANDSHAKES_PER_IP:
      self->tls_limits.max_handshakes_per_ip = g_value_get_uint (value);
      break;
    case PROP_THREADS: self->threads = g_value_get_uint (value); break;
    case PROP_STEERING: set_string (&self->steering, value); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

#define RW (G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS)

static void
nav_turn_server_class_init (NavTurnServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = nav_turn_server_constructed;
  object_class->dispose = nav_turn_server_dispose;
  object_class->finalize = nav_turn_server_finalize;
  object_class->get_property = nav_turn_server_get_property;
  object_class->set_property = nav_turn_server_set_property;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");
  g_object_class_override_property (object_class, PROP_RUNNING, "running");
  properties[PROP_RUNNING] = g_object_class_find_property (object_class, "running");

  /**
   * NavTurnServer:listening-ip:
   *
   * The IP address to listen on; `0.0.0.0` or `::` for every address.
   * Several may be given, separated by commas.
   *
   * Since: 1.0
   */
  properties[PROP_LISTENING_IP] =
    g_param_spec_string ("listening-ip", "Listening IP",
                         "The IP address to listen on",
                         NAV_TURN_DEFAULT_LISTENING_IP, RW);

  /**
   * NavTurnServer:listening-ips:
   *
   * The IP addresses to listen on; when set, replaces
   * [property@Nav.TurnServer:listening-ip].
   *
   * Since: 1.0
   */
  properties[PROP_LISTENING_IPS] =
    g_param_spec_boxed ("listening-ips", "Listening IPs",
                        "The IP addresses to listen on",
                        G_TYPE_STRV, RW);

  /**
   * NavTurnServer:listening-port:
   *
   * The UDP and TCP port of TURN requests; 0 for any free port.
   *
   * Since: 1.0
   */
  properties[PROP_LISTENING_PORT] =
    g_param_spec_uint ("listening-port", "Listening port",
                       "The UDP and TCP port to listen on",
                       0, G_MAXUINT16, NAV_TURN_DEFAULT_LISTENING_PORT, RW);

  /**
   * NavTurnServer:tls-listening-port:
   *
   * The port of TURN over TLS (RFC 8656 §3.1); 0 for any free port.
   *
   * Since: 1.0
   */
  properties[PROP_TLS_LISTENING_PORT] =
    g_param_spec_uint ("tls-listening-port", "TLS listening port",
                       "The port of TURN over TLS",
                       0, G_MAXUINT16, NAV_TURN_DEFAULT_TLS_LISTENING_PORT, RW);

  /**
   * NavTurnServer:relay-ip:
   *
   * The IP addresses relayed transport addresses are allocated on (one
   * IPv4 and one IPv6, separated by a comma); %NULL for the listening
   * addresses.
   *
   * Since: 1.0
   */
  properties[PROP_RELAY_IP] =
    g_param_spec_string ("relay-ip", "Relay IP",
                         "The IP address relays are allocated on (default: the listening IP)",
                         NULL, RW);

  /**
   * NavTurnServer:external-ip:
   *
   * The public address to advertise in XOR-RELAYED-ADDRESS when the server
   * is behind a 1:1 NAT; %NULL when it is not.
   *
   * Since: 1.0
   */
  properties[PROP_EXTERNAL_IP] =
    g_param_spec_string ("external-ip", "External IP",
                         "The public IP to advertise when behind a 1:1 NAT",
                         NULL, RW);

  /**
   * NavTurnServer:realm:
   *
   * The realm of the long-term credential mechanism (RFC 8489 §9.2).
   *
   * Since: 1.0
   */
  properties[PROP_REALM] =
    g_param_spec_string ("realm", "Realm",
                         "The realm of the long-term credentials",
                         NULL, RW);

  /**
   * NavTurnServer:min-port:
   *
   * The lowest port of relayed transport addresses.
   *
   * Since: 1.0
   */
  properties[PROP_MIN_PORT] =
    g_param_spec_uint ("min-port", "Minimum relay port",
                       "The lowest port of relayed addresses",
                       1, G_MAXUINT16, NAV_TURN_DEFAULT_MIN_PORT, RW);

  /**
   * NavTurnServer:max-port:
   *
   * The highest port of relayed transport addresses.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_PORT] =
    g_param_spec_uint ("max-port", "Maximum relay port",
                       "The highest port of relayed addresses",
                       1, G_MAXUINT16, NAV_TURN_DEFAULT_MAX_PORT, RW);

  /**
   * NavTurnServer:lt-cred-mech:
   *
   * Whether clients authenticate with the long-term credential mechanism
   * (RFC 8489 §9.2) against [property@Nav.TurnServer:users] and
   * [property@Nav.TurnServer:userdb].
   *
   * Since: 1.0
   */
  properties[PROP_LT_CRED_MECH] =
    g_param_spec_boolean ("lt-cred-mech", "Long-term credentials",
                          "Authenticate clients with long-term credentials",
                          FALSE, RW);

  /**
   * NavTurnServer:use-auth-secret:
   *
   * Whether credentials are time-limited and signed with
   * [property@Nav.TurnServer:static-auth-secret] (the TURN REST API
   * convention): the user name is `expiry:name` (expiry in seconds since
   * the epoch), the password base64 (HMAC-SHA1 (secret, user name)).
   *
   * Since: 1.0
   */
  properties[PROP_USE_AUTH_SECRET] =
    g_param_spec_boolean ("use-auth-secret", "Use auth secret",
                          "Accept time-limited credentials signed with the shared secret",
                          FALSE, RW);

  /**
   * NavTurnServer:static-auth-secret:
   *
   * The secret of [property@Nav.TurnServer:use-auth-secret].
   *
   * Since: 1.0
   */
  properties[PROP_STATIC_AUTH_SECRET] =
    g_param_spec_string ("static-auth-secret", "Static auth secret",
                         "The shared secret of time-limited credentials",
                         NULL, RW);

  /**
   * NavTurnServer:no-auth:
   *
   * Relay for anyone, without credentials (coturn's `no-auth`): only for
   * closed test networks.
   *
   * Since: 1.0
   */
  properties[PROP_NO_AUTH] =
    g_param_spec_boolean ("no-auth", "No authentication",
                          "Relay without credentials (test networks only)",
                          FALSE, RW);

  /**
   * NavTurnServer:users:
   *
   * Users of the long-term credential mechanism, each `name:password`
   * (or `name:0x` followed by the hexadecimal MD5 key, as coturn's
   * turnadmin prints it).
   *
   * Since: 1.0
   */
  properties[PROP_USERS] =
    g_param_spec_boxed ("users", "Users",
                        "Long-term users, each name:password",
                        G_TYPE_STRV, RW);

  /**
   * NavTurnServer:userdb:
   *
   * A file of users, one `name:password` a line, `#` for comments.
   *
   * Since: 1.0
   */
  properties[PROP_USERDB] =
    g_param_spec_string ("userdb", "User file",
                         "A file of users, one name:password a line",
                         NULL, RW);

  /**
   * NavTurnServer:user-quota:
   *
   * The most allocations one user may hold at once; 0 for no limit.
   *
   * Since: 1.0
   */
  properties[PROP_USER_QUOTA] =
    g_param_spec_uint ("user-quota", "User quota",
                       "Allocations per user; 0 for no limit",
                       0, G_MAXUINT, 0, RW);

  /**
   * NavTurnServer:total-quota:
   *
   * The most allocations the server holds at once; 0 for no limit.
   *
   * Since: 1.0
   */
  properties[PROP_TOTAL_QUOTA] =
    g_param_spec_uint ("total-quota", "Total quota",
                       "Allocations in total; 0 for no limit",
                       0, G_MAXUINT, 0, RW);

  /**
   * NavTurnServer:max-bps:
   *
   * The most bytes a second one allocation relays, both directions
   * together (a token bucket of one second); 0 for no limit.  Beyond it
   * datagrams are dropped and counted (`dropped-bandwidth`).
   *
   * Since: 1.0
   */
  properties[PROP_MAX_BPS] =
    g_param_spec_uint64 ("max-bps", "Maximum bytes per second",
                         "Bandwidth cap of one allocation, in bytes a second; 0 for none",
                         0, G_MAXUINT64, 0, RW);

  /**
   * NavTurnServer:default-allocate-lifetime:
   *
   * The lifetime, in seconds, of an allocation whose client asks for
   * none or for less (RFC 8656 §3.2: 600).
   *
   * Since: 1.0
   */
  properties[PROP_DEFAULT_ALLOCATE_LIFETIME] =
    g_param_spec_uint ("default-allocate-lifetime", "Default allocation lifetime",
                       "The default allocation lifetime, in seconds",
                       1, G_MAXUINT32, NAV_TURN_DEFAULT_ALLOCATE_LIFETIME, RW);

  /**
   * NavTurnServer:max-allocate-lifetime:
   *
   * The longest lifetime, in seconds, granted to an allocation
   * (RFC 8656 §7.2).
   *
   * Since: 1.0
   */
  properties[PROP_MAX_ALLOCATE_LIFETIME] =
    g_param_spec_uint ("max-allocate-lifetime", "Maximum allocation lifetime",
                       "The longest allocation lifetime granted, in seconds",
                       1, G_MAXUINT32, NAV_TURN_DEFAULT_MAX_ALLOCATE_LIFETIME, RW);

  /**
   * NavTurnServer:permission-lifetime:
   *
   * The lifetime of a permission, in seconds (RFC 8656 §9: 300).
   *
   * Since: 1.0
   */
  properties[PROP_PERMISSION_LIFETIME] =
    g_param_spec_uint ("permission-lifetime", "Permission lifetime",
                       "The lifetime of a permission, in seconds",
                       1, G_MAXUINT32, NAV_TURN_DEFAULT_PERMISSION_LIFETIME, RW);

  /**
   * NavTurnServer:channel-lifetime:
   *
   * The lifetime of a channel binding, in seconds (RFC 8656 §12: 600).
   *
   * Since: 1.0
   */
  properties[PROP_CHANNEL_LIFETIME] =
    g_param_spec_uint ("channel-lifetime", "Channel lifetime",
                       "The lifetime of a channel binding, in seconds",
                       1, G_MAXUINT32, NAV_TURN_DEFAULT_CHANNEL_LIFETIME, RW);

  /**
   * NavTurnServer:stale-nonce:
   *
   * How many seconds a nonce stays valid before the client is asked to
   * use a new one (438 Stale Nonce, RFC 8489 §9.2.4).
   *
   * Since: 1.0
   */
  properties[PROP_STALE_NONCE] =
    g_param_spec_uint ("stale-nonce", "Stale nonce",
                       "Seconds a nonce stays valid",
                       1, G_MAXUINT32, NAV_TURN_DEFAULT_STALE_NONCE, RW);

  /**
   * NavTurnServer:no-udp:
   *
   * Do not listen on UDP.
   *
   * Since: 1.0
   */
  properties[PROP_NO_UDP] =
    g_param_spec_boolean ("no-udp", "No UDP",
                          "Do not listen on UDP",
                          FALSE, RW);

  /**
   * NavTurnServer:no-tcp:
   *
   * Do not listen on TCP (nor TLS).
   *
   * Since: 1.0
   */
  properties[PROP_NO_TCP] =
    g_param_spec_boolean ("no-tcp", "No TCP",
                          "Do not listen on TCP",
                          FALSE, RW);

  /**
   * NavTurnServer:no-tls:
   *
   * Do not listen on TLS even with a certificate.
   *
   * Since: 1.0
   */
  properties[PROP_NO_TLS] =
    g_param_spec_boolean ("no-tls", "No TLS",
                          "Do not listen on TLS",
                          FALSE, RW);

  /**
   * NavTurnServer:cert:
   *
   * The PEM certificate of TURN over TLS; TLS is off without one.
   *
   * Since: 1.0
   */
  properties[PROP_CERT] =
    g_param_spec_string ("cert", "Certificate",
                         "The PEM certificate file of TLS",
                         NULL, RW);

  /**
   * NavTurnServer:pkey:
   *
   * The PEM private key of TURN over TLS; %NULL when it is in the
   * certificate file.
   *
   * Since: 1.0
   */
  properties[PROP_PKEY] =
    g_param_spec_string ("pkey", "Private key",
                         "The PEM private key file of TLS",
                         NULL, RW);

  /**
   * NavTurnServer:allow-loopback-peers:
   *
   * Relay to loopback peers (127.0.0.0/8, ::1), refused by default.
   *
   * Since: 1.0
   */
  properties[PROP_ALLOW_LOOPBACK_PEERS] =
    g_param_spec_boolean ("allow-loopback-peers", "Allow loopback peers",
                          "Relay to loopback addresses",
                          FALSE, RW);

  /**
   * NavTurnServer:denied-peer-ip:
   *
   * Peer address ranges never relayed to, each an address, `first-last`
   * or `address/prefix`.  Loopback, private and link-local ranges are
   * denied anyway unless allowed.
   *
   * Since: 1.0
   */
  properties[PROP_DENIED_PEER_IP] =
    g_param_spec_boxed ("denied-peer-ip", "Denied peer IPs",
                        "Peer address ranges never relayed to",
                        G_TYPE_STRV, RW);

  /**
   * NavTurnServer:allowed-peer-ip:
   *
   * Peer address ranges relayed to even when denied otherwise (for
   * example a private network the relay serves).
   *
   * Since: 1.0
   */
  properties[PROP_ALLOWED_PEER_IP] =
    g_param_spec_boxed ("allowed-peer-ip", "Allowed peer IPs",
                        "Peer address ranges always relayed to",
                        G_TYPE_STRV, RW);

  /**
   * NavTurnServer:software:
   *
   * The SOFTWARE attribute of responses; %NULL for none.
   *
   * Since: 1.0
   */
  properties[PROP_SOFTWARE] =
    g_param_spec_string ("software", "Software",
                         "SOFTWARE attribute of responses",
                         NULL, RW);

  /**
   * NavTurnServer:tcp-idle-timeout:
   *
   * Milliseconds after which a TCP or TLS connection of a client that
   * holds no allocation, and sends nothing, is closed (nav-server's
   * `--tcp-idle-timeout`, in seconds there).  A connection with an
   * allocation lives as long as the allocation.
   *
   * Since: 1.0
   */
  properties[PROP_TCP_IDLE_TIMEOUT] =
    g_param_spec_uint ("tcp-idle-timeout", "TCP idle timeout",
                       "Milliseconds a TCP or TLS connection without an allocation may stay silent",
                       10, G_MAXUINT, NAV_TURN_DEFAULT_TCP_IDLE_TIMEOUT_MS, RW);
  /**
   * NavTurnServer:max-tcp-connections:
   *
   * The most TCP and TLS connections of clients at once; more are closed
   * as soon as accepted (nav-server's `--max-tcp-connections`).  Also
   * lowered, with a warning, to what the process's file descriptor limit
   * allows.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_TCP_CONNECTIONS] =
    g_param_spec_uint ("max-tcp-connections", "Maximum TCP connections",
                       "The most TCP and TLS connections of clients at once",
                       1, G_MAXUINT, NAV_TURN_DEFAULT_MAX_TCP_CONNECTIONS, RW);
  /**
   * NavTurnServer:tls-handshake-timeout:
   *
   * Milliseconds a TLS handshake may take; a client still shaking hands
   * then is disconnected.
   *
   * Since: 1.0
   */
  properties[PROP_TLS_HANDSHAKE_TIMEOUT] =
    g_param_spec_uint ("tls-handshake-timeout", "TLS handshake timeout",
                       "Milliseconds a TLS handshake may take", 1, G_MAXUINT,
                       NAV_NET_TLS_DEFAULT_HANDSHAKE_TIMEOUT_MS, RW);
  /**
   * NavTurnServer:max-tls-handshakes:
   *
   * The most TLS handshakes under way at once; connections beyond are
   * closed as soon as accepted.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_TLS_HANDSHAKES] =
    g_param_spec_uint ("max-tls-handshakes", "Maximum TLS handshakes",
                       "The most TLS handshakes under way at once", 1, G_MAXUINT,
                       NAV_NET_TLS_DEFAULT_MAX_HANDSHAKES, RW);
  /**
   * NavTurnServer:max-tls-handshakes-per-ip:
   *
   * The most TLS handshakes under way at once from one IP address.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_TLS_HANDSHAKES_PER_IP] =
    g_param_spec_uint ("max-tls-handshakes-per-ip", "Maximum TLS handshakes per IP",
                       "The most TLS handshakes under way at once from one IP address",
                       1, G_MAXUINT, NAV_NET_TLS_DEFAULT_MAX_HANDSHAKES_PER_IP, RW);
  /**
   * NavTurnServer:threads:
   *
   * Worker threads serving UDP (coturn's `relay-threads`): each has a
   * socket of its own on every listening address (SO_REUSEPORT, the
   * kernel spreading the clients over them) and owns the allocations
   * whose Allocate it received, with their relayed sockets.  0 serves
   * UDP from the server's context, as TCP and TLS always are.
   *
   * Since: 1.0
   */
  properties[PROP_THREADS] =
    g_param_spec_uint ("threads", "Threads",
                       "Worker threads serving UDP; 0 for none (the server's context)",
                       0, NAV_TURN_MAX_THREADS, 0, RW);
  /**
   * NavTurnServer:steering:
   *
   * How the datagrams of clients are spread over the worker threads:
   * `hash` (the kernel's hash of the addresses: a client stays on one
   * thread), `cpu` (the thread of the CPU that received it) or `random`
   * (every datagram anywhere: a test of the hand-over to the thread
   * owning an allocation).
   *
   * Since: 1.0
   */
  properties[PROP_STEERING] =
    g_param_spec_string ("steering", "Steering",
                         "How datagrams are spread over the threads: hash, cpu or random",
                         "hash", RW);
  /**
   * NavTurnServer:port:
   *
   * The UDP and TCP port the running server listens on; 0 when stopped.
   *
   * Since: 1.0
   */
  properties[PROP_PORT] =
    g_param_spec_uint ("port", "Port", "The bound UDP and TCP port; 0 when stopped",
                       0, G_MAXUINT16, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * NavTurnServer:tls-port:
   *
   * The TLS port the running server listens on; 0 without TLS.
   *
   * Since: 1.0
   */
  properties[PROP_TLS_PORT] =
    g_param_spec_uint ("tls-port", "TLS port", "The bound TLS port; 0 without TLS",
                       0, G_MAXUINT16, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  for (guint i = PROP_LISTENING_IP; i < N_PROPS; i++)
    g_object_class_install_property (object_class, i, properties[i]);
}

static void
nav_turn_server_init (NavTurnServer *self)
{
  pthread_mutex_init (&self->lock, NULL);
  nav_net_tls_limits_init (&self->tls_limits);
}
