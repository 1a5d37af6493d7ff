//! The change feed: what one command changed, for a service that notifies residents and
//! resources: orders whose state changed, offers made, changed and withdrawn, tickets created
//! or changed, and escalations raised. Each entry is the new state; an offer or ticket with
//! quantity 0 is gone.

use super::state::{Escalation, OrderState, TicketState};
use crate::model::time::DateTime;
use serde::Serialize;
use std::collections::BTreeMap;

/// What one command changed, in posting order of the orders (then by resource id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// Orders whose state changed.
    pub orders: Vec<OrderChange>,
    /// Offers whose quantity, `since` or `expires` changed.
    pub offers: Vec<OfferChange>,
    /// Accepted, agreed or done tickets created or changed (quantity 0: given back or ended).
    pub tickets: Vec<TicketChange>,
    /// Escalations raised or changed.
    pub escalations: Vec<Escalation>,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
            && self.offers.is_empty()
            && self.tickets.is_empty()
            && self.escalations.is_empty()
    }
}

/// An order's new state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderChange {
    /// Order id.
    pub order: String,
    /// Its state now.
    pub state: OrderState,
}

/// An offer's new state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfferChange {
    /// Order id.
    pub order: String,
    /// Resource id.
    pub resource: String,
    /// Units offered; 0 when the offer is gone (accepted, declined, expired, moved).
    pub quantity: i64,
    /// When it was made (`null` for offers made when the ledger started).
    pub since: Option<String>,
    /// When it expires: `since` + `offer_deadline_hours`; it goes at the first `tick` after.
    pub expires: Option<String>,
}

/// A ticket's new state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketChange {
    /// Order id.
    pub order: String,
    /// Resource id.
    pub resource: String,
    /// Units; 0 when the ticket ended (withdrawn, cancelled, its resource left).
    pub quantity: i64,
    /// Its state (the last one, for an ended ticket).
    pub state: TicketState,
}

/// An offer as the feed compares it: units and time made.
type Offer = (i64, Option<DateTime>);

/// What a command has changed so far, keyed by order serial (and resource id).
#[derive(Debug, Clone, Default)]
pub(super) struct Feed {
    /// Order id and new state.
    orders: BTreeMap<u64, (String, OrderState)>,
    /// Order id, the offer before the command, the offer now.
    offers: BTreeMap<(u64, String), (String, Offer, Offer)>,
    tickets: BTreeMap<(u64, String), TicketChange>,
    escalations: BTreeMap<u64, Escalation>,
    /// Serials of the orders to look at again for escalation.
    pub(super) touched: Vec<u64>,
}

impl Feed {
    pub(super) fn order(&mut self, serial: u64, id: &str, state: OrderState) {
        self.orders.insert(serial, (id.to_owned(), state));
    }

    /// Offer (`order`, `resource`) went from `before` to `now`.
    pub(super) fn offer(
        &mut self,
        serial: u64,
        order: &str,
        resource: &str,
        before: Offer,
        now: Offer,
    ) {
        self.offers
            .entry((serial, resource.to_owned()))
            .and_modify(|e| e.2 = now)
            .or_insert_with(|| (order.to_owned(), before, now));
    }

    pub(super) fn ticket(&mut self, serial: u64, change: TicketChange) {
        self.tickets
            .insert((serial, change.resource.clone()), change);
    }

    pub(super) fn escalation(&mut self, serial: u64, e: Escalation) {
        self.escalations.insert(serial, e);
    }

    /// The changes, with expiry `deadline` seconds after an offer was made.
    pub(super) fn changes(self, deadline: i64) -> Changes {
        let time = |t: Option<DateTime>| t.map(|t| t.to_string());
        Changes {
            orders: self
                .orders
                .into_values()
                .map(|(order, state)| OrderChange { order, state })
                .collect(),
            offers: self
                .offers
                .into_iter()
                .filter(|(_, (_, before, now))| before != now)
                .map(
                    |((_, resource), (order, _, (quantity, since)))| OfferChange {
                        order,
                        resource,
                        quantity,
                        since: time(since.filter(|_| quantity > 0)),
                        expires: time(
                            since
                                .filter(|_| quantity > 0)
                                .map(|s| s.plus_seconds(deadline)),
                        ),
                    },
                )
                .collect(),
            tickets: self.tickets.into_values().collect(),
            escalations: self.escalations.into_values().collect(),
        }
    }
}
