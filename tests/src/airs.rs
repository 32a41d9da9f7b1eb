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

/// Three AIRs on two LogUp buses, for the batch-STARK verifier:
///
/// - [`LookupAir::RomTable`]: preprocessed `index`, main `[value, mult]`,
///   `value = index² + 7`; provides `(index, value)` on bus `rom` `mult` times.
/// - [`LookupAir::RangeTable`]: preprocessed `index`, main `[mult]`; provides `(index)` on
///   bus `range` `mult` times.
/// - [`LookupAir::Reader`]: main `[idx, val, is_real]`, public value `[first idx]`; reads
///   `(idx, val)` from `rom` and `(idx)` from `range` on real rows; real rows come first.
#[derive(Clone, Debug)]
pub enum LookupAir {
    /// The ROM of `2^log_height` entries.
    RomTable {
        /// log2 of its height.
        log_height: usize,
    },
    /// The range `0..2^log_height`.
    RangeTable {
        /// log2 of its height.
        log_height: usize,
    },
    /// The reader.
    Reader,
}

/// The ROM's value at `index`.
pub fn rom_value<F: PrimeCharacteristicRing>(index: F) -> F {
    index.square() + F::from_u32(7)
}

impl<F: p3_field::Field> BaseAir<F> for LookupAir {
    fn width(&self) -> usize {
        match self {
            LookupAir::RomTable { .. } => 2,
            LookupAir::RangeTable { .. } => 1,
            LookupAir::Reader => 3,
        }
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<F>> {
        match self {
            LookupAir::RomTable { log_height } | LookupAir::RangeTable { log_height } => Some(
                RowMajorMatrix::new_col((0..1 << log_height).map(F::from_usize).collect()),
            ),
            LookupAir::Reader => None,
        }
    }
    fn preprocessed_width(&self) -> usize {
        match self {
            LookupAir::Reader => 0,
            _ => 1,
        }
    }
    fn num_public_values(&self) -> usize {
        match self {
            LookupAir::Reader => 1,
            _ => 0,
        }
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        match self {
            LookupAir::Reader => vec![2],
            _ => Vec::new(),
        }
    }
    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: p3_lookup::InteractionBuilder> Air<AB> for LookupAir
where
    AB::F: p3_field::Field,
{
    fn eval(&self, builder: &mut AB) {
        use p3_lookup::{Count, LookupBus};
        let main = builder.main();
        match self {
            LookupAir::RomTable { .. } => {
                let (value, mult) = (main.current(0).unwrap(), main.current(1).unwrap());
                let index: AB::Expr = builder.preprocessed().current(0).unwrap().into();
                builder.assert_eq(value, rom_value(index.clone()));
                LookupBus::new("rom").table_entry(builder, [index, value.into()], mult);
            }
            LookupAir::RangeTable { .. } => {
                let mult = main.current(0).unwrap();
                let index: AB::Expr = builder.preprocessed().current(0).unwrap().into();
                LookupBus::new("range").table_entry(builder, [index], mult);
            }
            LookupAir::Reader => {
                let (idx, val) = (main.current(0).unwrap(), main.current(1).unwrap());
                let (is_real, is_real_next) = (main.current(2).unwrap(), main.next(2).unwrap());
                let first: AB::Expr = builder.public_values()[0].into();
                builder.assert_bool(is_real);
                builder
                    .when_transition()
                    .assert_zero(is_real_next.into() * (AB::Expr::ONE - is_real.into()));
                builder.when_first_row().assert_eq(idx, first);
                let count = || Count::bounded(is_real.into(), 1);
                LookupBus::new("rom").lookup_key(builder, [idx.into(), val.into()], count());
                LookupBus::new("range").lookup_key(builder, [idx.into()], count());
            }
        }
    }
}

/// The three [`LookupAir`]s (tables of `2^log_table` rows, a reader of `2^log_reads` rows of
/// which `reads` are real, reading `start, start+1, …` mod the table), their traces and
/// public values. `unbalance` adds one to the ROM's first multiplicity: a bus that does not
/// balance, for malicious-prover tests.
#[allow(clippy::type_complexity)]
pub fn lookup_airs<F: p3_field::Field>(
    log_table: usize,
    log_reads: usize,
    reads: usize,
    start: usize,
    unbalance: bool,
) -> (Vec<LookupAir>, Vec<RowMajorMatrix<F>>, Vec<Vec<F>>) {
    let n = 1 << log_table;
    let mut mult = vec![0u32; n];
    let mut reader = Vec::new();
    for r in 0..1 << log_reads {
        let real = r < reads;
        let idx = if real { (start + r) % n } else { 0 };
        if real {
            mult[idx] += 1;
        }
        let i = F::from_usize(idx);
        reader.extend([i, rom_value(i), F::from_bool(real)]);
    }
    if unbalance {
        mult[0] += 1;
    }
    let rom = (0..n)
        .flat_map(|i| [rom_value(F::from_usize(i)), F::from_u32(mult[i])])
        .collect();
    let range = mult.iter().map(|&m| F::from_u32(m)).collect();
    (
        vec![
            LookupAir::RomTable {
                log_height: log_table,
            },
            LookupAir::RangeTable {
                log_height: log_table,
            },
            LookupAir::Reader,
        ],
        vec![
            RowMajorMatrix::new(rom, 2),
            RowMajorMatrix::new(range, 1),
            RowMajorMatrix::new(reader, 3),
        ],
        vec![Vec::new(), Vec::new(), vec![F::from_usize(start % n)]],
    )
}
