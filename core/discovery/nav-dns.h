/* nav-dns.h: DNS messages (RFC 1035) as mDNS (RFC 6762) and DNS-SD
 * (RFC 6763) use them, parsed from untrusted bytes and written (internal)
 *
 * Plain C over GLib, no GType, no I/O: the core's `.local` resolver, the
 * discovery module and the fuzz target share it (static library
 * nav-mdns, core/discovery/meson.build).
 *
 * Names are kept in presentation form: labels joined by dots, a dot or
 * a backslash inside a label escaped with a backslash, other bytes
 * below 0x21 or 0x7f as \DDD (RFC 4343 §2.1), bytes from 0x80 as they
 * are (DNS-SD instance names are UTF-8, RFC 6763 §4.1.1).  No trailing
 * dot.  Comparison ignores ASCII case (RFC 6762 §16).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define NAV_DNS_TYPE_A     1
#define NAV_DNS_TYPE_PTR   12
#define NAV_DNS_TYPE_TXT   16
#define NAV_DNS_TYPE_AAAA  28
#define NAV_DNS_TYPE_SRV   33
#define NAV_DNS_TYPE_NSEC  47
#define NAV_DNS_TYPE_ANY   255

#define NAV_DNS_CLASS_IN   1
/* RFC 6762 §10.2 (cache-flush, in records) and §5.4 (unicast response
 * wanted, in questions): the top bit of the class. */
#define NAV_DNS_CLASS_TOP_BIT 0x8000

#define NAV_DNS_FLAG_RESPONSE      0x8000
#define NAV_DNS_FLAG_AUTHORITATIVE 0x0400
#define NAV_DNS_FLAG_TRUNCATED     0x0200

/* RFC 1035 §2.3.4 */
#define NAV_DNS_MAX_NAME   255
#define NAV_DNS_MAX_LABEL  63
/* RFC 6762 §17: a message is at most 9000 bytes. */
#define NAV_DNS_MAX_MESSAGE 9000
/* Records a message may carry in all: a 9000-byte message holds at most
 * about 800 of the smallest records; more is a forgery. */
#define NAV_DNS_MAX_RECORDS 512
/* Presentation form of a name: every byte may become \DDD. */
#define NAV_DNS_MAX_NAME_TEXT (NAV_DNS_MAX_NAME * 4 + 1)

typedef enum {
  NAV_DNS_SECTION_QUESTION,
  NAV_DNS_SECTION_ANSWER,
  NAV_DNS_SECTION_AUTHORITY,
  NAV_DNS_SECTION_ADDITIONAL,
} NavDnsSection;

typedef struct {
  gchar *name;
  guint16 type;
  guint16 klass;         /* without the top bit */
  gboolean unicast;      /* the QU bit */
} NavDnsQuestion;

typedef struct {
  gchar *name;
  guint16 type;
  guint16 klass;         /* without the top bit */
  gboolean cache_flush;
  guint32 ttl;
  union {
    guint8 a[4];
    guint8 aaaa[16];
    gchar *ptr;          /* PTR target */
    struct {
      guint16 priority, weight, port;
      gchar *target;
    } srv;
    GPtrArray *txt;      /* GBytes, one per character-string */
    struct {
      gchar *next;
      guint8 bitmap[32]; /* window 0 only (types 0-255) */
    } nsec;
  } data;
  GBytes *raw;           /* other types: the RDATA as it came */
} NavDnsRecord;

typedef struct {
  guint16 id;
  guint16 flags;
  GPtrArray *questions;  /* NavDnsQuestion */
  GPtrArray *answers;    /* NavDnsRecord */
  GPtrArray *authority;  /* NavDnsRecord */
  GPtrArray *additional; /* NavDnsRecord */
} NavDnsMessage;

#define NAV_DNS_ERROR (nav_dns_error_quark ())
GQuark nav_dns_error_quark (void);

typedef enum {
  NAV_DNS_ERROR_TRUNCATED,   /* the bytes end inside a header, name or record */
  NAV_DNS_ERROR_BAD_NAME,    /* label too long, name too long, pointer loop or forward pointer */
  NAV_DNS_ERROR_BAD_RECORD,  /* RDATA of a known type with the wrong length or content */
  NAV_DNS_ERROR_TOO_LARGE,   /* over NAV_DNS_MAX_MESSAGE bytes or NAV_DNS_MAX_RECORDS records */
  NAV_DNS_ERROR_TRAILING,    /* bytes after the last record */
} NavDnsError;

NavDnsMessage *nav_dns_message_new          (guint16          id,
                                             guint16          flags);
void           nav_dns_message_free         (NavDnsMessage   *message);
NavDnsMessage *nav_dns_message_parse        (const guint8    *data,
                                             gsize            len,
                                             GError         **error);
/* Writes @message with name compression (RFC 1035 §4.1.4).  Returns the
 * bytes, or NULL when it does not fit in @max_len (the caller splits). */
GBytes        *nav_dns_message_write        (const NavDnsMessage *message,
                                             gsize            max_len);

NavDnsQuestion *nav_dns_message_add_question (NavDnsMessage  *message,
                                              const gchar    *name,
                                              guint16         type,
                                              gboolean        unicast);
/* Adds a record of @type to @section; fill in its data. */
NavDnsRecord  *nav_dns_message_add_record   (NavDnsMessage   *message,
                                             NavDnsSection    section,
                                             const gchar     *name,
                                             guint16          type,
                                             guint32          ttl,
                                             gboolean         cache_flush);

NavDnsRecord  *nav_dns_record_new           (const gchar     *name,
                                             guint16          type,
                                             guint32          ttl,
                                             gboolean         cache_flush);
NavDnsRecord  *nav_dns_record_copy          (const NavDnsRecord *record);
void           nav_dns_record_free          (NavDnsRecord    *record);
/* Same name, type, class and RDATA (RFC 6762 §10.2: the TTL and the
 * cache-flush bit aside). */
gboolean       nav_dns_record_equal_data    (const NavDnsRecord *a,
                                             const NavDnsRecord *b);
/* RFC 6762 §8.2 lexicographic comparison of two records' class, type
 * and RDATA (as written, names uncompressed): < 0, 0, > 0. */
gint           nav_dns_record_compare       (const NavDnsRecord *a,
                                             const NavDnsRecord *b);
/* The RDATA as written uncompressed (names in wire form). */
GBytes        *nav_dns_record_get_rdata     (const NavDnsRecord *record);
void           nav_dns_record_add_txt       (NavDnsRecord    *record,
                                             const gchar     *key,
                                             const gchar     *value);
/* The value of @key in a TXT record (RFC 6763 §6.4: the first one wins,
 * keys compared ignoring case): NULL when absent, "" for a key without
 * '=' (boolean attribute). */
gchar         *nav_dns_record_get_txt       (const NavDnsRecord *record,
                                             const gchar     *key);

gboolean       nav_dns_name_equal           (const gchar     *a,
                                             const gchar     *b);
guint          nav_dns_name_hash            (gconstpointer    name);
gboolean       nav_dns_name_has_suffix      (const gchar     *name,
                                             const gchar     *suffix);
/* Escapes one label (an instance name) for use in a name. */
gchar         *nav_dns_label_escape         (const gchar     *label);
/* The first label of @name, unescaped (an instance name); NULL when the
 * escapes are malformed. */
gchar         *nav_dns_name_first_label     (const gchar     *name);
/* Checks a presentation-form name: labels of 1-63 bytes, 255 in all. */
gboolean       nav_dns_name_is_valid        (const gchar     *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavDnsMessage, nav_dns_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavDnsRecord, nav_dns_record_free)

G_END_DECLS
