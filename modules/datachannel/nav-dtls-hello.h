/* nav-dtls-hello.h: what we read in the peer's DTLS hello
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The value of the record_size_limit extension (RFC 8449 §4, type 28)
 * in the body of a DTLS 1.2 ClientHello (@client_hello, with its cookie)
 * or ServerHello: the largest plaintext the peer takes in a record; 0
 * when it has none or the message is malformed. */
guint nav_dtls_hello_record_size_limit (const guint8 *body,
                                        gsize         len,
                                        gboolean      client_hello);

G_END_DECLS
