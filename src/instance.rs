//! The three lists together: reading, validating (every problem at once) and writing instances.

use crate::area::{AreaIdx, Areas, Level};
use crate::json::{self, Walker};
use crate::limits;
use crate::need::{Need, NeedIdx};
use crate::policy::Policy;
use crate::problem::{Code, Problem, Problems};
use crate::resource::{Kind, Resource, ResourceIdx};
use crate::time::{DateTime, Window};
use crate::vocab::{CategoryIdx, SkillIdx, Vocab};
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::Read;

/// Why an instance could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The input could not be read.
    #[error("cannot read the input: {0}")]
    Io(#[from] std::io::Error),
    /// The input is malformed or breaks the contract; every problem is listed.
    #[error("invalid instance: {0}")]
    Invalid(Problems),
}

/// An area as written in the data contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AreaData {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its level.
    pub level: Level,
    /// Id of its parent area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// A time window as written in the data contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WindowData {
    /// `YYYY-MM-DDTHH:MM:SS`.
    pub start: String,
    /// `YYYY-MM-DDTHH:MM:SS`, not before `start`.
    pub end: String,
}

/// A need as written in the data contract (numbers unchecked until validation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeedData {
    /// Unique id.
    pub id: String,
    /// Id of the area where it is.
    pub area: String,
    /// Category of service.
    pub category: String,
    /// Units asked for, 1 ..= [`limits::MAX_QUANTITY`].
    pub quantity: i64,
    /// 1 ..= 5.
    pub priority: i64,
    /// A priority household.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub vulnerable: bool,
    /// Required skills.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<String>,
    /// When the service is wanted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowData>,
    /// Highest acceptable unit cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_unit_cost: Option<i64>,
    /// Who asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester: Option<String>,
    /// A short title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// A resource as written in the data contract (numbers unchecked until validation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceData {
    /// Unique id.
    pub id: String,
    /// Who offers it.
    pub kind: Kind,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Id of the area where it is registered.
    pub home: String,
    /// Ids of the areas it serves; `None` means `[home]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serves: Option<Vec<String>>,
    /// Categories it serves (at least one).
    pub categories: Vec<String>,
    /// Skills it has.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<String>,
    /// Units it can give, 0 ..= [`limits::MAX_CAPACITY`].
    pub capacity: i64,
    /// Cost of one unit, 0 ..= [`limits::MAX_UNIT_COST`].
    pub unit_cost: i64,
    /// When it is available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowData>,
}

/// An instance as written in the data contract: build one in code, or read one with
/// [`Instance::from_json_str`]; [`Instance::from_data`] validates it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InstanceData {
    /// The area hierarchy.
    pub areas: Vec<AreaData>,
    /// The demand list.
    pub needs: Vec<NeedData>,
    /// The resource list.
    pub resources: Vec<ResourceData>,
    /// The value model.
    pub policy: Policy,
}

/// A validated instance: areas, needs and resources, each sorted by id, and the policy.
///
/// ```
/// let json = r#"{
///   "areas": [{"id": "JW", "level": "street"}, {"id": "JW-01", "level": "community", "parent": "JW"}],
///   "needs": [{"id": "N1", "area": "JW-01", "category": "elder-care", "quantity": 2}],
///   "resources": [{"id": "R1", "kind": "member", "home": "JW-01", "categories": ["elder-care"], "capacity": 1}]
/// }"#;
/// let instance = duijie::Instance::from_json_str(json).unwrap();
/// assert_eq!(instance.needs().len(), 1);
///
/// let broken = r#"{"areas": [], "needs": [{"id": "N1", "area": "X", "category": "c", "quantity": 0}]}"#;
/// let err = duijie::Instance::from_json_str(broken).unwrap_err().to_string();
/// assert!(err.contains("needs[0].area") && err.contains("needs[0].quantity"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    areas: Areas,
    needs: Vec<Need>,
    resources: Vec<Resource>,
    policy: Policy,
    categories: Vocab,
    skills: Vocab,
}

impl Instance {
    /// Reads and validates an instance from JSON text.
    ///
    /// # Errors
    /// [`LoadError::Invalid`] with every problem found: syntax (with line and column), types,
    /// unknown or repeated fields, ranges, references, the area tree.
    pub fn from_json_str(text: &str) -> Result<Instance, LoadError> {
        let root = json::parse(text).map_err(|p| LoadError::Invalid(Problems(vec![p])))?;
        let mut walker = Walker::default();
        let data = json::read_instance(&root, &mut walker);
        drop(root);
        validate(&data, walker)
    }

    /// Reads and validates an instance from a reader (a file, stdin), at most
    /// [`limits::MAX_INPUT_BYTES`] bytes.
    ///
    /// # Errors
    /// As [`Instance::from_json_str`]; [`LoadError::Io`] if reading fails; a `too_large`
    /// problem, before parsing, for a longer input.
    pub fn from_reader(reader: impl Read) -> Result<Instance, LoadError> {
        Instance::from_reader_at_most(reader, limits::MAX_INPUT_BYTES)
    }

    /// As [`Instance::from_reader`], with a chosen byte limit (a service may want a lower one).
    ///
    /// # Errors
    /// As [`Instance::from_reader`].
    pub fn from_reader_at_most(reader: impl Read, max_bytes: u64) -> Result<Instance, LoadError> {
        let mut text = String::new();
        reader
            .take(max_bytes.saturating_add(1))
            .read_to_string(&mut text)?;
        if text.len() as u64 > max_bytes {
            let msg = format!("the input is longer than {max_bytes} bytes");
            return Err(LoadError::Invalid(Problems(vec![Problem::new(
                Code::TooLarge,
                "",
                msg,
            )])));
        }
        Instance::from_json_str(&text)
    }

    /// Validates an instance built in code.
    ///
    /// # Errors
    /// [`LoadError::Invalid`] with every problem found.
    pub fn from_data(data: &InstanceData) -> Result<Instance, LoadError> {
        validate(data, Walker::default())
    }

    /// The instance in its data-contract form (lists sorted by id).
    pub fn to_data(&self) -> InstanceData {
        let area_id = |a: AreaIdx| self.areas.get(a).id.clone();
        let window = |w: &Option<Window>| {
            w.map(|w| WindowData {
                start: w.start.to_string(),
                end: w.end.to_string(),
            })
        };
        let skill_names =
            |s: &[SkillIdx]| s.iter().map(|k| self.skills.name(k.0).to_owned()).collect();
        InstanceData {
            areas: self
                .areas
                .iter()
                .map(|(_, a)| AreaData {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    level: a.level,
                    parent: a.parent.map(area_id),
                })
                .collect(),
            needs: self
                .needs
                .iter()
                .map(|n| NeedData {
                    id: n.id.clone(),
                    area: area_id(n.area),
                    category: self.category_name(n.category).to_owned(),
                    quantity: n.quantity.into(),
                    priority: n.priority.into(),
                    vulnerable: n.vulnerable,
                    skills: skill_names(&n.skills),
                    window: window(&n.window),
                    max_unit_cost: n.max_unit_cost.map(i64::from),
                    requester: n.requester.clone(),
                    title: n.title.clone(),
                })
                .collect(),
            resources: self
                .resources
                .iter()
                .map(|r| ResourceData {
                    id: r.id.clone(),
                    kind: r.kind,
                    name: r.name.clone(),
                    home: area_id(r.home),
                    serves: (r.serves != [r.home])
                        .then(|| r.serves.iter().map(|&a| area_id(a)).collect()),
                    categories: r
                        .categories
                        .iter()
                        .map(|c| self.category_name(*c).to_owned())
                        .collect(),
                    skills: skill_names(&r.skills),
                    capacity: r.capacity.into(),
                    unit_cost: r.unit_cost.into(),
                    window: window(&r.window),
                })
                .collect(),
            policy: self.policy.clone(),
        }
    }

    /// The instance as contract JSON.
    pub fn to_json_string(&self) -> String {
        serde_json::to_string(&self.to_data()).unwrap_or_default()
    }

    /// The area hierarchy.
    pub fn areas(&self) -> &Areas {
        &self.areas
    }
    /// The needs, sorted by id.
    pub fn needs(&self) -> &[Need] {
        &self.needs
    }
    /// The resources, sorted by id.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }
    /// The value model.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }
    /// All category names.
    pub fn categories(&self) -> &Vocab {
        &self.categories
    }
    /// All skill names.
    pub fn skills(&self) -> &Vocab {
        &self.skills
    }
    /// The need at `i`.
    pub fn need(&self, i: NeedIdx) -> &Need {
        &self.needs[i.get()]
    }
    /// The resource at `j`.
    pub fn resource(&self, j: ResourceIdx) -> &Resource {
        &self.resources[j.get()]
    }
    /// The name of category `c`.
    pub fn category_name(&self, c: CategoryIdx) -> &str {
        self.categories.name(c.0)
    }
    /// Finds a need by id.
    pub fn find_need(&self, id: &str) -> Option<NeedIdx> {
        self.needs
            .binary_search_by(|n| n.id.as_str().cmp(id))
            .ok()
            .map(|i| NeedIdx(i as u32))
    }
    /// Finds a resource by id.
    pub fn find_resource(&self, id: &str) -> Option<ResourceIdx> {
        self.resources
            .binary_search_by(|r| r.id.as_str().cmp(id))
            .ok()
            .map(|i| ResourceIdx(i as u32))
    }
    /// A hash index of need and resource ids, for many lookups in a row (the sorted lists'
    /// binary search touches a cold cache line per probe).
    pub fn ids(&self) -> Ids<'_> {
        Ids {
            needs: self
                .needs
                .iter()
                .enumerate()
                .map(|(i, n)| (n.id.as_str(), i as u32))
                .collect(),
            resources: self
                .resources
                .iter()
                .enumerate()
                .map(|(j, r)| (r.id.as_str(), j as u32))
                .collect(),
        }
    }

    /// Total units asked for.
    pub fn demanded(&self) -> i64 {
        self.needs.iter().map(|n| i64::from(n.quantity)).sum()
    }
}

/// Need and resource ids by hash, from [`Instance::ids`]. Lookups only: nothing iterates it,
/// so hash order never reaches a result.
#[derive(Debug, Clone)]
pub struct Ids<'a> {
    needs: std::collections::HashMap<&'a str, u32>,
    resources: std::collections::HashMap<&'a str, u32>,
}

impl Ids<'_> {
    /// The need with this id.
    pub fn need(&self, id: &str) -> Option<NeedIdx> {
        self.needs.get(id).map(|&i| NeedIdx(i))
    }

    /// The resource with this id.
    pub fn resource(&self, id: &str) -> Option<ResourceIdx> {
        self.resources.get(id).map(|&j| ResourceIdx(j))
    }
}

/// Validation state: the problems found so far.
struct Check<'a> {
    problems: Vec<Problem>,
    broken: &'a BTreeSet<String>,
}

impl Check<'_> {
    fn is_broken(&self, path: &str) -> bool {
        self.broken.contains(path)
            || path
                .char_indices()
                .filter(|&(_, c)| c == '.' || c == '[')
                .any(|(k, _)| self.broken.contains(&path[..k]))
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

/// Validates `data`; `walker` carries the problems of reading, and the paths they broke.
pub(crate) fn validate(data: &InstanceData, walker: Walker) -> Result<Instance, LoadError> {
    let Walker {
        problems: read_problems,
        broken,
    } = walker;
    let mut c = Check {
        problems: Vec::new(),
        broken: &broken,
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
    for (name, v, hi) in data.policy.fields() {
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

    let mut problems = read_problems;
    problems.extend(c.problems);
    if !problems.is_empty() {
        return Err(LoadError::Invalid(Problems(problems)));
    }
    build(data).ok_or_else(|| {
        LoadError::Invalid(Problems(vec![Problem::new(
            Code::AreaCycle,
            "areas",
            "the area tree is inconsistent",
        )]))
    })
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

/// Reads and validates one need object (JSON text) against `areas`, with the instance's
/// rules; problem paths start at `need`.
pub(crate) fn validate_need(text: &str, areas: &Areas) -> Result<NeedData, Problems> {
    let root = json::parse(text).map_err(|p| Problems(vec![p]))?;
    let mut walker = Walker::default();
    let data = json::read_need(&root, "need".into(), &mut walker);
    let Walker { problems, broken } = walker;
    let mut c = Check {
        problems,
        broken: &broken,
    };
    check_need(&mut c, "need", &data, areas.find(&data.area).is_some());
    if c.problems.is_empty() {
        Ok(data)
    } else {
        Err(Problems(c.problems))
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

/// Skill names as a sorted set of indices; `None` if one is not in `skills`.
fn skill_set(names: &[String], skills: &Vocab) -> Option<Vec<SkillIdx>> {
    let mut v: Vec<SkillIdx> = names
        .iter()
        .map(|s| skills.find(s).map(SkillIdx))
        .collect::<Option<_>>()?;
    v.sort_unstable();
    v.dedup();
    Some(v)
}

/// A contract window as times: `Some(None)` without a window, `None` if a time does not parse.
fn window(w: &Option<WindowData>) -> Option<Option<Window>> {
    match w {
        None => Some(None),
        Some(w) => Some(Some(Window {
            start: DateTime::parse(&w.start)?,
            end: DateTime::parse(&w.end)?,
        })),
    }
}

/// A need in the terms of `areas` and the vocabularies; `None` when its area, category or a
/// skill is not among them or a number or time does not fit (validation rules those out).
pub(crate) fn need_from_data(
    n: &NeedData,
    areas: &Areas,
    categories: &Vocab,
    skills: &Vocab,
) -> Option<Need> {
    Some(Need {
        id: n.id.clone(),
        area: areas.find(&n.area)?,
        category: CategoryIdx(categories.find(&n.category)?),
        quantity: u32::try_from(n.quantity).ok()?,
        priority: u8::try_from(n.priority).ok()?,
        vulnerable: n.vulnerable,
        skills: skill_set(&n.skills, skills)?,
        window: window(&n.window)?,
        max_unit_cost: match n.max_unit_cost {
            Some(m) => Some(u32::try_from(m).ok()?),
            None => None,
        },
        requester: n.requester.clone(),
        title: n.title.clone(),
    })
}

/// Builds the instance from data that passed validation.
fn build(data: &InstanceData) -> Option<Instance> {
    let mut area_order: Vec<usize> = (0..data.areas.len()).collect();
    area_order.sort_by(|&a, &b| data.areas[a].id.cmp(&data.areas[b].id));
    let mut rank = vec![0usize; data.areas.len()];
    for (r, &a) in area_order.iter().enumerate() {
        rank[a] = r;
    }
    let position = |id: &str| {
        area_order
            .binary_search_by(|&k| data.areas[k].id.as_str().cmp(id))
            .ok()
    };
    let mut items = Vec::with_capacity(data.areas.len());
    for &a in &area_order {
        let d = &data.areas[a];
        let parent = match &d.parent {
            Some(p) => Some(position(p)?),
            None => None,
        };
        items.push((d.id.clone(), d.name.clone(), d.level, parent));
    }
    let areas = Areas::with_names(items)?;
    let area = |id: &str| areas.find(id);

    let categories = Vocab::new(
        data.needs.iter().map(|n| n.category.as_str()).chain(
            data.resources
                .iter()
                .flat_map(|r| r.categories.iter().map(String::as_str)),
        ),
    );
    let skills = Vocab::new(
        data.needs
            .iter()
            .flat_map(|n| n.skills.iter())
            .chain(data.resources.iter().flat_map(|r| r.skills.iter()))
            .map(String::as_str),
    );
    let mut needs = Vec::with_capacity(data.needs.len());
    for n in &data.needs {
        needs.push(need_from_data(n, &areas, &categories, &skills)?);
    }
    needs.sort_by(|a, b| a.id.cmp(&b.id));

    let mut resources = Vec::with_capacity(data.resources.len());
    for r in &data.resources {
        let home = area(&r.home)?;
        let mut serves = match &r.serves {
            None => vec![home],
            Some(s) => s.iter().map(|a| area(a)).collect::<Option<Vec<_>>>()?,
        };
        serves.sort_unstable();
        serves.dedup();
        let mut cats: Vec<CategoryIdx> = r
            .categories
            .iter()
            .map(|c| categories.find(c).map(CategoryIdx))
            .collect::<Option<_>>()?;
        cats.sort_unstable();
        cats.dedup();
        resources.push(Resource {
            id: r.id.clone(),
            kind: r.kind,
            name: r.name.clone(),
            home,
            serves,
            categories: cats,
            skills: skill_set(&r.skills, &skills)?,
            capacity: u32::try_from(r.capacity).ok()?,
            unit_cost: u32::try_from(r.unit_cost).ok()?,
            window: window(&r.window)?,
        });
    }
    resources.sort_by(|a, b| a.id.cmp(&b.id));

    Some(Instance {
        areas,
        needs,
        resources,
        policy: data.policy.clone(),
        categories,
        skills,
    })
}
