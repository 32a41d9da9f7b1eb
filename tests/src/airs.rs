//! AIRs written for the tests of the STARK verifier circuits: each exercises one part of
//! p3-uni-stark's verifier (public values and transitions, preprocessed columns, periodic
//! columns).

use std::borrow::Cow;

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

/// Fibonacci: the first row is `(a, b)`, each row `(x, y)` is followed by `(y, x + y)`,
/// and the last row's `y` is the public `result`. Public values `[a, b, result]`.
#[derive(Clone)]
pub struct Fibonacci {
    /// `k` in `y' = k·x + y`: 1 for Fibonacci, anything else for an AIR of the same shape
    /// with other constants.
    pub k: u32,
}

impl Fibonacci {
    /// The Fibonacci AIR.
    pub const STANDARD: Fibonacci = Fibonacci { k: 1 };
}

impl<T> BaseAir<T> for Fibonacci {
    fn width(&self) -> usize {
        2
    }
    fn num_public_values(&self) -> usize {
        3
    }
}

impl<AB: AirBuilder> Air<AB> for Fibonacci {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let publics = builder.public_values();
        let (a, b, result) = (publics[0], publics[1], publics[2]);
        let (x, y) = (main.current(0).unwrap(), main.current(1).unwrap());
        let (x_next, y_next) = (main.next(0).unwrap(), main.next(1).unwrap());
        let mut first = builder.when_first_row();
        first.assert_eq(x, a);
        first.assert_eq(y, b);
        let mut transition = builder.when_transition();
        transition.assert_eq(x_next, y);
        transition.assert_eq(y_next, x.into() * AB::Expr::from_u32(self.k) + y.into());
        builder.when_last_row().assert_eq(y, result);
    }
}

/// A trace of [`Fibonacci::STANDARD`] with `rows` rows from `(0, 1)`, and its public values.
pub fn fibonacci_trace<V: PrimeCharacteristicRing + Copy + Send + Sync>(
    rows: usize,
) -> (RowMajorMatrix<V>, Vec<V>) {
    let (mut x, mut y) = (V::ZERO, V::ONE);
    let mut values = Vec::with_capacity(2 * rows);
    for _ in 0..rows {
        values.extend([x, y]);
        (x, y) = (y, x + y);
    }
    let result = values[2 * rows - 1];
    (
        RowMajorMatrix::new(values, 2),
        vec![V::ZERO, V::ONE, result],
    )
}

/// A multiply-accumulate over fixed coefficients: preprocessed `(c, d)` per row, and
/// `x' = x·c + d'` between rows (reads the preprocessed next row); `x = 1` on row 0.
#[derive(Clone)]
pub struct Preprocessed<V> {
    /// The preprocessed columns `(c, d)`.
    pub coeffs: RowMajorMatrix<V>,
}

impl<V: p3_field::Field> BaseAir<V> for Preprocessed<V> {
    fn width(&self) -> usize {
        1
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<V>> {
        Some(self.coeffs.clone())
    }
    fn preprocessed_width(&self) -> usize {
        2
    }
}

impl<AB: AirBuilder> Air<AB> for Preprocessed<AB::F>
where
    AB::F: p3_field::Field,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let prep = builder.preprocessed().clone();
        let (x, x_next) = (main.current(0).unwrap(), main.next(0).unwrap());
        let (c, d_next) = (prep.current(0).unwrap(), prep.next(1).unwrap());
        builder.when_first_row().assert_one(x);
        builder
            .when_transition()
            .assert_eq(x_next, x.into() * c.into() + d_next.into());
    }
}

/// A [`Preprocessed`] AIR of `rows` rows with coefficients from `seed`, and its trace.
pub fn preprocessed_air<V: p3_field::Field>(
    rows: usize,
    seed: usize,
) -> (Preprocessed<V>, RowMajorMatrix<V>) {
    let coeffs: Vec<V> = (0..2 * rows)
        .map(|i| V::from_usize(3 * i + 7 + seed))
        .collect();
    let coeffs = RowMajorMatrix::new(coeffs, 2);
    let mut x = V::ONE;
    let mut trace = vec![x];
    for r in 1..rows {
        x = x * coeffs.values[2 * (r - 1)] + coeffs.values[2 * r + 1];
        trace.push(x);
    }
    (Preprocessed { coeffs }, RowMajorMatrix::new(trace, 1))
}

/// Two periodic columns (periods 4 and 2): every row's `x` is their product. Reads no
/// next row, so the trace is opened at `ζ` only.
#[derive(Clone)]
pub struct Periodic<V> {
    /// One period per column.
    pub columns: Vec<Vec<V>>,
}

impl<V: p3_field::Field> BaseAir<V> for Periodic<V> {
    fn width(&self) -> usize {
        1
    }
    fn num_periodic_columns(&self) -> usize {
        self.columns.len()
    }
    fn periodic_columns(&self) -> Cow<'_, [Vec<V>]> {
        Cow::Borrowed(&self.columns)
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: AirBuilder> Air<AB> for Periodic<AB::F>
where
    AB::F: p3_field::Field,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let periodic = builder.periodic_values().to_vec();
        let x = main.current(0).unwrap();
        builder.assert_eq(x, periodic[0].into() * periodic[1].into());
    }
}

/// A [`Periodic`] AIR of `rows` rows, and its trace.
pub fn periodic_air<V: p3_field::Field>(rows: usize) -> (Periodic<V>, RowMajorMatrix<V>) {
    let columns = vec![
        [3u32, 1, 4, 1].map(V::from_u32).to_vec(),
        [5u32, 9].map(V::from_u32).to_vec(),
    ];
    let trace = (0..rows)
        .map(|r| columns[0][r % 4] * columns[1][r % 2])
        .collect();
    (Periodic { columns }, RowMajorMatrix::new(trace, 1))
}
