//! A command line as JSON, read strictly: object members in order with repeated keys kept,
//! integers exact, floats apart, so that the reader can report every problem (a repeated
//! field, `2.0` where an integer belongs) with its path; and a walker that reads contract
//! values out of it, reporting problems as the instance reader does.
//!
//! (A command's need object is handed to the instance's own need reader as text; resources,
//! policies and points are walked here.)

use crate::contract::WindowData;
use crate::validate::{Code, Diagnostics};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A JSON value as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer above `i64::MAX`.
    UInt(u64),
    Float(f64),
    Str(String),
    Arr(Vec<Raw>),
    /// Members in order, repeats kept.
    Obj(Vec<(String, Raw)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Raw, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Raw;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Raw, E> {
                Ok(Raw::Bool(b))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Raw, E> {
                Ok(Raw::Int(i))
            }
            fn visit_u64<E>(self, u: u64) -> Result<Raw, E> {
                Ok(i64::try_from(u).map_or(Raw::UInt(u), Raw::Int))
            }
            fn visit_f64<E>(self, f: f64) -> Result<Raw, E> {
                Ok(Raw::Float(f))
            }
            fn visit_str<E>(self, s: &str) -> Result<Raw, E> {
                Ok(Raw::Str(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<Raw, E> {
                Ok(Raw::Str(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut items = Vec::new();
                while let Some(x) = a.next_element()? {
                    items.push(x);
                }
                Ok(Raw::Arr(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut members = Vec::new();
                while let Some((k, v)) = a.next_entry::<String, Raw>()? {
                    members.push((k, v));
                }
                Ok(Raw::Obj(members))
            }
        }
        d.deserialize_any(V)
    }
}

impl Raw {
    /// Parses one JSON text.
    ///
    /// # Errors
    /// serde_json's error, with its line and column.
    pub(crate) fn parse(text: &str) -> Result<Raw, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The value as JSON text again (repeats kept, floats as floats).
    pub(crate) fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Raw::Null => out.push_str("null"),
            Raw::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Raw::Int(i) => out.push_str(&i.to_string()),
            Raw::UInt(u) => out.push_str(&u.to_string()),
            Raw::Float(f) => {
                let s = if f.is_finite() {
                    format!("{f:?}")
                } else {
                    "null".to_owned()
                };
                out.push_str(&s);
            }
            Raw::Str(s) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
            Raw::Arr(items) => {
                out.push('[');
                for (k, x) in items.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    x.write(out);
                }
                out.push(']');
            }
            Raw::Obj(members) => {
                out.push('{');
                for (k, (name, x)) in members.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(name).unwrap_or_default());
                    out.push(':');
                    x.write(out);
                }
                out.push('}');
            }
        }
    }

    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Raw::Null => "null",
            Raw::Bool(_) => "a boolean",
            Raw::Int(_) | Raw::UInt(_) | Raw::Float(_) => "a number",
            Raw::Str(_) => "a string",
            Raw::Arr(_) => "an array",
            Raw::Obj(_) => "an object",
        }
    }
}

/// `path.name`, or `name` at the top.
pub(crate) fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// Reads contract values out of a [`Raw`] tree into `d`'s problems.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    pub(crate) d: Diagnostics,
}

impl Walk {
    pub(crate) fn report(&mut self, code: Code, path: String, id: Option<&str>, msg: String) {
        self.d.report(code, path, id, msg);
    }

    /// The members of object `v` named in `names`, by position (`null` counts as absent);
    /// reports a value that is not an object, unknown fields and repeated ones.
    pub(crate) fn fields<'r, const N: usize>(
        &mut self,
        v: &'r Raw,
        path: &str,
        names: [&str; N],
    ) -> Option<[Option<&'r Raw>; N]> {
        let Raw::Obj(members) = v else {
            let msg = format!("expected an object, found {}", v.type_name());
            self.report(Code::WrongType, path.to_owned(), None, msg);
            return None;
        };
        let id = members.iter().find_map(|(k, v)| match (k.as_str(), v) {
            ("id", Raw::Str(s)) => Some(s.clone()),
            _ => None,
        });
        let id = id.as_deref();
        let mut out = [None; N];
        let mut seen = [false; N];
        for (k, x) in members {
            match names.iter().position(|n| n == k) {
                Some(i) if seen[i] => self.report(
                    Code::DuplicateField,
                    join(path, k),
                    id,
                    format!("field `{k}` is given twice"),
                ),
                Some(i) => {
                    seen[i] = true;
                    if *x != Raw::Null {
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

    /// `v`, reporting it missing when absent.
    pub(crate) fn required<'r>(
        &mut self,
        v: Option<&'r Raw>,
        path: &str,
        name: &str,
        id: Option<&str>,
    ) -> Option<&'r Raw> {
        if v.is_none() {
            let msg = format!("missing field `{name}`");
            self.report(Code::MissingField, join(path, name), id, msg);
        }
        v
    }

    pub(crate) fn string(&mut self, v: &Raw, path: String, id: Option<&str>) -> Option<String> {
        match v {
            Raw::Str(s) => Some(s.clone()),
            _ => {
                let msg = format!("expected a string, found {}", v.type_name());
                self.report(Code::WrongType, path, id, msg);
                None
            }
        }
    }

    pub(crate) fn boolean(&mut self, v: &Raw, path: String, id: Option<&str>) -> Option<bool> {
        match v {
            Raw::Bool(b) => Some(*b),
            _ => {
                let msg = format!("expected true or false, found {}", v.type_name());
                self.report(Code::WrongType, path, id, msg);
                None
            }
        }
    }

    pub(crate) fn int(&mut self, v: &Raw, path: String, id: Option<&str>) -> Option<i64> {
        let (code, msg) = match v {
            Raw::Int(i) => return Some(*i),
            Raw::UInt(u) => (Code::OutOfRange, format!("number {u} too large")),
            Raw::Float(f) if f.fract() == 0.0 && f.abs() >= 9.2e18 => {
                (Code::OutOfRange, format!("number {f} too large"))
            }
            Raw::Float(f) => (Code::NotInteger, format!("{f} is not an integer")),
            other => (
                Code::WrongType,
                format!("expected an integer, found {}", other.type_name()),
            ),
        };
        self.report(code, path, id, msg);
        None
    }

    pub(crate) fn strings(&mut self, v: &Raw, path: String, id: Option<&str>) -> Vec<String> {
        match v {
            Raw::Arr(items) => items
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

    pub(crate) fn window(&mut self, v: &Raw, path: String, id: Option<&str>) -> Option<WindowData> {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_repeats_and_floats() {
        let raw =
            Raw::parse(r#"{"a": 1, "a": 2.0, "b": [18446744073709551615, null, "x\n"]}"#).unwrap();
        assert_eq!(
            raw.to_text(),
            r#"{"a":1,"a":2.0,"b":[18446744073709551615,null,"x\n"]}"#
        );
        let mut w = Walk::default();
        let [a, b] = w.fields(&raw, "cmd", ["a", "b"]).unwrap();
        assert_eq!(a, Some(&Raw::Int(1)));
        assert!(b.is_some());
        assert_eq!(w.d.problems[0].code, Code::DuplicateField);
        assert_eq!(w.d.problems[0].path, "cmd.a");
    }
}
