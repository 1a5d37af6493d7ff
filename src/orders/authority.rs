//! Who may do what: a hook the embedding service implements ([`Authority`]), checked with every
//! command's `by` before anything changes. The default lets everyone do everything
//! ([`Permissive`]); [`Roles`] is a built-in rule set from community practice.

use super::command::{Action, Command};
use super::Ledger;
use crate::model::area::{AreaIdx, Level};
use crate::model::resource::Kind;
use std::fmt;

/// Decides whether `command.by` may apply `command` to `ledger` as it is now. Refusing
/// rejects the command as `forbidden` with the reason given; nothing changes.
///
/// ```
/// use duijie::orders::{Authority, Command, Ledger};
/// #[derive(Debug)]
/// struct OnlyTheClockTicks;
/// impl Authority for OnlyTheClockTicks {
///     fn check(&self, _: &Ledger, c: &Command) -> Result<(), String> {
///         if c.name() == "tick" && c.by != "clock" {
///             Err("only the clock ticks".into())
///         } else {
///             Ok(())
///         }
///     }
/// }
/// let instance = duijie::Instance::from_json_str("{}")?;
/// let mut ledger = Ledger::new(instance)?;
/// ledger.set_authority(std::sync::Arc::new(OnlyTheClockTicks));
/// let err = ledger
///     .apply_line(r#"{"cmd": "tick", "at": "2026-12-01T08:00:00", "by": "me"}"#)
///     .unwrap_err();
/// assert_eq!(err.code(), "forbidden");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Authority: fmt::Debug + Send + Sync {
    /// `Ok` to let the command through, or why not.
    ///
    /// # Errors
    /// The reason the command is refused.
    fn check(&self, ledger: &Ledger, command: &Command) -> Result<(), String>;
}

/// Everyone may do everything (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct Permissive;

impl Authority for Permissive {
    fn check(&self, _: &Ledger, _: &Command) -> Result<(), String> {
        Ok(())
    }
}

/// The built-in rules. `by` names a resource or a requester:
/// - a resource acts for itself: `accept`, `decline`, `claim`, `agree`, `complete`,
///   `withdraw` by the named resource; `join`, `update` and `leave` by the resource itself or by
///   staff (a resource of kind `staff`) whose home is the resource's home or above it;
/// - staff of the order's community, or of an area above it, `review`, `cancel` and `close`;
/// - the requester `rate`s (staff of the community rate an order that names no requester);
/// - `post` and `tick` are open to all; `set_policy` and `set_points` need staff at district
///   level or above.
#[derive(Debug, Clone, Copy, Default)]
pub struct Roles;

impl Roles {
    /// The home of `by` if `by` is staff.
    fn staff_home(ledger: &Ledger, by: &str) -> Option<AreaIdx> {
        let j = ledger.roster.find(by)?;
        let m = ledger.roster.get(j)?;
        (m.kind() == Kind::Staff).then(|| ledger.instance.areas().find(&m.data.home))?
    }

    /// Whether `by` is staff whose home is at community level or above and contains `area`.
    fn staff_over(ledger: &Ledger, by: &str, area: AreaIdx) -> bool {
        let areas = ledger.instance.areas();
        Roles::staff_home(ledger, by)
            .is_some_and(|h| areas.get(h).level <= Level::Community && areas.within(area, h))
    }

    /// The area of order `id` in the working set.
    fn order_area(ledger: &Ledger, id: &str) -> Option<AreaIdx> {
        ledger.live_order(id).map(|o| o.wanted.area)
    }

    /// Whether `by` is the resource `id` itself or staff over its home.
    fn for_resource(ledger: &Ledger, by: &str, id: &str, home: Option<&str>) -> bool {
        let areas = ledger.instance.areas();
        let home = home
            .map(str::to_owned)
            .or_else(|| {
                let j = ledger.roster.find(id)?;
                Some(ledger.roster.get(j)?.data.home.clone())
            })
            .and_then(|h| areas.find(&h));
        by == id || home.is_some_and(|h| Roles::staff_over_any(ledger, by, h))
    }

    /// Whether `by` is staff whose home contains `area` (any level).
    fn staff_over_any(ledger: &Ledger, by: &str, area: AreaIdx) -> bool {
        let areas = ledger.instance.areas();
        Roles::staff_home(ledger, by).is_some_and(|h| areas.within(area, h))
    }
}

impl Authority for Roles {
    fn check(&self, ledger: &Ledger, c: &Command) -> Result<(), String> {
        let by = c.by.as_str();
        let ok = match &c.action {
            Action::Post { .. } | Action::Tick => true,
            Action::Accept { resource, .. }
            | Action::Decline { resource, .. }
            | Action::Claim { resource, .. }
            | Action::Agree { resource, .. }
            | Action::Complete { resource, .. }
            | Action::Withdraw { resource, .. } => by == resource,
            Action::Review { order, .. }
            | Action::Cancel { order, .. }
            | Action::Close { order, .. } => {
                match Roles::order_area(ledger, order) {
                    Some(a) => Roles::staff_over(ledger, by, a),
                    None => true, // unknown or finished: the command itself is refused
                }
            }
            Action::Rate { order, .. } => match ledger.live_order(order) {
                Some(o) => match &o.need.requester {
                    Some(r) => r == by,
                    None => Roles::staff_over(ledger, by, o.wanted.area),
                },
                None => true,
            },
            Action::Join { resource } => {
                Roles::for_resource(ledger, by, &resource.id, Some(&resource.home))
            }
            Action::Update { resource, .. } | Action::Leave { resource, .. } => {
                Roles::for_resource(ledger, by, resource, None)
            }
            Action::SetPolicy { .. } | Action::SetPoints { .. } => Roles::staff_home(ledger, by)
                .is_some_and(|h| ledger.instance.areas().get(h).level <= Level::District),
        };
        if ok {
            Ok(())
        } else {
            Err(match &c.action {
                Action::Review { .. } | Action::Cancel { .. } | Action::Close { .. } => {
                    "only staff of the order's community or above".into()
                }
                Action::Rate { .. } => "only the requester".into(),
                Action::SetPolicy { .. } | Action::SetPoints { .. } => {
                    "only staff at district level or above".into()
                }
                Action::Join { .. } | Action::Update { .. } | Action::Leave { .. } => {
                    "only the resource itself or staff over its home".into()
                }
                _ => "a resource acts for itself only".into(),
            })
        }
    }
}
