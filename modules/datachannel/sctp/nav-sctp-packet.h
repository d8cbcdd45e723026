/* nav-sctp-packet.h: the SCTP wire codec (RFC 9260 §3, RFC 3758, RFC 6525,
 * RFC 8260, RFC 9653)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Readers never trust a length: every view they return lies inside the
 * bytes given, and a chunk or parameter whose declared length does not fit
 * is refused.  Writers fill a caller-owned buffer of the path MTU and
 * refuse what does not fit.
 */
#pragma once

#include <string.h>

#include <glib.h>

G_BEGIN_DECLS

#define NAV_SCTP_COMMON_HEADER_SIZE 12
#define NAV_SCTP_CHUNK_HEADER_SIZE 4
#define NAV_SCTP_DATA_HEADER_SIZE 16
#define NAV_SCTP_IDATA_HEADER_SIZE 20

/* Chunk types (RFC 9260 §3.2, RFC 3758 §3.2, RFC 6525 §3.1, RFC 8260 §2). */
typedef enum {
  NAV_SCTP_CHUNK_DATA = 0,
  NAV_SCTP_CHUNK_INIT = 1,
  NAV_SCTP_CHUNK_INIT_ACK = 2,
  NAV_SCTP_CHUNK_SACK = 3,
  NAV_SCTP_CHUNK_HEARTBEAT = 4,
  NAV_SCTP_CHUNK_HEARTBEAT_ACK = 5,
  NAV_SCTP_CHUNK_ABORT = 6,
  NAV_SCTP_CHUNK_SHUTDOWN = 7,
  NAV_SCTP_CHUNK_SHUTDOWN_ACK = 8,
  NAV_SCTP_CHUNK_ERROR = 9,
  NAV_SCTP_CHUNK_COOKIE_ECHO = 10,
  NAV_SCTP_CHUNK_COOKIE_ACK = 11,
  NAV_SCTP_CHUNK_SHUTDOWN_COMPLETE = 14,
  NAV_SCTP_CHUNK_I_DATA = 64,
  NAV_SCTP_CHUNK_RE_CONFIG = 130,
  NAV_SCTP_CHUNK_FORWARD_TSN = 192,
  NAV_SCTP_CHUNK_I_FORWARD_TSN = 194,
} NavSctpChunkType;

/* DATA and I-DATA flags. */
#define NAV_SCTP_DATA_E 0x01
#define NAV_SCTP_DATA_B 0x02
#define NAV_SCTP_DATA_U 0x04
#define NAV_SCTP_DATA_I 0x08      /* RFC 7053: SACK immediately */
/* ABORT and SHUTDOWN COMPLETE: the T bit (RFC 9260 §3.3.7). */
#define NAV_SCTP_FLAG_T 0x01

/* Parameter types (RFC 9260 §3.3.2, RFC 3758, RFC 6525 §4, RFC 9653). */
typedef enum {
  NAV_SCTP_PARAM_HEARTBEAT_INFO = 1,
  NAV_SCTP_PARAM_IPV4 = 5,
  NAV_SCTP_PARAM_IPV6 = 6,
  NAV_SCTP_PARAM_STATE_COOKIE = 7,
  NAV_SCTP_PARAM_UNRECOGNIZED = 8,
  NAV_SCTP_PARAM_COOKIE_PRESERVATIVE = 9,
  NAV_SCTP_PARAM_HOST_NAME = 11,
  NAV_SCTP_PARAM_SUPPORTED_ADDRESS_TYPES = 12,
  NAV_SCTP_PARAM_OUTGOING_RESET = 13,
  NAV_SCTP_PARAM_INCOMING_RESET = 14,
  NAV_SCTP_PARAM_SSN_TSN_RESET = 15,
  NAV_SCTP_PARAM_RECONFIG_RESPONSE = 16,
  NAV_SCTP_PARAM_ADD_OUTGOING_STREAMS = 17,
  NAV_SCTP_PARAM_ADD_INCOMING_STREAMS = 18,
  NAV_SCTP_PARAM_ECN_CAPABLE = 0x8000,
  NAV_SCTP_PARAM_ZERO_CHECKSUM = 0x8001,
  NAV_SCTP_PARAM_SUPPORTED_EXTENSIONS = 0x8008,
  NAV_SCTP_PARAM_FORWARD_TSN_SUPPORTED = 0xC000,
} NavSctpParamType;

/* RFC 9653 §7: SCTP over DTLS. */
#define NAV_SCTP_EDMID_DTLS 1

/* Error causes (RFC 9260 §3.3.10). */
typedef enum {
  NAV_SCTP_CAUSE_INVALID_STREAM = 1,
  NAV_SCTP_CAUSE_MISSING_PARAMETER = 2,
  NAV_SCTP_CAUSE_STALE_COOKIE = 3,
  NAV_SCTP_CAUSE_OUT_OF_RESOURCE = 4,
  NAV_SCTP_CAUSE_UNRECOGNIZED_CHUNK = 6,
  NAV_SCTP_CAUSE_INVALID_MANDATORY_PARAMETER = 7,
  NAV_SCTP_CAUSE_UNRECOGNIZED_PARAMETERS = 8,
  NAV_SCTP_CAUSE_NO_USER_DATA = 9,
  NAV_SCTP_CAUSE_COOKIE_WHILE_SHUTTING_DOWN = 10,
  NAV_SCTP_CAUSE_USER_INITIATED_ABORT = 12,
  NAV_SCTP_CAUSE_PROTOCOL_VIOLATION = 13,
} NavSctpCause;

/* Re-configuration response results (RFC 6525 §4.4). */
typedef enum {
  NAV_SCTP_RECONFIG_SUCCESS_NOTHING = 0,
  NAV_SCTP_RECONFIG_SUCCESS_PERFORMED = 1,
  NAV_SCTP_RECONFIG_DENIED = 2,
  NAV_SCTP_RECONFIG_ERROR_WRONG_SSN = 3,
  NAV_SCTP_RECONFIG_ERROR_IN_PROGRESS = 4,
  NAV_SCTP_RECONFIG_ERROR_BAD_SEQUENCE = 5,
  NAV_SCTP_RECONFIG_IN_PROGRESS = 6,
} NavSctpReconfigResult;

static inline guint16
nav_sctp_get16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static inline guint32
nav_sctp_get32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static inline void
nav_sctp_put16 (guint8 *p,
                guint16 v)
{
  p[0] = v >> 8;
  p[1] = v & 0xff;
}

static inline void
nav_sctp_put32 (guint8 *p,
                guint32 v)
{
  p[0] = v >> 24;
  p[1] = (v >> 16) & 0xff;
  p[2] = (v >> 8) & 0xff;
  p[3] = v & 0xff;
}

static inline gsize
nav_sctp_pad4 (gsize len)
{
  return (len + 3) & ~(gsize) 3;
}

typedef struct {
  guint16 src_port;
  guint16 dst_port;
  guint32 vtag;
  guint32 checksum;             /* as stored: little-endian CRC32c */
} NavSctpCommonHeader;

/* A chunk or a parameter: type-length-value, @value inside the packet. */
typedef struct {
  guint16 type;
  guint8 flags;                 /* chunks only */
  guint16 length;               /* as declared, header included */
  const guint8 *value;
  gsize value_len;              /* length - header */
} NavSctpTlv;

typedef enum {
  NAV_SCTP_TLV_OK,
  NAV_SCTP_TLV_END,
  NAV_SCTP_TLV_MALFORMED,
} NavSctpTlvResult;

/* Walks chunks (4-byte header: type, flags, length) or parameters and
 * error causes (type 16 bits, length).  Padding to four bytes between
 * items; the last item's padding may be absent. */
typedef struct {
  const guint8 *data;
  gsize len;
  gsize offset;
  gboolean chunks;
} NavSctpTlvIter;

gboolean nav_sctp_common_header_parse (const guint8        *packet,
                                       gsize                len,
                                       NavSctpCommonHeader *header);
gboolean nav_sctp_packet_checksum_ok (const guint8 *packet,
                                      gsize         len,
                                      gboolean      accept_zero);

void nav_sctp_chunk_iter_init (NavSctpTlvIter *iter,
                               const guint8   *packet,
                               gsize           len);
void nav_sctp_param_iter_init (NavSctpTlvIter *iter,
                               const guint8   *params,
                               gsize           len);
NavSctpTlvResult nav_sctp_tlv_iter_next (NavSctpTlvIter *iter,
                                         NavSctpTlv     *tlv);

/* DATA (RFC 9260 §3.3.1) or I-DATA (RFC 8260 §2.1). */
typedef struct {
  guint32 tsn;
  guint16 stream_id;
  guint16 ssn;                  /* DATA */
  guint32 mid;                  /* I-DATA */
  guint32 fsn;                  /* I-DATA; 0 on the first fragment */
  guint32 ppid;                 /* DATA, and I-DATA first fragments */
  guint8 flags;
  gboolean idata;
  const guint8 *payload;
  gsize payload_len;
} NavSctpData;

gboolean nav_sctp_data_parse (const NavSctpTlv *chunk,
                              NavSctpData      *data);

/* INIT and INIT ACK (RFC 9260 §3.3.2, §3.3.3). */
typedef struct {
  guint32 initiate_tag;
  guint32 a_rwnd;
  guint16 num_outbound_streams;
  guint16 num_inbound_streams;
  guint32 initial_tsn;
  const guint8 *params;
  gsize params_len;
} NavSctpInit;

gboolean nav_sctp_init_parse (const NavSctpTlv *chunk,
                              NavSctpInit      *init);

/* SACK (RFC 9260 §3.3.4): gap blocks and duplicates stay in the packet. */
typedef struct {
  guint32 cum_tsn_ack;
  guint32 a_rwnd;
  guint16 n_gap_blocks;
  guint16 n_dup_tsns;
  const guint8 *gap_blocks;
  const guint8 *dup_tsns;
} NavSctpSack;

gboolean nav_sctp_sack_parse (const NavSctpTlv *chunk,
                              NavSctpSack      *sack);

static inline void
nav_sctp_sack_gap_block (const NavSctpSack *sack,
                         guint              i,
                         guint16           *start,
                         guint16           *end)
{
  *start = nav_sctp_get16 (sack->gap_blocks + 4 * i);
  *end = nav_sctp_get16 (sack->gap_blocks + 4 * i + 2);
}

/* FORWARD-TSN (RFC 3758 §3.2) and I-FORWARD-TSN (RFC 8260 §2.3.1): the
 * entries stay in the packet, 4 bytes (stream, SSN) or 8 (stream, U, MID). */
typedef struct {
  guint32 new_cum_tsn;
  gboolean idata;
  guint n_entries;
  const guint8 *entries;
} NavSctpForwardTsn;

gboolean nav_sctp_forward_tsn_parse (const NavSctpTlv  *chunk,
                                     NavSctpForwardTsn *fwd);
void nav_sctp_forward_tsn_entry (const NavSctpForwardTsn *fwd,
                                 guint                    i,
                                 guint16                 *stream_id,
                                 gboolean                *unordered,
                                 guint32                 *ssn_or_mid);

/* Outgoing SSN Reset Request (RFC 6525 §4.1). */
typedef struct {
  guint32 request_seq;
  guint32 response_seq;
  guint32 last_tsn;
  guint n_streams;
  const guint8 *streams;        /* n_streams × 16 bits */
} NavSctpOutgoingReset;

gboolean nav_sctp_outgoing_reset_parse (const NavSctpTlv     *param,
                                        NavSctpOutgoingReset *reset);

/* Re-configuration Response (RFC 6525 §4.4). */
typedef struct {
  guint32 response_seq;
  guint32 result;
} NavSctpReconfigResponse;

gboolean nav_sctp_reconfig_response_parse (const NavSctpTlv        *param,
                                           NavSctpReconfigResponse *response);

/* A packet under construction in a caller-owned buffer. */
typedef struct {
  guint8 *buf;
  gsize cap;
  gsize len;
  guint n_chunks;
} NavSctpWriter;

void nav_sctp_writer_init (NavSctpWriter *w,
                           guint8        *buf,
                           gsize          cap,
                           guint16        src_port,
                           guint16        dst_port,
                           guint32        vtag);
/* Bytes a chunk value may still take. */
static inline gsize
nav_sctp_writer_room (const NavSctpWriter *w)
{
  gsize used = nav_sctp_pad4 (w->len) + NAV_SCTP_CHUNK_HEADER_SIZE;
  gsize cap = w->cap & ~(gsize) 3;

  return used >= cap ? 0 : cap - used;
}
/* Appends a chunk header and reserves @value_len bytes (zero padding
 * after); returns where the value goes, or NULL if it does not fit. */
guint8 *nav_sctp_writer_add_chunk (NavSctpWriter *w,
                                   guint8         type,
                                   guint8         flags,
                                   gsize          value_len);
/* Stores the checksum (or zero) and returns the packet length. */
gsize nav_sctp_writer_finish (NavSctpWriter *w,
                              gboolean       checksum);

/* Parameter writer: appends a TLV to @out (a GByteArray) with padding. */
guint8 *nav_sctp_param_append (GByteArray *out,
                               guint16     type,
                               gsize       value_len);

G_END_DECLS
