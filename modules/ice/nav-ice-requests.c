/* nav-ice-requests.c: the peer's checks answered (RFC 8445 §7.3) and the
 * demultiplexing of STUN the agent hands the checker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "nav-ice-checker-private.h"

/* -------------------------------------------------------------- requests */

static void
send_response (NavIceChecker         *self,
               NavTransport          *transport,
               const NavAddress      *to,
               NavStunMessageBuilder *builder,
               GBytes                *key)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  gsize key_len = 0;
  const guint8 *key_data = key != NULL ? g_bytes_get_data (key, &key_len) : NULL;

  /* RFC 8489 §14.14 (libnice's nice_agent_set_software()). */
  if (self->software != NULL)
    nav_stun_message_builder_add_software (builder, self->software, NULL);
  if ((key != NULL && !nav_stun_message_builder_add_message_integrity (builder, key_data,
                                                                      key_len, NULL)) ||
      !nav_stun_message_builder_add_fingerprint (builder, NULL))
    return;
  bytes = nav_stun_message_builder_finish (builder, NULL);
  if (bytes != NULL && !nav_transport_send_bytes (transport, to, bytes, &error))
    g_debug ("Sending a response failed: %s", error->message);
}

static void
send_error (NavIceChecker    *self,
            NavTransport     *transport,
            const NavAddress *to,
            NavStunMessage   *request,
            guint             code,
            GBytes           *key)
{
  g_autoptr (NavStunMessageBuilder) builder =
    nav_stun_message_builder_new_response (request, NAV_STUN_CLASS_ERROR_RESPONSE);

  nav_stun_message_builder_add_error_code (builder, code,
                                           nav_stun_error_code_get_reason (code), NULL);
  send_response (self, transport, to, builder, key);
}

/* The local candidate that is the base of @transport in @component: its
 * host or relayed candidate. */
static NavCandidate *
base_of_transport (Component    *component,
                   NavTransport *transport)
{
  guint i;

  for (i = 0; i < component->local->len; i++)
    {
      NavCandidate *c = g_ptr_array_index (component->local, i);

      if (c->owner == transport &&
          (c->type == NAV_CANDIDATE_TYPE_HOST || c->type == NAV_CANDIDATE_TYPE_RELAYED))
        return c;
    }
  return NULL;
}

void
nav_ice_handle_request (NavIceChecker    *self,
                Stream           *stream,
                Component        *component,
                NavCandidate     *base,
                NavStunMessage   *msg,
                NavTransport     *transport,
                const NavAddress *from)
{
  g_autofree gchar *username = NULL;
  g_autoptr (NavStunMessageBuilder) builder = NULL;
  gsize key_len, ufrag_len;
  const guint8 *key;
  guint64 their_tie_breaker;
  guint32 priority;
  gboolean use_candidate;
  NavCandidate *remote;
  Pair *pair;

  if (stream->local_key == NULL)
    return;

  /* RFC 8445 §7.3 and RFC 8489 §9.1.3: authenticate with our password. */
  username = nav_stun_message_get_username (msg, NULL);
  if (username == NULL || !nav_stun_message_has_message_integrity (msg))
    {
      send_error (self, transport, from, msg, NAV_STUN_ERROR_CODE_BAD_REQUEST, NULL);
      return;
    }
  ufrag_len = strlen (stream->local_ufrag);
  if (strncmp (username, stream->local_ufrag, ufrag_len) != 0 || username[ufrag_len] != ':')
    {
      send_error (self, transport, from, msg, NAV_STUN_ERROR_CODE_UNAUTHENTICATED, NULL);
      return;
    }
  key = g_bytes_get_data (stream->local_key, &key_len);
  if (!nav_stun_message_check_integrity (msg, key, key_len, NULL))
    {
      send_error (self, transport, from, msg, NAV_STUN_ERROR_CODE_UNAUTHENTICATED, NULL);
      return;
    }
  /* RFC 7675 §5.2: consent revoked by the application; the 403 is
   * authenticated so that the peer believes it. */
  if (component->consent_revoked)
    {
      send_error (self, transport, from, msg, NAV_STUN_ERROR_CODE_FORBIDDEN, stream->local_key);
      return;
    }
  if (!nav_stun_message_get_priority (msg, &priority, NULL))
    {
      send_error (self, transport, from, msg, NAV_STUN_ERROR_CODE_BAD_REQUEST, stream->local_key);
      return;
    }

  /* §6.1.1: a lite agent is controlled; a full peer that says it is
   * controlled too is told so with a 487 and takes the controlling role. */
  if (self->lite && nav_stun_message_get_ice_controlled (msg, &their_tie_breaker, NULL))
    {
      send_error (self, transport, from, msg, NAV_STUN_ERROR_CODE_ROLE_CONFLICT, stream->local_key);
      return;
    }

  /* §7.3.1.1: role conflicts. */
  if (self->controlling_mode &&
      nav_stun_message_get_ice_controlling (msg, &their_tie_breaker, NULL))
    {
      if (self->tie_breaker >= their_tie_breaker)
        {
          send_error (self, transport, from, msg, NAV_STUN_ERROR_CODE_ROLE_CONFLICT, stream->local_key);
          return;
        }
      nav_ice_set_role (self, FALSE);
    }
  else if (!self->controlling_mode &&
           nav_stun_message_get_ice_controlled (msg, &their_tie_breaker, NULL))
    {
      if (self->tie_breaker >= their_tie_breaker)
        nav_ice_set_role (self, TRUE);
      else
        {
          send_error (self, transport, from, msg, NAV_STUN_ERROR_CODE_ROLE_CONFLICT, stream->local_key);
          return;
        }
    }
  use_candidate = nav_stun_message_get_use_candidate (msg);

  /* §7.3.1.2: answer with the source transport address. */
  builder = nav_stun_message_builder_new_response (msg, NAV_STUN_CLASS_SUCCESS_RESPONSE);
  nav_stun_message_builder_add_xor_mapped_address (builder, from, NULL);
  send_response (self, transport, from, builder, stream->local_key);

  /* §7.3.1.3: an unknown source is a peer-reflexive remote candidate. */
  remote = NULL;
  {
    guint i;

    for (i = 0; i < component->remote->len; i++)
      {
        NavCandidate *c = g_ptr_array_index (component->remote, i);

        /* RFC 6544 §7.2: over TCP, the source of a check on a passive
         * candidate is the peer's connection, from an ephemeral port:
         * a peer-reflexive active candidate, below. */
        if (c->transport == nav_ice_peer_transport (base->transport) &&
            nav_address_equal (&c->addr, from))
          {
            remote = c;
            break;
          }
      }
  }
  if (remote == NULL)
    {
      gchar foundation[NAV_CANDIDATE_MAX_FOUNDATION];

      remote = nav_candidate_new (NAV_CANDIDATE_TYPE_PEER_REFLEXIVE);
      remote->transport = nav_ice_peer_transport (base->transport);
      remote->addr = *from;
      remote->base_addr = *from;
      remote->priority = priority;
      /* A connection to a passive candidate comes from the peer's active
       * candidate, which was signalled with port 9 and so never matches
       * by address (RFC 6544 §4.5).  Ranked with that candidate's
       * priority, the pair has the priority the peer computes for it
       * (from its own active candidate), so that both agents order the
       * TCP pairs alike and nominate the same one. */
      if (base->transport == NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE)
        {
          guint i;

          for (i = 0; i < component->remote->len; i++)
            {
              NavCandidate *c = g_ptr_array_index (component->remote, i);

              if (c->transport == NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE &&
                  c->type != NAV_CANDIDATE_TYPE_PEER_REFLEXIVE &&
                  nav_address_equal_no_port (&c->addr, from))
                {
                  remote->priority = c->priority;
                  break;
                }
            }
        }
      remote->stream_id = stream->id;
      remote->component_id = component->id;
      g_snprintf (foundation, sizeof foundation, "prflx%u", ++stream->prflx_counter);
      nav_candidate_set_foundation (remote, foundation);
      g_ptr_array_add (component->remote, remote);
      g_debug ("Stream %u component %u: new peer-reflexive remote candidate",
               stream->id, component->id);
    }

  /* The peer holds the source address: the agent takes its data. */
  nav_ice_queue_event (self, EVENT_INCOMING_CHECK, stream->id, component->id, base, remote, 0);

  /* §7.3.1.4: the triggered check. */
  pair = nav_ice_find_pair (stream, base, remote);
  if (pair == NULL)
    pair = nav_ice_add_pair (self, component, base, remote);
  /* Answered above. */
  pair->requests_received++;
  pair->responses_sent++;

  if (self->lite)
    {
      /* A lite agent sends no triggered check: the pair a check arrived
       * on is valid, and USE-CANDIDATE nominates it (RFC 8445 §7.3.1.4,
       * §7.3.1.5). */
      if (!pair->valid)
        {
          pair->valid = TRUE;
          nav_ice_set_pair_state (self, pair, NAV_PAIR_STATE_SUCCEEDED);
        }
      if (use_candidate)
        nav_ice_select_pair (self, pair);
      else if (stream->started)
        nav_ice_update_component_state (self, component);
      return;
    }

  if (use_candidate && !self->controlling_mode)
    {
      /* §7.3.1.5 */
      pair->nominate_on_success = TRUE;
      if (pair->state == NAV_PAIR_STATE_SUCCEEDED && pair->valid_pair != NULL)
        {
          nav_ice_select_pair (self, pair->valid_pair);
          return;
        }
      if (pair->valid)
        {
          nav_ice_select_pair (self, pair);
          return;
        }
    }

  switch (pair->state)
    {
    case NAV_PAIR_STATE_SUCCEEDED:
      break;
    case NAV_PAIR_STATE_IN_PROGRESS:
      /* The check under way carries on; its success will do. */
      break;
    default:
      nav_ice_enqueue_triggered (self, pair);
      break;
    }
  if (stream->started)
    nav_ice_update_component_state (self, component);
}

/* --------------------------------------------------------------- demux */

gboolean
nav_ice_checker_handle_message (NavChecker       *checker,
                                NavTransport     *transport,
                                const guint8     *data,
                                gsize             len,
                                const NavAddress *from)
{
  NavIceChecker *self = NAV_ICE_CHECKER (checker);
  g_autoptr (NavStunMessage) msg = NULL;
  GHashTableIter iter, citer;
  Stream *stream;
  Component *component;
  gboolean consumed = FALSE;
  NavStunClass klass;

  if (!nav_stun_message_is_stun (data, len))
    return FALSE;
  /* RFC 8445 §7.2.2: every ICE message carries FINGERPRINT. */
  msg = nav_stun_message_parse_full (data, len, NAV_STUN_PARSE_REQUIRE_FINGERPRINT, NULL);
  if (msg == NULL || nav_stun_message_get_method (msg) != NAV_STUN_METHOD_BINDING)
    return FALSE;
  klass = nav_stun_message_get_class (msg);
  if (klass == NAV_STUN_CLASS_INDICATION)
    return TRUE;                /* keepalives need no answer */

  g_mutex_lock (&self->lock);
  if (klass == NAV_STUN_CLASS_REQUEST)
    {
      g_hash_table_iter_init (&iter, self->streams);
      while (!consumed && g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
        {
          g_hash_table_iter_init (&citer, stream->components);
          while (g_hash_table_iter_next (&citer, NULL, (gpointer *) &component))
            {
              NavCandidate *base = base_of_transport (component, transport);

              if (base != NULL)
                {
                  nav_ice_handle_request (self, stream, component, base, msg, transport, from);
                  consumed = TRUE;
                  break;
                }
            }
        }
    }
  else
    {
      g_hash_table_iter_init (&iter, self->streams);
      while (!consumed && g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
        {
          guint i;

          for (i = 0; i < stream->pairs->len; i++)
            {
              Pair *pair = g_ptr_array_index (stream->pairs, i);

              if (pair->check != NULL && pair->state == NAV_PAIR_STATE_IN_PROGRESS &&
                  nav_stun_message_has_transaction_id (msg,
                                                       nav_stun_transaction_get_id (pair->check)))
                {
                  gsize key_len;
                  const guint8 *key = g_bytes_get_data (stream->remote_key, &key_len);

                  consumed = TRUE;
                  /* Only an authenticated response ends the check (RFC
                   * 8445 §7.2.5.1): a forged one leaves it running. */
                  if (!nav_stun_message_check_integrity (msg, key, key_len, NULL))
                    g_debug ("Stream %u: response with a bad MESSAGE-INTEGRITY dropped",
                             stream->id);
                  else if (nav_stun_transaction_handle_response (pair->check, msg))
                    {
                      nav_ice_pair_count_response (pair,
                                                   nav_stun_transaction_get_rtt (pair->check));
                      nav_ice_handle_response (self, stream, pair, msg, transport, from);
                    }
                  break;
                }
            }
        }
      if (!consumed)
        consumed = nav_ice_handle_consent_response (self, msg, from);
    }
  nav_ice_unlock_and_emit (self);
  return consumed;
}
