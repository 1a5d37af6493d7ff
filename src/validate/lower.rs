//! Lowering: a validated instance in the contract's form becomes the dense model (areas, needs
//! and resources sorted by id, names interned, references resolved to indices).

use crate::contract::{InstanceData, NeedData, WindowData};
use crate::model::area::Areas;
use crate::model::need::Need;
use crate::model::resource::Resource;
use crate::model::time::{DateTime, Window};
use crate::model::vocab::{CategoryIdx, SkillIdx, Vocab};
use crate::model::Instance;

/// Skill names as a sorted set of indices; `None` if one is not in `skills`.
fn skill_set(names: &[String], skills: &Vocab) -> Option<Vec<SkillIdx>> {
    let mut v: Vec<SkillIdx> = names
        .iter()
        .map(|s| skills.find(s).map(SkillIdx))
        .collect::<Option<_>>()?;
    v.sort_unstable();
    v.dedup();
    Some(v)
}

/// A contract window as times: `Some(None)` without a window, `None` if a time does not parse.
fn window(w: &Option<WindowData>) -> Option<Option<Window>> {
    match w {
        None => Some(None),
        Some(w) => Some(Some(Window {
            start: DateTime::parse(&w.start)?,
            end: DateTime::parse(&w.end)?,
        })),
    }
}

/// A need in the terms of `areas` and the vocabularies; `None` when its area, category or a
/// skill is not among them or a number or time does not fit (validation rules those out).
pub(crate) fn need(
    n: &NeedData,
    areas: &Areas,
    categories: &Vocab,
    skills: &Vocab,
) -> Option<Need> {
    Some(Need {
        id: n.id.clone(),
        area: areas.find(&n.area)?,
        category: CategoryIdx(categories.find(&n.category)?),
        quantity: u32::try_from(n.quantity).ok()?,
        priority: u8::try_from(n.priority).ok()?,
        vulnerable: n.vulnerable,
        skills: skill_set(&n.skills, skills)?,
        window: window(&n.window)?,
        max_unit_cost: match n.max_unit_cost {
            Some(m) => Some(u32::try_from(m).ok()?),
            None => None,
        },
        requester: n.requester.clone(),
        title: n.title.clone(),
    })
}

/// Builds the instance from data that passed validation; `None` if it did not.
pub(crate) fn instance(data: &InstanceData) -> Option<Instance> {
    let mut area_order: Vec<usize> = (0..data.areas.len()).collect();
    area_order.sort_by(|&a, &b| data.areas[a].id.cmp(&data.areas[b].id));
    let mut rank = vec![0usize; data.areas.len()];
    for (r, &a) in area_order.iter().enumerate() {
        rank[a] = r;
    }
    let position = |id: &str| {
        area_order
            .binary_search_by(|&k| data.areas[k].id.as_str().cmp(id))
            .ok()
    };
    let mut items = Vec::with_capacity(data.areas.len());
    for &a in &area_order {
        let d = &data.areas[a];
        let parent = match &d.parent {
            Some(p) => Some(position(p)?),
            None => None,
        };
        items.push((d.id.clone(), d.name.clone(), d.level, parent));
    }
    let areas = Areas::with_names(items)?;
    let area = |id: &str| areas.find(id);

    let categories = Vocab::new(
        data.needs.iter().map(|n| n.category.as_str()).chain(
            data.resources
                .iter()
                .flat_map(|r| r.categories.iter().map(String::as_str)),
        ),
    );
    let skills = Vocab::new(
        data.needs
            .iter()
            .flat_map(|n| n.skills.iter())
            .chain(data.resources.iter().flat_map(|r| r.skills.iter()))
            .map(String::as_str),
    );
    let mut needs = Vec::with_capacity(data.needs.len());
    for n in &data.needs {
        needs.push(need(n, &areas, &categories, &skills)?);
    }
    needs.sort_by(|a, b| a.id.cmp(&b.id));

    let mut resources = Vec::with_capacity(data.resources.len());
    for r in &data.resources {
        let home = area(&r.home)?;
        let mut serves = match &r.serves {
            None => vec![home],
            Some(s) => s.iter().map(|a| area(a)).collect::<Option<Vec<_>>>()?,
        };
        serves.sort_unstable();
        serves.dedup();
        let mut cats: Vec<CategoryIdx> = r
            .categories
            .iter()
            .map(|c| categories.find(c).map(CategoryIdx))
            .collect::<Option<_>>()?;
        cats.sort_unstable();
        cats.dedup();
        resources.push(Resource {
            id: r.id.clone(),
            kind: r.kind,
            name: r.name.clone(),
            home,
            serves,
            categories: cats,
            skills: skill_set(&r.skills, &skills)?,
            capacity: u32::try_from(r.capacity).ok()?,
            unit_cost: u32::try_from(r.unit_cost).ok()?,
            window: window(&r.window)?,
        });
    }
    resources.sort_by(|a, b| a.id.cmp(&b.id));

    Some(Instance::from_parts(
        areas,
        needs,
        resources,
        data.policy.clone(),
        categories,
        skills,
    ))
}
