//! Disjoint sets over expression ids (union by size, path halving).

use crate::arena::ExprId;

#[derive(Clone, Debug)]
pub(crate) struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    pub(crate) fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    #[inline]
    pub(crate) fn find(&mut self, x: ExprId) -> ExprId {
        let mut x = x.0;
        while self.parent[x as usize] != x {
            let grandparent = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grandparent;
            x = grandparent;
        }
        ExprId(x)
    }

    /// Merges the classes of `a` and `b`. Returns `(root, absorbed)`: the new root and the
    /// old root that now points to it (equal when `a` and `b` were already one class).
    pub(crate) fn union(&mut self, a: ExprId, b: ExprId) -> (ExprId, ExprId) {
        let (mut ra, mut rb) = (self.find(a), self.find(b));
        if ra == rb {
            return (ra, ra);
        }
        if self.size[ra.index()] < self.size[rb.index()] {
            std::mem::swap(&mut ra, &mut rb);
        }
        self.parent[rb.index()] = ra.0;
        self.size[ra.index()] += self.size[rb.index()];
        (ra, rb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_merges_transitively_and_keeps_others_apart() {
        let mut uf = UnionFind::new(5);
        uf.union(ExprId(0), ExprId(1));
        uf.union(ExprId(3), ExprId(1));
        assert_eq!(uf.find(ExprId(0)), uf.find(ExprId(3)));
        assert_ne!(uf.find(ExprId(0)), uf.find(ExprId(2)));
        assert_ne!(uf.find(ExprId(2)), uf.find(ExprId(4)));
        let (root, absorbed) = uf.union(ExprId(0), ExprId(3));
        assert_eq!(root, absorbed, "already one class");
    }
}
