//! Interned names of categories and skills.

/// Dense index of a category name in [`Vocab`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CategoryIdx(pub u32);

/// Dense index of a skill name in [`Vocab`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SkillIdx(pub u32);

/// A sorted set of names; the index of a name is its rank, so indices follow name order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vocab {
    names: Vec<String>,
}

impl Vocab {
    /// Builds the vocabulary of all given names.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Vocab {
        let mut names: Vec<String> = names.into_iter().map(str::to_owned).collect();
        names.sort_unstable();
        names.dedup();
        Vocab { names }
    }

    /// Rank of `name`, if present.
    pub fn find(&self, name: &str) -> Option<u32> {
        self.names
            .binary_search_by(|n| n.as_str().cmp(name))
            .ok()
            .map(|i| i as u32)
    }

    /// The name at rank `i`.
    pub fn name(&self, i: u32) -> &str {
        &self.names[i as usize]
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are no names.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}
