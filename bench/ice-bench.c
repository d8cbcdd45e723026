/* ice-bench.c: ICE setup time and datagram throughput, NavAgent vs libnice
 * vs raw UDP
 *
 * One source written for libnice's agent API, built twice as the
 * nice-compat test does: `ice-bench` against NetAvanue's compatibility
 * layer (pkg-config netavanue-nice-1.0) and `ice-bench-libnice` against
 * the real libnice (pkg-config nice).  The two libraries define the same
 * symbols, so they never share a process: `ice-bench` measures NavAgent
 * and raw UDP sockets, then runs `ice-bench-libnice --machine` with the
 * same parameters and prints both, and the ratios.  Everything runs on
 * loopback, host candidates on 127.0.0.1 only.
 *
 * - setup: from gather_candidates() on both agents to both components
 *   READY (candidates and credentials handed over as soon as each agent's
 *   gathering is done), median of --runs runs, two agents in one
 *   GMainContext; UDP only (ice-tcp off) and with ICE-TCP candidates too
 *   (ice-tcp on, libnice's default).
 *
 * - delivered: what a receiver gets.  A sends --count datagrams of --size
 *   bytes to B with nice_agent_send(), or with
 *   nice_agent_send_messages_nonblocking() in batches of --batch; B's
 *   context runs in a thread of its own and counts in its attach_recv()
 *   callback.  Paced: at most --window datagrams in flight (sent and not
 *   yet counted by B); unpaced: as fast as A can send, and what B misses
 *   is loss.  The rate is datagrams counted per second, from the first
 *   send to the last datagram counted.  Raw UDP does the same with two
 *   GSockets (g_socket_send_to() and g_socket_receive() until it would
 *   block; batched: g_socket_send_messages() and
 *   g_socket_receive_messages(), that is sendmmsg/recvmmsg, 64 at a time)
 *   with the default socket buffers: the ceiling for a GLib program.
 *   "raw UDP connected" is the same with both sockets connect()ed to each
 *   other (g_socket_send(), or send_messages without an address): what
 *   NetAvanue does on a selected pair since issue 15.  NetAvanue is also
 *   run with NAV_UDP_CONNECTED=0 in each round (the path before issue
 *   15, in a process of its own as libnice's is), unless
 *   --no-unconnected.
 *
 * - cpu: the sender's and receiver's CPU time per datagram, both agents
 *   in one thread and one context, the sender an idle source sending
 *   --batch datagrams at a time so that a batch never overflows a socket
 *   buffer (the figure of round one).
 *
 * Throughput rounds are interleaved (ours, raw UDP, libnice's, again) and
 * medians printed.
 *
 *   meson setup build -Dbenchmarks=true
 *   meson compile -C build ice-bench ice-bench-libnice
 *   meson devenv -C build bench/ice-bench [--runs=21] [--count=200000] [--rounds=3]
 *
 * With NetAvanue before a change (a tree OLD built in OLD/build) in the
 * same run: this source built against OLD's compatibility headers, run
 * with OLD's modules:
 *
 *   cc -O2 -DICE_BENCH_NETAVANUE bench/ice-bench.c -o /tmp/ice-bench-old \
 *     -IOLD/core/compat/nice -IOLD/core/compat \
 *     $(PKG_CONFIG_PATH=OLD/build/meson-uninstalled pkg-config --cflags --libs netavanue-1.0) \
 *     -Wl,-rpath,OLD/build/core
 *   meson devenv -C build bench/ice-bench --baseline=/tmp/ice-bench-old \
 *     --baseline-modules=OLD/build/modules
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/resource.h>

#include <agent.h>

#ifdef ICE_BENCH_NETAVANUE
#define SELF_NAME "NetAvanue"
#define OTHER_NAME "libnice"
#else
#define SELF_NAME "libnice"
#define OTHER_NAME "NetAvanue"
#endif

static gint opt_runs = 21;
static gint opt_count = 200000;
static gint opt_size = 1200;
static gint opt_batch = 32;
static gint opt_window = 64;
static gint opt_rounds = 3;
static gchar *opt_parts;
static gboolean opt_machine;
static gboolean opt_no_peer;
static gchar *opt_peer;
static gchar *opt_baseline;
static gchar *opt_baseline_modules;
static gboolean opt_no_inspect;
static gboolean opt_no_unconnected;
static gchar *opt_modes;
/* The environment run_build() adds (NAME=VALUE), or NULL. */
static const gchar *run_build_env;

static const GOptionEntry entries[] = {
  { "runs", 0, 0, G_OPTION_ARG_INT, &opt_runs, "Setup runs (the median is printed)", "N" },
  { "count", 0, 0, G_OPTION_ARG_INT, &opt_count, "Datagrams sent in each throughput run", "N" },
  { "size", 0, 0, G_OPTION_ARG_INT, &opt_size, "Datagram payload size", "BYTES" },
  { "batch", 0, 0, G_OPTION_ARG_INT, &opt_batch, "Datagrams per batched send", "N" },
  { "window", 0, 0, G_OPTION_ARG_INT, &opt_window, "Datagrams in flight when paced", "N" },
  { "rounds", 0, 0, G_OPTION_ARG_INT, &opt_rounds,
    "Throughput rounds, interleaved between the builds (medians are printed)", "N" },
  { "parts", 0, 0, G_OPTION_ARG_STRING, &opt_parts,
    "What to measure: setup, delivered, cpu, comma-separated (all by default)", "PARTS" },
  { "machine", 0, 0, G_OPTION_ARG_NONE, &opt_machine, "Print RESULT lines only", NULL },
  { "no-peer", 0, 0, G_OPTION_ARG_NONE, &opt_no_peer, "Do not run the other build", NULL },
  { "peer", 0, 0, G_OPTION_ARG_FILENAME, &opt_peer, "The other build of this bench", "PATH" },
  { "baseline", 0, 0, G_OPTION_ARG_FILENAME, &opt_baseline,
    "This bench built against NetAvanue before a change (see the top of ice-bench.c)", "PATH" },
  { "no-inspect", 0, 0, G_OPTION_ARG_NONE, &opt_no_inspect,
    "Do not run the inspection mode (issue 20: NAV_DEBUG_EXPORT=1, unattended)", NULL },
  { "no-unconnected", 0, 0, G_OPTION_ARG_NONE, &opt_no_unconnected,
    "Do not run NetAvanue with NAV_UDP_CONNECTED=0 (issue 15) too", NULL },
  { "baseline-modules", 0, 0, G_OPTION_ARG_FILENAME, &opt_baseline_modules,
    "The module directory of that NetAvanue", "DIR" },
  { "modes", 0, 0, G_OPTION_ARG_STRING, &opt_modes,
    "Delivered modes to run: paced-single, paced-batched, unpaced-single, unpaced-batched, "
    "comma-separated (all by default)", "MODES" },
  G_OPTION_ENTRY_NULL
};

static gboolean
listed (const gchar *list,
        const gchar *name)
{
  g_auto (GStrv) names = NULL;

  if (list == NULL)
    return TRUE;
  names = g_strsplit (list, ",", -1);
  return g_strv_contains ((const gchar * const *) names, name);
}

static gboolean
part_wanted (const gchar *part)
{
  return listed (opt_parts, part);
}

/* The figures, by name ("setup-udp", "delivered-paced-single", …): ours,
 * the other build's (parsed from its RESULT lines) and raw UDP's. */
typedef GHashTable Results;     /* gchar * → double * */

static Results *
results_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static void
results_set (Results     *r,
             const gchar *name,
             double       value)
{
  g_hash_table_insert (r, g_strdup (name), g_memdup2 (&value, sizeof value));
}

static double
results_get (Results     *r,
             const gchar *name)
{
  double *v = r != NULL ? g_hash_table_lookup (r, name) : NULL;

  return v != NULL ? *v : -1;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* ----------------------------------------------------------------- agents */

typedef struct {
  NiceAgent *agent;
  guint stream;
  gint gathered;                /* atomics: B's signals come from its own thread */
  gint ready;
  gint failed;
  guint64 received;             /* CPU part: one thread */
  gint64 last_receive;
} Peer;

static Peer peers[2];

/* Delivered part: B's callback runs in B's thread. */
static gint delivered_count;
static gint64 delivered_last;

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
on_recv_delivered (NiceAgent *agent,
                   guint      stream_id,
                   guint      component_id,
                   guint      len,
                   gchar     *buf,
                   gpointer   data)
{
  g_atomic_int_inc (&delivered_count);
  delivered_last = g_get_monotonic_time ();
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

static GMutex exchange_lock;

static void
on_gathering_done (NiceAgent *agent,
                   guint      stream_id,
                   gpointer   data)
{
  Peer *peer = data;
  gboolean both;

  /* The two agents may say so from two threads: one exchange. */
  g_mutex_lock (&exchange_lock);
  g_atomic_int_set (&peer->gathered, TRUE);
  both = g_atomic_int_get (&peers[0].gathered) && g_atomic_int_get (&peers[1].gathered);
  if (both)
    {
      exchange (&peers[0], &peers[1]);
      exchange (&peers[1], &peers[0]);
    }
  g_mutex_unlock (&exchange_lock);
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
    g_atomic_int_set (&peer->ready, TRUE);
  else if (state == NICE_COMPONENT_STATE_FAILED)
    g_atomic_int_set (&peer->failed, TRUE);
}

static void
peer_init (Peer              *peer,
           GMainContext      *context,
           gboolean           controlling,
           gboolean           ice_tcp,
           NiceAgentRecvFunc  recv_func)
{
  NiceAddress addr;

  memset (peer, 0, sizeof *peer);
  peer->agent = nice_agent_new (context, NICE_COMPATIBILITY_RFC5245);
  g_object_set (peer->agent, "controlling-mode", controlling, "upnp", FALSE,
                "ice-tcp", ice_tcp, NULL);
  nice_address_init (&addr);
  nice_address_set_from_string (&addr, "127.0.0.1");
  nice_agent_add_local_address (peer->agent, &addr);
  g_signal_connect (peer->agent, "candidate-gathering-done", G_CALLBACK (on_gathering_done), peer);
  g_signal_connect (peer->agent, "component-state-changed", G_CALLBACK (on_state), peer);
  peer->stream = nice_agent_add_stream (peer->agent, 1);
  nice_agent_attach_recv (peer->agent, peer->stream, 1, context, recv_func, peer);
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

static gboolean
both_ready (void)
{
  return g_atomic_int_get (&peers[0].ready) && g_atomic_int_get (&peers[1].ready);
}

static gboolean
wake_only (gpointer data)
{
  return G_SOURCE_REMOVE;
}

/* Gathers on both (A on @context_a, B on @context_b, which another
 * thread may run) and iterates @context_a until both are READY: the
 * elapsed time in milliseconds, or a negative value on failure or after
 * 10 s. */
static double
connect_pair (GMainContext      *context_a,
              GMainContext      *context_b,
              gboolean           ice_tcp,
              NiceAgentRecvFunc  recv_b)
{
  gint64 start, deadline;
  gboolean b_threaded = context_b != context_a;
  GSource *guard = g_timeout_source_new_seconds (11);
  double elapsed = -1;

  /* Wakes the loop once past the deadline, should nothing else. */
  g_source_set_callback (guard, wake_only, NULL, NULL);
  g_source_attach (guard, context_a);
  peer_init (&peers[0], context_a, TRUE, ice_tcp, on_recv);
  peer_init (&peers[1], context_b, FALSE, ice_tcp, recv_b);
  start = g_get_monotonic_time ();
  deadline = start + 10 * G_USEC_PER_SEC;
  nice_agent_gather_candidates (peers[0].agent, peers[0].stream);
  nice_agent_gather_candidates (peers[1].agent, peers[1].stream);
  while (!both_ready ())
    {
      if (g_atomic_int_get (&peers[0].failed) || g_atomic_int_get (&peers[1].failed) ||
          g_get_monotonic_time () > deadline)
        goto out;
      /* B's READY comes from its own thread: poll rather than block. */
      if (!g_main_context_iteration (context_a, !b_threaded) && b_threaded)
        g_usleep (100);
    }
  elapsed = (g_get_monotonic_time () - start) / 1000.0;
out:
  g_source_destroy (guard);
  g_source_unref (guard);
  return elapsed;
}

static double
measure_setup (GMainContext *context,
               gboolean      ice_tcp)
{
  g_autofree double *times = g_new0 (double, opt_runs);
  gint i;

  for (i = 0; i < opt_runs; i++)
    {
      times[i] = connect_pair (context, context, ice_tcp, on_recv);
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

/* ------------------------------------------------------------- delivered */

/* B's thread: runs its context until told to stop. */
typedef struct {
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
} Receiver;

static gpointer
receiver_thread (gpointer data)
{
  Receiver *r = data;

  g_main_context_push_thread_default (r->context);
  g_main_loop_run (r->loop);
  g_main_context_pop_thread_default (r->context);
  return NULL;
}

static void
receiver_start (Receiver *r)
{
  r->context = g_main_context_new ();
  r->loop = g_main_loop_new (r->context, FALSE);
  r->thread = g_thread_new ("receiver", receiver_thread, r);
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* The thread stops first: what runs on its context is then freed from
 * this thread alone. */
static void
receiver_quit (Receiver *r)
{
  g_main_context_invoke (r->context, quit_loop, r->loop);
  g_thread_join (r->thread);
}

static void
receiver_free (Receiver *r)
{
  g_main_loop_unref (r->loop);
  g_main_context_unref (r->context);
}

/* A way to send: one datagram, or @n copies of one in a batch (the
 * number that went). */
typedef struct {
  gboolean (*send) (gpointer user_data, const gchar *buf, gsize len);
  gint (*send_batch) (gpointer user_data, const gchar *buf, gsize len, gint n);
  gpointer user_data;
} Sender;

typedef struct {
  double msgs_per_s;
  double sent_per_s;            /* how fast A offered them */
  double loss;
} Delivered;

/* Sends --count datagrams with @s, paced to --window in flight or not,
 * while B's thread counts them in delivered_count. */
static void
run_delivered (Sender    *s,
               gboolean   paced,
               Delivered *d)
{
  g_autofree gchar *payload = g_malloc0 (opt_size);
  gint64 start, sent_at, last_progress;
  gint sent = 0, failed = 0, got = 0;

  g_atomic_int_set (&delivered_count, 0);
  delivered_last = start = g_get_monotonic_time ();
  while (sent < opt_count)
    {
      gint n = s->send_batch != NULL ? MIN (opt_batch, opt_count - sent) : 1;

      if (paced)
        while (sent + n - g_atomic_int_get (&delivered_count) > opt_window)
          sched_yield ();
      /* A sequence number, so a payload is not the same bytes each time. */
      memcpy (payload, &sent, sizeof sent);
      if (s->send_batch != NULL)
        {
          gint went = s->send_batch (s->user_data, payload, opt_size, n);

          failed += n - MAX (went, 0);
        }
      else if (!s->send (s->user_data, payload, opt_size))
        failed++;
      sent += n;
    }
  sent_at = g_get_monotonic_time ();
  /* Until everything arrived, or nothing more did for half a second. */
  last_progress = g_get_monotonic_time ();
  while ((got = g_atomic_int_get (&delivered_count)) < opt_count)
    {
      static gint seen;

      if (got != seen)
        {
          seen = got;
          last_progress = g_get_monotonic_time ();
        }
      if (g_get_monotonic_time () - last_progress > G_USEC_PER_SEC / 2)
        break;
      g_usleep (1000);
    }
  if (paced && failed > 0)
    g_printerr ("%s: %d paced sends failed\n", SELF_NAME, failed);
  d->msgs_per_s = got / MAX ((delivered_last - start) / (double) G_USEC_PER_SEC, 1e-6);
  d->sent_per_s = opt_count / MAX ((sent_at - start) / (double) G_USEC_PER_SEC, 1e-6);
  d->loss = 1.0 - got / (double) opt_count;
}

static void
store_delivered (Results         *results,
                 const gchar     *mode,
                 const Delivered *d)
{
  gchar key[64];

  g_snprintf (key, sizeof key, "delivered-%s", mode);
  results_set (results, key, d->msgs_per_s);
  g_snprintf (key, sizeof key, "loss-%s", mode);
  results_set (results, key, d->loss);
  g_snprintf (key, sizeof key, "offered-%s", mode);
  results_set (results, key, d->sent_per_s);
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

/* The four modes, each on a fresh pair: A in this thread (its context
 * idle once READY), B in its own. */
static const struct {
  const gchar *name;
  gboolean paced;
  gboolean batched;
} delivered_modes[] = {
  { "paced-single", TRUE, FALSE },
  { "paced-batched", TRUE, TRUE },
  { "unpaced-single", FALSE, FALSE },
  { "unpaced-batched", FALSE, TRUE },
};

static gboolean
measure_agents_delivered (GMainContext *context,
                          Results      *results)
{
  for (guint m = 0; m < G_N_ELEMENTS (delivered_modes); m++)
    {
      Receiver receiver;
      Sender s = { NULL, NULL, &peers[0] };
      Delivered d;
      gint64 until;

      if (!listed (opt_modes, delivered_modes[m].name))
        continue;
      if (delivered_modes[m].batched)
        s.send_batch = agent_send_batch;
      else
        s.send = agent_send;
      receiver_start (&receiver);
      if (connect_pair (context, receiver.context, FALSE, on_recv_delivered) < 0)
        {
          g_printerr ("%s: the delivered pair did not connect\n", SELF_NAME);
          return FALSE;
        }
      /* The controlled side's nomination settles. */
      until = g_get_monotonic_time () + G_USEC_PER_SEC / 5;
      while (g_get_monotonic_time () < until)
        if (!g_main_context_iteration (context, FALSE))
          g_usleep (1000);
      run_delivered (&s, delivered_modes[m].paced, &d);
      receiver_quit (&receiver);
      peer_clear (&peers[0]);
      peer_clear (&peers[1]);
      drain (receiver.context);
      receiver_free (&receiver);
      drain (context);
      store_delivered (results, delivered_modes[m].name, &d);
    }
  return TRUE;
}

/* ---------------------------------------------------------- raw sockets */

#define RAW_BATCH 64

typedef struct {
  GSocket *socket;
  GSocketAddress *to;
  gboolean batched;
  gchar *buffers[RAW_BATCH];
  /* CPU part (one thread) */
  guint64 received;
  gint64 last_receive;
  gboolean delivered;           /* count into delivered_count */
  gboolean connected;           /* connect()ed: no address per send */
} Raw;

static void
raw_count (Raw  *raw,
           gint  n)
{
  if (raw->delivered)
    {
      g_atomic_int_add (&delivered_count, n);
      delivered_last = g_get_monotonic_time ();
    }
  else
    {
      raw->received += n;
      raw->last_receive = g_get_monotonic_time ();
    }
}

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
          raw_count (raw, n);
        }
      return G_SOURCE_CONTINUE;
    }
  while (g_socket_receive (socket, raw->buffers[0], 65536, NULL, NULL) >= 0)
    raw_count (raw, 1);
  return G_SOURCE_CONTINUE;
}

static gboolean
raw_send (gpointer     user_data,
          const gchar *buf,
          gsize        len)
{
  Raw *raw = user_data;

  if (raw->connected)
    return g_socket_send (raw->socket, buf, len, NULL, NULL) == (gssize) len;
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
    messages[i] = (GOutputMessage) { .address = raw->connected ? NULL : raw->to,
                                     .vectors = &vector, .num_vectors = 1 };
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

/* A sending and a receiving raw socket, the receiver's source on
 * @context. */
static GSource *
raw_open (Raw          *sender,
          Raw          *receiver,
          gboolean      batched,
          GMainContext *context)
{
  GSource *source;
  gint i;

  receiver->batched = batched;
  sender->socket = raw_socket ();
  receiver->socket = raw_socket ();
  for (i = 0; i < RAW_BATCH; i++)
    receiver->buffers[i] = g_malloc (65536);
  sender->to = g_socket_get_local_address (receiver->socket, NULL);
  if (sender->connected)
    {
      g_autoptr (GSocketAddress) from = g_socket_get_local_address (sender->socket, NULL);

      g_socket_connect (sender->socket, sender->to, NULL, NULL);
      g_socket_connect (receiver->socket, from, NULL, NULL);
    }
  source = g_socket_create_source (receiver->socket, G_IO_IN, NULL);
  g_source_set_callback (source, (GSourceFunc) (void (*) (void)) raw_readable, receiver, NULL);
  g_source_attach (source, context);
  return source;
}

static void
raw_close (Raw     *sender,
           Raw     *receiver,
           GSource *source)
{
  g_source_destroy (source);
  g_source_unref (source);
  g_object_unref (sender->to);
  g_object_unref (sender->socket);
  g_object_unref (receiver->socket);
  for (gint i = 0; i < RAW_BATCH; i++)
    g_free (receiver->buffers[i]);
}

static void
measure_raw_delivered (Results  *results,
                       gboolean  connected)
{
  for (guint m = 0; m < G_N_ELEMENTS (delivered_modes); m++)
    {
      Raw sender = { .connected = connected }, receiver = { .delivered = TRUE };
      Sender s = { NULL, NULL, &sender };
      Receiver thread;
      GSource *source;
      Delivered d;

      if (!listed (opt_modes, delivered_modes[m].name))
        continue;
      if (delivered_modes[m].batched)
        s.send_batch = raw_send_batch;
      else
        s.send = raw_send;
      receiver_start (&thread);
      source = raw_open (&sender, &receiver, delivered_modes[m].batched, thread.context);
      run_delivered (&s, delivered_modes[m].paced, &d);
      receiver_quit (&thread);
      raw_close (&sender, &receiver, source);
      receiver_free (&thread);
      store_delivered (results, delivered_modes[m].name, &d);
    }
}

/* ------------------------------------------------------------------- cpu */

typedef struct {
  Sender sender;
  gint sent;
  gint failed;
  gchar *payload;
} IdleSender;

static gboolean
sender_idle (gpointer data)
{
  IdleSender *s = data;
  gint i;

  if (s->sender.send_batch != NULL)
    {
      gint n = MIN (opt_batch, opt_count - s->sent);
      gint sent;

      memcpy (s->payload, &s->sent, sizeof s->sent);
      sent = s->sender.send_batch (s->sender.user_data, s->payload, opt_size, n);
      s->failed += n - MAX (sent, 0);
      s->sent += n;
      return s->sent < opt_count ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
    }
  for (i = 0; i < opt_batch && s->sent < opt_count; i++, s->sent++)
    {
      memcpy (s->payload, &s->sent, sizeof s->sent);
      if (!s->sender.send (s->sender.user_data, s->payload, opt_size))
        s->failed++;
    }
  return s->sent < opt_count ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* The process's CPU time, user and system, in µs. */
static gint64
cpu_time (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (gint64) (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * G_USEC_PER_SEC +
         usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

/* Runs the idle sender to the end, then iterates until everything
 * arrived or nothing did for half a second: CPU µs per datagram. */
static double
run_cpu (GMainContext *context,
         IdleSender   *s,
         guint64      *received,
         gint64       *last_receive)
{
  GSource *idle = g_idle_source_new ();
  gint64 cpu_start;
  double cpu_us;

  s->payload = g_malloc0 (opt_size);
  g_source_set_priority (idle, G_PRIORITY_LOW);
  g_source_set_callback (idle, sender_idle, s, NULL);
  *received = 0;
  cpu_start = cpu_time ();
  *last_receive = g_get_monotonic_time ();
  g_source_attach (idle, context);
  while (*received < (guint64) opt_count)
    {
      if (s->sent >= opt_count && g_get_monotonic_time () - *last_receive > G_USEC_PER_SEC / 2)
        break;
      g_main_context_iteration (context, s->sent >= opt_count);
    }
  cpu_us = (double) (cpu_time () - cpu_start) / MAX (*received, 1);
  g_source_destroy (idle);
  g_source_unref (idle);
  g_free (s->payload);
  return cpu_us;
}

static gboolean
measure_agents_cpu (GMainContext *context,
                    Results      *results)
{
  for (gint batched = 0; batched < 2; batched++)
    {
      IdleSender s = { { batched ? NULL : agent_send, batched ? agent_send_batch : NULL,
                         &peers[0] } };
      gint64 until;

      if (connect_pair (context, context, FALSE, on_recv) < 0)
        {
          g_printerr ("%s: the CPU pair did not connect\n", SELF_NAME);
          return FALSE;
        }
      until = g_get_monotonic_time () + G_USEC_PER_SEC / 5;
      while (g_get_monotonic_time () < until)
        g_main_context_iteration (context, FALSE);
      results_set (results, batched ? "cpu-batched" : "cpu-single",
                   run_cpu (context, &s, &peers[1].received, &peers[1].last_receive));
      peer_clear (&peers[0]);
      peer_clear (&peers[1]);
      drain (context);
    }
  return TRUE;
}

static void
measure_raw_cpu (GMainContext *context,
                 Results      *results)
{
  for (gint batched = 0; batched < 2; batched++)
    {
      Raw sender = { 0 }, receiver = { 0 };
      IdleSender s = { { batched ? NULL : raw_send, batched ? raw_send_batch : NULL, &sender } };
      GSource *source = raw_open (&sender, &receiver, batched, context);

      results_set (results, batched ? "cpu-batched" : "cpu-single",
                   run_cpu (context, &s, &receiver.received, &receiver.last_receive));
      raw_close (&sender, &receiver, source);
    }
}

/* ------------------------------------------------------------------- main */

static void
print_machine (Results *r)
{
  g_autoptr (GList) keys = g_list_sort (g_hash_table_get_keys (r), (GCompareFunc) strcmp);

  for (GList *l = keys; l != NULL; l = l->next)
    printf ("RESULT %s %.6f\n", (const gchar *) l->data, results_get (r, l->data));
}

/* Runs another build (@path: libnice's, or ours before a change, with
 * @modules as its module directory) with @parts: its RESULT lines into
 * @r. */
static gboolean
run_build (const gchar *path,
           const gchar *modules,
           const gchar *parts,
           Results     *r)
{
  g_autofree gchar *out = NULL;
  g_autofree gchar *runs = g_strdup_printf ("--runs=%d", opt_runs);
  g_autofree gchar *count = g_strdup_printf ("--count=%d", opt_count);
  g_autofree gchar *size = g_strdup_printf ("--size=%d", opt_size);
  g_autofree gchar *batch = g_strdup_printf ("--batch=%d", opt_batch);
  g_autofree gchar *window = g_strdup_printf ("--window=%d", opt_window);
  g_autofree gchar *parts_arg = g_strdup_printf ("--parts=%s", parts);
  g_autofree gchar *modes = opt_modes != NULL ? g_strdup_printf ("--modes=%s", opt_modes) : NULL;
  const gchar *argv[] = { path, "--machine", parts_arg, runs, count, size, batch, window,
                          modes, NULL };
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  g_auto (GStrv) envp = g_get_environ ();
  gint status = 0;

  if (modules != NULL)
    {
      /* A build tree's modules sit in one folder per tier. */
      g_autoptr (GDir) dir = g_dir_open (modules, 0, NULL);
      g_autoptr (GString) module_path = g_string_new (modules);
      const gchar *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree gchar *sub = g_build_filename (modules, name, NULL);

          if (g_file_test (sub, G_FILE_TEST_IS_DIR))
            g_string_append_printf (module_path, ":%s", sub);
        }
      /* And its library, not this build's (devenv's LD_LIBRARY_PATH
       * comes before the binary's run path). */
      g_autofree gchar *parent = g_path_get_dirname (modules);
      g_autofree gchar *libdir = g_build_filename (parent, "core", NULL);

      envp = g_environ_setenv (envp, "NAV_MODULE_DIR", modules, TRUE);
      envp = g_environ_setenv (envp, "NAV_MODULE_PATH", module_path->str, TRUE);
      envp = g_environ_setenv (envp, "LD_LIBRARY_PATH", libdir, TRUE);
    }
  if (run_build_env != NULL)
    {
      g_auto (GStrv) kv = g_strsplit (run_build_env, "=", 2);

      envp = g_environ_setenv (envp, kv[0], kv[1], TRUE);
    }
  if (!g_spawn_sync (NULL, (gchar **) argv, envp, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL,
                     &out, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    {
      g_printerr ("%s: %s\n", path, error->message);
      return FALSE;
    }
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      gchar name[64];
      double value;

      if (sscanf (lines[i], "RESULT %63s %lf", name, &value) == 2)
        results_set (r, name, value);
    }
  return TRUE;
}

/* The machine's load (the first three fields of /proc/loadavg), for
 * the reader to judge the figures beside it. */
static void
print_load (const gchar *when)
{
  g_autofree gchar *text = NULL;
  g_auto (GStrv) fields = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return;
  fields = g_strsplit (g_strstrip (text), " ", 4);
  if (g_strv_length (fields) >= 3)
    printf ("Load average %s: %s %s %s\n", when, fields[0], fields[1], fields[2]);
}

/* The median of each figure over the rounds. */
static Results *
median_of (GPtrArray *rounds)
{
  Results *r = results_new ();
  g_autoptr (GList) keys = NULL;

  if (rounds->len == 0)
    return r;
  keys = g_hash_table_get_keys (g_ptr_array_index (rounds, 0));
  for (GList *l = keys; l != NULL; l = l->next)
    {
      g_autofree double *v = g_new (double, rounds->len);

      for (guint i = 0; i < rounds->len; i++)
        v[i] = results_get (g_ptr_array_index (rounds, i), l->data);
      qsort (v, rounds->len, sizeof (double), compare_double);
      results_set (r, l->data, v[rounds->len / 2]);
    }
  return r;
}

static double
ratio (double a,
       double b)
{
  return a > 0 && b > 0 ? a / b : 0;
}

static void
print_setup (Results *self,
             Results *peer,
             Results *before)
{
  static const struct {
    const gchar *key;
    const gchar *name;
  } modes[] = { { "setup-udp", "UDP only" }, { "setup-tcp", "ICE-TCP" } };

  printf ("\nSetup, gather_candidates() on both to both READY (median):\n");
  printf ("  %-10s %10s %10s   %s / %s (target <= 0.25)%s\n", "", SELF_NAME, OTHER_NAME,
          SELF_NAME, OTHER_NAME, before != NULL ? "   before   ours / before" : "");
  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      printf ("  %-10s %7.3f ms %7.2f ms   %10.3f", modes[i].name,
              results_get (self, modes[i].key), results_get (peer, modes[i].key),
              ratio (results_get (self, modes[i].key), results_get (peer, modes[i].key)));
      if (before != NULL)
        printf ("   %7.2f ms   %5.3f", results_get (before, modes[i].key),
                ratio (results_get (self, modes[i].key), results_get (before, modes[i].key)));
      printf ("\n");
    }
}

/* Issue 20's figures: the same build plain and exporting (unattended),
 * each in a process of its own, and the ratio. */
static void
print_inspect (Results *plain,
               Results *exported)
{
  g_autoptr (GList) keys = g_list_sort (g_hash_table_get_keys (plain), (GCompareFunc) strcmp);

  printf ("\nInspection mode (issue 20): %s in two processes alike, plain and with NAV_DEBUG_EXPORT=1 "
          "(agents exported on D-Bus, nobody attached; statistics counters are always on)\n",
          SELF_NAME);
  printf ("  %-22s %14s %14s   %s\n", "", "plain", "export", "export / plain");
  for (GList *l = keys; l != NULL; l = l->next)
    {
      const gchar *key = l->data;

      if (!g_str_has_prefix (key, "delivered-") && !g_str_has_prefix (key, "cpu-"))
        continue;
      printf ("  %-22s %14.2f %14.2f   %8.3f%s\n", key, results_get (plain, key),
              results_get (exported, key), ratio (results_get (exported, key), results_get (plain, key)),
              g_str_has_prefix (key, "cpu-") ? "  (cpu: lower is better)" : "");
    }
}

static void
print_delivered (Results *self,
                 Results *peer,
                 Results *raw,
                 Results *raw_connected,
                 Results *unconnected,
                 Results *before)
{
  printf ("\nDelivered: A sends, B's attach_recv callback counts in its own thread; "
          "%d datagrams of %d bytes, window %d when paced, batches of %d\n",
          opt_count, opt_size, opt_window, opt_batch);
  printf ("  %-16s %22s %22s %22s   %s / %s   %s / raw%s\n", "", SELF_NAME, OTHER_NAME,
          "raw UDP", SELF_NAME, OTHER_NAME, SELF_NAME,
          before != NULL ? "   before (loss)    ours / before" : "");
  for (guint m = 0; m < G_N_ELEMENTS (delivered_modes); m++)
    {
      gchar key[64], loss_key[64];
      double us, them, ceiling;

      if (!listed (opt_modes, delivered_modes[m].name))
        continue;
      g_snprintf (key, sizeof key, "delivered-%s", delivered_modes[m].name);
      g_snprintf (loss_key, sizeof loss_key, "loss-%s", delivered_modes[m].name);
      us = results_get (self, key);
      them = results_get (peer, key);
      ceiling = results_get (raw, key);
      printf ("  %-16s %9.0f/s loss %5.1f%% %9.0f/s loss %5.1f%% %9.0f/s loss %5.1f%%   %10.2f   %8.2f",
              delivered_modes[m].name, us, 100 * results_get (self, loss_key), them,
              100 * results_get (peer, loss_key), ceiling, 100 * results_get (raw, loss_key),
              ratio (us, them), ratio (us, ceiling));
      if (before != NULL)
        printf ("   %9.0f/s (%4.1f%%)   %5.2f", results_get (before, key),
                100 * results_get (before, loss_key), ratio (us, results_get (before, key)));
      printf ("\n");
    }
  if (listed (opt_modes, "unpaced-single") || listed (opt_modes, "unpaced-batched"))
    printf ("  unpaced, offered by the sender (loss is what the receiver could not keep up with):\n");
  for (guint m = 0; m < G_N_ELEMENTS (delivered_modes); m++)
    {
      gchar key[64];

      if (!listed (opt_modes, delivered_modes[m].name))
        continue;
      if (delivered_modes[m].paced)
        continue;
      g_snprintf (key, sizeof key, "offered-%s", delivered_modes[m].name);
      printf ("  %-16s %9.0f/s            %9.0f/s            %9.0f/s", delivered_modes[m].name,
              results_get (self, key), results_get (peer, key), results_get (raw, key));
      if (before != NULL)
        printf ("   %9.0f/s", results_get (before, key));
      printf ("\n");
    }
  printf ("  targets: delivered >= 1.50 x %s in each mode, >= 0.70 x raw UDP batched, "
          "unpaced loss <= %s's\n", OTHER_NAME, OTHER_NAME);

  printf ("\nConnected UDP sockets (issue 15): %s (connected on the selected pair), %s with "
          "NAV_UDP_CONNECTED=0, raw UDP connected\n", SELF_NAME, SELF_NAME);
  printf ("  %-16s %22s %22s %22s   %s / %s   %s / raw conn.\n", "", SELF_NAME,
          unconnected != NULL ? "NAV_UDP_CONNECTED=0" : "(not run)", "raw UDP connected",
          SELF_NAME, "=0", SELF_NAME);
  for (guint m = 0; m < G_N_ELEMENTS (delivered_modes); m++)
    {
      gchar key[64], loss_key[64];
      double us, off, ceiling;

      if (!listed (opt_modes, delivered_modes[m].name))
        continue;
      g_snprintf (key, sizeof key, "delivered-%s", delivered_modes[m].name);
      g_snprintf (loss_key, sizeof loss_key, "loss-%s", delivered_modes[m].name);
      us = results_get (self, key);
      off = unconnected != NULL ? results_get (unconnected, key) : 0;
      ceiling = results_get (raw_connected, key);
      printf ("  %-16s %9.0f/s loss %5.1f%% %9.0f/s loss %5.1f%% %9.0f/s loss %5.1f%%   %10.2f   %8.2f\n",
              delivered_modes[m].name, us, 100 * results_get (self, loss_key), off,
              unconnected != NULL ? 100 * results_get (unconnected, loss_key) : 0, ceiling,
              100 * results_get (raw_connected, loss_key), ratio (us, off), ratio (us, ceiling));
    }
}

static void
print_cpu (Results *self,
           Results *peer,
           Results *raw,
           Results *before)
{
  printf ("\nCPU per datagram, sender and receiver in one thread (idle sender, %d per "
          "iteration), µs:\n", opt_batch);
  printf ("  %-16s %10s %10s %10s   %s / %s (by CPU)%s\n", "", SELF_NAME, OTHER_NAME, "raw UDP",
          OTHER_NAME, SELF_NAME, before != NULL ? "   before   before / ours" : "");
  for (gint batched = 0; batched < 2; batched++)
    {
      const gchar *key = batched ? "cpu-batched" : "cpu-single";

      printf ("  %-16s %10.2f %10.2f %10.2f   %6.2f", batched ? "send_messages" : "send",
              results_get (self, key), results_get (peer, key), results_get (raw, key),
              ratio (results_get (peer, key), results_get (self, key)));
      if (before != NULL)
        printf ("   %10.2f   %6.2f", results_get (before, key),
                ratio (results_get (before, key), results_get (self, key)));
      printf ("\n");
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GOptionContext) options = g_option_context_new ("— ICE setup and throughput");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) self_rounds = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  g_autoptr (GPtrArray) plain_rounds = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  g_autoptr (GPtrArray) export_rounds = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  g_autofree gchar *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  gboolean have_inspect = FALSE;
  g_autoptr (GPtrArray) peer_rounds = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  g_autoptr (GPtrArray) raw_rounds = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  g_autoptr (GPtrArray) rawc_rounds = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  g_autoptr (GPtrArray) unconnected_rounds = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  gboolean have_unconnected = FALSE;
  g_autoptr (GPtrArray) before_rounds = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  Results *self_setup, *peer_setup, *before_setup = NULL;
  GMainContext *context;
  gboolean have_peer, have_before;
  gint round;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (opt_runs < 1 || opt_count < 1 || opt_size < 4 || opt_size > 65000 ||
      opt_batch < 1 || opt_batch > 256 || opt_window < opt_batch || opt_rounds < 1)
    {
      g_printerr ("bad parameters\n");
      return 2;
    }
#ifdef ICE_BENCH_NETAVANUE
  have_inspect = !opt_no_inspect && self_exe != NULL;
  have_unconnected = !opt_no_unconnected && self_exe != NULL && part_wanted ("delivered");
#endif
#ifdef ICE_BENCH_PEER
  if (opt_peer == NULL)
    opt_peer = g_strdup (ICE_BENCH_PEER);
#endif

  context = g_main_context_new ();
  g_main_context_push_thread_default (context);

  if (opt_machine)
    {
      Results *r = results_new ();

      if (part_wanted ("setup"))
        {
          results_set (r, "setup-udp", measure_setup (context, FALSE));
          results_set (r, "setup-tcp", measure_setup (context, TRUE));
        }
      if (part_wanted ("delivered") && !measure_agents_delivered (context, r))
        return 1;
      if (part_wanted ("cpu") && !measure_agents_cpu (context, r))
        return 1;
#ifdef ICE_BENCH_NETAVANUE
      /* The inspection mode's run says that the export did run. */
      if (g_getenv ("NAV_DEBUG_EXPORT") != NULL)
        results_set (r, "export-active", nav_inspect_export_is_active () ? 1 : 0);
#endif
      print_machine (r);
      g_hash_table_unref (r);
      return 0;
    }

  printf ("ICE bench: %s vs %s vs raw UDP on loopback%s; setup median of %d runs, throughput "
          "median of %d rounds\n", SELF_NAME, OTHER_NAME,
          opt_baseline != NULL ? " vs this bench's --baseline build" : "", opt_runs, opt_rounds);
  print_load ("before");
  fflush (stdout);
  have_peer = !opt_no_peer && opt_peer != NULL;
  have_before = opt_baseline != NULL;
  self_setup = results_new ();
  peer_setup = results_new ();
  if (part_wanted ("setup"))
    {
      results_set (self_setup, "setup-udp", measure_setup (context, FALSE));
      results_set (self_setup, "setup-tcp", measure_setup (context, TRUE));
      if (results_get (self_setup, "setup-udp") < 0 || results_get (self_setup, "setup-tcp") < 0)
        return 1;
      if (have_peer)
        have_peer = run_build (opt_peer, NULL, "setup", peer_setup);
      if (have_before)
        {
          before_setup = results_new ();
          have_before = run_build (opt_baseline, opt_baseline_modules, "setup", before_setup);
        }
      print_setup (self_setup, peer_setup, have_before ? before_setup : NULL);
      fflush (stdout);
    }

  if (part_wanted ("delivered") || part_wanted ("cpu"))
    {
      g_autofree gchar *parts =
        g_strjoin (",", part_wanted ("delivered") ? "delivered" : "",
                   part_wanted ("cpu") ? "cpu" : "", NULL);
      Results *self_median, *peer_median, *raw_median, *before_median;
      Results *rawc_median, *unconnected_median;

      /* Interleaved, so that a busy moment of the machine hits them all. */
      for (round = 0; round < opt_rounds; round++)
        {
          Results *us = results_new (), *raw = results_new (), *rawc = results_new ();
          /* Every other round the other build goes first: a trend of
           * the machine's load favours neither. */
          gboolean peer_first = round % 2 == 1;

          g_ptr_array_add (self_rounds, us);
          g_ptr_array_add (raw_rounds, raw);
          g_ptr_array_add (rawc_rounds, rawc);
          if (have_peer && peer_first)
            {
              Results *them = results_new ();

              g_ptr_array_add (peer_rounds, them);
              have_peer = run_build (opt_peer, NULL, parts, them);
            }
          if (part_wanted ("delivered"))
            {
              if (!measure_agents_delivered (context, us))
                return 1;
              measure_raw_delivered (raw, FALSE);
              measure_raw_delivered (rawc, TRUE);
            }
          if (part_wanted ("cpu"))
            {
              if (!measure_agents_cpu (context, us))
                return 1;
              measure_raw_cpu (context, raw);
            }
          if (have_peer && !peer_first)
            {
              Results *them = results_new ();

              g_ptr_array_add (peer_rounds, them);
              have_peer = run_build (opt_peer, NULL, parts, them);
            }
          if (have_before)
            {
              Results *then = results_new ();

              g_ptr_array_add (before_rounds, then);
              have_before = run_build (opt_baseline, opt_baseline_modules, parts, then);
            }
#ifdef ICE_BENCH_NETAVANUE
          /* Issue 15: this build without the connected socket. */
          if (have_unconnected)
            {
              Results *off = results_new ();

              g_ptr_array_add (unconnected_rounds, off);
              run_build_env = "NAV_UDP_CONNECTED=0";
              have_unconnected = run_build (self_exe, NULL, "delivered", off);
              run_build_env = NULL;
            }
          /* Issue 20: this build again in two processes alike, one
           * plain, one exporting its agents (NAV_DEBUG_EXPORT=1) with
           * nobody attached; the statistics' counters are always on. */
          if (have_inspect)
            {
              Results *plain = results_new (), *exported = results_new ();

              g_ptr_array_add (plain_rounds, plain);
              g_ptr_array_add (export_rounds, exported);
              have_inspect = run_build (self_exe, NULL, parts, plain);
              run_build_env = "NAV_DEBUG_EXPORT=1";
              have_inspect = have_inspect && run_build (self_exe, NULL, parts, exported);
              run_build_env = NULL;
              if (have_inspect && results_get (exported, "export-active") != 1)
                {
                  g_printerr ("the inspection run did not export\n");
                  return 1;
                }
            }
#endif
        }
      self_median = median_of (self_rounds);
      peer_median = have_peer ? median_of (peer_rounds) : results_new ();
      raw_median = median_of (raw_rounds);
      rawc_median = median_of (rawc_rounds);
      unconnected_median = have_unconnected ? median_of (unconnected_rounds) : NULL;
      before_median = have_before ? median_of (before_rounds) : NULL;
      if (part_wanted ("delivered"))
        print_delivered (self_median, peer_median, raw_median, rawc_median, unconnected_median,
                         before_median);
      if (part_wanted ("cpu"))
        print_cpu (self_median, peer_median, raw_median, before_median);
      if (have_inspect)
        {
          g_autoptr (GHashTable) plain = median_of (plain_rounds);
          g_autoptr (GHashTable) exported = median_of (export_rounds);

          print_inspect (plain, exported);
        }
      g_hash_table_unref (self_median);
      g_hash_table_unref (peer_median);
      g_hash_table_unref (raw_median);
      g_hash_table_unref (rawc_median);
      g_clear_pointer (&unconnected_median, g_hash_table_unref);
      g_clear_pointer (&before_median, g_hash_table_unref);
    }

  printf ("\n");
  print_load ("after");
  g_clear_pointer (&self_setup, g_hash_table_unref);
  g_clear_pointer (&peer_setup, g_hash_table_unref);
  g_clear_pointer (&before_setup, g_hash_table_unref);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  g_free (opt_peer);
  g_free (opt_parts);
  g_free (opt_modes);
  g_free (opt_baseline);
  g_free (opt_baseline_modules);
  return (have_peer || opt_no_peer) && (have_before || opt_baseline == NULL) ? 0 : 1;
}
