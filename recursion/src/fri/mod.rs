//! The query phase of p3-fri 0.8's `verify_fri` as a circuit: for each query index from
//! the transcript ([`crate::pcs`]),
//!
//! 1. the opened rows of every committed batch are checked against its cap (the Merkle
//!    directions are the query index's own bits, shifted for shorter batches);
//! 2. the reduced openings: per LDE height `h`, with `x = g·ω_h^{bitrev_h(i >> (H − h))}`
//!    on the coset, `ro[h] = Σ α^k (p_k(z) − p_k(x)) / (z − x)`, the α ladder restarting at
//!    α⁰ for each height; `z = x` is rejected (the inverse of `z − x` must exist), and so is
//!    a nonzero reduced opening at height `log_blowup`. The opened rows are packed private
//!    inputs, four base values per slot (one stream per height and batch, as p3 hashes
//!    them), so each `Σ α^k p_k(x)` is one Horner row per four slots
//!    ([`horner::step`](fixpoint_circuit_prover::horner::step));
//! 3. folding: per round, the row `(lo, hi)` holds the folded value at the index's low bit
//!    and the proof's sibling, `fold = (lo + hi)/2 + (lo − hi)·β/(2s)` with
//!    `s = ω_{h+1}^{bitrev_h(i)}`, then `β²·ro` of the next height is added;
//! 4. each round's row is checked against the round's cap;
//! 5. the final polynomial at `x = ω_H^{bitrev_H(i)}` must equal the folded value.
//!
//! Every field power of a root of unity is a product over the index bits of constants
//! selected by the bits: no exponentiation, no division in the circuit.
//!
//! Folding supports every arity p3 does: arity 2 with p3's closed form, larger arities by
//! the barycentric form of p3's Lagrange interpolation, written without a division (p3
//! returns the row value when `β` is one of the coset points; the circuit cannot, and
//! fails to run there, with probability about `arity/|EF|`).

use std::collections::BTreeMap;

use fixpoint_circuit::{CircuitBuilder, CircuitField, Runner, Target};
use fixpoint_circuit_prover::merkle::shared::{self, SharedTree, SubtreeInputs};
use fixpoint_circuit_prover::merkle::{
    self, MatrixShape, MerklePath, MerkleShape, PackedRow, Steps,
};
use fixpoint_circuit_prover::poseidon2;
use p3_field::{ExtensionField, PrimeCharacteristicRing, PrimeField64, TwoAdicField};

use crate::pcs::{PcsChallenges, PcsInputs, PcsShape, ProofShapeError, check_len};

mod packing;
mod sharing;
mod subtrees;
mod witness;

pub use sharing::{MerkleSharing, TreeCost};
pub use witness::{NativeFriError, P3FriError, QueryWitness, native, query_witness};

/// The query phase's proof values as circuit targets.
#[derive(Clone, Debug)]
pub struct QueryInputs {
    /// Per query and batch: the opened rows, one [`PackedRow`] per distinct matrix height
    /// (tallest first), which holds every matrix of that height in commit order.
    pub rows: Vec<Vec<Vec<PackedRow>>>,
    /// Per round and query: the sibling values of the folded row (`arity − 1` of them).
    pub siblings: Vec<Vec<Vec<Target>>>,
    /// Per tree (input batches, then commit rounds): the private inputs of its shared top
    /// ([`merkle::shared`]), or `None` for a tree whose paths climb to the cap.
    pub subtrees: Vec<Option<SubtreeInputs>>,
}

/// The shared top of every tree of `shape` (input batches, then commit rounds).
fn shared_tops(shape: &PcsShape) -> Vec<Option<usize>> {
    let log_blowup = shape.fri.log_blowup;
    let batches = shape.commitments.iter().map(|claims| {
        let heights = claims.iter().map(|m| m.log_height + log_blowup);
        (
            heights.clone().max().unwrap_or(0),
            heights.min().unwrap_or(0),
        )
    });
    let mut log_h = shape.log_max_height();
    let rounds: Vec<usize> = shape
        .log_arities()
        .iter()
        .map(|&a| {
            log_h -= a;
            log_h
        })
        .collect();
    subtrees::shared_tops(shape.fri.num_queries, shape.fri.cap_height, batches, rounds)
}

impl QueryInputs {
    /// Allocates every input as a private input, in field order (after [`PcsInputs`]'s).
    pub fn allocate<F: CircuitField>(builder: &mut CircuitBuilder<F>, shape: &PcsShape) -> Self {
        let rows = (0..shape.fri.num_queries)
            .map(|_| {
                shape
                    .commitments
                    .iter()
                    .map(|batch| {
                        let (streams, _) = packing::batch_layout(batch);
                        streams
                            .iter()
                            .map(|&width| PackedRow::private(builder, width))
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let siblings = shape
            .log_arities()
            .iter()
            .map(|&log_arity| {
                (0..shape.fri.num_queries)
                    .map(|_| builder.private_inputs((1 << log_arity) - 1))
                    .collect()
            })
            .collect();
        // `shared_tops` gives a top of at least one level and there is a query, which is
        // all `SubtreeInputs::private` asks.
        let subtrees = shared_tops(shape)
            .into_iter()
            .map(|top| {
                top.and_then(|top| SubtreeInputs::private(builder, top, shape.fri.num_queries).ok())
            })
            .collect();
        QueryInputs {
            rows,
            siblings,
            subtrees,
        }
    }
}

/// The Merkle paths the query phase emitted: their siblings are the runner's private data.
#[derive(Clone, Debug)]
pub struct QueryPaths {
    /// Per query and batch.
    pub inputs: Vec<Vec<MerklePath>>,
    /// Per round and query.
    pub rounds: Vec<Vec<MerklePath>>,
    /// Per tree (input batches, then commit rounds): its shared top, if it has one.
    pub trees: Vec<Option<SharedTree>>,
}

impl QueryPaths {
    /// Gives the runner every sibling: `inputs[q][batch]` and `rounds[r][q]` are the paths
    /// of p3's `restore_and_recompute_paths`, bottom first. The rows of the shared trees
    /// ([`QueryPaths::trees`]) need their private data too: [`set_witness`](Self::set_witness)
    /// gives both.
    #[allow(clippy::type_complexity)]
    pub fn set_siblings<F: CircuitField>(
        &self,
        runner: &mut Runner<'_, F>,
        inputs: &[Vec<Vec<[F::PrimeSubfield; 8]>>],
        rounds: &[Vec<Vec<[F::PrimeSubfield; 8]>>],
    ) -> Result<(), ProofShapeError> {
        let count = crate::pcs::check_len;
        count("queries of input paths", self.inputs.len(), inputs.len())?;
        for (paths, siblings) in self.inputs.iter().zip(inputs) {
            count("batches of input paths", paths.len(), siblings.len())?;
            for (path, siblings) in paths.iter().zip(siblings) {
                path.set_siblings(runner, siblings)
                    .map_err(|_| ProofShapeError::Length {
                        what: "siblings of an input path",
                        expected: path.levels.len(),
                        got: siblings.len(),
                    })?;
            }
        }
        count(
            "rounds of commit-phase paths",
            self.rounds.len(),
            rounds.len(),
        )?;
        for (paths, siblings) in self.rounds.iter().zip(rounds) {
            count("queries of commit-phase paths", paths.len(), siblings.len())?;
            for (path, siblings) in paths.iter().zip(siblings) {
                path.set_siblings(runner, siblings)
                    .map_err(|_| ProofShapeError::Length {
                        what: "siblings of a commit-phase path",
                        expected: path.levels.len(),
                        got: siblings.len(),
                    })?;
            }
        }
        Ok(())
    }

    /// [`QueryPaths::set_siblings`] with every sibling of a native [`QueryWitness`], and
    /// the private data of every shared tree's rows (their private inputs are among the
    /// witness's [`privates`](QueryWitness::privates)).
    pub fn set_witness<F: CircuitField>(
        &self,
        runner: &mut Runner<'_, F>,
        witness: &QueryWitness<F::PrimeSubfield, F>,
    ) -> Result<(), ProofShapeError> {
        self.set_siblings(runner, &witness.input_siblings, &witness.round_siblings)?;
        check_len("shared trees", self.trees.len(), witness.subtrees.len())?;
        for (tree, assignment) in self.trees.iter().zip(&witness.subtrees) {
            match (tree, assignment) {
                (Some(tree), Some(assignment)) => tree
                    .set_private_data(runner, assignment)
                    .map_err(|_| ProofShapeError::Length {
                        what: "rows of a shared tree",
                        expected: tree.rows(),
                        got: 0,
                    })?,
                (None, None) => {}
                _ => {
                    return Err(ProofShapeError::Length {
                        what: "shared trees of the witness",
                        expected: self.trees.iter().flatten().count(),
                        got: witness.subtrees.iter().flatten().count(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// `shift · g^{bitrev_n(i)}`, where `bits` are the `n` bits of `i`, least significant
/// first: a product of constants chosen by the bits.
fn power_from_bits<V, F>(b: &mut CircuitBuilder<F>, bits: &[Target], g: V, shift: V) -> Target
where
    V: PrimeField64,
    F: CircuitField + ExtensionField<V>,
{
    let n = bits.len();
    let mut acc = b.define_const(F::from(shift));
    let mut power = g; // g^{2^j}
    for j in 0..n {
        // Bit j of bitrev_n(i) is bit n − 1 − j of i.
        let bit = bits[n - 1 - j];
        let step = b.define_const(F::from(power - V::ONE));
        let scaled = b.mul(bit, step);
        let one = b.one();
        let factor = b.add(scaled, one);
        acc = b.mul(acc, factor);
        power = power.square();
    }
    acc
}

/// The row of one folding group: `folded` at the position whose bits are `position`
/// (least significant first), the siblings in order around it.
fn place<F: CircuitField>(
    b: &mut CircuitBuilder<F>,
    folded: Target,
    siblings: &[Target],
    position: &[Target],
) -> Vec<Target> {
    let arity = 1 << position.len();
    if let ([bit], [sibling]) = (position, siblings) {
        // Binary: lo = bit ? sibling : folded, hi = the other one.
        let lo = b.select(*bit, *sibling, folded);
        let sum = b.add(folded, *sibling);
        let hi = b.sub(sum, lo);
        return vec![lo, hi];
    }
    // is[k] = [position == k], a product of bits and complements.
    let one = b.one();
    let is: Vec<Target> = (0..arity)
        .map(|k| {
            position.iter().enumerate().fold(one, |acc, (t, &bit)| {
                let factor = if (k >> t) & 1 == 1 {
                    bit
                } else {
                    b.sub(one, bit)
                };
                b.mul(acc, factor)
            })
        })
        .collect();
    // above[j] = [position > j].
    let mut above = vec![b.zero(); arity];
    for j in (0..arity.saturating_sub(1)).rev() {
        above[j] = b.add(above[j + 1], is[j + 1]);
    }
    (0..arity)
        .map(|j| {
            let mut value = b.mul(is[j], folded);
            if j + 1 < arity {
                let term = b.mul(above[j], siblings[j]);
                value = b.add(value, term);
            }
            if j > 0 {
                // Below the position: neither at it nor above it.
                let here_or_above = b.add(is[j], above[j]);
                let below = b.sub(one, here_or_above);
                let term = b.mul(below, siblings[j - 1]);
                value = b.add(value, term);
            }
            value
        })
        .collect()
}

/// The coset point `s = ω_{h+a}^{bitrev_h(i)}` of a folding round and its inverse, `i` the
/// index after the round (bits `index_bits`, `h` of them). The first round takes them from
/// the bits; each later one from the previous round's: shifting the index right by `a`
/// removes its low `a` bits from the bit reversal, so
/// `s = s_prev^{2^{a_prev}} · Π_{t<a} (i_t ? ω_{h_prev}^{−2^{h_prev−1−t}} : 1)`,
/// with `i_t` this round's position bits: two muls per bit instead of a product over all of
/// the index's bits.
fn coset_point<V, F>(
    b: &mut CircuitBuilder<F>,
    previous: Option<Round>,
    index_bits: &[Target],
    position: &[Target],
    log_h: usize,
    log_arity: usize,
) -> (Target, Target)
where
    V: PrimeField64 + TwoAdicField,
    F: CircuitField + ExtensionField<V>,
{
    let Some((s_prev, s_inv_prev, h_prev, a_prev)) = previous else {
        let generator = V::two_adic_generator(log_h + log_arity);
        let s = power_from_bits::<V, F>(b, index_bits, generator, V::ONE);
        let s_inv = power_from_bits::<V, F>(b, index_bits, generator.inverse(), V::ONE);
        return (s, s_inv);
    };
    let mut s = b.exp_power_of_2(s_prev, a_prev);
    let mut s_inv = b.exp_power_of_2(s_inv_prev, a_prev);
    let one = b.one();
    for (t, &bit) in position.iter().enumerate() {
        // ω_{h_prev}^{2^{h_prev−1−t}} is a primitive 2^{t+1}-th root of unity.
        let root = V::two_adic_generator(t + 1);
        debug_assert_eq!(
            root,
            V::two_adic_generator(h_prev).exp_power_of_2(h_prev - 1 - t)
        );
        for (value, factor) in [(&mut s, root.inverse()), (&mut s_inv, root)] {
            let step = b.define_const(F::from(factor - V::ONE));
            let scaled = b.mul(bit, step);
            let select = b.add(scaled, one);
            *value = b.mul(*value, select);
        }
    }
    (s, s_inv)
}

/// p3's binary fold: `(lo + hi)/2 + (lo − hi)·β/(2s)`.
fn fold_pair<F: CircuitField>(
    b: &mut CircuitBuilder<F>,
    row: &[Target],
    beta: Target,
    s_inv: Target,
    half: Target,
) -> Target {
    let (lo, hi) = (row[0], row[1]);
    let inv_two_s = b.mul(s_inv, half);
    let even = b.add(lo, hi);
    let even = b.mul(even, half);
    let odd = b.sub(lo, hi);
    let odd = b.mul(odd, beta);
    let odd = b.mul(odd, inv_two_s);
    b.add(even, odd)
}

/// p3's fold for arity `n = 2^a`: the polynomial through `(x_k, row[k])` evaluated at `β`,
/// where the `x_k` are `s·ω_n^k` in bit-reversed order (see [`coset_point`]).
/// Barycentric: `Σ_k w_k·row[k]·Π_{j≠k}(β − x_j)` with `w_k = x_k / (n·sⁿ)`; no division.
fn fold_lagrange<V, F>(
    b: &mut CircuitBuilder<F>,
    row: &[Target],
    beta: Target,
    s: Target,
    s_inv: Target,
    log_arity: usize,
) -> Target
where
    V: PrimeField64 + TwoAdicField,
    F: CircuitField + ExtensionField<V>,
{
    let n = 1usize << log_arity;
    // s^{1−n} = s · (s⁻¹)ⁿ.
    let s_inv_n = b.exp_power_of_2(s_inv, log_arity);
    let s_scale = b.mul(s, s_inv_n);
    // The coset points' constant factors ω_n^k, bit-reversed.
    let omega = V::two_adic_generator(log_arity);
    let factors: Vec<V> = (0..n)
        .map(|k| omega.exp_u64(p3_util::reverse_bits_len(k, log_arity) as u64))
        .collect();
    let diffs: Vec<Target> = factors
        .iter()
        .map(|&c| {
            let c = b.define_const(F::from(c));
            let x = b.mul(c, s);
            b.sub(beta, x)
        })
        .collect();
    // prefix[k] = Π_{j<k} diffs[j], suffix[k] = Π_{j>k} diffs[j].
    let one = b.one();
    let mut prefix = vec![one; n];
    for k in 1..n {
        prefix[k] = b.mul(prefix[k - 1], diffs[k - 1]);
    }
    let mut suffix = vec![one; n];
    for k in (0..n - 1).rev() {
        suffix[k] = b.mul(suffix[k + 1], diffs[k + 1]);
    }
    let n_inv = V::from_usize(n).inverse();
    let mut sum = b.zero();
    for k in 0..n {
        // w_k · row[k] · Π_{j≠k} (β − x_j), with w_k = ω_n^k/n · s^{1−n}.
        let weight = b.define_const(F::from(factors[k] * n_inv));
        let others = b.mul(prefix[k], suffix[k]);
        let term = b.mul(weight, row[k]);
        let term = b.mul(term, others);
        sum = b.add(sum, term);
    }
    b.mul(sum, s_scale)
}

/// Emits the query phase for `shape`, after [`crate::pcs::verify_transcript`].
pub fn verify_queries<V, F>(
    builder: &mut CircuitBuilder<F>,
    shape: &PcsShape,
    pcs: &PcsInputs,
    challenges: &PcsChallenges,
    inputs: &QueryInputs,
) -> Result<QueryPaths, ProofShapeError>
where
    V: PrimeField64 + TwoAdicField,
    F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
{
    shape.validate::<V>()?;
    pcs.check(shape)?;
    let log_arities = shape.log_arities();
    check_query_lengths(shape, &log_arities, challenges, inputs)?;
    builder.push_scope("fri_queries");

    let (openings, longest) = opening_offsets(shape);
    let alpha_powers = builder.scope("alpha_powers", |b| {
        let mut powers = Vec::with_capacity(longest);
        let mut acc = b.one();
        for _ in 0..longest {
            powers.push(acc);
            acc = b.mul(acc, challenges.alpha);
        }
        powers
    });
    let sums_at_z = builder.scope("sums_at_z", |b| sums_at_z(b, pcs, &openings, &alpha_powers));
    let points: Vec<Target> = pcs.points.iter().flatten().flatten().copied().collect();
    let groups = builder.scope("sums_at_z", |b| {
        point_groups(b, &openings, &points, &sums_at_z)
    });
    let half = builder.define_const(F::from(V::ONE.halve()));
    let caps = pcs.commitments.iter().chain(&pcs.commit_phase);
    let mut trees = Vec::with_capacity(inputs.subtrees.len());
    for (tag, (subtree, cap)) in inputs.subtrees.iter().zip(caps).enumerate() {
        trees.push(match (subtree, cap.as_slice()) {
            (Some(subtree), [root]) => {
                // Scoped as the tree's paths are, so the breakdown counts it with them.
                let scope = match tag.checked_sub(shape.commitments.len()) {
                    None => format!("batch{tag}/merkle"),
                    Some(round) => format!("fold{round}/merkle"),
                };
                let tree = builder.scope(&scope, |b| {
                    shared::shared_tree_of(b, tag, subtree.clone(), root)
                });
                Some(tree.map_err(|_| ProofShapeError::Length {
                    what: "shared trees (tags below 2^20)",
                    expected: 1 << 20,
                    got: tag,
                })?)
            }
            _ => None,
        });
    }
    let query = Query {
        shape,
        pcs,
        challenges,
        inputs,
        log_arities: &log_arities,
        openings: &openings,
        runs: &packing::opening_runs(shape, &openings, &points),
        alpha_powers: &alpha_powers,
        groups: &groups,
        half,
        trees: &trees,
    };

    let mut paths = QueryPaths {
        inputs: Vec::new(),
        rounds: vec![Vec::new(); log_arities.len()],
        trees: Vec::new(),
    };
    for (q, bits) in challenges.query_indices.iter().enumerate() {
        builder.push_scope(&format!("query{q}"));
        let result = query.verify::<V, F>(builder, q, bits, &mut paths);
        builder.pop_scope();
        result?;
    }
    builder.pop_scope();
    paths.trees = trees;
    Ok(paths)
}

/// Shape checks: targets built by hand may not match the shape, so every list must have
/// its length (p3's phase 2, before any transcript work).
fn check_query_lengths(
    shape: &PcsShape,
    log_arities: &[usize],
    challenges: &PcsChallenges,
    inputs: &QueryInputs,
) -> Result<(), ProofShapeError> {
    check_len(
        "folding challenges",
        log_arities.len(),
        challenges.betas.len(),
    )?;
    check_len(
        "query indices",
        shape.fri.num_queries,
        challenges.query_indices.len(),
    )?;
    for bits in &challenges.query_indices {
        check_len("bits of a query index", shape.log_max_height(), bits.len())?;
    }
    check_len(
        "queries of opened rows",
        shape.fri.num_queries,
        inputs.rows.len(),
    )?;
    for rows in &inputs.rows {
        check_len(
            "batches of opened rows",
            shape.commitments.len(),
            rows.len(),
        )?;
        for (batch, rows) in shape.commitments.iter().zip(rows) {
            let (streams, _) = packing::batch_layout(batch);
            check_len("packed rows of a batch", streams.len(), rows.len())?;
            for (&width, row) in streams.iter().zip(rows) {
                check_len("values of a packed row", width, row.len())?;
            }
        }
    }
    check_len(
        "rounds of sibling values",
        log_arities.len(),
        inputs.siblings.len(),
    )?;
    for (siblings, &log_arity) in inputs.siblings.iter().zip(log_arities) {
        check_len(
            "queries of sibling values",
            shape.fri.num_queries,
            siblings.len(),
        )?;
        for values in siblings {
            check_len(
                "sibling values of a row",
                (1 << log_arity) - 1,
                values.len(),
            )?;
        }
    }
    Ok(())
}

/// The `α` ladder's layout: the (LDE height, ladder offset) of every (batch, matrix,
/// point) in walk order (the ladder restarts at `α⁰` per height), and the longest ladder.
fn opening_offsets(shape: &PcsShape) -> (Vec<(usize, usize)>, usize) {
    let mut ladder: BTreeMap<usize, usize> = BTreeMap::new();
    let mut openings = Vec::new();
    for batch in &shape.commitments {
        for m in batch {
            let h = m.log_height + shape.fri.log_blowup;
            for _ in 0..m.points {
                let offset = ladder.entry(h).or_insert(0);
                openings.push((h, *offset));
                *offset += m.width;
            }
        }
    }
    let longest = ladder.values().copied().max().unwrap_or(0);
    (openings, longest)
}

/// `Σ α^k p_k(z)` for every (batch, matrix, point): independent of the query.
fn sums_at_z<F: CircuitField>(
    builder: &mut CircuitBuilder<F>,
    pcs: &PcsInputs,
    openings: &[(usize, usize)],
    alpha_powers: &[Target],
) -> Vec<Target> {
    let values = pcs.values.iter().flatten().flatten();
    values
        .zip(openings)
        .map(|(values, &(_, offset))| {
            builder.inner_product(&alpha_powers[offset..offset + values.len()], values)
        })
        .collect()
}

/// The openings of one LDE height at one point target: their reduced-opening terms share
/// the denominator `z − x`, so a query sums their rows first and divides once.
struct PointGroup {
    /// The LDE height.
    height: usize,
    /// The point `z` (one target: openings at equal targets share a group).
    point: Target,
    /// `Σ α^k p_k(z)` over the group's openings: independent of the query.
    sum_at_z: Target,
    /// The openings (walk order) in the group.
    openings: Vec<usize>,
}

/// Groups the openings by (LDE height, point target), in order of first appearance, with
/// each group's query-independent sum at `z`.
fn point_groups<F: CircuitField>(
    builder: &mut CircuitBuilder<F>,
    openings: &[(usize, usize)],
    points: &[Target],
    sums_at_z: &[Target],
) -> Vec<PointGroup> {
    let mut groups: Vec<PointGroup> = Vec::new();
    for (opening, (&(height, _), &point)) in openings.iter().zip(points).enumerate() {
        match groups
            .iter_mut()
            .find(|g| g.height == height && g.point == point)
        {
            Some(group) => group.openings.push(opening),
            None => groups.push(PointGroup {
                height,
                point,
                sum_at_z: sums_at_z[opening],
                openings: vec![opening],
            }),
        }
    }
    for group in &mut groups {
        let sums: Vec<Target> = group.openings.iter().map(|&o| sums_at_z[o]).collect();
        group.sum_at_z = builder.sum(&sums);
    }
    groups
}

/// What every query reads: the statement, the challenges, the proof's values, and the
/// query-independent terms.
struct Query<'a> {
    shape: &'a PcsShape,
    pcs: &'a PcsInputs,
    challenges: &'a PcsChallenges,
    inputs: &'a QueryInputs,
    log_arities: &'a [usize],
    /// (LDE height, α-ladder offset) per (batch, matrix, point).
    openings: &'a [(usize, usize)],
    /// Per batch, its matrices in runs that share one row sum at `x` ([`packing::opening_runs`]).
    runs: &'a [Vec<packing::Run>],
    alpha_powers: &'a [Target],
    /// The openings by (LDE height, point), with their sums at `z`.
    groups: &'a [PointGroup],
    /// The constant `1/2`.
    half: Target,
    /// Per tree (input batches, then commit rounds): its shared top, if it has one.
    trees: &'a [Option<SharedTree>],
}

/// The folding state after a round: its coset point `s`, `s⁻¹`, folded height and arity.
type Round = (Target, Target, usize, usize);

impl Query<'_> {
    /// How the paths of tree `tree` climb: to its shared top, or (when another tree
    /// shares) in the shared kind's rows to the cap, so that one table proves every level.
    fn steps(&self, tree: usize, position: Option<Target>) -> Steps<'_> {
        match (&self.trees[tree], position) {
            (Some(tree), Some(position)) => Steps::Read { tree, position },
            _ if self.trees.iter().any(Option::is_some) => Steps::Shared,
            _ => Steps::Plain,
        }
    }

    /// One query `q` with index bits `bits`: p3's `open_inputs`, `fold_query`, then the
    /// final polynomial check.
    fn verify<V, F>(
        &self,
        builder: &mut CircuitBuilder<F>,
        q: usize,
        bits: &[Target],
        paths: &mut QueryPaths,
    ) -> Result<(), ProofShapeError>
    where
        V: PrimeField64 + TwoAdicField,
        F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
    {
        // The node every shared tree's path reads: the index's top bits (every tree's
        // shifted index ends in them).
        let top = self.trees.iter().flatten().map(SharedTree::top).next();
        let h_max = self.shape.log_max_height();
        let position = top.map(|top| {
            builder.scope("index bits/shared position", |b| {
                shared::top_position(b, &bits[h_max - top..])
            })
        });
        paths
            .inputs
            .push(self.open_input_batches(builder, q, bits, position)?);
        let reduced = builder.scope("reduced_openings", |b| {
            self.reduced_openings::<V, F>(b, q, bits)
        });
        let (folded, last) =
            self.fold_query::<V, F>(builder, q, bits, &reduced, paths, position)?;
        builder.scope("final_poly", |b| self.check_final_poly(b, folded, last));
        Ok(())
    }

    /// Step 1 (`open_inputs`): every input batch's opened rows against its cap, the Merkle
    /// directions the index's bits, shifted for shorter batches.
    fn open_input_batches<F: CircuitField>(
        &self,
        builder: &mut CircuitBuilder<F>,
        q: usize,
        bits: &[Target],
        position: Option<Target>,
    ) -> Result<Vec<MerklePath>, ProofShapeError> {
        let shape = self.shape;
        let h_max = shape.log_max_height();
        let mut batch_paths = Vec::new();
        for (batch, (claims, cap)) in shape
            .commitments
            .iter()
            .zip(&self.pcs.commitments)
            .enumerate()
        {
            let heights: Vec<usize> = claims
                .iter()
                .map(|m| m.log_height + shape.fri.log_blowup)
                .collect();
            let tallest = heights.iter().copied().max().unwrap_or(0);
            let merkle_shape = MerkleShape {
                matrices: claims
                    .iter()
                    .zip(&heights)
                    .map(|(m, &h)| MatrixShape {
                        height: 1 << h,
                        width: m.width,
                    })
                    .collect(),
                cap_height: shape.fri.cap_height,
            };
            let steps = self.steps(batch, position);
            let path = builder.scope(&format!("batch{batch}"), |b| {
                merkle::verify_batch_packed_bits_with(
                    b,
                    &merkle_shape,
                    cap,
                    &bits[h_max - tallest..],
                    &self.inputs.rows[q][batch],
                    steps,
                )
            })?;
            batch_paths.push(path);
        }
        Ok(batch_paths)
    }

    /// Step 2 (`open_inputs`): the reduced openings per LDE height,
    /// `Σ α^k (p_k(z) − p_k(x)) / (z − x)`; the one at height `log_blowup` must be zero.
    /// The openings at one point share `z − x`: per (height, point) group, the rows' sums
    /// at `x` are added up, taken from the group's sum at `z`, and divided once.
    fn reduced_openings<V, F>(
        &self,
        builder: &mut CircuitBuilder<F>,
        q: usize,
        bits: &[Target],
    ) -> BTreeMap<usize, Target>
    where
        V: PrimeField64 + TwoAdicField,
        F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
    {
        let h_max = self.shape.log_max_height();
        let log_blowup = self.shape.fri.log_blowup;
        let mut xs: BTreeMap<usize, Target> = BTreeMap::new();
        // The row sums at x per opening; `None` for an opening whose sum a neighbour's
        // run already holds (see `runs`).
        let mut sums_at_x: Vec<Option<Target>> = Vec::with_capacity(self.openings.len());
        let batches = self.shape.commitments.iter().zip(&self.inputs.rows[q]);
        for ((claims, rows), runs) in batches.zip(self.runs) {
            let mut lanes = packing::Lanes::new(rows);
            for &packing::Run {
                first: m,
                span: run,
                matrices,
            } in runs
            {
                let h = claims[m].log_height + log_blowup;
                xs.entry(h).or_insert_with(|| {
                    power_from_bits::<V, F>(
                        builder,
                        &bits[h_max - h..],
                        V::two_adic_generator(h),
                        V::GENERATOR,
                    )
                });
                // The run's α-weighted sum at x, once (Horner steps over its packed slots,
                // then shifted to its ladder offset): point t's ladder starts `width` rungs
                // after point t − 1's, so its sum is `α^width` times the last.
                let mut sum_at_x: Option<Target> = None;
                for _ in 0..claims[m].points {
                    let (_, offset) = self.openings[sums_at_x.len()];
                    let sum = match sum_at_x {
                        None => {
                            let alpha = self.challenges.alpha;
                            let row_sum = lanes.sum(builder, run, alpha, self.alpha_powers);
                            match offset {
                                0 => row_sum,
                                _ => builder.mul(row_sum, self.alpha_powers[offset]),
                            }
                        }
                        Some(previous) => builder.mul(previous, self.alpha_powers[claims[m].width]),
                    };
                    sum_at_x = Some(sum);
                    sums_at_x.push(Some(sum));
                }
                // The run's other matrices have one point each, their sums in the run's.
                sums_at_x.extend(std::iter::repeat_n(None, matrices - 1));
            }
        }
        let mut reduced: BTreeMap<usize, Target> = BTreeMap::new();
        for group in self.groups {
            let sums: Vec<Target> = group
                .openings
                .iter()
                .filter_map(|&o| sums_at_x[o])
                .collect();
            let sum_at_x = builder.sum(&sums);
            let diff = builder.sub(group.sum_at_z, sum_at_x);
            let denominator = builder.sub(group.point, xs[&group.height]);
            // The inverse exists only if z ≠ x: p3 rejects z = x.
            let inverse = builder.inv(denominator);
            let term = builder.mul(diff, inverse);
            let acc = match reduced.get(&group.height) {
                Some(&acc) => builder.add(acc, term),
                None => term,
            };
            reduced.insert(group.height, acc);
        }
        if let Some(&ro) = reduced.get(&log_blowup) {
            builder.assert_zero(ro);
        }
        reduced
    }

    /// Steps 3–4 (`fold_query`): per round, folds the row `(folded, siblings)` by `β`,
    /// adds `β^arity·ro` of the next height, and checks the row against the round's cap;
    /// returns the folded value and the last round's state.
    fn fold_query<V, F>(
        &self,
        builder: &mut CircuitBuilder<F>,
        q: usize,
        bits: &[Target],
        reduced: &BTreeMap<usize, Target>,
        paths: &mut QueryPaths,
        node_position: Option<Target>,
    ) -> Result<(Target, Option<Round>), ProofShapeError>
    where
        V: PrimeField64 + TwoAdicField,
        F: CircuitField + ExtensionField<V> + PrimeCharacteristicRing<PrimeSubfield = V>,
    {
        let h_max = self.shape.log_max_height();
        let mut folded = reduced[&h_max];
        let mut log_h = h_max;
        let mut previous: Option<Round> = None;
        for (round, ((&beta, &log_arity), cap)) in self
            .challenges
            .betas
            .iter()
            .zip(self.log_arities)
            .zip(&self.pcs.commit_phase)
            .enumerate()
        {
            builder.push_scope(&format!("fold{round}"));
            let consumed = h_max - log_h;
            let position = &bits[consumed..consumed + log_arity];
            let row = place(builder, folded, &self.inputs.siblings[round][q], position);
            log_h -= log_arity;
            let index_bits = &bits[consumed + log_arity..];
            let (s, s_inv) =
                coset_point::<V, F>(builder, previous, index_bits, position, log_h, log_arity);
            previous = Some((s, s_inv, log_h, log_arity));
            folded = if log_arity == 1 {
                fold_pair(builder, &row, beta, s_inv, self.half)
            } else {
                fold_lagrange::<V, F>(builder, &row, beta, s, s_inv, log_arity)
            };
            if let Some(&ro) = reduced.get(&log_h) {
                let beta_power = builder.exp_power_of_2(beta, log_arity);
                let injected = builder.mul(beta_power, ro);
                folded = builder.add(folded, injected);
            }
            let leaf = poseidon2::hash_slots_packed(builder, &row);
            let steps = self.steps(self.shape.commitments.len() + round, node_position);
            let path = merkle::verify_digest_bits_with(
                builder,
                self.shape.fri.cap_height,
                cap,
                index_bits,
                leaf,
                steps,
            );
            builder.pop_scope();
            paths.rounds[round].push(path?);
        }
        Ok((folded, previous))
    }

    /// Step 5: the final polynomial at `x = ω_h^{bitrev_h(i >> folded bits)}`, `h` the
    /// final height, equals the folded value.
    fn check_final_poly<F: CircuitField>(
        &self,
        builder: &mut CircuitBuilder<F>,
        folded: Target,
        last: Option<Round>,
    ) {
        // x is the last round's s to the power of its arity (there is at least one round).
        let (s, _, _, log_arity) =
            last.expect("validate: the tallest LDE is above the final height");
        let x = builder.exp_power_of_2(s, log_arity);
        let eval = builder.horner(&self.pcs.final_poly, x);
        builder.connect(eval, folded);
    }
}
