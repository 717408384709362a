//! Built-in schemas and content checks for the files `rollout` verifies and sends.
//!
//! Each submodule owns one document kind: its JSON Schema and the extra rules the real server applies.
//! No I/O here: callers hand in parsed JSON and get findings back.

pub mod alertmanager;
pub mod grafana;
