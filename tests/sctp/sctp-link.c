/* sctp-link.c: two SCTP associations wired through a simulated link
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "sctp-link.h"
#include "nav-sctp-crc32c.h"
#include "nav-sctp-packet.h"

#include <string.h>

typedef struct {
  gint64 at;
  guint64 seq;
  SctpEnd *to;
  GBytes *data;
} InFlight;

static gint
in_flight_cmp (gconstpointer x,
               gconstpointer y,
               gpointer      user_data)
{
  const InFlight *p = x, *q = y;

  if (p->at != q->at)
    return p->at < q->at ? -1 : 1;
  return p->seq < q->seq ? -1 : (p->seq > q->seq ? 1 : 0);
}

static void
in_flight_free (gpointer data)
{
  InFlight *f = data;

  g_bytes_unref (f->data);
  g_free (f);
}

gboolean
sctp_packet_carries_data (const guint8 *p,
                          gsize         len)
{
  NavSctpTlvIter it;
  NavSctpTlv c;

  nav_sctp_chunk_iter_init (&it, p, len);
  while (nav_sctp_tlv_iter_next (&it, &c) == NAV_SCTP_TLV_OK)
    if (c.type == NAV_SCTP_CHUNK_DATA || c.type == NAV_SCTP_CHUNK_I_DATA)
      return TRUE;
  return FALSE;
}

static void
schedule (SctpEnd *from,
          GBytes  *data,
          gint64   delay)
{
  SctpWorld *w = from->world;
  InFlight *f = g_new0 (InFlight, 1);

  f->at = w->now + delay;
  f->seq = w->seq++;
  f->to = from->peer;
  f->data = g_bytes_ref (data);
  g_sequence_insert_sorted (w->in_flight, f, in_flight_cmp, NULL);
}

static void
end_send_packet (NavSctpAssociation *assoc,
                 const guint8       *data,
                 gsize               len,
                 gpointer            user_data)
{
  SctpEnd *e = user_data;
  SctpLinkConfig *l = &e->link;
  GBytes *bytes = g_bytes_new (data, len);
  gint64 delay = l->delay_us;

  gboolean with_data = sctp_packet_carries_data (data, len);

  e->packets_sent++;
  if (with_data)
    e->data_packets++;
  if (e->capture)
    g_ptr_array_add (e->wire, g_bytes_ref (bytes));
  if (l->down || g_rand_double (e->rand) < l->loss
      || (with_data && l->drop_data_nth == e->data_packets)
      || (l->data_loss > 0 && with_data && g_rand_double (e->rand) < l->data_loss))
    {
      e->packets_lost++;
      g_bytes_unref (bytes);
      return;
    }
  if (l->shared != NULL)
    {
      SctpBottleneck *q = l->shared;
      gint64 start = MAX (e->world->now, q->free_at);
      gint64 wait = start - e->world->now;

      if (q->queue_limit > 0 && (guint64) wait * q->rate / G_USEC_PER_SEC > q->queue_limit)
        {
          q->drops++;
          e->queue_drops++;
          e->packets_lost++;
          g_bytes_unref (bytes);
          return;
        }
      q->max_queue_us = MAX (q->max_queue_us, wait);
      q->free_at = start + (gint64) (len * G_USEC_PER_SEC / q->rate);
      delay += q->free_at - e->world->now;
    }
  else if (l->rate > 0)
    {
      /* The bottleneck: its queue drains at the rate; a full queue drops
       * (tail drop). */
      gint64 start = MAX (e->world->now, e->link_free_at);
      gint64 wait = start - e->world->now;
      gint64 tx = (gint64) (len * G_USEC_PER_SEC / l->rate);

      if (l->queue_limit > 0 && (guint64) wait * l->rate / G_USEC_PER_SEC > l->queue_limit)
        {
          e->queue_drops++;
          e->packets_lost++;
          g_bytes_unref (bytes);
          return;
        }
      e->max_queue_us = MAX (e->max_queue_us, wait);
      e->link_free_at = start + tx;
      delay += wait + tx;
    }
  if (l->reorder > 0 && g_rand_double (e->rand) < l->reorder)
    delay += l->reorder_us;
  schedule (e, bytes, delay);
  if (l->duplicate > 0 && g_rand_double (e->rand) < l->duplicate)
    schedule (e, bytes, delay + 1 + g_rand_int_range (e->rand, 0, 1000));
  g_bytes_unref (bytes);
}

static gint64
end_now (gpointer user_data)
{
  SctpEnd *e = user_data;

  return e->world->now;
}

static void
end_fill_random (guint8  *buf,
                 gsize    len,
                 gpointer user_data)
{
  SctpEnd *e = user_data;

  for (gsize i = 0; i < len; i++)
    buf[i] = (guint8) g_rand_int (e->rand);
}

static void
end_connected (NavSctpAssociation *assoc,
               gpointer            user_data)
{
  SctpEnd *e = user_data;

  e->connected++;
}

static void
end_message (NavSctpAssociation *assoc,
             NavSctpMessage     *msg,
             gpointer            user_data)
{
  SctpEnd *e = user_data;
  SctpReceived *r = g_new0 (SctpReceived, 1);

  r->stream_id = msg->stream_id;
  r->ppid = msg->ppid;
  r->unordered = msg->unordered;
  r->data = nav_sctp_message_steal (msg);
  g_ptr_array_add (e->received, r);
  if (e->on_message != NULL)
    e->on_message (e, msg, e->on_message_data);
}

static void
end_abandoned (NavSctpAssociation *assoc,
               guint16             stream_id,
               guint32             ppid,
               gsize               len,
               guint64             tag,
               gpointer            user_data)
{
  SctpEnd *e = user_data;

  g_array_append_val (e->abandoned, tag);
}

static void
end_streams_reset (NavSctpAssociation *assoc,
                   gboolean            incoming,
                   const guint16      *streams,
                   guint               n,
                   gpointer            user_data)
{
  SctpEnd *e = user_data;

  g_array_append_vals (incoming ? e->reset_incoming : e->reset_outgoing, streams, n);
}

static void
end_streams_reset_failed (NavSctpAssociation *assoc,
                          const guint16      *streams,
                          guint               n,
                          const gchar        *detail,
                          gpointer            user_data)
{
  SctpEnd *e = user_data;

  e->reset_failed++;
}

static void
end_buffered_low (NavSctpAssociation *assoc,
                  guint16             stream_id,
                  gpointer            user_data)
{
  SctpEnd *e = user_data;

  e->buffered_low++;
}

static void
end_total_buffered_low (NavSctpAssociation *assoc,
                        gpointer            user_data)
{
  SctpEnd *e = user_data;

  e->total_buffered_low++;
}

static void
end_closed (NavSctpAssociation *assoc,
            NavSctpCloseReason  reason,
            const gchar        *detail,
            gpointer            user_data)
{
  SctpEnd *e = user_data;

  e->closed = TRUE;
  e->close_reason = reason;
  g_free (e->close_detail);
  e->close_detail = g_strdup (detail);
}

static void
end_restarted (NavSctpAssociation *assoc,
               gpointer            user_data)
{
  SctpEnd *e = user_data;

  e->restarted++;
}

static void
end_error (NavSctpAssociation *assoc,
           const GError       *error,
           gpointer            user_data)
{
  SctpEnd *e = user_data;

  g_ptr_array_add (e->errors, g_strdup (error->message));
}

static const NavSctpCallbacks end_callbacks = {
  .send_packet = end_send_packet,
  .now = end_now,
  .fill_random = end_fill_random,
  .connected = end_connected,
  .message = end_message,
  .message_abandoned = end_abandoned,
  .streams_reset = end_streams_reset,
  .streams_reset_failed = end_streams_reset_failed,
  .buffered_amount_low = end_buffered_low,
  .total_buffered_amount_low = end_total_buffered_low,
  .closed = end_closed,
  .restarted = end_restarted,
  .error = end_error,
};

static void
received_free (gpointer data)
{
  SctpReceived *r = data;

  g_bytes_unref (r->data);
  g_free (r);
}

static void
end_init (SctpWorld            *w,
          SctpEnd              *e,
          SctpEnd              *peer,
          const gchar          *name,
          guint32               seed,
          const NavSctpOptions *options)
{
  e->world = w;
  e->peer = peer;
  e->name = name;
  e->rand = g_rand_new_with_seed (seed);
  e->received = g_ptr_array_new_with_free_func (received_free);
  e->abandoned = g_array_new (FALSE, FALSE, sizeof (guint64));
  e->reset_incoming = g_array_new (FALSE, FALSE, sizeof (guint16));
  e->reset_outgoing = g_array_new (FALSE, FALSE, sizeof (guint16));
  e->errors = g_ptr_array_new_with_free_func (g_free);
  e->wire = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  e->assoc = nav_sctp_association_new (options, &end_callbacks, e);
}

void
sctp_end_restart (SctpEnd              *end,
                  const NavSctpOptions *options)
{
  nav_sctp_association_free (end->assoc);
  end->assoc = nav_sctp_association_new (options, &end_callbacks, end);
}

static void
end_clear (SctpEnd *e)
{
  nav_sctp_association_free (e->assoc);
  g_rand_free (e->rand);
  g_ptr_array_unref (e->received);
  g_array_unref (e->abandoned);
  g_array_unref (e->reset_incoming);
  g_array_unref (e->reset_outgoing);
  g_ptr_array_unref (e->errors);
  g_ptr_array_unref (e->wire);
  g_free (e->close_detail);
}

SctpWorld *
sctp_world_new (guint32               seed,
                const NavSctpOptions *options_a,
                const NavSctpOptions *options_b)
{
  SctpWorld *w = g_new0 (SctpWorld, 1);

  w->now = 1000 * G_USEC_PER_SEC;
  w->rand = g_rand_new_with_seed (seed);
  w->in_flight = g_sequence_new (NULL);
  end_init (w, &w->a, &w->b, "a", seed * 2 + 1, options_a);
  end_init (w, &w->b, &w->a, "b", seed * 2 + 2, options_b);
  return w;
}

void
sctp_world_free (SctpWorld *w)
{
  GSequenceIter *it;

  end_clear (&w->a);
  end_clear (&w->b);
  for (it = g_sequence_get_begin_iter (w->in_flight); !g_sequence_iter_is_end (it);
       it = g_sequence_iter_next (it))
    in_flight_free (g_sequence_get (it));
  g_sequence_free (w->in_flight);
  g_rand_free (w->rand);
  g_free (w);
}

static gint64
next_event (SctpWorld *w)
{
  gint64 t = G_MAXINT64;
  GSequenceIter *it = g_sequence_get_begin_iter (w->in_flight);
  gint64 ta = nav_sctp_association_get_timeout (w->a.assoc);
  gint64 tb = nav_sctp_association_get_timeout (w->b.assoc);

  if (!g_sequence_iter_is_end (it))
    t = ((InFlight *) g_sequence_get (it))->at;
  if (ta >= 0)
    t = MIN (t, ta);
  if (tb >= 0)
    t = MIN (t, tb);
  return t;
}

/* Delivers one packet that is due, then runs the timers that are due: the
 * applications (pump) see every packet's effect. */
static void
step (SctpWorld *w)
{
  for (guint n = 0; n < 1; n++)
    {
      GSequenceIter *it = g_sequence_get_begin_iter (w->in_flight);
      InFlight *f;

      if (g_sequence_iter_is_end (it))
        break;
      f = g_sequence_get (it);
      if (f->at > w->now)
        break;
      /* Out of the sequence first: the association sends (and so
       * schedules) while it handles the packet. */
      g_sequence_remove (it);
      nav_sctp_association_handle_input (f->to->assoc, g_bytes_get_data (f->data, NULL),
                                         g_bytes_get_size (f->data));
      in_flight_free (f);
    }
  for (guint i = 0; i < 2; i++)
    {
      SctpEnd *e = i == 0 ? &w->a : &w->b;
      gint64 t = nav_sctp_association_get_timeout (e->assoc);

      if (t >= 0 && t <= w->now)
        nav_sctp_association_handle_timeout (e->assoc);
    }
  if (w->pump != NULL)
    w->pump (w, w->pump_data);
}

gboolean
sctp_world_run_until (SctpWorld   *w,
                      SctpDoneFunc done,
                      gpointer     data,
                      gint64       max_us)
{
  gint64 deadline = w->now + max_us;

  while (done == NULL || !done (w, data))
    {
      gint64 t = next_event (w);

      if (t == G_MAXINT64 || t > deadline)
        {
          w->now = MAX (w->now, deadline);
          return done != NULL && done (w, data);
        }
      if (t > w->now)
        w->now = t;
      step (w);
    }
  return TRUE;
}

gboolean
sctp_worlds_run_until (SctpWorld  **worlds,
                       guint        n,
                       SctpDoneFunc done,
                       gpointer     data,
                       gint64       max_us)
{
  gint64 deadline = worlds[0]->now + max_us;

  while (done == NULL || !done (worlds[0], data))
    {
      gint64 t = G_MAXINT64;
      guint first = 0;

      for (guint i = 0; i < n; i++)
        {
          gint64 ti = next_event (worlds[i]);

          if (ti < t)
            {
              t = ti;
              first = i;
            }
        }
      if (t == G_MAXINT64 || t > deadline)
        t = deadline;
      for (guint i = 0; i < n; i++)
        worlds[i]->now = MAX (worlds[i]->now, t);
      if (t == deadline)
        return done != NULL && done (worlds[0], data);
      step (worlds[first]);
    }
  return TRUE;
}

void
sctp_world_run_for (SctpWorld *w,
                    gint64     us)
{
  sctp_world_run_until (w, NULL, NULL, us);
}

static gboolean
both_connected (SctpWorld *w,
                gpointer   data)
{
  return w->a.connected > 0 && w->b.connected > 0;
}

gboolean
sctp_world_connect (SctpWorld *w,
                    gboolean   both)
{
  nav_sctp_association_connect (w->a.assoc);
  if (both)
    nav_sctp_association_connect (w->b.assoc);
  return sctp_world_run_until (w, both_connected, NULL, 120 * G_USEC_PER_SEC);
}

void
sctp_end_inject (SctpEnd      *end,
                 const guint8 *packet,
                 gsize         len)
{
  nav_sctp_association_handle_input (end->assoc, packet, len);
}

GBytes *
sctp_payload (guint32 id,
              gsize   len)
{
  guint8 *p = g_malloc (MAX (len, 1));

  for (gsize i = 0; i < len; i++)
    p[i] = (guint8) (id * 131 + i * 7 + (i >> 8));
  if (len >= 4)
    {
      p[0] = id >> 24;
      p[1] = id >> 16;
      p[2] = id >> 8;
      p[3] = id;
    }
  return g_bytes_new_take (p, len);
}

gboolean
sctp_payload_check (GBytes  *data,
                    guint32 *id_out)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (data, &len);
  guint32 id;

  if (len < 4)
    return FALSE;
  id = ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
  for (gsize i = 4; i < len; i++)
    if (p[i] != (guint8) (id * 131 + i * 7 + (i >> 8)))
      return FALSE;
  *id_out = id;
  return TRUE;
}

NavSctpState
sctp_end_state (SctpEnd *end)
{
  return nav_sctp_association_get_state (end->assoc);
}

void
sctp_end_stats (SctpEnd      *end,
                NavSctpStats *stats)
{
  nav_sctp_association_get_stats (end->assoc, stats);
}

GBytes *
sctp_packet_build (guint32       vtag,
                   const guint8 *chunks,
                   gsize         chunks_len)
{
  gsize len = NAV_SCTP_COMMON_HEADER_SIZE + chunks_len;
  guint8 *p = g_malloc0 (len);
  guint32 crc;

  nav_sctp_put16 (p, 5000);
  nav_sctp_put16 (p + 2, 5000);
  nav_sctp_put32 (p + 4, vtag);
  memcpy (p + NAV_SCTP_COMMON_HEADER_SIZE, chunks, chunks_len);
  crc = nav_sctp_crc32c_packet (p, len);
  p[8] = crc & 0xff;
  p[9] = (crc >> 8) & 0xff;
  p[10] = (crc >> 16) & 0xff;
  p[11] = crc >> 24;
  return g_bytes_new_take (p, len);
}

guint32
sctp_end_wire_tag (SctpEnd *end)
{
  for (guint i = end->wire->len; i > 0; i--)
    {
      const guint8 *p = g_bytes_get_data (end->wire->pdata[i - 1], NULL);
      guint32 tag = nav_sctp_get32 (p + 4);

      if (tag != 0)
        return tag;
    }
  return 0;
}
