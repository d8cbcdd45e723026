/* nav-gnutls-dtls-channel.c: DTLS 1.2 (RFC 6347) through GnuTLS as a
 * NavChannel stacked on another
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GnuTLS runs non-blocking over the channel below: its push function
 * sends records there, its pull function reads the datagram being
 * handled, and the handshake's retransmissions are a timer on the
 * channel's main context set from gnutls_dtls_get_timeout().  Nothing
 * blocks and no thread is made.
 *
 *   lower channel ─► receive(): RFC 7983 demultiplexing ─► kept until
 *     start() ─► gnutls_handshake() / gnutls_record_recv() ─► the upper
 *     layer's receive function and ::message
 *   send_data(), send_messages() ─► gnutls_record_send() ─► push() ─►
 *     the lower channel (in batches; kept in order while it would block)
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <gnutls/gnutls.h>
#include <gnutls/dtls.h>
#include <gnutls/x509.h>

#include "nav-gnutls-dtls.h"
#include "nav-dtls-hello.h"
#include "nav-dtls-records.h"

/* RFC 7983 §7: a datagram whose first byte is 20 to 63 is DTLS. */
#define DTLS_FIRST_BYTE_MIN 20
#define DTLS_FIRST_BYTE_MAX 63

/* What the channel below carries when it sets no limit of its own: the
 * 1200 bytes any ICE path carries (RFC 8261 §5). */
#define DEFAULT_LOWER_MTU 1200

/* The largest record overhead of the suites we offer: a DTLS 1.2 record
 * header (13 bytes), AES-GCM's explicit nonce (8) and tag (16).  What
 * get_mtu() subtracts before the suite is known. */
#define MAX_RECORD_OVERHEAD 37

/* The largest record we seal: 2^14 bytes of plaintext (RFC 6347
 * §4.1.1) and the overhead.  get_mtu() says what every path carries;
 * larger records are for the layer above to try (RFC 8261 §5: SCTP's
 * path MTU probes, RFC 8899) and to use once one went through. */
#define MAX_RECORD_SIZE (NAV_DTLS_RECORD_MAX_PLAINTEXT + MAX_RECORD_OVERHEAD)

/* Records that came before start(): a ClientHello (perhaps in fragments)
 * and the retransmissions of it, no more. */
#define EARLY_MAX_DATAGRAMS 16
#define EARLY_MAX_BYTES (32 * 1024)

/* RFC 6347 §4.2.4.1: 1 s unless we know better; give up after 30 s
 * (GnuTLS's total handshake timeout). */
#define DEFAULT_INITIAL_TIMEOUT_MS 1000
#define MIN_INITIAL_TIMEOUT_MS 10
#define HANDSHAKE_TIMEOUT_MS 30000

/* Messages encrypted per batch handed to the channel below. */
#define BATCH_MAX 64

/* WebRTC's suites (RFC 8827 §6.5: ECDHE with AEAD), DTLS 1.2 only, an
 * ECDSA certificate of ours and either kind from the peer; the
 * extended master secret (RFC 7627) is GnuTLS's default. */
#define PRIORITIES "NORMAL:-VERS-ALL:+VERS-DTLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:" \
                   "+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:"    \
                   "%SERVER_PRECEDENCE"

enum {
  PROP_0,
  PROP_STATE,
  PROP_ORDERED,
  PROP_RELIABLE,
  PROP_BUFFERED_AMOUNT,
  PROP_BUFFERED_AMOUNT_LOW_THRESHOLD,
  N_PROPS
};

typedef enum {
  PHASE_IDLE,                   /* not started */
  PHASE_WAITING,                /* started, waiting for the channel below */
  PHASE_HANDSHAKE,
  PHASE_OPEN,
  PHASE_CLOSED,
} Phase;

typedef struct {
  GBytes *bytes;
} Datagram;

struct _NavGnutlsDtlsChannel
{
  GObject parent_instance;

  GMainContext *context;
  NavChannel *lower;
  gulong lower_state_id;
  gulong lower_writable_id;

  /* Everything below is under the lock: the data path runs in the
   * context, send may come from any thread. */
  GMutex lock;
  Phase phase;
  NavChannelState state;
  NavChannelState emitted_state;
  NavDtlsRole role;
  NavCertificate *certificate;
  gchar **fingerprints;
  guint initial_timeout;
  guint lower_mtu;
  guint peer_record_limit;      /* RFC 8449, from the peer's hello; 0: none */
  gnutls_session_t session;
  gnutls_certificate_credentials_t credentials;    /* borrowed from the certificate */
  NavDtlsRecords records;       /* application data once open (nav-dtls-records.c) */
  guint8 *seal_buffer;          /* one record, outside batches */
  GError *error;
  gchar *cipher_suite;
  NavCertificate *peer_certificate;
  guint64 dropped;
  GSource *timer;

  /* What came before start() (GBytes). */
  GQueue early;
  gsize early_bytes;

  /* The datagram pull() reads. */
  const guint8 *in_data;
  gsize in_len;

  /* Sending: records of a batch, then those the channel below would not
   * take yet (GBytes, in order). */
  gboolean batching;
  guint8 *batch_buffer;         /* BATCH_MAX slots of batch_slot bytes */
  gsize batch_slot;
  guint batch_len;
  GOutputVector batch_vectors[BATCH_MAX];
  NavOutputMessage batch_messages[BATCH_MAX];
  GQueue blocked;
  guint64 buffered_amount;
  guint64 buffered_amount_low_threshold;
  gboolean ordered;             /* FALSE: properties of the interface */
  gboolean reliable;
  gboolean want_writable;
  gboolean dropped_on_send_warned;

  NavChannelReceiveFunc recv_func;
  gpointer recv_data;
  GDestroyNotify recv_destroy;
};

static void nav_gnutls_dtls_channel_channel_init (NavChannelInterface *iface);
static void nav_gnutls_dtls_channel_dtls_init (NavDtlsChannelInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NavGnutlsDtlsChannel, nav_gnutls_dtls_channel, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (NAV_TYPE_CHANNEL,
                                                               nav_gnutls_dtls_channel_channel_init)
                                G_IMPLEMENT_INTERFACE_DYNAMIC (NAV_TYPE_DTLS_CHANNEL,
                                                               nav_gnutls_dtls_channel_dtls_init))

static GParamSpec *properties[N_PROPS];
static guint message_signal;

#define LOCK(self) g_mutex_lock (&(self)->lock)
#define UNLOCK(self) g_mutex_unlock (&(self)->lock)

static void handshake_step_locked (NavGnutlsDtlsChannel *self);

/* ------------------------------------------------------------ state */

/* Called with the lock held; the change is announced by
 * emit_changes(), without it. */
static void
fail_locked (NavGnutlsDtlsChannel *self,
             GError               *error)
{
  if (self->phase == PHASE_CLOSED)
    {
      g_error_free (error);
      return;
    }
  g_debug ("DTLS channel %p failed: %s", self, error->message);
  if (self->error == NULL)
    self->error = error;
  else
    g_error_free (error);
  self->phase = PHASE_CLOSED;
  self->state = NAV_CHANNEL_STATE_CLOSED;
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
}

static void
close_locked (NavGnutlsDtlsChannel *self)
{
  if (self->phase == PHASE_CLOSED)
    return;
  self->phase = PHASE_CLOSED;
  self->state = NAV_CHANNEL_STATE_CLOSED;
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
}

static void
emit_changes (NavGnutlsDtlsChannel *self)
{
  NavChannelState state;

  LOCK (self);
  state = self->state;
  if (state == self->emitted_state)
    {
      UNLOCK (self);
      return;
    }
  self->emitted_state = state;
  UNLOCK (self);
  nav_channel_emit_state_changed (NAV_CHANNEL (self), state);
}

static GError *
gnutls_error (gint         code,
              NavDtlsError nav_code,
              const gchar *what)
{
  return g_error_new (NAV_DTLS_ERROR, nav_code, "%s: %s", what, gnutls_strerror (code));
}

/* ------------------------------------------------------------ transport */

/* Called by GnuTLS, with the lock held. */
static ssize_t
push (gnutls_transport_ptr_t  ptr,
      const void             *data,
      size_t                  len)
{
  NavGnutlsDtlsChannel *self = ptr;
  g_autoptr (GError) error = NULL;

  if (self->batching && len <= self->batch_slot && self->batch_len < BATCH_MAX)
    {
      /* Into the batch's next slot: no allocation per record. */
      guint8 *slot = self->batch_buffer + self->batch_len * self->batch_slot;

      memcpy (slot, data, len);
      self->batch_vectors[self->batch_len].buffer = slot;
      self->batch_vectors[self->batch_len].size = len;
      self->batch_len++;
      return len;
    }
  if (self->blocked.length == 0 && nav_channel_send_data (self->lower, data, len, &error))
    return len;
  if (self->blocked.length > 0 ||
      g_error_matches (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_WOULD_BLOCK))
    {
      /* The record is made (its sequence number spent): kept and sent
       * in order once the channel below takes data again. */
      g_queue_push_tail (&self->blocked, g_bytes_new (data, len));
      self->buffered_amount += len;
      return len;
    }
  /* The channel below cannot send now (no path yet, consent lost): the
   * datagram is lost as on the network; the handshake retransmits. */
  if (!self->dropped_on_send_warned)
    {
      self->dropped_on_send_warned = TRUE;
      g_debug ("DTLS channel %p: a record could not be sent: %s", self, error->message);
    }
  return len;
}

/* Called by GnuTLS, with the lock held: one datagram per call (RFC 6347
 * §4.1.1: records never span datagrams). */
static ssize_t
pull (gnutls_transport_ptr_t  ptr,
      void                   *data,
      size_t                  len)
{
  NavGnutlsDtlsChannel *self = ptr;
  gsize n;

  if (self->in_data == NULL)
    {
      gnutls_transport_set_errno (self->session, EAGAIN);
      return -1;
    }
  n = MIN (len, self->in_len);
  memcpy (data, self->in_data, n);
  self->in_data = NULL;
  self->in_len = 0;
  return n;
}

/* Non-blocking: data is there or it is not. */
static int
pull_timeout (gnutls_transport_ptr_t ptr,
              unsigned int           ms)
{
  NavGnutlsDtlsChannel *self = ptr;

  return self->in_data != NULL ? 1 : 0;
}

/* ------------------------------------------------------------ credentials */

typedef struct {
  gnutls_certificate_credentials_t credentials;
} Credentials;

static void
credentials_free (gpointer data)
{
  Credentials *c = data;

  gnutls_certificate_free_credentials (c->credentials);
  g_free (c);
}

/* The GnuTLS credentials of @certificate, made once and kept with it. */
static gnutls_certificate_credentials_t
credentials_for (NavCertificate  *certificate,
                 GError         **error)
{
  static GMutex lock;
  static GQuark quark;
  Credentials *c;
  g_autofree gchar *cert_pem = NULL;
  const gchar *key_pem;
  gnutls_datum_t cert_datum, key_datum;
  gint ret;

  g_mutex_lock (&lock);
  if (quark == 0)
    quark = g_quark_from_static_string ("nav-gnutls-dtls-credentials");
  c = g_object_get_qdata (G_OBJECT (certificate), quark);
  if (c != NULL)
    {
      g_mutex_unlock (&lock);
      return c->credentials;
    }
  cert_pem = nav_certificate_get_certificate_pem (certificate);
  key_pem = nav_certificate_get_private_key_pem (certificate);
  c = g_new0 (Credentials, 1);
  gnutls_certificate_allocate_credentials (&c->credentials);
  cert_datum.data = (guchar *) cert_pem;
  cert_datum.size = strlen (cert_pem);
  key_datum.data = (guchar *) key_pem;
  key_datum.size = strlen (key_pem);
  ret = gnutls_certificate_set_x509_key_mem2 (c->credentials, &cert_datum, &key_datum,
                                              GNUTLS_X509_FMT_PEM, NULL, 0);
  if (ret < 0)
    {
      g_mutex_unlock (&lock);
      credentials_free (c);
      g_propagate_error (error, gnutls_error (ret, NAV_DTLS_ERROR_BAD_CERTIFICATE,
                                              _("The certificate cannot be used")));
      return NULL;
    }
  g_object_set_qdata_full (G_OBJECT (certificate), quark, c, credentials_free);
  g_mutex_unlock (&lock);
  return c->credentials;
}

/* Called by GnuTLS during the handshake, with the lock held: the
 * peer's record_size_limit (RFC 8449).  GnuTLS sends one; a peer that
 * does not (libwebrtc, OpenSSL) is held to a small packet size above
 * (nav-sctp-data-transport.c). */
static int
hello_hook (gnutls_session_t      session,
            unsigned int          htype,
            unsigned int          when,
            unsigned int          incoming,
            const gnutls_datum_t *msg)
{
  NavGnutlsDtlsChannel *self = gnutls_session_get_ptr (session);

  if (incoming && msg != NULL
      && (htype == GNUTLS_HANDSHAKE_CLIENT_HELLO || htype == GNUTLS_HANDSHAKE_SERVER_HELLO))
    self->peer_record_limit = nav_dtls_hello_record_size_limit (msg->data, msg->size,
                                                                htype == GNUTLS_HANDSHAKE_CLIENT_HELLO);
  return 0;
}

/* The channel the records travel on (the ICE component's, or the
 * application's); owned by @self. */
NavChannel *
nav_gnutls_dtls_channel_get_lower (NavGnutlsDtlsChannel *self)
{
  return self->lower;
}

guint
nav_gnutls_dtls_channel_get_peer_record_limit (NavGnutlsDtlsChannel *self)
{
  guint limit;

  LOCK (self);
  limit = self->peer_record_limit;
  UNLOCK (self);
  return limit;
}

/* Called by GnuTLS during the handshake, with the lock held, once the
 * peer's Certificate arrived: RFC 8122 §5, RFC 8842 §5.1. */
static int
verify_peer (gnutls_session_t session)
{
  NavGnutlsDtlsChannel *self = gnutls_session_get_ptr (session);
  const gnutls_datum_t *chain;
  unsigned int n = 0;
  g_autoptr (GBytes) der = NULL;
  g_autoptr (NavCertificate) peer = NULL;
  GError *error = NULL;

  chain = gnutls_certificate_get_peers (session, &n);
  if (chain == NULL || n == 0)
    {
      if (self->error == NULL)
        self->error = g_error_new_literal (NAV_DTLS_ERROR, NAV_DTLS_ERROR_FINGERPRINT_MISMATCH,
                                           _("The peer presented no certificate"));
      return -1;
    }
  der = g_bytes_new (chain[0].data, chain[0].size);
  peer = nav_certificate_new_from_der (der);
  if (peer == NULL)
    {
      if (self->error == NULL)
        self->error = g_error_new_literal (NAV_DTLS_ERROR, NAV_DTLS_ERROR_FINGERPRINT_MISMATCH,
                                           _("The peer's certificate cannot be read"));
      return -1;
    }
  if (!nav_certificate_check_fingerprints (peer, (const gchar * const *) self->fingerprints,
                                           &error))
    {
      if (self->error == NULL)
        self->error = error;
      else
        g_error_free (error);
      return -1;
    }
  g_set_object (&self->peer_certificate, peer);
  return 0;
}

/* ------------------------------------------------------------ handshake */

static gboolean
timer_cb (gpointer user_data)
{
  NavGnutlsDtlsChannel *self = g_object_ref (user_data);

  LOCK (self);
  g_clear_pointer (&self->timer, g_source_unref);
  if (self->phase == PHASE_HANDSHAKE)
    handshake_step_locked (self);
  UNLOCK (self);
  emit_changes (self);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* Weak: the channel destroys its timer before it goes. */
static void
arm_timer_locked (NavGnutlsDtlsChannel *self,
                  guint                 ms)
{
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
  self->timer = g_timeout_source_new (MAX (ms, 1));
  g_source_set_callback (self->timer, timer_cb, self, NULL);
  g_source_set_static_name (self->timer, "[nav-dtls] retransmission");
  g_source_attach (self->timer, self->context);
}

static void
handshake_done_locked (NavGnutlsDtlsChannel *self)
{
  const char *suite = gnutls_ciphersuite_get (self->session);

  g_free (self->cipher_suite);
  self->cipher_suite = g_strdup (suite != NULL ? suite : "");
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
  self->phase = PHASE_OPEN;
  self->state = NAV_CHANNEL_STATE_OPEN;
  if (!nav_dtls_records_init (&self->records, self->session))
    g_debug ("DTLS channel %p: application data through GnuTLS's record layer", self);
  g_debug ("DTLS channel %p: open as %s, %s", self,
           self->role == NAV_DTLS_ROLE_CLIENT ? "client" : "server", self->cipher_suite);
}

/* One step of the handshake, with the datagram in in_data if any. */
static void
handshake_step_locked (NavGnutlsDtlsChannel *self)
{
  gint ret = gnutls_handshake (self->session);

  if (ret == GNUTLS_E_SUCCESS)
    {
      handshake_done_locked (self);
      return;
    }
  if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED ||
      ret == GNUTLS_E_WARNING_ALERT_RECEIVED || ret == GNUTLS_E_GOT_APPLICATION_DATA ||
      !gnutls_error_is_fatal (ret))
    {
      if (ret != GNUTLS_E_AGAIN && ret != GNUTLS_E_INTERRUPTED)
        g_debug ("DTLS channel %p: handshake: %s", self, gnutls_strerror (ret));
      arm_timer_locked (self, gnutls_dtls_get_timeout (self->session));
      return;
    }
  if (ret == GNUTLS_E_TIMEDOUT)
    {
      fail_locked (self, g_error_new_literal (NAV_DTLS_ERROR, NAV_DTLS_ERROR_TIMED_OUT,
                                              _("The DTLS handshake timed out")));
      return;
    }
  /* Tell the peer why (RFC 5246 §7.2.2), then fail. */
  gnutls_alert_send_appropriate (self->session, ret);
  if (self->error != NULL)
    {
      /* verify_peer() said why. */
      fail_locked (self, g_error_copy (self->error));
      return;
    }
  if (ret == GNUTLS_E_FATAL_ALERT_RECEIVED)
    fail_locked (self, g_error_new (NAV_DTLS_ERROR, NAV_DTLS_ERROR_HANDSHAKE_FAILED,
                                    _("The peer ended the DTLS handshake: %s"),
                                    gnutls_alert_get_name (gnutls_alert_get (self->session))));
  else
    fail_locked (self, gnutls_error (ret, NAV_DTLS_ERROR_HANDSHAKE_FAILED,
                                     _("The DTLS handshake failed")));
}

/* The handshake begins once started and the channel below is open:
 * the ClientHello goes out, or the one kept is answered. */
static void
maybe_begin_locked (NavGnutlsDtlsChannel *self)
{
  if (self->phase != PHASE_WAITING || nav_channel_get_state (self->lower) != NAV_CHANNEL_STATE_OPEN)
    return;
  self->phase = PHASE_HANDSHAKE;
  if (self->role == NAV_DTLS_ROLE_CLIENT)
    handshake_step_locked (self);
  /* Replay what came early, in order. */
  while (self->early.length > 0 && self->phase == PHASE_HANDSHAKE)
    {
      g_autoptr (GBytes) bytes = g_queue_pop_head (&self->early);
      gsize len;

      self->in_data = g_bytes_get_data (bytes, &len);
      self->in_len = len;
      self->early_bytes -= len;
      handshake_step_locked (self);
      if (self->in_data != NULL)
        self->dropped++;
      self->in_data = NULL;
    }
  g_queue_clear_full (&self->early, (GDestroyNotify) g_bytes_unref);
  self->early_bytes = 0;
}

static gboolean
start (NavDtlsChannel       *channel,
       NavDtlsRole           role,
       NavCertificate       *certificate,
       const gchar * const  *remote_fingerprints,
       guint                 initial_timeout_ms,
       GError              **error)
{
  NavGnutlsDtlsChannel *self = NAV_GNUTLS_DTLS_CHANNEL (channel);
  gnutls_certificate_credentials_t credentials;
  guint i;
  gint ret;

  for (i = 0; remote_fingerprints[i] != NULL; i++)
    if (!nav_certificate_fingerprint_is_valid (remote_fingerprints[i]))
      {
        g_set_error (error, NAV_DTLS_ERROR, NAV_DTLS_ERROR_BAD_FINGERPRINT,
                     _("“%s” is not a certificate fingerprint"), remote_fingerprints[i]);
        return FALSE;
      }
  credentials = credentials_for (certificate, error);
  if (credentials == NULL)
    return FALSE;

  LOCK (self);
  if (self->phase != PHASE_IDLE)
    {
      UNLOCK (self);
      g_set_error_literal (error, NAV_DTLS_ERROR, NAV_DTLS_ERROR_CLOSED,
                           _("The DTLS channel was started or closed already"));
      return FALSE;
    }
  ret = gnutls_init (&self->session, GNUTLS_DATAGRAM | GNUTLS_NONBLOCK |
                                     (role == NAV_DTLS_ROLE_CLIENT ? GNUTLS_CLIENT : GNUTLS_SERVER));
  if (ret == GNUTLS_E_SUCCESS)
    ret = gnutls_priority_set_direct (self->session, PRIORITIES, NULL);
  if (ret == GNUTLS_E_SUCCESS)
    ret = gnutls_credentials_set (self->session, GNUTLS_CRD_CERTIFICATE, credentials);
  if (ret != GNUTLS_E_SUCCESS)
    {
      g_clear_pointer (&self->session, gnutls_deinit);
      UNLOCK (self);
      g_propagate_error (error, gnutls_error (ret, NAV_DTLS_ERROR_FAILED,
                                              _("The DTLS session cannot be set up")));
      return FALSE;
    }
  self->role = role;
  self->credentials = credentials;
  g_set_object (&self->certificate, certificate);
  self->fingerprints = g_strdupv ((gchar **) remote_fingerprints);
  self->initial_timeout = initial_timeout_ms > 0 ? MAX (initial_timeout_ms, MIN_INITIAL_TIMEOUT_MS)
                                                 : DEFAULT_INITIAL_TIMEOUT_MS;
  /* The server asks for the client's certificate: GnuTLS verifies only
   * what it requested (RFC 8827 §6.5: both sides are authenticated). */
  if (role == NAV_DTLS_ROLE_SERVER)
    gnutls_certificate_server_set_request (self->session, GNUTLS_CERT_REQUIRE);
  gnutls_session_set_ptr (self->session, self);
  gnutls_session_set_verify_function (self->session, verify_peer);
  gnutls_handshake_set_hook_function (self->session,
                                      role == NAV_DTLS_ROLE_SERVER ? GNUTLS_HANDSHAKE_CLIENT_HELLO
                                                                   : GNUTLS_HANDSHAKE_SERVER_HELLO,
                                      GNUTLS_HOOK_POST, hello_hook);
  gnutls_transport_set_ptr (self->session, self);
  gnutls_transport_set_push_function (self->session, push);
  gnutls_transport_set_pull_function (self->session, pull);
  gnutls_transport_set_pull_timeout_function (self->session, pull_timeout);
  /* RFC 6347 §4.1.1.1: records fit the path before the first flight. */
  self->lower_mtu = nav_channel_get_mtu (self->lower);
  if (self->lower_mtu == 0)
    self->lower_mtu = DEFAULT_LOWER_MTU;
  gnutls_dtls_set_mtu (self->session, self->lower_mtu);
  self->batch_slot = MAX (self->lower_mtu, MAX_RECORD_SIZE);
  self->batch_buffer = g_malloc (BATCH_MAX * self->batch_slot);
  self->seal_buffer = g_malloc (self->batch_slot);
  gnutls_dtls_set_timeouts (self->session, self->initial_timeout, HANDSHAKE_TIMEOUT_MS);
  self->phase = PHASE_WAITING;
  maybe_begin_locked (self);
  UNLOCK (self);
  emit_changes (self);
  return TRUE;
}

/* ------------------------------------------------------------ receiving */

/* The records of the datagram in in_data (or those GnuTLS kept from the
 * last one), decrypted, each handed up without the lock: the receiver
 * may send, close, or drop its reference.  Called and returns with the
 * lock held, in the context. */
static void
receive_records_locked (NavGnutlsDtlsChannel *self)
{
  while (self->phase == PHASE_OPEN)
    {
      gnutls_packet_t packet = NULL;
      gssize n = gnutls_record_recv_packet (self->session, &packet);

      if (n > 0)
        {
          NavChannelReceiveFunc func = self->recv_func;
          gpointer func_data = self->recv_data;
          gnutls_datum_t plaintext;

          guint8 sequence[8];

          /* Zero copy: the plaintext is where GnuTLS decrypted it. */
          gnutls_packet_get (packet, &plaintext, sequence);
          nav_dtls_records_mark (&self->records, sequence);
          UNLOCK (self);
          if (func != NULL)
            func (NAV_CHANNEL (self), plaintext.data, plaintext.size, func_data);
          if (g_signal_has_handler_pending (self, message_signal, 0, FALSE))
            {
              g_autoptr (GBytes) bytes = g_bytes_new (plaintext.data, plaintext.size);

              g_signal_emit (self, message_signal, 0, bytes);
            }
          gnutls_packet_deinit (packet);
          LOCK (self);
          continue;
        }
      if (packet != NULL)
        gnutls_packet_deinit (packet);
      if (n == 0)
        {
          /* close_notify (RFC 5246 §7.2.1): the peer is done. */
          g_debug ("DTLS channel %p: the peer closed", self);
          close_locked (self);
          break;
        }
      if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
        break;
      if (n == GNUTLS_E_REHANDSHAKE)
        {
          /* RFC 8827 §6.5 leaves renegotiation out, and the fingerprint
           * check would not cover a new certificate: refused with a
           * warning (RFC 5246 §7.2.2, no_renegotiation). */
          g_debug ("DTLS channel %p: renegotiation refused", self);
          self->dropped++;
          gnutls_alert_send (self->session, GNUTLS_AL_WARNING, GNUTLS_A_NO_RENEGOTIATION);
          continue;
        }
      if (n == GNUTLS_E_WARNING_ALERT_RECEIVED)
        continue;
      if (n == GNUTLS_E_FATAL_ALERT_RECEIVED)
        {
          fail_locked (self, g_error_new (NAV_DTLS_ERROR, NAV_DTLS_ERROR_FAILED,
                                          _("The peer ended the DTLS association: %s"),
                                          gnutls_alert_get_name (gnutls_alert_get (self->session))));
          break;
        }
      /* RFC 6347 §4.1.2.7: an invalid record is discarded, the
       * association goes on. */
      self->dropped++;
      if (!gnutls_error_is_fatal (n))
        continue;
      g_debug ("DTLS channel %p: record dropped: %s", self, gnutls_strerror (n));
      break;
    }
}

/* The hot path: each record of the datagram opened here
 * (nav-dtls-records.c), what is not application data of the epoch
 * handed to GnuTLS, one record at a time. */
static void
receive_open_locked (NavGnutlsDtlsChannel *self,
                     const guint8         *data,
                     gsize                 len)
{
  guint8 plaintext[NAV_DTLS_RECORD_MAX_PLAINTEXT];
  gsize offset = 0;

  while (offset < len && self->phase == PHASE_OPEN)
    {
      gsize record_len = nav_dtls_records_length (data + offset, len - offset);
      gsize plaintext_len;

      if (record_len == 0)
        {
          /* RFC 6347 §4.1.2.7: the rest of the datagram is garbage. */
          self->dropped++;
          break;
        }
      switch (nav_dtls_records_open (&self->records, data + offset, record_len, plaintext,
                                     &plaintext_len))
        {
        case NAV_DTLS_OPEN_OK:
          {
            NavChannelReceiveFunc func = self->recv_func;
            gpointer func_data = self->recv_data;

            UNLOCK (self);
            if (func != NULL)
              func (NAV_CHANNEL (self), plaintext, plaintext_len, func_data);
            if (g_signal_has_handler_pending (self, message_signal, 0, FALSE))
              {
                g_autoptr (GBytes) bytes = g_bytes_new (plaintext, plaintext_len);

                g_signal_emit (self, message_signal, 0, bytes);
              }
            LOCK (self);
          }
          break;
        case NAV_DTLS_OPEN_NOT_OURS:
          self->in_data = data + offset;
          self->in_len = record_len;
          nav_dtls_records_lend (&self->records, self->session);
          receive_records_locked (self);
          nav_dtls_records_take_back (&self->records, self->session);
          self->in_data = NULL;
          break;
        case NAV_DTLS_OPEN_DROPPED:
        default:
          self->dropped++;
          break;
        }
      offset += record_len;
    }
}

static void
on_lower_receive (NavChannel   *lower,
                  const guint8 *data,
                  gsize         len,
                  gpointer      user_data)
{
  NavGnutlsDtlsChannel *self = g_object_ref (user_data);
  gboolean changed;

  LOCK (self);
  /* RFC 7983 §7: only DTLS is ours on this path (STUN is the agent's,
   * TURN channel data and RTP are nobody's here). */
  if (len == 0 || data[0] < DTLS_FIRST_BYTE_MIN || data[0] > DTLS_FIRST_BYTE_MAX)
    self->dropped++;
  else
    switch (self->phase)
      {
      case PHASE_IDLE:
      case PHASE_WAITING:
        /* Kept for when the handshake begins: a ClientHello may come
         * before the answer does (libwebrtc keeps it too; dropping it
         * costs a retransmission timeout). */
        if (self->early.length < EARLY_MAX_DATAGRAMS && self->early_bytes + len <= EARLY_MAX_BYTES)
          {
            g_queue_push_tail (&self->early, g_bytes_new (data, len));
            self->early_bytes += len;
          }
        else
          self->dropped++;
        break;
      case PHASE_HANDSHAKE:
        self->in_data = data;
        self->in_len = len;
        handshake_step_locked (self);
        self->in_data = NULL;
        /* Application data may follow the Finished in the same
         * datagram: GnuTLS kept it. */
        nav_dtls_records_lend (&self->records, self->session);
        receive_records_locked (self);
        nav_dtls_records_take_back (&self->records, self->session);
        break;
      case PHASE_OPEN:
        if (self->records.enabled)
          receive_open_locked (self, data, len);
        else
          {
            self->in_data = data;
            self->in_len = len;
            receive_records_locked (self);
            self->in_data = NULL;
          }
        break;
      case PHASE_CLOSED:
        self->dropped++;
        break;
      }
  changed = self->state != self->emitted_state;
  UNLOCK (self);
  if (changed)
    emit_changes (self);
  g_object_unref (self);
}

/* ------------------------------------------------------------ sending */

static gboolean
check_can_send_locked (NavGnutlsDtlsChannel  *self,
                       GError               **error)
{
  if (self->phase != PHASE_OPEN)
    {
      g_set_error_literal (error, NAV_ERROR, NAV_ERROR_CLOSED,
                           self->phase == PHASE_CLOSED ? _("The DTLS channel is closed")
                                                       : _("The DTLS channel is not open yet"));
      return FALSE;
    }
  if (self->blocked.length > 0)
    {
      self->want_writable = TRUE;
      g_set_error_literal (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_WOULD_BLOCK,
                           _("The channel below cannot take more data now"));
      return FALSE;
    }
  return TRUE;
}

static gsize
data_mtu_locked (NavGnutlsDtlsChannel *self)
{
  if (self->records.enabled)
    return MIN (self->lower_mtu - self->records.overhead, NAV_DTLS_RECORD_MAX_PLAINTEXT);
  return gnutls_dtls_get_data_mtu (self->session);
}

/* What one record may carry: a whole record's plaintext once our own
 * record layer seals them (whether the path carries it is for the layer
 * above to find out, RFC 8899), GnuTLS's data MTU before. */
static gsize
send_limit_locked (NavGnutlsDtlsChannel *self)
{
  if (self->records.enabled)
    return MIN (self->batch_slot - self->records.overhead, NAV_DTLS_RECORD_MAX_PLAINTEXT);
  return gnutls_dtls_get_data_mtu (self->session);
}

static gboolean
record_send_locked (NavGnutlsDtlsChannel  *self,
                    const guint8          *data,
                    gsize                  len,
                    GError               **error)
{
  gssize ret;

  if (len > send_limit_locked (self))
    {
      g_set_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_MESSAGE_TOO_LARGE,
                   /* %lu, not G_GSIZE_FORMAT: xgettext cuts a message there */
                   _("A message of %lu bytes does not fit a DTLS record here (at most %lu)"),
                   (unsigned long) len, (unsigned long) send_limit_locked (self));
      return FALSE;
    }
  if (self->records.enabled)
    {
      gboolean in_batch = self->batching && self->batch_len < BATCH_MAX;
      guint8 *out = in_batch ? self->batch_buffer + self->batch_len * self->batch_slot
                             : self->seal_buffer;
      gsize n = nav_dtls_records_seal (&self->records, data, len, out, self->batch_slot);

      if (n == 0)
        {
          g_set_error_literal (error, NAV_DTLS_ERROR, NAV_DTLS_ERROR_FAILED,
                               _("The message could not be encrypted"));
          return FALSE;
        }
      if (in_batch)
        {
          /* Sealed in place in the batch: sent with the others. */
          self->batch_vectors[self->batch_len].buffer = out;
          self->batch_vectors[self->batch_len].size = n;
          self->batch_len++;
        }
      else
        push (self, out, n);
      return TRUE;
    }
  ret = gnutls_record_send (self->session, data, len);
  if (ret >= 0)
    return TRUE;
  g_propagate_error (error, gnutls_error (ret, NAV_DTLS_ERROR_FAILED,
                                          _("The message could not be encrypted")));
  return FALSE;
}

static gboolean
send_data (NavChannel    *channel,
           const guint8  *data,
           gsize          len,
           GError       **error)
{
  NavGnutlsDtlsChannel *self = NAV_GNUTLS_DTLS_CHANNEL (channel);
  gboolean ok;

  LOCK (self);
  ok = check_can_send_locked (self, error) && record_send_locked (self, data, len, error);
  UNLOCK (self);
  return ok;
}

/* Hands the batch's records to the channel below at once; what it does
 * not take waits, in order, for ::writable. */
static void
flush_batch_locked (NavGnutlsDtlsChannel *self)
{
  guint i, n = self->batch_len;
  gint sent = 0;

  if (n == 0)
    return;
  if (self->blocked.length == 0)
    {
      g_autoptr (GError) error = NULL;

      sent = nav_channel_send_messages (self->lower, self->batch_messages, n, &error);
      if (sent < 0)
        {
          if (!g_error_matches (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_WOULD_BLOCK))
            {
              /* Lost, as a datagram on the network. */
              if (!self->dropped_on_send_warned)
                {
                  self->dropped_on_send_warned = TRUE;
                  g_debug ("DTLS channel %p: records could not be sent: %s", self,
                           error->message);
                }
              sent = n;
            }
          else
            sent = 0;
        }
    }
  for (i = sent; i < n; i++)
    {
      self->buffered_amount += self->batch_vectors[i].size;
      g_queue_push_tail (&self->blocked, g_bytes_new (self->batch_vectors[i].buffer,
                                                      self->batch_vectors[i].size));
    }
  self->batch_len = 0;
}

static gint
send_messages (NavChannel              *channel,
               const NavOutputMessage  *messages,
               guint                    n_messages,
               GError                 **error)
{
  NavGnutlsDtlsChannel *self = NAV_GNUTLS_DTLS_CHANNEL (channel);
  g_autofree guint8 *scratch = NULL;
  gsize scratch_size = 0;
  guint done = 0;
  GError *local_error = NULL;

  LOCK (self);
  if (!check_can_send_locked (self, error))
    {
      UNLOCK (self);
      return -1;
    }
  while (done < n_messages && self->phase == PHASE_OPEN && self->blocked.length == 0)
    {
      guint end = MIN (n_messages, done + BATCH_MAX);

      self->batching = TRUE;
      for (; done < end; done++)
        {
          const NavOutputMessage *m = &messages[done];
          const guint8 *data;
          gsize len = 0;
          gint b;

          if (m->n_buffers == 1)
            {
              data = m->buffers[0].buffer;
              len = m->buffers[0].size;
            }
          else
            {
              for (b = 0; m->n_buffers < 0 ? m->buffers[b].buffer != NULL : b < m->n_buffers; b++)
                len += m->buffers[b].size;
              if (len > scratch_size)
                {
                  scratch = g_realloc (scratch, len);
                  scratch_size = len;
                }
              len = 0;
              for (b = 0; m->n_buffers < 0 ? m->buffers[b].buffer != NULL : b < m->n_buffers; b++)
                {
                  memcpy (scratch + len, m->buffers[b].buffer, m->buffers[b].size);
                  len += m->buffers[b].size;
                }
              data = scratch;
            }
          if (!record_send_locked (self, data, len, &local_error))
            break;
        }
      self->batching = FALSE;
      flush_batch_locked (self);
      if (local_error != NULL)
        break;
    }
  UNLOCK (self);
  if (local_error != NULL)
    {
      if (done > 0)
        {
          g_error_free (local_error);
          return done;
        }
      g_propagate_error (error, local_error);
      return -1;
    }
  return done;
}

static void
on_lower_writable (NavChannel *lower,
                   gpointer    user_data)
{
  NavGnutlsDtlsChannel *self = g_object_ref (user_data);
  gboolean writable = FALSE, low = FALSE;

  LOCK (self);
  while (self->blocked.length > 0)
    {
      GBytes *bytes = g_queue_peek_head (&self->blocked);
      g_autoptr (GError) error = NULL;
      gsize len;
      const guint8 *data = g_bytes_get_data (bytes, &len);

      if (!nav_channel_send_data (self->lower, data, len, &error) &&
          g_error_matches (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_WOULD_BLOCK))
        break;
      g_queue_pop_head (&self->blocked);
      low = self->buffered_amount > self->buffered_amount_low_threshold;
      self->buffered_amount -= len;
      low = low && self->buffered_amount <= self->buffered_amount_low_threshold;
      g_bytes_unref (bytes);
    }
  if (self->blocked.length == 0 && self->want_writable)
    {
      self->want_writable = FALSE;
      writable = TRUE;
    }
  UNLOCK (self);
  if (low)
    nav_channel_emit_buffered_amount_low (NAV_CHANNEL (self));
  if (writable)
    nav_channel_emit_writable (NAV_CHANNEL (self));
  g_object_unref (self);
}

static void
on_lower_state (NavChannel      *lower,
                NavChannelState  state,
                gpointer         user_data)
{
  NavGnutlsDtlsChannel *self = g_object_ref (user_data);

  LOCK (self);
  if (state == NAV_CHANNEL_STATE_CLOSED)
    fail_locked (self, g_error_new_literal (NAV_DTLS_ERROR, NAV_DTLS_ERROR_CLOSED,
                                            _("The channel below the DTLS channel closed")));
  else if (state == NAV_CHANNEL_STATE_OPEN)
    maybe_begin_locked (self);
  UNLOCK (self);
  emit_changes (self);
  g_object_unref (self);
}

/* ------------------------------------------------------------ channel */

static void
channel_close (NavChannel *channel)
{
  NavGnutlsDtlsChannel *self = NAV_GNUTLS_DTLS_CHANNEL (channel);

  LOCK (self);
  if (self->phase == PHASE_OPEN)
    {
      /* RFC 5246 §7.2.1: close_notify, without waiting for the peer's. */
      nav_dtls_records_lend (&self->records, self->session);
      gnutls_bye (self->session, GNUTLS_SHUT_WR);
      nav_dtls_records_take_back (&self->records, self->session);
    }
  close_locked (self);
  UNLOCK (self);
  emit_changes (self);
}

static gsize
get_mtu (NavChannel *channel)
{
  NavGnutlsDtlsChannel *self = NAV_GNUTLS_DTLS_CHANNEL (channel);
  gsize mtu;

  LOCK (self);
  if (self->phase == PHASE_OPEN)
    mtu = data_mtu_locked (self);
  else
    {
      gsize lower = self->lower_mtu != 0 ? self->lower_mtu : nav_channel_get_mtu (self->lower);

      if (lower == 0)
        lower = DEFAULT_LOWER_MTU;
      mtu = lower > MAX_RECORD_OVERHEAD ? lower - MAX_RECORD_OVERHEAD : 0;
    }
  UNLOCK (self);
  return mtu;
}

static void
set_receive_func (NavChannel            *channel,
                  NavChannelReceiveFunc  func,
                  gpointer               user_data,
                  GDestroyNotify         destroy)
{
  NavGnutlsDtlsChannel *self = NAV_GNUTLS_DTLS_CHANNEL (channel);
  GDestroyNotify old_destroy;
  gpointer old_data;

  LOCK (self);
  old_destroy = self->recv_destroy;
  old_data = self->recv_data;
  self->recv_func = func;
  self->recv_data = user_data;
  self->recv_destroy = destroy;
  UNLOCK (self);
  if (old_destroy != NULL)
    old_destroy (old_data);
}

static void
nav_gnutls_dtls_channel_channel_init (NavChannelInterface *iface)
{
  iface->send_data = send_data;
  iface->send_messages = send_messages;
  iface->close = channel_close;
  iface->get_mtu = get_mtu;
  iface->set_receive_func = set_receive_func;
}

static NavDtlsRole
get_role (NavDtlsChannel *channel)
{
  NavGnutlsDtlsChannel *self = NAV_GNUTLS_DTLS_CHANNEL (channel);

  return self->role;
}

static NavCertificate *
dup_peer_certificate (NavDtlsChannel *channel)
{
  NavGnutlsDtlsChannel *self = NAV_GNUTLS_DTLS_CHANNEL (channel);
  NavCertificate *peer;

  LOCK (self);
  /* Only once the handshake completed: a certificate checked by a
   * handshake the peer then refused identifies nobody. */
  peer = self->cipher_suite != NULL && self->peer_certificate != NULL
         ? g_object_ref (self->peer_certificate) : NULL;
  UNLOCK (self);
  return peer;
}

static const gchar *
get_cipher_suite (NavDtlsChannel *channel)
{
  NavGnutlsDtlsChannel *self = NAV_GNUTLS_DTLS_CHANNEL (channel);

  /* Set once, when the handshake completes, and kept. */
  return self->cipher_suite;
}

static GError *
dup_error (NavDtlsChannel *channel)
{
  NavGnutlsDtlsChannel *self = NAV_GNUTLS_DTLS_CHANNEL (channel);
  GError *error;

  LOCK (self);
  error = self->phase == PHASE_CLOSED && self->error != NULL ? g_error_copy (self->error) : NULL;
  UNLOCK (self);
  return error;
}

static guint64
get_dropped_records (NavDtlsChannel *channel)
{
  NavGnutlsDtlsChannel *self = NAV_GNUTLS_DTLS_CHANNEL (channel);
  guint64 n;

  LOCK (self);
  /* Ours, and those GnuTLS's record layer discarded (bad MAC, replay,
   * RFC 6347 §4.1.2.6–7). */
  n = self->dropped + (self->session != NULL ? gnutls_record_get_discarded (self->session) : 0);
  UNLOCK (self);
  return n;
}

static void
nav_gnutls_dtls_channel_dtls_init (NavDtlsChannelInterface *iface)
{
  iface->start = start;
  iface->get_role = get_role;
  iface->dup_peer_certificate = dup_peer_certificate;
  iface->get_cipher_suite = get_cipher_suite;
  iface->dup_error = dup_error;
  iface->get_dropped_records = get_dropped_records;
}

/* ------------------------------------------------------------ object */

static void
nav_gnutls_dtls_channel_dispose (GObject *object)
{
  NavGnutlsDtlsChannel *self = NAV_GNUTLS_DTLS_CHANNEL (object);
  GDestroyNotify destroy;
  gpointer data;

  if (self->lower != NULL)
    {
      g_clear_signal_handler (&self->lower_state_id, self->lower);
      g_clear_signal_handler (&self->lower_writable_id, self->lower);
      nav_channel_set_receive_func (self->lower, NULL, NULL, NULL);
    }
  LOCK (self);
  if (self->phase == PHASE_OPEN)
    {
      nav_dtls_records_lend (&self->records, self->session);
      gnutls_bye (self->session, GNUTLS_SHUT_WR);
    }
  close_locked (self);
  destroy = self->recv_destroy;
  data = self->recv_data;
  self->recv_func = NULL;
  self->recv_data = NULL;
  self->recv_destroy = NULL;
  UNLOCK (self);
  if (destroy != NULL)
    destroy (data);
  g_clear_object (&self->lower);

  G_OBJECT_CLASS (nav_gnutls_dtls_channel_parent_class)->dispose (object);
}

static void
nav_gnutls_dtls_channel_finalize (GObject *object)
{
  NavGnutlsDtlsChannel *self = NAV_GNUTLS_DTLS_CHANNEL (object);

  g_clear_pointer (&self->session, gnutls_deinit);
  g_clear_object (&self->certificate);
  g_clear_object (&self->peer_certificate);
  g_clear_pointer (&self->fingerprints, g_strfreev);
  g_clear_pointer (&self->cipher_suite, g_free);
  g_clear_error (&self->error);
  g_queue_clear_full (&self->early, (GDestroyNotify) g_bytes_unref);
  g_queue_clear_full (&self->blocked, (GDestroyNotify) g_bytes_unref);
  g_clear_pointer (&self->batch_buffer, g_free);
  g_clear_pointer (&self->seal_buffer, g_free);
  nav_dtls_records_clear (&self->records);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (nav_gnutls_dtls_channel_parent_class)->finalize (object);
}

/* The interface's properties, read as fields (nav-module.h): ordered
 * and reliable are FALSE as the datagrams below (DTLS neither orders nor
 * retransmits application data). */
static const gsize fields[N_PROPS] = {
  [PROP_STATE] = G_STRUCT_OFFSET (NavGnutlsDtlsChannel, state),
  [PROP_ORDERED] = G_STRUCT_OFFSET (NavGnutlsDtlsChannel, ordered),
  [PROP_RELIABLE] = G_STRUCT_OFFSET (NavGnutlsDtlsChannel, reliable),
  [PROP_BUFFERED_AMOUNT] = G_STRUCT_OFFSET (NavGnutlsDtlsChannel, buffered_amount),
  [PROP_BUFFERED_AMOUNT_LOW_THRESHOLD] = G_STRUCT_OFFSET (NavGnutlsDtlsChannel,
                                                          buffered_amount_low_threshold),
};

NAV_DEFINE_FIELD_PROPERTIES (nav_gnutls_dtls_channel, fields)

static void
nav_gnutls_dtls_channel_class_init (NavGnutlsDtlsChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nav_gnutls_dtls_channel_dispose;
  object_class->finalize = nav_gnutls_dtls_channel_finalize;
  object_class->get_property = nav_gnutls_dtls_channel_get_property;
  object_class->set_property = nav_gnutls_dtls_channel_set_property;

  g_object_class_override_property (object_class, PROP_STATE, "state");
  g_object_class_override_property (object_class, PROP_ORDERED, "ordered");
  g_object_class_override_property (object_class, PROP_RELIABLE, "reliable");
  g_object_class_override_property (object_class, PROP_BUFFERED_AMOUNT, "buffered-amount");
  g_object_class_override_property (object_class, PROP_BUFFERED_AMOUNT_LOW_THRESHOLD,
                                    "buffered-amount-low-threshold");
  properties[PROP_STATE] = g_object_class_find_property (object_class, "state");

  message_signal = g_signal_lookup ("message", NAV_TYPE_CHANNEL);
}

static void
nav_gnutls_dtls_channel_class_finalize (NavGnutlsDtlsChannelClass *klass)
{
}

static void
nav_gnutls_dtls_channel_init (NavGnutlsDtlsChannel *self)
{
  g_mutex_init (&self->lock);
  self->phase = PHASE_IDLE;
  self->state = self->emitted_state = NAV_CHANNEL_STATE_CONNECTING;
  self->role = NAV_DTLS_ROLE_CLIENT;
  for (guint i = 0; i < BATCH_MAX; i++)
    {
      self->batch_messages[i].buffers = &self->batch_vectors[i];
      self->batch_messages[i].n_buffers = 1;
    }
}

static void
on_lower_receive_destroy (gpointer data)
{
}

NavDtlsChannel *
nav_gnutls_dtls_channel_new (NavChannel   *lower,
                             GMainContext *context)
{
  NavGnutlsDtlsChannel *self = g_object_new (NAV_TYPE_GNUTLS_DTLS_CHANNEL, NULL);

  self->context = context != NULL ? g_main_context_ref (context)
                                  : g_main_context_ref_thread_default ();
  self->lower = g_object_ref (lower);
  /* The lower channel holds no reference: dispose unsets the function. */
  nav_channel_set_receive_func (lower, on_lower_receive, self, on_lower_receive_destroy);
  self->lower_state_id = g_signal_connect (lower, "state-changed", G_CALLBACK (on_lower_state),
                                           self);
  self->lower_writable_id = g_signal_connect (lower, "writable", G_CALLBACK (on_lower_writable),
                                              self);
  if (nav_channel_get_state (lower) == NAV_CHANNEL_STATE_CLOSED)
    {
      self->phase = PHASE_CLOSED;
      self->state = self->emitted_state = NAV_CHANNEL_STATE_CLOSED;
      self->error = g_error_new_literal (NAV_DTLS_ERROR, NAV_DTLS_ERROR_CLOSED,
                                         _("The channel below the DTLS channel is closed"));
    }
  return NAV_DTLS_CHANNEL (self);
}

void
nav_gnutls_dtls_channel_register (GTypeModule *module)
{
  nav_gnutls_dtls_channel_register_type (module);
}
