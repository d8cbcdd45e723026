/* nav-ice-consent.c: consent freshness (RFC 7675) and keepalives
 * (RFC 8445 §11) on selected pairs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "nav-ice-checker-private.h"

/* ------------------------------------------------------- consent (7675) */

/* A consent request is a transaction of the STUN engine like a check:
 * retransmitted on RFC 8489's schedule (RFC 7675 §5.1 leaves that to
 * STUN), but only until the next request is due, so that a silent peer
 * costs one request in flight at a time.  Failing to send it is no
 * failure: consent simply expires by the clock (consent_cb()). */
static gboolean
send_consent (NavStunTransaction  *transaction,
              const guint8        *data,
              gsize                len,
              gpointer             user_data,
              GError             **error)
{
  Pair *pair = user_data;

  pair->consent_requests_sent++;
  return nav_ice_send_request (pair, data, len, FALSE, error);
}

/* The responses are judged in nav_ice_handle_consent_response(). */
static void
consent_done (NavStunTransaction *transaction,
              NavStunMessage     *response,
              const GError       *error,
              gpointer            user_data)
{
}

static void
start_consent (NavIceChecker *self,
               Pair          *pair)
{
  g_autoptr (GBytes) request = nav_ice_build_request (self, pair, FALSE);
  NavStunRetransmitParams params;
  NavStunTransaction **slot;
  guint64 next;

  if (request == NULL)
    return;
  params.rto_ms = MAX (self->stun_initial_timeout, 1);
  params.rm = 0;
  /* Transmissions at 0, RTO, 3 RTO, 7 RTO…: those before the next
   * request is due. */
  params.rc = 1;
  for (next = params.rto_ms;
       params.rc < self->stun_max_retransmissions + 1 && next < self->consent_interval;
       next = 2 * next + params.rto_ms)
    params.rc++;
  params.ti_ms = MAX (MIN (self->stun_reliable_timeout, self->consent_interval), 1);
  slot = &pair->consent[pair->consent_next];
  pair->consent_next = (pair->consent_next + 1) % CONSENT_TIDS;
  g_clear_pointer (slot, nav_stun_transaction_free);
  *slot = nav_ice_transaction_new (self, pair, request, &params, send_consent, consent_done);
  if (nav_ice_is_tcp (pair->local->transport))
    nav_stun_transaction_set_mode (*slot, NAV_STUN_RETRANSMIT_RELIABLE);
  nav_stun_transaction_start (*slot);
}

static gboolean
consent_cb (gpointer user_data)
{
  NavIceChecker *self = user_data;
  GHashTableIter iter, citer;
  Stream *stream;
  Component *component;
  gint64 now = g_get_monotonic_time ();
  gboolean any = FALSE;

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
    {
      g_hash_table_iter_init (&citer, stream->components);
      while (g_hash_table_iter_next (&citer, NULL, (gpointer *) &component))
        {
          Pair *pair = component->selected;

          if (pair == NULL || component->state != NAV_COMPONENT_STATE_READY)
            continue;
          any = TRUE;
          if (self->consent_freshness)
            {
              /* RFC 7675 §5.1: consent is lost when no response came
               * within the timeout. */
              if (now - pair->last_consent > (gint64) self->consent_timeout * 1000)
                {
                  g_debug ("Stream %u component %u: consent expired", stream->id,
                           component->id);
                  nav_ice_set_component_state (self, component, NAV_COMPONENT_STATE_FAILED);
                  continue;
                }
              if (now >= pair->next_consent)
                {
                  start_consent (self, pair);
                  pair->next_consent = now + (gint64) self->consent_interval * 1000 *
                                             g_random_double_range (0.8, 1.2);
                }
            }
          else if (now - self->last_keepalive > (gint64) self->keepalive_interval * 1000)
            {
              /* RFC 8445 §11: a Binding indication keeps the bindings. */
              g_autoptr (NavStunMessageBuilder) builder =
                nav_stun_message_builder_new (NAV_STUN_CLASS_INDICATION,
                                              NAV_STUN_METHOD_BINDING, NULL);
              g_autoptr (GBytes) bytes = NULL;

              nav_stun_message_builder_add_fingerprint (builder, NULL);
              bytes = nav_stun_message_builder_finish (builder, NULL);
              if (bytes != NULL)
                nav_ice_send_on (pair->local, &pair->remote->addr, g_bytes_get_data (bytes, NULL),
                                 g_bytes_get_size (bytes), NULL);
            }
        }
    }
  if (!self->consent_freshness && now - self->last_keepalive > (gint64) self->keepalive_interval * 1000)
    self->last_keepalive = now;
  if (!any)
    {
      g_source_destroy (self->consent_tick);
      g_clear_pointer (&self->consent_tick, g_source_unref);
    }
  nav_ice_unlock_and_emit (self);
  return G_SOURCE_CONTINUE;
}

void
nav_ice_schedule_consent (NavIceChecker *self)
{
  guint period;

  if (self->consent_tick != NULL)
    return;
  period = self->consent_freshness ? MIN (self->consent_interval, self->consent_timeout) / 4
                                   : self->keepalive_interval / 4;
  self->consent_tick = g_timeout_source_new (CLAMP (period, 5, 1000));
  g_source_set_callback (self->consent_tick, consent_cb, self, NULL);
  g_source_set_static_name (self->consent_tick, "[nav-ice] consent");
  g_source_attach (self->consent_tick, self->context);
}

gboolean
nav_ice_handle_consent_response (NavIceChecker    *self,
                         NavStunMessage   *msg,
                         const NavAddress *from)
{
  GHashTableIter iter, citer;
  Stream *stream;
  Component *component;

  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
    {
      g_hash_table_iter_init (&citer, stream->components);
      while (g_hash_table_iter_next (&citer, NULL, (gpointer *) &component))
        {
          Pair *pair = component->selected;
          guint i;

          if (pair == NULL)
            continue;
          for (i = 0; i < CONSENT_TIDS; i++)
            if (pair->consent[i] != NULL &&
                nav_stun_message_has_transaction_id (msg,
                                                     nav_stun_transaction_get_id (pair->consent[i])))
              {
                gsize key_len;
                const guint8 *key = g_bytes_get_data (stream->remote_key, &key_len);
                gboolean authentic = nav_address_equal (from, &pair->remote->addr) &&
                                     nav_stun_message_check_integrity (msg, key, key_len, NULL);

                /* An authentic answer ends the request's retransmissions;
                 * one to an earlier request still counts below. */
                if (authentic && nav_stun_transaction_handle_response (pair->consent[i], msg))
                  nav_ice_pair_count_response (pair,
                                               nav_stun_transaction_get_rtt (pair->consent[i]));

                /* RFC 7675 §5.1: only an authenticated success response
                 * from the peer refreshes consent. */
                if (nav_stun_message_get_class (msg) == NAV_STUN_CLASS_SUCCESS_RESPONSE &&
                    authentic)
                  pair->last_consent = g_get_monotonic_time ();
                /* RFC 7675 §5.2: an authenticated 403 revokes consent at
                 * once. */
                else if (nav_stun_message_get_class (msg) == NAV_STUN_CLASS_ERROR_RESPONSE &&
                         authentic)
                  {
                    guint code = 0;

                    nav_stun_message_get_error_code (msg, &code, NULL, NULL);
                    if (code == NAV_STUN_ERROR_CODE_FORBIDDEN &&
                        component->state == NAV_COMPONENT_STATE_READY)
                      {
                        g_debug ("Stream %u component %u: the peer revoked consent",
                                 stream->id, component->id);
                        nav_ice_set_component_state (self, component, NAV_COMPONENT_STATE_FAILED);
                      }
                  }
                return TRUE;
              }
        }
    }
  return FALSE;
}
