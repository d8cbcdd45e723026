/* test-agent-receive.c: NavAgent's receive path: the queue of
 * nav_agent_recv_messages() through many wraps of its ring, the
 * datagrams of a receive function in another thread's main context, in
 * order and whole, the socket buffers sized for an unpaced burst (above
 * the system's cap with CAP_NET_ADMIN), and
 * datagrams sent and received as segmented buffers (UDP GSO and GRO)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two agents in one process on 127.0.0.1, connected as in the other
 * agent tests.  Each datagram carries its sequence number and a length
 * and bytes derived from it, so that a datagram cut, doubled, reordered
 * or mixed with another is seen.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include <netavanue/netavanue.h>

#include "agent-test-util.h"
#include "nav-net-socket.h"

typedef struct {
  NavAgent *agent;
  guint stream_id;
  AgentTestWatch watch;
} Peer;

static void
peer_init (Peer     *p,
           gboolean  controlling)
{
  g_autoptr (NavAddress) addr = nav_address_new_from_string ("127.0.0.1", NULL);

  memset (p, 0, sizeof *p);
  p->agent = nav_agent_new (NULL, NAV_COMPATIBILITY_RFC5245);
  g_object_set (p->agent, "controlling-mode", controlling, "ice-tcp", FALSE,
                "stun-pacing-timer", 5, NULL);
  g_assert_true (nav_agent_add_local_address (p->agent, addr));
  agent_test_watch (p->agent, &p->watch);
  p->stream_id = nav_agent_add_stream (p->agent, 1);
}

static void
connect_pair (Peer *p)
{
  agent_test_connect_watched (p[0].agent, p[0].stream_id, &p[0].watch,
                              p[1].agent, p[1].stream_id, &p[1].watch);
}

/* Datagram @seq: 1 to 1400 bytes, its number first, then bytes of it. */
static gsize
make_datagram (guint32  seq,
               guint8  *buf)
{
  gsize len = MAX (sizeof seq, (seq * 7919u) % 1400 + 1);

  memcpy (buf, &seq, sizeof seq);
  for (gsize i = sizeof seq; i < len; i++)
    buf[i] = (guint8) (seq + i);
  return len;
}

static void
check_datagram (guint32       expected,
                const guint8 *buf,
                gsize         len)
{
  guint8 want[1400];
  gsize want_len = make_datagram (expected, want);

  g_assert_cmpuint (len, ==, want_len);
  g_assert_cmpmem (buf, len, want, want_len);
}

/* ------------------------------------------------------ the ring */

typedef struct {
  Peer *p;
  guint32 next;                 /* the next sequence number expected */
  NavAddress from;
  gboolean gaps;                /* a datagram may be missing (a full queue) */
} Drain;

/* Takes what is queued, in chunks of up to 8, checking each. */
static guint
drain_queue (Drain *d)
{
  guint8 buffers[8][1500];
  GInputVector vectors[8];
  NavInputMessage messages[8];
  guint total = 0;
  gint n;

  do
    {
      g_autoptr (GError) error = NULL;

      for (guint i = 0; i < 8; i++)
        {
          vectors[i] = (GInputVector) { buffers[i], sizeof buffers[i] };
          messages[i] = (NavInputMessage) { &vectors[i], 1, &d->from, 0 };
        }
      n = nav_agent_recv_messages_nonblocking (d->p[1].agent, d->p[1].stream_id, 1, messages,
                                               8, NULL, &error);
      if (n < 0)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          break;
        }
      for (gint i = 0; i < n; i++)
        {
          guint32 seq = d->next;

          /* With gaps: whole, in order, never twice. */
          if (d->gaps)
            {
              g_assert_cmpuint (messages[i].length, >=, sizeof seq);
              memcpy (&seq, buffers[i], sizeof seq);
              g_assert_cmpuint (seq, >=, d->next);
            }
          check_datagram (seq, buffers[i], messages[i].length);
          d->next = seq + 1;
        }
      total += n;
    }
  while (n > 0);
  return total;
}

/* Data nobody takes waits in a ring of 1 MiB: 6000 datagrams of 1 to
 * 1400 bytes (4 MiB) in bursts of 96, drained between bursts by
 * recv_messages in chunks, so that the ring wraps many times; each comes
 * out whole, once, in order, from the peer's address. */
static void
test_queue_wraps (void)
{
  Peer p[2];
  Drain d = { p, 0 };
  guint8 buf[1400];
  guint32 seq = 0;
  GSList *remote;

  peer_init (&p[0], TRUE);
  peer_init (&p[1], FALSE);
  connect_pair (p);
  while (seq < 6000)
    {
      guint target = seq + 96;

      for (; seq < target; seq++)
        {
          gsize len = make_datagram (seq, buf);

          g_assert_cmpint (nav_agent_send (p[0].agent, p[0].stream_id, 1, len, (gchar *) buf),
                           ==, (gint) len);
        }
      /* Everything sent so far arrives before the next burst. */
      while (d.next < seq)
        {
          g_main_context_iteration (NULL, FALSE);
          drain_queue (&d);
        }
    }
  g_assert_cmpuint (d.next, ==, seq);
  g_assert_cmpuint (seq, >=, 6000);
  remote = nav_agent_get_local_candidates (p[0].agent, p[0].stream_id, 1);
  g_assert_true (nav_address_equal (&d.from, &((NavCandidate *) remote->data)->addr));
  g_slist_free_full (remote, (GDestroyNotify) nav_candidate_free);
  g_clear_object (&p[0].agent);
  g_clear_object (&p[1].agent);
}

/* A full ring drops what does not fit, as a full socket buffer would
 * (a smaller datagram may still fit after a larger one did not), and
 * keeps the rest whole and in order. */
static void
test_queue_full (void)
{
  Peer p[2];
  Drain d = { .p = p, .gaps = TRUE };
  guint8 buf[1400];
  guint32 seq;
  guint got;

  peer_init (&p[0], TRUE);
  peer_init (&p[1], FALSE);
  connect_pair (p);
  /* About 2.8 MiB unread; the ring holds 1 MiB. */
  for (seq = 0; seq < 4000; seq++)
    {
      gsize len = make_datagram (seq, buf);

      nav_agent_send (p[0].agent, p[0].stream_id, 1, len, (gchar *) buf);
      if (seq % 64 == 0)
        while (g_main_context_iteration (NULL, FALSE))
          ;
    }
  while (g_main_context_iteration (NULL, FALSE))
    ;
  got = drain_queue (&d);
  g_test_message ("%u of 4000 datagrams kept", got);
  g_assert_cmpuint (got, >, 700);
  g_assert_cmpuint (got, <, 4000);
  /* Room again: a new datagram goes through. */
  {
    gsize len = make_datagram (d.next, buf);

    g_assert_cmpint (nav_agent_send (p[0].agent, p[0].stream_id, 1, len, (gchar *) buf), ==,
                     (gint) len);
    while (drain_queue (&d) == 0)
      g_main_context_iteration (NULL, TRUE);
  }
  g_clear_object (&p[0].agent);
  g_clear_object (&p[1].agent);
}

/* ------------------------------------- a receive function elsewhere */

typedef struct {
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  gint received;                /* atomic */
  guint32 next;
  gboolean wrong_thread;
} Elsewhere;

static gpointer
elsewhere_thread (gpointer data)
{
  Elsewhere *e = data;

  g_main_context_push_thread_default (e->context);
  g_main_loop_run (e->loop);
  g_main_context_pop_thread_default (e->context);
  return NULL;
}

static void
on_recv_elsewhere (NavAgent *agent,
                   guint     stream_id,
                   guint     component_id,
                   guint     len,
                   gchar    *buf,
                   gpointer  user_data)
{
  Elsewhere *e = user_data;

  if (!g_main_context_is_owner (e->context))
    e->wrong_thread = TRUE;
  check_datagram (e->next++, (const guint8 *) buf, len);
  g_atomic_int_inc (&e->received);
}

static gboolean
all_arrived (gpointer data)
{
  return g_atomic_int_get (&((Elsewhere *) data)->received) == 3000;
}

static gboolean
quit (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* attach_recv() with a context another thread runs: the datagrams are
 * handed over in batches, and each arrives there whole, once, in order. */
static void
test_receive_function_elsewhere (void)
{
  Elsewhere e = { 0 };
  Peer p[2];
  guint8 buf[1400];

  e.context = g_main_context_new ();
  e.loop = g_main_loop_new (e.context, FALSE);
  e.thread = g_thread_new ("elsewhere", elsewhere_thread, &e);
  peer_init (&p[0], TRUE);
  peer_init (&p[1], FALSE);
  g_assert_true (nav_agent_attach_recv (p[1].agent, p[1].stream_id, 1, e.context,
                                        on_recv_elsewhere, &e));
  connect_pair (p);
  for (guint32 seq = 0; seq < 3000; seq++)
    {
      gsize len = make_datagram (seq, buf);

      g_assert_cmpint (nav_agent_send (p[0].agent, p[0].stream_id, 1, len, (gchar *) buf), ==,
                       (gint) len);
      /* At most 256 in flight: the hand-over is bounded (1 MiB) like a
       * socket buffer, and this is no test of its limit. */
      if (seq % 32 == 0)
        while (g_main_context_iteration (NULL, FALSE) ||
               (guint32) g_atomic_int_get (&e.received) + 256 < seq)
          ;
    }
  wait_for (all_arrived, &e);
  g_assert_false (e.wrong_thread);

  /* Data that arrives for a function detached meanwhile is dropped. */
  g_assert_true (nav_agent_attach_recv (p[1].agent, p[1].stream_id, 1, NULL, NULL, NULL));
  g_main_context_invoke (e.context, quit, e.loop);
  g_thread_join (e.thread);
  g_clear_object (&p[0].agent);
  g_clear_object (&p[1].agent);
  while (g_main_context_iteration (e.context, FALSE))
    ;
  g_main_loop_unref (e.loop);
  g_main_context_unref (e.context);
}

/* --------------------------------------------------- socket buffers */

static gint
read_sysctl (const gchar *path)
{
  g_autofree gchar *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return (gint) g_ascii_strtoll (text, NULL, 10);
}

/* CAP_NET_ADMIN, which SO_RCVBUFFORCE needs: the effective set's bit 12
 * in /proc/self/status. */
static gboolean
have_net_admin (void)
{
  g_autofree gchar *status = NULL;
  const gchar *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "\nCapEff:");
  g_assert_nonnull (line);
  return (g_ascii_strtoull (line + strlen ("\nCapEff:"), NULL, 16) >> 12) & 1;
}

static gint
socket_option (int fd,
               int option)
{
  gint size = 0;
  socklen_t len = sizeof size;

  g_assert_cmpint (getsockopt (fd, SOL_SOCKET, option, &size, &len), ==, 0);
  return size;
}

/* The host candidates' sockets take an unpaced burst: SO_RCVBUF of at
 * least 1 MiB (Linux doubles the request), capped at net.core.rmem_max
 * only for a process that cannot lift the cap. */
static void
test_socket_buffers (void)
{
  g_autoptr (NavAddress) addr = nav_address_new_from_string ("127.0.0.1", NULL);
  g_autoptr (NavUdpTransport) t = nav_udp_transport_new (addr, NULL, NULL);
  gint size = 0, expected = 2 * 1024 * 1024;

  g_assert_nonnull (t);
  g_assert_true (g_socket_get_option (nav_udp_transport_get_socket (t), SOL_SOCKET, SO_RCVBUF,
                                      &size, NULL));
  if (!have_net_admin ())
    expected = MIN (expected, 2 * read_sysctl ("/proc/sys/net/core/rmem_max"));
  g_test_message ("SO_RCVBUF %d, expected at least %d", size, expected);
  g_assert_cmpint (size, >=, expected);
}

/* Above the system's cap: NAV_NET_SOCKET_FORCE_BUFFERS gets the size
 * asked with CAP_NET_ADMIN (SO_RCVBUFFORCE, SO_SNDBUFFORCE), the cap
 * without it; a socket without the flag gets the cap either way. */
static void
test_socket_buffers_forced (void)
{
  g_autoptr (NavAddress) addr = nav_address_new_from_string ("127.0.0.1", NULL);
  gint rmem_max = read_sysctl ("/proc/sys/net/core/rmem_max");
  gint wmem_max = read_sysctl ("/proc/sys/net/core/wmem_max");
  gint ask = 2 * MAX (rmem_max, wmem_max);
  gboolean admin = have_net_admin ();
  int forced, plain, errsv = 0;

  forced = nav_net_socket_open (addr, SOCK_DGRAM, NAV_NET_SOCKET_FORCE_BUFFERS, ask, NULL, &errsv);
  plain = nav_net_socket_open (addr, SOCK_DGRAM, 0, ask, NULL, &errsv);
  g_assert_cmpint (forced, >=, 0);
  g_assert_cmpint (plain, >=, 0);
  g_test_message ("asked %d (rmem_max %d, wmem_max %d, CAP_NET_ADMIN %s): forced %d/%d, plain %d/%d",
                  ask, rmem_max, wmem_max, admin ? "yes" : "no",
                  socket_option (forced, SO_RCVBUF), socket_option (forced, SO_SNDBUF),
                  socket_option (plain, SO_RCVBUF), socket_option (plain, SO_SNDBUF));
  g_assert_cmpint (socket_option (plain, SO_RCVBUF), ==, 2 * rmem_max);
  g_assert_cmpint (socket_option (plain, SO_SNDBUF), ==, 2 * wmem_max);
  g_assert_cmpint (socket_option (forced, SO_RCVBUF), ==, admin ? 2 * ask : 2 * rmem_max);
  g_assert_cmpint (socket_option (forced, SO_SNDBUF), ==, admin ? 2 * ask : 2 * wmem_max);
  close (forced);
  close (plain);
}

/* ------------------------------------------ segmented send and GRO */

typedef struct {
  GPtrArray *datagrams;         /* GBytes */
} Collected;

static void
collect (NavTransport     *transport,
         const guint8     *data,
         gsize             len,
         const NavAddress *from,
         gpointer          user_data)
{
  g_ptr_array_add (((Collected *) user_data)->datagrams, g_bytes_new (data, len));
}

/* A plain UDP socket on 127.0.0.1 with UDP_GRO on: what it reads shows
 * whether datagrams travelled as one segmented buffer. */
static int
gro_socket (NavAddress *bound)
{
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sin;
  int fd = socket (AF_INET, SOCK_DGRAM, 0), one = 1;

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &sin, sizeof sin), ==, 0);
  g_assert_cmpint (setsockopt (fd, SOL_UDP, UDP_GRO, &one, sizeof one), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &sin, &len), ==, 0);
  g_assert_true (nav_address_set_from_sockaddr (bound, (struct sockaddr *) &sin, len));
  return fd;
}

/* Datagrams alike leave a UDP transport as one segmented buffer (UDP
 * GSO): a GRO socket reads them in one piece, segment size attached,
 * and they are what was sent; a shorter last one rides along. */
static void
test_segmented_send (void)
{
  g_autoptr (NavAddress) lo = nav_address_new_from_string ("127.0.0.1", NULL);
  g_autoptr (NavUdpTransport) sender = nav_udp_transport_new (lo, NULL, NULL);
  guint8 payload[11][1200];
  GOutputVector vectors[11];
  NavOutputMessage messages[11];
  guint8 buf[65536];
  union {
    guint8 buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { buf, sizeof buf };
  struct msghdr hdr = { .msg_iov = &iov, .msg_iovlen = 1 };
  struct cmsghdr *cmsg;
  NavAddress to;
  gint segment = 0;
  gssize n;
  int fd = gro_socket (&to);

  for (guint i = 0; i < 11; i++)
    {
      memset (payload[i], 'a' + i, sizeof payload[i]);
      vectors[i] = (GOutputVector) { payload[i], i < 10 ? 1200 : 500 };
      messages[i] = (NavOutputMessage) { &vectors[i], 1 };
    }
  g_assert_cmpint (nav_transport_send_messages (NAV_TRANSPORT (sender), &to, messages, 11, NULL),
                   ==, 11);
  hdr.msg_control = control.buf;
  hdr.msg_controllen = sizeof control.buf;
  n = recvmsg (fd, &hdr, 0);
  g_assert_cmpint (n, ==, 10 * 1200 + 500);
  for (cmsg = CMSG_FIRSTHDR (&hdr); cmsg != NULL; cmsg = CMSG_NXTHDR (&hdr, cmsg))
    if (cmsg->cmsg_level == SOL_UDP && cmsg->cmsg_type == UDP_GRO)
      memcpy (&segment, CMSG_DATA (cmsg), sizeof segment);
  g_assert_cmpint (segment, ==, 1200);
  for (guint i = 0; i < 11; i++)
    g_assert_cmpmem (buf + i * 1200, i < 10 ? 1200 : 500, payload[i], i < 10 ? 1200 : 500);
  close (fd);
}

/* What arrives coalesced (a peer's segmented send) reaches the receive
 * function one datagram at a time, in order; mixed sizes go out
 * datagram by datagram and arrive as sent. */
static void
test_segmented_receive (void)
{
  g_autoptr (NavAddress) lo = nav_address_new_from_string ("127.0.0.1", NULL);
  g_autoptr (NavUdpTransport) sender = nav_udp_transport_new (lo, NULL, NULL);
  g_autoptr (NavUdpTransport) receiver = nav_udp_transport_new (lo, NULL, NULL);
  const NavAddress *to = nav_transport_get_local_address (NAV_TRANSPORT (receiver));
  Collected c = { g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref) };
  static const gsize sizes[] = { 900, 900, 900, 900, 900, 300, 1300, 1300, 20, 20, 20 };
  guint8 payload[G_N_ELEMENTS (sizes)][1300];
  GOutputVector vectors[G_N_ELEMENTS (sizes)];
  NavOutputMessage messages[G_N_ELEMENTS (sizes)];

  nav_transport_set_receive_func (NAV_TRANSPORT (receiver), collect, &c, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      memset (payload[i], 'A' + i, sizes[i]);
      vectors[i] = (GOutputVector) { payload[i], sizes[i] };
      messages[i] = (NavOutputMessage) { &vectors[i], 1 };
    }
  g_assert_cmpint (nav_transport_send_messages (NAV_TRANSPORT (sender), to, messages,
                                                G_N_ELEMENTS (sizes), NULL),
                   ==, G_N_ELEMENTS (sizes));
  while (c.datagrams->len < G_N_ELEMENTS (sizes))
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (g_ptr_array_index (c.datagrams, i), &len);

      g_assert_cmpmem (data, len, payload[i], sizes[i]);
    }
  nav_transport_set_receive_func (NAV_TRANSPORT (receiver), NULL, NULL, NULL);
  g_ptr_array_unref (c.datagrams);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ice/agent/receive/queue-wraps", test_queue_wraps);
  g_test_add_func ("/ice/agent/receive/queue-full", test_queue_full);
  g_test_add_func ("/ice/agent/receive/function-elsewhere", test_receive_function_elsewhere);
  g_test_add_func ("/ice/agent/receive/socket-buffers", test_socket_buffers);
  g_test_add_func ("/ice/agent/receive/socket-buffers-forced", test_socket_buffers_forced);
  g_test_add_func ("/ice/agent/receive/segmented-send", test_segmented_send);
  g_test_add_func ("/ice/agent/receive/segmented-receive", test_segmented_receive);

  return g_test_run ();
}
