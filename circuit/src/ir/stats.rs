//! Op counts per kind and per scope, and the products a fused multiply-add would absorb.

use std::collections::BTreeMap;
use std::fmt::{self, Display, Formatter};

use serde::{Deserialize, Serialize};

use super::{Circuit, Op, OpId, OpKind};

/// Number of ops of each kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpCounts {
    /// `Const` ops.
    pub consts: usize,
    /// `Public` ops.
    pub publics: usize,
    /// `Add` ops (additions and subtractions).
    pub adds: usize,
    /// `Mul` ops (multiplications and divisions).
    pub muls: usize,
    /// `Hint` ops (no table rows: their outputs are witness slots).
    pub hints: usize,
    /// Non-primitive ops (rows of their own tables).
    pub npos: usize,
}

impl OpCounts {
    /// All ops.
    pub fn total(&self) -> usize {
        self.consts + self.publics + self.adds + self.muls + self.hints + self.npos
    }

    fn count(&mut self, kind: OpKind) {
        match kind {
            OpKind::Const => self.consts += 1,
            OpKind::Public => self.publics += 1,
            OpKind::Add => self.adds += 1,
            OpKind::Mul => self.muls += 1,
            OpKind::Hint => self.hints += 1,
            OpKind::Npo => self.npos += 1,
        }
    }
}

impl Display for OpCounts {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ops (const {}, public {}, add {}, mul {}",
            self.total(),
            self.consts,
            self.publics,
            self.adds,
            self.muls
        )?;
        if self.hints > 0 {
            write!(f, ", hint {}", self.hints)?;
        }
        if self.npos > 0 {
            write!(f, ", npo {}", self.npos)?;
        }
        f.write_str(")")
    }
}

/// Size of a circuit: ops per kind, per scope, and witness slots.
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use p3_koala_bear::KoalaBear as F;
///
/// let mut b = CircuitBuilder::<F>::new();
/// let x = b.public_input();
/// let y = b.scope("square", |b| b.square(x));
/// b.expose(y);
/// let stats = b.build()?.stats();
/// assert_eq!(stats.ops.muls, 1);
/// assert_eq!(stats.per_scope["square"].muls, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitStats {
    /// Ops per kind over the whole circuit.
    pub ops: OpCounts,
    /// Ops per kind for each scope path (the root scope is `""`).
    pub per_scope: BTreeMap<String, OpCounts>,
    /// Number of witness slots.
    pub witness_count: u32,
    /// Number of public inputs.
    pub public_count: u32,
}

impl Display for CircuitStats {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(f, "=== CIRCUIT STATS ===")?;
        writeln!(f, "{}", self.ops)?;
        writeln!(
            f,
            "{} witness slots, {} public inputs",
            self.witness_count, self.public_count
        )?;
        for (scope, counts) in &self.per_scope {
            let name = if scope.is_empty() { "<root>" } else { scope };
            writeln!(f, "  {name}: {counts}")?;
        }
        Ok(())
    }
}

impl<F> Circuit<F> {
    /// Counts ops per kind (cheap: no per-scope breakdown).
    pub fn op_counts(&self) -> OpCounts {
        let mut counts = OpCounts::default();
        for op in &self.ops {
            counts.count(op.kind());
        }
        counts
    }

    /// Counts ops per kind and per scope.
    pub fn stats(&self) -> CircuitStats {
        let mut stats = CircuitStats {
            witness_count: self.witness_count,
            public_count: self.public_count,
            ..Default::default()
        };
        for (i, op) in self.ops.iter().enumerate() {
            let kind = Op::kind(op);
            stats.ops.count(kind);
            let scope = self.scope_of(OpId(i as u32));
            match stats.per_scope.get_mut(scope) {
                Some(counts) => counts.count(kind),
                None => {
                    let mut counts = OpCounts::default();
                    counts.count(kind);
                    stats.per_scope.insert(scope.to_owned(), counts);
                }
            }
        }
        stats
    }
}

impl<F> Circuit<F> {
    /// The products a fused multiply-add row (`a · b + c`) would absorb: `Mul` ops that
    /// define their product (rather than divide) and whose product one op alone reads, an
    /// `Add` that takes it as a summand and defines the sum. Fusing each pair would remove
    /// one row and one witness slot. The IR does not record which slots the builder
    /// exposes, so an exposed product read by one `Add` is counted too. Issue 15 measured this on the recursion layers to
    /// decide against a fused ALU table (the book's recursion chapter has the figures).
    ///
    /// ```
    /// use fixpoint_circuit::CircuitBuilder;
    /// use p3_koala_bear::KoalaBear as F;
    ///
    /// let mut b = CircuitBuilder::<F>::new();
    /// let (x, y, z) = (b.public_input(), b.public_input(), b.public_input());
    /// let xy = b.mul(x, y);
    /// let fused = b.add(xy, z); // the product's only reader
    /// let yz = b.mul(y, z);
    /// let twice = b.add(yz, yz); // one reader, but twice
    /// let also = b.mul(yz, z);
    /// let q = b.div(x, y); // `y · q = x` defines q, not a product
    /// let shifted = b.add(q, z);
    /// for t in [fused, twice, also, shifted] {
    ///     b.expose(t);
    /// }
    /// assert_eq!(b.build()?.mul_add_candidates(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mul_add_candidates(&self) -> usize {
        const UNDEFINED: usize = usize::MAX;
        let slots = self.witness_count as usize;
        let mut defined_by = vec![UNDEFINED; slots];
        // Per slot: how many ports read it besides its definition, and the last such op.
        let mut readers = vec![(0usize, UNDEFINED); slots];
        for (i, op) in self.ops.iter().enumerate() {
            for slot in op.slots().filter(|s| s.index() < slots) {
                if defined_by[slot.index()] == UNDEFINED {
                    defined_by[slot.index()] = i;
                } else {
                    let (count, _) = readers[slot.index()];
                    readers[slot.index()] = (count + 1, i);
                }
            }
        }
        self.ops
            .iter()
            .enumerate()
            .filter(|&(i, op)| {
                let Op::Mul { out: product, .. } = op else {
                    return false;
                };
                if defined_by[product.index()] != i {
                    return false;
                }
                let (count, reader) = readers[product.index()];
                count == 1
                    && matches!(
                        &self.ops[reader],
                        Op::Add { a, b, out }
                            if (a == product || b == product) && defined_by[out.index()] == reader
                    )
            })
            .count()
    }
}
