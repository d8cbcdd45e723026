/* test-strategy-sdp.c: the NAT-aware strategy's attribute in
 * NavPeerConnection's descriptions, a=x-nav-nat
 * (core/peerconnection/nav-sdp.c): session level, written back,
 * ignored at media level, and garbage refused with an error
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <netavanue/netavanue.h>

#include "nav-sdp-private.h"

/* Chromium's data channel offer (tests/peerconnection/sdp), with @session
 * after t= and @media in the m-line. */
static gchar *
offer_with (const gchar *session,
            const gchar *media)
{
  return g_strdup_printf ("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                          "a=group:BUNDLE 0\r\n%s"
                          "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                          "c=IN IP4 0.0.0.0\r\na=ice-ufrag:Jt1S\r\n"
                          "a=ice-pwd:1zrEPoq0Ss3hjvbsR0bLm0Be\r\na=ice-options:trickle\r\n"
                          "a=fingerprint:sha-256 54:1F:76:82:8F:D5:55:85:52:6A:0A:C5:1D:8F:B4:C8:"
                          "B8:36:80:F0:60:2C:25:47:7B:92:DA:00:A3:25:FA:F5\r\n"
                          "a=setup:actpass\r\na=mid:0\r\n%sa=sctp-port:5000\r\n",
                          session, media);
}

static void
test_session_attribute (void)
{
  g_autofree gchar *text = offer_with ("a=x-nav-nat:endpoint-independent address-dependent\r\n", "");
  g_autoptr (GError) error = NULL;
  g_autoptr (NavSdp) sdp = nav_sdp_parse (text, strlen (text), &error);
  g_autofree gchar *written = NULL;
  g_autoptr (NavSdp) again = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (sdp->nat_type, ==, "endpoint-independent address-dependent");
  written = nav_sdp_to_string (sdp);
  g_assert_nonnull (strstr (written, "\r\na=x-nav-nat:endpoint-independent address-dependent\r\n"));
  /* Session level: before the first m-line. */
  g_assert_true (strstr (written, "a=x-nav-nat:") < strstr (written, "m=application"));
  again = nav_sdp_parse (written, strlen (written), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->nat_type, ==, sdp->nat_type);
}

static void
test_absent_and_media_level (void)
{
  g_autofree gchar *plain = offer_with ("", "");
  g_autofree gchar *media = offer_with ("", "a=x-nav-nat:symmetric\r\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (NavSdp) a = nav_sdp_parse (plain, strlen (plain), &error);
  g_autoptr (NavSdp) b = NULL;
  g_autofree gchar *written = NULL;

  g_assert_no_error (error);
  g_assert_null (a->nat_type);
  written = nav_sdp_to_string (a);
  g_assert_null (strstr (written, "x-nav-nat"));
  /* In an m-line it says nothing of the session: ignored. */
  b = nav_sdp_parse (media, strlen (media), &error);
  g_assert_no_error (error);
  g_assert_null (b->nat_type);
}

static void
test_garbage (void)
{
  static const gchar *bad[] = {
    "a=x-nav-nat:\r\n",
    "a=x-nav-nat\r\n",
    "a=x-nav-nat:Symmetric\r\n",
    "a=x-nav-nat:full-cone\x01\r\n",
    "a=x-nav-nat:<script>\r\n",
    "a=x-nav-nat:endpoint-independent\tendpoint-independent\r\n",
  };
  g_autofree gchar *long_value = g_strnfill (NAV_SDP_MAX_NAT_TYPE + 1, 'a');
  g_autofree gchar *long_line = g_strdup_printf ("a=x-nav-nat:%s\r\n", long_value);

  for (guint i = 0; i <= G_N_ELEMENTS (bad); i++)
    {
      const gchar *line = i < G_N_ELEMENTS (bad) ? bad[i] : long_line;
      g_autofree gchar *text = offer_with (line, "");
      g_autoptr (GError) error = NULL;
      g_autoptr (NavSdp) sdp = nav_sdp_parse (text, strlen (text), &error);

      g_test_message ("%s", line);
      g_assert_null (sdp);
      g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
      g_test_message ("-> %s", error->message);
      /* A control character is refused as a line before the attribute
       * is read. */
      if (strchr (line, '\x01') == NULL)
        g_assert_nonnull (strstr (error->message, "x-nav-nat"));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/strategy-sdp/session-attribute", test_session_attribute);
  g_test_add_func ("/strategy-sdp/absent-and-media-level", test_absent_and_media_level);
  g_test_add_func ("/strategy-sdp/garbage", test_garbage);
  return g_test_run ();
}
