/* nav-stun-client.c: STUN Binding client over UDP, TCP and TLS
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-stun-client.h"
#include "nav-net-tls.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <glib/gi18n-lib.h>
#include <glib-unix.h>

/**
 * NavStunClient:
 *
 * Runs STUN Binding transactions (RFC 8489 §6.2): over UDP with
 * retransmissions (RTO, Rc, Rm), over TCP and TLS with the Ti timeout.
 * Server names are resolved with #GResolver, optionally through SRV
 * records (`_stun._udp`, `_stun._tcp`, `_stuns._tcp`, RFC 8489 §8).
 *
 * Over UDP the client keeps one socket per address family for its whole
 * life, so that successive requests share a local transport address, as
 * NAT behaviour discovery (RFC 5780 §4) requires.  Sockets, streams, TLS
 * and the transactions are the core's socket layer (core/net).
 */



typedef struct
{
  NavStunClient *client;
  int fd;
  NavAddress local;
  GSource *source;
} UdpSocket;

/* Responses are small; a few at a time. */
#define UDP_BATCH 8
#define UDP_RECV_SIZE 2048

struct _NavStunClient
{
  GObject parent_instance;

  GMainContext *context;
  NavStunRetransmitParams params;
  GSocketFamily family;
  gchar *local_ip;
  gchar *tls_ca_file;
  gboolean tls_insecure;
  gboolean use_srv;
  gchar *software;

  UdpSocket *udp[2];            /* IPv4, IPv6 */
  NavNetUdpReader *reader;
  GHashTable *pending;          /* transaction id → Request (UDP only) */
};

G_DEFINE_TYPE (NavStunClient, nav_stun_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_FAMILY,
  PROP_LOCAL_IP,
  PROP_TLS_CA_FILE,
  PROP_TLS_INSECURE,
  PROP_USE_SRV,
  PROP_SOFTWARE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

void
nav_stun_binding_result_free (NavStunBindingResult *result)
{
  if (result == NULL)
    return;
  g_free (result->software);
  g_free (result);
}

/* One request in flight.  Every pending asynchronous operation holds a
 * reference, and so does the request itself until it is finished. */

typedef struct
{
  gint ref_count;
  gboolean finished;
  NavStunClient *client;        /* strong */
  GTask *task;                  /* strong, until finished */
  NavStunTransaction *transaction;
  NavStunProtocol protocol;
  NavAddress server;
  gchar *host;                  /* for the TLS server identity */
  UdpSocket *udp;
  GSource *cancel_source;
  NavNetStream *stream;         /* TCP and TLS */
  guint unsent;                 /* UDP transmissions dropped on this host */
  gint unsent_errno;            /* and why, the last time */
} Request;

static Request *
request_ref (Request *r)
{
  r->ref_count++;
  return r;
}

static void
request_unref (Request *r)
{
  if (--r->ref_count > 0)
    return;
  if (r->transaction != NULL)
    nav_stun_transaction_free (r->transaction);
  if (r->stream != NULL)
    {
      nav_net_stream_close (r->stream);
      nav_net_stream_unref (r->stream);
    }
  g_free (r->host);
  g_object_unref (r->client);
  g_free (r);
}

/* Completes the request once: returns the task, stops every timer and
 * I/O, and drops the request's own reference. */
static void
request_finish (Request              *r,
                NavStunBindingResult *result,
                GError               *error)
{
  GTask *task = r->task;

  if (r->finished)
    {
      g_clear_error (&error);
      nav_stun_binding_result_free (result);
      return;
    }
  r->finished = TRUE;
  r->task = NULL;
  nav_net_source_clear (&r->cancel_source);
  if (r->stream != NULL)
    nav_net_stream_close (r->stream);
  if (r->transaction != NULL && r->protocol == NAV_STUN_PROTOCOL_UDP)
    g_hash_table_remove (r->client->pending,
                         nav_stun_transaction_get_id (r->transaction));

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result,
                           (GDestroyNotify) nav_stun_binding_result_free);
  g_object_unref (task);
  request_unref (r);
}

static gboolean
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  Request *r = user_data;
  GError *error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  if (r->transaction != NULL && !nav_stun_transaction_is_done (r->transaction))
    {
      nav_stun_transaction_fail (r->transaction, error);
      g_clear_error (&error);
    }
  else
    request_finish (r, NULL, error);
  return G_SOURCE_REMOVE;
}

static void
transaction_done (NavStunTransaction *transaction,
                  NavStunMessage     *response,
                  const GError       *error,
                  gpointer            user_data)
{
  Request *r = user_data;
  g_autoptr (NavStunBindingResult) result = NULL;
  g_autoptr (GError) local_error = NULL;

  if (g_error_matches (error, NAV_STUN_CLIENT_ERROR, NAV_STUN_CLIENT_ERROR_TIMED_OUT) &&
      r->unsent > 0)
    {
      /* Say so when this host itself dropped requests (see udp_send). */
      request_finish (r, NULL,
                      g_error_new (NAV_STUN_CLIENT_ERROR, NAV_STUN_CLIENT_ERROR_TIMED_OUT,
                                   _("%s (%u of them dropped by this host: %s)"),
                                   error->message, r->unsent, g_strerror (r->unsent_errno)));
      return;
    }
  if (error != NULL)
    {
      request_finish (r, NULL, g_error_copy (error));
      return;
    }

  if (nav_stun_message_get_class (response) == NAV_STUN_CLASS_ERROR_RESPONSE)
    {
      guint code = 0;
      g_autofree gchar *reason = NULL;

      nav_stun_message_get_error_code (response, &code, &reason, NULL);
      request_finish (r, NULL,
                      g_error_new (NAV_STUN_CLIENT_ERROR,
                                   NAV_STUN_CLIENT_ERROR_ERROR_RESPONSE,
                                   _("The server answered with error %u (%s)"),
                                   code, reason != NULL ? reason : ""));
      return;
    }

  result = g_new0 (NavStunBindingResult, 1);
  result->protocol = r->protocol;
  result->server = r->server;
  result->rtt_us = nav_stun_transaction_get_rtt (transaction);
  result->transmissions = nav_stun_transaction_get_transmissions (transaction);
  if (r->udp != NULL)
    result->local = r->udp->local;
  else if (r->stream != NULL)
    result->local = *nav_net_stream_get_local (r->stream);

  /* RFC 8489 §14.2; MAPPED-ADDRESS for servers of RFC 3489's time. */
  if (!nav_stun_message_get_xor_mapped_address (response, &result->mapped, &local_error) &&
      !nav_stun_message_get_mapped_address (response, &result->mapped, NULL))
    {
      request_finish (r, NULL,
                      g_error_new (NAV_STUN_CLIENT_ERROR,
                                   NAV_STUN_CLIENT_ERROR_BAD_RESPONSE,
                                   _("The response has no usable mapped address: %s"),
                                   local_error->message));
      return;
    }
  result->has_response_origin =
    nav_stun_message_get_response_origin (response, &result->response_origin, NULL);
  result->has_other_address =
    nav_stun_message_get_other_address (response, &result->other_address, NULL);
  result->software = nav_stun_message_get_software (response, NULL);

  request_finish (r, g_steal_pointer (&result), NULL);
}

static GBytes *
build_request (NavStunClient             *self,
               NavStunChangeRequestFlags  change,
               GError                   **error)
{
  g_autoptr (NavStunMessageBuilder) b =
    nav_stun_message_builder_new (NAV_STUN_CLASS_REQUEST, NAV_STUN_METHOD_BINDING, NULL);

  if (change != 0 && !nav_stun_message_builder_add_change_request (b, change, error))
    return NULL;
  if (self->software != NULL && !nav_stun_message_builder_add_software (b, self->software, error))
    return NULL;
  /* FINGERPRINT lets the server and middleboxes tell STUN from other
   * protocols (RFC 8489 §7.3); cheap, and coturn adds it too. */
  if (!nav_stun_message_builder_add_fingerprint (b, error))
    return NULL;
  return nav_stun_message_builder_finish (b, error);
}

/* UDP */

static void
fail_pending_to (NavStunClient    *self,
                 const NavAddress *destination,
                 const GError     *error)
{
  GHashTableIter iter;
  gpointer value;
  GPtrArray *victims = g_ptr_array_new ();
  guint i;

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Request *r = value;

      if (nav_address_equal (&r->server, destination))
        g_ptr_array_add (victims, r);
    }
  for (i = 0; i < victims->len; i++)
    {
      Request *r = victims->pdata[i];

      nav_stun_transaction_fail (r->transaction, error);
    }
  g_ptr_array_unref (victims);
}

/* ICMP errors (IP_RECVERR): a closed port on the server fails the
 * transaction at once rather than after 39.5 s. */
static void
udp_drain_errors (UdpSocket *s)
{
  NavAddress offender;
  int errsv;

  while (nav_net_udp_read_error (s->fd, &offender, &errsv))
    if (errsv != 0)
      {
        gchar buf[NAV_ADDRESS_STRING_LEN];
        g_autoptr (GError) error =
          g_error_new (NAV_STUN_CLIENT_ERROR, NAV_STUN_CLIENT_ERROR_UNREACHABLE,
                       _("%s is unreachable: %s"),
                       nav_address_to_string_buf (&offender, buf), g_strerror (errsv));

        fail_pending_to (s->client, &offender, error);
      }
}

static void
udp_datagram (const NavNetDatagram *d,
              gpointer              user_data)
{
  UdpSocket *s = user_data;
  g_autoptr (NavStunMessage) msg = NULL;
  Request *r;

  /* Anything that does not parse, or answers no request of ours, is
   * dropped. */
  if (d->truncated)
    return;
  msg = nav_stun_message_parse (d->data, d->len, NULL);
  if (msg == NULL)
    return;
  r = g_hash_table_lookup (s->client->pending, nav_stun_message_get_transaction_id (msg));
  if (r != NULL)
    nav_stun_transaction_handle_response (r->transaction, msg);
}

static const NavNetUdpFuncs udp_funcs = { udp_datagram, NULL, NULL };

static gboolean
udp_readable (gint         fd,
              GIOCondition condition,
              gpointer     user_data)
{
  UdpSocket *s = user_data;
  NavStunClient *self = s->client;

  g_object_ref (self);
  udp_drain_errors (s);
  if (nav_net_udp_reader_drain (self->reader, fd, &udp_funcs, s) != 0)
    udp_drain_errors (s);
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

static UdpSocket *
get_udp_socket (NavStunClient  *self,
                GSocketFamily   family,
                GError        **error)
{
  guint index = family == G_SOCKET_FAMILY_IPV6 ? 1 : 0;
  UdpSocket *s;
  NavAddress local, bound;
  int fd, errsv = 0;

  if (self->udp[index] != NULL)
    return self->udp[index];

  nav_address_init (&local);
  if (self->local_ip != NULL)
    {
      if (!nav_address_set_from_string (&local, self->local_ip, NULL) &&
          !nav_address_set_ip_from_string (&local, self->local_ip, error))
        return NULL;
      if (nav_address_get_family (&local) != family)
        {
          g_set_error (error, NAV_STUN_CLIENT_ERROR, NAV_STUN_CLIENT_ERROR_RESOLVE_FAILED,
                       _("The local address %s and the server are of different families"),
                       self->local_ip);
          return NULL;
        }
    }
  else
    nav_address_set_ip_from_string (&local, index == 1 ? "::" : "0.0.0.0", NULL);

  fd = nav_net_socket_open (&local, SOCK_DGRAM, NAV_NET_SOCKET_RECVERR, 0, &bound, &errsv);
  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Cannot open a UDP socket: %s"), g_strerror (errsv));
      return NULL;
    }
  if (self->reader == NULL)
    {
      NavNetUdpConfig config = { UDP_BATCH, UDP_RECV_SIZE, 0, 8 };

      self->reader = nav_net_udp_reader_new (&config);
    }

  s = g_new0 (UdpSocket, 1);
  s->client = self;
  s->fd = fd;
  s->local = bound;
  s->source = nav_net_udp_source_new (fd, self->context, G_SOURCE_FUNC (udp_readable), s,
                                      "[nav-stun] client socket");
  self->udp[index] = s;
  return s;
}

static gboolean
udp_send (NavStunTransaction *transaction,
          const guint8       *data,
          gsize               length,
          gpointer            user_data,
          GError            **error)
{
  Request *r = user_data;
  struct sockaddr_storage ss;
  socklen_t sl = nav_address_copy_to_sockaddr (&r->server, (struct sockaddr *) &ss, sizeof ss);

  if (sendto (r->udp->fd, data, length, 0, (struct sockaddr *) &ss, sl) < 0)
    {
      int saved = errno;
      gchar buf[NAV_ADDRESS_STRING_LEN];

      /* A datagram this host drops is a lost datagram, what the
       * retransmissions of RFC 8489 §6.2.1 are for: the transaction goes
       * on and times out only if every transmission is lost.
       *   EAGAIN, ENOBUFS: the socket or device queue is full;
       *   EPERM: netfilter dropped it on its way out (NF_DROP in OUTPUT or
       *     POSTROUTING: a firewall or rate-limit rule, a full conntrack
       *     table, a lossy link emulated on this host).  It is per
       *     datagram, not a verdict on the destination: failing the
       *     transaction on the first one turned 5 % loss into wrong NAT
       *     types (tests/netns, netns-nat-type-loss). */
      if (saved == EAGAIN || saved == EWOULDBLOCK || saved == ENOBUFS || saved == EPERM)
        {
          r->unsent++;
          r->unsent_errno = saved;
          return TRUE;
        }
      if (saved == ECONNREFUSED)
        {
          /* an ICMP error of an earlier datagram; this one still left */
          return TRUE;
        }
      g_set_error (error, NAV_STUN_CLIENT_ERROR, NAV_STUN_CLIENT_ERROR_UNREACHABLE,
                   _("Cannot send to %s: %s"),
                   nav_address_to_string_buf (&r->server, buf), g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* TCP and TLS */

static void
fail_transaction (Request  *r,
                  GError   *error)
{
  if (r->transaction != NULL && !nav_stun_transaction_is_done (r->transaction))
    nav_stun_transaction_fail (r->transaction, error);
  g_error_free (error);
}

static void
stream_frame (NavNetStream *stream,
              const guint8 *data,
              gsize         len,
              gpointer      user_data)
{
  Request *r = user_data;
  g_autoptr (NavStunMessage) msg = nav_stun_message_parse (data, len, NULL);

  /* Not our answer: skip it and keep reading (RFC 8489 §6.3.3). */
  if (msg != NULL && r->transaction != NULL)
    nav_stun_transaction_handle_response (r->transaction, msg);
}

static gboolean
stream_send (NavStunTransaction *transaction,
             const guint8       *data,
             gsize               length,
             gpointer            user_data,
             GError            **error)
{
  Request *r = user_data;

  if (!nav_net_stream_write (r->stream, data, length))
    {
      g_set_error_literal (error, NAV_STUN_CLIENT_ERROR, NAV_STUN_CLIENT_ERROR_UNREACHABLE,
                           _("The connection to the server is closed"));
      return FALSE;
    }
  return TRUE;
}

static void
stream_connected (NavNetStream *stream,
                  gpointer      user_data)
{
  Request *r = user_data;
  GBytes *request = g_task_get_task_data (r->task);

  /* From here on the transaction's own Ti timer runs. */
  r->transaction = nav_stun_transaction_new (r->client->context, request, TRUE,
                                             &r->client->params, stream_send,
                                             transaction_done, r);
  nav_stun_transaction_start (r->transaction);
}

static GError *
connect_error (Request      *r,
               const GError *error)
{
  gchar buf[NAV_ADDRESS_STRING_LEN];

  nav_address_to_string_buf (&r->server, buf);
  if (g_error_matches (error, NAV_ERROR, NAV_ERROR_TIMED_OUT))
    return g_error_new (NAV_STUN_CLIENT_ERROR, NAV_STUN_CLIENT_ERROR_TIMED_OUT,
                        _("No answer from %s over %s within %u ms"), buf,
                        nav_stun_protocol_to_string (r->protocol),
                        r->client->params.ti_ms);
  if (error->domain == G_TLS_ERROR)
    return g_error_new (NAV_STUN_CLIENT_ERROR, NAV_STUN_CLIENT_ERROR_TLS,
                        _("TLS with %s failed: %s"), buf, error->message);
  return g_error_new (NAV_STUN_CLIENT_ERROR, NAV_STUN_CLIENT_ERROR_UNREACHABLE,
                      _("Cannot connect to %s over %s: %s"), buf,
                      nav_stun_protocol_to_string (r->protocol), error->message);
}

static void
stream_closed (NavNetStream *stream,
               const GError *error,
               gpointer      user_data)
{
  Request *r = user_data;

  request_ref (r);
  if (r->transaction == NULL)
    request_finish (r, NULL, connect_error (r, error));
  else if (g_error_matches (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_PROTOCOL))
    fail_transaction (r, g_error_new (NAV_STUN_CLIENT_ERROR, NAV_STUN_CLIENT_ERROR_BAD_RESPONSE,
                                      _("The server sent something that is not STUN")));
  else
    fail_transaction (r, g_error_new (NAV_STUN_CLIENT_ERROR, NAV_STUN_CLIENT_ERROR_UNREACHABLE,
                                      _("The server closed the connection: %s"),
                                      error->message));
  request_unref (r);
}

static const NavNetStreamFuncs stream_funcs = {
  stream_frame, NULL, stream_connected, stream_closed, NULL,
};

/* Requests */

/* Takes @task. */
static void
start_request (NavStunClient             *self,
               const NavAddress          *server,
               const gchar               *host,
               NavStunProtocol            protocol,
               NavStunChangeRequestFlags  change,
               GTask                     *task)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) request = NULL;
  GCancellable *cancellable = g_task_get_cancellable (task);
  Request *r;

  request = build_request (self, change, &error);
  if (request == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  g_task_set_task_data (task, g_bytes_ref (request), (GDestroyNotify) g_bytes_unref);

  r = g_new0 (Request, 1);
  r->ref_count = 1;
  r->client = g_object_ref (self);
  r->task = task;
  r->protocol = protocol;
  r->server = *server;
  r->host = g_strdup (host);
  if (cancellable != NULL)
    {
      r->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (r->cancel_source, G_SOURCE_FUNC (on_cancelled), r, NULL);
      g_source_attach (r->cancel_source, self->context);
    }

  if (protocol == NAV_STUN_PROTOCOL_UDP)
    {
      r->udp = get_udp_socket (self, nav_address_get_family (server), &error);
      if (r->udp == NULL)
        {
          request_finish (r, NULL, g_steal_pointer (&error));
          return;
        }
      r->transaction = nav_stun_transaction_new (self->context, request, FALSE,
                                                 &self->params, udp_send,
                                                 transaction_done, r);
      g_hash_table_insert (self->pending,
                           (gpointer) nav_stun_transaction_get_id (r->transaction), r);
      nav_stun_transaction_start (r->transaction);
    }
  else
    {
      /* Ti bounds the connection and the handshake too. */
      r->stream = nav_net_stream_connect (self->context, server, NULL, self->params.ti_ms,
                                          NAV_NET_FRAMING_STUN, &stream_funcs, r, &error);
      if (r->stream == NULL)
        {
          request_finish (r, NULL, g_steal_pointer (&error));
          return;
        }
      if (protocol == NAV_STUN_PROTOCOL_TLS)
        nav_net_tls_client_attach (r->stream, host, self->tls_ca_file, self->tls_insecure);
    }
}

void
nav_stun_client_request_async (NavStunClient             *self,
                               const NavAddress          *server,
                               NavStunProtocol            protocol,
                               NavStunChangeRequestFlags  change,
                               GCancellable              *cancellable,
                               GAsyncReadyCallback        callback,
                               gpointer                   user_data)
{
  GTask *task;

  g_return_if_fail (NAV_IS_STUN_CLIENT (self));
  g_return_if_fail (server != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nav_stun_client_request_async);
  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }
  start_request (self, server, NULL, protocol, change, task);
}

NavStunBindingResult *
nav_stun_client_request_finish (NavStunClient  *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Server names */

static void
resolved (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  NavAddress *address = nav_net_resolve_finish (result, &error);

  if (address == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, address, (GDestroyNotify) nav_address_free);
}

void
nav_stun_client_resolve_async (NavStunClient       *self,
                               const gchar         *server,
                               NavStunProtocol      protocol,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (NAV_IS_STUN_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nav_stun_client_resolve_async);
  nav_net_resolve_async (self->context, server, protocol, self->family, self->use_srv,
                         cancellable, resolved, task);
}

NavAddress *
nav_stun_client_resolve_finish (NavStunClient  *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Resolve, then request */

static void
binding_request_done (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  NavStunBindingResult *r;

  r = nav_stun_client_request_finish (NAV_STUN_CLIENT (source), result, &error);
  if (r == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, r, (GDestroyNotify) nav_stun_binding_result_free);
}

static void
binding_resolved (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  NavStunClient *self = NAV_STUN_CLIENT (source);
  GError *error = NULL;
  g_autoptr (NavAddress) address = NULL;
  GTask *inner;

  address = nav_stun_client_resolve_finish (self, result, &error);
  if (address == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  inner = g_task_new (self, g_task_get_cancellable (task),
                      binding_request_done, g_object_ref (task));
  g_task_set_source_tag (inner, nav_stun_client_request_async);
  start_request (self, address, g_task_get_task_data (task),
                 GPOINTER_TO_INT (g_object_get_data (G_OBJECT (task), "protocol")),
                 0, inner);
}

void
nav_stun_client_binding_async (NavStunClient       *self,
                               const gchar         *server,
                               NavStunProtocol      protocol,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;
  gchar *host = NULL;
  guint16 port;

  g_return_if_fail (NAV_IS_STUN_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, nav_stun_client_binding_async);
  if (nav_net_parse_server (server, protocol, &host, &port, NULL))
    g_task_set_task_data (task, host, g_free);
  g_object_set_data (G_OBJECT (task), "protocol", GINT_TO_POINTER (protocol));
  nav_stun_client_resolve_async (self, server, protocol, cancellable,
                                 binding_resolved, task);
}

NavStunBindingResult *
nav_stun_client_binding_finish (NavStunClient  *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* GObject */

void
nav_stun_client_set_retransmit_params (NavStunClient                 *self,
                                       const NavStunRetransmitParams *params)
{
  g_return_if_fail (NAV_IS_STUN_CLIENT (self));
  self->params = *params;
}

static void
nav_stun_client_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  NavStunClient *self = NAV_STUN_CLIENT (object);

  switch (prop_id)
    {
    case PROP_CONTEXT: g_value_set_boxed (value, self->context); break;
    case PROP_FAMILY: g_value_set_enum (value, self->family); break;
    case PROP_LOCAL_IP: g_value_set_string (value, self->local_ip); break;
    case PROP_TLS_CA_FILE: g_value_set_string (value, self->tls_ca_file); break;
    case PROP_TLS_INSECURE: g_value_set_boolean (value, self->tls_insecure); break;
    case PROP_USE_SRV: g_value_set_boolean (value, self->use_srv); break;
    case PROP_SOFTWARE: g_value_set_string (value, self->software); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_stun_client_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  NavStunClient *self = NAV_STUN_CLIENT (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_clear_pointer (&self->context, g_main_context_unref);
      self->context = g_value_dup_boxed (value);
      break;
    case PROP_FAMILY: self->family = g_value_get_enum (value); break;
    case PROP_LOCAL_IP:
      g_free (self->local_ip);
      self->local_ip = g_value_dup_string (value);
      break;
    case PROP_TLS_CA_FILE:
      g_free (self->tls_ca_file);
      self->tls_ca_file = g_value_dup_string (value);
      break;
    case PROP_TLS_INSECURE: self->tls_insecure = g_value_get_boolean (value); break;
    case PROP_USE_SRV: self->use_srv = g_value_get_boolean (value); break;
    case PROP_SOFTWARE:
      g_free (self->software);
      self->software = g_value_dup_string (value);
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_stun_client_constructed (GObject *object)
{
  NavStunClient *self = NAV_STUN_CLIENT (object);

  G_OBJECT_CLASS (nav_stun_client_parent_class)->constructed (object);
  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
}

static void
nav_stun_client_dispose (GObject *object)
{
  NavStunClient *self = NAV_STUN_CLIENT (object);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (self->udp); i++)
    if (self->udp[i] != NULL)
      {
        g_source_destroy (self->udp[i]->source);
        g_source_unref (self->udp[i]->source);
        close (self->udp[i]->fd);
        g_clear_pointer (&self->udp[i], g_free);
      }
  g_clear_pointer (&self->reader, nav_net_udp_reader_free);
  G_OBJECT_CLASS (nav_stun_client_parent_class)->dispose (object);
}

static void
nav_stun_client_finalize (GObject *object)
{
  NavStunClient *self = NAV_STUN_CLIENT (object);

  g_hash_table_unref (self->pending);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->local_ip);
  g_free (self->tls_ca_file);
  g_free (self->software);
  G_OBJECT_CLASS (nav_stun_client_parent_class)->finalize (object);
}

static void
nav_stun_client_class_init (NavStunClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = nav_stun_client_get_property;
  object_class->set_property = nav_stun_client_set_property;
  object_class->constructed = nav_stun_client_constructed;
  object_class->dispose = nav_stun_client_dispose;
  object_class->finalize = nav_stun_client_finalize;

  properties[PROP_CONTEXT] =
    g_param_spec_boxed ("context", NULL, NULL, G_TYPE_MAIN_CONTEXT,
                        rw | G_PARAM_CONSTRUCT_ONLY);
  /**
   * NavStunClient:family:
   *
   * The address family names resolve to; %G_SOCKET_FAMILY_INVALID for any.
   */
  properties[PROP_FAMILY] =
    g_param_spec_enum ("family", NULL, NULL, G_TYPE_SOCKET_FAMILY,
                       G_SOCKET_FAMILY_INVALID, rw);
  /**
   * NavStunClient:local-ip:
   *
   * The local IP address (or IP:port) UDP requests leave from.
   */
  properties[PROP_LOCAL_IP] =
    g_param_spec_string ("local-ip", NULL, NULL, NULL, rw);
  /**
   * NavStunClient:tls-ca-file:
   *
   * PEM file of the certificate authorities trusted for STUN over TLS;
   * %NULL for the system's.
   */
  properties[PROP_TLS_CA_FILE] =
    g_param_spec_string ("tls-ca-file", NULL, NULL, NULL, rw);
  properties[PROP_TLS_INSECURE] =
    g_param_spec_boolean ("tls-insecure", NULL, NULL, FALSE, rw);
  properties[PROP_USE_SRV] =
    g_param_spec_boolean ("use-srv", NULL, NULL, FALSE, rw);
  properties[PROP_SOFTWARE] =
    g_param_spec_string ("software", NULL, NULL, NULL, rw);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nav_stun_client_init (NavStunClient *self)
{
  nav_stun_retransmit_params_init (&self->params);
  self->family = G_SOCKET_FAMILY_INVALID;
  self->pending = nav_stun_transaction_table_new (NULL);
}

/**
 * nav_stun_client_new:
 * @context: (nullable): the main context of the client's sockets and timers
 *
 * Returns: (transfer full): a new client
 */
NavStunClient *
nav_stun_client_new (GMainContext *context)
{
  return g_object_new (NAV_TYPE_STUN_CLIENT, "context", context, NULL);
}
