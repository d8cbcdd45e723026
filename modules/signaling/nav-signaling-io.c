/* nav-signaling-io.c: the signaling server's connections
 *
 * Worker threads, each with one epoll(7) set, one listening socket on the
 * shared port (SO_REUSEPORT: the kernel spreads the connections) and the
 * connections it accepted.  A connection goes through TLS (GnuTLS, when
 * the server has a certificate), the HTTP/1.1 upgrade and then RFC 6455
 * framing, all written here over the non-blocking socket: the accept
 * loop backs off on EMFILE/ENFILE and resumes; a connection that does
 * not finish its handshake in time is closed, and pending handshakes
 * count toward the limits (total and per address); a message's size is
 * checked on the frame header, fragments included, before anything is
 * buffered, and a message over the limit gets a 1009 close that the
 * client can read (the rest of its input is drained, never answered
 * with a reset); messages, pings and new connections draw on a budget
 * per connection and per source address that a reconnection does not
 * renew.
 *
 * Why not libsoup here: its listener drops its accept source for good on
 * EMFILE, it has no handshake timeout nor handshake limits, it buffers
 * a fragmented message whole before checking its size, it kept the
 * accepted GSockets alive after their connections ended, and each
 * message cost a GBytes, a signal emission and a new GSource.  The rooms
 * are nav-signaling-server.c's; one connection's protocol is
 * nav-signaling-conn.c's; this file holds the workers, accepting, the
 * hand-overs between threads and the books per source address.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <gnutls/gnutls.h>
#include <netavanue/netavanue.h>

#include "nav-signaling-io-private.h"
#include "nav-signaling-protocol.h"
#include "nav-signaling-ws.h"


/* ------------------------------------------------------------ shared text */

NavSignalingText *
nav_signaling_text_new (const gchar *text,
                        gssize       len)
{
  NavSignalingText *t;

  if (len < 0)
    len = strlen (text);
  t = g_malloc (sizeof (NavSignalingText) + len + 1);
  t->refs = 1;
  t->len = len;
  memcpy (t->text, text, len);
  t->text[len] = '\0';
  return t;
}

/* @block: NAV_SIGNALING_TEXT_PREFIX bytes, then @len bytes of text and a
 * NUL (see nav_signaling_build_forward()). */
NavSignalingText *
nav_signaling_text_adopt (gchar *block,
                          gsize  len)
{
  NavSignalingText *t = (NavSignalingText *) block;

  t->refs = 1;
  t->len = len;
  return t;
}

NavSignalingText *
nav_signaling_text_ref (NavSignalingText *text)
{
  __atomic_fetch_add (&text->refs, 1, __ATOMIC_RELAXED);
  return text;
}

void
nav_signaling_text_unref (NavSignalingText *text)
{
  if (__atomic_sub_fetch (&text->refs, 1, __ATOMIC_ACQ_REL) == 0)
    g_free (text);
}


static gboolean
mailbox_init (Mailbox  *mb,
              GError  **error)
{
  pthread_mutex_init (&mb->lock, NULL);
  mb->head = mb->tail = NULL;
  mb->signaled = FALSE;
  mb->efd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (mb->efd < 0)
    {
      gint errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "eventfd: %s", g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

static void
mailbox_post (Mailbox *mb,
              Link    *head,
              Link    *tail)
{
  gboolean wake;

  pthread_mutex_lock (&mb->lock);
  if (mb->tail != NULL)
    mb->tail->next = head;
  else
    mb->head = head;
  mb->tail = tail;
  wake = !mb->signaled;
  mb->signaled = TRUE;
  pthread_mutex_unlock (&mb->lock);
  if (wake)
    {
      guint64 one = 1;

      if (write (mb->efd, &one, sizeof one) < 0 && errno != EAGAIN)
        g_warning ("event=eventfd-error op=write error=\"%s\"", g_strerror (errno));
    }
}

static Link *
mailbox_take (Mailbox *mb)
{
  guint64 count;
  Link *head;

  if (read (mb->efd, &count, sizeof count) < 0 && errno != EAGAIN)
    g_warning ("event=eventfd-error op=read error=\"%s\"", g_strerror (errno));
  pthread_mutex_lock (&mb->lock);
  head = mb->head;
  mb->head = mb->tail = NULL;
  mb->signaled = FALSE;
  pthread_mutex_unlock (&mb->lock);
  return head;
}

static void
mailbox_clear (Mailbox        *mb,
               GDestroyNotify  free_op)
{
  Link *l = mb->head, *next;

  for (; l != NULL; l = next)
    {
      next = l->next;
      free_op (l);
    }
  mb->head = mb->tail = NULL;
  if (mb->efd >= 0)
    close (mb->efd);
  mb->efd = -1;
  pthread_mutex_destroy (&mb->lock);
}


static void
worker_op_free (gpointer data)
{
  WorkerOp *op = data;

  g_clear_pointer (&op->text, nav_signaling_text_unref);
  g_free (op);
}


/* ---------------------------------------------------- source addresses */

static guint
ip_key_hash (gconstpointer key)
{
  const guint8 *k = key;
  guint h = 2166136261u;

  for (guint i = 0; i < 16; i++)
    h = (h ^ k[i]) * 16777619u;
  return h;
}

static gboolean
ip_key_equal (gconstpointer a,
              gconstpointer b)
{
  return memcmp (a, b, 16) == 0;
}

static void
ip_key_from_sockaddr (const struct sockaddr_storage *ss,
                      guint8                         key[16],
                      gchar                          remote[INET6_ADDRSTRLEN])
{
  memset (key, 0, 16);
  if (ss->ss_family == AF_INET)
    {
      const struct sockaddr_in *sin = (const struct sockaddr_in *) ss;

      key[10] = key[11] = 0xff;
      memcpy (key + 12, &sin->sin_addr, 4);
      inet_ntop (AF_INET, &sin->sin_addr, remote, INET6_ADDRSTRLEN);
    }
  else
    {
      const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) ss;

      if (IN6_IS_ADDR_V4MAPPED (&sin6->sin6_addr))
        {
          memcpy (key, &sin6->sin6_addr, 16);
          inet_ntop (AF_INET, (const guint8 *) &sin6->sin6_addr + 12, remote, INET6_ADDRSTRLEN);
        }
      else
        {
          memcpy (key, &sin6->sin6_addr, 8);
          inet_ntop (AF_INET6, &sin6->sin6_addr, remote, INET6_ADDRSTRLEN);
        }
    }
}


/* Forgets addresses that have no connection and whose budgets are full
 * again. */
static void
ip_expire (NavSignalingIo *io,
           gint64          now)
{
  GHashTableIter iter;
  gpointer value;

  pthread_mutex_lock (&io->ip_lock);
  g_hash_table_iter_init (&iter, io->ips);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      IpRecord *rec = value;

      if (rec->refs > 0)
        continue;
      if (io->config.ip_rate > 0 &&
          refill (rec->bucket, rec->bucket_time, now, io->config.ip_rate) < io->config.ip_burst)
        continue;
      if (rec->saved && io->config.rate > 0 &&
          (refill (rec->saved_bucket, rec->saved_time, now, io->config.rate) < io->config.burst ||
           rec->saved_overdraft - (now - rec->saved_time) * (gdouble) io->config.rate / G_USEC_PER_SEC > 0))
        continue;
      g_hash_table_iter_remove (&iter);
    }
  pthread_mutex_unlock (&io->ip_lock);
}

/* A message or a new connection from @rec's address: its share of the
 * address's budget (io->ip_lock held). */
gboolean
nav_signaling_ip_take_token_locked (NavSignalingIo *io,
                      IpRecord       *rec,
                      gint64          now)
{
  if (io->config.ip_rate == 0)
    return TRUE;
  rec->bucket = MIN ((gdouble) io->config.ip_burst, refill (rec->bucket, rec->bucket_time, now, io->config.ip_rate));
  rec->bucket_time = now;
  if (rec->bucket < 1.0)
    return FALSE;
  rec->bucket -= 1.0;
  return TRUE;
}


__thread Worker *nav_signaling_current_worker;

/* ---------------------------------------------------------------- accept */

static void
refuse (gint fd,
        gboolean plain)
{
  static const gchar busy[] = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
                              "Retry-After: 2\r\nContent-Length: 0\r\n\r\n";

  /* A fresh socket's buffer takes it whole; if not, never mind. */
  if (plain && send (fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
    (void) 0;
  close (fd);
}

/* Whether a new connection from @key may be taken: pending handshakes
 * and connections count toward the limits, per address and in all. */
static IpRecord *
admit (NavSignalingIo *io,
       const guint8    key[16],
       gint64          now)
{
  const NavSignalingIoConfig *cfg = &io->config;
  IpRecord *rec;
  gint pending = NAV_SIGNALING_STAT_GET (io->stats->pending);
  gint open = NAV_SIGNALING_STAT_GET (io->stats->open);

  if (cfg->max_connections > 0 && (guint) (pending + open) >= cfg->max_connections)
    return NULL;
  if (cfg->max_pending > 0 && (guint) pending >= cfg->max_pending)
    return NULL;
  pthread_mutex_lock (&io->ip_lock);
  rec = g_hash_table_lookup (io->ips, key);
  if (rec == NULL)
    {
      rec = g_new0 (IpRecord, 1);
      memcpy (rec->key, key, 16);
      rec->bucket = cfg->ip_burst;
      rec->bucket_time = now;
      g_hash_table_insert (io->ips, rec->key, rec);
    }
  if ((cfg->max_pending_per_ip > 0 && rec->pending >= cfg->max_pending_per_ip) ||
      (cfg->max_connections_per_ip > 0 && rec->pending + rec->open >= cfg->max_connections_per_ip) ||
      !nav_signaling_ip_take_token_locked (io, rec, now))
    {
      pthread_mutex_unlock (&io->ip_lock);
      return NULL;
    }
  rec->refs++;
  rec->pending++;
  NAV_SIGNALING_STAT_ADD (io->stats->pending, 1);
  pthread_mutex_unlock (&io->ip_lock);
  return rec;
}

static void
worker_take (Worker                        *w,
             gint                           fd,
             const struct sockaddr_storage *addr)
{
  NavSignalingIo *io = w->io;
  gint64 now = g_get_monotonic_time ();
  guint8 key[16];
  gchar remote[INET6_ADDRSTRLEN] = "";
  struct epoll_event ev;
  IpRecord *rec;
  Conn *c;
  gint one = 1;

  ip_key_from_sockaddr (addr, key, remote);
  rec = w->stopping ? NULL : admit (io, key, now);
  if (rec == NULL)
    {
      STAT_INC (refused);
      g_debug ("event=refused client=%s", remote);
      refuse (fd, io->credentials == NULL);
      return;
    }

  c = g_new0 (Conn, 1);
  c->worker = w;
  c->fd = fd;
  c->ip = rec;
  memcpy (c->remote, remote, sizeof c->remote);
  g_strlcpy (c->id, "-", sizeof c->id);
  c->deadline = now + (gint64) io->config.handshake_timeout * G_USEC_PER_SEC;
  c->state = CONN_HTTP;
  /* Signaling sends bursts of small frames (an answer, then candidates):
   * with Nagle's algorithm the second waits for the peer's delayed ACK,
   * 40 ms on Linux. */
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->next = w->conns;
  if (w->conns != NULL)
    w->conns->prev = c;
  w->conns = c;
  w->n_conns++;

  if (io->credentials != NULL)
    {
      gnutls_init (&c->tls, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
      gnutls_priority_set (c->tls, io->priority);
      gnutls_credentials_set (c->tls, GNUTLS_CRD_CERTIFICATE, io->credentials);
      gnutls_certificate_server_set_request (c->tls, GNUTLS_CERT_IGNORE);
      gnutls_transport_set_int (c->tls, fd);
      c->state = CONN_TLS_HANDSHAKE;
    }
  ev.events = c->events = EPOLLIN;
  ev.data.ptr = c;
  if (epoll_ctl (w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    nav_signaling_conn_kill (c);
}

static void
worker_listen_set (Worker   *w,
                   gboolean  on)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &w->listen_fd };

  if (w->listen_fd < 0 || w->listening == on)
    return;
  if (epoll_ctl (w->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, w->listen_fd, &ev) == 0)
    w->listening = on;
}

/* Accepts what waits.  Out of descriptors (EMFILE, ENFILE) or kernel
 * memory, it stops listening for a short while, doubling up to
 * ACCEPT_BACKOFF_MAX_MS, and resumes (sooner when one of its own
 * connections ends): the connections wait in the backlog meanwhile,
 * and none is lost for good. */
static void
worker_accept (Worker *w)
{
  NavSignalingIo *io = w->io;
  guint i;

  for (i = 0; i < ACCEPTS_PER_WAKEUP; i++)
    {
      struct sockaddr_storage addr;
      socklen_t alen = sizeof addr;
      gint fd = accept4 (w->listen_fd, (struct sockaddr *) &addr, &alen, SOCK_NONBLOCK | SOCK_CLOEXEC);

      if (fd >= 0)
        {
          w->accept_backoff_ms = 0;
          worker_take (w, fd, &addr);
          continue;
        }
      switch (errno)
        {
        case EINTR:
        case ECONNABORTED:
        case EPROTO:
          continue;
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
          {
            gint64 now = g_get_monotonic_time ();
            gint errsv = errno;

            STAT_INC (accept_errors);
            w->accept_backoff_ms = CLAMP (w->accept_backoff_ms * 2, ACCEPT_BACKOFF_MIN_MS, ACCEPT_BACKOFF_MAX_MS);
            w->accept_resume = now + (gint64) w->accept_backoff_ms * 1000;
            worker_listen_set (w, FALSE);
            if (now - w->last_accept_warning > G_USEC_PER_SEC)
              {
                w->last_accept_warning = now;
                g_warning ("event=accept-backoff worker=%u error=\"%s\" connections=%u retry-ms=%u",
                           w->index, g_strerror (errsv), w->n_conns, w->accept_backoff_ms);
              }
          }
          return;
        default:
          return;
        }
    }
}

/* ------------------------------------------------------------- the loop */

static void
worker_run_op (Worker   *w,
               WorkerOp *op)
{
  Conn *c = op->id[0] != '\0' ? g_hash_table_lookup (w->by_id, op->id) : NULL;

  switch (op->kind)
    {
    case WORKER_SEND:
      if (c != NULL && c->state == CONN_OPEN)
        nav_signaling_conn_queue_frame (c, NAV_WS_TEXT, (const guint8 *) op->text->text, op->text->len);
      break;
    case WORKER_CLOSE:
      if (c != NULL)
        nav_signaling_conn_close_ws (c, op->code, op->text != NULL ? op->text->text : NULL);
      break;
    case WORKER_SHUTDOWN:
      {
        Conn *k;

        w->stopping = TRUE;
        worker_listen_set (w, FALSE);
        /* Those held get the bye and a close (RFC 6455 §7.4.1: 1001). */
        for (k = w->conns; k != NULL; k = k->next)
          {
            if (k->state == CONN_OPEN)
              {
                nav_signaling_conn_queue_frame (k, NAV_WS_TEXT, (const guint8 *) op->text->text, op->text->len);
                nav_signaling_conn_close_ws (k, NAV_SIGNALING_CLOSE_GOING_AWAY, "server shutting down");
              }
            else if (k->state == CONN_TLS_HANDSHAKE || k->state == CONN_HTTP)
              nav_signaling_conn_kill (k);
          }
      }
      break;
    case WORKER_QUIT:
      w->quit = TRUE;
      break;
    }
}

static void
worker_sweep (Worker *w,
              gint64  now)
{
  NavSignalingIo *io = w->io;
  gint64 idle_deadline = now - (gint64) io->config.idle_timeout * G_USEC_PER_SEC;
  static gint64 last_trim;
  Conn *c;

  for (c = w->conns; c != NULL; c = c->next)
    {
      if (c->dead)
        continue;
      switch (c->state)
        {
        case CONN_TLS_HANDSHAKE:
        case CONN_HTTP:
          if (c->deadline < now)
            {
              g_debug ("event=handshake-timeout client=%s", c->remote);
              STAT_INC (handshake_timeouts);
              nav_signaling_conn_kill (c);
            }
          break;
        case CONN_OPEN:
          if (c->last_activity < idle_deadline)
            {
              g_debug ("event=idle-close peer=%s", c->id);
              STAT_INC (idle_closed);
              nav_signaling_conn_close_ws (c, NAV_SIGNALING_CLOSE_POLICY, "idle timeout");
            }
          break;
        case CONN_CLOSING:
        case CONN_LINGER:
          /* A peer that neither reads our close nor ends its side. */
          if (c->deadline < now)
            nav_signaling_conn_kill (c);
          break;
        }
    }
  if (w->index == 0)
    ip_expire (io, now);

  /* Memory freed by a crowd that left goes back to the system (glibc
   * keeps it in each thread's arena otherwise). */
  if (w->n_conns + 32 < w->trim_mark && w->n_conns < w->trim_mark / 2 &&
      now - __atomic_load_n (&last_trim, __ATOMIC_RELAXED) > TRIM_INTERVAL_US)
    {
      __atomic_store_n (&last_trim, now, __ATOMIC_RELAXED);
      malloc_trim (0);
      w->trim_mark = w->n_conns;
    }
  w->trim_mark = MAX (w->trim_mark, w->n_conns);
}

static void
worker_free_dead (Worker *w)
{
  gboolean freed = w->dead != NULL;

  while (w->dead != NULL)
    {
      Conn *c = w->dead;

      w->dead = c->next_dead;
      nav_signaling_conn_free (c);
    }
  /* A descriptor came back: no need to wait for the backoff. */
  if (freed && w->accept_resume >= 0 && !w->stopping)
    w->accept_resume = 0;
}

static void post_to_worker (NavSignalingIo   *io,
                            guint             worker,
                            WorkerOpKind      kind,
                            const gchar      *peer,
                            NavSignalingText *text,
                            gushort           code);

/* What this round's connections said.  With the rooms in the workers
 * (config.events_in_workers) the worker runs the hub's callback itself,
 * here, out of any connection's code (the callback may queue to and
 * close connections of this worker, whose own events then join the
 * list); what it hands to other workers goes in one batch each.
 * Otherwise it all goes to the hub's context. */
static void
worker_deliver (Worker *w)
{
  NavSignalingIo *io = w->io;
  guint i;

  if (!io->config.events_in_workers)
    {
      if (w->to_hub_head != NULL)
        mailbox_post (&io->hub_mailbox, w->to_hub_head, w->to_hub_tail);
      w->to_hub_head = w->to_hub_tail = NULL;
      return;
    }
  while (w->to_hub_head != NULL)
    {
      HubOp *op = (HubOp *) w->to_hub_head;

      w->to_hub_head = op->link.next;
      if (w->to_hub_head == NULL)
        w->to_hub_tail = NULL;
      io->func (io->user_data, op->event, op->worker, op->id, op->remote, op->data, op->len, op->code);
      g_free (op);
    }
  for (i = 0; i < io->workers->len; i++)
    if (w->outbox_head[i] != NULL)
      {
        mailbox_post (&((Worker *) io->workers->pdata[i])->mailbox, w->outbox_head[i], w->outbox_tail[i]);
        w->outbox_head[i] = w->outbox_tail[i] = NULL;
      }
}

static gpointer
worker_run (gpointer data)
{
  Worker *w = data;
  struct epoll_event events[256];

  nav_signaling_current_worker = w;
  w->next_sweep = g_get_monotonic_time () + SWEEP_INTERVAL_US;
  while (!w->quit)
    {
      gint64 now = g_get_monotonic_time ();
      gint64 next = w->next_sweep;
      gint n, i, timeout;

      if (w->accept_resume >= 0 && w->accept_resume < next)
        next = w->accept_resume;
      timeout = next <= now ? 0 : (gint) MIN ((next - now + 999) / 1000, 1000);
      n = epoll_wait (w->epfd, events, G_N_ELEMENTS (events), timeout);
      for (i = 0; i < n; i++)
        {
          gpointer ptr = events[i].data.ptr;

          if (ptr == &w->listen_fd)
            worker_accept (w);
          else if (ptr == &w->mailbox)
            {
              Link *l = mailbox_take (&w->mailbox), *next_l;

              for (; l != NULL; l = next_l)
                {
                  next_l = l->next;
                  worker_run_op (w, (WorkerOp *) l);
                  worker_op_free (l);
                }
            }
          else
            {
              Conn *c = ptr;

              if (c->dead)
                continue;
              if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                nav_signaling_conn_readable (c);
              if (!c->dead && (events[i].events & EPOLLOUT))
                {
                  if (c->state == CONN_TLS_HANDSHAKE)
                    nav_signaling_conn_readable (c);
                  else
                    nav_signaling_conn_flush (c);
                }
            }
        }

      now = g_get_monotonic_time ();
      if (w->accept_resume >= 0 && w->accept_resume <= now)
        {
          w->accept_resume = -1;
          if (!w->stopping)
            worker_listen_set (w, TRUE);
        }
      if (now >= w->next_sweep)
        {
          worker_sweep (w, now);
          w->next_sweep = now + SWEEP_INTERVAL_US;
        }

      worker_deliver (w);
      /* Everything queued this round, one write per connection. */
      while (w->dirty != NULL)
        {
          Conn *c = w->dirty;

          w->dirty = c->next_dirty;
          c->dirty = FALSE;
          if (!c->dead)
            nav_signaling_conn_flush (c);
        }
      worker_free_dead (w);
    }
  return NULL;
}

/* ------------------------------------------------------------- the hub */

void
nav_signaling_io_dispatch (NavSignalingIo *io)
{
  Link *l = mailbox_take (&io->hub_mailbox), *next;

  for (; l != NULL; l = next)
    {
      HubOp *op = (HubOp *) l;

      next = l->next;
      io->func (io->user_data, op->event, op->worker, op->id, op->remote, op->data, op->len, op->code);
      g_free (op);
    }
}

static gboolean
on_hub_ready (gint         fd,
              GIOCondition condition,
              gpointer     user_data)
{
  nav_signaling_io_dispatch (user_data);
  return G_SOURCE_CONTINUE;
}

static void
post_to_worker (NavSignalingIo   *io,
                guint             worker,
                WorkerOpKind      kind,
                const gchar      *peer,
                NavSignalingText *text,
                gushort           code)
{
  Worker *w;
  WorkerOp *op;

  if (worker >= io->workers->len)
    return;
  w = io->workers->pdata[worker];
  op = g_new (WorkerOp, 1);
  op->link.next = NULL;
  op->kind = kind;
  op->code = code;
  g_strlcpy (op->id, peer != NULL ? peer : "", sizeof op->id);
  op->text = text != NULL ? nav_signaling_text_ref (text) : NULL;
  mailbox_post (&w->mailbox, &op->link, &op->link);
}

/* From a worker's own thread: its connections directly, the others'
 * in its batch for them. */
static gboolean
send_from_worker (NavSignalingIo   *io,
                  guint             worker,
                  WorkerOpKind      kind,
                  const gchar      *peer,
                  NavSignalingText *text,
                  gushort           code)
{
  Worker *w = nav_signaling_current_worker;
  WorkerOp *op;

  if (w == NULL || w->io != io || worker >= io->workers->len)
    return FALSE;
  if (worker == w->index)
    {
      WorkerOp local = { .kind = kind, .code = code, .text = text };

      g_strlcpy (local.id, peer, sizeof local.id);
      worker_run_op (w, &local);
      return TRUE;
    }
  op = g_new (WorkerOp, 1);
  op->link.next = NULL;
  op->kind = kind;
  op->code = code;
  g_strlcpy (op->id, peer, sizeof op->id);
  op->text = nav_signaling_text_ref (text);
  if (w->outbox_tail[worker] != NULL)
    w->outbox_tail[worker]->next = &op->link;
  else
    w->outbox_head[worker] = &op->link;
  w->outbox_tail[worker] = &op->link;
  return TRUE;
}

void
nav_signaling_io_send (NavSignalingIo   *io,
                       guint             worker,
                       const gchar      *peer,
                       NavSignalingText *text)
{
  if (!send_from_worker (io, worker, WORKER_SEND, peer, text, 0))
    post_to_worker (io, worker, WORKER_SEND, peer, text, 0);
}

void
nav_signaling_io_close (NavSignalingIo *io,
                        guint           worker,
                        const gchar    *peer,
                        gushort         code,
                        const gchar    *reason)
{
  NavSignalingText *text = nav_signaling_text_new (reason != NULL ? reason : "", -1);

  if (!send_from_worker (io, worker, WORKER_CLOSE, peer, text, code))
    post_to_worker (io, worker, WORKER_CLOSE, peer, text, code);
  nav_signaling_text_unref (text);
}

/* Every worker stops accepting and tells its peers @bye, then closes
 * them with 1001. */
void
nav_signaling_io_shutdown (NavSignalingIo *io,
                           const gchar    *bye)
{
  NavSignalingText *text = nav_signaling_text_new (bye, -1);
  guint i;

  for (i = 0; i < io->workers->len; i++)
    post_to_worker (io, i, WORKER_SHUTDOWN, NULL, text, 0);
  nav_signaling_text_unref (text);
}

/* --------------------------------------------------------------- set up */

static Worker *
worker_new (NavSignalingIo  *io,
            guint            index,
            GError         **error)
{
  Worker *w = g_new0 (Worker, 1);
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &w->mailbox };

  w->io = io;
  w->index = index;
  w->listen_fd = -1;
  w->accept_resume = -1;
  w->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  w->scratch = g_malloc (SCRATCH_SIZE);
  w->epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (!mailbox_init (&w->mailbox, error) || w->epfd < 0 ||
      epoll_ctl (w->epfd, EPOLL_CTL_ADD, w->mailbox.efd, &ev) < 0)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "epoll: %s", g_strerror (errno));
      return w;
    }
  return w;
}

static void
worker_free (Worker *w)
{
  while (w->conns != NULL)
    {
      Conn *c = w->conns;

      if (!c->dead)
        nav_signaling_conn_kill (c);
      w->dead = NULL;
      nav_signaling_conn_free (c);
    }
  /* What was said to the hub and not yet posted is dropped: the hub
   * drops its peers itself when the server stops. */
  while (w->to_hub_head != NULL)
    {
      Link *l = w->to_hub_head;

      w->to_hub_head = l->next;
      g_free (l);
    }
  for (guint i = 0; w->outbox_head != NULL && i < w->io->config.threads; i++)
    while (w->outbox_head[i] != NULL)
      {
        Link *l = w->outbox_head[i];

        w->outbox_head[i] = l->next;
        worker_op_free (l);
      }
  g_free (w->outbox_head);
  g_free (w->outbox_tail);
  mailbox_clear (&w->mailbox, worker_op_free);
  if (w->listen_fd >= 0)
    close (w->listen_fd);
  if (w->epfd >= 0)
    close (w->epfd);
  g_hash_table_unref (w->by_id);
  g_free (w->scratch);
  g_free (w);
}

NavSignalingIo *
nav_signaling_io_new (const NavSignalingIoConfig  *config,
                      NavSignalingStats           *stats,
                      GMainContext                *hub,
                      NavSignalingIoFunc           func,
                      NavSignalingHttpFunc         http_func,
                      gpointer                     user_data,
                      GError                     **error)
{
  NavSignalingIo *io = g_new0 (NavSignalingIo, 1);
  guint i;

  if (!mailbox_init (&io->hub_mailbox, error))
    {
      g_free (io);
      return NULL;
    }
  io->config = *config;
  io->config.cert_file = g_strdup (config->cert_file);
  io->config.pkey_file = g_strdup (config->pkey_file);
  io->config.threads = CLAMP (config->threads, 1, 256);
  io->stats = stats;
  io->func = func;
  io->http_func = http_func;
  io->user_data = user_data;
  io->hub = g_main_context_ref (hub);
  io->workers = g_ptr_array_new_with_free_func ((GDestroyNotify) worker_free);
  io->out_limit = MAX (1024 * 1024, 4 * (gsize) config->max_message_size + 64 * 1024);
  pthread_mutex_init (&io->ip_lock, NULL);
  io->ips = g_hash_table_new_full (ip_key_hash, ip_key_equal, NULL, g_free);

  if (config->cert_file != NULL)
    {
      gint r;

      /* No client certificates are asked for, so no trust store is
       * loaded: a server credential is the key and its chain. */
      gnutls_certificate_allocate_credentials (&io->credentials);
      r = gnutls_certificate_set_x509_key_file2 (io->credentials, config->cert_file,
                                                 config->pkey_file != NULL ? config->pkey_file : config->cert_file,
                                                 GNUTLS_X509_FMT_PEM, NULL, 0);
      if (r < 0)
        {
          g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                       _("Cannot load the certificate %s: %s"), config->cert_file, gnutls_strerror (r));
          goto fail;
        }
      r = gnutls_priority_init2 (&io->priority, NULL, NULL, 0);
      if (r < 0)
        {
          g_set_error (error, NAV_ERROR, NAV_ERROR_FAILED, "TLS: %s", gnutls_strerror (r));
          goto fail;
        }
    }

  for (i = 0; i < io->config.threads; i++)
    {
      Worker *w = worker_new (io, i, error);

      g_ptr_array_add (io->workers, w);
      w->outbox_head = g_new0 (Link *, io->config.threads);
      w->outbox_tail = g_new0 (Link *, io->config.threads);
      if (error != NULL && *error != NULL)
        goto fail;
    }
  return io;

fail:
  nav_signaling_io_free (io);
  return NULL;
}

/* g_socket_bind() clears SO_REUSEPORT on stream sockets: bind here. */
static gint
listen_socket (GInetAddress  *inet,
               guint          port,
               gboolean       share,
               GError       **error)
{
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (inet, port);
  struct sockaddr_storage native;
  gsize len = g_socket_address_get_native_size (address);
  gint fd, one = 1;

  if (!g_socket_address_to_native (address, &native, sizeof native, error))
    return -1;
  fd = socket (native.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0 ||
      setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      (share && setsockopt (fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) ||
      bind (fd, (struct sockaddr *) &native, len) < 0 ||
      listen (fd, LISTEN_BACKLOG) < 0)
    {
      gint errsv = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Error binding to address: %s"), g_strerror (errsv));
      return -1;
    }
  return fd;
}

/* One listening socket per worker on @port (0: any free one), shared
 * through SO_REUSEPORT. */
gboolean
nav_signaling_io_listen (NavSignalingIo  *io,
                         GInetAddress    *inet,
                         guint            port,
                         guint           *bound_port,
                         GError         **error)
{
  gboolean share = io->workers->len > 1;
  guint i;

  /* SO_REUSEPORT would let us join a port that another server of the
   * same user already listens on, and the kernel would split the clients
   * between the two.  A socket without it can only bind a free port. */
  if (port != 0 && share)
    {
      gint probe = listen_socket (inet, port, FALSE, error);

      if (probe < 0)
        return FALSE;
      close (probe);
    }
  for (i = 0; i < io->workers->len; i++)
    {
      Worker *w = io->workers->pdata[i];
      struct sockaddr_storage ss;
      socklen_t sl = sizeof ss;

      w->listen_fd = listen_socket (inet, port, share, error);
      if (w->listen_fd < 0)
        return FALSE;
      if (port == 0 && getsockname (w->listen_fd, (struct sockaddr *) &ss, &sl) == 0)
        port = ntohs (ss.ss_family == AF_INET ? ((struct sockaddr_in *) &ss)->sin_port
                                              : ((struct sockaddr_in6 *) &ss)->sin6_port);
    }
  *bound_port = port;
  return TRUE;
}

/* Starts the threads; returns how many. */
guint
nav_signaling_io_start (NavSignalingIo *io)
{
  guint i;

  io->hub_source = g_unix_fd_source_new (io->hub_mailbox.efd, G_IO_IN);
  g_source_set_callback (io->hub_source, (GSourceFunc) (void (*) (void)) on_hub_ready, io, NULL);
  g_source_set_static_name (io->hub_source, "nav-signaling-hub");
  g_source_attach (io->hub_source, io->hub);
  for (i = 0; i < io->workers->len; i++)
    {
      Worker *w = io->workers->pdata[i];
      g_autofree gchar *name = g_strdup_printf ("nav-signal-%u", i);

      worker_listen_set (w, TRUE);
      w->thread = g_thread_new (name, worker_run, w);
    }
  io->started = TRUE;
  return io->workers->len;
}

static void
hub_op_free (gpointer data)
{
  g_free (data);
}

void
nav_signaling_io_free (NavSignalingIo *io)
{
  guint i;

  for (i = 0; i < io->workers->len; i++)
    if (((Worker *) io->workers->pdata[i])->thread != NULL)
      post_to_worker (io, i, WORKER_QUIT, NULL, NULL, 0);
  for (i = 0; i < io->workers->len; i++)
    {
      Worker *w = io->workers->pdata[i];

      if (w->thread != NULL)
        g_thread_join (g_steal_pointer (&w->thread));
    }
  if (io->hub_source != NULL)
    {
      g_source_destroy (io->hub_source);
      g_clear_pointer (&io->hub_source, g_source_unref);
    }
  g_ptr_array_unref (io->workers);
  mailbox_clear (&io->hub_mailbox, hub_op_free);
  /* The relay's TLS sessions use the credentials: they go first. */
  if (io->relay != NULL)
    nav_signaling_relay_stop (io->relay);
  if (io->priority != NULL)
    gnutls_priority_deinit (io->priority);
  if (io->credentials != NULL)
    gnutls_certificate_free_credentials (io->credentials);
  g_hash_table_unref (io->ips);
  pthread_mutex_destroy (&io->ip_lock);
  g_main_context_unref (io->hub);
  g_free (io->config.cert_file);
  g_free (io->config.pkey_file);
  g_free (io);
}


void
nav_signaling_io_set_relay (NavSignalingIo    *io,
                            NavSignalingRelay *relay)
{
  io->relay = relay;
}
