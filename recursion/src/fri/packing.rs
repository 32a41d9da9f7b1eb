//! How a query's opened rows enter the circuit: packed, four base values per slot.
//!
//! p3 hashes the rows of every matrix of one height in a batch as one stream (commit
//! order). That stream is the unit of packing: its values fill slots four at a time
//! ([`PackedRow`]), which the Merkle hash absorbs as they are and the reduced openings
//! read with one [`horner::step`] per four slots. A matrix's values are a span of its height's
//! stream; where a span starts or ends inside a slot, that slot is unpacked once and its
//! lanes are summed by primitive ops.

use std::collections::HashMap;

use fixpoint_circuit::{CircuitBuilder, CircuitField, Target};
use fixpoint_circuit_prover::horner;
use fixpoint_circuit_prover::merkle::PackedRow;
use fixpoint_circuit_prover::poseidon2::{self, LANES};
use p3_field::{BasedVectorSpace, Field};

/// Where one matrix's values sit: its height's stream and the span in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    /// The position of the height's stream among the batch's, tallest first.
    pub stream: usize,
    /// The first value of the matrix in the stream.
    pub start: usize,
    /// One past its last value.
    pub end: usize,
}

/// A batch's streams (tallest first, each the total width of its height's matrices) and
/// the span of every matrix, in commit order. `heights` and `widths` are per matrix.
pub(crate) fn layout(heights: &[usize], widths: &[usize]) -> (Vec<usize>, Vec<Span>) {
    let mut distinct: Vec<usize> = heights.to_vec();
    distinct.sort_unstable_by(|a, b| b.cmp(a));
    distinct.dedup();
    let mut lengths = vec![0; distinct.len()];
    let spans = heights
        .iter()
        .zip(widths)
        .map(|(h, &w)| {
            let stream = distinct.iter().position(|d| d == h).unwrap_or_default();
            let start = lengths[stream];
            lengths[stream] += w;
            Span {
                stream,
                start,
                end: start + w,
            }
        })
        .collect();
    (lengths, spans)
}

/// [`layout`] of a batch of the shape.
pub(crate) fn batch_layout(batch: &[crate::pcs::MatrixClaim]) -> (Vec<usize>, Vec<Span>) {
    let heights: Vec<usize> = batch.iter().map(|m| m.log_height).collect();
    let widths: Vec<usize> = batch.iter().map(|m| m.width).collect();
    layout(&heights, &widths)
}

/// Consecutive matrices of one batch that share one row sum at `x` ([`opening_runs`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Run {
    /// The run's first matrix in the batch.
    pub first: usize,
    /// The matrices' spans joined.
    pub span: Span,
    /// How many matrices the run holds.
    pub matrices: usize,
}

/// Every batch's matrices in runs that share one row sum at `x`, computed once for every
/// query: consecutive matrices opened at one and the same point, whose spans follow each
/// other in one stream and whose ladder offsets do too, as the preprocessed and quotient
/// batches' matrices of one height. Their terms `α^{o_m}·Σ_j α^j·v_{m,j}` are then one
/// `α^{o}·Σ_j α^j·v_j` over the joined span, so no slot the matrices share is unpacked and
/// no sum is shifted twice. The value is the same polynomial in the opened values, so the
/// check is p3's, term for term. `openings` and `points` are per (batch, matrix, point).
pub(crate) fn opening_runs(
    shape: &crate::pcs::PcsShape,
    openings: &[(usize, usize)],
    points: &[Target],
) -> Vec<Vec<Run>> {
    let mut opening = 0;
    let mut batches = Vec::with_capacity(shape.commitments.len());
    for claims in &shape.commitments {
        let (_, spans) = batch_layout(claims);
        let mut runs: Vec<Run> = Vec::new();
        for (m, (claim, &span)) in claims.iter().zip(&spans).enumerate() {
            let joins = |run: &Run| {
                // `m ≥ 1` here, and both matrices have their one opening: `opening − 1`
                // is the previous matrix's.
                let previous = &claims[m - 1];
                claim.points == 1
                    && previous.points == 1
                    && span.stream == run.span.stream
                    && span.start == run.span.end
                    && points[opening] == points[opening - 1]
                    && {
                        let (height, offset) = openings[opening - 1];
                        openings[opening] == (height, offset + previous.width)
                    }
            };
            match runs.last_mut() {
                Some(last) if joins(last) => {
                    last.span.end = span.end;
                    last.matrices += 1;
                }
                _ => runs.push(Run {
                    first: m,
                    span,
                    matrices: 1,
                }),
            }
            opening += claim.points;
        }
        batches.push(runs);
    }
    batches
}

/// A batch's opened rows as private-input values, in [`PackedRow::private`] order: per
/// stream, four base values per slot, then the tail one per slot.
pub(crate) fn pack_batch<V: Field, EF: BasedVectorSpace<V> + From<V>>(
    heights: &[usize],
    rows: &[Vec<V>],
) -> Vec<EF> {
    let widths: Vec<usize> = rows.iter().map(Vec::len).collect();
    let (lengths, spans) = layout(heights, &widths);
    let mut streams: Vec<Vec<V>> = lengths.iter().map(|&n| Vec::with_capacity(n)).collect();
    for (span, row) in spans.iter().zip(rows) {
        streams[span.stream].extend_from_slice(row);
    }
    let mut values = Vec::new();
    for stream in &streams {
        let full = stream.len() / LANES * LANES;
        values.extend(
            stream[..full]
                .chunks(LANES)
                .map(|lanes| EF::from_basis_coefficients_fn(|k| lanes[k])),
        );
        values.extend(stream[full..].iter().map(|&v| EF::from(v)));
    }
    values
}

/// The base values of one query's streams, unpacked on demand (once per slot).
pub(crate) struct Lanes<'a> {
    rows: &'a [PackedRow],
    unpacked: HashMap<(usize, usize), [Target; LANES]>,
}

impl<'a> Lanes<'a> {
    /// The streams of one batch, tallest first.
    pub(crate) fn new(rows: &'a [PackedRow]) -> Self {
        Lanes {
            rows,
            unpacked: HashMap::new(),
        }
    }

    /// Value `position` of stream `stream`, as a base value in a slot of its own.
    fn value<F: Field>(
        &mut self,
        builder: &mut CircuitBuilder<F>,
        stream: usize,
        position: usize,
    ) -> Target {
        let row = &self.rows[stream];
        let slot = position / LANES;
        if slot >= row.slots.len() {
            return row.tail[position - row.slots.len() * LANES];
        }
        let packed = row.slots[slot];
        let lanes = self
            .unpacked
            .entry((stream, slot))
            .or_insert_with(|| poseidon2::unpack(builder, packed));
        lanes[position % LANES]
    }

    /// `Σ_j α^j·v_j` over the values `v` of `span` (`alpha_powers` from `α⁰`, at least as
    /// long as the span): whole slots by [`horner::sum_packed`], the values of a slot the
    /// span shares with a neighbour, and the tail, by an inner product.
    pub(crate) fn sum<F: CircuitField>(
        &mut self,
        builder: &mut CircuitBuilder<F>,
        span: Span,
        alpha: Target,
        alpha_powers: &[Target],
    ) -> Target {
        let first = span.start.div_ceil(LANES);
        let last = (span.end / LANES).min(self.rows[span.stream].slots.len());
        let mut weighted = |b: &mut CircuitBuilder<F>, range: std::ops::Range<usize>| {
            let values: Vec<Target> = range.map(|p| self.value(b, span.stream, p)).collect();
            (!values.is_empty()).then(|| b.inner_product(&alpha_powers[..values.len()], &values))
        };
        if first >= last {
            return weighted(builder, span.start..span.end).unwrap_or_else(|| builder.zero());
        }
        let head = weighted(builder, span.start..first * LANES);
        let tail = weighted(builder, last * LANES..span.end);
        let slots = self.rows[span.stream].slots[first..last].to_vec();
        let body = match tail {
            // A chain whose top row is padded starts from zero (see `sum_packed`); the
            // tail's weight `α^(4n)` is on the ladder already.
            Some(tail) if slots.len() % horner::SLOTS != 0 => {
                let body = horner::sum_packed(builder, None, alpha, &slots);
                let shifted = builder.mul(tail, alpha_powers[slots.len() * LANES]);
                builder.add(body, shifted)
            }
            tail => horner::sum_packed(builder, tail, alpha, &slots),
        };
        match head {
            None => body,
            Some(head) => {
                let shifted = builder.mul(body, alpha_powers[first * LANES - span.start]);
                builder.add(head, shifted)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_concatenates_each_heights_matrices_in_commit_order() {
        let (lengths, spans) = layout(&[3, 4, 3, 4], &[5, 2, 6, 7]);
        assert_eq!(lengths, vec![9, 11]);
        let expected = [(1, 0, 5), (0, 0, 2), (1, 5, 11), (0, 2, 9)];
        for (span, (stream, start, end)) in spans.iter().zip(expected) {
            assert_eq!((span.stream, span.start, span.end), (stream, start, end));
        }
    }

    #[test]
    fn a_packed_batch_puts_four_values_per_slot_then_the_tail() {
        use p3_field::PrimeCharacteristicRing;
        use p3_field::extension::BinomialExtensionField;
        use p3_koala_bear::KoalaBear as V;
        type E = BinomialExtensionField<V, 4>;
        let v = |n: u32| V::from_u32(n);
        let rows = vec![vec![v(1), v(2), v(3)], vec![v(4), v(5), v(6)]];
        let values: Vec<E> = pack_batch(&[2, 2], &rows);
        assert_eq!(values.len(), 3);
        assert_eq!(
            BasedVectorSpace::<V>::as_basis_coefficients_slice(&values[0]),
            &[v(1), v(2), v(3), v(4)]
        );
        assert_eq!(values[1], E::from(v(5)));
        assert_eq!(values[2], E::from(v(6)));
    }
}
