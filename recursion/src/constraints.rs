//! AIR constraints as a circuit: p3's symbolic constraint DAG evaluated on targets at the
//! out-of-domain point `ζ`, folded with `α` in p3's emission order, and checked against the
//! quotient recomposed from its chunks.
//!
//! The verifier holds no AIR-specific code. [`AirConstraints::of_air`] runs the AIR once on
//! p3's `SymbolicAirBuilder` when the circuit is built; [`fold`] then walks the recorded
//! DAG, memoising every shared node by address, so the circuit's size is linear in the
//! DAG's (a naive tree walk can be exponential). The leaves map onto a [`Window`] of
//! targets: the opened main, preprocessed and permutation columns at `ζ` and `ζ·h`, the
//! public values, the periodic columns at `ζ`, the lookup challenges and terminals.
//!
//! ```
//! use fixpoint_circuit::CircuitBuilder;
//! use fixpoint_recursion::constraints::{self, AirConstraints, Window};
//! use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
//! use p3_field::PrimeCharacteristicRing;
//! use p3_koala_bear::KoalaBear as V;
//! type F = p3_field::extension::BinomialExtensionField<V, 4>;
//!
//! /// Every row squares the previous one.
//! struct Squares;
//! impl<T> BaseAir<T> for Squares {
//!     fn width(&self) -> usize { 1 }
//! }
//! impl<AB: AirBuilder> Air<AB> for Squares {
//!     fn eval(&self, builder: &mut AB) {
//!         let main = builder.main();
//!         let (x, next) = (main.current(0).unwrap(), main.next(0).unwrap());
//!         builder.when_transition().assert_eq(x.clone() * x, next);
//!     }
//! }
//!
//! let air = AirConstraints::<V, F>::of_air(&Squares, 0, 0, Vec::new());
//! assert_eq!(air.len(), 1);
//! let mut b = CircuitBuilder::<F>::new();
//! let zeta = b.public_input();
//! let alpha = b.public_input();
//! let window = Window::new(&mut b, &air, 3, zeta)?;
//! let selectors = constraints::selectors::<V, F>(&mut b, zeta, 3);
//! let folded = constraints::fold(&mut b, &air, &window, &selectors, alpha).unwrap();
//! # let _ = folded;
//! # Ok::<(), fixpoint_recursion::pcs::ProofShapeError>(())
//! ```

use std::collections::HashMap;

use fixpoint_circuit::{CircuitBuilder, CircuitField, Target};
use p3_air::symbolic::{
    AirLayout, BaseEntry, BaseLeaf, ConstraintLayout, ExtEntry, ExtLeaf, SymbolicAirBuilder,
    SymbolicExpr, SymbolicExpression, SymbolicExpressionExt,
};
use p3_air::{Air, BaseAir};
use p3_field::{BasedVectorSpace, ExtensionField, Field, TwoAdicField};

use crate::pcs::{ProofShapeError, check_len};

/// One constraint in p3's emission order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emitted {
    /// The `i`-th base-field constraint.
    Base(usize),
    /// The `i`-th extension-field constraint.
    Ext(usize),
}

/// An AIR's constraints as p3 records them, and everything a verifier needs to evaluate
/// them: computed natively once, when the circuit is built.
#[derive(Clone, Debug)]
pub struct AirConstraints<V: Field, F: ExtensionField<V>> {
    /// The base-field constraints.
    pub base: Vec<SymbolicExpression<V>>,
    /// The extension-field constraints (lookups, or AIRs that use extension columns).
    pub ext: Vec<SymbolicExpressionExt<V, F>>,
    /// Every constraint in emission order: `α` folds them in this order.
    pub order: Vec<Emitted>,
    /// The widths and counts of the window the constraints read.
    pub layout: AirLayout,
    /// Whether any constraint reads the main trace's next row.
    pub main_next: bool,
    /// Whether any constraint reads the preprocessed trace's next row.
    pub preprocessed_next: bool,
    /// The periodic columns, one period each.
    pub periodic: Vec<Vec<V>>,
}

impl<V: Field, F: ExtensionField<V>> AirConstraints<V, F> {
    /// Runs `air` on p3's symbolic builder and records its constraints.
    pub fn of_air<A>(
        air: &A,
        preprocessed_width: usize,
        num_public_values: usize,
        periodic: Vec<Vec<V>>,
    ) -> Self
    where
        A: Air<SymbolicAirBuilder<V, F>> + BaseAir<V>,
    {
        let layout = AirLayout {
            preprocessed_width,
            main_width: air.width(),
            num_public_values,
            num_periodic_columns: periodic.len(),
            ..Default::default()
        };
        let mut builder = SymbolicAirBuilder::<V, F>::new(layout);
        air.eval(&mut builder);
        Self::from_parts(
            builder.base_constraints(),
            builder.extension_constraints(),
            &builder.constraint_layout(),
            layout,
            !air.main_next_row_columns().is_empty(),
            !air.preprocessed_next_row_columns().is_empty(),
            periodic,
        )
    }

    /// Assembles constraints recorded elsewhere (e.g. by `p3_batch_stark::symbolic`, with
    /// the lookup constraints).
    pub fn from_parts(
        base: Vec<SymbolicExpression<V>>,
        ext: Vec<SymbolicExpressionExt<V, F>>,
        order: &ConstraintLayout,
        layout: AirLayout,
        main_next: bool,
        preprocessed_next: bool,
        periodic: Vec<Vec<V>>,
    ) -> Self {
        let mut emitted = vec![Emitted::Base(0); order.total_constraints()];
        for (i, &at) in order.base_indices.iter().enumerate() {
            emitted[at] = Emitted::Base(i);
        }
        for (i, &at) in order.ext_indices.iter().enumerate() {
            emitted[at] = Emitted::Ext(i);
        }
        AirConstraints {
            base,
            ext,
            order: emitted,
            layout,
            main_next,
            preprocessed_next,
            periodic,
        }
    }

    /// The number of constraints.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether the AIR has no constraint at all.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// The targets the constraints' leaves read.
#[derive(Clone, Debug, Default)]
pub struct Window {
    /// The main trace at `ζ`.
    pub main_local: Vec<Target>,
    /// The main trace at `ζ·h` (zeros when no constraint reads it, as in p3).
    pub main_next: Vec<Target>,
    /// The preprocessed trace at `ζ`.
    pub preprocessed_local: Vec<Target>,
    /// The preprocessed trace at `ζ·h` (zeros when no constraint reads it).
    pub preprocessed_next: Vec<Target>,
    /// The public values (base elements).
    pub public_values: Vec<Target>,
    /// The periodic columns at `ζ`.
    pub periodic: Vec<Target>,
    /// The permutation (LogUp) columns at `ζ`, each an extension element.
    pub permutation_local: Vec<Target>,
    /// The permutation columns at `ζ·h`.
    pub permutation_next: Vec<Target>,
    /// The lookup challenges.
    pub challenges: Vec<Target>,
    /// The lookup terminals.
    pub permutation_values: Vec<Target>,
}

impl Window {
    /// A window of fresh private inputs for the opened columns and public values of `air`,
    /// with the periodic columns evaluated at `zeta` over a trace of `2^log_n` rows. (For
    /// examples and tests; verifiers fill the fields themselves.)
    pub fn new<V, F>(
        builder: &mut CircuitBuilder<F>,
        air: &AirConstraints<V, F>,
        log_n: usize,
        zeta: Target,
    ) -> Result<Self, ProofShapeError>
    where
        V: TwoAdicField,
        F: CircuitField + ExtensionField<V>,
    {
        let layout = &air.layout;
        Ok(Window {
            main_local: builder.private_inputs(layout.main_width),
            main_next: builder.private_inputs(layout.main_width),
            preprocessed_local: builder.private_inputs(layout.preprocessed_width),
            preprocessed_next: builder.private_inputs(layout.preprocessed_width),
            public_values: builder.private_inputs(layout.num_public_values),
            periodic: periodic_values(builder, &air.periodic, log_n, zeta)?,
            permutation_local: builder.private_inputs(layout.permutation_width),
            permutation_next: builder.private_inputs(layout.permutation_width),
            challenges: builder.private_inputs(layout.num_permutation_challenges),
            permutation_values: builder.private_inputs(layout.num_permutation_values),
        })
    }

    fn check(&self, layout: &AirLayout) -> Result<(), ProofShapeError> {
        check_len(
            "main columns at ζ",
            layout.main_width,
            self.main_local.len(),
        )?;
        check_len(
            "main columns at ζ·h",
            layout.main_width,
            self.main_next.len(),
        )?;
        let prep = layout.preprocessed_width;
        check_len(
            "preprocessed columns at ζ",
            prep,
            self.preprocessed_local.len(),
        )?;
        check_len(
            "preprocessed columns at ζ·h",
            prep,
            self.preprocessed_next.len(),
        )?;
        check_len(
            "public values",
            layout.num_public_values,
            self.public_values.len(),
        )?;
        check_len(
            "periodic columns",
            layout.num_periodic_columns,
            self.periodic.len(),
        )?;
        let perm = layout.permutation_width;
        check_len(
            "permutation columns at ζ",
            perm,
            self.permutation_local.len(),
        )?;
        check_len(
            "permutation columns at ζ·h",
            perm,
            self.permutation_next.len(),
        )?;
        check_len(
            "lookup challenges",
            layout.num_permutation_challenges,
            self.challenges.len(),
        )?;
        check_len(
            "lookup terminals",
            layout.num_permutation_values,
            self.permutation_values.len(),
        )
    }
}

/// p3's Lagrange selectors of the trace domain `H = ⟨h⟩`, `|H| = N`, at `ζ` (unnormalised,
/// as p3 computes them).
#[derive(Clone, Copy, Debug)]
pub struct Selectors {
    /// `ζ^N`.
    pub zeta_pow_n: Target,
    /// `Z_H(ζ)/(ζ − 1)`.
    pub is_first_row: Target,
    /// `Z_H(ζ)/(ζ − h⁻¹)`.
    pub is_last_row: Target,
    /// `ζ − h⁻¹`.
    pub is_transition: Target,
    /// `1/Z_H(ζ)`: the circuit cannot run when `ζ ∈ H` (p3 rejects it too).
    pub inv_vanishing: Target,
}

/// The selectors of a trace of `2^log_n` rows at `zeta`.
pub fn selectors<V, F>(builder: &mut CircuitBuilder<F>, zeta: Target, log_n: usize) -> Selectors
where
    V: TwoAdicField,
    F: CircuitField + ExtensionField<V>,
{
    builder.scope("selectors", |b| {
        let zeta_pow_n = b.exp_power_of_2(zeta, log_n);
        let one = b.one();
        let vanishing = b.sub(zeta_pow_n, one);
        let inv_vanishing = b.inv(vanishing);
        let h_inv = b.define_const(F::from(V::two_adic_generator(log_n).inverse()));
        let is_transition = b.sub(zeta, h_inv);
        let zeta_minus_one = b.sub(zeta, one);
        let is_first_row = b.div(vanishing, zeta_minus_one);
        let is_last_row = b.div(vanishing, is_transition);
        Selectors {
            zeta_pow_n,
            is_first_row,
            is_last_row,
            is_transition,
            inv_vanishing,
        }
    })
}

/// The periodic columns at `zeta` over a trace of `2^log_n` rows: a column of period `p`
/// is the polynomial `g(X^{N/p})`, with `g` interpolating the period on the `p`-th roots of
/// unity. `g`'s coefficients are constants (computed natively); the circuit evaluates
/// `g(ζ^{N/p})` by Horner's rule.
pub fn periodic_values<V, F>(
    builder: &mut CircuitBuilder<F>,
    columns: &[Vec<V>],
    log_n: usize,
    zeta: Target,
) -> Result<Vec<Target>, ProofShapeError>
where
    V: TwoAdicField,
    F: CircuitField + ExtensionField<V>,
{
    builder.push_scope("periodic");
    let result = columns
        .iter()
        .map(|column| {
            let period = column.len();
            if !period.is_power_of_two() || period > 1 << log_n {
                return Err(ProofShapeError::InvalidShape(
                    "a periodic column's period must be a power of two no longer than the trace",
                ));
            }
            let log_p = period.trailing_zeros() as usize;
            let omega_inv = V::two_adic_generator(log_p).inverse();
            let p_inv = V::from_usize(period).inverse();
            let coeffs: Vec<Target> = (0..period)
                .map(|j| {
                    let w = omega_inv.exp_u64(j as u64);
                    let c: V = column
                        .iter()
                        .zip(w.powers())
                        .map(|(&v, wk)| v * wk)
                        .sum::<V>()
                        * p_inv;
                    builder.define_const(F::from(c))
                })
                .collect();
            let y = builder.exp_power_of_2(zeta, log_n - log_p);
            Ok(builder.horner(&coeffs, y))
        })
        .collect();
    builder.pop_scope();
    result
}

/// A window column's entry, or a typed error for constraints that read past the layout.
fn variable(column: &[Target], index: usize) -> Result<Target, ProofShapeError> {
    column
        .get(index)
        .copied()
        .ok_or(ProofShapeError::InvalidShape(
            "a constraint reads a column the layout does not have",
        ))
}

/// Walks the constraint DAG once, memoising nodes by address.
struct Evaluator<'w> {
    window: &'w Window,
    selectors: &'w Selectors,
    base: HashMap<usize, Target>,
    ext: HashMap<usize, Target>,
}

impl Evaluator<'_> {
    fn base<V, F>(
        &mut self,
        b: &mut CircuitBuilder<F>,
        e: &SymbolicExpression<V>,
    ) -> Result<Target, ProofShapeError>
    where
        V: Field,
        F: CircuitField + ExtensionField<V>,
    {
        let key = e as *const SymbolicExpression<V> as usize;
        if let Some(&t) = self.base.get(&key) {
            return Ok(t);
        }
        let t = match e {
            SymbolicExpr::Leaf(leaf) => match leaf {
                BaseLeaf::Variable(v) => {
                    let w = self.window;
                    let column = match v.entry {
                        BaseEntry::Main { offset: 0 } => &w.main_local,
                        BaseEntry::Main { .. } => &w.main_next,
                        BaseEntry::Preprocessed { offset: 0 } => &w.preprocessed_local,
                        BaseEntry::Preprocessed { .. } => &w.preprocessed_next,
                        BaseEntry::Public => &w.public_values,
                        BaseEntry::Periodic => &w.periodic,
                    };
                    variable(column, v.index)?
                }
                BaseLeaf::IsFirstRow => self.selectors.is_first_row,
                BaseLeaf::IsLastRow => self.selectors.is_last_row,
                BaseLeaf::IsTransition => self.selectors.is_transition,
                BaseLeaf::Constant(c) => b.define_const(F::from(*c)),
            },
            SymbolicExpr::Add { x, y, .. } => {
                let (x, y) = (self.base(b, x)?, self.base(b, y)?);
                b.add(x, y)
            }
            SymbolicExpr::Sub { x, y, .. } => {
                let (x, y) = (self.base(b, x)?, self.base(b, y)?);
                b.sub(x, y)
            }
            SymbolicExpr::Neg { x, .. } => {
                let x = self.base(b, x)?;
                b.neg(x)
            }
            SymbolicExpr::Mul { x, y, .. } => {
                let (x, y) = (self.base(b, x)?, self.base(b, y)?);
                b.mul(x, y)
            }
        };
        self.base.insert(key, t);
        Ok(t)
    }

    fn ext<V, F>(
        &mut self,
        b: &mut CircuitBuilder<F>,
        e: &SymbolicExpressionExt<V, F>,
    ) -> Result<Target, ProofShapeError>
    where
        V: Field,
        F: CircuitField + ExtensionField<V>,
    {
        let key = e as *const SymbolicExpressionExt<V, F> as usize;
        if let Some(&t) = self.ext.get(&key) {
            return Ok(t);
        }
        let t = match e {
            SymbolicExpr::Leaf(leaf) => match leaf {
                ExtLeaf::Base(base) => self.base(b, base)?,
                ExtLeaf::ExtVariable(v) => {
                    let w = self.window;
                    let column = match v.entry {
                        ExtEntry::Permutation { offset: 0 } => &w.permutation_local,
                        ExtEntry::Permutation { .. } => &w.permutation_next,
                        ExtEntry::Challenge => &w.challenges,
                        ExtEntry::PermutationValue => &w.permutation_values,
                    };
                    variable(column, v.index)?
                }
                ExtLeaf::ExtConstant(c) => b.define_const(*c),
            },
            SymbolicExpr::Add { x, y, .. } => {
                let (x, y) = (self.ext(b, x)?, self.ext(b, y)?);
                b.add(x, y)
            }
            SymbolicExpr::Sub { x, y, .. } => {
                let (x, y) = (self.ext(b, x)?, self.ext(b, y)?);
                b.sub(x, y)
            }
            SymbolicExpr::Neg { x, .. } => {
                let x = self.ext(b, x)?;
                b.neg(x)
            }
            SymbolicExpr::Mul { x, y, .. } => {
                let (x, y) = (self.ext(b, x)?, self.ext(b, y)?);
                b.mul(x, y)
            }
        };
        self.ext.insert(key, t);
        Ok(t)
    }
}

/// The constraints at `ζ` folded with `alpha` in emission order, `acc ← acc·α + C_i` from
/// `acc = 0`: exactly p3's `VerifierConstraintFolder`.
pub fn fold<V, F>(
    builder: &mut CircuitBuilder<F>,
    air: &AirConstraints<V, F>,
    window: &Window,
    selectors: &Selectors,
    alpha: Target,
) -> Result<Target, ProofShapeError>
where
    V: Field,
    F: CircuitField + ExtensionField<V>,
{
    window.check(&air.layout)?;
    builder.push_scope("constraints");
    let mut evaluator = Evaluator {
        window,
        selectors,
        base: HashMap::new(),
        ext: HashMap::new(),
    };
    let mut acc = builder.zero();
    let mut result = Ok(());
    for &emitted in &air.order {
        let c = match emitted {
            Emitted::Base(i) => air.base.get(i).map(|c| evaluator.base(builder, c)),
            Emitted::Ext(i) => air.ext.get(i).map(|c| evaluator.ext(builder, c)),
        };
        let c = match c {
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                result = Err(e);
                break;
            }
            None => {
                result = Err(ProofShapeError::InvalidShape(
                    "the emission order names a constraint that was not recorded",
                ));
                break;
            }
        };
        let scaled = builder.mul(acc, alpha);
        acc = builder.add(scaled, c);
    }
    builder.pop_scope();
    result.map(|()| acc)
}

/// An extension element from its opened basis coordinates: `Σ_k X^k · c_k`, the way p3
/// recombines a flattened extension column. At most `D` coordinates.
pub fn from_coordinates<V, F>(
    builder: &mut CircuitBuilder<F>,
    coords: &[Target],
) -> Result<Target, ProofShapeError>
where
    V: Field,
    F: CircuitField + ExtensionField<V>,
{
    let dim = <F as BasedVectorSpace<V>>::DIMENSION;
    if coords.len() > dim {
        return Err(ProofShapeError::Length {
            what: "coordinates of an extension element",
            expected: dim,
            got: coords.len(),
        });
    }
    let mut acc = builder.zero();
    for (k, &c) in coords.iter().enumerate() {
        let basis = <F as BasedVectorSpace<V>>::ith_basis_element(k).expect("k < D, checked");
        let basis = builder.define_const(basis);
        let term = builder.mul(basis, c);
        acc = builder.add(acc, term);
    }
    Ok(acc)
}

/// `Q(ζ)` from the opened quotient chunks (each `D` coordinates) of a trace of
/// `2^log_n` rows split into `chunks.len()` chunks: p3's `recompose_quotient_from_chunks`.
/// The chunk domains' shifts and every denominator are constants; the circuit computes
/// one `Z_{D_j}(ζ) = ζ^N·s_j^{−N} − 1` per chunk from `ζ^N`.
pub fn recompose_quotient<V, F>(
    builder: &mut CircuitBuilder<F>,
    zeta_pow_n: Target,
    log_n: usize,
    chunks: &[Vec<Target>],
) -> Result<Target, ProofShapeError>
where
    V: TwoAdicField,
    F: CircuitField + ExtensionField<V>,
{
    use p3_commit::PolynomialSpace;
    use p3_field::coset::TwoAdicMultiplicativeCoset;

    if !chunks.len().is_power_of_two() {
        return Err(ProofShapeError::InvalidShape(
            "the quotient has a power-of-two number of chunks",
        ));
    }
    for chunk in chunks {
        check_len(
            "coordinates of a quotient chunk",
            <F as BasedVectorSpace<V>>::DIMENSION,
            chunk.len(),
        )?;
    }
    let log_chunks = chunks.len().trailing_zeros() as usize;
    let trace = TwoAdicMultiplicativeCoset::<V>::new(V::ONE, log_n).ok_or(
        ProofShapeError::InvalidShape("the trace is taller than the field allows"),
    )?;
    let quotient = trace
        .try_create_disjoint_domain(1 << (log_n + log_chunks))
        .ok_or(ProofShapeError::InvalidShape(
            "the quotient domain is taller than the field allows",
        ))?;
    let domains = quotient.split_domains(chunks.len());
    builder.push_scope("quotient");
    // Z_{D_j}(ζ) = (ζ/s_j)^N − 1, every D_j of size N.
    let one = builder.one();
    let vanishing_at_zeta: Vec<Target> = domains
        .iter()
        .map(|d| {
            let scale = builder.define_const(F::from(d.shift().exp_power_of_2(log_n).inverse()));
            let scaled = builder.mul(zeta_pow_n, scale);
            builder.sub(scaled, one)
        })
        .collect();
    let mut q = builder.zero();
    for (i, (domain, chunk)) in domains.iter().zip(chunks).enumerate() {
        let mut denominator = V::ONE;
        let mut zps = builder.one();
        for (j, other) in domains.iter().enumerate() {
            if j != i {
                denominator *= other.vanishing_poly_at_point(domain.first_point());
                zps = builder.mul(zps, vanishing_at_zeta[j]);
            }
        }
        let inv = builder.define_const(F::from(denominator.inverse()));
        let zps = builder.mul(zps, inv);
        let value = from_coordinates::<V, F>(builder, chunk)?;
        let term = builder.mul(zps, value);
        q = builder.add(q, term);
    }
    builder.pop_scope();
    Ok(q)
}

/// The quotient identity at `ζ`: `folded · 1/Z_H(ζ) = Q(ζ)`.
pub fn check_quotient<F: CircuitField>(
    builder: &mut CircuitBuilder<F>,
    folded: Target,
    selectors: &Selectors,
    quotient: Target,
) {
    builder.scope("quotient identity", |b| {
        let lhs = b.mul(folded, selectors.inv_vanishing);
        b.assert_eq(lhs, quotient);
    });
}

/// The openings of one AIR at `ζ` a verifier checks against its constraints.
#[derive(Clone, Debug)]
pub struct Opened {
    /// The window, without its periodic columns (computed here from `ζ`).
    pub window: Window,
    /// Per quotient chunk, its `D` coordinates at `ζ`.
    pub quotient_chunks: Vec<Vec<Target>>,
}

/// Everything a STARK verifier checks at `ζ` for one AIR of `2^log_n` rows: the selectors,
/// the periodic columns, the constraints folded with `alpha`, the quotient recomposed from
/// its chunks, and `folded/Z_H(ζ) = Q(ζ)`.
pub fn verify_at_zeta<V, F>(
    builder: &mut CircuitBuilder<F>,
    air: &AirConstraints<V, F>,
    log_n: usize,
    zeta: Target,
    alpha: Target,
    opened: Opened,
) -> Result<(), ProofShapeError>
where
    V: TwoAdicField,
    F: CircuitField + ExtensionField<V>,
{
    builder.push_scope("constraints at ζ");
    let result = (|| {
        let selectors = selectors::<V, F>(builder, zeta, log_n);
        let mut window = opened.window;
        window.periodic = periodic_values(builder, &air.periodic, log_n, zeta)?;
        let folded = fold(builder, air, &window, &selectors, alpha)?;
        let quotient = recompose_quotient::<V, F>(
            builder,
            selectors.zeta_pow_n,
            log_n,
            &opened.quotient_chunks,
        )?;
        check_quotient(builder, folded, &selectors, quotient);
        Ok(())
    })();
    builder.pop_scope();
    result
}
