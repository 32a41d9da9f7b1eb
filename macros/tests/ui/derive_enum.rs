use fixpoint_circuit::{CircuitIo, Target};

#[derive(CircuitIo)]
enum Input {
    One(Target),
    Two(Target, Target),
}

fn main() {}
