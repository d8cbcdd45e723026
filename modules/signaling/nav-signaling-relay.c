/* nav-signaling-relay.c: the WebSocket relay of the signaling server
 *
 * For peers that ICE cannot connect (UDP blocked, no TURN server), the
 * signaling server relays bytes between the two ends of one session:
 * nav-share frames its DTLS datagrams as binary WebSocket messages, so
 * encryption and the PAKE binding stay end to end and the relay sees
 * ciphertext only.
 *
 * An upgrade of GET /relay on the signaling port is handed here by the
 * worker that accepted it, socket and all; over wss:// its GnuTLS
 * session comes too (the handshake done, what GnuTLS buffered inside
 * it), and the bytes the worker had read past the request's head.  The
 * relay runs in a thread of its own with its own main context:
 *
 *   hello   "nav-relay1 SESSION TOKEN" (text, 64 hex digits each): the
 *           first end of a session waits ("wait"); the second must bring
 *           the same token, then both hear "go" and binary messages flow.
 *           A third end, or a wrong token, is refused (close 4403) and
 *           counted; the session goes on.
 *   relay   each binary message of one end is written to the other.
 *           Nothing is kept beyond a bounded buffer per end: while the
 *           other end's output holds more than OUT_HIGH bytes, this end
 *           is not read (TCP's window pushes back to the sender).
 *   limits  a byte quota per session (close 4413), an idle timeout
 *           (close 4408), a hello timeout, frames checked (RFC 6455 §5:
 *           masked, known opcodes, no text after the hello, at most
 *           NAV_SIGNALING_RELAY_MAX_MESSAGE): anything else is garbage,
 *           counted, and the connection closed (1002).
 *
 * The tokens are the ends' business (nav-share derives them from both
 * ends' ICE credentials): the relay only compares them.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <netavanue/netavanue.h>

#include "nav-signaling-protocol.h"
#include "nav-signaling-relay.h"
#include "nav-signaling-ws.h"

#define OUT_HIGH (256 * 1024)
#define OUT_LOW (64 * 1024)
#define HELLO_TIMEOUT_US (10 * G_USEC_PER_SEC)
/* After our close frame: what the peer still sends is read and dropped
 * until it closes too (RFC 6455 §7.1.1), so that its unread bytes do
 * not turn our close into a reset that loses the frame. */
#define LINGER_US (2 * G_USEC_PER_SEC)
#define CLOSING_US (10 * G_USEC_PER_SEC)
#define HEX_LEN 64
/* A TLS end reads at most this much before the relay looks at it (then
 * on, once GnuTLS holds no record of it). */
#define TLS_READ_MAX (256 * 1024)
#define TLS_CHUNK 16384

typedef struct _Session Session;
typedef struct _End End;

struct _End
{
  NavSignalingRelay *relay;
  GSocket *socket;
  gnutls_session_t tls;          /* over wss://, else NULL */
  gsize tls_retry;               /* a record GnuTLS must send again */
  GSource *in_source;
  GSource *out_source;
  GByteArray *in;
  GByteArray *out;
  gsize out_off;
  Session *session;
  gint64 since;
  gboolean closing;              /* a close frame queued: flush, then linger */
  gint64 closing_since;
  gint64 linger_since;           /* shut down for writing: drain until EOF */
  gboolean dead;
};

struct _Session
{
  gchar id[HEX_LEN + 1];
  gchar token[HEX_LEN + 1];
  End *ends[2];
  guint64 bytes;
  gint64 last_activity;
  gboolean going;
};

struct _NavSignalingRelay
{
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GHashTable *sessions;          /* id → Session*, owned */
  GList *ends;                   /* End*, owned */
  guint64 quota;
  guint idle_timeout;            /* s */

  /* written in the relay's thread, read by any (/stats) */
  gint open_sessions;
  guint64 sessions_total;
  guint64 bytes;
  guint64 refused;
  guint64 garbage;
  guint64 quota_closed;
  guint64 idle_closed;
};

#define ADD(f, n) __atomic_fetch_add (&relay->f, (n), __ATOMIC_RELAXED)
#define GET(f) __atomic_load_n (&relay->f, __ATOMIC_RELAXED)

static void end_close (End *end, gushort code, const gchar *reason);
static void session_detach (End *end);
static void end_watch_in (End *end, gboolean on);

/* ------------------------------------------------------------ output */

static gboolean on_writable (GSocket *socket, GIOCondition condition, gpointer user_data);

static gsize
end_pending (End *end)
{
  return end->out->len - end->out_off;
}

/* As g_socket_send(), through the TLS session when there is one. */
static gssize
end_send (End           *end,
          const guint8  *data,
          gsize          len,
          GError       **error)
{
  if (end->tls == NULL)
    return g_socket_send (end->socket, (const gchar *) data, len, NULL, error);
  for (;;)
    {
      /* After GNUTLS_E_AGAIN the same record goes again: called with no
       * data, GnuTLS sends what it kept. */
      gsize chunk = end->tls_retry > 0 ? end->tls_retry : MIN (len, TLS_CHUNK);
      gssize n = end->tls_retry > 0 ? gnutls_record_send (end->tls, NULL, 0)
                                    : gnutls_record_send (end->tls, data, chunk);

      if (n >= 0)
        {
          end->tls_retry = 0;
          return n;
        }
      if (n == GNUTLS_E_INTERRUPTED)
        continue;
      if (n == GNUTLS_E_AGAIN)
        {
          end->tls_retry = chunk;
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "again");
          return -1;
        }
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "TLS: %s", gnutls_strerror (n));
      return -1;
    }
}

/* As g_socket_receive(), through the TLS session when there is one; 0
 * at the end of the stream. */
static gssize
end_recv (End     *end,
          guint8  *buf,
          gsize    len,
          GError **error)
{
  if (end->tls == NULL)
    return g_socket_receive (end->socket, (gchar *) buf, len, NULL, error);
  for (;;)
    {
      gssize n = gnutls_record_recv (end->tls, buf, len);

      if (n >= 0)
        return n;
      if (n == GNUTLS_E_INTERRUPTED)
        continue;
      if (n == GNUTLS_E_AGAIN)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "again");
          return -1;
        }
      if (n == GNUTLS_E_PREMATURE_TERMINATION)
        return 0;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "TLS: %s", gnutls_strerror (n));
      return -1;
    }
}

static void
end_flush (End *end)
{
  GError *error = NULL;

  while (end_pending (end) > 0)
    {
      gssize n = end_send (end, end->out->data + end->out_off, end_pending (end), &error);

      if (n < 0)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              g_debug ("relay: send: %s", error->message);
              g_clear_error (&error);
              end->closing = TRUE;
              end->dead = TRUE;
              g_byte_array_set_size (end->out, 0);
              end->out_off = 0;
              session_detach (end);
              return;
            }
          g_clear_error (&error);
          if (end->out_source == NULL)
            {
              end->out_source = g_socket_create_source (end->socket, G_IO_OUT, NULL);
              g_source_set_callback (end->out_source, (GSourceFunc) (GCallback) on_writable, end, NULL);
              g_source_attach (end->out_source, end->relay->context);
            }
          return;
        }
      end->out_off += n;
    }
  g_byte_array_set_size (end->out, 0);
  end->out_off = 0;
  if (end->out_source != NULL)
    {
      g_source_destroy (end->out_source);
      g_clear_pointer (&end->out_source, g_source_unref);
    }
  if (end->closing && end->linger_since == 0)
    {
      end->linger_since = g_get_monotonic_time ();
      /* RFC 8446 §6.1: our close_notify before the TCP shutdown (sent
       * whole or not at all: the socket drained a moment ago). */
      if (end->tls != NULL)
        gnutls_bye (end->tls, GNUTLS_SHUT_WR);
      g_socket_shutdown (end->socket, FALSE, TRUE, NULL);
      end_watch_in (end, TRUE);
    }
}

static void
end_queue (End          *end,
           guint8        opcode,
           const guint8 *data,
           gsize         len)
{
  guint8 header[10];
  gsize n = nav_ws_write_frame_header (header, opcode, len);

  if (end->closing || end->dead)
    return;
  /* Compact what was sent before growing. */
  if (end->out_off > 0 && end->out_off > end->out->len / 2)
    {
      g_byte_array_remove_range (end->out, 0, end->out_off);
      end->out_off = 0;
    }
  g_byte_array_append (end->out, header, n);
  g_byte_array_append (end->out, data, len);
}

static End *
other_end (End *end)
{
  Session *session = end->session;

  if (session == NULL)
    return NULL;
  return session->ends[0] == end ? session->ends[1] : session->ends[0];
}

/* ------------------------------------------------------------ sessions */

/* The session is over: neither end belongs to it any more. */
static void
session_remove (NavSignalingRelay *relay,
                Session           *session)
{
  guint i;

  for (i = 0; i < 2; i++)
    if (session->ends[i] != NULL)
      session->ends[i]->session = NULL;
  if (session->going)
    ADD (open_sessions, -1);
  g_hash_table_remove (relay->sessions, session->id);
}

/* @end goes: the session ends with it, and its other end is closed
 * (RFC 6455 §7.4.2: a code of the application's range). */
static void
session_detach (End *end)
{
  End *other = other_end (end);

  if (end->session == NULL)
    return;
  session_remove (end->relay, end->session);
  if (other != NULL)
    end_close (other, NAV_SIGNALING_RELAY_CLOSE_PEER_GONE, "the other end left");
}

static void
end_close (End         *end,
           gushort      code,
           const gchar *reason)
{
  guint8 payload[125];
  gsize len = MIN (strlen (reason), sizeof payload - 2);

  if (end->closing || end->dead)
    return;
  payload[0] = code >> 8;
  payload[1] = code & 0xff;
  memcpy (payload + 2, reason, len);
  end_queue (end, NAV_WS_CLOSE, payload, len + 2);
  end->closing = TRUE;
  end->closing_since = g_get_monotonic_time ();
  g_byte_array_set_size (end->in, 0);
  session_detach (end);
  end_flush (end);
}

static gboolean
is_hex (const gchar *text,
        gsize        len)
{
  gsize i;

  for (i = 0; i < len; i++)
    if (!g_ascii_isxdigit (text[i]) || g_ascii_isupper (text[i]))
      return FALSE;
  return TRUE;
}

/* Compares without leaking where they differ. */
static gboolean
same_token (const gchar *a,
            const gchar *b)
{
  guint8 diff = 0;
  gsize i;

  for (i = 0; i < HEX_LEN; i++)
    diff |= a[i] ^ b[i];
  return diff == 0;
}

static void
on_hello (End          *end,
          const guint8 *data,
          gsize         len)
{
  NavSignalingRelay *relay = end->relay;
  gsize prefix = strlen (NAV_SIGNALING_RELAY_HELLO);
  const gchar *text = (const gchar *) data;
  gchar id[HEX_LEN + 1], token[HEX_LEN + 1];
  Session *session;

  if (len != prefix + 2 * HEX_LEN + 1 || memcmp (text, NAV_SIGNALING_RELAY_HELLO, prefix) != 0 ||
      text[prefix + HEX_LEN] != ' ' || !is_hex (text + prefix, HEX_LEN) ||
      !is_hex (text + prefix + HEX_LEN + 1, HEX_LEN))
    {
      ADD (refused, 1);
      end_close (end, NAV_SIGNALING_RELAY_CLOSE_REFUSED, "bad hello");
      return;
    }
  memcpy (id, text + prefix, HEX_LEN);
  id[HEX_LEN] = '\0';
  memcpy (token, text + prefix + HEX_LEN + 1, HEX_LEN);
  token[HEX_LEN] = '\0';
  session = g_hash_table_lookup (relay->sessions, id);
  if (session == NULL)
    {
      session = g_new0 (Session, 1);
      memcpy (session->id, id, sizeof id);
      memcpy (session->token, token, sizeof token);
      session->last_activity = g_get_monotonic_time ();
      session->ends[0] = end;
      end->session = session;
      g_hash_table_insert (relay->sessions, session->id, session);
      end_queue (end, NAV_WS_TEXT, (const guint8 *) "wait", 4);
      end_flush (end);
      return;
    }
  if (session->going || session->ends[0] == NULL || !same_token (session->token, token))
    {
      ADD (refused, 1);
      g_message ("event=relay-refused session=%.8s… reason=%s", id,
                 session->going ? "full" : "token");
      end_close (end, NAV_SIGNALING_RELAY_CLOSE_REFUSED, session->going ? "session full" : "wrong token");
      return;
    }
  session->ends[1] = end;
  end->session = session;
  session->going = TRUE;
  session->last_activity = g_get_monotonic_time ();
  ADD (open_sessions, 1);
  ADD (sessions_total, 1);
  g_message ("event=relay-session session=%.8s…", id);
  end_queue (session->ends[0], NAV_WS_TEXT, (const guint8 *) "go", 2);
  end_flush (session->ends[0]);
  end_queue (end, NAV_WS_TEXT, (const guint8 *) "go", 2);
  end_flush (end);
}

/* ------------------------------------------------------------ input */

static void
on_binary (End          *end,
           const guint8 *data,
           gsize         len)
{
  NavSignalingRelay *relay = end->relay;
  Session *session = end->session;
  End *other = other_end (end);

  if (session == NULL || !session->going || other == NULL)
    {
      ADD (garbage, 1);
      end_close (end, NAV_SIGNALING_CLOSE_PROTOCOL_ERROR, "data before go");
      return;
    }
  if (session->bytes + len > relay->quota)
    {
      ADD (quota_closed, 1);
      g_message ("event=relay-quota session=%.8s… bytes=%" G_GUINT64_FORMAT, session->id, session->bytes);
      /* Both hear why. */
      session_remove (relay, session);
      end_close (other, NAV_SIGNALING_RELAY_CLOSE_QUOTA, "quota exceeded");
      end_close (end, NAV_SIGNALING_RELAY_CLOSE_QUOTA, "quota exceeded");
      return;
    }
  session->bytes += len;
  session->last_activity = g_get_monotonic_time ();
  ADD (bytes, len);
  end_queue (other, NAV_WS_BINARY, data, len);
  end_flush (other);
  /* Back-pressure: the other end's output is bounded. */
  if (end_pending (other) > OUT_HIGH)
    end_watch_in (end, FALSE);
}

/* One whole frame, unmasked.  Returns FALSE when the end goes. */
static gboolean
on_frame (End          *end,
          guint8        opcode,
          gboolean      fin,
          guint8       *data,
          gsize         len)
{
  NavSignalingRelay *relay = end->relay;

  switch (opcode)
    {
    case NAV_WS_TEXT:
      if (!fin || end->session != NULL)
        break;
      on_hello (end, data, len);
      return !end->closing;
    case NAV_WS_BINARY:
      if (!fin)
        break;
      on_binary (end, data, len);
      return !end->closing;
    case NAV_WS_PING:
      end_queue (end, NAV_WS_PONG, data, len);
      end_flush (end);
      return TRUE;
    case NAV_WS_PONG:
      return TRUE;
    case NAV_WS_CLOSE:
      end_close (end, 1000, "bye");
      return FALSE;
    default:
      break;
    }
  /* Fragments, a second hello, a text message in the session. */
  ADD (garbage, 1);
  end_close (end, NAV_SIGNALING_CLOSE_PROTOCOL_ERROR, "unexpected frame");
  return FALSE;
}

static void
end_process (End *end)
{
  NavSignalingRelay *relay = end->relay;
  gsize used = 0;

  while (!end->closing && !end->dead)
    {
      NavWsFrame frame;
      gushort code = 0;
      NavWsResult result = nav_ws_parse_frame_header (end->in->data + used, end->in->len - used, &frame, &code);

      if (result == NAV_WS_NEED_MORE)
        break;
      if (result == NAV_WS_ERROR || frame.payload_len > NAV_SIGNALING_RELAY_MAX_MESSAGE)
        {
          ADD (garbage, 1);
          end_close (end, result == NAV_WS_ERROR ? code : NAV_SIGNALING_CLOSE_TOO_BIG, "bad frame");
          break;
        }
      if (end->in->len - used < frame.header_len + frame.payload_len)
        break;
      nav_ws_unmask (end->in->data + used + frame.header_len, frame.payload_len, frame.mask);
      if (!on_frame (end, frame.opcode, frame.fin, end->in->data + used + frame.header_len,
                     frame.payload_len))
        break;
      used += frame.header_len + frame.payload_len;
      /* Paused by back-pressure: the rest waits in @in. */
      if (end->in_source == NULL)
        break;
    }
  if (used > 0 && !end->dead)
    g_byte_array_remove_range (end->in, 0, MIN (used, end->in->len));
}

static void
end_read (End *end)
{
  guint8 buf[65536];
  gsize got = 0;

  for (;;)
    {
      GError *error = NULL;
      gssize n = end_recv (end, buf, sizeof buf, &error);

      if (n < 0)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              g_debug ("relay: receive: %s", error->message);
              end->closing = TRUE;
              session_detach (end);
              end->dead = TRUE;
            }
          g_clear_error (&error);
          break;
        }
      if (n == 0)
        {
          end->closing = TRUE;
          session_detach (end);
          end->dead = TRUE;
          return;
        }
      if (!end->closing)
        g_byte_array_append (end->in, buf, n);
      got += n;
      /* A plain socket says again when it has more.  GnuTLS may hold
       * records it read already, which no readiness of the socket
       * announces: those are taken now, so that none waits in there. */
      if (end->tls == NULL ||
          (got >= TLS_READ_MAX && gnutls_record_check_pending (end->tls) == 0))
        break;
    }
  if (end->closing || end->dead || end->in->len == 0)
    return;                     /* lingering: dropped */
  end_process (end);
}

static void
end_free (End *end)
{
  if (end->in_source != NULL)
    {
      g_source_destroy (end->in_source);
      g_source_unref (end->in_source);
    }
  if (end->out_source != NULL)
    {
      g_source_destroy (end->out_source);
      g_source_unref (end->out_source);
    }
  if (end->tls != NULL)
    gnutls_deinit (end->tls);
  g_socket_close (end->socket, NULL);
  g_object_unref (end->socket);
  g_byte_array_unref (end->in);
  g_byte_array_unref (end->out);
  g_free (end);
}

/* Frees the dead ends (not from their own callbacks' middle). */
static void
reap (NavSignalingRelay *relay)
{
  GList *l = relay->ends;

  while (l != NULL)
    {
      GList *next = l->next;
      End *end = l->data;

      if (end->dead)
        {
          session_detach (end);
          relay->ends = g_list_delete_link (relay->ends, l);
          end_free (end);
        }
      l = next;
    }
}

/* A reader paused by back-pressure goes on once the other end drained. */
static void
resume_readers (NavSignalingRelay *relay)
{
  GList *l;

  for (l = relay->ends; l != NULL; l = l->next)
    {
      End *end = l->data;
      End *other = other_end (end);

      if (!end->closing && !end->dead && end->in_source == NULL && other != NULL &&
          end_pending (other) <= OUT_LOW)
        {
          end_watch_in (end, TRUE);
          end_process (end);
        }
    }
}

static gboolean
on_readable (GSocket      *socket,
             GIOCondition  condition,
             gpointer      user_data)
{
  End *end = user_data;
  NavSignalingRelay *relay = end->relay;

  end_read (end);
  resume_readers (relay);
  reap (relay);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_writable (GSocket      *socket,
             GIOCondition  condition,
             gpointer      user_data)
{
  End *end = user_data;
  NavSignalingRelay *relay = end->relay;
  GSource *source = g_source_ref (end->out_source);

  end_flush (end);
  resume_readers (relay);
  reap (relay);
  /* end_flush() destroyed it when done. */
  g_source_unref (source);
  return G_SOURCE_CONTINUE;
}

static void
end_watch_in (End      *end,
              gboolean  on)
{
  if (on && end->in_source == NULL)
    {
      end->in_source = g_socket_create_source (end->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_callback (end->in_source, (GSourceFunc) (GCallback) on_readable, end, NULL);
      g_source_attach (end->in_source, end->relay->context);
    }
  else if (!on && end->in_source != NULL)
    {
      g_source_destroy (end->in_source);
      g_clear_pointer (&end->in_source, g_source_unref);
    }
}

/* ------------------------------------------------------------ timers */

static gboolean
on_sweep (gpointer user_data)
{
  NavSignalingRelay *relay = user_data;
  gint64 now = g_get_monotonic_time ();
  GList *l;

  for (l = relay->ends; l != NULL; l = l->next)
    {
      End *end = l->data;

      if (end->dead)
        continue;
      if (end->closing)
        {
          /* Lingered long enough, or never read its close. */
          if ((end->linger_since != 0 && now - end->linger_since > LINGER_US) ||
              now - end->closing_since > CLOSING_US)
            end->dead = TRUE;
          continue;
        }
      if (end->session == NULL && now - end->since > HELLO_TIMEOUT_US)
        {
          ADD (refused, 1);
          end_close (end, NAV_SIGNALING_RELAY_CLOSE_REFUSED, "no hello");
        }
      else if (end->session != NULL &&
               now - end->session->last_activity > (gint64) relay->idle_timeout * G_USEC_PER_SEC)
        {
          ADD (idle_closed, 1);
          end_close (end, NAV_SIGNALING_RELAY_CLOSE_IDLE, "idle");
        }
    }
  reap (relay);
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------ adoption */

typedef struct
{
  NavSignalingRelay *relay;
  gint fd;
  gnutls_session_t tls;
  gchar accept[32];
  GBytes *rest;
} Adoption;

static void
adoption_free (gpointer data)
{
  Adoption *a = data;

  if (a->tls != NULL)
    gnutls_deinit (a->tls);
  if (a->fd >= 0)
    close (a->fd);
  g_bytes_unref (a->rest);
  g_free (a);
}

static gboolean
adopt_in_thread (gpointer user_data)
{
  Adoption *a = user_data;
  NavSignalingRelay *relay = a->relay;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL;
  GSocket *socket = g_socket_new_from_fd (a->fd, &error);
  End *end;
  gsize rest_len = 0;
  const guint8 *rest = g_bytes_get_data (a->rest, &rest_len);

  if (socket == NULL)
    {
      g_debug ("relay: %s", error->message);
      return G_SOURCE_REMOVE;
    }
  g_socket_set_blocking (socket, FALSE);
  end = g_new0 (End, 1);
  end->relay = relay;
  end->socket = socket;
  /* The session goes on over the same connection, on its new
   * descriptor (the worker closes the one it had). */
  end->tls = g_steal_pointer (&a->tls);
  if (end->tls != NULL)
    gnutls_transport_set_int (end->tls, a->fd);
  a->fd = -1;
  end->in = g_byte_array_new ();
  end->out = g_byte_array_new ();
  end->since = g_get_monotonic_time ();
  relay->ends = g_list_prepend (relay->ends, end);
  answer = g_strdup_printf ("HTTP/1.1 101 Switching Protocols\r\nServer: netavanue-relay/%s\r\n"
                            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                            NAV_VERSION_S, a->accept);
  g_byte_array_append (end->out, (const guint8 *) answer, strlen (answer));
  end_flush (end);
  end_watch_in (end, TRUE);
  if (rest_len > 0)
    {
      g_byte_array_append (end->in, rest, rest_len);
      end_process (end);
    }
  /* Records GnuTLS read before the hand-over, if any. */
  if (end->tls != NULL && !end->closing && !end->dead && gnutls_record_check_pending (end->tls) > 0)
    end_read (end);
  reap (relay);
  return G_SOURCE_REMOVE;
}

/* Called by a worker of the signaling server: @fd, and @tls when the
 * connection is wss://, are ours from now. */
void
nav_signaling_relay_adopt (NavSignalingRelay *relay,
                           gint               fd,
                           gnutls_session_t   tls,
                           const gchar       *accept,
                           const guint8      *rest,
                           gsize              rest_len)
{
  Adoption *a = g_new0 (Adoption, 1);

  a->relay = relay;
  a->fd = fd;
  a->tls = tls;
  g_strlcpy (a->accept, accept, sizeof a->accept);
  a->rest = g_bytes_new (rest, rest_len);
  g_main_context_invoke_full (relay->context, G_PRIORITY_DEFAULT, adopt_in_thread, a, adoption_free);
}

/* ------------------------------------------------------------ life */

static gpointer
relay_thread (gpointer user_data)
{
  NavSignalingRelay *relay = user_data;
  GSource *sweep = g_timeout_source_new_seconds (1);

  g_main_context_push_thread_default (relay->context);
  g_source_set_callback (sweep, on_sweep, relay, NULL);
  g_source_attach (sweep, relay->context);
  g_main_loop_run (relay->loop);
  g_source_destroy (sweep);
  g_source_unref (sweep);
  while (relay->ends != NULL)
    {
      End *end = relay->ends->data;

      end->session = NULL;
      relay->ends = g_list_delete_link (relay->ends, relay->ends);
      end_free (end);
    }
  g_hash_table_remove_all (relay->sessions);
  while (g_main_context_iteration (relay->context, FALSE))
    ;
  g_main_context_pop_thread_default (relay->context);
  return NULL;
}

NavSignalingRelay *
nav_signaling_relay_new (guint64   quota,
                         guint     idle_timeout,
                         GError  **error)
{
  NavSignalingRelay *relay = g_new0 (NavSignalingRelay, 1);

  relay->quota = quota > 0 ? quota : G_MAXUINT64;
  relay->idle_timeout = idle_timeout > 0 ? idle_timeout : 60;
  relay->context = g_main_context_new ();
  relay->loop = g_main_loop_new (relay->context, FALSE);
  relay->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  relay->thread = g_thread_try_new ("nav-relay", relay_thread, relay, error);
  if (relay->thread == NULL)
    {
      nav_signaling_relay_free (relay);
      return NULL;
    }
  return relay;
}

static gboolean
quit_in_thread (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* Ends the thread and every connection: their TLS sessions use the
 * signaling server's credentials, so this comes before those go. */
void
nav_signaling_relay_stop (NavSignalingRelay *relay)
{
  if (relay->thread != NULL)
    {
      g_main_context_invoke (relay->context, quit_in_thread, relay->loop);
      g_thread_join (g_steal_pointer (&relay->thread));
    }
}

void
nav_signaling_relay_free (NavSignalingRelay *relay)
{
  nav_signaling_relay_stop (relay);
  g_hash_table_unref (relay->sessions);
  g_main_loop_unref (relay->loop);
  g_main_context_unref (relay->context);
  g_free (relay);
}

guint
nav_signaling_relay_get_sessions (NavSignalingRelay *relay)
{
  return (guint) MAX (GET (open_sessions), 0);
}

/* Callable from any thread. */
void
nav_signaling_relay_add_stats (NavSignalingRelay *relay,
                               GVariantBuilder   *builder)
{
  g_variant_builder_add (builder, "{st}", "relay-sessions", (guint64) MAX (GET (open_sessions), 0));
  g_variant_builder_add (builder, "{st}", "relay-sessions-total", GET (sessions_total));
  g_variant_builder_add (builder, "{st}", "relay-bytes", GET (bytes));
  g_variant_builder_add (builder, "{st}", "relay-refused", GET (refused));
  g_variant_builder_add (builder, "{st}", "relay-garbage", GET (garbage));
  g_variant_builder_add (builder, "{st}", "relay-quota-closed", GET (quota_closed));
  g_variant_builder_add (builder, "{st}", "relay-idle-closed", GET (idle_closed));
}
