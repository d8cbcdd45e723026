/* nav-dtls-records.h: DTLS 1.2 application data records protected
 * without GnuTLS's record layer, once its handshake made the keys
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

G_BEGIN_DECLS

/* RFC 6347 §4.1: the record header. */
#define NAV_DTLS_RECORD_HEADER 13
/* RFC 6347 §4.1: the largest plaintext a record carries (2^14). */
#define NAV_DTLS_RECORD_MAX_PLAINTEXT 16384

typedef struct {
  gboolean enabled;
  gnutls_aead_cipher_hd_t write_aead;
  gnutls_aead_cipher_hd_t read_aead;
  gboolean explicit_nonce;      /* AES-GCM (RFC 5288), not ChaCha20-Poly1305 (RFC 7905) */
  guint8 write_iv[12];
  guint8 read_iv[12];
  gsize overhead;               /* header, explicit nonce and tag */
  guint64 write_seq;            /* epoch << 48 | sequence number */
  guint16 read_epoch;
  gboolean read_any;            /* a record was taken since the epoch began */
  guint64 read_max;             /* the highest sequence number taken */
  guint64 read_window;          /* bit n: read_max - n was taken */
} NavDtlsRecords;

typedef enum {
  NAV_DTLS_OPEN_OK,             /* decrypted */
  NAV_DTLS_OPEN_NOT_OURS,       /* not application data of the current epoch: GnuTLS's */
  NAV_DTLS_OPEN_DROPPED,        /* forged, corrupted or replayed (RFC 6347 §4.1.2.6–7) */
} NavDtlsOpenResult;

gboolean          nav_dtls_records_init      (NavDtlsRecords   *records,
                                              gnutls_session_t  session);
void              nav_dtls_records_clear     (NavDtlsRecords   *records);
gsize             nav_dtls_records_seal      (NavDtlsRecords   *records,
                                              const guint8     *plaintext,
                                              gsize             len,
                                              guint8           *out,
                                              gsize             out_size);
gsize             nav_dtls_records_length    (const guint8     *data,
                                              gsize             len);
NavDtlsOpenResult nav_dtls_records_open      (NavDtlsRecords   *records,
                                              const guint8     *record,
                                              gsize             record_len,
                                              guint8           *out,
                                              gsize            *out_len);
void              nav_dtls_records_mark      (NavDtlsRecords   *records,
                                              const guint8     *sequence);
void              nav_dtls_records_lend      (NavDtlsRecords   *records,
                                              gnutls_session_t  session);
void              nav_dtls_records_take_back (NavDtlsRecords   *records,
                                              gnutls_session_t  session);

G_END_DECLS
