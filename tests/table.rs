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

mod round_trip {
    use duijie::contract::{AreaData, InstanceData, NeedData, ResourceData, WindowData};
    use duijie::format::csv::{read_csv_dir, write_csv_dir};
    use duijie::model::{Kind, Level};
    use duijie::Instance;
    use proptest::prelude::*;

    /// Text that spreadsheets and CSV find awkward: separators, quotes, the guard, escapes,
    /// formula starts, spaces and Chinese.
    fn awkward(max: usize) -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            ";", "\"", "'", "''", "-", "=", "+", "@", "\\", "\\;", ",", " ", "a", "Z", "0", "社区",
            "助老", "-C", "=1+1", "'-",
        ]);
        prop::collection::vec(pieces, 0..max).prop_map(|v| v.concat())
    }

    /// Like [`awkward`], with line breaks and tabs (allowed in names, not in ids).
    fn free_text() -> impl Strategy<Value = String> {
        (
            awkward(4),
            prop::sample::select(vec!["", "\n", "\r\n", "\t", "x\ny"]),
            awkward(3),
        )
            .prop_map(|(a, b, c)| format!("{b}{a}{b}{c}"))
    }

    /// A unique, valid id: awkward text with the item's number.
    fn id(prefix: String, k: usize) -> String {
        format!("{prefix}{k}")
    }

    fn window(on: bool, day: u32) -> Option<WindowData> {
        on.then(|| WindowData {
            start: format!("2026-12-{:02}T09:00:00", day),
            end: format!("2026-12-{:02}T18:00:00", day + 1),
        })
    }

    prop_compose! {
        fn instance()(
            area_ids in prop::collection::vec(awkward(4), 4),
            area_names in prop::collection::vec(prop::option::of(awkward(3)), 4),
            cats in prop::collection::vec(awkward(3), 3),
            skills in prop::collection::vec(awkward(3), 2),
            needs in prop::collection::vec(
                (awkward(3), 0usize..4, 0usize..3, 1i64..5, 1i64..=5, any::<bool>(),
                 prop::collection::vec(0usize..2, 0..3), (any::<bool>(), 1u32..20),
                 prop::option::of(0i64..100), prop::option::of(free_text()),
                 prop::option::of(free_text())),
                0..6),
            resources in prop::collection::vec(
                (awkward(3), 0usize..5, prop::option::of(free_text()), 0usize..4,
                 prop::option::of(prop::collection::vec(0usize..4, 0..3)),
                 prop::collection::vec(0usize..3, 1..3), prop::collection::vec(0usize..2, 0..3),
                 0i64..6, 0i64..50, (any::<bool>(), 1u32..20)),
                0..6),
            priority_value in 1i64..500,
            street_penalty in 0i64..50,
        ) -> InstanceData {
            let area_ids: Vec<String> = area_ids.into_iter().enumerate().map(|(k, a)| id(a, k)).collect();
            let cats: Vec<String> = cats.into_iter().enumerate().map(|(k, c)| id(c, k)).collect();
            let skills: Vec<String> = skills.into_iter().enumerate().map(|(k, s)| id(s, k)).collect();
            let levels = [Level::District, Level::Street, Level::Community, Level::Grid];
            let mut data = InstanceData {
                areas: (0..4).map(|k| AreaData {
                    id: area_ids[k].clone(),
                    name: area_names[k].clone(),
                    level: levels[k],
                    parent: (k > 0).then(|| area_ids[k - 1].clone()),
                }).collect(),
                ..InstanceData::default()
            };
            for (k, (n, area, cat, quantity, priority, vulnerable, sk, (w, day), cost, requester, title)) in needs.into_iter().enumerate() {
                data.needs.push(NeedData {
                    id: id(n, k), area: area_ids[area].clone(), category: cats[cat].clone(),
                    quantity, priority, vulnerable,
                    skills: sk.iter().map(|&s| skills[s].clone()).collect(),
                    window: window(w, day), max_unit_cost: cost, requester, title,
                });
            }
            for (k, (r, kind, name, home, serves, cs, sk, capacity, unit_cost, (w, day))) in resources.into_iter().enumerate() {
                data.resources.push(ResourceData {
                    id: id(r, k), kind: Kind::ALL[kind], name, home: area_ids[home].clone(),
                    serves: serves.map(|s| s.iter().map(|&a| area_ids[a].clone()).collect()),
                    categories: cs.iter().map(|&c| cats[c].clone()).collect(),
                    skills: sk.iter().map(|&s| skills[s].clone()).collect(),
                    capacity, unit_cost, window: window(w, day),
                });
            }
            data.policy.priority_value = priority_value;
            data.policy.locality_penalty[Level::Street.index()] = street_penalty;
            data
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Written as CSV and read back, any valid instance is the same instance, policy and
        /// optimum included.
        #[test]
        fn csv_round_trip_is_exact(data in instance(), case in any::<u64>()) {
            let instance = Instance::from_data(&data).unwrap();
            let dir = std::env::temp_dir()
                .join(format!("duijie-csv-{}-{case}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            write_csv_dir(&instance, &dir).unwrap();
            let back = read_csv_dir(&dir);
            std::fs::remove_dir_all(&dir).unwrap();
            let back = back.unwrap();
            prop_assert_eq!(&back, &instance);
            prop_assert_eq!(duijie::solve(&back).unwrap(), duijie::solve(&instance).unwrap());
        }
    }
}
