/* test-agent-attack.c: a third party sends datagrams to a connected
 * agent's candidates (issue 14, item 7): none reaches the application,
 * the legitimate peer's data keeps arriving, and the real libnice drops
 * them too
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two agents on 127.0.0.1 connect over UDP; then an attacker's socket
 * sends datagrams to every local candidate of the victim while the peer
 * sends its own.  Each of the attacker's datagrams is followed, in the
 * same burst, by one of the peer's: when the peer's last one has been
 * delivered, every earlier datagram on the victim's socket has been seen
 * too, so "none of the attacker's arrived" is an observation, not a
 * timeout.  RFC 8445 §11: data is accepted only from a source the checks
 * proved (libnice's valid candidates).
 *
 * The victim's application takes its data each way NavAgent offers:
 * nav_agent_attach_recv(), the new-data signal, nav_agent_recv_messages()
 * and the component's channel (nav_agent_get_channel()).  The last case
 * puts the real libnice (Debian's libnice-dev) in the same place: a
 * NavAgent and a NiceAgent connect and the attacker hits both.
 *
 * The latency of the peer's datagrams under the attack is printed and
 * bounded (19 in 20 within 100 ms and all within a second, times
 * NAV_TEST_TIME_SCALE under sanitizers), as is
 * the process's memory after the attack (within 20 % of before).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <agent.h>

#include <netavanue/netavanue.h>

#include "agent-test-util.h"

/* Bursts of the attack, each of BURST datagrams of the attacker's (to
 * every local candidate in turn) then one of the peer's. */
#define BURSTS 100
#define BURST 30
/* The liveness bound of issue 14, scaled by NAV_TEST_TIME_SCALE. */
#define LATENCY_BOUND_MS 100

static gdouble time_scale (void);

static const char evil[] = "evil";
static const char good[] = "good";

typedef enum {
  TAKE_ATTACH_RECV,
  TAKE_NEW_DATA,
  TAKE_RECV_MESSAGES,
  TAKE_CHANNEL,
} Take;

typedef struct {
  guint good;
  guint evil;
  guint last_seq;               /* of the peer's last datagram */
  gint64 max_latency;           /* µs */
  guint late;                   /* answers later than the bound */
  gint64 sent_at[BURSTS + 1];
} Tally;

/* A datagram is "good" or "evil", then a sequence number. */
static void
tally (Tally        *t,
       const guint8 *data,
       gsize         len)
{
  guint seq;

  if (len < 8)
    return;
  if (memcmp (data, evil, 4) == 0)
    {
      t->evil++;
      return;
    }
  if (memcmp (data, good, 4) != 0)
    return;
  memcpy (&seq, data + 4, 4);
  t->good++;
  t->last_seq = seq;
  if (seq <= BURSTS)
    {
      gint64 latency = g_get_monotonic_time () - t->sent_at[seq];

      t->max_latency = MAX (t->max_latency, latency);
      if (latency / 1000.0 >= LATENCY_BOUND_MS * time_scale ())
        t->late++;
    }
}

static void
on_recv (NavAgent *agent,
         guint     stream_id,
         guint     component_id,
         guint     len,
         gchar    *buf,
         Tally    *t)
{
  tally (t, (const guint8 *) buf, len);
}

static void
on_new_data (NavAgent *agent,
             guint     stream_id,
             guint     component_id,
             GBytes   *data,
             Tally    *t)
{
  gsize len;
  const guint8 *bytes = g_bytes_get_data (data, &len);

  tally (t, bytes, len);
}

static void
on_channel_receive (NavChannel   *channel,
                    const guint8 *data,
                    gsize         len,
                    gpointer      user_data)
{
  tally (user_data, data, len);
}

static void
on_channel_message (NavChannel *channel,
                    GBytes     *message,
                    Tally      *t)
{
  on_new_data (NULL, 0, 0, message, t);
}

static void
on_nice_recv (NiceAgent *agent,
              guint      stream_id,
              guint      component_id,
              guint      len,
              gchar     *buf,
              gpointer   data)
{
  tally (data, (const guint8 *) buf, len);
}

/* What the application has not taken yet (recv_messages), taken. */
static void
drain (NavAgent *agent,
       guint     stream_id,
       Tally    *t)
{
  guint8 buffers[8][256];
  GInputVector vectors[8];
  NavInputMessage messages[8];
  gint n, i;

  do
    {
      g_autoptr (GError) error = NULL;

      for (i = 0; i < 8; i++)
        {
          vectors[i] = (GInputVector) { buffers[i], sizeof buffers[i] };
          messages[i] = (NavInputMessage) { &vectors[i], 1, NULL, 0 };
        }
      n = nav_agent_recv_messages_nonblocking (agent, stream_id, 1, messages, 8, NULL, &error);
      if (n < 0)
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      for (i = 0; i < n; i++)
        tally (t, buffers[i], messages[i].length);
    }
  while (n > 0);
}

static gdouble
time_scale (void)
{
  const gchar *s = g_getenv ("NAV_TEST_TIME_SCALE");
  gdouble scale = s != NULL ? g_ascii_strtod (s, NULL) : 1.0;

  return scale >= 1.0 ? scale : 1.0;
}

/* The resident set of the process, in pages. */
static guint64
rss_pages (void)
{
  g_autofree gchar *statm = NULL;
  g_auto (GStrv) fields = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL));
  fields = g_strsplit (statm, " ", -1);
  return g_ascii_strtoull (fields[1], NULL, 10);
}

/* The victim's local UDP candidates: where the attacker aims. */
static GPtrArray *
targets_of (GSList *candidates)
{
  GPtrArray *targets = g_ptr_array_new_with_free_func (g_object_unref);

  for (GSList *l = candidates; l != NULL; l = l->next)
    {
      NavCandidate *c = l->data;

      if (c->transport == NAV_CANDIDATE_TRANSPORT_UDP)
        g_ptr_array_add (targets, nav_address_to_socket_address (&c->addr));
    }
  g_assert_cmpuint (targets->len, >, 0);
  return targets;
}

typedef void (*SendFunc) (gpointer peer, const guint8 *data, gsize len);
typedef void (*PumpFunc) (gpointer victim, Tally *t);

/* The attack: bursts of the attacker's datagrams to @targets, each
 * followed by one of the peer's (@send), until the peer's last one is in
 * (@pump runs the victim's side). */
static void
attack (GPtrArray   *targets,
        SendFunc     send,
        gpointer     peer,
        PumpFunc     pump,
        gpointer     victim,
        Tally       *t,
        const gchar *what)
{
  g_autoptr (GSocket) attacker = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                               G_SOCKET_PROTOCOL_UDP, NULL);
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_SECONDS * G_USEC_PER_SEC;
  guint64 rss_before, rss_after;
  guint8 datagram[64] = { 0 };
  guint burst, i, seq;

  g_assert_nonnull (attacker);
  rss_before = rss_pages ();
  for (burst = 1; burst <= BURSTS; burst++)
    {
      for (i = 0; i < BURST; i++)
        {
          GSocketAddress *target = g_ptr_array_index (targets, i % targets->len);

          seq = burst * BURST + i;
          memcpy (datagram, evil, 4);
          memcpy (datagram + 4, &seq, 4);
          g_assert_cmpint (g_socket_send_to (attacker, target, (const gchar *) datagram,
                                             sizeof datagram, NULL, NULL), ==, sizeof datagram);
        }
      seq = burst;
      memcpy (datagram, good, 4);
      memcpy (datagram + 4, &seq, 4);
      t->sent_at[burst] = g_get_monotonic_time ();
      send (peer, datagram, sizeof datagram);
      while (t->last_seq < burst)
        {
          g_main_context_iteration (NULL, FALSE);
          pump (victim, t);
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        }
    }
  rss_after = rss_pages ();

  g_test_message ("%s: %u of the peer's datagrams received, %u of the attacker's (of %u); "
                  "largest latency of the peer's under the attack %.1f ms; RSS %" G_GUINT64_FORMAT
                  " pages before, %" G_GUINT64_FORMAT " after", what, t->good, t->evil,
                  BURSTS * BURST, t->max_latency / 1000.0, rss_before, rss_after);
  g_assert_cmpuint (t->evil, ==, 0);
  g_assert_cmpuint (t->good, ==, BURSTS);
  /* 19 in 20 within the bound, every one within ten times it: a stall
   * lasts; one late datagram on a loaded machine is the scheduler's. */
  g_test_message ("%s: %u of %u later than %.0f ms", what, t->late, BURSTS,
                  LATENCY_BOUND_MS * time_scale ());
  g_assert_cmpuint (t->late * 20, <=, BURSTS);
  g_assert_cmpfloat (t->max_latency / 1000.0, <, 10 * LATENCY_BOUND_MS * time_scale ());
  g_assert_cmpuint (rss_after * 10, <=, rss_before * 12);
}

/* --------------------------------------------------------- two NavAgents */

typedef struct {
  NavAgent *agent;
  guint stream_id;
  gboolean gathered;
  NavComponentState state;
} Peer;

static void
peer_init (Peer     *p,
           gboolean  controlling)
{
  p->gathered = FALSE;
  p->agent = agent_test_new_loopback (NAV_AGENT_OPTION_NONE, &p->gathered);
  g_object_set (p->agent, "controlling-mode", controlling, "ice-tcp", FALSE,
                "stun-pacing-timer", 5, NULL);
  g_signal_connect (p->agent, "component-state-changed", G_CALLBACK (agent_test_set_state),
                    &p->state);
  p->stream_id = nav_agent_add_stream (p->agent, 1);
  p->state = NAV_COMPONENT_STATE_DISCONNECTED;
}

static gboolean
both_ready (gpointer data)
{
  Peer *p = data;

  return p[0].state == NAV_COMPONENT_STATE_READY && p[1].state == NAV_COMPONENT_STATE_READY;
}

static gboolean
both_gathered (gpointer data)
{
  Peer *p = data;

  return p[0].gathered && p[1].gathered;
}

static void
connect_peers (Peer *p)
{
  peer_init (&p[0], TRUE);
  peer_init (&p[1], FALSE);
  g_assert_true (nav_agent_gather_candidates (p[0].agent, p[0].stream_id));
  g_assert_true (nav_agent_gather_candidates (p[1].agent, p[1].stream_id));
  wait_for (both_gathered, p);
  agent_test_signal_credentials_both (p[0].agent, p[0].stream_id, p[1].agent, p[1].stream_id);
  agent_test_signal_candidates_both (p[0].agent, p[0].stream_id, p[1].agent, p[1].stream_id);
  wait_for (both_ready, p);
}

static void
nav_send (gpointer      peer,
          const guint8 *data,
          gsize         len)
{
  Peer *p = peer;

  g_assert_cmpint (nav_agent_send (p->agent, p->stream_id, 1, len, (const gchar *) data), ==,
                   (gint) len);
}

static void
pump_nothing (gpointer victim,
              Tally   *t)
{
}

static void
pump_recv_messages (gpointer victim,
                    Tally   *t)
{
  Peer *p = victim;

  drain (p->agent, p->stream_id, t);
}

static void
test_two_agents (gconstpointer data)
{
  Take take = GPOINTER_TO_UINT (data);
  g_autoptr (GPtrArray) targets = NULL;
  g_autoptr (NavChannel) channel = NULL;
  Tally t = { 0, };
  Peer p[2];
  GSList *local;

  connect_peers (p);
  local = nav_agent_get_local_candidates (p[0].agent, p[0].stream_id, 1);
  targets = targets_of (local);
  g_slist_free_full (local, (GDestroyNotify) nav_candidate_free);

  switch (take)
    {
    case TAKE_ATTACH_RECV:
      g_assert_true (nav_agent_attach_recv (p[0].agent, p[0].stream_id, 1, NULL,
                                            (NavAgentRecvFunc) on_recv, &t));
      break;
    case TAKE_NEW_DATA:
      g_signal_connect (p[0].agent, "new-data", G_CALLBACK (on_new_data), &t);
      break;
    case TAKE_RECV_MESSAGES:
      break;
    case TAKE_CHANNEL:
      channel = nav_agent_get_channel (p[0].agent, p[0].stream_id, 1);
      nav_channel_set_receive_func (channel, on_channel_receive, &t, NULL);
      break;
    }
  attack (targets, nav_send, &p[1], take == TAKE_RECV_MESSAGES ? pump_recv_messages : pump_nothing,
          &p[0], &t, "NavAgent");
  /* Counted as dropped, every one. */
  g_assert_cmpuint (nav_agent_get_dropped_datagrams (p[0].agent, p[0].stream_id, 1), ==,
                    BURSTS * BURST);

  /* The channel's message signal saw none of them either. */
  if (take == TAKE_CHANNEL)
    {
      Tally messages = { 0, };

      nav_channel_set_receive_func (channel, NULL, NULL, NULL);
      g_signal_connect (channel, "message", G_CALLBACK (on_channel_message), &messages);
      attack (targets, nav_send, &p[1], pump_nothing, &p[0], &messages,
              "NavAgent's channel, message signal");
      g_signal_handlers_disconnect_by_data (channel, &messages);
    }

  g_object_unref (p[0].agent);
  g_object_unref (p[1].agent);
}

/* ------------------------------------------------- the real libnice too */

typedef struct {
  NiceAgent *agent;
  guint stream_id;
  gboolean gathered;
  NiceComponentState state;
} NicePeer;

static void
on_nice_gathered (NiceAgent *agent,
                  guint      stream_id,
                  NicePeer  *p)
{
  p->gathered = TRUE;
}

static void
on_nice_state (NiceAgent *agent,
               guint      stream_id,
               guint      component_id,
               guint      state,
               NicePeer  *p)
{
  p->state = state;
}

typedef struct {
  Peer nav;
  NicePeer nice;
} Mixed;

static gboolean
mixed_gathered (gpointer data)
{
  Mixed *m = data;

  return m->nav.gathered && m->nice.gathered;
}

static gboolean
mixed_ready (gpointer data)
{
  Mixed *m = data;

  return m->nav.state == NAV_COMPONENT_STATE_READY &&
         m->nice.state == NICE_COMPONENT_STATE_READY;
}

static void
nice_send (gpointer      peer,
           const guint8 *data,
           gsize         len)
{
  NicePeer *p = peer;

  g_assert_cmpint (nice_agent_send (p->agent, p->stream_id, 1, len, (const gchar *) data), ==,
                   (gint) len);
}

/* The same SDP passes both ways: libnice's text is ours. */
static void
exchange_sdp (Mixed *m)
{
  g_autofree gchar *nav_sdp = nav_agent_generate_local_sdp (m->nav.agent);
  g_autofree gchar *nice_sdp = nice_agent_generate_local_sdp (m->nice.agent);

  g_assert_cmpint (nice_agent_parse_remote_sdp (m->nice.agent, nav_sdp), >, 0);
  g_assert_cmpint (nav_agent_parse_remote_sdp (m->nav.agent, nice_sdp), >, 0);
}

static void
test_libnice (void)
{
  g_autoptr (GPtrArray) nav_targets = NULL;
  g_autoptr (GPtrArray) nice_targets = NULL;
  Tally at_nav = { 0, }, at_nice = { 0, };
  NiceAddress addr;
  Mixed m = { 0, };
  GSList *local, *l;

  peer_init (&m.nav, TRUE);
  g_assert_true (nav_agent_set_stream_name (m.nav.agent, m.nav.stream_id, "application"));
  m.nice.agent = nice_agent_new (NULL, NICE_COMPATIBILITY_RFC5245);
  g_object_set (m.nice.agent, "controlling-mode", FALSE, "ice-tcp", FALSE, "upnp", FALSE, NULL);
  nice_address_init (&addr);
  nice_address_set_from_string (&addr, "127.0.0.1");
  nice_agent_add_local_address (m.nice.agent, &addr);
  g_signal_connect (m.nice.agent, "candidate-gathering-done", G_CALLBACK (on_nice_gathered),
                    &m.nice);
  g_signal_connect (m.nice.agent, "component-state-changed", G_CALLBACK (on_nice_state),
                    &m.nice);
  m.nice.stream_id = nice_agent_add_stream (m.nice.agent, 1);
  g_assert_true (nice_agent_set_stream_name (m.nice.agent, m.nice.stream_id, "application"));

  /* libnice reads its sockets only with a receive function attached. */
  g_assert_true (nav_agent_attach_recv (m.nav.agent, m.nav.stream_id, 1, NULL,
                                        (NavAgentRecvFunc) on_recv, &at_nav));
  g_assert_true (nice_agent_attach_recv (m.nice.agent, m.nice.stream_id, 1,
                                         g_main_context_default (), on_nice_recv, &at_nice));
  g_assert_true (nav_agent_gather_candidates (m.nav.agent, m.nav.stream_id));
  g_assert_true (nice_agent_gather_candidates (m.nice.agent, m.nice.stream_id));
  wait_for (mixed_gathered, &m);
  exchange_sdp (&m);
  wait_for (mixed_ready, &m);


  local = nav_agent_get_local_candidates (m.nav.agent, m.nav.stream_id, 1);
  nav_targets = targets_of (local);
  g_slist_free_full (local, (GDestroyNotify) nav_candidate_free);
  nice_targets = g_ptr_array_new_with_free_func (g_object_unref);
  local = nice_agent_get_local_candidates (m.nice.agent, m.nice.stream_id, 1);
  for (l = local; l != NULL; l = l->next)
    {
      NiceCandidate *c = l->data;
      gchar ip[NICE_ADDRESS_STRING_LEN];

      if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP)
        continue;
      nice_address_to_string (&c->addr, ip);
      g_ptr_array_add (nice_targets,
                       g_inet_socket_address_new_from_string (ip,
                                                              nice_address_get_port (&c->addr)));
    }
  g_slist_free_full (local, (GDestroyNotify) nice_candidate_free);
  g_assert_cmpuint (nice_targets->len, >, 0);

  attack (nav_targets, nice_send, &m.nice, pump_nothing, NULL, &at_nav,
          "NavAgent (its peer libnice)");
  attack (nice_targets, nav_send, &m.nav, pump_nothing, NULL, &at_nice,
          "libnice (its peer NavAgent)");

  g_object_unref (m.nav.agent);
  g_object_unref (m.nice.agent);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/attacks/agent/third-party-data/attach-recv",
                        GUINT_TO_POINTER (TAKE_ATTACH_RECV), test_two_agents);
  g_test_add_data_func ("/attacks/agent/third-party-data/new-data",
                        GUINT_TO_POINTER (TAKE_NEW_DATA), test_two_agents);
  g_test_add_data_func ("/attacks/agent/third-party-data/recv-messages",
                        GUINT_TO_POINTER (TAKE_RECV_MESSAGES), test_two_agents);
  g_test_add_data_func ("/attacks/agent/third-party-data/channel",
                        GUINT_TO_POINTER (TAKE_CHANNEL), test_two_agents);
  g_test_add_func ("/attacks/agent/third-party-data/libnice", test_libnice);

  return g_test_run ();
}
