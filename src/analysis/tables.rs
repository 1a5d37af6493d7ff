//! Everything an analyst reads, written into one folder: the plan, the report and the project
//! list as JSON, and the same as CSV tables for pandas or polars.

use crate::analysis::project::Project;
use crate::analysis::report::Report;
use crate::format::csv::{write_csv_dir, write_table};
use crate::model::Instance;
use crate::plan::{Certificate, Plan};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// Writes `value` as compact JSON to `path`.
fn write_json(path: &Path, value: &impl Serialize) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    serde_json::to_writer(&mut out, value)?;
    out.flush()
}

/// Writes everything an analyst reads into `out`: `plan.json`, `report.json`,
/// `projects.json`, the instance (its three lists and `policy.json`), and the tables `assignments.csv`,
/// `unmet.csv` (with each certificate as a sentence), `projects.csv`, `by_category.csv`,
/// `unmet_by_community.csv`, `tiers.csv`, `utilisation.csv`, `recruitment.csv`,
/// `load_by_kind.csv`, `community_coverage.csv` and `shadow_prices.csv`.
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
    write_json(&out.join("plan.json"), plan)?;
    write_json(&out.join("report.json"), report)?;
    write_json(&out.join("projects.json"), &projects)?;
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
            let reason = u.reason.as_str();
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
        file("load_by_kind.csv")?,
        &[
            "kind",
            "resources",
            "units",
            "max",
            "p90",
            "idle_share",
            "gini",
        ],
        report.load.iter().map(|l| {
            vec![
                l.kind.as_str().into(),
                (l.resources as i64).into(),
                l.units.into(),
                l.max.into(),
                l.p90.into(),
                l.idle_share.into(),
                l.gini.into(),
            ]
        }),
    )?;
    write_table(
        file("community_coverage.csv")?,
        &["community", "demanded", "served", "share"],
        report.communities.communities.iter().map(|c| {
            vec![
                c.community.as_str().into(),
                c.coverage.demanded.into(),
                c.coverage.served.into(),
                c.coverage.share.into(),
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
