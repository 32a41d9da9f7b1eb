//! The batch-stark verifier's inputs from a native proof: every length checked against the
//! shape, the transcript replayed up to the PCS, then p3's own FRI verifier.

use fixpoint_circuit::{CircuitField, CircuitIo, Runner};
use fixpoint_circuit_prover::D;
use p3_batch_stark::proof::OpenedValuesWithLookups;
use p3_batch_stark::{BatchProof, CommonData};
use p3_challenger::{CanObserve, DuplexChallenger, FieldChallenger, GrindingChallenger};
use p3_commit::CommitmentOpening;
use p3_field::coset::TwoAdicMultiplicativeCoset;
use p3_field::extension::BinomiallyExtendable;
use p3_field::{PrimeCharacteristicRing, PrimeField64, TwoAdicField};
use p3_symmetric::CryptographicPermutation;

use super::{
    BatchPreprocessed, BatchStarkShape, BatchStarkVerifier, InstanceInputs, InstanceInputsValues,
    InstanceShape, KeyBinding,
};
use crate::fri::{self, QueryWitness, native};
use crate::pcs::{self, PcsShape, ProofShapeError, check_len};
use crate::transcript::RecordingChallenger;
use crate::uni_stark::{Ext, WitnessError};

/// A native p3-batch-stark proof over fixpoint's configuration.
pub type NativeProof<V, P> = BatchProof<fixpoint_circuit_prover::config::StarkCfg<V, P>>;
/// p3-batch-stark's common data over fixpoint's configuration.
pub type NativeCommon<V, P> = CommonData<fixpoint_circuit_prover::config::StarkCfg<V, P>>;

impl<V> BatchPreprocessed<V>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
{
    /// The pinned commitment and each AIR's preprocessed width, from p3's `CommonData`.
    pub fn from_common<P>(common: &NativeCommon<V, P>) -> Option<(Self, Vec<usize>)>
    where
        P: CryptographicPermutation<[V; 16]>
            + CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>
            + Clone,
    {
        common.preprocessed.as_ref().map(|g| {
            (
                BatchPreprocessed {
                    commitment: g.commitment.clone(),
                    matrix_to_instance: g.matrix_to_instance.clone(),
                },
                g.instances
                    .iter()
                    .map(|m| m.as_ref().map_or(0, |m| m.width))
                    .collect(),
            )
        })
    }
}

/// The runner's inputs for one native batch proof.
#[derive(Clone, Debug)]
pub struct BatchStarkWitness<V, F> {
    /// Each AIR's public values, flattened in instance order.
    pub public_values: Vec<V>,
    /// The private inputs, in allocation order.
    pub privates: Vec<F>,
    /// The query phase's witness.
    pub query: QueryWitness<V, F>,
    /// The native verifier's transcript (p3's own FRI verifier after the STARK phases),
    /// for [`crate::transcript::compare`] against the circuit's.
    pub transcript: Vec<crate::transcript::NativeEvent<V>>,
}

impl<V> BatchStarkWitness<V, Ext<V>>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
    Ext<V>: CircuitField<PrimeSubfield = V>,
{
    /// Fills every private input of [`verify_circuit`](super::verify_circuit)'s circuit from a native proof,
    /// checking every length against the shape first.
    pub fn from_proof<P>(
        shape: &BatchStarkShape<V, Ext<V>>,
        perm: &P,
        proof: &NativeProof<V, P>,
        public_values: &[Vec<V>],
    ) -> Result<Self, WitnessError>
    where
        P: CryptographicPermutation<[V; 16]>
            + CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>
            + Clone,
    {
        check_instances(shape, proof, public_values)?;
        let pcs_shape = shape.pcs_shape();
        check_commitments(shape, &pcs_shape, proof)?;
        let mut privates = proof_privates(shape, &pcs_shape, proof)?;

        // The native transcript up to the PCS, then p3's own FRI verifier.
        let mut challenger =
            RecordingChallenger::new(DuplexChallenger::<V, P, 16, 8>::new(perm.clone()));
        let zeta = replay_transcript(shape, proof, public_values, &mut challenger)?;
        let claims = commitments_with_opening_points(shape, proof, zeta)?;
        let (params, mmcs) = crate::uni_stark::native_pcs(&shape.fri, perm);
        let query = fri::query_witness(
            perm,
            &params,
            &mmcs,
            &claims,
            &proof.opening_proof,
            &mut challenger,
        )
        .map_err(WitnessError::Native)?;
        privates.extend(query.privates.iter().copied());
        Ok(BatchStarkWitness {
            public_values: public_values.iter().flatten().copied().collect(),
            privates,
            query,
            transcript: challenger.events,
        })
    }

    /// Gives the runner the private inputs and every Merkle sibling (the caller sets the
    /// public inputs: the public values, or what they derive from).
    pub fn fill(
        &self,
        verifier: &BatchStarkVerifier,
        runner: &mut Runner<'_, Ext<V>>,
    ) -> Result<(), crate::fill::FillError<Ext<V>>> {
        use crate::fill::FillError;
        verifier
            .paths
            .set_witness(runner, &self.query)
            .map_err(FillError::Paths)?;
        runner
            .set_private_group(&verifier.privates, &self.privates)
            .map_err(FillError::Inputs)
    }
}

/// Shape checks, per instance (p3's `verify_batch` does them before any transcript work):
/// degree bits, public values and every opened row against the shape; no ZK.
fn check_instances<V, P>(
    shape: &BatchStarkShape<V, Ext<V>>,
    proof: &NativeProof<V, P>,
    public_values: &[Vec<V>],
) -> Result<(), WitnessError>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
    P: CryptographicPermutation<[V; 16]>
        + CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>
        + Clone,
{
    let n = shape.instances.len();
    let ov = &proof.opened_values.instances;
    check_len("AIRs", n, ov.len())?;
    check_len("degree bits", n, proof.degree_bits.len())?;
    check_len("lookup terminals", n, proof.lookup_terminals.len())?;
    check_len("AIRs with public values", n, public_values.len())?;
    for (i, inst) in shape.instances.iter().enumerate() {
        check_len(
            "degree bits of an AIR",
            inst.log_degree,
            proof.degree_bits[i],
        )?;
        check_len(
            "public values of an AIR",
            inst.constraints.layout.num_public_values,
            public_values[i].len(),
        )?;
        check_opened_values(inst, &ov[i], proof.lookup_terminals[i].is_some())?;
    }
    Ok(())
}

/// Shape checks of one AIR's opened values: every row as wide as the AIR, the next rows
/// present exactly when the AIR reads them, a terminal exactly when it has lookups; no ZK.
fn check_opened_values<V>(
    inst: &InstanceShape<V, Ext<V>>,
    o: &OpenedValuesWithLookups<Ext<V>>,
    has_terminal: bool,
) -> Result<(), WitnessError>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
{
    let dim = D;
    let c = &inst.constraints;
    let b = &o.base_opened_values;
    check_len(
        "trace columns at ζ",
        c.layout.main_width,
        b.trace_local.len(),
    )?;
    check_len(
        "trace openings at ζ·h",
        c.main_next as usize,
        b.trace_next.is_some() as usize,
    )?;
    if let Some(next) = &b.trace_next {
        check_len("trace columns at ζ·h", c.layout.main_width, next.len())?;
    }
    check_len(
        "quotient chunks",
        1 << inst.log_quotient_chunks,
        b.quotient_chunks.len(),
    )?;
    for chunk in &b.quotient_chunks {
        check_len("coordinates of a quotient chunk", dim, chunk.len())?;
    }
    let prep = c.layout.preprocessed_width;
    match &b.preprocessed {
        None => check_len("preprocessed columns at ζ", prep, 0)?,
        Some(p) => {
            check_len("preprocessed columns at ζ", prep, p.local.len())?;
            let want_next = c.preprocessed_next && prep > 0;
            check_len(
                "preprocessed openings at ζ·h",
                want_next as usize,
                p.next.is_some() as usize,
            )?;
            if let Some(next) = &p.next {
                check_len("preprocessed columns at ζ·h", prep, next.len())?;
            }
        }
    }
    let perm = inst.permutation_width() * dim;
    check_len(
        "permutation coordinates at ζ",
        perm,
        o.permutation_local.len(),
    )?;
    check_len(
        "permutation coordinates at ζ·h",
        perm,
        o.permutation_next.len(),
    )?;
    check_len(
        "lookup terminals of an AIR",
        (inst.lookups() > 0) as usize,
        has_terminal as usize,
    )?;
    if b.random.is_some() {
        return Err(ProofShapeError::Unsupported("zero-knowledge proofs").into());
    }
    Ok(())
}

/// Shape checks, commitments and PoW witnesses: present exactly when the shape has lookups,
/// caps of the shape's root counts, and a zero witness where the shape grinds no bits.
fn check_commitments<V, P>(
    shape: &BatchStarkShape<V, Ext<V>>,
    pcs_shape: &PcsShape,
    proof: &NativeProof<V, P>,
) -> Result<(), WitnessError>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
    P: CryptographicPermutation<[V; 16]>
        + CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>
        + Clone,
{
    let has_lookups = shape.has_lookups();
    let c = &proof.commitments;
    check_len(
        "permutation commitments",
        has_lookups as usize,
        c.permutation.is_some() as usize,
    )?;
    check_len(
        "lookup PoW witnesses",
        has_lookups as usize,
        proof.lookup_pow_witness.is_some() as usize,
    )?;
    if c.random.is_some() {
        return Err(ProofShapeError::Unsupported("zero-knowledge proofs").into());
    }
    let roots = pcs_shape.batch_cap_roots();
    check_len("main cap roots", roots[0], c.main.num_roots())?;
    check_len(
        "quotient cap roots",
        roots[1],
        c.quotient_chunks.num_roots(),
    )?;
    if let Some(cap) = &c.permutation {
        check_len(
            "permutation cap roots",
            roots[roots.len() - 1],
            cap.num_roots(),
        )?;
    }
    if shape.ood_pow_bits == 0 && !proof.ood_pow_witness.is_zero() {
        return Err(ProofShapeError::NonCanonicalPow { phase: "OOD" }.into());
    }
    if shape.lookup_pow_bits == 0 && proof.lookup_pow_witness.is_some_and(|w| !w.is_zero()) {
        return Err(ProofShapeError::NonCanonicalPow { phase: "lookup" }.into());
    }
    Ok(())
}

/// The proof's private inputs in the circuit's allocation order (`allocate_inputs`): the
/// key when it is a private input, the commitments, the PoW witnesses, every AIR's
/// openings, then the PCS proof's values.
fn proof_privates<V, P>(
    shape: &BatchStarkShape<V, Ext<V>>,
    pcs_shape: &PcsShape,
    proof: &NativeProof<V, P>,
) -> Result<Vec<Ext<V>>, WitnessError>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
    Ext<V>: CircuitField<PrimeSubfield = V>,
    P: CryptographicPermutation<[V; 16]>
        + CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>
        + Clone,
{
    let c = &proof.commitments;
    let pack = pcs::cap_values::<Ext<V>>;
    let lift = Ext::<V>::from_prime_subfield;
    let mut privates = match (&shape.preprocessed, shape.key) {
        (Some(p), KeyBinding::PrivateInput) => pack(&p.commitment),
        _ => Vec::new(),
    };
    privates.extend(pack(&c.main));
    if let Some(cap) = &c.permutation {
        privates.extend(pack(cap));
    }
    privates.extend(pack(&c.quotient_chunks));
    if let Some(w) = proof.lookup_pow_witness {
        privates.push(lift(w));
    }
    privates.push(lift(proof.ood_pow_witness));
    let ov = &proof.opened_values.instances;
    for ((inst, o), terminal) in shape.instances.iter().zip(ov).zip(&proof.lookup_terminals) {
        let lengths = inst.input_lengths(D);
        let values = opened_values(o, terminal.as_ref().map(|t| t.0));
        privates.extend(InstanceInputs::flatten_shaped(&values, &lengths)?);
    }
    privates.extend(pcs::proof_values(pcs_shape, &proof.opening_proof)?);
    Ok(privates)
}

/// One AIR's opened values as the values of its [`InstanceInputs`]: an AIR without a
/// preprocessed trace opens an empty one.
fn opened_values<F: p3_field::Field>(
    opened: &OpenedValuesWithLookups<F>,
    terminal: Option<F>,
) -> InstanceInputsValues<F> {
    let base = &opened.base_opened_values;
    let preprocessed = base.preprocessed.as_ref();
    InstanceInputsValues {
        trace_local: base.trace_local.clone(),
        trace_next: base.trace_next.clone(),
        preprocessed_local: preprocessed.map(|p| p.local.clone()).unwrap_or_default(),
        preprocessed_next: preprocessed.and_then(|p| p.next.clone()),
        quotient_chunks: base.quotient_chunks.clone(),
        permutation_local: opened.permutation_local.clone(),
        permutation_next: opened.permutation_next.clone(),
        terminal,
    }
}

/// The native transcript in p3's phases (seed, instance bindings, main, preprocessed,
/// lookup, permutation, quotient, OOD), checking both PoW witnesses; returns `ζ`.
fn replay_transcript<V, P>(
    shape: &BatchStarkShape<V, Ext<V>>,
    proof: &NativeProof<V, P>,
    public_values: &[Vec<V>],
    challenger: &mut RecordingChallenger<DuplexChallenger<V, P, 16, 8>, V>,
) -> Result<Ext<V>, WitnessError>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
    Ext<V>: CircuitField<PrimeSubfield = V>,
    P: CryptographicPermutation<[V; 16]>
        + CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>
        + Clone,
{
    let c = &proof.commitments;
    for &v in &shape.seed {
        challenger.observe(v);
    }
    for inst in &shape.instances {
        challenger.observe_algebra_element(Ext::<V>::from_prime_subfield(V::from_usize(
            inst.log_degree,
        )));
    }
    challenger.observe(c.main.clone());
    for values in public_values {
        challenger.observe_slice(values);
    }
    if let Some(p) = &shape.preprocessed {
        challenger.observe(p.commitment.clone());
    }
    if let Some(w) = proof.lookup_pow_witness {
        if shape.lookup_pow_bits > 0 && !challenger.check_witness(shape.lookup_pow_bits, w) {
            return Err(WitnessError::Pow {
                phase: "lookup",
                bits: shape.lookup_pow_bits,
            });
        }
        let _: Ext<V> = challenger.sample_algebra_element();
        let _: Ext<V> = challenger.sample_algebra_element();
    }
    if let Some(cap) = &c.permutation {
        challenger.observe(cap.clone());
    }
    for t in proof.lookup_terminals.iter().flatten() {
        challenger.observe_algebra_element(t.0);
    }
    let _alpha: Ext<V> = challenger.sample_algebra_element();
    challenger.observe(c.quotient_chunks.clone());
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

/// The PCS statement (p3's `commitments_with_opening_points`): per round (main, quotient
/// chunks, preprocessed, permutation) its commitment and per matrix its domain, points and
/// opened values.
fn commitments_with_opening_points<V, P>(
    shape: &BatchStarkShape<V, Ext<V>>,
    proof: &NativeProof<V, P>,
    zeta: Ext<V>,
) -> Result<native::Claims<V, Ext<V>>, WitnessError>
where
    V: PrimeField64 + TwoAdicField + BinomiallyExtendable<D>,
    P: CryptographicPermutation<[V; 16]>
        + CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>
        + Clone,
{
    let c = &proof.commitments;
    let ov = &proof.opened_values.instances;
    let domain = |bits: usize| {
        TwoAdicMultiplicativeCoset::<V>::new(V::ONE, bits)
            .ok_or(ProofShapeError::InvalidShape("a trace is too tall"))
    };
    let mut main = Vec::new();
    let mut quotient = Vec::new();
    let mut permutation = Vec::new();
    for (inst, o) in shape.instances.iter().zip(ov) {
        let d = domain(inst.log_degree)?;
        let zeta_next = zeta * V::two_adic_generator(inst.log_degree);
        let b = &o.base_opened_values;
        let mut points = vec![(zeta, b.trace_local.clone())];
        if let Some(next) = &b.trace_next {
            points.push((zeta_next, next.clone()));
        }
        main.push((d, points));
        for chunk in &b.quotient_chunks {
            quotient.push((d, vec![(zeta, chunk.clone())]));
        }
        if inst.lookups() > 0 {
            permutation.push((
                d,
                vec![
                    (zeta, o.permutation_local.clone()),
                    (zeta_next, o.permutation_next.clone()),
                ],
            ));
        }
    }
    let mut claims: native::Claims<V, Ext<V>> = vec![
        CommitmentOpening::from((c.main.clone(), main)),
        CommitmentOpening::from((c.quotient_chunks.clone(), quotient)),
    ];
    if let Some(p) = &shape.preprocessed {
        let mut rows = Vec::new();
        for &i in &p.matrix_to_instance {
            let inst = &shape.instances[i];
            let prep =
                ov[i]
                    .base_opened_values
                    .preprocessed
                    .as_ref()
                    .ok_or(ProofShapeError::Length {
                        what: "preprocessed openings",
                        expected: 1,
                        got: 0,
                    })?;
            let mut points = vec![(zeta, prep.local.clone())];
            if let Some(next) = &prep.next {
                points.push((zeta * V::two_adic_generator(inst.log_degree), next.clone()));
            }
            rows.push((domain(inst.log_degree)?, points));
        }
        claims.push(CommitmentOpening::from((p.commitment.clone(), rows)));
    }
    if let Some(cap) = &c.permutation {
        claims.push(CommitmentOpening::from((cap.clone(), permutation)));
    }
    Ok(claims)
}
