/* bsd-time-zone.h — which time zones a device may name
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A device's time zone comes from callers (AddDevice, UpdateDevice) and
 * from the database. GLib loads a zone identifier as a path below the
 * zone directory, or as any path at all when it starts with '/': a FIFO
 * there blocks the caller, /dev/zero eats memory. So a zone is checked by
 * name against the system's zone database, read once, and only a name
 * that passed is ever loaded.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* reads the zone names of the system's database ($TZDIR, else
 * /usr/share/zoneinfo: the "Z" and "L" lines of tzdata.zi) once; the
 * daemon calls it at start-up, bsd_time_zone_is_valid () on first use */
void bsd_time_zone_init (void);

/* TRUE for "" (the system's zone), "UTC", a zone name of the system's
 * database ("Europe/Berlin", also links such as "US/Eastern") and a fixed
 * offset "+HH:MM"/"-HH:MM" (hours up to 14); never touches the file
 * system, never takes a path */
gboolean bsd_time_zone_is_valid (const char *identifier);

G_END_DECLS
