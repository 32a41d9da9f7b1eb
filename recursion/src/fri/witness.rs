//! The query phase's inputs from a native proof: p3's own verifier replayed, and every
//! pruned multiproof expanded into per-query paths.

use fixpoint_circuit_prover::merkle::shared::{
    self, SharedWitnessError, SubtreeAssignment, TopOpening,
};
use p3_field::{ExtensionField, PrimeField64, TwoAdicField};
use p3_merkle_tree::MerkleTreeError;
use thiserror::Error;

/// What the query phase needs from a native proof: the private inputs of [`QueryInputs`](super::QueryInputs),
/// and the Merkle siblings of every path (p3's pruned multiproofs expanded per query).
#[derive(Clone, Debug)]
pub struct QueryWitness<V, EF> {
    /// The query indices the transcript draws (for diagnostics and tests).
    pub indices: Vec<usize>,
    /// [`QueryInputs`](super::QueryInputs)'s private inputs, in allocation order (after [`PcsInputs`](crate::pcs::PcsInputs)'s).
    pub privates: Vec<EF>,
    /// Per query and batch: the input path's siblings, bottom first.
    pub input_siblings: Vec<Vec<Vec<[V; 8]>>>,
    /// Per round and query: the commit-phase path's siblings, bottom first.
    pub round_siblings: Vec<Vec<Vec<[V; 8]>>>,
    /// Per tree (input batches, then commit rounds): its shared top's rows, for a tree
    /// whose queries read their nodes there ([`shared`]). Their private inputs
    /// end [`privates`](Self::privates).
    pub subtrees: Vec<Option<SubtreeAssignment<V>>>,
}

/// p3 0.8's FRI types over fixpoint's Merkle tree (`ValMmcs` of the prover's config).
pub mod native {
    use p3_commit::ExtensionMmcs;
    use p3_field::coset::TwoAdicMultiplicativeCoset;
    use p3_fri::{BatchMultiOpening, FriParameters, FriProof};
    use p3_symmetric::MerkleCap;

    /// The input MMCS: Poseidon2 Merkle trees over the base field.
    pub type ValMmcs<V, P> = fixpoint_circuit_prover::config::ValMmcs<V, P>;
    /// The commit-phase MMCS: extension rows flattened into `ValMmcs`.
    pub type ChallengeMmcs<V, EF, P> = ExtensionMmcs<V, EF, ValMmcs<V, P>>;
    /// FRI parameters with that MMCS.
    pub type Params<V, EF, P> = FriParameters<ChallengeMmcs<V, EF, P>>;
    /// A `TwoAdicFriPcs` proof.
    pub type Proof<V, EF, P> =
        FriProof<EF, ChallengeMmcs<V, EF, P>, V, Vec<BatchMultiOpening<V, ValMmcs<V, P>>>>;
    /// The claims `TwoAdicFriPcs::verify` takes.
    pub type Claims<V, EF> =
        Vec<p3_commit::CommitmentOpening<EF, MerkleCap<V, [V; 8]>, TwoAdicMultiplicativeCoset<V>>>;
}

/// Replays the native verifier (p3's own transcript, `open_inputs` and `fold_query`) from
/// `challenger`, the verifier's challenger when it calls `TwoAdicFriPcs::verify`, and
/// expands every pruned multiproof into per-query paths
/// (`MerkleTreeMmcs::restore_and_recompute_paths`); `perm` is the trees' permutation, for
/// the nodes of their shared tops. Fails with p3's own error, as the source of a
/// [`NativeFriError`], where p3 rejects.
pub fn query_witness<V, EF, P, C>(
    perm: &P,
    params: &native::Params<V, EF, P>,
    input_mmcs: &native::ValMmcs<V, P>,
    claims: &native::Claims<V, EF>,
    proof: &native::Proof<V, EF, P>,
    challenger: &mut C,
) -> Result<QueryWitness<V, EF>, NativeFriError>
where
    V: PrimeField64 + TwoAdicField,
    EF: ExtensionField<V>,
    P: p3_symmetric::CryptographicPermutation<[V; 16]>
        + p3_symmetric::CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>
        + Clone,
    C: p3_challenger::FieldChallenger<V>
        + p3_challenger::GrindingChallenger<Witness = V>
        + p3_challenger::CanObserve<p3_symmetric::MerkleCap<V, [V; 8]>>,
{
    let (h_max, log_arities) = fold_schedule(params, claims)?;
    let (alpha, betas, indices) =
        replay_transcript(params, claims, proof, challenger, &log_arities, h_max)?;
    let folding = Folding {
        params,
        h_max,
        log_arities: &log_arities,
    };
    let (group_indices, rows_by_round) =
        folding.open_and_fold(input_mmcs, claims, proof, alpha, &betas, &indices)?;
    let input_siblings = folding.input_siblings(input_mmcs, claims, proof, &indices)?;
    let round_siblings =
        folding.round_siblings(input_mmcs, proof, &group_indices, &rows_by_round)?;
    let mut privates = query_privates(claims, proof, indices.len())?;
    let subtrees = folding.subtrees(
        perm,
        claims,
        proof,
        &indices,
        &input_siblings,
        (&group_indices, &rows_by_round, &round_siblings),
    )?;
    for assignment in subtrees.iter().flatten() {
        privates.extend(assignment.privates::<EF>());
    }
    Ok(QueryWitness {
        indices,
        privates,
        input_siblings,
        round_siblings,
        subtrees,
    })
}

/// The run's shape, from the claims and the parameters alone (p3's phase 1): the tallest
/// LDE height and p3's folding schedule over the distinct heights.
fn fold_schedule<V, EF, P>(
    params: &native::Params<V, EF, P>,
    claims: &native::Claims<V, EF>,
) -> Result<(usize, Vec<usize>), NativeFriError>
where
    V: PrimeField64 + TwoAdicField,
    EF: ExtensionField<V>,
{
    let heights: Vec<usize> = claims
        .iter()
        .flat_map(|c| {
            c.matrices
                .iter()
                .map(|m| m.domain.log_size() + params.log_blowup)
        })
        .collect();
    let h_max = heights
        .iter()
        .copied()
        .max()
        .ok_or(NativeFriError::NothingCommitted)?;
    let mut distinct = heights.clone();
    distinct.sort_unstable_by(|a, b| b.cmp(a));
    distinct.dedup();
    let log_arities = p3_fri::fold_schedule(
        &distinct,
        params.log_blowup + params.log_final_poly_len,
        params.max_log_arity,
    );
    Ok((h_max, log_arities))
}

/// The transcript, with p3's own drivers: the claimed openings and the batching PoW (`α`),
/// then FRI's commit rounds (`β`s) and query phase (the indices).
fn replay_transcript<V, EF, P, C>(
    params: &native::Params<V, EF, P>,
    claims: &native::Claims<V, EF>,
    proof: &native::Proof<V, EF, P>,
    challenger: &mut C,
    log_arities: &[usize],
    h_max: usize,
) -> Result<(EF, Vec<EF>, Vec<usize>), NativeFriError>
where
    V: PrimeField64 + TwoAdicField,
    EF: ExtensionField<V>,
    P: p3_symmetric::CryptographicPermutation<[V; 16]>
        + p3_symmetric::CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>,
    C: p3_challenger::FieldChallenger<V>
        + p3_challenger::GrindingChallenger<Witness = V>
        + p3_challenger::CanObserve<p3_symmetric::MerkleCap<V, [V; 8]>>,
{
    use p3_fri::{FriShape, PcsVerifierTranscript, VerifierTranscript};

    let mut transcript = PcsVerifierTranscript::<C, V, EF>::new(
        challenger,
        p3_fri::PcsShape::from_claims(params, claims),
    );
    transcript.claimed_openings(claims)?;
    let alpha = transcript.batch_phase(Some(proof.batch_pow_witness))?;
    let fri = transcript.delegate(|challenger| {
        let mut fri = VerifierTranscript::<C, V, EF>::new(
            challenger,
            FriShape::with_schedule(params, log_arities.to_vec(), h_max),
        );
        let betas = fri.commit_rounds(&proof.commit_phase_commits, &proof.commit_pow_witnesses)?;
        let indices = fri.query_phase(&proof.final_poly, Some(proof.query_pow_witness))?;
        fri.finish();
        Ok::<_, p3_fri::TranscriptFailure>((betas, indices))
    });
    transcript.finish();
    let (betas, indices) = fri?;
    Ok((alpha, betas, indices))
}

/// The query phase's geometry: the parameters, the tallest LDE height and the schedule.
struct Folding<'a, V, EF, P>
where
    V: PrimeField64 + TwoAdicField,
    EF: ExtensionField<V>,
    P: p3_symmetric::CryptographicPermutation<[V; 16]>
        + p3_symmetric::CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>,
{
    params: &'a native::Params<V, EF, P>,
    h_max: usize,
    log_arities: &'a [usize],
}

/// Per round, the group index of every query's folded row.
type GroupIndices = Vec<Vec<usize>>;
/// Per round and query, the folded row p3 reconstructs (one extension value per slot).
type RowsByRound<EF> = Vec<Vec<Vec<Vec<EF>>>>;

impl<V, EF, P> Folding<'_, V, EF, P>
where
    V: PrimeField64 + TwoAdicField,
    EF: ExtensionField<V>,
    P: p3_symmetric::CryptographicPermutation<[V; 16]>
        + p3_symmetric::CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>,
{
    /// p3's `open_inputs` (the reduced openings per query), then `fold_query` per query,
    /// collecting every round's group indices and rows.
    fn open_and_fold(
        &self,
        input_mmcs: &native::ValMmcs<V, P>,
        claims: &native::Claims<V, EF>,
        proof: &native::Proof<V, EF, P>,
        alpha: EF,
        betas: &[EF],
        indices: &[usize],
    ) -> Result<(GroupIndices, RowsByRound<EF>), NativeFriError> {
        use p3_fri::{BatchMultiOpening, TwoAdicFriFolding, verifier};

        let (params, h_max, log_arities) = (self.params, self.h_max, self.log_arities);
        let reduced = verifier::open_inputs(
            params,
            h_max,
            indices,
            &proof.input_openings,
            alpha,
            input_mmcs,
            claims,
        )
        .map_err(NativeFriError::OpenInputs)?;
        let folding = TwoAdicFriFolding::<
            Vec<BatchMultiOpening<V, native::ValMmcs<V, P>>>,
            p3_merkle_tree::MerkleTreeError,
        >(std::marker::PhantomData);
        let mut group_indices = vec![Vec::new(); log_arities.len()];
        let mut rows_by_round = vec![Vec::new(); log_arities.len()];
        for (query, (&index, ro)) in indices.iter().zip(reduced).enumerate() {
            let mut domain_index = index;
            verifier::fold_query(
                &folding,
                query,
                &mut domain_index,
                betas,
                log_arities,
                &proof.commit_phase_openings,
                ro,
                h_max,
                params.log_blowup + params.log_final_poly_len,
                &mut group_indices,
                &mut rows_by_round,
            )
            .map_err(|source| NativeFriError::FoldQuery { query, source })?;
        }
        Ok((group_indices, rows_by_round))
    }

    /// Every tree's shared top ([`super::subtrees`]): the queries' nodes at its top depth,
    /// climbed natively from their opened rows, and the siblings above.
    #[allow(clippy::type_complexity)]
    fn subtrees(
        &self,
        perm: &P,
        claims: &native::Claims<V, EF>,
        proof: &native::Proof<V, EF, P>,
        indices: &[usize],
        input_siblings: &[Vec<Vec<[V; 8]>>],
        (group_indices, rows_by_round, round_siblings): (
            &GroupIndices,
            &RowsByRound<EF>,
            &[Vec<Vec<[V; 8]>>],
        ),
    ) -> Result<Vec<Option<SubtreeAssignment<V>>>, NativeFriError>
    where
        P: Clone,
    {
        let log_blowup = self.params.log_blowup;
        let batch_heights: Vec<Vec<usize>> = claims
            .iter()
            .map(|c| {
                c.matrices
                    .iter()
                    .map(|m| m.domain.log_size() + log_blowup)
                    .collect()
            })
            .collect();
        let mut log_h = self.h_max;
        let round_depths: Vec<usize> = self
            .log_arities
            .iter()
            .map(|&a| {
                log_h -= a;
                log_h
            })
            .collect();
        let single_roots = claims.iter().all(|c| c.commitment.roots().len() == 1)
            && proof
                .commit_phase_commits
                .iter()
                .all(|c| c.roots().len() == 1);
        let tops = super::subtrees::shared_tops(
            indices.len(),
            usize::from(!single_roots),
            batch_heights.iter().map(|h| {
                let (tallest, shortest) = (h.iter().max(), h.iter().min());
                (
                    tallest.copied().unwrap_or(0),
                    shortest.copied().unwrap_or(0),
                )
            }),
            round_depths.iter().copied(),
        );
        let mut subtrees = Vec::with_capacity(tops.len());
        for (tree, top) in tops.into_iter().enumerate() {
            let Some(top) = top else {
                subtrees.push(None);
                continue;
            };
            let mut openings = Vec::with_capacity(indices.len());
            for (q, &index) in indices.iter().enumerate() {
                let (depth, index, siblings, node) = if let Some(heights) = batch_heights.get(tree)
                {
                    let tallest = heights.iter().copied().max().unwrap_or(0);
                    let rows = proof.input_openings[tree]
                        .opened_values
                        .get(q)
                        .ok_or(NativeFriError::MissingRows { query: q })?;
                    let matrices: Vec<(usize, &[V])> = heights
                        .iter()
                        .zip(rows)
                        .map(|(&h, row)| (1 << h, row.as_slice()))
                        .collect();
                    let index = index >> (self.h_max - tallest);
                    let siblings = &input_siblings[q][tree];
                    let node = shared::native_node(perm, &matrices, index, siblings, top);
                    (tallest, index, siblings, node)
                } else {
                    let round = tree - batch_heights.len();
                    let row: Vec<V> = rows_by_round[round][q]
                        .iter()
                        .flatten()
                        .flat_map(|e| e.as_basis_coefficients_slice().to_vec())
                        .collect();
                    let depth = round_depths[round];
                    let index = group_indices[round][q];
                    let siblings = &round_siblings[round][q];
                    let matrices = [(1 << depth, row.as_slice())];
                    let node = shared::native_node(perm, &matrices, index, siblings, top);
                    (depth, index, siblings, node)
                };
                openings.push(TopOpening {
                    position: index >> (depth - top),
                    node,
                    siblings: siblings[depth - top..depth].to_vec(),
                });
            }
            let assignment = SubtreeAssignment::new(perm, top, indices.len(), &openings)
                .map_err(|source| NativeFriError::SharedTop { tree, source })?;
            subtrees.push(Some(assignment));
        }
        Ok(subtrees)
    }

    /// Input paths: every batch's multiproof restored at the query indices (shifted for
    /// shorter batches), then transposed to per query.
    fn input_siblings(
        &self,
        input_mmcs: &native::ValMmcs<V, P>,
        claims: &native::Claims<V, EF>,
        proof: &native::Proof<V, EF, P>,
        indices: &[usize],
    ) -> Result<Vec<Vec<Vec<[V; 8]>>>, NativeFriError> {
        use p3_matrix::Dimensions;

        let mut input_siblings = vec![Vec::new(); indices.len()];
        for (claim, opening) in claims.iter().zip(&proof.input_openings) {
            let dims: Vec<Dimensions> = claim
                .matrices
                .iter()
                .map(|m| Dimensions {
                    width: m.points.first().map_or(0, |p| p.values.len()),
                    height: m.domain.size() << self.params.log_blowup,
                })
                .collect();
            let tallest = dims.iter().map(|d| d.height).max().unwrap_or(1);
            let shift = self.h_max - tallest.trailing_zeros() as usize;
            let reduced: Vec<usize> = indices.iter().map(|&i| i >> shift).collect();
            let paths = input_mmcs
                .restore_and_recompute_paths(
                    &dims,
                    &reduced,
                    &opening.opened_values,
                    &opening.opening_proof,
                )
                .map_err(NativeFriError::InputPaths)?;
            for (per_query, path) in input_siblings.iter_mut().zip(paths) {
                per_query.push(path.siblings);
            }
        }
        Ok(input_siblings)
    }

    /// Commit-phase paths, per round: the folded rows flattened to base, as
    /// `ExtensionMmcs` does, and the round's multiproof restored at the group indices.
    fn round_siblings(
        &self,
        input_mmcs: &native::ValMmcs<V, P>,
        proof: &native::Proof<V, EF, P>,
        group_indices: &GroupIndices,
        rows_by_round: &RowsByRound<EF>,
    ) -> Result<Vec<Vec<Vec<[V; 8]>>>, NativeFriError> {
        use p3_matrix::Dimensions;

        let mut round_siblings = Vec::new();
        let mut log_h = self.h_max;
        for (round, &log_arity) in self.log_arities.iter().enumerate() {
            log_h -= log_arity;
            let dims = [Dimensions {
                width: (1 << log_arity) * EF::DIMENSION,
                height: 1 << log_h,
            }];
            let rows: Vec<Vec<Vec<V>>> = rows_by_round[round]
                .iter()
                .map(|row: &Vec<Vec<EF>>| {
                    row.iter()
                        .map(|evals| {
                            evals
                                .iter()
                                .flat_map(|e| e.as_basis_coefficients_slice().to_vec())
                                .collect()
                        })
                        .collect()
                })
                .collect();
            let paths = input_mmcs
                .restore_and_recompute_paths(
                    &dims,
                    &group_indices[round],
                    &rows,
                    &proof.commit_phase_openings[round].opening_proof,
                )
                .map_err(|source| NativeFriError::RoundPaths { round, source })?;
            round_siblings.push(paths.into_iter().map(|p| p.siblings).collect());
        }
        Ok(round_siblings)
    }
}

/// [`QueryInputs`](super::QueryInputs)'s private inputs in allocation order: per query
/// every batch's opened rows (packed, [`super::packing::pack_batch`]), then per round every
/// query's sibling values.
fn query_privates<V, EF, P>(
    claims: &native::Claims<V, EF>,
    proof: &native::Proof<V, EF, P>,
    num_queries: usize,
) -> Result<Vec<EF>, NativeFriError>
where
    V: PrimeField64 + TwoAdicField,
    EF: ExtensionField<V>,
    P: p3_symmetric::CryptographicPermutation<[V; 16]>
        + p3_symmetric::CryptographicPermutation<[<V as p3_field::Field>::Packing; 16]>,
{
    let mut privates = Vec::new();
    for q in 0..num_queries {
        for (batch, (opening, claim)) in proof.input_openings.iter().zip(claims).enumerate() {
            let rows = opening
                .opened_values
                .get(q)
                .ok_or(NativeFriError::MissingRows { query: q })?;
            let heights: Vec<usize> = claim.matrices.iter().map(|m| m.domain.log_size()).collect();
            if heights.len() != rows.len() {
                return Err(NativeFriError::RowCount {
                    query: q,
                    batch,
                    expected: heights.len(),
                    got: rows.len(),
                });
            }
            privates.extend(super::packing::pack_batch::<V, EF>(&heights, rows));
        }
    }
    for round in &proof.commit_phase_openings {
        privates.extend(round.sibling_values.iter().flatten().copied());
    }
    Ok(privates)
}

/// p3's FRI error over fixpoint's Merkle trees (input and commit-phase MMCS alike).
pub type P3FriError = p3_fri::verifier::FriError<MerkleTreeError, MerkleTreeError>;

/// Why p3's own FRI verifier, replayed by [`query_witness`], rejects a proof: p3's error is
/// the source.
#[derive(Debug, Error)]
pub enum NativeFriError {
    /// The claims commit no matrix.
    #[error("the claims commit nothing")]
    NothingCommitted,
    /// The PCS transcript (claimed openings, batching PoW) rejects the proof.
    #[error("p3's PCS transcript rejects the proof")]
    PcsTranscript(#[from] p3_fri::PcsTranscriptFailure),
    /// The FRI transcript (commit rounds, final polynomial, query PoW) rejects the proof.
    #[error("p3's FRI transcript rejects the proof")]
    FriTranscript(#[from] p3_fri::TranscriptFailure),
    /// `open_inputs` rejects the input openings.
    #[error("p3's open_inputs rejects the input openings")]
    OpenInputs(#[source] P3FriError),
    /// `fold_query` rejects a query.
    #[error("p3's fold_query rejects query {query}")]
    FoldQuery {
        /// The query.
        query: usize,
        /// p3's error.
        #[source]
        source: P3FriError,
    },
    /// A batch opening's pruned multiproof does not restore.
    #[error("an input opening's Merkle multiproof does not restore")]
    InputPaths(#[source] MerkleTreeError),
    /// A commit round's pruned multiproof does not restore.
    #[error("commit round {round}'s Merkle multiproof does not restore")]
    RoundPaths {
        /// The round.
        round: usize,
        /// p3's error.
        #[source]
        source: MerkleTreeError,
    },
    /// A tree's shared top cannot be assigned: the queries' openings disagree.
    #[error("the shared top of tree {tree} cannot be assigned")]
    SharedTop {
        /// The tree (input batches, then commit rounds).
        tree: usize,
        /// Why.
        #[source]
        source: SharedWitnessError,
    },
    /// A query with no opened rows.
    #[error("query {query} has no opened rows")]
    MissingRows {
        /// The query.
        query: usize,
    },
    /// A query opens another number of rows of a batch than the batch has matrices.
    #[error("query {query} opens {got} rows of batch {batch}, which has {expected} matrices")]
    RowCount {
        /// The query.
        query: usize,
        /// The batch.
        batch: usize,
        /// Matrices in the batch's claims.
        expected: usize,
        /// Rows opened.
        got: usize,
    },
}
