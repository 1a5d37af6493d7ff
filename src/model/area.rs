//! The area hierarchy (一轴): city 市 → district 区 → street 街道 → community 社区 → grid 网格.
//!
//! Areas form a forest. Every area knows its ancestor at each level, so "does area `a` lie
//! within `s`?" and "at which level do `a` and `b` meet?" are answered in constant time.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// A level of the area hierarchy, from the top (`City`) down to the `Grid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 市, a city.
    City,
    /// 区, a district.
    District,
    /// 街道, a street (sub-district).
    Street,
    /// 社区, a residents' community.
    Community,
    /// 网格, a grid inside a community.
    Grid,
}

impl Level {
    /// All levels, top down.
    pub const ALL: [Level; 5] = [
        Level::City,
        Level::District,
        Level::Street,
        Level::Community,
        Level::Grid,
    ];

    /// The name used in JSON (`"grid"`, `"community"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::City => "city",
            Level::District => "district",
            Level::Street => "street",
            Level::Community => "community",
            Level::Grid => "grid",
        }
    }

    /// Parses a JSON level name.
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// Position from the top: city 0 … grid 4.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Dense index of an area in [`Areas`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AreaIdx(pub u32);

impl AreaIdx {
    /// The index as `usize`.
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// One area of the hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    /// External id, unique.
    pub id: String,
    /// Display name, if given.
    pub name: Option<String>,
    /// Its level.
    pub level: Level,
    /// Its parent, strictly above it.
    pub parent: Option<AreaIdx>,
}

/// The validated area forest, with each area's ancestor at every level.
///
/// ```
/// use duijie::model::{Areas, Level};
/// let areas = Areas::new(vec![
///     ("CY".into(), Level::District, None),
///     ("CY-JW".into(), Level::Street, Some(0)),
///     ("CY-JW-01".into(), Level::Community, Some(1)),
///     ("CY-JW-02".into(), Level::Community, Some(1)),
/// ]).unwrap();
/// let a = areas.find("CY-JW-01").unwrap();
/// let b = areas.find("CY-JW-02").unwrap();
/// assert_eq!(areas.tier(a, b), Level::Street);
/// assert!(areas.within(a, areas.find("CY").unwrap()));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Areas {
    areas: Vec<Area>,
    /// `chain[a][l]`: the ancestor of `a` (or `a` itself) at level `l`.
    chain: Vec<[Option<AreaIdx>; 5]>,
    /// Indices by id, for lookups (every need and resource looks its areas up). Left out of
    /// `Debug`, whose text must not depend on hashing order.
    by_id: HashMap<String, AreaIdx>,
}

impl fmt::Debug for Areas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Areas")
            .field("areas", &self.areas)
            .field("chain", &self.chain)
            .finish_non_exhaustive()
    }
}

impl Areas {
    /// Builds the forest from `(id, level, parent position)` triples.
    ///
    /// Returns `None` if a parent is out of range, not strictly above its child, or ids repeat;
    /// [`crate::validate`] reports those problems in detail before calling this.
    pub fn new(items: Vec<(String, Level, Option<usize>)>) -> Option<Areas> {
        Areas::with_names(items.into_iter().map(|(i, l, p)| (i, None, l, p)).collect())
    }

    pub(crate) fn with_names(
        items: Vec<(String, Option<String>, Level, Option<usize>)>,
    ) -> Option<Areas> {
        let n = items.len();
        let mut areas = Vec::with_capacity(n);
        for (id, name, level, parent) in items {
            let parent = match parent {
                Some(p) if p >= n => return None,
                Some(p) => Some(AreaIdx(u32::try_from(p).ok()?)),
                None => None,
            };
            areas.push(Area {
                id,
                name,
                level,
                parent,
            });
        }
        // Levels strictly increase downwards, so following parents ends within 5 steps;
        // fill chains in order of level so that a parent's chain is ready before its children.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&a| areas[a].level);
        let mut chain = vec![[None; 5]; n];
        for a in order {
            let area = &areas[a];
            if let Some(p) = area.parent {
                if areas[p.get()].level >= area.level {
                    return None;
                }
                chain[a] = chain[p.get()];
            }
            chain[a][area.level.index()] = Some(AreaIdx(a as u32));
        }
        let mut by_id = HashMap::with_capacity(n);
        for (a, area) in areas.iter().enumerate() {
            if by_id.insert(area.id.clone(), AreaIdx(a as u32)).is_some() {
                return None;
            }
        }
        Some(Areas {
            areas,
            chain,
            by_id,
        })
    }

    /// Number of areas.
    pub fn len(&self) -> usize {
        self.areas.len()
    }

    /// Whether there are no areas.
    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// The area at `a`.
    pub fn get(&self, a: AreaIdx) -> &Area {
        &self.areas[a.get()]
    }

    /// All areas in index order.
    pub fn iter(&self) -> impl Iterator<Item = (AreaIdx, &Area)> {
        self.areas
            .iter()
            .enumerate()
            .map(|(i, a)| (AreaIdx(i as u32), a))
    }

    /// Looks an area up by its external id.
    pub fn find(&self, id: &str) -> Option<AreaIdx> {
        self.by_id.get(id).copied()
    }

    /// The ancestor of `a` at `level` (`a` itself at its own level), if any.
    pub fn ancestor_at(&self, a: AreaIdx, level: Level) -> Option<AreaIdx> {
        self.chain[a.get()][level.index()]
    }

    /// `a` and its ancestors, bottom up.
    pub fn ancestors(&self, a: AreaIdx) -> impl Iterator<Item = AreaIdx> + '_ {
        self.chain[a.get()].iter().rev().flatten().copied()
    }

    /// Whether `a` is `s` or lies below it.
    pub fn within(&self, a: AreaIdx, s: AreaIdx) -> bool {
        self.ancestor_at(a, self.get(s).level) == Some(s)
    }

    /// The lowest common ancestor of `a` and `b`, or `None` when they lie in different trees.
    pub fn lowest_common_ancestor(&self, a: AreaIdx, b: AreaIdx) -> Option<AreaIdx> {
        let (ca, cb) = (&self.chain[a.get()], &self.chain[b.get()]);
        (0..5)
            .rev()
            .find_map(|l| ca[l].filter(|x| cb[l] == Some(*x)))
    }

    /// The tier of a pair: the level of their lowest common ancestor, `City` for different trees.
    pub fn tier(&self, a: AreaIdx, b: AreaIdx) -> Level {
        self.lowest_common_ancestor(a, b)
            .map_or(Level::City, |x| self.get(x).level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Areas {
        Areas::new(vec![
            ("BJ".into(), Level::City, None),               // 0
            ("CY".into(), Level::District, Some(0)),        // 1
            ("CY-JW".into(), Level::Street, Some(1)),       // 2
            ("CY-JW-01".into(), Level::Community, Some(2)), // 3
            ("CY-JW-01-g1".into(), Level::Grid, Some(3)),   // 4
            ("CY-JW-01-g2".into(), Level::Grid, Some(3)),   // 5
            ("CY-JW-02".into(), Level::Community, Some(2)), // 6
            ("CY-MZ".into(), Level::Street, Some(1)),       // 7
            ("CY-MZ-01".into(), Level::Community, Some(7)), // 8
            ("HD".into(), Level::District, None),           // 9, another tree
            ("HD-x".into(), Level::Community, Some(9)),     // 10, skips the street level
        ])
        .unwrap()
    }

    #[test]
    fn ancestors_bottom_up() {
        let a = sample();
        let got: Vec<&str> = a
            .ancestors(AreaIdx(4))
            .map(|x| a.get(x).id.as_str())
            .collect();
        assert_eq!(got, ["CY-JW-01-g1", "CY-JW-01", "CY-JW", "CY", "BJ"]);
        let got: Vec<u32> = a.ancestors(AreaIdx(10)).map(|x| x.0).collect();
        assert_eq!(got, [10, 9]);
    }

    #[test]
    fn tiers_of_named_pairs() {
        let a = sample();
        let cases = [
            ("same grid", 4, 4, Level::Grid),
            ("two grids of one community", 4, 5, Level::Community),
            ("grid and its community", 4, 3, Level::Community),
            ("two communities of one street", 3, 6, Level::Street),
            ("two streets of one district", 4, 8, Level::District),
            ("city is the top", 0, 4, Level::City),
            ("different trees", 4, 10, Level::City),
            ("skipped level", 10, 9, Level::District),
        ];
        for (name, x, y, want) in cases {
            assert_eq!(a.tier(AreaIdx(x), AreaIdx(y)), want, "{name}");
            assert_eq!(a.tier(AreaIdx(y), AreaIdx(x)), want, "{name} (swapped)");
        }
    }

    #[test]
    fn within_and_lca() {
        let a = sample();
        assert!(a.within(AreaIdx(4), AreaIdx(2)));
        assert!(a.within(AreaIdx(4), AreaIdx(4)));
        assert!(!a.within(AreaIdx(2), AreaIdx(4)));
        assert!(!a.within(AreaIdx(8), AreaIdx(2)));
        assert!(!a.within(AreaIdx(10), AreaIdx(1)));
        assert_eq!(
            a.lowest_common_ancestor(AreaIdx(5), AreaIdx(6)),
            Some(AreaIdx(2))
        );
        assert_eq!(a.lowest_common_ancestor(AreaIdx(5), AreaIdx(10)), None);
        assert_eq!(a.find("CY-MZ"), Some(AreaIdx(7)));
        assert_eq!(a.find("nowhere"), None);
    }

    #[test]
    fn rejects_bad_trees() {
        assert!(Areas::new(vec![("a".into(), Level::Grid, Some(0))]).is_none());
        assert!(Areas::new(vec![
            ("a".into(), Level::Street, None),
            ("b".into(), Level::Street, Some(0)),
        ])
        .is_none());
        assert!(Areas::new(vec![
            ("a".into(), Level::Street, None),
            ("a".into(), Level::Grid, None),
        ])
        .is_none());
        assert!(Areas::new(vec![("a".into(), Level::Street, Some(3))]).is_none());
    }
}
