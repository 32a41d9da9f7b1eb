//! The content hash of a circuit.

use std::fmt::{self, Display, Formatter};

use p3_field::Field;
use serde::{Deserialize, Serialize};

use super::{Circuit, Op};

/// A stable content hash of a circuit's program (BLAKE3 over its postcard encoding).
///
/// It covers the field, the ops, the witness count and the public-input count — everything
/// that determines what the circuit accepts — and nothing else: scope names and the target
/// map are debugging aids and do not change the id.
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use p3_koala_bear::KoalaBear as F;
///
/// let build = |scope: &str| {
///     let mut b = CircuitBuilder::<F>::new();
///     let x = b.public_input();
///     let y = b.scope(scope, |b| b.square(x));
///     b.expose(y);
///     b.build().unwrap()
/// };
/// assert_eq!(build("a").id(), build("b").id());
/// assert_eq!(build("a").id().to_string().len(), 64);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CircuitId(pub [u8; 32]);

impl Display for CircuitId {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for CircuitId {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "CircuitId({self})")
    }
}

#[derive(Serialize)]
#[serde(bound = "F: Field")]
struct Program<'a, F> {
    domain: &'static str,
    field_order: Vec<u8>,
    ops: &'a [Op<F>],
    witness_count: u32,
    public_count: u32,
}

impl<F: Field> Circuit<F> {
    /// The circuit's content hash; see [`CircuitId`].
    pub fn id(&self) -> CircuitId {
        let program = Program {
            domain: "fixpoint-circuit/v1",
            field_order: F::order().to_bytes_le(),
            ops: &self.ops,
            witness_count: self.witness_count,
            public_count: self.public_count,
        };
        let bytes = postcard::to_allocvec(&program).expect("serialising to memory cannot fail");
        CircuitId(*blake3::hash(&bytes).as_bytes())
    }
}
