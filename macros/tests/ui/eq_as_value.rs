use fixpoint_circuit::{CircuitBuilder, circuit};
use p3_koala_bear::KoalaBear as F;

fn main() {
    let mut b = CircuitBuilder::<F>::new();
    let (x, y) = (b.public_input(), b.public_input());
    circuit!(b, {
        let z = x == y;
    });
}
