//! The bus plan: every port's message and every witness slot's multiplicity, from the IR.
//!
//! Every op reads its slots through the bus: a message `(index, v₀, …, v_{D−1})` sent with
//! multiplicity 1 by each port (Const: 1 port, Public: 1, Add/Mul: 3), received by the
//! Witness table with multiplicity = number of ports naming the slot. The plan is the one
//! place that counts ports, so the Witness table's preprocessed multiplicities and the
//! ports of the other tables cannot disagree.

use fixpoint_circuit::{Circuit, Op};

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
            }
        }
        BusPlan { multiplicity }
    }

    /// Total number of messages sent on the bus.
    pub fn messages(&self) -> u64 {
        self.multiplicity.iter().map(|&m| u64::from(m)).sum()
    }
}
