//! The Graph client: HTTP, auth, paging, retries and typed models. Knows nothing of the UI.

pub mod enums;
pub mod lenient;
pub mod models;
