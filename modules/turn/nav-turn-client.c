/* nav-turn-client.c: a TURN allocation, client side (RFC 8656, RFC 6062,
 * RFC 6156): the object, its requests, the allocation and its refresh
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-turn-client-private.h"

#include <string.h>

#include <glib/gi18n-lib.h>

/**
 * NavTurnClient:
 *
 * One allocation on a TURN server: it connects to the server over UDP,
 * TCP or TLS (the TCP connect and the TLS handshake bounded by a connect
 * timeout), allocates with long-term credentials (RFC 8656 §7.2, RFC 8489
 * §9.2: 401 then REALM/NONCE, 438 stale nonce, 300 ALTERNATE-SERVER), keeps
 * the allocation, its permissions and its channels alive, and relays data
 * to and from peers: ChannelData once a channel is bound, Send and Data
 * indications otherwise.  A TCP allocation (RFC 6062) opens one data
 * connection per peer (Connect, ConnectionBind) and accepts the peers'
 * connections (ConnectionAttempt).
 *
 * Every STUN message goes through the core codec; every request through
 * the transactions of the core's socket layer (RFC 8489 §6.2
 * retransmissions over UDP, Ti over TCP and TLS), and every connection to
 * the server is one of that layer (core/net).
 */

G_DEFINE_QUARK (nav-turn-client-error-quark, nav_turn_client_error)

#define MAINTENANCE_INTERVAL_S 15

guint nav_turn_client_signals[NAV_TURN_CLIENT_N_SIGNALS];

G_DEFINE_FINAL_TYPE (NavTurnClient, nav_turn_client, G_TYPE_OBJECT)

static void send_allocate (NavTurnClient *self);

/* Configuration */

void
nav_turn_client_config_init (NavTurnClientConfig *config)
{
  memset (config, 0, sizeof *config);
  nav_address_init (&config->server);
  config->protocol = NAV_STUN_PROTOCOL_UDP;
  config->family = G_SOCKET_FAMILY_INVALID;
  config->use_channels = TRUE;
  config->connect_timeout_ms = NAV_TURN_DEFAULT_CONNECT_TIMEOUT_MS;
  config->permission_refresh_s = NAV_TURN_PERMISSION_REFRESH_S;
  config->channel_refresh_s = NAV_TURN_CHANNEL_REFRESH_S;
  nav_stun_retransmit_params_init (&config->params);
}

void
nav_turn_client_config_clear (NavTurnClientConfig *config)
{
  g_clear_pointer (&config->server_name, g_free);
  g_clear_pointer (&config->username, g_free);
  g_clear_pointer (&config->password, g_free);
  g_clear_pointer (&config->tls_ca_file, g_free);
  g_clear_pointer (&config->software, g_free);
}

static void
config_copy (NavTurnClientConfig       *dest,
             const NavTurnClientConfig *src)
{
  *dest = *src;
  dest->server_name = g_strdup (src->server_name);
  dest->username = g_strdup (src->username != NULL ? src->username : "");
  dest->password = g_strdup (src->password != NULL ? src->password : "");
  dest->tls_ca_file = g_strdup (src->tls_ca_file);
  dest->software = g_strdup (src->software);
}

/* The TURN REST API convention (draft-uberti-behave-turn-rest §2.2, as
 * coturn's use-auth-secret): the username is "expiry:user", the password
 * base64 (HMAC-SHA1 (secret, username)). */
gchar *
nav_turn_rest_username (const gchar *user,
                        gint64       expiry)
{
  if (user == NULL || *user == '\0')
    return g_strdup_printf ("%" G_GINT64_FORMAT, expiry);
  return g_strdup_printf ("%" G_GINT64_FORMAT ":%s", expiry, user);
}

gchar *
nav_turn_rest_password (const gchar *secret,
                        const gchar *username)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) secret,
                                       strlen (secret));
  guint8 digest[20];
  gsize len = sizeof digest;

  g_hmac_update (hmac, (const guchar *) username, strlen (username));
  g_hmac_get_digest (hmac, digest, &len);
  return g_base64_encode (digest, len);
}

/* Errors */

/* The code of an error response.  Servers do send reason phrases that
 * are not UTF-8 (coturn's 447 to Connect): the code still counts, and the
 * phrase is made valid. */
static guint
response_code (NavStunMessage  *response,
               gchar          **reason)
{
  guint code = 0;
  gsize len = 0;
  const guint8 *v;

  if (nav_stun_message_get_error_code (response, &code, reason, NULL))
    return code;
  v = nav_stun_message_get_attribute (response, NAV_STUN_ATTRIBUTE_ERROR_CODE, &len);
  if (v == NULL || len < 4)
    return 0;
  if (reason != NULL)
    {
      GString *text = g_string_new (NULL);

      /* Printable ASCII only, up to the first byte that is not. */
      for (gsize i = 4; i < len && v[i] >= 0x20 && v[i] < 0x7f; i++)
        g_string_append_c (text, v[i]);
      *reason = g_string_free (text, FALSE);
    }
  return (v[2] & 0x7) * 100 + v[3] % 100;
}

GError *
nav_turn_error_from_response (NavStunMessage *response,
                     const gchar    *what)
{
  g_autofree gchar *reason = NULL;
  guint code = response_code (response, &reason);

  if (code == 0)
    return g_error_new (NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_BAD_RESPONSE,
                        _("%s refused with a malformed error response"), what);
  if (code == NAV_STUN_ERROR_CODE_UNAUTHENTICATED ||
      code == NAV_STUN_ERROR_CODE_WRONG_CREDENTIALS)
    return g_error_new (NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_UNAUTHORIZED,
                        _("%s refused: %u %s (wrong username or password?)"),
                        what, code, reason != NULL ? reason : "");
  return g_error_new (NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_ERROR_RESPONSE,
                      _("%s refused: %u %s"), what, code,
                      reason != NULL ? reason : nav_stun_error_code_get_reason (code));
}

GError *
nav_turn_error_from_transaction (NavTurnClient *self,
                        const GError  *error,
                        const gchar   *what)
{
  gchar buf[NAV_ADDRESS_STRING_LEN];

  nav_address_to_string_buf (&self->cfg.server, buf);
  if (error == NULL)
    return g_error_new_literal (NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_CLOSED,
                                _("The TURN allocation is closed"));
  if (error->domain == NAV_TURN_CLIENT_ERROR)
    return g_error_copy (error);
  if (g_error_matches (error, NAV_STUN_CLIENT_ERROR, NAV_STUN_CLIENT_ERROR_TIMED_OUT))
    return g_error_new (NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_TIMED_OUT,
                        _("%s: no response from %s over %s"), what, buf,
                        nav_stun_protocol_to_string (self->cfg.protocol));
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  return g_error_new (NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_UNREACHABLE,
                      _("%s: %s unreachable over %s: %s"), what, buf,
                      nav_stun_protocol_to_string (self->cfg.protocol),
                      error->message);
}

/* Fails every request waiting on @conn. */
void
nav_turn_fail_requests_on (NavTurnClient *self,
                  Conn          *conn,
                  const GError  *error)
{
  GHashTableIter iter;
  gpointer value;
  GArray *doomed = g_array_new (FALSE, FALSE, NAV_STUN_TRANSACTION_ID_LENGTH);

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (conn == NULL || ((Request *) value)->conn == conn)
      g_array_append_vals (doomed, nav_stun_transaction_get_id (((Request *) value)->transaction), 1);
  /* Failing a request may end or start others: each is looked up again
   * by its id. */
  for (guint i = 0; i < doomed->len; i++)
    {
      Request *req = g_hash_table_lookup (self->pending,
                                          doomed->data + i * NAV_STUN_TRANSACTION_ID_LENGTH);

      if (req != NULL)
        nav_stun_transaction_fail (req->transaction, error);
    }
  g_array_unref (doomed);
}

/* Requests */

static void
request_free (Request *req)
{
  nav_stun_transaction_free (req->transaction);
  nav_turn_client_conn_unref (req->conn);
  g_free (req);
}

Request *
nav_turn_request_new (NavTurnClient   *self,
             guint            method,
             Conn            *conn,
             RequestDoneFunc  done)
{
  Request *req = g_new0 (Request, 1);

  req->client = self;
  req->method = method;
  req->conn = nav_turn_client_conn_ref (conn);
  req->lifetime = -1;
  req->done = done;
  return req;
}

static const gchar *
method_name (guint method)
{
  switch (method)
    {
    case NAV_STUN_METHOD_ALLOCATE: return "Allocate";
    case NAV_STUN_METHOD_REFRESH: return "Refresh";
    case NAV_STUN_METHOD_CREATE_PERMISSION: return "CreatePermission";
    case NAV_STUN_METHOD_CHANNEL_BIND: return "ChannelBind";
    case NAV_STUN_METHOD_CONNECT: return "Connect";
    case NAV_STUN_METHOD_CONNECTION_BIND: return "ConnectionBind";
    default: return "Request";
    }
}

static gboolean
derive_key (NavTurnClient  *self,
            GError        **error)
{
  g_clear_pointer (&self->key, g_bytes_unref);
  if (self->realm == NULL)
    return TRUE;
  self->key = nav_stun_derive_long_term_key (self->cfg.username, self->realm,
                                             self->cfg.password,
                                             self->algorithm, error);
  return self->key != NULL;
}

static GBytes *
build_request (NavTurnClient  *self,
               Request        *req,
               GError        **error)
{
  g_autoptr (NavStunMessageBuilder) b =
    nav_stun_message_builder_new (NAV_STUN_CLASS_REQUEST, req->method, NULL);
  gboolean ok = TRUE;

  if (req->method == NAV_STUN_METHOD_ALLOCATE)
    {
      ok = nav_stun_message_builder_add_requested_transport (b, self->cfg.tcp_relay ? NAV_TURN_PROTO_TCP
                                                                                   : NAV_TURN_PROTO_UDP,
                                                             error);
      if (ok && self->cfg.dual)
        ok = nav_stun_message_builder_add_address_family (b, NAV_STUN_ATTRIBUTE_ADDITIONAL_ADDRESS_FAMILY,
                                                          G_SOCKET_FAMILY_IPV6, error);
      else if (ok && self->cfg.family == G_SOCKET_FAMILY_IPV6)
        ok = nav_stun_message_builder_add_address_family (b, NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY,
                                                          G_SOCKET_FAMILY_IPV6, error);
      if (ok && self->dont_fragment && !self->cfg.tcp_relay)
        ok = nav_stun_message_builder_add_flag (b, NAV_STUN_ATTRIBUTE_DONT_FRAGMENT, error);
    }
  if (ok && req->lifetime >= 0)
    ok = nav_stun_message_builder_add_uint32 (b, NAV_STUN_ATTRIBUTE_LIFETIME, req->lifetime, error);
  if (ok && req->channel != 0)
    ok = nav_stun_message_builder_add_channel_number (b, req->channel, error);
  if (ok && req->has_peer)
    ok = nav_stun_message_builder_add_xor_address (b, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
                                                   &req->peer, error);
  if (ok && req->has_connection_id)
    ok = nav_stun_message_builder_add_uint32 (b, NAV_STUN_ATTRIBUTE_CONNECTION_ID,
                                              req->connection_id, error);
  /* RFC 8489 §14.14, before the integrity it is covered by. */
  if (ok && self->cfg.software != NULL)
    ok = nav_stun_message_builder_add_software (b, self->cfg.software, error);
  req->sent_credentials = FALSE;
  if (ok && self->nonce != NULL && self->key != NULL)
    {
      gsize klen;
      const guint8 *key = g_bytes_get_data (self->key, &klen);

      ok = nav_stun_message_builder_add_username (b, self->cfg.username, error) &&
           nav_stun_message_builder_add_realm (b, self->realm, error) &&
           nav_stun_message_builder_add_nonce (b, self->nonce, error);
      /* RFC 8489 §9.2.4: echo the server's list and name the choice. */
      if (ok && self->algorithms != NULL)
        ok = nav_stun_message_builder_add_password_algorithms (b, self->algorithms,
                                                               self->n_algorithms, error) &&
             nav_stun_message_builder_add_password_algorithm (b, self->algorithm, error);
      if (ok && self->algorithm == NAV_STUN_PASSWORD_ALGORITHM_SHA256)
        ok = nav_stun_message_builder_add_message_integrity_sha256 (b, key, klen, 0, error);
      else if (ok)
        ok = nav_stun_message_builder_add_message_integrity (b, key, klen, error);
      req->sent_credentials = TRUE;
    }
  if (ok)
    ok = nav_stun_message_builder_add_fingerprint (b, error);
  if (!ok)
    return NULL;
  return nav_stun_message_builder_finish (b, error);
}

static gboolean
request_transmit (NavStunTransaction *transaction,
                  const guint8       *data,
                  gsize               length,
                  gpointer            user_data,
                  GError            **error)
{
  Request *req = user_data;
  g_autoptr (GBytes) bytes = g_bytes_new (data, length);
  g_autoptr (GError) local_error = NULL;

  if (!nav_turn_client_conn_write (req->conn, bytes, &local_error))
    {
      /* Over UDP a failed send is a lost datagram: retransmit later. */
      if (req->conn->udp && !req->conn->dead)
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

static void request_transaction_done (NavStunTransaction *transaction,
                                      NavStunMessage     *response,
                                      const GError       *error,
                                      gpointer            user_data);

void
nav_turn_request_send (NavTurnClient *self,
              Request       *req)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = build_request (self, req, &error);

  if (bytes == NULL)
    {
      req->done (self, req, NULL, error);
      request_free (req);
      return;
    }
  if (req->transaction != NULL)
    nav_stun_transaction_free (req->transaction);
  req->transaction = nav_stun_transaction_new (self->context, bytes, !req->conn->udp,
                                               &self->cfg.params, request_transmit,
                                               request_transaction_done, req);
  g_hash_table_insert (self->pending,
                       (gpointer) nav_stun_transaction_get_id (req->transaction), req);
  nav_stun_transaction_start (req->transaction);
}

/* Takes the server's REALM, NONCE and PASSWORD-ALGORITHMS (RFC 8489
 * §9.2.5). */
static gboolean
take_auth_challenge (NavTurnClient  *self,
                     NavStunMessage *response)
{
  g_autofree gchar *realm = nav_stun_message_get_realm (response, NULL);
  g_autofree gchar *nonce = nav_stun_message_get_nonce (response, NULL);
  gsize n = 0;
  g_autofree guint16 *algorithms = nav_stun_message_get_password_algorithms (response, &n, NULL);
  guint algorithm = NAV_STUN_PASSWORD_ALGORITHM_MD5;
  gboolean realm_changed;

  if (nonce == NULL)
    return FALSE;
  if (realm == NULL && self->realm == NULL)
    return FALSE;
  realm_changed = realm != NULL && g_strcmp0 (realm, self->realm) != 0;
  if (realm != NULL)
    {
      g_free (self->realm);
      self->realm = g_steal_pointer (&realm);
    }
  g_free (self->nonce);
  self->nonce = g_steal_pointer (&nonce);
  if (algorithms != NULL)
    {
      /* The first algorithm of the server's list that we support. */
      for (gsize i = 0; i < n; i++)
        if (algorithms[i] == NAV_STUN_PASSWORD_ALGORITHM_SHA256 ||
            algorithms[i] == NAV_STUN_PASSWORD_ALGORITHM_MD5)
          {
            algorithm = algorithms[i];
            break;
          }
      g_free (self->algorithms);
      self->algorithms = g_steal_pointer (&algorithms);
      self->n_algorithms = n;
    }
  if (realm_changed || self->key == NULL || algorithm != self->algorithm)
    {
      self->algorithm = algorithm;
      if (!derive_key (self, NULL))
        return FALSE;
    }
  return TRUE;
}

static void
request_transaction_done (NavStunTransaction *transaction,
                          NavStunMessage     *response,
                          const GError       *error,
                          gpointer            user_data)
{
  Request *req = user_data;
  NavTurnClient *self = req->client;

  g_hash_table_remove (self->pending, nav_stun_transaction_get_id (transaction));

  if (response != NULL &&
      nav_stun_message_get_class (response) == NAV_STUN_CLASS_ERROR_RESPONSE &&
      !req->conn->dead)
    {
      guint code = response_code (response, NULL);

      /* RFC 8656 §7.2, RFC 8489 §9.2.5: the first request learns the realm
       * and nonce from a 401; a 401 to a request that carried credentials
       * means they are wrong (one retry covers a nonce that changed). */
      if (code == NAV_STUN_ERROR_CODE_UNAUTHENTICATED &&
          req->auth_tries < (req->sent_credentials ? 1 : 2) &&
          take_auth_challenge (self, response))
        {
          req->auth_tries++;
          req->stale_tries = 0;
          nav_turn_request_send (self, req);
          return;
        }
      if (code == NAV_STUN_ERROR_CODE_STALE_NONCE && req->stale_tries < 3 &&
          take_auth_challenge (self, response))
        {
          g_debug ("event=turn-stale-nonce method=%s", method_name (req->method));
          req->stale_tries++;
          self->stale_nonces++;
          nav_turn_request_send (self, req);
          return;
        }
    }
  req->done (self, req, response, error);
  request_free (req);
}

/* Reading */

void
nav_turn_client_handle_frame (NavTurnClient *self,
              Conn          *conn,
              const guint8  *data,
              gsize          len)
{
  g_autoptr (NavStunMessage) msg = NULL;
  g_autoptr (GError) error = NULL;
  NavStunClass klass;

  if (self == NULL)
    return;
  if (nav_stun_channel_data_is_channel_data (data, len))
    {
      guint16 channel = 0;
      gsize plen = 0;
      const guint8 *payload = nav_stun_channel_data_parse (data, len, &channel, &plen, NULL);
      Peer *peer = g_hash_table_lookup (self->channels, GUINT_TO_POINTER (channel));

      if (payload == NULL || peer == NULL)
        {
          self->garbage++;
          return;
        }
      nav_turn_deliver (self, payload, plen, &peer->addr);
      return;
    }

  msg = nav_stun_message_parse (data, len, &error);
  if (msg == NULL)
    {
      self->garbage++;
      g_debug ("event=turn-garbage length=%lu error=\"%s\"", (gulong) len, error->message);
      return;
    }
  klass = nav_stun_message_get_class (msg);
  if (klass == NAV_STUN_CLASS_INDICATION)
    {
      NavAddress peer;

      nav_address_init (&peer);
      if (!nav_stun_message_get_xor_address (msg, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, &peer, NULL))
        {
          self->garbage++;
          return;
        }
      if (nav_stun_message_get_method (msg) == NAV_STUN_METHOD_DATA)
        {
          gsize dlen = 0;
          const guint8 *payload = nav_stun_message_get_attribute (msg, NAV_STUN_ATTRIBUTE_DATA, &dlen);

          if (payload == NULL)
            {
              self->garbage++;
              return;
            }
          nav_turn_deliver (self, payload, dlen, &peer);
        }
      else if (nav_stun_message_get_method (msg) == NAV_STUN_METHOD_CONNECTION_ATTEMPT &&
               self->cfg.tcp_relay && conn->control)
        {
          guint32 id;

          if (!nav_stun_message_get_uint32 (msg, NAV_STUN_ATTRIBUTE_CONNECTION_ID, &id, NULL))
            {
              self->garbage++;
              return;
            }
          nav_turn_accept_connection (self, &peer, id);
        }
      else
        self->garbage++;
      return;
    }
  if (klass == NAV_STUN_CLASS_SUCCESS_RESPONSE || klass == NAV_STUN_CLASS_ERROR_RESPONSE)
    {
      Request *req = g_hash_table_lookup (self->pending, nav_stun_message_get_transaction_id (msg));

      if (req == NULL || req->conn != conn)
        {
          self->garbage++;
          return;
        }
      /* RFC 8489 §9.2.5: a success response that fails the integrity
       * check is discarded, as if never received. */
      if (klass == NAV_STUN_CLASS_SUCCESS_RESPONSE && req->sent_credentials &&
          self->key != NULL &&
          !nav_stun_message_check_integrity (msg, g_bytes_get_data (self->key, NULL),
                                             g_bytes_get_size (self->key), &error))
        {
          self->garbage++;
          g_debug ("event=turn-bad-integrity method=%s error=\"%s\"",
                   method_name (req->method), error->message);
          return;
        }
      nav_stun_transaction_handle_response (req->transaction, msg);
      return;
    }
  self->garbage++;
}

/* Failure and close */

static void
stop_timers (NavTurnClient *self)
{
  nav_net_source_clear (&self->refresh_timer);
  nav_net_source_clear (&self->maintenance_timer);
}

void
nav_turn_client_fail (NavTurnClient *self,
             const GError  *error)
{
  GHashTableIter iter;
  gpointer value;

  if (self->closed)
    return;
  self->closed = TRUE;
  stop_timers (self);
  g_object_ref (self);
  if (self->allocate_task != NULL)
    {
      GTask *task = g_steal_pointer (&self->allocate_task);

      g_task_return_error (task, g_error_copy (error));
      g_object_unref (task);
    }
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    nav_turn_peer_fail (self, value, error);
  if (self->allocated)
    {
      self->allocated = FALSE;
      g_signal_emit (self, nav_turn_client_signals[NAV_TURN_CLIENT_SIGNAL_CLOSED], 0, error);
    }
  g_object_unref (self);
}

/* Allocation */

static void
allocate_return (NavTurnClient *self,
                 GError        *error)
{
  GTask *task = g_steal_pointer (&self->allocate_task);

  if (task == NULL)
    {
      g_clear_error (&error);
      return;
    }
  if (error != NULL)
    {
      g_task_return_error (task, error);
      self->closed = TRUE;
    }
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void refresh_done (NavTurnClient *, Request *, NavStunMessage *, const GError *);

static gboolean
on_refresh_timer (gpointer user_data)
{
  NavTurnClient *self = user_data;
  Request *req;

  g_clear_pointer (&self->refresh_timer, g_source_unref);
  req = nav_turn_request_new (self, NAV_STUN_METHOD_REFRESH, self->control, refresh_done);
  req->lifetime = self->cfg.lifetime > 0 ? (gint) self->cfg.lifetime : (gint) self->lifetime;
  nav_turn_request_send (self, req);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (NavTurnClient *self)
{
  guint delay;

  nav_net_source_clear (&self->refresh_timer);
  if (self->lifetime == 0)
    return;
  /* A minute before expiry, or at half the lifetime when it is short. */
  delay = self->lifetime > 120 ? (self->lifetime - 60) * 1000 : self->lifetime * 500;
  self->refresh_timer = g_timeout_source_new (MAX (delay, 500));
  g_source_set_callback (self->refresh_timer, on_refresh_timer, self, NULL);
  g_source_set_static_name (self->refresh_timer, "[nav-turn] refresh");
  g_source_attach (self->refresh_timer, self->context);
}

static void
refresh_done (NavTurnClient  *self,
              Request        *req,
              NavStunMessage *response,
              const GError   *error)
{
  g_autoptr (GError) e = NULL;
  guint32 lifetime;

  if (self->closed)
    return;
  if (response == NULL)
    e = nav_turn_error_from_transaction (self, error, "Refresh");
  else if (nav_stun_message_get_class (response) != NAV_STUN_CLASS_SUCCESS_RESPONSE)
    e = nav_turn_error_from_response (response, "Refresh");
  if (e != NULL)
    {
      nav_turn_client_fail (self, e);
      return;
    }
  self->refreshes++;
  if (nav_stun_message_get_uint32 (response, NAV_STUN_ATTRIBUTE_LIFETIME, &lifetime, NULL))
    self->lifetime = lifetime;
  g_debug ("event=turn-refreshed lifetime=%u", self->lifetime);
  schedule_refresh (self);
}

static gboolean
on_maintenance (gpointer user_data)
{
  nav_turn_refresh_peers (user_data);
  return G_SOURCE_CONTINUE;
}

static void
allocate_done (NavTurnClient  *self,
               Request        *req,
               NavStunMessage *response,
               const GError   *error)
{
  guint code = 0;
  gint idx = -1;
  guint32 lifetime = 0;

  if (self->allocate_task == NULL)
    return;
  if (response == NULL)
    {
      allocate_return (self, nav_turn_error_from_transaction (self, error, "Allocate"));
      return;
    }
  if (nav_stun_message_get_class (response) == NAV_STUN_CLASS_ERROR_RESPONSE)
    {
      code = response_code (response, NULL);
      if (code == NAV_STUN_ERROR_CODE_TRY_ALTERNATE && self->redirects < NAV_TURN_MAX_REDIRECTS)
        {
          NavAddress alternate;
          gchar buf[NAV_ADDRESS_STRING_LEN];

          nav_address_init (&alternate);
          if (nav_stun_message_get_alternate_server (response, &alternate, NULL))
            {
              /* RFC 8489 §10: start over with the alternate server. */
              g_debug ("event=turn-redirect to=%s",
                       nav_address_to_string_buf (&alternate, buf));
              self->redirects++;
              self->cfg.server = alternate;
              g_clear_pointer (&self->realm, g_free);
              g_clear_pointer (&self->nonce, g_free);
              g_clear_pointer (&self->key, g_bytes_unref);
              g_clear_pointer (&self->algorithms, g_free);
              send_allocate (self);
              return;
            }
        }
      if (code == NAV_STUN_ERROR_CODE_UNKNOWN_ATTRIBUTE && self->dont_fragment)
        {
          /* RFC 8656 §7.1: a server without DONT-FRAGMENT; do without. */
          self->dont_fragment = FALSE;
          req = nav_turn_request_new (self, NAV_STUN_METHOD_ALLOCATE, self->control, allocate_done);
          if (self->cfg.lifetime > 0)
            req->lifetime = self->cfg.lifetime;
          nav_turn_request_send (self, req);
          return;
        }
      allocate_return (self, nav_turn_error_from_response (response, "Allocate"));
      return;
    }

  self->n_relayed = 0;
  while ((idx = nav_stun_message_find_attribute (response, NAV_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
                                                 idx + 1)) >= 0 && self->n_relayed < 2)
    {
      nav_address_init (&self->relayed[self->n_relayed]);
      if (nav_stun_message_get_xor_address_nth (response, idx, &self->relayed[self->n_relayed], NULL))
        self->n_relayed++;
    }
  nav_address_init (&self->mapped);
  if (self->n_relayed == 0 ||
      !nav_stun_message_get_xor_mapped_address (response, &self->mapped, NULL) ||
      !nav_stun_message_get_uint32 (response, NAV_STUN_ATTRIBUTE_LIFETIME, &lifetime, NULL))
    {
      allocate_return (self, g_error_new_literal (NAV_TURN_CLIENT_ERROR,
                                                  NAV_TURN_CLIENT_ERROR_BAD_RESPONSE,
                                                  _("The Allocate response lacks the relayed "
                                                    "address, the mapped address or the lifetime")));
      return;
    }
  self->lifetime = lifetime;
  self->allocated = TRUE;
  schedule_refresh (self);
  /* Often enough that no refresh is late by more than half its period. */
  self->maintenance_timer =
    g_timeout_source_new (1000 * CLAMP (MIN (self->cfg.permission_refresh_s,
                                             self->cfg.channel_refresh_s) / 2,
                                        1, MAINTENANCE_INTERVAL_S));
  g_source_set_callback (self->maintenance_timer, on_maintenance, self, NULL);
  g_source_set_static_name (self->maintenance_timer, "[nav-turn] permissions");
  g_source_attach (self->maintenance_timer, self->context);
  allocate_return (self, NULL);
}

static void
control_ready (Conn         *conn,
               const GError *error,
               gpointer      user_data)
{
  NavTurnClient *self = user_data;
  Request *req;

  if (error != NULL)
    {
      allocate_return (self, g_error_copy (error));
      return;
    }
  req = nav_turn_request_new (self, NAV_STUN_METHOD_ALLOCATE, conn, allocate_done);
  if (self->cfg.lifetime > 0)
    req->lifetime = self->cfg.lifetime;
  nav_turn_request_send (self, req);
}

static void
send_allocate (NavTurnClient *self)
{
  Conn *old = g_steal_pointer (&self->control);

  if (old != NULL)
    {
      nav_turn_client_conn_close (old);
      nav_turn_client_conn_unref (old);
    }
  self->control = nav_turn_client_conn_open (self, TRUE, control_ready, self);
}

void
nav_turn_client_allocate_async (NavTurnClient       *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (NAV_IS_TURN_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nav_turn_client_allocate_async);
  if (self->allocate_task != NULL || self->allocated || self->closed)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("This client already allocated"));
      g_object_unref (task);
      return;
    }
  if (self->cfg.tcp_relay && self->cfg.protocol == NAV_STUN_PROTOCOL_UDP)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("A TCP allocation (RFC 6062) needs TCP or TLS to the server"));
      g_object_unref (task);
      return;
    }
  self->allocate_task = task;
  send_allocate (self);
}

gboolean
nav_turn_client_allocate_finish (NavTurnClient  *self,
                                 GAsyncResult   *result,
                                 GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Close */

static void
shutdown_all (NavTurnClient *self)
{
  stop_timers (self);
  g_hash_table_remove_all (self->channels);
  g_hash_table_remove_all (self->peers);
  for (guint i = 0; i < self->data_conns->len; i++)
    {
      nav_turn_client_conn_close (self->data_conns->pdata[i]);
      nav_turn_client_conn_unref (self->data_conns->pdata[i]);
    }
  g_ptr_array_set_size (self->data_conns, 0);
  {
    g_autoptr (GError) error =
      g_error_new_literal (NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_CLOSED,
                           _("The TURN allocation is closed"));

    nav_turn_fail_requests_on (self, NULL, error);
  }
  if (self->control != NULL)
    {
      Conn *control = g_steal_pointer (&self->control);

      nav_turn_client_conn_close (control);
      nav_turn_client_conn_unref (control);
    }
}

static void
dealloc_done (NavTurnClient  *self,
              Request        *req,
              NavStunMessage *response,
              const GError   *error)
{
  GTask *task = req->data;
  GError *e = NULL;

  if (response == NULL)
    e = nav_turn_error_from_transaction (self, error, "Refresh");
  else if (nav_stun_message_get_class (response) != NAV_STUN_CLASS_SUCCESS_RESPONSE)
    e = nav_turn_error_from_response (response, "Refresh");
  shutdown_all (self);
  if (task != NULL)
    {
      if (e != NULL)
        g_task_return_error (task, e);
      else
        g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
  else
    g_clear_error (&e);
}

void
nav_turn_client_close_async (NavTurnClient       *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;
  Request *req;
  gboolean was_allocated;

  g_return_if_fail (NAV_IS_TURN_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nav_turn_client_close_async);
  was_allocated = self->allocated && !self->closed && self->control != NULL &&
                  !self->control->dead;
  stop_timers (self);
  self->allocated = FALSE;
  self->closed = TRUE;
  if (self->allocate_task != NULL)
    {
      GTask *pending = g_steal_pointer (&self->allocate_task);

      g_task_return_new_error (pending, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               _("The TURN client was closed"));
      g_object_unref (pending);
    }
  if (!was_allocated)
    {
      shutdown_all (self);
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  /* RFC 8656 §7.3: a Refresh with a zero lifetime deletes the allocation. */
  req = nav_turn_request_new (self, NAV_STUN_METHOD_REFRESH, self->control, dealloc_done);
  req->lifetime = 0;
  req->data = task;
  nav_turn_request_send (self, req);
}

gboolean
nav_turn_client_close_finish (NavTurnClient  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Accessors */

/* The sockets to the server: the control connection's and, for an
 * RFC 6062 allocation, each peer's data connection. */
GPtrArray *
nav_turn_client_dup_sockets (NavTurnClient *self)
{
  GPtrArray *sockets = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  Peer *peer;

  g_return_val_if_fail (NAV_IS_TURN_CLIENT (self), sockets);

  nav_turn_client_conn_add_socket (sockets, self->control);
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &peer))
    nav_turn_client_conn_add_socket (sockets, peer->data_conn);
  return sockets;
}

gboolean
nav_turn_client_is_allocated (NavTurnClient *self)
{
  return self->allocated && !self->closed;
}

guint
nav_turn_client_get_n_relayed_addresses (NavTurnClient *self)
{
  return self->n_relayed;
}

const NavAddress *
nav_turn_client_get_relayed_address (NavTurnClient *self,
                                     guint          index_)
{
  return index_ < self->n_relayed ? &self->relayed[index_] : NULL;
}

const NavAddress *
nav_turn_client_get_mapped_address (NavTurnClient *self)
{
  return self->allocated ? &self->mapped : NULL;
}

const NavAddress *
nav_turn_client_get_local_address (NavTurnClient *self)
{
  return self->control != NULL ? &self->control->local : NULL;
}

const NavAddress *
nav_turn_client_get_server_address (NavTurnClient *self)
{
  return &self->cfg.server;
}

guint
nav_turn_client_get_lifetime (NavTurnClient *self)
{
  return self->lifetime;
}

const gchar *
nav_turn_client_get_realm (NavTurnClient *self)
{
  return self->realm;
}

gboolean
nav_turn_client_is_reliable (NavTurnClient *self)
{
  return self->cfg.tcp_relay;
}

gboolean
nav_turn_client_is_tcp_relay (NavTurnClient *self)
{
  return self->cfg.tcp_relay;
}

guint64
nav_turn_client_get_garbage (NavTurnClient *self)
{
  return self->garbage;
}

guint
nav_turn_client_get_refreshes (NavTurnClient *self)
{
  return self->refreshes;
}

guint
nav_turn_client_get_stale_nonces (NavTurnClient *self)
{
  return self->stale_nonces;
}

void
nav_turn_client_set_receive_func (NavTurnClient            *self,
                                  NavTurnClientReceiveFunc  func,
                                  gpointer                  user_data)
{
  self->recv_func = func;
  self->recv_data = user_data;
}

/* GObject */

NavTurnClient *
nav_turn_client_new (GMainContext              *context,
                     const NavTurnClientConfig *config)
{
  NavTurnClient *self = g_object_new (NAV_TYPE_TURN_CLIENT, NULL);

  self->context = context != NULL ? g_main_context_ref (context)
                                  : g_main_context_ref_thread_default ();
  config_copy (&self->cfg, config);
  self->dont_fragment = config->dont_fragment;
  return self;
}

static void
nav_turn_client_dispose (GObject *object)
{
  NavTurnClient *self = NAV_TURN_CLIENT (object);

  self->closed = TRUE;
  if (self->allocate_task != NULL)
    {
      GTask *pending = g_steal_pointer (&self->allocate_task);

      g_task_return_new_error (pending, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               _("The TURN client was closed"));
      g_object_unref (pending);
    }
  if (self->pending != NULL)
    shutdown_all (self);

  G_OBJECT_CLASS (nav_turn_client_parent_class)->dispose (object);
}

static void
nav_turn_client_finalize (GObject *object)
{
  NavTurnClient *self = NAV_TURN_CLIENT (object);

  g_hash_table_unref (self->pending);
  g_hash_table_unref (self->channels);
  g_hash_table_unref (self->peers);
  g_ptr_array_unref (self->data_conns);
  g_clear_pointer (&self->reader, nav_net_udp_reader_free);
  g_free (self->realm);
  g_free (self->nonce);
  g_free (self->algorithms);
  g_clear_pointer (&self->key, g_bytes_unref);
  nav_turn_client_config_clear (&self->cfg);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (nav_turn_client_parent_class)->finalize (object);
}

static void
nav_turn_client_class_init (NavTurnClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nav_turn_client_dispose;
  object_class->finalize = nav_turn_client_finalize;

  /* Emitted once when an established allocation is lost: the server
   * connection closed, a Refresh failed. */
  nav_turn_client_signals[NAV_TURN_CLIENT_SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
  /* Emitted when a permission, a channel or a peer connection fails; the
   * data waiting for it is dropped. */
  nav_turn_client_signals[NAV_TURN_CLIENT_SIGNAL_PEER_ERROR] =
    g_signal_new ("peer-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  NAV_TYPE_ADDRESS | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
nav_turn_client_init (NavTurnClient *self)
{
  self->pending = nav_stun_transaction_table_new (NULL);
  self->peers = g_hash_table_new_full ((GHashFunc) nav_address_hash,
                                       (GEqualFunc) nav_address_equal,
                                       NULL, (GDestroyNotify) nav_turn_peer_free);
  self->channels = g_hash_table_new (NULL, NULL);
  self->data_conns = g_ptr_array_new ();
  self->next_channel = NAV_STUN_CHANNEL_NUMBER_MIN;
  self->algorithm = NAV_STUN_PASSWORD_ALGORITHM_MD5;
}
