/* test-turn-server.c: the TURN server (RFC 8656, RFC 6062), driven by a
 * small client written against the STUN codec
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <glib/gstdio.h>
#include <netavanue/netavanue.h>

#include "nav-turn-server.h"
#include "nav-turn-client.h"

#define REALM "example.org"
#define WAIT_MS 3000            /* only reached when something is broken */

/* ---------------------------------------------------------------- */
/* The server, in a thread of its own                                 */

typedef struct
{
  NavTurnServer *server;
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  guint port;
} Fixture;

static gpointer
server_thread (gpointer data)
{
  Fixture *f = data;

  g_main_context_push_thread_default (f->context);
  g_main_loop_run (f->loop);
  g_main_context_pop_thread_default (f->context);
  return NULL;
}

static Fixture *
fixture_new (const gchar *first_property,
             ...)
{
  const gchar *users[] = { "alice:secret", "bob:hunter2", NULL };
  const gchar *ips[] = { "127.0.0.1", NULL };
  g_autoptr (GError) error = NULL;
  Fixture *f = g_new0 (Fixture, 1);
  va_list ap;

  f->context = g_main_context_new ();
  f->loop = g_main_loop_new (f->context, FALSE);
  g_main_context_push_thread_default (f->context);
  f->server = g_object_new (NAV_TYPE_TURN_SERVER, NULL);
  g_object_set (f->server,
                "listening-ips", ips, "listening-port", 0, "relay-ip", "127.0.0.1",
                "realm", REALM, "lt-cred-mech", TRUE, "users", users,
                "allow-loopback-peers", TRUE, "min-port", 42000, "max-port", 43999,
                "software", "nav-turn-test", NULL);
  /* The whole suite runs again over worker threads (meson.build):
   * NAV_TEST_TURN_THREADS=2 NAV_TEST_TURN_STEERING=random puts every
   * datagram of every client on any thread's socket. */
  if (g_getenv ("NAV_TEST_TURN_THREADS") != NULL)
    g_object_set (f->server, "threads", (guint) atoi (g_getenv ("NAV_TEST_TURN_THREADS")), NULL);
  if (g_getenv ("NAV_TEST_TURN_STEERING") != NULL)
    g_object_set (f->server, "steering", g_getenv ("NAV_TEST_TURN_STEERING"), NULL);
  va_start (ap, first_property);
  if (first_property != NULL)
    g_object_set_valist (G_OBJECT (f->server), first_property, ap);
  va_end (ap);
  g_assert_true (nav_server_start (NAV_SERVER (f->server), &error));
  g_assert_no_error (error);
  g_main_context_pop_thread_default (f->context);
  f->port = nav_turn_server_get_port (f->server);
  g_assert_cmpuint (f->port, >, 0);
  f->thread = g_thread_new ("turn-server", server_thread, f);
  return f;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* Stops the thread, then reads the counters without a race. */
static void
fixture_stop_thread (Fixture *f)
{
  if (f->thread == NULL)
    return;
  g_main_context_invoke (f->context, quit_loop, f->loop);
  g_thread_join (f->thread);
  f->thread = NULL;
}

static guint64
counter (Fixture     *f,
         const gchar *name)
{
  g_autoptr (GVariant) stats = NULL;
  guint64 value = G_MAXUINT64;

  fixture_stop_thread (f);
  stats = nav_server_get_stats (NAV_SERVER (f->server));
  g_assert_true (g_variant_lookup (stats, name, "t", &value));
  return value;
}

static void
fixture_free (Fixture *f)
{
  fixture_stop_thread (f);
  nav_server_stop (NAV_SERVER (f->server));
  g_object_unref (f->server);
  g_main_loop_unref (f->loop);
  g_main_context_unref (f->context);
  g_free (f);
}

/* ---------------------------------------------------------------- */
/* A client                                                           */

typedef struct
{
  int fd;
  gboolean tcp;
  NavAddress server;
  gchar *username;
  gchar *password;
  gchar *nonce;
  GBytes *key;
  guint8 pending[4096];
  gsize pending_len;
} Client;

static void
set_loopback (NavAddress *a,
              guint       port)
{
  g_assert_true (nav_address_set_from_string (a, "127.0.0.1:0", NULL));
  nav_address_set_port (a, port);
}

static Client *
client_new (Fixture     *f,
            gboolean     tcp,
            const gchar *username,
            const gchar *password)
{
  Client *c = g_new0 (Client, 1);
  struct sockaddr_storage ss;
  socklen_t sl;

  set_loopback (&c->server, f->port);
  c->tcp = tcp;
  c->fd = socket (AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  g_assert_cmpint (c->fd, >=, 0);
  sl = nav_address_copy_to_sockaddr (&c->server, (struct sockaddr *) &ss, sizeof ss);
  g_assert_cmpint (connect (c->fd, (struct sockaddr *) &ss, sl), ==, 0);
  if (tcp)
    {
      int one = 1;

      setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
  c->username = g_strdup (username);
  c->password = g_strdup (password);
  return c;
}

static void
client_free (Client *c)
{
  close (c->fd);
  g_free (c->username);
  g_free (c->password);
  g_free (c->nonce);
  g_clear_pointer (&c->key, g_bytes_unref);
  g_free (c);
}

static void
client_send (Client       *c,
             const guint8 *data,
             gsize         len)
{
  g_assert_cmpint (send (c->fd, data, len, 0), ==, (gssize) len);
}

static gboolean
wait_readable (int fd,
               int timeout_ms)
{
  struct pollfd p = { .fd = fd, .events = POLLIN };

  return poll (&p, 1, timeout_ms) == 1;
}

/* Receives one frame (a STUN message or a ChannelData), or 0 bytes when
 * none comes within @timeout_ms. */
static gsize
client_recv (Client *c,
             guint8 *buf,
             gsize   size,
             int     timeout_ms)
{
  if (!c->tcp)
    {
      gssize n;

      if (!wait_readable (c->fd, timeout_ms))
        return 0;
      n = recv (c->fd, buf, size, 0);
      g_assert_cmpint (n, >, 0);
      return n;
    }
  for (;;)
    {
      gsize need = 0;

      if (c->pending_len >= 4)
        {
          if ((c->pending[0] & 0xC0) == 0x40)
            need = 4 + (((c->pending[2] << 8 | c->pending[3]) + 3) & ~3u);
          else
            need = 20 + (c->pending[2] << 8 | c->pending[3]);
        }
      if (need > 0 && c->pending_len >= need)
        {
          gsize n = need;

          g_assert_cmpuint (n, <=, size);
          memcpy (buf, c->pending, n);
          memmove (c->pending, c->pending + n, c->pending_len - n);
          c->pending_len -= n;
          return n;
        }
      if (!wait_readable (c->fd, timeout_ms))
        return 0;
      {
        gssize n = recv (c->fd, c->pending + c->pending_len,
                         sizeof c->pending - c->pending_len, 0);

        if (n <= 0)
          return 0;             /* closed by the server */
        c->pending_len += n;
      }
    }
}

typedef void (*Fill) (NavStunMessageBuilder *b, gpointer data);

/* A request, signed with the client's credentials when it has a nonce
 * and @sign; its transaction ID in @txid. */
static GBytes *
build_request (Client   *c,
               guint     method,
               Fill      fill,
               gpointer  data,
               gboolean  sign,
               guint8   *txid)
{
  g_autoptr (NavStunMessageBuilder) b = nav_stun_message_builder_new (NAV_STUN_CLASS_REQUEST, method, NULL);
  GBytes *bytes;

  memcpy (txid, nav_stun_message_builder_get_transaction_id (b), 12);
  if (fill != NULL)
    fill (b, data);
  if (sign && c->nonce != NULL)
    {
      g_assert_true (nav_stun_message_builder_add_username (b, c->username, NULL));
      g_assert_true (nav_stun_message_builder_add_realm (b, REALM, NULL));
      g_assert_true (nav_stun_message_builder_add_nonce (b, c->nonce, NULL));
      g_assert_true (nav_stun_message_builder_add_message_integrity (b, g_bytes_get_data (c->key, NULL),
                                                                     g_bytes_get_size (c->key), NULL));
    }
  g_assert_true (nav_stun_message_builder_add_fingerprint (b, NULL));
  bytes = nav_stun_message_builder_finish (b, NULL);
  g_assert_nonnull (bytes);
  return bytes;
}

/* The answer to the request @txid (indications met on the way are
 * skipped). */
static NavStunMessage *
await_answer (Client       *c,
              const guint8 *txid)
{
  gint64 deadline;

  deadline = g_get_monotonic_time () + WAIT_MS * 1000;
  while (g_get_monotonic_time () < deadline)
    {
      guint8 buf[4096];
      gsize n = client_recv (c, buf, sizeof buf, WAIT_MS);
      NavStunMessage *msg;

      if (n == 0)
        break;
      msg = nav_stun_message_parse (buf, n, NULL);
      if (msg != NULL && nav_stun_message_has_transaction_id (msg, txid))
        return msg;
      g_clear_pointer (&msg, nav_stun_message_unref);
    }
  g_assert_not_reached ();
  return NULL;
}

/* One request, one answer. */
static NavStunMessage *
request_once (Client   *c,
              guint     method,
              Fill      fill,
              gpointer  data,
              gboolean  sign)
{
  guint8 txid[12];
  g_autoptr (GBytes) bytes = build_request (c, method, fill, data, sign, txid);

  client_send (c, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  return await_answer (c, txid);
}

static guint
error_code (NavStunMessage *msg)
{
  guint code = 0;

  if (nav_stun_message_get_class (msg) != NAV_STUN_CLASS_ERROR_RESPONSE)
    return 0;
  g_assert_true (nav_stun_message_get_error_code (msg, &code, NULL, NULL));
  return code;
}

static void
take_challenge (Client         *c,
                NavStunMessage *msg)
{
  g_autofree gchar *realm = nav_stun_message_get_realm (msg, NULL);

  g_assert_cmpstr (realm, ==, REALM);
  g_free (c->nonce);
  c->nonce = nav_stun_message_get_nonce (msg, NULL);
  g_assert_nonnull (c->nonce);
  g_clear_pointer (&c->key, g_bytes_unref);
  c->key = nav_stun_derive_long_term_key (c->username, REALM, c->password,
                                          NAV_STUN_PASSWORD_ALGORITHM_MD5, NULL);
}

/* The long-term credential dance: 401 (or 438) → REALM, NONCE → again. */
static NavStunMessage *
request (Client   *c,
         guint     method,
         Fill      fill,
         gpointer  data)
{
  for (guint attempt = 0; attempt < 3; attempt++)
    {
      NavStunMessage *msg = request_once (c, method, fill, data, TRUE);
      guint code = error_code (msg);

      if ((code == 401 && c->nonce == NULL) || code == 438)
        {
          take_challenge (c, msg);
          nav_stun_message_unref (msg);
          continue;
        }
      if (nav_stun_message_get_class (msg) == NAV_STUN_CLASS_SUCCESS_RESPONSE ||
          (code != 401 && code != 438 && code != 400))
        {
          /* answers to authenticated requests are signed (RFC 8489 §9.2.4) */
          g_assert_true (nav_stun_message_check_integrity (msg, g_bytes_get_data (c->key, NULL),
                                                           g_bytes_get_size (c->key), NULL));
        }
      return msg;
    }
  g_assert_not_reached ();
  return NULL;
}

static void
fill_udp (NavStunMessageBuilder *b,
          gpointer               data)
{
  g_assert_true (nav_stun_message_builder_add_requested_transport (b, GPOINTER_TO_UINT (data), NULL));
}

static void
fill_lifetime (NavStunMessageBuilder *b,
               gpointer               data)
{
  g_assert_true (nav_stun_message_builder_add_uint32 (b, NAV_STUN_ATTRIBUTE_LIFETIME,
                                                      GPOINTER_TO_UINT (data), NULL));
}

static void
fill_peer (NavStunMessageBuilder *b,
           gpointer               data)
{
  g_assert_true (nav_stun_message_builder_add_xor_address (b, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
                                                           data, NULL));
}

typedef struct
{
  guint16 channel;
  NavAddress *peer;
} BindArgs;

static void
fill_bind (NavStunMessageBuilder *b,
           gpointer               data)
{
  BindArgs *args = data;

  g_assert_true (nav_stun_message_builder_add_channel_number (b, args->channel, NULL));
  fill_peer (b, args->peer);
}

/* Allocates a UDP relay; returns its address. */
static void
allocate (Client     *c,
          NavAddress *relay)
{
  g_autoptr (NavStunMessage) msg = request (c, NAV_STUN_METHOD_ALLOCATE, fill_udp, GUINT_TO_POINTER (17));
  guint32 lifetime = 0;

  g_assert_cmpint (nav_stun_message_get_class (msg), ==, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  g_assert_true (nav_stun_message_get_xor_address (msg, NAV_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
                                                   relay, NULL));
  g_assert_true (nav_stun_message_get_uint32 (msg, NAV_STUN_ATTRIBUTE_LIFETIME, &lifetime, NULL));
  g_assert_cmpuint (lifetime, >, 0);
}

static guint
simple_request (Client  *c,
                guint    method,
                Fill     fill,
                gpointer data)
{
  g_autoptr (NavStunMessage) msg = request (c, method, fill, data);

  return error_code (msg);
}

/* A UDP peer on loopback */
static int
peer_new (NavAddress *addr)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  int fd = socket (AF_INET, SOCK_DGRAM, 0);

  g_assert_cmpint (bind (fd, (struct sockaddr *) &a, sizeof a), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &ss, &sl), ==, 0);
  nav_address_set_from_sockaddr (addr, (struct sockaddr *) &ss, sl);
  return fd;
}

static gssize
peer_recv (int         fd,
           guint8     *buf,
           gsize       size,
           NavAddress *from,
           int         timeout_ms)
{
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  gssize n;

  if (!wait_readable (fd, timeout_ms))
    return -1;
  n = recvfrom (fd, buf, size, 0, (struct sockaddr *) &ss, &sl);
  if (from != NULL)
    nav_address_set_from_sockaddr (from, (struct sockaddr *) &ss, sl);
  return n;
}

static void
peer_send (int               fd,
           const NavAddress *to,
           const guint8     *data,
           gsize             len)
{
  struct sockaddr_storage ss;
  socklen_t sl = nav_address_copy_to_sockaddr (to, (struct sockaddr *) &ss, sizeof ss);

  g_assert_cmpint (sendto (fd, data, len, 0, (struct sockaddr *) &ss, sl), ==, (gssize) len);
}

static void
send_indication (Client           *c,
                 const NavAddress *peer,
                 const guint8     *data,
                 gsize             len)
{
  g_autoptr (NavStunMessageBuilder) b = nav_stun_message_builder_new (NAV_STUN_CLASS_INDICATION,
                                                                      NAV_STUN_METHOD_SEND, NULL);
  g_autoptr (GBytes) bytes = NULL;

  g_assert_true (nav_stun_message_builder_add_xor_address (b, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, peer, NULL));
  g_assert_true (nav_stun_message_builder_add_attribute (b, NAV_STUN_ATTRIBUTE_DATA, data, len, NULL));
  bytes = nav_stun_message_builder_finish (b, NULL);
  client_send (c, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
send_channel_data (Client       *c,
                   guint16       channel,
                   const guint8 *data,
                   gsize         len)
{
  g_autoptr (GBytes) frame = nav_stun_channel_data_new (channel, data, len, c->tcp);

  client_send (c, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
}

/* Two Binding round trips: the server handles a client's messages in
 * order, so once the first is answered everything the client sent before
 * has been handled.  What a peer sent to a relayed address before may be
 * handled just after it, in the same round of the worker (epoll reports
 * the client's socket first when it was already on its ready list): the
 * second round trip, answered in a later round, covers that. */
static void
sync_with_server (Client *c)
{
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (NavStunMessage) msg = request_once (c, NAV_STUN_METHOD_BINDING, NULL, NULL, FALSE);
      NavAddress mapped;

      g_assert_cmpint (nav_stun_message_get_class (msg), ==, NAV_STUN_CLASS_SUCCESS_RESPONSE);
      g_assert_true (nav_stun_message_get_xor_mapped_address (msg, &mapped, NULL));
    }
}

/* ---------------------------------------------------------------- */
/* Tests                                                              */

/* Binding is answered without credentials, as coturn does. */
static void
test_binding (void)
{
  Fixture *f = fixture_new (NULL);
  Client *c = client_new (f, FALSE, "alice", "secret");
  g_autoptr (NavStunMessage) msg = request_once (c, NAV_STUN_METHOD_BINDING, NULL, NULL, FALSE);
  NavAddress mapped;

  g_assert_cmpint (nav_stun_message_get_class (msg), ==, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  g_assert_true (nav_stun_message_get_xor_mapped_address (msg, &mapped, NULL));
  client_free (c);
  g_assert_cmpuint (counter (f, "binding-requests"), ==, 1);
  fixture_free (f);
}

/* RFC 8489 §11.2: the Binding request of an RFC 3489 client (no magic
 * cookie), as libnice 0.1.21 sends for server-reflexive discovery, is
 * answered with MAPPED-ADDRESS and its 16-byte transaction ID. */
static void
test_binding_rfc3489 (void)
{
  static const guint8 req[20] = {
    0x00, 0x01, 0x00, 0x00, 0x44, 0xce, 0x01, 0xe7, 0x67, 0x65,
    0x30, 0x48, 0x74, 0xd7, 0xe8, 0xb3, 0x2a, 0xe5, 0xb4, 0x6b
  };
  guint8 unknown_req[28] = { 0x00, 0x01, 0x00, 0x08, 9, 8, 7, 6,
                             1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                             0x00, 0x42, 0x00, 0x04, 'a', 'b', 'c', 'd' };
  Fixture *f = fixture_new (NULL);
  Client *c = client_new (f, FALSE, "alice", "secret");
  g_autoptr (NavStunMessage) msg = NULL;
  g_autoptr (NavStunMessage) err = NULL;
  struct sockaddr_in local;
  socklen_t sl = sizeof local;
  guint8 rsp[1024];
  NavAddress mapped;
  guint code = 0;
  gsize n;

  g_assert_cmpint (getsockname (c->fd, (struct sockaddr *) &local, &sl), ==, 0);
  client_send (c, req, sizeof req);
  n = client_recv (c, rsp, sizeof rsp, WAIT_MS);
  g_assert_cmpuint (n, >, 20);
  g_assert_cmpmem (rsp + 4, 16, req + 4, 16);
  rsp[4] = 0x21; rsp[5] = 0x12; rsp[6] = 0xA4; rsp[7] = 0x42;
  msg = nav_stun_message_parse (rsp, n, NULL);
  g_assert_nonnull (msg);
  g_assert_cmpint (nav_stun_message_get_class (msg), ==, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  g_assert_false (nav_stun_message_has_attribute (msg, NAV_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS));
  g_assert_true (nav_stun_message_get_mapped_address (msg, &mapped, NULL));
  g_assert_cmpuint (nav_address_get_port (&mapped), ==, ntohs (local.sin_port));

  client_send (c, unknown_req, sizeof unknown_req);
  n = client_recv (c, rsp, sizeof rsp, WAIT_MS);
  g_assert_cmpuint (n, >, 20);
  g_assert_cmpmem (rsp + 4, 16, unknown_req + 4, 16);
  rsp[4] = 0x21; rsp[5] = 0x12; rsp[6] = 0xA4; rsp[7] = 0x42;
  err = nav_stun_message_parse (rsp, n, NULL);
  g_assert_nonnull (err);
  g_assert_true (nav_stun_message_get_error_code (err, &code, NULL, NULL));
  g_assert_cmpuint (code, ==, 420);
  client_free (c);
  g_assert_cmpuint (counter (f, "rfc3489-requests"), ==, 2);
  g_assert_cmpuint (counter (f, "binding-requests"), ==, 1);
  g_assert_cmpuint (counter (f, "dropped-not-stun"), ==, 0);
  fixture_free (f);
}

/* RFC 8656 §7.2, RFC 8489 §9.2: 401 with REALM and NONCE, then success;
 * a second Allocate on the same 5-tuple is 437; Refresh; Refresh 0. */
static void
test_allocate_refresh (void)
{
  Fixture *f = fixture_new (NULL);
  Client *c = client_new (f, FALSE, "alice", "secret");
  NavAddress relay;
  NavStunMessage *msg;
  guint32 lifetime = 0;

  msg = request_once (c, NAV_STUN_METHOD_ALLOCATE, fill_udp, GUINT_TO_POINTER (17), FALSE);
  g_assert_cmpuint (error_code (msg), ==, 401);
  g_assert_true (nav_stun_message_has_attribute (msg, NAV_STUN_ATTRIBUTE_NONCE));
  g_assert_true (nav_stun_message_has_attribute (msg, NAV_STUN_ATTRIBUTE_REALM));
  nav_stun_message_unref (msg);

  allocate (c, &relay);
  {
    g_autofree gchar *ip = nav_address_ip_to_string (&relay);

    g_assert_cmpstr (ip, ==, "127.0.0.1");
    g_assert_cmpuint (nav_address_get_port (&relay), >=, 42000);
    g_assert_cmpuint (nav_address_get_port (&relay), <=, 43999);
  }
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_ALLOCATE, fill_udp, GUINT_TO_POINTER (17)), ==, 437);

  msg = request (c, NAV_STUN_METHOD_REFRESH, fill_lifetime, GUINT_TO_POINTER (1200));
  g_assert_cmpint (nav_stun_message_get_class (msg), ==, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  g_assert_true (nav_stun_message_get_uint32 (msg, NAV_STUN_ATTRIBUTE_LIFETIME, &lifetime, NULL));
  g_assert_cmpuint (lifetime, ==, 1200);
  nav_stun_message_unref (msg);

  msg = request (c, NAV_STUN_METHOD_REFRESH, fill_lifetime, GUINT_TO_POINTER (99999));
  g_assert_true (nav_stun_message_get_uint32 (msg, NAV_STUN_ATTRIBUTE_LIFETIME, &lifetime, NULL));
  g_assert_cmpuint (lifetime, ==, 3600);        /* max-allocate-lifetime */
  nav_stun_message_unref (msg);

  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_REFRESH, fill_lifetime, GUINT_TO_POINTER (0)), ==, 0);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_REFRESH, NULL, NULL), ==, 437);
  client_free (c);
  g_assert_cmpuint (counter (f, "allocations"), ==, 0);
  g_assert_cmpuint (counter (f, "allocations-total"), ==, 1);
  fixture_free (f);
}

/* Wrong password: 401 every time, nothing allocated. */
static void
test_wrong_password (void)
{
  Fixture *f = fixture_new (NULL);
  Client *c = client_new (f, FALSE, "alice", "not-the-password");
  Client *u = client_new (f, FALSE, "mallory", "secret");

  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_ALLOCATE, fill_udp, GUINT_TO_POINTER (17)), ==, 401);
  g_assert_cmpuint (simple_request (u, NAV_STUN_METHOD_ALLOCATE, fill_udp, GUINT_TO_POINTER (17)), ==, 401);
  client_free (c);
  client_free (u);
  g_assert_cmpuint (counter (f, "allocations"), ==, 0);
  fixture_free (f);
}

/* 442 for a transport that is neither UDP nor TCP; 400 for a TCP relay
 * asked over UDP (RFC 6062 §5.1). */
static void
test_unsupported_transport (void)
{
  Fixture *f = fixture_new (NULL);
  Client *c = client_new (f, FALSE, "alice", "secret");

  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_ALLOCATE, fill_udp, GUINT_TO_POINTER (99)), ==, 442);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_ALLOCATE, fill_udp, GUINT_TO_POINTER (6)), ==, 400);
  client_free (c);
  fixture_free (f);
}

/* Permissions, Send and Data indications, channels both ways (UDP or TCP
 * with its 4-byte padding). */
static void
relay_round_trip (gboolean tcp)
{
  Fixture *f = fixture_new (NULL);
  Client *c = client_new (f, tcp, "alice", "secret");
  NavAddress relay, peer, from;
  int pfd = peer_new (&peer);
  const guint8 hello[] = "hello, peer";
  const guint8 odd[] = { 1, 2, 3, 4, 5 };
  guint8 buf[4096];
  gssize n;
  gsize len;
  BindArgs args = { 0x4001, &peer };

  allocate (c, &relay);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CREATE_PERMISSION, fill_peer, &peer), ==, 0);

  /* Send indication → the peer, from the relayed address */
  send_indication (c, &peer, hello, sizeof hello);
  n = peer_recv (pfd, buf, sizeof buf, &from, WAIT_MS);
  g_assert_cmpint (n, ==, sizeof hello);
  g_assert_cmpmem (buf, n, hello, sizeof hello);
  g_assert_true (nav_address_equal (&from, &relay));

  /* the peer answers → a Data indication */
  peer_send (pfd, &relay, odd, sizeof odd);
  len = client_recv (c, buf, sizeof buf, WAIT_MS);
  g_assert_cmpuint (len, >, 0);
  {
    g_autoptr (NavStunMessage) msg = nav_stun_message_parse (buf, len, NULL);
    NavAddress xp;
    const guint8 *data;
    gsize dlen;

    g_assert_nonnull (msg);
    g_assert_cmpint (nav_stun_message_get_class (msg), ==, NAV_STUN_CLASS_INDICATION);
    g_assert_cmpuint (nav_stun_message_get_method (msg), ==, NAV_STUN_METHOD_DATA);
    g_assert_true (nav_stun_message_get_xor_address (msg, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, &xp, NULL));
    g_assert_true (nav_address_equal (&xp, &peer));
    data = nav_stun_message_get_attribute (msg, NAV_STUN_ATTRIBUTE_DATA, &dlen);
    g_assert_cmpmem (data, dlen, odd, sizeof odd);
  }

  /* ChannelBind, then ChannelData both ways */
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CHANNEL_BIND, fill_bind, &args), ==, 0);
  send_channel_data (c, 0x4001, odd, sizeof odd);
  n = peer_recv (pfd, buf, sizeof buf, &from, WAIT_MS);
  g_assert_cmpmem (buf, n, odd, sizeof odd);
  peer_send (pfd, &relay, hello, sizeof hello);
  len = client_recv (c, buf, sizeof buf, WAIT_MS);
  g_assert_cmpuint (buf[0] << 8 | buf[1], ==, 0x4001);
  g_assert_cmpuint (buf[2] << 8 | buf[3], ==, sizeof hello);
  g_assert_cmpuint (len, ==, tcp ? 4 + ((sizeof hello + 3) & ~3u) : 4 + sizeof hello);
  g_assert_cmpmem (buf + 4, sizeof hello, hello, sizeof hello);

  /* the same channel for another peer is refused */
  {
    NavAddress other;
    int ofd = peer_new (&other);
    BindArgs bad = { 0x4001, &other };

    g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CHANNEL_BIND, fill_bind, &bad), ==, 400);
    close (ofd);
  }
  client_free (c);
  close (pfd);
  g_assert_cmpuint (counter (f, "packets-to-peer"), ==, 2);
  g_assert_cmpuint (counter (f, "packets-from-peer"), ==, 2);
  fixture_free (f);
}

static void
test_relay_udp (void)
{
  relay_round_trip (FALSE);
}

static void
test_relay_tcp (void)
{
  relay_round_trip (TRUE);
}

/* RFC 8656 §10.2, §11.1: nothing crosses without a permission. */
static void
test_permission_missing (void)
{
  Fixture *f = fixture_new (NULL);
  Client *c = client_new (f, FALSE, "alice", "secret");
  NavAddress relay, peer;
  int pfd = peer_new (&peer);
  guint8 buf[64];

  allocate (c, &relay);
  send_indication (c, &peer, (const guint8 *) "x", 1);
  peer_send (pfd, &relay, (const guint8 *) "y", 1);
  sync_with_server (c);
  g_assert_cmpint (recv (pfd, buf, sizeof buf, MSG_DONTWAIT), <, 0);
  client_free (c);
  close (pfd);
  g_assert_cmpuint (counter (f, "dropped-no-permission"), ==, 2);
  g_assert_cmpuint (counter (f, "packets-to-peer"), ==, 0);
  fixture_free (f);
}

/* Our own TURN client against the server: datagrams sent the moment the
 * allocation exists, before any permission or channel, are queued by the
 * client until CreatePermission or ChannelBind succeeds (RFC 8656 §9,
 * §12), never dropped; the peer's answers, once the permission exists,
 * all come back.  N is small enough for loopback socket buffers: any loss
 * here is a bug, not congestion: 64 datagrams of 400 bytes take about
 * 90 KB of socket buffer (truesize), under Linux's default 208 KB. */
#define BURST_N 64
#define BURST_SIZE 400

typedef struct
{
  guint count;
  guint8 seen[BURST_N];
  gboolean allocated;
  GError *error;
} BurstState;

static void
burst_allocated (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  BurstState *st = user_data;

  st->allocated = TRUE;
  nav_turn_client_allocate_finish (NAV_TURN_CLIENT (source), result, &st->error);
}

static void
burst_received (gpointer          client,
                const guint8     *data,
                gsize             len,
                const NavAddress *from,
                gpointer          user_data)
{
  BurstState *st = user_data;
  guint seq;

  g_assert_cmpuint (len, ==, BURST_SIZE);
  seq = data[0] << 8 | data[1];
  g_assert_cmpuint (seq, <, BURST_N);
  g_assert_cmpuint (st->seen[seq], ==, 0);
  st->seen[seq] = 1;
  st->count++;
}

static void
client_burst_over (gboolean        channels,
                   NavStunProtocol protocol)
{
  Fixture *f = fixture_new (NULL);
  NavTurnClientConfig cfg;
  g_autoptr (NavTurnClient) client = NULL;
  BurstState st = { 0 };
  guint8 seen[BURST_N] = { 0 };
  guint8 buf[BURST_SIZE + 64];
  NavAddress peer, relay;
  int pfd = peer_new (&peer);
  guint i, got = 0;
  gint64 deadline;
  int size = 1024 * 1024;

  setsockopt (pfd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);

  nav_turn_client_config_init (&cfg);
  set_loopback (&cfg.server, f->port);
  cfg.protocol = protocol;
  cfg.username = g_strdup ("alice");
  cfg.password = g_strdup ("secret");
  cfg.use_channels = channels;
  client = nav_turn_client_new (NULL, &cfg);
  nav_turn_client_config_clear (&cfg);
  nav_turn_client_set_receive_func (client, burst_received, &st);
  nav_turn_client_allocate_async (client, NULL, burst_allocated, &st);
  while (!st.allocated)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (st.error);
  relay = *nav_turn_client_get_relayed_address (client, 0);

  /* all of them at once, before the permission or channel exists */
  for (i = 0; i < BURST_N; i++)
    {
      g_autoptr (GError) error = NULL;

      memset (buf, i & 0xFF, BURST_SIZE);
      buf[0] = i >> 8;
      buf[1] = i & 0xFF;
      g_assert_true (nav_turn_client_send (client, &peer, buf, BURST_SIZE, &error));
      g_assert_no_error (error);
    }
  /* WAIT_MS is a failure guard, not a timing assertion */
  deadline = g_get_monotonic_time () + WAIT_MS * 1000;
  while (got < BURST_N && g_get_monotonic_time () < deadline)
    {
      NavAddress from;
      gssize n;

      g_main_context_iteration (NULL, FALSE);
      n = peer_recv (pfd, buf, sizeof buf, &from, 1);
      if (n < 0)
        continue;
      g_assert_cmpint (n, ==, BURST_SIZE);
      g_assert_true (nav_address_equal (&from, &relay));
      g_assert_cmpuint (seen[buf[0] << 8 | buf[1]], ==, 0);
      seen[buf[0] << 8 | buf[1]] = 1;
      got++;
    }
  g_assert_cmpuint (got, ==, BURST_N);

  /* the peer answers each right away: the permission is there now */
  for (i = 0; i < BURST_N; i++)
    {
      memset (buf, 0x5A, BURST_SIZE);
      buf[0] = i >> 8;
      buf[1] = i & 0xFF;
      peer_send (pfd, &relay, buf, BURST_SIZE);
    }
  deadline = g_get_monotonic_time () + WAIT_MS * 1000;
  while (st.count < BURST_N && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (500);
  g_assert_cmpuint (st.count, ==, BURST_N);

  nav_turn_client_set_receive_func (client, NULL, NULL);
  g_clear_object (&client);
  close (pfd);
  g_assert_cmpuint (counter (f, "dropped-no-permission"), ==, 0);
  g_assert_cmpuint (counter (f, "packets-to-peer"), ==, BURST_N);
  g_assert_cmpuint (counter (f, "packets-from-peer"), ==, BURST_N);
  fixture_free (f);
}

static void
client_burst (gboolean channels)
{
  client_burst_over (channels, NAV_STUN_PROTOCOL_UDP);
}

/* Over TCP, what the peer sends in a burst reaches the client in
 * batched writes (several frames in one send(2)): framed intact. */
static void
test_client_burst_tcp (void)
{
  client_burst_over (TRUE, NAV_STUN_PROTOCOL_TCP);
  client_burst_over (FALSE, NAV_STUN_PROTOCOL_TCP);
}

static void
test_client_burst_channel (void)
{
  client_burst (TRUE);
}

static void
test_client_burst_indication (void)
{
  client_burst (FALSE);
}

/* Loopback refused by default; denied-peer-ip; allowed-peer-ip wins. */
static void
test_denied_peer (void)
{
  const gchar *denied[] = { "127.0.0.0-127.0.0.255", NULL };
  const gchar *allowed[] = { "127.0.0.1", NULL };
  Fixture *f = fixture_new ("allow-loopback-peers", FALSE, NULL);
  Client *c = client_new (f, FALSE, "alice", "secret");
  NavAddress relay, peer, private_peer;
  int pfd = peer_new (&peer);
  BindArgs args = { 0x4002, &peer };
  guint8 buf[64];

  allocate (c, &relay);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CREATE_PERMISSION, fill_peer, &peer), ==, 403);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CHANNEL_BIND, fill_bind, &args), ==, 403);
  g_assert_true (nav_address_set_from_string (&private_peer, "10.1.2.3:5000", NULL));
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CREATE_PERMISSION, fill_peer, &private_peer), ==, 403);
  g_assert_true (nav_address_set_from_string (&private_peer, "169.254.1.1:5000", NULL));
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CREATE_PERMISSION, fill_peer, &private_peer), ==, 403);
  send_indication (c, &peer, (const guint8 *) "x", 1);
  sync_with_server (c);
  g_assert_cmpint (recv (pfd, buf, sizeof buf, MSG_DONTWAIT), <, 0);
  client_free (c);
  fixture_free (f);

  f = fixture_new ("denied-peer-ip", denied, NULL);
  c = client_new (f, FALSE, "alice", "secret");
  allocate (c, &relay);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CREATE_PERMISSION, fill_peer, &peer), ==, 403);
  client_free (c);
  fixture_free (f);

  f = fixture_new ("denied-peer-ip", denied, "allowed-peer-ip", allowed, NULL);
  c = client_new (f, FALSE, "alice", "secret");
  allocate (c, &relay);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CREATE_PERMISSION, fill_peer, &peer), ==, 0);
  client_free (c);
  close (pfd);
  g_assert_cmpuint (counter (f, "error-403"), ==, 0);
  fixture_free (f);
}

/* 486 beyond the user quota and the total quota. */
static void
test_quota (void)
{
  Fixture *f = fixture_new ("user-quota", 1, "total-quota", 2, NULL);
  Client *a1 = client_new (f, FALSE, "alice", "secret");
  Client *a2 = client_new (f, FALSE, "alice", "secret");
  Client *b1 = client_new (f, FALSE, "bob", "hunter2");
  Client *b2 = client_new (f, TRUE, "bob", "hunter2");
  NavAddress relay;

  allocate (a1, &relay);
  g_assert_cmpuint (simple_request (a2, NAV_STUN_METHOD_ALLOCATE, fill_udp, GUINT_TO_POINTER (17)), ==, 486);
  allocate (b1, &relay);
  g_assert_cmpuint (simple_request (b2, NAV_STUN_METHOD_ALLOCATE, fill_udp, GUINT_TO_POINTER (17)), ==, 486);
  /* released, the quota is free again */
  g_assert_cmpuint (simple_request (a1, NAV_STUN_METHOD_REFRESH, fill_lifetime, GUINT_TO_POINTER (0)), ==, 0);
  allocate (a2, &relay);
  client_free (a1);
  client_free (a2);
  client_free (b1);
  client_free (b2);
  g_assert_cmpuint (counter (f, "error-486"), ==, 2);
  fixture_free (f);
}

/* 508 when the relay port range is exhausted. */
static void
test_insufficient_capacity (void)
{
  Fixture *f = fixture_new ("min-port", 43500, "max-port", 43500, NULL);
  Client *a = client_new (f, FALSE, "alice", "secret");
  Client *b = client_new (f, FALSE, "bob", "hunter2");
  NavAddress relay;

  allocate (a, &relay);
  g_assert_cmpuint (nav_address_get_port (&relay), ==, 43500);
  g_assert_cmpuint (simple_request (b, NAV_STUN_METHOD_ALLOCATE, fill_udp, GUINT_TO_POINTER (17)), ==, 508);
  client_free (a);
  client_free (b);
  fixture_free (f);
}

/* RFC 8489 §9.2.4: an expired nonce gets 438 and a new one. */
static void
test_stale_nonce (void)
{
  Fixture *f = fixture_new ("stale-nonce", 1, NULL);
  Client *c = client_new (f, FALSE, "alice", "secret");
  NavAddress relay;
  NavStunMessage *msg;

  allocate (c, &relay);
  g_usleep (2100 * 1000);
  msg = request_once (c, NAV_STUN_METHOD_REFRESH, NULL, NULL, TRUE);
  g_assert_cmpuint (error_code (msg), ==, 438);
  g_assert_true (nav_stun_message_has_attribute (msg, NAV_STUN_ATTRIBUTE_NONCE));
  nav_stun_message_unref (msg);
  /* with the new nonce it goes through */
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_REFRESH, NULL, NULL), ==, 0);
  client_free (c);
  g_assert_cmpuint (counter (f, "error-438"), >=, 1);
  fixture_free (f);
}

/* TURN REST API credentials: expiry:name, HMAC-SHA1 of the secret. */
static void
test_rest_credentials (void)
{
  Fixture *f = fixture_new ("lt-cred-mech", FALSE, "use-auth-secret", TRUE,
                            "static-auth-secret", "north-wind", NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree gchar *user = g_strdup_printf ("%" G_GINT64_FORMAT ":carol", now + 3600);
  g_autofree gchar *old_user = g_strdup_printf ("%" G_GINT64_FORMAT ":carol", now - 10);
  g_autofree gchar *pass = nav_turn_rest_password ("north-wind", user);
  g_autofree gchar *old_pass = nav_turn_rest_password ("north-wind", old_user);
  g_autofree gchar *bad_pass = nav_turn_rest_password ("south-wind", user);
  Client *good = client_new (f, FALSE, user, pass);
  Client *expired = client_new (f, FALSE, old_user, old_pass);
  Client *forged = client_new (f, FALSE, user, bad_pass);
  Client *plain = client_new (f, FALSE, "alice", "secret");
  NavAddress relay;

  /* coturn's published example (turnserver(1)) */
  {
    g_autofree gchar *p = nav_turn_rest_password ("north", "1600000000:ninefingers");

    g_assert_cmpuint (strlen (p), ==, 28);
  }
  allocate (good, &relay);
  g_assert_cmpuint (simple_request (expired, NAV_STUN_METHOD_ALLOCATE, fill_udp, GUINT_TO_POINTER (17)), ==, 401);
  g_assert_cmpuint (simple_request (forged, NAV_STUN_METHOD_ALLOCATE, fill_udp, GUINT_TO_POINTER (17)), ==, 401);
  g_assert_cmpuint (simple_request (plain, NAV_STUN_METHOD_ALLOCATE, fill_udp, GUINT_TO_POINTER (17)), ==, 401);
  /* A timestamp beyond 64 bits (and beyond a signed one) is no
   * timestamp: refused, as coturn refuses it, not read as never
   * expiring (issue 14, item 9). */
  {
    static const gchar * const overflowing[] = {
      "99999999999999999999999:carol", "18446744073709551616:carol",
      "18446744073709551615:carol", "9223372036854775808:carol", NULL
    };

    for (guint i = 0; overflowing[i] != NULL; i++)
      {
        g_autofree gchar *p = nav_turn_rest_password ("north-wind", overflowing[i]);
        Client *c = client_new (f, FALSE, overflowing[i], p);

        g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_ALLOCATE, fill_udp,
                                          GUINT_TO_POINTER (17)), ==, 401);
        client_free (c);
      }
  }
  client_free (good);
  client_free (expired);
  client_free (forged);
  client_free (plain);
  g_assert_cmpuint (counter (f, "allocations-total"), ==, 1);
  fixture_free (f);
}

/* Allocations, permissions and channels expire (short lifetimes). */
static void
test_expiry (void)
{
  Fixture *f = fixture_new ("default-allocate-lifetime", 2, "max-allocate-lifetime", 2,
                            "permission-lifetime", 1, "channel-lifetime", 1, NULL);
  Client *c = client_new (f, FALSE, "alice", "secret");
  NavAddress relay, peer;
  int pfd = peer_new (&peer);
  BindArgs args = { 0x4003, &peer };
  guint8 buf[64];

  allocate (c, &relay);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CHANNEL_BIND, fill_bind, &args), ==, 0);
  g_usleep (1300 * 1000);
  /* channel and permission are gone; the allocation is not yet */
  send_channel_data (c, 0x4003, (const guint8 *) "late", 4);
  send_indication (c, &peer, (const guint8 *) "late", 4);
  sync_with_server (c);
  g_assert_cmpint (recv (pfd, buf, sizeof buf, MSG_DONTWAIT), <, 0);
  g_usleep (2000 * 1000);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_REFRESH, NULL, NULL), ==, 437);
  client_free (c);
  close (pfd);
  g_assert_cmpuint (counter (f, "allocations"), ==, 0);
  g_assert_cmpuint (counter (f, "dropped-no-channel"), ==, 1);
  g_assert_cmpuint (counter (f, "dropped-no-permission"), ==, 1);
  fixture_free (f);
}

/* A permission and a channel that expire while their flow is running
 * (the server keeps what the last datagram of each direction looked up):
 * the next datagram either way is dropped all the same.  And a client
 * that alternates between two channels gets each to its own peer. */
static void
test_expiry_under_traffic (void)
{
  Fixture *f = fixture_new ("permission-lifetime", 1, "channel-lifetime", 1, NULL);
  Client *c = client_new (f, FALSE, "alice", "secret");
  NavAddress relay, peer, peer2, from;
  int pfd = peer_new (&peer), pfd2 = peer_new (&peer2);
  BindArgs args = { 0x4006, &peer }, args2 = { 0x4007, &peer2 };
  guint8 buf[64];
  gssize n;

  allocate (c, &relay);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CHANNEL_BIND, fill_bind, &args), ==, 0);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CHANNEL_BIND, fill_bind, &args2), ==, 0);
  for (guint i = 0; i < 3; i++)
    {
      send_channel_data (c, 0x4006, (const guint8 *) "one", 3);
      send_channel_data (c, 0x4007, (const guint8 *) "two", 3);
      n = peer_recv (pfd, buf, sizeof buf, &from, WAIT_MS);
      g_assert_cmpmem (buf, n, "one", 3);
      n = peer_recv (pfd2, buf, sizeof buf, &from, WAIT_MS);
      g_assert_cmpmem (buf, n, "two", 3);
      peer_send (pfd, &relay, (const guint8 *) "back", 4);
      g_assert_cmpuint (client_recv (c, buf, sizeof buf, WAIT_MS), ==, 8);
      g_assert_cmpuint (buf[0] << 8 | buf[1], ==, 0x4006);
      g_assert_cmpmem (buf + 4, 4, "back", 4);
    }
  g_usleep (1300 * 1000);
  /* both directions of a flow that was running */
  send_channel_data (c, 0x4006, (const guint8 *) "late", 4);
  peer_send (pfd, &relay, (const guint8 *) "late", 4);
  sync_with_server (c);
  g_assert_cmpint (recv (pfd, buf, sizeof buf, MSG_DONTWAIT), <, 0);
  g_assert_cmpuint (client_recv (c, buf, sizeof buf, 100), ==, 0);
  client_free (c);
  close (pfd);
  close (pfd2);
  g_assert_cmpuint (counter (f, "dropped-no-channel"), ==, 1);
  g_assert_cmpuint (counter (f, "dropped-no-permission"), ==, 1);
  g_assert_cmpuint (counter (f, "packets-to-peer"), ==, 6);
  g_assert_cmpuint (counter (f, "packets-from-peer"), ==, 3);
  fixture_free (f);
}

/* What peers send to several allocations in one round of the worker
 * leaves together, each frame whole and to its own client, in order. */
static void
test_relay_many_peers (void)
{
  enum { CLIENTS = 6, EACH = 40 };
  Fixture *f = fixture_new (NULL);
  Client *c[CLIENTS];
  NavAddress relay[CLIENTS], peer[CLIENTS];
  int pfd[CLIENTS];
  guint8 buf[2048], payload[600];

  for (guint i = 0; i < CLIENTS; i++)
    {
      BindArgs args = { 0x4010 + i, &peer[i] };

      c[i] = client_new (f, FALSE, "alice", "secret");
      pfd[i] = peer_new (&peer[i]);
      allocate (c[i], &relay[i]);
      g_assert_cmpuint (simple_request (c[i], NAV_STUN_METHOD_CHANNEL_BIND, fill_bind, &args), ==, 0);
    }
  /* interleaved, sizes varying: no two consecutive frames alike */
  for (guint k = 0; k < EACH; k++)
    for (guint i = 0; i < CLIENTS; i++)
      {
        gsize len = 100 + (k * 37 + i * 11) % 500;

        memset (payload, (int) (i * EACH + k), len);
        peer_send (pfd[i], &relay[i], payload, len);
      }
  for (guint i = 0; i < CLIENTS; i++)
    for (guint k = 0; k < EACH; k++)
      {
        gsize len = 100 + (k * 37 + i * 11) % 500;
        gsize got = client_recv (c[i], buf, sizeof buf, WAIT_MS);

        g_assert_cmpuint (got, ==, 4 + len);
        g_assert_cmpuint (buf[0] << 8 | buf[1], ==, 0x4010 + i);
        g_assert_cmpuint (buf[2] << 8 | buf[3], ==, len);
        memset (payload, (int) (i * EACH + k), len);
        g_assert_cmpmem (buf + 4, len, payload, len);
      }
  for (guint i = 0; i < CLIENTS; i++)
    {
      client_free (c[i]);
      close (pfd[i]);
    }
  g_assert_cmpuint (counter (f, "packets-from-peer"), ==, CLIENTS * EACH);
  fixture_free (f);
}

/* Nothing is relayed for a client that has not authenticated. */
static void
test_unauthenticated_never_relayed (void)
{
  Fixture *f = fixture_new (NULL);
  Client *owner = client_new (f, FALSE, "alice", "secret");
  Client *stranger = client_new (f, FALSE, "alice", "wrong");
  NavAddress relay, peer;
  int pfd = peer_new (&peer);
  BindArgs args = { 0x4004, &peer };
  guint8 buf[64];

  allocate (owner, &relay);
  g_assert_cmpuint (simple_request (owner, NAV_STUN_METHOD_CHANNEL_BIND, fill_bind, &args), ==, 0);
  /* another 5-tuple uses the channel number and Send: no allocation */
  send_channel_data (stranger, 0x4004, (const guint8 *) "sneak", 5);
  send_indication (stranger, &peer, (const guint8 *) "sneak", 5);
  g_assert_cmpuint (simple_request (stranger, NAV_STUN_METHOD_CREATE_PERMISSION, fill_peer, &peer), ==, 401);
  g_assert_cmpuint (simple_request (stranger, NAV_STUN_METHOD_ALLOCATE, fill_udp, GUINT_TO_POINTER (17)), ==, 401);
  sync_with_server (stranger);
  g_assert_cmpint (recv (pfd, buf, sizeof buf, MSG_DONTWAIT), <, 0);
  client_free (owner);
  client_free (stranger);
  close (pfd);
  g_assert_cmpuint (counter (f, "dropped-no-allocation"), ==, 2);
  g_assert_cmpuint (counter (f, "packets-to-peer"), ==, 0);
  fixture_free (f);
}

/* RFC 6156: an IPv6 relay on request; 440 for a family not served. */
static void
fill_family (NavStunMessageBuilder *b,
             gpointer               data)
{
  fill_udp (b, GUINT_TO_POINTER (17));
  g_assert_true (nav_stun_message_builder_add_address_family (b, NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY,
                                                              GPOINTER_TO_UINT (data), NULL));
}

static void
test_ipv6_relay (void)
{
  Fixture *f = fixture_new ("relay-ip", "127.0.0.1,::1", NULL);
  Client *c = client_new (f, FALSE, "alice", "secret");
  Client *d = client_new (f, FALSE, "bob", "hunter2");
  NavStunMessage *msg;
  NavAddress relay, v4peer;
  g_autofree gchar *ip = NULL;

  msg = request (c, NAV_STUN_METHOD_ALLOCATE, fill_family, GUINT_TO_POINTER (G_SOCKET_FAMILY_IPV6));
  g_assert_cmpint (nav_stun_message_get_class (msg), ==, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  g_assert_true (nav_stun_message_get_xor_address (msg, NAV_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, &relay, NULL));
  nav_stun_message_unref (msg);
  ip = nav_address_ip_to_string (&relay);
  g_assert_cmpstr (ip, ==, "::1");
  /* an IPv4 peer on an IPv6 relay: 443 (RFC 8656 §9.1) */
  g_assert_true (nav_address_set_from_string (&v4peer, "127.0.0.1:5000", NULL));
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CREATE_PERMISSION, fill_peer, &v4peer), ==, 443);
  client_free (c);
  fixture_free (f);

  f = fixture_new (NULL);       /* IPv4 only */
  client_free (d);
  d = client_new (f, FALSE, "bob", "hunter2");
  g_assert_cmpuint (simple_request (d, NAV_STUN_METHOD_ALLOCATE, fill_family,
                                    GUINT_TO_POINTER (G_SOCKET_FAMILY_IPV6)), ==, 440);
  client_free (d);
  fixture_free (f);
}

/* Garbage and floods: dropped, counted, and the server still answers. */
static void
test_garbage_flood (void)
{
  Fixture *f = fixture_new (NULL);
  Client *c = client_new (f, FALSE, "alice", "secret");
  Client *t = client_new (f, TRUE, "alice", "secret");
  GRand *rand = g_rand_new_with_seed (4);
  NavAddress relay;
  guint8 buf[1500];
  guint i;

  allocate (c, &relay);
  for (i = 0; i < 20000; i++)
    {
      gsize len = g_rand_int_range (rand, 0, sizeof buf);

      for (gsize j = 0; j < len; j++)
        buf[j] = g_rand_int (rand) & 0xFF;
      switch (i % 4)
        {
        case 0:                 /* a STUN header with a lying length */
          if (len >= 20)
            {
              buf[0] = 0; buf[1] = 0x03;
              buf[4] = 0x21; buf[5] = 0x12; buf[6] = 0xA4; buf[7] = 0x42;
            }
          break;
        case 1:                 /* ChannelData to nowhere */
          if (len >= 4)
            buf[0] = 0x40 | (buf[0] & 0x3F);
          break;
        case 2:                 /* an RFC 3489 Binding request over random attributes */
          if (len >= 20)
            {
              len = 20 + ((len - 20) & ~(gsize) 3);
              buf[0] = 0; buf[1] = 0x01;
              buf[2] = (len - 20) >> 8; buf[3] = (len - 20) & 0xFF;
            }
          break;
        default:
          break;
        }
      send (c->fd, buf, len, MSG_DONTWAIT);
      if (i % 500 == 0)
        sync_with_server (c);
    }
  sync_with_server (c);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_REFRESH, NULL, NULL), ==, 0);

  /* a TCP stream of garbage is closed, the server lives on */
  for (i = 0; i < 64; i++)
    buf[i] = 0xFF;
  send (t->fd, buf, 64, MSG_NOSIGNAL);
  g_assert_cmpuint (client_recv (t, buf, sizeof buf, WAIT_MS), ==, 0);
  sync_with_server (c);

  g_rand_free (rand);
  client_free (c);
  client_free (t);
  g_assert_cmpuint (counter (f, "dropped"), >, 0);
  g_assert_cmpuint (counter (f, "allocations"), ==, 1);
  fixture_free (f);
}

/* The configuration is checked before anything listens. */
static void
test_configuration (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavTurnServer) server = NULL;

  server = g_object_new (NAV_TYPE_TURN_SERVER, "listening-ip", "127.0.0.1", "listening-port", 0, NULL);
  g_assert_false (nav_server_start (NAV_SERVER (server), &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_object_set (server, "lt-cred-mech", TRUE, NULL);
  g_assert_false (nav_server_start (NAV_SERVER (server), &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_object_set (server, "realm", REALM, "min-port", 50000, "max-port", 40000, NULL);
  g_assert_false (nav_server_start (NAV_SERVER (server), &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_object_set (server, "min-port", 40000, "max-port", 50000, "users",
                (const gchar *[]) { "no-colon", NULL }, NULL);
  g_assert_false (nav_server_start (NAV_SERVER (server), &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
  g_assert_false (nav_server_get_running (NAV_SERVER (server)));
}

/* max-bps: beyond the cap, datagrams are dropped and counted. */
static void
test_bandwidth_cap (void)
{
  Fixture *f = fixture_new ("max-bps", (guint64) 1000, NULL);
  Client *c = client_new (f, FALSE, "alice", "secret");
  NavAddress relay, peer;
  int pfd = peer_new (&peer);
  guint8 payload[500] = { 0 };
  guint i;

  allocate (c, &relay);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CREATE_PERMISSION, fill_peer, &peer), ==, 0);
  /* 10 000 bytes against a budget of 1000 a second */
  for (i = 0; i < 20; i++)
    send_indication (c, &peer, payload, sizeof payload);
  sync_with_server (c);
  client_free (c);
  close (pfd);
  g_assert_cmpuint (counter (f, "dropped-bandwidth"), >, 0);
  g_assert_cmpuint (counter (f, "packets-to-peer"), <, 20);
  g_assert_cmpuint (counter (f, "packets-to-peer"), >, 0);
  fixture_free (f);
}

/* Users from a file: name:password, and coturn's name:0xKEY form. */
static void
test_userdb (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = NULL;
  g_autofree gchar *contents = NULL;
  g_autoptr (GBytes) key = NULL;
  GString *hex = g_string_new ("0x");
  Fixture *f;
  Client *carol, *dave, *eve;
  NavAddress relay;
  int fd;

  key = nav_stun_derive_long_term_key ("dave", REALM, "dave-pw", NAV_STUN_PASSWORD_ALGORITHM_MD5, NULL);
  for (gsize i = 0; i < g_bytes_get_size (key); i++)
    g_string_append_printf (hex, "%02x", ((const guint8 *) g_bytes_get_data (key, NULL))[i]);
  contents = g_strdup_printf ("# users\ncarol:carol-pw\n\ndave:%s\n", hex->str);
  g_string_free (hex, TRUE);
  fd = g_file_open_tmp ("nav-turn-userdb-XXXXXX", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, contents, -1, &error));

  f = fixture_new ("users", NULL, "userdb", path, NULL);
  carol = client_new (f, FALSE, "carol", "carol-pw");
  dave = client_new (f, FALSE, "dave", "dave-pw");
  eve = client_new (f, FALSE, "alice", "secret");       /* not in the file */
  allocate (carol, &relay);
  allocate (dave, &relay);
  g_assert_cmpuint (simple_request (eve, NAV_STUN_METHOD_ALLOCATE, fill_udp, GUINT_TO_POINTER (17)), ==, 401);
  client_free (carol);
  client_free (dave);
  client_free (eve);
  fixture_free (f);
  g_unlink (path);
}

/* RFC 6062: TCP allocations, Connect and ConnectionBind, both ways. */
static void
fill_connection_id (NavStunMessageBuilder *b,
                    gpointer               data)
{
  g_assert_true (nav_stun_message_builder_add_uint32 (b, NAV_STUN_ATTRIBUTE_CONNECTION_ID,
                                                      GPOINTER_TO_UINT (data), NULL));
}

static int
tcp_listener_new (NavAddress *addr)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  g_assert_cmpint (bind (fd, (struct sockaddr *) &a, sizeof a), ==, 0);
  g_assert_cmpint (listen (fd, 4), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &ss, &sl), ==, 0);
  nav_address_set_from_sockaddr (addr, (struct sockaddr *) &ss, sl);
  return fd;
}

static void
pipe_check (int fd_a,
            int fd_b,
            const gchar *text)
{
  gchar buf[256];
  gssize n;

  g_assert_cmpint (send (fd_a, text, strlen (text), MSG_NOSIGNAL), ==, (gssize) strlen (text));
  g_assert_true (wait_readable (fd_b, WAIT_MS));
  n = recv (fd_b, buf, sizeof buf, 0);
  g_assert_cmpmem (buf, n, text, strlen (text));
}

static void
test_tcp_relay (void)
{
  Fixture *f = fixture_new (NULL);
  Client *c = client_new (f, TRUE, "alice", "secret");
  Client *data = NULL;
  NavAddress relay, peer, from;
  NavStunMessage *msg;
  int lfd = tcp_listener_new (&peer);
  int pfd, out;
  guint32 id = 0;
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;

  /* over TCP a TCP relay is granted (over UDP: 400, see unsupported-transport) */
  msg = request (c, NAV_STUN_METHOD_ALLOCATE, fill_udp, GUINT_TO_POINTER (6));
  g_assert_cmpint (nav_stun_message_get_class (msg), ==, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  g_assert_true (nav_stun_message_get_xor_address (msg, NAV_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, &relay, NULL));
  nav_stun_message_unref (msg);

  /* Connect: the server connects to the peer from the relayed address */
  msg = request (c, NAV_STUN_METHOD_CONNECT, fill_peer, &peer);
  g_assert_cmpint (nav_stun_message_get_class (msg), ==, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  g_assert_true (nav_stun_message_get_uint32 (msg, NAV_STUN_ATTRIBUTE_CONNECTION_ID, &id, NULL));
  nav_stun_message_unref (msg);
  g_assert_true (wait_readable (lfd, WAIT_MS));
  pfd = accept (lfd, (struct sockaddr *) &ss, &sl);
  g_assert_cmpint (pfd, >=, 0);
  nav_address_set_from_sockaddr (&from, (struct sockaddr *) &ss, sl);
  g_assert_true (nav_address_equal (&from, &relay));
  /* a second Connect to the same peer: 446 */
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CONNECT, fill_peer, &peer), ==, 446);

  /* ConnectionBind on a new connection, then raw bytes both ways.  It
   * carries the control connection's nonce, as clients do (RFC 6062
   * §4.4): accepted at once, no 438 for a nonce of another 5-tuple. */
  data = client_new (f, TRUE, "alice", "secret");
  data->nonce = g_strdup (c->nonce);
  data->key = g_bytes_ref (c->key);
  msg = request_once (data, NAV_STUN_METHOD_CONNECTION_BIND, fill_connection_id,
                      GUINT_TO_POINTER (id), TRUE);
  g_assert_cmpuint (error_code (msg), ==, 0);
  g_assert_cmpint (nav_stun_message_get_class (msg), ==, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  nav_stun_message_unref (msg);
  pipe_check (data->fd, pfd, "to the peer");
  pipe_check (pfd, data->fd, "back from the peer");
  client_free (data);
  close (pfd);

  /* a peer connects to the relayed address: ConnectionAttempt */
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CREATE_PERMISSION, fill_peer, &peer), ==, 0);
  out = socket (AF_INET, SOCK_STREAM, 0);
  sl = nav_address_copy_to_sockaddr (&relay, (struct sockaddr *) &ss, sizeof ss);
  g_assert_cmpint (connect (out, (struct sockaddr *) &ss, sl), ==, 0);
  {
    guint8 buf[512];
    gsize len = client_recv (c, buf, sizeof buf, WAIT_MS);
    g_autoptr (NavStunMessage) attempt = nav_stun_message_parse (buf, len, NULL);

    g_assert_nonnull (attempt);
    g_assert_cmpuint (nav_stun_message_get_method (attempt), ==, NAV_STUN_METHOD_CONNECTION_ATTEMPT);
    g_assert_true (nav_stun_message_get_uint32 (attempt, NAV_STUN_ATTRIBUTE_CONNECTION_ID, &id, NULL));
  }
  data = client_new (f, TRUE, "alice", "secret");
  g_assert_cmpuint (simple_request (data, NAV_STUN_METHOD_CONNECTION_BIND, fill_connection_id,
                                    GUINT_TO_POINTER (id)), ==, 0);
  pipe_check (out, data->fd, "hello from outside");
  pipe_check (data->fd, out, "welcome");
  /* an unknown CONNECTION-ID: 400 */
  {
    Client *other = client_new (f, TRUE, "alice", "secret");

    g_assert_cmpuint (simple_request (other, NAV_STUN_METHOD_CONNECTION_BIND, fill_connection_id,
                                      GUINT_TO_POINTER (id + 1000)), ==, 400);
    client_free (other);
  }
  client_free (data);
  close (out);
  close (lfd);
  client_free (c);
  g_assert_cmpuint (counter (f, "connect-requests"), ==, 2);
  g_assert_cmpuint (counter (f, "error-446"), ==, 1);
  fixture_free (f);
}

/* RFC 8489 §9.2: 401 answers offer SHA-256 then MD5 in PASSWORD-ALGORITHMS
 * behind a nonce with the cookie and the "Password algorithms" bit; a
 * request may pick SHA-256 (echoing the list) and is then answered with
 * MESSAGE-INTEGRITY-SHA256; a changed list (bid-down) or only one of
 * the two attributes is a 400; a nonce without the cookie is a 438. */
typedef struct
{
  const guint16 *list;          /* PASSWORD-ALGORITHMS to send, or NULL */
  gsize n_list;
  guint choice;                 /* PASSWORD-ALGORITHM to send, or 0 */
  const gchar *nonce;           /* instead of the client's */
} AlgoArgs;

static NavStunMessage *
algo_request (Client         *c,
              guint           method,
              const AlgoArgs *a)
{
  g_autoptr (NavStunMessageBuilder) b = nav_stun_message_builder_new (NAV_STUN_CLASS_REQUEST, method, NULL);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GBytes) key = NULL;
  guint8 txid[12];
  guint8 buf[4096];
  gsize n;
  NavStunMessage *msg = NULL;

  memcpy (txid, nav_stun_message_builder_get_transaction_id (b), 12);
  if (method == NAV_STUN_METHOD_ALLOCATE)
    fill_udp (b, GUINT_TO_POINTER (17));
  g_assert_true (nav_stun_message_builder_add_username (b, c->username, NULL));
  g_assert_true (nav_stun_message_builder_add_realm (b, REALM, NULL));
  g_assert_true (nav_stun_message_builder_add_nonce (b, a->nonce != NULL ? a->nonce : c->nonce, NULL));
  if (a->list != NULL)
    g_assert_true (nav_stun_message_builder_add_password_algorithms (b, a->list, a->n_list, NULL));
  if (a->choice != 0)
    g_assert_true (nav_stun_message_builder_add_password_algorithm (b, a->choice, NULL));
  key = nav_stun_derive_long_term_key (c->username, REALM, c->password,
                                       a->choice == NAV_STUN_PASSWORD_ALGORITHM_SHA256
                                         ? NAV_STUN_PASSWORD_ALGORITHM_SHA256
                                         : NAV_STUN_PASSWORD_ALGORITHM_MD5, NULL);
  if (a->choice == NAV_STUN_PASSWORD_ALGORITHM_SHA256)
    g_assert_true (nav_stun_message_builder_add_message_integrity_sha256 (b, g_bytes_get_data (key, NULL),
                                                                          g_bytes_get_size (key), 0, NULL));
  else
    g_assert_true (nav_stun_message_builder_add_message_integrity (b, g_bytes_get_data (key, NULL),
                                                                   g_bytes_get_size (key), NULL));
  g_assert_true (nav_stun_message_builder_add_fingerprint (b, NULL));
  bytes = nav_stun_message_builder_finish (b, NULL);
  client_send (c, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  while ((n = client_recv (c, buf, sizeof buf, WAIT_MS)) > 0)
    {
      msg = nav_stun_message_parse (buf, n, NULL);
      if (msg != NULL && nav_stun_message_has_transaction_id (msg, txid))
        break;
      g_clear_pointer (&msg, nav_stun_message_unref);
    }
  g_assert_nonnull (msg);
  if (nav_stun_message_get_class (msg) == NAV_STUN_CLASS_SUCCESS_RESPONSE)
    {
      /* signed the way the request was, with the key of its algorithm */
      g_assert_cmpint (nav_stun_message_has_message_integrity_sha256 (msg), ==,
                       a->choice == NAV_STUN_PASSWORD_ALGORITHM_SHA256);
      g_assert_true (nav_stun_message_check_integrity (msg, g_bytes_get_data (key, NULL),
                                                       g_bytes_get_size (key), NULL));
    }
  return msg;
}

static void
test_password_algorithms (void)
{
  static const guint16 offered[] = { NAV_STUN_PASSWORD_ALGORITHM_SHA256, NAV_STUN_PASSWORD_ALGORITHM_MD5 };
  static const guint16 md5_only[] = { NAV_STUN_PASSWORD_ALGORITHM_MD5 };
  Fixture *f = fixture_new (NULL);
  Client *c = client_new (f, FALSE, "alice", "secret");
  g_autoptr (NavStunMessage) challenge = request_once (c, NAV_STUN_METHOD_ALLOCATE, fill_udp,
                                                       GUINT_TO_POINTER (17), FALSE);
  g_autofree guint16 *algorithms = NULL;
  g_autofree gchar *no_cookie = NULL;
  gsize n = 0;

  g_assert_cmpuint (error_code (challenge), ==, 401);
  take_challenge (c, challenge);
  g_assert_true (g_str_has_prefix (c->nonce, "obMatJos2gAAA"));
  algorithms = nav_stun_message_get_password_algorithms (challenge, &n, NULL);
  g_assert_nonnull (algorithms);
  g_assert_cmpmem (algorithms, n * sizeof (guint16), offered, sizeof offered);

  /* bid-down: the list changed on the way */
  {
    AlgoArgs a = { md5_only, 1, NAV_STUN_PASSWORD_ALGORITHM_MD5, NULL };
    g_autoptr (NavStunMessage) msg = algo_request (c, NAV_STUN_METHOD_ALLOCATE, &a);

    g_assert_cmpuint (error_code (msg), ==, 400);
  }
  /* a choice without the list, a list without a choice */
  {
    AlgoArgs a = { NULL, 0, NAV_STUN_PASSWORD_ALGORITHM_SHA256, NULL };
    AlgoArgs b = { offered, 2, 0, NULL };
    g_autoptr (NavStunMessage) m1 = algo_request (c, NAV_STUN_METHOD_ALLOCATE, &a);
    g_autoptr (NavStunMessage) m2 = algo_request (c, NAV_STUN_METHOD_ALLOCATE, &b);

    g_assert_cmpuint (error_code (m1), ==, 400);
    g_assert_cmpuint (error_code (m2), ==, 400);
  }
  /* the cookie stripped from the nonce: not one of ours any more */
  no_cookie = g_strdup (c->nonce + strlen ("obMatJos2gAAA"));
  {
    AlgoArgs a = { NULL, 0, 0, no_cookie };
    g_autoptr (NavStunMessage) msg = algo_request (c, NAV_STUN_METHOD_ALLOCATE, &a);

    g_assert_cmpuint (error_code (msg), ==, 438);
  }
  /* SHA-256, chosen properly: allocated, then refreshed with it */
  {
    AlgoArgs a = { offered, 2, NAV_STUN_PASSWORD_ALGORITHM_SHA256, NULL };
    g_autoptr (NavStunMessage) m1 = algo_request (c, NAV_STUN_METHOD_ALLOCATE, &a);
    g_autoptr (NavStunMessage) m2 = algo_request (c, NAV_STUN_METHOD_REFRESH, &a);

    g_assert_cmpint (nav_stun_message_get_class (m1), ==, NAV_STUN_CLASS_SUCCESS_RESPONSE);
    g_assert_cmpint (nav_stun_message_get_class (m2), ==, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  }
  /* MD5 with the list echoed is fine too */
  {
    AlgoArgs a = { offered, 2, NAV_STUN_PASSWORD_ALGORITHM_MD5, NULL };
    g_autoptr (NavStunMessage) msg = algo_request (c, NAV_STUN_METHOD_REFRESH, &a);

    g_assert_cmpint (nav_stun_message_get_class (msg), ==, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  }
  client_free (c);
  /* counter() stops the server: only at the end */
  g_assert_cmpuint (counter (f, "allocations"), ==, 1);
  g_assert_cmpuint (counter (f, "allocations-total"), ==, 1);
  g_assert_cmpuint (counter (f, "auth-sha256"), ==, 2);
  g_assert_cmpuint (counter (f, "auth-md5"), ==, 1);
  g_assert_cmpuint (counter (f, "error-400"), ==, 3);
  g_assert_cmpuint (counter (f, "error-438"), ==, 1);
  fixture_free (f);
}

/* NavTurnClient takes the server's first offer: SHA-256. */
static void
test_client_uses_sha256 (void)
{
  Fixture *f = fixture_new (NULL);
  NavTurnClientConfig cfg;
  g_autoptr (NavTurnClient) client = NULL;
  BurstState st = { 0 };

  nav_turn_client_config_init (&cfg);
  set_loopback (&cfg.server, f->port);
  cfg.protocol = NAV_STUN_PROTOCOL_UDP;
  cfg.username = g_strdup ("alice");
  cfg.password = g_strdup ("secret");
  client = nav_turn_client_new (NULL, &cfg);
  nav_turn_client_config_clear (&cfg);
  nav_turn_client_allocate_async (client, NULL, burst_allocated, &st);
  while (!st.allocated)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (st.error);
  g_clear_object (&client);
  g_assert_cmpuint (counter (f, "auth-sha256"), >=, 1);
  g_assert_cmpuint (counter (f, "auth-md5"), ==, 0);
  fixture_free (f);
}

/* ---------------------------------------------------------------- */
/* Dual allocations (RFC 8656 §7.2, ADDITIONAL-ADDRESS-FAMILY) and      */
/* DONT-FRAGMENT (RFC 8656 §11.3)                                      */

static int
peer_new_family (GSocketFamily  family,
                 NavAddress    *addr)
{
  struct sockaddr_storage ss;
  socklen_t sl;
  NavAddress a;
  int fd, size = 1024 * 1024;

  g_assert_true (nav_address_set_from_string (&a, family == G_SOCKET_FAMILY_IPV6 ? "[::1]:0"
                                                                                 : "127.0.0.1:0", NULL));
  fd = socket (family == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  g_assert_cmpint (fd, >=, 0);
  setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  sl = nav_address_copy_to_sockaddr (&a, (struct sockaddr *) &ss, sizeof ss);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &ss, sl), ==, 0);
  sl = sizeof ss;
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &ss, &sl), ==, 0);
  nav_address_set_from_sockaddr (addr, (struct sockaddr *) &ss, sl);
  return fd;
}

typedef struct
{
  gint requested;               /* REQUESTED-ADDRESS-FAMILY, or 0 */
  gint additional;              /* ADDITIONAL-ADDRESS-FAMILY, or 0 */
  gboolean dont_fragment;
  gint lifetime;                /* Refresh: LIFETIME, or -1 */
  guint8 transport;             /* Allocate: REQUESTED-TRANSPORT, or 0 */
} FamilyArgs;

static void
fill_families (NavStunMessageBuilder *b,
               gpointer               data)
{
  FamilyArgs *a = data;

  if (a->transport != 0)
    fill_udp (b, GUINT_TO_POINTER (a->transport));
  if (a->requested != 0)
    g_assert_true (nav_stun_message_builder_add_address_family (b, NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY,
                                                                a->requested, NULL));
  if (a->additional != 0)
    g_assert_true (nav_stun_message_builder_add_address_family (b, NAV_STUN_ATTRIBUTE_ADDITIONAL_ADDRESS_FAMILY,
                                                                a->additional, NULL));
  if (a->dont_fragment)
    g_assert_true (nav_stun_message_builder_add_flag (b, NAV_STUN_ATTRIBUTE_DONT_FRAGMENT, NULL));
  if (a->lifetime >= 0)
    fill_lifetime (b, GUINT_TO_POINTER (a->lifetime));
}

static void
fill_peers (NavStunMessageBuilder *b,
            gpointer               data)
{
  NavAddress *peers = data;

  fill_peer (b, &peers[0]);
  fill_peer (b, &peers[1]);
}

/* A dual Allocate: both relayed addresses, IPv4 first. */
static void
allocate_dual (Client     *c,
               gboolean    dont_fragment,
               NavAddress *relay4,
               NavAddress *relay6)
{
  FamilyArgs args = { 0, G_SOCKET_FAMILY_IPV6, dont_fragment, -1, 17 };
  g_autoptr (NavStunMessage) msg = request (c, NAV_STUN_METHOD_ALLOCATE, fill_families, &args);
  gint idx;

  g_assert_cmpint (nav_stun_message_get_class (msg), ==, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  idx = nav_stun_message_find_attribute (msg, NAV_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, 0);
  g_assert_cmpint (idx, >=, 0);
  g_assert_true (nav_stun_message_get_xor_address_nth (msg, idx, relay4, NULL));
  idx = nav_stun_message_find_attribute (msg, NAV_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, idx + 1);
  g_assert_cmpint (idx, >=, 0);
  g_assert_true (nav_stun_message_get_xor_address_nth (msg, idx, relay6, NULL));
  g_assert_cmpint (nav_address_get_family (relay4), ==, G_SOCKET_FAMILY_IPV4);
  g_assert_cmpint (nav_address_get_family (relay6), ==, G_SOCKET_FAMILY_IPV6);
  g_assert_false (nav_stun_message_has_attribute (msg, NAV_STUN_ATTRIBUTE_ADDRESS_ERROR_CODE));
}

/* The next frame from the server: a Data indication or ChannelData; its
 * payload is copied to @payload, the peer (Data) or channel returned. */
static gsize
client_recv_data (Client     *c,
                  guint8     *payload,
                  gsize       size,
                  NavAddress *peer,
                  guint16    *channel)
{
  guint8 buf[4096];
  gsize n = client_recv (c, buf, sizeof buf, WAIT_MS);

  g_assert_cmpuint (n, >=, 4);
  if ((buf[0] & 0xC0) == 0x40)
    {
      gsize len = buf[2] << 8 | buf[3];

      *channel = buf[0] << 8 | buf[1];
      g_assert_cmpuint (len, <=, size);
      memcpy (payload, buf + 4, len);
      return len;
    }
  else
    {
      g_autoptr (NavStunMessage) msg = nav_stun_message_parse (buf, n, NULL);
      const guint8 *data;
      gsize len;

      g_assert_nonnull (msg);
      g_assert_cmpuint (nav_stun_message_get_method (msg), ==, NAV_STUN_METHOD_DATA);
      g_assert_true (nav_stun_message_get_xor_address (msg, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, peer, NULL));
      data = nav_stun_message_get_attribute (msg, NAV_STUN_ATTRIBUTE_DATA, &len);
      g_assert_nonnull (data);
      g_assert_cmpuint (len, <=, size);
      memcpy (payload, data, len);
      *channel = 0;
      return len;
    }
}

/* RFC 8656 §7.2: ADDITIONAL-ADDRESS-FAMILY=IPv6 gets an IPv4 and an IPv6
 * relayed address; permissions, Send/Data and channels work per family,
 * with real peers on 127.0.0.1 and ::1; a Refresh with lifetime 0 and
 * REQUESTED-ADDRESS-FAMILY deletes one family only (§7.5), after which
 * that family is a 443 and the other still relays. */
static void
test_dual_allocation (void)
{
  Fixture *f = fixture_new ("relay-ip", "127.0.0.1,::1", NULL);
  Client *c = client_new (f, FALSE, "alice", "secret");
  NavAddress relay4, relay6, peers[2], from, xp;
  int pfd4 = peer_new_family (G_SOCKET_FAMILY_IPV4, &peers[0]);
  int pfd6 = peer_new_family (G_SOCKET_FAMILY_IPV6, &peers[1]);
  const guint8 to4[] = "to the IPv4 peer", to6[] = "to the IPv6 peer!";
  const guint8 back4[] = "back from IPv4", back6[] = "back from IPv6 :)";
  BindArgs bind6 = { 0x4006, &peers[1] }, bind4 = { 0x4004, &peers[0] };
  FamilyArgs drop6 = { G_SOCKET_FAMILY_IPV6, 0, FALSE, 0, 0 };
  FamilyArgs refresh6 = { G_SOCKET_FAMILY_IPV6, 0, FALSE, 600, 0 };
  guint8 buf[4096];
  guint16 channel;
  gssize n;

  allocate_dual (c, FALSE, &relay4, &relay6);
  {
    g_autofree gchar *ip4 = nav_address_ip_to_string (&relay4);
    g_autofree gchar *ip6 = nav_address_ip_to_string (&relay6);

    g_assert_cmpstr (ip4, ==, "127.0.0.1");
    g_assert_cmpstr (ip6, ==, "::1");
  }
  /* one CreatePermission for peers of both families */
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CREATE_PERMISSION, fill_peers, peers), ==, 0);

  /* Send indications leave from the relayed address of the peer's family */
  send_indication (c, &peers[0], to4, sizeof to4);
  send_indication (c, &peers[1], to6, sizeof to6);
  n = peer_recv (pfd4, buf, sizeof buf, &from, WAIT_MS);
  g_assert_cmpmem (buf, n, to4, sizeof to4);
  g_assert_true (nav_address_equal (&from, &relay4));
  n = peer_recv (pfd6, buf, sizeof buf, &from, WAIT_MS);
  g_assert_cmpmem (buf, n, to6, sizeof to6);
  g_assert_true (nav_address_equal (&from, &relay6));

  /* and the peers' answers come back as Data indications */
  peer_send (pfd6, &relay6, back6, sizeof back6);
  n = client_recv_data (c, buf, sizeof buf, &xp, &channel);
  g_assert_cmpmem (buf, n, back6, sizeof back6);
  g_assert_true (nav_address_equal (&xp, &peers[1]));
  peer_send (pfd4, &relay4, back4, sizeof back4);
  n = client_recv_data (c, buf, sizeof buf, &xp, &channel);
  g_assert_cmpmem (buf, n, back4, sizeof back4);
  g_assert_true (nav_address_equal (&xp, &peers[0]));

  /* a peer writing to the relayed address of the other family's socket
   * has no permission there: the IPv6 peer is not the IPv4 one */
  /* channels, one per family, both ways */
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CHANNEL_BIND, fill_bind, &bind6), ==, 0);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CHANNEL_BIND, fill_bind, &bind4), ==, 0);
  send_channel_data (c, 0x4006, to6, sizeof to6);
  n = peer_recv (pfd6, buf, sizeof buf, &from, WAIT_MS);
  g_assert_cmpmem (buf, n, to6, sizeof to6);
  g_assert_true (nav_address_equal (&from, &relay6));
  send_channel_data (c, 0x4004, to4, sizeof to4);
  n = peer_recv (pfd4, buf, sizeof buf, &from, WAIT_MS);
  g_assert_cmpmem (buf, n, to4, sizeof to4);
  peer_send (pfd6, &relay6, back6, sizeof back6);
  n = client_recv_data (c, buf, sizeof buf, &xp, &channel);
  g_assert_cmpuint (channel, ==, 0x4006);
  g_assert_cmpmem (buf, n, back6, sizeof back6);

  /* a Refresh about IPv6 keeps both; lifetime 0 with IPv6 deletes it */
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_REFRESH, fill_families, &refresh6), ==, 0);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_REFRESH, fill_families, &drop6), ==, 0);
  /* now IPv6 is a family mismatch, for permissions and for Refresh */
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CREATE_PERMISSION, fill_peer, &peers[1]), ==, 443);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_REFRESH, fill_families, &refresh6), ==, 443);
  /* its channel went with it; the IPv4 half still relays */
  send_channel_data (c, 0x4006, to6, sizeof to6);
  send_channel_data (c, 0x4004, to4, sizeof to4);
  n = peer_recv (pfd4, buf, sizeof buf, &from, WAIT_MS);
  g_assert_cmpmem (buf, n, to4, sizeof to4);
  g_assert_true (nav_address_equal (&from, &relay4));
  sync_with_server (c);
  g_assert_cmpint (recv (pfd6, buf, sizeof buf, MSG_DONTWAIT), <, 0);

  /* lifetime 0 about the last family deletes the allocation */
  drop6.requested = G_SOCKET_FAMILY_IPV4;
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_REFRESH, fill_families, &drop6), ==, 0);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_REFRESH, NULL, NULL), ==, 437);

  client_free (c);
  close (pfd4);
  close (pfd6);
  g_assert_cmpuint (counter (f, "packets-to-peer"), ==, 5);
  g_assert_cmpuint (counter (f, "packets-from-peer"), ==, 3);
  g_assert_cmpuint (counter (f, "dropped-no-channel"), ==, 1);
  g_assert_cmpuint (counter (f, "allocations"), ==, 0);
  fixture_free (f);
}

static void
fill_bad_family (NavStunMessageBuilder *b,
                 gpointer               data)
{
  static const guint8 bogus[4] = { 0x03, 0, 0, 0 };      /* neither IPv4 nor IPv6 */

  if (GPOINTER_TO_UINT (data) == NAV_STUN_ATTRIBUTE_ADDITIONAL_ADDRESS_FAMILY)
    fill_udp (b, GUINT_TO_POINTER (17));
  g_assert_true (nav_stun_message_builder_add_attribute (b, GPOINTER_TO_UINT (data), bogus, sizeof bogus, NULL));
}

/* RFC 8656 §7.2: the rules of ADDITIONAL-ADDRESS-FAMILY. */
static void
test_dual_allocation_errors (void)
{
  Fixture *f = fixture_new ("relay-ip", "127.0.0.1,::1", NULL);
  Client *c = client_new (f, FALSE, "alice", "secret");
  FamilyArgs both = { G_SOCKET_FAMILY_IPV6, G_SOCKET_FAMILY_IPV6, FALSE, -1, 17 };
  FamilyArgs v4 = { 0, G_SOCKET_FAMILY_IPV4, FALSE, -1, 17 };
  FamilyArgs dual = { 0, G_SOCKET_FAMILY_IPV6, FALSE, -1, 17 };
  NavStunMessage *msg;
  NavAddress relay;
  GSocketFamily family;
  guint code = 0;

  /* with REQUESTED-ADDRESS-FAMILY: 400; asking for IPv4 in addition: 400 */
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_ALLOCATE, fill_families, &both), ==, 400);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_ALLOCATE, fill_families, &v4), ==, 400);
  /* a family that is neither: 400, in an Allocate and in a Refresh */
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_ALLOCATE, fill_bad_family,
                                    GUINT_TO_POINTER (NAV_STUN_ATTRIBUTE_ADDITIONAL_ADDRESS_FAMILY)), ==, 400);
  allocate (c, &relay);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_REFRESH, fill_bad_family,
                                    GUINT_TO_POINTER (NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY)), ==, 400);
  /* an IPv4-only allocation asked about IPv6: 443 */
  {
    FamilyArgs refresh6 = { G_SOCKET_FAMILY_IPV6, 0, FALSE, 600, 0 };

    g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_REFRESH, fill_families, &refresh6), ==, 443);
  }
  client_free (c);
  fixture_free (f);

  /* a server without IPv6 relays: the IPv4 half, and ADDRESS-ERROR-CODE
   * 440 for IPv6 */
  f = fixture_new (NULL);
  c = client_new (f, FALSE, "alice", "secret");
  msg = request (c, NAV_STUN_METHOD_ALLOCATE, fill_families, &dual);
  g_assert_cmpint (nav_stun_message_get_class (msg), ==, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  g_assert_true (nav_stun_message_get_xor_address (msg, NAV_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, &relay, NULL));
  g_assert_cmpint (nav_address_get_family (&relay), ==, G_SOCKET_FAMILY_IPV4);
  g_assert_cmpint (nav_stun_message_find_attribute (msg, NAV_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
                                                    nav_stun_message_find_attribute (msg, NAV_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, 0) + 1),
                   <, 0);
  g_assert_true (nav_stun_message_get_address_error_code (msg, &family, &code, NULL, NULL));
  g_assert_cmpint (family, ==, G_SOCKET_FAMILY_IPV6);
  g_assert_cmpuint (code, ==, 440);
  nav_stun_message_unref (msg);
  client_free (c);
  fixture_free (f);

  /* a server with IPv6 relays only: the IPv4 half is mandatory, 440 */
  f = fixture_new ("relay-ip", "::1", NULL);
  c = client_new (f, FALSE, "alice", "secret");
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_ALLOCATE, fill_families, &dual), ==, 440);
  client_free (c);
  g_assert_cmpuint (counter (f, "allocations"), ==, 0);
  fixture_free (f);
}

typedef struct
{
  guint count;
  NavAddress from[2];
  gboolean allocated;
  GError *error;
} DualState;

static void
dual_allocated (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  DualState *st = user_data;

  st->allocated = TRUE;
  nav_turn_client_allocate_finish (NAV_TURN_CLIENT (source), result, &st->error);
}

static void
dual_received (gpointer          client,
               const guint8     *data,
               gsize             len,
               const NavAddress *from,
               gpointer          user_data)
{
  DualState *st = user_data;

  g_assert_cmpmem (data, len, "pong", 4);
  if (st->count < 2)
    st->from[st->count] = *from;
  st->count++;
}

/* Our client asking for a dual allocation (config.dual) relays to an
 * IPv4 and an IPv6 peer through one allocation. */
static void
test_dual_allocation_client (void)
{
  Fixture *f = fixture_new ("relay-ip", "127.0.0.1,::1", NULL);
  NavTurnClientConfig cfg;
  g_autoptr (NavTurnClient) client = NULL;
  DualState st = { 0 };
  NavAddress peers[2], from;
  int pfd[2];
  guint8 buf[64];
  gint64 deadline;

  pfd[0] = peer_new_family (G_SOCKET_FAMILY_IPV4, &peers[0]);
  pfd[1] = peer_new_family (G_SOCKET_FAMILY_IPV6, &peers[1]);
  nav_turn_client_config_init (&cfg);
  set_loopback (&cfg.server, f->port);
  cfg.protocol = NAV_STUN_PROTOCOL_UDP;
  cfg.username = g_strdup ("alice");
  cfg.password = g_strdup ("secret");
  cfg.dual = TRUE;
  cfg.use_channels = TRUE;
  client = nav_turn_client_new (NULL, &cfg);
  nav_turn_client_config_clear (&cfg);
  nav_turn_client_set_receive_func (client, dual_received, &st);
  nav_turn_client_allocate_async (client, NULL, dual_allocated, &st);
  while (!st.allocated)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (st.error);
  g_assert_cmpuint (nav_turn_client_get_n_relayed_addresses (client), ==, 2);
  g_assert_cmpint (nav_address_get_family (nav_turn_client_get_relayed_address (client, 0)), ==,
                   G_SOCKET_FAMILY_IPV4);
  g_assert_cmpint (nav_address_get_family (nav_turn_client_get_relayed_address (client, 1)), ==,
                   G_SOCKET_FAMILY_IPV6);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_true (nav_turn_client_send (client, &peers[i], (const guint8 *) "ping", 4, &error));
      g_assert_no_error (error);
    }
  for (guint i = 0; i < 2; i++)
    {
      gssize n = -1;

      deadline = g_get_monotonic_time () + WAIT_MS * 1000;
      while (n < 0 && g_get_monotonic_time () < deadline)
        {
          g_main_context_iteration (NULL, FALSE);
          n = peer_recv (pfd[i], buf, sizeof buf, &from, 1);
        }
      g_assert_cmpmem (buf, n, "ping", 4);
      g_assert_true (nav_address_equal (&from, nav_turn_client_get_relayed_address (client, i)));
      peer_send (pfd[i], &from, (const guint8 *) "pong", 4);
    }
  deadline = g_get_monotonic_time () + WAIT_MS * 1000;
  while (st.count < 2 && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (500);
  g_assert_cmpuint (st.count, ==, 2);
  g_assert_true ((nav_address_equal (&st.from[0], &peers[0]) && nav_address_equal (&st.from[1], &peers[1])) ||
                 (nav_address_equal (&st.from[0], &peers[1]) && nav_address_equal (&st.from[1], &peers[0])));

  nav_turn_client_set_receive_func (client, NULL, NULL);
  g_clear_object (&client);
  close (pfd[0]);
  close (pfd[1]);
  g_assert_cmpuint (counter (f, "packets-to-peer"), ==, 2);
  g_assert_cmpuint (counter (f, "packets-from-peer"), ==, 2);
  fixture_free (f);
}

static void
send_indication_df (Client           *c,
                    const NavAddress *peer,
                    const guint8     *data,
                    gsize             len,
                    gboolean          dont_fragment)
{
  g_autoptr (NavStunMessageBuilder) b = nav_stun_message_builder_new (NAV_STUN_CLASS_INDICATION,
                                                                      NAV_STUN_METHOD_SEND, NULL);
  g_autoptr (GBytes) bytes = NULL;

  g_assert_true (nav_stun_message_builder_add_xor_address (b, NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, peer, NULL));
  g_assert_true (nav_stun_message_builder_add_attribute (b, NAV_STUN_ATTRIBUTE_DATA, data, len, NULL));
  if (dont_fragment)
    g_assert_true (nav_stun_message_builder_add_flag (b, NAV_STUN_ATTRIBUTE_DONT_FRAGMENT, NULL));
  bytes = nav_stun_message_builder_finish (b, NULL);
  client_send (c, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

/* Loopback in a network namespace of our own, with an MTU of 1500, so
 * that a datagram can be too big for the path. */
static gboolean
private_small_mtu_loopback (void)
{
  struct ifreq ifr = { 0 };
  int fd;

  if (unshare (CLONE_NEWNET) < 0)
    return FALSE;
  fd = socket (AF_INET, SOCK_DGRAM, 0);
  g_assert_cmpint (fd, >=, 0);
  g_strlcpy (ifr.ifr_name, "lo", sizeof ifr.ifr_name);
  ifr.ifr_mtu = 1500;
  g_assert_cmpint (ioctl (fd, SIOCSIFMTU, &ifr), ==, 0);
  g_assert_cmpint (ioctl (fd, SIOCGIFFLAGS, &ifr), ==, 0);
  ifr.ifr_flags |= IFF_UP;
  g_assert_cmpint (ioctl (fd, SIOCSIFFLAGS, &ifr), ==, 0);
  close (fd);
  return TRUE;
}

#define BIG 1800                /* above the MTU, under the server's read size */
#define SMALL 1000

static void
dont_fragment_body (void)
{
  Fixture *f;
  Client *c, *d;
  NavAddress relay4, relay6, peers[2], from;
  int pfd[2];
  guint8 big[BIG], buf[4096];
  BindArgs bind;
  gssize n;
  guint seen = 0;

  f = fixture_new ("relay-ip", "127.0.0.1,::1", NULL);
  c = client_new (f, FALSE, "alice", "secret");
  d = client_new (f, FALSE, "bob", "hunter2");
  pfd[0] = peer_new_family (G_SOCKET_FAMILY_IPV4, &peers[0]);
  pfd[1] = peer_new_family (G_SOCKET_FAMILY_IPV6, &peers[1]);
  for (guint i = 0; i < sizeof big; i++)
    big[i] = i * 7;

  allocate_dual (c, FALSE, &relay4, &relay6);
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CREATE_PERMISSION, fill_peers, peers), ==, 0);
  for (guint i = 0; i < 2; i++)
    {
      /* with DONT-FRAGMENT, a datagram above the MTU is dropped... */
      send_indication_df (c, &peers[i], big, BIG, TRUE);
      /* ...without, it leaves in fragments and arrives whole */
      send_indication_df (c, &peers[i], big, BIG, FALSE);
      /* and DF on a datagram that fits goes through */
      send_indication_df (c, &peers[i], big, SMALL, TRUE);
      /* in either order: over worker threads with random steering, a
       * datagram handed over to the owning thread may be overtaken */
      for (guint k = 0; k < 2; k++)
        {
          n = peer_recv (pfd[i], buf, sizeof buf, &from, WAIT_MS);
          g_assert_true (n == BIG || n == SMALL);
          g_assert_cmpmem (buf, n, big, n);
          seen |= 1u << (n == BIG);
        }
      g_assert_cmpuint (seen, ==, 3);
      seen = 0;
    }
  sync_with_server (c);
  g_assert_cmpint (recv (pfd[0], buf, sizeof buf, MSG_DONTWAIT), <, 0);
  g_assert_cmpint (recv (pfd[1], buf, sizeof buf, MSG_DONTWAIT), <, 0);

  /* DONT-FRAGMENT in the Allocate: ChannelData leaves with DF */
  allocate_dual (d, TRUE, &relay4, &relay6);
  bind.channel = 0x4000;
  bind.peer = &peers[0];
  g_assert_cmpuint (simple_request (d, NAV_STUN_METHOD_CHANNEL_BIND, fill_bind, &bind), ==, 0);
  bind.channel = 0x4001;
  bind.peer = &peers[1];
  g_assert_cmpuint (simple_request (d, NAV_STUN_METHOD_CHANNEL_BIND, fill_bind, &bind), ==, 0);
  for (guint i = 0; i < 2; i++)
    {
      send_channel_data (d, 0x4000 + i, big, BIG);
      send_channel_data (d, 0x4000 + i, big, SMALL);
      n = peer_recv (pfd[i], buf, sizeof buf, &from, WAIT_MS);
      g_assert_cmpmem (buf, n, big, SMALL);
    }
  sync_with_server (d);
  g_assert_cmpint (recv (pfd[0], buf, sizeof buf, MSG_DONTWAIT), <, 0);
  g_assert_cmpint (recv (pfd[1], buf, sizeof buf, MSG_DONTWAIT), <, 0);

  client_free (c);
  client_free (d);
  close (pfd[0]);
  close (pfd[1]);
  g_assert_cmpuint (counter (f, "dropped-dont-fragment"), ==, 4);
  g_assert_cmpuint (counter (f, "dropped"), >=, 4);    /* counted among the drops */
  g_assert_cmpuint (counter (f, "dropped-send-failed"), ==, 0);
  g_assert_cmpuint (counter (f, "packets-to-peer"), ==, 6);
  fixture_free (f);
}

/* RFC 8656 §11.3: a Send indication with DONT-FRAGMENT leaves with DF
 * set (IP_PMTUDISC_DO, IPV6_DONTFRAG), so a datagram above the path MTU
 * is dropped and counted rather than fragmented; without it, it is
 * fragmented and delivered.  An Allocate with DONT-FRAGMENT does the same
 * for ChannelData.  Runs in a network namespace of its own (root). */
static void
test_dont_fragment (void)
{
  if (getuid () != 0)
    {
      g_test_skip ("needs root: a private network namespace with a small loopback MTU");
      return;
    }
  if (g_test_subprocess ())
    {
      if (!private_small_mtu_loopback ())
        {
          g_printerr ("unshare (CLONE_NEWNET): %s\n", g_strerror (errno));
          exit (77);
        }
      dont_fragment_body ();
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* ---------------------------------------------------------------- */
/* Worker threads (issue 22)                                          */

/* An allocation made through one worker is refreshed, permitted,
 * channel-bound, relayed through and deleted by requests that the kernel
 * hands to any worker's socket (random steering: every datagram of the
 * client on any of four threads), with the same 5-tuple. */
static void
test_threads_any_worker (void)
{
  Fixture *f = fixture_new ("threads", 4, "steering", "random", NULL);
  Client *c = client_new (f, FALSE, "alice", "secret");
  NavAddress relay, peer, from;
  int pfd = peer_new (&peer);
  BindArgs args = { 0x4002, &peer };
  guint8 buf[4096];
  gsize len;
  gssize n;

  allocate (c, &relay);
  for (guint round = 0; round < 16; round++)
    {
      guint8 payload[8] = { 'r', 'o', 'u', 'n', 'd', (guint8) round, 0, 0 };

      g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_REFRESH, fill_lifetime, GUINT_TO_POINTER (600)), ==, 0);
      g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CREATE_PERMISSION, fill_peer, &peer), ==, 0);
      g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_CHANNEL_BIND, fill_bind, &args), ==, 0);
      /* one at a time: a datagram handed over may be overtaken */
      send_channel_data (c, 0x4002, payload, sizeof payload);
      n = peer_recv (pfd, buf, sizeof buf, &from, WAIT_MS);
      g_assert_cmpmem (buf, n, payload, sizeof payload);
      g_assert_true (nav_address_equal (&from, &relay));
      peer_send (pfd, &relay, payload, sizeof payload);
      len = client_recv (c, buf, sizeof buf, WAIT_MS);
      g_assert_cmpuint (len, ==, 4 + sizeof payload);
      g_assert_cmpuint (buf[0] << 8 | buf[1], ==, 0x4002);
      g_assert_cmpmem (buf + 4, sizeof payload, payload, sizeof payload);
    }
  /* deleted through whichever worker, and then gone for every worker */
  g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_REFRESH, fill_lifetime, GUINT_TO_POINTER (0)), ==, 0);
  for (guint i = 0; i < 8; i++)
    g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_REFRESH, fill_lifetime, GUINT_TO_POINTER (600)), ==, 437);
  client_free (c);
  close (pfd);
  g_assert_cmpuint (counter (f, "threads"), ==, 4);
  /* 66 datagrams of the allocation at random on four sockets: some went
   * to another worker than the owner (all of them stay on the owner
   * with a chance of 4^-66) */
  g_test_message ("handed-over=%" G_GUINT64_FORMAT, counter (f, "handed-over"));
  g_assert_cmpuint (counter (f, "handed-over"), >, 0);
  g_assert_cmpuint (counter (f, "allocations"), ==, 0);
  g_assert_cmpuint (counter (f, "allocations-total"), ==, 1);
  g_assert_cmpuint (counter (f, "refresh-requests"), ==, 17 + 8);
  g_assert_cmpuint (counter (f, "error-437"), ==, 8);
  g_assert_cmpuint (counter (f, "packets-to-peer"), ==, 16);
  g_assert_cmpuint (counter (f, "packets-from-peer"), ==, 16);
  fixture_free (f);
}

/* One Allocate sent twice at once (a retransmission) lands on two
 * workers: one allocation, both answered with it. */
static void
test_threads_allocate_retransmitted (void)
{
  Fixture *f = fixture_new ("threads", 4, "steering", "random", NULL);

  for (guint attempt = 0; attempt < 8; attempt++)
    {
      Client *c = client_new (f, FALSE, "alice", "secret");
      g_autoptr (NavStunMessage) challenge = request_once (c, NAV_STUN_METHOD_ALLOCATE, fill_udp,
                                                           GUINT_TO_POINTER (17), FALSE);
      g_autoptr (GBytes) bytes = NULL;
      NavAddress relays[2];
      guint8 txid[12];

      g_assert_cmpuint (error_code (challenge), ==, 401);
      take_challenge (c, challenge);
      bytes = build_request (c, NAV_STUN_METHOD_ALLOCATE, fill_udp, GUINT_TO_POINTER (17), TRUE, txid);
      client_send (c, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      client_send (c, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      for (guint i = 0; i < 2; i++)
        {
          g_autoptr (NavStunMessage) msg = await_answer (c, txid);

          g_assert_cmpint (nav_stun_message_get_class (msg), ==, NAV_STUN_CLASS_SUCCESS_RESPONSE);
          g_assert_true (nav_stun_message_get_xor_address (msg, NAV_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
                                                           &relays[i], NULL));
        }
      g_assert_true (nav_address_equal (&relays[0], &relays[1]));
      g_assert_cmpuint (simple_request (c, NAV_STUN_METHOD_REFRESH, fill_lifetime, GUINT_TO_POINTER (0)), ==, 0);
      client_free (c);
    }
  g_assert_cmpuint (counter (f, "allocations-total"), ==, 8);
  g_assert_cmpuint (counter (f, "allocations"), ==, 0);
  fixture_free (f);
}

/* Quotas hold across workers: twelve clients (eight of alice, four of
 * bob) send their signed Allocates at once, spread over four threads;
 * with a user quota of 3 and a total quota of 5, exactly five get an
 * allocation, at most three of each user, and the counters of the
 * workers add up. */
static void
test_threads_quota (void)
{
  Fixture *f = fixture_new ("threads", 4, "steering", "random", "user-quota", 3, "total-quota", 5, NULL);
  Client *clients[12];
  guint8 txids[12][12];
  guint granted[2] = { 0, 0 }, refused = 0;

  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      gboolean bob = i >= 8;
      g_autoptr (NavStunMessage) challenge = NULL;

      clients[i] = client_new (f, FALSE, bob ? "bob" : "alice", bob ? "hunter2" : "secret");
      challenge = request_once (clients[i], NAV_STUN_METHOD_ALLOCATE, fill_udp, GUINT_TO_POINTER (17), FALSE);
      g_assert_cmpuint (error_code (challenge), ==, 401);
      take_challenge (clients[i], challenge);
    }
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      g_autoptr (GBytes) bytes = build_request (clients[i], NAV_STUN_METHOD_ALLOCATE, fill_udp,
                                                GUINT_TO_POINTER (17), TRUE, txids[i]);

      client_send (clients[i], g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      g_autoptr (NavStunMessage) msg = await_answer (clients[i], txids[i]);
      guint code = error_code (msg);

      if (code == 0)
        granted[i >= 8]++;
      else
        {
          g_assert_cmpuint (code, ==, 486);
          refused++;
        }
    }
  g_test_message ("alice=%u bob=%u refused=%u", granted[0], granted[1], refused);
  g_assert_cmpuint (granted[0], <=, 3);
  g_assert_cmpuint (granted[1], <=, 3);
  g_assert_cmpuint (granted[0] + granted[1], ==, 5);
  g_assert_cmpuint (refused, ==, 7);
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    client_free (clients[i]);
  g_assert_cmpuint (counter (f, "allocations"), ==, 5);
  g_assert_cmpuint (counter (f, "allocations-total"), ==, 5);
  g_assert_cmpuint (counter (f, "allocate-requests"), ==, 12);
  g_assert_cmpuint (counter (f, "error-486"), ==, 7);
  g_assert_cmpuint (counter (f, "error-401"), ==, 12);
  fixture_free (f);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/turn-server/configuration", test_configuration);
  g_test_add_func ("/turn-server/binding", test_binding);
  g_test_add_func ("/turn-server/binding-rfc3489", test_binding_rfc3489);
  g_test_add_func ("/turn-server/allocate-refresh", test_allocate_refresh);
  g_test_add_func ("/turn-server/wrong-password", test_wrong_password);
  g_test_add_func ("/turn-server/unsupported-transport", test_unsupported_transport);
  g_test_add_func ("/turn-server/relay-udp", test_relay_udp);
  g_test_add_func ("/turn-server/relay-tcp", test_relay_tcp);
  g_test_add_func ("/turn-server/permission-missing", test_permission_missing);
  g_test_add_func ("/turn-server/client-burst-before-channel", test_client_burst_channel);
  g_test_add_func ("/turn-server/client-burst-before-permission", test_client_burst_indication);
  g_test_add_func ("/turn-server/client-burst-tcp", test_client_burst_tcp);
  g_test_add_func ("/turn-server/denied-peer", test_denied_peer);
  g_test_add_func ("/turn-server/quota", test_quota);
  g_test_add_func ("/turn-server/insufficient-capacity", test_insufficient_capacity);
  g_test_add_func ("/turn-server/stale-nonce", test_stale_nonce);
  g_test_add_func ("/turn-server/rest-credentials", test_rest_credentials);
  g_test_add_func ("/turn-server/expiry", test_expiry);
  g_test_add_func ("/turn-server/expiry-under-traffic", test_expiry_under_traffic);
  g_test_add_func ("/turn-server/relay-many-peers", test_relay_many_peers);
  g_test_add_func ("/turn-server/unauthenticated-never-relayed", test_unauthenticated_never_relayed);
  g_test_add_func ("/turn-server/ipv6-relay", test_ipv6_relay);
  g_test_add_func ("/turn-server/garbage-flood", test_garbage_flood);
  g_test_add_func ("/turn-server/bandwidth-cap", test_bandwidth_cap);
  g_test_add_func ("/turn-server/threads/any-worker", test_threads_any_worker);
  g_test_add_func ("/turn-server/threads/allocate-retransmitted", test_threads_allocate_retransmitted);
  g_test_add_func ("/turn-server/threads/quota", test_threads_quota);
  g_test_add_func ("/turn-server/userdb", test_userdb);
  g_test_add_func ("/turn-server/tcp-relay", test_tcp_relay);
  g_test_add_func ("/turn-server/password-algorithms", test_password_algorithms);
  g_test_add_func ("/turn-server/client-uses-sha256", test_client_uses_sha256);
  g_test_add_func ("/turn-server/dual-allocation", test_dual_allocation);
  g_test_add_func ("/turn-server/dual-allocation-errors", test_dual_allocation_errors);
  g_test_add_func ("/turn-server/dual-allocation-client", test_dual_allocation_client);
  g_test_add_func ("/turn-server/dont-fragment", test_dont_fragment);
  return g_test_run ();
}
