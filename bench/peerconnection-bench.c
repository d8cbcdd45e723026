/* peerconnection-bench.c: NavPeerConnection's setup time beside ICE's
 * alone, and DTLS datagram throughput beside the unencrypted channel's,
 * in one run
 *
 * Setup, median of --runs runs, two connections in one process, one
 * GMainContext, host candidates on 127.0.0.1 only, trickled as they are
 * found:
 *
 * - peer connection: from create_offer on the offerer to both
 *   connection-state CONNECTED (ICE has a path and the DTLS handshake is
 *   done both ways), and, in the same runs, to both ice-connection-state
 *   CONNECTED (a selected pair: data can flow): the difference is what
 *   DTLS adds.  Each connection's
 *   certificate is made before the clock starts (as a browser makes its
 *   own at construction); its cost is printed apart.
 * - ICE alone: two NavAgents configured as the connections' are (RFC
 *   8445, trickle), from gathering to both components READY (a selected
 *   pair): the anchor.
 *
 * Throughput, median of --rounds rounds: --count datagrams of --size
 * bytes from one channel to another over two NavUdpTransports on
 * loopback, sent in batches of --batch by an idle source of the same
 * loop (as ice-bench does: the loop alternates sending and receiving, a
 * batch never overflows the socket buffer, and the figure is the cost of
 * a datagram on one core): the NavDatagramChannel alone, then the DTLS
 * channel of libnav-datachannel.so (AES-128-GCM, negotiated) stacked on
 * it.  The DTLS cost per datagram is the difference of the CPU times.
 *
 *   meson setup build -Dbenchmarks=true
 *   meson compile -C build peerconnection-bench
 *   meson devenv -C build bench/peerconnection-bench [--runs=20] [--count=200000] [--rounds=3]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <netavanue/netavanue.h>

static gint opt_runs = 20;
static gint opt_count = 200000;
static gint opt_size = 1100;
static gint opt_batch = 32;
static gint opt_rounds = 3;

static const GOptionEntry entries[] = {
  { "runs", 0, 0, G_OPTION_ARG_INT, &opt_runs, "Setup runs (the median is printed)", "N" },
  { "count", 0, 0, G_OPTION_ARG_INT, &opt_count, "Datagrams per throughput round", "N" },
  { "size", 0, 0, G_OPTION_ARG_INT, &opt_size, "Datagram payload size", "BYTES" },
  { "batch", 0, 0, G_OPTION_ARG_INT, &opt_batch, "Datagrams per send call", "N" },
  { "rounds", 0, 0, G_OPTION_ARG_INT, &opt_rounds, "Throughput rounds (medians are printed)", "N" },
  { NULL }
};

static gdouble
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

static gdouble
cpu_ms (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec * 1e3 + usage.ru_utime.tv_usec / 1e3 +
         usage.ru_stime.tv_sec * 1e3 + usage.ru_stime.tv_usec / 1e3;
}

static gint
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static gdouble
median (GArray *values)
{
  g_array_sort (values, compare_doubles);
  return values->len > 0 ? g_array_index (values, gdouble, values->len / 2) : 0;
}

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

typedef gboolean (*Condition) (gpointer data);

static gboolean
wait_for (GMainContext *context,
          Condition     condition,
          gpointer      data,
          guint         seconds)
{
  gboolean timed_out = FALSE;
  GSource *timeout = g_timeout_source_new_seconds (seconds);

  g_source_set_callback (timeout, set_flag, &timed_out, NULL);
  g_source_attach (timeout, context);
  while (!condition (data) && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_source_unref (timeout);
  return !timed_out;
}

/* ------------------------------------------------------------ setup */

typedef struct {
  NavPeerConnection *pc;
  struct _Pair *pair;
  GPtrArray *pending;           /* candidates for the other side */
  gdouble ice_at;               /* ms, when its ICE connected */
  gdouble connected_at;         /* ms, when it was connected */
} Side;

typedef struct _Pair {
  GMainContext *context;
  Side a, b;
} Pair;

static Side *
other (Side *side)
{
  return side == &side->pair->a ? &side->pair->b : &side->pair->a;
}

static void
flush (Side *from)
{
  Side *to = other (from);
  g_autoptr (NavSessionDescription) remote = nav_peer_connection_get_remote_description (to->pc);
  guint i;

  if (remote == NULL)
    return;
  for (i = 0; i < from->pending->len; i++)
    nav_peer_connection_add_ice_candidate (to->pc, g_ptr_array_index (from->pending, i), NULL, -1,
                                           NULL);
  g_ptr_array_set_size (from->pending, 0);
}

static void
on_candidate (NavPeerConnection *pc,
              const gchar       *candidate,
              const gchar       *mid,
              guint              index,
              gpointer           user_data)
{
  Side *side = user_data;

  g_ptr_array_add (side->pending, g_strdup (candidate));
  flush (side);
}

static void
on_state (GObject    *object,
          GParamSpec *pspec,
          gpointer    user_data)
{
  Side *side = user_data;

  if (side->ice_at == 0 &&
      nav_peer_connection_get_ice_connection_state (side->pc) == NAV_ICE_CONNECTION_STATE_CONNECTED)
    side->ice_at = now_ms ();
  if (side->connected_at == 0 &&
      nav_peer_connection_get_connection_state (side->pc) == NAV_PEER_CONNECTION_STATE_CONNECTED)
    side->connected_at = now_ms ();
}

static void
side_init (Pair           *pair,
           Side           *side,
           NavCertificate *certificate)
{
  g_autoptr (NavAddress) lo = nav_address_new_from_string ("127.0.0.1", NULL);

  side->pair = pair;
  side->pc = g_object_new (NAV_TYPE_PEER_CONNECTION, "main-context", pair->context,
                           "certificate", certificate, NULL);
  side->pending = g_ptr_array_new_with_free_func (g_free);
  nav_agent_add_local_address (nav_peer_connection_get_agent (side->pc), lo);
  g_signal_connect (side->pc, "ice-candidate", G_CALLBACK (on_candidate), side);
  g_signal_connect (side->pc, "notify::ice-connection-state", G_CALLBACK (on_state), side);
  g_signal_connect (side->pc, "notify::connection-state", G_CALLBACK (on_state), side);
}

typedef struct {
  gboolean offer;
  NavSessionDescription *description;
} Made;

static void
on_made (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Made *m = user_data;
  g_autoptr (GError) error = NULL;

  if (m->offer)
    m->description = nav_peer_connection_create_offer_finish (NAV_PEER_CONNECTION (source), result,
                                                              &error);
  else
    m->description = nav_peer_connection_create_answer_finish (NAV_PEER_CONNECTION (source),
                                                               result, &error);
  if (m->description == NULL)
    g_error ("%s", error->message);
}

static gboolean
made (gpointer data)
{
  return ((Made *) data)->description != NULL;
}

static gboolean
both_connected (gpointer data)
{
  Pair *pair = data;

  return pair->a.connected_at > 0 && pair->b.connected_at > 0 && pair->a.ice_at > 0 &&
         pair->b.ice_at > 0;
}

/* One connection set up; returns FALSE when it did not connect. */
static gboolean
pc_setup (NavCertificate *cert_a,
          NavCertificate *cert_b,
          gdouble        *ice_ms,
          gdouble        *total_ms)
{
  Pair pair = { 0 };
  Made offer = { TRUE, NULL }, answer = { FALSE, NULL };
  gdouble start;
  gboolean ok;

  pair.context = g_main_context_new ();
  g_main_context_push_thread_default (pair.context);
  side_init (&pair, &pair.a, cert_a);
  side_init (&pair, &pair.b, cert_b);

  start = now_ms ();
  nav_peer_connection_create_offer_async (pair.a.pc, NULL, on_made, &offer);
  wait_for (pair.context, made, &offer, 10);
  nav_peer_connection_set_local_description (pair.a.pc, offer.description, NULL);
  nav_peer_connection_set_remote_description (pair.b.pc, offer.description, NULL);
  flush (&pair.a);
  nav_peer_connection_create_answer_async (pair.b.pc, NULL, on_made, &answer);
  wait_for (pair.context, made, &answer, 10);
  nav_peer_connection_set_local_description (pair.b.pc, answer.description, NULL);
  nav_peer_connection_set_remote_description (pair.a.pc, answer.description, NULL);
  flush (&pair.b);
  ok = wait_for (pair.context, both_connected, &pair, 10);
  *ice_ms = MAX (pair.a.ice_at, pair.b.ice_at) - start;
  *total_ms = MAX (pair.a.connected_at, pair.b.connected_at) - start;

  nav_session_description_unref (offer.description);
  nav_session_description_unref (answer.description);
  nav_peer_connection_close (pair.a.pc);
  nav_peer_connection_close (pair.b.pc);
  g_object_unref (pair.a.pc);
  g_object_unref (pair.b.pc);
  g_ptr_array_unref (pair.a.pending);
  g_ptr_array_unref (pair.b.pending);
  while (g_main_context_iteration (pair.context, FALSE))
    ;
  g_main_context_pop_thread_default (pair.context);
  g_main_context_unref (pair.context);
  return ok;
}

/* ICE alone: two NavAgents as the connections configure theirs. */
typedef struct {
  NavAgent *agent;
  NavAgent *peer;
  gboolean ready;
} AgentSide;

static void
on_agent_candidate (NavAgent     *agent,
                    NavCandidate *candidate,
                    gpointer      user_data)
{
  AgentSide *side = user_data;
  GSList list = { candidate, NULL };

  if (candidate->type != NAV_CANDIDATE_TYPE_PEER_REFLEXIVE)
    nav_agent_set_remote_candidates (side->peer, 1, 1, &list);
}

static void
on_agent_state (NavAgent *agent,
                guint     stream_id,
                guint     component_id,
                guint     state,
                gpointer  user_data)
{
  AgentSide *side = user_data;

  /* READY: a pair is selected, data can flow (the peer connection's
   * ice-connection-state CONNECTED). */
  if (state == NAV_COMPONENT_STATE_READY)
    side->ready = TRUE;
}

static gboolean
agents_ready (gpointer data)
{
  AgentSide *sides = data;

  return sides[0].ready && sides[1].ready;
}

static gboolean
ice_setup (gdouble *ms)
{
  GMainContext *context = g_main_context_new ();
  AgentSide sides[2] = { { 0 } };
  g_autoptr (NavAddress) lo = nav_address_new_from_string ("127.0.0.1", NULL);
  gdouble start;
  gboolean ok;
  guint i;

  g_main_context_push_thread_default (context);
  for (i = 0; i < 2; i++)
    {
      sides[i].agent = nav_agent_new_full (context, NAV_COMPATIBILITY_RFC8445,
                                           NAV_AGENT_OPTION_ICE_TRICKLE);
      g_object_set (sides[i].agent, "controlling-mode", i == 0, NULL);
      nav_agent_add_local_address (sides[i].agent, lo);
      nav_agent_add_stream (sides[i].agent, 1);
    }
  for (i = 0; i < 2; i++)
    {
      g_autofree gchar *ufrag = NULL, *pwd = NULL;

      sides[i].peer = sides[1 - i].agent;
      g_signal_connect (sides[i].agent, "new-candidate-full", G_CALLBACK (on_agent_candidate),
                        &sides[i]);
      g_signal_connect (sides[i].agent, "component-state-changed", G_CALLBACK (on_agent_state),
                        &sides[i]);
      nav_agent_get_local_credentials (sides[i].agent, 1, &ufrag, &pwd);
      nav_agent_set_remote_credentials (sides[1 - i].agent, 1, ufrag, pwd);
    }
  start = now_ms ();
  nav_agent_gather_candidates (sides[0].agent, 1);
  nav_agent_gather_candidates (sides[1].agent, 1);
  ok = wait_for (context, agents_ready, sides, 10);
  *ms = now_ms () - start;
  for (i = 0; i < 2; i++)
    g_object_unref (sides[i].agent);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  return ok;
}

/* ------------------------------------------------------------ throughput */

typedef struct {
  GMainContext *context;
  NavChannel *sender;
  NavChannel *receiver;
  guint sent;
  guint received;
  guint64 bytes;
  guint8 *payload;
  gboolean blocked;
} Flow;

static void
count_received (NavChannel   *channel,
                const guint8 *data,
                gsize         len,
                gpointer      user_data)
{
  Flow *flow = user_data;

  flow->received++;
  flow->bytes += len;
}

static void
on_writable (NavChannel *channel,
             gpointer    user_data)
{
  ((Flow *) user_data)->blocked = FALSE;
}

static gboolean
send_batch (gpointer user_data)
{
  Flow *flow = user_data;
  GOutputVector vectors[256];
  NavOutputMessage messages[256];
  guint n = MIN ((guint) opt_batch, (guint) opt_count - flow->sent), i;
  gint taken;

  if (flow->blocked)
    return G_SOURCE_CONTINUE;
  for (i = 0; i < n; i++)
    {
      vectors[i].buffer = flow->payload;
      vectors[i].size = opt_size;
      messages[i].buffers = &vectors[i];
      messages[i].n_buffers = 1;
    }
  taken = nav_channel_send_messages (flow->sender, messages, n, NULL);
  if (taken < (gint) n)
    flow->blocked = TRUE;
  if (taken > 0)
    flow->sent += taken;
  return flow->sent < (guint) opt_count ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

typedef struct {
  Flow *flow;
  gdouble idle_since;
  guint last;
} Drain;

static gboolean
flow_done (gpointer data)
{
  Drain *d = data;
  Flow *flow = d->flow;

  if (flow->received >= (guint) opt_count)
    return TRUE;
  if (flow->sent < (guint) opt_count || flow->received != d->last)
    {
      d->last = flow->received;
      d->idle_since = now_ms ();
      return FALSE;
    }
  /* All sent, nothing more coming for 200 ms: the rest was lost. */
  return now_ms () - d->idle_since > 200;
}

typedef struct {
  gdouble mbps;
  gdouble cpu_ns;               /* per datagram, both sides */
  gdouble lost;
} Rate;

static Rate
measure (GMainContext *context,
         NavChannel   *sender,
         NavChannel   *receiver)
{
  Flow flow = { context, sender, receiver, 0, 0, 0, NULL, FALSE };
  Drain drain = { &flow, now_ms (), 0 };
  GSource *idle = g_idle_source_new ();
  gulong writable_id = g_signal_connect (sender, "writable", G_CALLBACK (on_writable), &flow);
  gdouble start, cpu_start, elapsed;
  Rate rate;

  flow.payload = g_malloc (opt_size);
  memset (flow.payload, 0x5a, opt_size);
  nav_channel_set_receive_func (receiver, count_received, &flow, NULL);
  g_source_set_callback (idle, send_batch, &flow, NULL);
  start = now_ms ();
  cpu_start = cpu_ms ();
  g_source_attach (idle, context);
  while (!flow_done (&drain))
    g_main_context_iteration (context, TRUE);
  elapsed = now_ms () - start;
  rate.cpu_ns = (cpu_ms () - cpu_start) * 1e6 / MAX (flow.received, 1);
  rate.mbps = flow.bytes / 1e6 / (elapsed / 1e3);
  rate.lost = 100.0 * (opt_count - flow.received) / opt_count;
  g_source_destroy (idle);
  g_source_unref (idle);
  g_signal_handler_disconnect (sender, writable_id);
  nav_channel_set_receive_func (receiver, NULL, NULL, NULL);
  g_free (flow.payload);
  return rate;
}

static gboolean
dtls_open (gpointer data)
{
  NavChannel **channels = data;

  return nav_channel_get_state (channels[0]) == NAV_CHANNEL_STATE_OPEN &&
         nav_channel_get_state (channels[1]) == NAV_CHANNEL_STATE_OPEN;
}

static gchar **
fingerprints_of (NavCertificate *certificate)
{
  g_autofree gchar *hex = nav_certificate_get_fingerprint (certificate, "sha-256");
  gchar **v = g_new0 (gchar *, 2);

  v[0] = g_strconcat ("sha-256 ", hex, NULL);
  return v;
}

static void
throughput_round (NavCertificate *cert_a,
                  NavCertificate *cert_b,
                  Rate           *plain,
                  Rate           *dtls,
                  gchar         **suite)
{
  GMainContext *context = g_main_context_new ();
  g_autoptr (NavAddress) any = nav_address_new_from_string ("127.0.0.1:0", NULL);
  g_autoptr (NavUdpTransport) ta = nav_udp_transport_new (any, context, NULL);
  g_autoptr (NavUdpTransport) tb = nav_udp_transport_new (any, context, NULL);
  g_autoptr (NavDatagramChannel) la = nav_datagram_channel_new (NAV_TRANSPORT (ta),
                                                                nav_transport_get_local_address (NAV_TRANSPORT (tb)));
  g_autoptr (NavDatagramChannel) lb = nav_datagram_channel_new (NAV_TRANSPORT (tb),
                                                                nav_transport_get_local_address (NAV_TRANSPORT (ta)));
  g_autoptr (NavDtlsChannel) da = NULL;
  g_autoptr (NavDtlsChannel) db = NULL;
  g_auto (GStrv) fa = fingerprints_of (cert_a);
  g_auto (GStrv) fb = fingerprints_of (cert_b);
  NavChannel *pair[2];
  NavDtlsBackend *backend = nav_dtls_backend_get_default (NULL);

  g_main_context_push_thread_default (context);
  *plain = measure (context, NAV_CHANNEL (la), NAV_CHANNEL (lb));

  da = nav_dtls_backend_create_channel (backend, NAV_CHANNEL (la), context, NULL);
  db = nav_dtls_backend_create_channel (backend, NAV_CHANNEL (lb), context, NULL);
  nav_dtls_channel_start (da, NAV_DTLS_ROLE_CLIENT, cert_a, (const gchar * const *) fb, 50, NULL);
  nav_dtls_channel_start (db, NAV_DTLS_ROLE_SERVER, cert_b, (const gchar * const *) fa, 50, NULL);
  pair[0] = NAV_CHANNEL (da);
  pair[1] = NAV_CHANNEL (db);
  if (!wait_for (context, dtls_open, pair, 10))
    g_error ("no DTLS handshake");
  if (*suite == NULL)
    *suite = g_strdup (nav_dtls_channel_get_cipher_suite (da));
  *dtls = measure (context, NAV_CHANNEL (da), NAV_CHANNEL (db));

  g_clear_object (&da);
  g_clear_object (&db);
  g_clear_object (&la);
  g_clear_object (&lb);
  g_clear_object (&ta);
  g_clear_object (&tb);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
}

/* ------------------------------------------------------------ main */

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GOptionContext) options = g_option_context_new ("- NavPeerConnection benchmark");
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ice_alone = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_autoptr (GArray) pc_ice = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_autoptr (GArray) pc_total = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_autoptr (GArray) pc_extra = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_autoptr (GArray) certs = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_autoptr (GArray) plain_mbps = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_autoptr (GArray) plain_cpu = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_autoptr (GArray) dtls_mbps = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_autoptr (GArray) dtls_cpu = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_autofree gchar *suite = NULL;
  gdouble lost = 0;
  gint i;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  opt_batch = CLAMP (opt_batch, 1, 256);

  /* Setup: ICE alone and peer connections, interleaved. */
  for (i = 0; i < opt_runs; i++)
    {
      g_autoptr (NavCertificate) cert_a = NULL;
      g_autoptr (NavCertificate) cert_b = NULL;
      gdouble t0 = now_ms (), ms, ice_ms, total_ms;

      cert_a = nav_certificate_generate (&error);
      if (cert_a == NULL)
        g_error ("%s", error->message);
      ms = now_ms () - t0;
      g_array_append_val (certs, ms);
      cert_b = nav_certificate_generate (NULL);
      if (ice_setup (&ms))
        g_array_append_val (ice_alone, ms);
      if (pc_setup (cert_a, cert_b, &ice_ms, &total_ms))
        {
          gdouble extra = total_ms - ice_ms;

          g_array_append_val (pc_ice, ice_ms);
          g_array_append_val (pc_total, total_ms);
          g_array_append_val (pc_extra, extra);
        }
    }

  /* Throughput. */
  for (i = 0; i < opt_rounds; i++)
    {
      g_autoptr (NavCertificate) cert_a = nav_certificate_generate (NULL);
      g_autoptr (NavCertificate) cert_b = nav_certificate_generate (NULL);
      Rate plain, dtls;

      throughput_round (cert_a, cert_b, &plain, &dtls, &suite);
      g_array_append_val (plain_mbps, plain.mbps);
      g_array_append_val (plain_cpu, plain.cpu_ns);
      g_array_append_val (dtls_mbps, dtls.mbps);
      g_array_append_val (dtls_cpu, dtls.cpu_ns);
      lost = MAX (lost, MAX (plain.lost, dtls.lost));
    }

  printf ("NavPeerConnection bench: setup median of %d runs (%u and %u connected); "
          "%d datagrams of %d bytes, batches of %d, loopback, median of %d rounds\n\n",
          opt_runs, ice_alone->len, pc_total->len, opt_count, opt_size, opt_batch, opt_rounds);
  printf ("Setup on loopback                                   median ms\n");
  printf ("  ICE alone (two NavAgents, gathering to READY)     %9.2f   (anchor)\n",
          median (ice_alone));
  printf ("  peer connection: create_offer to ICE connected    %9.2f\n", median (pc_ice));
  printf ("  peer connection: create_offer to DTLS open        %9.2f\n", median (pc_total));
  printf ("  what DTLS adds (same runs)                        %9.2f   (target <= 5 ms)\n",
          median (pc_extra));
  printf ("  above ICE alone                                   %9.2f\n",
          median (pc_total) - median (ice_alone));
  printf ("  certificate (ECDSA P-256), made before the clock  %9.2f\n\n", median (certs));
  {
    gdouble p = median (plain_mbps), d = median (dtls_mbps);
    gdouble pc = median (plain_cpu), dc = median (dtls_cpu);

    printf ("Datagrams on loopback (%s)\n", suite != NULL ? suite : "?");
    printf ("                                   MB/s    CPU ns/datagram\n");
    printf ("  datagram channel (anchor)    %8.1f    %8.0f\n", p, pc);
    printf ("  DTLS channel over it         %8.1f    %8.0f\n", d, dc);
    printf ("  DTLS / unencrypted: %.2f of the throughput (target >= 0.70); "
            "DTLS costs %.0f ns per datagram (%.0f%% of the throughput)\n",
            d / p, dc - pc, 100.0 * (1.0 - d / p));
    if (lost > 0)
      printf ("  (at most %.2f%% of the datagrams were lost in a round)\n", lost);
  }
  return 0;
}
