/* test-agent-gather-timeout.c: NavAgent's stun-initial-timeout,
 * stun-max-retransmissions and stun-reliable-timeout reach its gatherers
 * (as libnice's discovery uses them), against servers that never answer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The servers are real sockets of the test on loopback: a UDP socket that
 * reads every request and answers none, and a TCP listener that accepts
 * the connection, reads the Allocate and answers nothing.  Times are
 * printed, never asserted.
 */
#include "config.h"

#include <string.h>

#include <netavanue/netavanue.h>

#include "agent-test-util.h"

/* ------------------------------------------------- a silent UDP server */

typedef struct
{
  gint64 time;
  guint method;
  guint8 id[12];
} Request;

typedef struct
{
  GSocket *socket;
  GSource *source;
  guint16 port;
  GArray *requests;             /* of Request, STUN requests only */
  guint other;                  /* anything else that came */
} SilentUdp;

static void
silent_udp_drain (SilentUdp *s)
{
  guint8 buf[2048];

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (NavStunMessage) msg = NULL;
      gssize n = g_socket_receive (s->socket, (gchar *) buf, sizeof buf, NULL, &error);
      Request r;

      if (n < 0)
        {
          g_assert_true (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK));
          return;
        }
      if (!nav_stun_message_is_stun (buf, n) ||
          (msg = nav_stun_message_parse (buf, n, NULL)) == NULL ||
          nav_stun_message_get_class (msg) != NAV_STUN_CLASS_REQUEST)
        {
          s->other++;
          continue;
        }
      r.time = g_get_monotonic_time ();
      r.method = nav_stun_message_get_method (msg);
      memcpy (r.id, nav_stun_message_get_transaction_id (msg), sizeof r.id);
      g_array_append_val (s->requests, r);
    }
}

static gboolean
silent_udp_readable (GSocket      *socket,
                     GIOCondition  condition,
                     gpointer      user_data)
{
  silent_udp_drain (user_data);
  return G_SOURCE_CONTINUE;
}

static void
silent_udp_init (SilentUdp *s)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) want = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  memset (s, 0, sizeof *s);
  s->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                            G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (s->socket, FALSE);
  g_assert_true (g_socket_bind (s->socket, want, TRUE, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (s->socket, &error);
  g_assert_no_error (error);
  s->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  s->requests = g_array_new (FALSE, FALSE, sizeof (Request));
  s->source = g_socket_create_source (s->socket, G_IO_IN, NULL);
  g_source_set_callback (s->source, G_SOURCE_FUNC (silent_udp_readable), s, NULL);
  g_source_attach (s->source, NULL);
}

static void
silent_udp_clear (SilentUdp *s)
{
  g_source_destroy (s->source);
  g_source_unref (s->source);
  g_socket_close (s->socket, NULL);
  g_object_unref (s->socket);
  g_array_unref (s->requests);
}

/* Every request that came is @method of one transaction: returns how many
 * came, and prints the gaps between them. */
static guint
silent_udp_check_one_transaction (SilentUdp   *s,
                                  guint        method,
                                  const gchar *what)
{
  GString *gaps = g_string_new (NULL);
  guint i;

  silent_udp_drain (s);
  g_assert_cmpuint (s->requests->len, >, 0);
  for (i = 0; i < s->requests->len; i++)
    {
      Request *r = &g_array_index (s->requests, Request, i);
      Request *first = &g_array_index (s->requests, Request, 0);

      g_assert_cmpuint (r->method, ==, method);
      g_assert_cmpmem (r->id, sizeof r->id, first->id, sizeof first->id);
      if (i > 0)
        g_string_append_printf (gaps, " %.0f",
                                (r->time - (r - 1)->time) / 1000.0);
    }
  g_test_message ("%s: %u transmissions of one transaction, gaps (ms):%s",
                  what, s->requests->len, gaps->str);
  g_string_free (gaps, TRUE);
  return s->requests->len;
}

/* ------------------------------------------------------------ the agent */

typedef struct
{
  NavAgent *agent;
  guint stream_id;
  gboolean gathering_done;
  gint64 started;
} Peer;

static void
peer_init (Peer  *p,
           guint  initial_timeout,
           guint  max_retransmissions,
           guint  reliable_timeout)
{
  memset (p, 0, sizeof *p);
  p->agent = agent_test_new_loopback (NAV_AGENT_OPTION_NONE, &p->gathering_done);
  g_object_set (p->agent,
                "stun-initial-timeout", initial_timeout,
                "stun-max-retransmissions", max_retransmissions,
                "stun-reliable-timeout", reliable_timeout,
                NULL);
  p->stream_id = nav_agent_add_stream (p->agent, 1);
  g_assert_cmpuint (p->stream_id, >, 0);
}

static void
peer_gather (Peer *p)
{
  p->started = g_get_monotonic_time ();
  g_assert_true (nav_agent_gather_candidates (p->agent, p->stream_id));
}

static void
peer_wait_gathered (Peer        *p,
                    const gchar *what)
{
  wait_for (agent_test_flag_set, &p->gathering_done);
  g_test_message ("%s: candidate-gathering-done after %.0f ms", what,
                  (g_get_monotonic_time () - p->started) / 1000.0);
}

/* Every local candidate is a host candidate, and there is one. */
static void
peer_assert_host_only (Peer *p)
{
  GSList *list = nav_agent_get_local_candidates (p->agent, p->stream_id, 1);
  GSList *l;

  g_assert_nonnull (list);
  for (l = list; l != NULL; l = l->next)
    {
      NavCandidate *c = l->data;

      g_assert_cmpint (c->type, ==, NAV_CANDIDATE_TYPE_HOST);
    }
  g_slist_free_full (list, (GDestroyNotify) nav_candidate_free);
}

static void
peer_clear (Peer *p)
{
  g_clear_object (&p->agent);
  /* Let the sources the agent's objects released go. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* ------------------------------------------------------------------ tests */

/* A silent UDP server on loopback, as the STUN server or, with @turn, the
 * TURN server over UDP; the agent with an RTO of 50 ms,
 * @retransmissions and Ti 200 ms.  The request (Binding, or Allocate) is
 * sent @retransmissions + 1 times, then gathering ends with the host
 * candidates only.  Returns how many datagrams came that were no STUN
 * request. */
static guint
gather_against_silent_udp (guint        retransmissions,
                           gboolean     turn,
                           const gchar *what)
{
  SilentUdp server;
  Peer p;
  guint other;

  silent_udp_init (&server);
  peer_init (&p, 50, retransmissions, 200);
  if (turn)
    g_assert_true (nav_agent_set_relay_info (p.agent, p.stream_id, 1, "127.0.0.1", server.port,
                                             "user", "password", NAV_RELAY_TYPE_TURN_UDP));
  else
    g_object_set (p.agent, "stun-server", "127.0.0.1", "stun-server-port",
                  (guint) server.port, NULL);
  peer_gather (&p);
  peer_wait_gathered (&p, what);
  g_assert_cmpuint (silent_udp_check_one_transaction (&server,
                                                      turn ? NAV_STUN_METHOD_ALLOCATE
                                                           : NAV_STUN_METHOD_BINDING,
                                                      turn ? "Allocate" : "Binding"),
                    ==, retransmissions + 1);
  other = server.other;
  peer_assert_host_only (&p);
  peer_clear (&p);
  silent_udp_clear (&server);
  return other;
}

/* The STUN server never answers: the Binding request is sent
 * stun-max-retransmissions + 1 times (RFC 8489 §6.2.1, Rc), the intervals
 * doubling from stun-initial-timeout, then gathering ends with the host
 * candidates. */
static void
test_stun_udp_retransmissions (void)
{
  g_assert_cmpuint (gather_against_silent_udp (3, FALSE, "silent STUN server, RTO 50 ms, "
                                               "3 retransmissions"), ==, 0);
}

/* No retransmission at all: one Binding request. */
static void
test_stun_udp_no_retransmission (void)
{
  gather_against_silent_udp (0, FALSE, "silent STUN server, RTO 50 ms, no retransmission");
}

/* The TURN server (over UDP) never answers: the Allocate is sent
 * stun-max-retransmissions + 1 times, then gathering ends without a relayed
 * candidate. */
static void
test_turn_udp_retransmissions (void)
{
  g_assert_cmpuint (gather_against_silent_udp (2, TRUE, "silent TURN server over UDP, "
                                               "RTO 50 ms, 2 retransmissions"), ==, 0);
}

/* ----------------------------------------- a TCP server that never answers */

typedef struct
{
  GSocketService *service;
  guint16 port;
  GPtrArray *connections;       /* of GSocketConnection */
  GByteArray *bytes;            /* what the client sent */
  GCancellable *cancellable;
  guint8 buf[2048];
} SilentTcp;

static void
silent_tcp_read (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SilentTcp *s = user_data;
  g_autoptr (GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (n <= 0)
    return;     /* closed, or the test is over */
  g_byte_array_append (s->bytes, s->buf, n);
  g_input_stream_read_async (G_INPUT_STREAM (source), s->buf, sizeof s->buf,
                             G_PRIORITY_DEFAULT, s->cancellable, silent_tcp_read, s);
}

static gboolean
silent_tcp_incoming (GSocketService    *service,
                     GSocketConnection *connection,
                     GObject           *source_object,
                     gpointer           user_data)
{
  SilentTcp *s = user_data;

  g_ptr_array_add (s->connections, g_object_ref (connection));
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                             s->buf, sizeof s->buf, G_PRIORITY_DEFAULT, s->cancellable,
                             silent_tcp_read, s);
  return TRUE;
}

static void
silent_tcp_init (SilentTcp *s)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) want = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  memset (s, 0, sizeof *s);
  s->service = g_socket_service_new ();
  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER (s->service), want,
                                                G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                                NULL, &bound, &error));
  g_assert_no_error (error);
  s->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  s->connections = g_ptr_array_new_with_free_func (g_object_unref);
  s->bytes = g_byte_array_new ();
  s->cancellable = g_cancellable_new ();
  g_signal_connect (s->service, "incoming", G_CALLBACK (silent_tcp_incoming), s);
  g_socket_service_start (s->service);
}

static void
silent_tcp_clear (SilentTcp *s)
{
  guint i;

  g_cancellable_cancel (s->cancellable);
  for (i = 0; i < s->connections->len; i++)
    g_io_stream_close (s->connections->pdata[i], NULL, NULL);
  g_socket_service_stop (s->service);
  g_socket_listener_close (G_SOCKET_LISTENER (s->service));
  /* The cancelled reads complete from the main context. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_ptr_array_unref (s->connections);
  g_object_unref (s->service);
  g_byte_array_unref (s->bytes);
  g_object_unref (s->cancellable);
}

/* The TURN server over TCP accepts the connection and reads the Allocate
 * but never answers: the request is sent once (RFC 8489 §6.2.2) and the
 * gathering ends after stun-reliable-timeout, without a relayed candidate
 * (the default Ti would hold it 39.5 s). */
static void
test_turn_tcp_reliable_timeout (void)
{
  SilentTcp server;
  Peer p;
  g_autoptr (NavStunMessage) msg = NULL;

  silent_tcp_init (&server);
  peer_init (&p, 50, 2, 300);
  g_assert_true (nav_agent_set_relay_info (p.agent, p.stream_id, 1, "127.0.0.1", server.port,
                                           "user", "password", NAV_RELAY_TYPE_TURN_TCP));
  peer_gather (&p);
  peer_wait_gathered (&p, "silent TURN server over TCP, reliable timeout 300 ms");
  g_assert_cmpuint (server.connections->len, ==, 1);
  /* What came is one Allocate request, sent once. */
  g_assert_cmpuint (server.bytes->len, >=, 20);
  g_assert_true (nav_stun_message_is_stun (server.bytes->data, server.bytes->len));
  msg = nav_stun_message_parse (server.bytes->data, server.bytes->len, NULL);
  g_assert_nonnull (msg);
  g_assert_cmpuint (nav_stun_message_get_method (msg), ==, NAV_STUN_METHOD_ALLOCATE);
  g_assert_cmpint (nav_stun_message_get_class (msg), ==, NAV_STUN_CLASS_REQUEST);
  peer_assert_host_only (&p);
  peer_clear (&p);
  silent_tcp_clear (&server);
}

/* The gatherers keep the RFC 8489 §6.2 values when nobody sets theirs. */
static void
test_gatherer_defaults (void)
{
  NavRegistry *registry = nav_registry_get_default ();
  const gchar *names[] = { "stun", "turn" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GObject) gatherer = NULL;
      guint rto = 0, retransmissions = 0, ti = 0;

      gatherer = nav_registry_create (registry, NAV_GATHERER_EXTENSION_POINT_NAME, names[i],
                                      &error, NULL);
      g_assert_no_error (error);
      g_object_get (gatherer, "stun-initial-timeout", &rto,
                    "stun-max-retransmissions", &retransmissions,
                    "stun-reliable-timeout", &ti, NULL);
      g_assert_cmpuint (rto, ==, 500);           /* RTO */
      g_assert_cmpuint (retransmissions, ==, 6); /* Rc = 7 */
      g_assert_cmpuint (ti, ==, 39500);          /* Ti */
    }
}

/* ------------------------------------------- gatherers written elsewhere */

/* A "stun" gatherer of a third party without configure(): the agent's
 * settings go to its properties of the same names (NavGatherer's
 * default).  The plain one has the servers only; the full one, derived
 * from it, also the retransmission settings and SOFTWARE. */

#define TEST_TYPE_PLAIN_GATHERER (test_plain_gatherer_get_type ())
G_DECLARE_DERIVABLE_TYPE (TestPlainGatherer, test_plain_gatherer, TEST, PLAIN_GATHERER, GObject)

struct _TestPlainGathererClass
{
  GObjectClass parent_class;
};

typedef struct
{
  GMainContext *context;
  gchar **servers;
  guint settings[3];            /* the full gatherer's: RTO, retransmissions, Ti */
  gchar *software;
} TestPlainGathererPrivate;

enum {
  PLAIN_PROP_0, PLAIN_PROP_CONTEXT, PLAIN_PROP_SERVERS,
  FULL_PROP_INITIAL_TIMEOUT, FULL_PROP_MAX_RETRANSMISSIONS, FULL_PROP_RELIABLE_TIMEOUT,
  FULL_PROP_SOFTWARE,
};

static guint plain_gathers;
static gchar *plain_server;
static guint full_settings[3];

static void test_plain_gatherer_iface_init (NavGathererInterface *iface);

G_DEFINE_TYPE_WITH_CODE (TestPlainGatherer, test_plain_gatherer, G_TYPE_OBJECT,
                         G_ADD_PRIVATE (TestPlainGatherer)
                         G_IMPLEMENT_INTERFACE (NAV_TYPE_GATHERER,
                                                test_plain_gatherer_iface_init))

typedef struct
{
  NavGatherer *self;
  guint stream_id;
  guint component_id;
} PlainDone;

static gboolean
plain_done (gpointer user_data)
{
  PlainDone *d = user_data;

  nav_gatherer_emit_done (d->self, d->stream_id, d->component_id);
  return G_SOURCE_REMOVE;
}

static void
plain_done_free (gpointer user_data)
{
  PlainDone *d = user_data;

  g_object_unref (d->self);
  g_free (d);
}

static void
test_plain_gatherer_gather (NavGatherer *gatherer,
                            guint        stream_id,
                            guint        component_id,
                            GPtrArray   *bases)
{
  TestPlainGathererPrivate *priv =
    test_plain_gatherer_get_instance_private (TEST_PLAIN_GATHERER (gatherer));
  PlainDone *d = g_new0 (PlainDone, 1);
  GSource *idle = g_idle_source_new ();

  plain_gathers++;
  g_free (plain_server);
  plain_server = g_strdup (priv->servers != NULL ? priv->servers[0] : NULL);
  memcpy (full_settings, priv->settings, sizeof full_settings);
  d->self = g_object_ref (gatherer);
  d->stream_id = stream_id;
  d->component_id = component_id;
  g_source_set_callback (idle, plain_done, d, plain_done_free);
  g_source_attach (idle, priv->context);
  g_source_unref (idle);
}

static void
test_plain_gatherer_stop (NavGatherer *gatherer)
{
}

static void
test_plain_gatherer_iface_init (NavGathererInterface *iface)
{
  iface->gather = test_plain_gatherer_gather;
  iface->stop = test_plain_gatherer_stop;
}

static void
test_plain_gatherer_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  TestPlainGathererPrivate *priv =
    test_plain_gatherer_get_instance_private (TEST_PLAIN_GATHERER (object));

  switch (prop_id)
    {
    case PLAIN_PROP_CONTEXT: g_value_set_boxed (value, priv->context); break;
    case PLAIN_PROP_SERVERS: g_value_set_boxed (value, priv->servers); break;
    case FULL_PROP_INITIAL_TIMEOUT:
    case FULL_PROP_MAX_RETRANSMISSIONS:
    case FULL_PROP_RELIABLE_TIMEOUT:
      g_value_set_uint (value, priv->settings[prop_id - FULL_PROP_INITIAL_TIMEOUT]);
      break;
    case FULL_PROP_SOFTWARE: g_value_set_string (value, priv->software); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_plain_gatherer_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  TestPlainGathererPrivate *priv =
    test_plain_gatherer_get_instance_private (TEST_PLAIN_GATHERER (object));

  switch (prop_id)
    {
    case PLAIN_PROP_CONTEXT:
      g_clear_pointer (&priv->context, g_main_context_unref);
      priv->context = g_value_dup_boxed (value);
      break;
    case PLAIN_PROP_SERVERS:
      g_strfreev (priv->servers);
      priv->servers = g_value_dup_boxed (value);
      break;
    case FULL_PROP_INITIAL_TIMEOUT:
    case FULL_PROP_MAX_RETRANSMISSIONS:
    case FULL_PROP_RELIABLE_TIMEOUT:
      priv->settings[prop_id - FULL_PROP_INITIAL_TIMEOUT] = g_value_get_uint (value);
      break;
    case FULL_PROP_SOFTWARE:
      g_free (priv->software);
      priv->software = g_value_dup_string (value);
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_plain_gatherer_finalize (GObject *object)
{
  TestPlainGathererPrivate *priv =
    test_plain_gatherer_get_instance_private (TEST_PLAIN_GATHERER (object));

  g_clear_pointer (&priv->context, g_main_context_unref);
  g_strfreev (priv->servers);
  g_free (priv->software);
  G_OBJECT_CLASS (test_plain_gatherer_parent_class)->finalize (object);
}

static void
test_plain_gatherer_class_init (TestPlainGathererClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = test_plain_gatherer_get_property;
  object_class->set_property = test_plain_gatherer_set_property;
  object_class->finalize = test_plain_gatherer_finalize;
  g_object_class_override_property (object_class, PLAIN_PROP_CONTEXT, "context");
  g_object_class_install_property (object_class, PLAIN_PROP_SERVERS,
    g_param_spec_boxed ("stun-servers", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static void
test_plain_gatherer_init (TestPlainGatherer *self)
{
}

#define TEST_TYPE_FULL_GATHERER (test_full_gatherer_get_type ())
G_DECLARE_FINAL_TYPE (TestFullGatherer, test_full_gatherer, TEST, FULL_GATHERER,
                      TestPlainGatherer)

struct _TestFullGatherer
{
  TestPlainGatherer parent_instance;
};

G_DEFINE_FINAL_TYPE (TestFullGatherer, test_full_gatherer, TEST_TYPE_PLAIN_GATHERER)

static void
test_full_gatherer_class_init (TestFullGathererClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  /* The parent's accessors serve these too. */
  object_class->get_property = test_plain_gatherer_get_property;
  object_class->set_property = test_plain_gatherer_set_property;
  g_object_class_install_property (object_class, FULL_PROP_INITIAL_TIMEOUT,
    g_param_spec_uint ("stun-initial-timeout", NULL, NULL, 1, G_MAXUINT, 500, flags));
  g_object_class_install_property (object_class, FULL_PROP_MAX_RETRANSMISSIONS,
    g_param_spec_uint ("stun-max-retransmissions", NULL, NULL, 0, 64, 6, flags));
  g_object_class_install_property (object_class, FULL_PROP_RELIABLE_TIMEOUT,
    g_param_spec_uint ("stun-reliable-timeout", NULL, NULL, 1, G_MAXUINT, 39500, flags));
  g_object_class_install_property (object_class, FULL_PROP_SOFTWARE,
    g_param_spec_string ("software", NULL, NULL, NULL, flags));
}

static void
test_full_gatherer_init (TestFullGatherer *self)
{
}

/* Registered above the module's "stun" gatherer, as a third party would.
 * The plain one cannot take the agent's retransmission settings: the
 * agent says so, naming the first, instead of skipping them silently,
 * and gathers without it.  The full one takes them all through its
 * properties.  Runs last: the registrations cannot be undone. */
static void
test_third_party_gatherers (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NavImplementationInfo) info = NULL;
  Peer p;

  (void) nav_registry_get_default ();   /* the modules are in */
  g_io_extension_point_implement (NAV_GATHERER_EXTENSION_POINT_NAME, TEST_TYPE_PLAIN_GATHERER,
                                  "stun", 1000);
  info = nav_registry_lookup (nav_registry_get_default (), NAV_GATHERER_EXTENSION_POINT_NAME,
                              "stun", &error);
  g_assert_no_error (error);
  g_assert_true (nav_implementation_info_get_gtype (info) == TEST_TYPE_PLAIN_GATHERER);
  g_clear_object (&info);

  peer_init (&p, 70, 5, 900);
  g_object_set (p.agent, "stun-server", "127.0.0.1", "stun-server-port", 3478, NULL);
  g_test_expect_message ("nav", G_LOG_LEVEL_WARNING,
                         "*TestPlainGatherer does not take the setting*stun-initial-timeout*");
  peer_gather (&p);
  peer_wait_gathered (&p, "third-party stun gatherer without the retransmission settings");
  g_test_assert_expected_messages ();
  g_assert_cmpuint (plain_gathers, ==, 0);
  peer_assert_host_only (&p);
  peer_clear (&p);

  g_io_extension_point_implement (NAV_GATHERER_EXTENSION_POINT_NAME, TEST_TYPE_FULL_GATHERER,
                                  "stun", 1001);
  peer_init (&p, 70, 5, 900);
  g_object_set (p.agent, "stun-server", "127.0.0.1", "stun-server-port", 3478, NULL);
  peer_gather (&p);
  peer_wait_gathered (&p, "third-party stun gatherer taking every setting");
  g_assert_cmpuint (plain_gathers, ==, 1);
  g_assert_cmpstr (plain_server, ==, "127.0.0.1:3478");
  g_assert_cmpuint (full_settings[0], ==, 70);
  g_assert_cmpuint (full_settings[1], ==, 5);
  g_assert_cmpuint (full_settings[2], ==, 900);
  peer_assert_host_only (&p);
  peer_clear (&p);
  g_clear_pointer (&plain_server, g_free);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ice/agent/gather-timeout/gatherer-defaults", test_gatherer_defaults);
  g_test_add_func ("/ice/agent/gather-timeout/stun-udp-retransmissions",
                   test_stun_udp_retransmissions);
  g_test_add_func ("/ice/agent/gather-timeout/stun-udp-no-retransmission",
                   test_stun_udp_no_retransmission);
  g_test_add_func ("/ice/agent/gather-timeout/turn-udp-retransmissions",
                   test_turn_udp_retransmissions);
  g_test_add_func ("/ice/agent/gather-timeout/turn-tcp-reliable-timeout",
                   test_turn_tcp_reliable_timeout);
  /* Last: it replaces the "stun" gatherer for the rest of the process. */
  g_test_add_func ("/ice/agent/gather-timeout/third-party-gatherers",
                   test_third_party_gatherers);
  return g_test_run ();
}
