/* test-dtls.c: the DTLS channel of libnav-datachannel.so between two of
 * ours, over a plain UDP socket pair through a relay that captures,
 * drops, corrupts and replays datagrams
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dtls-test-util.h"

static gboolean
both_received (gpointer data)
{
  DtlsPair *p = data;

  return p->received_a->len > 0 && p->received_b->len > 0;
}

static void
assert_bytes_equal (GBytes      *bytes,
                    const gchar *text)
{
  gsize len;
  const gchar *data = g_bytes_get_data (bytes, &len);

  g_assert_cmpmem (data, len, text, strlen (text));
}

static void
check_handshake (NavDtlsRole role_a)
{
  DtlsPair p;
  g_autoptr (GError) error = NULL;
  g_autoptr (NavCertificate) peer_of_a = NULL;
  g_autoptr (NavCertificate) peer_of_b = NULL;
  g_autofree gchar *fp_peer = NULL, *fp_b = NULL;
  const gchar *suite;

  dtls_pair_init (&p, 0, 0);
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (p.a)), ==, NAV_CHANNEL_STATE_CONNECTING);
  /* Nothing goes before the handshake. */
  g_assert_false (nav_channel_send_data (NAV_CHANNEL (p.a), (const guint8 *) "x", 1, &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_CLOSED);
  g_clear_error (&error);

  dtls_pair_handshake (&p, role_a, 100);
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (p.a)), ==, NAV_CHANNEL_STATE_OPEN);
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (p.b)), ==, NAV_CHANNEL_STATE_OPEN);
  g_assert_cmpint (nav_dtls_channel_get_role (p.a), ==, role_a);

  /* An AEAD suite with ECDHE and our ECDSA certificates. */
  suite = nav_dtls_channel_get_cipher_suite (p.a);
  g_test_message ("cipher suite: %s", suite);
  g_assert_nonnull (suite);
  g_assert_true (g_str_has_prefix (suite, "TLS_ECDHE_ECDSA_WITH_"));
  g_assert_true (strstr (suite, "GCM") != NULL || strstr (suite, "CHACHA20") != NULL);
  g_assert_cmpstr (suite, ==, nav_dtls_channel_get_cipher_suite (p.b));

  /* Each side saw the other's certificate: both are authenticated. */
  peer_of_a = nav_dtls_channel_dup_peer_certificate (p.a);
  peer_of_b = nav_dtls_channel_dup_peer_certificate (p.b);
  g_assert_nonnull (peer_of_a);
  g_assert_nonnull (peer_of_b);
  g_assert_false (nav_certificate_has_private_key (peer_of_a));
  fp_peer = nav_certificate_get_fingerprint (peer_of_a, "sha-256");
  fp_b = nav_certificate_get_fingerprint (p.cert_b, "sha-256");
  g_assert_cmpstr (fp_peer, ==, fp_b);
  g_assert_true (g_bytes_equal (nav_certificate_get_der (peer_of_b),
                                nav_certificate_get_der (p.cert_a)));

  g_assert_true (nav_channel_send_data (NAV_CHANNEL (p.a), (const guint8 *) "hello b", 7, &error));
  g_assert_no_error (error);
  g_assert_true (nav_channel_send_data (NAV_CHANNEL (p.b), (const guint8 *) "hello a", 7, &error));
  g_assert_no_error (error);
  test_wait (p.context, both_received, &p);
  assert_bytes_equal (g_ptr_array_index (p.received_b, 0), "hello b");
  assert_bytes_equal (g_ptr_array_index (p.received_a, 0), "hello a");
  g_assert_null (nav_dtls_channel_dup_error (p.a));
  dtls_pair_clear (&p);
}

/* Both roles: a as client, then a as server. */
static void
test_handshake_client (void)
{
  check_handshake (NAV_DTLS_ROLE_CLIENT);
}

static void
test_handshake_server (void)
{
  check_handshake (NAV_DTLS_ROLE_SERVER);
}

/* A peer whose certificate is not the one signalled is refused, whether
 * it is the server (checked by the client) or the client (checked by
 * the server, which requested its certificate). */
static void
check_fingerprint_mismatch (gboolean wrong_for_client)
{
  DtlsPair p;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) error_a = NULL;
  g_autoptr (GError) error_b = NULL;
  g_autoptr (NavCertificate) other = test_certificate ();
  g_auto (GStrv) fp_a = NULL;
  g_auto (GStrv) fp_b = NULL;
  g_auto (GStrv) fp_other = test_fingerprints (other);

  dtls_pair_init (&p, 0, 0);
  fp_a = test_fingerprints (p.cert_a);
  fp_b = test_fingerprints (p.cert_b);
  /* a is the client, b the server. */
  g_assert_true (nav_dtls_channel_start (p.a, NAV_DTLS_ROLE_CLIENT, p.cert_a,
                                         (const gchar * const *) (wrong_for_client ? fp_other : fp_b),
                                         100, &error));
  g_assert_true (nav_dtls_channel_start (p.b, NAV_DTLS_ROLE_SERVER, p.cert_b,
                                         (const gchar * const *) (wrong_for_client ? fp_a : fp_other),
                                         100, &error));
  g_assert_no_error (error);
  test_wait (p.context, both_settled, &p);
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (p.a)), ==, NAV_CHANNEL_STATE_CLOSED);
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (p.b)), ==, NAV_CHANNEL_STATE_CLOSED);
  error_a = nav_dtls_channel_dup_error (p.a);
  error_b = nav_dtls_channel_dup_error (p.b);
  g_assert_nonnull (error_a);
  g_assert_nonnull (error_b);
  g_test_message ("client: %s; server: %s", error_a->message, error_b->message);
  if (wrong_for_client)
    {
      g_assert_error (error_a, NAV_DTLS_ERROR, NAV_DTLS_ERROR_FINGERPRINT_MISMATCH);
      g_assert_error (error_b, NAV_DTLS_ERROR, NAV_DTLS_ERROR_HANDSHAKE_FAILED);
    }
  else
    {
      g_assert_error (error_b, NAV_DTLS_ERROR, NAV_DTLS_ERROR_FINGERPRINT_MISMATCH);
      g_assert_error (error_a, NAV_DTLS_ERROR, NAV_DTLS_ERROR_HANDSHAKE_FAILED);
    }
  /* Nothing of the other's reached the application. */
  g_assert_null (nav_dtls_channel_dup_peer_certificate (p.a));
  g_assert_cmpuint (p.received_a->len, ==, 0);
  g_assert_false (nav_channel_send_data (NAV_CHANNEL (p.a), (const guint8 *) "x", 1, &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_CLOSED);
  dtls_pair_clear (&p);
}

static void
test_fingerprint_mismatch_server (void)
{
  check_fingerprint_mismatch (TRUE);
}

static void
test_fingerprint_mismatch_client (void)
{
  check_fingerprint_mismatch (FALSE);
}

/* The fingerprint as browsers write it: an upper-case hash name,
 * lower-case hex, among fingerprints of weaker hash functions that do
 * not match (RFC 8122 §5: the strongest is used). */
static void
test_fingerprint_forms (void)
{
  DtlsPair p;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *hex_a = NULL, *hex_b = NULL;
  g_autofree gchar *lower_a = NULL, *lower_b = NULL;
  const gchar *fps_a[3], *fps_b[3];

  dtls_pair_init (&p, 0, 0);
  hex_a = nav_certificate_get_fingerprint (p.cert_a, "sha-512");
  hex_b = nav_certificate_get_fingerprint (p.cert_b, "sha-384");
  lower_a = g_strconcat ("SHA-512 ", hex_a, NULL);
  lower_b = g_strconcat ("Sha-384 ", hex_b, NULL);
  for (gchar *c = lower_a + 8; *c; c++)
    *c = g_ascii_tolower (*c);
  fps_a[0] = "sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33";
  fps_a[1] = lower_a;
  fps_a[2] = NULL;
  fps_b[0] = "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
  fps_b[1] = lower_b;
  fps_b[2] = NULL;
  g_assert_true (nav_dtls_channel_start (p.a, NAV_DTLS_ROLE_CLIENT, p.cert_a, fps_b, 100, &error));
  g_assert_true (nav_dtls_channel_start (p.b, NAV_DTLS_ROLE_SERVER, p.cert_b, fps_a, 100, &error));
  g_assert_no_error (error);
  test_wait (p.context, both_settled, &p);
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (p.a)), ==, NAV_CHANNEL_STATE_OPEN);
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (p.b)), ==, NAV_CHANNEL_STATE_OPEN);
  dtls_pair_clear (&p);
}

/* Counts the datagrams each side sent, by the first record's content
 * type and handshake type: a ClientHello is 22 (handshake) with
 * message type 1 at byte 13. */
static guint
count_client_hellos (Relay *relay)
{
  guint i, n = 0;

  for (i = 0; i < relay->capture->len; i++)
    {
      Captured *c = g_ptr_array_index (relay->capture, i);
      gsize len;
      const guint8 *d = g_bytes_get_data (c->bytes, &len);

      if (c->from_a && len > 25 && d[0] == 22 && d[13] == 1)
        n++;
    }
  return n;
}

static gboolean
captured_some_from_a (gpointer data)
{
  DtlsPair *p = data;

  return p->relay.capture->len > 0;
}

/* A ClientHello that arrives before the server is started (the answer
 * is still on its way) is kept and answered when it starts: no
 * retransmission is needed, however long the client's timer. */
static void
check_early_client_hello (guint mtu)
{
  DtlsPair p;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) fp_a = NULL;
  g_auto (GStrv) fp_b = NULL;
  guint hellos;

  dtls_pair_init (&p, mtu, mtu);
  fp_a = test_fingerprints (p.cert_a);
  fp_b = test_fingerprints (p.cert_b);
  /* The client's first retransmission would come after 10 s. */
  g_assert_true (nav_dtls_channel_start (p.a, NAV_DTLS_ROLE_CLIENT, p.cert_a,
                                         (const gchar * const *) fp_b, 10000, &error));
  test_wait (p.context, captured_some_from_a, &p);
  test_run_for (p.context, 50);
  hellos = count_client_hellos (&p.relay);
  g_test_message ("ClientHello datagrams before the server started: %u", hellos);
  g_assert_cmpuint (hellos, >=, 1);
  if (mtu != 0)
    /* Fragmented: several datagrams for the one message (RFC 6347
     * §4.2.3), reassembled by the server. */
    g_assert_cmpuint (hellos, >, 1);
  g_assert_true (nav_dtls_channel_start (p.b, NAV_DTLS_ROLE_SERVER, p.cert_b,
                                         (const gchar * const *) fp_a, 10000, &error));
  g_assert_no_error (error);
  test_wait (p.context, both_settled, &p);
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (p.a)), ==, NAV_CHANNEL_STATE_OPEN);
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (p.b)), ==, NAV_CHANNEL_STATE_OPEN);
  /* The first flight was not sent again. */
  g_assert_cmpuint (count_client_hellos (&p.relay), ==, hellos);
  dtls_pair_clear (&p);
}

static void
test_early_client_hello (void)
{
  check_early_client_hello (0);
}

static void
test_early_fragmented_client_hello (void)
{
  check_early_client_hello (150);
}

/* The MTU of the channel below holds from the first flight on: no
 * datagram of the handshake, certificates included, is larger. */
static void
test_mtu_before_handshake (void)
{
  DtlsPair p;
  guint i;
  gsize largest = 0;

  dtls_pair_init (&p, 256, 256);
  dtls_pair_handshake (&p, NAV_DTLS_ROLE_CLIENT, 100);
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (p.a)), ==, NAV_CHANNEL_STATE_OPEN);
  for (i = 0; i < p.relay.capture->len; i++)
    {
      Captured *c = g_ptr_array_index (p.relay.capture, i);

      largest = MAX (largest, g_bytes_get_size (c->bytes));
    }
  g_test_message ("%u datagrams, the largest %" G_GSIZE_FORMAT " bytes", p.relay.capture->len,
                  largest);
  g_assert_cmpuint (largest, <=, 256);
  /* What the layer above may put in one record. */
  g_assert_cmpuint (nav_channel_get_mtu (NAV_CHANNEL (p.a)), <, 256);
  g_assert_cmpuint (nav_channel_get_mtu (NAV_CHANNEL (p.a)), >=, 256 - 40);
  dtls_pair_clear (&p);
}

typedef struct {
  guint32 state;
  guint permille;
} Loss;

static gboolean
lossy_filter (Relay    *relay,
              gboolean  from_a,
              GBytes  **bytes,
              gpointer  data)
{
  Loss *loss = data;

  /* xorshift32: the same losses at every run. */
  loss->state ^= loss->state << 13;
  loss->state ^= loss->state >> 17;
  loss->state ^= loss->state << 5;
  return loss->state % 1000 >= loss->permille;
}

/* The handshake completes when the path loses datagrams (RFC 6347
 * §4.2.4: flights are retransmitted), here 5 % and then 20 % each way,
 * with several loss patterns. */
static void
test_handshake_under_loss (void)
{
  guint permilles[] = { 50, 200 };
  guint seed, k;

  for (k = 0; k < G_N_ELEMENTS (permilles); k++)
    for (seed = 1; seed <= 4; seed++)
      {
        DtlsPair p;
        Loss loss = { seed * 2654435761u, permilles[k] };

        dtls_pair_init (&p, 0, 0);
        p.relay.filter = lossy_filter;
        p.relay.filter_data = &loss;
        dtls_pair_handshake (&p, seed % 2 ? NAV_DTLS_ROLE_CLIENT : NAV_DTLS_ROLE_SERVER, 50);
        g_test_message ("%u‰ loss, seed %u: %u datagrams dropped, %u forwarded", permilles[k], seed,
                        p.relay.dropped, p.relay.forwarded);
        g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (p.a)), ==, NAV_CHANNEL_STATE_OPEN);
        g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (p.b)), ==, NAV_CHANNEL_STATE_OPEN);
        dtls_pair_clear (&p);
      }
}

#define SECRET "The plaintext that must never be seen on the wire: 0123456789"

/* Application data leaves encrypted: the relay's capture of every
 * datagram of the association holds no trace of the plaintext. */
static void
test_no_plaintext_on_wire (void)
{
  DtlsPair p;
  g_autoptr (GError) error = NULL;
  guint i;

  dtls_pair_init (&p, 0, 0);
  dtls_pair_handshake (&p, NAV_DTLS_ROLE_CLIENT, 100);
  for (i = 0; i < 50; i++)
    {
      g_assert_true (nav_channel_send_data (NAV_CHANNEL (p.a), (const guint8 *) SECRET,
                                            strlen (SECRET), &error));
      g_assert_true (nav_channel_send_data (NAV_CHANNEL (p.b), (const guint8 *) SECRET,
                                            strlen (SECRET), &error));
      g_assert_no_error (error);
    }
  while (p.received_a->len < 50 || p.received_b->len < 50)
    g_main_context_iteration (p.context, TRUE);
  g_assert_cmpuint (p.relay.capture->len, >, 100);
  /* Not the whole secret, nor any 16-byte piece of it. */
  for (i = 0; i + 16 <= strlen (SECRET); i++)
    g_assert_false (captured_contains (p.relay.capture, (const guint8 *) SECRET + i, 16));
  dtls_pair_clear (&p);
}

typedef struct {
  gboolean armed;
  gboolean corrupt;             /* else replay */
  GBytes *seen;                 /* the record corrupted or replayed */
} Tamper;

/* Corrupts, or remembers for a replay, the first application data
 * record (content type 23) from a once armed. */
static gboolean
tamper_filter (Relay    *relay,
               gboolean  from_a,
               GBytes  **bytes,
               gpointer  data)
{
  Tamper *t = data;
  gsize len;
  const guint8 *d = g_bytes_get_data (*bytes, &len);

  if (!t->armed || !from_a || len < 30 || d[0] != 23)
    return TRUE;
  t->armed = FALSE;
  t->seen = g_bytes_ref (*bytes);
  if (t->corrupt)
    {
      guint8 *copy = g_memdup2 (d, len);

      copy[len - 20] ^= 0x40;
      g_bytes_unref (*bytes);
      *bytes = g_bytes_new_take (copy, len);
    }
  return TRUE;
}

static gboolean
b_received_two (gpointer data)
{
  DtlsPair *p = data;

  return p->received_b->len >= 2;
}

/* A forged record (corrupted on the path) fails authentication and is
 * dropped; a replayed one is dropped by the replay window (RFC 6347
 * §4.1.2.6); the association goes on either way. */
static void
check_tampered_record (gboolean corrupt)
{
  DtlsPair p;
  g_autoptr (GError) error = NULL;
  Tamper t = { FALSE, corrupt, NULL };
  guint64 dropped_before;
  gsize len;
  const guint8 *d;

  dtls_pair_init (&p, 0, 0);
  p.relay.filter = tamper_filter;
  p.relay.filter_data = &t;
  dtls_pair_handshake (&p, NAV_DTLS_ROLE_CLIENT, 100);
  dropped_before = nav_dtls_channel_get_dropped_records (p.b);
  t.armed = TRUE;
  g_assert_true (nav_channel_send_data (NAV_CHANNEL (p.a), (const guint8 *) "first", 5, &error));
  while (t.seen == NULL)
    g_main_context_iteration (p.context, TRUE);
  if (!corrupt)
    {
      /* The genuine record arrives, then its copy. */
      while (p.received_b->len < 1)
        g_main_context_iteration (p.context, TRUE);
      d = g_bytes_get_data (t.seen, &len);
      relay_inject (&p.relay, TRUE, d, len);
    }
  g_assert_true (nav_channel_send_data (NAV_CHANNEL (p.a), (const guint8 *) "second", 6, &error));
  g_assert_no_error (error);
  if (corrupt)
    {
      while (p.received_b->len < 1)
        g_main_context_iteration (p.context, TRUE);
      g_assert_cmpuint (p.received_b->len, ==, 1);
      assert_bytes_equal (g_ptr_array_index (p.received_b, 0), "second");
    }
  else
    {
      test_wait (p.context, b_received_two, &p);
      test_run_for (p.context, 50);
      g_assert_cmpuint (p.received_b->len, ==, 2);
      assert_bytes_equal (g_ptr_array_index (p.received_b, 0), "first");
      assert_bytes_equal (g_ptr_array_index (p.received_b, 1), "second");
    }
  g_test_message ("dropped: %" G_GUINT64_FORMAT " → %" G_GUINT64_FORMAT, dropped_before,
                  nav_dtls_channel_get_dropped_records (p.b));
  g_assert_cmpuint (nav_dtls_channel_get_dropped_records (p.b), >, dropped_before);
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (p.b)), ==, NAV_CHANNEL_STATE_OPEN);
  g_bytes_unref (t.seen);
  dtls_pair_clear (&p);
}

static void
test_forged_record (void)
{
  check_tampered_record (TRUE);
}

static void
test_replayed_record (void)
{
  check_tampered_record (FALSE);
}

static gboolean
b_closed (gpointer data)
{
  DtlsPair *p = data;

  return nav_channel_get_state (NAV_CHANNEL (p->b)) == NAV_CHANNEL_STATE_CLOSED;
}

/* close() sends close_notify: the peer closes too, cleanly. */
static void
test_close_notify (void)
{
  DtlsPair p;
  g_autoptr (GError) error = NULL;
  guint i, alerts = 0;

  dtls_pair_init (&p, 0, 0);
  dtls_pair_handshake (&p, NAV_DTLS_ROLE_SERVER, 100);
  nav_channel_close (NAV_CHANNEL (p.a));
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (p.a)), ==, NAV_CHANNEL_STATE_CLOSED);
  test_wait (p.context, b_closed, &p);
  g_assert_null (nav_dtls_channel_dup_error (p.b));
  g_assert_false (nav_channel_send_data (NAV_CHANNEL (p.b), (const guint8 *) "x", 1, &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_CLOSED);
  /* One alert record (content type 21) went from a. */
  for (i = 0; i < p.relay.capture->len; i++)
    {
      Captured *c = g_ptr_array_index (p.relay.capture, i);

      if (c->from_a && ((const guint8 *) g_bytes_get_data (c->bytes, NULL))[0] == 21)
        alerts++;
    }
  g_assert_cmpuint (alerts, ==, 1);
  dtls_pair_clear (&p);
}

static void
inject_garbage (DtlsPair *p,
                GRand    *rand,
                guint     n)
{
  guint i, j;

  for (i = 0; i < n; i++)
    {
      guint8 buf[1500];
      gsize len = g_rand_int_range (rand, 1, sizeof buf);

      for (j = 0; j < len; j++)
        buf[j] = g_rand_int (rand);
      /* Half of them look like DTLS records: a plausible content type,
       * version and length. */
      if (i % 2 == 0 && len > 13)
        {
          buf[0] = 20 + g_rand_int_range (rand, 0, 4);
          buf[1] = 0xfe;
          buf[2] = 0xfd;
          buf[11] = (len - 13) >> 8;
          buf[12] = (len - 13) & 0xff;
        }
      relay_inject (&p->relay, g_rand_boolean (rand), buf, len);
    }
}

/* Garbage before, during and after the handshake: nothing crashes, the
 * handshake completes or fails cleanly, and an open association stays
 * usable. */
static void
test_garbage (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (20240616);
  guint round;

  for (round = 0; round < 6; round++)
    {
      DtlsPair p;
      g_autoptr (GError) error = NULL;

      dtls_pair_init (&p, 0, 0);
      inject_garbage (&p, rand, 20);
      test_run_for (p.context, 20);
      dtls_pair_handshake (&p, round % 2 ? NAV_DTLS_ROLE_CLIENT : NAV_DTLS_ROLE_SERVER, 50);
      inject_garbage (&p, rand, 200);
      test_run_for (p.context, 50);
      if (nav_channel_get_state (NAV_CHANNEL (p.a)) == NAV_CHANNEL_STATE_OPEN &&
          nav_channel_get_state (NAV_CHANNEL (p.b)) == NAV_CHANNEL_STATE_OPEN)
        {
          g_assert_true (nav_channel_send_data (NAV_CHANNEL (p.a), (const guint8 *) "still", 5,
                                                &error));
          g_assert_no_error (error);
          while (p.received_b->len == 0)
            g_main_context_iteration (p.context, TRUE);
          assert_bytes_equal (g_ptr_array_index (p.received_b, p.received_b->len - 1), "still");
          g_assert_cmpuint (nav_dtls_channel_get_dropped_records (p.b), >, 0);
        }
      else
        {
          g_autoptr (GError) why = nav_dtls_channel_dup_error (p.a);

          if (why == NULL)
            why = nav_dtls_channel_dup_error (p.b);
          g_assert_nonnull (why);
          g_test_message ("round %u failed cleanly: %s", round, why->message);
        }
      dtls_pair_clear (&p);
    }
}

/* RFC 7983 §7: what is not DTLS on the path (STUN, TURN channel data,
 * RTP) is dropped and counted, never handed up. */
static void
test_demultiplexing (void)
{
  DtlsPair p;
  static const guint8 stun[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };
  static const guint8 turn_channel[8] = { 0x40, 0x00, 0x00, 0x04, 'd', 'a', 't', 'a' };
  static const guint8 rtp[12] = { 0x80, 0x60 };
  guint64 before;

  dtls_pair_init (&p, 0, 0);
  dtls_pair_handshake (&p, NAV_DTLS_ROLE_CLIENT, 100);
  before = nav_dtls_channel_get_dropped_records (p.b);
  relay_inject (&p.relay, TRUE, stun, sizeof stun);
  relay_inject (&p.relay, TRUE, turn_channel, sizeof turn_channel);
  relay_inject (&p.relay, TRUE, rtp, sizeof rtp);
  test_run_for (p.context, 50);
  /* STUN never reaches the DTLS channel (the channel below keeps it for
   * the checks); the other two do, and are dropped there. */
  g_assert_cmpuint (nav_dtls_channel_get_dropped_records (p.b), ==, before + 2);
  g_assert_cmpuint (p.received_b->len, ==, 0);
  g_assert_cmpint (nav_channel_get_state (NAV_CHANNEL (p.b)), ==, NAV_CHANNEL_STATE_OPEN);
  dtls_pair_clear (&p);
}

/* A message larger than a record (2^14 bytes) is refused with a clear
 * error; one that fits goes in one datagram, even above get_mtu() (what
 * every path carries: larger records are for the layer above to probe
 * the path with, RFC 8899); a batch goes in order. */
static void
test_sizes_and_batches (void)
{
  DtlsPair p;
  g_autoptr (GError) error = NULL;
  gsize mtu;
  g_autofree guint8 *big = NULL;
  GOutputVector vectors[40][2];
  NavOutputMessage messages[40];
  gchar texts[40][16];
  guint i;

  dtls_pair_init (&p, 0, 0);
  dtls_pair_handshake (&p, NAV_DTLS_ROLE_CLIENT, 100);
  mtu = nav_channel_get_mtu (NAV_CHANNEL (p.a));
  g_test_message ("data MTU %" G_GSIZE_FORMAT, mtu);
  g_assert_cmpuint (mtu, >, 1100);
  g_assert_cmpuint (mtu, <, 1200);
  big = g_malloc0 (16384 + 1);
  g_assert_false (nav_channel_send_data (NAV_CHANNEL (p.a), big, 16384 + 1, &error));
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_MESSAGE_TOO_LARGE);
  g_clear_error (&error);
  g_assert_true (nav_channel_send_data (NAV_CHANNEL (p.a), big, mtu, &error));
  g_assert_no_error (error);
  memset (big, 0x5a, 16384);
  g_assert_true (nav_channel_send_data (NAV_CHANNEL (p.a), big, 16384, &error));
  g_assert_no_error (error);
  for (i = 0; i < 40; i++)
    {
      g_snprintf (texts[i], sizeof texts[i], "message %u", i);
      /* Two pieces, gathered into one record. */
      vectors[i][0].buffer = texts[i];
      vectors[i][0].size = 8;
      vectors[i][1].buffer = texts[i] + 8;
      vectors[i][1].size = strlen (texts[i]) - 8;
      messages[i].buffers = vectors[i];
      messages[i].n_buffers = 2;
    }
  g_assert_cmpint (nav_channel_send_messages (NAV_CHANNEL (p.a), messages, 40, &error), ==, 40);
  g_assert_no_error (error);
  while (p.received_b->len < 42)
    g_main_context_iteration (p.context, TRUE);
  g_assert_cmpuint (g_bytes_get_size (g_ptr_array_index (p.received_b, 0)), ==, mtu);
  g_assert_cmpuint (g_bytes_get_size (g_ptr_array_index (p.received_b, 1)), ==, 16384);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (p.received_b, 1), NULL), 16384, big, 16384);
  for (i = 0; i < 40; i++)
    assert_bytes_equal (g_ptr_array_index (p.received_b, i + 2), texts[i]);
  dtls_pair_clear (&p);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dtls/handshake/client", test_handshake_client);
  g_test_add_func ("/dtls/handshake/server", test_handshake_server);
  g_test_add_func ("/dtls/fingerprint/mismatch-server", test_fingerprint_mismatch_server);
  g_test_add_func ("/dtls/fingerprint/mismatch-client", test_fingerprint_mismatch_client);
  g_test_add_func ("/dtls/fingerprint/forms", test_fingerprint_forms);
  g_test_add_func ("/dtls/early-client-hello", test_early_client_hello);
  g_test_add_func ("/dtls/early-fragmented-client-hello", test_early_fragmented_client_hello);
  g_test_add_func ("/dtls/mtu-before-handshake", test_mtu_before_handshake);
  g_test_add_func ("/dtls/handshake-under-loss", test_handshake_under_loss);
  g_test_add_func ("/dtls/no-plaintext-on-wire", test_no_plaintext_on_wire);
  g_test_add_func ("/dtls/forged-record", test_forged_record);
  g_test_add_func ("/dtls/replayed-record", test_replayed_record);
  g_test_add_func ("/dtls/close-notify", test_close_notify);
  g_test_add_func ("/dtls/garbage", test_garbage);
  g_test_add_func ("/dtls/demultiplexing", test_demultiplexing);
  g_test_add_func ("/dtls/sizes-and-batches", test_sizes_and_batches);

  return g_test_run ();
}
