/* turn-load.c: a TURN relay load generator
 *
 * Drives one TURN server (nav-server --turn, or coturn's turnserver) hard
 * enough that the server, not the load, is the bottleneck:
 *
 *   relay   ALLOCATIONS allocations, each over its own UDP socket or TCP
 *           connection, with a channel bound to a built-in UDP echo peer
 *           (a thread of its own, recvmmsg(2)/sendmmsg(2)).  Each keeps
 *           WINDOW ChannelData messages of SIZE bytes in flight: every
 *           message that comes back is replaced at once (UDP with
 *           recvmmsg and UDP GSO, one system call for up to 64
 *           datagrams to the server, which receives them one by one as
 *           ever; TCP with one read and one write per wake-up).  Counted for SECONDS after a warm-up: round trips,
 *           hence relayed messages (two per round trip: to the peer and
 *           back), payload Mbit/s, mean round-trip time, and with
 *           --server-pid the server's CPU time per 1000 relayed messages
 *           and its CPU use (100% = one core busy).
 *   alloc   with --alloc-count N: N allocations made over UDP with
 *           CONCURRENCY in flight (Allocate, 401, signed Allocate),
 *           held, then released (Refresh 0): allocations/s, and with
 *           --server-pid the server's RSS growth per held allocation.
 *
 * The setup (Allocate, the long-term credential dance, ChannelBind) uses
 * the core STUN codec; the fast path frames ChannelData by hand (four
 * bytes).  Results go to stdout, one "key=value" per line, for
 * bench/turn-bench.py, which runs it against both servers in one run.
 *
 *   turn-load --server 127.0.0.1:3478 --user U --password P [--tcp]
 *       [--allocations 16] [--window 32] [--size 500] [--seconds 5]
 *       [--alloc-count 2000] [--concurrency 64] [--server-pid PID]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netavanue/netavanue.h>

#define BATCH 64
#define MAX_SIZE 1400
#define CHANNEL 0x4000
#define TCP_BUF (256 * 1024)
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

static gchar *opt_server = (gchar *) "127.0.0.1:3478";
static gchar *opt_user = (gchar *) "bench";
static gchar *opt_password = (gchar *) "bench-password";
static gboolean opt_tcp;
static gint opt_allocations = 16;
static gint opt_window = 32;
static gint opt_size = 500;
static gdouble opt_seconds = 5;
static gint opt_alloc_count;
static gint opt_concurrency = 64;
static gint opt_server_pid;
static gboolean opt_no_gso;

static const GOptionEntry entries[] = {
  { "server", 0, 0, G_OPTION_ARG_STRING, &opt_server, "TURN server", "HOST:PORT" },
  { "user", 0, 0, G_OPTION_ARG_STRING, &opt_user, "Username", "U" },
  { "password", 0, 0, G_OPTION_ARG_STRING, &opt_password, "Password", "P" },
  { "tcp", 0, 0, G_OPTION_ARG_NONE, &opt_tcp, "Clients over TCP (default UDP)", NULL },
  { "allocations", 0, 0, G_OPTION_ARG_INT, &opt_allocations, "Allocations relaying at once", "N" },
  { "window", 0, 0, G_OPTION_ARG_INT, &opt_window, "Messages in flight per allocation", "N" },
  { "size", 0, 0, G_OPTION_ARG_INT, &opt_size, "Payload bytes per message", "L" },
  { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_seconds, "Seconds of measured relay (0: none)", "S" },
  { "alloc-count", 0, 0, G_OPTION_ARG_INT, &opt_alloc_count, "Allocations for the rate and memory test", "N" },
  { "concurrency", 0, 0, G_OPTION_ARG_INT, &opt_concurrency, "Allocate transactions in flight", "N" },
  { "server-pid", 0, 0, G_OPTION_ARG_INT, &opt_server_pid, "The server's process, for CPU and RSS", "PID" },
  { "no-gso", 0, 0, G_OPTION_ARG_NONE, &opt_no_gso, "Send each datagram alone (default: UDP GSO)", NULL },
  G_OPTION_ENTRY_NULL
};

static NavAddress server;
static GBytes *key;             /* MD5 long-term key, once the realm is known */
static gchar *realm;

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
die (const gchar *fmt, ...) G_GNUC_PRINTF (1, 2) G_GNUC_NORETURN;

static void
die (const gchar *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  fprintf (stderr, "turn-load: ");
  vfprintf (stderr, fmt, ap);
  fprintf (stderr, "\n");
  va_end (ap);
  exit (1);
}

/* CPU seconds (user + system, every thread) of a process */
static gdouble
cpu_seconds (int pid)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree gchar *text = NULL;
  gchar *p;
  unsigned long utime = 0, stime = 0;

  if (pid <= 0 || !g_file_get_contents (path, &text, NULL, NULL) || (p = strrchr (text, ')')) == NULL)
    return 0;
  /* after the command: state ppid pgrp session tty tpgid flags minflt
   * cminflt majflt cmajflt utime stime */
  if (sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
    return 0;
  return (gdouble) (utime + stime) / sysconf (_SC_CLK_TCK);
}

static long
rss_kib (int pid)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree gchar *text = NULL;
  gchar *p;

  if (pid <= 0 || !g_file_get_contents (path, &text, NULL, NULL) || (p = strstr (text, "VmRSS:")) == NULL)
    return 0;
  return strtol (p + 6, NULL, 10);
}

/* ---------------------------------------------------------------- */
/* The echo peer                                                      */

typedef struct
{
  int fd;
  NavAddress addr;
  volatile gint stop;
  guint64 echoed;
} Echo;

static gpointer
echo_thread (gpointer data)
{
  Echo *e = data;
  static struct mmsghdr msgs[BATCH];
  static struct iovec iov[BATCH];
  static struct sockaddr_storage addrs[BATCH];
  static guint8 bufs[BATCH][2048];

  while (!g_atomic_int_get (&e->stop))
    {
      struct pollfd p = { .fd = e->fd, .events = POLLIN };
      int n, sent = 0;

      if (poll (&p, 1, 100) <= 0)
        continue;
      for (int i = 0; i < BATCH; i++)
        {
          iov[i].iov_base = bufs[i];
          iov[i].iov_len = sizeof bufs[i];
          memset (&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
          msgs[i].msg_hdr.msg_name = &addrs[i];
          msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
          msgs[i].msg_hdr.msg_iov = &iov[i];
          msgs[i].msg_hdr.msg_iovlen = 1;
        }
      n = recvmmsg (e->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
      if (n <= 0)
        continue;
      /* back to where each came from, the same bytes */
      for (int i = 0; i < n; i++)
        iov[i].iov_len = msgs[i].msg_len;
      while (sent < n)
        {
          int r = sendmmsg (e->fd, msgs + sent, n - sent, 0);

          if (r <= 0)
            {
              if (r < 0 && errno == EAGAIN)
                {
                  struct pollfd w = { .fd = e->fd, .events = POLLOUT };

                  poll (&w, 1, 10);
                  continue;
                }
              break;
            }
          sent += r;
        }
      e->echoed += sent;
    }
  return NULL;
}

static void
echo_start (Echo *e)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t l = sizeof a;
  int size = 8 * 1024 * 1024;

  e->fd = socket (AF_INET, SOCK_DGRAM, 0);
  setsockopt (e->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt (e->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  if (bind (e->fd, (struct sockaddr *) &a, sizeof a) < 0 ||
      getsockname (e->fd, (struct sockaddr *) &a, &l) < 0)
    die ("echo peer: %s", g_strerror (errno));
  nav_address_set_from_sockaddr (&e->addr, (struct sockaddr *) &a, l);
}

/* ---------------------------------------------------------------- */
/* Control: requests with the long-term credential dance              */

typedef struct
{
  int fd;
  gboolean tcp;
  gchar *nonce;
  guint8 rbuf[TCP_BUF];
  gsize rlen;
  guint8 wbuf[TCP_BUF];
  gsize wlen;
  guint inflight;
  gint64 last_rx;
} Client;

static int
connect_server (gboolean tcp)
{
  struct sockaddr_storage ss;
  socklen_t sl = nav_address_copy_to_sockaddr (&server, (struct sockaddr *) &ss, sizeof ss);
  int fd = socket (ss.ss_family, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  int size = 4 * 1024 * 1024, one = 1;

  if (fd < 0)
    die ("socket: %s", g_strerror (errno));
  setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  if (tcp)
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect (fd, (struct sockaddr *) &ss, sl) < 0)
    die ("connect to %s: %s", opt_server, g_strerror (errno));
  return fd;
}

static gsize
build_request (Client           *c,
               guint             method,
               const NavAddress *peer,
               gint64            lifetime,
               gboolean          sign,
               guint8           *txid,
               guint8           *out,
               gsize             size)
{
  NavStunMessageBuilder *b;
  gsize n;

  for (guint i = 0; i < 12; i++)
    txid[i] = g_random_int () & 0xFF;
  b = nav_stun_message_builder_new_with_buffer (NAV_STUN_CLASS_REQUEST, method, txid, out, size);
  if (method == NAV_STUN_METHOD_ALLOCATE)
    nav_stun_message_builder_add_requested_transport (b, 17, NULL);
  if (method == NAV_STUN_METHOD_CHANNEL_BIND)
    nav_stun_message_builder_add_channel_number (b, CHANNEL, NULL);
  if (peer != NULL)
    nav_stun_message_builder_add_xor_address (b, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, peer, NULL);
  if (lifetime >= 0)
    nav_stun_message_builder_add_uint32 (b, NAV_STUN_ATTRIBUTE_LIFETIME, lifetime, NULL);
  if (sign && c->nonce != NULL && key != NULL)
    {
      nav_stun_message_builder_add_username (b, opt_user, NULL);
      nav_stun_message_builder_add_realm (b, realm, NULL);
      nav_stun_message_builder_add_nonce (b, c->nonce, NULL);
      nav_stun_message_builder_add_message_integrity (b, g_bytes_get_data (key, NULL),
                                                      g_bytes_get_size (key), NULL);
    }
  n = nav_stun_message_builder_finish_to_buffer (b, NULL);
  nav_stun_message_builder_unref (b);
  if (n == 0)
    die ("cannot build a request");
  return n;
}

/* Reads the next STUN message of a stream, blocking; ChannelData met on
 * the way is skipped. */
static gsize
tcp_read_stun (Client *c,
               guint8 *out,
               gsize   size,
               int     timeout_ms)
{
  for (;;)
    {
      while (c->rlen >= 4)
        {
          gsize total = (c->rbuf[0] & 0xC0) == 0x40 ? 4 + (gsize) (((c->rbuf[2] << 8 | c->rbuf[3]) + 3) & ~3)
                                                    : 20 + (gsize) (c->rbuf[2] << 8 | c->rbuf[3]);

          if (c->rlen < total)
            break;
          if ((c->rbuf[0] & 0xC0) == 0 && total <= size)
            memcpy (out, c->rbuf, total);
          memmove (c->rbuf, c->rbuf + total, c->rlen - total);
          c->rlen -= total;
          if ((out[0] & 0xC0) == 0 && total <= size)
            return total;
        }
      {
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        gssize n;

        if (poll (&p, 1, timeout_ms) <= 0)
          return 0;
        n = recv (c->fd, c->rbuf + c->rlen, sizeof c->rbuf - c->rlen, 0);
        if (n <= 0)
          return 0;
        c->rlen += n;
      }
    }
}

/* One transaction, retransmitted over UDP; returns the answer. */
static NavStunMessage *
transact (Client           *c,
          guint             method,
          const NavAddress *peer,
          gint64            lifetime,
          gboolean          sign)
{
  guint8 req[512], txid[12], buf[2048];
  gsize n = build_request (c, method, peer, lifetime, sign, txid, req, sizeof req);

  for (guint attempt = 0; attempt < 5; attempt++)
    {
      gint64 deadline = now_ns () + 500 * 1000000LL;

      if (send (c->fd, req, n, 0) != (gssize) n)
        die ("send: %s", g_strerror (errno));
      while (now_ns () < deadline)
        {
          NavStunMessage *msg;
          gssize got;

          if (c->tcp)
            got = tcp_read_stun (c, buf, sizeof buf, 2000);
          else
            {
              struct pollfd p = { .fd = c->fd, .events = POLLIN };

              if (poll (&p, 1, 100) <= 0)
                continue;
              got = recv (c->fd, buf, sizeof buf, 0);
            }
          if (got <= 0)
            break;
          if ((buf[0] & 0xC0) != 0)
            continue;
          msg = nav_stun_message_parse (buf, got, NULL);
          if (msg != NULL && memcmp (nav_stun_message_get_transaction_id (msg), txid, 12) == 0)
            return msg;
          if (msg != NULL)
            nav_stun_message_unref (msg);
        }
      if (c->tcp)
        break;
    }
  die ("no answer from %s", opt_server);
}

static guint
error_code (NavStunMessage *msg)
{
  guint code = 0;

  if (nav_stun_message_get_class (msg) == NAV_STUN_CLASS_ERROR_RESPONSE)
    nav_stun_message_get_error_code (msg, &code, NULL, NULL);
  return code;
}

static void
take_challenge (Client         *c,
                NavStunMessage *msg)
{
  g_free (c->nonce);
  c->nonce = nav_stun_message_get_nonce (msg, NULL);
  if (realm == NULL)
    {
      realm = nav_stun_message_get_realm (msg, NULL);
      if (realm == NULL || c->nonce == NULL)
        die ("401 without REALM or NONCE");
      key = nav_stun_derive_long_term_key (opt_user, realm, opt_password,
                                           NAV_STUN_PASSWORD_ALGORITHM_MD5, NULL);
    }
}

/* A signed request, with 401/438 handled. */
static guint
request (Client           *c,
         guint             method,
         const NavAddress *peer,
         gint64            lifetime)
{
  for (guint attempt = 0; attempt < 3; attempt++)
    {
      g_autoptr (NavStunMessage) msg = transact (c, method, peer, lifetime, TRUE);
      guint code = error_code (msg);

      if ((code == 401 && attempt == 0) || code == 438)
        {
          take_challenge (c, msg);
          continue;
        }
      return code;
    }
  return 401;
}

/* ---------------------------------------------------------------- */
/* Relay                                                              */

static void
frame (guint8 *p,
       gint64  stamp)
{
  p[0] = CHANNEL >> 8;
  p[1] = CHANNEL & 0xFF;
  p[2] = opt_size >> 8;
  p[3] = opt_size & 0xFF;
  memcpy (p + 4, &stamp, sizeof stamp);
}

static gsize
frame_len (void)
{
  gsize n = 4 + opt_size;

  return opt_tcp ? (n + 3) & ~(gsize) 3 : n;
}

static struct
{
  guint64 round_trips;
  guint64 lost;
  gdouble rtt_sum_ms;
  gboolean measuring;
} stats;

/* UDP generic segmentation offload (UDP_SEGMENT, Linux 4.18): equal
 * datagrams to one destination leave in one sendmsg(2), cutting the
 * generator's cost per message so that it outruns the server; the server
 * still receives separate datagrams. */
static gboolean
udp_send_gso (Client *c,
              guint   count,
              gint64  t)
{
  static guint8 big[65536];
  guint seg = 4 + opt_size, max = MIN (64, 65000 / seg);

  while (count > 0)
    {
      guint n = MIN (count, max);
      union { char buf[CMSG_SPACE (sizeof (guint16))]; struct cmsghdr align; } ctrl;
      struct iovec iov = { .iov_base = big, .iov_len = n * seg };
      struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                           .msg_control = ctrl.buf, .msg_controllen = sizeof ctrl.buf };
      struct cmsghdr *cm;
      guint16 gso = seg;

      memset (&ctrl, 0, sizeof ctrl);
      cm = CMSG_FIRSTHDR (&mh);
      cm->cmsg_level = SOL_UDP;
      cm->cmsg_type = UDP_SEGMENT;
      cm->cmsg_len = CMSG_LEN (sizeof gso);
      memcpy (CMSG_DATA (cm), &gso, sizeof gso);
      for (guint i = 0; i < n; i++)
        frame (big + i * seg, t);
      if (sendmsg (c->fd, &mh, 0) < 0)
        {
          if (errno == EAGAIN || errno == ENOBUFS)
            return TRUE;        /* counted as lost by the refill */
          if (errno == EINVAL || errno == EOPNOTSUPP || errno == EIO || errno == ENOPROTOOPT)
            return FALSE;       /* no GSO here */
          die ("sendmsg: %s", g_strerror (errno));
        }
      c->inflight += n;
      count -= n;
    }
  return TRUE;
}

static void
udp_send_n (Client *c,
            guint   count)
{
  static struct mmsghdr msgs[BATCH];
  static struct iovec iov[BATCH];
  static guint8 bufs[BATCH][4 + MAX_SIZE];
  gint64 t = now_ns ();

  if (!opt_no_gso)
    {
      if (udp_send_gso (c, count, t))
        return;
      fprintf (stderr, "turn-load: no UDP GSO, sending datagrams one by one\n");
      opt_no_gso = TRUE;
    }
  while (count > 0)
    {
      guint n = MIN (count, BATCH);
      int r;

      for (guint i = 0; i < n; i++)
        {
          frame (bufs[i], t);
          iov[i].iov_base = bufs[i];
          iov[i].iov_len = 4 + opt_size;
          memset (&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
          msgs[i].msg_hdr.msg_iov = &iov[i];
          msgs[i].msg_hdr.msg_iovlen = 1;
        }
      r = sendmmsg (c->fd, msgs, n, 0);
      if (r <= 0)
        {
          if (r < 0 && errno != EAGAIN && errno != ENOBUFS)
            die ("sendmmsg: %s", g_strerror (errno));
          return;               /* counted as lost by the refill */
        }
      c->inflight += r;
      count -= r;
    }
}

static void
tcp_flush (Client *c)
{
  while (c->wlen > 0)
    {
      gssize n = send (c->fd, c->wbuf, c->wlen, MSG_DONTWAIT);

      if (n <= 0)
        return;
      memmove (c->wbuf, c->wbuf + n, c->wlen - n);
      c->wlen -= n;
    }
}

static void
tcp_send_n (Client *c,
            guint   count)
{
  gint64 t = now_ns ();
  gsize fl = frame_len ();

  while (count > 0 && c->wlen + fl <= sizeof c->wbuf)
    {
      memset (c->wbuf + c->wlen, 0, fl);
      frame (c->wbuf + c->wlen, t);
      c->wlen += fl;
      c->inflight++;
      count--;
    }
  tcp_flush (c);
}

static void
account (const guint8 *payload)
{
  gint64 stamp;

  if (!stats.measuring)
    return;
  memcpy (&stamp, payload, sizeof stamp);
  stats.round_trips++;
  stats.rtt_sum_ms += (now_ns () - stamp) / 1e6;
}

static void
udp_readable (Client *c)
{
  static struct mmsghdr msgs[BATCH];
  static struct iovec iov[BATCH];
  static guint8 bufs[BATCH][2048];

  for (guint round = 0; round < 8; round++)
    {
      guint got = 0;
      int n;

      for (int i = 0; i < BATCH; i++)
        {
          iov[i].iov_base = bufs[i];
          iov[i].iov_len = sizeof bufs[i];
          memset (&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
          msgs[i].msg_hdr.msg_iov = &iov[i];
          msgs[i].msg_hdr.msg_iovlen = 1;
        }
      n = recvmmsg (c->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
      if (n <= 0)
        return;
      for (int i = 0; i < n; i++)
        if (msgs[i].msg_len >= 12 && bufs[i][0] == (CHANNEL >> 8) && bufs[i][1] == (CHANNEL & 0xFF))
          {
            account (bufs[i] + 4);
            got++;
          }
      c->inflight -= MIN (got, c->inflight);
      c->last_rx = now_ns ();
      udp_send_n (c, opt_window - c->inflight);
      if (n < BATCH)
        return;
    }
}

static void
tcp_readable (Client *c)
{
  gssize n = recv (c->fd, c->rbuf + c->rlen, sizeof c->rbuf - c->rlen, MSG_DONTWAIT);
  gsize off = 0;
  guint got = 0;

  if (n == 0)
    die ("the server closed a connection");
  if (n < 0)
    return;
  c->rlen += n;
  while (c->rlen - off >= 4)
    {
      const guint8 *p = c->rbuf + off;
      gsize total = (p[0] & 0xC0) == 0x40 ? 4 + (gsize) (((p[2] << 8 | p[3]) + 3) & ~3)
                                          : 20 + (gsize) (p[2] << 8 | p[3]);

      if (c->rlen - off < total)
        break;
      if ((p[0] & 0xC0) == 0x40 && total >= 12)
        {
          account (p + 4);
          got++;
        }
      off += total;
    }
  memmove (c->rbuf, c->rbuf + off, c->rlen - off);
  c->rlen -= off;
  c->inflight -= MIN (got, c->inflight);
  c->last_rx = now_ns ();
  tcp_send_n (c, opt_window - c->inflight);
}

static void
relay_run (void)
{
  Echo echo = { 0 };
  GThread *thread;
  Client *clients = g_new0 (Client, opt_allocations);
  int ep = epoll_create1 (0);
  struct epoll_event events[256];
  gint64 t_start, t_measure = 0, t_end;
  gdouble cpu0 = 0, cpu1;
  guint64 rt_mark = 0;

  echo_start (&echo);
  thread = g_thread_new ("echo", echo_thread, &echo);

  for (int i = 0; i < opt_allocations; i++)
    {
      Client *c = &clients[i];
      guint code;

      c->tcp = opt_tcp;
      c->fd = connect_server (opt_tcp);
      if ((code = request (c, NAV_STUN_METHOD_ALLOCATE, NULL, -1)) != 0)
        die ("Allocate refused: %u", code);
      if ((code = request (c, NAV_STUN_METHOD_CHANNEL_BIND, &echo.addr, -1)) != 0)
        die ("ChannelBind refused: %u", code);
    }
  for (int i = 0; i < opt_allocations; i++)
    {
      struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &clients[i] };

      epoll_ctl (ep, EPOLL_CTL_ADD, clients[i].fd, &ev);
      clients[i].last_rx = now_ns ();
      if (opt_tcp)
        tcp_send_n (&clients[i], opt_window);
      else
        udp_send_n (&clients[i], opt_window);
    }

  /* half a second of warm-up, then measured */
  t_start = now_ns ();
  t_end = t_start + (gint64) ((0.5 + opt_seconds) * 1e9);
  for (;;)
    {
      gint64 t = now_ns ();
      int n;

      if (!stats.measuring && t >= t_start + 500000000LL)
        {
          stats.measuring = TRUE;
          t_measure = t;
          cpu0 = cpu_seconds (opt_server_pid);
          rt_mark = stats.round_trips;
        }
      if (t >= t_end)
        break;
      n = epoll_wait (ep, events, G_N_ELEMENTS (events), 20);
      for (int i = 0; i < n; i++)
        {
          Client *c = events[i].data.ptr;

          if (opt_tcp)
            tcp_readable (c);
          else
            udp_readable (c);
        }
      /* messages lost (UDP under overload) leave the window: refill it
       * when an allocation has heard nothing for 200 ms */
      t = now_ns ();
      for (int i = 0; i < opt_allocations; i++)
        {
          Client *c = &clients[i];

          if (opt_tcp)
            {
              if (c->wlen > 0)
                tcp_flush (c);
              continue;
            }
          if (t - c->last_rx > 200000000LL)
            {
              if (stats.measuring)
                stats.lost += c->inflight;
              c->inflight = 0;
              c->last_rx = t;
              udp_send_n (c, opt_window);
            }
        }
    }
  cpu1 = cpu_seconds (opt_server_pid);
  {
    gdouble secs = (t_end - t_measure) / 1e9;
    guint64 rt = stats.round_trips - rt_mark;
    guint64 relayed = 2 * rt;

    printf ("mode=%s\n", opt_tcp ? "tcp" : opt_no_gso ? "udp" : "udp-gso");
    printf ("allocations=%d\nwindow=%d\nsize=%d\nseconds=%.2f\n", opt_allocations, opt_window,
            opt_size, secs);
    printf ("round_trips=%" G_GUINT64_FORMAT "\n", rt);
    printf ("msgs_per_s=%.0f\n", relayed / secs);
    printf ("mbit_per_s=%.1f\n", relayed * opt_size * 8.0 / secs / 1e6);
    printf ("rtt_ms=%.3f\n", rt > 0 ? stats.rtt_sum_ms / rt : -1.0);
    printf ("lost=%" G_GUINT64_FORMAT "\n", stats.lost);
    if (opt_server_pid > 0)
      {
        printf ("server_cpu_pct=%.1f\n", (cpu1 - cpu0) / secs * 100);
        printf ("cpu_ms_per_1k=%.4f\n", relayed > 0 ? (cpu1 - cpu0) * 1000 / relayed * 1000 : -1.0);
      }
  }
  fflush (stdout);

  for (int i = 0; i < opt_allocations; i++)
    {
      close (clients[i].fd);
      g_free (clients[i].nonce);
    }
  g_free (clients);
  close (ep);
  g_atomic_int_set (&echo.stop, 1);
  g_thread_join (thread);
  close (echo.fd);
}

/* ---------------------------------------------------------------- */
/* Allocations per second, memory per allocation                      */

typedef enum { S_IDLE, S_AUTH, S_ALLOC, S_HELD, S_RELEASING, S_DONE, S_FAILED } SlotState;

typedef struct
{
  Client c;
  SlotState state;
  guint8 txid[12];
  guint8 req[512];
  gsize req_len;
  gint64 sent;
  guint tries;
} Slot;

static void
slot_send (Slot     *s,
           SlotState state,
           guint     method,
           gint64    lifetime,
           gboolean  sign)
{
  s->state = state;
  s->req_len = build_request (&s->c, method, NULL, lifetime, sign, s->txid, s->req, sizeof s->req);
  s->sent = now_ns ();
  s->tries = 0;
  send (s->c.fd, s->req, s->req_len, 0);
}

static gboolean
waiting (const Slot *s)
{
  return s->state == S_AUTH || s->state == S_ALLOC || s->state == S_RELEASING;
}

/* Runs the transactions of @n slots to their ends (retransmitting over
 * UDP as RFC 8489 §6.2.1 does, 0.5 s here). */
static void
pump (Slot *slots,
      guint n,
      int   ep)
{
  struct epoll_event events[256];
  guint pending;

  do
    {
      int m = epoll_wait (ep, events, G_N_ELEMENTS (events), 50);
      gint64 t = now_ns ();

      for (int i = 0; i < m; i++)
        {
          Slot *s = events[i].data.ptr;
          guint8 buf[2048];
          gssize got = recv (s->c.fd, buf, sizeof buf, MSG_DONTWAIT);
          g_autoptr (NavStunMessage) msg = NULL;
          guint code;

          if (got <= 0 || !waiting (s))
            continue;
          msg = nav_stun_message_parse (buf, got, NULL);
          if (msg == NULL || memcmp (nav_stun_message_get_transaction_id (msg), s->txid, 12) != 0)
            continue;
          code = error_code (msg);
          if (s->state == S_RELEASING)
            s->state = S_DONE;
          else if ((s->state == S_AUTH && code == 401) || code == 438)
            {
              take_challenge (&s->c, msg);
              slot_send (s, S_ALLOC, NAV_STUN_METHOD_ALLOCATE, -1, TRUE);
            }
          else
            s->state = code == 0 ? S_HELD : S_FAILED;
        }
      pending = 0;
      for (guint i = 0; i < n; i++)
        {
          Slot *s = &slots[i];

          if (!waiting (s))
            continue;
          if (t - s->sent > 500000000LL)
            {
              if (++s->tries > 5)
                {
                  s->state = S_FAILED;
                  continue;
                }
              s->sent = t;
              send (s->c.fd, s->req, s->req_len, 0);
            }
          pending++;
        }
    }
  while (pending > 0);
}

static void
alloc_run (void)
{
  Slot *slots = g_new0 (Slot, opt_alloc_count);
  int ep = epoll_create1 (0);
  long rss0, rss1;
  gint64 t0, t1;
  guint made = 0, released;


  for (int i = 0; i < opt_alloc_count; i++)
    {
      struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &slots[i] };
      int size = 64 * 1024;

      slots[i].c.fd = connect_server (FALSE);
      setsockopt (slots[i].c.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
      epoll_ctl (ep, EPOLL_CTL_ADD, slots[i].c.fd, &ev);
    }
  usleep (300000);
  rss0 = rss_kib (opt_server_pid);

  /* CONCURRENCY slots at a time: Allocate, 401, signed Allocate */
  t0 = now_ns ();
  for (int base = 0; base < opt_alloc_count; base += opt_concurrency)
    {
      guint n = MIN (opt_concurrency, opt_alloc_count - base);

      for (guint i = 0; i < n; i++)
        slot_send (&slots[base + i], S_AUTH, NAV_STUN_METHOD_ALLOCATE, -1, FALSE);
      pump (slots + base, n, ep);
    }
  t1 = now_ns ();
  for (int i = 0; i < opt_alloc_count; i++)
    made += slots[i].state == S_HELD;
  usleep (500000);
  rss1 = rss_kib (opt_server_pid);

  for (int i = 0; i < opt_alloc_count; i++)
    if (slots[i].state == S_HELD)
      slot_send (&slots[i], S_RELEASING, NAV_STUN_METHOD_REFRESH, 0, TRUE);
  pump (slots, opt_alloc_count, ep);
  released = 0;
  for (int i = 0; i < opt_alloc_count; i++)
    released += slots[i].state == S_DONE;

  printf ("alloc_count=%d\nallocated=%u\nreleased=%u\n", opt_alloc_count, made, released);
  printf ("allocs_per_s=%.0f\n", made / ((t1 - t0) / 1e9));
  if (opt_server_pid > 0)
    printf ("kib_per_alloc=%.2f\n", made > 0 ? (gdouble) (rss1 - rss0) / made : -1.0);
  fflush (stdout);

  for (int i = 0; i < opt_alloc_count; i++)
    {
      close (slots[i].c.fd);
      g_free (slots[i].c.nonce);
    }
  g_free (slots);
  close (ep);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- TURN relay load generator");
  g_autoptr (GError) error = NULL;
  struct rlimit rl;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    die ("%s", error->message);
  if (!nav_address_set_from_string (&server, opt_server, &error))
    die ("--server: %s", error->message);
  if (opt_size < 12 || opt_size > MAX_SIZE)
    die ("--size must be within 12..%d", MAX_SIZE);
  if (opt_allocations < 1 || opt_window < 1 || opt_concurrency < 1)
    die ("--allocations, --window and --concurrency must be positive");
  /* thousands of sockets for the allocation test */
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }

  if (opt_seconds > 0)
    relay_run ();
  if (opt_alloc_count > 0)
    alloc_run ();
  g_clear_pointer (&key, g_bytes_unref);
  g_free (realm);
  return 0;
}
