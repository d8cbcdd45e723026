/* simple-example.c: a text chat between two peers over ICE, in the
 * style of libnice's examples/simple-example.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Written for libnice's API only and built twice (against libnice and
 * against NetAvanue's netavanue-nice-1.0), it uses that API the way
 * libnice's simple example does: one GMainLoop in the main thread, the
 * agent on its context, stdin read through a GIOChannel watch, the
 * local data printed as one line "ufrag pwd cand cand …" (each candidate
 * "foundation,priority,address,port,type") once gathering is done, the
 * peer's line read back, and chat lines sent once the component is
 * CONNECTED (it asks nice_agent_get_selected_pair() then).  End of
 * input sends one NUL byte, which makes the peer quit too.
 *
 *   simple-example 0|1 [stun_addr [stun_port]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <agent.h>

#include <gio/gnetworking.h>

static GMainLoop *loop;
static GIOChannel *input;
static guint stream;

static const gchar * const type_names[] = { "host", "srflx", "prflx", "relay" };

static gboolean read_chat_line (GIOChannel *channel, GIOCondition condition, gpointer data);

/* "ufrag pwd foundation,priority,address,port,type …" */
static gboolean
print_local_line (NiceAgent *agent,
                  guint      stream_id,
                  guint      component_id)
{
  gchar *ufrag = NULL, *pwd = NULL;
  GSList *candidates, *l;

  if (!nice_agent_get_local_credentials (agent, stream_id, &ufrag, &pwd))
    return FALSE;
  candidates = nice_agent_get_local_candidates (agent, stream_id, component_id);
  if (candidates == NULL)
    {
      g_free (ufrag);
      g_free (pwd);
      return FALSE;
    }
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
  return TRUE;
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

/* The peer's line: its credentials, then at least one candidate.  Setting
 * the candidates starts the checks. */
static gboolean
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

static gboolean
read_remote_line (GIOChannel   *channel,
                  GIOCondition  condition,
                  gpointer      data)
{
  NiceAgent *agent = data;
  gchar *line = NULL;
  gboolean again = TRUE;

  if (g_io_channel_read_line (channel, &line, NULL, NULL, NULL) == G_IO_STATUS_NORMAL)
    {
      if (apply_remote_line (agent, stream, line))
        again = FALSE;            /* the checks run; chat once connected */
      else
        {
          fprintf (stderr, "could not parse the remote line\n");
          printf ("remote line> ");
          fflush (stdout);
        }
    }
  g_free (line);
  return again;
}

static void
on_gathering_done (NiceAgent *agent,
                   guint      stream_id,
                   gpointer   data)
{
  printf ("Give the other peer this line:\n\n  ");
  print_local_line (agent, stream_id, 1);
  printf ("\nremote line> ");
  fflush (stdout);
  g_io_add_watch (input, G_IO_IN, read_remote_line, agent);
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
  if (state == NICE_COMPONENT_STATE_CONNECTED)
    {
      NiceCandidate *local = NULL, *remote = NULL;

      if (nice_agent_get_selected_pair (agent, stream_id, component_id, &local, &remote))
        {
          gchar l[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN];

          nice_address_to_string (&local->addr, l);
          nice_address_to_string (&remote->addr, r);
          printf ("\nNegotiation complete: ([%s]:%u, [%s]:%u)\n", l,
                  nice_address_get_port (&local->addr), r, nice_address_get_port (&remote->addr));
        }
      printf ("\nSend lines to the other peer (end of input to quit):\nchat> ");
      fflush (stdout);
      g_io_add_watch (input, G_IO_IN | G_IO_HUP, read_chat_line, agent);
    }
  else if (state == NICE_COMPONENT_STATE_FAILED)
    {
      fprintf (stderr, "the connection failed\n");
      g_main_loop_quit (loop);
    }
}

static void
on_selected_pair (NiceAgent *agent,
                  guint      stream_id,
                  guint      component_id,
                  gchar     *lfoundation,
                  gchar     *rfoundation,
                  gpointer   data)
{
  g_debug ("selected pair %s %s", lfoundation, rfoundation);
}

static gboolean
read_chat_line (GIOChannel   *channel,
                GIOCondition  condition,
                gpointer      data)
{
  NiceAgent *agent = data;
  gchar *line = NULL;

  if (g_io_channel_read_line (channel, &line, NULL, NULL, NULL) == G_IO_STATUS_NORMAL)
    {
      nice_agent_send (agent, stream, 1, strlen (line), line);
      g_free (line);
      printf ("chat> ");
      fflush (stdout);
      return TRUE;
    }
  /* End of input: the peer hears it as one NUL byte. */
  nice_agent_send (agent, stream, 1, 1, "\0");
  g_main_loop_quit (loop);
  return FALSE;
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

int
main (int   argc,
      char *argv[])
{
  NiceAgent *agent;
  gboolean controlling;

  if (argc < 2 || argc > 4 || (strcmp (argv[1], "0") != 0 && strcmp (argv[1], "1") != 0))
    {
      fprintf (stderr, "Usage: %s 0|1 [stun_addr [stun_port]]\n", argv[0]);
      return EXIT_FAILURE;
    }
  controlling = argv[1][0] == '1';
  g_networking_init ();

  loop = g_main_loop_new (NULL, FALSE);
  input = g_io_channel_unix_new (fileno (stdin));

  agent = nice_agent_new (g_main_loop_get_context (loop), NICE_COMPATIBILITY_RFC5245);
  if (agent == NULL)
    g_error ("no agent");
  if (argc > 2)
    {
      g_object_set (agent, "stun-server", argv[2], NULL);
      g_object_set (agent, "stun-server-port", argc > 3 ? atoi (argv[3]) : 3478, NULL);
    }
  g_object_set (agent, "controlling-mode", controlling, NULL);

  g_signal_connect (agent, "candidate-gathering-done", G_CALLBACK (on_gathering_done), NULL);
  g_signal_connect (agent, "new-selected-pair", G_CALLBACK (on_selected_pair), NULL);
  g_signal_connect (agent, "component-state-changed", G_CALLBACK (on_state), NULL);

  stream = nice_agent_add_stream (agent, 1);
  if (stream == 0)
    g_error ("no stream");
  nice_agent_attach_recv (agent, stream, 1, g_main_loop_get_context (loop), on_recv, NULL);
  if (!nice_agent_gather_candidates (agent, stream))
    g_error ("gathering did not start");

  g_main_loop_run (loop);

  g_object_unref (agent);
  g_io_channel_unref (input);
  g_main_loop_unref (loop);
  return EXIT_SUCCESS;
}
