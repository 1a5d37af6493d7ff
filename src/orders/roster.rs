//! The ledger's resource list as it changes (报到 joins, updates, 调动 leaves): each resource in
//! a slot that is also its right node in the live dispatch, names of categories and skills
//! interned as they come, and an index by (served area, category) that finds who may serve a
//! need, and which needs a resource may serve, without scanning everything.

use crate::contract::{NeedData, ResourceData};
use crate::model::area::{AreaIdx, Areas, Level};
use crate::model::resource::Kind;
use crate::model::time::{DateTime, Window};
use crate::model::{Instance, Policy};
use std::collections::{BTreeMap, HashMap};

/// The index key of (area, category).
fn key(area: u32, category: u32) -> u64 {
    (u64::from(area) << 32) | u64::from(category)
}

/// Names interned in the order they came (the instance's first, in its order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Names {
    names: Vec<String>,
    index: BTreeMap<String, u32>,
}

impl Names {
    fn truncate(&mut self, len: usize) {
        for name in self.names.drain(len..) {
            self.index.remove(&name);
        }
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&k) = self.index.get(name) {
            return k;
        }
        let k = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), k);
        k
    }

    /// The indices of `names` (new ones interned), ascending and without repeats.
    fn set(&mut self, names: &[String]) -> Vec<u32> {
        ascending(names.iter().map(|n| self.intern(n)).collect())
    }

    /// [`Names::set`] of names that are all interned already (else `None`).
    fn known_set(&self, names: &[String]) -> Option<Vec<u32>> {
        let v = names.iter().map(|n| self.index.get(n.as_str()).copied());
        Some(ascending(v.collect::<Option<_>>()?))
    }

    /// Every name in interning order.
    pub(super) fn all(&self) -> &[String] {
        &self.names
    }
}

/// `v` ascending, without repeats.
fn ascending(mut v: Vec<u32>) -> Vec<u32> {
    v.sort_unstable();
    v.dedup();
    v
}

/// A need in the roster's terms: what eligibility looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Wanted {
    pub(super) area: AreaIdx,
    category: u32,
    skills: Vec<u32>,
    window: Option<Window>,
    max_unit_cost: Option<i64>,
    priority: u8,
    vulnerable: bool,
}

/// One resource in the roster: its contract form and its terms in the roster's indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Member {
    /// As joined or last updated.
    pub(super) data: ResourceData,
    home: AreaIdx,
    serves: Vec<AreaIdx>,
    categories: Vec<u32>,
    skills: Vec<u32>,
    window: Option<Window>,
}

impl Member {
    pub(super) fn kind(&self) -> Kind {
        self.data.kind
    }

    pub(super) fn capacity(&self) -> i64 {
        self.data.capacity
    }
}

/// A resource that serves every need of one area and category, as those needs' pairs are found:
/// its slot, the pair's tier, and its card.
#[derive(Debug, Clone, Copy)]
pub(super) struct Candidate {
    slot: u32,
    tier: Level,
    card: Card,
}

/// What finding pairs reads of a slot's resource, kept dense beside the slots (blank for a
/// free slot, which the index never lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Card {
    home: AreaIdx,
    unit_cost: i64,
    window: Option<Window>,
    /// Whether it has any skill (otherwise no need with skills may use it).
    skilled: bool,
}

impl Card {
    const BLANK: Card = Card {
        home: AreaIdx(0),
        unit_cost: 0,
        window: None,
        skilled: false,
    };
}

/// How far the roster had grown, to undo an insertion.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mark {
    slots: usize,
    categories: usize,
    skills: usize,
}

/// The resources by slot, with the index.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Roster {
    slots: Vec<Option<Member>>,
    /// Slots by id (a snapshot's restore finds hundreds of thousands). Left out of `Debug`,
    /// whose text must not depend on hashing order (the slots hold the ids).
    slot_of: HashMap<String, u32>,
    categories: Names,
    skills: Names,
    /// Who serves where, in what: the slots filed under each (served area << 32 | category),
    /// ascending (no key without a slot).
    served: HashMap<u64, Vec<u32>>,
    /// By slot.
    cards: Vec<Card>,
}

impl std::fmt::Debug for Roster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Roster")
            .field("slots", &self.slots)
            .field("categories", &self.categories)
            .field("skills", &self.skills)
            .field("served", &{
                let mut served: Vec<_> = self.served.iter().collect();
                served.sort_unstable();
                served
            })
            .field("cards", &self.cards)
            .finish_non_exhaustive()
    }
}

fn window(w: &Option<crate::contract::WindowData>) -> Option<Window> {
    let w = w.as_ref()?;
    Some(Window {
        start: DateTime::parse(&w.start)?,
        end: DateTime::parse(&w.end)?,
    })
}

impl Roster {
    /// The instance's resources (`resources`, its list in contract form) in slots `0..m`
    /// (its order, by id), with its names.
    pub(super) fn new(instance: &Instance, resources: Vec<ResourceData>) -> Roster {
        let mut roster = Roster {
            slots: Vec::new(),
            slot_of: HashMap::with_capacity(resources.len()),
            categories: Names::default(),
            skills: Names::default(),
            served: HashMap::new(),
            cards: Vec::new(),
        };
        for c in 0..instance.categories().len() as u32 {
            roster.categories.intern(instance.categories().name(c));
        }
        for s in 0..instance.skills().len() as u32 {
            roster.skills.intern(instance.skills().name(s));
        }
        for (j, r) in resources.into_iter().enumerate() {
            roster.insert(j as u32, r, instance.areas());
        }
        roster
    }

    /// A roster from a snapshot: the names in interning order, and the resources by slot.
    pub(super) fn from_parts(
        categories: &[String],
        skills: &[String],
        slots: Vec<Option<ResourceData>>,
        areas: &Areas,
    ) -> Roster {
        let mut roster = Roster {
            slots: Vec::new(),
            slot_of: HashMap::with_capacity(slots.len()),
            categories: Names::default(),
            skills: Names::default(),
            served: HashMap::new(),
            cards: Vec::new(),
        };
        for c in categories {
            roster.categories.intern(c);
        }
        for s in skills {
            roster.skills.intern(s);
        }
        for (j, r) in slots.into_iter().enumerate() {
            match r {
                Some(r) => roster.insert(j as u32, r, areas),
                None => {
                    roster.slots.push(None);
                    roster.cards.push(Card::BLANK);
                }
            }
        }
        roster
    }

    /// Names of the categories and skills in interning order (for a snapshot).
    pub(super) fn names(&self) -> (&[String], &[String]) {
        (self.categories.all(), self.skills.all())
    }

    /// Number of slots (free ones included).
    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    /// When slot `j`'s resource's window ends (`None`: no window, or a free slot).
    pub(super) fn window_end(&self, j: u32) -> Option<DateTime> {
        self.get(j).and_then(|r| r.window.map(|w| w.end))
    }

    /// The resource in slot `j`, if any.
    pub(super) fn get(&self, j: u32) -> Option<&Member> {
        self.slots.get(j as usize).and_then(Option::as_ref)
    }

    /// The slot of the resource with this id.
    pub(super) fn find(&self, id: &str) -> Option<u32> {
        self.slot_of.get(id).copied()
    }

    /// The id of the resource in slot `j` (empty for a free slot).
    pub(super) fn id(&self, j: u32) -> &str {
        self.get(j).map_or("", |m| m.data.id.as_str())
    }

    /// Every resource, by id (sorted when asked: only listings and summaries want the order).
    pub(super) fn by_id(&self) -> impl Iterator<Item = (u32, &Member)> + '_ {
        let mut all: Vec<(u32, &Member)> = (0..self.slots.len() as u32)
            .filter_map(|j| self.get(j).map(|m| (j, m)))
            .collect();
        all.sort_unstable_by(|a, b| a.1.data.id.cmp(&b.1.data.id));
        all.into_iter()
    }

    /// Puts a validated resource into slot `j` (a new one or a free one), with its index
    /// entries and its card.
    pub(super) fn insert(&mut self, j: u32, data: ResourceData, areas: &Areas) {
        let area = |id: &str| areas.find(id).unwrap_or(AreaIdx(0));
        let home = area(&data.home);
        let mut serves: Vec<AreaIdx> = match &data.serves {
            None => vec![home],
            Some(s) => s.iter().map(|a| area(a)).collect(),
        };
        serves.sort_unstable();
        serves.dedup();
        let member = Member {
            home,
            categories: self.categories.set(&data.categories),
            skills: self.skills.set(&data.skills),
            window: window(&data.window),
            serves,
            data,
        };
        for s in &member.serves {
            for &c in &member.categories {
                let slots = self.served.entry(key(s.0, c)).or_default();
                if let Err(k) = slots.binary_search(&j) {
                    slots.insert(k, j);
                }
            }
        }
        self.slot_of.insert(member.data.id.clone(), j);
        if self.slots.len() <= j as usize {
            self.slots.resize(j as usize + 1, None);
        }
        self.cards.resize(self.slots.len(), Card::BLANK);
        self.cards[j as usize] = Card {
            home: member.home,
            unit_cost: member.data.unit_cost,
            window: member.window,
            skilled: !member.skills.is_empty(),
        };
        self.slots[j as usize] = Some(member);
    }

    /// The roster's extent now, for [`Roster::undo`].
    pub(super) fn mark(&self) -> Mark {
        Mark {
            slots: self.slots.len(),
            categories: self.categories.names.len(),
            skills: self.skills.names.len(),
        }
    }

    /// Takes out what was inserted into slot `j` since `mark` (and names interned since),
    /// putting `old` back into the slot.
    pub(super) fn undo(&mut self, j: u32, mark: Mark, old: Option<Member>, areas: &Areas) {
        self.remove(j);
        self.slots
            .truncate(mark.slots.max(j as usize + usize::from(old.is_some())));
        self.cards.truncate(self.slots.len());
        self.categories.truncate(mark.categories);
        self.skills.truncate(mark.skills);
        if let Some(m) = old {
            self.insert(j, m.data, areas);
        }
    }

    /// Takes the resource out of slot `j`.
    pub(super) fn remove(&mut self, j: u32) -> Option<Member> {
        let member = self.slots.get_mut(j as usize)?.take()?;
        for s in &member.serves {
            for &c in &member.categories {
                let k = key(s.0, c);
                if let Some(slots) = self.served.get_mut(&k) {
                    if let Ok(at) = slots.binary_search(&j) {
                        slots.remove(at);
                    }
                    if slots.is_empty() {
                        self.served.remove(&k);
                    }
                }
            }
        }
        self.cards[j as usize] = Card::BLANK;
        self.slot_of.remove(&member.data.id);
        Some(member)
    }

    /// A valid need in the roster's terms (new category and skill names are interned).
    pub(super) fn wanted(&mut self, need: &NeedData, areas: &Areas) -> Wanted {
        let category = self.categories.intern(&need.category);
        let skills = self.skills.set(&need.skills);
        Roster::terms(need, areas, category, skills)
    }

    /// Interns a need's category and skill names that are new, in that order.
    pub(super) fn learn(&mut self, category: &str, skills: &[String]) {
        self.categories.intern(category);
        for s in skills {
            self.skills.intern(s);
        }
    }

    /// [`Roster::wanted`] of a need whose names are interned (else `None`), without changing
    /// the roster.
    pub(super) fn known(&self, need: &NeedData, areas: &Areas) -> Option<Wanted> {
        let category = *self.categories.index.get(need.category.as_str())?;
        let skills = self.skills.known_set(&need.skills)?;
        Some(Roster::terms(need, areas, category, skills))
    }

    fn terms(need: &NeedData, areas: &Areas, category: u32, skills: Vec<u32>) -> Wanted {
        Wanted {
            area: areas.find(&need.area).unwrap_or(AreaIdx(0)),
            category,
            skills,
            window: window(&need.window),
            max_unit_cost: need.max_unit_cost,
            priority: u8::try_from(need.priority).unwrap_or(1),
            vulnerable: need.vulnerable,
        }
    }

    /// The (area, category) keys a need is filed under: its area and every area above it.
    pub(super) fn places(w: &Wanted, areas: &Areas) -> Vec<(u32, u32)> {
        areas.ancestors(w.area).map(|a| (a.0, w.category)).collect()
    }

    /// The (area, category) keys under which a resource finds the needs it may serve.
    pub(super) fn reach(&self, j: u32) -> Vec<(u32, u32)> {
        self.get(j).map_or_else(Vec::new, |m| {
            m.serves
                .iter()
                .flat_map(|s| m.categories.iter().map(move |&c| (s.0, c)))
                .collect()
        })
    }

    /// Whether resource `j` may serve `w` under `policy`, with the pair's tier and value.
    pub(super) fn assess(
        &self,
        j: u32,
        w: &Wanted,
        areas: &Areas,
        policy: &Policy,
    ) -> Option<(Level, i64)> {
        let r = self.get(j)?;
        if !r.categories.contains(&w.category) || !r.serves.iter().any(|&s| areas.within(w.area, s))
        {
            return None;
        }
        let mut have = r.skills.iter();
        if !w.skills.iter().all(|s| have.any(|x| x == s)) {
            return None;
        }
        if let (Some(a), Some(b)) = (&w.window, &r.window) {
            if !a.overlaps(b) {
                return None;
            }
        }
        if w.max_unit_cost.is_some_and(|m| r.data.unit_cost > m) {
            return None;
        }
        let tier = areas.tier(w.area, r.home);
        let value = policy.unit_value(w.priority, w.vulnerable, tier, r.data.unit_cost);
        (value > 0).then_some((tier, value))
    }

    /// The resources that may serve `w`: (slot, tier, value), slots ascending.
    pub(super) fn pairs(
        &self,
        w: &Wanted,
        areas: &Areas,
        policy: &Policy,
    ) -> Vec<(u32, Level, i64)> {
        let candidates = self.candidates(w, areas);
        self.pairs_in_group(&self.group(&candidates, w, areas), w, policy)
    }

    /// The resources filed under `w`'s area (or an area above it) and category, ascending:
    /// the same for every need of one area and category.
    pub(super) fn candidates(&self, w: &Wanted, areas: &Areas) -> Vec<u32> {
        let mut found = Vec::new();
        for a in areas.ancestors(w.area) {
            if let Some(slots) = self.served.get(&key(a.0, w.category)) {
                found.extend_from_slice(slots);
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    /// What eligibility knows of the candidates of every need of `w`'s area and category
    /// (`candidates` from [`Roster::candidates`], who serve that area or one above it in that
    /// category, as the index files them), with their tier.
    pub(super) fn group(&self, candidates: &[u32], w: &Wanted, areas: &Areas) -> Vec<Candidate> {
        candidates
            .iter()
            .map(|&j| {
                let card = self.cards[j as usize];
                Candidate {
                    slot: j,
                    tier: areas.tier(w.area, card.home),
                    card,
                }
            })
            .collect()
    }

    /// [`Roster::pairs`] for a need of the area and category of `group` (from
    /// [`Roster::group`]): the checks that depend on the need itself.
    pub(super) fn pairs_in_group(
        &self,
        group: &[Candidate],
        w: &Wanted,
        policy: &Policy,
    ) -> Vec<(u32, Level, i64)> {
        let weight = policy.weight(w.priority, w.vulnerable);
        group
            .iter()
            .filter_map(|&Candidate { slot, tier, card }| {
                if !w.skills.is_empty() {
                    let have = if card.skilled {
                        self.get(slot).map_or(&[][..], |r| &r.skills[..])
                    } else {
                        &[][..]
                    };
                    let mut have = have.iter();
                    if !w.skills.iter().all(|s| have.any(|x| x == s)) {
                        return None;
                    }
                }
                if let (Some(a), Some(b)) = (&w.window, &card.window) {
                    if !a.overlaps(b) {
                        return None;
                    }
                }
                if w.max_unit_cost.is_some_and(|m| card.unit_cost > m) {
                    return None;
                }
                let value = weight - policy.penalty(tier) - policy.cost_weight * card.unit_cost;
                (value > 0).then_some((slot, tier, value))
            })
            .collect()
    }

    /// The (area, category) a need is filed under, for grouping needs that share candidates.
    pub(super) fn group_key(w: &Wanted) -> (u32, u32) {
        (w.area.0, w.category)
    }
}
