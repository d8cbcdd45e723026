/* nav-ice-tcp-transport.c: the transports of ICE-TCP host candidates
 * (RFC 6544)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One NavIceTcpTransport is the owner of one TCP host candidate, so that
 * the checker and the agent treat it like the UDP socket of a UDP
 * candidate: send (to, message) and a receive function with the source.
 * Underneath, each peer is one TCP connection carrying RFC 4571 frames,
 * a stream of the core's socket layer (core/net/nav-net-stream.c, the
 * framing core-internal: the core needs no plugin):
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
#include "nav-net.h"

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

/* An active candidate's connect gives up after this (as the tcp-framing
 * plugin's connect-timeout). */
#define CONNECT_TIMEOUT_MS 10000

typedef struct {
  NavIceTcpTransport *owner;    /* unowned: it frees its connections */
  NavAddress remote;
  NavNetStream *stream;         /* RFC 4571 frames */
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
  NavNetStream *stream;         /* connecting */
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

  NavNetListener *listener;     /* passive and simultaneous-open */

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

  if (c->stream != NULL)
    {
      /* No callback after close. */
      nav_net_stream_close (c->stream);
      nav_net_stream_unref (c->stream);
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
connection_frame (NavNetStream *stream,
                  const guint8 *data,
                  gsize         len,
                  gpointer      user_data)
{
  Connection *c = user_data;

  if (len > 0 && data[0] >= 4 && !g_atomic_int_get (&c->trusted))
    {
      g_debug ("ICE-TCP: %" G_GSIZE_FORMAT " bytes of data before any check dropped", len);
      return;
    }
  nav_transport_deliver (NAV_TRANSPORT (c->owner), data, len, &c->remote);
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

/* The connection closed by itself (the peer, an error, a connect that
 * failed): it is forgotten. */
static void
connection_closed (NavNetStream *stream,
                   const GError *error,
                   gpointer      user_data)
{
  Connection *c = user_data;
  NavIceTcpTransport *self = c->owner;
  gchar buf[NAV_ADDRESS_STRING_LEN];
  guint index;

  g_mutex_lock (&self->lock);
  if (!g_ptr_array_find (self->connections, c, &index))
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  g_ptr_array_steal_index (self->connections, index);
  if (self->protocol == NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE)
    {
      /* Bounded: a failure nobody asks about is forgotten eventually. */
      if (self->failed->len >= MAX_CONNECTIONS)
        g_array_remove_index (self->failed, 0);
      g_array_append_val (self->failed, c->remote);
    }
  g_mutex_unlock (&self->lock);

  g_debug ("ICE-TCP %s connection with %s closed: %s",
           nav_candidate_transport_to_string (self->protocol),
           nav_address_to_string_buf (&c->remote, buf), error->message);
  /* The stream holds itself through this callback. */
  connection_free (c);
}

static const NavNetStreamFuncs connection_funcs = {
  connection_frame, NULL, NULL, connection_closed, NULL, NULL,
};

static void
apply_tos (NavIceTcpTransport *self,
           int                 fd,
           GSocketFamily       family)
{
  gint tos = self->tos;

  if (tos >= 0 && fd >= 0)
    nav_net_socket_set_tos (fd, family == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET, tos);
}

/* Takes @stream over; called with the lock held. */
static Connection *
add_connection (NavIceTcpTransport *self,
                NavNetStream       *stream,
                const NavAddress   *remote,
                gboolean            outgoing)
{
  Connection *c = g_new0 (Connection, 1);

  c->owner = self;
  c->remote = *remote;
  c->stream = stream;
  /* A connection we opened goes to an address the peer signalled. */
  c->trusted = outgoing;
  nav_net_stream_set_funcs (stream, &connection_funcs, c);
  apply_tos (self, nav_net_stream_get_fd (stream), nav_address_get_family (remote));
  g_ptr_array_add (self->connections, c);
  return c;
}

/* ---------------------------------------------------------------- passive */

static void
on_incoming (NavNetListener   *listener,
             int               fd,
             const NavAddress *remote,
             gpointer          user_data)
{
  NavIceTcpTransport *self = user_data;
  NavNetStream *stream;
  Connection *old = NULL;
  gchar buf[NAV_ADDRESS_STRING_LEN];

  stream = nav_net_stream_new (self->context, fd, NULL, NULL, NAV_NET_FRAMING_RFC4571,
                               &connection_funcs, NULL, TRUE);
  g_mutex_lock (&self->lock);
  if (self->closed)
    {
      g_mutex_unlock (&self->lock);
      nav_net_stream_close (stream);
      nav_net_stream_unref (stream);
      return;
    }
  /* The same peer address again (it reconnected) replaces the old
   * connection; beyond the bound, the oldest goes. */
  old = find_connection (self, remote);
  if (old != NULL)
    {
      g_ptr_array_remove_fast (self->connections, old);
      connection_free (old);
    }
  else if (self->connections->len >= MAX_CONNECTIONS)
    {
      old = g_ptr_array_steal_index (self->connections, 0);
      connection_free (old);
    }
  add_connection (self, stream, remote, FALSE);
  g_mutex_unlock (&self->lock);
  nav_net_stream_resume (stream);
  g_debug ("ICE-TCP %s: accepted a connection from %s",
           nav_candidate_transport_to_string (self->protocol),
           nav_address_to_string_buf (remote, buf));
}

/* The listener of a candidate.  That of an S-O candidate and the sockets
 * that connect from its port share that port, all with SO_REUSEADDR and
 * SO_REUSEPORT (Linux allows it between sockets that all set
 * SO_REUSEPORT, of one user). */
static NavNetListener *
listen_on (NavIceTcpTransport  *self,
           const NavAddress    *address,
           guint                port,
           gboolean             reuse,
           GError             **error)
{
  NavAddress bind_to = *address;
  int fd, errsv = 0;

  nav_address_set_port (&bind_to, port);
  fd = nav_net_socket_open (&bind_to, SOCK_STREAM,
                            reuse ? NAV_NET_SOCKET_REUSEADDR | NAV_NET_SOCKET_REUSEPORT : 0,
                            0, NULL, &errsv);
  if (fd < 0)
    {
      gchar buf[NAV_ADDRESS_STRING_LEN];

      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_BIND_FAILED,
                   _("Could not bind %s: %s"), nav_address_to_string_buf (&bind_to, buf),
                   g_strerror (errsv));
      return NULL;
    }
  return nav_net_listener_new_from_fd (self->context, fd, 16, on_incoming, self,
                                       "ICE-TCP", error);
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
  gboolean reuse = protocol == NAV_CANDIDATE_TRANSPORT_TCP_SO;

  g_return_val_if_fail (address != NULL, NULL);

  self = g_object_new (NAV_TYPE_ICE_TCP_TRANSPORT, "context", context, NULL);
  self->protocol = protocol;
  if (max_port == 0)
    self->listener = listen_on (self, address, 0, reuse, error);
  else
    {
      /* The range as the UDP candidates use it: from a random port,
       * wrapping around. */
      guint lo = MAX (min_port, 1), hi = MAX (max_port, lo);
      guint span = hi - lo + 1;
      guint start = g_random_int_range (0, (gint32) span);

      for (guint i = 0; i < span && self->listener == NULL; i++)
        {
          g_autoptr (GError) local_error = NULL;

          self->listener = listen_on (self, address, lo + (start + i) % span, reuse, &local_error);
          if (self->listener == NULL && i + 1 == span)
            g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NO_PORT_AVAILABLE,
                         _("No port of %u–%u is free for a TCP listener"), lo, hi);
        }
    }
  if (self->listener == NULL)
    return NULL;
  self->local_address = *nav_net_listener_get_address (self->listener);
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
static NavNetStream *
ensure_outgoing (NavIceTcpTransport  *self,
                 const NavAddress    *to,
                 GError             **error)
{
  NavNetStream *stream;

  /* A connection only goes to the peer's family (and never to "any"). */
  if (nav_address_get_family (to) != nav_address_get_family (&self->local_address) ||
      nav_address_is_any (to) || nav_address_get_port (to) == 0)
    {
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_ADDRESS_FAMILY,
                   _("An ICE-TCP candidate cannot connect to this address"));
      return NULL;
    }
  /* An active candidate connects from its own address (RFC 6544 §4.5);
   * what is sent meanwhile waits in the stream. */
  stream = nav_net_stream_connect (self->context, to, &self->local_address, CONNECT_TIMEOUT_MS,
                                   NAV_NET_FRAMING_RFC4571, &connection_funcs, NULL, error);
  if (stream == NULL)
    return NULL;
  add_connection (self, stream, to, TRUE);
  return stream;
}

/* ------------------------------------------------------ simultaneous-open */

static void
pending_free (gpointer data)
{
  Pending *p = data;

  if (p->stream != NULL)
    {
      nav_net_stream_close (p->stream);
      nav_net_stream_unref (p->stream);
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

/* The connect of @p is done: the connection carries what waited. */
static void
so_connected (NavNetStream *stream,
              gpointer      user_data)
{
  Pending *p = user_data;
  NavIceTcpTransport *self = g_object_ref (p->owner);
  g_autoptr (GPtrArray) queue = NULL;
  NavNetStream *taken = NULL;
  gchar buf[NAV_ADDRESS_STRING_LEN];
  guint index;

  g_mutex_lock (&self->lock);
  /* Taken out of the list: from here on it is this function's. */
  if (g_ptr_array_find (self->pending, p, &index))
    g_ptr_array_steal_index_fast (self->pending, index);
  if (self->closed || find_connection (self, &p->remote) != NULL)
    {
      /* Closed meanwhile, or (in theory: the kernel keeps one connection
       * per 4-tuple) the peer's came in first. */
      g_mutex_unlock (&self->lock);
      pending_free (p);
      g_object_unref (self);
      return;
    }
  {
    Connection *c;

    taken = g_steal_pointer (&p->stream);
    c = add_connection (self, taken, &p->remote, TRUE);
    memcpy (c->requests, p->requests, sizeof c->requests);
    c->n_requests = p->n_requests;
    queue = g_steal_pointer (&p->queue);
    p->queue = g_ptr_array_new ();
  }
  g_mutex_unlock (&self->lock);

  g_debug ("ICE-TCP so: connected to %s", nav_address_to_string_buf (&p->remote, buf));
  for (guint i = 0; i < queue->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (g_ptr_array_index (queue, i), &len);

      if (!nav_net_stream_write_frame (taken, data, len))
        g_debug ("ICE-TCP so: queued message not sent");
    }
  pending_free (p);
  g_object_unref (self);
}

/* Refused (no S-O port there yet), reset or unreachable: the next send,
 * the check's retransmission, connects again. */
static void
so_connect_failed (NavNetStream *stream,
                   const GError *error,
                   gpointer      user_data)
{
  Pending *p = user_data;
  NavIceTcpTransport *self = p->owner;
  gchar buf[NAV_ADDRESS_STRING_LEN];
  guint index;

  g_debug ("ICE-TCP so: connecting to %s failed: %s",
           nav_address_to_string_buf (&p->remote, buf), error->message);
  g_mutex_lock (&self->lock);
  if (g_ptr_array_find (self->pending, p, &index))
    g_ptr_array_steal_index_fast (self->pending, index);
  else
    p = NULL;
  g_mutex_unlock (&self->lock);
  if (p != NULL)
    pending_free (p);
}

static const NavNetStreamFuncs so_connect_funcs = {
  connection_frame, NULL, so_connected, so_connect_failed, NULL, NULL,
};

/* Called with the lock held: a connect from the candidate's own port to
 * @to, holding @data until it is established. */
static gboolean
so_connect (NavIceTcpTransport  *self,
            const NavAddress    *to,
            const guint8        *data,
            gsize                len,
            GError             **error)
{
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
      int errsv = 0;
      int fd = nav_net_socket_open (&self->local_address, SOCK_STREAM,
                                    NAV_NET_SOCKET_REUSEADDR | NAV_NET_SOCKET_REUSEPORT, 0,
                                    NULL, &errsv);

      if (fd < 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       _("Cannot bind a simultaneous-open socket: %s"), g_strerror (errsv));
          return FALSE;
        }
      apply_tos (self, fd, nav_address_get_family (to));
      p = g_new0 (Pending, 1);
      p->owner = self;
      p->remote = *to;
      p->started = g_get_monotonic_time ();
      p->queue = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      /* No timeout of its own: a stale one is replaced (above), the
       * check's transaction bounds the rest. */
      p->stream = nav_net_stream_connect_fd (self->context, fd, to, 0, NAV_NET_FRAMING_RFC4571,
                                             &so_connect_funcs, p, NULL);
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
  NavNetStream *stream = NULL;
  Connection *c;
  gboolean ok;

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
      stream = nav_net_stream_ref (c->stream);
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
      stream = ensure_outgoing (self, to, error);
      if (stream != NULL)
        {
          const guint8 *tid = stun_request_id (data, len);

          c = find_connection (self, to);
          if (tid != NULL && c != NULL)
            already_sent (c, tid);
          nav_net_stream_ref (stream);
        }
    }
  else if (self->protocol == NAV_CANDIDATE_TRANSPORT_TCP_SO)
    {
      gboolean queued = so_connect (self, to, data, len, error);

      g_mutex_unlock (&self->lock);
      return queued;
    }
  else
    g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NOT_CONNECTED,
                 _("No TCP connection from this peer"));
  g_mutex_unlock (&self->lock);

  if (stream == NULL)
    return FALSE;
  if (len > 65535)
    {
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_MESSAGE_TOO_LARGE,
                   _("A message of %lu bytes does not fit in an RFC 4571 frame (at most %u bytes)"),
                   (gulong) len, 65535u);
      nav_net_stream_unref (stream);
      return FALSE;
    }
  ok = nav_net_stream_write_frame (stream, data, len);
  if (!ok)
    g_set_error (error, NAV_TRANSPORT_ERROR,
                 nav_net_stream_is_closed (stream) ? NAV_TRANSPORT_ERROR_CLOSED
                                                   : NAV_TRANSPORT_ERROR_WOULD_BLOCK,
                 nav_net_stream_is_closed (stream) ? _("The TCP transport is closed")
                                                   : _("The TCP transport already has too many bytes waiting to be sent"));
  nav_net_stream_unref (stream);
  return ok;
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

  g_clear_pointer (&self->listener, nav_net_listener_free);
  /* connection_free() closes each one, and no callback follows a close,
   * so none points back here afterwards. */
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

  g_mutex_lock (&self->lock);
  if (self->listener != NULL)
    g_ptr_array_add (sockets, g_object_ref (nav_net_listener_get_socket (self->listener)));
  for (guint i = 0; i < self->connections->len; i++)
    {
      Connection *c = g_ptr_array_index (self->connections, i);
      GSocket *socket = c->stream != NULL ? nav_net_stream_get_socket (c->stream) : NULL;

      if (socket != NULL)
        g_ptr_array_add (sockets, g_object_ref (socket));
    }
  for (guint i = 0; i < self->pending->len; i++)
    {
      Pending *p = g_ptr_array_index (self->pending, i);
      GSocket *socket = p->stream != NULL ? nav_net_stream_get_socket (p->stream) : NULL;

      if (socket != NULL)
        g_ptr_array_add (sockets, g_object_ref (socket));
    }
  g_mutex_unlock (&self->lock);
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

  if (family == G_SOCKET_FAMILY_IPV4 || family == G_SOCKET_FAMILY_IPV6)
    nav_net_socket_set_tos (g_socket_get_fd (socket),
                            family == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET, tos);
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
