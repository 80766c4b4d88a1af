//! The Graph client: HTTP, auth, paging, retries and typed models. Knows nothing of the UI.

pub mod assess;
pub mod auth;
pub mod budget;
pub mod cases;
pub mod client;
pub mod enums;
pub mod error;
pub mod incidents;
pub mod lenient;
pub mod models;
pub mod odata;
mod pager;
pub mod retry;
pub mod score;
pub mod sims;
pub mod tls;
pub mod window;

pub use auth::{AuthError, StaticToken, TokenProvider, jwt_user};
pub use budget::{BudgetConfig, BudgetSnapshot};
pub use client::{Client, ClientConfig, DEFAULT_BASE_URL};
pub use error::GraphError;
pub use odata::{Filter, ODataQuery};
pub use tls::{CaFileError, ExtraRoots, TlsProblem};

#[cfg(test)]
mod wire_tests;
