/* test-sdp.c: the SDP parser and writer of NavPeerConnection
 * (core/peerconnection/nav-sdp.c), on what other stacks write and on
 * what no stack should
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <netavanue/netavanue.h>

#include "nav-sdp-private.h"

static NavSdp *
parse_fixture (const gchar *name)
{
  g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "peerconnection", "sdp", name, NULL);
  g_autofree gchar *text = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;
  NavSdp *sdp;

  g_file_get_contents (path, &text, &len, &error);
  g_assert_no_error (error);
  sdp = nav_sdp_parse (text, len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (sdp);
  return sdp;
}

/* What was parsed is written and parsed again to the same values. */
static void
assert_round_trip (NavSdp *sdp)
{
  g_autofree gchar *text = nav_sdp_to_string (sdp);
  g_autoptr (GError) error = NULL;
  g_autoptr (NavSdp) again = nav_sdp_parse (text, strlen (text), &error);
  guint i, j;

  g_assert_no_error (error);
  g_assert_cmpuint (again->media->len, ==, sdp->media->len);
  g_assert_cmpuint (again->bundle->len, ==, sdp->bundle->len);
  for (i = 0; i < sdp->media->len; i++)
    {
      NavSdpMedia *a = g_ptr_array_index (sdp->media, i), *b = g_ptr_array_index (again->media, i);

      g_assert_cmpstr (a->media, ==, b->media);
      g_assert_cmpstr (a->proto, ==, b->proto);
      g_assert_cmpstr (a->mid, ==, b->mid);
      g_assert_cmpuint (a->port, ==, b->port);
      if (a->port == 0)
        continue;
      g_assert_cmpstr (a->ice_ufrag, ==, b->ice_ufrag);
      g_assert_cmpstr (a->ice_pwd, ==, b->ice_pwd);
      g_assert_cmpint (a->setup, ==, b->setup);
      g_assert_cmpuint (a->fingerprints->len, ==, b->fingerprints->len);
      for (j = 0; j < a->fingerprints->len; j++)
        g_assert_cmpstr (g_ptr_array_index (a->fingerprints, j), ==,
                         g_ptr_array_index (b->fingerprints, j));
      g_assert_cmpuint (a->candidates->len, ==, b->candidates->len);
      if (a->sctp != NAV_SDP_SCTP_NONE)
        {
          g_assert_cmpuint (a->sctp_port, ==, b->sctp_port);
          g_assert_cmpuint (a->max_message_size, ==, b->max_message_size);
        }
    }
}

typedef struct {
  const gchar *file;
  guint n_media;
  guint data_index;
  const gchar *mid;
  const gchar *ufrag;
  NavSdpSetup setup;
  NavSdpSctpForm form;
  guint64 max_message_size;
  guint n_fingerprints;
  guint n_candidates;
  gboolean end_of_candidates;
  gboolean trickle;
} Fixture;

static const Fixture fixtures[] = {
  { "chromium-offer.sdp", 1, 0, "0", "Jt1S", NAV_SDP_SETUP_ACTPASS, NAV_SDP_SCTP_WEBRTC, 262144, 1, 0, FALSE, TRUE },
  { "chromium-offer-media.sdp", 3, 2, "2", "9xYq", NAV_SDP_SETUP_ACTPASS, NAV_SDP_SCTP_WEBRTC, 262144, 1, 0, FALSE, TRUE },
  { "firefox-offer.sdp", 1, 0, "0", "8a2f1c3d", NAV_SDP_SETUP_ACTPASS, NAV_SDP_SCTP_WEBRTC, 1073741823, 1, 0, FALSE, TRUE },
  { "aiortc-offer.sdp", 1, 0, "0", "Lx2m", NAV_SDP_SETUP_ACTPASS, NAV_SDP_SCTP_WEBRTC, 65536, 3, 2, TRUE, FALSE },
  { "aiortc-legacy-offer.sdp", 1, 0, "0", "Qp9z", NAV_SDP_SETUP_ACTPASS, NAV_SDP_SCTP_LEGACY, 65536, 1, 1, TRUE, FALSE },
  { "libdatachannel-offer.sdp", 1, 0, "0", "5d5g", NAV_SDP_SETUP_ACTPASS, NAV_SDP_SCTP_WEBRTC, 262144, 1, 0, FALSE, TRUE },
  { "chromium-answer.sdp", 1, 0, "0", "Yx3K", NAV_SDP_SETUP_ACTIVE, NAV_SDP_SCTP_WEBRTC, 262144, 1, 0, FALSE, TRUE },
  { "firefox-answer.sdp", 1, 0, "0", "f3c0a1b2", NAV_SDP_SETUP_ACTIVE, NAV_SDP_SCTP_WEBRTC, 1073741823, 1, 0, FALSE, TRUE },
  { "aiortc-answer.sdp", 1, 0, "0", "Rt7w", NAV_SDP_SETUP_ACTIVE, NAV_SDP_SCTP_WEBRTC, 65536, 3, 1, TRUE, FALSE },
  { "libdatachannel-answer.sdp", 1, 0, "0", "Kp2x", NAV_SDP_SETUP_ACTIVE, NAV_SDP_SCTP_WEBRTC, 262144, 1, 0, FALSE, TRUE },
};

/* What other stacks write is read, with session-level ICE, fingerprint
 * and setup attributes given to the m-lines, and unknown attributes
 * (msid-semantic, extmap, rtpmap, group:LS, …) ignored. */
static void
test_fixtures (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (fixtures); i++)
    {
      const Fixture *f = &fixtures[i];
      g_autoptr (NavSdp) sdp = parse_fixture (f->file);
      NavSdpMedia *m;
      guint index;

      g_test_message ("%s", f->file);
      g_assert_cmpuint (sdp->media->len, ==, f->n_media);
      m = nav_sdp_find_data_media (sdp, &index);
      g_assert_nonnull (m);
      g_assert_cmpuint (index, ==, f->data_index);
      g_assert_cmpstr (m->mid, ==, f->mid);
      g_assert_cmpstr (m->ice_ufrag, ==, f->ufrag);
      g_assert_true (nav_sdp_ice_chars_valid (m->ice_pwd, 22, 256));
      g_assert_cmpint (m->setup, ==, f->setup);
      g_assert_cmpint (m->sctp, ==, f->form);
      g_assert_cmpuint (m->sctp_port, ==, 5000);
      g_assert_cmpuint (m->max_message_size, ==, f->max_message_size);
      g_assert_cmpuint (m->fingerprints->len, ==, f->n_fingerprints);
      g_assert_cmpuint (m->candidates->len, ==, f->n_candidates);
      g_assert_cmpint (m->end_of_candidates, ==, f->end_of_candidates);
      g_assert_cmpint (m->ice_trickle, ==, f->trickle);
      g_assert_true (nav_sdp_is_bundled (sdp, f->mid));
      assert_round_trip (sdp);
    }
}

/* Each malformed line is refused, naming the line; nothing else. */
static void
test_malformed (void)
{
  static const gchar *const head = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                                   "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
  static const gchar *const bad_lines[] = {
    "a=ice-ufrag:x",                      /* too short (RFC 8839 §5.4) */
    "a=ice-ufrag:abc def",
    "a=ice-pwd:short",
    "a=fingerprint:sha-256 zz:11",
    "a=fingerprint:sha-256 AB:CD",        /* the wrong length for sha-256 */
    "a=fingerprint:sha-256",
    "a=fingerprint:",
    "a=setup:both",
    "a=mid:",
    "a=mid:a b",
    "a=sctp-port:0",
    "a=sctp-port:70000",
    "a=sctp-port:abc",
    "a=max-message-size:-1",
    "a=max-message-size:",
    "a=sctpmap:x webrtc-datachannel",
    "a=candidate:",
    "m=application",
    "m=application 9",
    "m=application 99999 UDP/DTLS/SCTP x",
    "m=application x UDP/DTLS/SCTP x",
    "c=IN IP4",
    "x",
    "A=b",
    "=x",
    "a=with\x01control",
  };
  static const gchar *const bad_texts[] = {
    "", "\r\n", "v=1\r\n", "o=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n", "v=0\r\no=- 1\r\n",
    "v=0\r\na=group:BUNDLE bad\x7fmid\r\n",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad_lines); i++)
    {
      g_autofree gchar *text = g_strconcat (head, bad_lines[i], "\r\n", NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (NavSdp) sdp = nav_sdp_parse (text, strlen (text), &error);

      if (sdp != NULL)
        g_error ("accepted: %s", bad_lines[i]);
      g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "line 6"));
    }
  for (i = 0; i < G_N_ELEMENTS (bad_texts); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (NavSdp) sdp = nav_sdp_parse (bad_texts[i], strlen (bad_texts[i]), &error);

      g_assert_null (sdp);
      g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
    }
  /* A NUL inside, and more than the limit. */
  {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *huge = g_malloc0 (NAV_SDP_MAX_LENGTH + 2);

    g_assert_null (nav_sdp_parse ("v=0\r\n\0a=x", 10, &error));
    g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    memset (huge, 'a', NAV_SDP_MAX_LENGTH + 1);
    g_assert_null (nav_sdp_parse (huge, NAV_SDP_MAX_LENGTH + 1, &error));
    g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
  }
}

/* What is not ours is not lost, nor echoed: an offer with no data
 * channel m-line has none; a rejected one is not taken; limits hold. */
static void
test_limits (void)
{
  GString *text = g_string_new ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (NavSdp) sdp = NULL;
  NavSdpMedia *m;
  guint i;

  g_string_append (text, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:r\r\n");
  g_string_append (text, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:d\r\n");
  for (i = 0; i < NAV_SDP_MAX_CANDIDATES + 10; i++)
    g_string_append_printf (text, "a=candidate:%u 1 udp 1 127.0.0.1 %u typ host\r\n", i, 1000 + i);
  for (i = 0; i < NAV_SDP_MAX_FINGERPRINTS + 3; i++)
    g_string_append (text, "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33\r\n");
  sdp = nav_sdp_parse (text->str, text->len, &error);
  g_assert_no_error (error);
  m = nav_sdp_find_data_media (sdp, &i);
  g_assert_cmpuint (i, ==, 1);
  g_assert_cmpstr (m->mid, ==, "d");
  g_assert_cmpuint (m->candidates->len, ==, NAV_SDP_MAX_CANDIDATES);
  g_assert_cmpuint (m->fingerprints->len, ==, NAV_SDP_MAX_FINGERPRINTS);
  g_string_free (text, TRUE);

  text = g_string_new ("v=0\r\n");
  for (i = 0; i <= NAV_SDP_MAX_MEDIA; i++)
    g_string_append (text, "m=audio 9 RTP/AVP 0\r\n");
  g_clear_pointer (&sdp, nav_sdp_free);
  sdp = nav_sdp_parse (text->str, text->len, &error);
  g_assert_null (sdp);
  g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
  g_string_free (text, TRUE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sdp/fixtures", test_fixtures);
  g_test_add_func ("/sdp/malformed", test_malformed);
  g_test_add_func ("/sdp/limits", test_limits);

  return g_test_run ();
}
