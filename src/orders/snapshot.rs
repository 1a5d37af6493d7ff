//! Snapshots: a ledger written as one versioned JSON object and read back, so that a service
//! restarts from a snapshot plus the tail of its log instead of the whole history.
//!
//! A snapshot holds the working set (orders with their tickets, offers included), the roster,
//! the totals, the remembered keys, the policy and points now in force, and what dispatch
//! needs beyond the orders: each live node's index and potential and the free node slots. The
//! live network's arcs are not written: they are the pairs that may still serve each listed
//! order, found again on restore, with the offers as their flows; the restored network then
//! carries the saved potentials and must pass its proof of optimality. Ties in dispatch are
//! broken by node index only, so a restored ledger goes on exactly as the saved one would.

use super::dispatch::NO_ORDER;
use super::feed::Feed;
use super::keys::{Keys, Remembered};
use super::roster::{Candidate, Roster};
use super::rules::{Points, Rules};
use super::state::{Escalation, Order, OrderState, Ticket, TicketState};
use super::summary::Totals;
use super::{fingerprint, Ledger, Permissive};
use crate::contract::{NeedData, ResourceData, WindowData};
use crate::model::area::{Areas, Level};
use crate::model::resource::Kind;
use crate::model::time::DateTime;
use crate::model::{Instance, Policy};
use crate::parallel::Threads;
use crate::solve::{LeftPart, LiveFlow, Rebuild, RightPart};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::Arc;

/// The snapshot format's version.
const VERSION: u32 = 1;
/// Restore hands orders from one thread to the other in chunks of this many, and arcs in
/// chunks of `ARC_CHUNK` (tiny in tests, so that tests cross chunk boundaries).
const ORDER_CHUNK: usize = if cfg!(test) { 3 } else { 1 << 12 };
const ARC_CHUNK: usize = if cfg!(test) { 5 } else { 1 << 14 };

/// Why a snapshot could not be restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// Not a snapshot (the JSON reader's message).
    #[error("not a ledger snapshot: {0}")]
    Malformed(String),
    /// A snapshot of another format version.
    #[error("snapshot version {0}, this library reads version {VERSION}")]
    Version(u32),
    /// A snapshot of another instance or other rules.
    #[error(
        "snapshot of another instance or other rules (fingerprint {found}, expected {expected})"
    )]
    Fingerprint {
        /// This ledger's.
        expected: String,
        /// The snapshot's.
        found: String,
    },
    /// The snapshot contradicts itself (a damaged or edited file).
    #[error("inconsistent snapshot: {0}")]
    Inconsistent(String),
}

impl SnapshotError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            SnapshotError::Malformed(_) => "snapshot_malformed",
            SnapshotError::Version(_) => "snapshot_version",
            SnapshotError::Fingerprint { .. } => "fingerprint",
            SnapshotError::Inconsistent(_) => "snapshot_inconsistent",
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    duijie_snapshot: u32,
    fingerprint: String,
    seq: u64,
    last_at: Option<String>,
    /// When it differs from `last_at`: the time up to which the time rules were applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    passed: Option<String>,
    next_serial: u64,
    outstanding: i64,
    searches: u64,
    policy: PolicyRecord,
    points: PointsRecord,
    categories: Vec<String>,
    skills: Vec<String>,
    /// By roster slot (= right node).
    resources: Vec<Option<ResourceRecord>>,
    committed: Vec<i64>,
    right_potential: Vec<i64>,
    free_right: Vec<u32>,
    /// By left node.
    left_potential: Vec<i64>,
    free_left: Vec<u32>,
    /// The working set, in posting order.
    orders: Vec<OrderRecord>,
    /// Finished orders: [id, state], by id.
    archived: Vec<(String, String)>,
    totals: Totals,
    keys: Vec<KeyRecord>,
    /// The forecast's nodes, by group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    forecast: Vec<ForecastRecord>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ForecastRecord {
    group: usize,
    node: u32,
    supply: i64,
    /// [resource slot, flow] of the arcs with flow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    flows: Vec<(u32, i64)>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyRecord {
    priority_value: i64,
    vulnerable_bonus: i64,
    locality_penalty: BTreeMap<String, i64>,
    cost_weight: i64,
    offer_deadline_hours: i64,
    reoffer_penalty: i64,
    #[serde(default = "default_lapse_hours")]
    lapse_hours: i64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    escalate_after_hours: BTreeMap<String, i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    forecast_weight: Option<i64>,
}

fn default_lapse_hours() -> i64 {
    crate::model::policy::DEFAULT_LAPSE_HOURS
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PointsRecord {
    per_unit: BTreeMap<String, i64>,
    good_rating_bonus: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowRecord {
    start: String,
    end: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NeedRecord {
    id: String,
    area: String,
    category: String,
    quantity: i64,
    priority: i64,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    vulnerable: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    skills: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    window: Option<WindowRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_unit_cost: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    requester: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceRecord {
    id: String,
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    home: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    serves: Option<Vec<String>>,
    categories: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    skills: Vec<String>,
    capacity: i64,
    unit_cost: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    window: Option<WindowRecord>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TicketRecord {
    resource: String,
    quantity: i64,
    state: String,
    tier: Level,
    value: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    schedule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EscalationRecord {
    level: Level,
    reason: String,
    units: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    resources: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderRecord {
    serial: u64,
    need: NeedRecord,
    state: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tickets: Vec<TicketRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    score: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    node: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    excluded: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    completed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    escalation: Option<EscalationRecord>,
    #[serde(default, skip_serializing_if = "is_zero")]
    given_up: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    listed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deadline: Option<Level>,
    /// [resource, until], by resource.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    lapsed: Vec<(String, String)>,
}

fn is_zero(x: &i64) -> bool {
    *x == 0
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyRecord {
    key: String,
    body: String,
    seq: u64,
    at: String,
}

fn window_record(w: &Option<WindowData>) -> Option<WindowRecord> {
    w.as_ref().map(|w| WindowRecord {
        start: w.start.clone(),
        end: w.end.clone(),
    })
}

fn window_data(w: Option<WindowRecord>) -> Option<WindowData> {
    w.map(|w| WindowData {
        start: w.start,
        end: w.end,
    })
}

fn time(s: &str) -> Result<DateTime, SnapshotError> {
    DateTime::parse(s).ok_or_else(|| SnapshotError::Inconsistent(format!("time {s:?}")))
}

fn opt_time(s: &Option<String>) -> Result<Option<DateTime>, SnapshotError> {
    s.as_deref().map(time).transpose()
}

fn bad(what: impl Into<String>) -> SnapshotError {
    SnapshotError::Inconsistent(what.into())
}

impl Ledger {
    /// The ledger as one versioned JSON object (see the module's documentation); with
    /// [`Ledger::restore`], the same instance and rules give back a ledger that goes on
    /// exactly as this one.
    pub fn snapshot(&self) -> String {
        let (lefts, rights, free_left, free_right) = self.live.snapshot_parts();
        let p = &self.policy;
        let file = File {
            duijie_snapshot: VERSION,
            fingerprint: self.fingerprint.clone(),
            seq: self.seq,
            last_at: self.last_at.map(|t| t.to_string()),
            passed: self
                .passed
                .filter(|p| Some(*p) != self.last_at)
                .map(|t| t.to_string()),
            next_serial: self.next_serial,
            outstanding: self.outstanding,
            searches: self.live.searches(),
            policy: PolicyRecord {
                priority_value: p.priority_value,
                vulnerable_bonus: p.vulnerable_bonus,
                locality_penalty: Level::ALL
                    .iter()
                    .map(|l| (l.as_str().to_owned(), p.locality_penalty[l.index()]))
                    .collect(),
                cost_weight: p.cost_weight,
                offer_deadline_hours: p.offer_deadline_hours,
                reoffer_penalty: p.reoffer_penalty,
                lapse_hours: p.lapse_hours,
                escalate_after_hours: Level::ALL
                    .iter()
                    .filter_map(|l| {
                        Some((l.as_str().to_owned(), p.escalate_after_hours[l.index()]?))
                    })
                    .collect(),
                forecast_weight: p.forecast_weight,
            },
            points: PointsRecord {
                per_unit: Kind::ALL
                    .iter()
                    .zip(self.rules.points.per_unit)
                    .map(|(k, v)| (k.as_str().to_owned(), v))
                    .collect(),
                good_rating_bonus: self.rules.points.good_rating_bonus,
            },
            categories: self.roster.names().0.to_vec(),
            skills: self.roster.names().1.to_vec(),
            resources: (0..self.roster.len() as u32)
                .map(|j| {
                    self.roster.get(j).map(|m| {
                        let r = &m.data;
                        ResourceRecord {
                            id: r.id.clone(),
                            kind: r.kind.as_str().to_owned(),
                            name: r.name.clone(),
                            home: r.home.clone(),
                            serves: r.serves.clone(),
                            categories: r.categories.clone(),
                            skills: r.skills.clone(),
                            capacity: r.capacity,
                            unit_cost: r.unit_cost,
                            window: window_record(&r.window),
                        }
                    })
                })
                .collect(),
            committed: self.committed.clone(),
            right_potential: rights.iter().map(|r| r.potential).collect(),
            free_right: free_right.to_vec(),
            left_potential: lefts.iter().map(|l| l.potential).collect(),
            free_left: free_left.to_vec(),
            orders: self.orders().into_iter().map(order_record).collect(),
            archived: self
                .archived
                .iter()
                .map(|(id, s)| (id.to_string(), s.as_str().to_owned()))
                .collect(),
            totals: self.totals.clone(),
            keys: self
                .keys
                .iter()
                .map(|(k, r)| KeyRecord {
                    key: k.clone(),
                    body: r.body.clone(),
                    seq: r.seq,
                    at: r.at.to_string(),
                })
                .collect(),
            forecast: self
                .outlook
                .iter()
                .flat_map(|o| o.groups.iter().enumerate())
                .filter_map(|(group, g)| {
                    let node = g.node?;
                    let flows = self
                        .live
                        .arcs_of(node)
                        .iter()
                        .map(|&a| self.live.arc(a))
                        .filter(|a| a.flow() > 0)
                        .map(|a| (a.right, a.flow()))
                        .collect();
                    Some(ForecastRecord {
                        group,
                        node,
                        supply: self.live.supply(node),
                        flows,
                    })
                })
                .collect(),
        };
        serde_json::to_string(&file).unwrap_or_default()
    }

    /// A ledger from a [`Ledger::snapshot`] of a ledger that started from `instance` under
    /// `rules` (no solve: the live dispatch is rebuilt from the orders and proven optimal, on
    /// as many threads as [`Threads::default`] allows, at most two).
    ///
    /// # Errors
    /// [`SnapshotError`]: not a snapshot, another version, another instance or other rules,
    /// or a snapshot that contradicts itself.
    pub fn restore(instance: Instance, rules: Rules, text: &str) -> Result<Ledger, SnapshotError> {
        Ledger::restore_on(instance, rules, text, Threads::default())
    }

    /// [`Ledger::restore`] on up to `threads` (the result is the same on any number).
    pub(super) fn restore_on(
        instance: Instance,
        rules: Rules,
        text: &str,
        threads: Threads,
    ) -> Result<Ledger, SnapshotError> {
        // The instance's fingerprint is hashed beside the parse.
        let (file, expected) = threads.join(
            || serde_json::from_str::<File>(text),
            || fingerprint::of(&instance.to_data(), &rules),
        );
        let file = file.map_err(|e| SnapshotError::Malformed(e.to_string()))?;
        if file.duijie_snapshot != VERSION {
            return Err(SnapshotError::Version(file.duijie_snapshot));
        }
        if file.fingerprint != expected {
            return Err(SnapshotError::Fingerprint {
                expected,
                found: file.fingerprint,
            });
        }
        let areas = instance.areas();
        let mut policy = Policy::default();
        let pr = &file.policy;
        (
            policy.priority_value,
            policy.vulnerable_bonus,
            policy.cost_weight,
            policy.offer_deadline_hours,
            policy.reoffer_penalty,
        ) = (
            pr.priority_value,
            pr.vulnerable_bonus,
            pr.cost_weight,
            pr.offer_deadline_hours,
            pr.reoffer_penalty,
        );
        (policy.lapse_hours, policy.forecast_weight) = (pr.lapse_hours, pr.forecast_weight);
        for (l, h) in &pr.escalate_after_hours {
            let l = Level::parse(l).ok_or_else(|| bad(format!("level {l:?}")))?;
            policy.escalate_after_hours[l.index()] = Some(*h);
        }
        for l in Level::ALL {
            policy.locality_penalty[l.index()] = *pr
                .locality_penalty
                .get(l.as_str())
                .ok_or_else(|| bad("policy.locality_penalty"))?;
        }
        let mut points = Points::default();
        for (k, kind) in Kind::ALL.iter().enumerate() {
            points.per_unit[k] = *file
                .points
                .per_unit
                .get(kind.as_str())
                .ok_or_else(|| bad("points.per_unit"))?;
        }
        points.good_rating_bonus = file.points.good_rating_bonus;
        let m = file.resources.len();
        if file.committed.len() != m || file.right_potential.len() != m {
            return Err(bad(
                "resources, committed and right_potential differ in length",
            ));
        }
        let mut archived = BTreeMap::new();
        for (id, s) in file.archived {
            let s = OrderState::parse(&s).ok_or_else(|| bad(format!("state {s:?}")))?;
            archived.insert(id.into_boxed_str(), s);
        }
        // The names first: the saved ones, then the orders' new ones in posting order (as
        // the saved roster interned them). Orders are read in these terms while the roster
        // itself is built.
        let mut vocab = Roster::from_parts(&file.categories, &file.skills, Vec::new(), areas);
        for r in &file.orders {
            vocab.learn(&r.need.category, &r.need.skills);
        }
        let resources = file.resources;
        let roster = || {
            let (categories, skills) = vocab.names();
            Ok::<_, SnapshotError>(Roster::from_parts(
                categories,
                skills,
                resources
                    .into_iter()
                    .map(|r| r.map(resource).transpose())
                    .collect::<Result<_, _>>()?,
                areas,
            ))
        };
        // The orders: read in chunks on this thread (which frees what the parse allocated),
        // scanned on another one once it has built the roster.
        let total = file.orders.len();
        let read = |sink: &mut dyn FnMut(Vec<Option<Order>>)| {
            let (mut chunk, mut indexes) = (Vec::with_capacity(ORDER_CHUNK), Indexes::default());
            for (k, r) in file.orders.into_iter().enumerate() {
                let o = order(r, &vocab, areas)?;
                indexes.add(k, &o, areas);
                chunk.push(Some(o));
                if chunk.len() == ORDER_CHUNK {
                    sink(std::mem::replace(
                        &mut chunk,
                        Vec::with_capacity(ORDER_CHUNK),
                    ));
                }
            }
            sink(chunk);
            Ok::<_, SnapshotError>(indexes)
        };
        let scan = |roster: &Roster, chunks: &mut dyn Iterator<Item = Vec<Option<Order>>>| {
            let (mut orders, mut pins) = (Vec::with_capacity(total), Pins::default());
            for chunk in chunks {
                pins.add(&chunk, orders.len(), roster, &archived)?;
                orders.extend(chunk);
            }
            Ok::<_, SnapshotError>((orders, pins))
        };
        // A damaged snapshot is refused with the same error on any number of threads: the
        // roster's first, then the first order that cannot be read, then the scan's.
        let (roster, indexes, orders, pins) = if threads.get() < 2 {
            let roster = roster()?;
            let mut chunks = Vec::new();
            let indexes = read(&mut |chunk| chunks.push(chunk))?;
            let (orders, pins) = scan(&roster, &mut chunks.into_iter())?;
            (roster, indexes, orders, pins)
        } else {
            let (send, receive) = std::sync::mpsc::channel();
            let (read, (roster, scanned)) = threads.join(
                // Reading goes on if the scan stops, so that its own first error is found.
                move || {
                    read(&mut |chunk| {
                        let _ = send.send(chunk);
                    })
                },
                move || match roster() {
                    Ok(roster) => {
                        let scanned = scan(&roster, &mut receive.into_iter());
                        (Ok(roster), scanned)
                    }
                    Err(e) => (Err(e), Ok((Vec::new(), Pins::default()))),
                },
            );
            let roster = roster?;
            let indexes = read?;
            let (orders, pins) = scanned?;
            (roster, indexes, orders, pins)
        };
        let n = file.left_potential.len();
        let mut order_of = vec![NO_ORDER; n];
        for (k, o) in orders.iter().enumerate() {
            if let Some(node) = o.as_ref().and_then(|o| o.node) {
                match order_of.get_mut(node as usize) {
                    Some(x) if *x == NO_ORDER => *x = k,
                    _ => return Err(bad(format!("node {node}"))),
                }
            }
        }
        let mut ledger = Ledger {
            instance,
            rules: Rules { points, ..rules },
            policy,
            fingerprint: expected,
            roster,
            orders,
            free_orders: Vec::new(),
            index: std::collections::HashMap::new(),
            by_serial: BTreeMap::new(),
            archived,
            next_serial: file.next_serial,
            outstanding: file.outstanding,
            committed: file.committed,
            live: LiveFlow::default(),
            tiers: Vec::new(),
            order_of,
            places: BTreeSet::new(),
            offers: BTreeSet::new(),
            rating: BTreeSet::new(),
            ends: BTreeSet::new(),
            resource_ends: BTreeSet::new(),
            expired: vec![false; m],
            lapses: BTreeSet::new(),
            deadlines: BTreeSet::new(),
            outlook: None,
            forecast_tiers: Vec::new(),
            forecast_left: Vec::new(),
            totals: file.totals,
            keys: Keys::default(),
            seq: file.seq,
            last_at: opt_time(&file.last_at)?,
            passed: match &file.passed {
                Some(p) => Some(time(p)?),
                None => opt_time(&file.last_at)?,
            },
            authority: Arc::new(Permissive),
            feed: Feed::default(),
        };
        for k in file.keys {
            let r = Remembered {
                body: k.body,
                seq: k.seq,
                at: time(&k.at)?,
            };
            ledger.keys.insert(k.key, r);
        }
        // Indexes, and the live network's parts.
        let mut lefts = vec![
            LeftPart {
                supply: 0,
                potential: 0
            };
            n
        ];
        for (i, p) in file.left_potential.iter().enumerate() {
            lefts[i].potential = *p;
        }
        for &(node, supply) in &pins.supplies {
            lefts[node as usize].supply = supply;
        }
        // Built in bulk from sorted lists.
        let n_orders = indexes.ids.len();
        ledger.index = indexes.ids.into_iter().collect();
        ledger.by_serial = indexes.serials.into_iter().collect();
        if ledger.index.len() != n_orders || ledger.by_serial.len() != n_orders {
            return Err(bad("an order id or serial twice"));
        }
        ledger.places = indexes.places.into_iter().collect();
        ledger.offers = pins.offers.into_iter().collect();
        ledger.rating = indexes.rating.into_iter().collect();
        ledger.ends = indexes.ends.into_iter().collect();
        ledger.lapses = pins.lapses.into_iter().collect();
        let (mut nodes, pins) = (pins.nodes, pins.pins);
        // Time: resources whose window ended before the last command get no offers; the
        // deadlines of listed orders under the policy in force.
        for j in 0..m as u32 {
            match (ledger.resource_end(j), ledger.passed) {
                (Some(end), Some(last)) if end < last => ledger.expired[j as usize] = true,
                (Some(end), _) => {
                    ledger.resource_ends.insert((end, j));
                }
                (None, _) => {}
            }
        }
        ledger.reindex_deadlines();
        // The forecast's nodes: their supplies now, their arcs after the orders'.
        let mut outlook = match ledger.rules.forecast.clone() {
            Some(forecast) => Some(
                ledger
                    .outlook(&forecast)
                    .map_err(|e| bad(format!("forecast: {e}")))?,
            ),
            None => None,
        };
        if let Some(outlook) = &mut outlook {
            for r in &file.forecast {
                let g = outlook
                    .groups
                    .get_mut(r.group)
                    .ok_or_else(|| bad(format!("forecast group {}", r.group)))?;
                g.node = Some(r.node);
                let left = lefts
                    .get_mut(r.node as usize)
                    .ok_or_else(|| bad(format!("forecast node {}", r.node)))?;
                left.supply = r.supply;
            }
        }
        let rights: Vec<RightPart> = (0..m as u32)
            .map(|j| RightPart {
                capacity: if ledger.roster.get(j).is_some() {
                    ledger.live_room(j)
                } else {
                    0
                },
                potential: file.right_potential[j as usize],
                alive: ledger.roster.get(j).is_some(),
            })
            .collect();
        let mut build = Rebuild::new(policy_bonus(&ledger.policy), &lefts, &rights);
        let mut tiers = Vec::new();
        // Arcs are numbered as they come, and `tiers` follows those numbers.
        let mut add = |(node, j, value, flow, tier): FoundArc| {
            build.arc(node, j, value, flow)?;
            tiers.push(tier);
            Ok(())
        };
        let proof = |e| bad(format!("dispatch fails its proof: {e}"));
        // The arcs: the pairs that may still serve each listed order, found for orders of one
        // area and category together (they share their candidates), offers as flows.
        nodes.sort_unstable_by_key(|l| (l.key, l.order));
        let (roster, policy, orders) = (&ledger.roster, &ledger.policy, &ledger.orders[..]);
        let areas = ledger.instance.areas();
        let (pins, nodes) = (&pins[..], &nodes[..]);
        let find = |sink: &mut dyn FnMut(FoundArc) -> bool| {
            find_arcs(roster, policy, areas, orders, nodes, pins, sink);
        };
        if threads.get() < 2 {
            let mut failed = None;
            find(&mut |arc| {
                failed = add(arc).err();
                failed.is_none()
            });
            if let Some(e) = failed {
                return Err(proof(e));
            }
        } else {
            // One thread finds the arcs and sends them in chunks, this one builds the network
            // from them (if it stops at an error, the closed channel stops the other).
            let (send, receive) = std::sync::mpsc::sync_channel::<Vec<FoundArc>>(4);
            let (built, ()) = threads.join(
                || receive.into_iter().flatten().try_for_each(&mut add),
                move || {
                    let mut chunk = Vec::with_capacity(ARC_CHUNK);
                    find(&mut |arc| {
                        chunk.push(arc);
                        chunk.len() < ARC_CHUNK
                            || send
                                .send(std::mem::replace(&mut chunk, Vec::with_capacity(ARC_CHUNK)))
                                .is_ok()
                    });
                    let _ = send.send(chunk);
                },
            );
            built.map_err(proof)?;
        }
        // The forecast's pairs found again, their reservations as flows.
        if let Some(outlook) = &outlook {
            for r in &file.forecast {
                let g = &outlook.groups[r.group];
                for (j, tier, value) in ledger.forecast_pairs(&g.wanted, g.until) {
                    let flow = r.flows.iter().find(|x| x.0 == j).map_or(0, |x| x.1);
                    add((r.node, j, value, flow, tier)).map_err(proof)?;
                }
            }
        }
        ledger.outlook = outlook;
        let live = build
            .finish(file.free_left, file.free_right, threads)
            .map_err(proof)?;
        ledger.live = live;
        // The forecast's reservations keep no bonus: the saved prices are optimal without it
        // (π_left − π_right = value on every arc with flow), so the repair changes nothing.
        let forecast_nodes: Vec<u32> = ledger
            .outlook
            .iter()
            .flat_map(|o| o.groups.iter().filter_map(|g| g.node))
            .collect();
        for &node in &forecast_nodes {
            if ledger.forecast_left.len() <= node as usize {
                ledger.forecast_left.resize(node as usize + 1, false);
            }
            ledger.forecast_left[node as usize] = true;
            for a in ledger.live.arcs_of(node).to_vec() {
                ledger.live.set_units(a, 0);
            }
        }
        if !forecast_nodes.is_empty() {
            ledger
                .live
                .repair()
                .map_err(|e| bad(format!("forecast reservations: {e}")))?;
        }
        ledger.live.commit();
        ledger.live.set_searches(file.searches);
        // Arcs were numbered in the order they were given.
        ledger.tiers = tiers;
        Ok(ledger)
    }
}

/// A snapshot's resource in contract form.
fn resource(r: ResourceRecord) -> Result<ResourceData, SnapshotError> {
    Ok(ResourceData {
        kind: Kind::parse(&r.kind).ok_or_else(|| bad(format!("kind {:?}", r.kind)))?,
        id: r.id,
        name: r.name,
        home: r.home,
        serves: r.serves,
        categories: r.categories,
        skills: r.skills,
        capacity: r.capacity,
        unit_cost: r.unit_cost,
        window: window_data(r.window),
    })
}

/// A snapshot's order in the ledger's terms (its names interned: [`Roster::learn`]).
fn order(r: OrderRecord, roster: &Roster, areas: &Areas) -> Result<Order, SnapshotError> {
    let need = NeedData {
        id: r.need.id,
        area: r.need.area,
        category: r.need.category,
        quantity: r.need.quantity,
        priority: r.need.priority,
        vulnerable: r.need.vulnerable,
        skills: r.need.skills,
        window: window_data(r.need.window),
        max_unit_cost: r.need.max_unit_cost,
        requester: r.need.requester,
        title: r.need.title,
    };
    let state = OrderState::parse(&r.state).ok_or_else(|| bad(format!("state {:?}", r.state)))?;
    let wanted = roster
        .known(&need, areas)
        .ok_or_else(|| bad(format!("names of need {:?}", need.id)))?;
    let mut o = Order::new(need, state, r.serial, wanted);
    o.tickets.reserve_exact(r.tickets.len());
    for t in r.tickets {
        o.tickets.push(Ticket {
            resource: t.resource,
            quantity: t.quantity,
            state: TicketState::parse(&t.state)
                .ok_or_else(|| bad(format!("ticket state {:?}", t.state)))?,
            tier: t.tier,
            value: t.value,
            since: opt_time(&t.since)?,
            schedule: t.schedule,
            note: t.note,
        });
    }
    (o.score, o.comment, o.reason) = (r.score, r.comment, r.reason);
    o.excluded = r.excluded.into_iter().collect();
    o.completed_at = opt_time(&r.completed_at)?;
    o.escalation = r.escalation.map(|e| Escalation {
        order: o.id.clone(),
        level: e.level,
        reason: e.reason,
        units: e.units,
        resources: e.resources,
    });
    o.given_up = r.given_up;
    o.listed_at = opt_time(&r.listed_at)?;
    o.deadline = r.deadline;
    for (res, until) in r.lapsed {
        o.lapsed.insert(res, time(&until)?);
    }
    o.node = r.node;
    Ok(o)
}

/// The ledger's indexes of the orders that need no roster, gathered as the orders are read, in
/// posting order (sorted into sets later).
#[derive(Default)]
struct Indexes {
    ids: Vec<(String, usize)>,
    serials: Vec<(u64, usize)>,
    places: Vec<(u32, u32, u64)>,
    rating: Vec<(DateTime, u64)>,
    ends: Vec<(DateTime, u64)>,
}

impl Indexes {
    /// Adds order `k`.
    fn add(&mut self, k: usize, o: &Order, areas: &Areas) {
        self.ids.push((o.id.clone(), k));
        self.serials.push((o.serial, k));
        if let Some(at) = o.completed_at.filter(|_| o.state == OrderState::Completed) {
            self.rating.push((at, o.serial));
        }
        if o.state == OrderState::Listed {
            for (a, c) in Roster::places(&o.wanted, areas) {
                self.places.push((a, c, o.serial));
            }
            if let Some(end) = o.window_end() {
                self.ends.push((end, o.serial));
            }
        }
    }
}

/// What the orders say of single resources, found in the roster in posting order: the
/// offers' and lapses' indexes, and each node's supply and pins.
#[derive(Default)]
struct Pins {
    offers: Vec<(DateTime, u64, u32)>,
    lapses: Vec<(DateTime, u64, u32)>,
    /// (left node, open units).
    supplies: Vec<(u32, i64)>,
    nodes: Vec<OrderNode>,
    pins: Vec<(u32, Option<i64>)>,
}

impl Pins {
    /// Adds `orders`, the first of which is the ledger's order `from`.
    fn add(
        &mut self,
        orders: &[Option<Order>],
        from: usize,
        roster: &Roster,
        archived: &BTreeMap<Box<str>, OrderState>,
    ) -> Result<(), SnapshotError> {
        let (mut offered, mut lapsed) = (Vec::new(), Vec::new());
        for (k, o) in orders.iter().enumerate() {
            let k = from + k;
            let o = o.as_ref().ok_or_else(|| bad("order slot"))?;
            if archived.contains_key(o.id.as_str()) {
                return Err(bad(format!("order {:?} twice", o.id)));
            }
            offered.clear();
            for t in o.tickets.iter().filter(|t| t.state == TicketState::Offered) {
                let j = roster
                    .find(&t.resource)
                    .ok_or_else(|| bad(format!("offer of {:?}", t.resource)))?;
                if let Some(since) = t.since {
                    self.offers.push((since, o.serial, j));
                }
                offered.push((j, t.quantity));
            }
            let listed = o.state == OrderState::Listed;
            lapsed.clear();
            for (res, until) in &o.lapsed {
                match roster.find(res) {
                    Some(j) if listed => {
                        self.lapses.push((*until, o.serial, j));
                        lapsed.push(j);
                    }
                    Some(j) => lapsed.push(j),
                    None if listed => return Err(bad(format!("lapse of {res:?}"))),
                    None => {}
                }
            }
            match o.node {
                Some(node) => {
                    self.supplies.push((node, o.open()));
                    // What the order says of single resources: those it may no longer get
                    // (first, so that they win), then its offers.
                    let first = self.pins.len() as u32;
                    let gone = o.excluded.iter().chain(
                        o.tickets
                            .iter()
                            .filter(|t| t.state != TicketState::Offered)
                            .map(|t| &t.resource),
                    );
                    let gone = gone.filter_map(|id| roster.find(id));
                    self.pins
                        .extend(gone.chain(lapsed.iter().copied()).map(|j| (j, None)));
                    self.pins.extend(offered.iter().map(|&(j, q)| (j, Some(q))));
                    self.nodes.push(OrderNode {
                        key: Roster::group_key(&o.wanted),
                        order: k,
                        node,
                        pins: first..self.pins.len() as u32,
                    });
                }
                None if o.tickets.iter().any(|t| t.state == TicketState::Offered) => {
                    return Err(bad(format!("order {:?} has offers but no node", o.id)));
                }
                None => {}
            }
        }
        Ok(())
    }
}

/// An order with a node, as its arcs are found again.
struct OrderNode {
    /// Its (area, category) group.
    key: (u32, u32),
    order: usize,
    node: u32,
    /// Its range of the pins: (resource, `None` if it may no longer get the order, else its
    /// offer's units).
    pins: Range<u32>,
}

/// An arc found again: (left node, right node, value, flow, tier).
type FoundArc = (u32, u32, i64, i64, Level);

/// Finds the arcs of `nodes` (sorted by group) and hands them to `sink` in that order, until
/// it returns `false`: the pairs that may serve each order, found for the orders of one area
/// and category together (they share their candidates), without the resources its pins
/// exclude, its offers as flows.
fn find_arcs(
    roster: &Roster,
    policy: &Policy,
    areas: &Areas,
    orders: &[Option<Order>],
    nodes: &[OrderNode],
    pins: &[(u32, Option<i64>)],
    sink: &mut dyn FnMut(FoundArc) -> bool,
) {
    let mut group: Option<((u32, u32), Vec<Candidate>)> = None;
    for l in nodes {
        let Some(o) = &orders[l.order] else { continue };
        if group.as_ref().map(|c| c.0) != Some(l.key) {
            let candidates = roster.candidates(&o.wanted, areas);
            group = Some((l.key, roster.group(&candidates, &o.wanted, areas)));
        }
        let among = group.as_ref().map_or(&[][..], |c| &c.1[..]);
        let pins = &pins[l.pins.start as usize..l.pins.end as usize];
        for (j, tier, value) in roster.pairs_in_group(among, &o.wanted, policy) {
            let flow = match pins.iter().find(|p| p.0 == j) {
                Some((_, None)) => continue,
                Some((_, Some(q))) => *q,
                None => 0,
            };
            if !sink((l.node, j, value, flow, tier)) {
                return;
            }
        }
    }
}

fn policy_bonus(p: &Policy) -> i64 {
    p.reoffer_penalty
}

fn order_record(o: &Order) -> OrderRecord {
    let n = &o.need;
    OrderRecord {
        serial: o.serial,
        need: NeedRecord {
            id: n.id.clone(),
            area: n.area.clone(),
            category: n.category.clone(),
            quantity: n.quantity,
            priority: n.priority,
            vulnerable: n.vulnerable,
            skills: n.skills.clone(),
            window: window_record(&n.window),
            max_unit_cost: n.max_unit_cost,
            requester: n.requester.clone(),
            title: n.title.clone(),
        },
        state: o.state.as_str().to_owned(),
        tickets: o
            .tickets
            .iter()
            .map(|t| TicketRecord {
                resource: t.resource.clone(),
                quantity: t.quantity,
                state: t.state.as_str().to_owned(),
                tier: t.tier,
                value: t.value,
                since: t.since.map(|s| s.to_string()),
                schedule: t.schedule.clone(),
                note: t.note.clone(),
            })
            .collect(),
        score: o.score,
        comment: o.comment.clone(),
        reason: o.reason.clone(),
        node: o.node,
        excluded: o.excluded.iter().cloned().collect(),
        completed_at: o.completed_at.map(|t| t.to_string()),
        escalation: o.escalation.as_ref().map(|e| EscalationRecord {
            level: e.level,
            reason: e.reason.clone(),
            units: e.units,
            resources: e.resources.clone(),
        }),
        given_up: o.given_up,
        listed_at: o.listed_at.map(|t| t.to_string()),
        deadline: o.deadline,
        lapsed: o
            .lapsed
            .iter()
            .map(|(r, t)| (r.clone(), t.to_string()))
            .collect(),
    }
}
