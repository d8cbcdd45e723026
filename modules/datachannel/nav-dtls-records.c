/* nav-dtls-records.c: DTLS 1.2 application data records protected
 * without GnuTLS's record layer, once its handshake made the keys
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GnuTLS makes the handshake, the alerts and every record that is not
 * application data; the application data of the established epoch, the
 * hot path, is sealed and opened here with the keys GnuTLS exports
 * (gnutls_record_get_state) and its AEAD ciphers, straight into the
 * batch the channel below sends and out of the datagram it received:
 * no allocation or copy per record, half the cost of
 * gnutls_record_send/recv per datagram on this machine
 * (bench/peerconnection-bench).
 *
 * One sequence counter: GnuTLS is lent ours before each call that may
 * write a record (an alert, a retransmitted flight) and we take back
 * what it used (nav_dtls_records_lend/take_back), so that no sequence
 * number, and so no AEAD nonce, is used twice.
 */
#include "config.h"

#include <string.h>

#include "nav-dtls-records.h"

#define CONTENT_APPLICATION_DATA 23
#define VERSION_DTLS_1_2_MAJOR 0xfe
#define VERSION_DTLS_1_2_MINOR 0xfd
#define TAG_SIZE 16
#define EXPLICIT_NONCE_SIZE 8
#define SEQUENCE_MASK G_GUINT64_CONSTANT (0x0000ffffffffffff)
#define REPLAY_WINDOW 64

static guint64
read_u64 (const guint8 *p)
{
  guint64 v = 0;
  guint i;

  for (i = 0; i < 8; i++)
    v = (v << 8) | p[i];
  return v;
}

static void
write_u64 (guint8  *p,
           guint64  v)
{
  gint i;

  for (i = 7; i >= 0; i--)
    {
      p[i] = v & 0xff;
      v >>= 8;
    }
}

gboolean
nav_dtls_records_init (NavDtlsRecords   *records,
                       gnutls_session_t  session)
{
  gnutls_cipher_algorithm_t cipher = gnutls_cipher_get (session);
  gnutls_datum_t mac_key, iv, key;
  guint8 seq[8];
  gsize iv_len;

  memset (records, 0, sizeof *records);
  /* RFC 5288 (AES-GCM) and RFC 7905 (ChaCha20-Poly1305): what we offer.
   * Anything else stays with GnuTLS's record layer. */
  switch (cipher)
    {
    case GNUTLS_CIPHER_AES_128_GCM:
    case GNUTLS_CIPHER_AES_256_GCM:
      records->explicit_nonce = TRUE;
      iv_len = 4;
      break;
    case GNUTLS_CIPHER_CHACHA20_POLY1305:
      records->explicit_nonce = FALSE;
      iv_len = 12;
      break;
    default:
      return FALSE;
    }
  if (gnutls_record_get_state (session, 0, &mac_key, &iv, &key, seq) < 0 || iv.size != iv_len ||
      gnutls_aead_cipher_init (&records->write_aead, cipher, &key) < 0)
    return FALSE;
  memcpy (records->write_iv, iv.data, iv_len);
  records->write_seq = read_u64 (seq);
  if (gnutls_record_get_state (session, 1, &mac_key, &iv, &key, seq) < 0 || iv.size != iv_len ||
      gnutls_aead_cipher_init (&records->read_aead, cipher, &key) < 0)
    {
      gnutls_aead_cipher_deinit (records->write_aead);
      records->write_aead = NULL;
      return FALSE;
    }
  memcpy (records->read_iv, iv.data, iv_len);
  records->read_epoch = read_u64 (seq) >> 48;
  records->overhead = NAV_DTLS_RECORD_HEADER + TAG_SIZE +
                      (records->explicit_nonce ? EXPLICIT_NONCE_SIZE : 0);
  records->enabled = TRUE;
  return TRUE;
}

void
nav_dtls_records_clear (NavDtlsRecords *records)
{
  if (records->write_aead != NULL)
    gnutls_aead_cipher_deinit (records->write_aead);
  if (records->read_aead != NULL)
    gnutls_aead_cipher_deinit (records->read_aead);
  memset (records, 0, sizeof *records);
}

/* The nonce of a record: RFC 5288 §3 (salt, then the explicit part,
 * here the record's epoch and sequence number), RFC 7905 §2 (the IV
 * XORed with them). */
static void
make_nonce (const NavDtlsRecords *records,
            const guint8         *iv,
            const guint8         *seq8,
            guint8               *nonce)
{
  guint i;

  if (records->explicit_nonce)
    {
      memcpy (nonce, iv, 4);
      memcpy (nonce + 4, seq8, 8);
      return;
    }
  memcpy (nonce, iv, 12);
  for (i = 0; i < 8; i++)
    nonce[4 + i] ^= seq8[i];
}

/* RFC 5246 §6.2.3.3: seq_num + type + version + length (of the
 * plaintext). */
static void
make_aad (const guint8 *header,
          gsize         plaintext_len,
          guint8       *aad)
{
  memcpy (aad, header + 3, 8);
  aad[8] = header[0];
  aad[9] = header[1];
  aad[10] = header[2];
  aad[11] = plaintext_len >> 8;
  aad[12] = plaintext_len & 0xff;
}

/* Seals @plaintext into one application data record at @out; returns
 * its length, 0 when it does not fit @out_size or the sequence numbers
 * of the epoch ran out (RFC 6347 §4.1: 2^48). */
gsize
nav_dtls_records_seal (NavDtlsRecords *records,
                       const guint8   *plaintext,
                       gsize           len,
                       guint8         *out,
                       gsize           out_size)
{
  guint8 nonce[12], aad[13];
  guint8 *body;
  gsize fragment_len, ctext_len;

  if (len > NAV_DTLS_RECORD_MAX_PLAINTEXT || len + records->overhead > out_size ||
      (records->write_seq & SEQUENCE_MASK) == SEQUENCE_MASK)
    return 0;
  fragment_len = len + records->overhead - NAV_DTLS_RECORD_HEADER;
  out[0] = CONTENT_APPLICATION_DATA;
  out[1] = VERSION_DTLS_1_2_MAJOR;
  out[2] = VERSION_DTLS_1_2_MINOR;
  write_u64 (out + 3, records->write_seq);
  out[11] = fragment_len >> 8;
  out[12] = fragment_len & 0xff;
  body = out + NAV_DTLS_RECORD_HEADER;
  if (records->explicit_nonce)
    {
      memcpy (body, out + 3, EXPLICIT_NONCE_SIZE);
      body += EXPLICIT_NONCE_SIZE;
    }
  make_nonce (records, records->write_iv, out + 3, nonce);
  make_aad (out, len, aad);
  ctext_len = len + TAG_SIZE;
  if (gnutls_aead_cipher_encrypt (records->write_aead, nonce, 12, aad, sizeof aad, TAG_SIZE,
                                  plaintext, len, body, &ctext_len) < 0 ||
      ctext_len != len + TAG_SIZE)
    return 0;
  records->write_seq++;
  return NAV_DTLS_RECORD_HEADER + fragment_len;
}

/* The length of the record at @data, header included; 0 when @len
 * does not hold a whole one. */
gsize
nav_dtls_records_length (const guint8 *data,
                         gsize         len)
{
  gsize record_len;

  if (len < NAV_DTLS_RECORD_HEADER)
    return 0;
  record_len = NAV_DTLS_RECORD_HEADER + ((gsize) data[11] << 8 | data[12]);
  return record_len <= len ? record_len : 0;
}

static void
mark (NavDtlsRecords *records,
      guint64         seq)
{
  if (!records->read_any || seq > records->read_max)
    {
      guint64 shift = records->read_any ? seq - records->read_max : REPLAY_WINDOW;

      records->read_window = shift >= REPLAY_WINDOW ? 0 : records->read_window << shift;
      records->read_window |= 1;
      records->read_max = seq;
      records->read_any = TRUE;
    }
  else if (records->read_max - seq < REPLAY_WINDOW)
    records->read_window |= G_GUINT64_CONSTANT (1) << (records->read_max - seq);
}

/* A record of the current epoch GnuTLS opened (one that came in the
 * datagram of the last handshake message): a replay of it is ours to
 * refuse. */
void
nav_dtls_records_mark (NavDtlsRecords *records,
                       const guint8   *sequence)
{
  guint64 seq8 = read_u64 (sequence);

  if (records->enabled && (seq8 >> 48) == records->read_epoch)
    mark (records, seq8 & SEQUENCE_MASK);
}

/* Opens one record of the datagram.  @out holds
 * NAV_DTLS_RECORD_MAX_PLAINTEXT bytes. */
NavDtlsOpenResult
nav_dtls_records_open (NavDtlsRecords *records,
                       const guint8   *record,
                       gsize           record_len,
                       guint8         *out,
                       gsize          *out_len)
{
  guint64 seq8 = read_u64 (record + 3);
  guint64 seq = seq8 & SEQUENCE_MASK;
  const guint8 *body = record + NAV_DTLS_RECORD_HEADER;
  gsize body_len = record_len - NAV_DTLS_RECORD_HEADER;
  gsize ptext_len;
  guint8 nonce[12], aad[13], header[NAV_DTLS_RECORD_HEADER];

  if (record[0] != CONTENT_APPLICATION_DATA || (seq8 >> 48) != records->read_epoch)
    return NAV_DTLS_OPEN_NOT_OURS;
  if (record[1] != VERSION_DTLS_1_2_MAJOR || record[2] != VERSION_DTLS_1_2_MINOR ||
      body_len < records->overhead - NAV_DTLS_RECORD_HEADER ||
      body_len - (records->overhead - NAV_DTLS_RECORD_HEADER) > NAV_DTLS_RECORD_MAX_PLAINTEXT)
    return NAV_DTLS_OPEN_DROPPED;
  /* RFC 6347 §4.1.2.6: a record older than the window, or seen in it,
   * is a replay; checked before the decryption, marked after it. */
  if (records->read_any &&
      (seq + REPLAY_WINDOW <= records->read_max ||
       (seq <= records->read_max && (records->read_window >> (records->read_max - seq)) & 1)))
    return NAV_DTLS_OPEN_DROPPED;
  ptext_len = body_len - (records->overhead - NAV_DTLS_RECORD_HEADER);
  if (records->explicit_nonce)
    {
      /* RFC 5288 §3: the explicit nonce travels; it is authenticated
       * as part of the nonce, whatever the peer put there. */
      memcpy (nonce, records->read_iv, 4);
      memcpy (nonce + 4, body, EXPLICIT_NONCE_SIZE);
      body += EXPLICIT_NONCE_SIZE;
      body_len -= EXPLICIT_NONCE_SIZE;
    }
  else
    make_nonce (records, records->read_iv, record + 3, nonce);
  memcpy (header, record, NAV_DTLS_RECORD_HEADER);
  make_aad (header, ptext_len, aad);
  *out_len = NAV_DTLS_RECORD_MAX_PLAINTEXT;
  if (gnutls_aead_cipher_decrypt (records->read_aead, nonce, 12, aad, sizeof aad, TAG_SIZE,
                                  body, body_len, out, out_len) < 0 ||
      *out_len != ptext_len)
    return NAV_DTLS_OPEN_DROPPED;
  mark (records, seq);
  return NAV_DTLS_OPEN_OK;
}

/* Before a GnuTLS call that may write a record: it continues our
 * sequence. */
void
nav_dtls_records_lend (NavDtlsRecords   *records,
                       gnutls_session_t  session)
{
  guint8 seq[8];

  if (!records->enabled)
    return;
  write_u64 (seq, records->write_seq);
  gnutls_record_set_state (session, 0, seq);
}

/* After it: we continue GnuTLS's. */
void
nav_dtls_records_take_back (NavDtlsRecords   *records,
                            gnutls_session_t  session)
{
  gnutls_datum_t mac_key, iv, key;
  guint8 seq[8];

  if (!records->enabled)
    return;
  if (gnutls_record_get_state (session, 0, &mac_key, &iv, &key, seq) == 0)
    records->write_seq = MAX (records->write_seq, read_u64 (seq));
}
