//! Named scopes: every op records the scope path in which it was created.

use hashbrown::HashMap;

use crate::ir::ScopeId;

/// Interned scope paths and the stack of open scopes.
#[derive(Clone, Debug)]
pub(crate) struct Scopes {
    /// Paths by id; `paths[0]` is the root `""`.
    pub(crate) paths: Vec<String>,
    ids: HashMap<String, ScopeId>,
    stack: Vec<ScopeId>,
    /// Number of `pop_scope` calls made with no scope open (reported by `build`).
    pub(crate) unmatched_pops: usize,
}

impl Default for Scopes {
    fn default() -> Self {
        let mut ids = HashMap::new();
        ids.insert(String::new(), ScopeId::ROOT);
        Scopes {
            paths: vec![String::new()],
            ids,
            stack: Vec::new(),
            unmatched_pops: 0,
        }
    }
}

impl Scopes {
    #[inline]
    pub(crate) fn current(&self) -> ScopeId {
        self.stack.last().copied().unwrap_or(ScopeId::ROOT)
    }

    pub(crate) fn path(&self, id: ScopeId) -> &str {
        &self.paths[id.0 as usize]
    }

    pub(crate) fn push(&mut self, name: &str) {
        let parent = self.path(self.current());
        let path = if parent.is_empty() {
            name.to_owned()
        } else {
            format!("{parent}/{name}")
        };
        let next = ScopeId(self.paths.len() as u32);
        let id = *self.ids.entry(path).or_insert_with_key(|path| {
            self.paths.push(path.clone());
            next
        });
        self.stack.push(id);
    }

    pub(crate) fn pop(&mut self) {
        if self.stack.pop().is_none() {
            self.unmatched_pops += 1;
        }
    }

    /// The innermost open scope, if any (an open scope at `build` time is an error).
    pub(crate) fn open(&self) -> Option<&str> {
        self.stack.last().map(|id| self.path(*id))
    }
}
