/* nav-turn-client.c: a TURN allocation, client side (RFC 8656, RFC 6062,
 * RFC 6156)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-turn-client.h"

#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

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
 * the transactions of the `stun` module (RFC 8489 §6.2 retransmissions over
 * UDP, Ti over TCP and TLS).
 */

G_DEFINE_QUARK (nav-turn-client-error-quark, nav_turn_client_error)

#define UDP_SOCKET_BUFFER (1024 * 1024)
#define MAX_QUEUED 1024         /* per peer, waiting for a permission */
#define MAX_WRITE_QUEUE 8192    /* per stream */
#define READ_SIZE 65536
#define MAINTENANCE_INTERVAL_S 15
#define MAX_REDIRECTS 3
#define PROTO_UDP 17
#define PROTO_TCP 6

typedef struct _Conn Conn;
typedef struct _Request Request;
typedef struct _Peer Peer;

typedef void (*ConnReadyFunc) (Conn *conn, const GError *error, gpointer user_data);
typedef void (*RequestDoneFunc) (NavTurnClient  *self,
                                 Request        *req,
                                 NavStunMessage *response,
                                 const GError   *error);

/* A connection to the server: the control connection, or an RFC 6062 data
 * connection. */
struct _Conn
{
  gint ref_count;
  NavTurnClient *client;        /* weak; NULL once closed */
  gboolean udp;
  gboolean control;
  gboolean up;
  gboolean dead;
  gboolean timed_out;

  GSocket *socket;              /* UDP */
  GSource *source;

  GSocketConnection *connection;        /* TCP and TLS */
  GIOStream *stream;
  GCancellable *cancellable;
  GSource *timeout;
  GByteArray *in;
  guint8 *rbuf;
  GQueue out;                   /* of GBytes */
  gboolean writing;

  NavAddress local;
  ConnReadyFunc ready;
  gpointer ready_data;

  /* RFC 6062 data connections */
  gboolean raw;
  NavAddress peer;
  guint32 connection_id;
};

struct _Request
{
  NavTurnClient *client;
  guint method;
  Conn *conn;                   /* strong */
  NavStunTransaction *transaction;
  guint auth_tries;
  guint stale_tries;
  gboolean sent_credentials;

  gboolean has_peer;
  NavAddress peer;
  guint16 channel;
  gint lifetime;                /* -1: no LIFETIME */
  gboolean has_connection_id;
  guint32 connection_id;

  RequestDoneFunc done;
  gpointer data;
};

struct _Peer
{
  NavAddress addr;
  guint16 channel;
  gboolean perm_ok, perm_pending;
  gboolean chan_ok, chan_pending;
  gint64 perm_time, chan_time;
  GQueue queue;                 /* of GBytes, waiting */
  /* RFC 6062 */
  Conn *data_conn;              /* strong, once bound */
  gboolean connecting;
  GList *waiters;               /* of GTask */
  GList *perm_waiters;          /* of GTask, nav_turn_client_permit_async() */
};

struct _NavTurnClient
{
  GObject parent_instance;

  GMainContext *context;
  NavTurnClientConfig cfg;
  NavTurnClientReceiveFunc recv_func;
  gpointer recv_data;

  Conn *control;
  GHashTable *pending;          /* transaction id -> Request* */
  GPtrArray *data_conns;        /* of Conn*, being bound */

  gchar *realm;
  gchar *nonce;
  GBytes *key;
  guint algorithm;
  guint16 *algorithms;
  gsize n_algorithms;

  gboolean dont_fragment;
  guint redirects;
  GTask *allocate_task;
  gboolean allocated;
  gboolean closed;
  NavAddress relayed[2];
  guint n_relayed;
  NavAddress mapped;
  guint lifetime;
  GSource *refresh_timer;
  GSource *maintenance_timer;

  GHashTable *peers;            /* NavAddress* -> Peer* */
  GHashTable *channels;         /* channel -> Peer* (borrowed) */
  guint16 next_channel;

  guint64 garbage;
  guint refreshes;
  guint stale_nonces;
};

enum {
  SIGNAL_CLOSED,
  SIGNAL_PEER_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (NavTurnClient, nav_turn_client, G_TYPE_OBJECT)

static void conn_close (Conn *conn);
static void conn_unref (Conn *conn);
static void client_fail (NavTurnClient *self, const GError *error);
static void handle_frame (NavTurnClient *self, Conn *conn, const guint8 *data, gsize len);
static void peer_flush (NavTurnClient *self, Peer *peer);
static void peer_fail (NavTurnClient *self, Peer *peer, const GError *error);
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

/* Framing (RFC 8656 §12.5): over TCP and TLS, STUN messages and
 * ChannelData messages share the stream; the first two bits tell them
 * apart, and ChannelData is padded to four bytes. */
gssize
nav_turn_frame_length (const guint8 *data,
                       gsize         length)
{
  gsize body;

  if (length < 4)
    return 0;
  body = ((gsize) data[2] << 8) | data[3];
  if ((data[0] & 0xC0) == 0x40)
    {
      guint16 channel = ((guint16) data[0] << 8) | data[1];

      if (channel < NAV_STUN_CHANNEL_NUMBER_MIN || channel > NAV_STUN_CHANNEL_NUMBER_MAX)
        return -1;
      return NAV_STUN_CHANNEL_DATA_HEADER_LENGTH + ((body + 3) & ~(gsize) 3);
    }
  if ((data[0] & 0xC0) == 0)
    {
      if (length < 8)
        return 0;
      if ((body & 3) != 0 ||
          data[4] != 0x21 || data[5] != 0x12 || data[6] != 0xA4 || data[7] != 0x42)
        return -1;
      return NAV_STUN_HEADER_LENGTH + body;
    }
  return -1;
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

static GError *
error_from_response (NavStunMessage *response,
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

static GError *
error_from_transaction (NavTurnClient *self,
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

/* Connections */

static Conn *
conn_ref (Conn *conn)
{
  conn->ref_count++;
  return conn;
}

/* Connections alive in the process, for tests that must not end while a
 * TLS handshake thread still runs. */
static gint live_connections;

guint
nav_turn_client_get_live_connections (void)
{
  return g_atomic_int_get (&live_connections);
}

static void
conn_unref (Conn *conn)
{
  if (conn == NULL || --conn->ref_count > 0)
    return;
  g_atomic_int_add (&live_connections, -1);
  g_assert (conn->source == NULL && conn->timeout == NULL);
  g_clear_object (&conn->socket);
  g_clear_object (&conn->stream);
  g_clear_object (&conn->connection);
  g_clear_object (&conn->cancellable);
  g_queue_clear_full (&conn->out, (GDestroyNotify) g_bytes_unref);
  if (conn->in != NULL)
    g_byte_array_unref (conn->in);
  g_free (conn->rbuf);
  g_free (conn);
}

static void
destroy_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* Fails every request waiting on @conn. */
static void
fail_requests_on (NavTurnClient *self,
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
      conn_ref (conn);
      ready (conn, error, conn->ready_data);
      conn_close (conn);
      conn_unref (conn);
      return;
    }
  conn_ref (conn);
  /* Failing a request may drop the last reference to the client (the
   * task of a close_async() waiting for its Refresh holds it). */
  g_object_ref (self);
  fail_requests_on (self, conn, error);
  if (conn->control)
    client_fail (self, error);
  else if (conn->raw)
    {
      Peer *peer = g_hash_table_lookup (self->peers, &conn->peer);

      if (peer != NULL && peer->data_conn == conn)
        {
          peer->data_conn = NULL;
          conn_close (conn);
          conn_unref (conn);
        }
    }
  conn_close (conn);
  conn_unref (conn);
  g_object_unref (self);
}

static void
stream_closed (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
  g_atomic_int_add (&live_connections, -1);
}

static void
conn_close (Conn *conn)
{
  if (conn->dead)
    return;
  conn->dead = TRUE;
  destroy_source (&conn->source);
  destroy_source (&conn->timeout);
  if (conn->cancellable != NULL)
    g_cancellable_cancel (conn->cancellable);
  if (conn->stream != NULL)
    {
      /* Counted as alive until closed: TLS closes in a thread. */
      g_atomic_int_inc (&live_connections);
      g_main_context_push_thread_default (conn->client->context);
      g_io_stream_close_async (conn->stream, G_PRIORITY_DEFAULT, NULL, stream_closed, NULL);
      g_main_context_pop_thread_default (conn->client->context);
    }
  if (conn->socket != NULL)
    g_socket_close (conn->socket, NULL);
  conn->client = NULL;
}

/* UDP */

static gboolean
udp_readable (GSocket      *socket,
              GIOCondition  condition,
              gpointer      user_data)
{
  Conn *conn = user_data;
  guint8 buf[65536];

  conn_ref (conn);
  for (guint i = 0; i < 64 && !conn->dead; i++)
    {
      g_autoptr (GError) error = NULL;
      gssize n = g_socket_receive (conn->socket, (gchar *) buf, sizeof buf, NULL, &error);

      if (n < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            break;
          /* The socket is connected: ICMP unreachable comes back here. */
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
              g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
              g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE))
            {
              g_autoptr (GError) e =
                g_error_new (NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_UNREACHABLE,
                             _("The TURN server is unreachable: %s"), error->message);

              conn_lost (conn, e);
            }
          break;
        }
      handle_frame (conn->client, conn, buf, n);
    }
  conn_unref (conn);
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
  conn->source = g_socket_create_source (conn->socket, G_IO_IN, NULL);
  g_source_set_callback (conn->source, G_SOURCE_FUNC (udp_readable), conn, NULL);
  g_source_set_static_name (conn->source, "[nav-turn] udp");
  g_source_attach (conn->source, self->context);
  conn->up = TRUE;
  return TRUE;
}

/* TCP and TLS */

static void stream_read (Conn *conn);

static void
stream_process (Conn *conn)
{
  gsize off = 0;
  gboolean resyncing = FALSE;

  while (!conn->dead && off < conn->in->len)
    {
      const guint8 *p = conn->in->data + off;
      gsize avail = conn->in->len - off;
      gssize flen;

      if (conn->raw)
        {
          NavTurnClient *self = conn->client;

          if (self->recv_func != NULL)
            self->recv_func (self, p, avail, &conn->peer, self->recv_data);
          off += avail;
          break;
        }
      flen = nav_turn_frame_length (p, avail);
      if (flen == 0 || (flen > 0 && (gsize) flen > avail))
        break;
      if (flen < 0)
        {
          /* Not a frame: skip a byte at a time to the next plausible one,
           * counting the run once. */
          if (!resyncing)
            conn->client->garbage++;
          resyncing = TRUE;
          off++;
          continue;
        }
      resyncing = FALSE;
      handle_frame (conn->client, conn, p, flen);
      off += flen;
    }
  if (off > 0 && !conn->dead)
    g_byte_array_remove_range (conn->in, 0, MIN (off, conn->in->len));
}

static void
stream_read_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Conn *conn = user_data;
  g_autoptr (GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (conn->dead)
    goto out;
  if (n <= 0)
    {
      g_autoptr (GError) e =
        g_error_new (NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_CLOSED,
                     _("The TURN server closed the connection%s%s"),
                     error != NULL ? ": " : "", error != NULL ? error->message : "");

      conn_lost (conn, e);
      goto out;
    }
  g_byte_array_append (conn->in, conn->rbuf, n);
  stream_process (conn);
  if (!conn->dead)
    stream_read (conn);
out:
  conn_unref (conn);
}

static void
stream_read (Conn *conn)
{
  NavTurnClient *self = conn->client;

  g_main_context_push_thread_default (self->context);
  g_input_stream_read_async (g_io_stream_get_input_stream (conn->stream),
                             conn->rbuf, READ_SIZE, G_PRIORITY_DEFAULT,
                             conn->cancellable, stream_read_done, conn_ref (conn));
  g_main_context_pop_thread_default (self->context);
}

static void stream_write_next (Conn *conn);

static void
stream_write_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Conn *conn = user_data;
  g_autoptr (GError) error = NULL;

  conn->writing = FALSE;
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      if (!conn->dead)
        {
          g_autoptr (GError) e =
            g_error_new (NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_CLOSED,
                         _("Writing to the TURN server failed: %s"), error->message);

          conn_lost (conn, e);
        }
    }
  else
    {
      g_bytes_unref (g_queue_pop_head (&conn->out));
      if (!conn->dead)
        stream_write_next (conn);
    }
  conn_unref (conn);
}

static void
stream_write_next (Conn *conn)
{
  GBytes *bytes = g_queue_peek_head (&conn->out);
  gsize len;
  const guint8 *data;

  if (bytes == NULL || conn->writing || !conn->up)
    return;
  data = g_bytes_get_data (bytes, &len);
  conn->writing = TRUE;
  g_main_context_push_thread_default (conn->client->context);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (conn->stream),
                                   data, len, G_PRIORITY_DEFAULT, conn->cancellable,
                                   stream_write_done, conn_ref (conn));
  g_main_context_pop_thread_default (conn->client->context);
}

static gboolean
conn_write (Conn          *conn,
            GBytes        *bytes,
            GError       **error)
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
      g_autoptr (GError) local_error = NULL;

      if (g_socket_send (conn->socket, (const gchar *) data, len, NULL, &local_error) < 0)
        {
          /* A full socket buffer loses the datagram, as the network would. */
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return TRUE;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      return TRUE;
    }
  if (g_queue_get_length (&conn->out) >= MAX_WRITE_QUEUE)
    {
      g_set_error_literal (error, NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_QUEUE_FULL,
                           _("Too much data waits to be written to the TURN server"));
      return FALSE;
    }
  g_queue_push_tail (&conn->out, g_bytes_ref (bytes));
  stream_write_next (conn);
  return TRUE;
}

static void
conn_set_up (Conn *conn)
{
  ConnReadyFunc ready = conn->ready;

  destroy_source (&conn->timeout);
  conn->up = TRUE;
  conn->ready = NULL;
  conn->in = g_byte_array_new ();
  conn->rbuf = g_malloc (READ_SIZE);
  stream_read (conn);
  stream_write_next (conn);
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
  if (conn->timed_out)
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
conn_connect_failed (Conn         *conn,
                     const GError *error)
{
  g_autoptr (GError) e = NULL;

  if (conn->dead)
    return;
  e = connect_error (conn, error);
  conn_lost (conn, e);
}

static void
handshake_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Conn *conn = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    conn_connect_failed (conn, error);
  else if (!conn->dead)
    conn_set_up (conn);
  conn_unref (conn);
}

static gboolean
accept_any_certificate (GTlsConnection       *connection,
                        GTlsCertificate      *peer_cert,
                        GTlsCertificateFlags  errors,
                        gpointer              user_data)
{
  return TRUE;
}

static void
connect_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Conn *conn = user_data;
  NavTurnClient *self;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GSocketConnectable) identity = NULL;
  GIOStream *tls;

  conn->connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (conn->dead)
    goto out;
  if (conn->connection == NULL)
    {
      conn_connect_failed (conn, error);
      goto out;
    }
  self = conn->client;
  local = g_socket_connection_get_local_address (conn->connection, NULL);
  if (local != NULL)
    nav_address_set_from_socket_address (&conn->local, local, NULL);
  g_socket_set_option (g_socket_connection_get_socket (conn->connection),
                       IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  if (self->cfg.protocol != NAV_STUN_PROTOCOL_TLS)
    {
      conn->stream = G_IO_STREAM (g_object_ref (conn->connection));
      conn_set_up (conn);
      goto out;
    }

  if (self->cfg.server_name != NULL)
    identity = g_network_address_new (self->cfg.server_name,
                                      nav_address_get_port (&self->cfg.server));
  tls = g_tls_client_connection_new (G_IO_STREAM (conn->connection), identity, &error);
  if (tls == NULL)
    {
      conn_connect_failed (conn, error);
      goto out;
    }
  conn->stream = tls;
  if (self->cfg.tls_ca_file != NULL)
    {
      g_autoptr (GTlsDatabase) db = g_tls_file_database_new (self->cfg.tls_ca_file, &error);

      if (db == NULL)
        {
          conn_connect_failed (conn, error);
          goto out;
        }
      g_tls_connection_set_database (G_TLS_CONNECTION (tls), db);
    }
  if (self->cfg.tls_insecure)
    g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any_certificate), NULL);
  g_main_context_push_thread_default (self->context);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
                                    conn->cancellable, handshake_done, conn_ref (conn));
  g_main_context_pop_thread_default (self->context);
out:
  conn_unref (conn);
}

static gboolean
on_connect_timeout (gpointer user_data)
{
  Conn *conn = user_data;

  conn->timed_out = TRUE;
  g_clear_pointer (&conn->timeout, g_source_unref);
  g_cancellable_cancel (conn->cancellable);
  return G_SOURCE_REMOVE;
}

/* Opens a connection to the server; @ready is called once, in the
 * client's context, unless the connection is closed first. */
static Conn *
conn_open (NavTurnClient *self,
           gboolean       control,
           ConnReadyFunc  ready,
           gpointer       ready_data)
{
  Conn *conn = g_new0 (Conn, 1);

  g_atomic_int_inc (&live_connections);
  conn->ref_count = 1;
  conn->client = self;
  conn->control = control;
  conn->udp = self->cfg.protocol == NAV_STUN_PROTOCOL_UDP;
  conn->ready = ready;
  conn->ready_data = ready_data;
  conn->cancellable = g_cancellable_new ();
  nav_address_init (&conn->local);
  g_queue_init (&conn->out);

  if (conn->udp)
    {
      g_autoptr (GError) error = NULL;

      if (!udp_open (self, conn, &error))
        {
          conn_ref (conn);
          conn_lost (conn, error);
          conn_unref (conn);
          return conn;
        }
      conn->ready = NULL;
      ready (conn, NULL, ready_data);
    }
  else
    {
      g_autoptr (GSocketClient) client = g_socket_client_new ();
      g_autoptr (GSocketAddress) address = nav_address_to_socket_address (&self->cfg.server);

      /* The connect timeout bounds the TCP connect and the TLS handshake:
       * gathering must never hang on a dead server. */
      conn->timeout = g_timeout_source_new (MAX (self->cfg.connect_timeout_ms, 1));
      g_source_set_callback (conn->timeout, on_connect_timeout, conn, NULL);
      g_source_set_static_name (conn->timeout, "[nav-turn] connect timeout");
      g_source_attach (conn->timeout, self->context);
      g_main_context_push_thread_default (self->context);
      g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address),
                                     conn->cancellable, connect_done, conn_ref (conn));
      g_main_context_pop_thread_default (self->context);
    }
  return conn;
}

/* Requests */

static void
request_free (Request *req)
{
  nav_stun_transaction_free (req->transaction);
  conn_unref (req->conn);
  g_free (req);
}

static Request *
request_new (NavTurnClient   *self,
             guint            method,
             Conn            *conn,
             RequestDoneFunc  done)
{
  Request *req = g_new0 (Request, 1);

  req->client = self;
  req->method = method;
  req->conn = conn_ref (conn);
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
      ok = nav_stun_message_builder_add_requested_transport (b, self->cfg.tcp_relay ? PROTO_TCP
                                                                                   : PROTO_UDP,
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

  if (!conn_write (req->conn, bytes, &local_error))
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

static void
request_send (NavTurnClient *self,
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
          request_send (self, req);
          return;
        }
      if (code == NAV_STUN_ERROR_CODE_STALE_NONCE && req->stale_tries < 3 &&
          take_auth_challenge (self, response))
        {
          g_debug ("event=turn-stale-nonce method=%s", method_name (req->method));
          req->stale_tries++;
          self->stale_nonces++;
          request_send (self, req);
          return;
        }
    }
  req->done (self, req, response, error);
  request_free (req);
}

/* Reading */

static Peer *
peer_lookup (NavTurnClient    *self,
             const NavAddress *addr)
{
  return g_hash_table_lookup (self->peers, addr);
}

static void
deliver (NavTurnClient    *self,
         const guint8     *data,
         gsize             len,
         const NavAddress *from)
{
  if (self->recv_func != NULL)
    self->recv_func (self, data, len, from, self->recv_data);
}

static void accept_connection (NavTurnClient *self, const NavAddress *peer, guint32 id);

static void
handle_frame (NavTurnClient *self,
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
      deliver (self, payload, plen, &peer->addr);
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
          deliver (self, payload, dlen, &peer);
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
          accept_connection (self, &peer, id);
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

void
nav_turn_client_feed_stream (NavTurnClient *self,
                             const guint8  *data,
                             gsize          length)
{
  g_return_if_fail (NAV_IS_TURN_CLIENT (self));

  if (self->control == NULL)
    {
      self->control = g_new0 (Conn, 1);
      g_atomic_int_inc (&live_connections);
      self->control->ref_count = 1;
      self->control->client = self;
      self->control->control = TRUE;
      self->control->up = TRUE;
      g_queue_init (&self->control->out);
      self->control->in = g_byte_array_new ();
    }
  g_byte_array_append (self->control->in, data, length);
  stream_process (self->control);
}

/* Failure and close */

static void
stop_timers (NavTurnClient *self)
{
  destroy_source (&self->refresh_timer);
  destroy_source (&self->maintenance_timer);
}

static void
client_fail (NavTurnClient *self,
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
    peer_fail (self, value, error);
  if (self->allocated)
    {
      self->allocated = FALSE;
      g_signal_emit (self, signals[SIGNAL_CLOSED], 0, error);
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
  req = request_new (self, NAV_STUN_METHOD_REFRESH, self->control, refresh_done);
  req->lifetime = self->cfg.lifetime > 0 ? (gint) self->cfg.lifetime : (gint) self->lifetime;
  request_send (self, req);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (NavTurnClient *self)
{
  guint delay;

  destroy_source (&self->refresh_timer);
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
    e = error_from_transaction (self, error, "Refresh");
  else if (nav_stun_message_get_class (response) != NAV_STUN_CLASS_SUCCESS_RESPONSE)
    e = error_from_response (response, "Refresh");
  if (e != NULL)
    {
      client_fail (self, e);
      return;
    }
  self->refreshes++;
  if (nav_stun_message_get_uint32 (response, NAV_STUN_ATTRIBUTE_LIFETIME, &lifetime, NULL))
    self->lifetime = lifetime;
  g_debug ("event=turn-refreshed lifetime=%u", self->lifetime);
  schedule_refresh (self);
}

static void create_permission (NavTurnClient *self, Peer *peer);
static void bind_channel (NavTurnClient *self, Peer *peer);

static gboolean
on_maintenance (gpointer user_data)
{
  NavTurnClient *self = user_data;
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
      allocate_return (self, error_from_transaction (self, error, "Allocate"));
      return;
    }
  if (nav_stun_message_get_class (response) == NAV_STUN_CLASS_ERROR_RESPONSE)
    {
      code = response_code (response, NULL);
      if (code == NAV_STUN_ERROR_CODE_TRY_ALTERNATE && self->redirects < MAX_REDIRECTS)
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
          req = request_new (self, NAV_STUN_METHOD_ALLOCATE, self->control, allocate_done);
          if (self->cfg.lifetime > 0)
            req->lifetime = self->cfg.lifetime;
          request_send (self, req);
          return;
        }
      allocate_return (self, error_from_response (response, "Allocate"));
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
  req = request_new (self, NAV_STUN_METHOD_ALLOCATE, conn, allocate_done);
  if (self->cfg.lifetime > 0)
    req->lifetime = self->cfg.lifetime;
  request_send (self, req);
}

static void
send_allocate (NavTurnClient *self)
{
  Conn *old = g_steal_pointer (&self->control);

  if (old != NULL)
    {
      conn_close (old);
      conn_unref (old);
    }
  self->control = conn_open (self, TRUE, control_ready, self);
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

/* Peers, permissions and channels */

static void
peer_free (Peer *peer)
{
  g_queue_clear_full (&peer->queue, (GDestroyNotify) g_bytes_unref);
  if (peer->data_conn != NULL)
    {
      conn_close (peer->data_conn);
      conn_unref (peer->data_conn);
    }
  g_list_free_full (peer->waiters, g_object_unref);
  g_list_free_full (peer->perm_waiters, g_object_unref);
  g_free (peer);
}

static Peer *
peer_get (NavTurnClient    *self,
          const NavAddress *addr)
{
  Peer *peer = peer_lookup (self, addr);

  if (peer == NULL)
    {
      peer = g_new0 (Peer, 1);
      peer->addr = *addr;
      g_queue_init (&peer->queue);
      g_hash_table_insert (self->peers, &peer->addr, peer);
    }
  return peer;
}

static void
peer_fail (NavTurnClient *self,
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
    g_signal_emit (self, signals[SIGNAL_PEER_ERROR], 0, &peer->addr, error);
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
      return conn_write (peer->data_conn, bytes, error);
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
  return conn_write (self->control, bytes, error);
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
    e = error_from_transaction (self, error, what);
  else if (nav_stun_message_get_class (response) != NAV_STUN_CLASS_SUCCESS_RESPONSE)
    e = error_from_response (response, what);
  if (e == NULL)
    return FALSE;
  if (!self->closed)
    {
      g_debug ("event=turn-peer-error error=\"%s\"", e->message);
      peer_fail (self, peer, e);
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
  Peer *peer = peer_lookup (self, &req->peer);

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
  Request *req = request_new (self, NAV_STUN_METHOD_CREATE_PERMISSION, self->control,
                              permission_done);

  req->has_peer = TRUE;
  req->peer = peer->addr;
  req->data = (gpointer) then;
  peer->perm_pending = TRUE;
  request_send (self, req);
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
  Peer *peer = peer_lookup (self, &req->peer);

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
  req = request_new (self, NAV_STUN_METHOD_CHANNEL_BIND, self->control, channel_done);
  req->has_peer = TRUE;
  req->peer = peer->addr;
  req->channel = peer->channel;
  peer->chan_pending = TRUE;
  request_send (self, req);
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
      conn_close (conn);
      conn_unref (conn);
      return;
    }
  /* RFC 6062 §4.3: from here on the connection carries the peer's bytes. */
  conn->raw = TRUE;
  if (peer->data_conn != NULL)
    {
      conn_close (peer->data_conn);
      conn_unref (peer->data_conn);
    }
  peer->data_conn = conn;
  peer->connecting = FALSE;
  peer_flush (self, peer);
  for (GList *l = peer->waiters; l != NULL; l = l->next)
    g_task_return_boolean (l->data, TRUE);
  g_list_free_full (g_steal_pointer (&peer->waiters), g_object_unref);
  /* Bytes that followed the response in the same read are the peer's:
   * stream_process() hands them over raw. */
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
          peer_fail (self, peer_get (self, &conn->peer), error);
          conn_unref (conn);
        }
      return;
    }
  req = request_new (self, NAV_STUN_METHOD_CONNECTION_BIND, conn, data_conn_bound);
  req->has_connection_id = TRUE;
  req->connection_id = conn->connection_id;
  request_send (self, req);
}

static void
open_data_conn (NavTurnClient    *self,
                const NavAddress *peer,
                guint32           id)
{
  Conn *conn = conn_open (self, FALSE, data_conn_ready, self);

  conn->peer = *peer;
  conn->connection_id = id;
  if (!conn->dead)
    g_ptr_array_add (self->data_conns, conn);
  else
    conn_unref (conn);
}

static void
accept_connection (NavTurnClient    *self,
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
  Peer *peer = peer_lookup (self, &req->peer);
  guint32 id;

  if (peer == NULL || self->closed ||
      peer_error_response (self, peer, response, error, "Connect"))
    return;
  if (!nav_stun_message_get_uint32 (response, NAV_STUN_ATTRIBUTE_CONNECTION_ID, &id, NULL))
    {
      g_autoptr (GError) e =
        g_error_new_literal (NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_BAD_RESPONSE,
                             _("The Connect response lacks CONNECTION-ID"));

      peer_fail (self, peer, e);
      return;
    }
  open_data_conn (self, &peer->addr, id);
}

static void
send_connect (NavTurnClient *self,
              Peer          *peer)
{
  Request *req = request_new (self, NAV_STUN_METHOD_CONNECT, self->control, connect_done_cb);

  req->has_peer = TRUE;
  req->peer = peer->addr;
  request_send (self, req);
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

/* Close */

static void
shutdown_all (NavTurnClient *self)
{
  stop_timers (self);
  g_hash_table_remove_all (self->channels);
  g_hash_table_remove_all (self->peers);
  for (guint i = 0; i < self->data_conns->len; i++)
    {
      conn_close (self->data_conns->pdata[i]);
      conn_unref (self->data_conns->pdata[i]);
    }
  g_ptr_array_set_size (self->data_conns, 0);
  {
    g_autoptr (GError) error =
      g_error_new_literal (NAV_TURN_CLIENT_ERROR, NAV_TURN_CLIENT_ERROR_CLOSED,
                           _("The TURN allocation is closed"));

    fail_requests_on (self, NULL, error);
  }
  if (self->control != NULL)
    {
      Conn *control = g_steal_pointer (&self->control);

      conn_close (control);
      conn_unref (control);
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
    e = error_from_transaction (self, error, "Refresh");
  else if (nav_stun_message_get_class (response) != NAV_STUN_CLASS_SUCCESS_RESPONSE)
    e = error_from_response (response, "Refresh");
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
  req = request_new (self, NAV_STUN_METHOD_REFRESH, self->control, dealloc_done);
  req->lifetime = 0;
  req->data = task;
  request_send (self, req);
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

static void
add_conn_socket (GPtrArray *sockets,
                 Conn      *conn)
{
  GSocket *socket = NULL;

  if (conn == NULL || conn->dead)
    return;
  if (conn->socket != NULL)
    socket = conn->socket;
  else if (conn->connection != NULL)
    socket = g_socket_connection_get_socket (conn->connection);
  if (socket != NULL && !g_ptr_array_find (sockets, socket, NULL))
    g_ptr_array_add (sockets, g_object_ref (socket));
}

/* The sockets to the server: the control connection's and, for an
 * RFC 6062 allocation, each peer's data connection. */
GPtrArray *
nav_turn_client_dup_sockets (NavTurnClient *self)
{
  GPtrArray *sockets = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  Peer *peer;

  g_return_val_if_fail (NAV_IS_TURN_CLIENT (self), sockets);

  add_conn_socket (sockets, self->control);
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &peer))
    add_conn_socket (sockets, peer->data_conn);
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
  g_free (self->realm);
  g_free (self->nonce);
  g_free (self->algorithms);
  g_clear_pointer (&self->key, g_bytes_unref);
  nav_turn_client_config_clear (&self->cfg);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (nav_turn_client_parent_class)->finalize (object);
}

static guint
id_hash (gconstpointer key)
{
  guint h;

  memcpy (&h, key, sizeof h);
  return h;
}

static gboolean
id_equal (gconstpointer a,
          gconstpointer b)
{
  return memcmp (a, b, NAV_STUN_TRANSACTION_ID_LENGTH) == 0;
}

static void
nav_turn_client_class_init (NavTurnClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nav_turn_client_dispose;
  object_class->finalize = nav_turn_client_finalize;

  /* Emitted once when an established allocation is lost: the server
   * connection closed, a Refresh failed. */
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
  /* Emitted when a permission, a channel or a peer connection fails; the
   * data waiting for it is dropped. */
  signals[SIGNAL_PEER_ERROR] =
    g_signal_new ("peer-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  NAV_TYPE_ADDRESS | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
nav_turn_client_init (NavTurnClient *self)
{
  self->pending = g_hash_table_new (id_hash, id_equal);
  self->peers = g_hash_table_new_full ((GHashFunc) nav_address_hash,
                                       (GEqualFunc) nav_address_equal,
                                       NULL, (GDestroyNotify) peer_free);
  self->channels = g_hash_table_new (NULL, NULL);
  self->data_conns = g_ptr_array_new ();
  self->next_channel = NAV_STUN_CHANNEL_NUMBER_MIN;
  self->algorithm = NAV_STUN_PASSWORD_ALGORITHM_MD5;
}
