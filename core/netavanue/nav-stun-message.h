/* nav-stun-message.h: the STUN wire codec (RFC 8489)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined (__NAV_INSIDE__) && !defined (NAV_COMPILATION)
#error "Only <netavanue/netavanue.h> can be included directly."
#endif

#include <glib-object.h>
#include <netavanue/nav-version.h>
#include <netavanue/nav-address.h>

G_BEGIN_DECLS

/**
 * NAV_STUN_MAGIC_COOKIE:
 *
 * The magic cookie of every STUN message, in host byte order
 * (RFC 8489 §5).
 *
 * Since: 1.0
 */
#define NAV_STUN_MAGIC_COOKIE 0x2112A442u

/**
 * NAV_STUN_HEADER_LENGTH:
 *
 * The size of the STUN message header, in bytes.
 *
 * Since: 1.0
 */
#define NAV_STUN_HEADER_LENGTH 20

/**
 * NAV_STUN_TRANSACTION_ID_LENGTH:
 *
 * The size of a STUN transaction ID, in bytes (96 bits).
 *
 * Since: 1.0
 */
#define NAV_STUN_TRANSACTION_ID_LENGTH 12

/**
 * NAV_STUN_MAX_MESSAGE_LENGTH:
 *
 * The largest STUN message the 16-bit length field can describe: the
 * header and 65532 bytes of attributes (the length is a multiple of 4).
 *
 * Since: 1.0
 */
#define NAV_STUN_MAX_MESSAGE_LENGTH (NAV_STUN_HEADER_LENGTH + 65532)

/**
 * NAV_STUN_FINGERPRINT_XOR:
 *
 * The value the CRC-32 of a message is XOR-ed with to make its
 * FINGERPRINT (RFC 8489 §14.7).
 *
 * Since: 1.0
 */
#define NAV_STUN_FINGERPRINT_XOR 0x5354554Eu

/**
 * NAV_STUN_MESSAGE_INTEGRITY_LENGTH:
 *
 * The size of the MESSAGE-INTEGRITY value (an HMAC-SHA1), in bytes.
 *
 * Since: 1.0
 */
#define NAV_STUN_MESSAGE_INTEGRITY_LENGTH 20

/**
 * NAV_STUN_MESSAGE_INTEGRITY_SHA256_LENGTH:
 *
 * The size of an untruncated MESSAGE-INTEGRITY-SHA256 value (an
 * HMAC-SHA256), in bytes.  Received values may be truncated to as few as
 * 16 bytes (RFC 8489 §14.6).
 *
 * Since: 1.0
 */
#define NAV_STUN_MESSAGE_INTEGRITY_SHA256_LENGTH 32

/**
 * NAV_STUN_USERHASH_LENGTH:
 *
 * The size of the USERHASH value (a SHA-256), in bytes.
 *
 * Since: 1.0
 */
#define NAV_STUN_USERHASH_LENGTH 32

/**
 * NAV_STUN_CHANNEL_NUMBER_MIN:
 *
 * The lowest TURN channel number (RFC 8656 §12).
 *
 * Since: 1.0
 */
#define NAV_STUN_CHANNEL_NUMBER_MIN 0x4000

/**
 * NAV_STUN_CHANNEL_NUMBER_MAX:
 *
 * The highest TURN channel number (RFC 8656 §12).
 *
 * Since: 1.0
 */
#define NAV_STUN_CHANNEL_NUMBER_MAX 0x4FFF

/**
 * NAV_STUN_CHANNEL_DATA_HEADER_LENGTH:
 *
 * The size of the header of a TURN ChannelData message, in bytes.
 *
 * Since: 1.0
 */
#define NAV_STUN_CHANNEL_DATA_HEADER_LENGTH 4

/**
 * NAV_STUN_ERROR:
 *
 * Error domain of the STUN codec.  Errors in this domain are from the
 * [error@Nav.StunError] enumeration.  To answer a message with unknown
 * comprehension-required attributes (a 420 response), parse it with
 * %NAV_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED and read them with
 * [method@Nav.StunMessage.get_unknown_required_attributes].
 *
 * Since: 1.0
 */
#define NAV_STUN_ERROR (nav_stun_error_quark ())

/**
 * NavStunError:
 * @NAV_STUN_ERROR_NOT_STUN: the data is not a STUN message at all: shorter
 *   than the 20-byte header, or the two leading bits are not zero.
 * @NAV_STUN_ERROR_BAD_COOKIE: the magic cookie is not 0x2112A442 (an RFC
 *   3489 message, or another protocol).
 * @NAV_STUN_ERROR_TRUNCATED: the length field announces more bytes than
 *   the data holds.
 * @NAV_STUN_ERROR_BAD_LENGTH: the length field is not a multiple of 4, or
 *   the data holds more bytes than the length field announces.
 * @NAV_STUN_ERROR_BAD_ATTRIBUTE_LENGTH: an attribute (with its padding)
 *   runs past the end of the message.
 * @NAV_STUN_ERROR_BAD_FINGERPRINT: the FINGERPRINT attribute does not
 *   match the message, or its length is not 4.
 * @NAV_STUN_ERROR_FINGERPRINT_NOT_LAST: an attribute follows FINGERPRINT.
 * @NAV_STUN_ERROR_NO_FINGERPRINT: %NAV_STUN_PARSE_REQUIRE_FINGERPRINT was
 *   given and the message has no FINGERPRINT.
 * @NAV_STUN_ERROR_UNKNOWN_REQUIRED_ATTRIBUTES: the message holds
 *   comprehension-required attributes (type below 0x8000) that this codec
 *   does not know; the list is in the error, for the UNKNOWN-ATTRIBUTES of
 *   a 420 response.
 * @NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE: the message has no attribute of the
 *   requested type.
 * @NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE: the value of an attribute is
 *   malformed: wrong size, invalid UTF-8, a string over its RFC limit, an
 *   out-of-range number.  Also returned when building a message with such
 *   a value.
 * @NAV_STUN_ERROR_BAD_ADDRESS_FAMILY: an address attribute has a family
 *   other than 0x01 (IPv4) and 0x02 (IPv6), or the address given to the
 *   builder is neither IPv4 nor IPv6.
 * @NAV_STUN_ERROR_NO_INTEGRITY: the message has neither MESSAGE-INTEGRITY
 *   nor MESSAGE-INTEGRITY-SHA256.
 * @NAV_STUN_ERROR_INTEGRITY_FAILED: the message-integrity HMAC does not
 *   match the key: wrong credentials or a modified message.
 * @NAV_STUN_ERROR_TOO_LARGE: the message being built would be larger than
 *   %NAV_STUN_MAX_MESSAGE_LENGTH or than the caller's buffer.
 * @NAV_STUN_ERROR_BAD_STATE: an attribute was added to a builder after
 *   MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 or FINGERPRINT in an order
 *   RFC 8489 forbids, or after the builder was finished.
 * @NAV_STUN_ERROR_INVALID_STRING: a username, realm or password is
 *   rejected by the OpaqueString profile (RFC 8265 §4.2): empty, invalid
 *   UTF-8 or holding a disallowed character.
 * @NAV_STUN_ERROR_UNSUPPORTED_ALGORITHM: the password algorithm is not one
 *   of those of RFC 8489 §18.5.
 * @NAV_STUN_ERROR_NOT_CHANNEL_DATA: the data is not a TURN ChannelData
 *   message (the channel number is outside 0x4000–0x4FFF) or is shorter
 *   than its length field says.
 *
 * Error codes of the `NAV_STUN_ERROR` domain.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_STUN_ERROR_NOT_STUN,
  NAV_STUN_ERROR_BAD_COOKIE,
  NAV_STUN_ERROR_TRUNCATED,
  NAV_STUN_ERROR_BAD_LENGTH,
  NAV_STUN_ERROR_BAD_ATTRIBUTE_LENGTH,
  NAV_STUN_ERROR_BAD_FINGERPRINT,
  NAV_STUN_ERROR_FINGERPRINT_NOT_LAST,
  NAV_STUN_ERROR_NO_FINGERPRINT,
  NAV_STUN_ERROR_UNKNOWN_REQUIRED_ATTRIBUTES,
  NAV_STUN_ERROR_NO_SUCH_ATTRIBUTE,
  NAV_STUN_ERROR_BAD_ATTRIBUTE_VALUE,
  NAV_STUN_ERROR_BAD_ADDRESS_FAMILY,
  NAV_STUN_ERROR_NO_INTEGRITY,
  NAV_STUN_ERROR_INTEGRITY_FAILED,
  NAV_STUN_ERROR_TOO_LARGE,
  NAV_STUN_ERROR_BAD_STATE,
  NAV_STUN_ERROR_INVALID_STRING,
  NAV_STUN_ERROR_UNSUPPORTED_ALGORITHM,
  NAV_STUN_ERROR_NOT_CHANNEL_DATA,
} NavStunError;

/**
 * NavStunClass:
 * @NAV_STUN_CLASS_REQUEST: a request (C1 C0 = 0b00).
 * @NAV_STUN_CLASS_INDICATION: an indication (0b01).
 * @NAV_STUN_CLASS_SUCCESS_RESPONSE: a success response (0b10).
 * @NAV_STUN_CLASS_ERROR_RESPONSE: an error response (0b11).
 *
 * The class of a STUN message (RFC 8489 §5).
 *
 * Since: 1.0
 */
typedef enum {
  NAV_STUN_CLASS_REQUEST = 0,
  NAV_STUN_CLASS_INDICATION = 1,
  NAV_STUN_CLASS_SUCCESS_RESPONSE = 2,
  NAV_STUN_CLASS_ERROR_RESPONSE = 3,
} NavStunClass;

/**
 * NavStunMethod:
 * @NAV_STUN_METHOD_BINDING: Binding (RFC 8489).
 * @NAV_STUN_METHOD_ALLOCATE: Allocate (TURN, RFC 8656).
 * @NAV_STUN_METHOD_REFRESH: Refresh (TURN).
 * @NAV_STUN_METHOD_SEND: Send (TURN, indication only).
 * @NAV_STUN_METHOD_DATA: Data (TURN, indication only).
 * @NAV_STUN_METHOD_CREATE_PERMISSION: CreatePermission (TURN).
 * @NAV_STUN_METHOD_CHANNEL_BIND: ChannelBind (TURN).
 * @NAV_STUN_METHOD_CONNECT: Connect (TURN over TCP, RFC 6062).
 * @NAV_STUN_METHOD_CONNECTION_BIND: ConnectionBind (RFC 6062).
 * @NAV_STUN_METHOD_CONNECTION_ATTEMPT: ConnectionAttempt (RFC 6062).
 *
 * STUN methods (12 bits).  A parsed message may carry any other 12-bit
 * value too.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_STUN_METHOD_BINDING = 0x001,
  NAV_STUN_METHOD_ALLOCATE = 0x003,
  NAV_STUN_METHOD_REFRESH = 0x004,
  NAV_STUN_METHOD_SEND = 0x006,
  NAV_STUN_METHOD_DATA = 0x007,
  NAV_STUN_METHOD_CREATE_PERMISSION = 0x008,
  NAV_STUN_METHOD_CHANNEL_BIND = 0x009,
  NAV_STUN_METHOD_CONNECT = 0x00A,
  NAV_STUN_METHOD_CONNECTION_BIND = 0x00B,
  NAV_STUN_METHOD_CONNECTION_ATTEMPT = 0x00C,
} NavStunMethod;

/**
 * NavStunAttributeType:
 * @NAV_STUN_ATTRIBUTE_MAPPED_ADDRESS: MAPPED-ADDRESS (RFC 8489 §14.1).
 * @NAV_STUN_ATTRIBUTE_CHANGE_REQUEST: CHANGE-REQUEST (RFC 5780 §7.2).
 * @NAV_STUN_ATTRIBUTE_USERNAME: USERNAME (RFC 8489 §14.3).
 * @NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY: MESSAGE-INTEGRITY (RFC 8489 §14.5).
 * @NAV_STUN_ATTRIBUTE_ERROR_CODE: ERROR-CODE (RFC 8489 §14.8).
 * @NAV_STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES: UNKNOWN-ATTRIBUTES (RFC 8489 §14.13).
 * @NAV_STUN_ATTRIBUTE_CHANNEL_NUMBER: CHANNEL-NUMBER (RFC 8656 §18.1).
 * @NAV_STUN_ATTRIBUTE_LIFETIME: LIFETIME (RFC 8656 §18.2).
 * @NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS: XOR-PEER-ADDRESS (RFC 8656 §18.3).
 * @NAV_STUN_ATTRIBUTE_DATA: DATA (RFC 8656 §18.4).
 * @NAV_STUN_ATTRIBUTE_REALM: REALM (RFC 8489 §14.9).
 * @NAV_STUN_ATTRIBUTE_NONCE: NONCE (RFC 8489 §14.10).
 * @NAV_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS: XOR-RELAYED-ADDRESS (RFC 8656 §18.5).
 * @NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY: REQUESTED-ADDRESS-FAMILY
 *   (RFC 8656 §18.6).
 * @NAV_STUN_ATTRIBUTE_EVEN_PORT: EVEN-PORT (RFC 8656 §18.7).
 * @NAV_STUN_ATTRIBUTE_REQUESTED_TRANSPORT: REQUESTED-TRANSPORT (RFC 8656 §18.8).
 * @NAV_STUN_ATTRIBUTE_DONT_FRAGMENT: DONT-FRAGMENT (RFC 8656 §18.9).
 * @NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256: MESSAGE-INTEGRITY-SHA256
 *   (RFC 8489 §14.6).
 * @NAV_STUN_ATTRIBUTE_PASSWORD_ALGORITHM: PASSWORD-ALGORITHM (RFC 8489 §14.12).
 * @NAV_STUN_ATTRIBUTE_USERHASH: USERHASH (RFC 8489 §14.4).
 * @NAV_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS: XOR-MAPPED-ADDRESS (RFC 8489 §14.2).
 * @NAV_STUN_ATTRIBUTE_RESERVATION_TOKEN: RESERVATION-TOKEN (RFC 8656 §18.10).
 * @NAV_STUN_ATTRIBUTE_PRIORITY: PRIORITY (RFC 8445 §16.1).
 * @NAV_STUN_ATTRIBUTE_USE_CANDIDATE: USE-CANDIDATE (RFC 8445 §16.1).
 * @NAV_STUN_ATTRIBUTE_PADDING: PADDING (RFC 5780 §7.6).
 * @NAV_STUN_ATTRIBUTE_RESPONSE_PORT: RESPONSE-PORT (RFC 5780 §7.5).
 * @NAV_STUN_ATTRIBUTE_CONNECTION_ID: CONNECTION-ID (RFC 6062 §6.2.1).
 * @NAV_STUN_ATTRIBUTE_ADDITIONAL_ADDRESS_FAMILY: ADDITIONAL-ADDRESS-FAMILY
 *   (RFC 8656 §18.11).
 * @NAV_STUN_ATTRIBUTE_ADDRESS_ERROR_CODE: ADDRESS-ERROR-CODE (RFC 8656 §18.12).
 * @NAV_STUN_ATTRIBUTE_PASSWORD_ALGORITHMS: PASSWORD-ALGORITHMS (RFC 8489 §14.11).
 * @NAV_STUN_ATTRIBUTE_ALTERNATE_DOMAIN: ALTERNATE-DOMAIN (RFC 8489 §14.16).
 * @NAV_STUN_ATTRIBUTE_ICMP: ICMP (RFC 8656 §18.13).
 * @NAV_STUN_ATTRIBUTE_SOFTWARE: SOFTWARE (RFC 8489 §14.14).
 * @NAV_STUN_ATTRIBUTE_ALTERNATE_SERVER: ALTERNATE-SERVER (RFC 8489 §14.15).
 * @NAV_STUN_ATTRIBUTE_CACHE_TIMEOUT: CACHE-TIMEOUT (RFC 5780 §7.7).
 * @NAV_STUN_ATTRIBUTE_FINGERPRINT: FINGERPRINT (RFC 8489 §14.7).
 * @NAV_STUN_ATTRIBUTE_ICE_CONTROLLED: ICE-CONTROLLED (RFC 8445 §16.1).
 * @NAV_STUN_ATTRIBUTE_ICE_CONTROLLING: ICE-CONTROLLING (RFC 8445 §16.1).
 * @NAV_STUN_ATTRIBUTE_RESPONSE_ORIGIN: RESPONSE-ORIGIN (RFC 5780 §7.3).
 * @NAV_STUN_ATTRIBUTE_OTHER_ADDRESS: OTHER-ADDRESS (RFC 5780 §7.4).
 *
 * STUN attribute types.  Types below 0x8000 are comprehension-required:
 * a message holding one this codec does not know is rejected with
 * %NAV_STUN_ERROR_UNKNOWN_REQUIRED_ATTRIBUTES (RFC 8489 §15).  The API
 * takes attribute types as #guint16 so that any type can be handled.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_STUN_ATTRIBUTE_MAPPED_ADDRESS = 0x0001,
  NAV_STUN_ATTRIBUTE_CHANGE_REQUEST = 0x0003,
  NAV_STUN_ATTRIBUTE_USERNAME = 0x0006,
  NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY = 0x0008,
  NAV_STUN_ATTRIBUTE_ERROR_CODE = 0x0009,
  NAV_STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES = 0x000A,
  NAV_STUN_ATTRIBUTE_CHANNEL_NUMBER = 0x000C,
  NAV_STUN_ATTRIBUTE_LIFETIME = 0x000D,
  NAV_STUN_ATTRIBUTE_XOR_PEER_ADDRESS = 0x0012,
  NAV_STUN_ATTRIBUTE_DATA = 0x0013,
  NAV_STUN_ATTRIBUTE_REALM = 0x0014,
  NAV_STUN_ATTRIBUTE_NONCE = 0x0015,
  NAV_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS = 0x0016,
  NAV_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY = 0x0017,
  NAV_STUN_ATTRIBUTE_EVEN_PORT = 0x0018,
  NAV_STUN_ATTRIBUTE_REQUESTED_TRANSPORT = 0x0019,
  NAV_STUN_ATTRIBUTE_DONT_FRAGMENT = 0x001A,
  NAV_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256 = 0x001C,
  NAV_STUN_ATTRIBUTE_PASSWORD_ALGORITHM = 0x001D,
  NAV_STUN_ATTRIBUTE_USERHASH = 0x001E,
  NAV_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS = 0x0020,
  NAV_STUN_ATTRIBUTE_RESERVATION_TOKEN = 0x0022,
  NAV_STUN_ATTRIBUTE_PRIORITY = 0x0024,
  NAV_STUN_ATTRIBUTE_USE_CANDIDATE = 0x0025,
  NAV_STUN_ATTRIBUTE_PADDING = 0x0026,
  NAV_STUN_ATTRIBUTE_RESPONSE_PORT = 0x0027,
  NAV_STUN_ATTRIBUTE_CONNECTION_ID = 0x002A,
  NAV_STUN_ATTRIBUTE_ADDITIONAL_ADDRESS_FAMILY = 0x8000,
  NAV_STUN_ATTRIBUTE_ADDRESS_ERROR_CODE = 0x8001,
  NAV_STUN_ATTRIBUTE_PASSWORD_ALGORITHMS = 0x8002,
  NAV_STUN_ATTRIBUTE_ALTERNATE_DOMAIN = 0x8003,
  NAV_STUN_ATTRIBUTE_ICMP = 0x8004,
  NAV_STUN_ATTRIBUTE_SOFTWARE = 0x8022,
  NAV_STUN_ATTRIBUTE_ALTERNATE_SERVER = 0x8023,
  NAV_STUN_ATTRIBUTE_CACHE_TIMEOUT = 0x8027,
  NAV_STUN_ATTRIBUTE_FINGERPRINT = 0x8028,
  NAV_STUN_ATTRIBUTE_ICE_CONTROLLED = 0x8029,
  NAV_STUN_ATTRIBUTE_ICE_CONTROLLING = 0x802A,
  NAV_STUN_ATTRIBUTE_RESPONSE_ORIGIN = 0x802B,
  NAV_STUN_ATTRIBUTE_OTHER_ADDRESS = 0x802C,
} NavStunAttributeType;

/**
 * NavStunPasswordAlgorithm:
 * @NAV_STUN_PASSWORD_ALGORITHM_MD5: the long-term key is
 *   MD5(username ":" realm ":" password), 16 bytes.
 * @NAV_STUN_PASSWORD_ALGORITHM_SHA256: the long-term key is
 *   SHA-256(username ":" realm ":" password), 32 bytes.
 *
 * Password algorithms of PASSWORD-ALGORITHM and PASSWORD-ALGORITHMS
 * (RFC 8489 §18.5).
 *
 * Since: 1.0
 */
typedef enum {
  NAV_STUN_PASSWORD_ALGORITHM_MD5 = 0x0001,
  NAV_STUN_PASSWORD_ALGORITHM_SHA256 = 0x0002,
} NavStunPasswordAlgorithm;

/**
 * NavStunParseFlags:
 * @NAV_STUN_PARSE_NONE: strict parsing.
 * @NAV_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED: return the message even when it
 *   holds unknown comprehension-required attributes; they are then listed
 *   by [method@Nav.StunMessage.get_unknown_required_attributes].  A server
 *   uses this to answer with a 420 error response.
 * @NAV_STUN_PARSE_REQUIRE_FINGERPRINT: reject a message without
 *   FINGERPRINT with %NAV_STUN_ERROR_NO_FINGERPRINT (for demultiplexing
 *   STUN from other protocols on one port, RFC 8489 §7.3).
 *
 * Flags of [func@Nav.StunMessage.parse_full].
 *
 * Since: 1.0
 */
typedef enum /*< flags >*/ {
  NAV_STUN_PARSE_NONE = 0,
  NAV_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED = 1 << 0,
  NAV_STUN_PARSE_REQUIRE_FINGERPRINT = 1 << 1,
} NavStunParseFlags;

/**
 * NavStunChangeRequestFlags:
 * @NAV_STUN_CHANGE_REQUEST_NONE: no change.
 * @NAV_STUN_CHANGE_REQUEST_PORT: the "B" flag: answer from another port.
 * @NAV_STUN_CHANGE_REQUEST_IP: the "A" flag: answer from another IP address.
 *
 * The flags of CHANGE-REQUEST (RFC 5780 §7.2), with their wire values.
 *
 * Since: 1.0
 */
typedef enum /*< flags >*/ {
  NAV_STUN_CHANGE_REQUEST_NONE = 0,
  NAV_STUN_CHANGE_REQUEST_PORT = 0x02,
  NAV_STUN_CHANGE_REQUEST_IP = 0x04,
} NavStunChangeRequestFlags;

/**
 * NavStunErrorCode:
 * @NAV_STUN_ERROR_CODE_TRY_ALTERNATE: 300 Try Alternate.
 * @NAV_STUN_ERROR_CODE_BAD_REQUEST: 400 Bad Request.
 * @NAV_STUN_ERROR_CODE_UNAUTHENTICATED: 401 Unauthenticated.
 * @NAV_STUN_ERROR_CODE_FORBIDDEN: 403 Forbidden (TURN).
 * @NAV_STUN_ERROR_CODE_MOBILITY_FORBIDDEN: 405 Mobility Forbidden (TURN).
 * @NAV_STUN_ERROR_CODE_UNKNOWN_ATTRIBUTE: 420 Unknown Attribute.
 * @NAV_STUN_ERROR_CODE_ALLOCATION_MISMATCH: 437 Allocation Mismatch (TURN).
 * @NAV_STUN_ERROR_CODE_STALE_NONCE: 438 Stale Nonce.
 * @NAV_STUN_ERROR_CODE_ADDRESS_FAMILY_NOT_SUPPORTED: 440 Address Family
 *   not Supported (TURN).
 * @NAV_STUN_ERROR_CODE_WRONG_CREDENTIALS: 441 Wrong Credentials (TURN).
 * @NAV_STUN_ERROR_CODE_UNSUPPORTED_TRANSPORT_PROTOCOL: 442 Unsupported
 *   Transport Protocol (TURN).
 * @NAV_STUN_ERROR_CODE_PEER_ADDRESS_FAMILY_MISMATCH: 443 Peer Address
 *   Family Mismatch (TURN).
 * @NAV_STUN_ERROR_CODE_CONNECTION_ALREADY_EXISTS: 446 Connection Already
 *   Exists (RFC 6062).
 * @NAV_STUN_ERROR_CODE_CONNECTION_TIMEOUT_OR_FAILURE: 447 Connection
 *   Timeout or Failure (RFC 6062).
 * @NAV_STUN_ERROR_CODE_ALLOCATION_QUOTA_REACHED: 486 Allocation Quota
 *   Reached (TURN).
 * @NAV_STUN_ERROR_CODE_ROLE_CONFLICT: 487 Role Conflict (ICE).
 * @NAV_STUN_ERROR_CODE_SERVER_ERROR: 500 Server Error.
 * @NAV_STUN_ERROR_CODE_INSUFFICIENT_CAPACITY: 508 Insufficient Capacity
 *   (TURN).
 *
 * Values of the ERROR-CODE attribute of error responses (RFC 8489 §14.8,
 * RFC 8656 §19, RFC 8445 §7.3.1.1).  These are protocol values carried in
 * messages, not #GError codes.
 *
 * Since: 1.0
 */
typedef enum {
  NAV_STUN_ERROR_CODE_TRY_ALTERNATE = 300,
  NAV_STUN_ERROR_CODE_BAD_REQUEST = 400,
  NAV_STUN_ERROR_CODE_UNAUTHENTICATED = 401,
  NAV_STUN_ERROR_CODE_FORBIDDEN = 403,
  NAV_STUN_ERROR_CODE_MOBILITY_FORBIDDEN = 405,
  NAV_STUN_ERROR_CODE_UNKNOWN_ATTRIBUTE = 420,
  NAV_STUN_ERROR_CODE_ALLOCATION_MISMATCH = 437,
  NAV_STUN_ERROR_CODE_STALE_NONCE = 438,
  NAV_STUN_ERROR_CODE_ADDRESS_FAMILY_NOT_SUPPORTED = 440,
  NAV_STUN_ERROR_CODE_WRONG_CREDENTIALS = 441,
  NAV_STUN_ERROR_CODE_UNSUPPORTED_TRANSPORT_PROTOCOL = 442,
  NAV_STUN_ERROR_CODE_PEER_ADDRESS_FAMILY_MISMATCH = 443,
  NAV_STUN_ERROR_CODE_CONNECTION_ALREADY_EXISTS = 446,
  NAV_STUN_ERROR_CODE_CONNECTION_TIMEOUT_OR_FAILURE = 447,
  NAV_STUN_ERROR_CODE_ALLOCATION_QUOTA_REACHED = 486,
  NAV_STUN_ERROR_CODE_ROLE_CONFLICT = 487,
  NAV_STUN_ERROR_CODE_SERVER_ERROR = 500,
  NAV_STUN_ERROR_CODE_INSUFFICIENT_CAPACITY = 508,
} NavStunErrorCode;

#define NAV_TYPE_STUN_MESSAGE (nav_stun_message_get_type ())
#define NAV_TYPE_STUN_MESSAGE_BUILDER (nav_stun_message_builder_get_type ())

typedef struct _NavStunMessage NavStunMessage;
typedef struct _NavStunMessageBuilder NavStunMessageBuilder;

/* Error domain */

NAV_AVAILABLE_IN_ALL
GQuark         nav_stun_error_quark                        (void);
NAV_AVAILABLE_IN_ALL
const gchar   *nav_stun_error_code_get_reason              (guint          code);

/* Demultiplexing and framing */

NAV_AVAILABLE_IN_ALL
gboolean       nav_stun_message_is_stun                    (const guint8  *data,
                                                            gsize          length);
NAV_AVAILABLE_IN_ALL
gssize         nav_stun_message_peek_length                (const guint8  *data,
                                                            gsize          length);
NAV_AVAILABLE_IN_ALL
gboolean       nav_stun_message_peek_type                  (const guint8  *data,
                                                            gsize          length,
                                                            NavStunClass  *klass,
                                                            guint         *method);

/* NavStunMessage: a parsed message */

NAV_AVAILABLE_IN_ALL
GType           nav_stun_message_get_type                  (void) G_GNUC_CONST;
NAV_AVAILABLE_IN_ALL
NavStunMessage *nav_stun_message_parse                     (const guint8      *data,
                                                            gsize              length,
                                                            GError           **error);
NAV_AVAILABLE_IN_ALL
NavStunMessage *nav_stun_message_parse_full                (const guint8      *data,
                                                            gsize              length,
                                                            NavStunParseFlags  flags,
                                                            GError           **error);
NAV_AVAILABLE_IN_ALL
NavStunMessage *nav_stun_message_parse_bytes               (GBytes            *bytes,
                                                            NavStunParseFlags  flags,
                                                            GError           **error);
NAV_AVAILABLE_IN_ALL
NavStunMessage *nav_stun_message_ref                       (NavStunMessage    *message);
NAV_AVAILABLE_IN_ALL
void            nav_stun_message_unref                     (NavStunMessage    *message);

NAV_AVAILABLE_IN_ALL
NavStunClass    nav_stun_message_get_class                 (const NavStunMessage *message);
NAV_AVAILABLE_IN_ALL
guint           nav_stun_message_get_method                (const NavStunMessage *message);
NAV_AVAILABLE_IN_ALL
const guint8   *nav_stun_message_get_transaction_id        (const NavStunMessage *message);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_has_transaction_id        (const NavStunMessage *message,
                                                            const guint8         *transaction_id);

/* Attribute access */

NAV_AVAILABLE_IN_ALL
gint            nav_stun_message_find_attribute            (const NavStunMessage *message,
                                                            guint16               type,
                                                            guint                 from_index);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_has_attribute             (const NavStunMessage *message,
                                                            guint16               type);
NAV_AVAILABLE_IN_ALL
const guint8   *nav_stun_message_get_attribute             (const NavStunMessage *message,
                                                            guint16               type,
                                                            gsize                *length);
NAV_AVAILABLE_IN_ALL
const guint16  *nav_stun_message_get_unknown_required_attributes (const NavStunMessage *message,
                                                                  gsize                *n_attributes);

/* Generic typed getters: the first attribute of the type */

NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_uint32                (const NavStunMessage *message,
                                                            guint16               type,
                                                            guint32              *value,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_uint64                (const NavStunMessage *message,
                                                            guint16               type,
                                                            guint64              *value,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_address               (const NavStunMessage *message,
                                                            guint16               type,
                                                            NavAddress           *address,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_xor_address           (const NavStunMessage *message,
                                                            guint16               type,
                                                            NavAddress           *address,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_xor_address_nth       (const NavStunMessage *message,
                                                            guint                 index_,
                                                            NavAddress           *address,
                                                            GError              **error);

/* Typed getters of RFC 8489, RFC 8445 and RFC 5780 */

NAV_AVAILABLE_IN_ALL
gchar          *nav_stun_message_get_username              (const NavStunMessage *message,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gchar          *nav_stun_message_get_realm                 (const NavStunMessage *message,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gchar          *nav_stun_message_get_nonce                 (const NavStunMessage *message,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gchar          *nav_stun_message_get_software              (const NavStunMessage *message,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_error_code            (const NavStunMessage *message,
                                                            guint                *code,
                                                            gchar               **reason,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
guint16        *nav_stun_message_get_unknown_attributes    (const NavStunMessage *message,
                                                            gsize                *n_attributes,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_password_algorithm    (const NavStunMessage *message,
                                                            guint                *algorithm,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
guint16        *nav_stun_message_get_password_algorithms   (const NavStunMessage *message,
                                                            gsize                *n_algorithms,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_mapped_address        (const NavStunMessage *message,
                                                            NavAddress           *address,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_xor_mapped_address    (const NavStunMessage *message,
                                                            NavAddress           *address,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_alternate_server      (const NavStunMessage *message,
                                                            NavAddress           *address,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_response_origin       (const NavStunMessage *message,
                                                            NavAddress           *address,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_other_address         (const NavStunMessage *message,
                                                            NavAddress           *address,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_priority              (const NavStunMessage *message,
                                                            guint32              *priority,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_use_candidate         (const NavStunMessage *message);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_ice_controlled        (const NavStunMessage *message,
                                                            guint64              *tie_breaker,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_ice_controlling       (const NavStunMessage *message,
                                                            guint64              *tie_breaker,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_change_request        (const NavStunMessage      *message,
                                                            NavStunChangeRequestFlags *flags,
                                                            GError                   **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_response_port         (const NavStunMessage *message,
                                                            guint16              *port,
                                                            GError              **error);

/* Typed getters of TURN (RFC 8656, RFC 6062) */

NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_requested_transport   (const NavStunMessage *message,
                                                            guint8               *protocol,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_address_family        (const NavStunMessage *message,
                                                            guint16               type,
                                                            GSocketFamily        *family,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_even_port             (const NavStunMessage *message,
                                                            gboolean             *reserve,
                                                            GError              **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_get_address_error_code    (const NavStunMessage *message,
                                                            GSocketFamily        *family,
                                                            guint                *code,
                                                            gchar               **reason,
                                                            GError              **error);

/* Integrity and fingerprint */

NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_has_message_integrity     (const NavStunMessage *message);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_has_message_integrity_sha256 (const NavStunMessage *message);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_has_fingerprint           (const NavStunMessage *message);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_check_integrity           (const NavStunMessage *message,
                                                            const guint8         *key,
                                                            gsize                 key_length,
                                                            GError              **error);

/* NavStunMessageBuilder */

NAV_AVAILABLE_IN_ALL
GType           nav_stun_message_builder_get_type          (void) G_GNUC_CONST;
NAV_AVAILABLE_IN_ALL
NavStunMessageBuilder *nav_stun_message_builder_new        (NavStunClass          klass,
                                                            guint                 method,
                                                            const guint8         *transaction_id);
NAV_AVAILABLE_IN_ALL
NavStunMessageBuilder *nav_stun_message_builder_new_response (const NavStunMessage *request,
                                                              NavStunClass          klass);
NAV_AVAILABLE_IN_ALL
NavStunMessageBuilder *nav_stun_message_builder_new_with_buffer (NavStunClass   klass,
                                                                 guint          method,
                                                                 const guint8  *transaction_id,
                                                                 guint8        *buffer,
                                                                 gsize          buffer_size);
NAV_AVAILABLE_IN_ALL
NavStunMessageBuilder *nav_stun_message_builder_ref        (NavStunMessageBuilder *builder);
NAV_AVAILABLE_IN_ALL
void            nav_stun_message_builder_unref             (NavStunMessageBuilder *builder);
NAV_AVAILABLE_IN_ALL
const guint8   *nav_stun_message_builder_get_transaction_id (NavStunMessageBuilder *builder);
NAV_AVAILABLE_IN_ALL
GBytes         *nav_stun_message_builder_finish            (NavStunMessageBuilder *builder,
                                                            GError               **error);
NAV_AVAILABLE_IN_ALL
gsize           nav_stun_message_builder_finish_to_buffer  (NavStunMessageBuilder *builder,
                                                            GError               **error);

/* Generic typed adders */

NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_attribute     (NavStunMessageBuilder *builder,
                                                            guint16                type,
                                                            const guint8          *value,
                                                            gsize                  length,
                                                            GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_flag          (NavStunMessageBuilder *builder,
                                                            guint16                type,
                                                            GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_uint32        (NavStunMessageBuilder *builder,
                                                            guint16                type,
                                                            guint32                value,
                                                            GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_uint64        (NavStunMessageBuilder *builder,
                                                            guint16                type,
                                                            guint64                value,
                                                            GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_address       (NavStunMessageBuilder *builder,
                                                            guint16                type,
                                                            const NavAddress      *address,
                                                            GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_xor_address   (NavStunMessageBuilder *builder,
                                                            guint16                type,
                                                            const NavAddress      *address,
                                                            GError               **error);

/* Typed adders of RFC 8489, RFC 8445 and RFC 5780 */

NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_username      (NavStunMessageBuilder *builder,
                                                            const gchar           *username,
                                                            GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_realm         (NavStunMessageBuilder *builder,
                                                            const gchar           *realm,
                                                            GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_nonce         (NavStunMessageBuilder *builder,
                                                            const gchar           *nonce,
                                                            GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_software      (NavStunMessageBuilder *builder,
                                                            const gchar           *software,
                                                            GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_error_code    (NavStunMessageBuilder *builder,
                                                            guint                  code,
                                                            const gchar           *reason,
                                                            GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_unknown_attributes (NavStunMessageBuilder *builder,
                                                                 const guint16         *types,
                                                                 gsize                  n_types,
                                                                 GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_password_algorithm (NavStunMessageBuilder *builder,
                                                                 guint                  algorithm,
                                                                 GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_password_algorithms (NavStunMessageBuilder *builder,
                                                                  const guint16         *algorithms,
                                                                  gsize                  n_algorithms,
                                                                  GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_mapped_address (NavStunMessageBuilder *builder,
                                                             const NavAddress      *address,
                                                             GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_xor_mapped_address (NavStunMessageBuilder *builder,
                                                                 const NavAddress      *address,
                                                                 GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_response_origin (NavStunMessageBuilder *builder,
                                                              const NavAddress      *address,
                                                              GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_other_address (NavStunMessageBuilder *builder,
                                                            const NavAddress      *address,
                                                            GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_priority      (NavStunMessageBuilder *builder,
                                                            guint32                priority,
                                                            GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_use_candidate (NavStunMessageBuilder *builder,
                                                            GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_ice_controlled (NavStunMessageBuilder *builder,
                                                             guint64                tie_breaker,
                                                             GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_ice_controlling (NavStunMessageBuilder *builder,
                                                              guint64                tie_breaker,
                                                              GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_change_request (NavStunMessageBuilder     *builder,
                                                             NavStunChangeRequestFlags  flags,
                                                             GError                   **error);

/* Typed adders of TURN (RFC 8656, RFC 6062) */

NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_channel_number (NavStunMessageBuilder *builder,
                                                             guint16                channel,
                                                             GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_requested_transport (NavStunMessageBuilder *builder,
                                                                  guint8                 protocol,
                                                                  GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_address_family (NavStunMessageBuilder *builder,
                                                             guint16                type,
                                                             GSocketFamily          family,
                                                             GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_address_error_code (NavStunMessageBuilder *builder,
                                                                 GSocketFamily          family,
                                                                 guint                  code,
                                                                 const gchar           *reason,
                                                                 GError               **error);

/* Integrity and fingerprint, in this order, last */

NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_message_integrity (NavStunMessageBuilder *builder,
                                                                const guint8          *key,
                                                                gsize                  key_length,
                                                                GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_message_integrity_sha256 (NavStunMessageBuilder *builder,
                                                                       const guint8          *key,
                                                                       gsize                  key_length,
                                                                       gsize                  mac_length,
                                                                       GError               **error);
NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_message_builder_add_fingerprint   (NavStunMessageBuilder *builder,
                                                            GError               **error);

/* Credentials (RFC 8489 §9, RFC 8265) */

NAV_AVAILABLE_IN_ALL
gchar          *nav_stun_prepare_opaque_string             (const gchar              *string,
                                                            GError                  **error);
NAV_AVAILABLE_IN_ALL
GBytes         *nav_stun_derive_short_term_key             (const gchar              *password,
                                                            GError                  **error);
NAV_AVAILABLE_IN_ALL
GBytes         *nav_stun_derive_long_term_key              (const gchar              *username,
                                                            const gchar              *realm,
                                                            const gchar              *password,
                                                            NavStunPasswordAlgorithm  algorithm,
                                                            GError                  **error);

/* TURN ChannelData framing (RFC 8656 §12) */

NAV_AVAILABLE_IN_ALL
gboolean        nav_stun_channel_data_is_channel_data      (const guint8  *data,
                                                            gsize          length);
NAV_AVAILABLE_IN_ALL
const guint8   *nav_stun_channel_data_parse                (const guint8  *data,
                                                            gsize          length,
                                                            guint16       *channel,
                                                            gsize         *payload_length,
                                                            GError       **error);
NAV_AVAILABLE_IN_ALL
GBytes         *nav_stun_channel_data_new                  (guint16        channel,
                                                            const guint8  *payload,
                                                            gsize          payload_length,
                                                            gboolean       padded);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavStunMessage, nav_stun_message_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavStunMessageBuilder, nav_stun_message_builder_unref)

G_END_DECLS
