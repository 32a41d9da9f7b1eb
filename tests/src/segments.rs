//! Fibonacci segments: a long Fibonacci run split into segments whose statements chain by
//! their state, the workload of the aggregation tests and of the `aggregate_fibonacci`
//! example.
//!
//! A segment's statement is a [`Segment`]: the state `(a, b)` before it, the state after
//! it and its step count. A segment circuit of `n` steps proves `post = fₙ(pre)` and
//! `steps = n`; [`chain`] is the combine function of a proof tree over segments: the
//! children must chain (each one's post-state the next one's pre-state), and the node's
//! statement runs from the first pre-state to the last post-state over the sum of the steps.

use fixpoint_circuit::{BuildError, Circuit, CircuitBuilder, CircuitIo, Target};
use fixpoint_circuit_prover::FieldFamily;
use fixpoint_recursion::tree::Combine;
use fixpoint_recursion::uni_stark::Ext;
use p3_field::Field;

/// A segment's statement: its pre-state, its post-state and its step count.
#[derive(CircuitIo)]
pub struct Segment {
    /// The state `(a, b)` before the segment.
    pub pre: [Target; 2],
    /// The state after it.
    pub post: [Target; 2],
    /// How many Fibonacci steps it takes.
    pub steps: Target,
}

/// The circuit of a segment of `steps` Fibonacci steps `(a, b) → (b, a + b)`, its
/// statement a [`Segment`] of public inputs.
///
/// ```
/// use fixpoint_tests::segments::{segment_circuit, segment_values};
/// use p3_koala_bear::KoalaBear as F;
///
/// let circuit = segment_circuit::<F>(4)?;
/// let mut runner = circuit.runner();
/// runner.set_public_inputs(&segment_values::<F>([0, 1], 4))?; // (0, 1) → (3, 5)
/// runner.run()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn segment_circuit<F: Field>(steps: usize) -> Result<Circuit<F>, BuildError<F>> {
    let mut b = CircuitBuilder::<F>::new();
    let segment = Segment::allocate(&mut b, &SegmentLengths::default());
    let [mut a, mut c] = segment.pre;
    b.scope("fib", |b| {
        for _ in 0..steps {
            let next = b.add(a, c);
            (a, c) = (c, next);
        }
    });
    b.connect(a, segment.post[0]);
    b.connect(c, segment.post[1]);
    let count = b.const_u64(steps as u64);
    b.connect(count, segment.steps);
    b.build()
}

/// `steps` Fibonacci steps from `(a, b)`, over `u64` modulo the field (as field values).
fn run<F: Field>(pre: [F; 2], steps: usize) -> [F; 2] {
    (0..steps).fold(pre, |[a, b], _| [b, a + b])
}

/// The public inputs of the segment of `steps` steps from `pre`: its [`Segment`] values,
/// flattened.
pub fn segment_values<F: Field>(pre: [u32; 2], steps: usize) -> Vec<F> {
    let pre = pre.map(F::from_u32);
    segment_from(pre, steps)
}

/// The flattened [`Segment`] of `steps` steps from the field state `pre`.
pub fn segment_from<F: Field>(pre: [F; 2], steps: usize) -> Vec<F> {
    let post = run(pre, steps);
    vec![pre[0], pre[1], post[0], post[1], F::from_usize(steps)]
}

/// The statements of `count` consecutive segments of `steps` steps each, from `(0, 1)`.
pub fn chained_segments<F: Field>(count: usize, steps: usize) -> Vec<Vec<F>> {
    let mut pre = [F::ZERO, F::ONE];
    (0..count)
        .map(|_| {
            let values = segment_from(pre, steps);
            pre = [values[2], values[3]];
            values
        })
        .collect()
}

/// The combine function of segment trees: the children chain, and the node runs from the
/// first pre-state to the last post-state over their summed steps.
pub fn chain<F: FieldFamily>() -> Combine<F, Segment> {
    Combine::new(|b: &mut CircuitBuilder<Ext<F>>, children: &[Segment]| {
        for pair in children.windows(2) {
            b.scope("chained", |b| {
                // Lowering merges the two inputs into one slot (no row): a broken chain is a
                // conflict of the two values at whichever input the runner meets second.
                b.assert_eq(pair[0].post[0], pair[1].pre[0]);
                b.assert_eq(pair[0].post[1], pair[1].pre[1]);
            });
        }
        let steps = children[1..]
            .iter()
            .fold(children[0].steps, |acc, c| b.add(acc, c.steps));
        Segment {
            pre: children[0].pre,
            post: children[children.len() - 1].post,
            steps,
        }
    })
}
