/* turn-gen.c: an independent TURN load generator (issue 22)
 *
 * Written against the RFCs with plain sockets, not with the project's
 * code (no STUN codec, no socket layer, no GLib main loop of ours), so
 * that it measures a TURN server without sharing its process design:
 *
 * - an echo peer (a thread): every datagram that reaches it goes back to
 *   where it came from (the relayed address);
 * - CLIENTS UDP clients, each allocating with long-term credentials
 *   (RFC 8489 §9.2, MD5 key), binding a channel to the echo peer
 *   (RFC 8656 §12), then keeping WINDOW ChannelData round trips in
 *   flight: a closed loop, every answer sends the next message;
 * - after a warm-up, SECONDS of measurement: round trips per second, the
 *   mean round trip time, the server's CPU time from /proc/PID/stat (every
 *   thread of it) per 1000 round trips, and this generator's own CPU use
 *   (clients and echo peer), so that a saturated machine shows.
 *
 * Lost messages (full socket buffers) are resent after 200 ms of
 * silence, and counted.
 *
 *   turn-gen --server=127.0.0.1:3478 --user=U --password=P --clients=16
 *            --window=32 --size=500 --seconds=5 --server-pid=PID
 *
 * Output: key=value lines.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
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

/* ------------------------------------------------ the echo peer */

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

static int peer_fd;
static volatile gint quit;

static gpointer
echo_main (gpointer data)
{
  static guint8 bufs[BATCH][2048];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_in from[BATCH];

  while (!g_atomic_int_get (&quit))
    {
      struct pollfd pfd = { peer_fd, POLLIN, 0 };
      int n;

      if (poll (&pfd, 1, 100) <= 0)
        continue;
      recv_batch_init (msgs, iov, bufs, from);
      n = recvmmsg (peer_fd, msgs, BATCH, MSG_DONTWAIT, NULL);
      if (n <= 0)
        continue;
      for (int i = 0; i < n; i++)
        iov[i].iov_len = msgs[i].msg_len;
      sendmmsg (peer_fd, msgs, n, 0);
    }
  return NULL;
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

/* Sends @count ChannelData messages, each carrying its send time. */
static void
client_send (Client *c, gint count)
{
  static guint8 frames[BATCH][2048];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  gint64 t = now_us ();

  while (count > 0)
    {
      gint n = MIN (count, BATCH), sent;

      for (gint i = 0; i < n; i++)
        {
          put16 (frames[i], c->channel);
          put16 (frames[i] + 2, opt_size);
          memcpy (frames[i] + 4, &t, sizeof t);
          iov[i].iov_base = frames[i];
          iov[i].iov_len = 4 + opt_size;
          memset (&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
          msgs[i].msg_hdr.msg_iov = &iov[i];
          msgs[i].msg_hdr.msg_iovlen = 1;
        }
      sent = sendmmsg (c->fd, msgs, n, 0);
      if (sent <= 0)
        break;
      c->in_flight += sent;
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

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new ("— an independent TURN load generator");
  g_autoptr (GError) error = NULL;
  struct sockaddr_in peer = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t plen = sizeof peer;
  Client *clients;
  GThread *echo;
  int epfd;
  gint64 start, stop, end;
  gdouble server0 = 0, server1 = 0, self0, self1;
  guint64 rt0;

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
  opt_size = CLAMP (opt_size, 8, 1400);
  peer_fd = socket (AF_INET, SOCK_DGRAM, 0);
  {
    int size = 8 << 20;

    setsockopt (peer_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt (peer_fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
  bind (peer_fd, (struct sockaddr *) &peer, sizeof peer);
  getsockname (peer_fd, (struct sockaddr *) &peer, &plen);
  echo = g_thread_new ("echo-peer", echo_main, NULL);

  clients = g_new0 (Client, opt_clients);
  epfd = epoll_create1 (0);
  for (gint i = 0; i < opt_clients; i++)
    {
      struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &clients[i] };

      if (!client_setup (&clients[i], i, &peer))
        {
          g_printerr ("turn-gen: client %d could not allocate and bind a channel\n", i);
          g_atomic_int_set (&quit, 1);
          g_thread_join (echo);
          return 1;
        }
      epoll_ctl (epfd, EPOLL_CTL_ADD, clients[i].fd, &ev);
    }
  start = now_us ();
  for (gint i = 0; i < opt_clients; i++)
    {
      clients[i].last_rx = start;
      client_send (&clients[i], opt_window);
    }

  stop = start + (gint64) (opt_warmup * 1e6);
  end = stop + (gint64) (opt_seconds * 1e6);
  rt0 = 0;
  self0 = 0;
  while (TRUE)
    {
      struct epoll_event events[64];
      gint n = epoll_wait (epfd, events, 64, 50);
      gint64 t;

      for (gint i = 0; i < n; i++)
        client_readable (events[i].data.ptr);
      t = now_us ();
      if (!measuring && t >= stop)
        {
          measuring = TRUE;
          server0 = opt_server_pid > 0 ? process_cpu (opt_server_pid) : 0;
          self0 = self_cpu ();
          rt0 = round_trips;
          start = t;
        }
      if (measuring && t >= end)
        {
          server1 = opt_server_pid > 0 ? process_cpu (opt_server_pid) : 0;
          self1 = self_cpu ();
          end = t;
          break;
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
  g_atomic_int_set (&quit, 1);
  g_thread_join (echo);
  {
    gdouble secs = (end - start) / 1e6;
    guint64 rt = round_trips - rt0;

    printf ("round_trips_per_s=%.0f\n", rt / secs);
    printf ("rtt_us=%.1f\n", rt > 0 ? (gdouble) rtt_sum / rt : 0);
    printf ("server_cpu_ms_per_1k=%.4f\n", rt > 0 ? (server1 - server0) * 1e6 / rt : 0);
    printf ("server_cpu_pct=%.1f\n", (server1 - server0) / secs * 100);
    printf ("generator_cpu_pct=%.1f\n", (self1 - self0) / secs * 100);
    printf ("resent=%" G_GUINT64_FORMAT "\n", resent);
  }
  return 0;
}
