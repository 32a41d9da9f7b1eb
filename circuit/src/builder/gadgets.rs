//! Small gadgets built from the primitives.

use p3_field::Field;

use super::{CircuitBuilder, Target};

impl<F: Field> CircuitBuilder<F> {
    /// `cond ? then : otherwise`, as `cond · (then − otherwise) + otherwise`.
    ///
    /// `cond` must be boolean for this to be a selection; constrain it with
    /// [`assert_bool`](Self::assert_bool) unless it is known to be.
    pub fn select(&mut self, cond: Target, then: Target, otherwise: Target) -> Target {
        let diff = self.sub(then, otherwise);
        let scaled = self.mul(cond, diff);
        self.add(scaled, otherwise)
    }

    /// `x^e` by square-and-multiply: `⌊log₂ e⌋` squarings and one multiplication per further
    /// set bit. `x^0` is the constant one.
    ///
    /// ```
    /// use fixpoint_circuit::CircuitBuilder;
    /// use p3_field::PrimeCharacteristicRing;
    /// use p3_koala_bear::KoalaBear as F;
    ///
    /// let mut b = CircuitBuilder::<F>::new();
    /// let x = b.public_input();
    /// let y = b.exp_u64(x, 5);
    /// let expected = b.public_input();
    /// b.connect(y, expected);
    /// let circuit = b.build()?;
    /// assert_eq!(circuit.stats().ops.muls, 3); // x², x⁴, x⁴·x
    /// let mut runner = circuit.runner();
    /// runner.set_public_inputs(&[F::TWO, F::from_u32(32)])?;
    /// runner.run()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn exp_u64(&mut self, x: Target, e: u64) -> Target {
        if e == 0 {
            return self.one();
        }
        let mut result: Option<Target> = None;
        let mut power = x;
        let top = 63 - e.leading_zeros();
        for bit in 0..=top {
            if (e >> bit) & 1 == 1 {
                result = Some(match result {
                    None => power,
                    Some(acc) => self.mul(acc, power),
                });
            }
            if bit < top {
                power = self.square(power);
            }
        }
        result.expect("e > 0 has a set bit")
    }

    /// `Σ aᵢ · bᵢ` (the empty sum is zero).
    ///
    /// # Panics
    /// If `a` and `b` differ in length: that is a bug in the circuit code, not a property
    /// of any input, and the circuit's shape would be wrong.
    pub fn inner_product(&mut self, a: &[Target], b: &[Target]) -> Target {
        assert_eq!(
            a.len(),
            b.len(),
            "inner_product: slices of different lengths ({} and {})",
            a.len(),
            b.len()
        );
        let mut terms = a.iter().zip(b).map(|(&x, &y)| (x, y));
        let Some((x, y)) = terms.next() else {
            return self.zero();
        };
        let first = self.mul(x, y);
        terms.fold(first, |acc, (x, y)| {
            let term = self.mul(x, y);
            self.add(acc, term)
        })
    }

    /// `Σ xᵢ` (the empty sum is zero).
    pub fn sum(&mut self, xs: &[Target]) -> Target {
        match xs.split_first() {
            None => self.zero(),
            Some((&first, rest)) => rest.iter().fold(first, |acc, &x| self.add(acc, x)),
        }
    }
}
