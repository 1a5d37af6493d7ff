//! Budgets and proposals (评审立项): the project's own method (`BranchSolver`, flows inside)
//! on the generated funded street (seed 1: 2,500 needs, 50 proposals, one budget per
//! community), to proven optimality; with `--features highs`, the reference MIP (HiGHS, one
//! thread, strong linking) on the same program, whose optimum must be the same.
//!
//! ```text
//! cargo bench --bench budgets
//! cargo bench --bench budgets --features highs
//! ```
//!
//! The district (100,000 needs, 1,000 proposals, 40 street budgets) takes minutes per run and
//! is timed by the example instead:
//! `cargo run --release --example district -- --budgets --gap-ppm 5000 --out out/`.

use criterion::{criterion_group, criterion_main, Criterion};
use duijie::funded::FundedProgram;
use duijie::generate::{generate_funded, Funding, Shape};
use duijie::solve::mip::{BranchSolver, ProgramSolver};
use duijie::{Eligibility, Instance};
use std::hint::black_box;
use std::time::Duration;

fn street(c: &mut Criterion) {
    let data = generate_funded(&Shape::street(), &Funding::street(), 1);
    let instance = match Instance::from_data(&data) {
        Ok(i) => i,
        Err(e) => panic!("the generator made an invalid instance: {e}"),
    };
    let eligibility = Eligibility::build(&instance);
    let funded = FundedProgram::new(&instance, &eligibility);
    let program = funded.program();
    let own = match BranchSolver::default().solve(program) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    assert!(
        own.is_proven(),
        "street: not proven ({} < {})",
        own.objective,
        own.bound
    );
    eprintln!(
        "street: optimum {} proven; {} nodes, {} flow solves",
        own.objective, own.stats.nodes, own.stats.flow_solves
    );
    #[cfg(feature = "highs")]
    {
        use duijie::solve::mip::MipSolver;
        use duijie::solve::LpBackend;
        let start = std::time::Instant::now();
        let reference = MipSolver::new(LpBackend::Highs).solve(program);
        eprintln!(
            "street: HiGHS reference MIP {:?} in {:.1} s",
            reference.as_ref().map(|d| d.objective),
            start.elapsed().as_secs_f64()
        );
        assert_eq!(reference.map(|d| d.objective), Ok(own.objective));
    }
    let mut group = c.benchmark_group("budgets/street");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(60));
    group.bench_function("own-method-proven", |b| {
        b.iter(|| BranchSolver::default().solve(black_box(program)))
    });
    group.finish();
}

criterion_group!(benches, street);
criterion_main!(benches);
