//! What a proof cost: table shapes, trace area, proof size, time per phase.

use std::fmt::{self, Display, Formatter};
use std::time::Duration;

use crate::config::ProverConfig;
use crate::layout::Layout;

/// A proving phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Phase {
    /// Building the main traces from the runner's traces.
    TraceGeneration,
    /// Committing, computing the quotient and opening (p3's `prove_batch`).
    Prove,
    /// Verifying.
    Verify,
}

/// One table's size.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TableReport {
    /// Table name (`npo#K` for a non-primitive table).
    pub name: String,
    /// Entries (slots or ops).
    pub entries: usize,
    /// Entries per row.
    pub lanes: usize,
    /// Padded height.
    pub height: usize,
    /// Preprocessed columns.
    pub preprocessed_columns: usize,
    /// Main columns.
    pub main_columns: usize,
    /// LogUp columns (flattened to the base field): an accumulator and one fraction column
    /// per group of bus interactions, `D` each; 0 before proving.
    pub bus_columns: usize,
}

/// The cost of one proof.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProofReport {
    /// Base field name.
    pub field: String,
    /// Conjectured security of the FRI settings.
    pub security_bits: usize,
    /// Per table.
    pub tables: Vec<TableReport>,
    /// Proof size (postcard bytes).
    pub proof_bytes: usize,
    /// Time per phase.
    pub phases: Vec<(Phase, Duration)>,
}

impl ProofReport {
    pub(crate) fn new<SC>(layout: &Layout, config: &ProverConfig<SC>) -> Self {
        let tables = layout
            .tables
            .iter()
            .map(|t| TableReport {
                name: t.kind.name().to_owned(),
                entries: t.entries,
                lanes: t.lanes,
                height: t.height(),
                preprocessed_columns: t.preprocessed_columns(),
                main_columns: t.main_columns(),
                bus_columns: 0,
            })
            .collect();
        ProofReport {
            field: config.field.to_owned(),
            security_bits: config.fri.conjectured_security_bits(),
            tables,
            proof_bytes: 0,
            phases: Vec::new(),
        }
    }

    /// Records the time of a phase.
    pub fn record(&mut self, phase: Phase, time: Duration) {
        self.phases.push((phase, time));
    }

    /// Σ height × (main + preprocessed + LogUp columns), in base-field cells.
    pub fn trace_area(&self) -> usize {
        self.tables
            .iter()
            .map(|t| t.height * (t.main_columns + t.preprocessed_columns + t.bus_columns))
            .sum()
    }

    /// Cells of the LogUp columns, the bus's own cost: a share of [`trace_area`](Self::trace_area).
    pub fn bus_area(&self) -> usize {
        self.tables.iter().map(|t| t.height * t.bus_columns).sum()
    }
}

impl Display for ProofReport {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "=== PROOF REPORT ({}, {} conjectured bits) ===",
            self.field, self.security_bits
        )?;
        writeln!(
            f,
            "table    entries  lanes  height  prep cols  main cols  bus cols"
        )?;
        for t in &self.tables {
            writeln!(
                f,
                "{:<8} {:>7}  {:>5}  {:>6}  {:>9}  {:>9}  {:>8}",
                t.name,
                t.entries,
                t.lanes,
                t.height,
                t.preprocessed_columns,
                t.main_columns,
                t.bus_columns
            )?;
        }
        writeln!(
            f,
            "trace area: {} cells, {:.1}% of them LogUp columns",
            self.trace_area(),
            100.0 * self.bus_area() as f64 / self.trace_area().max(1) as f64
        )?;
        writeln!(f, "proof size: {} bytes", self.proof_bytes)?;
        for (phase, time) in &self.phases {
            writeln!(f, "{phase:?}: {:.2?}", time)?;
        }
        Ok(())
    }
}
