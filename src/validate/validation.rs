//! The rules of the contract, checked in one pass that reports every problem at once, each
//! with its code, path and id. A value that reading already found broken is not reported
//! again.

use super::lower;
use super::problem::{Code, Diagnostics, LoadError, Problem, Problems};
use crate::contract::{InstanceData, NeedData, WindowData};
use crate::model::area::{Areas, Level};
use crate::model::limits;
use crate::model::policy::Policy;
use crate::model::time::{DateTime, Window};
use crate::model::Instance;

/// Validation state: the problems found so far.
struct Check<'a> {
    problems: Vec<Problem>,
    /// What reading found and broke.
    read: &'a Diagnostics,
}

impl Check<'_> {
    fn is_broken(&self, path: &str) -> bool {
        self.read.is_broken(path)
    }

    fn push(&mut self, code: Code, path: String, id: &str, msg: String) {
        if !self.is_broken(&path) {
            self.problems
                .push(Problem::new(code, path, msg).with_id(Some(id)));
        }
    }

    fn name(&mut self, s: &str, path: impl FnOnce() -> String, id: &str, what: &str) {
        let bad = if s.is_empty() {
            Some("is empty")
        } else if s.len() > limits::MAX_ID_BYTES {
            Some("is longer than 256 bytes")
        } else if s.chars().any(char::is_control) {
            Some("holds a control character")
        } else {
            None
        };
        if let Some(b) = bad {
            self.push(Code::BadId, path(), id, format!("{what} {b}"));
        }
    }

    fn range(&mut self, v: i64, lo: i64, hi: i64, path: impl FnOnce() -> String, id: &str) {
        if v < lo || v > hi {
            let p = path();
            let field = p.rsplit('.').next().unwrap_or_default().to_owned();
            self.push(
                Code::OutOfRange,
                p,
                id,
                format!("{field} {v} is outside {lo}..={hi}"),
            );
        }
    }

    fn time(&mut self, s: &str, path: String, id: &str) -> Option<DateTime> {
        let t = DateTime::parse(s);
        if t.is_none() {
            self.push(
                Code::BadTime,
                path,
                id,
                format!("{s:?} is not a valid YYYY-MM-DDTHH:MM:SS time"),
            );
        }
        t
    }

    fn window(
        &mut self,
        w: &Option<WindowData>,
        path: impl Fn() -> String,
        id: &str,
    ) -> Option<Window> {
        let w = w.as_ref()?;
        let start = self.time(&w.start, format!("{}.start", path()), id);
        let end = self.time(&w.end, format!("{}.end", path()), id);
        let (start, end) = (start?, end?);
        if end < start {
            self.push(
                Code::WindowOrder,
                path(),
                id,
                format!("window ends ({}) before it starts ({})", w.end, w.start),
            );
            return None;
        }
        Some(Window { start, end })
    }

    /// Reports repeated ids among `ids` (given with their positions).
    fn unique(&mut self, list: &str, ids: &[&str]) {
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by(|&a, &b| ids[a].cmp(ids[b]).then(a.cmp(&b)));
        let mut dups: Vec<(usize, usize)> = order
            .windows(2)
            .filter(|w| ids[w[0]] == ids[w[1]])
            .map(|w| (w[1], w[0]))
            .collect();
        dups.sort_unstable();
        for (k, first) in dups {
            let msg = format!("id {:?} is already used by {list}[{first}]", ids[k]);
            self.push(Code::DuplicateId, format!("{list}[{k}].id"), ids[k], msg);
        }
    }
}

/// Validates `data`; `read` carries the problems of reading, and the paths they broke.
pub(crate) fn validate(data: &InstanceData, read: Diagnostics) -> Result<Instance, LoadError> {
    let mut c = Check {
        problems: Vec::new(),
        read: &read,
    };

    // Areas: ids, references, levels, cycles.
    let area_ids: Vec<&str> = data.areas.iter().map(|a| a.id.as_str()).collect();
    for (i, a) in data.areas.iter().enumerate() {
        c.name(&a.id, || format!("areas[{i}].id"), &a.id, "id");
        if let Some(n) = &a.name {
            if n.chars().any(char::is_control) {
                c.push(
                    Code::BadId,
                    format!("areas[{i}].name"),
                    &a.id,
                    "name holds a control character".into(),
                );
            }
        }
    }
    c.unique("areas", &area_ids);
    let mut sorted_areas: Vec<usize> = (0..data.areas.len()).collect();
    sorted_areas.sort_by(|&a, &b| area_ids[a].cmp(area_ids[b]));
    sorted_areas.dedup_by(|a, b| area_ids[*a] == area_ids[*b]);
    let find_area = |id: &str| -> Option<usize> {
        sorted_areas
            .binary_search_by(|&k| area_ids[k].cmp(id))
            .ok()
            .map(|k| sorted_areas[k])
    };
    let mut parent: Vec<Option<usize>> = vec![None; data.areas.len()];
    for (i, a) in data.areas.iter().enumerate() {
        let Some(p) = &a.parent else { continue };
        match find_area(p) {
            None => c.push(
                Code::UnknownArea,
                format!("areas[{i}].parent"),
                &a.id,
                format!("parent {p:?} is not a listed area"),
            ),
            Some(k) => {
                parent[i] = Some(k);
                let broken_level = c.is_broken(&format!("areas[{i}].level"))
                    || c.is_broken(&format!("areas[{k}].level"));
                if data.areas[k].level >= a.level && !broken_level {
                    let msg = format!(
                        "level {} is not below its parent {:?} ({})",
                        a.level, data.areas[k].id, data.areas[k].level
                    );
                    c.push(Code::LevelOrder, format!("areas[{i}].level"), &a.id, msg);
                }
            }
        }
    }
    report_cycles(&mut c, data, &parent);

    // Needs.
    let need_ids: Vec<&str> = data.needs.iter().map(|n| n.id.as_str()).collect();
    let mut total: i64 = 0;
    for (i, n) in data.needs.iter().enumerate() {
        check_need(
            &mut c,
            &format!("needs[{i}]"),
            n,
            find_area(&n.area).is_some(),
        );
        total = total.saturating_add(n.quantity.max(0));
    }
    c.unique("needs", &need_ids);
    if total > limits::MAX_TOTAL_QUANTITY {
        let msg = format!(
            "total quantity {total} is above the limit {}",
            limits::MAX_TOTAL_QUANTITY
        );
        c.push(Code::TooLarge, "needs".into(), "", msg);
    }

    // Resources.
    let resource_ids: Vec<&str> = data.resources.iter().map(|r| r.id.as_str()).collect();
    for (i, r) in data.resources.iter().enumerate() {
        let id = r.id.as_str();
        let p = |f: &str| format!("resources[{i}].{f}");
        c.name(id, || p("id"), id, "id");
        if find_area(&r.home).is_none() {
            c.push(
                Code::UnknownArea,
                p("home"),
                id,
                format!("home {:?} is not a listed area", r.home),
            );
        }
        for (k, s) in r.serves.iter().flatten().enumerate() {
            if find_area(s).is_none() {
                c.push(
                    Code::UnknownArea,
                    format!("resources[{i}].serves[{k}]"),
                    id,
                    format!("served area {s:?} is not a listed area"),
                );
            }
        }
        if r.categories.is_empty() {
            c.push(
                Code::NoCategory,
                p("categories"),
                id,
                "the resource lists no category".into(),
            );
        }
        for (k, s) in r.categories.iter().enumerate() {
            c.name(
                s,
                || format!("resources[{i}].categories[{k}]"),
                id,
                "category",
            );
        }
        for (k, s) in r.skills.iter().enumerate() {
            c.name(s, || format!("resources[{i}].skills[{k}]"), id, "skill");
        }
        c.range(r.capacity, 0, limits::MAX_CAPACITY, || p("capacity"), id);
        c.range(r.unit_cost, 0, limits::MAX_UNIT_COST, || p("unit_cost"), id);
        c.window(&r.window, || p("window"), id);
    }
    c.unique("resources", &resource_ids);

    // Policy.
    for (name, v, hi) in policy_ranges(&data.policy) {
        c.range(v, 0, hi, || format!("policy.{name}"), "");
    }
    c.range(
        data.policy.reoffer_penalty,
        0,
        limits::MAX_PENALTY,
        || "policy.reoffer_penalty".into(),
        "",
    );
    for l in Level::ALL {
        let v = data.policy.locality_penalty[l.index()];
        c.range(
            v,
            0,
            limits::MAX_PENALTY,
            || format!("policy.locality_penalty.{l}"),
            "",
        );
    }

    let found = c.problems;
    let mut problems = read.problems;
    problems.extend(found);
    if !problems.is_empty() {
        return Err(LoadError::Invalid(Problems(problems)));
    }
    lower::instance(data).ok_or_else(|| {
        LoadError::Invalid(Problems(vec![Problem::new(
            Code::AreaCycle,
            "areas",
            "the area tree is inconsistent",
        )]))
    })
}

/// Each single-number field of the policy with its name and allowed range `0..=max`.
fn policy_ranges(p: &Policy) -> [(&'static str, i64, i64); 4] {
    [
        (
            "priority_value",
            p.priority_value,
            limits::MAX_PRIORITY_VALUE,
        ),
        (
            "vulnerable_bonus",
            p.vulnerable_bonus,
            limits::MAX_VULNERABLE_BONUS,
        ),
        ("cost_weight", p.cost_weight, limits::MAX_COST_WEIGHT),
        (
            "offer_deadline_hours",
            p.offer_deadline_hours,
            limits::MAX_DEADLINE_HOURS,
        ),
    ]
}

/// The checks of one need at `path` whose area is or is not listed.
fn check_need(c: &mut Check<'_>, path: &str, n: &NeedData, area_listed: bool) {
    let id = n.id.as_str();
    let p = |f: &str| format!("{path}.{f}");
    c.name(id, || p("id"), id, "id");
    if !area_listed {
        c.push(
            Code::UnknownArea,
            p("area"),
            id,
            format!("area {:?} is not a listed area", n.area),
        );
    }
    c.name(&n.category, || p("category"), id, "category");
    c.range(n.quantity, 1, limits::MAX_QUANTITY, || p("quantity"), id);
    c.range(n.priority, 1, 5, || p("priority"), id);
    for (k, s) in n.skills.iter().enumerate() {
        c.name(s, || format!("{path}.skills[{k}]"), id, "skill");
    }
    c.window(&n.window, || p("window"), id);
    if let Some(m) = n.max_unit_cost {
        c.range(m, 0, limits::MAX_UNIT_COST, || p("max_unit_cost"), id);
    }
}

/// Validates one need read at `path` (`read` carries the problems of reading it) against
/// `areas`, with the instance's rules.
pub(crate) fn need(
    data: NeedData,
    path: &str,
    read: Diagnostics,
    areas: &Areas,
) -> Result<NeedData, Problems> {
    let mut c = Check {
        problems: Vec::new(),
        read: &read,
    };
    check_need(&mut c, path, &data, areas.find(&data.area).is_some());
    let found = c.problems;
    let mut problems = read.problems;
    problems.extend(found);
    if problems.is_empty() {
        Ok(data)
    } else {
        Err(Problems(problems))
    }
}

/// Reports each cycle of parent links once, at its first member in input order.
fn report_cycles(c: &mut Check<'_>, data: &InstanceData, parent: &[Option<usize>]) {
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
                    let ids: Vec<&str> = cycle.iter().map(|&k| data.areas[k].id.as_str()).collect();
                    let msg = format!("parents form a cycle: {}", ids.join(" → "));
                    c.push(
                        Code::AreaCycle,
                        format!("areas[{first}].parent"),
                        &data.areas[first].id,
                        msg,
                    );
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
