//! CSV in and out: round trips, and every bad file rejected with file, record, column, line.

use duijie::format::csv::{read_csv, read_csv_dir, write_csv_dir};
use duijie::generate::{generate, Shape};
use duijie::{Code, Instance, LoadError, Problem};

const AREAS: &str = "id,name,level,parent\nS,建外街道,street,\nC,永安里,community,S\n";
const NEEDS: &str = "id,area,category,quantity,priority,vulnerable,skills,window_start,window_end\nN1,C,health,2,4,true,nursing;first-aid,2026-12-01T09:00:00,2026-12-02T09:00:00\n";
const RESOURCES: &str = "id,kind,name,home,serves,categories,skills,capacity,unit_cost\nR1,member,张三,C,,health;elder-care,nursing;first-aid,3,0\n";

fn problems(areas: &str, needs: &str, resources: &str) -> Vec<Problem> {
    match read_csv(
        areas.as_bytes(),
        needs.as_bytes(),
        resources.as_bytes(),
        None,
    ) {
        Err(LoadError::Invalid(p)) => p.0,
        Err(e) => panic!("{e}"),
        Ok(_) => Vec::new(),
    }
}

#[test]
fn reads_the_lists() {
    let instance = read_csv(
        AREAS.as_bytes(),
        NEEDS.as_bytes(),
        RESOURCES.as_bytes(),
        None,
    )
    .unwrap();
    let plan = duijie::solve(&instance).unwrap();
    assert_eq!((plan.served, plan.objective), (2, 2 * 600));
}

#[test]
fn round_trip_through_a_folder() {
    let dir = std::env::temp_dir().join(format!("duijie-table-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for seed in 0..5 {
        let instance = Instance::from_data(&generate(&Shape::tiny(), seed)).unwrap();
        write_csv_dir(&instance, &dir).unwrap();
        assert_eq!(read_csv_dir(&dir).unwrap(), instance, "seed {seed}");
    }
    std::fs::write(dir.join("policy.json"), r#"{"priority_value": 10}"#).unwrap();
    assert_eq!(read_csv_dir(&dir).unwrap().policy().priority_value, 10);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn golden_csv_rejections() {
    let need = |q: &str| format!("id,area,category,quantity\nN1,C,health,{q}\n");
    // (name, needs.csv, resources.csv, code, path, line)
    type Case = (
        &'static str,
        String,
        String,
        Code,
        &'static str,
        Option<usize>,
    );
    let cases: Vec<Case> = vec![
        (
            "NaN",
            need("NaN"),
            RESOURCES.into(),
            Code::NotInteger,
            "needs.csv[0].quantity",
            Some(2),
        ),
        (
            "inf",
            need("inf"),
            RESOURCES.into(),
            Code::NotInteger,
            "needs.csv[0].quantity",
            Some(2),
        ),
        (
            "1e400",
            need("1e400"),
            RESOURCES.into(),
            Code::NotInteger,
            "needs.csv[0].quantity",
            Some(2),
        ),
        (
            "1e-400",
            need("1e-400"),
            RESOURCES.into(),
            Code::NotInteger,
            "needs.csv[0].quantity",
            Some(2),
        ),
        (
            "fraction",
            need("1.5"),
            RESOURCES.into(),
            Code::NotInteger,
            "needs.csv[0].quantity",
            Some(2),
        ),
        (
            "overflow",
            need("99999999999999999999"),
            RESOURCES.into(),
            Code::OutOfRange,
            "needs.csv[0].quantity",
            Some(2),
        ),
        (
            "zero",
            need("0"),
            RESOURCES.into(),
            Code::OutOfRange,
            "needs.csv[0].quantity",
            Some(2),
        ),
        (
            "empty required cell",
            need(""),
            RESOURCES.into(),
            Code::MissingField,
            "needs.csv[0].quantity",
            Some(2),
        ),
        (
            "ragged row",
            "id,area,category,quantity\nN1,C,health\n".into(),
            RESOURCES.into(),
            Code::Syntax,
            "needs.csv[0]",
            Some(2),
        ),
        (
            "extra column",
            "id,area,category,quantity,colour\nN1,C,health,1,red\n".into(),
            RESOURCES.into(),
            Code::UnknownField,
            "needs.csv.colour",
            None,
        ),
        (
            "duplicate header",
            "id,area,category,quantity,area\nN1,C,health,1,C\n".into(),
            RESOURCES.into(),
            Code::DuplicateField,
            "needs.csv.area",
            None,
        ),
        (
            "missing column",
            "id,area,quantity\nN1,C,1\n".into(),
            RESOURCES.into(),
            Code::MissingField,
            "needs.csv.category",
            None,
        ),
        (
            "unknown area",
            "id,area,category,quantity\nN0,C,health,1\nN1,Z,health,1\n".into(),
            RESOURCES.into(),
            Code::UnknownArea,
            "needs.csv[1].area",
            Some(3),
        ),
        (
            "bad kind",
            NEEDS.into(),
            RESOURCES.replace("member", "robot"),
            Code::UnknownKind,
            "resources.csv[0].kind",
            Some(2),
        ),
        (
            "negative capacity",
            NEEDS.into(),
            RESOURCES.replace(",3,0", ",-3,0"),
            Code::OutOfRange,
            "resources.csv[0].capacity",
            Some(2),
        ),
        (
            "half a window",
            "id,area,category,quantity,window_start\nN1,C,health,1,2026-12-01T09:00:00\n".into(),
            RESOURCES.into(),
            Code::MissingField,
            "needs.csv[0].window",
            Some(2),
        ),
        (
            "bad boolean",
            "id,area,category,quantity,vulnerable\nN1,C,health,1,yes\n".into(),
            RESOURCES.into(),
            Code::WrongType,
            "needs.csv[0].vulnerable",
            Some(2),
        ),
    ];
    let total = cases.len();
    for (name, needs, resources, code, path, line) in cases {
        let found = problems(AREAS, &needs, &resources);
        assert!(
            found
                .iter()
                .any(|p| p.code == code && p.path == path && (line.is_none() || p.line == line)),
            "{name}: wanted {code} at {path} line {line:?}, got {found:#?}"
        );
    }
    let areas = problems("id,level,parent\nA,district,\nB,nowhere,A\n", "", "");
    assert!(areas.iter().any(|p| p.code == Code::UnknownLevel
        && p.path == "areas.csv[1].level"
        && p.line == Some(3)));
    println!(
        "A5 CSV rejection table: {}/{} rejected",
        total + 1,
        total + 1
    );
}

#[test]
fn formulas_are_not_written_as_formulas() {
    let mut out = Vec::new();
    duijie::format::csv::write_table(
        &mut out,
        &["a", "b"],
        [
            vec!["=1+1".into(), (-5i64).into()],
            vec!["@x".into(), "ok".into()],
        ],
    )
    .unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), "a,b\n'=1+1,-5\n'@x,ok\n");
}

/// Everything the district example writes, read back: each table is well-formed CSV whose
/// rows agree with the plan and the report.
#[test]
fn analysis_tables_read_back() {
    use duijie::analysis::explain::explain;
    use duijie::solve::{FlowSolver, Solver};
    let instance = Instance::from_data(&generate(&Shape::street(), 2)).unwrap();
    let e = duijie::Eligibility::build(&instance);
    let sol = FlowSolver::default().solve(e.network()).unwrap();
    let mut plan = duijie::Plan::from_solution(&instance, &e, &sol);
    let ex = explain(&instance, &e, &sol).unwrap();
    ex.attach(&instance, &mut plan);
    let report = duijie::analysis::report::Report::new(&instance, &plan, &ex);
    let projects = duijie::analysis::project::projects(&instance, &plan);
    let dir = std::env::temp_dir().join(format!("duijie-analysis-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    duijie::analysis::tables::write_analysis(&dir, &instance, &plan, &report, &projects).unwrap();
    let rows = |f: &str| -> Vec<csv::StringRecord> {
        csv::Reader::from_path(dir.join(f))
            .unwrap()
            .records()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(rows("assignments.csv").len(), plan.assignments.len());
    let unmet = rows("unmet.csv");
    assert_eq!(unmet.len(), plan.unmet.len());
    for (row, u) in unmet.iter().zip(&plan.unmet) {
        assert_eq!(&row[0], u.need.as_str());
        assert_eq!(row[4].is_empty(), u.certificate.is_none());
    }
    assert_eq!(rows("projects.csv").len(), projects.len());
    assert_eq!(rows("recruitment.csv").len(), report.recruitment.len());
    assert_eq!(rows("tiers.csv").len(), 5);
    assert_eq!(rows("utilisation.csv").len(), 10);
    let plan_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("plan.json")).unwrap()).unwrap();
    assert_eq!(plan_json["objective"], plan.objective);
    let report_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(
        report_json["recruitment"].as_array().map(Vec::len),
        Some(report.recruitment.len())
    );
    assert_eq!(read_csv_dir(&dir).unwrap(), instance);
    std::fs::remove_dir_all(&dir).unwrap();
}
