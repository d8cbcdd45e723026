/* nav-io-stream-private.h: the GIOStream of a reliable NavAgent's
 * component (nav_agent_get_io_stream())
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "netavanue/netavanue.h"

G_BEGIN_DECLS

/* nav-io-stream.c */
GIOStream *nav_io_stream_new (NavAgent *agent,
                              guint     stream_id,
                              guint     component_id);

/* nav-agent-reliable.c */
gboolean nav_agent_reliable_check      (NavAgent      *agent,
                                        guint          stream_id,
                                        guint          component_id,
                                        GIOCondition   condition);
gssize   nav_agent_reliable_transfer   (NavAgent      *agent,
                                        guint          stream_id,
                                        guint          component_id,
                                        gboolean       write,
                                        guint8        *buf,
                                        gsize          len,
                                        gboolean       blocking,
                                        GCancellable  *cancellable,
                                        GError       **error);
void     nav_agent_reliable_shutdown   (NavAgent      *agent,
                                        guint          stream_id,
                                        guint          component_id,
                                        gboolean       read,
                                        gboolean       write);
GSource *nav_agent_reliable_source_new (NavAgent      *agent,
                                        guint          stream_id,
                                        guint          component_id,
                                        GIOCondition   condition);

G_END_DECLS
