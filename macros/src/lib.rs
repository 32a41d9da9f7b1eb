//! Proc macros for fixpoint circuits, re-exported by `fixpoint-circuit` (feature `macros`,
//! on by default): write circuits as expressions with [`circuit!`], and type a circuit's
//! public or private inputs with `#[derive(CircuitIo)]`.

mod expr;
mod io;

use proc_macro::TokenStream;

/// Writes circuit arithmetic as Rust expressions: `circuit!(builder, body)` lowers `body`
/// to calls on `builder` (a `CircuitBuilder` or a `&mut` one) and produces exactly the IR
/// of the equivalent hand-written calls.
///
/// `body` is one expression (the macro's value is its `Target`) or a block of statements:
///
/// - `+ - * /`, unary `-`, parentheses over targets;
/// - integer literals (`37`) and `const { <field expression> }` as constants;
/// - `x.square()`, `x.inv()`, `x.pow(n)` / `exp(x, n)` (`n` a `u64` Rust expression),
///   `select(cond, then, otherwise)`, and any other call as a Rust gadget returning a Target;
/// - `let y = …;`, `acc = …;`, `for i in 0..n { … }` (unrolled while building);
/// - constraints: `a == b;`, `assert_eq!(a, b)`, `assert_zero!(x)`, `assert_bool!(x)`,
///   `assert_nonzero!(x)`.
///
/// Unsupported syntax (branches, `^`, `%`, closures, …) is a compile error at its span that
/// says what to write instead.
///
/// ```
/// use fixpoint_circuit::{CircuitBuilder, circuit};
/// use p3_field::PrimeCharacteristicRing;
/// use p3_koala_bear::KoalaBear as F;
///
/// let mut b = CircuitBuilder::<F>::new();
/// let (a0, a1, out) = (b.public_input(), b.public_input(), b.public_input());
/// // a0³ + 2·a1² − 3·a0 + 2 = out
/// circuit!(b, { a0.pow(3) + 2 * a1.pow(2) - 3 * a0 + 2 == out; });
/// let circuit = b.build()?;
/// let mut runner = circuit.runner();
/// runner.set_public_inputs(&[F::TWO, F::ONE, F::from_u32(8 + 2 - 6 + 2)])?;
/// runner.run()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[proc_macro]
pub fn circuit(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as expr::Input);
    expr::expand(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `CircuitIo` for a struct of circuit inputs.
///
/// Fields may be `Target`, `[T; N]`, `Vec<T>`, `Option<T>` and other `CircuitIo` structs.
/// For `struct Claim` it generates `ClaimValues<F>` (same field names, holding values) and
/// `ClaimLengths` (the `Vec` lengths and which `Option`s are present), allocation of every
/// field as public inputs in field order (`Claim::allocate(&mut builder, &lengths)`) or as
/// private inputs (`Claim::allocate_private`), and the flattening of values into exactly
/// that order (`runner.set_public_io(&claim, &values)`, or `Claim::flatten_shaped(&values,
/// &lengths)` without the targets). A `Vec` of values whose length differs from the
/// allocated one, or an `Option` present on one side only, is an `IoError`, not a panic.
///
/// ```
/// use fixpoint_circuit::{CircuitBuilder, CircuitIo, Target, VecLengths};
/// use p3_field::PrimeCharacteristicRing;
/// use p3_koala_bear::KoalaBear as F;
///
/// #[derive(CircuitIo)]
/// struct Claim {
///     x: Target,
///     coeffs: [Target; 2],
///     history: Vec<Target>,
/// }
///
/// let mut b = CircuitBuilder::<F>::new();
/// let claim = Claim::allocate(&mut b, &ClaimLengths { history: VecLengths::of(3), ..Default::default() });
/// let y = b.inner_product(&claim.coeffs, &[claim.x, claim.x]);
/// b.expose(y);
/// let circuit = b.build()?;
///
/// let values = ClaimValues { x: F::TWO, coeffs: [F::ONE, F::ONE], history: vec![F::ZERO; 3] };
/// let mut runner = circuit.runner();
/// runner.set_public_io(&claim, &values)?;
/// runner.run()?;
///
/// let short = ClaimValues { history: vec![F::ZERO; 2], ..values };
/// assert!(runner.set_public_io(&claim, &short).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[proc_macro_derive(CircuitIo)]
pub fn derive_circuit_io(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    io::derive(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
