/* signaling-bench.c: many WebSocket clients in rooms of two exchanging
 * offer/answer/candidates through one nav-server --signaling
 *
 * Two load generators:
 *
 * --generator=node (issue 14): the clients are Node's `ws` package
 *   driven by bench/signaling-load.cjs, code that is not the project's;
 *   `ws` is installed with npm on first use into a cache directory
 *   ($XDG_CACHE_HOME/netavanue/signaling-bench, outside the tree).  The
 *   bench runs it against --baseline (the server before a change, e.g.
 *   /work/wt/base/build/tools/nav-server) and against ours in the same
 *   run, and prints for each the server's CPU time per forwarded message
 *   (utime + stime from /proc/PID/stat over the measured window, divided
 *   by the messages the clients received), p50/p99/max latency, and the
 *   ratio.  Targets: <= 10 us per message, p99 < 20 ms at 10,000 clients
 *   and 20,000 forwards/s.
 *
 * --generator=c (default): the bare epoll client below, lighter than
 *   any library client, for figures that are the server's alone.
 *
 * Starts nav-server on loopback, opens --clients WebSockets,
 * pairs them in rooms of two, then for --seconds each pair runs one
 * signaling session per --interval: offer, answer, two candidates each
 * way, end-of-candidates each way (8 messages).  Each message carries its
 * send time; the receiver records the forward latency (client → server →
 * client, both clients in this process, one monotonic clock).
 *
 * Prints: connections held, messages forwarded per second, p50/p99/max
 * latency, and the server's memory per connection (RSS after everyone
 * joined minus RSS before the first connection, divided by the clients).
 * There is no anchor server for signaling: the figures are printed beside
 * the targets of issue 7 (10,000 clients, p99 < 20 ms, < 50 KiB each).
 *
 *   meson setup build -Dbenchmarks=true && meson compile -C build signaling-bench nav-server
 *   build/bench/signaling-bench [--clients=10000] [--seconds=10] [--interval=2000]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fcntl.h>
#include <poll.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <gio/gio.h>

static gint opt_clients = 10000;
static gint opt_seconds = 10;
static gint opt_interval_ms = 2000;
static gint opt_window = 256;
static gint opt_threads = 0;
static gchar *opt_nav_server;
static gchar *opt_generator;
static gchar *opt_baseline;
static gchar *opt_node;
static gint opt_procs = 1;

static const GOptionEntry entries[] = {
  { "clients", 0, 0, G_OPTION_ARG_INT, &opt_clients, "WebSocket clients (even)", "N" },
  { "seconds", 0, 0, G_OPTION_ARG_INT, &opt_seconds, "Seconds of exchange", "N" },
  { "interval", 0, 0, G_OPTION_ARG_INT, &opt_interval_ms, "Milliseconds between two sessions of a pair", "MS" },
  { "window", 0, 0, G_OPTION_ARG_INT, &opt_window, "WebSocket handshakes in flight", "N" },
  { "threads", 0, 0, G_OPTION_ARG_INT, &opt_threads, "Server worker threads (--signaling-threads; 0: one per CPU)", "N" },
  { "nav-server", 0, 0, G_OPTION_ARG_FILENAME, &opt_nav_server, "nav-server binary", "PATH" },
  { "generator", 0, 0, G_OPTION_ARG_STRING, &opt_generator, "Load generator: c (this program) or node (Node's ws)", "c|node" },
  { "baseline", 0, 0, G_OPTION_ARG_FILENAME, &opt_baseline, "With --generator=node: the nav-server to compare with, run first", "PATH" },
  { "node", 0, 0, G_OPTION_ARG_FILENAME, &opt_node, "With --generator=node: the node binary (default: node)", "PATH" },
  { "generator-procs", 0, 0, G_OPTION_ARG_INT, &opt_procs, "With --generator=node: generator processes", "N" },
  G_OPTION_ENTRY_NULL
};

/* The load generator is a bare epoll client, not libsoup: 10,000 GLib
 * sources in this process would cost more than the server under test
 * (GLib's main loop is poll(2)-based, O(sources) per iteration) and the
 * figures would measure the bench.  It speaks just enough RFC 6455 for
 * this: one HTTP upgrade, masked text frames out (§5.3), unmasked frames
 * in.  The server itself frames through libsoup. */
typedef struct _Client Client;

struct _Client
{
  guint index;
  gint fd;
  gboolean upgraded;
  gboolean closed;
  GByteArray *in;
  gchar id[16];
  Client *partner;
  gint64 next_session;                  /* offerers only */
};

static Client *clients;
static gint epfd;
static guint16 port;
static guint n_connected, n_failed, n_joined, n_closed;
static GArray *latencies;               /* guint32 µs */
static guint64 n_received;
static gboolean measuring;

static guint16
free_port (void)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t l = sizeof a;
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  bind (fd, (struct sockaddr *) &a, sizeof a);
  getsockname (fd, (struct sockaddr *) &a, &l);
  close (fd);
  return ntohs (a.sin_port);
}

static glong
rss_kib (GPid pid)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree gchar *status = NULL;
  const gchar *line;

  if (!g_file_get_contents (path, &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  return line != NULL ? strtol (line + 6, NULL, 10) : -1;
}

/* utime + stime of @pid, in clock ticks */
static guint64
cpu_ticks (GPid pid)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree gchar *stat = NULL;
  g_auto (GStrv) fields = NULL;
  const gchar *p;

  if (!g_file_get_contents (path, &stat, NULL, NULL) || (p = strrchr (stat, ')')) == NULL)
    return 0;
  fields = g_strsplit (p + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return 0;
  return g_ascii_strtoull (fields[11], NULL, 10) + g_ascii_strtoull (fields[12], NULL, 10);
}

static void
write_all (Client       *c,
           const guint8 *data,
           gsize         len)
{
  while (len > 0 && !c->closed)
    {
      gssize n = write (c->fd, data, len);

      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        {
          struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };

          poll (&pfd, 1, 100);
          continue;
        }
      if (n <= 0)
        {
          c->closed = TRUE;
          n_closed++;
          return;
        }
      data += n;
      len -= n;
    }
}

static void
send_text (Client      *c,
           const gchar *text)
{
  static const guint8 mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
  gsize len = strlen (text), i, h = 0;
  g_autofree guint8 *frame = g_malloc (len + 14);

  frame[h++] = 0x81;                    /* FIN, text */
  if (len < 126)
    frame[h++] = 0x80 | len;
  else
    {
      frame[h++] = 0x80 | 126;
      frame[h++] = len >> 8;
      frame[h++] = len & 0xff;
    }
  memcpy (frame + h, mask, 4);
  h += 4;
  for (i = 0; i < len; i++)
    frame[h + i] = text[i] ^ mask[i & 3];
  write_all (c, frame, h + len);
}

static void
send_signal (Client      *c,
             const gchar *type,
             const gchar *payload_member,
             const gchar *payload)
{
  gchar buf[2048];

  if (payload_member != NULL)
    g_snprintf (buf, sizeof buf, "{\"v\":1,\"type\":\"%s\",\"to\":\"%s\",\"%s\":\"%s\",\"ts\":%" G_GINT64_FORMAT "}",
                type, c->partner->id, payload_member, payload, g_get_monotonic_time ());
  else
    g_snprintf (buf, sizeof buf, "{\"v\":1,\"type\":\"%s\",\"to\":\"%s\",\"ts\":%" G_GINT64_FORMAT "}",
                type, c->partner->id, g_get_monotonic_time ());
  send_text (c, buf);
}

#define OFFER_SDP "v=0\\r\\no=- 4611731400430051336 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\n" \
  "a=group:BUNDLE 0\\r\\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\\r\\nc=IN IP4 0.0.0.0\\r\\n" \
  "a=ice-ufrag:Yx3k\\r\\na=ice-pwd:r6Zq1ryAhQWZ8ISnTyg0Kydf\\r\\na=ice-options:trickle\\r\\n" \
  "a=fingerprint:sha-256 7A:3C:A0:8F:51:E5:0C:5F:1D:4A:8E:60:21:41:A6:01:2F:56:9B:10:3E:4B:55:C4:5A:37:CD:8E:43:0A:BC:E9\\r\\n" \
  "a=setup:actpass\\r\\na=mid:0\\r\\na=sctp-port:5000\\r\\n"
#define CANDIDATE "candidate:842163049 1 udp 1677729535 192.0.2.10 46154 typ srflx raddr 10.0.0.2 rport 46154"

static void
on_text (Client      *c,
         const gchar *text)
{
  const gchar *ts = strstr (text, "\"ts\":");

  if (ts != NULL && measuring)
    {
      gint64 sent = g_ascii_strtoll (ts + 5, NULL, 10);
      guint32 us = (guint32) MIN (g_get_monotonic_time () - sent, G_MAXUINT32);

      g_array_append_val (latencies, us);
      n_received++;
    }

  if (strstr (text, "\"type\":\"welcome\"") != NULL)
    {
      const gchar *p = strstr (text, "\"peer\":\"");

      if (p != NULL)
        g_strlcpy (c->id, p + 8, MIN (sizeof c->id, 13));
      n_connected++;
    }
  else if (strstr (text, "\"type\":\"joined\"") != NULL)
    n_joined++;
  else if (strstr (text, "\"type\":\"offer\"") != NULL)
    {
      /* The answerer answers and trickles its candidates. */
      send_signal (c, "answer", "sdp", OFFER_SDP);
      send_signal (c, "candidate", "candidate", CANDIDATE);
      send_signal (c, "candidate", "candidate", CANDIDATE);
      send_signal (c, "end-of-candidates", NULL, NULL);
    }
  else if (strstr (text, "\"type\":\"error\"") != NULL && n_failed++ < 5)
    g_printerr ("client %u: %s\n", c->index, text);
}

static void
on_readable (Client *c)
{
  guint8 buf[65536];

  for (;;)
    {
      gssize n = read (c->fd, buf, sizeof buf);

      if (n < 0 && errno == EAGAIN)
        break;
      if (n <= 0)
        {
          if (!c->closed)
            {
              c->closed = TRUE;
              n_closed++;
            }
          epoll_ctl (epfd, EPOLL_CTL_DEL, c->fd, NULL);
          return;
        }
      g_byte_array_append (c->in, buf, n);
    }

  if (!c->upgraded)
    {
      const gchar *end = g_strstr_len ((const gchar *) c->in->data, c->in->len, "\r\n\r\n");

      if (end == NULL)
        return;
      if (c->in->len < 12 || memcmp (c->in->data + 9, "101", 3) != 0)
        {
          g_printerr ("client %u: upgrade refused\n", c->index);
          c->closed = TRUE;
          n_closed++;
          return;
        }
      c->upgraded = TRUE;
      g_byte_array_remove_range (c->in, 0, end + 4 - (const gchar *) c->in->data);
    }

  /* Server frames: unmasked (RFC 6455 §5.1). */
  for (;;)
    {
      guint8 *p = c->in->data;
      gsize avail = c->in->len, h = 2;
      guint64 len;

      if (avail < 2)
        break;
      len = p[1] & 0x7f;
      if (len == 126)
        {
          if (avail < 4)
            break;
          len = (p[2] << 8) | p[3];
          h = 4;
        }
      else if (len == 127)
        {
          if (avail < 10)
            break;
          len = GUINT64_FROM_BE (*(guint64 *) (p + 2));
          h = 10;
        }
      if (avail < h + len)
        break;
      if ((p[0] & 0x0f) == 0x1)
        {
          g_autofree gchar *text = g_strndup ((const gchar *) p + h, len);

          on_text (c, text);
        }
      else if ((p[0] & 0x0f) == 0x8 && !c->closed)
        {
          c->closed = TRUE;
          n_closed++;
        }
      g_byte_array_remove_range (c->in, 0, h + len);
    }
}

static void
client_connect (Client *c)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons (port),
                           .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  /* Clients come from many loopback addresses, as from many hosts: the
   * server's limits per source address see 50 clients each. */
  struct sockaddr_in local = { .sin_family = AF_INET,
                               .sin_addr.s_addr = htonl (0x7f010000 + 1 + c->index % 200) };
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
  gchar req[256];
  int one = 1;

  c->fd = socket (AF_INET, SOCK_STREAM, 0);
  if (c->fd < 0 || bind (c->fd, (struct sockaddr *) &local, sizeof local) < 0 ||
      connect (c->fd, (struct sockaddr *) &a, sizeof a) < 0)
    {
      if (n_failed++ < 5)
        g_printerr ("client %u: %s\n", c->index, g_strerror (errno));
      c->closed = TRUE;
      return;
    }
  g_snprintf (req, sizeof req,
              "GET / HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", port);
  /* Like browsers' WebSockets: no Nagle, or a burst's second frame
   * waits for the server's delayed ACK (40 ms) and the bench measures
   * that. */
  setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  write_all (c, (const guint8 *) req, strlen (req));
  fcntl (c->fd, F_SETFL, fcntl (c->fd, F_GETFL) | O_NONBLOCK);
  c->in = g_byte_array_new ();
  epoll_ctl (epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

static void
pump (gint timeout_ms)
{
  struct epoll_event events[256];
  gint n = epoll_wait (epfd, events, G_N_ELEMENTS (events), timeout_ms), i;

  for (i = 0; i < n; i++)
    on_readable (events[i].data.ptr);
}

static gboolean
pump_until (guint   *counter,
            guint    target,
            guint    limit_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) limit_s * G_USEC_PER_SEC;

  while (*counter < target && g_get_monotonic_time () < deadline)
    pump (10);
  return *counter >= target;
}

static gint
cmp_u32 (gconstpointer a,
         gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return x < y ? -1 : x > y;
}

/* ----------------------------------------- the independent generator */

typedef struct
{
  gboolean ok;
  guint connected;
  guint open;
  guint64 received;
  gdouble seconds;
  gdouble p50_ms, p99_ms, max_ms;
  gdouble server_cpu_s;
  gdouble generator_cpu;                /* cores */
  glong rss_kib;
} NodeResult;

/* `ws` from npm, installed once into the user's cache directory (never
 * into the source tree). */
static gchar *
node_modules_dir (void)
{
  g_autofree gchar *cache = g_build_filename (g_get_user_cache_dir (), "netavanue", "signaling-bench", NULL);
  g_autofree gchar *stamp = g_build_filename (cache, "node_modules", "ws", "package.json", NULL);
  g_autoptr (GError) error = NULL;
  gint status = 0;

  if (!g_file_test (stamp, G_FILE_TEST_EXISTS))
    {
      const gchar *argv[] = { "npm", "install", "--prefix", cache, "--no-audit", "--no-fund",
                              "--no-save", "--loglevel=error", "ws@8", NULL };

      g_print ("installing the ws package into %s (npm)\n", cache);
      g_mkdir_with_parents (cache, 0700);
      if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                         &status, &error) ||
          !g_spawn_check_wait_status (status, &error) || !g_file_test (stamp, G_FILE_TEST_EXISTS))
        {
          g_printerr ("cannot install ws with npm: %s\n", error != NULL ? error->message : "no package.json");
          return NULL;
        }
    }
  return g_build_filename (cache, "node_modules", NULL);
}

static gdouble
json_number (const gchar *line,
             const gchar *key)
{
  g_autofree gchar *needle = g_strdup_printf ("\"%s\":", key);
  const gchar *p = strstr (line, needle);

  return p != NULL ? g_ascii_strtod (p + strlen (needle), NULL) : 0;
}

/* The next line of @in that is the JSON event @event. */
static gchar *
read_event (GDataInputStream *in,
            const gchar      *event)
{
  g_autofree gchar *needle = g_strdup_printf ("\"event\":\"%s\"", event);

  for (;;)
    {
      gchar *line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, NULL);

      if (line == NULL || strstr (line, needle) != NULL)
        return line;
      g_free (line);
    }
}

static GSubprocess *
start_server (const gchar  *path,
              GPid         *pid)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *port_arg = NULL;
  g_autofree gchar *threads_arg = NULL;
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  /* Each server with the modules of its own build tree (TREE/tools/nav-server). */
  g_autofree gchar *tools = g_path_get_dirname (path);
  g_autofree gchar *tree = g_path_get_dirname (tools);
  g_autofree gchar *modules = g_build_filename (tree, "modules", NULL);
  g_autofree gchar *signaling = g_build_filename (tree, "modules", "signaling", NULL);
  GSubprocess *server;
  gint64 deadline;

  g_subprocess_launcher_setenv (launcher, "NAV_MODULE_DIR", modules, TRUE);
  g_subprocess_launcher_setenv (launcher, "NAV_MODULE_PATH", signaling, TRUE);
  port = free_port ();
  port_arg = g_strdup_printf ("--signaling-port=%u", port);
  threads_arg = g_strdup_printf ("--signaling-threads=%d", opt_threads);
  server = g_subprocess_launcher_spawn (launcher, &error,
                                        path, "--signaling", "-L", "127.0.0.1", port_arg,
                                        "--signaling-max-connections=0", "--signaling-idle-timeout=3600",
                                        "--signaling-max-room-size=2", threads_arg, NULL);
  if (server == NULL)
    {
      g_printerr ("cannot start %s: %s\n", path, error->message);
      return NULL;
    }
  *pid = atoi (g_subprocess_get_identifier (server));
  /* Listening once a connection goes through. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons (port),
                               .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
      gint fd = socket (AF_INET, SOCK_STREAM, 0);
      gboolean up = connect (fd, (struct sockaddr *) &a, sizeof a) == 0;

      close (fd);
      if (up)
        break;
      g_usleep (20 * 1000);
    }
  g_usleep (200 * 1000);
  return server;
}

static gboolean
run_node (const gchar *server_path,
          const gchar *script,
          const gchar *modules,
          NodeResult  *r)
{
  g_autoptr (GSubprocess) server = NULL;
  g_autoptr (GPtrArray) procs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) ins = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree gchar *url = NULL;
  guint64 cpu0, cpu1 = 0;
  GPid pid = 0;
  gint k, per = MAX ((opt_clients / MAX (opt_procs, 1)) & ~1, 2);

  memset (r, 0, sizeof *r);
  server = start_server (server_path, &pid);
  if (server == NULL)
    return FALSE;
  url = g_strdup_printf ("--url=ws://127.0.0.1:%u/", port);
  for (k = 0; k < MAX (opt_procs, 1); k++)
    {
      g_autoptr (GSubprocessLauncher) launcher =
        g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDIN_PIPE);
      g_autoptr (GError) error = NULL;
      g_autofree gchar *clients_arg = g_strdup_printf ("--clients=%d", per);
      g_autofree gchar *seconds_arg = g_strdup_printf ("--seconds=%d", opt_seconds);
      g_autofree gchar *interval_arg = g_strdup_printf ("--interval=%d", opt_interval_ms);
      g_autofree gchar *window_arg = g_strdup_printf ("--window=%d", MAX (opt_window / MAX (opt_procs, 1), 1));
      g_autofree gchar *first_arg = g_strdup_printf ("--first=%d", k * per);
      GSubprocess *p;

      g_subprocess_launcher_setenv (launcher, "NODE_PATH", modules, TRUE);
      p = g_subprocess_launcher_spawn (launcher, &error, opt_node != NULL ? opt_node : "node", script, url,
                                       clients_arg, seconds_arg, interval_arg, window_arg, first_arg, NULL);
      if (p == NULL)
        {
          g_printerr ("cannot start node: %s\n", error->message);
          return FALSE;
        }
      g_ptr_array_add (procs, p);
      g_ptr_array_add (ins, g_data_input_stream_new (g_subprocess_get_stdout_pipe (p)));
    }
  for (k = 0; k < (gint) procs->len; k++)
    {
      g_autofree gchar *line = read_event (ins->pdata[k], "ready");

      if (line == NULL)
        {
          g_printerr ("the generator stopped before it was ready\n");
          return FALSE;
        }
      r->connected += (guint) json_number (line, "connected");
    }
  r->rss_kib = rss_kib (pid);
  cpu0 = cpu_ticks (pid);
  for (k = 0; k < (gint) procs->len; k++)
    g_output_stream_write_all (g_subprocess_get_stdin_pipe (procs->pdata[k]), "go\n", 3, NULL, NULL, NULL);
  for (k = 0; k < (gint) procs->len; k++)
    {
      g_autofree gchar *line = read_event (ins->pdata[k], "end");

      if (line == NULL)
        {
          g_printerr ("the generator stopped before the end\n");
          return FALSE;
        }
      if (k == 0)
        cpu1 = cpu_ticks (pid);
      r->received += (guint64) json_number (line, "received");
      r->open += (guint) json_number (line, "open");
      r->seconds = MAX (r->seconds, json_number (line, "seconds"));
      r->p50_ms = MAX (r->p50_ms, json_number (line, "p50_us") / 1000);
      r->p99_ms = MAX (r->p99_ms, json_number (line, "p99_us") / 1000);
      r->max_ms = MAX (r->max_ms, json_number (line, "max_us") / 1000);
      r->generator_cpu += json_number (line, "generator_cpu");
    }
  r->server_cpu_s = (gdouble) (cpu1 - cpu0) / sysconf (_SC_CLK_TCK);
  for (k = 0; k < (gint) procs->len; k++)
    g_subprocess_wait (procs->pdata[k], NULL, NULL);
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  r->ok = r->received > 0;
  return r->ok;
}

static void
print_row (const gchar *what,
           const gchar *unit,
           gdouble      before,
           gdouble      ours,
           gboolean     have_before,
           const gchar *target,
           gboolean     met)
{
  gchar b[32] = "-", ratio[32] = "";

  if (have_before)
    {
      g_snprintf (b, sizeof b, "%.2f %s", before, unit);
      if (ours > 0)
        g_snprintf (ratio, sizeof ratio, "%.2fx", before / ours);
    }
  g_print ("  %-36s %16s %13.2f %-4s %8s  %-10s %s\n", what, b, ours, unit, ratio,
           target != NULL ? target : "", target != NULL ? (met ? "ok" : "MISSED") : "");
}

static gint
node_main (const gchar *argv0)
{
  g_autofree gchar *dir = g_path_get_dirname (argv0);
  g_autofree gchar *script = NULL;
  g_autofree gchar *modules = node_modules_dir ();
  g_autofree gchar *ours_path = NULL;
  NodeResult before = { 0 }, ours = { 0 };
  gdouble us_before = 0, us_ours;

  if (modules == NULL)
    return 1;
  script = g_build_filename (SOURCE_BENCH_DIR, "signaling-load.cjs", NULL);
  ours_path = opt_nav_server != NULL ? g_strdup (opt_nav_server)
                                     : g_build_filename (dir, "..", "tools", "nav-server", NULL);
  if (opt_baseline != NULL)
    {
      g_print ("baseline: %s\n", opt_baseline);
      if (!run_node (opt_baseline, script, modules, &before))
        g_printerr ("the baseline run failed\n");
      us_before = before.received > 0 ? before.server_cpu_s * 1e6 / before.received : 0;
    }
  g_print ("ours: %s\n", ours_path);
  if (!run_node (ours_path, script, modules, &ours))
    {
      g_printerr ("our run failed\n");
      return 1;
    }
  us_ours = ours.received > 0 ? ours.server_cpu_s * 1e6 / ours.received : 0;

  g_print ("\nsignaling-bench --generator=node: %d clients (Node's ws package, %d process%s), rooms of two,\n"
           "one session (offer, answer, 2+2 candidates, 2 end-of-candidates) per pair every %d ms, %d s,\n"
           "server threads %d (0: one per CPU); before = %s\n\n",
           opt_clients, opt_procs, opt_procs > 1 ? "es" : "", opt_interval_ms, opt_seconds, opt_threads,
           opt_baseline != NULL ? opt_baseline : "(none given)");
  g_print ("  %-36s %16s %18s %8s  %-10s\n", "", "before", "ours", "ratio", "target");
  print_row ("server CPU per forwarded message", "us", us_before, us_ours, before.ok, "<= 10", us_ours <= 10);
  print_row ("forward latency p50", "ms", before.p50_ms, ours.p50_ms, before.ok, NULL, FALSE);
  print_row ("forward latency p99", "ms", before.p99_ms, ours.p99_ms, before.ok, "< 20", ours.p99_ms < 20);
  print_row ("forward latency max", "ms", before.max_ms, ours.max_ms, before.ok, NULL, FALSE);
  print_row ("messages forwarded per second", "/s", before.received / MAX (before.seconds, 1e-9),
             ours.received / MAX (ours.seconds, 1e-9), before.ok, NULL, FALSE);
  print_row ("server CPU (cores)", "", before.server_cpu_s / MAX (before.seconds, 1e-9),
             ours.server_cpu_s / MAX (ours.seconds, 1e-9), before.ok, NULL, FALSE);
  print_row ("generator CPU (cores)", "", before.generator_cpu, ours.generator_cpu, before.ok, NULL, FALSE);
  print_row ("connections held at the end", "", before.open, ours.open, before.ok, NULL, FALSE);
  print_row ("server RSS after joining", "MiB", before.rss_kib / 1024.0, ours.rss_kib / 1024.0, before.ok, NULL, FALSE);
  g_print ("\n  (latencies of several generator processes: the worst process's figure)\n");
  return 0;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new ("— signaling server benchmark");
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) server = NULL;
  struct rusage ru0, ru1;
  gdouble bench_cpu;
  g_autofree gchar *nav_server_path = NULL;
  g_autofree gchar *dir = NULL;
  struct rlimit rl;
  GPid server_pid;
  glong rss_before, rss_after;
  guint64 cpu0, cpu1;
  gint64 t0, t1, end;
  guint i, pairs, cursor = 0;
  guint32 p50 = 0, p99 = 0, pmax = 0;
  gdouble seconds, per_conn_kib;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  opt_clients = MAX (opt_clients & ~1, 2);
  signal (SIGPIPE, SIG_IGN);

  /* Each client is a socket here and one in the server (which inherits
   * the limit). */
  getrlimit (RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit (RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < (rlim_t) opt_clients + 256)
    g_printerr ("warning: RLIMIT_NOFILE is %lu; %d clients need more (ulimit -Hn)\n",
                (gulong) rl.rlim_cur, opt_clients);
  if (g_strcmp0 (opt_generator, "node") == 0)
    return node_main (argv[0]);

  dir = g_path_get_dirname (argv[0]);
  nav_server_path = opt_nav_server != NULL ? g_strdup (opt_nav_server)
                                           : g_build_filename (dir, "..", "tools", "nav-server", NULL);
  server = start_server (nav_server_path, &server_pid);
  if (server == NULL)
    return 1;
  rss_before = rss_kib (server_pid);

  epfd = epoll_create1 (0);
  clients = g_new0 (Client, opt_clients);
  latencies = g_array_sized_new (FALSE, FALSE, sizeof (guint32), 1 << 20);

  t0 = g_get_monotonic_time ();
  for (i = 0; i < (guint) opt_clients; i++)
    {
      clients[i].index = i;
      client_connect (&clients[i]);
      /* Keep the server's accept queue short. */
      if (i % (guint) opt_window == 0)
        pump_until (&n_connected, i + 1 - n_failed, 30);
    }
  pump_until (&n_connected, opt_clients - n_failed, 120);
  t1 = g_get_monotonic_time ();
  g_print ("connected %u clients in %.1f s\n", n_connected, (t1 - t0) / 1e6);

  pairs = opt_clients / 2;
  for (i = 0; i < pairs; i++)
    {
      Client *a = &clients[2 * i], *b = &clients[2 * i + 1];
      gchar join[128];

      a->partner = b;
      b->partner = a;
      g_snprintf (join, sizeof join, "{\"v\":1,\"type\":\"join\",\"room\":\"bench-%u\"}", i);
      send_text (a, join);
      send_text (b, join);
      if (i % (guint) opt_window == 0)
        pump (0);
    }
  pump_until (&n_joined, n_connected, 120);
  /* Let the peer-joined notices drain before measuring memory. */
  end = g_get_monotonic_time () + G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end)
    pump (10);
  rss_after = rss_kib (server_pid);
  g_print ("joined %u clients in %u rooms of two\n", n_joined, pairs);

  /* Sessions, spread evenly over the interval. */
  t0 = g_get_monotonic_time ();
  for (i = 0; i < pairs; i++)
    clients[2 * i].next_session = t0 + (gint64) i * opt_interval_ms * 1000 / pairs;
  end = t0 + (gint64) opt_seconds * G_USEC_PER_SEC;
  cpu0 = cpu_ticks (server_pid);
  getrusage (RUSAGE_SELF, &ru0);
  measuring = TRUE;
  while (g_get_monotonic_time () < end)
    {
      gint64 now = g_get_monotonic_time ();
      Client *a = &clients[2 * cursor];

      while (a->next_session <= now)
        {
          if (!a->closed && a->id[0] != '\0' && a->partner->id[0] != '\0')
            {
              /* The offerer offers and trickles its candidates. */
              send_signal (a, "offer", "sdp", OFFER_SDP);
              send_signal (a, "candidate", "candidate", CANDIDATE);
              send_signal (a, "candidate", "candidate", CANDIDATE);
              send_signal (a, "end-of-candidates", NULL, NULL);
            }
          a->next_session += (gint64) opt_interval_ms * 1000;
          cursor = (cursor + 1) % pairs;
          a = &clients[2 * cursor];
        }
      pump (1);
    }
  t1 = g_get_monotonic_time ();
  cpu1 = cpu_ticks (server_pid);
  getrusage (RUSAGE_SELF, &ru1);
  measuring = FALSE;

  seconds = (t1 - t0) / 1e6;
  bench_cpu = ((ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
               ((ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec)) / 1e6);
  if (latencies->len > 0)
    {
      g_array_sort (latencies, cmp_u32);
      p50 = g_array_index (latencies, guint32, latencies->len / 2);
      p99 = g_array_index (latencies, guint32, (gsize) (latencies->len * 0.99));
      pmax = g_array_index (latencies, guint32, latencies->len - 1);
    }
  per_conn_kib = n_connected > 0 ? (gdouble) (rss_after - rss_before) / n_connected : 0;

  g_print ("\nsignaling-bench: nav-server --signaling, %d clients in rooms of two, "
           "one session (8 messages) per pair every %d ms, %d s, server threads %d (0: one per CPU)\n",
           opt_clients, opt_interval_ms, opt_seconds, opt_threads);
  g_print ("  (no anchor server for signaling: figures against the targets of issue 7)\n\n");
  g_print ("  %-34s %12s %12s\n", "", "measured", "target");
  g_print ("  %-34s %12u %12s  %s\n", "concurrent connections held", n_connected - n_closed, ">= 10000",
           n_connected - n_closed >= 10000 ? "ok" : "MISSED");
  g_print ("  %-34s %12.0f %12s\n", "messages forwarded per second", n_received / seconds, "-");
  g_print ("  %-34s %9.2f ms %12s\n", "forward latency p50", p50 / 1000.0, "-");
  g_print ("  %-34s %9.2f ms %9s ms  %s\n", "forward latency p99", p99 / 1000.0, "< 20",
           p99 < 20000 ? "ok" : "MISSED");
  g_print ("  %-34s %9.2f ms %12s\n", "forward latency max", pmax / 1000.0, "-");
  g_print ("  %-34s %8.1f KiB %8s KiB  %s\n", "server memory per connection", per_conn_kib, "< 50",
           per_conn_kib < 50 ? "ok" : "MISSED");
  g_print ("  %-34s %8ld KiB -> %ld KiB\n", "server RSS before -> after join", rss_before, rss_after);
  g_print ("  %-34s %11.0f%%\n", "server CPU during the exchange",
           100.0 * (cpu1 - cpu0) / sysconf (_SC_CLK_TCK) / seconds);
  g_print ("  %-34s %11.0f%%\n", "bench client CPU (one thread)", 100.0 * bench_cpu / seconds);
  g_print ("  %-34s %12" G_GUINT64_FORMAT "\n", "messages measured", n_received);

  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  return 0;
}
