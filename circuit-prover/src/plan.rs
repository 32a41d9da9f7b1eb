//! The bus plan: who provides each witness slot's value to the bus, and the count every
//! port sends, from the IR. It is the one place that counts ports, so the providers'
//! multiplicities and the readers' ports cannot disagree.
//!
//! Every port of every table sends `(slot, v₀, …, v_{D−1})` with a preprocessed count. The
//! bus balances when, for every message, the counts sum to zero. Two layouts
//! ([`BusLayout`]) decide who provides:
//!
//! - **a Witness table** holds every slot and provides it as often as ports name it; every
//!   port reads with count 1;
//! - **a virtual witness**: the first port that names a slot, in op order, *provides* it
//!   (its count is minus the slot's other ports) and every other port reads it. That port
//!   belongs to the op that defines the slot, whose row constrains the value (an `Add`'s
//!   `out = a + b`, a `Const`'s preprocessed value, a `Public`'s public input, a
//!   non-primitive op's output). A slot that a hint defines (a hint output, a private
//!   input) has no defining port: the first port that reads it provides it. Its value is
//!   advice, whatever the prover chose, and the provider's row need not constrain it; what
//!   counts is that every port sees that one value, which the ops that constrain it then
//!   check (the build lint refuses a hint output that no constraint reads). The Witness
//!   table then holds no slot.
//!
//! # Why one provider per slot is sound
//!
//! Every count and every slot index is preprocessed: the key fixes them, the prover picks
//! only the values. Take a slot named by `k + 1` ports, one provider (count `−k`) and `k`
//! readers (count 1), and group the ports by the value they send. The bus balances only if
//! every group's counts sum to zero modulo p. A group without the provider sums to its
//! size, between 1 and `k`; the provider's group sums to `−k` plus its readers, between
//! `−k` and 0. With `k < p` (p3's LogUp height check bounds the ports, weight 1 each, below
//! p) only the group of the provider with all `k` readers sums to zero: every reader sees
//! the provider's value. The Witness-table layout is the same argument with the Witness
//! table's lane as the provider.

use fixpoint_circuit::{Circuit, Op, OpId, WitnessId};
use serde::{Deserialize, Serialize};

/// Who provides a slot's value to the bus; chosen at setup
/// ([`SetupOptions::with_bus`](crate::SetupOptions::with_bus)) and recorded in the key.
/// The default is [`BusLayout::Virtual`]: measured on every workload of the bus bench
/// (`cargo bench -p fixpoint-tests --bench bus`), it takes 0.76–0.90 of the Witness-table
/// bus's cells and 0.77–0.89 of its prove time.
///
/// ```
/// use fixpoint_circuit_prover::BusLayout;
/// assert_eq!(BusLayout::default(), BusLayout::Virtual);
/// assert_eq!(BusLayout::Virtual.to_string(), "virtual witness");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BusLayout {
    /// A Witness table with one lane per slot provides every slot; every port reads.
    WitnessTable,
    /// The first port that names a slot provides it from its own row: the defining op's,
    /// or for a slot a hint defines its first reader's. The Witness table holds no slot
    /// (it stays in the key, empty, at the least height). The default.
    #[default]
    Virtual,
}

impl std::fmt::Display for BusLayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BusLayout::WitnessTable => "witness table",
            BusLayout::Virtual => "virtual witness",
        })
    }
}

/// Every port's count and every Witness-table lane of one circuit under one [`BusLayout`].
///
/// ```
/// use fixpoint_circuit::{CircuitBuilder, OpId, WitnessId};
/// use fixpoint_circuit_prover::{BusLayout, BusPlan};
/// use p3_koala_bear::KoalaBear as F;
///
/// let mut b = CircuitBuilder::<F>::new();
/// let x = b.public_input();
/// let y = b.square(x); // Mul { a: x, b: x, out: y }
/// b.expose(y);
/// let circuit = b.build()?;
///
/// let plan = BusPlan::witness_table(&circuit); // a Witness table
/// assert_eq!(plan.multiplicity, vec![3, 1]); // x: Public + two Mul ports; y: one port
/// assert_eq!(plan.counts(OpId(1)), &[1, 1, 1]); // the Mul reads all three
/// assert_eq!(plan.witness_lanes().count(), 2);
///
/// let plan = BusPlan::with_layout(&circuit, BusLayout::Virtual);
/// assert_eq!(plan.counts(OpId(0)), &[-2]); // the Public op provides x to the two Mul ports
/// assert_eq!(plan.counts(OpId(1)), &[1, 1, 0]); // y has no other port: nothing to send
/// assert_eq!(plan.witness_lanes().count(), 0); // no Witness lane on a virtual bus
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusPlan {
    /// Who provides.
    pub layout: BusLayout,
    /// `multiplicity[slot]`: how many ports name `slot`.
    pub multiplicity: Vec<u32>,
    /// The slots the Witness table provides, in lane order: every slot on a
    /// [`BusLayout::WitnessTable`] bus, none on a virtual one.
    pub witness_slots: Vec<WitnessId>,
    /// Every port's count, op by op, ports in [`ports`] order.
    counts: Vec<i64>,
    /// `counts[first_port[op]..first_port[op + 1]]` are op `op`'s.
    first_port: Vec<usize>,
}

/// The slots an op's table ports read or provide, in port order: `out` for `Const` and
/// `Public`, `a, b, out` for `Add` and `Mul`, inputs then outputs for a non-primitive op;
/// none for a hint, which has no table.
pub fn ports<F>(op: &Op<F>) -> impl Iterator<Item = WitnessId> + '_ {
    let none = matches!(op, Op::Hint { .. });
    op.slots().filter(move |_| !none)
}

impl BusPlan {
    /// The plan of a [`BusLayout::WitnessTable`] bus (not the default bus:
    /// [`with_layout`](Self::with_layout) takes any).
    pub fn witness_table<F>(circuit: &Circuit<F>) -> Self {
        Self::with_layout(circuit, BusLayout::WitnessTable)
    }

    /// The plan of `circuit` under `layout`.
    pub fn with_layout<F>(circuit: &Circuit<F>, layout: BusLayout) -> Self {
        let slots = circuit.witness_count as usize;
        let mut multiplicity = vec![0u32; slots];
        for slot in circuit.ops.iter().flat_map(ports) {
            multiplicity[slot.index()] += 1;
        }
        let mut first_port = Vec::with_capacity(circuit.ops.len() + 1);
        let mut counts = Vec::with_capacity(multiplicity.iter().map(|&m| m as usize).sum());
        let witness_slots = match layout {
            BusLayout::WitnessTable => {
                for op in &circuit.ops {
                    first_port.push(counts.len());
                    counts.extend(ports(op).map(|_| 1));
                }
                (0..slots as u32).map(WitnessId).collect()
            }
            BusLayout::Virtual => {
                let mut seen = vec![false; slots];
                for op in &circuit.ops {
                    first_port.push(counts.len());
                    for slot in ports(op) {
                        let first = !std::mem::replace(&mut seen[slot.index()], true);
                        counts.push(if first {
                            -(i64::from(multiplicity[slot.index()]) - 1)
                        } else {
                            1
                        });
                    }
                }
                Vec::new()
            }
        };
        first_port.push(counts.len());
        BusPlan {
            layout,
            multiplicity,
            witness_slots,
            counts,
            first_port,
        }
    }

    /// The counts op `op`'s ports send, in [`ports`] order: 1 for a read, minus the slot's
    /// other ports for its provider, 0 for a provider that no other port reads. Empty for
    /// a hint, or an op the circuit does not have.
    pub fn counts(&self, op: OpId) -> &[i64] {
        match (
            self.first_port.get(op.index()),
            self.first_port.get(op.index() + 1),
        ) {
            (Some(&start), Some(&end)) => &self.counts[start..end],
            _ => &[],
        }
    }

    /// The Witness table's lanes: each slot it provides and how many ports read it.
    pub fn witness_lanes(&self) -> impl Iterator<Item = (WitnessId, u32)> + '_ {
        self.witness_slots
            .iter()
            .map(|&slot| (slot, self.multiplicity[slot.index()]))
    }

    /// Total number of port messages (every port names one slot).
    pub fn messages(&self) -> u64 {
        self.multiplicity.iter().map(|&m| u64::from(m)).sum()
    }

    /// Replaces the count op `op`'s port `port` sends: a plan that no longer matches its
    /// circuit, for a forged key ([`crate::forge`]). `None` when the op has no such port.
    #[cfg(feature = "forge")]
    pub fn forge_count(&mut self, op: OpId, port: usize, count: i64) -> Option<i64> {
        let start = *self.first_port.get(op.index())?;
        let end = *self.first_port.get(op.index() + 1)?;
        let slot = self.counts[start..end].get_mut(port)?;
        Some(std::mem::replace(slot, count))
    }
}

/// How many slots the Witness table holds for `circuit` under `layout` (see
/// [`BusPlan::witness_slots`]).
pub(crate) fn witness_entries<F>(circuit: &Circuit<F>, layout: BusLayout) -> usize {
    match layout {
        BusLayout::WitnessTable => circuit.witness_count as usize,
        BusLayout::Virtual => 0,
    }
}

#[cfg(test)]
mod tests {
    use fixpoint_circuit::CircuitBuilder;
    use p3_koala_bear::KoalaBear as F;

    use super::*;

    /// A circuit with a constant, a public input, a private input read four times, a
    /// subtraction, a division and a check.
    fn circuit() -> Circuit<F> {
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let seven = b.const_u64(7);
        let w = b.private_input();
        let d = b.sub(seven, x);
        let e = b.mul(d, w);
        let f = b.div(w, x);
        let square = b.square(w);
        b.connect(square, x); // w² = x: a check, which constrains the private input
        b.expose(e);
        b.expose(f);
        b.build().unwrap()
    }

    #[test]
    fn every_slot_has_one_provider_whose_count_balances_its_readers() {
        let circuit = circuit();
        let plan = BusPlan::with_layout(&circuit, BusLayout::Virtual);
        let mut sums = vec![0i64; circuit.witness_count as usize];
        let mut providers = vec![0usize; circuit.witness_count as usize];
        for (i, op) in circuit.ops.iter().enumerate() {
            for (slot, &count) in ports(op).zip(plan.counts(OpId(i as u32))) {
                sums[slot.index()] += count;
                providers[slot.index()] += usize::from(count != 1);
            }
        }
        assert!(sums.iter().all(|&s| s == 0), "{sums:?}");
        assert!(providers.iter().all(|&p| p == 1), "{providers:?}");
        // The private input's first reader provides it: no Witness lane.
        assert!(plan.witness_slots.is_empty());
        assert_eq!(witness_entries(&circuit, BusLayout::Virtual), 0);
        assert_eq!(
            witness_entries(&circuit, BusLayout::WitnessTable),
            circuit.witness_count as usize
        );
    }

    #[test]
    fn a_witness_table_bus_reads_every_port_once() {
        let circuit = circuit();
        let plan = BusPlan::witness_table(&circuit);
        assert_eq!(plan.witness_lanes().count(), circuit.witness_count as usize);
        for i in 0..circuit.ops.len() {
            assert!(plan.counts(OpId(i as u32)).iter().all(|&c| c == 1));
        }
        assert_eq!(
            plan.messages(),
            plan.witness_lanes().map(|(_, m)| u64::from(m)).sum::<u64>()
        );
        assert!(plan.counts(OpId(circuit.ops.len() as u32)).is_empty());
    }
}
