//! Proof-tree jobs: one node of a tree as bytes in, a proof out, so that any scheduler
//! (a batch system, a Ray or Dask task, a Kubernetes job) can run a tree across machines
//! with `fixpoint prove-node --job FILE --out FILE` and no code of ours in between.
//!
//! A [`NodeJob`] is self-describing: the keys of the node's slots, its statement length,
//! its combine function as a circuit ([`CombineCircuit`]), the allow-list, the node's own
//! verifying key (the shapes its setup is floored to, and the hash the setup must give),
//! and the children's proofs and public inputs. [`prove_job`] rebuilds the node circuit
//! from that data alone, sets it up, checks that its key is the job's, and proves it.

use fixpoint_circuit_prover::files::{self, FileError, FileKind};
use fixpoint_circuit_prover::{
    FieldFamily, Proof, ProverConfig, Stark, VerifyingKey, poseidon2, setup_with,
};
use serde::{Deserialize, Serialize};

use super::TreeError;
use super::allow_list::{AllowList, ChildKey, ChildKind};
use super::node::{ChildInput, CombineCircuit, node_circuit_flat};
use super::prove::{NodeProof, prove_node};
use super::setup::{TreeSetup, options};
use crate::uni_stark::Ext;

/// One child of a job: its key, kind, proof and public inputs.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub struct JobChild<F: FieldFamily> {
    /// What the slot verifies.
    pub kind: ChildKind,
    /// The child's verifying key.
    pub vk: VerifyingKey<Stark<F>, poseidon2::Table>,
    /// The child's proof.
    pub proof: Proof<Stark<F>>,
    /// Its public inputs.
    pub publics: Vec<Ext<F>>,
}

/// One node of a tree, as a file ([`FileKind::TreeJob`]).
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub struct NodeJob<F: FieldFamily> {
    /// The node's level in the tree (1 for a base node), for reports.
    pub level: u32,
    /// The node's position in its level, for reports.
    pub index: u32,
    /// The node's statement length (public inputs before the allow-list root).
    pub statement_len: u32,
    /// The combine function.
    pub combine: CombineCircuit<Ext<F>>,
    /// The allow-list.
    pub allow_list: AllowList,
    /// The node's own verifying key: the setup is floored to its shapes and must give it.
    pub key: VerifyingKey<Stark<F>, poseidon2::Table>,
    /// The children, one per slot.
    pub children: Vec<JobChild<F>>,
}

/// A job's result, as a file ([`FileKind::NodeProof`]): the node's public inputs and proof.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub struct NodeOutput<F: FieldFamily> {
    /// The node's public inputs: the statement, then the allow-list root.
    pub publics: Vec<Ext<F>>,
    /// The proof, under the job's key.
    pub proof: Proof<Stark<F>>,
}

/// Reads a file of `kind` holding a `T` over field family `F`.
fn read_file<F: FieldFamily, T: Serialize + serde::de::DeserializeOwned>(
    kind: FileKind,
    bytes: &[u8],
) -> Result<T, FileError> {
    files::decode_file(F::FIELD, kind, bytes)
}

impl<F: FieldFamily> NodeJob<F> {
    /// The job as a file.
    pub fn to_file(&self) -> Vec<u8> {
        files::encode_file(F::FIELD, FileKind::TreeJob, self)
    }

    /// A job from a file of [`to_file`](Self::to_file).
    pub fn from_file(bytes: &[u8]) -> Result<Self, FileError> {
        read_file::<F, Self>(FileKind::TreeJob, bytes)
    }
}

impl<F: FieldFamily> NodeOutput<F> {
    /// The output as a file.
    pub fn to_file(&self) -> Vec<u8> {
        files::encode_file(F::FIELD, FileKind::NodeProof, self)
    }

    /// An output from a file of [`to_file`](Self::to_file).
    pub fn from_file(bytes: &[u8]) -> Result<Self, FileError> {
        read_file::<F, Self>(FileKind::NodeProof, bytes)
    }
}

/// Proves `job` from its data alone: rebuilds the node circuit from its slots' keys, its
/// statement length and its combine circuit, sets it up floored to the job key's shapes,
/// refuses a key other than the job's ([`TreeError::JobKey`]), and proves the node over
/// the children (which the node checks as [`prove_node`] does).
pub fn prove_job<F: FieldFamily>(job: &NodeJob<F>) -> Result<NodeProof<F>, TreeError<F>>
where
    Ext<F>: fixpoint_circuit::CircuitField<PrimeSubfield = F>,
{
    job.key
        .check()
        .map_err(|source| TreeError::Verify { source })?;
    let keys = job
        .children
        .iter()
        .map(|c| ChildKey::new(&c.vk, c.kind))
        .collect::<Result<Vec<_>, _>>()?;
    let node = node_circuit_flat(
        &keys,
        job.statement_len as usize,
        &job.combine,
        job.allow_list.depth,
    )?;
    let (pk, vk) = setup_with(
        &node.circuit,
        &ProverConfig::<Stark<F>>::new(job.key.fri),
        &options(job.key.layout.bus(), job.key.shape_floor()),
    )
    .map_err(|source| TreeError::Setup { source })?;
    if vk.hash() != job.key.hash() {
        return Err(TreeError::JobKey);
    }
    let children: Vec<ChildInput<'_, F>> = job
        .children
        .iter()
        .zip(&keys)
        .map(|(c, key)| ChildInput {
            key,
            proof: &c.proof,
            publics: &c.publics,
        })
        .collect();
    prove_node(&node, &pk, &job.allow_list, &children)
}

impl<F: FieldFamily> TreeSetup<F> {
    /// The job of base node `group`'s node at position `index` over `children` (base
    /// proofs, one per slot, under the group's keys).
    pub fn base_job(
        &self,
        group: usize,
        index: u32,
        children: &[ChildInput<'_, F>],
    ) -> Result<NodeJob<F>, TreeError<F>> {
        let base = self.base_nodes.get(group).ok_or(TreeError::NoBaseNode {
            group,
            groups: self.base_nodes.len(),
        })?;
        self.job(1, index, &base.pk.vk, children)
    }

    /// The job of the node at `level` (2 or more) and position `index` over `children` (the
    /// proofs of the level below, one per slot).
    pub fn node_job(
        &self,
        level: u32,
        index: u32,
        children: &[ChildInput<'_, F>],
    ) -> Result<NodeJob<F>, TreeError<F>> {
        self.job(level, index, &self.node_pk.vk, children)
    }

    /// A job under `key` over `children`.
    fn job(
        &self,
        level: u32,
        index: u32,
        key: &VerifyingKey<Stark<F>, poseidon2::Table>,
        children: &[ChildInput<'_, F>],
    ) -> Result<NodeJob<F>, TreeError<F>> {
        if children.len() != self.arity {
            return Err(TreeError::ChildCount {
                expected: self.arity,
                got: children.len(),
            });
        }
        let children = children
            .iter()
            .map(|c| {
                Ok(JobChild {
                    kind: c.key.kind,
                    vk: (*c.key.vk).clone(),
                    proof: Proof::from_bytes(&c.proof.to_bytes())
                        .map_err(|_| TreeError::ProofBytes)?,
                    publics: c.publics.to_vec(),
                })
            })
            .collect::<Result<Vec<_>, TreeError<F>>>()?;
        Ok(NodeJob {
            level,
            index,
            statement_len: self.node.statement_len as u32,
            combine: self.node.combine_circuit().clone(),
            allow_list: self.allow_list.clone(),
            key: key.clone(),
            children,
        })
    }
}
