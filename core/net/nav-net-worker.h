/* nav-net-worker.h: one epoll(7) set served by a thread of its own or by
 * a main context, with a mailbox other threads post to (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The servers' worker threads (STUN, TURN) are built on it: a worker
 * watches its sockets with a tag each, hears about the ready ones through
 * one callback, gets a tick after each round (to sweep, to free what it
 * closed) with the deadline of the next one, and runs the messages other
 * threads post to it.  A worker in a thread of its own costs one
 * epoll_wait(2) per wake-up and nothing else; the same worker attached to
 * a GMainContext (a server without threads) is one GSource there.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A counter one worker writes and another thread reads (a server's
 * stats): relaxed atomic loads and stores are plain moves on the
 * machines we run on, no locked add on the packet path, and tell
 * ThreadSanitizer what is meant. */
static inline void
nav_net_counter_add (guint64 *counter,
                     guint64  n)
{
  __atomic_store_n (counter, __atomic_load_n (counter, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline guint64
nav_net_counter_get (const guint64 *counter)
{
  return __atomic_load_n (counter, __ATOMIC_RELAXED);
}

/* Adds the @n counters at @counters (guint64 each, as a struct of
 * counters is) to @sum. */
static inline void
nav_net_counters_sum (guint64       *sum,
                      const guint64 *counters,
                      gsize          n)
{
  for (gsize i = 0; i < n; i++)
    sum[i] += nav_net_counter_get (&counters[i]);
}

typedef struct _NavNetWorker NavNetWorker;
typedef struct _NavNetWorkerMessage NavNetWorkerMessage;

/* A message to a worker: allocated with g_malloc() (the struct first,
 * the sender's data after it), run once on the worker and then freed
 * with g_free(); freed without running when the worker stops first. */
struct _NavNetWorkerMessage
{
  NavNetWorkerMessage *next;
  void (*run) (NavNetWorkerMessage *message,
               gpointer             user_data);
};

typedef struct
{
  /* A descriptor watched with @tag is ready (EPOLLIN, EPOLLERR…). */
  void   (*ready) (gpointer tag,
                   guint32  events,
                   gpointer user_data);
  /* After each round of events, and when the deadline passed: returns
   * the next deadline (g_get_monotonic_time()), or -1 for none. */
  gint64 (*tick)  (gint64   now,
                   gpointer user_data);
} NavNetWorkerFuncs;

NavNetWorker *nav_net_worker_new      (const NavNetWorkerFuncs  *funcs,
                                       gpointer                  user_data,
                                       GError                  **error);
/* Serves the set in a new thread named @name, until stopped. */
gboolean      nav_net_worker_start_thread (NavNetWorker       *worker,
                                           const gchar        *name,
                                           GError            **error);
/* Serves the set from @context (one GSource named @name), until
 * stopped. */
void          nav_net_worker_attach   (NavNetWorker             *worker,
                                       GMainContext             *context,
                                       const gchar              *name);
/* Called on the worker (or before it starts): watch @fd for @events
 * (level-triggered), reporting @tag; or stop watching it. */
gboolean      nav_net_worker_watch    (NavNetWorker             *worker,
                                       int                       fd,
                                       guint32                   events,
                                       gpointer                  tag);
void          nav_net_worker_unwatch  (NavNetWorker             *worker,
                                       int                       fd);
/* Called on the worker: a tick as soon as the current round ends. */
void          nav_net_worker_tick_soon (NavNetWorker            *worker);
/* Any thread: queues @message and wakes the worker (one write(2) to its
 * eventfd when the mailbox was empty). */
void          nav_net_worker_post     (NavNetWorker             *worker,
                                       NavNetWorkerMessage      *message);
/* Whether the calling thread is the worker's own thread. */
gboolean      nav_net_worker_is_current (NavNetWorker           *worker);
/* Stops serving: joins the thread (its round in progress ends first) or
 * removes the GSource.  Messages not run yet are freed. */
void          nav_net_worker_stop     (NavNetWorker             *worker);
void          nav_net_worker_free     (NavNetWorker             *worker);

G_END_DECLS
