//! Random command streams for the order tests: every command of the contract (resources
//! joining, changing and leaving, rule changes, idempotency keys and retries included), aimed
//! mostly at orders and tickets in the state the command needs, sometimes at anything; plus
//! the checks that every accepted command's feed agrees with the ledger.

#![allow(dead_code)]

use duijie::generate::Rng;
use duijie::orders::{Changes, Ledger, OrderState, TicketState};

/// The state of a stream generator.
#[derive(Debug, Default, Clone)]
pub struct Gen {
    pub minute: i64,
    pub posted: usize,
    pub joined: usize,
    pub keys: usize,
    /// Keyed lines sent so far, to retry.
    pub sent: Vec<String>,
}

/// The stream's time `minute` minutes into 2027, in months of 28 days (enough for 1,600
/// commands).
pub fn time_at(minute: i64) -> String {
    let day = (minute / 1440).clamp(0, 12 * 28 - 1);
    format!(
        "2027-{:02}-{:02}T{:02}:{:02}:00",
        1 + day / 28,
        1 + day % 28,
        (minute / 60).rem_euclid(24),
        minute.rem_euclid(60)
    )
}

/// A window from a while before `minute` to up to three days after it (sometimes already
/// over), as JSON.
fn window_near(rng: &mut Rng, minute: i64) -> String {
    let end = (minute + rng.range(-600, 3 * 1440)).max(0);
    let start = (end - rng.range(0, 5 * 1440)).max(0);
    format!(
        r#"{{"start": "{}", "end": "{}"}}"#,
        time_at(start),
        time_at(end)
    )
}

fn pick<T: Clone>(rng: &mut Rng, v: &[T]) -> T {
    v[rng.range(0, v.len() as i64 - 1) as usize].clone()
}

impl Gen {
    /// The next command line for `ledger`.
    pub fn command(&mut self, rng: &mut Rng, ledger: &Ledger) -> String {
        if !self.sent.is_empty() && rng.chance(0.04) {
            // A client's retry, byte for byte.
            return pick(rng, &self.sent);
        }
        let line = self.fresh(rng, ledger);
        if rng.chance(0.25) {
            self.keys += 1;
            let key = if rng.chance(0.1) && self.keys > 1 {
                // A key reused for another body.
                format!("k{}", rng.range(1, self.keys as i64 - 1))
            } else {
                format!("k{}", self.keys)
            };
            let keyed = format!(r#"{{"key": "{key}", {}"#, &line[1..]);
            self.sent.push(keyed.clone());
            return keyed;
        }
        line
    }

    fn fresh(&mut self, rng: &mut Rng, ledger: &Ledger) -> String {
        let orders: Vec<String> = ledger
            .orders()
            .iter()
            .map(|o| o.id.clone())
            .chain(["NOPE".to_owned()])
            .collect();
        let resources: Vec<String> = ledger
            .resources()
            .iter()
            .map(|r| r.id.clone())
            .chain(["NOBODY".to_owned()])
            .collect();
        let areas: Vec<String> = ledger
            .instance()
            .areas()
            .iter()
            .map(|(_, a)| a.id.clone())
            .collect();
        let mut cats: Vec<String> = (0..ledger.instance().categories().len())
            .map(|c| ledger.instance().categories().name(c as u32).to_owned())
            .collect();
        cats.push("new-category".into());
        self.minute += if rng.chance(0.05) {
            -30
        } else {
            rng.range(0, 600)
        };
        let at = time_at(self.minute);
        let (o, r) = (pick(rng, &orders), pick(rng, &resources));
        // Mostly aim at orders and tickets in the state the command needs, so that streams
        // go somewhere; sometimes at anything.
        let aim = rng.chance(0.7);
        let ticket_in = |rng: &mut Rng, states: &[TicketState]| {
            let all: Vec<(String, String)> = ledger
                .orders()
                .iter()
                .flat_map(|o| {
                    o.tickets
                        .iter()
                        .filter(|t| states.contains(&t.state))
                        .map(move |t| (o.id.clone(), t.resource.clone()))
                })
                .collect();
            match (aim, all.is_empty()) {
                (true, false) => pick(rng, &all),
                _ => (o.clone(), r.clone()),
            }
        };
        let order_in = |rng: &mut Rng, state: OrderState| {
            let all: Vec<String> = ledger
                .orders()
                .iter()
                .filter(|x| x.state == state)
                .map(|x| x.id.clone())
                .collect();
            match (aim, all.is_empty()) {
                (true, false) => pick(rng, &all),
                _ => o.clone(),
            }
        };
        let some_of = |rng: &mut Rng, v: &[String], max: i64| -> Vec<String> {
            let n = rng.range(1, max);
            (0..n).map(|_| pick(rng, v)).collect()
        };
        match rng.range(0, 17) {
            0 => {
                self.posted += 1;
                // Half the needs have a window, some of which end soon or have ended.
                let window = if rng.chance(0.5) {
                    format!(r#", "window": {}"#, window_near(rng, self.minute))
                } else {
                    String::new()
                };
                format!(
                    r#"{{"cmd": "post", "at": "{at}", "by": "h", "need": {{"id": "P{}", "area": "{}", "category": "{}", "quantity": {}, "priority": {}, "vulnerable": {}{window}}}}}"#,
                    self.posted,
                    pick(rng, &areas),
                    pick(rng, &cats),
                    rng.range(0, 4),
                    rng.range(1, 5),
                    rng.chance(0.3)
                )
            }
            1 => {
                let o = order_in(rng, OrderState::Posted);
                format!(
                    r#"{{"cmd": "review", "at": "{at}", "by": "c", "order": "{o}", "approve": {}}}"#,
                    rng.chance(0.85)
                )
            }
            2 => {
                let (to, tr) = ticket_in(rng, &[TicketState::Offered]);
                format!(
                    r#"{{"cmd": "accept", "at": "{at}", "by": "r", "order": "{to}", "resource": "{tr}"}}"#
                )
            }
            3 => {
                let (to, tr) = ticket_in(rng, &[TicketState::Offered]);
                format!(
                    r#"{{"cmd": "decline", "at": "{at}", "by": "r", "order": "{to}", "resource": "{tr}"}}"#
                )
            }
            4 => {
                let o = order_in(rng, OrderState::Listed);
                format!(
                    r#"{{"cmd": "claim", "at": "{at}", "by": "r", "order": "{o}", "resource": "{r}", "quantity": {}}}"#,
                    rng.range(0, 3)
                )
            }
            5 => {
                let (to, tr) = ticket_in(rng, &[TicketState::Accepted]);
                format!(
                    r#"{{"cmd": "agree", "at": "{at}", "by": "r", "order": "{to}", "resource": "{tr}", "schedule": "周三"}}"#
                )
            }
            6 => {
                let (to, tr) = ticket_in(rng, &[TicketState::Accepted, TicketState::Agreed]);
                format!(
                    r#"{{"cmd": "complete", "at": "{at}", "by": "r", "order": "{to}", "resource": "{tr}"}}"#
                )
            }
            7 => {
                let o = order_in(rng, OrderState::Completed);
                format!(
                    r#"{{"cmd": "rate", "at": "{at}", "by": "h", "order": "{o}", "score": {}}}"#,
                    rng.range(0, 6)
                )
            }
            8 => {
                let (to, tr) = ticket_in(rng, &[TicketState::Accepted, TicketState::Agreed]);
                format!(
                    r#"{{"cmd": "withdraw", "at": "{at}", "by": "r", "order": "{to}", "resource": "{tr}"}}"#
                )
            }
            9 if rng.chance(0.5) => format!(
                r#"{{"cmd": "cancel", "at": "{at}", "by": "c", "order": "{}"}}"#,
                if rng.chance(0.3) {
                    o.clone()
                } else {
                    order_in(rng, OrderState::Posted)
                }
            ),
            9 => format!(
                r#"{{"cmd": "close", "at": "{at}", "by": "c", "order": "{}"{}}}"#,
                if rng.chance(0.2) {
                    o.clone()
                } else {
                    order_in(rng, OrderState::Listed)
                },
                if rng.chance(0.5) {
                    r#", "reason": "结单""#
                } else {
                    ""
                }
            ),
            10 => format!(r#"{{"cmd": "tick", "at": "{at}", "by": "clock"}}"#),
            11 => {
                self.joined += 1;
                let kinds = ["member", "unit", "social_org", "staff", "volunteer_team"];
                let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
                let serves = serde_json::to_string(&some_of(rng, &areas, 2)).unwrap();
                let categories = serde_json::to_string(&some_of(rng, &cats, 2)).unwrap();
                let id = if rng.chance(0.1) {
                    r.clone()
                } else {
                    format!("J{}", self.joined)
                };
                let window = if rng.chance(0.3) {
                    format!(r#", "window": {}"#, window_near(rng, self.minute))
                } else {
                    String::new()
                };
                format!(
                    r#"{{"cmd": "join", "at": "{at}", "by": "{id}", "resource": {{"id": "{id}", "kind": "{}", "home": "{}", "serves": {serves}, "categories": {categories}, "capacity": {}, "unit_cost": {}{window}}}}}"#,
                    pick(rng, &kinds),
                    pick(rng, &areas),
                    rng.range(0, 4),
                    if rng.chance(0.8) {
                        0
                    } else {
                        rng.range(1, 200)
                    }
                )
            }
            12 => {
                let mut fields = Vec::new();
                if rng.chance(0.5) {
                    fields.push(format!(r#""capacity": {}"#, rng.range(0, 5)));
                }
                if rng.chance(0.3) {
                    let s = serde_json::to_string(&some_of(rng, &areas, 2)).unwrap();
                    fields.push(format!(r#""serves": {s}"#));
                }
                if rng.chance(0.3) {
                    let c = serde_json::to_string(&some_of(rng, &cats, 2)).unwrap();
                    fields.push(format!(r#""categories": {c}"#));
                }
                if rng.chance(0.2) {
                    fields.push(format!(r#""unit_cost": {}"#, rng.range(0, 300)));
                }
                if rng.chance(0.1) {
                    fields.push(r#""skills": ["nursing"]"#.to_owned());
                }
                if rng.chance(0.1) {
                    fields.push(
                        r#""window": {"start": "2026-01-01T00:00:00", "end": "2026-12-31T00:00:00"}"#
                            .to_owned(),
                    );
                } else if rng.chance(0.1) {
                    let w = window_near(rng, self.minute);
                    fields.push(format!(r#""window": {w}"#));
                }
                let extra: String = fields.iter().map(|f| format!(", {f}")).collect();
                format!(
                    r#"{{"cmd": "update", "at": "{at}", "by": "{r}", "resource": "{r}"{extra}}}"#
                )
            }
            13 if rng.chance(0.5) => format!(
                r#"{{"cmd": "leave", "at": "{at}", "by": "{r}", "resource": "{r}", "reason": "调动"}}"#
            ),
            14 if rng.chance(0.3) => format!(
                r#"{{"cmd": "set_policy", "at": "{at}", "by": "district", "policy": {{"priority_value": {}, "vulnerable_bonus": {}, "offer_deadline_hours": {}, "reoffer_penalty": {}, "locality_penalty": {{"street": {}}}, "lapse_hours": {}{}}}}}"#,
                rng.range(50, 150),
                rng.range(0, 3),
                rng.range(1, 48),
                rng.range(0, 80),
                rng.range(0, 400),
                rng.range(0, 48),
                if rng.chance(0.5) {
                    format!(
                        r#", "escalate_after_hours": {{"street": {}, "district": {}}}"#,
                        rng.range(0, 24),
                        rng.range(12, 72)
                    )
                } else {
                    String::new()
                }
            ),
            15 if rng.chance(0.3) => format!(
                r#"{{"cmd": "set_points", "at": "{at}", "by": "district", "points": {{"per_unit": {{"member": {}}}, "good_rating_bonus": {}}}}}"#,
                rng.range(0, 20),
                rng.range(0, 10)
            ),
            13..=15 => format!(r#"{{"cmd": "tick", "at": "{at}", "by": "clock"}}"#),
            _ => format!(r#"{{"cmd": "accept", "at": "{at}", "by": "r", "order": "{o}""#),
        }
    }
}

/// Checks that `changes` agree with the ledger right after the command: every offer and
/// ticket entry is the state the ledger holds, every order its state, every escalation the
/// order's.
pub fn check_feed(ledger: &Ledger, changes: &Changes) {
    let state = |id: &str| {
        ledger
            .order(id)
            .map(|o| o.state)
            .or_else(|| ledger.finished(id))
    };
    for c in &changes.orders {
        assert_eq!(state(&c.order), Some(c.state), "feed order {c:?}");
    }
    for c in &changes.offers {
        let offer = ledger.order(&c.order).and_then(|o| {
            o.tickets
                .iter()
                .find(|t| t.resource == c.resource && t.state == TicketState::Offered)
        });
        match offer {
            Some(t) => {
                assert_eq!(t.quantity, c.quantity, "feed offer {c:?}");
                assert_eq!(t.since.map(|s| s.to_string()), c.since, "feed offer {c:?}");
            }
            None => assert_eq!(c.quantity, 0, "feed offer {c:?} not in the ledger"),
        }
    }
    for c in &changes.tickets {
        let ticket = ledger.order(&c.order).and_then(|o| {
            o.tickets
                .iter()
                .find(|t| t.resource == c.resource && t.state != TicketState::Offered)
        });
        match ticket {
            Some(t) => assert_eq!((t.quantity, t.state), (c.quantity, c.state), "{c:?}"),
            None => assert_eq!(c.quantity, 0, "feed ticket {c:?} not in the ledger"),
        }
    }
    let summary = ledger.summary();
    for e in &changes.escalations {
        assert!(summary.escalations.contains(e), "feed escalation {e:?}");
    }
}
