//! Solver speed, side by side on identical networks in one run: duijie's network simplex,
//! LEMON's network simplex (C++, through the `mcmf` crate) and good_lp/microlp where it
//! finishes. Networks and LEMON's arrays are built before timing; each solver's own internal
//! set-up (LEMON's graph, our reduction and tree) is inside the timing.
//!
//! ```text
//! cargo bench --bench solve                    # all groups
//! cargo bench --bench solve -- solve/district  # one scale
//! cargo bench --bench solve -- hard            # the hard family (street and district)
//! cargo bench --bench solve -- analysis        # explanations, report and projects after a solve
//! cargo bench --bench solve -- terms           # a district with and without fairness terms
//! ```
//!
//! Instances come from the seeded generator (`duijie::generate`, seed 1): today's family and
//! the hard family (`Shape::hard_street`, `Shape::hard_district`: capacity about half of
//! demand, organisations serving the whole district or city, windows, skills and cost ceilings
//! on a third of the needs).

#[path = "common/lemon.rs"]
mod lemon;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use duijie::generate::{generate, Shape};
use duijie::solve::{FlowSolver, LpBackend, LpSolver, Solver};
use duijie::{Eligibility, Instance, Plan};
use std::hint::black_box;
use std::time::Duration;

fn small() -> Shape {
    Shape {
        needs: 300,
        members: 160,
        ..Shape::tiny()
    }
}

fn instance(shape: &Shape) -> Instance {
    match Instance::from_data(&generate(shape, 1)) {
        Ok(i) => i,
        Err(e) => panic!("the generator made an invalid instance: {e}"),
    }
}

/// One group per scale; microlp only where it finishes in seconds (street scale takes minutes).
fn solvers(c: &mut Criterion) {
    for (name, shape, with_lp, samples) in [
        ("small", small(), true, 20),
        ("street", Shape::street(), false, 20),
        ("district", Shape::district(), false, 10),
        ("hard-street", Shape::hard_street(), false, 20),
        ("hard-district", Shape::hard_district(), false, 10),
    ] {
        let instance = instance(&shape);
        let eligibility = Eligibility::build(&instance);
        let net = eligibility.network();
        let lemon = lemon::LemonNetwork::new(net);
        let ours = FlowSolver::default().solve(net).map(|s| s.objective);
        assert_eq!(
            ours,
            Ok(lemon.solve()),
            "{name}: optimum differs from LEMON's"
        );

        let mut group = c.benchmark_group(format!("solve/{name}"));
        group
            .sample_size(samples)
            .warm_up_time(Duration::from_secs(1));
        let id = |s: &str| BenchmarkId::new(s, format!("{}x{}", net.supply.len(), net.arcs()));
        group.bench_function(id("duijie-flow"), |b| {
            b.iter(|| FlowSolver::default().solve(black_box(net)))
        });
        group.bench_function(id("lemon-network-simplex"), |b| {
            b.iter(|| black_box(&lemon).solve())
        });
        if with_lp {
            let lp = LpSolver::new(LpBackend::Microlp);
            assert_eq!(lp.solve(net).map(|s| s.objective), ours);
            group.bench_function(id("good_lp-microlp"), |b| {
                b.iter(|| lp.solve(black_box(net)))
            });
        }
        group.finish();
    }
}

/// The whole job of `examples/solve.rs`: JSON text → validated instance → eligibility →
/// optimal plan → plan JSON.
fn pipeline(c: &mut Criterion) {
    for (name, shape, samples) in [
        ("street", Shape::street(), 20),
        ("district", Shape::district(), 10),
        ("hard-street", Shape::hard_street(), 20),
        ("hard-district", Shape::hard_district(), 10),
    ] {
        let text = instance(&shape).to_json_string().unwrap();
        let mut group = c.benchmark_group(format!("pipeline/{name}"));
        group
            .sample_size(samples)
            .warm_up_time(Duration::from_secs(1));
        group.bench_function("json-to-plan", |b| {
            b.iter(|| {
                let instance =
                    Instance::from_json_str(black_box(&text)).map_err(|e| e.to_string())?;
                let eligibility = Eligibility::build(&instance);
                let plan: Plan =
                    duijie::solve_with(&instance, &eligibility, &FlowSolver::default())
                        .map_err(|e| e.to_string())?;
                Ok::<usize, String>(plan.to_json_string().unwrap().len())
            })
        });
        group.finish();
    }
}

/// Everything an analyst asks after the solve, on a solved plan: certificates, shadow prices,
/// advice and the report (including cloning the plan to attach the certificates); and the
/// project list.
fn analysis(c: &mut Criterion) {
    for (name, shape, samples) in [
        ("street", Shape::street(), 20),
        ("district", Shape::district(), 10),
    ] {
        let instance = instance(&shape);
        let eligibility = Eligibility::build(&instance);
        let solution = match FlowSolver::default().solve(eligibility.network()) {
            Ok(s) => s,
            Err(e) => panic!("{name}: {e}"),
        };
        let plan = Plan::from_solution(&instance, &eligibility, &solution);
        let mut group = c.benchmark_group(format!("analysis/{name}"));
        group
            .sample_size(samples)
            .warm_up_time(Duration::from_secs(1));
        group.bench_function("explain-report", |b| {
            b.iter(|| {
                let mut plan = plan.clone();
                let ex = duijie::analysis::explain::explain(&instance, &eligibility, &solution)
                    .map_err(|e| e.to_string())?;
                ex.attach(&instance, &mut plan);
                let report = duijie::analysis::report::Report::new(&instance, &plan, &ex);
                Ok::<usize, String>(report.recruitment.len())
            })
        });
        group.bench_function("projects", |b| {
            b.iter(|| duijie::analysis::project::projects(&instance, black_box(&plan)).len())
        });
        group.finish();
    }
}

/// The same district solved without and with fairness terms: member load steps after 1, 2 and
/// 3 units (penalties 20, 40, 60), engagement of a member's first unit (30) and a community
/// floor of half the demand (40 a unit), as `district --fair` sets them.
fn terms(c: &mut Criterion) {
    use duijie::model::policy::{CommunityFloor, Engagement, LoadStep, PerKind};
    use duijie::model::Kind;
    let plain = generate(&Shape::district(), 1);
    let mut fair = plain.clone();
    let mut steps = PerKind::default();
    steps[Kind::Member] = (1..=3)
        .map(|k| LoadStep {
            after: k,
            penalty: 20 * k,
        })
        .collect();
    let mut engagement = PerKind::default();
    engagement[Kind::Member] = Some(Engagement {
        units: 1,
        bonus: 30,
    });
    fair.policy.load_steps = Some(steps);
    fair.policy.engagement = Some(engagement);
    fair.policy.community_floor = Some(CommunityFloor {
        share_pct: 50,
        bonus: 40,
    });
    let mut group = c.benchmark_group("terms/district");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for (name, data) in [("plain", plain), ("steps+engagement+floor", fair)] {
        let instance = match Instance::from_data(&data) {
            Ok(i) => i,
            Err(e) => panic!("invalid instance: {e}"),
        };
        let eligibility = Eligibility::build(&instance);
        let net = eligibility.network();
        group.bench_function(BenchmarkId::new("flow", name), |b| {
            b.iter(|| black_box(FlowSolver::default().solve(net).map(|s| s.objective)))
        });
    }
    group.finish();
}

criterion_group!(benches, solvers, pipeline, analysis, terms);
criterion_main!(benches);
