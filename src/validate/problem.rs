//! Validation problems: each with a stable code, the offending path and id, and what to do.

use crate::model::limits;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;

/// Stable code of a validation problem. The JSON name (`snake_case`) never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Code {
    /// The input is not well-formed JSON (or cannot be read).
    Syntax,
    /// A value has the wrong JSON type.
    WrongType,
    /// A field the contract does not know.
    UnknownField,
    /// A field given twice in one object.
    DuplicateField,
    /// A required field is absent.
    MissingField,
    /// A number that is not an integer.
    NotInteger,
    /// A number outside its documented range (see [`crate::model::limits`]).
    OutOfRange,
    /// A `level` that is not one of city, district, street, community, grid.
    UnknownLevel,
    /// A `kind` that is not one of member, unit, social_org, staff, volunteer_team.
    UnknownKind,
    /// A time that is not a valid `YYYY-MM-DDTHH:MM:SS`.
    BadTime,
    /// A window that ends before it starts.
    WindowOrder,
    /// An id or name that is empty, too long or holds control characters.
    BadId,
    /// An id used twice in one list, or twice among budgets, resources and proposals (one
    /// namespace).
    DuplicateId,
    /// A reference to an area that is not listed.
    UnknownArea,
    /// Areas whose parents form a cycle.
    AreaCycle,
    /// A child area not strictly below its parent's level.
    LevelOrder,
    /// A resource with no category.
    NoCategory,
    /// A list or total beyond the documented limits.
    TooLarge,
    /// A proposal names a budget that is not listed.
    UnknownBudget,
    /// A proposal names a provider that is not a listed resource.
    UnknownProvider,
    /// Two budgets cover the same area.
    DuplicateBudgetArea,
    /// More problems than are listed; the last entry counts the rest.
    TooManyProblems,
    /// Load steps whose starts do not strictly increase or whose penalties fall.
    StepOrder,
}

impl Code {
    /// The stable name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "syntax",
            Code::WrongType => "wrong_type",
            Code::UnknownField => "unknown_field",
            Code::DuplicateField => "duplicate_field",
            Code::MissingField => "missing_field",
            Code::NotInteger => "not_integer",
            Code::OutOfRange => "out_of_range",
            Code::UnknownLevel => "unknown_level",
            Code::UnknownKind => "unknown_kind",
            Code::BadTime => "bad_time",
            Code::WindowOrder => "window_order",
            Code::BadId => "bad_id",
            Code::DuplicateId => "duplicate_id",
            Code::UnknownArea => "unknown_area",
            Code::AreaCycle => "area_cycle",
            Code::LevelOrder => "level_order",
            Code::NoCategory => "no_category",
            Code::TooLarge => "too_large",
            Code::UnknownBudget => "unknown_budget",
            Code::UnknownProvider => "unknown_provider",
            Code::DuplicateBudgetArea => "duplicate_budget_area",
            Code::TooManyProblems => "too_many_problems",
            Code::StepOrder => "step_order",
        }
    }

    /// What the author of the input should do about it.
    pub fn action(self) -> &'static str {
        match self {
            Code::Syntax => "fix the JSON at the position given",
            Code::WrongType => "give a value of the type the contract names",
            Code::UnknownField => "remove the field or correct its spelling",
            Code::DuplicateField => "keep one of the two values",
            Code::MissingField => "add the field",
            Code::NotInteger => "write a whole number (all numbers are integers)",
            Code::OutOfRange => "give a number within the documented range",
            Code::UnknownLevel => "use city, district, street, community or grid",
            Code::UnknownKind => "use member, unit, social_org, staff or volunteer_team",
            Code::BadTime => "write the time as YYYY-MM-DDTHH:MM:SS",
            Code::WindowOrder => "make the window end no earlier than it starts",
            Code::BadId => "use 1 to 256 bytes without control characters",
            Code::DuplicateId => "give each item its own id",
            Code::UnknownArea => "list the area under \"areas\" or correct the reference",
            Code::AreaCycle => "make the parents form a tree",
            Code::LevelOrder => {
                "give the parent a higher level (city > district > street > community > grid)"
            }
            Code::NoCategory => "list at least one category the resource serves",
            Code::TooLarge => "split the input or reduce its quantities",
            Code::UnknownBudget => "list the budget under \"budgets\" or correct the reference",
            Code::UnknownProvider => {
                "list the provider under \"resources\" or correct the reference"
            }
            Code::DuplicateBudgetArea => "merge the two budgets into one for that area",
            Code::TooManyProblems => "fix the problems listed, then read the input again",
            Code::StepOrder => "list the steps by growing `after`, with penalties that never fall",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in an input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable code.
    pub code: Code,
    /// Where: `resources[3].capacity`, `areas[0].parent`, or empty for the whole input.
    pub path: String,
    /// The id of the offending item, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What is wrong.
    pub message: String,
    /// 1-based line of a syntax error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column of a syntax error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl Problem {
    /// A problem at `path`.
    pub fn new(code: Code, path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            code,
            path: path.into(),
            id: None,
            message: message.into(),
            line: None,
            column: None,
        }
    }

    /// The same problem naming the offending item's id.
    ///
    /// An id longer than any valid id is cut to its first [`limits::MAX_ID_BYTES`] bytes and `…`.
    pub fn with_id(mut self, id: Option<&str>) -> Problem {
        self.id = id.filter(|s| !s.is_empty()).map(clip_id);
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, "line {l}, column {c}: ")?;
        }
        if !self.path.is_empty() {
            f.write_str(&self.path)?;
            if let Some(id) = &self.id {
                write!(f, " (id {:?})", clip(id))?;
            }
            f.write_str(": ")?;
        }
        write!(
            f,
            "{} [{}]; {}",
            self.message,
            self.code,
            self.code.action()
        )
    }
}

/// Why an instance could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The input could not be read.
    #[error("cannot read the input: {0}")]
    Io(#[from] std::io::Error),
    /// The input is malformed or breaks the contract; every problem is listed.
    #[error("invalid instance: {0}")]
    Invalid(Problems),
}

impl LoadError {
    /// A stable machine-readable code: `io`, or `invalid` (each problem has its own [`Code`]).
    pub fn code(&self) -> &'static str {
        match self {
            LoadError::Io(_) => "io",
            LoadError::Invalid(_) => "invalid",
        }
    }
}

/// Every problem found in one input, in input order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} problem(s)", self.0.len())?;
        for p in &self.0 {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// Problems found while reading or validating an input, at most
/// [`limits::MAX_PROBLEMS`] of them (the rest are counted), and the paths of values that were
/// replaced by a placeholder, so that validation does not report a second, derived problem at
/// the same place. The JSON and CSV readers fill it; [`crate::validate`] goes on from it.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    pub(crate) problems: Vec<Problem>,
    /// Problems beyond the limit, counted only.
    dropped: usize,
    broken: BTreeSet<String>,
}

impl Diagnostics {
    /// Records a problem, or only counts it beyond the limit.
    pub(crate) fn push(&mut self, p: Problem) {
        if self.problems.len() < limits::MAX_PROBLEMS {
            self.problems.push(p);
        } else {
            self.dropped += 1;
        }
    }

    /// Records a problem at `path` and marks the path broken.
    pub(crate) fn report(
        &mut self,
        code: Code,
        path: String,
        id: Option<&str>,
        msg: impl Into<String>,
    ) {
        if self.problems.len() < limits::MAX_PROBLEMS {
            self.broken.insert(path.clone());
            self.problems
                .push(Problem::new(code, path, msg).with_id(id));
        } else {
            self.broken.insert(path);
            self.dropped += 1;
        }
    }

    /// Forgets which paths are broken, once every check that needs them has run (after each
    /// item, so that the set stays small).
    pub(crate) fn clear_broken(&mut self) {
        self.broken.clear();
    }

    /// Marks `path` broken without a problem of its own (one was reported further in).
    pub(crate) fn break_path(&mut self, path: String) {
        self.broken.insert(path);
    }

    /// Whether `path`, or a path it lies in (`needs[3]` for `needs[3].quantity`), is broken.
    pub(crate) fn is_broken(&self, path: &str) -> bool {
        !self.broken.is_empty() && self.is_broken_in(path)
    }

    fn is_broken_in(&self, path: &str) -> bool {
        self.broken.contains(path)
            || path
                .char_indices()
                .filter(|&(_, c)| c == '.' || c == '[')
                .any(|(k, _)| self.broken.contains(&path[..k]))
    }

    /// Names the item `id` in the problems from position `first` on that name no item yet
    /// (an item's id may come after its problems in the input).
    pub(crate) fn name_item(&mut self, first: usize, id: &str) {
        if id.is_empty() {
            return;
        }
        for p in self.problems.iter_mut().skip(first) {
            if p.id.is_none() {
                p.id = Some(clip_id(id));
            }
        }
    }

    /// Whether nothing was found.
    pub(crate) fn is_empty(&self) -> bool {
        self.problems.is_empty() && self.dropped == 0
    }

    /// Every problem kept, and one more that counts the others, if any were dropped.
    pub(crate) fn into_problems(self) -> Problems {
        let mut all = self.problems;
        if self.dropped > 0 {
            all.push(Problem::new(
                Code::TooManyProblems,
                "",
                format!(
                    "{} more problems are not listed (at most {} are)",
                    self.dropped,
                    limits::MAX_PROBLEMS
                ),
            ));
        }
        Problems(all)
    }
}

/// The longest text a message quotes from the input, in characters; longer text is cut.
const QUOTED_CHARS: usize = 48;

/// Text from the input as a message quotes it: at most 48 characters, with the full length
/// when it is cut, so that a message stays short whatever the input holds.
#[derive(Clone, Copy)]
pub(crate) struct Clip<'a>(&'a str);

/// `s` as a message quotes it.
pub(crate) fn clip(s: &str) -> Clip<'_> {
    Clip(s)
}

impl Clip<'_> {
    /// The part shown, and whether it was cut.
    fn parts(&self) -> (&str, bool) {
        match self.0.char_indices().nth(QUOTED_CHARS) {
            Some((k, _)) => (&self.0[..k], true),
            None => (self.0, false),
        }
    }
}

impl fmt::Display for Clip<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.parts() {
            (s, false) => f.write_str(s),
            (s, true) => write!(f, "{s}… ({} bytes)", self.0.len()),
        }
    }
}

impl fmt::Debug for Clip<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.parts() {
            (s, false) => write!(f, "{s:?}"),
            (s, true) => write!(f, "{s:?}… ({} bytes)", self.0.len()),
        }
    }
}

impl From<Clip<'_>> for String {
    fn from(c: Clip<'_>) -> String {
        c.to_string()
    }
}

/// An item's id as a problem names it: whole when it could be a valid id (at most
/// [`limits::MAX_ID_BYTES`]), else its first bytes and `…`.
pub(crate) fn clip_id(id: &str) -> String {
    if id.len() <= limits::MAX_ID_BYTES {
        return id.to_owned();
    }
    let mut end = limits::MAX_ID_BYTES;
    while !id.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &id[..end])
}
