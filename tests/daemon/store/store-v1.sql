-- store-v1.sql — a biosync database as schema version 1 wrote it, with
-- some rows; test-store opens it with BsdStore and checks the migration.
--
-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Version 1 had no devices.time_zone, people.central_edit,
-- attendance.workcode, tombstone confirmations (tombstones.retired_at,
-- tombstone_devices) nor disabled_devices.

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
  clock_offset INTEGER NOT NULL DEFAULT 0);
CREATE INDEX devices_area ON devices (area_id);
CREATE TABLE people (
  pin TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  privilege INTEGER NOT NULL DEFAULT 0,
  password TEXT NOT NULL DEFAULT '',
  card INTEGER NOT NULL DEFAULT 0,
  group_id INTEGER NOT NULL DEFAULT 1,
  updated_at INTEGER NOT NULL DEFAULT 0);
CREATE TABLE tombstones (
  pin TEXT PRIMARY KEY NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT);
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
  collected_at INTEGER NOT NULL,
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

-- two areas, three terminals (C without area)
INSERT INTO areas (id, name, primary_device_id, last_sync) VALUES
  (1, 'Main building', NULL, 1700000000000000),
  (2, 'Gate', NULL, 0);
INSERT INTO devices (id, name, address, port, protocol, comm_key, timeout_ms, enabled, area_id,
                     state, last_seen, serial, platform, firmware, fp_version, face_version,
                     face_supported, users, fingerprints, faces, user_capacity,
                     fingerprint_capacity, face_capacity, clock_offset) VALUES
  (1, 'Terminal A', '192.0.2.10', 4370, 'tcp', 271828, 5000, 1, 1, 'online',
   1700000000000000, 'SER-A', 'ZMM220_TFT', 'Ver 6.60', '10', '7', 1, 2, 1, 1, 3000, 6000,
   400, -3),
  (2, 'Terminal B', '192.0.2.11', 4370, 'udp', 0, 8000, 1, 1, 'offline', 0, NULL, NULL, NULL,
   NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0),
  (3, 'Terminal C', '192.0.2.12', 4371, 'auto', 0, 5000, 0, NULL, 'unknown', 0, 'SER-C', NULL,
   NULL, '10', NULL, 0, 2, 0, 0, 1000, 2000, 0, 0);
UPDATE areas SET primary_device_id = 1 WHERE id = 1;

INSERT INTO people (pin, name, privilege, password, card, group_id, updated_at) VALUES
  ('1', 'Alice Ámbar', 0, '', 1001, 1, 1690000000000000),
  ('2', 'Bob', 14, '4321', 0, 1, 1690000000000000),
  ('10', 'Carol', 0, '', 0, 1, 1690000000000000);

-- PIN 99 was deleted under version 1, but terminal C still holds it
INSERT INTO tombstones (pin, created_at, created_by) VALUES
  ('99', 1695000000000000, 'uid:1000');

INSERT INTO device_users (device_id, pin, uid, name, privilege, password, card, group_id,
                          seen_at) VALUES
  (1, '1', 1, 'Alice Ámbar', 0, '', 1001, 1, 1700000000000000),
  (1, '2', 2, 'Bob', 14, '4321', 0, 1, 1700000000000000),
  (3, '1', 5, 'Alice', 0, '', 1001, 1, 1700000000000000),
  (3, '99', 6, 'Zed', 0, '', 0, 1, 1700000000000000);

INSERT INTO templates (pin, kind, idx, version, valid, data, hash, created_at) VALUES
  ('1', 'finger', 0, '10', 1, X'0102030405060708',
   '66840dda154e8a113c31dd0ad32f7f3a366a80e8136979d8f5a101d3d29d6f72', 1690000000000000),
  ('1', 'face', 50, '7', 1, X'4641434544415441',
   '8984f9729ab47348f15f81d35811be36215bc7dc08833b553591f68c7bce2316', 1690000000000000);
INSERT INTO device_templates (device_id, pin, kind, idx, hash) VALUES
  (1, '1', 'finger', 0, '66840dda154e8a113c31dd0ad32f7f3a366a80e8136979d8f5a101d3d29d6f72'),
  (1, '1', 'face', 50, '8984f9729ab47348f15f81d35811be36215bc7dc08833b553591f68c7bce2316');

-- 2023-11-14T08:00:00 local at UTC+1 = 07:00Z
INSERT INTO attendance (device_serial, pin, uid, utc_usec, local_time, verify, state, device_id,
                        collected_at) VALUES
  ('SER-A', '1', 1, 1699945200000000, '2023-11-14T08:00:00', 1, 0, 1, 1700000000000000),
  ('SER-A', '2', 2, 1699948800000000, '2023-11-14T09:00:00', 1, 0, 1, 1700000000000000),
  ('SER-A', '1', 1, 1699977600000000, '2023-11-14T17:00:00', 1, 1, 1, 1700000000000000);
INSERT INTO log_watermarks (device_serial, device_id, count, last_local_time, updated_at) VALUES
  ('SER-A', 1, 3, '2023-11-14T17:00:00', 1700000000000000);

INSERT INTO job_executions (id, kind, target, "trigger", requested_by_uid, state, queued_at,
                            started_at, finished_at, summary, report) VALUES
  (1, 'sync-area', 'area:1', 'uid:1000', 1000, 'succeeded', 1700000000000000,
   1700000000100000, 1700000005000000, '2 devices synced', '{"devices": [1, 2]}'),
  (2, 'auto-sync', '', 'scheduler', NULL, 'running', 1700003600000000, 1700003600100000, 0,
   NULL, NULL);
INSERT INTO job_device_results (job_id, device_id, device_name, status, added, updated, deleted,
                                skipped, failed, reason, details) VALUES
  (1, 1, 'Terminal A', 'ok', 0, 0, 0, 2, 0, NULL, NULL),
  (1, 2, 'Terminal B', 'ok', 2, 0, 0, 0, 0, NULL, '{"added": ["1", "2"]}');

INSERT INTO settings (key, value) VALUES
  ('SyncInterval', '30'),
  ('AutoSync', 'false');

PRAGMA application_id = 1112758596;
PRAGMA user_version = 1;
COMMIT;
