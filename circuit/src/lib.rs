//! # fixpoint-circuit
//!
//! Build arithmetic circuits over a field with a [`CircuitBuilder`], lower them to a fixed
//! [Execution IR](ir) — a flat list of `Const`/`Public`/`Add`/`Mul` ops over witness
//! slots — and execute that IR with a [`Runner`] to get one trace per chip.
//!
//! ```
//! use fixpoint_circuit::CircuitBuilder;
//! use p3_field::PrimeCharacteristicRing;
//! use p3_koala_bear::KoalaBear as F;
//!
//! let mut b = CircuitBuilder::<F>::new();
//! let x = b.public_input();
//! let c37 = b.define_const(F::from_u32(37));
//! let c111 = b.define_const(F::from_u32(111));
//! let prod = b.mul(c37, x);
//! b.assert_eq(prod, c111); // 37 · x = 111
//! let circuit = b.build()?;
//!
//! let mut runner = circuit.runner();
//! runner.set_public_inputs(&[F::from_u32(3)])?;
//! let traces = runner.run()?;
//! assert_eq!(traces.mul.rows.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Data flows one way: the [`builder`] records into an expression arena, [`lower`] reads
//! the arena and writes the [`ir`], and [`exec`] runs the IR. Each module imports only
//! the ones below it: `field` and `ir` at the bottom, then the arena and `exec`, then
//! `lower`, `builder` and `io`.

#![warn(missing_docs)]

// Lets the derive macros' generated `::fixpoint_circuit::…` paths resolve inside this crate.
extern crate self as fixpoint_circuit;

mod arena;
pub mod builder;
pub mod exec;
pub mod field;
pub mod io;
pub mod ir;
pub mod lower;

pub use builder::{CircuitBuilder, HintCheck, InlineError, NpoCall, Target, max_range_bits};
pub use exec::{
    AluRow, AluTrace, ConstRow, ConstTrace, ExecutorError, HintError, NpoRow, PublicRow,
    PublicTrace, RunError, Runner, Traces, WitnessTrace,
};
pub use field::CircuitField;
#[cfg(feature = "macros")]
pub use fixpoint_macros::{CircuitIo, circuit};
pub use io::{CircuitIo, InputKind, IoError, IoField, SetIoError, VecLengths};
pub use ir::{
    Circuit, CircuitId, CircuitStats, DebugInfo, Definitions, HintKind, IrError, NpoCallId,
    NpoKind, Op, OpCounts, OpId, OpKind, PrivateGroup, ScopeId, WitnessId,
};
pub use lower::{BuildError, LowerOptions};
