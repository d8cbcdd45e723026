/* test-peer-connection.c: two NavPeerConnections in one process, through
 * offer, answer and trickled candidates, to an encrypted connection
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "pc-test-util.h"

static void
send_text (PcSide      *side,
           const gchar *text)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (nav_channel_send_data (NAV_CHANNEL (nav_peer_connection_get_dtls_channel (side->pc)),
                                        (const guint8 *) text, strlen (text), &error));
  g_assert_no_error (error);
}

typedef struct {
  PcSide *side;
  guint count;
} ReceivedCount;

static gboolean
has_received (gpointer data)
{
  ReceivedCount *r = data;

  return r->side->received->len >= r->count;
}

static void
wait_received (PcPair *pair,
               PcSide *side,
               guint   count)
{
  ReceivedCount r = { side, count };

  test_wait (pair->context, has_received, &r);
}

static void
assert_received (PcSide      *side,
                 guint        index,
                 const gchar *text)
{
  gsize len;
  const gchar *data = g_bytes_get_data (g_ptr_array_index (side->received, index), &len);

  g_assert_cmpmem (data, len, text, strlen (text));
}

static gchar *
fingerprint_in (const gchar *sdp)
{
  const gchar *at = strstr (sdp, "a=fingerprint:");
  const gchar *end;

  g_assert_nonnull (at);
  at += strlen ("a=fingerprint:");
  end = strstr (at, "\r\n");
  return g_strndup (at, end - at);
}

/* The whole exchange: offer (actpass, trickle, fingerprint, BUNDLE, the
 * data channel m-line issue 17 builds on), answer (active), trickled
 * candidates, ICE, DTLS with the signalled certificates, data both
 * ways. */
static void
test_connect (void)
{
  PcPair pair;
  g_autoptr (NavSessionDescription) local_a = NULL;
  g_autoptr (NavSessionDescription) remote_b = NULL;
  g_autoptr (NavSessionDescription) local_b = NULL;
  g_autoptr (NavCertificate) peer_of_a = NULL;
  g_autoptr (NavCertificate) peer_of_b = NULL;
  g_autofree gchar *offered = NULL, *answered = NULL, *fp = NULL;
  const gchar *offer, *answer;
  NavDtlsChannel *dtls_a, *dtls_b;

  pc_pair_init (&pair);
  g_assert_cmpint (nav_peer_connection_get_signaling_state (pair.a.pc), ==, NAV_SIGNALING_STATE_STABLE);
  g_assert_cmpint (nav_peer_connection_get_connection_state (pair.a.pc), ==, NAV_PEER_CONNECTION_STATE_NEW);
  g_assert_cmpint (nav_peer_connection_get_ice_gathering_state (pair.a.pc), ==, NAV_ICE_GATHERING_STATE_NEW);
  g_assert_null (nav_peer_connection_get_dtls_channel (pair.a.pc));

  pc_negotiate (&pair, &pair.a, NULL, NULL, NULL);
  pc_pair_listen (&pair);
  test_wait (pair.context, pc_both_settled, &pair);
  g_assert_cmpint (nav_peer_connection_get_connection_state (pair.a.pc), ==, NAV_PEER_CONNECTION_STATE_CONNECTED);
  g_assert_cmpint (nav_peer_connection_get_connection_state (pair.b.pc), ==, NAV_PEER_CONNECTION_STATE_CONNECTED);
  g_assert_cmpint (nav_peer_connection_get_ice_connection_state (pair.a.pc), ==, NAV_ICE_CONNECTION_STATE_CONNECTED);
  g_assert_cmpint (nav_peer_connection_get_signaling_state (pair.a.pc), ==, NAV_SIGNALING_STATE_STABLE);
  g_assert_cmpint (nav_peer_connection_get_signaling_state (pair.b.pc), ==, NAV_SIGNALING_STATE_STABLE);

  /* What the offer and the answer say (RFC 8829, 8841, 8842). */
  local_a = nav_peer_connection_get_local_description (pair.a.pc);
  remote_b = nav_peer_connection_get_remote_description (pair.b.pc);
  local_b = nav_peer_connection_get_local_description (pair.b.pc);
  g_assert_cmpint (nav_session_description_get_sdp_type (local_a), ==, NAV_SDP_TYPE_OFFER);
  g_assert_cmpint (nav_session_description_get_sdp_type (local_b), ==, NAV_SDP_TYPE_ANSWER);
  offer = nav_session_description_get_sdp (remote_b);
  answer = nav_session_description_get_sdp (local_b);
  g_test_message ("offer:\n%s\nanswer:\n%s", offer, answer);
  g_assert_true (g_str_has_prefix (offer, "v=0\r\no=- "));
  g_assert_nonnull (strstr (offer, "a=group:BUNDLE 0\r\n"));
  g_assert_nonnull (strstr (offer, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
  g_assert_nonnull (strstr (offer, "a=mid:0\r\n"));
  g_assert_nonnull (strstr (offer, "a=ice-options:trickle\r\n"));
  g_assert_nonnull (strstr (offer, "a=setup:actpass\r\n"));
  g_assert_nonnull (strstr (offer, "a=sctp-port:5000\r\n"));
  g_assert_nonnull (strstr (offer, "a=max-message-size:262144\r\n"));
  g_assert_nonnull (strstr (offer, "a=ice-ufrag:"));
  g_assert_nonnull (strstr (offer, "a=ice-pwd:"));
  g_assert_nonnull (strstr (answer, "a=setup:active\r\n"));
  g_assert_nonnull (strstr (answer, "a=group:BUNDLE 0\r\n"));
  /* The local description has the candidates gathered since. */
  g_assert_nonnull (strstr (answer, "a=candidate:"));
  g_assert_nonnull (strstr (answer, "a=end-of-candidates\r\n"));
  g_assert_null (strstr (answer, "m=application 9 "));

  /* The fingerprints are the certificates'. */
  offered = fingerprint_in (offer);
  fp = nav_certificate_get_fingerprint (nav_peer_connection_get_certificate (pair.a.pc), "sha-256");
  g_assert_cmpstr (offered + strlen ("sha-256 "), ==, fp);
  answered = fingerprint_in (answer);

  /* Roles: the answerer is the DTLS client; each authenticated the
   * other. */
  dtls_a = nav_peer_connection_get_dtls_channel (pair.a.pc);
  dtls_b = nav_peer_connection_get_dtls_channel (pair.b.pc);
  g_assert_cmpint (nav_dtls_channel_get_role (dtls_a), ==, NAV_DTLS_ROLE_SERVER);
  g_assert_cmpint (nav_dtls_channel_get_role (dtls_b), ==, NAV_DTLS_ROLE_CLIENT);
  peer_of_a = nav_dtls_channel_dup_peer_certificate (dtls_a);
  peer_of_b = nav_dtls_channel_dup_peer_certificate (dtls_b);
  g_assert_true (g_bytes_equal (nav_certificate_get_der (peer_of_a),
                                nav_certificate_get_der (nav_peer_connection_get_certificate (pair.b.pc))));
  g_assert_true (g_bytes_equal (nav_certificate_get_der (peer_of_b),
                                nav_certificate_get_der (nav_peer_connection_get_certificate (pair.a.pc))));
  g_test_message ("%s", nav_dtls_channel_get_cipher_suite (dtls_a));

  /* Trickle: each side ended its candidates. */
  g_assert_cmpuint (pair.a.end_of_candidates, ==, 1);
  g_assert_cmpuint (pair.b.end_of_candidates, ==, 1);
  g_assert_cmpint (nav_peer_connection_get_ice_gathering_state (pair.a.pc), ==, NAV_ICE_GATHERING_STATE_COMPLETE);

  send_text (&pair.a, "hello b");
  send_text (&pair.b, "hello a");
  wait_received (&pair, &pair.a, 1);
  wait_received (&pair, &pair.b, 1);
  assert_received (&pair.a, 0, "hello a");
  assert_received (&pair.b, 0, "hello b");
  pc_pair_clear (&pair);
}

#define SECRET "never on the wire, in the clear: 5f3c1a"

/* What reaches each agent's channel from the network (after STUN went to
 * the checks) never holds the plaintext. */
static void
test_no_plaintext_on_wire (void)
{
  PcPair pair;
  guint i, j;

  pc_pair_init (&pair);
  pc_negotiate (&pair, &pair.b, NULL, NULL, NULL);
  pc_pair_listen (&pair);
  test_wait (pair.context, pc_both_connected, &pair);
  for (i = 0; i < 20; i++)
    {
      send_text (&pair.a, SECRET);
      send_text (&pair.b, SECRET);
    }
  wait_received (&pair, &pair.a, 20);
  wait_received (&pair, &pair.b, 20);
  g_assert_cmpuint (pair.a.wire->len, >, 20);
  g_assert_cmpuint (pair.b.wire->len, >, 20);
  for (j = 0; j < 2; j++)
    {
      GPtrArray *wire = j == 0 ? pair.a.wire : pair.b.wire;

      for (i = 0; i < wire->len; i++)
        {
          gsize len;
          const guint8 *d = g_bytes_get_data (g_ptr_array_index (wire, i), &len);

          /* Every datagram is a DTLS record (RFC 7983), none the text. */
          g_assert_cmpuint (d[0], >=, 20);
          g_assert_cmpuint (d[0], <=, 63);
          g_assert_null (memmem (d, len, "5f3c1a", 6));
          g_assert_null (memmem (d, len, "never on the wire", 17));
        }
    }
  pc_pair_clear (&pair);
}

typedef struct {
  gchar *fingerprint;
} FingerprintSwap;

static gchar *
swap_fingerprint (const gchar *sdp,
                  gpointer     data)
{
  FingerprintSwap *swap = data;
  g_autofree gchar *old = fingerprint_in (sdp);

  return replace_once (sdp, old, swap->fingerprint);
}

/* A certificate other than the signalled one is refused, by the DTLS
 * client (the offer lies about the offerer, the server) and by the
 * server (the answer lies about the answerer, the client, whose
 * certificate the server requested). */
static void
check_fingerprint_mismatch (gboolean lie_in_offer)
{
  PcPair pair;
  g_autoptr (NavCertificate) other = test_certificate ();
  g_autofree gchar *hex = nav_certificate_get_fingerprint (other, "sha-256");
  FingerprintSwap swap = { g_strconcat ("sha-256 ", hex, NULL) };
  g_autoptr (GError) why = NULL;
  NavPeerConnection *checker;

  pc_pair_init (&pair);
  pc_negotiate (&pair, &pair.a, lie_in_offer ? swap_fingerprint : NULL,
                lie_in_offer ? NULL : swap_fingerprint, &swap);
  test_wait (pair.context, pc_both_settled, &pair);
  g_assert_cmpint (nav_peer_connection_get_connection_state (pair.a.pc), ==, NAV_PEER_CONNECTION_STATE_FAILED);
  g_assert_cmpint (nav_peer_connection_get_connection_state (pair.b.pc), ==, NAV_PEER_CONNECTION_STATE_FAILED);
  /* b (the client) checked a in the first case, a (the server) b in the
   * second. */
  checker = lie_in_offer ? pair.b.pc : pair.a.pc;
  why = nav_dtls_channel_dup_error (nav_peer_connection_get_dtls_channel (checker));
  g_assert_error (why, NAV_DTLS_ERROR, NAV_DTLS_ERROR_FINGERPRINT_MISMATCH);
  g_test_message ("%s", why->message);
  g_free (swap.fingerprint);
  pc_pair_clear (&pair);
}

static void
test_fingerprint_mismatch_offer (void)
{
  check_fingerprint_mismatch (TRUE);
}

static void
test_fingerprint_mismatch_answer (void)
{
  check_fingerprint_mismatch (FALSE);
}

typedef struct {
  const gchar *from;
  const gchar *to;
} Replace;

static gchar *
replace_text (const gchar *sdp,
              gpointer     data)
{
  Replace *r = data;

  return replace_once (sdp, r->from, r->to);
}

/* a=setup values that give no client and server are refused before
 * anything is applied: actpass or holdconn in an answer, holdconn in
 * an offer. */
static void
check_setup_refused (gboolean     in_offer,
                     const gchar *setup)
{
  PcPair pair;
  g_autoptr (GError) error = NULL;
  g_autoptr (NavSessionDescription) offer = NULL;
  g_autoptr (NavSessionDescription) answer = NULL;
  g_autoptr (NavSessionDescription) bad = NULL;
  g_autofree gchar *line = g_strdup_printf ("a=setup:%s\r\n", setup);
  g_autofree gchar *text = NULL;

  pc_pair_init (&pair);
  pair.trickle = FALSE;
  offer = pc_create (&pair, pair.a.pc, TRUE);
  g_assert_true (nav_peer_connection_set_local_description (pair.a.pc, offer, NULL));
  if (in_offer)
    {
      text = replace_once (nav_session_description_get_sdp (offer), "a=setup:actpass\r\n", line);
      bad = nav_session_description_new (NAV_SDP_TYPE_OFFER, text);
      g_assert_false (nav_peer_connection_set_remote_description (pair.b.pc, bad, &error));
      g_assert_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_SETUP);
      g_test_message ("%s", error->message);
      /* Nothing applied. */
      g_assert_cmpint (nav_peer_connection_get_signaling_state (pair.b.pc), ==, NAV_SIGNALING_STATE_STABLE);
      g_assert_null (nav_peer_connection_get_remote_description (pair.b.pc));
    }
  else
    {
      g_assert_true (nav_peer_connection_set_remote_description (pair.b.pc, offer, NULL));
      answer = pc_create (&pair, pair.b.pc, FALSE);
      text = replace_once (nav_session_description_get_sdp (answer), "a=setup:active\r\n", line);
      bad = nav_session_description_new (NAV_SDP_TYPE_ANSWER, text);
      g_assert_false (nav_peer_connection_set_remote_description (pair.a.pc, bad, &error));
      g_assert_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_SETUP);
      g_test_message ("%s", error->message);
      g_assert_cmpint (nav_peer_connection_get_signaling_state (pair.a.pc), ==, NAV_SIGNALING_STATE_HAVE_LOCAL_OFFER);
      /* The genuine answer still works. */
      g_clear_error (&error);
      g_assert_true (nav_peer_connection_set_remote_description (pair.a.pc, answer, &error));
      g_assert_no_error (error);
    }
  pc_pair_clear (&pair);
}

static void
test_setup_refused (void)
{
  check_setup_refused (FALSE, "actpass");
  check_setup_refused (FALSE, "holdconn");
  check_setup_refused (TRUE, "holdconn");
}

/* An offer that says active makes us passive (the DTLS server), one
 * that says passive makes us active: the connection comes up either
 * way, with the roles swapped. */
static void
check_setup_offer (const gchar *setup,
                   const gchar *expected_answer,
                   NavDtlsRole  answerer_role)
{
  PcPair pair;
  g_autofree gchar *line = g_strdup_printf ("a=setup:%s\r\n", setup);
  Replace r = { "a=setup:actpass\r\n", line };
  g_autoptr (NavSessionDescription) answer = NULL;

  pc_pair_init (&pair);
  pc_negotiate (&pair, &pair.a, replace_text, NULL, &r);
  answer = nav_peer_connection_get_local_description (pair.b.pc);
  g_assert_nonnull (strstr (nav_session_description_get_sdp (answer), expected_answer));
  test_wait (pair.context, pc_both_connected, &pair);
  g_assert_cmpint (nav_dtls_channel_get_role (nav_peer_connection_get_dtls_channel (pair.b.pc)), ==,
                   answerer_role);
  pc_pair_clear (&pair);
}

static void
test_setup_offer_roles (void)
{
  check_setup_offer ("active", "a=setup:passive\r\n", NAV_DTLS_ROLE_SERVER);
  check_setup_offer ("passive", "a=setup:active\r\n", NAV_DTLS_ROLE_CLIENT);
}

/* The signaling state machine (RFC 8829 §3.2): what is not allowed in
 * a state is refused; a modified local description is refused;
 * rollback; pranswer then answer. */
static void
test_signaling_states (void)
{
  PcPair pair;
  g_autoptr (GError) error = NULL;
  g_autoptr (NavSessionDescription) offer = NULL;
  g_autoptr (NavSessionDescription) answer = NULL;
  g_autoptr (NavSessionDescription) pranswer = NULL;
  g_autoptr (NavSessionDescription) munged = NULL;
  g_autoptr (NavSessionDescription) rollback = nav_session_description_new (NAV_SDP_TYPE_ROLLBACK, "");
  g_autofree gchar *text = NULL;
  NavSessionDescription *none;

  pc_pair_init (&pair);
  pair.trickle = FALSE;
  /* No answer without an offer. */
  none = pc_try_create (&pair, pair.a.pc, FALSE, &error);
  g_assert_null (none);
  g_assert_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_STATE);
  g_clear_error (&error);
  offer = pc_create (&pair, pair.a.pc, TRUE);
  /* An answer cannot be set in stable. */
  answer = nav_session_description_new (NAV_SDP_TYPE_ANSWER, nav_session_description_get_sdp (offer));
  g_assert_false (nav_peer_connection_set_local_description (pair.b.pc, answer, &error));
  g_assert_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_STATE);
  g_clear_error (&error);
  g_assert_false (nav_peer_connection_set_remote_description (pair.b.pc, answer, &error));
  g_assert_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_STATE);
  g_clear_error (&error);
  g_clear_pointer (&answer, nav_session_description_unref);
  /* What was not made cannot be set as ours. */
  text = replace_once (nav_session_description_get_sdp (offer), "a=max-message-size:262144",
                       "a=max-message-size:1");
  munged = nav_session_description_new (NAV_SDP_TYPE_OFFER, text);
  g_assert_false (nav_peer_connection_set_local_description (pair.a.pc, munged, &error));
  g_assert_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_MODIFICATION);
  g_clear_error (&error);

  /* a's offer, rolled back, then set again. */
  g_assert_true (nav_peer_connection_set_local_description (pair.a.pc, offer, &error));
  g_assert_cmpint (nav_peer_connection_get_signaling_state (pair.a.pc), ==, NAV_SIGNALING_STATE_HAVE_LOCAL_OFFER);
  g_assert_true (nav_peer_connection_set_local_description (pair.a.pc, rollback, &error));
  g_assert_no_error (error);
  g_assert_cmpint (nav_peer_connection_get_signaling_state (pair.a.pc), ==, NAV_SIGNALING_STATE_STABLE);
  g_assert_null (nav_peer_connection_get_local_description (pair.a.pc));
  g_assert_true (nav_peer_connection_set_local_description (pair.a.pc, offer, &error));
  g_assert_no_error (error);
  /* b takes the offer, rolls it back, takes it again. */
  g_assert_true (nav_peer_connection_set_remote_description (pair.b.pc, offer, &error));
  g_assert_cmpint (nav_peer_connection_get_signaling_state (pair.b.pc), ==, NAV_SIGNALING_STATE_HAVE_REMOTE_OFFER);
  g_assert_true (nav_peer_connection_set_remote_description (pair.b.pc, rollback, &error));
  g_assert_no_error (error);
  g_assert_cmpint (nav_peer_connection_get_signaling_state (pair.b.pc), ==, NAV_SIGNALING_STATE_STABLE);
  g_assert_true (nav_peer_connection_set_remote_description (pair.b.pc, offer, &error));
  g_assert_no_error (error);
  /* No offer while a remote one is pending. */
  none = pc_try_create (&pair, pair.b.pc, TRUE, &error);
  g_assert_null (none);
  g_assert_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_STATE);
  g_clear_error (&error);
  /* pranswer, then the answer. */
  answer = pc_create (&pair, pair.b.pc, FALSE);
  pranswer = nav_session_description_new (NAV_SDP_TYPE_PRANSWER, nav_session_description_get_sdp (answer));
  g_assert_true (nav_peer_connection_set_local_description (pair.b.pc, pranswer, &error));
  g_assert_no_error (error);
  g_assert_cmpint (nav_peer_connection_get_signaling_state (pair.b.pc), ==, NAV_SIGNALING_STATE_HAVE_LOCAL_PRANSWER);
  g_assert_true (nav_peer_connection_set_remote_description (pair.a.pc, pranswer, &error));
  g_assert_cmpint (nav_peer_connection_get_signaling_state (pair.a.pc), ==, NAV_SIGNALING_STATE_HAVE_REMOTE_PRANSWER);
  g_assert_true (nav_peer_connection_set_local_description (pair.b.pc, answer, &error));
  g_assert_true (nav_peer_connection_set_remote_description (pair.a.pc, answer, &error));
  g_assert_no_error (error);
  g_assert_cmpint (nav_peer_connection_get_signaling_state (pair.a.pc), ==, NAV_SIGNALING_STATE_STABLE);
  g_assert_cmpint (nav_peer_connection_get_signaling_state (pair.b.pc), ==, NAV_SIGNALING_STATE_STABLE);
  pc_side_flush (&pair.a, &pair.b);
  pc_side_flush (&pair.b, &pair.a);
  pair.trickle = TRUE;
  test_wait (pair.context, pc_both_connected, &pair);
  pc_pair_clear (&pair);
}

/* Candidates as browsers trickle them are taken; what cannot be used
 * is ignored (mDNS names, another generation) or refused (garbage, an
 * m-line that is not ours), and nothing before a remote description. */
static void
test_add_ice_candidate (void)
{
  PcPair pair;
  g_autoptr (GError) error = NULL;
  g_autoptr (NavSessionDescription) offer = NULL;
  static const gchar *const accepted[] = {
    /* Chromium */
    "candidate:1467250027 1 udp 2122260223 127.0.0.1 46243 typ host generation 0 network-id 1 network-cost 10",
    "candidate:435653019 1 tcp 1845501695 127.0.0.1 9 typ srflx raddr 127.0.0.1 rport 0 tcptype active generation 0",
    /* mDNS, ignored */
    "candidate:2 1 udp 2113937151 4d1b0a6c-5f2e-4b5a-9c3e-2f6e1d7a8b9c.local 54400 typ host generation 0 network-cost 999",
    /* Firefox */
    "candidate:0 1 UDP 2122252543 127.0.0.1 55132 typ host",
    "a=candidate:1 1 UDP 1686052863 127.0.0.2 55132 typ srflx raddr 127.0.0.1 rport 55132",
    /* aiortc */
    "candidate:d3b4aa2b8ac3ae2fd2b72d1a1e2d02a0 1 udp 2130706431 127.0.0.1 39701 typ host",
    /* libdatachannel */
    "candidate:1 1 UDP 2122317823 127.0.0.1 52921 typ host",
  };
  static const gchar *const refused[] = {
    "", "candidate:", "candidate:1 1 udp", "candidate:1 1 udp 1 127.0.0.1 99999 typ host",
    "candidate:1 1 sctp 1 127.0.0.1 9 typ host", "candidate:1 1 udp 1 not-an-ip 9 typ host",
    "hello", "candidate:1 1 udp 1 127.0.0.1 9 typ weird",
  };
  guint i;

  pc_pair_init (&pair);
  pair.trickle = FALSE;
  g_assert_false (nav_peer_connection_add_ice_candidate (pair.b.pc, accepted[0], "0", 0, &error));
  g_assert_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_STATE);
  g_clear_error (&error);
  offer = pc_create (&pair, pair.a.pc, TRUE);
  g_assert_true (nav_peer_connection_set_remote_description (pair.b.pc, offer, &error));
  for (i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_assert_true (nav_peer_connection_add_ice_candidate (pair.b.pc, accepted[i], "0", 0, &error));
      g_assert_no_error (error);
    }
  /* A stale generation is ignored. */
  g_assert_true (nav_peer_connection_add_ice_candidate (pair.b.pc,
      "candidate:9 1 udp 2122260223 127.0.0.1 4000 typ host generation 0 ufrag zzzz", NULL, 0, &error));
  for (i = 1; i < G_N_ELEMENTS (refused); i++)
    {
      g_assert_false (nav_peer_connection_add_ice_candidate (pair.b.pc, refused[i], "0", 0, &error));
      g_assert_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_CANDIDATE);
      g_clear_error (&error);
    }
  g_assert_false (nav_peer_connection_add_ice_candidate (pair.b.pc, accepted[0], "video", 1, &error));
  g_assert_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_CANDIDATE);
  g_clear_error (&error);
  g_assert_false (nav_peer_connection_add_ice_candidate (pair.b.pc, accepted[0], NULL, 3, &error));
  g_clear_error (&error);
  /* End of candidates, as NULL or "". */
  g_assert_true (nav_peer_connection_add_ice_candidate (pair.b.pc, NULL, "0", 0, &error));
  g_assert_true (nav_peer_connection_add_ice_candidate (pair.b.pc, "", NULL, -1, &error));
  g_assert_no_error (error);
  pc_pair_clear (&pair);
}

static gboolean
negotiation_needed (gpointer data)
{
  PcSide *side = data;

  return side->negotiation_needed > 0;
}

static guint
handshake_records (GPtrArray *wire,
                   guint      from)
{
  guint i, n = 0;

  for (i = from; i < wire->len; i++)
    if (((const guint8 *) g_bytes_get_data (g_ptr_array_index (wire, i), NULL))[0] == 22)
      n++;
  return n;
}

static void
count_selected (guint *count)
{
  (*count)++;
}

static gpointer counts[4];

static gboolean
selected_again (gpointer data)
{
  gpointer *c = data;

  return *(guint *) c[0] > GPOINTER_TO_UINT (c[2]) && *(guint *) c[1] > GPOINTER_TO_UINT (c[3]);
}

/* restart_ice(): negotiation-needed, an offer with new credentials, the
 * peer restarts too, the checks run again, and the DTLS association
 * carries on over the agent's rebound channel: no handshake record, the
 * same channel, data before and after. */
static void
test_restart_ice (void)
{
  PcPair pair;
  g_autoptr (NavSessionDescription) before = NULL;
  g_autoptr (NavSessionDescription) after = NULL;
  NavDtlsChannel *dtls_a;
  guint wire_a, wire_b;
  guint candidates_before;
  guint selected_a = 0, selected_b = 0, selected_a_before, selected_b_before;

  pc_pair_init (&pair);
  g_signal_connect_swapped (nav_peer_connection_get_agent (pair.a.pc), "new-selected-pair-full",
                            G_CALLBACK (count_selected), &selected_a);
  g_signal_connect_swapped (nav_peer_connection_get_agent (pair.b.pc), "new-selected-pair-full",
                            G_CALLBACK (count_selected), &selected_b);
  pc_negotiate (&pair, &pair.a, NULL, NULL, NULL);
  pc_pair_listen (&pair);
  test_wait (pair.context, pc_both_connected, &pair);
  selected_a_before = selected_a;
  selected_b_before = selected_b;
  dtls_a = nav_peer_connection_get_dtls_channel (pair.a.pc);
  send_text (&pair.a, "before");
  wait_received (&pair, &pair.b, 1);
  before = nav_peer_connection_get_local_description (pair.a.pc);
  wire_a = pair.a.wire->len;
  wire_b = pair.b.wire->len;
  candidates_before = pair.b.candidates->len;

  /* b restarts (the answerer of the first exchange offers now). */
  nav_peer_connection_restart_ice (pair.b.pc);
  test_wait (pair.context, negotiation_needed, &pair.b);
  pc_negotiate (&pair, &pair.b, NULL, NULL, NULL);
  after = nav_peer_connection_get_local_description (pair.a.pc);
  g_assert_cmpstr (strstr (nav_session_description_get_sdp (before), "a=ice-ufrag:"), !=,
                   strstr (nav_session_description_get_sdp (after), "a=ice-ufrag:"));
  /* The restarted checks selected a pair again on each side (here the
   * same path: loopback does not move). */
  counts[0] = &selected_a;
  counts[1] = &selected_b;
  counts[2] = GUINT_TO_POINTER (selected_a_before);
  counts[3] = GUINT_TO_POINTER (selected_b_before);
  test_wait (pair.context, selected_again, counts);
  test_wait (pair.context, pc_both_connected, &pair);
  /* The candidates were announced again for the new credentials, with
   * the new ufrag. */
  g_assert_cmpuint (pair.b.candidates->len, >, candidates_before);
  g_assert_nonnull (strstr (g_ptr_array_index (pair.b.candidates, candidates_before), " ufrag "));
  send_text (&pair.a, "after");
  send_text (&pair.b, "after too");
  wait_received (&pair, &pair.b, 2);
  wait_received (&pair, &pair.a, 1);
  assert_received (&pair.b, 1, "after");
  assert_received (&pair.a, 0, "after too");
  g_assert_true (nav_peer_connection_get_dtls_channel (pair.a.pc) == dtls_a);
  g_assert_cmpuint (handshake_records (pair.a.wire, wire_a), ==, 0);
  g_assert_cmpuint (handshake_records (pair.b.wire, wire_b), ==, 0);
  /* A subsequent offer keeps the roles: b (the DTLS client) said actpass
   * again and a answered passive. */
  g_assert_cmpint (nav_dtls_channel_get_role (dtls_a), ==, NAV_DTLS_ROLE_SERVER);
  g_assert_nonnull (strstr (nav_session_description_get_sdp (after), "a=setup:passive"));
  pc_pair_clear (&pair);
}

static gboolean
b_closed (gpointer data)
{
  PcPair *pair = data;

  return nav_peer_connection_get_connection_state (pair->b.pc) == NAV_PEER_CONNECTION_STATE_CLOSED;
}

/* close(): every state closed, nothing more allowed; the peer hears
 * close_notify and closes too. */
static void
test_close (void)
{
  PcPair pair;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) why = NULL;

  pc_pair_init (&pair);
  pc_negotiate (&pair, &pair.a, NULL, NULL, NULL);
  test_wait (pair.context, pc_both_connected, &pair);
  nav_peer_connection_close (pair.a.pc);
  g_assert_cmpint (nav_peer_connection_get_connection_state (pair.a.pc), ==, NAV_PEER_CONNECTION_STATE_CLOSED);
  g_assert_cmpint (nav_peer_connection_get_signaling_state (pair.a.pc), ==, NAV_SIGNALING_STATE_CLOSED);
  g_assert_cmpint (nav_peer_connection_get_ice_connection_state (pair.a.pc), ==, NAV_ICE_CONNECTION_STATE_CLOSED);
  g_assert_false (nav_peer_connection_add_ice_candidate (pair.a.pc, NULL, NULL, -1, &error));
  g_assert_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_STATE);
  test_wait (pair.context, b_closed, &pair);
  why = nav_dtls_channel_dup_error (nav_peer_connection_get_dtls_channel (pair.b.pc));
  g_assert_no_error (why);
  pc_pair_clear (&pair);
}

/* Garbage, truncated and mutated descriptions are refused with
 * INVALID_DESCRIPTION and change nothing: a good exchange follows. */
static void
test_garbage_descriptions (void)
{
  PcPair pair;
  g_autoptr (NavSessionDescription) offer = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (16);
  const gchar *text;
  gsize len;
  guint i, refused = 0;

  pc_pair_init (&pair);
  offer = pc_create (&pair, pair.a.pc, TRUE);
  text = nav_session_description_get_sdp (offer);
  len = strlen (text);
  for (i = 0; i < 2000; i++)
    {
      g_autofree gchar *mutated = g_strdup (text);
      g_autoptr (NavSessionDescription) bad = NULL;
      g_autoptr (GError) error = NULL;
      guint k, n = g_rand_int_range (rand, 1, 8);

      for (k = 0; k < n; k++)
        mutated[g_rand_int_range (rand, 0, len)] = (gchar) g_rand_int_range (rand, 1, 256);
      if (i % 3 == 0)
        mutated[g_rand_int_range (rand, 0, len)] = '\0';
      bad = nav_session_description_new (NAV_SDP_TYPE_OFFER, mutated);
      if (!nav_peer_connection_set_remote_description (pair.b.pc, bad, &error))
        {
          refused++;
          g_assert_true (error->domain == NAV_PEER_CONNECTION_ERROR);
          g_assert_cmpint (nav_peer_connection_get_signaling_state (pair.b.pc), ==,
                           NAV_SIGNALING_STATE_STABLE);
        }
      else
        {
          /* Accepted (the mutation hit something we ignore): back out. */
          g_autoptr (NavSessionDescription) rollback =
            nav_session_description_new (NAV_SDP_TYPE_ROLLBACK, "");

          g_assert_true (nav_peer_connection_set_remote_description (pair.b.pc, rollback, NULL));
        }
    }
  g_test_message ("%u of 2000 mutated offers refused", refused);
  g_assert_cmpuint (refused, >, 100);
  g_assert_true (nav_peer_connection_set_local_description (pair.a.pc, offer, NULL));
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (NavSessionDescription) answer = NULL;

    g_assert_true (nav_peer_connection_set_remote_description (pair.b.pc, offer, &error));
    g_assert_no_error (error);
    pc_side_flush (&pair.a, &pair.b);
    answer = pc_create (&pair, pair.b.pc, FALSE);
    g_assert_true (nav_peer_connection_set_local_description (pair.b.pc, answer, NULL));
    g_assert_true (nav_peer_connection_set_remote_description (pair.a.pc, answer, &error));
    g_assert_no_error (error);
    pc_side_flush (&pair.b, &pair.a);
  }
  test_wait (pair.context, pc_both_connected, &pair);
  pc_pair_clear (&pair);
}

/* A certificate you keep: saved as PEM, loaded again, used by a new
 * connection, whose offer carries its fingerprint. */
static void
test_given_certificate (void)
{
  PcPair pair;
  g_autoptr (NavCertificate) made = test_certificate ();
  g_autoptr (NavCertificate) loaded = NULL;
  g_autoptr (NavSessionDescription) offer = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *pem = nav_certificate_get_certificate_pem (made);
  g_autofree gchar *hex = NULL, *line = NULL;

  loaded = nav_certificate_new_from_pem (pem, nav_certificate_get_private_key_pem (made), &error);
  g_assert_no_error (error);
  pc_pair_init_full (&pair, loaded, NULL);
  g_assert_true (nav_peer_connection_get_certificate (pair.a.pc) == loaded);
  offer = pc_create (&pair, pair.a.pc, TRUE);
  hex = nav_certificate_get_fingerprint (made, "sha-256");
  line = g_strconcat ("a=fingerprint:sha-256 ", hex, "\r\n", NULL);
  g_assert_nonnull (strstr (nav_session_description_get_sdp (offer), line));
  pc_pair_clear (&pair);
}

/* ICE server URIs (RFC 7064, RFC 7065). */
static void
test_ice_servers (void)
{
  g_autoptr (NavPeerConnection) pc = nav_peer_connection_new (NULL);
  static const gchar *const good[] = {
    "stun:stun.example.org", "stun:192.0.2.1:3479", "stun:[2001:db8::1]:3478",
    "turn:turn.example.org?transport=tcp", "turn:192.0.2.1", "turns:turn.example.org:443",
    "turn:[2001:db8::1]?transport=udp",
  };
  static const gchar *const bad[] = {
    "", "stun", "http://example.org", "stun:", "stun:host:0", "stun:host:70000",
    "stun:host?transport=udp", "turn:host?transport=sctp", "turns:host?transport=udp",
    "stun:[2001:db8::1", "stun:bad host", "stuns:host", "stun:host:12x",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_true (nav_peer_connection_add_ice_server (pc, good[i], "user", "secret", &error));
      g_assert_no_error (error);
    }
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (nav_peer_connection_add_ice_server (pc, bad[i], "user", "secret", &error));
      g_assert_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_ICE_SERVER);
    }
  /* TURN needs credentials; STUN does not. */
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (nav_peer_connection_add_ice_server (pc, "turn:192.0.2.1", NULL, NULL, &error));
    g_assert_error (error, NAV_PEER_CONNECTION_ERROR, NAV_PEER_CONNECTION_ERROR_INVALID_ICE_SERVER);
    g_clear_error (&error);
    g_assert_true (nav_peer_connection_add_ice_server (pc, "stun:192.0.2.1", NULL, NULL, &error));
  }
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static NavSessionDescription *
fixture (NavSdpType   type,
         const gchar *name)
{
  g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "peerconnection", "sdp", name, NULL);
  g_autofree gchar *text = NULL;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return nav_session_description_new (type, text);
}

static guint
count (const gchar *text,
       const gchar *needle)
{
  guint n = 0;

  for (const gchar *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* Offers as Chromium, Firefox, aiortc (both forms) and libdatachannel
 * write them are answered: one m-line per offered one, in order, the
 * data channel's in its place and form, the others rejected, nothing of
 * theirs echoed that we do not implement. */
static void
test_browser_offers (void)
{
  static const struct {
    const gchar *file;
    guint n_media;
    const gchar *data_line;
    const gchar *mid;
  } offers[] = {
    { "chromium-offer.sdp", 1, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n", "0" },
    { "chromium-offer-media.sdp", 3, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n", "2" },
    { "firefox-offer.sdp", 1, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n", "0" },
    { "aiortc-offer.sdp", 1, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n", "0" },
    { "aiortc-legacy-offer.sdp", 1, "m=application 9 DTLS/SCTP 5000\r\n", "0" },
    { "libdatachannel-offer.sdp", 1, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n", "0" },
  };
  static const gchar *const never_echoed[] = {
    "extmap", "msid", "rtpmap", "sendrecv", "group:LS", "ice2", "rtcp", "ssrc", "fmtp",
  };
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (offers); i++)
    {
      PcPair pair;
      g_autoptr (GError) error = NULL;
      g_autoptr (NavSessionDescription) offer = fixture (NAV_SDP_TYPE_OFFER, offers[i].file);
      g_autoptr (NavSessionDescription) answer = NULL;
      g_autofree gchar *mid = g_strdup_printf ("a=mid:%s\r\n", offers[i].mid);
      g_autofree gchar *bundle = g_strdup_printf ("a=group:BUNDLE %s\r\n", offers[i].mid);
      const gchar *text;

      g_test_message ("%s", offers[i].file);
      pc_pair_init (&pair);
      pair.trickle = FALSE;
      CHECK_OK (nav_peer_connection_set_remote_description (pair.b.pc, offer, &error));
      answer = pc_create (&pair, pair.b.pc, FALSE);
      text = nav_session_description_get_sdp (answer);
      g_assert_cmpuint (count (text, "\r\nm="), ==, offers[i].n_media);
      g_assert_nonnull (strstr (text, offers[i].data_line));
      g_assert_nonnull (strstr (text, mid));
      g_assert_nonnull (strstr (text, bundle));
      g_assert_nonnull (strstr (text, "a=setup:active\r\n"));
      g_assert_nonnull (strstr (text, "a=fingerprint:sha-256 "));
      if (g_str_has_prefix (offers[i].file, "aiortc-legacy"))
        g_assert_nonnull (strstr (text, "a=sctpmap:5000 webrtc-datachannel 65535\r\n"));
      else
        g_assert_nonnull (strstr (text, "a=sctp-port:5000\r\n"));
      if (offers[i].n_media == 3)
        {
          g_assert_nonnull (strstr (text, "m=audio 0 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"));
          g_assert_nonnull (strstr (text, "m=video 0 UDP/TLS/RTP/SAVPF 96 97\r\n"));
          g_assert_true (strstr (text, "m=audio") < strstr (text, "m=video"));
          g_assert_true (strstr (text, "m=video") < strstr (text, "m=application"));
        }
      for (j = 0; j < G_N_ELEMENTS (never_echoed); j++)
        g_assert_null (strstr (text, never_echoed[j]));
      CHECK_OK (nav_peer_connection_set_local_description (pair.b.pc, answer, &error));
      g_assert_cmpint (nav_peer_connection_get_signaling_state (pair.b.pc), ==,
                       NAV_SIGNALING_STATE_STABLE);
      g_assert_nonnull (nav_peer_connection_get_dtls_channel (pair.b.pc));
      /* Candidates trickled back carry the offer's mid. */
      g_assert_true (nav_peer_connection_add_ice_candidate (pair.b.pc, NULL, offers[i].mid, -1,
                                                            &error));
      pc_pair_clear (&pair);
    }
}

/* Answers as the same stacks write them are taken: the roles (active:
 * we are the DTLS server), credentials and fingerprints from session
 * or media level. */
static void
test_browser_answers (void)
{
  static const gchar *const answers[] = {
    "chromium-answer.sdp", "firefox-answer.sdp", "aiortc-answer.sdp", "libdatachannel-answer.sdp",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      PcPair pair;
      g_autoptr (GError) error = NULL;
      g_autoptr (NavSessionDescription) offer = NULL;
      g_autoptr (NavSessionDescription) answer = fixture (NAV_SDP_TYPE_ANSWER, answers[i]);

      g_test_message ("%s", answers[i]);
      pc_pair_init (&pair);
      pair.trickle = FALSE;
      offer = pc_create (&pair, pair.a.pc, TRUE);
      CHECK_OK (nav_peer_connection_set_local_description (pair.a.pc, offer, &error));
      CHECK_OK (nav_peer_connection_set_remote_description (pair.a.pc, answer, &error));
      g_assert_cmpint (nav_peer_connection_get_signaling_state (pair.a.pc), ==,
                       NAV_SIGNALING_STATE_STABLE);
      g_assert_cmpint (nav_peer_connection_get_ice_connection_state (pair.a.pc), !=,
                       NAV_ICE_CONNECTION_STATE_NEW);
      pc_pair_clear (&pair);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/peer-connection/connect", test_connect);
  g_test_add_func ("/peer-connection/no-plaintext-on-wire", test_no_plaintext_on_wire);
  g_test_add_func ("/peer-connection/fingerprint-mismatch/offer", test_fingerprint_mismatch_offer);
  g_test_add_func ("/peer-connection/fingerprint-mismatch/answer", test_fingerprint_mismatch_answer);
  g_test_add_func ("/peer-connection/setup/refused", test_setup_refused);
  g_test_add_func ("/peer-connection/setup/offer-roles", test_setup_offer_roles);
  g_test_add_func ("/peer-connection/signaling-states", test_signaling_states);
  g_test_add_func ("/peer-connection/add-ice-candidate", test_add_ice_candidate);
  g_test_add_func ("/peer-connection/restart-ice", test_restart_ice);
  g_test_add_func ("/peer-connection/close", test_close);
  g_test_add_func ("/peer-connection/garbage-descriptions", test_garbage_descriptions);
  g_test_add_func ("/peer-connection/given-certificate", test_given_certificate);
  g_test_add_func ("/peer-connection/ice-servers", test_ice_servers);
  g_test_add_func ("/peer-connection/browser-offers", test_browser_offers);
  g_test_add_func ("/peer-connection/browser-answers", test_browser_answers);

  return g_test_run ();
}
