//! Setup, prove and verify, generic over the STARK configuration.
//!
//! The public entry points ([`crate::setup`], [`crate::prove`], [`crate::verify`]) are
//! implemented for the two supported configurations through [`CircuitStark`]; the bodies
//! here carry p3's trait bounds once.

use std::time::Instant;

use fixpoint_circuit::{Circuit, Traces};
use p3_air::symbolic::SymbolicExpressionExt;
use p3_batch_stark::common::{GlobalPreprocessed, PreprocessedInstanceMeta};
use p3_batch_stark::folder::{
    ProverConstraintFolderWithLookups, VerifierConstraintFolderWithLookups,
};
use p3_batch_stark::{CommonData, ProverData, StarkInstance, prove_batch, verify_batch};
use p3_challenger::GrindingChallenger;
use p3_field::extension::BinomiallyExtendable;
use p3_field::{Algebra, BasedVectorSpace, PrimeField64};
use p3_uni_stark::{Domain, PcsProverError, StarkGenericConfig, Val};

use crate::air::TableAir;
use crate::bus::BusPlan;
use crate::config::{D, FriSettings, ProverConfig};
use crate::error::{ProveError, SetupError, VerifyError};
use crate::keys::{ProvingKey, VerifyingKey, airs_for, public_positions};
use crate::layout::{Lanes, Layout, TableKind};
use crate::proof::Proof;
use crate::report::{Phase, ProofReport};
use crate::tables;

/// The smallest table height, as log2: FRI needs every input to be taller than its final
/// polynomial (length 1 here), so a table has at least 2 rows.
pub const MIN_LOG_HEIGHT: usize = 1;

/// A STARK configuration that can prove fixpoint circuits (KoalaBear or BabyBear with the
/// degree-4 extension). Use the free functions [`crate::setup`], [`crate::prove`] and
/// [`crate::verify`].
pub trait CircuitStark:
    StarkGenericConfig<Challenge: fixpoint_circuit::CircuitField> + Sized
{
    /// The configuration for `fri`.
    fn config(fri: FriSettings) -> ProverConfig<Self>;
    #[doc(hidden)]
    fn setup_impl(
        circuit: &Circuit<Self::Challenge>,
        config: &ProverConfig<Self>,
        lanes: &Lanes,
    ) -> Result<(ProvingKey<Self>, VerifyingKey<Self>), SetupError>;
    #[doc(hidden)]
    fn prove_impl(
        pk: &ProvingKey<Self>,
        traces: &Traces<Self::Challenge>,
    ) -> Result<(Proof<Self>, ProofReport), ProveError>;
    #[doc(hidden)]
    fn verify_impl(
        vk: &VerifyingKey<Self>,
        public_inputs: &[Self::Challenge],
        proof: &Proof<Self>,
    ) -> Result<(), VerifyError>;
}

macro_rules! impl_circuit_stark {
    ($sc:ty, $ctor:ident) => {
        impl CircuitStark for $sc {
            fn config(fri: FriSettings) -> ProverConfig<Self> {
                ProverConfig::<$sc>::$ctor(fri)
            }
            fn setup_impl(
                circuit: &Circuit<Self::Challenge>,
                config: &ProverConfig<Self>,
                lanes: &Lanes,
            ) -> Result<(ProvingKey<Self>, VerifyingKey<Self>), SetupError> {
                setup_generic(circuit, config, lanes)
            }
            fn prove_impl(
                pk: &ProvingKey<Self>,
                traces: &Traces<Self::Challenge>,
            ) -> Result<(Proof<Self>, ProofReport), ProveError> {
                prove_generic(pk, traces)
            }
            fn verify_impl(
                vk: &VerifyingKey<Self>,
                public_inputs: &[Self::Challenge],
                proof: &Proof<Self>,
            ) -> Result<(), VerifyError> {
                verify_generic(vk, public_inputs, proof)
            }
        }
    };
}

impl_circuit_stark!(crate::config::KoalaBearStark, koala_bear);
impl_circuit_stark!(crate::config::BabyBearStark, baby_bear);

fn setup_generic<SC>(
    circuit: &Circuit<SC::Challenge>,
    config: &ProverConfig<SC>,
    lanes: &Lanes,
) -> Result<(ProvingKey<SC>, VerifyingKey<SC>), SetupError>
where
    SC: StarkGenericConfig,
    Val<SC>: PrimeField64 + BinomiallyExtendable<D>,
    SC::Challenge: BasedVectorSpace<Val<SC>> + p3_field::Field,
    SymbolicExpressionExt<Val<SC>, SC::Challenge>: Algebra<SC::Challenge>,
{
    let _span = tracing::info_span!("setup", ops = circuit.ops.len()).entered();
    circuit.verify()?;
    // Without a table the bus would not balance (nothing would read the op's ports), and
    // nothing would prove the op: refuse it rather than prove something weaker.
    if let Some(kind) = circuit.ops.iter().find_map(|op| match op {
        fixpoint_circuit::Op::Npo { kind, .. } => Some(*kind),
        _ => None,
    }) {
        return Err(SetupError::UnsupportedNpo { kind });
    }
    let layout = Layout::new(circuit, lanes, MIN_LOG_HEIGHT);
    let plan = BusPlan::new(circuit);
    let preprocessed = TableKind::ALL
        .iter()
        .map(|&kind| tables::preprocessed::<Val<SC>, SC::Challenge>(circuit, &layout, kind, &plan))
        .collect();
    let positions = public_positions(circuit);
    let airs = airs_for(
        &layout,
        &positions,
        circuit.public_count,
        Some(preprocessed),
    );
    let degree_bits = ext_degree_bits(&config.stark, &layout);
    let prover_data = ProverData::from_airs_and_degrees(&config.stark, &airs, &degree_bits)
        .map_err(|e| SetupError::Commit(format!("{e:?}")))?;
    let preprocessed_commitment = prover_data
        .common
        .preprocessed
        .as_ref()
        .expect("every table has preprocessed columns")
        .commitment
        .clone();
    let vk = VerifyingKey {
        circuit_id: circuit.id(),
        field: config.field.to_owned(),
        fri: config.fri,
        layout,
        public_count: circuit.public_count,
        public_positions: positions,
        preprocessed_commitment,
    };
    let pk = ProvingKey {
        config: config.clone(),
        airs,
        prover_data,
        vk: vk.clone(),
    };
    Ok((pk, vk))
}

/// Each table's extended degree bits as p3 expects them (`log2(height) + is_zk`).
fn ext_degree_bits<SC: StarkGenericConfig>(config: &SC, layout: &Layout) -> Vec<usize> {
    layout
        .tables
        .iter()
        .map(|t| t.log_height + config.is_zk())
        .collect()
}

/// The public values of each table: the Public table's are the public inputs' coordinates.
fn public_values<V: p3_field::Field, EF: BasedVectorSpace<V>>(public_inputs: &[EF]) -> Vec<Vec<V>> {
    TableKind::ALL
        .iter()
        .map(|&kind| match kind {
            TableKind::Public => public_inputs
                .iter()
                .flat_map(|v| v.as_basis_coefficients_slice().iter().copied())
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}

fn prove_generic<SC>(
    pk: &ProvingKey<SC>,
    traces: &Traces<SC::Challenge>,
) -> Result<(Proof<SC>, ProofReport), ProveError>
where
    SC: StarkGenericConfig,
    Val<SC>: PrimeField64 + BinomiallyExtendable<D>,
    SC::Challenge: BasedVectorSpace<Val<SC>> + p3_field::Field,
    SymbolicExpressionExt<Val<SC>, SC::Challenge>: Algebra<SC::Challenge>,
    Domain<SC>: Send + Sync,
    SC::Pcs: Sync,
    PcsProverError<SC>: Send,
    SC::Challenger: GrindingChallenger<Witness = Val<SC>>,
    <SC::Pcs as p3_commit::Pcs<SC::Challenge, SC::Challenger>>::ProverData: Sync,
    <SC::Pcs as p3_commit::Pcs<SC::Challenge, SC::Challenger>>::Commitment: Sync,
    TableAir<Val<SC>>: for<'a> p3_air::Air<ProverConstraintFolderWithLookups<'a, SC>>,
{
    let _span = tracing::info_span!("prove").entered();
    let layout = &pk.vk.layout;
    let mut report = ProofReport::new(layout, &pk.config);

    let start = Instant::now();
    let main_traces = {
        let _span = tracing::info_span!("trace generation").entered();
        TableKind::ALL
            .iter()
            .map(|&kind| tables::main_trace::<Val<SC>, SC::Challenge>(traces, layout, kind))
            .collect::<Result<Vec<_>, _>>()?
    };
    report.record(Phase::TraceGeneration, start.elapsed());

    // The public inputs, by position, from the Public table's rows.
    let mut public_inputs = vec![
        <SC::Challenge as p3_field::PrimeCharacteristicRing>::ZERO;
        pk.vk.public_count as usize
    ];
    for row in &traces.public.rows {
        if let Some(slot) = public_inputs.get_mut(row.pos as usize) {
            *slot = row.val;
        }
    }
    let pvs = public_values::<Val<SC>, SC::Challenge>(&public_inputs);
    let instances: Vec<StarkInstance<'_, SC, TableAir<Val<SC>>>> = pk
        .airs
        .iter()
        .zip(&main_traces)
        .zip(&pvs)
        .map(|((air, trace), pv)| StarkInstance {
            air,
            trace,
            public_values: pv.clone(),
        })
        .collect();
    let start = Instant::now();
    let inner = {
        let _span = tracing::info_span!("commit and open").entered();
        prove_batch(&pk.config.stark, &instances, &pk.prover_data)
            .map_err(|e| ProveError::Stark(format!("{e:?}")))?
    };
    report.record(Phase::Prove, start.elapsed());
    let proof = Proof { inner };
    report.proof_bytes = proof.to_bytes().len();
    Ok((proof, report))
}

fn verify_generic<SC>(
    vk: &VerifyingKey<SC>,
    public_inputs: &[SC::Challenge],
    proof: &Proof<SC>,
) -> Result<(), VerifyError>
where
    SC: CircuitStark,
    Val<SC>: PrimeField64 + BinomiallyExtendable<D>,
    SC::Challenge: BasedVectorSpace<Val<SC>>,
    SymbolicExpressionExt<Val<SC>, SC::Challenge>: Algebra<SC::Challenge>,
    SC::Challenger: GrindingChallenger<Witness = Val<SC>>,
    TableAir<Val<SC>>: for<'a> p3_air::Air<VerifierConstraintFolderWithLookups<'a, SC>>,
{
    let _span = tracing::info_span!("verify").entered();
    if public_inputs.len() != vk.public_count as usize {
        return Err(VerifyError::PublicInputCount {
            expected: vk.public_count as usize,
            got: public_inputs.len(),
        });
    }
    vk.check()?;
    let config = SC::config(vk.fri);
    // Every shape fact comes from the key; the proof's claimed heights must match it.
    let expected_bits = ext_degree_bits(&config.stark, &vk.layout);
    if proof.inner.degree_bits != expected_bits {
        return Err(VerifyError::Shape(format!(
            "table heights (log2) {:?}, the key says {:?}",
            proof.inner.degree_bits, expected_bits
        )));
    }
    let tables = TableKind::ALL.len();
    if proof.inner.opened_values.instances.len() != tables
        || proof.inner.lookup_terminals.len() != tables
    {
        return Err(VerifyError::Shape(format!(
            "{} opened instances and {} lookup terminals for {tables} tables",
            proof.inner.opened_values.instances.len(),
            proof.inner.lookup_terminals.len()
        )));
    }
    let airs = vk.airs();
    // The bus layout is derived from the AIRs (a symbolic pass, no commitment), exactly as
    // setup derived it, so a key cannot carry lookups that disagree with its tables.
    let lookups = ProverData::from_airs_and_degrees(&config.stark, &airs, &expected_bits)
        .map_err(|e| VerifyError::InvalidKey(format!("{e:?}")))?
        .common
        .lookups;
    let common = CommonData {
        preprocessed: Some(GlobalPreprocessed {
            commitment: vk.preprocessed_commitment.clone(),
            instances: airs
                .iter()
                .enumerate()
                .map(|(i, air)| {
                    Some(PreprocessedInstanceMeta {
                        matrix_index: i,
                        width: <TableAir<Val<SC>> as p3_air::BaseAir<Val<SC>>>::preprocessed_width(
                            air,
                        ),
                        degree_bits: expected_bits[i],
                    })
                })
                .collect(),
            matrix_to_instance: (0..airs.len()).collect(),
        }),
        lookups,
    };
    let pvs = public_values::<Val<SC>, SC::Challenge>(public_inputs);
    verify_batch(&config.stark, &airs, &proof.inner, &pvs, &common)
        .map_err(|e| VerifyError::Rejected(format!("{e:?}")))
}
