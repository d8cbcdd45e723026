/* test-agent-channel.c: a channel stacked on a NavAgent's channel carries
 * the data of two agents, over ICE-TCP then, after an ICE restart, over
 * UDP, without noticing the path change
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The stacked channel is the smallest NavChannel a DTLS or SCTP layer
 * would be: it prefixes a 4-byte header on what it sends and strips it
 * from what it receives, through the lower channel's send_data,
 * send_messages (batches), receive function (no GBytes), MTU and
 * state-changed.  Each agent's channel (nav_agent_get_channel()) is
 * wrapped before the agents connect.
 */
#include "config.h"

#include <string.h>

#include <netavanue/netavanue.h>

#include "agent-test-util.h"

/* ------------------------------------------------- the stacked channel */

#define HEADER "HDR1"
#define HEADER_LEN 4

#define TEST_TYPE_HEADER_CHANNEL (test_header_channel_get_type ())
G_DECLARE_FINAL_TYPE (TestHeaderChannel, test_header_channel, TEST, HEADER_CHANNEL, GObject)

struct _TestHeaderChannel
{
  GObject parent_instance;
  NavChannel *lower;
  gulong state_id;
  guint malformed;              /* received without the header: dropped */
};

enum {
  PROP_0,
  PROP_STATE,
  PROP_ORDERED,
  PROP_RELIABLE,
  PROP_BUFFERED_AMOUNT,
  PROP_BUFFERED_AMOUNT_LOW_THRESHOLD,
};

static void test_header_channel_iface_init (NavChannelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestHeaderChannel, test_header_channel, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (NAV_TYPE_CHANNEL,
                                                      test_header_channel_iface_init))

static gboolean
header_send_data (NavChannel    *channel,
                  const guint8  *data,
                  gsize          len,
                  GError       **error)
{
  TestHeaderChannel *self = TEST_HEADER_CHANNEL (channel);
  g_autofree guint8 *framed = g_malloc (len + HEADER_LEN);

  memcpy (framed, HEADER, HEADER_LEN);
  memcpy (framed + HEADER_LEN, data, len);
  return nav_channel_send_data (self->lower, framed, len + HEADER_LEN, error);
}

/* A batch stays a batch below: each message gets the header as a first
 * buffer of its own. */
static gint
header_send_messages (NavChannel              *channel,
                      const NavOutputMessage  *messages,
                      guint                    n_messages,
                      GError                 **error)
{
  TestHeaderChannel *self = TEST_HEADER_CHANNEL (channel);
  g_autoptr (GPtrArray) vectors = g_ptr_array_new_with_free_func (g_free);
  g_autofree NavOutputMessage *framed = g_new0 (NavOutputMessage, n_messages);

  for (guint i = 0; i < n_messages; i++)
    {
      guint n;
      GOutputVector *v;

      nav_output_message_get_size (&messages[i], &n);
      v = g_new (GOutputVector, n + 1);
      v[0] = (GOutputVector) { HEADER, HEADER_LEN };
      memcpy (v + 1, messages[i].buffers, n * sizeof (GOutputVector));
      framed[i] = (NavOutputMessage) { v, n + 1 };
      g_ptr_array_add (vectors, v);
    }
  return nav_channel_send_messages (self->lower, framed, n_messages, error);
}

static gsize
header_get_mtu (NavChannel *channel)
{
  gsize mtu = nav_channel_get_mtu (TEST_HEADER_CHANNEL (channel)->lower);

  return mtu > HEADER_LEN ? mtu - HEADER_LEN : 0;
}

static void
header_close (NavChannel *channel)
{
  nav_channel_close (TEST_HEADER_CHANNEL (channel)->lower);
}

static void
test_header_channel_iface_init (NavChannelInterface *iface)
{
  iface->send_data = header_send_data;
  iface->send_messages = header_send_messages;
  iface->get_mtu = header_get_mtu;
  iface->close = header_close;
}

static void
on_lower_receive (NavChannel   *lower,
                  const guint8 *data,
                  gsize         len,
                  gpointer      user_data)
{
  TestHeaderChannel *self = user_data;

  if (len < HEADER_LEN || memcmp (data, HEADER, HEADER_LEN) != 0)
    {
      self->malformed++;
      return;
    }
  nav_channel_deliver (NAV_CHANNEL (self), data + HEADER_LEN, len - HEADER_LEN);
}

static void
on_lower_state (NavChannel      *lower,
                NavChannelState  state,
                gpointer         user_data)
{
  nav_channel_emit_state_changed (NAV_CHANNEL (user_data), state);
}

static void
test_header_channel_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  TestHeaderChannel *self = TEST_HEADER_CHANNEL (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, nav_channel_get_state (self->lower));
      break;
    case PROP_ORDERED:
      g_value_set_boolean (value, nav_channel_get_ordered (self->lower));
      break;
    case PROP_RELIABLE:
      g_value_set_boolean (value, nav_channel_get_reliable (self->lower));
      break;
    case PROP_BUFFERED_AMOUNT:
    case PROP_BUFFERED_AMOUNT_LOW_THRESHOLD:
      g_value_set_uint64 (value, 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_header_channel_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  if (prop_id != PROP_BUFFERED_AMOUNT_LOW_THRESHOLD)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
test_header_channel_dispose (GObject *object)
{
  TestHeaderChannel *self = TEST_HEADER_CHANNEL (object);

  if (self->lower != NULL)
    {
      nav_channel_set_receive_func (self->lower, NULL, NULL, NULL);
      g_clear_signal_handler (&self->state_id, self->lower);
      g_clear_object (&self->lower);
    }
  G_OBJECT_CLASS (test_header_channel_parent_class)->dispose (object);
}

static void
test_header_channel_class_init (TestHeaderChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = test_header_channel_get_property;
  object_class->set_property = test_header_channel_set_property;
  object_class->dispose = test_header_channel_dispose;
  g_object_class_override_property (object_class, PROP_STATE, "state");
  g_object_class_override_property (object_class, PROP_ORDERED, "ordered");
  g_object_class_override_property (object_class, PROP_RELIABLE, "reliable");
  g_object_class_override_property (object_class, PROP_BUFFERED_AMOUNT, "buffered-amount");
  g_object_class_override_property (object_class, PROP_BUFFERED_AMOUNT_LOW_THRESHOLD,
                                    "buffered-amount-low-threshold");
}

static void
test_header_channel_init (TestHeaderChannel *self)
{
}

/* Stacks on @lower: takes its received messages and follows its state. */
static TestHeaderChannel *
test_header_channel_new (NavChannel *lower)
{
  TestHeaderChannel *self = g_object_new (TEST_TYPE_HEADER_CHANNEL, NULL);

  self->lower = g_object_ref (lower);
  nav_channel_set_receive_func (lower, on_lower_receive, self, NULL);
  self->state_id = g_signal_connect (lower, "state-changed", G_CALLBACK (on_lower_state), self);
  return self;
}

/* --------------------------------------------------------------- peers */

typedef struct {
  NavAgent *agent;
  guint stream_id;
  gboolean gathered;
  NavComponentState state;
  guint selected;               /* new-selected-pair-full emissions */
  NavCandidate *selected_local;
  NavChannel *channel;          /* the agent's */
  TestHeaderChannel *header;    /* stacked on it */
  GPtrArray *states;            /* NavChannelState of the stacked channel, as emitted */
  GPtrArray *received;          /* GBytes, from the stacked channel */
  GPtrArray *wire;              /* GBytes, the agent channel's message signal */
  guint transport_notified;
  guint attached;               /* what attach_recv's function got */
} Peer;

static void
on_selected (NavAgent     *agent,
             guint         stream_id,
             guint         component_id,
             NavCandidate *local,
             NavCandidate *remote,
             Peer         *p)
{
  g_clear_pointer (&p->selected_local, nav_candidate_free);
  p->selected_local = nav_candidate_copy (local);
  p->selected++;
}

static void
on_header_message (NavChannel *channel,
                   GBytes     *message,
                   Peer       *p)
{
  g_ptr_array_add (p->received, g_bytes_ref (message));
}

static void
on_wire (NavChannel *channel,
         GBytes     *message,
         Peer       *p)
{
  g_ptr_array_add (p->wire, g_bytes_ref (message));
}

static void
on_header_state (NavChannel      *channel,
                 NavChannelState  state,
                 Peer            *p)
{
  g_ptr_array_add (p->states, GUINT_TO_POINTER (state));
}

static void
on_transport_notify (GObject    *channel,
                     GParamSpec *pspec,
                     Peer       *p)
{
  p->transport_notified++;
}

static void
on_attached (NavAgent *agent,
             guint     stream_id,
             guint     component_id,
             guint     len,
             gchar    *buf,
             gpointer  data)
{
  ((Peer *) data)->attached++;
}

static void
peer_init (Peer     *p,
           gboolean  controlling)
{
  memset (p, 0, sizeof *p);
  p->agent = agent_test_new_loopback (NAV_AGENT_OPTION_NONE, &p->gathered);
  g_object_set (p->agent, "controlling-mode", controlling, "stun-pacing-timer", 5, NULL);
  g_signal_connect (p->agent, "component-state-changed", G_CALLBACK (agent_test_set_state),
                    &p->state);
  g_signal_connect (p->agent, "new-selected-pair-full", G_CALLBACK (on_selected), p);
  p->stream_id = nav_agent_add_stream (p->agent, 1);
  g_assert_true (nav_agent_attach_recv (p->agent, p->stream_id, 1, NULL, on_attached, p));
  p->states = g_ptr_array_new ();
  p->received = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  p->wire = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  /* Stacked before any pair is selected: the layer is there from the
   * start, as a DTLS one would be. */
  p->channel = nav_agent_get_channel (p->agent, p->stream_id, 1);
  g_assert_nonnull (p->channel);
  g_assert_true (NAV_IS_DATAGRAM_CHANNEL (p->channel));
  g_assert_cmpint (nav_channel_get_state (p->channel), ==, NAV_CHANNEL_STATE_CONNECTING);
  p->header = test_header_channel_new (p->channel);
  g_signal_connect (p->header, "message", G_CALLBACK (on_header_message), p);
  g_signal_connect (p->header, "state-changed", G_CALLBACK (on_header_state), p);
  g_signal_connect (p->channel, "message", G_CALLBACK (on_wire), p);
  g_signal_connect (p->channel, "notify::transport", G_CALLBACK (on_transport_notify), p);
}

static void
peer_clear (Peer *p)
{
  g_clear_object (&p->header);
  g_clear_object (&p->channel);
  g_clear_object (&p->agent);
  g_clear_pointer (&p->selected_local, nav_candidate_free);
  g_ptr_array_unref (p->states);
  g_ptr_array_unref (p->received);
  g_ptr_array_unref (p->wire);
}

static gboolean
both_gathered (gpointer data)
{
  Peer *p = data;

  return p[0].gathered && p[1].gathered;
}

/* The local candidates of @from over @transport (UDP, or any TCP) to
 * @to. */
static void
signal_candidates (Peer     *from,
                   Peer     *to,
                   gboolean  udp)
{
  GSList *all = nav_agent_get_local_candidates (from->agent, from->stream_id, 1);
  GSList *some = NULL;

  for (GSList *l = all; l != NULL; l = l->next)
    {
      NavCandidate *c = l->data;

      if ((c->transport == NAV_CANDIDATE_TRANSPORT_UDP) == udp)
        some = g_slist_append (some, nav_candidate_copy (c));
    }
  g_slist_free_full (all, (GDestroyNotify) nav_candidate_free);
  agent_test_signal_candidates (to->agent, to->stream_id, 1, some);
}

typedef struct {
  Peer *p;
  guint selected;               /* emissions to wait for, each */
  gboolean udp;
} PathWait;

/* Both have selected a pair of the wanted kind, and their channels
 * are open. */
static gboolean
on_path (gpointer data)
{
  PathWait *w = data;

  for (guint i = 0; i < 2; i++)
    {
      Peer *p = &w->p[i];

      if (p->selected < w->selected || p->selected_local == NULL ||
          (p->selected_local->transport == NAV_CANDIDATE_TRANSPORT_UDP) != w->udp ||
          nav_channel_get_state (NAV_CHANNEL (p->header)) != NAV_CHANNEL_STATE_OPEN)
        return FALSE;
    }
  return TRUE;
}

typedef struct {
  Peer *p;
  guint n;
} CountWait;

static gboolean
received_n (gpointer data)
{
  CountWait *w = data;

  return w->p->received->len >= w->n;
}

static void
assert_message (Peer        *p,
                guint        i,
                const gchar *text)
{
  GBytes *b = g_ptr_array_index (p->received, i);

  g_assert_cmpmem (g_bytes_get_data (b, NULL), g_bytes_get_size (b), text, strlen (text));
}

/* Sends @texts through @from's stacked channel: the first with send_data,
 * the others in one batch. */
static void
send_texts (Peer         *from,
            const gchar **texts,
            guint         n)
{
  g_autoptr (GError) error = NULL;
  GOutputVector vectors[8];
  NavOutputMessage messages[8];

  g_assert_true (nav_channel_send_data (NAV_CHANNEL (from->header), (const guint8 *) texts[0],
                                        strlen (texts[0]), &error));
  g_assert_no_error (error);
  for (guint i = 1; i < n; i++)
    {
      vectors[i] = (GOutputVector) { texts[i], strlen (texts[i]) };
      messages[i] = (NavOutputMessage) { &vectors[i], 1 };
    }
  if (n > 1)
    {
      g_assert_cmpint (nav_channel_send_messages (NAV_CHANNEL (from->header), messages + 1, n - 1,
                                                  &error), ==, (gint) n - 1);
      g_assert_no_error (error);
    }
}

static void
exchange_both_ways (Peer        *p,
                    const gchar *tag)
{
  for (guint i = 0; i < 2; i++)
    {
      Peer *from = &p[i], *to = &p[1 - i];
      g_autofree gchar *one = g_strdup_printf ("%s one %u", tag, i);
      g_autofree gchar *two = g_strdup_printf ("%s two %u", tag, i);
      g_autofree gchar *three = g_strdup_printf ("%s three %u", tag, i);
      const gchar *texts[] = { one, two, three };
      guint before = to->received->len;
      guint wire_before = to->wire->len;
      CountWait w = { to, before + 3 };

      send_texts (from, texts, 3);
      wait_for (received_n, &w);
      for (guint j = 0; j < 3; j++)
        assert_message (to, before + j, texts[j]);
      /* On the wire, below the stacked channel: with the header. */
      g_assert_cmpuint (to->wire->len, ==, wire_before + 3);
      {
        GBytes *raw = g_ptr_array_index (to->wire, wire_before);
        g_autofree gchar *expected = g_strconcat (HEADER, one, NULL);

        g_assert_cmpmem (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), expected,
                         strlen (expected));
      }
    }
}

static gboolean
attached (gpointer data)
{
  return ((Peer *) data)->attached > 0;
}

static void
test_stacked_through_restart (void)
{
  Peer p[2];
  PathWait path = { p, 1, FALSE };
  g_autoptr (NavChannel) again = NULL;
  g_autoptr (GError) error = NULL;
  NavTransport *tcp_transport;

  peer_init (&p[0], TRUE);
  peer_init (&p[1], FALSE);
  g_assert_true (nav_agent_gather_candidates (p[0].agent, p[0].stream_id));
  g_assert_true (nav_agent_gather_candidates (p[1].agent, p[1].stream_id));
  wait_for (both_gathered, p);

  /* First over ICE-TCP only: the channel is bound to an RFC 4571 path. */
  agent_test_signal_credentials_both (p[0].agent, p[0].stream_id, p[1].agent, p[1].stream_id);
  signal_candidates (&p[0], &p[1], FALSE);
  signal_candidates (&p[1], &p[0], FALSE);
  wait_for (on_path, &path);
  g_assert_cmpuint (p[0].states->len, ==, 1);
  g_assert_cmpint (GPOINTER_TO_UINT (g_ptr_array_index (p[0].states, 0)), ==,
                   NAV_CHANNEL_STATE_OPEN);
  tcp_transport = nav_datagram_channel_get_transport (NAV_DATAGRAM_CHANNEL (p[0].channel));
  g_assert_nonnull (tcp_transport);
  g_assert_true (tcp_transport == p[0].selected_local->owner);
  g_assert_true (nav_channel_get_reliable (NAV_CHANNEL (p[0].header)));
  g_assert_cmpuint (nav_channel_get_mtu (NAV_CHANNEL (p[0].header)), ==, 65535 - HEADER_LEN);
  exchange_both_ways (p, "tcp");

  /* An ICE restart to UDP only: the agents rebind their channels to the
   * new pair; the stacked channels carry on, none the wiser. */
  g_assert_true (nav_agent_restart_stream (p[0].agent, p[0].stream_id));
  g_assert_true (nav_agent_restart_stream (p[1].agent, p[1].stream_id));
  agent_test_signal_credentials_both (p[0].agent, p[0].stream_id, p[1].agent, p[1].stream_id);
  signal_candidates (&p[0], &p[1], TRUE);
  signal_candidates (&p[1], &p[0], TRUE);
  path = (PathWait) { p, 2, TRUE };
  wait_for (on_path, &path);
  again = nav_agent_get_channel (p[0].agent, p[0].stream_id, 1);
  g_assert_true (again == p[0].channel);
  g_assert_true (nav_datagram_channel_get_transport (NAV_DATAGRAM_CHANNEL (p[0].channel)) !=
                 tcp_transport);
  g_assert_cmpuint (p[0].transport_notified, >=, 2);
  g_assert_false (nav_channel_get_reliable (NAV_CHANNEL (p[0].header)));
  g_assert_cmpuint (nav_channel_get_mtu (NAV_CHANNEL (p[0].header)), ==, 1200 - HEADER_LEN);
  /* Never closed nor reconnecting on the way. */
  g_assert_cmpuint (p[0].states->len, ==, 1);
  exchange_both_ways (p, "udp");

  /* The layer took everything: attach_recv's function got nothing,
   * and nothing arrived without the header. */
  g_assert_cmpuint (p[0].attached + p[1].attached, ==, 0);
  g_assert_cmpuint (p[0].header->malformed + p[1].header->malformed, ==, 0);

  /* Unstacked, the data goes to attach_recv's function again. */
  g_clear_object (&p[1].header);
  g_assert_cmpint (nav_agent_send (p[0].agent, p[0].stream_id, 1, 5, "plain"), ==, 5);
  wait_for (attached, &p[1]);

  /* The stream goes: the channel closes for good. */
  nav_agent_remove_stream (p[0].agent, p[0].stream_id);
  g_assert_cmpint (nav_channel_get_state (p[0].channel), ==, NAV_CHANNEL_STATE_CLOSED);
  g_assert_cmpuint (p[0].states->len, ==, 2);
  g_assert_cmpint (GPOINTER_TO_UINT (g_ptr_array_index (p[0].states, 1)), ==,
                   NAV_CHANNEL_STATE_CLOSED);
  g_assert_false (nav_channel_send_data (NAV_CHANNEL (p[0].header), (const guint8 *) "late", 4,
                                         &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_CLOSED);

  peer_clear (&p[0]);
  peer_clear (&p[1]);
}

/* The application keeps the channel after the agent is gone: it says so,
 * and stays safe to use. */
static void
test_channel_outlives_agent (void)
{
  g_autoptr (GError) error = NULL;
  NavChannel *channel;
  Peer p;

  peer_init (&p, TRUE);
  channel = g_object_ref (p.channel);
  g_clear_object (&p.header);
  g_clear_object (&p.agent);
  g_assert_cmpint (nav_channel_get_state (channel), ==, NAV_CHANNEL_STATE_CLOSED);
  g_assert_false (nav_channel_send_data (channel, (const guint8 *) "x", 1, &error));
  g_assert_error (error, NAV_ERROR, NAV_ERROR_CLOSED);
  nav_channel_close (channel);
  g_object_unref (channel);
  peer_clear (&p);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ice/agent/channel/stacked-through-restart", test_stacked_through_restart);
  g_test_add_func ("/ice/agent/channel/outlives-agent", test_channel_outlives_agent);

  return g_test_run ();
}
