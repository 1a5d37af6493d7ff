//! Strict JSON reading, in one streaming pass: the text is walked straight into the contract's
//! types ([`InstanceData`]), with no syntax tree in between, and every problem is reported with
//! its path: wrong types, unknown and repeated fields, non-integers, numbers beyond `i64`.
//! [`Instance::from_json_str`] and [`Instance::from_reader`] read and validate a whole instance.
//!
//! Each expected value is read by an `Expect` (a string, an integer, a list of items, …): what
//! it is handed decides whether it is the value or a problem. Paths are built only when a problem
//! is reported, and problems inside a list item carry the item's id, which may come after them.

use crate::contract::{
    AreaData, BudgetData, InstanceData, NeedData, ProposalData, ResourceData, WindowData,
    DEADLINE_LEVELS, POLICY_FIELDS,
};
use crate::model::area::Level;
use crate::model::limits;
use crate::model::policy::{CommunityFloor, Engagement, LoadStep, PerKind, Policy};
use crate::model::resource::Kind;
use crate::model::Instance;
use crate::validate::{clip, Assembly, Code, Diagnostics, LoadError, Problem, Problems};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::io::Read;
use std::marker::PhantomData;

/// Where a value sits in the input, formatted only when a problem is reported.
#[derive(Clone, Copy)]
enum Loc<'a> {
    Root,
    Field(&'a Loc<'a>, &'a str),
    Item(&'a Loc<'a>, usize),
}

impl fmt::Display for Loc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Loc::Root => Ok(()),
            Loc::Field(Loc::Root, name) => f.write_str(name),
            Loc::Field(parent, name) => write!(f, "{parent}.{name}"),
            Loc::Item(parent, k) => write!(f, "{parent}[{k}]"),
        }
    }
}

/// The reading state: the instance being assembled, with the problems so far.
#[derive(Default)]
struct Reader {
    a: Assembly,
}

impl Reader {
    fn report(&mut self, code: Code, loc: Loc<'_>, msg: impl Into<String>) {
        self.a.d.report(code, loc.to_string(), None, msg);
    }

    fn break_at(&mut self, loc: Loc<'_>) {
        self.a.d.break_path(loc.to_string());
    }
}

/// A value as read, or why there is none.
enum Got<T> {
    /// `null`: an absent optional field.
    Null,
    /// The value.
    Value(T),
    /// A value of the wrong type; the problem is reported and the path broken.
    Broken,
}

/// A number as JSON writes it.
enum Number {
    Int(i64),
    /// An integer literal beyond `i64`.
    Big,
    Float(f64),
}

/// What a reader expects at one place: each kind of JSON value it is handed either is the value
/// or is reported as the wrong type (`found` names what came instead).
trait Expect<'de>: Sized {
    type Out;

    /// Reports that a value of another type came.
    fn wrong(self, found: &str) -> Got<Self::Out>;

    fn boolean(self, _: bool) -> Got<Self::Out> {
        self.wrong("a boolean")
    }
    fn number(self, _: Number) -> Got<Self::Out> {
        self.wrong("a number")
    }
    fn text(self, _: Cow<'de, str>) -> Got<Self::Out> {
        self.wrong("a string")
    }
    fn array<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Got<Self::Out>, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(self.wrong("an array"))
    }
    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<Got<Self::Out>, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(self.wrong("an object"))
    }
}

/// Reads one value with an [`Expect`].
struct Seed<E>(E);

impl<'de, E: Expect<'de>> DeserializeSeed<'de> for Seed<E> {
    type Value = Got<E::Out>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, E: Expect<'de>> Visitor<'de> for Seed<E> {
    type Value = Got<E::Out>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<X>(self) -> Result<Self::Value, X> {
        Ok(Got::Null)
    }
    fn visit_bool<X>(self, v: bool) -> Result<Self::Value, X> {
        Ok(self.0.boolean(v))
    }
    fn visit_i64<X>(self, v: i64) -> Result<Self::Value, X> {
        Ok(self.0.number(Number::Int(v)))
    }
    fn visit_u64<X>(self, v: u64) -> Result<Self::Value, X> {
        Ok(self
            .0
            .number(i64::try_from(v).map_or(Number::Big, Number::Int)))
    }
    fn visit_f64<X>(self, v: f64) -> Result<Self::Value, X> {
        Ok(self.0.number(Number::Float(v)))
    }
    fn visit_borrowed_str<X>(self, v: &'de str) -> Result<Self::Value, X> {
        Ok(self.0.text(Cow::Borrowed(v)))
    }
    fn visit_str<X>(self, v: &str) -> Result<Self::Value, X> {
        Ok(self.0.text(Cow::Owned(v.to_owned())))
    }
    fn visit_string<X>(self, v: String) -> Result<Self::Value, X> {
        Ok(self.0.text(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.0.array(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.object(map)
    }
}

/// Any value, skipped; nested arrays and objects still count towards the depth limit.
struct Skip;

impl<'de> de::Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<X>(self) -> Result<Skip, X> {
        Ok(Skip)
    }
    fn visit_bool<X>(self, _: bool) -> Result<Skip, X> {
        Ok(Skip)
    }
    fn visit_i64<X>(self, _: i64) -> Result<Skip, X> {
        Ok(Skip)
    }
    fn visit_u64<X>(self, _: u64) -> Result<Skip, X> {
        Ok(Skip)
    }
    fn visit_f64<X>(self, _: f64) -> Result<Skip, X> {
        Ok(Skip)
    }
    fn visit_str<X>(self, _: &str) -> Result<Skip, X> {
        Ok(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key<'de>, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<X>(self, v: &'de str) -> Result<Key<'de>, X> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<X>(self, v: &str) -> Result<Key<'de>, X> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<X>(self, v: String) -> Result<Key<'de>, X> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// The reader and the place of the value being read: what every [`Expect`] holds.
struct At<'r, 'l> {
    r: &'r mut Reader,
    loc: Loc<'l>,
}

impl At<'_, '_> {
    fn wrong<T>(self, what: &str, found: &str) -> Got<T> {
        self.r.report(
            Code::WrongType,
            self.loc,
            format!("expected {what}, found {found}"),
        );
        Got::Broken
    }
}

/// A string.
struct Text<'r, 'l>(At<'r, 'l>);

impl<'de> Expect<'de> for Text<'_, '_> {
    type Out = String;
    fn wrong(self, found: &str) -> Got<String> {
        self.0.wrong("a string", found)
    }
    fn text(self, s: Cow<'de, str>) -> Got<String> {
        Got::Value(s.into_owned())
    }
}

/// An integer.
struct Int<'r, 'l>(At<'r, 'l>);

impl<'de> Expect<'de> for Int<'_, '_> {
    type Out = i64;
    fn wrong(self, found: &str) -> Got<i64> {
        self.0.wrong("an integer", found)
    }
    fn number(self, n: Number) -> Got<i64> {
        let (code, msg) = match n {
            Number::Int(i) => return Got::Value(i),
            Number::Big => (Code::OutOfRange, "number too large".to_owned()),
            Number::Float(f) if f.fract() == 0.0 && f.abs() >= 9.2e18 => {
                (Code::OutOfRange, format!("number {f} too large"))
            }
            Number::Float(f) => (Code::NotInteger, format!("{f} is not an integer")),
        };
        self.0.r.report(code, self.0.loc, msg);
        Got::Broken
    }
}

/// `true` or `false`.
struct Flag<'r, 'l>(At<'r, 'l>);

impl<'de> Expect<'de> for Flag<'_, '_> {
    type Out = bool;
    fn wrong(self, found: &str) -> Got<bool> {
        self.0.wrong("true or false", found)
    }
    fn boolean(self, b: bool) -> Got<bool> {
        Got::Value(b)
    }
}

/// An array of strings; an element of another type is reported and left out.
struct Texts<'r, 'l>(At<'r, 'l>);

impl<'de> Expect<'de> for Texts<'_, '_> {
    type Out = Vec<String>;
    fn wrong(self, found: &str) -> Got<Vec<String>> {
        self.0.wrong("an array of strings", found)
    }
    fn array<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Got<Vec<String>>, A::Error> {
        let At { r, loc } = self.0;
        let mut out = Vec::new();
        let mut k = 0;
        loop {
            let at = At {
                r: &mut *r,
                loc: Loc::Item(&loc, k),
            };
            match seq.next_element_seed(Seed(Text(at)))? {
                None => break,
                Some(Got::Value(s)) => out.push(s),
                Some(Got::Null) => {
                    r.report(
                        Code::WrongType,
                        Loc::Item(&loc, k),
                        "expected a string, found null",
                    );
                }
                Some(Got::Broken) => {}
            }
            k += 1;
        }
        Ok(Got::Value(out))
    }
}

/// The fields of one object: for the first occurrence of each of `names` that is not `null`,
/// `value` reads it (given the field's position); repeated and unknown fields are reported.
/// Returns which fields were present (not `null`).
fn fields<'de, A: MapAccess<'de>, const N: usize>(
    r: &mut Reader,
    loc: Loc<'_>,
    mut map: A,
    names: [&'static str; N],
    mut value: impl FnMut(&mut Reader, usize, &mut A) -> Result<bool, A::Error>,
) -> Result<[bool; N], A::Error> {
    let mut seen = [false; N];
    let mut present = [false; N];
    while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
        match names.iter().position(|n| *n == k) {
            Some(i) if seen[i] => {
                map.next_value::<Skip>()?;
                let name = clip(&k).to_string();
                let msg = format!("field `{name}` is given twice");
                r.report(Code::DuplicateField, Loc::Field(&loc, &name), msg);
            }
            Some(i) => {
                seen[i] = true;
                present[i] = value(r, i, &mut map)?;
            }
            None => {
                map.next_value::<Skip>()?;
                let name = clip(&k).to_string();
                let msg = format!(
                    "unknown field `{name}`; expected one of {}",
                    names.join(", ")
                );
                r.report(Code::UnknownField, Loc::Field(&loc, &name), msg);
            }
        }
    }
    Ok(present)
}

/// Stores a value read into its slot unless it is `null` or broken; whether a value (not
/// `null`) was there.
fn store<T>(got: Got<T>, slot: &mut Option<T>) -> bool {
    match got {
        Got::Null => false,
        Got::Value(v) => {
            *slot = Some(v);
            true
        }
        Got::Broken => true,
    }
}

/// Reads the value of field `$name` of the object at `$loc` (from `$map`) with the
/// expectation `$expect` builds from an [`At`], into `$slot`; see [`store`].
macro_rules! field {
    ($r:expr, $loc:expr, $name:expr, $map:expr, $expect:expr, $slot:expr) => {{
        let here = Loc::Field(&$loc, $name);
        let got = $map.next_value_seed(Seed($expect(At { r: $r, loc: here })))?;
        Ok(store(got, $slot))
    }};
}

/// Reports each of `required` (field names) that was absent.
fn required<const N: usize>(
    r: &mut Reader,
    loc: Loc<'_>,
    names: [&'static str; N],
    present: &[bool; N],
    required: &[&str],
) {
    for (name, there) in names.iter().zip(present) {
        if !there && required.contains(name) {
            r.report(
                Code::MissingField,
                Loc::Field(&loc, name),
                format!("missing field `{name}`"),
            );
        }
    }
}

/// A time window `{"start", "end"}`.
struct WindowOf<'r, 'l>(At<'r, 'l>);

impl<'de> Expect<'de> for WindowOf<'_, '_> {
    type Out = WindowData;
    fn wrong(self, found: &str) -> Got<WindowData> {
        self.0.wrong("an object", found)
    }
    fn object<A: MapAccess<'de>>(self, map: A) -> Result<Got<WindowData>, A::Error> {
        let At { r, loc } = self.0;
        let (mut start, mut end) = (None, None);
        let present = fields(r, loc, map, WindowData::FIELDS, |r, i, map| match i {
            0 => field!(r, loc, "start", map, Text, &mut start),
            _ => field!(r, loc, "end", map, Text, &mut end),
        })?;
        required(r, loc, WindowData::FIELDS, &present, &WindowData::FIELDS);
        Ok(match (start, end) {
            (Some(start), Some(end)) => Got::Value(WindowData { start, end }),
            _ => {
                r.break_at(loc);
                Got::Broken
            }
        })
    }
}

/// One item of a list, read from an object; its problems carry its id.
trait Item: Sized {
    /// The placeholder for an item that is not an object.
    fn placeholder() -> Self;
    /// Reads the item's fields.
    fn read<'de, A: MapAccess<'de>>(r: &mut Reader, loc: Loc<'_>, map: A)
        -> Result<Self, A::Error>;
    /// Its id, to name it in problems.
    fn id(&self) -> &str;
    /// Hands item number `k` over to the assembly.
    fn keep(self, k: usize, a: &mut Assembly);
}

/// One list item.
struct ItemOf<'r, 'l, T>(At<'r, 'l>, PhantomData<T>);

impl<'de, T: Item> Expect<'de> for ItemOf<'_, '_, T> {
    type Out = T;
    fn wrong(self, found: &str) -> Got<T> {
        self.0.wrong("an object", found)
    }
    fn object<A: MapAccess<'de>>(self, map: A) -> Result<Got<T>, A::Error> {
        let At { r, loc } = self.0;
        let first = r.a.d.problems.len();
        let item = T::read(r, loc, map)?;
        r.a.d.name_item(first, item.id());
        Ok(Got::Value(item))
    }
}

/// A list of items, `[item, …]`, each handed over to the assembly as soon as it is read; at
/// most [`limits::MAX_ITEMS`] of them (the rest are only counted).
struct List<'r, 'l, T>(At<'r, 'l>, PhantomData<T>);

impl<'de, T: Item> Expect<'de> for List<'_, '_, T> {
    type Out = ();
    fn wrong(self, found: &str) -> Got<()> {
        self.0.wrong("an array", found)
    }
    fn array<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Got<()>, A::Error> {
        let At { r, loc } = self.0;
        let mut count = 0usize;
        loop {
            if count >= limits::MAX_ITEMS {
                if seq.next_element::<Skip>()?.is_none() {
                    break;
                }
            } else {
                let here = Loc::Item(&loc, count);
                let at = At {
                    r: &mut *r,
                    loc: here,
                };
                let item = match seq.next_element_seed(Seed(ItemOf::<T>(at, PhantomData)))? {
                    None => break,
                    Some(Got::Value(item)) => item,
                    Some(Got::Null) => {
                        r.report(Code::WrongType, here, "expected an object, found null");
                        T::placeholder()
                    }
                    Some(Got::Broken) => {
                        r.break_at(here);
                        T::placeholder()
                    }
                };
                item.keep(count, &mut r.a);
            }
            count += 1;
        }
        if count > limits::MAX_ITEMS {
            let msg = format!("{count} items, more than the limit {}", limits::MAX_ITEMS);
            r.report(Code::TooLarge, loc, msg);
        }
        Ok(Got::Value(()))
    }
}

impl Item for AreaData {
    fn placeholder() -> AreaData {
        AreaData {
            id: String::new(),
            name: None,
            level: Level::Grid,
            parent: None,
        }
    }

    fn read<'de, A: MapAccess<'de>>(
        r: &mut Reader,
        loc: Loc<'_>,
        map: A,
    ) -> Result<AreaData, A::Error> {
        let (mut id, mut name, mut level, mut parent) = (None, None, None, None);
        let present = fields(r, loc, map, AreaData::FIELDS, |r, i, map| match i {
            0 => field!(r, loc, "id", map, Text, &mut id),
            1 => field!(r, loc, "name", map, Text, &mut name),
            2 => field!(r, loc, "level", map, Text, &mut level),
            _ => field!(r, loc, "parent", map, Text, &mut parent),
        })?;
        required(r, loc, AreaData::FIELDS, &present, &AreaData::REQUIRED);
        let mut a = AreaData::placeholder();
        a.id = id.unwrap_or_default();
        a.name = name;
        match level {
            Some(s) => match Level::parse(&s) {
                Some(l) => a.level = l,
                None => r.report(
                    Code::UnknownLevel,
                    Loc::Field(&loc, "level"),
                    format!("unknown level {:?}", clip(&s)),
                ),
            },
            None => r.break_at(Loc::Field(&loc, "level")),
        }
        if present[3] && parent.is_none() {
            r.break_at(Loc::Field(&loc, "parent"));
        }
        a.parent = parent;
        Ok(a)
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn keep(self, k: usize, a: &mut Assembly) {
        a.area(k, self);
    }
}

impl Item for NeedData {
    fn placeholder() -> NeedData {
        NeedData {
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
        }
    }

    fn read<'de, A: MapAccess<'de>>(
        r: &mut Reader,
        loc: Loc<'_>,
        map: A,
    ) -> Result<NeedData, A::Error> {
        let mut n = NeedData::placeholder();
        let (mut id, mut area, mut category) = (None, None, None);
        let (mut quantity, mut priority, mut vulnerable, mut skills) = (None, None, None, None);
        let present = fields(r, loc, map, NeedData::FIELDS, |r, i, map| {
            let name = NeedData::FIELDS[i];
            match i {
                0 => field!(r, loc, name, map, Text, &mut id),
                1 => field!(r, loc, name, map, Text, &mut area),
                2 => field!(r, loc, name, map, Text, &mut category),
                3 => field!(r, loc, name, map, Int, &mut quantity),
                4 => field!(r, loc, name, map, Int, &mut priority),
                5 => field!(r, loc, name, map, Flag, &mut vulnerable),
                6 => field!(r, loc, name, map, Texts, &mut skills),
                7 => field!(r, loc, name, map, WindowOf, &mut n.window),
                8 => field!(r, loc, name, map, Int, &mut n.max_unit_cost),
                9 => field!(r, loc, name, map, Text, &mut n.requester),
                _ => field!(r, loc, name, map, Text, &mut n.title),
            }
        })?;
        required(r, loc, NeedData::FIELDS, &present, &NeedData::REQUIRED);
        n.id = id.unwrap_or_default();
        n.area = area.unwrap_or_default();
        n.category = category.unwrap_or_default();
        n.quantity = quantity.unwrap_or(1);
        n.priority = priority.unwrap_or(3);
        n.vulnerable = vulnerable.unwrap_or(false);
        n.skills = skills.unwrap_or_default();
        Ok(n)
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn keep(self, k: usize, a: &mut Assembly) {
        a.need(k, self);
    }
}

impl Item for ResourceData {
    fn placeholder() -> ResourceData {
        ResourceData {
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
        }
    }

    fn read<'de, A: MapAccess<'de>>(
        r: &mut Reader,
        loc: Loc<'_>,
        map: A,
    ) -> Result<ResourceData, A::Error> {
        let mut x = ResourceData::placeholder();
        let (mut id, mut kind, mut home, mut categories) = (None, None, None, None);
        let (mut skills, mut capacity, mut unit_cost) = (None, None, None);
        let present = fields(r, loc, map, ResourceData::FIELDS, |r, i, map| {
            let name = ResourceData::FIELDS[i];
            match i {
                0 => field!(r, loc, name, map, Text, &mut id),
                1 => field!(r, loc, name, map, Text, &mut kind),
                2 => field!(r, loc, name, map, Text, &mut x.name),
                3 => field!(r, loc, name, map, Text, &mut home),
                4 => field!(r, loc, name, map, Texts, &mut x.serves),
                5 => field!(r, loc, name, map, Texts, &mut categories),
                6 => field!(r, loc, name, map, Texts, &mut skills),
                7 => field!(r, loc, name, map, Int, &mut capacity),
                8 => field!(r, loc, name, map, Int, &mut unit_cost),
                _ => field!(r, loc, name, map, WindowOf, &mut x.window),
            }
        })?;
        required(
            r,
            loc,
            ResourceData::FIELDS,
            &present,
            &ResourceData::REQUIRED,
        );
        x.id = id.unwrap_or_default();
        if let Some(s) = kind {
            match Kind::parse(&s) {
                Some(k) => x.kind = k,
                None => r.report(
                    Code::UnknownKind,
                    Loc::Field(&loc, "kind"),
                    format!("unknown kind {:?}", clip(&s)),
                ),
            }
        }
        x.home = home.unwrap_or_default();
        if present[4] && x.serves.is_none() {
            x.serves = Some(Vec::new());
        }
        match categories {
            Some(c) => x.categories = c,
            None => r.break_at(Loc::Field(&loc, "categories")),
        }
        x.skills = skills.unwrap_or_default();
        x.capacity = capacity.unwrap_or(0);
        x.unit_cost = unit_cost.unwrap_or(0);
        Ok(x)
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn keep(self, k: usize, a: &mut Assembly) {
        a.resource(k, self);
    }
}

impl Item for BudgetData {
    fn placeholder() -> BudgetData {
        BudgetData {
            id: String::new(),
            name: None,
            area: String::new(),
            amount: 0,
        }
    }

    fn read<'de, A: MapAccess<'de>>(
        r: &mut Reader,
        loc: Loc<'_>,
        map: A,
    ) -> Result<BudgetData, A::Error> {
        let mut b = BudgetData::placeholder();
        let (mut id, mut area, mut amount) = (None, None, None);
        let present = fields(r, loc, map, BudgetData::FIELDS, |r, i, map| {
            let name = BudgetData::FIELDS[i];
            match i {
                0 => field!(r, loc, name, map, Text, &mut id),
                1 => field!(r, loc, name, map, Text, &mut b.name),
                2 => field!(r, loc, name, map, Text, &mut area),
                _ => field!(r, loc, name, map, Int, &mut amount),
            }
        })?;
        required(r, loc, BudgetData::FIELDS, &present, &BudgetData::REQUIRED);
        b.id = id.unwrap_or_default();
        match area {
            Some(a) => b.area = a,
            None => r.break_at(Loc::Field(&loc, "area")),
        }
        b.amount = amount.unwrap_or(0);
        Ok(b)
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn keep(self, k: usize, a: &mut Assembly) {
        a.budget(k, self);
    }
}

impl Item for ProposalData {
    fn placeholder() -> ProposalData {
        ProposalData {
            id: String::new(),
            title: None,
            provider: None,
            area: String::new(),
            budget: String::new(),
            categories: Vec::new(),
            skills: Vec::new(),
            capacity: 0,
            unit_cost: 0,
            fixed_cost: 0,
            window: None,
        }
    }

    fn read<'de, A: MapAccess<'de>>(
        r: &mut Reader,
        loc: Loc<'_>,
        map: A,
    ) -> Result<ProposalData, A::Error> {
        let mut x = ProposalData::placeholder();
        let (mut id, mut area, mut budget, mut categories) = (None, None, None, None);
        let (mut skills, mut capacity, mut unit_cost, mut fixed_cost) = (None, None, None, None);
        let present = fields(r, loc, map, ProposalData::FIELDS, |r, i, map| {
            let name = ProposalData::FIELDS[i];
            match i {
                0 => field!(r, loc, name, map, Text, &mut id),
                1 => field!(r, loc, name, map, Text, &mut x.title),
                2 => field!(r, loc, name, map, Text, &mut x.provider),
                3 => field!(r, loc, name, map, Text, &mut area),
                4 => field!(r, loc, name, map, Text, &mut budget),
                5 => field!(r, loc, name, map, Texts, &mut categories),
                6 => field!(r, loc, name, map, Texts, &mut skills),
                7 => field!(r, loc, name, map, Int, &mut capacity),
                8 => field!(r, loc, name, map, Int, &mut unit_cost),
                9 => field!(r, loc, name, map, Int, &mut fixed_cost),
                _ => field!(r, loc, name, map, WindowOf, &mut x.window),
            }
        })?;
        required(
            r,
            loc,
            ProposalData::FIELDS,
            &present,
            &ProposalData::REQUIRED,
        );
        x.id = id.unwrap_or_default();
        for (value, slot, name) in [
            (area, &mut x.area, "area"),
            (budget, &mut x.budget, "budget"),
        ] {
            match value {
                Some(v) => *slot = v,
                None => r.break_at(Loc::Field(&loc, name)),
            }
        }
        if present[2] && x.provider.is_none() {
            r.break_at(Loc::Field(&loc, "provider"));
        }
        match categories {
            Some(c) => x.categories = c,
            None => r.break_at(Loc::Field(&loc, "categories")),
        }
        x.skills = skills.unwrap_or_default();
        x.capacity = capacity.unwrap_or(0);
        x.unit_cost = unit_cost.unwrap_or(0);
        x.fixed_cost = fixed_cost.unwrap_or(0);
        Ok(x)
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn keep(self, k: usize, a: &mut Assembly) {
        a.proposal(k, self);
    }
}

/// The `locality_penalty` object: one integer per level.
struct Penalties<'r, 'l>(At<'r, 'l>);

impl<'de> Expect<'de> for Penalties<'_, '_> {
    type Out = [Option<i64>; 5];
    fn wrong(self, found: &str) -> Got<[Option<i64>; 5]> {
        self.0.wrong("an object", found)
    }
    fn object<A: MapAccess<'de>>(self, map: A) -> Result<Got<[Option<i64>; 5]>, A::Error> {
        let At { r, loc } = self.0;
        let mut out = [None; 5];
        let names = Level::ALL.map(Level::as_str);
        fields(r, loc, map, names, |r, i, map| {
            field!(r, loc, names[i], map, Int, &mut out[Level::ALL[i].index()])
        })?;
        Ok(Got::Value(out))
    }
}

/// `policy.escalate_after_hours`: hours by level (`street`, `district`, `city`), indexed by
/// [`Level::index`].
struct Deadlines<'r, 'l>(At<'r, 'l>);

impl<'de> Expect<'de> for Deadlines<'_, '_> {
    type Out = [Option<i64>; 5];
    fn wrong(self, found: &str) -> Got<[Option<i64>; 5]> {
        self.0.wrong("an object", found)
    }
    fn object<A: MapAccess<'de>>(self, map: A) -> Result<Got<[Option<i64>; 5]>, A::Error> {
        let At { r, loc } = self.0;
        let mut out = [None; 5];
        let names = DEADLINE_LEVELS.map(Level::as_str);
        fields(r, loc, map, names, |r, i, map| {
            field!(
                r,
                loc,
                names[i],
                map,
                Int,
                &mut out[DEADLINE_LEVELS[i].index()]
            )
        })?;
        Ok(Got::Value(out))
    }
}

/// An object of two required integers (`{"after", "penalty"}`, …), 0 where one is missing or
/// broken (already reported).
struct Pair<'r, 'l>(At<'r, 'l>, [&'static str; 2]);

impl<'de> Expect<'de> for Pair<'_, '_> {
    type Out = [i64; 2];
    fn wrong(self, found: &str) -> Got<[i64; 2]> {
        self.0.wrong("an object", found)
    }
    fn object<A: MapAccess<'de>>(self, map: A) -> Result<Got<[i64; 2]>, A::Error> {
        let (At { r, loc }, names) = (self.0, self.1);
        let mut got = [None, None];
        let present = fields(r, loc, map, names, |r, i, map| {
            field!(r, loc, names[i], map, Int, &mut got[i])
        })?;
        required(r, loc, names, &present, &names);
        Ok(Got::Value(got.map(|v| v.unwrap_or(0))))
    }
}

/// A list of load steps.
struct Steps<'r, 'l>(At<'r, 'l>);

impl<'de> Expect<'de> for Steps<'_, '_> {
    type Out = Vec<LoadStep>;
    fn wrong(self, found: &str) -> Got<Vec<LoadStep>> {
        self.0.wrong("an array", found)
    }
    fn array<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Got<Vec<LoadStep>>, A::Error> {
        let At { r, loc } = self.0;
        let mut steps = Vec::new();
        loop {
            let here = Loc::Item(&loc, steps.len());
            let at = At {
                r: &mut *r,
                loc: here,
            };
            let [after, penalty] =
                match seq.next_element_seed(Seed(Pair(at, ["after", "penalty"])))? {
                    None => break,
                    Some(Got::Value(v)) => v,
                    Some(Got::Null) => {
                        r.report(Code::WrongType, here, "expected an object, found null");
                        [0, 0]
                    }
                    Some(Got::Broken) => [0, 0],
                };
            steps.push(LoadStep { after, penalty });
        }
        Ok(Got::Value(steps))
    }
}

/// `load_steps`: a list of steps per kind.
struct StepsByKind<'r, 'l>(At<'r, 'l>);

impl<'de> Expect<'de> for StepsByKind<'_, '_> {
    type Out = PerKind<Vec<LoadStep>>;
    fn wrong(self, found: &str) -> Got<PerKind<Vec<LoadStep>>> {
        self.0.wrong("an object", found)
    }
    fn object<A: MapAccess<'de>>(self, map: A) -> Result<Got<PerKind<Vec<LoadStep>>>, A::Error> {
        let At { r, loc } = self.0;
        let names = Kind::ALL.map(Kind::as_str);
        let mut got: [Option<Vec<LoadStep>>; 5] = Default::default();
        fields(r, loc, map, names, |r, i, map| {
            field!(r, loc, names[i], map, Steps, &mut got[i])
        })?;
        Ok(Got::Value(PerKind(got.map(Option::unwrap_or_default))))
    }
}

/// `engagement`: `{"units", "bonus"}` per kind.
struct EngagementByKind<'r, 'l>(At<'r, 'l>);

impl<'de> Expect<'de> for EngagementByKind<'_, '_> {
    type Out = PerKind<Option<Engagement>>;
    fn wrong(self, found: &str) -> Got<PerKind<Option<Engagement>>> {
        self.0.wrong("an object", found)
    }
    fn object<A: MapAccess<'de>>(
        self,
        map: A,
    ) -> Result<Got<PerKind<Option<Engagement>>>, A::Error> {
        let At { r, loc } = self.0;
        let names = Kind::ALL.map(Kind::as_str);
        let mut got: [Option<[i64; 2]>; 5] = [None; 5];
        fields(r, loc, map, names, |r, i, map| {
            field!(
                r,
                loc,
                names[i],
                map,
                |at| Pair(at, ["units", "bonus"]),
                &mut got[i]
            )
        })?;
        Ok(Got::Value(PerKind(got.map(|e| {
            e.map(|[units, bonus]| Engagement { units, bonus })
        }))))
    }
}

/// The `policy` object.
struct PolicyOf<'r, 'l>(At<'r, 'l>);

impl<'de> Expect<'de> for PolicyOf<'_, '_> {
    type Out = Policy;
    fn wrong(self, found: &str) -> Got<Policy> {
        self.0.wrong("an object", found)
    }
    fn object<A: MapAccess<'de>>(self, map: A) -> Result<Got<Policy>, A::Error> {
        let At { r, loc } = self.0;
        let mut p = Policy::default();
        let mut ints: [Option<i64>; POLICY_FIELDS.len()] = [None; POLICY_FIELDS.len()];
        let (mut penalties, mut deadlines) = (None, None);
        let (mut steps, mut engagement, mut floor) = (None, None, None);
        fields(r, loc, map, POLICY_FIELDS, |r, i, map| {
            let name = POLICY_FIELDS[i];
            match name {
                "locality_penalty" => field!(r, loc, name, map, Penalties, &mut penalties),
                "escalate_after_hours" => field!(r, loc, name, map, Deadlines, &mut deadlines),
                "load_steps" => field!(r, loc, name, map, StepsByKind, &mut steps),
                "engagement" => field!(r, loc, name, map, EngagementByKind, &mut engagement),
                "community_floor" => {
                    field!(
                        r,
                        loc,
                        name,
                        map,
                        |at| Pair(at, ["share_pct", "bonus"]),
                        &mut floor
                    )
                }
                _ => field!(r, loc, name, map, Int, &mut ints[i]),
            }
        })?;
        let slots = [
            &mut p.priority_value,
            &mut p.vulnerable_bonus,
            &mut p.cost_weight,
            &mut p.offer_deadline_hours,
            &mut p.reoffer_penalty,
            &mut p.lapse_hours,
        ];
        let names = [
            "priority_value",
            "vulnerable_bonus",
            "cost_weight",
            "offer_deadline_hours",
            "reoffer_penalty",
            "lapse_hours",
        ];
        for (slot, name) in slots.into_iter().zip(names) {
            let k = POLICY_FIELDS.iter().position(|f| *f == name);
            if let Some(v) = k.and_then(|k| ints[k]) {
                *slot = v;
            }
        }
        for (l, v) in penalties.into_iter().flatten().enumerate() {
            if let Some(v) = v {
                p.locality_penalty[l] = v;
            }
        }
        if let Some(d) = deadlines {
            p.escalate_after_hours = d;
        }
        let weight = POLICY_FIELDS.iter().position(|f| *f == "forecast_weight");
        p.forecast_weight = weight.and_then(|k| ints[k]);
        p.load_steps = steps;
        p.engagement = engagement;
        p.community_floor = floor.map(|[share_pct, bonus]| CommunityFloor { share_pct, bonus });
        Ok(Got::Value(p))
    }
}

/// The whole instance object, handed over to the assembly as it is read.
struct InstanceOf<'r, 'l>(At<'r, 'l>);

impl<'de> Expect<'de> for InstanceOf<'_, '_> {
    type Out = ();
    fn wrong(self, found: &str) -> Got<()> {
        self.0.wrong("an object", found)
    }
    fn object<A: MapAccess<'de>>(self, map: A) -> Result<Got<()>, A::Error> {
        let At { r, loc } = self.0;
        let (mut areas, mut needs, mut resources) = (None, None, None);
        let (mut budgets, mut proposals) = (None, None);
        let mut policy_read = false;
        fields(r, loc, map, InstanceData::FIELDS, |r, i, map| {
            let name = InstanceData::FIELDS[i];
            match i {
                0 => field!(
                    r,
                    loc,
                    name,
                    map,
                    |at| List::<AreaData>(at, PhantomData),
                    &mut areas
                ),
                1 => field!(
                    r,
                    loc,
                    name,
                    map,
                    |at| List::<NeedData>(at, PhantomData),
                    &mut needs
                ),
                2 => field!(
                    r,
                    loc,
                    name,
                    map,
                    |at| List::<ResourceData>(at, PhantomData),
                    &mut resources
                ),
                3 => field!(
                    r,
                    loc,
                    name,
                    map,
                    |at| List::<BudgetData>(at, PhantomData),
                    &mut budgets
                ),
                4 => field!(
                    r,
                    loc,
                    name,
                    map,
                    |at| List::<ProposalData>(at, PhantomData),
                    &mut proposals
                ),
                _ => {
                    let mut policy = None;
                    let present: Result<bool, A::Error> =
                        field!(r, loc, name, map, PolicyOf, &mut policy);
                    // Checked at once, while the paths its reading broke are known.
                    r.a.policy(policy.unwrap_or_default());
                    policy_read = true;
                    present
                }
            }
        })?;
        if !policy_read {
            r.a.policy(Policy::default());
        }
        Ok(Got::Value(()))
    }
}

/// The syntax problem of a serde_json error, with its line and column.
fn syntax(e: &serde_json::Error) -> Problem {
    // serde_json ends its message with the position, which the problem carries itself.
    let text = e.to_string();
    let msg = text
        .rfind(" at line ")
        .map_or(text.as_str(), |k| &text[..k]);
    let mut p = Problem::new(Code::Syntax, "", clip(msg));
    p.line = Some(e.line());
    p.column = Some(e.column());
    p
}

/// Reads one JSON value with `expect`, checking that nothing but whitespace follows; the
/// syntax problem alone if the text is not JSON. A leading byte-order mark is skipped.
fn read<'de, E: Expect<'de>>(text: &'de str, expect: E) -> Result<Got<E::Out>, Problem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut de = serde_json::Deserializer::from_str(text);
    let got = Seed(expect)
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    got.map_err(|e| syntax(&e))
}

/// Reads an instance from JSON text into an assembly (which holds the problems of reading);
/// the syntax problem alone if the text is not JSON.
fn read_instance(text: &str) -> Result<Assembly, Problem> {
    let mut r = Reader::default();
    let at = At {
        r: &mut r,
        loc: Loc::Root,
    };
    if let Got::Null = read(text, InstanceOf(at))? {
        r.report(Code::WrongType, Loc::Root, "expected an object, found null");
    }
    Ok(r.a)
}

/// Reads one need object from JSON text, its paths starting at `path`; the syntax problem if
/// it is not JSON. Validation goes on from the returned diagnostics ([`crate::validate`]).
pub(crate) fn read_need_text(
    text: &str,
    path: &'static str,
) -> Result<(NeedData, Diagnostics), Problem> {
    let mut r = Reader::default();
    let root = Loc::Root;
    let loc = Loc::Field(&root, path);
    let at = At { r: &mut r, loc };
    let need = match read(text, ItemOf(at, PhantomData))? {
        Got::Value(n) => n,
        Got::Null => {
            r.report(Code::WrongType, loc, "expected an object, found null");
            NeedData::placeholder()
        }
        Got::Broken => {
            r.break_at(loc);
            NeedData::placeholder()
        }
    };
    Ok((need, r.a.d))
}

impl Instance {
    /// Reads and validates an instance from JSON text.
    ///
    /// # Errors
    /// [`LoadError::Invalid`] with every problem found: syntax (with line and column), types,
    /// unknown or repeated fields, ranges, references, the area tree.
    pub fn from_json_str(text: &str) -> Result<Instance, LoadError> {
        read_instance(text)
            .map_err(|p| LoadError::Invalid(Problems(vec![p])))?
            .finish()
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
        let assembly = read_instance(&text).map_err(|p| LoadError::Invalid(Problems(vec![p])))?;
        drop(text);
        assembly.finish()
    }
}
