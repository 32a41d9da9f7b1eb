//! Verifier circuits of fixpoint's own proofs: a `fixpoint-circuit-prover` proof is a
//! p3-batch-stark proof over the circuit's tables, so its verifier circuit is
//! [`crate::batch_stark`]'s, built from the [`VerifyingKey`] alone.
//!
//! The inner circuit's public inputs (extension elements) are the verifier circuit's
//! statement: the caller passes them as targets, and the circuit splits each into its base
//! coordinates with [`poseidon2::unpack`] (one `PACK` row, whose base-valued ports bind
//! the coordinates to the base field): those are the Public table's public values that p3
//! absorbs.

use fixpoint_circuit::{CircuitBuilder, Runner, Target};
use fixpoint_circuit_prover::air::CircuitAir;
use fixpoint_circuit_prover::config::StarkCfg;
use fixpoint_circuit_prover::npo::NpoTable;
use fixpoint_circuit_prover::{D, FieldFamily, Proof, Stark, TableKind, VerifyingKey, poseidon2};
use p3_air::Air;
use p3_field::extension::BinomiallyExtendable;
use p3_field::{BasedVectorSpace, PrimeField64, TwoAdicField};
use p3_lookup::InteractionSymbolicBuilder;
use p3_symmetric::CryptographicPermutation;
use thiserror::Error;

use crate::CircuitChallenger;
use crate::batch_stark::{
    self, BatchPreprocessed, BatchStarkShape, BatchStarkVerifier, BatchStarkWitness, KeyBinding,
};
use crate::pcs::{ProofShapeError, check_len};
use crate::uni_stark::{Ext, WitnessError};

/// Why a verifier circuit cannot be built from a key, or a proof cannot fill it.
#[derive(Debug, Error)]
pub enum FixpointError {
    /// The key is inconsistent (its bounds, or p3 cannot rebuild its bus layout).
    #[error("the verifying key is invalid")]
    Key(#[source] fixpoint_circuit_prover::VerifyError),
    /// A layer's inner key has no preprocessed commitment to chain.
    #[error("the inner key has no preprocessed commitment")]
    NoPreprocessedCommitment,
    /// The layer circuit does not lower (a fixpoint bug: the verifier's gadgets are
    /// constrained by construction).
    #[error("the layer circuit does not build")]
    Build(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The shape is one the verifier circuit cannot check.
    #[error(transparent)]
    Shape(#[from] ProofShapeError),
    /// The proof does not fill the circuit.
    #[error(transparent)]
    Witness(#[from] WitnessError),
}

/// Everything the verifier circuit of a fixpoint key's proofs depends on.
#[derive(Clone, Debug)]
pub struct FixpointShape<V: TwoAdicField, F: p3_field::ExtensionField<V>> {
    /// The batch-stark verifier's shape.
    pub batch: BatchStarkShape<V, F>,
    /// The inner circuit's public inputs.
    pub public_count: usize,
    /// The Public table's instance index.
    pub public_table: usize,
}

/// A verifying key a verifier circuit can be built from: fixpoint's keys over any
/// [`FieldFamily`], with any NPO tables.
pub trait FixpointKey<V: TwoAdicField + BinomiallyExtendable<D>> {
    /// The shape of proofs under this key; `key` says whether the circuit pins the key's
    /// preprocessed commitment or takes it as a private input.
    fn verifier_shape(&self, key: KeyBinding) -> Result<FixpointShape<V, Ext<V>>, FixpointError>;
}

impl<F, N> FixpointKey<F> for VerifyingKey<Stark<F>, N>
where
    F: FieldFamily,
    N: NpoTable<F>,
    CircuitAir<F, N>: Air<InteractionSymbolicBuilder<F, Ext<F>>>,
{
    fn verifier_shape(&self, key: KeyBinding) -> Result<FixpointShape<F, Ext<F>>, FixpointError> {
        let parts = self.batch_parts().map_err(FixpointError::Key)?;
        let config = &parts.config.stark;
        let mut batch = BatchStarkShape::new(
            &parts.airs,
            &parts.common.lookups,
            BatchPreprocessed::from_common(&parts.common),
            &parts.degree_bits,
            self.fri,
            p3_uni_stark::StarkGenericConfig::lookup_proof_of_work_bits(config),
            p3_uni_stark::StarkGenericConfig::ood_proof_of_work_bits(config),
        )?;
        batch.key = key;
        Ok(FixpointShape {
            batch,
            public_count: self.public_count as usize,
            // Every layout proves the Public table (only the Witness one may be left out).
            public_table: self
                .layout
                .instance_of(TableKind::Public)
                .expect("every layout proves the Public table"),
        })
    }
}

impl<V> FixpointShape<V, Ext<V>>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
{
    /// The shape of proofs under `vk` (see [`FixpointKey::verifier_shape`]).
    pub fn new<K: FixpointKey<V>>(vk: &K, key: KeyBinding) -> Result<Self, FixpointError> {
        vk.verifier_shape(key)
    }
}

/// Emits the verifier of `shape`'s proofs; `public_inputs` are the inner circuit's public
/// inputs as targets (the caller decides whether they are the outer circuit's own public
/// inputs, as the statement usually is).
pub fn verify_circuit<V>(
    builder: &mut CircuitBuilder<Ext<V>>,
    shape: &FixpointShape<V, Ext<V>>,
    public_inputs: &[Target],
) -> Result<(BatchStarkVerifier, CircuitChallenger<Ext<V>>), ProofShapeError>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
    Ext<V>: fixpoint_circuit::CircuitField<PrimeSubfield = V>,
{
    check_len("public inputs", shape.public_count, public_inputs.len())?;
    let coordinates: Vec<Target> = builder.scope("public inputs", |b| {
        public_inputs
            .iter()
            .flat_map(|&x| poseidon2::unpack(b, x))
            .collect()
    });
    let public_values = (0..shape.batch.instances.len())
        .map(|i| {
            if i == shape.public_table {
                coordinates.clone()
            } else {
                Vec::new()
            }
        })
        .collect();
    batch_stark::verify_circuit(builder, &shape.batch, public_values)
}

/// The runner's inputs for one fixpoint proof.
#[derive(Clone, Debug)]
pub struct FixpointWitness<V> {
    /// The batch-stark witness (private inputs and siblings).
    pub batch: BatchStarkWitness<V, Ext<V>>,
}

impl<V> FixpointWitness<V>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
    Ext<V>: fixpoint_circuit::CircuitField<PrimeSubfield = V>,
{
    /// Fills [`verify_circuit`]'s private inputs from a proof of `public_inputs`.
    pub fn from_proof<P>(
        shape: &FixpointShape<V, Ext<V>>,
        perm: &P,
        proof: &Proof<StarkCfg<V, P>>,
        public_inputs: &[Ext<V>],
    ) -> Result<Self, FixpointError>
    where
        P: CryptographicPermutation<[V; 16]>
            + CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>
            + Clone,
    {
        check_len("public inputs", shape.public_count, public_inputs.len())?;
        let coordinates: Vec<V> = public_inputs
            .iter()
            .flat_map(|x| <Ext<V> as BasedVectorSpace<V>>::as_basis_coefficients_slice(x).to_vec())
            .collect();
        let public_values: Vec<Vec<V>> = (0..shape.batch.instances.len())
            .map(|i| {
                if i == shape.public_table {
                    coordinates.clone()
                } else {
                    Vec::new()
                }
            })
            .collect();
        let batch =
            BatchStarkWitness::from_proof(&shape.batch, perm, &proof.inner, &public_values)?;
        Ok(FixpointWitness { batch })
    }

    /// Gives the runner the private inputs and the Merkle siblings.
    pub fn fill(
        &self,
        verifier: &BatchStarkVerifier,
        runner: &mut Runner<'_, Ext<V>>,
    ) -> Result<(), crate::fill::FillError<Ext<V>>> {
        self.batch.fill(verifier, runner)
    }
}
