//! The kustomize engine's error type: every variant names the file (and line:col where known).
//! Owns messages only; builds nothing.

use std::path::PathBuf;

use crate::yaml::YamlError;

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum KustomizeError {
    /// A file or directory could not be read.
    #[error("{}: cannot read: {cause}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error (part of the message).
        cause: std::io::Error,
    },
    /// A file is not valid YAML.
    #[error("{}:{cause}", file.display())]
    Yaml {
        /// The file.
        file: PathBuf,
        /// The parser's error with line and column (part of the message).
        cause: YamlError,
    },
    /// A directory holds no kustomization file.
    #[error(
        "{}: no kustomization file (kustomization.yaml, kustomization.yml or Kustomization)",
        dir.display()
    )]
    NoKustomization {
        /// The directory.
        dir: PathBuf,
    },
    /// A referenced file or directory does not exist.
    #[error("{location}: {what} {path:?} does not exist")]
    Missing {
        /// `file:line:col` of the reference.
        location: String,
        /// What kind of reference (`resource`, `patch`, `component`, ...).
        what: &'static str,
        /// The path as written.
        path: String,
    },
    /// Kustomizations include each other in a loop.
    #[error("cycle between kustomizations: {chain}")]
    Cycle {
        /// The directories in the loop, joined by ` -> `.
        chain: String,
    },
    /// A field or value that kustomize supports but this engine does not (or never will, like
    /// remote resources and exec plugins).
    #[error("{location}: unsupported: {what}")]
    Unsupported {
        /// `file:line:col` of the field.
        location: String,
        /// What is not supported.
        what: String,
    },
    /// A kustomization, patch or generator that is malformed.
    #[error("{location}: {message}")]
    Invalid {
        /// `file:line:col` (or just the file).
        location: String,
        /// What is wrong.
        message: String,
    },
    /// Two resources with the same id.
    #[error(
        "{location}: may not add resource with an already registered id: {id} (first from {first})"
    )]
    IdConflict {
        /// Where the second one comes from.
        location: String,
        /// The id, as kustomize prints it.
        id: String,
        /// Where the first one came from.
        first: String,
    },
    /// A strategic-merge patch without a target matched no resource.
    #[error("{location}: no resource matches strategic merge patch {id:?}")]
    PatchNoMatch {
        /// Where the patch is.
        location: String,
        /// The patch's id, as kustomize prints it.
        id: String,
    },
    /// The output file could not be written.
    #[error(transparent)]
    Write(crate::fsutil::FsError),
    /// A patch could not be applied to a resource.
    #[error("{location}: cannot apply patch to {target}: {message}")]
    Patch {
        /// Where the patch is.
        location: String,
        /// The resource it was applied to.
        target: String,
        /// Why it failed.
        message: String,
    },
}

impl KustomizeError {
    /// Shorthand for [`KustomizeError::Invalid`].
    pub(crate) fn invalid(location: impl Into<String>, message: impl Into<String>) -> Self {
        KustomizeError::Invalid {
            location: location.into(),
            message: message.into(),
        }
    }

    /// Shorthand for [`KustomizeError::Unsupported`].
    pub(crate) fn unsupported(location: impl Into<String>, what: impl Into<String>) -> Self {
        KustomizeError::Unsupported {
            location: location.into(),
            what: what.into(),
        }
    }
}
