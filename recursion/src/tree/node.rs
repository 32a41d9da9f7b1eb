//! A combine node: one circuit that verifies `k` child proofs, checks each child's key
//! against the allow-list, and computes its statement from its children's with a function
//! the user writes with the builder.
//!
//! **Public inputs.** A node's public inputs are its statement (a [`CircuitIo`] struct,
//! allocated as public inputs), then the allow-list root ([`ROOT_SLOTS`](super::ROOT_SLOTS) packed slots).
//! A child of kind [`ChildKind::Node`] is verified with the node's own root as the last
//! slots of its public inputs, so every proof of a tree carries one root.
//!
//! **Private inputs.** Each child has groups of its own: its statement (the same
//! `CircuitIo` struct, allocated as private inputs, which the combine function reads by
//! field), its verifier's inputs and its key's membership bits. A child is filled from its
//! own proof, whatever the others' positions.

use std::sync::Arc;

use fixpoint_circuit::{
    Circuit, CircuitBuilder, CircuitIo, PrivateGroup, Runner, Target, WitnessId,
};
use fixpoint_circuit_prover::merkle::Digest;
use fixpoint_circuit_prover::{FieldFamily, Proof, Stark, poseidon2};
use serde::{Deserialize, Serialize};

use super::TreeError;
use super::allow_list::{AllowList, ChildKey, ChildKind, Membership, membership};
use crate::batch_stark::BatchStarkVerifier;
use crate::fixpoint::{self, FixpointError, FixpointWitness};
use crate::uni_stark::Ext;

/// The most children a node may verify.
pub const MAX_ARITY: usize = 8;

/// A node's combine function: the node's statement from its children's, written with the
/// builder. It may assert (for example that one child's post-state is the next one's
/// pre-state): a node whose children break it has no proof.
///
/// ```
/// use fixpoint_circuit::{CircuitIo, Target};
/// use fixpoint_recursion::tree::Combine;
/// use p3_koala_bear::KoalaBear;
///
/// #[derive(CircuitIo)]
/// struct Count {
///     total: Target,
/// }
///
/// // A node's count is the sum of its children's.
/// let sum = Combine::<KoalaBear, Count>::new(|b, children| Count {
///     total: children.iter().skip(1).fold(children[0].total, |acc, c| b.add(acc, c.total)),
/// });
/// # let _ = sum;
/// ```
pub struct Combine<F: FieldFamily, S> {
    f: Arc<CombineFn<F, S>>,
}

/// The function inside a [`Combine`].
type CombineFn<F, S> = dyn Fn(&mut CircuitBuilder<Ext<F>>, &[S]) -> S + Send + Sync;

impl<F: FieldFamily, S> Clone for Combine<F, S> {
    fn clone(&self) -> Self {
        Combine { f: self.f.clone() }
    }
}

impl<F: FieldFamily, S> Combine<F, S> {
    /// The combine function `f`.
    pub fn new(f: impl Fn(&mut CircuitBuilder<Ext<F>>, &[S]) -> S + Send + Sync + 'static) -> Self {
        Combine { f: Arc::new(f) }
    }

    /// Emits the function over `children`.
    pub fn emit(&self, b: &mut CircuitBuilder<Ext<F>>, children: &[S]) -> S {
        (self.f)(b, children)
    }
}

/// A combine function as data: a circuit whose public inputs are `arity` children's
/// statements, one after the other, and whose `outputs` slots hold the node's statement.
/// The node circuit inlines it ([`CircuitBuilder::inline`]); the prover runs it to compute
/// the node's statement; a [`job`](super::job) carries it, so that a node is rebuilt from
/// data alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "E: p3_field::Field")]
pub struct CombineCircuit<E> {
    /// The function's circuit.
    pub circuit: Circuit<E>,
    /// The slots of the node's statement, in statement order.
    pub outputs: Vec<WitnessId>,
}

impl<F: FieldFamily, S: CircuitIo> Combine<F, S> {
    /// The function over `arity` statements of `lengths`, as a circuit of its own.
    pub fn compile(
        &self,
        lengths: &S::Lengths,
        arity: usize,
    ) -> Result<CombineCircuit<Ext<F>>, TreeError<F>>
    where
        Ext<F>: fixpoint_circuit::CircuitField<PrimeSubfield = F>,
    {
        let mut b = CircuitBuilder::<Ext<F>>::new();
        let children: Vec<S> = (0..arity).map(|_| S::allocate(&mut b, lengths)).collect();
        let outputs = b.scope("combine", |b| self.emit(b, &children)).targets();
        for &t in &outputs {
            b.expose(t);
        }
        let circuit = b
            .build()
            .map_err(|e| TreeError::Build(FixpointError::Build(Box::new(e))))?;
        let outputs = outputs
            .iter()
            .map(|&t| circuit.witness_of(t).ok_or(TreeError::CombineOutputRemoved))
            .collect::<Result<_, _>>()?;
        Ok(CombineCircuit { circuit, outputs })
    }
}

/// One child slot of a node.
#[derive(Clone, Debug)]
pub struct ChildSlot<F: FieldFamily> {
    /// The key shape the slot verifies (its commitment is the witness's, not the
    /// circuit's).
    pub key: ChildKey<F>,
    /// The verifier's handles.
    pub verifier: BatchStarkVerifier,
    /// The child's statement: a private group.
    pub statement: PrivateGroup,
    /// The membership check of the child's key.
    pub membership: Membership,
}

/// A combine node's circuit and its handles.
#[derive(Clone, Debug)]
pub struct NodeCircuit<F: FieldFamily> {
    /// The circuit.
    pub circuit: Circuit<Ext<F>>,
    /// The child slots, in order.
    pub children: Vec<ChildSlot<F>>,
    /// The statement's public inputs (before the root's).
    pub statement_len: usize,
    /// The allow-list's depth.
    pub allow_depth: usize,
    /// The combine function as a circuit of its own.
    combine: CombineCircuit<Ext<F>>,
}

/// Builds a node verifying one child per entry of `children` (1 to [`MAX_ARITY`]), with
/// statement type `S` of `lengths`, statement function `combine` and an allow-list of
/// depth `allow_depth`: [`node_circuit_flat`] over the function compiled to a circuit, so
/// the node is the one a [`job`](super::job) rebuilds from data.
pub fn node_circuit<F: FieldFamily, S: CircuitIo>(
    children: &[ChildKey<F>],
    lengths: &S::Lengths,
    combine: &Combine<F, S>,
    allow_depth: usize,
) -> Result<NodeCircuit<F>, TreeError<F>>
where
    Ext<F>: fixpoint_circuit::CircuitField<PrimeSubfield = F>,
{
    let compiled = combine.compile(lengths, children.len())?;
    node_circuit_flat(children, compiled.outputs.len(), &compiled, allow_depth)
}

/// Builds a node verifying one child per entry of `children` (1 to [`MAX_ARITY`]), whose
/// statement is `statement_len` public inputs, computed by `combine` from the children's,
/// with an allow-list of depth `allow_depth`. A typed statement allocates its fields in
/// order, so this is the circuit [`node_circuit`] builds for a `CircuitIo` statement of
/// that length.
pub fn node_circuit_flat<F: FieldFamily>(
    children: &[ChildKey<F>],
    statement_len: usize,
    combine: &CombineCircuit<Ext<F>>,
    allow_depth: usize,
) -> Result<NodeCircuit<F>, TreeError<F>>
where
    Ext<F>: fixpoint_circuit::CircuitField<PrimeSubfield = F>,
{
    let arity = children.len();
    if !(1..=MAX_ARITY).contains(&arity) {
        return Err(TreeError::Arity { arity });
    }
    if combine.outputs.len() != statement_len
        || combine.circuit.public_count as usize != arity * statement_len
    {
        return Err(TreeError::CombineOutput {
            expected: statement_len,
            got: combine.outputs.len(),
        });
    }
    super::allow_list::check_depth::<F>(allow_depth)?;
    let mut b = CircuitBuilder::<Ext<F>>::new();
    let out_targets = b.public_inputs(statement_len);
    let root: Digest = [b.public_input(), b.public_input()];
    let mut statements: Vec<Target> = Vec::with_capacity(arity * statement_len);
    let mut slots = Vec::with_capacity(arity);
    for (i, key) in children.iter().enumerate() {
        b.push_scope(&format!("child{i}"));
        let (statement_group, statement) = b.private_group(|b| b.private_inputs(statement_len));
        let mut publics = statement.clone();
        publics.extend(&root[..key.kind.extra_publics()]);
        if publics.len() != key.shape.public_count {
            return Err(TreeError::StatementLength {
                child: i,
                expected: publics.len(),
                got: key.shape.public_count,
            });
        }
        let (verifier, _) = fixpoint::verify_circuit(&mut b, &key.shape, &publics)
            .map_err(|e| TreeError::Build(FixpointError::Shape(e)))?;
        let commitment = verifier
            .inputs
            .preprocessed_commitment
            .clone()
            .ok_or(TreeError::Build(FixpointError::NoPreprocessedCommitment))?;
        let membership = membership(&mut b, key.shape_digest, &commitment, root, allow_depth)
            .map_err(|source| TreeError::Merkle { source })?;
        b.pop_scope();
        statements.extend(statement);
        slots.push(ChildSlot {
            key: key.clone(),
            verifier,
            statement: statement_group,
            membership,
        });
    }
    let inlined = b
        .scope("combine", |b| b.inline(&combine.circuit, &statements))
        .map_err(|source| TreeError::Inline { source })?;
    let combined = combine
        .outputs
        .iter()
        .map(|w| {
            inlined
                .get(w.index())
                .copied()
                .flatten()
                .ok_or(TreeError::CombineOutputRemoved)
        })
        .collect::<Result<Vec<_>, _>>()?;
    connect_outputs(&mut b, &combined, &out_targets)?;
    let circuit = b
        .build()
        .map_err(|e| TreeError::Build(FixpointError::Build(Box::new(e))))?;
    Ok(NodeCircuit {
        circuit,
        children: slots,
        statement_len,
        allow_depth,
        combine: combine.clone(),
    })
}

/// Connects the combine function's outputs to the node's statement.
fn connect_outputs<F: FieldFamily>(
    b: &mut CircuitBuilder<Ext<F>>,
    combined: &[Target],
    out: &[Target],
) -> Result<(), TreeError<F>> {
    if combined.len() != out.len() {
        return Err(TreeError::CombineOutput {
            expected: out.len(),
            got: combined.len(),
        });
    }
    for (&c, &o) in combined.iter().zip(out) {
        b.connect(c, o);
    }
    Ok(())
}

impl<F: FieldFamily> CombineCircuit<Ext<F>>
where
    Ext<F>: fixpoint_circuit::CircuitField<PrimeSubfield = F>,
{
    /// The node's statement from its children's (concatenated).
    pub fn evaluate(&self, statements: &[Ext<F>]) -> Result<Vec<Ext<F>>, TreeError<F>> {
        let mut runner = self.circuit.runner();
        poseidon2::register_executors(&mut runner);
        runner
            .set_public_inputs(statements)
            .map_err(|source| TreeError::Combine { source })?;
        let traces = runner
            .run()
            .map_err(|source| TreeError::Combine { source })?;
        self.outputs
            .iter()
            .map(|&slot| {
                traces
                    .witness
                    .get(slot)
                    .ok_or(TreeError::CombineOutputRemoved)
            })
            .collect()
    }
}

/// One child proof as a node takes it: the key's slot (built from the child's verifying
/// key with [`ChildKey::new`]), the proof and its public inputs.
#[derive(Clone, Copy)]
pub struct ChildInput<'a, F: FieldFamily> {
    /// The child's key.
    pub key: &'a ChildKey<F>,
    /// The child's proof.
    pub proof: &'a Proof<Stark<F>>,
    /// Its public inputs.
    pub publics: &'a [Ext<F>],
}

/// One child's part of a node's inputs.
#[derive(Clone, Debug)]
pub struct ChildWitness<F: FieldFamily> {
    /// The verifier's witness.
    pub fixpoint: FixpointWitness<F>,
    /// The child's statement.
    pub statement: Vec<Ext<F>>,
    /// Its key's leaf position in the allow-list.
    pub leaf_index: usize,
}

/// A node's inputs for its children's proofs.
#[derive(Clone, Debug)]
pub struct NodeWitness<F: FieldFamily> {
    /// The node's public inputs: its statement, then the allow-list root.
    pub publics: Vec<Ext<F>>,
    /// Per child.
    pub children: Vec<ChildWitness<F>>,
}

impl<F: FieldFamily> NodeCircuit<F>
where
    Ext<F>: fixpoint_circuit::CircuitField<PrimeSubfield = F>,
{
    /// How many children the node verifies.
    pub fn arity(&self) -> usize {
        self.children.len()
    }

    /// The node's combine function as a circuit.
    pub fn combine_circuit(&self) -> &CombineCircuit<Ext<F>> {
        &self.combine
    }

    /// Child `i`'s inputs from its proof. Refuses, before any circuit runs, a child whose
    /// key is not the slot's shape or kind, is not in `list`, or whose proof carries
    /// another root than `list`'s.
    pub fn child_witness(
        &self,
        i: usize,
        list: &AllowList,
        child: &ChildInput<'_, F>,
    ) -> Result<ChildWitness<F>, TreeError<F>> {
        let slot = &self.children[i];
        if child.key.kind != slot.key.kind || child.key.shape_digest != slot.key.shape_digest {
            return Err(TreeError::ChildShape { child: i });
        }
        let leaf_index = list
            .position(&child.key.leaf())
            .ok_or(TreeError::NotAllowed { child: i })?;
        let statement_len = self.statement_len;
        if child.publics.len() != statement_len + slot.key.kind.extra_publics() {
            return Err(TreeError::StatementLength {
                child: i,
                expected: statement_len + slot.key.kind.extra_publics(),
                got: child.publics.len(),
            });
        }
        if slot.key.kind == ChildKind::Node
            && child.publics[statement_len..] != root_slots(list)?[..]
        {
            return Err(TreeError::RootMismatch { child: i });
        }
        let mut shape = slot.key.shape.clone();
        if let Some(p) = shape.batch.preprocessed.as_mut() {
            p.commitment = child.key.commitment.clone();
        }
        let fixpoint =
            FixpointWitness::from_proof(&shape, &F::permutation(), child.proof, child.publics)
                .map_err(|source| TreeError::Witness { child: i, source })?;
        Ok(ChildWitness {
            fixpoint,
            statement: child.publics[..statement_len].to_vec(),
            leaf_index,
        })
    }

    /// The node's statement from its children's, by the combine function; statements the
    /// function refuses are [`TreeError::Combine`].
    pub fn statement(&self, children: &[Vec<Ext<F>>]) -> Result<Vec<Ext<F>>, TreeError<F>> {
        if children.len() != self.arity() {
            return Err(TreeError::ChildCount {
                expected: self.arity(),
                got: children.len(),
            });
        }
        self.combine.evaluate(&children.concat())
    }

    /// The node's inputs for `children`, one per slot, under `list`.
    pub fn witness(
        &self,
        list: &AllowList,
        children: &[ChildInput<'_, F>],
    ) -> Result<NodeWitness<F>, TreeError<F>> {
        if children.len() != self.arity() {
            return Err(TreeError::ChildCount {
                expected: self.arity(),
                got: children.len(),
            });
        }
        let children = children
            .iter()
            .enumerate()
            .map(|(i, child)| self.child_witness(i, list, child))
            .collect::<Result<Vec<_>, _>>()?;
        let statements: Vec<Vec<Ext<F>>> = children.iter().map(|c| c.statement.clone()).collect();
        let mut publics = self.statement(&statements)?;
        publics.extend(root_slots(list)?);
        Ok(NodeWitness { publics, children })
    }

    /// Gives the runner every input of `witness` under `list`.
    pub fn fill(
        &self,
        witness: &NodeWitness<F>,
        list: &AllowList,
        runner: &mut Runner<'_, Ext<F>>,
    ) -> Result<(), TreeError<F>> {
        if witness.children.len() != self.arity() {
            return Err(TreeError::ChildCount {
                expected: self.arity(),
                got: witness.children.len(),
            });
        }
        for (i, (slot, child)) in self.children.iter().zip(&witness.children).enumerate() {
            child
                .fixpoint
                .fill(&slot.verifier, runner)
                .map_err(|source| TreeError::Fill { child: i, source })?;
            runner
                .set_private_group(&slot.statement, &child.statement)
                .map_err(|source| TreeError::Inputs { source })?;
            slot.membership.fill(runner, list, child.leaf_index)?;
        }
        runner
            .set_public_inputs(&witness.publics)
            .map_err(|source| TreeError::Inputs { source })
    }
}

/// The root of `list` as a node's last public slots.
pub fn root_slots<F: FieldFamily>(list: &AllowList) -> Result<Vec<Ext<F>>, TreeError<F>>
where
    Ext<F>: fixpoint_circuit::CircuitField<PrimeSubfield = F>,
{
    Ok(poseidon2::pack_values::<Ext<F>>(&list.root::<F>()?))
}
