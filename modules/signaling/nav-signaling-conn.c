/* nav-signaling-conn.c: one connection of the signaling server, in its
 * worker's thread: TLS (GnuTLS), the HTTP/1.1 upgrade (RFC 6455 §4), frames
 * (§5), the close handshake (§5.5.1, §7), its budget of messages
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
      g_message ("event=slow-reader-close peer=%s client=%s queued=%" G_GSIZE_FORMAT,
                 c->id, c->remote, pending);
      STAT_INC (dropped);
      nav_signaling_conn_kill (c);
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

void
nav_signaling_conn_queue_frame (Conn         *c,
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
void
nav_signaling_conn_close_ws (Conn        *c,
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
  nav_signaling_conn_queue_frame (c, NAV_WS_CLOSE, payload, 2 + rlen);
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
                          body == NULL ? "" : g_str_has_prefix (body, "<!DOCTYPE html>")
                          ? "Content-Type: text/html; charset=utf-8\r\n"
                          : "Content-Type: application/json\r\n", blen);
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
      ok = nav_signaling_ip_take_token_locked (io, c->ip, now);
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
      nav_signaling_conn_queue_frame (c, NAV_WS_TEXT, (const guint8 *) text, strlen (text));
    }
  if (c->overdraft > MAX (io->config.burst, 10))
    {
      g_message ("event=rate-limit-close peer=%s client=%s", c->id, c->remote);
      STAT_INC (rate_closed);
      nav_signaling_conn_close_ws (c, NAV_SIGNALING_CLOSE_POLICY, "rate limit");
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
          g_debug ("event=tls-error client=%s error=\"%s\"", c->remote, gnutls_strerror (n));
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
void
nav_signaling_conn_flush (Conn *c)
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
          nav_signaling_conn_kill (c);
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
      nav_signaling_conn_close_ws (c, NAV_SIGNALING_CLOSE_TRY_AGAIN_LATER, "server shutting down");
      return;
    }
  g_hash_table_insert (w->by_id, c->id, c);
  c->announced = TRUE;
  /* The hub hears of the peer before any of its messages (one queue). */
  hub_post (c, NAV_SIGNALING_IO_CONNECTED, NULL, 0, 0);
  welcome = nav_signaling_build_welcome (c->id, io->config.max_message_size, io->config.idle_timeout,
                                         io->config.token_required);
  nav_signaling_conn_queue_frame (c, NAV_WS_TEXT, (const guint8 *) welcome, strlen (welcome));
}

/* GET /relay with `--relay`: the socket goes to the relay's thread
 * (nav-signaling-relay.c) with what followed the request's head (read
 * and, over wss://, decrypted already) and the TLS session, which
 * holds any record read but not yet asked for; this connection ends
 * here without a word. */
static void
conn_hand_to_relay (Conn                 *c,
                    const NavHttpRequest *request,
                    const guint8         *rest,
                    gsize                 rest_len)
{
  NavSignalingIo *io = c->worker->io;
  gint fd;

  epoll_ctl (c->worker->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  c->events = 0;
  fd = dup (c->fd);
  if (fd < 0)
    {
      STAT_INC (refused);
      conn_http_answer (c, 503, NULL, NULL, FALSE);
      return;
    }
  nav_signaling_relay_adopt (io->relay, fd, g_steal_pointer (&c->tls), request->accept, rest, rest_len);
  nav_signaling_conn_kill (c);
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
      if (io->relay != NULL && g_str_equal (request.path, NAV_SIGNALING_RELAY_PATH))
        {
          conn_hand_to_relay (c, &request, buf + request.head_len, len - request.head_len);
          return len;
        }
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
      nav_signaling_conn_close_ws (c, NAV_SIGNALING_CLOSE_UNSUPPORTED, "binary frames are not part of the protocol");
      return;
    }
  hub_post (c, NAV_SIGNALING_IO_MESSAGE, data, len, 0);
}

static void
conn_too_large (Conn *c)
{
  NavSignalingIo *io = c->worker->io;

  g_debug ("event=too-large peer=%s client=%s", c->id, c->remote);
  STAT_INC (dropped);
  STAT_INC (too_large);
  nav_signaling_conn_close_ws (c, NAV_SIGNALING_CLOSE_TOO_BIG, "message too large");
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
        nav_signaling_conn_close_ws (c, code, NULL);
      }
      return;
    case NAV_WS_PING:
      c->last_activity = g_get_monotonic_time ();
      if (conn_take_token (c))
        nav_signaling_conn_queue_frame (c, NAV_WS_PONG, payload, len);
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
              nav_signaling_conn_close_ws (c, NAV_SIGNALING_CLOSE_POLICY, "rate limit");
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
      nav_signaling_conn_close_ws (c, NAV_SIGNALING_CLOSE_POLICY, "too many fragments");
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
          nav_signaling_conn_close_ws (c, code, "protocol error");
          return len;
        case NAV_WS_FRAME:
          break;
        }
      if (frame.opcode == NAV_WS_CONTINUATION ? !c->in_message :
          (frame.opcode <= NAV_WS_BINARY && c->in_message))
        {
          STAT_INC (dropped);
          nav_signaling_conn_close_ws (c, NAV_SIGNALING_CLOSE_PROTOCOL_ERROR, "unexpected continuation");
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
  g_debug ("event=tls-handshake-failed client=%s error=\"%s\"", c->remote, gnutls_strerror (r));
  nav_signaling_conn_kill (c);
}

void
nav_signaling_conn_readable (Conn *c)
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
            nav_signaling_conn_kill (c);
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
          nav_signaling_conn_kill (c);
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
void
nav_signaling_conn_kill (Conn *c)
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

void
nav_signaling_conn_free (Conn *c)
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

