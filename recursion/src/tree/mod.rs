//! Aggregation: proof trees of `k`-ary combine nodes over base proofs, with a key
//! allow-list and one node key for a tree of any depth.
//!
//! - [`allow_list`]: which keys a node accepts a child under, and what a key's leaf binds
//!   (its FRI settings and shape, not only its commitment);
//! - [`node`]: the node circuit, which verifies `k` children, checks their keys against
//!   the list and computes its statement with a [`Combine`] function;
//! - [`setup`]: the base nodes (the first level, over base proofs) and the node key at
//!   their fixed point, and the allow-list that holds them;
//! - [`prove`]: a tree, level by level, the nodes of a level in parallel;
//! - [`job`]: one node as a self-describing file, proved by `fixpoint prove-node`;
//! - [`verify`]: the root checked with only the trusted allow-list root and node key;
//! - [`shrink`]: an optional last layer with FRI settings of its own, for a small proof.
//!
//! The statement is typed: a `#[derive(CircuitIo)]` struct that base circuits allocate as
//! their public inputs and that every node reads its children's statements as.

pub mod allow_list;
pub mod job;
pub mod node;
pub mod prove;
pub mod setup;
pub mod shrink;
pub mod verify;

pub use allow_list::{AllowList, ChildKey, ChildKind, MAX_ALLOW_DEPTH, ROOT_SLOTS};
pub use job::{JobChild, NodeJob, NodeOutput, prove_job};
pub use node::{
    ChildInput, Combine, CombineCircuit, MAX_ARITY, NodeCircuit, NodeWitness, node_circuit,
    node_circuit_flat,
};
pub use prove::{Leaf, LevelReport, NodeProof, TreeProof, prove_node, prove_tree, tree_depth};
pub use setup::{BaseNode, TreeOptions, TreeSetup, groups_of, tree_setup};
pub use shrink::{
    SHRINK_124, Shrink, ShrinkCheckError, ShrunkProof, TrustedShrink, prove_shrink, shrink_setup,
    verify_shrunk,
};
pub use verify::{TreeBundle, TreeCheckError, TrustedTree, verify_tree};

use fixpoint_circuit::RunError;
use fixpoint_circuit_prover::FieldFamily;
use fixpoint_circuit_prover::merkle::MerkleError;
use fixpoint_circuit_prover::merkle::shared::NodeBusError;

use crate::fill::FillError;
use crate::fixpoint::FixpointError;
use crate::layers::RecursionError;
use crate::uni_stark::Ext;

/// Why a tree could not be set up or proved; `F` is the base field.
#[derive(Debug, thiserror::Error)]
pub enum TreeError<F: FieldFamily> {
    /// A key's verifier shape could not be built.
    #[error("a child key is invalid")]
    Key {
        /// Why.
        #[source]
        source: FixpointError,
    },
    /// The node circuit does not build.
    #[error("the node circuit does not build")]
    Build(#[source] FixpointError),
    /// The allow-list membership path could not be emitted or filled.
    #[error("the allow-list path")]
    Merkle {
        /// Why.
        #[source]
        source: MerkleError,
    },
    /// A node or tree of this arity cannot be built (a node has 1 to 8 children, a tree's
    /// nodes 2 to 8).
    #[error("{arity} children per node: a node has 1 to 8, a tree's nodes 2 to 8")]
    Arity {
        /// The arity asked for.
        arity: usize,
    },
    /// The allow-list depth is out of range.
    #[error("an allow-list of depth {depth}: the depth is 1 to {MAX_ALLOW_DEPTH}")]
    AllowDepth {
        /// The depth asked for.
        depth: usize,
    },
    /// The keys do not fit the allow-list.
    #[error("{keys} keys do not fit an allow-list of depth {depth}")]
    AllowListFull {
        /// The keys to list.
        keys: usize,
        /// The list's depth.
        depth: usize,
    },
    /// The allow-list is malformed.
    #[error("the allow-list is invalid: {0}")]
    InvalidAllowList(String),
    /// No base key was given.
    #[error("a tree needs at least one base key")]
    NoBaseKey,
    /// The number of children differs from the node's arity.
    #[error("the node verifies {expected} children, {got} were given")]
    ChildCount {
        /// The node's arity.
        expected: usize,
        /// The children given.
        got: usize,
    },
    /// A child's public inputs are not the statement (and the root, for a node child).
    #[error("child {child} has {got} public inputs, the node expects {expected}")]
    StatementLength {
        /// The child.
        child: usize,
        /// What the node expects.
        expected: usize,
        /// What the child's key or proof has.
        got: usize,
    },
    /// A child's key has another shape or kind than its slot.
    #[error("child {child}'s key is not of the shape its slot verifies")]
    ChildShape {
        /// The child.
        child: usize,
    },
    /// A child's key is not in the allow-list.
    #[error("child {child}'s key is not in the allow-list")]
    NotAllowed {
        /// The child.
        child: usize,
    },
    /// A node child's proof carries another allow-list root.
    #[error("child {child}'s proof carries another allow-list root")]
    RootMismatch {
        /// The child.
        child: usize,
    },
    /// A child's proof does not fill its verifier.
    #[error("child {child}'s proof does not fit its verifier")]
    Witness {
        /// The child.
        child: usize,
        /// Why.
        #[source]
        source: FixpointError,
    },
    /// A child's witness does not fill the node's runner.
    #[error("child {child}'s witness does not fill the node")]
    Fill {
        /// The child.
        child: usize,
        /// Why.
        #[source]
        source: FillError<Ext<F>>,
    },
    /// The runner refused an input.
    #[error("the node's runner refused an input")]
    Inputs {
        /// Why.
        #[source]
        source: RunError<Ext<F>>,
    },
    /// The combine function refuses the children's statements (for example, segments that
    /// do not chain).
    #[error("the combine function refuses the children's statements")]
    Combine {
        /// The failing op and its scope.
        #[source]
        source: RunError<Ext<F>>,
    },
    /// The combine function returned a statement of another length.
    #[error("the combine function returned {got} values, the statement has {expected}")]
    CombineOutput {
        /// The statement's length.
        expected: usize,
        /// The function's.
        got: usize,
    },
    /// The combine circuit could not be inlined into the node.
    #[error("the combine circuit cannot be inlined")]
    Inline {
        /// Why.
        #[source]
        source: fixpoint_circuit::InlineError,
    },
    /// A key has NPO tables other than the Poseidon2 ones, so a job cannot carry it.
    #[error("a child key has NPO tables other than the Poseidon2 ones")]
    KeyTables,
    /// A child proof does not decode from its own bytes (a fixpoint bug).
    #[error("a child proof does not round-trip through its bytes")]
    ProofBytes,
    /// A job's node circuit set up to another key than the job's.
    #[error("the job's node circuit sets up to another key than the job names")]
    JobKey,
    /// The combine function's output was removed by lowering (a fixpoint bug).
    #[error("the combine function's output has no slot")]
    CombineOutputRemoved,
    /// The node's circuit did not run.
    #[error("the node's run failed")]
    Run {
        /// Why.
        #[source]
        source: RunError<Ext<F>>,
    },
    /// A shared Merkle node read by the run is not provided (a wrong opening).
    #[error("a shared Merkle node does not match")]
    NodeBus {
        /// The first node read but not provided.
        #[source]
        source: NodeBusError,
    },
    /// A setup failed.
    #[error("setup failed")]
    Setup {
        /// Why.
        #[source]
        source: fixpoint_circuit_prover::SetupError,
    },
    /// A node could not be proved.
    #[error("proving failed")]
    Prove {
        /// Why.
        #[source]
        source: fixpoint_circuit_prover::ProveError,
    },
    /// The shrink layer could not be proved.
    #[error("the shrink layer failed")]
    Shrink(#[source] Box<RecursionError<Ext<F>>>),
    /// A node's proof does not verify under its own key.
    #[error("a node's proof does not verify")]
    Verify {
        /// Why.
        #[source]
        source: fixpoint_circuit_prover::VerifyError,
    },
    /// The node key did not reach a fixed point.
    #[error("the node key reached no fixed point in {rounds} setups")]
    NoFixedPoint {
        /// Setups tried.
        rounds: usize,
    },
    /// Two node circuits with one circuit got different keys.
    #[error("the node circuit repeated with another key")]
    KeyChanged,
    /// A base node's key, floored to the node key's shape, has another shape (another table
    /// set, most likely).
    #[error("the base node of group {group} does not have the node key's shape: {difference}")]
    BaseNodeShape {
        /// The group.
        group: usize,
        /// What differs.
        difference: String,
    },
    /// The leaves do not make a full tree.
    #[error(
        "{leaves} base proofs do not make a tree of arity {arity}: give a power of {arity}, at least {arity}"
    )]
    LeafCount {
        /// The base proofs.
        leaves: usize,
        /// The arity.
        arity: usize,
    },
    /// A group of leaves has no base node in the setup.
    #[error(
        "leaves {first}.. are under base keys {group:?}, a group the setup has no base node for"
    )]
    UnknownGroup {
        /// The group's first leaf.
        first: usize,
        /// Its base key indices.
        group: Vec<usize>,
    },
    /// A group names a base key that was not given.
    #[error("group {group} names base key {base}, {bases} were given")]
    GroupBase {
        /// The group.
        group: usize,
        /// The base key index it names.
        base: usize,
        /// The base keys given.
        bases: usize,
    },
    /// A job asks for a base node the setup does not have.
    #[error("base node {group} asked for, the setup has {groups}")]
    NoBaseNode {
        /// The base node asked for.
        group: usize,
        /// The setup's base nodes.
        groups: usize,
    },
    /// A leaf names a base key the setup does not have.
    #[error("leaf {leaf} is under base key {base}, the setup has {bases}")]
    UnknownBase {
        /// The leaf.
        leaf: usize,
        /// Its base key index.
        base: usize,
        /// The setup's base keys.
        bases: usize,
    },
}
