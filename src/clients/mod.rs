//! HTTP clients for the services `rollout` talks to: sans-IO request builders and response parsers per API,
//! plus one thin reqwest executor ([`http`]).
//!
//! Owns the wire format of each API (paths, query, bodies, status codes). Must not read files, the
//! environment or the clock: callers pass tokens, times and payloads in.

pub mod alertmanager;
pub mod grafana;
pub mod http;
