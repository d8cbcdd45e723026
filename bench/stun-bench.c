/* stun-bench.c: Binding requests answered per second, nav-server vs coturn
 *
 * Starts nav-server and coturn's turnserver on loopback with the same
 * number of threads, and drives each in turn with the same load: UDP
 * sockets sending header-only Binding requests, a fixed number in flight
 * per socket, answers counted with recvmmsg(2).  The requests one socket
 * sends at once leave as one UDP_SEGMENT (GSO) send of 20-byte segments,
 * the kernel cutting it into datagrams (udp(7)), so that the generator
 * leaves more of the shared CPUs to the server (--no-gso: sendmmsg).  With
 * one thread, nav-server gets --stun-threads=1 and turnserver `-m 0` (its
 * single-threaded mode); with T > 1, --stun-threads=T and `-m T`.  The
 * two servers alternate over --rounds rounds; printed, the median of the
 * rounds: requests answered a second, the server's CPU time per 1000
 * answers (/proc/PID/stat, every thread), the server's and this
 * generator's CPU use, and the ratios; and the load average before and
 * after (the machine may be shared).
 *
 *   meson setup build -Dbenchmarks=true && meson compile -C build stun-bench
 *   build/bench/stun-bench [--seconds=5] [--sockets=8] [--window=64]
 *                          [--threads=1,2] [--rounds=3] [--no-gso]
 *                          [--before=OTHER-BUILD/tools/nav-server]
 *
 * --before runs an earlier nav-server in the same rotation (each of the
 * three servers first in one round out of three), printed as row "b"
 * above the current one, with the ratios between the two.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/udp.h>

#include <gio/gio.h>

#define BATCH 64

static gint opt_seconds = 5;
static gint opt_sockets = 8;
static gint opt_window = 64;
static gchar *opt_nav_server;
static gchar *opt_before;
static gchar *opt_turnserver = (gchar *) "/usr/bin/turnserver";
static gchar *opt_threads;
static gint opt_rounds = 3;
static gboolean opt_no_gso;
static gboolean use_gso = TRUE;

static const GOptionEntry entries[] = {
  { "seconds", 0, 0, G_OPTION_ARG_INT, &opt_seconds, "Seconds of load per server", "N" },
  { "sockets", 0, 0, G_OPTION_ARG_INT, &opt_sockets, "Client sockets", "N" },
  { "window", 0, 0, G_OPTION_ARG_INT, &opt_window, "Requests in flight per socket", "N" },
  { "nav-server", 0, 0, G_OPTION_ARG_FILENAME, &opt_nav_server, "nav-server binary", "PATH" },
  { "before", 0, 0, G_OPTION_ARG_FILENAME, &opt_before,
    "An earlier nav-server, run in the same rotation (its modules beside it, as a build tree has them)", "PATH" },
  { "turnserver", 0, 0, G_OPTION_ARG_FILENAME, &opt_turnserver, "turnserver binary", "PATH" },
  { "threads", 0, 0, G_OPTION_ARG_STRING, &opt_threads, "Thread counts (default: 1 and the CPUs)", "1,2" },
  { "rounds", 0, 0, G_OPTION_ARG_INT, &opt_rounds, "Alternated runs per server and count", "N" },
  { "no-gso", 0, 0, G_OPTION_ARG_NONE, &opt_no_gso, "Send with sendmmsg, not UDP_SEGMENT", NULL },
  G_OPTION_ENTRY_NULL
};

static guint16
free_port (void)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t l = sizeof a;
  int fd = socket (AF_INET, SOCK_DGRAM, 0);

  bind (fd, (struct sockaddr *) &a, sizeof a);
  getsockname (fd, (struct sockaddr *) &a, &l);
  close (fd);
  return ntohs (a.sin_port);
}

static void
fill_request (guint8 *p,
              guint32 seq)
{
  memset (p, 0, 20);
  p[1] = 0x01;                          /* Binding request */
  p[4] = 0x21; p[5] = 0x12; p[6] = 0xA4; p[7] = 0x42;
  memcpy (p + 8, &seq, sizeof seq);
  p[19] = 0x5A;
}

static gboolean
wait_ready (guint16 port)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons (port),
                           .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd = socket (AF_INET, SOCK_DGRAM, 0);
  guint8 req[20], buf[512];
  gint i;

  fill_request (req, 0);
  for (i = 0; i < 100; i++)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };

      sendto (fd, req, sizeof req, 0, (struct sockaddr *) &a, sizeof a);
      if (poll (&pfd, 1, 100) > 0 && recv (fd, buf, sizeof buf, 0) >= 20)
        {
          close (fd);
          return TRUE;
        }
    }
  close (fd);
  return FALSE;
}

/* Sends @want requests on @fd as one UDP_SEGMENT send: the number sent,
 * or -1 (errno set). */
static gint
send_gso (int      fd,
          gint     want,
          guint32 *seq)
{
  static guint8 flat[BATCH * 20];
  union
  {
    char buf[CMSG_SPACE (sizeof (guint16))];
    struct cmsghdr align;
  } control;
  struct iovec v = { flat, (gsize) want * 20 };
  struct msghdr h = { .msg_iov = &v, .msg_iovlen = 1 };
  struct cmsghdr *cm;

  for (gint j = 0; j < want; j++)
    fill_request (flat + j * 20, (*seq)++);
  memset (&control, 0, sizeof control);
  h.msg_control = control.buf;
  h.msg_controllen = sizeof control.buf;
  cm = CMSG_FIRSTHDR (&h);
  cm->cmsg_level = SOL_UDP;
  cm->cmsg_type = UDP_SEGMENT;
  cm->cmsg_len = CMSG_LEN (sizeof (guint16));
  *(guint16 *) (void *) CMSG_DATA (cm) = 20;
  return sendmsg (fd, &h, 0) < 0 ? -1 : want;
}

/* Answered requests per second. */
static gdouble
load (guint16 port)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons (port),
                           .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  gint n = opt_sockets, i;
  int *fds = g_new (int, n);
  gint *in_flight = g_new0 (gint, n);
  struct pollfd *pfds = g_new (struct pollfd, n);
  static guint8 req[BATCH][20], rsp[BATCH][512];
  struct mmsghdr tx[BATCH], rx[BATCH];
  struct iovec txv[BATCH], rxv[BATCH];
  guint64 answered = 0;
  gint64 start, end, last_progress;
  guint32 seq = 1;

  for (i = 0; i < BATCH; i++)
    {
      memset (&tx[i], 0, sizeof tx[i]);
      txv[i].iov_base = req[i];
      txv[i].iov_len = 20;
      tx[i].msg_hdr.msg_iov = &txv[i];
      tx[i].msg_hdr.msg_iovlen = 1;
      memset (&rx[i], 0, sizeof rx[i]);
      rxv[i].iov_base = rsp[i];
      rxv[i].iov_len = sizeof rsp[i];
      rx[i].msg_hdr.msg_iov = &rxv[i];
      rx[i].msg_hdr.msg_iovlen = 1;
    }
  for (i = 0; i < n; i++)
    {
      int size = 4 << 20;

      fds[i] = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
      setsockopt (fds[i], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
      /* connected: sendmmsg needs no address, loopback only */
      connect (fds[i], (struct sockaddr *) &a, sizeof a);
      pfds[i].fd = fds[i];
      pfds[i].events = POLLIN;
    }

  start = last_progress = g_get_monotonic_time ();
  end = start + (gint64) opt_seconds * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end)
    {
      for (i = 0; i < n; i++)
        {
          gint want = opt_window - in_flight[i], j, sent;

          if (want <= 0)
            continue;
          want = MIN (want, BATCH);
          if (use_gso && want > 1)
            {
              sent = send_gso (fds[i], want, &seq);
              if (sent < 0 && (errno == EIO || errno == EINVAL))
                {
                  g_printerr ("stun-bench: UDP_SEGMENT refused (%s), sending with sendmmsg\n",
                              g_strerror (errno));
                  use_gso = FALSE;
                }
              if (sent > 0)
                in_flight[i] += sent;
              if (use_gso)
                continue;
            }
          for (j = 0; j < want; j++)
            fill_request (req[j], seq++);
          sent = sendmmsg (fds[i], tx, want, 0);
          if (sent > 0)
            in_flight[i] += sent;
        }
      if (poll (pfds, n, 10) <= 0)
        {
          /* Lost requests (full socket buffers): refill the window
           * rather than stall. */
          if (g_get_monotonic_time () - last_progress > 50000)
            {
              memset (in_flight, 0, sizeof (gint) * n);
              last_progress = g_get_monotonic_time ();
            }
          continue;
        }
      for (i = 0; i < n; i++)
        {
          gint got;

          if (!(pfds[i].revents & POLLIN))
            continue;
          while ((got = recvmmsg (fds[i], rx, BATCH, MSG_DONTWAIT, NULL)) > 0)
            {
              gint j;

              for (j = 0; j < got; j++)
                if (rx[j].msg_len >= 20 && rsp[j][0] == 0x01 && rsp[j][1] == 0x01)
                  answered++;
              in_flight[i] = MAX (0, in_flight[i] - got);
              last_progress = g_get_monotonic_time ();
            }
        }
    }
  end = g_get_monotonic_time ();
  for (i = 0; i < n; i++)
    close (fds[i]);
  g_free (fds);
  g_free (in_flight);
  g_free (pfds);
  return answered / ((end - start) / (gdouble) G_USEC_PER_SEC);
}

typedef struct
{
  gdouble rate;
  gdouble cpu_ms_per_1k;
  gdouble server_pct;
  gdouble generator_pct;
  gdouble generator_ms_per_1k;
} Result;

static gdouble
process_cpu (const gchar *pid)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree gchar *text = NULL;
  g_auto (GStrv) fields = NULL;
  gchar *p;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (p = strrchr (text, ')')) == NULL)
    return 0;
  fields = g_strsplit (p + 2, " ", -1);
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) / sysconf (_SC_CLK_TCK);
}

static gdouble
self_cpu (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static Result
bench (const gchar *name,
       const gchar * const *argv,
       guint16 port)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  Result res = { -1, 0, 0, 0, 0 };
  gdouble server0, self0, wall0;

  proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                  G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  if (proc == NULL)
    {
      g_printerr ("stun-bench: cannot start %s: %s\n", name, error->message);
      return res;
    }
  if (!wait_ready (port))
    {
      g_printerr ("stun-bench: %s never answered on port %u\n", name, port);
      g_subprocess_force_exit (proc);
      return res;
    }
  server0 = process_cpu (g_subprocess_get_identifier (proc));
  self0 = self_cpu ();
  wall0 = g_get_monotonic_time () / 1e6;
  res.rate = load (port);
  {
    gdouble wall = g_get_monotonic_time () / 1e6 - wall0;
    gdouble server = process_cpu (g_subprocess_get_identifier (proc)) - server0;

    res.cpu_ms_per_1k = res.rate > 0 ? server * 1e6 / (res.rate * wall) : 0;
    res.server_pct = server / wall * 100;
    res.generator_pct = (self_cpu () - self0) / wall * 100;
    res.generator_ms_per_1k = res.rate > 0 ? res.generator_pct * 10 / res.rate * 1000 : 0;
  }
  g_subprocess_send_signal (proc, SIGTERM);
  g_subprocess_wait (proc, NULL, NULL);
  return res;
}

/* nav-server reaches its STUN server through the registry: from a build
 * tree, the modules are beside its tools/ (as `meson devenv` says). */
static void
set_module_dir (const gchar *nav_server)
{
  g_autofree gchar *tools = g_path_get_dirname (nav_server);
  g_autofree gchar *modules = g_build_filename (tools, "..", "modules", NULL);
  g_autofree gchar *stun = g_build_filename (modules, "stun", NULL);

  if (g_file_test (stun, G_FILE_TEST_IS_DIR))
    {
      g_setenv ("NAV_MODULE_DIR", modules, TRUE);
      g_setenv ("NAV_MODULE_PATH", stun, TRUE);
    }
}

static Result
run_nav (const gchar *nav_server,
         guint        threads)
{
  guint16 port = free_port ();
  g_autofree gchar *port_arg = g_strdup_printf ("--listening-port=%u", port);
  g_autofree gchar *threads_arg = g_strdup_printf ("--stun-threads=%u", threads);
  const gchar *argv[] = { nav_server, "--stun", "--listening-ip=127.0.0.1",
                          port_arg, threads_arg, "--no-tcp", "--no-tls", NULL };

  if (opt_before != NULL)
    set_module_dir (nav_server);
  return bench ("nav-server", argv, port);
}

static Result
run_coturn (guint threads)
{
  guint16 port = free_port ();
  g_autofree gchar *port_arg = g_strdup_printf ("--listening-port=%u", port);
  g_autofree gchar *threads_arg = g_strdup_printf ("%u", threads > 1 ? threads : 0);
  /* -m 0: coturn's single-threaded mode; -m T: T relay threads; -S: STUN
   * only; no TCP, TLS, DTLS listeners, as for nav-server. */
  const gchar *argv[] = { opt_turnserver, "-n", "-S", "--no-cli", "-m", threads_arg,
                          "--listening-ip=127.0.0.1", port_arg,
                          "--no-tcp", "--no-tls", "--no-dtls",
                          "--log-file=/dev/null", "--no-stdout-log", NULL };

  return bench ("turnserver", argv, port);
}

/* The first three fields of /proc/loadavg: how busy the shared machine
 * was. */
static gchar *
load_average (void)
{
  g_autofree gchar *text = NULL;
  g_auto (GStrv) fields = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("unknown");
  fields = g_strsplit (g_strstrip (text), " ", 4);
  return g_strjoin (" ", fields[0], fields[1] != NULL ? fields[1] : "",
                    fields[1] != NULL && fields[2] != NULL ? fields[2] : "", NULL);
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return (x > y) - (x < y);
}

/* The median of one field over the rounds: a round slowed by a
 * neighbour on the shared machine does not move it. */
static gdouble
median_of (const Result *runs,
           gint          n,
           gsize         offset)
{
  g_autofree gdouble *v = g_new (gdouble, n);

  for (gint i = 0; i < n; i++)
    v[i] = G_STRUCT_MEMBER (gdouble, &runs[i], offset);
  qsort (v, n, sizeof *v, compare_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static Result
median (const Result *runs,
        gint          n)
{
  Result m;

  m.rate = median_of (runs, n, G_STRUCT_OFFSET (Result, rate));
  m.cpu_ms_per_1k = median_of (runs, n, G_STRUCT_OFFSET (Result, cpu_ms_per_1k));
  m.server_pct = median_of (runs, n, G_STRUCT_OFFSET (Result, server_pct));
  m.generator_pct = median_of (runs, n, G_STRUCT_OFFSET (Result, generator_pct));
  m.generator_ms_per_1k = median_of (runs, n, G_STRUCT_OFFSET (Result, generator_ms_per_1k));
  return m;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new ("— STUN Binding rate, nav-server vs coturn");
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("stun-bench: %s\n", error->message);
      return 2;
    }
  use_gso = !opt_no_gso;
  if (opt_nav_server == NULL)
    {
      g_autofree gchar *dir = g_path_get_dirname (argv[0]);

      opt_nav_server = g_build_filename (dir, "..", "tools", "nav-server", NULL);
    }
  if (g_getenv ("NAV_MODULE_DIR") == NULL || opt_before != NULL)
    set_module_dir (opt_nav_server);

  {
    g_auto (GStrv) counts = g_strsplit (opt_threads != NULL ? opt_threads : "", ",", -1);
    GArray *threads = g_array_new (FALSE, FALSE, sizeof (guint));
    gboolean ok = TRUE;

    for (guint i = 0; counts[i] != NULL; i++)
      if (counts[i][0] != '\0')
        {
          guint t = (guint) atoi (counts[i]);

          g_array_append_val (threads, t);
        }
    if (threads->len == 0)
      {
        guint one = 1, n = g_get_num_processors ();

        g_array_append_val (threads, one);
        if (n > 1)
          g_array_append_val (threads, n);
      }
    g_autofree gchar *load_start = load_average ();
    g_autofree gchar *load_end = NULL;

    g_print ("STUN Binding over UDP, loopback, %d s each, %d sockets x %d in flight, %d rounds "
             "alternating, median of the rounds; %u CPUs\n", opt_seconds, opt_sockets, opt_window,
             opt_rounds, g_get_num_processors ());
    g_print ("compared: nav-server --stun --stun-threads=T  vs  turnserver -S -m T (-m 0 for one); "
             "requests sent %s\n", use_gso ? "with GSO" : "with sendmmsg");
    g_print ("load average at start: %s\n\n", load_start);
    g_print ("%-3s | %10s %10s %6s | %8s %8s %6s | %6s %6s | %5s %5s | %5s %5s\n", "T",
             "coturn", "nav", "ratio", "coturn", "nav", "ratio", "c-gen", "n-gen", "c-cpu", "n-cpu",
             "c-gen", "n-gen");
    g_print ("%-3s | %-29s | %-24s | %-13s | %-11s | %-11s\n", "", "  requests answered/s",
             " server CPU ms/1000", "gen ms/1000", " server %", " generator %");
    for (guint k = 0; k < threads->len; k++)
      {
        guint t = g_array_index (threads, guint, k);
        g_autofree Result *navs = g_new0 (Result, MAX (opt_rounds, 1));
        g_autofree Result *coturns = g_new0 (Result, MAX (opt_rounds, 1));
        g_autofree Result *befores = g_new0 (Result, MAX (opt_rounds, 1));
        Result nav, coturn, before;

        for (gint r = 0; r < opt_rounds; r++)
          {
            Result a, b, c = { 0 };

            /* Each server first in one round of the rotation. */
            if (opt_before == NULL)
              {
                if (r % 2 == 0)
                  a = run_coturn (t), b = run_nav (opt_nav_server, t);
                else
                  b = run_nav (opt_nav_server, t), a = run_coturn (t);
              }
            else if (r % 3 == 0)
              a = run_coturn (t), c = run_nav (opt_before, t), b = run_nav (opt_nav_server, t);
            else if (r % 3 == 1)
              c = run_nav (opt_before, t), b = run_nav (opt_nav_server, t), a = run_coturn (t);
            else
              b = run_nav (opt_nav_server, t), a = run_coturn (t), c = run_nav (opt_before, t);
            if (a.rate <= 0 || b.rate <= 0 || (opt_before != NULL && c.rate <= 0))
              ok = FALSE;
            coturns[r] = a;
            navs[r] = b;
            befores[r] = c;
          }
        coturn = median (coturns, MAX (opt_rounds, 1));
        nav = median (navs, MAX (opt_rounds, 1));
        before = median (befores, MAX (opt_rounds, 1));
        if (opt_before != NULL)
          g_print ("%-3s | %10.0f %10.0f %5.2fx | %8.3f %8.3f %5.2fx | %6.3f %6.3f | %5.0f %5.0f | "
                   "%5.0f %5.0f   (--before)\n", "b",
                   coturn.rate, before.rate, coturn.rate > 0 ? before.rate / coturn.rate : 0,
                   coturn.cpu_ms_per_1k, before.cpu_ms_per_1k,
                   coturn.cpu_ms_per_1k > 0 ? before.cpu_ms_per_1k / coturn.cpu_ms_per_1k : 0,
                   coturn.generator_ms_per_1k, before.generator_ms_per_1k,
                   coturn.server_pct, before.server_pct, coturn.generator_pct, before.generator_pct);
        g_print ("%-3u | %10.0f %10.0f %5.2fx | %8.3f %8.3f %5.2fx | %6.3f %6.3f | %5.0f %5.0f | "
                 "%5.0f %5.0f\n", t,
                 coturn.rate, nav.rate, coturn.rate > 0 ? nav.rate / coturn.rate : 0,
                 coturn.cpu_ms_per_1k, nav.cpu_ms_per_1k,
                 coturn.cpu_ms_per_1k > 0 ? nav.cpu_ms_per_1k / coturn.cpu_ms_per_1k : 0,
                 coturn.generator_ms_per_1k, nav.generator_ms_per_1k,
                 coturn.server_pct, nav.server_pct, coturn.generator_pct, nav.generator_pct);
        if (opt_before != NULL && before.cpu_ms_per_1k > 0 && before.rate > 0)
          g_print ("    nav-server / --before: answered %.2fx, CPU per answer %.2fx\n",
                   nav.rate / before.rate, nav.cpu_ms_per_1k / before.cpu_ms_per_1k);
      }
    g_print ("(answered ratio: nav-server / coturn, higher is better; CPU ratio: nav-server / coturn, "
             "lower is better)\n");
    load_end = load_average ();
    g_print ("load average at end: %s.  The generator (this program) and the server share the "
             "machine's CPUs: where server + generator CPU nears 100%% per CPU, or the load average "
             "exceeds the CPU count, the machine bounds the rate and the CPU per 1000 answers is the "
             "comparison of the servers.\n", load_end);
    g_array_unref (threads);
    return ok ? 0 : 1;
  }
}
