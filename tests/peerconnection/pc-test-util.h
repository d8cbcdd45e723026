/* pc-test-util.h: two NavPeerConnections in one process, their
 * signaling a pair of queues the test may tamper with
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dtls-test-util.h"

/* Asserts @expr, with @error's message when it fails. */
#define CHECK_OK(expr) G_STMT_START { gboolean ok_ = (expr); g_assert_no_error (error); g_assert_true (ok_); } G_STMT_END

typedef struct _PcPair PcPair;
typedef gchar *(*SdpTamper) (const gchar *sdp, gpointer data);

typedef struct {
  PcPair *pair;
  NavPeerConnection *pc;
  GPtrArray *pending;           /* candidates for the other side, before its remote description */
  GPtrArray *candidates;        /* every candidate it emitted (NULL: end) */
  guint end_of_candidates;
  guint negotiation_needed;
  GPtrArray *received;          /* GBytes from its DTLS channel */
  GPtrArray *wire;              /* GBytes: every datagram its agent's channel received */
} PcSide;

struct _PcPair {
  GMainContext *context;
  PcSide a, b;
  gboolean trickle;             /* candidates go to the other side as they come */
  gboolean data_channels;       /* FALSE: the tests use the DTLS channel themselves */
};

static void pc_side_flush (PcSide *from, PcSide *to);

static inline PcSide *
pc_other (PcSide *side)
{
  return side == &side->pair->a ? &side->pair->b : &side->pair->a;
}

static inline void
on_pc_candidate (NavPeerConnection *pc,
                 const gchar       *candidate,
                 const gchar       *mid,
                 guint              index,
                 gpointer           user_data)
{
  PcSide *side = user_data;
  PcSide *other = pc_other (side);

  g_ptr_array_add (side->candidates, g_strdup (candidate));
  if (candidate == NULL)
    side->end_of_candidates++;
  g_ptr_array_add (side->pending, g_strdup (candidate));
  if (side->pair->trickle)
    pc_side_flush (side, other);
}

/* Hands @from's pending candidates to @to once @to has a remote
 * description. */
static void
pc_side_flush (PcSide *from,
               PcSide *to)
{
  g_autoptr (NavSessionDescription) remote = nav_peer_connection_get_remote_description (to->pc);
  guint i;

  if (remote == NULL)
    return;
  for (i = 0; i < from->pending->len; i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_true (nav_peer_connection_add_ice_candidate (to->pc,
                                                            g_ptr_array_index (from->pending, i),
                                                            "0", 0, &error));
      g_assert_no_error (error);
    }
  g_ptr_array_set_size (from->pending, 0);
}

static inline void
on_pc_negotiation_needed (NavPeerConnection *pc,
                          gpointer           user_data)
{
  PcSide *side = user_data;

  side->negotiation_needed++;
}

static inline void
on_pc_wire (NavChannel *channel,
            GBytes     *message,
            gpointer    user_data)
{
  PcSide *side = user_data;

  g_ptr_array_add (side->wire, g_bytes_ref (message));
}

static inline void
pc_side_init (PcPair            *pair,
              PcSide            *side,
              NavCertificate    *certificate)
{
  side->pair = pair;
  side->pc = g_object_new (NAV_TYPE_PEER_CONNECTION, "main-context", pair->context,
                           "certificate", certificate, "data-channels", pair->data_channels,
                           NULL);
  side->pending = g_ptr_array_new_with_free_func (g_free);
  side->candidates = g_ptr_array_new_with_free_func (g_free);
  side->received = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  side->wire = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_signal_connect (side->pc, "ice-candidate", G_CALLBACK (on_pc_candidate), side);
  g_signal_connect (side->pc, "negotiation-needed", G_CALLBACK (on_pc_negotiation_needed), side);
  /* Local addresses: loopback only, so that the test does not depend
   * on the machine's interfaces. */
  {
    g_autoptr (NavAddress) lo = nav_address_new_from_string ("127.0.0.1", NULL);

    nav_agent_add_local_address (nav_peer_connection_get_agent (side->pc), lo);
  }
  {
    g_autoptr (NavChannel) ice = nav_agent_get_channel (nav_peer_connection_get_agent (side->pc),
                                                        1, 1);

    g_signal_connect (ice, "message", G_CALLBACK (on_pc_wire), side);
  }
}

static inline void
pc_pair_init_options (PcPair         *pair,
                      NavCertificate *cert_a,
                      NavCertificate *cert_b,
                      gboolean        data_channels)
{
  memset (pair, 0, sizeof *pair);
  pair->context = g_main_context_new ();
  g_main_context_push_thread_default (pair->context);
  pair->trickle = TRUE;
  pair->data_channels = data_channels;
  pc_side_init (pair, &pair->a, cert_a);
  pc_side_init (pair, &pair->b, cert_b);
}

/* Two connections whose DTLS channels the test uses itself. */
static inline void
pc_pair_init_full (PcPair         *pair,
                   NavCertificate *cert_a,
                   NavCertificate *cert_b)
{
  pc_pair_init_options (pair, cert_a, cert_b, FALSE);
}

static inline void
pc_pair_init (PcPair *pair)
{
  pc_pair_init_full (pair, NULL, NULL);
}

static inline void
pc_side_clear (PcSide *side)
{
  /* The agent may outlive the connection while it closes (and deliver
   * what still arrives): the handlers go with @side. */
  if (side->pc != NULL)
    {
      g_autoptr (NavChannel) ice = nav_agent_get_channel (nav_peer_connection_get_agent (side->pc),
                                                          1, 1);

      if (ice != NULL)
        g_signal_handlers_disconnect_by_data (ice, side);
      g_signal_handlers_disconnect_by_data (side->pc, side);
    }
  g_clear_object (&side->pc);
  g_ptr_array_unref (side->pending);
  g_ptr_array_unref (side->candidates);
  g_ptr_array_unref (side->received);
  g_ptr_array_unref (side->wire);
}

static inline void
pc_pair_clear (PcPair *pair)
{
  pc_side_clear (&pair->a);
  pc_side_clear (&pair->b);
  /* Let the agents' closing and the worker threads' results finish. */
  test_run_for (pair->context, 20);
  g_main_context_pop_thread_default (pair->context);
  g_main_context_unref (pair->context);
}

typedef struct {
  gboolean offer;
  gboolean done;
  NavSessionDescription *description;
  GError *error;
} Creation;

static inline void
on_description (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Creation *c = user_data;
  NavPeerConnection *pc = NAV_PEER_CONNECTION (source);

  if (c->offer)
    c->description = nav_peer_connection_create_offer_finish (pc, result, &c->error);
  else
    c->description = nav_peer_connection_create_answer_finish (pc, result, &c->error);
  c->done = TRUE;
}

static inline gboolean
creation_done (gpointer data)
{
  return ((Creation *) data)->done;
}

/* Makes an offer or an answer; returns the error when it fails. */
static inline NavSessionDescription *
pc_try_create (PcPair             *pair,
               NavPeerConnection  *pc,
               gboolean            offer,
               GError            **error)
{
  Creation c = { offer, FALSE, NULL, NULL };

  if (offer)
    nav_peer_connection_create_offer_async (pc, NULL, on_description, &c);
  else
    nav_peer_connection_create_answer_async (pc, NULL, on_description, &c);
  test_wait (pair->context, creation_done, &c);
  if (c.error != NULL)
    g_propagate_error (error, c.error);
  return c.description;
}

static inline NavSessionDescription *
pc_create (PcPair            *pair,
           NavPeerConnection *pc,
           gboolean           offer)
{
  g_autoptr (GError) error = NULL;
  NavSessionDescription *description = pc_try_create (pair, pc, offer, &error);

  g_assert_no_error (error);
  return description;
}

/* What the peer receives: @description, or its text through @tamper. */
static inline NavSessionDescription *
pc_tampered (NavSessionDescription *description,
             SdpTamper              tamper,
             gpointer               data)
{
  g_autofree gchar *text = NULL;

  if (tamper == NULL)
    return nav_session_description_ref (description);
  text = tamper (nav_session_description_get_sdp (description), data);
  return nav_session_description_new (nav_session_description_get_sdp_type (description), text);
}

/* One offer/answer exchange from @offerer, the SDP texts passed through
 * @tamper_offer and @tamper_answer when given.  The candidates trickle
 * meanwhile. */
static inline void
pc_negotiate (PcPair    *pair,
              PcSide    *offerer,
              SdpTamper  tamper_offer,
              SdpTamper  tamper_answer,
              gpointer   data)
{
  PcSide *answerer = pc_other (offerer);
  g_autoptr (GError) error = NULL;
  g_autoptr (NavSessionDescription) offer = NULL;
  g_autoptr (NavSessionDescription) answer = NULL;
  g_autoptr (NavSessionDescription) sent_offer = NULL;
  g_autoptr (NavSessionDescription) sent_answer = NULL;

  offer = pc_create (pair, offerer->pc, TRUE);
  CHECK_OK (nav_peer_connection_set_local_description (offerer->pc, offer, &error));
  sent_offer = pc_tampered (offer, tamper_offer, data);
  CHECK_OK (nav_peer_connection_set_remote_description (answerer->pc, sent_offer, &error));
  pc_side_flush (offerer, answerer);
  answer = pc_create (pair, answerer->pc, FALSE);
  CHECK_OK (nav_peer_connection_set_local_description (answerer->pc, answer, &error));
  sent_answer = pc_tampered (answer, tamper_answer, data);
  CHECK_OK (nav_peer_connection_set_remote_description (offerer->pc, sent_answer, &error));
  pc_side_flush (answerer, offerer);
}

static inline gboolean
pc_both_settled (gpointer data)
{
  PcPair *pair = data;
  NavPeerConnectionState a = nav_peer_connection_get_connection_state (pair->a.pc);
  NavPeerConnectionState b = nav_peer_connection_get_connection_state (pair->b.pc);

  return (a == NAV_PEER_CONNECTION_STATE_CONNECTED || a == NAV_PEER_CONNECTION_STATE_FAILED) &&
         (b == NAV_PEER_CONNECTION_STATE_CONNECTED || b == NAV_PEER_CONNECTION_STATE_FAILED);
}

static inline gboolean
pc_both_connected (gpointer data)
{
  PcPair *pair = data;

  return nav_peer_connection_get_connection_state (pair->a.pc) == NAV_PEER_CONNECTION_STATE_CONNECTED &&
         nav_peer_connection_get_connection_state (pair->b.pc) == NAV_PEER_CONNECTION_STATE_CONNECTED;
}

static inline void
on_pc_message (NavChannel *channel,
               GBytes     *message,
               gpointer    user_data)
{
  PcSide *side = user_data;

  g_ptr_array_add (side->received, g_bytes_ref (message));
}

/* Follows what each side's DTLS channel delivers. */
static inline void
pc_pair_listen (PcPair *pair)
{
  g_signal_connect (nav_peer_connection_get_dtls_channel (pair->a.pc), "message",
                    G_CALLBACK (on_pc_message), &pair->a);
  g_signal_connect (nav_peer_connection_get_dtls_channel (pair->b.pc), "message",
                    G_CALLBACK (on_pc_message), &pair->b);
}

/* Replaces the first occurrence of @from by @to. */
static inline gchar *
replace_once (const gchar *text,
              const gchar *from,
              const gchar *to)
{
  const gchar *at = strstr (text, from);

  g_assert_nonnull (at);
  return g_strdup_printf ("%.*s%s%s", (int) (at - text), text, to, at + strlen (from));
}
