//! Why a command failed, and its exit code.

use std::path::Path;

use fixpoint_circuit_prover::error::ErrorChain;

/// A failed command: rejected (exit 1) or unable to decide (exit 2).
#[derive(Debug)]
pub enum Failure {
    /// The proof or result was rejected; the reason.
    Rejected(String),
    /// A bad argument, or a file that cannot be read or decoded.
    Unusable(String),
}

impl Failure {
    /// 1 for a rejection, 2 for anything that stopped the check from being made.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Rejected(_) => 1,
            Failure::Unusable(_) => 2,
        }
    }

    /// A rejection with its reason and the error chain below it.
    pub fn rejected(error: &dyn std::error::Error) -> Self {
        Failure::Rejected(format!("rejected: {}", ErrorChain(error)))
    }

    /// A file that cannot be decoded.
    pub fn undecodable(path: &Path, error: &dyn std::error::Error) -> Self {
        Failure::Unusable(format!("{}: {}", path.display(), ErrorChain(error)))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Rejected(why) => f.write_str(why),
            Failure::Unusable(why) => write!(f, "error: {why}"),
        }
    }
}

/// The bytes of `path`, or an exit-2 failure naming it.
pub fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Unusable(format!("{}: {e}", path.display())))
}
