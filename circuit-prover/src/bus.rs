//! The bus's debugging view: every message the primitive tables send for one run, each
//! with its table, port and count from the [`BusPlan`] (which decides who provides each
//! slot; see [`crate::plan`]).

use fixpoint_circuit::{Circuit, OpId, OpKind};

use crate::layout::TableKind;
pub use crate::plan::{BusLayout, BusPlan};
use crate::tables::{alu, constant, public, witness};

/// One message on the bus: a table's port sending `(index, value)` with a signed count
/// (`+1` for a read, `−multiplicity` for the Witness table's provision).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusMessage<F> {
    /// The table sending it.
    pub table: TableKind,
    /// The port: `a`, `b`, `out` or `value`.
    pub port: &'static str,
    /// The slot.
    pub index: fixpoint_circuit::WitnessId,
    /// The value claimed for the slot.
    pub value: F,
    /// Signed count.
    pub count: i64,
}

impl<F: std::fmt::Display> std::fmt::Display for BusMessage<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let port = format!("{}.{}", self.table.name(), self.port);
        write!(
            f,
            "{port:<13} {:+3} × (w{}, {})",
            self.count, self.index.0, self.value
        )
    }
}

/// Every message the primitive tables send for `traces` on a [`BusLayout::WitnessTable`]
/// bus, in table order, each table's ports as its module under [`crate::tables`] names them
/// (padding rows send nothing). [`messages_with`] takes the layout.
///
/// The bus balances (every `(index, value)` pair's counts sum to zero) exactly when every
/// port agrees with the slot's provider.
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use fixpoint_circuit_prover::bus::{is_balanced, messages};
/// use p3_field::PrimeCharacteristicRing;
/// use p3_koala_bear::KoalaBear as F;
///
/// let mut b = CircuitBuilder::<F>::new();
/// let x = b.public_input();
/// let y = b.square(x);
/// b.expose(y);
/// let circuit = b.build()?;
/// let mut runner = circuit.runner();
/// runner.set_public_inputs(&[F::TWO])?;
/// let mut traces = runner.run()?;
/// assert!(is_balanced(&messages(&circuit, &traces)));
/// traces.mul.rows[0].out_val = F::ONE; // a port that disagrees with the Witness table
/// assert!(!is_balanced(&messages(&circuit, &traces)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn messages<F: Copy>(
    circuit: &Circuit<F>,
    traces: &fixpoint_circuit::Traces<F>,
) -> Vec<BusMessage<F>> {
    messages_with(circuit, traces, BusLayout::WitnessTable)
}

/// [`messages`] on a `layout` bus. On a [`BusLayout::Virtual`] one a defining port sends
/// minus its slot's other ports, and a port with no reader sends nothing.
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use fixpoint_circuit_prover::bus::{is_balanced, messages_with};
/// use fixpoint_circuit_prover::BusLayout;
/// use p3_field::PrimeCharacteristicRing;
/// use p3_koala_bear::KoalaBear as F;
///
/// let mut b = CircuitBuilder::<F>::new();
/// let x = b.public_input();
/// let y = b.square(x);
/// b.expose(y);
/// let circuit = b.build()?;
/// let mut runner = circuit.runner();
/// runner.set_public_inputs(&[F::TWO])?;
/// let mut traces = runner.run()?;
/// let bus = messages_with(&circuit, &traces, BusLayout::Virtual);
/// assert_eq!(bus.len(), 3); // Public.out −2 × x, Mul.a and Mul.b +1 × x
/// assert!(is_balanced(&bus));
/// traces.mul.rows[0].a_val = F::ONE; // a reader that disagrees with the Public op
/// assert!(!is_balanced(&messages_with(&circuit, &traces, BusLayout::Virtual)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn messages_with<F: Copy>(
    circuit: &Circuit<F>,
    traces: &fixpoint_circuit::Traces<F>,
    layout: BusLayout,
) -> Vec<BusMessage<F>> {
    let plan = BusPlan::with_layout(circuit, layout);
    let mut out = Vec::new();
    let mut msg = |table, port, index, value, count| {
        if count != 0 {
            out.push(BusMessage {
                table,
                port,
                index,
                value,
                count,
            })
        }
    };
    for (slot, m) in plan.witness_lanes() {
        if let Some(&value) = traces.witness.values.get(slot.index()) {
            msg(
                TableKind::Witness,
                witness::PORT,
                slot,
                value,
                -i64::from(m),
            );
        }
    }
    // Each table's rows are its ops in op order: pair them with those ops' counts.
    let counts_of = |kind: OpKind| {
        circuit
            .ops
            .iter()
            .enumerate()
            .filter(move |(_, op)| op.kind() == kind)
            .map(|(i, _)| plan.counts(OpId(i as u32)))
    };
    for (row, counts) in traces.constant.rows.iter().zip(counts_of(OpKind::Const)) {
        let (port, index, value) = constant::port(row);
        msg(TableKind::Const, port, index, value, counts[0]);
    }
    for (row, counts) in traces.public.rows.iter().zip(counts_of(OpKind::Public)) {
        let (port, index, value) = public::port(row);
        msg(TableKind::Public, port, index, value, counts[0]);
    }
    for (table, rows, kind) in [
        (TableKind::Add, &traces.add.rows, OpKind::Add),
        (TableKind::Mul, &traces.mul.rows, OpKind::Mul),
    ] {
        for (r, counts) in rows.iter().zip(counts_of(kind)) {
            for ((port, index, value), &count) in alu::ports(r).into_iter().zip(counts) {
                msg(table, port, index, value, count);
            }
        }
    }
    out
}

/// Whether every `(index, value)` pair's counts sum to zero.
pub fn is_balanced<F: Copy + Eq + std::hash::Hash>(messages: &[BusMessage<F>]) -> bool {
    let mut sums = std::collections::HashMap::<(u32, F), i64>::new();
    for m in messages {
        *sums.entry((m.index.0, m.value)).or_default() += m.count;
    }
    sums.values().all(|&s| s == 0)
}
