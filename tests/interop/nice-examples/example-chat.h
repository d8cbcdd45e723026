/* example-chat.h: what the libnice-style example programs share: the
 * line each peer gives the other, the chat's receive callback, and the
 * flags the threaded ones wait on
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libnice's API only, so that the examples still build unchanged
 * against libnice and against netavanue-nice-1.0.  The line is
 * "ufrag pwd cand cand …", each candidate
 * "foundation,priority,address,port,type", as libnice's examples print
 * it.  A chat line is sent as it was typed; one NUL byte means the peer
 * is done.
 */
#ifndef EXAMPLE_CHAT_H
#define EXAMPLE_CHAT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <agent.h>

#include <gio/gnetworking.h>

static GMainLoop *loop;
/* From the command line (parse_arguments()). */
static gboolean controlling;
static const gchar *stun_server;
static guint stun_port;

static const gchar * const type_names[] = { "host", "srflx", "prflx", "relay" };

/* Prints the local line of component 1 of @stream_id. */
G_GNUC_UNUSED static gboolean
print_local_line (NiceAgent *agent,
                  guint      stream_id)
{
  gchar *ufrag = NULL, *pwd = NULL;
  GSList *candidates, *l;

  if (!nice_agent_get_local_credentials (agent, stream_id, &ufrag, &pwd))
    return FALSE;
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
  return candidates != NULL;
}

static NiceCandidate *
candidate_from_token (const gchar *token,
                      guint        stream_id)
{
  gchar **fields = g_strsplit (token, ",", 5);
  NiceCandidate *c = NULL;
  guint type;

  if (g_strv_length (fields) != 5)
    goto out;
  for (type = 0; type < G_N_ELEMENTS (type_names); type++)
    if (strcmp (fields[4], type_names[type]) == 0)
      break;
  if (type == G_N_ELEMENTS (type_names))
    goto out;
  c = nice_candidate_new ((NiceCandidateType) type);
  c->stream_id = stream_id;
  c->component_id = 1;
  c->transport = NICE_CANDIDATE_TRANSPORT_UDP;
  g_strlcpy (c->foundation, fields[0], NICE_CANDIDATE_MAX_FOUNDATION);
  c->priority = (guint32) g_ascii_strtoull (fields[1], NULL, 10);
  if (!nice_address_set_from_string (&c->addr, fields[2]))
    {
      nice_candidate_free (c);
      c = NULL;
      goto out;
    }
  nice_address_set_port (&c->addr, (guint) g_ascii_strtoull (fields[3], NULL, 10));
out:
  g_strfreev (fields);
  return c;
}

/* The peer's line: its credentials, then at least one candidate.
 * Setting the candidates starts the checks. */
G_GNUC_UNUSED static gboolean
apply_remote_line (NiceAgent   *agent,
                   guint        stream_id,
                   const gchar *line)
{
  gchar **tokens = g_strsplit_set (line, " \t\r\n", -1);
  const gchar *ufrag = NULL, *pwd = NULL;
  GSList *candidates = NULL;
  gboolean ok = FALSE;

  for (guint i = 0; tokens[i] != NULL; i++)
    {
      NiceCandidate *c;

      if (tokens[i][0] == '\0')
        continue;
      if (ufrag == NULL)
        ufrag = tokens[i];
      else if (pwd == NULL)
        pwd = tokens[i];
      else if ((c = candidate_from_token (tokens[i], stream_id)) != NULL)
        candidates = g_slist_append (candidates, c);
      else
        goto out;
    }
  ok = ufrag != NULL && pwd != NULL && candidates != NULL &&
       nice_agent_set_remote_credentials (agent, stream_id, ufrag, pwd) &&
       nice_agent_set_remote_candidates (agent, stream_id, 1, candidates) > 0;
out:
  g_slist_free_full (candidates, (GDestroyNotify) nice_candidate_free);
  g_strfreev (tokens);
  return ok;
}

/* The chat's receive callback: what the peer typed, or its end. */
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

/* "0|1 [stun_addr [stun_port]]": FALSE on anything else. */
static gboolean
parse_arguments (int   argc,
                 char *argv[])
{
  if (argc < 2 || argc > 4 || (strcmp (argv[1], "0") != 0 && strcmp (argv[1], "1") != 0))
    {
      fprintf (stderr, "Usage: %s 0|1 [stun_addr [stun_port]]\n", argv[0]);
      return FALSE;
    }
  controlling = argv[1][0] == '1';
  stun_server = argc > 2 ? argv[2] : NULL;
  stun_port = argc > 3 ? (guint) atoi (argv[3]) : 3478;
  return TRUE;
}

/* "Negotiation complete: (local, remote)", from the selected pair. */
G_GNUC_UNUSED static void
print_selected_pair (NiceAgent *agent,
                     guint      stream_id)
{
  NiceCandidate *local = NULL, *remote = NULL;
  gchar l[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN];

  if (!nice_agent_get_selected_pair (agent, stream_id, 1, &local, &remote))
    return;
  nice_address_to_string (&local->addr, l);
  nice_address_to_string (&remote->addr, r);
  printf ("\nNegotiation complete: ([%s]:%u, [%s]:%u)\n", l, nice_address_get_port (&local->addr),
          r, nice_address_get_port (&remote->addr));
}

/* -------------------------------------- for the threaded examples */

/* Raised by the handlers the main loop runs, waited for by the
 * example's own thread. */
static GMutex lock;
static GCond cond;
static gboolean gathered, negotiated, stopping;

G_GNUC_UNUSED static void
raise_flag (gboolean *flag)
{
  g_mutex_lock (&lock);
  *flag = TRUE;
  g_cond_broadcast (&cond);
  g_mutex_unlock (&lock);
}

/* FALSE when the example is stopping instead. */
G_GNUC_UNUSED static gboolean
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

G_GNUC_UNUSED static void
on_gathering_done_raise (NiceAgent *agent,
                         guint      stream_id,
                         gpointer   data)
{
  raise_flag (&gathered);
}

G_GNUC_UNUSED static void
on_state_raise (NiceAgent *agent,
                guint      stream_id,
                guint      component_id,
                guint      state,
                gpointer   data)
{
  if (state == NICE_COMPONENT_STATE_READY)
    raise_flag (&negotiated);
  else if (state == NICE_COMPONENT_STATE_FAILED)
    {
      fprintf (stderr, "the connection failed\n");
      g_main_loop_quit (loop);
    }
}

/* The agent of the threaded examples, on the main loop's context, its
 * stream (named @stream_name when not NULL) gathering; the handlers
 * raise the flags the example's thread waits on. */
G_GNUC_UNUSED static NiceAgent *
start_threaded_agent (const gchar *stream_name,
                      guint       *stream)
{
  NiceAgent *agent = nice_agent_new (g_main_loop_get_context (loop), NICE_COMPATIBILITY_RFC5245);

  if (agent == NULL)
    g_error ("no agent");
  if (stun_server != NULL)
    g_object_set (agent, "stun-server", stun_server, "stun-server-port", stun_port, NULL);
  g_object_set (agent, "controlling-mode", controlling, NULL);
  g_signal_connect (agent, "candidate-gathering-done", G_CALLBACK (on_gathering_done_raise), NULL);
  g_signal_connect (agent, "component-state-changed", G_CALLBACK (on_state_raise), NULL);
  *stream = nice_agent_add_stream (agent, 1);
  if (*stream == 0)
    g_error ("no stream");
  if (stream_name != NULL)
    nice_agent_set_stream_name (agent, *stream, stream_name);
  nice_agent_attach_recv (agent, *stream, 1, g_main_loop_get_context (loop), on_recv, NULL);
  if (!nice_agent_gather_candidates (agent, *stream))
    g_error ("gathering did not start");
  return agent;
}

/* One line of the non-blocking stdin: NORMAL with *@line, AGAIN after a
 * short sleep, anything else at the end of input. */
G_GNUC_UNUSED static GIOStatus
poll_line (GIOChannel  *input,
           gchar      **line)
{
  GIOStatus status = g_io_channel_read_line (input, line, NULL, NULL, NULL);

  if (status == G_IO_STATUS_AGAIN)
    g_usleep (G_USEC_PER_SEC / 10);
  return status;
}

/* The chat part of the threaded examples: typed lines go to the peer
 * until the end of input, which goes as one NUL byte. */
G_GNUC_UNUSED static void
chat_from_thread (NiceAgent  *agent,
                  guint       stream_id,
                  GIOChannel *input)
{
  gchar *line = NULL;

  printf ("\nSend lines to the other peer (end of input to quit):\nchat> ");
  fflush (stdout);
  while (!stopping)
    {
      GIOStatus status = poll_line (input, &line);

      if (status == G_IO_STATUS_NORMAL)
        {
          nice_agent_send (agent, stream_id, 1, strlen (line), line);
          g_clear_pointer (&line, g_free);
          printf ("chat> ");
          fflush (stdout);
        }
      else if (status != G_IO_STATUS_AGAIN)
        {
          nice_agent_send (agent, stream_id, 1, 1, "\0");
          break;
        }
    }
}

/* The end of the threaded examples' thread: once READY, the chat (with
 * the selected pair printed first when @show_pair), then the agent goes
 * and the main loop stops.  Also the way out when the example stops
 * before. */
G_GNUC_UNUSED static gpointer
finish_thread (NiceAgent  *agent,
               guint       stream_id,
               GIOChannel *input,
               gboolean    show_pair)
{
  if (wait_flag (&negotiated))
    {
      if (show_pair)
        print_selected_pair (agent, stream_id);
      else
        printf ("\nNegotiation complete\n");
      chat_from_thread (agent, stream_id, input);
    }
  g_object_unref (agent);
  g_io_channel_unref (input);
  g_main_loop_quit (loop);
  return NULL;
}

/* main() of the threaded examples: the main thread runs the loop, the
 * example runs in @func. */
G_GNUC_UNUSED static int
run_threaded (int          argc,
              char        *argv[],
              GThreadFunc  func)
{
  GThread *thread;

  if (!parse_arguments (argc, argv))
    return EXIT_FAILURE;
  g_networking_init ();
  loop = g_main_loop_new (NULL, FALSE);
  thread = g_thread_new ("example", func, NULL);
  g_main_loop_run (loop);
  raise_flag (&stopping);
  g_thread_join (thread);
  g_main_loop_unref (loop);
  return EXIT_SUCCESS;
}

#endif
