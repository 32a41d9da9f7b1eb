use fixpoint_circuit::{CircuitIo, Target};

#[derive(CircuitIo)]
struct Pair(Target, Target);

fn main() {}
