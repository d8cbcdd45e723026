/* stun-bench.c: Binding requests answered per second, nav-server vs coturn
 *
 * Starts nav-server and coturn's turnserver on loopback, both single
 * threaded (nav-server is single threaded; turnserver gets `-m 0`, its
 * single-threaded mode), and drives each in turn with the same load: UDP
 * sockets sending header-only Binding requests with sendmmsg(2), a fixed
 * number in flight per socket, answers counted with recvmmsg(2).
 *
 *   meson setup build -Dbenchmarks=true && meson compile -C build stun-bench
 *   build/bench/stun-bench [--seconds=5] [--sockets=8] [--window=64]
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
#include <sys/socket.h>

#include <gio/gio.h>

#define BATCH 64

static gint opt_seconds = 5;
static gint opt_sockets = 8;
static gint opt_window = 64;
static gchar *opt_nav_server;
static gchar *opt_turnserver = (gchar *) "/usr/bin/turnserver";

static const GOptionEntry entries[] = {
  { "seconds", 0, 0, G_OPTION_ARG_INT, &opt_seconds, "Seconds of load per server", "N" },
  { "sockets", 0, 0, G_OPTION_ARG_INT, &opt_sockets, "Client sockets", "N" },
  { "window", 0, 0, G_OPTION_ARG_INT, &opt_window, "Requests in flight per socket", "N" },
  { "nav-server", 0, 0, G_OPTION_ARG_FILENAME, &opt_nav_server, "nav-server binary", "PATH" },
  { "turnserver", 0, 0, G_OPTION_ARG_FILENAME, &opt_turnserver, "turnserver binary", "PATH" },
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

static gdouble
bench (const gchar *name,
       const gchar * const *argv,
       guint16 port)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  gdouble rate;

  proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                  G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  if (proc == NULL)
    {
      g_printerr ("stun-bench: cannot start %s: %s\n", name, error->message);
      return -1;
    }
  if (!wait_ready (port))
    {
      g_printerr ("stun-bench: %s never answered on port %u\n", name, port);
      g_subprocess_force_exit (proc);
      return -1;
    }
  rate = load (port);
  g_subprocess_send_signal (proc, SIGTERM);
  g_subprocess_wait (proc, NULL, NULL);
  return rate;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new ("— STUN Binding rate, nav-server vs coturn");
  g_autoptr (GError) error = NULL;
  g_autofree gchar *nav_port_arg = NULL, *coturn_port_arg = NULL;
  guint16 nav_port, coturn_port;
  gdouble nav, coturn;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("stun-bench: %s\n", error->message);
      return 2;
    }
  if (opt_nav_server == NULL)
    {
      g_autofree gchar *dir = g_path_get_dirname (argv[0]);

      opt_nav_server = g_build_filename (dir, "..", "tools", "nav-server", NULL);
    }
  /* nav-server reaches its STUN server through the registry: from a build
   * tree, the modules are beside its tools/ (as `meson devenv` says). */
  if (g_getenv ("NAV_MODULE_DIR") == NULL)
    {
      g_autofree gchar *tools = g_path_get_dirname (opt_nav_server);
      g_autofree gchar *modules = g_build_filename (tools, "..", "modules", NULL);
      g_autofree gchar *stun = g_build_filename (modules, "stun", NULL);

      if (g_file_test (stun, G_FILE_TEST_IS_DIR))
        {
          g_setenv ("NAV_MODULE_DIR", modules, TRUE);
          g_setenv ("NAV_MODULE_PATH", stun, TRUE);
        }
    }

  nav_port = free_port ();
  nav_port_arg = g_strdup_printf ("--listening-port=%u", nav_port);
  {
    const gchar *nav_argv[] = { opt_nav_server, "--stun", "--listening-ip=127.0.0.1",
                                nav_port_arg, "--no-tcp", "--no-tls", NULL };

    nav = bench ("nav-server", nav_argv, nav_port);
  }
  coturn_port = free_port ();
  coturn_port_arg = g_strdup_printf ("--listening-port=%u", coturn_port);
  {
    /* -m 0: coturn's single-threaded mode (no relay threads); -S: STUN
     * only; no TCP, TLS, DTLS listeners, as for nav-server. */
    const gchar *coturn_argv[] = { opt_turnserver, "-n", "-S", "--no-cli", "-m", "0",
                                   "--listening-ip=127.0.0.1", coturn_port_arg,
                                   "--no-tcp", "--no-tls", "--no-dtls",
                                   "--log-file=/dev/null", "--no-stdout-log", NULL };

    coturn = bench ("turnserver", coturn_argv, coturn_port);
  }

  g_print ("STUN Binding over UDP, loopback, %d s each, %d sockets x %d in flight\n",
           opt_seconds, opt_sockets, opt_window);
  g_print ("nav-server (1 thread):         %12.0f req/s\n", nav);
  g_print ("coturn turnserver (-m 0, 1 thread): %7.0f req/s\n", coturn);
  if (nav > 0 && coturn > 0)
    g_print ("ratio nav-server / coturn:     %12.2f\n", nav / coturn);
  return nav > 0 && coturn > 0 ? 0 : 1;
}
