//! Schema registry: what each kind of input is validated against (Kubernetes built-in kinds,
//! kubeconform-style schema directories, CRD `openAPIV3Schema`s, Helm `values.schema.json`).
//!
//! Owns schemas and their compiled validators; does no output and decides no verdicts.

pub mod crd;
pub mod kubernetes;
pub mod values;
