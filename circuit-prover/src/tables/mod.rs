//! The five primitive tables, one module each: a table's column structs (one lane's
//! preprocessed and main columns; the lane widths are their sizes), its constraints on one
//! lane, its trace filling and its bus ports. Column layout, per lane (`D = 4` base columns
//! per extension value):
//!
//! | table | module | preprocessed | main |
//! |---|---|---|---|
//! | Witness | [`witness`] | `index, multiplicity` | `value[D]` |
//! | Const | [`constant`] | `index, active, value[D]` | — |
//! | Public | [`public`] | `index, active` | `value[D]` |
//! | Add, Mul | [`alu`] | `a, b, out, active` (slot indices) | `a[D], b[D], out[D]` |
//!
//! Every bus message is `(index, v₀, v₁, v₂, v₃)` on the one bus [`BUS`]. The Witness table
//! provides each slot with its multiplicity; every other table reads with count `active`.
//! All indices, multiplicities and `active` flags are preprocessed: fixed by the verifying
//! key, never chosen by the prover.
//!
//! The modules know nothing of layouts or keys: [`crate::layout`] takes their lane widths,
//! [`crate::air`] dispatches the constraints over [`TableKind`](crate::TableKind), the
//! prover's trace generation the filling, and [`crate::bus::messages`] the ports.

pub mod alu;
pub mod common;
pub mod constant;
pub mod public;
pub mod witness;

pub use common::{BUS, MESSAGE_WIDTH, ext_mul};
