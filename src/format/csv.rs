//! CSV for analysts: the three lists read from `areas.csv`, `needs.csv` and `resources.csv`,
//! and the optional `budgets.csv` and `proposals.csv` (one row per item, a header row, list
//! cells separated by `;`) and written back, and [`write_table`] for any table.
//!
//! | file | columns (required in bold) |
//! |---|---|
//! | `areas.csv` | **id**, name, **level**, parent |
//! | `needs.csv` | **id**, **area**, **category**, **quantity**, priority, vulnerable, skills, window_start, window_end, max_unit_cost, requester, title |
//! | `resources.csv` | **id**, **kind**, name, **home**, serves, **categories**, skills, **capacity**, unit_cost, window_start, window_end |
//! | `budgets.csv` (optional) | **id**, name, **area**, **amount** |
//! | `proposals.csv` (optional) | **id**, title, provider, **area**, **budget**, **categories**, skills, **capacity**, unit_cost, fixed_cost, window_start, window_end |
//!
//! The columns are the contract's fields ([`crate::contract`]), a window written as two
//! columns. An empty cell is an absent value. A `policy.json` beside them (the contract's
//! `policy` object) is optional. Problems name the file, the record (0-based, as in JSON
//! paths), the column and the line: `needs.csv[3].quantity`, line 5.
//!
//! Writing and reading back any valid instance gives the same instance ([`write_csv_dir`],
//! [`read_csv_dir`]):
//! - a text that starts with `=`, `+`, `-`, `@`, a tab, a carriage return or `'` is written
//!   with a leading `'`, so that spreadsheets do not run it as a formula, and read without it;
//!   `'` alone is the empty text (an empty cell is an absent value);
//! - in a list cell, `;` separates items, and `\;` and `\\` stand for `;` and `\` inside one.

use crate::contract::{AreaData, BudgetData, NeedData, ProposalData, ResourceData, WindowData};
use crate::model::area::Level;
use crate::model::limits;
use crate::model::policy::Policy;
use crate::model::resource::Kind;
use crate::model::Instance;
use crate::validate::{Assembly, Code, Diagnostics, LoadError, Problem, Problems};
use std::io::{Read, Write};
use std::path::Path;

/// The CSV columns of a contract type: its fields, a `window` written as `window_start` and
/// `window_end`.
fn columns(fields: &[&'static str]) -> Vec<&'static str> {
    fields
        .iter()
        .flat_map(|&f| match f {
            "window" => vec!["window_start", "window_end"],
            f => vec![f],
        })
        .collect()
}

/// One CSV file read into rows of optional cells, by column name.
struct Sheet {
    /// The list it holds (`needs`).
    list: &'static str,
    /// The contract's columns for it, each with its position in the file, if present.
    columns: Vec<(&'static str, Option<usize>)>,
    /// The columns that must have a value.
    required: &'static [&'static str],
    rows: Vec<csv::StringRecord>,
    lines: Vec<u64>,
}

impl Sheet {
    /// The value of `row` in `column`: `None` for an empty cell, else the text with its
    /// guard removed (`'` alone is the empty text).
    fn cell<'r>(&self, row: &'r csv::StringRecord, column: &str) -> Option<&'r str> {
        self.columns
            .iter()
            .find(|c| c.0 == column)
            .and_then(|c| c.1)
            .and_then(|k| row.get(k))
            .filter(|s| !s.is_empty())
            .map(unguard)
    }

    fn has_column(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c.0 == column && c.1.is_some())
    }

    /// Reports the required cells that row `k` leaves empty, each once, at the cell; a row that
    /// could not be read (a syntax problem, reported already) is broken as a whole.
    fn check_row(&self, k: usize, row: &csv::StringRecord, w: &mut Diagnostics) {
        let list = self.list;
        if row.is_empty() {
            w.break_path(format!("{list}[{k}]"));
            return;
        }
        for req in self.required {
            if self.has_column(req) && self.cell(row, req).is_none() {
                let path = format!("{list}[{k}].{req}");
                w.report(Code::MissingField, path, None, format!("empty `{req}`"));
            }
        }
    }
}

fn read_sheet(
    list: &'static str,
    reader: impl Read,
    fields: &[&'static str],
    required: &'static [&'static str],
    w: &mut Diagnostics,
) -> Sheet {
    let file = format!("{list}.csv");
    let names = columns(fields);
    let mut sheet = Sheet {
        list,
        columns: names.iter().map(|&n| (n, None)).collect(),
        required,
        rows: Vec::new(),
        lines: Vec::new(),
    };
    let mut r = csv::ReaderBuilder::new().from_reader(reader);
    let headers = match r.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            w.problems
                .push(Problem::new(Code::Syntax, file, e.to_string()));
            return sheet;
        }
    };
    for (k, h) in headers.iter().enumerate() {
        match names.iter().position(|n| *n == h) {
            Some(c) if sheet.columns[c].1.is_some() => w.push(Problem::new(
                Code::DuplicateField,
                format!("{file}.{h}"),
                format!("column `{h}` appears twice in the header"),
            )),
            Some(c) => sheet.columns[c].1 = Some(k),
            None => w.push(Problem::new(
                Code::UnknownField,
                format!("{file}.{h}"),
                format!("unknown column `{h}`; expected {}", names.join(", ")),
            )),
        }
    }
    for req in required {
        if !sheet.has_column(req) {
            {
                w.push(Problem::new(
                    Code::MissingField,
                    format!("{file}.{req}"),
                    format!("required column `{req}` is missing"),
                ));
            }
        }
    }
    for record in r.records() {
        match record {
            Ok(row) if sheet.rows.len() >= limits::MAX_ITEMS => {
                let line = row.position().map_or(0, csv::Position::line);
                let mut p = Problem::new(Code::TooLarge, file.clone(), "too many records");
                p.line = Some(line as usize);
                w.push(p);
                break;
            }
            Ok(row) => {
                sheet
                    .lines
                    .push(row.position().map_or(0, csv::Position::line));
                sheet.rows.push(row);
            }
            Err(e) => {
                let mut p = Problem::new(
                    Code::Syntax,
                    format!("{file}[{}]", sheet.rows.len()),
                    e.to_string(),
                );
                p.line = e.position().map(|pos| pos.line() as usize);
                w.push(p);
                if w.problems.len() > 1000 {
                    break;
                }
                // Keep the record's place so that later records keep their numbers.
                sheet.rows.push(csv::StringRecord::new());
                sheet.lines.push(0);
            }
        }
    }
    sheet
}

fn int(w: &mut Diagnostics, s: &str, path: String, id: &str) -> Option<i64> {
    if let Ok(v) = s.parse::<i64>() {
        return Some(v);
    }
    let (code, msg) = if s
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'-' || b == b'+')
    {
        (Code::OutOfRange, format!("{s:?} is too large"))
    } else {
        (Code::NotInteger, format!("{s:?} is not an integer"))
    };
    w.report(code, path, Some(id), msg);
    None
}

/// The items of a list cell: separated by `;`, with `\;` and `\\` standing for `;` and `\`
/// inside an item (any other `\` is itself); the empty text is the empty list.
fn list(s: Option<&str>) -> Vec<String> {
    let Some(s) = s.filter(|s| !s.is_empty()) else {
        return Vec::new();
    };
    let mut items = Vec::new();
    let mut item = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('\\' | ';')) => item.extend(chars.next()),
            ';' => items.push(std::mem::take(&mut item)),
            c => item.push(c),
        }
    }
    items.push(item);
    items
}

/// A list cell's text: items escaped as [`list`] reads them, joined by `;`.
fn join(items: &[String]) -> String {
    let mut out = String::new();
    for (k, item) in items.iter().enumerate() {
        if k > 0 {
            out.push(';');
        }
        for c in item.chars() {
            if c == '\\' || c == ';' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// What a text cell may start with only behind the guard `'`: what makes a spreadsheet read it
/// as a formula, and the guard itself.
const GUARDED: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// A text as written: with a leading `'` when it starts with a [`GUARDED`] character.
fn guard(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(GUARDED) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// A cell as read: without the leading `'` of [`guard`] (or of the empty text, `'` alone).
fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.is_empty() || rest.starts_with(GUARDED) => rest,
        _ => cell,
    }
}

fn window(
    sheet: &Sheet,
    row: &csv::StringRecord,
    w: &mut Diagnostics,
    path: String,
) -> Option<WindowData> {
    match (
        sheet.cell(row, "window_start"),
        sheet.cell(row, "window_end"),
    ) {
        (None, None) => None,
        (Some(s), Some(e)) => Some(WindowData {
            start: s.to_owned(),
            end: e.to_owned(),
        }),
        _ => {
            let msg = "give both window_start and window_end, or neither";
            w.report(Code::MissingField, path, None, msg);
            None
        }
    }
}

/// Reads the three lists from CSV, with the default policy (or `policy`, if given).
///
/// # Errors
/// [`LoadError::Invalid`] with every problem found, each naming file, record and column.
pub fn read_csv(
    areas: impl Read,
    needs: impl Read,
    resources: impl Read,
    policy: Option<Policy>,
) -> Result<Instance, LoadError> {
    read_csv_funded(
        areas,
        needs,
        resources,
        None::<&[u8]>,
        None::<&[u8]>,
        policy,
    )
}

/// Reads the three lists and, when given, `budgets.csv` and `proposals.csv`, with the default
/// policy (or `policy`, if given).
///
/// # Errors
/// [`LoadError::Invalid`] with every problem found, each naming file, record and column.
pub fn read_csv_funded(
    areas: impl Read,
    needs: impl Read,
    resources: impl Read,
    budgets: Option<impl Read>,
    proposals: Option<impl Read>,
    policy: Option<Policy>,
) -> Result<Instance, LoadError> {
    let mut assembly = Assembly::default();
    let a = read_sheet(
        "areas",
        areas,
        &AreaData::FIELDS,
        &AreaData::REQUIRED,
        &mut assembly.d,
    );
    for (k, row) in a.rows.iter().enumerate() {
        let w = &mut assembly.d;
        a.check_row(k, row, w);
        let id = a.cell(row, "id").unwrap_or_default().to_owned();
        let level = a.cell(row, "level").unwrap_or_default();
        let level = Level::parse(level).unwrap_or_else(|| {
            let msg = format!("unknown level {level:?}");
            w.report(
                Code::UnknownLevel,
                format!("areas[{k}].level"),
                Some(&id),
                msg,
            );
            Level::Grid
        });
        let area = AreaData {
            id,
            name: a.cell(row, "name").map(str::to_owned),
            level,
            parent: a.cell(row, "parent").map(str::to_owned),
        };
        assembly.area(k, area);
    }
    let n = read_sheet(
        "needs",
        needs,
        &NeedData::FIELDS,
        &NeedData::REQUIRED,
        &mut assembly.d,
    );
    for (k, row) in n.rows.iter().enumerate() {
        let w = &mut assembly.d;
        n.check_row(k, row, w);
        let id = n.cell(row, "id").unwrap_or_default().to_owned();
        let p = |c: &str| format!("needs[{k}].{c}");
        let num = |w: &mut Diagnostics, c: &str| n.cell(row, c).and_then(|s| int(w, s, p(c), &id));
        let quantity = num(w, "quantity");
        let priority = num(w, "priority");
        let max_unit_cost = num(w, "max_unit_cost");
        let vulnerable = match n.cell(row, "vulnerable") {
            None | Some("false" | "0") => false,
            Some("true" | "1") => true,
            Some(other) => {
                let msg = format!("{other:?} is not true or false");
                w.report(Code::WrongType, p("vulnerable"), Some(&id), msg);
                false
            }
        };
        let need = NeedData {
            area: n.cell(row, "area").unwrap_or_default().to_owned(),
            category: n.cell(row, "category").unwrap_or_default().to_owned(),
            quantity: quantity.unwrap_or(if n.cell(row, "quantity").is_some() {
                1
            } else {
                0
            }),
            priority: priority.unwrap_or(3),
            vulnerable,
            skills: list(n.cell(row, "skills")),
            window: window(&n, row, w, p("window")),
            max_unit_cost,
            requester: n.cell(row, "requester").map(str::to_owned),
            title: n.cell(row, "title").map(str::to_owned),
            id,
        };
        assembly.need(k, need);
    }
    let r = read_sheet(
        "resources",
        resources,
        &ResourceData::FIELDS,
        &ResourceData::REQUIRED,
        &mut assembly.d,
    );
    for (k, row) in r.rows.iter().enumerate() {
        let w = &mut assembly.d;
        r.check_row(k, row, w);
        let id = r.cell(row, "id").unwrap_or_default().to_owned();
        let p = |c: &str| format!("resources[{k}].{c}");
        let kind = r.cell(row, "kind").unwrap_or_default();
        let kind = Kind::parse(kind).unwrap_or_else(|| {
            let msg = format!("unknown kind {kind:?}");
            w.report(Code::UnknownKind, p("kind"), Some(&id), msg);
            Kind::Member
        });
        let num = |w: &mut Diagnostics, c: &str| r.cell(row, c).and_then(|s| int(w, s, p(c), &id));
        let capacity = num(w, "capacity");
        let unit_cost = num(w, "unit_cost");
        let resource = ResourceData {
            kind,
            name: r.cell(row, "name").map(str::to_owned),
            home: r.cell(row, "home").unwrap_or_default().to_owned(),
            serves: r.cell(row, "serves").map(|s| list(Some(s))),
            categories: list(r.cell(row, "categories")),
            skills: list(r.cell(row, "skills")),
            capacity: capacity.unwrap_or(0),
            unit_cost: unit_cost.unwrap_or(0),
            window: window(&r, row, w, p("window")),
            id,
        };
        assembly.resource(k, resource);
    }
    let mut b_lines = Vec::new();
    if let Some(budgets) = budgets {
        let b = read_sheet(
            "budgets",
            budgets,
            &BudgetData::FIELDS,
            &BudgetData::REQUIRED,
            &mut assembly.d,
        );
        for (k, row) in b.rows.iter().enumerate() {
            let w = &mut assembly.d;
            b.check_row(k, row, w);
            let id = b.cell(row, "id").unwrap_or_default().to_owned();
            let amount = b
                .cell(row, "amount")
                .and_then(|s| int(w, s, format!("budgets[{k}].amount"), &id));
            let budget = BudgetData {
                name: b.cell(row, "name").map(str::to_owned),
                area: b.cell(row, "area").unwrap_or_default().to_owned(),
                amount: amount.unwrap_or(0),
                id,
            };
            assembly.budget(k, budget);
        }
        b_lines = b.lines;
    }
    let mut p_lines = Vec::new();
    if let Some(proposals) = proposals {
        let x = read_sheet(
            "proposals",
            proposals,
            &ProposalData::FIELDS,
            &ProposalData::REQUIRED,
            &mut assembly.d,
        );
        for (k, row) in x.rows.iter().enumerate() {
            let w = &mut assembly.d;
            x.check_row(k, row, w);
            let id = x.cell(row, "id").unwrap_or_default().to_owned();
            let p = |c: &str| format!("proposals[{k}].{c}");
            let num =
                |w: &mut Diagnostics, c: &str| x.cell(row, c).and_then(|s| int(w, s, p(c), &id));
            let capacity = num(w, "capacity");
            let unit_cost = num(w, "unit_cost");
            let fixed_cost = num(w, "fixed_cost");
            let proposal = ProposalData {
                title: x.cell(row, "title").map(str::to_owned),
                provider: x.cell(row, "provider").map(str::to_owned),
                area: x.cell(row, "area").unwrap_or_default().to_owned(),
                budget: x.cell(row, "budget").unwrap_or_default().to_owned(),
                categories: list(x.cell(row, "categories")),
                skills: list(x.cell(row, "skills")),
                capacity: capacity.unwrap_or(0),
                unit_cost: unit_cost.unwrap_or(0),
                fixed_cost: fixed_cost.unwrap_or(0),
                window: window(&x, row, w, p("window")),
                id,
            };
            assembly.proposal(k, proposal);
        }
        p_lines = x.lines;
    }
    assembly.policy(policy.unwrap_or_default());
    let lines = [
        ("areas", &a.lines),
        ("needs", &n.lines),
        ("resources", &r.lines),
        ("budgets", &b_lines),
        ("proposals", &p_lines),
    ];
    assembly.finish().map_err(|e| match e {
        LoadError::Invalid(Problems(ps)) => LoadError::Invalid(Problems(
            ps.into_iter().map(|p| to_csv_path(p, &lines)).collect(),
        )),
        other => other,
    })
}

/// Renames `needs[3].quantity` to `needs.csv[3].quantity` and adds the record's line.
fn to_csv_path(mut p: Problem, lines: &[(&str, &Vec<u64>); 5]) -> Problem {
    for (list, ls) in lines {
        if let Some(rest) = p.path.strip_prefix(list).filter(|r| r.starts_with('[')) {
            let k: Option<usize> = rest[1..].split(']').next().and_then(|x| x.parse().ok());
            if let Some(&line) = k.and_then(|k| ls.get(k)) {
                if line > 0 && p.line.is_none() {
                    p.line = Some(line as usize);
                }
            }
            p.path = format!("{list}.csv{rest}");
            break;
        }
    }
    p
}

/// Reads `areas.csv`, `needs.csv`, `resources.csv` and the optional `budgets.csv`,
/// `proposals.csv` and `policy.json` in `dir`.
///
/// # Errors
/// As [`read_csv`]; a missing required file is [`LoadError::Io`].
pub fn read_csv_dir(dir: &Path) -> Result<Instance, LoadError> {
    let open = |f: &str| std::fs::File::open(dir.join(f)).map(std::io::BufReader::new);
    let policy = match std::fs::read_to_string(dir.join("policy.json")) {
        Ok(text) => {
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            let wrapped = format!("{{\"policy\": {text}}}");
            Some(Instance::from_json_str(&wrapped)?.policy().clone())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let optional = |f: &str| match open(f) {
        Ok(file) => Ok(Some(file)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    };
    read_csv_funded(
        open("areas.csv")?,
        open("needs.csv")?,
        open("resources.csv")?,
        optional("budgets.csv")?,
        optional("proposals.csv")?,
        policy,
    )
}

/// A cell written to a table.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Cell {
    /// Text, guarded against formula injection (a leading `=`, `+`, `-`, `@`, tab, carriage
    /// return or `'` gets a `'` before it); the empty text is an empty cell.
    Text(String),
    /// A value that must read back exactly: guarded as `Text`, and the empty text written as
    /// `'` so that it differs from an absent value.
    Exact(String),
    /// An integer.
    Int(i64),
    /// A ratio.
    Float(f64),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}
impl From<i64> for Cell {
    fn from(v: i64) -> Cell {
        Cell::Int(v)
    }
}
impl From<f64> for Cell {
    fn from(v: f64) -> Cell {
        Cell::Float(v)
    }
}

/// Writes a header and rows as CSV.
///
/// # Errors
/// Any write error.
pub fn write_table(
    out: impl Write,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<Cell>>,
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(header)?;
    for row in rows {
        let cells: Vec<String> = row
            .into_iter()
            .map(|c| match c {
                Cell::Exact(s) if s.is_empty() => "'".to_owned(),
                Cell::Text(s) | Cell::Exact(s) => guard(&s).into_owned(),
                Cell::Int(v) => v.to_string(),
                Cell::Float(v) => format!("{v:.6}"),
            })
            .collect();
        w.write_record(&cells)?;
    }
    w.flush()
}

/// Writes the instance as `areas.csv`, `needs.csv`, `resources.csv`, `budgets.csv`,
/// `proposals.csv` (the last two with only their header row when the instance has none) and
/// `policy.json` in `dir`; [`read_csv_dir`] reads back the same instance.
///
/// # Errors
/// Any write error.
pub fn write_csv_dir(instance: &Instance, dir: &Path) -> std::io::Result<()> {
    let data = instance.to_data();
    let file = |f: &str| std::fs::File::create(dir.join(f)).map(std::io::BufWriter::new);
    let exact = |s: &str| Cell::Exact(s.to_owned());
    let opt = |s: &Option<String>| s.as_deref().map_or(Cell::from(""), exact);
    let win = |w: &Option<WindowData>| match w {
        Some(w) => [exact(&w.start), exact(&w.end)],
        None => [Cell::from(""), Cell::from("")],
    };
    let items = |v: &[String]| Cell::Exact(join(v));
    write_table(
        file("areas.csv")?,
        &columns(&AreaData::FIELDS),
        data.areas.iter().map(|a| {
            vec![
                exact(&a.id),
                opt(&a.name),
                a.level.as_str().into(),
                opt(&a.parent),
            ]
        }),
    )?;
    write_table(
        file("needs.csv")?,
        &columns(&NeedData::FIELDS),
        data.needs.iter().map(|n| {
            let [s, e] = win(&n.window);
            vec![
                exact(&n.id),
                exact(&n.area),
                exact(&n.category),
                n.quantity.into(),
                n.priority.into(),
                (if n.vulnerable { "true" } else { "false" }).into(),
                Cell::Text(join(&n.skills)),
                s,
                e,
                n.max_unit_cost.map_or(Cell::from(""), Cell::from),
                opt(&n.requester),
                opt(&n.title),
            ]
        }),
    )?;
    write_table(
        file("resources.csv")?,
        &columns(&ResourceData::FIELDS),
        data.resources.iter().map(|r| {
            let [s, e] = win(&r.window);
            vec![
                exact(&r.id),
                r.kind.as_str().into(),
                opt(&r.name),
                exact(&r.home),
                r.serves.as_deref().map_or(Cell::from(""), items),
                items(&r.categories),
                Cell::Text(join(&r.skills)),
                r.capacity.into(),
                r.unit_cost.into(),
                s,
                e,
            ]
        }),
    )?;
    write_table(
        file("budgets.csv")?,
        &columns(&BudgetData::FIELDS),
        data.budgets
            .iter()
            .map(|b| vec![exact(&b.id), opt(&b.name), exact(&b.area), b.amount.into()]),
    )?;
    write_table(
        file("proposals.csv")?,
        &columns(&ProposalData::FIELDS),
        data.proposals.iter().map(|x| {
            let [s, e] = win(&x.window);
            vec![
                exact(&x.id),
                opt(&x.title),
                opt(&x.provider),
                exact(&x.area),
                exact(&x.budget),
                items(&x.categories),
                Cell::Text(join(&x.skills)),
                x.capacity.into(),
                x.unit_cost.into(),
                x.fixed_cost.into(),
                s,
                e,
            ]
        }),
    )?;
    let mut policy = file("policy.json")?;
    serde_json::to_writer(&mut policy, &data.policy)?;
    policy.flush()
}
