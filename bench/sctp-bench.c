/* sctp-bench.c: SCTP association throughput, ours against usrsctp (the
 * stack libdatachannel's throughput is bound by)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two associations in one process over an in-memory link: no DTLS, no
 * socket, no thread; each packet is copied once into the link's queue and
 * handed to the other end.  A sends --mib MiB reliable and ordered in
 * messages of 64 KiB and of 16 KiB, refilling its send buffer (1 MiB)
 * whenever there is room (back-pressure); B counts the bytes.  The time
 * runs from the first send to the last byte received; the CPU time is the
 * process's (both ends, one thread).  The MTU is 1200, as WebRTC uses.
 *
 * Three pairs in the same run: ours ↔ ours, usrsctp ↔ usrsctp over AF_CONN
 * (without threads, its timers driven from the clock, configured as
 * libdatachannel configures it), and ours ↔ usrsctp both ways.
 *
 *   meson compile -C build sctp-bench && build/bench/sctp-bench [--mib=50] [--runs=3]
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "nav-sctp-association.h"
#include "nav-sctp-crc32c.h"
#include "sctp-usrsctp-config.h"

#define MTU 1200
#define SEND_BUFFER (1024 * 1024)
#define SLOT 2048

/* ---- the link: two FIFOs of packet slots ---- */

typedef struct {
  guint8 (*slots)[SLOT];
  guint16 *lens;
  guint cap;
  guint head;
  guint count;
  gboolean discard;
} Fifo;

/* Where a closed usrsctp end's last packets (its timers fire after the
 * run) go. */
static Fifo sink = { .discard = TRUE };

static void
fifo_push (Fifo         *f,
           const guint8 *p,
           gsize         len)
{
  if (f->discard)
    return;
  if (len > SLOT)
    g_error ("packet of %" G_GSIZE_FORMAT " bytes", len);
  if (f->count == f->cap)
    {
      guint cap = MAX (f->cap * 2, 256);
      guint8 (*slots)[SLOT] = g_malloc ((gsize) cap * SLOT);
      guint16 *lens = g_new (guint16, cap);

      for (guint i = 0; i < f->count; i++)
        {
          guint k = (f->head + i) % f->cap;

          memcpy (slots[i], f->slots[k], f->lens[k]);
          lens[i] = f->lens[k];
        }
      g_free (f->slots);
      g_free (f->lens);
      f->slots = slots;
      f->lens = lens;
      f->cap = cap;
      f->head = 0;
    }
  {
    guint k = (f->head + f->count) % f->cap;

    memcpy (f->slots[k], p, len);
    f->lens[k] = (guint16) len;
    f->count++;
  }
}

/* ---- endpoints ---- */

typedef struct _End End;

struct _End {
  const gchar *kind;
  Fifo *out;                    /* what this end sends */
  gboolean up;
  gsize received;
  /* ours */
  NavSctpAssociation *assoc;
  /* usrsctp */
  struct socket *sock;
  struct socket *listen;
};

static gint64
now_us (gpointer user_data)
{
  return g_get_monotonic_time ();
}

static void
ours_send_packet (NavSctpAssociation *a,
                  const guint8       *data,
                  gsize               len,
                  gpointer            user_data)
{
  fifo_push (((End *) user_data)->out, data, len);
}

static void
ours_connected (NavSctpAssociation *a,
                gpointer            user_data)
{
  ((End *) user_data)->up = TRUE;
}

static void
ours_message (NavSctpAssociation *a,
              NavSctpMessage     *msg,
              gpointer            user_data)
{
  ((End *) user_data)->received += msg->len;
}

static const NavSctpCallbacks ours_callbacks = {
  .send_packet = ours_send_packet,
  .now = now_us,
  .connected = ours_connected,
  .message = ours_message,
};

/* usrsctp does not let two of its sockets bind one port in a process:
 * A and B have their own, each connects to the other's. */
static void
ours_open (End     *e,
           Fifo    *out,
           guint16  port,
           guint16  peer_port)
{
  NavSctpOptions o;

  nav_sctp_options_init (&o);
  o.local_port = port;
  o.remote_port = peer_port;
  o.mtu = MTU;
  o.send_buffer = SEND_BUFFER;
  o.receive_buffer = 1024 * 1024;
  e->kind = "NetAvanue";
  e->out = out;
  e->assoc = nav_sctp_association_new (&o, &ours_callbacks, e);
  nav_sctp_association_connect (e->assoc);
}

static int
usr_output (void    *addr,
            void    *buf,
            size_t   length,
            uint8_t  tos,
            uint8_t  set_df)
{
  fifo_push (((End *) addr)->out, buf, length);
  return 0;
}

static int
usr_receive (struct socket       *sock,
             union sctp_sockstore addr,
             void                *data,
             size_t               datalen,
             struct sctp_rcvinfo  rcv,
             int                  flags,
             void                *ulp_info)
{
  End *e = ulp_info;

  if (data == NULL)
    return 1;
  if (flags & MSG_NOTIFICATION)
    {
      const union sctp_notification *n = data;

      if (n->sn_header.sn_type == SCTP_ASSOC_CHANGE && n->sn_assoc_change.sac_state == SCTP_COMM_UP)
        e->up = TRUE;
    }
  else
    e->received += datalen;
  free (data);
  return 1;
}

static void
usr_open (End     *e,
          Fifo    *out,
          guint16  port,
          guint16  peer_port)
{
  struct sockaddr_conn sc = { 0 };
  int r;

  e->kind = "usrsctp";
  e->out = out;
  usrsctp_register_address (e);
  e->sock = usrsctp_socket (AF_CONN, SOCK_STREAM, IPPROTO_SCTP, usr_receive, NULL, 0, e);
  if (e->sock == NULL)
    g_error ("usrsctp_socket: %s", g_strerror (errno));
  if (!sctp_usrsctp_configure (e->sock, MTU, FALSE))
    g_error ("usrsctp_setsockopt: %s", g_strerror (errno));
  sc.sconn_family = AF_CONN;
  sc.sconn_port = htons (port);
  sc.sconn_addr = e;
  if (usrsctp_bind (e->sock, (struct sockaddr *) &sc, sizeof sc) < 0)
    g_error ("usrsctp_bind: %s", g_strerror (errno));
  sc.sconn_port = htons (peer_port);
  /* Both ends connect at once, as WebRTC does. */
  r = usrsctp_connect (e->sock, (struct sockaddr *) &sc, sizeof sc);
  if (r < 0 && errno != EINPROGRESS)
    g_error ("usrsctp_connect: %s", g_strerror (errno));
}

/* usrsctp's ends outlive their run: its timers still call them with the
 * address they registered, until usrsctp_finish(). */
static GPtrArray *usr_ends;

static void
end_close (End *e)
{
  if (e->assoc != NULL)
    {
      nav_sctp_association_free (e->assoc);
      g_free (e);
      return;
    }
  e->out = &sink;
  usrsctp_close (e->sock);
  usrsctp_deregister_address (e);
  g_ptr_array_add (usr_ends, e);
}

static void
end_input (End          *e,
           const guint8 *p,
           gsize         len)
{
  if (e->assoc != NULL)
    nav_sctp_association_handle_input (e->assoc, p, len);
  else
    usrsctp_conninput (e, p, len, 0);
}

/* Sends one message; FALSE when the send buffer has no room for it. */
static gboolean
end_send (End    *e,
          GBytes *msg)
{
  if (e->assoc != NULL)
    return nav_sctp_association_send_bytes (e->assoc, 1, 53, msg, NULL, NULL);
  {
    struct sctp_sendv_spa spa = { 0 };
    gsize len;
    const guint8 *data = g_bytes_get_data (msg, &len);

    spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa.sendv_sndinfo.snd_sid = 1;
    spa.sendv_sndinfo.snd_ppid = htonl (53);
    spa.sendv_sndinfo.snd_flags = SCTP_EOR;
    return usrsctp_sendv (e->sock, data, len, NULL, 0, &spa, sizeof spa, SCTP_SENDV_SPA, 0) >= 0;
  }
}

/* ---- one run ---- */

static gint64 usr_clock_ms;

static void
timers (End *a,
        End *b)
{
  gint64 now = g_get_monotonic_time ();
  End *ends[2] = { a, b };

  for (guint i = 0; i < 2; i++)
    if (ends[i]->assoc != NULL)
      {
        gint64 t = nav_sctp_association_get_timeout (ends[i]->assoc);

        if (t >= 0 && t <= now)
          nav_sctp_association_handle_timeout (ends[i]->assoc);
      }
  if (now / 1000 > usr_clock_ms)
    {
      usrsctp_handle_timers ((guint32) (now / 1000 - usr_clock_ms));
      usr_clock_ms = now / 1000;
    }
}

/* Hands every queued packet to its end; TRUE if there were any. */
static gboolean
deliver (Fifo *f,
         End  *to)
{
  gboolean any = f->count > 0;

  while (f->count > 0)
    {
      guint k = f->head;

      /* Out of the queue first: the end may send while it handles it. */
      f->head = (f->head + 1) % f->cap;
      f->count--;
      end_input (to, f->slots[k], f->lens[k]);
    }
  return any;
}

typedef struct {
  double mbps;
  double cpu_s;
} Result;

static double
cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static Result
run_pair (gboolean a_ours,
          gboolean b_ours,
          gsize    total,
          gsize    msg_size)
{
  Fifo ab = { 0 }, ba = { 0 };
  End *pa = g_new0 (End, 1), *pb = g_new0 (End, 1);
  GBytes *msg;
  guint8 *data = g_malloc (msg_size);
  gsize sent = 0;
  gint64 t0, t_start, t_end;
  double cpu0;
  Result r;

  for (gsize i = 0; i < msg_size; i++)
    data[i] = (guint8) (i * 7);
  msg = g_bytes_new_take (data, msg_size);
  usr_clock_ms = g_get_monotonic_time () / 1000;
  t0 = g_get_monotonic_time ();
  /* Fresh ports each run: usrsctp keeps closed sockets' ports a while. */
  static guint16 port = 5000;

  port += 2;
  if (a_ours)
    ours_open (pa, &ab, port, port + 1);
  else
    usr_open (pa, &ab, port, port + 1);
  if (b_ours)
    ours_open (pb, &ba, port + 1, port);
  else
    usr_open (pb, &ba, port + 1, port);
  while (!pa->up || !pb->up)
    {
      gboolean any = deliver (&ab, pb) | deliver (&ba, pa);

      timers (pa, pb);
      if (!any)
        g_usleep (100);
      if (g_get_monotonic_time () - t0 > 10 * G_USEC_PER_SEC)
        g_error ("%s ↔ %s: no association", pa->kind, pb->kind);
    }

  cpu0 = cpu_seconds ();
  t_start = g_get_monotonic_time ();
  while (pb->received < total)
    {
      gboolean any = FALSE;

      while (sent < total && end_send (pa, msg))
        {
          sent += msg_size;
          any = TRUE;
        }
      any |= deliver (&ab, pb);
      any |= deliver (&ba, pa);
      timers (pa, pb);
      if (!any)
        g_usleep (50);
      if (g_get_monotonic_time () - t_start > 120 * G_USEC_PER_SEC)
        g_error ("%s → %s: stalled at %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes",
                 pa->kind, pb->kind, pb->received, total);
    }
  t_end = g_get_monotonic_time ();
  r.cpu_s = cpu_seconds () - cpu0;
  r.mbps = total / 1e6 / ((t_end - t_start) / 1e6);
  end_close (pa);
  end_close (pb);
  g_bytes_unref (msg);
  g_free (ab.slots);
  g_free (ab.lens);
  g_free (ba.slots);
  g_free (ba.lens);
  return r;
}

static Result
best_of (guint    runs,
         gboolean a_ours,
         gboolean b_ours,
         gsize    total,
         gsize    msg_size)
{
  Result best = { 0 };

  for (guint i = 0; i < runs; i++)
    {
      Result r = run_pair (a_ours, b_ours, total, msg_size);

      if (r.mbps > best.mbps)
        best = r;
    }
  return best;
}

static void
usr_debug (const char *format,
           ...)
{
}

int
main (int    argc,
      char **argv)
{
  guint mib = 50, runs = 3;
  gsize sizes[] = { 64 * 1024, 16 * 1024 };

  for (int i = 1; i < argc; i++)
    {
      if (g_str_has_prefix (argv[i], "--mib="))
        mib = (guint) g_ascii_strtoull (argv[i] + 6, NULL, 10);
      else if (g_str_has_prefix (argv[i], "--runs="))
        runs = (guint) g_ascii_strtoull (argv[i] + 7, NULL, 10);
      else
        {
          fprintf (stderr, "usage: %s [--mib=50] [--runs=3]\n", argv[0]);
          return 2;
        }
    }
  usr_ends = g_ptr_array_new_with_free_func (g_free);
  sctp_usrsctp_init (usr_output, usr_debug);

  printf ("SCTP association throughput, %u MiB reliable ordered one way, in-memory link, MTU %d, best of %u\n",
          mib, MTU, runs);
  printf ("(CRC32c: %s; CPU: both ends, one thread)\n\n",
          nav_sctp_crc32c_is_accelerated () ? "SSE4.2" : "table");
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      gsize total = (gsize) mib * 1024 * 1024;
      Result usr = best_of (runs, FALSE, FALSE, total, sizes[s]);
      Result ours = best_of (runs, TRUE, TRUE, total, sizes[s]);
      Result o2u = best_of (runs, TRUE, FALSE, total, sizes[s]);
      Result u2o = best_of (runs, FALSE, TRUE, total, sizes[s]);

      printf ("%" G_GSIZE_FORMAT " KiB messages:\n", sizes[s] / 1024);
      printf ("  usrsctp   -> usrsctp    %8.1f MB/s  %6.3f s CPU\n", usr.mbps, usr.cpu_s);
      printf ("  NetAvanue -> NetAvanue  %8.1f MB/s  %6.3f s CPU  %.2f x usrsctp\n",
              ours.mbps, ours.cpu_s, ours.mbps / usr.mbps);
      printf ("  NetAvanue -> usrsctp    %8.1f MB/s  %6.3f s CPU\n", o2u.mbps, o2u.cpu_s);
      printf ("  usrsctp   -> NetAvanue  %8.1f MB/s  %6.3f s CPU\n\n", u2o.mbps, u2o.cpu_s);
    }
  sctp_usrsctp_finish ();
  g_ptr_array_unref (usr_ends);
  return 0;
}
