//! This example shows the analyst's whole day on one district: generate (or load) the three
//! lists, find the optimal plan, explain it, build the project list and the report, and write
//! tables and charts into a folder.
//!
//! ```text
//! cargo run --release --example district -- --out out/              # generated district, seed 1
//! cargo run --release --example district -- --instance d.json --out out/
//! cargo run --release --example district -- --csv lists/ --out out/  # areas.csv, needs.csv, resources.csv
//! cargo run --release --example district -- --scale street --budgets --out out/  # with 评审立项
//! cargo run --release --example district -- --budgets --gap-ppm 5000 --out out/   # district, 0.5 %
//! ```
//!
//! Key points:
//! - `plan.json` is the plan with a certificate on every `capacity_exhausted` unmet entry;
//!   `report.json` holds coverage, tiers, utilisation, unmet demand, bottlenecks, shadow
//!   prices and the recruitment advice under `"recruitment"`; `projects.json` the 项目清单.
//! - The same data as CSV tables (`assignments.csv`, `unmet.csv`, `projects.csv`,
//!   `by_category.csv`, `unmet_by_community.csv`, `tiers.csv`, `utilisation.csv`,
//!   `recruitment.csv`, `load_by_kind.csv`, `community_coverage.csv`, `shadow_prices.csv`) and
//!   the instance itself, for pandas or polars.
//! - `report.json` also gives the load per kind of resource (max, p90, idle share, Gini) and
//!   the coverage per community with its spread; with fairness terms in the policy (or
//!   `--fair`, which sets a demonstration: member load steps 1, 2, 3 with penalties 20, 40, 60,
//!   engagement of one unit worth 30, and a community floor of half the demand worth 40 a
//!   unit) it adds `fairness_cost`: the pairs' value with the terms against the optimum
//!   without them.
//! - Six SVG charts: coverage by category, tier shares, utilisation histogram, recruitment,
//!   members by load, communities by share served.
//! - Progress and timings go to stderr; invalid input exits with code 2.
//! - With budgets and proposals (generated with `--budgets`, or in the instance) the plan is a
//!   mixed-integer program solved by the project's own method (`solve::mip::BranchSolver`,
//!   proven optimal, or within `--gap-ppm` parts per million); the run then writes the plan
//!   (with `proposals`, `budgets`, `bound`), `projects.json`/`.csv` (approved proposals at
//!   评审立项), `budget_use.csv`, `proposal_worth.csv`, and the charts `budgets.svg` (budget
//!   use) and `proposals.svg` (approved against rejected proposals by value per yuan); with
//!   `--review` also `review.json` (each rejected proposal's reason and forced-in change,
//!   each budget's change with ¥10,000 more: one re-solve each).

use duijie::analysis::explain::explain;
use duijie::analysis::project::projects;
use duijie::analysis::report::Report;
use duijie::analysis::review::{review, worth, Worth};
use duijie::analysis::tables::write_analysis;
use duijie::format::csv::read_csv_dir;
use duijie::format::csv::{write_csv_dir, write_table, Cell};
use duijie::generate::{generate, generate_funded, Funding, Shape};
use duijie::model::policy::{CommunityFloor, Engagement, LoadStep, PerKind};
use duijie::model::Kind;
use duijie::solve::mip::BranchSolver;
use duijie::solve::{FlowSolver, Solver};
use duijie::{Eligibility, Instance, LoadError, Plan};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: district [--instance FILE.json | --csv DIR | --scale street|district|hard-street|hard-district --seed N [--budgets]] [--fair] [--gap-ppm N] [--review] --out DIR";

enum Source {
    Json(PathBuf),
    Csv(PathBuf),
    Generate(Shape, u64, Option<Funding>),
}

/// How to plan an instance with budgets or proposals.
struct Options {
    gap_ppm: u64,
    review: bool,
}

fn main() -> ExitCode {
    let mut source = Source::Generate(Shape::district(), 1, None);
    let (mut shape, mut seed, mut scale) = (Shape::district(), 1, "district".to_owned());
    let mut funded = false;
    let mut opts = Options {
        gap_ppm: 0,
        review: false,
    };
    let mut out = None;
    let mut fair = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--budgets" => {
                funded = true;
                continue;
            }
            "--review" => {
                opts.review = true;
                continue;
            }
            "--fair" => {
                fair = true;
                continue;
            }
            _ => {}
        }
        let Some(v) = args.next() else {
            return usage(&format!("{a} needs a value"));
        };
        match a.as_str() {
            "--gap-ppm" => match v.parse() {
                Ok(g) => opts.gap_ppm = g,
                Err(_) => return usage(&format!("bad gap {v:?}")),
            },
            "--instance" => source = Source::Json(v.into()),
            "--csv" => source = Source::Csv(v.into()),
            "--out" => out = Some(PathBuf::from(v)),
            "--scale" => match Shape::named(&v) {
                Some(s) => {
                    shape = s;
                    scale.clone_from(&v);
                }
                None => return usage(&format!("unknown scale {v:?}")),
            },
            "--seed" => match v.parse() {
                Ok(s) => seed = s,
                Err(_) => return usage(&format!("bad seed {v:?}")),
            },
            _ => return usage(&format!("unexpected argument {a:?}")),
        }
    }
    if let Source::Generate(..) = source {
        let funding = if funded {
            match Funding::named(&scale) {
                Some(f) => Some(f),
                None => return usage(&format!("no funding for scale {scale:?}")),
            }
        } else {
            None
        };
        source = Source::Generate(shape, seed, funding);
    }
    let Some(out) = out else {
        return usage("no --out folder given");
    };
    match run(source, fair, &out, &opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(e)) => {
            // Formatted first and written in one go: a long list of problems stays one write.
            let text = format!("{e}\n");
            let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), text.as_bytes());
            ExitCode::from(2)
        }
        Err(Failure::Other(e)) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

enum Failure {
    Input(String),
    Other(String),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure::Other(format!("cannot write: {e}"))
    }
}

/// Prints a step and its time on stderr.
fn step<T>(k: usize, what: &str, f: impl FnOnce() -> T) -> T {
    eprint!("[{k}/7] {what} … ");
    let t = Instant::now();
    let r = f();
    eprintln!("{:.2}s", t.elapsed().as_secs_f64());
    r
}

fn run(source: Source, fair: bool, out: &Path, opts: &Options) -> Result<(), Failure> {
    std::fs::create_dir_all(out)?;
    let instance = step(1, "loading the lists", || {
        let instance = match &source {
            Source::Json(p) => std::fs::File::open(p)
                .map_err(LoadError::from)
                .and_then(|f| Instance::from_reader(std::io::BufReader::new(f))),
            Source::Csv(d) => read_csv_dir(d),
            Source::Generate(shape, seed, None) => Instance::from_data(&generate(shape, *seed)),
            Source::Generate(shape, seed, Some(funding)) => {
                Instance::from_data(&generate_funded(shape, funding, *seed))
            }
        }?;
        if fair {
            with_demonstration_terms(&instance)
        } else {
            Ok(instance)
        }
    })
    .map_err(|e| Failure::Input(e.to_string()))?;
    eprintln!(
        "      {} areas, {} needs, {} resources",
        instance.areas().len(),
        instance.needs().len(),
        instance.resources().len()
    );
    let eligibility = step(2, "finding who may serve whom", || {
        Eligibility::build(&instance)
    });
    if instance.is_funded() {
        return run_funded(&instance, &eligibility, out, opts);
    }
    let solution = step(3, "solving (network simplex)", || {
        FlowSolver::default().solve(eligibility.network())
    })
    .map_err(|e| Failure::Other(e.to_string()))?;
    let mut plan = Plan::from_solution(&instance, &eligibility, &solution);
    let explanation = step(
        4,
        "explaining (certificates, shadow prices, advice)",
        || explain(&instance, &eligibility, &solution),
    )
    .map_err(|e| Failure::Other(e.to_string()))?;
    explanation.attach(&instance, &mut plan);
    let (report, projects) = step(5, "building the report and the project list", || {
        (
            Report::new(&instance, &plan, &explanation),
            projects(&instance, &plan),
        )
    });
    let report = if instance.policy().has_terms() {
        // What the terms cost: the optimum of the same instance without them.
        let plain = instance.without_terms();
        let without = step(5, "solving again without the fairness terms", || {
            duijie::solve(&plain)
        })
        .map_err(|e| Failure::Other(e.to_string()))?;
        let report = report.with_fairness_cost(&plan, without.objective);
        if let Some(c) = report.fairness_cost {
            eprintln!(
                "      pairs' value {} with the terms, {} without ({:.2}% less)",
                c.with_terms,
                c.without_terms,
                100.0 * (c.without_terms - c.with_terms) as f64 / c.without_terms.max(1) as f64
            );
        }
        report
    } else {
        report
    };
    step(6, "writing JSON and CSV tables", || {
        write_analysis(out, &instance, &plan, &report, &projects)
    })?;
    step(7, "drawing charts", || draw_charts(&report, out)).map_err(Failure::Other)?;
    eprintln!(
        "objective={} served={}/{} projects={} advice={} → {}",
        plan.objective,
        plan.served,
        plan.demanded,
        projects.len(),
        report.recruitment.len(),
        out.display()
    );
    Ok(())
}

/// The instance with a demonstration of the fairness terms: member load steps after 1, 2 and 3
/// units with penalties 20, 40 and 60 (fair in every sense at once), engagement of each
/// member's first unit worth 30, and a community floor of half the demand worth 40 a unit.
fn with_demonstration_terms(instance: &Instance) -> Result<Instance, LoadError> {
    let mut data = instance.to_data();
    let mut steps = PerKind::default();
    steps[Kind::Member] = (1..=3)
        .map(|k| LoadStep {
            after: k,
            penalty: 20 * k,
        })
        .collect();
    data.policy.load_steps = Some(steps);
    let mut engagement = PerKind::default();
    engagement[Kind::Member] = Some(Engagement {
        units: 1,
        bonus: 30,
    });
    data.policy.engagement = Some(engagement);
    data.policy.community_floor = Some(CommunityFloor {
        share_pct: 50,
        bonus: 40,
    });
    Instance::from_data(&data)
}

/// The analyst's run on an instance with budgets and proposals (评审立项).
fn run_funded(
    instance: &Instance,
    eligibility: &Eligibility,
    out: &Path,
    opts: &Options,
) -> Result<(), Failure> {
    eprintln!(
        "      {} budgets, {} proposals",
        instance.budgets().len(),
        instance.proposals().len()
    );
    let solver = BranchSolver {
        gap_ppm: opts.gap_ppm,
        ..BranchSolver::default()
    };
    let plan = step(3, "solving the program (own method: flows inside)", || {
        duijie::solve_program_with(instance, eligibility, &solver)
    })
    .map_err(|e| Failure::Other(e.to_string()))?;
    step(4, "checking the plan independently", || {
        duijie::check(instance, &plan)
    })
    .map_err(|e| Failure::Other(e.to_string()))?;
    let bound = plan.bound.unwrap_or(plan.objective);
    let projects = step(
        5,
        "building the project list and the worth of proposals",
        || {
            (
                projects(instance, &plan),
                worth(instance, eligibility, &plan),
            )
        },
    );
    let (projects, worth) = projects;
    let reviewed = if opts.review {
        let r = step(
            6,
            "reviewing: one re-solve per rejected proposal and budget",
            || review(instance, eligibility, &plan, &solver),
        )
        .map_err(|e| Failure::Other(e.to_string()))?;
        Some(r)
    } else {
        None
    };
    step(7, "writing JSON, CSV and charts", || {
        write_funded(out, instance, &plan, &projects, &worth, reviewed.as_ref())
    })?;
    let approved = worth.iter().filter(|w| w.approved).count();
    eprintln!(
        "objective={} bound={} gap={:.4}% served={}/{} approved={}/{} projects={} → {}",
        plan.objective,
        bound,
        (bound - plan.objective) as f64 * 100.0 / plan.objective.max(1) as f64,
        plan.served,
        plan.demanded,
        approved,
        worth.len(),
        projects.len(),
        out.display()
    );
    Ok(())
}

fn write_funded(
    out: &Path,
    instance: &Instance,
    plan: &Plan,
    projects: &[duijie::analysis::project::Project],
    worth: &[Worth],
    reviewed: Option<&duijie::analysis::review::Review>,
) -> Result<(), Failure> {
    let file = |f: &str| -> Result<_, Failure> {
        Ok(std::io::BufWriter::new(std::fs::File::create(out.join(f))?))
    };
    let json = |f: &str, v: &dyn erased::Json| -> Result<(), Failure> {
        let mut w = file(f)?;
        v.write(&mut w).map_err(Failure::Other)?;
        std::io::Write::flush(&mut w)?;
        Ok(())
    };
    json("plan.json", plan)?;
    json("projects.json", &projects.to_vec())?;
    if let Some(r) = reviewed {
        json("review.json", r)?;
    }
    write_csv_dir(instance, out)?;
    let budgets = plan.budgets.clone().unwrap_or_default();
    write_table(
        file("budget_use.csv")?,
        &["budget", "amount", "spent"],
        budgets
            .iter()
            .map(|b| vec![Cell::from(b.id.as_str()), b.amount.into(), b.spent.into()]),
    )?;
    write_table(
        file("proposal_worth.csv")?,
        &["proposal", "approved", "value", "yuan", "per_yuan"],
        worth.iter().map(|w| {
            vec![
                Cell::from(w.id.as_str()),
                Cell::from(if w.approved { "true" } else { "false" }),
                w.value.into(),
                w.yuan.into(),
                w.per_yuan.into(),
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
            "quantity",
            "value",
            "stage",
        ],
        projects.iter().map(|p| {
            vec![
                Cell::from(p.id.as_str()),
                p.resource.as_str().into(),
                p.category.as_str().into(),
                p.community.as_str().into(),
                p.tier.as_str().into(),
                p.quantity.into(),
                p.value.into(),
                p.stage.chinese().into(),
            ]
        }),
    )?;
    let top: Vec<_> = budgets.iter().take(40).collect();
    bars(
        &out.join("budgets.svg"),
        "Budget use: yuan held and spent",
        &top.iter().map(|b| b.id.clone()).collect::<Vec<_>>(),
        &[
            (
                "amount",
                top.iter().map(|b| b.amount as f64).collect(),
                RGBColor(150, 150, 150),
            ),
            (
                "spent",
                top.iter().map(|b| b.spent as f64).collect(),
                RGBColor(30, 90, 200),
            ),
        ],
        false,
    )
    .map_err(Failure::Other)?;
    // Proposals by value per yuan, best first, at most 40 of each kind.
    let mut ranked: Vec<&Worth> = worth.iter().collect();
    ranked.sort_by(|a, b| b.per_yuan.total_cmp(&a.per_yuan).then(a.id.cmp(&b.id)));
    let approved: Vec<&Worth> = ranked
        .iter()
        .copied()
        .filter(|w| w.approved)
        .take(40)
        .collect();
    let rejected: Vec<&Worth> = ranked
        .iter()
        .copied()
        .filter(|w| !w.approved)
        .take(40)
        .collect();
    let shown: Vec<&Worth> = approved.iter().chain(&rejected).copied().collect();
    bars(
        &out.join("proposals.svg"),
        "Proposals by value per yuan: approved (plan) against rejected (unmet needs they could serve)",
        &shown.iter().map(|w| w.id.clone()).collect::<Vec<_>>(),
        &[
            (
                "approved",
                shown
                    .iter()
                    .map(|w| if w.approved { w.per_yuan } else { 0.0 })
                    .collect(),
                RGBColor(30, 150, 80),
            ),
            (
                "rejected",
                shown
                    .iter()
                    .map(|w| if w.approved { 0.0 } else { w.per_yuan })
                    .collect(),
                RGBColor(200, 30, 30),
            ),
        ],
        false,
    )
    .map_err(Failure::Other)
}

/// JSON writing for the few kinds of value written here.
mod erased {
    /// A value written as compact JSON.
    pub trait Json {
        fn write(&self, w: &mut dyn std::io::Write) -> Result<(), String>;
    }
    impl<T: serde::Serialize> Json for T {
        fn write(&self, w: &mut dyn std::io::Write) -> Result<(), String> {
            serde_json::to_writer(w, self).map_err(|e| e.to_string())
        }
    }
}

/// A horizontal bar chart of labelled values (one or two series side by side), first label
/// at the top; `percent` shows the axis as percentages of 1.
fn bars(
    path: &Path,
    title: &str,
    labels: &[String],
    series: &[(&str, Vec<f64>, RGBColor)],
    percent: bool,
) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let height = 130 + 28 * labels.len() as u32;
    let root = SVGBackend::new(path, (960, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let max = series
        .iter()
        .flat_map(|s| s.1.iter().copied())
        .fold(0.0, f64::max)
        .max(1e-9);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(14)
        .margin_left(240)
        .x_label_area_size(36)
        .build_cartesian_2d(0.0..max * 1.1, 0.0..labels.len().max(1) as f64)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_labels(8)
        .x_label_formatter(&|x| {
            if percent {
                format!("{:.0}%", x * 100.0)
            } else {
                format!("{x:.0}")
            }
        })
        .draw()
        .map_err(|e| err(&e))?;
    let k = series.len() as f64;
    let top = labels.len() as f64 - 1.0;
    for (s, (name, values, color)) in series.iter().enumerate() {
        let color = *color;
        let slot = |i: usize| top - i as f64 + 0.12 + 0.76 * (k - 1.0 - s as f64) / k;
        chart
            .draw_series(values.iter().enumerate().map(|(i, &v)| {
                Rectangle::new([(0.0, slot(i)), (v, slot(i) + 0.76 / k)], color.filled())
            }))
            .map_err(|e| err(&e))?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    let style =
        TextStyle::from(("sans-serif", 14).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
    for (i, label) in labels.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(0.0, top - i as f64 + 0.5));
        root.draw(&Text::new(label.clone(), (x - 8, y), style.clone()))
            .map_err(|e| err(&e))?;
    }
    if series.len() > 1 {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))
}

fn draw_charts(report: &Report, out: &Path) -> Result<(), String> {
    let cats: Vec<String> = report
        .by_category
        .iter()
        .map(|c| c.category.clone())
        .collect();
    bars(
        &out.join("coverage_by_category.svg"),
        "Units demanded and served by category (most unmet first)",
        &cats,
        &[
            (
                "demanded",
                report
                    .by_category
                    .iter()
                    .map(|c| c.demanded as f64)
                    .collect(),
                RGBColor(150, 150, 150),
            ),
            (
                "served",
                report.by_category.iter().map(|c| c.served as f64).collect(),
                RGBColor(200, 30, 30),
            ),
        ],
        false,
    )?;
    let tiers: Vec<String> = report
        .tiers
        .iter()
        .map(|t| t.tier.as_str().to_owned())
        .collect();
    bars(
        &out.join("tiers.svg"),
        "Share of served units by tier",
        &tiers,
        &[(
            "share",
            report.tiers.iter().map(|t| t.share).collect(),
            RGBColor(30, 90, 200),
        )],
        true,
    )?;
    let buckets: Vec<String> = report
        .utilisation
        .histogram
        .iter()
        .map(|b| format!("{:.0}–{:.0}%", b.from * 100.0, b.to * 100.0))
        .collect();
    bars(
        &out.join("utilisation.svg"),
        "Resources by utilisation",
        &buckets,
        &[(
            "resources",
            report
                .utilisation
                .histogram
                .iter()
                .map(|b| b.resources as f64)
                .collect(),
            RGBColor(30, 150, 80),
        )],
        false,
    )?;
    let top: Vec<&duijie::analysis::explain::Advice> = report.recruitment.iter().take(15).collect();
    bars(
        &out.join("recruitment.svg"),
        "Where one more volunteer adds the most (rise of the optimum)",
        &top.iter()
            .map(|a| format!("{} @ {}", a.category, a.community))
            .collect::<Vec<_>>(),
        &[(
            "value",
            top.iter().map(|a| a.value as f64).collect(),
            RGBColor(220, 140, 20),
        )],
        false,
    )?;
    if let Some(members) = report.load.iter().find(|l| l.kind == Kind::Member) {
        let last = members.histogram.len().saturating_sub(1);
        let labels: Vec<String> = (0..members.histogram.len())
            .map(|u| match u {
                u if u == last && u > 0 && members.max > u as i64 => format!("{u}+ units"),
                1 => "1 unit".to_owned(),
                u => format!("{u} units"),
            })
            .collect();
        let title = format!(
            "Members by load (max {}, p90 {}, idle {:.0}%, Gini {:.2})",
            members.max,
            members.p90,
            members.idle_share * 100.0,
            members.gini
        );
        bars(
            &out.join("load.svg"),
            &title,
            &labels,
            &[(
                "members",
                members.histogram.iter().map(|&c| c as f64).collect(),
                RGBColor(120, 60, 170),
            )],
            false,
        )?;
    }
    // Communities by the share of their demand served, in tenths.
    let c = &report.communities;
    let mut tenths = vec![0.0; 11];
    for s in &c.communities {
        tenths[((s.coverage.share * 10.0).floor() as usize).min(10)] += 1.0;
    }
    let labels: Vec<String> = (0..11)
        .map(|k| match k {
            10 => "100%".to_owned(),
            k => format!("{}–{}%", k * 10, k * 10 + 10),
        })
        .collect();
    bars(
        &out.join("community_coverage.svg"),
        &format!(
            "Communities by share of demand served (min {:.0}%, median {:.0}%, max {:.0}%)",
            c.min * 100.0,
            c.median * 100.0,
            c.max * 100.0
        ),
        &labels,
        &[("communities", tenths, RGBColor(20, 140, 160))],
        false,
    )
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("{msg}\n{USAGE}");
    ExitCode::from(2)
}
