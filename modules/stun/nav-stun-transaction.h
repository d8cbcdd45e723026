/* nav-stun-transaction.h: STUN client transactions (RFC 8489 §6.2)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

G_BEGIN_DECLS

/* RFC 8489 §6.2.1 defaults */
#define NAV_STUN_DEFAULT_RTO_MS 500
#define NAV_STUN_DEFAULT_RC 7
#define NAV_STUN_DEFAULT_RM 16
/* RFC 8489 §6.2.2: Ti for TCP and TLS */
#define NAV_STUN_DEFAULT_TI_MS 39500

typedef struct
{
  guint rto_ms;         /* initial retransmission timeout */
  guint rc;             /* maximum number of transmissions */
  guint rm;             /* last wait, in units of RTO */
  guint ti_ms;          /* timeout over reliable transports */
} NavStunRetransmitParams;

void nav_stun_retransmit_params_init (NavStunRetransmitParams *params);

typedef struct _NavStunTransaction NavStunTransaction;

/* Sends the request (again).  Returning FALSE ends the transaction with
 * the error. */
typedef gboolean (*NavStunTransactionSendFunc) (NavStunTransaction *transaction,
                                                const guint8       *data,
                                                gsize               length,
                                                gpointer            user_data,
                                                GError            **error);
/* Called once, in the transaction's context: with the response, or with
 * the error (timeout, send failure, cancellation). */
typedef void (*NavStunTransactionDoneFunc) (NavStunTransaction *transaction,
                                            NavStunMessage     *response,
                                            const GError       *error,
                                            gpointer            user_data);

NavStunTransaction *nav_stun_transaction_new       (GMainContext                  *context,
                                                    GBytes                        *request,
                                                    gboolean                       reliable,
                                                    const NavStunRetransmitParams *params,
                                                    NavStunTransactionSendFunc     send_func,
                                                    NavStunTransactionDoneFunc     done_func,
                                                    gpointer                       user_data);
void                nav_stun_transaction_free      (NavStunTransaction *transaction);
void                nav_stun_transaction_start     (NavStunTransaction *transaction);
gboolean            nav_stun_transaction_handle_response (NavStunTransaction *transaction,
                                                          NavStunMessage     *response);
void                nav_stun_transaction_fail      (NavStunTransaction *transaction,
                                                    const GError       *error);
const guint8       *nav_stun_transaction_get_id    (NavStunTransaction *transaction);
guint               nav_stun_transaction_get_transmissions (NavStunTransaction *transaction);
gint64              nav_stun_transaction_get_rtt   (NavStunTransaction *transaction);
gboolean            nav_stun_transaction_is_done   (NavStunTransaction *transaction);

G_END_DECLS
