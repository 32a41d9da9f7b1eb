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

use fixpoint_circuit::{CircuitBuilder, CircuitField, PrivateGroup, Runner, Target};
use fixpoint_circuit_prover::D;
use fixpoint_circuit_prover::merkle::Digest;
use p3_air::symbolic::{AirLayout, SymbolicAirBuilder};
use p3_air::{Air, BaseAir};
use p3_challenger::{CanObserve, DuplexChallenger, FieldChallenger, GrindingChallenger};
use p3_commit::CommitmentOpening;
use p3_field::coset::TwoAdicMultiplicativeCoset;
use p3_field::extension::{BinomialExtensionField, BinomiallyExtendable};
use p3_field::{
    BasedVectorSpace, ExtensionField, PrimeCharacteristicRing, PrimeField64, TwoAdicField,
};
use p3_symmetric::{CryptographicPermutation, MerkleCap, PaddingFreeSponge, TruncatedPermutation};
use thiserror::Error;

use crate::constraints::{self, AirConstraints, Opened, Window};
use crate::fri::{self, QueryInputs, QueryPaths, QueryWitness, native};
use crate::pcs::{self, MatrixClaim, PcsInputs, PcsShape, ProofShapeError, check_len};
use crate::transcript::RecordingChallenger;
use crate::{CircuitChallenger, seeds};

/// The preprocessed half of a verifying key: pinned in the circuit as constants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreprocessedKey<V> {
    /// The commitment to the preprocessed trace.
    pub commitment: MerkleCap<V, [V; 8]>,
    /// Its width.
    pub width: usize,
}

/// Everything a uni-stark verifier circuit depends on: parameters, dimensions and the
/// verifying key's constants, never proof values.
#[derive(Clone, Debug)]
pub struct UniStarkShape<V: TwoAdicField, F: ExtensionField<V>> {
    /// The AIR's constraints.
    pub constraints: AirConstraints<V, F>,
    /// log2 of the trace height (p3's `degree_bits`; fixpoint verifies non-ZK proofs).
    pub log_degree: usize,
    /// log2 of the number of quotient chunks.
    pub log_quotient_chunks: usize,
    /// The pinned preprocessed commitment, when the AIR has preprocessed columns.
    pub preprocessed: Option<PreprocessedKey<V>>,
    /// The PCS's FRI parameters.
    pub fri: fixpoint_circuit_prover::FriSettings,
    /// PoW bits before `ζ`.
    pub ood_pow_bits: usize,
    /// The `p3-uni-stark` domain-separator seed.
    pub seed: Vec<V>,
}

impl<V, F> UniStarkShape<V, F>
where
    V: PrimeField64 + TwoAdicField,
    F: ExtensionField<V>,
{
    /// The shape of proofs of `air` with traces of `2^log_degree` rows.
    pub fn new<A>(
        air: &A,
        fri: fixpoint_circuit_prover::FriSettings,
        ood_pow_bits: usize,
        log_degree: usize,
        preprocessed: Option<PreprocessedKey<V>>,
    ) -> Result<Self, ProofShapeError>
    where
        A: Air<SymbolicAirBuilder<V>> + Air<SymbolicAirBuilder<V, F>> + BaseAir<V>,
    {
        if !air.public_boundary_io().is_empty() {
            return Err(ProofShapeError::Unsupported(
                "boundary-IO public values (p3-uni-stark refuses them too)",
            ));
        }
        let preprocessed_width = preprocessed.as_ref().map_or(0, |p| p.width);
        if preprocessed_width != air.preprocessed_width() {
            return Err(ProofShapeError::Length {
                what: "preprocessed columns of the verifying key",
                expected: air.preprocessed_width(),
                got: preprocessed_width,
            });
        }
        if log_degree == 0 || log_degree > V::TWO_ADICITY {
            return Err(ProofShapeError::InvalidShape(
                "the trace height must be 2^k with 1 <= k <= the field's two-adicity",
            ));
        }
        let periodic = air.periodic_columns().into_owned();
        let constraints = AirConstraints::<V, F>::of_air(
            air,
            preprocessed_width,
            air.num_public_values(),
            periodic,
        );
        let layout = AirLayout {
            preprocessed_width,
            ..AirLayout::from_air(air)
        };
        let domain = TwoAdicMultiplicativeCoset::<V>::new(V::ONE, log_degree)
            .ok_or(ProofShapeError::InvalidShape("the trace is too tall"))?;
        let log_quotient_chunks =
            p3_uni_stark::get_log_num_quotient_chunks_for_domain::<V, A>(air, layout, domain, 0);
        let stark = p3_uni_stark::StarkShape::new::<V, A>(
            air,
            preprocessed_width,
            log_degree,
            log_degree,
            1 << log_quotient_chunks,
            false,
            ood_pow_bits,
        );
        let shape = UniStarkShape {
            constraints,
            log_degree,
            log_quotient_chunks,
            preprocessed,
            fri,
            ood_pow_bits,
            seed: seeds::uni_stark::<V, F>(&stark),
        };
        shape.pcs_shape().validate::<V>()?;
        Ok(shape)
    }

    /// The PCS claims: the trace, each quotient chunk, the preprocessed trace.
    pub fn pcs_shape(&self) -> PcsShape {
        let log_height = self.log_degree;
        let c = &self.constraints;
        let mut commitments = vec![
            vec![MatrixClaim {
                log_height,
                width: c.layout.main_width,
                points: 1 + c.main_next as usize,
            }],
            vec![
                MatrixClaim {
                    log_height,
                    width: <F as BasedVectorSpace<V>>::DIMENSION,
                    points: 1,
                };
                1 << self.log_quotient_chunks
            ],
        ];
        if let Some(p) = &self.preprocessed {
            commitments.push(vec![MatrixClaim {
                log_height,
                width: p.width,
                points: 1 + c.preprocessed_next as usize,
            }]);
        }
        PcsShape {
            fri: self.fri,
            commitments,
        }
    }

    /// Roots per cap of the trace and quotient commitments.
    fn cap_roots(&self) -> usize {
        self.pcs_shape().batch_cap_roots()[0]
    }
}

/// The inner proof's values as targets, in allocation order.
#[derive(Clone, Debug)]
pub struct UniStarkInputs {
    /// The public values (public inputs).
    pub public_values: Vec<Target>,
    /// The trace commitment's roots.
    pub trace_commitment: Vec<Digest>,
    /// The quotient commitment's roots.
    pub quotient_commitment: Vec<Digest>,
    /// The trace at `ζ`.
    pub trace_local: Vec<Target>,
    /// The trace at `ζ·h`, when the AIR reads the next row.
    pub trace_next: Option<Vec<Target>>,
    /// The preprocessed trace at `ζ`.
    pub preprocessed_local: Vec<Target>,
    /// The preprocessed trace at `ζ·h`, when the AIR reads its next row.
    pub preprocessed_next: Option<Vec<Target>>,
    /// Per quotient chunk, its `D` coordinates at `ζ`.
    pub quotient_chunks: Vec<Vec<Target>>,
    /// The OOD PoW witness.
    pub ood_pow: Target,
}

/// The verifier circuit's handles: what the runner needs besides the input values.
#[derive(Clone, Debug)]
pub struct UniStarkVerifier {
    /// The proof's targets.
    pub inputs: UniStarkInputs,
    /// The PCS's targets.
    pub pcs: PcsInputs,
    /// The Merkle paths whose siblings are private data.
    pub paths: QueryPaths,
    /// Every private input this verifier allocated (what [`UniStarkWitness::fill`] sets).
    pub privates: PrivateGroup,
}

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

/// Why a native proof cannot fill a verifier circuit.
#[derive(Debug, Error)]
pub enum WitnessError {
    /// The proof does not have the shape.
    #[error(transparent)]
    Shape(#[from] ProofShapeError),
    /// A PoW witness does not grind (p3 rejects it too).
    #[error("the {phase} PoW witness does not give {bits} zero bits")]
    Pow {
        /// OOD or lookup.
        phase: &'static str,
        /// The bits required.
        bits: usize,
    },
    /// p3's own verifier rejects the opening proof.
    #[error("p3's FRI verifier rejects the proof")]
    Native(#[source] crate::fri::NativeFriError),
    /// An AIR's opened values do not fit the inputs its shape allocates.
    #[error("the opened values do not fit the verifier's inputs")]
    Inputs(#[source] fixpoint_circuit::IoError),
}

impl From<fixpoint_circuit::IoError> for WitnessError {
    fn from(error: fixpoint_circuit::IoError) -> Self {
        WitnessError::Inputs(error)
    }
}

/// A native p3-uni-stark proof over fixpoint's configuration.
pub type NativeProof<V, P> = p3_uni_stark::Proof<fixpoint_circuit_prover::config::StarkCfg<V, P>>;

/// The runner's inputs for one native proof.
#[derive(Clone, Debug)]
pub struct UniStarkWitness<V, F> {
    /// The public inputs: the inner public values.
    pub publics: Vec<F>,
    /// The private inputs, in allocation order.
    pub privates: Vec<F>,
    /// The query phase's witness (its siblings are private data).
    pub query: QueryWitness<V, F>,
    /// The native verifier's transcript (p3's own FRI verifier after the STARK phases),
    /// for [`crate::transcript::compare`] against the circuit's.
    pub transcript: Vec<crate::transcript::NativeEvent<V>>,
}

/// The challenge field of fixpoint's configurations over `V`.
pub type Ext<V> = BinomialExtensionField<V, D>;

/// The preprocessed trace's openings at `ζ` and `ζ·h` (empty without preprocessed
/// columns).
type PreprocessedOpenings<EF> = (Vec<EF>, Option<Vec<EF>>);

/// Shape checks of the trace's openings (p3's `verify` does them before any transcript
/// work): degree bits, public values, trace rows and quotient chunks; no ZK.
fn check_trace_openings<V, P>(
    shape: &UniStarkShape<V, Ext<V>>,
    proof: &NativeProof<V, P>,
    public_values: &[V],
) -> Result<(), WitnessError>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
    P: CryptographicPermutation<[V; 16]>
        + CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>
        + Clone,
{
    let c = &shape.constraints;
    let layout = c.layout;
    let dim = <Ext<V> as BasedVectorSpace<V>>::DIMENSION;
    let ov = &proof.opened_values;
    check_len("degree bits", shape.log_degree, proof.degree_bits)?;
    check_len(
        "public values",
        layout.num_public_values,
        public_values.len(),
    )?;
    check_len(
        "trace columns at ζ",
        layout.main_width,
        ov.trace_local.len(),
    )?;
    check_len(
        "trace columns at ζ·h",
        if c.main_next { layout.main_width } else { 0 },
        ov.trace_next.as_ref().map_or(0, Vec::len),
    )?;
    if c.main_next != ov.trace_next.is_some() {
        return Err(ProofShapeError::Length {
            what: "trace openings at ζ·h",
            expected: c.main_next as usize,
            got: ov.trace_next.is_some() as usize,
        }
        .into());
    }
    check_len(
        "quotient chunks",
        1 << shape.log_quotient_chunks,
        ov.quotient_chunks.len(),
    )?;
    for chunk in &ov.quotient_chunks {
        check_len("coordinates of a quotient chunk", dim, chunk.len())?;
    }
    if proof.commitments.random.is_some() || ov.random.is_some() {
        return Err(ProofShapeError::Unsupported("zero-knowledge proofs").into());
    }
    Ok(())
}

/// Shape checks of the preprocessed openings: present exactly when the key has
/// preprocessed columns, as wide as the key, the next row exactly when the AIR reads it.
fn preprocessed_openings<V, P>(
    shape: &UniStarkShape<V, Ext<V>>,
    proof: &NativeProof<V, P>,
) -> Result<PreprocessedOpenings<Ext<V>>, WitnessError>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
    P: CryptographicPermutation<[V; 16]>
        + CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>
        + Clone,
{
    let c = &shape.constraints;
    let prep_next = c.preprocessed_next && c.layout.preprocessed_width > 0;
    match (&shape.preprocessed, &proof.opened_values.preprocessed) {
        (None, None) => Ok((Vec::new(), None)),
        (Some(key), Some(p)) => {
            check_len("preprocessed columns at ζ", key.width, p.local.len())?;
            if prep_next != p.next.is_some() {
                return Err(ProofShapeError::Length {
                    what: "preprocessed openings at ζ·h",
                    expected: prep_next as usize,
                    got: p.next.is_some() as usize,
                }
                .into());
            }
            if let Some(next) = &p.next {
                check_len("preprocessed columns at ζ·h", key.width, next.len())?;
            }
            Ok((p.local.clone(), p.next.clone()))
        }
        (key, opened) => Err(ProofShapeError::Length {
            what: "preprocessed openings",
            expected: key.is_some() as usize,
            got: opened.is_some() as usize,
        }
        .into()),
    }
}

/// Shape checks of the commitments (caps of the shape's root count) and of the OOD PoW
/// witness (zero where the shape grinds no bits).
fn check_commitments<V, P>(
    shape: &UniStarkShape<V, Ext<V>>,
    proof: &NativeProof<V, P>,
) -> Result<(), WitnessError>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
    P: CryptographicPermutation<[V; 16]>
        + CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>
        + Clone,
{
    let roots = shape.cap_roots();
    check_len(
        "trace cap roots",
        roots,
        proof.commitments.trace.num_roots(),
    )?;
    check_len(
        "quotient cap roots",
        roots,
        proof.commitments.quotient_chunks.num_roots(),
    )?;
    if shape.ood_pow_bits == 0 && !proof.ood_pow_witness.is_zero() {
        return Err(ProofShapeError::NonCanonicalPow { phase: "OOD" }.into());
    }
    Ok(())
}

/// The proof's private inputs in the circuit's allocation order (`allocate_inputs`):
/// the commitments, the openings, the OOD PoW witness, then the PCS proof's values.
fn proof_privates<V, P>(
    shape: &UniStarkShape<V, Ext<V>>,
    proof: &NativeProof<V, P>,
    (prep_local, prep_next): &PreprocessedOpenings<Ext<V>>,
) -> Result<Vec<Ext<V>>, WitnessError>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
    Ext<V>: CircuitField<PrimeSubfield = V>,
    P: CryptographicPermutation<[V; 16]>
        + CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>
        + Clone,
{
    let ov = &proof.opened_values;
    let pack = pcs::cap_values::<Ext<V>>;
    let mut privates = pack(&proof.commitments.trace);
    privates.extend(pack(&proof.commitments.quotient_chunks));
    privates.extend(ov.trace_local.iter().copied());
    privates.extend(ov.trace_next.iter().flatten().copied());
    privates.extend(prep_local.iter().copied());
    privates.extend(prep_next.iter().flatten().copied());
    privates.extend(ov.quotient_chunks.iter().flatten().copied());
    privates.push(Ext::<V>::from_prime_subfield(proof.ood_pow_witness));
    let pcs_shape = shape.pcs_shape();
    privates.extend(pcs::proof_values(&pcs_shape, &proof.opening_proof)?);
    Ok(privates)
}

/// The native transcript up to the PCS, in p3's order: the seed, the trace commitment, the
/// preprocessed commitment, the public values, `α`, the quotient commitment, the OOD PoW;
/// returns `ζ`.
fn replay_transcript<V, P>(
    shape: &UniStarkShape<V, Ext<V>>,
    proof: &NativeProof<V, P>,
    public_values: &[V],
    challenger: &mut RecordingChallenger<DuplexChallenger<V, P, 16, 8>, V>,
) -> Result<Ext<V>, WitnessError>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
    P: CryptographicPermutation<[V; 16]>
        + CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>
        + Clone,
{
    for &v in &shape.seed {
        challenger.observe(v);
    }
    challenger.observe(proof.commitments.trace.clone());
    if let Some(key) = &shape.preprocessed {
        challenger.observe(key.commitment.clone());
    }
    challenger.observe_slice(public_values);
    let _alpha: Ext<V> = challenger.sample_algebra_element();
    challenger.observe(proof.commitments.quotient_chunks.clone());
    if shape.ood_pow_bits > 0
        && !challenger.check_witness(shape.ood_pow_bits, proof.ood_pow_witness)
    {
        return Err(WitnessError::Pow {
            phase: "OOD",
            bits: shape.ood_pow_bits,
        });
    }
    Ok(challenger.sample_algebra_element())
}

/// The PCS statement the native verifier checks, in p3's round order: trace, quotient
/// chunks, preprocessed.
fn native_opening_claims<V, P>(
    shape: &UniStarkShape<V, Ext<V>>,
    proof: &NativeProof<V, P>,
    (prep_local, prep_next): &PreprocessedOpenings<Ext<V>>,
    zeta: Ext<V>,
) -> Result<native::Claims<V, Ext<V>>, WitnessError>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
    P: CryptographicPermutation<[V; 16]>
        + CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>
        + Clone,
{
    let ov = &proof.opened_values;
    let domain = TwoAdicMultiplicativeCoset::<V>::new(V::ONE, shape.log_degree)
        .ok_or(ProofShapeError::InvalidShape("the trace is too tall"))?;
    let zeta_next = zeta * V::two_adic_generator(shape.log_degree);
    let mut trace_points = vec![(zeta, ov.trace_local.clone())];
    if let Some(next) = &ov.trace_next {
        trace_points.push((zeta_next, next.clone()));
    }
    let mut claims: native::Claims<V, Ext<V>> = vec![
        CommitmentOpening::from((
            proof.commitments.trace.clone(),
            vec![(domain, trace_points)],
        )),
        CommitmentOpening::from((
            proof.commitments.quotient_chunks.clone(),
            ov.quotient_chunks
                .iter()
                .map(|chunk| (domain, vec![(zeta, chunk.clone())]))
                .collect(),
        )),
    ];
    if let Some(key) = &shape.preprocessed {
        let mut prep_points = vec![(zeta, prep_local.clone())];
        if let Some(next) = prep_next {
            prep_points.push((zeta_next, next.clone()));
        }
        claims.push(CommitmentOpening::from((
            key.commitment.clone(),
            vec![(domain, prep_points)],
        )));
    }
    Ok(claims)
}

impl<V> UniStarkWitness<V, Ext<V>>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
    Ext<V>: CircuitField<PrimeSubfield = V>,
{
    /// Fills every input of [`verify_circuit`]'s circuit from a native proof, checking
    /// every length against the shape first; `perm` is the configuration's Poseidon2.
    pub fn from_proof<P>(
        shape: &UniStarkShape<V, Ext<V>>,
        perm: &P,
        proof: &NativeProof<V, P>,
        public_values: &[V],
    ) -> Result<Self, WitnessError>
    where
        P: CryptographicPermutation<[V; 16]>
            + CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>
            + Clone,
    {
        check_trace_openings(shape, proof, public_values)?;
        let preprocessed = preprocessed_openings(shape, proof)?;
        check_commitments(shape, proof)?;
        let publics: Vec<Ext<V>> = public_values
            .iter()
            .map(|&v| Ext::<V>::from_prime_subfield(v))
            .collect();
        let mut privates = proof_privates(shape, proof, &preprocessed)?;

        // The native transcript up to the PCS, then p3's own FRI verifier.
        let mut challenger =
            RecordingChallenger::new(DuplexChallenger::<V, P, 16, 8>::new(perm.clone()));
        let zeta = replay_transcript(shape, proof, public_values, &mut challenger)?;
        let claims = native_opening_claims(shape, proof, &preprocessed, zeta)?;
        let (params, mmcs) = native_pcs(&shape.fri, perm);
        let query = fri::query_witness(
            &params,
            &mmcs,
            &claims,
            &proof.opening_proof,
            &mut challenger,
        )
        .map_err(WitnessError::Native)?;
        privates.extend(query.privates.iter().copied());
        Ok(UniStarkWitness {
            publics,
            privates,
            query,
            transcript: challenger.events,
        })
    }

    /// Gives the runner every input and every Merkle sibling.
    pub fn fill(
        &self,
        verifier: &UniStarkVerifier,
        runner: &mut Runner<'_, Ext<V>>,
    ) -> Result<(), crate::fill::FillError<Ext<V>>> {
        use crate::fill::FillError;
        verifier
            .paths
            .set_witness(runner, &self.query)
            .map_err(FillError::Paths)?;
        runner
            .set_public_inputs(&self.publics)
            .map_err(FillError::Inputs)?;
        runner
            .set_private_group(&verifier.privates, &self.privates)
            .map_err(FillError::Inputs)
    }
}

/// p3's FRI parameters and input MMCS for [`FriSettings`](fixpoint_circuit_prover::FriSettings)
/// over fixpoint's Merkle tree.
pub fn native_pcs<V, F, P>(
    fri: &fixpoint_circuit_prover::FriSettings,
    perm: &P,
) -> (native::Params<V, F, P>, native::ValMmcs<V, P>)
where
    V: PrimeField64 + TwoAdicField,
    F: ExtensionField<V>,
    P: CryptographicPermutation<[V; 16]>
        + CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>
        + Clone,
{
    let mmcs = native::ValMmcs::<V, P>::new(
        PaddingFreeSponge::new(perm.clone()),
        TruncatedPermutation::new(perm.clone()),
        fri.cap_height,
    );
    let params = fri.fri_parameters(p3_commit::ExtensionMmcs::new(mmcs.clone()));
    (params, mmcs)
}
