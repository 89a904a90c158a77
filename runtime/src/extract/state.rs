//! Application state shared with handlers.

use std::any::TypeId;

use http::StatusCode;

use super::{FromRequestParts, OptionalFromRequestParts};
use crate::problem::Problem;
use crate::request::RequestParts;

/// A clone of the app state of type `T`, set with `App::state`.
///
/// Asking for a state type that was never set is reported when the app is
/// built, naming the handler and the type.
///
/// ```
/// use waypost::State;
/// #[derive(Clone)]
/// struct Db;
/// async fn handler(State(db): State<Db>) {}
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct State<T>(pub T);

/// Identifies one state type: its `TypeId` and its name for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateKey {
    /// The type's id.
    pub id: TypeId,
    /// The type's name, for error messages.
    pub name: &'static str,
}

impl StateKey {
    /// The key of `T`.
    pub fn of<T: 'static>() -> Self {
        StateKey {
            id: TypeId::of::<T>(),
            name: std::any::type_name::<T>(),
        }
    }
}

/// The state and extension types a handler's or middleware's extractors need,
/// checked when the app is built.
#[derive(Debug, Default)]
pub struct StateNeeds {
    pub(crate) states: Vec<StateKey>,
    pub(crate) extensions: Vec<StateKey>,
}

impl StateNeeds {
    /// Records that state of type `T` is needed.
    pub fn require<T: 'static>(&mut self) {
        self.states.push(StateKey::of::<T>());
    }

    /// Records that a middleware must have inserted an extension of type `T`.
    pub fn require_extension<T: 'static>(&mut self) {
        self.extensions.push(StateKey::of::<T>());
    }

    /// Records what `required` needs for an optional argument (`Option<E>`):
    /// its state types (a missing one is a mistake in the app), but not its
    /// extensions (an optional extension may be absent: that is what `Option` says).
    pub fn require_optionally(&mut self, required: impl FnOnce(&mut StateNeeds)) {
        let mut inner = StateNeeds::default();
        required(&mut inner);
        self.states.extend(inner.states);
    }
}

impl<T: Clone + Send + Sync + 'static> FromRequestParts for State<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Problem> {
        // Checked when the app was built; this path is only reachable through a
        // hand-written extractor that skipped `required`.
        parts.state::<T>().cloned().map(State).ok_or_else(|| {
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR).with_detail(format!(
                "app state of type `{}` was not set",
                std::any::type_name::<T>()
            ))
        })
    }

    fn required(needs: &mut StateNeeds) {
        needs.require::<T>();
    }
}

/// `None` when the app has no state of type `T`.
impl<T: Clone + Send + Sync + 'static> OptionalFromRequestParts for State<T> {
    async fn from_request_parts_optional(
        parts: &mut RequestParts,
    ) -> Result<Option<Self>, Problem> {
        Ok(parts.state::<T>().cloned().map(State))
    }
}
