//! The contract's rules for one item at a time: names, ranges, times and windows, the policy's
//! ranges. A value that reading already found broken is not reported again. The rules across
//! items (references, repeated ids, the area tree) are in [`super::assemble`].

use super::problem::{clip, Code, Diagnostics, Problem, Problems};
use crate::contract::{AreaData, BudgetData, NeedData, ProposalData, ResourceData, WindowData};
use crate::model::area::{Areas, Level};
use crate::model::limits;
use crate::model::policy::Policy;
use crate::model::resource::Kind;
use crate::model::time::{DateTime, Window};

/// Checks that report into `d`, skipping paths that reading broke.
pub(super) struct Check<'a> {
    pub(super) d: &'a mut Diagnostics,
}

impl Check<'_> {
    pub(super) fn push(&mut self, code: Code, path: String, id: &str, msg: String) {
        if !self.d.is_broken(&path) {
            self.d.push(Problem::new(code, path, msg).with_id(Some(id)));
        }
    }

    /// An id or name: 1 to 256 bytes without control characters.
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
                format!("{:?} is not a valid YYYY-MM-DDTHH:MM:SS time", clip(s)),
            );
        }
        t
    }

    /// The window at `path`, if there is one and it is valid.
    fn window(
        &mut self,
        w: &Option<WindowData>,
        path: impl FnOnce() -> String,
        id: &str,
    ) -> Option<Window> {
        let w = w.as_ref()?;
        let path = path();
        let start = self.time(&w.start, format!("{path}.start"), id);
        let end = self.time(&w.end, format!("{path}.end"), id);
        let (start, end) = (start?, end?);
        if end < start {
            let msg = format!(
                "window ends ({}) before it starts ({})",
                clip(&w.end),
                clip(&w.start)
            );
            self.push(Code::WindowOrder, path, id, msg);
            return None;
        }
        Some(Window { start, end })
    }
}

/// The rules of one area at `path`.
pub(super) fn area(c: &mut Check<'_>, path: &str, a: &AreaData) {
    c.name(&a.id, || format!("{path}.id"), &a.id, "id");
    if a.name
        .as_ref()
        .is_some_and(|n| n.chars().any(char::is_control))
    {
        let msg = "name holds a control character".to_owned();
        c.push(Code::BadId, format!("{path}.name"), &a.id, msg);
    }
}

/// The rules of one need at `path`; its window, when it has a valid one.
pub(super) fn need(c: &mut Check<'_>, path: &str, n: &NeedData) -> Option<Window> {
    let id = n.id.as_str();
    let p = |f: &str| format!("{path}.{f}");
    c.name(id, || p("id"), id, "id");
    c.name(&n.category, || p("category"), id, "category");
    c.range(n.quantity, 1, limits::MAX_QUANTITY, || p("quantity"), id);
    c.range(n.priority, 1, 5, || p("priority"), id);
    for (k, s) in n.skills.iter().enumerate() {
        c.name(s, || format!("{path}.skills[{k}]"), id, "skill");
    }
    let window = c.window(&n.window, || p("window"), id);
    if let Some(m) = n.max_unit_cost {
        c.range(m, 0, limits::MAX_UNIT_COST, || p("max_unit_cost"), id);
    }
    window
}

/// The rules of one resource at `path`; its window, when it has a valid one.
pub(super) fn resource(c: &mut Check<'_>, path: &str, r: &ResourceData) -> Option<Window> {
    let id = r.id.as_str();
    let p = |f: &str| format!("{path}.{f}");
    c.name(id, || p("id"), id, "id");
    if r.categories.is_empty() {
        let msg = "the resource lists no category".to_owned();
        c.push(Code::NoCategory, p("categories"), id, msg);
    }
    for (k, s) in r.categories.iter().enumerate() {
        c.name(s, || format!("{path}.categories[{k}]"), id, "category");
    }
    for (k, s) in r.skills.iter().enumerate() {
        c.name(s, || format!("{path}.skills[{k}]"), id, "skill");
    }
    c.range(r.capacity, 0, limits::MAX_CAPACITY, || p("capacity"), id);
    c.range(r.unit_cost, 0, limits::MAX_UNIT_COST, || p("unit_cost"), id);
    c.window(&r.window, || p("window"), id)
}

/// The rules of one budget at `path`.
pub(super) fn budget(c: &mut Check<'_>, path: &str, b: &BudgetData) {
    let id = b.id.as_str();
    c.name(id, || format!("{path}.id"), id, "id");
    if b.name
        .as_ref()
        .is_some_and(|n| n.chars().any(char::is_control))
    {
        let msg = "name holds a control character".to_owned();
        c.push(Code::BadId, format!("{path}.name"), id, msg);
    }
    c.range(
        b.amount,
        0,
        limits::MAX_AMOUNT,
        || format!("{path}.amount"),
        id,
    );
}

/// The rules of one proposal at `path`; its window, when it has a valid one.
pub(super) fn proposal(c: &mut Check<'_>, path: &str, x: &ProposalData) -> Option<Window> {
    let id = x.id.as_str();
    let p = |f: &str| format!("{path}.{f}");
    c.name(id, || p("id"), id, "id");
    if x.categories.is_empty() {
        let msg = "the proposal lists no category".to_owned();
        c.push(Code::NoCategory, p("categories"), id, msg);
    }
    for (k, s) in x.categories.iter().enumerate() {
        c.name(s, || format!("{path}.categories[{k}]"), id, "category");
    }
    for (k, s) in x.skills.iter().enumerate() {
        c.name(s, || format!("{path}.skills[{k}]"), id, "skill");
    }
    c.range(x.capacity, 0, limits::MAX_CAPACITY, || p("capacity"), id);
    c.range(x.unit_cost, 0, limits::MAX_UNIT_COST, || p("unit_cost"), id);
    c.range(
        x.fixed_cost,
        0,
        limits::MAX_FIXED_COST,
        || p("fixed_cost"),
        id,
    );
    c.window(&x.window, || p("window"), id)
}

/// The ranges of the policy's numbers.
pub(super) fn policy(c: &mut Check<'_>, p: &Policy) {
    for (name, v, hi) in p.limited_numbers() {
        c.range(v, 0, hi, || format!("policy.{name}"), "");
    }
    if let Some(w) = p.forecast_weight {
        c.range(w, 0, 100, || "policy.forecast_weight".to_owned(), "");
    }
    for l in Level::ALL {
        if let Some(h) = p.escalate_after_hours[l.index()] {
            let path = || format!("policy.escalate_after_hours.{l}");
            c.range(h, 0, limits::MAX_DEADLINE_HOURS, path, "");
        }
    }
    for l in Level::ALL {
        let v = p.locality_penalty[l.index()];
        let path = || format!("policy.locality_penalty.{l}");
        c.range(v, 0, limits::MAX_PENALTY, path, "");
    }
    let most = limits::MAX_FAIRNESS_VALUE;
    for k in Kind::ALL {
        let at = |what: String| format!("policy.{what}.{}", k.as_str());
        if let Some(steps) = p.load_steps.as_ref().map(|s| &s[k]) {
            if steps.len() > limits::MAX_LOAD_STEPS {
                let msg = format!(
                    "{} steps, more than the limit {}",
                    steps.len(),
                    limits::MAX_LOAD_STEPS
                );
                c.push(Code::TooLarge, at("load_steps".into()), "", msg);
                continue;
            }
            for (n, step) in steps.iter().enumerate() {
                let path = |f: &str| format!("{}[{n}].{f}", at("load_steps".into()));
                c.range(step.after, 0, limits::MAX_CAPACITY, || path("after"), "");
                c.range(step.penalty, 0, most, || path("penalty"), "");
                let Some(before) = n.checked_sub(1).map(|b| steps[b]) else {
                    continue;
                };
                if step.after <= before.after {
                    let msg = format!(
                        "step {n} starts after {} units, not after step {} ({})",
                        step.after,
                        n - 1,
                        before.after
                    );
                    c.push(Code::StepOrder, path("after"), "", msg);
                }
                if step.penalty < before.penalty {
                    let msg = format!(
                        "step {n} has penalty {}, less than step {} ({})",
                        step.penalty,
                        n - 1,
                        before.penalty
                    );
                    c.push(Code::StepOrder, path("penalty"), "", msg);
                }
            }
        }
        if let Some(e) = p.engagement.as_ref().and_then(|e| e[k]) {
            let path = |f: &str| format!("{}.{f}", at("engagement".into()));
            c.range(e.units, 0, limits::MAX_CAPACITY, || path("units"), "");
            c.range(e.bonus, 0, most, || path("bonus"), "");
        }
    }
    if let Some(f) = p.community_floor {
        c.range(
            f.share_pct,
            0,
            100,
            || "policy.community_floor.share_pct".into(),
            "",
        );
        c.range(
            f.bonus,
            0,
            most,
            || "policy.community_floor.bonus".into(),
            "",
        );
    }
}

/// Validates one need read at `path` (`read` carries the problems of reading it) against
/// `areas`, with the instance's rules.
pub(crate) fn one_need(
    data: NeedData,
    path: &str,
    mut read: Diagnostics,
    areas: &Areas,
) -> Result<NeedData, Problems> {
    let mut c = Check { d: &mut read };
    need(&mut c, path, &data);
    if areas.find(&data.area).is_none() {
        let msg = format!("area {:?} is not a listed area", clip(&data.area));
        c.push(Code::UnknownArea, format!("{path}.area"), &data.id, msg);
    }
    if read.is_empty() {
        Ok(data)
    } else {
        Err(read.into_problems())
    }
}
