//! Bad input: every problem reported at once, with a stable code and the path; never a panic.

use duijie::{Code, Instance, LoadError, Problem};
use proptest::prelude::*;

const AREAS: &str =
    r#"[{"id": "S", "level": "street"}, {"id": "C", "level": "community", "parent": "S"}]"#;
const NEED: &str = r#"{"id": "N1", "area": "C", "category": "health", "quantity": 1}"#;
const RESOURCE: &str =
    r#"{"id": "R1", "kind": "member", "home": "C", "categories": ["health"], "capacity": 2}"#;

fn problems(json: &str) -> Vec<Problem> {
    match Instance::from_json_str(json) {
        Err(LoadError::Invalid(p)) => p.0,
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => Vec::new(),
    }
}

/// An instance with the base need and resource, one of them replaced.
fn with(need: &str, resource: &str) -> String {
    format!(r#"{{"areas": {AREAS}, "needs": [{need}], "resources": [{resource}]}}"#)
}

fn need_with(field: &str) -> String {
    with(&NEED.replace('}', &format!(", {field}}}")), RESOURCE)
}

fn resource_with(field: &str) -> String {
    with(
        NEED,
        &RESOURCE.replace("\"capacity\": 2}", &format!("\"capacity\": 2, {field}}}")),
    )
}

#[test]
fn golden_rejections() {
    let cases: Vec<(&str, String, Code, &str)> = vec![
        ("malformed json", "{\"areas\": [".into(), Code::Syntax, ""),
        ("trailing garbage", format!("{} x", with(NEED, RESOURCE)), Code::Syntax, ""),
        ("not an object", "[1, 2]".into(), Code::WrongType, ""),
        ("unknown top-level field", r#"{"areas": [], "extra": 1}"#.into(), Code::UnknownField, "extra"),
        ("unknown need field", need_with(r#""colour": "red""#), Code::UnknownField, "needs[0].colour"),
        ("repeated field", need_with(r#""quantity": 2"#), Code::DuplicateField, "needs[0].quantity"),
        ("missing field", with(r#"{"id": "N1", "area": "C", "quantity": 1}"#, RESOURCE), Code::MissingField, "needs[0].category"),
        ("quantity zero", with(&NEED.replace("\"quantity\": 1", "\"quantity\": 0"), RESOURCE), Code::OutOfRange, "needs[0].quantity"),
        ("fractional quantity", with(&NEED.replace("\"quantity\": 1", "\"quantity\": 1.5"), RESOURCE), Code::NotInteger, "needs[0].quantity"),
        ("float that looks whole", with(&NEED.replace("\"quantity\": 1", "\"quantity\": 2.0"), RESOURCE), Code::NotInteger, "needs[0].quantity"),
        ("huge quantity", with(&NEED.replace("\"quantity\": 1", "\"quantity\": 99999999999999999999999"), RESOURCE), Code::OutOfRange, "needs[0].quantity"),
        ("quantity above the limit", with(&NEED.replace("\"quantity\": 1", "\"quantity\": 1000001"), RESOURCE), Code::OutOfRange, "needs[0].quantity"),
        ("quantity as a string", with(&NEED.replace("\"quantity\": 1", "\"quantity\": \"1\""), RESOURCE), Code::WrongType, "needs[0].quantity"),
        ("priority 6", need_with(r#""priority": 6"#), Code::OutOfRange, "needs[0].priority"),
        ("priority 0", need_with(r#""priority": 0"#), Code::OutOfRange, "needs[0].priority"),
        ("vulnerable as number", need_with(r#""vulnerable": 1"#), Code::WrongType, "needs[0].vulnerable"),
        ("negative capacity", with(NEED, &RESOURCE.replace("\"capacity\": 2", "\"capacity\": -1")), Code::OutOfRange, "resources[0].capacity"),
        ("negative unit cost", resource_with(r#""unit_cost": -5"#), Code::OutOfRange, "resources[0].unit_cost"),
        ("negative ceiling", need_with(r#""max_unit_cost": -1"#), Code::OutOfRange, "needs[0].max_unit_cost"),
        ("unknown kind", with(NEED, &RESOURCE.replace("member", "robot")), Code::UnknownKind, "resources[0].kind"),
        ("no category", with(NEED, &RESOURCE.replace("[\"health\"]", "[]")), Code::NoCategory, "resources[0].categories"),
        ("empty category name", with(NEED, &RESOURCE.replace("[\"health\"]", "[\"\"]")), Code::BadId, "resources[0].categories[0]"),
        ("unknown area", with(&NEED.replace("\"area\": \"C\"", "\"area\": \"Z\""), RESOURCE), Code::UnknownArea, "needs[0].area"),
        ("unknown served area", resource_with(r#""serves": ["C", "Q"]"#), Code::UnknownArea, "resources[0].serves[1]"),
        ("unknown home", with(NEED, &RESOURCE.replace("\"home\": \"C\"", "\"home\": \"Z\"")), Code::UnknownArea, "resources[0].home"),
        ("duplicate need id", format!(r#"{{"areas": {AREAS}, "needs": [{NEED}, {NEED}]}}"#), Code::DuplicateId, "needs[1].id"),
        ("empty id", with(&NEED.replace("\"N1\"", "\"\""), RESOURCE), Code::BadId, "needs[0].id"),
        ("control character in id", with(&NEED.replace("\"N1\"", "\"N\\u0007\""), RESOURCE), Code::BadId, "needs[0].id"),
        ("bad time", need_with(r#""window": {"start": "2026-02-30T09:00:00", "end": "2026-03-01T09:00:00"}"#), Code::BadTime, "needs[0].window.start"),
        ("time with zone", need_with(r#""window": {"start": "2026-02-01T09:00:00Z", "end": "2026-03-01T09:00:00"}"#), Code::BadTime, "needs[0].window.start"),
        ("window backwards", need_with(r#""window": {"start": "2026-03-01T09:00:00", "end": "2026-02-01T09:00:00"}"#), Code::WindowOrder, "needs[0].window"),
        ("window field unknown", need_with(r#""window": {"start": "2026-03-01T09:00:00", "until": "x"}"#), Code::UnknownField, "needs[0].window.until"),
        ("unknown level", r#"{"areas": [{"id": "A", "level": "province"}]}"#.into(), Code::UnknownLevel, "areas[0].level"),
        ("child not below parent", r#"{"areas": [{"id": "A", "level": "community"}, {"id": "B", "level": "street", "parent": "A"}]}"#.into(), Code::LevelOrder, "areas[1].level"),
        ("area cycle", r#"{"areas": [{"id": "A", "level": "grid", "parent": "B"}, {"id": "B", "level": "grid", "parent": "A"}]}"#.into(), Code::AreaCycle, "areas[0].parent"),
        ("self parent", r#"{"areas": [{"id": "A", "level": "grid", "parent": "A"}]}"#.into(), Code::AreaCycle, "areas[0].parent"),
        ("duplicate area", r#"{"areas": [{"id": "A", "level": "grid"}, {"id": "A", "level": "grid"}]}"#.into(), Code::DuplicateId, "areas[1].id"),
        ("policy out of range", r#"{"policy": {"priority_value": -1}}"#.into(), Code::OutOfRange, "policy.priority_value"),
        ("policy unknown level", r#"{"policy": {"locality_penalty": {"planet": 1}}}"#.into(), Code::UnknownField, "policy.locality_penalty.planet"),
        ("policy fractional", r#"{"policy": {"cost_weight": 0.5}}"#.into(), Code::NotInteger, "policy.cost_weight"),
        ("load steps out of order", r#"{"policy": {"load_steps": {"member": [{"after": 4, "penalty": 10}, {"after": 2, "penalty": 20}]}}}"#.into(), Code::StepOrder, "policy.load_steps.member[1].after"),
        ("load penalty falls", r#"{"policy": {"load_steps": {"unit": [{"after": 1, "penalty": 30}, {"after": 2, "penalty": 20}]}}}"#.into(), Code::StepOrder, "policy.load_steps.unit[1].penalty"),
        ("negative load penalty", r#"{"policy": {"load_steps": {"member": [{"after": 1, "penalty": -1}]}}}"#.into(), Code::OutOfRange, "policy.load_steps.member[0].penalty"),
        ("load step without penalty", r#"{"policy": {"load_steps": {"member": [{"after": 1}]}}}"#.into(), Code::MissingField, "policy.load_steps.member[0].penalty"),
        ("load steps of an unknown kind", r#"{"policy": {"load_steps": {"robot": []}}}"#.into(), Code::UnknownField, "policy.load_steps.robot"),
        ("load steps not a list", r#"{"policy": {"load_steps": {"member": 3}}}"#.into(), Code::WrongType, "policy.load_steps.member"),
        ("engagement without bonus", r#"{"policy": {"engagement": {"member": {"units": 1}}}}"#.into(), Code::MissingField, "policy.engagement.member.bonus"),
        ("engagement bonus too large", r#"{"policy": {"engagement": {"member": {"units": 1, "bonus": 100000001}}}}"#.into(), Code::OutOfRange, "policy.engagement.member.bonus"),
        ("floor share above 100", r#"{"policy": {"community_floor": {"share_pct": 101, "bonus": 1}}}"#.into(), Code::OutOfRange, "policy.community_floor.share_pct"),
        ("floor without share", r#"{"policy": {"community_floor": {"bonus": 1}}}"#.into(), Code::MissingField, "policy.community_floor.share_pct"),
        ("list not an array", r#"{"needs": {}}"#.into(), Code::WrongType, "needs"),
        ("item not an object", r#"{"needs": [3]}"#.into(), Code::WrongType, "needs[0]"),
        ("too deep", format!("{}{}", "[".repeat(200), "]".repeat(200)), Code::Syntax, ""),
    ];
    let total = cases.len();
    let mut rejected = 0;
    for (name, json, code, path) in cases {
        let found = problems(&json);
        assert!(
            found.iter().any(|p| p.code == code && p.path == path),
            "{name}: wanted {code} at {path:?}, got {found:#?}"
        );
        for p in &found {
            let text = p.to_string();
            assert!(
                text.contains(p.code.as_str()) && text.contains(&p.path),
                "{name}: {text}"
            );
            if p.code == Code::Syntax {
                assert!(
                    p.line.is_some() && p.column.is_some(),
                    "{name}: syntax errors carry a position"
                );
            }
        }
        rejected += 1;
    }
    println!("A5 golden rejection table: {rejected}/{total} rejected, 0 accepted");
}

#[test]
fn every_problem_at_once() {
    let json = r#"{
      "areas": [{"id": "S", "level": "street"}, {"id": "C", "level": "community", "parent": "Nowhere"}],
      "needs": [
        {"id": "N1", "area": "C", "category": "health", "quantity": 0, "priority": 9},
        {"id": "N1", "area": "Z", "category": "health", "quantity": "two"}
      ],
      "resources": [{"id": "R1", "kind": "member", "home": "C", "categories": [], "capacity": 1.5, "extra": true}]
    }"#;
    let found: Vec<(Code, String)> = problems(json)
        .into_iter()
        .map(|p| (p.code, p.path))
        .collect();
    let want = [
        (Code::UnknownArea, "areas[1].parent"),
        (Code::OutOfRange, "needs[0].quantity"),
        (Code::OutOfRange, "needs[0].priority"),
        (Code::DuplicateId, "needs[1].id"),
        (Code::UnknownArea, "needs[1].area"),
        (Code::WrongType, "needs[1].quantity"),
        (Code::NoCategory, "resources[0].categories"),
        (Code::NotInteger, "resources[0].capacity"),
        (Code::UnknownField, "resources[0].extra"),
    ];
    for (code, path) in want {
        assert!(
            found.iter().any(|(c, p)| *c == code && p == path),
            "missing {code} at {path}: {found:?}"
        );
    }
    // A broken value is reported once, not again by the checks that depend on it.
    assert_eq!(
        found
            .iter()
            .filter(|(_, p)| p == "needs[1].quantity")
            .count(),
        1
    );
    assert_eq!(found.len(), want.len(), "{found:?}");
}

#[test]
fn null_means_absent() {
    let json = r#"{"areas": [{"id": "C", "level": "community", "parent": null, "name": null}],
      "needs": [{"id": "N1", "area": "C", "category": "health", "quantity": 1, "window": null, "max_unit_cost": null}],
      "resources": [{"id": "R1", "kind": "member", "home": "C", "serves": null, "categories": ["health"], "capacity": 1}],
      "policy": null}"#;
    let instance = Instance::from_json_str(json).unwrap();
    assert_eq!(duijie::solve(&instance).unwrap().served, 1);
    let required = with(
        &NEED.replace("\"quantity\": 1", "\"quantity\": null"),
        RESOURCE,
    );
    assert!(problems(&required)
        .iter()
        .any(|p| p.code == Code::MissingField && p.path == "needs[0].quantity"));
    let twice = need_with(r#""window": null, "window": null"#);
    assert!(problems(&twice)
        .iter()
        .any(|p| p.code == Code::DuplicateField));
}

#[test]
fn empty_lists_are_valid() {
    for json in [
        r#"{}"#,
        r#"{"areas": [], "needs": [], "resources": []}"#,
        &with(NEED, RESOURCE).replace(&format!("[{RESOURCE}]"), "[]"),
    ] {
        let instance = Instance::from_json_str(json).unwrap();
        let plan = duijie::solve(&instance).unwrap();
        assert_eq!(plan.assignments.len(), 0);
        duijie::check(&instance, &plan).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Arbitrary text never panics: it is read, or rejected with problems.
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = Instance::from_json_str(&text);
    }

    /// Valid JSON with random edits (a byte dropped, repeated or replaced) never panics,
    /// and every rejection lists at least one problem.
    #[test]
    fn mutated_instances_never_panic(cut in 0usize..400, op in 0u8..3, byte in 0u8..128) {
        let base = with(NEED, RESOURCE);
        let mut bytes = base.into_bytes();
        let k = cut % bytes.len();
        match op {
            0 => { bytes.remove(k); }
            1 => { let b = bytes[k]; bytes.insert(k, b); }
            _ => bytes[k] = byte,
        }
        if let Ok(text) = String::from_utf8(bytes) {
            if let Err(LoadError::Invalid(p)) = Instance::from_json_str(&text) {
                prop_assert!(!p.0.is_empty());
            }
        }
    }
}

#[test]
fn byte_limit_is_checked_before_parsing() {
    // An endless input stops at the limit, without reading it all or parsing it.
    let endless = std::io::repeat(b'[');
    match Instance::from_reader_at_most(endless, 4096) {
        Err(LoadError::Invalid(p)) => assert_eq!(p.0[0].code, Code::TooLarge),
        other => panic!("{other:?}"),
    }
    let small = with(NEED, RESOURCE);
    assert!(Instance::from_reader_at_most(small.as_bytes(), small.len() as u64).is_ok());
    assert!(Instance::from_reader_at_most(small.as_bytes(), small.len() as u64 - 1).is_err());
}

/// Long ids and values are cut in messages: a few hundred bytes per problem, whatever the
/// input holds, and the problem's id keeps at most the longest valid id.
#[test]
fn long_values_are_cut_in_messages() {
    let long = "\\t".repeat(1 << 20);
    let json = format!(
        r#"{{"areas": [{{"id": "C", "level": "{long}"}}],
            "needs": [{{"id": "{long}", "area": "{long}", "category": "c", "quantity": 1,
                        "window": {{"start": "{long}", "end": "2026-01-01T00:00:00"}}}}],
            "resources": [{{"id": "R", "kind": "{long}", "home": "C", "categories": ["c"],
                            "capacity": 1, "{long}": 1}}]}}"#
    );
    let found = problems(&json);
    let codes: Vec<Code> = found.iter().map(|p| p.code).collect();
    for code in [
        Code::UnknownLevel,
        Code::BadId,
        Code::BadTime,
        Code::UnknownKind,
        Code::UnknownField,
        Code::UnknownArea,
    ] {
        assert!(codes.contains(&code), "{code} missing: {codes:?}");
    }
    for p in &found {
        let text = p.to_string();
        assert!(text.len() < 600, "{} bytes: {text}", text.len());
        assert!(p.id.as_ref().map_or(0, String::len) <= 256 + "…".len());
        assert!(p.path.len() < 200, "{}", p.path);
    }
}

/// An input with very many problems lists the first ones and counts the rest.
#[test]
fn problems_are_capped() {
    let many = vec!["{}"; 6000].join(", ");
    let found = problems(&format!(r#"{{"needs": [{many}]}}"#));
    let max = duijie::model::limits::MAX_PROBLEMS;
    assert_eq!(found.len(), max + 1);
    let last = &found[max];
    assert_eq!(last.code, Code::TooManyProblems);
    // Four missing fields per need: 24,000 problems.
    assert!(
        last.message.starts_with(&format!("{} more", 24_000 - max)),
        "{}",
        last.message
    );
}

/// The reader streams: the lists may come in any order, and a byte-order mark may lead.
#[test]
fn lists_in_any_order_and_a_byte_order_mark() {
    let forward = with(NEED, RESOURCE);
    let backward = format!(
        r#"{{"resources": [{RESOURCE}], "needs": [{NEED}], "policy": {{}}, "areas": {AREAS}}}"#
    );
    let a = Instance::from_json_str(&forward).unwrap();
    assert_eq!(Instance::from_json_str(&backward).unwrap(), a);
    assert_eq!(
        Instance::from_json_str(&format!("\u{feff}{forward}")).unwrap(),
        a
    );
    let read = Instance::from_reader(format!("\u{feff}{backward}").as_bytes()).unwrap();
    assert_eq!(read, a);
}

/// The fairness terms read, validate and write back as they were.
#[test]
fn fairness_terms_round_trip() {
    let json = r#"{"policy": {
        "load_steps": {"member": [{"after": 2, "penalty": 20}, {"after": 4, "penalty": 60}],
                       "unit": []},
        "engagement": {"member": {"units": 1, "bonus": 30}},
        "community_floor": {"share_pct": 50, "bonus": 40}}}"#;
    let instance = Instance::from_json_str(json).unwrap();
    let p = instance.policy();
    assert!(p.has_terms());
    assert_eq!(
        p.community_floor.map(|f| (f.share_pct, f.bonus)),
        Some((50, 40))
    );
    let again = Instance::from_json_str(&instance.to_json_string().unwrap()).unwrap();
    assert_eq!(again, instance);
    assert!(!Instance::from_json_str("{}").unwrap().policy().has_terms());
}
