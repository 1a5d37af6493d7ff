//! One function per command of the order lifecycle. Each checks everything before it changes
//! anything; then it changes the live flow and repairs it (the one step that can fail, rolled
//! back by the caller), and only then the ledger's own records. A rejected command leaves the
//! ledger as it was.

use super::command::{Action, Command};
use super::error::{QuantityLimit, Rejection};
use super::feed::TicketChange;
use super::state::{Order, OrderState as O, Ticket, TicketState as T};
use super::Ledger;
use crate::contract::NeedData;
use crate::model::area::Level;
use crate::model::limits;
use crate::model::time::DateTime;
use crate::validate::{self, Diagnostics};

impl Ledger {
    /// Applies a command that passed the key, time and authority checks.
    pub(super) fn change(&mut self, command: &Command, at: DateTime) -> Result<(), Rejection> {
        match &command.action {
            Action::Post { need } => self.post(need),
            Action::Review {
                order,
                approve,
                reason,
            } => self.review(order, *approve, reason, at),
            Action::Accept { order, resource } => self.accept(order, resource, at),
            Action::Decline {
                order, resource, ..
            } => self.decline(order, resource, at),
            Action::Claim {
                order,
                resource,
                quantity,
            } => self.claim(order, resource, *quantity, at),
            Action::Agree {
                order,
                resource,
                schedule,
                note,
            } => self.agree(order, resource, schedule, note, at),
            Action::Complete { order, resource } => self.complete(order, resource, at),
            Action::Rate {
                order,
                score,
                comment,
            } => self.rate(order, *score, comment),
            Action::Withdraw {
                order, resource, ..
            } => self.withdraw(order, resource, at),
            Action::Cancel { order, reason } => self.cancel(order, reason, at),
            Action::Close { order, reason } => self.close(order, reason, at),
            Action::Tick => self.tick(at),
            Action::Join { resource } => self.join(resource, at),
            Action::Update { resource, change } => self.update(resource, change, at),
            Action::Leave { resource, .. } => self.leave(resource, at),
            Action::SetPolicy { policy } => self.set_policy(policy, at),
            Action::SetPoints { points } => self.set_points(points),
        }
    }

    /// 居民点单: a new order, waiting for review.
    fn post(&mut self, need: &NeedData) -> Result<(), Rejection> {
        let areas = self.instance.areas();
        let data = validate::need(need.clone(), "need", Diagnostics::default(), areas)
            .map_err(Rejection::InvalidNeed)?;
        if self.index.contains_key(&data.id) || self.archived.contains_key(data.id.as_str()) {
            return Err(Rejection::OrderExists(data.id));
        }
        if self.outstanding + data.quantity > limits::MAX_TOTAL_QUANTITY {
            return Err(Rejection::Quantity {
                order: data.id,
                asked: data.quantity,
                limit: QuantityLimit::Total(limits::MAX_TOTAL_QUANTITY),
            });
        }
        self.outstanding += data.quantity;
        let wanted = self.roster.wanted(&data, self.instance.areas());
        let serial = self.next_serial;
        self.next_serial += 1;
        let k = self.insert_order(Order::new(data, O::Posted, serial, wanted));
        self.note_state(k);
        Ok(())
    }

    /// 社区交单: listed and dispatched, or rejected with the reason.
    fn review(
        &mut self,
        order: &str,
        approve: bool,
        reason: &Option<String>,
        at: DateTime,
    ) -> Result<(), Rejection> {
        let k = self.order_in(order, &[O::Posted], "review")?;
        if approve {
            let open = self.order_ref(k).open();
            let opened = self.open_node(k, open, None);
            let changed = self.repair()?;
            self.order_mut(k).state = O::Listed;
            self.index_listed(k, at);
            self.record_opened(&opened);
            self.file(k);
            self.note_state(k);
            self.follow(changed, Some(at));
        } else {
            self.outstanding -= self.order_ref(k).need.quantity;
            let o = self.order_mut(k);
            o.state = O::Rejected;
            o.reason = reason.clone();
            self.note_state(k);
            self.archive(k);
        }
        Ok(())
    }

    /// 承诺接单: the offer becomes an accepted ticket, pinned.
    fn accept(&mut self, order: &str, resource: &str, at: DateTime) -> Result<(), Rejection> {
        let k = self.order_in(order, &[O::Listed], "accept")?;
        let j = self.resource_slot(resource)?;
        let t = self.ticket_in(k, resource, &[T::Offered], "accept")?;
        self.check_windows(k, j, at)?;
        let ticket = self.order_ref(k).tickets[t].clone();
        self.check_room(k, j, ticket.quantity)?;
        let (node, open) = (self.order_ref(k).node, self.order_ref(k).open());
        // The offer's units leave the open part with the capacity they use; the rest stays
        // optimal as it is.
        if let Some(a) = node.and_then(|n| self.live.find(n, j)) {
            self.live.pin(a, ticket.quantity);
            self.live.remove_arc(a);
        }
        let closing = node.filter(|_| open == ticket.quantity);
        if let Some(n) = closing {
            self.live.remove_left(n);
        }
        let changed = self.repair()?;
        self.committed[j as usize] += ticket.quantity;
        self.drop_offer(k, resource);
        self.set_ticket(k, &ticket, ticket.quantity, T::Accepted, Some(at));
        self.follow(changed, Some(at));
        if closing.is_some() {
            self.record_closed(k);
        }
        Ok(())
    }

    /// 拒单: the offer is dropped, its units re-dispatched; the resource is not offered the
    /// order again.
    fn decline(&mut self, order: &str, resource: &str, at: DateTime) -> Result<(), Rejection> {
        let k = self.order_in(order, &[O::Listed], "decline")?;
        let j = self.resource_slot(resource)?;
        self.ticket_in(k, resource, &[T::Offered], "decline")?;
        if let Some(a) = self.order_ref(k).node.and_then(|n| self.live.find(n, j)) {
            self.live.remove_arc(a);
        }
        let changed = self.repair()?;
        self.drop_offer(k, resource);
        self.order_mut(k).excluded.insert(resource.to_owned());
        self.totals.decline(resource);
        self.touch(k);
        self.follow(changed, Some(at));
        Ok(())
    }

    /// 认领: an accepted ticket for open or offered units. It takes the claimant's own offer
    /// first, then unoffered units, then other offers' units.
    fn claim(
        &mut self,
        order: &str,
        resource: &str,
        quantity: i64,
        at: DateTime,
    ) -> Result<(), Rejection> {
        let k = self.order_in(order, &[O::Listed], "claim")?;
        let j = self.resource_slot(resource)?;
        self.check_windows(k, j, at)?;
        let areas = self.instance.areas();
        let Some((tier, value)) =
            self.roster
                .assess(j, &self.order_ref(k).wanted, areas, &self.policy)
        else {
            return Err(Rejection::MayNotServe {
                order: order.to_owned(),
                resource: resource.to_owned(),
            });
        };
        let open = self.order_ref(k).open();
        if quantity < 1 || quantity > open {
            return Err(Rejection::Quantity {
                order: order.to_owned(),
                asked: quantity,
                limit: QuantityLimit::Open(open),
            });
        }
        self.check_room(k, j, quantity)?;
        let existing = self
            .order_ref(k)
            .ticket(resource)
            .map(|t| self.order_ref(k).tickets[t].clone());
        if let Some(state @ (T::Agreed | T::Done)) = existing.as_ref().map(|t| t.state) {
            return Err(Rejection::TicketState {
                order: order.to_owned(),
                resource: resource.to_owned(),
                state: Some(state),
                cmd: "claim",
            });
        }
        let node = self.order_ref(k).node;
        if let Some(a) = node.and_then(|n| self.live.find(n, j)) {
            self.live.remove_arc(a);
        }
        let closing = node.filter(|_| open == quantity);
        match (node, closing) {
            (_, Some(n)) => self.live.remove_left(n),
            (Some(n), None) => self.live.set_supply(n, open - quantity),
            (None, None) => {}
        }
        let room = self.room(j) - quantity;
        self.live.set_capacity(j, room);
        let changed = self.repair()?;
        self.committed[j as usize] += quantity;
        let held = match existing {
            Some(t) if t.state == T::Accepted => t.quantity,
            Some(_) => {
                self.drop_offer(k, resource);
                0
            }
            None => 0,
        };
        let ticket = Ticket {
            resource: resource.to_owned(),
            quantity,
            state: T::Accepted,
            tier,
            value,
            since: Some(at),
            schedule: None,
            note: None,
        };
        let since = if held > 0 { None } else { Some(at) };
        self.set_ticket(k, &ticket, held + quantity, T::Accepted, since);
        self.follow(changed, Some(at));
        if closing.is_some() {
            self.record_closed(k);
        }
        Ok(())
    }

    /// 共同议单: the accepted ticket gets its agreed schedule.
    fn agree(
        &mut self,
        order: &str,
        resource: &str,
        schedule: &str,
        note: &Option<String>,
        at: DateTime,
    ) -> Result<(), Rejection> {
        let k = self.order_in(order, &[O::Listed], "agree")?;
        self.resource_slot(resource)?;
        let t = self.ticket_in(k, resource, &[T::Accepted], "agree")?;
        let ticket = self.order_ref(k).tickets[t].clone();
        self.set_ticket(k, &ticket, ticket.quantity, T::Agreed, Some(at));
        let t = &mut self.order_mut(k).tickets[t];
        t.schedule = Some(schedule.to_owned());
        t.note = note.clone();
        Ok(())
    }

    /// 完成结单: the ticket is done; the order completes when all its units are done or
    /// given up (never while units are open, offered or accepted).
    fn complete(&mut self, order: &str, resource: &str, at: DateTime) -> Result<(), Rejection> {
        let k = self.order_in(order, &[O::Listed], "complete")?;
        let j = self.resource_slot(resource)?;
        let t = self.ticket_in(k, resource, &[T::Accepted, T::Agreed], "complete")?;
        let ticket = self.order_ref(k).tickets[t].clone();
        self.set_ticket(k, &ticket, ticket.quantity, T::Done, Some(at));
        let kind = self.roster.get(j).map(|m| m.kind());
        let per_unit = kind.map_or(0, |kind| self.rules.points.per_unit(kind));
        self.totals.done(resource, ticket.quantity, per_unit);
        self.settle(k, at);
        Ok(())
    }

    /// 评单: the completed order's rating, once; the order then leaves the working set.
    fn rate(&mut self, order: &str, score: i64, comment: &Option<String>) -> Result<(), Rejection> {
        let k = self.order_in(order, &[O::Completed], "rate")?;
        if !(1..=5).contains(&score) {
            return Err(Rejection::Score(score));
        }
        let areas = self.instance.areas();
        let o = self.order_ref(k);
        let community = areas
            .ancestor_at(o.wanted.area, Level::Community)
            .map_or("-".to_owned(), |c| areas.get(c).id.clone());
        let done: Vec<(String, i64)> = o
            .tickets
            .iter()
            .filter(|t| t.state == T::Done)
            .map(|t| (t.resource.clone(), t.quantity))
            .collect();
        let requester = o.need.requester.clone();
        let bonus = self.rules.points.good_rating_bonus;
        self.totals.rate(&done, score, bonus, community, requester);
        let o = self.order_mut(k);
        o.state = O::Rated;
        o.score = Some(score);
        o.comment = comment.clone();
        self.note_state(k);
        self.archive(k);
        Ok(())
    }

    /// 退单: an accepted ticket is given back and re-dispatched; the resource is not offered
    /// the order again.
    fn withdraw(&mut self, order: &str, resource: &str, at: DateTime) -> Result<(), Rejection> {
        let k = self.order_in(order, &[O::Listed], "withdraw")?;
        let j = self.resource_slot(resource)?;
        let t = self.ticket_in(k, resource, &[T::Accepted, T::Agreed], "withdraw")?;
        let ticket = self.order_ref(k).tickets[t].clone();
        // After the need's window ended, units given back are given up, never dispatched.
        let ended = self.order_ref(k).window_end().is_some_and(|end| end < at);
        let open = self.order_ref(k).open() + ticket.quantity;
        let opened = match (self.order_ref(k).node, ended) {
            (_, true) => None,
            (Some(n), false) => {
                self.live.set_supply(n, open);
                None
            }
            (None, false) => Some(self.open_node(k, open, Some(j))),
        };
        let room = self.live_room_plus(j, ticket.quantity);
        self.live.set_capacity(j, room);
        let changed = self.repair()?;
        self.committed[j as usize] -= ticket.quantity;
        self.set_ticket(k, &ticket, 0, ticket.state, None);
        self.order_mut(k).excluded.insert(resource.to_owned());
        self.totals.decline(resource);
        if let Some(opened) = &opened {
            self.record_opened(opened);
        }
        if ended {
            self.give_up(k, ticket.quantity, super::time::WINDOW_ENDED);
        }
        self.follow(changed, Some(at));
        self.settle(k, at);
        Ok(())
    }

    /// Order `k` leaves dispatch for good (撤单, 结单): its left node is removed, its accepted
    /// and agreed tickets are released (their capacity returns), the flow is repaired and its
    /// offers are withdrawn. Returns the arcs whose flow changed, for the offers to follow.
    fn release(&mut self, k: usize) -> Result<Vec<u32>, Rejection> {
        let tickets = self.order_ref(k).tickets.clone();
        let freed: Vec<(u32, &Ticket)> = tickets
            .iter()
            .filter(|t| matches!(t.state, T::Accepted | T::Agreed))
            .filter_map(|t| Some((self.roster.find(&t.resource)?, t)))
            .collect();
        let node = self.order_ref(k).node;
        if let Some(n) = node {
            self.live.remove_left(n);
        }
        for &(j, t) in &freed {
            let room = self.live_room_plus(j, t.quantity);
            self.live.set_capacity(j, room);
        }
        let changed = if node.is_some() || !freed.is_empty() {
            self.repair()?
        } else {
            Vec::new()
        };
        for (j, t) in freed {
            self.committed[j as usize] -= t.quantity;
            self.set_ticket(k, t, 0, t.state, None);
        }
        for t in tickets.iter().filter(|t| t.state == T::Offered) {
            self.drop_offer(k, &t.resource);
        }
        Ok(changed)
    }

    /// 撤单: the order and its tickets that are not done end; their capacity returns; the
    /// order leaves the working set.
    fn cancel(
        &mut self,
        order: &str,
        reason: &Option<String>,
        at: DateTime,
    ) -> Result<(), Rejection> {
        let k = self.order_in(order, &[O::Posted, O::Listed], "cancel")?;
        let changed = self.release(k)?;
        self.outstanding -= self.order_ref(k).need.quantity;
        self.unfile(k);
        self.unindex(k);
        let o = self.order_mut(k);
        o.state = O::Cancelled;
        o.reason = reason.clone();
        self.note_state(k);
        self.follow(changed, Some(at));
        self.record_closed(k);
        self.archive(k);
        Ok(())
    }

    /// 结单 with units unserved: the order ends now. Its offers are withdrawn, its accepted
    /// and agreed tickets released (their capacity returns), and every unit not done is
    /// recorded as given up; with units done it is completed (and may be rated), else closed.
    fn close(
        &mut self,
        order: &str,
        reason: &Option<String>,
        at: DateTime,
    ) -> Result<(), Rejection> {
        let k = self.order_in(order, &[O::Posted, O::Listed], "close")?;
        let changed = self.release(k)?;
        let why = reason.as_deref().unwrap_or(super::time::CLOSED).to_owned();
        let units = self.order_ref(k).open();
        self.give_up(k, units, &why);
        self.order_mut(k).reason = Some(why);
        if self.order_ref(k).state == O::Posted {
            // Never listed: it leaves as closed.
            self.outstanding -= self.order_ref(k).need.quantity;
            self.order_mut(k).state = O::Closed;
            self.note_state(k);
            self.archive(k);
            return Ok(());
        }
        self.follow(changed, Some(at));
        self.record_closed(k);
        self.settle(k, at);
        Ok(())
    }

    /// Time passes: offers older than the policy's deadline expire and are re-dispatched;
    /// completed orders past the rating window leave the working set.
    fn tick(&mut self, at: DateTime) -> Result<(), Rejection> {
        let deadline = self.policy.offer_deadline_hours * 3600;
        let expired: Vec<(DateTime, u64, u32)> = self
            .offers
            .iter()
            .take_while(|(since, ..)| at.seconds() - since.seconds() > deadline)
            .copied()
            .collect();
        // An expired offer loses its keep bonus; with `lapse_hours`, its pair also leaves
        // dispatch until the lapse is over.
        let lapse = self.policy.lapse_hours.saturating_mul(3600);
        let mut arcs = Vec::with_capacity(expired.len());
        for &(_, serial, j) in &expired {
            let node = self
                .by_serial
                .get(&serial)
                .and_then(|&k| self.orders[k].as_ref())
                .and_then(|o| o.node);
            if let Some(a) = node.and_then(|n| self.live.find(n, j)) {
                if lapse > 0 {
                    self.live.remove_arc(a);
                } else {
                    self.live.set_units(a, 0);
                }
                arcs.push(a);
            }
        }
        // The forecast's demand still to come shrinks as the horizon passes.
        let (created, supplies) = self.forecast_supplies(at);
        let changed = if arcs.is_empty() && !supplies {
            Vec::new()
        } else {
            self.repair()?
        };
        self.record_forecast(created);
        let until = at.plus_seconds(lapse);
        for &(_, serial, j) in &expired {
            if let Some(&k) = self.by_serial.get(&serial) {
                let id = self.roster.id(j).to_owned();
                self.drop_offer(k, &id);
                if lapse > 0 {
                    if let Some(old) = self.order_mut(k).lapsed.insert(id, until) {
                        self.lapses.remove(&(old, serial, j));
                    }
                    self.lapses.insert((until, serial, j));
                }
            }
        }
        arcs.extend(changed);
        let live = &self.live;
        arcs.sort_unstable_by_key(|&a| (live.arc(a).left, live.arc(a).right));
        arcs.dedup();
        self.follow(arcs, Some(at));
        self.apply_deadlines(at);
        let window = self.rules.rating_hours.saturating_mul(3600);
        let done: Vec<u64> = self
            .rating
            .iter()
            .take_while(|(t, _)| at.seconds() - t.seconds() > window)
            .map(|e| e.1)
            .collect();
        for serial in done {
            if let Some(&k) = self.by_serial.get(&serial) {
                self.archive(k);
            }
        }
        Ok(())
    }

    /// The working-set order `id`, which must be in one of `states` (a finished order is
    /// refused with its final state).
    pub(super) fn order_in(
        &self,
        id: &str,
        states: &[O],
        cmd: &'static str,
    ) -> Result<usize, Rejection> {
        let state = match self.index.get(id) {
            Some(&k) => {
                let s = self.order_ref(k).state;
                if states.contains(&s) {
                    return Ok(k);
                }
                s
            }
            None => match self.archived.get(id) {
                Some(&s) => s,
                None => return Err(Rejection::UnknownOrder(id.to_owned())),
            },
        };
        Err(Rejection::OrderState {
            order: id.to_owned(),
            state,
            cmd,
        })
    }

    /// Order `k` of the working set.
    pub(super) fn order_ref(&self, k: usize) -> &Order {
        match &self.orders[k] {
            Some(o) => o,
            None => unreachable_order(),
        }
    }

    pub(super) fn order_mut(&mut self, k: usize) -> &mut Order {
        match &mut self.orders[k] {
            Some(o) => o,
            None => unreachable_order(),
        }
    }

    /// The roster slot of resource `id`.
    pub(super) fn resource_slot(&self, id: &str) -> Result<u32, Rejection> {
        self.roster
            .find(id)
            .ok_or_else(|| Rejection::UnknownResource(id.to_owned()))
    }

    /// The ticket of `resource` on order `k`, which must be in one of `states`.
    fn ticket_in(
        &self,
        k: usize,
        resource: &str,
        states: &[T],
        cmd: &'static str,
    ) -> Result<usize, Rejection> {
        let o = self.order_ref(k);
        let t = o.ticket(resource);
        match t {
            Some(t) if states.contains(&o.tickets[t].state) => Ok(t),
            _ => Err(Rejection::TicketState {
                order: o.id.clone(),
                resource: resource.to_owned(),
                state: t.map(|t| o.tickets[t].state),
                cmd,
            }),
        }
    }

    /// What resource `j` has left after its commitments.
    pub(super) fn room(&self, j: u32) -> i64 {
        let capacity = self.roster.get(j).map_or(0, |m| m.capacity());
        capacity - self.committed[j as usize]
    }

    /// Whether resource `j` has room for `q` more committed units.
    fn check_room(&self, k: usize, j: u32, q: i64) -> Result<(), Rejection> {
        let room = self.room(j);
        if q > room {
            return Err(Rejection::Quantity {
                order: self.order_ref(k).id.clone(),
                asked: q,
                limit: QuantityLimit::Room {
                    resource: self.roster.id(j).to_owned(),
                    left: room,
                },
            });
        }
        Ok(())
    }

    /// Sets the committed ticket of `ticket.resource` on order `k` to `quantity` units in
    /// `state` (0 units: it ends), with `since` when given; the feed records it.
    pub(super) fn set_ticket(
        &mut self,
        k: usize,
        ticket: &Ticket,
        quantity: i64,
        state: T,
        since: Option<DateTime>,
    ) {
        let o = self.order_mut(k);
        let t = o.ticket(&ticket.resource);
        match (t, quantity > 0) {
            (Some(t), true) => {
                let x = &mut o.tickets[t];
                x.quantity = quantity;
                x.state = state;
                if since.is_some() {
                    x.since = since;
                }
            }
            (Some(t), false) => {
                o.tickets.remove(t);
            }
            (None, true) => {
                let pos = o.tickets.partition_point(|x| x.resource < ticket.resource);
                o.tickets.insert(
                    pos,
                    Ticket {
                        quantity,
                        state,
                        since,
                        ..ticket.clone()
                    },
                );
            }
            (None, false) => return,
        }
        let (serial, order) = (o.serial, o.id.clone());
        self.feed.ticket(
            serial,
            TicketChange {
                order,
                resource: ticket.resource.clone(),
                quantity,
                state,
            },
        );
        self.feed.touched.push(serial);
    }
}

/// A slot of the working set that holds no order where one must be: a broken index.
#[cold]
fn unreachable_order() -> ! {
    // The index maps ids to occupied slots only; a free slot here is a bug in the ledger.
    #[allow(clippy::panic)]
    {
        panic!("the ledger's order index points at a free slot")
    }
}
