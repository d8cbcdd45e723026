/* ice-bench.c: ICE setup time and datagram throughput, NavAgent vs libnice
 *
 * One source written for libnice's agent API, built twice as the
 * nice-compat test does: `ice-bench` against NetAvanue's compatibility
 * headers (pkg-config netavanue-nice-1.0) and `ice-bench-libnice` against
 * the real libnice (pkg-config nice).  The two libraries define the same
 * symbols, so they never share a process: `ice-bench` measures NavAgent
 * and raw UDP sockets, then runs `ice-bench-libnice --machine` with the
 * same parameters and prints both, and the ratios.
 *
 * Both measurements use two agents in one process, one GMainContext, host
 * candidates on 127.0.0.1 only:
 *
 * - setup: from gather_candidates() on both agents to both components
 *   READY (candidates and credentials handed over as soon as each agent's
 *   gathering is done), median of --runs runs;
 * - throughput: --count datagrams of --size bytes from the controlling
 *   agent to the controlled one.  The sender is an idle source of the
 *   same loop sending --batch datagrams at a time, so the loop alternates
 *   sending and receiving and a batch never overflows the socket buffer:
 *   the figure is the cost of sending and receiving one datagram through
 *   the agent on one core.  Raw UDP does the same with two GSockets
 *   (g_socket_send_to(), g_socket_receive() until it would block): the
 *   ceiling for a GLib program on this machine.  Each is measured with
 *   one send call per datagram (nice_agent_send(), g_socket_send_to())
 *   and with one call per batch (nice_agent_send_messages_nonblocking();
 *   raw UDP: g_socket_send_messages() and g_socket_receive_messages(),
 *   that is sendmmsg/recvmmsg).
 *
 * Throughput rounds are interleaved (ours, raw UDP, libnice's, again) and
 * medians printed, with the process's CPU time per datagram beside the
 * rate: on a shared machine the CPU figure is the steadier one.
 *
 *   meson setup build -Dbenchmarks=true
 *   meson compile -C build ice-bench ice-bench-libnice
 *   meson devenv -C build bench/ice-bench [--runs=20] [--count=200000] [--rounds=3]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <agent.h>

#ifdef ICE_BENCH_NETAVANUE
#define SELF_NAME "NetAvanue"
#else
#define SELF_NAME "libnice"
#endif

static gint opt_runs = 20;
static gint opt_count = 200000;
static gint opt_size = 1200;
static gint opt_batch = 32;
static gint opt_rounds = 3;
static gchar *opt_part;
static gboolean opt_machine;
static gboolean opt_no_peer;
static gchar *opt_peer;

static const GOptionEntry entries[] = {
  { "runs", 0, 0, G_OPTION_ARG_INT, &opt_runs, "Setup runs (the median is printed)", "N" },
  { "count", 0, 0, G_OPTION_ARG_INT, &opt_count, "Datagrams sent in the throughput run", "N" },
  { "size", 0, 0, G_OPTION_ARG_INT, &opt_size, "Datagram payload size", "BYTES" },
  { "batch", 0, 0, G_OPTION_ARG_INT, &opt_batch, "Datagrams sent per loop iteration", "N" },
  { "rounds", 0, 0, G_OPTION_ARG_INT, &opt_rounds,
    "Throughput rounds, interleaved between the builds (medians are printed)", "N" },
  { "machine", 0, 0, G_OPTION_ARG_NONE, &opt_machine, "Print one RESULT line only", NULL },
  { "part", 0, 0, G_OPTION_ARG_STRING, &opt_part, "With --machine: setup or throughput",
    "PART" },
  { "no-peer", 0, 0, G_OPTION_ARG_NONE, &opt_no_peer, "Do not run the other build", NULL },
  { "peer", 0, 0, G_OPTION_ARG_FILENAME, &opt_peer, "The other build of this bench", "PATH" },
  G_OPTION_ENTRY_NULL
};

typedef struct {
  double msgs_per_s;
  double mbit_per_s;
  double loss;
  double cpu_us;                /* process CPU time (user + system) per datagram */
} Throughput;

/* Throughput with one send call per datagram, and with one
 * send_messages_nonblocking() call (raw UDP: sendmmsg/recvmmsg) per
 * batch. */
typedef struct {
  double setup_ms;
  Throughput single;
  Throughput batched;
} Result;

/* ----------------------------------------------------------------- agents */

typedef struct {
  NiceAgent *agent;
  guint stream;
  gboolean gathered;
  gboolean ready;
  gboolean failed;
  guint64 received;
  gint64 last_receive;
} Peer;

static Peer peers[2];

static void
on_recv (NiceAgent *agent,
         guint      stream_id,
         guint      component_id,
         guint      len,
         gchar     *buf,
         gpointer   data)
{
  Peer *peer = data;

  peer->received++;
  peer->last_receive = g_get_monotonic_time ();
}

static void
exchange (Peer *from,
          Peer *to)
{
  gchar *ufrag = NULL, *pwd = NULL;
  GSList *candidates;

  nice_agent_get_local_credentials (from->agent, from->stream, &ufrag, &pwd);
  nice_agent_set_remote_credentials (to->agent, to->stream, ufrag, pwd);
  candidates = nice_agent_get_local_candidates (from->agent, from->stream, 1);
  nice_agent_set_remote_candidates (to->agent, to->stream, 1, candidates);
  g_slist_free_full (candidates, (GDestroyNotify) nice_candidate_free);
  g_free (ufrag);
  g_free (pwd);
}

static void
on_gathering_done (NiceAgent *agent,
                   guint      stream_id,
                   gpointer   data)
{
  Peer *peer = data;

  peer->gathered = TRUE;
  if (peers[0].gathered && peers[1].gathered)
    {
      exchange (&peers[0], &peers[1]);
      exchange (&peers[1], &peers[0]);
    }
}

static void
on_state (NiceAgent *agent,
          guint      stream_id,
          guint      component_id,
          guint      state,
          gpointer   data)
{
  Peer *peer = data;

  if (state == NICE_COMPONENT_STATE_READY)
    peer->ready = TRUE;
  else if (state == NICE_COMPONENT_STATE_FAILED)
    peer->failed = TRUE;
}

static void
peer_init (Peer         *peer,
           GMainContext *context,
           gboolean      controlling)
{
  NiceAddress addr;

  memset (peer, 0, sizeof *peer);
  peer->agent = nice_agent_new (context, NICE_COMPATIBILITY_RFC5245);
  g_object_set (peer->agent, "controlling-mode", controlling, "upnp", FALSE, NULL);
  nice_address_init (&addr);
  nice_address_set_from_string (&addr, "127.0.0.1");
  nice_agent_add_local_address (peer->agent, &addr);
  g_signal_connect (peer->agent, "candidate-gathering-done", G_CALLBACK (on_gathering_done), peer);
  g_signal_connect (peer->agent, "component-state-changed", G_CALLBACK (on_state), peer);
  peer->stream = nice_agent_add_stream (peer->agent, 1);
  nice_agent_attach_recv (peer->agent, peer->stream, 1, context, on_recv, peer);
}

static void
peer_clear (Peer *peer)
{
  nice_agent_attach_recv (peer->agent, peer->stream, 1, NULL, NULL, NULL);
  nice_agent_remove_stream (peer->agent, peer->stream);
  g_clear_object (&peer->agent);
}

static void
drain (GMainContext *context)
{
  while (g_main_context_iteration (context, FALSE))
    ;
}

/* Gathers on both and iterates until both are READY: the elapsed time in
 * milliseconds, or a negative value on failure or after 10 s. */
static double
connect_pair (GMainContext *context)
{
  gint64 start, deadline;

  peer_init (&peers[0], context, TRUE);
  peer_init (&peers[1], context, FALSE);
  start = g_get_monotonic_time ();
  deadline = start + 10 * G_USEC_PER_SEC;
  nice_agent_gather_candidates (peers[0].agent, peers[0].stream);
  nice_agent_gather_candidates (peers[1].agent, peers[1].stream);
  while (!(peers[0].ready && peers[1].ready))
    {
      if (peers[0].failed || peers[1].failed || g_get_monotonic_time () > deadline)
        return -1;
      g_main_context_iteration (context, TRUE);
    }
  return (g_get_monotonic_time () - start) / 1000.0;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
measure_setup (GMainContext *context)
{
  g_autofree double *times = g_new0 (double, opt_runs);
  gint i;

  for (i = 0; i < opt_runs; i++)
    {
      times[i] = connect_pair (context);
      peer_clear (&peers[0]);
      peer_clear (&peers[1]);
      drain (context);
      if (times[i] < 0)
        {
          g_printerr ("%s: setup run %d failed\n", SELF_NAME, i);
          return -1;
        }
    }
  qsort (times, opt_runs, sizeof (double), compare_double);
  return times[opt_runs / 2];
}

typedef struct {
  gint sent;
  gint failed;
  gchar *payload;
  gboolean (*send) (gpointer user_data, const gchar *buf, gsize len);
  /* Sends @n copies of @buf; returns how many went. */
  gint (*send_batch) (gpointer user_data, const gchar *buf, gsize len, gint n);
  gpointer user_data;
} Sender;

static gboolean
sender_idle (gpointer data)
{
  Sender *s = data;
  gint i;

  if (s->send_batch != NULL)
    {
      gint n = MIN (opt_batch, opt_count - s->sent);
      gint sent;

      memcpy (s->payload, &s->sent, sizeof s->sent);
      sent = s->send_batch (s->user_data, s->payload, opt_size, n);
      s->failed += n - MAX (sent, 0);
      s->sent += n;
      return s->sent < opt_count ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
    }
  for (i = 0; i < opt_batch && s->sent < opt_count; i++, s->sent++)
    {
      /* A sequence number, so a payload is not the same bytes each time. */
      memcpy (s->payload, &s->sent, sizeof s->sent);
      if (!s->send (s->user_data, s->payload, opt_size))
        s->failed++;
    }
  return s->sent < opt_count ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* The process's CPU time, user and system, in µs: what a datagram costs
 * whatever else the machine is doing (the wall-clock figures are only as
 * steady as the machine is idle). */
static gint64
cpu_time (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (gint64) (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * G_USEC_PER_SEC +
         usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

/* Runs the sender to the end, then iterates until everything arrived or
 * nothing did for half a second.  Fills the throughput fields of @r. */
static void
run_throughput (GMainContext *context,
                Sender       *s,
                guint64      *received,
                gint64       *last_receive,
                Throughput   *r)
{
  GSource *idle = g_idle_source_new ();
  gint64 start, cpu_start;
  double seconds;

  s->payload = g_malloc0 (opt_size);
  g_source_set_priority (idle, G_PRIORITY_LOW);
  g_source_set_callback (idle, sender_idle, s, NULL);
  *received = 0;
  cpu_start = cpu_time ();
  start = *last_receive = g_get_monotonic_time ();
  g_source_attach (idle, context);
  while (*received < (guint64) opt_count)
    {
      if (s->sent >= opt_count && g_get_monotonic_time () - *last_receive > G_USEC_PER_SEC / 2)
        break;
      g_main_context_iteration (context, s->sent >= opt_count);
    }
  r->cpu_us = (double) (cpu_time () - cpu_start) / MAX (*received, 1);
  g_source_destroy (idle);
  g_source_unref (idle);
  g_free (s->payload);

  seconds = (*last_receive - start) / (double) G_USEC_PER_SEC;
  if (seconds <= 0)
    seconds = 1e-6;
  r->msgs_per_s = *received / seconds;
  r->mbit_per_s = *received * (double) opt_size * 8 / seconds / 1e6;
  r->loss = 1.0 - *received / (double) opt_count;
}

static gboolean
agent_send (gpointer     user_data,
            const gchar *buf,
            gsize        len)
{
  Peer *peer = user_data;

  return nice_agent_send (peer->agent, peer->stream, 1, len, buf) == (gint) len;
}

static gint
agent_send_batch (gpointer     user_data,
                  const gchar *buf,
                  gsize        len,
                  gint         n)
{
  Peer *peer = user_data;
  GOutputVector vector = { buf, len };
  NiceOutputMessage messages[256];
  gint i;

  for (i = 0; i < n; i++)
    messages[i] = (NiceOutputMessage) { &vector, 1 };
  return nice_agent_send_messages_nonblocking (peer->agent, peer->stream, 1, messages, n,
                                               NULL, NULL);
}

/* Connects a pair, lets the controlled side's nomination settle, sends. */
static gboolean
agents_throughput (GMainContext *context,
                   Sender       *s,
                   Throughput   *r)
{
  gint64 until;

  if (connect_pair (context) < 0)
    {
      g_printerr ("%s: the throughput pair did not connect\n", SELF_NAME);
      return FALSE;
    }
  until = g_get_monotonic_time () + G_USEC_PER_SEC / 5;
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (context, FALSE);
  run_throughput (context, s, &peers[1].received, &peers[1].last_receive, r);
  if (s->failed > 0)
    g_printerr ("%s: %d sends failed\n", SELF_NAME, s->failed);
  peer_clear (&peers[0]);
  peer_clear (&peers[1]);
  drain (context);
  return TRUE;
}

static gboolean
measure_agents_throughput (GMainContext *context,
                Result       *r)
{
  Sender single = { .send = agent_send, .user_data = &peers[0] };
  Sender batched = { .send_batch = agent_send_batch, .user_data = &peers[0] };

  return agents_throughput (context, &single, &r->single) &&
         agents_throughput (context, &batched, &r->batched);
}

/* ------------------------------------------------------------ raw sockets */

#define RAW_BATCH 64

typedef struct {
  GSocket *socket;
  GSocketAddress *to;
  gboolean batched;
  guint64 received;
  gint64 last_receive;
  gchar *buffers[RAW_BATCH];
} Raw;

static gboolean
raw_readable (GSocket      *socket,
              GIOCondition  condition,
              gpointer      data)
{
  Raw *raw = data;

  if (raw->batched)
    {
      GInputVector vectors[RAW_BATCH];
      GInputMessage messages[RAW_BATCH];
      gint i, n;

      for (;;)
        {
          for (i = 0; i < RAW_BATCH; i++)
            {
              vectors[i] = (GInputVector) { raw->buffers[i], 65536 };
              messages[i] = (GInputMessage) { .vectors = &vectors[i], .num_vectors = 1 };
            }
          n = g_socket_receive_messages (socket, messages, RAW_BATCH, 0, NULL, NULL);
          if (n <= 0)
            break;
          raw->received += n;
          raw->last_receive = g_get_monotonic_time ();
        }
      return G_SOURCE_CONTINUE;
    }
  while (g_socket_receive (socket, raw->buffers[0], 65536, NULL, NULL) >= 0)
    {
      raw->received++;
      raw->last_receive = g_get_monotonic_time ();
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
raw_send (gpointer     user_data,
          const gchar *buf,
          gsize        len)
{
  Raw *raw = user_data;

  return g_socket_send_to (raw->socket, raw->to, buf, len, NULL, NULL) == (gssize) len;
}

static gint
raw_send_batch (gpointer     user_data,
                const gchar *buf,
                gsize        len,
                gint         n)
{
  Raw *raw = user_data;
  GOutputVector vector = { buf, len };
  GOutputMessage messages[256];
  gint i;

  for (i = 0; i < n; i++)
    messages[i] = (GOutputMessage) { .address = raw->to, .vectors = &vector, .num_vectors = 1 };
  return g_socket_send_messages (raw->socket, messages, n, 0, NULL, NULL);
}

static GSocket *
raw_socket (void)
{
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_UDP, NULL);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0);

  g_socket_bind (socket, addr, FALSE, NULL);
  g_socket_set_blocking (socket, FALSE);
  g_object_unref (addr);
  g_object_unref (lo);
  return socket;
}

static void
measure_raw_one (GMainContext *context,
                 gboolean      batched,
                 Throughput   *r)
{
  Raw sender = { 0 }, receiver = { 0 };
  Sender s = { .user_data = &sender };
  GSource *source;
  gint i;

  if (batched)
    s.send_batch = raw_send_batch;
  else
    s.send = raw_send;
  receiver.batched = batched;
  sender.socket = raw_socket ();
  receiver.socket = raw_socket ();
  for (i = 0; i < RAW_BATCH; i++)
    receiver.buffers[i] = g_malloc (65536);
  sender.to = g_socket_get_local_address (receiver.socket, NULL);
  source = g_socket_create_source (receiver.socket, G_IO_IN, NULL);
  g_source_set_callback (source, (GSourceFunc) (void (*) (void)) raw_readable, &receiver, NULL);
  g_source_attach (source, context);
  run_throughput (context, &s, &receiver.received, &receiver.last_receive, r);
  g_source_destroy (source);
  g_source_unref (source);
  g_object_unref (sender.to);
  g_object_unref (sender.socket);
  g_object_unref (receiver.socket);
  for (i = 0; i < RAW_BATCH; i++)
    g_free (receiver.buffers[i]);
}

static void
measure_raw (GMainContext *context,
             Result       *r)
{
  r->setup_ms = 0;
  measure_raw_one (context, FALSE, &r->single);
  measure_raw_one (context, TRUE, &r->batched);
}

/* ------------------------------------------------------------------- main */

static void
print_result (const gchar  *name,
              const Result *r)
{
  if (r->setup_ms > 0)
    printf ("  %-10s %8.2f ms", name, r->setup_ms);
  else
    printf ("  %-10s %8s   ", name, "-");
  printf ("  %7.0f msg/s %5.0f Mbit/s %5.2f µs %4.1f %%", r->single.msgs_per_s,
          r->single.mbit_per_s, r->single.cpu_us, r->single.loss * 100);
  printf ("  %7.0f msg/s %5.0f Mbit/s %5.2f µs %4.1f %%\n", r->batched.msgs_per_s,
          r->batched.mbit_per_s, r->batched.cpu_us, r->batched.loss * 100);
}

static void
print_machine (const Result *r)
{
  printf ("RESULT %.3f %.1f %.3f %.6f %.4f %.1f %.3f %.6f %.4f\n", r->setup_ms,
          r->single.msgs_per_s, r->single.mbit_per_s, r->single.loss, r->single.cpu_us,
          r->batched.msgs_per_s, r->batched.mbit_per_s, r->batched.loss, r->batched.cpu_us);
}

static gboolean
run_peer (const gchar *part,
          Result      *r)
{
  g_autofree gchar *out = NULL;
  g_autofree gchar *runs = g_strdup_printf ("--runs=%d", opt_runs);
  g_autofree gchar *count = g_strdup_printf ("--count=%d", opt_count);
  g_autofree gchar *size = g_strdup_printf ("--size=%d", opt_size);
  g_autofree gchar *batch = g_strdup_printf ("--batch=%d", opt_batch);
  g_autofree gchar *part_arg = g_strdup_printf ("--part=%s", part);
  const gchar *argv[] = { opt_peer, "--machine", part_arg, runs, count, size, batch, NULL };
  g_autoptr (GError) error = NULL;
  gint status = 0;
  const gchar *line;

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL,
                     &out, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    {
      g_printerr ("%s: %s\n", opt_peer, error->message);
      return FALSE;
    }
  line = strstr (out, "RESULT ");
  if (line == NULL ||
      sscanf (line, "RESULT %lf %lf %lf %lf %lf %lf %lf %lf %lf", &r->setup_ms,
              &r->single.msgs_per_s, &r->single.mbit_per_s, &r->single.loss,
              &r->single.cpu_us, &r->batched.msgs_per_s, &r->batched.mbit_per_s,
              &r->batched.loss, &r->batched.cpu_us) != 9)
    {
      g_printerr ("%s: no RESULT line in its output\n", opt_peer);
      return FALSE;
    }
  return TRUE;
}

/* The median of each throughput figure over the rounds. */
static void
median_of (GArray *rounds,
           Result *r)
{
  g_autofree double *v = g_new (double, rounds->len);
  guint field, i;

  for (field = 0; field < 8; field++)
    {
      for (i = 0; i < rounds->len; i++)
        {
          Result *x = &g_array_index (rounds, Result, i);
          Throughput *t = field < 4 ? &x->single : &x->batched;
          double values[4] = { t->msgs_per_s, t->mbit_per_s, t->loss, t->cpu_us };

          v[i] = values[field % 4];
        }
      qsort (v, rounds->len, sizeof (double), compare_double);
      {
        Throughput *t = field < 4 ? &r->single : &r->batched;
        double *dest[4] = { &t->msgs_per_s, &t->mbit_per_s, &t->loss, &t->cpu_us };

        *dest[field % 4] = v[rounds->len / 2];
      }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GOptionContext) options = g_option_context_new ("— ICE setup and throughput");
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) self_rounds = g_array_new (FALSE, TRUE, sizeof (Result));
  g_autoptr (GArray) peer_rounds = g_array_new (FALSE, TRUE, sizeof (Result));
  g_autoptr (GArray) raw_rounds = g_array_new (FALSE, TRUE, sizeof (Result));
  GMainContext *context;
  Result self = { 0 }, peer = { 0 }, raw = { 0 };
  gboolean have_peer = FALSE;
  gint round;
  const gchar *other_name =
#ifdef ICE_BENCH_NETAVANUE
    "libnice";
#else
    "NetAvanue";
#endif

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (opt_runs < 1 || opt_count < 1 || opt_size < 4 || opt_size > 65000 ||
      opt_batch < 1 || opt_batch > 256 || opt_rounds < 1)
    {
      g_printerr ("bad parameters\n");
      return 2;
    }
#ifdef ICE_BENCH_PEER
  if (opt_peer == NULL)
    opt_peer = g_strdup (ICE_BENCH_PEER);
#endif

  context = g_main_context_new ();
  g_main_context_push_thread_default (context);

  if (opt_machine)
    {
      if (g_strcmp0 (opt_part, "throughput") != 0)
        {
          self.setup_ms = measure_setup (context);
          if (self.setup_ms < 0)
            return 1;
        }
      if (g_strcmp0 (opt_part, "setup") != 0 && !measure_agents_throughput (context, &self))
        return 1;
      print_machine (&self);
      return 0;
    }

  printf ("ICE bench: setup median of %d runs; %d datagrams of %d bytes, batches of %d, "
          "loopback, median of %d rounds\n", opt_runs, opt_count, opt_size, opt_batch,
          opt_rounds);
  fflush (stdout);
  have_peer = !opt_no_peer && opt_peer != NULL;
  self.setup_ms = measure_setup (context);
  if (self.setup_ms < 0)
    return 1;
  if (have_peer)
    have_peer = run_peer ("setup", &peer);

  /* Interleaved, so that a busy moment of the machine hits all three. */
  for (round = 0; round < opt_rounds; round++)
    {
      Result r = { 0 };

      if (!measure_agents_throughput (context, &r))
        return 1;
      g_array_append_val (self_rounds, r);
      measure_raw (context, &r);
      g_array_append_val (raw_rounds, r);
      if (have_peer)
        {
          have_peer = run_peer ("throughput", &r);
          g_array_append_val (peer_rounds, r);
        }
    }
  median_of (self_rounds, &self);
  median_of (raw_rounds, &raw);
  if (have_peer)
    median_of (peer_rounds, &peer);

  printf ("  %-10s %11s  %-40s  %s\n", "", "setup", "send() per datagram",
          "send_messages_nonblocking()");
  printf ("  %-10s %11s  %-40s  %s\n", "", "", "rate, CPU time per datagram, loss",
          "rate, CPU time per datagram, loss");
  print_result (SELF_NAME, &self);
  if (have_peer)
    print_result (other_name, &peer);
  print_result ("raw UDP", &raw);
  if (have_peer)
    {
      printf ("  %s / %s: setup time %.2f (target <= 0.50)\n", SELF_NAME, other_name,
              self.setup_ms / peer.setup_ms);
      printf ("  %s / %s throughput: %.2f with send(), %.2f with send_messages; "
              "by CPU per datagram %.2f and %.2f (target >= 1.50)\n", SELF_NAME, other_name,
              self.single.msgs_per_s / peer.single.msgs_per_s,
              self.batched.msgs_per_s / peer.batched.msgs_per_s,
              peer.single.cpu_us / self.single.cpu_us,
              peer.batched.cpu_us / self.batched.cpu_us);
    }
  printf ("  %s / raw UDP throughput: %.2f with send(), %.2f with send_messages; "
          "by CPU per datagram %.2f and %.2f (target >= 0.70)\n", SELF_NAME,
          self.single.msgs_per_s / raw.single.msgs_per_s,
          self.batched.msgs_per_s / raw.batched.msgs_per_s,
          raw.single.cpu_us / self.single.cpu_us, raw.batched.cpu_us / self.batched.cpu_us);

  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  g_free (opt_peer);
  g_free (opt_part);
  return have_peer || opt_no_peer ? 0 : 1;
}
