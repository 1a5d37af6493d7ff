//! The project list (项目清单): a plan's assignments grouped by provider, category, community
//! and tier, each carried through the stages 了解需求 → 设计项目 → 评审立项 → 项目实施 → 监督评估.
//! An approved proposal is one project of its own, already reviewed (评审立项), holding every
//! assignment it serves; why the others were rejected is in [`super::review`].

use crate::model::area::{AreaIdx, Level};
use crate::model::vocab::CategoryIdx;
use crate::model::Instance;
use crate::plan::{Assignment, Plan};
use serde::Serialize;
use std::fmt;

/// A stage of a project (Chaoyang practice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 了解需求: needs gathered.
    Survey,
    /// 设计项目: matched and designed (where a plan puts every new project).
    Design,
    /// 评审立项: reviewed and approved.
    Review,
    /// 项目实施: carried out.
    Implementation,
    /// 监督评估: supervised and evaluated; final.
    Evaluation,
}

impl Stage {
    /// The stage after this one, if any.
    pub fn next(self) -> Option<Stage> {
        match self {
            Stage::Survey => Some(Stage::Design),
            Stage::Design => Some(Stage::Review),
            Stage::Review => Some(Stage::Implementation),
            Stage::Implementation => Some(Stage::Evaluation),
            Stage::Evaluation => None,
        }
    }

    /// The Chinese name used in practice.
    pub fn chinese(self) -> &'static str {
        match self {
            Stage::Survey => "了解需求",
            Stage::Design => "设计项目",
            Stage::Review => "评审立项",
            Stage::Implementation => "项目实施",
            Stage::Evaluation => "监督评估",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.chinese())
    }
}

/// A stage change that does not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("project {project}: cannot go from {from} to {to}; stages go one step forward")]
pub struct StageError {
    /// Project id.
    pub project: String,
    /// Its stage.
    pub from: Stage,
    /// The stage asked for.
    pub to: Stage,
}

/// Units of one need in a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectNeed {
    /// Need id.
    pub need: String,
    /// Units.
    pub quantity: i64,
}

/// One project: a provider serving needs of one category in one community at one tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Project {
    /// `resource/category/community/tier`.
    pub id: String,
    /// The provider (resource id).
    pub resource: String,
    /// Category.
    pub category: String,
    /// The needs' community (`-` for needs above community level).
    pub community: String,
    /// Tier of its assignments.
    pub tier: Level,
    /// The needs served and how much, by need id.
    pub needs: Vec<ProjectNeed>,
    /// Units in all.
    pub quantity: i64,
    /// Value in all.
    pub value: i64,
    /// Its stage.
    pub stage: Stage,
}

impl Project {
    /// Moves the project to `to`, which must be the next stage.
    ///
    /// # Errors
    /// [`StageError`] for any other stage; the project is unchanged.
    pub fn advance_to(&mut self, to: Stage) -> Result<(), StageError> {
        if self.stage.next() == Some(to) {
            self.stage = to;
            Ok(())
        } else {
            Err(StageError {
                project: self.id.clone(),
                from: self.stage,
                to,
            })
        }
    }
}

/// Groups the plan's assignments into projects, sorted by id: a resource's at
/// [`Stage::Design`], one per approved proposal (its id, its provider or itself as `resource`,
/// its categories joined by `;`, its area's community and level) at [`Stage::Review`].
pub fn projects(instance: &Instance, plan: &Plan) -> Vec<Project> {
    let areas = instance.areas();
    // Group by (resource, category, community, tier) as indices; name the groups at the end.
    let ids = instance.ids();
    let mut keyed = Vec::with_capacity(plan.assignments.len());
    let mut by_proposal: Vec<Vec<&Assignment>> = vec![Vec::new(); instance.proposals().len()];
    for (k, a) in plan.assignments.iter().enumerate() {
        let Some(i) = ids.need(&a.need) else {
            continue;
        };
        let Some(resource) = ids.resource(&a.resource) else {
            if let Some(p) = instance.find_proposal(&a.resource) {
                by_proposal[p.get()].push(a);
            }
            continue;
        };
        let need = instance.need(i);
        let community = areas
            .ancestor_at(need.area, Level::Community)
            .map_or(u32::MAX, |c| c.0);
        keyed.push(((resource.0, need.category.0, community, a.tier), k));
    }
    keyed.sort_unstable();
    let mut out: Vec<Project> = Vec::new();
    for group in keyed.chunk_by(|x, y| x.0 == y.0) {
        let ((_, _, community, tier), first) = group[0];
        let a0 = &plan.assignments[first];
        let category = instance
            .category_name(CategoryIdx(group[0].0 .1))
            .to_owned();
        let community = if community == u32::MAX {
            "-".to_owned()
        } else {
            areas.get(AreaIdx(community)).id.clone()
        };
        let items: Vec<&Assignment> = group.iter().map(|&(_, k)| &plan.assignments[k]).collect();
        out.push(Project {
            id: format!("{}/{category}/{community}/{tier}", a0.resource),
            resource: a0.resource.clone(),
            quantity: items.iter().map(|a| a.quantity).sum(),
            value: items.iter().map(|a| a.quantity * a.value).sum(),
            needs: items
                .iter()
                .map(|a| ProjectNeed {
                    need: a.need.clone(),
                    quantity: a.quantity,
                })
                .collect(),
            category,
            community,
            tier,
            stage: Stage::Design,
        });
    }
    for (x, items) in instance.proposals().iter().zip(&by_proposal) {
        if items.is_empty() {
            continue;
        }
        let community = areas
            .ancestor_at(x.area, Level::Community)
            .map_or("-".to_owned(), |c| areas.get(c).id.clone());
        let categories: Vec<&str> = x
            .categories
            .iter()
            .map(|&c| instance.category_name(c))
            .collect();
        out.push(Project {
            id: x.id.clone(),
            resource: x
                .provider
                .map_or_else(|| x.id.clone(), |r| instance.resource(r).id.clone()),
            category: categories.join(";"),
            community,
            tier: areas.get(x.area).level,
            needs: items
                .iter()
                .map(|a| ProjectNeed {
                    need: a.need.clone(),
                    quantity: a.quantity,
                })
                .collect(),
            quantity: items.iter().map(|a| a.quantity).sum(),
            value: items.iter().map(|a| a.quantity * a.value).sum(),
            stage: Stage::Review,
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_go_one_step_forward() {
        let mut p = Project {
            id: "p".into(),
            resource: "R".into(),
            category: "c".into(),
            community: "C".into(),
            tier: Level::Grid,
            needs: vec![],
            quantity: 0,
            value: 0,
            stage: Stage::Design,
        };
        let all = [
            Stage::Survey,
            Stage::Design,
            Stage::Review,
            Stage::Implementation,
            Stage::Evaluation,
        ];
        // Every (stage, target) pair: legal exactly when the target is the next stage.
        for from in all {
            for to in all {
                p.stage = from;
                let legal = from.next() == Some(to);
                assert_eq!(p.advance_to(to).is_ok(), legal, "{from:?} → {to:?}");
                assert_eq!(p.stage, if legal { to } else { from });
            }
        }
    }
}
