/* nav-sctp-rx.c: the receiving half of the association
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Received TSNs are the cumulative TSN and a sorted list of ranges above
 * it: the gap blocks of the next SACK (RFC 9260 §3.3.4, §6.2).
 *
 * Reassembly keeps one copy of every byte.  A message that arrives whole
 * and may be delivered at once is handed over from the packet itself.  A
 * fragmented one grows in one buffer, sized from the previous message of
 * its stream, as long as its fragments come in order; only a fragment that
 * arrives ahead of its predecessor is held on its own (and copied into the
 * message when the gap fills).  Messages are found by TSN adjacency with
 * DATA (a message's fragments have consecutive TSNs) and by message id and
 * fragment sequence number with I-DATA (RFC 8260).
 *
 * Everything held is charged to the receive window, with a per-item
 * overhead so that a peer sending one-byte fragments cannot hold more than
 * a window's worth of memory; the received ranges, the TSN distance above
 * the cumulative TSN and the message size are bounded too.
 */
#include "config.h"

#include "nav-sctp-private.h"

#include <glib/gi18n-lib.h>

static inline gboolean
key_lt (NavSctpAssociation *a,
        guint32             x,
        guint32             y)
{
  return a->peer_idata ? TSN_LT (x, y) : SSN_LT ((guint16) x, (guint16) y);
}

static inline guint32
key_next (NavSctpAssociation *a,
          guint32             k)
{
  return a->peer_idata ? k + 1 : (k + 1) & 0xffff;
}

static inline guint32
key_distance (NavSctpAssociation *a,
              guint32             from,
              guint32             k)
{
  return a->peer_idata ? k - from : (guint16) (k - from);
}

static NavSctpRxStream *
in_stream (NavSctpAssociation *a,
           guint16             id,
           gboolean            create)
{
  NavSctpRxStream **page = a->in_pages[id >> 8];
  NavSctpRxStream *s;

  if (page == NULL)
    {
      if (!create)
        return NULL;
      page = a->in_pages[id >> 8] = g_new0 (NavSctpRxStream *, 256);
    }
  s = page[id & 0xff];
  if (s == NULL && create)
    {
      s = page[id & 0xff] = g_new0 (NavSctpRxStream, 1);
      s->id = id;
    }
  return s;
}

static void
mark_dirty (NavSctpAssociation *a,
            NavSctpRxStream    *s)
{
  if (s->dirty)
    return;
  s->dirty = TRUE;
  s->dirty_prev = NULL;
  s->dirty_next = a->dirty;
  if (a->dirty != NULL)
    a->dirty->dirty_prev = s;
  a->dirty = s;
}

static void
unmark_dirty (NavSctpAssociation *a,
              NavSctpRxStream    *s)
{
  if (!s->dirty)
    return;
  s->dirty = FALSE;
  if (s->dirty_prev != NULL)
    s->dirty_prev->dirty_next = s->dirty_next;
  else
    a->dirty = s->dirty_next;
  if (s->dirty_next != NULL)
    s->dirty_next->dirty_prev = s->dirty_prev;
  s->dirty_next = s->dirty_prev = NULL;
}

static gboolean
lane_empty (NavSctpRxLane *l)
{
  return (l->partials == NULL || l->partials->len == 0) && (l->frags == NULL || l->frags->len == 0)
      && (l->ready == NULL || l->ready->len == 0);
}

static void
rx_msg_free (NavSctpAssociation *a,
             NavSctpRxMsg       *m)
{
  a->rx_held -= m->cap + RX_ITEM_OVERHEAD;
  g_free (m->buf);
  g_free (m);
}

static void
rx_frag_free (NavSctpAssociation *a,
              NavSctpRxFrag      *f)
{
  a->rx_held -= f->len + RX_ITEM_OVERHEAD;
  g_free (f);
}

static void
lane_clear (NavSctpAssociation *a,
            NavSctpRxLane      *l)
{
  if (l->partials != NULL)
    {
      for (guint i = 0; i < l->partials->len; i++)
        rx_msg_free (a, l->partials->pdata[i]);
      g_ptr_array_set_size (l->partials, 0);
    }
  if (l->ready != NULL)
    {
      for (guint i = 0; i < l->ready->len; i++)
        rx_msg_free (a, l->ready->pdata[i]);
      g_ptr_array_set_size (l->ready, 0);
    }
  if (l->frags != NULL)
    {
      for (guint i = 0; i < l->frags->len; i++)
        rx_frag_free (a, l->frags->pdata[i]);
      g_ptr_array_set_size (l->frags, 0);
    }
}

static void
lane_free (NavSctpAssociation *a,
           NavSctpRxLane      *l)
{
  lane_clear (a, l);
  g_clear_pointer (&l->partials, g_ptr_array_unref);
  g_clear_pointer (&l->ready, g_ptr_array_unref);
  g_clear_pointer (&l->frags, g_ptr_array_unref);
}

void
nav_sctp_rx_init (NavSctpAssociation *a)
{
  a->rx_ranges = g_array_new (FALSE, FALSE, sizeof (NavSctpRange));
  g_queue_init (&a->parked);
}

void
nav_sctp_rx_reset (NavSctpAssociation *a)
{
  NavSctpRxFrag *f;

  for (guint p = 0; p < STREAM_PAGES; p++)
    {
      if (a->in_pages[p] == NULL)
        continue;
      for (guint i = 0; i < 256; i++)
        {
          NavSctpRxStream *s = a->in_pages[p][i];

          if (s == NULL)
            continue;
          lane_free (a, &s->lane[0]);
          lane_free (a, &s->lane[1]);
          g_free (s);
        }
      g_clear_pointer (&a->in_pages[p], g_free);
    }
  a->dirty = NULL;
  while ((f = g_queue_pop_head (&a->parked)) != NULL)
    rx_frag_free (a, f);
  g_array_set_size (a->rx_ranges, 0);
  a->rx_n_dups = 0;
  a->rx_data_packets = 0;
  a->sack_pending = FALSE;
  g_assert (a->rx_held == 0);
}

void
nav_sctp_rx_start (NavSctpAssociation *a,
                   guint32             peer_initial_tsn)
{
  a->rx_cum = peer_initial_tsn - 1;
  a->rx_highest = a->rx_cum;
  a->rx_last_arwnd = a->opt.receive_buffer;
}

gsize
nav_sctp_rx_window (NavSctpAssociation *a)
{
  gsize used = a->rx_held + a->rx_app_held;

  return used >= a->opt.receive_buffer ? 0 : a->opt.receive_buffer - used;
}

gboolean
nav_sctp_rx_has_gaps (NavSctpAssociation *a)
{
  return a->rx_ranges->len > 0;
}

/* ---- received TSNs ---- */

/* The index of the first range whose end is at or above @tsn. */
static guint
range_lower_bound (NavSctpAssociation *a,
                   guint32             tsn)
{
  const NavSctpRange *r = (const NavSctpRange *) a->rx_ranges->data;
  guint lo = 0, hi = a->rx_ranges->len;

  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;

      if (TSN_LT (r[mid].end, tsn))
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static gboolean
tsn_seen (NavSctpAssociation *a,
          guint32             tsn)
{
  guint i;

  if (TSN_LE (tsn, a->rx_cum))
    return TRUE;
  i = range_lower_bound (a, tsn);
  return i < a->rx_ranges->len && TSN_LE (g_array_index (a->rx_ranges, NavSctpRange, i).start, tsn);
}

/* Recording @tsn would need one more range than the limit allows. */
static gboolean
tsn_overflows (NavSctpAssociation *a,
               guint32             tsn)
{
  guint i;

  if (a->rx_ranges->len < RX_MAX_RANGES || tsn == a->rx_cum + 1)
    return FALSE;
  i = range_lower_bound (a, tsn - 1);
  if (i < a->rx_ranges->len)
    {
      const NavSctpRange *r = &g_array_index (a->rx_ranges, NavSctpRange, i);

      if (r->end + 1 == tsn || r->start - 1 == tsn)
        return FALSE;
    }
  return TRUE;
}

static void
ranges_merge_front (NavSctpAssociation *a)
{
  guint n = 0;

  while (n < a->rx_ranges->len)
    {
      NavSctpRange *r = &g_array_index (a->rx_ranges, NavSctpRange, n);

      if (TSN_LE (r->end, a->rx_cum))
        n++;
      else if (TSN_LE (r->start, a->rx_cum + 1))
        {
          a->rx_cum = r->end;
          n++;
        }
      else
        break;
    }
  if (n > 0)
    g_array_remove_range (a->rx_ranges, 0, n);
}

static void
tsn_record (NavSctpAssociation *a,
            guint32             tsn)
{
  if (TSN_GT (tsn, a->rx_highest))
    a->rx_highest = tsn;
  if (tsn == a->rx_cum + 1)
    {
      a->rx_cum = tsn;
      if (a->rx_ranges->len > 0)
        ranges_merge_front (a);
      return;
    }
  {
    guint i = range_lower_bound (a, tsn - 1);
    NavSctpRange *r = (NavSctpRange *) a->rx_ranges->data;
    gboolean joins_prev = i < a->rx_ranges->len && r[i].end + 1 == tsn;
    gboolean joins_next;

    if (joins_prev)
      {
        r[i].end = tsn;
        if (i + 1 < a->rx_ranges->len && r[i + 1].start == tsn + 1)
          {
            r[i].end = r[i + 1].end;
            g_array_remove_index (a->rx_ranges, i + 1);
          }
        return;
      }
    joins_next = i < a->rx_ranges->len && r[i].start == tsn + 1;
    if (joins_next)
      {
        r[i].start = tsn;
        return;
      }
    {
      NavSctpRange nr = { tsn, tsn };

      g_array_insert_val (a->rx_ranges, i, nr);
    }
  }
}

/* ---- delivery ---- */

static void
deliver (NavSctpAssociation *a,
         guint16             stream_id,
         guint32             ppid,
         gboolean            unordered,
         const guint8       *data,
         gsize               len,
         guint8             *owned)
{
  NavSctpEvent *ev = nav_sctp_event_push (a, EV_MESSAGE);

  ev->msg.stream_id = stream_id;
  ev->msg.ppid = ppid;
  ev->msg.unordered = unordered;
  ev->msg.len = len;
  if (owned == NULL && !a->input_stable)
    owned = g_memdup2 (data, len);
  ev->msg.owned = owned;
  ev->msg.data = owned != NULL ? owned : data;
  a->stats.messages_received++;
  if (a->opt.manual_receive_window)
    a->rx_app_held += len;
}

static void
deliver_msg (NavSctpAssociation *a,
             NavSctpRxStream    *s,
             gboolean            unordered,
             NavSctpRxMsg       *m)
{
  guint8 *buf = m->buf;

  a->rx_held -= m->cap + RX_ITEM_OVERHEAD;
  m->buf = NULL;
  deliver (a, s->id, m->ppid, unordered, buf, m->len, buf);
  g_free (m);
}

static void
drain_ready (NavSctpAssociation *a,
             NavSctpRxStream    *s)
{
  NavSctpRxLane *l = &s->lane[0];

  while (l->ready != NULL && l->ready->len > 0)
    {
      NavSctpRxMsg *m = l->ready->pdata[0];

      if (m->key != l->next_key)
        break;
      g_ptr_array_remove_index (l->ready, 0);
      l->next_key = key_next (a, l->next_key);
      deliver_msg (a, s, FALSE, m);
    }
}

static void
ready_insert (NavSctpAssociation *a,
              NavSctpRxStream    *s,
              NavSctpRxMsg       *m)
{
  NavSctpRxLane *l = &s->lane[0];
  guint32 d = key_distance (a, l->next_key, m->key);
  guint lo = 0, hi;

  if (l->ready == NULL)
    l->ready = g_ptr_array_new ();
  hi = l->ready->len;
  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      NavSctpRxMsg *o = l->ready->pdata[mid];

      if (key_distance (a, l->next_key, o->key) < d)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo < l->ready->len && ((NavSctpRxMsg *) l->ready->pdata[lo])->key == m->key)
    {
      /* The same SSN twice: the second is garbage. */
      a->stats.chunks_dropped++;
      rx_msg_free (a, m);
      return;
    }
  g_ptr_array_insert (l->ready, lo, m);
  mark_dirty (a, s);
}

/* A message is whole: delivered now, or kept for its turn. */
static void
message_complete (NavSctpAssociation *a,
                  NavSctpRxStream    *s,
                  gboolean            unordered,
                  NavSctpRxMsg       *m)
{
  NavSctpRxLane *l = &s->lane[0];

  s->lane[unordered].size_hint = MIN (m->len, a->opt.receive_buffer / 8);
  if (unordered)
    deliver_msg (a, s, TRUE, m);
  else if (m->key == l->next_key)
    {
      l->next_key = key_next (a, l->next_key);
      deliver_msg (a, s, FALSE, m);
      drain_ready (a, s);
    }
  else if (key_lt (a, l->next_key, m->key))
    ready_insert (a, s, m);
  else
    {
      a->stats.chunks_dropped++;
      rx_msg_free (a, m);
    }
}

/* ---- reassembly ---- */

static NavSctpRxMsg *
rx_msg_new (NavSctpAssociation *a,
            NavSctpRxLane      *l,
            guint32             key,
            guint32             first_tsn,
            gsize               first_len,
            gboolean            whole)
{
  NavSctpRxMsg *m = g_new0 (NavSctpRxMsg, 1);

  m->key = key;
  m->first_tsn = first_tsn;
  /* Sized like the stream's previous message: one allocation for a run
   * of equal messages. */
  m->cap = whole ? first_len : MAX (first_len, l->size_hint);
  m->cap = MAX (m->cap, 64);
  m->buf = g_malloc (m->cap);
  a->rx_held += m->cap + RX_ITEM_OVERHEAD;
  if (l->partials == NULL)
    l->partials = g_ptr_array_new ();
  g_ptr_array_add (l->partials, m);
  return m;
}

static gboolean
rx_msg_append (NavSctpAssociation *a,
               NavSctpRxMsg       *m,
               const guint8       *data,
               gsize               len)
{
  if (m->len + len > a->opt.max_message_size)
    {
      nav_sctp_protocol_violation (a, _("the peer sent a message larger than the maximum message size"));
      return FALSE;
    }
  if (m->len + len > m->cap)
    {
      gsize cap = MAX (m->cap * 2, m->len + len);

      cap = MIN (cap, a->opt.max_message_size);
      m->buf = g_realloc (m->buf, cap);
      a->rx_held += cap - m->cap;
      m->cap = cap;
    }
  memcpy (m->buf + m->len, data, len);
  m->len += len;
  return TRUE;
}

static gint
frag_cmp (NavSctpAssociation  *a,
          const NavSctpRxFrag *f,
          guint32              tsn_or_key,
          guint32              fsn)
{
  if (a->peer_idata)
    {
      if (f->key != tsn_or_key)
        return f->key < tsn_or_key ? -1 : 1;
      return f->fsn < fsn ? -1 : (f->fsn > fsn ? 1 : 0);
    }
  return f->tsn < tsn_or_key ? -1 : (f->tsn > tsn_or_key ? 1 : 0);
}

static guint
frag_lower_bound (NavSctpAssociation *a,
                  NavSctpRxLane      *l,
                  guint32             tsn_or_key,
                  guint32             fsn)
{
  guint lo = 0, hi = l->frags != NULL ? l->frags->len : 0;

  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;

      if (frag_cmp (a, l->frags->pdata[mid], tsn_or_key, fsn) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static void
frag_store (NavSctpAssociation *a,
            NavSctpRxStream    *s,
            NavSctpRxLane      *l,
            const NavSctpData  *d)
{
  NavSctpRxFrag *f;
  guint i;

  i = frag_lower_bound (a, l, d->idata ? d->mid : d->tsn, d->fsn);
  if (l->frags != NULL && i < l->frags->len
      && frag_cmp (a, l->frags->pdata[i], d->idata ? d->mid : d->tsn, d->fsn) == 0)
    {
      a->stats.chunks_dropped++;        /* the same fragment twice */
      return;
    }
  f = g_malloc (sizeof *f + d->payload_len);
  f->tsn = d->tsn;
  f->key = d->idata ? d->mid : d->ssn;
  f->fsn = d->fsn;
  f->ppid = d->ppid;
  f->len = (guint32) d->payload_len;
  f->stream_id = d->stream_id;
  f->flags = d->flags;
  f->idata = d->idata;
  memcpy (f->data, d->payload, d->payload_len);
  a->rx_held += f->len + RX_ITEM_OVERHEAD;
  if (l->frags == NULL)
    l->frags = g_ptr_array_new ();
  g_ptr_array_insert (l->frags, i, f);
  mark_dirty (a, s);
}

/* Moves held fragments that continue @m into it; TRUE when it is whole. */
static gboolean
absorb (NavSctpAssociation *a,
        NavSctpRxLane      *l,
        NavSctpRxMsg       *m)
{
  while (l->frags != NULL && l->frags->len > 0)
    {
      guint i = a->peer_idata ? frag_lower_bound (a, l, m->key, m->next)
                              : frag_lower_bound (a, l, m->next, 0);
      NavSctpRxFrag *f;
      gboolean end;

      if (i >= l->frags->len)
        return FALSE;
      f = l->frags->pdata[i];
      if (a->peer_idata ? (f->key != m->key || f->fsn != m->next) : f->tsn != m->next)
        return FALSE;
      if (f->flags & NAV_SCTP_DATA_B)
        return FALSE;           /* cannot continue a message */
      g_ptr_array_remove_index (l->frags, i);
      if (!rx_msg_append (a, m, f->data, f->len))
        {
          rx_frag_free (a, f);
          return FALSE;
        }
      m->next++;
      end = (f->flags & NAV_SCTP_DATA_E) != 0;
      rx_frag_free (a, f);
      if (end)
        return TRUE;
    }
  return FALSE;
}

static NavSctpRxMsg *
find_partial (NavSctpAssociation *a,
              NavSctpRxLane      *l,
              const NavSctpData  *d)
{
  if (l->partials == NULL)
    return NULL;
  for (guint i = 0; i < l->partials->len; i++)
    {
      NavSctpRxMsg *m = l->partials->pdata[i];

      if (d->idata ? m->key == d->mid : m->next == d->tsn)
        return m;
    }
  return NULL;
}

static void
reassemble (NavSctpAssociation *a,
            NavSctpRxStream    *s,
            const NavSctpData  *d)
{
  gboolean unordered = (d->flags & NAV_SCTP_DATA_U) != 0;
  NavSctpRxLane *l = &s->lane[unordered];
  guint32 key = d->idata ? d->mid : d->ssn;
  NavSctpRxMsg *m;
  gboolean whole;

  /* An ordered message already delivered (or skipped): garbage. */
  if (!unordered && key_lt (a, key, s->lane[0].next_key))
    {
      a->stats.chunks_dropped++;
      return;
    }

  if ((d->flags & (NAV_SCTP_DATA_B | NAV_SCTP_DATA_E)) == (NAV_SCTP_DATA_B | NAV_SCTP_DATA_E)
      && (!d->idata || find_partial (a, l, d) == NULL))
    {
      if (d->payload_len > a->opt.max_message_size)
        {
          nav_sctp_protocol_violation (a, _("the peer sent a message larger than the maximum message size"));
          return;
        }
      /* Whole in one chunk: from the packet, when its turn has come. */
      if (unordered || key == s->lane[0].next_key)
        {
          deliver (a, s->id, d->ppid, unordered, d->payload, d->payload_len, NULL);
          if (!unordered)
            {
              s->lane[0].next_key = key_next (a, key);
              drain_ready (a, s);
            }
          return;
        }
      m = rx_msg_new (a, l, key, d->tsn, d->payload_len, TRUE);
      g_ptr_array_remove_fast (l->partials, m);
      m->ppid = d->ppid;
      rx_msg_append (a, m, d->payload, d->payload_len);
      ready_insert (a, s, m);
      return;
    }

  if (!d->idata)
    {
      if (d->flags & NAV_SCTP_DATA_B)
        {
          m = rx_msg_new (a, l, unordered ? 0 : key, d->tsn, d->payload_len, FALSE);
          m->ppid = d->ppid;
          m->next = d->tsn;
        }
      else
        {
          m = find_partial (a, l, d);
          if (m == NULL)
            {
              frag_store (a, s, l, d);
              return;
            }
        }
    }
  else
    {
      m = find_partial (a, l, d);
      if (m == NULL)
        {
          m = rx_msg_new (a, l, key, d->tsn, d->payload_len, FALSE);
          m->next = 0;
        }
      if (d->flags & NAV_SCTP_DATA_B)
        m->ppid = d->ppid;
      if (d->fsn != m->next)
        {
          if (TSN_LT (d->fsn, m->next))
            a->stats.chunks_dropped++;
          else
            frag_store (a, s, l, d);
          mark_dirty (a, s);
          return;
        }
    }
  mark_dirty (a, s);
  if (!rx_msg_append (a, m, d->payload, d->payload_len))
    return;
  m->next++;
  whole = (d->flags & NAV_SCTP_DATA_E) != 0 || absorb (a, l, m);
  if (a->state == NAV_SCTP_STATE_CLOSED)
    return;                     /* absorb() found a violation */
  if (whole)
    {
      g_ptr_array_remove (l->partials, m);
      message_complete (a, s, unordered, m);
    }
}

void
nav_sctp_rx_handle_data (NavSctpAssociation *a,
                         const NavSctpData  *d)
{
  guint32 tsn = d->tsn;
  gsize need = d->payload_len + RX_ITEM_OVERHEAD;
  gsize used = a->rx_held + a->rx_app_held;
  NavSctpRxStream *s;

  a->stats.data_chunks_received++;
  if (tsn_seen (a, tsn))
    {
      if (a->rx_n_dups < RX_MAX_DUPS)
        a->rx_dups[a->rx_n_dups++] = tsn;
      a->stats.duplicate_tsns++;
      a->sack_pending = TRUE;
      return;
    }
  if ((guint32) (tsn - a->rx_cum) > RX_TSN_WINDOW)
    {
      a->stats.chunks_dropped++;
      return;
    }
  if (d->payload_len == 0)
    {
      guint8 cause[4];

      /* RFC 9260 §6.2: a DATA chunk without user data aborts. */
      nav_sctp_put32 (cause, tsn);
      nav_sctp_abort_with_cause (a, NAV_SCTP_CAUSE_NO_USER_DATA, cause, 4,
                                 _("the peer sent a DATA chunk without user data"));
      return;
    }
  /* §6.2: with the window closed, new data above the highest TSN is
   * dropped; what fills a hole is still taken, up to twice the window.
   * So is the next TSN expected, unless the reader itself holds the
   * window shut: otherwise a message being reassembled in order could
   * fill the window and wait forever for its own next fragment. */
  if (used + need > a->opt.receive_buffer)
    {
      gboolean fills_hole = TSN_LE (tsn, a->rx_highest);
      gboolean next = tsn == a->rx_cum + 1 && a->rx_app_held + need <= a->opt.receive_buffer;

      if (!(fills_hole || next) || used + need > 2 * a->opt.receive_buffer)
        {
          a->stats.chunks_dropped++;
          a->sack_pending = TRUE;
          return;
        }
    }
  if (tsn_overflows (a, tsn))
    {
      a->stats.chunks_dropped++;
      return;
    }
  if (d->stream_id >= a->in_streams)
    {
      guint8 cause[4];

      /* §6.5: acknowledged, reported, dropped. */
      nav_sctp_put16 (cause, d->stream_id);
      nav_sctp_put16 (cause + 2, 0);
      nav_sctp_queue_error (a, NAV_SCTP_CAUSE_INVALID_STREAM, cause, 4);
      tsn_record (a, tsn);
      return;
    }
  if (d->flags & NAV_SCTP_DATA_I)
    a->sack_pending = TRUE;     /* RFC 7053 */
  if (nav_sctp_reconfig_stream_deferred (a, d->stream_id, tsn))
    {
      NavSctpRxFrag *f = g_malloc (sizeof *f + d->payload_len);

      /* RFC 6525 §5.2.2: data after a reset the peer asked for, before we
       * could perform it, waits for the reset. */
      f->tsn = tsn;
      f->key = d->idata ? d->mid : d->ssn;
      f->fsn = d->fsn;
      f->ppid = d->ppid;
      f->len = (guint32) d->payload_len;
      f->stream_id = d->stream_id;
      f->flags = d->flags;
      f->idata = d->idata;
      memcpy (f->data, d->payload, d->payload_len);
      a->rx_held += f->len + RX_ITEM_OVERHEAD;
      g_queue_push_tail (&a->parked, f);
      tsn_record (a, tsn);
      return;
    }
  tsn_record (a, tsn);
  s = in_stream (a, d->stream_id, TRUE);
  reassemble (a, s, d);
}

void
nav_sctp_rx_packet_done (NavSctpAssociation *a,
                         gboolean            had_data,
                         gboolean            had_gaps_before)
{
  if (!had_data)
    return;
  nav_sctp_reconfig_cum_advanced (a);
  a->rx_data_packets++;
  /* §6.7: at once with gaps (and when one fills), duplicates, or every
   * second packet; otherwise within the delayed ack timeout. */
  if (a->rx_n_dups > 0 || had_gaps_before || a->rx_ranges->len > 0 || a->rx_data_packets >= 2
      || a->state >= NAV_SCTP_STATE_SHUTDOWN_PENDING || a->opt.delayed_ack_us <= 0)
    a->sack_pending = TRUE;
  if (a->sack_pending)
    nav_sctp_timer_stop (a, TIMER_DELAYED_ACK);
  else if (!nav_sctp_timer_running (a, TIMER_DELAYED_ACK))
    nav_sctp_timer_start (a, TIMER_DELAYED_ACK, a->opt.delayed_ack_us);
}

gboolean
nav_sctp_rx_write_sack (NavSctpAssociation *a,
                        NavSctpWriter      *w)
{
  gsize room = nav_sctp_writer_room (w);
  guint n_gaps, n_dups;
  gsize arwnd = nav_sctp_rx_window (a);
  guint8 *v;

  if (room < 12)
    return FALSE;
  n_gaps = MIN (a->rx_ranges->len, (room - 12) / 4);
  n_dups = MIN (a->rx_n_dups, (room - 12 - 4 * n_gaps) / 4);
  v = nav_sctp_writer_add_chunk (w, NAV_SCTP_CHUNK_SACK, 0, 12 + 4 * (n_gaps + n_dups));
  nav_sctp_put32 (v, a->rx_cum);
  nav_sctp_put32 (v + 4, (guint32) MIN (arwnd, G_MAXUINT32));
  nav_sctp_put16 (v + 8, n_gaps);
  nav_sctp_put16 (v + 10, n_dups);
  v += 12;
  for (guint i = 0; i < n_gaps; i++, v += 4)
    {
      const NavSctpRange *r = &g_array_index (a->rx_ranges, NavSctpRange, i);

      nav_sctp_put16 (v, (guint16) (r->start - a->rx_cum));
      nav_sctp_put16 (v + 2, (guint16) (r->end - a->rx_cum));
    }
  for (guint i = 0; i < n_dups; i++, v += 4)
    nav_sctp_put32 (v, a->rx_dups[i]);
  a->rx_n_dups = 0;
  a->rx_data_packets = 0;
  a->sack_pending = FALSE;
  a->rx_last_arwnd = arwnd;
  nav_sctp_timer_stop (a, TIMER_DELAYED_ACK);
  a->stats.sacks_sent++;
  return TRUE;
}

/* ---- FORWARD-TSN (RFC 3758 §3.6, RFC 8260 §2.3) ---- */

/* Drops what is held in @l up to @upto: by key (SSN / MID) with I-DATA,
 * by TSN with DATA, whose messages' fragments have consecutive TSNs. */
static void
lane_discard (NavSctpAssociation *a,
              NavSctpRxLane      *l,
              gboolean            by_key,
              guint32             upto)
{
  if (l->partials != NULL)
    for (guint i = 0; i < l->partials->len;)
      {
        NavSctpRxMsg *m = l->partials->pdata[i];

        if (TSN_LE (by_key ? m->key : m->first_tsn, upto))
          {
            g_ptr_array_remove_index (l->partials, i);
            rx_msg_free (a, m);
          }
        else
          i++;
      }
  if (l->frags != NULL)
    for (guint i = 0; i < l->frags->len;)
      {
        NavSctpRxFrag *f = l->frags->pdata[i];

        if (TSN_LE (by_key ? f->key : f->tsn, upto))
          {
            g_ptr_array_remove_index (l->frags, i);
            rx_frag_free (a, f);
          }
        else
          i++;
      }
}

void
nav_sctp_rx_handle_forward_tsn (NavSctpAssociation      *a,
                                const NavSctpForwardTsn *fwd)
{
  guint32 new_cum = fwd->new_cum_tsn;

  a->sack_pending = TRUE;
  if (TSN_LE (new_cum, a->rx_cum))
    return;
  a->rx_cum = new_cum;
  if (TSN_GT (new_cum, a->rx_highest))
    a->rx_highest = new_cum;
  /* Ranges at or below the new point go; one straddling it is cut. */
  while (a->rx_ranges->len > 0)
    {
      NavSctpRange *r = &g_array_index (a->rx_ranges, NavSctpRange, 0);

      if (TSN_LE (r->end, new_cum))
        g_array_remove_index (a->rx_ranges, 0);
      else
        {
          if (TSN_LE (r->start, new_cum))
            r->start = new_cum + 1;
          break;
        }
    }
  ranges_merge_front (a);

  /* DATA: a message's fragments are consecutive TSNs, so what is held at
   * or below the new point belongs to abandoned messages. */
  if (!fwd->idata)
    for (NavSctpRxStream *s = a->dirty; s != NULL; s = s->dirty_next)
      {
        lane_discard (a, &s->lane[0], FALSE, new_cum);
        lane_discard (a, &s->lane[1], FALSE, new_cum);
      }

  for (guint i = 0; i < fwd->n_entries; i++)
    {
      guint16 sid;
      gboolean unordered;
      guint32 key;
      NavSctpRxStream *s;
      NavSctpRxLane *l;

      nav_sctp_forward_tsn_entry (fwd, i, &sid, &unordered, &key);
      if (sid >= a->in_streams)
        continue;
      s = in_stream (a, sid, !unordered);
      if (s == NULL)
        continue;
      l = &s->lane[unordered];
      if (fwd->idata)
        lane_discard (a, l, TRUE, key);
      if (unordered || key_lt (a, key, l->next_key))
        continue;
      /* Complete messages up to the skipped one are delivered, in order. */
      while (l->ready != NULL && l->ready->len > 0)
        {
          NavSctpRxMsg *m = l->ready->pdata[0];

          if (key_lt (a, key, m->key))
            break;
          g_ptr_array_remove_index (l->ready, 0);
          deliver_msg (a, s, FALSE, m);
        }
      l->next_key = key_next (a, key);
      drain_ready (a, s);
    }

  for (NavSctpRxStream *s = a->dirty, *next; s != NULL; s = next)
    {
      next = s->dirty_next;
      if (lane_empty (&s->lane[0]) && lane_empty (&s->lane[1]))
        unmark_dirty (a, s);
    }
  nav_sctp_reconfig_cum_advanced (a);
}

/* ---- stream reset, incoming (RFC 6525 §5.2.2) ---- */

static gint
parked_cmp (gconstpointer x,
            gconstpointer y,
            gpointer      user_data)
{
  const NavSctpRxFrag *f = x, *g = y;

  return TSN_LT (f->tsn, g->tsn) ? -1 : (f->tsn == g->tsn ? 0 : 1);
}

static void
reset_in_stream (NavSctpAssociation *a,
                 NavSctpRxStream    *s)
{
  lane_clear (a, &s->lane[0]);
  lane_clear (a, &s->lane[1]);
  s->lane[0].next_key = 0;
  s->lane[1].next_key = 0;
  unmark_dirty (a, s);
}

void
nav_sctp_rx_reset_streams (NavSctpAssociation *a,
                           const guint16      *streams,
                           guint               n_streams)
{
  GQueue replay = G_QUEUE_INIT;
  NavSctpRxFrag *f;

  /* The listed streams, or all of them when none is listed. */
  for (guint k = 0; k < n_streams; k++)
    {
      NavSctpRxStream *s = in_stream (a, streams[k], FALSE);

      if (s != NULL)
        reset_in_stream (a, s);
    }
  if (n_streams == 0)
    for (guint p = 0; p < STREAM_PAGES; p++)
      {
        if (a->in_pages[p] == NULL)
          continue;
        for (guint i = 0; i < 256; i++)
          if (a->in_pages[p][i] != NULL)
            reset_in_stream (a, a->in_pages[p][i]);
      }
  /* What was parked for the reset now goes through. */
  g_queue_sort (&a->parked, parked_cmp, NULL);
  while ((f = g_queue_pop_head (&a->parked)) != NULL)
    {
      if (nav_sctp_reconfig_stream_deferred (a, f->stream_id, f->tsn))
        g_queue_push_tail (&replay, f);
      else
        {
          NavSctpData d = {
            .tsn = f->tsn, .stream_id = f->stream_id, .ssn = (guint16) f->key, .mid = f->key,
            .fsn = f->fsn, .ppid = f->ppid, .flags = f->flags, .idata = f->idata,
            .payload = f->data, .payload_len = f->len,
          };
          gboolean stable = a->input_stable;

          a->input_stable = FALSE;        /* the fragment is freed below */
          a->rx_held -= f->len + RX_ITEM_OVERHEAD;
          reassemble (a, in_stream (a, f->stream_id, TRUE), &d);
          a->input_stable = stable;
          g_free (f);
        }
    }
  a->parked = replay;
}

void
nav_sctp_rx_consume (NavSctpAssociation *a,
                     gsize               bytes)
{
  gsize after;
  gsize mtu = a->opt.mtu;

  a->rx_app_held -= MIN (bytes, a->rx_app_held);
  after = nav_sctp_rx_window (a);
  /* A window update when the window reopens (§6.2, avoiding silly window
   * updates): from nearly closed, or by a quarter of the buffer. */
  if ((a->rx_last_arwnd < 2 * mtu && after >= 2 * mtu)
      || after >= a->rx_last_arwnd + MAX (2 * mtu, a->opt.receive_buffer / 4))
    a->sack_pending = TRUE;
}
