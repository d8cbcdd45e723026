/* nice-version.h: the libnice API level NetAvanue's compatibility
 * layer mirrors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Programs test NICE_CHECK_VERSION() before they call newer libnice API;
 * the layer offers libnice 0.1.21's agent API (nice_agent_close_async(),
 * nice_agent_get_sockets(), consent freshness, …).
 */
#pragma once

#define NICE_VERSION_MAJOR 0
#define NICE_VERSION_MINOR 1
#define NICE_VERSION_MICRO 21
#define NICE_VERSION_NANO 0

/* TRUE when the mirrored API is at least @major.@minor.@micro. */
#define NICE_CHECK_VERSION(major, minor, micro) \
  (NICE_VERSION_MAJOR > (major) || \
   (NICE_VERSION_MAJOR == (major) && NICE_VERSION_MINOR > (minor)) || \
   (NICE_VERSION_MAJOR == (major) && NICE_VERSION_MINOR == (minor) && \
    NICE_VERSION_MICRO >= (micro)))
