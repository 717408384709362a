//! `rollout`: take a service change from git to a Kubernetes staging cluster with evidence at every step.
//!
//! The library does all the work; the binary (`src/main.rs`) only parses arguments, calls one function
//! per subcommand and maps the result to an exit code. Nothing in this crate prints except `main.rs`
//! and the renderers it calls.
#![forbid(unsafe_code)]

pub mod alerts;
pub mod argocd;
pub mod clients;
pub mod dashboards;
pub mod diff;
pub mod duration;
pub mod evidence;
pub mod exit;
pub mod fileset;
pub mod finding;
pub mod fsutil;
pub mod generate;
pub mod git;
pub mod gojson;
pub mod hydrate;
pub mod init;
pub mod kustomize;
pub mod label_selector;
pub mod layout;
pub mod live;
pub mod mask;
pub mod metrics;
pub mod preview;
pub mod promote;
pub mod promql;
pub mod redis;
pub mod resource;
pub mod routes;
pub mod schema;
pub mod scrape;
pub mod secret;
pub mod spec;
pub mod status;
pub mod target;
pub mod value;
pub mod verify;
pub mod yaml;
