//! The shadow transcript: the native verifier's observe/sample sequence next to the
//! circuit's, and the first place they differ.
//!
//! Record the native side with [`RecordingChallenger`] (it wraps p3's challenger and
//! implements the same traits, so p3's own verifier can run on it). The circuit side is
//! [`CircuitChallenger::transcript`](crate::CircuitChallenger::transcript): one event per
//! base lane, with the builder scope that emitted it; a run gives the lanes their values.
//! [`compare`] reports the first divergence: its position, the operation, both values and
//! the scope.

use std::fmt;

use fixpoint_circuit::CircuitField;
use fixpoint_circuit::{Circuit, Target, Traces};
use p3_challenger::{CanObserve, CanSample, CanSampleBits, FieldChallenger, GrindingChallenger};
use p3_field::{Field, PrimeField64};
use p3_symmetric::MerkleCap;

/// Whether the transcript absorbed or squeezed a lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TranscriptOp {
    /// A base value observed.
    Observe,
    /// A base value sampled.
    Sample,
}

impl fmt::Display for TranscriptOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TranscriptOp::Observe => "observe",
            TranscriptOp::Sample => "sample",
        })
    }
}

/// Where a lane's value lives in the circuit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane<V> {
    /// A base value in its own slot.
    Slot(Target),
    /// Coordinate `k` of a packed slot.
    Coord(Target, usize),
    /// A constant.
    Const(V),
}

/// One lane of the circuit's transcript.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TranscriptEvent<V> {
    /// Observe or sample.
    pub op: TranscriptOp,
    /// The lane.
    pub lane: Lane<V>,
    /// The builder scope that emitted it.
    pub scope: String,
}

/// One lane of the native transcript.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NativeEvent<V> {
    /// Observe or sample.
    pub op: TranscriptOp,
    /// The value.
    pub value: V,
}

/// A p3 challenger that records every base observe and sample.
///
/// ```
/// use p3_challenger::{CanObserve, CanSample, DuplexChallenger};
/// use p3_koala_bear::{KoalaBear as V, default_koalabear_poseidon2_16};
/// use fixpoint_recursion::transcript::{RecordingChallenger, TranscriptOp};
///
/// let inner = DuplexChallenger::<V, _, 16, 8>::new(default_koalabear_poseidon2_16());
/// let mut challenger = RecordingChallenger::new(inner);
/// challenger.observe(V::new(5));
/// let _: V = challenger.sample();
/// assert_eq!(challenger.events[0].op, TranscriptOp::Observe);
/// assert_eq!(challenger.events.len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct RecordingChallenger<C, V> {
    /// The wrapped challenger.
    pub inner: C,
    /// Every base observe and sample, in order.
    pub events: Vec<NativeEvent<V>>,
}

impl<C, V> RecordingChallenger<C, V> {
    /// Wraps `inner`, with an empty record.
    pub fn new(inner: C) -> Self {
        RecordingChallenger {
            inner,
            events: Vec::new(),
        }
    }
}

impl<C: CanObserve<V>, V: Copy> CanObserve<V> for RecordingChallenger<C, V> {
    fn observe(&mut self, value: V) {
        self.events.push(NativeEvent {
            op: TranscriptOp::Observe,
            value,
        });
        self.inner.observe(value);
    }
}

impl<C: CanObserve<V>, V: Copy, const N: usize> CanObserve<MerkleCap<V, [V; N]>>
    for RecordingChallenger<C, V>
{
    /// Every root in order, each as its elements: as `DuplexChallenger` observes a cap.
    fn observe(&mut self, cap: MerkleCap<V, [V; N]>) {
        for root in cap.roots() {
            for &value in root {
                self.observe(value);
            }
        }
    }
}

impl<C: CanSample<V>, V: Copy> CanSample<V> for RecordingChallenger<C, V> {
    fn sample(&mut self) -> V {
        let value = self.inner.sample();
        self.events.push(NativeEvent {
            op: TranscriptOp::Sample,
            value,
        });
        value
    }
}

impl<C: CanSample<V>, V: PrimeField64> CanSampleBits<usize> for RecordingChallenger<C, V> {
    /// As `DuplexChallenger`: the low bits of one canonical sample.
    fn sample_bits(&mut self, bits: usize) -> usize {
        let value: V = self.sample();
        (value.as_canonical_u64() & ((1u64 << bits) - 1)) as usize
    }
}

impl<C, V> FieldChallenger<V> for RecordingChallenger<C, V>
where
    C: CanObserve<V> + CanSample<V> + Sync,
    V: PrimeField64,
{
}

impl<C, V> GrindingChallenger for RecordingChallenger<C, V>
where
    C: GrindingChallenger<Witness = V> + CanSample<V> + Clone,
    V: PrimeField64,
{
    type Witness = V;

    /// Grinds on a copy of the inner challenger, then replays the check here, so the
    /// record holds the witness and the PoW sample.
    fn grind(&mut self, bits: usize) -> V {
        let witness = self.inner.clone().grind(bits);
        assert!(
            self.check_witness(bits, witness),
            "the ground witness passes"
        );
        witness
    }
}

/// The first place two transcripts differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence<V> {
    /// Position in the transcript (base lanes from the start).
    pub position: usize,
    /// What the native verifier did there (`None`: its transcript ended).
    pub expected: Option<NativeEvent<V>>,
    /// What the circuit did there (`None`: its transcript ended), with the lane's value.
    pub actual: Option<(TranscriptOp, V)>,
    /// The builder scope that emitted the circuit's event.
    pub scope: Option<String>,
    /// The last agreeing events before it (at most 3), for context: op, value, scope.
    pub context: Vec<(TranscriptOp, V, String)>,
}

impl<V: fmt::Display> fmt::Display for Divergence<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "transcripts diverge at lane {}", self.position)?;
        for (op, value, scope) in &self.context {
            writeln!(f, "    {op:<7} {value:>10}  in `{scope}`  (agree)")?;
        }
        match &self.expected {
            Some(e) => writeln!(f, "  native:  {:<7} {:>10}", e.op, e.value)?,
            None => writeln!(f, "  native:  (transcript ended)")?,
        }
        match (&self.actual, &self.scope) {
            (Some((op, value)), Some(scope)) => {
                writeln!(f, "  circuit: {op:<7} {value:>10}  in `{scope}`")
            }
            _ => writeln!(f, "  circuit: (transcript ended)"),
        }
    }
}

/// The value of a lane in a run of `circuit`, or `None` if the target has no slot.
pub fn lane_value<F: CircuitField>(
    circuit: &Circuit<F>,
    traces: &Traces<F>,
    lane: &Lane<F::PrimeSubfield>,
) -> Option<F::PrimeSubfield> {
    let slot_value = |target: Target| {
        let id = circuit.witness_of(target)?;
        traces.witness.get(id)
    };
    match *lane {
        Lane::Const(value) => Some(value),
        Lane::Slot(target) => Some(slot_value(target)?.as_basis_coefficients_slice()[0]),
        Lane::Coord(target, k) => {
            let coords = slot_value(target)?;
            coords.as_basis_coefficients_slice().get(k).copied()
        }
    }
}

/// Compares the native transcript with the circuit's, as run: `Ok` if they are the same
/// sequence of operations and values, else the first [`Divergence`].
pub fn compare<F: CircuitField>(
    native: &[NativeEvent<F::PrimeSubfield>],
    circuit: &Circuit<F>,
    traces: &Traces<F>,
    events: &[TranscriptEvent<F::PrimeSubfield>],
) -> Result<(), Box<Divergence<F::PrimeSubfield>>>
where
    F::PrimeSubfield: Field,
{
    let value = |e: &TranscriptEvent<F::PrimeSubfield>| {
        lane_value(circuit, traces, &e.lane).unwrap_or_default()
    };
    let len = native.len().max(events.len());
    for position in 0..len {
        let expected = native.get(position).copied();
        let actual = events.get(position).map(|e| (e.op, value(e)));
        if expected.map(|e| (e.op, e.value)) != actual {
            let context = events[position.saturating_sub(3)..position.min(events.len())]
                .iter()
                .map(|e| (e.op, value(e), e.scope.clone()))
                .collect();
            return Err(Box::new(Divergence {
                position,
                expected,
                actual,
                scope: events.get(position).map(|e| e.scope.clone()),
                context,
            }));
        }
    }
    Ok(())
}
