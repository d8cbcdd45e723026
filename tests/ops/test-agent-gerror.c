/* The GError forms of NavAgent (issue 20 item 7):
 * nav_agent_parse_remote_sdp_full() says which line of the SDP failed and
 * why, and applies nothing then; nav_agent_get_io_stream_full() on an
 * agent that is not reliable is an error, not a critical (the test runs
 * with criticals fatal).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <netavanue/netavanue.h>

static NavAgent *
new_agent (guint *stream_id)
{
  NavAgent *agent = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC8445);

  *stream_id = nav_agent_add_stream (agent, 1);
  return agent;
}

static const gchar good_sdp[] =
  "v=0\n"
  "m=- 9 ICE/SDP\n"
  "a=ice-ufrag:abcd\n"
  "a=ice-pwd:abcdefghijklmnopqrstuv\n"
  "a=candidate:1 1 UDP 2130706431 192.0.2.1 5000 typ host\n";

static void
test_parse_ok (void)
{
  guint stream_id;
  g_autoptr (NavAgent) agent = new_agent (&stream_id);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (nav_agent_parse_remote_sdp_full (agent, good_sdp, &error), ==, 1);
  g_assert_no_error (error);
}

typedef struct
{
  const gchar *line;
  const gchar *reason;
} Bad;

static void
test_parse_bad_lines (void)
{
  static const Bad bad[] = {
    { "a=candidate:1 1 UDP 2130706431 192.0.2.1 70000 typ host", "invalid port" },
    { "a=candidate:1 1 UDP 2130706431 192.0.2.1 5000 typ bogus", "unknown candidate type" },
    { "a=candidate:1 1 SCTP 2130706431 192.0.2.1 5000 typ host", "unknown transport" },
    { "a=candidate:1 0 UDP 2130706431 192.0.2.1 5000 typ host", "invalid component id" },
    { "a=candidate:1 1 UDP x 192.0.2.1 5000 typ host", "invalid priority" },
    { "a=candidate:1 1 UDP 1 not-an-ip 5000 typ host", "invalid connection address" },
    { "a=candidate:1 1 UDP 1 192.0.2.1 5000", "fewer than eight fields" },
    { "a=candidate:? 1 UDP 1 192.0.2.1 5000 typ host", "invalid foundation" },
    { "a=candidate:1 1 UDP 1 192.0.2.1 5000 typ host tcptype active", "tcptype on a UDP candidate" },
    { "a=candidate:1 1 UDP 1 192.0.2.1 5000 typ srflx raddr zz rport 1", "invalid raddr" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      guint stream_id;
      g_autoptr (NavAgent) agent = new_agent (&stream_id);
      g_autoptr (GError) error = NULL;
      g_autofree gchar *sdp = g_strconcat (good_sdp, bad[i].line, "\n", NULL);
      g_autoptr (GSList) remote = NULL;

      g_assert_cmpint (nav_agent_parse_remote_sdp_full (agent, sdp, &error), ==, -1);
      g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
      g_test_message ("%s", error->message);
      /* the good candidate is on line 5, the bad one on line 6 */
      g_assert_true (g_str_has_prefix (error->message, "Line 6 of the remote SDP: "));
      g_assert_nonnull (strstr (error->message, bad[i].reason));
      g_assert_nonnull (strstr (error->message, bad[i].line));
      /* nothing applied */
      remote = nav_agent_get_remote_candidates (agent, stream_id, 1);
      g_assert_null (remote);
      /* the libnice form still says -1, without a message */
      g_assert_cmpint (nav_agent_parse_remote_sdp (agent, sdp), ==, -1);
    }
}

static void
test_parse_too_many_streams (void)
{
  guint stream_id;
  g_autoptr (NavAgent) agent = new_agent (&stream_id);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *sdp = g_strconcat (good_sdp, "m=- 9 ICE/SDP\n", NULL);

  g_assert_cmpint (nav_agent_parse_remote_sdp_full (agent, sdp, &error), ==, -1);
  g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "Line 6 of the remote SDP: "));
  g_assert_nonnull (strstr (error->message, "1 stream"));
}

/* Garbage: never a crash, always an error naming a line. */
static void
test_parse_garbage (void)
{
  guint stream_id;
  g_autoptr (NavAgent) agent = new_agent (&stream_id);
  GRand *rand = g_rand_new_with_seed (20);
  guint i, j;

  for (i = 0; i < 500; i++)
    {
      GString *sdp = g_string_new ("m=- 9 ICE/SDP\na=candidate:");
      g_autoptr (GError) error = NULL;
      gint n;

      for (j = 0; j < (guint) g_rand_int_range (rand, 0, 300); j++)
        g_string_append_c (sdp, (gchar) g_rand_int_range (rand, 1, 256));
      n = nav_agent_parse_remote_sdp_full (agent, sdp->str, &error);
      if (n < 0)
        {
          g_assert_nonnull (error);
          g_assert_true (g_str_has_prefix (error->message, "Line "));
          g_assert_true (g_utf8_validate (error->message, -1, NULL));
        }
      else
        g_assert_no_error (error);
      g_string_free (sdp, TRUE);
    }
  g_rand_free (rand);
}

static void
test_io_stream_unreliable (void)
{
  guint stream_id;
  g_autoptr (NavAgent) agent = new_agent (&stream_id);
  g_autoptr (GError) error = NULL;

  /* criticals are fatal here: this must only set the error */
  g_assert_null (nav_agent_get_io_stream_full (agent, stream_id, 1, &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_NOT_SUPPORTED);
  g_test_message ("%s", error->message);
}

static void
test_io_stream_reliable (void)
{
  g_autoptr (NavAgent) agent = nav_agent_new_reliable (NULL, NAV_COMPATIBILITY_RFC8445);
  guint stream_id = nav_agent_add_stream (agent, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GIOStream) io = nav_agent_get_io_stream_full (agent, stream_id, 1, &error);
  g_autoptr (GIOStream) again = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (io);
  again = nav_agent_get_io_stream (agent, stream_id, 1);
  g_assert_true (again == io);
  g_assert_null (nav_agent_get_io_stream_full (agent, stream_id, 7, &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/agent-gerror/parse-ok", test_parse_ok);
  g_test_add_func ("/agent-gerror/parse-bad-lines", test_parse_bad_lines);
  g_test_add_func ("/agent-gerror/parse-too-many-streams", test_parse_too_many_streams);
  g_test_add_func ("/agent-gerror/parse-garbage", test_parse_garbage);
  g_test_add_func ("/agent-gerror/io-stream-unreliable", test_io_stream_unreliable);
  g_test_add_func ("/agent-gerror/io-stream-reliable", test_io_stream_reliable);
  return g_test_run ();
}
