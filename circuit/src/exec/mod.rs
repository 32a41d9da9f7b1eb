//! Executing the IR: the [`Runner`] solves every slot and records one trace per chip.

mod error;
mod runner;
mod traces;

pub use error::RunError;
pub use runner::{CircuitField, Runner};
pub use traces::{
    AluRow, AluTrace, ConstRow, ConstTrace, PublicRow, PublicTrace, Traces, WitnessTrace,
};
