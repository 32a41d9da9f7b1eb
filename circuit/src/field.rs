//! The fields circuits are written over, below every other module.

use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing};

/// A field the runner can execute hints over: its values have coordinates over the prime
/// field (one for a prime field, `D` for a degree-`D` extension). Every p3 field is one.
pub trait CircuitField:
    Field + BasedVectorSpace<<Self as PrimeCharacteristicRing>::PrimeSubfield>
{
}

impl<F: Field + BasedVectorSpace<F::PrimeSubfield>> CircuitField for F {}
