//! A native p3-uni-stark proof as the verifier circuit's input values: shape checks,
//! the replayed transcript and the private inputs in allocation order.

use fixpoint_circuit::{CircuitField, Runner};
use fixpoint_circuit_prover::D;
use p3_challenger::{CanObserve, DuplexChallenger, FieldChallenger, GrindingChallenger};
use p3_commit::CommitmentOpening;
use p3_field::coset::TwoAdicMultiplicativeCoset;
use p3_field::extension::BinomiallyExtendable;
use p3_field::{
    BasedVectorSpace, ExtensionField, PrimeCharacteristicRing, PrimeField64, TwoAdicField,
};
use p3_symmetric::{CryptographicPermutation, PaddingFreeSponge, TruncatedPermutation};
use thiserror::Error;

use crate::fri::{self, QueryWitness, native};
use crate::pcs::{self, ProofShapeError, check_len};
use crate::transcript::RecordingChallenger;

use super::handles::UniStarkVerifier;
use super::shape::{Ext, UniStarkShape};

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
    /// Fills every input of [`verify_circuit`](super::verify_circuit)'s circuit from a native proof, checking
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
            perm,
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
