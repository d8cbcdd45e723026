/* dtls-test-util.h: DTLS channels over a plain UDP socket pair, through
 * a relay that sees (and may drop, corrupt or replay) every datagram
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   a: NavUdpTransport ─ NavDatagramChannel ─ DTLS channel
 *        ⇅ relay port ra ┐
 *                        ├ the relay: a capture of the wire
 *        ⇅ relay port rb ┘
 *   b: NavUdpTransport ─ NavDatagramChannel ─ DTLS channel
 */
#pragma once

#include <string.h>

#include <netavanue/netavanue.h>

/* A failure guard, never a timing assertion (scaled under sanitizers). */
#define TIMEOUT_SECONDS 20

static inline guint
test_time_scale (void)
{
  const gchar *s = g_getenv ("NAV_TEST_TIME_SCALE");
  guint64 v = s != NULL ? g_ascii_strtoull (s, NULL, 10) : 1;

  return v > 0 ? (guint) v : 1;
}

typedef struct {
  GBytes *bytes;
  gboolean from_a;
} Captured;

typedef struct _Relay Relay;
/* Returns FALSE to drop the datagram; may replace *bytes. */
typedef gboolean (*RelayFilter) (Relay *relay, gboolean from_a, GBytes **bytes, gpointer data);

struct _Relay {
  NavUdpTransport *ra;          /* a's side */
  NavUdpTransport *rb;          /* b's side */
  NavAddress a, b;              /* the peers' addresses */
  GPtrArray *capture;           /* Captured */
  RelayFilter filter;
  gpointer filter_data;
  guint forwarded;
  guint dropped;
};

static inline void
captured_free (gpointer data)
{
  Captured *c = data;

  g_bytes_unref (c->bytes);
  g_free (c);
}

static inline NavUdpTransport *
test_open_loopback (GMainContext *context)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) local = nav_address_new_from_string ("127.0.0.1:0", NULL);
  NavUdpTransport *transport = nav_udp_transport_new (local, context, &error);

  g_assert_no_error (error);
  return transport;
}

static inline void
relay_forward (Relay   *relay,
               gboolean from_a,
               GBytes  *data)
{
  g_autoptr (GBytes) bytes = g_bytes_ref (data);
  Captured *c = g_new0 (Captured, 1);
  gsize len;
  const guint8 *p;

  c->bytes = g_bytes_ref (data);
  c->from_a = from_a;
  g_ptr_array_add (relay->capture, c);
  if (relay->filter != NULL && !relay->filter (relay, from_a, &bytes, relay->filter_data))
    {
      relay->dropped++;
      return;
    }
  p = g_bytes_get_data (bytes, &len);
  relay->forwarded++;
  nav_transport_send (NAV_TRANSPORT (from_a ? relay->rb : relay->ra), from_a ? &relay->b : &relay->a,
                      p, len, NULL);
}

static inline void
relay_on_ra (NavTransport     *transport,
             GBytes           *data,
             const NavAddress *from,
             gpointer          user_data)
{
  relay_forward (user_data, TRUE, data);
}

static inline void
relay_on_rb (NavTransport     *transport,
             GBytes           *data,
             const NavAddress *from,
             gpointer          user_data)
{
  relay_forward (user_data, FALSE, data);
}

/* Injects a datagram as if the relay had received it from a (to b) or
 * from b (to a). */
static inline void
relay_inject (Relay        *relay,
              gboolean      from_a,
              const guint8 *data,
              gsize         len)
{
  nav_transport_send (NAV_TRANSPORT (from_a ? relay->rb : relay->ra), from_a ? &relay->b : &relay->a,
                      data, len, NULL);
}

typedef struct {
  GMainContext *context;
  NavUdpTransport *ta, *tb;
  NavDatagramChannel *la, *lb;  /* the datagram channels below */
  NavDtlsChannel *a, *b;
  NavCertificate *cert_a, *cert_b;
  Relay relay;
  GPtrArray *received_a, *received_b;   /* GBytes the DTLS channels delivered */
} DtlsPair;

static inline void
on_dtls_message (NavChannel *channel,
                 GBytes     *message,
                 gpointer    user_data)
{
  g_ptr_array_add (user_data, g_bytes_ref (message));
}

static inline NavCertificate *
test_certificate (void)
{
  g_autoptr (GError) error = NULL;
  NavCertificate *cert = nav_certificate_generate (&error);

  g_assert_no_error (error);
  g_assert_nonnull (cert);
  return cert;
}

/* @mtu_a, @mtu_b: the datagram channels' MTU, 0 for the default. */
static inline void
dtls_pair_init (DtlsPair *p,
                guint     mtu_a,
                guint     mtu_b)
{
  g_autoptr (GError) error = NULL;
  NavDtlsBackend *backend = nav_dtls_backend_get_default (&error);

  g_assert_no_error (error);
  memset (p, 0, sizeof *p);
  p->context = g_main_context_new ();
  g_main_context_push_thread_default (p->context);
  p->ta = test_open_loopback (p->context);
  p->tb = test_open_loopback (p->context);
  p->relay.ra = test_open_loopback (p->context);
  p->relay.rb = test_open_loopback (p->context);
  p->relay.a = *nav_transport_get_local_address (NAV_TRANSPORT (p->ta));
  p->relay.b = *nav_transport_get_local_address (NAV_TRANSPORT (p->tb));
  p->relay.capture = g_ptr_array_new_with_free_func (captured_free);
  g_signal_connect (p->relay.ra, "received", G_CALLBACK (relay_on_ra), &p->relay);
  g_signal_connect (p->relay.rb, "received", G_CALLBACK (relay_on_rb), &p->relay);
  p->la = g_object_new (NAV_TYPE_DATAGRAM_CHANNEL, "transport", p->ta,
                        "peer", nav_transport_get_local_address (NAV_TRANSPORT (p->relay.ra)),
                        "mtu", mtu_a, NULL);
  p->lb = g_object_new (NAV_TYPE_DATAGRAM_CHANNEL, "transport", p->tb,
                        "peer", nav_transport_get_local_address (NAV_TRANSPORT (p->relay.rb)),
                        "mtu", mtu_b, NULL);
  p->a = nav_dtls_backend_create_channel (backend, NAV_CHANNEL (p->la), p->context, &error);
  g_assert_no_error (error);
  p->b = nav_dtls_backend_create_channel (backend, NAV_CHANNEL (p->lb), p->context, &error);
  g_assert_no_error (error);
  p->cert_a = test_certificate ();
  p->cert_b = test_certificate ();
  p->received_a = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  p->received_b = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_signal_connect (p->a, "message", G_CALLBACK (on_dtls_message), p->received_a);
  g_signal_connect (p->b, "message", G_CALLBACK (on_dtls_message), p->received_b);
}

static inline void
dtls_pair_clear (DtlsPair *p)
{
  g_clear_object (&p->a);
  g_clear_object (&p->b);
  g_clear_object (&p->la);
  g_clear_object (&p->lb);
  g_clear_object (&p->ta);
  g_clear_object (&p->tb);
  g_clear_object (&p->relay.ra);
  g_clear_object (&p->relay.rb);
  g_clear_object (&p->cert_a);
  g_clear_object (&p->cert_b);
  g_clear_pointer (&p->relay.capture, g_ptr_array_unref);
  g_clear_pointer (&p->received_a, g_ptr_array_unref);
  g_clear_pointer (&p->received_b, g_ptr_array_unref);
  /* What the sockets' sources still hold goes with the context. */
  while (g_main_context_iteration (p->context, FALSE))
    ;
  g_main_context_pop_thread_default (p->context);
  g_main_context_unref (p->context);
}

/* "sha-256 AB:…" of @cert, as SDP writes it. */
static inline gchar **
test_fingerprints (NavCertificate *cert)
{
  g_autofree gchar *hex = nav_certificate_get_fingerprint (cert, "sha-256");
  gchar **v = g_new0 (gchar *, 2);

  v[0] = g_strconcat ("sha-256 ", hex, NULL);
  return v;
}

static gboolean
test_set_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

typedef gboolean (*TestCondition) (gpointer data);

/* Iterates @context until @condition holds; fails the test after the
 * guard timeout. */
static inline void
test_wait (GMainContext  *context,
           TestCondition  condition,
           gpointer       data)
{
  gboolean timed_out = FALSE;
  GSource *timeout = g_timeout_source_new_seconds (TIMEOUT_SECONDS * test_time_scale ());

  g_source_set_callback (timeout, test_set_flag, &timed_out, NULL);
  g_source_attach (timeout, context);
  while (!condition (data) && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_source_unref (timeout);
  g_assert_false (timed_out);
}

/* Iterates @context for @ms milliseconds. */
static inline void
test_run_for (GMainContext *context,
              guint         ms)
{
  gboolean done = FALSE;
  GSource *timeout = g_timeout_source_new (ms);

  g_source_set_callback (timeout, test_set_flag, &done, NULL);
  g_source_attach (timeout, context);
  while (!done)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_source_unref (timeout);
}

static inline gboolean
both_settled (gpointer data)
{
  DtlsPair *p = data;

  return nav_channel_get_state (NAV_CHANNEL (p->a)) != NAV_CHANNEL_STATE_CONNECTING &&
         nav_channel_get_state (NAV_CHANNEL (p->b)) != NAV_CHANNEL_STATE_CONNECTING;
}

/* Starts a as @role_a and b as the other, each with the other's
 * fingerprint, and waits until both are open or closed. */
static inline void
dtls_pair_handshake (DtlsPair    *p,
                     NavDtlsRole  role_a,
                     guint        initial_timeout_ms)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) fp_a = test_fingerprints (p->cert_a);
  g_auto (GStrv) fp_b = test_fingerprints (p->cert_b);

  g_assert_true (nav_dtls_channel_start (p->a, role_a, p->cert_a, (const gchar * const *) fp_b,
                                         initial_timeout_ms, &error));
  g_assert_no_error (error);
  g_assert_true (nav_dtls_channel_start (p->b, role_a == NAV_DTLS_ROLE_CLIENT ? NAV_DTLS_ROLE_SERVER
                                                                              : NAV_DTLS_ROLE_CLIENT,
                                         p->cert_b, (const gchar * const *) fp_a,
                                         initial_timeout_ms, &error));
  g_assert_no_error (error);
  test_wait (p->context, both_settled, p);
}

static inline gboolean
captured_contains (GPtrArray    *capture,
                   const guint8 *needle,
                   gsize         needle_len)
{
  guint i;

  for (i = 0; i < capture->len; i++)
    {
      Captured *c = g_ptr_array_index (capture, i);
      gsize len;
      const guint8 *data = g_bytes_get_data (c->bytes, &len);

      if (len >= needle_len && memmem (data, len, needle, needle_len) != NULL)
        return TRUE;
    }
  return FALSE;
}
