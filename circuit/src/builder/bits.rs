//! Gadgets built on hints: bit decomposition and range checks, comparison, and
//! extension ↔ base coordinates. Each hint's outputs are fully constrained here, by
//! booleanity and recomposition — non-linear checks that pin all outputs together but no
//! single one alone, so the hints are recorded [`Vouched`](super::HintCheck::Vouched).

use p3_field::{BasedVectorSpace, Field};

use super::{CircuitBuilder, Target};
use crate::field::CircuitField;
use crate::ir::HintKind;

/// The prime `p` of `F`'s prime subfield, if it fits in 64 bits.
fn prime<F: Field>() -> u64 {
    let digits = F::PrimeSubfield::order().to_u64_digits();
    match digits.as_slice() {
        [p] => *p,
        _ => panic!("bit gadgets need a prime below 2^64"),
    }
}

/// The most bits a plain range check may use: `2^bits ≤ p`, so the recomposition cannot
/// wrap around the modulus (30 for BabyBear and KoalaBear).
pub fn max_range_bits<F: Field>() -> usize {
    (63 - prime::<F>().leading_zeros()) as usize
}

impl<F: Field> CircuitBuilder<F> {
    /// The low `n` bits of `x`, least significant first, constrained: each bit is boolean
    /// and `Σ bᵢ·2ⁱ = x`. This is a range check `x < 2ⁿ`.
    ///
    /// # Panics
    /// If `n > max_range_bits::<F>()` (30 for BabyBear and KoalaBear): the sum could then
    /// wrap around `p`. Use [`to_bits_canonical`](Self::to_bits_canonical) for all bits.
    ///
    /// ```
    /// use fixpoint_circuit::{CircuitBuilder, RunError};
    /// use p3_field::PrimeCharacteristicRing;
    /// use p3_koala_bear::KoalaBear as F;
    ///
    /// let mut b = CircuitBuilder::<F>::new();
    /// let x = b.public_input();
    /// b.range_check(x, 8);
    /// let circuit = b.build()?;
    /// let mut runner = circuit.runner();
    /// runner.set_public_inputs(&[F::from_u32(255)])?;
    /// runner.run()?;
    /// runner.set_public_inputs(&[F::from_u32(256)])?;
    /// assert!(runner.run().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_bits(&mut self, x: Target, n: usize) -> Vec<Target> {
        let max = max_range_bits::<F>();
        assert!(
            n <= max,
            "to_bits: {n} bits may wrap around the field (at most {max}); use to_bits_canonical"
        );
        self.constrained_bits(x, n)
    }

    /// Constrains `x < 2^bits` (see [`to_bits`](Self::to_bits)).
    pub fn range_check(&mut self, x: Target, bits: usize) {
        self.to_bits(x, bits);
    }

    /// All bits of a base-field value `x` (31 for BabyBear and KoalaBear), least
    /// significant first, with the canonicity check `Σ bᵢ·2ⁱ ≤ p − 1`: a value below `p`
    /// has exactly one accepted decomposition. Also proves that `x` lies in the base field
    /// (booleans are base-field elements).
    pub fn to_bits_canonical(&mut self, x: Target) -> Vec<Target> {
        let p = prime::<F>();
        let n = (64 - p.leading_zeros()) as usize;
        let limit = p - 1;
        let zeros = limit.trailing_zeros() as usize;
        if (limit >> zeros).wrapping_add(1).is_power_of_two() {
            return self.canonical_ones_then_zeros(x, n, zeros);
        }
        let bits = self.constrained_bits(x, n);
        // Lexicographic `bits ≤ p − 1` from the top: `equal` says every higher bit matches
        // p − 1; where p − 1 has a 0, a 1 while still equal would make the value too big.
        let mut equal = self.one();
        for i in (0..n).rev() {
            if (limit >> i) & 1 == 1 {
                equal = self.mul(equal, bits[i]);
            } else {
                let too_big = self.mul(equal, bits[i]);
                self.assert_zero(too_big);
            }
        }
        bits
    }

    /// [`to_bits_canonical`](Self::to_bits_canonical) for a prime with `p − 1 = (2^k − 1)·2^m`
    /// (`n = k + m` bits; BabyBear: k = 4, m = 27; KoalaBear: k = 7, m = 24). With
    /// `high` the top k bits and `low` the bottom m, `high·2^m + low ≤ p − 1` exactly when
    /// `high` is not all ones or `low` is 0: so `Π high bits · low = 0`, k products in all
    /// where the lexicographic check needs n.
    fn canonical_ones_then_zeros(&mut self, x: Target, n: usize, m: usize) -> Vec<Target> {
        // Vouched: each bit is pinned by booleanity and the recomposition together.
        let bits = self.hint_vouched(HintKind::BitsLe { bits: n as u8 }, &[x], n);
        for &bit in &bits {
            self.assert_bool(bit);
        }
        let low = self.horner_bits(&bits[..m]);
        let high = self.horner_bits(&bits[m..]);
        let shift = self.const_u64(1 << m);
        let shifted = self.mul(high, shift);
        let recomposed = self.add(shifted, low);
        self.connect(recomposed, x);
        let all_ones = bits[m + 1..]
            .iter()
            .fold(bits[m], |acc, &bit| self.mul(acc, bit));
        let too_big = self.mul(all_ones, low);
        self.assert_zero(too_big);
        bits
    }

    /// `Σ bᵢ·2ⁱ` by Horner from the top bit (`acc = 2·acc + bᵢ`, two adds per bit).
    fn horner_bits(&mut self, bits: &[Target]) -> Target {
        match bits.split_last() {
            None => self.zero(),
            Some((&top, rest)) => rest.iter().rev().fold(top, |acc, &bit| {
                let doubled = self.add(acc, acc);
                self.add(doubled, bit)
            }),
        }
    }

    /// Hints `n` bits of `x` and constrains them (boolean, recomposing to `x`).
    fn constrained_bits(&mut self, x: Target, n: usize) -> Vec<Target> {
        // Vouched: each bit is pinned by booleanity and the recomposition together.
        let bits = self.hint_vouched(HintKind::BitsLe { bits: n as u8 }, &[x], n);
        for &bit in &bits {
            self.assert_bool(bit);
        }
        let recomposed = self.horner_bits(&bits);
        self.connect(recomposed, x);
        bits
    }

    /// `1` if `a < b`, else `0`, for `a, b < 2^bits` (the caller range-checks them).
    /// Computes `a − b + 2^bits` (in `(0, 2^(bits+1))`) and reads its top bit.
    ///
    /// # Panics
    /// If `bits + 1 > max_range_bits::<F>()`.
    pub fn lt(&mut self, a: Target, b: Target, bits: usize) -> Target {
        let max = max_range_bits::<F>();
        assert!(
            bits < max,
            "lt: {bits}-bit operands need {} bits of headroom (at most {})",
            bits + 1,
            max - 1
        );
        let offset = self.const_u64(1 << bits);
        let diff = self.sub(a, b);
        let shifted = self.add(diff, offset);
        let shifted_bits = self.to_bits(shifted, bits + 1);
        let one = self.one();
        self.sub(one, shifted_bits[bits])
    }

    /// `x^(2^k)` by `k` squarings.
    pub fn exp_power_of_2(&mut self, x: Target, k: usize) -> Target {
        (0..k).fold(x, |acc, _| self.square(acc))
    }

    /// `Σ coeffs[i]·xⁱ` by Horner's rule (the empty polynomial is zero).
    pub fn horner(&mut self, coeffs: &[Target], x: Target) -> Target {
        match coeffs.split_last() {
            None => self.zero(),
            Some((&top, rest)) => rest.iter().rev().fold(top, |acc, &c| {
                let scaled = self.mul(acc, x);
                self.add(scaled, c)
            }),
        }
    }
}

impl<F: CircuitField> CircuitBuilder<F> {
    /// The coordinates of `x` over the prime field, lowest first (`D` of them for a
    /// degree-`D` extension), each **bound** to the base field by a canonical bit
    /// decomposition, and recombining to `x`.
    pub fn to_base_coeffs(&mut self, x: Target) -> Vec<Target> {
        let d = <F as BasedVectorSpace<F::PrimeSubfield>>::DIMENSION;
        // Vouched: each coefficient's canonical bits and the recombination pin them.
        let coeffs = self.hint_vouched(HintKind::BaseCoeffs, &[x], d);
        for &c in &coeffs {
            self.to_bits_canonical(c);
        }
        let recombined = self.from_base_coeffs(&coeffs);
        self.connect(recombined, x);
        coeffs
    }

    /// `Σ coeffs[i]·Xⁱ` over the extension's basis. The coefficients are taken as given:
    /// bind them to the base field first (as [`to_base_coeffs`](Self::to_base_coeffs) does)
    /// if they come from advice.
    pub fn from_base_coeffs(&mut self, coeffs: &[Target]) -> Target {
        let basis: Vec<Target> = (0..coeffs.len())
            .map(|i| {
                let element = <F as BasedVectorSpace<F::PrimeSubfield>>::ith_basis_element(i)
                    .unwrap_or_else(|| {
                        panic!("from_base_coeffs: the field has no basis element {i}")
                    });
                self.define_const(element)
            })
            .collect();
        self.inner_product(coeffs, &basis)
    }
}
