-- store-v2.sql — a biosync database as schema version 2 wrote it, with
-- some rows; test-store opens it with BsdStore and checks the migration to
-- version 3.
--
-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Version 2 retired a tombstone by itself once every terminal it knew to
-- hold the PIN had confirmed (tombstones.retired_at, tombstone_devices);
-- version 3 keeps a deletion until an administrator allows the PIN again.
-- Its log watermark was a record count only.

PRAGMA foreign_keys = ON;
BEGIN;

CREATE TABLE areas (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  primary_device_id INTEGER REFERENCES devices (id) ON DELETE SET NULL,
  last_sync INTEGER NOT NULL DEFAULT 0);
CREATE TABLE devices (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  address TEXT NOT NULL,
  port INTEGER NOT NULL DEFAULT 4370,
  protocol TEXT NOT NULL DEFAULT 'auto' CHECK (protocol IN ('tcp', 'udp', 'auto')),
  comm_key INTEGER NOT NULL DEFAULT 0,
  timeout_ms INTEGER NOT NULL DEFAULT 5000,
  enabled INTEGER NOT NULL DEFAULT 1,
  area_id INTEGER REFERENCES areas (id) ON DELETE SET NULL,
  state TEXT NOT NULL DEFAULT 'unknown',
  last_seen INTEGER NOT NULL DEFAULT 0,
  last_sync INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  serial TEXT,
  platform TEXT,
  firmware TEXT,
  fp_version TEXT,
  face_version TEXT,
  face_supported INTEGER NOT NULL DEFAULT 0,
  users INTEGER NOT NULL DEFAULT 0,
  fingerprints INTEGER NOT NULL DEFAULT 0,
  faces INTEGER NOT NULL DEFAULT 0,
  records INTEGER NOT NULL DEFAULT 0,
  user_capacity INTEGER NOT NULL DEFAULT 0,
  fingerprint_capacity INTEGER NOT NULL DEFAULT 0,
  face_capacity INTEGER NOT NULL DEFAULT 0,
  record_capacity INTEGER NOT NULL DEFAULT 0,
  clock_offset INTEGER NOT NULL DEFAULT 0, time_zone TEXT);
CREATE INDEX devices_area ON devices (area_id);
CREATE TABLE people (
  pin TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  privilege INTEGER NOT NULL DEFAULT 0,
  password TEXT NOT NULL DEFAULT '',
  card INTEGER NOT NULL DEFAULT 0,
  group_id INTEGER NOT NULL DEFAULT 1,
  updated_at INTEGER NOT NULL DEFAULT 0, central_edit INTEGER NOT NULL DEFAULT 0);
CREATE TABLE tombstones (
  pin TEXT PRIMARY KEY NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT, retired_at INTEGER);
CREATE TABLE device_users (
  device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  pin TEXT NOT NULL,
  uid INTEGER NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  privilege INTEGER NOT NULL DEFAULT 0,
  password TEXT NOT NULL DEFAULT '',
  card INTEGER NOT NULL DEFAULT 0,
  group_id INTEGER NOT NULL DEFAULT 0,
  tz1 INTEGER NOT NULL DEFAULT 0,
  tz2 INTEGER NOT NULL DEFAULT 0,
  tz3 INTEGER NOT NULL DEFAULT 0,
  tz4 INTEGER NOT NULL DEFAULT 0,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (device_id, pin),
  UNIQUE (device_id, uid));
CREATE INDEX device_users_pin ON device_users (pin);
CREATE TABLE templates (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pin TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('finger', 'face')),
  idx INTEGER NOT NULL,
  version TEXT NOT NULL,
  valid INTEGER NOT NULL DEFAULT 1,
  data BLOB NOT NULL,
  hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (pin, kind, idx, version, hash));
CREATE TABLE device_templates (
  device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  pin TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('finger', 'face')),
  idx INTEGER NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (device_id, pin, kind, idx));
CREATE INDEX device_templates_pin ON device_templates (pin);
CREATE TABLE attendance (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  device_serial TEXT NOT NULL,
  pin TEXT NOT NULL,
  uid INTEGER NOT NULL DEFAULT 0,
  utc_usec INTEGER NOT NULL,
  local_time TEXT NOT NULL,
  verify INTEGER NOT NULL DEFAULT 0,
  state INTEGER NOT NULL DEFAULT 0,
  device_id INTEGER REFERENCES devices (id) ON DELETE SET NULL,
  collected_at INTEGER NOT NULL, workcode INTEGER NOT NULL DEFAULT 0,
  UNIQUE (device_serial, pin, local_time, state));
CREATE TABLE log_watermarks (
  device_serial TEXT PRIMARY KEY NOT NULL,
  device_id INTEGER REFERENCES devices (id) ON DELETE SET NULL,
  count INTEGER NOT NULL DEFAULT 0,
  last_local_time TEXT,
  updated_at INTEGER NOT NULL);
CREATE TABLE job_executions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  "trigger" TEXT NOT NULL,
  requested_by_uid INTEGER,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'partial',
                                       'failed', 'cancelled', 'interrupted')),
  queued_at INTEGER NOT NULL,
  started_at INTEGER NOT NULL DEFAULT 0,
  finished_at INTEGER NOT NULL DEFAULT 0,
  summary TEXT,
  report TEXT);
CREATE INDEX job_executions_state ON job_executions (state);
CREATE TABLE job_device_results (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id INTEGER NOT NULL REFERENCES job_executions (id) ON DELETE CASCADE,
  device_id INTEGER REFERENCES devices (id) ON DELETE SET NULL,
  device_name TEXT,
  status TEXT NOT NULL,
  added INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  reason TEXT,
  details TEXT);
CREATE INDEX job_device_results_job ON job_device_results (job_id);
CREATE TABLE settings (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL);
CREATE INDEX attendance_utc ON attendance (utc_usec);
CREATE TABLE tombstone_devices (
  pin TEXT NOT NULL REFERENCES tombstones (pin) ON DELETE CASCADE,
  device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  confirmed_at INTEGER,
  PRIMARY KEY (pin, device_id));
CREATE INDEX tombstone_devices_device ON tombstone_devices (device_id);
CREATE TABLE disabled_devices (
  device_id INTEGER PRIMARY KEY NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  job_id INTEGER REFERENCES job_executions (id) ON DELETE SET NULL,
  since INTEGER NOT NULL);

INSERT INTO areas (id, name, last_sync) VALUES (1, 'Main building', 1710000000000000);
-- A and C were read (C's last good sync is its only trace of a read),
-- B was added while offline and never read
INSERT INTO devices (id, name, address, port, protocol, comm_key, timeout_ms, enabled, area_id,
                     state, last_seen, last_sync, serial, platform, firmware, fp_version,
                     face_version, face_supported, users, fingerprints, faces, records,
                     user_capacity, fingerprint_capacity, face_capacity, record_capacity,
                     clock_offset, time_zone) VALUES
  (1, 'Gate A', '192.0.2.20', 4370, 'tcp', 0, 5000, 1, 1, 'online', 1710000000000000,
   1710000000000000, 'SER-A2', 'ZMM220_TFT', 'Ver 6.60 Apr 26 2016', '10', '7', 1, 2, 0, 0, 4,
   3000, 6000, 400, 100000, 0, 'Europe/Berlin'),
  (2, 'Gate B', '192.0.2.21', 4370, 'auto', 0, 5000, 1, 1, 'offline', 0, 0, NULL, NULL, NULL,
   NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL),
  (3, 'Gate C', '192.0.2.22', 4370, 'tcp', 0, 5000, 1, NULL, 'online', 1710000000000000,
   1710000000000000, 'SER-C2', 'ZMM220_TFT', 'Ver 6.60 Apr 26 2016', '10', NULL, 0, 3, 0, 0,
   0, 3000, 6000, 0, 100000, 0, NULL);
UPDATE areas SET primary_device_id = 1 WHERE id = 1;

INSERT INTO people (pin, name, privilege, password, card, group_id, updated_at, central_edit)
  VALUES ('1', 'Alice Ámbar', 0, '', 1001, 1, 1705000000000000, 1),
         ('2', 'Bob', 14, '4321', 0, 1, 1705000000000000, 0),
         ('7', 'Grace', 0, '', 0, 1, 1709000000000000, 0);

-- 7: deleted, confirmed by A (the only holder version 2 knew), retired
--    by itself; re-enrolled on C since
-- 8: deleted, confirmed by A, still on C: active
-- 9: deleted while no terminal was known to hold it: active until a
--    first confirmation in version 2
INSERT INTO tombstones (pin, created_at, created_by, retired_at) VALUES
  ('7', 1700000000000000, 'uid:1000', 1700000500000000),
  ('8', 1701000000000000, 'uid:1001', NULL),
  ('9', 1702000000000000, NULL, NULL);
INSERT INTO tombstone_devices (pin, device_id, confirmed_at) VALUES
  ('7', 1, 1700000500000000),
  ('8', 1, 1701000500000000),
  ('8', 3, NULL);

INSERT INTO device_users (device_id, pin, uid, name, privilege, password, card, group_id,
                          seen_at) VALUES
  (1, '1', 1, 'Alice Ámbar', 0, '', 1001, 1, 1710000000000000),
  (1, '2', 2, 'Bob', 14, '4321', 0, 1, 1710000000000000),
  (3, '1', 1, 'Alice', 0, '', 1001, 1, 1710000000000000),
  (3, '7', 2, 'Grace', 0, '', 0, 1, 1710000000000000),
  (3, '8', 3, 'Heidi', 0, '', 0, 1, 1710000000000000);

INSERT INTO attendance (device_serial, pin, uid, utc_usec, local_time, verify, state, device_id,
                        collected_at, workcode) VALUES
  ('SER-A2', '1', 1, 1709971200000000, '2024-03-09T09:00:00', 1, 0, 1, 1710000000000000, 0),
  ('SER-A2', '2', 2, 1709974800000000, '2024-03-09T10:00:00', 1, 0, 1, 1710000000000000, 12),
  ('SER-A2', '1', 1, 1710000000000000, '2024-03-09T17:00:00', 1, 1, 1, 1710000000000000, 0),
  ('SER-A2', '2', 2, 1710003600000000, '2024-03-09T18:00:00', 1, 1, 1, 1710000000000000, 0);
INSERT INTO log_watermarks (device_serial, device_id, count, last_local_time, updated_at) VALUES
  ('SER-A2', 1, 4, '2024-03-09T18:00:00', 1710000000000000);

INSERT INTO job_executions (id, kind, target, "trigger", requested_by_uid, state, queued_at,
                            started_at, finished_at, summary, report) VALUES
  (1, 'delete-user', 'pin:8', 'uid:1001', 1001, 'partial', 1701000000000000,
   1701000000100000, 1701000500000000, '1 of 3 devices ok, 2 unreachable', '{"pin": "8"}');
-- a crash left A disabled
INSERT INTO disabled_devices (device_id, job_id, since) VALUES (1, 1, 1701000000200000);

INSERT INTO settings (key, value) VALUES ('ClearLogsAfterDownload', 'true');

PRAGMA application_id = 1112758596;
PRAGMA user_version = 2;
COMMIT;
