//! The transcript of p3-fri 0.8's `TwoAdicFriPcs::verify` as a circuit: everything the
//! verifier absorbs and samples, in order.
//!
//! 1. the `p3-fri-pcs` domain-separator seed (constants, computed natively from the shape);
//! 2. every claimed evaluation, in commitment, matrix, point and column order;
//! 3. the batch PoW and the batching challenge `alpha`;
//! 4. the `p3-fri` seed, then per commit round: the commitment's cap, the round's PoW and
//!    the folding challenge `beta`;
//! 5. the final polynomial's coefficients, the query PoW and the query indices (each the
//!    low `H` bits of one canonical sample, `H` the log of the tallest LDE height).
//!
//! The circuit is a function of the [`PcsShape`] alone. [`PcsInputs::allocate`] makes the
//! proof's values circuit inputs; [`inputs`] takes them from a native proof after checking
//! every length against the shape.
//!
//! **Inputs.** The statement is public: the committed batches' caps, the opening points and
//! the claimed values. Everything else in the proof is a private input (the Witness table
//! only): the PoW witnesses, the commit-phase caps, the final polynomial, and (in
//! [`crate::fri`]) the opened rows and siblings. Public inputs cost a Public-table lane and
//! LogUp columns each, private ones a Witness slot. Inside a STARK verifier the commitments
//! and points come from the transcript itself.

use fixpoint_circuit::{CircuitBuilder, CircuitField, Target};
use fixpoint_circuit_prover::merkle::{self, Digest};
use fixpoint_circuit_prover::{FriSettings, poseidon2};
use p3_commit::Mmcs;
use p3_field::{ExtensionField, PrimeCharacteristicRing, PrimeField64, TwoAdicField};
use p3_fri::{FriProof, FriShape, fold_schedule};
use p3_symmetric::MerkleCap;
use thiserror::Error;

use crate::challenger::{ChallengerError, CircuitChallenger};
use crate::seeds::SeedCollector;

/// One committed matrix: its trace domain, its width and how many points it is opened at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatrixClaim {
    /// log2 of the matrix's domain size (its LDE has `log_blowup` more).
    pub log_height: usize,
    /// Columns.
    pub width: usize,
    /// Opening points.
    pub points: usize,
}

/// Everything the circuit depends on: parameters and dimensions, never proof values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PcsShape {
    /// The FRI parameters.
    pub fri: FriSettings,
    /// The committed batches, each a list of matrices, in round order.
    pub commitments: Vec<Vec<MatrixClaim>>,
}

/// A shape the verifier cannot check, or a proof that does not have the shape.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ProofShapeError {
    /// The shape is one p3 refuses (no commitment, no queries, zero blowup or arity, a
    /// matrix without rows, or an LDE taller than the field's two-adicity).
    #[error("the shape cannot be verified: {0}")]
    InvalidShape(&'static str),
    /// A length in the proof or the claims differs from the shape.
    #[error("{what}: expected {expected}, got {got}")]
    Length {
        /// Which list.
        what: &'static str,
        /// The shape's length.
        expected: usize,
        /// The proof's.
        got: usize,
    },
    /// A parameter this verifier does not support yet.
    #[error("not supported yet: {0}")]
    Unsupported(&'static str),
    /// A PoW witness is nonzero where its phase grinds 0 bits.
    #[error("the {phase} PoW witness must be 0 at 0 bits")]
    NonCanonicalPow {
        /// batch, commit or query.
        phase: &'static str,
    },
    /// The Merkle gadget refused a batch's shape.
    #[error(transparent)]
    Merkle(#[from] fixpoint_circuit_prover::merkle::MerkleError),
    /// The challenger refused a request (a PoW of too many bits).
    #[error(transparent)]
    Challenger(#[from] ChallengerError),
}

impl PcsShape {
    /// Checks what p3's verifier checks about the shape before anything else.
    pub fn validate<F: TwoAdicField>(&self) -> Result<(), ProofShapeError> {
        let invalid = |reason| Err(ProofShapeError::InvalidShape(reason));
        if self.commitments.iter().all(|c| c.is_empty()) {
            return invalid("nothing is committed");
        }
        if self.fri.num_queries == 0 || self.fri.log_blowup == 0 || self.fri.max_log_arity == 0 {
            return invalid("zero queries, blowup or arity");
        }
        if self.commitments.iter().flatten().any(|m| m.points == 0) {
            return invalid("a matrix opened at no point");
        }
        if self.log_max_height() > F::TWO_ADICITY {
            return invalid("an LDE taller than the field's two-adicity");
        }
        if self.log_max_height() <= self.fri.log_blowup + self.fri.log_final_poly_len {
            return invalid("the tallest LDE is not above the final height");
        }
        // Folding stops at the final height, so a shorter input would never be folded in
        // (p3's prover refuses it; its verifier rejects every proof of it).
        let final_len = self.fri.log_final_poly_len;
        if final_len > 0
            && self
                .commitments
                .iter()
                .flatten()
                .any(|m| m.log_height <= final_len)
        {
            return invalid("a matrix no taller than the final polynomial");
        }
        Ok(())
    }

    /// The LDE heights (log2), tallest first, without repeats.
    pub fn input_log_heights(&self) -> Vec<usize> {
        let mut heights: Vec<usize> = self
            .commitments
            .iter()
            .flatten()
            .map(|m| m.log_height + self.fri.log_blowup)
            .collect();
        heights.sort_unstable_by(|a, b| b.cmp(a));
        heights.dedup();
        heights
    }

    /// `H`: log2 of the tallest LDE, and the bits of a query index.
    pub fn log_max_height(&self) -> usize {
        self.input_log_heights().first().copied().unwrap_or(0)
    }

    /// The log-arity of each commit round (p3's `fold_schedule`).
    pub fn log_arities(&self) -> Vec<usize> {
        fold_schedule(
            &self.input_log_heights(),
            self.fri.log_blowup + self.fri.log_final_poly_len,
            self.fri.max_log_arity,
        )
    }

    /// Roots in the cap of a tree over `2^log_rows` rows.
    fn cap_roots(&self, log_rows: usize) -> usize {
        1 << self.fri.cap_height.min(log_rows)
    }

    /// Roots in each committed batch's cap.
    pub fn batch_cap_roots(&self) -> Vec<usize> {
        self.commitments
            .iter()
            .map(|batch| {
                let log_rows = batch
                    .iter()
                    .map(|m| m.log_height + self.fri.log_blowup)
                    .max()
                    .unwrap_or(0);
                self.cap_roots(log_rows)
            })
            .collect()
    }

    /// Roots in each commit round's cap: round `r` commits `2^(log_h − a_r)` rows.
    pub fn round_cap_roots(&self) -> Vec<usize> {
        let mut log_height = self.log_max_height();
        self.log_arities()
            .iter()
            .map(|&log_arity| {
                log_height -= log_arity;
                self.cap_roots(log_height)
            })
            .collect()
    }

    /// The claimed-evaluation counts as p3 nests them (commitment, matrix, point).
    fn claimed_counts(&self) -> Vec<Vec<Vec<usize>>> {
        self.commitments
            .iter()
            .map(|batch| batch.iter().map(|m| vec![m.width; m.points]).collect())
            .collect()
    }

    /// The `p3-fri-pcs` seed, as base-field elements.
    pub fn pcs_seed<F: PrimeField64, EF: ExtensionField<F>>(&self) -> Vec<F> {
        let shape = p3_fri::PcsShape {
            claimed_evaluation_counts: self.claimed_counts(),
            batch_pow_bits: self.fri.batch_pow_bits,
        };
        let mut seed = SeedCollector(Vec::new());
        shape.domain_separator::<F, EF>().seed(&mut seed);
        seed.0
    }

    /// The `p3-fri` seed, as base-field elements.
    pub fn fri_seed<F: PrimeField64, EF: ExtensionField<F>>(&self) -> Vec<F> {
        let shape = FriShape::with_schedule(
            &self.fri.fri_parameters(()),
            self.log_arities(),
            self.log_max_height(),
        );
        let mut seed = SeedCollector(Vec::new());
        shape.domain_separator::<F, EF>().seed(&mut seed);
        seed.0
    }
}

/// The proof's values as circuit targets.
#[derive(Clone, Debug)]
pub struct PcsInputs {
    /// Per committed batch, its cap's roots.
    pub commitments: Vec<Vec<Digest>>,
    /// Per batch, matrix and point: the point `z`.
    pub points: Vec<Vec<Vec<Target>>>,
    /// Per batch, matrix and point: the claimed column values at `z`.
    pub values: Vec<Vec<Vec<Vec<Target>>>>,
    /// The batch PoW witness.
    pub batch_pow: Target,
    /// Per commit round, its cap's roots.
    pub commit_phase: Vec<Vec<Digest>>,
    /// Per commit round, its PoW witness.
    pub commit_pows: Vec<Target>,
    /// The final polynomial's coefficients, constant term first.
    pub final_poly: Vec<Target>,
    /// The query PoW witness.
    pub query_pow: Target,
}

impl PcsInputs {
    /// Allocates the inputs. The **statement** is public: the batches' caps, the opening
    /// points and the claimed values, in that order. The rest of the proof is **private**
    /// (Witness table only): the batch PoW witness, the commit-phase caps and PoW witnesses,
    /// the final polynomial and the query PoW witness, in that order.
    pub fn allocate<F: CircuitField>(builder: &mut CircuitBuilder<F>, shape: &PcsShape) -> Self {
        let commitments = shape
            .batch_cap_roots()
            .iter()
            .map(|&roots| (0..roots).map(|_| merkle::public_digest(builder)).collect())
            .collect();
        let points = shape
            .commitments
            .iter()
            .map(|batch| {
                batch
                    .iter()
                    .map(|m| builder.public_inputs(m.points))
                    .collect()
            })
            .collect();
        let values = shape
            .commitments
            .iter()
            .map(|batch| {
                batch
                    .iter()
                    .map(|m| {
                        (0..m.points)
                            .map(|_| builder.public_inputs(m.width))
                            .collect()
                    })
                    .collect()
            })
            .collect();
        Self::with_statement(builder, shape, commitments, points, values)
    }

    /// The inputs for a statement the caller already has as targets (inside a STARK
    /// verifier the caps and points come from the transcript), with the rest of the proof
    /// allocated as private inputs in [`PcsInputs::allocate`]'s order; fill them with
    /// [`proof_values`]. [`verify_transcript`] checks every length against the shape.
    pub fn with_statement<F: CircuitField>(
        builder: &mut CircuitBuilder<F>,
        shape: &PcsShape,
        commitments: Vec<Vec<Digest>>,
        points: Vec<Vec<Vec<Target>>>,
        values: Vec<Vec<Vec<Vec<Target>>>>,
    ) -> Self {
        let batch_pow = builder.private_input();
        let round_roots = shape.round_cap_roots();
        let commit_phase = round_roots
            .iter()
            .map(|&roots| {
                (0..roots)
                    .map(|_| [builder.private_input(), builder.private_input()])
                    .collect()
            })
            .collect();
        let commit_pows = builder.private_inputs(round_roots.len());
        let final_poly = builder.private_inputs(1 << shape.fri.log_final_poly_len);
        let query_pow = builder.private_input();
        PcsInputs {
            commitments,
            points,
            values,
            batch_pow,
            commit_phase,
            commit_pows,
            final_poly,
            query_pow,
        }
    }
}

/// A cap of `roots` roots as private inputs (two packed slots per root).
pub fn private_cap<F: CircuitField>(builder: &mut CircuitBuilder<F>, roots: usize) -> Vec<Digest> {
    (0..roots)
        .map(|_| [builder.private_input(), builder.private_input()])
        .collect()
}

/// A cap pinned as constants: part of a verifying key, never an input.
pub fn constant_cap<F: CircuitField>(
    builder: &mut CircuitBuilder<F>,
    cap: &MerkleCap<F::PrimeSubfield, [F::PrimeSubfield; 8]>,
) -> Vec<Digest> {
    cap.roots()
        .iter()
        .map(|root| {
            let packed = poseidon2::pack_values::<F>(root);
            [
                builder.define_const(packed[0]),
                builder.define_const(packed[1]),
            ]
        })
        .collect()
}

/// A native cap's values in [`private_cap`]'s order.
pub fn cap_values<F: CircuitField>(
    cap: &MerkleCap<F::PrimeSubfield, [F::PrimeSubfield; 8]>,
) -> Vec<F> {
    cap.roots()
        .iter()
        .flat_map(|r| poseidon2::pack_values::<F>(r))
        .collect()
}

/// `Ok` if `got == expected`, else a [`ProofShapeError::Length`] naming `what`.
pub(crate) fn check_len(
    what: &'static str,
    expected: usize,
    got: usize,
) -> Result<(), ProofShapeError> {
    if expected == got {
        Ok(())
    } else {
        Err(ProofShapeError::Length {
            what,
            expected,
            got,
        })
    }
}

impl PcsInputs {
    /// Checks every length against the shape (targets built by hand may not match it).
    pub fn check(&self, shape: &PcsShape) -> Result<(), ProofShapeError> {
        check_len(
            "committed batches",
            shape.commitments.len(),
            self.commitments.len(),
        )?;
        check_len(
            "batches of points",
            shape.commitments.len(),
            self.points.len(),
        )?;
        check_len(
            "batches of values",
            shape.commitments.len(),
            self.values.len(),
        )?;
        for ((batch, points), values) in
            shape.commitments.iter().zip(&self.points).zip(&self.values)
        {
            check_len("matrices of points", batch.len(), points.len())?;
            check_len("matrices of values", batch.len(), values.len())?;
            for ((m, points), values) in batch.iter().zip(points).zip(values) {
                check_len("opening points of a matrix", m.points, points.len())?;
                check_len("opening points of a matrix", m.points, values.len())?;
                for values in values {
                    check_len("claimed values at a point", m.width, values.len())?;
                }
            }
        }
        for (cap, roots) in self.commitments.iter().zip(shape.batch_cap_roots()) {
            check_len("cap roots of a batch", roots, cap.len())?;
        }
        let round_roots = shape.round_cap_roots();
        check_len("commit rounds", round_roots.len(), self.commit_phase.len())?;
        check_len(
            "commit PoW witnesses",
            round_roots.len(),
            self.commit_pows.len(),
        )?;
        for (cap, &roots) in self.commit_phase.iter().zip(&round_roots) {
            check_len("cap roots of a commit round", roots, cap.len())?;
        }
        check_len(
            "final polynomial coefficients",
            1 << shape.fri.log_final_poly_len,
            self.final_poly.len(),
        )
    }
}

/// The circuit's input values from a native proof: the public statement and the private
/// rest, each in allocation order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputValues<EF> {
    /// For [`Runner::set_public_inputs`](fixpoint_circuit::Runner::set_public_inputs).
    pub publics: Vec<EF>,
    /// For [`Runner::set_private_inputs`](fixpoint_circuit::Runner::set_private_inputs).
    pub privates: Vec<EF>,
}

/// The challenges the transcript yields.
#[derive(Clone, Debug)]
pub struct PcsChallenges {
    /// The batching challenge.
    pub alpha: Target,
    /// One folding challenge per commit round.
    pub betas: Vec<Target>,
    /// Per query, the index's `H` bits, least significant first.
    pub query_indices: Vec<Vec<Target>>,
}

/// Emits the verifier's transcript for `shape` on `challenger`, which must be where the
/// native verifier's challenger is when it calls `TwoAdicFriPcs::verify`.
pub fn verify_transcript<V, F>(
    builder: &mut CircuitBuilder<F>,
    challenger: &mut CircuitChallenger<F>,
    shape: &PcsShape,
    inputs: &PcsInputs,
) -> Result<PcsChallenges, ProofShapeError>
where
    V: PrimeField64 + TwoAdicField,
    F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
{
    shape.validate::<V>()?;
    inputs.check(shape)?;
    builder.push_scope("pcs");
    let result = (|| {
        crate::seeds::observe(builder, challenger, &shape.pcs_seed::<V, F>());
        builder.scope("claims", |b| {
            for value in inputs.values.iter().flatten().flatten().flatten() {
                challenger.observe_ext(b, *value);
            }
        });
        let alpha = builder.scope("alpha", |b| {
            challenger.check_witness(b, shape.fri.batch_pow_bits, inputs.batch_pow)?;
            Ok::<_, ProofShapeError>(challenger.sample_ext(b))
        })?;
        builder.push_scope("fri");
        let fri = (|| {
            crate::seeds::observe(builder, challenger, &shape.fri_seed::<V, F>());
            let mut betas = Vec::new();
            for (round, (cap, &pow)) in inputs
                .commit_phase
                .iter()
                .zip(&inputs.commit_pows)
                .enumerate()
            {
                builder.push_scope(&format!("round{round}"));
                challenger.observe_cap(builder, cap);
                let beta = challenger
                    .check_witness(builder, shape.fri.commit_pow_bits, pow)
                    .map(|()| challenger.sample_ext(builder));
                builder.pop_scope();
                betas.push(beta?);
            }
            let query_indices = builder.scope("queries", |b| {
                for &coeff in &inputs.final_poly {
                    challenger.observe_ext(b, coeff);
                }
                challenger.check_witness(b, shape.fri.query_pow_bits, inputs.query_pow)?;
                (0..shape.fri.num_queries)
                    .map(|_| {
                        b.scope("index bits", |b| {
                            challenger.sample_bits(b, shape.log_max_height())
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })?;
            Ok::<_, ProofShapeError>((betas, query_indices))
        })();
        builder.pop_scope();
        let (betas, query_indices) = fri?;
        Ok(PcsChallenges {
            alpha,
            betas,
            query_indices,
        })
    })();
    builder.pop_scope();
    result
}

/// The circuit's inputs (in [`PcsInputs::allocate`] order) from a native proof and its
/// claims, after checking every length against the shape.
///
/// `claims` holds, per committed batch, its cap and per matrix the `(point, values)` pairs,
/// as given to `TwoAdicFriPcs::verify`.
#[allow(clippy::type_complexity)]
pub fn inputs<F, EF, M, InputProof>(
    shape: &PcsShape,
    claims: &[(MerkleCap<F, [F; 8]>, Vec<Vec<(EF, Vec<EF>)>>)],
    proof: &FriProof<EF, M, F, InputProof>,
) -> Result<InputValues<EF>, ProofShapeError>
where
    F: PrimeField64 + TwoAdicField,
    EF: ExtensionField<F> + CircuitField<PrimeSubfield = F>,
    M: Mmcs<EF, Commitment = MerkleCap<F, [F; 8]>>,
{
    shape.validate::<F>()?;
    let check = check_len;
    check("committed batches", shape.commitments.len(), claims.len())?;
    for ((batch, (cap, matrices)), roots) in shape
        .commitments
        .iter()
        .zip(claims)
        .zip(shape.batch_cap_roots())
    {
        check("cap roots of a batch", roots, cap.num_roots())?;
        check("matrices in a batch", batch.len(), matrices.len())?;
        for (m, points) in batch.iter().zip(matrices) {
            check("opening points of a matrix", m.points, points.len())?;
            for (_, values) in points {
                check("claimed values at a point", m.width, values.len())?;
            }
        }
    }
    let privates = proof_values(shape, proof)?;

    let digests = |cap: &MerkleCap<F, [F; 8]>| -> Vec<EF> {
        cap.roots()
            .iter()
            .flat_map(|r| poseidon2::pack_values::<EF>(r))
            .collect()
    };
    let mut publics = Vec::new();
    for (cap, _) in claims {
        publics.extend(digests(cap));
    }
    for (_, matrices) in claims {
        publics.extend(matrices.iter().flatten().map(|(z, _)| *z));
    }
    for (_, matrices) in claims {
        publics.extend(
            matrices
                .iter()
                .flatten()
                .flat_map(|(_, values)| values.iter().copied()),
        );
    }
    Ok(InputValues { publics, privates })
}

/// The private inputs [`PcsInputs::with_statement`] allocates (the PoW witnesses, the
/// commit-phase caps and the final polynomial), in its order, from a native proof, after
/// checking every length and every 0-bit PoW witness against the shape.
pub fn proof_values<F, EF, M, InputProof>(
    shape: &PcsShape,
    proof: &FriProof<EF, M, F, InputProof>,
) -> Result<Vec<EF>, ProofShapeError>
where
    F: PrimeField64 + TwoAdicField,
    EF: ExtensionField<F> + CircuitField<PrimeSubfield = F>,
    M: Mmcs<EF, Commitment = MerkleCap<F, [F; 8]>>,
{
    shape.validate::<F>()?;
    let check = check_len;
    let round_roots = shape.round_cap_roots();
    check(
        "commit rounds",
        round_roots.len(),
        proof.commit_phase_commits.len(),
    )?;
    check(
        "commit PoW witnesses",
        round_roots.len(),
        proof.commit_pow_witnesses.len(),
    )?;
    for (cap, &roots) in proof.commit_phase_commits.iter().zip(&round_roots) {
        check("cap roots of a commit round", roots, cap.num_roots())?;
    }
    check(
        "final polynomial coefficients",
        1 << shape.fri.log_final_poly_len,
        proof.final_poly.len(),
    )?;
    let pow_phases = [
        (
            "batch",
            shape.fri.batch_pow_bits,
            std::slice::from_ref(&proof.batch_pow_witness),
        ),
        (
            "commit",
            shape.fri.commit_pow_bits,
            &proof.commit_pow_witnesses[..],
        ),
        (
            "query",
            shape.fri.query_pow_bits,
            std::slice::from_ref(&proof.query_pow_witness),
        ),
    ];
    for (phase, bits, witnesses) in pow_phases {
        if bits == 0 && witnesses.iter().any(|w| !w.is_zero()) {
            return Err(ProofShapeError::NonCanonicalPow { phase });
        }
    }

    let digests = |cap: &MerkleCap<F, [F; 8]>| -> Vec<EF> {
        cap.roots()
            .iter()
            .flat_map(|r| poseidon2::pack_values::<EF>(r))
            .collect()
    };
    let mut privates = vec![EF::from(proof.batch_pow_witness)];
    for cap in &proof.commit_phase_commits {
        privates.extend(digests(cap));
    }
    privates.extend(proof.commit_pow_witnesses.iter().map(|&w| EF::from(w)));
    privates.extend(proof.final_poly.iter().copied());
    privates.push(EF::from(proof.query_pow_witness));
    Ok(privates)
}
