//! `fixpoint`: verify proofs and recursion results from their files, and inspect fixpoint
//! files.
//!
//! ```text
//! fixpoint verify --vk FILE --proof FILE --publics FILE [--vk-hash HEX] [--min-bits N]
//! fixpoint verify-recursion --bundle DIR [--trusted-keys FILE] [--statement FILE] [--min-bits N]
//! fixpoint verify-tree --bundle DIR [--trusted-tree FILE] [--statement FILE] [--min-bits N]
//! fixpoint prove-node --job FILE --out FILE
//! fixpoint inspect FILE [--dot | --dump]
//! ```
//!
//! Exit codes: 0 when the proof is accepted (or the file inspected), 1 when it is rejected
//! (the reason on stderr), 2 for usage errors and for files that cannot be read or decoded.

mod failure;
mod inspect;
mod prove;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::failure::Failure;

/// Verify fixpoint proofs and recursion results from their files, and inspect fixpoint
/// files.
#[derive(Debug, Parser)]
#[command(name = "fixpoint", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Verify one proof under a verifying key.
    Verify {
        /// The verifying key file.
        #[arg(long)]
        vk: PathBuf,
        /// The proof file.
        #[arg(long)]
        proof: PathBuf,
        /// The public inputs: a fixpoint file, or JSON (an array of elements, each the
        /// array of its base coordinates).
        #[arg(long)]
        publics: PathBuf,
        /// Refuse the key unless it hashes to this (64 hex digits).
        #[arg(long)]
        vk_hash: Option<String>,
        /// Refuse keys with fewer conjectured bits of security.
        #[arg(long, default_value_t = 100)]
        min_bits: usize,
    },
    /// Verify a recursion result: the final key must hash to the trusted fixed-point key,
    /// and the proof's key chain must be the trusted keys' chain.
    VerifyRecursion {
        /// The bundle directory (final key, proof, public inputs, trusted keys).
        #[arg(long)]
        bundle: PathBuf,
        /// The verifier's own trusted key set; the bundle's when absent.
        #[arg(long)]
        trusted_keys: Option<PathBuf>,
        /// The statement the verifier expects (public inputs, file or JSON); when absent,
        /// the result's statement is printed.
        #[arg(long)]
        statement: Option<PathBuf>,
        /// Refuse keys with fewer conjectured bits of security.
        #[arg(long, default_value_t = 100)]
        min_bits: usize,
    },
    /// Verify a proof tree's root: its key must hash to the trusted node key, and its
    /// allow-list root must be the trusted root.
    VerifyTree {
        /// The bundle directory (node key, root proof, public inputs, trusted tree).
        #[arg(long)]
        bundle: PathBuf,
        /// The verifier's own trusted tree; the bundle's when absent.
        #[arg(long)]
        trusted_tree: Option<PathBuf>,
        /// The statement the verifier expects (public inputs, file or JSON); when absent,
        /// the root's statement is printed.
        #[arg(long)]
        statement: Option<PathBuf>,
        /// Refuse keys with fewer conjectured bits of security.
        #[arg(long, default_value_t = 100)]
        min_bits: usize,
    },
    /// Prove one node of a proof tree from its job file (written by
    /// `fixpoint_recursion::tree`): the node circuit is rebuilt from the job's data, set up,
    /// checked against the job's key and proved; the proof and public inputs are written to
    /// `--out`. A job whose children the node refuses is rejected (exit 1).
    ProveNode {
        /// The job file.
        #[arg(long)]
        job: PathBuf,
        /// Where to write the node's proof and public inputs.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print what a fixpoint file is: kind, field, shape, tables, FRI settings, security
    /// and hash; for a circuit, its IR statistics.
    Inspect {
        /// The file.
        file: PathBuf,
        /// For a circuit: print its DOT graph.
        #[arg(long, conflicts_with = "dump")]
        dot: bool,
        /// For a circuit: print its IR dump.
        #[arg(long)]
        dump: bool,
    },
}

fn run(command: Command) -> Result<String, Failure> {
    match command {
        Command::Verify {
            vk,
            proof,
            publics,
            vk_hash,
            min_bits,
        } => verify::proof(&vk, &proof, &publics, vk_hash.as_deref(), min_bits),
        Command::VerifyRecursion {
            bundle,
            trusted_keys,
            statement,
            min_bits,
        } => verify::recursion(
            &bundle,
            trusted_keys.as_deref(),
            statement.as_deref(),
            min_bits,
        ),
        Command::VerifyTree {
            bundle,
            trusted_tree,
            statement,
            min_bits,
        } => verify::tree(
            &bundle,
            trusted_tree.as_deref(),
            statement.as_deref(),
            min_bits,
        ),
        Command::ProveNode { job, out } => prove::node(&job, &out),
        Command::Inspect { file, dot, dump } => inspect::file(&file, dot, dump),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with exit 0; usage errors to stderr with 2.
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    match run(cli.command) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}
