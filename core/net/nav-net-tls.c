/* nav-net-tls.c: TLS for the streams of nav-net-stream (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-net.h"
#include "nav-net-tls.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

/* TLS records are at most 16 KiB of plaintext. */
#define MAX_RECORD 16384
/* Non-fatal GnuTLS errors (warning alerts) read past in one call. */
#define MAX_RETRIES 8

/* ---------------------------------------------------- the session as I/O */

typedef struct
{
  gnutls_session_t session;
  gnutls_certificate_credentials_t own_creds;   /* a client's, with its CA file */
  gchar *server_name;
} TlsIo;

static gssize
tls_recv (gpointer  io,
          guint8   *buffer,
          gsize     size,
          int      *errsv)
{
  TlsIo *t = io;

  for (guint i = 0; i < MAX_RETRIES; i++)
    {
      gssize n = gnutls_record_recv (t->session, buffer, size);

      if (n >= 0)
        return n;
      if (n == GNUTLS_E_AGAIN)
        {
          *errsv = EAGAIN;
          return -1;
        }
      /* The peer closed TCP without close_notify: the end of the
       * stream, as most TLS peers of STUN and TURN do it. */
      if (n == GNUTLS_E_PREMATURE_TERMINATION)
        return 0;
      if (n == GNUTLS_E_INTERRUPTED || !gnutls_error_is_fatal (n))
        continue;
      *errsv = EPROTO;
      g_debug ("event=tls-receive-failed error=\"%s\"", gnutls_strerror (n));
      return -1;
    }
  *errsv = EAGAIN;
  return -1;
}

static gssize
tls_send (gpointer      io,
          const guint8 *data,
          gsize         size,
          int          *errsv)
{
  TlsIo *t = io;

  for (;;)
    {
      gssize n = gnutls_record_send (t->session, data, size);

      if (n >= 0)
        return n;
      if (n == GNUTLS_E_AGAIN)
        {
          *errsv = EAGAIN;
          return -1;
        }
      if (n == GNUTLS_E_INTERRUPTED)
        continue;
      *errsv = EPIPE;
      g_debug ("event=tls-send-failed error=\"%s\"", gnutls_strerror (n));
      return -1;
    }
}

static gboolean
tls_pending (gpointer io)
{
  return gnutls_record_check_pending (((TlsIo *) io)->session) > 0;
}

static GError *
handshake_error (gnutls_session_t session,
                 int              r)
{
  if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
    {
      unsigned int status = gnutls_session_get_verify_cert_status (session);
      gnutls_datum_t text = { NULL, 0 };
      GError *error;

      gnutls_certificate_verification_status_print (status, gnutls_certificate_type_get (session),
                                                    &text, 0);
      error = g_error_new (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                           _("The server’s certificate is not trusted: %s"),
                           text.data != NULL ? (const gchar *) text.data : gnutls_strerror (r));
      gnutls_free (text.data);
      return error;
    }
  return g_error_new (G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE, _("TLS handshake failed: %s"),
                      gnutls_strerror (r));
}

/* 1 done, 0 again once the socket is ready for *wait, -1 failed. */
static int
handshake_step (gnutls_session_t   session,
                GIOCondition      *wait,
                GError           **error)
{
  for (guint i = 0; i < MAX_RETRIES; i++)
    {
      int r = gnutls_handshake (session);

      if (r == GNUTLS_E_SUCCESS)
        return 1;
      if (r == GNUTLS_E_AGAIN)
        {
          *wait = gnutls_record_get_direction (session) ? G_IO_OUT : G_IO_IN;
          return 0;
        }
      if (r == GNUTLS_E_INTERRUPTED || !gnutls_error_is_fatal (r))
        continue;
      g_propagate_error (error, handshake_error (session, r));
      return -1;
    }
  *wait = G_IO_IN;
  return 0;
}

static int
tls_handshake (gpointer      io,
               GIOCondition *wait,
               GError      **error)
{
  return handshake_step (((TlsIo *) io)->session, wait, error);
}

static void
tls_io_free (gpointer io)
{
  TlsIo *t = io;

  gnutls_deinit (t->session);
  if (t->own_creds != NULL)
    gnutls_certificate_free_credentials (t->own_creds);
  g_free (t->server_name);
  g_free (t);
}

static const NavNetStreamIo tls_server_io = {
  tls_recv, tls_send, tls_pending, NULL, tls_io_free, MAX_RECORD, TRUE,
};

static const NavNetStreamIo tls_client_io = {
  tls_recv, tls_send, tls_pending, tls_handshake, tls_io_free, MAX_RECORD, TRUE,
};

/* ------------------------------------------------------------- inboxes */

/* A queue another thread pushes to, drained in the context it is
 * attached to. */
typedef struct
{
  GSource source;
  GAsyncQueue *queue;
  void (*handle) (gpointer item, gpointer user_data);
  gpointer user_data;
} Inbox;

static gboolean
inbox_prepare (GSource *source,
               gint    *timeout)
{
  *timeout = -1;
  return g_async_queue_length (((Inbox *) source)->queue) > 0;
}

static gboolean
inbox_check (GSource *source)
{
  return g_async_queue_length (((Inbox *) source)->queue) > 0;
}

static gboolean
inbox_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  Inbox *inbox = (Inbox *) source;
  gpointer item;

  while ((item = g_async_queue_try_pop (inbox->queue)) != NULL)
    inbox->handle (item, inbox->user_data);
  return G_SOURCE_CONTINUE;
}

static void
inbox_finalize (GSource *source)
{
  g_async_queue_unref (((Inbox *) source)->queue);
}

static GSourceFuncs inbox_funcs = {
  inbox_prepare, inbox_check, inbox_dispatch, inbox_finalize, NULL, NULL,
};

static Inbox *
inbox_new (GMainContext *context,
           void        (*handle) (gpointer, gpointer),
           gpointer      user_data,
           const gchar  *name)
{
  Inbox *inbox = (Inbox *) g_source_new (&inbox_funcs, sizeof (Inbox));

  inbox->queue = g_async_queue_new ();
  inbox->handle = handle;
  inbox->user_data = user_data;
  g_source_set_static_name ((GSource *) inbox, name);
  g_source_attach ((GSource *) inbox, context);
  return inbox;
}

static void
inbox_push (Inbox        *inbox,
            GMainContext *context,
            gpointer      item)
{
  g_async_queue_push (inbox->queue, item);
  g_main_context_wakeup (context);
}

/* -------------------------------------------------------------- server */

typedef enum { HS_PENDING, HS_DONE, HS_FAILED, HS_TIMED_OUT } HsResult;

typedef struct
{
  NavNetTlsServer *server;
  int fd;
  gnutls_session_t session;
  NavAddress remote;            /* port 0 for the per-IP count */
  NavAddress peer;
  HsResult result;
  gchar *why;
  /* worker side */
  GSource *io_source;
  GSource *timeout;
  GIOCondition wait;
} Handshake;

struct _NavNetTlsServer
{
  GMainContext *context;
  gnutls_certificate_credentials_t creds;
  gnutls_priority_t priority;
  NavNetTlsLimits limits;
  NavNetTlsAcceptedFunc func;
  gpointer user_data;
  NavNetTlsStats stats;
  GHashTable *per_ip;           /* NavAddress (port 0) → count */
  Inbox *done;                  /* in context: handshakes back from the worker */

  /* the worker */
  GMainContext *worker_context;
  GMainLoop *worker_loop;
  GThread *worker;
  Inbox *incoming;              /* in the worker: handshakes to run */
  GHashTable *running;          /* worker only: set of Handshake */
};

void
nav_net_tls_limits_init (NavNetTlsLimits *limits)
{
  limits->handshake_timeout_ms = NAV_NET_TLS_DEFAULT_HANDSHAKE_TIMEOUT_MS;
  limits->max_handshakes = NAV_NET_TLS_DEFAULT_MAX_HANDSHAKES;
  limits->max_handshakes_per_ip = NAV_NET_TLS_DEFAULT_MAX_HANDSHAKES_PER_IP;
}

static void
handshake_free (Handshake *hs)
{
  if (hs->io_source != NULL)
    {
      g_source_destroy (hs->io_source);
      g_source_unref (hs->io_source);
    }
  if (hs->timeout != NULL)
    {
      g_source_destroy (hs->timeout);
      g_source_unref (hs->timeout);
    }
  if (hs->session != NULL)
    gnutls_deinit (hs->session);
  if (hs->fd >= 0)
    close (hs->fd);
  g_free (hs->why);
  g_free (hs);
}

/* Worker: the handshake is over, either way; back to the owner. */
static void
worker_finish (Handshake *hs,
               HsResult   result)
{
  NavNetTlsServer *self = hs->server;

  nav_net_source_clear (&hs->io_source);
  nav_net_source_clear (&hs->timeout);
  hs->result = result;
  g_hash_table_steal (self->running, hs);
  inbox_push (self->done, self->context, hs);
}

static gboolean worker_step (gint fd, GIOCondition condition, gpointer user_data);

static void
worker_watch (Handshake    *hs,
              GIOCondition  wait)
{
  if (hs->io_source != NULL && hs->wait == wait)
    return;
  if (hs->io_source != NULL)
    {
      g_source_destroy (hs->io_source);
      g_source_unref (hs->io_source);
    }
  hs->wait = wait;
  hs->io_source = g_unix_fd_source_new (hs->fd, wait);
  g_source_set_callback (hs->io_source, G_SOURCE_FUNC (worker_step), hs, NULL);
  g_source_set_static_name (hs->io_source, "[nav] TLS handshake");
  g_source_attach (hs->io_source, hs->server->worker_context);
}

static gboolean
worker_step (gint         fd,
             GIOCondition condition,
             gpointer     user_data)
{
  Handshake *hs = user_data;
  g_autoptr (GError) error = NULL;
  GIOCondition wait = G_IO_IN;
  int r = handshake_step (hs->session, &wait, &error);

  if (r > 0)
    worker_finish (hs, HS_DONE);
  else if (r < 0)
    {
      hs->why = g_strdup (error->message);
      worker_finish (hs, HS_FAILED);
    }
  else
    worker_watch (hs, wait);
  return G_SOURCE_CONTINUE;
}

static gboolean
worker_timeout (gpointer user_data)
{
  Handshake *hs = user_data;

  worker_finish (hs, HS_TIMED_OUT);
  return G_SOURCE_REMOVE;
}

static void
worker_start (gpointer item,
              gpointer user_data)
{
  Handshake *hs = item;
  NavNetTlsServer *self = user_data;

  g_hash_table_add (self->running, hs);
  hs->timeout = g_timeout_source_new (MAX (self->limits.handshake_timeout_ms, 1));
  g_source_set_callback (hs->timeout, worker_timeout, hs, NULL);
  g_source_set_static_name (hs->timeout, "[nav] TLS handshake timeout");
  g_source_attach (hs->timeout, self->worker_context);
  worker_step (hs->fd, G_IO_IN, hs);
}

static gpointer
worker_main (gpointer user_data)
{
  NavNetTlsServer *self = user_data;

  g_main_context_push_thread_default (self->worker_context);
  g_main_loop_run (self->worker_loop);
  /* Handshakes under way when the server stops are dropped. */
  g_hash_table_remove_all (self->running);
  g_source_destroy ((GSource *) self->incoming);
  g_main_context_pop_thread_default (self->worker_context);
  return NULL;
}

/* Owner: a handshake came back. */
static void
owner_done (gpointer item,
            gpointer user_data)
{
  NavNetTlsServer *self = user_data;
  Handshake *hs = item;
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_ip, &hs->remote));
  gchar buf[NAV_ADDRESS_STRING_LEN];

  if (n <= 1)
    g_hash_table_remove (self->per_ip, &hs->remote);
  else
    g_hash_table_insert (self->per_ip, nav_address_copy (&hs->remote), GUINT_TO_POINTER (n - 1));
  self->stats.pending--;

  switch (hs->result)
    {
    case HS_DONE:
      {
        TlsIo *io = g_new0 (TlsIo, 1);
        int fd = hs->fd;

        self->stats.completed++;
        io->session = g_steal_pointer (&hs->session);
        hs->fd = -1;
        self->func (self, fd, &tls_server_io, io, &hs->peer, self->user_data);
      }
      break;
    case HS_TIMED_OUT:
      self->stats.timed_out++;
      g_debug ("event=tls-handshake-timeout peer=%s", nav_address_to_string_buf (&hs->peer, buf));
      break;
    default:
      self->stats.failed++;
      g_debug ("event=tls-handshake-failed peer=%s error=\"%s\"",
               nav_address_to_string_buf (&hs->peer, buf), hs->why != NULL ? hs->why : "");
      break;
    }
  handshake_free (hs);
}

NavNetTlsServer *
nav_net_tls_server_new (GMainContext           *context,
                        const gchar            *cert_file,
                        const gchar            *key_file,
                        const NavNetTlsLimits  *limits,
                        NavNetTlsAcceptedFunc   func,
                        gpointer                user_data,
                        GError                **error)
{
  NavNetTlsServer *self;
  gnutls_certificate_credentials_t creds = NULL;
  int r;

  r = gnutls_certificate_allocate_credentials (&creds);
  if (r >= 0)
    r = gnutls_certificate_set_x509_key_file2 (creds, cert_file,
                                               key_file != NULL ? key_file : cert_file,
                                               GNUTLS_X509_FMT_PEM, NULL, 0);
  if (r < 0)
    {
      g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                   _("Cannot load the certificate %s: %s"), cert_file, gnutls_strerror (r));
      if (creds != NULL)
        gnutls_certificate_free_credentials (creds);
      return NULL;
    }

  self = g_new0 (NavNetTlsServer, 1);
  self->context = context != NULL ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  self->creds = creds;
  gnutls_priority_init2 (&self->priority, NULL, NULL, 0);
  if (limits != NULL)
    self->limits = *limits;
  else
    nav_net_tls_limits_init (&self->limits);
  self->func = func;
  self->user_data = user_data;
  self->per_ip = g_hash_table_new_full ((GHashFunc) nav_address_hash,
                                        (GEqualFunc) nav_address_equal,
                                        (GDestroyNotify) nav_address_free, NULL);
  self->done = inbox_new (self->context, owner_done, self, "[nav] TLS handshakes done");

  self->worker_context = g_main_context_new ();
  self->worker_loop = g_main_loop_new (self->worker_context, FALSE);
  self->running = g_hash_table_new_full (g_direct_hash, g_direct_equal,
                                         (GDestroyNotify) handshake_free, NULL);
  self->incoming = inbox_new (self->worker_context, worker_start, self, "[nav] TLS handshakes to run");
  self->worker = g_thread_new ("nav-tls", worker_main, self);
  return self;
}

void
nav_net_tls_server_free (NavNetTlsServer *self)
{
  gpointer item;

  if (self == NULL)
    return;
  g_main_loop_quit (self->worker_loop);
  g_thread_join (self->worker);
  /* The worker is gone: what it did not take, and what it gave back
   * but was not handled, is dropped. */
  while ((item = g_async_queue_try_pop (self->incoming->queue)) != NULL)
    handshake_free (item);
  g_source_unref ((GSource *) self->incoming);
  g_source_destroy ((GSource *) self->done);
  while ((item = g_async_queue_try_pop (self->done->queue)) != NULL)
    handshake_free (item);
  g_source_unref ((GSource *) self->done);
  g_hash_table_unref (self->running);
  g_main_loop_unref (self->worker_loop);
  g_main_context_unref (self->worker_context);
  g_hash_table_unref (self->per_ip);
  gnutls_priority_deinit (self->priority);
  gnutls_certificate_free_credentials (self->creds);
  g_main_context_unref (self->context);
  g_free (self);
}

gboolean
nav_net_tls_server_accept (NavNetTlsServer  *self,
                           int               fd,
                           const NavAddress *remote)
{
  NavAddress ip = *remote;
  guint n;
  Handshake *hs;

  nav_address_set_port (&ip, 0);
  n = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_ip, &ip));
  if (self->stats.pending >= self->limits.max_handshakes ||
      n >= self->limits.max_handshakes_per_ip)
    {
      gchar buf[NAV_ADDRESS_STRING_LEN];

      self->stats.refused++;
      g_debug ("event=tls-handshake-refused peer=%s pending=%u from-ip=%u",
               nav_address_to_string_buf (remote, buf), self->stats.pending, n);
      close (fd);
      return FALSE;
    }

  hs = g_new0 (Handshake, 1);
  hs->server = self;
  hs->fd = fd;
  hs->remote = ip;
  hs->peer = *remote;
  if (gnutls_init (&hs->session, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL) < 0)
    {
      hs->session = NULL;
      handshake_free (hs);
      self->stats.failed++;
      return FALSE;
    }
  gnutls_priority_set (hs->session, self->priority);
  gnutls_credentials_set (hs->session, GNUTLS_CRD_CERTIFICATE, self->creds);
  /* No client certificate is asked for, so none is verified. */
  gnutls_certificate_server_set_request (hs->session, GNUTLS_CERT_IGNORE);
  gnutls_transport_set_int (hs->session, fd);

  g_hash_table_insert (self->per_ip, nav_address_copy (&ip), GUINT_TO_POINTER (n + 1));
  self->stats.pending++;
  self->stats.started++;
  inbox_push (self->incoming, self->worker_context, hs);
  return TRUE;
}

const NavNetTlsStats *
nav_net_tls_server_get_stats (NavNetTlsServer *self)
{
  return &self->stats;
}

/* -------------------------------------------------------------- client */

static gnutls_certificate_credentials_t
shared_client_creds (gboolean system_trust)
{
  static gsize once_system, once_insecure;
  static gnutls_certificate_credentials_t system_creds, insecure_creds;

  if (system_trust)
    {
      if (g_once_init_enter (&once_system))
        {
          gnutls_certificate_allocate_credentials (&system_creds);
          gnutls_certificate_set_x509_system_trust (system_creds);
          g_once_init_leave (&once_system, 1);
        }
      return system_creds;
    }
  if (g_once_init_enter (&once_insecure))
    {
      gnutls_certificate_allocate_credentials (&insecure_creds);
      g_once_init_leave (&once_insecure, 1);
    }
  return insecure_creds;
}

void
nav_net_tls_client_attach (NavNetStream *stream,
                           const gchar  *server_name,
                           const gchar  *ca_file,
                           gboolean      insecure)
{
  TlsIo *io = g_new0 (TlsIo, 1);
  gnutls_certificate_credentials_t creds;
  g_autoptr (GInetAddress) literal = NULL;

  gnutls_init (&io->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
  gnutls_set_default_priority (io->session);
  if (insecure)
    creds = shared_client_creds (FALSE);
  else if (ca_file != NULL)
    {
      gnutls_certificate_allocate_credentials (&io->own_creds);
      /* A CA file that cannot be read trusts nothing: the handshake then
       * fails on the certificate. */
      if (gnutls_certificate_set_x509_trust_file (io->own_creds, ca_file, GNUTLS_X509_FMT_PEM) < 0)
        g_debug ("event=tls-ca-file-unreadable file=\"%s\"", ca_file);
      creds = io->own_creds;
    }
  else
    creds = shared_client_creds (TRUE);
  gnutls_credentials_set (io->session, GNUTLS_CRD_CERTIFICATE, creds);
  if (server_name != NULL)
    {
      io->server_name = g_strdup (server_name);
      literal = g_inet_address_new_from_string (server_name);
      /* RFC 6066 §3: no IP address literal in SNI. */
      if (literal == NULL)
        gnutls_server_name_set (io->session, GNUTLS_NAME_DNS, server_name, strlen (server_name));
    }
  if (!insecure)
    gnutls_session_set_verify_cert (io->session, io->server_name, 0);
  gnutls_transport_set_int (io->session, nav_net_stream_get_fd (stream));
  nav_net_stream_set_io (stream, &tls_client_io, io);
}
