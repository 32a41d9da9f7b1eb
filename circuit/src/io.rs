//! Typed circuit inputs: public inputs allocated and filled through a struct, so their
//! order is a type's job, not the caller's.
//!
//! Derive [`CircuitIo`] (from `fixpoint-macros`, re-exported here) on a struct whose fields
//! are [`Target`]s, arrays, `Vec`s or other `CircuitIo` structs. The derive generates a
//! `…Values<F>` struct with the same field names, a `…Lengths` struct for the `Vec` fields,
//! and the allocation and flattening code, both in field order.

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
    /// The typed inputs do not cover exactly the circuit's public inputs.
    #[error("the typed inputs hold {got} public inputs but the circuit has {expected}")]
    PublicCount {
        /// The circuit's public-input count.
        expected: usize,
        /// The number of flattened values.
        got: usize,
    },
}

/// A piece of circuit input: a [`Target`], an array or `Vec` of pieces, or a struct
/// deriving [`CircuitIo`].
pub trait IoField: Sized {
    /// What allocation needs to know besides the type (the lengths of `Vec`s).
    type Lengths: Clone + std::fmt::Debug + Default;
    /// The value type: `F` for a `Target`, arrays and `Vec`s of values, `…Values<F>`.
    type Values<F: Field>;

    /// Allocates the piece as public inputs, in field order.
    fn allocate_public<F: Field>(builder: &mut CircuitBuilder<F>, lengths: &Self::Lengths) -> Self;

    /// Appends `values` in allocation order; `field` names the piece in errors.
    fn flatten_values<F: Field>(
        &self,
        values: &Self::Values<F>,
        field: &str,
        out: &mut Vec<F>,
    ) -> Result<(), IoError>;

    /// Appends the targets in allocation order.
    fn collect_targets(&self, out: &mut Vec<Target>);
}

impl IoField for Target {
    type Lengths = ();
    type Values<F: Field> = F;

    fn allocate_public<F: Field>(builder: &mut CircuitBuilder<F>, _: &()) -> Self {
        builder.public_input()
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

    fn collect_targets(&self, out: &mut Vec<Target>) {
        out.push(*self);
    }
}

impl<T: IoField, const N: usize> IoField for [T; N] {
    type Lengths = T::Lengths;
    type Values<F: Field> = [T::Values<F>; N];

    fn allocate_public<F: Field>(builder: &mut CircuitBuilder<F>, lengths: &T::Lengths) -> Self {
        std::array::from_fn(|_| T::allocate_public(builder, lengths))
    }

    fn flatten_values<F: Field>(
        &self,
        values: &Self::Values<F>,
        field: &str,
        out: &mut Vec<F>,
    ) -> Result<(), IoError> {
        flatten_elements(self, values, field, out)
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

    fn allocate_public<F: Field>(builder: &mut CircuitBuilder<F>, lengths: &Self::Lengths) -> Self {
        (0..lengths.len)
            .map(|_| T::allocate_public(builder, &lengths.each))
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

    fn collect_targets(&self, out: &mut Vec<Target>) {
        self.iter().for_each(|piece| piece.collect_targets(out));
    }
}

/// A struct of circuit inputs (derive it with `#[derive(CircuitIo)]`).
pub trait CircuitIo: IoField {
    /// Allocates every field as public inputs, in field order.
    fn allocate(builder: &mut CircuitBuilder<impl Field>, lengths: &Self::Lengths) -> Self
    where
        Self: Sized,
    {
        Self::allocate_public(builder, lengths)
    }

    /// The values in allocation order: exactly the public-input vector these inputs fill.
    fn flatten<F: Field>(&self, values: &Self::Values<F>) -> Result<Vec<F>, IoError> {
        let mut out = Vec::new();
        self.flatten_values(values, "", &mut out)?;
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
