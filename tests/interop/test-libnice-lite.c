/* test-libnice-lite.c: ICE-lite between a NavAgent and the real libnice
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Both agents in one process and one main context, host candidates on
 * 127.0.0.1, SDP exchanged with generate_local_sdp() / parse_remote_sdp(),
 * datagrams both ways.  Cases, one per run:
 *
 *   nav-lite                a lite NavAgent (NAV_AGENT_OPTION_LITE_MODE,
 *                           full-mode FALSE) against a full, controlling
 *                           NiceAgent; our SDP says a=ice-lite (libnice
 *                           ignores it)
 *   nav-lite-role-conflict  the same with the NiceAgent left controlled:
 *                           our lite agent answers its checks with 487
 *                           and libnice takes the controlling role
 *                           (RFC 8445 §6.1.1)
 *   nice-lite               libnice lite (NICE_AGENT_OPTION_LITE_MODE,
 *                           controlled) against a full NavAgent; libnice
 *                           writes no a=ice-lite, so the application
 *                           makes our agent controlling, as with libnice
 *
 * libnice is linked: it cannot be missing.
 */
#include "config.h"

#include "libnice-test-util.h"

int
main (int    argc,
      char **argv)
{
  State s = { .fail_on_failed = TRUE };
  gboolean nav_lite, nice_controlling, controlling;
  NiceAgent *nice;
  NavAgent *nav;
  guint nice_stream, nav_stream;
  g_autofree gchar *nav_sdp = NULL;
  g_autofree gchar *nice_sdp = NULL;

  if (argc != 2)
    g_error ("usage: %s nav-lite|nav-lite-role-conflict|nice-lite", argv[0]);
  test_case = argv[1];
  if (g_str_equal (test_case, "nav-lite"))
    nav_lite = TRUE, nice_controlling = TRUE;
  else if (g_str_equal (test_case, "nav-lite-role-conflict"))
    nav_lite = TRUE, nice_controlling = FALSE;
  else if (g_str_equal (test_case, "nice-lite"))
    nav_lite = FALSE, nice_controlling = FALSE;
  else
    g_error ("unknown case %s", test_case);

  /* The real libnice. */
  nice = nice_agent_new_full (NULL, NICE_COMPATIBILITY_RFC5245,
                              nav_lite ? NICE_AGENT_OPTION_NONE : NICE_AGENT_OPTION_LITE_MODE);
  g_object_set (nice, "controlling-mode", nice_controlling, "ice-tcp", FALSE, "upnp", FALSE,
                NULL);
  if (!nav_lite)
    {
      gboolean full;

      g_object_get (nice, "full-mode", &full, NULL);
      g_assert_false (full);
    }
  nice_stream = nice_setup (nice, "application", &s);

  /* Ours. */
  nav = nav_agent_new_full (NULL, NAV_COMPATIBILITY_RFC5245,
                            nav_lite ? NAV_AGENT_OPTION_LITE_MODE : NAV_AGENT_OPTION_NONE);
  g_object_set (nav, "ice-tcp", FALSE, NULL);
  if (nav_lite)
    {
      gboolean full;

      g_object_get (nav, "full-mode", &full, "controlling-mode", &controlling, NULL);
      g_assert_false (full);
      g_assert_false (controlling);
    }
  else
    g_object_set (nav, "controlling-mode", TRUE, NULL);
  nav_stream = nav_setup (nav, "application");
  nav_setup_finish (nav, nav_stream, &s);

  gather_and_generate_sdp (nice, nice_stream, nav, nav_stream, &s, &nice_sdp, &nav_sdp);
  if (nav_lite)
    {
      g_assert_true (g_str_has_prefix (nav_sdp, "a=ice-lite\n"));
      g_assert_nonnull (strstr (nav_sdp, " typ host"));
      g_assert_null (strstr (nav_sdp, " typ srflx"));
      g_assert_null (strstr (nav_sdp, " typ relay"));
    }
  parse_sdp (nice, nice_sdp, nav, nav_sdp);

  run_until (ready, &s, "both READY");
  if (nav_lite)
    {
      /* Our lite agent selects only what USE-CANDIDATE nominates, which
       * only a controlling agent sends: READY on our side proves libnice
       * controls.  (libnice's controlling-mode property keeps the value
       * the application set, whatever role conflicts did.) */
      g_object_get (nav, "controlling-mode", &controlling, NULL);
      g_assert_false (controlling);
    }
  else
    {
      g_object_get (nav, "controlling-mode", &controlling, NULL);
      g_assert_true (controlling);
    }

  exchange_datagrams (nice, nice_stream, nav, nav_stream, &s, "from NavAgent ", "from libnice ");
  g_print ("%s: connected, %u and %u datagrams received\n", test_case, s.nice_received,
           s.nav_received);

  nice_agent_remove_stream (nice, nice_stream);
  g_object_unref (nice);
  g_object_unref (nav);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  state_clear (&s);
  return 0;
}
