//! The bus plan: every port's message and every witness slot's multiplicity, from the IR.
//!
//! Every op reads its slots through the bus: a message `(index, v₀, …, v_{D−1})` sent with
//! multiplicity 1 by each port (Const: 1 port, Public: 1, Add/Mul: 3), received by the
//! Witness table with multiplicity = number of ports naming the slot. The plan is the one
//! place that counts ports, so the Witness table's preprocessed multiplicities and the
//! ports of the other tables cannot disagree.

use fixpoint_circuit::{Circuit, Op};

use crate::layout::TableKind;
use crate::tables::{alu, constant, public, witness};

/// Multiplicity of every witness slot on the bus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusPlan {
    /// `multiplicity[slot]` = number of ports that read `slot`.
    pub multiplicity: Vec<u32>,
}

impl BusPlan {
    /// Counts the ports of every op.
    ///
    /// ```
    /// use fixpoint_circuit::CircuitBuilder;
    /// use fixpoint_circuit_prover::BusPlan;
    /// use p3_koala_bear::KoalaBear as F;
    ///
    /// let mut b = CircuitBuilder::<F>::new();
    /// let x = b.public_input();
    /// let y = b.square(x); // Mul { a: x, b: x, out: y }
    /// b.expose(y);
    /// let plan = BusPlan::new(&b.build()?);
    /// assert_eq!(plan.multiplicity, vec![3, 1]); // x: Public + two Mul ports; y: one port
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new<F>(circuit: &Circuit<F>) -> Self {
        let mut multiplicity = vec![0u32; circuit.witness_count as usize];
        for op in &circuit.ops {
            match op {
                Op::Const { out, .. } | Op::Public { out, .. } => {
                    multiplicity[out.index()] += 1;
                }
                Op::Add { a, b, out } | Op::Mul { a, b, out } => {
                    for slot in [a, b, out] {
                        multiplicity[slot.index()] += 1;
                    }
                }
                // A hint has no table and no ports: its outputs are plain witness slots,
                // bound only by the ops that read them.
                Op::Hint { .. } => {}
                // A non-primitive op's table reads every input and output once.
                Op::Npo {
                    inputs, outputs, ..
                } => {
                    for slot in inputs.iter().chain(outputs) {
                        multiplicity[slot.index()] += 1;
                    }
                }
            }
        }
        BusPlan { multiplicity }
    }

    /// Total number of messages sent on the bus.
    pub fn messages(&self) -> u64 {
        self.multiplicity.iter().map(|&m| u64::from(m)).sum()
    }
}

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

/// Every message the tables send for `traces`, in table order, each table's ports as its
/// module under [`crate::tables`] names them (padding rows send nothing).
///
/// The bus balances — every `(index, value)` pair's counts sum to zero — exactly when every
/// port agrees with the Witness table.
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
    let plan = BusPlan::new(circuit);
    let mut out = Vec::new();
    let mut msg = |table, port, index, value, count| {
        out.push(BusMessage {
            table,
            port,
            index,
            value,
            count,
        })
    };
    for (slot, (&value, &m)) in traces
        .witness
        .values
        .iter()
        .zip(&plan.multiplicity)
        .enumerate()
    {
        if m > 0 {
            let index = fixpoint_circuit::WitnessId(slot as u32);
            msg(
                TableKind::Witness,
                witness::PORT,
                index,
                value,
                -i64::from(m),
            );
        }
    }
    for row in &traces.constant.rows {
        let (port, index, value) = constant::port(row);
        msg(TableKind::Const, port, index, value, 1);
    }
    for row in &traces.public.rows {
        let (port, index, value) = public::port(row);
        msg(TableKind::Public, port, index, value, 1);
    }
    for (table, rows) in [
        (TableKind::Add, &traces.add.rows),
        (TableKind::Mul, &traces.mul.rows),
    ] {
        for r in rows {
            for (port, index, value) in alu::ports(r) {
                msg(table, port, index, value, 1);
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
