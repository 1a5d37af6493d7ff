//! Resources that come and go: `join` (报到), `update` (new terms from now on) and `leave`
//! (调动, 退出). Each changes the live network where the resource's pairs change, so dispatch
//! stays an exact optimum: a new resource gets an arc from every listed order it may serve,
//! new terms add, re-value and remove arcs, and a leaving resource's offers and accepted
//! (not done) units go back to their orders and are dispatched again. Done units stay.

use super::command::ResourceChange;
use super::error::Rejection;
use super::objects;
use super::state::{Ticket, TicketState as T};
use super::Ledger;
use crate::contract::ResourceData;
use crate::model::area::Level;
use crate::model::time::DateTime;
use crate::validate::Diagnostics;
use std::collections::BTreeSet;

impl Ledger {
    /// The listed orders (slots, in posting order) filed under any of `keys` ((area,
    /// category) pairs), with their live nodes.
    fn listed_under(&self, keys: &[(u32, u32)]) -> Vec<(usize, Option<u32>)> {
        let mut serials = BTreeSet::new();
        for &(a, c) in keys {
            serials.extend(self.places.range((a, c, 0)..=(a, c, u64::MAX)).map(|e| e.2));
        }
        serials
            .into_iter()
            .filter_map(|s| {
                let k = *self.by_serial.get(&s)?;
                Some((k, self.orders[k].as_ref()?.node))
            })
            .collect()
    }

    /// 报到: a new resource, offered at once to the listed orders it may serve.
    pub(super) fn join(&mut self, resource: &ResourceData, at: DateTime) -> Result<(), Rejection> {
        let areas = self.instance.areas();
        objects::check_resource(resource, "resource", &Diagnostics::default(), areas)
            .map_err(Rejection::InvalidResource)?;
        if self.roster.find(&resource.id).is_some() {
            return Err(Rejection::ResourceExists(resource.id.clone()));
        }
        let mark = self.roster.mark();
        let j = self.live.add_right(resource.capacity);
        self.roster
            .insert(j, resource.clone(), self.instance.areas());
        let mut tiers = Vec::new();
        let mut touched = Vec::new();
        for (k, node) in self.listed_under(&self.roster.reach(j)) {
            touched.push(k);
            let o = self.order_ref(k);
            let Some(node) =
                node.filter(|_| !o.excluded.contains(&resource.id) && !o.lapsed(&resource.id))
            else {
                continue;
            };
            let pair = self
                .roster
                .assess(j, &o.wanted, self.instance.areas(), &self.policy);
            if let Some((tier, value)) = pair {
                tiers.push((self.live.add_arc(node, j, value), tier));
            }
        }
        tiers.extend(self.forecast_arcs(j));
        let changed = match self.repair() {
            Ok(c) => c,
            Err(e) => {
                self.roster.undo(j, mark, None, self.instance.areas());
                return Err(e);
            }
        };
        if self.committed.len() < self.roster.len() {
            self.committed.resize(self.roster.len(), 0);
        }
        self.committed[j as usize] = 0;
        self.index_window(j);
        if let Some(x) = self.expired.get_mut(j as usize) {
            *x = false;
        }
        self.record_tiers(&tiers);
        for k in touched {
            self.touch(k);
        }
        self.follow(changed, Some(at));
        Ok(())
    }

    /// New terms for a resource from now on: its pairs with listed orders are added,
    /// re-valued or removed; accepted tickets keep their terms. A capacity below what the
    /// resource has committed is refused.
    pub(super) fn update(
        &mut self,
        id: &str,
        change: &ResourceChange,
        at: DateTime,
    ) -> Result<(), Rejection> {
        let areas = self.instance.areas();
        objects::check_change(change, id, &Diagnostics::default(), areas)
            .map_err(Rejection::InvalidResource)?;
        let j = self.resource_slot(id)?;
        let Some(old) = self.roster.get(j).cloned() else {
            return Err(Rejection::UnknownResource(id.to_owned()));
        };
        let mut data = old.data.clone();
        if let Some(c) = change.capacity {
            if c < self.committed[j as usize] {
                return Err(Rejection::CapacityBelowCommitted {
                    resource: id.to_owned(),
                    capacity: c,
                    committed: self.committed[j as usize],
                });
            }
            data.capacity = c;
        }
        if let Some(s) = &change.serves {
            data.serves = Some(s.clone());
        }
        if let Some(c) = &change.categories {
            data.categories = c.clone();
        }
        if let Some(s) = &change.skills {
            data.skills = s.clone();
        }
        if let Some(w) = &change.window {
            data.window = Some(w.clone());
        }
        if let Some(u) = change.unit_cost {
            data.unit_cost = u;
        }
        let pairs_change = change.serves.is_some()
            || change.categories.is_some()
            || change.skills.is_some()
            || change.window.is_some()
            || change.unit_cost.is_some();
        let mut keys = self.roster.reach(j);
        let old_end = self.resource_end(j);
        let mark = self.roster.mark();
        self.roster.remove(j);
        self.roster.insert(j, data, self.instance.areas());
        keys.extend(self.roster.reach(j));
        let mut tiers = Vec::new();
        let mut revalued = Vec::new();
        let mut touched = Vec::new();
        let listed = if pairs_change {
            self.listed_under(&keys)
        } else {
            Vec::new()
        };
        for (k, node) in listed {
            touched.push(k);
            let o = self.order_ref(k);
            let Some(node) =
                node.filter(|_| !o.excluded.contains(id) && !o.holds(id) && !o.lapsed(id))
            else {
                continue;
            };
            let pair = self
                .roster
                .assess(j, &o.wanted, self.instance.areas(), &self.policy);
            match (self.live.find(node, j), pair) {
                (Some(a), None) => self.live.remove_arc(a),
                (Some(a), Some((tier, value))) => {
                    if self.live.arc(a).value != value || self.tiers[a as usize] != tier {
                        self.live.set_value(a, value);
                        tiers.push((a, tier));
                        revalued.push((k, tier, value));
                    }
                }
                (None, Some((tier, value))) => {
                    tiers.push((self.live.add_arc(node, j, value), tier));
                }
                (None, None) => {}
            }
        }
        // New terms from now on: a window that has ended gives no offers, one that goes on
        // gives them again.
        let new_end = self.resource_end(j);
        let ended = new_end.is_some_and(|end| end < at);
        let room = self.roster.get(j).map_or(0, |m| m.capacity()) - self.committed[j as usize];
        self.live.set_capacity(j, if ended { 0 } else { room });
        if pairs_change {
            tiers.extend(self.forecast_arcs(j));
        }
        let changed = match self.repair() {
            Ok(c) => c,
            Err(e) => {
                self.roster.undo(j, mark, Some(old), self.instance.areas());
                return Err(e);
            }
        };
        if let Some(end) = old_end {
            self.resource_ends.remove(&(end, j));
        }
        if let Some(end) = new_end.filter(|_| !ended) {
            self.resource_ends.insert((end, j));
        }
        if let Some(x) = self.expired.get_mut(j as usize) {
            *x = ended;
        }
        self.record_tiers(&tiers);
        for (k, tier, value) in revalued {
            let o = self.order_mut(k);
            if let Some(t) = o.ticket(id) {
                if o.tickets[t].state == T::Offered {
                    (o.tickets[t].tier, o.tickets[t].value) = (tier, value);
                }
            }
        }
        for k in touched {
            self.touch(k);
        }
        self.follow(changed, Some(at));
        Ok(())
    }

    /// 调动, 退出: the resource is gone. Its offers are dispatched again; its accepted and
    /// agreed units go back to their orders and are dispatched again; done units stay.
    pub(super) fn leave(&mut self, id: &str, at: DateTime) -> Result<(), Rejection> {
        let j = self.resource_slot(id)?;
        let holders: Vec<(usize, Ticket)> = self
            .by_serial
            .values()
            .filter_map(|&k| {
                let o = self.orders[k].as_ref()?;
                let t = &o.tickets[o.ticket(id)?];
                matches!(t.state, T::Accepted | T::Agreed).then(|| (k, t.clone()))
            })
            .collect();
        let paired: Vec<usize> = self
            .listed_under(&self.roster.reach(j))
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        self.live.remove_right(j);
        let mut opened = Vec::new();
        // Units given back after the need's window ended are given up, never dispatched.
        let ended: Vec<bool> = holders
            .iter()
            .map(|(k, _)| self.order_ref(*k).window_end().is_some_and(|end| end < at))
            .collect();
        for ((k, t), &ended) in holders.iter().zip(&ended) {
            if ended {
                continue;
            }
            let open = self.order_ref(*k).open() + t.quantity;
            match self.order_ref(*k).node {
                Some(n) => self.live.set_supply(n, open),
                None => opened.push(self.open_node(*k, open, Some(j))),
            }
        }
        let changed = self.repair()?;
        for ((k, t), &ended) in holders.iter().zip(&ended) {
            self.set_ticket(*k, t, 0, t.state, None);
            if ended {
                self.give_up(*k, t.quantity, super::time::WINDOW_ENDED);
            }
        }
        self.unindex_window(j);
        // Its lapses end with it.
        let lapses: Vec<(DateTime, u64, u32)> =
            self.lapses.iter().filter(|e| e.2 == j).copied().collect();
        for e in lapses {
            self.lapses.remove(&e);
            if let Some(&k) = self.by_serial.get(&e.1) {
                self.order_mut(k).lapsed.remove(id);
            }
        }
        self.committed[j as usize] = 0;
        for o in &opened {
            self.record_opened(o);
        }
        for k in paired.into_iter().chain(holders.iter().map(|h| h.0)) {
            self.touch(k);
        }
        self.follow(changed, Some(at));
        for (k, _) in &holders {
            self.settle(*k, at);
        }
        self.roster.remove(j);
        Ok(())
    }

    /// A new value model from now on: every listed order's pairs are valued again (pairs
    /// whose value is no longer positive go, new ones come), the re-offer bonus follows
    /// `reoffer_penalty`, and offers' expiry follows `offer_deadline_hours`. Accepted tickets
    /// keep their terms.
    pub(super) fn set_policy(
        &mut self,
        policy: &crate::model::Policy,
        at: DateTime,
    ) -> Result<(), Rejection> {
        objects::check_policy(policy, "policy", &Diagnostics::default())
            .map_err(Rejection::InvalidPolicy)?;
        self.live.set_bonus(policy.reoffer_penalty);
        let mut tiers: Vec<(u32, Level)> = Vec::new();
        let mut revalued = Vec::new();
        let mut touched = Vec::new();
        for node in 0..self.order_of.len() as u32 {
            let k = self.order_of[node as usize];
            if k == super::dispatch::NO_ORDER {
                continue;
            }
            let o = self.order_ref(k);
            let new: Vec<(u32, Level, i64)> = self
                .roster
                .pairs(&o.wanted, self.instance.areas(), policy)
                .into_iter()
                .filter(|&(j, ..)| {
                    let id = self.roster.id(j);
                    !o.excluded.contains(id) && !o.holds(id) && !o.lapsed(id)
                })
                .collect();
            let old: Vec<u32> = self.live.arcs_of(node).to_vec();
            let mut moved = false;
            for &a in &old {
                let j = self.live.arc(a).right;
                match new.binary_search_by_key(&j, |p| p.0) {
                    Err(_) => {
                        self.live.remove_arc(a);
                        moved = true;
                    }
                    Ok(x) if new[x].2 != self.live.arc(a).value => {
                        self.live.set_value(a, new[x].2);
                        revalued.push((k, self.roster.id(j).to_owned(), new[x].1, new[x].2));
                        moved = true;
                    }
                    Ok(_) => {}
                }
            }
            for &(j, tier, value) in &new {
                if self.live.find(node, j).is_none() {
                    tiers.push((self.live.add_arc(node, j, value), tier));
                    moved = true;
                }
            }
            if moved {
                touched.push(k);
            }
        }
        // The forecast nodes' pairs and supplies under the new policy (its weight included).
        let old = std::mem::replace(&mut self.policy, policy.clone());
        tiers.extend(self.forecast_resync());
        let (created, _) = self.forecast_supplies(at);
        self.policy = old;
        let changed = self.repair()?;
        self.record_forecast(created);
        let listed: Vec<usize> = self.by_serial.values().copied().collect();
        touched.extend(listed);
        let deadline_changed = policy.offer_deadline_hours != self.policy.offer_deadline_hours;
        let deadlines_changed = policy.escalate_after_hours != self.policy.escalate_after_hours;
        self.policy = policy.clone();
        if deadlines_changed {
            self.reindex_deadlines();
        }
        self.record_tiers(&tiers);
        for (k, id, tier, value) in revalued {
            let o = self.order_mut(k);
            if let Some(t) = o.ticket(&id) {
                if o.tickets[t].state == T::Offered {
                    (o.tickets[t].tier, o.tickets[t].value) = (tier, value);
                }
            }
        }
        for k in touched {
            self.touch(k);
        }
        self.follow(changed, Some(at));
        if deadline_changed {
            let offers: Vec<_> = self.offers.iter().copied().collect();
            for (since, serial, j) in offers {
                if let Some(o) = self
                    .by_serial
                    .get(&serial)
                    .and_then(|&k| self.orders[k].as_ref())
                {
                    let resource = self.roster.id(j).to_owned();
                    if let Some(t) = o.ticket(&resource) {
                        let (id, q) = (o.id.clone(), o.tickets[t].quantity);
                        self.feed
                            .offer(serial, &id, &resource, (-1, None), (q, Some(since)));
                    }
                }
            }
        }
        Ok(())
    }

    /// New points rules from now on.
    pub(super) fn set_points(&mut self, points: &super::rules::Points) -> Result<(), Rejection> {
        objects::check_points(points, "points", &Diagnostics::default())
            .map_err(Rejection::InvalidPoints)?;
        self.rules.points = points.clone();
        Ok(())
    }
}
