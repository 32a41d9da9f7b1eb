//! Executing the IR: the [`Runner`] solves every slot and records one trace per chip.

mod error;
mod runner;
mod traces;

pub use error::{ExecutorError, HintError, RunError};
pub use runner::Runner;
pub use traces::{
    AluRow, AluTrace, ConstRow, ConstTrace, NpoRow, PublicRow, PublicTrace, Traces, WitnessTrace,
};
