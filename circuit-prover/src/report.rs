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

impl TableReport {
    /// Preprocessed cells: height × preprocessed columns.
    pub fn preprocessed_cells(&self) -> usize {
        self.height * self.preprocessed_columns
    }

    /// Main-trace cells: height × main columns.
    pub fn main_cells(&self) -> usize {
        self.height * self.main_columns
    }

    /// LogUp cells: height × LogUp columns (base-field coordinates).
    pub fn bus_cells(&self) -> usize {
        self.height * self.bus_columns
    }

    /// All the table's cells: preprocessed, main and LogUp.
    pub fn cells(&self) -> usize {
        self.preprocessed_cells() + self.main_cells() + self.bus_cells()
    }

    /// The share of the table's entry places that hold an entry: entries / (lanes × height).
    /// The rest is padding that is proved all the same.
    ///
    /// ```
    /// use fixpoint_circuit_prover::report::TableReport;
    /// let add = TableReport {
    ///     name: "Add".into(),
    ///     entries: 3 * 1000,
    ///     lanes: 3,
    ///     height: 1024,
    ///     preprocessed_columns: 12,
    ///     main_columns: 36,
    ///     bus_columns: 40,
    /// };
    /// assert!((add.fill() - 1000.0 / 1024.0).abs() < 1e-12);
    /// assert_eq!(add.cells(), 1024 * (12 + 36 + 40));
    /// ```
    pub fn fill(&self) -> f64 {
        self.entries as f64 / (self.lanes * self.height).max(1) as f64
    }
}

/// The cost of one proof.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProofReport {
    /// Base field name.
    pub field: String,
    /// Conjectured security of the FRI settings.
    pub security_bits: usize,
    /// Who provides the slots on the bus.
    pub bus: crate::BusLayout,
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
            .instances()
            .into_iter()
            .map(|kind| layout.table(kind))
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
            bus: layout.bus(),
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
        self.tables.iter().map(TableReport::bus_cells).sum()
    }

    /// Cells of the main and preprocessed columns: the trace area without LogUp, the figure
    /// verifiers that count only committed columns report.
    pub fn area_without_bus(&self) -> usize {
        self.trace_area() - self.bus_area()
    }
}

impl Display for ProofReport {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        // The default bus goes unnamed.
        let bus = match self.bus {
            crate::BusLayout::Virtual => String::new(),
            other => format!(", {other} bus"),
        };
        writeln!(
            f,
            "=== PROOF REPORT ({}, {} conjectured bits{bus}) ===",
            self.field, self.security_bits
        )?;
        writeln!(
            f,
            "table    entries  lanes  height    fill  prep cols  main cols  bus cols  \
             prep cells  main cells  LogUp cells      cells"
        )?;
        for t in &self.tables {
            writeln!(
                f,
                "{:<8} {:>7}  {:>5}  {:>6}  {:>5.1}%  {:>9}  {:>9}  {:>8}  {:>10}  {:>10}  {:>11}  {:>9}",
                t.name,
                t.entries,
                t.lanes,
                t.height,
                100.0 * t.fill(),
                t.preprocessed_columns,
                t.main_columns,
                t.bus_columns,
                t.preprocessed_cells(),
                t.main_cells(),
                t.bus_cells(),
                t.cells()
            )?;
        }
        let sum = |cells: fn(&TableReport) -> usize| self.tables.iter().map(cells).sum::<usize>();
        writeln!(
            f,
            "{:<8} {:>74}  {:>10}  {:>11}  {:>9}",
            "total",
            sum(TableReport::preprocessed_cells),
            sum(TableReport::main_cells),
            sum(TableReport::bus_cells),
            self.trace_area()
        )?;
        writeln!(
            f,
            "trace area: {} cells, {:.1}% of them LogUp columns; {} cells without them",
            self.trace_area(),
            100.0 * self.bus_area() as f64 / self.trace_area().max(1) as f64,
            self.area_without_bus()
        )?;
        writeln!(f, "proof size: {} bytes", self.proof_bytes)?;
        for (phase, time) in &self.phases {
            writeln!(f, "{phase:?}: {:.2?}", time)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, entries: usize, lanes: usize, height: usize) -> TableReport {
        TableReport {
            name: name.into(),
            entries,
            lanes,
            height,
            preprocessed_columns: 12,
            main_columns: 36,
            bus_columns: 40,
        }
    }

    #[test]
    fn the_breakdown_sums_to_the_trace_area_and_prints_each_table() {
        let report = ProofReport {
            field: "KoalaBear".into(),
            security_bits: 40,
            bus: crate::BusLayout::WitnessTable,
            tables: vec![table("Add", 37450, 3, 16384), table("Mul", 0, 3, 16)],
            proof_bytes: 1,
            phases: Vec::new(),
        };
        let add = &report.tables[0];
        assert_eq!(add.cells(), 16384 * 88);
        assert_eq!(report.trace_area(), (16384 + 16) * 88);
        assert_eq!(report.bus_area(), (16384 + 16) * 40);
        assert_eq!(report.area_without_bus(), (16384 + 16) * 48);
        assert_eq!(report.tables[1].fill(), 0.0);
        let printed = report.to_string();
        println!("{printed}");
        let lines: Vec<&str> = printed.lines().collect();
        assert!(lines[2].starts_with("Add"));
        assert!(lines[2].contains("76.2%"), "{}", lines[2]);
        assert!(
            lines[2].ends_with(&format!("  {}", 16384 * 88)),
            "{}",
            lines[2]
        );
        // The total's columns line up under the table's.
        assert_eq!(
            lines[4].len(),
            lines[2].len(),
            "\n{}\n{}",
            lines[2],
            lines[4]
        );
        assert!(lines[5].contains(&format!("{} cells without them", (16384 + 16) * 48)));
    }
}
