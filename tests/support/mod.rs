//! Test-only support: real tool lookup, temp repo copies, local fake API servers.
//! Never used by `src/`.
#![allow(dead_code)]

pub mod repo;
pub mod tools;
