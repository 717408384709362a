//! The hand-off to Argo CD: Application manifests, their schema check, the REST client, the sync
//! wait and its evidence. Owns everything that speaks Argo CD; never applies manifests itself and
//! never reads the rollout spec (callers fill [`application::ApplicationParams`]).
//!
//! Layout: `application` (pure manifest builder), `schema` (CRD schema check), `api` (sans-IO
//! requests, error bodies and wording; sent by the shared `clients::http` executor), `status` (reading an Application's
//! status), `wait` (pure state machine over observed statuses), `sync` (sync + wait, the one
//! function `rollout sync` calls), `evidence` (what is recorded), `progress` (how waiting is shown),
//! `rollback` (rollback overlay + sync hand-off).

pub mod api;
pub mod application;
pub mod evidence;
pub mod progress;
pub mod rollback;
pub mod schema;
pub mod status;
pub mod sync;
pub mod wait;
