//! The Execution IR: plain data that prover, verifier and runner all read.
//!
//! A [`Circuit`] is a list of [`Op`]s over witness slots ([`WitnessId`]). There is no
//! program counter and no branching: the list *is* the program. Every op relates at most
//! three slots, and the ops are ordered so that each one has at most one slot that no
//! earlier op defined (the runner solves for it) — see [`Circuit::verify`].
//!
//! Printing ([`std::fmt::Display`]), the Graphviz export ([`Circuit::to_dot`]), statistics
//! ([`Circuit::stats`]) and the content hash ([`Circuit::id`]) live in their own modules.

mod dot;
mod hash;
mod print;
mod stats;
mod verify;

pub use hash::CircuitId;
pub use stats::{CircuitStats, OpCounts};
pub use verify::{Definitions, IrError};

use serde::{Deserialize, Serialize};

/// Index of a slot in the witness table.
///
/// Every value a circuit computes lives in exactly one slot; `connect`ed targets share one.
///
/// ```
/// use fixpoint_circuit::WitnessId;
/// assert_eq!(WitnessId(3).to_string(), "WitnessId(3)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WitnessId(pub u32);

impl WitnessId {
    /// The slot as a `usize`, for indexing the witness table.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl std::fmt::Display for WitnessId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WitnessId({})", self.0)
    }
}

/// Position of an op in [`Circuit::ops`].
///
/// ```
/// use fixpoint_circuit::OpId;
/// assert_eq!(OpId(5).to_string(), "op 5");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OpId(pub u32);

impl OpId {
    /// The op's position as a `usize`.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl std::fmt::Display for OpId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "op {}", self.0)
    }
}

/// Index of a builder scope path (such as `"fri/query"`) in [`DebugInfo::scopes`].
///
/// `ScopeId(0)` is the root scope, whose path is the empty string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ScopeId(pub u32);

impl ScopeId {
    /// The root scope (no `scope(..)` call active).
    pub const ROOT: ScopeId = ScopeId(0);
}

/// Names a scope path in messages: `scope `fri/query`` or `the root scope`.
pub(crate) fn describe_scope(path: &str) -> String {
    if path.is_empty() {
        "the root scope".to_owned()
    } else {
        format!("scope `{path}`")
    }
}

/// One operation of the Execution IR.
///
/// The four primitives are the semantic core. Subtraction and division have no ops of their
/// own: `a − b = c` is `Add { a: b, b: c, out: a }` and `a / b = c` is `Mul { a: b, b: c, out: a }`;
/// the runner solves whichever single slot is still unknown.
///
/// Non-primitive operations and hints join this enum later. It is deliberately *not*
/// `non_exhaustive`: every consumer (runner, prover, verifier) must handle every op
/// explicitly, so a new kind can never fall through a wildcard arm unproven.
///
/// ```
/// use fixpoint_circuit::{Op, WitnessId};
/// use p3_koala_bear::KoalaBear;
/// let op: Op<KoalaBear> = Op::Mul { a: WitnessId(1), b: WitnessId(4), out: WitnessId(5) };
/// assert_eq!(op.to_string(), "Mul { a: WitnessId(1), b: WitnessId(4), out: WitnessId(5) }");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(bound = "F: p3_field::Field")]
pub enum Op<F> {
    /// `out = val`, a constant fixed by the circuit.
    Const {
        /// The slot holding the constant.
        out: WitnessId,
        /// The constant.
        val: F,
    },
    /// `out = public_inputs[pos]`.
    Public {
        /// The slot holding the public input.
        out: WitnessId,
        /// The position in the public-input vector.
        pos: u32,
    },
    /// `a + b = out`.
    Add {
        /// First summand.
        a: WitnessId,
        /// Second summand.
        b: WitnessId,
        /// The sum.
        out: WitnessId,
    },
    /// `a · b = out`.
    Mul {
        /// First factor.
        a: WitnessId,
        /// Second factor.
        b: WitnessId,
        /// The product.
        out: WitnessId,
    },
    /// A non-primitive operation: `outputs = kind(inputs, private data)`, executed by the
    /// executor registered for `kind` and **proved by `kind`'s own table** (which reads the
    /// inputs and outputs through the bus). It is a constraint, so it is never removed.
    Npo {
        /// The operation's kind.
        kind: NpoKind,
        /// The builder call it came from (the key of its private data).
        call: NpoCallId,
        /// Slots it reads (all defined before it runs).
        inputs: Vec<WitnessId>,
        /// Slots it defines (or checks, when already defined).
        outputs: Vec<WitnessId>,
        /// Number of private field elements the runner must be given for this call.
        private_len: u32,
    },
    /// `outputs = kind(inputs)`, computed natively by the runner and **not constrained**:
    /// the values are advice that only the ops reading them constrain. The builder's lint
    /// refuses a hint output that no constraint reads, or (unless the hint was vouched for)
    /// that the constraints do not determine. Proving a hint costs no table row.
    Hint {
        /// What the hint computes.
        kind: HintKind,
        /// Slots it reads (all defined before it runs).
        inputs: Vec<WitnessId>,
        /// Slots it defines.
        outputs: Vec<WitnessId>,
    },
}

/// The stable id of a non-primitive operation kind (Poseidon2, a Merkle step, a user's
/// own). Ids below 1024 are reserved for fixpoint's own kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NpoKind(pub u32);

impl std::fmt::Display for NpoKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "npo#{}", self.0)
    }
}

/// Identifies one non-primitive call of a builder (in call order); private data is given
/// to the runner under this id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NpoCallId(pub u32);

/// A run of consecutive private inputs that one gadget allocated, such as one verifier
/// circuit's proof values: the handle through which the runner is given exactly those
/// values ([`Runner::set_private_group`](crate::Runner::set_private_group)), so that two
/// gadgets with private inputs can share a circuit. Made by
/// [`CircuitBuilder::private_group`](crate::CircuitBuilder::private_group).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PrivateGroup {
    /// The index of the group's first private input.
    pub first: u32,
    /// How many private inputs the group holds.
    pub len: u32,
}

impl PrivateGroup {
    /// The private-input indices of the group.
    pub fn indices(&self) -> std::ops::Range<usize> {
        self.first as usize..self.first as usize + self.len as usize
    }
}

/// What a hint computes. Hints are data: a runner executes the built-in kinds itself and
/// [`HintKind::User`] kinds through executors registered by id
/// ([`Runner::register_hint`](crate::Runner::register_hint)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HintKind {
    /// The `bits` low bits of a base-field value, least significant first (the value must
    /// be below `2^bits`).
    BitsLe {
        /// Number of bits.
        bits: u8,
    },
    /// The inverse of a nonzero value.
    Inverse,
    /// The coordinates of an extension-field value over the prime field, lowest first.
    BaseCoeffs,
    /// A user hint, executed by the executor registered under this id.
    User(u32),
    /// Private input number `index`, given to the runner with
    /// [`Runner::set_private_inputs`](crate::Runner::set_private_inputs): advice with no
    /// input, constrained only by the ops that read it.
    PrivateInput {
        /// Position among the private inputs.
        index: u32,
    },
}

impl std::fmt::Display for HintKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HintKind::BitsLe { bits } => write!(f, "BitsLe({bits})"),
            HintKind::Inverse => f.write_str("Inverse"),
            HintKind::BaseCoeffs => f.write_str("BaseCoeffs"),
            HintKind::User(id) => write!(f, "User({id})"),
            HintKind::PrivateInput { index } => write!(f, "PrivateInput({index})"),
        }
    }
}

/// The kind of an [`Op`], for statistics and error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OpKind {
    /// [`Op::Const`].
    Const,
    /// [`Op::Public`].
    Public,
    /// [`Op::Add`].
    Add,
    /// [`Op::Mul`].
    Mul,
    /// [`Op::Hint`].
    Hint,
    /// [`Op::Npo`].
    Npo,
}

impl std::fmt::Display for OpKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OpKind::Const => "Const",
            OpKind::Public => "Public",
            OpKind::Add => "Add",
            OpKind::Mul => "Mul",
            OpKind::Hint => "Hint",
            OpKind::Npo => "Npo",
        })
    }
}

impl<F> Op<F> {
    /// The op's kind.
    pub fn kind(&self) -> OpKind {
        match self {
            Op::Const { .. } => OpKind::Const,
            Op::Public { .. } => OpKind::Public,
            Op::Add { .. } => OpKind::Add,
            Op::Mul { .. } => OpKind::Mul,
            Op::Hint { .. } => OpKind::Hint,
            Op::Npo { .. } => OpKind::Npo,
        }
    }

    /// The slots the op relates, in port order (`a, b, out` for `Add`/`Mul`; inputs then
    /// outputs for a hint).
    pub fn slots(&self) -> impl Iterator<Item = WitnessId> + '_ {
        let (one, three, many): (_, _, &[WitnessId]) = match self {
            Op::Const { out, .. } | Op::Public { out, .. } => (Some(*out), None, &[]),
            Op::Add { a, b, out } | Op::Mul { a, b, out } => (None, Some([*a, *b, *out]), &[]),
            Op::Hint { inputs, .. } | Op::Npo { inputs, .. } => (None, None, inputs),
        };
        let outputs: &[WitnessId] = match self {
            Op::Hint { outputs, .. } | Op::Npo { outputs, .. } => outputs,
            _ => &[],
        };
        one.into_iter()
            .chain(three.into_iter().flatten())
            .chain(many.iter().copied())
            .chain(outputs.iter().copied())
    }
}

/// Debugging information carried beside the program. It is not part of [`Circuit::id`]:
/// two circuits that compute the same thing have the same id whatever their scope names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebugInfo {
    /// Scope paths by [`ScopeId`]; index 0 is the root scope `""`.
    pub scopes: Vec<String>,
    /// The scope in which each op was created, parallel to [`Circuit::ops`] (or empty).
    pub op_scopes: Vec<ScopeId>,
    /// The slot of each builder [`Target`](crate::Target), by creation index; `None` when
    /// lowering removed the target's op because nothing reads it.
    pub target_slots: Vec<Option<WitnessId>>,
}

/// A lowered circuit: the whole program, known to prover and verifier alike.
///
/// Build one with [`CircuitBuilder::build`](crate::CircuitBuilder::build). The fields are
/// public plain data; a hand-made or deserialised circuit should be checked with
/// [`Circuit::verify`] (the runner reports violations as errors either way).
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use p3_field::PrimeCharacteristicRing;
/// use p3_koala_bear::KoalaBear as F;
///
/// let mut b = CircuitBuilder::<F>::new();
/// let x = b.public_input();
/// let y = b.mul(x, x);
/// b.expose(y);
/// let circuit = b.build()?;
/// assert_eq!(circuit.ops.len(), 2);
/// assert!(circuit.verify().is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "F: p3_field::Field")]
pub struct Circuit<F> {
    /// The program, in execution order.
    pub ops: Vec<Op<F>>,
    /// Number of slots in the witness table.
    pub witness_count: u32,
    /// Number of public inputs the runner expects.
    pub public_count: u32,
    /// Scope names and the target → slot map; not part of the content hash.
    pub debug: DebugInfo,
}

impl<F> Circuit<F> {
    /// The scope path in which op `op` was created (`""` for the root scope or when the
    /// circuit carries no debug information).
    pub fn scope_of(&self, op: OpId) -> &str {
        self.debug
            .op_scopes
            .get(op.index())
            .and_then(|s| self.debug.scopes.get(s.0 as usize))
            .map_or("", String::as_str)
    }

    /// Number of private inputs the runner expects (see
    /// [`CircuitBuilder::private_input`](crate::CircuitBuilder::private_input)).
    pub fn private_count(&self) -> usize {
        self.ops
            .iter()
            .filter_map(|op| match op {
                Op::Hint {
                    kind: HintKind::PrivateInput { index },
                    ..
                } => Some(*index as usize + 1),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }
}
