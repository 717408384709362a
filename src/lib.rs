//! `rollout`: take a service change from git to a Kubernetes staging cluster with evidence at every step.
//!
//! The library does all the work; the binary (`src/main.rs`) only parses arguments, calls one function
//! per subcommand and maps the result to an exit code. Nothing in this crate prints except `main.rs`
//! and the renderers it calls.
#![forbid(unsafe_code)]

pub mod diff;
pub mod duration;
pub mod exit;
pub mod fsutil;
pub mod live;
pub mod resource;
pub mod secret;
pub mod yaml;
