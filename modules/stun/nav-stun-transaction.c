/* nav-stun-transaction.c: STUN client transactions (RFC 8489 §6.2)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-stun-transaction.h"
#include "nav-stun-client.h"

#include <glib/gi18n-lib.h>

struct _NavStunTransaction
{
  GMainContext *context;
  GBytes *request;
  guint8 id[NAV_STUN_TRANSACTION_ID_LENGTH];
  gboolean reliable;
  NavStunRetransmitParams params;
  NavStunTransactionSendFunc send_func;
  NavStunTransactionDoneFunc done_func;
  gpointer user_data;

  guint transmissions;
  guint next_interval_ms;
  gint64 last_sent;
  gint64 rtt;
  gboolean done;
  GSource *timer;
};

void
nav_stun_retransmit_params_init (NavStunRetransmitParams *params)
{
  params->rto_ms = NAV_STUN_DEFAULT_RTO_MS;
  params->rc = NAV_STUN_DEFAULT_RC;
  params->rm = NAV_STUN_DEFAULT_RM;
  params->ti_ms = NAV_STUN_DEFAULT_TI_MS;
}

NavStunTransaction *
nav_stun_transaction_new (GMainContext                  *context,
                          GBytes                        *request,
                          gboolean                       reliable,
                          const NavStunRetransmitParams *params,
                          NavStunTransactionSendFunc     send_func,
                          NavStunTransactionDoneFunc     done_func,
                          gpointer                       user_data)
{
  NavStunTransaction *t;
  gsize len;
  const guint8 *data = g_bytes_get_data (request, &len);

  g_return_val_if_fail (len >= NAV_STUN_HEADER_LENGTH, NULL);

  t = g_new0 (NavStunTransaction, 1);
  t->context = context != NULL ? g_main_context_ref (context)
                               : g_main_context_ref_thread_default ();
  t->request = g_bytes_ref (request);
  memcpy (t->id, data + 8, sizeof t->id);
  t->reliable = reliable;
  if (params != NULL)
    t->params = *params;
  else
    nav_stun_retransmit_params_init (&t->params);
  t->params.rc = MAX (t->params.rc, 1);
  t->params.rto_ms = MAX (t->params.rto_ms, 1);
  t->send_func = send_func;
  t->done_func = done_func;
  t->user_data = user_data;
  t->rtt = -1;
  return t;
}

static void
clear_timer (NavStunTransaction *t)
{
  if (t->timer != NULL)
    {
      g_source_destroy (t->timer);
      g_clear_pointer (&t->timer, g_source_unref);
    }
}

void
nav_stun_transaction_free (NavStunTransaction *t)
{
  if (t == NULL)
    return;
  clear_timer (t);
  g_bytes_unref (t->request);
  g_main_context_unref (t->context);
  g_free (t);
}

static void
finish (NavStunTransaction *t,
        NavStunMessage     *response,
        const GError       *error)
{
  if (t->done)
    return;
  t->done = TRUE;
  clear_timer (t);
  t->done_func (t, response, error, t->user_data);
}

void
nav_stun_transaction_fail (NavStunTransaction *t,
                           const GError       *error)
{
  finish (t, NULL, error);
}

static gboolean on_timer (gpointer user_data);

static void
arm (NavStunTransaction *t,
     guint               ms)
{
  clear_timer (t);
  t->timer = g_timeout_source_new (ms);
  g_source_set_callback (t->timer, on_timer, t, NULL);
  g_source_set_static_name (t->timer, "[nav-stun] transaction timer");
  g_source_attach (t->timer, t->context);
}

static gboolean
transmit (NavStunTransaction *t)
{
  g_autoptr (GError) error = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (t->request, &len);

  t->transmissions++;
  t->last_sent = g_get_monotonic_time ();
  if (!t->send_func (t, data, len, t->user_data, &error))
    {
      finish (t, NULL, error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
on_timer (gpointer user_data)
{
  NavStunTransaction *t = user_data;

  g_clear_pointer (&t->timer, g_source_unref);

  if (t->reliable || t->transmissions >= t->params.rc)
    {
      g_autoptr (GError) error =
        g_error_new (NAV_STUN_CLIENT_ERROR, NAV_STUN_CLIENT_ERROR_TIMED_OUT,
                     _("No response after %u request(s)"), t->transmissions);

      finish (t, NULL, error);
      return G_SOURCE_REMOVE;
    }

  if (!transmit (t))
    return G_SOURCE_REMOVE;

  /* RFC 8489 §6.2.1: the interval doubles after each transmission; after
   * the last (the Rc-th) one the client waits Rm times the RTO. */
  if (t->transmissions >= t->params.rc)
    arm (t, t->params.rm * t->params.rto_ms);
  else
    {
      t->next_interval_ms *= 2;
      arm (t, t->next_interval_ms);
    }
  return G_SOURCE_REMOVE;
}

void
nav_stun_transaction_start (NavStunTransaction *t)
{
  g_return_if_fail (t->transmissions == 0);

  if (!transmit (t))
    return;
  if (t->reliable)
    {
      /* RFC 8489 §6.2.2: over TCP and TLS the request is sent once; the
       * transaction fails when Ti passes without an answer. */
      arm (t, t->params.ti_ms);
    }
  else
    {
      t->next_interval_ms = t->params.rto_ms;
      arm (t, t->params.rc > 1 ? t->next_interval_ms
                               : t->params.rm * t->params.rto_ms);
    }
}

gboolean
nav_stun_transaction_handle_response (NavStunTransaction *t,
                                      NavStunMessage     *response)
{
  NavStunClass klass = nav_stun_message_get_class (response);

  if (t->done ||
      (klass != NAV_STUN_CLASS_SUCCESS_RESPONSE &&
       klass != NAV_STUN_CLASS_ERROR_RESPONSE) ||
      !nav_stun_message_has_transaction_id (response, t->id))
    return FALSE;
  /* Karn's algorithm would skip retransmitted requests; the tool reports
   * the time since the last transmission, the best guess available. */
  t->rtt = g_get_monotonic_time () - t->last_sent;
  finish (t, response, NULL);
  return TRUE;
}

const guint8 *
nav_stun_transaction_get_id (NavStunTransaction *t)
{
  return t->id;
}

guint
nav_stun_transaction_get_transmissions (NavStunTransaction *t)
{
  return t->transmissions;
}

gint64
nav_stun_transaction_get_rtt (NavStunTransaction *t)
{
  return t->rtt;
}

gboolean
nav_stun_transaction_is_done (NavStunTransaction *t)
{
  return t->done;
}
