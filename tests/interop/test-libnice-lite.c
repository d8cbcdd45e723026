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

#include <string.h>
#include <gio/gio.h>
#include <agent.h>

#include <netavanue/netavanue.h>

/* A failure guard, never a timing assertion. */
#define TIMEOUT_SECONDS 30
#define N_DATAGRAMS 20

static const gchar *test_case;

typedef struct {
  gboolean nice_gathered;
  gboolean nav_gathered;
  NiceComponentState nice_state;
  NavComponentState nav_state;
  gboolean nav_selected;
  guint nice_received;
  guint nav_received;
  gchar *nice_first;
  gchar *nav_first;
} State;

static void
on_nice_gathered (NiceAgent *agent,
                  guint      stream_id,
                  State     *s)
{
  s->nice_gathered = TRUE;
}

static void
on_nice_state (NiceAgent *agent,
               guint      stream_id,
               guint      component_id,
               guint      state,
               State     *s)
{
  s->nice_state = state;
  if (state == NICE_COMPONENT_STATE_FAILED)
    g_error ("%s: libnice's component failed", test_case);
}

static void
on_nice_recv (NiceAgent *agent,
              guint      stream_id,
              guint      component_id,
              guint      len,
              gchar     *buf,
              gpointer   data)
{
  State *s = data;

  if (s->nice_received++ == 0)
    s->nice_first = g_strndup (buf, len);
}

static void
on_nav_gathered (NavAgent *agent,
                 guint     stream_id,
                 State    *s)
{
  s->nav_gathered = TRUE;
}

static void
on_nav_state (NavAgent *agent,
              guint     stream_id,
              guint     component_id,
              guint     state,
              State    *s)
{
  s->nav_state = state;
  if (state == NAV_COMPONENT_STATE_FAILED)
    g_error ("%s: the NavAgent's component failed", test_case);
}

static void
on_nav_selected (NavAgent     *agent,
                 guint         stream_id,
                 guint         component_id,
                 NavCandidate *local,
                 NavCandidate *remote,
                 State        *s)
{
  s->nav_selected = TRUE;
}

static void
on_nav_recv (NavAgent *agent,
             guint     stream_id,
             guint     component_id,
             guint     len,
             gchar    *buf,
             gpointer  data)
{
  State *s = data;

  if (s->nav_received++ == 0)
    s->nav_first = g_strndup (buf, len);
}

typedef gboolean (*Condition) (State *s);

static void
run_until (Condition    condition,
           State       *s,
           const gchar *what)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_SECONDS * G_USEC_PER_SEC;

  while (!condition (s))
    {
      g_main_context_iteration (NULL, FALSE);
      if (!g_main_context_pending (NULL))
        g_usleep (1000);
      if (g_get_monotonic_time () > deadline)
        g_error ("%s: timed out waiting for %s (libnice received %u, NavAgent %u datagrams)",
                 test_case, what, s->nice_received, s->nav_received);
    }
}

static gboolean
gathered (State *s)
{
  return s->nice_gathered && s->nav_gathered;
}

static gboolean
ready (State *s)
{
  return s->nice_state == NICE_COMPONENT_STATE_READY &&
         s->nav_state == NAV_COMPONENT_STATE_READY && s->nav_selected;
}

static gboolean
received (State *s)
{
  return s->nice_received >= N_DATAGRAMS && s->nav_received >= N_DATAGRAMS;
}

int
main (int    argc,
      char **argv)
{
  State s = { 0 };
  gboolean nav_lite, nice_controlling, controlling;
  NiceAgent *nice;
  NavAgent *nav;
  NiceAddress nice_addr;
  g_autoptr (NavAddress) nav_addr = nav_address_new_from_string ("127.0.0.1", NULL);
  guint nice_stream, nav_stream, i;
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
  nice_address_init (&nice_addr);
  g_assert_true (nice_address_set_from_string (&nice_addr, "127.0.0.1"));
  g_assert_true (nice_agent_add_local_address (nice, &nice_addr));
  g_signal_connect (nice, "candidate-gathering-done", G_CALLBACK (on_nice_gathered), &s);
  g_signal_connect (nice, "component-state-changed", G_CALLBACK (on_nice_state), &s);
  nice_stream = nice_agent_add_stream (nice, 1);
  nice_agent_set_stream_name (nice, nice_stream, "application");
  g_assert_true (nice_agent_attach_recv (nice, nice_stream, 1, g_main_context_default (),
                                         on_nice_recv, &s));

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
  g_assert_true (nav_agent_add_local_address (nav, nav_addr));
  g_signal_connect (nav, "candidate-gathering-done", G_CALLBACK (on_nav_gathered), &s);
  g_signal_connect (nav, "component-state-changed", G_CALLBACK (on_nav_state), &s);
  g_signal_connect (nav, "new-selected-pair-full", G_CALLBACK (on_nav_selected), &s);
  nav_stream = nav_agent_add_stream (nav, 1);
  nav_agent_set_stream_name (nav, nav_stream, "application");
  g_assert_true (nav_agent_attach_recv (nav, nav_stream, 1, NULL, on_nav_recv, &s));

  g_assert_true (nice_agent_gather_candidates (nice, nice_stream));
  g_assert_true (nav_agent_gather_candidates (nav, nav_stream));
  run_until (gathered, &s, "gathering");

  nav_sdp = nav_agent_generate_local_sdp (nav);
  nice_sdp = nice_agent_generate_local_sdp (nice);
  g_print ("NavAgent SDP:\n%s\nNiceAgent SDP:\n%s\n", nav_sdp, nice_sdp);
  if (nav_lite)
    {
      g_assert_true (g_str_has_prefix (nav_sdp, "a=ice-lite\n"));
      g_assert_nonnull (strstr (nav_sdp, " typ host"));
      g_assert_null (strstr (nav_sdp, " typ srflx"));
      g_assert_null (strstr (nav_sdp, " typ relay"));
    }
  g_assert_cmpint (nice_agent_parse_remote_sdp (nice, nav_sdp), >, 0);
  g_assert_cmpint (nav_agent_parse_remote_sdp (nav, nice_sdp), >, 0);

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

  for (i = 0; i < N_DATAGRAMS; i++)
    {
      g_autofree gchar *to_nice = g_strdup_printf ("from NavAgent %u", i);
      g_autofree gchar *to_nav = g_strdup_printf ("from libnice %u", i);

      g_assert_cmpint (nav_agent_send (nav, nav_stream, 1, strlen (to_nice), to_nice), ==,
                       (gint) strlen (to_nice));
      g_assert_cmpint (nice_agent_send (nice, nice_stream, 1, strlen (to_nav), to_nav), ==,
                       (gint) strlen (to_nav));
      /* Paced by the loop so the socket buffers never overflow. */
      g_main_context_iteration (NULL, FALSE);
    }
  run_until (received, &s, "the datagrams both ways");
  g_assert_true (g_str_has_prefix (s.nice_first, "from NavAgent "));
  g_assert_true (g_str_has_prefix (s.nav_first, "from libnice "));
  g_print ("%s: connected, %u and %u datagrams received\n", test_case, s.nice_received,
           s.nav_received);

  nice_agent_remove_stream (nice, nice_stream);
  g_object_unref (nice);
  g_object_unref (nav);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_free (s.nice_first);
  g_free (s.nav_first);
  return 0;
}
