//! Application state shared with handlers.

use std::any::TypeId;

use http::StatusCode;

use super::{FromRequest, RequestParts};
use crate::problem::Problem;

/// A clone of the app state of type `T`, set with `App::state`.
///
/// Asking for a state type that was never set is reported when the app is
/// built, naming the handler and the type.
///
/// ```
/// use waypost_runtime::State;
/// #[derive(Clone)]
/// struct Db;
/// async fn handler(State(db): State<Db>) {}
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct State<T>(pub T);

impl<T> std::ops::Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

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

/// The state types a handler's extractors need.
#[derive(Debug, Default)]
pub struct StateNeeds(pub(crate) Vec<StateKey>);

impl StateNeeds {
    /// Records that state of type `T` is needed.
    pub fn require<T: 'static>(&mut self) {
        self.0.push(StateKey::of::<T>());
    }
}

impl<T: Clone + Send + Sync + 'static> FromRequest for State<T> {
    type Rejection = Problem;

    async fn from_request(req: &mut RequestParts) -> Result<Self, Problem> {
        // Checked when the app was built; this path is only reachable through a
        // hand-written extractor that skipped `required_state`.
        req.state::<T>().cloned().map(State).ok_or_else(|| {
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR).with_detail(format!(
                "app state of type `{}` was not set",
                std::any::type_name::<T>()
            ))
        })
    }

    fn required_state(needs: &mut StateNeeds) {
        needs.require::<T>();
    }
}
