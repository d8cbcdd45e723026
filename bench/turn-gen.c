/* turn-gen.c: an independent TURN load generator (issue 22)
 *
 * Written against the RFCs with plain sockets, not with the project's
 * code (no STUN codec, no socket layer, no GLib main loop of ours), so
 * that it measures a TURN server without sharing its process design:
 *
 * - an echo peer: every datagram that reaches it goes back to where it
 *   came from (the relayed address);
 * - CLIENTS UDP clients, each allocating with long-term credentials
 *   (RFC 8489 §9.2, MD5 key), binding a channel to the echo peer
 *   (RFC 8656 §12), then keeping WINDOW ChannelData round trips in
 *   flight: a closed loop, every answer sends the next message;
 * - after a warm-up, SECONDS of measurement: round trips per second, the
 *   mean round trip time, the server's CPU time from /proc/PID/stat (every
 *   thread of it) per 1000 round trips, and this generator's own CPU use
 *   and CPU per 1000 round trips beside it, so that a saturated machine
 *   shows.
 *
 * Cheap, so that on a small machine it leaves the cores to the server:
 * one thread, the clients and the echo peer in one epoll loop
 * (--busy: epoll_wait never sleeps); batches in with recvmmsg; out, the
 * datagrams of one client's window, and those the echo peer sends back
 * to one relayed address, leave as one UDP_SEGMENT (GSO) send, the
 * kernel cutting the buffer into datagrams (udp(7); --no-gso: sendmmsg
 * of single datagrams instead).  --cpu N pins it to one CPU.
 *
 * Lost messages (full socket buffers) are resent after 200 ms of
 * silence, and counted.
 *
 *   turn-gen --server=127.0.0.1:3478 --user=U --password=P --clients=16
 *            --window=32 --size=500 --seconds=5 --server-pid=PID
 *            [--cpu=1] [--busy] [--no-gso]
 *
 * Output: key=value lines.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <sched.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/udp.h>

#include <glib.h>

#define BATCH 64
#define MAGIC 0x2112A442u

static gchar *opt_server = (gchar *) "127.0.0.1:3478";
static gchar *opt_user = (gchar *) "bench";
static gchar *opt_password = (gchar *) "bench-password";
static gint opt_clients = 16;
static gint opt_window = 32;
static gint opt_size = 500;
static gdouble opt_seconds = 5;
static gdouble opt_warmup = 1;
static gint opt_server_pid;
static gint opt_cpu = -1;
static gboolean opt_busy, opt_no_gso;

static const GOptionEntry entries[] = {
  { "server", 0, 0, G_OPTION_ARG_STRING, &opt_server, "TURN server, IPv4:PORT", "ADDR" },
  { "user", 0, 0, G_OPTION_ARG_STRING, &opt_user, "User name", "NAME" },
  { "password", 0, 0, G_OPTION_ARG_STRING, &opt_password, "Password", "PASSWORD" },
  { "clients", 0, 0, G_OPTION_ARG_INT, &opt_clients, "Clients (allocations)", "N" },
  { "window", 0, 0, G_OPTION_ARG_INT, &opt_window, "Round trips in flight per client", "N" },
  { "size", 0, 0, G_OPTION_ARG_INT, &opt_size, "ChannelData payload bytes", "N" },
  { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_seconds, "Seconds measured", "S" },
  { "warmup", 0, 0, G_OPTION_ARG_DOUBLE, &opt_warmup, "Seconds of load before measuring", "S" },
  { "server-pid", 0, 0, G_OPTION_ARG_INT, &opt_server_pid, "The server's process, for its CPU time", "PID" },
  { "cpu", 0, 0, G_OPTION_ARG_INT, &opt_cpu, "Run on this CPU only (sched_setaffinity)", "N" },
  { "busy", 0, 0, G_OPTION_ARG_NONE, &opt_busy, "Busy-poll (epoll_wait never sleeps) instead of waiting", NULL },
  { "no-gso", 0, 0, G_OPTION_ARG_NONE, &opt_no_gso, "No UDP_SEGMENT sends: one datagram per sendmmsg entry", NULL },
  G_OPTION_ENTRY_NULL
};

static struct sockaddr_in server_addr;

static gint64
now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ------------------------------------------------ STUN, by hand */

typedef struct
{
  guint8 buf[1024];
  gsize len;
} Msg;

static void
put16 (guint8 *p, guint v) { p[0] = v >> 8; p[1] = v & 0xFF; }
static void
put32 (guint8 *p, guint32 v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static guint
get16 (const guint8 *p) { return (guint) p[0] << 8 | p[1]; }

static void
msg_begin (Msg *m, guint type)
{
  put16 (m->buf, type);
  put16 (m->buf + 2, 0);
  put32 (m->buf + 4, MAGIC);
  for (guint i = 8; i < 20; i++)
    m->buf[i] = g_random_int () & 0xFF;
  m->len = 20;
}

static void
msg_attr (Msg *m, guint type, const void *value, gsize len)
{
  put16 (m->buf + m->len, type);
  put16 (m->buf + m->len + 2, len);
  memcpy (m->buf + m->len + 4, value, len);
  m->len += 4 + len;
  while (m->len & 3)
    m->buf[m->len++] = 0;
  put16 (m->buf + 2, m->len - 20);
}

static void
msg_xor_address (Msg *m, guint type, const struct sockaddr_in *a)
{
  guint8 v[8] = { 0, 1 };

  put16 (v + 2, ntohs (a->sin_port) ^ (MAGIC >> 16));
  put32 (v + 4, ntohl (a->sin_addr.s_addr) ^ MAGIC);
  msg_attr (m, type, v, sizeof v);
}

/* MESSAGE-INTEGRITY (RFC 8489 §14.5); no FINGERPRINT, which TURN does
 * not require. */
static void
msg_sign (Msg *m, const guint8 *key, gsize key_len)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1, key, key_len);
  guint8 digest[20];
  gsize dlen = sizeof digest;

  put16 (m->buf + 2, m->len - 20 + 24);
  g_hmac_update (hmac, m->buf, m->len);
  g_hmac_get_digest (hmac, digest, &dlen);
  msg_attr (m, 0x0008, digest, 20);
}

static const guint8 *
find_attr (const guint8 *p, gsize len, guint type, gsize *alen)
{
  gsize off = 20, end = MIN (len, 20 + get16 (p + 2));

  while (off + 4 <= end)
    {
      guint t = get16 (p + off), l = get16 (p + off + 2);

      if (off + 4 + l > end)
        break;
      if (t == type)
        {
          *alen = l;
          return p + off + 4;
        }
      off += 4 + ((l + 3) & ~3u);
    }
  return NULL;
}

static gssize
transact (int fd, Msg *m, guint8 *rsp, gsize size)
{
  for (guint attempt = 0; attempt < 10; attempt++)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };

      send (fd, m->buf, m->len, 0);
      while (poll (&pfd, 1, 500) > 0)
        {
          gssize n = recv (fd, rsp, size, 0);

          if (n >= 20 && memcmp (rsp + 8, m->buf + 8, 12) == 0)
            return n;
        }
    }
  return -1;
}

/* ------------------------------------------------ batches and GSO */

/* Largest GSO send: the kernel takes at most 64 segments (UDP_MAX_SEGMENTS
 * was 64 before Linux 6.x raised it) and one IP datagram's worth of bytes. */
#define GSO_MAX_SEGS 64
#define GSO_MAX_BYTES 65000

static gboolean use_gso = TRUE;
static guint64 syscalls_send, datagrams_sent;

/* recvmmsg(2) headers over @bufs, with the senders in @from (or not). */
static void
recv_batch_init (struct mmsghdr     *msgs,
                 struct iovec       *iov,
                 guint8            (*bufs)[2048],
                 struct sockaddr_in *from)
{
  for (int i = 0; i < BATCH; i++)
    {
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = sizeof bufs[i];
      memset (&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      if (from != NULL)
        {
          msgs[i].msg_hdr.msg_name = &from[i];
          msgs[i].msg_hdr.msg_namelen = sizeof from[i];
        }
    }
}

typedef union
{
  char buf[CMSG_SPACE (sizeof (guint16))];
  struct cmsghdr align;
} GsoCmsg;

/* Makes @hdr one UDP_SEGMENT send of segments of @seg bytes (the kernel
 * cuts the buffer into datagrams of @seg bytes, the last one possibly
 * shorter; udp(7)). */
static void
set_gso (struct msghdr *hdr,
         GsoCmsg       *control,
         guint          seg)
{
  struct cmsghdr *cm;

  memset (control, 0, sizeof *control);
  hdr->msg_control = control->buf;
  hdr->msg_controllen = sizeof control->buf;
  cm = CMSG_FIRSTHDR (hdr);
  cm->cmsg_level = SOL_UDP;
  cm->cmsg_type = UDP_SEGMENT;
  cm->cmsg_len = CMSG_LEN (sizeof (guint16));
  *(guint16 *) (void *) CMSG_DATA (cm) = seg;
}

/* The kernel refuses UDP_SEGMENT (EIO where the device cannot checksum,
 * EINVAL on old kernels): say so once and send datagram by datagram. */
static void
gso_failed (int err)
{
  if (use_gso)
    g_printerr ("turn-gen: UDP_SEGMENT refused (%s), sending without GSO\n", g_strerror (err));
  use_gso = FALSE;
}

/* ------------------------------------------------ the echo peer */

/* Every datagram that reaches the echo peer goes back to where it came
 * from, the allocation's relayed address.  What one recvmmsg returns is
 * grouped by sender: a run of same-size datagrams to one relayed address
 * leaves as one UDP_SEGMENT send, and the groups of the batch in one
 * sendmmsg. */

static int peer_fd;

typedef struct
{
  struct sockaddr_in to;
  guint seg, n;
  gsize bytes;
  struct iovec iov[BATCH];
} EchoGroup;

static void
echo_readable (void)
{
  static guint8 bufs[BATCH][2048];
  static EchoGroup groups[BATCH];
  static GsoCmsg controls[BATCH];
  struct mmsghdr msgs[BATCH], out[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_in from[BATCH];
  gint n, ngroups = 0, nout = 0, done = 0;

  recv_batch_init (msgs, iov, bufs, from);
  n = recvmmsg (peer_fd, msgs, BATCH, MSG_DONTWAIT, NULL);
  if (n <= 0)
    return;
  for (gint i = 0; i < n; i++)
    {
      guint len = msgs[i].msg_len;
      EchoGroup *g = NULL;

      if (use_gso)
        for (gint k = ngroups - 1; k >= 0; k--)
          if (groups[k].seg == len && groups[k].n < GSO_MAX_SEGS &&
              groups[k].bytes + len <= GSO_MAX_BYTES &&
              groups[k].to.sin_port == from[i].sin_port &&
              groups[k].to.sin_addr.s_addr == from[i].sin_addr.s_addr)
            {
              g = &groups[k];
              break;
            }
      if (g == NULL)
        {
          g = &groups[ngroups++];
          g->to = from[i];
          g->seg = len;
          g->n = 0;
          g->bytes = 0;
        }
      g->iov[g->n].iov_base = bufs[i];
      g->iov[g->n].iov_len = len;
      g->n++;
      g->bytes += len;
    }
  for (gint k = 0; k < ngroups; k++)
    {
      struct msghdr *h = &out[nout++].msg_hdr;

      memset (h, 0, sizeof *h);
      h->msg_name = &groups[k].to;
      h->msg_namelen = sizeof groups[k].to;
      h->msg_iov = groups[k].iov;
      h->msg_iovlen = groups[k].n;
      if (groups[k].n > 1)
        set_gso (h, &controls[k], groups[k].seg);
    }
  while (done < nout)
    {
      gint sent = sendmmsg (peer_fd, out + done, nout - done, 0);

      syscalls_send++;
      if (sent < 0 && (errno == EIO || errno == EINVAL) && use_gso)
        {
          /* resend the rest datagram by datagram */
          gso_failed (errno);
          for (gint k = done; k < nout; k++)
            for (guint j = 0; j < groups[k].n; j++)
              sendto (peer_fd, groups[k].iov[j].iov_base, groups[k].iov[j].iov_len, 0,
                      (struct sockaddr *) &groups[k].to, sizeof groups[k].to);
          break;
        }
      if (sent <= 0)
        break;                          /* full: the clients resend */
      for (gint k = done; k < done + sent; k++)
        datagrams_sent += groups[k].n;
      done += sent;
    }
}

/* ------------------------------------------------ the clients */

typedef struct
{
  int fd;
  guint16 channel;
  gint in_flight;
  gint64 last_rx;
} Client;

static guint64 round_trips, rtt_sum, resent;
static gboolean measuring;

/* Adds the long-term credentials to @m, signs it, and runs it: TRUE when
 * the answer is of @success_type. */
static gboolean
signed_transaction (int fd, Msg *m, const gchar *realm, const gchar *nonce,
                    const guint8 *key, guint success_type, const gchar *what)
{
  guint8 rsp[2048];
  gssize n;

  msg_attr (m, 0x0006, opt_user, strlen (opt_user));
  msg_attr (m, 0x0014, realm, strlen (realm));
  msg_attr (m, 0x0015, nonce, strlen (nonce));
  msg_sign (m, key, 16);
  n = transact (fd, m, rsp, sizeof rsp);
  if (n < 0 || get16 (rsp) != success_type)
    {
      g_printerr ("turn-gen: %s refused (type 0x%04x)\n", what, n > 0 ? get16 (rsp) : 0);
      return FALSE;
    }
  return TRUE;
}

static gboolean
client_setup (Client *c, guint index, const struct sockaddr_in *peer)
{
  guint8 rsp[2048], key[16];
  g_autofree gchar *realm = NULL, *nonce = NULL;
  const guint8 *v;
  gsize len;
  gssize n;
  Msg m;
  guint8 transport[4] = { 17, 0, 0, 0 };

  c->fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  {
    int size = 4 << 20;

    setsockopt (c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt (c->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
  if (connect (c->fd, (struct sockaddr *) &server_addr, sizeof server_addr) < 0)
    return FALSE;
  msg_begin (&m, 0x0003);
  msg_attr (&m, 0x0019, transport, 4);
  n = transact (c->fd, &m, rsp, sizeof rsp);
  if (n < 0 || get16 (rsp) != 0x0113)
    return FALSE;
  if ((v = find_attr (rsp, n, 0x0014, &len)) == NULL)
    return FALSE;
  realm = g_strndup ((const gchar *) v, len);
  if ((v = find_attr (rsp, n, 0x0015, &len)) == NULL)
    return FALSE;
  nonce = g_strndup ((const gchar *) v, len);
  {
    g_autofree gchar *text = g_strdup_printf ("%s:%s:%s", opt_user, realm, opt_password);
    gsize klen = sizeof key;
    g_autoptr (GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);

    g_checksum_update (md5, (const guchar *) text, strlen (text));
    g_checksum_get_digest (md5, key, &klen);
  }
  msg_begin (&m, 0x0003);
  msg_attr (&m, 0x0019, transport, 4);
  if (!signed_transaction (c->fd, &m, realm, nonce, key, 0x0103, "Allocate"))
    return FALSE;
  c->channel = 0x4000 + index;
  msg_begin (&m, 0x0009);
  {
    guint8 cn[4] = { c->channel >> 8, c->channel & 0xFF, 0, 0 };

    msg_attr (&m, 0x000C, cn, 4);
  }
  msg_xor_address (&m, 0x0012, peer);
  return signed_transaction (c->fd, &m, realm, nonce, key, 0x0109, "ChannelBind");
}

/* Sends @count ChannelData messages (RFC 8656 §12.4; over UDP without
 * padding, §12.5), each carrying its send time: with GSO, all of them
 * in one buffer, one send; without, one sendmmsg. */
static void
client_send (Client *c, gint count)
{
  static guint8 frames[BATCH][2048];
  static guint8 flat[GSO_MAX_BYTES];
  gint64 t = now_us ();
  guint seg = 4 + opt_size;

  while (count > 0 && use_gso)
    {
      gint n = MIN (count, MIN (GSO_MAX_SEGS, GSO_MAX_BYTES / (gint) seg));
      struct iovec iov = { flat, (gsize) n * seg };
      struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1 };
      GsoCmsg control;
      gssize sent;

      for (gint i = 0; i < n; i++)
        {
          guint8 *f = flat + (gsize) i * seg;

          put16 (f, c->channel);
          put16 (f + 2, opt_size);
          memcpy (f + 4, &t, sizeof t);
        }
      if (n > 1)
        set_gso (&h, &control, seg);
      sent = sendmsg (c->fd, &h, 0);
      syscalls_send++;
      if (sent < 0 && (errno == EIO || errno == EINVAL))
        {
          gso_failed (errno);
          break;
        }
      if (sent < 0)
        return;                         /* full: resent after the timeout */
      c->in_flight += n;
      datagrams_sent += n;
      count -= n;
    }

  while (count > 0)
    {
      struct mmsghdr msgs[BATCH];
      struct iovec iov[BATCH];
      gint n = MIN (count, BATCH), sent;

      for (gint i = 0; i < n; i++)
        {
          put16 (frames[i], c->channel);
          put16 (frames[i] + 2, opt_size);
          memcpy (frames[i] + 4, &t, sizeof t);
          iov[i].iov_base = frames[i];
          iov[i].iov_len = seg;
          memset (&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
          msgs[i].msg_hdr.msg_iov = &iov[i];
          msgs[i].msg_hdr.msg_iovlen = 1;
        }
      sent = n == 1 ? (send (c->fd, frames[0], seg, 0) == (gssize) seg) : sendmmsg (c->fd, msgs, n, 0);
      syscalls_send++;
      if (sent <= 0)
        break;
      c->in_flight += sent;
      datagrams_sent += sent;
      count -= sent;
    }
}

static void
client_readable (Client *c)
{
  static guint8 bufs[BATCH][2048];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  gint n, got = 0;
  gint64 t = now_us ();

  recv_batch_init (msgs, iov, bufs, NULL);
  n = recvmmsg (c->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
  for (gint i = 0; i < n; i++)
    {
      gint64 sent;

      if (msgs[i].msg_len < 4 + sizeof sent || get16 (bufs[i]) != c->channel)
        continue;
      memcpy (&sent, bufs[i] + 4, sizeof sent);
      got++;
      if (measuring)
        {
          round_trips++;
          rtt_sum += t - sent;
        }
    }
  if (got > 0)
    {
      c->in_flight = MAX (0, c->in_flight - got);
      c->last_rx = t;
      client_send (c, opt_window - c->in_flight);
    }
}

static gdouble
process_cpu (gint pid)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree gchar *text = NULL;
  gchar **fields, *p;
  gdouble cpu;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (p = strrchr (text, ')')) == NULL)
    return 0;
  fields = g_strsplit (p + 2, " ", -1);
  cpu = (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) / sysconf (_SC_CLK_TCK);
  g_strfreev (fields);
  return cpu;
}

static gdouble
self_cpu (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* The event loop: the echo peer's socket and every client's in one
 * epoll set, level-triggered; with --busy, epoll_wait never sleeps (the
 * generator spins on its core rather than being woken per datagram). */
static void
run (Client *clients, int epfd, gdouble *server0, gdouble *server1, gdouble *self0, gdouble *self1,
     guint64 *rt0, gint64 *start, gint64 *end)
{
  static const int peer_tag = 0;
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = (gpointer) &peer_tag };
  gint64 stop, next_check = 0;

  epoll_ctl (epfd, EPOLL_CTL_ADD, peer_fd, &ev);
  *start = now_us ();
  for (gint i = 0; i < opt_clients; i++)
    {
      clients[i].last_rx = *start;
      client_send (&clients[i], opt_window);
    }
  stop = *start + (gint64) (opt_warmup * 1e6);
  *end = stop + (gint64) (opt_seconds * 1e6);
  while (TRUE)
    {
      struct epoll_event events[64];
      gint n = epoll_wait (epfd, events, 64, opt_busy ? 0 : 50);
      gint64 t;

      for (gint i = 0; i < n; i++)
        if (events[i].data.ptr == &peer_tag)
          echo_readable ();
        else
          client_readable (events[i].data.ptr);
      t = now_us ();
      if (t < next_check)
        continue;
      next_check = t + 10000;
      if (!measuring && t >= stop)
        {
          measuring = TRUE;
          *server0 = opt_server_pid > 0 ? process_cpu (opt_server_pid) : 0;
          *self0 = self_cpu ();
          *rt0 = round_trips;
          syscalls_send = datagrams_sent = 0;
          *start = t;
        }
      if (measuring && t >= *end)
        {
          *server1 = opt_server_pid > 0 ? process_cpu (opt_server_pid) : 0;
          *self1 = self_cpu ();
          *end = t;
          return;
        }
      /* lost messages: resend the window after 200 ms of silence */
      for (gint i = 0; i < opt_clients; i++)
        if (t - clients[i].last_rx > 200000)
          {
            resent += clients[i].in_flight;
            clients[i].in_flight = 0;
            clients[i].last_rx = t;
            client_send (&clients[i], opt_window);
          }
    }
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new ("— an independent TURN load generator");
  g_autoptr (GError) error = NULL;
  struct sockaddr_in peer = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t plen = sizeof peer;
  Client *clients;
  int epfd;
  gint64 start, end;
  gdouble server0 = 0, server1 = 0, self0 = 0, self1 = 0;
  guint64 rt0 = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("turn-gen: %s\n", error->message);
      return 2;
    }
  {
    gchar *colon = strrchr (opt_server, ':');

    if (colon == NULL)
      return 2;
    *colon = '\0';
    server_addr.sin_family = AF_INET;
    server_addr.sin_port = htons (atoi (colon + 1));
    inet_pton (AF_INET, opt_server, &server_addr.sin_addr);
  }
  use_gso = !opt_no_gso;
  if (opt_cpu >= 0)
    {
      cpu_set_t set;

      CPU_ZERO (&set);
      CPU_SET (opt_cpu, &set);
      if (sched_setaffinity (0, sizeof set, &set) < 0)
        {
          g_printerr ("turn-gen: --cpu %d: %s\n", opt_cpu, g_strerror (errno));
          return 2;
        }
    }
  opt_size = CLAMP (opt_size, 8, 1400);
  opt_window = CLAMP (opt_window, 1, 4096);
  peer_fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  {
    int size = 8 << 20;

    setsockopt (peer_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt (peer_fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
  bind (peer_fd, (struct sockaddr *) &peer, sizeof peer);
  getsockname (peer_fd, (struct sockaddr *) &peer, &plen);

  clients = g_new0 (Client, opt_clients);
  epfd = epoll_create1 (0);
  for (gint i = 0; i < opt_clients; i++)
    {
      struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &clients[i] };

      if (!client_setup (&clients[i], i, &peer))
        {
          g_printerr ("turn-gen: client %d could not allocate and bind a channel\n", i);
          return 1;
        }
      epoll_ctl (epfd, EPOLL_CTL_ADD, clients[i].fd, &ev);
    }
  run (clients, epfd, &server0, &server1, &self0, &self1, &rt0, &start, &end);
  {
    gdouble secs = (end - start) / 1e6;
    guint64 rt = round_trips - rt0;

    printf ("round_trips_per_s=%.0f\n", rt / secs);
    printf ("rtt_us=%.1f\n", rt > 0 ? (gdouble) rtt_sum / rt : 0);
    printf ("server_cpu_ms_per_1k=%.4f\n", rt > 0 ? (server1 - server0) * 1e6 / rt : 0);
    printf ("server_cpu_pct=%.1f\n", (server1 - server0) / secs * 100);
    printf ("generator_cpu_ms_per_1k=%.4f\n", rt > 0 ? (self1 - self0) * 1e6 / rt : 0);
    printf ("generator_cpu_pct=%.1f\n", (self1 - self0) / secs * 100);
    printf ("generator_datagrams_per_send=%.2f\n",
            syscalls_send > 0 ? (gdouble) datagrams_sent / syscalls_send : 0);
    printf ("gso=%d\n", use_gso);
    printf ("busy=%d\n", opt_busy);
    printf ("resent=%" G_GUINT64_FORMAT "\n", resent);
  }
  return 0;
}
