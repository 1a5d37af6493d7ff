//! The data contract's wire types, in one place: an instance as it is written in JSON (and,
//! column for column, in CSV), before validation. The JSON and CSV readers fill these types,
//! [`crate::validate`] checks them and lowers them into the [`crate::model`], and
//! [`Instance::to_data`] writes a model back. Each type's field names are listed once, in its
//! `FIELDS`, which the readers use; a test keeps them equal to what serde writes.
//!
//! The contract itself is described in `docs/CONTRACT.md`.

use crate::model::area::{AreaIdx, Level};
use crate::model::policy::{Engagement, LoadStep, PerKind, Policy};
use crate::model::resource::Kind;
use crate::model::time::Window;
use crate::model::vocab::SkillIdx;
use crate::model::Instance;
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

/// An area as written in the data contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AreaData {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its level.
    pub level: Level,
    /// Id of its parent area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

impl AreaData {
    /// The JSON field names, in order.
    pub(crate) const FIELDS: [&'static str; 4] = ["id", "name", "level", "parent"];
    /// The fields without a default.
    pub(crate) const REQUIRED: [&'static str; 2] = ["id", "level"];
}

/// A time window as written in the data contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WindowData {
    /// `YYYY-MM-DDTHH:MM:SS`.
    pub start: String,
    /// `YYYY-MM-DDTHH:MM:SS`, not before `start`.
    pub end: String,
}

impl WindowData {
    /// The JSON field names, in order (both required).
    pub(crate) const FIELDS: [&'static str; 2] = ["start", "end"];
}

/// A need as written in the data contract (numbers unchecked until validation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeedData {
    /// Unique id.
    pub id: String,
    /// Id of the area where it is.
    pub area: String,
    /// Category of service.
    pub category: String,
    /// Units asked for, 1 ..= [`crate::model::limits::MAX_QUANTITY`].
    pub quantity: i64,
    /// 1 ..= 5.
    pub priority: i64,
    /// A priority household.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub vulnerable: bool,
    /// Required skills.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<String>,
    /// When the service is wanted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowData>,
    /// Highest acceptable unit cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_unit_cost: Option<i64>,
    /// Who asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester: Option<String>,
    /// A short title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl NeedData {
    /// The JSON field names, in order.
    pub(crate) const FIELDS: [&'static str; 11] = [
        "id",
        "area",
        "category",
        "quantity",
        "priority",
        "vulnerable",
        "skills",
        "window",
        "max_unit_cost",
        "requester",
        "title",
    ];
    /// The fields without a default.
    pub(crate) const REQUIRED: [&'static str; 4] = ["id", "area", "category", "quantity"];
}

/// A resource as written in the data contract (numbers unchecked until validation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceData {
    /// Unique id.
    pub id: String,
    /// Who offers it.
    pub kind: Kind,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Id of the area where it is registered.
    pub home: String,
    /// Ids of the areas it serves; `None` means `[home]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serves: Option<Vec<String>>,
    /// Categories it serves (at least one).
    pub categories: Vec<String>,
    /// Skills it has.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<String>,
    /// Units it can give, 0 ..= [`crate::model::limits::MAX_CAPACITY`].
    pub capacity: i64,
    /// Cost of one unit, 0 ..= [`crate::model::limits::MAX_UNIT_COST`].
    pub unit_cost: i64,
    /// When it is available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowData>,
}

impl ResourceData {
    /// The JSON field names, in order.
    pub(crate) const FIELDS: [&'static str; 10] = [
        "id",
        "kind",
        "name",
        "home",
        "serves",
        "categories",
        "skills",
        "capacity",
        "unit_cost",
        "window",
    ];
    /// The fields without a default.
    pub(crate) const REQUIRED: [&'static str; 5] = ["id", "kind", "home", "categories", "capacity"];
}

/// A budget as written in the data contract (numbers unchecked until validation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetData {
    /// Unique id among budgets, resources and proposals.
    pub id: String,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Id of the area it covers.
    pub area: String,
    /// Yuan, 0 ..= [`crate::model::limits::MAX_AMOUNT`].
    pub amount: i64,
}

impl BudgetData {
    /// The JSON field names, in order.
    pub(crate) const FIELDS: [&'static str; 4] = ["id", "name", "area", "amount"];
    /// The fields without a default.
    pub(crate) const REQUIRED: [&'static str; 3] = ["id", "area", "amount"];
}

/// A project proposal as written in the data contract (numbers unchecked until validation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProposalData {
    /// Unique id among budgets, resources and proposals.
    pub id: String,
    /// A short title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Id of the resource that would carry it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Id of the area it would serve (also its home for the tier).
    pub area: String,
    /// Id of the budget that pays for it.
    pub budget: String,
    /// Categories it would serve (at least one).
    pub categories: Vec<String>,
    /// Skills it brings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<String>,
    /// Units it can give, 0 ..= [`crate::model::limits::MAX_CAPACITY`].
    pub capacity: i64,
    /// Yuan per unit, 0 ..= [`crate::model::limits::MAX_UNIT_COST`].
    pub unit_cost: i64,
    /// Yuan once approved, 0 ..= [`crate::model::limits::MAX_FIXED_COST`].
    pub fixed_cost: i64,
    /// When it would run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowData>,
}

impl ProposalData {
    /// The JSON field names, in order.
    pub(crate) const FIELDS: [&'static str; 11] = [
        "id",
        "title",
        "provider",
        "area",
        "budget",
        "categories",
        "skills",
        "capacity",
        "unit_cost",
        "fixed_cost",
        "window",
    ];
    /// The fields without a default.
    pub(crate) const REQUIRED: [&'static str; 5] =
        ["id", "area", "budget", "categories", "capacity"];
}

/// An instance as written in the data contract: build one in code, or read one with
/// [`Instance::from_json_str`]; [`Instance::from_data`] validates it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InstanceData {
    /// The area hierarchy.
    pub areas: Vec<AreaData>,
    /// The demand list.
    pub needs: Vec<NeedData>,
    /// The resource list.
    pub resources: Vec<ResourceData>,
    /// The budgets for purchased services (optional; written only when there are some).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<BudgetData>,
    /// The project proposals (optional; written only when there are some).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub proposals: Vec<ProposalData>,
    /// The value model.
    pub policy: Policy,
}

impl InstanceData {
    /// The JSON field names, in order.
    pub(crate) const FIELDS: [&'static str; 6] = [
        "areas",
        "needs",
        "resources",
        "budgets",
        "proposals",
        "policy",
    ];
}

/// The JSON field names of the `policy` object, in order.
pub(crate) const POLICY_FIELDS: [&str; 12] = [
    "priority_value",
    "vulnerable_bonus",
    "locality_penalty",
    "cost_weight",
    "offer_deadline_hours",
    "reoffer_penalty",
    "load_steps",
    "engagement",
    "community_floor",
    "escalate_after_hours",
    "lapse_hours",
    "forecast_weight",
];

/// The levels `policy.escalate_after_hours` may name, highest last.
pub(crate) const DEADLINE_LEVELS: [Level; 3] = [Level::Street, Level::District, Level::City];

/// The policy as the contract's `policy` object (`locality_penalty` keyed by level, grid first;
/// the fairness terms only when set, each kind's only when it has any).
impl Serialize for Policy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Penalties<'a>(&'a [i64; 5]);
        impl Serialize for Penalties<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(5))?;
                for l in Level::ALL.iter().rev() {
                    m.serialize_entry(l.as_str(), &self.0[l.index()])?;
                }
                m.end()
            }
        }
        /// Two named integers as an object.
        struct Pair(&'static str, i64, &'static str, i64);
        impl Serialize for Pair {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry(self.0, &self.1)?;
                m.serialize_entry(self.2, &self.3)?;
                m.end()
            }
        }
        struct Steps<'a>(&'a PerKind<Vec<LoadStep>>);
        impl Serialize for Steps<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(None)?;
                for k in Kind::ALL.into_iter().filter(|&k| !self.0[k].is_empty()) {
                    let steps: Vec<Pair> = self.0[k]
                        .iter()
                        .map(|x| Pair("after", x.after, "penalty", x.penalty))
                        .collect();
                    m.serialize_entry(k.as_str(), &steps)?;
                }
                m.end()
            }
        }
        struct Engaged<'a>(&'a PerKind<Option<Engagement>>);
        impl Serialize for Engaged<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(None)?;
                for k in Kind::ALL {
                    if let Some(e) = self.0[k] {
                        m.serialize_entry(k.as_str(), &Pair("units", e.units, "bonus", e.bonus))?;
                    }
                }
                m.end()
            }
        }
        /// The deadlines that are set, by level name.
        struct Deadlines<'a>(&'a [Option<i64>; 5]);
        impl Serialize for Deadlines<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(None)?;
                for l in DEADLINE_LEVELS {
                    if let Some(h) = self.0[l.index()] {
                        m.serialize_entry(l.as_str(), &h)?;
                    }
                }
                m.end()
            }
        }
        let [priority_value, vulnerable_bonus, locality_penalty, cost_weight, offer_deadline_hours, reoffer_penalty, load_steps, engagement, community_floor, escalate_after_hours, lapse_hours, forecast_weight] =
            POLICY_FIELDS;
        let mut p = s.serialize_struct("Policy", POLICY_FIELDS.len())?;
        p.serialize_field(priority_value, &self.priority_value)?;
        p.serialize_field(vulnerable_bonus, &self.vulnerable_bonus)?;
        p.serialize_field(locality_penalty, &Penalties(&self.locality_penalty))?;
        p.serialize_field(cost_weight, &self.cost_weight)?;
        p.serialize_field(offer_deadline_hours, &self.offer_deadline_hours)?;
        p.serialize_field(reoffer_penalty, &self.reoffer_penalty)?;
        match &self.load_steps {
            Some(steps) => p.serialize_field(load_steps, &Steps(steps))?,
            None => p.skip_field(load_steps)?,
        }
        match &self.engagement {
            Some(e) => p.serialize_field(engagement, &Engaged(e))?,
            None => p.skip_field(engagement)?,
        }
        match &self.community_floor {
            Some(f) => {
                let pair = Pair("share_pct", f.share_pct, "bonus", f.bonus);
                p.serialize_field(community_floor, &pair)?;
            }
            None => p.skip_field(community_floor)?,
        }
        // The time rules only when they differ from the defaults, so that a policy without
        // them reads and writes as it always did.
        if self.escalate_after_hours.iter().any(Option::is_some) {
            p.serialize_field(escalate_after_hours, &Deadlines(&self.escalate_after_hours))?;
        } else {
            p.skip_field(escalate_after_hours)?;
        }
        if self.lapse_hours == crate::model::policy::DEFAULT_LAPSE_HOURS {
            p.skip_field(lapse_hours)?;
        } else {
            p.serialize_field(lapse_hours, &self.lapse_hours)?;
        }
        match self.forecast_weight {
            Some(w) => p.serialize_field(forecast_weight, &w)?,
            None => p.skip_field(forecast_weight)?,
        }
        p.end()
    }
}

impl Instance {
    /// The instance in its data-contract form (lists sorted by id).
    pub fn to_data(&self) -> InstanceData {
        let area_id = |a: AreaIdx| self.areas().get(a).id.clone();
        let window = |w: &Option<Window>| {
            w.map(|w| WindowData {
                start: w.start.to_string(),
                end: w.end.to_string(),
            })
        };
        let skill_names = |s: &[SkillIdx]| {
            s.iter()
                .map(|k| self.skills().name(k.0).to_owned())
                .collect()
        };
        InstanceData {
            areas: self
                .areas()
                .iter()
                .map(|(_, a)| AreaData {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    level: a.level,
                    parent: a.parent.map(area_id),
                })
                .collect(),
            needs: self
                .needs()
                .iter()
                .map(|n| NeedData {
                    id: n.id.clone(),
                    area: area_id(n.area),
                    category: self.category_name(n.category).to_owned(),
                    quantity: n.quantity.into(),
                    priority: n.priority.into(),
                    vulnerable: n.vulnerable,
                    skills: skill_names(&n.skills),
                    window: window(&n.window),
                    max_unit_cost: n.max_unit_cost.map(i64::from),
                    requester: n.requester.clone(),
                    title: n.title.clone(),
                })
                .collect(),
            resources: self
                .resources()
                .iter()
                .map(|r| ResourceData {
                    id: r.id.clone(),
                    kind: r.kind,
                    name: r.name.clone(),
                    home: area_id(r.home),
                    serves: (r.serves != [r.home])
                        .then(|| r.serves.iter().map(|&a| area_id(a)).collect()),
                    categories: r
                        .categories
                        .iter()
                        .map(|c| self.category_name(*c).to_owned())
                        .collect(),
                    skills: skill_names(&r.skills),
                    capacity: r.capacity.into(),
                    unit_cost: r.unit_cost.into(),
                    window: window(&r.window),
                })
                .collect(),
            budgets: self
                .budgets()
                .iter()
                .map(|b| BudgetData {
                    id: b.id.clone(),
                    name: b.name.clone(),
                    area: area_id(b.area),
                    amount: b.amount,
                })
                .collect(),
            proposals: self
                .proposals()
                .iter()
                .map(|p| ProposalData {
                    id: p.id.clone(),
                    title: p.title.clone(),
                    provider: p.provider.map(|r| self.resource(r).id.clone()),
                    area: area_id(p.area),
                    budget: self.budget(p.budget).id.clone(),
                    categories: p
                        .categories
                        .iter()
                        .map(|c| self.category_name(*c).to_owned())
                        .collect(),
                    skills: skill_names(&p.skills),
                    capacity: p.capacity.into(),
                    unit_cost: p.unit_cost.into(),
                    fixed_cost: p.fixed_cost,
                    window: window(&p.window),
                })
                .collect(),
            policy: self.policy().clone(),
        }
    }

    /// The instance as contract JSON.
    ///
    /// # Errors
    /// Only if serialisation fails, which the contract's types never do.
    pub fn to_json_string(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(&self.to_data())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys serde writes for a value with every optional field present.
    fn keys(v: &impl Serialize) -> Vec<String> {
        match serde_json::to_value(v).unwrap() {
            serde_json::Value::Object(m) => m.keys().cloned().collect(),
            other => panic!("not an object: {other}"),
        }
    }

    fn sorted(mut v: Vec<String>) -> Vec<String> {
        v.sort();
        v
    }

    fn names<const N: usize>(f: [&str; N]) -> Vec<String> {
        sorted(f.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn field_lists_match_what_serde_writes() {
        let window = Some(WindowData {
            start: "2026-12-01T09:00:00".into(),
            end: "2026-12-02T09:00:00".into(),
        });
        let area = AreaData {
            id: "A".into(),
            name: Some("a".into()),
            level: Level::Grid,
            parent: Some("P".into()),
        };
        let need = NeedData {
            id: "N".into(),
            area: "A".into(),
            category: "c".into(),
            quantity: 1,
            priority: 3,
            vulnerable: true,
            skills: vec!["s".into()],
            window: window.clone(),
            max_unit_cost: Some(1),
            requester: Some("h".into()),
            title: Some("t".into()),
        };
        let resource = ResourceData {
            id: "R".into(),
            kind: Kind::Member,
            name: Some("r".into()),
            home: "A".into(),
            serves: Some(vec!["A".into()]),
            categories: vec!["c".into()],
            skills: vec!["s".into()],
            capacity: 1,
            unit_cost: 0,
            window: window.clone(),
        };
        let budget = BudgetData {
            id: "B".into(),
            name: Some("b".into()),
            area: "A".into(),
            amount: 1,
        };
        let proposal = ProposalData {
            id: "P".into(),
            title: Some("p".into()),
            provider: Some("R".into()),
            area: "A".into(),
            budget: "B".into(),
            categories: vec!["c".into()],
            skills: vec!["s".into()],
            capacity: 1,
            unit_cost: 1,
            fixed_cost: 1,
            window: window.clone(),
        };
        assert_eq!(sorted(keys(&area)), names(AreaData::FIELDS));
        assert_eq!(sorted(keys(&budget)), names(BudgetData::FIELDS));
        assert_eq!(sorted(keys(&proposal)), names(ProposalData::FIELDS));
        assert_eq!(sorted(keys(&window)), names(WindowData::FIELDS));
        assert_eq!(sorted(keys(&need)), names(NeedData::FIELDS));
        assert_eq!(sorted(keys(&resource)), names(ResourceData::FIELDS));
        let full = InstanceData {
            budgets: vec![budget],
            proposals: vec![proposal],
            ..InstanceData::default()
        };
        assert_eq!(sorted(keys(&full)), names(InstanceData::FIELDS));
        let mut policy = Policy::default();
        let mut steps = PerKind::default();
        steps[Kind::Member] = vec![LoadStep {
            after: 1,
            penalty: 2,
        }];
        policy.load_steps = Some(steps);
        policy.engagement = Some(PerKind::default());
        policy.community_floor = Some(crate::model::CommunityFloor {
            share_pct: 50,
            bonus: 1,
        });
        policy.escalate_after_hours[Level::Street.index()] = Some(24);
        policy.lapse_hours = 12;
        policy.forecast_weight = Some(50);
        assert_eq!(sorted(keys(&policy)), names(POLICY_FIELDS));
        let listed =
            |required: &[&str], fields: &[&str]| required.iter().all(|r| fields.contains(r));
        assert!(listed(&AreaData::REQUIRED, &AreaData::FIELDS));
        assert!(listed(&NeedData::REQUIRED, &NeedData::FIELDS));
        assert!(listed(&ResourceData::REQUIRED, &ResourceData::FIELDS));
        assert!(listed(&BudgetData::REQUIRED, &BudgetData::FIELDS));
        assert!(listed(&ProposalData::REQUIRED, &ProposalData::FIELDS));
    }
}
