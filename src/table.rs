//! CSV for analysts: the three lists read from `areas.csv`, `needs.csv` and `resources.csv`
//! (one row per item, a header row, list cells separated by `;`), and plans, projects and
//! reports written as tables ([`write_analysis`]).
//!
//! | file | columns (required in bold) |
//! |---|---|
//! | `areas.csv` | **id**, name, **level**, parent |
//! | `needs.csv` | **id**, **area**, **category**, **quantity**, priority, vulnerable, skills, window_start, window_end, max_unit_cost, requester, title |
//! | `resources.csv` | **id**, **kind**, name, **home**, serves, **categories**, skills, **capacity**, unit_cost, window_start, window_end |
//!
//! An empty cell is an absent value. A `policy.json` beside them (the contract's `policy`
//! object) is optional. Problems name the file, the record (0-based, as in JSON paths), the
//! column and the line: `needs.csv[3].quantity`, line 5. Text cells written out that start
//! with `=`, `+`, `-` or `@` get a leading `'`, so spreadsheets do not run them as formulas.

use crate::area::Level;
use crate::explain::Certificate;
use crate::instance::{
    self, AreaData, Instance, InstanceData, LoadError, NeedData, ResourceData, WindowData,
};
use crate::json::Walker;
use crate::limits;
use crate::plan::Plan;
use crate::problem::{Code, Problem, Problems};
use crate::project::Project;
use crate::report::Report;
use crate::resource::Kind;
use std::io::{Read, Write};
use std::path::Path;

const AREA_COLUMNS: [&str; 4] = ["id", "name", "level", "parent"];
const NEED_COLUMNS: [&str; 12] = [
    "id",
    "area",
    "category",
    "quantity",
    "priority",
    "vulnerable",
    "skills",
    "window_start",
    "window_end",
    "max_unit_cost",
    "requester",
    "title",
];
const RESOURCE_COLUMNS: [&str; 11] = [
    "id",
    "kind",
    "name",
    "home",
    "serves",
    "categories",
    "skills",
    "capacity",
    "unit_cost",
    "window_start",
    "window_end",
];

/// One CSV file read into rows of optional cells, by column name.
struct Sheet {
    columns: Vec<Option<usize>>,
    rows: Vec<csv::StringRecord>,
    lines: Vec<u64>,
}

impl Sheet {
    fn cell<'r>(&self, row: &'r csv::StringRecord, column: usize) -> Option<&'r str> {
        self.columns[column]
            .and_then(|k| row.get(k))
            .filter(|s| !s.is_empty())
    }
}

fn read_sheet(
    list: &str,
    reader: impl Read,
    names: &[&str],
    required: &[&str],
    w: &mut Walker,
) -> Sheet {
    let file = format!("{list}.csv");
    let mut sheet = Sheet {
        columns: vec![None; names.len()],
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
            Some(c) if sheet.columns[c].is_some() => w.problems.push(Problem::new(
                Code::DuplicateField,
                format!("{file}.{h}"),
                format!("column `{h}` appears twice in the header"),
            )),
            Some(c) => sheet.columns[c] = Some(k),
            None => w.problems.push(Problem::new(
                Code::UnknownField,
                format!("{file}.{h}"),
                format!("unknown column `{h}`; expected {}", names.join(", ")),
            )),
        }
    }
    for req in required {
        if let Some(c) = names.iter().position(|n| n == req) {
            if sheet.columns[c].is_none() {
                w.problems.push(Problem::new(
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
                w.problems.push(p);
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
                w.problems.push(p);
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

fn int(w: &mut Walker, s: &str, path: String, id: &str) -> Option<i64> {
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
    w.broken.insert(path.clone());
    w.problems
        .push(Problem::new(code, path, msg).with_id(Some(id)));
    None
}

fn list(s: Option<&str>) -> Vec<String> {
    s.map_or_else(Vec::new, |s| s.split(';').map(str::to_owned).collect())
}

fn window(
    sheet: &Sheet,
    row: &csv::StringRecord,
    start: usize,
    w: &mut Walker,
    path: String,
) -> Option<WindowData> {
    match (sheet.cell(row, start), sheet.cell(row, start + 1)) {
        (None, None) => None,
        (Some(s), Some(e)) => Some(WindowData {
            start: s.to_owned(),
            end: e.to_owned(),
        }),
        _ => {
            let msg = "give both window_start and window_end, or neither";
            w.broken.insert(path.clone());
            w.problems.push(Problem::new(Code::MissingField, path, msg));
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
    policy: Option<crate::Policy>,
) -> Result<Instance, LoadError> {
    let mut w = Walker::default();
    let mut data = InstanceData {
        policy: policy.unwrap_or_default(),
        ..InstanceData::default()
    };
    let a = read_sheet("areas", areas, &AREA_COLUMNS, &["id", "level"], &mut w);
    for (k, row) in a.rows.iter().enumerate() {
        let id = a.cell(row, 0).unwrap_or_default().to_owned();
        let level = a.cell(row, 2).unwrap_or_default();
        let level = Level::parse(level).unwrap_or_else(|| {
            let path = format!("areas[{k}].level");
            w.broken.insert(path.clone());
            w.problems.push(
                Problem::new(Code::UnknownLevel, path, format!("unknown level {level:?}"))
                    .with_id(Some(&id)),
            );
            Level::Grid
        });
        data.areas.push(AreaData {
            id,
            name: a.cell(row, 1).map(str::to_owned),
            level,
            parent: a.cell(row, 3).map(str::to_owned),
        });
    }
    let n = read_sheet(
        "needs",
        needs,
        &NEED_COLUMNS,
        &["id", "area", "category", "quantity"],
        &mut w,
    );
    for (k, row) in n.rows.iter().enumerate() {
        let id = n.cell(row, 0).unwrap_or_default().to_owned();
        let p = |c: &str| format!("needs[{k}].{c}");
        let num = |w: &mut Walker, c: usize| {
            n.cell(row, c)
                .and_then(|s| int(w, s, p(NEED_COLUMNS[c]), &id))
        };
        let quantity = num(&mut w, 3);
        let priority = num(&mut w, 4);
        let max_unit_cost = num(&mut w, 9);
        let vulnerable = match n.cell(row, 5) {
            None | Some("false" | "0") => false,
            Some("true" | "1") => true,
            Some(other) => {
                w.broken.insert(p("vulnerable"));
                w.problems.push(
                    Problem::new(
                        Code::WrongType,
                        p("vulnerable"),
                        format!("{other:?} is not true or false"),
                    )
                    .with_id(Some(&id)),
                );
                false
            }
        };
        data.needs.push(NeedData {
            area: n.cell(row, 1).unwrap_or_default().to_owned(),
            category: n.cell(row, 2).unwrap_or_default().to_owned(),
            quantity: quantity.unwrap_or(if n.cell(row, 3).is_some() { 1 } else { 0 }),
            priority: priority.unwrap_or(3),
            vulnerable,
            skills: list(n.cell(row, 6)),
            window: window(&n, row, 7, &mut w, p("window")),
            max_unit_cost,
            requester: n.cell(row, 10).map(str::to_owned),
            title: n.cell(row, 11).map(str::to_owned),
            id,
        });
    }
    let r = read_sheet(
        "resources",
        resources,
        &RESOURCE_COLUMNS,
        &["id", "kind", "home", "categories", "capacity"],
        &mut w,
    );
    for (k, row) in r.rows.iter().enumerate() {
        let id = r.cell(row, 0).unwrap_or_default().to_owned();
        let p = |c: &str| format!("resources[{k}].{c}");
        let kind = r.cell(row, 1).unwrap_or_default();
        let kind = Kind::parse(kind).unwrap_or_else(|| {
            w.broken.insert(p("kind"));
            w.problems.push(
                Problem::new(
                    Code::UnknownKind,
                    p("kind"),
                    format!("unknown kind {kind:?}"),
                )
                .with_id(Some(&id)),
            );
            Kind::Member
        });
        let capacity = r
            .cell(row, 7)
            .and_then(|s| int(&mut w, s, p("capacity"), &id));
        let unit_cost = r
            .cell(row, 8)
            .and_then(|s| int(&mut w, s, p("unit_cost"), &id));
        data.resources.push(ResourceData {
            kind,
            name: r.cell(row, 2).map(str::to_owned),
            home: r.cell(row, 3).unwrap_or_default().to_owned(),
            serves: r.cell(row, 4).map(|s| list(Some(s))),
            categories: list(r.cell(row, 5)),
            skills: list(r.cell(row, 6)),
            capacity: capacity.unwrap_or(0),
            unit_cost: unit_cost.unwrap_or(0),
            window: window(&r, row, 9, &mut w, p("window")),
            id,
        });
    }
    // Missing required cells: report once, at the cell.
    for (sheet, list, names, required) in [
        (&a, "areas", &AREA_COLUMNS[..], &["id", "level"][..]),
        (
            &n,
            "needs",
            &NEED_COLUMNS[..],
            &["id", "area", "category", "quantity"][..],
        ),
        (
            &r,
            "resources",
            &RESOURCE_COLUMNS[..],
            &["id", "kind", "home", "categories", "capacity"][..],
        ),
    ] {
        for (k, row) in sheet.rows.iter().enumerate() {
            if row.is_empty() {
                w.broken.insert(format!("{list}[{k}]"));
                continue;
            }
            for req in required {
                let c = names.iter().position(|x| x == req).unwrap_or(0);
                if sheet.columns[c].is_some() && sheet.cell(row, c).is_none() {
                    let path = format!("{list}[{k}].{req}");
                    w.broken.insert(path.clone());
                    w.problems.push(Problem::new(
                        Code::MissingField,
                        path,
                        format!("empty `{req}`"),
                    ));
                }
            }
        }
    }
    let lines = [
        ("areas", &a.lines),
        ("needs", &n.lines),
        ("resources", &r.lines),
    ];
    instance::validate(&data, w).map_err(|e| match e {
        LoadError::Invalid(Problems(ps)) => LoadError::Invalid(Problems(
            ps.into_iter().map(|p| to_csv_path(p, &lines)).collect(),
        )),
        other => other,
    })
}

/// Renames `needs[3].quantity` to `needs.csv[3].quantity` and adds the record's line.
fn to_csv_path(mut p: Problem, lines: &[(&str, &Vec<u64>); 3]) -> Problem {
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

/// Reads `areas.csv`, `needs.csv`, `resources.csv` and the optional `policy.json` in `dir`.
///
/// # Errors
/// As [`read_csv`]; a missing file is [`LoadError::Io`].
pub fn read_csv_dir(dir: &Path) -> Result<Instance, LoadError> {
    let open = |f: &str| std::fs::File::open(dir.join(f)).map(std::io::BufReader::new);
    let policy = match std::fs::read_to_string(dir.join("policy.json")) {
        Ok(text) => Some(
            Instance::from_json_str(&format!("{{\"policy\": {text}}}"))?
                .policy()
                .clone(),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    read_csv(
        open("areas.csv")?,
        open("needs.csv")?,
        open("resources.csv")?,
        policy,
    )
}

/// A cell written to a table.
#[derive(Debug, Clone)]
pub enum Cell {
    /// Text, guarded against formula injection.
    Text(String),
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
                Cell::Text(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
                Cell::Text(s) => s,
                Cell::Int(v) => v.to_string(),
                Cell::Float(v) => format!("{v:.6}"),
            })
            .collect();
        w.write_record(&cells)?;
    }
    w.flush()
}

/// Writes the instance's three lists as `areas.csv`, `needs.csv` and `resources.csv` in `dir`.
///
/// # Errors
/// Any write error.
pub fn write_csv_dir(instance: &Instance, dir: &Path) -> std::io::Result<()> {
    let data = instance.to_data();
    let file = |f: &str| std::fs::File::create(dir.join(f)).map(std::io::BufWriter::new);
    let opt = |s: &Option<String>| Cell::from(s.clone().unwrap_or_default());
    let win = |w: &Option<WindowData>| match w {
        Some(w) => [Cell::from(w.start.as_str()), Cell::from(w.end.as_str())],
        None => [Cell::from(""), Cell::from("")],
    };
    write_table(
        file("areas.csv")?,
        &AREA_COLUMNS,
        data.areas.iter().map(|a| {
            vec![
                a.id.as_str().into(),
                opt(&a.name),
                a.level.as_str().into(),
                opt(&a.parent),
            ]
        }),
    )?;
    write_table(
        file("needs.csv")?,
        &NEED_COLUMNS,
        data.needs.iter().map(|n| {
            let [s, e] = win(&n.window);
            vec![
                n.id.as_str().into(),
                n.area.as_str().into(),
                n.category.as_str().into(),
                n.quantity.into(),
                n.priority.into(),
                (if n.vulnerable { "true" } else { "false" }).into(),
                n.skills.join(";").into(),
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
        &RESOURCE_COLUMNS,
        data.resources.iter().map(|r| {
            let [s, e] = win(&r.window);
            vec![
                r.id.as_str().into(),
                r.kind.as_str().into(),
                opt(&r.name),
                r.home.as_str().into(),
                r.serves
                    .as_ref()
                    .map_or(String::new(), |s| s.join(";"))
                    .into(),
                r.categories.join(";").into(),
                r.skills.join(";").into(),
                r.capacity.into(),
                r.unit_cost.into(),
                s,
                e,
            ]
        }),
    )
}

/// Writes everything an analyst reads into `out`: `plan.json`, `report.json`,
/// `projects.json`, the instance's three lists, and the tables `assignments.csv`,
/// `unmet.csv` (with each certificate as a sentence), `projects.csv`, `by_category.csv`,
/// `unmet_by_community.csv`, `tiers.csv`, `utilisation.csv`, `recruitment.csv` and
/// `shadow_prices.csv`.
///
/// # Errors
/// Any write error.
pub fn write_analysis(
    out: &Path,
    instance: &Instance,
    plan: &Plan,
    report: &Report,
    projects: &[Project],
) -> std::io::Result<()> {
    let file = |f: &str| std::fs::File::create(out.join(f)).map(std::io::BufWriter::new);
    std::fs::write(out.join("plan.json"), plan.to_json_string())?;
    std::fs::write(out.join("report.json"), report.to_json_string())?;
    std::fs::write(
        out.join("projects.json"),
        serde_json::to_string(projects).unwrap_or_default(),
    )?;
    write_csv_dir(instance, out)?;
    write_table(
        file("assignments.csv")?,
        &["need", "resource", "quantity", "tier", "value"],
        plan.assignments.iter().map(|a| {
            vec![
                a.need.as_str().into(),
                a.resource.as_str().into(),
                a.quantity.into(),
                a.tier.as_str().into(),
                a.value.into(),
            ]
        }),
    )?;
    write_table(
        file("unmet.csv")?,
        &["need", "quantity", "reason", "certificate", "explanation"],
        plan.unmet.iter().map(|u| {
            let kind = match &u.certificate {
                Some(Certificate::Bottleneck { .. }) => "bottleneck",
                Some(Certificate::Tradeoff { .. }) => "tradeoff",
                None => "",
            };
            let reason = serde_json::to_value(u.reason)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let text = u
                .certificate
                .as_ref()
                .map_or(String::new(), ToString::to_string);
            vec![
                u.need.as_str().into(),
                u.quantity.into(),
                reason.into(),
                kind.into(),
                text.into(),
            ]
        }),
    )?;
    write_table(
        file("projects.csv")?,
        &[
            "id",
            "resource",
            "category",
            "community",
            "tier",
            "needs",
            "quantity",
            "value",
            "stage",
        ],
        projects.iter().map(|p| {
            let needs: Vec<String> = p
                .needs
                .iter()
                .map(|n| format!("{}×{}", n.need, n.quantity))
                .collect();
            vec![
                p.id.as_str().into(),
                p.resource.as_str().into(),
                p.category.as_str().into(),
                p.community.as_str().into(),
                p.tier.as_str().into(),
                needs.join(";").into(),
                p.quantity.into(),
                p.value.into(),
                p.stage.chinese().into(),
            ]
        }),
    )?;
    write_table(
        file("by_category.csv")?,
        &["category", "demanded", "served", "unmet"],
        report.by_category.iter().map(|c| {
            vec![
                c.category.as_str().into(),
                c.demanded.into(),
                c.served.into(),
                c.unmet.into(),
            ]
        }),
    )?;
    write_table(
        file("unmet_by_community.csv")?,
        &["community", "unmet"],
        report
            .unmet_by_community
            .iter()
            .map(|c| vec![c.key.as_str().into(), c.units.into()]),
    )?;
    write_table(
        file("tiers.csv")?,
        &["tier", "units", "share"],
        report
            .tiers
            .iter()
            .map(|t| vec![t.tier.as_str().into(), t.units.into(), t.share.into()]),
    )?;
    write_table(
        file("utilisation.csv")?,
        &["from", "to", "resources"],
        report
            .utilisation
            .histogram
            .iter()
            .map(|b| vec![b.from.into(), b.to.into(), (b.resources as i64).into()]),
    )?;
    write_table(
        file("recruitment.csv")?,
        &["category", "community", "value"],
        report.recruitment.iter().map(|a| {
            vec![
                a.category.as_str().into(),
                a.community.as_str().into(),
                a.value.into(),
            ]
        }),
    )?;
    write_table(
        file("shadow_prices.csv")?,
        &["resource", "value"],
        report
            .shadow_prices
            .iter()
            .map(|s| vec![s.resource.as_str().into(), s.value.into()]),
    )
}
