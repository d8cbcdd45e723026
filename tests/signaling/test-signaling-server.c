/* test-signaling-server.c: the signaling server through real WebSockets:
 * NavSignalingClient and a bare libsoup client against NavSignalingServer
 * (protocol round trips, bad input, tokens, capacity, idle timeout,
 * reconnection, wss://, /health and /stats)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <glib/gstdio.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <netavanue/netavanue.h>

#include "nav-signaling-protocol.h"

/* A guard against hangs, not a timed assertion: generous on purpose. */
#define WAIT_LIMIT_S 20

static gboolean
on_wait_limit (gpointer user_data)
{
  g_error ("the test waited %d s for something that never happened: %s",
           WAIT_LIMIT_S, (const gchar *) user_data);
  return G_SOURCE_REMOVE;
}

#define WAIT_UNTIL(cond) G_STMT_START {                                  \
    GSource *limit_ = g_timeout_source_new_seconds (WAIT_LIMIT_S);      \
    g_source_set_callback (limit_, on_wait_limit, (gpointer) #cond, NULL); \
    g_source_attach (limit_, NULL);                                     \
    /* Polled: the server's workers change its counters from their own \
     * threads, which need not wake this context. */                    \
    while (!(cond))                                                     \
      if (!g_main_context_iteration (NULL, FALSE))                      \
        g_usleep (1000);                                                \
    g_source_destroy (limit_);                                          \
    g_source_unref (limit_);                                            \
  } G_STMT_END

static NavServer *
server_new (const gchar *first_property,
            ...)
{
  g_autoptr (GError) error = NULL;
  NavImplementationInfo *info;
  GObject *server;
  va_list ap;

  info = nav_registry_lookup (nav_registry_get_default (), NAV_SERVER_EXTENSION_POINT_NAME,
                              "signaling", &error);
  g_assert_no_error (error);
  va_start (ap, first_property);
  server = g_object_new_valist (nav_implementation_info_get_gtype (info), first_property, ap);
  va_end (ap);
  g_object_set (server, "listening-ip", "127.0.0.1", "listening-port", 0, NULL);
  nav_server_start (NAV_SERVER (server), &error);
  g_assert_no_error (error);
  return NAV_SERVER (server);
}

static gchar *
server_uri (NavServer   *server,
            const gchar *scheme)
{
  guint port = 0;

  g_object_get (server, "bound-port", &port, NULL);
  g_assert_cmpuint (port, >, 0);
  return g_strdup_printf ("%s://127.0.0.1:%u/", scheme, port);
}

static guint64
stat_of (NavServer   *server,
         const gchar *key)
{
  g_autoptr (GVariant) stats = nav_server_get_stats (server);
  guint64 value = 0;

  g_assert_true (g_variant_lookup (stats, key, "t", &value));
  return value;
}

/* ------------------------------------------------ a bare libsoup client */

typedef struct
{
  SoupSession *session;
  SoupWebsocketConnection *ws;
  GQueue messages;                      /* JsonObject* received */
  gboolean closed;
  gushort close_code;
  GError *error;
  gboolean done;
} Raw;

static void
raw_on_message (SoupWebsocketConnection *ws,
                gint                     type,
                GBytes                  *bytes,
                gpointer                 user_data)
{
  Raw *raw = user_data;
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize len;
  const gchar *data = g_bytes_get_data (bytes, &len);

  g_assert_true (json_parser_load_from_data (parser, data, len, NULL));
  g_queue_push_tail (&raw->messages, json_object_ref (json_node_get_object (json_parser_get_root (parser))));
}

static void
raw_on_closed (SoupWebsocketConnection *ws,
               gpointer                 user_data)
{
  Raw *raw = user_data;

  raw->closed = TRUE;
  raw->close_code = soup_websocket_connection_get_close_code (ws);
}

static void
raw_on_connected (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Raw *raw = user_data;

  raw->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &raw->error);
  raw->done = TRUE;
}

static JsonObject *raw_next (Raw *raw);

/* @local: the source address, NULL for any (the server budgets
 * messages per source address). */
static Raw *
raw_connect_from (const gchar *uri,
                  const gchar *local)
{
  Raw *raw = g_new0 (Raw, 1);
  g_autoptr (SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, uri);
  g_autoptr (GSocketAddress) local_address = local != NULL ? g_inet_socket_address_new_from_string (local, 0) : NULL;
  JsonObject *welcome;

  raw->session = soup_session_new_with_options ("local-address", local_address, NULL);
  soup_session_websocket_connect_async (raw->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        NULL, raw_on_connected, raw);
  WAIT_UNTIL (raw->done);
  g_assert_no_error (raw->error);
  soup_websocket_connection_set_max_incoming_payload_size (raw->ws, 0);
  g_signal_connect (raw->ws, "message", G_CALLBACK (raw_on_message), raw);
  g_signal_connect (raw->ws, "closed", G_CALLBACK (raw_on_closed), raw);
  welcome = raw_next (raw);
  g_assert_cmpstr (json_object_get_string_member (welcome, "type"), ==, "welcome");
  g_assert_cmpint (json_object_get_int_member (welcome, "v"), ==, 1);
  json_object_unref (welcome);
  return raw;
}

static Raw *
raw_connect (const gchar *uri)
{
  return raw_connect_from (uri, NULL);
}

static void
raw_free (Raw *raw)
{
  if (soup_websocket_connection_get_state (raw->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    {
      soup_websocket_connection_close (raw->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      WAIT_UNTIL (raw->closed);
    }
  g_signal_handlers_disconnect_by_data (raw->ws, raw);
  g_queue_clear_full (&raw->messages, (GDestroyNotify) json_object_unref);
  g_object_unref (raw->ws);
  g_object_unref (raw->session);
  g_free (raw);
}

static JsonObject *
raw_next (Raw *raw)
{
  WAIT_UNTIL (raw->messages.length > 0 || raw->closed);
  g_assert_cmpuint (raw->messages.length, >, 0);
  return g_queue_pop_head (&raw->messages);
}

static void
raw_send (Raw         *raw,
          const gchar *text)
{
  soup_websocket_connection_send_text (raw->ws, text);
}

/* Sends @text and expects an error frame with @code. */
static void
raw_expect_error (Raw         *raw,
                  const gchar *text,
                  gint         code)
{
  g_autoptr (JsonObject) reply = NULL;

  raw_send (raw, text);
  reply = raw_next (raw);
  g_assert_cmpstr (json_object_get_string_member (reply, "type"), ==, "error");
  g_assert_cmpint (json_object_get_int_member (reply, "code"), ==, code);
  g_assert_nonnull (json_object_get_string_member (reply, "reason"));
}

static gchar *
raw_join (Raw         *raw,
          const gchar *room)
{
  g_autofree gchar *text = g_strdup_printf ("{\"v\":1,\"type\":\"join\",\"room\":\"%s\"}", room);
  g_autoptr (JsonObject) reply = NULL;

  raw_send (raw, text);
  reply = raw_next (raw);
  g_assert_cmpstr (json_object_get_string_member (reply, "type"), ==, "joined");
  g_assert_cmpstr (json_object_get_string_member (reply, "room"), ==, room);
  return g_strdup (json_object_get_string_member (reply, "peer"));
}

/* ---------------------------------------------- NavSignalingClient side */

typedef struct
{
  NavSignalingClient *client;
  GPtrArray *events;                    /* "kind|room|from|payload" */
  guint connected;
  guint disconnected;
  guint last_close_code;
  gboolean connect_done;
  GError *connect_error;
} Peer;

static void
peer_record (Peer        *peer,
             const gchar *kind,
             const gchar *room,
             const gchar *from,
             const gchar *payload)
{
  g_ptr_array_add (peer->events, g_strdup_printf ("%s|%s|%s|%s", kind, room ? room : "",
                                                  from ? from : "", payload ? payload : ""));
}

static void on_offer (NavSignalingClient *c, const gchar *room, const gchar *from, const gchar *sdp, Peer *p) { peer_record (p, "offer", room, from, sdp); }
static void on_answer (NavSignalingClient *c, const gchar *room, const gchar *from, const gchar *sdp, Peer *p) { peer_record (p, "answer", room, from, sdp); }
static void on_candidate (NavSignalingClient *c, const gchar *room, const gchar *from, const gchar *cand, Peer *p) { peer_record (p, "candidate", room, from, cand); }
static void on_eoc (NavSignalingClient *c, const gchar *room, const gchar *from, Peer *p) { peer_record (p, "end-of-candidates", room, from, NULL); }
static void on_bye (NavSignalingClient *c, const gchar *room, const gchar *from, const gchar *reason, Peer *p) { peer_record (p, "bye", room, from, reason); }
static void on_peer_joined (NavSignalingClient *c, const gchar *room, const gchar *peer, Peer *p) { peer_record (p, "peer-joined", room, peer, NULL); }
static void on_peer_left (NavSignalingClient *c, const gchar *room, const gchar *peer, Peer *p) { peer_record (p, "peer-left", room, peer, NULL); }
static void on_left (NavSignalingClient *c, const gchar *room, Peer *p) { peer_record (p, "left", room, NULL, NULL); }
static void on_pong (NavSignalingClient *c, Peer *p) { peer_record (p, "pong", NULL, NULL, NULL); }

static void
on_joined (NavSignalingClient  *c,
           const gchar         *room,
           const gchar * const *peers,
           Peer                *p)
{
  g_autofree gchar *list = g_strjoinv (",", (gchar **) peers);

  peer_record (p, "joined", room, NULL, list);
}

static void
on_server_error (NavSignalingClient *c,
                 gint                code,
                 const gchar        *reason,
                 const gchar        *ref,
                 Peer               *p)
{
  g_autofree gchar *s = g_strdup_printf ("%d", code);

  peer_record (p, "error", NULL, ref, s);
}

static void
on_connected (NavSignalingClient *c,
              const gchar        *peer_id,
              Peer               *p)
{
  p->connected++;
}

static void
on_disconnected (NavSignalingClient *c,
                 guint               code,
                 const gchar        *reason,
                 Peer               *p)
{
  p->disconnected++;
  p->last_close_code = code;
}

static void
on_client_connected (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Peer *p = user_data;

  nav_signaling_client_connect_finish (NAV_SIGNALING_CLIENT (source), result, &p->connect_error);
  p->connect_done = TRUE;
}

static Peer *
peer_new (const gchar *uri,
          const gchar *ca_file)
{
  Peer *p = g_new0 (Peer, 1);
  g_autoptr (GError) error = NULL;

  /* The client is the signaling module's, found through the registry. */
  p->client = NAV_SIGNALING_CLIENT (nav_registry_create (nav_registry_get_default (),
                                                         NAV_SIGNALING_CLIENT_EXTENSION_POINT_NAME, "websocket",
                                                         &error, "uri", uri, "ca-file", ca_file, NULL));
  g_assert_no_error (error);
  p->events = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (p->client, "offer", G_CALLBACK (on_offer), p);
  g_signal_connect (p->client, "answer", G_CALLBACK (on_answer), p);
  g_signal_connect (p->client, "candidate", G_CALLBACK (on_candidate), p);
  g_signal_connect (p->client, "end-of-candidates", G_CALLBACK (on_eoc), p);
  g_signal_connect (p->client, "bye", G_CALLBACK (on_bye), p);
  g_signal_connect (p->client, "joined", G_CALLBACK (on_joined), p);
  g_signal_connect (p->client, "left", G_CALLBACK (on_left), p);
  g_signal_connect (p->client, "peer-joined", G_CALLBACK (on_peer_joined), p);
  g_signal_connect (p->client, "peer-left", G_CALLBACK (on_peer_left), p);
  g_signal_connect (p->client, "server-error", G_CALLBACK (on_server_error), p);
  g_signal_connect (p->client, "pong", G_CALLBACK (on_pong), p);
  g_signal_connect (p->client, "connected", G_CALLBACK (on_connected), p);
  g_signal_connect (p->client, "disconnected", G_CALLBACK (on_disconnected), p);
  nav_signaling_client_connect_async (p->client, NULL, on_client_connected, p);
  WAIT_UNTIL (p->connect_done);
  g_assert_no_error (p->connect_error);
  g_assert_cmpint (nav_signaling_client_get_state (p->client), ==, NAV_SIGNALING_CLIENT_STATE_CONNECTED);
  g_assert_nonnull (nav_signaling_client_get_peer_id (p->client));
  return p;
}

static void
peer_free (Peer *p)
{
  g_signal_handlers_disconnect_by_data (p->client, p);
  nav_signaling_client_disconnect (p->client);
  g_object_unref (p->client);
  g_ptr_array_unref (p->events);
  g_free (p);
}

/* Waits for the event that starts with @prefix, and removes it (and the
 * events before it). */
static gchar *
peer_wait (Peer        *p,
           const gchar *prefix)
{
  gchar *found = NULL;

  while (found == NULL)
    {
      guint i;

      for (i = 0; i < p->events->len && found == NULL; i++)
        if (g_str_has_prefix (p->events->pdata[i], prefix))
          {
            found = g_strdup (p->events->pdata[i]);
            g_ptr_array_remove_range (p->events, 0, i + 1);
          }
      if (found == NULL)
        {
          guint len = p->events->len;

          WAIT_UNTIL (p->events->len > len);
        }
    }
  return found;
}

static void
wait_event (Peer        *p,
            const gchar *expected)
{
  g_autofree gchar *got = peer_wait (p, expected);

  g_assert_cmpstr (got, ==, expected);
}

/* ------------------------------------------------------------- tests */

static void
test_protocol_helpers (void)
{
  g_autofree gchar *code = nav_signaling_random_code (NAV_SIGNALING_ROOM_CODE_LENGTH);
  g_autofree gchar *token = nav_signaling_token_sign ("s3cret", "room-1", 2000000000);
  g_autofree gchar *garbage = NULL;
  guint i;

  g_assert_cmpuint (strlen (code), ==, 8);
  g_assert_true (nav_signaling_id_is_valid (code));
  g_assert_false (nav_signaling_id_is_valid (""));
  g_assert_false (nav_signaling_id_is_valid ("a b"));
  g_assert_false (nav_signaling_id_is_valid ("ä"));
  g_assert_false (nav_signaling_id_is_valid ("0123456789012345678901234567890123456789012345678901234567890123456789"));

  g_assert_true (nav_signaling_token_verify ("s3cret", "room-1", token, 1000));
  g_assert_false (nav_signaling_token_verify ("s3cret", "room-1", token, 2000000001));
  g_assert_false (nav_signaling_token_verify ("other", "room-1", token, 1000));
  g_assert_false (nav_signaling_token_verify ("s3cret", "room-2", token, 1000));
  g_assert_false (nav_signaling_token_verify ("s3cret", "room-1", "2000000000.00", 1000));
  g_assert_false (nav_signaling_token_verify ("s3cret", "room-1", ".", 1000));
  g_assert_false (nav_signaling_token_verify ("s3cret", "room-1", "x.y", 1000));
  g_assert_false (nav_signaling_token_verify ("s3cret", "room-1", NULL, 1000));

  {
    static const gchar *shallow = "{\"a\":[1,{\"b\":\"[[[[[\"}]}";
    static const gchar *escaped = "\"\\\"[[[[\"";

    g_assert_true (nav_signaling_check_nesting (shallow, strlen (shallow), 3));
    g_assert_false (nav_signaling_check_nesting ("[[[[", 4, 3));
    g_assert_true (nav_signaling_check_nesting (escaped, strlen (escaped), 1));
    /* A trailing backslash must not step past the end. */
    g_assert_true (nav_signaling_check_nesting ("\"\\", 2, 1));
  }

  /* Garbage: random bytes never crash the scanner or the validators. */
  garbage = g_malloc (4096);
  for (i = 0; i < 2000; i++)
    {
      gsize len = g_random_int_range (0, 4096), j;

      for (j = 0; j < len; j++)
        garbage[j] = (gchar) g_random_int_range (0, 256);
      nav_signaling_check_nesting (garbage, len, NAV_SIGNALING_MAX_NESTING);
      garbage[MIN (len, 80)] = '\0';
      nav_signaling_id_is_valid (garbage);
      nav_signaling_token_verify ("k", "r", garbage, 0);
    }
}

static void
test_round_trip (void)
{
  g_autoptr (NavServer) server = server_new (NULL);
  g_autofree gchar *uri = server_uri (server, "ws");
  Peer *a = peer_new (uri, NULL);
  Peer *b = peer_new (uri, NULL);
  g_autofree gchar *ida = g_strdup (nav_signaling_client_get_peer_id (a->client));
  g_autofree gchar *idb = g_strdup (nav_signaling_client_get_peer_id (b->client));
  g_autofree gchar *expect = NULL;
  g_autofree gchar *got = NULL;
  g_auto (GStrv) rooms = NULL;
  GError *error = NULL;

  g_assert_cmpstr (ida, !=, idb);
  g_assert_true (nav_signaling_client_join (a->client, "red-lion-star", NULL, &error));
  g_assert_no_error (error);
  wait_event (a, "joined|red-lion-star||");
  nav_signaling_client_join (b->client, "red-lion-star", NULL, &error);
  expect = g_strdup_printf ("joined|red-lion-star||%s", ida);
  wait_event (b, expect);
  g_free (expect);
  expect = g_strdup_printf ("peer-joined|red-lion-star|%s|", idb);
  wait_event (a, expect);
  rooms = nav_signaling_client_list_rooms (a->client);
  g_assert_cmpuint (g_strv_length (rooms), ==, 1);

  /* Each type, to a named peer. */
  nav_signaling_client_send_offer (a->client, "red-lion-star", idb, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n", &error);
  g_free (expect);
  expect = g_strdup_printf ("offer|red-lion-star|%s|v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n", ida);
  wait_event (b, expect);
  nav_signaling_client_send_answer (b->client, "red-lion-star", ida, "v=0 answer", &error);
  g_free (expect);
  expect = g_strdup_printf ("answer|red-lion-star|%s|v=0 answer", idb);
  wait_event (a, expect);
  nav_signaling_client_send_candidate (a->client, "red-lion-star", idb,
                                       "candidate:1 1 UDP 2130706431 192.0.2.1 5000 typ host", &error);
  g_free (expect);
  expect = g_strdup_printf ("candidate|red-lion-star|%s|candidate:1 1 UDP 2130706431 192.0.2.1 5000 typ host", ida);
  wait_event (b, expect);
  nav_signaling_client_send_end_of_candidates (a->client, "red-lion-star", idb, &error);
  g_free (expect);
  expect = g_strdup_printf ("end-of-candidates|red-lion-star|%s|", ida);
  wait_event (b, expect);
  /* To the room (no "to"): everybody else. */
  nav_signaling_client_send_candidate (b->client, "red-lion-star", NULL, "candidate:2 1 UDP 1 192.0.2.2 6000 typ host", &error);
  g_free (expect);
  expect = g_strdup_printf ("candidate|red-lion-star|%s|candidate:2 1 UDP 1 192.0.2.2 6000 typ host", idb);
  wait_event (a, expect);
  nav_signaling_client_send_bye (b->client, "red-lion-star", ida, "done", &error);
  g_free (expect);
  expect = g_strdup_printf ("bye|red-lion-star|%s|done", idb);
  wait_event (a, expect);
  g_assert_no_error (error);

  /* An absent peer: error 404, nothing forwarded. */
  nav_signaling_client_send_offer (a->client, "red-lion-star", "nobody", "v=0", &error);
  wait_event (a, "error||offer|404");
  /* A room not joined: 403. */
  nav_signaling_client_send_offer (a->client, "blue-fox", NULL, "v=0", &error);
  wait_event (a, "error||offer|403");

  nav_signaling_client_send_ping (a->client, &error);
  wait_event (a, "pong|||");

  nav_signaling_client_leave (b->client, "red-lion-star", &error);
  wait_event (b, "left|red-lion-star||");
  g_free (expect);
  expect = g_strdup_printf ("peer-left|red-lion-star|%s|", idb);
  wait_event (a, expect);
  g_assert_no_error (error);

  /* A lost connection is a peer-left too. */
  nav_signaling_client_join (b->client, "red-lion-star", NULL, &error);
  g_free (expect);
  expect = g_strdup_printf ("peer-joined|red-lion-star|%s|", idb);
  wait_event (a, expect);
  peer_free (b);
  g_free (expect);
  expect = g_strdup_printf ("peer-left|red-lion-star|%s|", idb);
  wait_event (a, expect);

  g_assert_cmpuint (stat_of (server, "forwarded"), ==, 6);
  peer_free (a);
  WAIT_UNTIL (stat_of (server, "peers") == 0);
  g_assert_cmpuint (stat_of (server, "rooms"), ==, 0);
  (void) got;
}

static void
test_join_generated_room (void)
{
  g_autoptr (NavServer) server = server_new (NULL);
  g_autofree gchar *uri = server_uri (server, "ws");
  Raw *raw = raw_connect (uri);
  g_autoptr (JsonObject) reply = NULL;
  const gchar *room;

  raw_send (raw, "{\"v\":1,\"type\":\"join\"}");
  reply = raw_next (raw);
  g_assert_cmpstr (json_object_get_string_member (reply, "type"), ==, "joined");
  room = json_object_get_string_member (reply, "room");
  g_assert_cmpuint (strlen (room), ==, NAV_SIGNALING_ROOM_CODE_LENGTH);
  g_assert_true (nav_signaling_id_is_valid (room));
  raw_free (raw);
}

static void
test_bad_input (void)
{
  g_autoptr (NavServer) server = server_new ("max-message-size", 4096, NULL);
  g_autofree gchar *uri = server_uri (server, "ws");
  Raw *raw = raw_connect (uri);
  Raw *other = raw_connect (uri);
  g_autoptr (GString) deep = g_string_new ("{\"v\":1,\"type\":\"ping\",\"x\":");
  g_autoptr (GString) big = g_string_new ("{\"v\":1,\"type\":\"ping\",\"x\":\"");
  g_autofree gchar *other_id = NULL;
  g_autoptr (JsonObject) reply = NULL;
  guint i;

  raw_expect_error (raw, "{not json", 400);
  raw_expect_error (raw, "", 400);
  raw_expect_error (raw, "[1,2,3]", 400);
  raw_expect_error (raw, "\"just a string\"", 400);
  raw_expect_error (raw, "{\"type\":\"ping\"}", 400);
  raw_expect_error (raw, "{\"v\":\"1\",\"type\":\"ping\"}", 400);
  raw_expect_error (raw, "{\"v\":2,\"type\":\"ping\"}", 426);
  raw_expect_error (raw, "{\"v\":1}", 400);
  raw_expect_error (raw, "{\"v\":1,\"type\":42}", 400);
  raw_expect_error (raw, "{\"v\":1,\"type\":\"teleport\"}", 415);
  raw_expect_error (raw, "{\"v\":1,\"type\":\"join\",\"room\":\"a b\"}", 400);
  raw_expect_error (raw, "{\"v\":1,\"type\":\"join\",\"room\":17}", 400);
  raw_expect_error (raw, "{\"v\":1,\"type\":\"offer\",\"sdp\":\"x\"}", 400);   /* no room joined */
  raw_expect_error (raw, "{\"v\":1,\"type\":\"leave\",\"room\":\"nowhere\"}", 403);
  for (i = 0; i < 200; i++)
    g_string_append_c (deep, '[');
  raw_expect_error (raw, deep->str, 400);
  raw_expect_error (raw, "\xc3\xa4{\"v\":1}", 400);

  g_free (raw_join (raw, "room-x"));
  other_id = raw_join (other, "room-x");
  g_clear_pointer (&reply, json_object_unref);
  reply = raw_next (raw);                               /* peer-joined */
  g_assert_cmpstr (json_object_get_string_member (reply, "type"), ==, "peer-joined");
  raw_expect_error (raw, "{\"v\":1,\"type\":\"offer\",\"room\":\"room-x\"}", 400);
  raw_expect_error (raw, "{\"v\":1,\"type\":\"offer\",\"room\":\"room-x\",\"sdp\":5}", 400);
  raw_expect_error (raw, "{\"v\":1,\"type\":\"candidate\",\"room\":\"room-x\"}", 400);
  raw_expect_error (raw, "{\"v\":1,\"type\":\"offer\",\"room\":\"room-x\",\"to\":[],\"sdp\":\"x\"}", 400);
  raw_expect_error (raw, "{\"v\":1,\"type\":\"offer\",\"room\":\"room-x\",\"to\":\"ghost\",\"sdp\":\"x\"}", 404);
  raw_expect_error (raw, "{\"v\":1,\"type\":\"join\",\"room\":\"room-x\"}", 400);  /* twice */

  /* "from" is the server's to set: a forged one is overwritten. */
  {
    g_autofree gchar *text = g_strdup_printf ("{\"v\":1,\"type\":\"offer\",\"room\":\"room-x\",\"to\":\"%s\","
                                              "\"from\":\"forged\",\"sdp\":\"v=0\",\"extra\":{\"k\":1}}", other_id);
    g_autoptr (JsonObject) fwd = NULL;

    raw_send (raw, text);
    fwd = raw_next (other);
    g_assert_cmpstr (json_object_get_string_member (fwd, "type"), ==, "offer");
    g_assert_cmpstr (json_object_get_string_member (fwd, "from"), !=, "forged");
    g_assert_cmpstr (json_object_get_string_member (fwd, "sdp"), ==, "v=0");
    g_assert_true (json_object_has_member (fwd, "extra"));
  }

  /* Still serving after all that. */
  raw_send (raw, "{\"v\":1,\"type\":\"ping\",\"id\":7}");
  g_clear_pointer (&reply, json_object_unref);
  reply = raw_next (raw);
  g_assert_cmpstr (json_object_get_string_member (reply, "type"), ==, "pong");
  g_assert_cmpint (json_object_get_int_member (reply, "id"), ==, 7);

  /* Oversized: libsoup closes with 1009 (RFC 6455 §7.4.1). */
  for (i = 0; i < 8192; i++)
    g_string_append_c (big, 'a');
  g_string_append (big, "\"}");
  raw_send (other, big->str);
  WAIT_UNTIL (other->closed);
  /* The server sends 1009 and closes at once; the rest of our frame is
   * still unread there, so its kernel may reset the connection before the
   * close frame reaches us (code 0).  Either way the connection is gone. */
  g_assert_true (other->close_code == SOUP_WEBSOCKET_CLOSE_TOO_BIG || other->close_code == 0);
  raw_free (other);
  /* The peer that left is announced. */
  g_clear_pointer (&reply, json_object_unref);
  reply = raw_next (raw);
  g_assert_cmpstr (json_object_get_string_member (reply, "type"), ==, "peer-left");

  /* Binary frames are not the protocol: 1003. */
  {
    static const guint8 bin[] = { 0, 1, 2, 3 };

    soup_websocket_connection_send_binary (raw->ws, bin, sizeof bin);
    WAIT_UNTIL (raw->closed);
    g_assert_cmpuint (raw->close_code, ==, SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA);
  }
  raw_free (raw);
  g_assert_cmpuint (stat_of (server, "dropped"), >, 0);
  WAIT_UNTIL (stat_of (server, "peers") == 0);
}

/* Garbage: valid messages with random bytes overwritten by random
 * printable characters, thousands of them.  Each is answered or dropped;
 * the server stays up and keeps its books. */
static void
test_garbage_frames (void)
{
  static const gchar *seeds[] = {
    "{\"v\":1,\"type\":\"join\",\"room\":\"garbage\"}",
    "{\"v\":1,\"type\":\"offer\",\"room\":\"garbage\",\"to\":\"abc\",\"sdp\":\"v=0\"}",
    "{\"v\":1,\"type\":\"candidate\",\"candidate\":\"candidate:1 1 UDP 1 1.2.3.4 5 typ host\"}",
    "{\"v\":1,\"type\":\"leave\",\"room\":\"garbage\"}",
    "{\"v\":1,\"type\":\"ping\",\"id\":[1,{\"a\":null}]}",
    "{\"v\":1,\"type\":\"bye\",\"reason\":\"\\u0000\\ud800\"}",
  };
  g_autoptr (NavServer) server = server_new ("rate", 0, NULL);
  g_autofree gchar *uri = server_uri (server, "ws");
  Raw *raw = raw_connect (uri);
  g_autoptr (JsonObject) reply = NULL;
  guint i, sent = 0;

  for (i = 0; i < 3000; i++)
    {
      g_autofree gchar *m = g_strdup (seeds[g_random_int_range (0, G_N_ELEMENTS (seeds))]);
      gsize len = strlen (m);
      guint k, flips = g_random_int_range (1, 6);

      for (k = 0; k < flips; k++)
        m[g_random_int_range (0, len)] = (gchar) g_random_int_range (0x20, 0x7f);
      raw_send (raw, m);
      sent++;
      if (i % 100 == 0)
        while (g_main_context_iteration (NULL, FALSE))
          ;
    }
  raw_send (raw, "{\"v\":1,\"type\":\"ping\",\"id\":\"last\"}");
  for (;;)
    {
      g_clear_pointer (&reply, json_object_unref);
      reply = raw_next (raw);
      if (g_strcmp0 (json_object_get_string_member_with_default (reply, "type", ""), "pong") == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (reply, "id", ""), "last") == 0)
        break;
    }
  g_assert_false (raw->closed);
  g_assert_cmpuint (stat_of (server, "received"), ==, sent + 1);
  raw_free (raw);
  WAIT_UNTIL (stat_of (server, "peers") == 0);
  g_assert_cmpuint (stat_of (server, "rooms"), ==, 0);
}

static void
test_flood (void)
{
  g_autoptr (NavServer) server = server_new ("rate", 10, "burst", 20, NULL);
  g_autofree gchar *uri = server_uri (server, "ws");
  Raw *raw = raw_connect (uri);
  gboolean limited = FALSE;
  guint i;

  for (i = 0; i < 500; i++)
    raw_send (raw, "{\"v\":1,\"type\":\"ping\"}");
  WAIT_UNTIL (raw->closed);
  g_assert_cmpuint (raw->close_code, ==, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
  while (raw->messages.length > 0)
    {
      g_autoptr (JsonObject) m = g_queue_pop_head (&raw->messages);

      if (g_strcmp0 (json_object_get_string_member (m, "type"), "error") == 0)
        {
          g_assert_cmpint (json_object_get_int_member (m, "code"), ==, 429);
          limited = TRUE;
        }
    }
  g_assert_true (limited);
  g_assert_cmpuint (stat_of (server, "rate-closed"), ==, 1);
  raw_free (raw);

  /* The server still answers others (from another address: the
   * flooder's own reconnections start from its spent budget). */
  raw = raw_connect_from (uri, "127.0.0.2");
  g_free (raw_join (raw, "after-flood"));
  raw_free (raw);
}

static void
test_tokens (void)
{
  g_autoptr (NavServer) server = server_new ("secret", "k3y", NULL);
  g_autofree gchar *uri = server_uri (server, "ws");
  Raw *raw = raw_connect (uri);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree gchar *good = nav_signaling_token_sign ("k3y", "vip", now + 60);
  g_autofree gchar *expired = nav_signaling_token_sign ("k3y", "vip", now - 1);
  g_autofree gchar *wrong_key = nav_signaling_token_sign ("other", "vip", now + 60);
  g_autofree gchar *wrong_room = nav_signaling_token_sign ("k3y", "lobby", now + 60);
  g_autofree gchar *text = NULL;
  g_autoptr (JsonObject) reply = NULL;

  raw_expect_error (raw, "{\"v\":1,\"type\":\"join\",\"room\":\"vip\"}", 401);
  text = g_strdup_printf ("{\"v\":1,\"type\":\"join\",\"room\":\"vip\",\"token\":\"%s\"}", expired);
  raw_expect_error (raw, text, 401);
  g_free (text);
  text = g_strdup_printf ("{\"v\":1,\"type\":\"join\",\"room\":\"vip\",\"token\":\"%s\"}", wrong_key);
  raw_expect_error (raw, text, 401);
  g_free (text);
  text = g_strdup_printf ("{\"v\":1,\"type\":\"join\",\"room\":\"vip\",\"token\":\"%s\"}", wrong_room);
  raw_expect_error (raw, text, 401);
  g_free (text);
  text = g_strdup_printf ("{\"v\":1,\"type\":\"join\",\"room\":\"vip\",\"token\":\"%s\"}", good);
  raw_send (raw, text);
  reply = raw_next (raw);
  g_assert_cmpstr (json_object_get_string_member (reply, "type"), ==, "joined");
  raw_free (raw);
}

static void
test_capacity (void)
{
  g_autoptr (NavServer) server = server_new ("max-room-size", 2, NULL);
  g_autofree gchar *uri = server_uri (server, "ws");
  Raw *a = raw_connect (uri), *b = raw_connect (uri), *c = raw_connect (uri);

  g_free (raw_join (a, "pair"));
  g_free (raw_join (b, "pair"));
  raw_expect_error (c, "{\"v\":1,\"type\":\"join\",\"room\":\"pair\"}", 409);
  raw_free (b);
  /* A seat is free again. */
  WAIT_UNTIL (stat_of (server, "peers") == 2);
  g_free (raw_join (c, "pair"));
  raw_free (a);
  raw_free (c);
}

static void
test_idle_timeout (void)
{
  g_autoptr (NavServer) server = server_new ("idle-timeout", 1, NULL);
  g_autofree gchar *uri = server_uri (server, "ws");
  Raw *raw = raw_connect (uri);

  WAIT_UNTIL (raw->closed);
  g_assert_cmpuint (raw->close_code, ==, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
  g_assert_cmpuint (stat_of (server, "idle-closed"), ==, 1);
  raw_free (raw);
}

/* The server stops (clients are told: bye, 1001) and comes back on the
 * same port: the client reconnects and joins its room again. */
static void
test_reconnect (void)
{
  g_autoptr (NavServer) server = server_new (NULL);
  g_autofree gchar *uri = server_uri (server, "ws");
  g_autoptr (GError) error = NULL;
  Peer *a = peer_new (uri, NULL);
  g_autofree gchar *first_id = g_strdup (nav_signaling_client_get_peer_id (a->client));
  guint port;

  nav_signaling_client_join (a->client, "comeback", NULL, &error);
  g_assert_no_error (error);
  wait_event (a, "joined|comeback||");

  g_object_get (server, "bound-port", &port, NULL);
  nav_server_stop (server);
  wait_event (a, "bye|||server shutting down");
  WAIT_UNTIL (a->disconnected == 1);
  g_assert_cmpuint (a->last_close_code, ==, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  g_assert_cmpint (nav_signaling_client_get_state (a->client), ==, NAV_SIGNALING_CLIENT_STATE_CONNECTING);

  g_object_set (server, "listening-port", port, NULL);
  nav_server_start (server, &error);
  g_assert_no_error (error);
  WAIT_UNTIL (a->connected == 2);
  wait_event (a, "joined|comeback||");
  g_assert_cmpstr (nav_signaling_client_get_peer_id (a->client), !=, first_id);
  g_assert_cmpuint (stat_of (server, "rooms"), ==, 1);
  peer_free (a);
}

static void
test_connect_refused (void)
{
  g_autoptr (NavServer) server = server_new (NULL);
  g_autofree gchar *uri = server_uri (server, "ws");
  Peer *p = g_new0 (Peer, 1);

  nav_server_stop (server);
  p->client = nav_signaling_client_new (uri);
  nav_signaling_client_connect_async (p->client, NULL, on_client_connected, p);
  WAIT_UNTIL (p->connect_done);
  g_assert_nonnull (p->connect_error);
  g_assert_cmpint (nav_signaling_client_get_state (p->client), ==, NAV_SIGNALING_CLIENT_STATE_DISCONNECTED);
  g_clear_error (&p->connect_error);
  g_object_unref (p->client);
  g_free (p);
}

static void
on_http_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Async: the server runs in this thread's main context. */
static gchar *
http_get (const gchar *uri,
          guint       *status)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, uri);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GAsyncResult) result = NULL;

  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_http_done, &result);
  WAIT_UNTIL (result != NULL);
  body = soup_session_send_and_read_finish (session, result, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  return g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

static void
test_health_and_stats (void)
{
  g_autoptr (NavServer) server = server_new (NULL);
  g_autofree gchar *base = server_uri (server, "http");
  g_autofree gchar *health_uri = g_strconcat (base, "health", NULL);
  g_autofree gchar *stats_uri = g_strconcat (base, "stats", NULL);
  g_autofree gchar *missing_uri = g_strconcat (base, "nothing", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree gchar *body = NULL;
  guint status;
  JsonObject *o;

  body = http_get (health_uri, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (json_parser_load_from_data (parser, body, -1, NULL));
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "ok");
  g_clear_pointer (&body, g_free);

  body = http_get (stats_uri, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (json_parser_load_from_data (parser, body, -1, NULL));
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (json_object_has_member (o, "peers"));
  g_assert_true (json_object_has_member (o, "forwarded"));
  g_clear_pointer (&body, g_free);

  body = http_get (missing_uri, &status);
  /* Not /health, not /stats, not a WebSocket upgrade: refused. */
  g_assert_cmpuint (status, ==, 400);
}

/* wss:// from a certificate file made for the test. */
static void
test_tls (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("nav-sig-tls-XXXXXX", NULL);
  g_autofree gchar *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree gchar *key = g_build_filename (dir, "key.pem", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (NavServer) server = NULL;
  g_autofree gchar *uri = NULL;
  const gchar *argv[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                          "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                          "-addext", "subjectAltName=IP:127.0.0.1",
                          "-keyout", key, "-out", cert, NULL };
  gint wait_status;
  Peer *a, *b;

  g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL,
                               G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, NULL, NULL, &wait_status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (wait_status, NULL));

  server = server_new ("cert-file", cert, "pkey-file", key, NULL);
  uri = server_uri (server, "wss");
  a = peer_new (uri, cert);
  b = peer_new (uri, cert);
  nav_signaling_client_join (a->client, "secure", NULL, &error);
  wait_event (a, "joined|secure||");
  nav_signaling_client_join (b->client, "secure", NULL, &error);
  g_free (peer_wait (b, "joined|secure||"));
  nav_signaling_client_send_offer (b->client, "secure", NULL, "v=0 over tls", &error);
  g_assert_no_error (error);
  {
    g_autofree gchar *got = peer_wait (a, "offer|secure|");

    g_assert_true (g_str_has_suffix (got, "|v=0 over tls"));
  }
  peer_free (a);
  peer_free (b);
  nav_server_stop (server);
  g_unlink (cert);
  g_unlink (key);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/signaling/protocol-helpers", test_protocol_helpers);
  g_test_add_func ("/signaling/round-trip", test_round_trip);
  g_test_add_func ("/signaling/join-generated-room", test_join_generated_room);
  g_test_add_func ("/signaling/bad-input", test_bad_input);
  g_test_add_func ("/signaling/garbage-frames", test_garbage_frames);
  g_test_add_func ("/signaling/flood", test_flood);
  g_test_add_func ("/signaling/tokens", test_tokens);
  g_test_add_func ("/signaling/capacity", test_capacity);
  g_test_add_func ("/signaling/idle-timeout", test_idle_timeout);
  g_test_add_func ("/signaling/reconnect-rejoin", test_reconnect);
  g_test_add_func ("/signaling/connect-refused", test_connect_refused);
  g_test_add_func ("/signaling/health-and-stats", test_health_and_stats);
  g_test_add_func ("/signaling/tls", test_tls);

  return g_test_run ();
}
