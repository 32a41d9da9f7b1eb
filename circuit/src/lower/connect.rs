//! `connect` by union-find: connected targets share one class, hence one slot, and no op.

use p3_field::Field;

use super::{BuildError, State};

/// Merges the classes of every recorded connection, in recording order.
pub(crate) fn apply<F: Field>(state: &mut State<'_, F>) -> Result<(), BuildError<F>> {
    for c in &state.arena.connections {
        state.union(c.a, c.b, c.scope)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use p3_field::PrimeCharacteristicRing;
    use p3_koala_bear::KoalaBear as F;

    use crate::{BuildError, CircuitBuilder, LowerOptions};

    #[test]
    fn connected_targets_share_a_slot_without_an_op() {
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let y = b.public_input();
        let sum = b.add(x, y);
        let expected = b.public_input();
        b.connect(sum, expected);
        let circuit = b.build_with(&LowerOptions::none()).unwrap();
        assert_eq!(circuit.witness_of(sum), circuit.witness_of(expected));
        // Three Public ops and the Add, which now checks `x + y` against the third input.
        assert_eq!(circuit.ops.len(), 4);
    }

    #[test]
    fn connecting_different_constants_names_both_scopes() {
        let mut b = CircuitBuilder::<F>::new();
        let two = b.scope("left", |b| b.define_const(F::TWO));
        let three = b.scope("right", |b| b.define_const(F::from_u32(3)));
        b.scope("glue", |b| b.connect(two, three));
        let err = b.build().unwrap_err();
        assert_eq!(
            err,
            BuildError::ConflictingConstants {
                first: F::TWO,
                first_scope: "left".into(),
                second: F::from_u32(3),
                second_scope: "right".into(),
                at: "glue".into(),
            }
        );
        assert!(err.to_string().contains("`left`") && err.to_string().contains("`right`"));
    }

    #[test]
    fn connecting_equal_constants_is_fine() {
        let mut b = CircuitBuilder::<F>::new();
        let a = b.define_const(F::TWO);
        let c = b.define_const(F::TWO);
        b.connect(a, c);
        assert!(b.build_with(&LowerOptions::none()).is_ok());
    }
}
