/* nav-stun-transaction.h: STUN client transactions (RFC 8489 §6.2)
 * (internal)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The one transaction engine of the project: the STUN client, the TURN
 * client, the srflx gatherer and the ICE checker (its connectivity checks
 * and consent requests, under the checker's lock: set_lock) run their
 * requests through NavStunTransaction; its schedule is NavStunRetransmit,
 * sans-I/O (bytes and a clock in, "send again" or "give up" and the next
 * wait out).
 */
#pragma once

#include "netavanue/netavanue.h"

G_BEGIN_DECLS

/**
 * NAV_STUN_CLIENT_ERROR:
 *
 * Error domain of the STUN clients (the STUN client, the transactions of
 * the TURN client), with codes from #NavStunClientError.
 */
#define NAV_STUN_CLIENT_ERROR (nav_stun_client_error_quark ())

/**
 * NavStunClientError:
 * @NAV_STUN_CLIENT_ERROR_TIMED_OUT: no response came in time (RFC 8489
 *   §6.2.1 for UDP, Ti of §6.2.2 for TCP and TLS).
 * @NAV_STUN_CLIENT_ERROR_UNREACHABLE: the server cannot be reached: ICMP
 *   unreachable, connection refused, no route.
 * @NAV_STUN_CLIENT_ERROR_RESOLVE_FAILED: the server name does not resolve
 *   to an address of the wanted family.
 * @NAV_STUN_CLIENT_ERROR_ERROR_RESPONSE: the server answered with an
 *   error response; the message holds its code and reason.
 * @NAV_STUN_CLIENT_ERROR_BAD_RESPONSE: the response lacks a mapped
 *   address or cannot be parsed.
 * @NAV_STUN_CLIENT_ERROR_TLS: the TLS handshake failed.
 *
 * Errors of the STUN clients.
 */
typedef enum {
  NAV_STUN_CLIENT_ERROR_TIMED_OUT,
  NAV_STUN_CLIENT_ERROR_UNREACHABLE,
  NAV_STUN_CLIENT_ERROR_RESOLVE_FAILED,
  NAV_STUN_CLIENT_ERROR_ERROR_RESPONSE,
  NAV_STUN_CLIENT_ERROR_BAD_RESPONSE,
  NAV_STUN_CLIENT_ERROR_TLS,
} NavStunClientError;

GQuark nav_stun_client_error_quark (void);

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

/* The three properties of an object that runs STUN transactions, ids
 * @first_prop_id to @first_prop_id + 2, with @flags:
 *
 * - `stun-initial-timeout` (uint): RTO of RFC 8489 §6.2.1, in ms;
 * - `stun-max-retransmissions` (uint): transmissions after the first
 *   over UDP, Rc of RFC 8489 §6.2.1 minus one;
 * - `stun-reliable-timeout` (uint): Ti of RFC 8489 §6.2.2 over TCP and
 *   TLS, in ms (it bounds the connection and the handshake too).
 *
 * get/set return FALSE for any other id. */
#define NAV_STUN_RETRANSMIT_N_PROPS 3
void     nav_stun_retransmit_params_install      (GObjectClass                  *klass,
                                                  guint                          first_prop_id,
                                                  GParamFlags                    flags);
gboolean nav_stun_retransmit_params_get_property (const NavStunRetransmitParams *params,
                                                  guint                          first_prop_id,
                                                  guint                          prop_id,
                                                  GValue                        *value);
gboolean nav_stun_retransmit_params_set_property (NavStunRetransmitParams       *params,
                                                  guint                          first_prop_id,
                                                  guint                          prop_id,
                                                  const GValue                  *value);

/* How requests are sent again. */
typedef enum {
  /* RFC 8489 §6.2.1: up to Rc transmissions, the interval doubling from
   * RTO, then Rm × RTO after the last (Rm 0: twice the last interval,
   * as the ICE checks of libnice wait). */
  NAV_STUN_RETRANSMIT_UNRELIABLE,
  /* RFC 8489 §6.2.2: sent once over TCP or TLS, given up after Ti. */
  NAV_STUN_RETRANSMIT_RELIABLE,
  /* ICE-TCP checks (RFC 6544 §7.1): sent again at doubling intervals,
   * each transmission possibly opening a new connection, up to Rc of
   * them and never after Ti. */
  NAV_STUN_RETRANSMIT_PACED,
} NavStunRetransmitMode;

/* The schedule of one request, sans-I/O. */
typedef struct
{
  NavStunRetransmitParams params;
  NavStunRetransmitMode mode;
  guint transmissions;
  guint interval_ms;
  gint64 started_us;
} NavStunRetransmit;

/* The first transmission leaves at @now_us: returns the wait, in ms,
 * until nav_stun_retransmit_next() is due. */
guint    nav_stun_retransmit_start (NavStunRetransmit             *retransmit,
                                    const NavStunRetransmitParams *params,
                                    NavStunRetransmitMode          mode,
                                    gint64                         now_us);
/* The wait is over at @now_us: TRUE to transmit again (and wait
 * *@next_ms after), FALSE to give up (the transaction timed out). */
gboolean nav_stun_retransmit_next  (NavStunRetransmit             *retransmit,
                                    gint64                         now_us,
                                    guint                         *next_ms);

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
/* Before start: PACED instead of what @reliable said. */
void                nav_stun_transaction_set_mode  (NavStunTransaction    *transaction,
                                                    NavStunRetransmitMode  mode);
/* Before start, optional: the owner's lock, taken around what the
 * transaction's timer does (sending again, calling done_func), for an
 * owner that drives its transactions under a lock of its own from any
 * thread (the ICE checker).  Everything else (start, handle_response,
 * fail, free) is then called with that lock held; a transaction freed
 * while its timer waited for the lock does nothing more. */
typedef void (*NavStunTransactionLockFunc) (gpointer data);
void                nav_stun_transaction_set_lock  (NavStunTransaction         *transaction,
                                                    NavStunTransactionLockFunc  lock,
                                                    NavStunTransactionLockFunc  unlock,
                                                    gpointer                    data);
void                nav_stun_transaction_start     (NavStunTransaction *transaction);
gboolean            nav_stun_transaction_handle_response (NavStunTransaction *transaction,
                                                          NavStunMessage     *response);
void                nav_stun_transaction_fail      (NavStunTransaction *transaction,
                                                    const GError       *error);
const guint8       *nav_stun_transaction_get_id    (NavStunTransaction *transaction);
guint               nav_stun_transaction_get_transmissions (NavStunTransaction *transaction);
gint64              nav_stun_transaction_get_rtt   (NavStunTransaction *transaction);
gboolean            nav_stun_transaction_is_done   (NavStunTransaction *transaction);

/* A table of transactions (or anything) keyed by the 12-byte transaction
 * ID, which must stay valid while in the table (usually
 * nav_stun_transaction_get_id()): the value is freed with
 * @value_destroy. */
GHashTable         *nav_stun_transaction_table_new (GDestroyNotify value_destroy);

G_END_DECLS
