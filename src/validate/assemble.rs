//! Assembly: the items of an instance, handed over one at a time as a reader reads them, are
//! checked by the rules of one item ([`super::rules`]) and kept in the model's compact form
//! at once (texts moved, names interned), so that the contract's form of the whole instance is
//! never held. [`Assembly::finish`] checks the rules across items (references to areas,
//! budgets and providers, repeated ids, the area tree, the budgets' areas, the totals) and
//! builds the [`Instance`].

use super::problem::{clip, Code, Diagnostics, LoadError, Problem, Problems};
use super::rules::{self, Check};
use crate::contract::{AreaData, BudgetData, NeedData, ProposalData, ResourceData};
use crate::model::area::{AreaIdx, Areas};
use crate::model::budget::{Budget, BudgetIdx};
use crate::model::limits;
use crate::model::need::Need;
use crate::model::policy::Policy;
use crate::model::proposal::Proposal;
use crate::model::resource::{Resource, ResourceIdx};
use crate::model::vocab::{CategoryIdx, SkillIdx, Vocab};
use crate::model::Instance;
use std::collections::HashMap;

/// A reference that reading found broken (already reported): not resolved, not reported again.
const BROKEN: u32 = u32::MAX;

/// Texts numbered in the order they first come; looked up by (std's keyed) hash, never
/// iterated, so hash order cannot reach a result.
#[derive(Default)]
struct Names {
    index: HashMap<String, u32>,
    names: Vec<String>,
}

impl Names {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&k) = self.index.get(s) {
            return k;
        }
        let k = self.names.len() as u32;
        self.names.push(s.to_owned());
        self.index.insert(s.to_owned(), k);
        k
    }

    /// The vocabulary of all names (sorted) and, per number, its rank in it.
    fn into_vocab(self) -> (Vocab, Vec<u32>) {
        let vocab = Vocab::new(self.names.iter().map(String::as_str));
        let rank = self
            .names
            .iter()
            .map(|n| vocab.find(n).unwrap_or(0))
            .collect();
        (vocab, rank)
    }
}

/// An area as read, with what reading broke of it.
struct AreaItem {
    data: AreaData,
    /// Its level was broken (no level-order problem is reported for it).
    level_broken: bool,
}

/// What a resource refers to, until the areas are known.
struct ResourceRefs {
    /// Numbered area reference of its home, or [`BROKEN`].
    home: u32,
    /// Numbered area references of its served areas; `None`: its home.
    serves: Option<Vec<u32>>,
}

/// What a proposal refers to, until the areas, budgets and resources are known.
struct ProposalRefs {
    /// Numbered area reference of its area, or [`BROKEN`].
    area: u32,
    /// Its budget's id (empty when reading broke it).
    budget: String,
    /// Its provider's id, if any.
    provider: Option<String>,
}

/// An instance being put together; see the module documentation.
#[derive(Default)]
pub(crate) struct Assembly {
    /// Every problem so far, of reading and of checking.
    pub(crate) d: Diagnostics,
    areas: Vec<AreaItem>,
    /// Needs in input order; `area` holds a numbered area reference (or [`BROKEN`]),
    /// `category` and `skills` numbered names, until [`Assembly::finish`].
    needs: Vec<Need>,
    /// Resources in input order, numbered like needs; `home` and `serves` in `refs`.
    resources: Vec<Resource>,
    refs: Vec<ResourceRefs>,
    /// Budgets in input order; `area` holds a numbered area reference (or [`BROKEN`]).
    budgets: Vec<Budget>,
    /// Proposals in input order, numbered like resources; references in `proposal_refs`.
    proposals: Vec<Proposal>,
    proposal_refs: Vec<ProposalRefs>,
    areas_named: Names,
    categories: Names,
    skills: Names,
    policy: Policy,
    /// Σ quantity of the needs (negative ones count 0), saturating.
    total: i64,
    /// Σ fixed cost of the proposals (negative ones count 0), saturating.
    fixed_total: i64,
}

impl Assembly {
    /// Checks area number `k` (read with the problems and broken paths in `self.d`).
    pub(crate) fn area(&mut self, k: usize, a: AreaData) {
        let path = format!("areas[{k}]");
        rules::area(&mut Check { d: &mut self.d }, &path, &a);
        let level_broken = self.d.is_broken(&format!("{path}.level"));
        self.areas.push(AreaItem {
            data: a,
            level_broken,
        });
        self.d.clear_broken();
    }

    /// Checks need number `k` and keeps it.
    pub(crate) fn need(&mut self, k: usize, n: NeedData) {
        let path = format!("needs[{k}]");
        let window = rules::need(&mut Check { d: &mut self.d }, &path, &n);
        let area = if self.d.is_broken(&format!("{path}.area")) {
            BROKEN
        } else {
            self.areas_named.intern(&n.area)
        };
        self.total = self.total.saturating_add(n.quantity.max(0));
        let need = Need {
            area: AreaIdx(area),
            category: CategoryIdx(self.categories.intern(&n.category)),
            quantity: u32::try_from(n.quantity).unwrap_or(0),
            priority: u8::try_from(n.priority).unwrap_or(0),
            vulnerable: n.vulnerable,
            skills: n
                .skills
                .iter()
                .map(|s| SkillIdx(self.skills.intern(s)))
                .collect(),
            window,
            max_unit_cost: n.max_unit_cost.map(|m| u32::try_from(m).unwrap_or(0)),
            id: n.id,
            requester: n.requester,
            title: n.title,
        };
        self.needs.push(need);
        self.d.clear_broken();
    }

    /// Checks resource number `k` and keeps it.
    pub(crate) fn resource(&mut self, k: usize, r: ResourceData) {
        let path = format!("resources[{k}]");
        let window = rules::resource(&mut Check { d: &mut self.d }, &path, &r);
        let home = if self.d.is_broken(&format!("{path}.home")) {
            BROKEN
        } else {
            self.areas_named.intern(&r.home)
        };
        let serves = r
            .serves
            .as_ref()
            .map(|s| s.iter().map(|a| self.areas_named.intern(a)).collect());
        let resource = Resource {
            kind: r.kind,
            home: AreaIdx(BROKEN),
            serves: Vec::new(),
            categories: r
                .categories
                .iter()
                .map(|c| CategoryIdx(self.categories.intern(c)))
                .collect(),
            skills: r
                .skills
                .iter()
                .map(|s| SkillIdx(self.skills.intern(s)))
                .collect(),
            capacity: u32::try_from(r.capacity).unwrap_or(0),
            unit_cost: u32::try_from(r.unit_cost).unwrap_or(0),
            window,
            id: r.id,
            name: r.name,
        };
        self.resources.push(resource);
        self.refs.push(ResourceRefs { home, serves });
        self.d.clear_broken();
    }

    /// Checks budget number `k` and keeps it.
    pub(crate) fn budget(&mut self, k: usize, b: BudgetData) {
        let path = format!("budgets[{k}]");
        rules::budget(&mut Check { d: &mut self.d }, &path, &b);
        let area = if self.d.is_broken(&format!("{path}.area")) {
            BROKEN
        } else {
            self.areas_named.intern(&b.area)
        };
        self.budgets.push(Budget {
            id: b.id,
            name: b.name,
            area: AreaIdx(area),
            amount: b.amount,
        });
        self.d.clear_broken();
    }

    /// Checks proposal number `k` and keeps it.
    pub(crate) fn proposal(&mut self, k: usize, x: ProposalData) {
        let path = format!("proposals[{k}]");
        let window = rules::proposal(&mut Check { d: &mut self.d }, &path, &x);
        let broken = |f: &str| self.d.is_broken(&format!("{path}.{f}"));
        let (area_broken, budget_broken) = (broken("area"), broken("budget"));
        let area = if area_broken {
            BROKEN
        } else {
            self.areas_named.intern(&x.area)
        };
        self.fixed_total = self.fixed_total.saturating_add(x.fixed_cost.max(0));
        let proposal = Proposal {
            title: x.title,
            provider: None,
            area: AreaIdx(BROKEN),
            budget: BudgetIdx(BROKEN),
            categories: x
                .categories
                .iter()
                .map(|c| CategoryIdx(self.categories.intern(c)))
                .collect(),
            skills: x
                .skills
                .iter()
                .map(|s| SkillIdx(self.skills.intern(s)))
                .collect(),
            capacity: u32::try_from(x.capacity).unwrap_or(0),
            unit_cost: u32::try_from(x.unit_cost).unwrap_or(0),
            fixed_cost: x.fixed_cost,
            window,
            id: x.id,
        };
        self.proposals.push(proposal);
        self.proposal_refs.push(ProposalRefs {
            area,
            budget: if budget_broken {
                String::new()
            } else {
                x.budget
            },
            provider: x.provider,
        });
        self.d.clear_broken();
    }

    /// Checks the policy and keeps it.
    pub(crate) fn policy(&mut self, p: Policy) {
        rules::policy(&mut Check { d: &mut self.d }, &p);
        self.policy = p;
        self.d.clear_broken();
    }

    /// Checks the rules across items and builds the instance.
    ///
    /// # Errors
    /// [`LoadError::Invalid`] with every problem of reading and checking.
    pub(crate) fn finish(mut self) -> Result<Instance, LoadError> {
        let sorted = check_areas(&self.areas, &mut self.d);
        // Each numbered area reference, resolved to a position in `self.areas`.
        let names = std::mem::take(&mut self.areas_named.names);
        let resolved: Vec<Option<usize>> = names
            .iter()
            .map(|n| find_area(&self.areas, &sorted, n))
            .collect();
        let mut c = Check { d: &mut self.d };
        for (k, n) in self.needs.iter().enumerate() {
            let a = n.area.0;
            if a != BROKEN && resolved[a as usize].is_none() {
                let msg = format!("area {:?} is not a listed area", clip(&names[a as usize]));
                c.push(Code::UnknownArea, format!("needs[{k}].area"), &n.id, msg);
            }
        }
        unique(&mut c, "needs", self.needs.iter().map(|n| n.id.as_str()));
        if self.total > limits::MAX_TOTAL_QUANTITY {
            let msg = format!(
                "total quantity {} is above the limit {}",
                self.total,
                limits::MAX_TOTAL_QUANTITY
            );
            c.push(Code::TooLarge, "needs".into(), "", msg);
        }
        for (k, (r, refs)) in self.resources.iter().zip(&self.refs).enumerate() {
            if refs.home != BROKEN && resolved[refs.home as usize].is_none() {
                let msg = format!(
                    "home {:?} is not a listed area",
                    clip(&names[refs.home as usize])
                );
                c.push(
                    Code::UnknownArea,
                    format!("resources[{k}].home"),
                    &r.id,
                    msg,
                );
            }
            for (s, &a) in refs.serves.iter().flatten().enumerate() {
                if resolved[a as usize].is_none() {
                    let msg = format!(
                        "served area {:?} is not a listed area",
                        clip(&names[a as usize])
                    );
                    let path = format!("resources[{k}].serves[{s}]");
                    c.push(Code::UnknownArea, path, &r.id, msg);
                }
            }
        }
        unique_across(
            &mut c,
            &[
                (
                    "resources",
                    self.resources.iter().map(|r| r.id.as_str()).collect(),
                ),
                (
                    "budgets",
                    self.budgets.iter().map(|b| b.id.as_str()).collect(),
                ),
                (
                    "proposals",
                    self.proposals.iter().map(|p| p.id.as_str()).collect(),
                ),
            ],
        );
        self.check_funding(&names, &resolved);
        if !self.d.is_empty() {
            return Err(LoadError::Invalid(self.d.into_problems()));
        }
        self.build(&resolved).ok_or_else(|| {
            LoadError::Invalid(Problems(vec![Problem::new(
                Code::AreaCycle,
                "areas",
                "the area tree is inconsistent",
            )]))
        })
    }

    /// The rules across budgets and proposals: areas listed, one budget per area, budgets and
    /// providers listed, the total of the fixed costs.
    fn check_funding(&mut self, names: &[String], resolved: &[Option<usize>]) {
        let mut c = Check { d: &mut self.d };
        let unknown =
            |reference: u32| reference != BROKEN && resolved[reference as usize].is_none();
        let mut by_area: Vec<(usize, usize)> = Vec::new();
        for (k, b) in self.budgets.iter().enumerate() {
            let a = b.area.0;
            if unknown(a) {
                let msg = format!("area {:?} is not a listed area", clip(&names[a as usize]));
                c.push(Code::UnknownArea, format!("budgets[{k}].area"), &b.id, msg);
            } else if let Some(Some(p)) = resolved.get(a as usize) {
                by_area.push((*p, k));
            }
        }
        // Sorted by area, then input order: in each run of one area, the first budget keeps it.
        by_area.sort_unstable();
        let mut taken: Vec<(usize, usize)> = Vec::new();
        for run in by_area.chunk_by(|x, y| x.0 == y.0) {
            taken.extend(run[1..].iter().map(|&(_, k)| (k, run[0].1)));
        }
        taken.sort_unstable();
        for (k, first) in taken {
            let b = &self.budgets[k];
            let msg = format!(
                "area {:?} is already covered by budgets[{first}]",
                clip(&names[b.area.0 as usize])
            );
            c.push(
                Code::DuplicateBudgetArea,
                format!("budgets[{k}].area"),
                &b.id,
                msg,
            );
        }
        let mut budget_ids: Vec<&str> = self.budgets.iter().map(|b| b.id.as_str()).collect();
        budget_ids.sort_unstable();
        let mut resource_ids: Vec<&str> = self.resources.iter().map(|r| r.id.as_str()).collect();
        resource_ids.sort_unstable();
        for (k, (x, refs)) in self.proposals.iter().zip(&self.proposal_refs).enumerate() {
            if unknown(refs.area) {
                let msg = format!(
                    "area {:?} is not a listed area",
                    clip(&names[refs.area as usize])
                );
                c.push(
                    Code::UnknownArea,
                    format!("proposals[{k}].area"),
                    &x.id,
                    msg,
                );
            }
            if !refs.budget.is_empty() && budget_ids.binary_search(&refs.budget.as_str()).is_err() {
                let msg = format!("budget {:?} is not a listed budget", clip(&refs.budget));
                c.push(
                    Code::UnknownBudget,
                    format!("proposals[{k}].budget"),
                    &x.id,
                    msg,
                );
            }
            if let Some(p) = &refs.provider {
                if resource_ids.binary_search(&p.as_str()).is_err() {
                    let msg = format!("provider {:?} is not a listed resource", clip(p));
                    let path = format!("proposals[{k}].provider");
                    c.push(Code::UnknownProvider, path, &x.id, msg);
                }
            }
        }
        if self.fixed_total > limits::MAX_TOTAL_FIXED_COST {
            let msg = format!(
                "the fixed costs add up to {}, above the limit {}",
                self.fixed_total,
                limits::MAX_TOTAL_FIXED_COST
            );
            c.push(Code::TooLarge, "proposals".into(), "", msg);
        }
    }

    /// The instance, from items that passed every check; `None` if the area tree is not one.
    fn build(self, resolved: &[Option<usize>]) -> Option<Instance> {
        // Areas sorted by id; `rank[position]` is an area's index.
        let mut order: Vec<usize> = (0..self.areas.len()).collect();
        order.sort_by(|&a, &b| self.areas[a].data.id.cmp(&self.areas[b].data.id));
        let mut rank = vec![0u32; self.areas.len()];
        for (r, &a) in order.iter().enumerate() {
            rank[a] = r as u32;
        }
        let position = |id: &str| {
            order
                .binary_search_by(|&k| self.areas[k].data.id.as_str().cmp(id))
                .ok()
        };
        let mut items = Vec::with_capacity(self.areas.len());
        for &a in &order {
            let d = &self.areas[a].data;
            let parent = match &d.parent {
                Some(p) => Some(position(p)?),
                None => None,
            };
            items.push((d.id.clone(), d.name.clone(), d.level, parent));
        }
        let areas = Areas::with_names(items)?;
        let area = |reference: u32| -> Option<AreaIdx> {
            let p = (*resolved.get(reference as usize)?)?;
            Some(AreaIdx(rank[p]))
        };
        let (categories, category_rank) = self.categories.into_vocab();
        let (skills, skill_rank) = self.skills.into_vocab();
        let skill_set = |v: &mut Vec<SkillIdx>| {
            for s in v.iter_mut() {
                s.0 = skill_rank[s.0 as usize];
            }
            v.sort_unstable();
            v.dedup();
        };

        let mut needs = self.needs;
        for n in &mut needs {
            n.area = area(n.area.0)?;
            n.category = CategoryIdx(category_rank[n.category.0 as usize]);
            skill_set(&mut n.skills);
        }
        needs.sort_by(|a, b| a.id.cmp(&b.id));
        let mut resources = self.resources;
        for (r, refs) in resources.iter_mut().zip(self.refs) {
            r.home = area(refs.home)?;
            r.serves = match refs.serves {
                None => vec![r.home],
                Some(s) => s.into_iter().map(area).collect::<Option<_>>()?,
            };
            r.serves.sort_unstable();
            r.serves.dedup();
            for c in &mut r.categories {
                c.0 = category_rank[c.0 as usize];
            }
            r.categories.sort_unstable();
            r.categories.dedup();
            skill_set(&mut r.skills);
        }
        resources.sort_by(|a, b| a.id.cmp(&b.id));
        let mut budgets = self.budgets;
        for b in &mut budgets {
            b.area = area(b.area.0)?;
        }
        budgets.sort_by(|a, b| a.id.cmp(&b.id));
        let budget_idx = |id: &str| {
            budgets
                .binary_search_by(|b| b.id.as_str().cmp(id))
                .ok()
                .map(|b| BudgetIdx(b as u32))
        };
        let resource_idx = |id: &str| {
            resources
                .binary_search_by(|r| r.id.as_str().cmp(id))
                .ok()
                .map(|r| ResourceIdx(r as u32))
        };
        let mut proposals = self.proposals;
        for (x, refs) in proposals.iter_mut().zip(self.proposal_refs) {
            x.area = area(refs.area)?;
            x.budget = budget_idx(&refs.budget)?;
            x.provider = match &refs.provider {
                Some(p) => Some(resource_idx(p)?),
                None => None,
            };
            for c in &mut x.categories {
                c.0 = category_rank[c.0 as usize];
            }
            x.categories.sort_unstable();
            x.categories.dedup();
            skill_set(&mut x.skills);
        }
        proposals.sort_by(|a, b| a.id.cmp(&b.id));
        let instance =
            Instance::from_parts(areas, needs, resources, self.policy, categories, skills);
        Some(instance.with_funding(budgets, proposals))
    }
}

/// Reports repeated ids of `list` (in list order, each naming the first); empty ids, which
/// their own rule already reports, are left out.
fn unique<'a>(c: &mut Check<'_>, list: &str, ids: impl Iterator<Item = &'a str>) {
    let ids: Vec<&str> = ids.collect();
    let mut order: Vec<usize> = (0..ids.len()).filter(|&k| !ids[k].is_empty()).collect();
    order.sort_by(|&a, &b| ids[a].cmp(ids[b]).then(a.cmp(&b)));
    let mut dups: Vec<(usize, usize)> = Vec::new();
    let mut first = None;
    for w in order.windows(2) {
        if ids[w[0]] == ids[w[1]] {
            let f = *first.get_or_insert(w[0]);
            dups.push((w[1], f));
        } else {
            first = None;
        }
    }
    dups.sort_unstable();
    for (k, first) in dups {
        let msg = format!("id {:?} is already used by {list}[{first}]", clip(ids[k]));
        c.push(Code::DuplicateId, format!("{list}[{k}].id"), ids[k], msg);
    }
}

/// Reports ids repeated within or across `lists`, which share one namespace: each repeat (in
/// list order, then item order) names the first item with that id. Empty ids, which their own
/// rule already reports, are left out.
fn unique_across(c: &mut Check<'_>, lists: &[(&str, Vec<&str>)]) {
    let mut all: Vec<(&str, usize, usize)> = Vec::new();
    for (l, (_, ids)) in lists.iter().enumerate() {
        all.extend(
            ids.iter()
                .enumerate()
                .filter(|(_, id)| !id.is_empty())
                .map(|(k, id)| (*id, l, k)),
        );
    }
    all.sort_unstable();
    let mut dups: Vec<((usize, usize), (usize, usize))> = Vec::new();
    let mut first = None;
    for w in all.windows(2) {
        if w[0].0 == w[1].0 {
            let f = *first.get_or_insert((w[0].1, w[0].2));
            dups.push(((w[1].1, w[1].2), f));
        } else {
            first = None;
        }
    }
    dups.sort_unstable();
    for ((l, k), (fl, fk)) in dups {
        let (list, ids) = (&lists[l].0, &lists[l].1);
        let msg = format!(
            "id {:?} is already used by {}[{fk}]",
            clip(ids[k]),
            lists[fl].0
        );
        c.push(Code::DuplicateId, format!("{list}[{k}].id"), ids[k], msg);
    }
}

/// How many areas of a cycle its message names.
const CYCLE_SHOWN: usize = 8;

/// Reports each cycle of parent links once, at its first member in input order.
fn report_cycles(c: &mut Check<'_>, areas: &[AreaItem], parent: &[Option<usize>]) {
    // 0 = unvisited, 1 = on the current walk, 2 = done.
    let mut state = vec![0u8; parent.len()];
    for start in 0..parent.len() {
        let mut walk = Vec::new();
        let mut x = Some(start);
        while let Some(a) = x {
            match state[a] {
                0 => {
                    state[a] = 1;
                    walk.push(a);
                    x = parent[a];
                }
                1 => {
                    let from = walk.iter().position(|&w| w == a).unwrap_or(0);
                    let cycle = &walk[from..];
                    let first = cycle.iter().copied().min().unwrap_or(a);
                    let mut msg = String::from("parents form a cycle: ");
                    for (n, &k) in cycle.iter().take(CYCLE_SHOWN).enumerate() {
                        if n > 0 {
                            msg.push_str(" → ");
                        }
                        msg.push_str(&clip(&areas[k].data.id).to_string());
                    }
                    if cycle.len() > CYCLE_SHOWN {
                        msg.push_str(&format!(" → … ({} areas in all)", cycle.len()));
                    }
                    let id = &areas[first].data.id;
                    c.push(Code::AreaCycle, format!("areas[{first}].parent"), id, msg);
                    break;
                }
                _ => break,
            }
        }
        for a in walk {
            state[a] = 2;
        }
    }
}

/// The rules of the area list: repeated ids, parents listed and above their children, no
/// cycles. Returns the areas' positions sorted by id (one per id), for [`find_area`].
fn check_areas(areas: &[AreaItem], d: &mut Diagnostics) -> Vec<usize> {
    let mut c = Check { d };
    unique(&mut c, "areas", areas.iter().map(|a| a.data.id.as_str()));
    let mut sorted: Vec<usize> = (0..areas.len()).collect();
    sorted.sort_by(|&a, &b| areas[a].data.id.cmp(&areas[b].data.id));
    sorted.dedup_by(|a, b| areas[*a].data.id == areas[*b].data.id);
    let mut parent: Vec<Option<usize>> = vec![None; areas.len()];
    for (i, a) in areas.iter().enumerate() {
        let Some(p) = &a.data.parent else { continue };
        match find_area(areas, &sorted, p) {
            None => c.push(
                Code::UnknownArea,
                format!("areas[{i}].parent"),
                &a.data.id,
                format!("parent {:?} is not a listed area", clip(p)),
            ),
            Some(k) => {
                parent[i] = Some(k);
                let up = &areas[k];
                if up.data.level >= a.data.level && !a.level_broken && !up.level_broken {
                    let msg = format!(
                        "level {} is not below its parent {:?} ({})",
                        a.data.level,
                        clip(&up.data.id),
                        up.data.level
                    );
                    c.push(
                        Code::LevelOrder,
                        format!("areas[{i}].level"),
                        &a.data.id,
                        msg,
                    );
                }
            }
        }
    }
    report_cycles(&mut c, areas, &parent);
    sorted
}

/// The position of the area with this id, through `sorted` from [`check_areas`].
fn find_area(areas: &[AreaItem], sorted: &[usize], id: &str) -> Option<usize> {
    sorted
        .binary_search_by(|&k| areas[k].data.id.as_str().cmp(id))
        .ok()
        .map(|k| sorted[k])
}
