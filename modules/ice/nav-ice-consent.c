/* nav-ice-consent.c: consent freshness (RFC 7675) and keepalives
 * (RFC 8445 §11) on selected pairs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "nav-ice-checker-private.h"

/* ------------------------------------------------------- consent (7675) */

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
                  guint8 tid[NAV_STUN_TRANSACTION_ID_LENGTH];
                  g_autoptr (GBytes) request = nav_ice_build_request (self, pair, FALSE, tid);

                  if (request != NULL)
                    {
                      memcpy (pair->consent_tids[pair->consent_next], tid, sizeof tid);
                      pair->consent_next = (pair->consent_next + 1) % CONSENT_TIDS;
                      nav_ice_send_on (pair->local, &pair->remote->addr, request);
                    }
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
                nav_ice_send_on (pair->local, &pair->remote->addr, bytes);
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
            if (nav_stun_message_has_transaction_id (msg, pair->consent_tids[i]))
              {
                gsize key_len;
                const guint8 *key = g_bytes_get_data (stream->remote_key, &key_len);

                /* RFC 7675 §5.1: only an authenticated success response
                 * from the peer refreshes consent. */
                if (nav_stun_message_get_class (msg) == NAV_STUN_CLASS_SUCCESS_RESPONSE &&
                    nav_address_equal (from, &pair->remote->addr) &&
                    nav_stun_message_check_integrity (msg, key, key_len, NULL))
                  pair->last_consent = g_get_monotonic_time ();
                /* RFC 7675 §5.2: an authenticated 403 revokes consent at
                 * once. */
                else if (nav_stun_message_get_class (msg) == NAV_STUN_CLASS_ERROR_RESPONSE &&
                         nav_address_equal (from, &pair->remote->addr) &&
                         nav_stun_message_check_integrity (msg, key, key_len, NULL))
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
