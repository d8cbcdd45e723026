/* nav-stun-transaction.c: STUN client transactions (RFC 8489 §6.2)
 * (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-net.h"

#include <string.h>

#include <glib/gi18n-lib.h>

G_DEFINE_QUARK (nav-stun-client-error-quark, nav_stun_client_error)

struct _NavStunTransaction
{
  GMainContext *context;
  GBytes *request;
  guint8 id[NAV_STUN_TRANSACTION_ID_LENGTH];
  NavStunRetransmitMode mode;
  NavStunRetransmit schedule;
  NavStunRetransmitParams params;
  NavStunTransactionSendFunc send_func;
  NavStunTransactionDoneFunc done_func;
  gpointer user_data;

  gint64 last_sent;
  gint64 rtt;
  gboolean done;
  GSource *timer;

  NavStunTransactionLockFunc lock;
  NavStunTransactionLockFunc unlock;
  gpointer lock_data;
};

/* The timer's data when the owner has a lock: it outlives the
 * transaction until the source is finalized, so that the callback can
 * take the lock before it knows whether the transaction is still there. */
typedef struct
{
  NavStunTransaction *transaction;
  NavStunTransactionLockFunc lock;
  NavStunTransactionLockFunc unlock;
  gpointer lock_data;
} Guard;

void
nav_stun_retransmit_params_init (NavStunRetransmitParams *params)
{
  params->rto_ms = NAV_STUN_DEFAULT_RTO_MS;
  params->rc = NAV_STUN_DEFAULT_RC;
  params->rm = NAV_STUN_DEFAULT_RM;
  params->ti_ms = NAV_STUN_DEFAULT_TI_MS;
}

void
nav_stun_retransmit_params_install (GObjectClass *klass,
                                    guint         first,
                                    GParamFlags   rw)
{
  g_object_class_install_property (klass, first,
    g_param_spec_uint ("stun-initial-timeout", "STUN initial timeout", "RTO, in milliseconds",
                       1, G_MAXUINT, NAV_STUN_DEFAULT_RTO_MS, rw));
  g_object_class_install_property (klass, first + 1,
    g_param_spec_uint ("stun-max-retransmissions", "STUN max retransmissions",
                       "Rc minus one", 0, G_MAXUINT - 1, NAV_STUN_DEFAULT_RC - 1, rw));
  g_object_class_install_property (klass, first + 2,
    g_param_spec_uint ("stun-reliable-timeout", "STUN reliable timeout", "Ti, in milliseconds",
                       1, G_MAXUINT, NAV_STUN_DEFAULT_TI_MS, rw));
}

gboolean
nav_stun_retransmit_params_get_property (const NavStunRetransmitParams *p,
                                         guint                          first,
                                         guint                          prop_id,
                                         GValue                        *value)
{
  if (prop_id == first)
    g_value_set_uint (value, p->rto_ms);
  else if (prop_id == first + 1)
    g_value_set_uint (value, p->rc - 1);
  else if (prop_id == first + 2)
    g_value_set_uint (value, p->ti_ms);
  else
    return FALSE;
  return TRUE;
}

gboolean
nav_stun_retransmit_params_set_property (NavStunRetransmitParams *p,
                                         guint                    first,
                                         guint                    prop_id,
                                         const GValue            *value)
{
  if (prop_id == first)
    p->rto_ms = g_value_get_uint (value);
  else if (prop_id == first + 1)
    p->rc = g_value_get_uint (value) + 1;
  else if (prop_id == first + 2)
    p->ti_ms = g_value_get_uint (value);
  else
    return FALSE;
  return TRUE;
}

guint
nav_stun_retransmit_start (NavStunRetransmit             *r,
                           const NavStunRetransmitParams *params,
                           NavStunRetransmitMode          mode,
                           gint64                         now_us)
{
  r->params = *params;
  r->params.rc = MAX (r->params.rc, 1);
  r->params.rto_ms = MAX (r->params.rto_ms, 1);
  r->mode = mode;
  r->transmissions = 1;
  r->interval_ms = r->params.rto_ms;
  r->started_us = now_us;
  switch (mode)
    {
    case NAV_STUN_RETRANSMIT_RELIABLE:
      /* RFC 8489 §6.2.2: sent once; the transaction fails when Ti passes
       * without an answer. */
      return MAX (r->params.ti_ms, 1);
    case NAV_STUN_RETRANSMIT_PACED:
      return MAX (MIN (r->interval_ms, r->params.ti_ms), 1);
    case NAV_STUN_RETRANSMIT_UNRELIABLE:
    default:
      if (r->params.rc > 1)
        return r->interval_ms;
      return r->params.rm > 0 ? r->params.rm * r->params.rto_ms : 2 * r->interval_ms;
    }
}

gboolean
nav_stun_retransmit_next (NavStunRetransmit *r,
                          gint64             now_us,
                          guint             *next_ms)
{
  gint64 elapsed_ms = (now_us - r->started_us) / 1000;

  switch (r->mode)
    {
    case NAV_STUN_RETRANSMIT_RELIABLE:
      return FALSE;
    case NAV_STUN_RETRANSMIT_PACED:
      if (r->transmissions >= r->params.rc || elapsed_ms >= (gint64) r->params.ti_ms)
        return FALSE;
      r->transmissions++;
      r->interval_ms *= 2;
      /* Over TCP, never past Ti. */
      *next_ms = (guint) CLAMP ((gint64) r->params.ti_ms - elapsed_ms, 1, (gint64) r->interval_ms);
      return TRUE;
    case NAV_STUN_RETRANSMIT_UNRELIABLE:
    default:
      if (r->transmissions >= r->params.rc)
        return FALSE;
      r->transmissions++;
      /* RFC 8489 §6.2.1: the interval doubles after each transmission;
       * after the last (the Rc-th) one the client waits Rm times the
       * RTO. */
      if (r->transmissions >= r->params.rc && r->params.rm > 0)
        *next_ms = r->params.rm * r->params.rto_ms;
      else
        {
          r->interval_ms *= 2;
          *next_ms = r->interval_ms;
        }
      return TRUE;
    }
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
  t->mode = reliable ? NAV_STUN_RETRANSMIT_RELIABLE : NAV_STUN_RETRANSMIT_UNRELIABLE;
  if (params != NULL)
    t->params = *params;
  else
    nav_stun_retransmit_params_init (&t->params);
  t->send_func = send_func;
  t->done_func = done_func;
  t->user_data = user_data;
  t->rtt = -1;
  return t;
}

static void
clear_timer (NavStunTransaction *t)
{
  nav_net_source_clear (&t->timer);
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

/* The owner's lock first; a transaction freed meanwhile (its source
 * destroyed, under that lock) is left alone. */
static gboolean
on_guarded_timer (gpointer user_data)
{
  Guard *guard = user_data;
  GSource *source = g_main_current_source ();

  guard->lock (guard->lock_data);
  if (!g_source_is_destroyed (source))
    on_timer (guard->transaction);
  guard->unlock (guard->lock_data);
  return G_SOURCE_REMOVE;
}

static void
arm (NavStunTransaction *t,
     guint               ms)
{
  clear_timer (t);
  t->timer = g_timeout_source_new (ms);
  if (t->lock != NULL)
    {
      Guard *guard = g_new (Guard, 1);

      *guard = (Guard) { t, t->lock, t->unlock, t->lock_data };
      g_source_set_callback (t->timer, on_guarded_timer, guard, g_free);
    }
  else
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
  guint wait;

  g_clear_pointer (&t->timer, g_source_unref);

  if (!nav_stun_retransmit_next (&t->schedule, g_get_monotonic_time (), &wait))
    {
      g_autoptr (GError) error =
        g_error_new (NAV_STUN_CLIENT_ERROR, NAV_STUN_CLIENT_ERROR_TIMED_OUT,
                     _("No response after %u request(s)"), t->schedule.transmissions);

      finish (t, NULL, error);
      return G_SOURCE_REMOVE;
    }
  if (transmit (t))
    arm (t, wait);
  return G_SOURCE_REMOVE;
}

void
nav_stun_transaction_set_mode (NavStunTransaction    *t,
                               NavStunRetransmitMode  mode)
{
  g_return_if_fail (t->schedule.transmissions == 0);

  t->mode = mode;
}

void
nav_stun_transaction_set_lock (NavStunTransaction         *t,
                               NavStunTransactionLockFunc  lock,
                               NavStunTransactionLockFunc  unlock,
                               gpointer                    data)
{
  g_return_if_fail (t->schedule.transmissions == 0);
  g_return_if_fail ((lock == NULL) == (unlock == NULL));

  t->lock = lock;
  t->unlock = unlock;
  t->lock_data = data;
}

void
nav_stun_transaction_start (NavStunTransaction *t)
{
  guint wait;

  g_return_if_fail (t->schedule.transmissions == 0);

  wait = nav_stun_retransmit_start (&t->schedule, &t->params, t->mode, g_get_monotonic_time ());
  if (!transmit (t))
    return;
  if (!t->done)
    arm (t, wait);
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
  return t->schedule.transmissions;
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

static guint
id_hash (gconstpointer key)
{
  guint h;

  /* the ID is random (RFC 8489 §6): any four of its bytes hash it */
  memcpy (&h, key, sizeof h);
  return h;
}

static gboolean
id_equal (gconstpointer a,
          gconstpointer b)
{
  return memcmp (a, b, NAV_STUN_TRANSACTION_ID_LENGTH) == 0;
}

GHashTable *
nav_stun_transaction_table_new (GDestroyNotify value_destroy)
{
  return g_hash_table_new_full (id_hash, id_equal, NULL, value_destroy);
}
