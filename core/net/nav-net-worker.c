/* nav-net-worker.c: one epoll(7) set served by a thread of its own or by
 * a main context, with a mailbox (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The mailbox is a pthread mutex around a list and an eventfd that is
 * written only when the list goes from empty to not empty: posting a
 * burst costs one wake-up.  pthread rather than GMutex so that
 * ThreadSanitizer sees the synchronisation (GLib's futex-based mutexes
 * are invisible to it).
 */
#include "config.h"

#include "nav-net-worker.h"

#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#define MAX_EVENTS 64

typedef struct
{
  GSource source;
  NavNetWorker *worker;
} WorkerSource;

struct _NavNetWorker
{
  NavNetWorkerFuncs funcs;
  gpointer user_data;
  int epfd;
  int efd;                      /* the mailbox's eventfd, tagged with &efd */

  pthread_mutex_t lock;         /* the mailbox */
  NavNetWorkerMessage *head, *tail;
  gboolean signaled;

  GThread *thread;
  gint quit;                    /* atomic */
  GSource *source;
  GMainContext *context;
  gint64 deadline;              /* -1: none */
};

NavNetWorker *
nav_net_worker_new (const NavNetWorkerFuncs  *funcs,
                    gpointer                  user_data,
                    GError                  **error)
{
  NavNetWorker *w = g_new0 (NavNetWorker, 1);
  struct epoll_event ev = { .events = EPOLLIN };
  int errsv;

  w->funcs = *funcs;
  w->user_data = user_data;
  w->deadline = -1;
  pthread_mutex_init (&w->lock, NULL);
  w->epfd = epoll_create1 (EPOLL_CLOEXEC);
  w->efd = w->epfd < 0 ? -1 : eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  ev.data.ptr = &w->efd;
  if (w->epfd < 0 || w->efd < 0 || epoll_ctl (w->epfd, EPOLL_CTL_ADD, w->efd, &ev) < 0)
    {
      errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "epoll: %s", g_strerror (errsv));
      nav_net_worker_free (w);
      return NULL;
    }
  return w;
}

static void
run_mailbox (NavNetWorker *w)
{
  NavNetWorkerMessage *m, *next;
  guint64 count;

  if (read (w->efd, &count, sizeof count) < 0 && errno != EAGAIN)
    g_warning ("eventfd read: %s", g_strerror (errno));
  pthread_mutex_lock (&w->lock);
  m = w->head;
  w->head = w->tail = NULL;
  w->signaled = FALSE;
  pthread_mutex_unlock (&w->lock);
  for (; m != NULL; m = next)
    {
      next = m->next;
      m->run (m, w->user_data);
      g_free (m);
    }
}

/* One round: the events of one epoll_wait(2), then the tick. */
static void
run_round (NavNetWorker *w,
           int           timeout_ms)
{
  struct epoll_event events[MAX_EVENTS];
  gint64 now;
  int n, i;

  n = epoll_wait (w->epfd, events, MAX_EVENTS, timeout_ms);
  for (i = 0; i < n; i++)
    {
      if (events[i].data.ptr == &w->efd)
        run_mailbox (w);
      else
        w->funcs.ready (events[i].data.ptr, events[i].events, w->user_data);
    }
  if (w->funcs.tick != NULL && (n > 0 || w->deadline >= 0))
    {
      now = g_get_monotonic_time ();
      if (n > 0 || now >= w->deadline)
        w->deadline = w->funcs.tick (now, w->user_data);
    }
}

static int
timeout_ms (NavNetWorker *w)
{
  gint64 now;

  if (w->deadline < 0)
    return -1;
  now = g_get_monotonic_time ();
  if (w->deadline <= now)
    return 0;
  return (int) MIN ((w->deadline - now + 999) / 1000, G_MAXINT);
}

static gpointer
thread_main (gpointer data)
{
  NavNetWorker *w = data;

  if (w->funcs.tick != NULL)
    w->deadline = w->funcs.tick (g_get_monotonic_time (), w->user_data);
  while (!g_atomic_int_get (&w->quit))
    run_round (w, timeout_ms (w));
  return NULL;
}

gboolean
nav_net_worker_start_thread (NavNetWorker  *w,
                             const gchar   *name,
                             GError       **error)
{
  g_return_val_if_fail (w->thread == NULL && w->source == NULL, FALSE);
  w->thread = g_thread_try_new (name, thread_main, w, error);
  return w->thread != NULL;
}

static gboolean
source_prepare (GSource *source,
                gint    *timeout)
{
  NavNetWorker *w = ((WorkerSource *) source)->worker;

  *timeout = timeout_ms (w);
  return *timeout == 0;
}

static gboolean
source_check (GSource *source)
{
  NavNetWorker *w = ((WorkerSource *) source)->worker;

  return w->deadline >= 0 && w->deadline <= g_get_monotonic_time ();
}

static gboolean
source_dispatch (GSource     *source,
                 GSourceFunc  callback,
                 gpointer     user_data)
{
  run_round (((WorkerSource *) source)->worker, 0);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs worker_source_funcs = {
  source_prepare, source_check, source_dispatch, NULL, NULL, NULL,
};

void
nav_net_worker_attach (NavNetWorker *w,
                       GMainContext *context,
                       const gchar  *name)
{
  g_return_if_fail (w->thread == NULL && w->source == NULL);
  w->source = g_source_new (&worker_source_funcs, sizeof (WorkerSource));
  ((WorkerSource *) w->source)->worker = w;
  g_source_add_unix_fd (w->source, w->epfd, G_IO_IN);
  g_source_set_static_name (w->source, name);
  /* as nav_net_udp_source_new(): no removal and re-adding of the poll
   * record around each dispatch */
  g_source_set_can_recurse (w->source, TRUE);
  w->context = context != NULL ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  if (w->funcs.tick != NULL)
    w->deadline = w->funcs.tick (g_get_monotonic_time (), w->user_data);
  g_source_attach (w->source, w->context);
}

gboolean
nav_net_worker_watch (NavNetWorker *w,
                      int           fd,
                      guint32       events,
                      gpointer      tag)
{
  struct epoll_event ev = { .events = events, .data.ptr = tag };

  return epoll_ctl (w->epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void
nav_net_worker_unwatch (NavNetWorker *w,
                        int           fd)
{
  epoll_ctl (w->epfd, EPOLL_CTL_DEL, fd, NULL);
}

void
nav_net_worker_tick_soon (NavNetWorker *w)
{
  w->deadline = 0;
}

void
nav_net_worker_post (NavNetWorker        *w,
                     NavNetWorkerMessage *message)
{
  gboolean wake;

  message->next = NULL;
  pthread_mutex_lock (&w->lock);
  if (w->tail != NULL)
    w->tail->next = message;
  else
    w->head = message;
  w->tail = message;
  wake = !w->signaled;
  w->signaled = TRUE;
  pthread_mutex_unlock (&w->lock);
  if (wake)
    {
      guint64 one = 1;

      if (write (w->efd, &one, sizeof one) < 0 && errno != EAGAIN)
        g_warning ("eventfd write: %s", g_strerror (errno));
    }
}

gboolean
nav_net_worker_is_current (NavNetWorker *w)
{
  if (w->thread != NULL)
    return g_thread_self () == w->thread;
  return w->context != NULL && g_main_context_is_owner (w->context);
}

void
nav_net_worker_stop (NavNetWorker *w)
{
  NavNetWorkerMessage *m, *next;

  if (w->thread != NULL)
    {
      guint64 one = 1;

      g_atomic_int_set (&w->quit, TRUE);
      if (write (w->efd, &one, sizeof one) < 0 && errno != EAGAIN)
        g_warning ("eventfd write: %s", g_strerror (errno));
      g_thread_join (w->thread);
      w->thread = NULL;
    }
  if (w->source != NULL)
    {
      g_source_destroy (w->source);
      g_clear_pointer (&w->source, g_source_unref);
    }
  g_clear_pointer (&w->context, g_main_context_unref);
  pthread_mutex_lock (&w->lock);
  m = w->head;
  w->head = w->tail = NULL;
  pthread_mutex_unlock (&w->lock);
  for (; m != NULL; m = next)
    {
      next = m->next;
      g_free (m);
    }
}

void
nav_net_worker_free (NavNetWorker *w)
{
  if (w == NULL)
    return;
  nav_net_worker_stop (w);
  if (w->efd >= 0)
    close (w->efd);
  if (w->epfd >= 0)
    close (w->epfd);
  pthread_mutex_destroy (&w->lock);
  g_free (w);
}
