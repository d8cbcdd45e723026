/* nav-turn-client-peers.c: the TURN client's peers: permissions
 * (RFC 8656 §9), channels (§12), RFC 6062 connections, and sending
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-turn-client-private.h"

#include <string.h>

#include <glib/gi18n-lib.h>

/* Datagrams per peer waiting for a permission */
#define MAX_QUEUED 1024

static void create_permission (NavTurnClient *self, Peer *peer);
static void bind_channel (NavTurnClient *self, Peer *peer);

Peer *
nav_turn_peer_lookup (NavTurnClient    *self,
             const NavAddress *addr)
{
  return g_hash_table_lookup (self->peers, addr);
}

void
nav_turn_deliver (NavTurnClient    *self,
         const guint8     *data,
         gsize             len,
         const NavAddress *from)
{
  if (self->recv_func != NULL)
    self->recv_func (self, data, len, from, self->recv_data);
}

/* Refreshes what is due: permissions last 300 s, channels 600 s
 * (RFC 8656 §9, §12). */
void
nav_turn_refresh_peers (NavTurnClient *self)
{
  GHashTableIter iter;
  gpointer value;
  gint64 now = g_get_monotonic_time ();

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Peer *peer = value;

      /* RFC 8656 §12: a ChannelBind refresh refreshes the permission too. */
      if (peer->chan_ok && !peer->chan_pending &&
          now - peer->chan_time >= (gint64) self->cfg.channel_refresh_s * G_USEC_PER_SEC)
        bind_channel (self, peer);
      else if (peer->perm_ok && !peer->perm_pending && !peer->chan_pending &&
               now - peer->perm_time >= (gint64) self->cfg.permission_refresh_s * G_USEC_PER_SEC)
        create_permission (self, peer);
    }
  }

/* Peers, permissions and channels */

void
nav_turn_peer_free (Peer *peer)
{
  g_queue_clear_full (&peer->queue, (GDestroyNotify) g_bytes_unref);
  if (peer->data_conn != NULL)
    {
      nav_turn_client_conn_close (peer->data_conn);
      nav_turn_client_conn_unref (peer->data_conn);
    }
  g_list_free_full (peer->waiters, g_object_unref);
  g_list_free_full (peer->perm_waiters, g_object_unref);
  g_free (peer);
}

static Peer *
peer_get (NavTurnClient    *self,
          const NavAddress *addr)
{
  Peer *peer = nav_turn_peer_lookup (self, addr);

  if (peer == NULL)
    {
      peer = g_new0 (Peer, 1);
      peer->addr = *addr;
      g_queue_init (&peer->queue);
      g_hash_table_insert (self->peers, &peer->addr, peer);
    }
  return peer;
}

void
nav_turn_peer_fail (NavTurnClient *self,
           Peer          *peer,
           const GError  *error)
{
  GList *waiters = g_steal_pointer (&peer->waiters);
  GList *perm_waiters = g_steal_pointer (&peer->perm_waiters);

  g_queue_clear_full (&peer->queue, (GDestroyNotify) g_bytes_unref);
  peer->connecting = FALSE;
  for (GList *l = waiters; l != NULL; l = l->next)
    g_task_return_error (l->data, g_error_copy (error));
  g_list_free_full (waiters, g_object_unref);
  for (GList *l = perm_waiters; l != NULL; l = l->next)
    g_task_return_error (l->data, g_error_copy (error));
  g_list_free_full (perm_waiters, g_object_unref);
  if (!self->closed)
    g_signal_emit (self, nav_turn_client_signals[NAV_TURN_CLIENT_SIGNAL_PEER_ERROR], 0, &peer->addr, error);
}

static gboolean
send_now (NavTurnClient  *self,
          Peer           *peer,
          const guint8   *data,
          gsize           len,
          GError        **error)
{
  g_autoptr (GBytes) bytes = NULL;

  if (self->cfg.tcp_relay)
    {
      bytes = g_bytes_new (data, len);
      return nav_turn_client_conn_write (peer->data_conn, bytes, error);
    }
  if (peer->chan_ok)
    {
      /* RFC 8656 §12.5: padded to four bytes over TCP and TLS. */
      bytes = nav_stun_channel_data_new (peer->channel, data, len, !self->control->udp);
    }
  else
    {
      g_autoptr (NavStunMessageBuilder) b =
        nav_stun_message_builder_new (NAV_STUN_CLASS_INDICATION, NAV_STUN_METHOD_SEND, NULL);

      if (!nav_stun_message_builder_add_xor_address (b, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
                                                     &peer->addr, error) ||
          !nav_stun_message_builder_add_attribute (b, NAV_STUN_ATTRIBUTE_DATA, data, len, error) ||
          (self->dont_fragment &&
           !nav_stun_message_builder_add_flag (b, NAV_STUN_ATTRIBUTE_DONT_FRAGMENT, error)))
        return FALSE;
      bytes = nav_stun_message_builder_finish (b, error);
      if (bytes == NULL)
        return FALSE;
    }
  return nav_turn_client_conn_write (self->control, bytes, error);
}

static gboolean
peer_ready (NavTurnClient *self,
            Peer          *peer)
{
  if (self->cfg.tcp_relay)
    return peer->data_conn != NULL;
  if (peer->chan_ok)
    return TRUE;
  /* Until the channel is bound, indications carry the data. */
  return peer->perm_ok;
}

static void
peer_flush (NavTurnClient *self,
            Peer          *peer)
{
  GBytes *bytes;

  while (peer_ready (self, peer) && (bytes = g_queue_pop_head (&peer->queue)) != NULL)
    {
      g_autoptr (GError) error = NULL;
      gsize len;
      const guint8 *data = g_bytes_get_data (bytes, &len);

      if (!send_now (self, peer, data, len, &error))
        g_debug ("event=turn-send-failed error=\"%s\"", error->message);
      g_bytes_unref (bytes);
    }
}

static gboolean
peer_error_response (NavTurnClient  *self,
                     Peer           *peer,
                     NavStunMessage *response,
                     const GError   *error,
                     const gchar    *what)
{
  g_autoptr (GError) e = NULL;

  if (response == NULL)
    e = nav_turn_error_from_transaction (self, error, what);
  else if (nav_stun_message_get_class (response) != NAV_STUN_CLASS_SUCCESS_RESPONSE)
    e = nav_turn_error_from_response (response, what);
  if (e == NULL)
    return FALSE;
  if (!self->closed)
    {
      g_debug ("event=turn-peer-error error=\"%s\"", e->message);
      nav_turn_peer_fail (self, peer, e);
    }
  return TRUE;
}

/* The permission of @peer is installed: nav_turn_client_permit_async()
 * returns. */
static void
peer_permitted (Peer *peer)
{
  GList *waiters = g_steal_pointer (&peer->perm_waiters);

  for (GList *l = waiters; l != NULL; l = l->next)
    g_task_return_boolean (l->data, TRUE);
  g_list_free_full (waiters, g_object_unref);
}

static void
permission_done (NavTurnClient  *self,
                 Request        *req,
                 NavStunMessage *response,
                 const GError   *error)
{
  Peer *peer = nav_turn_peer_lookup (self, &req->peer);

  if (peer == NULL || self->closed)
    return;
  peer->perm_pending = FALSE;
  if (peer_error_response (self, peer, response, error, "CreatePermission"))
    {
      peer->perm_ok = FALSE;
      return;
    }
  peer->perm_ok = TRUE;
  peer->perm_time = g_get_monotonic_time ();
  peer_permitted (peer);
  if (req->data != NULL)
    ((void (*) (NavTurnClient *, Peer *)) req->data) (self, peer);
  else
    peer_flush (self, peer);
}

static void
create_permission_then (NavTurnClient *self,
                        Peer          *peer,
                        void         (*then) (NavTurnClient *, Peer *))
{
  Request *req = nav_turn_request_new (self, NAV_STUN_METHOD_CREATE_PERMISSION, self->control,
                              permission_done);

  req->has_peer = TRUE;
  req->peer = peer->addr;
  req->data = (gpointer) then;
  peer->perm_pending = TRUE;
  nav_turn_request_send (self, req);
}

static void
create_permission (NavTurnClient *self,
                   Peer          *peer)
{
  create_permission_then (self, peer, NULL);
}

static void
channel_done (NavTurnClient  *self,
              Request        *req,
              NavStunMessage *response,
              const GError   *error)
{
  Peer *peer = nav_turn_peer_lookup (self, &req->peer);

  if (peer == NULL || self->closed)
    return;
  peer->chan_pending = FALSE;
  if (peer_error_response (self, peer, response, error, "ChannelBind"))
    {
      peer->chan_ok = FALSE;
      g_hash_table_remove (self->channels, GUINT_TO_POINTER (peer->channel));
      return;
    }
  peer->chan_ok = peer->perm_ok = TRUE;
  peer->chan_time = peer->perm_time = g_get_monotonic_time ();
  peer_permitted (peer);
  peer_flush (self, peer);
}

static void
bind_channel (NavTurnClient *self,
              Peer          *peer)
{
  Request *req;

  if (peer->channel == 0)
    {
      if (self->next_channel > NAV_STUN_CHANNEL_NUMBER_MAX)
        {
          /* Out of channels: this peer goes through indications. */
          create_permission (self, peer);
          return;
        }
      peer->channel = self->next_channel++;
      g_hash_table_insert (self->channels, GUINT_TO_POINTER (peer->channel), peer);
    }
  req = nav_turn_request_new (self, NAV_STUN_METHOD_CHANNEL_BIND, self->control, channel_done);
  req->has_peer = TRUE;
  req->peer = peer->addr;
  req->channel = peer->channel;
  peer->chan_pending = TRUE;
  nav_turn_request_send (self, req);
}

/* RFC 6062 */

static void
data_conn_bound (NavTurnClient  *self,
                 Request        *req,
                 NavStunMessage *response,
                 const GError   *error)
{
  Conn *conn = req->conn;
  Peer *peer;

  /* The array's reference passes to the peer, or is dropped. */
  if (self->closed || !g_ptr_array_remove (self->data_conns, conn))
    return;
  peer = peer_get (self, &conn->peer);
  if (peer_error_response (self, peer, response, error, "ConnectionBind"))
    {
      nav_turn_client_conn_close (conn);
      nav_turn_client_conn_unref (conn);
      return;
    }
  /* RFC 6062 §4.3: from here on the connection carries the peer's bytes. */
  nav_turn_client_conn_set_raw (conn);
  if (peer->data_conn != NULL)
    {
      nav_turn_client_conn_close (peer->data_conn);
      nav_turn_client_conn_unref (peer->data_conn);
    }
  peer->data_conn = conn;
  peer->connecting = FALSE;
  peer_flush (self, peer);
  for (GList *l = peer->waiters; l != NULL; l = l->next)
    g_task_return_boolean (l->data, TRUE);
  g_list_free_full (g_steal_pointer (&peer->waiters), g_object_unref);
  /* Bytes that followed the response in the same read are the peer's:
   * the stream hands them over raw. */
}

static void
data_conn_ready (Conn         *conn,
                 const GError *error,
                 gpointer      user_data)
{
  NavTurnClient *self = user_data;
  Request *req;

  if (error != NULL)
    {
      if (!self->closed && g_ptr_array_remove (self->data_conns, conn))
        {
          nav_turn_peer_fail (self, peer_get (self, &conn->peer), error);
          nav_turn_client_conn_unref (conn);
        }
      return;
    }
  req = nav_turn_request_new (self, NAV_STUN_METHOD_CONNECTION_BIND, conn, data_conn_bound);
  req->has_connection_id = TRUE;
  req->connection_id = conn->connection_id;
  nav_turn_request_send (self, req);
}

static void
open_data_conn (NavTurnClient    *self,
                const NavAddress *peer,
                guint32           id)
{
  Conn *conn = nav_turn_client_conn_open (self, FALSE, data_conn_ready, self);

  conn->peer = *peer;
  conn->connection_id = id;
  if (!conn->dead)
    g_ptr_array_add (self->data_conns, conn);
  else
    nav_turn_client_conn_unref (conn);
}

void
nav_turn_accept_connection (NavTurnClient    *self,
                   const NavAddress *peer,
                   guint32           id)
{
  Peer *p = peer_get (self, peer);

  /* RFC 6062 §4.4: the peer connected to the relayed address. */
  p->connecting = TRUE;
  open_data_conn (self, peer, id);
}

static void
connect_done_cb (NavTurnClient  *self,
                 Request        *req,
                 NavStunMessage *response,
                 const GError   *error)
{
  Peer *peer = nav_turn_peer_lookup (self, &req->peer);
  guint32 id;

  if (peer == NULL || self->closed ||
      peer_error_response (self, peer, response, error, "Connect"))
    return;
  if (!nav_stun_message_get_uint32 (response, NAV_STUN_ATTRIBUTE_CONNECTION_ID, &id, NULL))
    {
      g_autoptr (GError) e =
        g_error_new_literal (NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_BAD_RESPONSE,
                             _("The Connect response lacks CONNECTION-ID"));

      nav_turn_peer_fail (self, peer, e);
      return;
    }
  open_data_conn (self, &peer->addr, id);
}

static void
send_connect (NavTurnClient *self,
              Peer          *peer)
{
  Request *req = nav_turn_request_new (self, NAV_STUN_METHOD_CONNECT, self->control, connect_done_cb);

  req->has_peer = TRUE;
  req->peer = peer->addr;
  nav_turn_request_send (self, req);
}

static void
peer_start (NavTurnClient *self,
            Peer          *peer)
{
  if (self->cfg.tcp_relay)
    {
      if (peer->data_conn != NULL || peer->connecting)
        return;
      peer->connecting = TRUE;
      /* A permission first: coturn refuses Connect without one. */
      if (peer->perm_ok)
        send_connect (self, peer);
      else
        create_permission_then (self, peer, send_connect);
      return;
    }
  if (self->cfg.use_channels)
    {
      if (!peer->chan_ok && !peer->chan_pending)
        bind_channel (self, peer);
    }
  else if (!peer->perm_ok && !peer->perm_pending)
    create_permission (self, peer);
}

static gboolean
check_allocated (NavTurnClient  *self,
                 GError        **error)
{
  if (!self->allocated || self->closed)
    {
      g_set_error_literal (error, NAV_TURN_CLIENT_ERROR,
                           self->closed ? NAV_TURN_CLIENT_ERROR_CLOSED
                                        : NAV_TURN_CLIENT_ERROR_NOT_ALLOCATED,
                           self->closed ? _("The TURN allocation is closed")
                                        : _("No TURN allocation yet"));
      return FALSE;
    }
  return TRUE;
}

gboolean
nav_turn_client_send (NavTurnClient     *self,
                      const NavAddress  *peer_addr,
                      const guint8      *data,
                      gsize              length,
                      GError           **error)
{
  Peer *peer;

  g_return_val_if_fail (NAV_IS_TURN_CLIENT (self), FALSE);
  g_return_val_if_fail (peer_addr != NULL, FALSE);

  if (!check_allocated (self, error))
    return FALSE;
  peer = peer_get (self, peer_addr);
  if (peer_ready (self, peer) && g_queue_is_empty (&peer->queue))
    {
      if (self->cfg.use_channels && !self->cfg.tcp_relay && !peer->chan_ok)
        peer_start (self, peer);
      return send_now (self, peer, data, length, error);
    }
  if (g_queue_get_length (&peer->queue) >= MAX_QUEUED)
    {
      g_set_error_literal (error, NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_QUEUE_FULL,
                           _("Too much data waits for a TURN permission"));
      return FALSE;
    }
  g_queue_push_tail (&peer->queue, g_bytes_new (data, length));
  peer_start (self, peer);
  return TRUE;
}

/* Installs a permission for @peer's IP (RFC 8656 §9) without sending, so
 * that the peer can reach the relayed address first: its datagrams, or for
 * a TCP allocation its connections (RFC 6062 §4.4, ConnectionAttempt). */
gboolean
nav_turn_client_permit (NavTurnClient     *self,
                        const NavAddress  *peer_addr,
                        GError           **error)
{
  Peer *peer;

  g_return_val_if_fail (NAV_IS_TURN_CLIENT (self), FALSE);

  if (!check_allocated (self, error))
    return FALSE;
  peer = peer_get (self, peer_addr);
  if (!peer->perm_ok && !peer->perm_pending)
    create_permission (self, peer);
  return TRUE;
}

/* As nav_turn_client_permit(), and returns once the server has installed
 * the permission (or refused it): only then can the peer reach the
 * relayed address (RFC 8656 §9). */
void
nav_turn_client_permit_async (NavTurnClient       *self,
                              const NavAddress    *peer_addr,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  Peer *peer;

  g_return_if_fail (NAV_IS_TURN_CLIENT (self));
  g_return_if_fail (peer_addr != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nav_turn_client_permit_async);
  if (!check_allocated (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  peer = peer_get (self, peer_addr);
  if (peer->perm_ok)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  peer->perm_waiters = g_list_append (peer->perm_waiters, g_steal_pointer (&task));
  if (!peer->perm_pending)
    create_permission (self, peer);
}

gboolean
nav_turn_client_permit_finish (NavTurnClient  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
nav_turn_client_connect_async (NavTurnClient       *self,
                               const NavAddress    *peer_addr,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  Peer *peer;

  g_return_if_fail (NAV_IS_TURN_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nav_turn_client_connect_async);
  if (!check_allocated (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  peer = peer_get (self, peer_addr);
  if (peer_ready (self, peer))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  peer->waiters = g_list_append (peer->waiters, g_steal_pointer (&task));
  peer_start (self, peer);
}

gboolean
nav_turn_client_connect_finish (NavTurnClient  *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

