/* nav-turn-server-worker.c: the TURN server's workers: each one's
 * round (its events, its sweep, freeing what it closed), and the
 * housekeeping of the control worker (reservations, idle connections)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A worker is a NavNetWorker (core/net): an epoll set served by a thread
 * of its own, or by the server's context for the control worker.  Its
 * events are nav-turn-server-relay.c's (nav_turn_worker_ready()); what
 * it owns is in nav-turn-server-private.h (struct _Worker).
 */
#include "config.h"

#include "nav-turn-server-private.h"

#include <malloc.h>

/* Housekeeping */

static gboolean
reap (gpointer user_data)
{
  NavTurnServer *self = user_data;

  g_clear_pointer (&self->reap_source, g_source_unref);
  g_ptr_array_set_size (self->dead_conns, 0);
  return G_SOURCE_REMOVE;
}

/* Dead connections are freed once the current dispatch is over. */
void
nav_turn_schedule_reap (NavTurnServer *self)
{
  if (self->reap_source != NULL)
    return;
  self->reap_source = g_idle_source_new ();
  g_source_set_priority (self->reap_source, G_PRIORITY_HIGH_IDLE);
  g_source_set_callback (self->reap_source, reap, self, NULL);
  g_source_attach (self->reap_source, self->context);
}

static gboolean
expired_reservation (gpointer key, gpointer value, gpointer user_data)
{
  return ((Reservation *) value)->expires <= *(gint64 *) user_data;
}

/* What the control worker alone sweeps: reservations, idle connections,
 * memory after a burst. */
static void
control_sweep (NavTurnServer *self,
               gint64         now)
{
  GHashTableIter iter;
  gpointer key;

  pthread_mutex_lock (&self->lock);
  g_hash_table_foreach_remove (self->reservations, expired_reservation, &now);
  pthread_mutex_unlock (&self->lock);

  /* Connections that hold no allocation and stay silent are not kept
   * (--tcp-idle-timeout): a control connection lives as long as its
   * allocation (RFC 6062 §4), which its refreshes keep, and a data
   * connection as long as its peer's. */
  {
    g_autoptr (GPtrArray) idle = g_ptr_array_new ();
    gint64 limit = now - (gint64) self->tcp_idle_timeout_ms * 1000;

    g_hash_table_iter_init (&iter, self->conns);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      {
        Conn *conn = key;

        if (conn->kind == CONN_CLIENT && conn->alloc == NULL && !conn->piped &&
            nav_net_stream_get_last_activity (conn->stream) <= limit)
          g_ptr_array_add (idle, conn);
      }
    for (guint i = 0; i < idle->len; i++)
      {
        COUNT (CONTROL (self), tcp_idle_closed);
        nav_turn_conn_close (idle->pdata[i]);
      }
  }
  /* After a burst (of TLS handshakes, of connections), give the freed
   * memory back. */
  if (self->n_client_conns == 0 && self->tls != NULL &&
      nav_net_tls_server_get_stats (self->tls)->pending == 0 && self->trim_pending)
    {
      self->trim_pending = FALSE;
#ifdef __GLIBC__
      malloc_trim (0);
#endif
    }
}

/* Deletes what has expired in the allocations of @w (RFC 8656 §7, §9,
 * §12). */
static void
worker_sweep (Worker *w,
              gint64  now)
{
  g_autoptr (GPtrArray) expired = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, w->allocations);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Allocation *alloc = key;

      if (alloc->expires <= now)
        g_ptr_array_add (expired, alloc);
      else
        nav_turn_sweep_allocation (alloc, now);
    }
  for (guint i = 0; i < expired->len; i++)
    {
      COUNT (w, allocations_expired);
      nav_turn_allocation_destroy (expired->pdata[i], "expired");
    }
  if (w->index == 0)
    control_sweep (w->server, now);
}

/* Once a second, or often enough for a short idle timeout (tests). */
static gint64
sweep_interval (NavTurnServer *self)
{
  return (gint64) CLAMP (self->tcp_idle_timeout_ms / 2, 10, 1000) * 1000;
}

/* After each round of a worker: what it queued for clients leaves, the
 * allocations destroyed in it are freed, and the sweep runs when due. */
static gint64
worker_tick (gint64   now,
             gpointer user_data)
{
  Worker *w = user_data;

  nav_turn_worker_flush (w);
  if (w->dead_allocations->len > 0)
    g_ptr_array_set_size (w->dead_allocations, 0);
  if (now >= w->next_sweep)
    {
      if (w->next_sweep > 0)
        worker_sweep (w, now);
      w->next_sweep = now + sweep_interval (w->server);
    }
  return w->next_sweep;
}

static const NavNetWorkerFuncs worker_funcs = { nav_turn_worker_ready, worker_tick };

Worker *
nav_turn_worker_new (NavTurnServer  *self,
            guint           index,
            GError        **error)
{
  Worker *w = g_new0 (Worker, 1);
  NavNetUdpConfig config = { NAV_TURN_UDP_BATCH, NAV_TURN_UDP_RECV_SIZE, NAV_TURN_HEADROOM,
                             NAV_TURN_UDP_ROUNDS };

  w->server = self;
  w->index = index;
  w->loop = nav_net_worker_new (&worker_funcs, w, error);
  if (w->loop == NULL)
    {
      g_free (w);
      return NULL;
    }
  w->listeners = g_ptr_array_new ();
  w->udp_allocations = g_hash_table_new (nav_turn_udp_key_hash, nav_turn_udp_key_equal);
  w->allocations = g_hash_table_new (g_direct_hash, g_direct_equal);
  w->dead_allocations = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_turn_allocation_free);
  w->reader = nav_net_udp_reader_new (&config);
  w->batch = g_new0 (Batch, 1);
  return w;
}

/* Called with the worker stopped. */
void
nav_turn_worker_destroy_allocations (Worker *w)
{
  g_autoptr (GList) allocs = g_hash_table_get_keys (w->allocations);

  for (GList *l = allocs; l != NULL; l = l->next)
    nav_turn_allocation_destroy (l->data, "server-stopped");
}

void
nav_turn_worker_free (Worker *w)
{
  nav_net_worker_free (w->loop);
  g_ptr_array_set_free_func (w->listeners, nav_turn_listener_free);
  g_ptr_array_unref (w->listeners);
  g_ptr_array_unref (w->dead_allocations);
  g_hash_table_unref (w->allocations);
  g_hash_table_unref (w->udp_allocations);
  nav_net_udp_reader_free (w->reader);
  g_free (w->batch);
  g_free (w);
}

Listener *
nav_turn_worker_listener (Worker *w,
                          guint   slot)
{
  return g_ptr_array_index (w->listeners, slot);
}

