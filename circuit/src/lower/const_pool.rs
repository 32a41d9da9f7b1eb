//! Constant pool: every constant's class holds its value; equal constants share a class
//! (hence one slot and one `Const` op) when deduplication is on.

use p3_field::Field;

use super::{BuildError, State};
use crate::arena::{Expr, ExprId};

/// Seeds each `define_const` node's class with its value.
pub(crate) fn seed<F: Field>(state: &mut State<'_, F>) -> Result<(), BuildError<F>> {
    for (i, expr) in state.arena.exprs.iter().enumerate() {
        if let Expr::Const(value) = *expr {
            let node = ExprId(i as u32);
            state.set_const(node, value, node)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use p3_field::PrimeCharacteristicRing;
    use p3_koala_bear::KoalaBear as F;

    use crate::{CircuitBuilder, LowerOptions, Op};

    fn const_ops(circuit: &crate::Circuit<F>) -> usize {
        circuit
            .ops
            .iter()
            .filter(|op| matches!(op, Op::Const { .. }))
            .count()
    }

    #[test]
    fn equal_constants_share_one_slot() {
        let mut b = CircuitBuilder::<F>::new();
        let x = b.public_input();
        let five_a = b.define_const(F::from_u32(5));
        let five_b = b.define_const(F::from_u32(5));
        let y = b.mul(x, five_a);
        let z = b.add(x, five_b);
        b.expose(y);
        b.expose(z);
        let options = LowerOptions {
            dedup_constants: true,
            ..LowerOptions::none()
        };
        let circuit = b.build_with(&options).unwrap();
        assert_eq!(const_ops(&circuit), 1);
        assert_eq!(circuit.witness_of(five_a), circuit.witness_of(five_b));

        let plain = b.build_with(&LowerOptions::none()).unwrap();
        assert_eq!(const_ops(&plain), 2);
        assert_ne!(plain.witness_of(five_a), plain.witness_of(five_b));
    }
}
