/* nav-stun-server.c: the STUN server (RFC 8489, RFC 5780): the object,
 * its sockets and its counters
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-stun-server-private.h"
#include "nav-net-tls.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <glib/gi18n-lib.h>

/**
 * NavStunServer:
 *
 * The STUN server (RFC 8489) of the `stun` module, as
 * [method@Nav.Registry.create] sees it: a [iface@Nav.Server] registered
 * as `stun` at the `nav-server` extension point, the one `nav-server
 * --stun` runs.  It answers Binding requests over UDP, TCP and, given a
 * certificate, TLS, on IPv4 and IPv6.  Given an alternate address it also
 * serves NAT behaviour discovery (RFC 5780): it then listens on two
 * addresses and two ports, honours CHANGE-REQUEST and RESPONSE-PORT, and
 * answers with RESPONSE-ORIGIN and OTHER-ADDRESS.
 *
 * Its configuration is its properties, named after coturn's options.
 *
 * The UDP path is built for rate: datagrams are read and answered in
 * batches (recvmmsg(2), sendmmsg(2)) into buffers owned by the server, a
 * Binding request without attributes is answered from its header alone,
 * and the response is written by the codec straight into the send buffer.
 * TLS handshakes run in a worker thread, bounded in number (in all and
 * per client address) and in time, so that connections to the TLS port
 * never stall the UDP path.  Everything the server does not answer is
 * counted, see [method@Nav.Server.get_stats].
 *
 * Binding requests from RFC 3489 clients, which have no magic cookie (the
 * ones libnice sends to discover server-reflexive candidates, for one),
 * are answered too, as RFC 8489 §11.2 asks: with MAPPED-ADDRESS, and the
 * request's 16-byte transaction ID echoed whole.
 *
 * Since: 1.0
 */

#define UDP_BATCH 64
#define UDP_ROUNDS 16            /* batches per wake-up, for fairness */
#define UDP_SOCKET_BUFFER (4 * 1024 * 1024)
/* Responses a client that sends and never reads may have waiting. */
#define TCP_MAX_QUEUED (64 * NAV_STUN_SERVER_RESPONSE_SIZE)
#define LISTEN_BACKLOG 1024

struct _NavStunServer
{
  GObject parent_instance;

  GMainContext *context;
  gboolean running;

  /* configuration */
  gchar *listening_ip;
  gchar **listening_ips;
  guint listening_port;
  gchar *alt_listening_ip;
  guint alt_listening_port;
  guint tls_listening_port;
  gboolean udp_enabled;
  gboolean tcp_enabled;
  gboolean tls_enabled;
  gchar *cert_file;
  gchar *pkey_file;
  gchar *software;
  guint tcp_idle_timeout_ms;
  guint max_tcp_connections;
  NavNetTlsLimits tls_limits;
  guint threads;
  gchar *steering;

  /* state */
  guint bound_port;
  guint bound_alt_port;
  guint bound_tls_port;
  /* [0] on the server's context (TCP and TLS, and UDP without threads),
   * [1..threads] the threads, each with its own socket on every UDP
   * address (SO_REUSEPORT) */
  NavStunWorker **workers;
  guint n_workers;
  NavStunServerCounters retired;        /* of the workers gone, this run */
  gboolean alt_bound;                   /* the RFC 5780 grid is up */
  GPtrArray *tcp_listeners;             /* of NavNetListener* */
  GPtrArray *tls_listeners;             /* of NavNetListener* */
  NavNetTlsServer *tls;
  GHashTable *connections;              /* set of NavNetStream* */
  GSource *sweep;
};

/* A worker: UDP sockets served by a thread (or by the server's context),
 * answering with its own buffers and counters; nothing is shared between
 * workers but the read-only configuration. */
struct _NavStunWorker
{
  NavStunServer *server;
  NavNetWorker *loop;
  GPtrArray *udp;                       /* of NavStunUdpSocket* */
  NavNetUdpReader *reader;              /* shared by its sockets */
  NavStunAnswerer answerer;
  NavStunServerCounters counters;
};

#define CONTROL(self) ((self)->workers[0])

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_RUNNING,
  PROP_LISTENING_IP,
  PROP_LISTENING_IPS,
  PROP_LISTENING_PORT,
  PROP_ALT_LISTENING_IP,
  PROP_ALT_LISTENING_PORT,
  PROP_TLS_LISTENING_PORT,
  PROP_UDP,
  PROP_TCP,
  PROP_TLS,
  PROP_CERT,
  PROP_PKEY,
  PROP_SOFTWARE,
  PROP_TCP_IDLE_TIMEOUT,
  PROP_MAX_TCP_CONNECTIONS,
  PROP_TLS_HANDSHAKE_TIMEOUT,
  PROP_MAX_TLS_HANDSHAKES,
  PROP_MAX_TLS_HANDSHAKES_PER_IP,
  PROP_THREADS,
  PROP_STEERING,
  PROP_PORT,
  PROP_ALT_PORT,
  PROP_TLS_PORT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void nav_stun_server_server_init (NavServerInterface *iface);

/* A static type: the module registers it when loaded (and is pinned), a
 * test that compiles the server in when it first uses it. */
G_DEFINE_FINAL_TYPE_WITH_CODE (NavStunServer, nav_stun_server, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NAV_TYPE_SERVER,
                                                      nav_stun_server_server_init))

/* ---------------------------------------------------------------- UDP */

static void
udp_datagram (const NavNetDatagram *d,
              gpointer              user_data)
{
  NavStunUdpSocket *s = user_data;
  NavStunWorker *w = s->worker;
  NavStunRequestInfo info = { 0 };
  NavAddress from;
  guint8 *out;
  gsize len;

  NAV_STUN_COUNT (&w->counters, udp_received);
  if (d->truncated)
    {
      NAV_STUN_COUNT (&w->counters, dropped_oversize);
      return;
    }
  if (!nav_address_set_from_sockaddr (&from, d->from, d->from_len))
    {
      NAV_STUN_COUNT (&w->counters, dropped_malformed);
      return;
    }
  info.from = &from;
  info.via = s;
  out = s->tx_buf[s->tx.n];
  len = nav_stun_server_answer (&w->answerer, d->data, d->len, &info,
                                out, NAV_STUN_SERVER_RESPONSE_SIZE);
  if (len == 0)
    return;
  if (info.reply_via != s || info.reply_port != 0)
    {
      /* RFC 5780: the answer leaves from another socket (of this
       * worker's grid), or goes to another port; rare, sent on its own. */
      struct sockaddr_storage ss;
      socklen_t sl;

      if (info.reply_port != 0)
        nav_address_set_port (&from, info.reply_port);
      sl = nav_address_copy_to_sockaddr (&from, (struct sockaddr *) &ss, sizeof ss);
      if (sendto (info.reply_via->fd, out, len, 0, (struct sockaddr *) &ss, sl) < 0)
        NAV_STUN_COUNT (&w->counters, dropped_send_failed);
      else
        NAV_STUN_COUNT (&w->counters, udp_responses);
      return;
    }
  /* The batch is as large as the receive batch: never full here. */
  nav_net_send_batch_add (&s->tx, out, len, d->from, d->from_len);
}

static void
udp_batch_done (gpointer user_data)
{
  NavStunUdpSocket *s = user_data;
  NavNetSendResult r = { 0 };

  if (s->tx.n == 0)
    return;
  nav_net_send_batch_flush (&s->tx, s->fd, &r);
  nav_net_counter_add (&s->worker->counters.udp_responses, r.sent);
  if (r.failed > 0)
    nav_net_counter_add (&s->worker->counters.dropped_send_failed, r.failed);
}

static const NavNetUdpFuncs udp_funcs = {
  udp_datagram, udp_batch_done, NULL,
};

static void
worker_ready (gpointer tag,
              guint32  events,
              gpointer user_data)
{
  NavStunUdpSocket *s = tag;

  nav_net_udp_reader_drain (s->worker->reader, s->fd, &udp_funcs, s);
}

static const NavNetWorkerFuncs worker_funcs = { worker_ready, NULL };

static NavStunWorker *
worker_new (NavStunServer  *self,
            GError        **error)
{
  NavStunWorker *w = g_new0 (NavStunWorker, 1);
  NavNetUdpConfig config = { UDP_BATCH, NAV_STUN_SERVER_RECV_SIZE, 0, UDP_ROUNDS };

  w->server = self;
  w->loop = nav_net_worker_new (&worker_funcs, w, error);
  if (w->loop == NULL)
    {
      g_free (w);
      return NULL;
    }
  w->udp = g_ptr_array_new ();
  w->reader = nav_net_udp_reader_new (&config);
  nav_stun_answerer_init (&w->answerer, self->software, &w->counters);
  return w;
}

static void udp_socket_free (gpointer data);

static void
worker_free (NavStunWorker *w)
{
  nav_net_worker_free (w->loop);
  g_ptr_array_set_free_func (w->udp, udp_socket_free);
  g_ptr_array_unref (w->udp);
  nav_net_udp_reader_free (w->reader);
  nav_stun_answerer_clear (&w->answerer);
  g_free (w);
}

static NavStunUdpSocket *
udp_socket_new (NavStunWorker     *w,
                const NavAddress  *address,
                gint               ip_index,
                gint               port_index,
                GError           **error)
{
  NavStunServer *self = w->server;
  NavStunUdpSocket *s;
  NavAddress bound;
  int errsv = 0;
  int fd = nav_net_socket_open (address, SOCK_DGRAM, self->threads > 1 ? NAV_NET_SOCKET_REUSEPORT : 0,
                                UDP_SOCKET_BUFFER, &bound, &errsv);

  if (fd < 0)
    {
      nav_net_set_listen_error (error, address, "UDP", errsv);
      return NULL;
    }
  s = g_new0 (NavStunUdpSocket, 1);
  s->server = self;
  s->worker = w;
  s->fd = fd;
  s->local = bound;
  s->ip_index = ip_index;
  s->port_index = port_index;
  s->tx_buf = g_malloc ((gsize) UDP_BATCH * NAV_STUN_SERVER_RESPONSE_SIZE);
  nav_net_worker_watch (w->loop, fd, EPOLLIN, s);
  g_ptr_array_add (w->udp, s);
  if (ip_index >= 0)
    w->answerer.grid[ip_index][port_index] = s;
  return s;
}

static void
udp_socket_free (gpointer data)
{
  NavStunUdpSocket *s = data;

  close (s->fd);
  g_free (s->tx_buf);
  g_free (s);
}

/* ------------------------------------------------------ TCP and TLS */

/* STUN messages framed by their own length (RFC 8489 §6.2.2). */
static void
stream_frame (NavNetStream *stream,
              const guint8 *data,
              gsize         len,
              gpointer      user_data)
{
  NavStunServer *self = user_data;
  NavStunRequestInfo info = { 0 };
  guint8 out[NAV_STUN_SERVER_RESPONSE_SIZE];
  gsize n;

  NAV_STUN_COUNT (&CONTROL (self)->counters, tcp_received);
  info.from = nav_net_stream_get_remote (stream);
  n = nav_stun_server_answer (&CONTROL (self)->answerer, data, len, &info, out, sizeof out);
  if (n == 0)
    return;
  NAV_STUN_COUNT (&CONTROL (self)->counters, tcp_responses);
  if (!nav_net_stream_write (stream, out, n))
    {
      /* The client sends and never reads. */
      NAV_STUN_COUNT (&CONTROL (self)->counters, dropped_send_failed);
      g_hash_table_remove (self->connections, stream);
    }
}

static void
stream_closed (NavNetStream *stream,
               const GError *error,
               gpointer      user_data)
{
  NavStunServer *self = user_data;

  if (g_error_matches (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_PROTOCOL) &&
      nav_net_stream_get_queued (stream) == 0)
    {
      /* Not STUN: the stream cannot be resynchronised. */
      NAV_STUN_COUNT (&CONTROL (self)->counters, dropped_not_stun);
    }
  g_hash_table_remove (self->connections, stream);
}

static const NavNetStreamFuncs stream_funcs = {
  stream_frame, NULL, NULL, stream_closed, NULL,
};

static void
add_connection (NavStunServer        *self,
                int                   fd,
                const NavNetStreamIo *io_funcs,
                gpointer              io)
{
  NavNetStream *stream = nav_net_stream_new (self->context, fd, io_funcs, io,
                                             NAV_NET_FRAMING_STUN, &stream_funcs, self, FALSE);

  nav_net_stream_set_max_queued (stream, TCP_MAX_QUEUED);
  g_hash_table_add (self->connections, stream);
}

static gboolean
connection_slot (NavStunServer *self,
                 int            fd)
{
  if (g_hash_table_size (self->connections) >= self->max_tcp_connections)
    {
      NAV_STUN_COUNT (&CONTROL (self)->counters, tcp_rejected);
      close (fd);
      return FALSE;
    }
  return TRUE;
}

static void
on_tcp_accepted (NavNetListener   *listener,
                 int               fd,
                 const NavAddress *remote,
                 gpointer          user_data)
{
  NavStunServer *self = user_data;

  if (!connection_slot (self, fd))
    return;
  NAV_STUN_COUNT (&CONTROL (self)->counters, tcp_accepted);
  add_connection (self, fd, NULL, NULL);
}

static void
on_tls_accepted (NavNetListener   *listener,
                 int               fd,
                 const NavAddress *remote,
                 gpointer          user_data)
{
  NavStunServer *self = user_data;

  if (!connection_slot (self, fd))
    return;
  NAV_STUN_COUNT (&CONTROL (self)->counters, tls_accepted);
  nav_net_tls_server_accept (self->tls, fd, remote);
}

static void
on_tls_handshake_done (NavNetTlsServer      *tls,
                       int                   fd,
                       const NavNetStreamIo *io_funcs,
                       gpointer              io,
                       const NavAddress     *remote,
                       gpointer              user_data)
{
  NavStunServer *self = user_data;

  if (g_hash_table_size (self->connections) >= self->max_tcp_connections)
    {
      NAV_STUN_COUNT (&CONTROL (self)->counters, tcp_rejected);
      io_funcs->free (io);
      close (fd);
      return;
    }
  add_connection (self, fd, io_funcs, io);
}

/* Half-open or silent clients must not hold a slot for ever. */
static gboolean
sweep (gpointer user_data)
{
  NavStunServer *self = user_data;
  gint64 limit = g_get_monotonic_time () - (gint64) self->tcp_idle_timeout_ms * 1000;
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (nav_net_stream_get_last_activity (key) <= limit)
      {
        NAV_STUN_COUNT (&CONTROL (self)->counters, tcp_idle_closed);
        g_hash_table_iter_remove (&iter);
      }
  return G_SOURCE_CONTINUE;
}

static void
close_connection (gpointer data)
{
  nav_net_stream_close (data);
  nav_net_stream_unref (data);
}

/* ---------------------------------------------------------- NavServer */

static gboolean
parse_ip (const gchar  *ip,
          guint         port,
          NavAddress   *address,
          GError      **error)
{
  nav_address_init (address);
  if (!nav_address_set_ip_from_string (address, ip, NULL))
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ADDRESS,
                   _("“%s” is not an IP address"), ip);
      return FALSE;
    }
  nav_address_set_port (address, port);
  return TRUE;
}

static void
log_listener (const gchar      *proto,
              const NavAddress *address,
              const gchar      *role)
{
  gchar buf[NAV_ADDRESS_STRING_LEN];

  g_message ("event=listening transport=%s address=%s%s%s", proto,
             nav_address_to_string_buf (address, buf),
             role != NULL ? " role=" : "", role != NULL ? role : "");
}

/* One TCP or TLS listener per listening IP, on *port (0: the port the
 * first one got, for the others). */
static gboolean
add_listeners (NavStunServer  *self,
               const gchar * const *ips,
               gboolean        tls,
               guint          *port,
               GError        **error)
{
  GPtrArray *listeners = tls ? self->tls_listeners : self->tcp_listeners;
  guint i;

  for (i = 0; ips[i] != NULL; i++)
    {
      NavAddress a;
      NavNetListener *l;

      if (!parse_ip (ips[i], *port, &a, error))
        return FALSE;
      l = nav_net_listener_new (self->context, &a, 0, LISTEN_BACKLOG,
                                tls ? on_tls_accepted : on_tcp_accepted, self,
                                tls ? "TLS" : "TCP", error);
      if (l == NULL)
        return FALSE;
      g_ptr_array_add (listeners, l);
      if (*port == 0)
        *port = nav_address_get_port (nav_net_listener_get_address (l));
      log_listener (tls ? "tls" : "tcp", nav_net_listener_get_address (l), NULL);
    }
  return TRUE;
}

static void nav_stun_server_stop (NavServer *server);

static gboolean
start_once (NavStunServer  *self,
            GError        **error)
{
  static const gchar * const default_ips[] = { "0.0.0.0", "::", NULL };
  const gchar *single[2] = { self->listening_ip, NULL };
  const gchar * const *ips;
  guint i, k, port;
  gboolean rfc5780 = self->alt_listening_ip != NULL && self->alt_listening_ip[0] != '\0';
  gboolean do_tls;
  NavNetSteering steer;

  if (self->listening_ips != NULL && self->listening_ips[0] != NULL)
    ips = (const gchar * const *) self->listening_ips;
  else if (self->listening_ip != NULL && self->listening_ip[0] != '\0')
    ips = single;
  else
    ips = default_ips;

  if (!nav_net_steering_from_string (self->steering, &steer))
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("Unknown steering “%s”: hash, cpu or random"), self->steering);
      return FALSE;
    }
  if (!self->udp_enabled && !self->tcp_enabled && !self->tls_enabled)
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("UDP, TCP and TLS are all disabled: nothing to serve"));
      return FALSE;
    }

  if (rfc5780)
    {
      NavAddress a;

      if (!parse_ip (ips[0], 0, &a, error) ||
          !parse_ip (self->alt_listening_ip, 0, &a, error))
        return FALSE;
      parse_ip (ips[0], 0, &a, NULL);
      if (nav_address_is_any (&a))
        {
          g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                       _("RFC 5780 mode needs a specific listening IP address, not %s"),
                       ips[0]);
          return FALSE;
        }
    }

  /* The counters are those of this run, as a restarted daemon's. */
  memset (&self->retired, 0, sizeof self->retired);
  self->running = TRUE;         /* from here on, stop() tears down */
  self->tcp_listeners = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_net_listener_free);
  self->tls_listeners = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_net_listener_free);
  self->connections = g_hash_table_new_full (g_direct_hash, g_direct_equal, close_connection, NULL);
  self->n_workers = 1 + self->threads;
  self->workers = g_new0 (NavStunWorker *, self->n_workers);
  for (i = 0; i < self->n_workers; i++)
    if ((self->workers[i] = worker_new (self, error)) == NULL)
      goto fail;

  do_tls = self->tls_enabled;
  if (do_tls && self->cert_file == NULL)
    {
      /* As coturn: no certificate, no TLS listener. */
      g_message ("event=tls-disabled reason=\"no certificate\"");
      do_tls = FALSE;
    }
  if (do_tls)
    {
      self->tls = nav_net_tls_server_new (self->context, self->cert_file, self->pkey_file,
                                          &self->tls_limits, on_tls_handshake_done, self, error);
      if (self->tls == NULL)
        goto fail;
    }

  self->bound_port = self->listening_port;
  self->bound_alt_port = self->alt_listening_port != 0
                         ? self->alt_listening_port
                         : (self->listening_port != 0 ? self->listening_port + 1 : 0);
  self->bound_tls_port = self->tls_listening_port;

  /* UDP: the primary port on every listening IP; in RFC 5780 mode the
   * grid of (primary, alternate IP) x (primary, alternate port).  Each
   * worker has its own sockets, in the same order. */
  for (k = 0; self->udp_enabled && k < MAX (self->threads, 1); k++)
    {
      NavStunWorker *w = self->workers[self->threads > 0 ? k + 1 : 0];

      for (i = 0; ips[i] != NULL; i++)
        {
          NavAddress a;
          NavStunUdpSocket *s;

          if (!parse_ip (ips[i], self->bound_port, &a, error))
            goto fail;
          s = udp_socket_new (w, &a, (rfc5780 && i == 0) ? 0 : -1,
                              (rfc5780 && i == 0) ? 0 : -1, error);
          if (s == NULL)
            goto fail;
          if (self->bound_port == 0)
            self->bound_port = nav_address_get_port (&s->local);
          if (k == 0)
            log_listener ("udp", &s->local, rfc5780 && i == 0 ? "primary" : NULL);
        }
      if (rfc5780)
        {
          const gchar *grid_ips[2] = { ips[0], self->alt_listening_ip };
          guint ip, pi;

          for (ip = 0; ip < 2; ip++)
            for (pi = 0; pi < 2; pi++)
              {
                NavAddress a;
                NavStunUdpSocket *s;

                if (ip == 0 && pi == 0)
                  continue;
                port = pi == 0 ? self->bound_port : self->bound_alt_port;
                if (!parse_ip (grid_ips[ip], port, &a, error))
                  goto fail;
                s = udp_socket_new (w, &a, ip, pi, error);
                if (s == NULL)
                  goto fail;
                if (pi == 1 && self->bound_alt_port == 0)
                  self->bound_alt_port = nav_address_get_port (&s->local);
                if (k == 0)
                  log_listener ("udp", &s->local, "rfc5780");
                self->alt_bound = TRUE;
              }
        }
    }
  if (self->threads > 1 && self->udp_enabled)
    {
      GPtrArray *first = self->workers[1]->udp;

      for (i = 0; i < first->len; i++)
        if (!nav_net_socket_set_steering (((NavStunUdpSocket *) g_ptr_array_index (first, i))->fd,
                                          steer, self->threads))
          g_warning ("event=steering-unavailable steering=%s error=\"%s\"",
                     self->steering, g_strerror (errno));
    }

  if (self->tcp_enabled && !add_listeners (self, ips, FALSE, &self->bound_port, error))
    goto fail;
  if (do_tls && !add_listeners (self, ips, TRUE, &self->bound_tls_port, error))
    goto fail;

  self->sweep = g_timeout_source_new (CLAMP (self->tcp_idle_timeout_ms / 2, 10, 1000));
  g_source_set_callback (self->sweep, sweep, self, NULL);
  g_source_set_static_name (self->sweep, "[nav-stun] idle connections");
  g_source_attach (self->sweep, self->context);

  nav_net_worker_attach (CONTROL (self)->loop, self->context, "[nav-stun] UDP");
  for (i = 1; i < self->n_workers; i++)
    {
      g_autofree gchar *name = g_strdup_printf ("nav-stun-%u", i);

      if (!nav_net_worker_start_thread (self->workers[i]->loop, name, error))
        goto fail;
    }
  if (self->threads > 0)
    g_message ("event=threads count=%u steering=%s", self->threads,
               self->steering != NULL ? self->steering : "hash");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  return TRUE;

fail:
  nav_stun_server_stop (NAV_SERVER (self));
  return FALSE;
}

/* With listening port 0 the kernel picks the UDP port and TCP (and the
 * RFC 5780 grid) must get the same number; when some TCP socket of this
 * machine holds it already, the whole pick is made again. */
#define MAX_PORT_PICKS 16

static gboolean
nav_stun_server_start (NavServer  *server,
                       GError    **error)
{
  NavStunServer *self = NAV_STUN_SERVER (server);
  guint attempt;

  if (self->running)
    return TRUE;
  for (attempt = 1; ; attempt++)
    {
      g_autoptr (GError) local_error = NULL;

      if (start_once (self, &local_error))
        return TRUE;
      if (self->listening_port != 0 || attempt == MAX_PORT_PICKS ||
          !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_debug ("event=port-pick-retry attempt=%u reason=\"%s\"", attempt, local_error->message);
    }
}

static void
nav_stun_server_stop (NavServer *server)
{
  NavStunServer *self = NAV_STUN_SERVER (server);

  if (!self->running)
    return;

  if (self->sweep != NULL)
    {
      g_source_destroy (self->sweep);
      g_clear_pointer (&self->sweep, g_source_unref);
    }
  g_clear_pointer (&self->tcp_listeners, g_ptr_array_unref);
  g_clear_pointer (&self->tls_listeners, g_ptr_array_unref);
  /* Its last handshakes hand nothing back once it is gone. */
  g_clear_pointer (&self->tls, nav_net_tls_server_free);
  g_clear_pointer (&self->connections, g_hash_table_unref);
  /* the threads are joined, their counters kept for the stats */
  for (guint i = 0; i < self->n_workers; i++)
    if (self->workers[i] != NULL)
      nav_net_worker_stop (self->workers[i]->loop);
  for (guint i = 0; i < self->n_workers; i++)
    if (self->workers[i] != NULL)
      {
        nav_net_counters_sum ((guint64 *) &self->retired, (const guint64 *) &self->workers[i]->counters,
                              sizeof (NavStunServerCounters) / sizeof (guint64));
        g_clear_pointer (&self->workers[i], worker_free);
      }
  g_clear_pointer (&self->workers, g_free);
  self->n_workers = 0;
  self->alt_bound = FALSE;
  self->bound_port = self->bound_alt_port = self->bound_tls_port = 0;

  self->running = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

/* The counters of this run (a stopped server keeps those of its last
 * run until started again). */
guint64
nav_stun_server_get_counter (NavStunServer *self,
                             const gchar   *name)
{
  const NavNetTlsStats *tls = self->tls != NULL ? nav_net_tls_server_get_stats (self->tls) : NULL;
  NavStunServerCounters sum = self->retired;

  g_return_val_if_fail (NAV_IS_STUN_SERVER (self), 0);

  for (guint i = 0; i < self->n_workers; i++)
    nav_net_counters_sum ((guint64 *) &sum, (const guint64 *) &self->workers[i]->counters,
                          sizeof (NavStunServerCounters) / sizeof (guint64));
  if (g_str_equal (name, "threads"))
    return self->n_workers > 0 ? self->n_workers - 1 : 0;

  if (g_str_equal (name, "tls-handshake-failed"))
    return tls != NULL ? tls->failed + tls->timed_out : sum.tls_handshake_failed;
  if (g_str_equal (name, "tls-handshake-timeouts"))
    return tls != NULL ? tls->timed_out : 0;
  if (g_str_equal (name, "tls-handshakes-refused"))
    return tls != NULL ? tls->refused : 0;
  if (g_str_equal (name, "tls-handshakes"))
    return tls != NULL ? tls->pending : 0;
  if (g_str_equal (name, "tcp-connections"))
    return self->connections != NULL ? g_hash_table_size (self->connections) : 0;
  if (g_str_equal (name, "tcp-accept-paused"))
    {
      guint64 n = 0;

      for (guint k = 0; k < 2; k++)
        {
          GPtrArray *listeners = k == 0 ? self->tcp_listeners : self->tls_listeners;

          for (guint i = 0; listeners != NULL && i < listeners->len; i++)
            n += nav_net_listener_get_stats (g_ptr_array_index (listeners, i))->paused;
        }
      return n;
    }
  if (g_str_equal (name, "received"))
    return sum.udp_received + sum.tcp_received;
  if (g_str_equal (name, "answered"))
    return sum.udp_responses + sum.tcp_responses;
  if (g_str_equal (name, "dropped"))
    return sum.dropped_not_stun + sum.dropped_malformed +
           sum.dropped_fingerprint + sum.dropped_not_request +
           sum.dropped_oversize + sum.dropped_send_failed +
           sum.dropped_build_failed;
#define GET_COUNTER(field, name_) \
  if (g_str_equal (name, name_)) return sum.field;
  NAV_STUN_SERVER_COUNTERS (GET_COUNTER)
#undef GET_COUNTER
  return 0;
}

static GVariant *
nav_stun_server_get_stats (NavServer *server)
{
  NavStunServer *self = NAV_STUN_SERVER (server);
  static const gchar * const extra[] = {
    "tcp-connections", "tcp-accept-paused", "tls-handshakes", "tls-handshake-timeouts",
    "tls-handshakes-refused", "threads",
    /* The totals every NavServer reports. */
    "received", "answered", "dropped", NULL
  };
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{st}"));
#define ADD_COUNTER(field, name) \
  g_variant_builder_add (&b, "{st}", name, nav_stun_server_get_counter (self, name));
  NAV_STUN_SERVER_COUNTERS (ADD_COUNTER)
#undef ADD_COUNTER
  for (guint i = 0; extra[i] != NULL; i++)
    g_variant_builder_add (&b, "{st}", extra[i], nav_stun_server_get_counter (self, extra[i]));
  return g_variant_builder_end (&b);
}

static void
nav_stun_server_server_init (NavServerInterface *iface)
{
  iface->start = nav_stun_server_start;
  iface->stop = nav_stun_server_stop;
  iface->get_stats = nav_stun_server_get_stats;
}

/* ----------------------------------------------------------- GObject */

static void
nav_stun_server_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  NavStunServer *self = NAV_STUN_SERVER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT: g_value_set_boxed (value, self->context); break;
    case PROP_RUNNING: g_value_set_boolean (value, self->running); break;
    case PROP_LISTENING_IP: g_value_set_string (value, self->listening_ip); break;
    case PROP_LISTENING_IPS: g_value_set_boxed (value, self->listening_ips); break;
    case PROP_LISTENING_PORT: g_value_set_uint (value, self->listening_port); break;
    case PROP_ALT_LISTENING_IP: g_value_set_string (value, self->alt_listening_ip); break;
    case PROP_ALT_LISTENING_PORT: g_value_set_uint (value, self->alt_listening_port); break;
    case PROP_TLS_LISTENING_PORT: g_value_set_uint (value, self->tls_listening_port); break;
    case PROP_UDP: g_value_set_boolean (value, self->udp_enabled); break;
    case PROP_TCP: g_value_set_boolean (value, self->tcp_enabled); break;
    case PROP_TLS: g_value_set_boolean (value, self->tls_enabled); break;
    case PROP_CERT: g_value_set_string (value, self->cert_file); break;
    case PROP_PKEY: g_value_set_string (value, self->pkey_file); break;
    case PROP_SOFTWARE: g_value_set_string (value, self->software); break;
    case PROP_TCP_IDLE_TIMEOUT: g_value_set_uint (value, self->tcp_idle_timeout_ms); break;
    case PROP_MAX_TCP_CONNECTIONS: g_value_set_uint (value, self->max_tcp_connections); break;
    case PROP_TLS_HANDSHAKE_TIMEOUT:
      g_value_set_uint (value, self->tls_limits.handshake_timeout_ms);
      break;
    case PROP_MAX_TLS_HANDSHAKES: g_value_set_uint (value, self->tls_limits.max_handshakes); break;
    case PROP_MAX_TLS_HANDSHAKES_PER_IP:
      g_value_set_uint (value, self->tls_limits.max_handshakes_per_ip);
      break;
    case PROP_THREADS: g_value_set_uint (value, self->threads); break;
    case PROP_STEERING: g_value_set_string (value, self->steering); break;
    case PROP_PORT: g_value_set_uint (value, self->bound_port); break;
    case PROP_ALT_PORT:
      g_value_set_uint (value, self->alt_bound ? self->bound_alt_port : 0);
      break;
    case PROP_TLS_PORT: g_value_set_uint (value, self->tls != NULL ? self->bound_tls_port : 0); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
replace_string (gchar        **field,
                const GValue  *value)
{
  g_free (*field);
  *field = g_value_dup_string (value);
}

static void
nav_stun_server_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  NavStunServer *self = NAV_STUN_SERVER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_clear_pointer (&self->context, g_main_context_unref);
      self->context = g_value_dup_boxed (value);
      break;
    case PROP_LISTENING_IP: replace_string (&self->listening_ip, value); break;
    case PROP_LISTENING_IPS:
      g_strfreev (self->listening_ips);
      self->listening_ips = g_value_dup_boxed (value);
      break;
    case PROP_LISTENING_PORT: self->listening_port = g_value_get_uint (value); break;
    case PROP_ALT_LISTENING_IP: replace_string (&self->alt_listening_ip, value); break;
    case PROP_ALT_LISTENING_PORT: self->alt_listening_port = g_value_get_uint (value); break;
    case PROP_TLS_LISTENING_PORT: self->tls_listening_port = g_value_get_uint (value); break;
    case PROP_UDP: self->udp_enabled = g_value_get_boolean (value); break;
    case PROP_TCP: self->tcp_enabled = g_value_get_boolean (value); break;
    case PROP_TLS: self->tls_enabled = g_value_get_boolean (value); break;
    case PROP_CERT: replace_string (&self->cert_file, value); break;
    case PROP_PKEY: replace_string (&self->pkey_file, value); break;
    case PROP_SOFTWARE: replace_string (&self->software, value); break;
    case PROP_TCP_IDLE_TIMEOUT: self->tcp_idle_timeout_ms = g_value_get_uint (value); break;
    case PROP_MAX_TCP_CONNECTIONS: self->max_tcp_connections = g_value_get_uint (value); break;
    case PROP_TLS_HANDSHAKE_TIMEOUT:
      self->tls_limits.handshake_timeout_ms = g_value_get_uint (value);
      break;
    case PROP_MAX_TLS_HANDSHAKES: self->tls_limits.max_handshakes = g_value_get_uint (value); break;
    case PROP_MAX_TLS_HANDSHAKES_PER_IP:
      self->tls_limits.max_handshakes_per_ip = g_value_get_uint (value);
      break;
    case PROP_THREADS: self->threads = g_value_get_uint (value); break;
    case PROP_STEERING: replace_string (&self->steering, value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_stun_server_constructed (GObject *object)
{
  NavStunServer *self = NAV_STUN_SERVER (object);

  G_OBJECT_CLASS (nav_stun_server_parent_class)->constructed (object);
  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
}

static void
nav_stun_server_dispose (GObject *object)
{
  nav_stun_server_stop (NAV_SERVER (object));

  G_OBJECT_CLASS (nav_stun_server_parent_class)->dispose (object);
}

static void
nav_stun_server_finalize (GObject *object)
{
  NavStunServer *self = NAV_STUN_SERVER (object);

  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->listening_ip);
  g_strfreev (self->listening_ips);
  g_free (self->alt_listening_ip);
  g_free (self->cert_file);
  g_free (self->pkey_file);
  g_free (self->software);
  g_free (self->steering);

  G_OBJECT_CLASS (nav_stun_server_parent_class)->finalize (object);
}

static void
nav_stun_server_class_init (NavStunServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = nav_stun_server_get_property;
  object_class->set_property = nav_stun_server_set_property;
  object_class->constructed = nav_stun_server_constructed;
  object_class->dispose = nav_stun_server_dispose;
  object_class->finalize = nav_stun_server_finalize;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");
  g_object_class_override_property (object_class, PROP_RUNNING, "running");

  /**
   * NavStunServer:listening-ip:
   *
   * The IP address to listen on (coturn's `listening-ip`); %NULL for every
   * IPv4 and IPv6 address.  In RFC 5780 mode, the primary address.
   * [property@Nav.StunServer:listening-ips], when set, wins.
   *
   * Since: 1.0
   */
  properties[PROP_LISTENING_IP] =
    g_param_spec_string ("listening-ip", "Listening IP",
                         "The IP address to listen on; unset for every address",
                         NULL, rw);
  /**
   * NavStunServer:listening-ips:
   *
   * The IP addresses to listen on (coturn's `listening-ip`, repeated); in
   * RFC 5780 mode the first one is the primary address.
   *
   * Since: 1.0
   */
  properties[PROP_LISTENING_IPS] =
    g_param_spec_boxed ("listening-ips", "Listening IPs",
                        "The IP addresses to listen on", G_TYPE_STRV, rw);
  /**
   * NavStunServer:listening-port:
   *
   * The UDP and TCP port to listen on (coturn's `listening-port`); 0 for
   * any free port, then read [property@Nav.StunServer:port].
   *
   * Since: 1.0
   */
  properties[PROP_LISTENING_PORT] =
    g_param_spec_uint ("listening-port", "Listening port",
                       "The UDP and TCP port to listen on (RFC 8489 §18.2); 0 for any",
                       0, G_MAXUINT16, NAV_STUN_DEFAULT_PORT, rw | G_PARAM_CONSTRUCT);
  /**
   * NavStunServer:alt-listening-ip:
   *
   * The second IP address of NAT behaviour discovery (RFC 5780 §4.4), as
   * coturn's `alt-listening-ip`: the server answers CHANGE-REQUEST from it
   * and advertises it in OTHER-ADDRESS.  %NULL disables RFC 5780.
   *
   * Since: 1.0
   */
  properties[PROP_ALT_LISTENING_IP] =
    g_param_spec_string ("alt-listening-ip", "Alternate listening IP",
                         "The second IP address of NAT behaviour discovery (RFC 5780)",
                         NULL, rw);
  /**
   * NavStunServer:alt-listening-port:
   *
   * The second port of NAT behaviour discovery (RFC 5780 §4.4), as
   * coturn's `alt-listening-port`; 0 means the listening port plus one,
   * coturn's default.
   *
   * Since: 1.0
   */
  properties[PROP_ALT_LISTENING_PORT] =
    g_param_spec_uint ("alt-listening-port", "Alternate listening port",
                       "The second port of NAT behaviour discovery (RFC 5780); 0 for listening-port + 1",
                       0, G_MAXUINT16, 0, rw);
  /**
   * NavStunServer:tls-listening-port:
   *
   * The TLS port (coturn's `tls-listening-port`); TLS is served only with
   * a certificate.
   *
   * Since: 1.0
   */
  properties[PROP_TLS_LISTENING_PORT] =
    g_param_spec_uint ("tls-listening-port", "TLS listening port",
                       "The TLS port (RFC 8489 §18.2); 0 for any",
                       0, G_MAXUINT16, NAV_STUN_DEFAULT_TLS_PORT, rw | G_PARAM_CONSTRUCT);
  /**
   * NavStunServer:udp:
   *
   * Whether to serve UDP (coturn's `no-udp`, negated).
   *
   * Since: 1.0
   */
  properties[PROP_UDP] =
    g_param_spec_boolean ("udp", "UDP", "Whether to serve UDP", TRUE, rw | G_PARAM_CONSTRUCT);
  /**
   * NavStunServer:tcp:
   *
   * Whether to serve TCP (coturn's `no-tcp`, negated).
   *
   * Since: 1.0
   */
  properties[PROP_TCP] =
    g_param_spec_boolean ("tcp", "TCP", "Whether to serve TCP", TRUE, rw | G_PARAM_CONSTRUCT);
  /**
   * NavStunServer:tls:
   *
   * Whether to serve TLS (coturn's `no-tls`, negated); it also needs
   * [property@Nav.StunServer:cert].
   *
   * Since: 1.0
   */
  properties[PROP_TLS] =
    g_param_spec_boolean ("tls", "TLS", "Whether to serve TLS (with a certificate)", TRUE,
                          rw | G_PARAM_CONSTRUCT);
  /**
   * NavStunServer:cert:
   *
   * The certificate file, PEM (coturn's `cert`); without one there is no
   * TLS listener.
   *
   * Since: 1.0
   */
  properties[PROP_CERT] =
    g_param_spec_string ("cert", "Certificate", "The certificate file (PEM)", NULL, rw);
  /**
   * NavStunServer:pkey:
   *
   * The private key file, PEM (coturn's `pkey`); unset means the key is in
   * the certificate file.
   *
   * Since: 1.0
   */
  properties[PROP_PKEY] =
    g_param_spec_string ("pkey", "Private key", "The private key file (PEM)", NULL, rw);
  /**
   * NavStunServer:software:
   *
   * The SOFTWARE attribute of responses (RFC 8489 §14.14); unset sends
   * none.
   *
   * Since: 1.0
   */
  properties[PROP_SOFTWARE] =
    g_param_spec_string ("software", "Software", "The SOFTWARE attribute of responses", NULL, rw);
  /**
   * NavStunServer:tcp-idle-timeout:
   *
   * Milliseconds after which a silent TCP or TLS connection is closed.
   *
   * Since: 1.0
   */
  properties[PROP_TCP_IDLE_TIMEOUT] =
    g_param_spec_uint ("tcp-idle-timeout", "TCP idle timeout",
                       "Milliseconds after which a silent TCP or TLS connection is closed",
                       10, G_MAXUINT, 30000, rw | G_PARAM_CONSTRUCT);
  /**
   * NavStunServer:max-tcp-connections:
   *
   * The most TCP and TLS connections at once; more are closed as soon as
   * accepted.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_TCP_CONNECTIONS] =
    g_param_spec_uint ("max-tcp-connections", "Maximum TCP connections",
                       "The most TCP and TLS connections at once", 1, G_MAXUINT, 4096,
                       rw | G_PARAM_CONSTRUCT);
  /**
   * NavStunServer:tls-handshake-timeout:
   *
   * Milliseconds a TLS handshake may take; a client still shaking hands
   * then is disconnected.
   *
   * Since: 1.0
   */
  properties[PROP_TLS_HANDSHAKE_TIMEOUT] =
    g_param_spec_uint ("tls-handshake-timeout", "TLS handshake timeout",
                       "Milliseconds a TLS handshake may take", 1, G_MAXUINT,
                       NAV_NET_TLS_DEFAULT_HANDSHAKE_TIMEOUT_MS, rw | G_PARAM_CONSTRUCT);
  /**
   * NavStunServer:max-tls-handshakes:
   *
   * The most TLS handshakes under way at once; connections beyond are
   * closed as soon as accepted.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_TLS_HANDSHAKES] =
    g_param_spec_uint ("max-tls-handshakes", "Maximum TLS handshakes",
                       "The most TLS handshakes under way at once", 1, G_MAXUINT,
                       NAV_NET_TLS_DEFAULT_MAX_HANDSHAKES, rw | G_PARAM_CONSTRUCT);
  /**
   * NavStunServer:max-tls-handshakes-per-ip:
   *
   * The most TLS handshakes under way at once from one IP address.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_TLS_HANDSHAKES_PER_IP] =
    g_param_spec_uint ("max-tls-handshakes-per-ip", "Maximum TLS handshakes per IP",
                       "The most TLS handshakes under way at once from one IP address",
                       1, G_MAXUINT, NAV_NET_TLS_DEFAULT_MAX_HANDSHAKES_PER_IP,
                       rw | G_PARAM_CONSTRUCT);
  /**
   * NavStunServer:threads:
   *
   * Worker threads answering over UDP, each with a socket of its own on
   * every UDP address (SO_REUSEPORT: the kernel spreads the clients over
   * them, and in RFC 5780 mode each thread has the whole grid); 0
   * answers from the server's context, as TCP and TLS always are.
   *
   * Since: 1.0
   */
  properties[PROP_THREADS] =
    g_param_spec_uint ("threads", "Threads", "Worker threads answering over UDP; 0 for none",
                       0, 256, 0, rw | G_PARAM_CONSTRUCT);
  /**
   * NavStunServer:steering:
   *
   * How datagrams are spread over the threads: `hash` (the kernel's),
   * `cpu` (the thread of the CPU that received it) or `random`.
   *
   * Since: 1.0
   */
  properties[PROP_STEERING] =
    g_param_spec_string ("steering", "Steering", "How datagrams are spread over the threads: hash, cpu or random",
                         "hash", rw | G_PARAM_CONSTRUCT);
  /**
   * NavStunServer:port:
   *
   * The UDP and TCP port the running server is bound to; 0 when stopped.
   *
   * Since: 1.0
   */
  properties[PROP_PORT] =
    g_param_spec_uint ("port", "Port", "The bound UDP and TCP port; 0 when stopped",
                       0, G_MAXUINT16, 0, ro);
  /**
   * NavStunServer:alt-port:
   *
   * The alternate port the running server is bound to in RFC 5780 mode.
   *
   * Since: 1.0
   */
  properties[PROP_ALT_PORT] =
    g_param_spec_uint ("alt-port", "Alternate port", "The bound alternate port (RFC 5780); 0 when unused",
                       0, G_MAXUINT16, 0, ro);
  /**
   * NavStunServer:tls-port:
   *
   * The TLS port the running server is bound to; 0 without TLS.
   *
   * Since: 1.0
   */
  properties[PROP_TLS_PORT] =
    g_param_spec_uint ("tls-port", "TLS port", "The bound TLS port; 0 without TLS",
                       0, G_MAXUINT16, 0, ro);

  for (guint i = PROP_LISTENING_IP; i < N_PROPS; i++)
    g_object_class_install_property (object_class, i, properties[i]);
  properties[PROP_RUNNING] = g_object_class_find_property (object_class, "running");
}

static void
nav_stun_server_init (NavStunServer *self)
{
  nav_net_tls_limits_init (&self->tls_limits);
}
