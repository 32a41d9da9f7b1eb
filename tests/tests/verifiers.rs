//! The STARK verifiers as circuits, and recursion to a fixed point, in one test binary:
//! every test binary instantiates the p3 prover and the verifier circuits anew, so one
//! binary compiles them once.

#[path = "verifiers/batch_stark.rs"]
mod batch_stark;
#[path = "verifiers/fixpoint_verifier.rs"]
mod fixpoint_verifier;
#[path = "verifiers/recursion.rs"]
mod recursion;
#[path = "verifiers/tree.rs"]
mod tree;
#[path = "verifiers/two_verifiers.rs"]
mod two_verifiers;
#[path = "verifiers/uni_stark.rs"]
mod uni_stark;
