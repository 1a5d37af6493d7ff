//! Reading a command line into a typed [`Command`]: the envelope (`cmd`, `at`, `by`, `key`
//! and the command's fields, with every missing, unknown, repeated or mistyped field
//! reported at once), then the contract object it carries, checked against the ledger's areas.
//! Also reading an event line of the log.

use super::command::{Action, Command, Event, ResourceChange};
use super::error::{Rejection, ReplayCause};
use super::objects;
use super::raw::{Raw, Walk};
use super::Ledger;
use crate::format::json;
use crate::validate::{self, Code, Problems};

impl Ledger {
    /// A command from its JSON object.
    pub(super) fn read_command(&self, raw: &Raw) -> Result<Command, Rejection> {
        let malformed = |w: Walk| Rejection::Malformed(Problems(w.d.problems));
        let mut w = Walk::default();
        let Raw::Obj(members) = raw else {
            let msg = format!("a command is a JSON object, found {}", raw.type_name());
            w.d.report(Code::WrongType, String::new(), None, msg);
            return Err(malformed(w));
        };
        let cmd = match members.iter().find(|(k, _)| k == "cmd") {
            Some((_, Raw::Str(s))) => s.as_str(),
            Some((_, other)) => {
                let msg = format!("`cmd` is text, found {}", other.type_name());
                w.d.report(Code::WrongType, "cmd".into(), None, msg);
                return Err(malformed(w));
            }
            None => {
                let msg = "missing field `cmd`".to_owned();
                w.d.report(Code::MissingField, "cmd".into(), None, msg);
                return Err(malformed(w));
            }
        };
        let Some(&(name, required, optional)) = Action::SHAPES.iter().find(|s| s.0 == cmd) else {
            return Err(Rejection::UnknownCommand(cmd.to_owned()));
        };
        // The envelope: every field this command takes, by name.
        let mut names: Vec<&str> = vec!["cmd", "at", "by", "key"];
        names.extend(required);
        names.extend(optional);
        let mut slots: Vec<Option<&Raw>> = vec![None; names.len()];
        let mut seen = vec![false; names.len()];
        for (k, x) in members {
            match names.iter().position(|n| n == k) {
                Some(i) if seen[i] => w.d.report(
                    Code::DuplicateField,
                    k.clone(),
                    None,
                    format!("field `{k}` is given twice"),
                ),
                Some(i) => {
                    seen[i] = true;
                    slots[i] = (*x != Raw::Null).then_some(x);
                }
                None => w.d.report(
                    Code::UnknownField,
                    k.clone(),
                    None,
                    format!(
                        "`{name}` takes no field `{k}`; it takes {}",
                        names[1..].join(", ")
                    ),
                ),
            }
        }
        let field = |n: &str| names.iter().position(|x| *x == n).and_then(|i| slots[i]);
        for n in ["at", "by"].iter().chain(required) {
            w.required(field(n), "", n, None);
        }
        let text = |w: &mut Walk, n: &str| field(n).and_then(|x| w.string(x, n.into(), None));
        let at = text(&mut w, "at");
        let by = text(&mut w, "by");
        let key = text(&mut w, "key");
        let order = text(&mut w, "order");
        let resource = match name {
            "join" => String::new(),
            _ => text(&mut w, "resource").unwrap_or_default(),
        };
        let reason = text(&mut w, "reason");
        let schedule = text(&mut w, "schedule");
        let note = text(&mut w, "note");
        let comment = text(&mut w, "comment");
        let approve = field("approve").and_then(|x| w.boolean(x, "approve".into(), None));
        let quantity = field("quantity").and_then(|x| w.int(x, "quantity".into(), None));
        let score = field("score").and_then(|x| w.int(x, "score".into(), None));
        // Update's terms are read with the resource's problems, at their own paths.
        let mut terms = Walk::default();
        let change = (name == "update").then(|| {
            let slots = ResourceChange::FIELDS.map(field);
            objects::read_change(slots, &resource, &mut terms)
        });
        if !w.d.problems.is_empty() {
            return Err(malformed(w));
        }
        let (Some(at), Some(by)) = (at, by) else {
            return Err(malformed(w));
        };
        let order = order.unwrap_or_default();
        let areas = self.instance.areas();
        let action = match name {
            "post" => {
                let text = field("need").map(Raw::to_text).unwrap_or_default();
                let (data, read) = json::read_need_text(&text, "need")
                    .map_err(|p| Rejection::InvalidNeed(Problems(vec![p])))?;
                let need =
                    validate::need(data, "need", read, areas).map_err(Rejection::InvalidNeed)?;
                Action::Post { need }
            }
            "review" => Action::Review {
                order,
                approve: approve.unwrap_or(false),
                reason,
            },
            "accept" => Action::Accept { order, resource },
            "decline" => Action::Decline {
                order,
                resource,
                reason,
            },
            "claim" => Action::Claim {
                order,
                resource,
                quantity: quantity.unwrap_or(0),
            },
            "agree" => Action::Agree {
                order,
                resource,
                schedule: schedule.unwrap_or_default(),
                note,
            },
            "complete" => Action::Complete { order, resource },
            "rate" => Action::Rate {
                order,
                score: score.unwrap_or(0),
                comment,
            },
            "withdraw" => Action::Withdraw {
                order,
                resource,
                reason,
            },
            "cancel" => Action::Cancel { order, reason },
            "close" => Action::Close { order, reason },
            "tick" => Action::Tick,
            "join" => {
                let mut r = Walk::default();
                let raw = field("resource").unwrap_or(&Raw::Null);
                let data = objects::read_resource(raw, "resource", &mut r);
                objects::check_resource(&data, "resource", &r.d, areas)
                    .map_err(Rejection::InvalidResource)?;
                Action::Join { resource: data }
            }
            "update" => {
                let change = change.unwrap_or_default();
                objects::check_change(&change, &resource, &terms.d, areas)
                    .map_err(Rejection::InvalidResource)?;
                Action::Update { resource, change }
            }
            "leave" => Action::Leave { resource, reason },
            "set_policy" => {
                let mut r = Walk::default();
                let raw = field("policy").unwrap_or(&Raw::Null);
                let policy = objects::read_policy(raw, "policy", &mut r);
                objects::check_policy(&policy, "policy", &r.d).map_err(Rejection::InvalidPolicy)?;
                Action::SetPolicy {
                    policy: Box::new(policy),
                }
            }
            _ => {
                let mut r = Walk::default();
                let raw = field("points").unwrap_or(&Raw::Null);
                let points = objects::read_points(raw, "points", &mut r);
                objects::check_points(&points, "points", &r.d).map_err(Rejection::InvalidPoints)?;
                Action::SetPoints { points }
            }
        };
        Ok(Command {
            at,
            by,
            key,
            action,
        })
    }

    /// An event from a line of the log: `{"seq": N, "command": {...}}`.
    pub(super) fn read_event(&self, line: &str) -> Result<Event, ReplayCause> {
        let raw = Raw::parse(line).map_err(|e| ReplayCause::Malformed(e.to_string()))?;
        let mut w = Walk::default();
        let fields = w.fields(&raw, "", ["seq", "command"]);
        let (Some([Some(seq), Some(command)]), true) = (fields, w.d.problems.is_empty()) else {
            return Err(ReplayCause::Malformed(
                "an event is {\"seq\": N, \"command\": {...}}".into(),
            ));
        };
        let seq = match seq {
            Raw::Int(s) if *s > 0 => *s as u64,
            _ => return Err(ReplayCause::Malformed("`seq` is a positive integer".into())),
        };
        let command = self
            .read_command(command)
            .map_err(|e| ReplayCause::Malformed(e.to_string()))?;
        Ok(Event { seq, command })
    }
}
