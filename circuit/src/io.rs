//! Typed circuit inputs: public or private inputs allocated and filled through a struct, so
//! their order is a type's job, not the caller's.
//!
//! Derive [`CircuitIo`] (from `fixpoint-macros`, re-exported here) on a struct whose fields
//! are [`Target`]s, arrays, `Vec`s, `Option`s or other `CircuitIo` structs. The derive
//! generates a `…Values<F>` struct with the same field names, a `…Lengths` struct for the
//! `Vec` and `Option` fields, and the allocation and flattening code, both in field order.
//!
//! A struct allocated as private inputs ([`CircuitIo::allocate_private`]), for example inside
//! a [`private group`](crate::CircuitBuilder::private_group), is filled from its values and
//! lengths alone ([`CircuitIo::flatten_shaped`]): the side that assigns a proof's values needs
//! the shape, not the circuit's targets.

pub use p3_field::Field;
use thiserror::Error;

use crate::arena::Target;
use crate::builder::CircuitBuilder;
use crate::exec::{RunError, Runner};

/// Why typed values could not be turned into public inputs.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum IoError {
    /// A `Vec` of values has another length than the `Vec` of targets it fills.
    #[error("`{field}` has {got} values but {expected} targets were allocated")]
    LengthMismatch {
        /// The field's path, such as `claim.history`.
        field: String,
        /// Allocated length.
        expected: usize,
        /// Given length.
        got: usize,
    },
    /// An `Option` of values is present where the targets are absent, or the other way.
    #[error("`{field}` is {}, but its targets are {}", presence(.got), presence(.expected))]
    PresenceMismatch {
        /// The field's path, such as `instances[2].trace_next`.
        field: String,
        /// Whether targets were allocated.
        expected: bool,
        /// Whether values were given.
        got: bool,
    },
    /// The typed inputs do not cover exactly the circuit's public inputs.
    #[error("the typed inputs hold {got} public inputs but the circuit has {expected}")]
    PublicCount {
        /// The circuit's public-input count.
        expected: usize,
        /// The number of flattened values.
        got: usize,
    },
}

/// "present" or "absent", for [`IoError::PresenceMismatch`].
fn presence(present: &bool) -> &'static str {
    if *present { "present" } else { "absent" }
}

/// Which inputs a typed struct is allocated as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// Public inputs ([`CircuitBuilder::public_input`]).
    Public,
    /// Private inputs ([`CircuitBuilder::private_input`]).
    Private,
}

/// A piece of circuit input: a [`Target`], an array, `Vec` or `Option` of pieces, or a
/// struct deriving [`CircuitIo`].
pub trait IoField: Sized {
    /// What allocation needs to know besides the type: the lengths of `Vec`s and whether
    /// each `Option` is present.
    type Lengths: Clone + std::fmt::Debug + Default;
    /// The value type: `F` for a `Target`; arrays, `Vec`s and `Option`s of values;
    /// `…Values<F>`.
    type Values<F: Field>;

    /// Allocates the piece as inputs of `kind`, in field order.
    fn allocate_as<F: Field>(
        builder: &mut CircuitBuilder<F>,
        lengths: &Self::Lengths,
        kind: InputKind,
    ) -> Self;

    /// Appends `values` in allocation order, checked against these targets; `field` names
    /// the piece in errors.
    fn flatten_values<F: Field>(
        &self,
        values: &Self::Values<F>,
        field: &str,
        out: &mut Vec<F>,
    ) -> Result<(), IoError>;

    /// Appends `values` in allocation order, checked against the `lengths` the targets were
    /// allocated with; `field` names the piece in errors.
    fn flatten_shaped_values<F: Field>(
        values: &Self::Values<F>,
        lengths: &Self::Lengths,
        field: &str,
        out: &mut Vec<F>,
    ) -> Result<(), IoError>;

    /// Appends the targets in allocation order.
    fn collect_targets(&self, out: &mut Vec<Target>);
}

impl IoField for Target {
    type Lengths = ();
    type Values<F: Field> = F;

    fn allocate_as<F: Field>(builder: &mut CircuitBuilder<F>, _: &(), kind: InputKind) -> Self {
        match kind {
            InputKind::Public => builder.public_input(),
            InputKind::Private => builder.private_input(),
        }
    }

    fn flatten_values<F: Field>(
        &self,
        value: &F,
        _: &str,
        out: &mut Vec<F>,
    ) -> Result<(), IoError> {
        out.push(*value);
        Ok(())
    }

    fn flatten_shaped_values<F: Field>(
        value: &F,
        _: &(),
        _: &str,
        out: &mut Vec<F>,
    ) -> Result<(), IoError> {
        out.push(*value);
        Ok(())
    }

    fn collect_targets(&self, out: &mut Vec<Target>) {
        out.push(*self);
    }
}

impl<T: IoField, const N: usize> IoField for [T; N] {
    type Lengths = T::Lengths;
    type Values<F: Field> = [T::Values<F>; N];

    fn allocate_as<F: Field>(
        builder: &mut CircuitBuilder<F>,
        lengths: &T::Lengths,
        kind: InputKind,
    ) -> Self {
        std::array::from_fn(|_| T::allocate_as(builder, lengths, kind))
    }

    fn flatten_values<F: Field>(
        &self,
        values: &Self::Values<F>,
        field: &str,
        out: &mut Vec<F>,
    ) -> Result<(), IoError> {
        flatten_elements(self, values, field, out)
    }

    fn flatten_shaped_values<F: Field>(
        values: &Self::Values<F>,
        lengths: &T::Lengths,
        field: &str,
        out: &mut Vec<F>,
    ) -> Result<(), IoError> {
        flatten_shaped_elements::<T, F>(values, lengths, field, out)
    }

    fn collect_targets(&self, out: &mut Vec<Target>) {
        self.iter().for_each(|piece| piece.collect_targets(out));
    }
}

/// Flattens element `i` of `pieces` with element `i` of `values`, naming it `field[i]`.
fn flatten_elements<T: IoField, F: Field>(
    pieces: &[T],
    values: &[T::Values<F>],
    field: &str,
    out: &mut Vec<F>,
) -> Result<(), IoError> {
    for (i, (piece, value)) in pieces.iter().zip(values).enumerate() {
        piece.flatten_values(value, &format!("{field}[{i}]"), out)?;
    }
    Ok(())
}

/// Flattens each element of `values` with the elements' shared `lengths`, naming it
/// `field[i]`.
fn flatten_shaped_elements<T: IoField, F: Field>(
    values: &[T::Values<F>],
    lengths: &T::Lengths,
    field: &str,
    out: &mut Vec<F>,
) -> Result<(), IoError> {
    for (i, value) in values.iter().enumerate() {
        T::flatten_shaped_values(value, lengths, &format!("{field}[{i}]"), out)?;
    }
    Ok(())
}

/// Lengths of a `Vec` field: how many elements, and the lengths inside each element.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VecLengths<L> {
    /// Number of elements.
    pub len: usize,
    /// Lengths of each element (all elements share them).
    pub each: L,
}

impl<L: Default> VecLengths<L> {
    /// `len` elements without inner `Vec`s.
    pub fn of(len: usize) -> Self {
        VecLengths {
            len,
            each: L::default(),
        }
    }
}

impl<T: IoField> IoField for Vec<T> {
    type Lengths = VecLengths<T::Lengths>;
    type Values<F: Field> = Vec<T::Values<F>>;

    fn allocate_as<F: Field>(
        builder: &mut CircuitBuilder<F>,
        lengths: &Self::Lengths,
        kind: InputKind,
    ) -> Self {
        (0..lengths.len)
            .map(|_| T::allocate_as(builder, &lengths.each, kind))
            .collect()
    }

    fn flatten_values<F: Field>(
        &self,
        values: &Self::Values<F>,
        field: &str,
        out: &mut Vec<F>,
    ) -> Result<(), IoError> {
        if values.len() != self.len() {
            return Err(IoError::LengthMismatch {
                field: field.to_owned(),
                expected: self.len(),
                got: values.len(),
            });
        }
        flatten_elements(self, values, field, out)
    }

    fn flatten_shaped_values<F: Field>(
        values: &Self::Values<F>,
        lengths: &Self::Lengths,
        field: &str,
        out: &mut Vec<F>,
    ) -> Result<(), IoError> {
        if values.len() != lengths.len {
            return Err(IoError::LengthMismatch {
                field: field.to_owned(),
                expected: lengths.len,
                got: values.len(),
            });
        }
        flatten_shaped_elements::<T, F>(values, &lengths.each, field, out)
    }

    fn collect_targets(&self, out: &mut Vec<Target>) {
        self.iter().for_each(|piece| piece.collect_targets(out));
    }
}

/// An optional piece: allocated when its lengths are `Some`, and then its values must be
/// `Some` too.
impl<T: IoField> IoField for Option<T> {
    type Lengths = Option<T::Lengths>;
    type Values<F: Field> = Option<T::Values<F>>;

    fn allocate_as<F: Field>(
        builder: &mut CircuitBuilder<F>,
        lengths: &Self::Lengths,
        kind: InputKind,
    ) -> Self {
        lengths
            .as_ref()
            .map(|lengths| T::allocate_as(builder, lengths, kind))
    }

    fn flatten_values<F: Field>(
        &self,
        values: &Self::Values<F>,
        field: &str,
        out: &mut Vec<F>,
    ) -> Result<(), IoError> {
        match (self, values) {
            (Some(piece), Some(value)) => piece.flatten_values(value, field, out),
            (None, None) => Ok(()),
            (piece, value) => Err(IoError::PresenceMismatch {
                field: field.to_owned(),
                expected: piece.is_some(),
                got: value.is_some(),
            }),
        }
    }

    fn flatten_shaped_values<F: Field>(
        values: &Self::Values<F>,
        lengths: &Self::Lengths,
        field: &str,
        out: &mut Vec<F>,
    ) -> Result<(), IoError> {
        match (lengths, values) {
            (Some(lengths), Some(value)) => T::flatten_shaped_values(value, lengths, field, out),
            (None, None) => Ok(()),
            (lengths, value) => Err(IoError::PresenceMismatch {
                field: field.to_owned(),
                expected: lengths.is_some(),
                got: value.is_some(),
            }),
        }
    }

    fn collect_targets(&self, out: &mut Vec<Target>) {
        if let Some(piece) = self {
            piece.collect_targets(out);
        }
    }
}

/// A struct of circuit inputs (derive it with `#[derive(CircuitIo)]`).
pub trait CircuitIo: IoField {
    /// Allocates every field as public inputs, in field order.
    fn allocate(builder: &mut CircuitBuilder<impl Field>, lengths: &Self::Lengths) -> Self
    where
        Self: Sized,
    {
        Self::allocate_as(builder, lengths, InputKind::Public)
    }

    /// Allocates every field as private inputs, in field order.
    ///
    /// ```
    /// use fixpoint_circuit::{CircuitBuilder, CircuitIo, Target, VecLengths};
    /// use p3_koala_bear::KoalaBear as F;
    /// use p3_field::PrimeCharacteristicRing;
    ///
    /// #[derive(CircuitIo)]
    /// struct Opening {
    ///     row: Vec<Target>,
    ///     next: Option<Vec<Target>>,
    /// }
    ///
    /// let lengths = OpeningLengths { row: VecLengths::of(2), next: None };
    /// let mut b = CircuitBuilder::<F>::new();
    /// let (group, opening) = b.private_group(|b| Opening::allocate_private(b, &lengths));
    /// // row[0] · row[1] = 2
    /// let product = b.mul(opening.row[0], opening.row[1]);
    /// let two = b.define_const(F::TWO);
    /// b.assert_eq(product, two);
    /// let circuit = b.build()?;
    ///
    /// // The values are filled from the lengths alone: no targets needed.
    /// let values = OpeningValues { row: vec![F::ONE, F::TWO], next: None };
    /// let flat = Opening::flatten_shaped(&values, &lengths)?;
    /// let mut runner = circuit.runner();
    /// runner.set_public_inputs(&[])?;
    /// runner.set_private_group(&group, &flat)?;
    /// runner.run()?;
    /// // Values of another shape are refused before they reach the runner.
    /// let longer = OpeningValues { row: vec![F::ONE; 3], next: None };
    /// assert!(Opening::flatten_shaped(&longer, &lengths).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn allocate_private(builder: &mut CircuitBuilder<impl Field>, lengths: &Self::Lengths) -> Self
    where
        Self: Sized,
    {
        Self::allocate_as(builder, lengths, InputKind::Private)
    }

    /// The values in allocation order: exactly the input vector these inputs fill.
    fn flatten<F: Field>(&self, values: &Self::Values<F>) -> Result<Vec<F>, IoError> {
        let mut out = Vec::new();
        self.flatten_values(values, "", &mut out)?;
        Ok(out)
    }

    /// The values in the allocation order of inputs allocated with `lengths`, checked
    /// against them: what the side that has a proof but not the circuit's targets fills.
    fn flatten_shaped<F: Field>(
        values: &Self::Values<F>,
        lengths: &Self::Lengths,
    ) -> Result<Vec<F>, IoError> {
        let mut out = Vec::new();
        <Self as IoField>::flatten_shaped_values(values, lengths, "", &mut out)?;
        Ok(out)
    }

    /// The targets in allocation order.
    fn targets(&self) -> Vec<Target> {
        let mut out = Vec::new();
        self.collect_targets(&mut out);
        out
    }
}

/// Either a typed-input error or a run error.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SetIoError<F: Field> {
    /// The values do not fit the inputs.
    #[error(transparent)]
    Io(#[from] IoError),
    /// The runner refused the flattened inputs.
    #[error(transparent)]
    Run(#[from] RunError<F>),
}

impl<F: crate::field::CircuitField> Runner<'_, F> {
    /// Sets the public inputs from typed values: `values` is flattened in allocation order.
    /// `io` must cover every public input of the circuit.
    pub fn set_public_io<T: CircuitIo>(
        &mut self,
        io: &T,
        values: &T::Values<F>,
    ) -> Result<(), SetIoError<F>> {
        let flat = io.flatten(values)?;
        let expected = self.public_count();
        if flat.len() != expected {
            return Err(IoError::PublicCount {
                expected,
                got: flat.len(),
            }
            .into());
        }
        self.set_public_inputs(&flat)?;
        Ok(())
    }
}
