/* libnice-test-util.h: helpers shared by the NavAgent-against-libnice
 * tests in tests/interop
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A NavAgent and the real libnice's NiceAgent in one process and one main
 * context, one stream of one component each, on 127.0.0.1.  The State
 * records what both agents' signals said; the helpers set the agents up,
 * exchange their SDP and run the main loop until a condition holds.
 * Each test sets test_case (the name every failure message starts with).
 */
#pragma once

#include <string.h>
#include <gio/gio.h>
#include <agent.h>

#include <netavanue/netavanue.h>

/* A failure guard, never a timing assertion. */
#define TIMEOUT_SECONDS 30
/* Datagrams (or messages) sent each way. */
#define N_DATAGRAMS 20

static const gchar *test_case;

typedef struct {
  gboolean nice_gathered;
  gboolean nav_gathered;
  NiceComponentState nice_state;
  NavComponentState nav_state;
  /* A FAILED component is a failure at once. */
  gboolean fail_on_failed;
  guint nice_received;
  guint nav_received;
  gchar *nice_first;            /* the first datagram each side received */
  gchar *nav_first;
  GPtrArray *nice_messages;     /* GBytes, every one in order, if not NULL */
  GPtrArray *nav_messages;
  NavCandidate *nav_local;      /* NavAgent's selected pair */
  NavCandidate *nav_remote;
} State;

/* One side's received datagram: counted, the first one kept as a
 * string, every one kept in @messages when not NULL. */
static inline void
record (guint       *count,
        gchar      **first,
        GPtrArray   *messages,
        guint        len,
        const gchar *buf)
{
  if ((*count)++ == 0)
    *first = g_strndup (buf, len);
  if (messages != NULL)
    g_ptr_array_add (messages, g_bytes_new (buf, len));
}

static inline void
on_nice_gathered (NiceAgent *agent,
                  guint      stream_id,
                  State     *s)
{
  s->nice_gathered = TRUE;
}

static inline void
on_nice_state (NiceAgent *agent,
               guint      stream_id,
               guint      component_id,
               guint      state,
               State     *s)
{
  s->nice_state = state;
  if (s->fail_on_failed && state == NICE_COMPONENT_STATE_FAILED)
    g_error ("%s: libnice's component failed", test_case);
}

static inline void
on_nice_recv (NiceAgent *agent,
              guint      stream_id,
              guint      component_id,
              guint      len,
              gchar     *buf,
              gpointer   data)
{
  State *s = data;

  record (&s->nice_received, &s->nice_first, s->nice_messages, len, buf);
}

static inline void
on_nav_gathered (NavAgent *agent,
                 guint     stream_id,
                 State    *s)
{
  s->nav_gathered = TRUE;
}

static inline void
on_nav_state (NavAgent *agent,
              guint     stream_id,
              guint     component_id,
              guint     state,
              State    *s)
{
  s->nav_state = state;
  if (s->fail_on_failed && state == NAV_COMPONENT_STATE_FAILED)
    g_error ("%s: the NavAgent's component failed", test_case);
}

static inline void
on_nav_selected (NavAgent     *agent,
                 guint         stream_id,
                 guint         component_id,
                 NavCandidate *local,
                 NavCandidate *remote,
                 State        *s)
{
  g_clear_pointer (&s->nav_local, nav_candidate_free);
  g_clear_pointer (&s->nav_remote, nav_candidate_free);
  s->nav_local = nav_candidate_copy (local);
  s->nav_remote = nav_candidate_copy (remote);
}

static inline void
on_nav_recv (NavAgent *agent,
             guint     stream_id,
             guint     component_id,
             guint     len,
             gchar    *buf,
             gpointer  data)
{
  State *s = data;

  record (&s->nav_received, &s->nav_first, s->nav_messages, len, buf);
}

static inline void
state_clear (State *s)
{
  g_clear_pointer (&s->nice_first, g_free);
  g_clear_pointer (&s->nav_first, g_free);
  g_clear_pointer (&s->nice_messages, g_ptr_array_unref);
  g_clear_pointer (&s->nav_messages, g_ptr_array_unref);
  g_clear_pointer (&s->nav_local, nav_candidate_free);
  g_clear_pointer (&s->nav_remote, nav_candidate_free);
}

typedef gboolean (*Condition) (State *s);

static inline void
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
        g_error ("%s: timed out waiting for %s (libnice state %d, NavAgent state %d, "
                 "libnice received %u, NavAgent %u datagrams)", test_case, what,
                 s->nice_state, s->nav_state, s->nice_received, s->nav_received);
    }
}

static inline gboolean
gathered (State *s)
{
  return s->nice_gathered && s->nav_gathered;
}

/* Both components READY and NavAgent's selected pair known. */
static inline gboolean
ready (State *s)
{
  return s->nice_state == NICE_COMPONENT_STATE_READY &&
         s->nav_state == NAV_COMPONENT_STATE_READY && s->nav_local != NULL;
}

static inline gboolean
received (State *s)
{
  return s->nice_received >= N_DATAGRAMS && s->nav_received >= N_DATAGRAMS;
}

/* Adds 127.0.0.1 and a one-component stream @name to @nice, whose signals
 * go to @s; returns the stream. */
static inline guint
nice_setup (NiceAgent   *nice,
            const gchar *name,
            State       *s)
{
  NiceAddress addr;
  guint stream;

  nice_address_init (&addr);
  g_assert_true (nice_address_set_from_string (&addr, "127.0.0.1"));
  g_assert_true (nice_agent_add_local_address (nice, &addr));
  stream = nice_agent_add_stream (nice, 1);
  nice_agent_set_stream_name (nice, stream, name);
  g_signal_connect (nice, "candidate-gathering-done", G_CALLBACK (on_nice_gathered), s);
  g_signal_connect (nice, "component-state-changed", G_CALLBACK (on_nice_state), s);
  g_assert_true (nice_agent_attach_recv (nice, stream, 1, g_main_context_default (),
                                         on_nice_recv, s));
  return stream;
}

/* The same for @nav, before its stream is added: the caller sets what
 * the stream needs (relay info), then nav_setup_finish(). */
static inline guint
nav_setup (NavAgent    *nav,
           const gchar *name)
{
  g_autoptr (NavAddress) addr = nav_address_new_from_string ("127.0.0.1", NULL);
  guint stream;

  g_assert_true (nav_agent_add_local_address (nav, addr));
  stream = nav_agent_add_stream (nav, 1);
  nav_agent_set_stream_name (nav, stream, name);
  return stream;
}

static inline void
nav_setup_finish (NavAgent *nav,
                  guint     stream,
                  State    *s)
{
  g_signal_connect (nav, "candidate-gathering-done", G_CALLBACK (on_nav_gathered), s);
  g_signal_connect (nav, "component-state-changed", G_CALLBACK (on_nav_state), s);
  g_signal_connect (nav, "new-selected-pair-full", G_CALLBACK (on_nav_selected), s);
  g_assert_true (nav_agent_attach_recv (nav, stream, 1, NULL, on_nav_recv, s));
}

/* Both agents gather; returns their SDP (printed), to be freed. */
static inline void
gather_and_generate_sdp (NiceAgent *nice,
                         guint      nice_stream,
                         NavAgent  *nav,
                         guint      nav_stream,
                         State     *s,
                         gchar    **nice_sdp,
                         gchar    **nav_sdp)
{
  g_assert_true (nice_agent_gather_candidates (nice, nice_stream));
  g_assert_true (nav_agent_gather_candidates (nav, nav_stream));
  run_until (gathered, s, "gathering");

  *nice_sdp = nice_agent_generate_local_sdp (nice);
  *nav_sdp = nav_agent_generate_local_sdp (nav);
  g_print ("libnice SDP:\n%sNavAgent SDP:\n%s", *nice_sdp, *nav_sdp);
}

/* Each agent takes the other's SDP: at least one candidate each. */
static inline void
parse_sdp (NiceAgent   *nice,
           const gchar *nice_sdp,
           NavAgent    *nav,
           const gchar *nav_sdp)
{
  gint n;

  n = nav_agent_parse_remote_sdp (nav, nice_sdp);
  if (n < 1)
    g_error ("%s: NavAgent did not take libnice's SDP (%d)", test_case, n);
  n = nice_agent_parse_remote_sdp (nice, nav_sdp);
  if (n < 1)
    g_error ("%s: libnice did not take NavAgent's SDP (%d)", test_case, n);
}

/* Sends @to_nice from NavAgent and @to_nav from libnice, whole. */
static inline void
send_both_ways (NiceAgent  *nice,
                guint       nice_stream,
                NavAgent   *nav,
                guint       nav_stream,
                gsize       to_nice_len,
                const void *to_nice,
                gsize       to_nav_len,
                const void *to_nav)
{
  if (nav_agent_send (nav, nav_stream, 1, to_nice_len, to_nice) != (gint) to_nice_len)
    g_error ("%s: NavAgent send failed", test_case);
  if (nice_agent_send (nice, nice_stream, 1, to_nav_len, to_nav) != (gint) to_nav_len)
    g_error ("%s: libnice send failed", test_case);
}

/* N_DATAGRAMS datagrams each way, "<to_nice_prefix><i>" from NavAgent and
 * "<to_nav_prefix><i>" from libnice, paced by the loop so the socket
 * buffers never overflow; every one must arrive, the first with the
 * other side's prefix. */
static inline void
exchange_datagrams (NiceAgent   *nice,
                    guint        nice_stream,
                    NavAgent    *nav,
                    guint        nav_stream,
                    State       *s,
                    const gchar *to_nice_prefix,
                    const gchar *to_nav_prefix)
{
  for (guint i = 0; i < N_DATAGRAMS; i++)
    {
      g_autofree gchar *to_nice = g_strdup_printf ("%s%u", to_nice_prefix, i);
      g_autofree gchar *to_nav = g_strdup_printf ("%s%u", to_nav_prefix, i);

      send_both_ways (nice, nice_stream, nav, nav_stream, strlen (to_nice), to_nice,
                      strlen (to_nav), to_nav);
      g_main_context_iteration (NULL, FALSE);
    }
  run_until (received, s, "data both ways");
  if (!g_str_has_prefix (s->nav_first, to_nav_prefix))
    g_error ("%s: NavAgent received %s", test_case, s->nav_first);
  if (!g_str_has_prefix (s->nice_first, to_nice_prefix))
    g_error ("%s: libnice received %s", test_case, s->nice_first);
}

/* Fails unless @nav is still in role @controlling. */
static inline void
check_nav_role (NavAgent *nav,
                gboolean  controlling)
{
  gboolean now;

  g_object_get (nav, "controlling-mode", &now, NULL);
  if (now != controlling)
    g_error ("%s: NavAgent changed role", test_case);
}
