/* nav-device-capability.h: what a device can offer as a hub
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <netavanue/netavanue.h>

G_BEGIN_DECLS

#define NAV_TYPE_DEVICE_CAPABILITY (nav_device_capability_get_type ())
G_DECLARE_FINAL_TYPE (NavDeviceCapability, nav_device_capability, NAV, DEVICE_CAPABILITY, GObject)

void                 nav_device_capability_register      (GTypeModule *module);

NavDeviceCapability *nav_device_capability_new           (void);
guint                nav_device_capability_get_cpu_count (NavDeviceCapability *self);
guint64              nav_device_capability_get_memory_bytes (NavDeviceCapability *self);
gboolean             nav_device_capability_get_on_battery (NavDeviceCapability *self);
guint                nav_device_capability_get_score     (NavDeviceCapability *self);

gboolean             nav_device_capability_refresh       (NavDeviceCapability *self);

G_END_DECLS
