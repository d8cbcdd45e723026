/* test-sctp-usrsctp.c: our SCTP association against usrsctp, the stack
 * libdatachannel and (until M98) Chromium use
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A differential test: usrsctp (Debian's libusrsctp, linked into this
 * test only, never into the library) speaks SCTP over an in-memory
 * AF_CONN path with our association, configured as libdatachannel
 * configures it.  usrsctp runs without threads (usrsctp_init_nothreads)
 * and its timers are driven from the same virtual clock as ours, so that
 * minutes of retransmissions cost milliseconds.
 *
 * Both roles and the simultaneous open WebRTC uses; many messages both
 * ways, ordered and unordered, up to 64 KiB, with loss on the path, every
 * byte checked; partial reliability both ways; stream resets both ways;
 * shutdown from either side.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "sctp-link.h"
#include "sctp-usrsctp-config.h"
#include "nav-sctp-association.h"
#include "nav-sctp-packet.h"

#define SEC G_GINT64_CONSTANT (1000000)
#define MS G_GINT64_CONSTANT (1000)
#define PPID_BINARY 53
#define N_ORDERED 4
#define N_STREAMS 6

typedef struct {
  gint64 at;
  guint64 seq;
  gboolean to_usr;
  GBytes *data;
} Pkt;

typedef struct {
  guint16 stream;
  guint32 ppid;
  gboolean unordered;
  GBytes *data;
} Msg;

typedef struct {
  gint64 now;
  gint64 usr_ms;                /* usrsctp's clock, in ms */
  guint64 seq;
  GSequence *in_flight;
  GRand *rand;
  gdouble loss;                 /* both ways */
  gdouble data_loss;            /* packets with DATA from the sender under test */
  gint64 delay;

  NavSctpAssociation *ours;
  gboolean ours_up;
  gboolean ours_closed;
  NavSctpCloseReason ours_close_reason;
  GPtrArray *ours_received;
  GArray *ours_reset_in;
  GArray *ours_reset_out;
  guint ours_abandoned;

  struct socket *usr_listen;
  struct socket *usr;
  gboolean usr_up;
  gboolean usr_closed;
  GByteArray *usr_partial;
  GPtrArray *usr_received;
  GArray *usr_reset_in;
  GArray *usr_reset_out;
  gboolean usr_interleaving;

  /* Traffic both ways. */
  guint n;
  guint sent_ours;
  guint sent_usr;
  NavSctpSendOptions ours_opts;
  gint usr_pr_policy;
  guint32 usr_pr_value;
  guint64 packets_to_usr;
  guint64 packets_to_ours;
  gboolean break_checksum;      /* flip a bit of our packets' CRC32c */
  guint16 port;                 /* both ends' */
} Diff;

static Diff *current;

static void
msg_free (gpointer p)
{
  Msg *m = p;

  g_bytes_unref (m->data);
  g_free (m);
}

static void
pkt_free (Pkt *p)
{
  g_bytes_unref (p->data);
  g_free (p);
}

static gint
pkt_cmp (gconstpointer x,
         gconstpointer y,
         gpointer      user_data)
{
  const Pkt *p = x, *q = y;

  if (p->at != q->at)
    return p->at < q->at ? -1 : 1;
  return p->seq < q->seq ? -1 : (p->seq > q->seq ? 1 : 0);
}

static void
path_send (Diff         *d,
           gboolean      to_usr,
           const guint8 *data,
           gsize         len)
{
  Pkt *p;

  if (g_rand_double (d->rand) < d->loss)
    return;
  if (d->data_loss > 0 && sctp_packet_carries_data (data, len) && g_rand_double (d->rand) < d->data_loss)
    return;
  p = g_new0 (Pkt, 1);
  p->at = d->now + d->delay;
  p->seq = d->seq++;
  p->to_usr = to_usr;
  p->data = g_bytes_new (data, len);
  g_sequence_insert_sorted (d->in_flight, p, pkt_cmp, NULL);
}

/* ---- usrsctp's side ---- */

static int
usr_conn_output (void    *addr,
                 void    *buf,
                 size_t   length,
                 uint8_t  tos,
                 uint8_t  set_df)
{
  if (current != NULL)
    {
      current->packets_to_ours++;
      path_send (current, FALSE, buf, length);
    }
  return 0;
}

static void
usr_notification (Diff                     *d,
                  const union sctp_notification *n,
                  size_t                    len)
{
  switch (n->sn_header.sn_type)
    {
    case SCTP_ASSOC_CHANGE:
      if (n->sn_assoc_change.sac_state == SCTP_COMM_UP)
        d->usr_up = TRUE;
      else if (n->sn_assoc_change.sac_state == SCTP_SHUTDOWN_COMP
               || n->sn_assoc_change.sac_state == SCTP_COMM_LOST)
        d->usr_closed = TRUE;
      break;
    case SCTP_STREAM_RESET_EVENT:
      {
        const struct sctp_stream_reset_event *e = &n->sn_strreset_event;
        guint count = (e->strreset_length - sizeof *e) / sizeof (guint16);

        if (e->strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED))
          break;
        for (guint i = 0; i < count; i++)
          g_array_append_val ((e->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN)
                              ? d->usr_reset_in : d->usr_reset_out, e->strreset_stream_list[i]);
      }
      break;
    default:
      break;
    }
}

static int
usr_receive (struct socket           *sock,
             union sctp_sockstore     addr,
             void                    *data,
             size_t                   datalen,
             struct sctp_rcvinfo      rcv,
             int                      flags,
             void                    *ulp_info)
{
  Diff *d = current;

  if (d == NULL || data == NULL)
    {
      if (d != NULL)
        d->usr_closed = TRUE;
      return 1;
    }
  if (flags & MSG_NOTIFICATION)
    usr_notification (d, data, datalen);
  else
    {
      g_byte_array_append (d->usr_partial, data, datalen);
      if (flags & MSG_EOR)
        {
          Msg *m = g_new0 (Msg, 1);

          m->stream = rcv.rcv_sid;
          m->ppid = ntohl (rcv.rcv_ppid);
          m->unordered = (rcv.rcv_flags & SCTP_UNORDERED) != 0;
          m->data = g_byte_array_free_to_bytes (d->usr_partial);
          d->usr_partial = g_byte_array_new ();
          g_ptr_array_add (d->usr_received, m);
        }
    }
  free (data);
  return 1;
}

static struct sockaddr_conn
usr_address (Diff *d)
{
  struct sockaddr_conn sc = { 0 };

  sc.sconn_family = AF_CONN;
  sc.sconn_port = htons (d->port);
  sc.sconn_addr = d;
  return sc;
}

/* ---- our side ---- */

static void
ours_send_packet (NavSctpAssociation *a,
                  const guint8       *data,
                  gsize               len,
                  gpointer            user_data)
{
  Diff *d = user_data;

  d->packets_to_usr++;
  if (d->break_checksum)
    {
      guint8 *copy = g_memdup2 (data, len);

      copy[8] ^= 0x01;
      path_send (d, TRUE, copy, len);
      g_free (copy);
      return;
    }
  path_send (d, TRUE, data, len);
}

static gint64
ours_now (gpointer user_data)
{
  Diff *d = user_data;

  return d->now;
}

static void
ours_connected (NavSctpAssociation *a,
                gpointer            user_data)
{
  ((Diff *) user_data)->ours_up = TRUE;
}

static void
ours_message (NavSctpAssociation *a,
              NavSctpMessage     *msg,
              gpointer            user_data)
{
  Diff *d = user_data;
  Msg *m = g_new0 (Msg, 1);

  m->stream = msg->stream_id;
  m->ppid = msg->ppid;
  m->unordered = msg->unordered;
  m->data = nav_sctp_message_steal (msg);
  g_ptr_array_add (d->ours_received, m);
}

static void
ours_closed (NavSctpAssociation *a,
             NavSctpCloseReason  reason,
             const gchar        *detail,
             gpointer            user_data)
{
  Diff *d = user_data;

  d->ours_closed = TRUE;
  d->ours_close_reason = reason;
}

static void
ours_reset (NavSctpAssociation *a,
            gboolean            incoming,
            const guint16      *streams,
            guint               n,
            gpointer            user_data)
{
  Diff *d = user_data;

  g_array_append_vals (incoming ? d->ours_reset_in : d->ours_reset_out, streams, n);
}

static void
ours_abandoned (NavSctpAssociation *a,
                guint16             stream_id,
                guint32             ppid,
                gsize               len,
                guint64             tag,
                gpointer            user_data)
{
  ((Diff *) user_data)->ours_abandoned++;
}

static const NavSctpCallbacks ours_callbacks = {
  .send_packet = ours_send_packet,
  .now = ours_now,
  .connected = ours_connected,
  .message = ours_message,
  .closed = ours_closed,
  .streams_reset = ours_reset,
  .message_abandoned = ours_abandoned,
};

/* ---- the world ---- */

static Diff *
diff_new (guint32  seed,
          gboolean interleaving)
{
  Diff *d = g_new0 (Diff, 1);
  NavSctpOptions o;
  /* A port of its own per test: usrsctp holds a closed socket's a while. */
  static guint16 next_port = 5000;

  d->now = 1000 * SEC;
  d->usr_ms = d->now / MS;
  d->in_flight = g_sequence_new (NULL);
  d->rand = g_rand_new_with_seed (seed);
  d->delay = 10 * MS;
  d->ours_received = g_ptr_array_new_with_free_func (msg_free);
  d->usr_received = g_ptr_array_new_with_free_func (msg_free);
  d->usr_partial = g_byte_array_new ();
  d->ours_reset_in = g_array_new (FALSE, FALSE, sizeof (guint16));
  d->ours_reset_out = g_array_new (FALSE, FALSE, sizeof (guint16));
  d->usr_reset_in = g_array_new (FALSE, FALSE, sizeof (guint16));
  d->usr_reset_out = g_array_new (FALSE, FALSE, sizeof (guint16));
  d->ours_opts.max_retransmits = -1;
  d->ours_opts.lifetime_ms = -1;
  d->usr_interleaving = interleaving;
  current = d;
  usrsctp_register_address (d);

  d->port = next_port++;
  nav_sctp_options_init (&o);
  o.local_port = o.remote_port = d->port;
  o.enable_interleaving = interleaving;
  o.heartbeat_interval_us = 10 * SEC;
  /* As over DTLS: usrsctp (0.9.5) does not announce RFC 9653, so every
   * packet we send must still carry a real checksum, which it checks. */
  o.zero_checksum = seed % 2 == 0;
  d->ours = nav_sctp_association_new (&o, &ours_callbacks, d);
  return d;
}

static void
diff_free (Diff *d)
{
  GSequenceIter *it;

  if (d->usr != NULL)
    usrsctp_close (d->usr);
  if (d->usr_listen != NULL)
    usrsctp_close (d->usr_listen);
  /* Let usrsctp finish with the sockets before the address goes. */
  usrsctp_handle_timers (100);
  usrsctp_deregister_address (d);
  current = NULL;
  nav_sctp_association_free (d->ours);
  for (it = g_sequence_get_begin_iter (d->in_flight); !g_sequence_iter_is_end (it); it = g_sequence_iter_next (it))
    pkt_free (g_sequence_get (it));
  g_sequence_free (d->in_flight);
  g_rand_free (d->rand);
  g_ptr_array_unref (d->ours_received);
  g_ptr_array_unref (d->usr_received);
  g_byte_array_unref (d->usr_partial);
  g_array_unref (d->ours_reset_in);
  g_array_unref (d->ours_reset_out);
  g_array_unref (d->usr_reset_in);
  g_array_unref (d->usr_reset_out);
  g_free (d);
}

static void
usr_open (Diff    *d,
          gboolean active)
{
  struct sockaddr_conn sc = usr_address (d);
  struct socket *s = usrsctp_socket (AF_CONN, SOCK_STREAM, IPPROTO_SCTP, usr_receive, NULL, 0, d);

  g_assert_nonnull (s);
  g_assert_true (sctp_usrsctp_configure (s, 1200, d->usr_interleaving));
  g_assert_cmpint (usrsctp_bind (s, (struct sockaddr *) &sc, sizeof sc), ==, 0);
  if (active)
    {
      int r = usrsctp_connect (s, (struct sockaddr *) &sc, sizeof sc);

      g_assert_true (r == 0 || errno == EINPROGRESS);
      d->usr = s;
    }
  else
    {
      g_assert_cmpint (usrsctp_listen (s, 1), ==, 0);
      d->usr_listen = s;
    }
}

static void
usr_pump_accept (Diff *d)
{
  struct socket *s;

  if (d->usr != NULL || d->usr_listen == NULL)
    return;
  s = usrsctp_accept (d->usr_listen, NULL, NULL);
  if (s == NULL)
    return;
  d->usr = s;
  usrsctp_set_non_blocking (s, 1);
}

/* One event (or ten milliseconds of usrsctp's clock) at a time. */
static void
diff_step (Diff *d)
{
  GSequenceIter *it = g_sequence_get_begin_iter (d->in_flight);
  gint64 next = d->now + 10 * MS;
  gint64 t = nav_sctp_association_get_timeout (d->ours);

  if (!g_sequence_iter_is_end (it))
    next = MIN (next, ((Pkt *) g_sequence_get (it))->at);
  if (t >= 0)
    next = MIN (next, t);
  if (next > d->now)
    d->now = next;
  if (d->now / MS > d->usr_ms)
    {
      usrsctp_handle_timers ((guint32) (d->now / MS - d->usr_ms));
      d->usr_ms = d->now / MS;
    }
  for (;;)
    {
      Pkt *p;

      it = g_sequence_get_begin_iter (d->in_flight);
      if (g_sequence_iter_is_end (it))
        break;
      p = g_sequence_get (it);
      if (p->at > d->now)
        break;
      g_sequence_remove (it);
      if (p->to_usr)
        usrsctp_conninput (d, g_bytes_get_data (p->data, NULL), g_bytes_get_size (p->data), 0);
      else
        nav_sctp_association_handle_input (d->ours, g_bytes_get_data (p->data, NULL), g_bytes_get_size (p->data));
      pkt_free (p);
    }
  t = nav_sctp_association_get_timeout (d->ours);
  if (t >= 0 && t <= d->now)
    nav_sctp_association_handle_timeout (d->ours);
  usr_pump_accept (d);
}

typedef gboolean (*DiffDone) (Diff *d);

static gboolean
diff_run (Diff     *d,
          DiffDone  done,
          void    (*pump) (Diff *d),
          gint64    max)
{
  gint64 deadline = d->now + max;

  while (!done (d))
    {
      if (d->now >= deadline)
        return FALSE;
      if (pump != NULL)
        pump (d);
      diff_step (d);
    }
  return TRUE;
}

static gboolean
both_up (Diff *d)
{
  return d->ours_up && d->usr_up && d->usr != NULL;
}

/* ---- traffic ---- */

static gsize
msg_size (guint i)
{
  static const gsize sizes[] = { 1, 7, 100, 1000, 1172, 1173, 3000, 16 * 1024, 64 * 1024, 200 };

  return MAX (sizes[i % G_N_ELEMENTS (sizes)], 4);
}

static guint32
msg_id (guint stream,
        guint seq)
{
  return (stream << 24) | seq;
}

static void
traffic_pump (Diff *d)
{
  while (d->sent_ours < d->n && nav_sctp_association_get_state (d->ours) == NAV_SCTP_STATE_ESTABLISHED)
    {
      guint stream = d->sent_ours % N_STREAMS;
      GBytes *m = sctp_payload (msg_id (stream, d->sent_ours / N_STREAMS), msg_size (d->sent_ours));
      NavSctpSendOptions o = d->ours_opts;
      gboolean ok;

      o.unordered = stream >= N_ORDERED;
      ok = nav_sctp_association_send_bytes (d->ours, stream, PPID_BINARY, m, &o, NULL);
      g_bytes_unref (m);
      if (!ok)
        break;
      d->sent_ours++;
    }
  while (d->usr != NULL && d->usr_up && d->sent_usr < d->n)
    {
      guint stream = d->sent_usr % N_STREAMS;
      GBytes *m = sctp_payload (msg_id (stream, d->sent_usr / N_STREAMS), msg_size (d->sent_usr + 3));
      struct sctp_sendv_spa spa = { 0 };
      ssize_t r;

      spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
      spa.sendv_sndinfo.snd_sid = stream;
      spa.sendv_sndinfo.snd_ppid = htonl (PPID_BINARY);
      spa.sendv_sndinfo.snd_flags = SCTP_EOR | (stream >= N_ORDERED ? SCTP_UNORDERED : 0);
      if (d->usr_pr_policy != SCTP_PR_SCTP_NONE)
        {
          spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
          spa.sendv_prinfo.pr_policy = d->usr_pr_policy;
          spa.sendv_prinfo.pr_value = d->usr_pr_value;
        }
      r = usrsctp_sendv (d->usr, g_bytes_get_data (m, NULL), g_bytes_get_size (m), NULL, 0,
                         &spa, sizeof spa, SCTP_SENDV_SPA, 0);
      g_bytes_unref (m);
      if (r < 0)
        {
          g_assert_true (errno == EWOULDBLOCK || errno == EAGAIN);
          break;
        }
      d->sent_usr++;
    }
}

static gboolean
traffic_done (Diff *d)
{
  return d->ours_received->len >= d->n && d->usr_received->len >= d->n;
}

/* Exactly once, intact; in order on ordered streams.  With
 * @partial, messages may be missing (abandoned), never duplicated. */
static void
check_received (GPtrArray *received,
                guint      n,
                gboolean   partial)
{
  gint64 next[N_STREAMS];
  GHashTable *seen = g_hash_table_new (NULL, NULL);

  for (guint s = 0; s < N_STREAMS; s++)
    next[s] = -1;
  if (!partial)
    g_assert_cmpuint (received->len, ==, n);
  for (guint i = 0; i < received->len; i++)
    {
      Msg *m = received->pdata[i];
      guint32 id;

      g_assert_true (sctp_payload_check (m->data, &id));
      g_assert_cmpuint (id >> 24, ==, m->stream);
      g_assert_cmpuint (m->ppid, ==, PPID_BINARY);
      g_assert_false (g_hash_table_contains (seen, GUINT_TO_POINTER (id + 1)));
      g_hash_table_add (seen, GUINT_TO_POINTER (id + 1));
      if (m->stream < N_ORDERED)
        {
          g_assert_false (m->unordered);
          if (partial)
            g_assert_cmpint ((gint64) (id & 0xffffff), >, next[m->stream]);
          else
            g_assert_cmpint ((gint64) (id & 0xffffff), ==, next[m->stream] + 1);
          next[m->stream] = id & 0xffffff;
        }
      else
        g_assert_true (m->unordered);
    }
  g_hash_table_unref (seen);
}

typedef enum {
  ROLE_OURS_ACTIVE,
  ROLE_USRSCTP_ACTIVE,
  ROLE_SIMULTANEOUS,
} Role;

static void
connect_roles (Diff *d,
               Role  role)
{
  usr_open (d, role != ROLE_OURS_ACTIVE);
  if (role != ROLE_USRSCTP_ACTIVE)
    {
      /* A first message queued at once rides with our COOKIE ECHO
       * (RFC 9260 §5.1 C) when we are the side that sends one. */
      GBytes *m = sctp_payload (msg_id (N_ORDERED, 0xfffff), 200);

      nav_sctp_association_connect (d->ours);
      g_assert_true (nav_sctp_association_send_bytes (d->ours, N_ORDERED, PPID_BINARY, m, NULL, NULL));
      g_bytes_unref (m);
    }
  g_assert_true (diff_run (d, both_up, NULL, 120 * SEC));
  if (role != ROLE_USRSCTP_ACTIVE)
    {
      gint64 end = d->now + 5 * SEC;

      while (d->usr_received->len == 0 && d->now < end)
        diff_step (d);
      g_assert_cmpuint (d->usr_received->len, ==, 1);
      g_ptr_array_set_size (d->usr_received, 0);
    }
}

static gboolean
resets_done (Diff *d)
{
  return d->ours_reset_out->len > 0 && d->usr_reset_in->len > 0 && d->ours_reset_in->len > 0;
}

static gboolean
both_closed (Diff *d)
{
  return d->ours_closed && d->usr_closed;
}

static void
run_roles (Role     role,
           gboolean interleaving)
{
  Diff *d = diff_new (100 + role, interleaving);
  guint16 ours_stream = 1;
  struct {
    struct sctp_reset_streams r;
    guint16 list[1];
  } reset = { 0 };
  NavSctpStats s;

  connect_roles (d, role);
  nav_sctp_association_get_stats (d->ours, &s);
  g_assert_false (s.zero_checksum_sending);
  g_assert_true (s.partial_reliability);
  g_assert_true (s.reconfig);
  g_assert_false (s.interleaving);
  g_assert_cmpuint (s.outbound_streams, ==, 65535);

  /* Many messages both ways under 5 % loss. */
  d->loss = 0.05;
  d->n = 300;
  g_assert_true (diff_run (d, traffic_done, traffic_pump, 3600 * SEC));
  check_received (d->usr_received, d->n, FALSE);
  check_received (d->ours_received, d->n, FALSE);
  d->loss = 0;

  /* Stream resets both ways (closing a data channel from each side). */
  g_assert_true (nav_sctp_association_reset_streams (d->ours, &ours_stream, 1, NULL));
  reset.r.srs_assoc_id = SCTP_ALL_ASSOC;
  reset.r.srs_flags = SCTP_STREAM_RESET_OUTGOING;
  reset.r.srs_number_streams = 1;
  reset.r.srs_stream_list[0] = 2;
  g_assert_cmpint (usrsctp_setsockopt (d->usr, IPPROTO_SCTP, SCTP_RESET_STREAMS, &reset, sizeof reset), ==, 0);
  g_assert_true (diff_run (d, resets_done, NULL, 60 * SEC));
  g_assert_cmpuint (g_array_index (d->ours_reset_out, guint16, 0), ==, 1);
  g_assert_cmpuint (g_array_index (d->usr_reset_in, guint16, 0), ==, 1);
  g_assert_cmpuint (g_array_index (d->ours_reset_in, guint16, 0), ==, 2);

  /* After the reset the streams start again from sequence 0. */
  {
    GBytes *m = sctp_payload (msg_id (1, 0), 5000);
    guint before = d->usr_received->len;

    g_assert_true (nav_sctp_association_send_bytes (d->ours, 1, PPID_BINARY, m, NULL, NULL));
    while (d->usr_received->len == before && d->now < 2000 * SEC)
      diff_step (d);
    g_assert_cmpuint (d->usr_received->len, ==, before + 1);
    g_assert_true (g_bytes_equal (((Msg *) d->usr_received->pdata[before])->data, m));
    g_bytes_unref (m);
  }

  /* Shutdown: ours starts it when we were active, usrsctp otherwise. */
  if (role == ROLE_OURS_ACTIVE)
    nav_sctp_association_shutdown (d->ours);
  else
    g_assert_cmpint (usrsctp_shutdown (d->usr, SHUT_RDWR), ==, 0);
  g_assert_true (diff_run (d, both_closed, NULL, 60 * SEC));
  g_assert_cmpint (d->ours_close_reason, ==, NAV_SCTP_CLOSE_SHUTDOWN);
  g_test_message ("%" G_GUINT64_FORMAT " packets to usrsctp, %" G_GUINT64_FORMAT " from it",
                  d->packets_to_usr, d->packets_to_ours);
  diff_free (d);
}

static void
test_ours_active (void)
{
  run_roles (ROLE_OURS_ACTIVE, FALSE);
}

static void
test_usrsctp_active (void)
{
  run_roles (ROLE_USRSCTP_ACTIVE, FALSE);
}

static void
test_simultaneous (void)
{
  run_roles (ROLE_SIMULTANEOUS, FALSE);
}

/* Partial reliability both ways: each end abandons, the other skips. */
static gboolean
pr_done (Diff *d)
{
  NavSctpStats s;

  nav_sctp_association_get_stats (d->ours, &s);
  return d->sent_ours == d->n && d->sent_usr == d->n && s.flight_size == 0
         && nav_sctp_association_get_total_buffered_amount (d->ours) == 0;
}

static void
test_partial_reliability (void)
{
  Diff *d = diff_new (200, FALSE);
  guint before_usr, before_ours;

  connect_roles (d, ROLE_SIMULTANEOUS);
  d->ours_opts.max_retransmits = 0;
  d->usr_pr_policy = SCTP_PR_SCTP_RTX;
  d->usr_pr_value = 0;
  d->data_loss = 0.15;
  d->n = 300;
  g_assert_true (diff_run (d, pr_done, traffic_pump, 600 * SEC));
  /* Let what is in flight settle. */
  d->data_loss = 0;
  {
    gint64 end = d->now + 30 * SEC;

    while (d->now < end)
      diff_step (d);
  }
  check_received (d->usr_received, d->n, TRUE);
  check_received (d->ours_received, d->n, TRUE);
  g_assert_cmpuint (d->ours_abandoned, >, 0);
  g_assert_cmpuint (d->usr_received->len, <, d->n);
  g_assert_cmpuint (d->ours_received->len, <, d->n);
  g_test_message ("usrsctp received %u of %u (we abandoned %u); we received %u of %u",
                  d->usr_received->len, d->n, d->ours_abandoned, d->ours_received->len, d->n);
  g_assert_cmpuint (d->usr_received->len + d->ours_abandoned, ==, d->n);

  /* Nothing stalls: a reliable message on every stream still arrives. */
  before_usr = d->usr_received->len;
  before_ours = d->ours_received->len;
  d->ours_opts.max_retransmits = -1;
  d->usr_pr_policy = SCTP_PR_SCTP_NONE;
  d->n += N_STREAMS;
  g_assert_true (diff_run (d, pr_done, traffic_pump, 60 * SEC));
  {
    gint64 end = d->now + 10 * SEC;

    while (d->now < end)
      diff_step (d);
  }
  g_assert_cmpuint (d->usr_received->len, ==, before_usr + N_STREAMS);
  g_assert_cmpuint (d->ours_received->len, ==, before_ours + N_STREAMS);
  check_received (d->usr_received, d->n, TRUE);
  check_received (d->ours_received, d->n, TRUE);
  diff_free (d);
}

/* The usrsctp ABORT reaches us with its reason. */
static void
test_abort_from_usrsctp (void)
{
  Diff *d = diff_new (300, FALSE);
  struct linger l = { .l_onoff = 1, .l_linger = 0 };

  connect_roles (d, ROLE_OURS_ACTIVE);
  /* SO_LINGER 0: close() aborts, as libdatachannel closes. */
  g_assert_cmpint (usrsctp_setsockopt (d->usr, SOL_SOCKET, SO_LINGER, &l, sizeof l), ==, 0);
  usrsctp_close (d->usr);
  d->usr = NULL;
  {
    gint64 end = d->now + 5 * SEC;

    while (!d->ours_closed && d->now < end)
      diff_step (d);
  }
  g_assert_true (d->ours_closed);
  g_assert_cmpint (d->ours_close_reason, ==, NAV_SCTP_CLOSE_ABORTED);
  diff_free (d);
}

/* usrsctp checks our CRC32c: with one bit flipped nothing gets through,
 * the same packets intact connect. */
static void
test_checksum_checked (void)
{
  Diff *d = diff_new (400, FALSE);
  gint64 end;

  d->break_checksum = TRUE;
  usr_open (d, FALSE);
  nav_sctp_association_connect (d->ours);
  end = d->now + 20 * SEC;
  while (d->now < end)
    diff_step (d);
  g_assert_false (d->usr_up);
  g_assert_false (d->ours_up);
  d->break_checksum = FALSE;
  g_assert_true (diff_run (d, both_up, NULL, 120 * SEC));
  diff_free (d);
}

/* I-DATA (RFC 8260) with usrsctp, which announces it when asked. */
static void
test_interleaving (void)
{
  Diff *d = diff_new (500, TRUE);
  NavSctpStats s;

  connect_roles (d, ROLE_SIMULTANEOUS);
  nav_sctp_association_get_stats (d->ours, &s);
  g_assert_true (s.interleaving);
  d->loss = 0.05;
  d->n = 200;
  g_assert_true (diff_run (d, traffic_done, traffic_pump, 3600 * SEC));
  check_received (d->usr_received, d->n, FALSE);
  check_received (d->ours_received, d->n, FALSE);
  diff_free (d);
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
  int r;

  g_test_init (&argc, &argv, NULL);
  sctp_usrsctp_init (usr_conn_output, usr_debug);

  g_test_add_func ("/sctp/usrsctp/ours-active", test_ours_active);
  g_test_add_func ("/sctp/usrsctp/usrsctp-active", test_usrsctp_active);
  g_test_add_func ("/sctp/usrsctp/simultaneous-open", test_simultaneous);
  g_test_add_func ("/sctp/usrsctp/partial-reliability", test_partial_reliability);
  g_test_add_func ("/sctp/usrsctp/abort", test_abort_from_usrsctp);
  g_test_add_func ("/sctp/usrsctp/checksum-checked", test_checksum_checked);
  g_test_add_func ("/sctp/usrsctp/interleaving", test_interleaving);
  r = g_test_run ();
  sctp_usrsctp_finish ();
  return r;
}
