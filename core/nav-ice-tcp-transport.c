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

#include "nav-ice-tcp-private.h"

/* Accepted connections kept per passive candidate: a peer cannot make a
 * passive candidate hold an unbounded number of sockets.  The oldest goes
 * first. */
#define MAX_CONNECTIONS 64

/* Checks in flight on one connection that a retransmission is recognised
 * among (see nav_ice_tcp_transport_send()). */
#define RECENT_REQUESTS 8

typedef struct {
  NavIceTcpTransport *owner;    /* unowned: it frees its connections */
  NavAddress remote;
  NavTransport *child;          /* NULL once closed */
  gulong closed_id;
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
  gboolean closed;
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
static Connection *
add_connection (NavIceTcpTransport *self,
                NavTransport       *child,
                const NavAddress   *remote)
{
  Connection *c = g_new0 (Connection, 1);

  c->owner = self;
  c->remote = *remote;
  c->child = child;
  /* A connection we opened goes to an address the peer signalled. */
  c->trusted = self->protocol != NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE;
  nav_transport_set_receive_func (child, child_receive, c, NULL);
  c->closed_id = g_signal_connect (child, "closed", G_CALLBACK (child_closed), self);
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
      add_connection (self, NAV_TRANSPORT (child), &remote);
      g_mutex_unlock (&self->lock);
      {
        gchar buf[NAV_ADDRESS_STRING_LEN];

        g_debug ("ICE-TCP passive: accepted a connection from %s",
                 nav_address_to_string_buf (&remote, buf));
      }
    }
  return G_SOURCE_CONTINUE;
}

static GSocket *
listen_on (const NavAddress  *address,
           guint              port,
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
  if (!g_socket_bind (socket, where, FALSE, error))
    return NULL;
  g_socket_set_listen_backlog (socket, 16);
  if (!g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

NavIceTcpTransport *
nav_ice_tcp_transport_new_passive (GMainContext      *context,
                                   const NavAddress  *address,
                                   guint              min_port,
                                   guint              max_port,
                                   GError           **error)
{
  g_autoptr (NavIceTcpTransport) self = NULL;
  g_autoptr (GSocketAddress) bound = NULL;
  GSocket *listener = NULL;

  g_return_val_if_fail (address != NULL, NULL);

  if (max_port == 0)
    listener = listen_on (address, 0, error);
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

          listener = listen_on (address, lo + (start + i) % span, &local_error);
          if (listener == NULL && i + 1 == span)
            g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NO_PORT_AVAILABLE,
                         _("No port of %u–%u is free for a TCP listener"), lo, hi);
        }
    }
  if (listener == NULL)
    return NULL;

  self = g_object_new (NAV_TYPE_ICE_TCP_TRANSPORT, "context", context, NULL);
  self->protocol = NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE;
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
  add_connection (self, NAV_TRANSPORT (child), to);
  return NAV_TRANSPORT (child);
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
  gboolean was_closed;

  g_mutex_lock (&self->lock);
  was_closed = self->closed;
  self->closed = TRUE;
  connections = g_steal_pointer (&self->connections);
  self->connections = g_ptr_array_new_with_free_func (connection_free);
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

static void
nav_ice_tcp_transport_transport_init (NavTransportInterface *iface)
{
  iface->send = nav_ice_tcp_transport_send;
  iface->get_local_address = nav_ice_tcp_transport_get_local_address;
  iface->get_protocol = nav_ice_tcp_transport_get_protocol;
  iface->is_reliable = nav_ice_tcp_transport_is_reliable;
  iface->close = nav_ice_tcp_transport_close;
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
}
