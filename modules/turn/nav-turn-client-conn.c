/* nav-turn-client-conn.c: the TURN client's connections to its server
 * (UDP, TCP, TLS over core/net) and what arrives on them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-turn-client-private.h"
#include "nav-net-tls.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <glib/gi18n-lib.h>

#define UDP_SOCKET_BUFFER (1024 * 1024)
/* Datagrams read at once; a relayed datagram may be as large as UDP
 * allows. */
#define UDP_BATCH 8
#define UDP_RECV_SIZE 65536
/* Bytes that may wait to be written to the server. */
#define MAX_WRITE_QUEUE (8 * 1024 * 1024)

/* Connections alive in the process, for tests that must not end while one
 * is still open. */
static gint live_connections;

guint
nav_turn_client_get_live_connections (void)
{
  return g_atomic_int_get (&live_connections);
}

Conn *
nav_turn_client_conn_ref (Conn *conn)
{
  conn->ref_count++;
  return conn;
}

void
nav_turn_client_conn_unref (Conn *conn)
{
  if (conn == NULL || --conn->ref_count > 0)
    return;
  g_atomic_int_add (&live_connections, -1);
  g_assert (conn->source == NULL);
  g_clear_object (&conn->socket);
  if (conn->stream != NULL)
    nav_net_stream_unref (conn->stream);
  g_free (conn);
}

void
nav_turn_client_conn_close (Conn *conn)
{
  if (conn->dead)
    return;
  conn->dead = TRUE;
  nav_net_source_clear (&conn->source);
  if (conn->stream != NULL)
    nav_net_stream_close (conn->stream);
  if (conn->socket != NULL)
    g_socket_close (conn->socket, NULL);
  conn->client = NULL;
}

/* The connection failed or the server closed it. */
static void
conn_lost (Conn         *conn,
           const GError *error)
{
  NavTurnClient *self = conn->client;

  if (conn->dead || self == NULL)
    return;
  g_debug ("event=turn-connection-lost control=%d error=\"%s\"", conn->control,
           error != NULL ? error->message : "closed");
  if (!conn->up && conn->ready != NULL)
    {
      ConnReadyFunc ready = conn->ready;

      conn->ready = NULL;
      nav_turn_client_conn_ref (conn);
      ready (conn, error, conn->ready_data);
      nav_turn_client_conn_close (conn);
      nav_turn_client_conn_unref (conn);
      return;
    }
  nav_turn_client_conn_ref (conn);
  /* Failing a request may drop the last reference to the client (the
   * task of a close_async() waiting for its Refresh holds it). */
  g_object_ref (self);
  nav_turn_fail_requests_on (self, conn, error);
  if (conn->control)
    nav_turn_client_fail (self, error);
  else if (conn->raw)
    {
      Peer *peer = nav_turn_peer_lookup (self, &conn->peer);

      if (peer != NULL && peer->data_conn == conn)
        {
          peer->data_conn = NULL;
          nav_turn_client_conn_close (conn);
          nav_turn_client_conn_unref (conn);
        }
    }
  nav_turn_client_conn_close (conn);
  nav_turn_client_conn_unref (conn);
  g_object_unref (self);
}

/* ---------------------------------------------------------------- UDP */

static void
udp_datagram (const NavNetDatagram *d,
              gpointer              user_data)
{
  Conn *conn = user_data;

  if (!d->truncated)
    nav_turn_client_handle_frame (conn->client, conn, d->data, d->len);
}

static gboolean
udp_stopped (gpointer user_data)
{
  return ((Conn *) user_data)->dead;
}

/* The socket is connected: an ICMP unreachable comes back here. */
static void
udp_icmp_error (int      errsv,
                gpointer user_data)
{
  Conn *conn = user_data;
  g_autoptr (GError) e =
    g_error_new (NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_UNREACHABLE,
                 _("The TURN server is unreachable: %s"), g_strerror (errsv));

  conn_lost (conn, e);
}

static const NavNetUdpFuncs udp_funcs = {
  udp_datagram, NULL, udp_stopped, udp_icmp_error,
};

static gboolean
udp_readable (gint         fd,
              GIOCondition condition,
              gpointer     user_data)
{
  Conn *conn = user_data;
  NavTurnClient *self = conn->client;

  if (self == NULL)
    return G_SOURCE_CONTINUE;
  nav_turn_client_conn_ref (conn);
  g_object_ref (self);
  if (self->reader == NULL)
    {
      NavNetUdpConfig config = { UDP_BATCH, UDP_RECV_SIZE, 0, 8 };

      self->reader = nav_net_udp_reader_new (&config);
    }
  nav_net_udp_reader_drain (self->reader, fd, &udp_funcs, conn);
  g_object_unref (self);
  nav_turn_client_conn_unref (conn);
  return G_SOURCE_CONTINUE;
}

static gboolean
udp_open (NavTurnClient  *self,
          Conn           *conn,
          GError        **error)
{
  g_autoptr (GSocketAddress) server = nav_address_to_socket_address (&self->cfg.server);
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GInetAddress) any = NULL;
  g_autoptr (GSocketAddress) bind_addr = NULL;
  GSocketFamily family = nav_address_get_family (&self->cfg.server);

  conn->socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (conn->socket == NULL)
    return FALSE;
  g_socket_set_blocking (conn->socket, FALSE);
  /* Everything relayed for every peer arrives on this one socket: the
   * default buffer (about 200 KiB on Linux) holds only some 150 datagrams,
   * fewer than a burst from one peer or a queue flushed at once when a
   * permission arrives.  As large as the server's relay sockets; the
   * kernel caps it at net.core.rmem_max / wmem_max. */
  g_socket_set_option (conn->socket, SOL_SOCKET, SO_RCVBUF, UDP_SOCKET_BUFFER, NULL);
  g_socket_set_option (conn->socket, SOL_SOCKET, SO_SNDBUF, UDP_SOCKET_BUFFER, NULL);
  any = g_inet_address_new_any (family);
  bind_addr = g_inet_socket_address_new (any, 0);
  if (!g_socket_bind (conn->socket, bind_addr, FALSE, error) ||
      !g_socket_connect (conn->socket, server, NULL, error))
    return FALSE;
  local = g_socket_get_local_address (conn->socket, error);
  if (local == NULL || !nav_address_set_from_socket_address (&conn->local, local, error))
    return FALSE;
  conn->source = nav_net_udp_source_new (g_socket_get_fd (conn->socket), self->context,
                                         G_SOURCE_FUNC (udp_readable), conn, "[nav-turn] udp");
  conn->up = TRUE;
  return TRUE;
}

/* -------------------------------------------------------- TCP and TLS */

/* STUN messages and padded ChannelData share the stream (RFC 8656
 * §12.5); once an RFC 6062 data connection is bound, the peer's bytes. */
static void
stream_frame (NavNetStream *stream,
              const guint8 *data,
              gsize         len,
              gpointer      user_data)
{
  Conn *conn = user_data;
  NavTurnClient *self = conn->client;

  if (self == NULL)
    return;
  if (conn->raw)
    {
      nav_turn_deliver (self, data, len, &conn->peer);
      return;
    }
  conn->resyncing = FALSE;
  nav_turn_client_handle_frame (self, conn, data, len);
}

/* Not a frame: skip a byte at a time to the next plausible one, counting
 * the run once. */
static gboolean
stream_garbage (NavNetStream *stream,
                gpointer      user_data)
{
  Conn *conn = user_data;

  if (!conn->resyncing && conn->client != NULL)
    conn->client->garbage++;
  conn->resyncing = TRUE;
  return TRUE;
}

static void
stream_connected (NavNetStream *stream,
                  gpointer      user_data)
{
  Conn *conn = user_data;
  ConnReadyFunc ready = conn->ready;

  conn->up = TRUE;
  conn->ready = NULL;
  conn->local = *nav_net_stream_get_local (stream);
  if (ready != NULL)
    ready (conn, NULL, conn->ready_data);
}

static GError *
connect_error (Conn         *conn,
               const GError *error)
{
  NavTurnClient *self = conn->client;
  gchar buf[NAV_ADDRESS_STRING_LEN];

  nav_address_to_string_buf (&self->cfg.server, buf);
  if (g_error_matches (error, NAV_ERROR, NAV_ERROR_TIMED_OUT))
    return g_error_new (NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_TIMED_OUT,
                        _("Cannot connect to the TURN server %s over %s within %u ms"),
                        buf, nav_stun_protocol_to_string (self->cfg.protocol),
                        self->cfg.connect_timeout_ms);
  if (error->domain == G_TLS_ERROR)
    return g_error_new (NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_TLS,
                        _("TLS with the TURN server %s failed: %s"), buf, error->message);
  return g_error_new (NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_UNREACHABLE,
                      _("Cannot connect to the TURN server %s over %s: %s"), buf,
                      nav_stun_protocol_to_string (self->cfg.protocol), error->message);
}

static void
stream_closed (NavNetStream *stream,
               const GError *error,
               gpointer      user_data)
{
  Conn *conn = user_data;
  g_autoptr (GError) e = NULL;

  if (conn->dead || conn->client == NULL)
    return;
  if (!conn->up)
    e = connect_error (conn, error);
  else
    e = g_error_new (NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_CLOSED,
                     _("The TURN server closed the connection: %s"), error->message);
  conn_lost (conn, e);
}

static const NavNetStreamFuncs stream_funcs = {
  stream_frame, stream_garbage, stream_connected, stream_closed, NULL,
};

/* RFC 6062 §4.3: from here on the connection carries the peer's bytes,
 * those that followed the ConnectionBind response included. */
void
nav_turn_client_conn_set_raw (Conn *conn)
{
  conn->raw = TRUE;
  if (conn->stream != NULL)
    nav_net_stream_set_framing (conn->stream, NAV_NET_FRAMING_RAW);
}

gboolean
nav_turn_client_conn_write (Conn    *conn,
                     GBytes  *bytes,
                     GError **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  if (conn->dead)
    {
      g_set_error_literal (error, NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_CLOSED,
                           _("The connection to the TURN server is closed"));
      return FALSE;
    }
  if (conn->udp)
    {
      if (send (g_socket_get_fd (conn->socket), data, len, MSG_DONTWAIT) < 0)
        {
          int errsv = errno;

          /* A full socket buffer loses the datagram, as the network
           * would; an ICMP error of an earlier datagram is the reader's
           * to report. */
          if (errsv == EAGAIN || errsv == EWOULDBLOCK || errsv == ENOBUFS ||
              nav_net_errno_is_icmp (errsv))
            return TRUE;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       _("Cannot send to the TURN server: %s"), g_strerror (errsv));
          return FALSE;
        }
      return TRUE;
    }
  if (!nav_net_stream_write (conn->stream, data, len))
    {
      g_set_error_literal (error, NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_QUEUE_FULL,
                           _("Too much data waits to be written to the TURN server"));
      return FALSE;
    }
  return TRUE;
}

/* Opens a connection to the server; @ready is called once, in the
 * client's context, unless the connection is closed first. */
Conn *
nav_turn_client_conn_open (NavTurnClient *self,
                    gboolean       control,
                    ConnReadyFunc  ready,
                    gpointer       ready_data)
{
  Conn *conn = g_new0 (Conn, 1);
  g_autoptr (GError) error = NULL;

  g_atomic_int_inc (&live_connections);
  conn->ref_count = 1;
  conn->client = self;
  conn->control = control;
  conn->udp = self->cfg.protocol == NAV_STUN_PROTOCOL_UDP;
  conn->ready = ready;
  conn->ready_data = ready_data;
  nav_address_init (&conn->local);

  if (conn->udp)
    {
      if (!udp_open (self, conn, &error))
        {
          nav_turn_client_conn_ref (conn);
          conn_lost (conn, error);
          nav_turn_client_conn_unref (conn);
          return conn;
        }
      conn->ready = NULL;
      ready (conn, NULL, ready_data);
      return conn;
    }

  /* The connect timeout bounds the TCP connect and the TLS handshake:
   * gathering must never hang on a dead server. */
  conn->stream = nav_net_stream_connect (self->context, &self->cfg.server, NULL,
                                         MAX (self->cfg.connect_timeout_ms, 1),
                                         NAV_NET_FRAMING_TURN, &stream_funcs, conn, &error);
  if (conn->stream == NULL)
    {
      g_autoptr (GError) e = connect_error (conn, error);

      nav_turn_client_conn_ref (conn);
      conn_lost (conn, e);
      nav_turn_client_conn_unref (conn);
      return conn;
    }
  nav_net_stream_set_max_queued (conn->stream, MAX_WRITE_QUEUE);
  if (self->cfg.protocol == NAV_STUN_PROTOCOL_TLS)
    nav_net_tls_client_attach (conn->stream, self->cfg.server_name, self->cfg.tls_ca_file,
                               self->cfg.tls_insecure);
  return conn;
}

void
nav_turn_client_conn_add_socket (GPtrArray *sockets,
                          Conn      *conn)
{
  GSocket *socket = NULL;

  if (conn == NULL || conn->dead)
    return;
  if (conn->socket != NULL)
    socket = conn->socket;
  else if (conn->stream != NULL && conn->up)
    socket = nav_net_stream_get_socket (conn->stream);
  if (socket != NULL && !g_ptr_array_find (sockets, socket, NULL))
    g_ptr_array_add (sockets, g_object_ref (socket));
}

/* For tests: bytes as if read from the server connection. */
void
nav_turn_client_feed_stream (NavTurnClient *self,
                             const guint8  *data,
                             gsize          length)
{
  g_return_if_fail (NAV_IS_TURN_CLIENT (self));

  if (self->control == NULL)
    {
      Conn *conn = g_new0 (Conn, 1);

      g_atomic_int_inc (&live_connections);
      conn->ref_count = 1;
      conn->client = self;
      conn->control = TRUE;
      conn->up = TRUE;
      conn->stream = nav_net_stream_new_detached (self->context, NAV_NET_FRAMING_TURN,
                                                  &stream_funcs, conn);
      self->control = conn;
    }
  nav_net_stream_feed (self->control->stream, data, length);
}
