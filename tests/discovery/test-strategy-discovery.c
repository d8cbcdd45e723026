/* test-strategy-discovery.c: NavAgent:nat-discovery, the agent finding
 * its own NAT type with RFC 5780 against a real nav-server --stun that
 * answers from 127.0.0.1 and 127.0.0.2 (no NAT on loopback), beside
 * gathering; the application's type wins; an agent dropped while it
 * probes (under the sanitizers)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <gio/gio.h>
#include <netavanue/netavanue.h>

typedef struct {
  GSubprocess *server;
  GDataInputStream *log;
  guint16 port;
} StunServer;

/* A port free for UDP on both loopback addresses, and the next one (the
 * RFC 5780 grid uses PORT and PORT + 1 on each). */
static guint16
grid_port (void)
{
  for (guint attempt = 0; attempt < 50; attempt++)
    {
      guint16 port = g_random_int_range (20000, 60000);
      gboolean free_ = TRUE;

      for (guint i = 0; i < 4 && free_; i++)
        {
          g_autoptr (GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                                G_SOCKET_PROTOCOL_UDP, NULL);
          g_autoptr (GInetAddress) ip = g_inet_address_new_from_string (i < 2 ? "127.0.0.1" : "127.0.0.2");
          g_autoptr (GSocketAddress) at = g_inet_socket_address_new (ip, port + i % 2);

          free_ = s != NULL && g_socket_bind (s, at, FALSE, NULL);
        }
      if (free_)
        return port;
    }
  return 0;
}

static void
server_start (StunServer *s)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *port_arg = NULL;
  guint listening = 0;

  s->port = grid_port ();
  g_assert_cmpuint (s->port, !=, 0);
  port_arg = g_strdup_printf ("--listening-port=%u", s->port);
  s->server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE, &error,
                                "nav-server", "--stun", "-L", "127.0.0.1", "--alt-listening-ip=127.0.0.2",
                                "--no-tls", port_arg, NULL);
  g_assert_no_error (error);
  /* Its four UDP sockets listen before the first request goes. */
  s->log = g_data_input_stream_new (g_subprocess_get_stdout_pipe (s->server));
  while (listening < 4)
    {
      g_autofree gchar *line = g_data_input_stream_read_line (s->log, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      if (strstr (line, "event=listening transport=udp") != NULL)
        listening++;
    }
}

static void
server_stop (StunServer *s)
{
  g_subprocess_send_signal (s->server, SIGTERM);
  g_subprocess_wait (s->server, NULL, NULL);
  g_clear_object (&s->log);
  g_clear_object (&s->server);
}

typedef struct {
  guint candidates;             /* before the NAT type */
  gboolean typed;
  gboolean gathered;
  gchar *first_type;
} Seen;

static void
on_candidate (NavAgent *agent, NavCandidate *candidate, Seen *seen)
{
  if (seen->first_type == NULL)
    seen->first_type = g_strdup (nav_candidate_type_to_string (candidate->type));
  if (!seen->typed)
    seen->candidates++;
}

static void
on_nat_type (GObject *agent, GParamSpec *pspec, Seen *seen)
{
  seen->typed = TRUE;
}

static void
on_gathered (NavAgent *agent, guint stream_id, Seen *seen)
{
  seen->gathered = TRUE;
}

static NavAgent *
new_agent (StunServer *s,
           Seen       *seen)
{
  NavAgent *agent = nav_agent_new_full (NULL, NAV_COMPATIBILITY_RFC8445, NAV_AGENT_OPTION_ICE_TRICKLE);
  g_autoptr (NavAddress) lo = nav_address_new_from_string ("127.0.0.1", NULL);
  guint stream;

  nav_agent_add_local_address (agent, lo);
  g_object_set (agent, "stun-server", "127.0.0.1", "stun-server-port", s->port, "ice-tcp", FALSE, NULL);
  g_signal_connect (agent, "new-candidate-full", G_CALLBACK (on_candidate), seen);
  g_signal_connect (agent, "notify::nat-type", G_CALLBACK (on_nat_type), seen);
  g_signal_connect (agent, "candidate-gathering-done", G_CALLBACK (on_gathered), seen);
  stream = nav_agent_add_stream (agent, 1);
  g_assert_cmpuint (stream, ==, 1);
  return agent;
}

/* A server, and an agent gathering with nat-discovery on (and
 * @nat_type, the application's, when not %NULL). */
static NavAgent *
start (StunServer  *s,
       Seen        *seen,
       const gchar *nat_type)
{
  NavAgent *agent;

  server_start (s);
  agent = new_agent (s, seen);
  g_object_set (agent, "nat-type", nat_type, "nat-discovery", TRUE, NULL);
  seen->typed = FALSE;
  g_assert_true (nav_agent_gather_candidates (agent, 1));
  return agent;
}

static void
finish (StunServer *s,
        Seen       *seen)
{
  g_free (seen->first_type);
  server_stop (s);
}

/* Iterates until @flag, with a guard against hangs (not a timing
 * assertion). */
static void
iterate_until (gboolean *flag)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (!*flag && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  g_assert_true (*flag);
}

static void
test_discovers (void)
{
  StunServer s = { 0 };
  Seen seen = { 0 };
  g_autoptr (NavAgent) agent = NULL;
  g_autofree gchar *type = NULL;
  gboolean discovery = TRUE;

  agent = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC8445);
  g_object_get (agent, "nat-discovery", &discovery, NULL);
  g_assert_false (discovery);            /* off by default */
  g_clear_object (&agent);
  agent = start (&s, &seen, NULL);
  iterate_until (&seen.typed);
  g_object_get (agent, "nat-type", &type, NULL);
  g_test_message ("found %s; %u candidates before it, the first %s", type, seen.candidates,
                  seen.first_type);
  /* Loopback: the mapped address is the local one, and the answers from
   * the other address and port come in (RFC 5780 §4.3, §4.4). */
  g_assert_cmpstr (type, ==, "no-nat endpoint-independent");
  /* Beside gathering: the host candidate did not wait. */
  g_assert_cmpstr (seen.first_type, ==, "host");
  g_assert_cmpuint (seen.candidates, >=, 1);
  /* The type sets the plan (open internet on one side: direct). */
  g_object_set (agent, "remote-nat-type", "symmetric", NULL);
  g_assert_cmpint (nav_agent_get_connect_plan (agent), ==, NAV_CONNECT_PLAN_DIRECT);
  g_clear_object (&agent);
  finish (&s, &seen);
}

static void
test_application_wins (void)
{
  StunServer s = { 0 };
  Seen seen = { 0 };
  g_autoptr (NavAgent) agent = NULL;
  g_autofree gchar *type = NULL;

  agent = start (&s, &seen, "port-restricted-cone");
  /* The reflexive candidate came back from the server: gathering is
   * over, and discovery, had it started, had its first answer. */
  iterate_until (&seen.gathered);
  for (guint i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_object_get (agent, "nat-type", &type, NULL);
  g_assert_cmpstr (type, ==, "port-restricted-cone");
  g_assert_false (seen.typed);
  g_clear_object (&agent);
  finish (&s, &seen);
}

/* Dropped while the probe's requests are in flight: nothing calls back
 * into the freed agent (the sanitizer build says so). */
static void
test_dispose_while_probing (void)
{
  StunServer s = { 0 };
  Seen seen = { 0 };
  NavAgent *agent;
  gint64 until;

  agent = start (&s, &seen, NULL);
  g_main_context_iteration (NULL, FALSE);
  g_object_unref (agent);
  until = g_get_monotonic_time () + 300 * 1000;
  while (g_get_monotonic_time () < until)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  finish (&s, &seen);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/strategy-discovery/discovers", test_discovers);
  g_test_add_func ("/strategy-discovery/application-wins", test_application_wins);
  g_test_add_func ("/strategy-discovery/dispose-while-probing", test_dispose_while_probing);
  return g_test_run ();
}
