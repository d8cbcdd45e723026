/* threaded-example.c: the chat of simple-example.c driven from a thread
 * of its own, in the style of libnice's examples/threaded-example.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Written for libnice's API only and built twice (against libnice and
 * against netavanue-nice-1.0).  As libnice's threaded example does: the
 * main thread only runs the GMainLoop of the agent's context; another
 * thread creates the agent, calls every method, waits on GConds that the
 * signal handlers (run by the main loop) signal — gathering done, then
 * READY — and polls a non-blocking stdin.  The lines exchanged are those
 * of simple-example.c.
 *
 *   threaded-example 0|1 [stun_addr [stun_port]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <agent.h>

#include <gio/gnetworking.h>

static GMainLoop *loop;
static const gchar *stun_server;
static guint stun_port;
static gboolean controlling;

/* Set by the main loop's handlers, waited for by the example's thread. */
static GMutex lock;
static GCond cond;
static gboolean gathered, negotiated, stopping;

static const gchar * const type_names[] = { "host", "srflx", "prflx", "relay" };

static void
raise_flag (gboolean *flag)
{
  g_mutex_lock (&lock);
  *flag = TRUE;
  g_cond_broadcast (&cond);
  g_mutex_unlock (&lock);
}

/* FALSE when the example is stopping instead. */
static gboolean
wait_flag (gboolean *flag)
{
  gboolean ok;

  g_mutex_lock (&lock);
  while (!*flag && !stopping)
    g_cond_wait (&cond, &lock);
  ok = *flag;
  g_mutex_unlock (&lock);
  return ok;
}

static void
on_gathering_done (NiceAgent *agent,
                   guint      stream_id,
                   gpointer   data)
{
  raise_flag (&gathered);
}

static void
on_state (NiceAgent *agent,
          guint      stream_id,
          guint      component_id,
          guint      state,
          gpointer   data)
{
  g_debug ("stream %u component %u: %s", stream_id, component_id,
           nice_component_state_to_string (state));
  if (state == NICE_COMPONENT_STATE_READY)
    raise_flag (&negotiated);
  else if (state == NICE_COMPONENT_STATE_FAILED)
    {
      fprintf (stderr, "the connection failed\n");
      g_main_loop_quit (loop);
    }
}

static void
on_recv (NiceAgent *agent,
         guint      stream_id,
         guint      component_id,
         guint      len,
         gchar     *buf,
         gpointer   data)
{
  if (len == 1 && buf[0] == '\0')
    {
      g_main_loop_quit (loop);
      return;
    }
  printf ("%.*s", (int) len, buf);
  fflush (stdout);
}

static void
print_local_line (NiceAgent *agent,
                  guint      stream_id)
{
  gchar *ufrag = NULL, *pwd = NULL;
  GSList *candidates, *l;

  nice_agent_get_local_credentials (agent, stream_id, &ufrag, &pwd);
  candidates = nice_agent_get_local_candidates (agent, stream_id, 1);
  printf ("%s %s", ufrag, pwd);
  for (l = candidates; l != NULL; l = l->next)
    {
      NiceCandidate *c = l->data;
      gchar ip[INET6_ADDRSTRLEN];

      nice_address_to_string (&c->addr, ip);
      printf (" %s,%u,%s,%u,%s", c->foundation, c->priority, ip,
              nice_address_get_port (&c->addr), type_names[c->type]);
    }
  printf ("\n");
  g_slist_free_full (candidates, (GDestroyNotify) nice_candidate_free);
  g_free (ufrag);
  g_free (pwd);
}

static gboolean
apply_remote_line (NiceAgent   *agent,
                   guint        stream_id,
                   const gchar *line)
{
  gchar **tokens = g_strsplit_set (line, " \t\r\n", -1);
  GSList *candidates = NULL;
  const gchar *ufrag = NULL, *pwd = NULL;
  gboolean ok = TRUE;

  for (guint i = 0; ok && tokens[i] != NULL; i++)
    {
      gchar **f;
      guint type;
      NiceCandidate *c;

      if (tokens[i][0] == '\0')
        continue;
      if (ufrag == NULL || pwd == NULL)
        {
          *(ufrag == NULL ? &ufrag : &pwd) = tokens[i];
          continue;
        }
      f = g_strsplit (tokens[i], ",", 5);
      for (type = 0; g_strv_length (f) == 5 && type < G_N_ELEMENTS (type_names); type++)
        if (strcmp (f[4], type_names[type]) == 0)
          break;
      ok = g_strv_length (f) == 5 && type < G_N_ELEMENTS (type_names);
      if (ok)
        {
          c = nice_candidate_new ((NiceCandidateType) type);
          c->stream_id = stream_id;
          c->component_id = 1;
          c->transport = NICE_CANDIDATE_TRANSPORT_UDP;
          g_strlcpy (c->foundation, f[0], NICE_CANDIDATE_MAX_FOUNDATION);
          c->priority = (guint32) g_ascii_strtoull (f[1], NULL, 10);
          ok = nice_address_set_from_string (&c->addr, f[2]);
          nice_address_set_port (&c->addr, (guint) g_ascii_strtoull (f[3], NULL, 10));
          candidates = g_slist_append (candidates, c);
        }
      g_strfreev (f);
    }
  ok = ok && pwd != NULL && candidates != NULL &&
       nice_agent_set_remote_credentials (agent, stream_id, ufrag, pwd) &&
       nice_agent_set_remote_candidates (agent, stream_id, 1, candidates) > 0;
  g_slist_free_full (candidates, (GDestroyNotify) nice_candidate_free);
  g_strfreev (tokens);
  return ok;
}

/* One line of the non-blocking stdin: NORMAL with *@line, AGAIN after a
 * short sleep, anything else at the end of input. */
static GIOStatus
poll_line (GIOChannel  *input,
           gchar      **line)
{
  GIOStatus status = g_io_channel_read_line (input, line, NULL, NULL, NULL);

  if (status == G_IO_STATUS_AGAIN)
    g_usleep (G_USEC_PER_SEC / 10);
  return status;
}

static gpointer
example_thread (gpointer data)
{
  GIOChannel *input = g_io_channel_unix_new (fileno (stdin));
  NiceCandidate *local = NULL, *remote = NULL;
  NiceAgent *agent;
  guint stream;
  gchar *line = NULL;
  GIOStatus status;

  g_io_channel_set_flags (input, G_IO_FLAG_NONBLOCK, NULL);
  agent = nice_agent_new (g_main_loop_get_context (loop), NICE_COMPATIBILITY_RFC5245);
  if (agent == NULL)
    g_error ("no agent");
  if (stun_server != NULL)
    g_object_set (agent, "stun-server", stun_server, "stun-server-port", stun_port, NULL);
  g_object_set (agent, "controlling-mode", controlling, NULL);
  g_signal_connect (agent, "candidate-gathering-done", G_CALLBACK (on_gathering_done), NULL);
  g_signal_connect (agent, "component-state-changed", G_CALLBACK (on_state), NULL);
  stream = nice_agent_add_stream (agent, 1);
  if (stream == 0)
    g_error ("no stream");
  nice_agent_attach_recv (agent, stream, 1, g_main_loop_get_context (loop), on_recv, NULL);
  if (!nice_agent_gather_candidates (agent, stream))
    g_error ("gathering did not start");

  if (!wait_flag (&gathered))
    goto out;
  printf ("Give the other peer this line:\n\n  ");
  print_local_line (agent, stream);
  printf ("\nremote line> ");
  fflush (stdout);
  while (!stopping)
    {
      status = poll_line (input, &line);
      if (status == G_IO_STATUS_NORMAL)
        {
          gboolean ok = apply_remote_line (agent, stream, line);

          g_clear_pointer (&line, g_free);
          if (ok)
            break;
          fprintf (stderr, "could not parse the remote line\n");
        }
      else if (status != G_IO_STATUS_AGAIN)
        goto out;
    }

  if (!wait_flag (&negotiated))
    goto out;
  if (nice_agent_get_selected_pair (agent, stream, 1, &local, &remote))
    {
      gchar l[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN];

      nice_address_to_string (&local->addr, l);
      nice_address_to_string (&remote->addr, r);
      printf ("\nNegotiation complete: ([%s]:%u, [%s]:%u)\n", l,
              nice_address_get_port (&local->addr), r, nice_address_get_port (&remote->addr));
    }
  printf ("\nSend lines to the other peer (end of input to quit):\nchat> ");
  fflush (stdout);
  while (!stopping)
    {
      status = poll_line (input, &line);
      if (status == G_IO_STATUS_NORMAL)
        {
          nice_agent_send (agent, stream, 1, strlen (line), line);
          g_clear_pointer (&line, g_free);
          printf ("chat> ");
          fflush (stdout);
        }
      else if (status != G_IO_STATUS_AGAIN)
        {
          /* End of input: the peer hears it as one NUL byte. */
          nice_agent_send (agent, stream, 1, 1, "\0");
          break;
        }
    }

out:
  g_object_unref (agent);
  g_io_channel_unref (input);
  g_main_loop_quit (loop);
  return NULL;
}

int
main (int   argc,
      char *argv[])
{
  GThread *thread;

  if (argc < 2 || argc > 4 || (strcmp (argv[1], "0") != 0 && strcmp (argv[1], "1") != 0))
    {
      fprintf (stderr, "Usage: %s 0|1 [stun_addr [stun_port]]\n", argv[0]);
      return EXIT_FAILURE;
    }
  controlling = argv[1][0] == '1';
  if (argc > 2)
    {
      stun_server = argv[2];
      stun_port = argc > 3 ? (guint) atoi (argv[3]) : 3478;
    }
  g_networking_init ();

  loop = g_main_loop_new (NULL, FALSE);
  thread = g_thread_new ("example", example_thread, NULL);
  g_main_loop_run (loop);
  raise_flag (&stopping);
  g_thread_join (thread);
  g_main_loop_unref (loop);
  return EXIT_SUCCESS;
}
