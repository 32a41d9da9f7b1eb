//! # fixpoint-recursion
//!
//! The STARK verifier emitted as a fixpoint circuit. Functions here take a
//! [`CircuitBuilder`](fixpoint_circuit::CircuitBuilder) and a *shape* (parameters and
//! dimensions, never proof values) and emit ops; the circuit is a pure function of the
//! shape.
//!
//! So far:
//! - the in-circuit [`CircuitChallenger`], transcript-identical to p3 0.8's
//!   `DuplexChallenger<F, Poseidon2, 16, 8>`;
//! - the [`transcript`] tools that find the first place a circuit's transcript departs
//!   from the native verifier's;
//! - the transcript of `TwoAdicFriPcs::verify` ([`pcs`]): seeds, claims, PoW, `alpha`, the
//!   commit rounds' `beta`s and the query indices, from the shape alone;
//! - the FRI query phase ([`fri`]): input-batch Merkle checks, reduced openings, folding at
//!   any arity, commit-phase Merkle checks and the final polynomial, with the native
//!   witness (`fri::query_witness`) replayed from p3's own verifier;
//! - the `p3-batch-stark` and `p3-uni-stark` domain-separator seeds ([`seeds`]);
//! - AIR constraints as a circuit, from p3's symbolic DAG ([`constraints`]);
//! - `p3_uni_stark::verify` as a circuit ([`uni_stark`]);
//! - op counts by verifier component ([`components`]).

#![warn(missing_docs)]

pub mod batch_stark;
pub mod challenger;
pub mod components;
pub mod constraints;
pub mod counting;
pub mod fill;
pub mod fixpoint;
pub mod fri;
pub mod layers;
pub mod pcs;
pub mod seeds;
pub mod transcript;
pub mod tree;
pub mod trusted;
pub mod uni_stark;

pub use challenger::{ChallengerError, CircuitChallenger, RATE};
