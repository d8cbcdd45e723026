/* nav-share-pake.h: CPace on ristretto255 for nav-share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define NAV_SHARE_PAKE_SID_LEN 16
#define NAV_SHARE_PAKE_POINT_LEN 32
#define NAV_SHARE_PAKE_MAC_LEN 32
#define NAV_SHARE_PAKE_KEY_LEN 32

/* Message 1 (sender → receiver): sid ‖ Ya.
 * Message 2 (receiver → sender): Yb ‖ Tb.
 * Message 3 (sender → receiver): Ta. */
#define NAV_SHARE_PAKE_MSG1_LEN (NAV_SHARE_PAKE_SID_LEN + NAV_SHARE_PAKE_POINT_LEN)
#define NAV_SHARE_PAKE_MSG2_LEN (NAV_SHARE_PAKE_POINT_LEN + NAV_SHARE_PAKE_MAC_LEN)
#define NAV_SHARE_PAKE_MSG3_LEN NAV_SHARE_PAKE_MAC_LEN

typedef struct _NavSharePake NavSharePake;

gboolean      nav_share_pake_init      (void);
NavSharePake *nav_share_pake_new       (gboolean      initiator,
                                        const gchar  *password,
                                        const guint8 *channel_id,
                                        gsize         channel_id_len);
void          nav_share_pake_free      (NavSharePake *self);

void          nav_share_pake_message1  (NavSharePake *self,
                                        guint8        out[NAV_SHARE_PAKE_MSG1_LEN]);
gboolean      nav_share_pake_message2  (NavSharePake *self,
                                        const guint8 *msg1,
                                        gsize         len,
                                        guint8        out[NAV_SHARE_PAKE_MSG2_LEN],
                                        GError      **error);
gboolean      nav_share_pake_message3  (NavSharePake *self,
                                        const guint8 *msg2,
                                        gsize         len,
                                        guint8        out[NAV_SHARE_PAKE_MSG3_LEN],
                                        GError      **error);
gboolean      nav_share_pake_finish    (NavSharePake *self,
                                        const guint8 *msg3,
                                        gsize         len,
                                        GError      **error);
const guint8 *nav_share_pake_get_key   (NavSharePake *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavSharePake, nav_share_pake_free)

G_END_DECLS
