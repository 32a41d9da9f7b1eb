use fixpoint_circuit::{CircuitBuilder, circuit};
use p3_koala_bear::KoalaBear as F;

fn main() {
    let mut b = CircuitBuilder::<F>::new();
    let (c, x) = (b.public_input(), b.public_input());
    let _y = circuit!(b, if c == x { x } else { c });
}
