//! One function per command of the stream. Each checks everything before it changes anything:
//! a rejected command leaves the ledger as it was.

use super::command::Command;
use super::error::{QuantityLimit, Rejection};
use super::state::{Order, OrderState as O, TicketState as T};
use super::Ledger;
use crate::format::json;
use crate::model::limits;
use crate::model::time::DateTime;
use crate::validate::{self, Problems};

impl Ledger {
    /// Applies a command that passed the time checks.
    pub(super) fn change(&mut self, command: &Command, at: DateTime) -> Result<(), Rejection> {
        match command {
            Command::Post { need, .. } => self.post(need),
            Command::Review {
                order,
                approve,
                reason,
                ..
            } => self.review(order, *approve, reason, at),
            Command::Accept {
                order, resource, ..
            } => self.accept(order, resource, at),
            Command::Decline {
                order, resource, ..
            } => self.decline(order, resource, at),
            Command::Claim {
                order,
                resource,
                quantity,
                ..
            } => self.claim(order, resource, *quantity, at),
            Command::Agree {
                order,
                resource,
                schedule,
                note,
                ..
            } => self.agree(order, resource, schedule, note, at),
            Command::Complete {
                order, resource, ..
            } => self.complete(order, resource, at),
            Command::Rate {
                order,
                score,
                comment,
                ..
            } => self.rate(order, *score, comment),
            Command::Withdraw {
                order, resource, ..
            } => self.withdraw(order, resource, at),
            Command::Cancel { order, reason, .. } => self.cancel(order, reason, at),
            Command::Tick { .. } => self.tick(at),
        }
    }

    /// 居民点单: a new order, waiting for review.
    fn post(&mut self, need: &serde_json::Value) -> Result<(), Rejection> {
        let (data, read) = json::read_need_text(&need.to_string(), "need")
            .map_err(|p| Rejection::InvalidNeed(Problems(vec![p])))?;
        let data = validate::need(data, "need", read, self.instance.areas())
            .map_err(Rejection::InvalidNeed)?;
        if self.index.contains_key(&data.id) {
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
        self.index.insert(data.id.clone(), self.orders.len());
        self.orders.push(Order::new(data, O::Posted));
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
        let k = self.order_index(order)?;
        self.expect_state(k, &[O::Posted], "review")?;
        if approve {
            self.orders[k].state = O::Listed;
            self.list(k);
            self.dispatch(at, Vec::new());
        } else {
            self.outstanding -= self.orders[k].need.quantity;
            self.orders[k].state = O::Rejected;
            self.orders[k].reason = reason.clone();
        }
        Ok(())
    }

    /// 承诺接单: the offer becomes an accepted ticket, pinned.
    fn accept(&mut self, order: &str, resource: &str, at: DateTime) -> Result<(), Rejection> {
        let (k, j) = (self.order_index(order)?, self.resource_index(resource)?);
        self.expect_state(k, &[O::Listed], "accept")?;
        let t = self.ticket_in(k, j, &[T::Offered], "accept")?;
        let q = self.orders[k].tickets[t].quantity;
        self.check_room(k, j, q)?;
        self.committed[j as usize] += q;
        let ticket = &mut self.orders[k].tickets[t];
        ticket.state = T::Accepted;
        ticket.since = Some(at);
        // The offer's units leave the open part with the capacity they use; the rest stays
        // optimal as it is.
        if let Some((a, ..)) = self.pair(k, j) {
            self.live.pin(a, q);
            self.live.remove_arc(a);
        }
        self.dispatch(at, Vec::new());
        Ok(())
    }

    /// 拒单: the offer is dropped, its units re-dispatched; the resource is not offered the
    /// order again.
    fn decline(&mut self, order: &str, resource: &str, at: DateTime) -> Result<(), Rejection> {
        let (k, j) = (self.order_index(order)?, self.resource_index(resource)?);
        self.expect_state(k, &[O::Listed], "decline")?;
        let t = self.ticket_in(k, j, &[T::Offered], "decline")?;
        self.orders[k].tickets.remove(t);
        self.orders[k].excluded.insert(j);
        self.declines[j as usize] += 1;
        if let Some((a, ..)) = self.pair(k, j) {
            self.live.remove_arc(a);
        }
        self.dispatch(at, Vec::new());
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
        let (k, j) = (self.order_index(order)?, self.resource_index(resource)?);
        self.expect_state(k, &[O::Listed], "claim")?;
        let Some((a, tier, value)) = self.pair(k, j) else {
            return Err(Rejection::MayNotServe {
                order: order.to_owned(),
                resource: resource.to_owned(),
            });
        };
        let open = self.orders[k].open();
        if quantity < 1 || quantity > open {
            return Err(Rejection::Quantity {
                order: order.to_owned(),
                asked: quantity,
                limit: QuantityLimit::Open(open),
            });
        }
        self.check_room(k, j, quantity)?;
        let existing = self.orders[k].ticket(j, &self.instance);
        match existing.map(|t| (t, self.orders[k].tickets[t].state)) {
            Some((_, state @ (T::Agreed | T::Done))) => {
                return Err(Rejection::TicketState {
                    order: order.to_owned(),
                    resource: resource.to_owned(),
                    state: Some(state),
                    cmd: "claim",
                })
            }
            Some((t, T::Accepted)) => self.orders[k].tickets[t].quantity += quantity,
            Some((t, T::Offered)) => {
                self.orders[k].tickets.remove(t);
                self.insert_ticket(k, j, quantity, T::Accepted, tier, value, Some(at));
            }
            None => self.insert_ticket(k, j, quantity, T::Accepted, tier, value, Some(at)),
        }
        self.committed[j as usize] += quantity;
        self.live.remove_arc(a);
        self.sync_open(k);
        self.sync_room(j);
        self.dispatch(at, Vec::new());
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
        let (k, j) = (self.order_index(order)?, self.resource_index(resource)?);
        self.expect_state(k, &[O::Listed], "agree")?;
        let t = self.ticket_in(k, j, &[T::Accepted], "agree")?;
        let ticket = &mut self.orders[k].tickets[t];
        ticket.state = T::Agreed;
        ticket.since = Some(at);
        ticket.schedule = Some(schedule.to_owned());
        ticket.note = note.clone();
        Ok(())
    }

    /// 完成结单: the ticket is done; the order completes when all its tickets are.
    fn complete(&mut self, order: &str, resource: &str, at: DateTime) -> Result<(), Rejection> {
        let (k, j) = (self.order_index(order)?, self.resource_index(resource)?);
        self.expect_state(k, &[O::Listed], "complete")?;
        let t = self.ticket_in(k, j, &[T::Accepted, T::Agreed], "complete")?;
        let o = &mut self.orders[k];
        o.tickets[t].state = T::Done;
        o.tickets[t].since = Some(at);
        if o.tickets.iter().all(|t| t.state == T::Done) {
            // No offer is outstanding; its open units are no longer dispatched.
            o.state = O::Completed;
            self.close(k);
            self.dispatch(at, Vec::new());
        }
        Ok(())
    }

    /// 评单: the completed order's rating, once.
    fn rate(&mut self, order: &str, score: i64, comment: &Option<String>) -> Result<(), Rejection> {
        let k = self.order_index(order)?;
        self.expect_state(k, &[O::Completed], "rate")?;
        if !(1..=5).contains(&score) {
            return Err(Rejection::Score(score));
        }
        let o = &mut self.orders[k];
        o.state = O::Rated;
        o.score = Some(score);
        o.comment = comment.clone();
        Ok(())
    }

    /// 退单: an accepted ticket is given back and re-dispatched; the resource is not offered
    /// the order again.
    fn withdraw(&mut self, order: &str, resource: &str, at: DateTime) -> Result<(), Rejection> {
        let (k, j) = (self.order_index(order)?, self.resource_index(resource)?);
        self.expect_state(k, &[O::Listed], "withdraw")?;
        let t = self.ticket_in(k, j, &[T::Accepted, T::Agreed], "withdraw")?;
        let q = self.orders[k].tickets.remove(t).quantity;
        self.committed[j as usize] -= q;
        self.orders[k].excluded.insert(j);
        self.declines[j as usize] += 1;
        self.sync_open(k);
        self.sync_room(j);
        self.dispatch(at, Vec::new());
        Ok(())
    }

    /// 撤单: the order and its open tickets end; their capacity returns.
    fn cancel(
        &mut self,
        order: &str,
        reason: &Option<String>,
        at: DateTime,
    ) -> Result<(), Rejection> {
        let k = self.order_index(order)?;
        self.expect_state(k, &[O::Posted, O::Listed], "cancel")?;
        let listed = self.orders[k].state == O::Listed;
        let freed: Vec<(u32, i64)> = self.orders[k]
            .tickets
            .iter()
            .filter(|t| matches!(t.state, T::Accepted | T::Agreed))
            .filter_map(|t| {
                let j = self.instance.find_resource(&t.resource)?;
                Some((j.0, t.quantity))
            })
            .collect();
        for &(j, q) in &freed {
            self.committed[j as usize] -= q;
        }
        let o = &mut self.orders[k];
        o.tickets.retain(|t| t.state == T::Done);
        o.state = O::Cancelled;
        o.reason = reason.clone();
        if listed {
            self.close(k);
            for (j, _) in freed {
                self.sync_room(j);
            }
            self.dispatch(at, Vec::new());
        } else {
            self.outstanding -= self.orders[k].need.quantity;
        }
        Ok(())
    }

    /// Time passes: offers older than the policy's deadline expire and are re-dispatched.
    fn tick(&mut self, at: DateTime) -> Result<(), Rejection> {
        let deadline = self.instance.policy().offer_deadline_hours * 3600;
        let mut expired = Vec::new();
        for k in 0..self.orders.len() {
            let o = &self.orders[k];
            if o.state != O::Listed {
                continue;
            }
            let old: Vec<u32> = o
                .tickets
                .iter()
                .filter(|t| {
                    t.state == T::Offered
                        && t.since
                            .is_some_and(|s| at.seconds() - s.seconds() > deadline)
                })
                .filter_map(|t| self.instance.find_resource(&t.resource).map(|j| j.0))
                .collect();
            for j in old {
                if let Some(t) = self.orders[k].ticket(j, &self.instance) {
                    self.orders[k].tickets.remove(t);
                }
                if let Some((a, ..)) = self.pair(k, j) {
                    self.live.set_units(a, 0);
                    expired.push(a);
                }
            }
        }
        if !expired.is_empty() {
            self.dispatch(at, expired);
        }
        Ok(())
    }

    /// The order with this id.
    fn order_index(&self, id: &str) -> Result<usize, Rejection> {
        self.index
            .get(id)
            .copied()
            .ok_or_else(|| Rejection::UnknownOrder(id.to_owned()))
    }

    /// The resource with this id.
    fn resource_index(&self, id: &str) -> Result<u32, Rejection> {
        self.instance
            .find_resource(id)
            .map(|j| j.0)
            .ok_or_else(|| Rejection::UnknownResource(id.to_owned()))
    }

    /// Order `k`, which must be in one of `states`.
    fn expect_state(&self, k: usize, states: &[O], cmd: &'static str) -> Result<(), Rejection> {
        let o = &self.orders[k];
        if states.contains(&o.state) {
            Ok(())
        } else {
            Err(Rejection::OrderState {
                order: o.id.clone(),
                state: o.state,
                cmd,
            })
        }
    }

    /// The ticket of resource `j` on order `k`, which must be in one of `states`.
    fn ticket_in(
        &self,
        k: usize,
        j: u32,
        states: &[T],
        cmd: &'static str,
    ) -> Result<usize, Rejection> {
        let o = &self.orders[k];
        let t = o.ticket(j, &self.instance);
        match t {
            Some(t) if states.contains(&o.tickets[t].state) => Ok(t),
            _ => Err(Rejection::TicketState {
                order: o.id.clone(),
                resource: self.instance.resources()[j as usize].id.clone(),
                state: t.map(|t| o.tickets[t].state),
                cmd,
            }),
        }
    }

    /// Whether resource `j` has room for `q` more committed units.
    fn check_room(&self, k: usize, j: u32, q: i64) -> Result<(), Rejection> {
        let room =
            i64::from(self.instance.resources()[j as usize].capacity) - self.committed[j as usize];
        if q > room {
            return Err(Rejection::Quantity {
                order: self.orders[k].id.clone(),
                asked: q,
                limit: QuantityLimit::Room {
                    resource: self.instance.resources()[j as usize].id.clone(),
                    left: room,
                },
            });
        }
        Ok(())
    }
}
