//! Small sets kept as sorted vectors, for the in-memory indexes.

/// The size up to which a set grows by exactly the item added.
const SMALL: usize = 8;

/// A set kept as a sorted vector: most sets of the index hold one or two items, for which a
/// vector takes a fraction of a B-tree's memory.
#[derive(Clone, PartialEq, Eq)]
pub struct SortedVec<T>(Vec<T>);

impl<T> Default for SortedVec<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T: Ord> SortedVec<T> {
    pub fn one(item: T) -> Self {
        Self(vec![item])
    }

    /// Adds `item`; answers whether it was new.
    pub fn insert(&mut self, item: T) -> bool {
        match self.0.binary_search(&item) {
            Ok(_) => false,
            Err(at) => {
                // Small sets grow one item at a time (a vector's first growth makes room
                // for four); large ones double as vectors do.
                if self.0.len() == self.0.capacity() && self.0.len() < SMALL {
                    self.0.reserve_exact(1);
                }
                self.0.insert(at, item);
                true
            }
        }
    }

    /// Removes the item equal to `item`; answers whether there was one.
    pub fn remove<Q: Ord + ?Sized>(&mut self, item: &Q) -> bool
    where
        T: std::borrow::Borrow<Q>,
    {
        match self.0.binary_search_by(|known| known.borrow().cmp(item)) {
            Ok(at) => {
                self.0.remove(at);
                if self.0.capacity() > 2 * self.0.len() + 4 {
                    self.0.shrink_to_fit();
                }
                true
            }
            Err(_) => false,
        }
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether an item equal to `item` is in the set.
    pub fn contains<Q: Ord + ?Sized>(&self, item: &Q) -> bool
    where
        T: std::borrow::Borrow<Q>,
    {
        self.0
            .binary_search_by(|known| known.borrow().cmp(item))
            .is_ok()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for SortedVec<T> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_set().entries(&self.0).finish()
    }
}

impl<'a, T> IntoIterator for &'a SortedVec<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
