//! Verifying openings of p3's `MerkleTreeMmcs` (binary, Poseidon2 leaf hashing and 2-to-1
//! compression, digest 8) inside a circuit.
//!
//! [`verify_batch`] follows `MerkleTreeMmcs::verify_batch` step by step: the rows of the
//! tallest matrices are hashed into the leaf, each level compresses the digest with a
//! sibling, matrices of the next height are hashed and injected on the way up, and the
//! digest must equal the cap root that the index's top bits select.
//!
//! The direction at each level is **a bit of the index target**, decomposed in the
//! circuit with a range check (`index < height`, so the decomposition is unique). A
//! direction chosen by the prover would let it open any leaf it likes at the position it
//! claims: the Merkle path would prove membership, not position.
//!
//! Digests are packed, four lanes per slot (see [`crate::poseidon2`]): a level is one
//! [`MERKLE_STEP`](crate::poseidon2::MERKLE_STEP) row with 5 bus interactions. Siblings are
//! its private data; [`MerklePath::set_siblings`] gives them to the runner from p3's
//! opening proof. The opened rows are base values, packed for hashing.

use fixpoint_circuit::{CircuitBuilder, CircuitField, NpoCallId, Runner, Target};
use p3_field::Field;
use thiserror::Error;

use crate::poseidon2::{self, DIGEST, NodePorts, PACKED_DIGEST};

pub mod shared;

use shared::SharedTree;

/// A digest: 8 base-field lanes in 2 packed slots.
pub type Digest = [Target; PACKED_DIGEST];

/// A digest of two new public inputs (each four lanes; see
/// [`poseidon2::pack_values`] for their values).
pub fn public_digest<F: Field>(builder: &mut CircuitBuilder<F>) -> Digest {
    std::array::from_fn(|_| builder.public_input())
}

/// The shape of one opened matrix: known to the verifier, never taken from the proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatrixShape {
    /// Rows (a power of two).
    pub height: usize,
    /// Values per row.
    pub width: usize,
}

/// What [`verify_batch`] refuses: shapes it cannot verify and inputs of the wrong size.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum MerkleError {
    /// The batch has no matrix.
    #[error("a batch opening needs at least one matrix")]
    NoMatrices,
    /// A matrix height is not a power of two (or is zero).
    #[error("matrix {matrix} has height {height}: heights must be powers of two")]
    HeightNotPowerOfTwo {
        /// Position of the matrix in the batch.
        matrix: usize,
        /// Its height.
        height: usize,
    },
    /// A matrix is shorter than the cap layer, so no opening path reaches it.
    #[error("matrix {matrix} has height {height}, below the cap layer's {cap_layer} roots")]
    BelowCap {
        /// Position of the matrix in the batch.
        matrix: usize,
        /// Its height.
        height: usize,
        /// Roots in the cap.
        cap_layer: usize,
    },
    /// The tallest height needs more index bits than a range check supports.
    #[error("height 2^{log_height} needs more index bits than the range check's {max}")]
    TooTall {
        /// log2 of the tallest height.
        log_height: usize,
        /// The largest supported bit count.
        max: usize,
    },
    /// One opened row per matrix: the count is off.
    #[error("{got} opened rows for {expected} matrices")]
    RowCount {
        /// Matrices in the shape.
        expected: usize,
        /// Rows given.
        got: usize,
    },
    /// An opened row does not match its matrix's width.
    #[error("opened row of matrix {matrix} has {got} values, expected {expected}")]
    RowWidth {
        /// Position of the matrix in the batch.
        matrix: usize,
        /// Values the shape says.
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// The cap has the wrong number of roots.
    #[error("the cap has {got} roots, expected {expected}")]
    CapSize {
        /// Roots the shape says (`2^min(cap_height, log2(height))`).
        expected: usize,
        /// Roots given.
        got: usize,
    },
    /// The index has the wrong number of bits.
    #[error("the index has {got} bits, expected {expected} (log2 of the tallest height)")]
    IndexBits {
        /// log2 of the tallest height.
        expected: usize,
        /// Bits given.
        got: usize,
    },
    /// The packed rows are not one per distinct height of the batch.
    #[error("{got} packed rows for {expected} distinct matrix heights")]
    PackedRowCount {
        /// Distinct heights in the shape.
        expected: usize,
        /// Packed rows given.
        got: usize,
    },
    /// A packed row's slots and tail do not hold its height's values.
    #[error(
        "the packed row of height {height} has {slots} slots and {tail} tail values, \
         expected {} and {} for its {width} values",
        width / poseidon2::LANES,
        width % poseidon2::LANES
    )]
    PackedRowLayout {
        /// The matrices' height.
        height: usize,
        /// Values of every matrix of that height, together.
        width: usize,
        /// Packed slots given.
        slots: usize,
        /// Tail values given.
        tail: usize,
    },
    /// The opening proof has the wrong number of siblings.
    #[error("the opening proof has {got} siblings, expected {expected}")]
    SiblingCount {
        /// Levels of the path.
        expected: usize,
        /// Siblings given.
        got: usize,
    },
    /// A path cannot read its node from a shared tree: the tree has a cap of several
    /// roots, the path does not climb at least one level below the shared top, or a
    /// matrix is injected at or above it (the subtree compresses children only).
    #[error(
        "a path of {levels} levels (cap {cap_roots}, shortest matrix 2^{shortest}) cannot \
         read a shared node at depth {top}"
    )]
    SharedTop {
        /// The depth of the shared tree's top.
        top: usize,
        /// Levels of the path.
        levels: usize,
        /// Roots in the cap.
        cap_roots: usize,
        /// log2 of the shortest matrix.
        shortest: usize,
    },
}

/// How a path's levels are proved.
#[derive(Clone, Copy, Debug)]
pub enum Steps<'a> {
    /// [`MERKLE_STEP`](crate::poseidon2::MERKLE_STEP) rows up to the cap, whose root the
    /// index's top bits select.
    Plain,
    /// [`MERKLE_SHARED`](crate::poseidon2::MERKLE_SHARED) rows that read no node, up to
    /// the cap: a path whose tree is not shared, in a circuit whose other paths are, so
    /// that every level is one table's.
    Shared,
    /// [`MERKLE_SHARED`](crate::poseidon2::MERKLE_SHARED) rows up to `tree`'s top depth,
    /// the last of which reads its output there at `position`
    /// ([`shared::top_position`] of the index's top bits).
    Read {
        /// The tree's shared top.
        tree: &'a SharedTree,
        /// The node's position at the top depth.
        position: Target,
    },
}

/// The shape of a batch opening: the matrices, in commit order, and the cap height the
/// `MerkleTreeMmcs` was built with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleShape {
    /// The committed matrices, in the order they were committed.
    pub matrices: Vec<MatrixShape>,
    /// The `MerkleTreeMmcs`'s cap height (reduced, as p3 does, for trees that are too small).
    pub cap_height: usize,
}

impl MerkleShape {
    /// log2 of the tallest matrix: the number of index bits.
    fn log_height(&self) -> Result<usize, MerkleError> {
        let mut log_height = None;
        for (matrix, m) in self.matrices.iter().enumerate() {
            if !m.height.is_power_of_two() {
                return Err(MerkleError::HeightNotPowerOfTwo {
                    matrix,
                    height: m.height,
                });
            }
            log_height = log_height.max(Some(m.height.trailing_zeros() as usize));
        }
        log_height.ok_or(MerkleError::NoMatrices)
    }

    /// The cap height p3 really uses: at most the tree's depth.
    pub fn effective_cap_height(&self) -> Result<usize, MerkleError> {
        Ok(self.cap_height.min(self.log_height()?))
    }

    /// Roots in the cap.
    pub fn cap_roots(&self) -> Result<usize, MerkleError> {
        Ok(1 << self.effective_cap_height()?)
    }

    /// Levels between the leaves and the cap: the siblings of one opening.
    pub fn levels(&self) -> Result<usize, MerkleError> {
        Ok(self.log_height()? - self.effective_cap_height()?)
    }
}

/// The Merkle levels that [`verify_batch`] emitted: one sibling each, bottom first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerklePath {
    /// The [`MERKLE_STEP`](crate::poseidon2::MERKLE_STEP) (or, when `shared`,
    /// [`MERKLE_SHARED`](crate::poseidon2::MERKLE_SHARED)) call of each level the path
    /// climbs.
    pub levels: Vec<NpoCallId>,
    /// Whether the levels are `MERKLE_SHARED` rows (see [`Steps`]).
    pub shared: bool,
}

impl MerklePath {
    /// Gives the runner the siblings of p3's opening proof (`BatchOpening::opening_proof`,
    /// bottom first). A path that reads a shared node climbs fewer levels than p3's path
    /// has: it takes the first siblings, and the shared tree the rest
    /// ([`SharedTree::set_witness`]).
    pub fn set_siblings<F: CircuitField>(
        &self,
        runner: &mut Runner<'_, F>,
        siblings: &[[F::PrimeSubfield; DIGEST]],
    ) -> Result<(), MerkleError> {
        let count_ok = match self.shared {
            true => siblings.len() >= self.levels.len(),
            false => siblings.len() == self.levels.len(),
        };
        if !count_ok {
            return Err(MerkleError::SiblingCount {
                expected: self.levels.len(),
                got: siblings.len(),
            });
        }
        for (&call, sibling) in self.levels.iter().zip(siblings) {
            match self.shared {
                true => poseidon2::set_shared_private(runner, call, sibling, [0, 0]),
                false => poseidon2::set_sibling(runner, call, sibling),
            }
        }
        Ok(())
    }
}

/// Constrains `rows` (one opened row per matrix of `shape`, in commit order) to be the
/// rows at `index` of the matrices committed to by `cap`, exactly as p3's
/// `MerkleTreeMmcs::verify_batch` accepts them. A shorter matrix's row is the one at
/// `index >> (log2(tallest) − log2(height))`.
///
/// Costs, for a tallest height `2^L` and `k = min(cap_height, L)`: `L` bits (a range check),
/// one [`MERKLE_STEP`](crate::poseidon2::MERKLE_STEP) row per level below the cap, the
/// leaf and injection hashes ([`hash_pad_free_packed`](poseidon2::hash_pad_free_packed):
/// one permutation per 8 values, one pack per 4), one compression per injected height, and
/// `2·(2^k − 1)` selects for the cap root.
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use fixpoint_circuit_prover::KoalaBearExt as F;
/// use fixpoint_circuit_prover::merkle::{self, MatrixShape, MerkleShape};
///
/// let shape = MerkleShape {
///     matrices: vec![MatrixShape { height: 8, width: 3 }, MatrixShape { height: 4, width: 2 }],
///     cap_height: 1,
/// };
/// let mut b = CircuitBuilder::<F>::new();
/// let cap: Vec<_> = (0..2).map(|_| merkle::public_digest(&mut b)).collect();
/// let index = b.public_input();
/// let rows = vec![b.public_inputs(3), b.public_inputs(2)];
/// let path = merkle::verify_batch(&mut b, &shape, &cap, index, &rows)?;
/// assert_eq!(path.levels.len(), 2); // 8 leaves, a cap of 2 roots
/// # Ok::<(), merkle::MerkleError>(())
/// ```
pub fn verify_batch<F: Field>(
    builder: &mut CircuitBuilder<F>,
    shape: &MerkleShape,
    cap: &[Digest],
    index: Target,
    rows: &[Vec<Target>],
) -> Result<MerklePath, MerkleError> {
    let log_height = check_batch(shape, cap, rows)?;
    let levels = shape.levels()?;
    let max_bits = fixpoint_circuit::max_range_bits::<F>();
    if log_height > max_bits {
        return Err(MerkleError::TooTall {
            log_height,
            max: max_bits,
        });
    }
    builder.scope("merkle", |b| {
        let bits = if log_height == 0 {
            b.assert_zero(index);
            Vec::new()
        } else {
            b.to_bits(index, log_height)
        };
        Ok(walk_batch(b, shape, cap, &bits, rows, levels))
    })
}

/// [`verify_batch`] with the index given as its `log2(tallest)` bits, least significant
/// first, already constrained by the caller (e.g. the low bits of a query index).
pub fn verify_batch_bits<F: Field>(
    builder: &mut CircuitBuilder<F>,
    shape: &MerkleShape,
    cap: &[Digest],
    bits: &[Target],
    rows: &[Vec<Target>],
) -> Result<MerklePath, MerkleError> {
    let log_height = check_batch(shape, cap, rows)?;
    if bits.len() != log_height {
        return Err(MerkleError::IndexBits {
            expected: log_height,
            got: bits.len(),
        });
    }
    let levels = shape.levels()?;
    Ok(builder.scope("merkle", |b| walk_batch(b, shape, cap, bits, rows, levels)))
}

/// Verifies that `leaf` is the digest at the index whose bits are `bits` (least significant
/// first) in a tree of `2^bits.len()` leaves with the given cap height: one matrix, its
/// leaf already hashed (e.g. `hash_slots_packed` of an extension row).
pub fn verify_digest_bits<F: Field>(
    builder: &mut CircuitBuilder<F>,
    cap_height: usize,
    cap: &[Digest],
    bits: &[Target],
    leaf: Digest,
) -> Result<MerklePath, MerkleError> {
    verify_digest_bits_with(builder, cap_height, cap, bits, leaf, Steps::Plain)
}

/// [`verify_digest_bits`] with its levels proved as `steps` says (a shared tree's path
/// reads its node at the tree's top instead of climbing to the cap).
pub fn verify_digest_bits_with<F: Field>(
    builder: &mut CircuitBuilder<F>,
    cap_height: usize,
    cap: &[Digest],
    bits: &[Target],
    leaf: Digest,
    steps: Steps<'_>,
) -> Result<MerklePath, MerkleError> {
    let cap_bits = cap_height.min(bits.len());
    if cap.len() != 1 << cap_bits {
        return Err(MerkleError::CapSize {
            expected: 1 << cap_bits,
            got: cap.len(),
        });
    }
    let levels = bits.len() - cap_bits;
    check_read(steps, levels, cap.len(), bits.len())?;
    Ok(builder.scope("merkle", |b| {
        climb(b, leaf, bits, levels, cap, steps, |_, _| None)
    }))
}

/// The checks of a path that reads a shared node: one root, at least one level climbed,
/// no matrix injected at or above the top (`shortest` is log2 of the shortest matrix).
fn check_read(
    steps: Steps<'_>,
    levels: usize,
    cap_roots: usize,
    shortest: usize,
) -> Result<(), MerkleError> {
    if let Steps::Read { tree, .. } = steps {
        let top = tree.top();
        if cap_roots != 1 || levels <= top || shortest <= top {
            return Err(MerkleError::SharedTop {
                top,
                levels,
                cap_roots,
                shortest,
            });
        }
    }
    Ok(())
}

/// The opened values of every matrix of one height in a batch, concatenated in commit
/// order (the stream p3's leaf or injection hash absorbs), four base values per packed
/// slot: `slots` hold the first `4·slots.len()` values as their coordinates and `tail` the
/// rest (fewer than four), one base value per slot.
///
/// A packed slot is absorbed as it is, with no [`PACK`](crate::poseidon2::PACK) row; its
/// coordinates are base values by construction, so the hash binds exactly the four lanes
/// that a reader of the slot (such as a [`horner::step`](crate::horner::step)) uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackedRow {
    /// Four values per slot, in order.
    pub slots: Vec<Target>,
    /// The last `width % 4` values, one per slot.
    pub tail: Vec<Target>,
}

impl PackedRow {
    /// A packed row of `width` new private inputs: `width / 4` packed slots, then the tail.
    pub fn private<F: Field>(builder: &mut CircuitBuilder<F>, width: usize) -> Self {
        PackedRow {
            slots: builder.private_inputs(width / poseidon2::LANES),
            tail: builder.private_inputs(width % poseidon2::LANES),
        }
    }

    /// Values the row holds.
    pub fn len(&self) -> usize {
        self.slots.len() * poseidon2::LANES + self.tail.len()
    }

    /// Whether the row holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The distinct matrix heights of `shape`, tallest first: the order of [`PackedRow`]s.
pub fn distinct_heights(shape: &MerkleShape) -> Vec<usize> {
    let mut heights: Vec<usize> = shape.matrices.iter().map(|m| m.height).collect();
    heights.sort_unstable_by(|a, b| b.cmp(a));
    heights.dedup();
    heights
}

/// [`verify_batch_bits`] with the opened rows packed: one [`PackedRow`] per distinct
/// height, tallest first ([`distinct_heights`]). The leaf and injection hashes absorb the
/// packed slots directly ([`poseidon2::hash_packed_row`]).
///
/// ```
/// use fixpoint_circuit::CircuitBuilder;
/// use fixpoint_circuit_prover::KoalaBearExt as F;
/// use fixpoint_circuit_prover::merkle::{self, MatrixShape, MerkleShape, PackedRow};
///
/// let shape = MerkleShape {
///     matrices: vec![MatrixShape { height: 8, width: 6 }, MatrixShape { height: 4, width: 4 }],
///     cap_height: 0,
/// };
/// let mut b = CircuitBuilder::<F>::new();
/// let cap = vec![merkle::public_digest(&mut b)];
/// let bits = b.public_inputs(3);
/// let rows = vec![PackedRow::private(&mut b, 6), PackedRow::private(&mut b, 4)];
/// let path = merkle::verify_batch_packed_bits(&mut b, &shape, &cap, &bits, &rows)?;
/// assert_eq!(path.levels.len(), 3);
/// # Ok::<(), merkle::MerkleError>(())
/// ```
pub fn verify_batch_packed_bits<F: Field>(
    builder: &mut CircuitBuilder<F>,
    shape: &MerkleShape,
    cap: &[Digest],
    bits: &[Target],
    rows: &[PackedRow],
) -> Result<MerklePath, MerkleError> {
    verify_batch_packed_bits_with(builder, shape, cap, bits, rows, Steps::Plain)
}

/// [`verify_batch_packed_bits`] with its levels proved as `steps` says (a shared tree's
/// path reads its node at the tree's top instead of climbing to the cap).
pub fn verify_batch_packed_bits_with<F: Field>(
    builder: &mut CircuitBuilder<F>,
    shape: &MerkleShape,
    cap: &[Digest],
    bits: &[Target],
    rows: &[PackedRow],
    steps: Steps<'_>,
) -> Result<MerklePath, MerkleError> {
    let log_height = check_tree(shape, cap)?;
    let heights = distinct_heights(shape);
    if rows.len() != heights.len() {
        return Err(MerkleError::PackedRowCount {
            expected: heights.len(),
            got: rows.len(),
        });
    }
    for (&height, row) in heights.iter().zip(rows) {
        let width: usize = shape
            .matrices
            .iter()
            .filter(|m| m.height == height)
            .map(|m| m.width)
            .sum();
        if row.slots.len() != width / poseidon2::LANES || row.tail.len() != width % poseidon2::LANES
        {
            return Err(MerkleError::PackedRowLayout {
                height,
                width,
                slots: row.slots.len(),
                tail: row.tail.len(),
            });
        }
    }
    if bits.len() != log_height {
        return Err(MerkleError::IndexBits {
            expected: log_height,
            got: bits.len(),
        });
    }
    let levels = shape.levels()?;
    let shortest = heights.last().map_or(0, |h| h.trailing_zeros() as usize);
    check_read(steps, levels, cap.len(), shortest)?;
    Ok(builder.scope("merkle", |b| {
        let leaf = poseidon2::hash_packed_row(b, &rows[0].slots, &rows[0].tail);
        let mut next = 1;
        climb(b, leaf, bits, levels, cap, steps, |b, level| {
            let height = 1 << (log_height - level - 1);
            let row = rows.get(next).filter(|_| heights[next] == height)?;
            next += 1;
            Some(poseidon2::hash_packed_row(b, &row.slots, &row.tail))
        })
    }))
}

/// The checks of every batch opening on the shape and the cap; returns `log2(tallest)`.
fn check_tree(shape: &MerkleShape, cap: &[Digest]) -> Result<usize, MerkleError> {
    let log_height = shape.log_height()?;
    let cap_roots = shape.cap_roots()?;
    if cap.len() != cap_roots {
        return Err(MerkleError::CapSize {
            expected: cap_roots,
            got: cap.len(),
        });
    }
    for (matrix, m) in shape.matrices.iter().enumerate() {
        if m.height < cap_roots {
            return Err(MerkleError::BelowCap {
                matrix,
                height: m.height,
                cap_layer: cap_roots,
            });
        }
    }
    Ok(log_height)
}

/// The checks of [`verify_batch`] that do not depend on the index; returns `log2(tallest)`.
fn check_batch(
    shape: &MerkleShape,
    cap: &[Digest],
    rows: &[Vec<Target>],
) -> Result<usize, MerkleError> {
    let log_height = check_tree(shape, cap)?;
    if rows.len() != shape.matrices.len() {
        return Err(MerkleError::RowCount {
            expected: shape.matrices.len(),
            got: rows.len(),
        });
    }
    for (matrix, (m, row)) in shape.matrices.iter().zip(rows).enumerate() {
        if row.len() != m.width {
            return Err(MerkleError::RowWidth {
                matrix,
                expected: m.width,
                got: row.len(),
            });
        }
    }
    Ok(log_height)
}

/// Hashes the tallest rows into the leaf and climbs, injecting shorter matrices.
fn walk_batch<F: Field>(
    b: &mut CircuitBuilder<F>,
    shape: &MerkleShape,
    cap: &[Digest],
    bits: &[Target],
    rows: &[Vec<Target>],
    levels: usize,
) -> MerklePath {
    let log_height = bits.len();
    // Tallest first, stable: the order p3 hashes in.
    let mut order: Vec<usize> = (0..shape.matrices.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(shape.matrices[i].height));
    let rows_of_height = |height: usize| -> Vec<Target> {
        order
            .iter()
            .filter(|&&i| shape.matrices[i].height == height)
            .flat_map(|&i| rows[i].iter().copied())
            .collect()
    };
    let leaves = rows_of_height(1 << log_height);
    let leaf = poseidon2::hash_pad_free_packed(b, &leaves);
    climb(b, leaf, bits, levels, cap, Steps::Plain, |b, level| {
        let height = 1 << (log_height - level - 1);
        shape
            .matrices
            .iter()
            .any(|m| m.height == height)
            .then(|| poseidon2::hash_pad_free_packed(b, &rows_of_height(height)))
    })
}

/// One step per level (compressing in what `inject` returns after it), then the top bits
/// select the cap root that the digest must equal; or, for [`Steps::Read`], steps up to
/// the shared tree's top, the last of which reads its node there.
fn climb<F: Field>(
    b: &mut CircuitBuilder<F>,
    mut digest: Digest,
    bits: &[Target],
    levels: usize,
    cap: &[Digest],
    steps: Steps<'_>,
    mut inject: impl FnMut(&mut CircuitBuilder<F>, usize) -> Option<Digest>,
) -> MerklePath {
    let climbed = match steps {
        Steps::Read { tree, .. } => bits.len() - tree.top(),
        Steps::Plain | Steps::Shared => levels,
    };
    let mut path = Vec::with_capacity(climbed);
    for (level, &bit) in bits.iter().take(climbed).enumerate() {
        let (call, next) = match steps {
            Steps::Plain => poseidon2::merkle_step(b, &digest, bit),
            Steps::Shared => {
                let none = NodePorts::none(b);
                poseidon2::shared_merkle_step(b, &digest, bit, none)
            }
            Steps::Read { tree, position } => {
                let node = match level + 1 == climbed {
                    true => tree.read(b, position),
                    false => NodePorts::none(b),
                };
                poseidon2::shared_merkle_step(b, &digest, bit, node)
            }
        };
        path.push(call);
        digest = next;
        // `check_read` ruled out an injection at or above a shared top.
        if let Some(injected) = inject(b, level) {
            digest = poseidon2::compress_packed(b, &digest, &injected);
        }
    }
    let shared = !matches!(steps, Steps::Plain);
    if let Steps::Read { .. } = steps {
        return MerklePath {
            levels: path,
            shared,
        };
    }
    // The top bits pick the cap root: a tree of selects, lowest bit first.
    let mut candidates: Vec<Digest> = cap.to_vec();
    for &bit in &bits[levels..] {
        candidates = candidates
            .chunks(2)
            .map(|pair| std::array::from_fn(|j| b.select(bit, pair[1][j], pair[0][j])))
            .collect();
    }
    for (&computed, &root) in digest.iter().zip(&candidates[0]) {
        b.connect(computed, root);
    }
    MerklePath {
        levels: path,
        shared,
    }
}
