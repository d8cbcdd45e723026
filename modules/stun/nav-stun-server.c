/* nav-stun-server.c: the STUN Binding server (RFC 8489, RFC 5780)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-stun-server.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <glib/gi18n-lib.h>
#include <glib-unix.h>

/**
 * NavStunBindingServer:
 *
 * A STUN server (RFC 8489) answering Binding requests over UDP, TCP and
 * TLS, on IPv4 and IPv6.  Given an alternate IP address it also serves
 * NAT behaviour discovery (RFC 5780): it then listens on two addresses and
 * two ports, honours CHANGE-REQUEST and RESPONSE-PORT, and answers with
 * RESPONSE-ORIGIN and OTHER-ADDRESS.
 *
 * The UDP path is built for rate: datagrams are read and answered in
 * batches (recvmmsg(2), sendmmsg(2)) into buffers owned by the server, a
 * Binding request without attributes is answered from its header alone,
 * and the response is written by the codec straight into the send buffer.
 * Everything the server does not answer is counted, see
 * [method@Nav.Server.get_stats].
 *
 * Binding requests from RFC 3489 clients, which have no magic cookie (the
 * ones libnice sends to discover server-reflexive candidates, for one),
 * are answered too, as RFC 8489 §11.2 asks: with MAPPED-ADDRESS, and the
 * request's 16-byte transaction ID echoed whole.
 */

#define UDP_BATCH 64
#define UDP_ROUNDS 16            /* batches per wake-up, for fairness */
#define UDP_RECV_SIZE 2048
#define RESPONSE_SIZE 548        /* RFC 8489 §6.1: fits the IPv4 minimum MTU */
#define TCP_MAX_OUT_QUEUE 64

/* The counters of get_stats().  Names are the keys of the variant. */
#define COUNTERS(X)                                                     \
  X (udp_received,        "udp-received")                               \
  X (udp_responses,       "udp-responses")                              \
  X (tcp_accepted,        "tcp-accepted")                               \
  X (tls_accepted,        "tls-accepted")                               \
  X (tcp_received,        "tcp-received")                               \
  X (tcp_responses,       "tcp-responses")                              \
  X (tcp_rejected,        "tcp-rejected")                               \
  X (tcp_idle_closed,     "tcp-idle-closed")                            \
  X (tls_handshake_failed, "tls-handshake-failed")                      \
  X (binding_success,     "binding-success")                            \
  X (error_400,           "error-400")                                  \
  X (error_420,           "error-420")                                  \
  X (change_request,      "change-request")                             \
  X (rfc3489_requests,    "rfc3489-requests")                           \
  X (dropped_not_stun,    "dropped-not-stun")                           \
  X (dropped_malformed,   "dropped-malformed")                          \
  X (dropped_fingerprint, "dropped-bad-fingerprint")                    \
  X (dropped_not_request, "dropped-not-request")                        \
  X (dropped_oversize,    "dropped-oversize")                           \
  X (dropped_send_failed, "dropped-send-failed")                        \
  X (dropped_build_failed, "dropped-build-failed")

typedef struct
{
#define DECLARE_COUNTER(field, name) guint64 field;
  COUNTERS (DECLARE_COUNTER)
#undef DECLARE_COUNTER
} Counters;

typedef struct _UdpListener UdpListener;

typedef struct _Batch
{
  struct mmsghdr rx_msgs[UDP_BATCH];
  struct iovec rx_iov[UDP_BATCH];
  struct sockaddr_storage rx_addr[UDP_BATCH];
  guint8 rx_buf[UDP_BATCH][UDP_RECV_SIZE];
  struct mmsghdr tx_msgs[UDP_BATCH];
  struct iovec tx_iov[UDP_BATCH];
  struct sockaddr_storage tx_addr[UDP_BATCH];
  guint8 tx_buf[UDP_BATCH][RESPONSE_SIZE];
} Batch;
typedef struct _TcpConnection TcpConnection;

struct _UdpListener
{
  NavStunBindingServer *server;
  int fd;
  NavAddress local;
  GSource *source;
  /* Place in the RFC 5780 grid of two IP addresses by two ports; -1 when
   * the listener is not part of it. */
  gint ip_index;
  gint port_index;
};

struct _NavStunBindingServer
{
  GObject parent_instance;

  GMainContext *context;
  gboolean running;

  /* configuration */
  gchar **listening_ips;
  guint listening_port;
  gchar *alt_listening_ip;
  guint alt_listening_port;
  guint tls_listening_port;
  gboolean udp_enabled;
  gboolean tcp_enabled;
  gboolean tls_enabled;
  gchar *cert_file;
  gchar *pkey_file;
  GTlsCertificate *certificate;
  gchar *software;
  guint tcp_idle_timeout_ms;
  guint max_tcp_connections;

  /* state */
  guint bound_port;
  guint bound_alt_port;
  guint bound_tls_port;
  GPtrArray *udp_listeners;             /* of UdpListener* */
  UdpListener *grid[2][2];              /* RFC 5780: [ip][port] */
  GSocketService *tcp_service;
  GSocketService *tls_service;
  GList *connections;                   /* of TcpConnection* */
  guint n_connections;

  Counters counters;

  /* UDP batch buffers, shared by every listener: the server runs in one
   * main context, so one callback at a time uses them. */
  struct _Batch *batch;
};

static void nav_stun_binding_server_server_init (NavServerInterface *iface);

G_DEFINE_TYPE_WITH_CODE (NavStunBindingServer, nav_stun_binding_server,
                         G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (NAV_TYPE_SERVER,
                                                nav_stun_binding_server_server_init))

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_RUNNING,
  PROP_LISTENING_IPS,
  PROP_LISTENING_PORT,
  PROP_ALT_LISTENING_IP,
  PROP_ALT_LISTENING_PORT,
  PROP_TLS_LISTENING_PORT,
  PROP_UDP,
  PROP_TCP,
  PROP_TLS,
  PROP_CERT_FILE,
  PROP_PKEY_FILE,
  PROP_CERTIFICATE,
  PROP_SOFTWARE,
  PROP_TCP_IDLE_TIMEOUT,
  PROP_MAX_TCP_CONNECTIONS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* RFC 3489 §11.2.5 and §11.2.3, gone from RFC 8489: the server's address
 * and the alternate one, for RFC 3489 clients. */
#define STUN_ATTRIBUTE_SOURCE_ADDRESS 0x0004
#define STUN_ATTRIBUTE_CHANGED_ADDRESS 0x0005

/* Request handling, shared by every transport */

typedef struct
{
  const NavAddress *from;
  UdpListener *via;             /* NULL over TCP and TLS */
  /* out: where the response goes, for CHANGE-REQUEST and RESPONSE-PORT */
  UdpListener *reply_via;
  guint reply_port;             /* 0: the source port */
  gboolean classic;             /* an RFC 3489 request, without magic cookie */
} RequestInfo;

static gboolean
in_grid (NavStunBindingServer *self,
         const UdpListener    *via)
{
  return via != NULL && via->ip_index >= 0 && self->grid[1][1] != NULL;
}

static gsize
build_error (NavStunBindingServer *self,
             const guint8         *request,
             guint                 method,
             gboolean              fingerprint,
             guint                 code,
             const guint16        *unknown,
             gsize                 n_unknown,
             guint8               *out,
             gsize                 out_size)
{
  g_autoptr (NavStunMessageBuilder) b = NULL;
  gsize n;

  b = nav_stun_message_builder_new_with_buffer (NAV_STUN_CLASS_ERROR_RESPONSE,
                                                method & 0xFFF, request + 8,
                                                out, out_size);
  nav_stun_message_builder_add_error_code (b, code,
                                           nav_stun_error_code_get_reason (code),
                                           NULL);
  if (n_unknown > 0)
    nav_stun_message_builder_add_unknown_attributes (b, unknown,
                                                     MIN (n_unknown, 32), NULL);
  if (self->software != NULL)
    nav_stun_message_builder_add_software (b, self->software, NULL);
  if (fingerprint)
    nav_stun_message_builder_add_fingerprint (b, NULL);
  n = nav_stun_message_builder_finish_to_buffer (b, NULL);
  if (n == 0)
    {
      self->counters.dropped_build_failed++;
      return 0;
    }
  if (code == 400)
    self->counters.error_400++;
  else if (code == 420)
    self->counters.error_420++;
  return n;
}

static gsize
build_success (NavStunBindingServer *self,
               const guint8         *request,
               gboolean              fingerprint,
               RequestInfo          *info,
               guint8               *out,
               gsize                 out_size)
{
  g_autoptr (NavStunMessageBuilder) b = NULL;
  gboolean ok;
  gsize n;

  b = nav_stun_message_builder_new_with_buffer (NAV_STUN_CLASS_SUCCESS_RESPONSE,
                                                NAV_STUN_METHOD_BINDING,
                                                request + 8, out, out_size);
  /* RFC 8489 §11.2: an RFC 3489 client does not know XOR-MAPPED-ADDRESS
   * (to it a comprehension-required attribute it does not understand); it
   * gets MAPPED-ADDRESS instead. */
  if (info->classic)
    ok = nav_stun_message_builder_add_mapped_address (b, info->from, NULL);
  else
    ok = nav_stun_message_builder_add_xor_mapped_address (b, info->from, NULL);
  if (ok && in_grid (self, info->via))
    {
      const UdpListener *origin = info->reply_via;
      const UdpListener *other =
        self->grid[1 - info->via->ip_index][1 - info->via->port_index];

      /* RFC 5780 §6.1: RESPONSE-ORIGIN is the address the response is
       * sent from, OTHER-ADDRESS the one differing in both IP and port
       * from the address the request arrived at.  RFC 3489 clients read
       * the same addresses in SOURCE-ADDRESS (RFC 3489 §11.2.5) and
       * CHANGED-ADDRESS (§11.2.3). */
      if (info->classic)
        ok = nav_stun_message_builder_add_address (b, STUN_ATTRIBUTE_SOURCE_ADDRESS,
                                                   &origin->local, NULL) &&
             nav_stun_message_builder_add_address (b, STUN_ATTRIBUTE_CHANGED_ADDRESS,
                                                   &other->local, NULL);
      else
        ok = nav_stun_message_builder_add_response_origin (b, &origin->local,
                                                           NULL) &&
             nav_stun_message_builder_add_other_address (b, &other->local, NULL);
    }
  if (ok && self->software != NULL)
    ok = nav_stun_message_builder_add_software (b, self->software, NULL);
  if (ok && fingerprint)
    ok = nav_stun_message_builder_add_fingerprint (b, NULL);
  n = ok ? nav_stun_message_builder_finish_to_buffer (b, NULL) : 0;
  if (n == 0)
    {
      self->counters.dropped_build_failed++;
      return 0;
    }
  self->counters.binding_success++;
  return n;
}

/* Answers one message whose header has the magic cookie.  Returns the
 * size of the response written to @out, or 0 when the message is dropped
 * (and counted). */
static gsize
handle_stun_message (NavStunBindingServer *self,
                     const guint8         *data,
                     gsize                 len,
                     RequestInfo          *info,
                     guint8               *out,
                     gsize                 out_size)
{
  g_autoptr (NavStunMessage) msg = NULL;
  g_autoptr (GError) error = NULL;
  NavStunClass klass;
  guint method;
  gboolean fingerprint;
  const guint16 *unknown;
  gsize n_unknown;

  info->reply_via = info->via;
  info->reply_port = 0;

  if (!nav_stun_message_peek_type (data, len, &klass, &method))
    {
      self->counters.dropped_not_stun++;
      return 0;
    }

  /* The common case, a Binding request without attributes: the header is
   * all there is to check. */
  if (len == NAV_STUN_HEADER_LENGTH &&
      klass == NAV_STUN_CLASS_REQUEST && method == NAV_STUN_METHOD_BINDING &&
      nav_stun_message_is_stun (data, len))
    return build_success (self, data, FALSE, info, out, out_size);

  msg = nav_stun_message_parse_full (data, len,
                                     NAV_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED,
                                     &error);
  if (msg == NULL)
    {
      if (g_error_matches (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_FINGERPRINT) ||
          g_error_matches (error, NAV_STUN_ERROR, NAV_STUN_ERROR_FINGERPRINT_NOT_LAST))
        {
          /* RFC 8489 §7.3: a message failing the FINGERPRINT check is
           * not STUN; it is discarded, never answered. */
          self->counters.dropped_fingerprint++;
          return 0;
        }
      if (klass == NAV_STUN_CLASS_REQUEST &&
          g_error_matches (error, NAV_STUN_ERROR, NAV_STUN_ERROR_BAD_ATTRIBUTE_LENGTH) &&
          nav_stun_message_peek_length (data, len) == (gssize) len)
        {
          /* RFC 8489 §6.3.1: the header is sound, the attributes are not:
           * a malformed request, answered with 400. */
          return build_error (self, data, method, FALSE, 400, NULL, 0,
                              out, out_size);
        }
      self->counters.dropped_malformed++;
      return 0;
    }

  if (klass != NAV_STUN_CLASS_REQUEST)
    {
      /* Indications (keep-alives) and stray responses get no answer
       * (RFC 8489 §6.3.2, §6.3.3). */
      self->counters.dropped_not_request++;
      return 0;
    }

  /* No FINGERPRINT for RFC 3489 clients: it would cover the patched
   * magic cookie, not the bytes they sent. */
  fingerprint = !info->classic && nav_stun_message_has_fingerprint (msg);

  /* RFC 8489 §6.3.1: unknown comprehension-required attributes are
   * answered with 420, listed in UNKNOWN-ATTRIBUTES. */
  unknown = nav_stun_message_get_unknown_required_attributes (msg, &n_unknown);
  if (n_unknown > 0)
    return build_error (self, data, method, fingerprint, 420, unknown,
                        n_unknown, out, out_size);

  if (method != NAV_STUN_METHOD_BINDING)
    return build_error (self, data, method, fingerprint, 400, NULL, 0,
                        out, out_size);

  if (nav_stun_message_has_attribute (msg, NAV_STUN_ATTRIBUTE_CHANGE_REQUEST))
    {
      NavStunChangeRequestFlags flags = 0;
      static const guint16 change_request = NAV_STUN_ATTRIBUTE_CHANGE_REQUEST;

      if (!nav_stun_message_get_change_request (msg, &flags, NULL))
        return build_error (self, data, method, fingerprint, 400, NULL, 0,
                            out, out_size);
      flags &= NAV_STUN_CHANGE_REQUEST_IP | NAV_STUN_CHANGE_REQUEST_PORT;
      if (flags != 0)
        {
          /* RFC 5780 §6.1: a server without an alternate address (and
           * any server over TCP, where the answer must come back on the
           * connection) cannot honour the request: 420. */
          if (!in_grid (self, info->via))
            return build_error (self, data, method, fingerprint, 420,
                                &change_request, 1, out, out_size);
          self->counters.change_request++;
          info->reply_via = self->grid
            [(flags & NAV_STUN_CHANGE_REQUEST_IP) ? 1 - info->via->ip_index : info->via->ip_index]
            [(flags & NAV_STUN_CHANGE_REQUEST_PORT) ? 1 - info->via->port_index : info->via->port_index];
        }
    }

  if (nav_stun_message_has_attribute (msg, NAV_STUN_ATTRIBUTE_RESPONSE_PORT))
    {
      guint16 port = 0;
      static const guint16 response_port = NAV_STUN_ATTRIBUTE_RESPONSE_PORT;

      if (!nav_stun_message_get_response_port (msg, &port, NULL) || port == 0)
        return build_error (self, data, method, fingerprint, 400, NULL, 0,
                            out, out_size);
      /* RFC 5780 §7.5: only meaningful over UDP, only for a server doing
       * behaviour discovery. */
      if (!in_grid (self, info->via))
        return build_error (self, data, method, fingerprint, 420,
                            &response_port, 1, out, out_size);
      info->reply_port = port;
    }

  return build_success (self, data, fingerprint, info, out, out_size);
}

/* RFC 8489 §11.2 (RFC 5389 §12.2): a server tells an RFC 3489 client by
 * the absence of the magic cookie.  Only its Binding request is answered;
 * RFC 3489's Shared Secret request is gone from STUN.  The header must
 * otherwise be sound: the leading bits zero, the length a multiple of 4
 * matching the datagram. */
static gboolean
is_classic_binding_request (const guint8 *data,
                            gsize         len)
{
  guint16 body;

  if (len < NAV_STUN_HEADER_LENGTH || len > UDP_RECV_SIZE)
    return FALSE;
  if (data[0] != 0x00 || data[1] != 0x01)
    return FALSE;
  if (data[4] == 0x21 && data[5] == 0x12 && data[6] == 0xA4 && data[7] == 0x42)
    return FALSE;
  body = (guint16) ((data[2] << 8) | data[3]);
  return (body & 3) == 0 && (gsize) body + NAV_STUN_HEADER_LENGTH == len;
}

/* Answers one message.  Returns the size of the response written to @out,
 * or 0 when the message is dropped (and counted). */
static gsize
handle_message (NavStunBindingServer *self,
                const guint8         *data,
                gsize                 len,
                RequestInfo          *info,
                guint8               *out,
                gsize                 out_size)
{
  guint8 patched[UDP_RECV_SIZE];
  gsize n;

  info->classic = FALSE;
  if (!is_classic_binding_request (data, len))
    return handle_stun_message (self, data, len, info, out, out_size);

  /* An RFC 3489 request: its attributes are laid out as in RFC 8489, so
   * the codec reads them once the magic cookie is in place (RFC 3489 has
   * no XOR-ed attribute, nor FINGERPRINT: one would fail its check and be
   * dropped).  The answer carries the request's own bytes 4 to 7 back,
   * completing its 128-bit transaction ID. */
  self->counters.rfc3489_requests++;
  memcpy (patched, data, len);
  patched[4] = 0x21;
  patched[5] = 0x12;
  patched[6] = 0xA4;
  patched[7] = 0x42;
  info->classic = TRUE;
  n = handle_stun_message (self, patched, len, info, out, out_size);
  if (n >= NAV_STUN_HEADER_LENGTH)
    memcpy (out + 4, data + 4, 4);
  return n;
}

/* UDP */

static int
open_socket (const NavAddress  *address,
             int                type,
             NavAddress        *bound,
             GError           **error)
{
  struct sockaddr_storage ss;
  socklen_t sl;
  int family = nav_address_get_family (address) == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET;
  int fd, one = 1;

  fd = socket (family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    goto fail;
  /* TCP only: lets a restarted server bind over TIME_WAIT.  On a UDP
   * socket Linux would let a second server bind the same port and silently
   * take its traffic. */
  if (type == SOCK_STREAM)
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  /* One socket per family, so 0.0.0.0 and :: can share a port. */
  if (family == AF_INET6)
    setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  sl = nav_address_copy_to_sockaddr (address, (struct sockaddr *) &ss, sizeof ss);
  if (bind (fd, (struct sockaddr *) &ss, sl) < 0)
    goto fail;
  if (type == SOCK_STREAM && listen (fd, 1024) < 0)
    goto fail;
  if (type == SOCK_DGRAM)
    {
      int size = 4 * 1024 * 1024;

      setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
      setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
  sl = sizeof ss;
  if (getsockname (fd, (struct sockaddr *) &ss, &sl) < 0)
    goto fail;
  nav_address_set_from_sockaddr (bound, (struct sockaddr *) &ss, sl);
  return fd;

fail:
  {
    int saved = errno;
    gchar buf[NAV_ADDRESS_STRING_LEN];

    if (fd >= 0)
      close (fd);
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                 _("Cannot listen on %s (%s): %s"),
                 nav_address_to_string_buf (address, buf),
                 type == SOCK_DGRAM ? "UDP" : "TCP", g_strerror (saved));
    return -1;
  }
}

static void
udp_send_one (NavStunBindingServer *self,
              UdpListener          *via,
              const guint8         *data,
              gsize                 len,
              const NavAddress     *to)
{
  struct sockaddr_storage ss;
  socklen_t sl = nav_address_copy_to_sockaddr (to, (struct sockaddr *) &ss, sizeof ss);

  if (sendto (via->fd, data, len, 0, (struct sockaddr *) &ss, sl) < 0)
    self->counters.dropped_send_failed++;
  else
    self->counters.udp_responses++;
}

static void
udp_flush (NavStunBindingServer *self,
           UdpListener          *listener,
           guint                 n_tx)
{
  guint sent = 0;

  while (sent < n_tx)
    {
      int r = sendmmsg (listener->fd, self->batch->tx_msgs + sent, n_tx - sent, 0);

      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          /* Skip the datagram that failed (EAGAIN: the socket buffer is
           * full; anything else: that destination is bad). */
          self->counters.dropped_send_failed++;
          sent++;
          continue;
        }
      sent += r;
      self->counters.udp_responses += r;
    }
}

static gboolean
udp_readable (gint         fd,
              GIOCondition condition,
              gpointer     user_data)
{
  UdpListener *listener = user_data;
  NavStunBindingServer *self = listener->server;
  guint round;

  for (round = 0; round < UDP_ROUNDS; round++)
    {
      guint i, n_tx = 0;
      int n;

      for (i = 0; i < UDP_BATCH; i++)
        {
          self->batch->rx_iov[i].iov_base = self->batch->rx_buf[i];
          self->batch->rx_iov[i].iov_len = UDP_RECV_SIZE;
          self->batch->rx_msgs[i].msg_hdr.msg_name = &self->batch->rx_addr[i];
          self->batch->rx_msgs[i].msg_hdr.msg_namelen = sizeof self->batch->rx_addr[i];
          self->batch->rx_msgs[i].msg_hdr.msg_iov = &self->batch->rx_iov[i];
          self->batch->rx_msgs[i].msg_hdr.msg_iovlen = 1;
          self->batch->rx_msgs[i].msg_hdr.msg_control = NULL;
          self->batch->rx_msgs[i].msg_hdr.msg_controllen = 0;
          self->batch->rx_msgs[i].msg_hdr.msg_flags = 0;
        }

      n = recvmmsg (listener->fd, self->batch->rx_msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
      if (n <= 0)
        break;

      self->counters.udp_received += n;
      for (i = 0; i < (guint) n; i++)
        {
          NavAddress from;
          RequestInfo info = { 0 };
          guint8 *out = self->batch->tx_buf[n_tx];
          gsize len;

          if (self->batch->rx_msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
            {
              self->counters.dropped_oversize++;
              continue;
            }
          if (!nav_address_set_from_sockaddr (&from,
                                              (struct sockaddr *) &self->batch->rx_addr[i],
                                              self->batch->rx_msgs[i].msg_hdr.msg_namelen))
            {
              self->counters.dropped_malformed++;
              continue;
            }
          info.from = &from;
          info.via = listener;
          len = handle_message (self, self->batch->rx_buf[i], self->batch->rx_msgs[i].msg_len,
                                &info, out, RESPONSE_SIZE);
          if (len == 0)
            continue;

          if (info.reply_via != listener || info.reply_port != 0)
            {
              /* RFC 5780: the answer leaves from another socket, or goes
               * to another port; rare, sent on its own. */
              if (info.reply_port != 0)
                nav_address_set_port (&from, info.reply_port);
              udp_send_one (self, info.reply_via, out, len, &from);
              continue;
            }

          self->batch->tx_iov[n_tx].iov_base = out;
          self->batch->tx_iov[n_tx].iov_len = len;
          memcpy (&self->batch->tx_addr[n_tx], &self->batch->rx_addr[i],
                  self->batch->rx_msgs[i].msg_hdr.msg_namelen);
          self->batch->tx_msgs[n_tx].msg_hdr.msg_name = &self->batch->tx_addr[n_tx];
          self->batch->tx_msgs[n_tx].msg_hdr.msg_namelen = self->batch->rx_msgs[i].msg_hdr.msg_namelen;
          self->batch->tx_msgs[n_tx].msg_hdr.msg_iov = &self->batch->tx_iov[n_tx];
          self->batch->tx_msgs[n_tx].msg_hdr.msg_iovlen = 1;
          self->batch->tx_msgs[n_tx].msg_hdr.msg_control = NULL;
          self->batch->tx_msgs[n_tx].msg_hdr.msg_controllen = 0;
          self->batch->tx_msgs[n_tx].msg_hdr.msg_flags = 0;
          n_tx++;
        }

      if (n_tx > 0)
        udp_flush (self, listener, n_tx);
      if (n < UDP_BATCH)
        break;
    }

  return G_SOURCE_CONTINUE;
}

static UdpListener *
udp_listener_new (NavStunBindingServer  *self,
                  const NavAddress      *address,
                  gint                   ip_index,
                  gint                   port_index,
                  GError               **error)
{
  UdpListener *listener;
  NavAddress bound;
  int fd;

  fd = open_socket (address, SOCK_DGRAM, &bound, error);
  if (fd < 0)
    return NULL;

  listener = g_new0 (UdpListener, 1);
  listener->server = self;
  listener->fd = fd;
  listener->local = bound;
  listener->ip_index = ip_index;
  listener->port_index = port_index;
  listener->source = g_unix_fd_source_new (fd, G_IO_IN);
  g_source_set_callback (listener->source, G_SOURCE_FUNC (udp_readable),
                         listener, NULL);
  g_source_set_static_name (listener->source, "[nav-stun] UDP listener");
  g_source_attach (listener->source, self->context);
  g_ptr_array_add (self->udp_listeners, listener);
  return listener;
}

static void
udp_listener_free (gpointer data)
{
  UdpListener *listener = data;

  g_source_destroy (listener->source);
  g_source_unref (listener->source);
  close (listener->fd);
  g_free (listener);
}

/* TCP and TLS: STUN messages framed by their own length (RFC 8489 §6.2.2) */

struct _TcpConnection
{
  gint ref_count;
  NavStunBindingServer *server;         /* NULL once closed */
  GIOStream *stream;
  GCancellable *cancellable;
  NavAddress peer;
  gboolean tls;
  guint8 *in;
  gsize in_len;
  gsize in_size;
  GQueue out;                           /* of GBytes */
  gboolean writing;
  GSource *idle;
  gint64 last_activity;
};

static TcpConnection *
tcp_connection_ref (TcpConnection *conn)
{
  g_atomic_int_inc (&conn->ref_count);
  return conn;
}

static void
tcp_connection_unref (TcpConnection *conn)
{
  if (!g_atomic_int_dec_and_test (&conn->ref_count))
    return;
  g_clear_object (&conn->stream);
  g_clear_object (&conn->cancellable);
  g_queue_clear_full (&conn->out, (GDestroyNotify) g_bytes_unref);
  g_free (conn->in);
  g_free (conn);
}

static void
tcp_connection_close (TcpConnection *conn)
{
  NavStunBindingServer *self = conn->server;

  if (self == NULL)
    return;
  conn->server = NULL;
  self->connections = g_list_remove (self->connections, conn);
  self->n_connections--;
  g_cancellable_cancel (conn->cancellable);
  if (conn->idle != NULL)
    {
      g_source_destroy (conn->idle);
      g_clear_pointer (&conn->idle, g_source_unref);
    }
  /* Closing the socket underneath, not the TLS layer: a close_notify to a
   * peer that may not read it must not block anything. */
  if (G_IS_TLS_CONNECTION (conn->stream))
    {
      GIOStream *base = NULL;

      g_object_get (conn->stream, "base-io-stream", &base, NULL);
      if (base != NULL)
        {
          g_io_stream_close (base, NULL, NULL);
          g_object_unref (base);
        }
    }
  g_io_stream_close (conn->stream, NULL, NULL);
  tcp_connection_unref (conn);
}

static void tcp_read (TcpConnection *conn);
static void tcp_write_done (GObject *source, GAsyncResult *result, gpointer user_data);

/* The head of the queue is the message being written: it stays queued
 * (and alive) until its write is done. */
static void
tcp_write_next (TcpConnection *conn)
{
  GBytes *next = g_queue_peek_head (&conn->out);

  conn->writing = TRUE;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (conn->stream),
                                   g_bytes_get_data (next, NULL),
                                   g_bytes_get_size (next),
                                   G_PRIORITY_DEFAULT, conn->cancellable,
                                   tcp_write_done, conn);
}

static void
tcp_write_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  TcpConnection *conn = user_data;
  g_autoptr (GError) error = NULL;
  GBytes *done;

  conn->writing = FALSE;
  done = g_queue_pop_head (&conn->out);
  if (done != NULL)
    g_bytes_unref (done);
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result,
                                         NULL, &error))
    {
      tcp_connection_close (conn);
      tcp_connection_unref (conn);
      return;
    }
  if (conn->server != NULL && !g_queue_is_empty (&conn->out))
    {
      tcp_write_next (conn);      /* keeps the reference */
      return;
    }
  tcp_connection_unref (conn);
}

static void
tcp_queue (TcpConnection *conn,
           const guint8  *data,
           gsize          len)
{
  if (g_queue_get_length (&conn->out) >= TCP_MAX_OUT_QUEUE)
    {
      /* The client sends and never reads. */
      conn->server->counters.dropped_send_failed++;
      tcp_connection_close (conn);
      return;
    }
  g_queue_push_tail (&conn->out, g_bytes_new (data, len));
  if (!conn->writing)
    {
      tcp_connection_ref (conn);
      tcp_write_next (conn);
    }
}

static gboolean
tcp_process (TcpConnection *conn)
{
  NavStunBindingServer *self = conn->server;
  gsize offset = 0;

  while (self != NULL && conn->server != NULL)
    {
      gssize size = nav_stun_message_peek_length (conn->in + offset,
                                                  conn->in_len - offset);
      guint8 out[RESPONSE_SIZE];
      RequestInfo info = { 0 };
      gsize len;

      if (size < 0)
        {
          /* Not STUN: the stream cannot be resynchronised. */
          self->counters.dropped_not_stun++;
          tcp_connection_close (conn);
          return FALSE;
        }
      if (size == 0 || (gsize) size > conn->in_len - offset)
        {
          if (size > 0 && (gsize) size > conn->in_size)
            {
              conn->in_size = size;
              conn->in = g_realloc (conn->in, conn->in_size);
            }
          break;
        }
      self->counters.tcp_received++;
      info.from = &conn->peer;
      len = handle_message (self, conn->in + offset, size, &info, out, sizeof out);
      offset += size;
      if (len > 0)
        {
          self->counters.tcp_responses++;
          tcp_queue (conn, out, len);
        }
    }

  if (conn->server == NULL)
    return FALSE;
  if (offset > 0)
    {
      memmove (conn->in, conn->in + offset, conn->in_len - offset);
      conn->in_len -= offset;
    }
  return TRUE;
}

static void
tcp_read_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  TcpConnection *conn = user_data;
  g_autoptr (GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n <= 0 || conn->server == NULL)
    {
      tcp_connection_close (conn);
      tcp_connection_unref (conn);
      return;
    }
  conn->in_len += n;
  conn->last_activity = g_get_monotonic_time ();
  if (tcp_process (conn))
    tcp_read (conn);
  tcp_connection_unref (conn);
}

static void
tcp_read (TcpConnection *conn)
{
  if (conn->in_len == conn->in_size)
    {
      conn->in_size *= 2;
      conn->in = g_realloc (conn->in, conn->in_size);
    }
  g_input_stream_read_async (g_io_stream_get_input_stream (conn->stream),
                             conn->in + conn->in_len,
                             conn->in_size - conn->in_len,
                             G_PRIORITY_DEFAULT, conn->cancellable,
                             tcp_read_done, tcp_connection_ref (conn));
}

static gboolean
tcp_idle_check (gpointer user_data)
{
  TcpConnection *conn = user_data;
  NavStunBindingServer *self = conn->server;

  if (self == NULL)
    return G_SOURCE_REMOVE;
  if (g_get_monotonic_time () - conn->last_activity >=
      (gint64) self->tcp_idle_timeout_ms * 1000)
    {
      /* Half-open or silent clients must not hold a slot for ever. */
      self->counters.tcp_idle_closed++;
      g_clear_pointer (&conn->idle, g_source_unref);
      tcp_connection_close (conn);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
tls_handshake_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  TcpConnection *conn = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result,
                                          &error))
    {
      if (conn->server != NULL)
        {
          gchar buf[NAV_ADDRESS_STRING_LEN];

          conn->server->counters.tls_handshake_failed++;
          g_debug ("event=tls-handshake-failed peer=%s error=\"%s\"",
                   nav_address_to_string_buf (&conn->peer, buf),
                   error->message);
        }
      tcp_connection_close (conn);
    }
  else if (conn->server != NULL)
    {
      tcp_read (conn);
    }
  tcp_connection_unref (conn);
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  NavStunBindingServer *self = user_data;
  gboolean tls = service == self->tls_service;
  g_autoptr (GSocketAddress) remote = NULL;
  TcpConnection *conn;

  if (self->n_connections >= self->max_tcp_connections)
    {
      self->counters.tcp_rejected++;
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }

  conn = g_new0 (TcpConnection, 1);
  conn->ref_count = 1;
  conn->server = self;
  conn->tls = tls;
  conn->cancellable = g_cancellable_new ();
  conn->in_size = 2048;
  conn->in = g_malloc (conn->in_size);
  conn->last_activity = g_get_monotonic_time ();
  g_queue_init (&conn->out);
  remote = g_socket_connection_get_remote_address (connection, NULL);
  if (remote == NULL ||
      !nav_address_set_from_socket_address (&conn->peer, remote, NULL))
    nav_address_init (&conn->peer);

  self->connections = g_list_prepend (self->connections, conn);
  self->n_connections++;

  conn->idle = g_timeout_source_new (MAX (self->tcp_idle_timeout_ms / 2, 10));
  g_source_set_callback (conn->idle, tcp_idle_check, conn, NULL);
  g_source_attach (conn->idle, self->context);

  if (tls)
    {
      g_autoptr (GError) error = NULL;
      GIOStream *tls_stream;

      self->counters.tls_accepted++;
      tls_stream = g_tls_server_connection_new (G_IO_STREAM (connection),
                                                self->certificate, &error);
      if (tls_stream == NULL)
        {
          g_warning ("event=tls-failed error=\"%s\"", error->message);
          conn->stream = g_object_ref (G_IO_STREAM (connection));
          tcp_connection_close (conn);
          return TRUE;
        }
      conn->stream = tls_stream;
      g_tls_connection_handshake_async (G_TLS_CONNECTION (tls_stream),
                                        G_PRIORITY_DEFAULT, conn->cancellable,
                                        tls_handshake_done,
                                        tcp_connection_ref (conn));
    }
  else
    {
      self->counters.tcp_accepted++;
      conn->stream = g_object_ref (G_IO_STREAM (connection));
      tcp_read (conn);
    }
  return TRUE;
}

static gboolean
add_stream_listener (NavStunBindingServer  *self,
                     GSocketService        *service,
                     const NavAddress      *address,
                     NavAddress            *bound,
                     GError               **error)
{
  g_autoptr (GSocket) socket = NULL;
  int fd;

  fd = open_socket (address, SOCK_STREAM, bound, error);
  if (fd < 0)
    return FALSE;
  socket = g_socket_new_from_fd (fd, error);
  if (socket == NULL)
    {
      close (fd);
      return FALSE;
    }
  return g_socket_listener_add_socket (G_SOCKET_LISTENER (service), socket,
                                       NULL, error);
}

/* NavServer */

static gboolean
parse_ip (const gchar  *ip,
          guint         port,
          NavAddress   *address,
          GError      **error)
{
  nav_address_init (address);
  if (!nav_address_set_ip_from_string (address, ip, NULL))
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ADDRESS,
                   _("“%s” is not an IP address"), ip);
      return FALSE;
    }
  nav_address_set_port (address, port);
  return TRUE;
}

static void
log_listener (const gchar      *proto,
              const NavAddress *address,
              const gchar      *role)
{
  gchar buf[NAV_ADDRESS_STRING_LEN];

  g_message ("event=listening transport=%s address=%s%s%s", proto,
             nav_address_to_string_buf (address, buf),
             role != NULL ? " role=" : "", role != NULL ? role : "");
}

static void nav_stun_binding_server_stop (NavServer *server);

static gboolean
start_once (NavStunBindingServer  *self,
            GError               **error)
{
  NavServer *server = NAV_SERVER (self);
  static const gchar * const default_ips[] = { "0.0.0.0", "::", NULL };
  const gchar * const *ips;
  guint i, port;
  gboolean rfc5780 = self->alt_listening_ip != NULL && self->alt_listening_ip[0] != '\0';
  gboolean do_tls;

  if (self->running)
    return TRUE;

  ips = self->listening_ips != NULL && self->listening_ips[0] != NULL
        ? (const gchar * const *) self->listening_ips : default_ips;

  if (!self->udp_enabled && !self->tcp_enabled && !self->tls_enabled)
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("UDP, TCP and TLS are all disabled: nothing to serve"));
      return FALSE;
    }

  do_tls = self->tls_enabled;
  if (do_tls && self->certificate == NULL)
    {
      if (self->cert_file != NULL)
        {
          self->certificate =
            g_tls_certificate_new_from_files (self->cert_file,
                                              self->pkey_file != NULL ? self->pkey_file : self->cert_file,
                                              error);
          if (self->certificate == NULL)
            return FALSE;
        }
      else
        {
          /* As coturn: no certificate, no TLS listener. */
          g_message ("event=tls-disabled reason=\"no certificate\"");
          do_tls = FALSE;
        }
    }

  if (rfc5780)
    {
      NavAddress a;

      if (!parse_ip (ips[0], 0, &a, error) ||
          !parse_ip (self->alt_listening_ip, 0, &a, error))
        return FALSE;
      parse_ip (ips[0], 0, &a, NULL);
      if (nav_address_is_any (&a))
        {
          g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                       _("RFC 5780 mode needs a specific listening IP address, not %s"),
                       ips[0]);
          return FALSE;
        }
    }

  self->udp_listeners = g_ptr_array_new_with_free_func (udp_listener_free);
  self->bound_port = self->listening_port;
  self->bound_alt_port = self->alt_listening_port != 0
                         ? self->alt_listening_port
                         : (self->listening_port != 0 ? self->listening_port + 1 : 0);
  self->bound_tls_port = self->tls_listening_port;

  /* UDP: the primary port on every listening IP; in RFC 5780 mode the
   * grid of (primary, alternate IP) x (primary, alternate port). */
  if (self->udp_enabled)
    {
      for (i = 0; ips[i] != NULL; i++)
        {
          NavAddress a;
          UdpListener *l;

          if (!parse_ip (ips[i], self->bound_port, &a, error))
            goto fail;
          l = udp_listener_new (self, &a, (rfc5780 && i == 0) ? 0 : -1,
                                (rfc5780 && i == 0) ? 0 : -1, error);
          if (l == NULL)
            goto fail;
          if (self->bound_port == 0)
            self->bound_port = nav_address_get_port (&l->local);
          if (rfc5780 && i == 0)
            self->grid[0][0] = l;
          log_listener ("udp", &l->local, rfc5780 && i == 0 ? "primary" : NULL);
        }
      if (rfc5780)
        {
          const gchar *grid_ips[2] = { ips[0], self->alt_listening_ip };
          guint ip, pi;

          for (ip = 0; ip < 2; ip++)
            for (pi = 0; pi < 2; pi++)
              {
                NavAddress a;
                UdpListener *l;

                if (ip == 0 && pi == 0)
                  continue;
                port = pi == 0 ? self->bound_port : self->bound_alt_port;
                if (!parse_ip (grid_ips[ip], port, &a, error))
                  goto fail;
                l = udp_listener_new (self, &a, ip, pi, error);
                if (l == NULL)
                  goto fail;
                if (pi == 1 && self->bound_alt_port == 0)
                  self->bound_alt_port = nav_address_get_port (&l->local);
                self->grid[ip][pi] = l;
                log_listener ("udp", &l->local, "rfc5780");
              }
        }
    }

  g_main_context_push_thread_default (self->context);
  if (self->tcp_enabled)
    {
      self->tcp_service = g_socket_service_new ();
      g_signal_connect (self->tcp_service, "incoming", G_CALLBACK (on_incoming), self);
      for (i = 0; ips[i] != NULL; i++)
        {
          NavAddress a, bound;

          if (!parse_ip (ips[i], self->bound_port, &a, error) ||
              !add_stream_listener (self, self->tcp_service, &a, &bound, error))
            {
              g_main_context_pop_thread_default (self->context);
              goto fail;
            }
          if (self->bound_port == 0)
            self->bound_port = nav_address_get_port (&bound);
          log_listener ("tcp", &bound, NULL);
        }
      g_socket_service_start (self->tcp_service);
    }
  if (do_tls)
    {
      self->tls_service = g_socket_service_new ();
      g_signal_connect (self->tls_service, "incoming", G_CALLBACK (on_incoming), self);
      for (i = 0; ips[i] != NULL; i++)
        {
          NavAddress a, bound;

          if (!parse_ip (ips[i], self->bound_tls_port, &a, error) ||
              !add_stream_listener (self, self->tls_service, &a, &bound, error))
            {
              g_main_context_pop_thread_default (self->context);
              goto fail;
            }
          if (self->bound_tls_port == 0)
            self->bound_tls_port = nav_address_get_port (&bound);
          log_listener ("tls", &bound, NULL);
        }
      g_socket_service_start (self->tls_service);
    }
  g_main_context_pop_thread_default (self->context);

  self->running = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  return TRUE;

fail:
  self->running = TRUE;
  nav_stun_binding_server_stop (server);
  return FALSE;
}

/* With listening port 0 the kernel picks the UDP port and TCP (and the
 * RFC 5780 grid) must get the same number; when some TCP socket of this
 * machine holds it already, the whole pick is made again. */
#define MAX_PORT_PICKS 16

static gboolean
nav_stun_binding_server_start (NavServer  *server,
                               GError    **error)
{
  NavStunBindingServer *self = NAV_STUN_BINDING_SERVER (server);
  guint attempt;

  for (attempt = 1; ; attempt++)
    {
      g_autoptr (GError) local_error = NULL;

      if (start_once (self, &local_error))
        return TRUE;
      if (self->listening_port != 0 || attempt == MAX_PORT_PICKS ||
          !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_debug ("event=port-pick-retry attempt=%u reason=\"%s\"", attempt, local_error->message);
    }
}

static void
nav_stun_binding_server_stop (NavServer *server)
{
  NavStunBindingServer *self = NAV_STUN_BINDING_SERVER (server);

  if (!self->running)
    return;

  while (self->connections != NULL)
    tcp_connection_close (self->connections->data);
  if (self->tcp_service != NULL)
    {
      g_socket_service_stop (self->tcp_service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->tcp_service));
      g_signal_handlers_disconnect_by_data (self->tcp_service, self);
      g_clear_object (&self->tcp_service);
    }
  if (self->tls_service != NULL)
    {
      g_socket_service_stop (self->tls_service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->tls_service));
      g_signal_handlers_disconnect_by_data (self->tls_service, self);
      g_clear_object (&self->tls_service);
    }
  g_clear_pointer (&self->udp_listeners, g_ptr_array_unref);
  memset (self->grid, 0, sizeof self->grid);

  self->running = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static GVariant *
nav_stun_binding_server_get_stats (NavServer *server)
{
  NavStunBindingServer *self = NAV_STUN_BINDING_SERVER (server);
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{st}"));
#define ADD_COUNTER(field, name) \
  g_variant_builder_add (&b, "{st}", name, (guint64) self->counters.field);
  COUNTERS (ADD_COUNTER)
#undef ADD_COUNTER
  g_variant_builder_add (&b, "{st}", "tcp-connections", (guint64) self->n_connections);
  /* The totals every NavServer reports. */
  g_variant_builder_add (&b, "{st}", "received",
                         (guint64) (self->counters.udp_received + self->counters.tcp_received));
  g_variant_builder_add (&b, "{st}", "answered",
                         (guint64) (self->counters.udp_responses + self->counters.tcp_responses));
  g_variant_builder_add (&b, "{st}", "dropped",
                         (guint64) (self->counters.dropped_not_stun +
                                    self->counters.dropped_malformed +
                                    self->counters.dropped_fingerprint +
                                    self->counters.dropped_not_request +
                                    self->counters.dropped_oversize +
                                    self->counters.dropped_send_failed +
                                    self->counters.dropped_build_failed));
  return g_variant_builder_end (&b);
}

static void
nav_stun_binding_server_server_init (NavServerInterface *iface)
{
  iface->start = nav_stun_binding_server_start;
  iface->stop = nav_stun_binding_server_stop;
  iface->get_stats = nav_stun_binding_server_get_stats;
}

/**
 * nav_stun_binding_server_get_counter:
 * @self: a server
 * @name: a counter's name, as in the stats
 *
 * Returns: the value of the counter, 0 for an unknown name
 */
guint64
nav_stun_binding_server_get_counter (NavStunBindingServer *self,
                                     const gchar          *name)
{
  g_return_val_if_fail (NAV_IS_STUN_BINDING_SERVER (self), 0);

#define GET_COUNTER(field, name_) \
  if (g_str_equal (name, name_)) return self->counters.field;
  COUNTERS (GET_COUNTER)
#undef GET_COUNTER
  if (g_str_equal (name, "tcp-connections"))
    return self->n_connections;
  return 0;
}

/**
 * nav_stun_binding_server_get_port:
 * @self: a running server
 *
 * Returns: the port the UDP and TCP listeners are bound to (the one the
 *   system chose when [property@Nav.StunBindingServer:listening-port] is 0)
 */
guint
nav_stun_binding_server_get_port (NavStunBindingServer *self)
{
  g_return_val_if_fail (NAV_IS_STUN_BINDING_SERVER (self), 0);
  return self->bound_port;
}

/**
 * nav_stun_binding_server_get_alt_port:
 * @self: a running server
 *
 * Returns: the RFC 5780 alternate port, 0 outside RFC 5780 mode
 */
guint
nav_stun_binding_server_get_alt_port (NavStunBindingServer *self)
{
  g_return_val_if_fail (NAV_IS_STUN_BINDING_SERVER (self), 0);
  return self->grid[1][1] != NULL ? self->bound_alt_port : 0;
}

/**
 * nav_stun_binding_server_get_tls_port:
 * @self: a running server
 *
 * Returns: the port of the TLS listeners, 0 when TLS is off
 */
guint
nav_stun_binding_server_get_tls_port (NavStunBindingServer *self)
{
  g_return_val_if_fail (NAV_IS_STUN_BINDING_SERVER (self), 0);
  return self->tls_service != NULL ? self->bound_tls_port : 0;
}

/* GObject */

static void
nav_stun_binding_server_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  NavStunBindingServer *self = NAV_STUN_BINDING_SERVER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT: g_value_set_boxed (value, self->context); break;
    case PROP_RUNNING: g_value_set_boolean (value, self->running); break;
    case PROP_LISTENING_IPS: g_value_set_boxed (value, self->listening_ips); break;
    case PROP_LISTENING_PORT: g_value_set_uint (value, self->listening_port); break;
    case PROP_ALT_LISTENING_IP: g_value_set_string (value, self->alt_listening_ip); break;
    case PROP_ALT_LISTENING_PORT: g_value_set_uint (value, self->alt_listening_port); break;
    case PROP_TLS_LISTENING_PORT: g_value_set_uint (value, self->tls_listening_port); break;
    case PROP_UDP: g_value_set_boolean (value, self->udp_enabled); break;
    case PROP_TCP: g_value_set_boolean (value, self->tcp_enabled); break;
    case PROP_TLS: g_value_set_boolean (value, self->tls_enabled); break;
    case PROP_CERT_FILE: g_value_set_string (value, self->cert_file); break;
    case PROP_PKEY_FILE: g_value_set_string (value, self->pkey_file); break;
    case PROP_CERTIFICATE: g_value_set_object (value, self->certificate); break;
    case PROP_SOFTWARE: g_value_set_string (value, self->software); break;
    case PROP_TCP_IDLE_TIMEOUT: g_value_set_uint (value, self->tcp_idle_timeout_ms); break;
    case PROP_MAX_TCP_CONNECTIONS: g_value_set_uint (value, self->max_tcp_connections); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_stun_binding_server_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  NavStunBindingServer *self = NAV_STUN_BINDING_SERVER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_clear_pointer (&self->context, g_main_context_unref);
      self->context = g_value_dup_boxed (value);
      break;
    case PROP_LISTENING_IPS:
      g_strfreev (self->listening_ips);
      self->listening_ips = g_value_dup_boxed (value);
      break;
    case PROP_LISTENING_PORT: self->listening_port = g_value_get_uint (value); break;
    case PROP_ALT_LISTENING_IP:
      g_free (self->alt_listening_ip);
      self->alt_listening_ip = g_value_dup_string (value);
      break;
    case PROP_ALT_LISTENING_PORT: self->alt_listening_port = g_value_get_uint (value); break;
    case PROP_TLS_LISTENING_PORT: self->tls_listening_port = g_value_get_uint (value); break;
    case PROP_UDP: self->udp_enabled = g_value_get_boolean (value); break;
    case PROP_TCP: self->tcp_enabled = g_value_get_boolean (value); break;
    case PROP_TLS: self->tls_enabled = g_value_get_boolean (value); break;
    case PROP_CERT_FILE:
      g_free (self->cert_file);
      self->cert_file = g_value_dup_string (value);
      break;
    case PROP_PKEY_FILE:
      g_free (self->pkey_file);
      self->pkey_file = g_value_dup_string (value);
      break;
    case PROP_CERTIFICATE:
      g_set_object (&self->certificate, g_value_get_object (value));
      break;
    case PROP_SOFTWARE:
      g_free (self->software);
      self->software = g_value_dup_string (value);
      break;
    case PROP_TCP_IDLE_TIMEOUT: self->tcp_idle_timeout_ms = g_value_get_uint (value); break;
    case PROP_MAX_TCP_CONNECTIONS: self->max_tcp_connections = g_value_get_uint (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_stun_binding_server_finalize (GObject *object)
{
  NavStunBindingServer *self = NAV_STUN_BINDING_SERVER (object);

  nav_stun_binding_server_stop (NAV_SERVER (self));
  g_clear_pointer (&self->context, g_main_context_unref);
  g_strfreev (self->listening_ips);
  g_free (self->alt_listening_ip);
  g_free (self->cert_file);
  g_free (self->pkey_file);
  g_clear_object (&self->certificate);
  g_free (self->software);
  g_free (self->batch);

  G_OBJECT_CLASS (nav_stun_binding_server_parent_class)->finalize (object);
}

static void
nav_stun_binding_server_constructed (GObject *object)
{
  NavStunBindingServer *self = NAV_STUN_BINDING_SERVER (object);

  G_OBJECT_CLASS (nav_stun_binding_server_parent_class)->constructed (object);
  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
}

static void
nav_stun_binding_server_class_init (NavStunBindingServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = nav_stun_binding_server_get_property;
  object_class->set_property = nav_stun_binding_server_set_property;
  object_class->finalize = nav_stun_binding_server_finalize;
  object_class->constructed = nav_stun_binding_server_constructed;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");
  g_object_class_override_property (object_class, PROP_RUNNING, "running");

  /**
   * NavStunBindingServer:listening-ips:
   *
   * The IP addresses to listen on (coturn's `--listening-ip`); %NULL means
   * every IPv4 and IPv6 address.  In RFC 5780 mode the first one is the
   * primary address.
   */
  properties[PROP_LISTENING_IPS] =
    g_param_spec_boxed ("listening-ips", NULL, NULL, G_TYPE_STRV, rw);
  /**
   * NavStunBindingServer:listening-port:
   *
   * The UDP and TCP port; 0 lets the system choose.
   */
  properties[PROP_LISTENING_PORT] =
    g_param_spec_uint ("listening-port", NULL, NULL, 0, 65535,
                       NAV_STUN_DEFAULT_PORT, rw | G_PARAM_CONSTRUCT);
  /**
   * NavStunBindingServer:alt-listening-ip:
   *
   * The alternate IP address of RFC 5780; setting it turns on NAT
   * behaviour discovery.
   */
  properties[PROP_ALT_LISTENING_IP] =
    g_param_spec_string ("alt-listening-ip", NULL, NULL, NULL, rw);
  /**
   * NavStunBindingServer:alt-listening-port:
   *
   * The alternate port of RFC 5780; 0 means the listening port plus one.
   */
  properties[PROP_ALT_LISTENING_PORT] =
    g_param_spec_uint ("alt-listening-port", NULL, NULL, 0, 65535, 0, rw);
  /**
   * NavStunBindingServer:tls-listening-port:
   *
   * The port of STUN over TLS; 0 lets the system choose.
   */
  properties[PROP_TLS_LISTENING_PORT] =
    g_param_spec_uint ("tls-listening-port", NULL, NULL, 0, 65535,
                       NAV_STUN_DEFAULT_TLS_PORT, rw | G_PARAM_CONSTRUCT);
  properties[PROP_UDP] =
    g_param_spec_boolean ("udp", NULL, NULL, TRUE, rw | G_PARAM_CONSTRUCT);
  properties[PROP_TCP] =
    g_param_spec_boolean ("tcp", NULL, NULL, TRUE, rw | G_PARAM_CONSTRUCT);
  /**
   * NavStunBindingServer:tls:
   *
   * Whether to listen for TLS; it also needs a certificate.
   */
  properties[PROP_TLS] =
    g_param_spec_boolean ("tls", NULL, NULL, TRUE, rw | G_PARAM_CONSTRUCT);
  properties[PROP_CERT_FILE] =
    g_param_spec_string ("cert-file", NULL, NULL, NULL, rw);
  properties[PROP_PKEY_FILE] =
    g_param_spec_string ("pkey-file", NULL, NULL, NULL, rw);
  properties[PROP_CERTIFICATE] =
    g_param_spec_object ("certificate", NULL, NULL, G_TYPE_TLS_CERTIFICATE, rw);
  /**
   * NavStunBindingServer:software:
   *
   * The SOFTWARE attribute of responses (RFC 8489 §14.14); %NULL for none.
   */
  properties[PROP_SOFTWARE] =
    g_param_spec_string ("software", NULL, NULL, NULL, rw);
  /**
   * NavStunBindingServer:tcp-idle-timeout:
   *
   * Milliseconds after which a silent TCP or TLS connection is closed.
   */
  properties[PROP_TCP_IDLE_TIMEOUT] =
    g_param_spec_uint ("tcp-idle-timeout", NULL, NULL, 10, G_MAXUINT, 30000,
                       rw | G_PARAM_CONSTRUCT);
  properties[PROP_MAX_TCP_CONNECTIONS] =
    g_param_spec_uint ("max-tcp-connections", NULL, NULL, 1, G_MAXUINT, 4096,
                       rw | G_PARAM_CONSTRUCT);

  for (guint i = PROP_LISTENING_IPS; i < N_PROPS; i++)
    g_object_class_install_property (object_class, i, properties[i]);
  properties[PROP_RUNNING] = g_object_class_find_property (object_class, "running");
}

static void
nav_stun_binding_server_init (NavStunBindingServer *self)
{
  self->batch = g_new0 (Batch, 1);
}


/**
 * nav_stun_binding_server_new:
 * @context: (nullable): the main context to serve in
 *
 * Returns: (transfer full): a new, stopped server
 */
NavStunBindingServer *
nav_stun_binding_server_new (GMainContext *context)
{
  return g_object_new (NAV_TYPE_STUN_BINDING_SERVER, "context", context, NULL);
}
