//! `p3_uni_stark::verify` (and `verify_with_preprocessed`) as a circuit.
//!
//! The circuit is a function of a [`UniStarkShape`]: the AIR's constraints (recorded once
//! by p3's symbolic builder), the trace height, the FRI parameters and, when the AIR has
//! preprocessed columns, the preprocessed commitment, **pinned as constants**: it is part
//! of the verifying key, never an input. In p3's order the circuit
//!
//! 1. absorbs the `p3-uni-stark` seed (constants), the trace commitment, the preprocessed
//!    commitment and the public values, and samples `α`;
//! 2. absorbs the quotient commitment, checks the OOD PoW and samples `ζ`;
//! 3. verifies the openings of the trace at `ζ` (and `ζ·h` when the AIR reads the next
//!    row), of each quotient chunk at `ζ` and of the preprocessed trace with the PCS and
//!    FRI circuits of [`crate::pcs`] and [`crate::fri`];
//! 4. evaluates the constraints at `ζ` ([`crate::constraints`]), folds them with `α`, and
//!    checks `folded/Z_H(ζ) = Q(ζ)` with `Q` recomposed from its chunks.
//!
//! **Inputs.** The inner proof's public values are the circuit's public inputs: they are
//! the statement. The rest of the proof is private: commitments, opened values, PoW
//! witnesses, the FRI proof, the opened rows and (as private data) the Merkle siblings.
//! [`UniStarkWitness::from_proof`] fills them all from a native proof.

use fixpoint_circuit::{CircuitBuilder, CircuitField, Target};
use fixpoint_circuit_prover::merkle::Digest;
use p3_field::{
    BasedVectorSpace, ExtensionField, PrimeCharacteristicRing, PrimeField64, TwoAdicField,
};

use crate::constraints::{self, Opened, Window};
use crate::fri::{self, QueryInputs, QueryPaths};
use crate::pcs::{self, PcsInputs, PcsShape, ProofShapeError};
use crate::{CircuitChallenger, seeds};

mod handles;
mod shape;
mod witness;

pub use handles::{UniStarkInputs, UniStarkVerifier};
pub use shape::{Ext, PreprocessedKey, UniStarkShape};
pub use witness::{NativeProof, UniStarkWitness, WitnessError, native_pcs};

/// What [`emit_verifier`] builds: the verifier's handles but its private group, and the
/// challenger.
type Emitted<F> = (UniStarkInputs, PcsInputs, QueryPaths, CircuitChallenger<F>);

/// Emits the verifier of `shape` on `builder`, on a fresh challenger. Returns the handles
/// and the challenger (whose transcript [`crate::transcript::compare`] reads).
pub fn verify_circuit<V, F>(
    builder: &mut CircuitBuilder<F>,
    shape: &UniStarkShape<V, F>,
) -> Result<(UniStarkVerifier, CircuitChallenger<F>), ProofShapeError>
where
    V: PrimeField64 + TwoAdicField,
    F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
{
    let (privates, emitted) = builder.private_group(|builder| emit_verifier(builder, shape));
    let (inputs, pcs, paths, challenger) = emitted?;
    let verifier = UniStarkVerifier {
        inputs,
        pcs,
        paths,
        privates,
    };
    Ok((verifier, challenger))
}

/// [`verify_circuit`]'s body: every private input it allocates is in the verifier's group.
///
/// The steps follow `p3_uni_stark::verify`: the proof's inputs, then the transcript, the
/// opening argument and the constraint check ([`verify_transcript_and_constraints`])
/// under the `uni-stark` scope.
fn emit_verifier<V, F>(
    builder: &mut CircuitBuilder<F>,
    shape: &UniStarkShape<V, F>,
) -> Result<Emitted<F>, ProofShapeError>
where
    V: PrimeField64 + TwoAdicField,
    F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
{
    let pcs_shape = shape.pcs_shape();
    pcs_shape.validate::<V>()?;
    let inputs = allocate_inputs(builder, shape);
    let preprocessed_commitment: Option<Vec<Digest>> = shape
        .preprocessed
        .as_ref()
        .map(|p| pcs::constant_cap(builder, &p.commitment));

    builder.push_scope("uni-stark");
    let mut challenger = CircuitChallenger::new(builder);
    let result = verify_transcript_and_constraints(
        builder,
        &mut challenger,
        shape,
        &pcs_shape,
        &inputs,
        preprocessed_commitment.as_ref(),
    );
    builder.pop_scope();
    let (pcs, paths) = result?;
    Ok((inputs, pcs, paths, challenger))
}

/// The proof's inputs in allocation order (the order [`UniStarkWitness::from_proof`]
/// lists them): the public values (public inputs), then the private commitments, openings
/// and OOD PoW witness.
fn allocate_inputs<V, F>(
    builder: &mut CircuitBuilder<F>,
    shape: &UniStarkShape<V, F>,
) -> UniStarkInputs
where
    V: PrimeField64 + TwoAdicField,
    F: CircuitField + ExtensionField<V>,
{
    let c = &shape.constraints;
    let layout = c.layout;
    let roots = shape.cap_roots();
    let public_values = builder.public_inputs(layout.num_public_values);
    let trace_commitment = pcs::private_cap(builder, roots);
    let quotient_commitment = pcs::private_cap(builder, roots);
    let trace_local = builder.private_inputs(layout.main_width);
    let trace_next = c
        .main_next
        .then(|| builder.private_inputs(layout.main_width));
    let preprocessed_local = builder.private_inputs(layout.preprocessed_width);
    let preprocessed_next = (c.preprocessed_next && layout.preprocessed_width > 0)
        .then(|| builder.private_inputs(layout.preprocessed_width));
    let quotient_chunks: Vec<Vec<Target>> = (0..1 << shape.log_quotient_chunks)
        .map(|_| builder.private_inputs(<F as BasedVectorSpace<V>>::DIMENSION))
        .collect();
    let ood_pow = builder.private_input();
    UniStarkInputs {
        public_values,
        trace_commitment,
        quotient_commitment,
        trace_local,
        trace_next,
        preprocessed_local,
        preprocessed_next,
        quotient_chunks,
        ood_pow,
    }
}

/// The transcript in p3's order (seed, `α`, `ζ`), the PCS statement and its verification,
/// then the constraints at `ζ`.
fn verify_transcript_and_constraints<V, F>(
    builder: &mut CircuitBuilder<F>,
    challenger: &mut CircuitChallenger<F>,
    shape: &UniStarkShape<V, F>,
    pcs_shape: &PcsShape,
    inputs: &UniStarkInputs,
    preprocessed_commitment: Option<&Vec<Digest>>,
) -> Result<(PcsInputs, QueryPaths), ProofShapeError>
where
    V: PrimeField64 + TwoAdicField,
    F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
{
    seeds::observe(builder, challenger, &shape.seed);
    let alpha = builder.scope("alpha", |b| {
        alpha_phase(b, challenger, inputs, preprocessed_commitment)
    });
    let (zeta, zeta_next) = builder.scope("zeta", |b| zeta_phase(b, challenger, shape, inputs))?;
    let pcs = commitments_with_opening_points(
        builder,
        pcs_shape,
        inputs,
        preprocessed_commitment,
        zeta,
        zeta_next,
    );
    let challenges = pcs::verify_transcript(builder, challenger, pcs_shape, &pcs)?;
    let queries = QueryInputs::allocate(builder, pcs_shape);
    let paths = fri::verify_queries(builder, pcs_shape, &pcs, &challenges, &queries)?;
    verify_constraints_at_zeta(builder, shape, inputs, zeta, alpha)?;
    Ok((pcs, paths))
}

/// Transcript up to `α`: the trace commitment, the preprocessed commitment and the public
/// values, then the constraint `α`.
fn alpha_phase<F>(
    builder: &mut CircuitBuilder<F>,
    challenger: &mut CircuitChallenger<F>,
    inputs: &UniStarkInputs,
    preprocessed_commitment: Option<&Vec<Digest>>,
) -> Target
where
    F: CircuitField,
    F::PrimeSubfield: PrimeField64,
{
    challenger.observe_cap(builder, &inputs.trace_commitment);
    if let Some(cap) = preprocessed_commitment {
        challenger.observe_cap(builder, cap);
    }
    for &v in &inputs.public_values {
        challenger.observe(builder, v);
    }
    challenger.sample_ext(builder)
}

/// Transcript up to `ζ`: the quotient commitment, the OOD PoW, then `ζ`; returns `ζ` and
/// `ζ·h`.
fn zeta_phase<V, F>(
    builder: &mut CircuitBuilder<F>,
    challenger: &mut CircuitChallenger<F>,
    shape: &UniStarkShape<V, F>,
    inputs: &UniStarkInputs,
) -> Result<(Target, Target), ProofShapeError>
where
    V: PrimeField64 + TwoAdicField,
    F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
{
    challenger.observe_cap(builder, &inputs.quotient_commitment);
    challenger.check_witness(builder, shape.ood_pow_bits, inputs.ood_pow)?;
    let zeta = challenger.sample_ext(builder);
    let h = builder.define_const(F::from(V::two_adic_generator(shape.log_degree)));
    Ok((zeta, builder.mul(zeta, h)))
}

/// The PCS statement, in p3's round order: trace, quotient chunks, preprocessed.
fn commitments_with_opening_points<F: CircuitField>(
    builder: &mut CircuitBuilder<F>,
    pcs_shape: &PcsShape,
    inputs: &UniStarkInputs,
    preprocessed_commitment: Option<&Vec<Digest>>,
    zeta: Target,
    zeta_next: Target,
) -> PcsInputs {
    let mut commitments = vec![
        inputs.trace_commitment.clone(),
        inputs.quotient_commitment.clone(),
    ];
    let mut trace_points = vec![zeta];
    let mut trace_values = vec![inputs.trace_local.clone()];
    if let Some(next) = &inputs.trace_next {
        trace_points.push(zeta_next);
        trace_values.push(next.clone());
    }
    let quotient_chunks = &inputs.quotient_chunks;
    let mut points = vec![vec![trace_points], vec![vec![zeta]; quotient_chunks.len()]];
    let mut values = vec![
        vec![trace_values],
        quotient_chunks.iter().map(|q| vec![q.clone()]).collect(),
    ];
    if let Some(cap) = preprocessed_commitment {
        commitments.push(cap.clone());
        let mut prep_points = vec![zeta];
        let mut prep_values = vec![inputs.preprocessed_local.clone()];
        if let Some(next) = &inputs.preprocessed_next {
            prep_points.push(zeta_next);
            prep_values.push(next.clone());
        }
        points.push(vec![prep_points]);
        values.push(vec![prep_values]);
    }
    PcsInputs::with_statement(builder, pcs_shape, commitments, points, values)
}

/// The constraint check: the constraints at `ζ` folded with `α` equal `Z_H(ζ)·Q(ζ)`.
fn verify_constraints_at_zeta<V, F>(
    builder: &mut CircuitBuilder<F>,
    shape: &UniStarkShape<V, F>,
    inputs: &UniStarkInputs,
    zeta: Target,
    alpha: Target,
) -> Result<(), ProofShapeError>
where
    V: PrimeField64 + TwoAdicField,
    F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
{
    let layout = shape.constraints.layout;
    let zero = builder.zero();
    let window = Window {
        main_local: inputs.trace_local.clone(),
        main_next: inputs
            .trace_next
            .clone()
            .unwrap_or_else(|| vec![zero; layout.main_width]),
        preprocessed_local: inputs.preprocessed_local.clone(),
        preprocessed_next: inputs
            .preprocessed_next
            .clone()
            .unwrap_or_else(|| vec![zero; layout.preprocessed_width]),
        public_values: inputs.public_values.clone(),
        ..Window::default()
    };
    let opened = Opened {
        window,
        quotient_chunks: inputs.quotient_chunks.clone(),
    };
    constraints::verify_at_zeta(
        builder,
        &shape.constraints,
        shape.log_degree,
        zeta,
        alpha,
        opened,
    )
}
