use fixpoint_circuit::{CircuitBuilder, circuit};
use p3_koala_bear::KoalaBear as F;

fn main() {
    let mut b = CircuitBuilder::<F>::new();
    let mut x = b.public_input();
    circuit!(b, {
        while true {
            x = x * x;
        }
    });
}
