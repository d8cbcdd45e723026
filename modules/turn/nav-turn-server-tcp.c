/* nav-turn-server-tcp.c: the TURN server's TCP and TLS connections, of
 * clients (RFC 8656 §3.1 framing, §12.5 padding) and of peers to TCP
 * relays (RFC 6062)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-turn-server-private.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

/* ------------------------------------------------------- connections */

void
nav_turn_conn_free (Conn *conn)
{
  if (conn->stream != NULL)
    nav_net_stream_unref (conn->stream);
  g_free (conn);
}

void
nav_turn_conn_close (Conn *conn)
{
  NavTurnServer *self = conn->server;

  if (conn->closed)
    return;
  conn->closed = TRUE;
  g_hash_table_remove (self->conns, conn);
  if (conn->kind == CONN_CLIENT)
    self->n_client_conns--;
  /* Closing the socket underneath: a TLS close_notify to a peer that may
   * not read it must not block anything. */
  nav_net_stream_close (conn->stream);
  /* RFC 6062 §4: the allocation lives as long as its control connection */
  if (conn->alloc != NULL)
    nav_turn_allocation_destroy (conn->alloc, "connection-closed");
  if (conn->partner != NULL)
    {
      Conn *partner = conn->partner;

      conn->partner = NULL;
      partner->partner = NULL;
      nav_turn_conn_close (partner);
    }
  if (conn->relay != NULL)
    {
      TcpRelay *relay = conn->relay;

      if (relay->peer_conn == conn)
        relay->peer_conn = NULL;
      if (relay->data_conn == conn)
        relay->data_conn = NULL;
      conn->relay = NULL;
      nav_turn_tcp_relay_destroy (relay);
    }
  g_ptr_array_add (self->dead_conns, conn);
  nav_turn_schedule_reap (self);
}

void
nav_turn_conn_flush (Conn *conn)
{
  if (!conn->closed)
    nav_net_stream_flush (conn->stream);
}

/* Appends to what @conn has to write, without writing; FALSE when
 * dropped. */
gboolean
nav_turn_conn_queue (Conn         *conn,
                     const guint8 *data,
                     gsize         len)
{
  if (conn->closed)
    return FALSE;
  if (!nav_net_stream_queue (conn->stream, data, len))
    {
      /* the client does not keep up: drop, as a UDP path would */
      COUNT (CONTROL (conn->server), dropped_congested);
      return FALSE;
    }
  return TRUE;
}

void
nav_turn_conn_write (Conn         *conn,
                     const guint8 *data,
                     gsize         len)
{
  if (conn->closed)
    return;
  if (!nav_net_stream_write (conn->stream, data, len))
    COUNT (CONTROL (conn->server), dropped_congested);
}

/* A client's frames: STUN messages and padded ChannelData (RFC 8656
 * §12.5); a bound RFC 6062 connection's bytes, the peer's. */
static void
conn_frame (NavNetStream *stream,
            const guint8 *data,
            gsize         len,
            gpointer      user_data)
{
  Conn *conn = user_data;
  NavTurnServer *self = conn->server;

  if (conn->closed)
    return;
  if (conn->piped)
    {
      if (conn->partner == NULL)
        return;
      nav_turn_conn_write (conn->partner, data, len);
      if (conn->kind == CONN_PEER)
        {
          COUNT_N (CONTROL (self), bytes_from_peer, len);
          COUNT (CONTROL (self), packets_from_peer);
        }
      else
        {
          COUNT_N (CONTROL (self), bytes_to_peer, len);
          COUNT (CONTROL (self), packets_to_peer);
        }
      /* The partner does not read as fast: stop reading until it does. */
      if (conn->partner != NULL &&
          nav_net_stream_get_queued (conn->partner->stream) > NAV_TURN_PIPE_HIGH)
        nav_net_stream_pause (stream);
      return;
    }

  COUNT (CONTROL (self), received);
  if ((data[0] & 0xC0) == 0x40)
    {
      nav_turn_handle_channel_data (CONTROL (self), nav_turn_now (), conn->alloc, data, len);
      return;
    }
  {
    Request r = { 0 };
    guint8 out[1024];
    gsize resp;

    r.self = self;
    r.w = CONTROL (self);
    r.conn = conn;
    r.from = &conn->remote;
    r.local = &conn->local;
    r.alloc = conn->alloc;
    r.req = data;
    r.req_len = len;
    r.out = out;
    r.out_size = sizeof out;
    resp = nav_turn_handle_stun (&r);
    nav_turn_request_clear (&r);
    if (resp > 0)
      {
        COUNT (CONTROL (self), answered);
        nav_turn_conn_write (conn, out, resp);
      }
  }
}

/* The payloads queued for peers point into the stream's buffer, about to
 * move. */
static void
conn_frames_done (NavNetStream *stream,
                  gpointer      user_data)
{
  nav_turn_peer_flush (CONTROL (((Conn *) user_data)->server));
}

/* Not TURN: a stream cannot resynchronise. */
static gboolean
conn_garbage (NavNetStream *stream,
              gpointer      user_data)
{
  Conn *conn = user_data;

  COUNT (CONTROL (conn->server), dropped_not_stun);
  return FALSE;
}

static void
conn_closed (NavNetStream *stream,
             const GError *error,
             gpointer      user_data)
{
  Conn *conn = user_data;

  nav_turn_peer_flush (CONTROL (conn->server));
  nav_turn_conn_close (conn);
}

/* Everything queued left: a partner paused for our sake reads again. */
static void
conn_drained (NavNetStream *stream,
              gpointer      user_data)
{
  Conn *conn = user_data;

  if (conn->partner != NULL && nav_net_stream_is_paused (conn->partner->stream))
    nav_net_stream_resume (conn->partner->stream);
}

static const NavNetStreamFuncs conn_funcs = {
  conn_frame, conn_garbage, NULL, conn_closed, conn_drained, conn_frames_done,
};

static Conn *
conn_new (NavTurnServer        *self,
          ConnKind              kind,
          int                   fd,
          const NavNetStreamIo *io_funcs,
          gpointer              io,
          gboolean              start_reading)
{
  Conn *conn = g_new0 (Conn, 1);

  conn->server = self;
  conn->kind = kind;
  conn->tls = io_funcs != NULL;
  conn->stream = nav_net_stream_new (self->context, fd, io_funcs, io, NAV_NET_FRAMING_TURN_SERVER,
                                     &conn_funcs, conn, !start_reading);
  nav_net_stream_set_max_queued (conn->stream, NAV_TURN_CONN_WRITE_MAX);
  conn->remote = *nav_net_stream_get_remote (conn->stream);
  conn->local = *nav_net_stream_get_local (conn->stream);
  g_hash_table_add (self->conns, conn);
  if (kind == CONN_CLIENT)
    self->n_client_conns++;
  return conn;
}

/* RFC 6062 §5.4: from here on the connection carries raw bytes, those
 * after the ConnectionBind in the same read included. */
static void
conn_pipe (Conn *conn,
           Conn *partner)
{
  conn->piped = TRUE;
  conn->partner = partner;
  /* A pipe is bounded by pausing the writer (NAV_TURN_PIPE_HIGH), not by
   * dropping: the bytes of a stream cannot be lost. */
  nav_net_stream_set_max_queued (conn->stream, G_MAXSIZE);
  nav_net_stream_set_framing (conn->stream, NAV_NET_FRAMING_RAW);
}

/* A client connection beyond max-tcp-connections is closed at once. */
static gboolean
client_slot (NavTurnServer *self,
             int            fd)
{
  if (self->n_client_conns >= self->effective_max_tcp)
    {
      COUNT (CONTROL (self), tcp_rejected);
      close (fd);
      return FALSE;
    }
  return TRUE;
}

void
nav_turn_conn_accepted (NavNetListener   *listener,
                        int               fd,
                        const NavAddress *remote,
                        gpointer          user_data)
{
  Listener *l = user_data;
  NavTurnServer *self = l->server;

  if (!client_slot (self, fd))
    return;
  self->trim_pending = TRUE;
  if (l->kind == LISTENER_TLS)
    {
      COUNT (CONTROL (self), tls_accepted);
      /* the handshake runs in the TLS worker, bounded in number and time */
      nav_net_tls_server_accept (self->tls, fd, remote);
      return;
    }
  COUNT (CONTROL (self), tcp_accepted);
  conn_new (self, CONN_CLIENT, fd, NULL, NULL, TRUE);
}

void
nav_turn_tls_handshake_done (NavNetTlsServer      *tls,
                             int                   fd,
                             const NavNetStreamIo *io_funcs,
                             gpointer              io,
                             const NavAddress     *remote,
                             gpointer              user_data)
{
  NavTurnServer *self = user_data;

  if (self->n_client_conns >= self->effective_max_tcp)
    {
      COUNT (CONTROL (self), tcp_rejected);
      io_funcs->free (io);
      close (fd);
      return;
    }
  conn_new (self, CONN_CLIENT, fd, io_funcs, io, TRUE);
}

/* ------------------------------------------------------- RFC 6062 */

void
nav_turn_tcp_relay_destroy (TcpRelay *relay)
{
  NavTurnServer *self = relay->server;

  g_hash_table_remove (self->tcp_relays, GUINT_TO_POINTER (relay->id));
  if (relay->alloc != NULL)
    relay->alloc->tcp_relays = g_list_remove (relay->alloc->tcp_relays, relay);
  if (relay->connecting != NULL)
    {
      nav_net_stream_close (relay->connecting);
      g_clear_pointer (&relay->connecting, nav_net_stream_unref);
    }
  {
    /* detach first: closing one connection closes its partner */
    Conn *peer_conn = relay->peer_conn, *data_conn = relay->data_conn;

    relay->peer_conn = relay->data_conn = NULL;
    if (peer_conn != NULL)
      peer_conn->relay = NULL;
    if (data_conn != NULL)
      data_conn->relay = NULL;
    g_free (relay);
    if (peer_conn != NULL)
      nav_turn_conn_close (peer_conn);
    if (data_conn != NULL)
      nav_turn_conn_close (data_conn);
  }
}

static TcpRelay *
tcp_relay_new (Allocation       *alloc,
               const NavAddress *peer)
{
  NavTurnServer *self = alloc->server;
  TcpRelay *relay = g_new0 (TcpRelay, 1);

  relay->server = self;
  relay->alloc = alloc;
  relay->peer = *peer;
  relay->deadline = nav_turn_now () + NAV_TURN_TCP_RELAY_TIMEOUT;
  do
    relay->id = ++self->next_relay_id;
  while (relay->id == 0 || g_hash_table_contains (self->tcp_relays, GUINT_TO_POINTER (relay->id)));
  g_hash_table_insert (self->tcp_relays, GUINT_TO_POINTER (relay->id), relay);
  alloc->tcp_relays = g_list_prepend (alloc->tcp_relays, relay);
  return relay;
}

/* Sends the answer to a Connect request, signed with the allocation's key. */
void
nav_turn_tcp_relay_answer_connect (TcpRelay *relay,
                                   guint     code)
{
  Allocation *alloc = relay->alloc;
  NavTurnServer *self = relay->server;
  guint8 buf[256];
  NavStunMessageBuilder *b;
  gsize n;

  relay->connect_pending = FALSE;
  if (alloc == NULL || alloc->conn == NULL)
    return;
  b = nav_stun_message_builder_new_with_buffer (code == 0 ? NAV_STUN_CLASS_SUCCESS_RESPONSE
                                                          : NAV_STUN_CLASS_ERROR_RESPONSE,
                                                NAV_STUN_METHOD_CONNECT, relay->connect_txid,
                                                buf, sizeof buf);
  if (code == 0)
    nav_stun_message_builder_add_uint32 (b, NAV_STUN_ATTRIBUTE_CONNECTION_ID, relay->id, NULL);
  else
    {
      nav_turn_count_error (CONTROL (self), code);
      nav_stun_message_builder_add_error_code (b, code, nav_stun_error_code_get_reason (code), NULL);
    }
  if (alloc->auth_key_len > 0 && alloc->auth_sha256)
    nav_stun_message_builder_add_message_integrity_sha256 (b, alloc->auth_key, alloc->auth_key_len, 0, NULL);
  else if (alloc->auth_key_len > 0)
    nav_stun_message_builder_add_message_integrity (b, alloc->auth_key, alloc->auth_key_len, NULL);
  nav_stun_message_builder_add_fingerprint (b, NULL);
  n = nav_stun_message_builder_finish_to_buffer (b, NULL);
  nav_stun_message_builder_unref (b);
  if (n > 0)
    {
      COUNT (CONTROL (self), answered);
      nav_turn_conn_write (alloc->conn, buf, n);
    }
}

/* The connect to the peer (RFC 6062 §5.2) completed: the connection
 * waits, unread, for its data connection. */
static void
peer_connected (NavNetStream *stream,
                gpointer      user_data)
{
  TcpRelay *relay = user_data;
  NavTurnServer *self = relay->server;
  Conn *conn = g_new0 (Conn, 1);

  relay->connecting = NULL;
  conn->server = self;
  conn->kind = CONN_PEER;
  conn->stream = stream;        /* the relay's reference */
  nav_net_stream_set_funcs (stream, &conn_funcs, conn);
  nav_net_stream_pause (stream);
  nav_net_stream_set_max_queued (stream, NAV_TURN_CONN_WRITE_MAX);
  conn->remote = *nav_net_stream_get_remote (stream);
  conn->local = *nav_net_stream_get_local (stream);
  conn->relay = relay;
  g_hash_table_add (self->conns, conn);
  relay->peer_conn = conn;
  relay->deadline = nav_turn_now () + NAV_TURN_TCP_RELAY_TIMEOUT;
  nav_turn_tcp_relay_answer_connect (relay, 0);
}

/* The connect itself failed. */
static void
peer_connect_failed (NavNetStream *stream,
                     const GError *error,
                     gpointer      user_data)
{
  TcpRelay *relay = user_data;

  nav_turn_tcp_relay_answer_connect (relay, 447);
  nav_turn_tcp_relay_destroy (relay);
}

static void
no_frame (NavNetStream *stream,
          const guint8 *data,
          gsize         len,
          gpointer      user_data)
{
}

static const NavNetStreamFuncs peer_connect_funcs = {
  no_frame, NULL, peer_connected, peer_connect_failed, NULL, NULL,
};

/* RFC 6062 §5.2 */
gsize
nav_turn_handle_connect (Request *r)
{
  NavAddress peer, from;
  TcpRelay *relay;
  guint code;
  int fd;

  COUNT (r->w, connect_requests);
  if (r->alloc == NULL)
    return nav_turn_respond_error (r, 437);
  if (!r->alloc->tcp_relay ||
      !nav_stun_message_get_xor_address (r->msg, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, &peer, NULL))
    return nav_turn_respond_error (r, 400);
  if ((code = nav_turn_check_peer (r, &peer)) != 0)
    return nav_turn_respond_error (r, code);
  for (GList *l = r->alloc->tcp_relays; l != NULL; l = l->next)
    if (nav_address_equal (&((TcpRelay *) l->data)->peer, &peer))
      return nav_turn_respond_error (r, 446);

  /* From the relayed address itself (SO_REUSEPORT: its listener is on
   * the same port). */
  from = nav_turn_first_relay (r->alloc)->addr;
  fd = nav_turn_bind_socket (&from, SOCK_STREAM, nav_address_get_port (&from), TRUE);
  if (fd < 0)
    return nav_turn_respond_error (r, 447);
  nav_turn_permission_install (r->alloc, &peer, nav_turn_now ());
  relay = tcp_relay_new (r->alloc, &peer);
  relay->connect_pending = TRUE;
  memcpy (relay->connect_txid, r->req + 8, 12);
  /* bounded by the relay's deadline (RFC 6062 §5.2: 30 s), see sweep */
  relay->connecting = nav_net_stream_connect_fd (r->self->context, fd, &peer, 0,
                                                 NAV_NET_FRAMING_RAW, &peer_connect_funcs,
                                                 relay, NULL);
  if (relay->connecting == NULL)
    {
      relay->connect_pending = FALSE;
      nav_turn_tcp_relay_destroy (relay);
      return nav_turn_respond_error (r, 447);
    }
  return 0;                     /* answered when connected */
}

/* RFC 6062 §5.3: a peer connects to the relayed address */
static void
tcp_relay_incoming (NavNetListener   *listener,
                    int               fd,
                    const NavAddress *peer,
                    gpointer          user_data)
{
  Allocation *alloc = user_data;
  NavTurnServer *self = alloc->server;
  TcpRelay *relay;
  guint8 buf[128], txid[12];
  NavStunMessageBuilder *b;
  gsize n;

  if (alloc->dead || alloc->conn == NULL ||
      nav_turn_permission_lookup (alloc, peer, nav_turn_now ()) == NULL)
    {
      COUNT (CONTROL (self), dropped_no_permission);
      close (fd);
      return;
    }
  relay = tcp_relay_new (alloc, peer);
  relay->peer_conn = conn_new (self, CONN_PEER, fd, NULL, NULL, FALSE);
  relay->peer_conn->relay = relay;
  for (guint i = 0; i < 12; i++)
    txid[i] = g_random_int () & 0xFF;
  b = nav_stun_message_builder_new_with_buffer (NAV_STUN_CLASS_INDICATION,
                                                NAV_STUN_METHOD_CONNECTION_ATTEMPT,
                                                txid, buf, sizeof buf);
  nav_stun_message_builder_add_uint32 (b, NAV_STUN_ATTRIBUTE_CONNECTION_ID, relay->id, NULL);
  nav_stun_message_builder_add_xor_address (b, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, peer, NULL);
  nav_stun_message_builder_add_fingerprint (b, NULL);
  n = nav_stun_message_builder_finish_to_buffer (b, NULL);
  nav_stun_message_builder_unref (b);
  if (n > 0)
    nav_turn_conn_write (alloc->conn, buf, n);
}

void
nav_turn_tcp_relay_listen (Allocation *alloc,
                           int         fd)
{
  g_autoptr (GError) error = NULL;

  alloc->relay_listener = nav_net_listener_new_from_fd (alloc->server->context, fd, 64,
                                                        tcp_relay_incoming, alloc,
                                                        "TCP relay", &error);
  if (alloc->relay_listener == NULL)
    g_debug ("event=tcp-relay-listen-failed error=\"%s\"", error->message);
}

/* RFC 6062 §5.4: ConnectionBind on a new connection makes it the data
 * connection of a peer connection. */
gsize
nav_turn_handle_connection_bind (Request *r)
{
  TcpRelay *relay;
  guint32 id;
  gsize n;
  NavStunMessageBuilder *b;

  COUNT (r->w, connection_binds);
  if (r->conn == NULL || r->conn->alloc != NULL || r->conn->piped ||
      !nav_stun_message_get_uint32 (r->msg, NAV_STUN_ATTRIBUTE_CONNECTION_ID, &id, NULL))
    return nav_turn_respond_error (r, 400);
  relay = g_hash_table_lookup (r->self->tcp_relays, GUINT_TO_POINTER (id));
  if (relay == NULL || relay->data_conn != NULL || relay->peer_conn == NULL ||
      relay->connect_pending || relay->alloc == NULL)
    return nav_turn_respond_error (r, 400);
  if (g_strcmp0 (relay->alloc->username, r->username) != 0)
    return nav_turn_respond_error (r, 441);
  b = nav_turn_response_begin (r, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  n = nav_turn_response_finish (r, b, TRUE);
  relay->data_conn = r->conn;
  r->conn->relay = relay;
  conn_pipe (r->conn, relay->peer_conn);
  conn_pipe (relay->peer_conn, r->conn);
  nav_net_stream_resume (relay->peer_conn->stream);
  return n;
}
