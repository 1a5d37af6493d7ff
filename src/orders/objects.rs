//! The contract objects a command carries besides a need, read from a command line and checked
//! by the instance's rules: a resource (`join`), new terms for one (`update`), a policy
//! (`set_policy`) and points rules (`set_points`). Every problem comes with its code and its
//! path (`resource.capacity`, `policy.locality_penalty.street`), all at once.
//!
//! (The instance reader and validation know the resource and policy objects inside a whole
//! instance; these are the same rules for one object at a time.)

use super::command::ResourceChange;
use super::raw::{join, Raw, Walk};
use super::rules::Points;
use crate::contract::{ResourceData, WindowData, DEADLINE_LEVELS, POLICY_FIELDS};
use crate::model::area::{Areas, Level};
use crate::model::limits;
use crate::model::resource::Kind;
use crate::model::time::DateTime;
use crate::model::Policy;
use crate::validate::{Code, Diagnostics, Problem, Problems};

/// Reads a resource object at `path`.
pub(super) fn read_resource(v: &Raw, path: &str, w: &mut Walk) -> ResourceData {
    let mut r = ResourceData {
        id: String::new(),
        kind: Kind::Member,
        name: None,
        home: String::new(),
        serves: None,
        categories: Vec::new(),
        skills: Vec::new(),
        capacity: 0,
        unit_cost: 0,
        window: None,
    };
    let Some([id, kind, name, home, serves, categories, skills, capacity, unit_cost, window]) =
        w.fields(v, path, ResourceData::FIELDS)
    else {
        w.d.break_path(path.to_owned());
        return r;
    };
    let sid = id.and_then(|x| match x {
        Raw::Str(s) => Some(s.clone()),
        _ => None,
    });
    let iid = sid.as_deref();
    r.id = w
        .required(id, path, "id", iid)
        .and_then(|x| w.string(x, join(path, "id"), iid))
        .unwrap_or_default();
    let kpath = join(path, "kind");
    if let Some(Some(s)) = w
        .required(kind, path, "kind", iid)
        .map(|k| w.string(k, kpath.clone(), iid))
    {
        match Kind::parse(&s) {
            Some(k) => r.kind = k,
            None => {
                w.d.report(Code::UnknownKind, kpath, iid, format!("unknown kind {s:?}"))
            }
        }
    }
    r.name = name.and_then(|x| w.string(x, join(path, "name"), iid));
    r.home = w
        .required(home, path, "home", iid)
        .and_then(|x| w.string(x, join(path, "home"), iid))
        .unwrap_or_default();
    r.serves = serves.map(|s| w.strings(s, join(path, "serves"), iid));
    match w.required(categories, path, "categories", iid) {
        Some(c) => r.categories = w.strings(c, join(path, "categories"), iid),
        None => w.d.break_path(join(path, "categories")),
    }
    if let Some(s) = skills {
        r.skills = w.strings(s, join(path, "skills"), iid);
    }
    if let Some(c) = w.required(capacity, path, "capacity", iid) {
        r.capacity = w.int(c, join(path, "capacity"), iid).unwrap_or(0);
    }
    if let Some(c) = unit_cost {
        r.unit_cost = w.int(c, join(path, "unit_cost"), iid).unwrap_or(0);
    }
    r.window = window.and_then(|x| w.window(x, join(path, "window"), iid));
    r
}

/// Reads the terms of an `update` from the command's members (at the top level).
pub(super) fn read_change(slots: [Option<&Raw>; 6], id: &str, w: &mut Walk) -> ResourceChange {
    let [capacity, serves, categories, skills, window, unit_cost] = slots;
    let id = Some(id);
    ResourceChange {
        capacity: capacity.and_then(|x| w.int(x, "capacity".into(), id)),
        serves: serves.map(|x| w.strings(x, "serves".into(), id)),
        categories: categories.map(|x| w.strings(x, "categories".into(), id)),
        skills: skills.map(|x| w.strings(x, "skills".into(), id)),
        window: window.and_then(|x| w.window(x, "window".into(), id)),
        unit_cost: unit_cost.and_then(|x| w.int(x, "unit_cost".into(), id)),
    }
}

/// Reads a policy object at `path` (absent fields take the contract's defaults).
pub(super) fn read_policy(v: &Raw, path: &str, w: &mut Walk) -> Policy {
    let mut p = Policy::default();
    let Some(f) = w.fields(v, path, POLICY_FIELDS) else {
        return p;
    };
    let slots = [
        &mut p.priority_value,
        &mut p.vulnerable_bonus,
        &mut 0,
        &mut p.cost_weight,
        &mut p.offer_deadline_hours,
        &mut p.reoffer_penalty,
    ];
    for ((name, slot), x) in POLICY_FIELDS.iter().zip(slots).zip(f) {
        if let Some(x) = x.filter(|_| *name != "locality_penalty") {
            if let Some(i) = w.int(x, join(path, name), None) {
                *slot = i;
            }
        }
    }
    let at = |name: &str| POLICY_FIELDS.iter().position(|f| *f == name);
    // Live dispatch keeps the pairs' values only (a ledger on an instance with fairness
    // terms is refused): the terms are refused here too rather than ignored.
    for name in ["load_steps", "engagement", "community_floor"] {
        if at(name).and_then(|k| f[k]).is_some() {
            w.report(
                Code::UnknownField,
                join(path, name),
                None,
                format!("{name} is not taken by a ledger: live dispatch has no fairness terms"),
            );
        }
    }
    if let Some(x) = at("lapse_hours").and_then(|k| f[k]) {
        if let Some(i) = w.int(x, join(path, "lapse_hours"), None) {
            p.lapse_hours = i;
        }
    }
    if let Some(x) = at("forecast_weight").and_then(|k| f[k]) {
        p.forecast_weight = w.int(x, join(path, "forecast_weight"), None);
    }
    if let Some(x) = at("escalate_after_hours").and_then(|k| f[k]) {
        let dpath = join(path, "escalate_after_hours");
        if let Some(vals) = w.fields(x, &dpath, DEADLINE_LEVELS.map(Level::as_str)) {
            for (l, x) in DEADLINE_LEVELS.iter().zip(vals) {
                if let Some(i) = x.and_then(|x| w.int(x, join(&dpath, l.as_str()), None)) {
                    p.escalate_after_hours[l.index()] = Some(i);
                }
            }
        }
    }
    if let Some(lp) = f[2] {
        let lpath = join(path, "locality_penalty");
        if let Some(vals) = w.fields(lp, &lpath, Level::ALL.map(Level::as_str)) {
            for (l, x) in Level::ALL.iter().zip(vals) {
                if let Some(i) = x.and_then(|x| w.int(x, join(&lpath, l.as_str()), None)) {
                    p.locality_penalty[l.index()] = i;
                }
            }
        }
    }
    p
}

/// Reads points rules at `path` (absent fields take the defaults).
pub(super) fn read_points(v: &Raw, path: &str, w: &mut Walk) -> Points {
    let mut p = Points::default();
    let Some([per_unit, bonus]) = w.fields(v, path, ["per_unit", "good_rating_bonus"]) else {
        return p;
    };
    if let Some(x) = bonus.and_then(|x| w.int(x, join(path, "good_rating_bonus"), None)) {
        p.good_rating_bonus = x;
    }
    if let Some(pu) = per_unit {
        let upath = join(path, "per_unit");
        if let Some(vals) = w.fields(pu, &upath, Kind::ALL.map(Kind::as_str)) {
            for (k, x) in vals.iter().enumerate() {
                let kpath = join(&upath, Kind::ALL[k].as_str());
                if let Some(i) = x.and_then(|x| w.int(x, kpath, None)) {
                    p.per_unit[k] = i;
                }
            }
        }
    }
    p
}

/// The rule checks, skipping what reading already found broken.
struct Check<'a> {
    problems: Vec<Problem>,
    read: &'a Diagnostics,
    id: Option<&'a str>,
}

impl Check<'_> {
    fn push(&mut self, code: Code, path: String, msg: String) {
        if !self.read.is_broken(&path) {
            self.problems
                .push(Problem::new(code, path, msg).with_id(self.id));
        }
    }

    fn name(&mut self, s: &str, path: String, what: &str) {
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
            self.push(Code::BadId, path, format!("{what} {b}"));
        }
    }

    fn range(&mut self, v: i64, hi: i64, path: String) {
        if !(0..=hi).contains(&v) {
            let field = path.rsplit('.').next().unwrap_or_default().to_owned();
            self.push(
                Code::OutOfRange,
                path,
                format!("{field} {v} is outside 0..={hi}"),
            );
        }
    }

    fn area(&mut self, areas: &Areas, id: &str, path: String, what: &str) {
        if areas.find(id).is_none() {
            self.push(
                Code::UnknownArea,
                path,
                format!("{what} {id:?} is not a listed area"),
            );
        }
    }

    fn window(&mut self, w: &Option<WindowData>, path: &str) {
        let Some(w) = w else { return };
        let start = DateTime::parse(&w.start);
        let end = DateTime::parse(&w.end);
        for (t, s, name) in [(start, &w.start, "start"), (end, &w.end, "end")] {
            if t.is_none() {
                let msg = format!("{s:?} is not a valid YYYY-MM-DDTHH:MM:SS time");
                self.push(Code::BadTime, join(path, name), msg);
            }
        }
        if let (Some(a), Some(b)) = (start, end) {
            if b < a {
                let msg = format!("window ends ({}) before it starts ({})", w.end, w.start);
                self.push(Code::WindowOrder, path.to_owned(), msg);
            }
        }
    }

    fn lists(
        &mut self,
        areas: &Areas,
        serves: &Option<Vec<String>>,
        cats: Option<&[String]>,
        skills: Option<&[String]>,
        path: &str,
    ) {
        for (k, s) in serves.iter().flatten().enumerate() {
            self.area(
                areas,
                s,
                format!("{}[{k}]", join(path, "serves")),
                "served area",
            );
        }
        if cats.is_some_and(<[String]>::is_empty) {
            let p = join(path, "categories");
            self.push(Code::NoCategory, p, "the resource lists no category".into());
        }
        for (k, s) in cats.unwrap_or_default().iter().enumerate() {
            self.name(s, format!("{}[{k}]", join(path, "categories")), "category");
        }
        for (k, s) in skills.unwrap_or_default().iter().enumerate() {
            self.name(s, format!("{}[{k}]", join(path, "skills")), "skill");
        }
    }

    fn done(mut self) -> Result<(), Problems> {
        let mut all = self.read.problems.clone();
        all.append(&mut self.problems);
        if all.is_empty() {
            Ok(())
        } else {
            Err(Problems(all))
        }
    }
}

/// Checks a resource read at `path` (`read`: what reading found) against the rules of the
/// contract and the ledger's `areas`.
pub(super) fn check_resource(
    r: &ResourceData,
    path: &str,
    read: &Diagnostics,
    areas: &Areas,
) -> Result<(), Problems> {
    let mut c = Check {
        problems: Vec::new(),
        read,
        id: Some(&r.id),
    };
    c.name(&r.id, join(path, "id"), "id");
    c.area(areas, &r.home, join(path, "home"), "home");
    c.lists(areas, &r.serves, Some(&r.categories), Some(&r.skills), path);
    c.range(r.capacity, limits::MAX_CAPACITY, join(path, "capacity"));
    c.range(r.unit_cost, limits::MAX_UNIT_COST, join(path, "unit_cost"));
    c.window(&r.window, &join(path, "window"));
    c.done()
}

/// Checks the terms of an `update` of resource `id`.
pub(super) fn check_change(
    change: &ResourceChange,
    id: &str,
    read: &Diagnostics,
    areas: &Areas,
) -> Result<(), Problems> {
    let mut c = Check {
        problems: Vec::new(),
        read,
        id: Some(id),
    };
    c.lists(
        areas,
        &change.serves,
        change.categories.as_deref(),
        change.skills.as_deref(),
        "",
    );
    if let Some(v) = change.capacity {
        c.range(v, limits::MAX_CAPACITY, "capacity".into());
    }
    if let Some(v) = change.unit_cost {
        c.range(v, limits::MAX_UNIT_COST, "unit_cost".into());
    }
    c.window(&change.window, "window");
    c.done()
}

/// Checks a policy read at `path` against the ranges of [`crate::model::limits`].
pub(super) fn check_policy(p: &Policy, path: &str, read: &Diagnostics) -> Result<(), Problems> {
    let mut c = Check {
        problems: Vec::new(),
        read,
        id: None,
    };
    for (name, v, hi) in p.limited_numbers() {
        c.range(v, hi, join(path, name));
    }
    if let Some(v) = p.forecast_weight {
        c.range(v, 100, join(path, "forecast_weight"));
    }
    for l in DEADLINE_LEVELS {
        if let Some(v) = p.escalate_after_hours[l.index()] {
            let at = join(&join(path, "escalate_after_hours"), l.as_str());
            c.range(v, limits::MAX_DEADLINE_HOURS, at);
        }
    }
    for l in Level::ALL {
        let lp = join(&join(path, "locality_penalty"), l.as_str());
        c.range(p.locality_penalty[l.index()], limits::MAX_PENALTY, lp);
    }
    c.done()
}

/// Checks points rules read at `path`: every number within `0..=`[`Points::MAX`].
pub(super) fn check_points(p: &Points, path: &str, read: &Diagnostics) -> Result<(), Problems> {
    let mut c = Check {
        problems: Vec::new(),
        read,
        id: None,
    };
    for (k, v) in Kind::ALL.iter().zip(p.per_unit) {
        c.range(v, Points::MAX, join(&join(path, "per_unit"), k.as_str()));
    }
    c.range(
        p.good_rating_bonus,
        Points::MAX,
        join(path, "good_rating_bonus"),
    );
    c.done()
}
