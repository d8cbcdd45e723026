/* test-tcp-framing.c: the tcp-framing plugin's transport (RFC 4571
 * framing over TCP), reached through the registry as an application does
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <netavanue/netavanue.h>
#include <string.h>

/* A guard against hangs, never a timing assertion: a test that waits this
 * long for something has failed anyway. */
#define GUARD_SECONDS 30

typedef struct {
  GMainContext *context;
  GSocketListener *listener;
  NavAddress *address;          /* where the listener listens */
} Fixture;

typedef struct {
  GPtrArray *frames;            /* GBytes, in order of delivery */
  GPtrArray *senders;           /* gchar *, the `from` of each frame */
  guint n_closed;
  GError *error;                /* of the first ::closed */
  gboolean connected;
} Recorder;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) effective = NULL;

  fixture->context = g_main_context_new ();
  /* GSocketListener and GSocketClient complete in the thread-default
   * context: make it the transports' context too. */
  g_main_context_push_thread_default (fixture->context);

  fixture->listener = g_socket_listener_new ();
  g_socket_listener_add_address (fixture->listener, any_port, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  fixture->address = nav_address_new_from_socket_address (effective, &error);
  g_assert_no_error (error);
}

static void
drain_context (GMainContext *context)
{
  guint i;

  /* Let cancelled operations report, so nothing is left pending. */
  for (i = 0; i < 100 && g_main_context_pending (context); i++)
    g_main_context_iteration (context, FALSE);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_socket_listener_close (fixture->listener);
  g_clear_object (&fixture->listener);
  g_clear_pointer (&fixture->address, nav_address_free);
  drain_context (fixture->context);
  g_main_context_pop_thread_default (fixture->context);
  g_clear_pointer (&fixture->context, g_main_context_unref);
}

static gboolean
on_guard (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

typedef gboolean (*Predicate) (gpointer data);

static void
run_until (GMainContext *context,
           Predicate     predicate,
           gpointer      data)
{
  gboolean expired = FALSE;
  GSource *guard = g_timeout_source_new_seconds (GUARD_SECONDS);

  g_source_set_callback (guard, on_guard, &expired, NULL);
  g_source_attach (guard, context);
  while (!predicate (data) && !expired)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (guard);
  g_source_unref (guard);

  if (expired)
    g_error ("Gave up waiting after %d seconds", GUARD_SECONDS);
}

static void
recorder_init (Recorder *recorder)
{
  memset (recorder, 0, sizeof (*recorder));
  recorder->frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  recorder->senders = g_ptr_array_new_with_free_func (g_free);
}

static void
recorder_clear (Recorder *recorder)
{
  g_ptr_array_unref (recorder->frames);
  g_ptr_array_unref (recorder->senders);
  g_clear_error (&recorder->error);
}

static void
on_received (NavTransport *transport,
             GBytes       *data,
             NavAddress   *from,
             gpointer      user_data)
{
  Recorder *recorder = user_data;

  g_ptr_array_add (recorder->frames, g_bytes_ref (data));
  g_ptr_array_add (recorder->senders, nav_address_to_string (from));
}

static void
on_closed (NavTransport *transport,
           const GError *error,
           gpointer      user_data)
{
  Recorder *recorder = user_data;

  if (recorder->n_closed++ == 0 && error != NULL)
    recorder->error = g_error_copy (error);
}

static void
on_connected_notify (GObject    *object,
                     GParamSpec *pspec,
                     gpointer    user_data)
{
  Recorder *recorder = user_data;
  gboolean connected;

  g_object_get (object, "connected", &connected, NULL);
  recorder->connected |= connected;
}

static void
record (NavTransport *transport,
        Recorder     *recorder)
{
  g_signal_connect (transport, "received", G_CALLBACK (on_received), recorder);
  g_signal_connect (transport, "closed", G_CALLBACK (on_closed), recorder);
  g_signal_connect (transport, "notify::connected", G_CALLBACK (on_connected_notify), recorder);
}

/* Handlers must not outlive their recorder: the transports are dropped
 * first, which closes them (and emits ::closed). */
static void
forget (NavTransport **transport,
        Recorder      *recorder)
{
  if (*transport != NULL)
    g_signal_handlers_disconnect_by_data (*transport, recorder);
  g_clear_object (transport);
}

static guint wanted_frames;

static gboolean
has_frames (gpointer data)
{
  return ((Recorder *) data)->frames->len >= wanted_frames;
}

static gboolean
is_closed (gpointer data)
{
  return ((Recorder *) data)->n_closed > 0;
}

static gboolean
is_connected_or_closed (gpointer data)
{
  return ((Recorder *) data)->connected || ((Recorder *) data)->n_closed > 0;
}

static void
wait_frames (GMainContext *context,
             Recorder     *recorder,
             guint         n)
{
  wanted_frames = n;
  run_until (context, has_frames, recorder);
}

/* An outgoing transport, created through the registry by name. */
static NavTransport *
connect_transport (Fixture          *fixture,
                   const NavAddress *to)
{
  g_autoptr (GError) error = NULL;
  GObject *object;

  object = nav_registry_create (nav_registry_get_default (), "nav-transport", "tcp-framing",
                                &error,
                                "remote-address", to,
                                "context", fixture->context,
                                NULL);
  g_assert_no_error (error);
  g_assert_true (NAV_IS_TRANSPORT (object));
  return NAV_TRANSPORT (object);
}

/* A transport over a connection accepted from the fixture's listener. */
static NavTransport *
wrap_connection (Fixture           *fixture,
                 GSocketConnection *connection)
{
  g_autoptr (GError) error = NULL;
  GObject *object;

  object = nav_registry_create (nav_registry_get_default (), "nav-transport", "tcp-framing",
                                &error,
                                "connection", connection,
                                "context", fixture->context,
                                NULL);
  g_assert_no_error (error);
  g_assert_true (NAV_IS_TRANSPORT (object));
  return NAV_TRANSPORT (object);
}

static void
on_accepted (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GSocketConnection **connection = user_data;
  g_autoptr (GError) error = NULL;

  *connection = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, &error);
  g_assert_no_error (error);
}

static gboolean
is_set (gpointer data)
{
  return *(gpointer *) data != NULL;
}

/* Accepts one connection without blocking the context, which the
 * connecting transport needs to make progress. */
static GSocketConnection *
accept_connection (Fixture *fixture)
{
  GSocketConnection *connection = NULL;

  g_socket_listener_accept_async (fixture->listener, NULL, on_accepted, &connection);
  run_until (fixture->context, is_set, &connection);
  return connection;
}

/* A plain TCP client, to write bytes the transport must reassemble. */
static GSocketConnection *
raw_connect (Fixture *fixture)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketAddress) address = nav_address_to_socket_address (fixture->address);
  g_autoptr (GError) error = NULL;
  GSocketConnection *connection;

  /* Loopback: the handshake completes without the listener accepting. */
  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
  g_assert_no_error (error);
  return connection;
}

static void
raw_write (GSocketConnection *connection,
           const guint8      *data,
           gsize              len)
{
  g_autoptr (GError) error = NULL;

  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             data, len, NULL, NULL, &error);
  g_assert_no_error (error);
}

static GByteArray *
frame (const gchar *text)
{
  GByteArray *bytes = g_byte_array_new ();
  gsize len = strlen (text);
  guint8 header[2] = { (len >> 8) & 0xff, len & 0xff };

  g_byte_array_append (bytes, header, 2);
  g_byte_array_append (bytes, (const guint8 *) text, len);
  return bytes;
}

static void
assert_frame (Recorder    *recorder,
              guint        index,
              const gchar *text)
{
  GBytes *bytes;
  gsize len;
  const gchar *data;

  g_assert_cmpuint (index, <, recorder->frames->len);
  bytes = g_ptr_array_index (recorder->frames, index);
  data = g_bytes_get_data (bytes, &len);
  g_assert_cmpmem (data, len, text, strlen (text));
}

static void
send_ok (NavTransport *transport,
         const gchar  *text)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (nav_transport_send (transport, NULL, (const guint8 *) text, strlen (text), &error));
  g_assert_no_error (error);
}

/* A client transport connects to a listener; the accepted connection is
 * wrapped in a second transport; frames go both ways, each delivered
 * whole and from the peer's address. */
static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  user_data)
{
  Recorder client_rec, server_rec;
  NavTransport *client, *server;
  g_autoptr (GSocketConnection) accepted = NULL;
  g_autofree gchar *client_local = NULL;
  g_autofree gchar *server_local = NULL;
  g_autofree gchar *listener = nav_address_to_string (fixture->address);
  g_autoptr (NavAddress) remote = NULL;

  recorder_init (&client_rec);
  recorder_init (&server_rec);

  client = connect_transport (fixture, fixture->address);
  record (client, &client_rec);
  g_assert_true (nav_transport_is_reliable (client));
  g_assert_cmpint (nav_transport_get_protocol (client), ==, NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE);
  g_assert_true (nav_transport_get_context (client) == fixture->context);
  /* not connected yet: no local address */
  g_assert_null (nav_transport_get_local_address (client));

  accepted = accept_connection (fixture);
  server = wrap_connection (fixture, accepted);
  record (server, &server_rec);
  g_assert_cmpint (nav_transport_get_protocol (server), ==, NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE);
  g_object_get (server, "remote-address", &remote, NULL);
  g_assert_nonnull (remote);

  run_until (fixture->context, is_connected_or_closed, &client_rec);
  g_assert_true (client_rec.connected);
  g_assert_cmpuint (client_rec.n_closed, ==, 0);
  client_local = nav_address_to_string (nav_transport_get_local_address (client));
  server_local = nav_address_to_string (nav_transport_get_local_address (server));
  g_assert_cmpstr (server_local, ==, listener);
  g_assert_true (nav_address_equal (remote, nav_transport_get_local_address (client)));

  send_ok (client, "hello, server");
  send_ok (client, "second");
  wait_frames (fixture->context, &server_rec, 2);
  assert_frame (&server_rec, 0, "hello, server");
  assert_frame (&server_rec, 1, "second");
  g_assert_cmpstr (g_ptr_array_index (server_rec.senders, 0), ==, client_local);

  /* to: the peer's own address is accepted too */
  g_assert_true (nav_transport_send (server, remote == NULL ? NULL : remote,
                                     (const guint8 *) "hello, client", 13, NULL));
  wait_frames (fixture->context, &client_rec, 1);
  assert_frame (&client_rec, 0, "hello, client");
  g_assert_cmpstr (g_ptr_array_index (client_rec.senders, 0), ==, listener);

  g_assert_cmpuint (client_rec.n_closed, ==, 0);
  g_assert_cmpuint (server_rec.n_closed, ==, 0);
  forget (&client, &client_rec);
  forget (&server, &server_rec);
  recorder_clear (&client_rec);
  recorder_clear (&server_rec);
}

/* A frame written one byte at a time is delivered once, whole, after its
 * last byte. */
static void
test_byte_at_a_time (Fixture       *fixture,
                     gconstpointer  user_data)
{
  Recorder rec;
  g_autoptr (GSocketConnection) raw = raw_connect (fixture);
  g_autoptr (GSocketConnection) accepted = accept_connection (fixture);
  NavTransport *server = wrap_connection (fixture, accepted);
  g_autoptr (GByteArray) bytes = frame ("split across many reads");
  guint i;

  recorder_init (&rec);
  record (server, &rec);

  for (i = 0; i < bytes->len; i++)
    {
      guint j;

      raw_write (raw, bytes->data + i, 1);
      /* give the transport the chance to read each byte on its own */
      for (j = 0; j < 5; j++)
        g_main_context_iteration (fixture->context, FALSE);
      if (i + 1 < bytes->len)
        g_assert_cmpuint (rec.frames->len, ==, 0);
    }

  wait_frames (fixture->context, &rec, 1);
  assert_frame (&rec, 0, "split across many reads");
  for (i = 0; i < 20; i++)
    g_main_context_iteration (fixture->context, FALSE);
  g_assert_cmpuint (rec.frames->len, ==, 1);

  forget (&server, &rec);
  recorder_clear (&rec);
}

/* Three frames in one write are three deliveries, in order. */
static void
test_three_in_one_write (Fixture       *fixture,
                         gconstpointer  user_data)
{
  Recorder rec;
  g_autoptr (GSocketConnection) raw = raw_connect (fixture);
  g_autoptr (GSocketConnection) accepted = accept_connection (fixture);
  NavTransport *server = wrap_connection (fixture, accepted);
  g_autoptr (GByteArray) all = g_byte_array_new ();
  const gchar *texts[] = { "one", "", "three" };
  guint i;

  recorder_init (&rec);
  record (server, &rec);

  for (i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr (GByteArray) f = frame (texts[i]);

      g_byte_array_append (all, f->data, f->len);
    }
  raw_write (raw, all->data, all->len);

  wait_frames (fixture->context, &rec, 3);
  for (i = 0; i < G_N_ELEMENTS (texts); i++)
    assert_frame (&rec, i, texts[i]);

  forget (&server, &rec);
  recorder_clear (&rec);
}

/* The limits of RFC 4571's 16-bit length: 0 and 65535 bytes go through,
 * 65536 cannot be framed. */
static void
test_frame_sizes (Fixture       *fixture,
                  gconstpointer  user_data)
{
  Recorder client_rec, server_rec;
  NavTransport *client = connect_transport (fixture, fixture->address);
  g_autoptr (GSocketConnection) accepted = accept_connection (fixture);
  NavTransport *server = wrap_connection (fixture, accepted);
  g_autofree guint8 *big = g_malloc (65536);
  g_autoptr (GError) error = NULL;
  const guint8 *data;
  gsize len, i;

  recorder_init (&client_rec);
  recorder_init (&server_rec);
  record (client, &client_rec);
  record (server, &server_rec);

  for (i = 0; i < 65536; i++)
    big[i] = (guint8) (i * 7 + i / 256);

  g_assert_false (nav_transport_send (client, NULL, big, 65536, &error));
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_MESSAGE_TOO_LARGE);
  g_clear_error (&error);

  g_assert_true (nav_transport_send (client, NULL, big, 0, &error));
  g_assert_no_error (error);
  g_assert_true (nav_transport_send (client, NULL, big, 65535, &error));
  g_assert_no_error (error);
  g_assert_true (nav_transport_send (client, NULL, big, 0, &error));
  g_assert_no_error (error);

  wait_frames (fixture->context, &server_rec, 3);
  g_assert_cmpuint (g_bytes_get_size (g_ptr_array_index (server_rec.frames, 0)), ==, 0);
  data = g_bytes_get_data (g_ptr_array_index (server_rec.frames, 1), &len);
  g_assert_cmpmem (data, len, big, 65535);
  g_assert_cmpuint (g_bytes_get_size (g_ptr_array_index (server_rec.frames, 2)), ==, 0);

  /* and the other way, from the accepted side */
  g_assert_true (nav_transport_send (server, NULL, big + 1, 65535, &error));
  g_assert_no_error (error);
  wait_frames (fixture->context, &client_rec, 1);
  data = g_bytes_get_data (g_ptr_array_index (client_rec.frames, 0), &len);
  g_assert_cmpmem (data, len, big + 1, 65535);

  forget (&client, &client_rec);
  forget (&server, &server_rec);
  recorder_clear (&client_rec);
  recorder_clear (&server_rec);
}

/* A peer that sends part of a frame and closes: ::closed with a protocol
 * error, and the partial frame is never delivered. */
static void
test_closed_inside_frame (Fixture       *fixture,
                          gconstpointer  user_data)
{
  Recorder rec;
  g_autoptr (GSocketConnection) raw = raw_connect (fixture);
  g_autoptr (GSocketConnection) accepted = accept_connection (fixture);
  NavTransport *server = wrap_connection (fixture, accepted);
  g_autoptr (GByteArray) whole = frame ("complete");
  const guint8 partial[] = { 0x00, 0x64, 'c', 'u', 't' };   /* says 100 bytes */
  g_autoptr (GError) error = NULL;

  recorder_init (&rec);
  record (server, &rec);

  raw_write (raw, whole->data, whole->len);
  raw_write (raw, partial, sizeof (partial));
  g_io_stream_close (G_IO_STREAM (raw), NULL, &error);
  g_assert_no_error (error);

  run_until (fixture->context, is_closed, &rec);
  g_assert_cmpuint (rec.frames->len, ==, 1);
  assert_frame (&rec, 0, "complete");
  g_assert_error (rec.error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_PROTOCOL);
  g_test_message ("closed: %s", rec.error->message);

  /* closed for good */
  g_assert_false (nav_transport_send (server, NULL, (const guint8 *) "x", 1, &error));
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_CLOSED);

  forget (&server, &rec);
  g_assert_cmpuint (rec.n_closed, ==, 1);
  recorder_clear (&rec);
}

/* A peer that closes between frames: ::closed once, with CLOSED. */
static void
test_peer_closed (Fixture       *fixture,
                  gconstpointer  user_data)
{
  Recorder rec;
  g_autoptr (GSocketConnection) raw = raw_connect (fixture);
  g_autoptr (GSocketConnection) accepted = accept_connection (fixture);
  NavTransport *server = wrap_connection (fixture, accepted);
  guint i;

  recorder_init (&rec);
  record (server, &rec);

  g_io_stream_close (G_IO_STREAM (raw), NULL, NULL);
  run_until (fixture->context, is_closed, &rec);
  g_assert_error (rec.error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_CLOSED);
  g_assert_cmpuint (rec.frames->len, ==, 0);

  /* once only, also when the object goes */
  for (i = 0; i < 10; i++)
    g_main_context_iteration (fixture->context, FALSE);
  g_clear_object (&server);
  g_assert_cmpuint (rec.n_closed, ==, 1);
  recorder_clear (&rec);
}

/* Connecting to a port nobody listens on: ::closed with an error. */
static void
test_connect_refused (Fixture       *fixture,
                      gconstpointer  user_data)
{
  Recorder rec;
  NavTransport *client;
  g_autoptr (GError) error = NULL;

  /* the fixture's port, once nobody listens there any more */
  g_socket_listener_close (fixture->listener);

  recorder_init (&rec);
  client = connect_transport (fixture, fixture->address);
  record (client, &rec);
  /* queued while connecting */
  send_ok (client, "lost");

  run_until (fixture->context, is_closed, &rec);
  g_assert_false (rec.connected);
  g_assert_error (rec.error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NOT_CONNECTED);
  g_test_message ("closed: %s", rec.error->message);

  g_assert_false (nav_transport_send (client, NULL, (const guint8 *) "x", 1, &error));
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_CLOSED);

  forget (&client, &rec);
  recorder_clear (&rec);
}

/* A listener whose accept queue is full drops new SYNs (Linux), so a
 * connect there stays pending: the transport gives up after
 * connect-timeout.  Skipped when the queue cannot be filled. */
static void
test_connect_timeout (Fixture       *fixture,
                      gconstpointer  user_data)
{
  Recorder rec;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) listener = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (NavAddress) address = NULL;
  g_autoptr (GSocketConnection) filler = NULL;
  GObject *object;
  NavTransport *client;

  listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (listener, any_port, TRUE, &error);
  g_assert_no_error (error);
  /* a backlog of 0 holds one connection that nobody accepts */
  g_socket_set_listen_backlog (listener, 0);
  g_socket_listen (listener, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (listener, &error);
  g_assert_no_error (error);
  address = nav_address_new_from_socket_address (bound, &error);
  g_assert_no_error (error);

  {
    g_autoptr (GSocketClient) raw_client = g_socket_client_new ();

    filler = g_socket_client_connect (raw_client, G_SOCKET_CONNECTABLE (bound), NULL, &error);
    g_assert_no_error (error);
  }

  recorder_init (&rec);
  object = nav_registry_create (nav_registry_get_default (), "nav-transport", "tcp-framing",
                                &error,
                                "remote-address", address,
                                "context", fixture->context,
                                "connect-timeout", 1,
                                NULL);
  g_assert_no_error (error);
  client = NAV_TRANSPORT (object);
  record (client, &rec);

  run_until (fixture->context, is_connected_or_closed, &rec);
  if (rec.connected)
    {
      g_test_skip ("The listen backlog could not be filled: the connect succeeded");
    }
  else
    {
      g_assert_error (rec.error, NAV_ERROR, NAV_ERROR_TIMED_OUT);
      g_test_message ("closed: %s", rec.error->message);
    }

  forget (&client, &rec);
  recorder_clear (&rec);
  g_socket_close (listener, NULL);
}

/* Sends made while connecting are queued, up to max-queued-bytes, and go
 * out in order once connected. */
static void
test_queue_while_connecting (Fixture       *fixture,
                             gconstpointer  user_data)
{
  Recorder rec;
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *big = g_malloc0 (65535);
  g_autoptr (GSocketConnection) accepted = NULL;
  NavTransport *client, *server;
  GObject *object;

  object = nav_registry_create (nav_registry_get_default (), "nav-transport", "tcp-framing",
                                &error,
                                "remote-address", fixture->address,
                                "context", fixture->context,
                                "max-queued-bytes", 2 + 65535 + 2 + 5,
                                NULL);
  g_assert_no_error (error);
  client = NAV_TRANSPORT (object);

  /* nothing has run in the context yet: the transport is connecting */
  send_ok (client, "first");
  g_assert_true (nav_transport_send (client, NULL, big, 65535, &error));
  g_assert_no_error (error);
  /* 2 + 5 + 2 + 65535 bytes wait; 2 + 1 more would exceed the bound */
  g_assert_false (nav_transport_send (client, NULL, (const guint8 *) "x", 1, &error));
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_WOULD_BLOCK);
  g_clear_error (&error);

  recorder_init (&rec);
  accepted = accept_connection (fixture);
  server = wrap_connection (fixture, accepted);
  record (server, &rec);

  wait_frames (fixture->context, &rec, 2);
  assert_frame (&rec, 0, "first");
  g_assert_cmpuint (g_bytes_get_size (g_ptr_array_index (rec.frames, 1)), ==, 65535);

  g_clear_object (&client);
  forget (&server, &rec);
  recorder_clear (&rec);
}

/* A connection-oriented transport only talks to its peer. */
static void
test_wrong_destination (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavAddress) elsewhere = nav_address_new_from_string ("127.0.0.1:9", NULL);
  NavTransport *client = connect_transport (fixture, fixture->address);

  g_assert_false (nav_transport_send (client, elsewhere, (const guint8 *) "x", 1, &error));
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_NOT_CONNECTED);
  g_clear_error (&error);
  g_assert_true (nav_transport_send (client, fixture->address, (const guint8 *) "x", 1, &error));
  g_assert_no_error (error);

  g_clear_object (&client);
}

/* close (): ::closed without an error, once; later sends fail. */
static void
test_close (Fixture       *fixture,
            gconstpointer  user_data)
{
  Recorder rec;
  g_autoptr (GError) error = NULL;
  NavTransport *client = connect_transport (fixture, fixture->address);

  recorder_init (&rec);
  record (client, &rec);

  nav_transport_close (client);
  g_assert_cmpuint (rec.n_closed, ==, 1);
  g_assert_null (rec.error);
  nav_transport_close (client);
  g_assert_cmpuint (rec.n_closed, ==, 1);

  g_assert_false (nav_transport_send (client, NULL, (const guint8 *) "x", 1, &error));
  g_assert_error (error, NAV_TRANSPORT_ERROR, NAV_TRANSPORT_ERROR_CLOSED);

  /* the cancelled connect finds the transport closed and reports nothing */
  drain_context (fixture->context);
  g_assert_cmpuint (rec.n_closed, ==, 1);
  g_assert_false (rec.connected);

  g_clear_object (&client);
  g_assert_cmpuint (rec.n_closed, ==, 1);
  recorder_clear (&rec);
}

/* Dropping the last reference while connecting neither crashes nor
 * leaves the connect running. */
static void
test_unref_while_connecting (Fixture       *fixture,
                             gconstpointer  user_data)
{
  NavTransport *client = connect_transport (fixture, fixture->address);
  guint i;

  /* let the connect start, then drop the transport */
  for (i = 0; i < 3; i++)
    g_main_context_iteration (fixture->context, FALSE);
  g_object_unref (client);
  drain_context (fixture->context);
}

/* Construction errors come back from the registry as GErrors. */
static void
test_construction_errors (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr (GError) error = NULL;
  GObject *object;

  object = nav_registry_create (nav_registry_get_default (), "nav-transport", "tcp-framing",
                                &error, NULL);
  g_assert_null (object);
  g_assert_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/tcp-framing/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("round-trip", test_round_trip);
  ADD ("byte-at-a-time", test_byte_at_a_time);
  ADD ("three-in-one-write", test_three_in_one_write);
  ADD ("frame-sizes", test_frame_sizes);
  ADD ("closed-inside-frame", test_closed_inside_frame);
  ADD ("peer-closed", test_peer_closed);
  ADD ("connect-refused", test_connect_refused);
  ADD ("connect-timeout", test_connect_timeout);
  ADD ("queue-while-connecting", test_queue_while_connecting);
  ADD ("wrong-destination", test_wrong_destination);
  ADD ("close", test_close);
  ADD ("unref-while-connecting", test_unref_while_connecting);
  ADD ("construction-errors", test_construction_errors);

#undef ADD

  return g_test_run ();
}
