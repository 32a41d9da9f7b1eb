//! A Poseidon2 permutation that counts its calls: how the benches and tests compare the
//! verifier circuit's permutations with the native verifier's.

use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use p3_symmetric::{CryptographicPermutation, Permutation};

/// Wraps a width-16 permutation over the base field `F` and counts the permutations it
/// performs; a packed call counts one per lane. Clones share the count.
///
/// ```
/// use fixpoint_recursion::counting::CountingPermutation;
/// use p3_koala_bear::{KoalaBear, default_koalabear_poseidon2_16};
/// use p3_symmetric::Permutation;
/// use p3_field::PrimeCharacteristicRing;
///
/// let perm = CountingPermutation::<_, KoalaBear>::new(default_koalabear_poseidon2_16());
/// let clone = perm.clone();
/// clone.permute([KoalaBear::ZERO; 16]);
/// perm.permute([KoalaBear::ONE; 16]);
/// assert_eq!(perm.count(), 2);
/// perm.reset();
/// assert_eq!(clone.count(), 0);
/// ```
#[derive(Clone, Debug)]
pub struct CountingPermutation<P, F> {
    inner: P,
    count: Arc<AtomicUsize>,
    field: PhantomData<F>,
}

impl<P, F> CountingPermutation<P, F> {
    /// Counts `inner`'s permutations, from zero.
    pub fn new(inner: P) -> Self {
        CountingPermutation {
            inner,
            count: Arc::new(AtomicUsize::new(0)),
            field: PhantomData,
        }
    }

    /// Permutations since creation or the last [`reset`](Self::reset), over all clones.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Sets the count back to zero, for all clones.
    pub fn reset(&self) {
        self.count.store(0, Ordering::Relaxed);
    }
}

impl<T, P, F> Permutation<[T; 16]> for CountingPermutation<P, F>
where
    T: Clone + Sync,
    P: Permutation<[T; 16]>,
    F: Send + Sync + Clone,
{
    fn permute_mut(&self, input: &mut [T; 16]) {
        // A packed value holds one lane per base element of its size.
        let lanes = (std::mem::size_of::<T>() / std::mem::size_of::<F>()).max(1);
        self.count.fetch_add(lanes, Ordering::Relaxed);
        self.inner.permute_mut(input);
    }
}

impl<T, P, F> CryptographicPermutation<[T; 16]> for CountingPermutation<P, F>
where
    T: Clone + Sync,
    P: CryptographicPermutation<[T; 16]>,
    F: Send + Sync + Clone,
{
}
