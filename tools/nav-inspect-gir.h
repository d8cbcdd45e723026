/* nav-inspect-gir.h: the descriptions of the core's types, properties
 * and signals, read from the GIR file (Nav-1.0.gir) that gi-docgen and
 * the bindings read
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The first paragraph of the documentation of @type (@member NULL), of
 * its property @member, or of its signal @member (@signal TRUE); NULL
 * when the GIR file was not found or says nothing. */
const gchar *nav_inspect_gir_doc        (GType        type,
                                         const gchar *member,
                                         gboolean     signal);
/* The type named @name, registering a core type that nothing used yet
 * (as GtkBuilder does: NavPeerConnection → nav_peer_connection_get_type). */
GType        nav_inspect_resolve_type   (const gchar *name);
void         nav_inspect_gir_clear      (void);

G_END_DECLS
