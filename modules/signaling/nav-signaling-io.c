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
 * message cost a GBytes, a signal emission and a new GSource.  The hub
 * (nav-signaling-server.c) keeps the rooms; this file only moves bytes.
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

#include "nav-signaling-io.h"
#include "nav-signaling-protocol.h"
#include "nav-signaling-ws.h"

#define PEER_ID_LENGTH 12
#define LISTEN_BACKLOG 4096
#define SCRATCH_SIZE (64 * 1024)
#define READ_CHUNK (16 * 1024)
#define SWEEP_INTERVAL_US (250 * 1000)
#define LINGER_US (2 * G_USEC_PER_SEC)
#define ACCEPT_BACKOFF_MIN_MS 5
#define ACCEPT_BACKOFF_MAX_MS 200
#define ACCEPTS_PER_WAKEUP 64
#define MAX_FRAGMENTS 64
#define TRIM_INTERVAL_US (2 * G_USEC_PER_SEC)

#define STAT_INC(f) NAV_SIGNALING_STAT_INC (io->stats->f)

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

/* -------------------------------------------------------------- mailboxes */

/* Work handed to another thread: a list, and an eventfd written only
 * when the list becomes non-empty (a burst costs one wakeup).  A pthread
 * mutex, not a GMutex (futexes inside GLib): thread sanitizers see it. */
typedef struct _Link Link;
struct _Link
{
  Link *next;
};

typedef struct
{
  pthread_mutex_t lock;
  Link *head, *tail;
  gboolean signaled;
  gint efd;
} Mailbox;

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
        g_warning ("eventfd write: %s", g_strerror (errno));
    }
}

static Link *
mailbox_take (Mailbox *mb)
{
  guint64 count;
  Link *head;

  if (read (mb->efd, &count, sizeof count) < 0 && errno != EAGAIN)
    g_warning ("eventfd read: %s", g_strerror (errno));
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

/* What the hub asks of a worker. */
typedef enum
{
  WORKER_SEND,
  WORKER_CLOSE,
  WORKER_SHUTDOWN,
  WORKER_QUIT,
} WorkerOpKind;

typedef struct
{
  Link link;
  WorkerOpKind kind;
  gushort code;
  gchar id[PEER_ID_LENGTH + 4];
  NavSignalingText *text;
} WorkerOp;

static void
worker_op_free (gpointer data)
{
  WorkerOp *op = data;

  g_clear_pointer (&op->text, nav_signaling_text_unref);
  g_free (op);
}

/* What a worker tells the hub: one allocation, the message inline. */
typedef struct
{
  Link link;
  NavSignalingIoEvent event;
  guint worker;
  gushort code;
  gchar id[PEER_ID_LENGTH + 4];
  gchar remote[INET6_ADDRSTRLEN];
  gsize len;
  gchar data[];
} HubOp;

/* ---------------------------------------------------- source addresses */

/* What is known of one source address (an IPv6 /64: one subscriber's
 * prefix, not one of its 2^64 addresses).  Under io->ip_lock. */
typedef struct
{
  guint8 key[16];
  guint refs;                           /* connections of this address */
  guint pending;
  guint open;
  gdouble bucket;                       /* messages and connections */
  gint64 bucket_time;
  /* The budget of its last connections, so that reconnecting does not
   * renew it: the lowest bucket and the highest overdraft left. */
  gboolean saved;
  gdouble saved_bucket;
  gdouble saved_overdraft;
  gint64 saved_time;
} IpRecord;

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

static inline gdouble
refill (gdouble level,
        gint64  since,
        gint64  now,
        guint   rate)
{
  return level + (now - since) * (gdouble) rate / G_USEC_PER_SEC;
}

/* ---------------------------------------------------------- connections */

typedef enum
{
  CONN_TLS_HANDSHAKE,
  CONN_HTTP,                            /* reading the request's head */
  CONN_OPEN,                            /* a WebSocket */
  CONN_CLOSING,                         /* an answer queued: flush, then shut down */
  CONN_LINGER,                          /* shut down for writing: drain until EOF */
} ConnState;

typedef struct _Worker Worker;
typedef struct _Conn Conn;

struct _Conn
{
  Worker *worker;
  Conn *prev, *next;                    /* every connection of the worker */
  Conn *next_dirty;
  Conn *next_dead;
  gint fd;
  ConnState state;
  IpRecord *ip;
  gnutls_session_t tls;
  gsize tls_retry;                      /* a record send to finish (GNUTLS_E_AGAIN) */
  gchar id[PEER_ID_LENGTH + 4];
  gchar remote[INET6_ADDRSTRLEN];
  gint64 deadline;                      /* handshake or linger end, monotonic µs */
  gint64 last_activity;

  gdouble bucket;                       /* token bucket, messages */
  gint64 bucket_time;
  gdouble overdraft;                    /* messages refused, decaying at the rate */
  gboolean warned;                      /* the 429 of this run of refusals was sent */

  guint8 *in;                           /* unprocessed input */
  gsize in_len, in_cap;
  gsize need;                           /* input the next unit needs; 0: unknown */

  guint8 *msg;                          /* a fragmented message */
  gsize msg_len;
  guint8 msg_opcode;
  guint n_fragments;
  gboolean in_message;

  guint8 *out;
  gsize out_off, out_len, out_cap;

  guint32 events;                       /* registered in epoll */
  gboolean dirty;
  gboolean dead;
  gboolean announced;                   /* the hub knows the peer */
  gboolean counted_open;
  gboolean budget_saved;
};

struct _Worker
{
  NavSignalingIo *io;
  guint index;
  GThread *thread;
  gint epfd;
  gint listen_fd;
  gboolean listening;                   /* listen_fd in the epoll set */
  gint64 accept_resume;                 /* -1: not backing off */
  guint accept_backoff_ms;
  gint64 last_accept_warning;
  Mailbox mailbox;
  GHashTable *by_id;                    /* id → Conn*, open ones */
  Conn *conns;
  guint n_conns;
  guint trim_mark;                      /* n_conns at the last malloc_trim() */
  Conn *dirty;
  Conn *dead;
  Link *to_hub_head, *to_hub_tail;
  Link **outbox_head, **outbox_tail;    /* per worker: what this one hands over */
  gint64 next_sweep;
  guint8 *scratch;
  gboolean stopping;
  gboolean quit;
};

struct _NavSignalingIo
{
  NavSignalingIoConfig config;
  NavSignalingStats *stats;
  NavSignalingIoFunc func;
  gpointer user_data;
  NavSignalingHttpFunc http_func;
  GMainContext *hub;
  Mailbox hub_mailbox;
  GSource *hub_source;
  GPtrArray *workers;
  gsize out_limit;
  gboolean started;

  pthread_mutex_t ip_lock;
  GHashTable *ips;                      /* key → IpRecord*, owned */

  gnutls_certificate_credentials_t credentials;
  gnutls_priority_t priority;
};

/* The worker this thread runs, if it runs one. */
static __thread Worker *current_worker;

static void conn_kill (Conn *c);
static void conn_flush (Conn *c);
static void ip_save_budget (NavSignalingIo *io, Conn *c);
static void conn_process (Conn *c, guint8 *buf, gsize len);

static void
epoll_update (Conn    *c,
              guint32  events)
{
  struct epoll_event ev = { .events = events, .data.ptr = c };

  if (c->events == events || c->dead)
    return;
  if (epoll_ctl (c->worker->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
    c->events = events;
}

/* Queues bytes to send; a peer that does not read what it is sent is
 * dropped rather than buffered for without end. */
static gboolean
conn_queue (Conn         *c,
            const guint8 *a,
            gsize         alen,
            const guint8 *b,
            gsize         blen)
{
  NavSignalingIo *io = c->worker->io;
  gsize pending = c->out_len - c->out_off;

  if (c->dead)
    return FALSE;
  if (pending + alen + blen > io->out_limit)
    {
      g_message ("event=slow-reader-close peer=%s remote=%s queued=%" G_GSIZE_FORMAT,
                 c->id, c->remote, pending);
      STAT_INC (dropped);
      conn_kill (c);
      return FALSE;
    }
  if (c->out_off > 0 && c->out_len + alen + blen > c->out_cap)
    {
      memmove (c->out, c->out + c->out_off, pending);
      c->out_len = pending;
      c->out_off = 0;
    }
  if (c->out_len + alen + blen > c->out_cap)
    {
      c->out_cap = MAX (c->out_len + alen + blen, MAX (c->out_cap * 2, 512));
      c->out = g_realloc (c->out, c->out_cap);
    }
  memcpy (c->out + c->out_len, a, alen);
  c->out_len += alen;
  if (blen > 0)
    {
      memcpy (c->out + c->out_len, b, blen);
      c->out_len += blen;
    }
  if (!c->dirty)
    {
      c->dirty = TRUE;
      c->next_dirty = c->worker->dirty;
      c->worker->dirty = c;
    }
  return TRUE;
}

static void
conn_queue_frame (Conn         *c,
                  guint8        opcode,
                  const guint8 *payload,
                  gsize         len)
{
  guint8 header[10];
  gsize hlen = nav_ws_write_frame_header (header, opcode, len);

  conn_queue (c, header, hlen, payload, len);
}

static void
hub_post (Conn                *c,
          NavSignalingIoEvent  event,
          const guint8        *data,
          gsize                len,
          gushort              code)
{
  Worker *w = c->worker;
  HubOp *op = g_malloc (sizeof (HubOp) + len + 1);

  op->link.next = NULL;
  op->event = event;
  op->worker = w->index;
  op->code = code;
  memcpy (op->id, c->id, sizeof op->id);
  memcpy (op->remote, c->remote, sizeof op->remote);
  op->len = len;
  if (len > 0)
    memcpy (op->data, data, len);
  op->data[len] = '\0';
  if (w->to_hub_tail != NULL)
    w->to_hub_tail->next = &op->link;
  else
    w->to_hub_head = &op->link;
  w->to_hub_tail = &op->link;
}

/* The hub forgets the peer as soon as its connection starts to close. */
static void
conn_leave_hub (Conn    *c,
                gushort  code)
{
  if (!c->announced)
    return;
  c->announced = FALSE;
  g_hash_table_remove (c->worker->by_id, c->id);
  hub_post (c, NAV_SIGNALING_IO_CLOSED, NULL, 0, code);
}

/* A WebSocket close (RFC 6455 §5.5.1): our close frame, then, once it is
 * sent, a half-close and a drain of what the peer still sends, so the
 * peer reads the frame instead of a reset. */
static void
conn_close_ws (Conn        *c,
               gushort      code,
               const gchar *reason)
{
  guint8 payload[125];
  gsize rlen = reason != NULL ? MIN (strlen (reason), sizeof payload - 2) : 0;

  if (c->state != CONN_OPEN)
    return;
  ip_save_budget (c->worker->io, c);
  payload[0] = code >> 8;
  payload[1] = code & 0xff;
  if (rlen > 0)
    memcpy (payload + 2, reason, rlen);
  conn_leave_hub (c, code);
  c->state = CONN_CLOSING;
  c->deadline = g_get_monotonic_time () + LINGER_US;
  conn_queue_frame (c, NAV_WS_CLOSE, payload, 2 + rlen);
}

/* An HTTP answer, then the connection ends. */
static void
conn_http_answer (Conn        *c,
                  guint        status,
                  const gchar *extra_headers,
                  const gchar *body,
                  gboolean     head_only)
{
  const gchar *phrase;
  g_autofree gchar *text = NULL;
  gsize blen = body != NULL ? strlen (body) : 0;

  switch (status)
    {
    case 200: phrase = "OK"; break;
    case 400: phrase = "Bad Request"; break;
    case 404: phrase = "Not Found"; break;
    case 405: phrase = "Method Not Allowed"; break;
    case 426: phrase = "Upgrade Required"; break;
    case 431: phrase = "Request Header Fields Too Large"; break;
    default: phrase = "Service Unavailable"; break;
    }
  text = g_strdup_printf ("HTTP/1.1 %u %s\r\nServer: netavanue-signaling/%s\r\nConnection: close\r\n"
                          "%s%sContent-Length: %" G_GSIZE_FORMAT "\r\n\r\n",
                          status, phrase, NAV_VERSION_S, extra_headers != NULL ? extra_headers : "",
                          body != NULL ? "Content-Type: application/json\r\n" : "", blen);
  c->state = CONN_CLOSING;
  c->deadline = g_get_monotonic_time () + LINGER_US;
  conn_queue (c, (const guint8 *) text, strlen (text),
              (const guint8 *) body, head_only ? 0 : blen);
}

/* ------------------------------------------------------ per-address books */

/* A WebSocket stops taking messages: what is left of its budget is the
 * address's next connection's, from now (a client that reconnects as
 * soon as it reads our close must not find a fresh budget). */
static void
ip_save_budget (NavSignalingIo *io,
                Conn           *c)
{
  IpRecord *rec = c->ip;
  gint64 now = g_get_monotonic_time ();
  gdouble bucket, overdraft;

  if (rec == NULL || !c->counted_open || c->budget_saved)
    return;
  c->budget_saved = TRUE;
  bucket = MIN ((gdouble) io->config.burst, refill (c->bucket, c->bucket_time, now, io->config.rate));
  overdraft = MAX (0.0, c->overdraft - (now - c->bucket_time) * (gdouble) io->config.rate / G_USEC_PER_SEC);
  pthread_mutex_lock (&io->ip_lock);
  if (rec->saved)
    {
      rec->saved_bucket = MIN ((gdouble) io->config.burst,
                               refill (rec->saved_bucket, rec->saved_time, now, io->config.rate));
      rec->saved_overdraft = MAX (0.0, rec->saved_overdraft -
                                  (now - rec->saved_time) * (gdouble) io->config.rate / G_USEC_PER_SEC);
      bucket = MIN (bucket, rec->saved_bucket);
      overdraft = MAX (overdraft, rec->saved_overdraft);
    }
  rec->saved = TRUE;
  rec->saved_bucket = bucket;
  rec->saved_overdraft = overdraft;
  rec->saved_time = now;
  pthread_mutex_unlock (&io->ip_lock);
}

static void
ip_release (NavSignalingIo *io,
            Conn           *c)
{
  IpRecord *rec = c->ip;

  if (rec == NULL)
    return;
  ip_save_budget (io, c);
  pthread_mutex_lock (&io->ip_lock);
  if (c->counted_open)
    {
      rec->open--;
      NAV_SIGNALING_STAT_ADD (io->stats->open, -1);
    }
  else
    {
      rec->pending--;
      NAV_SIGNALING_STAT_ADD (io->stats->pending, -1);
    }
  rec->refs--;
  pthread_mutex_unlock (&io->ip_lock);
  c->ip = NULL;
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
static gboolean
ip_take_token_locked (NavSignalingIo *io,
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

/* Token buckets, @rate messages a second on average and @burst at once,
 * for the connection and for its address.  Refused messages are an
 * overdraft that decays at the rate: a peer that keeps sending past its
 * budget (about twice the rate or more) is closed, whether it sends its
 * messages, pings, or reconnects. */
static gboolean
conn_take_token (Conn *c)
{
  NavSignalingIo *io = c->worker->io;
  gint64 now = g_get_monotonic_time ();
  gboolean ok = TRUE;

  if (io->config.rate > 0)
    {
      gdouble elapsed = (now - c->bucket_time) * (gdouble) io->config.rate / G_USEC_PER_SEC;

      c->bucket = MIN ((gdouble) io->config.burst, c->bucket + elapsed);
      c->overdraft = MAX (0.0, c->overdraft - elapsed);
      c->bucket_time = now;
      if (c->bucket >= 1.0)
        c->bucket -= 1.0;
      else
        ok = FALSE;
    }
  /* A server without a message rate (0) has none per address either. */
  if (ok && io->config.rate > 0 && io->config.ip_rate > 0)
    {
      pthread_mutex_lock (&io->ip_lock);
      ok = ip_take_token_locked (io, c->ip, now);
      pthread_mutex_unlock (&io->ip_lock);
    }
  if (ok)
    {
      c->warned = FALSE;
      return TRUE;
    }

  STAT_INC (dropped);
  c->overdraft += 1.0;
  if (!c->warned)
    {
      g_autofree gchar *text = nav_signaling_build_error (NAV_SIGNALING_ERROR_RATE_LIMITED,
                                                          _("Too many messages; slow down"), NULL);

      c->warned = TRUE;
      STAT_INC (errors);
      conn_queue_frame (c, NAV_WS_TEXT, (const guint8 *) text, strlen (text));
    }
  if (c->overdraft > MAX (io->config.burst, 10))
    {
      g_message ("event=rate-limit-close peer=%s remote=%s", c->id, c->remote);
      STAT_INC (rate_closed);
      conn_close_ws (c, NAV_SIGNALING_CLOSE_POLICY, "rate limit");
    }
  return FALSE;
}

/* ------------------------------------------------------------ socket I/O */

/* > 0: bytes; 0: end of stream; -1: nothing now (EAGAIN); -2: error. */
static gssize
conn_recv (Conn   *c,
           guint8 *buf,
           gsize   len)
{
  if (c->tls != NULL)
    {
      for (;;)
        {
          gssize n = gnutls_record_recv (c->tls, buf, len);

          if (n >= 0)
            return n;
          if (n == GNUTLS_E_AGAIN)
            return -1;
          if (n == GNUTLS_E_INTERRUPTED)
            continue;
          if (n == GNUTLS_E_PREMATURE_TERMINATION)
            return 0;
          g_debug ("event=tls-error remote=%s error=\"%s\"", c->remote, gnutls_strerror (n));
          return -2;
        }
    }
  for (;;)
    {
      gssize n = recv (c->fd, buf, len, 0);

      if (n >= 0)
        return n;
      if (errno == EINTR)
        continue;
      return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : -2;
    }
}

static gssize
conn_send (Conn         *c,
           const guint8 *buf,
           gsize         len)
{
  if (c->tls != NULL)
    {
      for (;;)
        {
          /* After GNUTLS_E_AGAIN the same record is sent again by
           * calling with no data. */
          gsize chunk = c->tls_retry > 0 ? c->tls_retry : MIN (len, 16384);
          gssize n = c->tls_retry > 0 ? gnutls_record_send (c->tls, NULL, 0)
                                      : gnutls_record_send (c->tls, buf, chunk);

          if (n >= 0)
            {
              c->tls_retry = 0;
              return n;
            }
          if (n == GNUTLS_E_INTERRUPTED)
            continue;
          if (n == GNUTLS_E_AGAIN)
            {
              c->tls_retry = chunk;
              return -1;
            }
          return -2;
        }
    }
  for (;;)
    {
      gssize n = send (c->fd, buf, len, MSG_NOSIGNAL);

      if (n >= 0)
        return n;
      if (errno == EINTR)
        continue;
      return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : -2;
    }
}

static void
conn_shutdown_write (Conn *c)
{
  if (c->tls != NULL)
    gnutls_bye (c->tls, GNUTLS_SHUT_WR);
  shutdown (c->fd, SHUT_WR);
  c->state = CONN_LINGER;
  c->deadline = g_get_monotonic_time () + LINGER_US;
  epoll_update (c, EPOLLIN);
}

/* Writes what is queued: one write for every frame queued since the last
 * flush (the batch of one hub hand-over). */
static void
conn_flush (Conn *c)
{
  while (!c->dead && c->out_off < c->out_len)
    {
      gssize n = conn_send (c, c->out + c->out_off, c->out_len - c->out_off);

      if (n == -1)
        {
          epoll_update (c, EPOLLIN | EPOLLOUT);
          return;
        }
      if (n < 0)
        {
          conn_kill (c);
          return;
        }
      c->out_off += n;
    }
  if (c->dead)
    return;
  /* Idle connections hold no buffer. */
  g_clear_pointer (&c->out, g_free);
  c->out_off = c->out_len = c->out_cap = 0;
  if (c->state == CONN_CLOSING)
    conn_shutdown_write (c);
  else
    epoll_update (c, EPOLLIN);
}

/* --------------------------------------------------------- the protocol */

static void
conn_upgrade (Conn                 *c,
              const NavHttpRequest *request)
{
  Worker *w = c->worker;
  NavSignalingIo *io = w->io;
  g_autofree gchar *answer = NULL;
  g_autofree gchar *welcome = NULL;
  gint64 now = g_get_monotonic_time ();
  gchar *id;

  answer = g_strdup_printf ("HTTP/1.1 101 Switching Protocols\r\nServer: netavanue-signaling/%s\r\n"
                            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                            NAV_VERSION_S, request->accept);
  conn_queue (c, (const guint8 *) answer, strlen (answer), NULL, 0);
  do
    {
      id = nav_signaling_random_code (PEER_ID_LENGTH);
      g_strlcpy (c->id, id, sizeof c->id);
      g_free (id);
    }
  while (g_hash_table_contains (w->by_id, c->id));

  pthread_mutex_lock (&io->ip_lock);
  c->ip->pending--;
  c->ip->open++;
  c->counted_open = TRUE;
  /* A reconnection starts from what the address's last connections left. */
  c->bucket = io->config.burst;
  c->overdraft = 0;
  if (c->ip->saved)
    {
      c->bucket = MIN ((gdouble) io->config.burst,
                       refill (c->ip->saved_bucket, c->ip->saved_time, now, io->config.rate));
      c->overdraft = MAX (0.0, c->ip->saved_overdraft -
                          (now - c->ip->saved_time) * (gdouble) io->config.rate / G_USEC_PER_SEC);
    }
  pthread_mutex_unlock (&io->ip_lock);
  NAV_SIGNALING_STAT_ADD (io->stats->pending, -1);
  NAV_SIGNALING_STAT_ADD (io->stats->open, 1);
  STAT_INC (connections);
  c->bucket_time = c->last_activity = now;
  c->state = CONN_OPEN;

  if (w->stopping)
    {
      STAT_INC (refused);
      conn_close_ws (c, NAV_SIGNALING_CLOSE_TRY_AGAIN_LATER, "server shutting down");
      return;
    }
  g_hash_table_insert (w->by_id, c->id, c);
  c->announced = TRUE;
  /* The hub hears of the peer before any of its messages (one queue). */
  hub_post (c, NAV_SIGNALING_IO_CONNECTED, NULL, 0, 0);
  welcome = nav_signaling_build_welcome (c->id, io->config.max_message_size, io->config.idle_timeout,
                                         io->config.token_required);
  conn_queue_frame (c, NAV_WS_TEXT, (const guint8 *) welcome, strlen (welcome));
}

/* The head of a request: an upgrade, a GET of /health or /stats, or a
 * refusal.  Returns the bytes used. */
static gsize
conn_handle_http (Conn   *c,
                  guint8 *buf,
                  gsize   len)
{
  NavSignalingIo *io = c->worker->io;
  NavHttpRequest request;
  NavHttpResult result = nav_http_parse_request ((const gchar *) buf, len, &request);

  switch (result)
    {
    case NAV_HTTP_INCOMPLETE:
      c->need = 0;
      return 0;
    case NAV_HTTP_UPGRADE:
      conn_upgrade (c, &request);
      return request.head_len;
    case NAV_HTTP_GET:
      {
        g_autofree gchar *body = io->http_func (io->user_data, request.path);

        if (body != NULL)
          conn_http_answer (c, 200, NULL, body, request.head);
        else
          /* Not /health, not /stats, not an upgrade. */
          conn_http_answer (c, 400, NULL, NULL, FALSE);
        return request.head_len;
      }
    case NAV_HTTP_BAD_VERSION:
      conn_http_answer (c, 426, "Sec-WebSocket-Version: 13\r\n", NULL, FALSE);
      break;
    case NAV_HTTP_BAD_METHOD:
      conn_http_answer (c, 405, "Allow: GET, HEAD\r\n", NULL, FALSE);
      break;
    case NAV_HTTP_TOO_LARGE:
      conn_http_answer (c, 431, NULL, NULL, FALSE);
      break;
    case NAV_HTTP_BAD:
    default:
      conn_http_answer (c, 400, NULL, NULL, FALSE);
      break;
    }
  STAT_INC (dropped);
  return len;
}

/* A whole message: the checks that need no room (rate, type, size);
 * the rest is the hub's. */
static void
conn_message (Conn         *c,
              guint8        opcode,
              const guint8 *data,
              gsize         len)
{
  NavSignalingIo *io = c->worker->io;

  STAT_INC (received);
  c->last_activity = g_get_monotonic_time ();
  if (opcode != NAV_WS_TEXT)
    {
      STAT_INC (dropped);
      conn_close_ws (c, NAV_SIGNALING_CLOSE_UNSUPPORTED, "binary frames are not part of the protocol");
      return;
    }
  hub_post (c, NAV_SIGNALING_IO_MESSAGE, data, len, 0);
}

static void
conn_too_large (Conn *c)
{
  NavSignalingIo *io = c->worker->io;

  g_debug ("event=too-large peer=%s remote=%s", c->id, c->remote);
  STAT_INC (dropped);
  STAT_INC (too_large);
  conn_close_ws (c, NAV_SIGNALING_CLOSE_TOO_BIG, "message too large");
}

/* One frame, whole and unmasked. */
static void
conn_frame (Conn             *c,
            const NavWsFrame *frame,
            guint8           *payload)
{
  NavSignalingIo *io = c->worker->io;
  gsize len = frame->payload_len;

  switch (frame->opcode)
    {
    case NAV_WS_CLOSE:
      {
        /* Answer with the peer's code (§5.5.1), or 1000 when it gave
         * none; 1005 and 1006 are never sent (§7.4.1). */
        gushort code = NAV_SIGNALING_CLOSE_NORMAL;

        if (len == 1)
          code = NAV_SIGNALING_CLOSE_PROTOCOL_ERROR;
        else if (len >= 2)
          code = (payload[0] << 8) | payload[1];
        if (code < 1000 || code == 1005 || code == 1006 || code >= 5000)
          code = NAV_SIGNALING_CLOSE_PROTOCOL_ERROR;
        conn_close_ws (c, code, NULL);
      }
      return;
    case NAV_WS_PING:
      c->last_activity = g_get_monotonic_time ();
      if (conn_take_token (c))
        conn_queue_frame (c, NAV_WS_PONG, payload, len);
      return;
    case NAV_WS_PONG:
      c->last_activity = g_get_monotonic_time ();
      conn_take_token (c);
      return;
    default:
      break;
    }

  /* Data frames.  The budget is drawn once per message, at its first
   * frame; a message has at most MAX_FRAGMENTS frames. */
  if (frame->opcode != NAV_WS_CONTINUATION)
    {
      if (!conn_take_token (c))
        {
          if (!frame->fin)
            {
              /* Its fragments would have no budget: the peer goes. */
              conn_close_ws (c, NAV_SIGNALING_CLOSE_POLICY, "rate limit");
            }
          return;
        }
    }
  if (frame->fin && !c->in_message)
    {
      conn_message (c, frame->opcode, payload, len);
      return;
    }
  if (++c->n_fragments > MAX_FRAGMENTS)
    {
      STAT_INC (dropped);
      conn_close_ws (c, NAV_SIGNALING_CLOSE_POLICY, "too many fragments");
      return;
    }
  if (!c->in_message)
    {
      c->in_message = TRUE;
      c->msg_opcode = frame->opcode;
      c->msg_len = 0;
    }
  /* The size was checked against the limit on the frame's header. */
  c->msg = g_realloc (c->msg, c->msg_len + len + 1);
  memcpy (c->msg + c->msg_len, payload, len);
  c->msg_len += len;
  if (frame->fin)
    {
      conn_message (c, c->msg_opcode, c->msg, c->msg_len);
      g_clear_pointer (&c->msg, g_free);
      c->msg_len = 0;
      c->n_fragments = 0;
      c->in_message = FALSE;
    }
}

/* Frames in @buf.  Returns the bytes used; c->need tells how many a
 * partial frame left at the end needs in all. */
static gsize
conn_handle_frames (Conn   *c,
                    guint8 *buf,
                    gsize   len)
{
  NavSignalingIo *io = c->worker->io;
  gsize pos = 0;

  c->need = 0;
  while (c->state == CONN_OPEN && pos < len)
    {
      NavWsFrame frame;
      gushort code = 0;

      switch (nav_ws_parse_frame_header (buf + pos, len - pos, &frame, &code))
        {
        case NAV_WS_NEED_MORE:
          return pos;
        case NAV_WS_ERROR:
          STAT_INC (dropped);
          conn_close_ws (c, code, "protocol error");
          return len;
        case NAV_WS_FRAME:
          break;
        }
      if (frame.opcode == NAV_WS_CONTINUATION ? !c->in_message :
          (frame.opcode <= NAV_WS_BINARY && c->in_message))
        {
          STAT_INC (dropped);
          conn_close_ws (c, NAV_SIGNALING_CLOSE_PROTOCOL_ERROR, "unexpected continuation");
          return len;
        }
      /* RFC 6455 §10.4: the limit applies to the message, fragments
       * included, and is checked before its bytes are kept. */
      if (frame.opcode <= NAV_WS_BINARY &&
          (c->in_message ? c->msg_len : 0) + frame.payload_len > io->config.max_message_size)
        {
          conn_too_large (c);
          return len;
        }
      if (len - pos < frame.header_len + frame.payload_len)
        {
          c->need = frame.header_len + frame.payload_len;
          return pos;
        }
      nav_ws_unmask (buf + pos + frame.header_len, frame.payload_len, frame.mask);
      conn_frame (c, &frame, buf + pos + frame.header_len);
      pos += frame.header_len + frame.payload_len;
    }
  return c->state == CONN_OPEN ? pos : len;
}

/* Consumes what it can of @buf; the rest waits in c->in. */
static void
conn_process (Conn   *c,
              guint8 *buf,
              gsize   len)
{
  gsize used = 0;

  if (c->state == CONN_HTTP)
    used = conn_handle_http (c, buf, len);
  if (c->state == CONN_OPEN)
    used += conn_handle_frames (c, buf + used, len - used);
  else if (c->state != CONN_HTTP)
    used = len;                         /* closing: the rest is dropped */
  if (c->dead)
    return;

  if (used == len)
    {
      g_clear_pointer (&c->in, g_free);
      c->in_len = c->in_cap = 0;
      return;
    }
  if (buf == c->in)
    {
      memmove (c->in, c->in + used, len - used);
      c->in_len = len - used;
    }
  else
    {
      c->in_cap = MAX (len - used, READ_CHUNK);
      c->in = g_malloc (c->in_cap);
      memcpy (c->in, buf + used, len - used);
      c->in_len = len - used;
    }
}

static void
conn_tls_handshake (Conn *c)
{
  gint r = gnutls_handshake (c->tls);

  if (r == GNUTLS_E_SUCCESS)
    {
      c->state = CONN_HTTP;
      epoll_update (c, EPOLLIN);
      return;
    }
  if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
    {
      epoll_update (c, gnutls_record_get_direction (c->tls) ? EPOLLOUT : EPOLLIN);
      return;
    }
  g_debug ("event=tls-handshake-failed remote=%s error=\"%s\"", c->remote, gnutls_strerror (r));
  conn_kill (c);
}

static void
conn_readable (Conn *c)
{
  Worker *w = c->worker;
  guint rounds;

  if (c->state == CONN_TLS_HANDSHAKE)
    {
      conn_tls_handshake (c);
      if (c->state == CONN_TLS_HANDSHAKE || c->dead)
        return;
    }
  for (rounds = 0; rounds < 8 && !c->dead; rounds++)
    {
      NavSignalingIo *io = w->io;
      guint8 *buf;
      gsize room;
      gssize n;

      if (c->state == CONN_LINGER || c->state == CONN_CLOSING)
        {
          /* Drained and dropped. */
          n = conn_recv (c, w->scratch, SCRATCH_SIZE);
          if (n == 0 || n == -2)
            conn_kill (c);
          if (n <= 0)
            return;
          continue;
        }
      if (c->in_len == 0)
        {
          buf = w->scratch;
          room = SCRATCH_SIZE;
        }
      else
        {
          gsize want = MAX (c->need, c->in_len + READ_CHUNK);

          want = MIN (want, (gsize) io->config.max_message_size + 14 + READ_CHUNK);
          if (c->state == CONN_HTTP)
            want = NAV_HTTP_MAX_HEAD + 1;
          if (want <= c->in_len)
            want = c->in_len + 1;
          if (c->in_cap < want)
            {
              c->in_cap = want;
              c->in = g_realloc (c->in, c->in_cap);
            }
          buf = c->in + c->in_len;
          room = c->in_cap - c->in_len;
        }
      n = conn_recv (c, buf, room);
      if (n == -1)
        return;
      if (n <= 0)
        {
          /* End of stream or error: a peer that just goes away. */
          conn_kill (c);
          return;
        }
      if (buf == w->scratch)
        conn_process (c, buf, n);
      else
        {
          c->in_len += n;
          conn_process (c, c->in, c->in_len);
        }
      if ((gsize) n < room && (c->tls == NULL || gnutls_record_check_pending (c->tls) == 0))
        return;
    }
}

/* The connection ends now: at the end of the worker's iteration its
 * memory goes (an event of the same batch may still name it). */
static void
conn_kill (Conn *c)
{
  Worker *w = c->worker;

  if (c->dead)
    return;
  ip_save_budget (w->io, c);
  conn_leave_hub (c, 0);
  c->dead = TRUE;
  c->next_dead = w->dead;
  w->dead = c;
}

static void
conn_free (Conn *c)
{
  Worker *w = c->worker;
  NavSignalingIo *io = w->io;

  ip_release (io, c);
  if (c->tls != NULL)
    gnutls_deinit (c->tls);
  close (c->fd);
  if (c->prev != NULL)
    c->prev->next = c->next;
  else
    w->conns = c->next;
  if (c->next != NULL)
    c->next->prev = c->prev;
  w->n_conns--;
  g_free (c->in);
  g_free (c->msg);
  g_free (c->out);
  g_free (c);
}

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
      !ip_take_token_locked (io, rec, now))
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
      g_debug ("event=refused remote=%s", remote);
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
    conn_kill (c);
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
        conn_queue_frame (c, NAV_WS_TEXT, (const guint8 *) op->text->text, op->text->len);
      break;
    case WORKER_CLOSE:
      if (c != NULL)
        conn_close_ws (c, op->code, op->text != NULL ? op->text->text : NULL);
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
                conn_queue_frame (k, NAV_WS_TEXT, (const guint8 *) op->text->text, op->text->len);
                conn_close_ws (k, NAV_SIGNALING_CLOSE_GOING_AWAY, "server shutting down");
              }
            else if (k->state == CONN_TLS_HANDSHAKE || k->state == CONN_HTTP)
              conn_kill (k);
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
              g_debug ("event=handshake-timeout remote=%s", c->remote);
              STAT_INC (handshake_timeouts);
              conn_kill (c);
            }
          break;
        case CONN_OPEN:
          if (c->last_activity < idle_deadline)
            {
              g_debug ("event=idle-close peer=%s", c->id);
              STAT_INC (idle_closed);
              conn_close_ws (c, NAV_SIGNALING_CLOSE_POLICY, "idle timeout");
            }
          break;
        case CONN_CLOSING:
        case CONN_LINGER:
          /* A peer that neither reads our close nor ends its side. */
          if (c->deadline < now)
            conn_kill (c);
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
      conn_free (c);
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

  current_worker = w;
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
                conn_readable (c);
              if (!c->dead && (events[i].events & EPOLLOUT))
                {
                  if (c->state == CONN_TLS_HANDSHAKE)
                    conn_readable (c);
                  else
                    conn_flush (c);
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
            conn_flush (c);
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
  Worker *w = current_worker;
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
        conn_kill (c);
      w->dead = NULL;
      conn_free (c);
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
