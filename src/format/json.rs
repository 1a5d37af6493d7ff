//! Strict JSON reading: a syntax tree that keeps repeated keys and exact integers, and a walker
//! that turns it into the contract's types ([`InstanceData`]), reporting every type problem
//! with its path. [`Instance::from_json_str`] and [`Instance::from_reader`] read and validate
//! a whole instance.

use crate::contract::{AreaData, InstanceData, NeedData, ResourceData, WindowData, POLICY_FIELDS};
use crate::model::area::Level;
use crate::model::limits;
use crate::model::policy::Policy;
use crate::model::resource::Kind;
use crate::model::Instance;
use crate::validate::{self, Code, Diagnostics, LoadError, Problem, Problems};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::io::Read;

/// A JSON value whose objects keep every entry in order, repeated keys included.
#[derive(Debug)]
enum Json<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer literal beyond `i64`.
    BigInt,
    Float(f64),
    Str(Cow<'a, str>),
    Arr(Vec<Json<'a>>),
    Obj(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl<'de> de::Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json<'de>, E> {
        Ok(Json::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json<'de>, E> {
        Ok(i64::try_from(v).map_or(Json::BigInt, Json::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json<'de>, E> {
        Ok(Json::Float(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut v = Vec::new();
        while let Some(x) = seq.next_element()? {
            v.push(x);
        }
        Ok(Json::Arr(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let mut v = Vec::new();
        while let Some((k, x)) = map.next_entry::<KeyStr<'de>, Json<'de>>()? {
            v.push((k.0, x));
        }
        Ok(Json::Obj(v))
    }
}

struct KeyStr<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for KeyStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Json::deserialize(d)? {
            Json::Str(s) => Ok(KeyStr(s)),
            _ => Err(de::Error::custom("object key is not a string")),
        }
    }
}

impl Json<'_> {
    fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Int(_) | Json::BigInt | Json::Float(_) => "a number",
            Json::Str(_) => "a string",
            Json::Arr(_) => "an array",
            Json::Obj(_) => "an object",
        }
    }
}

/// Parses `text`, or returns the syntax problem with its line and column.
fn parse(text: &str) -> Result<Json<'_>, Problem> {
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = de::Deserialize::deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    parsed.map_err(|e| {
        // serde_json ends its message with the position, which the problem carries itself.
        let text = e.to_string();
        let msg = text
            .rfind(" at line ")
            .map_or(text.as_str(), |k| &text[..k]);
        let mut p = Problem::new(Code::Syntax, "", msg);
        p.line = Some(e.line());
        p.column = Some(e.column());
        p
    })
}

/// Walks a syntax tree into the contract's types, collecting problems as it goes.
#[derive(Default)]
struct Walker {
    d: Diagnostics,
}

impl Walker {
    fn report(&mut self, code: Code, path: String, id: Option<&str>, msg: impl Into<String>) {
        self.d.report(code, path, id, msg);
    }

    /// The fields of object `v` named in `names`, in that order (`null` counts as absent);
    /// reports non-objects, unknown and repeated fields.
    fn fields<'j, 'a, const N: usize>(
        &mut self,
        v: &'j Json<'a>,
        path: &str,
        names: [&str; N],
    ) -> Option<[Option<&'j Json<'a>>; N]> {
        let Json::Obj(entries) = v else {
            self.report(
                Code::WrongType,
                path.to_owned(),
                None,
                format!("expected an object, found {}", v.type_name()),
            );
            return None;
        };
        let mut out = [None; N];
        let mut seen = [false; N];
        let id = entries.iter().find_map(|(k, v)| match (k.as_ref(), v) {
            ("id", Json::Str(s)) => Some(s.as_ref()),
            _ => None,
        });
        for (k, x) in entries {
            match names.iter().position(|n| *n == k.as_ref()) {
                Some(i) if seen[i] => self.report(
                    Code::DuplicateField,
                    join(path, k),
                    id,
                    format!("field `{k}` is given twice"),
                ),
                Some(i) => {
                    seen[i] = true;
                    // `null` stands for an absent optional field, as many writers emit it.
                    if !matches!(x, Json::Null) {
                        out[i] = Some(x);
                    }
                }
                None => self.report(
                    Code::UnknownField,
                    join(path, k),
                    id,
                    format!("unknown field `{k}`; expected one of {}", names.join(", ")),
                ),
            }
        }
        Some(out)
    }

    fn required<'j, 'a>(
        &mut self,
        v: Option<&'j Json<'a>>,
        path: &str,
        name: &str,
        id: Option<&str>,
    ) -> Option<&'j Json<'a>> {
        if v.is_none() {
            self.report(
                Code::MissingField,
                join(path, name),
                id,
                format!("missing field `{name}`"),
            );
        }
        v
    }

    fn string(&mut self, v: &Json<'_>, path: String, id: Option<&str>) -> Option<String> {
        match v {
            Json::Str(s) => Some(s.clone().into_owned()),
            _ => {
                let msg = format!("expected a string, found {}", v.type_name());
                self.report(Code::WrongType, path, id, msg);
                None
            }
        }
    }

    fn opt_string(
        &mut self,
        v: Option<&Json<'_>>,
        path: &str,
        name: &str,
        id: Option<&str>,
    ) -> Option<String> {
        v.and_then(|v| self.string(v, join(path, name), id))
    }

    fn int(&mut self, v: &Json<'_>, path: String, id: Option<&str>) -> Option<i64> {
        let msg = match v {
            Json::Int(i) => return Some(*i),
            Json::BigInt => {
                return self.int_problem(Code::OutOfRange, path, id, "number too large".into())
            }
            Json::Float(f) if f.fract() == 0.0 && f.abs() >= 9.2e18 => {
                return self.int_problem(
                    Code::OutOfRange,
                    path,
                    id,
                    format!("number {f} too large"),
                )
            }
            Json::Float(f) => {
                return self.int_problem(
                    Code::NotInteger,
                    path,
                    id,
                    format!("{f} is not an integer"),
                )
            }
            other => format!("expected an integer, found {}", other.type_name()),
        };
        self.report(Code::WrongType, path, id, msg);
        None
    }

    fn int_problem(
        &mut self,
        code: Code,
        path: String,
        id: Option<&str>,
        msg: String,
    ) -> Option<i64> {
        self.report(code, path, id, msg);
        None
    }

    fn boolean(&mut self, v: &Json<'_>, path: String, id: Option<&str>) -> Option<bool> {
        match v {
            Json::Bool(b) => Some(*b),
            _ => {
                let msg = format!("expected true or false, found {}", v.type_name());
                self.report(Code::WrongType, path, id, msg);
                None
            }
        }
    }

    fn strings(&mut self, v: &Json<'_>, path: String, id: Option<&str>) -> Vec<String> {
        match v {
            Json::Arr(items) => items
                .iter()
                .enumerate()
                .filter_map(|(k, x)| self.string(x, format!("{path}[{k}]"), id))
                .collect(),
            _ => {
                let msg = format!("expected an array of strings, found {}", v.type_name());
                self.report(Code::WrongType, path, id, msg);
                Vec::new()
            }
        }
    }

    fn window(&mut self, v: &Json<'_>, path: String, id: Option<&str>) -> Option<WindowData> {
        let [start, end] = self.fields(v, &path, WindowData::FIELDS)?;
        let start = self.required(start, &path, "start", id);
        let end = self.required(end, &path, "end", id);
        let start = start.and_then(|s| self.string(s, join(&path, "start"), id));
        let end = end.and_then(|e| self.string(e, join(&path, "end"), id));
        match (start, end) {
            (Some(start), Some(end)) => Some(WindowData { start, end }),
            _ => {
                self.d.break_path(path);
                None
            }
        }
    }

    fn list<'j, 'a>(&mut self, v: Option<&'j Json<'a>>, name: &str) -> &'j [Json<'a>] {
        match v {
            None => &[],
            Some(Json::Arr(items)) if items.len() > limits::MAX_ITEMS => {
                let msg = format!(
                    "{} items, more than the limit {}",
                    items.len(),
                    limits::MAX_ITEMS
                );
                self.report(Code::TooLarge, name.to_owned(), None, msg);
                &[]
            }
            Some(Json::Arr(items)) => items,
            Some(other) => {
                let msg = format!("expected an array, found {}", other.type_name());
                self.report(Code::WrongType, name.to_owned(), None, msg);
                &[]
            }
        }
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn item_id<'j>(v: Option<&'j Json<'_>>) -> Option<&'j str> {
    match v {
        Some(Json::Str(s)) => Some(s),
        _ => None,
    }
}

/// Reads the instance object, with placeholders where a value is broken.
fn read_instance(root: &Json<'_>, w: &mut Walker) -> InstanceData {
    let mut data = InstanceData::default();
    let Some([areas, needs, resources, policy]) = w.fields(root, "", InstanceData::FIELDS) else {
        return data;
    };
    for (i, v) in w.list(areas, "areas").iter().enumerate() {
        data.areas.push(read_area(v, format!("areas[{i}]"), w));
    }
    for (i, v) in w.list(needs, "needs").iter().enumerate() {
        data.needs.push(read_need(v, format!("needs[{i}]"), w));
    }
    for (i, v) in w.list(resources, "resources").iter().enumerate() {
        data.resources
            .push(read_resource(v, format!("resources[{i}]"), w));
    }
    if let Some(p) = policy {
        data.policy = read_policy(p, w);
    }
    data
}

fn read_area(v: &Json<'_>, path: String, w: &mut Walker) -> AreaData {
    let mut a = AreaData {
        id: String::new(),
        name: None,
        level: Level::Grid,
        parent: None,
    };
    let Some([id, name, level, parent]) = w.fields(v, &path, AreaData::FIELDS) else {
        w.d.break_path(path);
        return a;
    };
    let iid = item_id(id);
    a.id = w
        .required(id, &path, "id", iid)
        .and_then(|x| w.string(x, join(&path, "id"), iid))
        .unwrap_or_default();
    a.name = w.opt_string(name, &path, "name", iid);
    let lpath = join(&path, "level");
    match w
        .required(level, &path, "level", iid)
        .map(|l| w.string(l, lpath.clone(), iid))
    {
        Some(Some(s)) => match Level::parse(&s) {
            Some(l) => a.level = l,
            None => w.report(
                Code::UnknownLevel,
                lpath,
                iid,
                format!("unknown level {s:?}"),
            ),
        },
        _ => {
            w.d.break_path(lpath);
        }
    }
    a.parent = w.opt_string(parent, &path, "parent", iid);
    if parent.is_some() && a.parent.is_none() {
        w.d.break_path(join(&path, "parent"));
    }
    a
}

fn read_need(v: &Json<'_>, path: String, w: &mut Walker) -> NeedData {
    let mut n = NeedData {
        id: String::new(),
        area: String::new(),
        category: String::new(),
        quantity: 1,
        priority: 3,
        vulnerable: false,
        skills: Vec::new(),
        window: None,
        max_unit_cost: None,
        requester: None,
        title: None,
    };
    let Some(
        [id, area, category, quantity, priority, vulnerable, skills, window, max_cost, requester, title],
    ) = w.fields(v, &path, NeedData::FIELDS)
    else {
        w.d.break_path(path);
        return n;
    };
    let iid = item_id(id);
    let req_str = |w: &mut Walker, v, name: &str| {
        w.required(v, &path, name, iid)
            .and_then(|x| w.string(x, join(&path, name), iid))
            .unwrap_or_default()
    };
    n.id = req_str(w, id, "id");
    n.area = req_str(w, area, "area");
    n.category = req_str(w, category, "category");
    if let Some(q) = w.required(quantity, &path, "quantity", iid) {
        n.quantity = w.int(q, join(&path, "quantity"), iid).unwrap_or(1);
    }
    if let Some(p) = priority {
        n.priority = w.int(p, join(&path, "priority"), iid).unwrap_or(3);
    }
    if let Some(b) = vulnerable {
        n.vulnerable = w
            .boolean(b, join(&path, "vulnerable"), iid)
            .unwrap_or(false);
    }
    if let Some(s) = skills {
        n.skills = w.strings(s, join(&path, "skills"), iid);
    }
    n.window = window.and_then(|x| w.window(x, join(&path, "window"), iid));
    n.max_unit_cost = max_cost.and_then(|x| w.int(x, join(&path, "max_unit_cost"), iid));
    n.requester = w.opt_string(requester, &path, "requester", iid);
    n.title = w.opt_string(title, &path, "title", iid);
    n
}

fn read_resource(v: &Json<'_>, path: String, w: &mut Walker) -> ResourceData {
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
        w.fields(v, &path, ResourceData::FIELDS)
    else {
        w.d.break_path(path);
        return r;
    };
    let iid = item_id(id);
    r.id = w
        .required(id, &path, "id", iid)
        .and_then(|x| w.string(x, join(&path, "id"), iid))
        .unwrap_or_default();
    let kpath = join(&path, "kind");
    if let Some(Some(s)) = w
        .required(kind, &path, "kind", iid)
        .map(|k| w.string(k, kpath.clone(), iid))
    {
        match Kind::parse(&s) {
            Some(k) => r.kind = k,
            None => w.report(Code::UnknownKind, kpath, iid, format!("unknown kind {s:?}")),
        }
    }
    r.name = w.opt_string(name, &path, "name", iid);
    r.home = w
        .required(home, &path, "home", iid)
        .and_then(|x| w.string(x, join(&path, "home"), iid))
        .unwrap_or_default();
    r.serves = serves.map(|s| w.strings(s, join(&path, "serves"), iid));
    let cpath = join(&path, "categories");
    match w.required(categories, &path, "categories", iid) {
        Some(c) => r.categories = w.strings(c, cpath, iid),
        None => {
            w.d.break_path(cpath);
        }
    }
    if let Some(s) = skills {
        r.skills = w.strings(s, join(&path, "skills"), iid);
    }
    if let Some(c) = w.required(capacity, &path, "capacity", iid) {
        r.capacity = w.int(c, join(&path, "capacity"), iid).unwrap_or(0);
    }
    if let Some(c) = unit_cost {
        r.unit_cost = w.int(c, join(&path, "unit_cost"), iid).unwrap_or(0);
    }
    r.window = window.and_then(|x| w.window(x, join(&path, "window"), iid));
    r
}

fn read_policy(v: &Json<'_>, w: &mut Walker) -> Policy {
    let mut p = Policy::default();
    let names = POLICY_FIELDS;
    let Some(f) = w.fields(v, "policy", names) else {
        return p;
    };
    let slots = [
        &mut p.priority_value,
        &mut p.vulnerable_bonus,
        &mut Default::default(),
        &mut p.cost_weight,
        &mut p.offer_deadline_hours,
        &mut p.reoffer_penalty,
    ];
    for ((name, slot), x) in names.iter().zip(slots).zip(f) {
        if let Some(x) = x.filter(|_| *name != "locality_penalty") {
            if let Some(i) = w.int(x, join("policy", name), None) {
                *slot = i;
            }
        }
    }
    if let Some(lp) = f[2] {
        let lnames = Level::ALL.map(Level::as_str);
        if let Some(vals) = w.fields(lp, "policy.locality_penalty", lnames) {
            for (l, x) in Level::ALL.iter().zip(vals) {
                if let Some(x) = x {
                    let path = format!("policy.locality_penalty.{l}");
                    if let Some(i) = w.int(x, path, None) {
                        p.locality_penalty[l.index()] = i;
                    }
                }
            }
        }
    }
    p
}

/// Reads one need object from JSON text, its paths starting at `path`; the syntax problem if
/// it is not JSON. Validation goes on from the returned diagnostics ([`crate::validate`]).
pub(crate) fn read_need_text(text: &str, path: &str) -> Result<(NeedData, Diagnostics), Problem> {
    let root = parse(text)?;
    let mut w = Walker::default();
    let data = read_need(&root, path.to_owned(), &mut w);
    Ok((data, w.d))
}

impl Instance {
    /// Reads and validates an instance from JSON text.
    ///
    /// # Errors
    /// [`LoadError::Invalid`] with every problem found: syntax (with line and column), types,
    /// unknown or repeated fields, ranges, references, the area tree.
    pub fn from_json_str(text: &str) -> Result<Instance, LoadError> {
        let root = parse(text).map_err(|p| LoadError::Invalid(Problems(vec![p])))?;
        let mut walker = Walker::default();
        let data = read_instance(&root, &mut walker);
        drop(root);
        validate::validate(&data, walker.d)
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
}
