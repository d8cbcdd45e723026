/* nav-ice-tcp-transport.c: the transports of ICE-TCP host candidates
 * (RFC 6544)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One NavIceTcpTransport is the owner of one TCP host candidate, so that
 * the checker and the agent treat it like the UDP socket of a UDP
 * candidate: send (to, message) and a receive function with the source.
 * Underneath, each peer is one TCP connection carrying RFC 4571 frames,
 * a transport of the tcp-framing plugin created through the registry
 * (the core never frames TCP itself):
 *
 * - passive (RFC 6544 §4.1): a listening socket on the candidate's
 *   address; every accepted connection is kept, keyed by the peer's
 *   address.  Sending goes on the connection from that address; there is
 *   none to a peer that never connected, and the send fails
 *   (NOT_CONNECTED), because a passive candidate never opens
 *   connections.
 * - active: no socket until something is sent; the first message to an
 *   address opens a connection there and waits in the connection's queue
 *   until it is established.  Later messages to the same address,
 *   triggered checks, responses and data after nomination, reuse it
 *   (RFC 6544 §7.1).
 * - simultaneous-open (RFC 6544 §4.1, §7.1): a real local port, which
 *   is advertised.  Both agents connect from their S-O port to the
 *   other's, so the socket that connects is bound to the very port of
 *   the candidate (SO_REUSEADDR and SO_REUSEPORT, on it and on the
 *   listener that also sits on that port).  Either the two SYNs cross and
 *   the kernel completes a TCP simultaneous open (RFC 9293 §3.5: both
 *   ends go SYN-SENT → SYN-RECEIVED → ESTABLISHED), or one SYN reaches
 *   the other's listener first, whose accept() yields the connection; the
 *   kernel never lets both exist, as they share one 4-tuple.  A connect
 *   that is refused (the peer has not created its candidate yet) or
 *   times out is not an error of the send: the messages queued on it are
 *   dropped and the next send, the check's retransmission at the
 *   checker's pace, connects again, until the check's transaction times
 *   out: two agents that start their checks at different moments still
 *   meet.  Connections to and from the peer are then used alike, keyed
 *   by the peer's address.
 *
 * Frames arriving on a connection are delivered as coming from the
 * connection's peer address.  A connection that closes is forgotten; when
 * an outgoing one failed (refused, timed out, reset), the next send to
 * that address fails once with the reason, so that the check in flight
 * fails instead of retrying into the void, and a send after that opens a
 * new connection.
 *
 * The comments here are plain, not gi-docgen: the type is private.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#ifdef G_OS_UNIX
#include <errno.h>
#include <sys/socket.h>
#include <netinet/in.h>
#endif

#include "nav-ice-tcp-private.h"

/* Accepted connections kept per passive candidate: a peer cannot make a
 * passive candidate hold an unbounded number of sockets.  The oldest goes
 * first. */
#define MAX_CONNECTIONS 64

/* Checks in flight on one connection that a retransmission is recognised
 * among (see nav_ice_tcp_transport_send()). */
#define RECENT_REQUESTS 8

/* Messages a simultaneous-open connection attempt holds until it is
 * established (checks and their retransmissions; data waits for a
 * nominated pair, hence for a connection). */
#define MAX_PENDING_MESSAGES 8

/* How long one simultaneous-open connect may stay unanswered before the
 * next send abandons it and connects again (a SYN that was dropped, not
 * refused). */
#define SO_CONNECT_STALE_USEC (2 * G_USEC_PER_SEC)

typedef struct {
  NavIceTcpTransport *owner;    /* unowned: it frees its connections */
  NavAddress remote;
  NavTransport *child;          /* NULL once closed */
  gulong closed_id;
  gulong connected_id;          /* notify::connected, for the TOS */
  gint trusted;                 /* atomic: may carry application data */
  /* The transaction IDs of the last STUN requests sent, a ring */
  guint8 requests[RECENT_REQUESTS][NAV_STUN_TRANSACTION_ID_LENGTH];
  guint n_requests;
} Connection;

/* Whether the request @tid was sent on @c lately; records it if not. */
static gboolean
already_sent (Connection   *c,
              const guint8 *tid)
{
  for (guint i = 0; i < MIN (c->n_requests, RECENT_REQUESTS); i++)
    if (memcmp (c->requests[i], tid, NAV_STUN_TRANSACTION_ID_LENGTH) == 0)
      return TRUE;
  memcpy (c->requests[c->n_requests++ % RECENT_REQUESTS], tid, NAV_STUN_TRANSACTION_ID_LENGTH);
  return FALSE;
}

/* The transaction ID of @data when it is a STUN request (RFC 8489 §5:
 * class bits 00, the magic cookie), else NULL. */
static const guint8 *
stun_request_id (const guint8 *data,
                 gsize         len)
{
  if (len < 20 || (data[0] & 0xc0) != 0 || (data[0] & 0x01) != 0 || (data[1] & 0x10) != 0 ||
      data[4] != 0x21 || data[5] != 0x12 || data[6] != 0xa4 || data[7] != 0x42)
    return NULL;
  return data + 8;
}

/* A simultaneous-open connect under way. */
typedef struct {
  NavIceTcpTransport *owner;    /* unowned */
  NavAddress remote;
  GSocket *socket;
  GSource *source;
  gint64 started;
  GPtrArray *queue;             /* GBytes */
  guint8 requests[RECENT_REQUESTS][NAV_STUN_TRANSACTION_ID_LENGTH];
  guint n_requests;
} Pending;

struct _NavIceTcpTransport
{
  GObject parent_instance;

  GMainContext *context;
  NavCandidateTransport protocol;
  NavAddress local_address;

  GSocket *listener;            /* passive only */
  GSource *accept_source;

  GMutex lock;                  /* guards everything below */
  GPtrArray *connections;       /* Connection */
  GArray *failed;               /* NavAddress: outgoing connections that failed */
  GPtrArray *pending;           /* Pending: S-O connects under way */
  gboolean closed;
  gint tos;                     /* -1: the system's; see nav_ice_tcp_transport_set_tos() */
};

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_LOCAL_ADDRESS,
  N_PROPS
};

static void nav_ice_tcp_transport_transport_init (NavTransportInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NavIceTcpTransport, nav_ice_tcp_transport, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NAV_TYPE_TRANSPORT,
                                                      nav_ice_tcp_transport_transport_init))

static void
connection_free (gpointer data)
{
  Connection *c = data;

  if (c->child != NULL)
    {
      g_clear_signal_handler (&c->closed_id, c->child);
      g_clear_signal_handler (&c->connected_id, c->child);
      nav_transport_set_receive_func (c->child, NULL, NULL, NULL);
      nav_transport_close (c->child);
      g_clear_object (&c->child);
    }
  g_free (c);
}

/* Called with the lock held. */
static Connection *
find_connection (NavIceTcpTransport *self,
                 const NavAddress   *remote)
{
  for (guint i = 0; i < self->connections->len; i++)
    {
      Connection *c = g_ptr_array_index (self->connections, i);

      if (nav_address_equal (&c->remote, remote))
        return c;
    }
  return NULL;
}

/* A frame from one connection: handed on as the candidate's.  On an
 * accepted connection, application data counts only once the connection
 * carried a check that was answered with success, that is one that
 * passed MESSAGE-INTEGRITY with our password (RFC 8445 §7.3): before
 * that, anyone who can reach the port could inject data.  STUN (first
 * byte 0–3, RFC 7983 §7) always goes through, for the checks. */
static void
child_receive (NavTransport     *child,
               const guint8     *data,
               gsize             len,
               const NavAddress *from,
               gpointer          user_data)
{
  Connection *c = user_data;

  if (len > 0 && data[0] >= 4 && !g_atomic_int_get (&c->trusted))
    {
      g_debug ("ICE-TCP: %" G_GSIZE_FORMAT " bytes of data before any check dropped", len);
      return;
    }
  nav_transport_deliver (NAV_TRANSPORT (c->owner), data, len, from);
}

/* Whether @data is a STUN success response (class bits 10, RFC 8489 §5). */
static gboolean
is_stun_success (const guint8 *data,
                 gsize         len)
{
  return len >= 20 && (data[0] & 0xc0) == 0 && (data[0] & 0x01) != 0 &&
         (data[1] & 0x10) == 0 && data[4] == 0x21 && data[5] == 0x12 &&
         data[6] == 0xa4 && data[7] == 0x42;
}

static gboolean
nothing (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

static void
child_closed (NavTransport *child,
              const GError *error,
              gpointer      user_data)
{
  NavIceTcpTransport *self = user_data;
  Connection *gone = NULL;
  gchar buf[NAV_ADDRESS_STRING_LEN];

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->connections->len; i++)
    {
      Connection *c = g_ptr_array_index (self->connections, i);

      if (c->child == child)
        {
          gone = g_ptr_array_steal_index (self->connections, i);
          break;
        }
    }
  if (gone != NULL && error != NULL && self->protocol == NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE)
    {
      /* Bounded: a failure nobody asks about is forgotten eventually. */
      if (self->failed->len >= MAX_CONNECTIONS)
        g_array_remove_index (self->failed, 0);
      g_array_append_val (self->failed, gone->remote);
    }
  g_mutex_unlock (&self->lock);

  if (gone != NULL)
    {
      g_debug ("ICE-TCP %s connection with %s closed: %s",
               nav_candidate_transport_to_string (self->protocol),
               nav_address_to_string_buf (&gone->remote, buf),
               error != NULL ? error->message : "on request");
      /* The child is inside its own emission, which may not hold a
       * reference: the last one is dropped from an idle source. */
      {
        GSource *idle = g_idle_source_new ();

        g_source_set_callback (idle, nothing, g_steal_pointer (&gone->child), g_object_unref);
        g_source_set_static_name (idle, "[nav] ICE-TCP connection release");
        g_source_attach (idle, self->context);
        g_source_unref (idle);
        g_clear_signal_handler (&gone->closed_id, child);
        nav_transport_set_receive_func (child, NULL, NULL, NULL);
      }
      connection_free (gone);
    }
}

/* Takes @child over; called with the lock held. */
/* Applies the transport's TOS to a connection's socket(s). */
static void
connection_apply_tos (NavIceTcpTransport *self,
                      NavTransport       *child)
{
  g_autoptr (GPtrArray) sockets = NULL;
  gint tos;

  g_mutex_lock (&self->lock);
  tos = self->tos;
  g_mutex_unlock (&self->lock);
  if (tos < 0)
    return;
  sockets = nav_transport_dup_sockets (child);
  for (guint i = 0; i < sockets->len; i++)
    nav_socket_set_tos (g_ptr_array_index (sockets, i), tos);
}

/* An outgoing connection has its socket once connected. */
static void
child_connected (GObject    *child,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  Connection *c = user_data;

  connection_apply_tos (c->owner, NAV_TRANSPORT (child));
}

static Connection *
add_connection (NavIceTcpTransport *self,
                NavTransport       *child,
                const NavAddress   *remote,
                gboolean            outgoing)
{
  Connection *c = g_new0 (Connection, 1);

  c->owner = self;
  c->remote = *remote;
  c->child = child;
  /* A connection we opened goes to an address the peer signalled. */
  c->trusted = outgoing;
  nav_transport_set_receive_func (child, child_receive, c, NULL);
  c->closed_id = g_signal_connect (child, "closed", G_CALLBACK (child_closed), self);
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (child), "connected") != NULL)
    c->connected_id = g_signal_connect (child, "notify::connected",
                                        G_CALLBACK (child_connected), c);
  if (self->tos >= 0)
    {
      g_autoptr (GPtrArray) sockets = nav_transport_dup_sockets (child);

      for (guint i = 0; i < sockets->len; i++)
        nav_socket_set_tos (g_ptr_array_index (sockets, i), self->tos);
    }
  g_ptr_array_add (self->connections, c);
  return c;
}

/* ---------------------------------------------------------------- passive */

static gboolean
on_incoming (GSocket      *listener,
             GIOCondition  condition,
             gpointer      user_data)
{
  NavIceTcpTransport *self = user_data;
  guint accepted;

  /* A few per dispatch: a flood of connections does not starve the rest
   * of the main context. */
  for (accepted = 0; accepted < 16; accepted++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GSocket) socket = NULL;
      g_autoptr (GSocketConnection) connection = NULL;
      g_autoptr (GSocketAddress) peer = NULL;
      GObject *child;
      NavAddress remote;
      Connection *old = NULL;

      socket = g_socket_accept (listener, NULL, &error);
      if (socket == NULL)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            g_debug ("ICE-TCP passive: accept failed: %s", error->message);
          break;
        }
      peer = g_socket_get_remote_address (socket, NULL);
      nav_address_init (&remote);
      if (peer == NULL || !nav_address_set_from_socket_address (&remote, peer, NULL))
        continue;
      g_socket_set_blocking (socket, FALSE);
      if (self->tos >= 0)
        nav_socket_set_tos (socket, self->tos);
      connection = g_socket_connection_factory_create_connection (socket);
      child = nav_registry_create (nav_registry_get_default (), NAV_TRANSPORT_EXTENSION_POINT_NAME,
                                   "tcp-framing", &error,
                                   "connection", connection,
                                   "context", self->context,
                                   NULL);
      if (child == NULL)
        {
          g_debug ("ICE-TCP passive: cannot frame the connection: %s", error->message);
          continue;
        }

      g_mutex_lock (&self->lock);
      if (self->closed)
        {
          g_mutex_unlock (&self->lock);
          nav_transport_close (NAV_TRANSPORT (child));
          g_object_unref (child);
          break;
        }
      /* The same peer address again (it reconnected) replaces the old
       * connection; beyond the bound, the oldest goes. */
      old = find_connection (self, &remote);
      if (old != NULL)
        g_ptr_array_remove_fast (self->connections, old);
      else if (self->connections->len >= MAX_CONNECTIONS)
        {
          old = g_ptr_array_steal_index (self->connections, 0);
          connection_free (old);
        }
      add_connection (self, NAV_TRANSPORT (child), &remote, FALSE);
      g_mutex_unlock (&self->lock);
      {
        gchar buf[NAV_ADDRESS_STRING_LEN];

        g_debug ("ICE-TCP %s: accepted a connection from %s",
                 nav_candidate_transport_to_string (self->protocol),
                 nav_address_to_string_buf (&remote, buf));
      }
    }
  return G_SOURCE_CONTINUE;
}

/* Binds @socket to @where with SO_REUSEADDR and SO_REUSEPORT: the
 * listener of an S-O candidate and the sockets that connect from its port
 * share that port (Linux allows it between sockets that all set
 * SO_REUSEPORT, of one user).  Not g_socket_bind(), which sets
 * SO_REUSEPORT on datagram sockets only and clears it on the others. */
static gboolean
bind_reusing (GSocket         *socket,
              GSocketAddress  *where,
              GError         **error)
{
#ifdef G_OS_UNIX
  struct sockaddr_storage native;
  gssize len = g_socket_address_get_native_size (where);

  if (!g_socket_set_option (socket, SOL_SOCKET, SO_REUSEADDR, 1, error))
    return FALSE;
#ifdef SO_REUSEPORT
  if (!g_socket_set_option (socket, SOL_SOCKET, SO_REUSEPORT, 1, error))
    return FALSE;
#endif
  if (len <= 0 || (gsize) len > sizeof native ||
      !g_socket_address_to_native (where, &native, sizeof native, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_BIND_FAILED,
                     _("Cannot bind to this address"));
      return FALSE;
    }
  if (bind (g_socket_get_fd (socket), (struct sockaddr *) &native, (socklen_t) len) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Cannot bind a simultaneous-open socket: %s"), g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
#else
  return g_socket_bind (socket, where, TRUE, error);
#endif
}

static GSocket *
listen_on (const NavAddress  *address,
           guint              port,
           gboolean           reuse,
           GError           **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) where = NULL;
  NavAddress bind_to = *address;

  socket = g_socket_new (nav_address_get_family (address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  nav_address_set_port (&bind_to, port);
  where = nav_address_to_socket_address (&bind_to);
  if (where == NULL)
    {
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_BIND_FAILED,
                   _("Cannot bind to this address"));
      return NULL;
    }
  g_socket_set_blocking (socket, FALSE);
  if (reuse ? !bind_reusing (socket, where, error) : !g_socket_bind (socket, where, FALSE, error))
    return NULL;
  g_socket_set_listen_backlog (socket, 16);
  if (!g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static NavIceTcpTransport *
new_listening (GMainContext          *context,
               NavCandidateTransport  protocol,
               const NavAddress      *address,
               guint                  min_port,
               guint                  max_port,
               GError               **error)
{
  g_autoptr (NavIceTcpTransport) self = NULL;
  g_autoptr (GSocketAddress) bound = NULL;
  GSocket *listener = NULL;

  g_return_val_if_fail (address != NULL, NULL);

  if (max_port == 0)
    listener = listen_on (address, 0, protocol == NAV_CANDIDATE_TRANSPORT_TCP_SO, error);
  else
    {
      /* The range as the UDP candidates use it: from a random port,
       * wrapping around. */
      guint lo = MAX (min_port, 1), hi = MAX (max_port, lo);
      guint span = hi - lo + 1;
      guint start = g_random_int_range (0, (gint32) span);

      for (guint i = 0; i < span && listener == NULL; i++)
        {
          g_autoptr (GError) local_error = NULL;

          listener = listen_on (address, lo + (start + i) % span,
                                protocol == NAV_CANDIDATE_TRANSPORT_TCP_SO, &local_error);
          if (listener == NULL && i + 1 == span)
            g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NO_PORT_AVAILABLE,
                         _("No port of %u–%u is free for a TCP listener"), lo, hi);
        }
    }
  if (listener == NULL)
    return NULL;

  self = g_object_new (NAV_TYPE_ICE_TCP_TRANSPORT, "context", context, NULL);
  self->protocol = protocol;
  self->listener = listener;
  bound = g_socket_get_local_address (listener, error);
  if (bound == NULL || !nav_address_set_from_socket_address (&self->local_address, bound, error))
    return NULL;
  self->accept_source = g_socket_create_source (listener, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, (GSourceFunc) (GCallback) on_incoming, self, NULL);
  g_source_set_static_name (self->accept_source, "[nav] ICE-TCP accept");
  g_source_attach (self->accept_source, self->context);
  return g_steal_pointer (&self);
}

NavIceTcpTransport *
nav_ice_tcp_transport_new_passive (GMainContext      *context,
                                   const NavAddress  *address,
                                   guint              min_port,
                                   guint              max_port,
                                   GError           **error)
{
  return new_listening (context, NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE, address, min_port,
                        max_port, error);
}

/* A simultaneous-open candidate: a real port, bound (and listening) so
 * that it can be advertised; connections leave from it too. */
NavIceTcpTransport *
nav_ice_tcp_transport_new_so (GMainContext      *context,
                              const NavAddress  *address,
                              guint              min_port,
                              guint              max_port,
                              GError           **error)
{
  return new_listening (context, NAV_CANDIDATE_TRANSPORT_TCP_SO, address, min_port,
                        max_port, error);
}

/* ----------------------------------------------------------------- active */

NavIceTcpTransport *
nav_ice_tcp_transport_new_active (GMainContext      *context,
                                  const NavAddress  *address,
                                  GError           **error)
{
  NavIceTcpTransport *self;

  g_return_val_if_fail (address != NULL, NULL);

  self = g_object_new (NAV_TYPE_ICE_TCP_TRANSPORT, "context", context, NULL);
  self->protocol = NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE;
  self->local_address = *address;
  nav_address_set_port (&self->local_address, NAV_ICE_TCP_ACTIVE_PORT);
  return self;
}

/* Called with the lock held: the connection to @to, opened if need be. */
static NavTransport *
ensure_outgoing (NavIceTcpTransport  *self,
                 const NavAddress    *to,
                 GError             **error)
{
  g_autoptr (NavAddress) remote = nav_address_copy (to);
  GObject *child;

  /* A connection only goes to the peer's family (and never to "any"). */
  if (nav_address_get_family (to) != nav_address_get_family (&self->local_address) ||
      nav_address_is_any (to) || nav_address_get_port (to) == 0)
    {
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_ADDRESS_FAMILY,
                   _("An ICE-TCP candidate cannot connect to this address"));
      return NULL;
    }
  child = nav_registry_create (nav_registry_get_default (), NAV_TRANSPORT_EXTENSION_POINT_NAME,
                               "tcp-framing", error,
                               "remote-address", remote,
                               "bind-address", &self->local_address,
                               "context", self->context,
                               NULL);
  if (child == NULL)
    return NULL;
  add_connection (self, NAV_TRANSPORT (child), to, TRUE);
  return NAV_TRANSPORT (child);
}

/* ------------------------------------------------------ simultaneous-open */

static void
pending_free (gpointer data)
{
  Pending *p = data;

  if (p->source != NULL)
    {
      g_source_destroy (p->source);
      g_source_unref (p->source);
    }
  if (p->socket != NULL)
    {
      g_socket_close (p->socket, NULL);
      g_object_unref (p->socket);
    }
  g_ptr_array_unref (p->queue);
  g_free (p);
}

/* Called with the lock held. */
static Pending *
find_pending (NavIceTcpTransport *self,
              const NavAddress   *remote)
{
  for (guint i = 0; i < self->pending->len; i++)
    {
      Pending *p = g_ptr_array_index (self->pending, i);

      if (nav_address_equal (&p->remote, remote))
        return p;
    }
  return NULL;
}

/* The connect of @p finished, either way. */
static gboolean
on_so_connect (GSocket      *socket,
               GIOCondition  condition,
               gpointer      user_data)
{
  Pending *p = user_data;
  NavIceTcpTransport *self = g_object_ref (p->owner);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) queue = NULL;
  g_autoptr (NavTransport) child = NULL;
  gchar buf[NAV_ADDRESS_STRING_LEN];

  g_mutex_lock (&self->lock);
  /* Taken out of the list: from here on it is this function's. */
  {
    guint index;

    if (g_ptr_array_find (self->pending, p, &index))
      g_ptr_array_steal_index_fast (self->pending, index);
  }
  g_clear_pointer (&p->source, g_source_unref);

  if (g_socket_check_connect_result (socket, &error))
    {
      g_autoptr (GSocketConnection) connection = NULL;
      GObject *object;

      connection = g_socket_connection_factory_create_connection (socket);
      /* The connection has the socket now (closing it is its call). */
      g_clear_object (&p->socket);
      object = nav_registry_create (nav_registry_get_default (),
                                    NAV_TRANSPORT_EXTENSION_POINT_NAME, "tcp-framing", &error,
                                    "connection", connection,
                                    "context", self->context,
                                    "protocol", NAV_CANDIDATE_TRANSPORT_TCP_SO,
                                    NULL);
      if (object != NULL && (self->closed || find_connection (self, &p->remote) != NULL))
        {
          /* Closed meanwhile, or (in theory: the kernel keeps one
           * connection per 4-tuple) the peer's came in first. */
          nav_transport_close (NAV_TRANSPORT (object));
          g_object_unref (object);
        }
      else if (object != NULL)
        {
          Connection *c = add_connection (self, NAV_TRANSPORT (object), &p->remote, TRUE);

          memcpy (c->requests, p->requests, sizeof c->requests);
          c->n_requests = p->n_requests;
          child = g_object_ref (NAV_TRANSPORT (object));
          queue = g_steal_pointer (&p->queue);
          p->queue = g_ptr_array_new ();
        }
    }
  g_mutex_unlock (&self->lock);

  if (child != NULL)
    {
      g_debug ("ICE-TCP so: connected to %s", nav_address_to_string_buf (&p->remote, buf));
      for (guint i = 0; i < queue->len; i++)
        {
          gsize len;
          const guint8 *data = g_bytes_get_data (g_ptr_array_index (queue, i), &len);
          g_autoptr (GError) send_error = NULL;

          if (!nav_transport_send (child, NULL, data, len, &send_error))
            g_debug ("ICE-TCP so: queued message not sent: %s", send_error->message);
        }
    }
  else
    /* Refused (no S-O port there yet), reset or unreachable: the next
     * send, the check's retransmission, connects again. */
    g_debug ("ICE-TCP so: connecting to %s failed: %s",
             nav_address_to_string_buf (&p->remote, buf),
             error != NULL ? error->message : "closed");
  pending_free (p);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* Called with the lock held: a connect from the candidate's own port to
 * @to, holding @data until it is established. */
static gboolean
so_connect (NavIceTcpTransport  *self,
            const NavAddress    *to,
            const guint8        *data,
            gsize                len,
            GError             **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GSocketAddress) remote = NULL;
  g_autoptr (GError) local_error = NULL;
  Pending *p;
  const guint8 *tid = stun_request_id (data, len);

  if (nav_address_get_family (to) != nav_address_get_family (&self->local_address) ||
      nav_address_is_any (to) || nav_address_get_port (to) == 0)
    {
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_ADDRESS_FAMILY,
                   _("An ICE-TCP candidate cannot connect to this address"));
      return FALSE;
    }

  p = find_pending (self, to);
  if (p != NULL && g_get_monotonic_time () - p->started > SO_CONNECT_STALE_USEC)
    {
      /* Unanswered for long: the SYN was dropped; try again. */
      g_ptr_array_remove (self->pending, p);
      p = NULL;
    }
  if (p == NULL)
    {
      socket = g_socket_new (nav_address_get_family (to), G_SOCKET_TYPE_STREAM,
                             G_SOCKET_PROTOCOL_TCP, error);
      if (socket == NULL)
        return FALSE;
      g_socket_set_blocking (socket, FALSE);
      if (self->tos >= 0)
        nav_socket_set_tos (socket, self->tos);
      local = nav_address_to_socket_address (&self->local_address);
      remote = nav_address_to_socket_address (to);
      if (local == NULL || remote == NULL)
        {
          g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_ADDRESS_FAMILY,
                       _("An ICE-TCP candidate cannot connect to this address"));
          return FALSE;
        }
      if (!bind_reusing (socket, local, error))
        return FALSE;
      if (!g_socket_connect (socket, remote, NULL, &local_error) &&
          !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_PENDING))
        {
          /* Refused at once, or the 4-tuple is taken by the peer's
           * connection not yet accepted: not the check's failure, its
           * retransmission comes back here. */
          g_debug ("ICE-TCP so: connect failed at once: %s", local_error->message);
          return TRUE;
        }
      p = g_new0 (Pending, 1);
      p->owner = self;
      p->remote = *to;
      p->socket = g_steal_pointer (&socket);
      p->started = g_get_monotonic_time ();
      p->queue = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      p->source = g_socket_create_source (p->socket, G_IO_OUT, NULL);
      g_source_set_callback (p->source, (GSourceFunc) (GCallback) on_so_connect, p, NULL);
      g_source_set_static_name (p->source, "[nav] ICE-TCP simultaneous-open connect");
      g_source_attach (p->source, self->context);
      g_ptr_array_add (self->pending, p);
    }

  /* A retransmission of a request already queued is sent once. */
  if (tid != NULL)
    {
      for (guint i = 0; i < MIN (p->n_requests, RECENT_REQUESTS); i++)
        if (memcmp (p->requests[i], tid, NAV_STUN_TRANSACTION_ID_LENGTH) == 0)
          return TRUE;
      memcpy (p->requests[p->n_requests++ % RECENT_REQUESTS], tid,
              NAV_STUN_TRANSACTION_ID_LENGTH);
    }
  if (p->queue->len < MAX_PENDING_MESSAGES)
    g_ptr_array_add (p->queue, g_bytes_new (data, len));
  return TRUE;
}

/* -------------------------------------------------------------- transport */

static gboolean
nav_ice_tcp_transport_send (NavTransport     *transport,
                            const NavAddress *to,
                            const guint8     *data,
                            gsize             len,
                            GError          **error)
{
  NavIceTcpTransport *self = NAV_ICE_TCP_TRANSPORT (transport);
  g_autoptr (NavTransport) child = NULL;
  Connection *c;

  if (to == NULL)
    {
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NOT_CONNECTED,
                   _("An ICE-TCP candidate needs a destination"));
      return FALSE;
    }

  g_mutex_lock (&self->lock);
  if (self->closed)
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_CLOSED,
                   _("The transport is closed"));
      return FALSE;
    }
  c = find_connection (self, to);
  if (c != NULL)
    {
      const guint8 *tid = stun_request_id (data, len);

      /* RFC 8489 §6.2.2: over a reliable transport a request is sent
       * once.  The checker retransmits over every transport; here a
       * copy of a recent request is dropped while its connection lives
       * (and when the connection failed, the send fails instead, below:
       * that is how the check learns of it). */
      if (tid != NULL && already_sent (c, tid))
        {
          g_mutex_unlock (&self->lock);
          return TRUE;
        }
      if (is_stun_success (data, len))
        g_atomic_int_set (&c->trusted, TRUE);
      child = g_object_ref (c->child);
    }
  else if (self->protocol == NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE)
    {
      guint i;

      for (i = 0; i < self->failed->len; i++)
        if (nav_address_equal (&g_array_index (self->failed, NavAddress, i), to))
          break;
      if (i < self->failed->len)
        {
          /* Reported once: the next send tries again. */
          g_array_remove_index_fast (self->failed, i);
          g_mutex_unlock (&self->lock);
          g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NOT_CONNECTED,
                       _("The TCP connection to the peer failed"));
          return FALSE;
        }
      child = ensure_outgoing (self, to, error);
      if (child != NULL)
        {
          const guint8 *tid = stun_request_id (data, len);

          c = find_connection (self, to);
          if (tid != NULL && c != NULL)
            already_sent (c, tid);
          g_object_ref (child);
        }
    }
  else if (self->protocol == NAV_CANDIDATE_TRANSPORT_TCP_SO)
    {
      gboolean ok = so_connect (self, to, data, len, error);

      g_mutex_unlock (&self->lock);
      return ok;
    }
  else
    g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NOT_CONNECTED,
                 _("No TCP connection from this peer"));
  g_mutex_unlock (&self->lock);

  if (child == NULL)
    return FALSE;
  return nav_transport_send (child, NULL, data, len, error);
}

static const NavAddress *
nav_ice_tcp_transport_get_local_address (NavTransport *transport)
{
  return &NAV_ICE_TCP_TRANSPORT (transport)->local_address;
}

static NavCandidateTransport
nav_ice_tcp_transport_get_protocol (NavTransport *transport)
{
  return NAV_ICE_TCP_TRANSPORT (transport)->protocol;
}

static gboolean
nav_ice_tcp_transport_is_reliable (NavTransport *transport)
{
  return TRUE;
}

/* Releases the sockets; returns whether it was done before. */
static gboolean
shut_down (NavIceTcpTransport *self)
{
  g_autoptr (GPtrArray) connections = NULL;
  g_autoptr (GPtrArray) pending = NULL;
  gboolean was_closed;

  g_mutex_lock (&self->lock);
  was_closed = self->closed;
  self->closed = TRUE;
  connections = g_steal_pointer (&self->connections);
  self->connections = g_ptr_array_new_with_free_func (connection_free);
  pending = g_steal_pointer (&self->pending);
  self->pending = g_ptr_array_new_with_free_func (pending_free);
  g_mutex_unlock (&self->lock);

  if (self->accept_source != NULL)
    {
      g_source_destroy (self->accept_source);
      g_clear_pointer (&self->accept_source, g_source_unref);
    }
  if (self->listener != NULL)
    {
      g_socket_close (self->listener, NULL);
      g_clear_object (&self->listener);
    }
  /* connection_free() closes each one; the children point back here, so
   * none outlives this. */
  g_clear_pointer (&connections, g_ptr_array_unref);
  return was_closed;
}

static void
nav_ice_tcp_transport_close (NavTransport *transport)
{
  if (!shut_down (NAV_ICE_TCP_TRANSPORT (transport)))
    nav_transport_emit_closed (transport, NULL);
}

static GPtrArray *
nav_ice_tcp_transport_dup_sockets (NavTransport *transport)
{
  NavIceTcpTransport *self = NAV_ICE_TCP_TRANSPORT (transport);
  GPtrArray *sockets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) children = g_ptr_array_new_with_free_func (g_object_unref);

  g_mutex_lock (&self->lock);
  if (self->listener != NULL)
    g_ptr_array_add (sockets, g_object_ref (self->listener));
  for (guint i = 0; i < self->connections->len; i++)
    {
      Connection *c = g_ptr_array_index (self->connections, i);

      if (c->child != NULL)
        g_ptr_array_add (children, g_object_ref (c->child));
    }
  for (guint i = 0; i < self->pending->len; i++)
    {
      Pending *p = g_ptr_array_index (self->pending, i);

      if (p->socket != NULL)
        g_ptr_array_add (sockets, g_object_ref (p->socket));
    }
  g_mutex_unlock (&self->lock);
  /* The framed connections' own sockets, without the lock. */
  for (guint i = 0; i < children->len; i++)
    {
      g_autoptr (GPtrArray) more = nav_transport_dup_sockets (g_ptr_array_index (children, i));

      for (guint j = 0; j < more->len; j++)
        g_ptr_array_add (sockets, g_object_ref (g_ptr_array_index (more, j)));
    }
  return sockets;
}

/* NavTransport.set_tos: nav_ice_tcp_transport_set_tos(), which also
 * marks the connections made later. */
static void
ice_tcp_transport_set_tos (NavTransport *transport,
                           gint          tos)
{
  nav_ice_tcp_transport_set_tos (NAV_ICE_TCP_TRANSPORT (transport), tos);
}

static void
nav_ice_tcp_transport_transport_init (NavTransportInterface *iface)
{
  iface->send = nav_ice_tcp_transport_send;
  iface->get_local_address = nav_ice_tcp_transport_get_local_address;
  iface->get_protocol = nav_ice_tcp_transport_get_protocol;
  iface->is_reliable = nav_ice_tcp_transport_is_reliable;
  iface->close = nav_ice_tcp_transport_close;
  iface->dup_sockets = nav_ice_tcp_transport_dup_sockets;
  iface->set_tos = ice_tcp_transport_set_tos;
}

/* IP_TOS and IPV6_TCLASS (libnice sets both whatever the family: an
 * IPv6 socket may carry IPv4-mapped traffic); errors are ignored, as the
 * option is advisory. */
void
nav_socket_set_tos (GSocket *socket,
                    gint     tos)
{
  GSocketFamily family = g_socket_get_family (socket);

  if (family == G_SOCKET_FAMILY_IPV4)
    g_socket_set_option (socket, IPPROTO_IP, IP_TOS, tos, NULL);
  else if (family == G_SOCKET_FAMILY_IPV6)
    {
      g_socket_set_option (socket, IPPROTO_IPV6, IPV6_TCLASS, tos, NULL);
      g_socket_set_option (socket, IPPROTO_IP, IP_TOS, tos, NULL);
    }
}

/* The type of service of the transport's sockets, present and to come
 * (libnice's nice_agent_set_stream_tos()). */
void
nav_ice_tcp_transport_set_tos (NavIceTcpTransport *self,
                               gint                tos)
{
  g_autoptr (GPtrArray) sockets = NULL;

  g_return_if_fail (NAV_IS_ICE_TCP_TRANSPORT (self));

  g_mutex_lock (&self->lock);
  self->tos = tos;
  g_mutex_unlock (&self->lock);
  sockets = nav_transport_dup_sockets (NAV_TRANSPORT (self));
  for (guint i = 0; i < sockets->len; i++)
    nav_socket_set_tos (g_ptr_array_index (sockets, i), tos);
}

guint
nav_ice_tcp_transport_get_n_connections (NavIceTcpTransport *self)
{
  guint n;

  g_return_val_if_fail (NAV_IS_ICE_TCP_TRANSPORT (self), 0);

  g_mutex_lock (&self->lock);
  n = self->connections->len;
  g_mutex_unlock (&self->lock);
  return n;
}

/* ----------------------------------------------------------------- object */

static void
nav_ice_tcp_transport_constructed (GObject *object)
{
  NavIceTcpTransport *self = NAV_ICE_TCP_TRANSPORT (object);

  G_OBJECT_CLASS (nav_ice_tcp_transport_parent_class)->constructed (object);

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
}

static void
nav_ice_tcp_transport_dispose (GObject *object)
{
  NavIceTcpTransport *self = NAV_ICE_TCP_TRANSPORT (object);

  shut_down (self);

  G_OBJECT_CLASS (nav_ice_tcp_transport_parent_class)->dispose (object);
}

static void
nav_ice_tcp_transport_finalize (GObject *object)
{
  NavIceTcpTransport *self = NAV_ICE_TCP_TRANSPORT (object);

  g_ptr_array_unref (self->connections);
  g_ptr_array_unref (self->pending);
  g_array_unref (self->failed);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (nav_ice_tcp_transport_parent_class)->finalize (object);
}

static void
nav_ice_tcp_transport_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  NavIceTcpTransport *self = NAV_ICE_TCP_TRANSPORT (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_boxed (value, self->context);
      break;
    case PROP_LOCAL_ADDRESS:
      g_value_set_boxed (value, &self->local_address);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_ice_tcp_transport_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  NavIceTcpTransport *self = NAV_ICE_TCP_TRANSPORT (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_boxed (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_ice_tcp_transport_class_init (NavIceTcpTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = nav_ice_tcp_transport_constructed;
  object_class->dispose = nav_ice_tcp_transport_dispose;
  object_class->finalize = nav_ice_tcp_transport_finalize;
  object_class->get_property = nav_ice_tcp_transport_get_property;
  object_class->set_property = nav_ice_tcp_transport_set_property;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");
  g_object_class_override_property (object_class, PROP_LOCAL_ADDRESS, "local-address");
}

static void
nav_ice_tcp_transport_init (NavIceTcpTransport *self)
{
  g_mutex_init (&self->lock);
  nav_address_init (&self->local_address);
  self->connections = g_ptr_array_new_with_free_func (connection_free);
  self->failed = g_array_new (FALSE, FALSE, sizeof (NavAddress));
  self->pending = g_ptr_array_new_with_free_func (pending_free);
  self->tos = -1;
}
